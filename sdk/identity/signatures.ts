import { id, type Signer, type TypedDataDomain, TypedDataEncoder, type TypedDataField } from "ethers";

/**
 * EIP-712 builders for a key's consent to control an id, shared by the SDK, the tasks and the tests. They mirror the
 * type strings in `IdentityRegistry` (`REGISTRATION_TYPEHASH`, `CONTROL_TRANSFER_TYPEHASH`); a test checks the hashes
 * agree. A key signs before it is bound to anything, so no one can bind (or reserve) an address without it.
 */

export const IDENTITY_DOMAIN_NAME = "CareLedger Identity";
export const IDENTITY_DOMAIN_VERSION = "1";

/** How far ahead a key's consent may expire, as `IdentityRegistry.MAX_SIGNATURE_WINDOW`. */
export const MAX_SIGNATURE_WINDOW = 30n * 24n * 60n * 60n;

export const REGISTRATION_TYPES: Record<string, TypedDataField[]> = {
  Registration: [
    { name: "kind", type: "uint8" },
    { name: "controller", type: "address" },
    { name: "affiliation", type: "uint64" },
    { name: "deadline", type: "uint48" },
  ],
};

export const CONTROL_TRANSFER_TYPES: Record<string, TypedDataField[]> = {
  ControlTransfer: [
    { name: "id", type: "uint64" },
    { name: "newController", type: "address" },
    { name: "keyEpoch", type: "uint24" },
    { name: "deadline", type: "uint48" },
  ],
};

/**
 * What a key signs to be registered by a registrar as the controller of a new id of `kind` (the credential is the
 * registrar's to verify; the key consents to the role and, for a practitioner or device, the organization offered).
 */
export interface RegistrationMessage {
  kind: bigint;
  controller: string;
  /** The organization a practitioner or device is offered to; 0 for other kinds. */
  affiliation: bigint;
  deadline: bigint;
}

/** What a new key signs to take over an id (rotation by the current key, or a registrar's recovery). */
export interface ControlTransferMessage {
  id: bigint;
  newController: string;
  /** The id's current key epoch (`participant(id).keyEpoch`): the signature serves one change of key. */
  keyEpoch: bigint;
  deadline: bigint;
}

/** The identity registry's EIP-712 domain on `chainId` at `verifyingContract`. */
export function identityDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: IDENTITY_DOMAIN_NAME, version: IDENTITY_DOMAIN_VERSION, chainId, verifyingContract };
}

export function registrationDigest(domain: TypedDataDomain, message: RegistrationMessage): string {
  return TypedDataEncoder.hash(domain, REGISTRATION_TYPES, message);
}

export function controlTransferDigest(domain: TypedDataDomain, message: ControlTransferMessage): string {
  return TypedDataEncoder.hash(domain, CONTROL_TRANSFER_TYPES, message);
}

/** The type hashes, to compare with the contract's constants. */
export const REGISTRATION_TYPEHASH = id(TypedDataEncoder.from(REGISTRATION_TYPES).encodeType("Registration"));
export const CONTROL_TRANSFER_TYPEHASH = id(
  TypedDataEncoder.from(CONTROL_TRANSFER_TYPES).encodeType("ControlTransfer"),
);

/** The key `signer` consents to be registered as `message.controller` (which must be its own address). */
export function signRegistration(
  signer: Signer,
  domain: TypedDataDomain,
  message: RegistrationMessage,
): Promise<string> {
  return signer.signTypedData(domain, REGISTRATION_TYPES, message);
}

/** The key `signer` consents to take over `message.id` (as `message.newController`, its own address). */
export function signControlTransfer(
  signer: Signer,
  domain: TypedDataDomain,
  message: ControlTransferMessage,
): Promise<string> {
  return signer.signTypedData(domain, CONTROL_TRANSFER_TYPES, message);
}
