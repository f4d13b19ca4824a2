import { expect } from "chai";
import { JsonRpcProvider } from "ethers";

import { loadDeployment } from "../../sdk/core/deployment";
import { AccessManager__factory } from "../../typechain-types";
import { anvilAvailable, startTaskNode, type TaskNode } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

const ADMIN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"; // account 1: ADMIN with a 3,600 s execution delay
const REGISTRAR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"; // account 2
const PAUSER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"; // account 3
const AUDITOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"; // account 4
const REVIEWER = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"; // account 7
const HOUR = 3_600;
const DAY = 86_400;
/** The width of status's key column: its longest keys (`prior-authorizations`, `INSTITUTION_RECOVERY`) are 20. */
const WIDTH = 20;

const line = (key: string, value: string): string => `  ${key.padEnd(WIDTH)}  ${value}`;
/** The tasks' one time form: ISO 8601 in UTC to the second. */
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** The `Deployment` fields as status names them, and their future ids in the deployment record. */
const MODULES: [name: string, future: string, pausable: boolean][] = [
  ["access-manager", "AccessManager#AccessManager", false],
  ["identity-registry", "IdentityRegistry#IdentityRegistry", true],
  ["identifier-registry", "IdentifierRegistry#IdentifierRegistry", true],
  ["consent-policy", "ConsentPolicy#ConsentPolicy", false],
  ["consent-registry", "ConsentRegistry#ConsentRegistry", true],
  ["break-glass", "ConsentRegistry#BreakGlass", true],
  ["record-registry", "RecordRegistry#RecordRegistry", true],
  ["claims-adjudicator", "ClaimsAdjudicator#ClaimsAdjudicator", true],
  ["prior-authorizations", "ClaimsAdjudicator#PriorAuthorizations", true],
  ["supply-chain", "SupplyChain#SupplyChain", true],
  ["product-safety", "SupplyChain#ProductSafety", true],
  ["trial-registry", "Trials#TrialRegistry", true],
  ["trial-protocol", "Trials#TrialProtocol", true],
  ["trial-safety", "Trials#TrialSafety", true],
];

describe("tasks: status", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  let record: Record<string, string>;

  const latest = async (): Promise<{ number: number; timestamp: number }> => {
    const block = await node.rpc<{ number: string; timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
    return { number: Number(block.number), timestamp: Number(block.timestamp) };
  };
  const advance = async (seconds: number): Promise<void> => {
    await node.rpc("evm_increaseTime", [seconds]);
    await node.rpc("evm_mine", []);
  };
  const ok = async (...argv: string[]): Promise<string> => {
    const result = await node.run(...argv);
    expect(result.code, result.output).to.equal(0);
    return result.output;
  };
  /** The lines status prints under the title that starts with `title`, up to the next title. */
  const section = (output: string, title: string): string[] => {
    const lines = output.split("\n");
    const start = lines.findIndex((text) => text.startsWith(title));
    expect(start, `no section "${title}" in:\n${output}`).to.be.at.least(0);
    const rest = lines.slice(start + 1);
    const end = rest.findIndex((text) => !text.startsWith("  "));
    return [lines[start] ?? "", ...rest.slice(0, end === -1 ? rest.length : end)];
  };

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(120_000);
    node = await startTaskNode();
    await ok("careledger:deploy", "--parameters", "localhost");
    record = node.addresses();
    await node.freshState();
  });
  beforeEach(async function () {
    await node.freshState();
  });
  after(function () {
    (node as TaskNode | undefined)?.stop(); // unset when the file is skipped or the node did not start
  });

  it("names the network, its chain id and the latest block with its time", async function () {
    const output = await ok("careledger:status");
    const block = await latest();
    expect(output.split("\n")[0]).to.equal(
      `CareLedger on localhost (chain ${node.chainId}), block ${block.number} at ${iso(block.timestamp)}`,
    );
  });

  it("lists every module at the address the deployment recorded, whether it is paused, and the settlement token", async function () {
    const output = await ok("careledger:status");
    const token = record["TestStablecoin#TestStablecoin"] ?? "";
    expect(token).to.match(/^0x/);
    expect(section(output, "CareLedger on ").slice(1)).to.deep.equal([
      ...MODULES.map(([name, future, pausable]) => line(name, `${record[future]}${pausable ? "  running" : ""}`)),
      line("settlement-token", `${token}  tUSD, 6 decimals`),
    ]);
  });

  it("shows a module PAUSED once the pauser pauses it, and running again after the admin's delayed unpause", async function () {
    const registry = record["RecordRegistry#RecordRegistry"] ?? "";
    await ok("careledger:pause", "--module", "record-registry", "--from", "3");
    expect(await ok("careledger:status")).to.contain(`\n${line("record-registry", `${registry}  PAUSED`)}\n`);
    await ok("careledger:unpause", "--module", "record-registry", "--from", "1");
    await advance(HOUR);
    await ok("careledger:unpause", "--module", "record-registry", "--from", "1");
    expect(await ok("careledger:status")).to.contain(`\n${line("record-registry", `${registry}  running`)}\n`);
  });

  it("lists the parameter file's role holders with their execution delays, and the admin delay", async function () {
    expect(section(await ok("careledger:status"), "Roles")).to.deep.equal([
      "Roles (admin delay 1 hour: every admin operation is scheduled and waits that long)",
      line("ADMIN", `${ADMIN}, execution delay 1 hour`),
      line("REGISTRAR", REGISTRAR),
      line("PAUSER", PAUSER),
      line("AUDITOR", AUDITOR),
      line("INSTITUTION_RECOVERY", `${REGISTRAR}, execution delay 1 hour`),
      line("CLAIMS_REVIEWER", "none"),
      line("scheduled", "no operation waiting"),
    ]);
  });

  it("says an admin without an execution delay acts at once, and when the admins' delays differ", async function () {
    const ADMIN_2 = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"; // account 5
    await ok("careledger:role:grant", "--role", "ADMIN", "--account", "5", "--from", "1");
    await advance(HOUR);
    await ok("careledger:role:grant", "--role", "ADMIN", "--account", "5", "--from", "1");
    expect(section(await ok("careledger:status"), "Roles").slice(0, 3)).to.deep.equal([
      "Roles (admin delays 1 hour and none: an admin with a delay schedules its operations, which wait that long; " +
        "one without acts at once)",
      line("ADMIN", `${ADMIN}, execution delay 1 hour`),
      line("", ADMIN_2),
    ]);
    await ok("careledger:role:revoke", "--role", "ADMIN", "--account", "1", "--from", "5");
    expect(section(await ok("careledger:status"), "Roles").slice(0, 2)).to.deep.equal([
      "Roles (admin delay none: an admin's operations take effect at once)",
      line("ADMIN", ADMIN_2),
    ]);
  });

  it("reads the roles from the block the deployment started in, which the record's journal names", function () {
    // anvil starts at block 0 and mines each deployment transaction in a block of its own, from block 1.
    expect(loadDeployment(BigInt(node.chainId)).deployedAtBlock).to.equal(1);
  });

  it("counts the operations waiting, and lists a new holder once its grant is executed", async function () {
    await ok("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1");
    const waiting = section(await ok("careledger:status"), "Roles");
    expect(waiting.slice(-2)).to.deep.equal([
      line("CLAIMS_REVIEWER", "none"),
      line("scheduled", "1 operation(s) waiting: careledger:op:list"),
    ]);
    await advance(HOUR);
    await ok("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1");
    expect(section(await ok("careledger:status"), "Roles").slice(-2)).to.deep.equal([
      line("CLAIMS_REVIEWER", REVIEWER),
      line("scheduled", "no operation waiting"),
    ]);
  });

  it("shows when a grant still waiting for the role's grant delay takes effect", async function () {
    this.timeout(30_000);
    // The admin gives CLAIMS_REVIEWER a one-day grant delay (no task does; it is rare), which applies after the
    // manager's minimum setback of five days.
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const admin = await provider.getSigner(ADMIN);
    const manager = AccessManager__factory.connect(record["AccessManager#AccessManager"] ?? "", admin);
    const data = manager.interface.encodeFunctionData("setGrantDelay", [5, DAY]);
    await (await manager.schedule(await manager.getAddress(), data, 0, { gasPrice: 0 })).wait();
    await advance(HOUR);
    await (await manager.execute(await manager.getAddress(), data, { gasPrice: 0 })).wait();
    provider.destroy();
    await advance(5 * DAY);
    await ok("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1");
    await advance(HOUR);
    await ok("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1");
    const since = (await latest()).timestamp + DAY;
    expect(await ok("careledger:status")).to.contain(
      `\n${line("CLAIMS_REVIEWER", `${REVIEWER}, takes effect ${iso(since)} (in 1 day)`)}\n`,
    );
  });

  it("states the consent policy in force in words: categories, purposes, hours and days", async function () {
    expect(section(await ok("careledger:status"), "Consent policy")).to.deep.equal([
      `Consent policy in force: ${record["ConsentPolicy#ConsentPolicy"]} (version 1.0.0)`,
      line(
        "sensitive-categories",
        "MentalHealth, SubstanceUse, SexualAndReproductiveHealth, Genomics (opened only by a grant naming them)",
      ),
      line("named-purposes", "Research (only by a grant naming them)"),
      line("break-glass-max", "at most 24 hours, 3 open per practitioner"),
      line("break-glass-excludes", "Genomics"),
      line(
        "longest-grant",
        "Treatment 365 days, Payment 365 days, HealthcareOperations 365 days, Research 1825 days, " +
          "PublicHealth 365 days, EmergencyTreatment 30 days",
      ),
    ]);
  });
});
