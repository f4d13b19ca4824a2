export * from "./commitments";
export * from "./deployment";
export * from "./errors";
export * from "./identity";
export * from "./roles";
export * from "./types";
