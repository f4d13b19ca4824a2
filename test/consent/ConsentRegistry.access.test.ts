import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  categorySet,
  commit,
  DataCategory,
  DecisionBasis,
  type DecisionInfo,
  ParticipantStatus,
  Purpose,
  purposeSet,
  RequestStatus,
} from "../../sdk";
import { type ConsentFixture, consentFixture, MAX_EMERGENCY_GRANT, REASON } from "../fixtures/consent";
import { DAY, YEAR } from "../fixtures/identity";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const HOUR = 60 * 60;
/** `ConsentRegistry.MAX_REQUEST_LIFETIME`. */
const MAX_REQUEST_LIFETIME = 30 * DAY;
/** An off-chain reason code the registrar gives for a status change. */
const STATUS_REASON = 17;

const LABS = categorySet(DataCategory.LaboratoryResults);
const LABS_AND_CONDITIONS = categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions);
const TREATMENT = purposeSet(Purpose.Treatment);
const TREATMENT_AND_OPERATIONS = purposeSet(Purpose.Treatment, Purpose.HealthcareOperations);
const REQUEST_DURATION = 30 * DAY;
const SESSION_DURATION = 4 * HOUR;

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

/** Pins the timestamp of the next mined block to one second after the latest and returns it. */
async function nextTimestamp(): Promise<bigint> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return BigInt(next);
}

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

function allowed(basis: DecisionBasis, accessor: bigint, grantee: bigint, ref = 0n): DecisionInfo {
  return { allowed: true, basis, accessor, grantee, ref };
}

function denied(basis: DecisionBasis, accessor: bigint, grantee = 0n): DecisionInfo {
  return { allowed: false, basis, accessor, grantee, ref: 0n };
}

/** The `DecisionBasis` member with the value the contract returned; throws for a value the SDK does not know. */
function toBasis(value: bigint): DecisionBasis {
  const basis = Object.values(DecisionBasis).find(
    (member): member is DecisionBasis => typeof member === "number" && BigInt(member) === value,
  );
  if (basis === undefined) throw new Error(`unknown decision basis ${value.toString()}`);
  return basis;
}

/** A `Decision` as the contracts return it, as a plain `DecisionInfo` that chai can compare deeply. */
function toDecision(d: {
  allowed: boolean;
  basis: bigint;
  accessor: bigint;
  grantee: bigint;
  ref: bigint;
}): DecisionInfo {
  return {
    allowed: d.allowed,
    basis: toBasis(d.basis),
    accessor: d.accessor,
    grantee: d.grantee,
    ref: d.ref,
  };
}

/** The registry's decision for `accessor` on the fixture patient, at `at` (default: the latest block's time). */
function decide(
  f: ConsentFixture,
  accessor: HardhatEthersSigner,
  category: DataCategory,
  purpose: Purpose,
  at?: bigint,
): Promise<DecisionInfo> {
  return f.consent.decide(f.patientId, accessor.address, category, purpose, at);
}

/** The patient grants `grantee` the scope until `validUntil` (default: 30 days from now). */
async function grant(
  f: ConsentFixture,
  grantee: bigint,
  categories: number,
  purposes: number,
  validUntil?: bigint,
  validFrom?: bigint,
): Promise<{ version: number; validUntil: bigint }> {
  const until = validUntil ?? (await latest()) + BigInt(30 * DAY);
  const { version } = await f.consent
    .as(f.patientKey)
    .grant({ patient: f.patientId, grantee, categories, purposes, validFrom, validUntil: until });
  return { version, validUntil: until };
}

/** `requester` asks the fixture patient for labs and conditions, for treatment and operations, for 30 days. */
async function requestAccess(
  f: ConsentFixture,
  requester: HardhatEthersSigner,
  respondWithin = 7 * DAY,
): Promise<{ requestId: bigint; respondBy: bigint }> {
  const respondBy = (await latest()) + BigInt(respondWithin);
  const { requestId } = await f.consent.as(requester).requestAccess({
    patient: f.patientId,
    categories: LABS_AND_CONDITIONS,
    purposes: TREATMENT_AND_OPERATIONS,
    duration: REQUEST_DURATION,
    reasonCode: REASON.continuityOfCare,
    respondBy,
  });
  return { requestId, respondBy };
}

/** `practitioner` opens break-glass on `patient` (default: the fixture patient); returns the session and its end. */
async function openSession(
  f: ConsentFixture,
  practitioner: HardhatEthersSigner,
  duration = SESSION_DURATION,
  patient: bigint = f.patientId,
): Promise<{ sessionId: bigint; expiresAt: bigint }> {
  const { sessionId } = await f.consent.as(practitioner).openBreakGlass(patient, REASON.unconscious, duration);
  const { expiresAt } = await f.consent.breakGlass(sessionId);
  return { sessionId, expiresAt };
}

/** The patient appoints her cardiologist (a practitioner of the hospital) as her representative for a year. */
async function appointCardiologist(f: ConsentFixture): Promise<void> {
  await f.identity
    .as(f.patientKey)
    .appointRepresentative(f.patientId, f.cardiologistId, (await latest()) + BigInt(YEAR));
}

async function pauseConsent(f: ConsentFixture): Promise<void> {
  await (await f.consentRegistry.connect(f.pauser).pause()).wait();
}

async function suspend(f: ConsentFixture, id: bigint): Promise<void> {
  await (await f.identityRegistry.connect(f.registrar).suspend(id, STATUS_REASON)).wait();
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ConsentRegistry", function () {
  // -------------------------------------------------------------------------------------------------------------------
  // Access requests
  // -------------------------------------------------------------------------------------------------------------------

  describe("requestAccess", function () {
    it("records a pending request with sequential ids and emits AccessRequested", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      expect(await registry.MAX_REQUEST_LIFETIME()).to.equal(BigInt(MAX_REQUEST_LIFETIME));
      expect(await registry.requestCount()).to.equal(0n);

      const now = await nextTimestamp();
      const respondBy = now + BigInt(7 * DAY);
      await expect(
        registry
          .connect(f.cardiologistKey)
          .requestAccess(
            f.patientId,
            LABS_AND_CONDITIONS,
            TREATMENT_AND_OPERATIONS,
            REQUEST_DURATION,
            REASON.continuityOfCare,
            respondBy,
          ),
      )
        .to.emit(registry, "AccessRequested")
        .withArgs(
          1n,
          f.patientId,
          f.cardiologistId,
          LABS_AND_CONDITIONS,
          TREATMENT_AND_OPERATIONS,
          REQUEST_DURATION,
          REASON.continuityOfCare,
          respondBy,
        );
      expect(await f.consent.request(1n)).to.deep.equal({
        patient: f.patientId,
        requester: f.cardiologistId,
        categories: LABS_AND_CONDITIONS,
        purposes: TREATMENT_AND_OPERATIONS,
        status: RequestStatus.Pending,
        respondBy,
        duration: BigInt(REQUEST_DURATION),
        reasonCode: REASON.continuityOfCare,
      });

      const claims = categorySet(DataCategory.InsuranceAndClaims);
      const payment = purposeSet(Purpose.Payment);
      const later = await nextTimestamp();
      await expect(registry.connect(f.payerKey).requestAccess(f.patientId, claims, payment, DAY, 0, later + 1n))
        .to.emit(registry, "AccessRequested")
        .withArgs(2n, f.patientId, f.payerId, claims, payment, DAY, 0, later + 1n);
      expect((await f.consent.request(2n)).requester).to.equal(f.payerId);
      expect(await registry.requestCount()).to.equal(2n);
      // A request opens nothing by itself.
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
    });

    it("accepts a wildcard scope and an answer-by time exactly MAX_REQUEST_LIFETIME ahead", async function () {
      const f = await loadFixture(consentFixture);
      const now = await nextTimestamp();
      const respondBy = now + BigInt(MAX_REQUEST_LIFETIME);
      await expect(
        f.consentRegistry
          .connect(f.sponsorKey)
          .requestAccess(f.patientId, ALL_CATEGORIES, ALL_PURPOSES, 1, 0, respondBy),
      )
        .to.emit(f.consentRegistry, "AccessRequested")
        .withArgs(1n, f.patientId, f.sponsorId, ALL_CATEGORIES, ALL_PURPOSES, 1, 0, respondBy);
    });

    it("reverts with ConsentInvalidRequester when the caller is unregistered, a patient or not active", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.internistId);
      await (await f.identityRegistry.connect(f.registrar).revoke(f.payerId, STATUS_REASON)).wait();
      const respondBy = (await latest()) + BigInt(DAY);
      for (const caller of [
        signer(f.spareKeys, 0),
        f.patientKey,
        f.otherPatientKey,
        f.representativeKey,
        f.internistKey,
        f.payerKey,
      ]) {
        await expect(
          f.consentRegistry.connect(caller).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, respondBy),
          caller.address,
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequester")
          .withArgs(caller.address);
      }
      expect(await f.consentRegistry.requestCount()).to.equal(0n);
    });

    it("reverts with ConsentInvalidRequester when the caller's credential has expired", async function () {
      const f = await loadFixture(consentFixture);
      await time.increaseTo(f.credentialExpiry);
      const respondBy = (await latest()) + BigInt(DAY);
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, respondBy),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequester")
        .withArgs(f.cardiologistKey.address);
    });

    it("reverts with ConsentNotAPatient when the id is not a registered patient", async function () {
      const f = await loadFixture(consentFixture);
      const unknown = (await f.identityRegistry.lastId()) + 1n;
      const respondBy = (await latest()) + BigInt(DAY);
      for (const id of [f.hospitalId, f.cardiologistId, f.payerId, unknown, 0n]) {
        await expect(
          f.consentRegistry.connect(f.cardiologistKey).requestAccess(id, LABS, TREATMENT, DAY, 0, respondBy),
          String(id),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotAPatient")
          .withArgs(id);
      }
    });

    it("reverts with ConsentInvalidCategories for an empty or undefined category set", async function () {
      const f = await loadFixture(consentFixture);
      const respondBy = (await latest()) + BigInt(DAY);
      for (const categories of [0, 1 << 16, LABS | (1 << 20), 0x7fff_ffff]) {
        await expect(
          f.consentRegistry
            .connect(f.cardiologistKey)
            .requestAccess(f.patientId, categories, TREATMENT, DAY, 0, respondBy),
          String(categories),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidCategories")
          .withArgs(categories);
      }
    });

    it("reverts with ConsentInvalidPurposes for an empty or undefined purpose set", async function () {
      const f = await loadFixture(consentFixture);
      const respondBy = (await latest()) + BigInt(DAY);
      for (const purposes of [0, 1 << 6, TREATMENT | (1 << 9), 0x7fff]) {
        await expect(
          f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, purposes, DAY, 0, respondBy),
          String(purposes),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPurposes")
          .withArgs(purposes);
      }
    });

    it("reverts with ConsentInvalidRequestTerms when the answer-by time is not after now", async function () {
      const f = await loadFixture(consentFixture);
      const now = await nextTimestamp();
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, now),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTerms")
        .withArgs(now, DAY);
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, now - 10n),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTerms")
        .withArgs(now - 10n, DAY);
    });

    it("reverts with ConsentInvalidRequestTerms when the answer-by time is beyond MAX_REQUEST_LIFETIME", async function () {
      const f = await loadFixture(consentFixture);
      const now = await nextTimestamp();
      const respondBy = now + BigInt(MAX_REQUEST_LIFETIME) + 1n;
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, respondBy),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTerms")
        .withArgs(respondBy, DAY);
    });

    it("reverts with ConsentInvalidRequestTerms when the duration is zero", async function () {
      const f = await loadFixture(consentFixture);
      const respondBy = (await latest()) + BigInt(DAY);
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, TREATMENT, 0, 0, respondBy),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTerms")
        .withArgs(respondBy, 0);
    });

    it("reverts with EnforcedPause while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      await pauseConsent(f);
      const respondBy = (await latest()) + BigInt(DAY);
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, respondBy),
      ).to.be.revertedWithCustomError(f.consentRegistry, "EnforcedPause");
    });
  });

  describe("request", function () {
    it("reverts with ConsentUnknownRequest for an id never assigned", async function () {
      const f = await loadFixture(consentFixture);
      await requestAccess(f, f.cardiologistKey);
      for (const id of [0n, 2n]) {
        await expect(f.consentRegistry.request(id))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnknownRequest")
          .withArgs(id);
      }
    });
  });

  describe("approveRequest", function () {
    it("grants the requester exactly what it asked for and resolves the request", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      const { requestId, respondBy } = await requestAccess(f, f.cardiologistKey);
      const now = await nextTimestamp();
      const validUntil = now + BigInt(REQUEST_DURATION);
      await expect(
        registry
          .connect(f.patientKey)
          .approveRequest(requestId, LABS_AND_CONDITIONS, TREATMENT_AND_OPERATIONS, validUntil),
      )
        .to.emit(registry, "ConsentGranted")
        .withArgs(
          f.patientId,
          f.cardiologistId,
          f.patientId,
          LABS_AND_CONDITIONS,
          TREATMENT_AND_OPERATIONS,
          now,
          validUntil,
          1,
        )
        .and.to.emit(registry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.patientId, RequestStatus.Approved, 0);
      expect(await f.consent.request(requestId)).to.deep.equal({
        patient: f.patientId,
        requester: f.cardiologistId,
        categories: LABS_AND_CONDITIONS,
        purposes: TREATMENT_AND_OPERATIONS,
        status: RequestStatus.Approved,
        respondBy,
        duration: BigInt(REQUEST_DURATION),
        reasonCode: REASON.continuityOfCare,
      });
      expect(await f.consent.consentOf(f.patientId, f.cardiologistId)).to.deep.equal({
        categories: LABS_AND_CONDITIONS,
        purposes: TREATMENT_AND_OPERATIONS,
        validFrom: now,
        validUntil,
        deniedCategories: 0,
        version: 1,
      });
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.HealthcareOperations)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("grants a narrower scope (fewer categories and purposes, earlier end) and nothing more", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const now = await nextTimestamp();
      const validUntil = now + BigInt(10 * DAY);
      await expect(registry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.emit(registry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, now, validUntil, 1)
        .and.to.emit(registry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.patientId, RequestStatus.Approved, 0);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Approved);

      const granted = allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n);
      const refused = denied(DecisionBasis.NoGrant, f.cardiologistId);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        granted,
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(refused);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.HealthcareOperations),
      ).to.deep.equal(refused);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, validUntil - 1n),
      ).to.deep.equal(granted);
      await time.increaseTo(validUntil);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        refused,
      );
    });

    it("lets the patient's representative approve, as the actor", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const now = await nextTimestamp();
      const validUntil = now + BigInt(DAY);
      await expect(registry.connect(f.representativeKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.emit(registry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.representativeId, LABS, TREATMENT, now, validUntil, 1)
        .and.to.emit(registry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.representativeId, RequestStatus.Approved, 0);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Approved);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("reverts with ConsentRepresentativeConflict when a representative approves its own or its organization's request", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await appointCardiologist(f);
      const own = await requestAccess(f, f.cardiologistKey);
      const hospital = await requestAccess(f, f.hospitalKey);
      const validUntil = (await latest()) + BigInt(DAY);
      for (const [requestId, requester] of [
        [own.requestId, f.cardiologistId],
        [hospital.requestId, f.hospitalId],
      ] as const) {
        await expect(
          registry.connect(f.cardiologistKey).approveRequest(requestId, LABS, TREATMENT, validUntil),
          String(requestId),
        )
          .to.be.revertedWithCustomError(registry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, requester);
        expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
        expect(await f.consent.consentOf(f.patientId, requester)).to.include({ categories: 0, version: 0 });
      }
      // The patient approves the representative's request herself.
      const now = await nextTimestamp();
      await expect(registry.connect(f.patientKey).approveRequest(own.requestId, LABS, TREATMENT, validUntil))
        .to.emit(registry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, now, validUntil, 1)
        .and.to.emit(registry, "AccessRequestResolved")
        .withArgs(own.requestId, f.patientId, f.patientId, RequestStatus.Approved, 0);
    });

    it("lets a representative approve a colleague's request, and reject its own (which opens nothing)", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await appointCardiologist(f);
      const colleague = await requestAccess(f, f.internistKey);
      const own = await requestAccess(f, f.cardiologistKey);
      const now = await nextTimestamp();
      const validUntil = now + BigInt(DAY);
      await expect(registry.connect(f.cardiologistKey).approveRequest(colleague.requestId, LABS, TREATMENT, validUntil))
        .to.emit(registry, "ConsentGranted")
        .withArgs(f.patientId, f.internistId, f.cardiologistId, LABS, TREATMENT, now, validUntil, 1)
        .and.to.emit(registry, "AccessRequestResolved")
        .withArgs(colleague.requestId, f.patientId, f.cardiologistId, RequestStatus.Approved, 0);
      await expect(registry.connect(f.cardiologistKey).rejectRequest(own.requestId, REASON.declined))
        .to.emit(registry, "AccessRequestResolved")
        .withArgs(own.requestId, f.patientId, f.cardiologistId, RequestStatus.Rejected, REASON.declined);
      expect((await f.consent.request(own.requestId)).status).to.equal(RequestStatus.Rejected);
    });

    it("replaces an earlier grant to the requester and moves its version on", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, categorySet(DataCategory.Medications), TREATMENT);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const validUntil = (await latest()) + BigInt(DAY);
      const { version } = await f.consent
        .as(f.patientKey)
        .approveRequest(requestId, { categories: LABS, purposes: TREATMENT, validUntil });
      expect(version).to.equal(2);
      expect(await decide(f, f.cardiologistKey, DataCategory.Medications, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 2n),
      );
    });

    it("reverts with ConsentApprovalExceedsRequest when the approval widens the categories", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const validUntil = (await latest()) + BigInt(DAY);
      const wider = LABS_AND_CONDITIONS | categorySet(DataCategory.Medications);
      for (const categories of [wider, categorySet(DataCategory.MentalHealth), ALL_CATEGORIES]) {
        await expect(
          f.consentRegistry.connect(f.patientKey).approveRequest(requestId, categories, TREATMENT, validUntil),
          String(categories),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentApprovalExceedsRequest")
          .withArgs(requestId);
      }
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with ConsentApprovalExceedsRequest when the approval widens the purposes", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const validUntil = (await latest()) + BigInt(DAY);
      for (const purposes of [
        purposeSet(Purpose.Treatment, Purpose.Research),
        purposeSet(Purpose.Payment),
        ALL_PURPOSES,
      ]) {
        await expect(
          f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, purposes, validUntil),
          String(purposes),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentApprovalExceedsRequest")
          .withArgs(requestId);
      }
    });

    it("reverts with ConsentApprovalExceedsRequest when validUntil is beyond now + duration", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const now = await nextTimestamp();
      await expect(
        f.consentRegistry
          .connect(f.patientKey)
          .approveRequest(requestId, LABS, TREATMENT, now + BigInt(REQUEST_DURATION) + 1n),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentApprovalExceedsRequest")
        .withArgs(requestId);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with ConsentInvalidWindow when validUntil is not after now", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const now = await nextTimestamp();
      await expect(f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, now))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidWindow")
        .withArgs(now, now);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with ConsentDurationTooLong when the approval outlasts the policy's maximum for the purposes", async function () {
      const f = await loadFixture(consentFixture);
      const emergency = purposeSet(Purpose.EmergencyTreatment);
      const respondBy = (await latest()) + BigInt(DAY);
      const { requestId } = await f.consent.as(f.cardiologistKey).requestAccess({
        patient: f.patientId,
        categories: LABS,
        purposes: emergency,
        duration: 2 * MAX_EMERGENCY_GRANT,
        reasonCode: 0,
        respondBy,
      });
      const now = await nextTimestamp();
      const duration = BigInt(MAX_EMERGENCY_GRANT) + 1n;
      await expect(f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, emergency, now + duration))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(duration, MAX_EMERGENCY_GRANT);
    });

    it("reverts with ConsentUnauthorizedActor when the caller acts for neither the patient nor a representative", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const validUntil = (await latest()) + BigInt(DAY);
      for (const caller of [f.otherPatientKey, f.cardiologistKey, f.hospitalKey, signer(f.spareKeys, 0)]) {
        await expect(
          f.consentRegistry.connect(caller).approveRequest(requestId, LABS, TREATMENT, validUntil),
          caller.address,
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with ConsentUnknownRequest for an unknown id", async function () {
      const f = await loadFixture(consentFixture);
      const validUntil = (await latest()) + BigInt(DAY);
      await expect(f.consentRegistry.connect(f.patientKey).approveRequest(99n, LABS, TREATMENT, validUntil))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnknownRequest")
        .withArgs(99n);
    });

    it("reverts with ConsentInvalidRequestTransition when approved twice", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      const validUntil = (await latest()) + BigInt(DAY);
      await f.consent.as(f.patientKey).approveRequest(requestId, { categories: LABS, purposes: TREATMENT, validUntil });
      await expect(f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Approved, RequestStatus.Approved);
    });

    it("still approves at the answer-by time itself", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId, respondBy } = await requestAccess(f, f.cardiologistKey);
      await time.setNextBlockTimestamp(respondBy);
      await expect(
        f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, respondBy + BigInt(DAY)),
      )
        .to.emit(f.consentRegistry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.patientId, RequestStatus.Approved, 0);
    });

    it("reads Expired once the answer-by time has passed and reverts with ConsentInvalidRequestTransition", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId, respondBy } = await requestAccess(f, f.cardiologistKey);
      await time.increaseTo(respondBy + 1n);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Expired);
      const validUntil = (await latest()) + BigInt(DAY);
      await expect(f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Expired, RequestStatus.Approved);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
    });

    it("reverts with ConsentInvalidGrantee when the requester was suspended meanwhile", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await suspend(f, f.cardiologistId);
      const validUntil = (await latest()) + BigInt(DAY);
      await expect(f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
        .withArgs(f.cardiologistId);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with EnforcedPause while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await pauseConsent(f);
      const validUntil = (await latest()) + BigInt(DAY);
      await expect(
        f.consentRegistry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil),
      ).to.be.revertedWithCustomError(f.consentRegistry, "EnforcedPause");
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });
  });

  describe("rejectRequest", function () {
    it("rejects a pending request with a reason code, after which it cannot be approved", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await expect(registry.connect(f.patientKey).rejectRequest(requestId, REASON.declined))
        .to.emit(registry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.patientId, RequestStatus.Rejected, REASON.declined);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Rejected);
      const validUntil = (await latest()) + BigInt(DAY);
      await expect(registry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Rejected, RequestStatus.Approved);
      await expect(registry.connect(f.patientKey).rejectRequest(requestId, REASON.declined))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Rejected, RequestStatus.Rejected);
      await expect(registry.connect(f.cardiologistKey).cancelRequest(requestId))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Rejected, RequestStatus.Cancelled);
      expect(await f.consent.consentOf(f.patientId, f.cardiologistId)).to.include({ version: 0, categories: 0 });
    });

    it("lets the representative reject, as the actor", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await expect(f.consentRegistry.connect(f.representativeKey).rejectRequest(requestId, REASON.declined))
        .to.emit(f.consentRegistry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.representativeId, RequestStatus.Rejected, REASON.declined);
    });

    it("reverts with ConsentUnauthorizedActor for anyone else, the requester included", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      for (const caller of [f.cardiologistKey, f.otherPatientKey, signer(f.spareKeys, 0)]) {
        await expect(f.consentRegistry.connect(caller).rejectRequest(requestId, REASON.declined), caller.address)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with ConsentUnknownRequest for an unknown id", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.consentRegistry.connect(f.patientKey).rejectRequest(7n, REASON.declined))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnknownRequest")
        .withArgs(7n);
    });

    it("reverts with ConsentInvalidRequestTransition once the request has expired", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId, respondBy } = await requestAccess(f, f.cardiologistKey);
      await time.increaseTo(respondBy + 1n);
      await expect(f.consentRegistry.connect(f.patientKey).rejectRequest(requestId, REASON.declined))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Expired, RequestStatus.Rejected);
    });

    it("still works while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await pauseConsent(f);
      await expect(f.consentRegistry.connect(f.patientKey).rejectRequest(requestId, REASON.declined))
        .to.emit(f.consentRegistry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.patientId, RequestStatus.Rejected, REASON.declined);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Rejected);
    });
  });

  describe("cancelRequest", function () {
    it("lets the requester withdraw a pending request", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await expect(registry.connect(f.cardiologistKey).cancelRequest(requestId))
        .to.emit(registry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.cardiologistId, RequestStatus.Cancelled, 0);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Cancelled);
      const validUntil = (await latest()) + BigInt(DAY);
      await expect(registry.connect(f.patientKey).approveRequest(requestId, LABS, TREATMENT, validUntil))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Cancelled, RequestStatus.Approved);
      await expect(registry.connect(f.cardiologistKey).cancelRequest(requestId))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidRequestTransition")
        .withArgs(requestId, RequestStatus.Cancelled, RequestStatus.Cancelled);
    });

    it("reverts with ConsentNotRequester for anyone but the requester", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      for (const caller of [
        f.patientKey,
        f.representativeKey,
        f.internistKey,
        f.hospitalKey,
        f.registrar,
        signer(f.spareKeys, 0),
      ]) {
        await expect(f.consentRegistry.connect(caller).cancelRequest(requestId), caller.address)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotRequester")
          .withArgs(requestId, caller.address);
      }
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    });

    it("reverts with ConsentUnknownRequest for an unknown id", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.consentRegistry.connect(f.cardiologistKey).cancelRequest(3n))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnknownRequest")
        .withArgs(3n);
    });

    it("still works while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      const { requestId } = await requestAccess(f, f.cardiologistKey);
      await pauseConsent(f);
      await expect(f.consentRegistry.connect(f.cardiologistKey).cancelRequest(requestId))
        .to.emit(f.consentRegistry, "AccessRequestResolved")
        .withArgs(requestId, f.patientId, f.cardiologistId, RequestStatus.Cancelled, 0);
      expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Cancelled);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // The decision
  // -------------------------------------------------------------------------------------------------------------------

  describe("decide", function () {
    it("allows the patient's own key on basis Self, for any category and purpose", async function () {
      const f = await loadFixture(consentFixture);
      for (const [category, purpose] of [
        [DataCategory.Genomics, Purpose.Research],
        [DataCategory.MentalHealth, Purpose.Treatment],
        [DataCategory.Demographics, Purpose.EmergencyTreatment],
      ] as const) {
        expect(await decide(f, f.patientKey, category, purpose)).to.deep.equal(
          allowed(DecisionBasis.Self, f.patientId, f.patientId),
        );
      }
    });

    it("allows an appointed representative without any grant, on basis Representative", async function () {
      const f = await loadFixture(consentFixture);
      expect(await decide(f, f.representativeKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Representative, f.representativeId, f.patientId),
      );
      // The representative of one patient is nobody to another.
      expect(
        await f.consent.decide(
          f.otherPatientId,
          f.representativeKey.address,
          DataCategory.Allergies,
          Purpose.Treatment,
        ),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.representativeId));
      // Nor is the patient anybody to her representative.
      expect(
        await f.consent.decide(f.representativeId, f.patientKey.address, DataCategory.Allergies, Purpose.Treatment),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.patientId));
    });

    it("allows on basis Grant with the grant's version as ref", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      await grant(f, f.cardiologistId, LABS_AND_CONDITIONS, TREATMENT);
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 2n),
      );
    });

    it("allows a practitioner on basis OrganizationGrant through its organization's grant", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      for (const [key, id] of [
        [f.internistKey, f.internistId],
        [f.cardiologistKey, f.cardiologistId],
      ] as const) {
        expect(await decide(f, key, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
          allowed(DecisionBasis.OrganizationGrant, id, f.hospitalId, 1n),
        );
      }
      // The organization's own key uses the grant as its own.
      expect(await decide(f, f.hospitalKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.hospitalId, f.hospitalId, 1n),
      );
      // Another organization's practitioner is not covered.
      expect(await decide(f, f.clinicDoctorKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.clinicDoctorId),
      );
    });

    it("prefers the accessor's own grant to its organization's", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await grant(f, f.internistId, LABS, TREATMENT);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.internistId, f.internistId, 1n),
      );
      // Where the own grant does not cover the purpose, the organization's does.
      await grant(f, f.internistId, LABS, purposeSet(Purpose.Payment));
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 2n),
      );
    });

    it("allows an open break-glass session on basis BreakGlass with the session id as ref", async function () {
      const f = await loadFixture(consentFixture);
      await openSession(f, f.erDoctorKey, HOUR, f.otherPatientId);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      expect(sessionId).to.equal(2n);
      expect(await decide(f, f.erDoctorKey, DataCategory.Allergies, Purpose.EmergencyTreatment)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 2n),
      );
    });

    it("denies a key that controls no id on basis UnknownAccessor", async function () {
      const f = await loadFixture(consentFixture);
      for (const key of f.spareKeys) {
        expect(await decide(f, key, DataCategory.Demographics, Purpose.Treatment)).to.deep.equal(
          denied(DecisionBasis.UnknownAccessor, 0n),
        );
      }
      expect(
        await f.consent.decide(f.patientId, ZeroAddress, DataCategory.Demographics, Purpose.Treatment),
      ).to.deep.equal(denied(DecisionBasis.UnknownAccessor, 0n));
    });

    it("denies a suspended practitioner on basis InactiveAccessor despite its grant", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      await suspend(f, f.cardiologistId);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.InactiveAccessor, f.cardiologistId),
      );
    });

    it("denies a suspended patient on basis InactiveAccessor, even about herself", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.patientId);
      expect(await decide(f, f.patientKey, DataCategory.Demographics, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.InactiveAccessor, f.patientId),
      );
    });

    it("denies on basis ExplicitDeny over the accessor's own grant", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS_AND_CONDITIONS, TREATMENT);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.cardiologistId, LABS);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    // IConsentRegistry.setDeny: a deny for an organization shuts what the organization's grant would open; the more
    // specific statement (the patient's word about the practitioner) governs a practitioner's own grant and session.
    it("keeps a practitioner's own grant in force over the organization's deny, the more specific statement", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS_AND_CONDITIONS, TREATMENT);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.hospitalId, LABS);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.internistId, f.hospitalId),
      );
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.cardiologistId, LABS);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
      );
    });

    it("keeps a practitioner's break-glass session in force over the organization's deny, not over its own", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.cardiologistKey);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.hospitalId, LABS);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.EmergencyTreatment),
      ).to.deep.equal(allowed(DecisionBasis.BreakGlass, f.cardiologistId, f.cardiologistId, sessionId));
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.cardiologistId, LABS);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.EmergencyTreatment),
      ).to.deep.equal(denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId));
      expect(await decide(f, f.cardiologistKey, DataCategory.Allergies, Purpose.EmergencyTreatment)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.cardiologistId, f.cardiologistId, sessionId),
      );
    });

    it("denies on basis ExplicitDeny when the organization is denied, over its own grant", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.hospitalId, LABS);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.internistId, f.hospitalId),
      );
      expect(await decide(f, f.hospitalKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.hospitalId, f.hospitalId),
      );
    });

    it("denies on basis NoGrant when nothing covers the category and purpose", async function () {
      const f = await loadFixture(consentFixture);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Payment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      await f.consent.as(f.patientKey).revoke(f.patientId, f.cardiologistId);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
    });

    it("denies a sensitive category under a wildcard grant on basis SensitiveCategoryNotNamed", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, ALL_CATEGORIES, TREATMENT);
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.Genomics, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("denies a sensitive category named in an organization's grant on basis SensitiveCategoryNotNamed", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, categorySet(DataCategory.MentalHealth, DataCategory.LaboratoryResults), TREATMENT);
      expect(await decide(f, f.internistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.internistId, f.hospitalId),
      );
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 1n),
      );
    });

    it("allows a sensitive category named in a grant to the accessor itself", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, categorySet(DataCategory.MentalHealth), TREATMENT);
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("denies research under a wildcard purpose set on basis PurposeNotNamed", async function () {
      const f = await loadFixture(consentFixture);
      const validUntil = (await latest()) + BigInt(MAX_EMERGENCY_GRANT);
      await grant(f, f.sponsorId, LABS, ALL_PURPOSES, validUntil);
      expect(await decide(f, f.sponsorKey, DataCategory.LaboratoryResults, Purpose.Research)).to.deep.equal(
        denied(DecisionBasis.PurposeNotNamed, f.sponsorId, f.sponsorId),
      );
      expect(await decide(f, f.sponsorKey, DataCategory.LaboratoryResults, Purpose.PublicHealth)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.sponsorId, f.sponsorId, 1n),
      );
    });

    it("denies research named in an organization's grant on basis PurposeNotNamed", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, LABS, purposeSet(Purpose.Research, Purpose.Treatment));
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Research)).to.deep.equal(
        denied(DecisionBasis.PurposeNotNamed, f.internistId, f.hospitalId),
      );
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 1n),
      );
    });

    it("allows research named in a grant to the sponsor itself", async function () {
      const f = await loadFixture(consentFixture);
      await grant(
        f,
        f.sponsorId,
        categorySet(DataCategory.LaboratoryResults, DataCategory.Genomics),
        purposeSet(Purpose.Research),
      );
      for (const category of [DataCategory.LaboratoryResults, DataCategory.Genomics]) {
        expect(await decide(f, f.sponsorKey, category, Purpose.Research)).to.deep.equal(
          allowed(DecisionBasis.Grant, f.sponsorId, f.sponsorId, 1n),
        );
      }
    });

    it("denies an excluded category under break-glass on basis BreakGlassCategoryExcluded", async function () {
      const f = await loadFixture(consentFixture);
      await openSession(f, f.erDoctorKey);
      expect(await decide(f, f.erDoctorKey, DataCategory.Genomics, Purpose.EmergencyTreatment)).to.deep.equal(
        denied(DecisionBasis.BreakGlassCategoryExcluded, f.erDoctorId, f.erDoctorId),
      );
    });

    it("denies through a suspended organization's grant on basis InactiveGrantee", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await suspend(f, f.hospitalId);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.InactiveGrantee, f.internistId, f.hospitalId),
      );
      expect(await decide(f, f.hospitalKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.InactiveAccessor, f.hospitalId),
      );
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.hospitalId, STATUS_REASON)).wait();
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 1n),
      );
    });

    // The NatSpec of `decide`: "grant windows, break-glass expiry and credential expiry are judged at `at`". The
    // organization's credential is a credential too: at a time when it has expired, its grant must not open access.
    it("judges the organization's credential expiry at `at` (InactiveGrantee), as it judges the accessor's", async function () {
      const f = await loadFixture(consentFixture);
      // The internist's own credential outlives the hospital's; the hospital's grant outlives both credentials' end.
      const now = await latest();
      await (
        await f.identityRegistry
          .connect(f.registrar)
          .renewCredential(f.internistId, commit("credential:internist:renewed").commitment, now + BigInt(2 * YEAR))
      ).wait();
      const { validUntil } = await grant(f, f.hospitalId, LABS, TREATMENT, now + BigInt(YEAR));
      expect(validUntil > f.credentialExpiry).to.equal(true);
      const atExpiry = f.credentialExpiry;
      const expected = denied(DecisionBasis.InactiveGrantee, f.internistId, f.hospitalId);
      // Asked ahead of time about the moment the hospital's credential expires...
      const ahead = await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment, atExpiry);
      // ...and asked at that moment: both must give the same answer.
      await time.increaseTo(atExpiry);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        expected,
      );
      expect(ahead).to.deep.equal(expected);
    });

    it("reports the first refusal when every covering grant is refused", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, ALL_CATEGORIES, TREATMENT);
      await grant(f, f.hospitalId, categorySet(DataCategory.MentalHealth), TREATMENT);
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
    });

    it("lets a later basis allow after an earlier refusal", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, ALL_CATEGORIES, purposeSet(Purpose.EmergencyTreatment));
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.EmergencyTreatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
      const { sessionId } = await openSession(f, f.cardiologistKey);
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.EmergencyTreatment)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.cardiologistId, f.cardiologistId, sessionId),
      );
    });

    it("denies a future-dated grant before it starts and allows it from validFrom", async function () {
      const f = await loadFixture(consentFixture);
      const validFrom = (await latest()) + BigInt(10 * DAY);
      const validUntil = validFrom + BigInt(30 * DAY);
      await grant(f, f.cardiologistId, LABS, TREATMENT, validUntil, validFrom);
      expect(await f.consent.consentOf(f.patientId, f.cardiologistId)).to.include({ validFrom, validUntil });
      const granted = allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, validFrom - 1n),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, validFrom),
      ).to.deep.equal(granted);
      await time.increaseTo(validFrom);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        granted,
      );
    });

    it("allows until validUntil - 1 and denies from validUntil", async function () {
      const f = await loadFixture(consentFixture);
      const { validUntil } = await grant(f, f.cardiologistId, LABS, TREATMENT);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, validUntil - 1n),
      ).to.deep.equal(allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n));
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, validUntil),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
      await time.increaseTo(validUntil);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
    });

    it("reverts with ConsentInvalidCategory for a category position of CATEGORY_COUNT or more", async function () {
      const f = await loadFixture(consentFixture);
      const now = await latest();
      for (const category of [16, 31, 255]) {
        await expect(f.consentRegistry.decide(f.patientId, f.cardiologistKey.address, category, Purpose.Treatment, now))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidCategory")
          .withArgs(category);
      }
    });

    it("reverts with ConsentInvalidPurpose for a purpose position of PURPOSE_COUNT or more", async function () {
      const f = await loadFixture(consentFixture);
      const now = await latest();
      for (const purpose of [6, 15, 255]) {
        await expect(
          f.consentRegistry.decide(f.patientId, f.cardiologistKey.address, DataCategory.Allergies, purpose, now),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPurpose")
          .withArgs(purpose);
      }
    });

    it("gives a contract asking on-chain the same decision as a direct call", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, ALL_CATEGORIES, TREATMENT);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await openSession(f, f.erDoctorKey);
      const cases: [HardhatEthersSigner, DataCategory, Purpose, DecisionBasis][] = [
        [f.cardiologistKey, DataCategory.Allergies, Purpose.Treatment, DecisionBasis.Grant],
        [f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment, DecisionBasis.SensitiveCategoryNotNamed],
        [f.cardiologistKey, DataCategory.Allergies, Purpose.Payment, DecisionBasis.NoGrant],
        [f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment, DecisionBasis.OrganizationGrant],
        [f.erDoctorKey, DataCategory.Allergies, Purpose.EmergencyTreatment, DecisionBasis.BreakGlass],
        [f.erDoctorKey, DataCategory.Genomics, Purpose.EmergencyTreatment, DecisionBasis.BreakGlassCategoryExcluded],
        [f.patientKey, DataCategory.Genomics, Purpose.Research, DecisionBasis.Self],
        [f.representativeKey, DataCategory.Allergies, Purpose.Treatment, DecisionBasis.Representative],
        [signer(f.spareKeys, 0), DataCategory.Allergies, Purpose.Treatment, DecisionBasis.UnknownAccessor],
      ];
      for (const [key, category, purpose, basis] of cases) {
        const what = `${key.address} ${DataCategory[category]} ${Purpose[purpose]}`;
        await (await f.probe.checkAndKeep(f.patientId, key.address, category, purpose)).wait();
        const direct = await decide(f, key, category, purpose);
        expect(direct.basis, what).to.equal(basis);
        expect(toDecision(await f.probe.last()), what).to.deep.equal(direct);
        expect(await f.probe.check(f.patientId, key.address, category, purpose), what).to.equal(direct.allowed);
      }
    });
  });

  describe("identity changes", function () {
    it("denies a suspended grantee on basis InactiveAccessor and allows it again once reinstated", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      const before = await f.consent.consentOf(f.patientId, f.cardiologistId);
      await suspend(f, f.cardiologistId);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.InactiveAccessor, f.cardiologistId),
      );
      expect(await f.consent.consentOf(f.patientId, f.cardiologistId)).to.deep.equal(before);
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.cardiologistId, STATUS_REASON)).wait();
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("denies a revoked grantee on basis InactiveAccessor for good", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      await (await f.identityRegistry.connect(f.registrar).revoke(f.cardiologistId, STATUS_REASON)).wait();
      const refused = denied(DecisionBasis.InactiveAccessor, f.cardiologistId);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        refused,
      );
      await expect(f.identityRegistry.connect(f.registrar).reinstate(f.cardiologistId, STATUS_REASON))
        .to.be.revertedWithCustomError(f.identityRegistry, "IdentityInvalidStatusTransition")
        .withArgs(f.cardiologistId, ParticipantStatus.Revoked, ParticipantStatus.Active);
      await time.increase(DAY);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        refused,
      );
    });

    it("denies a grantee whose credential expired on basis InactiveAccessor until it is renewed", async function () {
      const f = await loadFixture(consentFixture);
      await time.increaseTo(f.credentialExpiry - BigInt(DAY));
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      const granted = allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n);
      const refused = denied(DecisionBasis.InactiveAccessor, f.cardiologistId);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, f.credentialExpiry - 1n),
      ).to.deep.equal(granted);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, f.credentialExpiry),
      ).to.deep.equal(refused);
      await time.increaseTo(f.credentialExpiry);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        refused,
      );
      const renewedUntil = (await latest()) + BigInt(YEAR);
      await (
        await f.identityRegistry
          .connect(f.registrar)
          .renewCredential(f.cardiologistId, commit("credential:cardiologist:renewed").commitment, renewedUntil)
      ).wait();
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        granted,
      );
    });

    it("ends the representation while the patient is suspended: no Representative basis, no acting for her", async function () {
      const f = await loadFixture(consentFixture);
      expect(await decide(f, f.representativeKey, DataCategory.Allergies, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Representative, f.representativeId, f.patientId),
      );
      await suspend(f, f.patientId);
      expect(await f.identityRegistry.isRepresentative(f.patientId, f.representativeId)).to.equal(false);
      expect(await decide(f, f.representativeKey, DataCategory.Allergies, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.representativeId),
      );
      await expect(f.consentRegistry.connect(f.representativeKey).setDeny(f.patientId, f.payerId, LABS))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(f.patientId, f.representativeKey.address);
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.patientId, STATUS_REASON)).wait();
      expect(await decide(f, f.representativeKey, DataCategory.Allergies, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Representative, f.representativeId, f.patientId),
      );
    });

    it("follows a key rotation: the old key is unknown, the new key keeps the grant", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      const newKey = signer(f.spareKeys, 0);
      // Before the rotation the new key is nobody.
      expect(await decide(f, newKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.UnknownAccessor, 0n),
      );
      await f.identity.as(f.cardiologistKey).rotateTo(f.cardiologistId, newKey);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.UnknownAccessor, 0n),
      );
      expect(await decide(f, newKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("follows a change of affiliation: the former organization's grant no longer covers the practitioner", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, f.hospitalId, LABS, TREATMENT);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 1n),
      );
      // A registrar's offer alone moves nobody: the hospital's grant covers the internist until the clinic accepts.
      await (await f.identityRegistry.connect(f.registrar).setAffiliation(f.internistId, f.clinicId)).wait();
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 1n),
      );
      await f.identity.as(f.clinicKey).acceptAffiliate(f.internistId);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.internistId),
      );
      await grant(f, f.clinicId, LABS, TREATMENT);
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.clinicId, 1n),
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Audit
  // -------------------------------------------------------------------------------------------------------------------

  describe("recordAccess", function () {
    it("records an allowed access with AccessGranted and returns the decision", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      const expected = allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n);
      const returned = await registry
        .connect(f.cardiologistKey)
        .recordAccess.staticCall(f.patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
      expect(toDecision(returned)).to.deep.equal(expected);
      const tx = registry
        .connect(f.cardiologistKey)
        .recordAccess(f.patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
      await expect(tx)
        .to.emit(registry, "AccessGranted")
        .withArgs(
          f.patientId,
          f.cardiologistId,
          f.cardiologistId,
          DataCategory.LaboratoryResults,
          Purpose.Treatment,
          DecisionBasis.Grant,
          1n,
        );
      await expect(tx).not.to.emit(registry, "AccessDenied");
    });

    it("names the organization as grantee and the session as ref in AccessGranted", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await grant(f, f.hospitalId, LABS, TREATMENT);
      await expect(
        registry.connect(f.internistKey).recordAccess(f.patientId, DataCategory.LaboratoryResults, Purpose.Treatment),
      )
        .to.emit(registry, "AccessGranted")
        .withArgs(
          f.patientId,
          f.internistId,
          f.hospitalId,
          DataCategory.LaboratoryResults,
          Purpose.Treatment,
          DecisionBasis.OrganizationGrant,
          1n,
        );
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await expect(
        registry.connect(f.erDoctorKey).recordAccess(f.patientId, DataCategory.Allergies, Purpose.EmergencyTreatment),
      )
        .to.emit(registry, "AccessGranted")
        .withArgs(
          f.patientId,
          f.erDoctorId,
          f.erDoctorId,
          DataCategory.Allergies,
          Purpose.EmergencyTreatment,
          DecisionBasis.BreakGlass,
          sessionId,
        );
      await expect(registry.connect(f.patientKey).recordAccess(f.patientId, DataCategory.Genomics, Purpose.Research))
        .to.emit(registry, "AccessGranted")
        .withArgs(
          f.patientId,
          f.patientId,
          f.patientId,
          DataCategory.Genomics,
          Purpose.Research,
          DecisionBasis.Self,
          0n,
        );
    });

    it("records a denied access with AccessDenied instead of reverting", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await grant(f, f.cardiologistId, ALL_CATEGORIES, TREATMENT);
      const expected = denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId);
      const returned = await registry
        .connect(f.cardiologistKey)
        .recordAccess.staticCall(f.patientId, DataCategory.MentalHealth, Purpose.Treatment);
      expect(toDecision(returned)).to.deep.equal(expected);
      const tx = registry
        .connect(f.cardiologistKey)
        .recordAccess(f.patientId, DataCategory.MentalHealth, Purpose.Treatment);
      await expect(tx)
        .to.emit(registry, "AccessDenied")
        .withArgs(
          f.patientId,
          f.cardiologistId,
          f.cardiologistId,
          DataCategory.MentalHealth,
          Purpose.Treatment,
          DecisionBasis.SensitiveCategoryNotNamed,
        );
      await expect(tx).not.to.emit(registry, "AccessGranted");
      await expect(
        registry.connect(f.clinicDoctorKey).recordAccess(f.patientId, DataCategory.ClinicalNotes, Purpose.Treatment),
      )
        .to.emit(registry, "AccessDenied")
        .withArgs(
          f.patientId,
          f.clinicDoctorId,
          0n,
          DataCategory.ClinicalNotes,
          Purpose.Treatment,
          DecisionBasis.NoGrant,
        );
    });

    it("reverts with ConsentAccessorInactive for an unregistered, suspended or expired caller", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      await suspend(f, f.cardiologistId);
      for (const caller of [signer(f.spareKeys, 0), f.cardiologistKey]) {
        await expect(
          registry.connect(caller).recordAccess(f.patientId, DataCategory.LaboratoryResults, Purpose.Treatment),
          caller.address,
        )
          .to.be.revertedWithCustomError(registry, "ConsentAccessorInactive")
          .withArgs(caller.address);
      }
      await time.increaseTo(f.credentialExpiry);
      await expect(
        registry.connect(f.internistKey).recordAccess(f.patientId, DataCategory.LaboratoryResults, Purpose.Treatment),
      )
        .to.be.revertedWithCustomError(registry, "ConsentAccessorInactive")
        .withArgs(f.internistKey.address);
    });

    it("reverts with ConsentInvalidCategory or ConsentInvalidPurpose for undefined positions", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await expect(registry.connect(f.cardiologistKey).recordAccess(f.patientId, 16, Purpose.Treatment))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidCategory")
        .withArgs(16);
      await expect(registry.connect(f.cardiologistKey).recordAccess(f.patientId, DataCategory.Allergies, 6))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidPurpose")
        .withArgs(6);
    });

    it("keeps recording while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await grant(f, f.cardiologistId, LABS, TREATMENT);
      await pauseConsent(f);
      expect(await registry.paused()).to.equal(true);
      await expect(
        registry
          .connect(f.cardiologistKey)
          .recordAccess(f.patientId, DataCategory.LaboratoryResults, Purpose.Treatment),
      )
        .to.emit(registry, "AccessGranted")
        .withArgs(
          f.patientId,
          f.cardiologistId,
          f.cardiologistId,
          DataCategory.LaboratoryResults,
          Purpose.Treatment,
          DecisionBasis.Grant,
          1n,
        );
      await expect(
        registry.connect(f.cardiologistKey).recordAccess(f.patientId, DataCategory.Conditions, Purpose.Treatment),
      )
        .to.emit(registry, "AccessDenied")
        .withArgs(f.patientId, f.cardiologistId, 0n, DataCategory.Conditions, Purpose.Treatment, DecisionBasis.NoGrant);
    });
  });
});
