import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, type ContractTransactionResponse, keccak256, ZeroHash } from "ethers";
import fc from "fast-check";

import { DataCategory, DecisionBasis, ParticipantKind } from "../../sdk";
import type { RecordRegistry } from "../../typechain-types";
import { type RecordsFixture, recordsFixture } from "../fixtures/records";
import { at, type Clock, pinNext } from "../helpers/model";
import {
  type AmendmentInfo,
  amendmentOf,
  anchored,
  AmendmentStatus,
  type AnchorInfo,
  anchorOf,
  historyOf,
  LEAF_ENCODING,
  leafHash,
  leafStruct,
  type LeafValue,
  NOTHING,
  randomCommitment,
  RecordStatus,
  SUSPENSION_REASON,
} from "./helpers";

// Two property tests of the record registry. Each run starts from the records fixture's snapshot (loadFixture reverts
// to it).

const MAX_UINT64 = 2n ** 64n - 1n;
const CATEGORY_COUNT = 16;

// =====================================================================================================================
// (a) Merkle batches
// =====================================================================================================================

/** A random tree: how many leaves, the seed their values come from, and where their patients and categories come
 * from; plus which non-member to try and which proof bit to flip. */
interface TreeCase {
  size: number;
  seed: number;
  /** "few": a handful of the fixture's patients; "random": any uint64; "edges": 0, 1 and the uint64 maximum too. */
  patients: "few" | "random" | "edges";
  /** How many distinct categories the leaves use (1 to 16). */
  categorySpread: number;
  /** The member whose patient or category is changed, and the member whose proof element is flipped. */
  member: number;
  element: number;
  bit: number;
  /** How the changed member's patient is changed: +1, -1 (wrapping) or replaced by another leaf's. */
  patientShift: number;
  /** How the changed member's category is changed: to another one inside the batch set, or to one outside it. */
  categoryShift: number;
}

/** Tree sizes around powers of two, where the tree's shape changes. */
const SHAPE_EDGES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300];
const treeSize = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SHAPE_EDGES) },
);

const treeCase: fc.Arbitrary<TreeCase> = fc.record({
  size: treeSize,
  seed: fc.integer(),
  patients: fc.constantFrom("few" as const, "random" as const, "edges" as const),
  categorySpread: fc.integer({ min: 1, max: CATEGORY_COUNT }),
  member: fc.nat(),
  element: fc.nat(),
  bit: fc.nat({ max: 255 }),
  patientShift: fc.nat({ max: 2 }),
  categoryShift: fc.nat({ max: 1 }),
});

/** A tiny seeded generator (mulberry32): the leaves of a 300-leaf tree stay one seed long in a counterexample. */
function sampler(seed: number): { below: (n: number) => number; word: () => string; uint64: () => bigint } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  let counter = 0;
  return {
    below: (n) => Math.floor(next() * n),
    // Distinct 32-byte words: the hash of the seed and a counter.
    word: () => keccak256(AbiCoder.defaultAbiCoder().encode(["int256", "uint256"], [seed, counter++])),
    uint64: () => (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32)),
  };
}

function leavesOf(c: TreeCase, f: RecordsFixture): LeafValue[] {
  const random = sampler(c.seed);
  const fixturePatients = [f.patientId, f.otherPatientId, f.representativeId];
  const edgePatients = [0n, 1n, MAX_UINT64, f.patientId];
  // The categories in use: `categorySpread` of them, from a random offset.
  const offset = random.below(CATEGORY_COUNT);
  const categories = Array.from({ length: c.categorySpread }, (_, i) => (offset + i) % CATEGORY_COUNT);
  return Array.from({ length: c.size }, (): LeafValue => {
    const patient =
      c.patients === "few"
        ? at(fixturePatients, random.below(fixturePatients.length))
        : c.patients === "edges" && random.below(2) === 0
          ? at(edgePatients, random.below(edgePatients.length))
          : random.uint64();
    return [random.word(), patient, at(categories, random.below(categories.length))];
  });
}

function flipBit(word: string, bit: number): string {
  return "0x" + (BigInt(word) ^ (1n << BigInt(bit))).toString(16).padStart(64, "0");
}

function setOf(leaves: readonly LeafValue[]): number {
  return leaves.reduce((set, [, , category]) => set | (1 << category), 0);
}

function show(leaf: LeafValue): string {
  return `(${leaf[0]}, ${leaf[1].toString()}, ${leaf[2]})`;
}

/** `verifyInclusion` for many (leaf, proof) pairs, a few dozen calls at a time. */
async function verifyAll(
  records: RecordRegistry,
  root: string,
  pairs: readonly (readonly [LeafValue, string[]])[],
): Promise<boolean[]> {
  const results: boolean[] = [];
  for (let start = 0; start < pairs.length; start += 50) {
    const chunk = pairs.slice(start, start + 50);
    results.push(
      ...(await Promise.all(chunk.map(([leaf, proof]) => records.verifyInclusion(root, leafStruct(leaf), proof)))),
    );
  }
  return results;
}

// =====================================================================================================================
// (b) Version chains: a tiny model
// =====================================================================================================================

/** Who can act in the version-chain runs. `id` is 0 for the registrar and the stranger, who hold no participant id. */
interface Actor {
  name: string;
  key: HardhatEthersSigner;
  id: bigint;
  kind: ParticipantKind;
  registered: boolean;
}

type Expected =
  { events: readonly { name: string; args: readonly unknown[] }[] } | { error: string; args: readonly unknown[] };

/**
 * The documented rules of versions and amendments, independent of the contract: a version is current until it is
 * superseded (it then names its successor) or entered in error; both are final. Its curators are its author and the
 * organization it was anchored under, while active, and a registrar through the registrar functions. The patient, or
 * an active representative, asks to amend a current version; the curator accepts (a new version, reason 2) or denies
 * (a non-zero reason); the patient's side withdraws. Nothing is ever removed.
 */
class VersionModel {
  readonly versions = new Map<string, AnchorInfo>();
  readonly requests = new Map<bigint, AmendmentInfo>();
  /** Participants suspended by the run (everyone else registered is active). */
  readonly suspended = new Set<bigint>();
  amendmentCount = 0n;

  constructor(
    readonly patientId: bigint,
    readonly representativeId: bigint,
  ) {}

  isActive(actor: Actor): boolean {
    return actor.registered && !this.suspended.has(actor.id);
  }

  /** The caller's id if it curates `commitment`, else the error. */
  curator(actor: Actor, commitment: string): bigint | Expected {
    const v = this.versions.get(commitment);
    if (v === undefined) return { error: "RecordUnknown", args: [commitment] };
    if (!this.isActive(actor) || actor.id === 0n || (actor.id !== v.author && actor.id !== v.organization)) {
      return { error: "RecordNotCurator", args: [commitment, actor.key.address] };
    }
    return actor.id;
  }

  /** The caller's id if it acts for `patient` (the patient herself, or her active representative). */
  patientActor(actor: Actor, patient: bigint): bigint | Expected {
    const acts =
      this.isActive(actor) &&
      ((actor.id === patient && actor.kind === ParticipantKind.Patient) ||
        (patient === this.patientId && actor.id === this.representativeId));
    return acts ? actor.id : { error: "RecordUnauthorizedPatientActor", args: [patient, actor.key.address] };
  }

  anchor(
    author: Actor,
    patient: bigint,
    category: number,
    basis: DecisionBasis,
    organization: bigint,
    commitment: string,
    t: bigint,
  ): Expected {
    this.versions.set(commitment, {
      status: RecordStatus.Current,
      patient,
      author: author.id,
      organization,
      category,
      anchoredAt: t,
      fromBatch: false,
      previous: ZeroHash,
      next: ZeroHash,
      errorReason: 0,
    });
    return { events: [{ name: "RecordAnchored", args: [commitment, patient, author.id, category, basis, ZeroHash] }] };
  }

  /** The common part of every supersede: `author` is the curator's id (0 for a registrar without one). */
  private supersede(
    previous: string,
    commitment: string,
    author: bigint,
    reason: number,
    pointer: string,
    t: bigint,
  ): Expected {
    const old = this.versions.get(previous);
    if (old === undefined) return { error: "RecordUnknown", args: [previous] };
    if (old.status !== RecordStatus.Current) {
      return { error: "RecordInvalidTransition", args: [previous, old.status, RecordStatus.Superseded] };
    }
    if (commitment === ZeroHash) return { error: "RecordInvalidCommitment", args: [] };
    if (this.versions.has(commitment)) return { error: "RecordAlreadyAnchored", args: [commitment] };
    old.status = RecordStatus.Superseded;
    old.next = commitment;
    this.versions.set(commitment, {
      ...old,
      status: RecordStatus.Current,
      author,
      anchoredAt: t,
      previous,
      next: ZeroHash,
      errorReason: 0,
    });
    return {
      events: [{ name: "RecordSuperseded", args: [previous, commitment, old.patient, author, reason, pointer] }],
    };
  }

  curatorSupersede(actor: Actor, previous: string, commitment: string, reason: number, t: bigint): Expected {
    const id = this.curator(actor, previous);
    if (typeof id !== "bigint") return id;
    return this.supersede(previous, commitment, id, reason, ZeroHash, t);
  }

  registrarSupersede(
    actor: Actor,
    isRegistrar: boolean,
    previous: string,
    commitment: string,
    reason: number,
    t: bigint,
  ): Expected {
    if (!isRegistrar) return { error: "AccessManagedUnauthorized", args: [actor.key.address] };
    return this.supersede(previous, commitment, 0n, reason, ZeroHash, t);
  }

  private enterInError(commitment: string, reason: number, actorId: bigint): Expected {
    if (reason === 0) return { error: "RecordReasonRequired", args: [] };
    const v = this.versions.get(commitment);
    if (v === undefined) return { error: "RecordUnknown", args: [commitment] };
    if (v.status !== RecordStatus.Current) {
      return { error: "RecordInvalidTransition", args: [commitment, v.status, RecordStatus.EnteredInError] };
    }
    v.status = RecordStatus.EnteredInError;
    v.errorReason = reason;
    return { events: [{ name: "RecordEnteredInError", args: [commitment, v.patient, actorId, reason] }] };
  }

  markEnteredInError(actor: Actor, commitment: string, reason: number): Expected {
    const id = this.curator(actor, commitment);
    if (typeof id !== "bigint") return id;
    return this.enterInError(commitment, reason, id);
  }

  registrarMarkEnteredInError(actor: Actor, isRegistrar: boolean, commitment: string, reason: number): Expected {
    if (!isRegistrar) return { error: "AccessManagedUnauthorized", args: [actor.key.address] };
    return this.enterInError(commitment, reason, 0n);
  }

  requestAmendment(actor: Actor, record: string, requestCommitment: string, t: bigint): Expected {
    const v = this.versions.get(record);
    const status = v?.status ?? RecordStatus.None;
    if (v === undefined) return { error: "RecordUnknown", args: [record] };
    if (status !== RecordStatus.Current) return { error: "RecordNotCurrent", args: [record, status] };
    const actorId = this.patientActor(actor, v.patient);
    if (typeof actorId !== "bigint") return actorId;
    const id = ++this.amendmentCount;
    this.requests.set(id, {
      record,
      patient: v.patient,
      status: AmendmentStatus.Pending,
      requestedAt: t,
      answeredAt: 0n,
      denialReason: 0,
      amendedVersion: ZeroHash,
    });
    return {
      events: [{ name: "AmendmentRequested", args: [id, record, v.patient, actorId, requestCommitment] }],
    };
  }

  private pending(id: bigint, to: AmendmentStatus): AmendmentInfo | Expected {
    const r = this.requests.get(id);
    if (r === undefined) return { error: "RecordUnknownAmendment", args: [id] };
    if (r.status !== AmendmentStatus.Pending) {
      return { error: "RecordInvalidAmendmentTransition", args: [id, r.status, to] };
    }
    return r;
  }

  acceptAmendment(actor: Actor, id: bigint, amended: string, t: bigint): Expected {
    const r = this.pending(id, AmendmentStatus.Accepted);
    if (!("record" in r)) return r;
    const curatorId = this.curator(actor, r.record);
    if (typeof curatorId !== "bigint") return curatorId;
    const superseded = this.supersede(r.record, amended, curatorId, 2, ZeroHash, t);
    if (!("events" in superseded)) return superseded;
    r.status = AmendmentStatus.Accepted;
    r.answeredAt = t;
    r.amendedVersion = amended;
    return {
      events: [...superseded.events, { name: "AmendmentAccepted", args: [id, r.record, amended] }],
    };
  }

  denyAmendment(actor: Actor, id: bigint, reason: number, response: string, t: bigint): Expected {
    if (reason === 0) return { error: "RecordReasonRequired", args: [] };
    const r = this.pending(id, AmendmentStatus.Denied);
    if (!("record" in r)) return r;
    const curatorId = this.curator(actor, r.record);
    if (typeof curatorId !== "bigint") return curatorId;
    r.status = AmendmentStatus.Denied;
    r.answeredAt = t;
    r.denialReason = reason;
    return { events: [{ name: "AmendmentDenied", args: [id, r.record, reason, response] }] };
  }

  withdrawAmendment(actor: Actor, id: bigint): Expected {
    const r = this.pending(id, AmendmentStatus.Withdrawn);
    if (!("record" in r)) return r;
    const actorId = this.patientActor(actor, r.patient);
    if (typeof actorId !== "bigint") return actorId;
    r.status = AmendmentStatus.Withdrawn;
    return { events: [{ name: "AmendmentWithdrawn", args: [id, r.record] }] };
  }

  /** Every version of `commitment`'s record, first to latest. */
  history(commitment: string): string[] {
    let first = commitment;
    for (let v = this.versions.get(first); v !== undefined && v.previous !== ZeroHash; v = this.versions.get(first)) {
      first = v.previous;
    }
    const chain: string[] = [];
    for (let c = first; c !== ZeroHash; c = this.versions.get(c)?.next ?? ZeroHash) chain.push(c);
    return chain;
  }

  /** What `verify` returns for `commitment`. */
  anchorOf(commitment: string): AnchorInfo {
    return this.versions.get(commitment) ?? NOTHING;
  }
}

type Commitment = "fresh" | "taken" | "zero";
const commitmentMode = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Commitment>("fresh") },
  { weight: 1, arbitrary: fc.constant<Commitment>("taken") },
  { weight: 1, arbitrary: fc.constant<Commitment>("zero") },
);
const reasonCode = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 0xffff }) },
  { weight: 1, arbitrary: fc.constant(0) },
);
const pick = fc.nat({ max: 1000 });
/** True nine times in ten: most registrar calls come from the registrar. */
const mostly = fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

type Step =
  | { op: "anchor"; author: number; category: number }
  | { op: "supersede"; version: number; actor: number; commitment: Commitment; reason: number }
  | { op: "registrarSupersede"; version: number; byRegistrar: boolean; actor: number; commitment: Commitment }
  | { op: "markEnteredInError"; version: number; actor: number; reason: number }
  | { op: "registrarMarkEnteredInError"; version: number; byRegistrar: boolean; actor: number; reason: number }
  | { op: "requestAmendment"; version: number; actor: number }
  | { op: "acceptAmendment"; request: number; actor: number; commitment: Commitment }
  | { op: "denyAmendment"; request: number; actor: number; reason: number }
  | { op: "withdrawAmendment"; request: number; actor: number }
  | { op: "toggle"; subject: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("anchor" as const), author: pick, category: fc.nat({ max: 2 }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("supersede" as const),
      version: pick,
      actor: pick,
      commitment: commitmentMode,
      reason: fc.integer({ min: 1, max: 9 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("registrarSupersede" as const),
      version: pick,
      byRegistrar: mostly,
      actor: pick,
      commitment: commitmentMode,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("markEnteredInError" as const),
      version: pick,
      actor: pick,
      reason: reasonCode,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("registrarMarkEnteredInError" as const),
      version: pick,
      byRegistrar: mostly,
      actor: pick,
      reason: reasonCode,
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("requestAmendment" as const), version: pick, actor: pick }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("acceptAmendment" as const),
      request: pick,
      actor: pick,
      commitment: commitmentMode,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("denyAmendment" as const), request: pick, actor: pick, reason: reasonCode }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("withdrawAmendment" as const), request: pick, actor: pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("toggle" as const), subject: pick }) },
);

/** The events `records` emitted in the receipt of `tx`, as names and plain arguments. */
async function emitted(records: RecordRegistry, tx: ContractTransactionResponse) {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} was not mined`);
  const address = (await records.getAddress()).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => {
      const parsed = records.interface.parseLog(log);
      if (parsed === null) throw new Error("unparsed record registry log");
      return { name: parsed.name, args: [...parsed.args].map(normalize) };
    });
}

/** Numbers as bigint, so that model arguments and decoded log arguments compare deeply. */
function normalize(value: unknown): unknown {
  return typeof value === "number" ? BigInt(value) : value;
}

/** Asserts that the write did exactly what the model expected: these events in this order, or this custom error. */
async function settle(
  records: RecordRegistry,
  clock: Clock,
  label: string,
  write: () => Promise<ContractTransactionResponse>,
  expected: Expected,
): Promise<void> {
  if ("error" in expected) {
    await expect(write(), label)
      .to.be.revertedWithCustomError(records, expected.error)
      .withArgs(...expected.args);
  } else {
    const events = await emitted(records, await write());
    expect(events, label).to.deep.equal(expected.events.map((e) => ({ name: e.name, args: e.args.map(normalize) })));
  }
  clock.now = BigInt(await time.latest());
}

function castOf(f: RecordsFixture) {
  const stranger = f.spareKeys[0];
  if (stranger === undefined) throw new Error("the records fixture has no spare key");
  const actor = (name: string, key: HardhatEthersSigner, id: bigint, kind: ParticipantKind): Actor => ({
    name,
    key,
    id,
    kind,
    registered: id !== 0n,
  });
  const cardiologist = actor("cardiologist", f.cardiologistKey, f.cardiologistId, ParticipantKind.Practitioner);
  const internist = actor("internist", f.internistKey, f.internistId, ParticipantKind.Practitioner);
  const hospital = actor("hospital", f.hospitalKey, f.hospitalId, ParticipantKind.Organization);
  const clinicDoctor = actor("clinic doctor", f.clinicDoctorKey, f.clinicDoctorId, ParticipantKind.Practitioner);
  const patient = actor("patient", f.patientKey, f.patientId, ParticipantKind.Patient);
  const representative = actor("representative", f.representativeKey, f.representativeId, ParticipantKind.Patient);
  const otherPatient = actor("other patient", f.otherPatientKey, f.otherPatientId, ParticipantKind.Patient);
  const registrar = actor("registrar", f.registrar, 0n, ParticipantKind.None);
  const strangerActor = actor("stranger", stranger, 0n, ParticipantKind.None);
  return {
    cardiologist,
    internist,
    hospital,
    patient,
    representative,
    registrar,
    /** Everyone who may try a write. The likely curators come twice. */
    everyone: [
      cardiologist,
      hospital,
      patient,
      representative,
      internist,
      cardiologist,
      hospital,
      patient,
      clinicDoctor,
      otherPatient,
      registrar,
      strangerActor,
    ],
    /** Everyone once. */
    all: [
      cardiologist,
      internist,
      hospital,
      clinicDoctor,
      patient,
      representative,
      otherPatient,
      registrar,
      strangerActor,
    ],
    authors: [cardiologist, internist, hospital, patient, representative, otherPatient],
    toggles: [cardiologist, hospital, internist, patient, representative],
  };
}

// =====================================================================================================================
// The properties
// =====================================================================================================================

describe("RecordRegistry", function () {
  describe("properties", function () {
    // Invariant: for any tree of 1 to 300 records (random commitments, patients anywhere in uint64, any categories)
    // that an organization anchored as a batch declaring exactly its leaves' categories,
    // - every leaf's proof verifies, on chain through verifyInclusion and off chain through StandardMerkleTree.verify
    //   (the contract's leaf is the library's double-hashed leaf over (bytes32, uint64, uint8));
    // - a leaf that is not in the tree — a fresh commitment with a member's patient and category, a member with its
    //   patient changed, or a member with its category changed (to another declared one, or to one outside the
    //   declared set) — is rejected with every member's proof;
    // - a member's proof with any one bit of any one element flipped is rejected (and so is a single-leaf batch's
    //   empty proof extended by one element);
    // - adopting a member stores exactly its commitment, patient and category, authored by the batch's organization
    //   and dated to the batch, while a flipped proof cannot adopt it.
    it("verifies exactly the members of any anchored tree", async function () {
      this.timeout(600_000);
      await fc.assert(
        fc.asyncProperty(treeCase, async (c) => {
          const f = await loadFixture(recordsFixture);
          const { records, hospitalKey } = f;
          const leaves = leavesOf(c, f);
          const tree = StandardMerkleTree.of(leaves, LEAF_ENCODING);
          const root = tree.root;
          const categories = setOf(leaves);
          const batchTime = await pinNext({ now: BigInt(await time.latest()) });
          await (await records.connect(hospitalKey).anchorBatch(root, leaves.length, categories, ZeroHash)).wait();

          // Every member, with its own proof.
          const members = [...tree.entries()].map(([index, leaf]) => [leaf, tree.getProof(index)] as const);
          for (const [leaf, proof] of members) {
            expect(StandardMerkleTree.verify(root, LEAF_ENCODING, leaf, proof), `library: ${show(leaf)}`).to.equal(
              true,
            );
            expect(tree.leafHash(leaf)).to.equal(leafHash(leaf));
          }
          const onChain = await verifyAll(records, root, members);
          onChain.forEach((ok, i) => expect(ok, `member ${show(members[i]![0])}`).to.equal(true));

          // Non-members, each with every member's proof.
          const base = at(leaves, c.member);
          const declared = [...Array(CATEGORY_COUNT).keys()].filter((k) => (categories >> k) & 1);
          const undeclared = [...Array(CATEGORY_COUNT).keys()].filter((k) => !((categories >> k) & 1));
          const otherPatient =
            c.patientShift === 0
              ? (base[1] + 1n) & MAX_UINT64
              : c.patientShift === 1
                ? (base[1] + MAX_UINT64) & MAX_UINT64
                : at(leaves, c.member + 1)[1] === base[1]
                  ? base[1] ^ 1n
                  : at(leaves, c.member + 1)[1];
          const inside = declared.filter((k) => k !== base[2]);
          const choices =
            c.categoryShift === 0
              ? inside.length > 0
                ? inside
                : undeclared
              : undeclared.length > 0
                ? undeclared
                : inside;
          const otherCategory = at(choices, c.member);
          const nonMembers: LeafValue[] = [
            [randomCommitment(), base[1], base[2]],
            [base[0], otherPatient, base[2]],
            [base[0], base[1], otherCategory],
          ];
          for (const nonMember of nonMembers) {
            expect(
              leaves.some((l) => show(l) === show(nonMember)),
              "the non-member is not in the tree",
            ).to.equal(false);
            const results = await verifyAll(
              records,
              root,
              members.map(([, proof]) => [nonMember, proof] as const),
            );
            results.forEach((ok, i) => expect(ok, `non-member ${show(nonMember)} with proof ${i}`).to.equal(false));
            expect(StandardMerkleTree.verify(root, LEAF_ENCODING, nonMember, members[0]![1])).to.equal(false);
          }

          // One bit flipped in one element of a member's proof.
          const [leaf, proof] = at(members, c.member);
          if (proof.length > 0) {
            const element = c.element % proof.length;
            const flipped = proof.map((p, i) => (i === element ? flipBit(p, c.bit) : p));
            expect(
              await records.verifyInclusion(root, leafStruct(leaf), flipped),
              `bit ${c.bit} of element ${element}`,
            ).to.equal(false);
            expect(StandardMerkleTree.verify(root, LEAF_ENCODING, leaf, flipped)).to.equal(false);
          } else {
            expect(leaves.length).to.equal(1);
            expect(await records.verifyInclusion(root, leafStruct(leaf), [flipBit(ZeroHash, c.bit)])).to.equal(false);
          }

          // Adopting that member stores exactly its values (patients up to the uint64 maximum included), dated to
          // the batch and authored by the hospital; the flipped proof could not have adopted it.
          if (proof.length > 0) {
            await expect(
              records.adopt(
                root,
                leafStruct(leaf),
                proof.map((p, i) => (i === 0 ? flipBit(p, c.bit) : p)),
              ),
            )
              .to.be.revertedWithCustomError(records, "RecordNotInBatch")
              .withArgs(root, leaf[0]);
          }
          await (await records.adopt(root, leafStruct(leaf), proof)).wait();
          expect(await anchorOf(records, leaf[0]), `adopted ${show(leaf)}`).to.deep.equal(
            anchored({
              patient: leaf[1],
              author: f.hospitalId,
              organization: f.hospitalId,
              category: leaf[2],
              anchoredAt: batchTime,
              fromBatch: true,
            }),
          );
        }),
        { numRuns: 20 },
      );
    });

    // Invariants of version chains, for any sequence of supersede / registrarSupersede / markEnteredInError /
    // registrarMarkEnteredInError / requestAmendment / acceptAmendment / denyAmendment / withdrawAmendment / anchor
    // writes by any actor (curators, their colleagues, the patient, her representative, another patient, the
    // registrar, an unregistered key), with participants suspended and reinstated in between:
    // - every write succeeds, with exactly the model's events in order, when the model allows it, and otherwise
    //   reverts with the model's custom error and arguments (the first that applies, in the documented order);
    // - a version is Current until superseded (then it names its successor) or entered in error, and never moves
    //   again; only its author or its organization (while active) or a registrar changes it; a new version keeps the
    //   patient, category and organization and names its curator as author (NONE for the registrar);
    // - verify() of every version, history() (first to latest, the same from every version of a record),
    //   latestVersion(), amendment() of every request and amendmentCount() equal the model's: a reverted write changed
    //   nothing.
    it("keeps version chains and amendment requests as the model of the documented rules does", async function () {
      this.timeout(600_000);
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40, size: "max" }), async (steps) => {
          const f = await loadFixture(recordsFixture);
          const { records } = f;
          const cast = castOf(f);
          const model = new VersionModel(f.patientId, f.representativeId);
          const clock: Clock = { now: BigInt(await time.latest()) };
          const categories = [DataCategory.LaboratoryResults, DataCategory.Imaging, DataCategory.Conditions];

          const anchorBy = async (author: Actor, category: number) => {
            const patient =
              author.kind === ParticipantKind.Patient && author !== cast.representative ? author.id : f.patientId;
            const commitment = randomCommitment();
            const t = await pinNext(clock);
            let expected: Expected;
            const invalid: Expected = { error: "RecordInvalidAuthor", args: [author.key.address] };
            if (!model.isActive(author)) expected = invalid;
            else if (author === cast.internist && !model.isActive(cast.hospital)) {
              expected = {
                error: "RecordAnchorNotPermitted",
                args: [patient, author.id, category, DecisionBasis.InactiveGrantee],
              };
            } else {
              const [basis, organization] =
                author.kind === ParticipantKind.Patient
                  ? [author === cast.representative ? DecisionBasis.Representative : DecisionBasis.Self, 0n]
                  : author === cast.internist
                    ? [DecisionBasis.OrganizationGrant, f.hospitalId]
                    : [DecisionBasis.Grant, f.hospitalId];
              expected = model.anchor(author, patient, category, basis, organization, commitment, t);
            }
            await settle(
              records,
              clock,
              `anchor by ${author.name}`,
              () => records.connect(author.key).anchor(patient, commitment, category, ZeroHash),
              expected,
            );
          };

          // Three records to start from: the cardiologist's, the internist's and the patient's own.
          await anchorBy(cast.cardiologist, DataCategory.LaboratoryResults);
          await anchorBy(cast.internist, DataCategory.Imaging);
          await anchorBy(cast.patient, DataCategory.Conditions);

          /** A known version (mostly a current one), or now and then one never anchored. */
          const versionAt = (position: number): string => {
            const known = [...model.versions.keys()];
            if (position % 13 === 12) return randomCommitment();
            const current = known.filter((k) => model.versions.get(k)?.status === RecordStatus.Current);
            return position % 3 !== 0 && current.length > 0 ? at(current, position) : at(known, position);
          };
          /** A new version's commitment: fresh, one anchored already, or zero. */
          const commitmentFor = (mode: Commitment, position: number): string =>
            mode === "fresh"
              ? randomCommitment()
              : mode === "zero"
                ? ZeroHash
                : at([...model.versions.keys()], position);
          /** A request id: mostly a known one (a pending one if there is), now and then one never made. */
          const requestAt = (position: number): bigint => {
            if (position % 11 === 10 || model.requests.size === 0) return model.amendmentCount + 1n;
            const pending = [...model.requests.entries()]
              .filter(([, r]) => r.status === AmendmentStatus.Pending)
              .map(([id]) => id);
            return position % 4 !== 0 && pending.length > 0
              ? at(pending, position)
              : at([...model.requests.keys()], position);
          };

          /** Three times in five one of `candidates` (if any), else anyone: most writes come from someone entitled. */
          const likely = (position: number, candidates: readonly Actor[]): Actor =>
            position % 5 < 3 && candidates.length > 0 ? at(candidates, position) : at(cast.everyone, position);
          /** The actors whose id is the version's author or organization (whether active or not). */
          const curatorsOf = (commitment: string | undefined): Actor[] => {
            const v = commitment === undefined ? undefined : model.versions.get(commitment);
            return v === undefined
              ? []
              : cast.all.filter((a) => a.id !== 0n && (a.id === v.author || a.id === v.organization));
          };
          /** The actors who may act for the patient of `commitment`'s record (whether active or not). */
          const patientSideOf = (commitment: string | undefined): Actor[] => {
            const v = commitment === undefined ? undefined : model.versions.get(commitment);
            if (v === undefined) return [];
            return cast.all.filter(
              (a) =>
                (a.id === v.patient && a.kind === ParticipantKind.Patient) ||
                (v.patient === f.patientId && a === cast.representative),
            );
          };

          for (const s of steps) {
            const touched = new Set<string>();
            let request: bigint | undefined;
            switch (s.op) {
              case "anchor": {
                const before = new Set(model.versions.keys());
                await anchorBy(at(cast.authors, s.author), at(categories, s.category));
                for (const k of model.versions.keys()) if (!before.has(k)) touched.add(k);
                break;
              }
              case "supersede": {
                const previous = versionAt(s.version);
                const actor = likely(s.actor, curatorsOf(previous));
                const commitment = commitmentFor(s.commitment, s.version + 1);
                const t = await pinNext(clock);
                const expected = model.curatorSupersede(actor, previous, commitment, s.reason, t);
                await settle(
                  records,
                  clock,
                  `supersede by ${actor.name}`,
                  () => records.connect(actor.key).supersede(previous, commitment, ZeroHash, s.reason),
                  expected,
                );
                touched.add(previous).add(commitment);
                break;
              }
              case "registrarSupersede": {
                const actor = s.byRegistrar ? cast.registrar : at(cast.everyone, s.actor);
                const isRegistrar = actor === cast.registrar;
                const previous = versionAt(s.version);
                const commitment = commitmentFor(s.commitment, s.version + 1);
                const t = await pinNext(clock);
                const expected = model.registrarSupersede(actor, isRegistrar, previous, commitment, 1, t);
                await settle(
                  records,
                  clock,
                  `registrarSupersede by ${actor.name}`,
                  () => records.connect(actor.key).registrarSupersede(previous, commitment, ZeroHash, 1),
                  expected,
                );
                touched.add(previous).add(commitment);
                break;
              }
              case "markEnteredInError": {
                const commitment = versionAt(s.version);
                const actor = likely(s.actor, curatorsOf(commitment));
                await pinNext(clock);
                const expected = model.markEnteredInError(actor, commitment, s.reason);
                await settle(
                  records,
                  clock,
                  `markEnteredInError by ${actor.name}`,
                  () => records.connect(actor.key).markEnteredInError(commitment, s.reason),
                  expected,
                );
                touched.add(commitment);
                break;
              }
              case "registrarMarkEnteredInError": {
                const actor = s.byRegistrar ? cast.registrar : at(cast.everyone, s.actor);
                const commitment = versionAt(s.version);
                await pinNext(clock);
                const expected = model.registrarMarkEnteredInError(
                  actor,
                  actor === cast.registrar,
                  commitment,
                  s.reason,
                );
                await settle(
                  records,
                  clock,
                  `registrarMarkEnteredInError by ${actor.name}`,
                  () => records.connect(actor.key).registrarMarkEnteredInError(commitment, s.reason),
                  expected,
                );
                touched.add(commitment);
                break;
              }
              case "requestAmendment": {
                const record = versionAt(s.version);
                const actor = likely(s.actor, patientSideOf(record));
                const requestCommitment = randomCommitment();
                const t = await pinNext(clock);
                const expected = model.requestAmendment(actor, record, requestCommitment, t);
                await settle(
                  records,
                  clock,
                  `requestAmendment by ${actor.name}`,
                  () => records.connect(actor.key).requestAmendment(record, requestCommitment),
                  expected,
                );
                touched.add(record);
                request = model.amendmentCount;
                break;
              }
              case "acceptAmendment": {
                request = requestAt(s.request);
                const actor = likely(s.actor, curatorsOf(model.requests.get(request)?.record));
                const amended = commitmentFor(s.commitment, s.request);
                const t = await pinNext(clock);
                const expected = model.acceptAmendment(actor, request, amended, t);
                await settle(
                  records,
                  clock,
                  `acceptAmendment(${request}) by ${actor.name}`,
                  () => records.connect(actor.key).acceptAmendment(request!, amended, ZeroHash),
                  expected,
                );
                const record = model.requests.get(request)?.record;
                if (record !== undefined) touched.add(record);
                touched.add(amended);
                break;
              }
              case "denyAmendment": {
                request = requestAt(s.request);
                const actor = likely(s.actor, curatorsOf(model.requests.get(request)?.record));
                const response = randomCommitment();
                const t = await pinNext(clock);
                const expected = model.denyAmendment(actor, request, s.reason, response, t);
                await settle(
                  records,
                  clock,
                  `denyAmendment(${request}) by ${actor.name}`,
                  () => records.connect(actor.key).denyAmendment(request!, s.reason, response),
                  expected,
                );
                break;
              }
              case "withdrawAmendment": {
                request = requestAt(s.request);
                const actor = likely(s.actor, patientSideOf(model.requests.get(request)?.record));
                await pinNext(clock);
                const expected = model.withdrawAmendment(actor, request);
                await settle(
                  records,
                  clock,
                  `withdrawAmendment(${request}) by ${actor.name}`,
                  () => records.connect(actor.key).withdrawAmendment(request!),
                  expected,
                );
                break;
              }
              case "toggle": {
                const subject = at(cast.toggles, s.subject);
                const registry = f.identityRegistry.connect(f.registrar);
                if (model.suspended.has(subject.id)) {
                  await (await registry.reinstate(subject.id, SUSPENSION_REASON)).wait();
                  model.suspended.delete(subject.id);
                } else {
                  await (await registry.suspend(subject.id, SUSPENSION_REASON)).wait();
                  model.suspended.add(subject.id);
                }
                clock.now = BigInt(await time.latest());
                break;
              }
            }

            // After every step: what the step touched, and the request count.
            for (const commitment of touched) {
              expect(await anchorOf(records, commitment), `verify after ${s.op}`).to.deep.equal(
                model.anchorOf(commitment),
              );
            }
            if (request !== undefined && model.requests.has(request)) {
              expect(await amendmentOf(records, request), `amendment ${request} after ${s.op}`).to.deep.equal(
                model.requests.get(request),
              );
            }
            expect(await records.amendmentCount()).to.equal(model.amendmentCount);
          }

          // At the end of the run: every version, every record's history, every request.
          for (const commitment of model.versions.keys()) {
            expect(await anchorOf(records, commitment), `verify ${commitment}`).to.deep.equal(
              model.anchorOf(commitment),
            );
            const chain = model.history(commitment);
            expect(await historyOf(records, commitment), `history from ${commitment}`).to.deep.equal(chain);
            expect(await records.latestVersion(commitment)).to.equal(chain[chain.length - 1]);
          }
          for (const [id, expected] of model.requests) {
            expect(await amendmentOf(records, id), `amendment ${id}`).to.deep.equal(expected);
          }
          await expect(records.amendment(model.amendmentCount + 1n))
            .to.be.revertedWithCustomError(records, "RecordUnknownAmendment")
            .withArgs(model.amendmentCount + 1n);
        }),
        { numRuns: 30 },
      );
    });
  });
});
