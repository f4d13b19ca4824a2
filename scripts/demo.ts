/**
 * `npm run demo`: deploys the whole CareLedger system to the in-process chain through the production deploy
 * modules and walks a story: a registrar verifies a hospital and a cardiologist, a patient registers herself and
 * names guardians, rotates her key, loses the new one and is recovered by her guardians; the hospital loses its key
 * and is recovered by the registrar after the admin delay.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";

import { deployCareLedger, loadParameters } from "../deploy";
import { CareLedgerError, commit, identifierCommitment, IdentityClient, ParticipantKind, Roles } from "../sdk";

const DAY = 86_400;
let step = 0;

function say(text: string): void {
  console.log(`\n${++step}. ${text}`);
}

function detail(text: string): void {
  console.log(`   ${text}`);
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
  const [
    ,
    admin,
    registrar,
    ,
    ,
    hospitalKey,
    hospitalNewKey,
    doctorKey,
    alice,
    aliceLaptop,
    alicePhone,
    mother,
    brother,
    friend,
  ] = signers;
  if (friend === undefined) throw new Error("the demo needs 14 accounts");

  console.log("CareLedger demo — identity and governance on the in-process chain");
  const system = await deployCareLedger(hre, loadParameters(hre.network.name));
  const { accessManager, identityRegistry, deployment, parameters } = system;
  say("The consortium deploys CareLedger through its Ignition modules.");
  detail(`AccessManager ${deployment.accessManager}, IdentityRegistry ${deployment.identityRegistry}`);
  detail(`admin ${admin!.address} acts only through scheduled operations (${parameters.adminExecutionDelay} s delay)`);

  const asRegistrar = IdentityClient.connect(registrar!, deployment);
  const expiry = BigInt((await time.latest()) + 365 * DAY);

  say("The registrar verifies St. Mary's Hospital from its accreditation document.");
  const accreditation = commit("accreditation certificate #A-2291, issued 2026-03-01");
  const hospital = await asRegistrar.registerParticipant({
    kind: ParticipantKind.Organization,
    controller: hospitalKey!.address,
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
    controller: doctorKey!.address,
    credentialCommitment: licence.commitment,
    credentialExpiry: expiry,
    affiliation: hospital.id,
  });
  detail(`Dr. Chen is participant ${doctor.id}, active: ${await identityRegistry.isActive(doctor.id)}`);

  say("Alice registers herself as a pseudonymous patient; her mother, brother and a friend do too.");
  const aliceId = (await IdentityClient.connect(alice!, deployment).registerPatient()).id;
  const guardianIds: bigint[] = [];
  for (const guardian of [mother!, brother!, friend]) {
    guardianIds.push((await IdentityClient.connect(guardian, deployment).registerPatient()).id);
  }
  detail(`Alice is patient ${aliceId}; guardians are participants ${guardianIds.join(", ")}`);

  say("At the front desk the registrar checks Alice's ID card and marks her identity-proofed.");
  await asRegistrar.markIdentityProofed(aliceId);
  detail(`identity-proofed: ${(await asRegistrar.participant(aliceId)).identityProofed}`);

  say("Alice links her hospital record number without revealing it: a salted commitment.");
  const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217");
  await IdentityClient.connect(alice!, deployment).bindIdentifierCommitment(aliceId, mrn.commitment);
  detail(
    `commitment ${mrn.commitment.slice(0, 18)}… belongs to patient ${await identityRegistry.identifierOwner(mrn.commitment)}`,
  );
  detail(
    `binding it again: ${await refused(() => IdentityClient.connect(alice!, deployment).bindIdentifierCommitment(aliceId, mrn.commitment))}`,
  );

  say("Alice names her three guardians: any two of them can recover her id after a 3-day delay.");
  await IdentityClient.connect(alice!, deployment).setGuardians(aliceId, guardianIds, 2, 3 * DAY);
  const set = await asRegistrar.guardiansOf(aliceId);
  detail(`${set.threshold} of [${set.guardians.join(", ")}], delay ${set.delay / DAY} days`);

  say("Alice moves her key to her laptop: the old key proposes, the laptop accepts.");
  const deadline = BigInt((await time.latest()) + 2 * DAY);
  const proposed = await IdentityClient.connect(alice!, deployment).proposeRotation(
    aliceId,
    aliceLaptop!.address,
    deadline,
  );
  const accepted = await IdentityClient.connect(aliceLaptop!, deployment).acceptRotation(aliceId);
  detail(
    `controller is now ${(await asRegistrar.participant(aliceId)).controller} (gas ${proposed.gasUsed + accepted.gasUsed} for both steps)`,
  );
  detail(
    `the old key at once: ${await refused(() => IdentityClient.connect(alice!, deployment).setGuardians(aliceId, [], 0, 0))}`,
  );

  say("The laptop is stolen. Mother and brother approve recovering Alice's id to her new phone.");
  await IdentityClient.connect(mother!, deployment).approveRecovery(aliceId, alicePhone!.address);
  await IdentityClient.connect(brother!, deployment).approveRecovery(aliceId, alicePhone!.address);
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
    `the stolen laptop: ${await refused(() => IdentityClient.connect(aliceLaptop!, deployment).cancelRecovery(aliceId))}`,
  );

  say("The hospital loses its key. The registrar schedules a recovery; it waits out the admin delay.");
  const data = identityRegistry.interface.encodeFunctionData("recoverController", [
    hospital.id,
    hospitalNewKey!.address,
  ]);
  const target = deployment.identityRegistry;
  const [, delay] = await accessManager.canCall(registrar!.address, target, data.slice(0, 10));
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

  console.log(
    `\nDone: ${await identityRegistry.lastId()} participants, every step above on the audit trail as events.`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
