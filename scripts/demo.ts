/**
 * `npm run demo`: deploys the whole CareLedger system to the in-process chain through the production deploy
 * modules and walks a story: a registrar verifies a hospital and a cardiologist, a patient registers herself and
 * names guardians, rotates her key, loses the new one and is recovered by her guardians; the hospital loses its key
 * and is recovered by the registrar after the admin delay. Then consent: the patient grants her cardiologist, a
 * second doctor's request is approved narrower, a signed consent is relayed by the hospital, an ER doctor breaks
 * glass and an auditor reviews it, a denied attempt is recorded, and a revocation takes effect at once.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";

import { deployCareLedger, loadParameters } from "../deploy";
import {
  CareLedgerError,
  categorySet,
  commit,
  ConsentClient,
  DataCategory,
  DecisionBasis,
  type DecisionInfo,
  identifierCommitment,
  IdentityClient,
  ParticipantKind,
  Purpose,
  purposeSet,
  RequestStatus,
  ReviewOutcome,
  Roles,
} from "../sdk";

const DAY = 86_400;
let step = 0;

function say(text: string): void {
  console.log(`\n${++step}. ${text}`);
}

function detail(text: string): void {
  console.log(`   ${text}`);
}

function iso(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** A decision as one line: "ALLOWED: Grant (grantee 2, ref 1)", "DENIED: NoGrant". */
function verdict(decision: DecisionInfo): string {
  const by =
    decision.grantee === 0n
      ? ""
      : decision.allowed
        ? ` (grantee ${decision.grantee}, ref ${decision.ref})`
        : ` (grantee ${decision.grantee})`;
  return `${decision.allowed ? "ALLOWED" : "DENIED"}: ${DecisionBasis[decision.basis]}${by}`;
}

async function refused(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof CareLedgerError) return error.message;
    throw error;
  }
  throw new Error("the demo expected the contract to refuse this step");
}

async function main(): Promise<void> {
  const signers = await ethers.getSigners();
  const account = (index: number) => {
    const signer = signers[index];
    if (signer === undefined)
      throw new Error(`the demo needs ${index + 1} accounts, the network has ${signers.length}`);
    return signer;
  };
  const admin = account(1);
  const registrar = account(2);
  const hospitalKey = account(5);
  const hospitalNewKey = account(6);
  const doctorKey = account(7);
  const alice = account(8);
  const aliceLaptop = account(9);
  const alicePhone = account(10);
  const mother = account(11);
  const brother = account(12);
  const friend = account(13);
  const secondDoctorKey = account(14);
  const erDoctorKey = account(15);

  console.log("CareLedger demo — identity, governance and consent on the in-process chain");
  const system = await deployCareLedger(hre, loadParameters(hre.network.name));
  const { accessManager, identityRegistry, consentRegistry, deployment, parameters } = system;
  say("The consortium deploys CareLedger through its Ignition modules.");
  detail(`AccessManager ${deployment.accessManager}, IdentityRegistry ${deployment.identityRegistry}`);
  detail(`admin ${admin.address} acts only through scheduled operations (${parameters.adminExecutionDelay} s delay)`);

  const asRegistrar = IdentityClient.connect(registrar, deployment);
  const expiry = BigInt((await time.latest()) + 365 * DAY);

  say("The registrar verifies St. Mary's Hospital from its accreditation document.");
  const accreditation = commit("accreditation certificate #A-2291, issued 2026-03-01");
  const hospital = await asRegistrar.registerParticipant({
    kind: ParticipantKind.Organization,
    controller: hospitalKey.address,
    credentialCommitment: accreditation.commitment,
    credentialExpiry: expiry,
  });
  detail(
    `hospital is participant ${hospital.id}; on chain only a salted commitment ${accreditation.commitment.slice(0, 18)}…`,
  );

  say("The registrar verifies Dr. Chen, a cardiologist, affiliated to the hospital.");
  const licence = commit("state medical licence MD-88412 / NPI 1234567893");
  const doctor = await asRegistrar.registerParticipant({
    kind: ParticipantKind.Practitioner,
    controller: doctorKey.address,
    credentialCommitment: licence.commitment,
    credentialExpiry: expiry,
    affiliation: hospital.id,
  });
  detail(`Dr. Chen is participant ${doctor.id}, active: ${await identityRegistry.isActive(doctor.id)}`);

  say("Alice registers herself as a pseudonymous patient; her mother, brother and a friend do too.");
  const aliceId = (await IdentityClient.connect(alice, deployment).registerPatient()).id;
  const guardianIds: bigint[] = [];
  for (const guardian of [mother, brother, friend]) {
    guardianIds.push((await IdentityClient.connect(guardian, deployment).registerPatient()).id);
  }
  detail(`Alice is patient ${aliceId}; guardians are participants ${guardianIds.join(", ")}`);

  say("At the front desk the registrar checks Alice's ID card and marks her identity-proofed.");
  await asRegistrar.markIdentityProofed(aliceId);
  detail(`identity-proofed: ${(await asRegistrar.participant(aliceId)).identityProofed}`);

  say("Alice links her hospital record number without revealing it: a salted commitment.");
  const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217");
  await IdentityClient.connect(alice, deployment).bindIdentifierCommitment(aliceId, mrn.commitment);
  detail(
    `commitment ${mrn.commitment.slice(0, 18)}… belongs to patient ${await identityRegistry.identifierOwner(mrn.commitment)}`,
  );
  detail(
    `binding it again: ${await refused(() => IdentityClient.connect(alice, deployment).bindIdentifierCommitment(aliceId, mrn.commitment))}`,
  );

  say("Alice names her three guardians: any two of them can recover her id after a 3-day delay.");
  await IdentityClient.connect(alice, deployment).setGuardians(aliceId, guardianIds, 2, 3 * DAY);
  const set = await asRegistrar.guardiansOf(aliceId);
  detail(`${set.threshold} of [${set.guardians.join(", ")}], delay ${set.delay / DAY} days`);

  say("Alice moves her key to her laptop: the old key proposes, the laptop accepts.");
  const deadline = BigInt((await time.latest()) + 2 * DAY);
  const proposed = await IdentityClient.connect(alice, deployment).proposeRotation(
    aliceId,
    aliceLaptop.address,
    deadline,
  );
  const accepted = await IdentityClient.connect(aliceLaptop, deployment).acceptRotation(aliceId);
  detail(
    `controller is now ${(await asRegistrar.participant(aliceId)).controller} (gas ${proposed.gasUsed + accepted.gasUsed} for both steps)`,
  );
  detail(
    `the old key at once: ${await refused(() => IdentityClient.connect(alice, deployment).setGuardians(aliceId, [], 0, 0))}`,
  );

  say("The laptop is stolen. Mother and brother approve recovering Alice's id to her new phone.");
  await IdentityClient.connect(mother, deployment).approveRecovery(aliceId, alicePhone.address);
  await IdentityClient.connect(brother, deployment).approveRecovery(aliceId, alicePhone.address);
  const pending = await asRegistrar.pendingRecoveryOf(aliceId);
  detail(`${pending?.approvals} approvals; executable from ${new Date(Number(pending?.readyAt) * 1000).toISOString()}`);
  detail(`executing now: ${await refused(() => asRegistrar.executeRecovery(aliceId))}`);

  say("Three days pass without the thief cancelling; anyone executes the recovery.");
  await time.increase(3 * DAY);
  await asRegistrar.executeRecovery(aliceId);
  detail(
    `Alice (still patient ${aliceId}) is controlled by her phone ${(await asRegistrar.participant(aliceId)).controller}`,
  );
  detail(
    `the stolen laptop: ${await refused(() => IdentityClient.connect(aliceLaptop, deployment).cancelRecovery(aliceId))}`,
  );

  say("The hospital loses its key. The registrar schedules a recovery; it waits out the admin delay.");
  const data = identityRegistry.interface.encodeFunctionData("recoverController", [
    hospital.id,
    hospitalNewKey.address,
  ]);
  const target = deployment.identityRegistry;
  const [, delay] = await accessManager.canCall(registrar.address, target, data.slice(0, 10));
  await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
  detail(
    `scheduled; role INSTITUTION_RECOVERY (${Roles.INSTITUTION_RECOVERY}) waits ${delay} s, during which the admin can cancel`,
  );
  await time.increase(delay);
  await (await accessManager.connect(registrar).execute(target, data)).wait();
  detail(`hospital ${hospital.id} is controlled by ${(await asRegistrar.participant(hospital.id)).controller}`);

  say("A year later Dr. Chen's licence has expired: nobody acted, and he counts as inactive.");
  await time.increase(365 * DAY);
  detail(
    `Dr. Chen active: ${await identityRegistry.isActive(doctor.id)}; Alice active: ${await identityRegistry.isActive(aliceId)}`,
  );

  // ---- consent ---------------------------------------------------------------------------------------------

  const asAlice = ConsentClient.connect(alicePhone, deployment);
  const asChen = ConsentClient.connect(doctorKey, deployment);
  const asOkafor = ConsentClient.connect(secondDoctorKey, deployment);
  const asRivera = ConsentClient.connect(erDoctorKey, deployment);
  const asHospital = ConsentClient.connect(hospitalNewKey, deployment);
  const asConsentRegistrar = ConsentClient.connect(registrar, deployment);
  const asAuditor = ConsentClient.connect(await ethers.getSigner(parameters.auditor), deployment);
  const now = async (): Promise<bigint> => BigInt(await time.latest());

  say("The registrar renews the hospital's accreditation and Dr. Chen's licence, and verifies two more doctors.");
  const renewedExpiry = (await now()) + BigInt(365 * DAY);
  const renewedHospital = await asRegistrar.renewCredential(
    hospital.id,
    commit("accreditation certificate #A-2291, renewed 2027-03-01").commitment,
    renewedExpiry,
  );
  const renewedChen = await asRegistrar.renewCredential(
    doctor.id,
    commit("state medical licence MD-88412 (renewed) / NPI 1234567893").commitment,
    renewedExpiry,
  );
  detail(
    `hospital active: ${await identityRegistry.isActive(hospital.id)}, Dr. Chen active: ${await identityRegistry.isActive(doctor.id)} (gas ${renewedHospital.gasUsed} and ${renewedChen.gasUsed})`,
  );
  const okafor = await asRegistrar.registerParticipant({
    kind: ParticipantKind.Practitioner,
    controller: secondDoctorKey.address,
    credentialCommitment: commit("state medical licence MD-90233 / NPI 1987654325").commitment,
    credentialExpiry: renewedExpiry,
    affiliation: hospital.id,
  });
  const rivera = await asRegistrar.registerParticipant({
    kind: ParticipantKind.Practitioner,
    controller: erDoctorKey.address,
    credentialCommitment: commit("state medical licence MD-77105 / NPI 1548239017").commitment,
    credentialExpiry: renewedExpiry,
    affiliation: hospital.id,
  });
  detail(`Dr. Okafor, endocrinologist, is participant ${okafor.id} (gas ${okafor.receipt.gasUsed})`);
  detail(`Dr. Rivera, emergency physician, is participant ${rivera.id} (gas ${rivera.receipt.gasUsed})`);

  say("Alice grants her cardiologist, Dr. Chen, her lab results and conditions, for treatment, for 30 days.");
  const granted = await asAlice.grant({
    patient: aliceId,
    grantee: doctor.id,
    categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions),
    purposes: purposeSet(Purpose.Treatment),
    validUntil: (await now()) + BigInt(30 * DAY),
  });
  const chenGrant = await asAlice.consentOf(aliceId, doctor.id);
  detail(
    `grant version ${granted.version}, ${iso(chenGrant.validFrom)} until ${iso(chenGrant.validUntil)} (gas ${granted.receipt.gasUsed})`,
  );
  const chenReads = await asChen.recordAccess(aliceId, DataCategory.LaboratoryResults, Purpose.Treatment);
  detail(`Dr. Chen opens her lab results: ${verdict(chenReads.decision)}, recorded (gas ${chenReads.receipt.gasUsed})`);

  say(
    "Dr. Okafor asks for lab results, medications and conditions for 90 days; Alice approves less: 14 days, no conditions.",
  );
  const asked = await asOkafor.requestAccess({
    patient: aliceId,
    categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Medications, DataCategory.Conditions),
    purposes: purposeSet(Purpose.Treatment),
    duration: 90 * DAY,
    reasonCode: 12,
    respondBy: (await now()) + BigInt(3 * DAY),
  });
  detail(`request ${asked.requestId} sent (gas ${asked.receipt.gasUsed})`);
  const approved = await asAlice.approveRequest(asked.requestId, {
    categories: categorySet(DataCategory.LaboratoryResults, DataCategory.Medications),
    purposes: purposeSet(Purpose.Treatment),
    validUntil: (await now()) + BigInt(14 * DAY),
  });
  detail(
    `request ${RequestStatus[(await asAlice.request(asked.requestId)).status]}: grant version ${approved.version} to ${okafor.id} (gas ${approved.receipt.gasUsed})`,
  );
  detail(
    `Dr. Okafor, medications: ${verdict(await asAlice.decide(aliceId, secondDoctorKey.address, DataCategory.Medications, Purpose.Treatment))}`,
  );
  detail(
    `Dr. Okafor, conditions: ${verdict(await asAlice.decide(aliceId, secondDoctorKey.address, DataCategory.Conditions, Purpose.Treatment))}`,
  );

  say("Alice signs a billing consent for the hospital on her phone (EIP-712); the hospital's key relays it and pays.");
  const consentDocument = commit("FHIR Consent: St. Mary's billing, demographics and insurance, one year");
  const signed = await asAlice.signGrant(alicePhone, {
    patient: aliceId,
    grantee: hospital.id,
    categories: categorySet(DataCategory.Demographics, DataCategory.InsuranceAndClaims),
    purposes: purposeSet(Purpose.Payment),
    validUntil: (await now()) + BigInt(365 * DAY),
    deadline: (await now()) + BigInt(DAY),
    evidence: consentDocument.commitment,
  });
  const relayed = await asHospital.relayGrant(signed);
  detail(
    `signed by ${signed.signer} with nonce ${signed.message.nonce}, relayed by ${hospitalNewKey.address}: grant version ${relayed.version} (gas ${relayed.receipt.gasUsed})`,
  );
  detail(`relaying it again: ${await refused(() => asHospital.relayGrant(signed))}`);
  detail(
    `Dr. Rivera, for the hospital's billing: ${verdict(await asAlice.decide(aliceId, erDoctorKey.address, DataCategory.InsuranceAndClaims, Purpose.Payment))}`,
  );

  say("The registrar authorizes St. Mary's for emergencies: its practitioners may break glass.");
  const authorized = await asConsentRegistrar.setEmergencyAuthorization(hospital.id, true);
  detail(`authorized: ${await consentRegistry.isEmergencyAuthorized(hospital.id)} (gas ${authorized.receipt.gasUsed})`);

  say("Alice is brought unconscious to the ER. Dr. Rivera, who has no grant, breaks glass for 4 hours.");
  detail(
    `before: ${verdict(await asRivera.decide(aliceId, erDoctorKey.address, DataCategory.Allergies, Purpose.EmergencyTreatment))}`,
  );
  const opened = await asRivera.openBreakGlass(aliceId, 1, 4 * 3_600);
  const session = await asRivera.breakGlass(opened.sessionId);
  detail(`session ${opened.sessionId} open until ${iso(session.expiresAt)} (gas ${opened.receipt.gasUsed})`);
  for (const category of [DataCategory.Allergies, DataCategory.Medications]) {
    const read = await asRivera.recordAccess(aliceId, category, Purpose.EmergencyTreatment);
    detail(`${DataCategory[category]}: ${verdict(read.decision)}, recorded (gas ${read.receipt.gasUsed})`);
  }
  detail(
    `Genomics stays closed: ${verdict(await asRivera.decide(aliceId, erDoctorKey.address, DataCategory.Genomics, Purpose.EmergencyTreatment))}`,
  );

  say("The auditor finds the session on the review list and marks it justified.");
  detail(`awaiting review: [${(await asAuditor.unreviewedBreakGlass()).join(", ")}]`);
  const reviewed = await asAuditor.reviewBreakGlass(opened.sessionId, ReviewOutcome.Justified, 0);
  detail(
    `session ${opened.sessionId}: ${ReviewOutcome[(await asAuditor.breakGlass(opened.sessionId)).outcome]}; awaiting review: [${(await asAuditor.unreviewedBreakGlass()).join(", ")}] (gas ${reviewed.receipt.gasUsed})`,
  );

  say("Dr. Chen tries to open Alice's mental-health notes: his grant does not name them. Denied, and on the record.");
  const attempt = await asChen.recordAccess(aliceId, DataCategory.MentalHealth, Purpose.Treatment);
  detail(
    `${verdict(attempt.decision)}; AccessDenied recorded in block ${attempt.receipt.blockNumber} (gas ${attempt.receipt.gasUsed})`,
  );

  say("Alice revokes Dr. Chen's grant. It stops at once: his next look at her lab results is denied.");
  const revoked = await asAlice.revoke(aliceId, doctor.id);
  detail(`grant version ${revoked.version}: revoked (gas ${revoked.receipt.gasUsed})`);
  const afterRevoke = await asChen.recordAccess(aliceId, DataCategory.LaboratoryResults, Purpose.Treatment);
  detail(`Dr. Chen opens her lab results: ${verdict(afterRevoke.decision)} (gas ${afterRevoke.receipt.gasUsed})`);
  for (const listing of await asAlice.grantsOf(aliceId)) {
    detail(`Alice's consent for ${listing.grantee}: ${listing.live ? "live" : "not live"}, version ${listing.version}`);
  }

  const [requests, sessions] = await consentRegistry.counts();
  console.log(
    `\nDone: ${await identityRegistry.lastId()} participants, ${requests} access request(s), ${sessions} break-glass session(s); every step above on the audit trail as events.`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
