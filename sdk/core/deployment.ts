import fs from "node:fs";
import path from "node:path";

import { getAddress } from "ethers";

/** Where a CareLedger system lives on one chain: the one source of addresses for the SDK, tasks and scripts. */
export interface Deployment {
  chainId: bigint;
  accessManager: string;
  identityRegistry: string;
  /** Identifiers institutions issued to patients (medical record numbers), linked by issuer and patient together. */
  identifierRegistry: string;
  consentPolicy: string;
  consentRegistry: string;
  /** The break-glass workflow the consent registry created. */
  breakGlass: string;
  recordRegistry: string;
  /** The claims adjudicator; it names its settlement token itself (`settlementToken()`). */
  claimsAdjudicator: string;
  /** The prior-authorization workflow the claims adjudicator created. */
  priorAuthorizations: string;
}

/** Ignition's future ids of the deployed contracts, as written to `deployed_addresses.json`. */
const FUTURES: Readonly<Record<Exclude<keyof Deployment, "chainId">, string>> = {
  accessManager: "AccessManager#AccessManager",
  identityRegistry: "IdentityRegistry#IdentityRegistry",
  identifierRegistry: "IdentifierRegistry#IdentifierRegistry",
  consentPolicy: "ConsentPolicy#ConsentPolicy",
  consentRegistry: "ConsentRegistry#ConsentRegistry",
  breakGlass: "ConsentRegistry#BreakGlass",
  recordRegistry: "RecordRegistry#RecordRegistry",
  claimsAdjudicator: "ClaimsAdjudicator#ClaimsAdjudicator",
  priorAuthorizations: "ClaimsAdjudicator#PriorAuthorizations",
};

export const DEPLOYMENTS_DIR = path.join(__dirname, "..", "..", "deploy", "deployments");

/**
 * Reads the deployment that Hardhat Ignition recorded for `chainId` (`deploy/deployments/chain-<id>/`).
 * Throws a readable error if the chain has no deployment or it lacks a contract.
 */
export function loadDeployment(chainId: bigint, dir = DEPLOYMENTS_DIR): Deployment {
  const file = path.join(dir, `chain-${chainId}`, "deployed_addresses.json");
  if (!fs.existsSync(file)) {
    throw new Error(`no CareLedger deployment recorded for chain ${chainId} (${file}); run careledger:deploy first`);
  }
  const addresses = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  const pick = (key: keyof typeof FUTURES): string => {
    const address = addresses[FUTURES[key]];
    if (address === undefined) throw new Error(`${file} has no ${FUTURES[key]}`);
    return getAddress(address);
  };
  return {
    chainId,
    accessManager: pick("accessManager"),
    identityRegistry: pick("identityRegistry"),
    identifierRegistry: pick("identifierRegistry"),
    consentPolicy: pick("consentPolicy"),
    consentRegistry: pick("consentRegistry"),
    breakGlass: pick("breakGlass"),
    recordRegistry: pick("recordRegistry"),
    claimsAdjudicator: pick("claimsAdjudicator"),
    priorAuthorizations: pick("priorAuthorizations"),
  };
}
