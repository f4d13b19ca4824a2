/**
 * The claims-flow simulator behind `careledger:simulate`: a seeded synthetic population (`population.ts`) of payers,
 * plans, networks, members' enrollments, prior authorizations, claims, funding rounds, appeals, payers taking back
 * surplus and providers' withdrawals, pushed through the deployed contracts with the SDK's `ClaimsClient` and fed
 * step by step to the TypeScript model of the rules (`sdk/claims/model.ts`), which must agree on every line, claim,
 * accumulator, authorization, balance and queue entry.
 *
 * The steps, in order: the system and its accounts (`system.ts`), registration (`participants.ts`), plans, enrollment
 * and prior authorizations (`plans.ts`), funding (`payments.ts`), the claim stream with its appeals and funding rounds
 * (`stream.ts`, `submission.ts`, `appeals.ts`), reconciliation against the model (`reconciliation.ts`) and the report
 * (`report.ts`, `summary.ts`).
 *
 * Patients are members on chain: each is named by her plan-scoped member pseudonym (`memberPseudonym` of the
 * simulation's member key, the plan id and her member number) and needs no account; the model keeps her abstract
 * patient number (her index + 1).
 */
import { performance } from "node:perf_hooks";

import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { registerParticipants } from "./participants";
import { Payments } from "./payments";
import { setUpCoverage } from "./plans";
import { reconcile } from "./reconciliation";
import { type SimulationReport, tallyOutcomes } from "./report";
import { emptyClaimBook, type SimulationOptions } from "./state";
import { runClaimStream } from "./stream";
import { connectSystem } from "./system";

export type { OutcomeTally, SimulationReport } from "./report";
export type { SimulationOptions } from "./state";
export { formatSummary } from "./summary";

/**
 * Runs the simulation and returns its report; mismatches are in `report.agreement.mismatches` (the task fails on
 * any). Deploys a fresh system on the in-process network, else uses the recorded deployment and the network's
 * accounts (the registrar and admin of the network's parameter file, the test stablecoin's owner).
 */
export async function simulateClaims(
  hre: HardhatRuntimeEnvironment,
  options: SimulationOptions,
): Promise<SimulationReport> {
  const started = performance.now();
  const sim = await connectSystem(hre, options);
  const cast = await registerParticipants(sim);
  const { coverage, priorAuths } = await setUpCoverage(sim, cast);
  const payments = new Payments(sim, cast);
  await payments.mint();
  for (const [index, payer] of sim.population.payers.entries()) await payments.fund(index, payer.initialFunding);
  const setupSeconds = (performance.now() - started) / 1000;

  const book = emptyClaimBook();
  const claimsSeconds = await runClaimStream(sim, cast, coverage, payments, book, options.quiet === true);
  const checksStarted = performance.now();
  await reconcile(sim, cast, coverage, payments, book);
  const checksSeconds = (performance.now() - checksStarted) / 1000;

  const { population, agreement } = sim;
  const { lines, money, statuses } = tallyOutcomes(book.records);
  return {
    network: sim.network,
    freshDeployment: sim.freshDeployment,
    adjudicator: sim.deployment.claimsAdjudicator,
    fromBlock: sim.fromBlock,
    seed: options.seed,
    token: { symbol: sim.symbol, decimals: sim.decimals },
    population: {
      payers: population.payers.length,
      plans: population.plans.length,
      organizations: population.organizations.length,
      practitioners: population.practitioners.length,
      patients: population.patients.length,
      earlierPeriods: population.patients.filter((patient) => patient.enrollments.length > 1).length,
      priorAuths,
    },
    claims: { ...book.claims, ...statuses },
    lines,
    money,
    payments: payments.tally,
    appeals: book.appeals,
    gas: book.gas,
    timing: { setupSeconds, claimsSeconds, checksSeconds, totalSeconds: (performance.now() - started) / 1000 },
    agreement: {
      claims: book.claims.attempted,
      lines: book.modelLines,
      figures: agreement.figures,
      mismatches: agreement.mismatches,
    },
  };
}
