import type { BigNumberish, ContractRunner, ContractTransactionReceipt, ContractTransactionResponse } from "ethers";

import { type IdentityRegistry, IdentityRegistry__factory } from "../typechain-types";
import type { Deployment } from "./deployment";
import { withDecodedErrors } from "./errors";
import { type ParticipantInfo, ParticipantKind, toKind, toStatus } from "./types";

/** Input of `registerParticipant`: a registrar registering a verified institution, practitioner or device. */
export interface ParticipantRegistration {
  kind: ParticipantKind;
  controller: string;
  credentialCommitment: string;
  /** Unix seconds. */
  credentialExpiry: BigNumberish;
  /** The organization a practitioner or device acts for; omit for other kinds. */
  affiliation?: BigNumberish;
}

export interface Registered {
  id: bigint;
  receipt: ContractTransactionReceipt;
}

/**
 * Typed client of the IdentityRegistry. Every write waits for its receipt and rethrows reverts as `CareLedgerError`
 * (custom error name and arguments).
 */
export class IdentityClient {
  constructor(readonly registry: IdentityRegistry) {}

  static connect(runner: ContractRunner, deployment: Pick<Deployment, "identityRegistry">): IdentityClient {
    return new IdentityClient(IdentityRegistry__factory.connect(deployment.identityRegistry, runner));
  }

  /** The same registry, acting through another runner (signer). */
  as(runner: ContractRunner): IdentityClient {
    return new IdentityClient(this.registry.connect(runner));
  }

  // ---- self-service ----------------------------------------------------------------------------------------

  registerPatient(): Promise<Registered> {
    return this.register(() => this.registry.registerPatient());
  }

  proposeRotation(id: BigNumberish, newController: string, deadline: BigNumberish) {
    return this.send(() => this.registry.proposeControllerRotation(id, newController, deadline));
  }

  acceptRotation(id: BigNumberish) {
    return this.send(() => this.registry.acceptControllerRotation(id));
  }

  cancelRotation(id: BigNumberish) {
    return this.send(() => this.registry.cancelControllerRotation(id));
  }

  setGuardians(patient: BigNumberish, guardians: BigNumberish[], threshold: number, delaySeconds: number) {
    return this.send(() => this.registry.setGuardians(patient, guardians, threshold, delaySeconds));
  }

  approveRecovery(patient: BigNumberish, newController: string) {
    return this.send(() => this.registry.approveRecovery(patient, newController));
  }

  cancelRecovery(patient: BigNumberish) {
    return this.send(() => this.registry.cancelRecovery(patient));
  }

  executeRecovery(patient: BigNumberish) {
    return this.send(() => this.registry.executeRecovery(patient));
  }

  appointRepresentative(patient: BigNumberish, representative: BigNumberish, expiresAt: BigNumberish) {
    return this.send(() => this.registry.appointRepresentative(patient, representative, expiresAt));
  }

  revokeRepresentative(patient: BigNumberish, representative: BigNumberish) {
    return this.send(() => this.registry.revokeRepresentative(patient, representative));
  }

  resignRepresentative(patient: BigNumberish, representative: BigNumberish) {
    return this.send(() => this.registry.resignRepresentative(patient, representative));
  }

  bindIdentifierCommitment(patient: BigNumberish, commitment: string) {
    return this.send(() => this.registry.bindIdentifierCommitment(patient, commitment));
  }

  // ---- registrar -------------------------------------------------------------------------------------------

  registerParticipant(registration: ParticipantRegistration): Promise<Registered> {
    return this.register(() =>
      this.registry.registerParticipant(
        registration.kind,
        registration.controller,
        registration.credentialCommitment,
        registration.credentialExpiry,
        registration.affiliation ?? 0n,
      ),
    );
  }

  renewCredential(id: BigNumberish, credentialCommitment: string, credentialExpiry: BigNumberish) {
    return this.send(() => this.registry.renewCredential(id, credentialCommitment, credentialExpiry));
  }

  setAffiliation(id: BigNumberish, affiliation: BigNumberish) {
    return this.send(() => this.registry.setAffiliation(id, affiliation));
  }

  markIdentityProofed(patient: BigNumberish) {
    return this.send(() => this.registry.markIdentityProofed(patient));
  }

  suspend(id: BigNumberish, reasonCode: number) {
    return this.send(() => this.registry.suspend(id, reasonCode));
  }

  reinstate(id: BigNumberish, reasonCode: number) {
    return this.send(() => this.registry.reinstate(id, reasonCode));
  }

  revoke(id: BigNumberish, reasonCode: number) {
    return this.send(() => this.registry.revoke(id, reasonCode));
  }

  // ---- views -----------------------------------------------------------------------------------------------

  async participant(id: BigNumberish): Promise<ParticipantInfo> {
    return withDecodedErrors(async () => {
      const [p, active] = await Promise.all([this.registry.participant(id), this.registry.isActive(id)]);
      return {
        id: BigInt(id),
        controller: p.controller,
        kind: toKind(p.kind),
        status: toStatus(p.status),
        identityProofed: p.identityProofed,
        credentialExpiry: p.credentialExpiry,
        keyEpoch: p.keyEpoch,
        affiliation: p.affiliation,
        credentialCommitment: p.credentialCommitment,
        active,
      };
    });
  }

  async idOf(account: string): Promise<bigint> {
    return this.registry.idOf(account);
  }

  async activeIdOf(account: string, kind: ParticipantKind): Promise<bigint> {
    return this.registry.activeIdOf(account, kind);
  }

  async guardiansOf(patient: BigNumberish): Promise<{ guardians: bigint[]; threshold: number; delay: number }> {
    const [guardians, threshold, delay] = await this.registry.guardiansOf(patient);
    return { guardians: [...guardians], threshold: Number(threshold), delay: Number(delay) };
  }

  async pendingRecoveryOf(
    patient: BigNumberish,
  ): Promise<{ newController: string; approvals: number; readyAt: bigint } | undefined> {
    const [newController, approvals, readyAt] = await this.registry.pendingRecoveryOf(patient);
    return approvals === 0n ? undefined : { newController, approvals: Number(approvals), readyAt };
  }

  // ---- plumbing --------------------------------------------------------------------------------------------

  private send(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return withDecodedErrors(async () => {
      const receipt = await (await call()).wait();
      if (receipt === null) throw new Error("transaction was dropped");
      return receipt;
    });
  }

  private async register(call: () => Promise<ContractTransactionResponse>): Promise<Registered> {
    const receipt = await this.send(call);
    for (const log of receipt.logs) {
      const parsed = this.registry.interface.parseLog(log);
      if (parsed?.name === "ParticipantRegistered") return { id: parsed.args.id as bigint, receipt };
    }
    throw new Error(`transaction ${receipt.hash} registered no participant`);
  }
}
