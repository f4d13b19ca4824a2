import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { Interface } from "ethers";

import { anvilAvailable, startTaskNode, type TaskNode, type TaskResult } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

/** Anvil's development accounts by index, as deploy/parameters/localhost.json assigns them. */
const REGISTRAR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"; // 2
const PAUSER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"; // 3
const ACCOUNT_6 = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
/** An encryption key (secp256k1, apart from the account keys), as the e2e derives its own. */
const ENCRYPTION_KEY = "0xc8f52a2d9d94b98c1cbf4a5a7df5d94b6371c4212e3ffdb4cded1cc69a32ab93";
const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

/** What an operator sees of a refusal: one line, the contract's error explained, and exit code 1. */
function expectRefusal(result: TaskResult, line: string | RegExp): void {
  const lines = result.output.split("\n").filter((text) => text.trim() !== "");
  expect(lines, result.output).to.have.length(1);
  const printed = lines[0]!;
  const refusal = printed.slice(printed.indexOf("the contract refused: "));
  if (typeof line === "string") expect(refusal).to.equal(line);
  else expect(refusal).to.match(line);
  expect(result.code).to.equal(1);
}

/**
 * The contract refusals of issue 14, finding 3, as the operator reads them from real task calls against a node:
 * enums and participants by name, timestamps as ISO dates, and for an unauthorized caller the role the function needs
 * and who holds it.
 */
describe("tasks: refusals", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(120_000);
    node = await startTaskNode();
    const deployed = await node.run("careledger:deploy", "--parameters", "localhost");
    expect(deployed.code, deployed.output).to.equal(0);
    // The hospital (account 5), registered by the registrar, and a patient who registers herself (account 6).
    const hospital = await node.run(
      ...["careledger:identity:register", "--kind", "organization", "--controller", "5"],
      ...["--credential", "accreditation A-2291", "--expires", "2099-01-01", "--from", "2"],
    );
    expect(hospital.output).to.contain("Participant 1 registered");
    const patient = await node.run("careledger:identity:register-patient", "--from", "6");
    expect(patient.output).to.contain("Patient 2 registered");
  });

  after(function () {
    (node as TaskNode | undefined)?.stop(); // undefined when the file was skipped
  });

  it("names the category and the consent decision when an author may not anchor a record", async function () {
    this.timeout(30_000);
    const file = path.join(node.work, "potassium.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        resourceType: "Observation",
        status: "final",
        category: [
          {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }],
          },
        ],
        code: { coding: [{ system: "http://loinc.org", code: "2823-3" }] },
        valueQuantity: { value: 4.1, unit: "mmol/L" },
      }),
    );
    const result = await node.run(
      ...["careledger:record:anchor", "--file", file, "--patient", "2", "--key", ENCRYPTION_KEY],
      ...["--store", path.join(node.work, "blobs"), "--from", "5"],
    );
    expectRefusal(
      result,
      "the contract refused: RecordAnchorNotPermitted — author 1 may not add LaboratoryResults to patient 2's " +
        "chart: her consent decision is NoGrant; the patient grants it that category for treatment " +
        "(careledger:consent:grant)",
    );
  });

  it("shows a credential expiry in the past as ISO dates, and what to give instead", async function () {
    const result = await node.run(
      ...["careledger:identity:register", "--kind", "organization", "--controller", "7"],
      // A bare date where a period ends is the whole UTC day: the credential would expire at its last second.
      ...["--credential", "accreditation B-1", "--expires", "2020-01-01", "--from", "2"],
    );
    expectRefusal(
      result,
      new RegExp(
        "^the contract refused: IdentityCredentialExpiryInPast — the credential expiry 2020-01-01T23:59:59Z is not " +
          `after the chain's time ${ISO}; give an --expires in the future$`,
      ),
    );
  });

  it("names the function an unauthorized caller called, the role it needs and who holds it", async function () {
    const result = await node.run("careledger:identity:status", "--id", "1", "--action", "suspend", "--from", "6");
    expectRefusal(
      result,
      `the contract refused: AccessManagedUnauthorized — ${ACCOUNT_6} may not call IdentityRegistry.suspend; it ` +
        `needs REGISTRAR (1), held by ${REGISTRAR}; send it from a holder's key (--from), or the admin grants the role`,
    );
  });

  it("prints the same one line, and exits 1, through Hardhat's command line", async function () {
    this.timeout(30_000);
    const result = await node.cli(["careledger:identity:status", "--id", "1", "--action", "suspend", "--from", "6"]);
    expect(result.output).not.to.match(/^\s+at /m);
    expectRefusal(
      result,
      `the contract refused: AccessManagedUnauthorized — ${ACCOUNT_6} may not call IdentityRegistry.suspend; it ` +
        `needs REGISTRAR (1), held by ${REGISTRAR}; send it from a holder's key (--from), or the admin grants the role`,
    );
  });

  it("names the participant and the key when a key does not control the id", async function () {
    const result = await node.run("careledger:identity:rotate", "--id", "2", "--to", "8", "--from", "7");
    expectRefusal(
      result,
      "the contract refused: IdentityNotController — participant 2 is not controlled by " +
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955; send it from the participant's key (--from)",
    );
  });

  it("says a paused module is paused and who unpauses it", async function () {
    const snapshot = await node.rpc<string>("evm_snapshot");
    try {
      const record = node.addresses();
      const pause = new Interface(["function pause()"]).encodeFunctionData("pause");
      const to = record["IdentityRegistry#IdentityRegistry"];
      await node.rpc("eth_sendTransaction", [{ from: PAUSER, to, data: pause, gasPrice: "0x0" }]);
      const result = await node.run("careledger:identity:register-patient", "--from", "9");
      expectRefusal(
        result,
        "the contract refused: EnforcedPause — the module is paused; careledger:status shows it; the admin unpauses",
      );
    } finally {
      await node.rpc("evm_revert", [snapshot]);
    }
  });
});
