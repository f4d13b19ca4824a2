import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { expect } from "chai";

/**
 * A real node process and CareLedger's tasks run against it, for the tests of the operator's command line: anvil set
 * up like a gas-free permissioned chain (gas price 0, no base fee), reached as the `localhost` network, and the task
 * runner of the end-to-end script (`.ci/task-server.ts`: one Hardhat process that runs each task with Hardhat's own
 * argument parser and prints a failure as the command line does on a server). `cli` runs a task through the real
 * command line instead, for what only it shows (the exit code and what Hardhat prints around an error).
 *
 * Each node has its own port and chain id, so that the test runs CI starts side by side never meet, and the chain's
 * deployment record (`deploy/deployments/chain-<id>/`) is removed when the node stops.
 */
export interface TaskNode {
  readonly url: string;
  readonly chainId: number;
  /** The deployment record the tasks write and read for this chain. */
  readonly record: string;
  /** A scratch directory, removed with the node. */
  readonly work: string;
  /** Runs `careledger:… OPTIONS` in the task runner: what it printed (stdout and stderr) and the exit code. */
  run(...argv: string[]): Promise<TaskResult>;
  /**
   * Runs `hardhat --network NETWORK ARGV` (default `localhost`, this node) as a separate process, with `env` added to
   * the environment this node's tasks get.
   */
  cli(argv: string[], env?: Record<string, string | undefined>, network?: string): Promise<TaskResult>;
  /** A JSON-RPC call to the node. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** The recorded addresses (`deployed_addresses.json`), by Ignition future id. */
  addresses(): Record<string, string>;
  /**
   * Returns the chain to the state of the first call (a snapshot taken then), for tests that each start from the same
   * deployment: anvil forgets a snapshot once reverted to, so a new one is taken each time.
   */
  freshState(): Promise<void>;
  /** Stops the node and starts a new, empty one at the same URL and chain id: what a restarted development node is. */
  restart(): Promise<void>;
  stop(): void;
}

export interface TaskResult {
  output: string;
  code: number;
}

/** The one line a refused task printed, without the command line's "Error in plugin careledger: " prefix. */
export function refusal(result: TaskResult): string {
  if (process.env.SHOW === "1") console.log(result.output);
  const lines = result.output.split("\n").filter((line) => line.trim() !== "");
  expect(lines, result.output).to.have.length(1);
  expect(result.code, result.output).to.equal(1);
  return lines[0]!.replace(/^Error in plugin careledger: /, "");
}

/** A field of `print`'s output: "  key  value". */
export function field(output: string, key: string): string {
  const line = output.split("\n").find((row) => new RegExp(`^ +${key} +`).test(row));
  if (line === undefined) throw new Error(`no ${key} in:\n${output}`);
  return line.replace(new RegExp(`^ +${key} +`), "");
}

/** Hardhat's and anvil's development accounts. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

const ROOT = path.join(__dirname, "..", "..");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");
const ANVIL = path.join(ROOT, "node_modules", ".bin", "anvil");

/**
 * Whether anvil is installed (the optional dependency exists for Linux x64 only); task tests skip without it, unless
 * `CLI_TESTS=require` (what CI sets for the command line's own run), where a missing anvil fails them instead of
 * letting them pass untested.
 */
export function anvilAvailable(): boolean {
  const installed = fs.existsSync(ANVIL);
  if (!installed && process.env.CLI_TESTS === "require") {
    throw new Error(`CLI_TESTS=require but there is no anvil at ${ANVIL}: install @foundry-rs/anvil-linux-amd64`);
  }
  return installed;
}

/** How the node differs from a gas-free Cancun chain with anvil's default limits (for `careledger:doctor`'s checks). */
export interface TaskNodeOptions {
  /** anvil's `--hardfork` (default: EVM_VERSION, else cancun), e.g. "shanghai" for a chain without MCOPY. */
  hardfork?: string;
  /** The gas price and base fee in wei (default 0: gas-free). */
  gasPrice?: bigint;
  /** anvil's `--code-size-limit` in bytes (default: EIP-170's 24,576). */
  codeSizeLimit?: number;
  /** anvil's `--gas-limit`: the block gas limit (default: anvil's, 30,000,000). */
  gasLimit?: number;
}

/** Starts anvil and the task runner; `stop()` (also run when the process exits) ends both and removes the record. */
export async function startTaskNode(options: TaskNodeOptions = {}): Promise<TaskNode> {
  const chainId = 70_000 + Math.floor(Math.random() * 20_000);
  const record = path.join(ROOT, "deploy", "deployments", `chain-${chainId}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-tasks-"));
  const socket = path.join(work, "tasks.sock");
  let anvil = await startAnvil(chainId, options);
  const { url } = anvil;
  const env: NodeJS.ProcessEnv = { ...process.env, LOCALHOST_RPC_URL: url, E2E_TASK_SOCKET: socket };
  delete env.HARDHAT_SHOW_STACK_TRACES;
  const runnerLog = path.join(work, "task-runner.log");
  const runner = spawn(HARDHAT, ["--network", "localhost", "run", "--no-compile", ".ci/task-server.ts"], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", fs.openSync(runnerLog, "w"), fs.openSync(runnerLog, "a")],
  });

  let snapshot: string | undefined;
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    killGroup(anvil.process);
    killGroup(runner);
    fs.rmSync(record, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
    process.removeListener("exit", stop);
  };
  process.on("exit", stop);

  const runnerReady = (async () => {
    for (let i = 0; i < 240 && !fs.existsSync(socket); i++) {
      if (runner.exitCode !== null) break;
      await sleep(250);
    }
    if (!fs.existsSync(socket)) {
      throw new Error(`the task runner did not start:\n${fs.readFileSync(runnerLog, "utf8")}`);
    }
  })();

  return {
    url,
    chainId,
    record,
    work,
    async run(...argv) {
      await runnerReady;
      return ask(socket, argv);
    },
    cli(argv, extra = {}, network = "localhost") {
      return runProcess(HARDHAT, ["--network", network, ...argv], { ...env, ...extra });
    },
    rpc: (method, params = []) => rpc(url, method, params),
    addresses: () =>
      JSON.parse(fs.readFileSync(path.join(record, "deployed_addresses.json"), "utf8")) as Record<string, string>,
    async freshState() {
      if (snapshot !== undefined) await rpc(anvil.url, "evm_revert", [snapshot]);
      snapshot = await rpc<string>(anvil.url, "evm_snapshot", []);
    },
    async restart() {
      killGroup(anvil.process);
      await waitForExit(anvil.process);
      anvil = await startAnvil(chainId, options, anvil.port);
    },
    stop,
  };
}

interface Anvil {
  process: ChildProcess;
  port: number;
  url: string;
}

async function startAnvil(chainId: number, options: TaskNodeOptions, fixedPort?: number): Promise<Anvil> {
  const gasPrice = String(options.gasPrice ?? 0n);
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = fixedPort ?? 20_000 + Math.floor(Math.random() * 40_000);
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      ANVIL,
      [
        ...["--port", String(port), "--chain-id", String(chainId), "--mnemonic", DEV_MNEMONIC],
        ...["--gas-price", gasPrice, "--base-fee", gasPrice, "--disable-min-priority-fee"],
        ...["--hardfork", options.hardfork ?? process.env.EVM_VERSION ?? "cancun", "--silent"],
        ...(options.codeSizeLimit === undefined ? [] : ["--code-size-limit", String(options.codeSizeLimit)]),
        ...(options.gasLimit === undefined ? [] : ["--gas-limit", String(options.gasLimit)]),
      ],
      { detached: true, stdio: "ignore" },
    );
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      try {
        await rpc(url, "eth_chainId", []);
        return { process: child, port, url };
      } catch {
        await sleep(100);
      }
    }
    killGroup(child);
    if (fixedPort !== undefined) await sleep(500); // the old process may still hold the port: wait, then retry it
  }
  throw new Error("anvil did not start");
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

function ask(socketPath: string, argv: string[]): Promise<TaskResult> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath, path: "/", method: "POST" }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        resolve(JSON.parse(body) as TaskResult);
      });
    });
    request.on("error", reject);
    request.end(JSON.stringify(argv));
  });
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<TaskResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("close", (code) => {
      // Hardhat colours its error line when it believes it runs on CI; the tests read the text.
      resolve({ output: stripVTControlCharacters(output), code: code ?? 1 });
    });
  });
}
