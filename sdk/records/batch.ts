import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import { DataCategory } from "../consent/scopes";
import { enumMember } from "../core/enums";
import type { BatchLeafValues } from "./client";

/**
 * Merkle batches of records, built with OpenZeppelin's `StandardMerkleTree`: a leaf is
 * `keccak256(bytes.concat(keccak256(abi.encode(commitment, patient, category, organization))))`, double-hashed so
 * that no inner node (64 bytes) can pass for a leaf, exactly as the RecordRegistry checks it with `MerkleProof`.
 * `organization` is the batch's organization: every leaf names its organization, so another organization that copies
 * the root cannot adopt its records as its own.
 */
export const BATCH_LEAF_ENCODING = ["bytes32", "uint64", "uint8", "uint64"] as const;
/** `RecordRegistry.MAX_BATCH_RECORDS`: the most records one root may declare. */
export const MAX_BATCH_RECORDS = 1 << 20;
/** `RecordRegistry.MAX_PROOF_LENGTH`. */
export const MAX_PROOF_LENGTH = 20;

/**
 * A leaf as the tree stores it: commitment, patient id and organization id as decimal strings (JSON-safe), category
 * position.
 */
type LeafTuple = [string, string, number, string];

/** What an organization keeps (off chain, in its blob store) to prove any record of a batch later. */
export interface BatchManifest {
  format: "careledger-batch/2";
  /** The organization whose batch it is (every leaf names it), as a decimal string. */
  organization: string;
  root: string;
  count: number;
  categories: number;
  /** The blob address of each record's envelope, by commitment. */
  blobs: Record<string, string>;
  /** OpenZeppelin's tree dump (`StandardMerkleTree.dump()`). */
  tree: ReturnType<StandardMerkleTree<LeafTuple>["dump"]>;
}

export interface Batch {
  /** The organization whose batch it is: the one that anchors the root and adopts its records. */
  organization: bigint;
  tree: StandardMerkleTree<LeafTuple>;
  root: string;
  count: number;
  /** The categories of the records, as the bitmap the registry takes. */
  categories: number;
}

/**
 * Builds `organization`'s tree over `leaves`; refuses a missing organization, an empty batch, one over
 * `MAX_BATCH_RECORDS`, and a repeated commitment.
 */
export function buildBatch(organization: bigint, leaves: readonly BatchLeafValues[]): Batch {
  if (organization <= 0n) throw new Error("a batch belongs to an organization: give its participant id");
  if (leaves.length === 0) throw new Error("a batch needs at least one record");
  if (leaves.length > MAX_BATCH_RECORDS) {
    throw new Error(`a batch holds at most ${MAX_BATCH_RECORDS} records, got ${leaves.length}`);
  }
  const seen = new Set<string>();
  let categories = 0;
  const tuples = leaves.map((leaf): LeafTuple => {
    const commitment = leaf.commitment.toLowerCase();
    if (seen.has(commitment)) throw new Error(`commitment ${commitment} appears twice in the batch`);
    seen.add(commitment);
    categories = (categories | (1 << leaf.category)) >>> 0;
    return [commitment, leaf.patient.toString(), leaf.category, organization.toString()];
  });
  const tree = StandardMerkleTree.of(tuples, [...BATCH_LEAF_ENCODING]);
  return { organization, tree, root: tree.root, count: leaves.length, categories };
}

/** The manifest of a built batch, with each record's blob address. */
export function batchManifest(batch: Batch, blobs: Readonly<Record<string, string>>): BatchManifest {
  return {
    format: "careledger-batch/2",
    organization: batch.organization.toString(),
    root: batch.root,
    count: batch.count,
    categories: batch.categories,
    blobs: { ...blobs },
    tree: batch.tree.dump(),
  };
}

/**
 * Loads a manifest (as parsed from its stored JSON, so unchecked) and checks it: the format, that the tree is well
 * formed and has the root the manifest states, and that every leaf names the manifest's organization.
 */
export function loadBatch(manifest: BatchManifest): Batch {
  const format: unknown = (manifest as { format?: unknown }).format;
  if (format === "careledger-batch/1") {
    throw new Error(
      "a careledger-batch/1 manifest predates organization-bound leaves: rebuild the batch and anchor it again",
    );
  }
  if (format !== "careledger-batch/2") throw new Error(`not a CareLedger batch manifest: ${String(format)}`);
  const named: unknown = (manifest as { organization?: unknown }).organization;
  if (typeof named !== "string" || !/^[1-9][0-9]*$/.test(named)) {
    throw new Error(`the manifest's organization must be a participant id in decimal, got ${String(named)}`);
  }
  const tree = StandardMerkleTree.load(manifest.tree);
  tree.validate();
  if (tree.root !== manifest.root) throw new Error(`manifest tree has root ${tree.root}, not ${manifest.root}`);
  const organization = BigInt(named);
  let count = 0;
  let categories = 0;
  for (const [index, leaf] of tree.entries()) {
    if (BigInt(leaf[3]) !== organization) {
      throw new Error(`leaf ${index} of the manifest names organization ${leaf[3]}, not ${named}`);
    }
    count += 1;
    categories = (categories | (1 << leaf[2])) >>> 0;
  }
  if (count !== manifest.count || categories !== manifest.categories) {
    throw new Error(
      `the manifest states ${manifest.count} records of categories ${manifest.categories}, its tree holds ${count} of ${categories}`,
    );
  }
  return { organization, tree, root: tree.root, count, categories };
}

/** The leaf values and proof of `commitment` in the batch; throws if it is not a member. */
export function batchProof(batch: Batch, commitment: string): { leaf: BatchLeafValues; proof: string[] } {
  const wanted = commitment.toLowerCase();
  for (const [index, [member, patient, category]] of batch.tree.entries()) {
    if (member.toLowerCase() !== wanted) continue;
    return {
      leaf: {
        commitment: member,
        patient: BigInt(patient),
        category: enumMember(DataCategory, "DataCategory", category),
      },
      proof: batch.tree.getProof(index),
    };
  }
  throw new Error(`commitment ${commitment} is not in the batch ${batch.root}`);
}
