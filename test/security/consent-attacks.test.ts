import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, MaxUint256 } from "ethers";
import { ethers as hardhatEthers } from "hardhat";

import {
  ALL_CATEGORIES,
  categorySet,
  commit,
  DataCategory,
  DecisionBasis,
  type DecisionInfo,
  Purpose,
  purposeSet,
  RequestStatus,
  ReviewOutcome,
} from "../../sdk";
import { type ConsentFixture, consentFixture, REASON } from "../fixtures/consent";
import { DAY, YEAR } from "../fixtures/identity";

// The attacks and weaknesses of issue 11 against the consent module, each replayed on the production deployment
// (the consent fixture deploys through the real deploy modules and wires roles as production does) and shown to fail
// now. The unit tests of each function live in test/consent/; these read as the report's scenarios.

const HOUR = 3_600n;
const LABS = categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions);
const TREATMENT = purposeSet(Purpose.Treatment);
/** `ConsentRegistry.MAX_NONCE_STEP`. */
const MAX_NONCE_STEP = 2n ** 64n;
/** The default policy's `maxOpenBreakGlassSessions` (deploy/parameters/hardhat.json). */
const MAX_OPEN = 3;
const EVIDENCE = commit("fhir:Consent/attack-scenario").commitment;

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

/** Pins the timestamp of the next mined block and returns it. */
async function nextTimestamp(): Promise<bigint> {
  const next = (await latest()) + 1n;
  await time.setNextBlockTimestamp(next);
  return next;
}

function denied(basis: DecisionBasis, accessor: bigint, grantee = 0n): DecisionInfo {
  return { allowed: false, basis, accessor, grantee, ref: 0n };
}

function allowed(basis: DecisionBasis, accessor: bigint, grantee: bigint, ref = 0n): DecisionInfo {
  return { allowed: true, basis, accessor, grantee, ref };
}

/** `count` new self-registered patients with funded random keys. */
async function newPatients(f: ConsentFixture, count: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const key = ethers.Wallet.createRandom().connect(hardhatEthers.provider);
    await setBalance(key.address, 10n ** 18n);
    ids.push((await f.identity.as(key).registerPatient()).id);
  }
  return ids;
}

describe("Consent attacks (issue 11)", function () {
  it("attack 2 (medium): revoked grants cannot be replayed after a nonce wrap", async function () {
    const f = await loadFixture(consentFixture);
    const registry = f.consentRegistry;
    // The patient signs a grant for the cardiologist; the hospital relays it; she later revokes it.
    const signed = await f.consent.signGrant(f.patientKey, {
      patient: f.patientId,
      grantee: f.cardiologistId,
      categories: LABS,
      purposes: TREATMENT,
      validUntil: (await latest()) + 30n * BigInt(DAY),
      deadline: (await latest()) + 30n * BigInt(DAY),
      evidence: EVIDENCE,
    });
    expect(signed.message.nonce).to.equal(0n);
    await f.consent.as(f.hospitalKey).relayGrant(signed);
    await f.consent.as(f.patientKey).revoke(f.patientId, f.cardiologistId);
    expect(await registry.nonces(f.patientId)).to.equal(1n);
    const revoked = await f.consent.consentOf(f.patientId, f.cardiologistId);
    expect(revoked).to.include({ categories: 0, version: 2 });

    // The attack: move the nonce to 2^256 - 1 so that the next signature wraps it to 0, then replay the old grant.
    // A representative (or whoever holds the patient's key) may burn nonces, so both try.
    for (const attacker of [f.representativeKey, f.patientKey]) {
      await expect(registry.connect(attacker).increaseNonce(f.patientId, MaxUint256), attacker.address)
        .to.be.revertedWithCustomError(registry, "ConsentNonceNotIncreased")
        .withArgs(f.patientId, 1n, MaxUint256);
    }
    await expect(registry.connect(f.payerKey).grantBySig(signed.message, signed.signer, signed.signature))
      .to.be.revertedWithCustomError(registry, "ConsentInvalidNonce")
      .withArgs(f.patientId, 1n, 0n);

    // Stepping by the most allowed, again and again, only ever moves the nonce up: never back to 0.
    let nonce = 1n;
    for (let step = 0; step < 16; step++) {
      await expect(registry.connect(f.representativeKey).increaseNonce(f.patientId, nonce + MAX_NONCE_STEP))
        .to.emit(registry, "NonceIncreased")
        .withArgs(f.patientId, nonce, nonce + MAX_NONCE_STEP);
      nonce += MAX_NONCE_STEP;
      expect(await registry.nonces(f.patientId)).to.equal(nonce);
      await expect(registry.connect(f.payerKey).grantBySig(signed.message, signed.signer, signed.signature))
        .to.be.revertedWithCustomError(registry, "ConsentInvalidNonce")
        .withArgs(f.patientId, nonce, 0n);
    }
    await expect(registry.connect(f.representativeKey).increaseNonce(f.patientId, MaxUint256))
      .to.be.revertedWithCustomError(registry, "ConsentNonceNotIncreased")
      .withArgs(f.patientId, nonce, MaxUint256);
    // From here, reaching 2^256 would take more than 2^191 more steps.
    expect((MaxUint256 - nonce) / MAX_NONCE_STEP > 2n ** 191n).to.equal(true);

    // The revocation stands.
    expect(await f.consent.consentOf(f.patientId, f.cardiologistId)).to.deep.equal(revoked);
    expect(
      await f.consent.decide(f.patientId, f.cardiologistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment),
    ).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
  });

  it("attack 3 (medium): a representative cannot lift a deny placed on itself", async function () {
    const f = await loadFixture(consentFixture);
    const registry = f.consentRegistry;
    // The patient appoints her cardiologist as representative, then denies the cardiologist and its hospital.
    await f.identity
      .as(f.patientKey)
      .appointRepresentative(f.patientId, f.cardiologistId, (await latest()) + BigInt(YEAR));
    expect(await f.identityRegistry.isRepresentative(f.patientId, f.cardiologistId)).to.equal(true);
    await f.consent.as(f.patientKey).setDeny(f.patientId, f.cardiologistId, ALL_CATEGORIES);
    await f.consent.as(f.patientKey).setDeny(f.patientId, f.hospitalId, LABS);
    const explicitDeny = denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId);
    const labsByCardiologist = () =>
      f.consent.decide(f.patientId, f.cardiologistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment);
    expect(await labsByCardiologist()).to.deep.equal(explicitDeny);

    // Directly: lift (or narrow) the deny on itself, or on its organization.
    for (const [grantee, categories] of [
      [f.cardiologistId, 0],
      [f.cardiologistId, categorySet(DataCategory.Genomics)],
      [f.hospitalId, 0],
    ] as const) {
      await expect(registry.connect(f.cardiologistKey).setDeny(f.patientId, grantee, categories))
        .to.be.revertedWithCustomError(registry, "ConsentRepresentativeConflict")
        .withArgs(f.patientId, f.cardiologistId, grantee);
    }
    // By signature, relayed by an accomplice: a grant to itself or its organization.
    for (const grantee of [f.cardiologistId, f.hospitalId]) {
      const signed = await f.consent.signGrant(f.cardiologistKey, {
        patient: f.patientId,
        grantee,
        categories: LABS,
        purposes: TREATMENT,
        validUntil: (await latest()) + 30n * BigInt(DAY),
        deadline: (await latest()) + HOUR,
      });
      await expect(registry.connect(f.internistKey).grantBySig(signed.message, signed.signer, signed.signature))
        .to.be.revertedWithCustomError(registry, "ConsentRepresentativeConflict")
        .withArgs(f.patientId, f.cardiologistId, grantee);
    }
    // By approving its own request for access.
    const { requestId } = await f.consent.as(f.cardiologistKey).requestAccess({
      patient: f.patientId,
      categories: LABS,
      purposes: TREATMENT,
      duration: 30n * BigInt(DAY),
      reasonCode: REASON.continuityOfCare,
      respondBy: (await latest()) + BigInt(DAY),
    });
    await expect(
      registry.connect(f.cardiologistKey).approveRequest(requestId, LABS, TREATMENT, (await latest()) + BigInt(DAY)),
    )
      .to.be.revertedWithCustomError(registry, "ConsentRepresentativeConflict")
      .withArgs(f.patientId, f.cardiologistId, f.cardiologistId);

    // Everything the patient said stands.
    expect(await labsByCardiologist()).to.deep.equal(explicitDeny);
    expect(await f.consent.consentOf(f.patientId, f.cardiologistId)).to.include({
      deniedCategories: ALL_CATEGORIES,
      categories: 0,
    });
    expect(await f.consent.consentOf(f.patientId, f.hospitalId)).to.include({ deniedCategories: LABS, categories: 0 });
    expect(
      await f.consent.decide(f.patientId, f.internistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment),
    ).to.deep.equal(denied(DecisionBasis.ExplicitDeny, f.internistId, f.hospitalId));
    expect((await f.consent.request(requestId)).status).to.equal(RequestStatus.Pending);
    expect(await registry.nonces(f.patientId)).to.equal(0n);
  });

  it("weakness: break-glass limits", async function () {
    const f = await loadFixture(consentFixture);
    const breakGlass = f.breakGlass;
    const victims = [f.patientId, f.otherPatientId, f.representativeId, ...(await newPatients(f, 3))];

    // The ER doctor breaks glass on patient after patient: refused beyond the policy's maximum.
    const opened: bigint[] = [];
    for (const [i, patient] of victims.entries()) {
      const attempt = breakGlass.connect(f.erDoctorKey).open(patient, REASON.unconscious, 24n * HOUR);
      if (i < MAX_OPEN) {
        await expect(attempt).to.emit(breakGlass, "BreakGlassOpened");
        opened.push(await breakGlass.sessionCount());
      } else {
        await expect(attempt)
          .to.be.revertedWithCustomError(breakGlass, "BreakGlassTooManyOpen")
          .withArgs(f.erDoctorId, MAX_OPEN);
      }
    }
    expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN));
    for (const patient of victims.slice(MAX_OPEN)) {
      expect(
        await f.consent.decide(patient, f.erDoctorKey.address, DataCategory.Medications, Purpose.EmergencyTreatment),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
    }
    // Colleagues at the same hospital hold sessions too.
    const { sessionId: cardiology } = await f.consent
      .as(f.cardiologistKey)
      .openBreakGlass(f.patientId, REASON.unconscious, 24n * HOUR);
    expect(
      await f.consent.decide(f.patientId, f.erDoctorKey.address, DataCategory.Medications, Purpose.EmergencyTreatment),
    ).to.deep.equal(allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, opened[0] ?? 0n));

    // Withdrawing the hospital's emergency authorization ends every one of its sessions at once.
    const withdrawnAt = await nextTimestamp();
    await expect(breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
      .to.emit(breakGlass, "EmergencyAuthorizationSet")
      .withArgs(f.hospitalId, false, cardiology + 1n);
    for (const sessionId of [...opened, cardiology]) {
      expect((await f.consent.breakGlass(sessionId)).expiresAt, String(sessionId)).to.equal(withdrawnAt);
    }
    expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
    expect(await breakGlass.openSessionCount(f.cardiologistId)).to.equal(0n);
    for (const [key, id] of [
      [f.erDoctorKey, f.erDoctorId],
      [f.cardiologistKey, f.cardiologistId],
    ] as const) {
      expect(
        await f.consent.decide(f.patientId, key.address, DataCategory.Medications, Purpose.EmergencyTreatment),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, id));
    }
    // Authorizing the hospital again revives none of them.
    await f.consent.as(f.registrar).setEmergencyAuthorization(f.hospitalId, true);
    expect(
      await f.consent.decide(f.patientId, f.erDoctorKey.address, DataCategory.Medications, Purpose.EmergencyTreatment),
    ).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
    expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
    // Every session still awaits an auditor's review.
    expect(await f.consent.unreviewedBreakGlass()).to.have.members([...opened, cardiology]);
  });

  it("weakness: pause never traps a patient with a thief", async function () {
    const f = await loadFixture(consentFixture);
    const registry = f.consentRegistry;
    const breakGlass = f.breakGlass;
    const asPatient = f.consent.as(f.patientKey);
    const until = (await latest()) + 30n * BigInt(DAY);
    // Before the pause: the thief (the cardiologist) holds a grant, so do the internist and the hospital; requests
    // are pending; the ER doctor and the thief hold break-glass sessions; the patient signed a revocation and a grant.
    for (const grantee of [f.cardiologistId, f.internistId, f.hospitalId, f.payerId]) {
      await asPatient.grant({
        patient: f.patientId,
        grantee,
        categories: LABS,
        purposes: TREATMENT,
        validUntil: until,
      });
    }
    await asPatient.setDeny(f.patientId, f.clinicId, LABS);
    const request = {
      patient: f.patientId,
      categories: LABS,
      purposes: TREATMENT,
      duration: BigInt(DAY),
      reasonCode: REASON.continuityOfCare,
      respondBy: (await latest()) + 7n * BigInt(DAY),
    };
    const { requestId: toReject } = await f.consent.as(f.sponsorKey).requestAccess(request);
    const { requestId: toCancel } = await f.consent.as(f.clinicDoctorKey).requestAccess(request);
    const { requestId: toApprove } = await f.consent.as(f.internistKey).requestAccess(request);
    const { sessionId: toClose } = await f.consent.as(f.erDoctorKey).openBreakGlass(f.patientId, 1, 4n * HOUR);
    const { sessionId: toReview } = await f.consent.as(f.cardiologistKey).openBreakGlass(f.patientId, 1, 4n * HOUR);
    const revocation = await f.consent.signRevocation(f.patientKey, {
      patient: f.patientId,
      grantee: f.internistId,
      deadline: (await latest()) + BigInt(DAY),
    });
    const signedGrant = await f.consent.signGrant(f.patientKey, {
      patient: f.patientId,
      grantee: f.sponsorId,
      categories: LABS,
      purposes: TREATMENT,
      validUntil: until,
      deadline: (await latest()) + BigInt(DAY),
      nonce: 1n,
    });

    await (await registry.connect(f.pauser).pause()).wait();
    await (await breakGlass.connect(f.pauser).pause()).wait();
    expect([await registry.paused(), await breakGlass.paused()]).to.deep.equal([true, true]);

    // Everything that takes access away works.
    await expect(registry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
      .to.emit(registry, "ConsentRevoked")
      .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
    await expect(registry.connect(f.payerKey).revokeBySig(revocation.message, revocation.signer, revocation.signature))
      .to.emit(registry, "ConsentRevoked")
      .withArgs(f.patientId, f.internistId, f.patientId, 2);
    await expect(registry.connect(f.patientKey).setDeny(f.patientId, f.payerId, ALL_CATEGORIES))
      .to.emit(registry, "ConsentDenySet")
      .withArgs(f.patientId, f.payerId, f.patientId, ALL_CATEGORIES);
    const narrowTo = categorySet(DataCategory.Conditions);
    await expect(registry.connect(f.patientKey).narrow(f.patientId, f.hospitalId, narrowTo, TREATMENT, until))
      .to.emit(registry, "ConsentNarrowed")
      .withArgs(f.patientId, f.hospitalId, f.patientId, narrowTo, TREATMENT, until, 2);
    await expect(registry.connect(f.patientKey).increaseNonce(f.patientId, 10))
      .to.emit(registry, "NonceIncreased")
      .withArgs(f.patientId, 1, 10);
    await expect(registry.connect(f.patientKey).rejectRequest(toReject, REASON.declined))
      .to.emit(registry, "AccessRequestResolved")
      .withArgs(toReject, f.patientId, f.patientId, RequestStatus.Rejected, REASON.declined);
    await expect(registry.connect(f.clinicDoctorKey).cancelRequest(toCancel))
      .to.emit(registry, "AccessRequestResolved")
      .withArgs(toCancel, f.patientId, f.clinicDoctorId, RequestStatus.Cancelled, 0);
    let now = await nextTimestamp();
    await expect(breakGlass.connect(f.erDoctorKey).close(toClose))
      .to.emit(breakGlass, "BreakGlassClosed")
      .withArgs(toClose, f.patientId, now);
    now = await nextTimestamp();
    await expect(breakGlass.connect(f.auditor).review(toReview, ReviewOutcome.Unjustified, 0))
      .to.emit(breakGlass, "BreakGlassReviewed")
      .withArgs(toReview, f.patientId, f.auditor.address, ReviewOutcome.Unjustified, 0)
      .and.to.emit(breakGlass, "BreakGlassClosed")
      .withArgs(toReview, f.patientId, now);
    await expect(breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
      .to.emit(breakGlass, "EmergencyAuthorizationSet")
      .withArgs(f.hospitalId, false, toReview + 1n);

    // The thief is out, in the very next block.
    for (const [key, id, purpose] of [
      [f.cardiologistKey, f.cardiologistId, Purpose.Treatment],
      [f.cardiologistKey, f.cardiologistId, Purpose.EmergencyTreatment],
      [f.erDoctorKey, f.erDoctorId, Purpose.EmergencyTreatment],
      [f.internistKey, f.internistId, Purpose.Treatment],
    ] as const) {
      const decision = await f.consent.decide(f.patientId, key.address, DataCategory.LaboratoryResults, purpose);
      expect(decision.allowed, `${String(id)} ${Purpose[purpose]}`).to.equal(false);
    }
    expect(
      await f.consent.decide(f.patientId, f.payerKey.address, DataCategory.LaboratoryResults, Purpose.Treatment),
    ).to.deep.equal(denied(DecisionBasis.ExplicitDeny, f.payerId, f.payerId));

    // Everything that could open access refuses.
    const tomorrow = (await latest()) + BigInt(DAY);
    const refusals = {
      grant: () => registry.connect(f.patientKey).grant(f.patientId, f.cardiologistId, LABS, TREATMENT, 0, until),
      "lifting a deny": () => registry.connect(f.patientKey).setDeny(f.patientId, f.clinicId, 0),
      grantBySig: () =>
        registry.connect(f.payerKey).grantBySig(signedGrant.message, signedGrant.signer, signedGrant.signature),
      approveRequest: () => registry.connect(f.patientKey).approveRequest(toApprove, LABS, TREATMENT, tomorrow),
      requestAccess: () => registry.connect(f.payerKey).requestAccess(f.patientId, LABS, TREATMENT, DAY, 0, tomorrow),
    };
    for (const [name, attempt] of Object.entries(refusals)) {
      await expect(attempt(), name).to.be.revertedWithCustomError(registry, "EnforcedPause");
    }
    await expect(
      breakGlass.connect(f.internistKey).open(f.patientId, REASON.unconscious, 3_600),
    ).to.be.revertedWithCustomError(breakGlass, "EnforcedPause");
    for (const organization of [f.hospitalId, f.clinicId]) {
      await expect(
        breakGlass.connect(f.registrar).setEmergencyAuthorization(organization, true),
      ).to.be.revertedWithCustomError(breakGlass, "EnforcedPause");
    }
    expect(await f.consent.consentOf(f.patientId, f.clinicId)).to.include({ deniedCategories: LABS });
    expect((await f.consent.request(toApprove)).status).to.equal(RequestStatus.Pending);
    expect(await registry.requestCount()).to.equal(3n);
    expect(await breakGlass.sessionCount()).to.equal(2n);
  });
});
