import {
  claimIdOf,
  claimReference,
  ClaimStatus,
  type EobLine,
  GROUP_CODES,
  PaymentStatus,
  type ClaimsClient,
  type Remittance,
} from "../../sdk/claims/client";
import type { ClaimResult, ClaimsModel, LineResult } from "../../sdk/claims/model";
import { CareLedgerError } from "../../sdk/core/errors";
import type { Agreement } from "./agreement";
import type { Payments } from "./payments";
import type { SimClaim } from "./population";
import { actorOf, blockTime, type Cast, type ClaimBook, type Coverage, patientNumber, type Simulation } from "./state";

/**
 * Submits the population's claim `index` through its provider and compares the contract's remittance with the model's
 * adjudication, line by line; a refusal (a resubmitted claim number) must be the model's too. Keeps the claim, its
 * gas and its payment in the book.
 */
export async function submitClaim(
  sim: Simulation,
  cast: Cast,
  coverage: Coverage,
  payments: Payments,
  book: ClaimBook,
  index: number,
): Promise<void> {
  const { population, model, agreement } = sim;
  const claim = population.claims[index]!;
  const organization = cast.organizations[claim.organization]!;
  const submitter = actorOf(cast, claim.submitter);
  const planIndex = population.patients[claim.patient]!.plan;
  const plan = coverage.planIds[planIndex]!;
  const reference = claimReference(population.organizations[claim.organization]!.referenceKey, claim.claimNumber);
  const claimId = claimIdOf(organization.id, reference);
  const where = `claim ${index + 1} (${claim.kind}, ${claim.claimNumber})`;
  const input: Parameters<ClaimsModel["submitClaim"]>[0] = {
    id: claimId,
    organization: organization.id,
    reference,
    patient: patientNumber(claim.patient),
    plan,
    lines: claim.lines,
  };
  book.claims.attempted++;
  let sent: Awaited<ReturnType<ClaimsClient["submitClaim"]>>;
  try {
    const member = coverage.members[claim.patient]!;
    sent = await submitter.claims.submitClaim({ member, plan, reference, lines: claim.lines, attachments: [] });
  } catch (error) {
    if (!(error instanceof CareLedgerError)) throw error;
    if (error.errorName === "ClaimsDuplicateReference") book.claims.rejectedDuplicateReference++;
    // The model must refuse it too (its state is unchanged when it does). The time is not needed for that.
    compareRefusal(
      agreement,
      where,
      error,
      agreement.refusal(() => model.submitClaim(input, sim.anchor)),
    );
    book.records.push(undefined);
    return;
  }
  const { receipt, remittance } = sent;
  const now = await blockTime(receipt);
  agreement.same(where, "claim id", remittance.claimId, claimId);
  const expected = agreement.step(where, () => model.submitClaim(input, now));
  if (expected !== undefined) compareRemittance(agreement, where, remittance, expected);
  book.modelLines += remittance.lines.length;
  book.claims.submitted++;
  countPayment(payments, remittance);
  countGas(book, claim, receipt.gasUsed);
  book.records.push({
    claimId,
    index,
    blockNumber: receipt.blockNumber,
    submitter,
    organization: organization.id,
    plan: planIndex,
    lines: remittance.lines,
    appealed: new Set(),
  });
}

/** A claim the contract refused as a duplicate reference must be one the model refuses for the same reason. */
function compareRefusal(
  agreement: Agreement,
  where: string,
  error: CareLedgerError,
  refusal: string | undefined,
): void {
  const agrees =
    error.errorName === "ClaimsDuplicateReference"
      ? refusal === "ClaimExists" || refusal === "DuplicateReference"
      : refusal !== undefined;
  if (!agrees) {
    agreement.mismatch(
      `${where}: the contract refused it with ${error.message} but the model ` +
        (refusal === undefined ? "accepted it" : `refused it with ${refusal}`),
    );
  }
}

function countPayment(payments: Payments, remittance: Remittance): void {
  if (remittance.planPays === 0n) return;
  const tally = payments.tally;
  if (remittance.payment === PaymentStatus.Credited) {
    tally.creditedAtAdjudication.count++;
    tally.creditedAtAdjudication.amount += remittance.planPays;
  } else {
    tally.queued.count++;
    tally.queued.amount += remittance.planPays;
  }
}

function countGas(book: ClaimBook, claim: SimClaim, gasUsed: bigint): void {
  const { gas } = book;
  const lineCount = claim.lines.length;
  const perLines = gas.byLines.get(lineCount) ?? { claims: 0, total: 0n };
  perLines.claims++;
  perLines.total += gasUsed;
  gas.byLines.set(lineCount, perLines);
  gas.claims++;
  gas.total += gasUsed;
  gas.min = gas.min === 0n || gasUsed < gas.min ? gasUsed : gas.min;
  gas.max = gasUsed > gas.max ? gasUsed : gas.max;
}

/** Compares a claim's remittance (status, totals, payment and every line) with the model's adjudication. */
function compareRemittance(agreement: Agreement, where: string, remittance: Remittance, expected: ClaimResult): void {
  agreement.same(where, "status", ClaimStatus[remittance.status], expected.status);
  agreement.same(where, "plan pays", remittance.planPays, expected.planPays);
  agreement.same(where, "patient owes", remittance.patientOwes, expected.patientOwes);
  const payment =
    expected.planPays === 0n
      ? PaymentStatus.None
      : expected.paidAtAdjudication
        ? PaymentStatus.Credited
        : PaymentStatus.Queued;
  agreement.same(where, "payment", PaymentStatus[remittance.payment], PaymentStatus[payment]);
  agreement.same(where, "number of lines", remittance.lines.length, expected.lines.length);
  remittance.lines.forEach((line, i) => {
    const result = expected.lines[i];
    if (result !== undefined) compareLine(agreement, `${where} line ${i + 1} (${line.code})`, line, result);
  });
}

/** Compares one line of an explanation of benefits with the model's. */
export function compareLine(agreement: Agreement, where: string, line: EobLine, expected: LineResult): void {
  const same = agreement.same.bind(agreement);
  same(where, "denied", line.denied, expected.denied);
  same(where, "CARC", line.carc, expected.carc);
  same(where, "group", GROUP_CODES[line.group], expected.group);
  same(where, "allowed", line.allowed, expected.allowed);
  same(where, "contractual", line.contractual, expected.contractual);
  same(where, "deductible", line.deductible, expected.ded);
  same(where, "copay", line.copay, expected.copay);
  same(where, "coinsurance", line.coinsurance, expected.coins);
  same(where, "plan pays", line.planPays, expected.planPays);
  same(where, "patient owes", line.patientOwes, expected.patientOwes);
  same(where, "prior authorization", line.priorAuth, expected.priorAuth);
}
