/**
 * The clinical-trials module off chain: the consent-form signatures participants give, the concealed allocation
 * sequence a randomization service generates and reveals, case-report data batches, the enums and reason codes, and
 * the chain client with its results report.
 */
export * from "./allocation";
export * from "./data";
export * from "./signatures";
export * from "./statuses";
export * from "./client";
export * from "./report";
