import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import fc from "fast-check";
import { ethers } from "hardhat";

import {
  AppealStatus,
  CLAIM_PAYMENT,
  ClaimStatus,
  claimIdOf,
  claimReference,
  decodeLineResult,
  decodeRemittances,
  type EobLine,
  GROUP_CODES,
  packLine,
  PaymentStatus,
  PriorAuthStatus,
  procedureCode,
  toClaimStatus,
  toPriorAuthStatus,
} from "../../sdk";
import {
  type AppealStatus as ModelAppealStatus,
  ClaimsModel,
  ClaimsModelError,
  DAY,
  type LineResult,
  MAX_UNITS_PER_LINE,
  type ModelErrorReason,
  type ModelLine,
  type PlanTerms as ModelTerms,
  type PriorAuthStatus as ModelPriorAuthStatus,
  type QueueEntry,
} from "../../sdk/claims/model";
import type { ClaimContentStruct } from "../../typechain-types/contracts/claims/ClaimsAdjudicator";
import { type ClaimsFixture, claimsFixture, memberOf, USD } from "../fixtures/claims";
import { manualGas } from "../helpers/coverage";
import { runs } from "../helpers/runs";

// A model-based property test of the claims adjudicator: each run starts from the claims fixture's snapshot
// (loadFixture reverts to it), creates a random plan for the fixture's payer and enrolls the fixture's patient in it,
// then replays a random sequence of at most MAX_STEPS steps — claims (submitted by the hospital, its cardiologist, the
// clinic or its doctor), fundings, queue settlements, provider withdrawals, payer withdrawals of surplus,
// prior-authorization requests and decisions, appeals filed and decided, and changes of the plan's terms and network —
// on the contract and on the TypeScript model (sdk/claims/model.ts), and after every step compares the two. On chain
// the patient is her member pseudonym in the plan (`memberOf`); the model keeps her participant id as its abstract key.
//
// Every transaction is mined at a pinned timestamp (`time.setNextBlockTimestamp`), and the model is given that same
// time as `now`. Transactions carry an explicit gas limit, so that one the model expects to be refused is mined (and
// fails) at its pinned time too, rather than failing in a gas estimate.

/** Enough runs to reach the rarer paths (an overturn queued behind unpaid claims, an authorization used up, a late
 * appeal) while the file stays around a minute. */
const RUNS = 120;
/** Time for fast-check to shrink a failing sequence (each attempt replays it on a fresh chain). */
const SHRINK_TIMEOUT_MS = 20 * 60_000;
const MIN_STEPS = 4;
const MAX_STEPS = 12;
/** Gas for every transaction (no estimates: see above); under coverage, the coverage network's own. */
const GAS = { gasLimit: manualGas(5_000_000n) } as const;
/** The codes a plan's fee schedule is drawn from, and one that is never in it. */
const CODE_POOL = ["99213", "80053", "70553", "27447", "97110", "J3490"] as const;
const UNLISTED = "15780";

// ---------------------------------------------------------------------------------------------------------------------
// Random plans and steps
// ---------------------------------------------------------------------------------------------------------------------

const money = (max: bigint) =>
  fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 0n, max }) }, { weight: 1, arbitrary: fc.bigInt(0n, 1_000n) });

/** Terms within the contract's bounds: coinsurance 0..10,000 bps, oopMax ≥ deductible, both windows ≥ 1 day. */
const termsArb: fc.Arbitrary<ModelTerms> = fc
  .record({
    deductible: fc.oneof(fc.constant(0n), money(300n * USD), money(1_000n * USD)),
    oopAbove: fc.oneof(fc.constant(0n), money(3_000n * USD)),
    coinsuranceBps: fc.oneof(fc.constantFrom(0n, 10_000n), fc.bigInt(0n, 10_000n)),
    timelyFilingDays: fc.oneof(
      { weight: 3, arbitrary: fc.bigInt(30n, 120n) },
      { weight: 1, arbitrary: fc.bigInt(1n, 5n) },
    ),
    appealWindowDays: fc.bigInt(1n, 60n),
  })
  .map(({ oopAbove, ...terms }) => ({ ...terms, oopMax: terms.deductible + oopAbove }));

/** 2 to 5 codes of the pool, each with an allowed amount above zero, a copay, maybe prior authorization and maybe a
 * medically unlikely edit (a maxUnits of 1 or 2, which the 1-3 unit lines cross). */
const feesArb = fc.uniqueArray(fc.nat(CODE_POOL.length - 1), { minLength: 2, maxLength: 5 }).chain((indices) =>
  fc.tuple(
    ...indices.map((index) =>
      fc.record({
        code: fc.constant(CODE_POOL[index]!),
        allowedPerUnit: fc.oneof(
          { weight: 4, arbitrary: fc.bigInt(1n, 500n * USD) },
          { weight: 1, arbitrary: fc.bigInt(1n, 1_000n) },
        ),
        copay: money(100n * USD),
        requiresPriorAuth: fc.oneof(
          { weight: 3, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
        maxUnits: fc.oneof({ weight: 3, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigInt(1n, 2n) }),
      }),
    ),
  ),
);

/** 1 to 3 coverage periods (gaps and lengths in days, plus seconds), offered in a random order: only those that start
 * after the latest enrolled one ends are taken (enrollment is chronological). */
const periodsArb = fc
  .array(
    fc.record({
      gapDays: fc.nat(30),
      lengthDays: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 60, max: 250 }) },
        { weight: 1, arbitrary: fc.nat(30) },
      ),
      startSeconds: fc.nat(Number(DAY) - 1),
      endSeconds: fc.nat(Number(DAY) - 1),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .chain((periods) =>
    fc.record({
      periods: fc.constant(periods),
      order: fc.shuffledSubarray(
        periods.map((_, index) => index),
        { minLength: periods.length, maxLength: periods.length },
      ),
    }),
  );

/** How long after the previous transaction a step's transaction comes: seconds to an hour, or one to ten days. A run
 * (at most two transactions per step) so ends within 240 days of the fixture, before its credentials expire. */
const advanceArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3_600 }) },
  { weight: 2, arbitrary: fc.integer({ min: Number(DAY), max: 10 * Number(DAY) }) },
);

/** A line's service date: recent, old (late or outside coverage), at a coverage or authorization bound (± 1 s), the
 * same code and day as an earlier line (a duplicate service), or inside an authorization's window for its code. */
const serviceDateArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("recent" as const),
      daysBack: fc.nat(3),
      seconds: fc.nat(Number(DAY) - 1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("old" as const),
      daysBack: fc.nat(200),
      seconds: fc.nat(Number(DAY) - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("bound" as const),
      pick: fc.nat(),
      delta: fc.integer({ min: -1, max: 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("repeat" as const), pick: fc.nat(), seconds: fc.nat(Number(DAY) - 1) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("authorized" as const), pick: fc.nat(), permille: fc.nat(1_000) }),
  },
);

const lineArb = fc.record({
  /** An index into the plan's fee schedule, or undefined for a code not in it. */
  code: fc.option(fc.nat(), { freq: 10, nil: undefined }),
  /** Mostly 1 to 3; rarely one more than any line may bill (the claim is refused). */
  units: fc.oneof(
    { weight: 40, arbitrary: fc.bigInt(1n, 3n) },
    { weight: 1, arbitrary: fc.constant(MAX_UNITS_PER_LINE + 1n) },
  ),
  billed: fc.oneof(
    { weight: 4, arbitrary: fc.bigInt(1n, 2_000n * USD) },
    { weight: 1, arbitrary: fc.bigInt(1n, 1_000n) },
  ),
  date: serviceDateArb,
});

const stepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("claim" as const),
      advance: advanceArb,
      /** 0 the hospital, 1 its cardiologist, 2 the clinic, 3 its doctor. */
      submitter: fc.oneof(
        { weight: 3, arbitrary: fc.nat(1) },
        { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) },
      ),
      /** Reuse the claim number of an earlier claim of the same organization (a duplicate submission). */
      reuse: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() }),
      /** Move one line's service date after the submission (the claim is refused). */
      future: fc.oneof(
        { weight: 15, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.record({ line: fc.nat(), seconds: fc.integer({ min: 1, max: 999 }) }) },
      ),
      lines: fc.array(lineArb, { minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("fund" as const),
      advance: advanceArb,
      /** Often too little for the queue's head, so that claims wait; sometimes enough for several. */
      amount: fc.oneof(fc.bigInt(1n, 500n * USD), fc.bigInt(500n * USD, 10_000n * USD)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("settle" as const),
      advance: advanceArb,
      max: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("withdraw" as const),
      advance: advanceArb,
      /** The hospital or the clinic; undefined: whichever is owed more (the hospital on a tie). */
      organization: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat(1) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("withdrawFunds" as const),
      advance: advanceArb,
      /** A share of the payer's balance in per mille (1,000: all of it, more: beyond it), or a fixed amount. */
      amount: fc.oneof(
        { weight: 3, arbitrary: fc.record({ permille: fc.integer({ min: 0, max: 1_100 }) }) },
        { weight: 1, arbitrary: fc.record({ fixed: fc.bigInt(0n, 1_000n * USD) }) },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("request" as const),
      advance: advanceArb,
      requester: fc.nat(3),
      /** Mostly a code that requires authorization; sometimes any listed code (refused unless it requires one). */
      anyCode: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      code: fc.nat(),
      units: fc.bigInt(1n, 4n),
      fromDays: fc.integer({ min: -30, max: 5 }),
      fromSeconds: fc.nat(Number(DAY) - 1),
      lengthDays: fc.integer({ min: 5, max: 90 }),
      lengthSeconds: fc.nat(Number(DAY) - 1),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("authorize" as const),
      advance: advanceArb,
      pick: fc.nat(),
      decision: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom("approve" as const, "narrow" as const) },
        { weight: 1, arbitrary: fc.constantFrom("deny" as const, "withdraw" as const) },
      ),
      units: fc.nat(),
      /** How much of the requested window a narrower approval cuts from each end, in per mille of half of it. */
      cutFrom: fc.nat(1_000),
      cutTo: fc.nat(1_000),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("file" as const),
      advance: advanceArb,
      /** Mostly a denied line never appealed; sometimes any line (refused unless it is one). */
      anyLine: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      pick: fc.nat(),
      byOrganization: fc.boolean(),
      /** Often the reviewer decides the appeal right after (in a later block), in the same step. */
      decision: fc.option(fc.record({ advance: advanceArb, overturn: fc.boolean() }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("decide" as const),
      advance: advanceArb,
      /** Mostly a filed appeal; sometimes any line (refused unless its appeal is filed). */
      anyLine: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      pick: fc.nat(),
      overturn: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("terms" as const),
      advance: advanceArb,
      terms: termsArb,
      /** Mostly keep the appeal window, which an active plan may not change; sometimes try (refused). */
      changeAppealWindow: fc.oneof(
        { weight: 5, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("network" as const),
      advance: advanceArb,
      organization: fc.nat(1),
      inNetwork: fc.boolean(),
    }),
  },
);

type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
type LineSpec = typeof lineArb extends fc.Arbitrary<infer T> ? T : never;
type Fee = { code: string; allowedPerUnit: bigint; copay: bigint; requiresPriorAuth: boolean; maxUnits: bigint };

// ---------------------------------------------------------------------------------------------------------------------
// One run's world
// ---------------------------------------------------------------------------------------------------------------------

interface Provider {
  id: bigint;
  key: HardhatEthersSigner;
  /** The billing organization. */
  organization: bigint;
}

interface ClaimRecord {
  chainId: string;
  modelId: string;
  submitter: Provider;
  organization: Provider;
  lines: ModelLine[];
  content: ClaimContentStruct;
  /** The claim total as adjudicated (the `payment` of its summary is about this amount). */
  planPaysAtAdjudication: bigint;
}

/** An authorization request; units and window as requested, then as approved. */
interface AuthRecord {
  id: bigint;
  requester: Provider;
  code: string;
  units: bigint;
  validFrom: bigint;
  validTo: bigint;
}

class World {
  readonly model = new ClaimsModel();
  readonly claims: ClaimRecord[] = [];
  readonly auths: AuthRecord[] = [];
  /** Appealed lines, as `claimIndex/line`. */
  readonly appealed = new Set<string>();
  /** Claim numbers used, per organization. */
  readonly numbers = new Map<bigint, string[]>();
  /** Coverage periods by seq. */
  readonly periods: { start: bigint; end: bigint }[] = [];
  fees: Fee[] = [];
  terms: ModelTerms;
  attempts = 0;
  /** The patient's member pseudonym in the run's plan: what the chain knows her by. */
  readonly member: string;

  constructor(
    readonly f: ClaimsFixture,
    readonly planId: bigint,
    terms: ModelTerms,
    readonly providers: Provider[],
    readonly organizations: Provider[],
  ) {
    this.terms = terms;
    this.member = memberOf(planId, f.patientId);
  }

  referenceKey(organization: bigint): string {
    return ethers.id(`claim reference key: ${organization}`);
  }

  claimIndexOfModel(modelId: string): number {
    return this.claims.findIndex((c) => c.modelId === modelId);
  }
}

function chainTerms(terms: ModelTerms) {
  return {
    deductible: terms.deductible,
    oopMax: terms.oopMax,
    coinsuranceBps: Number(terms.coinsuranceBps),
    timelyFilingDays: Number(terms.timelyFilingDays),
    appealWindowDays: Number(terms.appealWindowDays),
  };
}

const PRIOR_AUTH_STATUS: Record<PriorAuthStatus, ModelPriorAuthStatus | undefined> = {
  [PriorAuthStatus.None]: undefined,
  [PriorAuthStatus.Requested]: "Pending",
  [PriorAuthStatus.Approved]: "Approved",
  [PriorAuthStatus.Denied]: "Denied",
  // The model has no withdrawal of a request: the test withdraws on chain and denies in the model (both leave the
  // request unusable with no units).
  [PriorAuthStatus.Withdrawn]: "Denied",
};
const APPEAL_STATUS: Record<ModelAppealStatus, AppealStatus> = {
  None: AppealStatus.None,
  Filed: AppealStatus.Filed,
  Upheld: AppealStatus.Upheld,
  Overturned: AppealStatus.Overturned,
};

/** A line as the model reports it, in the SDK's words. */
function modelLine(result: LineResult) {
  return {
    denied: result.denied,
    carc: result.carc,
    group: result.group,
    allowed: result.allowed,
    contractual: result.contractual,
    deductible: result.ded,
    copay: result.copay,
    coinsurance: result.coins,
    planPays: result.planPays,
    patientOwes: result.patientOwes,
    priorAuth: result.priorAuth,
  };
}

function chainLine(line: Omit<EobLine, "reAdjudicated">) {
  return {
    denied: line.denied,
    carc: line.carc,
    group: GROUP_CODES[line.group],
    allowed: line.allowed,
    contractual: line.contractual,
    deductible: line.deductible,
    copay: line.copay,
    coinsurance: line.coinsurance,
    planPays: line.planPays,
    patientOwes: line.patientOwes,
    priorAuth: line.priorAuth,
  };
}

function bits(lines: readonly LineResult[], test: (line: LineResult) => boolean): bigint {
  return lines.reduce((mask, line, index) => (test(line) ? mask | (1n << BigInt(index)) : mask), 0n);
}

/** The model's refusal, or the result. */
function attempt<T>(action: () => T): { ok: T } | { refused: ModelErrorReason } {
  try {
    return { ok: action() };
  } catch (error) {
    if (error instanceof ClaimsModelError) return { refused: error.reason };
    throw error;
  }
}

/** Mines `tx` (sent at a pinned time) and returns its receipt; it must succeed. */
async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction dropped");
  return receipt;
}

function eventsOf(w: World, receipt: ContractTransactionReceipt, name: string) {
  return receipt.logs
    .map((log) => w.f.claims.interface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === name)
    .map((parsed) => parsed!.args);
}

/** Queue entries as `fund`/`settle` events report them, in the model's terms. */
function creditedEntries(w: World, receipt: ContractTransactionReceipt) {
  return eventsOf(w, receipt, "QueuedPaymentCredited").map((args) => ({
    claim: w.claims.findIndex((c) => c.chainId === args.getValue("claimId")),
    payer: args.getValue("payer") as bigint,
    organization: args.getValue("organization") as bigint,
    line: Number(args.getValue("line")),
    amount: args.getValue("amount") as bigint,
  }));
}

function modelEntries(w: World, entries: readonly QueueEntry[]) {
  return entries.map((entry) => ({
    claim: w.claimIndexOfModel(entry.claim),
    payer: w.f.payerId,
    organization: entry.organization,
    line: entry.line ?? CLAIM_PAYMENT,
    amount: entry.amount,
  }));
}

// ---------------------------------------------------------------------------------------------------------------------
// The comparison after every step
// ---------------------------------------------------------------------------------------------------------------------

async function compareBooks(w: World, label: string): Promise<void> {
  const { f, model, planId } = w;
  const claims = f.claims;

  // Claim summaries (and the appeals that were filed).
  for (const [index, claim] of w.claims.entries()) {
    const got = await claims.claim(claim.chainId);
    const want = model.claim(claim.modelId);
    const queued = model.queue(f.payerId);
    const totalQueued = queued.some((e) => e.claim === claim.modelId && e.line === undefined);
    expect(
      {
        status: ClaimStatus[toClaimStatus(got.status)],
        planPays: got.planPays,
        patientOwes: got.patientOwes,
        deniedLines: got.deniedLines,
        prDenials: got.patientResponsibilityDenials,
        adjudicatedAt: got.adjudicatedAt,
        payment: Number(got.payment),
      },
      `${label}: claim ${index} summary`,
    ).to.deep.equal({
      status: want.status,
      planPays: want.planPays,
      patientOwes: want.patientOwes,
      deniedLines: bits(want.lines, (l) => l.denied),
      prDenials: bits(want.lines, (l) => l.group === "PR"),
      adjudicatedAt: want.adjudicatedAt,
      payment:
        claim.planPaysAtAdjudication === 0n
          ? PaymentStatus.None
          : totalQueued
            ? PaymentStatus.Queued
            : PaymentStatus.Credited,
    });
    for (const [line, result] of want.lines.entries()) {
      if (!w.appealed.has(`${index}/${line}`)) continue;
      const status = model.appealStatus(claim.modelId, line);
      const record = await claims.appeal(claim.chainId, line);
      const lineQueued = queued.some((e) => e.claim === claim.modelId && e.line === line);
      expect(
        { status: Number(record.status), payment: Number(record.payment) },
        `${label}: claim ${index} line ${line} appeal`,
      ).to.deep.equal({
        status: APPEAL_STATUS[status],
        payment:
          status !== "Overturned" || result.planPays === 0n
            ? PaymentStatus.None
            : lineQueued
              ? PaymentStatus.Queued
              : PaymentStatus.Credited,
      });
    }
  }

  // Accumulators of every enrollment.
  for (const [seq, period] of w.periods.entries()) {
    const got = await claims.enrollment(planId, w.member, seq);
    expect(
      {
        coverageStart: got.coverageStart,
        coverageEnd: got.coverageEnd,
        deductibleMet: got.deductibleMet,
        oopMet: got.oopMet,
      },
      `${label}: enrollment ${seq}`,
    ).to.deep.equal({
      coverageStart: period.start,
      coverageEnd: period.end,
      ...model.accumulators(planId, f.patientId, seq),
    });
  }

  // Prior authorizations: status and units left.
  for (const auth of w.auths) {
    const got = await f.priorAuths.priorAuth(auth.id);
    expect(
      { status: PRIOR_AUTH_STATUS[toPriorAuthStatus(got.status)], unitsLeft: got.unitsLeft },
      `${label}: authorization ${auth.id}`,
    ).to.deep.equal({ status: model.priorAuthStatus(auth.id), unitsLeft: model.priorAuthUnitsLeft(auth.id) });
  }

  // The payer's balance, what it funded, and its queue, entry by entry; paid entries are cleared.
  const [balance, funded, payerWithdrawn, head, tail] = await claims.payerAccount(f.payerId);
  expect({ balance, funded, payerWithdrawn }, `${label}: payer account`).to.deep.equal({
    balance: model.payerBalance(f.payerId),
    funded: model.funded(f.payerId),
    payerWithdrawn: model.payerWithdrawn(f.payerId),
  });
  const entries = [];
  for (let index = head; index < tail; index++) {
    const entry = await claims.queuedPayment(f.payerId, index);
    entries.push({
      claim: w.claims.findIndex((c) => c.chainId === entry.claimId),
      payer: f.payerId,
      organization: entry.organization,
      line: Number(entry.line),
      amount: entry.amount,
    });
  }
  expect(entries, `${label}: payer queue`).to.deep.equal(modelEntries(w, model.queue(f.payerId)));
  if (head > 0n) {
    expect((await claims.queuedPayment(f.payerId, head - 1n)).amount, `${label}: paid entry cleared`).to.equal(0n);
  }

  // Provider balances and withdrawals.
  for (const organization of w.organizations) {
    const [providerBalance, withdrawn] = await claims.providerAccount(organization.id);
    expect({ providerBalance, withdrawn }, `${label}: provider ${organization.id}`).to.deep.equal({
      providerBalance: model.providerBalance(organization.id),
      withdrawn: model.withdrawn(organization.id),
    });
  }

  // The accounting identity, on chain: Σ funded = token balance + Σ withdrawn by providers + Σ withdrawn by payers,
  // and token balance = Σ payer balances + Σ provider balances (over every payer and provider of the fixture); and in
  // the model.
  const held = await f.token.balanceOf(await claims.getAddress());
  let fundedTotal = 0n;
  let payerBalances = 0n;
  let withdrawnTotal = 0n;
  for (const payer of [f.payerId, f.otherPayerId]) {
    const account = await claims.payerAccount(payer);
    fundedTotal += account.funded;
    payerBalances += account.balance;
    withdrawnTotal += account.withdrawn;
  }
  let providerBalances = 0n;
  for (const organization of w.organizations) {
    const account = await claims.providerAccount(organization.id);
    withdrawnTotal += account.withdrawn;
    providerBalances += account.balance;
  }
  expect(fundedTotal, `${label}: funded = held + withdrawn`).to.equal(held + withdrawnTotal);
  expect(held, `${label}: held = payer balances + provider balances`).to.equal(payerBalances + providerBalances);
  expect(model.accountingHolds(), `${label}: the model's accounting`).to.equal(true);
}

// ---------------------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------------------

/** All coverage and authorization bounds: where service dates flip between covered, authorized and not. */
function bounds(w: World): bigint[] {
  return [...w.periods.flatMap((p) => [p.start, p.end]), ...w.auths.flatMap((a) => [a.validFrom, a.validTo])];
}

function serviceDate(w: World, spec: LineSpec, now: bigint): { date: bigint; code?: string } {
  const { date } = spec;
  switch (date.kind) {
    case "recent":
    case "old":
      return { date: now - BigInt(date.daysBack) * DAY - BigInt(date.seconds) };
    case "bound": {
      const all = bounds(w);
      const bound = all[date.pick % all.length]! + BigInt(date.delta);
      return { date: bound > now ? now : bound };
    }
    case "authorized": {
      // Inside the window of an authorization (as it stands), for its code: an approved one if there is one.
      const approved = w.auths.filter((a) => w.model.priorAuthStatus(a.id) === "Approved");
      const pool = approved.length > 0 ? approved : w.auths;
      const auth = pool[date.pick % Math.max(pool.length, 1)];
      if (auth === undefined) return { date: now };
      const { validFrom, validTo } = auth;
      const inside = validFrom + ((validTo - validFrom) * BigInt(date.permille)) / 1_000n;
      return { date: inside > now ? now : inside, code: auth.code };
    }
    case "repeat": {
      const earlier = w.claims.flatMap((c) => c.lines);
      const line = earlier[date.pick % Math.max(earlier.length, 1)];
      if (line === undefined) return { date: now - BigInt(date.seconds) };
      const day = (line.serviceDate / DAY) * DAY;
      const sameDay = day + BigInt(date.seconds);
      return { date: sameDay > now ? line.serviceDate : sameDay, code: line.code };
    }
  }
}

async function claimStep(w: World, step: Extract<Step, { op: "claim" }>, now: bigint, label: string): Promise<void> {
  const { f, model } = w;
  const submitter = w.providers[step.submitter]!;
  const organization = w.organizations.find((o) => o.id === submitter.organization)!;
  const used = w.numbers.get(organization.id) ?? [];
  const number = step.reuse !== undefined && used.length > 0 ? used[step.reuse % used.length]! : `n${w.attempts}`;
  const reference = claimReference(w.referenceKey(organization.id), number);
  const chainId = claimIdOf(organization.id, reference);
  const lines: ModelLine[] = step.lines.map((spec, index) => {
    const future = step.future !== undefined && step.future.line % step.lines.length === index;
    const { date, code } = future
      ? { date: now + BigInt(step.future!.seconds), code: undefined }
      : serviceDate(w, spec, now);
    const listed = spec.code === undefined ? undefined : w.fees[spec.code % w.fees.length];
    return { code: code ?? listed?.code ?? UNLISTED, units: spec.units, billed: spec.billed, serviceDate: date };
  });
  const modelId = `claim-${w.attempts++}`;
  const result = attempt(() =>
    model.submitClaim(
      { id: modelId, organization: organization.id, reference, patient: f.patientId, plan: w.planId, lines },
      now,
    ),
  );
  await time.setNextBlockTimestamp(now);
  const tx = f.claims.connect(submitter.key).submitClaim(w.member, w.planId, reference, lines.map(packLine), [], GAS);
  if ("refused" in result) {
    // Both check the lines in order, units before the service date: the first line failing either is named.
    const index = lines.findIndex((l) => l.units > MAX_UNITS_PER_LINE || l.serviceDate > now);
    if (result.refused === "DuplicateReference") {
      await expect(tx, label).to.be.revertedWithCustomError(f.claims, "ClaimsDuplicateReference").withArgs(chainId);
    } else if (result.refused === "TooManyUnits") {
      await expect(tx, label)
        .to.be.revertedWithCustomError(f.claims, "ClaimsTooManyUnits")
        .withArgs(index, lines[index]!.units, MAX_UNITS_PER_LINE);
    } else if (result.refused === "ServiceDateInFuture") {
      await expect(tx, label)
        .to.be.revertedWithCustomError(f.claims, "ClaimsServiceDateInFuture")
        .withArgs(index, lines[index]!.serviceDate);
    } else {
      throw new Error(`${label}: the model refused the claim (${result.refused}), which the test never asks for`);
    }
    return;
  }
  const receipt = await mined(tx);
  const [remittance, ...others] = decodeRemittances(f.claims, receipt.logs);
  expect(others, `${label}: one claim adjudicated`).to.have.length(0);
  if (remittance === undefined) throw new Error(`${label}: no remittance`);
  const claim = result.ok;
  expect(
    {
      claimId: remittance.claimId,
      member: remittance.member,
      plan: remittance.plan,
      organization: remittance.organization,
      submitter: remittance.submitter,
      status: ClaimStatus[remittance.status],
      payment: remittance.payment,
    },
    `${label}: ClaimAdjudicated`,
  ).to.deep.equal({
    claimId: chainId,
    member: w.member,
    plan: w.planId,
    organization: organization.id,
    submitter: submitter.id,
    status: claim.status,
    payment:
      claim.planPays === 0n
        ? PaymentStatus.None
        : claim.paidAtAdjudication
          ? PaymentStatus.Credited
          : PaymentStatus.Queued,
  });
  expect(remittance.lines.map(chainLine), `${label}: lines`).to.deep.equal(claim.lines.map(modelLine));
  expect(remittance.lines.map((l) => l.index)).to.deep.equal(lines.map((_, i) => i));
  w.numbers.set(organization.id, [...used, number]);
  w.claims.push({
    chainId,
    modelId,
    submitter,
    organization,
    lines,
    content: {
      member: w.member,
      plan: w.planId,
      organization: organization.id,
      submitter: submitter.id,
      lines: lines.map(packLine),
      attachments: [],
    },
    planPaysAtAdjudication: claim.planPays,
  });
}

async function requestStep(w: World, step: Extract<Step, { op: "request" }>, now: bigint, label: string) {
  const { f, model } = w;
  const requester = w.providers[step.requester]!;
  const needing = w.fees.filter((fee) => fee.requiresPriorAuth);
  const pool = step.anyCode || needing.length === 0 ? w.fees : needing;
  const fee = pool[step.code % pool.length]!;
  const validFrom = now + BigInt(step.fromDays) * DAY + BigInt(step.fromSeconds);
  const validTo = validFrom + BigInt(step.lengthDays) * DAY + BigInt(step.lengthSeconds);
  await time.setNextBlockTimestamp(now);
  const tx = f.priorAuths
    .connect(requester.key)
    .requestPriorAuth(w.member, w.planId, procedureCode(fee.code), step.units, validFrom, validTo, GAS);
  if (!fee.requiresPriorAuth) {
    // A rule of the contract the model does not have: only codes that need authorization take requests.
    await expect(tx, label)
      .to.be.revertedWithCustomError(f.priorAuths, "PriorAuthNotRequired")
      .withArgs(w.planId, procedureCode(fee.code));
    return;
  }
  const id = BigInt(w.auths.length + 1);
  await expect(tx, label)
    .to.emit(f.priorAuths, "PriorAuthRequested")
    .withArgs(id, w.member, w.planId, procedureCode(fee.code), step.units, validFrom, validTo, requester.id);
  const request = { patient: f.patientId, plan: w.planId, code: fee.code, units: step.units, validFrom, validTo };
  model.requestPriorAuth(id, request);
  w.auths.push({ id, requester, code: fee.code, units: step.units, validFrom, validTo });
}

async function authorizeStep(w: World, step: Extract<Step, { op: "authorize" }>, now: bigint, label: string) {
  const { f, model } = w;
  const pending = w.auths.filter((a) => model.priorAuthStatus(a.id) === "Pending");
  const auth = pending[step.pick % Math.max(pending.length, 1)];
  if (auth === undefined) return;
  const asPayer = f.priorAuths.connect(f.payerKey);
  await time.setNextBlockTimestamp(now);
  if (step.decision === "deny") {
    await expect(asPayer.denyPriorAuth(auth.id, GAS), label).to.emit(f.priorAuths, "PriorAuthDenied").withArgs(auth.id);
    model.denyPriorAuth(auth.id);
  } else if (step.decision === "withdraw") {
    await expect(f.priorAuths.connect(auth.requester.key).withdrawPriorAuth(auth.id, GAS), label)
      .to.emit(f.priorAuths, "PriorAuthWithdrawn")
      .withArgs(auth.id);
    model.denyPriorAuth(auth.id);
  } else {
    let { units, validFrom, validTo } = auth;
    if (step.decision === "narrow") {
      const half = (validTo - validFrom) / 2n;
      units = 1n + (BigInt(step.units) % units);
      validFrom += (half * BigInt(step.cutFrom)) / 1_000n;
      validTo -= (half * BigInt(step.cutTo)) / 1_000n;
    }
    const tx = asPayer.approvePriorAuth(auth.id, units, validFrom, validTo, GAS);
    const result = attempt(() => {
      model.approvePriorAuth(auth.id, units, validFrom, validTo, now);
    });
    if ("refused" in result) {
      if (result.refused !== "TooManyOpenPriorAuths") {
        throw new Error(`${label}: the model refused the approval (${result.refused}), which the test never asks for`);
      }
      await expect(tx, label)
        .to.be.revertedWithCustomError(f.priorAuths, "PriorAuthTooManyOpen")
        .withArgs(w.member, w.planId, procedureCode(auth.code), 16n);
      return;
    }
    await expect(tx, label)
      .to.emit(f.priorAuths, "PriorAuthApproved")
      .withArgs(auth.id, w.member, w.planId, units, validFrom, validTo);
    Object.assign(auth, { units, validFrom, validTo });
  }
}

async function fileStep(w: World, step: Extract<Step, { op: "file" }>, now: bigint, label: string) {
  const { f, model } = w;
  const candidates = w.claims.flatMap((claim, index) =>
    model
      .claim(claim.modelId)
      .lines.map((line, l) => ({ claim, index, line: l, denied: line.denied }))
      .filter((c) => step.anyLine || (c.denied && model.appealStatus(claim.modelId, c.line) === "None")),
  );
  const target = candidates[step.pick % Math.max(candidates.length, 1)];
  if (target === undefined) return;
  const { claim, index, line } = target;
  const filer = step.byOrganization ? claim.organization : claim.submitter;
  const before = model.appealStatus(claim.modelId, line);
  const result = attempt(() => {
    model.fileAppeal(claim.modelId, line, now);
  });
  await time.setNextBlockTimestamp(now);
  const tx = f.claims.connect(filer.key).fileAppeal(claim.chainId, line, claim.content, GAS);
  if ("refused" in result) {
    if (result.refused === "LineNotDenied") {
      await expect(tx, label)
        .to.be.revertedWithCustomError(f.claims, "ClaimsLineNotDenied")
        .withArgs(claim.chainId, line);
    } else if (result.refused === "AlreadyAppealed") {
      await expect(tx, label)
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
        .withArgs(claim.chainId, line, APPEAL_STATUS[before], AppealStatus.Filed);
    } else if (result.refused === "AppealWindowClosed") {
      const deadline = model.claim(claim.modelId).adjudicatedAt + w.terms.appealWindowDays * DAY;
      await expect(tx, label)
        .to.be.revertedWithCustomError(f.claims, "ClaimsAppealWindowClosed")
        .withArgs(claim.chainId, deadline);
    } else {
      throw new Error(`${label}: the model refused the appeal (${result.refused}), which the test never asks for`);
    }
    return;
  }
  await expect(tx, label).to.emit(f.claims, "AppealFiled").withArgs(claim.chainId, line, filer.id);
  w.appealed.add(`${index}/${line}`);
  if (step.decision !== undefined) {
    await decide(w, claim, line, step.decision.overturn, now + BigInt(step.decision.advance), `${label} decision`);
  }
}

async function decideStep(w: World, step: Extract<Step, { op: "decide" }>, now: bigint, label: string) {
  const { model } = w;
  const candidates = w.claims.flatMap((claim) =>
    model
      .claim(claim.modelId)
      .lines.map((_, line) => ({ claim, line }))
      .filter((c) => step.anyLine || model.appealStatus(claim.modelId, c.line) === "Filed"),
  );
  const target = candidates[step.pick % Math.max(candidates.length, 1)];
  if (target === undefined) return;
  await decide(w, target.claim, target.line, step.overturn, now, label);
}

/** The reviewer decides the appeal of the claim's line at `now`, on chain and in the model. */
async function decide(w: World, claim: ClaimRecord, line: number, overturn: boolean, now: bigint, label: string) {
  const { f, model } = w;
  const before = model.appealStatus(claim.modelId, line);
  const queued = model.queue(f.payerId).length;
  const result = attempt(() => model.decideAppeal(claim.modelId, line, overturn, now));
  await time.setNextBlockTimestamp(now);
  const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.chainId, line, overturn, claim.content, GAS);
  const decision = overturn ? AppealStatus.Overturned : AppealStatus.Upheld;
  if ("refused" in result) {
    if (result.refused !== "NoAppeal") {
      throw new Error(`${label}: the model refused the decision (${result.refused}), which the test never asks for`);
    }
    await expect(tx, label)
      .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
      .withArgs(claim.chainId, line, APPEAL_STATUS[before], decision);
    return;
  }
  const receipt = await mined(tx);
  const outcome = result.ok;
  const reAdjudicated = eventsOf(w, receipt, "LineAdjudicated").map((args) => ({
    claimId: args.getValue("claimId") as string,
    ...chainLine(
      decodeLineResult(
        args.getValue("content") as bigint,
        args.getValue("decision") as bigint,
        args.getValue("shares") as bigint,
      ),
    ),
  }));
  expect(reAdjudicated, `${label}: LineAdjudicated`).to.deep.equal(
    outcome === undefined ? [] : [{ claimId: claim.chainId, ...modelLine(outcome) }],
  );
  const payment =
    outcome === undefined || outcome.planPays === 0n
      ? PaymentStatus.None
      : model.queue(f.payerId).length > queued
        ? PaymentStatus.Queued
        : PaymentStatus.Credited;
  const decided = eventsOf(w, receipt, "AppealDecided").map((args) => args.toArray() as unknown[]);
  expect(decided, `${label}: AppealDecided`).to.deep.equal([
    [claim.chainId, BigInt(line), overturn, f.reviewerId, BigInt(payment)],
  ]);
}

async function runStep(w: World, step: Step, now: bigint, label: string): Promise<void> {
  const { f, model } = w;
  switch (step.op) {
    case "claim":
      return claimStep(w, step, now, label);
    case "request":
      return requestStep(w, step, now, label);
    case "authorize":
      return authorizeStep(w, step, now, label);
    case "file":
      return fileStep(w, step, now, label);
    case "decide":
      return decideStep(w, step, now, label);
    case "fund":
    case "settle": {
      const paid = step.op === "fund" ? model.fund(f.payerId, step.amount) : model.settle(f.payerId, step.max);
      await time.setNextBlockTimestamp(now);
      const receipt = await mined(
        step.op === "fund"
          ? f.claims.connect(f.payerKey).fund(step.amount, GAS)
          : f.claims.connect(f.deployer).settleQueue(f.payerId, step.max, GAS),
      );
      expect(creditedEntries(w, receipt), `${label}: payments credited`).to.deep.equal(modelEntries(w, paid));
      if (step.op === "fund") {
        expect(eventsOf(w, receipt, "PayerFunded").map((args) => args.toArray() as unknown[])).to.deep.equal([
          [f.payerId, step.amount],
        ]);
      }
      return;
    }
    case "withdrawFunds": {
      const balance = model.payerBalance(f.payerId);
      const amount = "fixed" in step.amount ? step.amount.fixed : (balance * BigInt(step.amount.permille)) / 1_000n;
      const unpaid = BigInt(model.queue(f.payerId).length);
      const result = attempt(() => {
        model.withdrawFunds(f.payerId, amount);
      });
      await time.setNextBlockTimestamp(now);
      const tx = f.claims.connect(f.payerKey).withdrawFunds(amount, f.payerKey.address, GAS);
      if ("refused" in result) {
        if (result.refused === "ZeroAmount") {
          await expect(tx, label).to.be.revertedWithCustomError(f.claims, "ClaimsZeroAmount").withArgs();
        } else if (result.refused === "PayerHasQueue") {
          await expect(tx, label)
            .to.be.revertedWithCustomError(f.claims, "ClaimsPayerHasQueue")
            .withArgs(f.payerId, unpaid);
        } else if (result.refused === "InsufficientBalance") {
          await expect(tx, label)
            .to.be.revertedWithCustomError(f.claims, "ClaimsInsufficientBalance")
            .withArgs(f.payerId, balance, amount);
        } else {
          throw new Error(
            `${label}: the model refused the withdrawal (${result.refused}), which the test never asks for`,
          );
        }
        return;
      }
      const wallet = await f.token.balanceOf(f.payerKey.address);
      await expect(tx, label).to.emit(f.claims, "PayerWithdrew").withArgs(f.payerId, f.payerKey.address, amount);
      expect(await f.token.balanceOf(f.payerKey.address), `${label}: tokens received`).to.equal(wallet + amount);
      return;
    }
    case "withdraw": {
      const [hospital, clinic] = w.organizations as [Provider, Provider];
      const richer = model.providerBalance(clinic.id) > model.providerBalance(hospital.id) ? clinic : hospital;
      const organization = step.organization === undefined ? richer : w.organizations[step.organization]!;
      const amount = model.withdraw(organization.id);
      await time.setNextBlockTimestamp(now);
      const tx = f.claims.connect(organization.key).withdraw(organization.key.address, GAS);
      if (amount === 0n) {
        await expect(tx, label)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNothingToWithdraw")
          .withArgs(organization.key.address);
        return;
      }
      const wallet = await f.token.balanceOf(organization.key.address);
      await expect(tx, label)
        .to.emit(f.claims, "ProviderWithdrew")
        .withArgs(organization.id, organization.key.address, amount);
      expect(await f.token.balanceOf(organization.key.address), `${label}: tokens received`).to.equal(wallet + amount);
      return;
    }
    case "terms": {
      const current = w.terms.appealWindowDays;
      const terms = {
        ...step.terms,
        appealWindowDays: step.changeAppealWindow ? (current % 60n) + 1n : current,
      };
      await time.setNextBlockTimestamp(now);
      const tx = f.claims.connect(f.payerKey).updatePlanTerms(w.planId, chainTerms(terms), GAS);
      if (terms.appealWindowDays !== current) {
        // A rule of the contract the model does not have: an active plan keeps its appeal window.
        await expect(tx, label)
          .to.be.revertedWithCustomError(f.claims, "ClaimsAppealWindowFixed")
          .withArgs(w.planId, current);
        return;
      }
      await mined(tx);
      model.updateTerms(w.planId, terms);
      w.terms = terms;
      return;
    }
    case "network": {
      const organization = w.organizations[step.organization]!;
      await time.setNextBlockTimestamp(now);
      await expect(f.claims.connect(f.payerKey).setNetwork(w.planId, [organization.id], step.inNetwork, GAS), label)
        .to.emit(f.claims, "NetworkChanged")
        .withArgs(w.planId, organization.id, step.inNetwork);
      model.setNetwork(w.planId, organization.id, step.inNetwork);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------------------------------

describe("ClaimsAdjudicator", function () {
  describe("properties", function () {
    // For random plans (terms within the contract's bounds, 2 to 5 fees with and without prior authorization, a
    // network with or without each organization; fees with and without a medically unlikely edit), a member with 1 to 3
    // non-overlapping periods offered in any order (those not after the latest refused on both sides), and random
    // sequences of claims (1 to 6 lines: listed and unlisted codes, units within and beyond edits and rarely beyond
    // MAX_UNITS_PER_LINE, service dates recent, old, at coverage and authorization bounds, repeated or in the future;
    // new or reused claim numbers), fundings (often too small, so that claims queue), settlements, provider
    // withdrawals, payer withdrawals of surplus (within, at and beyond the balance, with and without a queue),
    // authorization requests and decisions (approved as asked or narrower, denied, withdrawn), appeals filed and decided
    // (upheld or overturned), and changes of terms and network, after every step:
    // - the contract and the model agree on whether the step is refused, and with which error;
    // - every LineAdjudicated the step emitted decodes to the model's LineResult for that line (denial, CARC, group,
    //   allowed, contractual, deductible, copay, coinsurance, plan pays, patient owes, authorization used), and the
    //   claim's status and payment (credited, queued or none) are the model's;
    // - every claim's summary (status, totals, denied and PR-denied lines, adjudication time, payment) and every
    //   appealed line's appeal (status, payment) are the model's;
    // - every enrollment's accumulators and every authorization's status and units left are the model's;
    // - the payer's balance, funded and withdrawn totals and unpaid queue (entry by entry, in order; paid entries
    //   cleared), and every
    //   provider's balance and withdrawn total are the model's; payments credited by a funding or settlement are the
    //   model's, in order;
    // - accounting: everything ever funded is either held by the adjudicator or was withdrawn, by a provider or by a
    //   payer (Σ funded = token balance + Σ provider withdrawals + Σ payer withdrawals), and what it holds is exactly
    //   what it owes (token balance = Σ payer balances + Σ provider balances);
    // and at the end of the run, the remittances rebuilt from all the adjudicator's events (decodeRemittances, with
    // overturned lines replacing the originals) are the model's claims, line by line.
    it("matches the model step by step over random plans, claims, fundings, authorizations and appeals", async function () {
      // About half a minute when it passes; shrinking a failure replays many runs.
      this.timeout(SHRINK_TIMEOUT_MS);
      await fc.assert(
        fc.asyncProperty(
          termsArb,
          feesArb,
          fc.record({
            hospital: fc.oneof(
              { weight: 4, arbitrary: fc.constant(true) },
              { weight: 1, arbitrary: fc.constant(false) },
            ),
            clinic: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
          }),
          periodsArb,
          fc.array(stepArb, { minLength: MIN_STEPS, maxLength: MAX_STEPS }),
          async (terms, fees, network, { periods, order }, steps) => {
            const f = await loadFixture(claimsFixture);
            const hospital = { id: f.hospitalId, key: f.hospitalKey, organization: f.hospitalId };
            const clinic = { id: f.clinicId, key: f.clinicKey, organization: f.clinicId };
            const providers = [
              hospital,
              { id: f.cardiologistId, key: f.cardiologistKey, organization: f.hospitalId },
              clinic,
              { id: f.clinicDoctorId, key: f.clinicDoctorKey, organization: f.clinicId },
            ];
            const fromBlock = await ethers.provider.getBlockNumber();

            // The plan, through the contract, and the same in the model.
            const asPayer = f.claims.connect(f.payerKey);
            const planId = await asPayer.createPlan.staticCall(chainTerms(terms));
            await mined(asPayer.createPlan(chainTerms(terms)));
            await mined(
              asPayer.setFees(
                planId,
                fees.map((fee) => ({ ...fee, code: procedureCode(fee.code), maxUnits: Number(fee.maxUnits) })),
              ),
            );
            const members = [...(network.hospital ? [f.hospitalId] : []), ...(network.clinic ? [f.clinicId] : [])];
            if (members.length > 0) await mined(asPayer.setNetwork(planId, members, true));
            await mined(asPayer.activatePlan(planId));
            const w = new World(f, planId, terms, providers, [hospital, clinic]);
            w.fees = fees;
            w.model.createPlan(planId, f.payerId, terms);
            for (const fee of fees) w.model.setFee(planId, fee);
            for (const member of members) w.model.setNetwork(planId, member, true);

            // Day 0 of the run: the second midnight after the fixture; coverage periods start from 40 days before it.
            const latest = BigInt(await time.latest());
            const base = (latest / DAY + 2n) * DAY;
            let cursor = base - 40n * DAY;
            const made = periods.map((p) => {
              const start = cursor + BigInt(p.gapDays) * DAY + BigInt(p.startSeconds);
              const end = start + BigInt(p.lengthDays) * DAY + BigInt(p.endSeconds);
              cursor = end + 1n;
              return { start, end };
            });
            // Offered in a random order: a period is taken exactly when it starts after the latest taken one ends, on
            // chain and in the model alike.
            for (const index of order) {
              const { start, end } = made[index]!;
              const latestEnd = w.periods[w.periods.length - 1]?.end;
              const enrolled = attempt(() => w.model.enroll(planId, f.patientId, start, end));
              if ("refused" in enrolled) {
                expect(enrolled.refused).to.equal("EnrollmentNotAfterLatest");
                await expect(asPayer.enroll(planId, w.member, start, end))
                  .to.be.revertedWithCustomError(f.claims, "ClaimsEnrollmentNotAfterLatest")
                  .withArgs(planId, w.member, latestEnd);
                continue;
              }
              await expect(asPayer.enroll(planId, w.member, start, end))
                .to.emit(f.claims, "MemberEnrolled")
                .withArgs(planId, w.member, w.periods.length, start, end);
              expect(enrolled.ok).to.equal(w.periods.length);
              w.periods.push({ start, end });
            }
            expect(w.periods.length > 0 && w.periods[0]!.start === made[order[0]!]!.start).to.equal(true);
            await compareBooks(w, "setup");

            let now = base;
            for (const [index, step] of steps.entries()) {
              const label = `step ${index} (${step.op})`;
              const latestNow = BigInt(await time.latest());
              now = (now > latestNow ? now : latestNow) + BigInt(step.advance);
              await runStep(w, step, now, label);
              await compareBooks(w, label);
            }

            // The whole story again from the events: every claim's remittance is the model's claim.
            const logs = await ethers.provider.getLogs({ address: await f.claims.getAddress(), fromBlock });
            const remittances = decodeRemittances(f.claims, logs);
            expect(remittances.map((r) => r.claimId)).to.deep.equal(w.claims.map((c) => c.chainId));
            for (const [index, remittance] of remittances.entries()) {
              const want = w.model.claim(w.claims[index]!.modelId);
              expect(remittance.lines.map(chainLine), `remittance ${index}`).to.deep.equal(want.lines.map(modelLine));
              expect([ClaimStatus[remittance.status], remittance.planPays, remittance.patientOwes]).to.deep.equal([
                want.status,
                want.planPays,
                want.patientOwes,
              ]);
            }
          },
        ),
        runs(RUNS),
      );
    });
  });
});
