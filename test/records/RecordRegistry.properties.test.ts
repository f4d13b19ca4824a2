import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, type ContractTransactionResponse, keccak256, ZeroHash } from "ethers";
import fc from "fast-check";

import { loadParameters } from "../../deploy";
import { DataCategory, DecisionBasis, ParticipantKind } from "../../sdk";
import type { RecordRegistry } from "../../typechain-types";
import { YEAR } from "../fixtures/identity";
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
  leafFor,
  leafHash,
  leafStruct,
  type LeafValue,
  NOTHING,
  randomCommitment,
  RecordStatus,
  SUSPENSION_REASON,
} from "./helpers";
import { runs } from "../helpers/runs";

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
    return [random.word(), patient, at(categories, random.below(categories.length)), f.hospitalId];
  });
}

function flipBit(word: string, bit: number): string {
  return "0x" + (BigInt(word) ^ (1n << BigInt(bit))).toString(16).padStart(64, "0");
}

function setOf(leaves: readonly LeafValue[]): number {
  return leaves.reduce((set, [, , category]) => set | (1 << category), 0);
}

function show(leaf: LeafValue): string {
  return `(${leaf[0]}, ${leaf[1].toString()}, ${leaf[2]}, ${leaf[3].toString()})`;
}

/** `verifyInclusion` under `organization` for many (leaf, proof) pairs, a few dozen calls at a time. */
async function verifyAll(
  records: RecordRegistry,
  organization: bigint,
  root: string,
  pairs: readonly (readonly [LeafValue, string[]])[],
): Promise<boolean[]> {
  const results: boolean[] = [];
  for (let start = 0; start < pairs.length; start += 50) {
    const chunk = pairs.slice(start, start + 50);
    results.push(
      ...(await Promise.all(
        chunk.map(([leaf, proof]) => records.verifyInclusion(organization, root, leafStruct(leaf), proof)),
      )),
    );
  }
  return results;
}

/** The sensitive categories of the deployment's consent policy (deploy/parameters/hardhat.json). */
const SENSITIVE = new Set<number>(loadParameters("hardhat").consentPolicy.sensitiveCategories);

/**
 * The hospital's treatment decision for `patient`'s records in `category`, from the records fixture's grants alone:
 * the patient granted it every category for treatment, which a wildcard grant never opens for a sensitive one; no
 * one else granted it anything (and it holds no break-glass). `undefined` when it is allowed (basis Grant).
 */
function hospitalRefusal(f: RecordsFixture, patient: bigint, category: number): DecisionBasis | undefined {
  if (patient !== f.patientId) return DecisionBasis.NoGrant;
  return SENSITIVE.has(category) ? DecisionBasis.SensitiveCategoryNotNamed : undefined;
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

/** A stored version: a commitment in a patient's namespace. */
interface VersionRef {
  patient: bigint;
  commitment: string;
}

type Expected =
  { events: readonly { name: string; args: readonly unknown[] }[] } | { error: string; args: readonly unknown[] };

/** The model's key of a version: each patient's commitments are a namespace of their own. */
function keyOf(ref: VersionRef): string {
  return `${ref.patient.toString()}/${ref.commitment}`;
}

/** The fixture's ids the model needs to know. */
interface ModelIds {
  patient: bigint;
  representative: bigint;
  hospital: bigint;
  clinic: bigint;
  cardiologist: bigint;
  internist: bigint;
  clinicDoctor: bigint;
}

/**
 * The documented rules of versions and amendments, independent of the contract:
 * - a version is a commitment in its patient's namespace (the same commitment in two namespaces is two versions); it
 *   is current until it is superseded (it then names its successor, in the same namespace) or entered in error; both
 *   are final;
 * - its curators, while active: for an organization's record, the organization and the version's author while still
 *   affiliated with that organization; for patient-generated data (no organization), the patient and a current
 *   representative (none while the patient is suspended); a registrar through the registrar functions;
 * - the patient, or a current representative, asks to amend a current version; the curator accepts (a new version,
 *   reason 2) or denies (a non-zero reason); the patient's side withdraws. Nothing is ever removed.
 * Practitioners are active only while affiliated: the run moves the cardiologist between the hospital, the clinic and
 * no organization at all.
 */
class VersionModel {
  readonly versions = new Map<string, AnchorInfo>();
  readonly requests = new Map<bigint, AmendmentInfo>();
  /** Participants suspended by the run (everyone else registered is active). */
  readonly suspended = new Set<bigint>();
  /** Whether the representative still represents the patient (the run revokes and re-appoints her). */
  representing = true;
  /** The cardiologist's organization: the hospital, the clinic, or none once released. */
  cardiologistAffiliation: bigint;
  amendmentCount = 0n;

  constructor(readonly ids: ModelIds) {
    this.cardiologistAffiliation = ids.hospital;
  }

  /** Every version the model holds, in the order anchored. */
  refs(): VersionRef[] {
    return [...this.versions.keys()].map((key) => {
      const [patient, commitment] = key.split("/");
      return { patient: BigInt(patient!), commitment: commitment! };
    });
  }

  get(ref: VersionRef): AnchorInfo | undefined {
    return this.versions.get(keyOf(ref));
  }

  affiliationOf(actor: Actor): bigint {
    if (actor.id === this.ids.cardiologist) return this.cardiologistAffiliation;
    if (actor.id === this.ids.internist) return this.ids.hospital;
    if (actor.id === this.ids.clinicDoctor) return this.ids.clinic;
    return 0n;
  }

  isActive(actor: Actor): boolean {
    if (!actor.registered || this.suspended.has(actor.id)) return false;
    return actor.kind !== ParticipantKind.Practitioner || this.affiliationOf(actor) !== 0n;
  }

  isRepresentative(patient: bigint, actor: Actor): boolean {
    return (
      patient === this.ids.patient &&
      actor.id === this.ids.representative &&
      this.representing &&
      this.isActive(actor) &&
      !this.suspended.has(this.ids.patient)
    );
  }

  /** The caller's id if it curates the version, else the error. */
  curator(actor: Actor, ref: VersionRef): bigint | Expected {
    const v = this.get(ref);
    if (v === undefined) return { error: "RecordUnknown", args: [ref.patient, ref.commitment] };
    const curates =
      this.isActive(actor) &&
      (v.organization === 0n
        ? (actor.id === ref.patient && actor.kind === ParticipantKind.Patient) ||
          this.isRepresentative(ref.patient, actor)
        : actor.id === v.organization || (actor.id === v.author && this.affiliationOf(actor) === v.organization));
    return curates ? actor.id : { error: "RecordNotCurator", args: [ref.commitment, actor.key.address] };
  }

  /** The caller's id if it acts for `patient` (the patient herself, or a current representative). */
  patientActor(actor: Actor, patient: bigint): bigint | Expected {
    const acts =
      this.isActive(actor) &&
      ((actor.id === patient && actor.kind === ParticipantKind.Patient) || this.isRepresentative(patient, actor));
    return acts ? actor.id : { error: "RecordUnauthorizedPatientActor", args: [patient, actor.key.address] };
  }

  anchor(
    author: Actor,
    ref: VersionRef,
    category: number,
    basis: DecisionBasis,
    organization: bigint,
    t: bigint,
  ): Expected {
    if (this.versions.has(keyOf(ref))) return { error: "RecordAlreadyAnchored", args: [ref.patient, ref.commitment] };
    this.versions.set(keyOf(ref), {
      status: RecordStatus.Current,
      patient: ref.patient,
      author: author.id,
      organization,
      category,
      anchoredAt: t,
      fromBatch: false,
      previous: ZeroHash,
      next: ZeroHash,
      errorReason: 0,
    });
    return {
      events: [{ name: "RecordAnchored", args: [ref.commitment, ref.patient, author.id, category, basis, ZeroHash] }],
    };
  }

  /** The common part of every supersede: `author` is the curator's id (0 for a registrar without one). */
  private supersede(
    previous: VersionRef,
    commitment: string,
    author: bigint,
    reason: number,
    pointer: string,
    t: bigint,
  ): Expected {
    const old = this.get(previous);
    if (old === undefined) return { error: "RecordUnknown", args: [previous.patient, previous.commitment] };
    if (old.status !== RecordStatus.Current) {
      return { error: "RecordInvalidTransition", args: [previous.commitment, old.status, RecordStatus.Superseded] };
    }
    if (commitment === ZeroHash) return { error: "RecordInvalidCommitment", args: [] };
    const next: VersionRef = { patient: previous.patient, commitment };
    if (this.versions.has(keyOf(next))) return { error: "RecordAlreadyAnchored", args: [next.patient, commitment] };
    old.status = RecordStatus.Superseded;
    old.next = commitment;
    this.versions.set(keyOf(next), {
      ...old,
      status: RecordStatus.Current,
      author,
      anchoredAt: t,
      previous: previous.commitment,
      next: ZeroHash,
      errorReason: 0,
    });
    return {
      events: [
        {
          name: "RecordSuperseded",
          args: [previous.commitment, commitment, previous.patient, author, reason, pointer],
        },
      ],
    };
  }

  curatorSupersede(actor: Actor, previous: VersionRef, commitment: string, reason: number, t: bigint): Expected {
    const id = this.curator(actor, previous);
    if (typeof id !== "bigint") return id;
    return this.supersede(previous, commitment, id, reason, ZeroHash, t);
  }

  registrarSupersede(
    actor: Actor,
    isRegistrar: boolean,
    previous: VersionRef,
    commitment: string,
    reason: number,
    t: bigint,
  ): Expected {
    if (!isRegistrar) return { error: "AccessManagedUnauthorized", args: [actor.key.address] };
    return this.supersede(previous, commitment, 0n, reason, ZeroHash, t);
  }

  private enterInError(ref: VersionRef, reason: number, actorId: bigint): Expected {
    if (reason === 0) return { error: "RecordReasonRequired", args: [] };
    const v = this.get(ref);
    if (v === undefined) return { error: "RecordUnknown", args: [ref.patient, ref.commitment] };
    if (v.status !== RecordStatus.Current) {
      return { error: "RecordInvalidTransition", args: [ref.commitment, v.status, RecordStatus.EnteredInError] };
    }
    v.status = RecordStatus.EnteredInError;
    v.errorReason = reason;
    return { events: [{ name: "RecordEnteredInError", args: [ref.commitment, ref.patient, actorId, reason] }] };
  }

  markEnteredInError(actor: Actor, ref: VersionRef, reason: number): Expected {
    const id = this.curator(actor, ref);
    if (typeof id !== "bigint") return id;
    return this.enterInError(ref, reason, id);
  }

  registrarMarkEnteredInError(actor: Actor, isRegistrar: boolean, ref: VersionRef, reason: number): Expected {
    if (!isRegistrar) return { error: "AccessManagedUnauthorized", args: [actor.key.address] };
    return this.enterInError(ref, reason, 0n);
  }

  requestAmendment(actor: Actor, ref: VersionRef, requestCommitment: string, t: bigint): Expected {
    const v = this.get(ref);
    if (v === undefined) return { error: "RecordUnknown", args: [ref.patient, ref.commitment] };
    if (v.status !== RecordStatus.Current) return { error: "RecordNotCurrent", args: [ref.commitment, v.status] };
    const actorId = this.patientActor(actor, ref.patient);
    if (typeof actorId !== "bigint") return actorId;
    const id = ++this.amendmentCount;
    this.requests.set(id, {
      record: ref.commitment,
      patient: ref.patient,
      status: AmendmentStatus.Pending,
      requestedAt: t,
      answeredAt: 0n,
      denialReason: 0,
      amendedVersion: ZeroHash,
    });
    return {
      events: [{ name: "AmendmentRequested", args: [id, ref.commitment, ref.patient, actorId, requestCommitment] }],
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
    const ref = { patient: r.patient, commitment: r.record };
    const curatorId = this.curator(actor, ref);
    if (typeof curatorId !== "bigint") return curatorId;
    const superseded = this.supersede(ref, amended, curatorId, 2, ZeroHash, t);
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
    const curatorId = this.curator(actor, { patient: r.patient, commitment: r.record });
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

  /** Every version of the record `ref` belongs to, first to latest, within its patient's namespace. */
  history(ref: VersionRef): string[] {
    const at = (commitment: string) => this.versions.get(keyOf({ patient: ref.patient, commitment }));
    let first = ref.commitment;
    for (let v = at(first); v !== undefined && v.previous !== ZeroHash; v = at(first)) first = v.previous;
    const chain: string[] = [];
    for (let c = first; c !== ZeroHash; c = at(c)?.next ?? ZeroHash) chain.push(c);
    return chain;
  }

  /** What `verify` returns for the version. */
  anchorOf(ref: VersionRef): AnchorInfo {
    return this.get(ref) ?? NOTHING;
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
/** True one time in four: an anchor reuses a commitment some namespace holds already. */
const sometimes = fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

type Step =
  | { op: "anchor"; author: number; category: number; reuse: boolean; position: number }
  | { op: "supersede"; version: number; actor: number; commitment: Commitment; reason: number }
  | { op: "registrarSupersede"; version: number; byRegistrar: boolean; actor: number; commitment: Commitment }
  | { op: "markEnteredInError"; version: number; actor: number; reason: number }
  | { op: "registrarMarkEnteredInError"; version: number; byRegistrar: boolean; actor: number; reason: number }
  | { op: "requestAmendment"; version: number; actor: number }
  | { op: "acceptAmendment"; request: number; actor: number; commitment: Commitment }
  | { op: "denyAmendment"; request: number; actor: number; reason: number }
  | { op: "withdrawAmendment"; request: number; actor: number }
  | { op: "toggle"; subject: number }
  | { op: "represent" }
  | { op: "move" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("anchor" as const),
      author: pick,
      category: fc.nat({ max: 2 }),
      reuse: sometimes,
      position: pick,
    }),
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
  { weight: 1, arbitrary: fc.record({ op: fc.constant("represent" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("move" as const) }) },
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
  const clinic = actor("clinic", f.clinicKey, f.clinicId, ParticipantKind.Organization);
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
    otherPatient,
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
      clinic,
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
      clinic,
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
    // that an organization (the hospital) anchored as a batch declaring exactly its leaves' categories,
    // - every leaf's proof verifies under the hospital, on chain through verifyInclusion and off chain through
    //   StandardMerkleTree.verify (the contract's leaf is the library's double-hashed leaf over (bytes32, uint64,
    //   uint8, uint64), the last value the batch's organization), and none verifies under an organization that did
    //   not anchor the root, nor under one that anchored a copy of it (every leaf names the hospital);
    // - a leaf that is not in the tree — a fresh commitment with a member's patient and category, a member with its
    //   patient changed, or a member with its category changed (to another declared one, or to one outside the
    //   declared set) — is rejected with every member's proof;
    // - a member's proof with any one bit of any one element flipped is rejected (and so is a single-leaf batch's
    //   empty proof extended by one element);
    // - the hospital adopts a member exactly when its consent decision for the member's patient and category allows
    //   (otherwise RecordAnchorNotPermitted with the decision's basis, and nothing is stored); an adopted member holds
    //   exactly its commitment, patient and category, authored by the hospital and dated to the batch, while a
    //   flipped proof cannot adopt it.
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
          const onChain = await verifyAll(records, f.hospitalId, root, members);
          onChain.forEach((ok, i) => expect(ok, `member ${show(members[i]![0])}`).to.equal(true));
          // The clinic never anchored the root: under the clinic, no member is in any batch.
          const underClinic = await verifyAll(records, f.clinicId, root, members);
          underClinic.forEach((ok, i) => expect(ok, `member ${show(members[i]![0])} under the clinic`).to.equal(false));
          // Nor once it anchors a copy of the root declaring the same categories: the leaves name the hospital, and a
          // member renamed for the clinic is not in the tree.
          await (await records.connect(f.clinicKey).anchorBatch(root, leaves.length, categories, ZeroHash)).wait();
          const underCopy = await verifyAll(records, f.clinicId, root, members);
          underCopy.forEach((ok, i) => expect(ok, `member ${show(members[i]![0])} under the copy`).to.equal(false));
          const [renamed, renamedProof] = at(members, c.member);
          expect(
            StandardMerkleTree.verify(root, LEAF_ENCODING, leafFor(f.clinicId, renamed), renamedProof),
            `member ${show(renamed)} renamed for the clinic`,
          ).to.equal(false);

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
            [randomCommitment(), base[1], base[2], base[3]],
            [base[0], otherPatient, base[2], base[3]],
            [base[0], base[1], otherCategory, base[3]],
          ];
          for (const nonMember of nonMembers) {
            expect(
              leaves.some((l) => show(l) === show(nonMember)),
              "the non-member is not in the tree",
            ).to.equal(false);
            const results = await verifyAll(
              records,
              f.hospitalId,
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
              await records.verifyInclusion(f.hospitalId, root, leafStruct(leaf), flipped),
              `bit ${c.bit} of element ${element}`,
            ).to.equal(false);
            expect(StandardMerkleTree.verify(root, LEAF_ENCODING, leaf, flipped)).to.equal(false);
          } else {
            expect(leaves.length).to.equal(1);
            expect(
              await records.verifyInclusion(f.hospitalId, root, leafStruct(leaf), [flipBit(ZeroHash, c.bit)]),
            ).to.equal(false);
          }

          // The hospital adopts that member exactly when its consent decision for the member's patient allows the
          // category (the model above); a flipped proof never adopts it. An allowed adoption stores exactly the
          // member's values (patients up to the uint64 maximum included), dated to the batch, the hospital as author.
          const adoptAs = async (member: LeafValue, memberProof: string[]) => {
            const refusal = hospitalRefusal(f, member[1], member[2]);
            const refused = (p: string[]) =>
              expect(records.connect(hospitalKey).adopt(f.hospitalId, root, leafStruct(member), p))
                .to.be.revertedWithCustomError(records, "RecordAnchorNotPermitted")
                .withArgs(member[1], f.hospitalId, member[2], refusal);
            if (memberProof.length > 0) {
              const flipped = memberProof.map((p, i) => (i === 0 ? flipBit(p, c.bit) : p));
              if (refusal !== undefined) await refused(flipped);
              else {
                await expect(records.connect(hospitalKey).adopt(f.hospitalId, root, leafStruct(member), flipped))
                  .to.be.revertedWithCustomError(records, "RecordNotInBatch")
                  .withArgs(root, member[0]);
              }
            }
            if (refusal !== undefined) {
              await refused(memberProof);
              expect(await anchorOf(records, member[1], member[0]), `refused ${show(member)}`).to.deep.equal(NOTHING);
              return;
            }
            await (
              await records.connect(hospitalKey).adopt(f.hospitalId, root, leafStruct(member), memberProof)
            ).wait();
            expect(await anchorOf(records, member[1], member[0]), `adopted ${show(member)}`).to.deep.equal(
              anchored({
                patient: member[1],
                author: f.hospitalId,
                organization: f.hospitalId,
                category: member[2],
                anchoredAt: batchTime,
                fromBatch: true,
              }),
            );
          };
          await adoptAs(leaf, proof);
          // And one member the hospital may adopt, if the tree has one, so that every run tries the allowed path.
          const allowed = members.find(([m]) => m !== leaf && hospitalRefusal(f, m[1], m[2]) === undefined);
          if (allowed !== undefined) await adoptAs(allowed[0], allowed[1]);
        }),
        runs(20),
      );
    });

    // Invariants of version chains, for any sequence of anchor / supersede / registrarSupersede / markEnteredInError
    // / registrarMarkEnteredInError / requestAmendment / acceptAmendment / denyAmendment / withdrawAmendment writes by
    // any actor (curators, their colleagues, the patient, her representative, another patient, an organization that
    // never wrote the record, the registrar, an unregistered key), on commitments fresh, reused from another
    // patient's namespace, taken, zero or unknown in the namespace asked, with participants suspended and reinstated,
    // the representative revoked and re-appointed, and the cardiologist moved between the hospital, the clinic and no
    // organization in between:
    // - every write succeeds, with exactly the model's events in order, when the model allows it, and otherwise
    //   reverts with the model's custom error and arguments (the first that applies, in the documented order);
    // - a version lives in its patient's namespace: what happens to it never touches the same commitment in another
    //   namespace, and a commitment taken in one namespace is free in another;
    // - a version is Current until superseded (then it names its successor) or entered in error, and never moves
    //   again; only its curators (the organization and its still-affiliated author; for the patient's own data the
    //   patient and a current representative), while active, or a registrar change it; a new version keeps the
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
          const model = new VersionModel({
            patient: f.patientId,
            representative: f.representativeId,
            hospital: f.hospitalId,
            clinic: f.clinicId,
            cardiologist: f.cardiologistId,
            internist: f.internistId,
            clinicDoctor: f.clinicDoctorId,
          });
          const clock: Clock = { now: BigInt(await time.latest()) };
          const categories = [DataCategory.LaboratoryResults, DataCategory.Imaging, DataCategory.Conditions];
          const identity = f.identityRegistry;

          /** What the consent decision lets `author` anchor for `patient`, from the fixture's grants. */
          const anchorDecision = (
            author: Actor,
            patient: bigint,
            category: number,
          ): { basis: DecisionBasis; organization: bigint } | Expected => {
            if (!model.isActive(author)) return { error: "RecordInvalidAuthor", args: [author.key.address] };
            const refuse = (basis: DecisionBasis): Expected => ({
              error: "RecordAnchorNotPermitted",
              args: [patient, author.id, category, basis],
            });
            if (author.kind === ParticipantKind.Patient) {
              if (author.id === patient) return { basis: DecisionBasis.Self, organization: 0n };
              return model.isRepresentative(patient, author)
                ? { basis: DecisionBasis.Representative, organization: 0n }
                : refuse(DecisionBasis.NoGrant);
            }
            // The patient granted the cardiologist these categories and the hospital every category for treatment.
            if (author === cast.cardiologist) {
              return { basis: DecisionBasis.Grant, organization: model.cardiologistAffiliation };
            }
            if (author === cast.hospital) return { basis: DecisionBasis.Grant, organization: f.hospitalId };
            // The internist reads through the hospital's grant, which a suspended hospital does not give.
            return model.suspended.has(f.hospitalId)
              ? refuse(DecisionBasis.InactiveGrantee)
              : { basis: DecisionBasis.OrganizationGrant, organization: f.hospitalId };
          };

          const anchorBy = async (author: Actor, category: number, commitment: string = randomCommitment()) => {
            // Patients anchor their own data (the representative the patient's); the others the patient's records.
            const patient =
              author.kind === ParticipantKind.Patient && author !== cast.representative ? author.id : f.patientId;
            const ref = { patient, commitment };
            const t = await pinNext(clock);
            const decision = anchorDecision(author, patient, category);
            const expected =
              "basis" in decision
                ? model.anchor(author, ref, category, decision.basis, decision.organization, t)
                : decision;
            await settle(
              records,
              clock,
              `anchor by ${author.name}`,
              () => records.connect(author.key).anchor(patient, commitment, category, ZeroHash),
              expected,
            );
            return ref;
          };

          // Three records to start from: the cardiologist's, the internist's and the patient's own.
          await anchorBy(cast.cardiologist, DataCategory.LaboratoryResults);
          await anchorBy(cast.internist, DataCategory.Imaging);
          await anchorBy(cast.patient, DataCategory.Conditions);

          /**
           * A known version (mostly a current one); now and then a commitment never anchored, or a known commitment
           * asked in a namespace that does not hold it.
           */
          const versionAt = (position: number): VersionRef => {
            const known = model.refs();
            if (position % 13 === 12) return { patient: f.patientId, commitment: randomCommitment() };
            if (position % 13 === 11) {
              const { patient, commitment } = at(known, position);
              const elsewhere = [f.patientId, f.otherPatientId, f.representativeId].find(
                (p) => p !== patient && model.get({ patient: p, commitment }) === undefined,
              );
              return { patient: elsewhere ?? patient, commitment };
            }
            const current = known.filter((k) => model.get(k)?.status === RecordStatus.Current);
            return position % 3 !== 0 && current.length > 0 ? at(current, position) : at(known, position);
          };
          /** A new version's commitment: fresh, one anchored already (in any namespace), or zero. */
          const commitmentFor = (mode: Commitment, position: number): string =>
            mode === "fresh" ? randomCommitment() : mode === "zero" ? ZeroHash : at(model.refs(), position).commitment;
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
          const requestRef = (id: bigint): VersionRef | undefined => {
            const r = model.requests.get(id);
            return r === undefined ? undefined : { patient: r.patient, commitment: r.record };
          };

          /** Three times in five one of `candidates` (if any), else anyone: most writes come from someone entitled. */
          const likely = (position: number, candidates: readonly Actor[]): Actor =>
            position % 5 < 3 && candidates.length > 0 ? at(candidates, position) : at(cast.everyone, position);
          /**
           * The actors who may curate the version under some standing (whether they do now or not): its author, its
           * organization, and for the patient's own data the patient and the representative.
           */
          const curatorsOf = (ref: VersionRef | undefined): Actor[] => {
            const v = ref === undefined ? undefined : model.get(ref);
            if (ref === undefined || v === undefined) return [];
            return cast.all.filter(
              (a) =>
                (a.id !== 0n && (a.id === v.author || a.id === v.organization)) ||
                (v.organization === 0n &&
                  ((a.id === ref.patient && a.kind === ParticipantKind.Patient) ||
                    (ref.patient === f.patientId && a === cast.representative))),
            );
          };
          /** The actors who may act for the version's patient (whether they do now or not). */
          const patientSideOf = (ref: VersionRef | undefined): Actor[] => {
            if (ref === undefined) return [];
            return cast.all.filter(
              (a) =>
                (a.id === ref.patient && a.kind === ParticipantKind.Patient) ||
                (ref.patient === f.patientId && a === cast.representative),
            );
          };

          for (const s of steps) {
            const touched: VersionRef[] = [];
            let request: bigint | undefined;
            switch (s.op) {
              case "anchor": {
                const reused = s.reuse ? at(model.refs(), s.position).commitment : undefined;
                const ref = await anchorBy(at(cast.authors, s.author), at(categories, s.category), reused);
                touched.push(ref);
                // The same commitment in the other namespaces it lives in is untouched.
                for (const other of model.refs()) if (other.commitment === ref.commitment) touched.push(other);
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
                  () =>
                    records
                      .connect(actor.key)
                      .supersede(previous.patient, previous.commitment, commitment, ZeroHash, s.reason),
                  expected,
                );
                touched.push(previous, { patient: previous.patient, commitment });
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
                  () =>
                    records
                      .connect(actor.key)
                      .registrarSupersede(previous.patient, previous.commitment, commitment, ZeroHash, 1),
                  expected,
                );
                touched.push(previous, { patient: previous.patient, commitment });
                break;
              }
              case "markEnteredInError": {
                const ref = versionAt(s.version);
                const actor = likely(s.actor, curatorsOf(ref));
                await pinNext(clock);
                const expected = model.markEnteredInError(actor, ref, s.reason);
                await settle(
                  records,
                  clock,
                  `markEnteredInError by ${actor.name}`,
                  () => records.connect(actor.key).markEnteredInError(ref.patient, ref.commitment, s.reason),
                  expected,
                );
                touched.push(ref);
                break;
              }
              case "registrarMarkEnteredInError": {
                const actor = s.byRegistrar ? cast.registrar : at(cast.everyone, s.actor);
                const ref = versionAt(s.version);
                await pinNext(clock);
                const expected = model.registrarMarkEnteredInError(actor, actor === cast.registrar, ref, s.reason);
                await settle(
                  records,
                  clock,
                  `registrarMarkEnteredInError by ${actor.name}`,
                  () => records.connect(actor.key).registrarMarkEnteredInError(ref.patient, ref.commitment, s.reason),
                  expected,
                );
                touched.push(ref);
                break;
              }
              case "requestAmendment": {
                const ref = versionAt(s.version);
                const actor = likely(s.actor, patientSideOf(ref));
                const requestCommitment = randomCommitment();
                const t = await pinNext(clock);
                const expected = model.requestAmendment(actor, ref, requestCommitment, t);
                await settle(
                  records,
                  clock,
                  `requestAmendment by ${actor.name}`,
                  () => records.connect(actor.key).requestAmendment(ref.patient, ref.commitment, requestCommitment),
                  expected,
                );
                touched.push(ref);
                request = model.amendmentCount;
                break;
              }
              case "acceptAmendment": {
                request = requestAt(s.request);
                const ref = requestRef(request);
                const actor = likely(s.actor, curatorsOf(ref));
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
                if (ref !== undefined) touched.push(ref, { patient: ref.patient, commitment: amended });
                break;
              }
              case "denyAmendment": {
                request = requestAt(s.request);
                const actor = likely(s.actor, curatorsOf(requestRef(request)));
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
                const actor = likely(s.actor, patientSideOf(requestRef(request)));
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
                const registry = identity.connect(f.registrar);
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
              case "represent": {
                // The patient revokes her representative, or appoints her again (which needs both active).
                const asPatient = identity.connect(f.patientKey);
                if (model.representing) {
                  await (await asPatient.revokeRepresentative(f.patientId, f.representativeId)).wait();
                  model.representing = false;
                } else if (model.isActive(cast.patient) && model.isActive(cast.representative)) {
                  const until = BigInt(await time.latest()) + BigInt(YEAR);
                  await (await asPatient.appointRepresentative(f.patientId, f.representativeId, until)).wait();
                  model.representing = true;
                }
                clock.now = BigInt(await time.latest());
                break;
              }
              case "move": {
                // The cardiologist moves: hospital -> clinic (offered, accepted) -> released -> hospital again
                // (offered, accepted; only while the hospital is active).
                const from = model.cardiologistAffiliation;
                if (from === f.hospitalId) {
                  await (await identity.connect(f.registrar).setAffiliation(f.cardiologistId, f.clinicId)).wait();
                  await (await identity.connect(f.clinicKey).acceptAffiliate(f.cardiologistId)).wait();
                  model.cardiologistAffiliation = f.clinicId;
                } else if (from === f.clinicId) {
                  await (await identity.connect(f.clinicKey).releaseAffiliate(f.cardiologistId)).wait();
                  model.cardiologistAffiliation = 0n;
                } else if (!model.suspended.has(f.hospitalId)) {
                  await (await identity.connect(f.registrar).setAffiliation(f.cardiologistId, f.hospitalId)).wait();
                  await (await identity.connect(f.hospitalKey).acceptAffiliate(f.cardiologistId)).wait();
                  model.cardiologistAffiliation = f.hospitalId;
                }
                clock.now = BigInt(await time.latest());
                break;
              }
            }

            // After every step: what the step touched, and the request count.
            for (const ref of touched) {
              expect(await anchorOf(records, ref.patient, ref.commitment), `verify after ${s.op}`).to.deep.equal(
                model.anchorOf(ref),
              );
            }
            if (request !== undefined && model.requests.has(request)) {
              expect(await amendmentOf(records, request), `amendment ${request} after ${s.op}`).to.deep.equal(
                model.requests.get(request),
              );
            }
            expect(await records.amendmentCount()).to.equal(model.amendmentCount);
          }

          // At the end of the run: every version, every record's history, every request; and the other patients'
          // namespaces hold nothing the model does not.
          const patients = [f.patientId, f.otherPatientId, f.representativeId];
          for (const ref of model.refs()) {
            const label = `${ref.patient.toString()}/${ref.commitment}`;
            expect(await anchorOf(records, ref.patient, ref.commitment), `verify ${label}`).to.deep.equal(
              model.anchorOf(ref),
            );
            const chain = model.history(ref);
            expect(await historyOf(records, ref.patient, ref.commitment), `history from ${label}`).to.deep.equal(chain);
            expect(await records.latestVersion(ref.patient, ref.commitment)).to.equal(chain[chain.length - 1]);
            for (const patient of patients) {
              expect(
                await anchorOf(records, patient, ref.commitment),
                `${ref.commitment} in ${patient.toString()}'s namespace`,
              ).to.deep.equal(model.anchorOf({ patient, commitment: ref.commitment }));
            }
          }
          for (const [id, expected] of model.requests) {
            expect(await amendmentOf(records, id), `amendment ${id}`).to.deep.equal(expected);
          }
          await expect(records.amendment(model.amendmentCount + 1n))
            .to.be.revertedWithCustomError(records, "RecordUnknownAmendment")
            .withArgs(model.amendmentCount + 1n);
        }),
        runs(30),
      );
    });
  });
});
