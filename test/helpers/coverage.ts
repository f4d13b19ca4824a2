import hre from "hardhat";

import { isCoverageRun } from "../../tasks/util";

/**
 * Whether this run is solidity-coverage's (`npm run coverage`), whose transactions carry the coverage network's own gas
 * (`hre.network.config.gas`, 2^40 - 1 on cancun) rather than an estimate.
 */
export function underCoverage(): boolean {
  return isCoverageRun(hre);
}

/**
 * How much more gas a call costs in solidity-coverage's instrumented build, at most: the probes add about half the
 * production gas on the claims module's calls (an appeal's filing 106,250 against 72,620), so ten times is ample.
 */
const COVERAGE_GAS_FACTOR = 10n;

/**
 * A gas limit sized for the production contracts, for a transaction sent without an estimate (one mined beside
 * another in the same block, one meant to fail on chain): `limit` as given, or `COVERAGE_GAS_FACTOR` times it under
 * coverage. (Not the coverage network's own gas per transaction, 2^40 - 1 on cancun: at a wallet's 1-gwei fee it asks
 * 1,100 ETH up front, more than the fixtures give a wallet.)
 */
export function manualGas(limit: bigint): bigint {
  return underCoverage() ? limit * COVERAGE_GAS_FACTOR : limit;
}

/**
 * Skips a test that measures the production contracts' gas (a bound, a cost, an explicit limit's headroom) when the
 * run is solidity-coverage's, whose instrumented code costs more; `npm test` and CI run it. Call it first in the
 * test's `it`.
 */
export function skipGasMeasureUnderCoverage(test: Mocha.Context): void {
  if (underCoverage()) test.skip();
}
