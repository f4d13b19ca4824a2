import { id, type Signer, type TypedDataDomain, TypedDataEncoder, type TypedDataField } from "ethers";

/**
 * EIP-712 builders for signed consent, shared by the SDK, the tasks and the tests. They mirror the type strings in
 * `ConsentRegistry` (`GRANT_TYPEHASH`, `REVOKE_TYPEHASH`); a test checks the hashes agree.
 */

export const CONSENT_DOMAIN_NAME = "CareLedger Consent";
export const CONSENT_DOMAIN_VERSION = "1";

export const GRANT_TYPES: Record<string, TypedDataField[]> = {
  Grant: [
    { name: "patient", type: "uint64" },
    { name: "grantee", type: "uint64" },
    { name: "categories", type: "uint32" },
    { name: "purposes", type: "uint16" },
    { name: "validFrom", type: "uint48" },
    { name: "validUntil", type: "uint48" },
    { name: "evidence", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
};

export const REVOKE_TYPES: Record<string, TypedDataField[]> = {
  Revoke: [
    { name: "patient", type: "uint64" },
    { name: "grantee", type: "uint64" },
    { name: "evidence", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
};

/** A grant as the patient signs it; numbers are bigint, `evidence` a 32-byte hex salted commitment (or zero). */
export interface GrantMessage {
  patient: bigint;
  grantee: bigint;
  categories: bigint;
  purposes: bigint;
  validFrom: bigint;
  validUntil: bigint;
  evidence: string;
  nonce: bigint;
  deadline: bigint;
}

/** A revocation as the patient signs it. */
export interface RevokeMessage {
  patient: bigint;
  grantee: bigint;
  evidence: string;
  nonce: bigint;
  deadline: bigint;
}

/** The registry's EIP-712 domain on `chainId` at `verifyingContract`. */
export function consentDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: CONSENT_DOMAIN_NAME, version: CONSENT_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The digest a grant's signature covers (what `_hashTypedDataV4` computes on chain). */
export function grantDigest(domain: TypedDataDomain, message: GrantMessage): string {
  return TypedDataEncoder.hash(domain, GRANT_TYPES, message);
}

/** The digest a revocation's signature covers. */
export function revokeDigest(domain: TypedDataDomain, message: RevokeMessage): string {
  return TypedDataEncoder.hash(domain, REVOKE_TYPES, message);
}

/** The type hashes, to compare with the contract's constants. */
export const GRANT_TYPEHASH = id(TypedDataEncoder.from(GRANT_TYPES).encodeType("Grant"));
export const REVOKE_TYPEHASH = id(TypedDataEncoder.from(REVOKE_TYPES).encodeType("Revoke"));

/** Signs a grant with `signer` (the patient's controlling key or a representative's). */
export function signGrant(signer: Signer, domain: TypedDataDomain, message: GrantMessage): Promise<string> {
  return signer.signTypedData(domain, GRANT_TYPES, message);
}

/** Signs a revocation with `signer`. */
export function signRevocation(signer: Signer, domain: TypedDataDomain, message: RevokeMessage): Promise<string> {
  return signer.signTypedData(domain, REVOKE_TYPES, message);
}
