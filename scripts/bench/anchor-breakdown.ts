/**
 * Where the gas of a record anchor goes: replays the benchmark (identity, consent and records rows, on a fresh
 * in-process deployment, so that the state is the benchmark's), traces each `RecordRegistry.anchor` row and the
 * `AnchorFloor` reference with `debug_traceTransaction`, and prints each transaction's gas by contract and kind of
 * cost. Every figure is measured: the parts add up to the receipt's gas. Writes nothing.
 *
 *   npx hardhat run scripts/bench/anchor-breakdown.ts
 */
import hre, { ethers } from "hardhat";

import { deployCareLedger, loadParameters } from "../../deploy";
import { benchConsent } from "./consent";
import { benchIdentity } from "./identity";
import { benchRecords } from "./records";
import { GasRecorder } from "./recorder";

interface Step {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

interface Traced {
  label: string;
  hash: string;
  gasUsed: bigint;
  data: string;
  to: string;
}

const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);
const COLUMNS = ["cold accounts", "cold SLOADs", "warm SLOADs", "SSTORE", "event", "KECCAK256", "logic"] as const;
type Column = (typeof COLUMNS)[number];

/** A recorder that also keeps the transactions of the rows to trace. */
class TracingRecorder extends GasRecorder {
  readonly traced: Traced[] = [];

  override async measure(...args: Parameters<GasRecorder["measure"]>) {
    const receipt = await super.measure(...args);
    const [contract, operation, variant] = args;
    if ((contract === "RecordRegistry" && operation === "anchor") || contract === "AnchorFloor") {
      const tx = await ethers.provider.getTransaction(receipt.hash);
      if (tx === null || tx.to === null) throw new Error(`${receipt.hash}: no transaction`);
      this.traced.push({
        label: `${contract}.${operation} (${variant})`,
        hash: receipt.hash,
        gasUsed: receipt.gasUsed,
        data: tx.data,
        to: tx.to,
      });
    }
    return receipt;
  }
}

/** EIP-2028: 4 gas per zero byte of calldata, 16 per other byte. */
function calldataGas(data: string): number {
  return ethers.getBytes(data).reduce((sum, byte) => sum + (byte === 0 ? 4 : 16), 0);
}

/** Each step's own gas: for a call, what the call cost the caller apart from what the callee spent. */
function ownGas(steps: Step[]): number[] {
  return steps.map((step, i) => {
    if (!CALLS.has(step.op) || steps[i + 1]?.depth !== step.depth + 1) return step.gasCost;
    let j = i + 1;
    let last = j;
    while (j < steps.length && steps[j]!.depth > step.depth) {
      if (steps[j]!.depth === step.depth + 1) last = j;
      j++;
    }
    const calleeUsed = steps[i + 1]!.gas - (steps[last]!.gas - steps[last]!.gasCost);
    return step.gas - steps[j]!.gas - calleeUsed;
  });
}

function column(step: Step, own: number): Column {
  if (step.op === "SLOAD") return own >= 2100 ? "cold SLOADs" : "warm SLOADs";
  if (step.op === "SSTORE") return "SSTORE";
  if (step.op.startsWith("LOG")) return "event";
  if (step.op === "KECCAK256") return "KECCAK256";
  if (CALLS.has(step.op) && own >= 2600) return "cold accounts";
  return "logic";
}

/** Gas by contract (the code running at each step) and column. */
function breakdown(steps: Step[], to: string, names: Map<string, string>): Map<string, Map<Column, number>> {
  const own = ownGas(steps);
  const frames = [to.toLowerCase()];
  const table = new Map<string, Map<Column, number>>();
  steps.forEach((step, i) => {
    frames.length = step.depth;
    const name = names.get(frames[step.depth - 1]!) ?? frames[step.depth - 1]!;
    const row = table.get(name) ?? new Map<Column, number>();
    const col = column(step, own[i]!);
    row.set(col, (row.get(col) ?? 0) + own[i]!);
    table.set(name, row);
    if (CALLS.has(step.op) && step.stack !== undefined) {
      // Hardhat gives stack words as unprefixed hex: the callee's address is the low 20 bytes of the second word.
      frames[step.depth] = `0x${step.stack[step.stack.length - 2]!.replace(/^0x/, "").slice(-40).padStart(40, "0")}`;
    }
  });
  return table;
}

function print(t: Traced, table: Map<string, Map<Column, number>>): void {
  const calldata = calldataGas(t.data);
  const width = Math.max(...[...table.keys()].map((k) => k.length), "calldata (0000 bytes)".length);
  const cell = (n: number | undefined) => (n ?? 0).toLocaleString("en-US").padStart(14);
  console.log(`\n${t.label}: ${t.gasUsed.toLocaleString("en-US")} gas`);
  console.log(`${"".padEnd(width)}${COLUMNS.map((c) => c.padStart(14)).join("")}${"total".padStart(10)}`);
  console.log(`${"transaction".padEnd(width)}${"".padStart(14 * COLUMNS.length)}${"21,000".padStart(10)}`);
  const bytes = ethers.getBytes(t.data).length;
  console.log(
    `${`calldata (${bytes} bytes)`.padEnd(width)}${"".padStart(14 * COLUMNS.length)}${calldata.toLocaleString("en-US").padStart(10)}`,
  );
  let sum = 21_000 + calldata;
  for (const [name, row] of table) {
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    sum += total;
    console.log(
      `${name.padEnd(width)}${COLUMNS.map((c) => cell(row.get(c))).join("")}${total.toLocaleString("en-US").padStart(10)}`,
    );
  }
  console.log(
    `${"sum (equals the receipt)".padEnd(width)}${"".padStart(14 * COLUMNS.length)}${sum.toLocaleString("en-US").padStart(10)}`,
  );
  if (BigInt(sum) !== t.gasUsed) throw new Error(`the parts add up to ${sum}, the receipt says ${t.gasUsed}`);
}

async function main(): Promise<void> {
  const gas = new TracingRecorder();
  const system = await deployCareLedger(hre, loadParameters("hardhat"));
  await benchIdentity(system, gas);
  await benchConsent(system, gas);
  await benchRecords(system, gas);
  const { deployment } = system;
  const names = new Map<string, string>(
    Object.entries(deployment)
      .filter(([key]) => key !== "chainId")
      .map(([key, address]) => [String(address).toLowerCase(), key.charAt(0).toUpperCase() + key.slice(1)]),
  );
  for (const t of gas.traced) {
    if (t.label.startsWith("AnchorFloor")) names.set(t.to.toLowerCase(), "AnchorFloor");
    const trace = (await ethers.provider.send("debug_traceTransaction", [t.hash, { disableStorage: true }])) as {
      structLogs: Step[];
    };
    print(t, breakdown(trace.structLogs, t.to, names));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
