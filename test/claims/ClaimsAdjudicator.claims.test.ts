import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AbiCoder,
  type ContractTransactionReceipt,
  hexlify,
  keccak256,
  randomBytes,
  type Signer,
  ZeroHash,
} from "ethers";

import {
  AdjustmentGroup,
  claimIdOf,
  claimReference,
  type ClaimLineInput,
  attachmentCommitment,
  ClaimStatus,
  decodeLineResult,
  type EobLine,
  packLine,
  PaymentStatus,
  procedureCode,
  CLAIM_PAYMENT as CLAIM_PAYMENT_INDEX,
  SECONDS_PER_DAY as DAY,
} from "../../sdk";
import {
  type ClaimsFixture,
  claimsFixture,
  memberOf,
  namedSigner,
  reinstate,
  STANDARD_TERMS,
  STATUS_REASON,
  suspend,
  USD,
} from "../fixtures/claims";

// Unit tests of ClaimsAdjudicator.submitClaim: what a claim's adjudication emits, returns and stores, each check of
// the rules (claims-adjudication.md) and its precedence, the pricing edge cases, prior-authorization consumption,
// duplicate services, the medically unlikely edit, attachments and every revert. Every expected figure is worked out by hand from the
// rules in the comment beside it: the fixture's plan allows 99213 at $120 (copay $30), 80053 at $45, 70553 at
// $1,800 (needs authorization), 97110 at $40 (copay $20), with a $500 deductible, 20 % coinsurance and a $3,000
// out-of-pocket maximum.

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const OFFICE = "99213";
const LAB = "80053";
const MRI = "70553";
const THERAPY = "97110";
/** A code the fixture's plan does not list. */
const UNLISTED = "15780";
/** The queue's line index of a claim's adjudication payment, as the contract's views return it. */
const CLAIM_PAYMENT = BigInt(CLAIM_PAYMENT_INDEX);
const MAX_LINES = 16n;
const MAX_UNITS_PER_LINE = 99_999n;

const REFERENCE_KEY = keccak256(Buffer.from("claims test reference key"));
let claimNumber = 0;
/** A fresh salted claim reference. */
function newReference(): string {
  claimNumber += 1;
  return claimReference(REFERENCE_KEY, `CLM-${claimNumber}`);
}

const usd = (amount: bigint) => amount * USD;

function lineOf(code: string, units: bigint, billed: bigint, serviceDate: bigint): ClaimLineInput {
  return { code, units, billed, serviceDate };
}

/** What a test says about a claim to submit; defaults: the fixture's member and plan, a fresh reference. */
interface Submission {
  lines: readonly ClaimLineInput[];
  member?: string;
  plan?: bigint;
  reference?: string;
  attachments?: readonly string[];
}

function argsOf(f: ClaimsFixture, s: Submission, reference: string): [string, bigint, string, bigint[], string[]] {
  return [s.member ?? f.member, s.plan ?? f.planId, reference, s.lines.map(packLine), [...(s.attachments ?? [])]];
}

interface Submitted {
  claimId: string;
  reference: string;
  receipt: ContractTransactionReceipt;
  /** The block time of the adjudication. */
  at: bigint;
}

/** Submits a claim as `signer` at the next second; returns its id (from the event) and the block time. */
async function submit(f: ClaimsFixture, signer: Signer, s: Submission): Promise<Submitted> {
  const reference = s.reference ?? newReference();
  const tx = await f.claims.connect(signer).submitClaim(...argsOf(f, s, reference));
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("not mined");
  const block = await receipt.getBlock();
  let claimId: string | undefined;
  for (const log of receipt.logs) {
    const parsed = f.claims.interface.parseLog(log);
    if (parsed?.name === "ClaimAdjudicated") claimId = parsed.args.getValue("claimId") as string;
  }
  if (claimId === undefined) throw new Error("no ClaimAdjudicated");
  return { claimId, reference, receipt, at: BigInt(block.timestamp) };
}

/** Pins the next block's time to `seconds` after the latest block and returns it. */
async function pinNext(seconds = 1n): Promise<bigint> {
  const next = BigInt(await time.latest()) + seconds;
  await time.setNextBlockTimestamp(next);
  return next;
}

type LineView = Omit<EobLine, "reAdjudicated" | "adjustments">;

/** The `LineAdjudicated` events of a receipt, decoded with the SDK's `decodeLineResult`. */
function linesOf(f: ClaimsFixture, receipt: ContractTransactionReceipt, claimId: string): LineView[] {
  const lines: LineView[] = [];
  for (const log of receipt.logs) {
    const parsed = f.claims.interface.parseLog(log);
    if (parsed?.name !== "LineAdjudicated") continue;
    expect(parsed.args.getValue("claimId")).to.equal(claimId);
    const decoded = decodeLineResult(
      parsed.args.getValue("content") as bigint,
      parsed.args.getValue("decision") as bigint,
      parsed.args.getValue("shares") as bigint,
    );
    const { adjustments, ...view } = decoded;
    expect(adjustments).to.be.an("array");
    lines.push(view);
  }
  return lines;
}

/** The names of a receipt's events, in order. */
function eventNames(f: ClaimsFixture, receipt: ContractTransactionReceipt): (string | undefined)[] {
  return receipt.logs.map((log) => f.claims.interface.parseLog(log)?.name);
}

/** An approved line as the rules price it: `owed = ded + copay + coins`, `planPays = allowed − owed`. */
function approved(
  index: number,
  line: ClaimLineInput,
  shares: { allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint; priorAuth?: bigint },
): LineView {
  const owed = shares.deductible + shares.copay + shares.coinsurance;
  return {
    ...line,
    index,
    denied: false,
    carc: 0,
    group: AdjustmentGroup.None,
    allowed: shares.allowed,
    contractual: line.billed - shares.allowed,
    deductible: shares.deductible,
    copay: shares.copay,
    coinsurance: shares.coinsurance,
    planPays: shares.allowed - owed,
    patientOwes: owed,
    priorAuth: shares.priorAuth ?? 0n,
  };
}

/** A denied line: nothing allowed, the patient owes the billed amount for group PR and nothing otherwise. */
function denied(index: number, line: ClaimLineInput, carc: number, group: AdjustmentGroup): LineView {
  return {
    ...line,
    index,
    denied: true,
    carc,
    group,
    allowed: 0n,
    contractual: 0n,
    deductible: 0n,
    copay: 0n,
    coinsurance: 0n,
    planPays: 0n,
    patientOwes: group === AdjustmentGroup.PatientResponsibility ? line.billed : 0n,
    priorAuth: 0n,
  };
}

const PR = AdjustmentGroup.PatientResponsibility;
const CO = AdjustmentGroup.ContractualObligation;
const OA = AdjustmentGroup.OtherAdjustment;

/** `claim(id)` as a plain object. */
async function summaryOf(f: ClaimsFixture, claimId: string) {
  const c = await f.claims.claim(claimId);
  return {
    status: Number(c.status),
    payment: Number(c.payment),
    adjudicatedAt: c.adjudicatedAt,
    deniedLines: Number(c.deniedLines),
    prDenials: Number(c.patientResponsibilityDenials),
    planPays: c.planPays,
    patientOwes: c.patientOwes,
    contentHash: c.contentHash,
  };
}

interface Content {
  member: string;
  plan: bigint;
  organization: bigint;
  submitter: bigint;
  lines: bigint[];
  attachments: string[];
}

/** The content hash, computed here: keccak256(abi.encode(claimId, member, plan, org, submitter, lines, attachments)). */
function contentHash(claimId: string, c: Content): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32", "uint64", "uint64", "uint64", "uint256[]", "bytes32[]"],
      [claimId, c.member, c.plan, c.organization, c.submitter, c.lines, c.attachments],
    ),
  );
}

/** The enrollment's accumulators. */
async function accumulators(f: ClaimsFixture, seq = 0, plan: bigint = f.planId, member: string = f.member) {
  const e = await f.claims.enrollment(plan, member, seq);
  return { deductibleMet: e.deductibleMet, oopMet: e.oopMet };
}

/** Everything a failed submission could have touched. */
async function snapshot(f: ClaimsFixture) {
  const address = await f.claims.getAddress();
  return {
    enrollment: await accumulators(f),
    payer: [...(await f.claims.payerAccount(f.payerId))],
    hospital: [...(await f.claims.providerAccount(f.hospitalId))],
    clinic: [...(await f.claims.providerAccount(f.clinicId))],
    tokens: await f.token.balanceOf(address),
    authCount: await f.priorAuths.priorAuthCount(),
  };
}

/** Asserts that a reverted submission left nothing behind: same state, no claim under its id, no service marked. */
async function expectNothingChanged(
  f: ClaimsFixture,
  before: Awaited<ReturnType<typeof snapshot>>,
  claimId: string,
  lines: readonly ClaimLineInput[] = [],
  organization: bigint = f.hospitalId,
) {
  expect(await snapshot(f)).to.deep.equal(before);
  await expect(f.claims.claim(claimId)).to.be.revertedWithCustomError(f.claims, "ClaimsUnknownClaim").withArgs(claimId);
  for (const l of lines) {
    expect(await f.claims.serviceBilled(f.member, organization, procedureCode(l.code), l.serviceDate)).to.equal(false);
  }
}

/** The payer creates, loads and activates a plan, then enrolls the patient over the fixture's coverage period. */
async function createPlan(
  f: ClaimsFixture,
  terms: {
    deductible: bigint;
    oopMax: bigint;
    coinsuranceBps: number;
    timelyFilingDays: number;
    appealWindowDays: number;
  },
  fees: readonly {
    code: string;
    allowedPerUnit: bigint;
    copay: bigint;
    requiresPriorAuth: boolean;
    maxUnits?: number;
  }[],
): Promise<bigint> {
  const asPayer = f.claims.connect(f.payerKey);
  const planId = await asPayer.createPlan.staticCall(terms);
  await (await asPayer.createPlan(terms)).wait();
  await (
    await asPayer.setFees(
      planId,
      fees.map((fee) => ({ ...fee, code: procedureCode(fee.code), maxUnits: fee.maxUnits ?? 0 })),
    )
  ).wait();
  await (await asPayer.setNetwork(planId, [f.hospitalId], true)).wait();
  await (await asPayer.activatePlan(planId)).wait();
  // The same pseudonym in the new plan, so that claims default to it (a payer would issue one per plan).
  await (await asPayer.enroll(planId, f.member, f.coverageStart, f.coverageEnd)).wait();
  return planId;
}

/** The hospital requests an authorization of `units` of `code` for the window; the payer approves it as asked. */
async function authorize(f: ClaimsFixture, code: string, units: bigint, validFrom: bigint, validTo: bigint) {
  const asHospital = f.priorAuths.connect(f.hospitalKey);
  const args = [f.member, f.planId, procedureCode(code), units, validFrom, validTo] as const;
  const authId = await asHospital.requestPriorAuth.staticCall(...args);
  await (await asHospital.requestPriorAuth(...args)).wait();
  return authId;
}

async function approve(f: ClaimsFixture, authId: bigint, units: bigint, validFrom: bigint, validTo: bigint) {
  await (await f.priorAuths.connect(f.payerKey).approvePriorAuth(authId, units, validFrom, validTo)).wait();
}

async function unitsLeft(f: ClaimsFixture, authId: bigint): Promise<bigint> {
  return (await f.priorAuths.priorAuth(authId)).unitsLeft;
}

/** Midnight UTC of the day holding `t`. */
const midnight = (t: bigint) => t - (t % DAY);

/**
 * Enrolls the other patient's member in the fixture's plan for two periods (periods go in chronological order): seq 0
 * from 100 days ago to 10 days before the fixture's coverage starts, seq 1 over the fixture's coverage.
 */
async function twoPeriodMember(f: ClaimsFixture): Promise<{ member: string; start: bigint; end: bigint }> {
  const member = memberOf(f.planId, f.otherPatientId);
  const now = BigInt(await time.latest());
  const start = now - 100n * DAY;
  const end = f.coverageStart - 10n * DAY;
  const asPayer = f.claims.connect(f.payerKey);
  await (await asPayer.enroll(f.planId, member, start, end)).wait();
  await (await asPayer.enroll(f.planId, member, f.coverageStart, f.coverageEnd)).wait();
  return { member, start, end };
}

/** An attachment commitment to a random record of the fixture's patient, salted at random. */
const randomAttachment = (f: ClaimsFixture) =>
  attachmentCommitment(hexlify(randomBytes(32)), f.patientId, hexlify(randomBytes(32)));

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ClaimsAdjudicator", function () {
  describe("submitClaim", function () {
    it("adjudicates an organization's claim: events, return values, summary, accumulators and payment", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      const now = BigInt(await time.latest());
      const lines = [lineOf(OFFICE, 5n, usd(1_000n), now - 2n * DAY), lineOf(THERAPY, 3n, usd(150n), now - DAY)];
      const reference = newReference();
      const claimId = claimIdOf(f.hospitalId, reference);
      const args = argsOf(f, { lines }, reference);

      // Line 0: allowed = min(1000, 120 × 5) = 600; ded = min(600, 500) = 500; copay = min(30, 100) = 30;
      // coins = floor(70 × 20 %) = 14; owed 544; plan pays 56.
      // Line 1: allowed = min(150, 40 × 3) = 120; ded 0 (met); copay 20; coins = floor(100 × 20 %) = 20; owed 40;
      // plan pays 80. Claim: plan pays 136, patient owes 584.
      const returned = await f.claims.connect(f.hospitalKey).submitClaim.staticCall(...args);
      expect([...returned]).to.deep.equal([claimId, BigInt(ClaimStatus.Approved), usd(136n), usd(584n)]);

      const at = await pinNext();
      const tx = f.claims.connect(f.hospitalKey).submitClaim(...args);
      await expect(tx)
        .to.emit(f.claims, "ClaimAdjudicated")
        .withArgs(
          claimId,
          f.member,
          f.planId,
          f.hospitalId,
          f.hospitalId,
          ClaimStatus.Approved,
          PaymentStatus.Credited,
        );
      const receipt = await (await tx).wait();
      if (receipt === null) throw new Error("not mined");
      expect(linesOf(f, receipt, claimId)).to.deep.equal([
        approved(0, lines[0]!, { allowed: usd(600n), deductible: usd(500n), copay: usd(30n), coinsurance: usd(14n) }),
        approved(1, lines[1]!, { allowed: usd(120n), deductible: 0n, copay: usd(20n), coinsurance: usd(20n) }),
      ]);
      // The lines come first, then the claim; no attachments, so no ClaimAttachments.
      expect(eventNames(f, receipt)).to.deep.equal(["LineAdjudicated", "LineAdjudicated", "ClaimAdjudicated"]);

      const content: Content = {
        member: f.member,
        plan: f.planId,
        organization: f.hospitalId,
        submitter: f.hospitalId,
        lines: lines.map(packLine),
        attachments: [],
      };
      expect(await f.claims.contentHashOf(claimId, content)).to.equal(contentHash(claimId, content));
      expect(await summaryOf(f, claimId)).to.deep.equal({
        status: ClaimStatus.Approved,
        payment: PaymentStatus.Credited,
        adjudicatedAt: at,
        deniedLines: 0,
        prDenials: 0,
        planPays: usd(136n),
        patientOwes: usd(584n),
        contentHash: contentHash(claimId, content),
      });
      expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(584n) });
      expect([...(await f.claims.providerAccount(f.hospitalId))]).to.deep.equal([usd(136n), 0n]);
      expect([...(await f.claims.payerAccount(f.payerId))]).to.deep.equal([
        usd(1_000n - 136n),
        usd(1_000n),
        0n,
        0n,
        0n,
      ]);
      for (const l of lines) {
        expect(await f.claims.serviceBilled(f.member, f.hospitalId, procedureCode(l.code), l.serviceDate)).to.equal(
          true,
        );
      }
    });

    it("bills a practitioner's claim to her organization (the affiliation) and queues it when the payer is unfunded", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = [lineOf(OFFICE, 5n, usd(600n), now - DAY)];
      const reference = newReference();
      const claimId = claimIdOf(f.hospitalId, reference);
      expect(await f.claims.claimIdOf(f.hospitalId, reference)).to.equal(claimId);
      const args = argsOf(f, { lines }, reference);

      // allowed 600 (billed = 120 × 5); ded 500; copay 30; coins floor(70 × 20 %) = 14; owed 544; plan pays 56.
      const returned = await f.claims.connect(f.cardiologistKey).submitClaim.staticCall(...args);
      expect([...returned]).to.deep.equal([claimId, BigInt(ClaimStatus.Approved), usd(56n), usd(544n)]);
      const at = await pinNext();
      const tx = f.claims.connect(f.cardiologistKey).submitClaim(...args);
      await expect(tx)
        .to.emit(f.claims, "ClaimAdjudicated")
        .withArgs(
          claimId,
          f.member,
          f.planId,
          f.hospitalId,
          f.cardiologistId,
          ClaimStatus.Approved,
          PaymentStatus.Queued,
        );
      const receipt = await (await tx).wait();
      if (receipt === null) throw new Error("not mined");
      expect(linesOf(f, receipt, claimId)).to.deep.equal([
        approved(0, lines[0]!, { allowed: usd(600n), deductible: usd(500n), copay: usd(30n), coinsurance: usd(14n) }),
      ]);
      expect(eventNames(f, receipt)).to.deep.equal(["LineAdjudicated", "ClaimAdjudicated"]);
      const content: Content = {
        member: f.member,
        plan: f.planId,
        organization: f.hospitalId,
        submitter: f.cardiologistId,
        lines: lines.map(packLine),
        attachments: [],
      };
      expect(await f.claims.contentHashOf(claimId, content)).to.equal(contentHash(claimId, content));
      expect(await summaryOf(f, claimId)).to.deep.equal({
        status: ClaimStatus.Approved,
        payment: PaymentStatus.Queued,
        adjudicatedAt: at,
        deniedLines: 0,
        prDenials: 0,
        planPays: usd(56n),
        patientOwes: usd(544n),
        contentHash: contentHash(claimId, content),
      });
      expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(544n) });
      // Nothing credited; the claim waits in the payer's queue, entry 0, under the hospital.
      expect([...(await f.claims.providerAccount(f.hospitalId))]).to.deep.equal([0n, 0n]);
      expect([...(await f.claims.providerAccount(f.cardiologistId))]).to.deep.equal([0n, 0n]);
      expect([...(await f.claims.payerAccount(f.payerId))]).to.deep.equal([0n, 0n, 0n, 0n, 1n]);
      const entry = await f.claims.queuedPayment(f.payerId, 0);
      expect([entry.claimId, entry.line, entry.organization, entry.amount]).to.deep.equal([
        claimId,
        CLAIM_PAYMENT,
        f.hospitalId,
        usd(56n),
      ]);
      // Duplicates are keyed on the billing organization, not the practitioner.
      expect(await f.claims.serviceBilled(f.member, f.hospitalId, procedureCode(OFFICE), now - DAY)).to.equal(true);
    });

    it("adjudicates 16 lines, the most a claim may have, each against the accumulators the previous one left", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = Array.from({ length: 16 }, (_, i) => lineOf(LAB, 1n, usd(45n), now - BigInt(i + 1) * DAY));
      const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
      // Lines 0-10: ded 45 each (495 met). Line 11: ded 5, coins floor(40 × 20 %) = 8. Lines 12-15: coins 9 each.
      const expected = lines.map((l, i) => {
        if (i <= 10) return approved(i, l, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n });
        if (i === 11)
          return approved(i, l, { allowed: usd(45n), deductible: usd(5n), copay: 0n, coinsurance: usd(8n) });
        return approved(i, l, { allowed: usd(45n), deductible: 0n, copay: 0n, coinsurance: usd(9n) });
      });
      expect(linesOf(f, receipt, claimId)).to.deep.equal(expected);
      // Plan pays 32 + 4 × 36 = 176; the patient owes 495 + 13 + 4 × 9 = 544 (together the 720 allowed).
      expect(await summaryOf(f, claimId)).to.deep.include({
        status: ClaimStatus.Approved,
        payment: PaymentStatus.Queued,
        deniedLines: 0,
        planPays: usd(176n),
        patientOwes: usd(544n),
      });
      expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(544n) });
    });

    describe("check 1: coverage (CARC 26, 27, group PR)", function () {
      it("denies a service before any coverage with 26 (PR, the patient owes the billed amount)", async function () {
        const f = await loadFixture(claimsFixture);
        const lines = [lineOf(OFFICE, 1n, usd(150n), f.coverageStart - 1n), lineOf(LAB, 1n, usd(45n), f.coverageStart)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          denied(0, lines[0]!, 26, PR),
          // The first second of coverage is covered: allowed 45, all deductible.
          approved(1, lines[1]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.PartiallyApproved,
          payment: PaymentStatus.None,
          deniedLines: 0b01,
          prDenials: 0b01,
          planPays: 0n,
          patientOwes: usd(150n + 45n),
        });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(45n), oopMet: usd(45n) });
      });

      it("gives 26 precedence over timely filing, network and fee schedule (an out-of-network clinic, an old unlisted service)", async function () {
        const f = await loadFixture(claimsFixture);
        const lines = [lineOf(UNLISTED, 1n, usd(80n), f.coverageStart - 100n * DAY)];
        const { claimId, receipt } = await submit(f, f.clinicKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 26, PR)]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.Denied,
          payment: PaymentStatus.None,
          deniedLines: 1,
          prDenials: 1,
          planPays: 0n,
          patientOwes: usd(80n),
        });
      });

      it("denies a service after an enrollment ended with 27, and 26 before the earliest one; coverage end is inclusive", async function () {
        const f = await loadFixture(claimsFixture);
        const earlier = await twoPeriodMember(f);
        const lines = [
          lineOf(LAB, 1n, usd(45n), earlier.end + 1n),
          lineOf(LAB, 1n, usd(46n), earlier.start - 1n),
          lineOf(LAB, 1n, usd(45n), earlier.end),
          lineOf(OFFICE, 1n, usd(120n), f.coverageStart - 1n),
        ];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, member: earlier.member });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          denied(0, lines[0]!, 27, PR),
          denied(1, lines[1]!, 26, PR),
          approved(2, lines[2]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          denied(3, lines[3]!, 27, PR),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.PartiallyApproved,
          deniedLines: 0b1011,
          prDenials: 0b1011,
          planPays: 0n,
          patientOwes: usd(45n + 46n + 45n + 120n),
        });
        expect(await accumulators(f, 0, f.planId, earlier.member)).to.deep.equal({
          deductibleMet: usd(45n),
          oopMet: usd(45n),
        });
        expect(await accumulators(f, 1, f.planId, earlier.member)).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
      });
    });

    describe("check 2: timely filing (CARC 29, group CO)", function () {
      it("accepts a line filed exactly timelyFilingDays after its service and denies one a second later", async function () {
        const f = await loadFixture(claimsFixture);
        const { member } = await twoPeriodMember(f);
        const at = BigInt(await time.latest()) + 10n;
        const limit = BigInt(STANDARD_TERMS.timelyFilingDays) * DAY;
        const lines = [lineOf(LAB, 1n, usd(45n), at - limit), lineOf(OFFICE, 1n, usd(120n), at - limit - 1n)];
        await time.setNextBlockTimestamp(at);
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, member });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          denied(1, lines[1]!, 29, CO),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.PartiallyApproved,
          deniedLines: 0b10,
          prDenials: 0,
          planPays: 0n,
          patientOwes: usd(45n),
        });
        expect(await accumulators(f, 0, f.planId, member)).to.deep.equal({ deductibleMet: usd(45n), oopMet: usd(45n) });
      });

      it("gives 29 precedence over network and fee schedule (the clinic bills an old unlisted service)", async function () {
        const f = await loadFixture(claimsFixture);
        const { member } = await twoPeriodMember(f);
        const now = BigInt(await time.latest());
        const lines = [lineOf(UNLISTED, 1n, usd(80n), now - 95n * DAY)];
        const { claimId, receipt } = await submit(f, f.clinicKey, { lines, member });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 29, CO)]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.Denied,
          deniedLines: 1,
          prDenials: 0,
          patientOwes: 0n,
        });
      });
    });

    describe("check 3: network (CARC 242, group CO)", function () {
      it("denies every line of an out-of-network organization with 242, before the fee schedule (an unlisted code)", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(OFFICE, 1n, usd(120n), now - DAY), lineOf(UNLISTED, 1n, usd(80n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.clinicKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          denied(0, lines[0]!, 242, CO),
          denied(1, lines[1]!, 242, CO),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.Denied,
          payment: PaymentStatus.None,
          deniedLines: 0b11,
          prDenials: 0,
          planPays: 0n,
          patientOwes: 0n,
        });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
      });

      it("denies the claim of a practitioner whose organization is out of network (the clinic's doctor)", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(OFFICE, 1n, usd(120n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.clinicDoctorKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 242, CO)]);
        expect(await summaryOf(f, claimId)).to.deep.include({ status: ClaimStatus.Denied, patientOwes: 0n });
      });
    });

    describe("check 4: fee schedule (CARC 96, group PR)", function () {
      it("denies an unlisted code with 96, the patient owing the billed amount", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(UNLISTED, 2n, usd(333n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 96, PR)]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.Denied,
          deniedLines: 1,
          prDenials: 1,
          planPays: 0n,
          patientOwes: usd(333n),
        });
      });

      it("denies a removed code that required authorization with 96, not 197", async function () {
        const f = await loadFixture(claimsFixture);
        await (await f.claims.connect(f.payerKey).removeFees(f.planId, [procedureCode(MRI)])).wait();
        const now = BigInt(await time.latest());
        const lines = [lineOf(MRI, 1n, usd(2_000n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 96, PR)]);
      });
    });

    describe("check 5: prior authorization (CARC 197, group CO)", function () {
      it("denies a code requiring authorization without one with 197, the patient owing nothing", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(MRI, 1n, usd(2_000n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 197, CO)]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.Denied,
          deniedLines: 1,
          prDenials: 0,
          patientOwes: 0n,
        });
      });

      it("consumes an approved authorization's units and records it on the line", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const authId = await authorize(f, MRI, 2n, now - 20n * DAY, now);
        await approve(f, authId, 2n, now - 20n * DAY, now);
        const lines = [lineOf(MRI, 1n, usd(2_000n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // allowed = min(2000, 1800) = 1800; ded 500; copay 0; coins floor(1300 × 20 %) = 260; owed 760; plan 1040.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, {
            allowed: usd(1_800n),
            deductible: usd(500n),
            copay: 0n,
            coinsurance: usd(260n),
            priorAuth: authId,
          }),
        ]);
        expect(await unitsLeft(f, authId)).to.equal(1n);
        expect(await summaryOf(f, claimId)).to.deep.include({ planPays: usd(1_040n), patientOwes: usd(760n) });
      });

      it("denies a line with more units than the authorization has left, consuming nothing", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const authId = await authorize(f, MRI, 2n, now - 20n * DAY, now);
        await approve(f, authId, 2n, now - 20n * DAY, now);
        const lines = [lineOf(MRI, 3n, usd(6_000n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 197, CO)]);
        expect(await unitsLeft(f, authId)).to.equal(2n);
      });

      it("uses the first authorization in approval order, not request order, and the next when it runs short", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const from = now - 20n * DAY;
        const first = await authorize(f, MRI, 2n, from, now);
        const second = await authorize(f, MRI, 2n, from, now);
        await approve(f, second, 2n, from, now);
        await approve(f, first, 2n, from, now);
        expect(await f.priorAuths.approvedPriorAuths(f.member, f.planId, procedureCode(MRI))).to.deep.equal([
          second,
          first,
        ]);
        const lines = [lineOf(MRI, 1n, usd(1_800n), now - 3n * DAY), lineOf(MRI, 2n, usd(3_600n), now - 2n * DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // Line 0: allowed 1800; ded 500; coins floor(1300 × 20 %) = 260. Line 1: allowed 3600; coins 720.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, {
            allowed: usd(1_800n),
            deductible: usd(500n),
            copay: 0n,
            coinsurance: usd(260n),
            priorAuth: second,
          }),
          approved(1, lines[1]!, {
            allowed: usd(3_600n),
            deductible: 0n,
            copay: 0n,
            coinsurance: usd(720n),
            priorAuth: first,
          }),
        ]);
        expect(await unitsLeft(f, second)).to.equal(1n);
        expect(await unitsLeft(f, first)).to.equal(0n);
      });

      it("takes the authorization's window as inclusive at both ends", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const from = now - 20n * DAY;
        const to = now - 10n * DAY;
        const authId = await authorize(f, MRI, 4n, from, to);
        await approve(f, authId, 4n, from, to);
        const lines = [
          lineOf(MRI, 1n, usd(1_000n), from - 1n),
          lineOf(MRI, 1n, usd(1_000n), from),
          lineOf(MRI, 1n, usd(1_000n), to),
          lineOf(MRI, 1n, usd(1_000n), to + 1n),
        ];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // Line 1: allowed = min(1000, 1800) = 1000 → ded 500, coins floor(500 × 20 %) = 100. Line 2: coins 200.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          denied(0, lines[0]!, 197, CO),
          approved(1, lines[1]!, {
            allowed: usd(1_000n),
            deductible: usd(500n),
            copay: 0n,
            coinsurance: usd(100n),
            priorAuth: authId,
          }),
          approved(2, lines[2]!, {
            allowed: usd(1_000n),
            deductible: 0n,
            copay: 0n,
            coinsurance: usd(200n),
            priorAuth: authId,
          }),
          denied(3, lines[3]!, 197, CO),
        ]);
        expect(await unitsLeft(f, authId)).to.equal(2n);
      });

      it("does not consume units for a line denied as a duplicate, within the claim or in a later one", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const authId = await authorize(f, MRI, 3n, now - 20n * DAY, now);
        await approve(f, authId, 3n, now - 20n * DAY, now);
        const day = midnight(now - 5n * DAY);
        const first = [lineOf(MRI, 1n, usd(1_800n), day + 3_600n), lineOf(MRI, 1n, usd(1_800n), day + 7_200n)];
        const one = await submit(f, f.hospitalKey, { lines: first });
        expect(linesOf(f, one.receipt, one.claimId)).to.deep.equal([
          approved(0, first[0]!, {
            allowed: usd(1_800n),
            deductible: usd(500n),
            copay: 0n,
            coinsurance: usd(260n),
            priorAuth: authId,
          }),
          denied(1, first[1]!, 18, OA),
        ]);
        expect(await unitsLeft(f, authId)).to.equal(2n);
        const later = [lineOf(MRI, 1n, usd(1_800n), day + 10_000n)];
        const two = await submit(f, f.hospitalKey, { lines: later });
        expect(linesOf(f, two.receipt, two.claimId)).to.deep.equal([denied(0, later[0]!, 18, OA)]);
        expect(await unitsLeft(f, authId)).to.equal(2n);
      });

      it("gives 197 precedence over the duplicate check once the authorization is used up", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const authId = await authorize(f, MRI, 1n, now - 20n * DAY, now);
        await approve(f, authId, 1n, now - 20n * DAY, now);
        const serviceDate = now - 3n * DAY;
        await submit(f, f.hospitalKey, { lines: [lineOf(MRI, 1n, usd(1_800n), serviceDate)] });
        expect(await unitsLeft(f, authId)).to.equal(0n);
        const lines = [lineOf(MRI, 1n, usd(1_800n), serviceDate)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([denied(0, lines[0]!, 197, CO)]);
      });
    });

    describe("check 6: duplicate service (CARC 18, group OA)", function () {
      it("denies a second line for the same code and day within one claim", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY), lineOf(LAB, 1n, usd(45n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          denied(1, lines[1]!, 18, OA),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.PartiallyApproved,
          deniedLines: 0b10,
          prDenials: 0,
          patientOwes: usd(45n),
        });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(45n), oopMet: usd(45n) });
      });

      it("denies the same code on the same UTC day at another time in a later claim, but not the next day", async function () {
        const f = await loadFixture(claimsFixture);
        const day = midnight(BigInt(await time.latest()) - 5n * DAY);
        const first = await submit(f, f.hospitalKey, { lines: [lineOf(LAB, 1n, usd(45n), day + 1n)] });
        expect(await summaryOf(f, first.claimId)).to.deep.include({ status: ClaimStatus.Approved });
        const lines = [
          lineOf(LAB, 1n, usd(45n), day + DAY - 1n),
          lineOf(LAB, 1n, usd(45n), day + DAY),
          lineOf(LAB, 1n, usd(45n), day),
        ];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          denied(0, lines[0]!, 18, OA),
          approved(1, lines[1]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          denied(2, lines[2]!, 18, OA),
        ]);
        expect(await f.claims.serviceBilled(f.member, f.hospitalId, procedureCode(LAB), day + 12n * 3_600n)).to.equal(
          true,
        );
      });

      it("does not count another organization's service on that day as a duplicate", async function () {
        const f = await loadFixture(claimsFixture);
        await (await f.claims.connect(f.payerKey).setNetwork(f.planId, [f.clinicId], true)).wait();
        const serviceDate = BigInt(await time.latest()) - 2n * DAY;
        await submit(f, f.hospitalKey, { lines: [lineOf(LAB, 1n, usd(45n), serviceDate)] });
        const lines = [lineOf(LAB, 1n, usd(45n), serviceDate)];
        const { claimId, receipt } = await submit(f, f.clinicKey, { lines });
        // The deductible met by the hospital's line: 45, so this one is all deductible again (90 met).
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
        ]);
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(90n), oopMet: usd(90n) });
      });

      it("does not mark a denied line's service, so a later approved line for it is no duplicate", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const serviceDate = now - 2n * DAY;
        await submit(f, f.hospitalKey, { lines: [lineOf(MRI, 1n, usd(1_800n), serviceDate)] });
        expect(await f.claims.serviceBilled(f.member, f.hospitalId, procedureCode(MRI), serviceDate)).to.equal(false);
        const authId = await authorize(f, MRI, 1n, now - 20n * DAY, now);
        await approve(f, authId, 1n, now - 20n * DAY, now);
        const lines = [lineOf(MRI, 1n, usd(1_800n), serviceDate)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, {
            allowed: usd(1_800n),
            deductible: usd(500n),
            copay: 0n,
            coinsurance: usd(260n),
            priorAuth: authId,
          }),
        ]);
      });
    });

    describe("pricing", function () {
      it("allows the billed amount when it is below the fee schedule's allowance (no contractual write-off)", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(OFFICE, 2n, usd(200n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // allowed = min(200, 120 × 2) = 200; all of it deductible.
        const [line0] = linesOf(f, receipt, claimId);
        expect(line0).to.deep.equal(
          approved(0, lines[0]!, { allowed: usd(200n), deductible: usd(200n), copay: 0n, coinsurance: 0n }),
        );
        expect(line0?.contractual).to.equal(0n);
      });

      it("crosses the deductible in the middle of a claim", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 10n, usd(450n), now - 2n * DAY), lineOf(OFFICE, 1n, usd(120n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // Line 0: allowed 450, all deductible (450 met). Line 1: allowed 120: ded 50; copay min(30, 70) = 30;
        // coins floor(40 × 20 %) = 8; owed 88; plan pays 32.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(450n), deductible: usd(450n), copay: 0n, coinsurance: 0n }),
          approved(1, lines[1]!, { allowed: usd(120n), deductible: usd(50n), copay: usd(30n), coinsurance: usd(8n) }),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({ planPays: usd(32n), patientOwes: usd(538n) });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(538n) });
      });

      it("cuts the copay to what is left of the allowed amount after the deductible", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 10n, usd(450n), now - 2n * DAY), lineOf(OFFICE, 1n, usd(60n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // Line 1: allowed = min(60, 120) = 60; ded 50; copay = min(30, 10) = 10; coins 0; plan pays 0.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(450n), deductible: usd(450n), copay: 0n, coinsurance: 0n }),
          approved(1, lines[1]!, { allowed: usd(60n), deductible: usd(50n), copay: usd(10n), coinsurance: 0n }),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.Approved,
          payment: PaymentStatus.None,
          planPays: 0n,
          patientOwes: usd(510n),
        });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(510n) });
      });

      it("rounds coinsurance down to the base unit", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 12n, usd(540n), now - 2n * DAY), lineOf(THERAPY, 1n, 39_999_999n, now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // Line 0: allowed 540; ded 500; coins floor(40 × 20 %) = 8. Line 1: allowed 39.999999; copay 20;
        // coins = floor(19.999999 × 2000 / 10000) = floor(3.9999998) = 3.999999; plan pays 16.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(540n), deductible: usd(500n), copay: 0n, coinsurance: usd(8n) }),
          approved(1, lines[1]!, { allowed: 39_999_999n, deductible: 0n, copay: usd(20n), coinsurance: 3_999_999n }),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          planPays: usd(32n) + 16_000_000n,
          patientOwes: usd(508n) + 23_999_999n,
        });
      });

      it("caps the patient's share at the out-of-pocket maximum, cutting coinsurance first; at the maximum the plan pays all", async function () {
        const f = await loadFixture(claimsFixture);
        const planId = await createPlan(
          f,
          {
            deductible: usd(100n),
            oopMax: usd(160n),
            coinsuranceBps: 2_000,
            timelyFilingDays: 90,
            appealWindowDays: 30,
          },
          [{ code: OFFICE, allowedPerUnit: usd(500n), copay: usd(50n), requiresPriorAuth: false }],
        );
        const now = BigInt(await time.latest());
        const lines = [lineOf(OFFICE, 1n, usd(500n), now - 2n * DAY), lineOf(OFFICE, 1n, usd(500n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, plan: planId });
        // Line 0: ded 100, copay 50, coins floor(350 × 20 %) = 70: 220 > 160, excess 60 off the coinsurance → 10.
        // Line 1 (oopMet 160 = max): ded 0, copay 50, coins floor(450 × 20 %) = 90, excess 140: coins → 0, copay → 0;
        // plan pays 500.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(500n), deductible: usd(100n), copay: usd(50n), coinsurance: usd(10n) }),
          approved(1, lines[1]!, { allowed: usd(500n), deductible: 0n, copay: 0n, coinsurance: 0n }),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({ planPays: usd(840n), patientOwes: usd(160n) });
        expect(await accumulators(f, 0, planId)).to.deep.equal({ deductibleMet: usd(100n), oopMet: usd(160n) });
      });

      it("cuts the copay once the coinsurance is gone", async function () {
        const f = await loadFixture(claimsFixture);
        const planId = await createPlan(
          f,
          {
            deductible: usd(100n),
            oopMax: usd(120n),
            coinsuranceBps: 2_000,
            timelyFilingDays: 90,
            appealWindowDays: 30,
          },
          [{ code: OFFICE, allowedPerUnit: usd(500n), copay: usd(50n), requiresPriorAuth: false }],
        );
        const now = BigInt(await time.latest());
        const lines = [lineOf(OFFICE, 1n, usd(500n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, plan: planId });
        // ded 100, copay 50, coins 70 = 220; excess 100: coins 70 → 0, copay 50 → 20; owed 120; plan pays 380.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(500n), deductible: usd(100n), copay: usd(20n), coinsurance: 0n }),
        ]);
        expect(await accumulators(f, 0, planId)).to.deep.equal({ deductibleMet: usd(100n), oopMet: usd(120n) });
      });

      it("cuts the deductible last, once coinsurance and copay are gone (the deductible raised under a lower maximum)", async function () {
        const f = await loadFixture(claimsFixture);
        const terms = {
          deductible: usd(100n),
          oopMax: usd(300n),
          coinsuranceBps: 2_000,
          timelyFilingDays: 90,
          appealWindowDays: 30,
        };
        const planId = await createPlan(f, terms, [
          { code: OFFICE, allowedPerUnit: usd(500n), copay: usd(50n), requiresPriorAuth: false },
        ]);
        const now = BigInt(await time.latest());
        // First: allowed 150: ded 100, copay 50, coins 0; owed 150 (met: 100 deductible, 150 out of pocket).
        await submit(f, f.hospitalKey, { lines: [lineOf(OFFICE, 1n, usd(150n), now - 2n * DAY)], plan: planId });
        expect(await accumulators(f, 0, planId)).to.deep.equal({ deductibleMet: usd(100n), oopMet: usd(150n) });
        await (
          await f.claims
            .connect(f.payerKey)
            .updatePlanTerms(planId, { ...terms, deductible: usd(250n), oopMax: usd(250n) })
        ).wait();
        const lines = [lineOf(OFFICE, 1n, usd(500n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, plan: planId });
        // ded min(500, 150) = 150, copay 50, coins floor(300 × 20 %) = 60: 260; 150 + 260 − 250 = 160 excess:
        // coins 60 → 0 (100 left), copay 50 → 0 (50 left), ded 150 → 100; owed 100; plan pays 400.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(500n), deductible: usd(100n), copay: 0n, coinsurance: 0n }),
        ]);
        expect(await accumulators(f, 0, planId)).to.deep.equal({ deductibleMet: usd(200n), oopMet: usd(250n) });
      });

      it("charges no deductible when the plan's deductible was lowered below what is already met", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        await submit(f, f.hospitalKey, { lines: [lineOf(OFFICE, 5n, usd(600n), now - 2n * DAY)] });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(544n) });
        await (
          await f.claims.connect(f.payerKey).updatePlanTerms(f.planId, { ...STANDARD_TERMS, deductible: usd(200n) })
        ).wait();
        const lines = [lineOf(THERAPY, 3n, usd(150n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // allowed 120; ded 0 (500 met ≥ 200); copay 20; coins floor(100 × 20 %) = 20; plan pays 80.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(120n), deductible: 0n, copay: usd(20n), coinsurance: usd(20n) }),
        ]);
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(584n) });
      });

      it("prices a line of an earlier coverage period against that period's own accumulators", async function () {
        const f = await loadFixture(claimsFixture);
        const earlier = await twoPeriodMember(f);
        const now = BigInt(await time.latest());
        const lines = [
          lineOf(OFFICE, 5n, usd(600n), earlier.end - 2n * DAY),
          lineOf(LAB, 2n, usd(90n), now - 2n * DAY),
          lineOf(THERAPY, 3n, usd(120n), earlier.end - DAY),
        ];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, member: earlier.member });
        // Line 0 (seq 0): ded 500, copay 30, coins 14, plan pays 56. Line 1 (seq 1): allowed 90, all deductible.
        // Line 2 (seq 0 again, deductible met there): copay 20, coins floor(100 × 20 %) = 20, plan pays 80.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(600n), deductible: usd(500n), copay: usd(30n), coinsurance: usd(14n) }),
          approved(1, lines[1]!, { allowed: usd(90n), deductible: usd(90n), copay: 0n, coinsurance: 0n }),
          approved(2, lines[2]!, { allowed: usd(120n), deductible: 0n, copay: usd(20n), coinsurance: usd(20n) }),
        ]);
        expect(await accumulators(f, 0, f.planId, earlier.member)).to.deep.equal({
          deductibleMet: usd(500n),
          oopMet: usd(584n),
        });
        expect(await accumulators(f, 1, f.planId, earlier.member)).to.deep.equal({
          deductibleMet: usd(90n),
          oopMet: usd(90n),
        });
        expect(await summaryOf(f, claimId)).to.deep.include({ planPays: usd(136n), patientOwes: usd(674n) });
      });
    });

    describe("check 4a: the medically unlikely edit (CARC 151, group CO)", function () {
      /** The payer limits `code` to `maxUnits` units a line (re-listing it with the fixture's other figures). */
      async function limit(f: ClaimsFixture, code: string, maxUnits: number) {
        const [, entry] = await f.claims.fee(f.planId, procedureCode(code));
        await (
          await f.claims.connect(f.payerKey).setFees(f.planId, [
            {
              code: entry.code,
              allowedPerUnit: entry.allowedPerUnit,
              copay: entry.copay,
              requiresPriorAuth: entry.requiresPriorAuth,
              maxUnits,
            },
          ])
        ).wait();
      }

      it("approves a line of exactly maxUnits and denies maxUnits + 1 with 151 (CO), the patient owing nothing", async function () {
        const f = await loadFixture(claimsFixture);
        await limit(f, THERAPY, 4);
        const now = BigInt(await time.latest());
        const lines = [lineOf(THERAPY, 4n, usd(160n), now - 2n * DAY), lineOf(THERAPY, 5n, usd(200n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        // Line 0: allowed min(160, 40 × 4) = 160, all deductible (500 unmet); line 1: over the edit.
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(160n), deductible: usd(160n), copay: 0n, coinsurance: 0n }),
          denied(1, lines[1]!, 151, CO),
        ]);
        expect(await summaryOf(f, claimId)).to.deep.include({
          status: ClaimStatus.PartiallyApproved,
          deniedLines: 0b10,
          prDenials: 0,
          planPays: 0n,
          patientOwes: usd(160n),
        });
        expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(160n), oopMet: usd(160n) });
        // The denied line's service is not marked: billed again within the edit, it is no duplicate.
        expect(await f.claims.serviceBilled(f.member, f.hospitalId, procedureCode(THERAPY), now - DAY)).to.equal(false);
        const again = [lineOf(THERAPY, 4n, usd(160n), now - DAY)];
        const retry = await submit(f, f.hospitalKey, { lines: again });
        expect(linesOf(f, retry.receipt, retry.claimId)[0]?.denied).to.equal(false);
      });

      it("comes after the fee schedule and before authorization and duplicates, consuming no units", async function () {
        const f = await loadFixture(claimsFixture);
        await limit(f, MRI, 1);
        await limit(f, THERAPY, 2);
        const now = BigInt(await time.latest());
        const from = now - 20n * DAY;
        const authId = await authorize(f, MRI, 3n, from, now);
        await approve(f, authId, 3n, from, now);
        const day = now - DAY;
        const lines = [
          lineOf(MRI, 2n, usd(3_600n), day),
          lineOf(THERAPY, 1n, usd(40n), day),
          lineOf(THERAPY, 3n, usd(120n), day),
          lineOf(UNLISTED, 9n, usd(90n), day),
        ];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          // 151 although no authorization question is asked: the edit comes first.
          denied(0, lines[0]!, 151, CO),
          approved(1, lines[1]!, { allowed: usd(40n), deductible: usd(40n), copay: 0n, coinsurance: 0n }),
          // Same code and day as line 1 (a duplicate), but over the edit: 151, not 18.
          denied(2, lines[2]!, 151, CO),
          // Unlisted: 96 (PR) whatever the units.
          denied(3, lines[3]!, 96, PR),
        ]);
        expect(await unitsLeft(f, authId)).to.equal(3n);
      });

      it("leaves only MAX_UNITS_PER_LINE (99,999) when the plan sets no edit", async function () {
        const f = await loadFixture(claimsFixture);
        expect(await f.claims.MAX_UNITS_PER_LINE()).to.equal(MAX_UNITS_PER_LINE);
        const now = BigInt(await time.latest());
        const lines = [lineOf(THERAPY, MAX_UNITS_PER_LINE, usd(100n), now - DAY)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(100n), deductible: usd(100n), copay: 0n, coinsurance: 0n }),
        ]);
      });
    });

    describe("enrollment lookup", function () {
      it("finds each line's period among 40 by binary search: old periods price on their own, gaps give 27, before the first 26", async function () {
        const f = await loadFixture(claimsFixture);
        const member = memberOf(f.planId, f.otherPatientId);
        const asPayer = f.claims.connect(f.payerKey);
        const now = BigInt(await time.latest());
        // Period i is day 2i after `base`, a whole day; day 2i + 1 is a gap. The last ends six days ago.
        const base = midnight(now) - 85n * DAY;
        const periodStart = (i: number) => base + BigInt(2 * i) * DAY;
        for (let i = 0; i < 40; i++) {
          await (await asPayer.enroll(f.planId, member, periodStart(i), periodStart(i) + DAY - 1n)).wait();
        }
        const noon = DAY / 2n;
        const lines = [
          lineOf(LAB, 1n, usd(45n), periodStart(0) + noon),
          lineOf(LAB, 1n, usd(45n), periodStart(20) + noon),
          lineOf(LAB, 1n, usd(45n), periodStart(39) + DAY - 1n),
          lineOf(LAB, 1n, usd(46n), periodStart(5) + DAY + noon),
          lineOf(LAB, 1n, usd(47n), base - 1n),
          lineOf(LAB, 1n, usd(48n), now - DAY),
          lineOf(OFFICE, 1n, usd(120n), periodStart(20) + noon),
        ];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines, member });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          approved(1, lines[1]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          approved(2, lines[2]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
          denied(3, lines[3]!, 27, PR),
          denied(4, lines[4]!, 26, PR),
          denied(5, lines[5]!, 27, PR),
          // Period 20 again, after line 1: its own deductible, 45 met, takes the whole 120.
          approved(6, lines[6]!, { allowed: usd(120n), deductible: usd(120n), copay: 0n, coinsurance: 0n }),
        ]);
        const of = (seq: number) => accumulators(f, seq, f.planId, member);
        expect(await of(0)).to.deep.equal({ deductibleMet: usd(45n), oopMet: usd(45n) });
        expect(await of(20)).to.deep.equal({ deductibleMet: usd(165n), oopMet: usd(165n) });
        expect(await of(39)).to.deep.equal({ deductibleMet: usd(45n), oopMet: usd(45n) });
        for (const seq of [1, 5, 6, 19, 21, 38])
          expect(await of(seq), `seq ${seq}`).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
      });
    });

    describe("attachments", function () {
      it("emits ClaimAttachments before the lines and binds the attachments into the content hash", async function () {
        const f = await loadFixture(claimsFixture);
        const attachments = [randomAttachment(f), randomAttachment(f)];
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        const reference = newReference();
        const claimId = claimIdOf(f.hospitalId, reference);
        const tx = f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, attachments }, reference));
        await expect(tx).to.emit(f.claims, "ClaimAttachments").withArgs(claimId, attachments);
        const receipt = await (await tx).wait();
        if (receipt === null) throw new Error("not mined");
        expect(eventNames(f, receipt)).to.deep.equal(["ClaimAttachments", "LineAdjudicated", "ClaimAdjudicated"]);
        const content: Content = {
          member: f.member,
          plan: f.planId,
          organization: f.hospitalId,
          submitter: f.hospitalId,
          lines: lines.map(packLine),
          attachments,
        };
        const stored = await summaryOf(f, claimId);
        expect(stored.contentHash).to.equal(contentHash(claimId, content));
        expect(await f.claims.contentHashOf(claimId, content)).to.equal(stored.contentHash);
        for (const other of [[], [attachments[1]!, attachments[0]!], [attachments[0]!]]) {
          expect(stored.contentHash).to.not.equal(contentHash(claimId, { ...content, attachments: other }));
        }
      });

      it("accepts 8 attachments and refuses 9 with ClaimsTooManyAttachments(9, 8), changing nothing", async function () {
        const f = await loadFixture(claimsFixture);
        expect(await f.claims.MAX_ATTACHMENTS()).to.equal(8n);
        const attachments = Array.from({ length: 9 }, () => randomAttachment(f));
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        const reference = newReference();
        const before = await snapshot(f);
        await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, attachments }, reference)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsTooManyAttachments")
          .withArgs(9, 8);
        await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        const eight = attachments.slice(0, 8);
        await expect(
          f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, attachments: eight }, reference)),
        )
          .to.emit(f.claims, "ClaimAttachments")
          .withArgs(claimIdOf(f.hospitalId, reference), eight);
      });

      it("takes attachments as opaque commitments: any value, repeated, never looked up in the record registry", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const same = randomAttachment(f);
        const attachments = [ZeroHash, same, same];
        const { claimId, receipt } = await submit(f, f.hospitalKey, {
          lines: [lineOf(LAB, 1n, usd(45n), now - DAY)],
          attachments,
        });
        await expect(receipt).to.emit(f.claims, "ClaimAttachments").withArgs(claimId, attachments);
        // The adjudicator's only reads are identity; it was deployed without the record registry.
        const recordRegistry = (await f.records.getAddress()).toLowerCase();
        expect(receipt.logs.every((log) => log.address.toLowerCase() !== recordRegistry)).to.equal(true);
      });
    });

    describe("reverts", function () {
      it("refuses 0 and 17 lines with ClaimsInvalidLineCount", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        for (const count of [0, 17]) {
          const lines = Array.from({ length: count }, (_, i) => lineOf(LAB, 1n, usd(45n), now - BigInt(i + 1) * DAY));
          const reference = newReference();
          const before = await snapshot(f);
          await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines }, reference)))
            .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidLineCount")
            .withArgs(count, MAX_LINES);
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        }
      });

      it("refuses a line with its unused high bits set with ClaimsMalformedLine(index)", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const good = lineOf(LAB, 1n, usd(45n), now - 2n * DAY);
        const other = lineOf(OFFICE, 1n, usd(120n), now - DAY);
        for (const bit of [200n, 255n]) {
          const reference = newReference();
          const before = await snapshot(f);
          await expect(
            f.claims
              .connect(f.hospitalKey)
              .submitClaim(f.member, f.planId, reference, [packLine(good), packLine(other) | (1n << bit)], []),
          )
            .to.be.revertedWithCustomError(f.claims, "ClaimsMalformedLine")
            .withArgs(1);
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), [good, other]);
        }
      });

      it("refuses zero units, a zero charge and a future service date with the line's index", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const good = lineOf(LAB, 1n, usd(45n), now - 2n * DAY);
        const future = now + 1_000n;
        const cases: [ClaimLineInput[], string, unknown[]][] = [
          [[lineOf(OFFICE, 0n, usd(120n), now - DAY)], "ClaimsZeroUnits", [0]],
          [[good, lineOf(OFFICE, 1n, 0n, now - DAY)], "ClaimsZeroBilled", [1]],
          [[good, lineOf(OFFICE, 1n, usd(120n), future)], "ClaimsServiceDateInFuture", [1, future]],
        ];
        for (const [lines, error, args] of cases) {
          const reference = newReference();
          const before = await snapshot(f);
          await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines }, reference)))
            .to.be.revertedWithCustomError(f.claims, error)
            .withArgs(...args);
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        }
      });

      it("accepts a service dated at the submission's own second", async function () {
        const f = await loadFixture(claimsFixture);
        const at = BigInt(await time.latest()) + 5n;
        await time.setNextBlockTimestamp(at);
        const lines = [lineOf(LAB, 1n, usd(45n), at)];
        const { claimId, receipt } = await submit(f, f.hospitalKey, { lines });
        expect(linesOf(f, receipt, claimId)).to.deep.equal([
          approved(0, lines[0]!, { allowed: usd(45n), deductible: usd(45n), copay: 0n, coinsurance: 0n }),
        ]);
      });

      it("refuses a reference the organization used before with ClaimsDuplicateReference, from any of its submitters", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const first = await submit(f, f.hospitalKey, { lines: [lineOf(LAB, 1n, usd(45n), now - DAY)] });
        const stored = await summaryOf(f, first.claimId);
        const lines = [lineOf(OFFICE, 1n, usd(120n), now - 2n * DAY)];
        for (const signer of [f.hospitalKey, f.cardiologistKey]) {
          const before = await snapshot(f);
          await expect(
            f.claims.connect(signer).submitClaim(...argsOf(f, { lines, reference: first.reference }, first.reference)),
          )
            .to.be.revertedWithCustomError(f.claims, "ClaimsDuplicateReference")
            .withArgs(first.claimId);
          expect(await snapshot(f)).to.deep.equal(before);
          expect(await summaryOf(f, first.claimId)).to.deep.equal(stored);
        }
        // Another organization may use the same reference: its claim has another id.
        const theirs = await submit(f, f.clinicKey, { lines, reference: first.reference });
        expect(theirs.claimId).to.equal(claimIdOf(f.clinicId, first.reference));
        expect(theirs.claimId).to.not.equal(first.claimId);
      });

      it("refuses an unknown plan with ClaimsUnknownPlan and a draft plan with ClaimsPlanNotActive", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        for (const plan of [0n, 99n]) {
          const reference = newReference();
          const before = await snapshot(f);
          await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, plan }, reference)))
            .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPlan")
            .withArgs(plan);
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        }
        const asPayer = f.claims.connect(f.payerKey);
        const draft = await asPayer.createPlan.staticCall(STANDARD_TERMS);
        await (await asPayer.createPlan(STANDARD_TERMS)).wait();
        const reference = newReference();
        const before = await snapshot(f);
        await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, plan: draft }, reference)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsPlanNotActive")
          .withArgs(draft, 1);
        await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
      });

      it("refuses an unregistered key and a suspended hospital with ClaimsProviderNotActive", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        const stranger = await namedSigner("claims stranger");
        const reference = newReference();
        let before = await snapshot(f);
        await expect(f.claims.connect(stranger).submitClaim(...argsOf(f, { lines }, reference)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsProviderNotActive")
          .withArgs(stranger.address);
        await expectNothingChanged(f, before, claimIdOf(0n, reference), lines);
        await f.identity.as(f.registrar).suspend(f.hospitalId, 17);
        before = await snapshot(f);
        await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines }, reference)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsProviderNotActive")
          .withArgs(f.hospitalKey.address);
        await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
      });

      it("refuses a zero member pseudonym with ClaimsInvalidMember, after the caller and the plan", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        const reference = newReference();
        const before = await snapshot(f);
        await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, member: ZeroHash }, reference)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidMember")
          .withArgs();
        await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        await expect(
          f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines, member: ZeroHash, plan: 99n }, reference)),
        )
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPlan")
          .withArgs(99n);
        await expect(f.claims.connect(f.patientKey).submitClaim(...argsOf(f, { lines, member: ZeroHash }, reference)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAProvider")
          .withArgs(f.patientKey.address, f.patientId);
      });

      it("refuses a line of more than MAX_UNITS_PER_LINE units with ClaimsTooManyUnits(index, units, max), the whole claim", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const good = lineOf(LAB, 1n, usd(45n), now - 2n * DAY);
        for (const units of [MAX_UNITS_PER_LINE + 1n, 1_000_000n, 2n ** 32n - 1n]) {
          const lines = [good, lineOf(OFFICE, units, usd(120n), now - DAY)];
          const reference = newReference();
          const before = await snapshot(f);
          await expect(f.claims.connect(f.hospitalKey).submitClaim(...argsOf(f, { lines }, reference)))
            .to.be.revertedWithCustomError(f.claims, "ClaimsTooManyUnits")
            .withArgs(1, units, MAX_UNITS_PER_LINE);
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        }
      });

      it("refuses a practitioner of a suspended or revoked organization with ClaimsOrganizationNotActive", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        const reference = newReference();
        await suspend(f, f.hospitalId);
        let before = await snapshot(f);
        for (const practitioner of [f.cardiologistKey, f.internistKey]) {
          await expect(f.claims.connect(practitioner).submitClaim(...argsOf(f, { lines }, reference)))
            .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotActive")
            .withArgs(f.hospitalId);
        }
        await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        // The clinic's doctor is not affected by the hospital's suspension.
        await expect(f.claims.connect(f.clinicDoctorKey).submitClaim(...argsOf(f, { lines }, newReference()))).to.emit(
          f.claims,
          "ClaimAdjudicated",
        );
        await reinstate(f, f.hospitalId);
        await expect(f.claims.connect(f.cardiologistKey).submitClaim(...argsOf(f, { lines }, reference))).to.emit(
          f.claims,
          "ClaimAdjudicated",
        );
        await f.identity.as(f.registrar).revoke(f.hospitalId, STATUS_REASON);
        const later = newReference();
        before = await snapshot(f);
        await expect(f.claims.connect(f.cardiologistKey).submitClaim(...argsOf(f, { lines }, later)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotActive")
          .withArgs(f.hospitalId);
        await expectNothingChanged(f, before, claimIdOf(f.hospitalId, later));
      });

      it("refuses a patient and a payer with ClaimsNotAProvider", async function () {
        const f = await loadFixture(claimsFixture);
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        for (const [signer, id] of [
          [f.patientKey, f.patientId],
          [f.payerKey, f.payerId],
        ] as const) {
          const reference = newReference();
          const before = await snapshot(f);
          await expect(f.claims.connect(signer).submitClaim(...argsOf(f, { lines }, reference)))
            .to.be.revertedWithCustomError(f.claims, "ClaimsNotAProvider")
            .withArgs(signer.address, id);
          await expectNothingChanged(f, before, claimIdOf(id, reference), lines);
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        }
      });

      it("refuses every claim with EnforcedPause while paused", async function () {
        const f = await loadFixture(claimsFixture);
        await (await f.claims.connect(f.pauser).pause()).wait();
        const now = BigInt(await time.latest());
        const lines = [lineOf(LAB, 1n, usd(45n), now - DAY)];
        for (const signer of [f.hospitalKey, f.cardiologistKey]) {
          const reference = newReference();
          const before = await snapshot(f);
          await expect(
            f.claims.connect(signer).submitClaim(...argsOf(f, { lines }, reference)),
          ).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
          await expectNothingChanged(f, before, claimIdOf(f.hospitalId, reference), lines);
        }
      });
    });
  });
});
