/**
 * Contract refusals as a person reads them. A `CareLedgerError` keeps the custom error's raw arguments for programs
 * (`RecordAnchorNotPermitted(1, 3, 3, 8)`); `explain` renders the same error for the operator who has to act on it:
 * every argument by what it is (a participant, a category or purpose by name, a timestamp as an ISO date, an amount in
 * the settlement token, a role by name), a sentence for the refusals people meet, and what to do about the common ones:
 *
 *   RecordAnchorNotPermitted — author 3 may not add Conditions to patient 1's chart: her consent decision is NoGrant; …
 *   IdentityCredentialExpiryInPast — the credential expiry 2020-01-01T23:59:59Z is not after the chain's time …; give …
 *   AccessManagedUnauthorized — 0x976E… may not call IdentityRegistry.suspend; it needs REGISTRAR (1), held by 0x3C44…
 *
 * How each argument reads is decided once per error from the compiled ABIs (`ERROR_ABIS`: each input's name and
 * internal type, e.g. `enum DataCategory`, `ParticipantId`, `uint48 expiry`), by the rules in `ruleFor` and the few
 * exceptions in `EXCEPTIONS`; `test/sdk/core/explain.test.ts` fails when an error of any ABI has an argument neither
 * names, so that a new error cannot print a bare number unnoticed.
 */
import type { ContractRunner, Signer } from "ethers";

import {
  AccessManaged__factory,
  AccessManager__factory,
  ClaimsAdjudicator__factory,
  IERC20Metadata__factory,
} from "../../typechain-types";
import {
  AdjustmentGroup,
  AppealStatus,
  ClaimStatus,
  PaymentStatus,
  PlanStatus,
  PriorAuthStatus,
  procedureCodeText,
} from "../claims/client";
import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  CATEGORY_COUNT,
  DataCategory,
  DecisionBasis,
  Purpose,
  PURPOSE_COUNT,
  RequestStatus,
  ReviewOutcome,
} from "../consent/scopes";
import { ControllerChange, ParticipantKind, ParticipantStatus } from "../identity/participants";
import { AmendmentStatus, RecordStatus } from "../records/client";
import { CaseStatus, LotStatus, RecallClass, Recipient, SuspectReason, UnitStatus } from "../supplychain/statuses";
import { AdverseEventStatus, SiteStatus, SubjectStatus, TrialAmendmentStatus, TrialStatus } from "../trials/statuses";
import { CONTRACT_NAMES, contractAt, CONTRACTS, interfaceOf } from "./contracts";
import { type Deployment, loadDeployment } from "./deployment";
import { CareLedgerError, decodeError, ERROR_ABIS, type RefusedCall } from "./errors";
import { describeRole, type RoleHolder, roleHolders } from "./governance";
import { PUBLIC_ROLE } from "./roles";
import { humanDuration, isoTime } from "./time";

// ---------------------------------------------------------------------------------------------------------------------
// How each argument reads
// ---------------------------------------------------------------------------------------------------------------------

/** The SDK's mirror of each Solidity enum an error argument can carry, by the Solidity type's name. */
const ENUMS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  ParticipantKind,
  ParticipantStatus,
  ControllerChange,
  DataCategory,
  Purpose,
  DecisionBasis,
  RequestStatus,
  ReviewOutcome,
  RecordStatus,
  AmendmentStatus,
  PlanStatus,
  ClaimStatus,
  PaymentStatus,
  AdjustmentGroup,
  PriorAuthStatus,
  AppealStatus,
  LotStatus,
  UnitStatus,
  RecallClass,
  SuspectReason,
  CaseStatus,
  Recipient,
  TrialStatus,
  SiteStatus,
  SubjectStatus,
  TrialAmendmentStatus,
  AdverseEventStatus,
};

/**
 * What an argument is, which decides how it reads: `participant` an id (`patient 1`); `time` Unix seconds (an ISO
 * date); `duration` seconds (`30 days`); `days` a count of days; `amount` base units of the settlement token; `wei`
 * the chain's own currency; `categories`/`purposes` consent bitmaps (by name); `role` an AccessManager role;
 * `function` a selector (by the function's name); `procedure-code` a CPT/HCPCS `bytes5`; `line` a claim line's index
 * (read from 1, as the tasks number lines); `bps` basis points; `enum X` a member of the SDK's enum X; `gtin` and
 * `sscc` GS1 keys (14 and 18 digits, leading zeros kept); `gs1-text` a serial or lot number (`bytes20` ASCII);
 * `gs1-date` a YYMMDD date as printed on a pack; `count`, `id`, `hex`, `address` and `raw` as they are.
 */
export type ArgumentKind =
  | "participant"
  | "address"
  | "time"
  | "duration"
  | "days"
  | "count"
  | "id"
  | "amount"
  | "wei"
  | "categories"
  | "purposes"
  | "role"
  | "function"
  | "procedure-code"
  | "line"
  | "bps"
  | "gtin"
  | "sscc"
  | "gs1-text"
  | "gs1-date"
  | "hex"
  | "raw"
  | `enum ${string}`;

/** One input of a custom error as the ABI declares it. */
export interface ErrorInput {
  name: string;
  type: string;
  internalType: string;
}

/** Names of uint arguments that hold a point in time (Unix seconds), beyond the suffixes `TIME_SUFFIX` catches. */
const TIME_NAMES = new Set(["expiry", "deadline", "now", "since", "until"]);
const TIME_SUFFIX = /(At|Time|Until|Since|From|To|By|Start|End|Date)$/;
const DURATION_NAMES = new Set(["duration", "maxDuration", "delay", "window"]);
/** Amounts of the settlement token (the claims module's and the token's own errors). */
const AMOUNT_NAMES = new Set(["balance", "amount", "needed", "allowance", "oopMax", "deductible"]);
const COUNT_NAMES = new Set([
  "count",
  "max",
  "limit",
  "size",
  "units",
  "threshold",
  "maxOpen",
  "maxPayments",
  "unpaid",
  "length",
  "depth",
  "holds",
  // the trials module: sites, strata and arms are numbered; consent form versions count up from 1
  "site",
  "stratum",
  "strata",
  "perStratum",
  "enrolled",
  "arm",
  "version",
  "consentedVersion",
  "majorVersion",
]);

/** The rules: an argument's kind from its ABI type, internal type and name; undefined when no rule knows it. */
export function ruleFor(input: ErrorInput): ArgumentKind | undefined {
  const { name, type, internalType } = input;
  const enumType = /^enum (?:\w+\.)?(\w+)$/.exec(internalType)?.[1];
  if (enumType !== undefined) return ENUMS[enumType] === undefined ? undefined : `enum ${enumType}`;
  if (internalType === "ParticipantId") return "participant";
  if (internalType === "MemberId" || type === "bytes32") return "hex";
  if (type === "address") return "address";
  if (type === "bytes4" && name === "selector") return "function";
  if (type === "bytes5" && name === "code") return "procedure-code";
  if (type === "bytes20" && (name === "serial" || name === "lot")) return "gs1-text";
  if (type === "uint64" && name === "gtin") return "gtin";
  if (type === "uint64" && (name === "sscc" || name === "container")) return "sscc";
  if (!/^uint\d+$/.test(type)) return undefined;
  // uint8 positions and uint16/uint32 sets of the consent scopes (the contracts pass them as plain integers)
  if (name === "category") return "enum DataCategory";
  if (name === "purpose") return "enum Purpose";
  if (name === "categories") return "categories";
  if (name === "purposes") return "purposes";
  if (name === "roleId") return "role";
  if (name === "line" || name === "index") return "line";
  if (TIME_NAMES.has(name) || TIME_SUFFIX.test(name)) return "time";
  if (DURATION_NAMES.has(name)) return "duration";
  if (name.endsWith("Days")) return "days";
  if (name.endsWith("Bps")) return "bps";
  if (name.endsWith("Id")) return "id";
  if (AMOUNT_NAMES.has(name)) return "amount";
  if (COUNT_NAMES.has(name)) return "count";
  return undefined;
}

/** Arguments the rules do not decide, or decide wrongly, by error and argument name. */
const EXCEPTIONS: Readonly<Record<string, Readonly<Record<string, ArgumentKind>>>> = {
  // the latest deadline a consent signature may carry: a time, though named like none
  IdentitySignatureDeadlineOutOfRange: { latest: "time" },
  // OpenZeppelin's Address.sendValue: the chain's own currency, which CareLedger never sends, not the token
  InsufficientBalance: { balance: "wei", needed: "wei" },
  ConsentInvalidNonce: { expected: "count", provided: "count" },
  ConsentNonceNotIncreased: { current: "count", requested: "count" },
  // OpenZeppelin's SafeCast and ShortStrings: internal faults, shown as they are
  SafeCastOverflowedUintDowncast: { bits: "count", value: "raw" },
  StringTooLong: { str: "raw" },
  // the YYMMDD printed on a pack, not Unix seconds
  SupplyInvalidExpiry: { expiry: "gs1-date" },
  SupplyExpiryInPast: { expiry: "gs1-date" },
  SupplyExpiryMismatch: { expiry: "gs1-date" },
  // an allocation index counts from 0 in its stratum, not a claim line
  TrialAllocationMismatch: { index: "count" },
  TrialStaleConsentVersion: { current: "count" },
  TrialInvalidPrimaryCompletion: { primaryCompletion: "time" },
  TrialProtocolInvalidPrimaryCompletion: { primaryCompletion: "time" },
  TrialSafetyInvalidRange: { from: "id", to: "id" },
};

/** How an argument is named in a list (`patient 1`, `expiry …`): its name in words, with a few put plainly. */
const LABELS: Readonly<Record<string, string>> = {
  id: "participant",
  authId: "prior authorization",
  msgsender: "sender",
  selector: "function",
  oopMax: "out-of-pocket maximum",
  currentTime: "now",
  latestEnd: "latest coverage end",
  coinsuranceBps: "coinsurance",
  appealWindowDays: "appeal window",
  timelyFilingDays: "timely filing window",
  maxOpen: "open sessions at most",
  index: "line",
  str: "text",
};

function label(name: string): string {
  return LABELS[name] ?? words(name.replace(/(.)Id$/, "$1"));
}

function words(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** One argument of one error, with how it reads. */
export interface ArgumentRendering extends ErrorInput {
  label: string;
  /** Undefined when neither the rules nor `EXCEPTIONS` name it: `unnamedArguments` reports it. */
  kind: ArgumentKind | undefined;
}

interface AbiItem {
  type: string;
  name?: string;
  inputs?: readonly { name: string; type: string; internalType?: string }[];
}

/** The table: every custom error of every ABI the decoder knows, and how each of its arguments reads. */
function renderingTable(): ReadonlyMap<string, readonly ArgumentRendering[]> {
  const table = new Map<string, ArgumentRendering[]>();
  for (const abi of ERROR_ABIS) {
    for (const item of abi as readonly AbiItem[]) {
      if (item.type !== "error" || item.name === undefined || table.has(item.name)) continue;
      const errorName = item.name;
      table.set(
        errorName,
        (item.inputs ?? []).map((input) => {
          const argument = { name: input.name, type: input.type, internalType: input.internalType ?? input.type };
          const kind = EXCEPTIONS[errorName]?.[input.name] ?? ruleFor(argument);
          return { ...argument, label: label(input.name), kind };
        }),
      );
    }
  }
  return table;
}

const RENDERINGS = renderingTable();

/** Every error the renderer knows, with how each argument reads. */
export function argumentRenderings(): ReadonlyMap<string, readonly ArgumentRendering[]> {
  return RENDERINGS;
}

/** `Error.argument (type)` for every argument no rule or exception names: must be empty. */
export function unnamedArguments(): string[] {
  const unnamed: string[] = [];
  for (const [errorName, inputs] of RENDERINGS) {
    for (const input of inputs) {
      if (input.kind === undefined) unnamed.push(`${errorName}.${input.name} (${input.internalType})`);
    }
  }
  return unnamed;
}

/** Entries of `EXCEPTIONS` and `EXPLANATIONS` that name no error or argument of the ABIs: must be empty. */
export function staleEntries(): string[] {
  const stale: string[] = [];
  for (const [errorName, exceptions] of Object.entries(EXCEPTIONS)) {
    const inputs = RENDERINGS.get(errorName);
    if (inputs === undefined) stale.push(`EXCEPTIONS.${errorName}`);
    for (const name of Object.keys(exceptions)) {
      if (!inputs?.some((input) => input.name === name)) stale.push(`EXCEPTIONS.${errorName}.${name}`);
    }
  }
  for (const errorName of Object.keys(EXPLANATIONS)) {
    if (!RENDERINGS.has(errorName)) stale.push(`EXPLANATIONS.${errorName}`);
  }
  return stale;
}

// ---------------------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------------------

/** What an explanation may know beyond the error itself; each part is optional and read from the chain if at all. */
export interface ExplainContext {
  /** The settlement token, to show amounts in (else they read as base units). */
  token?: { symbol: string; decimals: number };
  /** The deployment, to name CareLedger's contracts by their module. */
  deployment?: Deployment;
  /** The refused call: the contract and the function's selector. */
  call?: { target: string; selector: string };
  /**
   * The role the refused function (or the error's role argument) needs, whether it is closed, who holds it, and the
   * chain's time they were read at (`now`): a holder whose grant takes effect later (`since > now`) is not one yet.
   */
  access?: { roleId: bigint; holders?: readonly RoleHolder[]; closed?: boolean; now?: bigint };
}

/** Base units of a token as `tUSD 47,388.00`: at least two decimals, and every significant one (never rounded). */
export function tokenAmount(amount: bigint, token: { symbol: string; decimals: number }): string {
  const scale = 10n ** BigInt(token.decimals);
  const whole = (amount / scale).toLocaleString("en-US");
  const fraction = (amount % scale).toString().padStart(token.decimals, "0").replace(/0+$/, "");
  return `${token.symbol} ${whole}.${fraction.padEnd(2, "0")}`;
}

/** Members of a bitmap by name (`LaboratoryResults and Conditions`), the wildcard as `*`, undefined bits by position. */
function bitmapNames(set: bigint, names: Readonly<Record<number, string>>, count: number, wildcard: number): string {
  if (set === BigInt(wildcard)) return "* (every one)";
  if (set === 0n) return "none";
  const members: string[] = [];
  for (let position = 0; set >> BigInt(position) !== 0n; position++) {
    if (((set >> BigInt(position)) & 1n) === 0n) continue;
    members.push(position < count ? (names[position] ?? `bit ${position}`) : `bit ${position} (undefined)`);
  }
  return joined(members);
}

function joined(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`;
}

/**
 * A function by name: `IdentityRegistry.suspend` where the contract is known (from the deployment) or the selector
 * belongs to one CareLedger contract only; otherwise the name alone (`pause`, which every module has), or the selector.
 */
export function functionName(selector: string, target?: string, deployment?: Deployment): string {
  const at = target === undefined || deployment === undefined ? undefined : contractAt(deployment, target);
  const matches = (at === undefined ? CONTRACT_NAMES : [at]).flatMap((name) => {
    const fragment = interfaceOf(name).getFunction(selector);
    return fragment === null ? [] : [{ contract: CONTRACTS[name].contract, fn: fragment.name }];
  });
  const where = target === undefined || at !== undefined ? "" : ` on ${target}`;
  const [first] = matches;
  if (first === undefined) return `${at === undefined ? "" : `${CONTRACTS[at].contract}.`}${selector}${where}`;
  if (matches.length === 1) return `${first.contract}.${first.fn}`;
  return `${first.fn}${where}`;
}

/** A serial or lot number as printed: the `bytes20`'s ASCII up to its zero padding; the hex if it is not printable. */
function gs1Text(hex: string): string {
  const text = Buffer.from(hex.replace(/^0x/, ""), "hex").toString("latin1").replace(/\0+$/, "");
  return /^[\x21-\x7e]+$/.test(text) ? `"${text}"` : hex;
}

/** A YYMMDD date as printed on a pack (`281231` → `2028-12-31`; DD 00 is the month's last day). */
function gs1Date(yymmdd: bigint): string {
  const digits = yymmdd.toString().padStart(6, "0");
  if (digits.length !== 6) return `${yymmdd} (not a YYMMDD date)`;
  const day = digits.slice(4) === "00" ? "the month's last day" : digits.slice(4);
  return `20${digits.slice(0, 2)}-${digits.slice(2, 4)}-${day === digits.slice(4) ? day : `(${day})`} (${digits})`;
}

function renderValue(kind: ArgumentKind, value: unknown, context: ExplainContext): string {
  const number = typeof value === "bigint" ? value : undefined;
  if (kind.startsWith("enum ")) {
    const type = kind.slice("enum ".length);
    return ENUMS[type]?.[Number(value)] ?? `${String(value)} (not defined in ${type})`;
  }
  if (number === undefined) {
    if (kind === "function") return functionName(String(value), context.call?.target, context.deployment);
    if (kind === "gs1-text") return gs1Text(String(value));
    if (kind === "procedure-code") {
      const text = procedureCodeText(String(value));
      return /^[0-9A-Z]{5}$/.test(text) ? text : String(value);
    }
    return String(value);
  }
  switch (kind) {
    case "time":
      return isoTime(number);
    case "duration":
      return humanDuration(number);
    case "days":
      return `${number} day${number === 1n ? "" : "s"}`;
    case "amount":
      return context.token === undefined ? `${number} (base units)` : tokenAmount(number, context.token);
    case "wei":
      return `${number} wei`;
    case "categories":
      return bitmapNames(number, DataCategory, CATEGORY_COUNT, ALL_CATEGORIES);
    case "purposes":
      return bitmapNames(number, Purpose, PURPOSE_COUNT, ALL_PURPOSES);
    case "role":
      return describeRole(number);
    case "line":
      return String(number + 1n);
    case "bps":
      return `${(Number(number) / 100).toFixed(2)} %`;
    case "gtin":
      return number.toString().padStart(14, "0");
    case "sscc":
      return number.toString().padStart(18, "0");
    case "gs1-date":
      return gs1Date(number);
    default:
      return number.toString();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Sentences and what to do
// ---------------------------------------------------------------------------------------------------------------------

/** An error's arguments as a sentence reads them: `v("id")` the value (`1`), `n("id")` with its label (`participant 1`). */
interface Rendered {
  v(name: string): string;
  n(name: string): string;
  raw(name: string): unknown;
  context: ExplainContext;
}

interface Explanation {
  /** The error as a sentence, in place of the list of its arguments. */
  says?: (a: Rendered) => string;
  /** What to do about it. */
  hint?: string | ((a: Rendered) => string | undefined);
}

const FROM_PATIENT = "send it from the patient's key or her representative's (--from)";
const NEW_KEY_CONSENT = "have that key sign (careledger:identity:consent) and pass what it prints as --consent";

const transition =
  (subject: (a: Rendered) => string) =>
  (a: Rendered): string =>
    `${subject(a)} is ${a.v("from")}; it cannot become ${a.v("to")}`;

/**
 * Sentences and hints for the refusals operators meet; the rest read as the error's name and its arguments named.
 * Each sentence says what the contract's NatSpec says the error means, with the values in place.
 */
const EXPLANATIONS: Readonly<Record<string, Explanation>> = {
  // --- the AccessManager and the modules' access control, pausing ------------------------------------------------
  AccessManagedUnauthorized: { says: unauthorized, hint: unauthorizedHint },
  AccessManagedRequiredDelay: {
    says: (a) => `${a.v("caller")} holds the role with an execution delay of ${a.v("delay")}`,
    hint: "schedule the call on the AccessManager, then execute it once the delay has passed",
  },
  AccessManagerUnauthorizedAccount: {
    says: (a) => `${a.v("msgsender")} does not hold ${a.v("roleId")}${holdersClause(a.context)}`,
  },
  AccessManagerUnauthorizedCall: {
    says: (a) => `${a.v("caller")} may not call ${a.v("selector")}${roleClause(a.context)}`,
  },
  AccessManagerNotScheduled: {
    says: (a) => `${a.n("operationId")} is not scheduled`,
    hint: "a role held with an execution delay schedules the call first, and executes it once the delay has passed",
  },
  AccessManagerNotReady: {
    says: (a) => `${a.n("operationId")} is scheduled, but its delay has not passed`,
    hint: "execute it once it has",
  },
  AccessManagerExpired: { says: (a) => `${a.n("operationId")} expired unexecuted`, hint: "schedule it again" },
  AccessManagerAlreadyScheduled: {
    says: (a) => `${a.n("operationId")} is scheduled already`,
    hint: "execute it once due, or cancel it",
  },
  EnforcedPause: { hint: "the module is paused; careledger:status shows it; the admin unpauses" },
  ExpectedPause: { hint: "the module is not paused" },

  // --- identity -----------------------------------------------------------------------------------------------
  IdentityAccountAlreadyBound: {
    says: (a) => `${a.v("account")} controls an id, or did: a key retired from an id never binds again`,
    hint: "use a new key",
  },
  IdentityUnknownParticipant: {
    says: (a) => `no participant has id ${a.v("id")}`,
    hint: "check the id (careledger:identity:show)",
  },
  IdentityNotController: {
    says: (a) => `${a.n("id")} is not controlled by ${a.v("account")}`,
    hint: "send it from the participant's key (--from)",
  },
  IdentityParticipantInactive: {
    says: (a) =>
      `${a.n("id")} is not active (suspended, revoked, its credential expired, or not yet accepted by an organization)`,
    hint: (a) => `careledger:identity:show --id ${a.v("id")} shows why`,
  },
  IdentityParticipantRevoked: { says: (a) => `${a.n("id")} is revoked, for good` },
  IdentityWrongKind: {
    says: (a) => `${a.n("id")} is of kind ${a.v("actual")}, not ${a.v("expected")}`,
  },
  IdentityKindNotRegistrable: {
    says: (a) => `a registrar cannot register a participant of kind ${a.v("kind")}`,
    hint: (a) =>
      a.raw("kind") === BigInt(ParticipantKind.Patient)
        ? "patients register themselves (careledger:identity:register-patient)"
        : undefined,
  },
  IdentityCredentialExpiryInPast: {
    says: (a) => `the credential expiry ${a.v("expiry")} is not after the chain's time ${a.v("currentTime")}`,
    hint: "give an --expires in the future",
  },
  IdentityInvalidAffiliation: {
    says: (a) => `a participant of kind ${a.v("kind")} cannot have affiliation ${a.v("affiliation")}`,
    hint: "practitioners and devices name an active institution as --affiliation; other kinds name none",
  },
  IdentityInvalidStatusTransition: {
    says: transition((a) => a.n("id")),
    hint: "revocation is final, and only an active participant is suspended",
  },
  IdentityAlreadyProofed: { says: (a) => `${a.n("id")}'s identity is proofed already` },
  IdentitySignatureDeadlineOutOfRange: {
    says: (a) =>
      `the consent signature's deadline ${a.v("deadline")} is not between the chain's time ` +
      `${a.v("currentTime")} and ${a.v("latest")}`,
    hint: `sign again: ${NEW_KEY_CONSENT}`,
  },
  IdentityInvalidKeySignature: {
    says: (a) => `the consent signature is not ${a.v("account")}'s for this registration or change of control`,
    hint: NEW_KEY_CONSENT,
  },
  IdentityInvalidGuardianSet: {
    says: (a) => `${a.v("count")} guardian(s) with threshold ${a.v("threshold")}`,
    hint: "name distinct active guardians other than the patient and a threshold from 1 to their number (none and 0 clear them)",
  },
  IdentityInvalidGuardian: {
    says: (a) => `${a.n("guardian")} cannot be a guardian: named twice, the patient herself, or not active`,
  },
  IdentityNotGuardian: {
    says: (a) => `${a.v("account")} is not the key of an active guardian of ${a.n("patient")}`,
    hint: "send it from a guardian's key (--from)",
  },
  IdentityNoPendingRecovery: {
    says: (a) => `no live recovery of ${a.n("patient")} to ${a.v("newController")}`,
    hint: "a guardian approves one first (careledger:identity:recover --action approve --to …)",
  },
  IdentityRecoveryNotReady: {
    says: (a) =>
      a.raw("readyAt") === 0n
        ? `the recovery of ${a.n("patient")} has not yet been approved by enough guardians`
        : `the recovery of ${a.n("patient")} can be executed from ${a.v("readyAt")}`,
    hint: (a) => (a.raw("readyAt") === 0n ? undefined : "execute it then"),
  },
  IdentityNotRecoveryParty: {
    says: (a) => `${a.v("account")} is neither ${a.n("patient")}'s key nor an active guardian's`,
  },
  IdentityRecoveryNotForPatients: {
    says: (a) => `${a.n("id")} is a patient`,
    hint: "patients recover through their guardians (careledger:identity:recover)",
  },
  IdentityNoGuardianChange: { says: (a) => `${a.n("patient")} has no guardian change waiting` },
  IdentityGuardianChangeNotReady: {
    says: (a) => `${a.n("patient")}'s guardian change takes effect at ${a.v("effectiveAt")}`,
    hint: "confirm it then",
  },
  IdentityInvalidRepresentative: {
    says: (a) =>
      `${a.n("representative")} cannot represent: a representative is an active patient or practitioner other ` +
      "than the patient",
  },
  IdentityRepresentationExpiryInPast: {
    says: (a) => `the appointment's expiry ${a.v("expiresAt")} is not after the chain's time ${a.v("currentTime")}`,
    hint: "give an --expires in the future",
  },
  IdentityNotRepresentative: { says: (a) => `${a.n("representative")} does not represent ${a.n("patient")}` },
  IdentityNotAnInstitution: {
    says: (a) => `${a.v("account")} is not the key of an active institution`,
    hint: "send it from the organization's key (--from)",
  },
  IdentityNoAffiliationOffer: {
    says: (a) => `no registrar offered ${a.n("id")} to ${a.n("organization")}`,
    hint: "a registrar offers it first (careledger:identity:offer-affiliate)",
  },
  IdentityNotAffiliated: { says: (a) => `${a.n("id")} is not affiliated with ${a.n("organization")}` },
  IdentifierNotAnInstitution: {
    says: (a) => `${a.v("account")} is not the key of an active institution: only institutions attest identifiers`,
    hint: "send it from the issuing institution's key (--from)",
  },
  IdentifierNotPatientKey: {
    says: (a) => `${a.v("account")} is not ${a.n("patient")}'s active key`,
    hint: "send it from the patient's key (--from)",
  },
  IdentifierAlreadyBound: {
    says: (a) => `${a.n("issuer")}'s identifier ${a.v("commitment")} is bound to a patient already`,
    hint: "withdraw it first (careledger:identity:withdraw-identifier)",
  },

  // --- consent ------------------------------------------------------------------------------------------------
  ConsentUnauthorizedActor: {
    says: (a) => `${a.v("account")} is neither ${a.n("patient")}'s key nor an active representative's`,
    hint: FROM_PATIENT,
  },
  ConsentNotAPatient: { says: (a) => `${a.n("patient")} is not a registered patient` },
  ConsentInvalidGrantee: {
    says: (a) => `${a.n("grantee")} cannot be a grantee: it must be an active participant other than a patient`,
  },
  ConsentInvalidWindow: {
    says: (a) => `the window from ${a.v("validFrom")} to ${a.v("validUntil")} is not allowed`,
    hint: "it must end in the future and after it starts, and start soon enough (--from-time, --days or --until)",
  },
  ConsentDurationTooLong: {
    says: (a) =>
      `the grant would last ${a.v("duration")}; the policy allows at most ${a.v("maxDuration")} for these purposes`,
    hint: "grant fewer --days, or an earlier --until",
  },
  ConsentNoLiveGrant: { says: (a) => `${a.n("patient")} has no grant in force for ${a.n("grantee")}` },
  ConsentNotNarrower: {
    says: (a) => `the change to ${a.n("patient")}'s grant to ${a.n("grantee")} is not narrower`,
    hint: "a narrowing adds no category or purpose and ends no later",
  },
  ConsentSignatureExpired: {
    says: (a) => `the signature expired at ${a.v("deadline")} (the chain's time is ${a.v("currentTime")})`,
    hint: "sign again",
  },
  ConsentInvalidRequestTransition: { says: transition((a) => a.n("requestId")) },
  ConsentApprovalExceedsRequest: {
    says: (a) => `the approval is wider than ${a.n("requestId")} asked`,
    hint: "approve as asked or narrower",
  },
  ConsentUnknownRequest: { says: (a) => `no access request has id ${a.v("requestId")}` },
  ConsentInvalidRequester: {
    says: (a) => `${a.v("account")} does not control an active participant that may request access`,
  },
  BreakGlassNotAuthorized: {
    says: (a) => `${a.v("account")} is not an active practitioner of an active organization authorized for emergencies`,
    hint: "a registrar authorizes the organization (careledger:consent:authorize-emergency)",
  },
  BreakGlassDurationOutOfRange: {
    says: (a) => `a session of ${a.v("duration")} is longer than the policy's ${a.v("maxDuration")}`,
    hint: "ask for fewer --hours",
  },
  BreakGlassAlreadyOpen: {
    says: (a) => `${a.n("practitioner")} holds ${a.n("sessionId")} on ${a.n("patient")} open already`,
  },
  BreakGlassUnknownSession: {
    says: (a) => `no break-glass session has id ${a.v("sessionId")}`,
    hint: "careledger:consent:unreviewed lists those awaiting review",
  },
  BreakGlassInvalidReview: {
    says: (a) => `${a.n("sessionId")} is reviewed already, or the outcome given is ${a.v("outcome")}`,
  },

  // --- records ------------------------------------------------------------------------------------------------
  RecordAnchorNotPermitted: {
    says: (a) =>
      `${a.n("author")} may not add ${a.v("category")} to ${a.n("patient")}'s chart: ` +
      `her consent decision is ${a.v("basis")}`,
    hint: "the patient grants it that category for treatment (careledger:consent:grant)",
  },
  RecordInvalidAuthor: {
    says: (a) => `${a.v("account")} is not the key of an active practitioner, organization, device or patient`,
  },
  RecordUnauthorizedPatientActor: {
    says: (a) => `${a.v("account")} is neither ${a.n("patient")}'s key nor an active representative's`,
    hint: FROM_PATIENT,
  },
  RecordNotCurator: { says: (a) => `${a.v("account")} is not a curator of record ${a.v("commitment")}` },
  RecordInvalidTransition: { says: transition((a) => `record ${a.v("commitment")}`) },
  RecordUnknown: { says: (a) => `nothing is anchored under ${a.v("commitment")} for ${a.n("patient")}` },
  RecordAlreadyAnchored: { says: (a) => `${a.n("patient")} has a version under ${a.v("commitment")} already` },

  // --- claims -------------------------------------------------------------------------------------------------
  ClaimsNotAPayer: {
    says: (a) => `${a.v("account")} is not the key of an active payer`,
    hint: "send it from the payer's key (--from)",
  },
  ClaimsNotPlanPayer: {
    says: (a) => `${a.v("account")} is not the active payer that owns ${a.n("planId")}`,
    hint: "send it from the plan's payer (--from)",
  },
  ClaimsUnknownPlan: { says: (a) => `no plan has id ${a.v("planId")}` },
  ClaimsPlanNotActive: { says: (a) => `${a.n("planId")} is ${a.v("status")}, not Active` },
  ClaimsEnrollmentNotAfterLatest: {
    says: (a) => `member ${a.v("member")}'s latest coverage in ${a.n("planId")} ends ${a.v("latestEnd")}`,
    hint: "enroll a period that starts after it (--start)",
  },
  ClaimsOrganizationNotActive: {
    says: (a) => `${a.n("organization")} is not active (suspended, revoked, or its credential expired)`,
    hint: "its practitioners cannot bill or appeal for it until it is reinstated",
  },
  ClaimsDuplicateReference: {
    says: (a) => `the organization submitted ${a.n("claimId")} already`,
    hint: "careledger:claim:show shows it",
  },
  ClaimsUnknownClaim: { says: (a) => `no claim has id ${a.v("claimId")}` },
  ClaimsLineNotDenied: {
    says: (a) => `line ${a.v("line")} of ${a.n("claimId")} was not denied: only a denied line is appealed`,
  },
  ClaimsNotClaimProvider: {
    says: (a) => `${a.v("account")} neither submitted ${a.n("claimId")} nor is its billing organization`,
    hint: "send it from the submitter's key (--from)",
  },
  ClaimsAppealWindowClosed: { says: (a) => `the appeal window of ${a.n("claimId")} closed at ${a.v("deadline")}` },
  ClaimsInvalidAppealTransition: {
    says: transition((a) => `the appeal of line ${a.v("line")} of ${a.n("claimId")}`),
    hint: "a line is appealed once",
  },
  ClaimsReviewerNotOfPayer: {
    says: (a) => `${a.v("reviewer")} is not an active practitioner affiliated with ${a.n("payer")}`,
    hint: "the plan's payer decides its appeals: send it from one of its reviewers (--from)",
  },
  ClaimsInsufficientBalance: {
    says: (a) => `${a.n("payer")} holds ${a.v("balance")}, asked ${a.v("amount")}`,
  },
  ClaimsNothingToWithdraw: { says: (a) => `${a.v("account")} is owed nothing` },
  ClaimsPayerHasQueue: {
    says: (a) => `${a.n("payer")} has ${a.v("unpaid")} queued payment(s) unpaid`,
    hint: "settle them first (careledger:settle)",
  },
  ClaimsServiceDateInFuture: {
    says: (a) => `line ${a.v("index")} has a service date in the future, ${a.v("serviceDate")}`,
  },
  ClaimsTooManyUnits: {
    says: (a) => `line ${a.v("index")} bills ${a.v("units")} units, more than ${a.v("max")}`,
  },
  PriorAuthNotPlanPayer: {
    says: (a) => `${a.v("account")} is not the active payer of ${a.n("planId")}`,
    hint: "send it from the plan's payer (--from)",
  },
  PriorAuthNotRequired: {
    says: (a) => `${a.n("planId")} does not require authorization for ${a.v("code")}`,
  },
  PriorAuthInvalidTransition: { says: transition((a) => a.n("authId")) },
  ERC20InsufficientBalance: {
    says: (a) => `${a.v("sender")} holds ${a.v("balance")} of the settlement token, needs ${a.v("needed")}`,
  },
  ERC20InsufficientAllowance: {
    says: (a) => `${a.v("spender")} may spend ${a.v("allowance")} of the settlement token, needs ${a.v("needed")}`,
  },

  // --- trials -------------------------------------------------------------------------------------------------
  TrialUnknown: { says: (a) => `no trial has id ${a.v("trialId")}`, hint: "check the id (careledger:trial:report)" },
  TrialNotSponsor: {
    says: (a) => `${a.v("account")} is not the active key of trial ${a.v("trialId")}'s sponsor`,
    hint: "send it from the sponsor's key (--from)",
  },
  TrialNotEthicsCommittee: {
    says: (a) => `${a.v("account")} is not the active key of trial ${a.v("trialId")}'s ethics committee`,
    hint: "send it from the ethics committee's key (--from)",
  },
  TrialNotInvestigator: {
    says: (a) =>
      `${a.v("account")} is not the active key of the principal investigator of site ${a.v("site")} of trial ${a.v("trialId")}`,
    hint: "send it from the site's investigator, still affiliated with the site's organization (--from)",
  },
  TrialNotRandomizer: {
    says: (a) => `${a.v("account")} is not the active key of trial ${a.v("trialId")}'s randomization service`,
  },
  TrialDatabaseLocked: {
    says: (a) => `trial ${a.v("trialId")}'s database is locked (since ${a.v("lockedAt")}): nothing more is accepted`,
    hint: "the sponsor asks to unlock it (careledger:trial:unlock --reason) and the ethics committee or regulator approves",
  },
  TrialStaleConsentVersion: {
    says: (a) =>
      `the consent signed is version ${a.v("version")}; trial ${a.v("trialId")}'s current one is ${a.v("current")}`,
    hint: "have the participant sign the current version (careledger:trial:sign-consent)",
  },
  TrialConsentNotGranted: {
    says: (a) =>
      `the consent registry does not allow trial ${a.v("trialId")}'s sponsor ${a.v("category")} of ${a.n("patient")}'s data for research: ${a.v("basis")}`,
    hint: "the patient grants the sponsor the trial's categories for research (careledger:consent:grant)",
  },
  TrialReconsentRequired: {
    says: (a) =>
      `${a.n("patient")} signed consent version ${a.v("consentedVersion")}, before major version ${a.v("majorVersion")}: no data until they re-consent`,
    hint: "the participant signs the current version (careledger:trial:reconsent)",
  },
  TrialSubjectNotEnrolled: {
    says: (a) => `${a.n("patient")} is not enrolled in trial ${a.v("trialId")} (${a.v("status")})`,
  },
  TrialAllocationMismatch: {
    says: (a) =>
      `the proof does not show this allocation at stratum ${a.v("stratum")}, index ${a.v("index")} of trial ${a.v("trialId")}'s committed sequence`,
    hint: "reveal from the allocation file whose root the sponsor committed",
  },
  TrialNoAllocation: {
    says: (a) => `trial ${a.v("trialId")} has no committed allocation sequence: no one can be enrolled`,
    hint: "the sponsor commits one (careledger:trial:randomize)",
  },
  TrialNotOversight: {
    says: (a) =>
      `${a.v("account")} is the key of neither trial ${a.v("trialId")}'s ethics committee nor its regulator: the sponsor never unlocks alone`,
  },
  TrialProtocolNotLocked: {
    says: (a) => `trial ${a.v("trialId")}'s database is not locked: results are reported against a locked dataset`,
    hint: "the sponsor locks it first (careledger:trial:lock)",
  },
  TrialSafetyNotReporter: {
    says: (a) =>
      `${a.v("account")} is neither the investigator of ${a.n("patient")}'s site nor trial ${a.v("trialId")}'s sponsor`,
  },
};

function roleClause(context: ExplainContext): string {
  const access = context.access;
  if (access === undefined) return "";
  if (access.closed === true) return "; the admin has closed the contract to every caller";
  if (access.roleId === PUBLIC_ROLE) return "";
  return `; it needs ${describeRole(access.roleId)}${holdersClause(context)}`;
}

function holdersClause(context: ExplainContext): string {
  const holders = context.access?.holders;
  if (holders === undefined) return "";
  if (holders.length === 0) return ", held by no one";
  const named = holders.map((holder) => {
    const notes = [
      ...(holder.executionDelay === 0n ? [] : [`execution delay ${humanDuration(holder.executionDelay)}`]),
      ...(pending(holder, context) ? [`from ${isoTime(holder.since)}`] : []),
    ];
    return notes.length === 0 ? holder.account : `${holder.account} (${notes.join(", ")})`;
  });
  return `, held by ${joined(named)}`;
}

/** Whether a holder's grant has yet to take effect (the role's grant delay), as of the time the holders were read. */
function pending(holder: RoleHolder, context: ExplainContext): boolean {
  const now = context.access?.now;
  return now !== undefined && holder.since > now;
}

function unauthorized(a: Rendered): string {
  const { call, deployment } = a.context;
  if (call === undefined) return `${a.v("caller")} lacks the role this function needs`;
  return `${a.v("caller")} may not call ${functionName(call.selector, call.target, deployment)}${roleClause(a.context)}`;
}

function unauthorizedHint(a: Rendered): string {
  const holders = a.context.access?.holders;
  if (a.context.access?.closed === true) return "the admin reopens it on the AccessManager";
  if (holders === undefined) return "careledger:status lists who holds each role";
  if (holders.length === 0) return "the admin grants the role first";
  if (holders.every((holder) => pending(holder, a.context))) {
    return "send it from a holder's key (--from) once its grant takes effect, or the admin grants the role";
  }
  return "send it from a holder's key (--from), or the admin grants the role";
}

// ---------------------------------------------------------------------------------------------------------------------
// Explaining
// ---------------------------------------------------------------------------------------------------------------------

/**
 * The refusal as one line for people: `Name — what it means[; what to do]`, every argument named and shown by what
 * it is. An error the renderer does not know reads as its raw message.
 */
export function explain(error: CareLedgerError, context: ExplainContext = {}): string {
  const inputs = RENDERINGS.get(error.errorName);
  if (inputs === undefined) return error.message;
  const rendered = new Map<string, { value: string; named: string; raw: unknown }>();
  inputs.forEach((input, index) => {
    const raw: unknown = error.args[index];
    const value = input.kind === undefined ? String(raw) : renderValue(input.kind, raw, context);
    rendered.set(input.name, { value, named: `${input.label} ${value}`, raw });
  });
  const argument = (name: string) => {
    const found = rendered.get(name);
    if (found === undefined) throw new Error(`${error.errorName} has no argument ${name}`);
    return found;
  };
  const a: Rendered = {
    v: (name) => argument(name).value,
    n: (name) => argument(name).named,
    raw: (name) => argument(name).raw,
    context,
  };
  const explanation = EXPLANATIONS[error.errorName];
  const body = explanation?.says?.(a) ?? [...rendered.values()].map(({ named }) => named).join(", ");
  const hint = typeof explanation?.hint === "function" ? explanation.hint(a) : explanation?.hint;
  const text = [body, hint].filter((part) => part !== undefined && part !== "").join("; ");
  return text === "" ? error.errorName : `${error.errorName} — ${text}`;
}

/**
 * Reads from the chain what makes a refusal actionable: for an unauthorized caller the refused function, the role it
 * needs and who holds it (from the AccessManager's events); for an amount, the settlement token. What cannot be read
 * is left out: an explanation never fails where the raw error would not.
 */
export async function refusalContext(
  error: CareLedgerError,
  runner: ContractRunner,
  deployment?: Deployment,
): Promise<ExplainContext> {
  const context: ExplainContext = deployment === undefined ? {} : { deployment };
  const inputs = RENDERINGS.get(error.errorName) ?? [];
  if (deployment !== undefined && inputs.some((input) => input.kind === "amount")) {
    await attempt(async () => {
      const adjudicator = ClaimsAdjudicator__factory.connect(deployment.claimsAdjudicator, runner);
      const token = IERC20Metadata__factory.connect(await adjudicator.settlementToken(), runner);
      context.token = { symbol: await token.symbol(), decimals: Number(await token.decimals()) };
    });
  }
  const transaction = error.transaction;
  if (error.errorName === "AccessManagedUnauthorized" && transaction !== undefined && sentBy(transaction, error)) {
    context.call = { target: transaction.to, selector: transaction.data.slice(0, 10) };
    await attempt(async () => {
      const manager =
        deployment?.accessManager ?? (await AccessManaged__factory.connect(transaction.to, runner).authority());
      context.access = await access(runner, manager, transaction.to, transaction.data.slice(0, 10), deployment);
    });
  } else if (error.errorName === "AccessManagerUnauthorizedCall") {
    const [, target, selector] = error.args as unknown as [string, string, string];
    context.call = { target, selector };
    const manager = deployment?.accessManager ?? transaction?.to;
    if (manager !== undefined)
      await attempt(async () => (context.access = await access(runner, manager, target, selector, deployment)));
  } else if (error.errorName === "AccessManagerUnauthorizedAccount") {
    const roleId = error.args[1] as bigint;
    const manager = deployment?.accessManager ?? transaction?.to;
    if (manager !== undefined) {
      await attempt(async () => {
        context.access = { roleId, ...(await holdersNow(runner, manager, roleId, deployment)) };
      });
    }
  }
  return context;
}

/**
 * Whether the refused caller sent the transaction itself: a module calling another's restricted function (the caller
 * a contract) is refused inside a transaction whose function is not the one refused.
 */
function sentBy(transaction: RefusedCall, error: CareLedgerError): boolean {
  const caller = error.args[0] as string;
  return transaction.from === undefined || transaction.from.toLowerCase() === caller.toLowerCase();
}

async function access(
  runner: ContractRunner,
  manager: string,
  target: string,
  selector: string,
  deployment: Deployment | undefined,
): Promise<NonNullable<ExplainContext["access"]>> {
  const accessManager = AccessManager__factory.connect(manager, runner);
  const roleId = await accessManager.getTargetFunctionRole(target, selector);
  const closed = await accessManager.isTargetClosed(target);
  if (closed || roleId === PUBLIC_ROLE) return { roleId, closed };
  return { roleId, closed, ...(await holdersNow(runner, manager, roleId, deployment)) };
}

/** The holders of `roleId`, read from the deployment's first block, and the chain's time they are read at. */
async function holdersNow(
  runner: ContractRunner,
  manager: string,
  roleId: bigint,
  deployment: Deployment | undefined,
): Promise<{ holders: RoleHolder[]; now?: bigint }> {
  const fromBlock = deployment?.deployedAtBlock ?? 0;
  const [holders, block] = await Promise.all([
    roleHolders(runner, manager, { roles: [roleId], fromBlock }),
    runner.provider?.getBlock("latest"),
  ]);
  return block === null || block === undefined ? { holders } : { holders, now: BigInt(block.timestamp) };
}

async function attempt(read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch {
    // left out of the explanation
  }
}

/**
 * Whatever an SDK call or a task threw, explained as one line if it is a contract's refusal, else undefined: the one
 * way a refusal is explained, for programs and for every task. With a runner, what makes it actionable is read from
 * the chain (`refusalContext`): the deployment given, else the one recorded for the runner's chain, if any, names the
 * modules and the block event scans start at. It never throws: what cannot be read (no node, no record) is left out.
 */
export async function explainRefusal(
  error: unknown,
  runner?: ContractRunner,
  deployment?: Deployment,
): Promise<string | undefined> {
  const decoded = decodeError(error);
  if (!(decoded instanceof CareLedgerError)) return undefined;
  const known = deployment ?? (runner === undefined ? undefined : await recordedDeployment(runner));
  let context: ExplainContext = known === undefined ? {} : { deployment: known };
  if (runner !== undefined) {
    try {
      context = await refusalContext(decoded, runner, known);
    } catch {
      // the explanation does with the error's own arguments
    }
  }
  return explain(decoded, context);
}

/** The deployment recorded for the runner's chain (`loadDeployment`), or undefined when it cannot be told. */
async function recordedDeployment(runner: ContractRunner): Promise<Deployment | undefined> {
  try {
    const provider = runner.provider;
    if (provider === null) return undefined;
    const deployment = loadDeployment((await provider.getNetwork()).chainId);
    // A record made on another chain of the same id (a development node's, 31337, seen from the in-process chain)
    // can start past this chain's head: it is not this chain's.
    if ((deployment.deployedAtBlock ?? 0) > (await provider.getBlockNumber())) return undefined;
    return deployment;
  } catch {
    return undefined;
  }
}

/**
 * `signer`, but a transaction it fails to send (a gas estimate the contract refuses, before anything is sent) carries
 * what it tried as `error.transaction`, as ethers' CALL_EXCEPTION does, so that the refusal can be explained by the
 * function refused. Hardhat's local accounts estimate gas themselves and throw the node's bare error.
 */
export function explainingSigner<S extends Signer>(signer: S): S {
  return new Proxy(signer, {
    get(target, property, receiver) {
      if (property === "sendTransaction") {
        return async (transaction: Parameters<Signer["sendTransaction"]>[0]) => {
          try {
            return await target.sendTransaction(transaction);
          } catch (error) {
            throw withTransaction(error, transaction);
          }
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function withTransaction(error: unknown, transaction: Parameters<Signer["sendTransaction"]>[0]): unknown {
  if (typeof error !== "object" || error === null || "transaction" in error) return error;
  const { to, data, from } = transaction;
  if (typeof to !== "string" || typeof data !== "string") return error;
  try {
    Object.defineProperty(error, "transaction", {
      value: { to, data, ...(typeof from === "string" ? { from } : {}) },
      enumerable: false,
    });
  } catch {
    // a frozen error stays as it is
  }
  return error;
}
