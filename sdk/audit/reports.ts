import {
  DataCategory,
  DecisionBasis,
  Purpose,
  RequestStatus,
  ReviewOutcome,
  SENSITIVE_CATEGORIES,
} from "../consent/scopes";
import { categoryNames, purposeNames } from "../consent/scopes";
import type { Queryable } from "./db";
import { coveredRanges, requireCoverage } from "./indexer";
import type {
  AccessEntryKind,
  AccessReport,
  AccessReportRow,
  AccountingOfDisclosures,
  Directory,
  Disclosure,
  DisclosureExemption,
  Finding,
  HitechAccessReport,
  PrivacyOfficerReport,
  PrivacyThresholds,
  ReportSource,
} from "./types";
import { AuditError } from "./errors";

/**
 * The audit reports, read from the audit database the indexer fills: the patient's access report, the accounting of
 * disclosures (45 CFR 164.528) and HITECH's access report, and the privacy officer's report. Each takes the block span
 * it covers (by default everything indexed from the deployment's first block), refuses a span with a hole
 * (`AuditCoverageError`), and states its source (chain, contracts, blocks), so that it can be regenerated and compared.
 */

const SECONDS_PER_DAY = 86_400;
/** 45 CFR 164.528(a)(1): an accounting covers the six years before the request. */
export const ACCOUNTING_PERIOD_SECONDS = 6 * 365 * SECONDS_PER_DAY + 2 * SECONDS_PER_DAY;
/** HITECH's proposed access report (76 FR 31426): the three years before the request. */
export const HITECH_PERIOD_SECONDS = 3 * 365 * SECONDS_PER_DAY + SECONDS_PER_DAY;

export const DEFAULT_THRESHOLDS: PrivacyThresholds = {
  unreviewedDays: 7,
  explanationWindowDays: 365,
  deniedBurstCount: 3,
  deniedBurstMinutes: 60,
  workdayStartHour: 7,
  workdayEndHour: 19,
  timeZone: "UTC",
  maxPatientsPerDay: 200,
};

export interface ReportSpan {
  db: Queryable;
  chainId: bigint;
  /** The first block to report on; default the deployment's first block. */
  fromBlock?: number;
  /** The last; default the last block indexed contiguously from `fromBlock`. */
  toBlock?: number;
}

/** The events that make up the patient's access report. */
const ACCESS_REPORT_EVENTS = [
  "AccessGranted",
  "AccessDenied",
  "RecordAccessGranted",
  "RecordAccessDenied",
  "BreakGlassOpened",
  "BreakGlassClosed",
  "BreakGlassReviewed",
  "ConsentGranted",
  "ConsentNarrowed",
  "ConsentRevoked",
  "ConsentDenySet",
  "AccessRequested",
  "AccessRequestResolved",
  "RepresentativeAppointed",
  "RepresentativeRemoved",
  "RecordAnchored",
  "RecordAdopted",
  "RecordSuperseded",
  "RecordEnteredInError",
  "AmendmentRequested",
  "ParticipantEnrolled",
  "ConsentSigned",
  "ParticipantWithdrawn",
  "EmergencyUnblinded",
  "ArmDisclosed",
  "AdverseEventRecorded",
  // Read for what the lines refer to, not reported as lines of their own:
  "SignedConsentRelayed",
];

/**
 * The events about a patient that do not name her: the answers to her amendment requests (by request id), her
 * adverse events' reports to the regulator (by trial and event id), and the trial data batches that list her among
 * their subjects. `patientEvents` reads them beside hers.
 */
const RELATED_EVENTS = ["AmendmentAccepted", "AmendmentDenied", "AmendmentWithdrawn", "SusarReported", "DataAnchored"];

/** The span a report covers, checked to be wholly indexed, and its source. */
export async function reportSource(span: ReportSpan): Promise<ReportSource> {
  const { db, chainId } = span;
  const [schema] = await db.query<{ ready: boolean }>("SELECT to_regclass('audit_contracts') IS NOT NULL AS ready");
  if (schema?.ready !== true) {
    throw new AuditError(`the audit database holds nothing for chain ${chainId}: run careledger:audit:index first`);
  }
  const contracts = await db.query<{ contract: string; address: string; first_block: string | number }>(
    "SELECT contract, address, first_block FROM audit_contracts WHERE chain_id = $1 ORDER BY contract",
    [chainId.toString()],
  );
  if (contracts.length === 0) {
    throw new AuditError(`the audit database holds nothing for chain ${chainId}: run careledger:audit:index first`);
  }
  const firstBlock = Math.min(...contracts.map((row) => Number(row.first_block)));
  const fromBlock = span.fromBlock ?? firstBlock;
  // By default to the last block indexed: a hole anywhere before it is refused, never skipped.
  const toBlock = span.toBlock ?? (await coveredRanges(db, chainId)).at(-1)?.toBlock ?? fromBlock;
  await requireCoverage(db, chainId, fromBlock, toBlock);
  return {
    chainId: chainId.toString(),
    contracts: Object.fromEntries(contracts.map((row) => [row.contract, row.address])),
    fromBlock,
    toBlock,
  };
}

/** An event as the reports read it: the indexed columns, and the organization its actor was affiliated with then. */
interface EventRecord {
  blockNumber: number;
  logIndex: number;
  txHash: string;
  time: number;
  contract: string;
  event: string;
  args: Record<string, string>;
  patient: string | null;
  actor: string | null;
  grantee: string | null;
  organization: string | null;
  category: number | null;
  purpose: number | null;
  basis: number | null;
  record: string | null;
  /** The organization `actor` was affiliated with when the event happened (its last affiliation change before). */
  affiliation: string | null;
}

interface RawEvent {
  block_number: string | number;
  log_index: number;
  tx_hash: string;
  t: string | number;
  contract: string;
  event: string;
  args: Record<string, string>;
  patient: string | null;
  actor: string | null;
  grantee: string | null;
  organization: string | null;
  category: number | null;
  purpose: number | null;
  basis: number | null;
  record: string | null;
  affiliation: string | null;
}

/**
 * The SELECT list of `EventRecord`, for `audit_events e`. Ids come back as text (numeric would lose nothing either,
 * but PGlite and pg agree on text), the time as Unix seconds, and the affiliation from the affiliation index.
 */
const EVENT_COLUMNS = `
  e.block_number, e.log_index, e.tx_hash, extract(epoch FROM e.block_time)::bigint AS t, e.contract, e.event, e.args,
  e.patient::text AS patient, e.actor::text AS actor, e.grantee::text AS grantee,
  e.organization::text AS organization, e.category, e.purpose, e.basis, e.record,
  (SELECT a.organization::text FROM audit_events a
    WHERE a.chain_id = e.chain_id AND a.event = 'AffiliationChanged' AND a.actor = e.actor
      AND (a.block_number, a.log_index) < (e.block_number, e.log_index)
    ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1) AS affiliation`;

function toRecord(raw: RawEvent): EventRecord {
  const none = (id: string | null): string | null => (id === null || id === "0" ? null : id);
  return {
    blockNumber: Number(raw.block_number),
    logIndex: raw.log_index,
    txHash: raw.tx_hash,
    time: Number(raw.t),
    contract: raw.contract,
    event: raw.event,
    args: raw.args,
    patient: none(raw.patient),
    actor: none(raw.actor),
    grantee: none(raw.grantee),
    organization: none(raw.organization),
    category: raw.category,
    purpose: raw.purpose,
    basis: raw.basis,
    record: raw.record,
    affiliation: none(raw.affiliation),
  };
}

async function patientEvents(db: Queryable, chainId: bigint, patient: bigint, source: ReportSource) {
  const parameters = [chainId.toString(), patient.toString(), source.fromBlock, source.toBlock];
  const own = await db.query<RawEvent>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events e
     WHERE e.chain_id = $1 AND e.patient = $2 AND e.block_number BETWEEN $3 AND $4 AND e.event = ANY($5::text[])
     ORDER BY e.block_number, e.log_index`,
    [...parameters, ACCESS_REPORT_EVENTS],
  );
  const related = await db.query<RawEvent>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events e
     WHERE e.chain_id = $1 AND e.block_number BETWEEN $3 AND $4 AND e.event = ANY($5::text[]) AND (
       (e.event LIKE 'Amendment%' AND (e.args ->> 'requestId') IN (
         SELECT q.args ->> 'requestId' FROM audit_events q
         WHERE q.chain_id = $1 AND q.event = 'AmendmentRequested' AND q.patient = $2))
       OR (e.event = 'SusarReported' AND EXISTS (
         SELECT 1 FROM audit_events a
         WHERE a.chain_id = $1 AND a.event = 'AdverseEventRecorded' AND a.patient = $2
           AND (a.args ->> 'trialId') = (e.args ->> 'trialId') AND (a.args ->> 'eventId') = (e.args ->> 'eventId')))
       OR (e.event = 'DataAnchored' AND (e.args -> 'subjects') ? $2::text))`,
    [...parameters, RELATED_EVENTS],
  );
  return [...own, ...related]
    .map((raw) => ({ ...toRecord(raw), patient: patient.toString() }))
    .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

const iso = (time: number): string => new Date(time * 1000).toISOString().replace(".000Z", "Z");
const enumName = (enumeration: Record<number, string>, value: number | string | null | undefined): string =>
  value === null || value === undefined ? "" : (enumeration[Number(value)] ?? String(value));
const who = (id: string | null, organization: string | null): string =>
  id === null ? "an unknown key" : `participant ${id}${organization === null ? "" : ` (organization ${organization})`}`;
const shortHash = (hash: string): string => `${hash.slice(0, 10)}…`;

/** What the patient's events say about her records and sessions, to describe the lines that refer to them. */
interface Context {
  /**
   * Each record's category, by `patient:commitment`: a record is the patient's (the registry keys records by patient
   * and commitment), so another patient's record under the same commitment says nothing about hers.
   */
  recordCategory: Map<string, number>;
  sessions: Map<string, { practitioner: string; organization: string | null; review: string }>;
  requests: Map<string, string>;
  /**
   * The grants given with a signed document, by `transaction:log index` of their `ConsentGranted`: a signed consent's
   * `SignedConsentRelayed` (with a nonzero evidence commitment) is emitted immediately before the grant it carries,
   * for the same patient. Pairing by the transaction alone would lend one grant's document to another relayed beside it.
   */
  signedWithDocument: Set<string>;
  /** Grant version by patient:grantee:version -> the grant event (for a decision's basis). */
  grants: Map<string, EventRecord>;
}

function contextOf(events: EventRecord[]): Context {
  const context: Context = {
    recordCategory: new Map(),
    sessions: new Map(),
    requests: new Map(),
    signedWithDocument: new Set(),
    grants: new Map(),
  };
  for (const e of events) {
    switch (e.event) {
      case "RecordAnchored":
      case "RecordAdopted":
        if (e.record !== null && e.category !== null)
          context.recordCategory.set(`${e.patient}:${e.record}`, e.category);
        break;
      case "RecordSuperseded": {
        const previous = context.recordCategory.get(`${e.patient}:${e.args.previous}`);
        if (e.record !== null && previous !== undefined)
          context.recordCategory.set(`${e.patient}:${e.record}`, previous);
        break;
      }
      case "BreakGlassOpened":
        context.sessions.set(e.args.sessionId ?? "", {
          practitioner: e.actor ?? "",
          organization: e.organization,
          review: "pending",
        });
        break;
      case "BreakGlassReviewed": {
        const session = context.sessions.get(e.args.sessionId ?? "");
        if (session !== undefined) session.review = enumName(ReviewOutcome, e.args.outcome);
        break;
      }
      case "AccessRequested":
        context.requests.set(e.args.requestId ?? "", e.actor ?? "");
        break;
      case "SignedConsentRelayed":
        if (!/^0x0*$/.test(e.args.evidence ?? "0x")) context.signedWithDocument.add(`${e.txHash}:${e.logIndex + 1}`);
        break;
      case "ConsentGranted":
        context.grants.set(`${e.grantee}:${e.args.version}`, e);
        break;
      default:
        break;
    }
  }
  return context;
}

/** An enum name in plain words: `LaboratoryResults` reads "laboratory results". */
export function words(name: string): string {
  let plain = WORDS.get(name);
  if (plain === undefined) {
    plain = name === "*" ? "everything not sensitive" : name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    WORDS.set(name, plain);
  }
  return plain;
}

/** `words` of each name met, once: a report of 10,000 lines names the same few dozen. */
const WORDS = new Map<string, string>();

const list = (names: readonly string[]): string => names.map(words).join(", ");

/** Why an access was allowed, in the patient's words. */
function allowedBecause(e: EventRecord): string {
  switch (e.basis) {
    case DecisionBasis.Self:
      return "that was you";
    case DecisionBasis.Representative:
      return "as your representative";
    case DecisionBasis.Grant:
      return `under your permission to them (version ${e.args.ref})`;
    case DecisionBasis.OrganizationGrant:
      return `under your permission to organization ${e.grantee} (version ${e.args.ref})`;
    case DecisionBasis.BreakGlass:
      return `in emergency access session ${e.args.ref}`;
    default:
      return words(enumName(DecisionBasis, e.basis));
  }
}

/** Why an access was refused, in the patient's words. */
function deniedBecause(e: EventRecord): string {
  switch (e.basis) {
    case DecisionBasis.UnknownAccessor:
      return "the key belongs to no registered participant";
    case DecisionBasis.InactiveAccessor:
      return "the participant is suspended, revoked or its licence expired";
    case DecisionBasis.ExplicitDeny:
      return `you refused ${e.grantee === e.actor ? "them" : `organization ${e.grantee}`} this`;
    case DecisionBasis.NoGrant:
      return "no permission of yours covers it";
    case DecisionBasis.SensitiveCategoryNotNamed:
      return "a sensitive category must be named in a permission to the participant itself";
    case DecisionBasis.PurposeNotNamed:
      return "that purpose must be named in a permission to the participant itself";
    case DecisionBasis.BreakGlassCategoryExcluded:
      return "emergency access does not reach this category";
    case DecisionBasis.InactiveGrantee:
      return `organization ${e.grantee}, whose permission would have covered it, is not active`;
    default:
      return words(enumName(DecisionBasis, e.basis));
  }
}

type RowFields = Partial<
  Pick<
    AccessReportRow,
    | "outcome"
    | "participant"
    | "organization"
    | "grantee"
    | "actor"
    | "ref"
    | "status"
    | "categories"
    | "purposes"
    | "basis"
    | "record"
  >
>;

/** A report line from its event, what it is, its fields (the rest null or empty) and its sentence. */
function makeRow(e: EventRecord, kind: AccessEntryKind, f: RowFields, summary: string): AccessReportRow {
  return {
    time: e.time,
    isoTime: iso(e.time),
    blockNumber: e.blockNumber,
    logIndex: e.logIndex,
    txHash: e.txHash,
    contract: e.contract,
    event: e.event,
    kind,
    outcome: f.outcome ?? null,
    participant: f.participant ?? null,
    organization: f.organization ?? null,
    grantee: f.grantee ?? null,
    actor: f.actor ?? null,
    ref: f.ref ?? null,
    status: f.status ?? null,
    categories: f.categories ?? [],
    purposes: f.purposes ?? [],
    basis: f.basis ?? null,
    record: f.record ?? null,
    summary,
  };
}

/** "you", or "your representative (participant 12)": who made a consent change, to the patient reading it. */
function patientOrRepresentative(e: EventRecord, actor: string | null): string {
  return actor === e.patient ? "you" : `your representative (participant ${actor})`;
}

function line(e: EventRecord, context: Context): AccessReportRow | undefined {
  const row = (kind: AccessEntryKind, f: RowFields, summary: string): AccessReportRow => makeRow(e, kind, f, summary);
  const basis = enumName(DecisionBasis, e.basis);
  const category = e.category === null ? "" : enumName(DataCategory, e.category);
  const purpose = enumName(Purpose, e.purpose);
  const ref = e.args.ref === undefined || e.args.ref === "0" ? null : e.args.ref;
  switch (e.event) {
    case "AccessGranted":
    case "AccessDenied":
    case "RecordAccessGranted":
    case "RecordAccessDenied": {
      const allowed = e.event === "AccessGranted" || e.event === "RecordAccessGranted";
      const isRecord = e.event.startsWith("Record");
      const recordCategory = e.record === null ? undefined : context.recordCategory.get(`${e.patient}:${e.record}`);
      const categoryName = isRecord
        ? recordCategory === undefined
          ? ""
          : enumName(DataCategory, recordCategory)
        : category;
      const what = isRecord
        ? `your record ${shortHash(e.record ?? "")}${categoryName === "" ? "" : ` (${words(categoryName)})`}`
        : `your ${words(categoryName)}`;
      return row(
        isRecord ? "record-read" : "access",
        {
          outcome: allowed ? "allowed" : "denied",
          participant: e.actor,
          organization: e.affiliation,
          grantee: e.grantee,
          ref: allowed ? ref : null,
          categories: categoryName === "" ? [] : [categoryName],
          purposes: [purpose],
          basis,
          record: e.record,
        },
        `${who(e.actor, e.affiliation)} ${allowed ? "saw" : "was refused"} ${what} for ${words(purpose)}: ` +
          (allowed ? allowedBecause(e) : deniedBecause(e)),
      );
    }
    case "BreakGlassOpened": {
      const session = context.sessions.get(e.args.sessionId ?? "");
      return row(
        "break-glass-opened",
        {
          participant: e.actor,
          organization: e.organization,
          ref: e.args.sessionId ?? null,
          status: session?.review ?? "pending",
          purposes: [Purpose[Purpose.EmergencyTreatment]],
        },
        `${who(e.actor, e.organization)} opened emergency access to your records (session ${e.args.sessionId}, ` +
          `reason code ${e.args.reasonCode}) until ${iso(Number(e.args.expiresAt))}; review: ${session?.review ?? "pending"}`,
      );
    }
    case "BreakGlassClosed": {
      const session = context.sessions.get(e.args.sessionId ?? "");
      return row(
        "break-glass-closed",
        {
          participant: session?.practitioner ?? null,
          organization: session?.organization ?? null,
          ref: e.args.sessionId ?? null,
        },
        `emergency access session ${e.args.sessionId} of ` +
          `${who(session?.practitioner ?? null, session?.organization ?? null)} was closed`,
      );
    }
    case "BreakGlassReviewed": {
      const session = context.sessions.get(e.args.sessionId ?? "");
      const outcome = enumName(ReviewOutcome, e.args.outcome);
      return row(
        "break-glass-reviewed",
        {
          participant: session?.practitioner ?? null,
          organization: session?.organization ?? null,
          actor: e.args.auditor ?? null,
          ref: e.args.sessionId ?? null,
          status: outcome,
        },
        `an auditor (${e.args.auditor}) found emergency access session ${e.args.sessionId} ${outcome.toLowerCase()} ` +
          `(finding code ${e.args.findingCode})`,
      );
    }
    case "ConsentGranted":
    case "ConsentNarrowed": {
      const granted = e.event === "ConsentGranted";
      const categories = categoryNames(BigInt(e.args.categories ?? "0"));
      const purposes = purposeNames(BigInt(e.args.purposes ?? "0"));
      return row(
        granted ? "consent-granted" : "consent-narrowed",
        {
          participant: e.grantee,
          grantee: e.grantee,
          actor: e.actor,
          ref: e.args.version ?? null,
          categories,
          purposes,
        },
        `${patientOrRepresentative(e, e.actor)} ${granted ? "allowed" : "narrowed the permission of"} participant ` +
          `${e.grantee} ${granted ? "to see " : "to "}${list(categories)} for ${list(purposes)} until ` +
          `${iso(Number(e.args.validUntil))} (version ${e.args.version})` +
          (context.signedWithDocument.has(`${e.txHash}:${e.logIndex}`) ? ", with a signed consent document" : ""),
      );
    }
    case "ConsentRevoked":
      return row(
        "consent-revoked",
        { participant: e.grantee, grantee: e.grantee, actor: e.actor, ref: e.args.version ?? null },
        `${patientOrRepresentative(e, e.actor)} withdrew the permission of participant ${e.grantee} (version ${e.args.version})`,
      );
    case "ConsentDenySet": {
      const categories = categoryNames(BigInt(e.args.categories ?? "0"));
      return row(
        "deny-set",
        { participant: e.grantee, grantee: e.grantee, actor: e.actor, categories },
        categories.length === 0
          ? `${patientOrRepresentative(e, e.actor)} lifted the refusal of participant ${e.grantee}`
          : `${patientOrRepresentative(e, e.actor)} refused participant ${e.grantee} ${list(categories)}, ` +
              "whatever any permission says",
      );
    }
    case "AccessRequested": {
      const categories = categoryNames(BigInt(e.args.categories ?? "0"));
      const purposes = purposeNames(BigInt(e.args.purposes ?? "0"));
      return row(
        "access-requested",
        {
          participant: e.actor,
          organization: e.affiliation,
          ref: e.args.requestId ?? null,
          status: "Pending",
          categories,
          purposes,
        },
        `${who(e.actor, e.affiliation)} asked to see ${list(categories)} for ${list(purposes)} ` +
          `(request ${e.args.requestId}, reason code ${e.args.reasonCode}), to be answered by ` +
          iso(Number(e.args.respondBy)),
      );
    }
    case "AccessRequestResolved": {
      const requester = context.requests.get(e.args.requestId ?? "") ?? null;
      const status = enumName(RequestStatus, e.args.status);
      const byRequester = e.actor === requester;
      return row(
        "access-request-resolved",
        { participant: requester, actor: e.actor, ref: e.args.requestId ?? null, status },
        `request ${e.args.requestId} of ${who(requester, null)} was ${status.toLowerCase()} by ` +
          (byRequester ? "the requester" : patientOrRepresentative(e, e.actor)),
      );
    }
    case "RepresentativeAppointed":
      return row(
        "representative-appointed",
        { participant: e.args.representative ?? null, actor: e.patient },
        `you appointed participant ${e.args.representative} as your representative until ` +
          `${iso(Number(e.args.expiresAt))}: they may act for you and see what you may`,
      );
    case "RepresentativeRemoved": {
      const resigned = String(e.args.resigned) === "true";
      return row(
        "representative-removed",
        {
          participant: e.args.representative ?? null,
          actor: resigned ? (e.args.representative ?? null) : e.patient,
          status: resigned ? "resigned" : "revoked",
        },
        resigned
          ? `participant ${e.args.representative} resigned as your representative`
          : `you ended participant ${e.args.representative}'s representation`,
      );
    }
    case "RecordAnchored":
    case "RecordSuperseded":
    case "RecordAdopted": {
      const recordCategory = context.recordCategory.get(`${e.patient}:${e.record}`);
      const categoryName = recordCategory === undefined ? "" : enumName(DataCategory, recordCategory);
      const status =
        e.event === "RecordAnchored" ? "anchored" : e.event === "RecordSuperseded" ? "superseded" : "adopted";
      const organization = e.event === "RecordAdopted" ? e.organization : e.affiliation;
      const what = `record ${shortHash(e.record ?? "")}${categoryName === "" ? "" : ` (${words(categoryName)})`}`;
      return row(
        "record-written",
        {
          participant: e.actor,
          organization,
          categories: categoryName === "" ? [] : [categoryName],
          basis: e.basis === null ? null : basis,
          record: e.record,
          status,
        },
        status === "superseded"
          ? `${who(e.actor, organization)} wrote a new version, ${what}, of your record ` +
              `${shortHash(e.args.previous ?? "")} (reason code ${e.args.reasonCode})`
          : `${who(e.actor, organization)} ${status === "adopted" ? "put" : "added"} ${what} on your chart` +
              (e.basis === null ? "" : `: ${writtenBecause(e)}`),
      );
    }
    case "RecordEnteredInError":
      return row(
        "record-entered-in-error",
        { participant: e.actor, organization: e.affiliation, record: e.record, status: "entered-in-error" },
        `${who(e.actor, e.affiliation)} marked your record ${shortHash(e.record ?? "")} entered in error ` +
          `(reason code ${e.args.reasonCode})`,
      );
    case "AmendmentRequested":
      return row(
        "amendment-requested",
        {
          participant: e.actor,
          actor: e.actor,
          record: e.args.record ?? null,
          ref: e.args.requestId ?? null,
          status: "Pending",
        },
        `${patientOrRepresentative(e, e.actor)} asked to amend your record ${shortHash(e.args.record ?? "")} ` +
          `(request ${e.args.requestId})`,
      );
    case "AmendmentAccepted":
    case "AmendmentDenied":
    case "AmendmentWithdrawn": {
      const status = e.event.slice("Amendment".length);
      return row(
        "amendment-resolved",
        { record: e.args.record ?? null, ref: e.args.requestId ?? null, status },
        `your request ${e.args.requestId} to amend record ${shortHash(e.args.record ?? "")} was ${status.toLowerCase()}` +
          (status === "Accepted" ? `: the amended version is ${shortHash(e.args.amendedVersion ?? "")}` : ""),
      );
    }
    case "ParticipantEnrolled":
      return row(
        "trial",
        { ref: e.args.trialId ?? null, status: "enrolled" },
        `you were enrolled in trial ${e.args.trialId} at its site ${e.args.site}`,
      );
    case "ConsentSigned":
      return row(
        "trial",
        { actor: e.args.signer ?? null, ref: e.args.trialId ?? null, status: "consent-signed" },
        `your signature of version ${e.args.version} of trial ${e.args.trialId}'s consent form was recorded`,
      );
    case "ParticipantWithdrawn":
      return row(
        "trial",
        { participant: e.actor, ref: e.args.trialId ?? null, status: "withdrawn" },
        `${e.actor === e.patient ? "you" : who(e.actor, null)} withdrew you from trial ${e.args.trialId} ` +
          `(reason code ${e.args.reasonCode})`,
      );
    case "EmergencyUnblinded":
      return row(
        "trial",
        { participant: e.args.investigator ?? null, ref: e.args.trialId ?? null, status: "unblinded" },
        `investigator ${e.args.investigator} learned your arm in trial ${e.args.trialId} in an emergency ` +
          `(reason code ${e.args.reasonCode})`,
      );
    case "ArmDisclosed":
      return row(
        "trial",
        { ref: e.args.trialId ?? null, status: "arm-disclosed" },
        `your arm in trial ${e.args.trialId} was disclosed after the trial's lock`,
      );
    case "DataAnchored":
      return row(
        "trial-data",
        { ref: e.args.trialId ?? null, record: e.args.root ?? null },
        `your case-report data went to trial ${e.args.trialId}'s sponsor in data batch ${e.args.batchId} ` +
          `from site ${e.args.site}`,
      );
    case "AdverseEventRecorded": {
      const lifeThreatening = String(e.args.lifeThreatening) === "true";
      return row(
        "adverse-event",
        {
          participant: e.actor,
          ref: e.args.eventId ?? null,
          status: lifeThreatening ? "life-threatening" : "serious",
        },
        `${who(e.actor, null)} recorded a ${lifeThreatening ? "life-threatening" : "serious"} adverse event of yours ` +
          `in trial ${e.args.trialId} (event ${e.args.eventId})`,
      );
    }
    case "SusarReported": {
      const late = String(e.args.late) === "true";
      return row(
        "adverse-event-reported",
        { participant: e.args.regulator ?? null, ref: e.args.eventId ?? null, status: late ? "late" : "on time" },
        `the sponsor of trial ${e.args.trialId} reported your adverse event ${e.args.eventId} to the regulator, ` +
          `participant ${e.args.regulator}${late ? ", late" : ""}`,
      );
    }
    default:
      return undefined; // read for context only
  }
}

/** How a record came to be written to the patient's chart, in her words. */
function writtenBecause(e: EventRecord): string {
  switch (e.basis) {
    case DecisionBasis.Self:
      return "you wrote it";
    case DecisionBasis.Representative:
      return "as your representative";
    case DecisionBasis.Grant:
      return "under your permission to them";
    case DecisionBasis.OrganizationGrant:
      return `under your permission to organization ${e.grantee ?? e.affiliation}`;
    case DecisionBasis.BreakGlass:
      return "in an emergency access session";
    default:
      return words(enumName(DecisionBasis, e.basis));
  }
}

export interface AccessReportOptions extends ReportSpan {
  patient: bigint;
  /** Lines from this time on (Unix seconds), and before `toTime`; default all of the span. */
  fromTime?: number;
  toTime?: number;
}

/**
 * The patient's access report ("who accessed my record"): every access decision about her (allowed with its basis,
 * denied with its reason), every record read, every break-glass session with its review outcome, and the history of
 * her grants, denies, revocations and requests, in time order, each with the transaction that proves it.
 */
export async function accessReport(options: AccessReportOptions): Promise<AccessReport> {
  const source = await reportSource(options);
  const events = await patientEvents(options.db, options.chainId, options.patient, source);
  const context = contextOf(events);
  const rows = events
    .filter(
      (e) =>
        (options.fromTime === undefined || e.time >= options.fromTime) &&
        (options.toTime === undefined || e.time < options.toTime),
    )
    .map((e) => line(e, context))
    .filter((row): row is AccessReportRow => row !== undefined);
  return {
    kind: "access-report",
    patient: options.patient.toString(),
    generatedFor: { fromTime: options.fromTime ?? null, toTime: options.toTime ?? null },
    source,
    rows,
  };
}

const TPO = new Set<number>([
  Purpose.Treatment,
  Purpose.Payment,
  Purpose.HealthcareOperations,
  Purpose.EmergencyTreatment,
]);

/**
 * Why an allowed access is exempt from the accounting, or undefined if it must be listed; the first that applies:
 *
 * - To the individual: the patient herself, or her representative (who stands in her place): (a)(1)(ii).
 * - Treatment, payment and operations (emergency treatment is treatment): (a)(1)(i).
 * - Under an authorization (a)(1)(iv): a grant is taken as a HIPAA authorization only when it was relayed with the
 *   commitment of a signed document (`grantBySig` with evidence): the form 164.508(c) requires. A bare on-chain grant or
 *   an approved request is listed: listing a disclosure an authorization covered is harmless, leaving out one that
 *   it did not is a violation.
 */
function exemption(e: EventRecord, context: Context): DisclosureExemption | undefined {
  if (e.basis === DecisionBasis.Self || e.basis === DecisionBasis.Representative) return "to-the-individual";
  if (e.purpose !== null && TPO.has(e.purpose)) return "treatment-payment-operations";
  if (e.basis === DecisionBasis.Grant || e.basis === DecisionBasis.OrganizationGrant) {
    const grant = context.grants.get(`${e.grantee}:${e.args.ref}`);
    if (grant !== undefined && context.signedWithDocument.has(`${grant.txHash}:${grant.logIndex}`)) {
      return "authorization";
    }
  }
  return undefined;
}

export interface AccountingOptions extends ReportSpan {
  patient: bigint;
  /** The date of the request, Unix seconds; the accounting covers the six years before it. */
  requestTime: number;
  /** The covered entity's off-chain directory of names and addresses, for the recipients it knows. */
  directory?: Directory;
}

/** Allowed accesses of the patient's data in `[periodStart, requestTime)`, with the context to judge them. */
async function allowedAccesses(options: AccountingOptions, period: number) {
  const source = await reportSource(options);
  const events = await patientEvents(options.db, options.chainId, options.patient, source);
  const context = contextOf(events);
  const periodStart = options.requestTime - period;
  const during = (e: EventRecord): boolean => e.time >= periodStart && e.time < options.requestTime;
  const inPeriod = events.filter(
    (e) => (e.event === "AccessGranted" || e.event === "RecordAccessGranted") && during(e),
  );
  // Disclosures other modules make: her adverse events reported to a trial's regulator, her data sent to a sponsor.
  const trialDisclosures = events.filter(
    (e) => (e.event === "SusarReported" || e.event === "DataAnchored") && during(e),
  );
  return { source, context, periodStart, inPeriod, trialDisclosures, events };
}

/**
 * The accounting of disclosures (45 CFR 164.528) for a request made at `requestTime`: the disclosures of the six years
 * before it, less those the rule exempts (see `exemption`), each with its date, recipient (and, from the directory,
 * name and address), the data disclosed (its category) and a statement of the purpose.
 */
export async function accountingOfDisclosures(options: AccountingOptions): Promise<AccountingOfDisclosures> {
  const { source, context, periodStart, inPeriod, trialDisclosures, events } = await allowedAccesses(
    options,
    ACCOUNTING_PERIOD_SECONDS,
  );
  const exempted: Record<DisclosureExemption, number> = {
    "treatment-payment-operations": 0,
    "to-the-individual": 0,
    authorization: 0,
  };
  const disclosures: Disclosure[] = [];
  for (const e of inPeriod) {
    const reason = exemption(e, context);
    if (reason !== undefined) {
      exempted[reason]++;
      continue;
    }
    const recipient = e.actor ?? "";
    // The directory names the recipient, or else the organization it acted for.
    const entry =
      options.directory?.[recipient] ?? (e.affiliation === null ? undefined : options.directory?.[e.affiliation]);
    const categoryNumber =
      e.category ?? (e.record === null ? undefined : context.recordCategory.get(`${e.patient}:${e.record}`));
    const category = categoryNumber === undefined ? "unknown" : enumName(DataCategory, categoryNumber);
    const purpose = enumName(Purpose, e.purpose);
    disclosures.push({
      time: e.time,
      isoTime: iso(e.time),
      blockNumber: e.blockNumber,
      txHash: e.txHash,
      recipient,
      recipientOrganization: e.affiliation,
      recipientName: entry?.name ?? null,
      recipientAddress: entry?.address ?? null,
      category,
      record: e.record,
      purpose,
      basis: enumName(DecisionBasis, e.basis),
      statement: `${category} ${e.record === null ? "" : `(record ${shortHash(e.record)}) `}disclosed for ${purpose}`,
    });
  }
  // The trial's data batches went to its sponsor under the consent form she signed (a signed document: an
  // authorization); a SUSAR report went to the regulator as the law requires (21 CFR 312.32, 45 CFR 164.512(b)): listed.
  const signedTrials = new Set(
    events
      .filter((e) => e.event === "ConsentSigned" && !/^0x0*$/.test(e.args.document ?? "0x"))
      .map((e) => e.args.trialId),
  );
  for (const e of trialDisclosures) {
    if (e.event === "DataAnchored" && signedTrials.has(e.args.trialId)) {
      exempted.authorization++;
      continue;
    }
    const susar = e.event === "SusarReported";
    const recipient = susar ? (e.args.regulator ?? "") : "";
    const entry = options.directory?.[recipient];
    disclosures.push({
      time: e.time,
      isoTime: iso(e.time),
      blockNumber: e.blockNumber,
      txHash: e.txHash,
      recipient,
      recipientOrganization: null,
      recipientName: entry?.name ?? null,
      recipientAddress: entry?.address ?? null,
      category: susar ? "AdverseEventReport" : "TrialCaseReportData",
      record: susar ? null : (e.args.root ?? null),
      purpose: susar ? Purpose[Purpose.PublicHealth] : Purpose[Purpose.Research],
      basis: susar ? "RequiredByLaw" : "TrialData",
      statement: susar
        ? `a report of serious adverse event ${e.args.eventId} in trial ${e.args.trialId} to the trial's regulator, ` +
          "as the law requires"
        : `case-report data of trial ${e.args.trialId} (batch ${e.args.batchId}) to its sponsor`,
    });
  }
  disclosures.sort((a, b) => a.blockNumber - b.blockNumber || a.time - b.time);
  return {
    kind: "accounting-of-disclosures",
    patient: options.patient.toString(),
    requestTime: options.requestTime,
    periodStart,
    source,
    disclosures,
    exempted,
  };
}

/** HITECH's proposed access report: every allowed access of the three years before the request, exempt or not. */
export async function hitechAccessReport(options: AccountingOptions): Promise<HitechAccessReport> {
  const { source, context, periodStart, inPeriod } = await allowedAccesses(options, HITECH_PERIOD_SECONDS);
  return {
    kind: "hitech-access-report",
    patient: options.patient.toString(),
    requestTime: options.requestTime,
    periodStart,
    source,
    rows: inPeriod.map((e) => line(e, context)).filter((row): row is AccessReportRow => row !== undefined),
  };
}

export interface PrivacyReportOptions extends ReportSpan {
  /** The time the report looks from (Unix seconds): unreviewed sessions are counted in days to it. */
  asOf: number;
  thresholds?: Partial<PrivacyThresholds>;
}

const SENSITIVE = SENSITIVE_CATEGORIES.map(Number);

/**
 * The privacy officer's report: break-glass sessions unreviewed after N days, accesses the ledger does not explain,
 * bursts of denied attempts, accesses after hours, accessors reading more distinct patients in a day than a
 * threshold, and every decision on a sensitive category. Each finding says why it was raised.
 */
export async function privacyOfficerReport(options: PrivacyReportOptions): Promise<PrivacyOfficerReport> {
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  checkThresholds(thresholds);
  // The database applies the time zone: it must know it too (its list and the runtime's differ at the edges).
  const zone = await options.db.query("SELECT 1 FROM pg_timezone_names WHERE name = $1", [thresholds.timeZone]);
  if (zone.length === 0) {
    throw new AuditError(
      `the time zone ${JSON.stringify(thresholds.timeZone)} is not an IANA time zone (America/New_York)`,
    );
  }
  const source = await reportSource(options);
  const { db } = options;
  const chain = options.chainId.toString();
  const span = [chain, source.fromBlock, source.toBlock] as const;
  const findings: Finding[] = [];
  const finding = (
    kind: Finding["kind"],
    e: EventRecord,
    why: string,
    txHashes = [e.txHash],
    participant = e.actor ?? "",
    organization = e.affiliation,
  ): Finding => ({
    kind,
    time: e.time,
    isoTime: iso(e.time),
    participant,
    organization,
    patient: e.patient,
    txHashes,
    why,
  });

  // Break-glass sessions opened more than N days before asOf with no review.
  const unreviewed = (
    await db.query<RawEvent>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events e
       WHERE e.chain_id = $1 AND e.block_number BETWEEN $2 AND $3 AND e.event = 'BreakGlassOpened'
         AND e.block_time <= to_timestamp($4)
         AND NOT EXISTS (SELECT 1 FROM audit_events r WHERE r.chain_id = e.chain_id AND r.event = 'BreakGlassReviewed'
           AND r.block_number <= $3 AND r.args->>'sessionId' = e.args->>'sessionId')
       ORDER BY e.block_number, e.log_index`,
      [...span, options.asOf - thresholds.unreviewedDays * SECONDS_PER_DAY],
    )
  ).map(toRecord);
  for (const e of unreviewed) {
    const days = Math.floor((options.asOf - e.time) / SECONDS_PER_DAY);
    findings.push(
      finding(
        "unreviewed-break-glass",
        e,
        `break-glass session ${e.args.sessionId} opened ${days} days ago and is still unreviewed ` +
          `(threshold ${thresholds.unreviewedDays} days)`,
        [e.txHash],
        e.actor ?? "",
        e.organization,
      ),
    );
  }

  // Every access decision of the span (allowed and denied), for the per-access checks.
  const decisions = (
    await db.query<RawEvent>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events e
       WHERE e.chain_id = $1 AND e.block_number BETWEEN $2 AND $3
         AND e.event IN ('AccessGranted', 'AccessDenied', 'RecordAccessGranted', 'RecordAccessDenied')
       ORDER BY e.block_number, e.log_index`,
      span,
    )
  ).map(toRecord);
  const recordCategory = await recordCategories(db, options.chainId, decisions);
  const categoryOf = (e: EventRecord): number | undefined =>
    e.category ?? (e.record === null ? undefined : recordCategory.get(`${e.patient}:${e.record}`));
  const allowed = (e: EventRecord): boolean => e.event === "AccessGranted" || e.event === "RecordAccessGranted";

  // Unexplained: allowed through an organization's grant (not a grant naming the accessor, the patient herself, her
  // representative or a break-glass session, which has its own review), with no record the accessor's organization
  // anchored or adopted for the patient, and no request of the accessor's the patient approved, in the window before.
  const candidates = decisions.filter((e) => allowed(e) && e.basis === DecisionBasis.OrganizationGrant);
  if (candidates.length > 0) {
    const explained = await explainedAccesses(db, options.chainId, candidates, thresholds.explanationWindowDays);
    for (const e of candidates) {
      if (explained.has(`${e.blockNumber}:${e.logIndex}`)) continue;
      findings.push(
        finding(
          "unexplained-access",
          e,
          `${who(e.actor, e.affiliation)} accessed patient ${e.patient}'s data through organization ${e.grantee}'s ` +
            `grant, and nothing in the ledger explains it: no record its organization anchored for her and no ` +
            `request of its she approved in the ${thresholds.explanationWindowDays} days before`,
        ),
      );
    }
  }

  // Bursts of denied attempts: N or more denials of one accessor within M minutes (one finding a burst).
  const denials = new Map<string, EventRecord[]>();
  for (const e of decisions) {
    if (allowed(e)) continue;
    const key = e.actor ?? "unknown";
    denials.set(key, [...(denials.get(key) ?? []), e]);
  }
  const windowSeconds = thresholds.deniedBurstMinutes * 60;
  // A burst grows while each next denial falls within the window of the one N-1 before it; one finding a burst, with
  // its whole count and span (the first 20 transactions, then how many more).
  for (const list of denials.values()) {
    let index = 0;
    while (index < list.length) {
      const reach = (at: number): boolean => {
        const back = at - (thresholds.deniedBurstCount - 1);
        return back >= index && (list[at] as EventRecord).time - (list[back] as EventRecord).time <= windowSeconds;
      };
      let end = index + thresholds.deniedBurstCount - 1;
      if (end >= list.length || !reach(end)) {
        index++;
        continue;
      }
      while (end + 1 < list.length && reach(end + 1)) end++;
      const burst = list.slice(index, end + 1);
      const first = burst[0] as EventRecord;
      const last = burst.at(-1) as EventRecord;
      const patients = new Set(burst.map((e) => e.patient));
      const minutes = Math.max(1, Math.ceil((last.time - first.time) / 60));
      findings.push(
        finding(
          "denied-burst",
          first,
          `${who(first.actor, first.affiliation)} was denied ${burst.length} times in ${minutes} minute` +
            `${minutes === 1 ? "" : "s"} (threshold ${thresholds.deniedBurstCount} within ` +
            `${thresholds.deniedBurstMinutes}), on ${patients.size} patient${patients.size === 1 ? "" : "s"}` +
            (burst.length > 20 ? `; the first 20 transactions are listed` : ""),
          burst.slice(0, 20).map((e) => e.txHash),
        ),
      );
      index = end + 1;
    }
  }

  // After hours: allowed accesses outside the working day, in the organization's time zone.
  const hours = await db.query<{ block_number: string | number; log_index: number; hour: string | number }>(
    `SELECT block_number, log_index, extract(hour FROM block_time AT TIME ZONE $4)::int AS hour FROM audit_events
     WHERE chain_id = $1 AND block_number BETWEEN $2 AND $3 AND event IN ('AccessGranted', 'RecordAccessGranted')`,
    [...span, thresholds.timeZone],
  );
  const hourOf = new Map(hours.map((row) => [`${row.block_number}:${row.log_index}`, Number(row.hour)]));
  for (const e of decisions) {
    // The patient's own and her representative's accesses, and emergencies (reviewed on their own), are not flagged.
    if (!allowed(e) || e.basis === DecisionBasis.Self || e.basis === DecisionBasis.Representative) continue;
    if (e.basis === DecisionBasis.BreakGlass) continue;
    const hour = hourOf.get(`${e.blockNumber}:${e.logIndex}`);
    if (hour === undefined || (hour >= thresholds.workdayStartHour && hour < thresholds.workdayEndHour)) continue;
    findings.push(
      finding(
        "after-hours",
        e,
        `${who(e.actor, e.affiliation)} accessed patient ${e.patient}'s data at ${String(hour).padStart(2, "0")}:xx ` +
          `${thresholds.timeZone}, outside working hours ${thresholds.workdayStartHour}:00–${thresholds.workdayEndHour}:00`,
      ),
    );
  }

  // Many patients: distinct patients one accessor read in one day (in the time zone), over the threshold.
  const busy = await db.query<{
    actor: string;
    day: string;
    patients: string | number;
    first_tx: string;
    t: string | number;
  }>(
    `SELECT actor::text AS actor, (block_time AT TIME ZONE $4)::date::text AS day, count(DISTINCT patient) AS patients,
       (array_agg(tx_hash ORDER BY block_number, log_index))[1] AS first_tx,
       min(extract(epoch FROM block_time))::bigint AS t
     FROM audit_events
     WHERE chain_id = $1 AND block_number BETWEEN $2 AND $3 AND event IN ('AccessGranted', 'RecordAccessGranted')
       AND actor IS NOT NULL
     GROUP BY actor, day HAVING count(DISTINCT patient) > $5
     ORDER BY day, actor`,
    [...span, thresholds.timeZone, thresholds.maxPatientsPerDay],
  );
  for (const row of busy) {
    const time = Number(row.t);
    findings.push({
      kind: "many-patients",
      time,
      isoTime: iso(time),
      participant: row.actor,
      organization: null,
      patient: null,
      txHashes: [row.first_tx],
      why:
        `participant ${row.actor} accessed ${row.patients} distinct patients on ${row.day} (${thresholds.timeZone}), ` +
        `more than the threshold of ${thresholds.maxPatientsPerDay}`,
    });
  }

  // Sensitive categories: every decision, allowed or denied, on a category the policy protects.
  for (const e of decisions) {
    const category = categoryOf(e);
    if (category === undefined || !SENSITIVE.includes(category)) continue;
    const name = words(enumName(DataCategory, category));
    findings.push(
      finding(
        "sensitive-category",
        e,
        `${who(e.actor, e.affiliation)} was ${allowed(e) ? "allowed" : "denied"} the ${name} of patient ${e.patient} ` +
          `for ${words(enumName(Purpose, e.purpose))} (${words(enumName(DecisionBasis, e.basis))}): ${name} is a ` +
          "sensitive category",
      ),
    );
  }

  findings.sort(
    (a, b) =>
      a.time - b.time || a.kind.localeCompare(b.kind) || (a.txHashes[0] ?? "").localeCompare(b.txHashes[0] ?? ""),
  );
  return { kind: "privacy-officer-report", asOf: options.asOf, thresholds, source, findings };
}

function checkThresholds(t: PrivacyThresholds): void {
  const whole = (name: keyof PrivacyThresholds, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const value = t[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new AuditError(`the threshold ${name} must be a whole number from ${min} to ${max}; got ${String(value)}`);
    }
  };
  whole("unreviewedDays", 0);
  whole("explanationWindowDays", 1);
  whole("deniedBurstCount", 2);
  whole("deniedBurstMinutes", 1);
  whole("workdayStartHour", 0, 23);
  whole("workdayEndHour", 1, 24);
  whole("maxPatientsPerDay", 1);
  if (t.workdayEndHour <= t.workdayStartHour) {
    throw new AuditError(
      `the working day must end after it starts; got ${t.workdayStartHour}:00–${t.workdayEndHour}:00`,
    );
  }
  try {
    new Intl.DateTimeFormat("en", { timeZone: t.timeZone });
  } catch {
    throw new AuditError(`the time zone ${JSON.stringify(t.timeZone)} is not an IANA time zone (America/New_York)`);
  }
}

/** The category of each record the decisions read (a new version inherits its predecessor's). */
async function recordCategories(
  db: Queryable,
  chainId: bigint,
  decisions: EventRecord[],
): Promise<Map<string, number>> {
  const patients = [...new Set(decisions.filter((e) => e.record !== null).map((e) => e.patient ?? ""))];
  if (patients.length === 0) return new Map();
  const rows = await db.query<RawEvent>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events e
     WHERE e.chain_id = $1 AND e.patient = ANY($2::numeric[])
       AND e.event IN ('RecordAnchored', 'RecordAdopted', 'RecordSuperseded')
     ORDER BY e.block_number, e.log_index`,
    [chainId.toString(), patients],
  );
  return contextOf(rows.map(toRecord)).recordCategory;
}

/**
 * The allowed accesses among `candidates` that the ledger explains: before the access, within the window, the
 * accessor's organization at the time anchored or adopted a record for the patient (not one her representative
 * wrote), or she approved a request of the accessor's. What it cannot tell: an insider who writes an unrelated record
 * for a patient to explain reading her; see docs/audit.md.
 */
async function explainedAccesses(
  db: Queryable,
  chainId: bigint,
  candidates: EventRecord[],
  windowDays: number,
): Promise<Set<string>> {
  const rows = await db.query<{ block_number: string | number; log_index: number }>(
    `WITH c AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb)
         AS c(block_number bigint, log_index integer, t bigint, patient numeric, actor numeric, organization numeric)
     ),
     -- the requests of a candidate's accessor to the candidate's patient that she approved, once each
     approved AS (
       SELECT DISTINCT q.patient, q.actor, d.block_number, d.log_index, d.block_time
       FROM (SELECT DISTINCT patient, actor FROM c) pair
       JOIN audit_events q ON q.chain_id = $1 AND q.event = 'AccessRequested' AND q.patient = pair.patient
         AND q.actor = pair.actor
       JOIN audit_events d ON d.chain_id = $1 AND d.event = 'AccessRequestResolved' AND d.patient = q.patient
         AND (d.args ->> 'requestId') = (q.args ->> 'requestId') AND (d.args ->> 'status') = $4
     )
     SELECT c.block_number, c.log_index FROM c
     WHERE EXISTS (
       -- a record written for the patient before the access, by its organization: adopted by it, anchored by it, or
       -- anchored by an author affiliated with it then; not one a representative wrote
       SELECT 1 FROM audit_events r
       WHERE r.chain_id = $1 AND r.patient = c.patient
         AND r.event IN ('RecordAnchored', 'RecordAdopted', 'RecordSuperseded')
         AND (r.block_number, r.log_index) < (c.block_number, c.log_index)
         AND r.block_time >= to_timestamp(c.t - $3)
         AND r.basis IS DISTINCT FROM $5
         AND c.organization IS NOT NULL
         AND (r.organization = c.organization OR r.actor = c.organization OR (
           SELECT a.organization FROM audit_events a
           WHERE a.chain_id = r.chain_id AND a.event = 'AffiliationChanged' AND a.actor = r.actor
             AND (a.block_number, a.log_index) < (r.block_number, r.log_index)
           ORDER BY a.block_number DESC, a.log_index DESC LIMIT 1) = c.organization)
     ) OR EXISTS (
       SELECT 1 FROM approved p
       WHERE p.patient = c.patient AND p.actor = c.actor
         AND (p.block_number, p.log_index) < (c.block_number, c.log_index) AND p.block_time >= to_timestamp(c.t - $3)
     )`,
    [
      chainId.toString(),
      JSON.stringify(
        candidates.map((e) => ({
          block_number: e.blockNumber,
          log_index: e.logIndex,
          t: e.time,
          patient: e.patient,
          actor: e.actor,
          organization: e.affiliation,
        })),
      ),
      windowDays * SECONDS_PER_DAY,
      String(RequestStatus.Approved),
      DecisionBasis.Representative,
    ],
  );
  return new Set(rows.map((row) => `${row.block_number}:${row.log_index}`));
}
