import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { type ContractTransactionResponse, hexlify, randomBytes, type Signer, Wallet, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import {
  AdverseEventStatus,
  ALLOCATION_LEAF_ENCODING,
  allocationLeaf,
  armCommitment,
  buildDataBatch,
  commit,
  DataCategory,
  DecisionBasis,
  ParticipantKind,
  positionalProof,
  positionalTree,
  StatusReason,
  SubjectStatus,
  TrialStatus,
  UnlockReason,
  WithdrawalReason,
} from "../../sdk";
import type { ReportedOutcomeStruct } from "../../typechain-types/contracts/trials/ITrialProtocol";
import { DAY, YEAR } from "../fixtures/identity";
import {
  doc,
  PRIMARY,
  registration,
  SECONDARY_1,
  SECONDARY_2,
  trialsFixture,
  type TrialsFixture,
} from "../fixtures/trials";

// The clinical-trials module from an attacker's side: a sponsor or randomization service keeping a choice of arms open
// after enrollment, a site taking another site's consent or burning indices to reach a wanted arm, a sponsor unlocking
// its own database or stopping the results clock, nobody assessing a serious adverse event, a completion date that
// breaks the overdue scan, data for participants a site may not send, and one body in two roles. Each runs against the
// trials fixture (a registered, randomized two-arm trial with two active sites) and is shown to fail, or to be visible.

/** `TrialProtocol.RESULTS_WINDOW` and the registry's `MAX_COMPLETION_HORIZON`. */
const RESULTS_WINDOW = 365 * DAY;
const MAX_COMPLETION_HORIZON = 20 * 365 * DAY;
const DATASET = doc("dataset:attacks");

async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

/** A random 32-byte word: a salt. */
function word(): string {
  return hexlify(randomBytes(32));
}

/** The three registered outcomes, reported as pre-specified. */
function asRegistered(): ReportedOutcomeStruct[] {
  return [PRIMARY, SECONDARY_1, SECONDARY_2].map((outcome, i) => ({
    outcome,
    result: doc(`result:${i}`),
    primary: i === 0,
  }));
}

/** The patient (site 1, stratum 0, index 0), the other patient (site 2, stratum 1) and a third (site 1, index 1). */
async function enrolledFixture() {
  const f = await loadFixture(trialsFixture);
  await f.enroll(f.patientId, f.patientKey, 1, 0);
  await f.enroll(f.otherPatientId, f.otherPatientKey, 2, 1);
  const third = await f.newPatient();
  await f.enroll(third.id, third.key, 1, 0);
  return { ...f, thirdId: third.id, thirdKey: third.key };
}

/** The fixture with the sponsor's, the committee's and the regulator's credentials outlasting the results deadline. */
async function longFixture() {
  const f = await loadFixture(trialsFixture);
  const until = BigInt(await time.latest()) + BigInt(10 * YEAR);
  for (const [id, label] of [
    [f.sponsorId, "sponsor"],
    [f.ethicsCommitteeId, "irb"],
    [f.regulatorId, "regulator"],
  ] as const) {
    await f.identity.as(f.registrar).renewCredential(id, commit(`credential:${label}:renewed`).commitment, until);
  }
  const { due } = await f.trialProtocol.resultsDeadline(f.trialId);
  return { ...f, due };
}

/**
 * A second trial of the sponsor (site 1, the hospital, active) whose allocation of one stratum of `perStratum` is the
 * root the sponsor computed with `root`, with the patient enrolled at index 0.
 */
async function secondTrial(f: TrialsFixture, perStratum: number, root: (trialId: bigint) => string) {
  const registry = f.trialRegistry.connect(f.sponsorKey);
  await mined(registry.registerTrial(registration(f.parties, await time.latest())));
  const trialId = await f.trialRegistry.trialCount();
  await mined(registry.proposeSite(trialId, f.hospitalId, f.cardiologistId));
  await mined(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(trialId, 1));
  await mined(registry.commitAllocation(trialId, root(trialId), 1, perStratum));
  const signed = await f.consentFor(f.patientId, f.patientKey, { trial: trialId });
  await mined(f.trialRegistry.connect(f.cardiologistKey).enroll(trialId, 1, f.patientId, 0, signed));
  return trialId;
}

/** The registrar registers a practitioner on a fresh funded key, affiliated with `organization` (whose key accepts her). */
async function practitionerOf(f: TrialsFixture, organization: bigint, organizationKey: Signer, label: string) {
  const key = Wallet.createRandom().connect(ethers.provider);
  await (await f.deployer.sendTransaction({ to: key.address, value: ethers.parseEther("1") })).wait();
  const { id } = await f.identity.as(f.registrar).registerWithKey(
    key,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit(`credential:${label}`).commitment,
      credentialExpiry: f.credentialExpiry,
      affiliation: organization,
    },
    organizationKey,
  );
  return id;
}

describe("TrialRegistry", function () {
  describe("clinical-trial attacks", function () {
    it("runs against the production deployment", async function () {
      const f = await loadFixture(trialsFixture);
      expect(await f.trialRegistry.getAddress()).to.equal(f.deployment.trialRegistry);
      expect(await f.trialRegistry.trialProtocol()).to.equal(f.deployment.trialProtocol);
      expect(await f.trialSafety.registry()).to.equal(f.deployment.trialRegistry);
    });

    it("a sequence with two leaves for one (stratum, index) cannot reveal the twin: one leaf per position", async function () {
      const f = await loadFixture(trialsFixture);
      const [saltA, saltB, saltX] = [word(), word(), word()];
      const [a, b] = [armCommitment(0, saltA), armCommitment(1, saltB)];
      let leaves: string[] = [];
      // The sponsor hides the twin (0, 0, B) in position 2 of a stratum of 3: its leaf names index 0, its place is 2.
      const trialId = await secondTrial(f, 3, (id) => {
        leaves = [
          allocationLeaf(id, { stratum: 0, index: 0, armCommitment: a }),
          allocationLeaf(id, { stratum: 0, index: 1, armCommitment: armCommitment(1, saltX) }),
          allocationLeaf(id, { stratum: 0, index: 0, armCommitment: b }),
        ];
        return positionalTree(leaves).root;
      });
      const tree = positionalTree(leaves);
      // Enrolled at index 0: B, proven at the position it sits in, is not the entry at index 0's position.
      await expect(f.trialRegistry.connect(f.randomizerKey).reveal(trialId, f.patientId, b, positionalProof(tree, 2)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
        .withArgs(trialId, f.patientId, 0, 0);
      // Nor at index 0's position, where A is.
      await expect(f.trialRegistry.connect(f.randomizerKey).reveal(trialId, f.patientId, b, positionalProof(tree, 0)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
        .withArgs(trialId, f.patientId, 0, 0);
      await expect(f.trialRegistry.connect(f.randomizerKey).reveal(trialId, f.patientId, a, positionalProof(tree, 0)))
        .to.emit(f.trialRegistry, "AllocationRevealed")
        .withArgs(trialId, f.patientId, 0, 0, a);
      // Revealed as A, the participant's arm cannot be disclosed as B's.
      await expect(
        f.trialRegistry
          .connect(f.randomizerKey)
          .discloseArms(trialId, [{ patient: f.patientId, arm: 1, salt: saltB, proof: positionalProof(tree, 2) }]),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialArmMismatch")
        .withArgs(trialId, f.patientId, 1);
    });

    it("a sorted-pair (StandardMerkleTree) proof is refused, and a sorted-pair tree's twins verify for neither arm", async function () {
      const f = await loadFixture(enrolledFixture);
      // The old format: OpenZeppelin's sorted-pair tree over the same entries. Its proof of the third patient's entry
      // (stratum 0, index 1) is valid for that tree, and refused against the committed sequence.
      const standard = StandardMerkleTree.of(
        f.sequence.entries.map((e): [bigint, number, number, string] => [
          f.trialId,
          e.stratum,
          e.index,
          e.armCommitment,
        ]),
        [...ALLOCATION_LEAF_ENCODING],
      );
      const entry = f.sequence.entries[1]!;
      const value: [bigint, number, number, string] = [f.trialId, 0, 1, entry.armCommitment];
      const sortedProof = standard.getProof(value);
      expect(StandardMerkleTree.verify(standard.root, [...ALLOCATION_LEAF_ENCODING], value, sortedProof)).to.equal(
        true,
      );
      await expect(
        f.trialRegistry.connect(f.randomizerKey).reveal(f.trialId, f.thirdId, entry.armCommitment, sortedProof),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
        .withArgs(f.trialId, f.thirdId, 0, 1);
      const positional = positionalProof(f.sequence.tree, 1);
      await expect(
        f.trialRegistry.connect(f.randomizerKey).reveal(f.trialId, f.thirdId, entry.armCommitment, positional),
      )
        .to.emit(f.trialRegistry, "AllocationRevealed")
        .withArgs(f.trialId, f.thirdId, 0, 1, entry.armCommitment);

      // A sequence of one entry committed as a sorted-pair tree holding two arms for it: OpenZeppelin's verification
      // accepts both, the registry neither (a one-entry sequence's root is its one leaf).
      const [a, b] = [armCommitment(0, word()), armCommitment(1, word())];
      let twins: StandardMerkleTree<[bigint, number, number, string]> | undefined;
      const trialId = await secondTrial(f, 1, (id) => {
        twins = StandardMerkleTree.of(
          [
            [id, 0, 0, a],
            [id, 0, 0, b],
          ],
          [...ALLOCATION_LEAF_ENCODING],
        );
        return twins.root;
      });
      if (twins === undefined) throw new Error("no tree for the second trial");
      const tree = twins;
      for (const [at, commitment] of [
        [0, a],
        [1, b],
      ] as const) {
        const proof = tree.getProof(at);
        const leaf: [bigint, number, number, string] = [trialId, 0, 0, commitment];
        expect(StandardMerkleTree.verify(tree.root, [...ALLOCATION_LEAF_ENCODING], leaf, proof)).to.equal(true);
        for (const offered of [proof, []]) {
          await expect(f.trialRegistry.connect(f.randomizerKey).reveal(trialId, f.patientId, commitment, offered))
            .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationMismatch")
            .withArgs(trialId, f.patientId, 0, 0);
        }
      }
      expect((await f.trialRegistry.allocationAudit(trialId)).revealed).to.equal(0n);
    });

    it("another site's investigator cannot take a consent signature given at site 1", async function () {
      const f = await loadFixture(trialsFixture);
      const atSite1 = await f.consentFor(f.patientId, f.patientKey, { site: 1 });
      await expect(f.trialRegistry.connect(f.clinicDoctorKey).enroll(f.trialId, 2, f.patientId, 0, atSite1))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
        .withArgs(f.patientKey.address);
      // Nor relay it to site 1 in the cardiologist's stead.
      await expect(f.trialRegistry.connect(f.clinicDoctorKey).enroll(f.trialId, 1, f.patientId, 0, atSite1))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
        .withArgs(f.trialId, 1, f.clinicDoctorKey.address);
      expect((await f.trialRegistry.subject(f.trialId, f.patientId)).status).to.equal(BigInt(SubjectStatus.None));
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(0n);
    });

    it("an investigator cannot burn indices: a refused enrollment takes none, the index is always the next", async function () {
      const f = await loadFixture(trialsFixture);
      const enroll = (patient: bigint, signed: Awaited<ReturnType<TrialsFixture["consentFor"]>>) =>
        f.trialRegistry.connect(f.cardiologistKey).enroll(f.trialId, 1, patient, 0, signed);
      const ungranted = await f.newPatient(false);
      for (let expected = 0; expected < 2; expected += 1) {
        await expect(enroll(ungranted.id, await f.consentFor(ungranted.id, ungranted.key)))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialConsentNotGranted")
          .withArgs(f.trialId, ungranted.id, DataCategory.Conditions, DecisionBasis.NoGrant);
        const patient = await f.newPatient();
        const forged = await f.consentFor(patient.id, f.strangerKey);
        await expect(enroll(patient.id, forged))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
          .withArgs(patient.id, f.strangerKey.address);
        const lapsed = await f.consentFor(patient.id, patient.key, { deadline: BigInt(await time.latest()) });
        // The refusal's time is the block's: pinned, so that the assertion does not race the clock.
        const at = (await time.latest()) + 2;
        await time.setNextBlockTimestamp(at);
        await expect(enroll(patient.id, lapsed))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialSignatureExpired")
          .withArgs(lapsed.deadline, at);
        expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(BigInt(expected));
        await expect(enroll(patient.id, await f.consentFor(patient.id, patient.key)))
          .to.emit(f.trialRegistry, "ParticipantEnrolled")
          .withArgs(f.trialId, patient.id, 1, 0, expected);
      }
      expect((await f.trialRegistry.allocationAudit(f.trialId)).enrolled).to.equal(2n);
      // Nor can the sequence be replaced to move the indices left: it is fixed once anyone is enrolled.
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:swap"), 2, 16))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationFrozen")
        .withArgs(f.trialId, 2);
    });

    it("the sponsor alone cannot unlock its locked database", async function () {
      const f = await loadFixture(trialsFixture);
      const registry = f.trialRegistry.connect(f.sponsorKey);
      await mined(registry.lock(f.trialId, DATASET));
      await mined(registry.requestUnlock(f.trialId, UnlockReason.DataCorrection));
      expect((await f.trialRegistry.trial(f.trialId)).unlockRequested).to.equal(BigInt(UnlockReason.DataCorrection));
      for (const key of [f.sponsorKey, f.randomizerKey, f.cardiologistKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).approveUnlock(f.trialId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotOversight")
          .withArgs(f.trialId, key.address);
      }
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.status, t.datasetRoot]).to.deep.equal([BigInt(TrialStatus.Locked), DATASET]);
      await expect(f.trialRegistry.connect(f.regulatorKey).approveUnlock(f.trialId))
        .to.emit(f.trialRegistry, "DatabaseUnlocked")
        .withArgs(f.trialId, f.regulatorId, UnlockReason.DataCorrection);
    });

    it("an early results report, then an unlock, does not stop the results clock", async function () {
      const f = await loadFixture(longFixture);
      await mined(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET));
      await expect(f.trialProtocol.connect(f.sponsorKey).reportResults(f.trialId, DATASET, asRegistered())).to.emit(
        f.trialProtocol,
        "ResultsReported",
      );
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).firstReportedAt).to.equal(0n);
      await mined(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.MissingData));
      await mined(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId));
      await time.increaseTo(f.due + 1n);
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([1n, 0n, true]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
    });

    it("an amendment moving the completion date after results fell due does not clear the lateness", async function () {
      const f = await loadFixture(longFixture);
      await time.increaseTo(f.due + 1n);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
      const later = (await time.latest()) + YEAR;
      const proposal = {
        protocol: doc("protocol:moved"),
        analysisPlan: ZeroHash,
        consentForm: ZeroHash,
        majorConsentChange: false,
        primaryCompletion: later,
        outcomes: [],
      };
      await mined(f.trialProtocol.connect(f.sponsorKey).proposeAmendment(f.trialId, proposal));
      await expect(f.trialProtocol.connect(f.ethicsCommitteeKey).approveAmendment(f.trialId, 1n))
        .to.emit(f.trialProtocol, "PrimaryCompletionSet")
        .withArgs(f.trialId, 1n, later);
      let d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.primaryCompletion, d.due, d.late]).to.deep.equal([BigInt(later), BigInt(later + RESULTS_WINDOW), true]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
      // Reporting on time for the moved date does not clear it either.
      await time.increaseTo(later);
      await mined(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET));
      await mined(f.trialProtocol.connect(f.sponsorKey).reportResults(f.trialId, DATASET, asRegistered()));
      d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.firstReportedAt, d.late]).to.deep.equal([BigInt(await time.latest()), true]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
    });

    it("a serious adverse event nobody assesses becomes overdue", async function () {
      const f = await loadFixture(enrolledFixture);
      const report = doc("sae:unassessed");
      await mined(f.trialSafety.connect(f.cardiologistKey).recordAdverseEvent(f.trialId, f.patientId, report, true, 0));
      const { deadline, awareAt } = await f.trialSafety.adverseEvent(f.trialId, 1);
      expect(deadline).to.equal(awareAt + 7n * BigInt(DAY));
      await time.increaseTo(deadline);
      expect(await f.trialSafety.overdueAdverseEvents(f.trialId, 1, 1)).to.deep.equal([]);
      await time.increase(1);
      expect(await f.trialSafety.overdueAdverseEvents(f.trialId, 0, 100)).to.deep.equal([1n]);
      expect((await f.trialSafety.adverseEvent(f.trialId, 1)).assessedAt).to.equal(0n);
      // Assessed at last as not a SUSAR, it leaves the overdue list, but when it was assessed stays on the record.
      await mined(f.trialSafety.connect(f.sponsorKey).assess(f.trialId, 1, false));
      expect(await f.trialSafety.overdueAdverseEvents(f.trialId, 0, 100)).to.deep.equal([]);
      const assessed = await f.trialSafety.adverseEvent(f.trialId, 1);
      expect([assessed.status, assessed.assessedAt > assessed.deadline]).to.deep.equal([
        BigInt(AdverseEventStatus.NotSusar),
        true,
      ]);
    });

    it("a far-future completion date cannot be registered or amended in (it would break the overdue scan)", async function () {
      const f = await loadFixture(trialsFixture);
      // 2^48 - 1: results would fall due past the largest uint48, and every overdue scan over the trial would revert.
      const farFuture = 2 ** 48 - 1;
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      await expect(
        f.trialRegistry
          .connect(f.sponsorKey)
          .registerTrial(registration(f.parties, now, { primaryCompletion: farFuture })),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidPrimaryCompletion")
        .withArgs(farFuture, now);
      const at = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(at);
      await expect(
        f.trialProtocol.connect(f.sponsorKey).proposeAmendment(f.trialId, {
          protocol: doc("protocol:far"),
          analysisPlan: ZeroHash,
          consentForm: ZeroHash,
          majorConsentChange: false,
          primaryCompletion: at + MAX_COMPLETION_HORIZON + 1,
          outcomes: [],
        }),
      )
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidPrimaryCompletion")
        .withArgs(at + MAX_COMPLETION_HORIZON + 1, at);
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
      expect(await f.trialProtocol.overdueTrials(0n, 2n ** 64n - 1n)).to.deep.equal([]);
    });

    it("a suspended patient's key (perhaps stolen) cannot withdraw her for good; her investigator withdraws her", async function () {
      const f = await loadFixture(enrolledFixture);
      await f.identity.as(f.registrar).suspend(f.patientId, StatusReason.UnderInvestigation);
      for (const key of [f.patientKey, f.representativeKey]) {
        await expect(f.trialRegistry.connect(key).withdraw(f.trialId, f.patientId, 0))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotWithdrawer")
          .withArgs(f.trialId, f.patientId, key.address);
        await expect(f.trialRegistry.connect(key).increaseNonce(f.trialId, f.patientId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
          .withArgs(f.patientId, key.address);
      }
      await expect(
        f.trialRegistry.connect(f.cardiologistKey).withdraw(f.trialId, f.patientId, WithdrawalReason.ConsentWithdrawn),
      )
        .to.emit(f.trialRegistry, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.patientId, f.cardiologistId, WithdrawalReason.ConsentWithdrawn);
      expect((await f.trialRegistry.subject(f.trialId, f.patientId)).status).to.equal(BigInt(SubjectStatus.Withdrawn));
    });

    it("a site cannot anchor data for a withdrawn participant, another site's, or one who has not re-consented", async function () {
      const f = await loadFixture(enrolledFixture);
      const anchor = (site: number, patient: bigint, label: string) => {
        const batch = buildDataBatch(f.trialId, [{ patient, entry: doc(`crf:${label}`) }]);
        const key = site === 1 ? f.cardiologistKey : f.clinicDoctorKey;
        return f.trialRegistry.connect(key).anchorData(f.trialId, site, batch.root, batch.count, batch.subjects);
      };
      await mined(f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.None));
      await expect(anchor(1, f.patientId, "withdrawn"))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
      await expect(anchor(1, f.otherPatientId, "other site"))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotAtSite")
        .withArgs(f.trialId, f.otherPatientId, 1);
      // A major consent change: no data for the third patient until she signs version 2.
      await mined(
        f.trialProtocol.connect(f.sponsorKey).proposeAmendment(f.trialId, {
          protocol: doc("protocol:v2"),
          analysisPlan: ZeroHash,
          consentForm: doc("consent-form:v2"),
          majorConsentChange: true,
          primaryCompletion: 0,
          outcomes: [],
        }),
      );
      await mined(f.trialProtocol.connect(f.ethicsCommitteeKey).approveAmendment(f.trialId, 1n));
      await expect(anchor(1, f.thirdId, "not re-consented"))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialReconsentRequired")
        .withArgs(f.trialId, f.thirdId, 1, 2);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
      await mined(
        f.trialRegistry.connect(f.thirdKey).reconsent(f.trialId, f.thirdId, await f.consentFor(f.thirdId, f.thirdKey)),
      );
      await expect(anchor(1, f.thirdId, "re-consented")).to.emit(f.trialRegistry, "DataAnchored");
    });

    it("the ethics committee cannot be the randomization service, and a site cannot be either", async function () {
      const f = await loadFixture(trialsFixture);
      const reg = registration(f.parties, await time.latest(), { randomizer: f.ethicsCommitteeId });
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(reg))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialPartiesNotDistinct")
        .withArgs(f.ethicsCommitteeId, f.ethicsCommitteeId);
      for (const [organization, key] of [
        [f.ethicsCommitteeId, f.ethicsCommitteeKey],
        [f.randomizerId, f.randomizerKey],
      ] as const) {
        const investigator = await practitionerOf(f, organization, key, `investigator of ${organization}`);
        await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, organization, investigator))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
          .withArgs(organization, investigator);
      }
      expect((await f.trialRegistry.trial(f.trialId)).sites).to.equal(2n);
    });
  });
});
