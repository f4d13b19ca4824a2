import type {
  AccessEntryKind,
  AccessReport,
  AccessReportRow,
  AccountingOfDisclosures,
  AuditReport,
  Disclosure,
  DisclosureExemption,
  Finding,
  HitechAccessReport,
  PrivacyOfficerReport,
  PrivacyThresholds,
  ReportSource,
} from "./types";

/**
 * An audit report as one self-contained HTML page, for the patient (or the privacy officer) to read and print: a
 * heading, a plain-language explanation, a timeline of the accesses per day, the table of rows and a footer with the
 * report's source. The page loads nothing (its Content-Security-Policy forbids it), runs no script, and is a function
 * of the report and the options alone, so that a regenerated report renders to the same bytes.
 *
 * Selectors the page keeps stable: `#timeline svg[role=img]` (the chart), `.bar` (one rect per day and category,
 * with `data-day`, `data-category`, `data-count`, `data-denied`), `#rows tbody tr` (one per row, with `data-tx`: the
 * transaction hash, or a finding's hashes separated by spaces) and `#source` (the footer).
 */

export interface ReportHtmlOptions {
  /** The page's title and main heading (default: the report's name, e.g. "Access report"). */
  title?: string;
  /** When the file was made, as the caller wants it printed (an ISO 8601 time, say); the page never reads a clock. */
  generatedAt?: string;
}

/** The text with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Markup known to be safe: the only value `html` interpolates as it is. */
class Markup {
  constructor(readonly text: string) {}
}

type Interpolation = string | number | null | Markup | readonly Markup[];

/** A template of markup whose interpolated strings are escaped (null is nothing, numbers are printed as they are). */
function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Markup {
  let text = strings[0] ?? "";
  values.forEach((value, i) => {
    text += interpolate(value) + (strings[i + 1] ?? "");
  });
  return new Markup(text);
}

function interpolate(value: Interpolation): string {
  if (value === null) return "";
  if (typeof value === "string") return escapeHtml(value);
  if (typeof value === "number") return String(value);
  if (value instanceof Markup) return value.text;
  return value.map((m) => m.text).join("");
}

/** Renders the report; see the module's comment. */
export function reportHtml(report: AuditReport, options: ReportHtmlOptions = {}): string {
  const view = viewOf(report);
  const title = options.title ?? view.name;
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'" />
        <title>${view.subject === null ? title : `${title}: ${view.subject}`}</title>
        <style>
          ${new Markup(CSS)}
        </style>
      </head>
      <body>
        <main>
          <header>
            <p class="kicker">CareLedger audit report</p>
            <h1>${title}</h1>
            ${view.subject === null ? null : html`<p class="subject">${view.subject}</p>`}
            <p class="period">${view.period}</p>
          </header>
          <section class="explanation">${view.explanation}</section>
          ${stats(view.stats)} ${timeline(view.chart)} ${view.extra}
          <section>
            <h2>${view.tableHeading}</h2>
            ${view.table}
          </section>
          ${footer(report.source, options.generatedAt)}
        </main>
      </body>
    </html> `;
  return page.text;
}

// ---------------------------------------------------------------------------------------------------------------------
// What each kind of report shows.

/** One access, disclosure or finding on the timeline, counted under `key` (a category, or a finding's kind). */
interface Point {
  time: number;
  key: string;
  denied: boolean;
}

interface ChartSpec {
  /** What a bar counts, in the plural ("accesses"), and what its colours stand for ("data category"). */
  noun: string;
  keyName: string;
  points: Point[];
  /** A sentence the caption ends with: what the chart leaves out, where the table holds more than it counts. */
  note?: string;
}

interface View {
  name: string;
  /** Whom the report is about ("Patient 1042"), or null for a report about no one patient. */
  subject: string | null;
  period: string;
  explanation: Markup;
  stats: [label: string, value: number][];
  chart: ChartSpec;
  extra: Markup | null;
  tableHeading: string;
  table: Markup;
}

function viewOf(report: AuditReport): View {
  switch (report.kind) {
    case "access-report":
      return accessView(report);
    case "hitech-access-report":
      return hitechView(report);
    case "accounting-of-disclosures":
      return accountingView(report);
    case "privacy-officer-report":
      return privacyView(report);
  }
}

/** The rows a timeline counts: the decisions on access to data (a consent decision, a record read). */
function isAccess(row: AccessReportRow): boolean {
  return row.kind === "access" || row.kind === "record-read";
}

/** The timeline's key for an access that names no category (a read of a record whose category is not known). */
const UNKNOWN_CATEGORY = "unknown";

/** An access counts once under each category it concerns, or once under `UNKNOWN_CATEGORY` if it names none. */
function accessPoints(rows: readonly AccessReportRow[]): Point[] {
  return rows.filter(isAccess).flatMap((r) =>
    (r.categories.length === 0 ? [UNKNOWN_CATEGORY] : r.categories).map((key) => ({
      time: r.time,
      key,
      denied: r.outcome === "denied",
    })),
  );
}

/**
 * The access reports' timeline: the accesses only. Its caption says so when the report has other lines too (a
 * permission, a record written, a trial...), which the table lists and the chart does not count.
 */
function accessChart(rows: readonly AccessReportRow[]): ChartSpec {
  const others = rows.length - rows.filter(isAccess).length;
  return {
    noun: "accesses",
    keyName: "data category",
    points: accessPoints(rows),
    ...(others === 0
      ? {}
      : {
          note:
            `Only decisions on access to your data and record reads are counted: the ${others} other ` +
            `${others === 1 ? "line is" : "lines are"} in the table below.`,
        }),
  };
}

function accessStats(rows: readonly AccessReportRow[]): [string, number][] {
  const accesses = rows.filter(isAccess);
  const people = new Set(accesses.flatMap((r) => (r.participant === null ? [] : [r.participant])));
  return [
    ["lines", rows.length],
    ["accesses allowed", accesses.filter((r) => r.outcome === "allowed").length],
    ["accesses denied", accesses.filter((r) => r.outcome === "denied").length],
    ["people who asked", people.size],
  ];
}

const ACCESS_EXPLANATION = html`<p>
    Each line below is one event recorded on the CareLedger network about your health information: someone asking to see
    it (and whether they were <strong>allowed</strong> or <strong>denied</strong>), a record being read, written to your
    chart or marked as a mistake, a permission you gave, changed or withdrew, a representative you appointed or who
    stopped acting for you, a correction you asked for, your part in a clinical trial, or an emergency ("break-glass")
    access. People and organizations appear by their participant number, not their name: your provider can tell you who
    a number is.
  </p>
  <p>Every line names the transaction that recorded it, so anyone with access to the network can check it.</p>`;

function accessView(report: AccessReport): View {
  const { fromTime, toTime } = report.generatedFor;
  const period =
    fromTime === null && toTime === null
      ? "Everything recorded"
      : `${fromTime === null ? "From the start of the records" : `From ${dateTime(fromTime)}`} ${
          toTime === null ? "to the latest block" : `to ${dateTime(toTime)}`
        }`;
  return {
    name: "Access report",
    subject: `Patient ${report.patient}`,
    period,
    explanation: ACCESS_EXPLANATION,
    stats: accessStats(report.rows),
    chart: accessChart(report.rows),
    extra: null,
    tableHeading: "Every recorded event",
    table: accessTable(report.rows, report.patient),
  };
}

function hitechView(report: HitechAccessReport): View {
  return {
    name: "Access report (HITECH)",
    subject: `Patient ${report.patient}`,
    period: `Requested ${dateTime(report.requestTime)}; covers ${dateTime(report.periodStart)} to the request`,
    explanation: html`<p>
        Every access to your electronic health information in the three years before your request, including the
        accesses for your treatment, for payment and for the running of your providers, which an accounting of
        disclosures leaves out. Each line says who asked, for what and why, and whether they were
        <strong>allowed</strong> or <strong>denied</strong>. People and organizations appear by their participant
        number: your provider can tell you who a number is.
      </p>
      <p>Every line names the transaction that recorded it, so anyone with access to the network can check it.</p>`,
    stats: accessStats(report.rows),
    chart: accessChart(report.rows),
    extra: null,
    tableHeading: "Every recorded event",
    table: accessTable(report.rows, report.patient),
  };
}

const EXEMPTIONS: [DisclosureExemption, string][] = [
  ["treatment-payment-operations", "for treatment, payment or the running of your providers"],
  ["to-the-individual", "to you or your personal representative"],
  ["authorization", "under a permission you or your representative gave"],
];

function accountingView(report: AccountingOfDisclosures): View {
  const exempted = EXEMPTIONS.map(([kind, why]) => html`<li>${report.exempted[kind]} ${why}</li>`);
  const recipients = new Set(report.disclosures.map((d) => d.recipient));
  return {
    name: "Accounting of disclosures",
    subject: `Patient ${report.patient}`,
    period: `Requested ${dateTime(report.requestTime)}; covers ${dateTime(report.periodStart)} to the request`,
    explanation: html`<p>
        The disclosures of your health information in the six years before your request that the law (45 CFR 164.528)
        requires us to list: when, to whom, what was disclosed and why. Recipients appear by name where the provider's
        directory names them, else by their participant number.
      </p>
      <p>Some disclosures are left out, as the law allows; they are counted below.</p>`,
    stats: [
      ["disclosures", report.disclosures.length],
      ["recipients", recipients.size],
    ],
    chart: {
      noun: "disclosures",
      keyName: "data category",
      points: report.disclosures.map((d) => ({ time: d.time, key: d.category, denied: false })),
    },
    extra: html`<section class="exempted">
      <h2>Not listed</h2>
      <p>Allowed accesses of the period that the accounting leaves out:</p>
      <ul>
        ${exempted}
      </ul>
    </section>`,
    tableHeading: "Disclosures",
    table: disclosureTable(report.disclosures),
  };
}

function privacyView(report: PrivacyOfficerReport): View {
  const people = new Set(report.findings.map((f) => f.participant));
  return {
    name: "Privacy officer's report",
    subject: null,
    period: `As of ${dateTime(report.asOf)}`,
    explanation: html`<p>
      Accesses that need a closer look: emergency ("break-glass") sessions not yet reviewed, accesses nothing on record
      explains, bursts of denied attempts, accesses outside working hours, accessors reading many patients in a day, and
      reads of sensitive categories. A finding is a question to ask, not a conclusion; each names the transactions
      behind it.
    </p>`,
    stats: [
      ["findings", report.findings.length],
      ["participants concerned", people.size],
    ],
    chart: {
      noun: "findings",
      keyName: "kind",
      points: report.findings.map((f) => ({ time: f.time, key: f.kind, denied: false })),
    },
    extra: thresholdList(report.thresholds),
    tableHeading: "Findings",
    table: findingTable(report.findings),
  };
}

function thresholdList(t: PrivacyThresholds): Markup {
  const items: [string, string][] = [
    ["Break-glass unreviewed after", `${t.unreviewedDays} days`],
    ["An access is explained by a reason within", `${t.explanationWindowDays} days before it`],
    ["Denied burst", `${t.deniedBurstCount} denials within ${t.deniedBurstMinutes} minutes`],
    ["Working hours", `${t.workdayStartHour}:00 to ${t.workdayEndHour}:00, ${t.timeZone}`],
    ["Many patients", `more than ${t.maxPatientsPerDay} in a day`],
  ];
  const rows = items.map(
    ([term, value]) =>
      html`<dt>${term}</dt>
        <dd>${value}</dd>`,
  );
  return html`<section class="thresholds">
    <h2>Thresholds applied</h2>
    <dl>${rows}</dl>
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Tables.

/** The `#rows` table, or a sentence saying there is nothing to list (no table, so no `tr` without a row). */
function table(headers: readonly string[], rows: readonly Markup[], empty: string): Markup {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  const head = headers.map((h) => html`<th scope="col">${h}</th>`);
  return html`<div class="table-wrap">
    <table id="rows">
      <thead>
        <tr>
          ${head}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

/**
 * The access report's table. A line's kind, in plain words, is followed by what it refers to (a permission's version,
 * an emergency session, a request, a trial...); the outcome is a decision's, or the line's status as a badge; under
 * whom a line names is the part they played, and who changed the permission, answered the request or reviewed the
 * session.
 */
function accessTable(rows: readonly AccessReportRow[], patient: string): Markup {
  const answers = answersOf(rows);
  const lines = rows.map(
    (r) =>
      html`<tr data-tx="${r.txHash}" ${r.outcome === "denied" ? new Markup(' class="denied"') : null}>
        <td>${timeCell(r.time, r.isoTime)}</td>
        <td class="what">
          ${r.summary}
          <div class="muted kind">${kindLabel(r)}${refNote(r)}</div>
        </td>
        <td>${r.outcome === null ? statusBadge(r, answers) : outcomeBadge(r.outcome)}</td>
        <td>${who(r, patient)}</td>
        <td>${data(r)}</td>
        <td>${list(r.purposes, "Any purpose")}</td>
        <td>${r.basis === null ? dash() : plainName(r.basis)}</td>
        <td>${hash(r.txHash, "tx")}</td>
      </tr> `,
  );
  return table(
    ["When (UTC)", "What happened", "Outcome", "Who", "Data", "Purpose", "Basis", "Transaction"],
    lines,
    "Nothing was recorded in this period.",
  );
}

function disclosureTable(disclosures: readonly Disclosure[]): Markup {
  const lines = disclosures.map(
    (d) =>
      html`<tr data-tx="${d.txHash}">
        <td>${timeCell(d.time, d.isoTime)}</td>
        <td>${recipient(d)}</td>
        <td>
          ${categoryName(d.category)}${d.record === null ? null : html`<div class="muted">record ${hash(d.record, "record")}</div>`}
        </td>
        <td>${plainName(d.purpose)}</td>
        <td>${d.statement}</td>
        <td>${plainName(d.basis)}</td>
        <td>${hash(d.txHash, "tx")}</td>
      </tr> `,
  );
  return table(
    ["When (UTC)", "Recipient", "Data disclosed", "Purpose", "Statement", "Basis", "Transaction"],
    lines,
    "No disclosures to list in this period.",
  );
}

function findingTable(findings: readonly Finding[]): Markup {
  const lines = findings.map(
    (f) =>
      html`<tr data-tx="${f.txHashes.join(" ")}">
        <td>${timeCell(f.time, f.isoTime)}</td>
        <td>${plainName(f.kind)}</td>
        <td>${party(f.participant, f.organization)}</td>
        <td>${f.patient ?? dash()}</td>
        <td>${f.why}</td>
        <td>${f.txHashes.map((tx) => html`<div>${hash(tx, "tx")}</div>`)}</td>
      </tr> `,
  );
  return table(
    ["When (UTC)", "Finding", "Participant", "Patient", "Why", "Transactions"],
    lines,
    "No findings: nothing crossed a threshold.",
  );
}

function timeCell(time: number, isoTime: string): Markup {
  return html`<time datetime="${isoTime}">${dateOf(time)}<span class="clock">${clock(time)}</span></time>`;
}

function outcomeBadge(outcome: AccessReportRow["outcome"]): Markup {
  return outcome === null ? dash() : html`<span class="badge ${outcome}">${outcome}</span>`;
}

/** What each kind of line is, in the patient's words; the kinds whose status changes the words list them by status. */
const KIND_LABELS: Readonly<Record<AccessEntryKind, string | Readonly<Record<string, string>>>> = {
  access: "Access decision",
  "record-read": "Record read",
  "break-glass-opened": "Emergency access opened",
  "break-glass-closed": "Emergency access closed",
  "break-glass-reviewed": "Emergency access reviewed",
  "consent-granted": "Permission given",
  "consent-narrowed": "Permission narrowed",
  "consent-revoked": "Permission withdrawn",
  "deny-set": "Refusal set",
  "access-requested": "Request to see your records",
  "access-request-resolved": "Request answered",
  "representative-appointed": "Representative appointed",
  "representative-removed": { resigned: "Representative resigned", revoked: "Representative removed" },
  "record-written": {
    anchored: "New record in your chart",
    superseded: "New version of a record",
    adopted: "Record given its own place in your chart",
  },
  "record-entered-in-error": "Record marked as a mistake",
  "amendment-requested": "Request to correct a record",
  "amendment-resolved": "Correction request answered",
  trial: {
    enrolled: "Joined a clinical trial",
    "consent-signed": "Clinical trial consent signed",
    withdrawn: "Left a clinical trial",
    unblinded: "Trial treatment revealed in an emergency",
    "arm-disclosed": "Trial group disclosed",
  },
  "trial-data": "Trial data sent to the sponsor",
  "adverse-event": "Serious adverse event recorded",
  "adverse-event-reported": "Adverse event reported to the regulator",
};

/** A line's kind in plain words (a cleared refusal is "Refusal lifted"); an unknown status falls back to its kind. */
function kindLabel(r: AccessReportRow): string {
  if (r.kind === "deny-set" && r.categories.length === 0) return "Refusal lifted";
  const label = KIND_LABELS[r.kind];
  if (typeof label === "string") return label;
  return label[r.status ?? ""] ?? plainName(r.kind);
}

/**
 * What a line refers to, in the patient's words: an emergency session, a request, a correction request, a trial, an
 * adverse event, or a permission's version.
 */
function refNote(r: AccessReportRow): Markup | null {
  if (r.ref === null) return null;
  return html` · <span class="ref">${refLabel(r, r.ref)}</span>`;
}

function refLabel(r: AccessReportRow, ref: string): string {
  if (r.kind.startsWith("break-glass") || r.basis === "BreakGlass") return `emergency session ${ref}`;
  switch (r.kind) {
    case "access-requested":
    case "access-request-resolved":
      return `request ${ref}`;
    case "amendment-requested":
    case "amendment-resolved":
      return `correction request ${ref}`;
    case "trial":
    case "trial-data":
      return `trial ${ref}`;
    case "adverse-event":
    case "adverse-event-reported":
      return `adverse event ${ref}`;
    default:
      return `permission version ${ref}`;
  }
}

/** The requests whose own line shows their answer, and the line that answers each. */
const ANSWERED_BY: Readonly<Partial<Record<AccessEntryKind, AccessEntryKind>>> = {
  "access-requested": "access-request-resolved",
  "amendment-requested": "amendment-resolved",
};

/** The kinds of line that answer a request. */
const ANSWERS: ReadonlySet<AccessEntryKind> = new Set(Object.values(ANSWERED_BY));

/**
 * The answer to each request the rows hold, by the answering kind and request id (`amendment-resolved 5`): the last
 * answer wins (there is only one on chain).
 */
function answersOf(rows: readonly AccessReportRow[]): Map<string, string> {
  const answers = new Map<string, string>();
  for (const r of rows) {
    if (ANSWERS.has(r.kind) && r.ref !== null && r.status !== null) answers.set(`${r.kind} ${r.ref}`, r.status);
  }
  return answers;
}

type Badge = readonly [tone: "good" | "bad" | "waiting" | "warn" | "info" | "neutral", label: string, meaning: string];

/** A request's or an emergency session's status as a badge: its tone (a class), its word, and what it means. */
const STATUS_BADGES: Readonly<Record<string, Badge>> = {
  Approved: ["good", "Approved", "The request was approved: a permission was given"],
  Rejected: ["bad", "Rejected", "The request was rejected: no permission was given"],
  Cancelled: ["neutral", "Cancelled", "The request was withdrawn before it was answered"],
  Expired: ["neutral", "Expired", "The request was not answered in time"],
  Justified: ["good", "Justified", "An auditor found this emergency access justified"],
  Unjustified: ["bad", "Unjustified", "An auditor found this emergency access unjustified"],
};

/** The badges of the other kinds' statuses, by kind and status (`""` for a kind whose lines carry none). */
const KIND_BADGES: Readonly<Partial<Record<AccessEntryKind, Readonly<Record<string, Badge>>>>> = {
  "representative-appointed": {
    "": ["info", "Appointed", "Your representative may act for you and see your records, until the appointment ends"],
  },
  "representative-removed": {
    resigned: ["neutral", "Resigned", "Your representative stopped acting for you"],
    revoked: ["neutral", "Removed", "You ended the appointment of your representative"],
  },
  "record-written": {
    anchored: ["info", "New", "The first version of this record was added to your chart"],
    superseded: ["info", "New version", "This version replaces an earlier one, which stays on record"],
    adopted: ["info", "Added", "A record held in an organization's batch was given its own place in your chart"],
  },
  "record-entered-in-error": {
    "entered-in-error": ["warn", "In error", "This record was marked as entered in error: it should not be relied on"],
  },
  "amendment-resolved": {
    Accepted: ["good", "Accepted", "Your correction was accepted: the record was amended"],
    Denied: ["bad", "Denied", "Your correction was denied: you may send a statement of disagreement"],
    Withdrawn: ["neutral", "Withdrawn", "The correction request was withdrawn before it was answered"],
  },
  trial: {
    enrolled: ["info", "Enrolled", "You joined this clinical trial"],
    "consent-signed": ["info", "Signed", "A consent to this clinical trial was signed for you"],
    withdrawn: ["neutral", "Withdrawn", "You left this clinical trial"],
    unblinded: ["warn", "Unblinded", "An investigator learned your trial treatment in an emergency"],
    "arm-disclosed": ["info", "Disclosed", "Which group of the trial you were in was disclosed"],
  },
  "trial-data": {
    "": ["info", "Sent", "Your case-report data in this batch was sent to the trial's sponsor"],
  },
  "adverse-event": {
    "life-threatening": ["bad", "Life-threatening", "A life-threatening adverse event of yours was recorded"],
    serious: ["warn", "Serious", "A serious adverse event of yours was recorded"],
  },
  "adverse-event-reported": {
    "on time": ["good", "On time", "The event was reported to the regulator before its deadline"],
    late: ["bad", "Late", "The event was reported to the regulator after its deadline"],
  },
};

/**
 * A line's status as a badge. A request's own line (for access or for a correction) shows its answer when the report
 * holds it, as an emergency session's opening line shows its review, else that it awaits one.
 */
function statusBadge(r: AccessReportRow, answers: ReadonlyMap<string, string>): Markup {
  const answeredBy = ANSWERED_BY[r.kind];
  const status =
    answeredBy !== undefined && r.ref !== null ? (answers.get(`${answeredBy} ${r.ref}`) ?? r.status) : r.status;
  const badge = badgeOf(answeredBy ?? r.kind, status);
  if (badge === null) return dash();
  const [tone, label, meaning] = badge;
  return html`<span class="badge ${tone}" title="${meaning}">${label}</span>`;
}

function badgeOf(kind: AccessEntryKind, status: string | null): Badge | null {
  const own = KIND_BADGES[kind]?.[status ?? ""];
  if (own !== undefined) return own;
  if (status === null) return null;
  if (status.toLowerCase() === "pending") {
    return kind.startsWith("break-glass")
      ? ["waiting", "Unreviewed", "No auditor had reviewed this emergency access when this report was made"]
      : kind === "amendment-resolved"
        ? ["waiting", "Unanswered", "The correction request had no answer when this report was made"]
        : ["waiting", "Unanswered", "The request had no answer when this report was made"];
  }
  return STATUS_BADGES[status] ?? ["neutral", plainName(status), status];
}

/**
 * Who a line names: its participant and organization, the part the participant played where the line's words do not
 * say it (an author, a regulator...), and who acted. A line that names only who acted (a trial consent's signer) shows
 * that alone.
 */
function who(r: AccessReportRow, patient: string): Markup {
  const acted = actedBy(r, patient);
  if (r.participant === null && r.organization === null && acted !== null) return acted;
  return html`${party(r.participant, r.organization, patient)}${role(r)}${acted}`;
}

/** The parts a line's participant may play that its kind alone tells. */
const ROLES: Readonly<Partial<Record<AccessEntryKind, string>>> = {
  "record-written": "author",
  "representative-appointed": "representative",
  "representative-removed": "representative",
  "adverse-event": "reporter",
  "adverse-event-reported": "regulator",
};

function role(r: AccessReportRow): Markup | null {
  const part = r.kind === "trial" && r.status === "unblinded" ? "investigator" : ROLES[r.kind];
  return part === undefined || r.participant === null ? null : html`<div class="muted role">${part}</div>`;
}

/** The data a line concerns: its categories, and the record (or a trial's data batch) by its commitment. */
function data(r: AccessReportRow): Markup {
  if (r.record === null) return list(r.categories, "All categories");
  const record = html`<div class="muted">
    ${r.kind === "trial-data" ? "data batch" : "record"} ${hash(r.record, "record")}
  </div>`;
  return r.categories.length === 0 ? record : html`${list(r.categories, "All categories")}${record}`;
}

/**
 * Who changed a permission, answered a request, reviewed an emergency session, appointed or removed a representative,
 * asked for a correction or signed a trial consent, in the patient's words.
 */
function actedBy(r: AccessReportRow, patient: string): Markup | null {
  // A representative resigning: the badge says so, and the participant is who acted.
  if (r.actor === null || (r.kind === "representative-removed" && r.actor === r.participant)) return null;
  const who =
    r.kind === "break-glass-reviewed"
      ? html`auditor ${hash(r.actor, "account")}`
      : r.kind === "trial"
        ? html`account ${hash(r.actor, "account")}`
        : r.actor === patient
          ? html`you`
          : r.kind === "access-request-resolved" && r.actor === r.participant
            ? html`the requester`
            : html`your representative ${r.actor}`;
  return html`<div class="muted actor">${actedVerb(r)} by ${who}</div>`;
}

/** What the actor did, as a past participle: "given" (by you), "rejected" (by your representative 12)... */
function actedVerb(r: AccessReportRow): string {
  switch (r.kind) {
    case "consent-granted":
      return "given";
    case "consent-narrowed":
      return "narrowed";
    case "consent-revoked":
      return "withdrawn";
    case "deny-set":
      return r.categories.length === 0 ? "refusal lifted" : "refusal set";
    case "access-request-resolved":
      return r.status === null ? "answered" : r.status.toLowerCase();
    case "break-glass-reviewed":
      return "reviewed";
    case "representative-appointed":
      return "appointed";
    case "representative-removed":
      return "removed";
    case "amendment-requested":
      return "asked";
    case "trial":
      return "signed";
    default:
      return "acted";
  }
}

/** A participant and its organization; the patient, on her own report, is "you". */
function party(participant: string | null, organization: string | null, patient: string | null = null): Markup {
  if (participant === null) return organization === null ? dash() : html`organization ${organization}`;
  const who = participant === patient ? html`you` : html`${participant}`;
  return html`${who}${organization === null ? null : html`<div class="muted org">of organization ${organization}</div>`}`;
}

function recipient(d: Disclosure): Markup {
  const name = d.recipientName === null ? html`participant ${d.recipient}` : html`${d.recipientName}`;
  return html`${name}${d.recipientName === null ? null : html`<div class="muted">participant ${d.recipient}</div>`}${
    d.recipientOrganization === null
      ? null
      : html`<div class="muted org">of organization ${d.recipientOrganization}</div>`
  }${d.recipientAddress === null ? null : html`<div class="muted">${d.recipientAddress}</div>`}`;
}

/** A transaction hash, record commitment or account: shortened on screen (the whole in its tooltip), whole on paper. */
function hash(value: string, kind: "tx" | "record" | "account"): Markup {
  const short = value.length > 14 ? `${value.slice(0, 8)}…${value.slice(-6)}` : value;
  return html`<code class="hash ${kind}" title="${value}"
    ><span class="short">${short}</span><span class="full">${value}</span></code
  >`;
}

function list(items: readonly string[], wildcard: string): Markup {
  if (items.length === 0) return dash();
  return html`${items.map((item) => (item === "*" ? wildcard : plainName(item))).join(", ")}`;
}

function dash(): Markup {
  return html`<span class="muted">–</span>`;
}

/** `LaboratoryResults` → "Laboratory results", `unreviewed-break-glass` → "Unreviewed break glass". */
export function plainName(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replaceAll("-", " ")
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A category's name for the reader (also a finding's kind, on the privacy officer's timeline). */
function categoryName(category: string): string {
  if (category === "*") return "All categories";
  if (category === UNKNOWN_CATEGORY) return "Category not known";
  return plainName(category);
}

// ---------------------------------------------------------------------------------------------------------------------
// Dates: UTC, in English, with no locale or time zone of the machine that renders (the same bytes everywhere).

const DAY_SECONDS = 86_400;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `1709647320` → "5 Mar 2024". */
function dateOf(time: number): string {
  const d = new Date(time * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]!} ${d.getUTCFullYear()}`;
}

/** `1709647320` → "14:02 UTC". */
function clock(time: number): string {
  const d = new Date(time * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** `1709647320` → "5 Mar 2024, 14:02 UTC". */
function dateTime(time: number): string {
  return `${dateOf(time)}, ${clock(time)}`;
}

/** The UTC day, `2024-03-05`, of a time or of a day number (days since 1970-01-01). */
function isoDay(dayNumber: number): string {
  return new Date(dayNumber * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------------------------
// Summary figures and the timeline.

function stats(items: readonly [string, number][]): Markup {
  return html`<ul class="stats">
    ${items.map(([label, value]) => html`<li><strong>${value}</strong><span>${label}</span></li>`)}
  </ul>`;
}

/**
 * Spans of at most this many days are drawn day by day, empty days included; a longer span shows only the days with
 * points (a six-year accounting would otherwise be two thousand slivers), and its caption says so.
 */
const CONTINUOUS_DAYS = 62;
/** The colours of the keys, in their sorted order (Tableau 10 and six more, distinct on screen and on paper). */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
  "#1f3b73",
  "#a0cbe8",
  "#8cd17d",
  "#b6992d",
  "#d37295",
  "#499894",
];
/**
 * The chart's drawing area, in SVG user units (the SVG scales to the page's width); the widest a bar is, the most
 * day labels shown, and the least the y axis reaches (so that a single access is not a full-height bar).
 */
const CHART = {
  width: 760,
  height: 240,
  left: 40,
  right: 12,
  top: 12,
  bottom: 30,
  maxBar: 36,
  maxLabels: 10,
  minTop: 4,
};

interface Cell {
  count: number;
  denied: number;
}

/** The points counted per day (a UTC day number) and key. */
function tally(points: readonly Point[]): Map<number, Map<string, Cell>> {
  const days = new Map<number, Map<string, Cell>>();
  for (const p of points) {
    const day = Math.floor(p.time / DAY_SECONDS);
    const keys = days.get(day) ?? new Map<string, Cell>();
    const cell = keys.get(p.key) ?? { count: 0, denied: 0 };
    cell.count += 1;
    if (p.denied) cell.denied += 1;
    keys.set(p.key, cell);
    days.set(day, keys);
  }
  return days;
}

/** The y axis' step: 1, 2 or 5 times a power of ten, for about four gridlines. */
function niceStep(max: number): number {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  return step ?? 10 * power;
}

/** A coordinate with at most two decimals, so that the markup is short and stable. */
function px(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function timeline(spec: ChartSpec): Markup {
  const counted = tally(spec.points);
  if (counted.size === 0) {
    return html`<section id="timeline">
      <h2>Timeline</h2>
      <p class="empty">No ${spec.noun} in this period.</p>
    </section>`;
  }
  const active = [...counted.keys()].sort((a, b) => a - b);
  const first = active[0]!;
  const last = active.at(-1)!;
  const continuous = last - first < CONTINUOUS_DAYS;
  const days = continuous ? Array.from({ length: last - first + 1 }, (_, i) => first + i) : active;
  const keys = [...new Set(spec.points.map((p) => p.key))].sort();
  const color = new Map(keys.map((k, i) => [k, `c${i % PALETTE.length}`]));
  const totals = days.map((d) => [...(counted.get(d)?.values() ?? [])].reduce((sum, c) => sum + c.count, 0));
  const step = niceStep(Math.max(...totals));
  const yMax = Math.max(CHART.minTop, Math.ceil(Math.max(...totals) / step) * step);
  const plotW = CHART.width - CHART.left - CHART.right;
  const plotH = CHART.height - CHART.top - CHART.bottom;
  const slot = plotW / days.length;
  const barW = Math.min(CHART.maxBar, Math.max(1, slot * 0.7));
  const y = (value: number) => CHART.top + plotH - (value / yMax) * plotH;

  const grid: Markup[] = [];
  for (let v = 0; v <= yMax; v += step) {
    grid.push(
      html`<line class="grid" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${px(y(v))}" y2="${px(y(v))}" />
        <text class="tick" x="${CHART.left - 6}" y="${px(y(v) + 4)}" text-anchor="end">${v}</text> `,
    );
  }
  const bars: Markup[] = [];
  const labels: Markup[] = [];
  const labelEvery = Math.ceil(days.length / CHART.maxLabels);
  days.forEach((day, i) => {
    const cx = CHART.left + slot * (i + 0.5);
    let base = 0;
    for (const key of keys) {
      const cell = counted.get(day)?.get(key);
      if (cell === undefined) continue;
      const tip = `${dateOf(day * DAY_SECONDS)}, ${categoryName(key)}: ${cell.count} ${spec.noun}${
        cell.denied > 0 ? ` (${cell.denied} denied)` : ""
      }`;
      bars.push(
        html`<rect
          class="bar ${color.get(key)!}"
          data-day="${isoDay(day)}"
          data-category="${key}"
          data-count="${cell.count}"
          data-denied="${cell.denied}"
          x="${px(cx - barW / 2)}"
          y="${px(y(base + cell.count))}"
          width="${px(barW)}"
          height="${px(y(base) - y(base + cell.count))}"
          ><title>${tip}</title></rect
        > `,
      );
      base += cell.count;
    }
    if (i % labelEvery === 0) {
      const label = dateOf(day * DAY_SECONDS).replace(/ \d+$/, "");
      labels.push(
        html`<text class="tick" x="${px(cx)}" y="${CHART.height - CHART.bottom + 16}" text-anchor="middle"
          >${label}</text
        > `,
      );
    }
  });
  const total = spec.points.length;
  const range = `${dateOf(first * DAY_SECONDS)} to ${dateOf(last * DAY_SECONDS)}`;
  const aria = `Bar chart of ${spec.noun} per day by ${spec.keyName}, ${range}: ${total} ${spec.noun} on ${active.length} ${
    active.length === 1 ? "day" : "days"
  }.`;
  const legend = keys.map((key) => {
    const n = spec.points.filter((p) => p.key === key).length;
    return html`<li>
      <span class="swatch ${color.get(key)!}"></span>${categoryName(key)} <span class="muted">(${n})</span>
    </li>`;
  });
  return html`<section id="timeline">
    <h2>Timeline</h2>
    <figure>
      <figcaption>
        ${capitalize(spec.noun)} per day, by ${spec.keyName}: ${range} (UTC
        days${continuous ? "" : "; days with none are left out"}). ${spec.note ?? null}
      </figcaption>
      <svg
        xmlns="http://www.w3.org/2000/svg"
        role="img"
        aria-label="${aria}"
        viewBox="0 0 ${CHART.width} ${CHART.height}"
        width="${CHART.width}"
        height="${CHART.height}"
      >
        ${grid}
        <line class="axis" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${px(y(0))}" y2="${px(y(0))}" />
        ${bars}${labels}
      </svg>
      <ul class="legend">
        ${legend}
      </ul>
    </figure>
  </section>`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------------------------------
// The footer: enough to regenerate the report and compare.

function footer(source: ReportSource, generatedAt: string | undefined): Markup {
  const contracts = Object.entries(source.contracts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([name, address]) =>
        html`<dt>${name}</dt>
          <dd><code>${address}</code></dd>`,
    );
  return html`<footer id="source">
    <h2>Where this report comes from</h2>
    <p>
      Read from the events of chain <strong class="chain-id">${source.chainId}</strong>, blocks
      <strong class="from-block">${source.fromBlock}</strong> to
      <strong class="to-block">${source.toBlock}</strong> (inclusive). Anyone with access to that chain can regenerate
      this report from the same blocks and compare.
    </p>
    <dl class="contracts">${contracts}</dl>
    ${generatedAt === undefined ? null : html`<p class="generated">Generated ${generatedAt}.</p>`}
  </footer>`;
}

// ---------------------------------------------------------------------------------------------------------------------
// The style sheet: system fonts, one column up to 68rem (room for the access table's eight columns), print-ready.

const SWATCHES = PALETTE.map((c, i) => `.c${i}{fill:${c};background:${c}}`).join("");

const CSS = `
:root{--ink:#1b1f24;--muted:#5b6470;--rule:#d8dde3;--paper:#fff;--tint:#f4f6f8;--ok:#17683a;--ok-bg:#e3f4e8;--no:#a4161a;--no-bg:#fde8e8;--wait:#7a4b00;--wait-bg:#fdf0d5;--info:#1d4f91;--info-bg:#e3edf9}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--ink);background:var(--paper);line-height:1.5;font-size:16px}
body{margin:0}
main{max-width:68rem;margin:0 auto;padding:2rem 1.5rem 3rem}
h1{font-size:1.9rem;line-height:1.2;margin:.1rem 0 .3rem}
h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--rule)}
p{margin:.5rem 0}
code{font-family:ui-monospace,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.85em}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:.75rem;color:var(--muted);margin:0}
.subject{font-size:1.2rem;font-weight:600;margin:0}
.period{color:var(--muted);margin:.2rem 0 0}
.explanation{max-width:46rem;margin-top:1.2rem}
.muted{color:var(--muted);font-size:.85em}
.empty{padding:1rem;background:var(--tint);border-radius:6px;color:var(--muted)}
.stats{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;padding:0;margin:1.5rem 0 0}
.stats li{background:var(--tint);border-radius:6px;padding:.5rem .9rem;color:var(--muted)}
.stats strong{display:block;font-size:1.5rem;line-height:1.2;color:var(--ink)}
.stats span{display:block;font-size:.9rem}
figure{margin:0;overflow-x:auto}
figcaption{color:var(--muted);font-size:.9rem;margin-bottom:.4rem}
#timeline svg{display:block;width:100%;min-width:36rem;height:auto}
#timeline .grid{stroke:var(--rule);stroke-width:1}
#timeline .axis{stroke:var(--ink);stroke-width:1}
#timeline .tick{font-size:11px;fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:.35rem 1.2rem;list-style:none;padding:0;margin:.6rem 0 0;font-size:.9rem}
.swatch{display:inline-block;width:.85rem;height:.85rem;border-radius:2px;margin-right:.4rem;vertical-align:-.1rem}
${SWATCHES}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th{text-align:left;font-weight:600;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--ink);padding:.45rem .5rem}
td{vertical-align:top;padding:.55rem .5rem;border-bottom:1px solid var(--rule)}
tbody tr:nth-child(even){background:var(--tint)}
tr.denied td:first-child{box-shadow:inset 3px 0 0 var(--no)}
td time{white-space:nowrap}
td .clock{display:block;color:var(--muted);font-size:.85em}
td.what{min-width:15rem;overflow-wrap:anywhere}
.org{white-space:nowrap}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap}
.badge.allowed,.badge.good{color:var(--ok);background:var(--ok-bg)}
.badge.denied,.badge.bad{color:var(--no);background:var(--no-bg)}
.badge.waiting{color:var(--wait);background:var(--wait-bg)}
.badge.warn{color:var(--wait);background:var(--wait-bg);box-shadow:inset 0 0 0 1px #e8c27a}
.badge.info{color:var(--info);background:var(--info-bg)}
.badge.neutral{color:var(--muted);background:var(--tint);box-shadow:inset 0 0 0 1px var(--rule)}
.ref{white-space:nowrap}
th{white-space:nowrap}
.hash{white-space:nowrap}
.hash .full{display:none}
.exempted ul{margin:.3rem 0;padding-left:1.2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dt{color:var(--muted)}
dd{margin:0}
footer{margin-top:2.5rem;font-size:.9rem}
footer dd code{word-break:break-all}
@media print{
  @page{margin:14mm}
  html{font-size:10pt}
  main{max-width:none;padding:0}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  .table-wrap{overflow:visible}
  thead{display:table-header-group}
  tr,figure,.stats{break-inside:avoid}
  h2{break-after:avoid}
  .hash .short{display:none}
  .hash .full{display:inline;white-space:normal;word-break:break-all;font-size:.75em;line-height:1.3}
}
`;
