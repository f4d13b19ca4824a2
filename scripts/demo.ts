/**
 * `npm run demo`: deploys the whole CareLedger system to the in-process chain through the production deploy
 * modules and walks a story. Identity: a registrar verifies a hospital and a cardiologist (each key signs its consent;
 * the hospital accepts its doctor), a patient registers herself, the hospital attests her record number and she
 * accepts it, she names guardians and rotates her key in one step; the key is stolen, the thief's guardian change is
 * vetoed and the guardians recover her id over the thief's objection; the hospital loses its key and the registrar
 * recovers it, to a key that consented, after the delay. Consent: the patient grants her cardiologist, a second
 * doctor's request is approved narrower, a signed consent is relayed by the hospital, an ER doctor breaks glass and an
 * auditor reviews it, a denied attempt is recorded, and a revocation takes effect at once. Records: the cardiologist
 * anchors an encrypted lab report, shares its key with an internist who reads it under the hospital's grant, a
 * corrected version supersedes it, a tampered copy fails verification, the hospital anchors a nightly batch of 1,000
 * records under one Merkle root, one of them is proven included on chain, and one is adopted onto the patient's chart
 * once her consent covers it. Claims: an insurer creates a plan with a fee schedule (every code with its medically
 * unlikely edit) and the hospital in network, funds it in the test stablecoin and enrolls the patient under a member
 * pseudonym; an office visit goes entirely to her deductible; an MRI without authorization is denied (CO-197) and
 * twelve units of therapy on one line are denied (CO-151); the hospital appeals the MRI, a reviewer granted
 * CLAIMS_REVIEWER through the admin delay overturns it, and it is paid; the hospital withdraws its balance, and the
 * patient's explanation of benefits is printed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Observation } from "fhir/r4";
import hre, { ethers } from "hardhat";

import { deployCareLedger, loadParameters } from "../deploy";
import {
  canonicalBytes,
  CareLedgerError,
  categoryNames,
  categorySet,
  ClaimBuilder,
  ClaimsClient,
  ClaimStatus,
  commit,
  ConsentClient,
  DataCategory,
  DecisionBasis,
  type DecisionInfo,
  DirectoryBlobStore,
  formatAmount,
  formatRemittance,
  attachmentCommitment,
  memberPseudonym,
  identifierCommitment,
  IdentifierClient,
  IdentityClient,
  ParticipantKind,
  PaymentStatus,
  PlanBuilder,
  publicKeyOf,
  Purpose,
  purposeNames,
  purposeSet,
  type Reader,
  recipientsOf,
  RecordStatus,
  RecordToolkit,
  type Remittance,
  RequestStatus,
  ReviewOutcome,
  Roles,
  SupersedeReason,
  potassiumObservation,
  vitalsBundle,
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

/** A secp256k1 encryption key derived from a label: apart from the account keys, never sent on chain. */
function encryptionKey(who: string): string {
  return keccak256(toUtf8Bytes(`careledger demo encryption key: ${who}`));
}

function short(hash: string | undefined): string {
  return hash === undefined ? "none" : `${hash.slice(0, 18)}…`;
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
  const internistKey = account(16);
  const insurerKey = account(17);
  const reviewerKey = account(18);

  console.log("CareLedger demo — identity, governance, consent, records and claims on the in-process chain");
  const system = await deployCareLedger(hre, loadParameters(hre.network.name));
  const { accessManager, identityRegistry, consentRegistry, deployment, parameters } = system;
  say("The consortium deploys CareLedger through its Ignition modules.");
  detail(`AccessManager ${deployment.accessManager}, IdentityRegistry ${deployment.identityRegistry}`);
  detail(`admin ${admin.address} acts only through scheduled operations (${parameters.adminExecutionDelay} s delay)`);

  const asRegistrar = IdentityClient.connect(registrar, deployment);
  const expiry = BigInt((await time.latest()) + 365 * DAY);

  say("The registrar verifies St. Mary's Hospital from its accreditation document; the hospital's key consents.");
  const accreditation = commit("accreditation certificate #A-2291, issued 2026-03-01");
  const hospital = await asRegistrar.registerWithKey(hospitalKey, {
    kind: ParticipantKind.Organization,
    credentialCommitment: accreditation.commitment,
    credentialExpiry: expiry,
  });
  detail(
    `hospital is participant ${hospital.id}; on chain only a salted commitment ${accreditation.commitment.slice(0, 18)}…`,
  );
  detail("no address is ever bound without its own signature (EIP-712 consent) or transaction");

  say("The registrar verifies Dr. Chen, a cardiologist, and offers him to the hospital; the hospital accepts him.");
  const licence = commit("state medical licence MD-88412 / NPI 1234567893");
  const doctor = await asRegistrar.registerWithKey(doctorKey, {
    kind: ParticipantKind.Practitioner,
    credentialCommitment: licence.commitment,
    credentialExpiry: expiry,
    affiliation: hospital.id,
  });
  detail(
    `Dr. Chen is participant ${doctor.id}; offered to ${await identityRegistry.affiliationOffer(doctor.id)}, active: ${await identityRegistry.isActive(doctor.id)} (a registrar alone puts no one into a hospital)`,
  );
  const acceptedChen = await IdentityClient.connect(hospitalKey, deployment).acceptAffiliate(doctor.id);
  detail(
    `the hospital's key accepts him: active ${await identityRegistry.isActive(doctor.id)} (gas ${acceptedChen.gasUsed})`,
  );

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

  say("St. Mary's attests the record number it issued Alice, as a salted commitment; Alice accepts it.");
  const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217");
  const identifiers = IdentifierClient.connect(hospitalKey, deployment);
  await identifiers.attest(aliceId, mrn.commitment);
  detail(
    `her brother tries to take it: ${await refused(() => identifiers.as(brother).accept(guardianIds[1] ?? 0n, hospital.id, mrn.commitment))}`,
  );
  await identifiers.as(alice).accept(aliceId, hospital.id, mrn.commitment);
  detail(
    `commitment ${mrn.commitment.slice(0, 18)}…, issued by ${hospital.id}, belongs to patient ${await identifiers.ownerOf(hospital.id, mrn.commitment)}`,
  );

  say("Alice names her three guardians: any two of them can recover her id after a 3-day delay.");
  await IdentityClient.connect(alice, deployment).setGuardians(aliceId, guardianIds, 2, 3 * DAY);
  const set = await asRegistrar.guardiansOf(aliceId);
  detail(`${set.threshold} of [${set.guardians.join(", ")}], delay ${set.delay / DAY} days`);

  say("Alice moves her key to her laptop in one step: the laptop signs its consent, her old key sends it.");
  const rotated = await IdentityClient.connect(alice, deployment).rotateTo(aliceId, aliceLaptop);
  detail(`controller is now ${(await asRegistrar.participant(aliceId)).controller} (gas ${rotated.gasUsed})`);
  detail(
    `the old key at once: ${await refused(() => IdentityClient.connect(alice, deployment).setGuardians(aliceId, [], 0, 0))}`,
  );

  say("The laptop is stolen. The thief tries to replace Alice's guardians with an accomplice: the change must wait.");
  const asThief = IdentityClient.connect(aliceLaptop, deployment);
  await asThief.setGuardians(aliceId, [guardianIds[2] ?? 0n], 1, DAY);
  const scheduled = await asRegistrar.pendingGuardianChange(aliceId);
  detail(`guardian change scheduled, effective ${iso(scheduled?.effectiveAt ?? 0n)}, unless the guardians veto it`);
  await IdentityClient.connect(mother, deployment).vetoGuardianChange(aliceId);
  await IdentityClient.connect(brother, deployment).vetoGuardianChange(aliceId);
  detail(
    `mother and brother veto it: pending change ${(await asRegistrar.pendingGuardianChange(aliceId)) === undefined ? "gone" : "still there"}, guardians unchanged`,
  );

  say("Mother and brother approve recovering Alice's id to her new phone; the thief's objection alone is not enough.");
  await IdentityClient.connect(mother, deployment).approveRecovery(aliceId, alicePhone.address);
  await IdentityClient.connect(brother, deployment).approveRecovery(aliceId, alicePhone.address);
  await asThief.cancelRecovery(aliceId, alicePhone.address);
  const recovery = await asRegistrar.recoveryOf(aliceId, alicePhone.address);
  detail(
    `${recovery?.approvals} approvals, ${recovery?.objections} objection; executable from ${iso(recovery?.readyAt ?? 0n)} until ${iso(recovery?.expiresAt ?? 0n)}`,
  );
  const asPhone = IdentityClient.connect(alicePhone, deployment);
  detail(`executing now: ${await refused(() => asPhone.executeRecovery(aliceId))}`);

  say("Three days pass; the phone executes the recovery (only the key being recovered to can).");
  await time.increase(3 * DAY);
  await asPhone.executeRecovery(aliceId);
  detail(
    `Alice (still patient ${aliceId}) is controlled by her phone ${(await asRegistrar.participant(aliceId)).controller}`,
  );
  detail(`the stolen laptop: ${await refused(() => asThief.setGuardians(aliceId, [], 0, 0))}`);

  say(
    "The hospital loses its key. The registrar schedules a recovery to a key that consented; it waits out the delay.",
  );
  const transfer = await asRegistrar.consentToTransfer(hospitalNewKey, hospital.id);
  const data = identityRegistry.interface.encodeFunctionData("recoverController", [
    hospital.id,
    hospitalNewKey.address,
    transfer.deadline,
    transfer.signature,
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
  const okafor = await asRegistrar.registerWithKey(
    secondDoctorKey,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit("state medical licence MD-90233 / NPI 1987654325").commitment,
      credentialExpiry: renewedExpiry,
      affiliation: hospital.id,
    },
    hospitalNewKey,
  );
  const rivera = await asRegistrar.registerWithKey(
    erDoctorKey,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit("state medical licence MD-77105 / NPI 1548239017").commitment,
      credentialExpiry: renewedExpiry,
      affiliation: hospital.id,
    },
    hospitalNewKey,
  );
  detail(
    `Dr. Okafor, endocrinologist, is participant ${okafor.id} (gas ${okafor.receipt.gasUsed}), accepted by the hospital`,
  );
  detail(`Dr. Rivera, emergency physician, is participant ${rivera.id} (gas ${rivera.receipt.gasUsed}), accepted too`);

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
  detail(
    `authorized: ${await asConsentRegistrar.isEmergencyAuthorized(hospital.id)} (gas ${authorized.receipt.gasUsed}); at most ${parameters.consentPolicy.maxOpenBreakGlassSessions} open sessions per practitioner`,
  );

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
    detail(
      `Alice's consent for ${listing.grantee}: ${listing.version === 0 ? "none ever given (broke glass on her)" : `${listing.live ? "live" : "not live"}, version ${listing.version}`}`,
    );
  }

  // ---- records ---------------------------------------------------------------------------------------------

  // The blob store (encrypted envelopes, batch manifests) and the nightly inbox live in a temporary directory.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-demo-"));
  let nightlyCount = 0;
  let labCommitment = "";
  try {
    const store = new DirectoryBlobStore(path.join(workDir, "blobs"));
    const asChenRecords = RecordToolkit.connect(doctorKey, deployment, store);
    const keys = {
      chen: encryptionKey("Dr. Chen"),
      haddad: encryptionKey("Dr. Haddad"),
      hospital: encryptionKey("St. Mary's records office"),
    };
    const chenReader: Reader = { account: doctorKey.address, publicKey: publicKeyOf(keys.chen) };
    const haddadReader: Reader = { account: internistKey.address, publicKey: publicKeyOf(keys.haddad) };

    say("Dr. Haddad, an internist, joins St. Mary's; Alice, admitted there, adds her lab results to its consent.");
    const haddad = await asRegistrar.registerWithKey(
      internistKey,
      {
        kind: ParticipantKind.Practitioner,
        credentialCommitment: commit("state medical licence MD-93120 / NPI 1326049875").commitment,
        credentialExpiry: renewedExpiry,
        affiliation: hospital.id,
      },
      hospitalNewKey,
    );
    const hospitalScope = {
      categories: categorySet(
        DataCategory.Demographics,
        DataCategory.InsuranceAndClaims,
        DataCategory.LaboratoryResults,
      ),
      purposes: purposeSet(Purpose.Payment, Purpose.Treatment),
    };
    const widened = await asAlice.grant({
      patient: aliceId,
      grantee: hospital.id,
      ...hospitalScope,
      validUntil: (await now()) + BigInt(365 * DAY),
    });
    detail(`Dr. Haddad is participant ${haddad.id} (gas ${haddad.receipt.gasUsed})`);
    detail(
      `hospital grant version ${widened.version}: ${categoryNames(hospitalScope.categories).join(", ")} for ${purposeNames(hospitalScope.purposes).join(", ")} (gas ${widened.receipt.gasUsed})`,
    );
    detail(
      `Dr. Haddad, lab results: ${verdict(await asAlice.decide(aliceId, internistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment))}`,
    );

    say("Dr. Chen anchors Alice's potassium result: encrypted off chain, a salted commitment and a pointer on chain.");
    const lab = await asChenRecords.anchorRecord(potassiumObservation(4.1), aliceId, DataCategory.LaboratoryResults, {
      readers: [chenReader.publicKey],
    });
    labCommitment = lab.commitment;
    detail(`commitment ${lab.commitment}`);
    detail(`envelope   ${lab.address}`);
    detail(`pointer    ${lab.pointer} (keccak256 of the envelope's address)`);
    detail(
      `basis ${DecisionBasis[lab.basis ?? DecisionBasis.NoGrant]}: his own grant is revoked, the hospital's covers him (gas ${lab.receipt.gasUsed})`,
    );

    say("Dr. Chen shares the record key with Dr. Haddad, who decrypts the report, verifies it, and is on the record.");
    const shared = await asChenRecords.shareRecord(aliceId, lab.address, keys.chen, [haddadReader]);
    detail(
      `envelope ${shared.address}: same ciphertext, ${recipientsOf(shared.envelope).length} wrapped keys (consent checked first)`,
    );
    const read = await asChenRecords.as(internistKey).readRecord(aliceId, shared.address, keys.haddad);
    const value = (read.resource as Observation).valueQuantity;
    detail(
      `decrypted: potassium ${value?.value} ${value?.unit}; valid: ${read.report.valid}, ${RecordStatus[read.report.record.status]}, patient ${read.report.record.patient}`,
    );
    for (const access of await asChenRecords.records.accessTrail(aliceId, lab.commitment)) {
      const receipt = await ethers.provider.getTransactionReceipt(access.transactionHash);
      detail(
        `on chain: accessor ${access.accessor} read it for ${Purpose[access.purpose]}, ${verdict(access)}, block ${access.blockNumber} (gas ${receipt?.gasUsed})`,
      );
    }

    say("The lab corrects the value. Dr. Chen anchors version 2 for the readers whose consent still holds.");
    const readers = await asChenRecords.consentedReaders(aliceId, DataCategory.LaboratoryResults, [
      chenReader,
      haddadReader,
    ]);
    const corrected = await asChenRecords.amendRecord(aliceId, lab.commitment, potassiumObservation(4.4), {
      readers: readers.map((reader) => reader.publicKey),
      reasonCode: SupersedeReason.Correction,
    });
    detail(`wrapped for ${readers.length} consented reader(s) (gas ${corrected.receipt.gasUsed})`);
    const history = await asChenRecords.records.history(aliceId, lab.commitment);
    for (const [index, version] of history.entries()) {
      const info = await asChenRecords.records.verify(aliceId, version);
      detail(
        `version ${index + 1}: ${short(version)} ${RecordStatus[info.status]}, author ${info.author}, anchored ${iso(info.anchoredAt)}`,
      );
    }

    say("A copy of the first report is edited (4.1 → 7.1) and presented with its salt: it verifies to nothing.");
    const canonical = canonicalBytes(potassiumObservation(4.1));
    const tampered = Uint8Array.from(canonical);
    tampered[Buffer.from(canonical).indexOf("4.1")] = "7".charCodeAt(0);
    const forged = await asChenRecords.verifyRecord({ canonical: tampered, salt: read.salt }, { patient: aliceId });
    detail(`tampered copy: valid ${forged.valid}, problems [${forged.problems.join(", ")}]`);
    const original = await asChenRecords.verifyRecord(
      { resource: potassiumObservation(4.1), salt: read.salt },
      { patient: aliceId, category: DataCategory.LaboratoryResults },
    );
    detail(
      `the untouched first version: valid ${original.valid}, problems [${original.problems.join(", ")}], latest ${short(original.latest)}`,
    );

    say("Overnight St. Mary's anchors 1,000 synthetic vital-sign records of four patients under one Merkle root.");
    const inbox = path.join(workDir, "nightly");
    fs.mkdirSync(inbox);
    const patients = [aliceId, ...guardianIds];
    for (let index = 0; index < 1_000; index++) {
      const patient = patients[index % patients.length] ?? aliceId;
      const file = path.join(inbox, `vitals-${String(index).padStart(4, "0")}.json`);
      fs.writeFileSync(file, JSON.stringify(vitalsBundle(patient, index)));
    }
    const started = performance.now();
    let sealed = started;
    const nightly = await asChenRecords.as(hospitalNewKey).anchorDirectory(inbox, {
      organization: hospital.id,
      readers: [publicKeyOf(keys.hospital)],
      maxBatchSize: 1_000,
      onProgress: ({ done, total }) => {
        if (done === total) sealed = performance.now();
      },
    });
    const [batch] = nightly.batches;
    if (batch === undefined || nightly.batches.length !== 1) throw new Error("the demo expected exactly one batch");
    nightlyCount = batch.count;
    const seconds = (sealed - started) / 1000;
    detail(
      `root ${batch.root}: ${batch.count} records of ${categoryNames(batch.categories).join(", ")}, ${nightly.skipped.length} skipped`,
    );
    detail(`manifest ${batch.manifestAddress}`);
    detail(
      `gas ${batch.receipt.gasUsed} for the root transaction: ${batch.receipt.gasUsed / BigInt(batch.count)} per record`,
    );
    detail(
      `off chain: canonicalized, committed, encrypted and stored in ${seconds.toFixed(2)} s (${Math.round(batch.count / seconds)} records/s)`,
    );

    say("An auditor proves one of those records was in the batch, from the manifest alone, checked on chain.");
    const member = batch.records[417];
    if (member === undefined) throw new Error("the demo expected a 418th record in the batch");
    const proof = await asChenRecords.proveInclusion(hospital.id, batch.manifestAddress, member.commitment);
    detail(
      `${member.file}: ${short(member.commitment)} of patient ${proof.leaf.patient}, ${DataCategory[proof.leaf.category]}, proof of ${proof.proof.length} hashes`,
    );
    detail(`verifyInclusion on chain: ${proof.included}`);
    const wrongPatient = { ...proof.leaf, patient: proof.leaf.patient + 1n };
    detail(
      `the same proof for patient ${wrongPatient.patient}: ${await asChenRecords.records.verifyInclusion(hospital.id, proof.root, wrongPatient, proof.proof)}`,
    );

    say(
      "Dr. Haddad puts one of Alice's readings from that batch on her chart: adoption asks her consent, as an anchor does.",
    );
    const aliceLeaf = batch.records.find((record) => record.patient === aliceId);
    if (aliceLeaf === undefined) throw new Error("the demo expected a record of Alice in the batch");
    const aliceProof = await asChenRecords.proveInclusion(hospital.id, batch.manifestAddress, aliceLeaf.commitment);
    const asHaddadRecords = asChenRecords.records.as(internistKey);
    const adopt = () => asHaddadRecords.adopt(hospital.id, aliceProof.root, aliceProof.leaf, aliceProof.proof);
    detail(`Dr. Haddad, vital signs are not in the hospital's grant: ${await refused(adopt)}`);
    await asAlice.grant({
      patient: aliceId,
      grantee: hospital.id,
      categories: hospitalScope.categories | categorySet(DataCategory.VitalSigns),
      purposes: hospitalScope.purposes,
      validUntil: (await now()) + BigInt(365 * DAY),
    });
    const adopted = await adopt();
    const onChart = await asHaddadRecords.verify(aliceId, aliceLeaf.commitment);
    detail(
      `Alice adds vital signs to the hospital's grant; adopted: ${RecordStatus[onChart.status]}, organization ${onChart.organization}, dated to the batch ${iso(onChart.anchoredAt)} (gas ${adopted.receipt.gasUsed})`,
    );
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  // ---- claims ----------------------------------------------------------------------------------------------

  const { claimsAdjudicator, testStablecoin } = system;
  if (testStablecoin === undefined) throw new Error("the demo settles claims in the test stablecoin");
  const token = await ClaimsClient.connect(ethers.provider, deployment).settlementToken();
  const usd = (dollars: number) => BigInt(Math.round(dollars * 100)) * 10n ** BigInt(token.decimals - 2);
  const money = (amount: bigint) => `${token.symbol} ${formatAmount(amount, token.decimals)}`;
  const remit = (remittance: Remittance) => {
    for (const row of formatRemittance(remittance, token.decimals, `${token.symbol} `)) detail(row);
  };
  const asInsurer = ClaimsClient.connect(insurerKey, deployment);
  const asHospitalClaims = asInsurer.as(hospitalNewKey);
  const hospitalReferenceKey = keccak256(toUtf8Bytes("St. Mary's claim reference key"));

  say("The registrar verifies Evergreen Health, an insurer, and Dr. Patel, its medical director who reviews appeals.");
  const insurer = await asRegistrar.registerWithKey(insurerKey, {
    kind: ParticipantKind.Payer,
    credentialCommitment: commit("state insurance licence INS-55120, NAIC 60054").commitment,
    credentialExpiry: renewedExpiry,
  });
  const patel = await asRegistrar.registerWithKey(
    reviewerKey,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit("state medical licence MD-61877 / NPI 1093817465").commitment,
      credentialExpiry: renewedExpiry,
      affiliation: insurer.id,
    },
    insurerKey,
  );
  detail(`Evergreen is payer ${insurer.id}; Dr. Patel is participant ${patel.id}, affiliated with it`);

  say("Evergreen creates its Standard plan: $500 deductible, 20 % coinsurance, $3,000 out-of-pocket maximum.");
  const fees: [string, string, number, { copay?: number; requiresPriorAuth?: boolean; maxUnits?: number }][] = [
    ["99213", "office visit, established patient", 120, { copay: 30, maxUnits: 1 }],
    ["80053", "comprehensive metabolic panel", 45, { maxUnits: 1 }],
    ["70553", "MRI brain, with and without contrast", 1_800, { requiresPriorAuth: true, maxUnits: 1 }],
    ["27447", "total knee replacement", 25_000, { copay: 250, requiresPriorAuth: true, maxUnits: 1 }],
    ["97110", "physical therapy, per 15 minutes", 40, { copay: 20, maxUnits: 4 }],
  ];
  const builder = new PlanBuilder()
    .deductible(usd(500))
    .outOfPocketMax(usd(3_000))
    .coinsurance(2_000)
    .timelyFilingDays(90)
    .appealWindowDays(180)
    .inNetwork(hospital.id);
  for (const [code, , allowed, options] of fees) {
    builder.fee(code, usd(allowed), {
      copay: options.copay === undefined ? 0n : usd(options.copay),
      requiresPriorAuth: options.requiresPriorAuth ?? false,
      ...(options.maxUnits === undefined ? {} : { maxUnits: options.maxUnits }),
    });
  }
  const created = await asInsurer.createPlan(builder.build());
  const planId = created.planId;
  detail(
    `plan ${planId}: 90 days to file, 180 days to appeal; St. Mary's (${hospital.id}) in network; ${created.receipts.length} transactions (gas ${created.receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n)})`,
  );
  for (const [code, name, allowed, options] of fees) {
    detail(
      `  ${code} ${name}: allowed ${money(usd(allowed))}${options.copay === undefined ? "" : `, copay ${money(usd(options.copay))}`}${options.requiresPriorAuth === true ? ", prior authorization" : ""}, at most ${options.maxUnits} unit(s) a line`,
    );
  }

  say(`Claims settle in ${token.symbol}, the test stablecoin: the deployer mints Evergreen 100,000; it funds 50,000.`);
  await (await testStablecoin.connect(account(0)).mint(insurerKey.address, usd(100_000))).wait();
  const funded = await asInsurer.fund(usd(50_000));
  const payerAccount = await asInsurer.payerAccount(insurer.id);
  detail(
    `Evergreen's claims balance ${money(payerAccount.balance)}; its wallet ${money(await testStablecoin.balanceOf(insurerKey.address))} (gas ${funded.receipt.gasUsed} for the funding)`,
  );

  say("Evergreen enrolls Alice for a year under a member pseudonym, as the member number on her insurance card.");
  const memberKey = keccak256(toUtf8Bytes("Evergreen member pseudonym key"));
  const member = memberPseudonym(memberKey, planId, "EVG-0042117-01");
  const clock = await now();
  const today = clock - (clock % BigInt(DAY));
  const enrolled = await asInsurer.enroll(planId, member, today - BigInt(7 * DAY), today + BigInt(358 * DAY) - 1n);
  const [coverage] = await asInsurer.enrollments(planId, member);
  detail(
    `enrollment ${enrolled.seq} of member ${short(member)}: ${iso(coverage?.coverageStart ?? 0n)} until ${iso(coverage?.coverageEnd ?? 0n)} (gas ${enrolled.receipt.gasUsed})`,
  );
  detail(
    "claims never name her participant id: no other consortium member can join her procedure codes to her consent or records",
  );

  say("Dr. Chen sees Alice for an office visit and a metabolic panel, billed for St. Mary's: all of it is deductible.");
  const visitDay = today - BigInt(3 * DAY) + BigInt(10 * 3_600);
  const visit = await asHospitalClaims
    .as(doctorKey)
    .submitClaim(
      new ClaimBuilder(member, planId)
        .reference(hospitalReferenceKey, "SMH-2027-004217-01")
        .line("99213", 1n, usd(150), visitDay)
        .line("80053", 1n, usd(60), visitDay)
        .build(),
    );
  remit(visit.remittance);
  detail(
    `payment: ${PaymentStatus[visit.remittance.payment]} — the plan pays nothing yet (gas ${visit.receipt.gasUsed})`,
  );

  say("St. Mary's bills Alice's brain MRI, done without a prior authorization: denied, CO-197.");
  const mriDay = today - BigInt(2 * DAY) + BigInt(14 * 3_600);
  const mriClaim = new ClaimBuilder(member, planId)
    .reference(hospitalReferenceKey, "SMH-2027-004217-02")
    .line("70553", 1n, usd(2_400), mriDay)
    .attachment(attachmentCommitment(keccak256(toUtf8Bytes("MRI attachment salt")), aliceId, labCommitment))
    .build();
  const mri = await asHospitalClaims.submitClaim(mriClaim);
  remit(mri.remittance);
  detail(`gas ${mri.receipt.gasUsed}`);
  detail(
    `with one attachment: a salted commitment to her lab record that Evergreen opens off chain; submitting it again: ${await refused(() => asHospitalClaims.submitClaim(mriClaim))}`,
  );

  say("St. Mary's bills 12 units of physical therapy on one line: over the plan's 4-unit edit, denied CO-151.");
  const therapy = await asHospitalClaims.submitClaim(
    new ClaimBuilder(member, planId)
      .reference(hospitalReferenceKey, "SMH-2027-004217-03")
      .line("97110", 12n, usd(480), mriDay)
      .build(),
  );
  remit(therapy.remittance);
  detail("no single line can queue a payment the payer could not fund: every code has its edit");

  say("St. Mary's appeals the denial: the MRI was urgent. Dr. Patel cannot decide it yet: he lacks the reviewer role.");
  const appealed = await asHospitalClaims.fileAppeal(mri.claimId, 0);
  detail(`appeal of line 1 filed (gas ${appealed.receipt.gasUsed})`);
  const asPatel = asInsurer.as(reviewerKey);
  detail(`Dr. Patel decides: ${await refused(() => asPatel.decideAppeal(mri.claimId, 0, true))}`);

  say("The admin grants Dr. Patel CLAIMS_REVIEWER: scheduled, it waits out the admin delay, then executes.");
  const grantData = accessManager.interface.encodeFunctionData("grantRole", [
    Roles.CLAIMS_REVIEWER,
    reviewerKey.address,
    0,
  ]);
  const [, adminDelay] = await accessManager.canCall(admin.address, deployment.accessManager, grantData.slice(0, 10));
  await (await accessManager.connect(admin).schedule(deployment.accessManager, grantData, 0)).wait();
  await time.increase(adminDelay);
  await (await accessManager.connect(admin).execute(deployment.accessManager, grantData)).wait();
  const [reviewer] = await accessManager.hasRole(Roles.CLAIMS_REVIEWER, reviewerKey.address);
  detail(`after ${adminDelay} s: Dr. Patel holds CLAIMS_REVIEWER (${Roles.CLAIMS_REVIEWER}): ${reviewer}`);

  say("Dr. Patel overturns the denial: the MRI is re-adjudicated against Alice's deductible, and paid.");
  const decided = await asPatel.decideAppeal(mri.claimId, 0, true);
  remit(await asPatel.remittance(mri.claimId));
  const appeal = await asPatel.appeal(mri.claimId, 0);
  detail(
    `plan pays ${money(decided.line?.planPays ?? 0n)}: ${PaymentStatus[appeal.payment]} to St. Mary's (gas ${decided.receipt.gasUsed})`,
  );

  say("St. Mary's withdraws its balance in the stablecoin.");
  const balances = async () =>
    `St. Mary's wallet ${money(await testStablecoin.balanceOf(hospitalNewKey.address))}, owed ${money((await asInsurer.providerAccount(hospital.id)).balance)}; adjudicator holds ${money(await testStablecoin.balanceOf(await claimsAdjudicator.getAddress()))}`;
  detail(`before: ${await balances()}`);
  const withdrawn = await asHospitalClaims.withdraw(hospitalNewKey.address);
  detail(`withdrew ${money(withdrawn.amount)} (gas ${withdrawn.receipt.gasUsed})`);
  detail(`after:  ${await balances()}`);

  say("Alice's explanation of benefits: every claim of hers, line by line, and what she owes.");
  const eob = await asInsurer.explanationOfBenefits(member);
  for (const remittance of eob) remit(remittance);
  const owed = eob.reduce((sum, remittance) => sum + remittance.patientOwes, 0n);
  const planPaid = eob.reduce((sum, remittance) => sum + remittance.planPays, 0n);
  const [first] = await asInsurer.enrollments(planId, member);
  detail(
    `Alice owes ${money(owed)}; Evergreen paid ${money(planPaid)}; deductible met ${money(first?.deductibleMet ?? 0n)} of ${money(usd(500))}, out of pocket ${money(first?.oopMet ?? 0n)} of ${money(usd(3_000))}`,
  );
  const claimCount = eob.length;
  const approvedClaims = eob.filter((remittance) => remittance.status === ClaimStatus.Approved).length;

  const [requests, sessions] = [await consentRegistry.requestCount(), await system.breakGlass.sessionCount()];
  console.log(
    `\nDone: ${await identityRegistry.lastId()} participants, ${requests} access request(s), ${sessions} break-glass session(s), 2 record versions and a batch of ${nightlyCount}, ${claimCount} claims (${approvedClaims} approved, one after appeal) and ${money(planPaid)} paid; every step above on the audit trail as events.`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
