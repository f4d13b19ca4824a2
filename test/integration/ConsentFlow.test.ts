import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { ContractTransactionReceipt, LogDescription } from "ethers";

import {
  CareLedgerError,
  categorySet,
  commit,
  type ConsentClient,
  DataCategory,
  DecisionBasis,
  ParticipantKind,
  ParticipantStatus,
  Purpose,
  purposeSet,
  RequestStatus,
  ReviewOutcome,
} from "../../sdk";
import { consentFixture, REASON } from "../fixtures/consent";

const DAY = 86_400n;
const HOUR = 3_600n;

/** Runs `action` and returns the custom error it was refused with, decoded by the SDK. */
async function refusal(action: () => Promise<unknown>): Promise<CareLedgerError> {
  const outcome = await action().then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof CareLedgerError)) throw new Error(`expected a CareLedgerError, got ${String(outcome)}`);
  return outcome;
}

/** The registry's events named `name` in a receipt, decoded with the SDK client's ABI. */
function eventsNamed(client: ConsentClient, receipt: ContractTransactionReceipt, name: string): LogDescription[] {
  return receipt.logs
    .map((log) => client.registry.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed?.name === name);
}

function single<T>(list: readonly T[], what: string): T {
  const [only, ...rest] = list;
  if (only === undefined || rest.length > 0) throw new Error(`expected exactly one ${what}, got ${list.length}`);
  return only;
}

/**
 * One clinical story through the SDK only (ConsentClient, IdentityClient) on the production deployment: a patient
 * directs her consent — a grant to her cardiologist, a request from her internist approved narrower, a signed grant
 * to her insurer relayed by the hospital — an emergency doctor breaks glass and an auditor reviews it, a refused
 * attempt lands on the record, and a revocation takes effect in the very next transaction.
 */
describe("Consent flow (integration, through the SDK)", () => {
  it("takes a patient's consent from grants and requests through break-glass, audit and revocation", async () => {
    const f = await loadFixture(consentFixture);
    const { consent, identity, patientId, patientKey } = f;
    const asPatient = consent.as(patientKey);
    const labs = categorySet(DataCategory.LaboratoryResults);
    const treatment = purposeSet(Purpose.Treatment);

    // The cast as the identity registry knows it: keys resolve to ids, the ER doctor works for the hospital, which
    // is authorized for emergencies.
    expect(await identity.idOf(patientKey.address)).to.equal(patientId);
    expect(await identity.activeIdOf(f.cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(
      f.cardiologistId,
    );
    const erDoctor = await identity.participant(f.erDoctorId);
    expect([erDoctor.kind, erDoctor.status, erDoctor.affiliation, erDoctor.active]).to.deep.equal([
      ParticipantKind.Practitioner,
      ParticipantStatus.Active,
      f.hospitalId,
      true,
    ]);
    expect(await consent.isEmergencyAuthorized(f.hospitalId)).to.equal(true);

    // 1. The patient grants her cardiologist labs and conditions for treatment, for 30 days.
    const grantedAt = BigInt(await time.latest()) + 1n;
    await time.setNextBlockTimestamp(grantedAt);
    const cardiologistGrant = await asPatient.grant({
      patient: patientId,
      grantee: f.cardiologistId,
      categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions),
      purposes: treatment,
      validUntil: grantedAt + 30n * DAY,
    });
    expect(cardiologistGrant.version).to.equal(1);
    expect(await consent.consentOf(patientId, f.cardiologistId)).to.deep.include({
      categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions),
      purposes: treatment,
      validFrom: grantedAt,
      validUntil: grantedAt + 30n * DAY,
      version: 1,
    });
    expect(
      await consent.decide(patientId, f.cardiologistKey.address, DataCategory.Conditions, Purpose.Treatment),
    ).to.deep.equal({
      allowed: true,
      basis: DecisionBasis.Grant,
      accessor: f.cardiologistId,
      grantee: f.cardiologistId,
      ref: 1n,
    });
    expect(
      (await consent.decide(patientId, f.cardiologistKey.address, DataCategory.Imaging, Purpose.Treatment)).basis,
    ).to.equal(DecisionBasis.NoGrant);

    // 2. The internist asks for labs, imaging and conditions for 14 days; the patient approves labs for 7 days.
    const asked = categorySet(DataCategory.LaboratoryResults, DataCategory.Imaging, DataCategory.Conditions);
    const respondBy = BigInt(await time.latest()) + 3n * DAY;
    const { requestId } = await consent.as(f.internistKey).requestAccess({
      patient: patientId,
      categories: asked,
      purposes: treatment,
      duration: 14n * DAY,
      reasonCode: REASON.continuityOfCare,
      respondBy,
    });
    expect(requestId).to.equal(1n);
    expect(await consent.request(requestId)).to.deep.equal({
      patient: patientId,
      requester: f.internistId,
      categories: asked,
      purposes: treatment,
      status: RequestStatus.Pending,
      respondBy,
      duration: 14n * DAY,
      reasonCode: REASON.continuityOfCare,
    });
    expect(
      await consent.decide(patientId, f.internistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment),
    ).to.have.property("allowed", false);
    // Approving more than was asked (21 days) is refused, and leaves the request pending.
    const threeWeeks = BigInt(await time.latest()) + 21n * DAY;
    const tooLong = await refusal(() =>
      asPatient.approveRequest(requestId, { categories: labs, purposes: treatment, validUntil: threeWeeks }),
    );
    expect([tooLong.errorName, ...tooLong.args]).to.deep.equal(["ConsentApprovalExceedsRequest", requestId]);
    expect((await consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    const approvedAt = BigInt(await time.latest()) + 1n;
    await time.setNextBlockTimestamp(approvedAt);
    const approval = await asPatient.approveRequest(requestId, {
      categories: labs,
      purposes: treatment,
      validUntil: approvedAt + 7n * DAY,
    });
    expect(approval.version).to.equal(1);
    const resolved = single(eventsNamed(consent, approval.receipt, "AccessRequestResolved"), "resolution");
    expect([resolved.args.requestId, resolved.args.actor, resolved.args.status]).to.deep.equal([
      requestId,
      patientId,
      BigInt(RequestStatus.Approved),
    ]);
    expect((await consent.request(requestId)).status).to.equal(RequestStatus.Approved);
    expect(await consent.consentOf(patientId, f.internistId)).to.deep.include({
      categories: labs,
      purposes: treatment,
      validFrom: approvedAt,
      validUntil: approvedAt + 7n * DAY,
    });
    expect(
      await consent.decide(patientId, f.internistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment),
    ).to.deep.equal({
      allowed: true,
      basis: DecisionBasis.Grant,
      accessor: f.internistId,
      grantee: f.internistId,
      ref: 1n,
    });
    expect(
      (await consent.decide(patientId, f.internistKey.address, DataCategory.Imaging, Purpose.Treatment)).allowed,
      "imaging was asked for but not approved",
    ).to.equal(false);

    // 3. The patient signs a grant for her insurer (claims, for payment) off-chain; the hospital relays it.
    const evidence = commit("fhir:Consent/payer-authorization-0001").commitment;
    const signed = await consent.signGrant(patientKey, {
      patient: patientId,
      grantee: f.payerId,
      categories: categorySet(DataCategory.InsuranceAndClaims),
      purposes: purposeSet(Purpose.Payment),
      validUntil: BigInt(await time.latest()) + 180n * DAY,
      deadline: BigInt(await time.latest()) + HOUR,
      evidence,
    });
    expect(signed.message.nonce).to.equal(0n);
    const relayed = await consent.as(f.hospitalKey).relayGrant(signed);
    expect(relayed.version).to.equal(1);
    const relay = single(eventsNamed(consent, relayed.receipt, "SignedConsentRelayed"), "relay");
    expect([
      relay.args.patient,
      relay.args.signer,
      relay.args.relayer,
      relay.args.nonce,
      relay.args.evidence,
    ]).to.deep.equal([patientId, patientKey.address, f.hospitalKey.address, 0n, evidence]);
    const payerGrant = single(eventsNamed(consent, relayed.receipt, "ConsentGranted"), "grant");
    expect(payerGrant.args.actor, "the patient signed, so she is the actor").to.equal(patientId);
    expect(await consent.nonces(patientId)).to.equal(1n);
    expect(
      await consent.decide(patientId, f.payerKey.address, DataCategory.InsuranceAndClaims, Purpose.Payment),
    ).to.deep.equal({ allowed: true, basis: DecisionBasis.Grant, accessor: f.payerId, grantee: f.payerId, ref: 1n });
    // The signature cannot be relayed twice.
    const replay = await refusal(() => consent.as(f.hospitalKey).relayGrant(signed));
    expect([replay.errorName, ...replay.args]).to.deep.equal(["ConsentInvalidNonce", patientId, 1n, 0n]);

    // 4. The ER doctor breaks glass, reads her medications for emergency treatment; genomics stays closed.
    const { sessionId } = await consent.as(f.erDoctorKey).openBreakGlass(patientId, REASON.unconscious, 4n * HOUR);
    expect(sessionId).to.equal(1n);
    const emergencyRead = await consent
      .as(f.erDoctorKey)
      .recordAccess(patientId, DataCategory.Medications, Purpose.EmergencyTreatment);
    expect(emergencyRead.decision).to.deep.equal({
      allowed: true,
      basis: DecisionBasis.BreakGlass,
      accessor: f.erDoctorId,
      grantee: f.erDoctorId,
      ref: sessionId,
    });
    expect(eventsNamed(consent, emergencyRead.receipt, "AccessGranted")).to.have.length(1);
    expect(
      (await consent.decide(patientId, f.erDoctorKey.address, DataCategory.Genomics, Purpose.EmergencyTreatment)).basis,
    ).to.equal(DecisionBasis.BreakGlassCategoryExcluded);
    expect(await consent.unreviewedBreakGlass()).to.deep.equal([sessionId]);

    // An auditor finds the emergency access justified; it leaves the list of sessions awaiting review.
    await consent.as(f.auditor).reviewBreakGlass(sessionId, ReviewOutcome.Justified, 0);
    const session = await consent.breakGlass(sessionId);
    expect([
      session.patient,
      session.practitioner,
      session.organization,
      session.outcome,
      session.reviewer,
    ]).to.deep.equal([patientId, f.erDoctorId, f.hospitalId, ReviewOutcome.Justified, f.auditor.address]);
    expect(await consent.unreviewedBreakGlass()).to.deep.equal([]);

    // The registrars withdraw the hospital's emergency authorization: the ER doctor's session, justified or not,
    // ends in that very block, and stays ended when the hospital is authorized again.
    const withdrawal = await consent.as(f.registrar).setEmergencyAuthorization(f.hospitalId, false);
    const withdrawnAt = BigInt((await withdrawal.receipt.getBlock()).timestamp);
    expect(await consent.isEmergencyAuthorized(f.hospitalId)).to.equal(false);
    expect((await consent.breakGlass(sessionId)).expiresAt).to.equal(withdrawnAt);
    await consent.as(f.registrar).setEmergencyAuthorization(f.hospitalId, true);
    const afterWithdrawal = await consent
      .as(f.erDoctorKey)
      .recordAccess(patientId, DataCategory.Medications, Purpose.EmergencyTreatment);
    expect(afterWithdrawal.decision).to.deep.equal({
      allowed: false,
      basis: DecisionBasis.NoGrant,
      accessor: f.erDoctorId,
      grantee: 0n,
      ref: 0n,
    });

    // 5. The cardiologist tries her mental-health records: denied, and the attempt is on the record.
    const attempt = await consent
      .as(f.cardiologistKey)
      .recordAccess(patientId, DataCategory.MentalHealth, Purpose.Treatment);
    expect(attempt.decision).to.deep.equal({
      allowed: false,
      basis: DecisionBasis.NoGrant,
      accessor: f.cardiologistId,
      grantee: 0n,
      ref: 0n,
    });
    const denied = single(eventsNamed(consent, attempt.receipt, "AccessDenied"), "denial");
    expect([denied.args.patient, denied.args.accessor, denied.args.category, denied.args.purpose]).to.deep.equal([
      patientId,
      f.cardiologistId,
      BigInt(DataCategory.MentalHealth),
      BigInt(Purpose.Treatment),
    ]);
    expect(eventsNamed(consent, attempt.receipt, "AccessGranted")).to.have.length(0);

    // 6. The cardiologist reads labs; the patient revokes; the very next transaction is denied.
    const beforeRevocation = await consent
      .as(f.cardiologistKey)
      .recordAccess(patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
    expect(beforeRevocation.decision.allowed).to.equal(true);
    const revocation = await asPatient.revoke(patientId, f.cardiologistId);
    expect(revocation.version).to.equal(2);
    const afterRevocation = await consent
      .as(f.cardiologistKey)
      .recordAccess(patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
    expect(afterRevocation.receipt.blockNumber).to.equal(revocation.receipt.blockNumber + 1);
    expect(afterRevocation.decision).to.deep.equal({
      allowed: false,
      basis: DecisionBasis.NoGrant,
      accessor: f.cardiologistId,
      grantee: 0n,
      ref: 0n,
    });
    expect(eventsNamed(consent, afterRevocation.receipt, "AccessDenied")).to.have.length(1);

    // 7. Her list of grants: the cardiologist's revoked, the internist's and the insurer's live, and the ER doctor
    // who broke glass, listed without a permit (the session is the workflow's: `breakGlass(sessionId)`).
    const grants = await consent.grantsOf(patientId);
    expect(grants.map((g) => [g.grantee, g.live, g.version, g.categories])).to.deep.equal([
      [f.cardiologistId, false, 2, 0],
      [f.internistId, true, 1, labs],
      [f.erDoctorId, false, 0, 0],
      [f.payerId, true, 1, categorySet(DataCategory.InsuranceAndClaims)],
    ]);
    expect((await consent.breakGlass(sessionId)).practitioner).to.equal(f.erDoctorId);
    const internist = grants.find((g) => g.grantee === f.internistId);
    expect(internist?.validUntil).to.equal(approvedAt + 7n * DAY);
  });

  it("decodes the break-glass workflow's refusals into CareLedgerError, like every other module's", async () => {
    const f = await loadFixture(consentFixture);
    const notAuthorized = await refusal(() =>
      f.consent.as(f.clinicDoctorKey).openBreakGlass(f.patientId, REASON.unconscious, HOUR),
    );
    expect([notAuthorized.errorName, ...notAuthorized.args]).to.deep.equal([
      "BreakGlassNotAuthorized",
      f.clinicDoctorKey.address,
    ]);
    const unknown = await refusal(() => f.consent.breakGlass(99n));
    expect([unknown.errorName, ...unknown.args]).to.deep.equal(["BreakGlassUnknownSession", 99n]);
  });
});
