import { AdjustmentGroup, GROUP_CODES } from "../../sdk/claims/client";
import type { ClaimRecord } from "./state";

/** Counts and sums of one kind of line outcome. */
export interface OutcomeTally {
  lines: number;
  billed: bigint;
}

export interface SimulationReport {
  network: string;
  /** Whether the system was deployed for this run (the in-process network). */
  freshDeployment: boolean;
  /** The adjudicator and the first block of this run: its events are the run's remittances. */
  adjudicator: string;
  fromBlock: number;
  seed: number;
  token: { symbol: string; decimals: number };
  population: {
    payers: number;
    plans: number;
    organizations: number;
    practitioners: number;
    patients: number;
    earlierPeriods: number;
    priorAuths: { requested: number; approved: number; narrower: number; denied: number; pending: number };
  };
  claims: {
    attempted: number;
    submitted: number;
    /** Final statuses, after appeals. */
    approved: number;
    partiallyApproved: number;
    denied: number;
    rejectedDuplicateReference: number;
  };
  lines: {
    total: number;
    approved: OutcomeTally;
    /** Denied lines by "GROUP-CARC" ("CO-29"). */
    denied: Map<string, OutcomeTally & { carc: number }>;
    /** Approved lines billed above the allowed amount (CARC 45). */
    writtenOff: number;
  };
  money: {
    billed: bigint;
    allowed: bigint;
    paidByPlans: bigint;
    deductible: bigint;
    copay: bigint;
    coinsurance: bigint;
    /** Billed amounts of lines denied as patient responsibility (PR). */
    deniedPatient: bigint;
    patientResponsibility: bigint;
    contractual: bigint;
    /** Billed amounts of lines denied with no patient liability (CO, OA). */
    deniedProvider: bigint;
  };
  payments: {
    fundings: number;
    funded: bigint;
    settleCalls: number;
    creditedAtAdjudication: { count: number; amount: bigint };
    queued: { count: number; amount: bigint; overturnedLines: number };
    paidFromQueue: { count: number; amount: bigint };
    stillQueued: { count: number; amount: bigint };
    withdrawn: bigint;
    withdrawals: number;
    /** Surplus payers took back while their queue was empty. */
    payerWithdrawn: bigint;
    payerWithdrawals: number;
    /** Payer withdrawals attempted with a payment waiting in the queue, refused by contract and model alike. */
    payerWithdrawalsRefused: number;
    payerBalances: bigint;
  };
  appeals: { filed: number; upheld: number; overturned: number; reApproved: number; overturnedPays: bigint };
  gas: {
    claims: number;
    total: bigint;
    min: bigint;
    max: bigint;
    byLines: Map<number, { claims: number; total: bigint }>;
  };
  timing: { setupSeconds: number; claimsSeconds: number; checksSeconds: number; totalSeconds: number };
  agreement: { claims: number; lines: number; figures: number; mismatches: string[] };
}

/** The report's line, money and status figures, from the chain's outcomes of the accepted claims. */
export function tallyOutcomes(records: readonly (ClaimRecord | undefined)[]): {
  lines: SimulationReport["lines"];
  money: SimulationReport["money"];
  statuses: Pick<SimulationReport["claims"], "approved" | "partiallyApproved" | "denied">;
} {
  const lines: SimulationReport["lines"] = {
    total: 0,
    approved: { lines: 0, billed: 0n },
    denied: new Map(),
    writtenOff: 0,
  };
  const money: SimulationReport["money"] = {
    billed: 0n,
    allowed: 0n,
    paidByPlans: 0n,
    deductible: 0n,
    copay: 0n,
    coinsurance: 0n,
    deniedPatient: 0n,
    patientResponsibility: 0n,
    contractual: 0n,
    deniedProvider: 0n,
  };
  const statuses = { approved: 0, partiallyApproved: 0, denied: 0 };
  for (const record of records) {
    if (record === undefined) continue;
    const denied = record.lines.filter((line) => line.denied).length;
    if (denied === 0) statuses.approved++;
    else if (denied === record.lines.length) statuses.denied++;
    else statuses.partiallyApproved++;
    for (const line of record.lines) tallyLine(line, lines, money);
  }
  return { lines, money, statuses };
}

function tallyLine(
  line: ClaimRecord["lines"][number],
  lines: SimulationReport["lines"],
  money: SimulationReport["money"],
): void {
  lines.total++;
  money.billed += line.billed;
  money.paidByPlans += line.planPays;
  money.patientResponsibility += line.patientOwes;
  if (line.denied) {
    const key = `${GROUP_CODES[line.group]}-${line.carc}`;
    const tally = lines.denied.get(key) ?? { lines: 0, billed: 0n, carc: line.carc };
    tally.lines++;
    tally.billed += line.billed;
    lines.denied.set(key, tally);
    if (line.group === AdjustmentGroup.PatientResponsibility) money.deniedPatient += line.billed;
    else money.deniedProvider += line.billed;
    return;
  }
  lines.approved.lines++;
  lines.approved.billed += line.billed;
  money.allowed += line.allowed;
  money.contractual += line.contractual;
  money.deductible += line.deductible;
  money.copay += line.copay;
  money.coinsurance += line.coinsurance;
  if (line.contractual > 0n) lines.writtenOff++;
}
