import { randomBytes, randomInt } from "node:crypto";

import { AbiCoder, concat, hexlify, keccak256, ZeroHash } from "ethers";

/**
 * The concealed allocation sequence of a randomized trial, as a randomization service (IRT) generates and keeps it.
 *
 * Each stratum gets its own sequence of `perStratum` arms by permuted blocks: blocks whose size is drawn at random from
 * `blockSizes`, each holding every arm in the allocation ratio, shuffled with a cryptographic random source (random
 * block sizes keep a site that knows the last arms from guessing the next). Every entry gets a fresh 32-byte salt, and
 * the chain sees only `armCommitment = keccak256(abi.encode(uint8 arm, bytes32 salt))`. The sponsor commits the root of
 * a positional Merkle tree over `(trial, stratum, index, armCommitment)` before the first enrollment (`PositionalTree`:
 * entry (stratum, index) is leaf `stratum * perStratum + index`, so the tree holds one arm per index); after
 * each enrollment the service reveals the participant's entry (`revealOf`); arms are disclosed with their salts
 * (`openingOf`) when the trial is unblinded. The file `dumpAllocation` writes is the service's secret: whoever holds it
 * knows every arm.
 */

export const ALLOCATION_LEAF_ENCODING = ["uint64", "uint8", "uint24", "bytes32"] as const;
/** `TrialRegistry` stores a disclosed arm as arm + 1 in a byte: arms run from 0 to 254. */
export const MAX_ARMS = 255;

/**
 * The allocation sequence's tree, as `TrialRegistry` checks it: leaf `stratum * perStratum + index` is OpenZeppelin's
 * double-hashed leaf of `abi.encode(trial, stratum, index, armCommitment)` (`StandardMerkleTree.leafHash`'s), positions
 * past the last entry hold zero, the depth is ⌈log2(strata × perStratum)⌉, and each node hashes its left and right
 * children in that order (not sorted, as a standard tree's are). A proof is the siblings from the leaf up; the
 * position's bits say on which side each is. A sorted-pair tree would let a sequence hold two leaves for one index
 * and the randomization service pick between them after enrollment; a positional one cannot.
 */
export interface PositionalTree {
  root: string;
  depth: number;
  /** `layers[0]` the leaves (padded with zeros to 2^depth), `layers[depth]` the root. */
  layers: string[][];
}

export interface AllocationPlan {
  trialId: bigint;
  /** How many arms (2 for a two-arm trial). */
  arms: number;
  /** How many strata, each with its own sequence (1 to 255). */
  strata: number;
  /** How long each stratum's sequence is (the most participants it can enroll). */
  perStratum: number;
  /** The block sizes drawn from at random; each a multiple of the ratio's sum. Default: the sum and twice it. */
  blockSizes?: readonly number[];
  /** The allocation ratio, one weight per arm. Default: 1 each (equal allocation). */
  ratio?: readonly number[];
}

export interface AllocationEntry {
  stratum: number;
  index: number;
  arm: number;
  salt: string;
  armCommitment: string;
}

export interface AllocationSequence {
  trialId: bigint;
  arms: number;
  strata: number;
  perStratum: number;
  root: string;
  /** Every entry, stratum by stratum: entry `stratum * perStratum + index`. */
  entries: AllocationEntry[];
  tree: PositionalTree;
}

/** What the randomization service keeps: the plan and every entry; the tree is rebuilt from them. */
export interface AllocationFile {
  format: "careledger-allocation/1";
  trialId: string;
  arms: number;
  strata: number;
  perStratum: number;
  root: string;
  entries: { stratum: number; index: number; arm: number; salt: string }[];
}

/** Random integers in `[0, max)` and 32-byte salts; the default is the operating system's CSPRNG. */
export interface RandomSource {
  int(max: number): number;
  salt(): string;
}

export const cryptoRandom: RandomSource = {
  int: (max) => randomInt(max),
  salt: () => hexlify(randomBytes(32)),
};

/** The commitment the chain sees of an arm: `keccak256(abi.encode(uint8 arm, bytes32 salt))`. */
export function armCommitment(arm: number, salt: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint8", "bytes32"], [arm, salt]));
}

/** One stratum's arms by permuted blocks, truncated to `length`; refuses a ratio or block size that cannot make one. */
export function permutedBlocks(
  length: number,
  ratio: readonly number[],
  blockSizes: readonly number[],
  random: RandomSource = cryptoRandom,
): number[] {
  checkBlocks(ratio, blockSizes);
  const weight = ratio.reduce((a, b) => a + b, 0);
  const arms: number[] = [];
  while (arms.length < length) {
    const size = blockSizes[random.int(blockSizes.length)]!;
    const block: number[] = [];
    ratio.forEach((w, arm) => {
      for (let i = 0; i < (w * size) / weight; i += 1) block.push(arm);
    });
    for (let i = block.length - 1; i > 0; i -= 1) {
      const j = random.int(i + 1);
      [block[i], block[j]] = [block[j]!, block[i]!];
    }
    arms.push(...block);
  }
  return arms.slice(0, length);
}

function checkPlan(plan: AllocationPlan): { ratio: number[]; blockSizes: number[] } {
  const { arms, strata, perStratum } = plan;
  if (!Number.isInteger(arms) || arms < 2 || arms > MAX_ARMS) throw new Error(`arms must be 2 to ${MAX_ARMS}`);
  if (!Number.isInteger(strata) || strata < 1 || strata > 255) throw new Error("strata must be 1 to 255");
  if (!Number.isInteger(perStratum) || perStratum < 1 || perStratum >= 1 << 24) {
    throw new Error("perStratum must be 1 to 16,777,215");
  }
  const ratio = [...(plan.ratio ?? Array<number>(arms).fill(1))];
  if (ratio.length !== arms) throw new Error(`the ratio needs one positive whole weight per arm (${arms})`);
  const weight = ratio.reduce((a, b) => a + b, 0);
  const blockSizes = [...(plan.blockSizes ?? [weight, 2 * weight])];
  checkBlocks(ratio, blockSizes);
  return { ratio, blockSizes };
}

function checkBlocks(ratio: readonly number[], blockSizes: readonly number[]): void {
  if (ratio.length < 2 || ratio.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new Error(`the ratio needs one positive whole weight per arm (${ratio.length})`);
  }
  const weight = ratio.reduce((a, b) => a + b, 0);
  if (blockSizes.length === 0 || blockSizes.some((size) => !Number.isInteger(size) || size < 1 || size % weight)) {
    throw new Error(`every block size must be a positive multiple of the ratio's sum (${weight})`);
  }
}

/** An entry's leaf: `keccak256(bytes.concat(keccak256(abi.encode(trial, stratum, index, armCommitment))))`. */
export function allocationLeaf(
  trialId: bigint,
  entry: Pick<AllocationEntry, "stratum" | "index" | "armCommitment">,
): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    [...ALLOCATION_LEAF_ENCODING],
    [trialId, entry.stratum, entry.index, entry.armCommitment],
  );
  return keccak256(keccak256(encoded));
}

/** The depth of a positional tree of `count` leaves: ⌈log2(count)⌉ (0 for one leaf). */
export function allocationDepth(count: number): number {
  let depth = 0;
  while (1 << depth < count) depth += 1;
  return depth;
}

/** Builds the positional tree of `leaves` (their order is their position). */
export function positionalTree(leaves: readonly string[]): PositionalTree {
  const depth = allocationDepth(leaves.length);
  const layers: string[][] = [[...leaves, ...Array<string>((1 << depth) - leaves.length).fill(ZeroHash)]];
  for (let level = 0; level < depth; level += 1) {
    const below = layers[level]!;
    const above: string[] = [];
    for (let i = 0; i < below.length; i += 2) above.push(keccak256(concat([below[i]!, below[i + 1]!])));
    layers.push(above);
  }
  return { root: layers[depth]![0]!, depth, layers };
}

/** The siblings of leaf `position`, from the leaf up. */
export function positionalProof(tree: PositionalTree, position: number): string[] {
  const proof: string[] = [];
  for (let level = 0; level < tree.depth; level += 1) proof.push(tree.layers[level]![(position >> level) ^ 1]!);
  return proof;
}

/**
 * Whether `leaf` is at `position` of the tree of `depth` with `root`, by `proof` (as `TrialRegistry` checks a reveal:
 * the proof exactly `depth` long, so no inner node passes for a leaf).
 */
export function verifyPositional(
  root: string,
  depth: number,
  position: number,
  leaf: string,
  proof: readonly string[],
): boolean {
  if (proof.length !== depth || position < 0 || position >= 2 ** depth) return false;
  let node = leaf;
  proof.forEach((sibling, level) => {
    node = keccak256((position >> level) & 1 ? concat([sibling, node]) : concat([node, sibling]));
  });
  return node === root;
}

function treeOf(trialId: bigint, entries: readonly AllocationEntry[]): PositionalTree {
  return positionalTree(entries.map((e) => allocationLeaf(trialId, e)));
}

/** Generates a trial's allocation sequence: permuted blocks per stratum, a fresh salt per entry, the tree. */
export function generateAllocation(plan: AllocationPlan, random: RandomSource = cryptoRandom): AllocationSequence {
  const { ratio, blockSizes } = checkPlan(plan);
  const entries: AllocationEntry[] = [];
  for (let stratum = 0; stratum < plan.strata; stratum += 1) {
    permutedBlocks(plan.perStratum, ratio, blockSizes, random).forEach((arm, index) => {
      const salt = random.salt();
      entries.push({ stratum, index, arm, salt, armCommitment: armCommitment(arm, salt) });
    });
  }
  const tree = treeOf(plan.trialId, entries);
  return { ...plan, root: tree.root, entries, tree };
}

function entryAt(sequence: AllocationSequence, stratum: number, index: number): number {
  if (stratum < 0 || stratum >= sequence.strata || index < 0 || index >= sequence.perStratum) {
    throw new Error(`the sequence has no entry ${index} in stratum ${stratum}`);
  }
  return stratum * sequence.perStratum + index;
}

/** What the randomization service sends the registry after an enrollment took `index` of `stratum`. */
export function revealOf(
  sequence: AllocationSequence,
  stratum: number,
  index: number,
): { armCommitment: string; proof: string[] } {
  const at = entryAt(sequence, stratum, index);
  return { armCommitment: sequence.entries[at]!.armCommitment, proof: positionalProof(sequence.tree, at) };
}

/** The arm and salt that open the entry's commitment (for disclosure, or for an investigator in an emergency). */
export function openingOf(sequence: AllocationSequence, stratum: number, index: number): { arm: number; salt: string } {
  const { arm, salt } = sequence.entries[entryAt(sequence, stratum, index)]!;
  return { arm, salt };
}

export function dumpAllocation(sequence: AllocationSequence): AllocationFile {
  return {
    format: "careledger-allocation/1",
    trialId: sequence.trialId.toString(),
    arms: sequence.arms,
    strata: sequence.strata,
    perStratum: sequence.perStratum,
    root: sequence.root,
    entries: sequence.entries.map(({ stratum, index, arm, salt }) => ({ stratum, index, arm, salt })),
  };
}

/**
 * Rebuilds a sequence from its file, refusing one whose entries do not give its root, or are not exactly one per
 * (stratum, index) in order with an arm of the trial: a tree's root does not fix its leaves' order, and `revealOf` and
 * `openingOf` find an entry by its place.
 */
export function loadAllocation(file: AllocationFile): AllocationSequence {
  const format: string = file.format;
  if (format !== "careledger-allocation/1") throw new Error(`not an allocation file: format ${format}`);
  checkPlan({ trialId: 0n, arms: file.arms, strata: file.strata, perStratum: file.perStratum });
  if (file.entries.length !== file.strata * file.perStratum) {
    throw new Error(
      `the allocation file has ${file.entries.length} entries, not ${file.strata} strata × ${file.perStratum}`,
    );
  }
  file.entries.forEach((e, k) => {
    const [stratum, index] = [Math.floor(k / file.perStratum), k % file.perStratum];
    if (e.stratum !== stratum || e.index !== index) {
      throw new Error(`entry ${k} of the allocation file is (${e.stratum}, ${e.index}), not (${stratum}, ${index})`);
    }
    if (!Number.isInteger(e.arm) || e.arm < 0 || e.arm >= file.arms) {
      throw new Error(`entry ${k} of the allocation file has arm ${e.arm}, not one of the ${file.arms} arms`);
    }
  });
  const trialId = BigInt(file.trialId);
  const entries = file.entries.map((e) => ({ ...e, armCommitment: armCommitment(e.arm, e.salt) }));
  const tree = treeOf(trialId, entries);
  if (tree.root !== file.root)
    throw new Error(`the allocation file's entries give root ${tree.root}, not ${file.root}`);
  return { trialId, arms: file.arms, strata: file.strata, perStratum: file.perStratum, root: tree.root, entries, tree };
}

/** A reveal as the registry recorded it (`AllocationRevealed`), and the arm if it was disclosed (`ArmDisclosed`). */
export interface RecordedAllocation {
  patient: bigint;
  stratum: number;
  index: number;
  armCommitment: string;
  arm?: number;
}

/** What an audit of the recorded allocations against the committed sequence finds; empty lists when all is well. */
export interface AllocationAuditReport {
  /** Reveals whose commitment is not the sequence's entry at their stratum and index. */
  mismatched: RecordedAllocation[];
  /** Indices taken twice in a stratum. */
  reused: { stratum: number; index: number }[];
  /** Indices below the highest taken in a stratum that nobody took. */
  skipped: { stratum: number; index: number }[];
  /** Disclosed arms that are not the sequence's. */
  wrongArms: RecordedAllocation[];
  /** Indices taken (below the registry's next index of their stratum, when given) that no reveal covers. */
  unrevealed: { stratum: number; index: number }[];
  /** Participants per arm, among disclosed allocations. */
  armCounts: number[];
}

/**
 * Audits what the registry recorded against the committed sequence: every reveal matches its entry, no index of a
 * stratum was taken twice or skipped, every disclosed arm is the sequence's, and (given the registry's next index of
 * each stratum) every index an enrollment took was revealed — a gap at the end of a stratum included. Anyone holding the sequence (after
 * unblinding, published) can run it; the registry already refuses a reveal that does not match the root.
 */
export function auditAllocations(
  sequence: AllocationSequence,
  recorded: readonly RecordedAllocation[],
  /** The registry's next index of each stratum (`nextAllocationIndex`): indices below it were taken by enrollments. */
  taken?: readonly number[],
): AllocationAuditReport {
  const report: AllocationAuditReport = {
    mismatched: [],
    reused: [],
    skipped: [],
    wrongArms: [],
    unrevealed: [],
    armCounts: Array<number>(sequence.arms).fill(0),
  };
  const revealed = new Map<number, Set<number>>();
  for (const r of recorded) {
    const inStratum = revealed.get(r.stratum) ?? new Set<number>();
    if (inStratum.has(r.index)) report.reused.push({ stratum: r.stratum, index: r.index });
    inStratum.add(r.index);
    revealed.set(r.stratum, inStratum);
    const inRange = r.stratum < sequence.strata && r.index < sequence.perStratum;
    const entry = inRange ? sequence.entries[r.stratum * sequence.perStratum + r.index] : undefined;
    if (entry?.armCommitment !== r.armCommitment) report.mismatched.push(r);
    if (r.arm === undefined) continue;
    if (entry?.arm !== r.arm) report.wrongArms.push(r);
    else report.armCounts[r.arm] = (report.armCounts[r.arm] ?? 0) + 1;
  }
  for (const [stratum, indices] of revealed) {
    const highest = Math.max(...indices);
    for (let index = 0; index < highest; index += 1) {
      if (!indices.has(index)) report.skipped.push({ stratum, index });
    }
  }
  (taken ?? []).forEach((next, stratum) => {
    const indices = revealed.get(stratum) ?? new Set<number>();
    for (let index = 0; index < next; index += 1) {
      if (!indices.has(index)) report.unrevealed.push({ stratum, index });
    }
  });
  return report;
}
