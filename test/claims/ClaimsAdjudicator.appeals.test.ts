import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type ContractTransactionReceipt, keccak256, type Signer } from "ethers";

import {
  AdjustmentGroup,
  AppealStatus,
  claimIdOf,
  claimReference,
  type ClaimLineInput,
  ClaimStatus,
  decodeLineResult,
  type EobLine,
  packLine,
  PaymentStatus,
  procedureCode,
  Roles,
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
import { scheduleAndExecute } from "../helpers/governance";

// Unit tests of ClaimsAdjudicator.fileAppeal and decideAppeal: who may appeal, the content check, the one-appeal state
// machine and the window; what upholding and overturning do (re-adjudication with the timely-filing and authorization
// checks waived and every other check applied, the claim's totals and status, the line's payment) and who may decide.
// Figures are worked out by hand from the rules (claims-adjudication.md) beside each expectation; the fixture's plan
// has a $500 deductible, 20 % coinsurance, a $3,000 out-of-pocket maximum and a 180-day appeal window.

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const OFFICE = "99213";
const MRI = "70553";
/** A code the fixture's plan does not list. */
const UNLISTED = "15780";
/** The queue's line index of a claim's adjudication payment, as the contract's views return it. */
const CLAIM_PAYMENT = BigInt(CLAIM_PAYMENT_INDEX);
const PR = AdjustmentGroup.PatientResponsibility;
const CO = AdjustmentGroup.ContractualObligation;
const OA = AdjustmentGroup.OtherAdjustment;

const usd = (amount: bigint) => amount * USD;

const REFERENCE_KEY = keccak256(Buffer.from("appeals test reference key"));
let claimNumber = 0;
function newReference(): string {
  claimNumber += 1;
  return claimReference(REFERENCE_KEY, `APL-${claimNumber}`);
}

function lineOf(code: string, units: bigint, billed: bigint, serviceDate: bigint): ClaimLineInput {
  return { code, units, billed, serviceDate };
}

/** A claim's content as `fileAppeal` and `decideAppeal` take it. */
interface Content {
  member: string;
  plan: bigint;
  organization: bigint;
  submitter: bigint;
  lines: bigint[];
  attachments: string[];
}

interface Submitted {
  claimId: string;
  content: Content;
  at: bigint;
}

/** `signer` (billing `organization`) submits the lines for `member` (the fixture's) in the fixture's plan. */
async function submit(
  f: ClaimsFixture,
  signer: Signer,
  submitter: bigint,
  organization: bigint,
  lines: readonly ClaimLineInput[],
  member: string = f.member,
): Promise<Submitted> {
  const reference = newReference();
  const packed = lines.map(packLine);
  const tx = await f.claims.connect(signer).submitClaim(member, f.planId, reference, packed, []);
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("not mined");
  const block = await receipt.getBlock();
  return {
    claimId: claimIdOf(organization, reference),
    content: { member, plan: f.planId, organization, submitter, lines: packed, attachments: [] },
    at: BigInt(block.timestamp),
  };
}

/**
 * The hospital's claim most tests appeal:
 * - line 0: 99213 × 5 billed $600: allowed 600, deductible 500, copay 30, coinsurance floor(70 × 20 %) = 14 (owed 544,
 *   the plan pays 56);
 * - line 1: 70553 × 1 billed $2,000 with no authorization: denied 197 (CO, owed 0);
 * - line 2: unlisted code billed $80: denied 96 (PR, owed 80).
 * Totals: the plan pays 56, the patient owes 624; lines 1 and 2 denied, line 2 as patient responsibility.
 */
async function baseClaim(f: ClaimsFixture): Promise<Submitted & { lines: ClaimLineInput[] }> {
  const now = BigInt(await time.latest());
  const lines = [
    lineOf(OFFICE, 5n, usd(600n), now - 3n * DAY),
    lineOf(MRI, 1n, usd(2_000n), now - 2n * DAY),
    lineOf(UNLISTED, 1n, usd(80n), now - DAY),
  ];
  const submitted = await submit(f, f.hospitalKey, f.hospitalId, f.hospitalId, lines);
  expect(await summaryOf(f, submitted.claimId)).to.deep.include({
    status: ClaimStatus.PartiallyApproved,
    deniedLines: 0b110,
    prDenials: 0b100,
    planPays: usd(56n),
    patientOwes: usd(624n),
  });
  return { ...submitted, lines };
}

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

async function appealOf(f: ClaimsFixture, claimId: string, line: number) {
  const a = await f.claims.appeal(claimId, line);
  return { status: Number(a.status), payment: Number(a.payment), filedAt: a.filedAt, decidedAt: a.decidedAt };
}

async function accumulators(f: ClaimsFixture, seq = 0, member: string = f.member) {
  const e = await f.claims.enrollment(f.planId, member, seq);
  return { deductibleMet: e.deductibleMet, oopMet: e.oopMet };
}

/** Every piece of state an appeal could touch. */
async function snapshot(f: ClaimsFixture, claimId: string) {
  return {
    claim: await summaryOf(f, claimId),
    appeals: await Promise.all([0, 1, 2].map((line) => appealOf(f, claimId, line))),
    enrollment: await accumulators(f),
    payer: [...(await f.claims.payerAccount(f.payerId))],
    hospital: [...(await f.claims.providerAccount(f.hospitalId))],
  };
}

async function pinNext(): Promise<bigint> {
  const next = BigInt(await time.latest()) + 1n;
  await time.setNextBlockTimestamp(next);
  return next;
}

async function mined(tx: Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

type LineView = Omit<EobLine, "reAdjudicated" | "adjustments">;

/** The `LineAdjudicated` events of a receipt, decoded with the SDK. */
function linesOf(f: ClaimsFixture, receipt: ContractTransactionReceipt): LineView[] {
  const lines: LineView[] = [];
  for (const log of receipt.logs) {
    const parsed = f.claims.interface.parseLog(log);
    if (parsed?.name !== "LineAdjudicated") continue;
    const { adjustments, ...view } = decodeLineResult(
      parsed.args.getValue("content") as bigint,
      parsed.args.getValue("decision") as bigint,
      parsed.args.getValue("shares") as bigint,
    );
    expect(adjustments).to.be.an("array");
    lines.push(view);
  }
  return lines;
}

/** The names of a receipt's events, in order. */
function eventNames(f: ClaimsFixture, receipt: ContractTransactionReceipt): (string | undefined)[] {
  return receipt.logs.map((log) => f.claims.interface.parseLog(log)?.name);
}

function approved(
  index: number,
  line: ClaimLineInput,
  shares: { allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint },
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
    priorAuth: 0n,
  };
}

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
    patientOwes: group === PR ? line.billed : 0n,
    priorAuth: 0n,
  };
}

async function fileAppeal(f: ClaimsFixture, signer: Signer, claim: Submitted, line: number) {
  await (await f.claims.connect(signer).fileAppeal(claim.claimId, line, claim.content)).wait();
}

/** Grants `CLAIMS_REVIEWER` to `account` through the admin's delayed path. */
async function grantReviewer(f: ClaimsFixture, account: string) {
  await scheduleAndExecute(
    f.accessManager,
    f.admin,
    await f.accessManager.getAddress(),
    f.accessManager.interface.encodeFunctionData("grantRole", [Roles.CLAIMS_REVIEWER, account, 0]),
  );
}

/** The content with one field changed, for each field a tampered appeal could change. */
function tampered(f: ClaimsFixture, content: Content, extraLine: bigint): [string, Content][] {
  const [first, ...rest] = content.lines;
  if (first === undefined) throw new Error("no lines");
  return [
    ["member", { ...content, member: memberOf(content.plan, f.otherPatientId) }],
    ["plan", { ...content, plan: content.plan + 1n }],
    ["organization", { ...content, organization: f.clinicId }],
    ["submitter", { ...content, submitter: content.submitter === f.hospitalId ? f.cardiologistId : f.hospitalId }],
    ["a line's charge", { ...content, lines: [first + (1n << 72n), ...rest] }],
    ["a line dropped", { ...content, lines: content.lines.slice(0, -1) }],
    ["a line added", { ...content, lines: [...content.lines, extraLine] }],
    ["lines reordered", { ...content, lines: [...rest, first] }],
    ["an attachment added", { ...content, attachments: [keccak256("0x01")] }],
  ];
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ClaimsAdjudicator", function () {
  describe("fileAppeal", function () {
    it("files the submitting organization's appeal of a denied line", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const before = await snapshot(f, claim.claimId);
      const at = await pinNext();
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 1, f.hospitalId);
      expect(await appealOf(f, claim.claimId, 1)).to.deep.equal({
        status: AppealStatus.Filed,
        payment: PaymentStatus.None,
        filedAt: at,
        decidedAt: 0n,
      });
      // Nothing else moves: the claim, the other lines' appeals, the accumulators and the accounts.
      const after = await snapshot(f, claim.claimId);
      expect({ ...after, appeals: [after.appeals[0], after.appeals[2]] }).to.deep.equal({
        ...before,
        appeals: [before.appeals[0], before.appeals[2]],
      });
    });

    it("files the appeal of a practitioner's claim by the practitioner, and of another line by her organization", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = [lineOf(MRI, 1n, usd(2_000n), now - 2n * DAY), lineOf(UNLISTED, 1n, usd(80n), now - DAY)];
      const claim = await submit(f, f.cardiologistKey, f.cardiologistId, f.hospitalId, lines);
      let at = await pinNext();
      await expect(f.claims.connect(f.cardiologistKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 0, f.cardiologistId);
      expect(await appealOf(f, claim.claimId, 0)).to.deep.equal({
        status: AppealStatus.Filed,
        payment: PaymentStatus.None,
        filedAt: at,
        decidedAt: 0n,
      });
      at = await pinNext();
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 1, f.hospitalId);
      expect(await appealOf(f, claim.claimId, 1)).to.deep.equal({
        status: AppealStatus.Filed,
        payment: PaymentStatus.None,
        filedAt: at,
        decidedAt: 0n,
      });
    });

    it("refuses an unknown claim with ClaimsUnknownClaim", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const unknown = claimIdOf(f.hospitalId, newReference());
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(unknown, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownClaim")
        .withArgs(unknown);
      expect(await appealOf(f, unknown, 1)).to.deep.equal({ status: 0, payment: 0, filedAt: 0n, decidedAt: 0n });
    });

    it("refuses content that does not hash to the claim's, whichever field is changed, with ClaimsContentMismatch", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const extra = packLine(lineOf(OFFICE, 1n, usd(1n), claim.at - DAY));
      const before = await snapshot(f, claim.claimId);
      for (const [field, content] of tampered(f, claim.content, extra)) {
        await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, content), field)
          .to.be.revertedWithCustomError(f.claims, "ClaimsContentMismatch")
          .withArgs(claim.claimId);
      }
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses a line the claim does not have with ClaimsUnknownLine and an approved line with ClaimsLineNotDenied", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const before = await snapshot(f, claim.claimId);
      for (const line of [3, 15, 255]) {
        await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, line, claim.content))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownLine")
          .withArgs(claim.claimId, line);
      }
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsLineNotDenied")
        .withArgs(claim.claimId, 0);
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses anyone but the claim's submitter and organization with ClaimsNotClaimProvider", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = [lineOf(MRI, 1n, usd(2_000n), now - DAY)];
      const claim = await submit(f, f.cardiologistKey, f.cardiologistId, f.hospitalId, lines);
      const stranger = await namedSigner("appeal stranger");
      const callers = [f.clinicKey, f.clinicDoctorKey, f.patientKey, f.payerKey, f.internistKey, stranger];
      for (const caller of callers) {
        await expect(f.claims.connect(caller).fileAppeal(claim.claimId, 0, claim.content))
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotClaimProvider")
          .withArgs(claim.claimId, await caller.getAddress());
      }
      expect((await appealOf(f, claim.claimId, 0)).status).to.equal(AppealStatus.None);
    });

    it("refuses a suspended submitter with ClaimsNotClaimProvider", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await f.identity.as(f.registrar).suspend(f.hospitalId, 17);
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotClaimProvider")
        .withArgs(claim.claimId, f.hospitalKey.address);
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.None);
    });

    it("refuses the appeal of a suspended or revoked organization's claim, by its active practitioner, with ClaimsOrganizationNotActive", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = [lineOf(MRI, 1n, usd(2_000n), now - DAY), lineOf(UNLISTED, 1n, usd(80n), now - DAY)];
      const claim = await submit(f, f.cardiologistKey, f.cardiologistId, f.hospitalId, lines);
      await suspend(f, f.hospitalId);
      await expect(f.claims.connect(f.cardiologistKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotActive")
        .withArgs(f.hospitalId);
      // The suspended organization itself is no active claim provider.
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotClaimProvider")
        .withArgs(claim.claimId, f.hospitalKey.address);
      expect((await appealOf(f, claim.claimId, 0)).status).to.equal(AppealStatus.None);
      await reinstate(f, f.hospitalId);
      await expect(f.claims.connect(f.cardiologistKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 0, f.cardiologistId);
      await f.identity.as(f.registrar).revoke(f.hospitalId, STATUS_REASON);
      await expect(f.claims.connect(f.cardiologistKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotActive")
        .withArgs(f.hospitalId);
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.None);
    });

    it("passes a revoked organization's appeals to its successor: the successor files, the old submitter cannot", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = [lineOf(MRI, 1n, usd(2_000n), now - DAY), lineOf(UNLISTED, 1n, usd(80n), now - DAY)];
      const claim = await submit(f, f.cardiologistKey, f.cardiologistId, f.hospitalId, lines);
      await f.identity.as(f.registrar).revoke(f.hospitalId, STATUS_REASON);
      // Before any successor is assigned, the clinic is a stranger to the claim.
      await expect(f.claims.connect(f.clinicKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotClaimProvider")
        .withArgs(claim.claimId, f.clinicKey.address);
      await scheduleAndExecute(
        f.accessManager,
        f.admin,
        await f.claims.getAddress(),
        f.claims.interface.encodeFunctionData("assignSuccessor", [f.hospitalId, f.clinicId]),
      );
      // The practitioner who submitted, still active but of a revoked organization, no longer speaks for the claim.
      await expect(f.claims.connect(f.cardiologistKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotClaimProvider")
        .withArgs(claim.claimId, f.cardiologistKey.address);
      await expect(f.claims.connect(f.clinicKey).fileAppeal(claim.claimId, 0, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 0, f.clinicId);
      expect((await appealOf(f, claim.claimId, 0)).status).to.equal(AppealStatus.Filed);
      // A suspended successor cannot appeal the other line until reinstated.
      await suspend(f, f.clinicId);
      await expect(f.claims.connect(f.clinicKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotClaimProvider")
        .withArgs(claim.claimId, f.clinicKey.address);
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.None);
    });

    it("refuses a second appeal of the line, before and after the decision, with ClaimsInvalidAppealTransition", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      const filed = await appealOf(f, claim.claimId, 1);
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
        .withArgs(claim.claimId, 1, AppealStatus.Filed, AppealStatus.Filed);
      expect(await appealOf(f, claim.claimId, 1)).to.deep.equal(filed);
      await (await f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, false, claim.content)).wait();
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
        .withArgs(claim.claimId, 1, AppealStatus.Upheld, AppealStatus.Filed);
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.Upheld);
    });

    it("accepts an appeal at the last second of the window", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const deadline = claim.at + BigInt(STANDARD_TERMS.appealWindowDays) * DAY;
      await time.setNextBlockTimestamp(deadline);
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 1, f.hospitalId);
      expect(await appealOf(f, claim.claimId, 1)).to.deep.include({ status: AppealStatus.Filed, filedAt: deadline });
    });

    it("refuses an appeal one second after the window with ClaimsAppealWindowClosed(claimId, deadline)", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const deadline = claim.at + BigInt(STANDARD_TERMS.appealWindowDays) * DAY;
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsAppealWindowClosed")
        .withArgs(claim.claimId, deadline);
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.None);
    });

    it("keeps the window a claim was adjudicated with: an active plan's appeal window cannot change", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      const asPayer = f.claims.connect(f.payerKey);
      await expect(asPayer.updatePlanTerms(f.planId, { ...STANDARD_TERMS, appealWindowDays: 1 }))
        .to.be.revertedWithCustomError(f.claims, "ClaimsAppealWindowFixed")
        .withArgs(f.planId, STANDARD_TERMS.appealWindowDays);
      // Other terms may change; the window stays 180 days from adjudication.
      await (await asPayer.updatePlanTerms(f.planId, { ...STANDARD_TERMS, timelyFilingDays: 30 })).wait();
      await time.setNextBlockTimestamp(claim.at + BigInt(STANDARD_TERMS.appealWindowDays) * DAY);
      await expect(f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content))
        .to.emit(f.claims, "AppealFiled")
        .withArgs(claim.claimId, 1, f.hospitalId);
    });

    it("refuses with EnforcedPause while paused", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await (await f.claims.connect(f.pauser).pause()).wait();
      await expect(
        f.claims.connect(f.hospitalKey).fileAppeal(claim.claimId, 1, claim.content),
      ).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.None);
    });
  });

  describe("decideAppeal", function () {
    it("upholds an appeal: only the appeal's status and decision time change", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      const before = await snapshot(f, claim.claimId);
      const at = await pinNext();
      const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, false, claim.content);
      await expect(tx)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.claimId, 1, false, f.reviewerId, PaymentStatus.None);
      const receipt = await mined(tx);
      expect(eventNames(f, receipt)).to.deep.equal(["AppealDecided"]);
      const after = await snapshot(f, claim.claimId);
      expect(after.appeals[1]).to.deep.equal({
        status: AppealStatus.Upheld,
        payment: PaymentStatus.None,
        filedAt: before.appeals[1]?.filedAt,
        decidedAt: at,
      });
      expect({ ...after, appeals: [after.appeals[0], after.appeals[2]] }).to.deep.equal({
        ...before,
        appeals: [before.appeals[0], before.appeals[2]],
      });
    });

    it("overturns a missing-authorization denial: priced without consuming units, queued behind the claim's payment", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      // An approved authorization exists by the decision; the overturned line must not use it.
      const now = BigInt(await time.latest());
      const asHospital = f.priorAuths.connect(f.hospitalKey);
      const request = [f.member, f.planId, procedureCode(MRI), 2n, now - 20n * DAY, now] as const;
      const authId = await asHospital.requestPriorAuth.staticCall(...request);
      await (await asHospital.requestPriorAuth(...request)).wait();
      await (await f.priorAuths.connect(f.payerKey).approvePriorAuth(authId, 2n, now - 20n * DAY, now)).wait();
      await fileAppeal(f, f.hospitalKey, claim, 1);

      const at = await pinNext();
      const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content);
      await expect(tx)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.claimId, 1, true, f.reviewerId, PaymentStatus.Queued);
      const receipt = await mined(tx);
      expect(eventNames(f, receipt)).to.deep.equal(["LineAdjudicated", "AppealDecided"]);
      // Deductible met by line 0: allowed 1800; ded 0; copay 0; coins 360; the plan pays 1440.
      expect(linesOf(f, receipt)).to.deep.equal([
        approved(1, claim.lines[1]!, { allowed: usd(1_800n), deductible: 0n, copay: 0n, coinsurance: usd(360n) }),
      ]);
      expect((await f.priorAuths.priorAuth(authId)).unitsLeft).to.equal(2n);
      expect(await appealOf(f, claim.claimId, 1)).to.deep.include({
        status: AppealStatus.Overturned,
        payment: PaymentStatus.Queued,
        decidedAt: at,
      });
      // The claim: line 2 still denied (PR); plan pays 56 + 1440; the patient owes 624 + 360.
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.PartiallyApproved,
        payment: PaymentStatus.Queued,
        deniedLines: 0b100,
        prDenials: 0b100,
        planPays: usd(56n + 1_440n),
        patientOwes: usd(624n + 360n),
      });
      expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(544n + 360n) });
      expect(await f.claims.serviceBilled(f.member, f.hospitalId, procedureCode(MRI), claim.lines[1]!.serviceDate)).to
        .be.true;
      // The queue: the claim's total first, then the overturned line, with its index.
      expect([...(await f.claims.payerAccount(f.payerId))]).to.deep.equal([0n, 0n, 0n, 0n, 2n]);
      const entries = await Promise.all([0, 1].map((i) => f.claims.queuedPayment(f.payerId, i)));
      expect(entries.map((e) => [e.claimId, e.line, e.organization, e.amount])).to.deep.equal([
        [claim.claimId, CLAIM_PAYMENT, f.hospitalId, usd(56n)],
        [claim.claimId, 1n, f.hospitalId, usd(1_440n)],
      ]);

      // Funding pays both in order; the appeal's payment becomes Credited.
      const funding = f.claims.connect(f.payerKey).fund(usd(2_000n));
      await expect(funding)
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(claim.claimId, f.payerId, f.hospitalId, CLAIM_PAYMENT, usd(56n))
        .and.to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(claim.claimId, f.payerId, f.hospitalId, 1, usd(1_440n));
      expect((await appealOf(f, claim.claimId, 1)).payment).to.equal(PaymentStatus.Credited);
      expect((await summaryOf(f, claim.claimId)).payment).to.equal(PaymentStatus.Credited);
      expect([...(await f.claims.providerAccount(f.hospitalId))]).to.deep.equal([usd(1_496n), 0n]);
      expect([...(await f.claims.payerAccount(f.payerId))]).to.deep.equal([usd(504n), usd(2_000n), 0n, 2n, 2n]);
    });

    it("overturns a timely-filing denial, priced against its own period's accumulators and credited at once", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      // Another member with two periods, in chronological order: seq 0 long past, seq 1 the fixture's coverage.
      const member = memberOf(f.planId, f.otherPatientId);
      const asPayer = f.claims.connect(f.payerKey);
      await (await asPayer.enroll(f.planId, member, now - 100n * DAY, f.coverageStart - 10n * DAY)).wait();
      await (await asPayer.enroll(f.planId, member, f.coverageStart, f.coverageEnd)).wait();
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      const lines = [lineOf(OFFICE, 5n, usd(600n), now - 95n * DAY)];
      const claim = await submit(f, f.hospitalKey, f.hospitalId, f.hospitalId, lines, member);
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.Denied,
        payment: PaymentStatus.None,
        deniedLines: 1,
        planPays: 0n,
        patientOwes: 0n,
      });
      await fileAppeal(f, f.hospitalKey, claim, 0);
      const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 0, true, claim.content);
      await expect(tx)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.claimId, 0, true, f.reviewerId, PaymentStatus.Credited);
      const receipt = await mined(tx);
      expect(eventNames(f, receipt)).to.deep.equal(["LineAdjudicated", "AppealDecided"]);
      // allowed 600; ded 500; copay 30; coins floor(70 × 20 %) = 14; owed 544; the plan pays 56.
      expect(linesOf(f, receipt)).to.deep.equal([
        approved(0, lines[0]!, { allowed: usd(600n), deductible: usd(500n), copay: usd(30n), coinsurance: usd(14n) }),
      ]);
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.Approved,
        payment: PaymentStatus.None,
        deniedLines: 0,
        prDenials: 0,
        planPays: usd(56n),
        patientOwes: usd(544n),
      });
      expect((await appealOf(f, claim.claimId, 0)).payment).to.equal(PaymentStatus.Credited);
      expect(await accumulators(f, 0, member)).to.deep.equal({ deductibleMet: usd(500n), oopMet: usd(544n) });
      expect(await accumulators(f, 1, member)).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
      expect([...(await f.claims.providerAccount(f.hospitalId))]).to.deep.equal([usd(56n), 0n]);
      expect([...(await f.claims.payerAccount(f.payerId))]).to.deep.equal([usd(944n), usd(1_000n), 0n, 0n, 0n]);
    });

    it("overturns a patient-responsibility denial: the patient's billed amount comes off and the new share goes on", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await (
        await f.claims.connect(f.payerKey).setFees(f.planId, [
          {
            code: procedureCode(UNLISTED),
            allowedPerUnit: usd(100n),
            copay: usd(10n),
            requiresPriorAuth: false,
            maxUnits: 0,
          },
        ])
      ).wait();
      await fileAppeal(f, f.hospitalKey, claim, 2);
      const receipt = await mined(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 2, true, claim.content));
      // allowed = min(80, 100) = 80; ded 0 (met); copay 10; coins floor(70 × 20 %) = 14; owed 24; plan pays 56.
      expect(linesOf(f, receipt)).to.deep.equal([
        approved(2, claim.lines[2]!, { allowed: usd(80n), deductible: 0n, copay: usd(10n), coinsurance: usd(14n) }),
      ]);
      // The patient owed 624 (80 of it the denied line's charge): 624 − 80 + 24 = 568. Line 1 still denied (CO).
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.PartiallyApproved,
        deniedLines: 0b010,
        prDenials: 0,
        planPays: usd(56n + 56n),
        patientOwes: usd(568n),
      });
      // Overturning line 1 too approves the whole claim.
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await (await f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content)).wait();
      // Line 1: allowed 1800; coins 360; the plan pays 1440.
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.Approved,
        deniedLines: 0,
        prDenials: 0,
        planPays: usd(56n + 56n + 1_440n),
        patientOwes: usd(568n + 360n),
      });
    });

    it("denies the overturned line again with 242 when the organization has left the network", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await (await f.claims.connect(f.payerKey).setNetwork(f.planId, [f.hospitalId], false)).wait();
      const before = await snapshot(f, claim.claimId);
      const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content);
      await expect(tx)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.claimId, 1, true, f.reviewerId, PaymentStatus.None);
      const receipt = await mined(tx);
      expect(linesOf(f, receipt)).to.deep.equal([denied(1, claim.lines[1]!, 242, CO)]);
      const after = await snapshot(f, claim.claimId);
      expect(after.claim).to.deep.equal(before.claim);
      expect(after.appeals[1]).to.deep.include({ status: AppealStatus.Overturned, payment: PaymentStatus.None });
      expect(after.enrollment).to.deep.equal(before.enrollment);
      expect(after.payer).to.deep.equal(before.payer);
    });

    it("approves an overturned line the plan pays nothing for (all deductible) without queueing a payment", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const lines = [lineOf(MRI, 1n, usd(300n), now - DAY)];
      const claim = await submit(f, f.hospitalKey, f.hospitalId, f.hospitalId, lines);
      await fileAppeal(f, f.hospitalKey, claim, 0);
      const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 0, true, claim.content);
      await expect(tx)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.claimId, 0, true, f.reviewerId, PaymentStatus.None);
      // allowed = min(300, 1800) = 300, all of it deductible.
      expect(linesOf(f, await mined(tx))).to.deep.equal([
        approved(0, lines[0]!, { allowed: usd(300n), deductible: usd(300n), copay: 0n, coinsurance: 0n }),
      ]);
      expect(await appealOf(f, claim.claimId, 0)).to.deep.include({
        status: AppealStatus.Overturned,
        payment: PaymentStatus.None,
      });
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.Approved,
        payment: PaymentStatus.None,
        deniedLines: 0,
        planPays: 0n,
        patientOwes: usd(300n),
      });
      expect([...(await f.claims.payerAccount(f.payerId))]).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
      expect(await accumulators(f)).to.deep.equal({ deductibleMet: usd(300n), oopMet: usd(300n) });
    });

    it("takes a patient-responsibility denial off the patient when the overturned line is denied again as CO (242)", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 2);
      await (
        await f.claims.connect(f.payerKey).setFees(f.planId, [
          {
            code: procedureCode(UNLISTED),
            allowedPerUnit: usd(100n),
            copay: 0n,
            requiresPriorAuth: false,
            maxUnits: 0,
          },
        ])
      ).wait();
      await (await f.claims.connect(f.payerKey).setNetwork(f.planId, [f.hospitalId], false)).wait();
      const receipt = await mined(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 2, true, claim.content));
      expect(linesOf(f, receipt)).to.deep.equal([denied(2, claim.lines[2]!, 242, CO)]);
      // Still denied, but no longer the patient's: 624 − 80.
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.PartiallyApproved,
        deniedLines: 0b110,
        prDenials: 0,
        planPays: usd(56n),
        patientOwes: usd(544n),
      });
    });

    it("denies the overturned line with 96 (PR) when its code has left the fee schedule, the patient owing its charge", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await (await f.claims.connect(f.payerKey).removeFees(f.planId, [procedureCode(MRI)])).wait();
      const receipt = await mined(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content));
      expect(linesOf(f, receipt)).to.deep.equal([denied(1, claim.lines[1]!, 96, PR)]);
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.PartiallyApproved,
        deniedLines: 0b110,
        prDenials: 0b110,
        planPays: usd(56n),
        patientOwes: usd(624n + 2_000n),
      });
    });

    it("denies the overturned line as a duplicate (18) when the service was approved on another claim meanwhile", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      const now = BigInt(await time.latest());
      const asHospital = f.priorAuths.connect(f.hospitalKey);
      const request = [f.member, f.planId, procedureCode(MRI), 1n, now - 20n * DAY, now] as const;
      const authId = await asHospital.requestPriorAuth.staticCall(...request);
      await (await asHospital.requestPriorAuth(...request)).wait();
      await (await f.priorAuths.connect(f.payerKey).approvePriorAuth(authId, 1n, now - 20n * DAY, now)).wait();
      const again = await submit(f, f.hospitalKey, f.hospitalId, f.hospitalId, [claim.lines[1]!]);
      expect((await summaryOf(f, again.claimId)).status).to.equal(ClaimStatus.Approved);
      const before = await snapshot(f, claim.claimId);
      const receipt = await mined(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content));
      expect(linesOf(f, receipt)).to.deep.equal([denied(1, claim.lines[1]!, 18, OA)]);
      expect(await summaryOf(f, claim.claimId)).to.deep.equal(before.claim);
    });

    it("denies an overturned 151 line again with 151: appeals do not waive the medically unlikely edit", async function () {
      const f = await loadFixture(claimsFixture);
      await (
        await f.claims.connect(f.payerKey).setFees(f.planId, [
          {
            code: procedureCode("97110"),
            allowedPerUnit: usd(40n),
            copay: usd(20n),
            requiresPriorAuth: false,
            maxUnits: 4,
          },
        ])
      ).wait();
      const now = BigInt(await time.latest());
      const lines = [lineOf("97110", 6n, usd(300n), now - DAY)];
      const claim = await submit(f, f.hospitalKey, f.hospitalId, f.hospitalId, lines);
      expect(await summaryOf(f, claim.claimId)).to.deep.include({
        status: ClaimStatus.Denied,
        deniedLines: 1,
        prDenials: 0,
      });
      await fileAppeal(f, f.hospitalKey, claim, 0);
      const before = await summaryOf(f, claim.claimId);
      const tx = f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 0, true, claim.content);
      await expect(tx)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.claimId, 0, true, f.reviewerId, PaymentStatus.None);
      expect(linesOf(f, await mined(tx))).to.deep.equal([denied(0, lines[0]!, 151, CO)]);
      expect(await summaryOf(f, claim.claimId)).to.deep.equal(before);
      expect(await appealOf(f, claim.claimId, 0)).to.deep.include({
        status: AppealStatus.Overturned,
        payment: PaymentStatus.None,
      });
      expect(await accumulators(f)).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
    });

    it("denies an overturned coverage denial again (check 1 is not waived)", async function () {
      const f = await loadFixture(claimsFixture);
      const lines = [lineOf(OFFICE, 1n, usd(150n), f.coverageStart - 1n)];
      const claim = await submit(f, f.hospitalKey, f.hospitalId, f.hospitalId, lines);
      await fileAppeal(f, f.hospitalKey, claim, 0);
      const before = await summaryOf(f, claim.claimId);
      expect(before).to.deep.include({ deniedLines: 1, prDenials: 1, patientOwes: usd(150n) });
      const receipt = await mined(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 0, true, claim.content));
      expect(linesOf(f, receipt)).to.deep.equal([denied(0, lines[0]!, 26, PR)]);
      expect(await summaryOf(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses callers without CLAIMS_REVIEWER with AccessManagedUnauthorized", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      const before = await snapshot(f, claim.claimId);
      for (const caller of [f.payerKey, f.hospitalKey, f.cardiologistKey, f.patientKey, f.admin]) {
        await expect(f.claims.connect(caller).decideAppeal(claim.claimId, 1, true, claim.content))
          .to.be.revertedWithCustomError(f.claims, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses role holders who are not practitioners of the plan's payer with ClaimsReviewerNotOfPayer", async function () {
      const f = await loadFixture(claimsFixture);
      // The plan's payer key itself, a practitioner of the hospital and the hospital, each granted the role.
      for (const key of [f.payerKey, f.cardiologistKey, f.hospitalKey]) await grantReviewer(f, key.address);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      const before = await snapshot(f, claim.claimId);
      for (const caller of [f.otherReviewerKey, f.payerKey, f.cardiologistKey, f.hospitalKey]) {
        await expect(f.claims.connect(caller).decideAppeal(claim.claimId, 1, true, claim.content))
          .to.be.revertedWithCustomError(f.claims, "ClaimsReviewerNotOfPayer")
          .withArgs(caller.address, f.payerId);
      }
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses a suspended reviewer with ClaimsReviewerNotOfPayer", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await f.identity.as(f.registrar).suspend(f.reviewerId, 17);
      await expect(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsReviewerNotOfPayer")
        .withArgs(f.reviewerKey.address, f.payerId);
      expect((await appealOf(f, claim.claimId, 1)).status).to.equal(AppealStatus.Filed);
    });

    it("refuses tampered content with ClaimsContentMismatch and an unknown claim with ClaimsUnknownClaim", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      const before = await snapshot(f, claim.claimId);
      const extra = packLine(lineOf(OFFICE, 1n, usd(1n), claim.at - DAY));
      for (const [field, content] of tampered(f, claim.content, extra)) {
        await expect(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, content), field)
          .to.be.revertedWithCustomError(f.claims, "ClaimsContentMismatch")
          .withArgs(claim.claimId);
      }
      const unknown = claimIdOf(f.hospitalId, newReference());
      await expect(f.claims.connect(f.reviewerKey).decideAppeal(unknown, 1, true, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownClaim")
        .withArgs(unknown);
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses to decide an appeal never filed, or one already decided, with ClaimsInvalidAppealTransition", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      for (const [overturn, to] of [
        [false, AppealStatus.Upheld],
        [true, AppealStatus.Overturned],
      ] as const) {
        await expect(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, overturn, claim.content))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
          .withArgs(claim.claimId, 1, AppealStatus.None, to);
      }
      // An approved line is never filed, so it cannot be decided either.
      await expect(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 0, true, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
        .withArgs(claim.claimId, 0, AppealStatus.None, AppealStatus.Overturned);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await (await f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, false, claim.content)).wait();
      const before = await snapshot(f, claim.claimId);
      for (const [overturn, to] of [
        [false, AppealStatus.Upheld],
        [true, AppealStatus.Overturned],
      ] as const) {
        await expect(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, overturn, claim.content))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
          .withArgs(claim.claimId, 1, AppealStatus.Upheld, to);
      }
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses an overturned appeal a second decision", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await (await f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content)).wait();
      const before = await snapshot(f, claim.claimId);
      await expect(f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidAppealTransition")
        .withArgs(claim.claimId, 1, AppealStatus.Overturned, AppealStatus.Overturned);
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });

    it("refuses with EnforcedPause while paused", async function () {
      const f = await loadFixture(claimsFixture);
      const claim = await baseClaim(f);
      await fileAppeal(f, f.hospitalKey, claim, 1);
      await (await f.claims.connect(f.pauser).pause()).wait();
      const before = await snapshot(f, claim.claimId);
      await expect(
        f.claims.connect(f.reviewerKey).decideAppeal(claim.claimId, 1, true, claim.content),
      ).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      expect(await snapshot(f, claim.claimId)).to.deep.equal(before);
    });
  });
});
