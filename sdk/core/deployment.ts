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

/** A recorded contract whose code on the chain is missing or is not the recorded artifact's. */
export interface DeploymentCodeProblem {
  /** Ignition's future id, e.g. `IdentityRegistry#IdentityRegistry`. */
  contract: string;
  address: string;
  problem: "no code" | "different code";
}

/** The part of an ethers provider the code check needs. */
export interface CodeReader {
  getCode(address: string): Promise<string>;
}

/**
 * Checks that every contract recorded for `chainId` is on the chain `provider` reaches, as recorded: code at its
 * address, equal to the deployed bytecode of the artifact Ignition saved with the record. A node restarted without its
 * state (a development node, anvil) has no code there; another chain that happens to share the chain id has other
 * code. Immutables are written into the code at deployment, so the artifact has zeros where they go: bytes under a run
 * of 32 or more zeros in the artifact are not compared (an immutable is one 32-byte word), every other byte is, and
 * the lengths must be equal. Returns the problems, none when the record matches the chain.
 */
export async function deploymentCodeProblems(
  provider: CodeReader,
  chainId: bigint,
  dir = DEPLOYMENTS_DIR,
): Promise<DeploymentCodeProblem[]> {
  const record = path.join(dir, `chain-${chainId}`);
  const addresses = JSON.parse(fs.readFileSync(path.join(record, "deployed_addresses.json"), "utf8")) as Record<
    string,
    string
  >;
  const checks = Object.entries(addresses).map(async ([contract, address]): Promise<DeploymentCodeProblem | null> => {
    const code = await provider.getCode(address);
    if (code === "0x") return { contract, address: getAddress(address), problem: "no code" };
    const artifact = path.join(record, "artifacts", `${contract}.json`);
    if (!fs.existsSync(artifact)) return null; // an older record without artifacts: existence is all that can be told
    const { deployedBytecode } = JSON.parse(fs.readFileSync(artifact, "utf8")) as { deployedBytecode: string };
    return sameCode(code, deployedBytecode)
      ? null
      : { contract, address: getAddress(address), problem: "different code" };
  });
  return (await Promise.all(checks)).filter((problem): problem is DeploymentCodeProblem => problem !== null);
}

/** Whether `onChain` is `artifact` with only its immutables (runs of ≥ 32 zero bytes in the artifact) filled in. */
export function sameCode(onChain: string, artifact: string): boolean {
  const chain = Buffer.from(onChain.replace(/^0x/, ""), "hex");
  const expected = Buffer.from(artifact.replace(/^0x/, ""), "hex");
  if (chain.length !== expected.length) return false;
  let zeros = 0;
  for (let i = 0; i <= expected.length; i++) {
    if (i < expected.length && expected[i] === 0) {
      zeros += 1;
      continue;
    }
    // Compare the zero run that ends here unless it is long enough to hold an immutable.
    if (zeros > 0 && zeros < 32 && !chain.subarray(i - zeros, i).equals(expected.subarray(i - zeros, i))) return false;
    zeros = 0;
    if (i < expected.length && chain[i] !== expected[i]) return false;
  }
  return true;
}
