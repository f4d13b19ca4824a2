/**
 * CareLedger's SDK, the one public entry point: `import { ConsentClient, RecordToolkit } from "./sdk"`.
 * Each module lives in its own folder (the same name as its contracts, tasks and docs) and exports its client,
 * builders and value types through its index; `core/` holds what every module shares.
 */
export * from "./core";
export * from "./identity";
export * from "./consent";
export * from "./records";
export * from "./claims";
export * from "./supplychain";
export * from "./trials";
export * from "./audit";
