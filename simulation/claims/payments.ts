import type { ContractTransactionReceipt } from "ethers";

import { CLAIM_PAYMENT, formatAmount } from "../../sdk/claims/client";
import type { QueueEntry } from "../../sdk/claims/model";
import { CareLedgerError } from "../../sdk/core/errors";
import { decodeEvent, plainLogs } from "../../sdk/core/transactions";
import type { SimWithdrawal } from "./population";
import type { SimulationReport } from "./report";
import type { Actor, Cast, Simulation } from "./state";

/**
 * Funding and settlement: the payers' test dollars, their funding rounds and the queue settlements that follow, and
 * payers taking back surplus — each compared with the model, payment by payment. Keeps the report's payment figures.
 */
export class Payments {
  readonly tally: SimulationReport["payments"] = {
    fundings: 0,
    funded: 0n,
    settleCalls: 0,
    creditedAtAdjudication: { count: 0, amount: 0n },
    queued: { count: 0, amount: 0n, overturnedLines: 0 },
    paidFromQueue: { count: 0, amount: 0n },
    stillQueued: { count: 0, amount: 0n },
    withdrawn: 0n,
    withdrawals: 0,
    payerWithdrawn: 0n,
    payerWithdrawals: 0,
    payerWithdrawalsRefused: 0,
    payerBalances: 0n,
  };
  /** What each payer (by index) was minted: more than it can owe. */
  readonly minted: bigint[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly cast: Cast,
  ) {}

  /** Mints each payer more than it can owe: funding rounds pay at most 1.3 × what is owed, plus top-ups. */
  async mint(): Promise<void> {
    const { population, token, minter } = this.sim;
    const totalBilled = population.claims.reduce(
      (sum, claim) => sum + claim.lines.reduce((lines, line) => lines + line.billed, 0n),
      0n,
    );
    for (const [index, payer] of this.cast.payers.entries()) {
      const topUps = population.fundings.filter((f) => f.payer === index).reduce((sum, f) => sum + f.topUp, 0n);
      const mint = 2n * totalBilled + topUps + population.payers[index]!.initialFunding;
      await (await token.connect(minter).mint(payer.wallet.address, mint)).wait();
      this.minted.push(mint);
    }
  }

  /** A payer funds `amount`; queued payments it covers are credited, and anyone settles what one funding cannot. */
  async fund(payerIndex: number, amount: bigint): Promise<void> {
    if (amount === 0n) return;
    const { model, maxSettle } = this.sim;
    const payer = this.cast.payers[payerIndex]!;
    const where = `funding ${this.tally.fundings + 1} (${payer.label}, ${this.money(amount)})`;
    const { receipt } = await payer.claims.fund(amount);
    this.tally.fundings++;
    this.tally.funded += amount;
    this.compareSettled(where, receipt, model.fund(payer.id, amount));
    // A funding pays at most MAX_SETTLE_PER_FUNDING queued payments; anyone settles the rest.
    for (;;) {
      const head = model.queue(payer.id)[0];
      if (head === undefined || head.amount > model.payerBalance(payer.id)) break;
      const settled = await payer.claims.settleQueue(payer.id, maxSettle);
      this.tally.settleCalls++;
      this.compareSettled(`settlement after ${where}`, settled.receipt, model.settle(payer.id, maxSettle));
    }
  }

  /**
   * A payer takes back a share of its balance: only with an empty queue (the model's, which the chain must agree
   * with); with a payment waiting, the attempt must be refused by both.
   */
  async takeBack(withdrawal: SimWithdrawal): Promise<void> {
    const { model, agreement, root } = this.sim;
    const payer = this.cast.payers[withdrawal.payer]!;
    const amount = (model.payerBalance(payer.id) * BigInt(withdrawal.shareBps)) / 10_000n;
    if (amount === 0n) return;
    const where = `withdrawal of ${this.money(amount)} by ${payer.label}`;
    const waiting = model.queue(payer.id).length;
    if (waiting === 0) {
      const { receipt } = await payer.claims.withdrawFunds(amount, payer.wallet.address);
      const event = plainLogs(receipt)
        .map((entry) => decodeEvent(root.adjudicator.interface, entry))
        .find((parsed) => parsed?.name === "PayerWithdrew");
      agreement.same(where, "amount withdrawn", event?.args.getValue("amount"), amount);
      agreement.step(where, () => {
        model.withdrawFunds(payer.id, amount);
      });
      this.tally.payerWithdrawals++;
      this.tally.payerWithdrawn += amount;
      return;
    }
    const refusal = agreement.refusal(() => {
      model.withdrawFunds(payer.id, amount);
    });
    try {
      await payer.claims.withdrawFunds(amount, payer.wallet.address);
      agreement.mismatch(
        `${where} with ${waiting} payment(s) queued: the chain accepted it, the model ${refusal ?? "too"}`,
      );
    } catch (error) {
      if (!(error instanceof CareLedgerError)) throw error;
      if (error.errorName !== "ClaimsPayerHasQueue" || refusal !== "PayerHasQueue") {
        agreement.mismatch(
          `${where}: the contract refused it with ${error.message}, the model ${refusal === undefined ? "accepted it" : `with ${refusal}`}`,
        );
      }
      this.tally.payerWithdrawalsRefused++;
    }
  }

  /** What a payer owes beyond its balance, in the model. */
  shortfall(payer: Actor): bigint {
    const { model } = this.sim;
    const owed = model.queue(payer.id).reduce((sum, entry) => sum + entry.amount, 0n);
    const balance = model.payerBalance(payer.id);
    return owed > balance ? owed - balance : 0n;
  }

  /** Compares the queued payments a funding or settlement credited with the model's. */
  private compareSettled(where: string, receipt: ContractTransactionReceipt, expected: QueueEntry[]): void {
    const { agreement, root } = this.sim;
    const credited = plainLogs(receipt)
      .map((entry) => decodeEvent(root.adjudicator.interface, entry))
      .filter((parsed) => parsed?.name === "QueuedPaymentCredited");
    agreement.same(where, "number of queued payments credited", credited.length, expected.length);
    credited.forEach((parsed, i) => {
      const entry = expected[i];
      if (parsed === null || entry === undefined) return;
      const amount = parsed.args.getValue("amount") as bigint;
      agreement.same(where, `credited payment ${i} claim`, parsed.args.getValue("claimId"), entry.claim);
      const line = Number(parsed.args.getValue("line"));
      agreement.same(where, `credited payment ${i} line`, line, entry.line ?? CLAIM_PAYMENT);
      const organization = parsed.args.getValue("organization") as bigint;
      agreement.same(where, `credited payment ${i} organization`, organization, entry.organization);
      agreement.same(where, `credited payment ${i} amount`, amount, entry.amount);
      this.tally.paidFromQueue.count++;
      this.tally.paidFromQueue.amount += amount;
    });
  }

  private money(amount: bigint): string {
    return formatAmount(amount, this.sim.decimals);
  }
}
