import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { categorySet, DataCategory, DecisionBasis, Purpose, purposeSet } from "../../sdk";
import { type RecordsFixture, recordsFixture } from "../fixtures/records";
import {
  anchored,
  anchorOf,
  batchOf,
  historyOf,
  LEAF_ENCODING,
  leafStruct,
  type LeafValue,
  leavesFor,
  NOTHING,
  pinNext,
  randomCommitment,
  RECORD_REASON,
} from "../records/helpers";

// The record-registry attacks of issue 11, each performed against the production deployment (the records fixture
// deploys through the real deploy modules, with the hardhat network's parameter file) and shown to fail now.

const LABS = DataCategory.LaboratoryResults;
const VITALS = DataCategory.VitalSigns;

interface Batch {
  tree: StandardMerkleTree<LeafValue>;
  root: string;
  anchoredAt: bigint;
}

/** `organization` anchors a Merkle batch over `leaves` declaring exactly their categories. */
async function anchorTree(f: RecordsFixture, organization: HardhatEthersSigner, leaves: LeafValue[]): Promise<Batch> {
  const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
  const categories = leaves.reduce((set, [, , category]) => set | (1 << category), 0);
  const anchoredAt = await pinNext();
  await (await f.records.connect(organization).anchorBatch(tree.root, leaves.length, categories, ZeroHash)).wait();
  return { tree, root: tree.root, anchoredAt };
}

/**
 * The hospital's nightly batch: one lab result of the patient among other patients' records, each leaf naming the
 * hospital (the batch's organization).
 */
function nightly(f: RecordsFixture): LeafValue[] {
  return leavesFor(f.hospitalId, [
    [randomCommitment(), f.patientId, LABS],
    [randomCommitment(), f.otherPatientId, LABS],
    [randomCommitment(), f.representativeId, VITALS],
    [randomCommitment(), f.patientId, VITALS],
  ]);
}

/** A key nobody controls yet registers itself as a patient: anyone can. */
async function selfRegisteredPatient(f: RecordsFixture): Promise<{ key: HardhatEthersSigner; id: bigint }> {
  const key = f.spareKeys[0];
  if (key === undefined) throw new Error("the records fixture has no spare key");
  const { id } = await f.identity.as(key).registerPatient();
  return { key, id };
}

describe("RecordRegistry", function () {
  describe("issue 11 attacks", function () {
    it("runs against the production deployment", async function () {
      const f = await loadFixture(recordsFixture);
      expect(await f.records.getAddress()).to.equal(f.deployment.recordRegistry);
      expect(await f.records.identityRegistry()).to.equal(f.deployment.identityRegistry);
      expect(await f.records.consentRegistry()).to.equal(f.deployment.consentRegistry);
      expect(await f.records.authority()).to.equal(f.deployment.accessManager);
    });

    it("attack 4 (medium): an explicit deny cannot be bypassed through a batch", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientKey, patientId, hospitalKey, hospitalId } = f;
      // The patient denies the hospital her lab results: a direct anchor is refused.
      await consent.as(patientKey).setDeny(patientId, hospitalId, categorySet(LABS));
      const direct = randomCommitment();
      await expect(records.connect(hospitalKey).anchor(patientId, direct, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, hospitalId, LABS, DecisionBasis.ExplicitDeny);

      // The attack: the hospital puts the record in a Merkle batch (no consent is asked per leaf of a root) ...
      const leaves = nightly(f);
      const [commitment] = leaves[0]!;
      const batch = await anchorTree(f, hospitalKey, leaves);
      expect(
        await records.verifyInclusion(hospitalId, batch.root, leafStruct(leaves[0]!), batch.tree.getProof(0)),
      ).to.equal(true);
      // ... and adopts it onto her chart. Adoption asks the same decision as an anchor: refused.
      await expect(
        records.connect(hospitalKey).adopt(hospitalId, batch.root, leafStruct(leaves[0]!), batch.tree.getProof(0)),
      )
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, hospitalId, LABS, DecisionBasis.ExplicitDeny);
      // Nor through its people, who act under the organization's word.
      for (const [key, id] of [
        [f.internistKey, f.internistId],
        [f.deviceKey, f.deviceId],
      ] as const) {
        await expect(records.connect(key).adopt(hospitalId, batch.root, leafStruct(leaves[0]!), batch.tree.getProof(0)))
          .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
          .withArgs(patientId, id, LABS, DecisionBasis.ExplicitDeny);
      }
      // Nothing lands on her chart.
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);
      await expect(records.connect(hospitalKey).recordAccess(patientId, commitment, Purpose.Treatment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(patientId, commitment);
      // What she did not deny still comes through the same batch.
      await expect(
        records.connect(hospitalKey).adopt(hospitalId, batch.root, leafStruct(leaves[3]!), batch.tree.getProof(3)),
      )
        .to.emit(records, "RecordAdopted")
        .withArgs(leaves[3]![0], batch.root, patientId, hospitalId, hospitalId, VITALS, DecisionBasis.Grant);
    });

    it("attack 5 (medium): a batch cannot be hijacked by front-running its root", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      const leaves = nightly(f);
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      const categories = categorySet(LABS, VITALS);
      // The rival organization sees the hospital's pending anchorBatch and anchors the same root first.
      const rivalAt = await pinNext();
      await expect(records.connect(clinicKey).anchorBatch(tree.root, leaves.length, categories, ZeroHash))
        .to.emit(records, "RecordBatchAnchored")
        .withArgs(tree.root, clinicId, leaves.length, categories, ZeroHash);
      await time.increase(60);
      // The hospital's own anchorBatch still succeeds: its batch is its own.
      const hospitalAt = await pinNext();
      await expect(records.connect(hospitalKey).anchorBatch(tree.root, leaves.length, categories, ZeroHash))
        .to.emit(records, "RecordBatchAnchored")
        .withArgs(tree.root, hospitalId, leaves.length, categories, ZeroHash);
      expect(await batchOf(records, hospitalId, tree.root)).to.deep.equal({
        organization: hospitalId,
        anchoredAt: hospitalAt,
        count: BigInt(leaves.length),
        categories: BigInt(categories),
      });
      expect((await batchOf(records, clinicId, tree.root)).anchoredAt).to.equal(rivalAt);

      // The rival cannot adopt the hospital's records as its own, for a patient who has not consented to it: not
      // from its copy of the root ...
      const proof = tree.getProof(0);
      await expect(records.connect(clinicKey).adopt(clinicId, tree.root, leafStruct(leaves[0]!), proof))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, clinicId, LABS, DecisionBasis.NoGrant);
      // ... nor from the hospital's batch, nor through its doctor.
      await expect(records.connect(clinicKey).adopt(hospitalId, tree.root, leafStruct(leaves[0]!), proof))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, clinicId, LABS, DecisionBasis.NoGrant);
      await expect(records.connect(f.clinicDoctorKey).adopt(clinicId, tree.root, leafStruct(leaves[0]!), proof))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, f.clinicDoctorId, LABS, DecisionBasis.NoGrant);
      expect(await anchorOf(records, patientId, leaves[0]![0])).to.deep.equal(NOTHING);

      // The hospital adopts; verify names the hospital, dated to the hospital's batch, not the rival's.
      await expect(records.connect(hospitalKey).adopt(hospitalId, tree.root, leafStruct(leaves[0]!), proof))
        .to.emit(records, "RecordAdopted")
        .withArgs(leaves[0]![0], tree.root, patientId, hospitalId, hospitalId, LABS, DecisionBasis.Grant);
      expect(await anchorOf(records, patientId, leaves[0]![0])).to.deep.equal(
        anchored({
          patient: patientId,
          author: hospitalId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: hospitalAt,
          fromBatch: true,
        }),
      );
      // The hospital curates it; the rival does not.
      await expect(records.connect(clinicKey).supersede(patientId, leaves[0]![0], randomCommitment(), ZeroHash, 1))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(leaves[0]![0], clinicKey.address);
    });

    // The second half of attack 5: every leaf names its batch's organization (the registry hashes the organization
    // into the leaf, beside the record's values), so a copied root holds none of the hospital's records for the rival.
    // Even a rival the patient HAS consented to (here a treatment grant for labs), whose copy of the root is older than
    // the hospital's batch, cannot adopt the hospital's leaf from its copy as its own record (author and curator the
    // rival, dated to its earlier batch) and so cannot block the hospital's adoption with RecordAlreadyAnchored.
    // Out of scope here, and documented in docs/threat-model.md: such a rival, having learnt one record's commitment,
    // anchoring that commitment directly for her with `anchor` before the hospital adopts it.
    it("attack 5 (medium): a rival the patient consented to cannot capture the batch's records from a copied root", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientKey, patientId, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: clinicId,
        categories: categorySet(LABS),
        purposes: purposeSet(Purpose.Treatment),
        validUntil: f.grantUntil,
      });
      const leaves = nightly(f);
      const [commitment] = leaves[0]!;
      const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
      const categories = categorySet(LABS, VITALS);
      // The rival copies the root first; the hospital anchors its own batch of it later.
      await (await records.connect(clinicKey).anchorBatch(tree.root, leaves.length, categories, ZeroHash)).wait();
      await time.increase(60);
      const hospitalAt = await pinNext();
      await (await records.connect(hospitalKey).anchorBatch(tree.root, leaves.length, categories, ZeroHash)).wait();
      const proof = tree.getProof(0);
      // The proof holds for the hospital's batch only: the leaf names the hospital.
      expect(await records.verifyInclusion(hospitalId, tree.root, leafStruct(leaves[0]!), proof)).to.equal(true);
      expect(await records.verifyInclusion(clinicId, tree.root, leafStruct(leaves[0]!), proof)).to.equal(false);
      // The attack: the rival, allowed to anchor her labs, adopts the leaf from its copy. Refused ...
      await expect(records.connect(clinicKey).adopt(clinicId, tree.root, leafStruct(leaves[0]!), proof))
        .to.be.revertedWithCustomError(records, "RecordNotInBatch")
        .withArgs(tree.root, commitment);
      // ... and through the hospital's batch it is not the batch's organization.
      await expect(records.connect(clinicKey).adopt(hospitalId, tree.root, leafStruct(leaves[0]!), proof))
        .to.be.revertedWithCustomError(records, "RecordNotBatchOrganization")
        .withArgs(hospitalId, tree.root, clinicKey.address);
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);

      // The hospital adopts; verify names the hospital, dated to the hospital's batch, not the rival's copy.
      await expect(records.connect(hospitalKey).adopt(hospitalId, tree.root, leafStruct(leaves[0]!), proof))
        .to.emit(records, "RecordAdopted")
        .withArgs(commitment, tree.root, patientId, hospitalId, hospitalId, LABS, DecisionBasis.Grant);
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(
        anchored({
          patient: patientId,
          author: hospitalId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: hospitalAt,
          fromBatch: true,
        }),
      );
      // The rival curates nothing of it.
      await expect(
        records
          .connect(clinicKey)
          .supersede(patientId, commitment, randomCommitment(), ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(commitment, clinicKey.address);
    });

    it("attack 8 (low/medium): a revoked representative no longer curates the records it anchored", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, patientKey, patientId, representativeKey, representativeId } = f;
      // The representative anchors patient-generated data for her (basis Representative, no organization).
      const record = randomCommitment();
      await expect(records.connect(representativeKey).anchor(patientId, record, VITALS, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(record, patientId, representativeId, VITALS, DecisionBasis.Representative, ZeroHash);
      expect(await anchorOf(records, patientId, record)).to.include({ author: representativeId, organization: 0n });
      // The patient revokes it.
      await identity.as(patientKey).revokeRepresentative(patientId, representativeId);
      // The attack: the former representative rewrites or voids "its" record. Refused.
      const rewrite = randomCommitment();
      await expect(
        records.connect(representativeKey).supersede(patientId, record, rewrite, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(record, representativeKey.address);
      await expect(records.connect(representativeKey).markEnteredInError(patientId, record, RECORD_REASON.wrongPatient))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(record, representativeKey.address);
      expect(await anchorOf(records, patientId, rewrite)).to.deep.equal(NOTHING);
      expect(await historyOf(records, patientId, record)).to.deep.equal([record]);
      // The patient herself supersedes it.
      const corrected = randomCommitment();
      await expect(
        records.connect(patientKey).supersede(patientId, record, corrected, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(record, corrected, patientId, patientId, RECORD_REASON.correction, ZeroHash);
      expect(await historyOf(records, patientId, record)).to.deep.equal([record, corrected]);
      expect(await anchorOf(records, patientId, corrected)).to.include({ author: patientId, organization: 0n });
    });

    it("attack 9 (low): no one can squat another patient's record commitment", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, hospitalKey, hospitalId } = f;
      const squatter = await selfRegisteredPatient(f);
      const leaves = nightly(f);
      const batch = await anchorTree(f, hospitalKey, leaves);
      const [commitment] = leaves[0]!;
      // The attack: having seen the batch leaf, the squatter anchors the patient's commitment as his own record first.
      await expect(records.connect(squatter.key).anchor(squatter.id, commitment, LABS, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(commitment, squatter.id, squatter.id, LABS, DecisionBasis.Self, ZeroHash);
      // He cannot put it in her namespace.
      await expect(records.connect(squatter.key).anchor(patientId, commitment, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, squatter.id, LABS, DecisionBasis.NoGrant);
      // The real patient's record is still adopted by the organization.
      await expect(
        records.connect(hospitalKey).adopt(hospitalId, batch.root, leafStruct(leaves[0]!), batch.tree.getProof(0)),
      )
        .to.emit(records, "RecordAdopted")
        .withArgs(commitment, batch.root, patientId, hospitalId, hospitalId, LABS, DecisionBasis.Grant);
      // verify(realPatient, c) names the real patient and the organization ...
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(
        anchored({
          patient: patientId,
          author: hospitalId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: batch.anchoredAt,
          fromBatch: true,
        }),
      );
      // ... and verify(squatter, c) is the squatter's own namespace only: his data, no organization.
      expect(await anchorOf(records, squatter.id, commitment)).to.include({
        patient: squatter.id,
        author: squatter.id,
        organization: 0n,
        fromBatch: false,
      });
      expect(await historyOf(records, patientId, commitment)).to.deep.equal([commitment]);
      // He curates nothing of hers.
      await expect(records.connect(squatter.key).markEnteredInError(patientId, commitment, RECORD_REASON.wrongPatient))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(commitment, squatter.key.address);
      expect((await anchorOf(records, patientId, commitment)).organization).to.equal(hospitalId);
    });
  });
});
