import fs from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { displayUrl } from "../config/env";

import { CODE_SIZE_LIMIT, contractSizes, type ContractSize } from "./sizes";
import { fail } from "./util";

/**
 * `careledger:doctor`: checks a chain before anyone deploys to it, and a recorded deployment against the chain, one
 * line per check. Every check asks the node itself (JSON-RPC), so that what it reports is what the chain will do: an
 * opcode is probed by running a few bytes of init code with `eth_call`, the contract size limit by estimating the
 * deployment of a contract as large as the largest module. Nothing is sent: the doctor signs no transaction.
 */

export type Status = "PASS" | "WARN" | "FAIL";

export interface Check {
  status: Status;
  /** What was checked, a few words. */
  name: string;
  /** What was found; for WARN and FAIL, what to do after " — ". */
  detail: string;
}

const pass = (name: string, detail: string): Check => ({ status: "PASS", name, detail });
const warn = (name: string, detail: string, advice: string): Check => ({
  status: "WARN",
  name,
  detail: `${detail} — ${advice}`,
});
const failed = (name: string, detail: string, advice: string): Check => ({
  status: "FAIL",
  name,
  detail: `${detail} — ${advice}`,
});

const NAME_WIDTH = 24;

function line(check: Check): string {
  return `${check.status}  ${check.name.padEnd(NAME_WIDTH)}  ${check.detail}`;
}

const number = (value: bigint | number): string => value.toLocaleString("en-US");

/** A JSON-RPC request through the network's provider (the same transport every task uses). */
async function request<T>(hre: HardhatRuntimeEnvironment, method: string, params: unknown[] = []): Promise<T> {
  return (await hre.network.provider.request({ method, params })) as T;
}

/**
 * The error's own message, first line only: a node's refusal, not a stack. Hardhat's "cannot connect" (HH108) keeps
 * the socket's error as its parent: that names what happened (ECONNREFUSED, ENOTFOUND, a timeout).
 */
function reason(error: unknown): string {
  // Given up on by tasks/network.ts's RetryingProvider: its own line names the URL again; the kind is enough here.
  const { transport, attempts } = error as { transport?: unknown; attempts?: unknown };
  if (typeof transport === "string" && typeof attempts === "number") {
    const kinds: Record<string, string> = {
      refused: "connection refused",
      dropped: "connection closed",
      unresolved: "unknown host",
      timeout: "no answer in time",
    };
    return `${kinds[transport] ?? transport}, ${attempts} attempt(s)`;
  }
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
  const parent = (error as { parent?: { code?: string; message?: string } }).parent;
  const cause = parent?.code ?? parent?.message?.split("\n")[0];
  return cause === undefined || message.includes(cause) ? message : `${message.replace(/\.$/, "")} (${cause})`;
}

/** Whether a node's refusal means it does not offer the method (or lets this caller use it), rather than a failure. */
function unavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    code === -32601 || /method .*(not|does not)|not (found|supported|available|allowed)|unauthori/i.test(reason(error))
  );
}

/**
 * Where the network is: its name and URL, as an operator configured it, without the credentials the URL may carry
 * (`displayUrl`): the doctor's output may be pasted into a ticket.
 */
function whereIs(hre: HardhatRuntimeEnvironment): string {
  const config = hre.network.config;
  return "url" in config ? `${hre.network.name} (${displayUrl(config.url)})` : `${hre.network.name} (in-process)`;
}

function advice(hre: HardhatRuntimeEnvironment, local: string, consortium: string): string {
  return hre.network.name === "consortium" ? consortium : local;
}

// --- the node -------------------------------------------------------------------------------------------------------

interface NodeFacts {
  chainId: bigint;
  block: bigint;
  client: string;
}

async function checkNode(hre: HardhatRuntimeEnvironment): Promise<{ check: Check; facts?: NodeFacts }> {
  try {
    const chainId = BigInt(await request<string>(hre, "eth_chainId"));
    const block = BigInt(await request<string>(hre, "eth_blockNumber"));
    const client = await request<string>(hre, "web3_clientVersion").catch(() => "client version not given");
    return {
      check: pass("node", `${whereIs(hre)} answers: ${client}, chain ${chainId}, block ${number(block)}`),
      facts: { chainId, block, client },
    };
  } catch (error) {
    // Hardhat checks the chain id of a network configured with one before it forwards any call (HH101): the node did
    // answer, with another chain's id.
    const other = /connected to a chain with id (\d+)/.exec(reason(error));
    if (other !== null) {
      const chainId = BigInt(other[1]!);
      return {
        check: pass("node", `${whereIs(hre)} answers: chain ${chainId}`),
        facts: { chainId, block: 0n, client: "" },
      };
    }
    return {
      check: failed(
        "node",
        `${whereIs(hre)} does not answer: ${reason(error)}`,
        advice(
          hre,
          "start the node (npx hardhat node, or anvil) or set LOCALHOST_RPC_URL to its URL",
          "check that the node runs and CONSORTIUM_RPC_URL names it (and that this machine may reach it)",
        ),
      ),
    };
  }
}

function checkChainId(hre: HardhatRuntimeEnvironment, chainId: bigint): Check {
  const configured = hre.network.config.chainId;
  if (configured === undefined) {
    return pass("chain id", `${chainId} (the ${hre.network.name} network's configuration names none to compare)`);
  }
  if (BigInt(configured) === chainId) return pass("chain id", `${chainId}, as configured`);
  return failed(
    "chain id",
    `the node is chain ${chainId}, the configuration says ${configured}`,
    advice(
      hre,
      `point the ${hre.network.name} network at the node of chain ${configured}`,
      `set CONSORTIUM_CHAIN_ID=${chainId} if this is the consortium's node, else point CONSORTIUM_RPC_URL at the right one`,
    ),
  );
}

// --- the EVM version ------------------------------------------------------------------------------------------------

interface Probe {
  /** The opcodes, as the checks name them. */
  name: string;
  /** The fork that introduced them. */
  fork: "Shanghai" | "Cancun";
  opcodes: number[];
  /** Init code that uses the opcodes and returns `expected` when they work. */
  initCode: string;
  expected: string;
}

/**
 * Each probe is init code run by `eth_call` with no `to` (a contract creation): it uses the opcode and returns what it
 * computed, so a chain that runs it answers the expected bytes and one that does not refuses with an invalid-opcode
 * (or "not activated") error.
 */
export const PROBES: readonly Probe[] = [
  {
    name: "PUSH0",
    fork: "Shanghai",
    opcodes: [0x5f],
    // PUSH1 0x2a, PUSH0, MSTORE8 (memory[0] = 0x2a), PUSH1 1, PUSH0, RETURN (memory[0..1])
    initCode: "0x602a5f5360015ff3",
    expected: "0x2a",
  },
  {
    name: "MCOPY",
    fork: "Cancun",
    opcodes: [0x5e],
    // PUSH1 0xff, PUSH1 0, MSTORE8; MCOPY(dst 32, src 0, length 1); RETURN memory[32..33]
    initCode: "0x60ff6000536001600060205e60016020f3",
    expected: "0xff",
  },
  {
    name: "TSTORE/TLOAD",
    fork: "Cancun",
    opcodes: [0x5d, 0x5c],
    // TSTORE(key 0, value 1); TLOAD(0); MSTORE at 0; RETURN memory[0..32]
    initCode: "0x600160005d60005c60005260206000f3",
    expected: `0x${"00".repeat(31)}01`,
  },
];

/** The opcodes a piece of bytecode executes, PUSH data skipped and the trailing CBOR metadata left out. */
export function opcodesIn(bytecode: string): Set<number> {
  const code = Buffer.from(bytecode.replace(/^0x/, ""), "hex");
  let end = code.length;
  // solc appends CBOR metadata and, in the last two bytes, its length.
  if (end >= 2) {
    const metadata = code.readUInt16BE(end - 2);
    if (metadata + 2 <= end) end -= metadata + 2;
  }
  const found = new Set<number>();
  for (let i = 0; i < end; i++) {
    // Creation code embeds the runtime code (and a contract it creates, its creation code), each with its own
    // metadata: random bytes, not instructions.
    const skip = embeddedMetadata(code, i);
    if (skip > 0) {
      i += skip - 1;
      continue;
    }
    const op = code[i]!;
    found.add(op);
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f; // PUSH1..PUSH32 carry 1..32 bytes of data
  }
  return found;
}

/** solc's CBOR metadata opens with a map whose first key is "ipfs" (or "bzzr0"/"bzzr1") and a byte string. */
const METADATA_OPENINGS = ["a264697066735822", "a265627a7a72305820", "a265627a7a72315820"].map((hex) =>
  Buffer.from(hex, "hex"),
);

/**
 * The length of the solc metadata that starts at `at` in `code` — its CBOR and the two bytes that give the CBOR's
 * length — or 0 if none starts there.
 */
function embeddedMetadata(code: Buffer, at: number): number {
  if (code[at] !== 0xa2) return 0;
  if (!METADATA_OPENINGS.some((opening) => code.subarray(at, at + opening.length).equals(opening))) return 0;
  for (let end = at + 40; end + 2 <= code.length && end <= at + 128; end++) {
    if (code.readUInt16BE(end) === end - at) return end - at + 2;
  }
  return 0;
}

export interface Compiled {
  sizes: ContractSize[];
  /** The EVM versions the deployable contracts were compiled for (one, unless the build is mixed). */
  evmVersions: string[];
  /** Opcodes that any deployable contract uses, creation and runtime code. */
  opcodes: Set<number>;
  /** Creation code of each deployable contract, for the gas estimate. */
  creationCode: Map<string, string>;
}

/** What the checks need to know of the compiled, deployable contracts. */
export async function compiled(hre: HardhatRuntimeEnvironment): Promise<Compiled> {
  const sizes = await contractSizes(hre);
  const evmVersions = new Set<string>();
  const opcodes = new Set<number>();
  const creationCode = new Map<string, string>();
  for (const size of sizes) {
    const name = `${size.source}:${size.contract}`;
    const artifact = await hre.artifacts.readArtifact(name);
    const buildInfo = await hre.artifacts.getBuildInfo(name);
    evmVersions.add(buildInfo?.input.settings.evmVersion ?? "unknown");
    for (const op of opcodesIn(artifact.deployedBytecode)) opcodes.add(op);
    for (const op of opcodesIn(artifact.bytecode)) opcodes.add(op);
    creationCode.set(size.contract, artifact.bytecode);
  }
  return { sizes, evmVersions: [...evmVersions], opcodes, creationCode };
}

type ProbeResult = "runs" | "refused" | "unknown";

async function runProbe(hre: HardhatRuntimeEnvironment, probe: Probe): Promise<{ result: ProbeResult; why: string }> {
  try {
    const output = await request<string>(hre, "eth_call", [{ data: probe.initCode }, "latest"]);
    if (output.toLowerCase() === probe.expected) return { result: "runs", why: "" };
    return { result: "refused", why: `it returned ${output}, not ${probe.expected}` };
  } catch (error) {
    if (unavailable(error)) return { result: "unknown", why: reason(error) };
    return { result: "refused", why: reason(error) };
  }
}

export async function checkEvm(hre: HardhatRuntimeEnvironment, build: Compiled): Promise<Check[]> {
  const checks: Check[] = [];
  const missing: string[] = [];
  const fork = (name: string): string =>
    hre.network.name === "consortium"
      ? `enable ${name} on the chain (Besu genesis: "${name.toLowerCase()}Time": 0, or the time of a planned upgrade)`
      : `start the node with ${name} or later (anvil --hardfork ${name.toLowerCase()}, or EVM_VERSION for the e2e)`;
  for (const probe of PROBES) {
    const used = probe.opcodes.some((op) => build.opcodes.has(op));
    const uses = used ? "the compiled code uses it" : "the compiled code does not use it";
    const { result, why } = await runProbe(hre, probe);
    const name = `EVM ${probe.name}`;
    if (result === "runs") {
      checks.push(pass(name, `the chain runs it (${probe.fork}); ${uses}`));
    } else if (result === "unknown") {
      checks.push(
        warn(name, `could not probe: ${why}`, "allow eth_call on this node (the doctor sends no transaction)"),
      );
    } else {
      if (used) missing.push(probe.name);
      const finding = `the chain does not run it (${why}): it is older than ${probe.fork}; ${uses}`;
      checks.push(used ? failed(name, finding, fork(probe.fork)) : warn(name, finding, fork(probe.fork)));
    }
  }
  const settings = hre.config.solidity.compilers[0]?.settings as { evmVersion?: string } | undefined;
  const configured = settings?.evmVersion ?? "unknown";
  const built = build.evmVersions.join(", ");
  if (build.evmVersions.length !== 1 || build.evmVersions[0] !== configured) {
    checks.push(
      warn(
        "EVM version",
        `the artifacts were compiled for ${built}, but EVM_VERSION is ${configured}`,
        "run npx hardhat compile so that what is deployed is what the configuration says",
      ),
    );
  } else if (missing.length > 0) {
    checks.push(
      failed(
        "EVM version",
        `the artifacts were compiled for ${built} (EVM_VERSION), which this chain cannot run: it lacks ${missing.join(", ")}`,
        "upgrade the chain to Cancun or later; CareLedger supports no older EVM (EVM_VERSION is cancun, prague or osaka)",
      ),
    );
  } else {
    checks.push(
      pass("EVM version", `the artifacts were compiled for ${built} (EVM_VERSION): the chain runs their code`),
    );
  }
  return checks;
}

// --- gas ------------------------------------------------------------------------------------------------------------

interface GasFacts {
  /** What a transaction of this network will pay per gas: the configured price, else the node's suggestion. */
  price: bigint;
}

export async function checkGas(hre: HardhatRuntimeEnvironment): Promise<{ check: Check; facts: GasFacts }> {
  const nodePrice = BigInt(await request<string>(hre, "eth_gasPrice"));
  const block = await request<{ baseFeePerGas?: string } | null>(hre, "eth_getBlockByNumber", ["latest", false]);
  const baseFee = block?.baseFeePerGas === undefined ? undefined : BigInt(block.baseFeePerGas);
  const configuredPrice = hre.network.config.gasPrice;
  const setting = hre.network.name === "consortium" ? "CONSORTIUM_GAS_PRICE" : `${hre.network.name}'s gasPrice`;
  const fees = `gas price ${number(nodePrice)} wei, base fee ${baseFee === undefined ? "none (pre-London)" : `${number(baseFee)} wei`}`;
  const name = "gas price";
  if (configuredPrice === "auto") {
    const price = nodePrice > (baseFee ?? 0n) ? nodePrice : (baseFee ?? 0n);
    return {
      check: pass(name, price === 0n ? `${fees}: a gas-free network` : `${fees}: transactions pay the node's price`),
      facts: { price },
    };
  }
  const configured = BigInt(configuredPrice);
  if (baseFee !== undefined && baseFee > configured) {
    return {
      check: failed(
        name,
        `${fees}, but ${setting} is ${number(configured)} wei: every transaction would be refused`,
        hre.network.name === "consortium"
          ? `for a gas-free network set "zeroBaseFee": true in the Besu genesis; otherwise set CONSORTIUM_GAS_PRICE to at least ${baseFee}`
          : `set the gas price to at least ${baseFee} wei, or start the node with a zero base fee`,
      ),
      facts: { price: baseFee }, // what the signer will have to pay once the price is raised
    };
  }
  if (nodePrice > configured) {
    return {
      check: warn(
        name,
        `${fees}, but ${setting} is ${number(configured)} wei: a node with a higher minimum refuses such transactions`,
        configured === 0n
          ? "for a gas-free network start every node with --min-gas-price=0"
          : `set ${setting} to at least ${nodePrice}`,
      ),
      facts: { price: configured },
    };
  }
  return {
    check: pass(
      name,
      configured === 0n && (baseFee ?? 0n) === 0n
        ? `${fees}, ${setting} 0: a gas-free network`
        : `${fees}, ${setting} ${number(configured)} wei`,
    ),
    facts: { price: configured },
  };
}

// --- contract size --------------------------------------------------------------------------------------------------

export function checkSizes(build: Compiled): Check[] {
  return build.sizes.map((size) => {
    const name = `size ${size.contract}`;
    const figures = `${number(size.bytes)} bytes, ${number(Math.abs(size.headroom))} ${size.headroom >= 0 ? "under" : "over"} ${number(CODE_SIZE_LIMIT)}`;
    if (size.headroom < 0) {
      return failed(
        name,
        figures,
        "no chain with the default limit deploys it: split the contract (docs/deployment.md#code-size)",
      );
    }
    // Whether it deploys is the operator's question; how close a contract is to the limit is the developers' (their
    // `careledger:check-sizes` names what is near it).
    return pass(name, figures);
  });
}

/**
 * Init code of `creationBytes` bytes that deploys `runtimeBytes` zero bytes: PUSH2 runtimeBytes, PUSH1 0, RETURN, then
 * zero padding. Estimating its deployment asks the node whether it takes a contract that large from creation code
 * that large, whatever its constructor would need.
 */
export function sizeProbe(runtimeBytes: number, creationBytes: number): string {
  const head = `61${runtimeBytes.toString(16).padStart(4, "0")}6000f3`;
  return `0x${head}${"00".repeat(Math.max(0, creationBytes - head.length / 2))}`;
}

async function probeSizeLimit(hre: HardhatRuntimeEnvironment, build: Compiled, from?: string): Promise<Check> {
  const largest = build.sizes[0];
  if (largest === undefined) return warn("size limit", "no deployable contract compiled", "run npx hardhat compile");
  const creation = build.sizes.reduce((most, size) => (size.initcodeBytes > most.initcodeBytes ? size : most));
  const what =
    `a ${number(largest.bytes)}-byte contract (as large as ${largest.contract}) from ${number(creation.initcodeBytes)} ` +
    `bytes of creation code (as large as ${creation.contract}'s)`;
  try {
    const params: Record<string, string> = { data: sizeProbe(largest.bytes, creation.initcodeBytes) };
    if (from !== undefined) params.from = from;
    const gas = BigInt(await request<string>(hre, "eth_estimateGas", [params]));
    return pass("size limit", `the node accepts ${what}: ${number(gas)} gas`);
  } catch (error) {
    if (unavailable(error) || /gas limit|allowance|out of gas/i.test(reason(error))) {
      // Not the size: the method is not offered, or the block gas limit is too low (its own check says so).
      return warn(
        "size limit",
        `could not probe: ${reason(error)}`,
        "allow eth_estimateGas on this node, and see the block gas limit",
      );
    }
    return failed(
      "size limit",
      `the node refuses ${what}: ${reason(error)}`,
      hre.network.name === "consortium"
        ? `set "contractSizeLimit" to at least ${largest.bytes} in the Besu genesis (the default is ${number(CODE_SIZE_LIMIT)}), and a block gas limit above the deployment's gas`
        : `start the node with a contract size limit of at least ${largest.bytes} bytes (anvil --code-size-limit)`,
    );
  }
}

// --- the signer's balance -------------------------------------------------------------------------------------------

/** Role wiring after the contracts are created (some 30 AccessManager calls): about 1.6 million gas, rounded up. */
const WIRING_GAS = 2_000_000n;

/**
 * The gas a whole deployment takes, estimated from the code: for each deployable contract, the transaction (21,000),
 * the creation (32,000), the calldata of its creation code (16 gas a non-zero byte, 4 a zero byte), the init code's
 * words (2 gas each, EIP-3860) and the code deposit (200 gas a byte); then the role wiring; then a tenth more for the
 * constructors' storage. Measured on anvil (Cancun): 26.8 million gas deployed, 29.9 million estimated.
 */
export function deploymentGas(build: Compiled): bigint {
  let gas = 0n;
  for (const size of build.sizes) gas += creationGas(build, size, size.bytes);
  return ((gas + WIRING_GAS) * 11n) / 10n;
}

/** A creation transaction's gas for `size`'s creation code, depositing `deposited` bytes of code. */
function creationGas(build: Compiled, size: ContractSize, deposited: number): bigint {
  const code = Buffer.from((build.creationCode.get(size.contract) ?? "0x").slice(2), "hex");
  const zeros = code.filter((byte) => byte === 0).length;
  const calldata = 16 * (code.length - zeros) + 4 * zeros;
  return 53_000n + BigInt(calldata + 2 * Math.ceil(code.length / 32) + 200 * deposited);
}

/**
 * The largest single transaction of a deployment, over-estimated: a contract's creation code holds its runtime code
 * and that of any contract its constructor creates (the consent registry's BreakGlass, the adjudicator's
 * PriorAuthorizations), so 200 gas per byte of creation code covers every deposit the transaction makes.
 */
export function largestTransaction(build: Compiled): { contract: string; gas: bigint } {
  let largest = { contract: "none", gas: 0n };
  for (const size of build.sizes) {
    const gas = creationGas(build, size, size.initcodeBytes);
    if (gas > largest.gas) largest = { contract: size.contract, gas };
  }
  return largest;
}

async function checkBlockGasLimit(hre: HardhatRuntimeEnvironment, build: Compiled): Promise<Check> {
  const block = await request<{ gasLimit: string } | null>(hre, "eth_getBlockByNumber", ["latest", false]);
  const limit = BigInt(block?.gasLimit ?? "0x0");
  const largest = largestTransaction(build);
  const figures =
    `blocks hold ${number(limit)} gas; the largest deployment transaction (${largest.contract}) takes at most ` +
    number(largest.gas);
  if (limit >= largest.gas) return pass("block gas limit", figures);
  return failed(
    "block gas limit",
    figures,
    advice(
      hre,
      `start the node with a block gas limit of at least ${largest.gas} (anvil --gas-limit)`,
      `raise "gasLimit" in the Besu genesis to at least ${largest.gas} (on a running network: the validators' --target-gas-limit)`,
    ),
  );
}

export async function checkBalance(
  hre: HardhatRuntimeEnvironment,
  build: Compiled,
  gas: GasFacts,
  signer: string | undefined,
): Promise<Check> {
  if (signer === undefined) {
    return failed(
      "signer",
      `the ${hre.network.name} network has no account to deploy from`,
      advice(
        hre,
        "use a node that offers accounts (eth_accounts), or configure them",
        "set CONSORTIUM_PRIVATE_KEYS or CONSORTIUM_MNEMONIC",
      ),
    );
  }
  if (gas.price === 0n) return pass("signer", `account 0 ${signer}: gas is free, no balance needed`);
  const balance = BigInt(await request<string>(hre, "eth_getBalance", [signer, "latest"]));
  const needed = deploymentGas(build) * gas.price;
  const eth = (wei: bigint): string =>
    `${Number(hre.ethers.formatEther(wei)).toLocaleString("en-US", { maximumFractionDigits: 6 })} ETH`;
  const figures = `account 0 ${signer} holds ${eth(balance)}; a whole deployment takes about ${number(deploymentGas(build))} gas at ${number(gas.price)} wei, ${eth(needed)}`;
  if (balance >= needed) return pass("signer", figures);
  return failed("signer", figures, `fund it with at least ${eth(needed - balance)} more, or make gas free`);
}

// --- the recorded deployment ----------------------------------------------------------------------------------------

async function checkDeployment(hre: HardhatRuntimeEnvironment, chainId: bigint): Promise<Check[]> {
  const { DEPLOYMENTS_DIR, loadDeployment, recordedCode } = await import("../sdk/core/deployment");
  const dir = path.join(DEPLOYMENTS_DIR, `chain-${chainId}`);
  const file = path.join(dir, "deployed_addresses.json");
  const name = "deployment";
  if (hre.network.name === "hardhat") {
    return [pass(name, "none: the in-process network keeps nothing between commands (use --network localhost)")];
  }
  if (!fs.existsSync(file)) {
    return [pass(name, `no deployment recorded for chain ${chainId}: run careledger:deploy to make one`)];
  }
  const relative = path.relative(hre.config.paths.root, dir);
  const redeploy = advice(
    hre,
    `the node was restarted or reset: run careledger:deploy --reset (or remove ${relative}/)`,
    `check that CONSORTIUM_RPC_URL names the consortium's chain; the record in ${relative}/ is not this chain's`,
  );
  try {
    loadDeployment(chainId);
  } catch (error) {
    return [failed(name, reason(error), `run careledger:deploy to complete it`)];
  }
  // The exact comparison (immutables masked where solc says they are), where every task makes the quick one.
  const recorded = await recordedCode(hre.ethers.provider, chainId, { exact: true });
  const label = (contract: string): string => contract.split("#")[1] ?? contract;
  const missing = recorded.filter((entry) => entry.status === "no code").map((entry) => label(entry.contract));
  const different = recorded
    .filter((entry) => entry.status === "different code")
    .map((entry) => `${label(entry.contract)} at ${entry.address}`);
  const unchecked = recorded.filter((entry) => entry.status === "no artifact").map((entry) => label(entry.contract));
  const total = recorded.length;
  const checks: Check[] = [];
  if (missing.length > 0) {
    checks.push(
      failed(
        name,
        `chain ${chainId} has no code at ${missing.length} of ${total} recorded addresses (${missing.join(", ")})`,
        redeploy,
      ),
    );
  }
  if (different.length > 0) {
    checks.push(
      failed(name, `the code at ${different.join(", ")} is not the recorded contract's (immutables aside)`, redeploy),
    );
  }
  if (checks.length > 0) return checks;
  if (unchecked.length > 0) {
    checks.push(
      warn(
        name,
        `code exists at all ${total} recorded addresses, but there is no recorded artifact to compare for ${unchecked.join(", ")}`,
        `keep ${relative}/artifacts/ with the record`,
      ),
    );
  } else {
    checks.push(
      pass(name, `all ${total} recorded contracts of chain ${chainId} hold their recorded code (immutables masked)`),
    );
  }
  // The chain holds what was recorded; is that what this checkout compiles?
  const older: string[] = [];
  for (const entry of recorded) {
    if (entry.source === undefined || entry.maskedCode === undefined) continue;
    const current = await currentCode(hre, entry.source.sourceName, entry.source.contractName);
    if (current !== undefined && current !== entry.maskedCode) older.push(label(entry.contract));
  }
  if (older.length > 0) {
    checks.push(
      warn(
        "deployed build",
        `the code of ${older.join(", ")} on chain is not what this checkout compiles`,
        "the tasks use the checkout's ABIs: check out the deployed version, or upgrade through governance",
      ),
    );
  }
  return checks;
}

/** The masked runtime code this checkout compiles for `source:contract`, or undefined if it compiles none. */
async function currentCode(hre: HardhatRuntimeEnvironment, source: string, contract: string) {
  const { immutableRanges, maskImmutables } = await import("../sdk/core/deployment");
  const name = `${source}:${contract}`;
  if (!(await hre.artifacts.artifactExists(name))) return undefined;
  const artifact = await hre.artifacts.readArtifact(name);
  const buildInfo = await hre.artifacts.getBuildInfo(name);
  return maskImmutables(artifact.deployedBytecode, immutableRanges(buildInfo ?? undefined, source, contract));
}

// --- the task -------------------------------------------------------------------------------------------------------

/** Runs every check, printing each line as it is known. */
export async function doctor(hre: HardhatRuntimeEnvironment, print: (line: string) => void): Promise<Check[]> {
  const checks: Check[] = [];
  const report = (...found: Check[]): void => {
    for (const check of found) {
      checks.push(check);
      print(line(check));
    }
  };
  const node = await checkNode(hre);
  report(node.check);
  if (node.facts === undefined) return checks;
  const { chainId } = node.facts;
  const chainIdCheck = checkChainId(hre, chainId);
  report(chainIdCheck);
  // Hardhat refuses every call to a chain other than the configured one: nothing else can be checked.
  if (chainIdCheck.status === "FAIL") return checks;
  // A check the node cannot answer (it went away, or refuses the method) is a FAIL line, not the end of the doctor.
  const guarded = async (name: string, body: () => Promise<Check[]>): Promise<void> => {
    try {
      report(...(await body()));
    } catch (error) {
      report(
        failed(
          name,
          `could not check: ${reason(error)}`,
          "check that the node still answers and allows this method, then run careledger:doctor again",
        ),
      );
    }
  };
  let build: Compiled;
  try {
    build = await compiled(hre);
  } catch (error) {
    report(failed("artifacts", `cannot read the compiled contracts: ${reason(error)}`, "run npx hardhat compile"));
    return checks;
  }
  await guarded("EVM", () => checkEvm(hre, build));
  let gas: GasFacts | undefined;
  await guarded("gas price", async () => {
    const checked = await checkGas(hre);
    gas = checked.facts;
    return [checked.check];
  });
  await guarded("block gas limit", async () => [await checkBlockGasLimit(hre, build)]);
  const signers = await hre.ethers.getSigners().catch(() => []);
  const signer = signers[0]?.address;
  report(...checkSizes(build));
  await guarded("size limit", async () => [await probeSizeLimit(hre, build, signer)]);
  // Without the gas price (its own FAIL line says why) the balance cannot be judged.
  if (gas !== undefined) {
    const facts = gas;
    await guarded("signer", async () => [await checkBalance(hre, build, facts, signer)]);
  }
  await guarded("deployment", () => checkDeployment(hre, chainId));
  return checks;
}

task(
  "careledger:doctor",
  "Checks a chain (and its recorded deployment) before deploying: one line per check",
).setAction(async (_args, hre) => {
  console.log(`CareLedger doctor: network ${whereIs(hre)}`);
  const checks = await doctor(hre, (text) => {
    console.log(text);
  });
  const count = (status: Status): number => checks.filter((check) => check.status === status).length;
  const failures = checks.filter((check) => check.status === "FAIL");
  const summary = `${count("PASS")} passed, ${count("WARN")} warning(s), ${failures.length} failed`;
  if (failures.length > 0) {
    fail(
      `${summary} (${failures.map((check) => check.name).join(", ")}): do what each FAIL line says, then run careledger:doctor again`,
    );
  }
  console.log(count("WARN") > 0 ? `${summary}: read the warnings` : summary);
});
