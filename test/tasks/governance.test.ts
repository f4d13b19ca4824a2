import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";

import { PAUSABLE_MODULES } from "../../sdk/core/contracts";
import { adminDelay, MODULE_HELP, parseRole } from "../../tasks/governance";
import { AccessManager__factory, IPausableModule__factory } from "../../typechain-types";
import { anvilAvailable, startTaskNode, type TaskNode, type TaskResult } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

const ADMIN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"; // account 1: ADMIN with a 3,600 s execution delay
const PAUSER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"; // account 3
const AUDITOR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"; // account 4
const REVIEWER = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"; // account 7: no role at deployment
const HOUR = 3_600;
const WEEK = 7 * 86_400; // the AccessManager's expiration(): a scheduled operation can be executed for a week
const MANAGER = AccessManager__factory.createInterface();
const PAUSABLE = IPausableModule__factory.createInterface();

/** The one line an operator sees for a refusal, as the command line prints it, and exit code 1. */
function expectRefusal(result: TaskResult, message: string): void {
  expect(result.output.trim()).to.equal(`Error in plugin careledger: ${message}`);
  expect(result.code).to.equal(1);
}

/** The tasks' one time form: ISO 8601 in UTC to the second. */
function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

function operationId(caller: string, target: string, data: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "address", "bytes"], [caller, target, data]));
}

describe("tasks: governance", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  let addresses: Record<string, string>;
  let manager: string;

  const latestTime = async (): Promise<number> =>
    Number((await node.rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false])).timestamp);
  const advance = async (seconds: number): Promise<void> => {
    await node.rpc("evm_increaseTime", [seconds]);
    await node.rpc("evm_mine", []);
  };
  const grantData = (role: number, account: string, delay = 0): string =>
    MANAGER.encodeFunctionData("grantRole", [role, account, delay]);
  /** Runs a task that must succeed, returning what it printed. */
  const ok = async (...argv: string[]): Promise<string> => {
    const result = await node.run(...argv);
    expect(result.code, result.output).to.equal(0);
    return result.output;
  };
  /** Has the admin schedule CLAIMS_REVIEWER for account 7: the operation id and when it becomes executable. */
  const scheduleReviewer = async (): Promise<{ id: string; executableFrom: number }> => {
    await ok("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1");
    return { id: operationId(ADMIN, manager, grantData(5, REVIEWER)), executableFrom: (await latestTime()) + HOUR };
  };

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(120_000);
    node = await startTaskNode();
    await ok("careledger:deploy", "--parameters", "localhost");
    addresses = node.addresses();
    manager = addresses["AccessManager#AccessManager"] ?? "";
    await node.freshState();
  });
  // Each case starts from the fresh deployment: anvil returns to the snapshot (which it then forgets) and takes another.
  beforeEach(async function () {
    await node.freshState();
  });
  after(function () {
    (node as TaskNode | undefined)?.stop(); // unset when the file is skipped or the node did not start
  });

  describe("role:grant", function () {
    it("schedules the admin's grant, printing the operation id, when it becomes executable and the command", async function () {
      const output = await ok("careledger:role:grant", "--role", "claims-reviewer", "--account", "7", "--from", "1");
      const id = operationId(ADMIN, manager, grantData(5, REVIEWER));
      const from = (await latestTime()) + HOUR;
      expect(output).to.equal(
        [
          `Scheduled: grantRole CLAIMS_REVIEWER (5) to ${REVIEWER} on AccessManager; ${ADMIN} calls it with an execution delay of 1 hour`,
          `  operation       ${id}`,
          `  executableFrom  ${iso(from)} (in 1 hour)`,
          `  expiresAt       ${iso(from + WEEK)}`,
          `  execute         npx hardhat careledger:op:execute --id ${id} --from 1 --network localhost`,
          `  cancel          npx hardhat careledger:op:cancel --id ${id} --from 1 --network localhost`,
          "",
        ].join("\n"),
      );
    });

    it("schedules the grant with the execution delay given for the new holder", async function () {
      const output = await ok(
        ...["careledger:role:grant", "--role", "5", "--account", REVIEWER, "--execution-delay", "600", "--from", ADMIN],
      );
      expect(output.split("\n")[0]).to.equal(
        `Scheduled: grantRole CLAIMS_REVIEWER (5) to ${REVIEWER} with an execution delay of 10 minutes on AccessManager; ` +
          `${ADMIN} calls it with an execution delay of 1 hour`,
      );
      expect(output).to.contain(`operation       ${operationId(ADMIN, manager, grantData(5, REVIEWER, 600))}`);
    });

    it("refuses to schedule the same grant again while it waits, saying when it becomes executable", async function () {
      const { id, executableFrom } = await scheduleReviewer();
      expectRefusal(
        await node.run("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1"),
        `operation ${id} is not executable yet: it becomes executable at ${iso(executableFrom)} (in 1 hour); ` +
          "run this again then",
      );
    });

    it("executes the scheduled grant when the same command runs again after the delay", async function () {
      const { id } = await scheduleReviewer();
      await advance(HOUR);
      const output = await ok("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1");
      expect(output).to.match(
        new RegExp(
          `^Granted CLAIMS_REVIEWER \\(5\\) to ${REVIEWER}\n  executionDelay  none\n  inForce         now\n` +
            `  operation       ${id}\n  tx              0x[0-9a-f]{64}\n$`,
        ),
      );
      expectRefusal(
        await node.run("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1"),
        `${REVIEWER} already holds CLAIMS_REVIEWER (5) with no execution delay; nothing to grant`,
      );
    });

    it("is refused by the AccessManager for an account that is not the role's admin", async function () {
      expectRefusal(
        await node.run("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "4"),
        `the contract refused: AccessManagerUnauthorizedAccount — ${AUDITOR} does not hold ADMIN (0), held by ` +
          `${ADMIN} (execution delay 1 hour)`,
      );
    });

    it("refuses an unknown role, listing the roles", async function () {
      expectRefusal(
        await node.run("careledger:role:grant", "--role", "REVIEWER", "--account", "7", "--from", "1"),
        '--role: unknown role "REVIEWER"; use one of ADMIN, REGISTRAR, PAUSER, AUDITOR, INSTITUTION_RECOVERY, ' +
          "CLAIMS_REVIEWER (or its number)",
      );
      expectRefusal(
        await node.run("careledger:role:grant", "--role", "6", "--account", "7", "--from", "1"),
        '--role: unknown role "6"; use one of ADMIN, REGISTRAR, PAUSER, AUDITOR, INSTITUTION_RECOVERY, ' +
          "CLAIMS_REVIEWER (or its number)",
      );
    });

    it("refuses an account index the network does not have, and an execution delay that is not whole seconds", async function () {
      expectRefusal(
        await node.run("careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "10", "--from", "1"),
        "--account 10: the network has 10 accounts (indexes 0 to 9); or give an address",
      );
      expectRefusal(
        await node.run(
          ...["careledger:role:grant", "--role", "CLAIMS_REVIEWER", "--account", "7", "--execution-delay", "1h"],
        ),
        '--execution-delay must be whole seconds, got "1h"',
      );
      expectRefusal(
        await node.run(
          ...["careledger:role:grant", "--role", "5", "--account", "7", "--execution-delay", "4294967296"],
        ),
        "--execution-delay must be at most 4294967295 seconds, got 4294967296",
      );
    });
  });

  describe("role:revoke", function () {
    it("schedules the admin's revocation, and executed after the delay the account no longer holds the role", async function () {
      const output = await ok("careledger:role:revoke", "--role", "auditor", "--account", "4", "--from", "1");
      const id = operationId(ADMIN, manager, MANAGER.encodeFunctionData("revokeRole", [3, AUDITOR]));
      expect(output.split("\n").slice(0, 2)).to.deep.equal([
        `Scheduled: revokeRole AUDITOR (3) from ${AUDITOR} on AccessManager; ${ADMIN} calls it with an execution delay of 1 hour`,
        `  operation       ${id}`,
      ]);
      await advance(HOUR);
      expect(await ok("careledger:op:execute", "--id", id, "--from", "1")).to.match(
        new RegExp(`^Executed: revokeRole AUDITOR \\(3\\) from ${AUDITOR} on AccessManager\n  operation  ${id}\n`),
      );
      expect(await ok("careledger:status")).to.match(/\n {2}AUDITOR {15}none\n/);
    });

    it("refuses to revoke a role the account does not hold", async function () {
      expectRefusal(
        await node.run("careledger:role:revoke", "--role", "CLAIMS_REVIEWER", "--account", "7", "--from", "1"),
        `${REVIEWER} does not hold CLAIMS_REVIEWER (5); nothing to revoke`,
      );
    });
  });

  describe("op:list", function () {
    it("lists a scheduled operation in words, with when it becomes executable and who scheduled it", async function () {
      const { id, executableFrom } = await scheduleReviewer();
      const now = await latestTime();
      expect(await ok("careledger:op:list")).to.equal(
        `1 scheduled operation(s) on the AccessManager at ${manager} (${iso(now)})\n` +
          `  ${id}  grantRole CLAIMS_REVIEWER (5) to ${REVIEWER} on AccessManager, executable from ${iso(executableFrom)} ` +
          `(in 1 hour); scheduled by ${ADMIN}\n`,
      );
    });

    it("names the module and function of a call on a module, and says when an operation is ready", async function () {
      await ok("careledger:pause", "--module", "record-registry", "--from", "3");
      await ok("careledger:unpause", "--module", "record-registry", "--from", "1");
      const id = operationId(
        ADMIN,
        addresses["RecordRegistry#RecordRegistry"] ?? "",
        PAUSABLE.encodeFunctionData("unpause"),
      );
      const executableFrom = (await latestTime()) + HOUR;
      await advance(HOUR);
      expect((await ok("careledger:op:list")).split("\n")[1]).to.equal(
        `  ${id}  unpause on RecordRegistry (record-registry), executable from ${iso(executableFrom)} ` +
          `(now, until ${iso(executableFrom + WEEK)}); scheduled by ${ADMIN}`,
      );
    });

    it("says so when nothing is scheduled, and leaves out executed and cancelled operations unless --all", async function () {
      const now = await latestTime();
      expect(await ok("careledger:op:list")).to.equal(
        `No scheduled operation on the AccessManager at ${manager} (${iso(now)})\n`,
      );
      const { id } = await scheduleReviewer();
      await ok("careledger:op:cancel", "--id", id, "--from", "1");
      expect(await ok("careledger:op:list")).to.match(/^No scheduled operation/);
      expect(await ok("careledger:op:list", "--all")).to.contain(
        `  ${id}  grantRole CLAIMS_REVIEWER (5) to ${REVIEWER}`,
      );
      expect(await ok("careledger:op:list", "--all")).to.contain("; scheduled by");
      expect(await ok("careledger:op:list", "--all")).to.match(/cancelled \(it was executable from [^)]+\)/);
    });
  });

  describe("op:execute", function () {
    it("refuses before the delay has passed, saying when the operation becomes executable", async function () {
      const { id, executableFrom } = await scheduleReviewer();
      await advance(HOUR - 120);
      expectRefusal(
        await node.run("careledger:op:execute", "--id", id, "--from", "1"),
        `operation ${id} is not executable yet: it becomes executable at ${iso(executableFrom)} (in 2 minutes); ` +
          "run this again then",
      );
    });

    it("grants the role after the delay, and status then lists the new holder", async function () {
      const { id } = await scheduleReviewer();
      await advance(HOUR);
      expect(await ok("careledger:op:execute", "--id", id, "--from", "1")).to.match(
        new RegExp(
          `^Executed: grantRole CLAIMS_REVIEWER \\(5\\) to ${REVIEWER} on AccessManager\n` +
            `  operation  ${id}\n  tx         0x[0-9a-f]{64}\n$`,
        ),
      );
      expect(await ok("careledger:status")).to.contain(`\n  CLAIMS_REVIEWER       ${REVIEWER}\n`);
      expectRefusal(
        await node.run("careledger:op:execute", "--id", id, "--from", "1"),
        `operation ${id} has been executed already`,
      );
    });

    it("refuses an operation that expired a week after it became executable", async function () {
      const { id, executableFrom } = await scheduleReviewer();
      await advance(HOUR + WEEK);
      expectRefusal(
        await node.run("careledger:op:execute", "--id", id, "--from", "1"),
        `operation ${id} expired at ${iso(executableFrom + WEEK)} without being executed; schedule it again`,
      );
      expect(await ok("careledger:op:list")).to.contain(`expired at ${iso(executableFrom + WEEK)} unexecuted`);
    });

    it("refuses an account other than the one that scheduled the operation, naming that one", async function () {
      const { id } = await scheduleReviewer();
      await advance(HOUR);
      expectRefusal(
        await node.run("careledger:op:execute", "--id", id, "--from", "0"),
        `operation ${id} was scheduled by ${ADMIN}, and only that account can execute it: use --from it`,
      );
    });

    it("refuses an id never scheduled, and one that is not 32 bytes", async function () {
      const unknown = `0x${"ab".repeat(32)}`;
      expectRefusal(
        await node.run("careledger:op:execute", "--id", unknown, "--from", "1"),
        `no operation ${unknown} was ever scheduled on the AccessManager at ${manager}; ` +
          "list the scheduled ones with careledger:op:list",
      );
      expectRefusal(
        await node.run("careledger:op:execute", "--id", "0x1234", "--from", "1"),
        '--id must be 32 bytes of hex (0x + 64 digits), got "0x1234"',
      );
    });
  });

  describe("op:cancel", function () {
    it("cancels a scheduled grant, which then cannot be executed nor cancelled again", async function () {
      const { id } = await scheduleReviewer();
      expect(await ok("careledger:op:cancel", "--id", id, "--from", "1")).to.match(
        new RegExp(
          `^Cancelled: grantRole CLAIMS_REVIEWER \\(5\\) to ${REVIEWER} on AccessManager\n` +
            `  operation  ${id}\n  tx         0x[0-9a-f]{64}\n$`,
        ),
      );
      await advance(HOUR);
      expectRefusal(
        await node.run("careledger:op:execute", "--id", id, "--from", "1"),
        `operation ${id} was cancelled; schedule it again to run it`,
      );
      expectRefusal(
        await node.run("careledger:op:cancel", "--id", id, "--from", "1"),
        `operation ${id} was cancelled already`,
      );
    });

    it("is refused by the AccessManager for an account that neither scheduled it nor guards the role", async function () {
      const { id } = await scheduleReviewer();
      expectRefusal(
        await node.run("careledger:op:cancel", "--id", id, "--from", "4"),
        `the contract refused: AccessManagerUnauthorizedCancel — sender ${AUDITOR}, caller ${ADMIN}, target ` +
          `${manager}, function AccessManager.grantRole`,
      );
    });
  });

  describe("pause and unpause", function () {
    it("pauses a module at once for the pauser, and refuses to pause it again", async function () {
      const target = addresses["ConsentRegistry#ConsentRegistry"];
      expect(await ok("careledger:pause", "--module", "consent-registry", "--from", "3")).to.match(
        new RegExp(
          `^Paused consent-registry \\(ConsentRegistry at ${target}\\)\n` +
            "  unpause  the admin, after its delay: careledger:unpause --module consent-registry\n" +
            "  tx       0x[0-9a-f]{64}\n$",
        ),
      );
      expectRefusal(
        await node.run("careledger:pause", "--module", "Consent_Registry", "--from", PAUSER),
        "consent-registry is already paused; the admin unpauses it with careledger:unpause --module consent-registry",
      );
    });

    it("is refused by the module for an account that is not a pauser", async function () {
      expectRefusal(
        await node.run("careledger:pause", "--module", "claims-adjudicator", "--from", "4"),
        `the contract refused: AccessManagedUnauthorized — ${AUDITOR} may not call ClaimsAdjudicator.pause; it ` +
          `needs PAUSER (2), held by ${PAUSER}; send it from a holder's key (--from), or the admin grants the role`,
      );
    });

    it("unpauses through the admin's delay: scheduled, refused before, done after", async function () {
      const target = addresses["ConsentRegistry#BreakGlass"] ?? "";
      await ok("careledger:pause", "--module", "break-glass", "--from", "3");
      const scheduled = await ok("careledger:unpause", "--module", "break-glass", "--from", "1");
      const id = operationId(ADMIN, target, PAUSABLE.encodeFunctionData("unpause"));
      expect(scheduled.split("\n")[0]).to.equal(
        `Scheduled: unpause on BreakGlass (break-glass); ${ADMIN} calls it with an execution delay of 1 hour`,
      );
      expect(scheduled).to.contain(`  operation       ${id}\n`);
      expect((await node.run("careledger:op:execute", "--id", id, "--from", "1")).code).to.equal(1);
      await advance(HOUR);
      expect(await ok("careledger:unpause", "--module", "break-glass", "--from", "1")).to.match(
        new RegExp(`^Unpaused break-glass \\(BreakGlass at ${target}\\)\n  operation  ${id}\n  tx         0x`),
      );
      expect(await ok("careledger:status")).to.contain(`\n  ${"break-glass".padEnd(20)}  ${target}  running\n`);
    });

    it("refuses to unpause a module that is not paused", async function () {
      expectRefusal(
        await node.run("careledger:unpause", "--module", "identity-registry", "--from", "1"),
        "identity-registry is not paused; nothing to unpause",
      );
    });

    it("refuses an unknown module and one that cannot be paused, listing the pausable ones", async function () {
      const list =
        "use one of identity-registry, identifier-registry, consent-registry, break-glass, record-registry, " +
        "claims-adjudicator, prior-authorizations, supply-chain, product-safety, trial-registry, trial-protocol, " +
        "trial-safety";
      expectRefusal(
        await node.run("careledger:pause", "--module", "billing", "--from", "3"),
        `--module: unknown or unpausable module "billing"; ${list}`,
      );
      expectRefusal(
        await node.run("careledger:pause", "--module", "consent-policy", "--from", "3"),
        `--module: unknown or unpausable module "consent-policy"; ${list}`,
      );
    });
  });

  describe("the command line", function () {
    it("prints a refusal as one line without a stack trace and exits 1", async function () {
      this.timeout(30_000);
      const unknown = `0x${"cd".repeat(32)}`;
      const result = await node.cli(["careledger:op:cancel", "--id", unknown, "--from", "1"]);
      expect(result.code).to.equal(1);
      expect(result.output.trim()).to.equal(
        `Error in plugin careledger: no operation ${unknown} was ever scheduled on the AccessManager at ${manager}; ` +
          "list the scheduled ones with careledger:op:list",
      );
    });

    it("lists the roles in the help of role:grant", async function () {
      this.timeout(30_000);
      const result = await node.cli(["help", "careledger:role:grant"]);
      expect(result.code).to.equal(0);
      expect(result.output).to.contain(
        "ADMIN, REGISTRAR, PAUSER, AUDITOR, INSTITUTION_RECOVERY, CLAIMS_REVIEWER (case-insensitive) or its number",
      );
    });
  });
});

describe("tasks: governance options", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  it("reads a role by name in any case, with dashes, by its on-chain label or by number", function () {
    expect(parseRole("claims-reviewer")).to.equal(5n);
    expect(parseRole("Claims_Reviewer")).to.equal(5n);
    expect(parseRole("consortium_admin")).to.equal(0n);
    expect(parseRole("2")).to.equal(2n);
  });

  it("says what the admins' execution delays mean, for none, one delay, several and no admin", function () {
    expect(adminDelay([3_600n])).to.equal("admin delay 1 hour: every admin operation is scheduled and waits that long");
    expect(adminDelay([0n, 0n])).to.equal("admin delay none: an admin's operations take effect at once");
    expect(adminDelay([0n, 3_600n, 2n * 86_400n])).to.equal(
      "admin delays 2 days, 1 hour and none: an admin with a delay schedules its operations, which wait that long; " +
        "one without acts at once",
    );
    expect(adminDelay([])).to.equal("no account holds ADMIN: no role can be granted or revoked, nor a module unpaused");
  });

  it("lists every pausable module in the help of pause and unpause", function () {
    expect(MODULE_HELP).to.equal(`Module: ${PAUSABLE_MODULES.slice(0, -1).join(", ")} or ${PAUSABLE_MODULES.at(-1)}`);
  });
});
