export * from "./client";
export * from "./scopes";
export * from "./signatures";
