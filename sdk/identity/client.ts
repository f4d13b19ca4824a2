import type {
  BigNumberish,
  ContractRunner,
  ContractTransactionReceipt,
  ContractTransactionResponse,
  Signer,
  TypedDataDomain,
} from "ethers";

import {
  type IdentifierRegistry,
  IdentifierRegistry__factory,
  type IdentityRegistry,
  IdentityRegistry__factory,
} from "../../typechain-types";
import type { Deployment } from "../core/deployment";
import { withDecodedErrors } from "../core/errors";
import { mined } from "../core/transactions";
import { type ParticipantInfo, ParticipantKind, toKind, toStatus } from "./participants";
import { identityDomain, MAX_SIGNATURE_WINDOW, signControlTransfer, signRegistration } from "./signatures";

/** A key's signed consent to control an id: the signature and its deadline (Unix seconds). */
export interface KeyConsent {
  deadline: bigint;
  signature: string;
}

/** Input of `registerParticipant`: a registrar registering a verified institution, practitioner or device. */
export interface ParticipantRegistration {
  kind: ParticipantKind;
  controller: string;
  credentialCommitment: string;
  /** Unix seconds. */
  credentialExpiry: BigNumberish;
  /** The organization a practitioner or device is offered to (it must accept); omit for other kinds. */
  affiliation?: BigNumberish;
  /** The controller's signed consent (`consentToRegistration`). */
  consent: KeyConsent;
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

  /** The current key hands `id` to the key that signed `consent` (see `consentToTransfer`). */
  rotateController(id: BigNumberish, newController: string, consent: KeyConsent) {
    return this.send(() => this.registry.rotateController(id, newController, consent.deadline, consent.signature));
  }

  /** Rotation in one call when both keys are at hand: `newKey` signs its consent, the current runner sends. */
  async rotateTo(id: BigNumberish, newKey: Signer, validForSeconds?: bigint) {
    const consent = await this.consentToTransfer(newKey, id, validForSeconds);
    return this.rotateController(id, await newKey.getAddress(), consent);
  }

  setGuardians(patient: BigNumberish, guardians: BigNumberish[], threshold: number, delaySeconds: number) {
    return this.send(() => this.registry.setGuardians(patient, guardians, threshold, delaySeconds));
  }

  confirmGuardianChange(patient: BigNumberish) {
    return this.send(() => this.registry.confirmGuardianChange(patient));
  }

  cancelGuardianChange(patient: BigNumberish) {
    return this.send(() => this.registry.cancelGuardianChange(patient));
  }

  vetoGuardianChange(patient: BigNumberish) {
    return this.send(() => this.registry.vetoGuardianChange(patient));
  }

  approveRecovery(patient: BigNumberish, newController: string) {
    return this.send(() => this.registry.approveRecovery(patient, newController));
  }

  withdrawRecoveryApproval(patient: BigNumberish, newController: string) {
    return this.send(() => this.registry.withdrawRecoveryApproval(patient, newController));
  }

  /** The patient's key or a guardian objects; a quorum of objections cancels the recovery. */
  cancelRecovery(patient: BigNumberish, newController: string) {
    return this.send(() => this.registry.cancelRecovery(patient, newController));
  }

  /** Sent by the new key the guardians approved. */
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

  /** An organization accepts the practitioner or device a registrar offered it. */
  acceptAffiliate(member: BigNumberish) {
    return this.send(() => this.registry.acceptAffiliate(member));
  }

  releaseAffiliate(member: BigNumberish) {
    return this.send(() => this.registry.releaseAffiliate(member));
  }

  // ---- a key's consent -------------------------------------------------------------------------------------

  /** The registry's EIP-712 domain, read from the chain (EIP-5267). */
  async domain(): Promise<TypedDataDomain> {
    const [, , , chainId, verifyingContract] = await this.registry.eip712Domain();
    return identityDomain(chainId, verifyingContract);
  }

  /**
   * `key` consents to be registered as the controller of a new id of `kind` (offered to `affiliation`, for a
   * practitioner or device), valid for `validForSeconds` (default and maximum: 30 days) from the latest block.
   */
  async consentToRegistration(
    key: Signer,
    kind: ParticipantKind,
    affiliation: BigNumberish = 0n,
    validForSeconds?: bigint,
  ): Promise<KeyConsent> {
    const deadline = await this.deadline(validForSeconds);
    const message = {
      kind: BigInt(kind),
      controller: await key.getAddress(),
      affiliation: BigInt(affiliation),
      deadline,
    };
    return { deadline, signature: await signRegistration(key, await this.domain(), message) };
  }

  /** `key` consents to take over `id` at its current key epoch (one rotation or registrar recovery). */
  async consentToTransfer(key: Signer, id: BigNumberish, validForSeconds?: bigint): Promise<KeyConsent> {
    const [deadline, participant] = await Promise.all([this.deadline(validForSeconds), this.registry.participant(id)]);
    const message = { id: BigInt(id), newController: await key.getAddress(), keyEpoch: participant.keyEpoch, deadline };
    return { deadline, signature: await signControlTransfer(key, await this.domain(), message) };
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
        registration.consent.deadline,
        registration.consent.signature,
      ),
    );
  }

  /**
   * Registration when the keys are at hand (tests, local chains, the demo): `controller` signs its consent, the
   * current runner (a registrar) registers, and, for a practitioner or device, `organizationKey` (the offered
   * organization's key) accepts it so that it is active.
   */
  async registerWithKey(
    controller: Signer,
    registration: Omit<ParticipantRegistration, "controller" | "consent">,
    organizationKey?: Signer,
  ): Promise<Registered> {
    const consent = await this.consentToRegistration(controller, registration.kind, registration.affiliation);
    const registered = await this.registerParticipant({
      ...registration,
      controller: await controller.getAddress(),
      consent,
    });
    if (organizationKey !== undefined) await this.as(organizationKey).acceptAffiliate(registered.id);
    return registered;
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

  /** The live recovery of the patient to `newController`, or undefined. */
  async recoveryOf(
    patient: BigNumberish,
    newController: string,
  ): Promise<{ approvals: number; readyAt: bigint; expiresAt: bigint; objections: number } | undefined> {
    const [approvals, readyAt, expiresAt, objections] = await this.registry.recoveryOf(patient, newController);
    return approvals === 0n
      ? undefined
      : { approvals: Number(approvals), readyAt, expiresAt, objections: Number(objections) };
  }

  /** The patient's waiting guardian change, or undefined. */
  async pendingGuardianChange(
    patient: BigNumberish,
  ): Promise<
    { guardians: bigint[]; threshold: number; delay: number; effectiveAt: bigint; vetoes: number } | undefined
  > {
    const [guardians, threshold, delay, effectiveAt, vetoes] = await this.registry.pendingGuardianChange(patient);
    return effectiveAt === 0n
      ? undefined
      : {
          guardians: [...guardians],
          threshold: Number(threshold),
          delay: Number(delay),
          effectiveAt,
          vetoes: Number(vetoes),
        };
  }

  // ---- plumbing --------------------------------------------------------------------------------------------

  /** A consent deadline `validForSeconds` after the latest block (default and maximum: 30 days). */
  private async deadline(validForSeconds: bigint = MAX_SIGNATURE_WINDOW): Promise<bigint> {
    if (validForSeconds <= 0n || validForSeconds > MAX_SIGNATURE_WINDOW) {
      throw new Error(`a key's consent is valid for 1 second to 30 days, not ${validForSeconds} seconds`);
    }
    const provider = this.registry.runner?.provider;
    const block = provider === undefined || provider === null ? null : await provider.getBlock("latest");
    if (block === null) throw new Error("the identity client needs a runner with a provider to date a consent");
    return BigInt(block.timestamp) + validForSeconds;
  }

  /** Through `mined`, as every client's writes: a transaction a node mines as reverted (anvil) is decoded too. */
  private send(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return mined(call);
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

/**
 * Typed client of the IdentifierRegistry: identifiers (salted commitments of medical record numbers and the like)
 * that an institution attests it issued to a patient and the patient accepts.
 */
export class IdentifierClient {
  constructor(readonly registry: IdentifierRegistry) {}

  static connect(runner: ContractRunner, deployment: Pick<Deployment, "identifierRegistry">): IdentifierClient {
    return new IdentifierClient(IdentifierRegistry__factory.connect(deployment.identifierRegistry, runner));
  }

  as(runner: ContractRunner): IdentifierClient {
    return new IdentifierClient(this.registry.connect(runner));
  }

  /** An institution attests an identifier it issued to the patient (a salted commitment, `identifierCommitment`). */
  attest(patient: BigNumberish, commitment: string): Promise<ContractTransactionReceipt> {
    return mined(() => this.registry.attest(patient, commitment));
  }

  /** The patient accepts the issuer's attestation, binding the identifier to her id. */
  accept(patient: BigNumberish, issuer: BigNumberish, commitment: string): Promise<ContractTransactionReceipt> {
    return mined(() => this.registry.accept(patient, issuer, commitment));
  }

  /** The issuer or the patient withdraws an attestation. */
  withdraw(issuer: BigNumberish, commitment: string): Promise<ContractTransactionReceipt> {
    return mined(() => this.registry.withdraw(issuer, commitment));
  }

  /** The patient the issuer's commitment is bound to, or undefined. */
  async ownerOf(issuer: BigNumberish, commitment: string): Promise<bigint | undefined> {
    const patient = await this.registry.ownerOf(issuer, commitment);
    return patient === 0n ? undefined : patient;
  }
}
