import { createRequire } from "node:module";

import hre from "hardhat";

import { CareLedgerError, DecisionBasis, type DecisionInfo } from "../../sdk";

/**
 * How the story is told. By default for people: names, dates, amounts and codes in words. With Hardhat's global
 * `--verbose` (`npm run demo -- --verbose`, which `hardhat run` hands to this script's process) also for developers:
 * the addresses, hashes, blocks and the gas of the transactions. `npm run bench` is where the gas figures are kept.
 */
export const verbose = hre.hardhatArguments.verbose;

quietHardhatLog();

/**
 * Hardhat's `--verbose` also switches on its debug log in this process as it loads (`debug.enable("hardhat*")`): the
 * provider's start and every Ignition deployment step, some forty timestamped lines on stderr inside the story. The
 * demo takes only the flag's meaning and switches that log off again; the `hardhat run` process that started this one
 * still logs a few lines of its own, on stderr, before the story and after it.
 */
function quietHardhatLog(): void {
  if (!verbose) return;
  // Hardhat's own logger (the `debug` package it depends on), reached through Hardhat so that it is the same instance.
  const hardhatRequire = createRequire(require.resolve("hardhat"));
  (hardhatRequire("debug") as { disable: () => string }).disable();
}

/** A day in seconds. */
export const DAY = 86_400;

let step = 0;

/** Opens a numbered step of the story (numbered across the chapters). */
export function say(text: string): void {
  console.log(`\n${++step}. ${text}`);
}

/** A line under the current step. */
export function detail(text: string): void {
  console.log(`   ${text}`);
}

/** A line under the current step for developers only (`--verbose`): addresses, hashes, blocks. */
export function technical(text: string): void {
  if (verbose) detail(text);
}

/** " (gas N)" after a transaction's line with `--verbose`, else nothing. */
export function gas(...used: (bigint | { gasUsed: bigint } | null | undefined)[]): string {
  if (!verbose) return "";
  const figures = used.map((entry) => (typeof entry === "bigint" ? entry : (entry?.gasUsed ?? 0n)).toString());
  return ` (gas ${figures.join(" and ")})`;
}

/** Who or what `name` is, with its address after it with `--verbose`: "her phone 0xBcd4…". */
export function named(name: string, address: string): string {
  return verbose ? `${name} ${address}` : name;
}

/** The people and institutions of the story by participant id, as the chapters introduce them. */
const names = new Map<bigint, string>();

/** Remembers what participant `id` is called in the story; returns the id. */
export function introduce(id: bigint, name: string): bigint {
  names.set(id, name);
  return id;
}

/** A participant by name: "Dr. Chen", or "participant 12" for one the story never named. */
export function nameOf(id: bigint): string {
  return names.get(id) ?? `participant ${id}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A day from a chain timestamp, in UTC: "9 Dec 2027". */
export function day(seconds: bigint | number): string {
  const date = new Date(Number(seconds) * 1000);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** A moment from a chain timestamp, in UTC, to the minute: "9 Dec 2027, 18:39 UTC". */
export function when(seconds: bigint | number): string {
  const date = new Date(Number(seconds) * 1000);
  const clock = `${String(date.getUTCHours()).padStart(2, "0")}:${String(date.getUTCMinutes()).padStart(2, "0")}`;
  return `${day(seconds)}, ${clock} UTC`;
}

/** A delay in seconds in words: "1 hour", "3 days", "90 seconds". */
export function duration(seconds: bigint | number): string {
  const value = Number(seconds);
  const unit = (count: number, name: string) => `${count} ${name}${count === 1 ? "" : "s"}`;
  if (value % DAY === 0) return unit(value / DAY, "day");
  if (value % 3_600 === 0) return unit(value / 3_600, "hour");
  if (value % 60 === 0) return unit(value / 60, "minute");
  return unit(value, "second");
}

/** An enum member's name in words: "LaboratoryResults" is "laboratory results". */
export function words(name: string | undefined): string {
  return (name ?? "unknown").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** A list in words: "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

export function yes(value: boolean): string {
  return value ? "yes" : "no";
}

/** Why an access decision went the way it did, in words, completed by the grantee's name where there is one. */
const BASIS: Record<DecisionBasis, (grantee: string, ref: bigint) => string> = {
  [DecisionBasis.Self]: () => "allowed: it is the patient's own record",
  [DecisionBasis.Representative]: () => "allowed: the patient's representative",
  [DecisionBasis.Grant]: (grantee) => `allowed by her grant to ${grantee}`,
  [DecisionBasis.OrganizationGrant]: (grantee) => `allowed by her grant to ${grantee}`,
  [DecisionBasis.BreakGlass]: (_, session) => `allowed by break-glass session ${session}`,
  [DecisionBasis.UnknownAccessor]: () => "denied: the reader is not a registered participant",
  [DecisionBasis.InactiveAccessor]: () => "denied: the reader's credential is not in force",
  [DecisionBasis.ExplicitDeny]: () => "denied: she has refused it explicitly",
  [DecisionBasis.NoGrant]: () => "denied: no grant of hers covers it",
  [DecisionBasis.SensitiveCategoryNotNamed]: () => "denied: a sensitive category must be named in the grant",
  [DecisionBasis.PurposeNotNamed]: () => "denied: the grant does not name this purpose",
  [DecisionBasis.BreakGlassCategoryExcluded]: () => "denied: break glass never opens this category",
  [DecisionBasis.InactiveGrantee]: () => "denied: the grantee's credential is not in force",
};

/**
 * A decision in words: "allowed by her grant to Dr. Okafor", "denied: no grant of hers covers it"; with `--verbose`
 * the contract's figures follow: "[Grant, grantee 7, ref 1]".
 */
export function verdict(decision: Omit<DecisionInfo, "accessor">): string {
  const text = because(decision.basis, decision.grantee, decision.ref);
  if (!verbose) return text;
  const by =
    decision.grantee === 0n ? "" : `, grantee ${decision.grantee}${decision.allowed ? `, ref ${decision.ref}` : ""}`;
  return `${text} [${DecisionBasis[decision.basis]}${by}]`;
}

/** Why access was allowed or denied, in words: "allowed by her grant to St. Mary's". */
export function because(basis: DecisionBasis, grantee: bigint, ref = 0n): string {
  return BASIS[basis](nameOf(grantee), ref);
}

/** The first 16 hex digits of a hash. */
export function short(hash: string | undefined): string {
  return hash === undefined ? "none" : `${hash.slice(0, 18)}…`;
}

/**
 * The contract's refusal of `action` in words: "refused — `meaning`", and with `--verbose` the decoded error. The demo
 * fails if the contract accepts the step or refuses it with another error than `expected`.
 */
export async function refused(action: () => Promise<unknown>, expected: string, meaning: string): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof CareLedgerError)) throw error;
    if (error.errorName !== expected) {
      throw new Error(`the demo expected the contract to refuse with ${expected}, it refused with ${error.message}`);
    }
    return verbose ? `refused — ${meaning} [${error.message}]` : `refused — ${meaning}`;
  }
  throw new Error(`the demo expected the contract to refuse this step with ${expected}`);
}
