import type { AccessReportRow, AuditReport, Disclosure, Finding } from "./types";

/**
 * The audit reports as JSON and CSV files. The JSON file is the whole report; the CSV file is its rows only (one line,
 * disclosure or finding a record), for a spreadsheet. CSV has no place for a footer, so the report's `source` (chain,
 * contracts, blocks), its period and its totals (an accounting's exemptions, an officer's thresholds) are in the JSON
 * and HTML files only: keep the CSV beside one of them to be able to regenerate it.
 */

/**
 * The report as JSON: every object's keys sorted, two-space indented, ending with a newline. Sorted keys make the file
 * a function of the report's values alone, so that a report regenerated from the chain is byte for byte the first.
 */
export function reportJson(report: AuditReport): string {
  return `${JSON.stringify(report, sortedKeys, 2)}\n`;
}

/** `JSON.stringify`'s replacer: each plain object again with its keys in code-point order (arrays keep theirs). */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/** The value of one CSV field before it is written: null is an empty field, a list is joined with `;`. */
type FieldValue = string | number | null | readonly string[];

/** One CSV column: its header (the JSON field's name, so that the two files read alike) and how a row fills it. */
interface Column<T> {
  name: string;
  value: (row: T) => FieldValue;
}

/** The columns of an access report's and a HITECH access report's rows (the same row type). */
function accessColumns(patient: string): Column<AccessReportRow>[] {
  return [
    { name: "patient", value: () => patient },
    { name: "isoTime", value: (r) => r.isoTime },
    { name: "time", value: (r) => r.time },
    { name: "kind", value: (r) => r.kind },
    { name: "outcome", value: (r) => r.outcome },
    { name: "participant", value: (r) => r.participant },
    { name: "organization", value: (r) => r.organization },
    { name: "grantee", value: (r) => r.grantee },
    { name: "actor", value: (r) => r.actor },
    { name: "ref", value: (r) => r.ref },
    { name: "status", value: (r) => r.status },
    { name: "categories", value: (r) => r.categories },
    { name: "purposes", value: (r) => r.purposes },
    { name: "basis", value: (r) => r.basis },
    { name: "record", value: (r) => r.record },
    { name: "summary", value: (r) => r.summary },
    { name: "contract", value: (r) => r.contract },
    { name: "event", value: (r) => r.event },
    { name: "blockNumber", value: (r) => r.blockNumber },
    { name: "logIndex", value: (r) => r.logIndex },
    { name: "txHash", value: (r) => r.txHash },
  ];
}

/** The columns of an accounting of disclosures: 164.528(b)(2)'s date, recipient, data and purpose, then the proof. */
function disclosureColumns(patient: string): Column<Disclosure>[] {
  return [
    { name: "patient", value: () => patient },
    { name: "isoTime", value: (d) => d.isoTime },
    { name: "time", value: (d) => d.time },
    { name: "recipient", value: (d) => d.recipient },
    { name: "recipientOrganization", value: (d) => d.recipientOrganization },
    { name: "recipientName", value: (d) => d.recipientName },
    { name: "recipientAddress", value: (d) => d.recipientAddress },
    { name: "category", value: (d) => d.category },
    { name: "record", value: (d) => d.record },
    { name: "purpose", value: (d) => d.purpose },
    { name: "basis", value: (d) => d.basis },
    { name: "statement", value: (d) => d.statement },
    { name: "blockNumber", value: (d) => d.blockNumber },
    { name: "txHash", value: (d) => d.txHash },
  ];
}

/** The columns of a privacy officer's findings. */
const FINDING_COLUMNS: Column<Finding>[] = [
  { name: "isoTime", value: (f) => f.isoTime },
  { name: "time", value: (f) => f.time },
  { name: "kind", value: (f) => f.kind },
  { name: "participant", value: (f) => f.participant },
  { name: "organization", value: (f) => f.organization },
  { name: "patient", value: (f) => f.patient },
  { name: "why", value: (f) => f.why },
  { name: "txHashes", value: (f) => f.txHashes },
];

/** The CSV's record separator: RFC 4180's CRLF, after every record, the last one included. */
export const CSV_NEWLINE = "\r\n";

/**
 * The report's rows as CSV (RFC 4180): a header row of column names, then one record per row (access and HITECH
 * reports), disclosure (accounting) or finding (privacy officer); a report with no rows is the header alone.
 *
 * - Every record, the last included, ends with CRLF. A line break inside a field is data: it is kept as it is, in a
 *   quoted field.
 * - A field is quoted when it holds a comma, a double quote, CR or LF; a double quote inside it is doubled.
 * - Null is an empty field; a list (categories, purposes, transaction hashes) is its items joined with `;`.
 * - Formula injection: a field that starts with `=`, `+`, `-`, `@`, a tab or CR gets a leading apostrophe (`'`), so
 *   that a spreadsheet shows it as text instead of running it (OWASP's advice). Every field is checked, the generated
 *   ones too; none of those starts so (ids and numbers are unsigned, hashes and addresses start with `0x`). A program reading the
 *   file back removes one leading apostrophe from a field that then starts with one of those characters.
 *
 * Columns, by report kind (the JSON field names):
 * - access-report, hitech-access-report: patient, isoTime, time, kind, outcome, participant, organization, grantee,
 *   actor, ref, status, categories, purposes, basis, record, summary, contract, event, blockNumber, logIndex, txHash.
 *   Every kind of line has the same columns: what `ref`, `status` and `record` hold depends on `kind` (a trial's id
 *   and `enrolled` on a trial line, a data batch's Merkle root on a trial-data line; see `AccessReportRow`), and a
 *   status is written as the row gives it (`on time`, unquoted: a space needs no quotes).
 * - accounting-of-disclosures: patient, isoTime, time, recipient, recipientOrganization, recipientName,
 *   recipientAddress, category, record, purpose, basis, statement, blockNumber, txHash.
 * - privacy-officer-report: isoTime, time, kind, participant, organization, patient, why, txHashes.
 *
 * The source, the period and the totals are not in the CSV: see the module's comment.
 */
export function reportCsv(report: AuditReport): string {
  switch (report.kind) {
    case "access-report":
    case "hitech-access-report":
      return csv(accessColumns(report.patient), report.rows);
    case "accounting-of-disclosures":
      return csv(disclosureColumns(report.patient), report.disclosures);
    case "privacy-officer-report":
      return csv(FINDING_COLUMNS, report.findings);
  }
}

function csv<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const header = columns.map((c) => csvField(c.name));
  const records = rows.map((row) => columns.map((c) => csvField(c.value(row))));
  return [header, ...records].map((fields) => fields.join(",") + CSV_NEWLINE).join("");
}

/** A field that a spreadsheet would read as a formula (or, for tab and CR, strip and then read so). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A field that must be quoted. */
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, written: joined, defused (see `reportCsv`) and quoted where needed. */
export function csvField(value: FieldValue): string {
  let text = value === null ? "" : typeof value === "object" ? value.join(";") : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
