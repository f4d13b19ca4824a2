import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, id, keccak256, solidityPackedKeccak256, toBeHex, ZeroHash, zeroPadValue } from "ethers";
import fc from "fast-check";

import {
  allocationDepth,
  ALLOCATION_LEAF_ENCODING,
  allocationLeaf,
  type AllocationAuditReport,
  type AllocationFile,
  type AllocationPlan,
  type AllocationSequence,
  armCommitment,
  auditAllocations,
  dumpAllocation,
  generateAllocation,
  loadAllocation,
  MAX_ARMS,
  openingOf,
  permutedBlocks,
  positionalProof,
  positionalTree,
  type RandomSource,
  type RecordedAllocation,
  revealOf,
  verifyPositional,
} from "../../../sdk/trials/allocation";
import { TrialRegistry__factory } from "../../../typechain-types";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const coder = AbiCoder.defaultAbiCoder();
const TRIAL = 11n;

/** The n-th of a stub's salts: distinct, nonzero, 32 bytes. */
const nthSalt = (n: number): string => zeroPadValue(toBeHex(n), 32);

/** Checks a stub is asked for an integer below a positive whole `max`, as `RandomSource.int` promises callers. */
function checkMax(max: number): void {
  if (!Number.isInteger(max) || max < 1) throw new Error(`RandomSource.int called with max ${max}`);
}

/**
 * A scripted source: `int` returns the script's values in turn (each checked to lie in `[0, max)`) and records every
 * `max` it was asked for; salts count up from 1.
 */
function scripted(script: readonly number[]) {
  const queue = [...script];
  const maxima: number[] = [];
  let salts = 0;
  const source: RandomSource = {
    int(max) {
      checkMax(max);
      maxima.push(max);
      const next = queue.shift();
      if (next === undefined) throw new Error(`the script ran out at int(${max})`);
      if (next >= max) throw new Error(`scripted ${next} is not below ${max}`);
      return next;
    },
    salt: () => nthSalt((salts += 1)),
  };
  return { source, maxima, left: () => queue.length };
}

/** A source that always picks the last choice: the last block size, and a shuffle that leaves each block in order. */
function lastChoice(): RandomSource {
  let salts = 0;
  return {
    int(max) {
      checkMax(max);
      return max - 1;
    },
    salt: () => nthSalt((salts += 1)),
  };
}

/** A deterministic pseudo-random source (mulberry32) for properties: the same seed gives the same draws. */
function seeded(seed: number): RandomSource {
  let state = seed >>> 0;
  let salts = 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    int(max) {
      checkMax(max);
      return Math.floor(next() * max);
    },
    salt: () => id(`salt ${seed} ${(salts += 1)}`),
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** How often each of `arms` arms occurs in `sequence`. */
function countArms(sequence: readonly number[], arms: number): number[] {
  const counts = Array<number>(arms).fill(0);
  for (const arm of sequence) counts[arm] = (counts[arm] ?? 0) + 1;
  return counts;
}

/**
 * Whether `sequence` splits into consecutive blocks, each of a size in `blockSizes` holding every arm exactly in the
 * ratio, but for a last block cut short, which holds no arm more often than a whole block of some size would.
 */
function splitsIntoBlocks(
  sequence: readonly number[],
  ratio: readonly number[],
  blockSizes: readonly number[],
): boolean {
  if (sequence.some((arm) => !Number.isInteger(arm) || arm < 0 || arm >= ratio.length)) return false;
  const weight = sum(ratio);
  const reachable = new Set([0]);
  for (let at = 0; at <= sequence.length; at += 1) {
    if (!reachable.has(at)) continue;
    if (at === sequence.length) return true;
    for (const size of blockSizes) {
      const quota = ratio.map((w) => (w * size) / weight);
      const counts = countArms(sequence.slice(at, at + size), ratio.length);
      if (at + size <= sequence.length) {
        if (counts.every((n, arm) => n === quota[arm])) reachable.add(at + size);
      } else if (counts.every((n, arm) => n <= quota[arm]!)) {
        return true;
      }
    }
  }
  return false;
}

/** The arms of one stratum of a sequence, in index order. */
const stratumArms = (sequence: AllocationSequence, stratum: number): number[] =>
  sequence.entries.filter((e) => e.stratum === stratum).map((e) => e.arm);

/** What the registry records when the service reveals entry `index` of `stratum` for `patient`, arm disclosed or not. */
function recorded(
  sequence: AllocationSequence,
  patient: bigint,
  stratum: number,
  index: number,
  disclosed = true,
): RecordedAllocation {
  const { armCommitment: commitment } = revealOf(sequence, stratum, index);
  const base = { patient, stratum, index, armCommitment: commitment };
  return disclosed ? { ...base, arm: openingOf(sequence, stratum, index).arm } : base;
}

/** Entry (stratum, index)'s leaf, computed here: `keccak256(keccak256(abi.encode(trial, stratum, index, commitment)))`. */
function leafOf(trialId: bigint, stratum: number, index: number, commitment: string): string {
  return keccak256(
    keccak256(coder.encode(["uint64", "uint8", "uint24", "bytes32"], [trialId, stratum, index, commitment])),
  );
}

/** The depth of a positional tree of `count` leaves, computed here: the least d with 2^d ≥ count. */
function depthOf(count: number): number {
  let depth = 0;
  while (2 ** depth < count) depth += 1;
  return depth;
}

/**
 * The root of the positional tree over `leaves`, written here from the registry's description rather than taken from
 * the SDK: the leaves in their order, zero words up to the next power of two, each node keccak256(left ‖ right).
 */
function independentRoot(leaves: readonly string[]): string {
  let layer = [...leaves];
  while (layer.length < 2 ** depthOf(leaves.length)) layer.push(ZeroHash);
  while (layer.length > 1) {
    const below = layer;
    layer = Array.from({ length: below.length / 2 }, (_, i) =>
      solidityPackedKeccak256(["bytes32", "bytes32"], [below[2 * i]!, below[2 * i + 1]!]),
    );
  }
  return layer[0]!;
}

/** The sequence's leaves, computed here, in entry order (entry `stratum * perStratum + index`). */
const leavesOf = (sequence: AllocationSequence): string[] =>
  sequence.entries.map((e) => leafOf(sequence.trialId, e.stratum, e.index, e.armCommitment));

/**
 * Whether `proof` proves entry (stratum, index) with `commitment` against the sequence's root, as the registry checks a
 * reveal (written here, not the SDK's): a proof of exactly the tree's depth, from leaf `stratum * perStratum + index`
 * up, the position's bit at each level saying whether the sibling is on the left.
 */
function provesEntry(
  sequence: AllocationSequence,
  stratum: number,
  index: number,
  commitment: string,
  proof: readonly string[],
): boolean {
  if (proof.length !== depthOf(sequence.strata * sequence.perStratum)) return false;
  const position = stratum * sequence.perStratum + index;
  let node = leafOf(sequence.trialId, stratum, index, commitment);
  proof.forEach((sibling, level) => {
    const onTheRight = Math.floor(position / 2 ** level) % 2 === 1;
    node = solidityPackedKeccak256(["bytes32", "bytes32"], onTheRight ? [sibling, node] : [node, sibling]);
  });
  return node === sequence.root;
}

/** An allocation file round-tripped through JSON, as the service stores it. */
const stored = (file: AllocationFile): AllocationFile => JSON.parse(JSON.stringify(file)) as AllocationFile;

/**
 * Loads a file whose root still matches but whose other parts were changed, and checks the load either refuses it or
 * yields a sequence that serves, at every stratum and index it claims, the file's entry with that stratum and index
 * (and nothing where the file has none), with arms below its arm count.
 */
function expectFaithfulOrRefused(file: AllocationFile): void {
  let loaded: AllocationSequence;
  try {
    loaded = loadAllocation(file);
  } catch {
    return;
  }
  for (const e of file.entries) {
    const what = `entry ${e.index} of stratum ${e.stratum} holds arm ${e.arm} but the file has ${loaded.arms} arms`;
    expect(e.arm < loaded.arms, what).to.equal(true);
  }
  for (let stratum = 0; stratum < loaded.strata; stratum += 1) {
    for (let index = 0; index < loaded.perStratum; index += 1) {
      const entry = file.entries.find((e) => e.stratum === stratum && e.index === index);
      const where = `stratum ${stratum}, index ${index}`;
      if (entry === undefined) {
        expect(() => openingOf(loaded, stratum, index), where).to.throw();
        continue;
      }
      expect(openingOf(loaded, stratum, index), where).to.deep.equal({ arm: entry.arm, salt: entry.salt });
      const { armCommitment: commitment, proof } = revealOf(loaded, stratum, index);
      expect(commitment, where).to.equal(armCommitment(entry.arm, entry.salt));
      expect(provesEntry(loaded, stratum, index, commitment, proof), where).to.equal(true);
    }
  }
}

const ratioArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 5 });
/** Block sizes as multiples of the ratio's sum. */
const multiplesArb = fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("sdk/trials/allocation", function () {
  describe("permutedBlocks", function () {
    it("leaves each block in order when the source always picks the last choice", function () {
      // Ratio 2:1, block sizes 3 and 6: the last size (6) each time, unshuffled, cut to 8.
      expect(permutedBlocks(8, [2, 1], [3, 6], lastChoice())).to.deep.equal([0, 0, 0, 0, 1, 1, 0, 0]);
      expect(permutedBlocks(3, [1, 1, 1], [3], lastChoice())).to.deep.equal([0, 1, 2]);
    });

    it("draws a block size, then shuffles the block Fisher-Yates, from the source's exact draws", function () {
      // Block 1: size index 1 (4); [0,0,1,1] -> swap 3<->0 [1,0,1,0] -> keep 2 -> swap 1<->0 [0,1,1,0].
      // Block 2: size index 0 (2); [0,1] -> swap 1<->0 [1,0]. Cut to 5.
      const { source, maxima, left } = scripted([1, 0, 2, 0, 0, 0]);
      expect(permutedBlocks(5, [1, 1], [2, 4], source)).to.deep.equal([0, 1, 1, 0, 1]);
      expect(maxima).to.deep.equal([2, 4, 3, 2, 2, 2]);
      expect(left()).to.equal(0);
    });

    it("reaches every arrangement of a block, each from exactly one sequence of draws", function () {
      const seen = new Set<string>();
      for (const first of [0, 1, 2]) {
        for (const second of [0, 1]) {
          const { source } = scripted([0, first, second]);
          seen.add(permutedBlocks(3, [1, 1, 1], [3], source).join(""));
        }
      }
      expect([...seen].sort()).to.deep.equal(["012", "021", "102", "120", "201", "210"]);
    });

    it("gives nothing, and draws nothing, for length 0", function () {
      const { source, maxima } = scripted([]);
      expect(permutedBlocks(0, [1, 1], [2], source)).to.deep.equal([]);
      expect(maxima).to.deep.equal([]);
    });

    it("truncates the last block to the length", function () {
      const arms = permutedBlocks(5, [1, 1], [4], lastChoice());
      expect(arms).to.deep.equal([0, 0, 1, 1, 0]);
    });

    it("balances each block with the operating system's random source by default", function () {
      const arms = permutedBlocks(60, [1, 2], [3, 6]);
      expect(arms).to.have.length(60);
      expect(splitsIntoBlocks(arms, [1, 2], [3, 6])).to.equal(true);
    });

    it("the block checker these properties use accepts balanced blocks and refuses unbalanced ones", function () {
      expect(splitsIntoBlocks([0, 1, 1, 0, 1], [1, 1], [2])).to.equal(true);
      expect(splitsIntoBlocks([0, 0, 1, 1], [1, 1], [2])).to.equal(false);
      expect(splitsIntoBlocks([0, 0, 1, 1], [1, 1], [2, 4])).to.equal(true);
      expect(splitsIntoBlocks([0, 1, 1], [1, 1], [2])).to.equal(true);
      expect(splitsIntoBlocks([1, 1, 0], [1, 1], [2])).to.equal(false);
      expect(splitsIntoBlocks([0, 1, 1, 1], [1, 1], [4])).to.equal(false);
      expect(splitsIntoBlocks([0, 1, 2], [1, 1], [2])).to.equal(false);
    });

    // For any ratio, single block size (a multiple of the ratio's sum), length and random draws: the result has the
    // length asked for, every complete block of `size` holds arm a exactly ratio[a] * size / sum(ratio) times, and
    // the cut last block holds no arm more often than that.
    it("holds every arm in the ratio in each complete block, one block size (property)", function () {
      fc.assert(
        fc.property(
          ratioArb,
          fc.integer({ min: 1, max: 4 }),
          fc.nat({ max: 80 }),
          fc.integer(),
          (ratio, k, length, seed) => {
            const size = k * sum(ratio);
            const arms = permutedBlocks(length, ratio, [size], seeded(seed));
            expect(arms).to.have.length(length);
            for (let start = 0; start < length; start += size) {
              const counts = countArms(arms.slice(start, start + size), ratio.length);
              expect(counts).to.have.length(ratio.length);
              if (start + size <= length) expect(counts).to.deep.equal(ratio.map((w) => w * k));
              else counts.forEach((n, arm) => expect(n).to.be.at.most(ratio[arm]! * k));
            }
          },
        ),
      );
    });

    // For any ratio, set of block sizes (multiples of the ratio's sum), length and random draws: the result has the
    // length asked for and splits into blocks of those sizes, each complete block holding every arm in the ratio.
    it("splits into balanced blocks of the given sizes, several sizes (property)", function () {
      fc.assert(
        fc.property(ratioArb, multiplesArb, fc.nat({ max: 80 }), fc.integer(), (ratio, multiples, length, seed) => {
          const sizes = multiples.map((m) => m * sum(ratio));
          const arms = permutedBlocks(length, ratio, sizes, seeded(seed));
          expect(arms).to.have.length(length);
          expect(splitsIntoBlocks(arms, ratio, sizes)).to.equal(true);
        }),
      );
    });

    // From the same draws, a shorter sequence is the start of a longer one: the length only truncates.
    it("only truncates: a shorter sequence from the same draws is a prefix of a longer one (property)", function () {
      fc.assert(
        fc.property(
          ratioArb,
          multiplesArb,
          fc.nat({ max: 60 }),
          fc.nat({ max: 30 }),
          fc.integer(),
          (ratio, multiples, length, more, seed) => {
            const sizes = multiples.map((m) => m * sum(ratio));
            const longer = permutedBlocks(length + more, ratio, sizes, seeded(seed));
            expect(permutedBlocks(length, ratio, sizes, seeded(seed))).to.deep.equal(longer.slice(0, length));
          },
        ),
      );
    });
  });

  describe("generateAllocation", function () {
    const PLAN: AllocationPlan = { trialId: TRIAL, arms: 3, strata: 2, perStratum: 7, ratio: [2, 1, 1] };

    it("gives perStratum entries per stratum, stratum by stratum, in index order", function () {
      const sequence = generateAllocation(PLAN);
      expect(sequence.entries).to.have.length(PLAN.strata * PLAN.perStratum);
      sequence.entries.forEach((e, at) => {
        expect([e.stratum, e.index]).to.deep.equal([Math.floor(at / PLAN.perStratum), at % PLAN.perStratum]);
      });
      expect([sequence.trialId, sequence.arms, sequence.strata, sequence.perStratum]).to.deep.equal([TRIAL, 3, 2, 7]);
    });

    it("gives every entry its own 32-byte salt", function () {
      const sequence = generateAllocation({ trialId: TRIAL, arms: 2, strata: 3, perStratum: 50 });
      const salts = sequence.entries.map((e) => e.salt);
      for (const salt of salts) expect(salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(new Set(salts).size).to.equal(salts.length);
    });

    it("commits each arm as keccak256(abi.encode(uint8 arm, bytes32 salt))", function () {
      const sequence = generateAllocation(PLAN);
      for (const e of sequence.entries) {
        const expected = keccak256(coder.encode(["uint8", "bytes32"], [e.arm, e.salt]));
        expect(e.armCommitment).to.equal(expected);
        expect(armCommitment(e.arm, e.salt)).to.equal(expected);
      }
    });

    it("gives the root of the positional tree over (trial, stratum, index, armCommitment), entry by entry", function () {
      expect([...ALLOCATION_LEAF_ENCODING]).to.deep.equal(["uint64", "uint8", "uint24", "bytes32"]);
      const sequence = generateAllocation(PLAN);
      // 2 strata of 7: 14 leaves, padded with two zero leaves to depth 4.
      expect(sequence.tree.depth).to.equal(4);
      expect(sequence.tree.layers[0]).to.deep.equal([...leavesOf(sequence), ZeroHash, ZeroHash]);
      expect(sequence.root).to.equal(independentRoot(leavesOf(sequence)));
      expect(sequence.tree.root).to.equal(sequence.root);
      expect(sequence.tree.layers[4]).to.deep.equal([sequence.root]);
    });

    it("gives the independently computed root for one leaf, an exact power of two and a padded tree", function () {
      for (const [strata, perStratum, depth] of [
        [1, 1, 0],
        [1, 3, 2],
        [2, 4, 3],
        [3, 3, 4],
      ] as const) {
        const sequence = generateAllocation({ trialId: TRIAL, arms: 2, strata, perStratum });
        const leaves = leavesOf(sequence);
        expect([allocationDepth(leaves.length), sequence.tree.depth, depthOf(leaves.length)]).to.deep.equal([
          depth,
          depth,
          depth,
        ]);
        expect(sequence.root).to.equal(independentRoot(leaves));
        expect(positionalTree(leaves).root).to.equal(sequence.root);
        if (leaves.length === 1) expect(sequence.root).to.equal(leaves[0]);
      }
    });

    it("fixes each entry's place: a sequence with two entries swapped has another root", function () {
      const sequence = generateAllocation(PLAN, seeded(3));
      const leaves = leavesOf(sequence);
      const swapped = [leaves[1]!, leaves[0]!, ...leaves.slice(2)];
      expect(independentRoot(swapped)).to.not.equal(sequence.root);
      expect(positionalTree(swapped).root).to.equal(independentRoot(swapped));
    });
    it("draws the arms by permuted blocks per stratum and the salts from the source given", function () {
      // Defaults: equal allocation, block sizes 2 and 4 (the ratio's sum and twice it); the last choice is size 4.
      const sequence = generateAllocation({ trialId: TRIAL, arms: 2, strata: 2, perStratum: 6 }, lastChoice());
      expect(stratumArms(sequence, 0)).to.deep.equal([0, 0, 1, 1, 0, 0]);
      expect(stratumArms(sequence, 1)).to.deep.equal([0, 0, 1, 1, 0, 0]);
      expect(sequence.entries.map((e) => e.salt)).to.deep.equal(Array.from({ length: 12 }, (_, i) => nthSalt(i + 1)));
    });

    it("gives a reveal of every entry whose proof verifies at its position, as the registry checks it", function () {
      const sequence = generateAllocation(PLAN);
      for (const [at, e] of sequence.entries.entries()) {
        const { armCommitment: commitment, proof } = revealOf(sequence, e.stratum, e.index);
        expect(commitment).to.equal(e.armCommitment);
        expect(proof).to.have.length(sequence.tree.depth);
        expect(provesEntry(sequence, e.stratum, e.index, commitment, proof)).to.equal(true);
        expect(verifyPositional(sequence.root, sequence.tree.depth, at, allocationLeaf(TRIAL, e), proof)).to.equal(
          true,
        );
        expect(positionalProof(sequence.tree, at)).to.deep.equal(proof);
        // The proof is of that position only: not of another index, nor of the neighbouring position.
        const other = (e.index + 1) % PLAN.perStratum;
        expect(provesEntry(sequence, e.stratum, other, commitment, proof)).to.equal(false);
        expect(verifyPositional(sequence.root, sequence.tree.depth, at ^ 1, allocationLeaf(TRIAL, e), proof)).to.equal(
          false,
        );
      }
    });

    it("refuses a tampered proof, another commitment and a proof of the wrong length", function () {
      const sequence = generateAllocation(PLAN);
      for (const [at, e] of sequence.entries.entries()) {
        const { armCommitment: commitment, proof } = revealOf(sequence, e.stratum, e.index);
        const leaf = allocationLeaf(TRIAL, e);
        proof.forEach((_, level) => {
          const tampered = proof.map((sibling, i) => (i === level ? id(`tampered ${level}`) : sibling));
          expect(provesEntry(sequence, e.stratum, e.index, commitment, tampered)).to.equal(false);
          expect(verifyPositional(sequence.root, sequence.tree.depth, at, leaf, tampered)).to.equal(false);
        });
        const forged = id(`another commitment for ${at}`);
        expect(provesEntry(sequence, e.stratum, e.index, forged, proof)).to.equal(false);
        for (const wrongLength of [[...proof, ZeroHash], [...proof, sequence.root], proof.slice(0, -1), []]) {
          expect(provesEntry(sequence, e.stratum, e.index, commitment, wrongLength)).to.equal(false);
          expect(verifyPositional(sequence.root, sequence.tree.depth, at, leaf, wrongLength)).to.equal(false);
        }
      }
    });
    it("gives an opening of every entry that reopens its commitment", function () {
      const sequence = generateAllocation(PLAN);
      for (const e of sequence.entries) {
        const { arm, salt } = openingOf(sequence, e.stratum, e.index);
        expect([arm, salt]).to.deep.equal([e.arm, e.salt]);
        expect(keccak256(coder.encode(["uint8", "bytes32"], [arm, salt]))).to.equal(
          revealOf(sequence, e.stratum, e.index).armCommitment,
        );
      }
    });

    it("refuses a reveal or an opening outside the sequence", function () {
      const sequence = generateAllocation(PLAN);
      for (const [stratum, index] of [
        [2, 0],
        [0, 7],
        [-1, 0],
        [0, -1],
      ] as const) {
        const message = `the sequence has no entry ${index} in stratum ${stratum}`;
        expect(() => revealOf(sequence, stratum, index)).to.throw(Error, message);
        expect(() => openingOf(sequence, stratum, index)).to.throw(Error, message);
      }
    });

    describe("refuses a plan", function () {
      const base: AllocationPlan = { trialId: TRIAL, arms: 2, strata: 1, perStratum: 4 };
      const refusals: [string, Partial<AllocationPlan>, string][] = [
        ["with fewer than 2 arms", { arms: 1 }, `arms must be 2 to ${MAX_ARMS}`],
        ["with more than 255 arms", { arms: 256 }, "arms must be 2 to 255"],
        ["with a fractional arm count", { arms: 2.5 }, "arms must be 2 to 255"],
        ["with no strata", { strata: 0 }, "strata must be 1 to 255"],
        ["with 256 strata", { strata: 256 }, "strata must be 1 to 255"],
        ["with an empty stratum sequence", { perStratum: 0 }, "perStratum must be 1 to 16,777,215"],
        ["with a stratum sequence of 2^24", { perStratum: 2 ** 24 }, "perStratum must be 1 to 16,777,215"],
        ["with a ratio too short", { ratio: [1] }, "the ratio needs one positive whole weight per arm (2)"],
        ["with a ratio too long", { ratio: [1, 1, 1] }, "the ratio needs one positive whole weight per arm (2)"],
        ["with a zero weight", { ratio: [1, 0] }, "the ratio needs one positive whole weight per arm (2)"],
        ["with a negative weight", { ratio: [3, -1] }, "the ratio needs one positive whole weight per arm (2)"],
        ["with a fractional weight", { ratio: [1, 1.5] }, "the ratio needs one positive whole weight per arm (2)"],
        [
          "with a block size not a multiple of the ratio's sum",
          { ratio: [2, 1], blockSizes: [3, 4] },
          "every block size must be a positive multiple of the ratio's sum (3)",
        ],
        [
          "with a default ratio and an odd block size",
          { blockSizes: [3] },
          "every block size must be a positive multiple of the ratio's sum (2)",
        ],
        ["with no block sizes", { blockSizes: [] }, "every block size must be a positive multiple"],
        ["with a zero block size", { blockSizes: [0] }, "every block size must be a positive multiple"],
        ["with a negative block size", { blockSizes: [-2] }, "every block size must be a positive multiple"],
      ];
      for (const [what, change, message] of refusals) {
        it(what, function () {
          expect(() => generateAllocation({ ...base, ...change })).to.throw(Error, message);
        });
      }

      it("but accepts the bounds: 255 arms, 255 strata", function () {
        const arms = generateAllocation({ ...base, arms: MAX_ARMS, perStratum: 1 }, lastChoice());
        expect(arms.entries.map((e) => e.arm)).to.deep.equal([0]);
        expect(generateAllocation({ ...base, strata: 255, perStratum: 1 }).entries).to.have.length(255);
      });
    });

    it("hashes each leaf as TrialRegistry.reveal does: keccak256(bytes.concat(keccak256(abi.encode(...))))", function () {
      // The registry's AllocationRevealed event carries the leaf's fields with the types the leaf encodes them in.
      const event = TrialRegistry__factory.createInterface().getEvent("AllocationRevealed");
      expect(event.inputs.map((p) => `${p.type} ${p.name}`)).to.deep.equal([
        "uint64 trialId",
        "uint64 patient",
        "uint8 stratum",
        "uint24 index",
        "bytes32 armCommitment",
      ]);
      const sequence = generateAllocation(PLAN);
      for (const [at, e] of sequence.entries.entries()) {
        const value = [TRIAL, e.stratum, e.index, e.armCommitment];
        const solidity = leafOf(TRIAL, e.stratum, e.index, e.armCommitment);
        expect(allocationLeaf(TRIAL, e)).to.equal(solidity);
        // Still OpenZeppelin's standard leaf hash: a tree of that one leaf has it as its root.
        const single = StandardMerkleTree.of([value], [...ALLOCATION_LEAF_ENCODING]);
        expect(single.leafHash(value)).to.equal(solidity);
        expect(single.root).to.equal(solidity);
        expect(sequence.tree.layers[0]![at]).to.equal(solidity);
      }
    });
  });

  describe("dumpAllocation and loadAllocation", function () {
    const PLAN: AllocationPlan = { trialId: 2n ** 64n - 1n, arms: 3, strata: 2, perStratum: 5 };

    it("round-trip a sequence through JSON", function () {
      const sequence = generateAllocation(PLAN);
      const file = stored(dumpAllocation(sequence));
      expect(file.format).to.equal("careledger-allocation/1");
      expect(file.trialId).to.equal((2n ** 64n - 1n).toString());
      expect(file.entries[0]).to.have.all.keys("stratum", "index", "arm", "salt");
      const loaded = loadAllocation(file);
      expect([loaded.trialId, loaded.arms, loaded.strata, loaded.perStratum, loaded.root]).to.deep.equal([
        sequence.trialId,
        sequence.arms,
        sequence.strata,
        sequence.perStratum,
        sequence.root,
      ]);
      expect(loaded.entries).to.deep.equal(sequence.entries);
      for (const e of sequence.entries) {
        expect(revealOf(loaded, e.stratum, e.index)).to.deep.equal(revealOf(sequence, e.stratum, e.index));
        expect(openingOf(loaded, e.stratum, e.index)).to.deep.equal(openingOf(sequence, e.stratum, e.index));
      }
    });

    it("refuse a file with an entry's arm changed: its root no longer matches", function () {
      const sequence = generateAllocation(PLAN);
      const file = stored(dumpAllocation(sequence));
      const [first, ...rest] = file.entries;
      const tampered = { ...file, entries: [{ ...first!, arm: (first!.arm + 1) % 3 }, ...rest] };
      expect(() => loadAllocation(tampered)).to.throw(Error, `the allocation file's entries give root`);
      expect(() => loadAllocation(tampered)).to.throw(Error, `, not ${sequence.root}`);
    });

    it("refuse a file with a salt, the trial, an entry's position or the root changed, or an entry missing", function () {
      const file = stored(dumpAllocation(generateAllocation(PLAN)));
      const [first, ...rest] = file.entries;
      const tampered: AllocationFile[] = [
        { ...file, entries: [{ ...first!, salt: nthSalt(1) }, ...rest] },
        { ...file, trialId: "1" },
        { ...file, root: id("another root") },
      ];
      for (const changed of tampered) {
        expect(() => loadAllocation(changed)).to.throw(Error, "the allocation file's entries give root");
      }
      // An entry out of its place, or one missing, is refused before the root is even computed.
      expect(() => loadAllocation({ ...file, entries: [{ ...first!, index: 9 }, ...rest] })).to.throw(
        Error,
        "entry 0 of the allocation file is (0, 9), not (0, 0)",
      );
      expect(() => loadAllocation({ ...file, entries: rest })).to.throw(Error, `has ${rest.length} entries, not`);
    });

    it("refuse a file of another format", function () {
      const file = { ...dumpAllocation(generateAllocation(PLAN)), format: "careledger-allocation/2" };
      expect(() => loadAllocation(file as unknown as AllocationFile)).to.throw(
        Error,
        "not an allocation file: format careledger-allocation/2",
      );
    });

    // The positional root fixes each leaf's place, but the leaves are found by the file's own strata and perStratum, and
    // the root says nothing of the arm count the file states: a load must check its entries against those itself.
    it("never serve one position's entry for another's when the file's entries are reordered", function () {
      const file = stored(dumpAllocation(generateAllocation(PLAN, seeded(5))));
      const [first, second, ...rest] = file.entries;
      expectFaithfulOrRefused({ ...file, entries: [second!, first!, ...rest] });
    });

    it("never serve one position's entry for another's when the file's strata and perStratum are changed", function () {
      const file = stored(dumpAllocation(generateAllocation(PLAN, seeded(6))));
      expectFaithfulOrRefused({ ...file, strata: 1, perStratum: 10 });
    });

    it("never load entries whose arms the file's arm count does not cover", function () {
      const sequence = generateAllocation(PLAN, lastChoice()); // arms 0, 1 and 2 in each stratum
      expectFaithfulOrRefused({ ...stored(dumpAllocation(sequence)), arms: 2 });
    });
  });

  describe("auditAllocations", function () {
    /** Two strata of eight, arms 0..2 (ratio 2:1:1), from a fixed seed. */
    const sequence = generateAllocation(
      { trialId: TRIAL, arms: 3, strata: 2, perStratum: 8, ratio: [2, 1, 1] },
      seeded(9),
    );
    /** Stratum 0 indices 0..3 and stratum 1 indices 0..2, all disclosed. */
    const clean = (): RecordedAllocation[] => [
      ...[0, 1, 2, 3].map((i) => recorded(sequence, BigInt(100 + i), 0, i)),
      ...[0, 1, 2].map((i) => recorded(sequence, BigInt(200 + i), 1, i)),
    ];
    const countsOf = (records: readonly RecordedAllocation[]): number[] =>
      countArms(
        records.map((r) => openingOf(sequence, r.stratum, r.index).arm),
        3,
      );

    /** A report with nothing wrong, to spread the expected findings over. */
    const NOTHING = { mismatched: [], reused: [], skipped: [], wrongArms: [], unrevealed: [] };
    /** A report's findings, after checking it counts `arms` arms. */
    const findings = ({ armCounts, ...rest }: AllocationAuditReport, arms = sequence.arms) => {
      expect(armCounts).to.have.length(arms);
      return rest;
    };

    it("finds nothing wrong in a faithful record, and counts the disclosed arms", function () {
      const records = clean();
      expect(auditAllocations(sequence, records)).to.deep.equal({ ...NOTHING, armCounts: countsOf(records) });
      expect(auditAllocations(sequence, records, [4, 3])).to.deep.equal({ ...NOTHING, armCounts: countsOf(records) });
    });

    it("counts only disclosed arms", function () {
      const records = [recorded(sequence, 1n, 0, 0), recorded(sequence, 2n, 0, 1, false)];
      const report = auditAllocations(sequence, records);
      expect(report.armCounts).to.deep.equal(countsOf(records.slice(0, 1)));
      expect(findings(report)).to.deep.equal(NOTHING);
    });

    it("gives zero counts for an empty record", function () {
      expect(auditAllocations(sequence, [])).to.deep.equal({ ...NOTHING, armCounts: [0, 0, 0] });
      expect(auditAllocations(sequence, [], [0, 0])).to.deep.equal({ ...NOTHING, armCounts: [0, 0, 0] });
    });

    it("reports an index taken twice in a stratum", function () {
      const report = auditAllocations(sequence, [...clean(), recorded(sequence, 300n, 1, 1)]);
      expect(findings(report)).to.deep.equal({ ...NOTHING, reused: [{ stratum: 1, index: 1 }] });
    });

    it("reports an index skipped below the highest taken, per stratum", function () {
      const records = clean().filter((r) => !(r.stratum === 0 && r.index === 2) && !(r.stratum === 1 && r.index === 0));
      const report = auditAllocations(sequence, records);
      expect(report.skipped).to.have.deep.members([
        { stratum: 0, index: 2 },
        { stratum: 1, index: 0 },
      ]);
      expect(findings(report)).to.deep.equal({ ...NOTHING, skipped: report.skipped });
    });

    it("reports indices the registry says were taken but no reveal covers, a gap at a stratum's end included", function () {
      // The registry's next index is 6 in stratum 0 (only 0..3 revealed) and 3 in stratum 1 (all revealed).
      const report = auditAllocations(sequence, clean(), [6, 3]);
      expect(findings(report)).to.deep.equal({
        ...NOTHING,
        unrevealed: [
          { stratum: 0, index: 4 },
          { stratum: 0, index: 5 },
        ],
      });
      // Without the registry's next indices a gap at the end cannot be seen.
      expect(findings(auditAllocations(sequence, clean()))).to.deep.equal(NOTHING);
    });

    it("reports a reveal whose commitment is not the entry's at its stratum and index", function () {
      const swapped = { ...recorded(sequence, 400n, 0, 4), armCommitment: revealOf(sequence, 0, 5).armCommitment };
      const report = auditAllocations(sequence, [...clean(), swapped]);
      expect(findings(report)).to.deep.equal({ ...NOTHING, mismatched: [swapped] });
      const outside = { ...recorded(sequence, 401n, 1, 0, false), index: 8 };
      expect(auditAllocations(sequence, [outside]).mismatched).to.deep.equal([outside]);
      const beyond = { ...recorded(sequence, 402n, 1, 0, false), stratum: 2 };
      expect(auditAllocations(sequence, [beyond]).mismatched).to.deep.equal([beyond]);
    });

    it("reports a disclosed arm that is not the sequence's, and leaves it out of the counts", function () {
      const records = clean();
      const faithful = records.pop()!;
      const wrong = { ...faithful, arm: (faithful.arm! + 1) % 3 };
      const report = auditAllocations(sequence, [...records, wrong]);
      expect(findings(report)).to.deep.equal({ ...NOTHING, wrongArms: [wrong] });
      expect(report.armCounts).to.deep.equal(countsOf(records));
    });

    // For any plan and random draws, when every entry of every stratum is revealed and disclosed faithfully: the audit
    // reports nothing wrong; its arm counts are the sequence's; each stratum splits into complete blocks holding every
    // arm in the ratio (and a cut last block), so arm a's count is within the strata's last blocks of
    // ratio[a] * N / sum(ratio), and exactly that when the only block size divides perStratum.
    it("balances the allocation within each complete block, and the audit counts it (property)", function () {
      const plans = fc
        .record({
          ratio: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
          multiples: multiplesArb,
          strata: fc.integer({ min: 1, max: 3 }),
          perStratum: fc.integer({ min: 1, max: 30 }),
          seed: fc.integer(),
        })
        .map(({ ratio, multiples, strata, perStratum, seed }) => {
          const blockSizes = multiples.map((m) => m * sum(ratio));
          const plan: AllocationPlan = { trialId: TRIAL, arms: ratio.length, strata, perStratum, ratio, blockSizes };
          return { plan, ratio, blockSizes, seed };
        });
      fc.assert(
        fc.property(plans, ({ plan, ratio, blockSizes, seed }) => {
          const generated = generateAllocation(plan, seeded(seed));
          for (let stratum = 0; stratum < plan.strata; stratum += 1) {
            expect(splitsIntoBlocks(stratumArms(generated, stratum), ratio, blockSizes), `stratum ${stratum}`).to.equal(
              true,
            );
          }
          const records = generated.entries.map((e, at) => recorded(generated, BigInt(at + 1), e.stratum, e.index));
          const report = auditAllocations(generated, records, Array<number>(plan.strata).fill(plan.perStratum));
          expect(findings(report, plan.arms)).to.deep.equal(NOTHING);
          expect(report.armCounts).to.deep.equal(
            countArms(
              generated.entries.map((e) => e.arm),
              plan.arms,
            ),
          );
          const weight = sum(ratio);
          const total = plan.strata * plan.perStratum;
          const largest = Math.max(...blockSizes);
          const exact = blockSizes.length === 1 && plan.perStratum % largest === 0;
          report.armCounts.forEach((count, arm) => {
            const expected = (ratio[arm]! * total) / weight;
            const slack = exact ? 0 : (plan.strata * ratio[arm]! * largest) / weight;
            expect(Math.abs(count - expected), `arm ${arm}`).to.be.at.most(slack);
          });
        }),
        { numRuns: 40 },
      );
    });
  });
});
