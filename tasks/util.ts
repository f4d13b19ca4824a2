import { inspect } from "node:util";

import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { Signer } from "ethers";

import { displayUrl } from "../config/env";
import { isoTime } from "../sdk/core/time";

/**
 * Resolves `--from`: an account index on the network ("0", "2") or one of its addresses. A transaction the signer
 * fails to send carries what it tried, so that a refusal names the function refused (`explainingSigner`).
 */
export async function signerFor(hre: HardhatRuntimeEnvironment, from: string): Promise<Signer> {
  const { explainingSigner } = await import("../sdk/core/explain");
  const signers = await hre.ethers.getSigners();
  if (/^\d+$/.test(from)) {
    const signer = signers[Number(from)];
    if (signer === undefined) fail(`--from ${from}: the network has ${signers.length} accounts`);
    return explainingSigner(signer);
  }
  const match = signers.find((signer) => signer.address.toLowerCase() === from.toLowerCase());
  if (match === undefined) fail(`--from ${from}: not an account index or an address of this network's accounts`);
  return explainingSigner(match);
}

/** Parses a whole number option, naming the option on failure. */
export function wholeNumber(option: string, value: string): bigint {
  if (!/^\d+$/.test(value.trim())) fail(`--${option} must be a whole number, got "${value}"`);
  return BigInt(value.trim());
}

const DAY = 86_400n;
/** The contracts keep times as uint48 seconds. */
const MAX_TIME = 2n ** 48n - 1n;
const BARE_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The one time rule of the tasks, in the words of their help: a bare date (YYYY-MM-DD) is a whole UTC day, so it
 * means 00:00:00 UTC where a period starts and 23:59:59 UTC where one ends; a full ISO time or Unix seconds is taken
 * exactly. An ISO time without an offset is UTC, whatever the server's time zone.
 */
export const TIME_HELP = {
  start: "Unix seconds, an ISO time (UTC unless it has an offset), or a date YYYY-MM-DD: 00:00:00 UTC that day",
  end: "Unix seconds, an ISO time (UTC unless it has an offset), or a date YYYY-MM-DD: the whole UTC day, to 23:59:59",
} as const;

/** A time option as Unix seconds, and whether it was a bare date; refuses what is not a real date or time. */
function timeOption(option: string, value: string): { seconds: bigint; bareDate: boolean } {
  const text = value.trim();
  if (/^\d+$/.test(text)) return { seconds: contractTime(option, text, BigInt(text)), bareDate: false };
  const date = BARE_DATE.exec(text);
  const time = date === null ? ISO_TIME.exec(text) : null;
  const parts = date ?? time;
  if (parts === null) {
    fail(`--${option} must be Unix seconds, an ISO time or a date YYYY-MM-DD, got "${value}"`);
  }
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // setUTCFullYear, not Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    fail(`--${option}: ${parts[1]}-${parts[2]}-${parts[3]} is not a date of the calendar`);
  }
  if (date !== null) return { seconds: contractTime(option, text, BigInt(calendar.getTime() / 1000)), bareDate: true };
  const offset = /^[+-](\d{2}):?(\d{2})$/.exec(time?.[7] ?? "+00:00");
  if (offset !== null && (Number(offset[1]) > 23 || Number(offset[2]) > 59)) {
    fail(`--${option}: "${value}" has an offset beyond a day (-23:59 to +23:59)`);
  }
  const zoned = time?.[7] === undefined ? `${text}Z` : text;
  const millis = Date.parse(zoned.replace(" ", "T"));
  if (Number.isNaN(millis) || Number(time?.[4]) > 23 || Number(time?.[5]) > 59 || Number(time?.[6] ?? 0) > 59) {
    fail(`--${option}: "${value}" is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)`);
  }
  return { seconds: contractTime(option, text, BigInt(Math.floor(millis / 1000))), bareDate: false };
}

/**
 * `seconds` once known to fit the contracts' uint48 times: checked on the final value, after an ISO time's offset is
 * applied, so that `1970-01-01T00:30+01:00` (23:30 UTC the day before) is refused in words like `1969-12-31`.
 */
function contractTime(option: string, text: string, seconds: bigint): bigint {
  if (seconds < 0n) fail(`--${option}: ${text} is before 1970, which the contracts' times cannot hold`);
  if (seconds > MAX_TIME) fail(`--${option} ${text} is beyond the contracts' times (at most ${MAX_TIME} seconds)`);
  return seconds;
}

/** Where a period starts (or a moment: `--at`, a service date): a bare date is 00:00:00 UTC of that day. */
export function periodStart(option: string, value: string): bigint {
  return timeOption(option, value).seconds;
}

/** Where a period ends, inclusive: a bare date is the whole UTC day, so its last second, 23:59:59 UTC. */
export function periodEnd(option: string, value: string): bigint {
  const { seconds, bareDate } = timeOption(option, value);
  return bareDate ? seconds + DAY - 1n : seconds;
}

/**
 * The development network, whose node comes and goes: a deployment there may be reset (`careledger:deploy --reset`,
 * which also asks the node whether it is a development node). The in-process `hardhat` network records nothing.
 */
export function isDevelopmentNetwork(hre: HardhatRuntimeEnvironment): boolean {
  return hre.network.name === "localhost";
}

/**
 * Whether this run is solidity-coverage's (`npm run coverage`), which marks the runtime environment it drives: its
 * contracts are instrumented, a probe on every statement and branch that makes the compiler warn and costs gas, and its
 * network sends every transaction with a fixed gas of its own rather than an estimate.
 */
export function isCoverageRun(hre: HardhatRuntimeEnvironment): boolean {
  return (hre as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
}

/** `network localhost (http://127.0.0.1:8545)`: how an operator recognises the chain a message is about. */
export function networkLabel(hre: HardhatRuntimeEnvironment): string {
  const { config } = hre.network;
  return "url" in config ? `network ${hre.network.name} (${displayUrl(config.url)})` : `network ${hre.network.name}`;
}

/**
 * The recorded deployment of the connected chain, once its contracts are known to be on this chain as recorded
 * (`recordedCode`): a development node restarted without its state, or another chain with the same id, stops the task
 * with one line saying so and what to do, instead of a call failing later on empty code. A task that asks twice (its
 * client, then a lookup) is answered from its first check.
 */
export async function deploymentOf(hre: HardhatRuntimeEnvironment) {
  if (hre.network.name === "hardhat") {
    fail(
      "the in-process hardhat network forgets everything between commands: start `npx hardhat node`, " +
        "run `npx hardhat careledger:deploy --network localhost`, then add `--network localhost`",
    );
  }
  const { loadDeployment, recordedCode } = await import("../sdk/core/deployment");
  const { chainId } = await hre.ethers.provider.getNetwork();
  let deployment;
  try {
    deployment = loadDeployment(chainId);
  } catch (error) {
    fail((error as Error).message);
  }
  const key = `${hre.network.name} ${chainId}`;
  if (checkedDeployments.has(key)) return deployment;
  const recorded = await recordedCode(hre.ethers.provider, chainId);
  const problems = recorded.filter((entry) => entry.status === "no code" || entry.status === "different code");
  if (problems.length > 0) fail(staleDeploymentMessage(hre, chainId, problems, recorded.length));
  checkedDeployments.add(key);
  return deployment;
}

/** The deployments whose code the running task has checked: one check per task, however many times it asks. */
const checkedDeployments = new Set<string>();

/** Called as each task starts (tasks/failures.ts): a long-lived process checks the chain again for every task. */
export function forgetCheckedDeployments(): void {
  checkedDeployments.clear();
}

/** One line on a recorded deployment that is not on the connected chain, with what to do on this kind of network. */
export function staleDeploymentMessage(
  hre: HardhatRuntimeEnvironment,
  chainId: bigint,
  problems: readonly { contract: string; status: string }[],
  total: number,
): string {
  const record = `deploy/deployments/chain-${chainId}/`;
  // Name a CareLedger module rather than the test stablecoin deployed first.
  const named = (list: readonly { contract: string }[]) =>
    (list.find((entry) => !entry.contract.startsWith("TestStablecoin#")) ?? list[0])?.contract;
  const missing = problems.filter((problem) => problem.status === "no code");
  const different = problems.filter((problem) => problem.status === "different code");
  const count = (n: number): string => (n === total ? `all ${total}` : `${n} of ${total}`);
  const parts: string[] = [];
  if (missing.length > 0)
    parts.push(`${count(missing.length)} of its contracts have no code there (${named(missing)})`);
  if (different.length > 0) {
    parts.push(`${count(different.length)} hold other code than the recorded artifact's (${named(different)})`);
  }
  const cause =
    different.length === 0
      ? "the node was restarted without its state, or this is another chain with the same id"
      : "this is another chain with the same id, or the record was changed";
  const consortiumChain = process.env.CONSORTIUM_CHAIN_ID?.trim() === String(chainId);
  const todo =
    isDevelopmentNetwork(hre) && !consortiumChain
      ? `deploy afresh with \`npx hardhat careledger:deploy --network ${hre.network.name} --reset\``
      : "check that the network's URL reaches the chain the record was made on (the record is kept: " +
        "--reset is refused outside a development node)";
  return `the CareLedger deployment recorded in ${record} is not on ${networkLabel(hre)}: ${parts.join("; ")}: ${cause}; ${todo}`;
}

/**
 * Runs a task body, turning a contract's refusal into one line for the operator: `the contract refused: ` and the
 * error explained (sdk/core/explain.ts), its name first, e.g. `the contract refused: IdentityNotController —
 * participant 2 is not controlled by 0x…; send it from the participant's key (--from)`. Other failures pass through.
 */
export async function readable<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const line = await refusalLine(error);
    if (line !== undefined) fail(line);
    const { decodeError } = await import("../sdk/core/errors");
    throw decodeError(error);
  }
}

/**
 * `the contract refused: …` for an error that is a contract's refusal, explained with what the running network can
 * tell (the role a refused function needs and who holds it, the settlement token's amounts), else undefined.
 */
export async function refusalLine(error: unknown): Promise<string | undefined> {
  const [{ explainRefusal }, { default: hre }] = await Promise.all([import("../sdk/core/explain"), import("hardhat")]);
  const line = await explainRefusal(error, hre.ethers.provider);
  return line === undefined ? undefined : `the contract refused: ${line}`;
}

export function print(title: string, fields: Record<string, unknown>): void {
  console.log(title);
  const width = Math.max(...Object.keys(fields).map((key) => key.length));
  for (const [key, value] of Object.entries(fields)) {
    console.log(`  ${key.padEnd(width)}  ${typeof value === "bigint" ? value.toString() : String(value)}`);
  }
}

/**
 * Stops the task with `message`, which Hardhat prints as one line: "Error in plugin careledger: …". Hardhat also prints
 * the error's stack wherever it thinks it runs on a CI server, which includes every Linux machine without a display:
 * the operators' servers. A refusal is not a bug, so the stack is shown only when asked for
 * (`--show-stack-traces` or `--verbose`, or `HARDHAT_SHOW_STACK_TRACES=true` or `HARDHAT_VERBOSE=true`).
 */
export function fail(message: string): never {
  throw operatorError(message);
}

/**
 * A `HardhatPluginError` of the careledger plugin that prints (`console.error`, `util.inspect`) as one line, its stack
 * only on request (see `fail`); under Hardhat's command line, which has printed the message already, as nothing.
 */
export function operatorError(message: string): HardhatPluginError {
  const error = new HardhatPluginError("careledger", message);
  const fullStack = error.stack;
  // Hardhat's errors set their own prototype, so a subclass cannot change how they print: set it on the instance.
  Object.defineProperty(error, inspect.custom, {
    value: () => {
      if (stackTracesRequested()) return fullStack;
      return printedByHardhatCli() ? "" : `${error.name}: ${error.message}`;
    },
  });
  return error;
}

/** Whether the operator asked for stack traces: `--show-stack-traces` or `--verbose`, as flags or in the environment. */
export function stackTracesRequested(): boolean {
  return (
    process.argv.includes("--show-stack-traces") ||
    process.argv.includes("--verbose") ||
    process.env.HARDHAT_SHOW_STACK_TRACES?.toLowerCase() === "true" ||
    process.env.HARDHAT_VERBOSE?.toLowerCase() === "true"
  );
}

/** Whether Hardhat's command line is printing the error, after its own "Error in plugin careledger: …" line. */
export function printedByHardhatCli(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return /hardhat[\\/](?:src[\\/])?internal[\\/]cli[\\/]cli\.[jt]s/.test(stack);
}

/** Runs a parser from the SDK, naming the option when it refuses the value. */
export function parsed<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    fail(`--${option}: ${(error as Error).message}`);
  }
}

/** Resolves an account option: an index of the network's accounts, or any address (`ACCOUNT_HELP`). */
export async function accountAddress(hre: HardhatRuntimeEnvironment, option: string, value: string): Promise<string> {
  const given = value.trim(); // isAddress narrows `value` to never on refusal; keep the text for the message
  if (/^\d+$/.test(given)) {
    const signers = await hre.ethers.getSigners();
    const signer = signers[Number(given)];
    if (signer === undefined) {
      const accounts =
        signers.length === 0
          ? "no accounts: give"
          : `${signers.length} accounts (0 to ${signers.length - 1}): give one or`;
      fail(`--${option} ${given}: network ${hre.network.name} has ${accounts} an address`);
    }
    return signer.address;
  }
  if (!hre.ethers.isAddress(given)) fail(`--${option} must be ${ACCOUNT_HELP}, got "${value}"`);
  return hre.ethers.getAddress(given);
}

/** Unix seconds as an ISO 8601 time, to the second (`2026-12-06T18:43:43Z`): the one form every task prints. */
export function iso(seconds: bigint): string {
  return isoTime(seconds);
}

/** The latest block's time: the chain's clock, which is what the contracts judge windows and deadlines by. */
export async function chainTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock("latest");
  if (block === null) fail("the node returned no latest block");
  return BigInt(block.timestamp);
}

/**
 * The time a transaction sent now will be mined at, as well as it can be told before: the wall clock, or the latest
 * block's time + 1 when the chain runs ahead of it (a test chain moved forward). The latest block alone can be old on a
 * chain that mines only when there are transactions, so a period counted from it would end early, or in the past.
 */
export async function pendingTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const latest = await chainTime(hre);
  const wall = BigInt(Math.floor(Date.now() / 1000));
  return wall > latest ? wall : latest + 1n;
}

/** The network's own account with this address, if it is one (so that the task can sign with it), else undefined. */
export async function networkSigner(hre: HardhatRuntimeEnvironment, address: string): Promise<Signer | undefined> {
  const signers = await hre.ethers.getSigners();
  return signers.find((signer) => signer.address.toLowerCase() === address.toLowerCase());
}

/**
 * A 32-byte hex option (a commitment, an id, a key, a salt), as lowercase `0x` hex. A `secret` (a key, a salt) is never
 * echoed, not even in part: the refusal says only how many digits it had, or that it is not hex, since it lands in
 * the terminal's scrollback and in logs.
 */
export function bytes32(option: string, value: string, secret = false): string {
  const hex = value.trim().startsWith("0x") ? value.trim() : `0x${value.trim()}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    const digits = hex.length - 2;
    const given = !secret
      ? `got "${value}"`
      : /^0x[0-9a-fA-F]*$/.test(hex)
        ? `got ${digits} digit${digits === 1 ? "" : "s"} (a secret: not shown)`
        : "got a value that is not hex (a secret: not shown)";
    fail(`--${option} must be 32 bytes of hex (0x + 64 digits), ${given}`);
  }
  return hex.toLowerCase();
}

/** What every `--from` takes, for its help: the account that signs, by index or address. */
export const FROM_HELP = "Account that signs: an account index of the network or one of its addresses";

/** What every account option takes, for its help: the network's own accounts by index, or any address. */
export const ACCOUNT_HELP = "an account index of the network (0, 1, …) or an address";

/** An enum member's name as the tasks take and list it: `LaboratoryResults` → `laboratory-results`. */
export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** The names of an enum's members as the tasks take them, in the enum's order, leaving out `excluded` numbers. */
export function enumNames(enumeration: Record<string, string | number>, excluded: readonly number[] = []): string[] {
  return Object.entries(enumeration)
    .filter((entry): entry is [string, number] => typeof entry[1] === "number" && !excluded.includes(entry[1]))
    .map(([name]) => kebab(name));
}

/** "a, b or c". */
export function oneOf(names: readonly string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

/** A code list, named codes by number: `SupersedeReason`, `StatusReason`, … (the contracts store the numbers). */
export type CodeList = Readonly<Record<string, number>>;

/** A code list for a help text: "1 = correction, 2 = amendment, …". */
export function codesHelp(codes: CodeList): string {
  return Object.entries(codes)
    .map(([name, number]) => `${number} = ${kebab(name)}`)
    .join(", ");
}

/**
 * A reason or finding code option: a name of `codes` (any case; dashes, underscores and spaces ignored), or a number
 * from 0 to 65535 (the contracts store a uint16: the consortium may use codes of its own beyond the named ones).
 */
export function reasonCode(option: string, value: string, codes: CodeList): number {
  const normalized = value.replace(/[-_\s]/g, "").toLowerCase();
  const named = Object.entries(codes).find(([name]) => name.toLowerCase() === normalized);
  if (named !== undefined) return named[1];
  if (!/^\d+$/.test(value.trim()) || BigInt(value.trim()) > 65_535n) {
    fail(
      `--${option} must be a code from 0 to 65535 or one of ${oneOf(Object.keys(codes).map(kebab))}, got "${value}"`,
    );
  }
  return Number(value.trim());
}

/** A code with its name, if the list names it: "1 (Correction)"; else the number alone. */
export function codeName(value: number, codes: CodeList): string {
  const name = Object.entries(codes).find(([, number]) => number === value)?.[0];
  return name === undefined ? String(value) : `${value} (${name})`;
}
