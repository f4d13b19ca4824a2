import { ethers } from "hardhat";

import {
  commit,
  ConsentClient,
  DataCategory,
  IdentityClient,
  ParticipantKind,
  Purpose,
  RequestStatus,
  ReviewOutcome,
  categorySet,
  purposeSet,
} from "../../sdk";
import {
  DAY,
  detail,
  gas,
  introduce,
  listed,
  named,
  nameOf,
  refused,
  say,
  technical,
  verdict,
  when,
  words,
  yes,
} from "./narration";
import { now, type Participants, type Story } from "./story";

/**
 * Consent: the registrar renews the lapsed credentials and verifies two more doctors; Alice grants her cardiologist,
 * a second doctor's request is approved narrower, a signed consent is relayed by the hospital, an ER doctor breaks
 * glass and an auditor reviews it, a denied attempt is recorded, and a revocation takes effect at once. Returns the
 * renewed credentials' expiry, which the later chapters' new participants share.
 */
export async function consentChapter(story: Story, who: Participants): Promise<bigint> {
  const { credentialExpiry, okafor } = await renewAndVerify(story, who);
  await grantAndRequest(story, who, okafor);
  await signedConsent(story, who);
  await breakGlass(story, who);
  await deniedAndRevoked(story, who);
  return credentialExpiry;
}

async function renewAndVerify(
  { system, cast }: Story,
  who: Participants,
): Promise<{ credentialExpiry: bigint; okafor: bigint }> {
  const { deployment, identityRegistry } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  say("The registrar renews the hospital's accreditation and Dr. Chen's licence, and verifies two more doctors.");
  const renewedExpiry = (await now()) + BigInt(365 * DAY);
  const renewedHospital = await asRegistrar.renewCredential(
    who.hospital,
    commit("accreditation certificate #A-2291, renewed 2027-03-01").commitment,
    renewedExpiry,
  );
  const renewedChen = await asRegistrar.renewCredential(
    who.doctor,
    commit("state medical licence MD-88412 (renewed) / NPI 1234567893").commitment,
    renewedExpiry,
  );
  detail(
    `hospital active: ${yes(await identityRegistry.isActive(who.hospital))}, Dr. Chen active: ${yes(await identityRegistry.isActive(who.doctor))}${gas(renewedHospital, renewedChen)}`,
  );
  const practitioner = (key: typeof cast.doctorKey, licence: string) =>
    asRegistrar.registerWithKey(
      key,
      {
        kind: ParticipantKind.Practitioner,
        credentialCommitment: commit(licence).commitment,
        credentialExpiry: renewedExpiry,
        affiliation: who.hospital,
      },
      cast.hospitalNewKey,
    );
  const okafor = await practitioner(cast.secondDoctorKey, "state medical licence MD-90233 / NPI 1987654325");
  const rivera = await practitioner(cast.erDoctorKey, "state medical licence MD-77105 / NPI 1548239017");
  introduce(okafor.id, "Dr. Okafor");
  introduce(rivera.id, "Dr. Rivera");
  detail(`Dr. Okafor, endocrinologist, is participant ${okafor.id}, accepted by the hospital${gas(okafor.receipt)}`);
  detail(`Dr. Rivera, emergency physician, is participant ${rivera.id}, accepted too${gas(rivera.receipt)}`);
  return { credentialExpiry: renewedExpiry, okafor: okafor.id };
}

async function grantAndRequest({ system, cast }: Story, who: Participants, okaforId: bigint): Promise<void> {
  const { deployment } = system;
  const asAlice = ConsentClient.connect(cast.alicePhone, deployment);
  const aliceId = who.alice;
  say("Alice grants her cardiologist, Dr. Chen, her lab results and conditions, for treatment, for 30 days.");
  const granted = await asAlice.grant({
    patient: aliceId,
    grantee: who.doctor,
    categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions),
    purposes: purposeSet(Purpose.Treatment),
    validUntil: (await now()) + BigInt(30 * DAY),
  });
  const chenGrant = await asAlice.consentOf(aliceId, who.doctor);
  detail(
    `grant version ${granted.version}, from ${when(chenGrant.validFrom)} until ${when(chenGrant.validUntil)}${gas(granted.receipt)}`,
  );
  const asChen = ConsentClient.connect(cast.doctorKey, deployment);
  const chenReads = await asChen.recordAccess(aliceId, DataCategory.LaboratoryResults, Purpose.Treatment);
  detail(
    `Dr. Chen opens her lab results: ${verdict(chenReads.decision)}, and the read is recorded${gas(chenReads.receipt)}`,
  );

  say(
    "Dr. Okafor asks for lab results, medications and conditions for 90 days; Alice approves less: 14 days, no conditions.",
  );
  const asked = await ConsentClient.connect(cast.secondDoctorKey, deployment).requestAccess({
    patient: aliceId,
    categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Medications, DataCategory.Conditions),
    purposes: purposeSet(Purpose.Treatment),
    duration: 90 * DAY,
    reasonCode: 12,
    respondBy: (await now()) + BigInt(3 * DAY),
  });
  detail(`request ${asked.requestId} sent${gas(asked.receipt)}`);
  const approved = await asAlice.approveRequest(asked.requestId, {
    categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Medications),
    purposes: purposeSet(Purpose.Treatment),
    validUntil: (await now()) + BigInt(14 * DAY),
  });
  detail(
    `request ${asked.requestId} ${words(RequestStatus[(await asAlice.request(asked.requestId)).status])}: grant version ${approved.version} to ${nameOf(okaforId)}${gas(approved.receipt)}`,
  );
  const okafor = cast.secondDoctorKey.address;
  detail(
    `Dr. Okafor, medications: ${verdict(await asAlice.decide(aliceId, okafor, DataCategory.Medications, Purpose.Treatment))}`,
  );
  detail(
    `Dr. Okafor, conditions: ${verdict(await asAlice.decide(aliceId, okafor, DataCategory.Conditions, Purpose.Treatment))}`,
  );
}

async function signedConsent({ system, cast }: Story, who: Participants): Promise<void> {
  const { deployment } = system;
  const asAlice = ConsentClient.connect(cast.alicePhone, deployment);
  const asHospital = ConsentClient.connect(cast.hospitalNewKey, deployment);
  say("Alice signs a billing consent for the hospital on her phone (EIP-712); the hospital's key relays it and pays.");
  const consentDocument = commit("FHIR Consent: St. Mary's billing, demographics and insurance, one year");
  const signed = await asAlice.signGrant(cast.alicePhone, {
    patient: who.alice,
    grantee: who.hospital,
    categories: categorySet(DataCategory.Demographics, DataCategory.InsuranceAndClaims),
    purposes: purposeSet(Purpose.Payment),
    validUntil: (await now()) + BigInt(365 * DAY),
    deadline: (await now()) + BigInt(DAY),
    evidence: consentDocument.commitment,
  });
  const relayed = await asHospital.relayGrant(signed);
  detail(
    `signed by ${named("her phone", signed.signer)}, relayed by ${named("the hospital's key", cast.hospitalNewKey.address)}: grant version ${relayed.version}${gas(relayed.receipt)}`,
  );
  technical(`nonce ${signed.message.nonce}, evidence ${consentDocument.commitment}`);
  detail(
    `relaying it again: ${await refused(() => asHospital.relayGrant(signed), "ConsentInvalidNonce", "a signed consent counts once (its nonce is used)")}`,
  );
  detail(
    `Dr. Rivera, for the hospital's billing: ${verdict(await asAlice.decide(who.alice, cast.erDoctorKey.address, DataCategory.InsuranceAndClaims, Purpose.Payment))}`,
  );
}

async function breakGlass({ system, cast }: Story, who: Participants): Promise<void> {
  const { deployment, parameters } = system;
  const asConsentRegistrar = ConsentClient.connect(cast.registrar, deployment);
  const asRivera = ConsentClient.connect(cast.erDoctorKey, deployment);
  const rivera = cast.erDoctorKey.address;
  say("The registrar authorizes St. Mary's for emergencies: its practitioners may break glass.");
  const authorized = await asConsentRegistrar.setEmergencyAuthorization(who.hospital, true);
  detail(
    `authorized: ${yes(await asConsentRegistrar.isEmergencyAuthorized(who.hospital))}${gas(authorized.receipt)}; at most ${parameters.consentPolicy.maxOpenBreakGlassSessions} open sessions per practitioner`,
  );

  say("Alice is brought unconscious to the ER. Dr. Rivera, who has no grant, breaks glass for 4 hours.");
  detail(
    `before: ${verdict(await asRivera.decide(who.alice, rivera, DataCategory.Allergies, Purpose.EmergencyTreatment))}`,
  );
  const opened = await asRivera.openBreakGlass(who.alice, 1, 4 * 3_600);
  const session = await asRivera.breakGlass(opened.sessionId);
  detail(`session ${opened.sessionId} open until ${when(session.expiresAt)}${gas(opened.receipt)}`);
  for (const category of [DataCategory.Allergies, DataCategory.Medications]) {
    const read = await asRivera.recordAccess(who.alice, category, Purpose.EmergencyTreatment);
    detail(`${words(DataCategory[category])}: ${verdict(read.decision)}, and recorded${gas(read.receipt)}`);
  }
  detail(
    `Genomics stays closed: ${verdict(await asRivera.decide(who.alice, rivera, DataCategory.Genomics, Purpose.EmergencyTreatment))}`,
  );

  say("The auditor finds the session on the review list and marks it justified.");
  const asAuditor = ConsentClient.connect(await ethers.getSigner(parameters.auditor), deployment);
  const awaiting = async () => {
    const sessions = await asAuditor.unreviewedBreakGlass();
    return sessions.length === 0 ? "none" : `session ${listed(sessions.map(String))}`;
  };
  detail(`awaiting review: ${await awaiting()}`);
  const reviewed = await asAuditor.reviewBreakGlass(opened.sessionId, ReviewOutcome.Justified, 0);
  detail(
    `session ${opened.sessionId}: ${words(ReviewOutcome[(await asAuditor.breakGlass(opened.sessionId)).outcome])}; awaiting review: ${await awaiting()}${gas(reviewed.receipt)}`,
  );
}

async function deniedAndRevoked({ system, cast }: Story, who: Participants): Promise<void> {
  const { deployment } = system;
  const asAlice = ConsentClient.connect(cast.alicePhone, deployment);
  const asChen = ConsentClient.connect(cast.doctorKey, deployment);
  say("Dr. Chen tries to open Alice's mental-health notes: his grant does not name them. Denied, and on the record.");
  const attempt = await asChen.recordAccess(who.alice, DataCategory.MentalHealth, Purpose.Treatment);
  detail(`${verdict(attempt.decision)}; the attempt is recorded on chain${gas(attempt.receipt)}`);
  technical(`AccessDenied in block ${attempt.receipt.blockNumber}`);

  say("Alice revokes Dr. Chen's grant. It stops at once: his next look at her lab results is denied.");
  const revoked = await asAlice.revoke(who.alice, who.doctor);
  detail(`grant version ${revoked.version}: revoked${gas(revoked.receipt)}`);
  const afterRevoke = await asChen.recordAccess(who.alice, DataCategory.LaboratoryResults, Purpose.Treatment);
  detail(`Dr. Chen opens her lab results: ${verdict(afterRevoke.decision)}${gas(afterRevoke.receipt)}`);
  for (const listing of await asAlice.grantsOf(who.alice)) {
    detail(
      `Alice's consent for ${nameOf(listing.grantee)}: ${listing.version === 0 ? "none ever given (broke glass on her)" : `${listing.live ? "in force" : "not in force"}, version ${listing.version}`}`,
    );
  }
}
