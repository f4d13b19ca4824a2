import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { type ContractTransactionResponse, hexlify, id as hashText, randomBytes, ZeroHash, zeroPadValue } from "ethers";

import {
  buildDataBatch,
  type DataBatchTree,
  dataProof,
  type DataEntry,
  MAX_BATCH_ENTRIES,
  MAX_BATCH_SUBJECTS,
  SiteStatus,
  SubjectStatus,
  TrialStatus,
  UnlockReason,
  WithdrawalReason,
} from "../../sdk";
import { doc, trialsFixture, type TrialsFixture } from "../fixtures/trials";

// Case-report data, the database lock and its two-party unlock. The scenarios are fixtures of their own (declared
// here, each built on `loadFixture(trialsFixture)`), so that a test reverts to the scenario's snapshot rather than
// replaying its enrollments.

/** A reason code for suspending or closing a site, or suspending a participant (from an off-chain code list). */
const REASON = 5;
/** The roots of the final dataset the sponsor locks with. */
const DATASET_ROOT = hashText("dataset:final:v1");
const DATASET_ROOT_2 = hashText("dataset:final:v2");
/** The placeholder the registry keeps in the dataset-root slot while unlocked: never a valid root. */
const ONE = zeroPadValue("0x01", 32);

async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

/** A salted commitment standing for one case-report form entry. */
function crf(label: string): string {
  return hashText(`crf-entry:${label}`);
}

/**
 * The fixture with three participants: the patient and a third patient at site 1 (the hospital, the cardiologist),
 * the other patient at site 2 (the clinic, its doctor). Nothing anchored, the database unlocked.
 */
async function dataFixture() {
  const f = await loadFixture(trialsFixture);
  await f.enroll(f.patientId, f.patientKey, 1, 0);
  await f.enroll(f.otherPatientId, f.otherPatientKey, 2, 1);
  const third = await f.newPatient();
  await f.enroll(third.id, third.key, 1, 1);
  return { ...f, thirdId: third.id, thirdKey: third.key };
}

type Scenario = Awaited<ReturnType<typeof dataFixture>>;

/** `dataFixture` with site 1's first batch (`firstBatch`) anchored as batch 1. */
async function anchoredFixture() {
  const f = await loadFixture(dataFixture);
  await mined(anchor(f, firstBatch(f)));
  return f;
}

/** `dataFixture` with the database locked by the sponsor with `DATASET_ROOT`. */
async function lockedFixture() {
  const f = await loadFixture(dataFixture);
  await mined(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT));
  return f;
}

/** `lockedFixture` with the sponsor's request to unlock for a data correction. */
async function unlockRequestedFixture() {
  const f = await loadFixture(lockedFixture);
  await mined(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.DataCorrection));
  return f;
}

/** Site 1's first batch: two visits of the patient and the third patient's baseline. */
function firstBatch(f: Scenario): DataBatchTree {
  const entries: DataEntry[] = [
    { patient: f.patientId, entry: crf("patient:visit-1") },
    { patient: f.patientId, entry: crf("patient:visit-2") },
    { patient: f.thirdId, entry: crf("third:baseline") },
  ];
  return buildDataBatch(f.trialId, entries);
}

/** A batch of one entry for each of `patients`. */
function batchFor(f: TrialsFixture, patients: bigint[], label = "entry"): DataBatchTree {
  return buildDataBatch(
    f.trialId,
    patients.map((patient) => ({ patient, entry: crf(`${label}:${patient}`) })),
  );
}

/** Anchors `batch` at `site` as `key` (the site's investigator by default). */
function anchor(f: TrialsFixture, batch: DataBatchTree, site = 1, key?: HardhatEthersSigner) {
  const investigator = key ?? (site === 2 ? f.clinicDoctorKey : f.cardiologistKey);
  return f.trialRegistry.connect(investigator).anchorData(f.trialId, site, batch.root, batch.count, batch.subjects);
}

/** Anchors a raw batch (root, count, subjects) at site 1 as the cardiologist. */
function anchorRaw(f: TrialsFixture, root: string, count: number | bigint, subjects: bigint[]) {
  return f.trialRegistry.connect(f.cardiologistKey).anchorData(f.trialId, 1, root, count, subjects);
}

async function batchOf(f: TrialsFixture, batchId: number) {
  const b = await f.trialRegistry.dataBatch(f.trialId, batchId);
  return { root: b.root, site: Number(b.site), count: Number(b.count), anchoredAt: Number(b.anchoredAt) };
}

async function trialOf(f: TrialsFixture) {
  const t = await f.trialRegistry.trial(f.trialId);
  return {
    status: Number(t.status),
    lockedAt: Number(t.lockedAt),
    datasetRoot: t.datasetRoot,
    consentVersion: Number(t.consentVersion),
    majorConsentVersion: Number(t.majorConsentVersion),
  };
}

async function stateOf(f: TrialsFixture) {
  const s = await f.trialRegistry.trialState(f.trialId);
  return {
    status: Number(s.status),
    everLocked: s.everLocked,
    unblinded: s.unblinded,
    datasetRoot: s.datasetRoot,
  };
}

/** The sponsor proposes an amendment bringing consent form v2 (major or minor); the ethics committee approves it. */
async function amendConsent(f: TrialsFixture, major: boolean): Promise<void> {
  await mined(
    f.trialProtocol.connect(f.sponsorKey).proposeAmendment(f.trialId, {
      protocol: doc("protocol:v2"),
      analysisPlan: ZeroHash,
      consentForm: doc("consent-form:v2"),
      majorConsentChange: major,
      primaryCompletion: 0,
      outcomes: [],
    }),
  );
  const [, , amendmentId] = await f.trialProtocol.protocolOf(f.trialId);
  await mined(f.trialProtocol.connect(f.ethicsCommitteeKey).approveAmendment(f.trialId, amendmentId));
}

async function pause(f: TrialsFixture): Promise<void> {
  await mined(f.trialRegistry.connect(f.pauser).pause());
}

describe("TrialRegistry", () => {
  describe("anchorData", () => {
    it("anchors a site's batch, naming its participants", async () => {
      const f = await loadFixture(dataFixture);
      const batch = firstBatch(f);
      expect(batch.subjects).to.deep.equal([f.patientId, f.thirdId]);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
      expect(
        await f.trialRegistry
          .connect(f.cardiologistKey)
          .anchorData.staticCall(f.trialId, 1, batch.root, batch.count, batch.subjects),
      ).to.equal(1n);
      await expect(anchor(f, batch))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batch.root, 3, [f.patientId, f.thirdId]);
      expect(await batchOf(f, 1)).to.deep.equal({
        root: batch.root,
        site: 1,
        count: 3,
        anchoredAt: await time.latest(),
      });
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(1n);
    });

    it("numbers batches across sites in the order anchored", async () => {
      const f = await loadFixture(anchoredFixture);
      const clinic = batchFor(f, [f.otherPatientId], "clinic");
      await expect(anchor(f, clinic, 2))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 2, 2, clinic.root, 1, [f.otherPatientId]);
      const again = batchFor(f, [f.thirdId], "follow-up");
      await expect(anchor(f, again, 1))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 3, 1, again.root, 1, [f.thirdId]);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(3n);
      expect((await batchOf(f, 1)).root).to.equal(firstBatch(f).root);
      expect(await batchOf(f, 2)).to.deep.include({ root: clinic.root, site: 2, count: 1 });
      expect(await batchOf(f, 3)).to.deep.include({ root: again.root, site: 1, count: 1 });
    });

    it("accepts the bounds: 2^24 entries and 256 subjects", async () => {
      const f = await loadFixture(dataFixture);
      const root = crf("bounds");
      await expect(anchorRaw(f, root, MAX_BATCH_ENTRIES, [f.patientId]))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, root, MAX_BATCH_ENTRIES, [f.patientId]);
      expect(await batchOf(f, 1)).to.deep.include({ count: MAX_BATCH_ENTRIES });
    });

    it("names each participant once, in ascending id order: a repeat or a step back is refused", async () => {
      const f = await loadFixture(dataFixture);
      const root = crf("order");
      const [low, high] = f.patientId < f.thirdId ? [f.patientId, f.thirdId] : [f.thirdId, f.patientId];
      await expect(anchorRaw(f, root, 1, [low, low]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectsNotAscending")
        .withArgs(low, low);
      await expect(anchorRaw(f, root, 1, [high, low]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectsNotAscending")
        .withArgs(high, low);
      await expect(anchorRaw(f, root, 2, [low, high]))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, root, 2, [low, high]);
    });

    it("still anchors the follow-up data of a suspended site, which enrolls no one", async () => {
      const f = await loadFixture(dataFixture);
      await mined(f.trialRegistry.connect(f.ethicsCommitteeKey).suspendSite(f.trialId, 1, REASON));
      expect((await f.trialRegistry.site(f.trialId, 1)).status).to.equal(SiteStatus.Suspended);
      const batch = firstBatch(f);
      await expect(anchor(f, batch))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batch.root, 3, batch.subjects);
      expect(await batchOf(f, 1)).to.deep.include({ root: batch.root, site: 1 });
      const newcomer = await f.newPatient();
      const signed = await f.consentFor(newcomer.id, newcomer.key);
      await expect(f.trialRegistry.connect(f.cardiologistKey).enroll(f.trialId, 1, newcomer.id, 0, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSiteNotActive")
        .withArgs(f.trialId, 1, SiteStatus.Suspended);
    });

    it("reverts with TrialDatabaseLocked after the lock, naming when it was locked", async () => {
      const f = await loadFixture(lockedFixture);
      const { lockedAt } = await trialOf(f);
      expect(lockedAt).to.be.greaterThan(0);
      await expect(anchor(f, firstBatch(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialSiteNotActive at a proposed, a closed and an unknown site", async () => {
      const f = await loadFixture(dataFixture);
      await mined(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId));
      await expect(anchor(f, firstBatch(f), 3, f.internistKey))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSiteNotActive")
        .withArgs(f.trialId, 3, SiteStatus.Proposed);
      await mined(f.trialRegistry.connect(f.sponsorKey).closeSite(f.trialId, 2, REASON));
      await expect(anchor(f, batchFor(f, [f.otherPatientId]), 2))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSiteNotActive")
        .withArgs(f.trialId, 2, SiteStatus.Closed);
      await expect(anchor(f, firstBatch(f), 9))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSiteNotActive")
        .withArgs(f.trialId, 9, SiteStatus.None);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialNotInvestigator for another site's PI, a colleague of the PI, the sponsor and a stranger", async () => {
      const f = await loadFixture(dataFixture);
      for (const key of [f.clinicDoctorKey, f.internistKey, f.sponsorKey, f.strangerKey]) {
        await expect(anchor(f, firstBatch(f), 1, key))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
          .withArgs(f.trialId, 1, key.address);
      }
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialNotInvestigator for the site's PI while suspended by the registrar", async () => {
      const f = await loadFixture(dataFixture);
      await mined(f.identityRegistry.connect(f.registrar).suspend(f.cardiologistId, REASON));
      await expect(anchor(f, firstBatch(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
        .withArgs(f.trialId, 1, f.cardiologistKey.address);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialZeroCommitment for a zero root", async () => {
      const f = await loadFixture(dataFixture);
      await expect(anchorRaw(f, ZeroHash, 1, [f.patientId]))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialZeroCommitment")
        .withArgs();
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialInvalidBatchCount for 0 entries and for 2^24 + 1", async () => {
      const f = await loadFixture(dataFixture);
      for (const count of [0, MAX_BATCH_ENTRIES + 1, 2 ** 32 - 1]) {
        await expect(anchorRaw(f, crf("count"), count, [f.patientId]))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidBatchCount")
          .withArgs(count);
      }
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialInvalidLength for no subjects and for 257", async () => {
      const f = await loadFixture(dataFixture);
      await expect(anchorRaw(f, crf("length"), 1, []))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidLength")
        .withArgs(0, MAX_BATCH_SUBJECTS);
      await expect(anchorRaw(f, crf("length"), 1, Array<bigint>(MAX_BATCH_SUBJECTS + 1).fill(f.patientId)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidLength")
        .withArgs(MAX_BATCH_SUBJECTS + 1, MAX_BATCH_SUBJECTS);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialSubjectNotEnrolled for a patient never enrolled", async () => {
      const f = await loadFixture(dataFixture);
      const batch = batchFor(f, [f.patientId, f.representativeId]);
      await expect(anchor(f, batch))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.representativeId, SubjectStatus.None);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialSubjectNotEnrolled for data after the participant withdrew, keeping what was anchored", async () => {
      const f = await loadFixture(anchoredFixture);
      await expect(
        f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.ConsentWithdrawn),
      ).to.emit(f.trialRegistry, "ParticipantWithdrawn");
      await expect(anchor(f, batchFor(f, [f.thirdId, f.patientId], "after")))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(1n);
      const batch = firstBatch(f);
      const entry = crf("patient:visit-1");
      expect(await f.trialRegistry.verifyData(f.trialId, 1, f.patientId, entry, dataProof(batch, f.patientId, entry)))
        .to.be.true;
      await expect(anchor(f, batchFor(f, [f.thirdId], "after"))).to.emit(f.trialRegistry, "DataAnchored");
    });

    it("reverts with TrialSubjectNotAtSite for a participant of another site", async () => {
      const f = await loadFixture(dataFixture);
      await expect(anchor(f, batchFor(f, [f.patientId, f.otherPatientId])))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotAtSite")
        .withArgs(f.trialId, f.otherPatientId, 1);
      await expect(anchor(f, batchFor(f, [f.thirdId]), 2))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotAtSite")
        .withArgs(f.trialId, f.thirdId, 2);
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialReconsentRequired after a major consent change, and accepts data once re-consented", async () => {
      const f = await loadFixture(dataFixture);
      await amendConsent(f, true);
      expect(await trialOf(f)).to.deep.include({ consentVersion: 2, majorConsentVersion: 2 });
      await expect(anchor(f, firstBatch(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialReconsentRequired")
        .withArgs(f.trialId, f.patientId, 1, 2);
      await mined(f.trialRegistry.reconsent(f.trialId, f.patientId, await f.consentFor(f.patientId, f.patientKey)));
      expect((await f.trialRegistry.subject(f.trialId, f.patientId)).consentedVersion).to.equal(2n);
      // The third patient has not re-consented yet: the batch still names one who must.
      await expect(anchor(f, firstBatch(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialReconsentRequired")
        .withArgs(f.trialId, f.thirdId, 1, 2);
      await expect(anchor(f, batchFor(f, [f.patientId])))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batchFor(f, [f.patientId]).root, 1, [f.patientId]);
      await mined(f.trialRegistry.reconsent(f.trialId, f.thirdId, await f.consentFor(f.thirdId, f.thirdKey)));
      await expect(anchor(f, firstBatch(f))).to.emit(f.trialRegistry, "DataAnchored");
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(2n);
    });

    it("accepts data of a participant enrolled on the major version without re-consent", async () => {
      const f = await loadFixture(dataFixture);
      await amendConsent(f, true);
      const newcomer = await f.newPatient();
      await f.enroll(newcomer.id, newcomer.key, 1, 0);
      expect((await f.trialRegistry.subject(f.trialId, newcomer.id)).consentedVersion).to.equal(2n);
      await expect(anchor(f, batchFor(f, [newcomer.id])))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batchFor(f, [newcomer.id]).root, 1, [newcomer.id]);
    });

    it("accepts data after a minor consent change without re-consent, while new enrollments need the new version", async () => {
      const f = await loadFixture(dataFixture);
      await amendConsent(f, false);
      expect(await trialOf(f)).to.deep.include({ consentVersion: 2, majorConsentVersion: 1 });
      expect((await f.trialRegistry.subject(f.trialId, f.patientId)).consentedVersion).to.equal(1n);
      const batch = firstBatch(f);
      await expect(anchor(f, batch))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batch.root, 3, batch.subjects);
      const newcomer = await f.newPatient();
      const stale = await f.consentFor(newcomer.id, newcomer.key, { version: 1 });
      await expect(f.trialRegistry.connect(f.cardiologistKey).enroll(f.trialId, 1, newcomer.id, 0, stale))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialStaleConsentVersion")
        .withArgs(f.trialId, 1, 2);
      await f.enroll(newcomer.id, newcomer.key, 1, 0);
      expect((await f.trialRegistry.subject(f.trialId, newcomer.id)).consentedVersion).to.equal(2n);
    });

    it("reverts with EnforcedPause while paused", async () => {
      const f = await loadFixture(dataFixture);
      await pause(f);
      await expect(anchor(f, firstBatch(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause")
        .withArgs();
      expect(await f.trialRegistry.dataBatchCount(f.trialId)).to.equal(0n);
    });
  });

  describe("verifyData", () => {
    it("verifies every entry of a batch built with the SDK", async () => {
      const f = await loadFixture(anchoredFixture);
      const batch = firstBatch(f);
      for (const [, [, patient, entry]] of batch.tree.entries()) {
        const proof = dataProof(batch, BigInt(patient), entry);
        expect(await f.trialRegistry.verifyData(f.trialId, 1, patient, entry, proof)).to.equal(true);
      }
    });

    it("refuses a wrong entry, another patient, another entry's proof and another batch", async () => {
      const f = await loadFixture(anchoredFixture);
      const batch = firstBatch(f);
      const entry = crf("patient:visit-1");
      const proof = dataProof(batch, f.patientId, entry);
      const verify = (batchId: number, patient: bigint, e: string, p: string[]) =>
        f.trialRegistry.verifyData(f.trialId, batchId, patient, e, p);
      expect(await verify(1, f.patientId, entry, proof)).to.equal(true);
      expect(await verify(1, f.patientId, crf("patient:visit-3"), proof)).to.equal(false);
      expect(await verify(1, f.thirdId, entry, proof)).to.equal(false);
      expect(await verify(1, f.patientId, entry, dataProof(batch, f.patientId, crf("patient:visit-2")))).to.equal(
        false,
      );
      expect(await verify(1, f.patientId, entry, [])).to.equal(false);
      await mined(anchor(f, batchFor(f, [f.patientId], "second")));
      expect(await verify(2, f.patientId, entry, proof)).to.equal(false);
    });

    it("refuses the entries of a batch built for another trial", async () => {
      const f = await loadFixture(dataFixture);
      const entry = crf("patient:visit-1");
      const foreign = buildDataBatch(f.trialId + 1n, [{ patient: f.patientId, entry }]);
      await mined(anchor(f, foreign));
      expect(await f.trialRegistry.verifyData(f.trialId, 1, f.patientId, entry, [])).to.equal(false);
      const own = buildDataBatch(f.trialId, [{ patient: f.patientId, entry }]);
      await mined(anchor(f, own));
      expect(await f.trialRegistry.verifyData(f.trialId, 2, f.patientId, entry, [])).to.equal(true);
    });

    it("reverts with TrialUnknownBatch for a batch number no batch has", async () => {
      const f = await loadFixture(anchoredFixture);
      for (const batchId of [0, 2, 99]) {
        await expect(f.trialRegistry.verifyData(f.trialId, batchId, f.patientId, crf("x"), []))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknownBatch")
          .withArgs(f.trialId, batchId);
      }
      await expect(f.trialRegistry.verifyData(f.trialId + 1n, 1, f.patientId, crf("x"), []))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknownBatch")
        .withArgs(f.trialId + 1n, 1);
    });

    it("reverts with TrialProofTooLong for a proof of 33 hashes", async () => {
      const f = await loadFixture(anchoredFixture);
      const long = Array.from({ length: 33 }, () => hexlify(randomBytes(32)));
      await expect(f.trialRegistry.verifyData(f.trialId, 1, f.patientId, crf("patient:visit-1"), long))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialProofTooLong")
        .withArgs(33);
      expect(await f.trialRegistry.verifyData(f.trialId, 1, f.patientId, crf("patient:visit-1"), long.slice(1))).to.be
        .false;
    });
  });

  describe("dataBatch", () => {
    it("reverts with TrialUnknownBatch for a batch number no batch has", async () => {
      const f = await loadFixture(anchoredFixture);
      expect((await batchOf(f, 1)).site).to.equal(1);
      for (const batchId of [0, 2]) {
        await expect(f.trialRegistry.dataBatch(f.trialId, batchId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknownBatch")
          .withArgs(f.trialId, batchId);
      }
    });
  });

  describe("lock", () => {
    it("locks the database with the root of the final dataset", async () => {
      const f = await loadFixture(anchoredFixture);
      expect(await stateOf(f)).to.deep.include({ everLocked: false, datasetRoot: ZeroHash });
      await expect(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT))
        .to.emit(f.trialRegistry, "DatabaseLocked")
        .withArgs(f.trialId, DATASET_ROOT);
      expect(await trialOf(f)).to.deep.include({
        status: TrialStatus.Locked,
        lockedAt: await time.latest(),
        datasetRoot: DATASET_ROOT,
      });
      expect(await stateOf(f)).to.deep.equal({
        status: TrialStatus.Locked,
        everLocked: true,
        unblinded: false,
        datasetRoot: DATASET_ROOT,
      });
    });

    it("stops enrollment and re-consent too while locked", async () => {
      const f = await loadFixture(lockedFixture);
      const { lockedAt } = await trialOf(f);
      const newcomer = await f.newPatient();
      const signed = await f.consentFor(newcomer.id, newcomer.key);
      await expect(f.trialRegistry.connect(f.cardiologistKey).enroll(f.trialId, 1, newcomer.id, 0, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
      await expect(f.trialRegistry.reconsent(f.trialId, f.patientId, await f.consentFor(f.patientId, f.patientKey)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
      expect((await f.trialRegistry.subject(f.trialId, newcomer.id)).status).to.equal(SubjectStatus.None);
    });

    it("reverts with TrialNotSponsor for the ethics committee, an investigator and a stranger", async () => {
      const f = await loadFixture(dataFixture);
      for (const key of [f.ethicsCommitteeKey, f.cardiologistKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).lock(f.trialId, DATASET_ROOT))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
          .withArgs(f.trialId, key.address);
      }
      expect(await trialOf(f)).to.deep.include({ status: TrialStatus.Active, lockedAt: 0 });
    });

    it("reverts with TrialZeroCommitment for the zero root and for bytes32(1)", async () => {
      const f = await loadFixture(dataFixture);
      for (const root of [ZeroHash, ONE]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, root))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialZeroCommitment")
          .withArgs();
      }
      expect(await trialOf(f)).to.deep.include({ status: TrialStatus.Active, lockedAt: 0, datasetRoot: ZeroHash });
      expect((await stateOf(f)).everLocked).to.equal(false);
    });

    it("reverts with TrialInvalidTransition when already locked", async () => {
      const f = await loadFixture(lockedFixture);
      const before = await trialOf(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT_2))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidTransition")
        .withArgs(f.trialId, TrialStatus.Locked, TrialStatus.Locked);
      expect(await trialOf(f)).to.deep.equal(before);
    });

    it("reverts with EnforcedPause while paused", async () => {
      const f = await loadFixture(dataFixture);
      await pause(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT))
        .to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause")
        .withArgs();
      expect((await trialOf(f)).status).to.equal(TrialStatus.Active);
    });
  });

  describe("requestUnlock", () => {
    it("records the sponsor's request with its reason; the database stays locked", async () => {
      const f = await loadFixture(lockedFixture);
      const before = await trialOf(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.MissingData))
        .to.emit(f.trialRegistry, "UnlockRequested")
        .withArgs(f.trialId, f.sponsorId, UnlockReason.MissingData);
      expect(await trialOf(f)).to.deep.equal(before);
      await expect(anchor(f, firstBatch(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, before.lockedAt);
    });

    it("reverts with TrialDatabaseNotLocked while unlocked", async () => {
      const f = await loadFixture(dataFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.DataCorrection))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseNotLocked")
        .withArgs(f.trialId);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoUnlockRequest")
        .withArgs(f.trialId);
    });

    it("reverts with TrialReasonRequired for reason code zero", async () => {
      const f = await loadFixture(lockedFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.None))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialReasonRequired")
        .withArgs();
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoUnlockRequest")
        .withArgs(f.trialId);
    });

    it("reverts with TrialNotSponsor for the ethics committee, the regulator and a stranger", async () => {
      const f = await loadFixture(lockedFixture);
      for (const key of [f.ethicsCommitteeKey, f.regulatorKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).requestUnlock(f.trialId, UnlockReason.OversightFinding))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
          .withArgs(f.trialId, key.address);
      }
      await expect(f.trialRegistry.connect(f.regulatorKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoUnlockRequest")
        .withArgs(f.trialId);
    });

    it("reverts with EnforcedPause while paused", async () => {
      const f = await loadFixture(lockedFixture);
      await pause(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.DataCorrection))
        .to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause")
        .withArgs();
      expect((await trialOf(f)).status).to.equal(TrialStatus.Locked);
    });
  });

  describe("approveUnlock", () => {
    async function expectUnlockedBy(f: Scenario, key: HardhatEthersSigner, approver: bigint) {
      await expect(f.trialRegistry.connect(key).approveUnlock(f.trialId))
        .to.emit(f.trialRegistry, "DatabaseUnlocked")
        .withArgs(f.trialId, approver, UnlockReason.DataCorrection);
      expect(await trialOf(f)).to.deep.include({ status: TrialStatus.Active, lockedAt: 0, datasetRoot: ZeroHash });
      expect(await stateOf(f)).to.deep.include({
        status: TrialStatus.Active,
        everLocked: true,
        datasetRoot: ZeroHash,
      });
    }

    it("unlocks on the ethics committee's approval: data is accepted again and the database locks again", async () => {
      const f = await loadFixture(unlockRequestedFixture);
      await expectUnlockedBy(f, f.ethicsCommitteeKey, f.ethicsCommitteeId);
      const batch = firstBatch(f);
      await expect(anchor(f, batch))
        .to.emit(f.trialRegistry, "DataAnchored")
        .withArgs(f.trialId, 1, 1, batch.root, 3, batch.subjects);
      await expect(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT_2))
        .to.emit(f.trialRegistry, "DatabaseLocked")
        .withArgs(f.trialId, DATASET_ROOT_2);
      expect(await trialOf(f)).to.deep.include({
        status: TrialStatus.Locked,
        lockedAt: await time.latest(),
        datasetRoot: DATASET_ROOT_2,
      });
    });

    it("unlocks on the regulator's approval", async () => {
      const f = await loadFixture(unlockRequestedFixture);
      await expectUnlockedBy(f, f.regulatorKey, f.regulatorId);
      await expect(anchor(f, batchFor(f, [f.otherPatientId]), 2)).to.emit(f.trialRegistry, "DataAnchored");
    });

    it("reverts with TrialNoUnlockRequest for a lock nobody asked to lift, and after a request was used", async () => {
      const f = await loadFixture(lockedFixture);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoUnlockRequest")
        .withArgs(f.trialId);
      await mined(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.DataCorrection));
      await mined(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId));
      await expect(f.trialRegistry.connect(f.regulatorKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoUnlockRequest")
        .withArgs(f.trialId);
      await mined(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT_2));
      await expect(f.trialRegistry.connect(f.regulatorKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoUnlockRequest")
        .withArgs(f.trialId);
      expect(await trialOf(f)).to.deep.include({ status: TrialStatus.Locked, datasetRoot: DATASET_ROOT_2 });
    });

    it("reverts with TrialNotOversight for the sponsor itself, an investigator, the randomizer and a stranger", async () => {
      const f = await loadFixture(unlockRequestedFixture);
      const before = await trialOf(f);
      for (const key of [f.sponsorKey, f.cardiologistKey, f.randomizerKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).approveUnlock(f.trialId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotOversight")
          .withArgs(f.trialId, key.address);
      }
      expect(await trialOf(f)).to.deep.equal(before);
      expect(before).to.deep.include({ status: TrialStatus.Locked, datasetRoot: DATASET_ROOT });
    });

    it("reverts with EnforcedPause while paused", async () => {
      const f = await loadFixture(unlockRequestedFixture);
      await pause(f);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause")
        .withArgs();
      expect((await trialOf(f)).status).to.equal(TrialStatus.Locked);
    });
  });

  describe("trialState", () => {
    it("keeps everLocked after an unlock, and names the dataset root only while locked", async () => {
      const f = await loadFixture(dataFixture);
      expect(await stateOf(f)).to.deep.equal({
        status: TrialStatus.Active,
        everLocked: false,
        unblinded: false,
        datasetRoot: ZeroHash,
      });
      await mined(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT));
      expect(await stateOf(f)).to.deep.include({
        status: TrialStatus.Locked,
        everLocked: true,
        datasetRoot: DATASET_ROOT,
      });
      await mined(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.OversightFinding));
      await expect(f.trialRegistry.connect(f.regulatorKey).approveUnlock(f.trialId))
        .to.emit(f.trialRegistry, "DatabaseUnlocked")
        .withArgs(f.trialId, f.regulatorId, UnlockReason.OversightFinding);
      expect(await stateOf(f)).to.deep.equal({
        status: TrialStatus.Active,
        everLocked: true,
        unblinded: false,
        datasetRoot: ZeroHash,
      });
      const s = await f.trialRegistry.trialState(f.trialId);
      expect([s.sponsor, s.ethicsCommittee, s.regulator]).to.deep.equal([
        f.sponsorId,
        f.ethicsCommitteeId,
        f.regulatorId,
      ]);
      expect(s.consentVersion).to.equal(1n);
    });
  });
});
