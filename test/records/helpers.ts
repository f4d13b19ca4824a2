import { time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, type ContractTransactionResponse, hexlify, keccak256, randomBytes, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import { AmendmentStatus, RecordStatus, toAmendmentStatus, toBasis, toRecordStatus } from "../../sdk";
import type { RecordRegistry } from "../../typechain-types";

// Shared by the RecordRegistry test files: mirrors of the record enums, plain-object read-backs of the views that chai
// can compare deeply, and small clock and hashing helpers.

export { AmendmentStatus, RecordStatus };
export const toDecisionBasis = toBasis;

/** Reason codes (numbers from the published code list in docs/records.md; the contract only stores them). */
export const RECORD_REASON = { correction: 1, amendment: 2, wrongPatient: 1, duplicate: 3 } as const;
/** A registrar's reason code for a suspension (off-chain code list). */
export const SUSPENSION_REASON = 17;
/** A break-glass reason code (off-chain code list). */
export const UNCONSCIOUS = 1;

/** A fresh random 32-byte commitment. */
export function randomCommitment(): string {
  return hexlify(randomBytes(32));
}

/** `verify(patient, commitment)` as a plain object. */
export interface AnchorInfo {
  status: RecordStatus;
  patient: bigint;
  author: bigint;
  organization: bigint;
  category: number;
  anchoredAt: bigint;
  fromBatch: boolean;
  previous: string;
  next: string;
  errorReason: number;
}

/** What `verify` says of `commitment` in `patient`'s namespace. */
export async function anchorOf(records: RecordRegistry, patient: bigint, commitment: string): Promise<AnchorInfo> {
  const a = await records.verify(patient, commitment);
  return {
    status: toRecordStatus(a.status),
    patient: a.patient,
    author: a.author,
    organization: a.organization,
    category: Number(a.category),
    anchoredAt: a.anchoredAt,
    fromBatch: a.fromBatch,
    previous: a.previous,
    next: a.next,
    errorReason: Number(a.errorReason),
  };
}

/** What `verify` returns for a commitment nothing is anchored under (in the patient's namespace asked). */
export const NOTHING: AnchorInfo = {
  status: RecordStatus.None,
  patient: 0n,
  author: 0n,
  organization: 0n,
  category: 0,
  anchoredAt: 0n,
  fromBatch: false,
  previous: ZeroHash,
  next: ZeroHash,
  errorReason: 0,
};

/** A current first version with the given fields; `previous`, `next` and `errorReason` default to zero. */
export function anchored(fields: {
  patient: bigint;
  author: bigint;
  organization: bigint;
  /** A `DataCategory` position. */
  category: number;
  anchoredAt: bigint;
  fromBatch?: boolean;
  status?: RecordStatus;
  previous?: string;
  next?: string;
  errorReason?: number;
}): AnchorInfo {
  return {
    status: fields.status ?? RecordStatus.Current,
    patient: fields.patient,
    author: fields.author,
    organization: fields.organization,
    category: fields.category,
    anchoredAt: fields.anchoredAt,
    fromBatch: fields.fromBatch ?? false,
    previous: fields.previous ?? ZeroHash,
    next: fields.next ?? ZeroHash,
    errorReason: fields.errorReason ?? 0,
  };
}

/** `amendment(id)` as a plain object. */
export interface AmendmentInfo {
  record: string;
  patient: bigint;
  status: AmendmentStatus;
  requestedAt: bigint;
  answeredAt: bigint;
  denialReason: number;
  amendedVersion: string;
}

export async function amendmentOf(records: RecordRegistry, requestId: bigint): Promise<AmendmentInfo> {
  const a = await records.amendment(requestId);
  return {
    record: a.record,
    patient: a.patient,
    status: toAmendmentStatus(a.status),
    requestedAt: a.requestedAt,
    answeredAt: a.answeredAt,
    denialReason: Number(a.denialReason),
    amendedVersion: a.amendedVersion,
  };
}

/** `batch(organization, root)` as a plain object. */
export interface BatchInfo {
  organization: bigint;
  anchoredAt: bigint;
  count: bigint;
  categories: bigint;
}

export async function batchOf(records: RecordRegistry, organization: bigint, root: string): Promise<BatchInfo> {
  const b = await records.batch(organization, root);
  return { organization: b.organization, anchoredAt: b.anchoredAt, count: b.count, categories: b.categories };
}

/** `history(patient, commitment)` as a plain array. */
export async function historyOf(records: RecordRegistry, patient: bigint, commitment: string): Promise<string[]> {
  return [...(await records.history(patient, commitment))];
}

/** What `batch` returns for a root the organization never anchored. */
export const NO_BATCH: BatchInfo = { organization: 0n, anchoredAt: 0n, count: 0n, categories: 0n };

/** Pins the timestamp of the next mined block (or of the next call that reverts) and returns it. */
export async function pinNext(): Promise<bigint> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return BigInt(next);
}

/** The timestamp of the block that mined `tx`. */
export async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} was not mined`);
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error(`block ${receipt.blockNumber} not found`);
  return BigInt(block.timestamp);
}

/**
 * The leaf types of a record batch: `BatchLeaf` (commitment, patient, category) and the organization whose batch it
 * is, which every leaf names (the contract takes it beside the leaf, as `adopt`'s and `verifyInclusion`'s
 * `organization`).
 */
export const LEAF_ENCODING = ["bytes32", "uint64", "uint8", "uint64"];

/** A record of a batch without its organization: the contract's `BatchLeaf` struct as a tuple. */
export type RecordValue = [commitment: string, patient: bigint, category: number];

/** A batch leaf as the Merkle tree library takes it: the record's values and the batch's organization. */
export type LeafValue = [commitment: string, patient: bigint, category: number, organization: bigint];

/** The leaf of `record` in `organization`'s batch. */
export function leafFor(organization: bigint, record: Readonly<RecordValue> | Readonly<LeafValue>): LeafValue {
  return [record[0], record[1], record[2], organization];
}

/** The leaves of `records` (leaf values or bare records) in `organization`'s batch. */
export function leavesFor(
  organization: bigint,
  records: readonly (Readonly<RecordValue> | Readonly<LeafValue>)[],
): LeafValue[] {
  return records.map((record) => leafFor(organization, record));
}

/** The contract's `BatchLeaf` struct of a leaf (or of a bare record): its first three values. */
export function leafStruct(value: Readonly<RecordValue> | Readonly<LeafValue>): {
  commitment: string;
  patient: bigint;
  category: number;
} {
  return { commitment: value[0], patient: value[1], category: value[2] };
}

/**
 * The contract's leaf hash, computed independently:
 * keccak256(keccak256(abi.encode(commitment, patient, category, organization))).
 */
export function leafHash(value: Readonly<LeafValue>): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, value)));
}

/** OpenZeppelin's commutative pair hash (the node hash of `MerkleProof`). */
export function hashPair(a: string, b: string): string {
  const [low, high] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
  return keccak256(ethers.concat([low, high]));
}
