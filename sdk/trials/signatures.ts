import { id, type Signer, type TypedDataDomain, TypedDataEncoder, type TypedDataField } from "ethers";

/**
 * EIP-712 builders for a participant's signature on a trial's consent form version, shared by the SDK, the tasks and
 * the tests. They mirror `TrialRegistry.CONSENT_TYPEHASH`; a test checks the hashes agree. The scheme is the consent
 * module's: a typed message, a nonce the participant can burn, a deadline, the patient's key or an active
 * representative's (an EOA or an ERC-1271 wallet).
 */

export const TRIALS_DOMAIN_NAME = "CareLedger Trials";
export const TRIALS_DOMAIN_VERSION = "1";

export const TRIAL_CONSENT_TYPES: Record<string, TypedDataField[]> = {
  TrialConsent: [
    { name: "trial", type: "uint64" },
    { name: "patient", type: "uint64" },
    { name: "site", type: "uint16" },
    { name: "version", type: "uint16" },
    { name: "document", type: "bytes32" },
    { name: "nonce", type: "uint32" },
    { name: "deadline", type: "uint48" },
  ],
};

/**
 * A consent as the participant signs it; `document` is a salted commitment to the signed form, `site` the site where
 * the participant consents (re-consenting: the site that enrolled them), so that no other site can use it.
 */
export interface TrialConsentMessage {
  trial: bigint;
  patient: bigint;
  site: number;
  version: number;
  document: string;
  nonce: number;
  deadline: bigint;
}

/** The registry's EIP-712 domain on `chainId` at `verifyingContract`. */
export function trialsDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: TRIALS_DOMAIN_NAME, version: TRIALS_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The digest the signature covers (what `_hashTypedDataV4` computes on chain). */
export function trialConsentDigest(domain: TypedDataDomain, message: TrialConsentMessage): string {
  return TypedDataEncoder.hash(domain, TRIAL_CONSENT_TYPES, message);
}

/** The type hash, to compare with the contract's constant. */
export const TRIAL_CONSENT_TYPEHASH = id(TypedDataEncoder.from(TRIAL_CONSENT_TYPES).encodeType("TrialConsent"));

/** Signs a consent with `signer` (the patient's controlling key or a representative's). */
export function signTrialConsent(
  signer: Signer,
  domain: TypedDataDomain,
  message: TrialConsentMessage,
): Promise<string> {
  return signer.signTypedData(domain, TRIAL_CONSENT_TYPES, message);
}
