import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { id as keccakText } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import { commit, IdentityClient, type KeyConsent, ParticipantKind } from "../../sdk";
import type { GasRecorder } from "./recorder";

const C = "IdentityRegistry";
const I = "IdentifierRegistry";
const DAY = 86_400;
/** The chain's clock at the start of the identity rows: 2028-01-01T00:00:00Z, so that every signed deadline (and with
 * it every signature and every row's calldata) is the same on every run. */
const BASE = 1_830_297_600;

/**
 * A salted commitment with a salt derived from the label, so that calldata — and with it the gas of every row — is the
 * same on every run. Production commitments use fresh random salts (`commit(data)`).
 */
const commitment = (label: string): string => commit(label, keccakText(`bench salt: ${label}`)).commitment;

/** Measures every external write of the IdentityRegistry and the IdentifierRegistry on a freshly deployed system. */
export async function benchIdentity(system: CareLedgerSystem, gas: GasRecorder): Promise<void> {
  const { identityRegistry: registry, identifierRegistry: identifiers, accessManager } = system;
  const signers = await ethers.getSigners();
  const [, admin, registrar, pauser] = signers;
  if (admin === undefined || registrar === undefined || pauser === undefined) throw new Error("missing accounts");
  const fresh = signers.slice(5);
  let next = 0;
  const key = (): HardhatEthersSigner => {
    const signer = fresh[next++];
    if (signer === undefined) throw new Error("the benchmark ran out of accounts; raise the hardhat network's count");
    return signer;
  };
  if ((await time.latest()) >= BASE) throw new Error("the identity benchmark's fixed clock is in the past");
  await time.increaseTo(BASE);
  const expiry = BigInt(BASE + 365 * DAY);
  const client = IdentityClient.connect(registrar, system.deployment);
  const asRegistrar = registry.connect(registrar);
  type Logged = { logs: readonly unknown[] };
  const id = (receipt: Logged): bigint => {
    for (const log of receipt.logs) {
      const parsed = registry.interface.parseLog(log as Parameters<typeof registry.interface.parseLog>[0]);
      if (parsed?.name === "ParticipantRegistered") return parsed.args.id as bigint;
    }
    throw new Error("no ParticipantRegistered event");
  };
  /** A key's consent, valid for a week from the latest block (a fixed instant, so the signature is the same). */
  const week = BigInt(7 * DAY);
  const registration = (signer: HardhatEthersSigner, kind: ParticipantKind, affiliation = 0n): Promise<KeyConsent> =>
    client.consentToRegistration(signer, kind, affiliation, week);
  const register = async (
    label: string,
    signer: HardhatEthersSigner,
    kind: ParticipantKind,
    affiliation = 0n,
    variant?: string,
  ): Promise<bigint> => {
    const consent = await registration(signer, kind, affiliation);
    const send = () =>
      asRegistrar.registerParticipant(
        kind,
        signer.address,
        commitment(label),
        expiry,
        affiliation,
        consent.deadline,
        consent.signature,
      );
    return id(
      variant === undefined
        ? (await (await send()).wait())!
        : await gas.measure(C, "registerParticipant", variant, send),
    );
  };

  // Registration: by a registrar with the key's signed consent; a practitioner is active once its organization accepts.
  const hospitalKey = key();
  const hospital = await register(
    "accreditation",
    hospitalKey,
    ParticipantKind.Organization,
    0n,
    "organization (first participant, the key's signed consent)",
  );
  const doctorKey = key();
  const doctor = await register(
    "licence",
    doctorKey,
    ParticipantKind.Practitioner,
    hospital,
    "practitioner offered to an organization",
  );
  await gas.measure(C, "acceptAffiliate", "the organization accepts its practitioner", () =>
    registry.connect(hospitalKey).acceptAffiliate(doctor),
  );
  const patientKey = key();
  const patient = id(
    await gas.measure(C, "registerPatient", "self-registration", () => registry.connect(patientKey).registerPatient()),
  );
  const guardianKeys = [key(), key(), key()] as const;
  const guardians: bigint[] = [];
  for (const guardianKey of guardianKeys)
    guardians.push(id((await (await registry.connect(guardianKey).registerPatient()).wait())!));

  // Registrar maintenance, and an organization's own: moving a practitioner needs the new organization's acceptance.
  await gas.measure(C, "markIdentityProofed", "patient", () => asRegistrar.markIdentityProofed(patient));
  await gas.measure(C, "renewCredential", "new commitment and expiry", () =>
    asRegistrar.renewCredential(doctor, commitment("licence renewed"), expiry + BigInt(DAY)),
  );
  const clinicKey = key();
  const clinic = await register("clinic", clinicKey, ParticipantKind.Organization);
  await gas.measure(C, "setAffiliation", "offer to another organization", () =>
    asRegistrar.setAffiliation(doctor, clinic),
  );
  await gas.measure(C, "acceptAffiliate", "the new organization takes a practitioner over", () =>
    registry.connect(clinicKey).acceptAffiliate(doctor),
  );
  await gas.measure(C, "releaseAffiliate", "by the organization", () =>
    registry.connect(clinicKey).releaseAffiliate(doctor),
  );
  await gas.measure(C, "suspend", "active participant", () => asRegistrar.suspend(hospital, 1));
  await gas.measure(C, "reinstate", "suspended participant", () => asRegistrar.reinstate(hospital, 2));
  await gas.measure(C, "revoke", "active participant", () => asRegistrar.revoke(clinic, 3));

  // Key rotation: one step, with the new key's signed consent over the id's key epoch.
  const patientLaptop = key();
  const rotation = await client.consentToTransfer(patientLaptop, patient, week);
  await gas.measure(C, "rotateController", "the new key's signed consent", () =>
    registry
      .connect(patientKey)
      .rotateController(patient, patientLaptop.address, rotation.deadline, rotation.signature),
  );

  // Guardians: the first set at once; later changes wait for the delay, and a majority of guardians can veto them.
  const asPatient = registry.connect(patientLaptop);
  await gas.measure(C, "setGuardians", "first set: 3 guardians, threshold 2 (at once)", () =>
    asPatient.setGuardians(patient, guardians, 2, 3 * DAY),
  );
  await gas.measure(C, "setGuardians", "a later change (scheduled)", () =>
    asPatient.setGuardians(patient, guardians, 3, 3 * DAY),
  );
  await gas.measure(C, "vetoGuardianChange", "first veto", () =>
    registry.connect(guardianKeys[0]).vetoGuardianChange(patient),
  );
  await gas.measure(C, "vetoGuardianChange", "the majority's veto (cancels)", () =>
    registry.connect(guardianKeys[1]).vetoGuardianChange(patient),
  );
  await asPatient.setGuardians(patient, guardians, 2, 2 * DAY);
  await gas.measure(C, "cancelGuardianChange", "by the patient", () => asPatient.cancelGuardianChange(patient));
  await asPatient.setGuardians(patient, guardians, 2, 2 * DAY);
  await time.increase(3 * DAY);
  await gas.measure(C, "confirmGuardianChange", "after the delay", () => asPatient.confirmGuardianChange(patient));

  // Recovery: approvals, an objection below the quorum, the quorum's, a withdrawal, and execution by the new key.
  const patientPhone = key();
  const lure = key().address;
  await registry.connect(guardianKeys[0]).approveRecovery(patient, lure);
  await gas.measure(C, "cancelRecovery", "an objection below the quorum", () =>
    asPatient.cancelRecovery(patient, lure),
  );
  await gas.measure(C, "cancelRecovery", "the objection reaching the quorum (cancels)", () =>
    registry.connect(guardianKeys[1]).cancelRecovery(patient, lure),
  );
  await gas.measure(C, "approveRecovery", "first approval (opens the recovery)", () =>
    registry.connect(guardianKeys[0]).approveRecovery(patient, patientPhone.address),
  );
  await gas.measure(C, "withdrawRecoveryApproval", "by a guardian", () =>
    registry.connect(guardianKeys[0]).withdrawRecoveryApproval(patient, patientPhone.address),
  );
  await registry.connect(guardianKeys[0]).approveRecovery(patient, patientPhone.address);
  await gas.measure(C, "approveRecovery", "approval reaching the threshold", () =>
    registry.connect(guardianKeys[1]).approveRecovery(patient, patientPhone.address),
  );
  await time.increase(2 * DAY);
  await gas.measure(C, "executeRecovery", "by the new key after the delay", () =>
    registry.connect(patientPhone).executeRecovery(patient),
  );

  // Representatives.
  const representative = guardians[0]!;
  const asRecovered = registry.connect(patientPhone);
  await gas.measure(C, "appointRepresentative", "new appointment", () =>
    asRecovered.appointRepresentative(patient, representative, expiry),
  );
  await gas.measure(C, "revokeRepresentative", "by the patient", () =>
    asRecovered.revokeRepresentative(patient, representative),
  );
  await asRecovered.appointRepresentative(patient, representative, expiry);
  await gas.measure(C, "resignRepresentative", "by the representative", () =>
    registry.connect(guardianKeys[0]).resignRepresentative(patient, representative),
  );

  // Identifiers: the issuing organization attests, the patient accepts.
  const mrn = commitment("urn:mrn|0042");
  await gas.measure(I, "attest", "by the issuing organization", () =>
    identifiers.connect(hospitalKey).attest(patient, mrn),
  );
  await gas.measure(I, "accept", "by the patient", () =>
    identifiers.connect(patientPhone).accept(patient, hospital, mrn),
  );
  await gas.measure(I, "withdraw", "a bound identifier, by the patient", () =>
    identifiers.connect(patientPhone).withdraw(hospital, mrn),
  );

  // Delayed operations through the AccessManager: measured as the execute transaction.
  const target = await registry.getAddress();
  const hospitalNewKey = key();
  const transfer = await client.consentToTransfer(hospitalNewKey, hospital, week);
  const recover = registry.interface.encodeFunctionData("recoverController", [
    hospital,
    hospitalNewKey.address,
    transfer.deadline,
    transfer.signature,
  ]);
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
