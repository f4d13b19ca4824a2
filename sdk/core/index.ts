export * from "./commitments";
export * from "./deployment";
export * from "./enums";
export * from "./errors";
export * from "./explain";
export * from "./governance";
export * from "./roles";
export * from "./transactions";
