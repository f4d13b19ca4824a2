import { type EobLine, PaymentStatus, toPaymentStatus } from "../../sdk/claims/client";
import { decodeEvent, plainLogs } from "../../sdk/core/transactions";
import type { Payments } from "./payments";
import type { SimAppeal } from "./population";
import { blockTime, type Cast, type ClaimBook, type ClaimRecord, type FiledAppeal, type Simulation } from "./state";
import { compareLine } from "./submission";

/**
 * Files an appeal: of the target claim, or the next accepted claim after it with a denied line not yet appealed.
 * Providers appeal first what a reviewer can waive: late filing (CARC 29) and a missing authorization (197).
 */
export async function fileAppeal(sim: Simulation, book: ClaimBook, appeal: SimAppeal): Promise<void> {
  const open = (record: ClaimRecord) => record.lines.filter((line) => line.denied && !record.appealed.has(line.index));
  const waivable = (record: ClaimRecord) => open(record).filter((line) => line.carc === 29 || line.carc === 197);
  for (const choose of [waivable, open]) {
    for (let index = appeal.target; index < book.records.length; index++) {
      const record = book.records[index];
      if (record === undefined) continue;
      const choices = choose(record);
      if (choices.length === 0) continue;
      const line = choices[appeal.pick % choices.length]!.index;
      const { receipt } = await record.submitter.claims.fileAppeal(record.claimId, line, record.blockNumber);
      const now = await blockTime(receipt);
      sim.agreement.step(`appeal of claim ${index + 1} line ${line + 1}`, () => {
        sim.model.fileAppeal(record.claimId, line, now);
      });
      record.appealed.add(line);
      book.appeals.filed++;
      book.filed.push({ record, line, decideBefore: appeal.decideBefore, overturn: appeal.overturn });
      return;
    }
  }
}

/**
 * The payer's reviewer decides a filed appeal. Upheld, nothing changes; overturned, the line is adjudicated again
 * (compared with the model's) and its payment credited or queued as the model says.
 */
export async function decideAppeal(
  sim: Simulation,
  cast: Cast,
  payments: Payments,
  book: ClaimBook,
  entry: FiledAppeal,
): Promise<void> {
  const { agreement, model } = sim;
  const { record, line, overturn } = entry;
  const where = `decision on the appeal of claim ${record.index + 1} line ${line + 1}`;
  const reviewer = cast.reviewers[sim.population.plans[record.plan]!.payer]!;
  const decided = await reviewer.claims.decideAppeal(record.claimId, line, overturn, record.blockNumber);
  const now = await blockTime(decided.receipt);
  const expected = agreement.step(where, () => model.decideAppeal(record.claimId, line, overturn, now));
  if (!overturn) {
    book.appeals.upheld++;
    agreement.same(where, "re-adjudicated line", decided.line === undefined, true);
    return;
  }
  book.appeals.overturned++;
  if (decided.line === undefined) {
    agreement.mismatch(`${where}: the overturned line was not re-adjudicated on chain`);
    return;
  }
  if (expected !== undefined) compareLine(agreement, where, decided.line, expected);
  book.modelLines++;
  record.lines[line] = decided.line;
  if (!decided.line.denied) book.appeals.reApproved++;
  book.appeals.overturnedPays += decided.line.planPays;
  const event = plainLogs(decided.receipt)
    .map((log) => decodeEvent(sim.root.adjudicator.interface, log))
    .find((parsed) => parsed?.name === "AppealDecided");
  if (event === undefined || event === null) {
    agreement.mismatch(`${where}: no AppealDecided event`);
    return;
  }
  const payment = toPaymentStatus(event.args.getValue("payment") as bigint);
  comparePayment(sim, cast, where, record, line, decided.line, payment);
  countPayment(payments, payment, decided.line);
}

/** An overturned line's payment: none if it pays nothing, queued while the model queues it, else credited. */
function comparePayment(
  sim: Simulation,
  cast: Cast,
  where: string,
  record: ClaimRecord,
  line: number,
  decided: EobLine,
  payment: PaymentStatus,
): void {
  const queued = sim.model
    .queue(cast.payers[sim.population.plans[record.plan]!.payer]!.id)
    .some((queuedEntry) => queuedEntry.claim === record.claimId && queuedEntry.line === line);
  const expected =
    decided.planPays === 0n ? PaymentStatus.None : queued ? PaymentStatus.Queued : PaymentStatus.Credited;
  sim.agreement.same(where, "payment", PaymentStatus[payment], PaymentStatus[expected]);
}

function countPayment(payments: Payments, payment: PaymentStatus, decided: EobLine): void {
  const tally = payments.tally;
  if (payment === PaymentStatus.Queued) {
    tally.queued.count++;
    tally.queued.overturnedLines++;
    tally.queued.amount += decided.planPays;
  } else if (payment === PaymentStatus.Credited) {
    tally.creditedAtAdjudication.count++;
    tally.creditedAtAdjudication.amount += decided.planPays;
  }
}
