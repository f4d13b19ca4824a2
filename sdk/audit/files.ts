import fs from "node:fs";
import path from "node:path";

import { accessReportBundle } from "./fhir";
import { reportCsv, reportJson } from "./formats";
import { reportHtml } from "./html";
import { AuditError } from "./errors";
import type { AuditReport } from "./types";

/** The files a report can be written as: JSON, CSV, one HTML page, and (the access report only) a FHIR Bundle. */
export const REPORT_FORMATS = ["json", "csv", "html", "fhir"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const day = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * The file name a report is written under, without extension: its kind, what it is about and when (the last block it
 * covers, the request's date, the date it looks from), so that a later report does not take an earlier one's name: an
 * accounting given to a patient is kept (164.528(d)).
 */
export function reportBaseName(report: AuditReport): string {
  switch (report.kind) {
    case "access-report":
      return `access-report-patient-${report.patient}-block-${report.source.toBlock}`;
    case "accounting-of-disclosures":
      return `accounting-of-disclosures-patient-${report.patient}-${day(report.requestTime)}`;
    case "hitech-access-report":
      return `hitech-access-report-patient-${report.patient}-${day(report.requestTime)}`;
    case "privacy-officer-report":
      return `privacy-officer-report-${day(report.asOf)}-block-${report.source.toBlock}`;
  }
}

/** The paths `writeReport` would write `report` to in `dir`, one a format (FHIR for the access report only). */
export function reportPaths(
  report: AuditReport,
  dir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
): string[] {
  const base = path.join(dir, reportBaseName(report));
  return formats
    .filter((format) => format !== "fhir" || report.kind === "access-report")
    .map((format) => `${base}${format === "fhir" ? ".fhir.json" : `.${format}`}`);
}

/** Refuses (`AuditError`) when a file `writeReport` would write already exists: a report given out is kept. */
export function refuseExisting(
  report: AuditReport,
  dir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
): void {
  const existing = reportPaths(report, dir, formats).find((file) => fs.existsSync(file));
  if (existing !== undefined) {
    throw new AuditError(`${existing} exists: keep it (write into another --out directory) or replace it with --force`);
  }
}

/**
 * Writes `report` into `dir` (created if missing, readable by its owner only) in each of `formats`, and returns the
 * paths written. The files hold patient ids with their sensitive categories (and, in an accounting given a directory,
 * names and addresses): each is readable and writable by its owner only (0600), and an existing file is refused unless
 * `overwrite`. FHIR applies to the access report only (the AuditEvents of its lines) and is skipped for the others.
 */
export function writeReport(
  report: AuditReport,
  dir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  options: { generatedAt?: string; overwrite?: boolean } = {},
): string[] {
  if (options.overwrite !== true) refuseExisting(report, dir, formats);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = path.join(dir, reportBaseName(report));
  const written: string[] = [];
  const write = (file: string, content: string): void => {
    fs.writeFileSync(file, content, { mode: 0o600 });
    fs.chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
    written.push(file);
  };
  for (const format of formats) {
    if (format === "json") write(`${base}.json`, reportJson(report));
    if (format === "csv") write(`${base}.csv`, reportCsv(report));
    if (format === "html") write(`${base}.html`, reportHtml(report, options));
    if (format === "fhir" && report.kind === "access-report") {
      write(`${base}.fhir.json`, `${JSON.stringify(accessReportBundle(report, options), null, 2)}\n`);
    }
  }
  return written;
}
