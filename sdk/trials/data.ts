import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

/**
 * Batches of case-report data, built like the record module's batches (`sdk/records/batch.ts`) with OpenZeppelin's
 * `StandardMerkleTree`: a leaf is `(trial, patient, entry)`, double-hashed, where `entry` is a salted commitment to
 * one case-report form entry kept off chain; `TrialRegistry.verifyData` checks a proof. The trial's id in every leaf
 * keeps one trial's batch from passing for another's.
 */
export const DATA_LEAF_ENCODING = ["uint64", "uint64", "bytes32"] as const;
/** `TrialRegistry.MAX_BATCH_ENTRIES` and `MAX_BATCH_SUBJECTS`. */
export const MAX_BATCH_ENTRIES = 1 << 24;
export const MAX_BATCH_SUBJECTS = 256;

type DataLeaf = [string, string, string];

export interface DataEntry {
  patient: bigint;
  /** A salted commitment to the entry. */
  entry: string;
}

export interface DataBatchTree {
  trialId: bigint;
  root: string;
  count: number;
  /** The participants the batch holds, each once, in ascending id order: what `anchorData` names. */
  subjects: bigint[];
  tree: StandardMerkleTree<DataLeaf>;
}

/** Builds a batch's tree; refuses an empty batch, a repeated entry and more participants than one batch may name. */
export function buildDataBatch(trialId: bigint, entries: readonly DataEntry[]): DataBatchTree {
  if (entries.length === 0) throw new Error("a data batch needs at least one entry");
  if (entries.length > MAX_BATCH_ENTRIES) throw new Error(`a data batch holds at most ${MAX_BATCH_ENTRIES} entries`);
  const seen = new Set<string>();
  const subjects: bigint[] = [];
  for (const { patient, entry } of entries) {
    const key = `${patient}:${entry.toLowerCase()}`;
    if (seen.has(key)) throw new Error(`entry ${entry} of participant ${patient} is in the batch twice`);
    seen.add(key);
    if (!subjects.includes(patient)) subjects.push(patient);
  }
  subjects.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (subjects.length > MAX_BATCH_SUBJECTS) {
    throw new Error(`a data batch names at most ${MAX_BATCH_SUBJECTS} participants, got ${subjects.length}`);
  }
  const tree = StandardMerkleTree.of(
    entries.map((e): DataLeaf => [trialId.toString(), e.patient.toString(), e.entry]),
    [...DATA_LEAF_ENCODING],
  );
  return { trialId, root: tree.root, count: entries.length, subjects, tree };
}

/** The proof of `entry` of `patient` in the batch. */
export function dataProof(batch: DataBatchTree, patient: bigint, entry: string): string[] {
  for (const [i, [, p, e]] of batch.tree.entries()) {
    if (BigInt(p) === patient && e.toLowerCase() === entry.toLowerCase()) return batch.tree.getProof(i);
  }
  throw new Error(`entry ${entry} of participant ${patient} is not in the batch`);
}
