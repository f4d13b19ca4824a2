import { time } from "@nomicfoundation/hardhat-network-helpers";

import { commit, identifierCommitment, IdentifierClient, IdentityClient, ParticipantKind, Roles } from "../../sdk";
import {
  DAY,
  detail,
  duration,
  gas,
  introduce,
  listed,
  named,
  nameOf,
  refused,
  say,
  technical,
  verbose,
  when,
  yes,
} from "./narration";
import { now, type Participants, type Story } from "./story";

/**
 * Identity: a registrar verifies a hospital and a cardiologist (each key signs its consent; the hospital accepts its
 * doctor), a patient registers herself, the hospital attests her record number and she accepts it, she names
 * guardians and rotates her key in one step; the key is stolen, the thief's guardian change is vetoed and the
 * guardians recover her id over the thief's objection; the hospital loses its key and the registrar recovers it, to
 * a key that consented, after the delay; a year later an unrenewed licence has lapsed.
 */
export async function identityChapter(story: Story): Promise<Participants> {
  const { hospital, doctor } = await verifyInstitutions(story);
  const { alice, guardians } = await registerAlice(story, hospital);
  await guardiansAndRotation(story, alice, guardians);
  await recoverFromTheft(story, alice, guardians);
  await recoverHospitalKey(story, hospital);

  say("A year later Dr. Chen's licence has expired: nobody acted, and he counts as inactive.");
  await time.increase(365 * DAY);
  const { identityRegistry } = story.system;
  detail(
    `Dr. Chen active: ${yes(await identityRegistry.isActive(doctor))}; Alice active: ${yes(await identityRegistry.isActive(alice))}`,
  );
  return { hospital, doctor, alice, guardians };
}

async function verifyInstitutions({ system, cast }: Story): Promise<{ hospital: bigint; doctor: bigint }> {
  const { deployment, identityRegistry } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  const expiry = (await now()) + BigInt(365 * DAY);

  say("The registrar verifies St. Mary's Hospital from its accreditation document; the hospital's key consents.");
  const accreditation = commit("accreditation certificate #A-2291, issued 2026-03-01");
  const hospital = await asRegistrar.registerWithKey(cast.hospitalKey, {
    kind: ParticipantKind.Organization,
    credentialCommitment: accreditation.commitment,
    credentialExpiry: expiry,
  });
  introduce(hospital.id, "St. Mary's");
  detail(`the hospital is participant ${hospital.id}; on chain only a salted commitment to its accreditation`);
  technical(`commitment ${accreditation.commitment}`);
  detail("no address is ever bound without its own signature (EIP-712 consent) or transaction");

  say("The registrar verifies Dr. Chen, a cardiologist, and offers him to the hospital; the hospital accepts him.");
  const licence = commit("state medical licence MD-88412 / NPI 1234567893");
  const doctor = await asRegistrar.registerWithKey(cast.doctorKey, {
    kind: ParticipantKind.Practitioner,
    credentialCommitment: licence.commitment,
    credentialExpiry: expiry,
    affiliation: hospital.id,
  });
  introduce(doctor.id, "Dr. Chen");
  detail(
    `Dr. Chen is participant ${doctor.id}; offered to ${nameOf(await identityRegistry.affiliationOffer(doctor.id))}, active: ${yes(await identityRegistry.isActive(doctor.id))} (a registrar alone puts no one into a hospital)`,
  );
  const acceptedChen = await IdentityClient.connect(cast.hospitalKey, deployment).acceptAffiliate(doctor.id);
  detail(
    `the hospital's key accepts him: active: ${yes(await identityRegistry.isActive(doctor.id))}${gas(acceptedChen)}`,
  );
  return { hospital: hospital.id, doctor: doctor.id };
}

async function registerAlice(
  { system, cast }: Story,
  hospital: bigint,
): Promise<{ alice: bigint; guardians: bigint[] }> {
  const { deployment } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  say("Alice registers herself as a pseudonymous patient; her mother, brother and a friend do too.");
  const aliceId = (await IdentityClient.connect(cast.alice, deployment).registerPatient()).id;
  const guardianIds: bigint[] = [];
  for (const guardian of [cast.mother, cast.brother, cast.friend]) {
    guardianIds.push((await IdentityClient.connect(guardian, deployment).registerPatient()).id);
  }
  introduce(aliceId, "Alice");
  guardianIds.forEach((id, index) => introduce(id, ["her mother", "her brother", "her friend"][index] ?? "a guardian"));
  detail(`Alice is patient ${aliceId}; her mother, brother and friend are participants ${guardianIds.join(", ")}`);

  say("At the front desk the registrar checks Alice's ID card and marks her identity-proofed.");
  await asRegistrar.markIdentityProofed(aliceId);
  detail(`identity-proofed: ${yes((await asRegistrar.participant(aliceId)).identityProofed)}`);

  say("St. Mary's attests the record number it issued Alice, as a salted commitment; Alice accepts it.");
  const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217");
  const identifiers = IdentifierClient.connect(cast.hospitalKey, deployment);
  await identifiers.attest(aliceId, mrn.commitment);
  const brotherTakes = () => identifiers.as(cast.brother).accept(guardianIds[1] ?? 0n, hospital, mrn.commitment);
  detail(
    `her brother tries to take it: ${await refused(brotherTakes, "IdentifierNoAttestation", "St. Mary's attested that number for Alice, not for him")}`,
  );
  await identifiers.as(cast.alice).accept(aliceId, hospital, mrn.commitment);
  detail(
    `the record number issued by ${nameOf(hospital)} belongs to ${nameOf((await identifiers.ownerOf(hospital, mrn.commitment)) ?? 0n)}; on chain only its salted commitment`,
  );
  technical(`commitment ${mrn.commitment}`);
  return { alice: aliceId, guardians: guardianIds };
}

async function guardiansAndRotation({ system, cast }: Story, aliceId: bigint, guardianIds: bigint[]): Promise<void> {
  const { deployment } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  say("Alice names her three guardians: any two of them can recover her id after a 3-day delay.");
  await IdentityClient.connect(cast.alice, deployment).setGuardians(aliceId, guardianIds, 2, 3 * DAY);
  const set = await asRegistrar.guardiansOf(aliceId);
  detail(`any ${set.threshold} of ${listed(set.guardians.map(nameOf))}, after ${duration(set.delay)}`);

  say("Alice moves her key to her laptop in one step: the laptop signs its consent, her old key sends it.");
  const rotated = await IdentityClient.connect(cast.alice, deployment).rotateTo(aliceId, cast.aliceLaptop);
  detail(
    `her id is now controlled by ${named("her laptop", (await asRegistrar.participant(aliceId)).controller)}${gas(rotated)}`,
  );
  const oldKey = () => IdentityClient.connect(cast.alice, deployment).setGuardians(aliceId, [], 0, 0);
  detail(
    `the old key at once: ${await refused(oldKey, "IdentityNotController", "that key no longer controls her id")}`,
  );
}

async function recoverFromTheft({ system, cast }: Story, aliceId: bigint, guardianIds: bigint[]): Promise<void> {
  const { deployment } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  say("The laptop is stolen. The thief tries to replace Alice's guardians with an accomplice: the change must wait.");
  const asThief = IdentityClient.connect(cast.aliceLaptop, deployment);
  await asThief.setGuardians(aliceId, [guardianIds[2] ?? 0n], 1, DAY);
  const scheduled = await asRegistrar.pendingGuardianChange(aliceId);
  detail(`guardian change scheduled, effective ${when(scheduled?.effectiveAt ?? 0n)}, unless the guardians veto it`);
  await IdentityClient.connect(cast.mother, deployment).vetoGuardianChange(aliceId);
  await IdentityClient.connect(cast.brother, deployment).vetoGuardianChange(aliceId);
  detail(
    `mother and brother veto it: pending change ${(await asRegistrar.pendingGuardianChange(aliceId)) === undefined ? "gone" : "still there"}, guardians unchanged`,
  );

  say("Mother and brother approve recovering Alice's id to her new phone; the thief's objection alone is not enough.");
  const phone = cast.alicePhone.address;
  await IdentityClient.connect(cast.mother, deployment).approveRecovery(aliceId, phone);
  await IdentityClient.connect(cast.brother, deployment).approveRecovery(aliceId, phone);
  await asThief.cancelRecovery(aliceId, phone);
  const recovery = await asRegistrar.recoveryOf(aliceId, phone);
  detail(
    `${recovery?.approvals} approvals, ${recovery?.objections} objection; executable from ${when(recovery?.readyAt ?? 0n)} until ${when(recovery?.expiresAt ?? 0n)}`,
  );
  const asPhone = IdentityClient.connect(cast.alicePhone, deployment);
  detail(
    `executing now: ${await refused(() => asPhone.executeRecovery(aliceId), "IdentityRecoveryNotReady", `not before ${when(recovery?.readyAt ?? 0n)}`)}`,
  );

  say("Three days pass; the phone executes the recovery (only the key being recovered to can).");
  await time.increase(3 * DAY);
  await asPhone.executeRecovery(aliceId);
  detail(
    `Alice (still patient ${aliceId}) is controlled by ${named("her phone", (await asRegistrar.participant(aliceId)).controller)}`,
  );
  detail(
    `the stolen laptop: ${await refused(() => asThief.setGuardians(aliceId, [], 0, 0), "IdentityNotController", "the laptop no longer controls her id")}`,
  );
}

async function recoverHospitalKey({ system, cast }: Story, hospital: bigint): Promise<void> {
  const { accessManager, deployment, identityRegistry } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  say(
    "The hospital loses its key. The registrar schedules a recovery to a key that consented; it waits out the delay.",
  );
  const transfer = await asRegistrar.consentToTransfer(cast.hospitalNewKey, hospital);
  const data = identityRegistry.interface.encodeFunctionData("recoverController", [
    hospital,
    cast.hospitalNewKey.address,
    transfer.deadline,
    transfer.signature,
  ]);
  const target = deployment.identityRegistry;
  const [, delay] = await accessManager.canCall(cast.registrar.address, target, data.slice(0, 10));
  await (await accessManager.connect(cast.registrar).schedule(target, data, 0)).wait();
  detail(
    `scheduled; the registrar's role for this, INSTITUTION_RECOVERY${verbose ? ` (${Roles.INSTITUTION_RECOVERY})` : ""}, waits ${duration(delay)}, during which the admin can cancel`,
  );
  await time.increase(delay);
  await (await accessManager.connect(cast.registrar).execute(target, data)).wait();
  detail(
    `${nameOf(hospital)} (still participant ${hospital}) is controlled by ${named("its new key", (await asRegistrar.participant(hospital)).controller)}`,
  );
}
