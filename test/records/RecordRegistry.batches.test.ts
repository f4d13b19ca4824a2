import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import {
  ALL_CATEGORIES,
  categorySet,
  DataCategory,
  DecisionBasis,
  DEFINED_CATEGORIES,
  Purpose,
  purposeSet,
} from "../../sdk";
import { DAY } from "../fixtures/identity";
import { type RecordsFixture, recordsFixture } from "../fixtures/records";
import {
  anchored,
  anchorOf,
  batchOf,
  hashPair,
  historyOf,
  LEAF_ENCODING,
  leafHash,
  leafStruct,
  type LeafValue,
  leavesFor,
  type RecordValue,
  NO_BATCH,
  NOTHING,
  pinNext,
  randomCommitment,
  RECORD_REASON,
  RecordStatus,
  SUSPENSION_REASON,
  toDecisionBasis,
  UNCONSCIOUS,
} from "./helpers";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const LABS = DataCategory.LaboratoryResults;
const IMAGING = DataCategory.Imaging;
const VITALS = DataCategory.VitalSigns;
const MENTAL = DataCategory.MentalHealth;
/** The mental health position as a plain number, to compare with a leaf's category. */
const MENTAL_POSITION: number = MENTAL;
/** The categories of the small batch the hospital anchors in most tests. */
const BATCH_CATEGORIES = categorySet(LABS, IMAGING, VITALS, MENTAL);
const MAX_BATCH_RECORDS = 1 << 20;
const MAX_PROOF_LENGTH = 20;

function spare(f: RecordsFixture, index = 0): HardhatEthersSigner {
  const key = f.spareKeys[index];
  if (key === undefined) throw new Error(`the records fixture has no spare key ${index}`);
  return key;
}

/** Seven records of three patients in the batch's categories, as leaves of `organization`'s batch (the hospital's). */
function smallLeaves(f: RecordsFixture, organization: bigint = f.hospitalId): LeafValue[] {
  return leavesFor(organization, [
    [randomCommitment(), f.patientId, LABS],
    [randomCommitment(), f.patientId, IMAGING],
    [randomCommitment(), f.patientId, MENTAL],
    [randomCommitment(), f.otherPatientId, LABS],
    [randomCommitment(), f.otherPatientId, VITALS],
    [randomCommitment(), f.representativeId, VITALS],
    [randomCommitment(), f.patientId, VITALS],
  ]);
}

interface Batch {
  tree: StandardMerkleTree<LeafValue>;
  root: string;
  anchoredAt: bigint;
}

/** `organization` (default: the hospital) anchors a tree over `leaves` declaring `categories`. */
async function anchorTree(
  f: RecordsFixture,
  leaves: LeafValue[],
  categories: number = BATCH_CATEGORIES,
  organization: HardhatEthersSigner = f.hospitalKey,
): Promise<Batch> {
  const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
  const anchoredAt = await pinNext();
  await (await f.records.connect(organization).anchorBatch(tree.root, leaves.length, categories, ZeroHash)).wait();
  return { tree, root: tree.root, anchoredAt };
}

/** The proof of leaf `index` of `tree`. */
function proofOf(tree: StandardMerkleTree<LeafValue>, index: number): string[] {
  return tree.getProof(index);
}

/**
 * A valid proof of `length` hashes for `leaf`: the leaf is hashed with `length` random siblings in turn, the last
 * node being the root. Lets a test build a proof longer than any StandardMerkleTree within the batch limit would.
 */
function chainProof(leaf: LeafValue, length: number): { root: string; proof: string[] } {
  const proof = Array.from({ length }, () => randomCommitment());
  const root = proof.reduce((node, sibling) => hashPair(node, sibling), leafHash(leaf));
  return { root, proof };
}

/** Flips the lowest bit of a 32-byte hex word. */
function flipBit(word: string): string {
  return "0x" + (BigInt(word) ^ 1n).toString(16).padStart(64, "0");
}

/** `accessor`'s decision on the patient's record `commitment` for `purpose` as the registry returns it. */
async function accessDecision(f: RecordsFixture, accessor: HardhatEthersSigner, commitment: string, purpose: number) {
  const d = await f.records.connect(accessor).recordAccess.staticCall(f.patientId, commitment, purpose);
  return { allowed: d.allowed, basis: toDecisionBasis(d.basis), accessor: d.accessor, grantee: d.grantee, ref: d.ref };
}

/** The version of the patient's grant to `grantee` (the `ref` of a grant basis). */
async function grantVersion(f: RecordsFixture, grantee: bigint): Promise<bigint> {
  return BigInt((await f.consent.consentOf(f.patientId, grantee)).version);
}

/** `author` anchors a fresh record of the patient in `category`; returns its commitment. */
async function anchorRecord(f: RecordsFixture, author: HardhatEthersSigner, category: DataCategory): Promise<string> {
  const commitment = randomCommitment();
  await (await f.records.connect(author).anchor(f.patientId, commitment, category, ZeroHash)).wait();
  return commitment;
}

/** `patientKey`'s patient grants `grantee` (default: the hospital) `categories` (default: all) for treatment. */
async function grantFor(
  f: RecordsFixture,
  patientKey: HardhatEthersSigner,
  patient: bigint,
  grantee: bigint = f.hospitalId,
  categories: number = ALL_CATEGORIES,
): Promise<void> {
  await f.consent
    .as(patientKey)
    .grant({ patient, grantee, categories, purposes: purposeSet(Purpose.Treatment), validUntil: f.grantUntil });
}

/** The other two patients of `smallLeaves` grant the hospital every category for treatment, as the patient did. */
async function consentToHospital(f: RecordsFixture): Promise<void> {
  await grantFor(f, f.otherPatientKey, f.otherPatientId);
  await grantFor(f, f.representativeKey, f.representativeId);
}

/**
 * `adopter` (id `adopterId`) adopts leaf `index` of the batch `organization` anchored; asserts the event (with
 * `basis`) and the read-back: the adopter as author, the batch's organization and time, `fromBatch`.
 */
async function expectAdopt(
  f: RecordsFixture,
  batch: Batch,
  index: number,
  adopter: HardhatEthersSigner,
  adopterId: bigint,
  basis: DecisionBasis,
  organization: bigint = f.hospitalId,
): Promise<void> {
  const { records } = f;
  const value = batch.tree.at(index);
  if (value === undefined) throw new Error(`the batch has no leaf ${index}`);
  const [commitment, patient, category] = value;
  await expect(records.connect(adopter).adopt(organization, batch.root, leafStruct(value), proofOf(batch.tree, index)))
    .to.emit(records, "RecordAdopted")
    .withArgs(commitment, batch.root, patient, organization, adopterId, category, basis);
  expect(await anchorOf(records, patient, commitment)).to.deep.equal(
    anchored({ patient, author: adopterId, organization, category, anchoredAt: batch.anchoredAt, fromBatch: true }),
  );
  expect(await historyOf(records, patient, commitment)).to.deep.equal([commitment]);
  expect(await records.latestVersion(patient, commitment)).to.equal(commitment);
}

/** `adopter`'s adoption of leaf `index` is refused with `error(args)` and nothing lands on the leaf's patient's chart. */
async function expectAdoptRefused(
  f: RecordsFixture,
  batch: Batch,
  index: number,
  adopter: HardhatEthersSigner,
  error: string,
  args: readonly unknown[],
  organization: bigint = f.hospitalId,
): Promise<void> {
  const { records } = f;
  const value = batch.tree.at(index);
  if (value === undefined) throw new Error(`the batch has no leaf ${index}`);
  const before = await anchorOf(records, value[1], value[0]);
  await expect(records.connect(adopter).adopt(organization, batch.root, leafStruct(value), proofOf(batch.tree, index)))
    .to.be.revertedWithCustomError(records, error)
    .withArgs(...args);
  expect(await anchorOf(records, value[1], value[0])).to.deep.equal(before);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("RecordRegistry", function () {
  // -------------------------------------------------------------------------------------------------------------------
  // anchorBatch
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchorBatch", function () {
    it("lets an active organization anchor a root and reads the batch back", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      const root = randomCommitment();
      const pointer = randomCommitment();
      expect(await batchOf(records, hospitalId, root)).to.deep.equal(NO_BATCH);
      const t = await pinNext();
      await expect(records.connect(hospitalKey).anchorBatch(root, 1000, BATCH_CATEGORIES, pointer))
        .to.emit(records, "RecordBatchAnchored")
        .withArgs(root, hospitalId, 1000, BATCH_CATEGORIES, pointer);
      expect(await batchOf(records, hospitalId, root)).to.deep.equal({
        organization: hospitalId,
        anchoredAt: t,
        count: 1000n,
        categories: BigInt(BATCH_CATEGORIES),
      });
      // The clinic, which holds no grant at all, anchors its own batch: no consent is asked per record.
      const clinicRoot = randomCommitment();
      await expect(records.connect(clinicKey).anchorBatch(clinicRoot, 3, categorySet(LABS), ZeroHash))
        .to.emit(records, "RecordBatchAnchored")
        .withArgs(clinicRoot, clinicId, 3, categorySet(LABS), ZeroHash);
      expect((await batchOf(records, clinicId, clinicRoot)).organization).to.equal(clinicId);
      // Each batch is read back under its own organization only.
      expect(await batchOf(records, clinicId, root)).to.deep.equal(NO_BATCH);
      expect(await batchOf(records, hospitalId, clinicRoot)).to.deep.equal(NO_BATCH);
    });

    it("accepts the bounds: one record, MAX_BATCH_RECORDS records, every defined category", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId } = f;
      expect(await records.MAX_BATCH_RECORDS()).to.equal(BigInt(MAX_BATCH_RECORDS));
      for (const [count, categories] of [
        [1, categorySet(DataCategory.Demographics)],
        [MAX_BATCH_RECORDS, DEFINED_CATEGORIES],
        [2, categorySet(DataCategory.Genomics)],
      ] as const) {
        const root = randomCommitment();
        await (await records.connect(hospitalKey).anchorBatch(root, count, categories, ZeroHash)).wait();
        expect(await batchOf(records, hospitalId, root)).to.include({
          count: BigInt(count),
          categories: BigInt(categories),
        });
      }
    });

    it("refuses anyone but an active organization with RecordNotAnOrganization", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, registrar, clinicId, clinicKey, hospitalKey, credentialExpiry } = f;
      const root = randomCommitment();
      const refuse = async (account: HardhatEthersSigner) => {
        await expect(records.connect(account).anchorBatch(root, 10, BATCH_CATEGORIES, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordNotAnOrganization")
          .withArgs(account.address);
      };
      for (const account of [
        f.cardiologistKey,
        f.deviceKey,
        f.patientKey,
        f.representativeKey,
        f.payerKey,
        f.sponsorKey,
        registrar,
        spare(f),
      ]) {
        await refuse(account);
      }
      await identity.as(registrar).suspend(clinicId, SUSPENSION_REASON);
      await refuse(clinicKey);
      // An organization whose credential has expired.
      await time.increaseTo(credentialExpiry);
      await refuse(hospitalKey);
      for (const organization of [clinicId, f.hospitalId]) {
        expect(await batchOf(records, organization, root)).to.deep.equal(NO_BATCH);
      }
    });

    it("refuses a zero root with RecordInvalidCommitment, checked first", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, cardiologistKey } = f;
      await expect(
        records.connect(hospitalKey).anchorBatch(ZeroHash, 10, BATCH_CATEGORIES, ZeroHash),
      ).to.be.revertedWithCustomError(records, "RecordInvalidCommitment");
      await expect(
        records.connect(cardiologistKey).anchorBatch(ZeroHash, 0, 0, ZeroHash),
      ).to.be.revertedWithCustomError(records, "RecordInvalidCommitment");
      expect(await batchOf(records, f.hospitalId, ZeroHash)).to.deep.equal(NO_BATCH);
    });

    it("refuses an empty or oversized count and an empty or undefined category set with RecordInvalidBatch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, cardiologistKey } = f;
      const root = randomCommitment();
      for (const [count, categories] of [
        [0, BATCH_CATEGORIES],
        [MAX_BATCH_RECORDS + 1, BATCH_CATEGORIES],
        [2 ** 32 - 1, BATCH_CATEGORIES],
        [10, 0],
        [10, 1 << 16],
        [10, BATCH_CATEGORIES | (1 << 16)],
        [10, ALL_CATEGORIES],
      ] as const) {
        await expect(records.connect(hospitalKey).anchorBatch(root, count, categories, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordInvalidBatch")
          .withArgs(count, categories);
      }
      // The batch's shape is checked before the caller.
      await expect(records.connect(cardiologistKey).anchorBatch(root, 0, BATCH_CATEGORIES, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidBatch")
        .withArgs(0, BATCH_CATEGORIES);
      expect(await batchOf(records, f.hospitalId, root)).to.deep.equal(NO_BATCH);
    });

    it("refuses a root the organization anchored already with RecordBatchExists, and keeps the first batch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId } = f;
      const root = randomCommitment();
      await (await records.connect(hospitalKey).anchorBatch(root, 10, BATCH_CATEGORIES, ZeroHash)).wait();
      const before = await batchOf(records, hospitalId, root);
      await expect(records.connect(hospitalKey).anchorBatch(root, 20, categorySet(LABS), ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordBatchExists")
        .withArgs(hospitalId, root);
      expect(await batchOf(records, hospitalId, root)).to.deep.equal(before);
    });

    it("anchors the same root for two organizations as two batches, each with its own count, categories and time", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      const root = randomCommitment();
      const t1 = await pinNext();
      await (await records.connect(hospitalKey).anchorBatch(root, 10, BATCH_CATEGORIES, ZeroHash)).wait();
      await time.increase(60);
      const t2 = await pinNext();
      // The clinic's root is the same hash: another organization's batch, not a duplicate.
      await expect(records.connect(clinicKey).anchorBatch(root, 20, categorySet(LABS), ZeroHash))
        .to.emit(records, "RecordBatchAnchored")
        .withArgs(root, clinicId, 20, categorySet(LABS), ZeroHash);
      expect(await batchOf(records, hospitalId, root)).to.deep.equal({
        organization: hospitalId,
        anchoredAt: t1,
        count: 10n,
        categories: BigInt(BATCH_CATEGORIES),
      });
      expect(await batchOf(records, clinicId, root)).to.deep.equal({
        organization: clinicId,
        anchoredAt: t2,
        count: 20n,
        categories: BigInt(categorySet(LABS)),
      });
      // Each organization can anchor it once.
      await expect(records.connect(clinicKey).anchorBatch(root, 20, categorySet(LABS), ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordBatchExists")
        .withArgs(clinicId, root);
    });

    it("refuses while paused with EnforcedPause", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, pauser } = f;
      await (await records.connect(pauser).pause()).wait();
      const root = randomCommitment();
      await expect(
        records.connect(hospitalKey).anchorBatch(root, 10, BATCH_CATEGORIES, ZeroHash),
      ).to.be.revertedWithCustomError(records, "EnforcedPause");
      expect(await batchOf(records, f.hospitalId, root)).to.deep.equal(NO_BATCH);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // verifyInclusion
  // -------------------------------------------------------------------------------------------------------------------

  describe("verifyInclusion", function () {
    it("proves every leaf of a small tree, whose leaves hash as the contract's double-hashed BatchLeaf", async function () {
      const f = await loadFixture(recordsFixture);
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      for (const [index, value] of tree.entries()) {
        expect(tree.leafHash(value), `leaf ${index}`).to.equal(leafHash(value));
        const proof = proofOf(tree, index);
        expect(await f.records.verifyInclusion(f.hospitalId, root, leafStruct(value), proof), `leaf ${index}`).to.equal(
          true,
        );
        expect(StandardMerkleTree.verify(root, LEAF_ENCODING, value, proof)).to.equal(true);
      }
    });

    it("proves the single leaf of a one-record batch with an empty proof", async function () {
      const f = await loadFixture(recordsFixture);
      const leaf: LeafValue = [randomCommitment(), f.patientId, LABS, f.hospitalId];
      const { root } = await anchorTree(f, [leaf], categorySet(LABS));
      expect(root).to.equal(leafHash(leaf));
      expect(await f.records.verifyInclusion(f.hospitalId, root, leafStruct(leaf), [])).to.equal(true);
    });

    it("rejects a leaf with another patient, another category, or another commitment", async function () {
      const f = await loadFixture(recordsFixture);
      const { records } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      const [commitment, patient, category] = leaves[0]!;
      const proof = proofOf(tree, 0);
      expect(
        await records.verifyInclusion(f.hospitalId, root, leafStruct([commitment, patient, category]), proof),
      ).to.equal(true);
      for (const wrong of [
        [commitment, f.otherPatientId, category],
        [commitment, patient + 1000n, category],
        [commitment, patient, IMAGING],
        [randomCommitment(), patient, category],
        [flipBit(commitment), patient, category],
      ] as RecordValue[]) {
        expect(
          await records.verifyInclusion(f.hospitalId, root, leafStruct(wrong), proof),
          JSON.stringify(wrong, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
        ).to.equal(false);
      }
    });

    it("rejects a leaf in a category outside the batch's declared set, even with a proof that holds", async function () {
      const f = await loadFixture(recordsFixture);
      const leaves = smallLeaves(f);
      // The tree holds a MentalHealth leaf, but the batch declares only labs, imaging and vitals.
      const { tree, root } = await anchorTree(f, leaves, categorySet(LABS, IMAGING, VITALS));
      const mental = leaves.findIndex(([, , category]) => category === MENTAL_POSITION);
      const proof = proofOf(tree, mental);
      expect(StandardMerkleTree.verify(root, LEAF_ENCODING, leaves[mental]!, proof)).to.equal(true);
      expect(await f.records.verifyInclusion(f.hospitalId, root, leafStruct(leaves[mental]!), proof)).to.equal(false);
      // The declared ones still verify.
      expect(await f.records.verifyInclusion(f.hospitalId, root, leafStruct(leaves[0]!), proofOf(tree, 0))).to.equal(
        true,
      );
    });

    it("rejects an undefined category without reverting", async function () {
      const f = await loadFixture(recordsFixture);
      const leaf: LeafValue = [randomCommitment(), f.patientId, 16, f.hospitalId];
      const { tree, root } = await anchorTree(
        f,
        [leaf, [randomCommitment(), f.patientId, LABS, f.hospitalId]],
        DEFINED_CATEGORIES,
      );
      const index = [...tree.entries()].find(([, v]) => v[2] === 16)![0];
      expect(await f.records.verifyInclusion(f.hospitalId, root, leafStruct(leaf), proofOf(tree, index))).to.equal(
        false,
      );
      expect(await f.records.verifyInclusion(f.hospitalId, root, leafStruct([leaf[0], leaf[1], 255]), [])).to.equal(
        false,
      );
    });

    it("rejects any leaf under a root no batch has", async function () {
      const f = await loadFixture(recordsFixture);
      const leaves = smallLeaves(f);
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      // The tree is sound, but nobody anchored it.
      expect(StandardMerkleTree.verify(tree.root, LEAF_ENCODING, leaves[0]!, proofOf(tree, 0))).to.equal(true);
      expect(
        await f.records.verifyInclusion(f.hospitalId, tree.root, leafStruct(leaves[0]!), proofOf(tree, 0)),
      ).to.equal(false);
      // Not even a one-leaf "tree" whose root is the leaf itself.
      expect(await f.records.verifyInclusion(f.hospitalId, leafHash(leaves[0]!), leafStruct(leaves[0]!), [])).to.equal(
        false,
      );
    });

    it("rejects a tampered, truncated, extended or borrowed proof", async function () {
      const f = await loadFixture(recordsFixture);
      const { records } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      const leaf = leafStruct(leaves[2]!);
      const proof = proofOf(tree, 2);
      expect(proof.length).to.be.greaterThan(1);
      for (const [index, element] of proof.entries()) {
        const tampered = [...proof];
        tampered[index] = flipBit(element);
        expect(await records.verifyInclusion(f.hospitalId, root, leaf, tampered), `element ${index} flipped`).to.equal(
          false,
        );
      }
      expect(await records.verifyInclusion(f.hospitalId, root, leaf, proof.slice(0, -1)), "truncated").to.equal(false);
      expect(
        await records.verifyInclusion(f.hospitalId, root, leaf, [...proof, randomCommitment()]),
        "extended",
      ).to.equal(false);
      expect(await records.verifyInclusion(f.hospitalId, root, leaf, []), "empty").to.equal(false);
      expect(
        await records.verifyInclusion(f.hospitalId, root, leaf, proofOf(tree, 3)),
        "another leaf's proof",
      ).to.equal(false);
      expect(await records.verifyInclusion(f.hospitalId, root, leaf, [...proof].reverse()), "reordered").to.equal(
        false,
      );
    });

    it("accepts a proof of MAX_PROOF_LENGTH hashes and rejects a valid one a hash longer", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey } = f;
      expect(await records.MAX_PROOF_LENGTH()).to.equal(BigInt(MAX_PROOF_LENGTH));
      const leaf: LeafValue = [randomCommitment(), f.patientId, LABS, f.hospitalId];
      for (const length of [MAX_PROOF_LENGTH, MAX_PROOF_LENGTH + 1]) {
        const { root, proof } = chainProof(leaf, length);
        await (
          await records.connect(hospitalKey).anchorBatch(root, MAX_BATCH_RECORDS, categorySet(LABS), ZeroHash)
        ).wait();
        expect(await records.verifyInclusion(f.hospitalId, root, leafStruct(leaf), proof), `${length} hashes`).to.equal(
          length <= MAX_PROOF_LENGTH,
        );
      }
    });
    it("answers per organization: the same root under another organization is another batch, with its own categories and only the leaves naming it", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalId, clinicKey, clinicId } = f;
      // One tree holding a labs and an imaging record twice: as leaves of the hospital's batch (0, 1) and as leaves
      // of the clinic's (2, 3). Both organizations can anchor its root, and each batch holds only its own leaves.
      const hospitalLeaves = smallLeaves(f).slice(0, 2);
      const leaves = [...hospitalLeaves, ...leavesFor(clinicId, hospitalLeaves)];
      const { tree, root } = await anchorTree(f, leaves);
      const labs = leafStruct(leaves[0]!);
      const imaging = leafStruct(leaves[1]!);
      // The clinic has no batch with this root: nothing is in it, not even the leaves that name the clinic.
      expect(await records.verifyInclusion(clinicId, root, labs, proofOf(tree, 2))).to.equal(false);
      expect(await records.verifyInclusion(hospitalId, root, labs, proofOf(tree, 0))).to.equal(true);
      // The hospital's batch does not hold the clinic's leaves, though they carry the same record.
      expect(await records.verifyInclusion(hospitalId, root, labs, proofOf(tree, 2))).to.equal(false);
      // Once the clinic anchors the same root declaring labs only, its batch holds its labs leaf but not its imaging
      // one (outside its categories) nor the hospital's labs leaf (which names the hospital); the hospital's batch
      // still holds its imaging leaf.
      await anchorTree(f, leaves, categorySet(LABS), clinicKey);
      expect(await records.verifyInclusion(clinicId, root, labs, proofOf(tree, 2))).to.equal(true);
      expect(await records.verifyInclusion(clinicId, root, imaging, proofOf(tree, 3))).to.equal(false);
      expect(await records.verifyInclusion(clinicId, root, labs, proofOf(tree, 0))).to.equal(false);
      expect(await records.verifyInclusion(hospitalId, root, imaging, proofOf(tree, 1))).to.equal(true);
      // An id that is no organization at all has no batch either.
      expect(await records.verifyInclusion(f.patientId, root, labs, proofOf(tree, 0))).to.equal(false);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // adopt
  // -------------------------------------------------------------------------------------------------------------------

  describe("adopt", function () {
    it("gives a proven record an anchor of its own: the batch's organization, the adopter as author, dated to the batch", async function () {
      const f = await loadFixture(recordsFixture);
      const { hospitalKey, hospitalId, cardiologistKey, cardiologistId } = f;
      await consentToHospital(f);
      const leaves = smallLeaves(f);
      const batch = await anchorTree(f, leaves);
      await time.increase(3600);
      for (const [index, [, , category]] of leaves.entries()) {
        // The hospital's wildcard grant does not open mental health; the cardiologist's named grant does.
        const [adopter, adopterId] =
          category === MENTAL_POSITION ? [cardiologistKey, cardiologistId] : [hospitalKey, hospitalId];
        await expectAdopt(f, batch, index, adopter, adopterId, DecisionBasis.Grant);
      }
    });

    it("makes the adopted record a record like any other: superseded, amended and read through the trail", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, hospitalKey, hospitalId, internistKey, internistId } = f;
      const leaves = smallLeaves(f);
      const batch = await anchorTree(f, leaves);
      const [commitment] = leaves[0]!;
      await expectAdopt(f, batch, 0, hospitalKey, hospitalId, DecisionBasis.Grant);

      // The internist reads it through the hospital's grant.
      await expect(records.connect(internistKey).recordAccess(patientId, commitment, Purpose.Treatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(
          commitment,
          patientId,
          internistId,
          hospitalId,
          Purpose.Treatment,
          DecisionBasis.OrganizationGrant,
          await grantVersion(f, hospitalId),
        );
      // The patient asks to amend it; the hospital, its curator, accepts.
      const requestCommitment = randomCommitment();
      await expect(records.connect(patientKey).requestAmendment(patientId, commitment, requestCommitment))
        .to.emit(records, "AmendmentRequested")
        .withArgs(1n, commitment, patientId, patientId, requestCommitment);
      const amended = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(hospitalKey).acceptAmendment(1n, amended, ZeroHash))
        .to.emit(records, "AmendmentAccepted")
        .withArgs(1n, commitment, amended);
      expect(await anchorOf(records, patientId, amended)).to.deep.equal(
        anchored({
          patient: patientId,
          author: hospitalId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: t,
          previous: commitment,
        }),
      );
      // The hospital corrects the amended version again.
      const corrected = randomCommitment();
      await expect(
        records.connect(hospitalKey).supersede(patientId, amended, corrected, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(amended, corrected, patientId, hospitalId, RECORD_REASON.correction, ZeroHash);
      expect(await historyOf(records, patientId, commitment)).to.deep.equal([commitment, amended, corrected]);
      expect((await anchorOf(records, patientId, commitment)).fromBatch).to.equal(true);
      expect((await anchorOf(records, patientId, corrected)).fromBatch).to.equal(false);
    });

    it("lets the adopting practitioner curate the record while affiliated, and the organization always", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, patientId, hospitalKey, hospitalId, internistKey, internistId } = f;
      const leaves = smallLeaves(f);
      const batch = await anchorTree(f, leaves);
      await expectAdopt(f, batch, 0, internistKey, internistId, DecisionBasis.OrganizationGrant);
      const [commitment] = leaves[0]!;
      const second = randomCommitment();
      await expect(
        records.connect(internistKey).supersede(patientId, commitment, second, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(commitment, second, patientId, internistId, RECORD_REASON.correction, ZeroHash);
      await identity.as(hospitalKey).releaseAffiliate(internistId);
      await expect(records.connect(internistKey).markEnteredInError(patientId, second, RECORD_REASON.duplicate))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(second, internistKey.address);
      await expect(records.connect(hospitalKey).markEnteredInError(patientId, second, RECORD_REASON.duplicate))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(second, patientId, hospitalId, RECORD_REASON.duplicate);
    });

    it("refuses an unknown batch with RecordUnknownBatch, a root known under another organization included", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      const leaves = smallLeaves(f);
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      await expect(records.connect(hospitalKey).adopt(hospitalId, tree.root, leafStruct(leaves[0]!), proofOf(tree, 0)))
        .to.be.revertedWithCustomError(records, "RecordUnknownBatch")
        .withArgs(hospitalId, tree.root);
      // The clinic anchors the root: it is the clinic's batch, still unknown under the hospital.
      await anchorTree(f, leaves, BATCH_CATEGORIES, clinicKey);
      await expect(records.connect(hospitalKey).adopt(hospitalId, tree.root, leafStruct(leaves[0]!), proofOf(tree, 0)))
        .to.be.revertedWithCustomError(records, "RecordUnknownBatch")
        .withArgs(hospitalId, tree.root);
      // Checked first: whoever asks, whatever the leaf.
      await expect(records.connect(spare(f)).adopt(hospitalId, tree.root, leafStruct([ZeroHash, 0n, 255]), []))
        .to.be.revertedWithCustomError(records, "RecordUnknownBatch")
        .withArgs(hospitalId, tree.root);
      expect(await anchorOf(records, f.patientId, leaves[0]![0])).to.deep.equal(NOTHING);
      expect((await batchOf(records, clinicId, tree.root)).organization).to.equal(clinicId);
    });

    it("refuses a leaf whose category the batch did not declare with RecordCategoryNotInBatch, before the caller", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves, categorySet(LABS, IMAGING, VITALS));
      const mental = leaves.findIndex(([, , category]) => category === MENTAL_POSITION);
      for (const caller of [hospitalKey, f.cardiologistKey, spare(f)]) {
        await expect(
          records.connect(caller).adopt(hospitalId, root, leafStruct(leaves[mental]!), proofOf(tree, mental)),
        )
          .to.be.revertedWithCustomError(records, "RecordCategoryNotInBatch")
          .withArgs(root, MENTAL);
      }
      for (const category of [16, 31, 32, 255]) {
        await expect(
          records
            .connect(hospitalKey)
            .adopt(hospitalId, root, leafStruct([randomCommitment(), f.patientId, category]), []),
        )
          .to.be.revertedWithCustomError(records, "RecordCategoryNotInBatch")
          .withArgs(root, category);
      }
      expect(await anchorOf(records, f.patientId, leaves[mental]![0])).to.deep.equal(NOTHING);
    });

    it("refuses a leaf the proof does not show in the batch with RecordNotInBatch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId } = f;
      await consentToHospital(f);
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      const [commitment, patient, category] = leaves[1]!;
      const proof = proofOf(tree, 1);
      const attempts: [RecordValue, string[]][] = [
        [[commitment, f.otherPatientId, category], proof],
        [[commitment, patient, LABS], proof],
        [
          [commitment, patient, category],
          [flipBit(proof[0]!), ...proof.slice(1)],
        ],
        [[commitment, patient, category], proofOf(tree, 0)],
        [[commitment, patient, category], []],
      ];
      for (const [leaf, badProof] of attempts) {
        await expect(records.connect(hospitalKey).adopt(hospitalId, root, leafStruct(leaf), badProof))
          .to.be.revertedWithCustomError(records, "RecordNotInBatch")
          .withArgs(root, commitment);
        expect(await anchorOf(records, leaf[1], commitment)).to.deep.equal(NOTHING);
      }
    });

    it("refuses a valid proof longer than MAX_PROOF_LENGTH with RecordNotInBatch and adopts at the limit", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId, patientId } = f;
      const long: LeafValue = [randomCommitment(), patientId, LABS, hospitalId];
      const atLimit: LeafValue = [randomCommitment(), patientId, LABS, hospitalId];
      const tooLong = chainProof(long, MAX_PROOF_LENGTH + 1);
      const limit = chainProof(atLimit, MAX_PROOF_LENGTH);
      for (const { root } of [tooLong, limit]) {
        await (
          await records.connect(hospitalKey).anchorBatch(root, MAX_BATCH_RECORDS, categorySet(LABS), ZeroHash)
        ).wait();
      }
      await expect(records.connect(hospitalKey).adopt(hospitalId, tooLong.root, leafStruct(long), tooLong.proof))
        .to.be.revertedWithCustomError(records, "RecordNotInBatch")
        .withArgs(tooLong.root, long[0]);
      expect(await anchorOf(records, patientId, long[0])).to.deep.equal(NOTHING);
      await expect(records.connect(hospitalKey).adopt(hospitalId, limit.root, leafStruct(atLimit), limit.proof))
        .to.emit(records, "RecordAdopted")
        .withArgs(atLimit[0], limit.root, patientId, hospitalId, hospitalId, LABS, DecisionBasis.Grant);
      expect((await anchorOf(records, patientId, atLimit[0])).author).to.equal(hospitalId);
    });

    it("refuses a commitment anchored already for the patient with RecordAlreadyAnchored: adopted twice, from another batch, or anchored directly", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId, cardiologistKey, clinicKey, clinicId, patientKey, patientId } = f;
      const direct = await anchorRecord(f, cardiologistKey, LABS);
      const leaves: LeafValue[] = [...smallLeaves(f), [direct, patientId, LABS, hospitalId]];
      const batch = await anchorTree(f, leaves);
      await expectAdopt(f, batch, 0, hospitalKey, hospitalId, DecisionBasis.Grant);
      const adopted = await anchorOf(records, patientId, leaves[0]![0]);
      await expectAdoptRefused(f, batch, 0, hospitalKey, "RecordAlreadyAnchored", [patientId, leaves[0]![0]]);
      // Another batch of the hospital's, and the clinic's batch (the patient consented to the clinic), hold the same
      // leaf: the patient's namespace has the commitment already, whichever organization asks.
      const again = await anchorTree(f, [leaves[0]!, [randomCommitment(), patientId, LABS, hospitalId]]);
      await expectAdoptRefused(f, again, 0, hospitalKey, "RecordAlreadyAnchored", [patientId, leaves[0]![0]]);
      await grantFor(f, patientKey, patientId, clinicId, categorySet(LABS));
      const clinicBatch = await anchorTree(
        f,
        leavesFor(clinicId, [leaves[0]!, [randomCommitment(), patientId, LABS]]),
        BATCH_CATEGORIES,
        clinicKey,
      );
      await expectAdoptRefused(
        f,
        clinicBatch,
        0,
        clinicKey,
        "RecordAlreadyAnchored",
        [patientId, leaves[0]![0]],
        clinicId,
      );
      expect(await anchorOf(records, patientId, leaves[0]![0])).to.deep.equal(adopted);
      // A record anchored directly cannot be adopted over.
      const directBefore = await anchorOf(records, patientId, direct);
      await expectAdoptRefused(f, batch, leaves.length - 1, hospitalKey, "RecordAlreadyAnchored", [patientId, direct]);
      expect(await anchorOf(records, patientId, direct)).to.deep.equal(directBefore);
      expect(directBefore.fromBatch).to.equal(false);
    });

    it("refuses a leaf with a zero commitment with RecordInvalidCommitment, though the proof holds", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId } = f;
      const leaf: LeafValue = [ZeroHash, f.patientId, LABS, hospitalId];
      const { tree, root } = await anchorTree(f, [leaf, [randomCommitment(), f.patientId, LABS, hospitalId]]);
      expect(await records.verifyInclusion(hospitalId, root, leafStruct(leaf), proofOf(tree, 0))).to.equal(true);
      await expect(
        records.connect(hospitalKey).adopt(hospitalId, root, leafStruct(leaf), proofOf(tree, 0)),
      ).to.be.revertedWithCustomError(records, "RecordInvalidCommitment");
    });

    it("refuses while paused with EnforcedPause", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, pauser, hospitalKey, hospitalId } = f;
      const leaves = smallLeaves(f);
      const batch = await anchorTree(f, leaves);
      await (await records.connect(pauser).pause()).wait();
      await expect(
        records.connect(hospitalKey).adopt(hospitalId, batch.root, leafStruct(leaves[0]!), proofOf(batch.tree, 0)),
      ).to.be.revertedWithCustomError(records, "EnforcedPause");
      expect(await anchorOf(records, f.patientId, leaves[0]![0])).to.deep.equal(NOTHING);
      // Verifying is a view: it still answers.
      expect(
        await records.verifyInclusion(hospitalId, batch.root, leafStruct(leaves[0]!), proofOf(batch.tree, 0)),
      ).to.equal(true);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // adopt: who may adopt, and under which consent decision
  // -------------------------------------------------------------------------------------------------------------------

  describe("adopt under consent", function () {
    it("adopts on the organization's own grant, basis Grant, the organization as author", async function () {
      const f = await loadFixture(recordsFixture);
      const batch = await anchorTree(f, smallLeaves(f));
      await expectAdopt(f, batch, 0, f.hospitalKey, f.hospitalId, DecisionBasis.Grant);
    });

    it("adopts through a practitioner or device of the organization on its grant, basis OrganizationGrant, naming the adopter", async function () {
      const f = await loadFixture(recordsFixture);
      const batch = await anchorTree(f, smallLeaves(f));
      await expectAdopt(f, batch, 0, f.internistKey, f.internistId, DecisionBasis.OrganizationGrant);
      await expectAdopt(f, batch, 6, f.deviceKey, f.deviceId, DecisionBasis.OrganizationGrant);
      // The cardiologist's own grant names imaging: her basis is her grant, the record still the hospital's.
      await expectAdopt(f, batch, 1, f.cardiologistKey, f.cardiologistId, DecisionBasis.Grant);
    });

    it("adopts a sensitive category only through a named grant the organization's wildcard cannot stand in for", async function () {
      const f = await loadFixture(recordsFixture);
      const { hospitalKey, hospitalId, internistKey, internistId, patientId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      const reason = DecisionBasis.SensitiveCategoryNotNamed;
      await expectAdoptRefused(f, batch, 2, hospitalKey, "RecordAnchorNotPermitted", [
        patientId,
        hospitalId,
        MENTAL,
        reason,
      ]);
      await expectAdoptRefused(f, batch, 2, internistKey, "RecordAnchorNotPermitted", [
        patientId,
        internistId,
        MENTAL,
        reason,
      ]);
      await expectAdopt(f, batch, 2, f.cardiologistKey, f.cardiologistId, DecisionBasis.Grant);
    });

    it("refuses the organization and its people once the patient denied the organization the category (ExplicitDeny)", async function () {
      const f = await loadFixture(recordsFixture);
      const {
        consent,
        patientKey,
        patientId,
        hospitalKey,
        hospitalId,
        internistKey,
        internistId,
        deviceKey,
        deviceId,
      } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      await consent.as(patientKey).setDeny(patientId, hospitalId, categorySet(LABS));
      for (const [key, id] of [
        [hospitalKey, hospitalId],
        [internistKey, internistId],
        [deviceKey, deviceId],
      ] as const) {
        await expectAdoptRefused(f, batch, 0, key, "RecordAnchorNotPermitted", [
          patientId,
          id,
          LABS,
          DecisionBasis.ExplicitDeny,
        ]);
      }
      expect(await anchorOf(f.records, patientId, batch.tree.at(0)![0])).to.deep.equal(NOTHING);
      // The categories she did not deny are still adopted.
      await expectAdopt(f, batch, 1, hospitalKey, hospitalId, DecisionBasis.Grant);
    });

    // The same decision as an anchor: the patient's own named grant to a practitioner is decided before the
    // organization's word, so a deny of the organization does not shut it (see the anchoring tests).
    it("still adopts through a practitioner's own named grant after a deny of her organization, as an anchor would", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, hospitalId, cardiologistKey, cardiologistId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      await consent.as(patientKey).setDeny(patientId, hospitalId, categorySet(LABS));
      expect((await consent.decide(patientId, cardiologistKey.address, LABS, Purpose.Treatment)).basis).to.equal(
        DecisionBasis.Grant,
      );
      await expectAdopt(f, batch, 0, cardiologistKey, cardiologistId, DecisionBasis.Grant);
    });

    it("refuses a patient who granted the organization nothing (NoGrant), and a grant revoked or expired", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, otherPatientId, hospitalKey, hospitalId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      // leaf 3 is the other patient's, who granted the hospital nothing.
      await expectAdoptRefused(f, batch, 3, hospitalKey, "RecordAnchorNotPermitted", [
        otherPatientId,
        hospitalId,
        LABS,
        DecisionBasis.NoGrant,
      ]);
      await consent.as(patientKey).revoke(patientId, hospitalId);
      await expectAdoptRefused(f, batch, 0, hospitalKey, "RecordAnchorNotPermitted", [
        patientId,
        hospitalId,
        LABS,
        DecisionBasis.NoGrant,
      ]);
      // A new grant for a day: adopted up to its last second, refused from its end.
      const validUntil = BigInt(await time.latest()) + BigInt(DAY);
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: hospitalId,
        categories: categorySet(LABS, IMAGING),
        purposes: purposeSet(Purpose.Treatment),
        validUntil,
      });
      await time.setNextBlockTimestamp(validUntil - 1n);
      await expectAdopt(f, batch, 0, hospitalKey, hospitalId, DecisionBasis.Grant);
      await time.setNextBlockTimestamp(validUntil);
      await expectAdoptRefused(f, batch, 1, hospitalKey, "RecordAnchorNotPermitted", [
        patientId,
        hospitalId,
        IMAGING,
        DecisionBasis.NoGrant,
      ]);
    });

    it("adopts in an emergency under break-glass with basis BreakGlass, the emergency doctor as author", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, otherPatientId, erDoctorKey, erDoctorId, hospitalKey, hospitalId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      await expectAdoptRefused(f, batch, 3, erDoctorKey, "RecordAnchorNotPermitted", [
        otherPatientId,
        erDoctorId,
        LABS,
        DecisionBasis.NoGrant,
      ]);
      await consent.as(erDoctorKey).openBreakGlass(otherPatientId, UNCONSCIOUS, 3600);
      await expectAdopt(f, batch, 3, erDoctorKey, erDoctorId, DecisionBasis.BreakGlass);
      // The session is the doctor's, not the hospital's.
      await expectAdoptRefused(f, batch, 4, hospitalKey, "RecordAnchorNotPermitted", [
        otherPatientId,
        hospitalId,
        VITALS,
        DecisionBasis.NoGrant,
      ]);
    });

    it("adopts on a grant for emergency treatment only, with basis Grant", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, otherPatientKey, otherPatientId, hospitalKey, hospitalId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      await consent.as(otherPatientKey).grant({
        patient: otherPatientId,
        grantee: hospitalId,
        categories: categorySet(VITALS),
        purposes: purposeSet(Purpose.EmergencyTreatment),
        validUntil: BigInt(await time.latest()) + BigInt(DAY),
      });
      await expectAdopt(f, batch, 4, hospitalKey, hospitalId, DecisionBasis.Grant);
      await expectAdoptRefused(f, batch, 3, hospitalKey, "RecordAnchorNotPermitted", [
        otherPatientId,
        hospitalId,
        LABS,
        DecisionBasis.NoGrant,
      ]);
    });

    it("refuses with RecordNotBatchOrganization whoever is allowed to anchor but is not the organization or one of its people", async function () {
      const f = await loadFixture(recordsFixture);
      const { patientKey, patientId, hospitalId, clinicKey, clinicId, clinicDoctorKey, clinicDoctorId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      // The patient consented to the clinic and its doctor: they may anchor her labs, but not adopt the hospital's.
      await grantFor(f, patientKey, patientId, clinicId, categorySet(LABS));
      await grantFor(f, patientKey, patientId, clinicDoctorId, categorySet(LABS));
      for (const outsider of [clinicKey, clinicDoctorKey, patientKey, f.representativeKey]) {
        await expectAdoptRefused(f, batch, 0, outsider, "RecordNotBatchOrganization", [
          hospitalId,
          batch.root,
          outsider.address,
        ]);
      }
    });

    it("refuses a practitioner who moved to another organization with RecordNotBatchOrganization", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, registrar, clinicKey, clinicId, cardiologistKey, cardiologistId, hospitalId } = f;
      const leaves = smallLeaves(f);
      const batch = await anchorTree(f, leaves);
      await identity.as(registrar).setAffiliation(cardiologistId, clinicId);
      await identity.as(clinicKey).acceptAffiliate(cardiologistId);
      // Her own grant still allows her to anchor imaging; the hospital's batch is no longer hers to adopt.
      await expectAdoptRefused(f, batch, 1, cardiologistKey, "RecordNotBatchOrganization", [
        hospitalId,
        batch.root,
        cardiologistKey.address,
      ]);
      // The clinic's batch of the same records is.
      const clinicBatch = await anchorTree(f, leavesFor(clinicId, leaves), BATCH_CATEGORIES, clinicKey);
      await expectAdopt(f, clinicBatch, 1, cardiologistKey, cardiologistId, DecisionBasis.Grant, clinicId);
    });

    it("refuses an unknown, inactive or non-clinical caller with RecordInvalidAuthor", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, registrar, patientKey, patientId, hospitalKey, internistKey, internistId, payerKey, payerId } =
        f;
      const batch = await anchorTree(f, smallLeaves(f));
      await grantFor(f, patientKey, patientId, payerId, categorySet(LABS));
      await identity.as(hospitalKey).releaseAffiliate(internistId);
      for (const caller of [spare(f), registrar, payerKey, internistKey]) {
        await expectAdoptRefused(f, batch, 0, caller, "RecordInvalidAuthor", [caller.address]);
      }
      await identity.as(registrar).suspend(f.hospitalId, SUSPENSION_REASON);
      await expectAdoptRefused(f, batch, 0, hospitalKey, "RecordInvalidAuthor", [hospitalKey.address]);
    });

    // The consent decision is asked before membership (adopt shares the anchor's authorization, then compares
    // organizations): an outsider the patient has not consented to learns only that it may not anchor.
    it("refuses an outsider without consent with RecordAnchorNotPermitted, asked before membership", async function () {
      const f = await loadFixture(recordsFixture);
      const { patientId, clinicKey, clinicId, clinicDoctorKey, clinicDoctorId } = f;
      const batch = await anchorTree(f, smallLeaves(f));
      for (const [key, id] of [
        [clinicKey, clinicId],
        [clinicDoctorKey, clinicDoctorId],
      ] as const) {
        await expectAdoptRefused(f, batch, 0, key, "RecordAnchorNotPermitted", [
          patientId,
          id,
          LABS,
          DecisionBasis.NoGrant,
        ]);
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // adopt: each organization's batches are its own
  // -------------------------------------------------------------------------------------------------------------------

  describe("adopt per organization", function () {
    it("adopts from each organization's batch of the same records under that organization, each once per patient", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      await grantFor(f, patientKey, patientId, clinicId, categorySet(LABS, IMAGING, VITALS));
      const leaves = smallLeaves(f);
      const hospitalBatch = await anchorTree(f, leaves);
      await time.increase(3600);
      // The clinic's batch of the same records: its leaves name the clinic, so its root is another.
      const clinicBatch = await anchorTree(f, leavesFor(clinicId, leaves), BATCH_CATEGORIES, clinicKey);
      expect(clinicBatch.root).not.to.equal(hospitalBatch.root);
      // The clinic adopts leaf 0 from its batch, dated to its batch; the hospital adopts leaf 1 from its own.
      await expectAdopt(f, clinicBatch, 0, clinicKey, clinicId, DecisionBasis.Grant, clinicId);
      await expectAdopt(f, hospitalBatch, 1, hospitalKey, hospitalId, DecisionBasis.Grant);
      // Neither adopts through the other's batch.
      await expectAdoptRefused(
        f,
        clinicBatch,
        6,
        hospitalKey,
        "RecordNotBatchOrganization",
        [clinicId, clinicBatch.root, hospitalKey.address],
        clinicId,
      );
      await expectAdoptRefused(f, hospitalBatch, 6, clinicKey, "RecordNotBatchOrganization", [
        hospitalId,
        hospitalBatch.root,
        clinicKey.address,
      ]);
      // The patient's namespace holds leaf 0 once: the hospital cannot adopt it too.
      await expectAdoptRefused(f, hospitalBatch, 0, hospitalKey, "RecordAlreadyAnchored", [patientId, leaves[0]![0]]);
      expect(await anchorOf(records, patientId, leaves[0]![0])).to.include({
        organization: clinicId,
        anchoredAt: clinicBatch.anchoredAt,
      });
      expect(await anchorOf(records, patientId, leaves[1]![0])).to.include({
        organization: hospitalId,
        anchoredAt: hospitalBatch.anchoredAt,
      });
    });

    // Every leaf names its batch's organization: the organization is hashed into the leaf, beside the record's values.
    // So another organization's batch of the same root (a copied root) holds none of them, whatever its categories
    // and whatever consent the patient gave it.
    it("proves leaf values only under the organization their tree was built for, not under another's batch of the same root", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      // The patient consented to the clinic: its adoption reaches the proof.
      await grantFor(f, patientKey, patientId, clinicId, categorySet(LABS, IMAGING, VITALS));
      const leaves = smallLeaves(f);
      // Organization A (the hospital) anchors its tree; organization B (the clinic) anchors a copy of its root.
      const hospitalBatch = await anchorTree(f, leaves);
      const copy = await anchorTree(f, leaves, BATCH_CATEGORIES, clinicKey);
      expect(copy.root).to.equal(hospitalBatch.root);
      expect((await batchOf(records, clinicId, copy.root)).organization).to.equal(clinicId);
      for (const [index, value] of hospitalBatch.tree.entries()) {
        const proof = proofOf(hospitalBatch.tree, index);
        expect(await records.verifyInclusion(hospitalId, hospitalBatch.root, leafStruct(value), proof)).to.equal(true);
        expect(await records.verifyInclusion(clinicId, copy.root, leafStruct(value), proof), `leaf ${index}`).to.equal(
          false,
        );
      }
      // The clinic cannot adopt from its copy, nor can one of its people: the proof holds for the hospital's leaf only.
      const [commitment] = leaves[0]!;
      await expectAdoptRefused(f, copy, 0, clinicKey, "RecordNotInBatch", [copy.root, commitment], clinicId);
      await expectAdoptRefused(f, copy, 1, f.clinicDoctorKey, "RecordNotInBatch", [copy.root, leaves[1]![0]], clinicId);
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);

      // A tree built with B's id over the same records verifies only under B, even once A anchors a copy of it.
      const clinicLeaves = leavesFor(clinicId, leaves);
      const clinicBatch = await anchorTree(f, clinicLeaves, BATCH_CATEGORIES, clinicKey);
      const hospitalCopy = await anchorTree(f, clinicLeaves);
      expect(hospitalCopy.root).to.equal(clinicBatch.root);
      for (const [index, value] of clinicBatch.tree.entries()) {
        const proof = proofOf(clinicBatch.tree, index);
        expect(await records.verifyInclusion(clinicId, clinicBatch.root, leafStruct(value), proof)).to.equal(true);
        expect(await records.verifyInclusion(hospitalId, clinicBatch.root, leafStruct(value), proof)).to.equal(false);
      }
      await expectAdoptRefused(f, hospitalCopy, 0, hospitalKey, "RecordNotInBatch", [clinicBatch.root, commitment]);
      // Each adopts from the batch built for it: the clinic leaf 0, the hospital leaf 1.
      await expectAdopt(f, clinicBatch, 0, clinicKey, clinicId, DecisionBasis.Grant, clinicId);
      await expectAdopt(f, hospitalBatch, 1, hospitalKey, hospitalId, DecisionBasis.Grant);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // recordAccess
  // -------------------------------------------------------------------------------------------------------------------

  describe("recordAccess", function () {
    it("records a granted access with the grantee, basis and grant version: cardiologist Grant, internist OrganizationGrant", async function () {
      const f = await loadFixture(recordsFixture);
      const {
        records,
        patientId,
        cardiologistKey,
        cardiologistId,
        internistKey,
        internistId,
        hospitalId,
        deviceKey,
        deviceId,
      } = f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      const cardiologistVersion = await grantVersion(f, cardiologistId);
      const hospitalVersion = await grantVersion(f, hospitalId);
      expect(cardiologistVersion).to.be.greaterThan(0n);
      for (const [key, id, grantee, basis, ref] of [
        [cardiologistKey, cardiologistId, cardiologistId, DecisionBasis.Grant, cardiologistVersion],
        [internistKey, internistId, hospitalId, DecisionBasis.OrganizationGrant, hospitalVersion],
        [deviceKey, deviceId, hospitalId, DecisionBasis.OrganizationGrant, hospitalVersion],
      ] as const) {
        expect(await accessDecision(f, key, record, Purpose.Treatment)).to.deep.equal({
          allowed: true,
          basis,
          accessor: id,
          grantee,
          ref,
        });
        await expect(records.connect(key).recordAccess(patientId, record, Purpose.Treatment))
          .to.emit(records, "RecordAccessGranted")
          .withArgs(record, patientId, id, grantee, Purpose.Treatment, basis, ref)
          .and.not.to.emit(records, "RecordAccessDenied");
      }
    });

    it("records the patient's own access (Self) and her representative's (Representative), for any purpose", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, representativeKey, representativeId, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey, MENTAL);
      await expect(records.connect(patientKey).recordAccess(patientId, record, Purpose.Research))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(record, patientId, patientId, patientId, Purpose.Research, DecisionBasis.Self, 0n);
      await expect(records.connect(representativeKey).recordAccess(patientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(record, patientId, representativeId, patientId, Purpose.Treatment, DecisionBasis.Representative, 0n);
    });

    it("records a break-glass access for emergency treatment with the session id as ref", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientId, erDoctorKey, erDoctorId, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey, MENTAL);
      const { sessionId } = await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, 3600);
      await expect(records.connect(erDoctorKey).recordAccess(patientId, record, Purpose.EmergencyTreatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(
          record,
          patientId,
          erDoctorId,
          erDoctorId,
          Purpose.EmergencyTreatment,
          DecisionBasis.BreakGlass,
          sessionId,
        );
    });

    it("records a denied access without reverting: the clinic's doctor (NoGrant), a sensitive category through the organization", async function () {
      const f = await loadFixture(recordsFixture);
      const {
        records,
        patientId,
        clinicDoctorKey,
        clinicDoctorId,
        internistKey,
        internistId,
        hospitalId,
        cardiologistKey,
        cardiologistId,
        payerKey,
        payerId,
      } = f;
      const labs = await anchorRecord(f, cardiologistKey, LABS);
      const mental = await anchorRecord(f, cardiologistKey, MENTAL);
      const cases = [
        [clinicDoctorKey, labs, Purpose.Treatment, clinicDoctorId, 0n, DecisionBasis.NoGrant],
        [internistKey, mental, Purpose.Treatment, internistId, hospitalId, DecisionBasis.SensitiveCategoryNotNamed],
        [cardiologistKey, labs, Purpose.Payment, cardiologistId, 0n, DecisionBasis.NoGrant],
        [payerKey, labs, Purpose.Payment, payerId, 0n, DecisionBasis.NoGrant],
      ] as const;
      for (const [key, record, purpose, accessor, grantee, basis] of cases) {
        expect(await accessDecision(f, key, record, purpose)).to.deep.equal({
          allowed: false,
          basis,
          accessor,
          grantee,
          ref: 0n,
        });
        await expect(records.connect(key).recordAccess(patientId, record, purpose))
          .to.emit(records, "RecordAccessDenied")
          .withArgs(record, patientId, accessor, grantee, purpose, basis)
          .and.not.to.emit(records, "RecordAccessGranted");
      }
    });

    it("records an ExplicitDeny after the patient denied the cardiologist", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientKey, patientId, cardiologistKey, cardiologistId } = f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      await consent.as(patientKey).setDeny(patientId, cardiologistId, categorySet(LABS));
      await expect(records.connect(cardiologistKey).recordAccess(patientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessDenied")
        .withArgs(record, patientId, cardiologistId, cardiologistId, Purpose.Treatment, DecisionBasis.ExplicitDeny);
    });

    it("refuses an unregistered, suspended or expired accessor with RecordAccessorInactive", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, registrar, internistId, internistKey, cardiologistKey, credentialExpiry, patientKey } =
        f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      const refuse = async (account: HardhatEthersSigner) => {
        await expect(records.connect(account).recordAccess(f.patientId, record, Purpose.Treatment))
          .to.be.revertedWithCustomError(records, "RecordAccessorInactive")
          .withArgs(account.address);
      };
      await refuse(spare(f));
      await refuse(registrar);
      await identity.as(registrar).suspend(internistId, SUSPENSION_REASON);
      await refuse(internistKey);
      await time.increaseTo(credentialExpiry);
      await refuse(cardiologistKey);
      // The patient's id does not expire.
      await expect(records.connect(patientKey).recordAccess(f.patientId, record, Purpose.Treatment)).to.emit(
        records,
        "RecordAccessGranted",
      );
    });

    it("refuses a commitment never anchored with RecordUnknown, checked before the purpose", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey } = f;
      const unknown = randomCommitment();
      for (const purpose of [Purpose.Treatment, 6]) {
        await expect(records.connect(patientKey).recordAccess(f.patientId, unknown, purpose))
          .to.be.revertedWithCustomError(records, "RecordUnknown")
          .withArgs(f.patientId, unknown);
      }
      await expect(records.connect(spare(f)).recordAccess(f.patientId, unknown, Purpose.Treatment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
    });

    it("decides in the namespace asked: the same commitment of two patients is read under each patient's consent", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, otherPatientId, otherPatientKey, cardiologistKey, cardiologistId } = f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      await (await records.connect(otherPatientKey).anchor(otherPatientId, record, LABS, ZeroHash)).wait();
      await expect(records.connect(cardiologistKey).recordAccess(patientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(
          record,
          patientId,
          cardiologistId,
          cardiologistId,
          Purpose.Treatment,
          DecisionBasis.Grant,
          await grantVersion(f, cardiologistId),
        );
      // The other patient granted her nothing: his copy of the commitment is refused, and logged under his id.
      await expect(records.connect(cardiologistKey).recordAccess(otherPatientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessDenied")
        .withArgs(record, otherPatientId, cardiologistId, 0n, Purpose.Treatment, DecisionBasis.NoGrant);
      await expect(records.connect(otherPatientKey).recordAccess(otherPatientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(record, otherPatientId, otherPatientId, otherPatientId, Purpose.Treatment, DecisionBasis.Self, 0n);
    });

    it("refuses an undefined purpose with RecordInvalidPurpose", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      for (const purpose of [6, 7, 255]) {
        await expect(records.connect(patientKey).recordAccess(f.patientId, record, purpose))
          .to.be.revertedWithCustomError(records, "RecordInvalidPurpose")
          .withArgs(purpose);
      }
    });

    it("records accesses to every version, superseded and entered-in-error ones included", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, cardiologistId } = f;
      const first = await anchorRecord(f, cardiologistKey, LABS);
      const second = randomCommitment();
      await (
        await records.connect(cardiologistKey).supersede(patientId, first, second, ZeroHash, RECORD_REASON.correction)
      ).wait();
      await (
        await records.connect(cardiologistKey).markEnteredInError(patientId, second, RECORD_REASON.duplicate)
      ).wait();
      const version = await grantVersion(f, cardiologistId);
      for (const [commitment, status] of [
        [first, RecordStatus.Superseded],
        [second, RecordStatus.EnteredInError],
      ] as const) {
        expect((await anchorOf(records, patientId, commitment)).status).to.equal(status);
        await expect(records.connect(cardiologistKey).recordAccess(patientId, commitment, Purpose.Treatment))
          .to.emit(records, "RecordAccessGranted")
          .withArgs(
            commitment,
            patientId,
            cardiologistId,
            cardiologistId,
            Purpose.Treatment,
            DecisionBasis.Grant,
            version,
          );
      }
    });

    it("keeps recording, granted and denied, while the registry is paused", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, pauser, patientId, cardiologistKey, cardiologistId, clinicDoctorKey, clinicDoctorId } = f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      await (await records.connect(pauser).pause()).wait();
      expect(await records.paused()).to.equal(true);
      await expect(records.connect(cardiologistKey).recordAccess(patientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(
          record,
          patientId,
          cardiologistId,
          cardiologistId,
          Purpose.Treatment,
          DecisionBasis.Grant,
          await grantVersion(f, cardiologistId),
        );
      await expect(records.connect(clinicDoctorKey).recordAccess(patientId, record, Purpose.Treatment))
        .to.emit(records, "RecordAccessDenied")
        .withArgs(record, patientId, clinicDoctorId, 0n, Purpose.Treatment, DecisionBasis.NoGrant);
    });
  });
});
