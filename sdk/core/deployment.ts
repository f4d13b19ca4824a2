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
  /** The drug supply-chain registry: products, lots, containers, custody, verification, dispensing. */
  supplyChain: string;
  /** The product-safety contract (quarantines, investigations, recalls) the supply-chain registry created. */
  productSafety: string;
  /** The clinical-trials registry: registration, sites, consent-gated enrollment, randomization, data and lock. */
  trialRegistry: string;
  /** The trial protocol contract (amendments, outcomes, results) the trial registry created. */
  trialProtocol: string;
  /** Serious adverse events of trial participants and their reporting clocks. */
  trialSafety: string;
  /**
   * The block of the deployment's first transaction, from Ignition's journal: event scans start there rather than at
   * block 0 (a node may limit the blocks one `eth_getLogs` covers). Absent when unknown: scans start at block 0.
   */
  deployedAtBlock?: number;
}

/** The fields of a `Deployment` that hold a contract's address. */
export type DeployedContract = Exclude<keyof Deployment, "chainId" | "deployedAtBlock">;

/** Ignition's future ids of the deployed contracts, as written to `deployed_addresses.json`. */
const FUTURES: Readonly<Record<DeployedContract, string>> = {
  accessManager: "AccessManager#AccessManager",
  identityRegistry: "IdentityRegistry#IdentityRegistry",
  identifierRegistry: "IdentifierRegistry#IdentifierRegistry",
  consentPolicy: "ConsentPolicy#ConsentPolicy",
  consentRegistry: "ConsentRegistry#ConsentRegistry",
  breakGlass: "ConsentRegistry#BreakGlass",
  recordRegistry: "RecordRegistry#RecordRegistry",
  claimsAdjudicator: "ClaimsAdjudicator#ClaimsAdjudicator",
  priorAuthorizations: "ClaimsAdjudicator#PriorAuthorizations",
  supplyChain: "SupplyChain#SupplyChain",
  productSafety: "SupplyChain#ProductSafety",
  trialRegistry: "Trials#TrialRegistry",
  trialProtocol: "Trials#TrialProtocol",
  trialSafety: "Trials#TrialSafety",
};

export const DEPLOYMENTS_DIR = path.join(__dirname, "..", "..", "deploy", "deployments");

/**
 * Reads the deployment that Hardhat Ignition recorded for `chainId` (`deploy/deployments/chain-<id>/`): its addresses,
 * and the block it started in, from the journal (`deployedAtBlock`). Throws a readable error if the chain has no
 * deployment or it lacks a contract.
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
    supplyChain: pick("supplyChain"),
    productSafety: pick("productSafety"),
    trialRegistry: pick("trialRegistry"),
    trialProtocol: pick("trialProtocol"),
    trialSafety: pick("trialSafety"),
    ...firstBlock(path.join(dir, `chain-${chainId}`, "journal.jsonl")),
  };
}

/**
 * `{ deployedAtBlock }`: the lowest block number of the transactions Ignition's journal saw confirmed (its
 * `TRANSACTION_CONFIRM` entries carry each receipt); nothing when the journal is missing or records none.
 */
function firstBlock(journal: string): { deployedAtBlock?: number } {
  if (!fs.existsSync(journal)) return {};
  let lowest: number | undefined;
  for (const line of fs.readFileSync(journal, "utf8").split("\n")) {
    if (!line.includes('"TRANSACTION_CONFIRM"')) continue;
    let entry: { type?: unknown; receipt?: { blockNumber?: unknown } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line cut short by an interrupted deployment
    }
    const block = entry.receipt?.blockNumber;
    if (entry.type !== "TRANSACTION_CONFIRM" || typeof block !== "number" || !Number.isSafeInteger(block)) continue;
    if (lowest === undefined || block < lowest) lowest = block;
  }
  return lowest === undefined ? {} : { deployedAtBlock: lowest };
}

/** A recorded contract whose code on the chain is missing or is not the recorded artifact's. */
export interface DeploymentCodeProblem {
  /** Ignition's future id, e.g. `IdentityRegistry#IdentityRegistry`. */
  contract: string;
  address: string;
  problem: "no code" | "different code";
}

/** What the chain holds at one recorded address, against the artifact Ignition saved with the record. */
export interface RecordedCode {
  /** Ignition's future id, e.g. `IdentityRegistry#IdentityRegistry`. */
  contract: string;
  address: string;
  /** `no artifact`: an older record, without the artifact to compare with; only the code's presence is known. */
  status: "matches" | "no code" | "different code" | "no artifact";
  /** The recorded artifact's source and contract name, when there is one. */
  source?: { sourceName: string; contractName: string };
  /** In an exact check, the recorded deployed code with its immutables zeroed (hex, no 0x). */
  maskedCode?: string;
}

/** The part of an ethers provider the code check needs. */
export interface CodeReader {
  getCode(address: string): Promise<string>;
}

interface RecordedArtifact {
  sourceName: string;
  contractName: string;
  deployedBytecode: string;
}

/** The slice of a solc build info that says where each contract's immutables sit in its deployed code. */
export interface ImmutableReferences {
  output: {
    contracts: Record<
      string,
      Record<
        string,
        { evm?: { deployedBytecode?: { immutableReferences?: Record<string, { start: number; length: number }[]> } } }
      >
    >;
  };
}

/**
 * Compares the code at every contract recorded for `chainId` with the deployed bytecode of the artifact Ignition saved
 * with the record. A node restarted without its state (a development node, anvil) has no code there; another chain
 * that happens to share the chain id has other code.
 *
 * Immutables are written into the code at deployment, so the artifact has zeros where they go. The quick check, which
 * every task runs, reads only the small artifacts: it skips the bytes under a run of 32 or more zeros in the artifact
 * (an immutable is one 32-byte word) and compares every other byte and the length (`sameCode`). The exact check
 * (`exact: true`, for careledger:doctor) reads the build info saved with the record — tens of megabytes — and zeroes
 * exactly the ranges solc reports for the immutables (`maskImmutables`).
 */
export async function recordedCode(
  provider: CodeReader,
  chainId: bigint,
  options: { dir?: string; exact?: boolean } = {},
): Promise<RecordedCode[]> {
  const record = path.join(options.dir ?? DEPLOYMENTS_DIR, `chain-${chainId}`);
  const addresses = readJson(path.join(record, "deployed_addresses.json")) as Record<string, string>;
  const checks = Object.entries(addresses).map(async ([contract, recorded]): Promise<RecordedCode> => {
    const address = getAddress(recorded);
    const code = await provider.getCode(address);
    if (code === "0x") return { contract, address, status: "no code" };
    const file = path.join(record, "artifacts", `${contract}.json`);
    if (!fs.existsSync(file)) return { contract, address, status: "no artifact" };
    const artifact = readJson(file) as RecordedArtifact;
    // An artifact without code (an interface reached through contractAt) can only say that code is there.
    if (artifact.deployedBytecode === "0x" || artifact.deployedBytecode === "") {
      return { contract, address, status: "no artifact" };
    }
    const source = { sourceName: artifact.sourceName, contractName: artifact.contractName };
    if (options.exact !== true) {
      return {
        contract,
        address,
        source,
        status: sameCode(code, artifact.deployedBytecode) ? "matches" : "different code",
      };
    }
    const ranges = immutableRanges(recordedBuildInfo(record, contract), artifact.sourceName, artifact.contractName);
    const maskedCode = maskImmutables(artifact.deployedBytecode, ranges);
    const status = maskImmutables(code, ranges) === maskedCode ? "matches" : "different code";
    return { contract, address, source, status, maskedCode };
  });
  return Promise.all(checks);
}

/** The recorded contracts whose code is missing from the chain or differs from the record (the quick check). */
export async function deploymentCodeProblems(
  provider: CodeReader,
  chainId: bigint,
  dir = DEPLOYMENTS_DIR,
): Promise<DeploymentCodeProblem[]> {
  const problems: DeploymentCodeProblem[] = [];
  for (const { contract, address, status } of await recordedCode(provider, chainId, { dir })) {
    if (status === "no code" || status === "different code") problems.push({ contract, address, problem: status });
  }
  return problems;
}

/** `code` (hex) with every immutable's bytes zeroed: what stays the same wherever the contract is deployed. */
export function maskImmutables(code: string, ranges: readonly { start: number; length: number }[]): string {
  const bytes = Buffer.from(code.replace(/^0x/, ""), "hex");
  for (const { start, length } of ranges) bytes.fill(0, start, Math.min(start + length, bytes.length));
  return bytes.toString("hex");
}

/** Where solc put `source:contract`'s immutables in its deployed code, from a build info; none if it is not there. */
export function immutableRanges(
  buildInfo: ImmutableReferences | undefined,
  source: string,
  contract: string,
): { start: number; length: number }[] {
  const references = buildInfo?.output.contracts[source]?.[contract]?.evm?.deployedBytecode?.immutableReferences ?? {};
  return Object.values(references).flat();
}

/** The build info Ignition saved beside a recorded artifact (its `.dbg.json` names it), if it is there. */
function recordedBuildInfo(record: string, contract: string): ImmutableReferences | undefined {
  const debug = path.join(record, "artifacts", `${contract}.dbg.json`);
  if (!fs.existsSync(debug)) return undefined;
  const file = path.resolve(path.dirname(debug), (readJson(debug) as { buildInfo: string }).buildInfo);
  return fs.existsSync(file) ? (readJson(file) as ImmutableReferences) : undefined;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
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
