/**
 * The audit reports' value types. Every report is plain JSON (ids as decimal strings, enums by their SDK names, times
 * as Unix seconds and ISO 8601), so that the JSON, CSV, HTML and FHIR files are the same rows in other clothes, and a
 * report regenerated from the chain compares equal to the first.
 */

/** Where a report's rows come from: stated in every file's footer, so that anyone can regenerate and compare it. */
export interface ReportSource {
  chainId: string;
  /** The contracts the rows were read from, by command-line name (`consent-registry`) to checksummed address. */
  contracts: Record<string, string>;
  /** The block span the report covers (wholly indexed: the report refuses a span with a hole). */
  fromBlock: number;
  toBlock: number;
}

/** What a line of the patient's access report records. */
export type AccessEntryKind =
  /** A consent decision on a category of the patient's data (`recordAccess`, the decision of another module). */
  | "access"
  /** A read of one anchored record, decided by the consent registry. */
  | "record-read"
  | "break-glass-opened"
  | "break-glass-closed"
  | "break-glass-reviewed"
  /** A grant, as given by the patient, a representative, a signed consent or an approved request. */
  | "consent-granted"
  | "consent-narrowed"
  | "consent-revoked"
  /** A deny set (or cleared, with no categories) for a participant or organization. */
  | "deny-set"
  /** An access request to the patient, and its answer. */
  | "access-requested"
  | "access-request-resolved"
  /** A representative appointed for the patient (who may then act and read as her), or removed. */
  | "representative-appointed"
  | "representative-removed"
  /** A record of hers anchored, superseded by a new version or adopted from a batch: who wrote to her chart. */
  | "record-written"
  | "record-entered-in-error"
  /** Her request to amend a record (45 CFR 164.526), and its answer. */
  | "amendment-requested"
  | "amendment-resolved"
  /** Her part in a clinical trial: enrolled, consent signed, withdrawn, unblinded in an emergency, arm disclosed. */
  | "trial"
  /** Her case-report data in a trial's data batch, sent to the sponsor. */
  | "trial-data"
  /** A serious adverse event of hers recorded in a trial, and its report to the trial's regulator (a SUSAR). */
  | "adverse-event"
  | "adverse-event-reported";

/** One line of the patient's access report, with the transaction that proves it. */
export interface AccessReportRow {
  /** Block time, Unix seconds, and the same as ISO 8601 (UTC). */
  time: number;
  isoTime: string;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** The contract that emitted the event (`consent-registry`) and the event's name (`AccessGranted`). */
  contract: string;
  event: string;
  kind: AccessEntryKind;
  /** For decisions: whether access was allowed; null for lines that decide nothing (a grant, a review). */
  outcome: "allowed" | "denied" | null;
  /** Who accessed, was granted, requested, broke glass or acted: a pseudonymous participant id; null for none. */
  participant: string | null;
  /** The organization that participant acted for at the time (its affiliation), or the one the event names. */
  organization: string | null;
  /** Whose grant decided an access, or whom a grant, deny or revocation names (a participant or an organization). */
  grantee: string | null;
  /**
   * Who made a consent change or answered a request (the patient or her representative: a participant id), or the
   * auditor's account address for a break-glass review; null for the other lines.
   */
  actor: string | null;
  /** What the line refers to: the grant version of a decision or grant, a break-glass session id, a request id. */
  ref: string | null;
  /** How an answered request ended (`Approved`, `Rejected`, `Cancelled`), or a review's outcome (`Justified`...). */
  status: string | null;
  /** The data categories concerned, by name (`LaboratoryResults`; `*` for a broad grant's wildcard). */
  categories: string[];
  /** The purposes of use concerned, by name (`Treatment`; `*` for the wildcard). */
  purposes: string[];
  /** The decision basis, by name (`Grant`, `NoGrant`, `BreakGlass`...), for decisions. */
  basis: string | null;
  /** The record read (its commitment), for record reads. */
  record: string | null;
  /** One sentence on the line, in plain words, ending with no full stop. */
  summary: string;
}

export interface AccessReport {
  kind: "access-report";
  patient: string;
  generatedFor: { fromTime: number | null; toTime: number | null };
  source: ReportSource;
  rows: AccessReportRow[];
}

/** A name and address from the covered entity's own off-chain directory (never on chain). */
export interface DirectoryEntry {
  name: string;
  address?: string;
}

/** Participant id (decimal) to name and address: the file a covered entity keeps, and an accounting may be given. */
export type Directory = Record<string, DirectoryEntry>;

/** Why an allowed disclosure is left out of the accounting (45 CFR 164.528(a)(1)). */
export type DisclosureExemption =
  /** (a)(1)(i): for treatment, payment or health care operations (emergency treatment is treatment). */
  | "treatment-payment-operations"
  /** (a)(1)(ii): to the individual (the patient, or her personal representative, who stands in her place). */
  | "to-the-individual"
  /** (a)(1)(iv): under the individual's authorization (a grant she or her representative gave). */
  | "authorization";

/** One disclosure in an accounting: date, recipient, description of the data, purpose (164.528(b)(2)). */
export interface Disclosure {
  time: number;
  isoTime: string;
  blockNumber: number;
  txHash: string;
  recipient: string;
  recipientOrganization: string | null;
  /** From the directory, when one was given and names the recipient (else the id stands alone). */
  recipientName: string | null;
  recipientAddress: string | null;
  /** The data disclosed, described by its category. */
  category: string;
  record: string | null;
  purpose: string;
  basis: string;
  /** A brief statement of the purpose, in plain words. */
  statement: string;
}

export interface AccountingOfDisclosures {
  kind: "accounting-of-disclosures";
  patient: string;
  /** The date of the request (Unix seconds) and the start of the period it covers: six years before. */
  requestTime: number;
  periodStart: number;
  source: ReportSource;
  disclosures: Disclosure[];
  /** How many allowed accesses of the period each exemption left out. */
  exempted: Record<DisclosureExemption, number>;
}

/** HITECH's proposed access report: every access of the three years before the request, exempt or not. */
export interface HitechAccessReport {
  kind: "hitech-access-report";
  patient: string;
  requestTime: number;
  periodStart: number;
  source: ReportSource;
  rows: AccessReportRow[];
}

/** What the privacy officer's report flags. */
export type FindingKind =
  | "unreviewed-break-glass"
  | "unexplained-access"
  | "denied-burst"
  | "after-hours"
  | "many-patients"
  | "sensitive-category";

export interface Finding {
  kind: FindingKind;
  time: number;
  isoTime: string;
  /** The participant the finding is about (the accessor, the practitioner who broke glass). */
  participant: string;
  organization: string | null;
  /** The patient concerned, if one is (a many-patients finding concerns many). */
  patient: string | null;
  /** The transactions that support it (the first few, for a burst or a day of many patients). */
  txHashes: string[];
  /** Why it was raised, in one sentence with the figures that crossed the threshold. */
  why: string;
}

export interface PrivacyOfficerReport {
  kind: "privacy-officer-report";
  /** The time the report looked from (Unix seconds), and the thresholds it applied. */
  asOf: number;
  thresholds: PrivacyThresholds;
  source: ReportSource;
  findings: Finding[];
}

export interface PrivacyThresholds {
  /** Break-glass sessions still unreviewed after this many days are flagged. Default 7. */
  unreviewedDays: number;
  /** The window, in days, before an access in which a grant, record, claim or approved request explains it. Default 365. */
  explanationWindowDays: number;
  /** This many denied attempts by one accessor within `deniedBurstMinutes` make a burst. Default 3 in 60 minutes. */
  deniedBurstCount: number;
  deniedBurstMinutes: number;
  /** Working hours, in the time zone `timeZone` (IANA name): accesses outside [start, end) are after hours. */
  workdayStartHour: number;
  workdayEndHour: number;
  timeZone: string;
  /** Distinct patients one accessor may read in one day before it is flagged. Default 200. */
  maxPatientsPerDay: number;
}

export type AuditReport = AccessReport | AccountingOfDisclosures | HitechAccessReport | PrivacyOfficerReport;
