export * from "./batch";
export * from "./blob-store";
export * from "./client";
export * from "./envelope";
export * from "./fhir";
export * from "./fhir-scopes";
export * from "./synthetic";
export * from "./toolkit";
