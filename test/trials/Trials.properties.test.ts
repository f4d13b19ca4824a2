import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type HDNodeWallet,
  id as hashText,
  ZeroHash,
} from "ethers";
import fc from "fast-check";

import {
  type AllocationSequence,
  generateAllocation,
  openingOf,
  revealOf,
  signTrialConsent,
  SiteStatus,
  SubjectStatus,
  TrialAmendmentStatus,
  TrialStatus,
} from "../../sdk";
import type { ConsentSignatureStruct } from "../../typechain-types/contracts/trials/ITrialRegistry";
import { TRIAL_CATEGORIES, trialsFixture } from "../fixtures/trials";
import { DAY, YEAR } from "../fixtures/identity";
import { revertData } from "../helpers/abi";
import { at, type Clock, pinNext } from "../helpers/model";
import { runs } from "../helpers/runs";
import {
  type AllocationEntry,
  type AmendmentProposal,
  type Arg,
  type Caller,
  type ModelAmendment,
  type ModelConsent,
  type Outcome,
  type OutcomeSpec,
  type ReportedOutcome,
  TrialModel,
} from "./model";

// A model-based property test of a clinical trial's state machines, across the trial registry and the protocol
// contract it created: each run starts from the snapshot of a fixture that wraps the trials fixture (a registered,
// randomized two-arm trial with two active sites, two strata of 16) with a pool of six patients who granted the sponsor
// the trial's categories for research, and replays a random sequence of MIN_STEPS to MAX_STEPS actions —
// - amendments, with or without a new outcome list (kept outcomes, new ones, random primary flags; now and then none
//   primary or one listed twice), a minor or major consent form (or a "major" flag without a form), a new analysis
//   plan or completion date (a year ahead, days or years in the past, or past the 20-year horizon), approved or rejected (now and then without a reason) by
//   the ethics committee or withdrawn by the sponsor, and decisions on amendments that are not pending;
// - enrollments of the pool's patients at random sites (active mostly; now and then a suspended, closed, proposed or
//   unknown one) in random strata (now and then one the sequence lacks), signing the current consent version for the
//   site, a stale one, over a wrong nonce or for another site; re-consents (current or stale version, relayed by
//   anyone); withdrawals by the patient, the investigator or someone with no right to; burnt nonces;
// - reveals by the randomization service (the right entry, or another entry's commitment and proof), disclosures of
//   one to three arms (now and then a wrong arm, or an arm not revealed or disclosed already), emergency unblindings;
// - data batches at random sites naming random participants (mostly those enrolled there, withdrawn ones and ones
//   whose consent predates the last major version among them), in ascending id order (now and then not, or one named
//   twice);
// - sites proposed, activated, suspended and closed; allocation sequences replaced by small ones (1 to 3 strata of 1
//   to 3, so that a stratum runs out of indices) before the first enrollment, and now and then after it;
// - locks (now and then with a zero root), unlock requests (now and then without a reason) and approvals by the
//   ethics committee, the regulator or someone else;
// - results reports with the pre-specified outcomes as they stand, or a random subset of every outcome ever specified
//   plus new ones, random primary flags, in a random order; now and then against another root, empty, with an outcome
//   listed twice or a zero result —
// mostly by the party the action is for and now and then by someone else (a stranger, another party, a patient), on
// the contracts and on the TypeScript model in ./model.ts. A step that can only be refused for want of its subject (a
// decision with no amendment pending, a report while unlocked, data while locked…) is skipped seven times in eight, so
// that the runs spend their transactions where things happen.
//
// Invariants, checked after every step:
// 1. Each action the model allows succeeds with exactly the events the model predicts (the registry's and the protocol
//    contract's, in order, with their arguments); each it refuses reverts with exactly the custom error and arguments
//    the model names, changing nothing.
// 2. The state is the model's: `trial()`, `trialState()`, `allocationAudit()`, `outcomes()` and `subject()` of every
//    patient of the pool after every step; `nextAllocationIndex()` of every stratum, every `site()`, `dataBatchCount()`,
//    `protocolOf()`, every `amendment()`, `resultsDeadline()` and every `resultsHash()` after the steps that write them
//    and at the end of every run.
// 3. Allocation indices: in every stratum, the participants ever enrolled (enrolled or withdrawn) took the indices
//    0..n-1, each once, without gaps or reuse, and the stratum's next index is n; the audit counts them all, and never
//    counts more revealed than enrolled nor more disclosed than revealed. The trial is unblinded exactly when an arm
//    was disclosed; locked exactly when it has a lock time and a dataset root.
// 4. Data acceptance: a data batch is accepted only while the trial is unlocked, and only if every participant it names
//    was, before it, enrolled at the batch's site, not withdrawn, and had signed the last major consent version or a
//    later one (read from the chain before the batch, not from the model).
// 5. Pre-specified outcomes: once the trial reports itself unblinded or ever locked, the pre-specified masks (and the
//    outcomes they name) never change again, whatever amendment is approved.
// 6. Every results report's comparison (`ResultsReported`'s `notReported`, `added` and `primaryChanged`, and the
//    `OutcomeReported`, `OutcomeNotReported` and `PrimaryOutcomeChanged` events) is the model's, which compares the
//    report with the pre-specified outcomes as sets of commitments.
//
// Every transaction is mined at a pinned timestamp (one second after the latest block), so the model knows the exact
// times it records. TRIALS_MODEL_STATS=1 prints how often each action had each outcome; TRIALS_MODEL_SEED (and
// TRIALS_MODEL_PATH) replays a run.

/** A failure's replay: `TRIALS_MODEL_SEED` (and `TRIALS_MODEL_PATH`) as fast-check printed them. */
function replay(): { seed?: number; path?: string; endOnFailure?: boolean } {
  const seed = process.env.TRIALS_MODEL_SEED;
  if (seed === undefined || seed === "") return {};
  const path = process.env.TRIALS_MODEL_PATH;
  return path === undefined || path === "" ? { seed: Number(seed) } : { seed: Number(seed), path, endOnFailure: true };
}

/** Enough runs to reach reports after an amendment approved post-unblinding, data refused for a stale consent and
 * unlock cycles, with the file around half a minute. */
const RUNS = runs(10);
const MIN_STEPS = 60;
const MAX_STEPS = 100;
/** How long fast-check may take, shrinking a failure included (ms). */
const SHRINK_LIMIT = 480_000;
/** The pool of patients each run enrolls from. */
const POOL = 6;

// ---------------------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------------------

/** Who acts: the party the action is for, or someone else (picked among the cast). */
type Who = "right" | { wrong: number };
/** How a consent signature is made: over the current version, a stale one, the wrong nonce, or for another site. */
type ConsentChoice = "current" | "stale" | "badNonce" | "otherSite";

type Step =
  | {
      op: "propose";
      outcomes: "keep" | "change" | "noPrimary" | "duplicate";
      keep: number;
      fresh: number;
      primaries: number;
      consent: "none" | "majorWithoutForm" | "minor" | "major";
      plan: boolean;
      completion: "none" | "later" | "past" | "longPast" | "tooFar";
      blank: boolean;
      who: Who;
    }
  | { op: "decide"; decision: "approve" | "reject" | "withdraw"; target: number | null; reason: number; who: Who }
  | { op: "enroll"; patient: number; site: number; stratum: number; consent: ConsentChoice; who: Who }
  | { op: "reconsent"; patient: number; consent: ConsentChoice; relayer: number }
  | { op: "withdraw"; patient: number; by: "patient" | "investigator" | "other"; reason: number }
  | { op: "nonce"; patient: number; own: boolean }
  | { op: "reveal"; patient: number; correct: boolean; who: Who }
  | { op: "disclose"; patients: number[]; wrong: number | null; who: Who }
  | { op: "unblind"; patient: number; reason: number; who: Who }
  | {
      op: "data";
      site: number;
      subjects: number[];
      order: "ascending" | "asPicked" | "repeat";
      count: number;
      who: Who;
    }
  | { op: "lock"; zero: boolean; who: Who }
  | { op: "requestUnlock"; reason: number; who: Who }
  | { op: "approveUnlock"; by: "ethicsCommittee" | "regulator" | "other"; pick: number }
  | {
      op: "report";
      choice: "faithful" | "random";
      keep: number;
      fresh: number;
      primaries: number;
      variant: "ok" | "wrongRoot" | "duplicate" | "zeroResult" | "empty";
      order: number;
      who: Who;
    }
  | { op: "commit"; strata: number; perStratum: number; zero: boolean; who: Who }
  | { op: "site"; action: "suspend" | "close" | "activate" | "propose"; site: number; bySponsor: boolean; who: Who };

const pick = fc.nat({ max: 1000 });
const who: fc.Arbitrary<Who> = fc.oneof(
  { weight: 12, arbitrary: fc.constant("right" as const) },
  { weight: 1, arbitrary: pick.map((wrong) => ({ wrong })) },
);
const consentChoice: fc.Arbitrary<ConsentChoice> = fc.constantFrom<ConsentChoice>(
  "current",
  "current",
  "current",
  "current",
  "current",
  "current",
  "stale",
  "badNonce",
  "otherSite",
);
const mostly = <T>(usual: T, rare: fc.Arbitrary<T>, odds = 6): fc.Arbitrary<T> =>
  fc.oneof({ weight: odds, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: rare });

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("propose" as const),
      outcomes: fc.constantFrom("keep", "keep", "change", "change", "change", "noPrimary", "duplicate"),
      keep: fc.nat({ max: 255 }),
      fresh: fc.nat({ max: 2 }),
      primaries: fc.nat({ max: 63 }),
      consent: fc.constantFrom("none", "majorWithoutForm", "minor", "major", "major", "major"),
      plan: fc.boolean(),
      completion: fc.constantFrom<Extract<Step, { op: "propose" }>["completion"]>(
        ...(["none", "none", "none", "none", "later", "later", "past", "longPast", "longPast", "tooFar"] as const),
      ),
      blank: mostly(false, fc.constant(true), 20),
      who,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("decide" as const),
      decision: fc.constantFrom("approve", "approve", "approve", "reject", "withdraw"),
      target: mostly(null, pick, 8),
      reason: pick,
      who,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("enroll" as const),
      patient: pick,
      site: pick,
      stratum: pick,
      consent: consentChoice,
      who,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("reconsent" as const),
      patient: pick,
      consent: consentChoice,
      relayer: pick,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("withdraw" as const),
      patient: pick,
      by: fc.constantFrom("patient", "patient", "investigator", "investigator", "other"),
      reason: fc.nat({ max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("nonce" as const),
      patient: pick,
      own: mostly(true, fc.constant(false), 3),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("reveal" as const),
      patient: pick,
      correct: mostly(true, fc.constant(false), 5),
      who,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("disclose" as const),
      patients: fc.array(pick, { minLength: 1, maxLength: 3 }),
      wrong: mostly(null, pick, 5),
      who,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("unblind" as const), patient: pick, reason: pick, who }) },
  {
    weight: 9,
    arbitrary: fc.record({
      op: fc.constant("data" as const),
      site: pick,
      subjects: fc.array(pick, { minLength: 1, maxLength: 3 }),
      order: fc.constantFrom(
        "ascending",
        "ascending",
        "ascending",
        "ascending",
        "ascending",
        "ascending",
        "asPicked",
        "repeat",
      ),
      count: pick,
      who,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("lock" as const), zero: mostly(false, fc.constant(true), 12), who }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("requestUnlock" as const), reason: pick, who }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("approveUnlock" as const),
      by: fc.constantFrom("ethicsCommittee", "ethicsCommittee", "regulator", "regulator", "other"),
      pick,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("report" as const),
      choice: fc.constantFrom("faithful", "random", "random"),
      keep: fc.nat({ max: 255 }),
      fresh: fc.nat({ max: 2 }),
      primaries: fc.nat({ max: 255 }),
      variant: fc.constantFrom("ok", "ok", "ok", "ok", "ok", "ok", "wrongRoot", "duplicate", "zeroResult", "empty"),
      order: pick,
      who,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("commit" as const),
      strata: fc.integer({ min: 1, max: 3 }),
      perStratum: fc.integer({ min: 1, max: 3 }),
      zero: mostly(false, fc.constant(true), 12),
      who,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("site" as const),
      action: fc.constantFrom("suspend", "suspend", "activate", "activate", "propose", "close"),
      site: pick,
      bySponsor: fc.boolean(),
      who,
    }),
  },
);

// ---------------------------------------------------------------------------------------------------------------------
// The fixture: the trials fixture and a pool of patients, and the trial as registered
// ---------------------------------------------------------------------------------------------------------------------

/** The trials fixture plus `POOL` patients who granted the sponsor the trial's categories for research, and what the
 * registration recorded (the model starts from it). */
async function trialsPropertyFixture() {
  const f = await trialsFixture();
  const patients: { id: bigint; key: HDNodeWallet }[] = [];
  for (let i = 0; i < POOL; i++) patients.push(await f.newPatient());
  const [trial, outcomes, protocol, deadline] = await Promise.all([
    f.trialRegistry.trial(f.trialId),
    f.trialProtocol.outcomes(f.trialId),
    f.trialProtocol.protocolOf(f.trialId),
    f.trialProtocol.resultsDeadline(f.trialId),
  ]);
  const commitments = [...outcomes.commitments];
  const registered = {
    registeredAt: trial.registeredAt,
    consentForm: trial.consentForm,
    protocol: protocol.protocol,
    analysisPlan: protocol.analysisPlan,
    primaryCompletion: deadline.primaryCompletion,
    outcomes: commitments.map((commitment, i): OutcomeSpec => ({
      commitment,
      primary: ((outcomes.currentPrimary >> BigInt(i)) & 1n) === 1n,
    })),
  };
  return { ...f, patients, registered };
}

type PropertyFixture = Awaited<ReturnType<typeof trialsPropertyFixture>>;

// ---------------------------------------------------------------------------------------------------------------------
// Formatting what the chain and the model say, so that a difference reads plainly
// ---------------------------------------------------------------------------------------------------------------------

function show(value: unknown): string {
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return value.toLowerCase();
  if (Array.isArray(value)) return `[${[...(value as unknown[])].map(show).join(", ")}]`;
  throw new Error(`cannot show ${String(value)}`);
}

function call(name: string, args: readonly Arg[] | readonly unknown[]): string {
  return `${name}(${args.map(show).join(", ")})`;
}

/** A view's answer, the fields the model's view names, numbers as bigints and hex strings lower-case. */
function plain(answer: object, like: object): Record<string, unknown> {
  const norm = (v: unknown): unknown =>
    typeof v === "string" ? v.toLowerCase() : Array.isArray(v) ? [...(v as unknown[])].map(norm) : v;
  const fields = answer as Record<string, unknown>;
  return Object.fromEntries(Object.keys(like).map((k) => [k, norm(fields[k])]));
}

function lower(view: object): Record<string, unknown> {
  return plain(view, view);
}

// ---------------------------------------------------------------------------------------------------------------------
// A run: the fixture, the model, the cast and the chain state last read
// ---------------------------------------------------------------------------------------------------------------------

type Key = HardhatEthersSigner | HDNodeWallet;

interface Member {
  name: string;
  /** The participant id the key controls; 0n for the stranger. */
  id: bigint;
  key: Key;
}

interface Patient extends Member {
  index: number;
}

/** What the chain said at the last check: invariant 4 reads the state before a batch from it. */
interface ChainState {
  /** The trial's status and each subject's, as the chain's enum values. */
  status: number;
  majorConsentVersion: number;
  subjects: Map<bigint, { status: number; site: number; consentedVersion: number }>;
}

/** The outcomes the trial froze as pre-specified: invariant 5. */
interface Frozen {
  preSpecified: bigint;
  preSpecifiedPrimary: bigint;
  named: string[];
}

/** The views read after the steps that write them (and at the end of every run), beside those read after every step. */
type Group = "indices" | "sites" | "protocol" | "batches" | "reports";

const WRITES: Partial<Record<Step["op"], readonly Group[]>> = {
  enroll: ["indices"],
  commit: ["indices"],
  site: ["sites"],
  propose: ["protocol"],
  decide: ["protocol"],
  data: ["batches"],
  report: ["reports"],
};

const STATS = new Map<string, number>();

class Run {
  readonly model: TrialModel;
  readonly clock: Clock = { now: 0n };
  readonly patients: Patient[];
  readonly sponsor: Member;
  readonly ethicsCommittee: Member;
  readonly regulator: Member;
  readonly randomizer: Member;
  readonly stranger: Member;
  readonly practitioners: Member[];
  /** Who acts when someone with no right to does. */
  readonly others: Member[];
  private counter = 0;
  /** The allocation sequence committed: the fixture's, or one a `commit` step replaced it with. */
  private sequence: AllocationSequence;
  /** The step being replayed, for the statistics. */
  private op = "";
  private last?: ChainState;
  private frozen?: Frozen;
  private registryAddress = "";
  private protocolAddress = "";

  constructor(readonly f: PropertyFixture) {
    const m = (name: string, id: bigint, key: Key): Member => ({ name, id, key });
    this.sponsor = m("sponsor", f.sponsorId, f.sponsorKey);
    this.ethicsCommittee = m("ethics committee", f.ethicsCommitteeId, f.ethicsCommitteeKey);
    this.regulator = m("regulator", f.regulatorId, f.regulatorKey);
    this.randomizer = m("randomizer", f.randomizerId, f.randomizerKey);
    this.stranger = m("stranger", 0n, f.strangerKey);
    this.practitioners = [
      m("cardiologist", f.cardiologistId, f.cardiologistKey),
      m("clinic doctor", f.clinicDoctorId, f.clinicDoctorKey),
      m("internist", f.internistId, f.internistKey),
      m("ER doctor", f.erDoctorId, f.erDoctorKey),
    ];
    this.patients = f.patients.map((p, index) => ({ name: `P${index + 1}`, id: p.id, key: p.key, index }));
    this.others = [
      this.stranger,
      this.sponsor,
      this.ethicsCommittee,
      this.regulator,
      this.randomizer,
      ...this.practitioners.slice(0, 2),
      this.patients[0] as Patient,
    ];
    const { sequence } = f;
    this.sequence = sequence;
    this.model = new TrialModel({
      trialId: f.trialId,
      sponsor: f.sponsorId,
      ethicsCommittee: f.ethicsCommitteeId,
      regulator: f.regulatorId,
      randomizer: f.randomizerId,
      categories: BigInt(TRIAL_CATEGORIES),
      ...f.registered,
      strata: sequence.strata,
      perStratum: sequence.perStratum,
      allocationRoot: sequence.root,
      sites: [
        { organization: f.hospitalId, investigator: f.cardiologistId, status: SiteStatus.Active },
        { organization: f.clinicId, investigator: f.clinicDoctorId, status: SiteStatus.Active },
      ],
      entry: entryOf(sequence),
    });
  }

  async start(): Promise<void> {
    this.clock.now = BigInt(await time.latest());
    this.registryAddress = (await this.f.trialRegistry.getAddress()).toLowerCase();
    this.protocolAddress = (await this.f.trialProtocol.getAddress()).toLowerCase();
  }

  caller(m: Member): Caller {
    return { id: m.id, address: m.key.address };
  }

  /** The party the action is for, or someone else than every one of `rights`. */
  who(choice: Who, right: Member, rights: readonly bigint[] = [right.id]): Member {
    if (choice === "right") return right;
    return at(
      this.others.filter((m) => !rights.includes(m.id)),
      choice.wrong,
    );
  }

  nameOf(patient: bigint): string {
    return this.patients.find((p) => p.id === patient)?.name ?? `#${patient}`;
  }

  investigatorOf(site: number): Member {
    const id = this.model.site(site)?.investigator;
    return this.practitioners.find((m) => m.id === id) ?? (this.practitioners[0] as Member);
  }

  fresh(label: string): string {
    return hashText(`${label} ${++this.counter}`);
  }

  /** Pins the next block's time, asks the model, sends, and checks that the chain did what the model said. */
  async act(
    what: string,
    model: (now: bigint) => Outcome,
    send: () => Promise<ContractTransactionResponse>,
  ): Promise<Outcome> {
    const now = await pinNext(this.clock);
    const outcome = model(now);
    let receipt: ContractTransactionReceipt | null = null;
    let failure: unknown;
    try {
      receipt = await (await send()).wait();
    } catch (error) {
      failure = error;
    }
    if ("error" in outcome) {
      const seen = failure === undefined ? `success: ${this.events(receipt).join(", ")}` : this.decode(failure);
      expect(seen, `${what} must revert`).to.equal(call(outcome.error, outcome.args));
    } else {
      if (failure !== undefined) throw new Error(`${what} must succeed but reverted ${this.decode(failure)}`);
      expect(this.events(receipt), `the events of ${what}`).to.deep.equal(
        outcome.events.map((e) => call(e.name, e.args)),
      );
    }
    // A transaction mined is mined at `now`; one reverted may or may not have been (Hardhat mines a failing
    // transaction that was sent), so then the clock reads the latest block.
    this.clock.now = receipt !== null ? now : BigInt(await time.latest());
    const tally = `${this.op} ${"error" in outcome ? outcome.error : "ok"}`;
    STATS.set(tally, (STATS.get(tally) ?? 0) + 1);
    this.notice(outcome);
    return outcome;
  }

  /** The states this run reached that the invariants are about (see `notice`). */
  readonly seen = new Set<string>();

  /** Notes the states an outcome shows the run reached, so that TRIALS_MODEL_STATS shows they are reached. */
  notice(outcome: Outcome): void {
    const { model, seen } = this;
    if ("error" in outcome) {
      const withdrawn = outcome.error === "TrialSubjectNotEnrolled" && outcome.args[2] === SubjectStatus.Withdrawn;
      if (this.op === "data") seen.add(`state: data refused, ${outcome.error}${withdrawn ? " (withdrawn)" : ""}`);
      return;
    }
    const postFreeze = (a: ModelAmendment) => a.approvedAfterUnblinding || a.approvedAfterLock;
    if (model.firstReportedAt !== 0n) seen.add("state: results reported on or after the completion date");
    if (model.wasLate) seen.add("state: results late for good");
    for (const e of outcome.events) {
      if (e.name === "AmendmentApproved") {
        const a = model.amendments[Number(e.args[1]) - 1]!;
        const when = a.approvedAfterUnblinding ? "after unblinding" : a.approvedAfterLock ? "after lock" : "before";
        if (a.changesOutcomes) seen.add(`state: an outcome change approved ${when}`);
        if (a.consentForm !== ZeroHash) seen.add(`state: a ${a.majorConsentChange ? "major" : "minor"} consent form`);
      } else if (e.name === "ResultsReported") {
        const [notReported, added, changed] = e.args[4] as readonly [bigint, number, boolean];
        if (notReported !== 0n) seen.add("state: a report leaving pre-specified outcomes out");
        if (added > 0) seen.add("state: a report adding outcomes");
        if (changed) seen.add("state: a report changing the primary outcomes");
        if (notReported === 0n && added === 0 && !changed) seen.add("state: a report as pre-specified");
        const changedLate = model.amendments.some(
          (a) => a.status === TrialAmendmentStatus.Approved && a.changesOutcomes && postFreeze(a),
        );
        if (changedLate) seen.add("state: a report after an outcome change approved after the freeze");
      } else if (["DataAnchored", "DatabaseUnlocked", "ArmDisclosed", "ParticipantWithdrawn"].includes(e.name)) {
        seen.add(`state: ${e.name}`);
      }
    }
  }

  /** The custom error a failed transaction reverted with, as `Name(args)`. */
  decode(failure: unknown): string {
    const data = revertData(failure);
    if (data === undefined) return `a failure without revert data: ${(failure as Error).message}`;
    const parsed =
      this.f.trialRegistry.interface.parseError(data) ?? this.f.trialProtocol.interface.parseError(data) ?? undefined;
    return parsed === undefined ? `an unknown revert ${data}` : call(parsed.name, [...parsed.args]);
  }

  /** The registry's and the protocol contract's events in a receipt, in order, as `Name(args)`. */
  events(receipt: ContractTransactionReceipt | null): string[] {
    const seen: string[] = [];
    for (const log of receipt?.logs ?? []) {
      const address = log.address.toLowerCase();
      const contract =
        address === this.registryAddress
          ? this.f.trialRegistry
          : address === this.protocolAddress
            ? this.f.trialProtocol
            : undefined;
      const parsed = contract?.interface.parseLog(log);
      if (parsed) seen.push(call(parsed.name, [...parsed.args]));
    }
    return seen;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Candidates
  // -------------------------------------------------------------------------------------------------------------

  /** Mostly (unless `choice` is a multiple of `odds`) one of `preferred`, else one of the pool. */
  choose<T>(preferred: readonly T[], all: readonly T[], choice: number, odds = 4): T {
    return at(choice % odds !== 0 && preferred.length > 0 ? preferred : all, choice);
  }

  /** One of the first non-empty tier three times in four, else of the next non-empty one, and so on to the last. */
  tiered<T>(choice: number, ...tiers: (readonly T[])[]): T {
    const open = tiers.filter((tier) => tier.length > 0);
    let roll = choice;
    for (const [i, tier] of open.entries()) {
      if (i === open.length - 1 || roll % 4 !== 0) return at(tier, choice);
      roll = Math.floor(roll / 4);
    }
    throw new Error("no candidates");
  }

  patientsWhere(test: (s: ReturnType<TrialModel["subject"]>) => boolean): Patient[] {
    return this.patients.filter((p) => test(this.model.subject(p.id)));
  }

  /** Sites 1..n with a status in `statuses`. */
  sitesWhere(...statuses: SiteStatus[]): number[] {
    return this.model.sites.flatMap((s, i) => (statuses.includes(s.status) ? [i + 1] : []));
  }

  /** Any site number, one past the last among them (unknown). */
  anySite(choice: number): number {
    return 1 + (choice % (this.model.sites.length + 1));
  }

  /** A signature of `p` on a consent form version for `site`, as `choice` says, and what the model needs to know of
   * it. */
  async consent(
    p: Patient,
    site: number,
    choice: ConsentChoice,
  ): Promise<{ signed: ConsentSignatureStruct; seen: ModelConsent }> {
    const { model } = this;
    const version = choice === "stale" ? model.consentVersion - 1 : model.consentVersion;
    const nonce = model.subject(p.id).nonce + (choice === "badNonce" ? 1 : 0);
    const document = this.fresh("signed consent form");
    const deadline = this.clock.now + BigInt(DAY);
    const signedSite = choice === "otherSite" ? site + 1 : site;
    const message = { trial: this.f.trialId, patient: p.id, site: signedSite, version, document, nonce, deadline };
    const signature = await signTrialConsent(p.key, this.f.domain, message);
    return {
      signed: { version, document, deadline, signer: p.key.address, signature },
      seen: {
        version,
        document,
        signer: p.key.address,
        validSignature: choice !== "badNonce" && choice !== "otherSite",
      },
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Steps
  // -------------------------------------------------------------------------------------------------------------

  /** A proposal's primary completion date: unchanged (0), a year ahead, ten days ago (a trial that ended early), two
   * years ago (results overdue at once), or a day past the 20-year horizon. */
  completion(choice: Extract<Step, { op: "propose" }>["completion"]): bigint {
    const now = this.clock.now;
    const year = BigInt(YEAR);
    if (choice === "later") return now + year + 7n;
    if (choice === "past") return now - 10n * BigInt(DAY);
    if (choice === "longPast") return now - 2n * year;
    if (choice === "tooFar") return now + 1n + 20n * year + BigInt(DAY);
    return 0n;
  }

  async propose(s: Extract<Step, { op: "propose" }>): Promise<void> {
    const { model } = this;
    let outcomes: OutcomeSpec[] = [];
    if (s.outcomes !== "keep") {
      const kept = model.specified.filter((_, i) => ((s.keep >> i) & 1) === 1);
      const added = Array.from({ length: s.fresh }, () => this.fresh("outcome"));
      const list = [...kept, ...added];
      if (list.length === 0) list.push(this.fresh("outcome"));
      outcomes = list.map((commitment, i) => ({ commitment, primary: ((s.primaries >> i) & 1) === 1 }));
      if (s.outcomes === "noPrimary") outcomes = outcomes.map((o) => ({ ...o, primary: false }));
      else if (!outcomes.some((o) => o.primary)) outcomes[s.keep % outcomes.length]!.primary = true;
      if (s.outcomes === "duplicate") outcomes.splice(s.primaries % (outcomes.length + 1), 0, { ...outcomes[0]! });
    }
    const withForm = s.consent === "minor" || s.consent === "major";
    const proposal: AmendmentProposal = {
      protocol: s.blank ? ZeroHash : this.fresh("protocol"),
      analysisPlan: s.plan ? this.fresh("analysis plan") : ZeroHash,
      consentForm: withForm ? this.fresh("consent form") : ZeroHash,
      majorConsentChange: s.consent === "major" || s.consent === "majorWithoutForm",
      primaryCompletion: this.completion(s.completion),
      outcomes,
    };
    const by = this.who(s.who, this.sponsor);
    const summary = [
      s.outcomes === "keep" ? "" : `${outcomes.length} outcomes (${s.outcomes})`,
      s.consent === "none" ? "" : `${s.consent} consent`,
      s.completion === "none" ? "" : `${s.completion} completion`,
    ].filter((x) => x !== "");
    await this.act(
      `${by.name} proposes an amendment${summary.length > 0 ? `: ${summary.join(", ")}` : ""}`,
      (now) => model.proposeAmendment(this.caller(by), proposal, now),
      () => this.f.trialProtocol.connect(by.key).proposeAmendment(this.f.trialId, proposal),
    );
  }

  async decide(s: Extract<Step, { op: "decide" }>): Promise<void> {
    const { model, f } = this;
    const id =
      s.target === null && model.pending !== 0 ? model.pending : (s.target ?? 0) % (model.amendments.length + 2);
    const reason = s.reason % 7 === 0 ? 0 : 1 + (s.reason % 5);
    const protocol = f.trialProtocol;
    if (s.decision === "withdraw") {
      const by = this.who(s.who, this.sponsor);
      await this.act(
        `${by.name} withdraws amendment ${id}`,
        (now) => model.withdrawAmendment(this.caller(by), id, now),
        () => protocol.connect(by.key).withdrawAmendment(f.trialId, id),
      );
      return;
    }
    const by = this.who(s.who, this.ethicsCommittee);
    if (s.decision === "approve") {
      await this.act(
        `${by.name} approves amendment ${id}`,
        (now) => model.approveAmendment(this.caller(by), id, now),
        () => protocol.connect(by.key).approveAmendment(f.trialId, id),
      );
    } else {
      await this.act(
        `${by.name} rejects amendment ${id} (reason ${reason})`,
        (now) => model.rejectAmendment(this.caller(by), id, reason, now),
        () => protocol.connect(by.key).rejectAmendment(f.trialId, id, reason),
      );
    }
  }

  async enroll(s: Extract<Step, { op: "enroll" }>): Promise<void> {
    const { model } = this;
    const p = this.tiered(
      s.patient,
      this.patientsWhere((x) => x.status === SubjectStatus.None),
      this.patients,
    );
    const site = this.choose(this.sitesWhere(SiteStatus.Active), [this.anySite(s.site)], s.site, 5);
    const stratum = s.stratum % 12 === 0 ? model.strata : s.stratum % model.strata;
    const investigator = this.investigatorOf(site);
    const by = this.who(s.who, investigator);
    const { signed, seen } = await this.consent(p, site, s.consent);
    await this.act(
      `${by.name} enrolls ${p.name} at site ${site} in stratum ${stratum} (${s.consent} consent)`,
      (now) => model.enroll(this.caller(by), site, p.id, stratum, seen, now),
      () => this.f.trialRegistry.connect(by.key).enroll(this.f.trialId, site, p.id, stratum, signed),
    );
  }

  async reconsent(s: Extract<Step, { op: "reconsent" }>): Promise<void> {
    const { model } = this;
    const p = this.tiered(
      s.patient,
      this.patientsWhere((x) => x.status === SubjectStatus.Enrolled && x.consentedVersion < model.consentVersion),
      this.patientsWhere((x) => x.status === SubjectStatus.Enrolled),
      this.patients,
    );
    const relayer = at([...this.others, p], s.relayer);
    const { signed, seen } = await this.consent(p, model.subject(p.id).site, s.consent);
    await this.act(
      `${relayer.name} relays the re-consent of ${p.name} (${s.consent} consent)`,
      () => model.reconsent(p.id, seen),
      () => this.f.trialRegistry.connect(relayer.key).reconsent(this.f.trialId, p.id, signed),
    );
  }

  async withdraw(s: Extract<Step, { op: "withdraw" }>): Promise<void> {
    const p = this.tiered(
      s.patient,
      this.patientsWhere((x) => x.status === SubjectStatus.Enrolled),
      this.patients,
    );
    const investigator = this.investigatorOf(this.model.subject(p.id).site);
    const by =
      s.by === "patient"
        ? p
        : s.by === "investigator"
          ? investigator
          : at(
              this.others.filter((m) => m.id !== p.id && m.id !== investigator.id),
              s.patient,
            );
    await this.act(
      `${by.name} withdraws ${p.name} (reason ${s.reason})`,
      () => this.model.withdraw(this.caller(by), p.id, s.reason),
      () => this.f.trialRegistry.connect(by.key).withdraw(this.f.trialId, p.id, s.reason),
    );
  }

  async nonce(s: Extract<Step, { op: "nonce" }>): Promise<void> {
    const p = at(this.patients, s.patient);
    const by = s.own ? p : at(this.patients, p.index + 1);
    await this.act(
      `${by.name} burns a consent nonce of ${p.name}`,
      () => this.model.increaseNonce(this.caller(by), p.id),
      () => this.f.trialRegistry.connect(by.key).increaseNonce(this.f.trialId, p.id),
    );
  }

  async reveal(s: Extract<Step, { op: "reveal" }>): Promise<void> {
    const { model, f } = this;
    const p = this.tiered(
      s.patient,
      this.patientsWhere((x) => x.status !== SubjectStatus.None && !x.revealed),
      this.patientsWhere((x) => x.revealed),
      this.patients,
    );
    const subject = model.subject(p.id);
    const { sequence } = this;
    // The wrong one: the next entry of the sequence, with its own proof (or, in a sequence of one, a made-up one).
    const position = subject.stratum * sequence.perStratum + subject.allocationIndex;
    const other = sequence.entries[(position + 1) % sequence.entries.length]!;
    const { armCommitment, proof } = s.correct
      ? revealOf(sequence, subject.stratum, subject.allocationIndex)
      : sequence.entries.length > 1
        ? revealOf(sequence, other.stratum, other.index)
        : { armCommitment: this.fresh("arm commitment"), proof: [] };
    const by = this.who(s.who, this.randomizer);
    await this.act(
      `${by.name} reveals the allocation of ${p.name}${s.correct ? "" : " with another entry"}`,
      () => model.reveal(this.caller(by), p.id, armCommitment),
      () => f.trialRegistry.connect(by.key).reveal(f.trialId, p.id, armCommitment, proof),
    );
  }

  async disclose(s: Extract<Step, { op: "disclose" }>): Promise<void> {
    const { model, f } = this;
    const ready = this.patientsWhere((x) => x.revealed && x.disclosedArm === 0);
    const chosen: Patient[] = [];
    for (const choice of s.patients) {
      const pool = ready.filter((p) => !chosen.includes(p));
      chosen.push(this.choose(pool, this.patients, choice, 6));
    }
    const disclosures = chosen.map((p, i) => {
      const subject = model.subject(p.id);
      const { arm, salt } = openingOf(this.sequence, subject.stratum, subject.allocationIndex);
      const { proof } = revealOf(this.sequence, subject.stratum, subject.allocationIndex);
      const wrong = s.wrong !== null && s.wrong % chosen.length === i;
      return { patient: p.id, arm: wrong ? 1 - arm : arm, salt, proof };
    });
    const by = this.who(s.who, this.randomizer);
    const named = disclosures.map((d, i) => `${chosen[i]?.name ?? "?"} arm ${d.arm}`).join(", ");
    await this.act(
      `${by.name} discloses ${named}`,
      (now) => model.discloseArms(this.caller(by), disclosures, now),
      () => f.trialRegistry.connect(by.key).discloseArms(f.trialId, disclosures),
    );
  }

  async unblind(s: Extract<Step, { op: "unblind" }>): Promise<void> {
    const p = this.tiered(
      s.patient,
      this.patientsWhere((x) => x.revealed),
      this.patients,
    );
    const investigator = this.investigatorOf(this.model.subject(p.id).site);
    const by = this.who(s.who, investigator);
    const reason = s.reason % 6 === 0 ? 0 : 1 + (s.reason % 4);
    await this.act(
      `${by.name} unblinds ${p.name} in an emergency (reason ${reason})`,
      () => this.model.emergencyUnblind(this.caller(by), p.id, reason),
      () => this.f.trialRegistry.connect(by.key).unblind(this.f.trialId, p.id, reason),
    );
  }

  async data(s: Extract<Step, { op: "data" }>): Promise<void> {
    const { model, f } = this;
    const open = this.sitesWhere(SiteStatus.Active, SiteStatus.Suspended);
    const withSubjects = open.filter(
      (n) => this.patientsWhere((x) => x.status !== SubjectStatus.None && x.site === n).length > 0,
    );
    const site = this.choose(withSubjects, [this.anySite(s.site)], s.site, 6);
    const enrolledThere = this.patientsWhere((x) => x.status === SubjectStatus.Enrolled && x.site === site);
    const there = this.patientsWhere((x) => x.status !== SubjectStatus.None && x.site === site);
    const named: Patient[] = [];
    for (const choice of s.subjects) {
      const fresh = (list: readonly Patient[]) => list.filter((p) => !named.includes(p));
      named.push(this.tiered(choice, fresh(enrolledThere), fresh(there), fresh(this.patients)));
    }
    const subjects = named.map((p) => p.id);
    if (s.order === "ascending") subjects.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (s.order === "repeat") subjects.push(subjects[0]!);
    const root = this.fresh("data batch");
    const count = 1 + (s.count % 200);
    const by = this.who(s.who, this.investigatorOf(site));
    const outcome = await this.act(
      `${by.name} anchors data at site ${site} for ${subjects.map((id) => this.nameOf(id)).join(", ")}`,
      () => model.anchorData(this.caller(by), site, root, count, subjects),
      () => f.trialRegistry.connect(by.key).anchorData(f.trialId, site, root, count, subjects),
    );
    if (!("error" in outcome)) this.checkDataAccepted(site, subjects);
  }

  async lock(s: Extract<Step, { op: "lock" }>): Promise<void> {
    const root = s.zero ? ZeroHash : this.fresh("dataset");
    const by = this.who(s.who, this.sponsor);
    await this.act(
      `${by.name} locks the database${s.zero ? " with a zero root" : ""}`,
      (now) => this.model.lock(this.caller(by), root, now),
      () => this.f.trialRegistry.connect(by.key).lock(this.f.trialId, root),
    );
  }

  async requestUnlock(s: Extract<Step, { op: "requestUnlock" }>): Promise<void> {
    const reason = s.reason % 6 === 0 ? 0 : 1 + (s.reason % 3);
    const by = this.who(s.who, this.sponsor);
    await this.act(
      `${by.name} requests an unlock (reason ${reason})`,
      () => this.model.requestUnlock(this.caller(by), reason),
      () => this.f.trialRegistry.connect(by.key).requestUnlock(this.f.trialId, reason),
    );
  }

  async approveUnlock(s: Extract<Step, { op: "approveUnlock" }>): Promise<void> {
    const overseers = [this.ethicsCommittee.id, this.regulator.id];
    const by =
      s.by === "ethicsCommittee"
        ? this.ethicsCommittee
        : s.by === "regulator"
          ? this.regulator
          : this.who({ wrong: s.pick }, this.regulator, overseers);
    await this.act(
      `${by.name} approves the unlock`,
      () => this.model.approveUnlock(this.caller(by)),
      () => this.f.trialRegistry.connect(by.key).approveUnlock(this.f.trialId),
    );
  }

  async report(s: Extract<Step, { op: "report" }>): Promise<void> {
    const { model } = this;
    let listed: { outcome: string; primary: boolean }[];
    if (s.choice === "faithful") {
      listed = model.preSpecified.map((o) => ({ outcome: o.commitment, primary: o.primary }));
    } else {
      const known = model.specified.filter((_, i) => ((s.keep >> i) & 1) === 1);
      const added = Array.from({ length: s.fresh }, () => this.fresh("new outcome"));
      listed = [...known, ...added].map((outcome, i) => ({ outcome, primary: ((s.primaries >> i) & 1) === 1 }));
    }
    // A random order: rotated, then the first two swapped for odd seeds.
    const turn = listed.length === 0 ? 0 : s.order % listed.length;
    listed = [...listed.slice(turn), ...listed.slice(0, turn)];
    if (s.order % 2 === 1 && listed.length > 1) [listed[0], listed[1]] = [listed[1]!, listed[0]!];
    let reported: ReportedOutcome[] = listed.map((o) => ({ ...o, result: this.fresh("result") }));
    if (s.variant === "empty") reported = [];
    if (s.variant === "duplicate" && reported.length > 0) {
      const copy = { ...reported[s.order % reported.length]!, result: this.fresh("result") };
      reported.splice(s.keep % (reported.length + 1), 0, copy);
    }
    if (s.variant === "zeroResult" && reported.length > 0) reported[s.keep % reported.length]!.result = ZeroHash;
    const root = s.variant === "wrongRoot" ? this.fresh("another dataset") : model.datasetRoot;
    const by = this.who(s.who, this.sponsor);
    const kinds = reported.map((r) =>
      model.preSpecified.some((o) => o.commitment === r.outcome)
        ? `pre${r.primary ? "*" : ""}`
        : model.specified.includes(r.outcome)
          ? `known${r.primary ? "*" : ""}`
          : `new${r.primary ? "*" : ""}`,
    );
    await this.act(
      `${by.name} reports results (${s.choice}, ${s.variant}): [${kinds.join(", ")}]`,
      (now) => model.reportResults(this.caller(by), root, reported, now),
      () => this.f.trialProtocol.connect(by.key).reportResults(this.f.trialId, root, reported),
    );
  }

  /** The sponsor commits a new, small allocation sequence (so that a stratum can run out of indices). */
  async commit(s: Extract<Step, { op: "commit" }>): Promise<void> {
    const { f } = this;
    const sequence = generateAllocation({ trialId: f.trialId, arms: 2, strata: s.strata, perStratum: s.perStratum });
    const root = s.zero ? ZeroHash : sequence.root;
    const by = this.who(s.who, this.sponsor);
    const outcome = await this.act(
      `${by.name} commits ${s.strata} strata of ${s.perStratum}${s.zero ? " with a zero root" : ""}`,
      () => this.model.commitAllocation(this.caller(by), root, s.strata, s.perStratum, entryOf(sequence)),
      () => f.trialRegistry.connect(by.key).commitAllocation(f.trialId, root, s.strata, s.perStratum),
    );
    if (!("error" in outcome)) this.sequence = sequence;
  }

  async site(s: Extract<Step, { op: "site" }>): Promise<void> {
    const { model, f } = this;
    const registry = f.trialRegistry;
    if (s.action === "propose") {
      const candidates = [
        { organization: f.hospitalId, investigator: this.practitioners[2] as Member },
        { organization: f.hospitalId, investigator: this.practitioners[3] as Member },
        { organization: f.clinicId, investigator: this.practitioners[1] as Member },
      ];
      const { organization, investigator } = at(candidates, s.site);
      const by = this.who(s.who, this.sponsor);
      await this.act(
        `${by.name} proposes a site for the ${investigator.name}`,
        () => model.proposeSite(this.caller(by), organization, investigator.id),
        () => registry.connect(by.key).proposeSite(f.trialId, organization, investigator.id),
      );
      return;
    }
    const target =
      s.action === "activate"
        ? this.sitesWhere(SiteStatus.Proposed, SiteStatus.Suspended)
        : s.action === "suspend"
          ? this.sitesWhere(SiteStatus.Active)
          : this.sitesWhere(SiteStatus.Proposed, SiteStatus.Active, SiteStatus.Suspended);
    const site = this.choose(target, [this.anySite(s.site)], s.site, 5);
    const reason = 1 + (s.site % 5);
    if (s.action === "activate") {
      const by = this.who(s.who, this.ethicsCommittee);
      await this.act(
        `${by.name} activates site ${site}`,
        () => model.changeSite(this.caller(by), site, SiteStatus.Active, 0),
        () => registry.connect(by.key).activateSite(f.trialId, site),
      );
      return;
    }
    const overseer = s.bySponsor ? this.sponsor : this.ethicsCommittee;
    const by = this.who(s.who, overseer, [this.sponsor.id, this.ethicsCommittee.id]);
    const to = s.action === "suspend" ? SiteStatus.Suspended : SiteStatus.Closed;
    await this.act(
      `${by.name} ${s.action === "suspend" ? "suspends" : "closes"} site ${site}`,
      () => model.changeSite(this.caller(by), site, to, reason),
      () =>
        s.action === "suspend"
          ? registry.connect(by.key).suspendSite(f.trialId, site, reason)
          : registry.connect(by.key).closeSite(f.trialId, site, reason),
    );
  }

  /** Whether `s` can only be refused now for want of its subject (no amendment pending, the trial locked, nobody
   * enrolled…): such a step is mostly skipped, so that the runs spend their steps where things happen. */
  pointless(s: Step): boolean {
    const { model } = this;
    const locked = model.status === TrialStatus.Locked;
    const any = (test: (x: ReturnType<TrialModel["subject"]>) => boolean) => this.patientsWhere(test).length > 0;
    const enrolled = (x: ReturnType<TrialModel["subject"]>) => x.status === SubjectStatus.Enrolled;
    switch (s.op) {
      case "propose":
        return model.pending !== 0;
      case "decide":
        return model.pending === 0;
      case "enroll":
        return locked || !any((x) => x.status === SubjectStatus.None);
      case "reconsent":
        return locked || !any((x) => enrolled(x) && x.consentedVersion < model.consentVersion);
      case "withdraw":
        return !any(enrolled);
      case "reveal":
        return !any((x) => x.status !== SubjectStatus.None && !x.revealed);
      case "disclose":
        return !any((x) => x.revealed && x.disclosedArm === 0);
      case "unblind":
        return !any((x) => x.revealed);
      case "data":
        return locked || !any(enrolled);
      case "lock":
        return locked || model.enrolled === 0;
      case "requestUnlock":
        return !locked;
      case "approveUnlock":
        return !model.unlockRequested;
      case "report":
        return !locked;
      case "commit":
        return model.enrolled !== 0;
      case "nonce":
      case "site":
        return false;
    }
  }

  /** Replays `s` (unless pointless now, seven times in eight, by `roll`); whether it sent a transaction. */
  async step(s: Step, roll: number): Promise<boolean> {
    this.op = s.op;
    if (roll % 8 !== 0 && this.pointless(s)) {
      STATS.set(`${s.op} skipped`, (STATS.get(`${s.op} skipped`) ?? 0) + 1);
      return false;
    }
    await this.dispatch(s);
    return true;
  }

  async dispatch(s: Step): Promise<void> {
    switch (s.op) {
      case "propose":
        return this.propose(s);
      case "decide":
        return this.decide(s);
      case "enroll":
        return this.enroll(s);
      case "reconsent":
        return this.reconsent(s);
      case "withdraw":
        return this.withdraw(s);
      case "nonce":
        return this.nonce(s);
      case "reveal":
        return this.reveal(s);
      case "disclose":
        return this.disclose(s);
      case "unblind":
        return this.unblind(s);
      case "data":
        return this.data(s);
      case "lock":
        return this.lock(s);
      case "requestUnlock":
        return this.requestUnlock(s);
      case "approveUnlock":
        return this.approveUnlock(s);
      case "report":
        return this.report(s);
      case "site":
        return this.site(s);
      case "commit":
        return this.commit(s);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Checks
  // -------------------------------------------------------------------------------------------------------------

  /** Invariant 4, from the chain's state before the batch. */
  checkDataAccepted(site: number, subjects: readonly bigint[]): void {
    const before = this.last;
    if (before === undefined) throw new Error("no chain state read before the batch");
    expect(TrialStatus[before.status], "a batch accepted: the trial was unlocked").to.equal("Active");
    for (const p of subjects) {
      const s = before.subjects.get(p);
      const name = this.nameOf(p);
      expect(
        {
          status: SubjectStatus[s?.status ?? SubjectStatus.None],
          site: s?.site,
          consentCurrent: (s?.consentedVersion ?? 0) >= before.majorConsentVersion,
        },
        `a batch at site ${site} accepted for ${name}`,
      ).to.deep.equal({ status: "Enrolled", site, consentCurrent: true });
    }
  }

  /**
   * Reads the chain and compares it with the model (invariant 2), then checks invariants 3 and 5. The views every step
   * may change (`trial`, `trialState`, `allocationAudit`, `outcomes`, every pool patient's `subject`) are read after
   * every step; the others after the steps that write them (`extra`) and at the end of every run (`"all"`). The reads
   * go one after the other: the in-process node answers them faster so than all at once.
   */
  async check(after: string, extra: readonly Group[] | "all"): Promise<void> {
    const { model, f } = this;
    const { trialId } = f;
    const registry = f.trialRegistry;
    const protocol = f.trialProtocol;
    const reads = (group: Group) => extra === "all" || extra.includes(group);
    const at_ = `after ${after}`;
    const strata = Array.from({ length: model.strata }, (_, i) => i);

    // Invariant 2: the state is the model's.
    const trial = await registry.trial(trialId);
    expect(plain(trial, model.trialView()), `trial() ${at_}`).to.deep.equal(lower(model.trialView()));
    const state = await registry.trialState(trialId);
    expect(plain(state, model.trialStateView()), `trialState() ${at_}`).to.deep.equal(lower(model.trialStateView()));
    const audit = await registry.allocationAudit(trialId);
    expect(plain(audit, model.auditView()), `allocationAudit() ${at_}`).to.deep.equal(model.auditView());
    const outcomes = await protocol.outcomes(trialId);
    expect(plain(outcomes, model.outcomesView()), `outcomes() ${at_}`).to.deep.equal(lower(model.outcomesView()));
    const subjects: Awaited<ReturnType<typeof registry.subject>>[] = [];
    for (const p of this.patients) {
      const subject = await registry.subject(trialId, p.id);
      const view = model.subjectView(p.id);
      expect(plain(subject, view), `subject(${p.name}) ${at_}`).to.deep.equal(view);
      subjects.push(subject);
    }
    const next: bigint[] = [];
    if (reads("indices")) {
      for (const s of strata) {
        next.push(await registry.nextAllocationIndex(trialId, s));
        expect(next[s], `nextAllocationIndex(${s}) ${at_}`).to.equal(BigInt(model.taken[s] ?? 0));
      }
    }
    if (reads("sites")) {
      for (const n of model.sites.map((_, i) => i + 1)) {
        const view = model.siteView(n);
        expect(plain(await registry.site(trialId, n), view), `site(${n}) ${at_}`).to.deep.equal(view);
      }
    }
    if (reads("protocol")) {
      const view = model.protocolView();
      expect(plain(await protocol.protocolOf(trialId), view), `protocolOf() ${at_}`).to.deep.equal(lower(view));
      for (const id of model.amendments.map((_, i) => i + 1)) {
        const amendment = model.amendmentView(id);
        expect(plain(await protocol.amendment(trialId, id), amendment), `amendment(${id}) ${at_}`).to.deep.equal(
          lower(amendment),
        );
      }
    }
    if (reads("batches")) {
      expect(await registry.dataBatchCount(trialId), `dataBatchCount() ${at_}`).to.equal(BigInt(model.batches));
    }
    if (reads("reports") || reads("protocol")) {
      const view = model.deadlineView(this.clock.now);
      expect(plain(await protocol.resultsDeadline(trialId), view), `resultsDeadline() ${at_}`).to.deep.equal(view);
    }
    if (reads("reports")) {
      for (const [i, hash] of model.reports.entries()) {
        expect(await protocol.resultsHash(trialId, i + 1), `resultsHash(${i + 1}) ${at_}`).to.equal(hash);
      }
    }

    // Invariant 3: indices 0..n-1 per stratum, each once; counts; unblinded and locked consistent.
    const ever = subjects.filter((s) => s.status !== BigInt(SubjectStatus.None));
    for (const s of strata) {
      const taken = ever
        .filter((x) => Number(x.stratum) === s)
        .map((x) => Number(x.allocationIndex))
        .sort((a, b) => a - b);
      expect(taken, `indices taken in stratum ${s} ${at_}`).to.deep.equal(taken.map((_, i) => i));
      if (next.length > 0) expect(next[s], `the next index of stratum ${s} ${at_}`).to.equal(BigInt(taken.length));
    }
    expect(audit.enrolled, `participants ever enrolled ${at_}`).to.equal(BigInt(ever.length));
    expect(trial.enrolled).to.equal(audit.enrolled);
    expect(audit.revealed <= audit.enrolled && audit.disclosed <= audit.revealed, `audit ${at_}`).to.equal(true);
    expect(BigInt(ever.filter((x) => x.revealed).length), `revealed ${at_}`).to.equal(audit.revealed);
    expect(BigInt(ever.filter((x) => x.disclosedArm !== 0n).length), `disclosed ${at_}`).to.equal(audit.disclosed);
    expect(state.unblinded, `unblinded exactly when an arm was disclosed ${at_}`).to.equal(audit.disclosed > 0n);
    const locked = trial.status === BigInt(TrialStatus.Locked);
    expect(
      [trial.lockedAt !== 0n, trial.datasetRoot !== ZeroHash, state.everLocked || !locked],
      `locked exactly with a lock time and a root ${at_}`,
    ).to.deep.equal([locked, locked, true]);

    // Invariant 5: the pre-specified outcomes never change once frozen.
    const named = [...outcomes.commitments].filter((_, i) => ((outcomes.preSpecified >> BigInt(i)) & 1n) === 1n);
    const now: Frozen = {
      preSpecified: outcomes.preSpecified,
      preSpecifiedPrimary: outcomes.preSpecifiedPrimary,
      named: named.map((c) => c.toLowerCase()),
    };
    if (this.frozen !== undefined) {
      expect(now, `the pre-specified outcomes frozen since the first unblinding or lock, ${at_}`).to.deep.equal(
        this.frozen,
      );
    } else if (state.unblinded || state.everLocked) {
      this.frozen = now;
    }

    this.last = {
      status: Number(trial.status),
      majorConsentVersion: Number(trial.majorConsentVersion),
      subjects: new Map(
        this.patients.map((p, i) => {
          const s = subjects[i]!;
          return [
            p.id,
            {
              status: Number(s.status),
              site: Number(s.site),
              consentedVersion: Number(s.consentedVersion),
            },
          ];
        }),
      ),
    };
  }
}

/** The sequence's entry at (stratum, index), as the model asks for it. */
function entryOf(sequence: AllocationSequence): (stratum: number, index: number) => AllocationEntry {
  return (stratum, index) => {
    const e = sequence.entries[stratum * sequence.perStratum + index];
    if (e === undefined) throw new Error(`no allocation entry ${index} in stratum ${stratum}`);
    return e;
  };
}

function describeStep(s: Step): string {
  return JSON.stringify(s);
}

// ---------------------------------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------------------------------

describe("TrialRegistry and TrialProtocol", function () {
  describe("trial state machines (model-based)", function () {
    it("agree with an independent model after every random amendment, enrollment, reveal, disclosure, data batch, lock, unlock and results report", async function () {
      // The runs take about half a minute; a failure's shrinking replays many more, so the timeout leaves it room.
      this.timeout(SHRINK_LIMIT + 120_000);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(step, pick), { minLength: MIN_STEPS, maxLength: MAX_STEPS, size: "max" }),
          async (steps) => {
            const f = await loadFixture(trialsPropertyFixture);
            const run = new Run(f);
            await run.start();
            await run.check("the registration", "all");
            for (const [s, roll] of steps) {
              if (await run.step(s, roll)) await run.check(describeStep(s), WRITES[s.op] ?? []);
            }
            await run.check("the end of the run", "all");
            for (const state of run.seen) STATS.set(state, (STATS.get(state) ?? 0) + 1);
          },
        ),
        // Shrinking replays whole runs: it stops after SHRINK_LIMIT and reports the smallest failure found by then.
        { ...RUNS, interruptAfterTimeLimit: SHRINK_LIMIT, ...replay() },
      );
      if (process.env.TRIALS_MODEL_STATS === "1") {
        for (const [tally, count] of [...STATS].sort()) console.log(`${String(count).padStart(6)}  ${tally}`);
      }
    });
  });
});
