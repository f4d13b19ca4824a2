import { AppealStatus, CLAIM_PAYMENT, ClaimStatus, PaymentStatus, PriorAuthStatus } from "../../sdk/claims/client";
import type { Payments } from "./payments";
import { type Cast, type ClaimBook, type ClaimRecord, type Coverage, patientNumber, type Simulation } from "./state";

/**
 * The last step: providers withdraw what they were paid, then every claim, appeal, enrollment's accumulators, prior
 * authorization, payer account and queue, and provider account is read back from the chain and compared with the
 * model, and the money is accounted for: what payers funded is what was withdrawn plus what the adjudicator holds.
 */
export async function reconcile(
  sim: Simulation,
  cast: Cast,
  coverage: Coverage,
  payments: Payments,
  book: ClaimBook,
): Promise<void> {
  await withdrawProviderBalances(sim, cast, payments);
  for (const record of book.records) if (record !== undefined) await reconcileClaim(sim, cast, record);
  await reconcileEnrollments(sim, coverage);
  await reconcilePriorAuths(sim, coverage);
  const payers = await reconcilePayers(sim, cast, payments);
  const providers = await reconcileProviders(sim, cast);
  const { agreement, token, deployment } = sim;
  const held = (await token.balanceOf(deployment.claimsAdjudicator)) - sim.heldBefore;
  // funded = withdrawn by providers + withdrawn by payers + provider balances + payer balances (held here).
  agreement.same("accounting", "Σ funded", payers.funded, held + providers.withdrawn + payers.withdrawn);
  agreement.same("accounting", "adjudicator's token balance (this run)", held, payers.balances + providers.balances);
  agreement.same("accounting", "model identity holds", sim.model.accountingHolds(), true);
  payments.tally.payerBalances = payers.balances;
}

async function withdrawProviderBalances(sim: Simulation, cast: Cast, payments: Payments): Promise<void> {
  for (const organization of cast.organizations) {
    const expected = sim.model.providerBalance(organization.id);
    if (expected === 0n) continue;
    const { amount } = await organization.claims.withdraw(organization.wallet.address);
    sim.agreement.same(`withdrawal by ${organization.label}`, "amount", amount, sim.model.withdraw(organization.id));
    payments.tally.withdrawn += amount;
    payments.tally.withdrawals++;
  }
}

/** A claim's final state and payment, and each of its appeals' status and payment. */
async function reconcileClaim(sim: Simulation, cast: Cast, record: ClaimRecord): Promise<void> {
  const { root, model, agreement } = sim;
  const where = `claim ${record.index + 1} at the end`;
  const summary = await root.claim(record.claimId);
  const expected = model.claim(record.claimId);
  agreement.same(where, "status", ClaimStatus[summary.status], expected.status);
  agreement.same(where, "plan pays", summary.planPays, expected.planPays);
  agreement.same(where, "patient owes", summary.patientOwes, expected.patientOwes);
  agreement.same(where, "adjudicated at", summary.adjudicatedAt, expected.adjudicatedAt);
  const deniedLines = expected.lines.flatMap((line, i) => (line.denied ? [i] : [])).join(",");
  agreement.same(where, "denied lines", summary.deniedLines.join(","), deniedLines);
  const queue = model.queue(cast.payers[sim.population.plans[record.plan]!.payer]!.id);
  const original = record.lines.reduce((sum, line) => sum + (line.reAdjudicated ? 0n : line.planPays), 0n);
  /** None when nothing was to be paid, else Queued while the model still queues it, else Credited. */
  const paymentOf = (amount: bigint, line: number | undefined) =>
    amount === 0n
      ? PaymentStatus.None
      : queue.some((entry) => entry.claim === record.claimId && entry.line === line)
        ? PaymentStatus.Queued
        : PaymentStatus.Credited;
  // The claim's payment is its total at adjudication; an overturned line is paid on its own (its appeal's payment).
  agreement.same(where, "payment", PaymentStatus[summary.payment], PaymentStatus[paymentOf(original, undefined)]);
  for (const line of record.appealed) {
    const appeal = await root.appeal(record.claimId, line);
    const status = model.appealStatus(record.claimId, line);
    agreement.same(`${where} appeal of line ${line + 1}`, "status", AppealStatus[appeal.status], status);
    const amount = status === "Overturned" ? record.lines[line]!.planPays : 0n;
    const payment = PaymentStatus[paymentOf(amount, line)];
    agreement.same(`${where} appeal of line ${line + 1}`, "payment", PaymentStatus[appeal.payment], payment);
  }
}

/** Every patient's enrollments and their deductible and out-of-pocket accumulators. */
async function reconcileEnrollments(sim: Simulation, coverage: Coverage): Promise<void> {
  const { agreement, model } = sim;
  for (const patient of sim.population.patients) {
    const planId = coverage.planIds[patient.plan]!;
    const enrollments = await sim.root.enrollments(planId, coverage.members[patient.index]!);
    agreement.same(patient.label, "number of enrollments", enrollments.length, patient.enrollments.length);
    for (const enrollment of enrollments) {
      const where = `${patient.label} enrollment ${enrollment.seq}`;
      const expected = model.accumulators(planId, patientNumber(patient.index), enrollment.seq);
      agreement.same(where, "deductible met", enrollment.deductibleMet, expected.deductibleMet);
      agreement.same(where, "out-of-pocket met", enrollment.oopMet, expected.oopMet);
    }
  }
}

async function reconcilePriorAuths(sim: Simulation, coverage: Coverage): Promise<void> {
  for (const authId of coverage.authIds) {
    const where = `prior authorization ${authId.toString()}`;
    const auth = await sim.root.priorAuth(authId);
    const status = auth.status === PriorAuthStatus.Requested ? "Pending" : PriorAuthStatus[auth.status];
    sim.agreement.same(where, "status", status, sim.model.priorAuthStatus(authId));
    sim.agreement.same(where, "units left", auth.unitsLeft, sim.model.priorAuthUnitsLeft(authId));
  }
}

/** Each payer's account, token balance and queue; returns the totals the accounting needs. */
async function reconcilePayers(
  sim: Simulation,
  cast: Cast,
  payments: Payments,
): Promise<{ funded: bigint; balances: bigint; withdrawn: bigint }> {
  const { root, model, agreement, token } = sim;
  const totals = { funded: 0n, balances: 0n, withdrawn: 0n };
  for (const [index, payer] of cast.payers.entries()) {
    const where = payer.label;
    const account = await root.payerAccount(payer.id);
    agreement.same(where, "balance", account.balance, model.payerBalance(payer.id));
    agreement.same(where, "funded", account.funded, model.funded(payer.id));
    agreement.same(where, "withdrawn", account.withdrawn, model.payerWithdrawn(payer.id));
    // Payers withdraw to their own key: it holds what was minted, less what it funded, plus what it took back.
    const held = await token.balanceOf(payer.wallet.address);
    agreement.same(where, "token balance", held, payments.minted[index]! - account.funded + account.withdrawn);
    totals.funded += account.funded;
    totals.balances += account.balance;
    totals.withdrawn += account.withdrawn;
    const queue = await root.payerQueue(payer.id);
    const expected = model.queue(payer.id);
    agreement.same(where, "queue length", queue.length, expected.length);
    queue.forEach((entry, i) => {
      const modelEntry = expected[i];
      if (modelEntry === undefined) return;
      agreement.same(`${where} queue entry ${i}`, "claim", entry.claimId, modelEntry.claim);
      agreement.same(`${where} queue entry ${i}`, "line", entry.line, modelEntry.line ?? CLAIM_PAYMENT);
      agreement.same(`${where} queue entry ${i}`, "amount", entry.amount, modelEntry.amount);
      payments.tally.stillQueued.count++;
      payments.tally.stillQueued.amount += entry.amount;
    });
  }
  return totals;
}

/** Each provider organization's account and token balance; returns the totals the accounting needs. */
async function reconcileProviders(sim: Simulation, cast: Cast): Promise<{ balances: bigint; withdrawn: bigint }> {
  const totals = { balances: 0n, withdrawn: 0n };
  for (const organization of cast.organizations) {
    const account = await sim.root.providerAccount(organization.id);
    sim.agreement.same(organization.label, "balance", account.balance, sim.model.providerBalance(organization.id));
    sim.agreement.same(organization.label, "withdrawn", account.withdrawn, sim.model.withdrawn(organization.id));
    const held = await sim.token.balanceOf(organization.wallet.address);
    sim.agreement.same(organization.label, "token balance", held, account.withdrawn);
    totals.balances += account.balance;
    totals.withdrawn += account.withdrawn;
  }
  return totals;
}
