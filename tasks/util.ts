import { inspect } from "node:util";

import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { Signer } from "ethers";

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

/** Parses a time given as Unix seconds or an ISO-8601 date, naming the option on failure. */
export function unixTime(option: string, value: string): bigint {
  if (/^\d+$/.test(value.trim())) return BigInt(value.trim());
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) fail(`--${option} must be Unix seconds or an ISO date, got "${value}"`);
  return BigInt(Math.floor(millis / 1000));
}

/** The development networks, whose chains come and go: a deployment there may be reset (`careledger:deploy --reset`). */
export function isDevelopmentNetwork(hre: HardhatRuntimeEnvironment): boolean {
  return hre.network.name === "hardhat" || hre.network.name === "localhost";
}

/** `network localhost (http://127.0.0.1:8545)`: how an operator recognises the chain a message is about. */
export function networkLabel(hre: HardhatRuntimeEnvironment): string {
  const { config } = hre.network;
  return "url" in config ? `network ${hre.network.name} (${config.url})` : `network ${hre.network.name}`;
}

/**
 * The recorded deployment of the connected chain, once its contracts are known to be on this chain as recorded
 * (`deploymentCodeProblems`): a development node restarted without its state, or another chain with the same id,
 * stops the task with one line saying so and what to do, instead of a call failing later on empty code.
 */
export async function deploymentOf(hre: HardhatRuntimeEnvironment) {
  if (hre.network.name === "hardhat") {
    fail(
      "the in-process hardhat network forgets everything between commands: start `npx hardhat node`, " +
        "run `npx hardhat careledger:deploy --network localhost`, then add `--network localhost`",
    );
  }
  const { loadDeployment, deploymentCodeProblems } = await import("../sdk/core/deployment");
  const { chainId } = await hre.ethers.provider.getNetwork();
  let deployment;
  try {
    deployment = loadDeployment(chainId);
  } catch (error) {
    fail((error as Error).message);
  }
  const problems = await deploymentCodeProblems(hre.ethers.provider, chainId);
  if (problems.length > 0) fail(staleDeploymentMessage(hre, chainId, problems));
  return deployment;
}

/** One line on a recorded deployment that is not on the connected chain, with what to do on this kind of network. */
export function staleDeploymentMessage(
  hre: HardhatRuntimeEnvironment,
  chainId: bigint,
  problems: readonly { contract: string; address: string; problem: string }[],
): string {
  const record = `deploy/deployments/chain-${chainId}/`;
  const [first] = problems;
  const missing = problems.filter((problem) => problem.problem === "no code").length;
  const what =
    first === undefined
      ? "it does not match"
      : missing === problems.length
        ? `${missing} of its contracts have no code there (${first.contract} at ${first.address}): ` +
          "the node was restarted without its state, or this is another chain with the same id"
        : `the code at ${first.contract} ${first.address} is not the recorded artifact's: ` +
          "this is another chain with the same id, or the record was changed";
  const todo = isDevelopmentNetwork(hre)
    ? `deploy afresh with \`npx hardhat careledger:deploy --network ${hre.network.name} --reset\``
    : "check that the network's URL reaches the chain the record was made on (the record is kept: " +
      "--reset is refused outside the development networks)";
  return `the CareLedger deployment recorded in ${record} is not on ${networkLabel(hre)}: ${what}; ${todo}`;
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
  const { CareLedgerError, decodeError } = await import("../sdk/core/errors");
  const { explain, refusalContext } = await import("../sdk/core/explain");
  const decoded = decodeError(error);
  if (!(decoded instanceof CareLedgerError)) return undefined;
  let context = {};
  try {
    // The task's own Hardhat environment: imported here, at run time, as the config that loads this file cannot.
    const { default: hre } = await import("hardhat");
    const { loadDeployment } = await import("../sdk/core/deployment");
    const { chainId } = await hre.ethers.provider.getNetwork();
    let deployment;
    try {
      deployment = loadDeployment(chainId);
    } catch {
      // no recorded deployment: the explanation does without module names
    }
    context = await refusalContext(decoded, hre.ethers.provider, deployment);
  } catch {
    // no network to ask: the error explained from its arguments alone
  }
  return `the contract refused: ${explain(decoded, context)}`;
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

/** Resolves an account given as an index of the network's accounts or as any address. */
export async function accountAddress(hre: HardhatRuntimeEnvironment, option: string, value: string): Promise<string> {
  const given = value; // isAddress narrows `value` to never on refusal; keep the text for the message
  if (/^\d+$/.test(given)) return (await signerFor(hre, given)).getAddress();
  if (!hre.ethers.isAddress(value)) fail(`--${option} must be an account index or an address, got "${given}"`);
  return hre.ethers.getAddress(value);
}

/** Unix seconds as an ISO 8601 time. */
export function iso(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** The latest block's time: the chain's clock, which is what the contracts judge windows and deadlines by. */
export async function chainTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock("latest");
  if (block === null) fail("the node returned no latest block");
  return BigInt(block.timestamp);
}

/** The network's own account with this address, if it is one (so that the task can sign with it), else undefined. */
export async function networkSigner(hre: HardhatRuntimeEnvironment, address: string): Promise<Signer | undefined> {
  const signers = await hre.ethers.getSigners();
  return signers.find((signer) => signer.address.toLowerCase() === address.toLowerCase());
}

/** A 32-byte hex option (a commitment, a key, a salt), as lowercase `0x` hex; the error never echoes a key. */
export function bytes32(option: string, value: string, secret = false): string {
  const hex = value.trim().startsWith("0x") ? value.trim() : `0x${value.trim()}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    fail(`--${option} must be 32 bytes of hex (0x + 64 digits)${secret ? "" : `, got "${value}"`}`);
  }
  return hex.toLowerCase();
}
