import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, id, keccak256, toBeHex, zeroPadValue } from "ethers";
import fc from "fast-check";

import {
  buildDataBatch,
  DATA_LEAF_ENCODING,
  dataProof,
  type DataEntry,
  MAX_BATCH_ENTRIES,
  MAX_BATCH_SUBJECTS,
} from "../../../sdk/trials/data";
import { TrialRegistry__factory } from "../../../typechain-types";
import { systemFixture } from "../../fixtures/system";
import { trialsFixture } from "../../fixtures/trials";

const TRIAL = 7n;
const coder = AbiCoder.defaultAbiCoder();

/** A salted commitment to a case-report form entry, by a label. */
const entryOf = (label: string): string => id(`crf:${label}`);

/** Five entries of three participants, met in the order 5, 3, 9 (not ascending). */
const ENTRIES: DataEntry[] = [
  { patient: 5n, entry: entryOf("5/visit-1") },
  { patient: 3n, entry: entryOf("3/visit-1") },
  { patient: 5n, entry: entryOf("5/visit-2") },
  { patient: 9n, entry: entryOf("9/visit-1") },
  { patient: 3n, entry: entryOf("3/visit-2") },
];

/** The leaf `TrialRegistry.verifyData` checks: `keccak256(bytes.concat(keccak256(abi.encode(trial, patient, entry))))`. */
function solidityLeaf(trialId: bigint, patient: bigint, entry: string): string {
  return keccak256(keccak256(coder.encode(["uint64", "uint64", "bytes32"], [trialId, patient, entry])));
}

/** Whether `proof` proves `entry` of `patient` in trial `trialId` against `root`. */
function verifies(root: string, trialId: bigint, patient: bigint, entry: string, proof: string[]): boolean {
  return StandardMerkleTree.verify(root, [...DATA_LEAF_ENCODING], [trialId, patient, entry], proof);
}

describe("sdk/trials/data", function () {
  describe("buildDataBatch", function () {
    it("gives the StandardMerkleTree root over (trial, patient, entry), the count and the trial", function () {
      const batch = buildDataBatch(TRIAL, ENTRIES);
      const expected = StandardMerkleTree.of(
        ENTRIES.map((e) => [TRIAL, e.patient, e.entry]),
        ["uint64", "uint64", "bytes32"],
      );
      expect(batch.root).to.equal(expected.root);
      expect(batch.count).to.equal(ENTRIES.length);
      expect(batch.trialId).to.equal(TRIAL);
      expect([...batch.tree.entries()]).to.have.length(ENTRIES.length);
    });

    // `anchorData` refuses subjects not listed in strictly ascending id order (`TrialSubjectsNotAscending`).
    it("names each participant once, in ascending id order, whatever the order of the entries", function () {
      expect(buildDataBatch(TRIAL, ENTRIES).subjects).to.deep.equal([3n, 5n, 9n]);
      expect(buildDataBatch(TRIAL, [...ENTRIES].reverse()).subjects).to.deep.equal([3n, 5n, 9n]);
      const wide = [
        { patient: 2n ** 64n - 1n, entry: entryOf("max") },
        { patient: 10n, entry: entryOf("ten") },
      ];
      expect(buildDataBatch(TRIAL, wide).subjects).to.deep.equal([10n, 2n ** 64n - 1n]);
    });

    it("gives another root for another trial, the same entries notwithstanding", function () {
      expect(buildDataBatch(TRIAL + 1n, ENTRIES).root).to.not.equal(buildDataBatch(TRIAL, ENTRIES).root);
    });

    it("refuses an empty batch", function () {
      expect(() => buildDataBatch(TRIAL, [])).to.throw(Error, "a data batch needs at least one entry");
    });

    it("refuses an entry given twice for a participant, whatever the hex case", function () {
      const upper = `0x${entryOf("5/visit-1").slice(2).toUpperCase()}`;
      const twice = [...ENTRIES, { patient: 5n, entry: upper }];
      expect(() => buildDataBatch(TRIAL, twice)).to.throw(
        Error,
        `entry ${upper} of participant 5 is in the batch twice`,
      );
    });

    it("accepts the same entry for two participants (the leaves differ by patient)", function () {
      const entry = entryOf("shared");
      const batch = buildDataBatch(TRIAL, [
        { patient: 1n, entry },
        { patient: 2n, entry },
      ]);
      expect(batch.count).to.equal(2);
      expect(batch.subjects).to.deep.equal([1n, 2n]);
    });

    it("gives a batch the registry anchors as it is, with proofs TrialRegistry.verifyData accepts", async function () {
      const f = await loadFixture(trialsFixture);
      const third = await f.newPatient();
      for (const [patient, key] of [
        [f.patientId, f.patientKey],
        [f.otherPatientId, f.otherPatientKey],
        [third.id, third.key],
      ] as const) {
        await f.enroll(patient, key);
      }
      // Entries met in descending id order, two per participant.
      const patients = [f.patientId, f.otherPatientId, third.id].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      const entries = patients.flatMap((patient) =>
        ["visit-1", "visit-2"].map((visit) => ({ patient, entry: entryOf(`${patient}/${visit}`) })),
      );
      const batch = buildDataBatch(f.trialId, entries);
      const registry = f.trialRegistry.connect(f.cardiologistKey);
      await expect(registry.anchorData(f.trialId, 1, batch.root, batch.count, batch.subjects))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batch.root, entries.length, [...patients].reverse());
      for (const { patient, entry } of entries) {
        const proof = dataProof(batch, patient, entry);
        expect(await f.trialRegistry.verifyData(f.trialId, 1, patient, entry, proof)).to.equal(true);
      }
      const [first, second] = entries;
      const proofOfSecond = dataProof(batch, second!.patient, second!.entry);
      expect(await f.trialRegistry.verifyData(f.trialId, 1, first!.patient, first!.entry, proofOfSecond)).to.equal(
        false,
      );
      const stranger = entryOf("not in the batch");
      expect(await f.trialRegistry.verifyData(f.trialId, 1, first!.patient, stranger, proofOfSecond)).to.equal(false);
    });

    it(`names at most MAX_BATCH_SUBJECTS (${MAX_BATCH_SUBJECTS}) participants`, function () {
      const entries = (n: number): DataEntry[] =>
        Array.from({ length: n }, (_, i) => ({ patient: BigInt(i + 1), entry: entryOf(`p${i}`) }));
      expect(buildDataBatch(TRIAL, entries(MAX_BATCH_SUBJECTS)).subjects).to.have.length(MAX_BATCH_SUBJECTS);
      expect(() => buildDataBatch(TRIAL, entries(MAX_BATCH_SUBJECTS + 1))).to.throw(
        Error,
        `a data batch names at most ${MAX_BATCH_SUBJECTS} participants, got ${MAX_BATCH_SUBJECTS + 1}`,
      );
      // Many entries of few participants are fine.
      const many = Array.from({ length: 600 }, (_, i) => ({ patient: BigInt(i % 3), entry: entryOf(`e${i}`) }));
      expect(buildDataBatch(TRIAL, many).subjects).to.deep.equal([0n, 1n, 2n]);
    });

    it("holds the registry's limits (MAX_BATCH_ENTRIES, MAX_BATCH_SUBJECTS)", async function () {
      const { trialRegistry } = await loadFixture(systemFixture);
      expect(BigInt(MAX_BATCH_ENTRIES)).to.equal(await trialRegistry.MAX_BATCH_ENTRIES());
      expect(BigInt(MAX_BATCH_SUBJECTS)).to.equal(await trialRegistry.MAX_BATCH_SUBJECTS());
    });

    // For any batch of distinct (patient, entry) pairs: the count is the number of entries, the subjects are the
    // distinct patients in ascending order, and every entry's proof verifies against the root.
    it("proves every entry of any batch, naming its participants in ascending order (property)", function () {
      const batches = fc.uniqueArray(
        fc.record({ patient: fc.bigInt({ min: 0n, max: 6n }), label: fc.integer({ min: 0, max: 20 }) }),
        { minLength: 1, maxLength: 40, selector: (e) => `${e.patient}:${e.label}` },
      );
      fc.assert(
        fc.property(batches, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (raw, trialId) => {
          const entries = raw.map(({ patient, label }) => ({ patient, entry: zeroPadValue(toBeHex(label + 1), 32) }));
          const batch = buildDataBatch(trialId, entries);
          expect(batch.count).to.equal(entries.length);
          const distinct = [...new Set(entries.map((e) => e.patient))];
          expect(batch.subjects).to.deep.equal(distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
          for (const { patient, entry } of entries) {
            expect(verifies(batch.root, trialId, patient, entry, dataProof(batch, patient, entry))).to.equal(true);
          }
        }),
        { numRuns: 60 },
      );
    });
  });

  describe("dataProof", function () {
    it("gives a proof of each entry that StandardMerkleTree.verify accepts", function () {
      const batch = buildDataBatch(TRIAL, ENTRIES);
      for (const { patient, entry } of ENTRIES) {
        expect(verifies(batch.root, TRIAL, patient, entry, dataProof(batch, patient, entry))).to.equal(true);
      }
    });

    it("finds an entry whatever its hex case", function () {
      const batch = buildDataBatch(TRIAL, ENTRIES);
      const { patient, entry } = ENTRIES[3]!;
      expect(dataProof(batch, patient, `0x${entry.slice(2).toUpperCase()}`)).to.deep.equal(
        dataProof(batch, patient, entry),
      );
    });

    it("gives a proof that holds for nothing else: another trial, participant or entry", function () {
      const batch = buildDataBatch(TRIAL, ENTRIES);
      const { patient, entry } = ENTRIES[0]!;
      const proof = dataProof(batch, patient, entry);
      expect(verifies(batch.root, TRIAL + 1n, patient, entry, proof)).to.equal(false);
      expect(verifies(batch.root, TRIAL, 3n, entry, proof)).to.equal(false);
      expect(verifies(batch.root, TRIAL, patient, entryOf("5/visit-2"), proof)).to.equal(false);
    });

    it("refuses an entry not in the batch, and an entry of another participant", function () {
      const batch = buildDataBatch(TRIAL, ENTRIES);
      const missing = entryOf("5/visit-9");
      expect(() => dataProof(batch, 5n, missing)).to.throw(
        Error,
        `entry ${missing} of participant 5 is not in the batch`,
      );
      const ofThree = entryOf("3/visit-1");
      expect(() => dataProof(batch, 5n, ofThree)).to.throw(
        Error,
        `entry ${ofThree} of participant 5 is not in the batch`,
      );
    });
  });

  describe("the leaf", function () {
    it("is (uint64 trial, uint64 patient, bytes32 entry), the types of TrialRegistry.verifyData", function () {
      expect([...DATA_LEAF_ENCODING]).to.deep.equal(["uint64", "uint64", "bytes32"]);
      const inputs = TrialRegistry__factory.createInterface().getFunction("verifyData").inputs;
      expect(inputs.map((p) => p.name)).to.deep.equal(["trialId", "batchId", "patient", "entry", "proof"]);
      expect([inputs[0]!.type, inputs[2]!.type, inputs[3]!.type]).to.deep.equal([...DATA_LEAF_ENCODING]);
    });

    it("is double-hashed as TrialRegistry.verifyData hashes it", function () {
      const batch = buildDataBatch(TRIAL, ENTRIES);
      for (const [, value] of batch.tree.entries()) {
        const [trial, patient, entry] = value;
        expect(batch.tree.leafHash(value)).to.equal(solidityLeaf(BigInt(trial), BigInt(patient), entry));
      }
      // A tree of one leaf has the leaf's hash as its root: the batch of a single entry.
      const { patient, entry } = ENTRIES[1]!;
      expect(buildDataBatch(TRIAL, [{ patient, entry }]).root).to.equal(solidityLeaf(TRIAL, patient, entry));
    });
  });
});
