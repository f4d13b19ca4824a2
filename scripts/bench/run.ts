/**
 * `npm run bench`: gas per operation for every external write of the suite, measured from receipts on a fresh
 * in-process deployment. Prints a table and writes the same rows to `benchmarks/gas.json`; exits non-zero if an
 * operation exceeds its target. Then throughput figures, measured here, never in a timed test: the record pipeline,
 * the claims simulator, the supply chain's verification latency and the audit indexer's rate and report time (the
 * last two against anvil, a node process).
 */
import path from "node:path";

import hre from "hardhat";

import { deployCareLedger, loadParameters } from "../../deploy";
import { CODE_SIZE_LIMIT, contractSizes, sizeTable } from "../../tasks/sizes";
import { benchClaims } from "./claims";
import { benchConsent } from "./consent";
import { benchIdentity } from "./identity";
import {
  directorySealingTable,
  directorySealingThroughput,
  pipelineTable,
  recordPipelineThroughput,
} from "./record-pipeline";
import { benchRecords } from "./records";
import { formatSimulatorThroughput, simulatorThroughput } from "./simulator";
import { benchSupplyChain } from "./supplychain";
import { benchTrials } from "./trials";
import { benchAudit } from "./audit";
import { GasRecorder } from "./recorder";

const OUTPUT = path.join(__dirname, "..", "..", "benchmarks", "gas.json");

async function main(): Promise<void> {
  const gas = new GasRecorder();
  const system = await deployCareLedger(hre, loadParameters("hardhat"));
  await benchIdentity(system, gas);
  await benchConsent(system, gas);
  await benchRecords(system, gas);
  await benchClaims(system, gas);
  const supplyLines = await benchSupplyChain(system, gas);
  const trialLines = await benchTrials(system, gas);

  const { evmVersion } = hre.config.solidity.compilers[0]!.settings as { evmVersion: string };
  console.log(`CareLedger gas per operation (EVM ${evmVersion}, optimizer on, from receipts)\n`);
  console.log(gas.table());
  gas.write(OUTPUT);
  console.log(`\n${gas.rows.length} rows written to ${path.relative(process.cwd(), OUTPUT)}`);
  console.log(
    `\nRuntime code size of each deployable contract (limit ${CODE_SIZE_LIMIT.toLocaleString("en-US")} bytes, EIP-170)\n`,
  );
  console.log(sizeTable(await contractSizes(hre)));
  console.log(`\n${pipelineTable(recordPipelineThroughput())}`);
  console.log(`\n${directorySealingTable(await directorySealingThroughput())}`);
  const simulator = await simulatorThroughput(hre);
  console.log(`\n${formatSimulatorThroughput(simulator).join("\n")}`);
  console.log(`\n${supplyLines.join("\n")}`);
  console.log(`\n${trialLines.join("\n")}`);
  console.log(`\n${(await benchAudit()).join("\n")}`);
  if (simulator.mismatches > 0) {
    console.error(`SIMULATOR: ${simulator.mismatches} figure(s) differ from the model`);
    process.exitCode = 1;
  }
  for (const row of gas.acknowledgedMisses()) {
    console.log(
      `\nACKNOWLEDGED MISS: ${row.contract}.${row.operation} (${row.case}) ${row.gas.toLocaleString("en-US")} > ` +
        `${row.target.toLocaleString("en-US")}: ${row.reason}`,
    );
  }
  const over = gas.overTarget();
  if (over.length > 0) {
    for (const row of over)
      console.error(`OVER TARGET: ${row.contract}.${row.operation} (${row.case}) ${row.gas} > ${row.target}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
