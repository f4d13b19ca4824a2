import fs from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { fail } from "./util";

/**
 * The least share of its branches and of its lines that the suite must run in every production source file
 * (`contracts/`, test contracts under `contracts/test/` excepted): `npm run coverage` fails below it, naming the file
 * and the figure. A module that lands meets it from its first commit.
 */
export const COVERAGE_FLOOR = { branches: 95, lines: 98 } as const;

/** Where solidity-coverage writes its istanbul reports (its default `istanbulFolder`), relative to the project. */
export const COVERAGE_DIR = "coverage";

/** What one source file's tests ran of one measure. */
export interface Measure {
  covered: number;
  total: number;
}

/** One production source file's coverage, as istanbul's `json-summary` reporter counts it. */
export interface FileCoverage {
  /** Relative to the project, `contracts/...`. */
  source: string;
  lines: Measure;
  statements: Measure;
  functions: Measure;
  branches: Measure;
}

/** A measure of a file below the floor. */
export interface Shortfall {
  source: string;
  measure: "branches" | "lines";
  percent: number;
  floor: number;
  missed: number;
}

type SummaryEntry = Record<"lines" | "statements" | "functions" | "branches", Measure>;

/**
 * The production files of istanbul's `coverage-summary.json` (keyed by absolute path, plus a `total`): every file
 * under `contracts/` but `contracts/test/`, sorted by path. Files with nothing to run (interfaces, value types with no
 * function) are kept, with totals of zero.
 */
export function productionCoverage(summary: Record<string, SummaryEntry>, root: string): FileCoverage[] {
  const files: FileCoverage[] = [];
  for (const [file, entry] of Object.entries(summary)) {
    if (file === "total") continue;
    const source = path.relative(root, file).split(path.sep).join("/");
    if (!source.startsWith("contracts/") || source.startsWith("contracts/test/")) continue;
    const measure = (name: keyof SummaryEntry): Measure => ({
      covered: entry[name].covered,
      total: entry[name].total,
    });
    files.push({
      source,
      lines: measure("lines"),
      statements: measure("statements"),
      functions: measure("functions"),
      branches: measure("branches"),
    });
  }
  return files.sort((a, b) => a.source.localeCompare(b.source));
}

/** A measure as a percentage; a file with nothing to measure has run all of it. */
export function percent(measure: Measure): number {
  return measure.total === 0 ? 100 : (100 * measure.covered) / measure.total;
}

/** Every measure of every file below the floor, in file order. */
export function shortfalls(
  files: readonly FileCoverage[],
  floor: { branches: number; lines: number } = COVERAGE_FLOOR,
): Shortfall[] {
  const found: Shortfall[] = [];
  for (const file of files) {
    for (const measure of ["branches", "lines"] as const) {
      const value = percent(file[measure]);
      if (value < floor[measure]) {
        found.push({
          source: file.source,
          measure,
          percent: value,
          floor: floor[measure],
          missed: file[measure].total - file[measure].covered,
        });
      }
    }
  }
  return found;
}

/** A percentage to two decimals, truncated, never rounded up: 94.996 % reads as 94.99 % and not as the floor. */
function truncated(value: number): string {
  return `${(Math.floor(value * 100) / 100).toFixed(2)} %`;
}

function figure(measure: Measure): string {
  return measure.total === 0 ? "-" : truncated(percent(measure));
}

/** The per-file table: branches and lines with their counts, then statements and functions. */
export function coverageTable(files: readonly FileCoverage[]): string {
  const counted = files.filter((file) => file.lines.total > 0 || file.branches.total > 0);
  const rows = counted.map((file) => [
    file.source.replace(/^contracts\//, ""),
    figure(file.branches),
    `${file.branches.covered}/${file.branches.total}`,
    figure(file.lines),
    `${file.lines.covered}/${file.lines.total}`,
    figure(file.statements),
    figure(file.functions),
  ]);
  const header = ["contract (contracts/)", "branches", "", "lines", "", "statements", "functions"];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  const skipped = files.length - counted.length;
  return [
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
    ...(skipped === 0
      ? []
      : [`(${skipped} file(s) with nothing to run: interfaces and value types without functions)`]),
  ].join("\n");
}

/** The one line that says what fell short. */
export function shortfallMessage(found: readonly Shortfall[]): string {
  const items = found.map(
    (s) => `${s.source} ${s.measure} ${truncated(s.percent)} < ${s.floor} % (${s.missed} missed)`,
  );
  return `coverage below the floor (${COVERAGE_FLOOR.branches} % of branches, ${COVERAGE_FLOOR.lines} % of lines, in every production contract): ${items.join("; ")}; the HTML report in ${COVERAGE_DIR}/index.html shows each missed line`;
}

/** Reads the summary the run just wrote. */
export function readCoverage(hre: HardhatRuntimeEnvironment): FileCoverage[] {
  const file = path.join(hre.config.paths.root, COVERAGE_DIR, "coverage-summary.json");
  if (!fs.existsSync(file)) {
    fail(`${file} is missing: .solcover.js must keep "json-summary" among its istanbulReporter entries`);
  }
  const summary = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, SummaryEntry>;
  return productionCoverage(summary, hre.config.paths.root);
}

/**
 * solidity-coverage compiles instrumented contracts into the project's artifacts and cache, whose cache then takes
 * them for the production build: a later `npm test`, or a deployment, would run instrumented code. The coverage run
 * is refused unless it builds elsewhere, as `npm run coverage` does (CARELEDGER_BUILD_DIR=.build/coverage).
 */
function requireOwnBuildDir(hre: HardhatRuntimeEnvironment): void {
  const defaultArtifacts = path.join(hre.config.paths.root, "artifacts");
  if (path.resolve(hre.config.paths.artifacts) === defaultArtifacts) {
    fail(
      "coverage compiles instrumented contracts and would leave them in artifacts/ as if they were the production " +
        "build: run `npm run coverage`, which builds into .build/coverage (or set CARELEDGER_BUILD_DIR to another directory)",
    );
  }
}

/**
 * Makes the run compile every contract afresh. Each run numbers its probes across all files in order, so a change to
 * one file renumbers the probes of every file after it; Hardhat's cache, keyed on the original sources, would keep
 * those files' previous instrumented build, whose probes the new run no longer knows, and their hits would be lost
 * (measured: after one contract lost a function, four modules' branches read 50 to 86 %).
 */
function forgetInstrumentedBuild(hre: HardhatRuntimeEnvironment): void {
  fs.rmSync(path.join(hre.config.paths.cache, "solidity-files-cache.json"), { force: true });
}

// solidity-coverage's own task, with the production build kept apart and the floor checked once its report is written.
task("coverage").setAction(async (args: Record<string, unknown>, hre, runSuper) => {
  requireOwnBuildDir(hre);
  forgetInstrumentedBuild(hre);
  await runSuper(args);
  const files = readCoverage(hre);
  console.log(
    `\nCoverage of every production contract (floor: ${COVERAGE_FLOOR.branches} % of branches, ${COVERAGE_FLOOR.lines} % of lines):\n`,
  );
  console.log(coverageTable(files));
  const found = shortfalls(files);
  if (found.length > 0) fail(shortfallMessage(found));
  console.log(`\nEvery production contract meets the floor.`);
});
