import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";

import {
  deploymentCodeProblems,
  immutableRanges,
  loadDeployment,
  maskImmutables,
  recordedCode,
  sameCode,
} from "../../../sdk/core/deployment";

const hex = (bytes: number[]): string => `0x${Buffer.from(bytes).toString("hex")}`;

/**
 * The check every task makes before it uses a recorded deployment (issue 14, finding 1): the code at each recorded
 * address against the artifact Ignition saved, immutables aside, quickly (`sameCode`) or exactly (`maskImmutables`
 * over solc's immutable references, for careledger:doctor).
 */
describe("sdk/core/deployment: the recorded code", function () {
  describe("sameCode", function () {
    const artifact = [0x60, 0x80, ...new Array<number>(32).fill(0), 0x56, 0x00, 0x00, 0x5b];

    it("accepts the artifact with an immutable written into a run of 32 zero bytes", function () {
      const deployed = [...artifact];
      deployed.splice(2, 32, ...new Array<number>(32).fill(0xab));
      expect(sameCode(hex(deployed), hex(artifact))).to.equal(true);
    });

    it("refuses any other byte changed, a short zero run changed, or a different length", function () {
      const changed = [...artifact];
      changed[0] = 0x61;
      expect(sameCode(hex(changed), hex(artifact))).to.equal(false);
      const shortRun = [...artifact];
      shortRun[35] = 0x01; // inside the two-byte zero run, which cannot hold an immutable
      expect(sameCode(hex(shortRun), hex(artifact))).to.equal(false);
      expect(sameCode(hex([...artifact, 0]), hex(artifact))).to.equal(false);
      expect(sameCode("0x", hex(artifact))).to.equal(false);
    });

    // Property: a code differing from the artifact in a byte outside every run of ≥ 32 zeros is never accepted, and
    // one differing only inside such runs always is.
    it("tells apart changes inside and outside the immutables' runs, for any code", function () {
      const code = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 200,
      });
      fc.assert(
        fc.property(code, fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, value) => {
          const artifactBytes = [...bytes, ...new Array<number>(32).fill(0)];
          const position = at % artifactBytes.length;
          const inRun = position >= bytes.length; // the trailing 32 zeros: an immutable's word
          const deployed = [...artifactBytes];
          deployed[position] = (artifactBytes[position] ?? 0) ^ value;
          const zeroRun = (i: number): boolean => {
            let start = i;
            while (start > 0 && artifactBytes[start - 1] === 0) start--;
            let end = i;
            while (end < artifactBytes.length && artifactBytes[end] === 0) end++;
            return artifactBytes[i] === 0 && end - start >= 32;
          };
          expect(sameCode(hex(deployed), hex(artifactBytes))).to.equal(inRun || zeroRun(position));
        }),
      );
    });
  });

  describe("maskImmutables and immutableRanges", function () {
    it("zeroes the immutables' bytes and nothing else", function () {
      expect(
        maskImmutables("0x11223344556677", [
          { start: 1, length: 2 },
          { start: 5, length: 1 },
        ]),
      ).to.equal("11000044550077");
    });

    it("reads the ranges solc reports for a contract, none for one it does not know", function () {
      const buildInfo = {
        output: {
          contracts: {
            "contracts/A.sol": {
              A: { evm: { deployedBytecode: { immutableReferences: { "7": [{ start: 3, length: 32 }] } } } },
            },
          },
        },
      };
      expect(immutableRanges(buildInfo, "contracts/A.sol", "A")).to.deep.equal([{ start: 3, length: 32 }]);
      expect(immutableRanges(buildInfo, "contracts/B.sol", "B")).to.deep.equal([]);
      expect(immutableRanges(undefined, "contracts/A.sol", "A")).to.deep.equal([]);
    });
  });

  describe("recordedCode and deploymentCodeProblems", function () {
    let dir: string;
    const A = "0x00000000000000000000000000000000000000aa";
    const B = "0x00000000000000000000000000000000000000bb";
    const C = "0x00000000000000000000000000000000000000cc";

    before(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-record-"));
      const record = path.join(dir, "chain-5");
      fs.mkdirSync(path.join(record, "artifacts"), { recursive: true });
      fs.writeFileSync(path.join(record, "deployed_addresses.json"), JSON.stringify({ "M#A": A, "M#B": B, "M#C": C }));
      for (const name of ["A", "B"]) {
        fs.writeFileSync(
          path.join(record, "artifacts", `M#${name}.json`),
          JSON.stringify({ sourceName: `contracts/${name}.sol`, contractName: name, deployedBytecode: "0x6080" }),
        );
      }
    });

    after(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reports each address: matching, different, missing, or without an artifact to compare", async function () {
      const chain: Record<string, string> = { [A]: "0x6080", [B]: "0x6081", [C]: "0x6080" };
      const reader = { getCode: (address: string) => Promise.resolve(chain[address.toLowerCase()] ?? "0x") };
      const statuses = (await recordedCode(reader, 5n, { dir })).map(({ contract, status }) => [contract, status]);
      expect(statuses).to.deep.equal([
        ["M#A", "matches"],
        ["M#B", "different code"],
        ["M#C", "no artifact"],
      ]);
      expect(await deploymentCodeProblems(reader, 5n, dir)).to.deep.equal([
        { contract: "M#B", address: "0x00000000000000000000000000000000000000bB", problem: "different code" },
      ]);
      const empty = { getCode: () => Promise.resolve("0x") };
      expect((await deploymentCodeProblems(empty, 5n, dir)).map(({ problem }) => problem)).to.deep.equal([
        "no code",
        "no code",
        "no code",
      ]);
    });
  });
});

describe("sdk/core/deployment: the block a deployment started in", function () {
  const ADDRESSES = Object.fromEntries(
    [
      "AccessManager#AccessManager",
      "IdentityRegistry#IdentityRegistry",
      "IdentifierRegistry#IdentifierRegistry",
      "ConsentPolicy#ConsentPolicy",
      "ConsentRegistry#ConsentRegistry",
      "ConsentRegistry#BreakGlass",
      "RecordRegistry#RecordRegistry",
      "ClaimsAdjudicator#ClaimsAdjudicator",
      "ClaimsAdjudicator#PriorAuthorizations",
      "SupplyChain#SupplyChain",
      "SupplyChain#ProductSafety",
      "Trials#TrialRegistry",
      "Trials#TrialProtocol",
      "Trials#TrialSafety",
    ].map((future, i) => [future, `0x${(i + 1).toString(16).padStart(40, "0")}`]),
  );
  const confirm = (futureId: string, blockNumber: number) =>
    JSON.stringify({
      futureId,
      hash: "0x01",
      receipt: { blockNumber, status: "SUCCESS" },
      type: "TRANSACTION_CONFIRM",
    });

  function record(journal?: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-record-"));
    fs.mkdirSync(path.join(dir, "chain-7"));
    fs.writeFileSync(path.join(dir, "chain-7", "deployed_addresses.json"), JSON.stringify(ADDRESSES));
    if (journal !== undefined) fs.writeFileSync(path.join(dir, "chain-7", "journal.jsonl"), journal.join("\n"));
    return dir;
  }

  it("is the lowest block of the transactions Ignition's journal saw confirmed", function () {
    const dir = record([
      "", // Ignition's journal starts with an empty line
      JSON.stringify({ chainId: 7, type: "DEPLOYMENT_INITIALIZE" }),
      confirm("AccessManager#AccessManager", 1_204),
      JSON.stringify({ futureId: "CareLedger#grant_ADMIN", type: "TRANSACTION_SEND", nonce: 1, blockNumber: 3 }),
      confirm("TestStablecoin#TestStablecoin", 1_203),
      confirm("IdentityRegistry#IdentityRegistry", 1_215),
      '{"futureId":"RecordRegistry#RecordRegistry","type":"TRANSACTION_CONFIRM","receipt":{"blockNu', // cut short
    ]);
    expect(loadDeployment(7n, dir).deployedAtBlock).to.equal(1_203);
  });

  it("is left out when the journal is missing or confirms no transaction, and scans start at block 0", function () {
    expect(loadDeployment(7n, record())).to.not.have.property("deployedAtBlock");
    const unconfirmed = record([JSON.stringify({ chainId: 7, type: "DEPLOYMENT_INITIALIZE" })]);
    expect(loadDeployment(7n, unconfirmed)).to.not.have.property("deployedAtBlock");
  });
});
