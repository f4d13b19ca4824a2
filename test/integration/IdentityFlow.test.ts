import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";

import {
  CareLedgerError,
  commit,
  ControllerChange,
  IdentifierClient,
  identifierCommitment,
  IdentityClient,
  ParticipantKind,
  ParticipantStatus,
  Roles,
  withDecodedErrors,
} from "../../sdk";
import { systemFixture } from "../fixtures/system";

const DAY = 86_400;

/** Runs `action` and returns the custom error it was refused with, decoded by the SDK. */
async function refusal(action: () => Promise<unknown>): Promise<CareLedgerError> {
  const outcome = await action().then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof CareLedgerError)) throw new Error(`expected a CareLedgerError, got ${String(outcome)}`);
  return outcome;
}

/**
 * A whole identity life cycle through the SDK on the production deployment, in the order a consortium lives it:
 * institutions verified with their keys' consent, a practitioner accepted by his hospital, a patient onboarded and
 * proofed, her medical record number attested by the hospital and accepted by her in the identifier registry, her key
 * rotated, then stolen and recovered by her guardians in spite of the thief (whose objection alone cancels nothing and
 * whose old key is retired for good), an institution recovered by the registrar through the admin delay, and credentials
 * expiring on their own.
 */
describe("Identity flow (integration, through the SDK)", () => {
  it("takes a patient and her providers from registration through rotation, recovery and expiry", async () => {
    const { deployment, accessManager, identityRegistry, identifierRegistry, registrar, admin, parameters, others } =
      await loadFixture(systemFixture);
    const [hospitalKey, hospitalNewKey, doctorKey, alice, laptop, phone, mother, brother, friend] = others;
    const asRegistrar = IdentityClient.connect(registrar, deployment);
    const as = (signer: typeof alice) => IdentityClient.connect(signer!, deployment);
    const identifiers = (signer: typeof alice) => IdentifierClient.connect(signer!, deployment);
    const expiry = BigInt((await time.latest()) + 365 * DAY);

    // The registrar verifies a hospital and offers it a cardiologist; each key signed its consent to be registered.
    const hospital = await asRegistrar.registerWithKey(hospitalKey!, {
      kind: ParticipantKind.Organization,
      credentialCommitment: commit("accreditation A-2291").commitment,
      credentialExpiry: expiry,
    });
    const doctor = await asRegistrar.registerWithKey(doctorKey!, {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit("licence MD-88412").commitment,
      credentialExpiry: expiry,
      affiliation: hospital.id,
    });
    // Until the hospital accepts him, the registrar's offer does not make him one of its doctors.
    expect(await identityRegistry.standingOf(doctor.id)).to.deep.equal([
      BigInt(ParticipantKind.Practitioner),
      0n,
      false,
    ]);
    expect(await asRegistrar.activeIdOf(doctorKey!.address, ParticipantKind.Practitioner)).to.equal(0n);
    await as(hospitalKey).acceptAffiliate(doctor.id);
    expect(await identityRegistry.standingOf(doctor.id)).to.deep.equal([
      BigInt(ParticipantKind.Practitioner),
      hospital.id,
      true,
    ]);
    expect(await asRegistrar.activeIdOf(doctorKey!.address, ParticipantKind.Practitioner)).to.equal(doctor.id);

    // Alice self-registers and is proofed at the front desk; the hospital attests her medical record number (a salted
    // commitment in its own namespace of the identifier registry) and she accepts it. Nobody else can claim it.
    const aliceId = (await as(alice).registerPatient()).id;
    const guardianIds = [(await as(mother).registerPatient()).id, (await as(brother).registerPatient()).id];
    guardianIds.push((await as(friend).registerPatient()).id);
    await asRegistrar.markIdentityProofed(aliceId);
    const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217");
    await identifiers(hospitalKey).attest(aliceId, mrn.commitment);
    expect(await identifiers(alice).ownerOf(hospital.id, mrn.commitment), "attested, not accepted").to.equal(undefined);
    const claimed = await refusal(() => identifiers(mother).accept(guardianIds[0]!, hospital.id, mrn.commitment));
    expect([claimed.errorName, ...claimed.args]).to.deep.equal([
      "IdentifierNoAttestation",
      hospital.id,
      mrn.commitment,
      guardianIds[0],
    ]);
    const receipt = await identifiers(alice).accept(aliceId, hospital.id, mrn.commitment);
    await expect(receipt).to.emit(identifierRegistry, "IdentifierBound").withArgs(aliceId, hospital.id, mrn.commitment);
    expect(await identifiers(alice).ownerOf(hospital.id, mrn.commitment)).to.equal(aliceId);

    // Guardians (2 of 3, 3-day delay, in force at once as her first) and a representative (her mother, for a year).
    await as(alice).setGuardians(aliceId, guardianIds, 2, 3 * DAY);
    expect(await asRegistrar.guardiansOf(aliceId)).to.deep.equal({
      guardians: guardianIds,
      threshold: 2,
      delay: 3 * DAY,
    });
    await as(alice).appointRepresentative(aliceId, guardianIds[0]!, expiry);
    expect(await identityRegistry.isRepresentative(aliceId, guardianIds[0]!)).to.equal(true);

    // She rotates her key to her laptop, which signs its consent; the old key is refused at once, and her id,
    // proofing and identifier survive.
    const rotated = await as(alice).rotateTo(aliceId, laptop!);
    await expect(rotated)
      .to.emit(identityRegistry, "ControllerChanged")
      .withArgs(aliceId, alice!.address, laptop!.address, ControllerChange.Rotation);
    const refused = await refusal(() => as(alice).rotateTo(aliceId, phone!));
    expect([refused.errorName, ...refused.args]).to.deep.equal(["IdentityNotController", aliceId, alice!.address]);
    const afterRotation = await asRegistrar.participant(aliceId);
    expect([afterRotation.controller, afterRotation.identityProofed, afterRotation.active]).to.deep.equal([
      laptop!.address,
      true,
      true,
    ]);
    expect(await identifierRegistry.ownerOf(hospital.id, mrn.commitment)).to.equal(aliceId);

    // The laptop is stolen: her mother and brother approve her phone as the new key.
    await as(mother).approveRecovery(aliceId, phone!.address);
    await as(brother).approveRecovery(aliceId, phone!.address);
    const pending = await asRegistrar.recoveryOf(aliceId, phone!.address);
    expect(pending?.approvals).to.equal(2);
    // The thief holds the laptop: with three guardians, cancelling takes two objections (her key's and a guardian's,
    // or two guardians'), so his objection cancels nothing, and he cannot object twice...
    await as(laptop).cancelRecovery(aliceId, phone!.address);
    expect((await asRegistrar.recoveryOf(aliceId, phone!.address))?.objections).to.equal(1);
    const cancelled = await refusal(() => as(laptop).cancelRecovery(aliceId, phone!.address));
    expect([cancelled.errorName, ...cancelled.args]).to.deep.equal([
      "IdentityRecoveryAlreadyObjected",
      aliceId,
      laptop!.address,
    ]);
    // ...nor drop the guardians at once...
    await as(laptop).setGuardians(aliceId, [], 0, 0);
    expect((await asRegistrar.guardiansOf(aliceId)).guardians).to.deep.equal(guardianIds);
    // ...and a majority of her guardians vetoes the change he asked for.
    await as(friend).vetoGuardianChange(aliceId);
    await as(mother).vetoGuardianChange(aliceId);
    expect(await asRegistrar.pendingGuardianChange(aliceId)).to.equal(undefined);
    // The phone itself executes the recovery once the delay has run; nobody else can.
    expect((await refusal(() => as(phone).executeRecovery(aliceId))).errorName).to.equal("IdentityRecoveryNotReady");
    await time.increaseTo(pending!.readyAt);
    expect((await refusal(() => as(friend).executeRecovery(aliceId))).errorName).to.equal("IdentityNoPendingRecovery");
    await as(phone).executeRecovery(aliceId);
    expect(await asRegistrar.idOf(phone!.address)).to.equal(aliceId);
    expect(await asRegistrar.idOf(laptop!.address)).to.equal(0n);
    expect(await asRegistrar.recoveryOf(aliceId, phone!.address)).to.equal(undefined);
    // The stolen laptop is retired: the thief cannot even register it as a patient of his own.
    const reused = await refusal(() => as(laptop).registerPatient());
    expect([reused.errorName, ...reused.args]).to.deep.equal(["IdentityAccountAlreadyBound", laptop!.address]);
    expect(await identifierRegistry.ownerOf(hospital.id, mrn.commitment)).to.equal(aliceId);

    // The hospital loses its key: its new key signs its consent, and the registrar's recovery waits out the admin
    // delay on the AccessManager.
    const target = deployment.identityRegistry;
    const consent = await asRegistrar.consentToTransfer(hospitalNewKey!, hospital.id);
    const recover = identityRegistry.interface.encodeFunctionData("recoverController", [
      hospital.id,
      hospitalNewKey!.address,
      consent.deadline,
      consent.signature,
    ]);
    expect(
      (
        await refusal(() =>
          withDecodedErrors(() =>
            asRegistrar.registry.recoverController(
              hospital.id,
              hospitalNewKey!.address,
              consent.deadline,
              consent.signature,
            ),
          ),
        )
      ).errorName,
    ).to.equal("AccessManagerNotScheduled");
    await accessManager.connect(registrar).schedule(target, recover, 0);
    await time.increase(parameters.adminExecutionDelay);
    await expect(accessManager.connect(registrar).execute(target, recover))
      .to.emit(identityRegistry, "ControllerChanged")
      .withArgs(hospital.id, hospitalKey!.address, hospitalNewKey!.address, ControllerChange.RegistrarRecovery);
    expect(await asRegistrar.activeIdOf(hospitalNewKey!.address, ParticipantKind.Organization)).to.equal(hospital.id);
    // The doctor stays the hospital's: its affiliation names the id, not the key.
    expect(await asRegistrar.activeIdOf(doctorKey!.address, ParticipantKind.Practitioner)).to.equal(doctor.id);

    // The consortium admin holds its role with the same delay, so its own operations wait just as long.
    const [, adminDelay] = await accessManager.hasRole(Roles.ADMIN, admin.address);
    expect(Number(adminDelay)).to.equal(parameters.adminExecutionDelay);

    // The registrar suspends the doctor, reinstates him; a year later his licence has lapsed with nobody acting.
    await asRegistrar.suspend(doctor.id, 12);
    expect((await asRegistrar.participant(doctor.id)).status).to.equal(ParticipantStatus.Suspended);
    await asRegistrar.reinstate(doctor.id, 13);
    await time.increaseTo(expiry);
    expect(await identityRegistry.isActive(doctor.id)).to.equal(false);
    expect(await asRegistrar.activeIdOf(doctorKey!.address, ParticipantKind.Practitioner)).to.equal(0n);
    expect(await identityRegistry.isActive(aliceId)).to.equal(true);
    // The mother's appointment has lapsed too.
    expect(await identityRegistry.isRepresentative(aliceId, guardianIds[0]!)).to.equal(false);
  });
});
