import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";

/** A source file under `contracts/` (e.g. `claims/Claims.sol`) with every `//` comment (NatSpec `///` included) removed. */
function uncommentedSource(file: string): string {
  return fs
    .readFileSync(path.join(__dirname, "..", "..", "contracts", file), "utf8")
    .split("\n")
    .map((line) => line.replace(/\/\/.*$/, ""))
    .join("\n");
}

/** The members of `enum <name> { ... }` in `contracts/<file>`, in declaration order. */
export function solidityEnum(file: string, name: string): string[] {
  const match = new RegExp(`\\benum\\s+${name}\\s*\\{([^}]*)\\}`).exec(uncommentedSource(file));
  const body = match?.[1];
  if (body === undefined) throw new Error(`enum ${name} not found in contracts/${file}`);
  return body
    .split(",")
    .map((member) => member.trim())
    .filter((member) => member !== "");
}

/** The value of `uint8 constant <name> = <n>;` in `contracts/<file>`. */
export function solidityConstant(file: string, name: string): number {
  const match = new RegExp(`\\bconstant\\s+${name}\\s*=\\s*(\\d+)\\s*;`).exec(uncommentedSource(file));
  const value = match?.[1];
  if (value === undefined) throw new Error(`constant ${name} not found in contracts/${file}`);
  return Number(value);
}

/** A TypeScript numeric enum's member names ordered by value, after checking the values are 0..n-1. */
export function typescriptEnum(enumeration: Record<string, string | number>): string[] {
  const members = Object.entries(enumeration)
    .filter((entry): entry is [string, number] => typeof entry[1] === "number")
    .sort((a, b) => a[1] - b[1]);
  members.forEach(([name, value], index) => {
    expect(value, name).to.equal(index);
  });
  return members.map(([name]) => name);
}
