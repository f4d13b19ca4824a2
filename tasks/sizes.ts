import { task } from "hardhat/config";

import { fail } from "./util";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/**
 * EIP-170: the most runtime code a contract may have. Hyperledger Besu, GoQuorum and every EVM chain enforce it by
 * default; a consortium could raise it, but CareLedger never asks one to.
 */
export const CODE_SIZE_LIMIT = 24_576;
/**
 * EIP-3860: the most creation code a deployment may carry. It matters here because the consent registry and the
 * claims adjudicator create their break-glass and prior-authorization contracts in their constructors, so their
 * creation code holds their children's.
 */
export const INITCODE_SIZE_LIMIT = 49_152;

/** One deployable contract's runtime code size. */
export interface ContractSize {
  contract: string;
  source: string;
  /** Runtime code. */
  bytes: number;
  headroom: number;
  /** Creation code (constructor arguments excluded). */
  initcodeBytes: number;
}

/**
 * The runtime code size of every deployable contract CareLedger compiles: the sources under `contracts/` that define
 * a contract with code and an interface, test contracts (`contracts/test/`) excepted, plus OpenZeppelin's
 * AccessManager, which the suite deploys unchanged. Largest first.
 */
export async function contractSizes(hre: HardhatRuntimeEnvironment): Promise<ContractSize[]> {
  const sizes: ContractSize[] = [];
  for (const name of await hre.artifacts.getAllFullyQualifiedNames()) {
    const [source = "", contract = ""] = name.split(":");
    const ours = source.startsWith("contracts/") && !source.startsWith("contracts/test/");
    if (!ours && contract !== "AccessManager") continue;
    const { abi, bytecode, deployedBytecode } = await hre.artifacts.readArtifact(name);
    const bytes = (deployedBytecode.length - 2) / 2;
    // Interfaces and abstract contracts have no code; libraries of internal functions have no ABI and are never
    // deployed (their code is inlined where they are used).
    if (bytes === 0 || abi.length === 0) continue;
    sizes.push({
      contract,
      source,
      bytes,
      headroom: CODE_SIZE_LIMIT - bytes,
      initcodeBytes: (bytecode.length - 2) / 2,
    });
  }
  return sizes.sort((a, b) => b.bytes - a.bytes);
}

/** The sizes as an aligned table. */
export function sizeTable(sizes: readonly ContractSize[]): string {
  const rows = sizes.map((size) => [
    size.contract,
    size.bytes.toLocaleString("en-US"),
    size.headroom.toLocaleString("en-US"),
    `${((100 * size.bytes) / CODE_SIZE_LIMIT).toFixed(1)} %`,
    size.initcodeBytes.toLocaleString("en-US"),
  ]);
  const header = ["contract", "bytes", "headroom", "of limit", "creation code"];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Within this many bytes of the limit a contract is near it: a few more functions could take it over. */
export const NEAR_LIMIT = 1_024;

task(
  "careledger:check-sizes",
  `Fails when a deployable contract's runtime code passes the ${CODE_SIZE_LIMIT.toLocaleString("en-US")}-byte limit`,
).setAction(async (_args, hre) => {
  await hre.run("compile", { quiet: true });
  const sizes = await contractSizes(hre);
  console.log(sizeTable(sizes));
  for (const size of sizes.filter((entry) => entry.headroom >= 0 && entry.headroom < NEAR_LIMIT)) {
    console.log(
      `near the limit: ${size.contract} has ${size.headroom.toLocaleString("en-US")} bytes to spare — keep new code ` +
        "out of it or split it (docs/deployment.md#code-size)",
    );
  }
  const problems = [
    ...sizes
      .filter((size) => size.headroom < 0)
      .map(
        (size) =>
          `${size.contract} (${size.source}) is ${size.bytes.toLocaleString("en-US")} bytes, ` +
          `${(-size.headroom).toLocaleString("en-US")} over the ${CODE_SIZE_LIMIT.toLocaleString("en-US")}-byte ` +
          "limit: split it along a seam (see docs/deployment.md#code-size)",
      ),
    ...sizes
      .filter((size) => size.initcodeBytes > INITCODE_SIZE_LIMIT)
      .map(
        (size) =>
          `${size.contract} has ${size.initcodeBytes.toLocaleString("en-US")} bytes of creation code, over the ` +
          `${INITCODE_SIZE_LIMIT.toLocaleString("en-US")}-byte limit: it cannot be deployed`,
      ),
  ];
  if (problems.length > 0) fail(problems.join("\n"));
});
