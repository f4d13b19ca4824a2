import type { ContractTransactionReceipt, Signer, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { CareLedgerParameters } from "../../deploy";
import type { ClaimsClient, EobLine } from "../../sdk/claims/client";
import type { ClaimsModel } from "../../sdk/claims/model";
import type { Deployment } from "../../sdk/core/deployment";
import type { TestStablecoin } from "../../typechain-types";
import type { RpcProvider } from "../sending";
import type { Agreement } from "./agreement";
import type { Population, ProviderRef } from "./population";
import type { SimulationReport } from "./report";

/** What a run is asked for. */
export interface SimulationOptions {
  claims: number;
  seed: number;
  /** Default: claims / 8. */
  patients?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** Where setup progress goes (default: console.log). */
  log?: (line: string) => void;
}

/**
 * What every step of a claims simulation shares: the deployed system and the accounts that run it, the population,
 * the model the chain is checked against, and the record of their agreement.
 */
export interface Simulation {
  hre: HardhatRuntimeEnvironment;
  network: string;
  /** Whether the system was deployed for this run (the in-process network). */
  freshDeployment: boolean;
  parameters: CareLedgerParameters;
  deployment: Deployment;
  /** The registrar and admin of the network's parameter file. */
  registrar: Signer;
  admin: Signer;
  /** The claims client with no signer, for reads. */
  root: ClaimsClient;
  token: TestStablecoin;
  /** The test stablecoin's owner, who mints the payers' dollars. */
  minter: Signer;
  decimals: number;
  symbol: string;
  maxSettlePerFunding: number;
  maxSettle: number;
  /** The adjudicator's token balance before the run (a recorded deployment may hold earlier runs' money). */
  heldBefore: bigint;
  /** The first block of the run. */
  fromBlock: number;
  /** The chain time the population is anchored at. */
  anchor: bigint;
  population: Population;
  model: ClaimsModel;
  agreement: Agreement;
  log: (line: string) => void;
}

/** An account that acts on chain: its participant id, wallet and claims client. */
export interface Actor {
  label: string;
  id: bigint;
  wallet: Wallet;
  claims: ClaimsClient;
}

/** The population's accounts once registered. */
export interface Cast {
  payers: Actor[];
  /** The medical director of each payer (same index), who decides appeals. */
  reviewers: Actor[];
  organizations: Actor[];
  practitioners: Actor[];
}

/** The provider a population reference names. */
export function actorOf(cast: Cast, ref: ProviderRef): Actor {
  return ref.kind === "organization" ? cast.organizations[ref.index]! : cast.practitioners[ref.index]!;
}

/** The plans and members on chain: plan ids by the population's plan index, pseudonyms by patient index. */
export interface Coverage {
  planIds: bigint[];
  members: string[];
  authIds: bigint[];
}

/** A patient's abstract number in the model: her index + 1. */
export function patientNumber(index: number): bigint {
  return BigInt(index + 1);
}

/** A claim the contract accepted, as the simulator follows it. */
export interface ClaimRecord {
  claimId: string;
  index: number;
  blockNumber: number;
  submitter: Actor;
  organization: bigint;
  plan: number;
  /** The latest outcome of every line (an overturned appeal replaces its line). */
  lines: EobLine[];
  appealed: Set<number>;
}

/** An appeal filed and waiting for its decision. */
export interface FiledAppeal {
  record: ClaimRecord;
  line: number;
  decideBefore: number;
  overturn: boolean;
}

/** The claims of a run as they are submitted and appealed, with the tallies the report prints. */
export interface ClaimBook {
  /** By index in the population's stream; undefined where the contract refused the claim. */
  records: (ClaimRecord | undefined)[];
  filed: FiledAppeal[];
  claims: { attempted: number; submitted: number; rejectedDuplicateReference: number };
  appeals: SimulationReport["appeals"];
  gas: SimulationReport["gas"];
  /** Lines the model adjudicated (one per line, plus one per overturned appeal). */
  modelLines: number;
}

export function emptyClaimBook(): ClaimBook {
  return {
    records: [],
    filed: [],
    claims: { attempted: 0, submitted: 0, rejectedDuplicateReference: 0 },
    appeals: { filed: 0, upheld: 0, overturned: 0, reApproved: 0, overturnedPays: 0n },
    gas: { claims: 0, total: 0n, min: 0n, max: 0n, byLines: new Map() },
    modelLines: 0,
  };
}

/**
 * The chain time of a transaction's block: only the block's header fields, asked of the node directly where the
 * provider passes requests on (ethers would build the whole block, a millisecond a claim), else the block.
 */
export async function blockTime(receipt: ContractTransactionReceipt): Promise<bigint> {
  const provider = receipt.provider;
  if ("send" in provider) {
    const header = (await (provider as RpcProvider).send("eth_getBlockByHash", [receipt.blockHash, false])) as {
      timestamp: string;
    } | null;
    if (header !== null) return BigInt(header.timestamp);
  }
  const block = await receipt.getBlock();
  return BigInt(block.timestamp);
}
