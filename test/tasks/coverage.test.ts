import { spawnSync } from "node:child_process";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

import { expect } from "chai";

import {
  COVERAGE_FLOOR,
  coverageTable,
  type FileCoverage,
  percent,
  productionCoverage,
  shortfallMessage,
  shortfalls,
} from "../../tasks/coverage";
import { skipCliTestsIfAsked } from "../helpers/runs";

const ROOT = "/project";

/** An istanbul json-summary entry with the given covered/total branches and lines. */
function entry(branches: [number, number], lines: [number, number]) {
  const measure = ([covered, total]: [number, number]) => ({ covered, total, skipped: 0, pct: 0 });
  return {
    branches: measure(branches),
    lines: measure(lines),
    statements: measure(lines),
    functions: measure([1, 1]),
  };
}

function file(source: string, branches: [number, number], lines: [number, number]): FileCoverage {
  const [only] = productionCoverage({ [path.join(ROOT, source)]: entry(branches, lines) }, ROOT);
  if (only === undefined) throw new Error(`${source} is not a production file`);
  return only;
}

describe("tasks: the coverage floor", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  describe("productionCoverage", function () {
    it("keeps the files under contracts/, test contracts, other paths and the total left out, sorted by path", function () {
      const files = productionCoverage(
        {
          total: entry([10, 10], [10, 10]),
          [path.join(ROOT, "contracts/trials/TrialRegistry.sol")]: entry([1, 2], [3, 4]),
          [path.join(ROOT, "contracts/test/TestStablecoin.sol")]: entry([0, 2], [0, 4]),
          [path.join(ROOT, "node_modules/@openzeppelin/contracts/access/manager/AccessManager.sol")]: entry(
            [0, 2],
            [0, 4],
          ),
          [path.join(ROOT, "contracts/claims/ClaimsAdjudicator.sol")]: entry([5, 6], [7, 8]),
        },
        ROOT,
      );
      expect(files.map((f) => f.source)).to.deep.equal([
        "contracts/claims/ClaimsAdjudicator.sol",
        "contracts/trials/TrialRegistry.sol",
      ]);
      expect(files[1]?.branches).to.deep.equal({ covered: 1, total: 2 });
      expect(files[1]?.lines).to.deep.equal({ covered: 3, total: 4 });
    });
  });

  describe("shortfalls", function () {
    it("passes a file exactly at the floor and one with nothing to run", function () {
      expect(percent({ covered: 0, total: 0 })).to.equal(100);
      const atFloor = file("contracts/a/A.sol", [95, 100], [98, 100]);
      const empty = file("contracts/a/IA.sol", [0, 0], [0, 0]);
      expect(shortfalls([atFloor, empty])).to.deep.equal([]);
    });

    it("names each file and measure just below the floor, with its figure and what it missed", function () {
      const found = shortfalls([
        file("contracts/a/A.sol", [1899, 2000], [98, 100]),
        file("contracts/b/B.sol", [19, 20], [4899, 5000]),
        file("contracts/c/C.sol", [0, 4], [0, 10]),
      ]);
      expect(found.map((s) => [s.source, s.measure, s.missed])).to.deep.equal([
        ["contracts/a/A.sol", "branches", 101],
        ["contracts/b/B.sol", "lines", 101],
        ["contracts/c/C.sol", "branches", 4],
        ["contracts/c/C.sol", "lines", 10],
      ]);
      const message = shortfallMessage(found);
      // 94.95 % is printed truncated, never rounded up to the floor.
      expect(message).to.contain("contracts/a/A.sol branches 94.95 % < 95 % (101 missed)");
      expect(message).to.contain("contracts/b/B.sol lines 97.98 % < 98 % (101 missed)");
      expect(message).to.contain(`${COVERAGE_FLOOR.branches} % of branches`);
      expect(message.split("\n")).to.have.length(1);
    });
  });

  describe("coverageTable", function () {
    it("prints a row per file with something to run, and counts the rest", function () {
      const table = coverageTable([
        file("contracts/claims/ClaimsAdjudicator.sol", [297, 300], [500, 500]),
        file("contracts/claims/IClaimsAdjudicator.sol", [0, 0], [0, 0]),
      ]).split("\n");
      expect(table[0]).to.match(/^contract \(contracts\/\)\s+branches\s+lines\s+statements\s+functions$/);
      expect(table[2]).to.match(/^claims\/ClaimsAdjudicator\.sol\s+99\.00 %\s+297\/300\s+100\.00 %\s+500\/500/);
      expect(table).to.have.length(4);
      expect(table[3]).to.equal("(1 file(s) with nothing to run: interfaces and value types without functions)");
    });
  });

  describe("npx hardhat coverage", function () {
    it("refuses to build instrumented contracts into artifacts/, in one line naming npm run coverage", function () {
      this.timeout(120_000);
      const result = spawnSync("npx", ["hardhat", "coverage"], {
        encoding: "utf8",
        env: { ...process.env, CARELEDGER_BUILD_DIR: "" },
      });
      // Hardhat colours its error line when it believes it runs on CI (picocolors reads CI); the test reads the text.
      const stderr = stripVTControlCharacters(result.stderr);
      expect(result.status).to.equal(1);
      expect(stderr).to.contain("Error in plugin careledger: coverage compiles instrumented contracts");
      expect(stderr).to.contain("npm run coverage");
      expect(result.stdout).not.to.contain("Instrumenting");
    });
  });
});
