import { inspect } from "node:util";

import { isError } from "ethers";
import { HardhatContext } from "hardhat/internal/context";
import { HardhatError } from "hardhat/internal/core/errors";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { transportFailure } from "./network";
import {
  forgetCheckedDeployments,
  networkLabel,
  operatorError,
  printedByHardhatCli,
  refusalLine,
  stackTracesRequested,
} from "./util";

/**
 * Makes every `careledger:*` task fail the way an operator can act on: whatever its action throws — a contract's
 * refusal, bad input, a file that is not there, a node that does not answer, a bug — reaches Hardhat's command line
 * as one line ("Error in plugin careledger: …") saying what went wrong and, where it can be told, what to do. With
 * `--show-stack-traces`, `--verbose` or `HARDHAT_SHOW_STACK_TRACES=true` the original error is thrown instead, stack
 * and all. Called once every task file is loaded (tasks/index.ts), so a task added later is covered without asking.
 * It reaches the task definitions through Hardhat's internal context (Hardhat 2 offers no public hook around every
 * task); test/tasks/operator-errors.test.ts fails if any careledger:* task is left unwrapped.
 */
export function failReadably(): void {
  const { tasksDSL } = HardhatContext.getHardhatContext();
  for (const [name, definition] of Object.entries(tasksDSL.getTaskDefinitions())) {
    if (!name.startsWith("careledger:")) continue;
    const action = definition.action;
    const wrapped: typeof action = async (args, hre, runSuper) => {
      forgetCheckedDeployments();
      try {
        return (await action(args, hre, runSuper)) as unknown;
      } catch (error) {
        throw await readableFailure(error, hre);
      }
    };
    definition.setAction(Object.assign(wrapped, { [FAILS_READABLY]: true }));
  }
  quietHardhatErrors();
}

/** Marks a task action wrapped by failReadably, so that a test can tell every careledger:* task is covered. */
export const FAILS_READABLY = Symbol.for("careledger.failsReadably");

/** The error a task's failure becomes: an operator's one-line error, or the original when a stack was asked for. */
export async function readableFailure(error: unknown, hre: HardhatRuntimeEnvironment): Promise<unknown> {
  if (isOperatorError(error)) return error;
  if (stackTracesRequested()) return error;
  // A contract's refusal reads the same wherever the task let it escape.
  const refusal = await refusalLine(error);
  return operatorError(refusal ?? describeFailure(error, hre));
}

function isOperatorError(error: unknown): error is HardhatPluginError {
  return HardhatPluginError.isHardhatPluginError(error) && error.pluginName === "careledger";
}

/** One line for a failure that is not a contract's refusal: what happened, on which network, and what to do. */
export function describeFailure(error: unknown, hre: HardhatRuntimeEnvironment): string {
  const where = networkLabel(hre);
  const transport = transportFailure(error);
  if (transport !== undefined) {
    const what = {
      refused: "connection refused",
      dropped: "connection closed",
      unresolved: "unknown host",
      timeout: "no answer in time",
    }[transport];
    return `cannot reach ${where} (${what}); check that the node runs and answers, and the network's URL`;
  }
  // deploy/ignition.ts's DeploymentStoppedError, told by name: importing it here would load Ignition for every task.
  if (error instanceof Error && error.name === "DeploymentStoppedError") {
    return (
      `the deployment stopped: ${oneLine(error.message)}; remove the cause, then run careledger:deploy again: ` +
      "it resumes from its journal"
    );
  }
  if (isIgnitionError(error)) {
    return `Hardhat Ignition refused the deployment: ${oneLine(error.message)}`;
  }
  if (HardhatError.isHardhatError(error)) {
    if (error.errorDescriptor.number === 109) {
      return `${where} did not answer in time; the node may be overloaded: try again, and look at its logs`;
    }
    return oneLine(error.message);
  }
  if (isError(error, "BAD_DATA") && error.value === "0x") {
    return (
      `a contract call on ${where} returned nothing: there is no contract at the address it called; ` +
      `run \`npx hardhat careledger:doctor --network ${hre.network.name}\` to compare the recorded deployment with ` +
      "this chain"
    );
  }
  if (isError(error, "CALL_EXCEPTION")) {
    return (
      `the transaction was reverted without one of CareLedger's errors (${error.shortMessage}); ` +
      "check the inputs, and `careledger:status` for a paused module"
    );
  }
  if (isError(error, "INSUFFICIENT_FUNDS")) {
    return (
      `the sending account cannot pay for gas on ${where}: fund it, or run the chain gas-free ` +
      "(gas price 0; docs/consortium.md)"
    );
  }
  if (isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) {
    return `${error.shortMessage}: another transaction from the same account got there first; run the command again`;
  }
  if (isError(error, "TIMEOUT") || isError(error, "NETWORK_ERROR") || isError(error, "SERVER_ERROR")) {
    return `${where}: ${error.shortMessage}; check that the node runs and answers, then try again`;
  }
  const node = nodeRefusal(error);
  if (node !== undefined) return `the node of ${where} refused the request: ${oneLine(node)}`;
  const file = fileProblem(error);
  if (file !== undefined) return file;
  // An ethers error's message carries the whole request (transaction data, call parameters): its short message only.
  const { shortMessage } = error as { shortMessage?: unknown };
  const message =
    typeof shortMessage === "string" ? shortMessage : error instanceof Error ? error.message : String(error);
  return `${clipped(oneLine(message))} (unexpected: run it again with --show-stack-traces to see where, and report it)`;
}

/** A JSON-RPC error answered by the node (Hardhat's ProviderError, code -32xxx), e.g. an account it does not hold. */
function nodeRefusal(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "number" && code <= -32000 && code >= -32768 && typeof message === "string"
    ? message
    : undefined;
}

/** A file the task could not read or write, from Node's error code. */
function fileProblem(error: unknown): string | undefined {
  const { code, path } = error as { code?: unknown; path?: unknown };
  if (typeof path !== "string") return undefined;
  const reasons: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EISDIR: "is a directory, not a file",
    ENOTDIR: "a part of the path is not a directory",
    EEXIST: "already exists",
    ENOSPC: "no space left on the device",
  };
  const reason = typeof code === "string" ? reasons[code] : undefined;
  return reason === undefined ? undefined : `${path}: ${reason}`;
}

/** Hardhat Ignition's own refusals (a journal that does not match the module, a nonce it did not expect, …). */
function isIgnitionError(error: unknown): error is Error {
  return (
    (error instanceof Error && error.name === "IgnitionError") ||
    (HardhatPluginError.isHardhatPluginError(error) && error.pluginName.startsWith("hardhat-ignition"))
  );
}

/** At most 300 characters: a node's error page or a long revert folded onto one line stays readable. */
function clipped(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 297)}...`;
}

function oneLine(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join("; ");
}

/**
 * Hardhat's command line prints any error it catches with `console.error(error)` — the whole stack — wherever it
 * believes it runs on a CI server, which includes every Linux server without a display, after it has printed the
 * message on a line of its own. For Hardhat's own errors (an unknown task, a missing or malformed option) that stack
 * says nothing an operator can use: under the command line they print nothing more, unless a stack was asked for.
 * Everywhere else (a script, a test) they print as before.
 */
function quietHardhatErrors(): void {
  for (const prototype of [HardhatError.prototype, HardhatPluginError.prototype] as object[]) {
    if (Object.prototype.hasOwnProperty.call(prototype, inspect.custom)) continue;
    // Hardhat's errors print their stack and cause through this method, and their `stack` getter calls it with no
    // arguments: only a call from util.inspect (which passes its options) is quieted.
    const printed = (prototype as Record<symbol, (this: Error, ...args: unknown[]) => unknown>)[inspect.custom];
    Object.defineProperty(prototype, inspect.custom, {
      value(this: Error, ...args: unknown[]) {
        if (args.length > 0 && !stackTracesRequested() && printedByHardhatCli()) return "";
        return printed === undefined ? this.message : printed.apply(this, args);
      },
    });
  }
}
