import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type Signer, Wallet, ZeroHash } from "ethers";

import {
  ALL_PURPOSES,
  categorySet,
  DataCategory,
  DecisionBasis,
  Purpose,
  purposeSet,
  signTrialConsent,
  SiteStatus,
  SubjectStatus,
  WithdrawalReason,
} from "../../sdk";
import type { AmendmentProposalStruct } from "../../typechain-types/contracts/trials/ITrialProtocol";
import type { ConsentSignatureStruct } from "../../typechain-types/contracts/trials/ITrialRegistry";
import { DAY, YEAR } from "../fixtures/identity";
import { doc, registration, STRATA, TRIAL_CATEGORIES, type TrialsFixture, trialsFixture } from "../fixtures/trials";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

/** A trial id no trial has (the fixture registered trial 1). */
const UNKNOWN_TRIAL = 99n;
/** An off-chain status-change reason code the registrar gives when suspending a participant. */
const SUSPENSION_REASON = 17;
const CONDITIONS = DataCategory.Conditions;
const LABS = DataCategory.LaboratoryResults;
const RESEARCH = purposeSet(Purpose.Research);

/** Pins the timestamp of the next mined block to a second after the latest and returns it. */
async function nextTimestamp(): Promise<number> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return next;
}

/** The investigator's key of the fixture trial's site (1: the cardiologist at the hospital, 2: the clinic's doctor). */
function investigatorOf(f: TrialsFixture, site: number): Signer {
  return site === 1 ? f.cardiologistKey : f.clinicDoctorKey;
}

/** The participant record as plain values, for deep comparison. */
async function subjectOf(f: TrialsFixture, patient: bigint, trialId: bigint = f.trialId) {
  const s = await f.trialRegistry.subject(trialId, patient);
  return {
    status: s.status,
    site: s.site,
    stratum: s.stratum,
    allocationIndex: s.allocationIndex,
    consentedVersion: s.consentedVersion,
    nonce: s.nonce,
    enrolledAt: s.enrolledAt,
    revealed: s.revealed,
    emergencyUnblinded: s.emergencyUnblinded,
    disclosedArm: s.disclosedArm,
  };
}

type SubjectRecord = Awaited<ReturnType<typeof subjectOf>>;

/** A participant record: a non-participant's, with `fields` over it (numbers as bigints). */
function subjectRecord(fields: Partial<Record<keyof SubjectRecord, number | bigint | boolean>> = {}): SubjectRecord {
  const base: SubjectRecord = {
    status: 0n,
    site: 0n,
    stratum: 0n,
    allocationIndex: 0n,
    consentedVersion: 0n,
    nonce: 0n,
    enrolledAt: 0n,
    revealed: false,
    emergencyUnblinded: false,
    disclosedArm: 0n,
  };
  const converted = Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, typeof value === "number" ? BigInt(value) : value]),
  );
  return { ...base, ...converted };
}

/** `patient` is enrolled at `site` in `stratum` by the site's investigator with `signed`. */
function enrollWith(
  f: TrialsFixture,
  patient: bigint,
  signed: ConsentSignatureStruct,
  site = 1,
  stratum = 0,
  trialId: bigint = f.trialId,
) {
  return f.trialRegistry.connect(investigatorOf(f, site)).enroll(trialId, site, patient, stratum, signed);
}

/**
 * The sponsor registers a second trial (its id returned) with the fixture's categories, site 1 (the hospital and the
 * cardiologist) activated, and, given `allocation`, a committed sequence of that shape.
 */
async function secondTrial(
  f: TrialsFixture,
  options: { allocation?: { strata: number; perStratum: number }; firstEnrolledAt?: number } = {},
): Promise<bigint> {
  const registry = f.trialRegistry.connect(f.sponsorKey);
  const reg = registration(f.parties, await time.latest(), { firstEnrolledAt: options.firstEnrolledAt ?? 0 });
  await (await registry.registerTrial(reg)).wait();
  const trialId = await f.trialRegistry.trialCount();
  await (await registry.proposeSite(trialId, f.hospitalId, f.cardiologistId)).wait();
  await (await f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(trialId, 1)).wait();
  if (options.allocation !== undefined) {
    const { strata, perStratum } = options.allocation;
    await (await registry.commitAllocation(trialId, doc("allocation:second"), strata, perStratum)).wait();
  }
  return trialId;
}

/** The sponsor proposes and the ethics committee approves an amendment with a new consent form; returns its version. */
async function amendConsentForm(f: TrialsFixture, major: boolean): Promise<bigint> {
  const proposal: AmendmentProposalStruct = {
    protocol: doc("protocol:amended"),
    analysisPlan: ZeroHash,
    consentForm: doc("consent-form:amended"),
    majorConsentChange: major,
    primaryCompletion: 0,
    outcomes: [],
  };
  await (await f.trialProtocol.connect(f.sponsorKey).proposeAmendment(f.trialId, proposal)).wait();
  const [, , amendmentId] = await f.trialProtocol.protocolOf(f.trialId);
  await (await f.trialProtocol.connect(f.ethicsCommitteeKey).approveAmendment(f.trialId, amendmentId)).wait();
  return (await f.trialRegistry.trial(f.trialId)).consentVersion;
}

/**
 * A fresh funded patient who granted the sponsor `categories` for `purposes` for `validFor` seconds (no grant when
 * `categories` is 0).
 */
async function patientGranting(f: TrialsFixture, categories: number, purposes = RESEARCH, validFor = YEAR) {
  const patient = await f.newPatient(false);
  if (categories !== 0) {
    await f.consent.as(patient.key).grant({
      patient: patient.id,
      grantee: f.sponsorId,
      categories,
      purposes,
      validUntil: BigInt(await time.latest()) + BigInt(validFor),
    });
  }
  return patient;
}

async function lockTrial(f: TrialsFixture): Promise<bigint> {
  await (await f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, doc("dataset:final"))).wait();
  return (await f.trialRegistry.trial(f.trialId)).lockedAt;
}

async function pause(f: TrialsFixture): Promise<void> {
  await (await f.trialRegistry.connect(f.pauser).pause()).wait();
}

/** Expects enrolling the fixture patient with `signed` at site 1 to fail with `TrialInvalidSignature(signer)`. */
async function expectInvalidSignature(f: TrialsFixture, signed: ConsentSignatureStruct, signer: string) {
  const before = await subjectOf(f, f.patientId);
  await expect(enrollWith(f, f.patientId, signed))
    .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
    .withArgs(signer);
  expect(await subjectOf(f, f.patientId)).to.deep.equal(before);
}

/** Expects enrolling `patient` to fail as the consent registry refuses `category` on `basis`. */
async function expectNotGranted(
  f: TrialsFixture,
  patient: bigint,
  key: Signer,
  category: number,
  basis: DecisionBasis,
) {
  await expect(enrollWith(f, patient, await f.consentFor(patient, key)))
    .to.be.revertedWithCustomError(f.trialRegistry, "TrialConsentNotGranted")
    .withArgs(f.trialId, patient, category, basis);
  expect((await subjectOf(f, patient)).status).to.equal(BigInt(SubjectStatus.None));
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("TrialRegistry", () => {
  describe("enroll", () => {
    it("enrolls a patient who signed the current version, taking her stratum's first index", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      const at = await nextTimestamp();
      const tx = enrollWith(f, f.patientId, signed);
      await expect(tx)
        .to.emit(f.trialRegistry, "ConsentSigned")
        .withArgs(f.trialId, f.patientId, f.patientKey.address, 1, signed.document);
      await expect(tx).to.emit(f.trialRegistry, "ParticipantEnrolled").withArgs(f.trialId, f.patientId, 1, 0, 0);
      expect(await subjectOf(f, f.patientId)).to.deep.equal(
        subjectRecord({
          status: SubjectStatus.Enrolled,
          site: 1,
          stratum: 0,
          allocationIndex: 0,
          consentedVersion: 1,
          nonce: 1,
          enrolledAt: at,
        }),
      );
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.enrolled, t.firstEnrolledAt]).to.deep.equal([1n, BigInt(at)]);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(1n);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)).to.equal(0n);
      expect([...(await f.trialRegistry.allocationAudit(f.trialId))]).to.deep.equal([1n, 0n, 0n]);
      expect(await f.trialRegistry.isRegistrationLate(f.trialId)).to.be.false;
    });

    it("enrolls a patient whose active representative signed", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.representativeKey, { site: 2 });
      await expect(enrollWith(f, f.patientId, signed, 2, 1))
        .to.emit(f.trialRegistry, "ConsentSigned")
        .withArgs(f.trialId, f.patientId, f.representativeKey.address, 1, signed.document);
      const s = await subjectOf(f, f.patientId);
      expect([s.status, s.site, s.stratum, s.allocationIndex, s.nonce]).to.deep.equal([
        BigInt(SubjectStatus.Enrolled),
        2n,
        1n,
        0n,
        1n,
      ]);
    });

    it("takes each stratum's next index independently of the other strata and of the site", async () => {
      const f = await loadFixture(trialsFixture);
      const first = await nextTimestamp();
      expect(await f.enroll(f.patientId, f.patientKey, 1, 0)).to.equal(0);
      expect(await f.enroll(f.otherPatientId, f.otherPatientKey, 2, 1)).to.equal(0);
      const plan: [number, number, number][] = [
        [2, 0, 1],
        [1, 0, 2],
        [1, 1, 1],
        [2, 0, 3],
      ];
      for (const [site, stratum, index] of plan) {
        const patient = await f.newPatient();
        const signed = await f.consentFor(patient.id, patient.key, { site });
        await expect(enrollWith(f, patient.id, signed, site, stratum))
          .to.emit(f.trialRegistry, "ParticipantEnrolled")
          .withArgs(f.trialId, patient.id, site, stratum, index);
        expect((await subjectOf(f, patient.id)).allocationIndex).to.equal(BigInt(index));
      }
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(4n);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)).to.equal(2n);
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.enrolled, t.firstEnrolledAt]).to.deep.equal([6n, BigInt(first)]);
    });

    it("keeps the first enrollment the sponsor declared at registration", async () => {
      const f = await loadFixture(trialsFixture);
      const declared = (await time.latest()) - 5 * DAY;
      const trialId = await secondTrial(f, { allocation: { strata: 1, perStratum: 4 }, firstEnrolledAt: declared });
      const signed = await f.consentFor(f.patientId, f.patientKey, { trial: trialId });
      await expect(enrollWith(f, f.patientId, signed, 1, 0, trialId))
        .to.emit(f.trialRegistry, "ParticipantEnrolled")
        .withArgs(trialId, f.patientId, 1, 0, 0);
      const t = await f.trialRegistry.trial(trialId);
      expect([t.enrolled, t.firstEnrolledAt]).to.deep.equal([1n, BigInt(declared)]);
    });

    it("accepts a signature on the last second before its deadline", async () => {
      const f = await loadFixture(trialsFixture);
      const at = (await time.latest()) + 1;
      const signed = await f.consentFor(f.patientId, f.patientKey, { deadline: BigInt(at) });
      await time.setNextBlockTimestamp(at);
      await expect(enrollWith(f, f.patientId, signed)).to.emit(f.trialRegistry, "ParticipantEnrolled");
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey, { trial: UNKNOWN_TRIAL, version: 1, nonce: 0 });
      await expect(enrollWith(f, f.patientId, signed, 1, 0, UNKNOWN_TRIAL))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });

    it("reverts with TrialDatabaseLocked when the trial is locked", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      const lockedAt = await lockTrial(f);
      await expect(enrollWith(f, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
    });

    it("reverts with TrialNoAllocation when the sponsor has not committed the sequence", async () => {
      const f = await loadFixture(trialsFixture);
      const trialId = await secondTrial(f);
      const signed = await f.consentFor(f.patientId, f.patientKey, { trial: trialId });
      await expect(enrollWith(f, f.patientId, signed, 1, 0, trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNoAllocation")
        .withArgs(trialId);
    });

    it("reverts with TrialSiteNotActive when the site is proposed, suspended, closed or unknown", async () => {
      const f = await loadFixture(trialsFixture);
      const registry = f.trialRegistry;
      await (await registry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId)).wait();
      await (await registry.connect(f.ethicsCommitteeKey).suspendSite(f.trialId, 1, 0)).wait();
      await (await registry.connect(f.sponsorKey).closeSite(f.trialId, 2, 0)).wait();
      const cases: [Signer, number, SiteStatus][] = [
        [f.internistKey, 3, SiteStatus.Proposed],
        [f.cardiologistKey, 1, SiteStatus.Suspended],
        [f.clinicDoctorKey, 2, SiteStatus.Closed],
        [f.cardiologistKey, 4, SiteStatus.None],
        [f.cardiologistKey, 0, SiteStatus.None],
      ];
      for (const [key, site, status] of cases) {
        const signed = await f.consentFor(f.patientId, f.patientKey);
        await expect(registry.connect(key).enroll(f.trialId, site, f.patientId, 0, signed))
          .to.be.revertedWithCustomError(registry, "TrialSiteNotActive")
          .withArgs(f.trialId, site, status);
      }
    });

    it("reverts with TrialNotInvestigator for another site's investigator, a colleague, the sponsor and a stranger", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      const cases: [Signer, number][] = [
        [f.clinicDoctorKey, 1],
        [f.cardiologistKey, 2],
        [f.internistKey, 1],
        [f.hospitalKey, 1],
        [f.sponsorKey, 1],
        [f.ethicsCommitteeKey, 2],
        [f.patientKey, 1],
        [f.strangerKey, 1],
      ];
      for (const [key, site] of cases) {
        await expect(f.trialRegistry.connect(key).enroll(f.trialId, site, f.patientId, 0, signed))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
          .withArgs(f.trialId, site, await key.getAddress());
      }
    });

    it("reverts with TrialNotInvestigator when the organization released the investigator", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.hospitalKey).releaseAffiliate(f.cardiologistId);
      await expect(enrollWith(f, f.patientId, await f.consentFor(f.patientId, f.patientKey)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
        .withArgs(f.trialId, 1, f.cardiologistKey.address);
    });

    it("reverts with TrialNotInvestigator when the investigator is suspended", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.cardiologistId, SUSPENSION_REASON);
      await expect(enrollWith(f, f.patientId, await f.consentFor(f.patientId, f.patientKey)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotInvestigator")
        .withArgs(f.trialId, 1, f.cardiologistKey.address);
    });

    it("reverts with TrialInvalidStratum when the stratum is not one of the sequence's", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      for (const stratum of [STRATA, 255]) {
        await expect(enrollWith(f, f.patientId, signed, 1, stratum))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidStratum")
          .withArgs(f.trialId, stratum, STRATA);
      }
    });

    it("reverts with TrialStratumExhausted when every index of the stratum has been taken", async () => {
      const f = await loadFixture(trialsFixture);
      const trialId = await secondTrial(f, { allocation: { strata: 1, perStratum: 1 } });
      const first = await f.consentFor(f.patientId, f.patientKey, { trial: trialId });
      await expect(enrollWith(f, f.patientId, first, 1, 0, trialId))
        .to.emit(f.trialRegistry, "ParticipantEnrolled")
        .withArgs(trialId, f.patientId, 1, 0, 0);
      const second = await f.consentFor(f.otherPatientId, f.otherPatientKey, { trial: trialId });
      await expect(enrollWith(f, f.otherPatientId, second, 1, 0, trialId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialStratumExhausted")
        .withArgs(trialId, 0, 1);
      expect(await f.trialRegistry.nextAllocationIndex(trialId, 0)).to.equal(1n);
      expect((await f.trialRegistry.trial(trialId)).enrolled).to.equal(1n);
    });

    it("reverts with TrialAlreadyEnrolled when the patient takes part already", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await expect(enrollWith(f, f.patientId, await f.consentFor(f.patientId, f.patientKey), 2, 1))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Enrolled);
      expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 1)).to.equal(0n);
    });

    it("reverts with TrialAlreadyEnrolled when the patient withdrew", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await (await f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0)).wait();
      await expect(enrollWith(f, f.patientId, await f.consentFor(f.patientId, f.patientKey)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Withdrawn));
    });

    it("reverts with TrialStaleConsentVersion after an approved amendment brought a new consent form", async () => {
      const f = await loadFixture(trialsFixture);
      const old = await f.consentFor(f.patientId, f.patientKey);
      expect(await amendConsentForm(f, true)).to.equal(2n);
      await expect(enrollWith(f, f.patientId, old))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialStaleConsentVersion")
        .withArgs(f.trialId, 1, 2);
      const ahead = await f.consentFor(f.patientId, f.patientKey, { version: 3 });
      await expect(enrollWith(f, f.patientId, ahead))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialStaleConsentVersion")
        .withArgs(f.trialId, 3, 2);
      const current = await f.consentFor(f.patientId, f.patientKey);
      await expect(enrollWith(f, f.patientId, current))
        .to.emit(f.trialRegistry, "ConsentSigned")
        .withArgs(f.trialId, f.patientId, f.patientKey.address, 2, current.document);
      expect((await subjectOf(f, f.patientId)).consentedVersion).to.equal(2n);
    });

    it("reverts with TrialZeroCommitment when the signed document is zero", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey, { document: ZeroHash });
      await expect(enrollWith(f, f.patientId, signed)).to.be.revertedWithCustomError(
        f.trialRegistry,
        "TrialZeroCommitment",
      );
    });

    it("reverts with TrialSignatureExpired when the deadline has passed", async () => {
      const f = await loadFixture(trialsFixture);
      const at = (await time.latest()) + 1;
      const signed = await f.consentFor(f.patientId, f.patientKey, { deadline: BigInt(at - 1) });
      await time.setNextBlockTimestamp(at);
      await expect(enrollWith(f, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSignatureExpired")
        .withArgs(at - 1, at);
    });

    it("reverts with TrialInvalidSignature when another key signed in the patient's name", async () => {
      const f = await loadFixture(trialsFixture);
      const forged = await f.consentFor(f.patientId, f.otherPatientKey);
      await expectInvalidSignature(f, { ...forged, signer: f.patientKey.address }, f.patientKey.address);
    });

    it("reverts with TrialInvalidSignature when the signature is for another trial", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey, { trial: 2n, version: 1, nonce: 0 });
      await expectInvalidSignature(f, signed, f.patientKey.address);
    });

    it("reverts with TrialInvalidSignature when the signature is for another patient", async () => {
      const f = await loadFixture(trialsFixture);
      // The other patient's own consent, and the representative's consent for the representative herself.
      const others = await f.consentFor(f.otherPatientId, f.otherPatientKey);
      await expectInvalidSignature(f, others, f.otherPatientKey.address);
      const representatives = await f.consentFor(f.representativeId, f.representativeKey);
      await expectInvalidSignature(f, representatives, f.representativeKey.address);
    });

    it("reverts with TrialInvalidSignature when the nonce is not the patient's next", async () => {
      const f = await loadFixture(trialsFixture);
      for (const nonce of [1, 2 ** 32 - 1]) {
        await expectInvalidSignature(f, await f.consentFor(f.patientId, f.patientKey, { nonce }), f.patientKey.address);
      }
    });

    it("reverts with TrialInvalidSignature when the signed fields were changed or the domain is another", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      const deadline = BigInt(signed.deadline) + 1n;
      await expectInvalidSignature(f, { ...signed, document: doc("another form") }, f.patientKey.address);
      await expectInvalidSignature(f, { ...signed, deadline }, f.patientKey.address);
      const message = {
        trial: f.trialId,
        patient: f.patientId,
        site: 1,
        version: 1,
        document: doc("signed form"),
        nonce: 0,
        deadline: BigInt(await time.latest()) + BigInt(DAY),
      };
      const domains = [
        { ...f.domain, chainId: 1n },
        { ...f.domain, verifyingContract: await f.trialProtocol.getAddress() },
        { ...f.domain, name: "CareLedger Consent" },
      ];
      for (const domain of domains) {
        const signature = await signTrialConsent(f.patientKey, domain, message);
        const relayed = { ...message, signer: f.patientKey.address, signature };
        await expectInvalidSignature(f, relayed, f.patientKey.address);
      }
    });

    it("reverts with TrialInvalidSignature when another site's investigator uses a signature given at site 1", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey, { site: 1 });
      await expect(f.trialRegistry.connect(f.clinicDoctorKey).enroll(f.trialId, 2, f.patientId, 0, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
        .withArgs(f.patientKey.address);
      await (await f.trialRegistry.connect(f.cardiologistKey).enroll(f.trialId, 1, f.patientId, 0, signed)).wait();
      expect((await f.trialRegistry.subject(f.trialId, f.patientId)).site).to.equal(1n);
    });

    it("reverts with TrialNotPatientActor when the signer acts neither as the patient nor for her", async () => {
      const f = await loadFixture(trialsFixture);
      const unbound = Wallet.createRandom();
      for (const key of [f.otherPatientKey, f.cardiologistKey, f.sponsorKey, f.strangerKey, unbound]) {
        const signed = await f.consentFor(f.patientId, key);
        await expect(enrollWith(f, f.patientId, signed))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
          .withArgs(f.patientId, await key.getAddress());
      }
    });

    it("reverts with TrialNotPatientActor when the representative's appointment was revoked", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.representativeKey);
      await f.identity.as(f.patientKey).revokeRepresentative(f.patientId, f.representativeId);
      await expect(enrollWith(f, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
        .withArgs(f.patientId, f.representativeKey.address);
    });

    it("reverts with TrialNotPatientActor when the patient herself is suspended", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      await f.identity.as(f.registrar).suspend(f.patientId, SUSPENSION_REASON);
      await expect(enrollWith(f, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
        .withArgs(f.patientId, f.patientKey.address);
    });

    it("reverts with TrialConsentNotGranted (NoGrant) when the patient granted the sponsor nothing", async () => {
      const f = await loadFixture(trialsFixture);
      const patient = await patientGranting(f, 0);
      await expectNotGranted(f, patient.id, patient.key, CONDITIONS, DecisionBasis.NoGrant);
    });

    it("reverts with TrialConsentNotGranted (NoGrant) when the patient revoked her grant", async () => {
      const f = await loadFixture(trialsFixture);
      await f.consent.as(f.patientKey).revoke(f.patientId, f.sponsorId);
      await expectNotGranted(f, f.patientId, f.patientKey, CONDITIONS, DecisionBasis.NoGrant);
    });

    it("reverts with TrialConsentNotGranted (NoGrant) when the grant has expired", async () => {
      const f = await loadFixture(trialsFixture);
      const patient = await patientGranting(f, TRIAL_CATEGORIES, RESEARCH, 10 * DAY);
      await time.increase(10 * DAY + 1);
      await expectNotGranted(f, patient.id, patient.key, CONDITIONS, DecisionBasis.NoGrant);
    });

    it("reverts with TrialConsentNotGranted (ExplicitDeny) for the denied category when a deny is set", async () => {
      const f = await loadFixture(trialsFixture);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.sponsorId, categorySet(LABS));
      await expectNotGranted(f, f.patientId, f.patientKey, LABS, DecisionBasis.ExplicitDeny);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.sponsorId, TRIAL_CATEGORIES);
      await expectNotGranted(f, f.patientId, f.patientKey, CONDITIONS, DecisionBasis.ExplicitDeny);
    });

    it("reverts with TrialConsentNotGranted naming the category the grant leaves out", async () => {
      const f = await loadFixture(trialsFixture);
      const conditionsOnly = await patientGranting(f, categorySet(CONDITIONS));
      await expectNotGranted(f, conditionsOnly.id, conditionsOnly.key, LABS, DecisionBasis.NoGrant);
      const labsOnly = await patientGranting(f, categorySet(LABS, DataCategory.Genomics));
      await expectNotGranted(f, labsOnly.id, labsOnly.key, CONDITIONS, DecisionBasis.NoGrant);
    });

    it("reverts with TrialConsentNotGranted when the grant is for another purpose or does not name research", async () => {
      const f = await loadFixture(trialsFixture);
      const treatment = await patientGranting(f, TRIAL_CATEGORIES, purposeSet(Purpose.Treatment));
      await expectNotGranted(f, treatment.id, treatment.key, CONDITIONS, DecisionBasis.NoGrant);
      // A wildcard purpose set may last no longer than the shortest purpose allows (emergency treatment: 30 days).
      const broad = await patientGranting(f, TRIAL_CATEGORIES, ALL_PURPOSES, 30 * DAY);
      await expectNotGranted(f, broad.id, broad.key, CONDITIONS, DecisionBasis.PurposeNotNamed);
    });

    it("reverts with TrialConsentNotGranted (InactiveAccessor) when the sponsor is suspended", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.sponsorId, SUSPENSION_REASON);
      await expectNotGranted(f, f.patientId, f.patientKey, CONDITIONS, DecisionBasis.InactiveAccessor);
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      await pause(f);
      await expect(enrollWith(f, f.patientId, signed)).to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause");
    });
  });

  describe("reconsent", () => {
    it("records the participant's signature on the new version, relayed by anyone", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey, 2, 1);
      const before = await subjectOf(f, f.patientId);
      await amendConsentForm(f, true);
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion]).to.deep.equal([2n, 2n]);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      const tx = f.trialRegistry.connect(f.strangerKey).reconsent(f.trialId, f.patientId, signed);
      await expect(tx)
        .to.emit(f.trialRegistry, "ConsentSigned")
        .withArgs(f.trialId, f.patientId, f.patientKey.address, 2, signed.document);
      await expect(tx).not.to.emit(f.trialRegistry, "ParticipantEnrolled");
      expect(await subjectOf(f, f.patientId)).to.deep.equal({ ...before, consentedVersion: 2n, nonce: 2n });
      expect((await f.trialRegistry.trial(f.trialId)).enrolled).to.equal(1n);
    });

    it("records a representative's signature on a minor version, relayed by the investigator", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, false);
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion]).to.deep.equal([2n, 1n]);
      const signed = await f.consentFor(f.patientId, f.representativeKey);
      await expect(f.trialRegistry.connect(f.cardiologistKey).reconsent(f.trialId, f.patientId, signed))
        .to.emit(f.trialRegistry, "ConsentSigned")
        .withArgs(f.trialId, f.patientId, f.representativeKey.address, 2, signed.document);
      expect((await subjectOf(f, f.patientId)).consentedVersion).to.equal(2n);
    });

    it("reverts with TrialAlreadyConsented when the participant signed the current version already", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await expect(
        f.trialRegistry
          .connect(f.patientKey)
          .reconsent(f.trialId, f.patientId, await f.consentFor(f.patientId, f.patientKey)),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyConsented")
        .withArgs(f.trialId, f.patientId, 1);
      await amendConsentForm(f, true);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      await (await f.trialRegistry.connect(f.patientKey).reconsent(f.trialId, f.patientId, signed)).wait();
      await expect(
        f.trialRegistry
          .connect(f.patientKey)
          .reconsent(f.trialId, f.patientId, await f.consentFor(f.patientId, f.patientKey)),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyConsented")
        .withArgs(f.trialId, f.patientId, 2);
    });

    it("reverts with TrialStaleConsentVersion when the signature is of an old version", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      const old = await f.consentFor(f.patientId, f.patientKey, { version: 1 });
      await expect(f.trialRegistry.connect(f.patientKey).reconsent(f.trialId, f.patientId, old))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialStaleConsentVersion")
        .withArgs(f.trialId, 1, 2);
      expect((await subjectOf(f, f.patientId)).consentedVersion).to.equal(1n);
    });

    it("reverts with TrialInvalidSignature when the signature carries a used nonce", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      const replayed = await f.consentFor(f.patientId, f.patientKey, { nonce: 0 });
      await expect(f.trialRegistry.connect(f.patientKey).reconsent(f.trialId, f.patientId, replayed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
        .withArgs(f.patientKey.address);
    });

    it("reverts with TrialNotPatientActor when the signer does not act for the participant", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      const signed = await f.consentFor(f.patientId, f.cardiologistKey);
      await expect(f.trialRegistry.connect(f.cardiologistKey).reconsent(f.trialId, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
        .withArgs(f.patientId, f.cardiologistKey.address);
    });

    it("reverts with TrialSubjectNotEnrolled when the patient was never enrolled or withdrew", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      await expect(
        f.trialRegistry
          .connect(f.otherPatientKey)
          .reconsent(f.trialId, f.otherPatientId, await f.consentFor(f.otherPatientId, f.otherPatientKey)),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.otherPatientId, SubjectStatus.None);
      await (await f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0)).wait();
      await expect(
        f.trialRegistry
          .connect(f.patientKey)
          .reconsent(f.trialId, f.patientId, await f.consentFor(f.patientId, f.patientKey)),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
    });

    it("reverts with TrialDatabaseLocked when the trial is locked", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      const lockedAt = await lockTrial(f);
      await expect(f.trialRegistry.connect(f.patientKey).reconsent(f.trialId, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey, { trial: UNKNOWN_TRIAL, version: 1, nonce: 0 });
      await expect(f.trialRegistry.connect(f.patientKey).reconsent(UNKNOWN_TRIAL, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.patientKey).reconsent(f.trialId, f.patientId, signed),
      ).to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause");
    });
  });

  describe("withdraw", () => {
    it("withdraws the participant when the patient asks, keeping the record", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey, 2, 1);
      const before = await subjectOf(f, f.patientId);
      await expect(
        f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.ConsentWithdrawn),
      )
        .to.emit(f.trialRegistry, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.patientId, f.patientId, WithdrawalReason.ConsentWithdrawn);
      expect(await subjectOf(f, f.patientId)).to.deep.equal({ ...before, status: BigInt(SubjectStatus.Withdrawn) });
      expect((await f.trialRegistry.trial(f.trialId)).enrolled).to.equal(1n);
      expect((await f.trialRegistry.allocationAudit(f.trialId)).enrolled).to.equal(1n);
    });

    it("withdraws the participant when her representative asks, naming the representative", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await expect(f.trialRegistry.connect(f.representativeKey).withdraw(f.trialId, f.patientId, 0))
        .to.emit(f.trialRegistry, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.patientId, f.representativeId, 0);
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Withdrawn));
    });

    it("withdraws the participant when her site's investigator decides so", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.otherPatientId, f.otherPatientKey, 2);
      const reason = WithdrawalReason.InvestigatorDecision;
      await expect(f.trialRegistry.connect(f.clinicDoctorKey).withdraw(f.trialId, f.otherPatientId, reason))
        .to.emit(f.trialRegistry, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.otherPatientId, f.clinicDoctorId, reason);
      expect((await subjectOf(f, f.otherPatientId)).status).to.equal(BigInt(SubjectStatus.Withdrawn));
    });

    it("withdraws the participant while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.AdverseEvent),
      )
        .to.emit(f.trialRegistry, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.patientId, f.patientId, WithdrawalReason.AdverseEvent);
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Withdrawn));
    });

    it("refuses a suspended patient's own key (it may be stolen): her investigator withdraws her, also while paused", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await f.identity.as(f.registrar).suspend(f.patientId, SUSPENSION_REASON);
      expect(await f.identityRegistry.isActive(f.patientId)).to.equal(false);
      await expect(f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotWithdrawer")
        .withArgs(f.trialId, f.patientId, f.patientKey.address);
      await pause(f);
      await expect(f.trialRegistry.connect(f.cardiologistKey).withdraw(f.trialId, f.patientId, 0))
        .to.emit(f.trialRegistry, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.patientId, f.cardiologistId, 0);
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Withdrawn));
    });

    it("reverts with TrialNotWithdrawer for the representative of a suspended patient", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await f.identity.as(f.registrar).suspend(f.patientId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.representativeKey).withdraw(f.trialId, f.patientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotWithdrawer")
        .withArgs(f.trialId, f.patientId, f.representativeKey.address);
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Enrolled));
    });

    it("reverts with TrialNotWithdrawer for a stranger, another site's investigator, the sponsor and a colleague", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      const keys = [
        f.strangerKey,
        f.clinicDoctorKey,
        f.internistKey,
        f.hospitalKey,
        f.sponsorKey,
        f.ethicsCommitteeKey,
        f.otherPatientKey,
      ];
      for (const key of keys) {
        await expect(f.trialRegistry.connect(key).withdraw(f.trialId, f.patientId, 0))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotWithdrawer")
          .withArgs(f.trialId, f.patientId, key.address);
      }
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Enrolled));
    });

    it("reverts with TrialNotWithdrawer for a representative whose appointment was revoked", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await f.identity.as(f.patientKey).revokeRepresentative(f.patientId, f.representativeId);
      await expect(f.trialRegistry.connect(f.representativeKey).withdraw(f.trialId, f.patientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotWithdrawer")
        .withArgs(f.trialId, f.patientId, f.representativeKey.address);
    });

    it("reverts with TrialSubjectNotEnrolled when the patient withdrew already or never took part", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await (await f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0)).wait();
      await expect(f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
      await expect(f.trialRegistry.connect(f.otherPatientKey).withdraw(f.trialId, f.otherPatientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.otherPatientId, SubjectStatus.None);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.patientKey).withdraw(UNKNOWN_TRIAL, f.patientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });
  });

  describe("increaseNonce", () => {
    it("voids an unused signature when the patient burns her nonce", async () => {
      const f = await loadFixture(trialsFixture);
      const unused = await f.consentFor(f.patientId, f.patientKey);
      await expect(f.trialRegistry.connect(f.patientKey).increaseNonce(f.trialId, f.patientId))
        .to.emit(f.trialRegistry, "ConsentNonceIncreased")
        .withArgs(f.trialId, f.patientId, 1);
      expect(await subjectOf(f, f.patientId)).to.deep.equal(subjectRecord({ nonce: 1 }));
      await expectInvalidSignature(f, unused, f.patientKey.address);
      // A signature with the new nonce works, and takes the next one.
      await expect(enrollWith(f, f.patientId, await f.consentFor(f.patientId, f.patientKey))).to.emit(
        f.trialRegistry,
        "ParticipantEnrolled",
      );
      expect((await subjectOf(f, f.patientId)).nonce).to.equal(2n);
    });

    it("burns the nonce when the representative asks", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.representativeKey).increaseNonce(f.trialId, f.patientId))
        .to.emit(f.trialRegistry, "ConsentNonceIncreased")
        .withArgs(f.trialId, f.patientId, 1);
      expect((await subjectOf(f, f.patientId)).nonce).to.equal(1n);
    });

    it("voids an enrolled participant's unused re-consent signature", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await amendConsentForm(f, true);
      const unused = await f.consentFor(f.patientId, f.patientKey);
      await expect(f.trialRegistry.connect(f.patientKey).increaseNonce(f.trialId, f.patientId))
        .to.emit(f.trialRegistry, "ConsentNonceIncreased")
        .withArgs(f.trialId, f.patientId, 2);
      await expect(f.trialRegistry.connect(f.strangerKey).reconsent(f.trialId, f.patientId, unused))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
        .withArgs(f.patientKey.address);
    });

    it("burns the nonce while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(f.trialRegistry.connect(f.patientKey).increaseNonce(f.trialId, f.patientId))
        .to.emit(f.trialRegistry, "ConsentNonceIncreased")
        .withArgs(f.trialId, f.patientId, 1);
      expect((await subjectOf(f, f.patientId)).nonce).to.equal(1n);
    });

    it("refuses a suspended patient's own key to burn her nonce (it may be stolen); reinstated, she can", async () => {
      const f = await loadFixture(trialsFixture);
      const unused = await f.consentFor(f.patientId, f.patientKey);
      await f.identity.as(f.registrar).suspend(f.patientId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.patientKey).increaseNonce(f.trialId, f.patientId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
        .withArgs(f.patientId, f.patientKey.address);
      await f.identity.as(f.registrar).reinstate(f.patientId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.patientKey).increaseNonce(f.trialId, f.patientId))
        .to.emit(f.trialRegistry, "ConsentNonceIncreased")
        .withArgs(f.trialId, f.patientId, 1);
      await expectInvalidSignature(f, unused, f.patientKey.address);
    });

    it("reverts with TrialNotPatientActor for the representative of a suspended patient", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.patientId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.representativeKey).increaseNonce(f.trialId, f.patientId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
        .withArgs(f.patientId, f.representativeKey.address);
      expect((await subjectOf(f, f.patientId)).nonce).to.equal(0n);
    });

    it("reverts with TrialNotPatientActor for anyone who does not act for the patient", async () => {
      const f = await loadFixture(trialsFixture);
      for (const key of [f.strangerKey, f.cardiologistKey, f.sponsorKey, f.otherPatientKey]) {
        await expect(f.trialRegistry.connect(key).increaseNonce(f.trialId, f.patientId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
          .withArgs(f.patientId, key.address);
      }
      expect((await subjectOf(f, f.patientId)).nonce).to.equal(0n);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.patientKey).increaseNonce(UNKNOWN_TRIAL, f.patientId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });
  });

  describe("attacks", () => {
    it("a site cannot enroll a patient with her signature replayed from another trial", async () => {
      const f = await loadFixture(trialsFixture);
      const trialId = await secondTrial(f, { allocation: { strata: 1, perStratum: 4 } });
      const forSecond = await f.consentFor(f.patientId, f.patientKey, { trial: trialId });
      await (await enrollWith(f, f.patientId, forSecond, 1, 0, trialId)).wait();
      // Both trials expect nonce 0 and version 1 here: only the trial id in the signed message tells them apart.
      await expectInvalidSignature(f, forSecond, f.patientKey.address);
    });

    it("a site cannot enroll a withdrawn participant again, nor anyone else, with her signature", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.patientKey);
      await (await enrollWith(f, f.patientId, signed)).wait();
      await (await f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0)).wait();
      for (const site of [1, 2]) {
        await expect(enrollWith(f, f.patientId, signed, site))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialAlreadyEnrolled")
          .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
      }
      await expect(enrollWith(f, f.otherPatientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
        .withArgs(f.patientKey.address);
      await expect(f.trialRegistry.connect(f.cardiologistKey).reconsent(f.trialId, f.patientId, signed))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialSubjectNotEnrolled")
        .withArgs(f.trialId, f.patientId, SubjectStatus.Withdrawn);
      expect((await f.trialRegistry.trial(f.trialId)).enrolled).to.equal(1n);
    });

    it("an investigator cannot choose the allocation index: it is always the stratum's next", async () => {
      const f = await loadFixture(trialsFixture);
      const refused = await patientGranting(f, 0);
      for (let expected = 0; expected < 3; expected++) {
        expect(await f.trialRegistry.nextAllocationIndex(f.trialId, 0)).to.equal(BigInt(expected));
        // A refused enrollment takes no index, so an investigator cannot burn indices to reach a wanted arm.
        await expect(enrollWith(f, refused.id, await f.consentFor(refused.id, refused.key)))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialConsentNotGranted")
          .withArgs(f.trialId, refused.id, CONDITIONS, DecisionBasis.NoGrant);
        const patient = await f.newPatient();
        await expect(enrollWith(f, patient.id, await f.consentFor(patient.id, patient.key)))
          .to.emit(f.trialRegistry, "ParticipantEnrolled")
          .withArgs(f.trialId, patient.id, 1, 0, expected);
      }
      // The sequence cannot be replaced to move the remaining indices either.
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:swap"), 2, 16))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationFrozen")
        .withArgs(f.trialId, 3);
    });

    it("a revoked representative's earlier signature cannot enroll the patient", async () => {
      const f = await loadFixture(trialsFixture);
      const signed = await f.consentFor(f.patientId, f.representativeKey, { site: 2 });
      await f.identity.as(f.patientKey).revokeRepresentative(f.patientId, f.representativeId);
      await expect(enrollWith(f, f.patientId, signed, 2))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotPatientActor")
        .withArgs(f.patientId, f.representativeKey.address);
      expect(await subjectOf(f, f.patientId)).to.deep.equal(subjectRecord());
    });

    it("an investigator whose organization released them cannot withdraw their former participants", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await f.identity.as(f.hospitalKey).releaseAffiliate(f.cardiologistId);
      await expect(f.trialRegistry.connect(f.cardiologistKey).withdraw(f.trialId, f.patientId, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotWithdrawer")
        .withArgs(f.trialId, f.patientId, f.cardiologistKey.address);
      expect((await subjectOf(f, f.patientId)).status).to.equal(BigInt(SubjectStatus.Enrolled));
    });
  });
});
