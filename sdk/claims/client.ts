import {
  AbiCoder,
  type BigNumberish,
  type BytesLike,
  concat,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  getBytes,
  hexlify,
  keccak256,
  type Log,
  toUtf8Bytes,
  toUtf8String,
  ZeroAddress,
} from "ethers";

import {
  type ClaimsAdjudicator,
  ClaimsAdjudicator__factory,
  IERC20Metadata__factory,
  type PriorAuthorizations,
  PriorAuthorizations__factory,
} from "../../typechain-types";
import type { Deployment } from "../core/deployment";
import { enumMember } from "../core/enums";
import { withDecodedErrors } from "../core/errors";
import { queryFilterChunked, queryInRanges } from "../core/logs";
import { decodeEvent, eventValue, mined, plainLogs, type Sent } from "../core/transactions";

// ---------------------------------------------------------------------------------------------------------------------
// Mirrors of contracts/claims/Claims.sol
// ---------------------------------------------------------------------------------------------------------------------

export enum PlanStatus {
  None = 0,
  Draft = 1,
  Active = 2,
}

export enum ClaimStatus {
  None = 0,
  Approved = 1,
  PartiallyApproved = 2,
  Denied = 3,
}

export enum PaymentStatus {
  /** Nothing to pay. */
  None = 0,
  Credited = 1,
  Queued = 2,
}

export enum AdjustmentGroup {
  None = 0,
  ContractualObligation = 1,
  PatientResponsibility = 2,
  OtherAdjustment = 3,
}

export enum PriorAuthStatus {
  None = 0,
  Requested = 1,
  Approved = 2,
  Denied = 3,
  Withdrawn = 4,
}

export enum AppealStatus {
  None = 0,
  Filed = 1,
  Upheld = 2,
  Overturned = 3,
}

export const toClaimStatus = (value: bigint | number): ClaimStatus => enumMember(ClaimStatus, "ClaimStatus", value);
export const toPaymentStatus = (value: bigint | number): PaymentStatus =>
  enumMember(PaymentStatus, "PaymentStatus", value);
export const toAdjustmentGroup = (value: bigint | number): AdjustmentGroup =>
  enumMember(AdjustmentGroup, "AdjustmentGroup", value);
export const toPlanStatus = (value: bigint | number): PlanStatus => enumMember(PlanStatus, "PlanStatus", value);
export const toPriorAuthStatus = (value: bigint | number): PriorAuthStatus =>
  enumMember(PriorAuthStatus, "PriorAuthStatus", value);
export const toAppealStatus = (value: bigint | number): AppealStatus => enumMember(AppealStatus, "AppealStatus", value);

/** X12 claim adjustment group codes, as an 835 remittance writes them. */
export const GROUP_CODES: Readonly<Record<AdjustmentGroup, "" | "CO" | "PR" | "OA">> = {
  [AdjustmentGroup.None]: "",
  [AdjustmentGroup.ContractualObligation]: "CO",
  [AdjustmentGroup.PatientResponsibility]: "PR",
  [AdjustmentGroup.OtherAdjustment]: "OA",
};

/** The claim adjustment reason codes (X12 CARC) the adjudicator gives, with their published descriptions. */
export const CARC_DESCRIPTIONS: Readonly<Record<number, string>> = {
  18: "Exact duplicate claim/service",
  26: "Expenses incurred prior to coverage",
  27: "Expenses incurred after coverage terminated",
  29: "The time limit for filing has expired",
  45: "Charge exceeds fee schedule/maximum allowable",
  96: "Non-covered charge(s)",
  151: "Payment adjusted because the payer deems the information submitted does not support this many/frequency of services",
  197: "Precertification/authorization/notification/pre-treatment absent",
  242: "Services not provided by network/primary care providers",
  1: "Deductible amount",
  2: "Coinsurance amount",
  3: "Co-payment amount",
};

/** The line index of a queued payment that is a claim's adjudication total (`CLAIM_PAYMENT` in the contract). */
export const CLAIM_PAYMENT = 255;
/** Seconds in a day: the unit of plans' filing and appeal windows. */
export const SECONDS_PER_DAY = 86_400n;

// ---------------------------------------------------------------------------------------------------------------------
// Codes, lines and references
// ---------------------------------------------------------------------------------------------------------------------

/** A CPT or HCPCS code ("99213", "J3490") as the contract's `bytes5`. */
export function procedureCode(text: string): string {
  if (!/^[0-9A-Z]{5}$/.test(text)) {
    throw new Error(`a procedure code is five digits or capital letters (CPT or HCPCS), got ${JSON.stringify(text)}`);
  }
  return hexlify(toUtf8Bytes(text));
}

/** The text of a `bytes5` procedure code. */
export function procedureCodeText(code: BytesLike): string {
  return toUtf8String(getBytes(code));
}

/** One service line, as a provider states it. */
export interface ClaimLineInput {
  /** CPT or HCPCS code, e.g. "99213". */
  code: string;
  units: bigint;
  /** The charge, in base units of the settlement token. */
  billed: bigint;
  /** Unix seconds. */
  serviceDate: bigint;
}

const LINE_UNITS_SHIFT = 40n;
const LINE_BILLED_SHIFT = 72n;
const LINE_DATE_SHIFT = 152n;

/** Packs a line into the contract's `ClaimLine` word (layout in contracts/claims/ClaimLine.sol). */
export function packLine(line: ClaimLineInput): bigint {
  const fits = (value: bigint, bits: bigint, what: string) => {
    if (value < 0n || value >= 1n << bits) throw new Error(`a line's ${what} must fit in ${bits} bits, got ${value}`);
  };
  fits(line.units, 32n, "units");
  fits(line.billed, 80n, "billed amount");
  fits(line.serviceDate, 48n, "service date");
  return (
    (line.serviceDate << LINE_DATE_SHIFT) |
    (line.billed << LINE_BILLED_SHIFT) |
    (line.units << LINE_UNITS_SHIFT) |
    BigInt(procedureCode(line.code))
  );
}

/** Unpacks a `ClaimLine` word. */
export function unpackLine(word: bigint): ClaimLineInput {
  const mask = (bits: bigint) => (1n << bits) - 1n;
  return {
    code: procedureCodeText("0x" + (word & mask(40n)).toString(16).padStart(10, "0")),
    units: (word >> LINE_UNITS_SHIFT) & mask(32n),
    billed: (word >> LINE_BILLED_SHIFT) & mask(80n),
    serviceDate: (word >> LINE_DATE_SHIFT) & mask(48n),
  };
}

/**
 * A plan-scoped member pseudonym: keccak256(memberKey ‖ plan id ‖ the payer's member number). Claims, enrollment and
 * prior authorization name the patient only by it, so that no other consortium member can join her claims to her
 * participant id, consent or records. The 32-byte `memberKey` is the payer's secret (a member number is
 * low-entropy); the payer gives the pseudonym to the member (on her card) and she to her providers.
 */
export function memberPseudonym(memberKey: BytesLike, planId: BigNumberish, memberNumber: string): string {
  const key = getBytes(memberKey);
  if (key.length !== 32) throw new Error(`a member key must be 32 bytes, got ${key.length}`);
  if (memberNumber === "") throw new Error("a member number must not be empty");
  return keccak256(concat([key, AbiCoder.defaultAbiCoder().encode(["uint64"], [planId]), toUtf8Bytes(memberNumber)]));
}

/**
 * An attachment commitment: keccak256(salt ‖ patient id ‖ record commitment), for a claim's supporting record. The
 * chain sees only this; the provider hands the payer the salt, the patient id and the record, and the payer checks
 * the record against the record registry off chain. Without the salt nobody can tell which record, or whose, a
 * claim cites.
 */
export function attachmentCommitment(salt: BytesLike, patient: BigNumberish, recordCommitment: BytesLike): string {
  const bytes = getBytes(salt);
  if (bytes.length !== 32) throw new Error(`an attachment salt must be 32 bytes, got ${bytes.length}`);
  return keccak256(
    concat([bytes, AbiCoder.defaultAbiCoder().encode(["uint64", "bytes32"], [patient, recordCommitment])]),
  );
}

/**
 * A claim reference fit for the chain: keccak256(referenceKey ‖ the provider's own claim number). The claim number
 * (an 837's CLM01, often derived from a patient account number) never goes on chain; the 32-byte `referenceKey` is
 * the provider's secret, so nobody can guess the number from its hash. The same key and number give the same
 * reference, which is how the adjudicator spots a resubmission.
 */
export function claimReference(referenceKey: BytesLike, claimNumber: string): string {
  const key = getBytes(referenceKey);
  if (key.length !== 32) throw new Error(`a claim reference key must be 32 bytes, got ${key.length}`);
  if (claimNumber === "") throw new Error("a claim number must not be empty");
  return keccak256(concat([key, toUtf8Bytes(claimNumber)]));
}

/** The id of the claim `organization` submits under `reference` (as the contract's `claimIdOf`). */
export function claimIdOf(organization: BigNumberish, reference: BytesLike): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "bytes32"], [organization, reference]));
}

// ---------------------------------------------------------------------------------------------------------------------
// Plans and claims as values
// ---------------------------------------------------------------------------------------------------------------------

export interface PlanTerms {
  deductible: bigint;
  oopMax: bigint;
  coinsuranceBps: number;
  timelyFilingDays: number;
  appealWindowDays: number;
}

export interface FeeScheduleEntry {
  code: string;
  allowedPerUnit: bigint;
  copay: bigint;
  requiresPriorAuth: boolean;
  /** The medically unlikely edit: the most units a line may bill for the code; 0 (or absent) for no plan limit. */
  maxUnits?: number;
}

/** A plan ready to be created: its terms, its whole fee schedule and its network. */
export interface PlanSpec {
  terms: PlanTerms;
  fees: FeeScheduleEntry[];
  network: bigint[];
}

/** The largest plan amount (deductible, out-of-pocket maximum, allowed per unit, copay): 80 bits. */
export const MAX_PLAN_AMOUNT = (1n << 80n) - 1n;
/** The most lines a claim may have, attachments it may carry and units a line may bill (the contract's constants). */
export const MAX_CLAIM_LINES = 16;
export const MAX_ATTACHMENTS = 8;
export const MAX_UNITS_PER_LINE = 99_999n;

function checkAmount(what: string, amount: bigint): void {
  if (amount < 0n || amount > MAX_PLAN_AMOUNT) throw new Error(`the ${what} must fit in 80 bits, got ${amount}`);
}

/** Checks a fee schedule entry as the contract would: a valid code, an allowed amount above zero, 80-bit amounts. */
export function checkFee(fee: FeeScheduleEntry): void {
  procedureCode(fee.code);
  if (fee.allowedPerUnit <= 0n) throw new Error(`the allowed amount of ${fee.code} must be above zero`);
  checkAmount(`allowed amount of ${fee.code}`, fee.allowedPerUnit);
  checkAmount(`copay of ${fee.code}`, fee.copay);
  const maxUnits = fee.maxUnits ?? 0;
  if (!Number.isInteger(maxUnits) || maxUnits < 0 || maxUnits > 0xffff_ffff) {
    throw new Error(`the maximum units of ${fee.code} must be a whole number in [0, 2^32), got ${maxUnits}`);
  }
}

/**
 * The most one line of `fee`'s code can cost the plan: the allowed amount of the most units a line may bill (the
 * code's medically unlikely edit, or `MAX_UNITS_PER_LINE` without one). Payments are first in, first out, so one
 * approved line the payer cannot fund holds every later payment of that payer: a payer gives an edit to every code
 * whose exposure it could not fund at once. `uneditedFees` lists the codes without one.
 */
export function lineExposure(fee: Pick<FeeScheduleEntry, "allowedPerUnit" | "maxUnits">): bigint {
  const units = fee.maxUnits !== undefined && fee.maxUnits > 0 ? BigInt(fee.maxUnits) : MAX_UNITS_PER_LINE;
  return fee.allowedPerUnit * units;
}

/** The fee entries without a medically unlikely edit (`maxUnits` 0 or absent), largest exposure first. */
export function uneditedFees(fees: readonly FeeScheduleEntry[]): FeeScheduleEntry[] {
  return fees
    .filter((fee) => (fee.maxUnits ?? 0) === 0)
    .sort((a, b) => {
      const [x, y] = [lineExposure(a), lineExposure(b)];
      return x === y ? 0 : x > y ? -1 : 1;
    });
}

/** Builds a `PlanSpec` one term at a time; `build()` checks it as the contract would. */
export class PlanBuilder {
  private terms: Partial<PlanTerms> = {};
  private readonly fees = new Map<string, FeeScheduleEntry>();
  private readonly network = new Set<bigint>();

  deductible(amount: bigint): this {
    this.terms.deductible = amount;
    return this;
  }

  outOfPocketMax(amount: bigint): this {
    this.terms.oopMax = amount;
    return this;
  }

  /** The patient's share after deductible and copay, in basis points (2,000 = 20 %). */
  coinsurance(bps: number): this {
    this.terms.coinsuranceBps = bps;
    return this;
  }

  timelyFilingDays(days: number): this {
    this.terms.timelyFilingDays = days;
    return this;
  }

  appealWindowDays(days: number): this {
    this.terms.appealWindowDays = days;
    return this;
  }

  fee(
    code: string,
    allowedPerUnit: bigint,
    options: { copay?: bigint; requiresPriorAuth?: boolean; maxUnits?: number } = {},
  ): this {
    const entry = {
      code,
      allowedPerUnit,
      copay: options.copay ?? 0n,
      requiresPriorAuth: options.requiresPriorAuth ?? false,
      maxUnits: options.maxUnits ?? 0,
    };
    checkFee(entry);
    this.fees.set(code, entry);
    return this;
  }

  inNetwork(...organizations: BigNumberish[]): this {
    for (const organization of organizations) this.network.add(BigInt(organization));
    return this;
  }

  build(): PlanSpec {
    const { deductible, oopMax, coinsuranceBps, timelyFilingDays, appealWindowDays } = this.terms;
    if (
      deductible === undefined ||
      oopMax === undefined ||
      coinsuranceBps === undefined ||
      timelyFilingDays === undefined ||
      appealWindowDays === undefined
    ) {
      throw new Error("a plan needs a deductible, an out-of-pocket maximum, coinsurance and both windows");
    }
    if (!Number.isInteger(coinsuranceBps) || coinsuranceBps < 0 || coinsuranceBps > 10_000) {
      throw new Error(`coinsurance must be whole basis points in [0, 10000], got ${coinsuranceBps}`);
    }
    checkAmount("deductible", deductible);
    checkAmount("out-of-pocket maximum", oopMax);
    if (oopMax < deductible) throw new Error("the out-of-pocket maximum must be at least the deductible");
    for (const [what, days] of [
      ["timely-filing window", timelyFilingDays],
      ["appeal window", appealWindowDays],
    ] as const) {
      if (!Number.isInteger(days) || days < 1 || days > 65_535) {
        throw new Error(`the ${what} must be whole days in [1, 65535], got ${days}`);
      }
    }
    return {
      terms: { deductible, oopMax, coinsuranceBps, timelyFilingDays, appealWindowDays },
      fees: [...this.fees.values()],
      network: [...this.network],
    };
  }
}

/** A claim ready to be submitted. */
export interface ClaimSubmission {
  /** The patient's plan-scoped member pseudonym (`memberPseudonym`). */
  member: string;
  plan: bigint;
  /** The salted reference (`claimReference`). */
  reference: string;
  lines: ClaimLineInput[];
  /** Salted commitments to supporting records (`attachmentCommitment`). */
  attachments: string[];
}

/** Builds a `ClaimSubmission`. */
export class ClaimBuilder {
  private referenceHash: string | undefined;
  private readonly lines: ClaimLineInput[] = [];
  private readonly attached: string[] = [];

  constructor(
    private readonly member: BytesLike,
    private readonly plan: BigNumberish,
  ) {}

  /** The provider's claim number, salted with its reference key (see `claimReference`). */
  reference(referenceKey: BytesLike, claimNumber: string): this {
    this.referenceHash = claimReference(referenceKey, claimNumber);
    return this;
  }

  line(code: string, units: bigint, billed: bigint, serviceDate: bigint): this {
    packLine({ code, units, billed, serviceDate });
    if (units < 1n) throw new Error(`a line bills at least one unit (${code})`);
    if (units > MAX_UNITS_PER_LINE) throw new Error(`a line bills at most ${MAX_UNITS_PER_LINE} units (${code})`);
    if (billed < 1n) throw new Error(`a line bills more than zero (${code})`);
    if (this.lines.length === MAX_CLAIM_LINES) throw new Error(`a claim has at most ${MAX_CLAIM_LINES} lines`);
    this.lines.push({ code, units, billed, serviceDate });
    return this;
  }

  /** A supporting record, as its attachment commitment (`attachmentCommitment`). */
  attachment(commitment: string): this {
    if (this.attached.length === MAX_ATTACHMENTS)
      throw new Error(`a claim carries at most ${MAX_ATTACHMENTS} attachments`);
    this.attached.push(hexlify(getBytes(commitment)));
    return this;
  }

  build(): ClaimSubmission {
    if (this.referenceHash === undefined) throw new Error("a claim needs a reference");
    if (this.lines.length === 0) throw new Error("a claim needs at least one line");
    const member = hexlify(getBytes(this.member));
    if (getBytes(member).length !== 32 || /^0x0+$/.test(member)) {
      throw new Error("a claim needs a non-zero 32-byte member pseudonym");
    }
    return {
      member,
      plan: BigInt(this.plan),
      reference: this.referenceHash,
      lines: [...this.lines],
      attachments: [...this.attached],
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Explanation of benefits
// ---------------------------------------------------------------------------------------------------------------------

/** One claim adjustment (an 835 CAS segment): a group, a reason and an amount. */
export interface Adjustment {
  group: "CO" | "PR" | "OA";
  carc: number;
  amount: bigint;
}

/** One line of a remittance: what was billed and how it was adjudicated. */
export interface EobLine extends ClaimLineInput {
  index: number;
  denied: boolean;
  /** The denial's CARC, 0 for an approved line. */
  carc: number;
  group: AdjustmentGroup;
  allowed: bigint;
  /** `billed − allowed` for an approved line, written off by the provider (CARC 45, group CO). */
  contractual: bigint;
  deductible: bigint;
  copay: bigint;
  coinsurance: bigint;
  planPays: bigint;
  patientOwes: bigint;
  /** The prior authorization whose units the line used, 0n for none. */
  priorAuth: bigint;
  /** The line's adjustments as an 835 lists them (CAS): write-off, deductible (1), coinsurance (2), copay (3). */
  adjustments: Adjustment[];
  /** Whether this outcome came from an overturned appeal. */
  reAdjudicated: boolean;
}

/** A claim's remittance: the claim-level figures and every line's latest outcome. */
export interface Remittance {
  claimId: string;
  /** The member pseudonym the claim names. */
  member: string;
  plan: bigint;
  organization: bigint;
  submitter: bigint;
  status: ClaimStatus;
  /** What became of the plan-pays total at adjudication. */
  payment: PaymentStatus;
  planPays: bigint;
  patientOwes: bigint;
  billed: bigint;
  lines: EobLine[];
  blockNumber: number;
  transactionHash: string;
}

const MASK_80 = (1n << 80n) - 1n;

/** Decodes one `LineAdjudicated` event's packed words (layout in contracts/claims/LineResult.sol). */
export function decodeLineResult(content: bigint, decision: bigint, shares: bigint): Omit<EobLine, "reAdjudicated"> {
  const line = unpackLine(content);
  const index = Number(decision & 0xffn);
  const group = toAdjustmentGroup((decision >> 8n) & 0xffn);
  const carc = Number((decision >> 16n) & 0xffffn);
  const priorAuth = (decision >> 32n) & ((1n << 64n) - 1n);
  const allowed = (decision >> 96n) & MASK_80;
  const coinsurance = decision >> 176n;
  const deductible = shares & MASK_80;
  const copay = (shares >> 80n) & MASK_80;
  const planPays = shares >> 160n;
  const denied = group !== AdjustmentGroup.None;
  const contractual = denied ? 0n : line.billed - allowed;
  const patientOwes = denied
    ? group === AdjustmentGroup.PatientResponsibility
      ? line.billed
      : 0n
    : deductible + copay + coinsurance;
  const adjustments: Adjustment[] = [];
  if (denied) {
    adjustments.push({ group: GROUP_CODES[group] as "CO" | "PR" | "OA", carc, amount: line.billed });
  } else {
    if (contractual > 0n) adjustments.push({ group: "CO", carc: 45, amount: contractual });
    if (deductible > 0n) adjustments.push({ group: "PR", carc: 1, amount: deductible });
    if (coinsurance > 0n) adjustments.push({ group: "PR", carc: 2, amount: coinsurance });
    if (copay > 0n) adjustments.push({ group: "PR", carc: 3, amount: copay });
  }
  return {
    ...line,
    index,
    denied,
    carc,
    group,
    allowed,
    contractual,
    deductible,
    copay,
    coinsurance,
    planPays,
    patientOwes,
    priorAuth,
    adjustments,
  };
}

/**
 * Builds remittances from logs of the adjudicator (a receipt's, or a query's across blocks), in log order: a claim's
 * `ClaimAdjudicated` opens it; `LineAdjudicated` events fill its lines, a later one (an overturned appeal) replacing
 * the line and re-totalling the claim.
 */
export function decodeRemittances(adjudicator: ClaimsAdjudicator, logs: readonly Log[]): Remittance[] {
  const byClaim = new Map<string, Remittance>();
  const pendingLines = new Map<string, EobLine[]>();
  const address = typeof adjudicator.target === "string" ? adjudicator.target.toLowerCase() : undefined;
  for (const log of logs) {
    if (address !== undefined && log.address.toLowerCase() !== address) continue;
    const parsed = decodeEvent(adjudicator.interface, log);
    if (parsed === null) continue;
    if (parsed.name === "LineAdjudicated") {
      const claimId = parsed.args.getValue("claimId") as string;
      const decoded = decodeLineResult(
        parsed.args.getValue("content") as bigint,
        parsed.args.getValue("decision") as bigint,
        parsed.args.getValue("shares") as bigint,
      );
      const remittance = byClaim.get(claimId);
      if (remittance === undefined) {
        // The claim's own lines come before its ClaimAdjudicated event.
        const lines = pendingLines.get(claimId) ?? [];
        lines.push({ ...decoded, reAdjudicated: false });
        pendingLines.set(claimId, lines);
      } else {
        const previous = remittance.lines[decoded.index];
        remittance.lines[decoded.index] = { ...decoded, reAdjudicated: true };
        if (previous !== undefined) {
          remittance.planPays += decoded.planPays - previous.planPays;
          remittance.patientOwes += decoded.patientOwes - previous.patientOwes;
        }
        remittance.status = statusOf(remittance.lines);
      }
    } else if (parsed.name === "ClaimAdjudicated") {
      const claimId = parsed.args.getValue("claimId") as string;
      const lines = (pendingLines.get(claimId) ?? []).sort((a, b) => a.index - b.index);
      pendingLines.delete(claimId);
      byClaim.set(claimId, {
        claimId,
        member: parsed.args.getValue("member") as string,
        plan: parsed.args.getValue("planId") as bigint,
        organization: parsed.args.getValue("organization") as bigint,
        submitter: parsed.args.getValue("submitter") as bigint,
        status: toClaimStatus(parsed.args.getValue("status") as bigint),
        payment: toPaymentStatus(parsed.args.getValue("payment") as bigint),
        // The event leaves the totals out (gas): they are the sums of the lines, as `claim(claimId)` keeps them.
        planPays: lines.reduce((sum, line) => sum + line.planPays, 0n),
        patientOwes: lines.reduce((sum, line) => sum + line.patientOwes, 0n),
        billed: lines.reduce((sum, line) => sum + line.billed, 0n),
        lines,
        blockNumber: log.blockNumber,
        transactionHash: log.transactionHash,
      });
    }
  }
  return [...byClaim.values()];
}

function statusOf(lines: readonly EobLine[]): ClaimStatus {
  const denied = lines.filter((line) => line.denied).length;
  if (denied === 0) return ClaimStatus.Approved;
  if (denied === lines.length) return ClaimStatus.Denied;
  return ClaimStatus.PartiallyApproved;
}

/**
 * Formats base units of a token with `decimals` as a decimal string with thousands separators, truncated (not rounded)
 * to `fractionDigits`: `formatAmount(1_234_500_000n, 6)` is "1,234.50".
 */
export function formatAmount(amount: bigint, decimals: number, fractionDigits = 2): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = abs % scale;
  const digits = fraction.toString().padStart(decimals, "0").slice(0, fractionDigits).padEnd(fractionDigits, "0");
  return `${negative ? "-" : ""}${whole.toLocaleString("en-US")}${fractionDigits > 0 ? "." + digits : ""}`;
}

/** A remittance as readable text: one line per service, the claim's totals, and the reasons in words. */
export function formatRemittance(remittance: Remittance, decimals: number, symbol = ""): string[] {
  const money = (amount: bigint) => `${symbol}${formatAmount(amount, decimals)}`;
  const day = (time: bigint) => new Date(Number(time) * 1000).toISOString().slice(0, 10);
  const rows = [
    `claim ${remittance.claimId.slice(0, 10)}… member ${remittance.member.slice(0, 10)}… plan #${remittance.plan} ` +
      `provider #${remittance.organization}: ${ClaimStatus[remittance.status]}`,
  ];
  for (const line of remittance.lines) {
    const outcome = line.denied
      ? `denied ${GROUP_CODES[line.group]}-${line.carc} (${CARC_DESCRIPTIONS[line.carc] ?? "unlisted reason"})`
      : `allowed ${money(line.allowed)}, deductible ${money(line.deductible)}, copay ${money(line.copay)}, ` +
        `coinsurance ${money(line.coinsurance)}`;
    rows.push(
      `  ${line.index + 1}. ${line.code} ×${line.units} on ${day(line.serviceDate)}: billed ${money(line.billed)}; ` +
        `${outcome}; plan pays ${money(line.planPays)}, patient owes ${money(line.patientOwes)}` +
        (line.reAdjudicated ? " (after appeal)" : ""),
    );
  }
  rows.push(
    `  total billed ${money(remittance.billed)}, plan pays ${money(remittance.planPays)}, ` +
      `patient owes ${money(remittance.patientOwes)}`,
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------------------------------

export interface PlanInfo {
  planId: bigint;
  payer: bigint;
  status: PlanStatus;
  terms: PlanTerms;
}

export interface EnrollmentInfo {
  seq: number;
  coverageStart: bigint;
  coverageEnd: bigint;
  deductibleMet: bigint;
  oopMet: bigint;
}

export interface PriorAuthInfo {
  authId: bigint;
  status: PriorAuthStatus;
  member: string;
  plan: bigint;
  code: string;
  requester: bigint;
  unitsRequested: bigint;
  unitsApproved: bigint;
  unitsLeft: bigint;
  validFrom: bigint;
  validTo: bigint;
}

export interface ClaimInfo {
  claimId: string;
  status: ClaimStatus;
  payment: PaymentStatus;
  adjudicatedAt: bigint;
  /** Indices of the denied lines. */
  deniedLines: number[];
  planPays: bigint;
  patientOwes: bigint;
  contentHash: string;
}

/** What a claim was submitted with, as `fileAppeal` and `decideAppeal` need it back. */
export interface ClaimContent {
  member: string;
  plan: bigint;
  organization: bigint;
  submitter: bigint;
  lines: bigint[];
  attachments: string[];
}

export interface AppealInfo {
  status: AppealStatus;
  payment: PaymentStatus;
  filedAt: bigint;
  decidedAt: bigint;
}

export interface PayerAccountInfo {
  balance: bigint;
  funded: bigint;
  /** Surplus the payer took back (`withdrawFunds`). */
  withdrawn: bigint;
  /** Queue entries `head` to `tail - 1` are unpaid. */
  head: bigint;
  tail: bigint;
}

export interface QueuedPaymentInfo {
  index: bigint;
  claimId: string;
  /** `CLAIM_PAYMENT` for a claim's adjudication total, else the overturned line. */
  line: number;
  organization: bigint;
  amount: bigint;
}

const bitsOf = (mask: bigint): number[] => {
  const indices: number[] = [];
  for (let i = 0; i < 16; i++) if ((mask >> BigInt(i)) & 1n) indices.push(i);
  return indices;
};

/**
 * Typed client of the claims module: the ClaimsAdjudicator and its PriorAuthorizations workflow. Writes wait for
 * their receipt and rethrow reverts as `CareLedgerError`; submitting a claim returns its remittance, decoded from the
 * receipt. Views return plain objects with enums.
 */
export class ClaimsClient {
  /**
   * @param since the block event scans start from by default: the deployment's first block (`deployedAtBlock`), so
   *   that a long chain is not read from its genesis.
   */
  constructor(
    readonly adjudicator: ClaimsAdjudicator,
    readonly priorAuths: PriorAuthorizations,
    readonly since = 0,
  ) {}

  static connect(
    runner: ContractRunner,
    deployment: Pick<Deployment, "claimsAdjudicator" | "priorAuthorizations" | "deployedAtBlock">,
  ): ClaimsClient {
    return new ClaimsClient(
      ClaimsAdjudicator__factory.connect(deployment.claimsAdjudicator, runner),
      PriorAuthorizations__factory.connect(deployment.priorAuthorizations, runner),
      deployment.deployedAtBlock ?? 0,
    );
  }

  /** The same module, acting through another runner (signer). */
  as(runner: ContractRunner): ClaimsClient {
    return new ClaimsClient(this.adjudicator.connect(runner), this.priorAuths.connect(runner), this.since);
  }

  // ---- plans -----------------------------------------------------------------------------------------------------

  /**
   * Creates the plan, loads its fee schedule and network in batches of at most `MAX_BATCH`, and activates it (unless
   * `activate` is false). Several transactions; returns the plan id and every receipt.
   */
  async createPlan(
    spec: PlanSpec,
    options: { activate?: boolean; batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
  ): Promise<{ planId: bigint; receipts: ContractTransactionReceipt[] }> {
    // Everything is checked before the first transaction, so that a bad spec never leaves a draft plan behind.
    for (const fee of spec.fees) checkFee(fee);
    const limit = Number(await this.adjudicator.MAX_BATCH());
    const size = options.batchSize ?? limit;
    if (!Number.isInteger(size) || size < 1 || size > limit) {
      throw new Error(`batchSize must be a whole number in [1, ${limit}], got ${size}`);
    }
    const receipt = await this.mine(() => this.adjudicator.createPlan(spec.terms));
    const planId = this.eventArg(receipt, "PlanCreated", "planId");
    const receipts = [receipt];
    for (let start = 0; start < spec.fees.length; start += size) {
      const batch = spec.fees.slice(start, start + size);
      receipts.push((await this.setFees(planId, batch)).receipt);
      options.onBatch?.(Math.min(start + size, spec.fees.length), spec.fees.length);
    }
    for (let start = 0; start < spec.network.length; start += size) {
      receipts.push((await this.setNetwork(planId, spec.network.slice(start, start + size), true)).receipt);
    }
    if (options.activate ?? true) receipts.push((await this.activatePlan(planId)).receipt);
    return { planId, receipts };
  }

  updatePlanTerms(planId: BigNumberish, terms: PlanTerms): Promise<Sent> {
    return this.send(() => this.adjudicator.updatePlanTerms(planId, terms));
  }

  setFees(planId: BigNumberish, fees: readonly FeeScheduleEntry[]): Promise<Sent> {
    return this.send(() =>
      this.adjudicator.setFees(
        planId,
        fees.map((fee) => ({ ...fee, code: procedureCode(fee.code), maxUnits: fee.maxUnits ?? 0 })),
      ),
    );
  }

  removeFees(planId: BigNumberish, codes: readonly string[]): Promise<Sent> {
    return this.send(() => this.adjudicator.removeFees(planId, codes.map(procedureCode)));
  }

  setNetwork(planId: BigNumberish, organizations: readonly BigNumberish[], inNetwork: boolean): Promise<Sent> {
    return this.send(() => this.adjudicator.setNetwork(planId, [...organizations], inNetwork));
  }

  activatePlan(planId: BigNumberish): Promise<Sent> {
    return this.send(() => this.adjudicator.activatePlan(planId));
  }

  /** Enrolls the member (pseudonym) for a period; periods go in chronological order. */
  async enroll(
    planId: BigNumberish,
    member: BytesLike,
    coverageStart: bigint,
    coverageEnd: bigint,
  ): Promise<Sent & { seq: number }> {
    const receipt = await this.mine(() => this.adjudicator.enroll(planId, member, coverageStart, coverageEnd));
    return { receipt, seq: Number(this.eventArg(receipt, "MemberEnrolled", "seq")) };
  }

  // ---- prior authorization ---------------------------------------------------------------------------------------

  async requestPriorAuth(request: {
    member: BytesLike;
    plan: BigNumberish;
    code: string;
    units: bigint;
    validFrom: bigint;
    validTo: bigint;
  }): Promise<Sent & { authId: bigint }> {
    const receipt = await this.mine(() =>
      this.priorAuths.requestPriorAuth(
        request.member,
        request.plan,
        procedureCode(request.code),
        request.units,
        request.validFrom,
        request.validTo,
      ),
    );
    return { receipt, authId: eventValue(this.priorAuths, receipt, "PriorAuthRequested", "authId") };
  }

  approvePriorAuth(authId: BigNumberish, units: bigint, validFrom: bigint, validTo: bigint): Promise<Sent> {
    return this.send(() => this.priorAuths.approvePriorAuth(authId, units, validFrom, validTo));
  }

  denyPriorAuth(authId: BigNumberish): Promise<Sent> {
    return this.send(() => this.priorAuths.denyPriorAuth(authId));
  }

  withdrawPriorAuth(authId: BigNumberish): Promise<Sent> {
    return this.send(() => this.priorAuths.withdrawPriorAuth(authId));
  }

  // ---- claims and appeals ----------------------------------------------------------------------------------------

  /** Submits the claim; it is adjudicated in the same transaction, and its remittance comes back decoded. */
  async submitClaim(claim: ClaimSubmission): Promise<Sent & { claimId: string; remittance: Remittance }> {
    const receipt = await this.mine(() =>
      this.adjudicator.submitClaim(
        claim.member,
        claim.plan,
        claim.reference,
        claim.lines.map(packLine),
        claim.attachments,
      ),
    );
    const [remittance] = decodeRemittances(this.adjudicator, plainLogs(receipt));
    if (remittance === undefined) throw new Error(`transaction ${receipt.hash} adjudicated no claim`);
    return { receipt, claimId: remittance.claimId, remittance };
  }

  /** Appeals the denial of one line; the claim's content is rebuilt from its events. */
  async fileAppeal(claimId: string, line: number, fromBlock = this.since): Promise<Sent> {
    const content = await this.claimContent(claimId, fromBlock);
    return this.send(() => this.adjudicator.fileAppeal(claimId, line, content));
  }

  /** A reviewer's decision on an appeal; the claim's content is rebuilt from its events. */
  async decideAppeal(
    claimId: string,
    line: number,
    overturn: boolean,
    fromBlock = this.since,
  ): Promise<Sent & { line?: EobLine }> {
    const content = await this.claimContent(claimId, fromBlock);
    const receipt = await this.mine(() => this.adjudicator.decideAppeal(claimId, line, overturn, content));
    for (const log of plainLogs(receipt)) {
      const parsed = decodeEvent(this.adjudicator.interface, log);
      if (parsed?.name === "LineAdjudicated") {
        const decoded = decodeLineResult(
          parsed.args.getValue("content") as bigint,
          parsed.args.getValue("decision") as bigint,
          parsed.args.getValue("shares") as bigint,
        );
        return { receipt, line: { ...decoded, reAdjudicated: true } };
      }
    }
    return { receipt };
  }

  // ---- payment ---------------------------------------------------------------------------------------------------

  /** Approves the adjudicator for `amount` of the settlement token if needed, then funds the caller's payer balance. */
  async fund(amount: bigint): Promise<Sent & { settled: number }> {
    const runner = this.adjudicator.runner;
    const owner =
      runner !== null && "getAddress" in runner
        ? await (runner as { getAddress(): Promise<string> }).getAddress()
        : ZeroAddress;
    const token = IERC20Metadata__factory.connect(await this.adjudicator.settlementToken(), runner);
    const spender = await this.adjudicator.getAddress();
    if ((await token.allowance(owner, spender)) < amount) {
      await this.mine(() => token.approve(spender, amount));
    }
    const receipt = await this.mine(() => this.adjudicator.fund(amount));
    return { receipt, settled: this.count(receipt, "QueuedPaymentCredited") };
  }

  async settleQueue(payer: BigNumberish, maxPayments: number): Promise<Sent & { settled: number }> {
    const receipt = await this.mine(() => this.adjudicator.settleQueue(payer, maxPayments));
    return { receipt, settled: this.count(receipt, "QueuedPaymentCredited") };
  }

  /** Sends the caller's organization its whole balance. */
  async withdraw(to: string): Promise<Sent & { amount: bigint }> {
    const receipt = await this.mine(() => this.adjudicator.withdraw(to));
    return { receipt, amount: this.eventArg(receipt, "ProviderWithdrew", "amount") };
  }

  /** The caller's payer takes back `amount` of its surplus (no payment of it may be waiting in its queue). */
  withdrawFunds(amount: bigint, to: string): Promise<Sent> {
    return this.send(() => this.adjudicator.withdrawFunds(amount, to));
  }

  // ---- views -----------------------------------------------------------------------------------------------------

  async plan(planId: BigNumberish): Promise<PlanInfo> {
    const plan = await withDecodedErrors(() => this.adjudicator.plan(planId));
    return {
      planId: BigInt(planId),
      payer: plan.payer,
      status: toPlanStatus(plan.status),
      terms: {
        deductible: plan.terms.deductible,
        oopMax: plan.terms.oopMax,
        coinsuranceBps: Number(plan.terms.coinsuranceBps),
        timelyFilingDays: Number(plan.terms.timelyFilingDays),
        appealWindowDays: Number(plan.terms.appealWindowDays),
      },
    };
  }

  /** The plan's fee schedule entry for `code`, or undefined when the code is not listed. */
  async fee(planId: BigNumberish, code: string): Promise<FeeScheduleEntry | undefined> {
    const [listed, entry] = await this.adjudicator.fee(planId, procedureCode(code));
    if (!listed) return undefined;
    return {
      code,
      allowedPerUnit: entry.allowedPerUnit,
      copay: entry.copay,
      requiresPriorAuth: entry.requiresPriorAuth,
      maxUnits: Number(entry.maxUnits),
    };
  }

  /** Whether the organization is in the plan's network. */
  inNetwork(planId: BigNumberish, organization: BigNumberish): Promise<boolean> {
    return this.adjudicator.inNetwork(planId, organization);
  }

  /** Every enrollment of the member in the plan, with its accumulators, in chronological order. */
  async enrollments(planId: BigNumberish, member: BytesLike): Promise<EnrollmentInfo[]> {
    const count = Number(await this.adjudicator.enrollmentCount(planId, member));
    const list: EnrollmentInfo[] = [];
    for (let seq = 0; seq < count; seq++) {
      const e = await this.adjudicator.enrollment(planId, member, seq);
      list.push({
        seq,
        coverageStart: e.coverageStart,
        coverageEnd: e.coverageEnd,
        deductibleMet: e.deductibleMet,
        oopMet: e.oopMet,
      });
    }
    return list;
  }

  async priorAuth(authId: BigNumberish): Promise<PriorAuthInfo> {
    const a = await withDecodedErrors(() => this.priorAuths.priorAuth(authId));
    return {
      authId: BigInt(authId),
      status: toPriorAuthStatus(a.status),
      member: a.member,
      plan: a.plan,
      code: procedureCodeText(a.code),
      requester: a.requester,
      unitsRequested: a.unitsRequested,
      unitsApproved: a.unitsApproved,
      unitsLeft: a.unitsLeft,
      validFrom: a.validFrom,
      validTo: a.validTo,
    };
  }

  async claim(claimId: string): Promise<ClaimInfo> {
    const c = await withDecodedErrors(() => this.adjudicator.claim(claimId));
    return {
      claimId,
      status: toClaimStatus(c.status),
      payment: toPaymentStatus(c.payment),
      adjudicatedAt: c.adjudicatedAt,
      deniedLines: bitsOf(c.deniedLines),
      planPays: c.planPays,
      patientOwes: c.patientOwes,
      contentHash: c.contentHash,
    };
  }

  async appeal(claimId: string, line: number): Promise<AppealInfo> {
    const a = await this.adjudicator.appeal(claimId, line);
    return {
      status: toAppealStatus(a.status),
      payment: toPaymentStatus(a.payment),
      filedAt: a.filedAt,
      decidedAt: a.decidedAt,
    };
  }

  /** The claim's content, rebuilt from its `ClaimAdjudicated`, first `LineAdjudicated` and attachment events. */
  async claimContent(claimId: string, fromBlock = this.since): Promise<ClaimContent> {
    const [adjudicated] = await queryFilterChunked(
      this.adjudicator,
      this.adjudicator.filters.ClaimAdjudicated(claimId),
      fromBlock,
    );
    if (adjudicated === undefined) throw new Error(`no claim ${claimId} was adjudicated since block ${fromBlock}`);
    const receipt = await adjudicated.getTransactionReceipt();
    const lines: bigint[] = [];
    let attachments: string[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== adjudicated.address.toLowerCase()) continue;
      const parsed = decodeEvent(this.adjudicator.interface, log);
      if (parsed === null || parsed.args.getValue("claimId") !== claimId) continue;
      if (parsed.name === "LineAdjudicated") lines.push(parsed.args.getValue("content") as bigint);
      if (parsed.name === "ClaimAttachments") attachments = [...(parsed.args.getValue("commitments") as string[])];
    }
    return {
      member: adjudicated.args.member,
      plan: adjudicated.args.planId,
      organization: adjudicated.args.organization,
      submitter: adjudicated.args.submitter,
      lines,
      attachments,
    };
  }

  /** The claim's remittance: its adjudication and any overturned lines since, from events. */
  async remittance(claimId: string, fromBlock = this.since): Promise<Remittance> {
    const provider = this.adjudicator.runner?.provider;
    const address = await this.adjudicator.getAddress();
    const logs =
      provider === null || provider === undefined
        ? []
        : await queryInRanges(
            (from, to) => provider.getLogs({ address, topics: [null, claimId], fromBlock: from, toBlock: to }),
            fromBlock,
            await provider.getBlockNumber(),
          );
    const [remittance] = decodeRemittances(this.adjudicator, logs);
    if (remittance === undefined) throw new Error(`no claim ${claimId} was adjudicated since block ${fromBlock}`);
    return remittance;
  }

  /** Every remittance of the member's claims since `fromBlock`: the patient's explanation of benefits. */
  async explanationOfBenefits(member: BytesLike, fromBlock = this.since): Promise<Remittance[]> {
    const adjudicated = await queryFilterChunked(
      this.adjudicator,
      this.adjudicator.filters.ClaimAdjudicated(undefined, hexlify(getBytes(member))),
      fromBlock,
    );
    const remittances: Remittance[] = [];
    for (const event of adjudicated) remittances.push(await this.remittance(event.args.claimId, event.blockNumber));
    return remittances;
  }

  async payerAccount(payer: BigNumberish): Promise<PayerAccountInfo> {
    const [balance, funded, withdrawn, head, tail] = await this.adjudicator.payerAccount(payer);
    return { balance, funded, withdrawn, head, tail };
  }

  /** The payer's unpaid payments, in the order they will be paid. */
  async payerQueue(payer: BigNumberish): Promise<QueuedPaymentInfo[]> {
    const { head, tail } = await this.payerAccount(payer);
    const queue: QueuedPaymentInfo[] = [];
    for (let index = head; index < tail; index++) {
      const entry = await this.adjudicator.queuedPayment(payer, index);
      queue.push({
        index,
        claimId: entry.claimId,
        line: Number(entry.line),
        organization: entry.organization,
        amount: entry.amount,
      });
    }
    return queue;
  }

  async providerAccount(organization: BigNumberish): Promise<{ balance: bigint; withdrawn: bigint }> {
    const [balance, withdrawn] = await this.adjudicator.providerAccount(organization);
    return { balance, withdrawn };
  }

  /** The successor the admin assigned to a revoked organization, or undefined. */
  async successorOf(organization: BigNumberish): Promise<bigint | undefined> {
    const successor = await this.adjudicator.successorOf(organization);
    return successor === 0n ? undefined : successor;
  }

  /**
   * Who is paid (and may appeal) for `organization`: the end of its chain of successors, or the organization
   * itself. The chain is at most `MAX_SUCCESSION_DEPTH` steps long.
   */
  async payeeOf(organization: BigNumberish): Promise<bigint> {
    let payee = BigInt(organization);
    for (
      let next = await this.adjudicator.successorOf(payee);
      next !== 0n;
      next = await this.adjudicator.successorOf(payee)
    ) {
      payee = next;
    }
    return payee;
  }

  /** The settlement token's address, symbol and decimals. */
  async settlementToken(): Promise<{ address: string; symbol: string; decimals: number }> {
    const address = await this.adjudicator.settlementToken();
    const token = IERC20Metadata__factory.connect(address, this.adjudicator.runner);
    return { address, symbol: await token.symbol(), decimals: Number(await token.decimals()) };
  }

  // ---- plumbing --------------------------------------------------------------------------------------------------

  private async send(call: () => Promise<ContractTransactionResponse>): Promise<Sent> {
    return { receipt: await this.mine(call) };
  }

  private mine(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return mined(call);
  }

  private eventArg(receipt: ContractTransactionReceipt, event: string, arg: string): bigint {
    return eventValue(this.adjudicator, receipt, event, arg);
  }

  private count(receipt: ContractTransactionReceipt, event: string): number {
    return plainLogs(receipt).filter((log) => decodeEvent(this.adjudicator.interface, log)?.name === event).length;
  }
}
