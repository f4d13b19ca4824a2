/**
 * The audit module, off chain: the indexer that follows every module's events into PostgreSQL (PGlite embedded, or a
 * server), its completeness checks, and the reports read from it — the patient's access report, the accounting of
 * disclosures, HITECH's access report, the privacy officer's report — as JSON, CSV, HTML and FHIR AuditEvents.
 */
export * from "./db";
export * from "./migrate";
export * from "./indexer";
export * from "./verify";
export * from "./types";
export * from "./reports";
export * from "./formats";
export * from "./html";
export * from "./fhir";
export * from "./files";
export * from "./errors";
