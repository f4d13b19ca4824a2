import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import {
  ALL_CATEGORIES,
  categorySet,
  commit,
  DataCategory,
  DecisionBasis,
  ParticipantKind,
  Purpose,
  purposeSet,
} from "../../sdk";
import { MAX_BREAK_GLASS, MAX_EMERGENCY_GRANT } from "../fixtures/consent";
import { DAY } from "../fixtures/identity";
import { CARDIOLOGY_CATEGORIES, type RecordsFixture, recordsFixture } from "../fixtures/records";
import { scheduleAndExecute } from "../helpers/governance";
import {
  anchored,
  anchorOf,
  historyOf,
  NOTHING,
  pinNext,
  randomCommitment,
  RecordStatus,
  SUSPENSION_REASON,
  toDecisionBasis,
  UNCONSCIOUS,
} from "./helpers";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const HOUR = 60 * 60;
const TREATMENT = purposeSet(Purpose.Treatment);
const EMERGENCY = purposeSet(Purpose.EmergencyTreatment);
const LABS = DataCategory.LaboratoryResults;
const MENTAL = DataCategory.MentalHealth;
/** Every defined category. */
const CATEGORIES = Object.values(DataCategory).filter((value): value is DataCategory => typeof value === "number");
/** `CATEGORY_COUNT`: the first undefined category position. */
const UNDEFINED_CATEGORY = 16;

function spare(f: RecordsFixture, index = 0): HardhatEthersSigner {
  const key = f.spareKeys[index];
  if (key === undefined) throw new Error(`the records fixture has no spare key ${index}`);
  return key;
}

/**
 * `author` anchors a fresh commitment of `patient`'s record in `category` at a pinned time; asserts the event (with
 * `basis`) and the read-back (`organization` as the record's organization) and returns the commitment.
 */
async function expectAnchor(
  f: RecordsFixture,
  author: HardhatEthersSigner,
  authorId: bigint,
  category: DataCategory,
  basis: DecisionBasis,
  organization: bigint,
  patient: bigint = f.patientId,
): Promise<string> {
  const { records } = f;
  const commitment = randomCommitment();
  const pointer = randomCommitment();
  expect(
    await records.connect(author).anchor.staticCall(patient, commitment, category, pointer),
    "anchor's return value",
  ).to.equal(BigInt(basis));
  const t = await pinNext();
  await expect(records.connect(author).anchor(patient, commitment, category, pointer))
    .to.emit(records, "RecordAnchored")
    .withArgs(commitment, patient, authorId, category, basis, pointer);
  expect(await anchorOf(records, patient, commitment)).to.deep.equal(
    anchored({ patient, author: authorId, organization, category, anchoredAt: t }),
  );
  expect(await historyOf(records, patient, commitment)).to.deep.equal([commitment]);
  expect(await records.latestVersion(patient, commitment)).to.equal(commitment);
  return commitment;
}

/** `author`'s anchor of a fresh commitment is refused with `RecordAnchorNotPermitted(patient, author, category, basis)`
 * and nothing is stored. */
async function expectNotPermitted(
  f: RecordsFixture,
  author: HardhatEthersSigner,
  authorId: bigint,
  category: DataCategory,
  basis: DecisionBasis,
  patient: bigint = f.patientId,
): Promise<void> {
  const { records } = f;
  const commitment = randomCommitment();
  await expect(records.connect(author).anchor(patient, commitment, category, ZeroHash))
    .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
    .withArgs(patient, authorId, category, basis);
  expect(await anchorOf(records, patient, commitment)).to.deep.equal(NOTHING);
}

/** `account`'s anchor is refused with `RecordInvalidAuthor(account)` and nothing is stored. */
async function expectInvalidAuthor(
  f: RecordsFixture,
  account: HardhatEthersSigner,
  category: DataCategory = LABS,
): Promise<void> {
  const { records, patientId } = f;
  const commitment = randomCommitment();
  await expect(records.connect(account).anchor(patientId, commitment, category, ZeroHash))
    .to.be.revertedWithCustomError(records, "RecordInvalidAuthor")
    .withArgs(account.address);
  expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);
}

async function suspend(f: RecordsFixture, id: bigint): Promise<void> {
  await f.identity.as(f.registrar).suspend(id, SUSPENSION_REASON);
}

/** `decideWithStanding` as plain values: whether allowed, the basis and the accessor (as `decide` would give them), the
 * kind and the organization. */
async function decideWithStanding(
  f: RecordsFixture,
  accessor: string,
  category: number,
  purpose: number,
  at: bigint,
  patient: bigint = f.patientId,
) {
  const [allowed, basis, accessorId, kind, organization] = await f.consentRegistry.decideWithStanding(
    patient,
    accessor,
    category,
    purpose,
    at,
  );
  return { allowed, basis: toDecisionBasis(basis), accessor: accessorId, kind: Number(kind), organization };
}

/** What `decideWithStanding` repeats of a `decide` decision: everything but the grantee and its reference. */
function withoutGrantee(decision: { allowed: boolean; basis: DecisionBasis; accessor: bigint }) {
  return { allowed: decision.allowed, basis: decision.basis, accessor: decision.accessor };
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("RecordRegistry", function () {
  describe("deployment", function () {
    it("is wired to the identity and consent registries and starts empty", async function () {
      const { records, identityRegistry, consentRegistry } = await loadFixture(recordsFixture);
      expect(await records.identityRegistry()).to.equal(await identityRegistry.getAddress());
      expect(await records.consentRegistry()).to.equal(await consentRegistry.getAddress());
      expect(await records.version()).to.equal("1.1.0");
      expect(await records.MAX_BATCH_RECORDS()).to.equal(1n << 20n);
      expect(await records.MAX_PROOF_LENGTH()).to.equal(20n);
      expect(await records.AMENDMENT_REASON()).to.equal(2n);
      expect(await records.amendmentCount()).to.equal(0n);
      expect(await records.paused()).to.equal(false);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Anchoring under a treatment decision
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor", function () {
    it("anchors the patient's own data with basis Self and no organization", async function () {
      const f = await loadFixture(recordsFixture);
      const { patientKey, patientId } = f;
      await expectAnchor(f, patientKey, patientId, DataCategory.VitalSigns, DecisionBasis.Self, 0n);
      // Self covers every category, the sensitive ones too.
      await expectAnchor(f, patientKey, patientId, DataCategory.Genomics, DecisionBasis.Self, 0n);
    });

    it("anchors the patient's data through her representative with basis Representative and no organization", async function () {
      const f = await loadFixture(recordsFixture);
      const { representativeKey, representativeId } = f;
      await expectAnchor(
        f,
        representativeKey,
        representativeId,
        DataCategory.VitalSigns,
        DecisionBasis.Representative,
        0n,
      );
      await expectAnchor(f, representativeKey, representativeId, MENTAL, DecisionBasis.Representative, 0n);
    });

    it("anchors every category of the cardiologist's named grant with basis Grant under her hospital", async function () {
      const f = await loadFixture(recordsFixture);
      const { cardiologistKey, cardiologistId, hospitalId } = f;
      for (const category of [LABS, DataCategory.Imaging, DataCategory.Conditions, MENTAL]) {
        expect(CARDIOLOGY_CATEGORIES & (1 << category)).to.not.equal(0);
        await expectAnchor(f, cardiologistKey, cardiologistId, category, DecisionBasis.Grant, hospitalId);
      }
    });

    it("anchors through the hospital's wildcard grant for the internist and the device with basis OrganizationGrant", async function () {
      const f = await loadFixture(recordsFixture);
      const { internistKey, internistId, erDoctorKey, erDoctorId, deviceKey, deviceId, hospitalId } = f;
      await expectAnchor(
        f,
        internistKey,
        internistId,
        DataCategory.Medications,
        DecisionBasis.OrganizationGrant,
        hospitalId,
      );
      await expectAnchor(
        f,
        erDoctorKey,
        erDoctorId,
        DataCategory.Encounters,
        DecisionBasis.OrganizationGrant,
        hospitalId,
      );
      await expectAnchor(f, deviceKey, deviceId, LABS, DecisionBasis.OrganizationGrant, hospitalId);
    });

    it("anchors as the hospital itself on its own wildcard grant with basis Grant, the hospital as its organization", async function () {
      const f = await loadFixture(recordsFixture);
      const { hospitalKey, hospitalId } = f;
      await expectAnchor(f, hospitalKey, hospitalId, DataCategory.Procedures, DecisionBasis.Grant, hospitalId);
    });

    it("anchors the same category many times under distinct commitments, each its own record", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, cardiologistId, hospitalId } = f;
      const first = await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
      const second = await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
      expect(await historyOf(records, patientId, first)).to.deep.equal([first]);
      expect(await historyOf(records, patientId, second)).to.deep.equal([second]);
    });

    it("accepts a zero pointer (no blob location committed)", async function () {
      const { records, patientId, cardiologistKey, cardiologistId } = await loadFixture(recordsFixture);
      const commitment = commit("fhir:Observation/troponin").commitment;
      await expect(records.connect(cardiologistKey).anchor(patientId, commitment, LABS, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(commitment, patientId, cardiologistId, LABS, DecisionBasis.Grant, ZeroHash);
      expect((await anchorOf(records, patientId, commitment)).status).to.equal(RecordStatus.Current);
    });

    it("reads nothing for a commitment never anchored", async function () {
      const { records, patientId } = await loadFixture(recordsFixture);
      const commitment = randomCommitment();
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);
      await expect(records.history(patientId, commitment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(patientId, commitment);
      await expect(records.latestVersion(patientId, commitment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(patientId, commitment);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Each patient's commitments are a namespace of their own
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor in the patient's namespace", function () {
    it("anchors the same commitment for two patients independently, each read back in its own namespace", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientId, otherPatientId, representativeId, cardiologistKey, cardiologistId } = f;
      const { hospitalId, erDoctorKey, erDoctorId, otherPatientKey } = f;
      const commitment = randomCommitment();
      const first = await pinNext();
      await expect(records.connect(cardiologistKey).anchor(patientId, commitment, LABS, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(commitment, patientId, cardiologistId, LABS, DecisionBasis.Grant, ZeroHash);
      // Nothing under the commitment for the other patient yet.
      expect(await anchorOf(records, otherPatientId, commitment)).to.deep.equal(NOTHING);
      await expect(records.history(otherPatientId, commitment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(otherPatientId, commitment);
      // The emergency doctor anchors the very same commitment for the other patient under break-glass ...
      await consent.as(erDoctorKey).openBreakGlass(otherPatientId, UNCONSCIOUS, HOUR);
      const second = await pinNext();
      await expect(records.connect(erDoctorKey).anchor(otherPatientId, commitment, MENTAL, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(commitment, otherPatientId, erDoctorId, MENTAL, DecisionBasis.BreakGlass, ZeroHash);
      // ... after which it is taken in his namespace, for him as for anyone.
      await expect(
        records.connect(otherPatientKey).anchor(otherPatientId, commitment, DataCategory.VitalSigns, ZeroHash),
      )
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(otherPatientId, commitment);
      // Each namespace holds its own version: author, category, time.
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(
        anchored({
          patient: patientId,
          author: cardiologistId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: first,
        }),
      );
      expect(await anchorOf(records, otherPatientId, commitment)).to.deep.equal(
        anchored({
          patient: otherPatientId,
          author: erDoctorId,
          organization: hospitalId,
          category: MENTAL,
          anchoredAt: second,
        }),
      );
      for (const patient of [patientId, otherPatientId]) {
        expect(await historyOf(records, patient, commitment)).to.deep.equal([commitment]);
        expect(await records.latestVersion(patient, commitment)).to.equal(commitment);
      }
      // A third patient's namespace is still empty.
      expect(await anchorOf(records, representativeId, commitment)).to.deep.equal(NOTHING);
      await expect(records.latestVersion(representativeId, commitment))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(representativeId, commitment);
    });

    it("lets each patient anchor her own data under a commitment another patient already used", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, otherPatientKey, otherPatientId } = f;
      const commitment = await expectAnchor(f, patientKey, patientId, DataCategory.VitalSigns, DecisionBasis.Self, 0n);
      const t = await pinNext();
      await expect(records.connect(otherPatientKey).anchor(otherPatientId, commitment, DataCategory.Genomics, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(commitment, otherPatientId, otherPatientId, DataCategory.Genomics, DecisionBasis.Self, ZeroHash);
      expect(await anchorOf(records, otherPatientId, commitment)).to.deep.equal(
        anchored({
          patient: otherPatientId,
          author: otherPatientId,
          organization: 0n,
          category: DataCategory.Genomics,
          anchoredAt: t,
        }),
      );
      // The first patient's version is untouched.
      expect(await anchorOf(records, patientId, commitment)).to.include({
        patient: patientId,
        author: patientId,
        category: DataCategory.VitalSigns,
      });
    });

    it("refuses to anchor into another patient's namespace without her consent, even a commitment the author used before", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, otherPatientId, otherPatientKey, patientId, cardiologistKey, cardiologistId, hospitalId } = f;
      // The cardiologist anchors for her patient ...
      const commitment = await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
      // ... but neither she nor the other patient can put that commitment on the first patient's chart again, and
      // she cannot put it on the other patient's chart, who granted her nothing.
      await expect(records.connect(cardiologistKey).anchor(otherPatientId, commitment, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(otherPatientId, cardiologistId, LABS, DecisionBasis.NoGrant);
      await expect(records.connect(otherPatientKey).anchor(patientId, commitment, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, otherPatientId, LABS, DecisionBasis.NoGrant);
      expect(await anchorOf(records, otherPatientId, commitment)).to.deep.equal(NOTHING);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Anchoring under an emergency decision
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor in an emergency", function () {
    it("anchors a sensitive category under break-glass that the organization's grant cannot open, with basis BreakGlass", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, erDoctorKey, erDoctorId, patientId, hospitalId } = f;
      await expectNotPermitted(f, erDoctorKey, erDoctorId, MENTAL, DecisionBasis.SensitiveCategoryNotNamed);
      const { sessionId } = await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, 4 * HOUR);
      const commitment = await expectAnchor(f, erDoctorKey, erDoctorId, MENTAL, DecisionBasis.BreakGlass, hospitalId);
      // The emergency decision is the one that allowed: break-glass, session `sessionId`.
      const d = await consent.decide(patientId, erDoctorKey.address, MENTAL, Purpose.EmergencyTreatment);
      expect([d.basis, d.ref]).to.deep.equal([DecisionBasis.BreakGlass, sessionId]);
      expect((await anchorOf(f.records, patientId, commitment)).organization).to.equal(hospitalId);
    });

    it("anchors under break-glass after the patient denied the hospital the category", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, hospitalId, erDoctorKey, erDoctorId } = f;
      await consent.as(patientKey).setDeny(patientId, hospitalId, categorySet(LABS));
      await expectNotPermitted(f, erDoctorKey, erDoctorId, LABS, DecisionBasis.ExplicitDeny);
      await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, HOUR);
      await expectAnchor(f, erDoctorKey, erDoctorId, LABS, DecisionBasis.BreakGlass, hospitalId);
    });

    it("anchors under break-glass after the patient revoked the hospital's grant", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, hospitalId, erDoctorKey, erDoctorId } = f;
      await consent.as(patientKey).revoke(patientId, hospitalId);
      await expectNotPermitted(f, erDoctorKey, erDoctorId, DataCategory.VitalSigns, DecisionBasis.NoGrant);
      await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, HOUR);
      await expectAnchor(f, erDoctorKey, erDoctorId, DataCategory.VitalSigns, DecisionBasis.BreakGlass, hospitalId);
    });

    it("anchors under break-glass for a patient who granted nothing", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, otherPatientId, hospitalId, erDoctorKey, erDoctorId } = f;
      await expectNotPermitted(f, erDoctorKey, erDoctorId, LABS, DecisionBasis.NoGrant, otherPatientId);
      await consent.as(erDoctorKey).openBreakGlass(otherPatientId, UNCONSCIOUS, HOUR);
      await expectAnchor(f, erDoctorKey, erDoctorId, LABS, DecisionBasis.BreakGlass, hospitalId, otherPatientId);
      // The session is for that patient only.
      await expectAnchor(f, erDoctorKey, erDoctorId, LABS, DecisionBasis.OrganizationGrant, hospitalId);
    });

    it("refuses genomics under break-glass (excluded by the policy), reporting the treatment decision's basis", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientId, erDoctorKey, erDoctorId } = f;
      await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, HOUR);
      const emergency = await consent.decide(
        patientId,
        erDoctorKey.address,
        DataCategory.Genomics,
        Purpose.EmergencyTreatment,
      );
      expect(emergency.basis).to.equal(DecisionBasis.BreakGlassCategoryExcluded);
      await expectNotPermitted(
        f,
        erDoctorKey,
        erDoctorId,
        DataCategory.Genomics,
        DecisionBasis.SensitiveCategoryNotNamed,
      );
    });

    it("refuses once the break-glass session has expired", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientId, erDoctorKey, erDoctorId, hospitalId } = f;
      await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, MAX_BREAK_GLASS);
      await expectAnchor(f, erDoctorKey, erDoctorId, MENTAL, DecisionBasis.BreakGlass, hospitalId);
      await time.increase(MAX_BREAK_GLASS);
      await expectNotPermitted(f, erDoctorKey, erDoctorId, MENTAL, DecisionBasis.SensitiveCategoryNotNamed);
    });

    it("refuses after the practitioner closed the session", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientId, erDoctorKey, erDoctorId } = f;
      const { sessionId } = await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, HOUR);
      await consent.as(erDoctorKey).closeBreakGlass(sessionId);
      await expectNotPermitted(f, erDoctorKey, erDoctorId, MENTAL, DecisionBasis.SensitiveCategoryNotNamed);
    });

    it("does not let break-glass override the patient's deny of the practitioner herself", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, erDoctorKey, erDoctorId } = f;
      await consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, HOUR);
      await consent.as(patientKey).setDeny(patientId, erDoctorId, categorySet(MENTAL));
      await expectNotPermitted(f, erDoctorKey, erDoctorId, MENTAL, DecisionBasis.ExplicitDeny);
    });

    it("anchors on a grant for emergency treatment only, with basis Grant", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, clinicDoctorKey, clinicDoctorId, clinicId } = f;
      await expectNotPermitted(f, clinicDoctorKey, clinicDoctorId, LABS, DecisionBasis.NoGrant);
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: clinicDoctorId,
        categories: categorySet(LABS),
        purposes: EMERGENCY,
        validUntil: BigInt(await time.latest()) + BigInt(MAX_EMERGENCY_GRANT),
      });
      // The treatment decision still refuses; the emergency one allows on the grant.
      expect((await consent.decide(patientId, clinicDoctorKey.address, LABS, Purpose.Treatment)).allowed).to.equal(
        false,
      );
      await expectAnchor(f, clinicDoctorKey, clinicDoctorId, LABS, DecisionBasis.Grant, clinicId);
      // Only for the categories it names.
      await expectNotPermitted(f, clinicDoctorKey, clinicDoctorId, DataCategory.Imaging, DecisionBasis.NoGrant);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // A practitioner as the patient's representative
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor by a practitioner appointed as representative", function () {
    // What a representative anchors is the patient's own data (basis Representative): no organization curates it,
    // even when the representative is a practitioner who has one.
    it("files the record under no organization, so the practitioner's organization cannot curate it", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, patientKey, patientId, clinicDoctorKey, clinicDoctorId, clinicKey } = f;
      await identity
        .as(patientKey)
        .appointRepresentative(patientId, clinicDoctorId, BigInt(await time.latest()) + BigInt(30 * DAY));
      const commitment = await expectAnchor(
        f,
        clinicDoctorKey,
        clinicDoctorId,
        DataCategory.VitalSigns,
        DecisionBasis.Representative,
        0n,
      );
      // The clinic is not a curator of the representative's record ...
      await expect(records.connect(clinicKey).supersede(patientId, commitment, randomCommitment(), ZeroHash, 1))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(commitment, clinicKey.address);
      // ... the representative who wrote it is.
      const replacement = randomCommitment();
      await expect(records.connect(clinicDoctorKey).supersede(patientId, commitment, replacement, ZeroHash, 1))
        .to.emit(records, "RecordSuperseded")
        .withArgs(commitment, replacement, patientId, clinicDoctorId, 1, ZeroHash);
      expect(await anchorOf(records, patientId, replacement)).to.include({ author: clinicDoctorId, organization: 0n });
      // A representative who is a patient files the same kind of record under no organization.
      const byPatientRepresentative = await expectAnchor(
        f,
        f.representativeKey,
        f.representativeId,
        DataCategory.VitalSigns,
        DecisionBasis.Representative,
        0n,
      );
      expect((await anchorOf(records, patientId, byPatientRepresentative)).organization).to.equal(0n);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Refusals by consent
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor refused by consent", function () {
    it("refuses a practitioner with no grant (the clinic's doctor) with NoGrant", async function () {
      const f = await loadFixture(recordsFixture);
      await expectNotPermitted(f, f.clinicDoctorKey, f.clinicDoctorId, LABS, DecisionBasis.NoGrant);
    });

    it("refuses the clinic, which holds nothing, and its doctor under no break-glass (clinic not emergency-authorized)", async function () {
      const f = await loadFixture(recordsFixture);
      const { breakGlass, patientId, clinicKey, clinicId, clinicDoctorKey, clinicDoctorId } = f;
      await expectNotPermitted(f, clinicKey, clinicId, DataCategory.Demographics, DecisionBasis.NoGrant);
      await expect(breakGlass.connect(clinicDoctorKey).open(patientId, UNCONSCIOUS, HOUR))
        .to.be.revertedWithCustomError(breakGlass, "BreakGlassNotAuthorized")
        .withArgs(clinicDoctorKey.address);
      await expectNotPermitted(f, clinicDoctorKey, clinicDoctorId, DataCategory.Demographics, DecisionBasis.NoGrant);
    });

    it("refuses the internist a sensitive category the hospital's wildcard grant cannot open (SensitiveCategoryNotNamed)", async function () {
      const f = await loadFixture(recordsFixture);
      await expectNotPermitted(f, f.internistKey, f.internistId, MENTAL, DecisionBasis.SensitiveCategoryNotNamed);
      await expectNotPermitted(
        f,
        f.deviceKey,
        f.deviceId,
        DataCategory.Genomics,
        DecisionBasis.SensitiveCategoryNotNamed,
      );
    });

    it("refuses the hospital itself a sensitive category its own wildcard grant does not name", async function () {
      const f = await loadFixture(recordsFixture);
      await expectNotPermitted(
        f,
        f.hospitalKey,
        f.hospitalId,
        DataCategory.SubstanceUse,
        DecisionBasis.SensitiveCategoryNotNamed,
      );
    });

    it("refuses with ExplicitDeny after the patient denied the cardiologist a category her grant names", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, cardiologistKey, cardiologistId, hospitalId } = f;
      await consent.as(patientKey).setDeny(patientId, cardiologistId, categorySet(DataCategory.Imaging));
      await expectNotPermitted(f, cardiologistKey, cardiologistId, DataCategory.Imaging, DecisionBasis.ExplicitDeny);
      // The other named categories stay open.
      await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
    });

    it("refuses the hospital's people with ExplicitDeny after the patient denied the hospital a category", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, hospitalId } = f;
      await consent.as(patientKey).setDeny(patientId, hospitalId, categorySet(DataCategory.Medications));
      await expectNotPermitted(f, f.internistKey, f.internistId, DataCategory.Medications, DecisionBasis.ExplicitDeny);
      await expectNotPermitted(f, f.deviceKey, f.deviceId, DataCategory.Medications, DecisionBasis.ExplicitDeny);
      await expectNotPermitted(f, f.hospitalKey, hospitalId, DataCategory.Medications, DecisionBasis.ExplicitDeny);
    });

    it("refuses with NoGrant after the patient revoked the cardiologist's grant", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, cardiologistKey, cardiologistId, hospitalId } = f;
      await expectAnchor(f, cardiologistKey, cardiologistId, MENTAL, DecisionBasis.Grant, hospitalId);
      await consent.as(patientKey).revoke(patientId, cardiologistId);
      await expectNotPermitted(f, cardiologistKey, cardiologistId, MENTAL, DecisionBasis.SensitiveCategoryNotNamed);
      // A non-sensitive category now comes through the hospital's grant instead.
      await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.OrganizationGrant, hospitalId);
      // After the hospital's grant goes too, nothing is left.
      await consent.as(patientKey).revoke(patientId, hospitalId);
      await expectNotPermitted(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.NoGrant);
    });

    it("refuses with NoGrant once a grant has expired, and allows up to its last second", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, clinicDoctorKey, clinicDoctorId, clinicId } = f;
      const validUntil = BigInt(await time.latest()) + BigInt(DAY);
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: clinicDoctorId,
        categories: categorySet(LABS),
        purposes: TREATMENT,
        validUntil,
      });
      await time.setNextBlockTimestamp(validUntil - 1n);
      const commitment = randomCommitment();
      await expect(f.records.connect(clinicDoctorKey).anchor(patientId, commitment, LABS, ZeroHash))
        .to.emit(f.records, "RecordAnchored")
        .withArgs(commitment, patientId, clinicDoctorId, LABS, DecisionBasis.Grant, ZeroHash);
      expect((await anchorOf(f.records, patientId, commitment)).organization).to.equal(clinicId);
      await time.setNextBlockTimestamp(validUntil);
      await expectNotPermitted(f, clinicDoctorKey, clinicDoctorId, LABS, DecisionBasis.NoGrant);
    });

    it("refuses another patient, who is neither the patient nor a representative, with NoGrant", async function () {
      const f = await loadFixture(recordsFixture);
      await expectNotPermitted(f, f.otherPatientKey, f.otherPatientId, DataCategory.VitalSigns, DecisionBasis.NoGrant);
    });

    it("refuses the representative with NoGrant once the patient ended the representation", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, patientKey, patientId, representativeKey, representativeId } = f;
      await identity.as(patientKey).revokeRepresentative(patientId, representativeId);
      await expectNotPermitted(f, representativeKey, representativeId, DataCategory.VitalSigns, DecisionBasis.NoGrant);
    });

    it("refuses the hospital's people with InactiveGrantee while the hospital is suspended", async function () {
      const f = await loadFixture(recordsFixture);
      const { hospitalId, cardiologistKey, cardiologistId } = f;
      await suspend(f, hospitalId);
      await expectNotPermitted(f, f.internistKey, f.internistId, LABS, DecisionBasis.InactiveGrantee);
      await expectInvalidAuthor(f, f.hospitalKey);
      // The cardiologist's own grant does not depend on the hospital; the record still names it as organization.
      await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Refusals by identity
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor refused by identity", function () {
    it("refuses a payer and a research sponsor even when the patient granted them the category for treatment", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, payerKey, payerId, sponsorKey, sponsorId } = f;
      const validUntil = BigInt(await time.latest()) + BigInt(30 * DAY);
      for (const grantee of [payerId, sponsorId]) {
        await consent
          .as(patientKey)
          .grant({ patient: patientId, grantee, categories: categorySet(LABS), purposes: TREATMENT, validUntil });
      }
      // The consent registry allows both to read labs for treatment ...
      expect((await consent.decide(patientId, payerKey.address, LABS, Purpose.Treatment)).basis).to.equal(
        DecisionBasis.Grant,
      );
      expect((await consent.decide(patientId, sponsorKey.address, LABS, Purpose.Treatment)).basis).to.equal(
        DecisionBasis.Grant,
      );
      // ... but neither authors records.
      await expectInvalidAuthor(f, payerKey);
      await expectInvalidAuthor(f, sponsorKey);
    });

    it("refuses a payer with a wildcard grant, for any category", async function () {
      const f = await loadFixture(recordsFixture);
      const { consent, patientKey, patientId, payerKey, payerId } = f;
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: payerId,
        categories: ALL_CATEGORIES,
        purposes: TREATMENT,
        validUntil: BigInt(await time.latest()) + BigInt(30 * DAY),
      });
      await expectInvalidAuthor(f, payerKey, DataCategory.InsuranceAndClaims);
    });

    it("refuses an account the identity registry does not know", async function () {
      const f = await loadFixture(recordsFixture);
      await expectInvalidAuthor(f, spare(f));
      await expectInvalidAuthor(f, f.registrar);
    });

    it("refuses a suspended practitioner and accepts her again once reinstated", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, registrar, cardiologistKey, cardiologistId, hospitalId } = f;
      await suspend(f, cardiologistId);
      await expectInvalidAuthor(f, cardiologistKey);
      await identity.as(registrar).reinstate(cardiologistId, SUSPENSION_REASON);
      await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
    });

    it("refuses a revoked practitioner, a suspended device and a suspended patient", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, registrar, internistKey, internistId, deviceKey, deviceId, patientKey, patientId } = f;
      await identity.as(registrar).revoke(internistId, SUSPENSION_REASON);
      await suspend(f, deviceId);
      await suspend(f, patientId);
      await expectInvalidAuthor(f, internistKey);
      await expectInvalidAuthor(f, deviceKey);
      await expectInvalidAuthor(f, patientKey, DataCategory.VitalSigns);
    });

    it("refuses practitioners, devices and organizations whose credential has expired, but not the patient", async function () {
      const f = await loadFixture(recordsFixture);
      const { credentialExpiry, cardiologistKey, deviceKey, hospitalKey, patientKey, patientId } = f;
      await time.increaseTo(credentialExpiry);
      await expectInvalidAuthor(f, cardiologistKey);
      await expectInvalidAuthor(f, deviceKey);
      await expectInvalidAuthor(f, hospitalKey);
      await expectAnchor(f, patientKey, patientId, DataCategory.VitalSigns, DecisionBasis.Self, 0n);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Input checks and pause
  // -------------------------------------------------------------------------------------------------------------------

  describe("anchor input checks", function () {
    it("refuses an undefined category with RecordInvalidCategory", async function () {
      const { records, patientId, patientKey, cardiologistKey } = await loadFixture(recordsFixture);
      for (const [key, category] of [
        [patientKey, UNDEFINED_CATEGORY],
        [cardiologistKey, UNDEFINED_CATEGORY],
        [cardiologistKey, 255],
      ] as const) {
        const commitment = randomCommitment();
        await expect(records.connect(key).anchor(patientId, commitment, category, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordInvalidCategory")
          .withArgs(category);
        expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);
      }
    });

    it("refuses a zero commitment with RecordInvalidCommitment", async function () {
      const { records, patientId, patientKey, cardiologistKey } = await loadFixture(recordsFixture);
      for (const key of [patientKey, cardiologistKey]) {
        await expect(records.connect(key).anchor(patientId, ZeroHash, LABS, ZeroHash)).to.be.revertedWithCustomError(
          records,
          "RecordInvalidCommitment",
        );
      }
      expect(await anchorOf(records, patientId, ZeroHash)).to.deep.equal(NOTHING);
    });

    it("refuses a commitment anchored already for the patient with RecordAlreadyAnchored, whoever tries, and keeps the first anchor", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, representativeKey, cardiologistKey, cardiologistId, hospitalId } = f;
      const { erDoctorKey } = f;
      const commitment = await expectAnchor(f, cardiologistKey, cardiologistId, LABS, DecisionBasis.Grant, hospitalId);
      const before = await anchorOf(records, patientId, commitment);
      await expect(records.connect(cardiologistKey).anchor(patientId, commitment, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(patientId, commitment);
      await expect(records.connect(patientKey).anchor(patientId, commitment, DataCategory.VitalSigns, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(patientId, commitment);
      await expect(records.connect(representativeKey).anchor(patientId, commitment, DataCategory.VitalSigns, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(patientId, commitment);
      await f.consent.as(erDoctorKey).openBreakGlass(patientId, UNCONSCIOUS, HOUR);
      await expect(records.connect(erDoctorKey).anchor(patientId, commitment, MENTAL, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
        .withArgs(patientId, commitment);
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(before);
    });

    it("checks the category before the author and consent, and consent before the commitment", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, clinicDoctorKey, clinicDoctorId } = f;
      const stranger = spare(f);
      await expect(records.connect(stranger).anchor(patientId, ZeroHash, UNDEFINED_CATEGORY, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidCategory")
        .withArgs(UNDEFINED_CATEGORY);
      await expect(records.connect(stranger).anchor(patientId, ZeroHash, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAuthor")
        .withArgs(stranger.address);
      await expect(records.connect(clinicDoctorKey).anchor(patientId, ZeroHash, LABS, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
        .withArgs(patientId, clinicDoctorId, LABS, DecisionBasis.NoGrant);
    });

    it("refuses every anchor while paused with EnforcedPause, and anchors again once unpaused", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, pauser, patientId, patientKey, cardiologistKey, cardiologistId, hospitalId } = f;
      await expect(records.connect(pauser).pause()).to.emit(records, "Paused").withArgs(pauser.address);
      const commitment = randomCommitment();
      for (const key of [patientKey, cardiologistKey]) {
        await expect(records.connect(key).anchor(patientId, commitment, LABS, ZeroHash)).to.be.revertedWithCustomError(
          records,
          "EnforcedPause",
        );
      }
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(NOTHING);
      // The consent registry is not paused: the decision itself still allows.
      expect((await f.consent.decide(patientId, cardiologistKey.address, LABS, Purpose.Treatment)).allowed).to.equal(
        true,
      );
      // The admin unpauses through its scheduled delay; the same anchor then goes through.
      await scheduleAndExecute(
        f.accessManager,
        f.admin,
        await records.getAddress(),
        records.interface.encodeFunctionData("unpause"),
      );
      expect(await records.paused()).to.equal(false);
      const t = await pinNext();
      await expect(records.connect(cardiologistKey).anchor(patientId, commitment, LABS, ZeroHash))
        .to.emit(records, "RecordAnchored")
        .withArgs(commitment, patientId, cardiologistId, LABS, DecisionBasis.Grant, ZeroHash);
      expect(await anchorOf(records, patientId, commitment)).to.deep.equal(
        anchored({
          patient: patientId,
          author: cardiologistId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: t,
        }),
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // The consent registry's decideWithStanding
  // -------------------------------------------------------------------------------------------------------------------

  describe("ConsentRegistry.decideWithStanding", function () {
    it("returns decide's allowed, basis and accessor for every category and purpose, with the kind and organization of each accessor", async function () {
      const f = await loadFixture(recordsFixture);
      const now = BigInt(await time.latest());
      const cast: [HardhatEthersSigner, ParticipantKind, bigint][] = [
        [f.patientKey, ParticipantKind.Patient, 0n],
        [f.representativeKey, ParticipantKind.Patient, 0n],
        [f.cardiologistKey, ParticipantKind.Practitioner, f.hospitalId],
        [f.internistKey, ParticipantKind.Practitioner, f.hospitalId],
        [f.deviceKey, ParticipantKind.Device, f.hospitalId],
        [f.hospitalKey, ParticipantKind.Organization, 0n],
        [f.clinicDoctorKey, ParticipantKind.Practitioner, f.clinicId],
        [f.payerKey, ParticipantKind.Payer, 0n],
        [f.sponsorKey, ParticipantKind.ResearchSponsor, 0n],
        [spare(f), ParticipantKind.None, 0n],
      ];
      for (const [key, kind, organization] of cast) {
        for (const category of CATEGORIES) {
          for (const purpose of [Purpose.Treatment, Purpose.Research, Purpose.EmergencyTreatment]) {
            const decision = await f.consent.decide(f.patientId, key.address, category, purpose, now);
            expect(
              await decideWithStanding(f, key.address, category, purpose, now),
              `${key.address} ${DataCategory[category]} ${Purpose[purpose]}`,
            ).to.deep.equal({ ...withoutGrantee(decision), kind, organization });
          }
        }
      }
    });

    it("names the practitioner's organization for an organization grant", async function () {
      const f = await loadFixture(recordsFixture);
      const now = BigInt(await time.latest());
      expect(await decideWithStanding(f, f.internistKey.address, LABS, Purpose.Treatment, now)).to.deep.equal({
        allowed: true,
        basis: DecisionBasis.OrganizationGrant,
        accessor: f.internistId,
        kind: ParticipantKind.Practitioner,
        organization: f.hospitalId,
      });
    });

    it("still reports the kind and organization of a suspended accessor, with InactiveAccessor", async function () {
      const f = await loadFixture(recordsFixture);
      await suspend(f, f.deviceId);
      const now = BigInt(await time.latest());
      expect(await decideWithStanding(f, f.deviceKey.address, LABS, Purpose.Treatment, now)).to.deep.equal({
        allowed: false,
        basis: DecisionBasis.InactiveAccessor,
        accessor: f.deviceId,
        kind: ParticipantKind.Device,
        organization: f.hospitalId,
      });
    });

    it("judges the credential at `at`, as decide does", async function () {
      const f = await loadFixture(recordsFixture);
      const after = f.credentialExpiry;
      const expected = await f.consent.decide(f.patientId, f.cardiologistKey.address, LABS, Purpose.Treatment, after);
      expect(expected.basis).to.equal(DecisionBasis.InactiveAccessor);
      expect(await decideWithStanding(f, f.cardiologistKey.address, LABS, Purpose.Treatment, after)).to.deep.equal({
        ...withoutGrantee(expected),
        kind: ParticipantKind.Practitioner,
        organization: f.hospitalId,
      });
    });

    it("refuses an undefined category or purpose as decide does", async function () {
      const f = await loadFixture(recordsFixture);
      const registry = f.consentRegistry;
      const now = BigInt(await time.latest());
      await expect(registry.decideWithStanding(f.patientId, f.cardiologistKey.address, 16, Purpose.Treatment, now))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidCategory")
        .withArgs(16);
      await expect(registry.decideWithStanding(f.patientId, f.cardiologistKey.address, LABS, 6, now))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidPurpose")
        .withArgs(6);
      await expect(registry.decide(f.patientId, f.cardiologistKey.address, 16, Purpose.Treatment, now))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidCategory")
        .withArgs(16);
    });
  });
});
