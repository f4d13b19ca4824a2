export * from "./client";
export * from "./participants";
export * from "./signatures";
