import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { ALL_CATEGORIES, categorySet, DataCategory, DecisionBasis, DEFINED_CATEGORIES, Purpose } from "../../sdk";
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

/** Seven records of three patients in the batch's categories. */
function smallLeaves(f: RecordsFixture): LeafValue[] {
  return [
    [randomCommitment(), f.patientId, LABS],
    [randomCommitment(), f.patientId, IMAGING],
    [randomCommitment(), f.patientId, MENTAL],
    [randomCommitment(), f.otherPatientId, LABS],
    [randomCommitment(), f.otherPatientId, VITALS],
    [randomCommitment(), f.representativeId, VITALS],
    [randomCommitment(), f.patientId, VITALS],
  ];
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

/** `accessor`'s decision on `commitment`'s record for `purpose` as the registry returns it, as plain values. */
async function accessDecision(f: RecordsFixture, accessor: HardhatEthersSigner, commitment: string, purpose: number) {
  const d = await f.records.connect(accessor).recordAccess.staticCall(commitment, purpose);
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
      expect(await batchOf(records, root)).to.deep.equal({
        organization: 0n,
        anchoredAt: 0n,
        count: 0n,
        categories: 0n,
      });
      const t = await pinNext();
      await expect(records.connect(hospitalKey).anchorBatch(root, 1000, BATCH_CATEGORIES, pointer))
        .to.emit(records, "RecordBatchAnchored")
        .withArgs(root, hospitalId, 1000, BATCH_CATEGORIES, pointer);
      expect(await batchOf(records, root)).to.deep.equal({
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
      expect((await batchOf(records, clinicRoot)).organization).to.equal(clinicId);
    });

    it("accepts the bounds: one record, MAX_BATCH_RECORDS records, every defined category", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey } = f;
      expect(await records.MAX_BATCH_RECORDS()).to.equal(BigInt(MAX_BATCH_RECORDS));
      for (const [count, categories] of [
        [1, categorySet(DataCategory.Demographics)],
        [MAX_BATCH_RECORDS, DEFINED_CATEGORIES],
        [2, categorySet(DataCategory.Genomics)],
      ] as const) {
        const root = randomCommitment();
        await (await records.connect(hospitalKey).anchorBatch(root, count, categories, ZeroHash)).wait();
        expect(await batchOf(records, root)).to.include({ count: BigInt(count), categories: BigInt(categories) });
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
      expect((await batchOf(records, root)).organization).to.equal(0n);
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
      expect((await batchOf(records, ZeroHash)).organization).to.equal(0n);
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
      expect((await batchOf(records, root)).organization).to.equal(0n);
    });

    it("refuses a root anchored already with RecordBatchExists, by any organization", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, clinicKey } = f;
      const root = randomCommitment();
      await (await records.connect(hospitalKey).anchorBatch(root, 10, BATCH_CATEGORIES, ZeroHash)).wait();
      const before = await batchOf(records, root);
      for (const organization of [hospitalKey, clinicKey]) {
        await expect(records.connect(organization).anchorBatch(root, 20, categorySet(LABS), ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordBatchExists")
          .withArgs(root);
      }
      expect(await batchOf(records, root)).to.deep.equal(before);
    });

    it("refuses while paused with EnforcedPause", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, pauser } = f;
      await (await records.connect(pauser).pause()).wait();
      const root = randomCommitment();
      await expect(
        records.connect(hospitalKey).anchorBatch(root, 10, BATCH_CATEGORIES, ZeroHash),
      ).to.be.revertedWithCustomError(records, "EnforcedPause");
      expect((await batchOf(records, root)).organization).to.equal(0n);
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
        expect(await f.records.verifyInclusion(root, leafStruct(value), proof), `leaf ${index}`).to.equal(true);
        expect(StandardMerkleTree.verify(root, LEAF_ENCODING, value, proof)).to.equal(true);
      }
    });

    it("proves the single leaf of a one-record batch with an empty proof", async function () {
      const f = await loadFixture(recordsFixture);
      const leaf: LeafValue = [randomCommitment(), f.patientId, LABS];
      const { root } = await anchorTree(f, [leaf], categorySet(LABS));
      expect(root).to.equal(leafHash(leaf));
      expect(await f.records.verifyInclusion(root, leafStruct(leaf), [])).to.equal(true);
    });

    it("rejects a leaf with another patient, another category, or another commitment", async function () {
      const f = await loadFixture(recordsFixture);
      const { records } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      const [commitment, patient, category] = leaves[0]!;
      const proof = proofOf(tree, 0);
      expect(await records.verifyInclusion(root, leafStruct([commitment, patient, category]), proof)).to.equal(true);
      for (const wrong of [
        [commitment, f.otherPatientId, category],
        [commitment, patient + 1000n, category],
        [commitment, patient, IMAGING],
        [randomCommitment(), patient, category],
        [flipBit(commitment), patient, category],
      ] as LeafValue[]) {
        expect(
          await records.verifyInclusion(root, leafStruct(wrong), proof),
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
      expect(await f.records.verifyInclusion(root, leafStruct(leaves[mental]!), proof)).to.equal(false);
      // The declared ones still verify.
      expect(await f.records.verifyInclusion(root, leafStruct(leaves[0]!), proofOf(tree, 0))).to.equal(true);
    });

    it("rejects an undefined category without reverting", async function () {
      const f = await loadFixture(recordsFixture);
      const leaf: LeafValue = [randomCommitment(), f.patientId, 16];
      const { tree, root } = await anchorTree(f, [leaf, [randomCommitment(), f.patientId, LABS]], DEFINED_CATEGORIES);
      const index = [...tree.entries()].find(([, v]) => v[2] === 16)![0];
      expect(await f.records.verifyInclusion(root, leafStruct(leaf), proofOf(tree, index))).to.equal(false);
      expect(await f.records.verifyInclusion(root, leafStruct([leaf[0], leaf[1], 255]), [])).to.equal(false);
    });

    it("rejects any leaf under a root no batch has", async function () {
      const f = await loadFixture(recordsFixture);
      const leaves = smallLeaves(f);
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      // The tree is sound, but nobody anchored it.
      expect(StandardMerkleTree.verify(tree.root, LEAF_ENCODING, leaves[0]!, proofOf(tree, 0))).to.equal(true);
      expect(await f.records.verifyInclusion(tree.root, leafStruct(leaves[0]!), proofOf(tree, 0))).to.equal(false);
      // Not even a one-leaf "tree" whose root is the leaf itself.
      expect(await f.records.verifyInclusion(leafHash(leaves[0]!), leafStruct(leaves[0]!), [])).to.equal(false);
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
        expect(await records.verifyInclusion(root, leaf, tampered), `element ${index} flipped`).to.equal(false);
      }
      expect(await records.verifyInclusion(root, leaf, proof.slice(0, -1)), "truncated").to.equal(false);
      expect(await records.verifyInclusion(root, leaf, [...proof, randomCommitment()]), "extended").to.equal(false);
      expect(await records.verifyInclusion(root, leaf, []), "empty").to.equal(false);
      expect(await records.verifyInclusion(root, leaf, proofOf(tree, 3)), "another leaf's proof").to.equal(false);
      expect(await records.verifyInclusion(root, leaf, [...proof].reverse()), "reordered").to.equal(false);
    });

    it("accepts a proof of MAX_PROOF_LENGTH hashes and rejects a valid one a hash longer", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey } = f;
      expect(await records.MAX_PROOF_LENGTH()).to.equal(BigInt(MAX_PROOF_LENGTH));
      const leaf: LeafValue = [randomCommitment(), f.patientId, LABS];
      for (const length of [MAX_PROOF_LENGTH, MAX_PROOF_LENGTH + 1]) {
        const { root, proof } = chainProof(leaf, length);
        await (
          await records.connect(hospitalKey).anchorBatch(root, MAX_BATCH_RECORDS, categorySet(LABS), ZeroHash)
        ).wait();
        expect(await records.verifyInclusion(root, leafStruct(leaf), proof), `${length} hashes`).to.equal(
          length <= MAX_PROOF_LENGTH,
        );
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // adopt
  // -------------------------------------------------------------------------------------------------------------------

  describe("adopt", function () {
    it("gives a proven record an anchor of its own, authored by the batch's organization and dated to the batch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalId } = f;
      const leaves = smallLeaves(f);
      const { tree, root, anchoredAt } = await anchorTree(f, leaves);
      await time.increase(3600);
      // Anyone may adopt, an account the identity registry does not know included.
      const stranger = spare(f);
      for (const [index, value] of tree.entries()) {
        const [commitment, patient, category] = value;
        await expect(records.connect(stranger).adopt(root, leafStruct(value), proofOf(tree, index)))
          .to.emit(records, "RecordAdopted")
          .withArgs(commitment, root, patient, category);
        expect(await anchorOf(records, commitment)).to.deep.equal(
          anchored({ patient, author: hospitalId, organization: hospitalId, category, anchoredAt, fromBatch: true }),
        );
        expect(await historyOf(records, commitment)).to.deep.equal([commitment]);
        expect(await records.latestVersion(commitment)).to.equal(commitment);
      }
    });

    it("makes the adopted record a record like any other: superseded, amended and read through the trail", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, hospitalKey, hospitalId, internistKey, internistId } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      const [commitment] = leaves[0]!;
      await (await records.adopt(root, leafStruct(leaves[0]!), proofOf(tree, 0))).wait();

      // The internist reads it through the hospital's grant.
      await expect(records.connect(internistKey).recordAccess(commitment, Purpose.Treatment))
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
      await expect(records.connect(patientKey).requestAmendment(commitment, requestCommitment))
        .to.emit(records, "AmendmentRequested")
        .withArgs(1n, commitment, patientId, patientId, requestCommitment);
      const amended = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(hospitalKey).acceptAmendment(1n, amended, ZeroHash))
        .to.emit(records, "AmendmentAccepted")
        .withArgs(1n, commitment, amended);
      expect(await anchorOf(records, amended)).to.deep.equal(
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
      await expect(records.connect(hospitalKey).supersede(amended, corrected, ZeroHash, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(amended, corrected, patientId, hospitalId, RECORD_REASON.correction, ZeroHash);
      expect(await historyOf(records, commitment)).to.deep.equal([commitment, amended, corrected]);
      expect((await anchorOf(records, commitment)).fromBatch).to.equal(true);
      expect((await anchorOf(records, corrected)).fromBatch).to.equal(false);
    });

    it("refuses an unknown batch with RecordUnknownBatch", async function () {
      const f = await loadFixture(recordsFixture);
      const leaves = smallLeaves(f);
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      await expect(f.records.adopt(tree.root, leafStruct(leaves[0]!), proofOf(tree, 0)))
        .to.be.revertedWithCustomError(f.records, "RecordUnknownBatch")
        .withArgs(tree.root);
      expect(await anchorOf(f.records, leaves[0]![0])).to.deep.equal(NOTHING);
    });

    it("refuses a leaf whose category the batch did not declare with RecordCategoryNotInBatch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves, categorySet(LABS, IMAGING, VITALS));
      const mental = leaves.findIndex(([, , category]) => category === MENTAL_POSITION);
      await expect(records.adopt(root, leafStruct(leaves[mental]!), proofOf(tree, mental)))
        .to.be.revertedWithCustomError(records, "RecordCategoryNotInBatch")
        .withArgs(root, MENTAL);
      for (const category of [16, 31, 32, 255]) {
        await expect(records.adopt(root, leafStruct([randomCommitment(), f.patientId, category]), []))
          .to.be.revertedWithCustomError(records, "RecordCategoryNotInBatch")
          .withArgs(root, category);
      }
      expect(await anchorOf(records, leaves[mental]![0])).to.deep.equal(NOTHING);
    });

    it("refuses a leaf the proof does not show in the batch with RecordNotInBatch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      const [commitment, patient, category] = leaves[1]!;
      const proof = proofOf(tree, 1);
      const attempts: [LeafValue, string[]][] = [
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
        await expect(records.adopt(root, leafStruct(leaf), badProof))
          .to.be.revertedWithCustomError(records, "RecordNotInBatch")
          .withArgs(root, commitment);
      }
      expect(await anchorOf(records, commitment)).to.deep.equal(NOTHING);
    });

    it("refuses a valid proof longer than MAX_PROOF_LENGTH with RecordNotInBatch and adopts at the limit", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, hospitalKey, hospitalId } = f;
      const long: LeafValue = [randomCommitment(), f.patientId, LABS];
      const atLimit: LeafValue = [randomCommitment(), f.patientId, LABS];
      const tooLong = chainProof(long, MAX_PROOF_LENGTH + 1);
      const limit = chainProof(atLimit, MAX_PROOF_LENGTH);
      for (const { root } of [tooLong, limit]) {
        await (
          await records.connect(hospitalKey).anchorBatch(root, MAX_BATCH_RECORDS, categorySet(LABS), ZeroHash)
        ).wait();
      }
      await expect(records.adopt(tooLong.root, leafStruct(long), tooLong.proof))
        .to.be.revertedWithCustomError(records, "RecordNotInBatch")
        .withArgs(tooLong.root, long[0]);
      expect(await anchorOf(records, long[0])).to.deep.equal(NOTHING);
      await expect(records.adopt(limit.root, leafStruct(atLimit), limit.proof))
        .to.emit(records, "RecordAdopted")
        .withArgs(atLimit[0], limit.root, f.patientId, LABS);
      expect((await anchorOf(records, atLimit[0])).author).to.equal(hospitalId);
    });

    it("refuses a commitment anchored already with RecordAlreadyAnchored: adopted twice, from another batch, or anchored directly", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, clinicKey, patientId } = f;
      const direct = await anchorRecord(f, cardiologistKey, LABS);
      const leaves: LeafValue[] = [...smallLeaves(f), [direct, patientId, LABS]];
      const { tree, root } = await anchorTree(f, leaves);
      // The clinic's batch holds the same first leaf.
      const clinicBatch = await anchorTree(
        f,
        [leaves[0]!, [randomCommitment(), patientId, LABS]],
        BATCH_CATEGORIES,
        clinicKey,
      );
      await (await records.adopt(root, leafStruct(leaves[0]!), proofOf(tree, 0))).wait();
      const adopted = await anchorOf(records, leaves[0]![0]);
      await expect(records.adopt(root, leafStruct(leaves[0]!), proofOf(tree, 0)))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(leaves[0]![0]);
      const inClinic = [...clinicBatch.tree.entries()].find(([, v]) => v[0] === leaves[0]![0])![0];
      await expect(records.adopt(clinicBatch.root, leafStruct(leaves[0]!), proofOf(clinicBatch.tree, inClinic)))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(leaves[0]![0]);
      expect(await anchorOf(records, leaves[0]![0])).to.deep.equal(adopted);
      const directIndex = leaves.length - 1;
      const directBefore = await anchorOf(records, direct);
      await expect(records.adopt(root, leafStruct(leaves[directIndex]!), proofOf(tree, directIndex)))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(direct);
      expect(await anchorOf(records, direct)).to.deep.equal(directBefore);
      expect(directBefore.fromBatch).to.equal(false);
    });

    it("refuses a leaf with a zero commitment with RecordInvalidCommitment, though the proof holds", async function () {
      const f = await loadFixture(recordsFixture);
      const leaf: LeafValue = [ZeroHash, f.patientId, LABS];
      const { tree, root } = await anchorTree(f, [leaf, [randomCommitment(), f.patientId, LABS]]);
      const index = [...tree.entries()].find(([, v]) => v[0] === ZeroHash)![0];
      expect(await f.records.verifyInclusion(root, leafStruct(leaf), proofOf(tree, index))).to.equal(true);
      await expect(f.records.adopt(root, leafStruct(leaf), proofOf(tree, index))).to.be.revertedWithCustomError(
        f.records,
        "RecordInvalidCommitment",
      );
    });

    it("refuses while paused with EnforcedPause", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, pauser } = f;
      const leaves = smallLeaves(f);
      const { tree, root } = await anchorTree(f, leaves);
      await (await records.connect(pauser).pause()).wait();
      await expect(records.adopt(root, leafStruct(leaves[0]!), proofOf(tree, 0))).to.be.revertedWithCustomError(
        records,
        "EnforcedPause",
      );
      expect(await anchorOf(records, leaves[0]![0])).to.deep.equal(NOTHING);
      // Verifying is a view: it still answers.
      expect(await records.verifyInclusion(root, leafStruct(leaves[0]!), proofOf(tree, 0))).to.equal(true);
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
        await expect(records.connect(key).recordAccess(record, Purpose.Treatment))
          .to.emit(records, "RecordAccessGranted")
          .withArgs(record, patientId, id, grantee, Purpose.Treatment, basis, ref)
          .and.not.to.emit(records, "RecordAccessDenied");
      }
    });

    it("records the patient's own access (Self) and her representative's (Representative), for any purpose", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, representativeKey, representativeId, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey, MENTAL);
      await expect(records.connect(patientKey).recordAccess(record, Purpose.Research))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(record, patientId, patientId, patientId, Purpose.Research, DecisionBasis.Self, 0n);
      await expect(records.connect(representativeKey).recordAccess(record, Purpose.Treatment))
        .to.emit(records, "RecordAccessGranted")
        .withArgs(record, patientId, representativeId, patientId, Purpose.Treatment, DecisionBasis.Representative, 0n);
    });

    it("records a break-glass access for emergency treatment with the session id as ref", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientId, erDoctorKey, erDoctorId, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey, MENTAL);
      const { sessionId } = await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, 3600);
      await expect(records.connect(erDoctorKey).recordAccess(record, Purpose.EmergencyTreatment))
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
        await expect(records.connect(key).recordAccess(record, purpose))
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
      await expect(records.connect(cardiologistKey).recordAccess(record, Purpose.Treatment))
        .to.emit(records, "RecordAccessDenied")
        .withArgs(record, patientId, cardiologistId, cardiologistId, Purpose.Treatment, DecisionBasis.ExplicitDeny);
    });

    it("refuses an unregistered, suspended or expired accessor with RecordAccessorInactive", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, registrar, internistId, internistKey, cardiologistKey, credentialExpiry, patientKey } =
        f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      const refuse = async (account: HardhatEthersSigner) => {
        await expect(records.connect(account).recordAccess(record, Purpose.Treatment))
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
      await expect(records.connect(patientKey).recordAccess(record, Purpose.Treatment)).to.emit(
        records,
        "RecordAccessGranted",
      );
    });

    it("refuses a commitment never anchored with RecordUnknown, checked before the purpose", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey } = f;
      const unknown = randomCommitment();
      for (const purpose of [Purpose.Treatment, 6]) {
        await expect(records.connect(patientKey).recordAccess(unknown, purpose))
          .to.be.revertedWithCustomError(records, "RecordUnknown")
          .withArgs(unknown);
      }
      await expect(records.connect(spare(f)).recordAccess(unknown, Purpose.Treatment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
    });

    it("refuses an undefined purpose with RecordInvalidPurpose", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey, LABS);
      for (const purpose of [6, 7, 255]) {
        await expect(records.connect(patientKey).recordAccess(record, purpose))
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
        await records.connect(cardiologistKey).supersede(first, second, ZeroHash, RECORD_REASON.correction)
      ).wait();
      await (await records.connect(cardiologistKey).markEnteredInError(second, RECORD_REASON.duplicate)).wait();
      const version = await grantVersion(f, cardiologistId);
      for (const [commitment, status] of [
        [first, RecordStatus.Superseded],
        [second, RecordStatus.EnteredInError],
      ] as const) {
        expect((await anchorOf(records, commitment)).status).to.equal(status);
        await expect(records.connect(cardiologistKey).recordAccess(commitment, Purpose.Treatment))
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
      await expect(records.connect(cardiologistKey).recordAccess(record, Purpose.Treatment))
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
      await expect(records.connect(clinicDoctorKey).recordAccess(record, Purpose.Treatment))
        .to.emit(records, "RecordAccessDenied")
        .withArgs(record, patientId, clinicDoctorId, 0n, Purpose.Treatment, DecisionBasis.NoGrant);
    });
  });
});
