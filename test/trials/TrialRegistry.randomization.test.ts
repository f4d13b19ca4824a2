import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type ContractTransactionResponse, hexlify, id as hashText, randomBytes, ZeroHash } from "ethers";
import fc from "fast-check";

import {
  allocationLeaf,
  type AllocationSequence,
  armCommitment,
  auditAllocations,
  generateAllocation,
  openingOf,
  type PositionalTree,
  positionalProof,
  positionalTree,
  type RecordedAllocation,
  revealOf,
  SubjectStatus,
  UnblindingReason,
  WithdrawalReason,
} from "../../sdk";
import type { ArmDisclosureStruct } from "../../typechain-types/contracts/trials/ITrialRegistry";
import { ARMS, PER_STRATUM, registration, STRATA, trialsFixture, type TrialsFixture } from "../fixtures/trials";
import { runs } from "../helpers/runs";

// The reveal, disclosure and emergency unblinding of the trials fixture's concealed allocation. The scenarios are
// fixtures of their own (declared here, each built on `loadFixture(trialsFixture)`), so that a test reverts to the
// scenario's snapshot rather than replaying its enrollments.

/** A reason code for suspending a participant (from the identity module's off-chain list). */
const SUSPENSION_REASON = 7;

async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

/** A random 32-byte word, for forged commitments, salts and proof elements. */
function word(): string {
  return hexlify(randomBytes(32));
}

/**
 * The fixture with three participants, none revealed: the patient (site 1, stratum 0, index 0), the other patient
 * (site 2, stratum 1, index 0) and a third patient (site 1, stratum 0, index 1).
 */
async function enrolledFixture() {
  const f = await loadFixture(trialsFixture);
  await f.enroll(f.patientId, f.patientKey, 1, 0);
  await f.enroll(f.otherPatientId, f.otherPatientKey, 2, 1);
  const third = await f.newPatient();
  await f.enroll(third.id, third.key, 1, 0);
  return { ...f, thirdId: third.id, thirdKey: third.key };
}

/** `enrolledFixture` with the three allocations revealed, none disclosed. */
async function revealedFixture() {
  const f = await loadFixture(enrolledFixture);
  for (const patient of [f.patientId, f.otherPatientId, f.thirdId]) await f.reveal(patient);
  return f;
}

type Scenario = Awaited<ReturnType<typeof enrolledFixture>>;

/** `revealedFixture` with a fourth participant (stratum 0, index 2) revealed and every arm disclosed. */
async function disclosedFixture() {
  const f = await loadFixture(revealedFixture);
  const fourth = await f.newPatient();
  await f.enroll(fourth.id, fourth.key, 2, 0);
  await f.reveal(fourth.id);
  const patients = [f.patientId, f.otherPatientId, f.thirdId, fourth.id];
  await mined(disclose(f, await Promise.all(patients.map((p) => disclosureOf(f, p)))));
  return { ...f, fourthId: fourth.id, patients };
}

/** The fixture plus six patients who granted the sponsor research use of the trial's categories, none enrolled. */
async function poolFixture() {
  const f = await loadFixture(trialsFixture);
  const pool: Awaited<ReturnType<TrialsFixture["newPatient"]>>[] = [];
  for (let i = 0; i < 6; i += 1) pool.push(await f.newPatient());
  return { ...f, pool };
}

/** The participant's stratum and index, as enrollment recorded them. */
async function placeOf(f: TrialsFixture, patient: bigint, trialId = f.trialId) {
  const s = await f.trialRegistry.subject(trialId, patient);
  return { stratum: Number(s.stratum), index: Number(s.allocationIndex) };
}

/** The participant as `subject()` returns it, as a plain object. */
async function subjectOf(f: TrialsFixture, patient: bigint) {
  const s = await f.trialRegistry.subject(f.trialId, patient);
  return {
    status: Number(s.status),
    site: Number(s.site),
    stratum: Number(s.stratum),
    allocationIndex: Number(s.allocationIndex),
    revealed: s.revealed,
    emergencyUnblinded: s.emergencyUnblinded,
    disclosedArm: Number(s.disclosedArm),
  };
}

async function auditOf(f: TrialsFixture) {
  const a = await f.trialRegistry.allocationAudit(f.trialId);
  return { enrolled: Number(a.enrolled), revealed: Number(a.revealed), disclosed: Number(a.disclosed) };
}

/** The randomization service reveals `armCommitment` with `proof` for `patient`. */
function revealAs(f: TrialsFixture, patient: bigint, commitment: string, proof: string[], trialId = f.trialId) {
  return f.trialRegistry.connect(f.randomizerKey).reveal(trialId, patient, commitment, proof);
}

/** The disclosure the randomization service sends for `patient`: the entry's arm, salt and proof in `seq`. */
async function disclosureOf(
  f: TrialsFixture,
  patient: bigint,
  seq: AllocationSequence = f.sequence,
): Promise<ArmDisclosureStruct & { arm: number; salt: string; proof: string[] }> {
  const { stratum, index } = await placeOf(f, patient);
  const { arm, salt } = openingOf(seq, stratum, index);
  return { patient, arm, salt, proof: revealOf(seq, stratum, index).proof };
}

function disclose(f: TrialsFixture, disclosures: ArmDisclosureStruct[]) {
  return f.trialRegistry.connect(f.randomizerKey).discloseArms(f.trialId, disclosures);
}

async function pause(f: TrialsFixture): Promise<void> {
  await mined(f.trialRegistry.connect(f.pauser).pause());
}

/**
 * A second trial of the sponsor, with the hospital (and its cardiologist) as active site 1 and the allocation `root`
 * (`strata` × `perStratum`) committed.
 */
async function secondTrial(f: TrialsFixture, root: (trialId: bigint) => string, strata = 1, perStratum = 2) {
  const registry = f.trialRegistry.connect(f.sponsorKey);
  await mined(registry.registerTrial(registration(f.parties, await time.latest())));
  const trialId = await f.trialRegistry.trialCount();
  await mined(registry.proposeSite(trialId, f.hospitalId, f.cardiologistId));
  await mined(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(trialId, 1));
  await mined(registry.commitAllocation(trialId, root(trialId), strata, perStratum));
  return trialId;
}

/** Enrolls the patient in `trialId` at site 1 (the hospital), stratum 0. */
async function enrollIn(
  f: TrialsFixture,
  trialId: bigint,
  patient: bigint,
  key: Parameters<TrialsFixture["consentFor"]>[1],
) {
  const signed = await f.consentFor(patient, key, { trial: trialId });
  await mined(f.trialRegistry.connect(f.cardiologistKey).enroll(trialId, 1, patient, 0, signed));
}

/** What the registry recorded of the trial's allocations: each `AllocationRevealed`, with its `ArmDisclosed` arm. */
async function recordedAllocations(f: TrialsFixture): Promise<RecordedAllocation[]> {
  const registry = f.trialRegistry;
  const reveals = await registry.queryFilter(registry.filters.AllocationRevealed(f.trialId), 0);
  const disclosed = await registry.queryFilter(registry.filters.ArmDisclosed(f.trialId), 0);
  const arms = new Map(disclosed.map((e) => [e.args.patient, Number(e.args.arm)]));
  return reveals.map((e) => {
    const arm = arms.get(e.args.patient);
    return {
      patient: e.args.patient,
      stratum: Number(e.args.stratum),
      index: Number(e.args.index),
      armCommitment: e.args.armCommitment,
      ...(arm === undefined ? {} : { arm }),
    };
  });
}

describe("TrialRegistry", () => {
  describe("reveal", () => {
    it("reveals the allocation at the participant's stratum and index, keeping the arm concealed", async () => {
      const f = await loadFixture(enrolledFixture);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 1);
      await expect(revealAs(f, f.thirdId, commitment, proof))
        .to.emit(f.trialRegistry, "AllocationRevealed")
        .withArgs(f.trialId, f.thirdId, 0, 1, commitment);
      expect(await subjectOf(f, f.thirdId)).to.deep.equal({
        status: SubjectStatus.Enrolled,
        site: 1,
        stratum: 0,
        allocationIndex: 1,
        revealed: true,
        emergencyUnblinded: false,
        disclosedArm: 0,
      });
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 1, disclosed: 0 });
      expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(0n);
      expect((await subjectOf(f, f.patientId)).revealed).to.equal(false);
    });

    it("reveals each participant of each stratum against the one committed root", async () => {
      const f = await loadFixture(enrolledFixture);
      const expected: [bigint, number, number][] = [
        [f.patientId, 0, 0],
        [f.otherPatientId, 1, 0],
        [f.thirdId, 0, 1],
      ];
      for (const [patient, stratum, index] of expected) {
        const { armCommitment: commitment, proof } = revealOf(f.sequence, stratum, index);
        await expect(revealAs(f, patient, commitment, proof))
          .to.emit(f.trialRegistry, "AllocationRevealed")
          .withArgs(f.trialId, patient, stratum, index, commitment);
        expect((await subjectOf(f, patient)).revealed).to.equal(true);
      }
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 0 });
    });

    it("reveals the allocation of a participant who withdrew (intention to treat)", async () => {
      const f = await loadFixture(enrolledFixture);
      await mined(
        f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.ConsentWithdrawn),
      );
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.emit(f.trialRegistry, "AllocationRevealed")
        .withArgs(f.trialId, f.patientId, 0, 0, commitment);
      expect(await subjectOf(f, f.patientId)).to.deep.include({ status: SubjectStatus.Withdrawn, revealed: true });
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 1, disclosed: 0 });
    });

    it("reverts with TrialNotRandomizer for the sponsor, an investigator, the ethics committee and a stranger", async () => {
      const f = await loadFixture(enrolledFixture);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      for (const key of [f.sponsorKey, f.cardiologistKey, f.ethicsCommitteeKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).reveal(f.trialId, f.patientId, commitment, proof))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotRandomizer")
          .withArgs(f.trialId, key.address);
      }
      expect((await subjectOf(f, f.patientId)).revealed).to.equal(false);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 0, disclosed: 0 });
    });

    it("reverts with TrialNotRandomizer for a suspended randomization service, and reveals once it is reinstated", async () => {
      const f = await loadFixture(enrolledFixture);
      await mined(f.identityRegistry.connect(f.registrar).suspend(f.randomizerId, SUSPENSION_REASON));
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotRandomizer")
        .withArgs(f.trialId, f.randomizerKey.address);
      expect((await subjectOf(f, f.patientId)).revealed).to.equal(false);
      await mined(f.identityRegistry.connect(f.registrar).reinstate(f.randomizerId, SUSPENSION_REASON));
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.emit(f.trialRegistry, "AllocationRevealed")
        .withArgs(f.trialId, f.patientId, 0, 0, commitment);
    });

    it("reverts with TrialSubjectNotEnrolled before the participant's enrollment, and reveals after it", async () => {
      const f = await loadFixture(trialsFixture);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.None);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 0, revealed: 0, disclosed: 0 });
      expect(await f.enroll(f.patientId, f.patientKey, 1, 0)).to.equal(0);
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.emit(f.trialRegistry, "AllocationRevealed")
        .withArgs(f.trialId, f.patientId, 0, 0, commitment);
    });

    it("reverts with TrialSubjectNotEnrolled for a patient who never took part", async () => {
      const f = await loadFixture(enrolledFixture);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 2);
      await expect(revealAs(f, f.representativeId, commitment, proof))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.representativeId, SubjectStatus.None);
      expect((await subjectOf(f, f.representativeId)).revealed).to.equal(false);
    });

    it("reverts with TrialAlreadyRevealed when the allocation was revealed already", async () => {
      const f = await loadFixture(revealedFixture);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyRevealed")
        .withArgs(f.trialId, f.patientId);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 0 });
    });

    it("reverts with TrialProofTooLong for a proof of 33 hashes, and checks one of 32", async () => {
      const f = await loadFixture(enrolledFixture);
      const { armCommitment: commitment } = revealOf(f.sequence, 0, 0);
      const long = Array.from({ length: 33 }, word);
      await expect(revealAs(f, f.patientId, commitment, long))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialProofTooLong")
        .withArgs(33);
      await expect(revealAs(f, f.patientId, commitment, long.slice(1)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
        .withArgs(f.trialId, f.patientId, 0, 0);
      expect((await subjectOf(f, f.patientId)).revealed).to.equal(false);
    });

    describe("reverts with TrialAllocationMismatch", () => {
      /** The third patient took index 1 of stratum 0: every reveal below offers something else. */
      async function expectMismatch(f: Scenario, commitment: string, proof: string[]) {
        await expect(revealAs(f, f.thirdId, commitment, proof))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
          .withArgs(f.trialId, f.thirdId, 0, 1);
        expect((await subjectOf(f, f.thirdId)).revealed).to.equal(false);
      }

      it("for the commitment of another index of the stratum (an index reused)", async () => {
        const f = await loadFixture(revealedFixture);
        const taken = revealOf(f.sequence, 0, 0);
        // Indices 0 and 1 of stratum 0 are taken and revealed; a fourth participant takes index 2.
        const fourth = await f.newPatient();
        expect(await f.enroll(fourth.id, fourth.key, 1, 0)).to.equal(2);
        for (const other of [taken, revealOf(f.sequence, 0, 1), revealOf(f.sequence, 0, 3)]) {
          await expect(revealAs(f, fourth.id, other.armCommitment, other.proof))
            .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
            .withArgs(f.trialId, fourth.id, 0, 2);
        }
        expect((await subjectOf(f, fourth.id)).revealed).to.equal(false);
        const own = revealOf(f.sequence, 0, 2);
        await expect(revealAs(f, fourth.id, own.armCommitment, own.proof)).to.emit(
          f.trialRegistry,
          "AllocationRevealed",
        );
      });

      it("for the commitment at the same index of another stratum", async () => {
        const f = await loadFixture(enrolledFixture);
        const other = revealOf(f.sequence, 1, 1);
        await expectMismatch(f, other.armCommitment, other.proof);
      });

      it("for the entry at the same stratum and index of another trial's committed sequence", async () => {
        const f = await loadFixture(enrolledFixture);
        let other: AllocationSequence | undefined;
        const trialId = await secondTrial(
          f,
          (id) => {
            other = generateAllocation({ trialId: id, arms: ARMS, strata: STRATA, perStratum: PER_STRATUM });
            return other.root;
          },
          STRATA,
          PER_STRATUM,
        );
        if (other === undefined) throw new Error("no sequence for the second trial");
        expect((await f.trialRegistry.trial(trialId)).allocationRoot).to.equal(other.root);
        const entry = revealOf(other, 0, 1);
        await expectMismatch(f, entry.armCommitment, entry.proof);
      });

      it("for a forged commitment with the entry's proof", async () => {
        const f = await loadFixture(enrolledFixture);
        await expectMismatch(f, word(), revealOf(f.sequence, 0, 1).proof);
      });

      it("for the zero commitment, whatever the proof", async () => {
        const f = await loadFixture(enrolledFixture);
        await expectMismatch(f, ZeroHash, revealOf(f.sequence, 0, 1).proof);
        await expectMismatch(f, ZeroHash, []);
      });

      it("for the entry's commitment with the proof of another entry", async () => {
        const f = await loadFixture(enrolledFixture);
        await expectMismatch(f, revealOf(f.sequence, 0, 1).armCommitment, revealOf(f.sequence, 0, 2).proof);
        await expectMismatch(f, revealOf(f.sequence, 0, 1).armCommitment, []);
      });

      it("for the entry's commitment with a proof one hash too long or too short (the depth is fixed)", async () => {
        const f = await loadFixture(enrolledFixture);
        const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 1);
        // Two strata of 16: 32 leaves, depth 5.
        expect(proof).to.have.length(5);
        await expectMismatch(f, commitment, [...proof, ZeroHash]);
        await expectMismatch(f, commitment, [...proof, f.sequence.root]);
        await expectMismatch(f, commitment, proof.slice(0, -1));
        await expect(revealAs(f, f.thirdId, commitment, proof))
          .to.emit(f.trialRegistry, "AllocationRevealed")
          .withArgs(f.trialId, f.thirdId, 0, 1, commitment);
      });

      it("for an entry of a sequence generated anew for the trial but never committed", async () => {
        const f = await loadFixture(enrolledFixture);
        const anew = generateAllocation({ trialId: f.trialId, arms: ARMS, strata: STRATA, perStratum: PER_STRATUM });
        expect(anew.root).to.not.equal(f.sequence.root);
        const entry = revealOf(anew, 0, 1);
        await expectMismatch(f, entry.armCommitment, entry.proof);
      });
    });

    it("reverts with EnforcedPause while paused", async () => {
      const f = await loadFixture(enrolledFixture);
      await pause(f);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      await expect(revealAs(f, f.patientId, commitment, proof))
        .to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause")
        .withArgs();
      expect((await subjectOf(f, f.patientId)).revealed).to.equal(false);
    });

    it("reverts with TrialUnknown for a trial that does not exist", async () => {
      const f = await loadFixture(enrolledFixture);
      const { armCommitment: commitment, proof } = revealOf(f.sequence, 0, 0);
      await expect(revealAs(f, f.patientId, commitment, proof, 99n))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(99n);
    });
  });

  describe("discloseArms", () => {
    it("discloses revealed arms, unblinding the trial at the first disclosure", async () => {
      const f = await loadFixture(revealedFixture);
      const first = await disclosureOf(f, f.patientId);
      const second = await disclosureOf(f, f.otherPatientId);
      await expect(disclose(f, [first, second]))
        .to.emit(f.trialRegistry, "ArmDisclosed")
        .withArgs(f.trialId, f.patientId, first.arm)
        .and.to.emit(f.trialRegistry, "ArmDisclosed")
        .withArgs(f.trialId, f.otherPatientId, second.arm);
      const unblindedAt = BigInt(await time.latest());
      expect((await subjectOf(f, f.patientId)).disclosedArm).to.equal(first.arm + 1);
      expect((await subjectOf(f, f.otherPatientId)).disclosedArm).to.equal(second.arm + 1);
      expect((await subjectOf(f, f.thirdId)).disclosedArm).to.equal(0);
      expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(unblindedAt);
      expect((await f.trialRegistry.trialState(f.trialId)).unblinded).to.equal(true);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 2 });
    });

    it("keeps the time of the first disclosure as the unblinding when more arms are disclosed later", async () => {
      const f = await loadFixture(revealedFixture);
      await mined(disclose(f, [await disclosureOf(f, f.patientId)]));
      const unblindedAt = BigInt(await time.latest());
      await time.increase(7 * 24 * 3600);
      const later = await disclosureOf(f, f.thirdId);
      await expect(disclose(f, [later]))
        .to.emit(f.trialRegistry, "ArmDisclosed")
        .withArgs(f.trialId, f.thirdId, later.arm);
      expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(unblindedAt);
      expect((await subjectOf(f, f.thirdId)).disclosedArm).to.equal(later.arm + 1);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 2 });
    });

    it("discloses the arm of a participant who withdrew after the reveal", async () => {
      const f = await loadFixture(revealedFixture);
      await mined(f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.None));
      const d = await disclosureOf(f, f.patientId);
      await expect(disclose(f, [d]))
        .to.emit(f.trialRegistry, "ArmDisclosed")
        .withArgs(f.trialId, f.patientId, d.arm);
      expect(await subjectOf(f, f.patientId)).to.deep.include({
        status: SubjectStatus.Withdrawn,
        disclosedArm: d.arm + 1,
      });
    });

    it("reverts with TrialNotRevealed for an enrolled participant not revealed yet, and for a non-participant", async () => {
      const f = await loadFixture(enrolledFixture);
      await f.reveal(f.patientId);
      const notRevealed = await disclosureOf(f, f.thirdId);
      await expect(disclose(f, [notRevealed]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotRevealed")
        .withArgs(f.trialId, f.thirdId);
      const { arm, salt } = openingOf(f.sequence, 0, 2);
      const stranger = { patient: f.representativeId, arm, salt, proof: revealOf(f.sequence, 0, 2).proof };
      await expect(disclose(f, [stranger]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotRevealed")
        .withArgs(f.trialId, f.representativeId);
      expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(0n);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 1, disclosed: 0 });
    });

    it("reverts with TrialAlreadyDisclosed for an arm disclosed already, in a later call or the same one", async () => {
      const f = await loadFixture(revealedFixture);
      const d = await disclosureOf(f, f.patientId);
      await mined(disclose(f, [d]));
      await expect(disclose(f, [d]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyDisclosed")
        .withArgs(f.trialId, f.patientId);
      const other = await disclosureOf(f, f.thirdId);
      await expect(disclose(f, [other, other]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyDisclosed")
        .withArgs(f.trialId, f.thirdId);
      expect((await subjectOf(f, f.thirdId)).disclosedArm).to.equal(0);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 1 });
    });

    describe("reverts with TrialArmMismatch", () => {
      async function expectArmMismatch(f: Scenario, d: ArmDisclosureStruct, arm: number) {
        await expect(disclose(f, [d]))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialArmMismatch")
          .withArgs(f.trialId, f.patientId, arm);
        expect((await subjectOf(f, f.patientId)).disclosedArm).to.equal(0);
        expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(0n);
      }

      it("for the other arm", async () => {
        const f = await loadFixture(revealedFixture);
        const d = await disclosureOf(f, f.patientId);
        await expectArmMismatch(f, { ...d, arm: 1 - d.arm }, 1 - d.arm);
      });

      it("for a wrong salt", async () => {
        const f = await loadFixture(revealedFixture);
        const d = await disclosureOf(f, f.patientId);
        await expectArmMismatch(f, { ...d, salt: word() }, d.arm);
        await expectArmMismatch(f, { ...d, salt: openingOf(f.sequence, 0, 1).salt }, d.arm);
      });

      it("for arm 255", async () => {
        const f = await loadFixture(revealedFixture);
        const d = await disclosureOf(f, f.patientId);
        await expectArmMismatch(f, { ...d, arm: 255 }, 255);
      });

      it("for the proof of another entry", async () => {
        const f = await loadFixture(revealedFixture);
        const d = await disclosureOf(f, f.patientId);
        await expectArmMismatch(f, { ...d, proof: revealOf(f.sequence, 0, 1).proof }, d.arm);
        await expectArmMismatch(f, { ...d, proof: [] }, d.arm);
      });

      it("for the opening of another entry with that entry's proof", async () => {
        const f = await loadFixture(revealedFixture);
        const other = await disclosureOf(f, f.thirdId);
        await expectArmMismatch(f, { ...other, patient: f.patientId }, other.arm);
      });

      it("for arm 255 even when the committed sequence holds it (it could not be stored as arm + 1)", async () => {
        const f = await loadFixture(enrolledFixture);
        const salts = [word(), word()];
        let tree: PositionalTree | undefined;
        const trialId = await secondTrial(f, (id) => {
          tree = positionalTree([
            allocationLeaf(id, { stratum: 0, index: 0, armCommitment: armCommitment(255, salts[0]!) }),
            allocationLeaf(id, { stratum: 0, index: 1, armCommitment: armCommitment(0, salts[1]!) }),
          ]);
          return tree.root;
        });
        if (tree === undefined) throw new Error("no tree for the second trial");
        await enrollIn(f, trialId, f.patientId, f.patientKey);
        const proof = positionalProof(tree, 0);
        await expect(revealAs(f, f.patientId, armCommitment(255, salts[0]!), proof, trialId))
          .to.emit(f.trialRegistry, "AllocationRevealed")
          .withArgs(trialId, f.patientId, 0, 0, armCommitment(255, salts[0]!));
        await expect(
          f.trialRegistry
            .connect(f.randomizerKey)
            .discloseArms(trialId, [{ patient: f.patientId, arm: 255, salt: salts[0]!, proof }]),
        )
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialArmMismatch")
          .withArgs(trialId, f.patientId, 255);
        expect((await f.trialRegistry.subject(trialId, f.patientId)).disclosedArm).to.equal(0n);
      });

      it("for the entry's opening with a proof one hash too long or too short", async () => {
        const f = await loadFixture(revealedFixture);
        const d = await disclosureOf(f, f.patientId);
        await expectArmMismatch(f, { ...d, proof: [...d.proof, ZeroHash] }, d.arm);
        await expectArmMismatch(f, { ...d, proof: d.proof.slice(0, -1) }, d.arm);
        await expect(disclose(f, [d]))
          .to.emit(f.trialRegistry, "ArmDisclosed")
          .withArgs(f.trialId, f.patientId, d.arm);
      });
    });

    it("discloses nothing when one disclosure of the list fails", async () => {
      const f = await loadFixture(revealedFixture);
      const good = await disclosureOf(f, f.patientId);
      const bad = await disclosureOf(f, f.thirdId);
      await expect(disclose(f, [good, { ...bad, arm: 1 - bad.arm }]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialArmMismatch")
        .withArgs(f.trialId, f.thirdId, 1 - bad.arm);
      expect((await subjectOf(f, f.patientId)).disclosedArm).to.equal(0);
      expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(0n);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 0 });
    });

    it("reverts with TrialProofTooLong for a proof of 33 hashes", async () => {
      const f = await loadFixture(revealedFixture);
      const d = await disclosureOf(f, f.patientId);
      await expect(disclose(f, [{ ...d, proof: Array.from({ length: 33 }, word) }]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialProofTooLong")
        .withArgs(33);
    });

    it("reverts with TrialInvalidLength for no disclosures and for more than 256", async () => {
      const f = await loadFixture(revealedFixture);
      await expect(disclose(f, []))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidLength")
        .withArgs(0, 256);
      const d = await disclosureOf(f, f.patientId);
      await expect(
        disclose(
          f,
          Array.from({ length: 257 }, () => d),
        ),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidLength")
        .withArgs(257, 256);
      // 256 is within the bound: the list is read, and its second entry repeats the first.
      await expect(
        disclose(
          f,
          Array.from({ length: 256 }, () => d),
        ),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyDisclosed")
        .withArgs(f.trialId, f.patientId);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 0 });
    });

    it("reverts with TrialNotRandomizer for the sponsor, an investigator and a stranger", async () => {
      const f = await loadFixture(revealedFixture);
      const d = await disclosureOf(f, f.patientId);
      for (const key of [f.sponsorKey, f.cardiologistKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).discloseArms(f.trialId, [d]))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotRandomizer")
          .withArgs(f.trialId, key.address);
      }
      expect((await subjectOf(f, f.patientId)).disclosedArm).to.equal(0);
    });

    it("reverts with EnforcedPause while paused", async () => {
      const f = await loadFixture(revealedFixture);
      await pause(f);
      await expect(disclose(f, [await disclosureOf(f, f.patientId)]))
        .to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause")
        .withArgs();
      expect((await subjectOf(f, f.patientId)).disclosedArm).to.equal(0);
    });
  });

  describe("unblind", () => {
    it("records the emergency unblinding of one participant by the investigator of its site", async () => {
      const f = await loadFixture(revealedFixture);
      await expect(
        f.trialRegistry
          .connect(f.cardiologistKey)
          .unblind(f.trialId, f.patientId, UnblindingReason.SeriousAdverseEvent),
      )
        .to.emit(f.trialRegistry, "EmergencyUnblinded")
        .withArgs(f.trialId, f.patientId, f.cardiologistId, UnblindingReason.SeriousAdverseEvent);
      expect(await subjectOf(f, f.patientId)).to.deep.include({ emergencyUnblinded: true, disclosedArm: 0 });
      expect((await subjectOf(f, f.thirdId)).emergencyUnblinded).to.equal(false);
      expect((await f.trialRegistry.trial(f.trialId)).unblindedAt).to.equal(0n);
      expect((await f.trialRegistry.trialState(f.trialId)).unblinded).to.equal(false);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 3, disclosed: 0 });
    });

    it("lets the other site's investigator unblind that site's participant", async () => {
      const f = await loadFixture(revealedFixture);
      await expect(
        f.trialRegistry
          .connect(f.clinicDoctorKey)
          .unblind(f.trialId, f.otherPatientId, UnblindingReason.MedicalEmergency),
      )
        .to.emit(f.trialRegistry, "EmergencyUnblinded")
        .withArgs(f.trialId, f.otherPatientId, f.clinicDoctorId, UnblindingReason.MedicalEmergency);
      expect((await subjectOf(f, f.otherPatientId)).emergencyUnblinded).to.equal(true);
    });

    it("works while paused", async () => {
      const f = await loadFixture(revealedFixture);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.cardiologistKey).unblind(f.trialId, f.patientId, UnblindingReason.Overdose),
      )
        .to.emit(f.trialRegistry, "EmergencyUnblinded")
        .withArgs(f.trialId, f.patientId, f.cardiologistId, UnblindingReason.Overdose);
      expect((await subjectOf(f, f.patientId)).emergencyUnblinded).to.equal(true);
      expect(await f.trialRegistry.paused()).to.equal(true);
    });

    it("reverts with TrialNotInvestigator for the other site's PI, the sponsor, the randomizer and a colleague of the PI", async () => {
      const f = await loadFixture(revealedFixture);
      for (const key of [f.clinicDoctorKey, f.sponsorKey, f.randomizerKey, f.internistKey]) {
        await expect(f.trialRegistry.connect(key).unblind(f.trialId, f.patientId, UnblindingReason.MedicalEmergency))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
          .withArgs(f.trialId, 1, key.address);
      }
      expect((await subjectOf(f, f.patientId)).emergencyUnblinded).to.equal(false);
    });

    it("reverts with TrialReasonRequired for reason code zero", async () => {
      const f = await loadFixture(revealedFixture);
      await expect(f.trialRegistry.connect(f.cardiologistKey).unblind(f.trialId, f.patientId, UnblindingReason.None))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialReasonRequired")
        .withArgs();
      expect((await subjectOf(f, f.patientId)).emergencyUnblinded).to.equal(false);
    });

    it("records an emergency unblinding before the allocation is revealed: an emergency does not wait", async () => {
      const f = await loadFixture(enrolledFixture);
      await expect(
        f.trialRegistry.connect(f.cardiologistKey).unblind(f.trialId, f.patientId, UnblindingReason.MedicalEmergency),
      )
        .to.emit(f.trialRegistry, "EmergencyUnblinded")
        .withArgs(f.trialId, f.patientId, f.cardiologistId, UnblindingReason.MedicalEmergency);
      expect(await subjectOf(f, f.patientId)).to.deep.include({
        revealed: false,
        emergencyUnblinded: true,
        disclosedArm: 0,
      });
      expect(await auditOf(f)).to.deep.equal({ enrolled: 3, revealed: 0, disclosed: 0 });
      // The reveal still comes after, against the committed sequence.
      await f.reveal(f.patientId);
      expect(await subjectOf(f, f.patientId)).to.deep.include({ revealed: true, emergencyUnblinded: true });
    });

    it("records an emergency unblinding before the reveal while paused", async () => {
      const f = await loadFixture(enrolledFixture);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.clinicDoctorKey).unblind(f.trialId, f.otherPatientId, UnblindingReason.Overdose),
      )
        .to.emit(f.trialRegistry, "EmergencyUnblinded")
        .withArgs(f.trialId, f.otherPatientId, f.clinicDoctorId, UnblindingReason.Overdose);
      expect(await subjectOf(f, f.otherPatientId)).to.deep.include({ revealed: false, emergencyUnblinded: true });
      expect(await f.trialRegistry.paused()).to.equal(true);
    });

    it("reverts with TrialSubjectNotEnrolled for a patient who does not take part", async () => {
      const f = await loadFixture(revealedFixture);
      await expect(
        f.trialRegistry
          .connect(f.cardiologistKey)
          .unblind(f.trialId, f.representativeId, UnblindingReason.MedicalEmergency),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.representativeId, SubjectStatus.None);
    });
  });

  describe("nextAllocationIndex", () => {
    it("counts each stratum's enrollments apart, from zero", async () => {
      const f = await loadFixture(trialsFixture);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(0n);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)).to.equal(0n);
      expect(await f.enroll(f.patientId, f.patientKey, 1, 1)).to.equal(0);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(0n);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)).to.equal(1n);
      expect(await f.enroll(f.otherPatientId, f.otherPatientKey, 2, 1)).to.equal(1);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)).to.equal(2n);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(0n);
    });

    it("does not give back the index of a participant who withdrew", async () => {
      const f = await loadFixture(enrolledFixture);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(2n);
      await mined(f.trialRegistry.connect(f.thirdKey).withdraw(f.trialId, f.thirdId, WithdrawalReason.None));
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(2n);
      const fourth = await f.newPatient();
      expect(await f.enroll(fourth.id, fourth.key, 1, 0)).to.equal(2);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(3n);
    });

    // Invariant: whatever the order in which participants are enrolled across strata and sites, each stratum's
    // enrollments take its indices 0, 1, 2, ... in order (none skipped, none reused), `nextAllocationIndex` is the
    // number enrolled in the stratum, and every reveal from the committed sequence verifies, so the SDK's audit of the
    // recorded reveals finds nothing.
    it("takes indices 0..n-1 in each stratum and verifies every reveal, for any enrollment order (property)", async () => {
      const plans = fc.array(
        fc.record({ stratum: fc.integer({ min: 0, max: STRATA - 1 }), site: fc.constantFrom(1, 2) }),
        { minLength: 1, maxLength: 6 },
      );
      await fc.assert(
        fc.asyncProperty(plans, async (plan) => {
          const f = await loadFixture(poolFixture);
          const taken = Array<number>(STRATA).fill(0);
          for (const [i, { stratum, site }] of plan.entries()) {
            const patient = f.pool[i]!;
            const index = taken[stratum]!;
            expect(await f.trialRegistry.nextAllocationIndex(f.trialId, stratum)).to.equal(BigInt(index));
            expect(await f.enroll(patient.id, patient.key, site, stratum)).to.equal(index);
            const { armCommitment: commitment, proof } = revealOf(f.sequence, stratum, index);
            await expect(revealAs(f, patient.id, commitment, proof))
              .to.emit(f.trialRegistry, "AllocationRevealed")
              .withArgs(f.trialId, patient.id, stratum, index, commitment);
            taken[stratum] = index + 1;
          }
          for (let stratum = 0; stratum < STRATA; stratum += 1) {
            expect(await f.trialRegistry.nextAllocationIndex(f.trialId, stratum)).to.equal(BigInt(taken[stratum]!));
          }
          expect(await auditOf(f)).to.deep.equal({ enrolled: plan.length, revealed: plan.length, disclosed: 0 });
          const report = auditAllocations(f.sequence, await recordedAllocations(f));
          expect(report).to.deep.include({ mismatched: [], reused: [], skipped: [], wrongArms: [] });
          for (let stratum = 0; stratum < STRATA; stratum += 1) {
            const indices = (await recordedAllocations(f)).filter((r) => r.stratum === stratum).map((r) => r.index);
            expect(indices).to.deep.equal(Array.from({ length: taken[stratum]! }, (_, i) => i));
          }
        }),
        runs(20),
      );
    });
  });

  describe("allocation audit (auditAllocations on the recorded events)", () => {
    /** The arm counts among the participants, from the sequence. */
    async function expectedArmCounts(f: Scenario, patients: bigint[]): Promise<number[]> {
      const counts = Array<number>(ARMS).fill(0);
      for (const p of patients) {
        const { stratum, index } = await placeOf(f, p);
        counts[openingOf(f.sequence, stratum, index).arm]! += 1;
      }
      return counts;
    }

    it("finds nothing wrong in what the registry recorded, and counts the disclosed arms", async () => {
      const f = await loadFixture(disclosedFixture);
      const recorded = await recordedAllocations(f);
      expect(recorded.map((r) => [r.patient, r.stratum, r.index])).to.deep.equal([
        [f.patientId, 0, 0],
        [f.otherPatientId, 1, 0],
        [f.thirdId, 0, 1],
        [f.fourthId, 0, 2],
      ]);
      expect(recorded.every((r) => r.arm !== undefined)).to.equal(true);
      const report = auditAllocations(f.sequence, recorded);
      expect(report).to.deep.equal({
        mismatched: [],
        reused: [],
        skipped: [],
        wrongArms: [],
        unrevealed: [],
        armCounts: await expectedArmCounts(f, f.patients),
      });
      expect(report.armCounts.reduce((a, b) => a + b, 0)).to.equal(4);
      expect(await auditOf(f)).to.deep.equal({ enrolled: 4, revealed: 4, disclosed: 4 });
    });

    it("counts only disclosed arms while some are still concealed", async () => {
      const f = await loadFixture(revealedFixture);
      await mined(disclose(f, [await disclosureOf(f, f.otherPatientId)]));
      const recorded = await recordedAllocations(f);
      expect(recorded.filter((r) => r.arm !== undefined).map((r) => r.patient)).to.deep.equal([f.otherPatientId]);
      expect(auditAllocations(f.sequence, recorded)).to.deep.equal({
        mismatched: [],
        reused: [],
        skipped: [],
        wrongArms: [],
        unrevealed: [],
        armCounts: await expectedArmCounts(f, [f.otherPatientId]),
      });
    });

    it("reports an index an enrollment took that no reveal covers, a gap at the end of a stratum included", async () => {
      const f = await loadFixture(disclosedFixture);
      const recorded = (await recordedAllocations(f)).filter((r) => r.patient !== f.fourthId);
      const taken = [
        Number(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)),
        Number(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)),
      ];
      const report = auditAllocations(f.sequence, recorded, taken);
      expect(report.skipped).to.deep.equal([]);
      expect(report.unrevealed).to.deep.equal([{ stratum: 0, index: 2 }]);
    });

    it("reports an index taken twice in a stratum", async () => {
      const f = await loadFixture(disclosedFixture);
      const recorded = await recordedAllocations(f);
      const duplicate = { ...recorded[2]!, patient: 424242n };
      const report = auditAllocations(f.sequence, [...recorded, duplicate]);
      expect(report.reused).to.deep.equal([{ stratum: 0, index: 1 }]);
      expect(report).to.deep.include({ mismatched: [], skipped: [], wrongArms: [] });
    });

    it("reports an index skipped in a stratum", async () => {
      const f = await loadFixture(disclosedFixture);
      const recorded = await recordedAllocations(f);
      const report = auditAllocations(
        f.sequence,
        recorded.filter((r) => !(r.stratum === 0 && r.index === 1)),
      );
      expect(report.skipped).to.deep.equal([{ stratum: 0, index: 1 }]);
      expect(report).to.deep.include({ mismatched: [], reused: [], wrongArms: [] });
    });

    it("reports a disclosed arm that is not the sequence's", async () => {
      const f = await loadFixture(disclosedFixture);
      const recorded = await recordedAllocations(f);
      const doctored = { ...recorded[1]!, arm: 1 - recorded[1]!.arm! };
      const report = auditAllocations(f.sequence, [recorded[0]!, doctored, ...recorded.slice(2)]);
      expect(report.wrongArms).to.deep.equal([doctored]);
      expect(report).to.deep.include({ mismatched: [], reused: [], skipped: [] });
      expect(report.armCounts.reduce((a, b) => a + b, 0)).to.equal(3);
    });

    it("reports a reveal whose commitment is not the sequence's entry", async () => {
      const f = await loadFixture(disclosedFixture);
      const recorded = await recordedAllocations(f);
      const doctored = { ...recorded[3]!, armCommitment: hashText("forged") };
      const report = auditAllocations(f.sequence, [...recorded.slice(0, 3), doctored]);
      expect(report.mismatched).to.deep.equal([doctored]);
      expect(report).to.deep.include({ reused: [], skipped: [], wrongArms: [] });
    });
  });
});
