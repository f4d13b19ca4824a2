/**
 * An independent TypeScript implementation of CareLedger's claims-adjudication rules
 * (`claims-adjudication.md`, refined by the decisions recorded below), written from the rules document and not from
 * the Solidity contract. The tests and the simulator run the same plans, enrollments, authorizations, claims, appeals
 * and fundings through this model and through the claims contract and compare every line, accumulator and balance.
 * Because it needs no chain it also serves integrators as a "what will this claim pay" estimator: set up the plan and
 * enrollment as they stand on chain and submit the claim to a model.
 *
 * Conventions: all money and times are `bigint` (money in the settlement token's base units, times in unix seconds,
 * coverage and authorization windows inclusive at both ends); integer arithmetic only; rates in basis points.
 *
 * Adjudication of a line, in order, the first failing check denying it:
 *
 * 1. the service date falls in an enrollment of the patient in the plan, else CARC 27 (some enrollment ended before
 *    it) or 26, group PR, the patient owes the billed amount;
 * 2. `now ≤ serviceDate + timelyFilingDays × DAY`, else 29, CO;
 * 3. the claim's organization is in the plan's network, else 242, CO;
 * 4. the code is in the fee schedule, else 96, PR, the patient owes the billed amount;
 * 4a. the code has no `maxUnits`, or the line's units ≤ `maxUnits` (the medically unlikely edit), else 151, CO;
 * 5. a code requiring prior authorization needs an approved authorization for (patient, plan, code) — the first, in
 *    approval order, whose window holds the service date and with units left ≥ the line's units — else 197, CO; its
 *    units are consumed only when the line ends approved;
 * 6. no earlier approved line with the same patient, organization, code and service day (`serviceDate / DAY`), else
 *    18, OA.
 *
 * An approved line is priced by {@link priceLine} against its enrollment's accumulators, which it then updates.
 * A claim's total plan payment is credited to the organization at once when its payer's unpaid queue is empty and the
 * payer's balance covers it, else queued (strict FIFO, paid by later fundings). An overturned appeal re-adjudicates the
 * line at the decision time with checks 2 and 5 waived and pays its new plan payment the same way.
 *
 * Decisions beyond the rules document, as the contract takes them: enrollments of a (plan, patient) are made in
 * chronological order (a new period starts after the latest ends); a line bills at most {@link MAX_UNITS_PER_LINE}
 * units; a (patient, plan, code) holds at most {@link MAX_OPEN_PRIOR_AUTHS} usable approved authorizations, approving
 * another first dropping those used up or whose window ended more than the plan's timely-filing days ago; a payer
 * withdraws surplus only with an empty queue; a revoked organization's payments go to the successor assigned to it.
 */

/** Seconds in a day. */
export const DAY = 86_400n;
/** Most lines a claim may carry. */
export const MAX_LINES = 16;
/** Basis points in 100 %. */
export const BPS = 10_000n;
/** Entries settled by one `fund` call unless the model is built with another bound. */
export const DEFAULT_MAX_SETTLE_PER_CALL = 32;
/** The longest chain of successions a payment follows (the contract's `MAX_SUCCESSION_DEPTH`). */
export const MAX_SUCCESSION_DEPTH = 8;
/** Most units one line may bill, whatever the plan. */
export const MAX_UNITS_PER_LINE = 99_999n;
/** Most usable approved authorizations per (patient, plan, code). */
export const MAX_OPEN_PRIOR_AUTHS = 16;

/** Claim adjustment reason codes used by the rules. */
export const CARC = {
  None: 0,
  Duplicate: 18,
  BeforeCoverage: 26,
  AfterCoverage: 27,
  TimelyFiling: 29,
  /** The provider's write-off of `billed − allowed` on an approved line (reported in `contractual`). */
  ContractualObligation: 45,
  NotCovered: 96,
  /** The medically unlikely edit: more units than the fee schedule's `maxUnits`. */
  MedicallyUnlikely: 151,
  NoPriorAuth: 197,
  OutOfNetwork: 242,
} as const;

export type AdjustmentGroup = "" | "CO" | "PR" | "OA";
export type ClaimStatus = "Approved" | "PartiallyApproved" | "Denied";
/** Where a line's appeal stands: never filed, filed and awaiting a decision, or decided. */
export type AppealStatus = "None" | "Filed" | "Upheld" | "Overturned";
export type PriorAuthStatus = "Pending" | "Approved" | "Denied";

export interface PlanTerms {
  deductible: bigint;
  coinsuranceBps: bigint;
  oopMax: bigint;
  timelyFilingDays: bigint;
  appealWindowDays: bigint;
}

export interface FeeEntry {
  code: string;
  allowedPerUnit: bigint;
  /** Per line. */
  copay: bigint;
  requiresPriorAuth: boolean;
  /** The most units one line may bill for the code; absent or 0n for no plan limit. */
  maxUnits?: bigint;
}

export interface ModelLine {
  code: string;
  units: bigint;
  billed: bigint;
  serviceDate: bigint;
}

export interface LineResult {
  denied: boolean;
  carc: number;
  group: AdjustmentGroup;
  allowed: bigint;
  contractual: bigint;
  ded: bigint;
  copay: bigint;
  coins: bigint;
  planPays: bigint;
  patientOwes: bigint;
  /** Id of the authorization consumed, 0n if none. */
  priorAuth: bigint;
}

export interface ClaimResult {
  id: string;
  status: ClaimStatus;
  lines: LineResult[];
  planPays: bigint;
  patientOwes: bigint;
  paidAtAdjudication: boolean;
  adjudicatedAt: bigint;
}

export interface Accumulators {
  deductibleMet: bigint;
  oopMet: bigint;
}

export interface QueueEntry {
  claim: string;
  /** undefined: the claim's adjudication payment; n: an overturned line's payment. */
  line: number | undefined;
  organization: bigint;
  amount: bigint;
}

/** The money split of an approved line. */
export interface LinePricing {
  allowed: bigint;
  contractual: bigint;
  ded: bigint;
  copay: bigint;
  coins: bigint;
  planPays: bigint;
  /** `ded + copay + coins`: what the line adds to `oopMet`. */
  patientOwes: bigint;
}

export type ModelErrorReason =
  | "UnknownPlan"
  | "PlanExists"
  | "AppealWindowFixed"
  | "BadTerms"
  | "BadFee"
  | "UnknownFee"
  | "DuplicateReference"
  | "ClaimExists"
  | "EnrollmentNotAfterLatest"
  | "TooManyUnits"
  | "TooManyOpenPriorAuths"
  | "PayerHasQueue"
  | "InsufficientBalance"
  | "BadCoverage"
  | "UnknownEnrollment"
  | "NoLines"
  | "TooManyLines"
  | "ZeroUnits"
  | "ZeroBilled"
  | "ServiceDateInFuture"
  | "AppealWindowClosed"
  | "LineNotDenied"
  | "AlreadyAppealed"
  | "NoAppeal"
  | "UnknownClaim"
  | "UnknownLine"
  | "UnknownPriorAuth"
  | "PriorAuthExists"
  | "PriorAuthNotPending"
  | "PriorAuthWidened"
  | "BadWindow"
  | "ZeroAmount"
  | "BadSettleBound"
  | "SuccessionTooDeep";

/** A refused operation; the model's state is unchanged when one is thrown. */
export class ClaimsModelError extends Error {
  constructor(
    readonly reason: ModelErrorReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
    this.name = "ClaimsModelError";
  }
}

/**
 * Prices an approved line against the accumulators of its enrollment (which it does not change):
 *
 * ```
 * allowed     = min(billed, allowedPerUnit × units);   contractual = billed − allowed
 * ded         = min(allowed, max(0, deductible − deductibleMet))
 * copay       = min(fee copay, allowed − ded)
 * coins       = floor((allowed − ded − copay) × coinsuranceBps / 10000)
 * excess      = max(0, oopMet + ded + copay + coins − oopMax), taken from coins, then copay, then ded
 * planPays    = allowed − (ded + copay + coins)
 * ```
 *
 * When `oopMet` already reaches `oopMax` (the terms may have been lowered), the patient owes nothing.
 */
export function priceLine(
  terms: PlanTerms,
  fee: Pick<FeeEntry, "allowedPerUnit" | "copay">,
  line: Pick<ModelLine, "units" | "billed">,
  accumulators: Accumulators,
): LinePricing {
  const allowed = min(line.billed, fee.allowedPerUnit * line.units);
  const contractual = line.billed - allowed;
  let ded = min(allowed, saturatingSub(terms.deductible, accumulators.deductibleMet));
  let copay = min(fee.copay, allowed - ded);
  let coins = ((allowed - ded - copay) * terms.coinsuranceBps) / BPS;
  const owedBeforeCap = ded + copay + coins;
  let excess = saturatingSub(accumulators.oopMet + owedBeforeCap, terms.oopMax);
  const fromCoins = min(coins, excess);
  coins -= fromCoins;
  excess -= fromCoins;
  const fromCopay = min(copay, excess);
  copay -= fromCopay;
  excess -= fromCopay;
  ded -= min(ded, excess);
  const patientOwes = ded + copay + coins;
  return { allowed, contractual, ded, copay, coins, planPays: allowed - patientOwes, patientOwes };
}

/** Approved when no line is denied, Denied when every line is, PartiallyApproved otherwise. */
export function claimStatus(lines: readonly Pick<LineResult, "denied">[]): ClaimStatus {
  const denied = lines.filter((line) => line.denied).length;
  if (denied === 0) return "Approved";
  return denied === lines.length ? "Denied" : "PartiallyApproved";
}

interface PlanState {
  payer: bigint;
  terms: PlanTerms;
  fees: Map<string, FeeEntry>;
  network: Set<bigint>;
}

interface EnrollmentState extends Accumulators {
  coverageStart: bigint;
  coverageEnd: bigint;
}

interface PriorAuthState {
  id: bigint;
  patient: bigint;
  plan: bigint;
  code: string;
  status: PriorAuthStatus;
  /** As requested until approved, then as approved. */
  units: bigint;
  validFrom: bigint;
  validTo: bigint;
  unitsLeft: bigint;
}

interface ClaimState {
  id: string;
  organization: bigint;
  reference: string;
  patient: bigint;
  plan: bigint;
  payer: bigint;
  lines: ModelLine[];
  results: LineResult[];
  appeals: AppealStatus[];
  status: ClaimStatus;
  planPays: bigint;
  patientOwes: bigint;
  paidAtAdjudication: boolean;
  adjudicatedAt: bigint;
  /** How much of `planPays` has been credited to the organization. */
  paid: bigint;
}

/** The state of the claims module, driven by the same operations as the contract. */
export class ClaimsModel {
  private readonly maxSettlePerCall: number;
  private readonly plans = new Map<bigint, PlanState>();
  /** (plan, patient) → enrollments in creation order (their seq). */
  private readonly enrollments = new Map<string, EnrollmentState[]>();
  private readonly priorAuths = new Map<bigint, PriorAuthState>();
  /** Approved authorizations in approval order (check 5 takes the first that fits). */
  private readonly approvedAuths: PriorAuthState[] = [];
  private readonly claims = new Map<string, ClaimState>();
  /** organization → references it has used. */
  private readonly references = new Map<bigint, Set<string>>();
  /** Keys (patient, organization, code, service day) of approved lines. */
  private readonly approvedServices = new Set<string>();
  private readonly payerBalances = new Map<bigint, bigint>();
  private readonly fundedTotals = new Map<bigint, bigint>();
  private readonly providerBalances = new Map<bigint, bigint>();
  private readonly withdrawnTotals = new Map<bigint, bigint>();
  private readonly payerWithdrawnTotals = new Map<bigint, bigint>();
  private readonly successors = new Map<bigint, bigint>();
  /** For each organization, the longest chain of predecessors whose payments end with it. */
  private readonly predecessorDepths = new Map<bigint, number>();
  private readonly queues = new Map<bigint, QueueEntry[]>();

  constructor(options?: { maxSettlePerCall?: number }) {
    const bound = options?.maxSettlePerCall ?? DEFAULT_MAX_SETTLE_PER_CALL;
    if (!Number.isSafeInteger(bound) || bound < 1) {
      throw new ClaimsModelError("BadSettleBound", `maxSettlePerCall must be a positive integer, got ${bound}`);
    }
    this.maxSettlePerCall = bound;
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Plans
  // -------------------------------------------------------------------------------------------------------------------

  createPlan(plan: bigint, payer: bigint, terms: PlanTerms): void {
    if (this.plans.has(plan)) throw new ClaimsModelError("PlanExists", `plan ${plan} already exists`);
    checkTerms(terms);
    this.plans.set(plan, { payer, terms: { ...terms }, fees: new Map(), network: new Set() });
  }

  /**
   * New terms apply to every later adjudication and overturn; accumulators are kept. The appeal window cannot change
   * (the contract's rule for an active plan, and every plan of the model is active): claims already adjudicated keep
   * the appeal rights they were adjudicated with.
   */
  updateTerms(plan: bigint, terms: PlanTerms): void {
    const state = this.planState(plan);
    checkTerms(terms);
    // Claims already adjudicated keep the appeal rights they were adjudicated with (the contract's rule for an
    // active plan; every plan of the model is active).
    if (terms.appealWindowDays !== state.terms.appealWindowDays) {
      throw new ClaimsModelError(
        "AppealWindowFixed",
        `plan ${plan} keeps its appeal window of ${state.terms.appealWindowDays} days`,
      );
    }
    state.terms = { ...terms };
  }

  /** Adds the code to the plan's fee schedule or replaces its entry. */
  setFee(plan: bigint, entry: FeeEntry): void {
    const state = this.planState(plan);
    if (entry.code === "") throw new ClaimsModelError("BadFee", "empty procedure code");
    if (entry.allowedPerUnit < 0n || entry.copay < 0n) {
      throw new ClaimsModelError("BadFee", `negative amount in the fee for ${entry.code}`);
    }
    state.fees.set(entry.code, { ...entry });
  }

  removeFee(plan: bigint, code: string): void {
    const state = this.planState(plan);
    if (!state.fees.delete(code)) throw new ClaimsModelError("UnknownFee", `plan ${plan} has no fee for ${code}`);
  }

  setNetwork(plan: bigint, organization: bigint, inNetwork: boolean): void {
    const state = this.planState(plan);
    if (inNetwork) state.network.add(organization);
    else state.network.delete(organization);
  }

  /**
   * Enrolls the patient for `[coverageStart, coverageEnd]`, after her latest period in the plan, and returns the
   * enrollment's seq for (plan, patient).
   */
  enroll(plan: bigint, patient: bigint, coverageStart: bigint, coverageEnd: bigint): number {
    this.planState(plan);
    if (coverageStart > coverageEnd) {
      throw new ClaimsModelError("BadCoverage", `coverage starts at ${coverageStart} after it ends at ${coverageEnd}`);
    }
    const key = pairKey(plan, patient);
    const list = this.enrollments.get(key) ?? [];
    const latest = list[list.length - 1];
    if (latest !== undefined && coverageStart <= latest.coverageEnd) {
      throw new ClaimsModelError(
        "EnrollmentNotAfterLatest",
        `coverage must start after patient ${patient}'s latest period ends (${latest.coverageEnd})`,
      );
    }
    list.push({ coverageStart, coverageEnd, deductibleMet: 0n, oopMet: 0n });
    this.enrollments.set(key, list);
    return list.length - 1;
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Prior authorization
  // -------------------------------------------------------------------------------------------------------------------

  requestPriorAuth(
    id: bigint,
    request: { patient: bigint; plan: bigint; code: string; units: bigint; validFrom: bigint; validTo: bigint },
  ): void {
    if (id === 0n || this.priorAuths.has(id)) {
      throw new ClaimsModelError("PriorAuthExists", `prior authorization id ${id} is zero or already used`);
    }
    this.planState(request.plan);
    if (request.units <= 0n) throw new ClaimsModelError("ZeroUnits", "a prior authorization needs at least one unit");
    if (request.validFrom > request.validTo) {
      throw new ClaimsModelError("BadWindow", `window [${request.validFrom}, ${request.validTo}] is empty`);
    }
    this.priorAuths.set(id, {
      id,
      patient: request.patient,
      plan: request.plan,
      code: request.code,
      status: "Pending",
      units: request.units,
      validFrom: request.validFrom,
      validTo: request.validTo,
      unitsLeft: 0n,
    });
  }

  /**
   * Approves with at most the requested units and a window inside the requested one, at time `now`: authorizations
   * of the same (patient, plan, code) that can no longer serve a line are dropped first, and at most
   * `MAX_OPEN_PRIOR_AUTHS` may stand.
   */
  approvePriorAuth(id: bigint, units: bigint, validFrom: bigint, validTo: bigint, now: bigint): void {
    const auth = this.pendingAuth(id);
    if (units <= 0n) throw new ClaimsModelError("ZeroUnits", "an approval needs at least one unit");
    if (validFrom > validTo) throw new ClaimsModelError("BadWindow", `window [${validFrom}, ${validTo}] is empty`);
    if (units > auth.units || validFrom < auth.validFrom || validTo > auth.validTo) {
      throw new ClaimsModelError(
        "PriorAuthWidened",
        `approval (${units} units, [${validFrom}, ${validTo}]) exceeds the request ` +
          `(${auth.units} units, [${auth.validFrom}, ${auth.validTo}])`,
      );
    }
    const filing = this.planState(auth.plan).terms.timelyFilingDays * DAY;
    const sameKey = (a: PriorAuthState) => a.patient === auth.patient && a.plan === auth.plan && a.code === auth.code;
    const usable = (a: PriorAuthState) => a.unitsLeft > 0n && a.validTo + filing >= now;
    const standing = this.approvedAuths.filter((a) => sameKey(a) && usable(a)).length;
    if (standing >= MAX_OPEN_PRIOR_AUTHS) {
      throw new ClaimsModelError(
        "TooManyOpenPriorAuths",
        `patient ${auth.patient} holds ${standing} usable authorizations of ${auth.code} in plan ${auth.plan}`,
      );
    }
    for (let i = this.approvedAuths.length - 1; i >= 0; i--) {
      const a = this.approvedAuths[i]!;
      if (sameKey(a) && !usable(a)) this.approvedAuths.splice(i, 1);
    }
    auth.status = "Approved";
    auth.units = units;
    auth.unitsLeft = units;
    auth.validFrom = validFrom;
    auth.validTo = validTo;
    this.approvedAuths.push(auth);
  }

  denyPriorAuth(id: bigint): void {
    this.pendingAuth(id).status = "Denied";
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Claims
  // -------------------------------------------------------------------------------------------------------------------

  /** Adjudicates every line in order at time `now`, then pays or queues the claim's plan payment. */
  submitClaim(
    claim: { id: string; organization: bigint; reference: string; patient: bigint; plan: bigint; lines: ModelLine[] },
    now: bigint,
  ): ClaimResult {
    if (this.claims.has(claim.id)) throw new ClaimsModelError("ClaimExists", `claim id ${claim.id} already used`);
    const plan = this.planState(claim.plan);
    if (claim.lines.length === 0) throw new ClaimsModelError("NoLines", `claim ${claim.id} has no lines`);
    if (claim.lines.length > MAX_LINES) {
      throw new ClaimsModelError(
        "TooManyLines",
        `claim ${claim.id} has ${claim.lines.length} lines (max ${MAX_LINES})`,
      );
    }
    if (this.references.get(claim.organization)?.has(claim.reference) === true) {
      throw new ClaimsModelError(
        "DuplicateReference",
        `organization ${claim.organization} already submitted reference ${JSON.stringify(claim.reference)}`,
      );
    }
    claim.lines.forEach((line, index) => {
      if (line.units <= 0n) throw new ClaimsModelError("ZeroUnits", `line ${index} of claim ${claim.id} has no units`);
      if (line.units > MAX_UNITS_PER_LINE) {
        throw new ClaimsModelError("TooManyUnits", `line ${index} of claim ${claim.id} bills ${line.units} units`);
      }
      if (line.billed <= 0n) throw new ClaimsModelError("ZeroBilled", `line ${index} of claim ${claim.id} bills 0`);
      if (line.serviceDate > now) {
        throw new ClaimsModelError(
          "ServiceDateInFuture",
          `line ${index} of claim ${claim.id} is dated ${line.serviceDate}, after ${now}`,
        );
      }
    });

    const references = this.references.get(claim.organization) ?? new Set<string>();
    references.add(claim.reference);
    this.references.set(claim.organization, references);

    const state: ClaimState = {
      id: claim.id,
      organization: claim.organization,
      reference: claim.reference,
      patient: claim.patient,
      plan: claim.plan,
      payer: plan.payer,
      lines: claim.lines.map((line) => ({ ...line })),
      results: [],
      appeals: claim.lines.map((): AppealStatus => "None"),
      status: "Approved",
      planPays: 0n,
      patientOwes: 0n,
      paidAtAdjudication: true,
      adjudicatedAt: now,
      paid: 0n,
    };
    for (const line of state.lines) {
      const result = this.adjudicateLine(state, line, now, false);
      state.results.push(result);
      state.planPays += result.planPays;
      state.patientOwes += result.patientOwes;
    }
    state.status = claimStatus(state.results);
    this.claims.set(state.id, state);
    state.paidAtAdjudication = this.pay(state, undefined, state.planPays);
    return this.claim(state.id);
  }

  /** Files the (only) appeal of a denied line within the plan's current appeal window after adjudication. */
  fileAppeal(id: string, line: number, now: bigint): void {
    const claim = this.claimState(id);
    const result = lineOf(claim, line);
    if (!result.denied) throw new ClaimsModelError("LineNotDenied", `line ${line} of claim ${id} is not denied`);
    if (claim.appeals[line] !== "None") {
      throw new ClaimsModelError("AlreadyAppealed", `line ${line} of claim ${id} has already been appealed`);
    }
    const closes = claim.adjudicatedAt + this.planState(claim.plan).terms.appealWindowDays * DAY;
    if (now > closes) {
      throw new ClaimsModelError("AppealWindowClosed", `the appeal window of claim ${id} closed at ${closes}`);
    }
    claim.appeals[line] = "Filed";
  }

  /**
   * Decides a filed appeal. Upheld: nothing changes (returns undefined). Overturned: the line is re-adjudicated at
   * `now` with checks 2 and 5 waived; the new outcome replaces it and is returned, and its plan payment is paid or
   * queued like a new claim's.
   */
  decideAppeal(id: string, line: number, overturn: boolean, now: bigint): LineResult | undefined {
    const claim = this.claimState(id);
    const old = lineOf(claim, line);
    if (claim.appeals[line] !== "Filed") {
      throw new ClaimsModelError("NoAppeal", `line ${line} of claim ${id} has no appeal awaiting a decision`);
    }
    if (!overturn) {
      claim.appeals[line] = "Upheld";
      return undefined;
    }
    claim.appeals[line] = "Overturned";
    const input = claim.lines[line]!;
    const result = this.adjudicateLine(claim, input, now, true);
    claim.results[line] = result;
    claim.planPays += result.planPays;
    claim.patientOwes += result.patientOwes - old.patientOwes;
    claim.status = claimStatus(claim.results);
    this.pay(claim, line, result.planPays);
    return { ...result };
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Money
  // -------------------------------------------------------------------------------------------------------------------

  /** Adds to the payer's balance, then pays queued entries in order (at most maxSettlePerCall); returns those paid. */
  fund(payer: bigint, amount: bigint): QueueEntry[] {
    if (amount <= 0n) throw new ClaimsModelError("ZeroAmount", "funding must be positive");
    this.payerBalances.set(payer, this.payerBalance(payer) + amount);
    this.fundedTotals.set(payer, this.funded(payer) + amount);
    return this.settleQueue(payer, this.maxSettlePerCall);
  }

  /** Pays queued entries in order while the head is covered, at most `max`; returns those paid. */
  settle(payer: bigint, max: number): QueueEntry[] {
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new ClaimsModelError("BadSettleBound", `settle bound must be a non-negative integer, got ${max}`);
    }
    return this.settleQueue(payer, max);
  }

  /** Moves the organization's whole balance to `withdrawn` and returns it (0n when there is nothing). */
  withdraw(organization: bigint): bigint {
    const amount = this.providerBalance(organization);
    this.providerBalances.set(organization, 0n);
    this.withdrawnTotals.set(organization, this.withdrawn(organization) + amount);
    return amount;
  }

  /** The payer takes `amount` of its surplus back: only while nothing of it waits in its queue. */
  withdrawFunds(payer: bigint, amount: bigint): void {
    if (amount <= 0n) throw new ClaimsModelError("ZeroAmount", "a withdrawal must be positive");
    const queued = this.queues.get(payer)?.length ?? 0;
    if (queued > 0) throw new ClaimsModelError("PayerHasQueue", `payer ${payer} owes ${queued} queued payments`);
    const balance = this.payerBalance(payer);
    if (amount > balance) {
      throw new ClaimsModelError("InsufficientBalance", `payer ${payer} holds ${balance}, not ${amount}`);
    }
    this.payerBalances.set(payer, balance - amount);
    this.payerWithdrawnTotals.set(payer, this.payerWithdrawn(payer) + amount);
  }

  /**
   * Assigns a (revoked) organization's balance and every later payment to `successor` (the contract checks who is
   * revoked; the model keeps the money). Payments follow a chain of successions to its end, at most
   * `MAX_SUCCESSION_DEPTH` steps long.
   */
  assignSuccessor(organization: bigint, successor: bigint): void {
    const depth = (this.predecessorDepths.get(organization) ?? 0) + 1;
    if (depth > MAX_SUCCESSION_DEPTH) {
      throw new ClaimsModelError(
        "SuccessionTooDeep",
        `organization ${organization} already ends a chain of ${MAX_SUCCESSION_DEPTH} successions`,
      );
    }
    this.successors.set(organization, successor);
    if (depth > (this.predecessorDepths.get(successor) ?? 0)) this.predecessorDepths.set(successor, depth);
    const amount = this.providerBalance(organization);
    this.providerBalances.set(organization, 0n);
    this.providerBalances.set(successor, this.providerBalance(successor) + amount);
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------------------------------

  /** The claim as it stands now (overturned lines replaced). */
  claim(id: string): ClaimResult {
    const claim = this.claimState(id);
    return {
      id: claim.id,
      status: claim.status,
      lines: claim.results.map((line) => ({ ...line })),
      planPays: claim.planPays,
      patientOwes: claim.patientOwes,
      paidAtAdjudication: claim.paidAtAdjudication,
      adjudicatedAt: claim.adjudicatedAt,
    };
  }

  appealStatus(id: string, line: number): AppealStatus {
    const claim = this.claimState(id);
    lineOf(claim, line);
    return claim.appeals[line]!;
  }

  accumulators(plan: bigint, patient: bigint, seq: number): Accumulators {
    const enrollment = this.enrollments.get(pairKey(plan, patient))?.[seq];
    if (enrollment === undefined) {
      throw new ClaimsModelError("UnknownEnrollment", `patient ${patient} has no enrollment ${seq} in plan ${plan}`);
    }
    return { deductibleMet: enrollment.deductibleMet, oopMet: enrollment.oopMet };
  }

  priorAuthStatus(id: bigint): PriorAuthStatus {
    return this.authState(id).status;
  }

  /** Units left on an approved authorization; 0n while pending or when denied. */
  priorAuthUnitsLeft(id: bigint): bigint {
    return this.authState(id).unitsLeft;
  }

  payerBalance(payer: bigint): bigint {
    return this.payerBalances.get(payer) ?? 0n;
  }

  funded(payer: bigint): bigint {
    return this.fundedTotals.get(payer) ?? 0n;
  }

  providerBalance(organization: bigint): bigint {
    return this.providerBalances.get(organization) ?? 0n;
  }

  withdrawn(organization: bigint): bigint {
    return this.withdrawnTotals.get(organization) ?? 0n;
  }

  /** Surplus the payer took back. */
  payerWithdrawn(payer: bigint): bigint {
    return this.payerWithdrawnTotals.get(payer) ?? 0n;
  }

  /** Unpaid entries of the payer, in FIFO order. */
  queue(payer: bigint): QueueEntry[] {
    return (this.queues.get(payer) ?? []).map((entry) => ({ ...entry }));
  }

  /**
   * Σ funded = Σ payer balances + Σ provider balances + Σ withdrawn by providers and payers, and Σ queued amounts =
   * Σ unpaid plan payments
   * (each claim's planPays minus what was credited for it); also every claim's planPays is the sum of its lines',
   * no claim is paid more than its planPays, and no balance is negative.
   */
  accountingHolds(): boolean {
    const funded = sum(this.fundedTotals.values());
    const held = sum(this.payerBalances.values()) + sum(this.providerBalances.values());
    if (funded !== held + sum(this.withdrawnTotals.values()) + sum(this.payerWithdrawnTotals.values())) return false;
    const queued = sum([...this.queues.values()].flatMap((queue) => queue.map((entry) => entry.amount)));
    let unpaid = 0n;
    for (const claim of this.claims.values()) {
      if (claim.paid > claim.planPays || claim.planPays !== sum(claim.results.map((line) => line.planPays))) {
        return false;
      }
      unpaid += claim.planPays - claim.paid;
    }
    const balances = [...this.payerBalances.values(), ...this.providerBalances.values()];
    return queued === unpaid && balances.every((balance) => balance >= 0n);
  }

  // -------------------------------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------------------------------

  private adjudicateLine(claim: ClaimState, line: ModelLine, now: bigint, appealed: boolean): LineResult {
    const plan = this.planState(claim.plan);
    const enrollments = this.enrollments.get(pairKey(claim.plan, claim.patient)) ?? [];
    // 1. coverage
    const enrollment = enrollments.find(
      (e) => e.coverageStart <= line.serviceDate && line.serviceDate <= e.coverageEnd,
    );
    if (enrollment === undefined) {
      const ended = enrollments.some((e) => e.coverageEnd < line.serviceDate);
      return denial(ended ? CARC.AfterCoverage : CARC.BeforeCoverage, "PR", line.billed);
    }
    // 2. timely filing (waived on appeal)
    if (!appealed && now > line.serviceDate + plan.terms.timelyFilingDays * DAY) {
      return denial(CARC.TimelyFiling, "CO", 0n);
    }
    // 3. network
    if (!plan.network.has(claim.organization)) return denial(CARC.OutOfNetwork, "CO", 0n);
    // 4. fee schedule
    const fee = plan.fees.get(line.code);
    if (fee === undefined) return denial(CARC.NotCovered, "PR", line.billed);
    // 4a. the medically unlikely edit
    if (fee.maxUnits !== undefined && fee.maxUnits > 0n && line.units > fee.maxUnits) {
      return denial(CARC.MedicallyUnlikely, "CO", 0n);
    }
    // 5. prior authorization (waived on appeal)
    let auth: PriorAuthState | undefined;
    if (fee.requiresPriorAuth && !appealed) {
      auth = this.approvedAuths.find(
        (a) =>
          a.patient === claim.patient &&
          a.plan === claim.plan &&
          a.code === line.code &&
          a.validFrom <= line.serviceDate &&
          line.serviceDate <= a.validTo &&
          a.unitsLeft >= line.units,
      );
      if (auth === undefined) return denial(CARC.NoPriorAuth, "CO", 0n);
    }
    // 6. duplicate service
    const service = serviceKey(claim.patient, claim.organization, line.code, line.serviceDate);
    if (this.approvedServices.has(service)) return denial(CARC.Duplicate, "OA", 0n);

    const pricing = priceLine(plan.terms, fee, line, enrollment);
    enrollment.deductibleMet += pricing.ded;
    enrollment.oopMet += pricing.patientOwes;
    if (auth !== undefined) auth.unitsLeft -= line.units;
    this.approvedServices.add(service);
    return { denied: false, carc: CARC.None, group: "", ...pricing, priorAuth: auth?.id ?? 0n };
  }

  /** Credits `amount` at once when the payer's queue is empty and its balance covers it, else queues it. */
  private pay(claim: ClaimState, line: number | undefined, amount: bigint): boolean {
    if (amount === 0n) return true;
    const queue = this.queues.get(claim.payer) ?? [];
    this.queues.set(claim.payer, queue);
    // The organization may have been revoked since the claim (an overturned appeal): its successor is paid.
    const entry: QueueEntry = { claim: claim.id, line, organization: this.payee(claim.organization), amount };
    if (queue.length === 0 && this.payerBalance(claim.payer) >= amount) {
      this.credit(claim.payer, entry, entry.organization);
      return true;
    }
    queue.push(entry);
    return false;
  }

  private settleQueue(payer: bigint, max: number): QueueEntry[] {
    const queue = this.queues.get(payer) ?? [];
    const paid: QueueEntry[] = [];
    while (paid.length < max) {
      const head = queue[0];
      if (head === undefined || head.amount > this.payerBalance(payer)) break;
      queue.shift();
      // A queued payment's organization may have been revoked while it waited: its successor is paid.
      this.credit(payer, head, this.payee(head.organization));
      paid.push({ ...head });
    }
    return paid;
  }

  private credit(payer: bigint, entry: QueueEntry, payee: bigint): void {
    this.payerBalances.set(payer, this.payerBalance(payer) - entry.amount);
    this.providerBalances.set(payee, this.providerBalance(payee) + entry.amount);
    this.claimState(entry.claim).paid += entry.amount;
  }

  /** Who is paid what is owed to `organization`: the end of its chain of successors, else itself. */
  payee(organization: bigint): bigint {
    let payee = organization;
    for (let next = this.successors.get(payee); next !== undefined; next = this.successors.get(payee)) payee = next;
    return payee;
  }

  private planState(plan: bigint): PlanState {
    const state = this.plans.get(plan);
    if (state === undefined) throw new ClaimsModelError("UnknownPlan", `no plan ${plan}`);
    return state;
  }

  private claimState(id: string): ClaimState {
    const claim = this.claims.get(id);
    if (claim === undefined) throw new ClaimsModelError("UnknownClaim", `no claim ${id}`);
    return claim;
  }

  private authState(id: bigint): PriorAuthState {
    const auth = this.priorAuths.get(id);
    if (auth === undefined) throw new ClaimsModelError("UnknownPriorAuth", `no prior authorization ${id}`);
    return auth;
  }

  private pendingAuth(id: bigint): PriorAuthState {
    const auth = this.authState(id);
    if (auth.status !== "Pending") {
      throw new ClaimsModelError("PriorAuthNotPending", `prior authorization ${id} is ${auth.status.toLowerCase()}`);
    }
    return auth;
  }
}

function checkTerms(terms: PlanTerms): void {
  const values = [terms.deductible, terms.coinsuranceBps, terms.oopMax, terms.timelyFilingDays, terms.appealWindowDays];
  if (values.some((value) => value < 0n)) throw new ClaimsModelError("BadTerms", "negative plan term");
  if (terms.coinsuranceBps > BPS) {
    throw new ClaimsModelError("BadTerms", `coinsurance ${terms.coinsuranceBps} bps exceeds ${BPS}`);
  }
}

function lineOf(claim: ClaimState, line: number): LineResult {
  const result = Number.isInteger(line) ? claim.results[line] : undefined;
  if (result === undefined) throw new ClaimsModelError("UnknownLine", `claim ${claim.id} has no line ${line}`);
  return result;
}

function denial(carc: number, group: AdjustmentGroup, patientOwes: bigint): LineResult {
  return {
    denied: true,
    carc,
    group,
    allowed: 0n,
    contractual: 0n,
    ded: 0n,
    copay: 0n,
    coins: 0n,
    planPays: 0n,
    patientOwes,
    priorAuth: 0n,
  };
}

function pairKey(plan: bigint, patient: bigint): string {
  return `${plan}/${patient}`;
}

function serviceKey(patient: bigint, organization: bigint, code: string, serviceDate: bigint): string {
  return JSON.stringify([patient.toString(), organization.toString(), code, (serviceDate / DAY).toString()]);
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function saturatingSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const value of values) total += value;
  return total;
}
