import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import { commit, ParticipantKind } from "../../sdk";
import { id as keccakText } from "ethers";
import type { GasRecorder } from "./recorder";

const C = "IdentityRegistry";
const DAY = 86_400;

/**
 * A salted commitment with a salt derived from the label, so that calldata — and with it the gas of every row — is the
 * same on every run. Production commitments use fresh random salts (`commit(data)`).
 */
const commitment = (label: string): string => commit(label, keccakText(`bench salt: ${label}`)).commitment;

/** Measures every external write of the IdentityRegistry on a freshly deployed system. */
export async function benchIdentity(system: CareLedgerSystem, gas: GasRecorder): Promise<void> {
  const { identityRegistry: registry, accessManager } = system;
  const signers = await ethers.getSigners();
  const [, admin, registrar, pauser] = signers;
  const fresh = signers.slice(5);
  let next = 0;
  const key = () => {
    const signer = fresh[next++];
    if (signer === undefined) throw new Error("the benchmark ran out of accounts; raise the hardhat network's count");
    return signer;
  };
  const expiry = BigInt((await time.latest()) + 365 * DAY);
  const asRegistrar = registry.connect(registrar);
  type Logged = { logs: readonly unknown[] };
  const id = async (pending: Logged | Promise<Logged>) => {
    const receipt = await pending;
    for (const log of receipt.logs) {
      const parsed = registry.interface.parseLog(log as Parameters<typeof registry.interface.parseLog>[0]);
      if (parsed?.name === "ParticipantRegistered") return parsed.args.id as bigint;
    }
    throw new Error("no ParticipantRegistered event");
  };

  // Registration.
  const hospitalKey = key();
  const hospital = await id(
    await gas.measure(C, "registerParticipant", "organization (first participant)", () =>
      asRegistrar.registerParticipant(
        ParticipantKind.Organization,
        hospitalKey.address,
        commitment("accreditation"),
        expiry,
        0,
      ),
    ),
  );
  const doctorKey = key();
  const doctor = await id(
    await gas.measure(C, "registerParticipant", "practitioner with affiliation", () =>
      asRegistrar.registerParticipant(
        ParticipantKind.Practitioner,
        doctorKey.address,
        commitment("licence"),
        expiry,
        hospital,
      ),
    ),
  );
  const patientKey = key();
  const patient = await id(
    await gas.measure(C, "registerPatient", "self-registration", () => registry.connect(patientKey).registerPatient()),
  );
  const guardianKeys = [key(), key(), key()];
  const guardians: bigint[] = [];
  for (const guardianKey of guardianKeys)
    guardians.push(await id((await (await registry.connect(guardianKey).registerPatient()).wait())!));

  // Registrar maintenance.
  await gas.measure(C, "markIdentityProofed", "patient", () => asRegistrar.markIdentityProofed(patient));
  await gas.measure(C, "renewCredential", "new commitment and expiry", () =>
    asRegistrar.renewCredential(doctor, commitment("licence renewed"), expiry + BigInt(DAY)),
  );
  const clinicKey = key();
  const clinic = await id(
    (await (
      await asRegistrar.registerParticipant(
        ParticipantKind.Organization,
        clinicKey.address,
        commitment("clinic"),
        expiry,
        0,
      )
    ).wait())!,
  );
  await gas.measure(C, "setAffiliation", "move to another organization", () =>
    asRegistrar.setAffiliation(doctor, clinic),
  );
  await gas.measure(C, "suspend", "active participant", () => asRegistrar.suspend(doctor, 1));
  await gas.measure(C, "reinstate", "suspended participant", () => asRegistrar.reinstate(doctor, 2));
  await gas.measure(C, "revoke", "active participant", () => asRegistrar.revoke(clinic, 3));

  // Key rotation: both steps, and a cancellation.
  const patientLaptop = key();
  const deadline = BigInt((await time.latest()) + 7 * DAY);
  const proposed = await gas.measure(C, "proposeControllerRotation", "fresh key", () =>
    registry.connect(patientKey).proposeControllerRotation(patient, patientLaptop.address, deadline),
  );
  const accepted = await gas.measure(C, "acceptControllerRotation", "live proposal", () =>
    registry.connect(patientLaptop).acceptControllerRotation(patient),
  );
  gas.add(C, "proposeControllerRotation+acceptControllerRotation", "both steps", proposed.gasUsed + accepted.gasUsed);
  await registry.connect(patientLaptop).proposeControllerRotation(patient, key().address, deadline);
  await gas.measure(C, "cancelControllerRotation", "one pending proposal", () =>
    registry.connect(patientLaptop).cancelControllerRotation(patient),
  );

  // Guardians and recovery.
  await gas.measure(C, "setGuardians", "3 guardians, threshold 2", () =>
    registry.connect(patientLaptop).setGuardians(patient, guardians, 2, 3 * DAY),
  );
  const patientPhone = key();
  await gas.measure(C, "approveRecovery", "first approval (opens the recovery)", () =>
    registry.connect(guardianKeys[0]).approveRecovery(patient, patientPhone.address),
  );
  await gas.measure(C, "approveRecovery", "approval reaching the threshold", () =>
    registry.connect(guardianKeys[1]).approveRecovery(patient, patientPhone.address),
  );
  await time.increase(3 * DAY);
  await gas.measure(C, "executeRecovery", "after the delay", () =>
    registry.connect(guardianKeys[2]).executeRecovery(patient),
  );
  await registry.connect(guardianKeys[0]).approveRecovery(patient, key().address);
  await gas.measure(C, "cancelRecovery", "pending recovery", () =>
    registry.connect(patientPhone).cancelRecovery(patient),
  );

  // Representatives and identifiers.
  const representative = guardians[0]!;
  await gas.measure(C, "appointRepresentative", "new appointment", () =>
    registry.connect(patientPhone).appointRepresentative(patient, representative, expiry),
  );
  await gas.measure(C, "revokeRepresentative", "by the patient", () =>
    registry.connect(patientPhone).revokeRepresentative(patient, representative),
  );
  await registry.connect(patientPhone).appointRepresentative(patient, representative, expiry);
  await gas.measure(C, "resignRepresentative", "by the representative", () =>
    registry.connect(guardianKeys[0]).resignRepresentative(patient, representative),
  );
  await gas.measure(C, "bindIdentifierCommitment", "new commitment", () =>
    registry.connect(patientPhone).bindIdentifierCommitment(patient, commitment("urn:mrn|0042")),
  );

  // Delayed operations through the AccessManager: measured as the execute transaction.
  const target = await registry.getAddress();
  const recover = registry.interface.encodeFunctionData("recoverController", [hospital, key().address]);
  await (await accessManager.connect(registrar).schedule(target, recover, 0)).wait();
  await time.increase(system.parameters.adminExecutionDelay);
  await gas.measure(C, "recoverController", "via AccessManager.execute after the delay", () =>
    accessManager.connect(registrar).execute(target, recover),
  );
  await gas.measure(C, "pause", "by the pauser", () => registry.connect(pauser).pause());
  const unpause = registry.interface.encodeFunctionData("unpause");
  await (await accessManager.connect(admin).schedule(target, unpause, 0)).wait();
  await time.increase(system.parameters.adminExecutionDelay);
  await gas.measure(C, "unpause", "via AccessManager.execute after the delay", () =>
    accessManager.connect(admin).execute(target, unpause),
  );
}
