import fs from "node:fs";
import path from "node:path";

import { accessReportBundle } from "./fhir";
import { reportCsv, reportJson } from "./formats";
import { reportHtml } from "./html";
import type { AuditReport } from "./types";

/** The files a report can be written as: JSON, CSV, one HTML page, and (the access report only) a FHIR Bundle. */
export const REPORT_FORMATS = ["json", "csv", "html", "fhir"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The file name a report is written under, without extension: its kind and what it is about. */
export function reportBaseName(report: AuditReport): string {
  switch (report.kind) {
    case "access-report":
      return `access-report-patient-${report.patient}`;
    case "accounting-of-disclosures":
      return `accounting-of-disclosures-patient-${report.patient}`;
    case "hitech-access-report":
      return `hitech-access-report-patient-${report.patient}`;
    case "privacy-officer-report":
      return `privacy-officer-report-${new Date(report.asOf * 1000).toISOString().slice(0, 10)}`;
  }
}

/**
 * Writes `report` into `dir` (created if missing) in each of `formats`, and returns the paths written. FHIR applies to
 * the access report only (the AuditEvents of its lines) and is skipped for the others.
 */
export function writeReport(
  report: AuditReport,
  dir: string,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
  options: { generatedAt?: string } = {},
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, reportBaseName(report));
  const written: string[] = [];
  const write = (file: string, content: string): void => {
    fs.writeFileSync(file, content);
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
