import { CARC_DESCRIPTIONS, formatAmount } from "../../sdk/claims/client";
import type { SimulationReport } from "./report";

/** Writes the rows of one section of the summary. */
interface Writer {
  rows: string[];
  n: (value: number) => string;
  plural: (count: number, noun: string) => string;
  usd: (amount: bigint) => string;
  percent: (part: number, whole: number) => string;
  /** Labels and values in two aligned columns. */
  table: (entries: readonly (readonly [string, string])[]) => void;
}

/** The printed summary of a simulation: population, claims, lines, money, payments, appeals, gas, time, agreement. */
export function formatSummary(report: SimulationReport): string[] {
  const { symbol, decimals } = report.token;
  const n = (value: number) => value.toLocaleString("en-US");
  const writer: Writer = {
    rows: [],
    n,
    plural: (count, noun) => `${n(count)} ${noun}${count === 1 ? "" : "s"}`,
    usd: (amount) => `${formatAmount(amount, decimals)} ${symbol}`,
    percent: (part, whole) => (whole === 0 ? "" : ` (${((100 * part) / whole).toFixed(1)} %)`),
    table: (entries) => {
      const width = Math.max(...entries.map(([label]) => label.length));
      for (const [label, value] of entries) writer.rows.push(`  ${label.padEnd(width)}  ${value}`);
    },
  };
  for (const section of [population, claims, lines, money, payments, appeals, gas, time, agreement]) {
    section(report, writer);
  }
  return writer.rows;
}

function population(report: SimulationReport, { rows, n }: Writer): void {
  const { population: p, claims: c } = report;
  rows.push(
    `CareLedger claims simulation: seed ${report.seed}, ${n(c.attempted)} claims on ${report.network}` +
      (report.freshDeployment ? " (fresh in-process deployment)" : " (recorded deployment)"),
  );
  rows.push(
    `population: ${p.payers} payers, ${p.plans} plans, ${p.organizations} organizations, ` +
      `${p.practitioners} practitioners, ${n(p.patients)} patients (${p.earlierPeriods} with an earlier coverage period); ` +
      `${p.priorAuths.requested} prior authorizations: ${p.priorAuths.approved} approved (${p.priorAuths.narrower} ` +
      `narrower), ${p.priorAuths.denied} denied, ${p.priorAuths.pending} left pending`,
  );
}

function claims({ claims: c }: SimulationReport, { rows, n, percent, table }: Writer): void {
  rows.push("claims by status (after appeals):");
  table([
    ["approved", `${n(c.approved)}${percent(c.approved, c.attempted)}`],
    ["partially approved", `${n(c.partiallyApproved)}${percent(c.partiallyApproved, c.attempted)}`],
    ["denied", `${n(c.denied)}${percent(c.denied, c.attempted)}`],
    [
      "rejected as duplicates",
      `${n(c.rejectedDuplicateReference)}${percent(c.rejectedDuplicateReference, c.attempted)} (ClaimsDuplicateReference: a claim number sent again)`,
    ],
  ]);
}

function lines({ lines: l, money: m }: SimulationReport, { rows, n, usd, table }: Writer): void {
  rows.push(`lines by outcome (${n(l.total)} lines; billed amounts):`);
  const denied = [...l.denied.entries()].sort((x, y) => y[1].lines - x[1].lines);
  table([
    ["approved", `${n(l.approved.lines).padStart(6)}  ${usd(l.approved.billed)}`],
    ...denied.map(([key, tally]): [string, string] => [
      `${key} ${CARC_DESCRIPTIONS[tally.carc] ?? "unlisted reason"}`,
      `${n(tally.lines).padStart(6)}  ${usd(tally.billed)}`,
    ]),
    [
      `CO-45 ${CARC_DESCRIPTIONS[45] ?? ""} (approved lines)`,
      `${n(l.writtenOff).padStart(6)}  ${usd(m.contractual)} written off`,
    ],
  ]);
}

function money({ money: m }: SimulationReport, { rows, usd, table }: Writer): void {
  rows.push("money:");
  table([
    ["total billed", usd(m.billed)],
    ["allowed", usd(m.allowed)],
    ["paid by plans", usd(m.paidByPlans)],
    [
      "patient responsibility",
      `${usd(m.patientResponsibility)} (deductible ${usd(m.deductible)}, copay ${usd(m.copay)}, coinsurance ` +
        `${usd(m.coinsurance)}, denied as PR ${usd(m.deniedPatient)})`,
    ],
    ["contractual write-offs", `${usd(m.contractual)} (CO-45 on approved lines)`],
    ["denied, provider liable", `${usd(m.deniedProvider)} (CO and OA denials)`],
  ]);
}

function payments({ payments: pay }: SimulationReport, { rows, plural, usd, table }: Writer): void {
  rows.push("payments:");
  table([
    [
      "funded by payers",
      `${usd(pay.funded)} in ${plural(pay.fundings, "funding")} (+ ${plural(pay.settleCalls, "settleQueue call")})`,
    ],
    [
      "credited at once",
      `${plural(pay.creditedAtAdjudication.count, "payment")}, ${usd(pay.creditedAtAdjudication.amount)}`,
    ],
    [
      "queued",
      `${plural(pay.queued.count, "payment")} (${pay.queued.overturnedLines} of them for overturned lines), ` +
        usd(pay.queued.amount),
    ],
    ["paid from the queue", `${plural(pay.paidFromQueue.count, "payment")}, ${usd(pay.paidFromQueue.amount)}`],
    ["still queued", `${plural(pay.stillQueued.count, "payment")}, ${usd(pay.stillQueued.amount)}`],
    ["withdrawn by providers", `${usd(pay.withdrawn)} by ${plural(pay.withdrawals, "organization")}`],
    [
      "taken back by payers",
      `${usd(pay.payerWithdrawn)} in ${plural(pay.payerWithdrawals, "withdrawal")} of surplus ` +
        `(${pay.payerWithdrawalsRefused} refused: a payment was waiting in the queue)`,
    ],
    ["payers' balances left", usd(pay.payerBalances)],
  ]);
}

function appeals({ appeals: a }: SimulationReport, { rows, plural, usd }: Writer): void {
  rows.push(
    `appeals: ${a.filed} filed, ${a.upheld} upheld, ${a.overturned} overturned (${plural(a.reApproved, "line")} approved on ` +
      `re-adjudication, plans paying ${usd(a.overturnedPays)} more)`,
  );
}

function gas({ gas: g }: SimulationReport, { rows, n }: Writer): void {
  const mean = (total: bigint, count: number) => (count === 0 ? 0n : total / BigInt(count));
  rows.push(
    `gas per claim: mean ${n(Number(mean(g.total, g.claims)))} (min ${n(Number(g.min))}, max ${n(Number(g.max))}); ` +
      `by lines: ` +
      [...g.byLines.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([count, entry]) => `${count}: ${n(Number(mean(entry.total, entry.claims)))} (${n(entry.claims)})`)
        .join(", "),
  );
}

function time({ timing: t, claims: c }: SimulationReport, { rows }: Writer): void {
  rows.push(
    `time: ${t.totalSeconds.toFixed(1)} s wall (setup ${t.setupSeconds.toFixed(1)} s, claims ` +
      `${t.claimsSeconds.toFixed(1)} s = ${(c.attempted / t.claimsSeconds).toFixed(1)} claims/s, final checks ` +
      `${t.checksSeconds.toFixed(1)} s)`,
  );
}

function agreement({ agreement: a }: SimulationReport, { rows, n }: Writer): void {
  if (a.mismatches.length === 0) {
    rows.push(
      `model agreement: ${n(a.claims)} claims, ${n(a.lines)} lines, all figures equal (${n(a.figures)} compared)`,
    );
    return;
  }
  rows.push(`model agreement: ${n(a.mismatches.length)} MISMATCHES in ${n(a.figures)} figures:`);
  for (const mismatch of a.mismatches.slice(0, 50)) rows.push(`  ${mismatch}`);
  if (a.mismatches.length > 50) rows.push(`  … and ${n(a.mismatches.length - 50)} more`);
}
