import { performance } from "node:perf_hooks";

import { Presets, SingleBar } from "cli-progress";

import { decideAppeal, fileAppeal } from "./appeals";
import type { Payments } from "./payments";
import type { Cast, ClaimBook, Coverage, Simulation } from "./state";
import { submitClaim } from "./submission";

/**
 * The claim stream: before each claim, the appeal decisions, appeals, funding rounds and payer withdrawals the
 * population schedules there, then the claim itself; after the last claim, what is scheduled at the end. Shows a
 * progress bar unless `quiet`. Returns the seconds it took.
 */
export async function runClaimStream(
  sim: Simulation,
  cast: Cast,
  coverage: Coverage,
  payments: Payments,
  book: ClaimBook,
  quiet: boolean,
): Promise<number> {
  const { population } = sim;
  const bar = new SingleBar(
    {
      format: "  claims {bar} {value}/{total}  {rate} claims/s  queue {queue}  mismatches {mismatches}",
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const started = performance.now();
  const progress = (done: number) => {
    if (quiet) return;
    const seconds = (performance.now() - started) / 1000;
    const queue = cast.payers.reduce((sum, payer) => sum + sim.model.queue(payer.id).length, 0);
    const mismatches = sim.agreement.mismatches.length;
    const payload = { rate: seconds > 0 ? (done / seconds).toFixed(1) : "0", queue, mismatches };
    if (!bar.isActive) bar.start(population.claims.length, done, payload);
    else bar.update(done, payload);
  };
  sim.log(`Submitting ${population.claims.length} claims…`);
  const claimCount = population.claims.length;
  try {
    progress(0);
    for (let index = 0; index <= claimCount; index++) {
      for (const entry of book.filed.filter((f) => f.decideBefore === index)) {
        await decideAppeal(sim, cast, payments, book, entry);
      }
      for (const appeal of population.appeals.filter((a) => a.fileBefore === index)) {
        await fileAppeal(sim, book, appeal);
      }
      for (const funding of population.fundings.filter((f) => f.before === index)) {
        const payer = cast.payers[funding.payer]!;
        await payments.fund(
          funding.payer,
          (payments.shortfall(payer) * BigInt(funding.shareBps)) / 10_000n + funding.topUp,
        );
      }
      for (const withdrawal of population.withdrawals.filter((w) => w.before === index)) {
        await payments.takeBack(withdrawal);
      }
      if (index === claimCount) break;
      await submitClaim(sim, cast, coverage, payments, book, index);
      progress(index + 1);
    }
  } finally {
    if (bar.isActive) bar.stop();
  }
  return (performance.now() - started) / 1000;
}
