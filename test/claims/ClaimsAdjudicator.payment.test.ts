import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type BaseContract, keccak256, type Signer, ZeroAddress, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import {
  ClaimsClient,
  claimIdOf,
  claimReference,
  commit,
  ParticipantKind,
  PaymentStatus,
  procedureCode,
  toPaymentStatus,
  CLAIM_PAYMENT as CLAIM_PAYMENT_INDEX,
  SECONDS_PER_DAY as DAY,
} from "../../sdk";
import { MAX_SUCCESSION_DEPTH } from "../../sdk/claims/model";
import type { ClaimsAdjudicator } from "../../typechain-types";
import {
  type ClaimsFixture,
  claimsFixture,
  namedSigner,
  pauseClaims,
  reinstate,
  STATUS_REASON,
  suspend,
  USD,
} from "../fixtures/claims";

// Unit tests of ClaimsAdjudicator's payment: funding, crediting at adjudication, the first-in first-out queue of unpaid
// payments and its settlement, providers' withdrawals, payers' withdrawals of surplus (withdrawFunds), the admin's
// assignment of a revoked organization's money to a successor, the books (`funded = token balance + withdrawn by
// providers + withdrawn by payers` and `token balance = payer balances + provider balances`), and the adjudicator with hostile settlement tokens (re-entrant, false-returning,
// fee-on-transfer). Most tests use a "pay-through" plan (no deductible, no copay, no coinsurance, $10,000 allowed per
// unit), under which a line's plan payment is exactly its charge, so every amount below is a claim's charge.

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const OFFICE = "99213";
const UNLISTED = "15780";
/** The queue's line index of a claim's adjudication payment, as the contract's views return it. */
const CLAIM_PAYMENT = BigInt(CLAIM_PAYMENT_INDEX);
const MAX_SETTLE = 256n;

const usd = (amount: bigint) => amount * USD;

const REFERENCE_KEY = keccak256(Buffer.from("payment test reference key"));
let claimNumber = 0;
function newReference(): string {
  claimNumber += 1;
  return claimReference(REFERENCE_KEY, `PAY-${claimNumber}`);
}

/** The pay-through plan's terms: everything allowed is paid by the plan. */
const PAY_THROUGH_TERMS = {
  deductible: 0n,
  oopMax: 0n,
  coinsuranceBps: 0,
  timelyFilingDays: 365,
  appealWindowDays: 30,
};
const PAY_THROUGH_FEES = [
  { code: procedureCode(OFFICE), allowedPerUnit: usd(10_000n), copay: 0n, requiresPriorAuth: false, maxUnits: 0 },
];

/**
 * `payerKey` creates the pay-through plan on `adjudicator` with the hospital and the clinic in network and enrolls the
 * patient from 300 days ago for a year and a half, so that claims can be dated on as many distinct days as a test needs.
 */
async function payThroughPlan(
  f: ClaimsFixture,
  adjudicator: ClaimsAdjudicator = f.claims,
  payerKey: Signer = f.payerKey,
): Promise<bigint> {
  const asPayer = adjudicator.connect(payerKey);
  const planId = await asPayer.createPlan.staticCall(PAY_THROUGH_TERMS);
  await (await asPayer.createPlan(PAY_THROUGH_TERMS)).wait();
  await (await asPayer.setFees(planId, PAY_THROUGH_FEES)).wait();
  await (await asPayer.setNetwork(planId, [f.hospitalId, f.clinicId], true)).wait();
  await (await asPayer.activatePlan(planId)).wait();
  const now = BigInt(await time.latest());
  // The fixture's member pseudonym, enrolled in this plan too (claims below name it).
  await (await asPayer.enroll(planId, f.member, now - 300n * DAY, now + 250n * DAY)).wait();
  return planId;
}

interface Paid {
  claimId: string;
  payment: PaymentStatus;
}

/** `signer` bills `amount` on one line `daysAgo` days back under `planId`; returns the claim id and its payment. */
async function bill(
  f: ClaimsFixture,
  planId: bigint,
  amount: bigint,
  daysAgo: bigint,
  signer: Signer = f.hospitalKey,
  organization: bigint = f.hospitalId,
  adjudicator: ClaimsAdjudicator = f.claims,
): Promise<Paid> {
  const reference = newReference();
  const now = BigInt(await time.latest());
  const line = packLine(OFFICE, 1n, amount, now - daysAgo * DAY);
  await (await adjudicator.connect(signer).submitClaim(f.member, planId, reference, [line], [])).wait();
  const claimId = claimIdOf(organization, reference);
  const summary = await adjudicator.claim(claimId);
  expect(summary.planPays).to.equal(amount);
  return { claimId, payment: toPaymentStatus(summary.payment) };
}

function packLine(code: string, units: bigint, billed: bigint, serviceDate: bigint): bigint {
  return (serviceDate << 152n) | (billed << 72n) | (units << 40n) | BigInt(procedureCode(code));
}

async function payerOf(adjudicator: ClaimsAdjudicator, payer: bigint) {
  const [balance, funded, withdrawn, head, tail] = await adjudicator.payerAccount(payer);
  return { balance, funded, withdrawn, head, tail };
}

async function providerOf(adjudicator: ClaimsAdjudicator, organization: bigint) {
  const [balance, withdrawn] = await adjudicator.providerAccount(organization);
  return { balance, withdrawn };
}

async function queueEntry(adjudicator: ClaimsAdjudicator, payer: bigint, index: bigint) {
  const e = await adjudicator.queuedPayment(payer, index);
  return { claimId: e.claimId, line: e.line, organization: e.organization, amount: e.amount };
}

async function paymentOf(adjudicator: ClaimsAdjudicator, claimId: string): Promise<PaymentStatus> {
  return toPaymentStatus((await adjudicator.claim(claimId)).payment);
}

interface Token extends BaseContract {
  balanceOf(account: string): Promise<bigint>;
}

/**
 * The books balance: what the payers ever funded equals what the adjudicator holds plus what providers and payers
 * withdrew, and what it holds equals the payers' plus the providers' balances.
 */
async function expectBooksBalance(
  f: ClaimsFixture,
  adjudicator: ClaimsAdjudicator = f.claims,
  token: Token = f.token,
  otherOrganizations: bigint[] = [],
): Promise<void> {
  const held = await token.balanceOf(await adjudicator.getAddress());
  let funded = 0n;
  let payerBalances = 0n;
  let withdrawn = 0n;
  for (const payer of [f.payerId, f.otherPayerId]) {
    const account = await payerOf(adjudicator, payer);
    funded += account.funded;
    payerBalances += account.balance;
    withdrawn += account.withdrawn;
  }
  let providerBalances = 0n;
  for (const organization of [f.hospitalId, f.clinicId, ...otherOrganizations]) {
    const account = await providerOf(adjudicator, organization);
    withdrawn += account.withdrawn;
    providerBalances += account.balance;
  }
  expect(funded, "funded = held + withdrawn").to.equal(held + withdrawn);
  expect(held, "held = payer balances + provider balances").to.equal(payerBalances + providerBalances);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ClaimsAdjudicator", function () {
  describe("fund", function () {
    it("moves the payer's tokens in and adds them to its balance and to what it funded", async function () {
      const f = await loadFixture(claimsFixture);
      expect(await f.claims.connect(f.payerKey).fund.staticCall(usd(700n))).to.equal(0n);
      const tx = f.claims.connect(f.payerKey).fund(usd(700n));
      await expect(tx).to.emit(f.claims, "PayerFunded").withArgs(f.payerId, usd(700n));
      await expect(tx).to.changeTokenBalances(f.token, [f.payerKey, f.claims], [-usd(700n), usd(700n)]);
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(700n),
        funded: usd(700n),
        withdrawn: 0n,
        head: 0n,
        tail: 0n,
      });
      await expect(f.claims.connect(f.payerKey).fund(usd(300n)))
        .to.emit(f.claims, "PayerFunded")
        .withArgs(f.payerId, usd(300n));
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(1_000n), funded: usd(1_000n) });
      expect(await payerOf(f.claims, f.otherPayerId)).to.deep.include({ balance: 0n, funded: 0n });
      await expectBooksBalance(f);
    });

    it("refuses zero with ClaimsZeroAmount", async function () {
      const f = await loadFixture(claimsFixture);
      await expect(f.claims.connect(f.payerKey).fund(0)).to.be.revertedWithCustomError(f.claims, "ClaimsZeroAmount");
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: 0n, funded: 0n });
    });

    it("refuses anyone but an active payer with ClaimsNotAPayer", async function () {
      const f = await loadFixture(claimsFixture);
      const stranger = await namedSigner("funding stranger");
      for (const caller of [f.hospitalKey, f.patientKey, f.reviewerKey, f.sponsorKey, stranger]) {
        await expect(f.claims.connect(caller).fund(usd(1n)))
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
          .withArgs(await caller.getAddress());
      }
      await f.identity.as(f.registrar).suspend(f.payerId, 17);
      await expect(f.claims.connect(f.payerKey).fund(usd(1n)))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
        .withArgs(f.payerKey.address);
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: 0n, funded: 0n });
      expect(await f.token.balanceOf(await f.claims.getAddress())).to.equal(0n);
    });

    it("refuses with EnforcedPause while paused", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.pauser).pause()).wait();
      await expect(f.claims.connect(f.payerKey).fund(usd(1n))).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: 0n, funded: 0n });
    });
  });

  describe("payment at adjudication", function () {
    it("credits the organization at once when the payer's balance covers the claim and nothing is queued", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(500n))).wait();
      const paid = await bill(f, planId, usd(300n), 1n);
      expect(paid.payment).to.equal(PaymentStatus.Credited);
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(200n),
        funded: usd(500n),
        withdrawn: 0n,
        head: 0n,
        tail: 0n,
      });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
      // The balance covers exactly the next one.
      expect((await bill(f, planId, usd(200n), 2n, f.clinicKey, f.clinicId)).payment).to.equal(PaymentStatus.Credited);
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: 0n });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: usd(200n), withdrawn: 0n });
      await expectBooksBalance(f);
    });

    it("queues a claim the balance cannot cover, and every later claim behind it even one that would fit", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(50n))).wait();
      const big = await bill(f, planId, usd(100n), 1n);
      expect(big.payment).to.equal(PaymentStatus.Queued);
      const small = await bill(f, planId, usd(10n), 2n, f.clinicKey, f.clinicId);
      expect(small.payment).to.equal(PaymentStatus.Queued);
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(50n),
        funded: usd(50n),
        withdrawn: 0n,
        head: 0n,
        tail: 2n,
      });
      expect(await queueEntry(f.claims, f.payerId, 0n)).to.deep.equal({
        claimId: big.claimId,
        line: CLAIM_PAYMENT,
        organization: f.hospitalId,
        amount: usd(100n),
      });
      expect(await queueEntry(f.claims, f.payerId, 1n)).to.deep.equal({
        claimId: small.claimId,
        line: CLAIM_PAYMENT,
        organization: f.clinicId,
        amount: usd(10n),
      });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: 0n, withdrawn: 0n });
      await expectBooksBalance(f);
    });

    it("never queues a claim the plan pays nothing for, even behind unpaid ones", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await bill(f, planId, usd(100n), 1n);
      const reference = newReference();
      const now = BigInt(await time.latest());
      const lines = [packLine(UNLISTED, 1n, usd(80n), now - 2n * DAY), packLine(OFFICE, 1n, usd(90n), now - 2n * DAY)];
      // The fixture's plan, same payer: line 0 is denied (96), line 1 all deductible; the plan pays nothing.
      await (await f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, lines, [])).wait();
      const summary = await f.claims.claim(claimIdOf(f.hospitalId, reference));
      expect([summary.planPays, Number(summary.payment)]).to.deep.equal([0n, PaymentStatus.None]);
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ head: 0n, tail: 1n });
    });

    it("keeps each payer's queue to itself", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const otherPlan = await payThroughPlan(f, f.claims, f.otherPayerKey);
      await (await f.claims.connect(f.otherPayerKey).fund(usd(100n))).wait();
      expect((await bill(f, planId, usd(10n), 1n)).payment).to.equal(PaymentStatus.Queued);
      expect((await bill(f, otherPlan, usd(10n), 2n)).payment).to.equal(PaymentStatus.Credited);
      expect(await payerOf(f.claims, f.otherPayerId)).to.deep.equal({
        balance: usd(90n),
        funded: usd(100n),
        withdrawn: 0n,
        head: 0n,
        tail: 0n,
      });
      await expectBooksBalance(f);
    });
  });

  describe("settling the queue", function () {
    it("pays queued claims in order when the payer funds, stopping at the first that does not fit", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const claims = [
        await bill(f, planId, usd(100n), 1n),
        await bill(f, planId, usd(30n), 2n, f.clinicKey, f.clinicId),
        await bill(f, planId, usd(500n), 3n),
        await bill(f, planId, usd(20n), 4n, f.clinicKey, f.clinicId),
      ];
      for (const c of claims) expect(c.payment).to.equal(PaymentStatus.Queued);
      await expectBooksBalance(f);

      // 140 pays 100 and 30; 500 does not fit and the 20 behind it waits.
      expect(await f.claims.connect(f.payerKey).fund.staticCall(usd(140n))).to.equal(2n);
      const tx = f.claims.connect(f.payerKey).fund(usd(140n));
      await expect(tx)
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(claims[0]!.claimId, f.payerId, f.hospitalId, CLAIM_PAYMENT, usd(100n))
        .and.to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(claims[1]!.claimId, f.payerId, f.clinicId, CLAIM_PAYMENT, usd(30n));
      const receipt = await (await tx).wait();
      const credited = receipt?.logs.filter((l) => f.claims.interface.parseLog(l)?.name === "QueuedPaymentCredited");
      expect(credited).to.have.length(2);
      expect(await Promise.all(claims.map((c) => paymentOf(f.claims, c.claimId)))).to.deep.equal([
        PaymentStatus.Credited,
        PaymentStatus.Credited,
        PaymentStatus.Queued,
        PaymentStatus.Queued,
      ]);
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(10n),
        funded: usd(140n),
        withdrawn: 0n,
        head: 2n,
        tail: 4n,
      });
      expect(await queueEntry(f.claims, f.payerId, 0n)).to.deep.equal({
        claimId: ZeroHash,
        line: 0n,
        organization: 0n,
        amount: 0n,
      });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.include({ balance: usd(100n) });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.include({ balance: usd(30n) });
      await expectBooksBalance(f);

      // A claim adjudicated now still queues behind the unpaid 500, though the balance would cover it.
      const later = await bill(f, planId, usd(5n), 5n);
      expect(later.payment).to.equal(PaymentStatus.Queued);
      await expectBooksBalance(f);

      // 600 more: 500, 20 and 5 are paid, in that order.
      const rest = f.claims.connect(f.payerKey).fund(usd(600n));
      await expect(rest)
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(claims[2]!.claimId, f.payerId, f.hospitalId, CLAIM_PAYMENT, usd(500n))
        .and.to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(claims[3]!.claimId, f.payerId, f.clinicId, CLAIM_PAYMENT, usd(20n))
        .and.to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(later.claimId, f.payerId, f.hospitalId, CLAIM_PAYMENT, usd(5n));
      const order = (await (await rest).wait())?.logs
        .map((l) => f.claims.interface.parseLog(l))
        .filter((p) => p?.name === "QueuedPaymentCredited")
        .map((p) => p?.args.getValue("claimId") as string);
      expect(order).to.deep.equal([claims[2]!.claimId, claims[3]!.claimId, later.claimId]);
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(740n - 655n),
        funded: usd(740n),
        withdrawn: 0n,
        head: 5n,
        tail: 5n,
      });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.include({ balance: usd(605n) });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.include({ balance: usd(50n) });
      await expectBooksBalance(f);

      // With the queue empty, the next claim is credited at once again.
      expect((await bill(f, planId, usd(85n), 6n)).payment).to.equal(PaymentStatus.Credited);
      await expectBooksBalance(f);
    });

    it("pays at most 32 per funding; settleQueue, callable by anyone, pays the rest", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const queued: string[] = [];
      for (let i = 1n; i <= 40n; i++) queued.push((await bill(f, planId, usd(1n), i)).claimId);
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ head: 0n, tail: 40n });

      expect(await f.claims.connect(f.payerKey).fund.staticCall(usd(100n))).to.equal(32n);
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(68n),
        funded: usd(100n),
        withdrawn: 0n,
        head: 32n,
        tail: 40n,
      });
      expect(await paymentOf(f.claims, queued[31]!)).to.equal(PaymentStatus.Credited);
      expect(await paymentOf(f.claims, queued[32]!)).to.equal(PaymentStatus.Queued);
      await expectBooksBalance(f);

      const anyone = f.patientKey;
      for (const bound of [0n, MAX_SETTLE + 1n]) {
        await expect(f.claims.connect(anyone).settleQueue(f.payerId, bound))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidSettleBound")
          .withArgs(bound, MAX_SETTLE);
      }
      expect(await f.claims.connect(anyone).settleQueue.staticCall(f.payerId, 5)).to.equal(5n);
      await expect(f.claims.connect(anyone).settleQueue(f.payerId, 5))
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(queued[36]!, f.payerId, f.hospitalId, CLAIM_PAYMENT, usd(1n));
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(63n), head: 37n, tail: 40n });
      expect(await paymentOf(f.claims, queued[37]!)).to.equal(PaymentStatus.Queued);
      expect(await f.claims.connect(anyone).settleQueue.staticCall(f.payerId, MAX_SETTLE)).to.equal(3n);
      await (await f.claims.connect(anyone).settleQueue(f.payerId, MAX_SETTLE)).wait();
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(60n),
        funded: usd(100n),
        withdrawn: 0n,
        head: 40n,
        tail: 40n,
      });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.include({ balance: usd(40n) });
      expect(await Promise.all(queued.map((id) => paymentOf(f.claims, id)))).to.deep.equal(
        queued.map(() => PaymentStatus.Credited),
      );
      // Nothing left: settling pays nothing and changes nothing.
      expect(await f.claims.connect(anyone).settleQueue.staticCall(f.payerId, 1)).to.equal(0n);
      await expectBooksBalance(f);
    });

    it("settles nothing while the balance does not cover the head of the queue", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await bill(f, planId, usd(100n), 1n);
      await bill(f, planId, usd(1n), 2n);
      await (await f.claims.connect(f.payerKey).fund(usd(99n))).wait();
      expect(await f.claims.settleQueue.staticCall(f.payerId, 10)).to.equal(0n);
      await expect(f.claims.settleQueue(f.payerId, 10)).to.not.emit(f.claims, "QueuedPaymentCredited");
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(99n),
        funded: usd(99n),
        withdrawn: 0n,
        head: 0n,
        tail: 2n,
      });
      await expectBooksBalance(f);
    });

    it("refuses settleQueue with EnforcedPause while paused", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.pauser).pause()).wait();
      await expect(f.claims.settleQueue(f.payerId, 1)).to.be.revertedWithCustomError(f.claims, "EnforcedPause");
    });
  });

  describe("withdraw", function () {
    it("sends the organization its whole balance, zeroes it and adds it to what it withdrew", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      await bill(f, planId, usd(300n), 1n);
      await bill(f, planId, usd(200n), 2n, f.cardiologistKey);
      const treasury = await namedSigner("hospital treasury");
      expect(await f.claims.connect(f.hospitalKey).withdraw.staticCall(treasury.address)).to.equal(usd(500n));
      const tx = f.claims.connect(f.hospitalKey).withdraw(treasury.address);
      await expect(tx).to.emit(f.claims, "ProviderWithdrew").withArgs(f.hospitalId, treasury.address, usd(500n));
      await expect(tx).to.changeTokenBalances(f.token, [f.claims, treasury], [-usd(500n), usd(500n)]);
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: usd(500n) });
      await expectBooksBalance(f);

      await bill(f, planId, usd(70n), 3n);
      await expect(f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
        .to.emit(f.claims, "ProviderWithdrew")
        .withArgs(f.hospitalId, f.hospitalKey.address, usd(70n));
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: usd(570n) });
      expect(await f.token.balanceOf(f.hospitalKey.address)).to.equal(usd(70n));
      await expectBooksBalance(f);
    });

    it("refuses an organization owed nothing (ClaimsNothingToWithdraw) and anyone but an active organization (ClaimsNotAnActiveOrganization)", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      await bill(f, planId, usd(300n), 1n);
      const stranger = await namedSigner("withdrawal stranger");
      // The clinic is owed nothing.
      await expect(f.claims.connect(f.clinicKey).withdraw(f.clinicKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNothingToWithdraw")
        .withArgs(f.clinicKey.address);
      // The hospital's practitioner, the patient and the payer are not organizations; the stranger is nobody.
      for (const caller of [f.cardiologistKey, f.patientKey, f.payerKey, stranger]) {
        const address = await caller.getAddress();
        await expect(f.claims.connect(caller).withdraw(address))
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAnActiveOrganization")
          .withArgs(address);
      }
      // A suspended hospital keeps its balance until it is reinstated.
      await f.identity.as(f.registrar).suspend(f.hospitalId, 17);
      await expect(f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAnActiveOrganization")
        .withArgs(f.hospitalKey.address);
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
      await expectBooksBalance(f);
    });

    it("refuses a second withdrawal of an emptied balance with ClaimsNothingToWithdraw", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      await bill(f, planId, usd(300n), 1n);
      await (await f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address)).wait();
      await expect(f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNothingToWithdraw")
        .withArgs(f.hospitalKey.address);
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: usd(300n) });
    });

    it("refuses the zero address with ClaimsInvalidRecipient", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      await bill(f, planId, usd(300n), 1n);
      await expect(f.claims.connect(f.hospitalKey).withdraw(ZeroAddress)).to.be.revertedWithCustomError(
        f.claims,
        "ClaimsInvalidRecipient",
      );
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
    });

    it("refuses with EnforcedPause while paused", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      await bill(f, planId, usd(300n), 1n);
      await (await f.claims.connect(f.pauser).pause()).wait();
      await expect(f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address)).to.be.revertedWithCustomError(
        f.claims,
        "EnforcedPause",
      );
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
    });
  });

  describe("withdrawFunds", function () {
    it("sends the payer's surplus to `to`, emitting PayerWithdrew, and books it as withdrawn by the payer", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const treasury = await namedSigner("payer treasury");
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      expect((await bill(f, planId, usd(300n), 1n)).payment).to.equal(PaymentStatus.Credited);
      const tx = f.claims.connect(f.payerKey).withdrawFunds(usd(400n), treasury.address);
      await expect(tx).to.emit(f.claims, "PayerWithdrew").withArgs(f.payerId, treasury.address, usd(400n));
      await expect(tx).to.changeTokenBalances(
        f.token,
        [await f.claims.getAddress(), treasury.address],
        [-usd(400n), usd(400n)],
      );
      expect(await payerOf(f.claims, f.payerId)).to.deep.equal({
        balance: usd(300n),
        funded: usd(1_000n),
        withdrawn: usd(400n),
        head: 0n,
        tail: 0n,
      });
      await expectBooksBalance(f);
      // Down to exactly zero; the provider's credit is untouched.
      await expect(f.claims.connect(f.payerKey).withdrawFunds(usd(300n), f.payerKey.address))
        .to.emit(f.claims, "PayerWithdrew")
        .withArgs(f.payerId, f.payerKey.address, usd(300n));
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: 0n, withdrawn: usd(700n) });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
      await expectBooksBalance(f);
      // Funding again after a withdrawal pays claims as usual.
      await (await f.claims.connect(f.payerKey).fund(usd(50n))).wait();
      expect((await bill(f, planId, usd(50n), 2n)).payment).to.equal(PaymentStatus.Credited);
      await expectBooksBalance(f);
    });

    it("refuses any amount while a payment waits in the payer's queue with ClaimsPayerHasQueue(payer, unpaid)", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      await bill(f, planId, usd(150n), 1n);
      await bill(f, planId, usd(10n), 2n);
      // 100 held, two payments (150, 10) unpaid: every unit is owed to the head of the queue first.
      for (const amount of [1n, usd(100n)]) {
        await expect(f.claims.connect(f.payerKey).withdrawFunds(amount, f.payerKey.address))
          .to.be.revertedWithCustomError(f.claims, "ClaimsPayerHasQueue")
          .withArgs(f.payerId, 2n);
      }
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(100n), withdrawn: 0n, tail: 2n });
      // Funded enough, the queue empties and the surplus is the payer's again.
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(40n), head: 2n, tail: 2n });
      await expect(f.claims.connect(f.payerKey).withdrawFunds(usd(40n), f.payerKey.address))
        .to.emit(f.claims, "PayerWithdrew")
        .withArgs(f.payerId, f.payerKey.address, usd(40n));
      await expectBooksBalance(f);
    });

    it("refuses more than the balance with ClaimsInsufficientBalance(payer, balance, amount), another payer's funds included", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      await expect(f.claims.connect(f.payerKey).withdrawFunds(usd(100n) + 1n, f.payerKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInsufficientBalance")
        .withArgs(f.payerId, usd(100n), usd(100n) + 1n);
      await expect(f.claims.connect(f.otherPayerKey).withdrawFunds(1n, f.otherPayerKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInsufficientBalance")
        .withArgs(f.otherPayerId, 0n, 1n);
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(100n), withdrawn: 0n });
    });

    it("refuses zero with ClaimsZeroAmount and the zero address with ClaimsInvalidRecipient (checked first)", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      await expect(f.claims.connect(f.payerKey).withdrawFunds(0n, f.payerKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsZeroAmount")
        .withArgs();
      for (const amount of [0n, usd(1n)]) {
        await expect(f.claims.connect(f.payerKey).withdrawFunds(amount, ZeroAddress))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidRecipient")
          .withArgs();
      }
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(100n), withdrawn: 0n });
    });

    it("refuses anyone but an active payer with ClaimsNotAPayer, the payer itself while suspended", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      const stranger = await namedSigner("payment stranger");
      for (const key of [f.hospitalKey, f.reviewerKey, f.patientKey, stranger]) {
        await expect(f.claims.connect(key).withdrawFunds(usd(1n), key.address))
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
          .withArgs(key.address);
      }
      await suspend(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).withdrawFunds(usd(1n), f.payerKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
        .withArgs(f.payerKey.address);
      await reinstate(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).withdrawFunds(usd(1n), f.payerKey.address)).to.emit(
        f.claims,
        "PayerWithdrew",
      );
    });

    it("refuses with EnforcedPause while paused", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.payerKey).fund(usd(100n))).wait();
      await pauseClaims(f);
      await expect(f.claims.connect(f.payerKey).withdrawFunds(usd(1n), f.payerKey.address))
        .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
        .withArgs();
    });
  });

  describe("assignSuccessor", function () {
    /** The admin schedules `assignSuccessor(organization, successor)` and waits out its delay; returns the calldata. */
    async function scheduled(f: ClaimsFixture, organization: bigint, successor: bigint): Promise<string> {
      const target = await f.claims.getAddress();
      const data = f.claims.interface.encodeFunctionData("assignSuccessor", [organization, successor]);
      // An execution that reverted leaves its operation scheduled: run it again rather than schedule it twice.
      const operation = await f.accessManager.hashOperation(f.admin.address, target, data);
      if ((await f.accessManager.getSchedule(operation)) === 0n) {
        await (await f.accessManager.connect(f.admin).schedule(target, data, 0)).wait();
      }
      const ready = await f.accessManager.getSchedule(operation);
      if (ready > BigInt(await time.latest())) await time.increaseTo(ready);
      return data;
    }

    /** The admin assigns `successor` to `organization` through the AccessManager's delay; returns the execution. */
    async function assign(f: ClaimsFixture, organization: bigint, successor: bigint) {
      const data = await scheduled(f, organization, successor);
      return f.accessManager.connect(f.admin).execute(await f.claims.getAddress(), data);
    }

    async function revoke(f: ClaimsFixture, id: bigint) {
      await f.identity.as(f.registrar).revoke(id, STATUS_REASON);
    }

    it("is the ADMIN's alone, only through the AccessManager's delay", async function () {
      const f = await loadFixture(claimsFixture);
      await revoke(f, f.hospitalId);
      for (const key of [f.hospitalKey, f.clinicKey, f.payerKey, f.registrar, f.pauser, f.reviewerKey]) {
        await expect(f.claims.connect(key).assignSuccessor(f.hospitalId, f.clinicId))
          .to.be.revertedWithCustomError(f.claims, "AccessManagedUnauthorized")
          .withArgs(key.address);
      }
      // The admin itself must schedule and wait: a direct call has nothing scheduled to consume.
      const data = f.claims.interface.encodeFunctionData("assignSuccessor", [f.hospitalId, f.clinicId]);
      const operation = await f.accessManager.hashOperation(f.admin.address, await f.claims.getAddress(), data);
      await expect(f.claims.connect(f.admin).assignSuccessor(f.hospitalId, f.clinicId))
        .to.be.revertedWithCustomError(f.accessManager, "AccessManagerNotScheduled")
        .withArgs(operation);
      const [, delay] = await f.accessManager.canCall(f.admin.address, await f.claims.getAddress(), data.slice(0, 10));
      expect(delay > 0n, "the admin's delay applies").to.equal(true);
      expect(await f.claims.successorOf(f.hospitalId)).to.equal(0n);
    });

    it("moves a revoked organization's balance to its successor, emitting SuccessorAssigned, and reads successorOf", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(1_000n))).wait();
      await bill(f, planId, usd(300n), 1n);
      await bill(f, planId, usd(20n), 2n, f.clinicKey, f.clinicId);
      await revoke(f, f.hospitalId);
      // Revoked, the hospital can no longer withdraw: without a successor its 300 would be stranded.
      await expect(f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAnActiveOrganization")
        .withArgs(f.hospitalKey.address);
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.emit(f.claims, "SuccessorAssigned")
        .withArgs(f.hospitalId, f.clinicId, usd(300n));
      expect(await f.claims.successorOf(f.hospitalId)).to.equal(f.clinicId);
      expect(await f.claims.successorOf(f.clinicId)).to.equal(0n);
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: 0n });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: usd(320n), withdrawn: 0n });
      await expectBooksBalance(f);
      await expect(f.claims.connect(f.clinicKey).withdraw(f.clinicKey.address))
        .to.emit(f.claims, "ProviderWithdrew")
        .withArgs(f.clinicId, f.clinicKey.address, usd(320n));
      await expectBooksBalance(f);
    });

    it("sends the revoked organization's queued payments to the successor when settled, and moves what was settled before", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const first = await bill(f, planId, usd(100n), 1n);
      const second = await bill(f, planId, usd(200n), 2n);
      expect([first.payment, second.payment]).to.deep.equal([PaymentStatus.Queued, PaymentStatus.Queued]);
      await revoke(f, f.hospitalId);
      // Settled before any successor: credited to the revoked hospital, which cannot withdraw it.
      await expect(f.claims.connect(f.payerKey).fund(usd(100n)))
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(first.claimId, f.payerId, f.hospitalId, CLAIM_PAYMENT, usd(100n));
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.emit(f.claims, "SuccessorAssigned")
        .withArgs(f.hospitalId, f.clinicId, usd(100n));
      // Settled after: the event names the organization actually credited, the successor.
      await expect(f.claims.connect(f.payerKey).fund(usd(200n)))
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(second.claimId, f.payerId, f.clinicId, CLAIM_PAYMENT, usd(200n));
      expect(await queueEntry(f.claims, f.payerId, 1n)).to.deep.equal({
        claimId: ZeroHash,
        line: 0n,
        organization: 0n,
        amount: 0n,
      });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: 0n });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
      expect(await paymentOf(f.claims, second.claimId)).to.equal(PaymentStatus.Credited);
      // Assigning again moves whatever arrived since: nothing now.
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.emit(f.claims, "SuccessorAssigned")
        .withArgs(f.hospitalId, f.clinicId, 0n);
      await expectBooksBalance(f);
    });

    it("pays an appeal of the revoked organization's claim, overturned after the assignment, to the successor", async function () {
      const f = await loadFixture(claimsFixture);
      await (await f.claims.connect(f.payerKey).fund(usd(5_000n))).wait();
      const now = BigInt(await time.latest());
      const reference = newReference();
      const lines = [packLine("70553", 1n, usd(2_000n), now - DAY)];
      await (await f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, lines, [])).wait();
      const claimId = claimIdOf(f.hospitalId, reference);
      const content = {
        member: f.member,
        plan: f.planId,
        organization: f.hospitalId,
        submitter: f.hospitalId,
        lines,
        attachments: [],
      };
      await (await f.claims.connect(f.hospitalKey).fileAppeal(claimId, 0, content)).wait();
      await revoke(f, f.hospitalId);
      await (await assign(f, f.hospitalId, f.clinicId)).wait();
      // Overturned: allowed 1,800, deductible 500, coinsurance 260; the plan pays 1,040, to the clinic.
      await expect(f.claims.connect(f.reviewerKey).decideAppeal(claimId, 0, true, content))
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claimId, 0, true, f.reviewerId, PaymentStatus.Credited);
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: usd(1_040n), withdrawn: 0n });
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: 0n });
      await expectBooksBalance(f);
    });

    /** A new active organization registered by the registrar with its own key. */
    async function newOrganization(f: ClaimsFixture, name: string): Promise<{ id: bigint; key: Signer }> {
      const key = await namedSigner(name);
      const { id } = await f.identity.as(f.registrar).registerWithKey(key, {
        kind: ParticipantKind.Organization,
        credentialCommitment: commit(`credential:${name}`).commitment,
        credentialExpiry: f.credentialExpiry,
      });
      return { id, key };
    }

    it("follows a chain of successions: the successor revoked in turn and succeeded, payments reach the end of the chain", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const first = await bill(f, planId, usd(100n), 1n);
      const second = await bill(f, planId, usd(200n), 2n);
      expect([first.payment, second.payment]).to.deep.equal([PaymentStatus.Queued, PaymentStatus.Queued]);
      const third = await newOrganization(f, "successor of the clinic");
      await revoke(f, f.hospitalId);
      await (await assign(f, f.hospitalId, f.clinicId)).wait();
      await expect(f.claims.connect(f.payerKey).fund(usd(100n)))
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(first.claimId, f.payerId, f.clinicId, CLAIM_PAYMENT, usd(100n));
      // The clinic is taken over in its turn: its balance moves on, and the hospital's next payment follows the
      // chain to its end rather than landing on the revoked clinic.
      await revoke(f, f.clinicId);
      await expect(assign(f, f.clinicId, third.id))
        .to.emit(f.claims, "SuccessorAssigned")
        .withArgs(f.clinicId, third.id, usd(100n));
      await expect(f.claims.connect(f.payerKey).fund(usd(200n)))
        .to.emit(f.claims, "QueuedPaymentCredited")
        .withArgs(second.claimId, f.payerId, third.id, CLAIM_PAYMENT, usd(200n));
      expect(await f.claims.successorOf(f.hospitalId)).to.equal(f.clinicId);
      expect(await f.claims.successorOf(f.clinicId)).to.equal(third.id);
      const client = ClaimsClient.connect(f.deployer, f.deployment);
      expect(await client.payeeOf(f.hospitalId)).to.equal(third.id);
      expect(await client.payeeOf(third.id)).to.equal(third.id);
      for (const id of [f.hospitalId, f.clinicId]) {
        expect(await providerOf(f.claims, id)).to.deep.equal({ balance: 0n, withdrawn: 0n });
      }
      expect(await providerOf(f.claims, third.id)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
      await expectBooksBalance(f, f.claims, f.token, [third.id]);
    });

    it("bounds a chain at MAX_SUCCESSION_DEPTH links with ClaimsSuccessionTooDeep, so no payment walks further", async function () {
      const f = await loadFixture(claimsFixture);
      const max = await f.claims.MAX_SUCCESSION_DEPTH();
      expect(max, "the model's bound").to.equal(BigInt(MAX_SUCCESSION_DEPTH));
      // hospital -> o1 -> o2 -> ... -> o8: eight links, each organization revoked once succeeded.
      const chain = [f.hospitalId];
      for (let i = 1n; i <= max; i += 1n) chain.push((await newOrganization(f, `merged organization ${i}`)).id);
      for (let i = 0; i < Number(max); i += 1) {
        await revoke(f, chain[i]!);
        await (await assign(f, chain[i]!, chain[i + 1]!)).wait();
      }
      const client = ClaimsClient.connect(f.deployer, f.deployment);
      expect(await client.payeeOf(f.hospitalId)).to.equal(chain[Number(max)]!);
      // A ninth link from the end of the chain is refused, and changes nothing.
      const ninth = await newOrganization(f, "merged organization 9");
      const last = chain[Number(max)]!;
      await revoke(f, last);
      await expect(assign(f, last, ninth.id))
        .to.be.revertedWithCustomError(f.claims, "ClaimsSuccessionTooDeep")
        .withArgs(last, max);
      expect(await f.claims.successorOf(last)).to.equal(0n);
      // A shorter chain still forms: the admin names a successor for an earlier link instead.
      await expect(assign(f, chain[Number(max) - 1]!, ninth.id))
        .to.emit(f.claims, "SuccessorAssigned")
        .withArgs(chain[Number(max) - 1]!, ninth.id, 0n);
      expect(await client.payeeOf(f.hospitalId)).to.equal(ninth.id);
    });

    it("works while the adjudicator is paused: it only moves money to where it is owed", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      await (await f.claims.connect(f.payerKey).fund(usd(50n))).wait();
      await bill(f, planId, usd(50n), 1n);
      await revoke(f, f.hospitalId);
      await pauseClaims(f);
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.emit(f.claims, "SuccessorAssigned")
        .withArgs(f.hospitalId, f.clinicId, usd(50n));
      expect(await f.claims.paused()).to.equal(true);
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: usd(50n), withdrawn: 0n });
    });

    it("refuses an organization that is not revoked with ClaimsOrganizationNotRevoked, a suspended one included", async function () {
      const f = await loadFixture(claimsFixture);
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotRevoked")
        .withArgs(f.hospitalId);
      await suspend(f, f.hospitalId);
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotRevoked")
        .withArgs(f.hospitalId);
      expect(await f.claims.successorOf(f.hospitalId)).to.equal(0n);
    });

    it("refuses a successor that is not an active organization other than it with ClaimsInvalidSuccessor", async function () {
      const f = await loadFixture(claimsFixture);
      await revoke(f, f.hospitalId);
      for (const successor of [f.hospitalId, f.payerId, f.cardiologistId, f.patientId, 424_242n, 0n]) {
        await expect(assign(f, f.hospitalId, successor), `${successor}`)
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidSuccessor")
          .withArgs(successor);
      }
      await suspend(f, f.clinicId);
      await expect(assign(f, f.hospitalId, f.clinicId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidSuccessor")
        .withArgs(f.clinicId);
      expect(await f.claims.successorOf(f.hospitalId)).to.equal(0n);
    });
  });

  describe("the books", function () {
    it("balance after every step of a flow of fundings, claims, queue settlements, an overturned appeal and withdrawals", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await payThroughPlan(f);
      const otherPlan = await payThroughPlan(f, f.claims, f.otherPayerKey);
      await expectBooksBalance(f);

      await (await f.claims.connect(f.payerKey).fund(usd(250n))).wait();
      await expectBooksBalance(f);
      expect((await bill(f, planId, usd(200n), 1n)).payment).to.equal(PaymentStatus.Credited);
      await expectBooksBalance(f);
      expect((await bill(f, planId, usd(120n), 2n, f.clinicKey, f.clinicId)).payment).to.equal(PaymentStatus.Queued);
      await expectBooksBalance(f);
      expect((await bill(f, otherPlan, usd(40n), 3n)).payment).to.equal(PaymentStatus.Queued);
      await expectBooksBalance(f);

      // An appeal: the fixture's plan (same payer) denies a line for want of authorization; overturned, the line's
      // plan payment joins the payer's queue behind the clinic's claim.
      const now = BigInt(await time.latest());
      const reference = newReference();
      const lines = [
        packLine(OFFICE, 5n, usd(600n), now - 4n * DAY),
        packLine("70553", 1n, usd(2_000n), now - 4n * DAY),
      ];
      await (await f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, lines, [])).wait();
      const appealed = claimIdOf(f.hospitalId, reference);
      const content = {
        member: f.member,
        plan: f.planId,
        organization: f.hospitalId,
        submitter: f.hospitalId,
        lines,
        attachments: [],
      };
      await expectBooksBalance(f);
      await (await f.claims.connect(f.hospitalKey).fileAppeal(appealed, 1, content)).wait();
      await (await f.claims.connect(f.reviewerKey).decideAppeal(appealed, 1, true, content)).wait();
      // Line 0 (claim total, queued): 56. Line 1 overturned: allowed 1800, coinsurance 360, the plan pays 1440.
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(50n), head: 0n, tail: 3n });
      expect(await queueEntry(f.claims, f.payerId, 2n)).to.deep.equal({
        claimId: appealed,
        line: 1n,
        organization: f.hospitalId,
        amount: usd(1_440n),
      });
      await expectBooksBalance(f);

      await (await f.claims.connect(f.payerKey).fund(usd(1_600n))).wait();
      expect(await payerOf(f.claims, f.payerId)).to.deep.include({ balance: usd(1_650n - 1_616n), head: 3n });
      expect(Number((await f.claims.appeal(appealed, 1)).payment)).to.equal(PaymentStatus.Credited);
      await expectBooksBalance(f);
      await (await f.claims.connect(f.otherPayerKey).fund(usd(30n))).wait();
      expect(await payerOf(f.claims, f.otherPayerId)).to.deep.include({ balance: usd(30n), head: 0n, tail: 1n });
      await expectBooksBalance(f);
      await (await f.claims.connect(f.otherPayerKey).fund(usd(10n))).wait();
      expect(await payerOf(f.claims, f.otherPayerId)).to.deep.include({ balance: 0n, head: 1n, tail: 1n });
      await expectBooksBalance(f);

      await (await f.claims.connect(f.clinicKey).withdraw(f.clinicKey.address)).wait();
      await expectBooksBalance(f);
      await (await f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address)).wait();
      await expectBooksBalance(f);
      // Hospital: 200 + 40 + 56 + 1440; clinic: 120.
      expect(await providerOf(f.claims, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: usd(1_736n) });
      expect(await providerOf(f.claims, f.clinicId)).to.deep.equal({ balance: 0n, withdrawn: usd(120n) });
      expect(await f.token.balanceOf(await f.claims.getAddress())).to.equal(usd(34n));
    });
  });

  describe("with hostile settlement tokens", function () {
    async function hostile<T extends Token>(f: ClaimsFixture, token: T) {
      const factory = await ethers.getContractFactory("ClaimsAdjudicator");
      const adjudicator = await factory.deploy(
        await f.accessManager.getAddress(),
        await f.identityRegistry.getAddress(),
        await token.getAddress(),
      );
      await adjudicator.waitForDeployment();
      const planId = await payThroughPlan(f, adjudicator);
      return { adjudicator, planId, token };
    }

    describe("ReentrantToken", function () {
      async function reentrant() {
        const f = await loadFixture(claimsFixture);
        const token = await (await ethers.getContractFactory("ReentrantToken")).deploy();
        const setup = await hostile(f, token);
        await (await token.mint(f.payerKey.address, usd(10_000n))).wait();
        await (await token.connect(f.payerKey).approve(await setup.adjudicator.getAddress(), ethers.MaxUint256)).wait();
        return { f, ...setup, token };
      }

      it("refuses a withdrawal re-entered from the token's transfer: the provider is paid exactly once", async function () {
        const { f, adjudicator, planId, token } = await reentrant();
        await (await adjudicator.connect(f.payerKey).fund(usd(1_000n))).wait();
        await bill(f, planId, usd(300n), 1n, f.hospitalKey, f.hospitalId, adjudicator);
        const target = await adjudicator.getAddress();
        await (
          await token.arm(target, adjudicator.interface.encodeFunctionData("withdraw", [f.hospitalKey.address]))
        ).wait();
        const tx = adjudicator.connect(f.hospitalKey).withdraw(f.hospitalKey.address);
        await expect(tx)
          .to.emit(adjudicator, "ProviderWithdrew")
          .withArgs(f.hospitalId, f.hospitalKey.address, usd(300n));
        await expect(tx).to.changeTokenBalances(token, [adjudicator, f.hospitalKey], [-usd(300n), usd(300n)]);
        expect(await token.lastCallbackSucceeded()).to.equal(false);
        const reverted = adjudicator.interface.parseError(await token.lastCallbackResult());
        expect(reverted?.name).to.equal("ReentrancyGuardReentrantCall");
        expect(await providerOf(adjudicator, f.hospitalId)).to.deep.equal({ balance: 0n, withdrawn: usd(300n) });
        expect(await token.balanceOf(target)).to.equal(usd(700n));
        await expectBooksBalance(f, adjudicator, token);
      });

      it("refuses a funding re-entered from the token's transfer: the payer is credited once", async function () {
        const { f, adjudicator, token } = await reentrant();
        const target = await adjudicator.getAddress();
        await (await token.arm(target, adjudicator.interface.encodeFunctionData("fund", [usd(100n)]))).wait();
        await expect(adjudicator.connect(f.payerKey).fund(usd(500n)))
          .to.emit(adjudicator, "PayerFunded")
          .withArgs(f.payerId, usd(500n));
        expect(await token.lastCallbackSucceeded()).to.equal(false);
        expect(adjudicator.interface.parseError(await token.lastCallbackResult())?.name).to.equal(
          "ReentrancyGuardReentrantCall",
        );
        expect(await payerOf(adjudicator, f.payerId)).to.deep.include({ balance: usd(500n), funded: usd(500n) });
        expect(await token.balanceOf(target)).to.equal(usd(500n));
        await expectBooksBalance(f, adjudicator, token);
      });

      it("refuses a withdrawal re-entered during a funding (one guard for both)", async function () {
        const { f, adjudicator, planId, token } = await reentrant();
        await (await adjudicator.connect(f.payerKey).fund(usd(1_000n))).wait();
        await bill(f, planId, usd(300n), 1n, f.hospitalKey, f.hospitalId, adjudicator);
        const target = await adjudicator.getAddress();
        await (
          await token.arm(target, adjudicator.interface.encodeFunctionData("withdraw", [f.hospitalKey.address]))
        ).wait();
        await (await adjudicator.connect(f.payerKey).fund(usd(100n))).wait();
        expect(adjudicator.interface.parseError(await token.lastCallbackResult())?.name).to.equal(
          "ReentrancyGuardReentrantCall",
        );
        expect(await providerOf(adjudicator, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
        await expectBooksBalance(f, adjudicator, token);
      });

      it("lets a queue settlement re-entered during a funding pay only from funds already booked", async function () {
        const { f, adjudicator, planId, token } = await reentrant();
        await bill(f, planId, usd(300n), 1n, f.hospitalKey, f.hospitalId, adjudicator);
        const target = await adjudicator.getAddress();
        await (
          await token.arm(target, adjudicator.interface.encodeFunctionData("settleQueue", [f.payerId, 10]))
        ).wait();
        // Inside the transfer, the queue's head (300) exceeds the booked balance (0): nothing is paid there; the
        // funding then books 500 and pays the 300 once.
        const tx = adjudicator.connect(f.payerKey).fund(usd(500n));
        await expect(tx).to.emit(adjudicator, "QueuedPaymentCredited");
        const receipt = await (await tx).wait();
        const credited = receipt?.logs.filter(
          (l) => adjudicator.interface.parseLog(l)?.name === "QueuedPaymentCredited",
        );
        expect(credited).to.have.length(1);
        expect(await token.lastCallbackSucceeded()).to.equal(true);
        expect(await payerOf(adjudicator, f.payerId)).to.deep.equal({
          balance: usd(200n),
          funded: usd(500n),
          withdrawn: 0n,
          head: 1n,
          tail: 1n,
        });
        expect(await providerOf(adjudicator, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
        await expectBooksBalance(f, adjudicator, token);
      });
    });

    describe("FalseReturningToken", function () {
      async function falseReturning() {
        const f = await loadFixture(claimsFixture);
        const token = await (await ethers.getContractFactory("FalseReturningToken")).deploy();
        const setup = await hostile(f, token);
        await (await token.mint(f.payerKey.address, usd(10_000n))).wait();
        await (await token.connect(f.payerKey).approve(await setup.adjudicator.getAddress(), ethers.MaxUint256)).wait();
        return { f, ...setup, token };
      }

      it("reverts a funding with SafeERC20FailedOperation when the token returns false, changing nothing", async function () {
        const { f, adjudicator, token } = await falseReturning();
        await (await token.setFailing(true)).wait();
        await expect(adjudicator.connect(f.payerKey).fund(usd(500n)))
          .to.be.revertedWithCustomError(adjudicator, "SafeERC20FailedOperation")
          .withArgs(await token.getAddress());
        expect(await payerOf(adjudicator, f.payerId)).to.deep.include({ balance: 0n, funded: 0n });
        expect(await token.balanceOf(f.payerKey.address)).to.equal(usd(10_000n));
        expect(await token.balanceOf(await adjudicator.getAddress())).to.equal(0n);
      });

      it("reverts a withdrawal with SafeERC20FailedOperation, keeping the balance, and pays it once the token works", async function () {
        const { f, adjudicator, planId, token } = await falseReturning();
        await (await adjudicator.connect(f.payerKey).fund(usd(1_000n))).wait();
        await bill(f, planId, usd(300n), 1n, f.hospitalKey, f.hospitalId, adjudicator);
        await (await token.setFailing(true)).wait();
        await expect(adjudicator.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
          .to.be.revertedWithCustomError(adjudicator, "SafeERC20FailedOperation")
          .withArgs(await token.getAddress());
        expect(await providerOf(adjudicator, f.hospitalId)).to.deep.equal({ balance: usd(300n), withdrawn: 0n });
        expect(await token.balanceOf(f.hospitalKey.address)).to.equal(0n);
        await expectBooksBalance(f, adjudicator, token);

        await (await token.setFailing(false)).wait();
        await expect(adjudicator.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
          .to.emit(adjudicator, "ProviderWithdrew")
          .withArgs(f.hospitalId, f.hospitalKey.address, usd(300n));
        expect(await token.balanceOf(f.hospitalKey.address)).to.equal(usd(300n));
        await expect(adjudicator.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
          .to.be.revertedWithCustomError(adjudicator, "ClaimsNothingToWithdraw")
          .withArgs(f.hospitalKey.address);
        expect(await token.balanceOf(f.hospitalKey.address)).to.equal(usd(300n));
        await expectBooksBalance(f, adjudicator, token);
      });
    });

    describe("FeeOnTransferToken", function () {
      it("credits a funding with what arrived (99 %), and the books still balance through a withdrawal", async function () {
        const f = await loadFixture(claimsFixture);
        const token = await (await ethers.getContractFactory("FeeOnTransferToken")).deploy();
        const { adjudicator, planId } = await hostile(f, token);
        await (await token.mint(f.payerKey.address, usd(10_000n))).wait();
        await (await token.connect(f.payerKey).approve(await adjudicator.getAddress(), ethers.MaxUint256)).wait();
        await expect(adjudicator.connect(f.payerKey).fund(usd(1_000n)))
          .to.emit(adjudicator, "PayerFunded")
          .withArgs(f.payerId, usd(990n));
        expect(await payerOf(adjudicator, f.payerId)).to.deep.include({ balance: usd(990n), funded: usd(990n) });
        expect(await token.balanceOf(await adjudicator.getAddress())).to.equal(usd(990n));
        await expectBooksBalance(f, adjudicator, token);

        await bill(f, planId, usd(990n), 1n, f.hospitalKey, f.hospitalId, adjudicator);
        await expect(adjudicator.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
          .to.emit(adjudicator, "ProviderWithdrew")
          .withArgs(f.hospitalId, f.hospitalKey.address, usd(990n));
        // The hospital receives 99 % of 990; the adjudicator is empty and owes nothing.
        expect(await token.balanceOf(f.hospitalKey.address)).to.equal(980_100_000n);
        expect(await token.balanceOf(await adjudicator.getAddress())).to.equal(0n);
        await expectBooksBalance(f, adjudicator, token);
      });
    });
  });

  describe("constructor", function () {
    it("refuses an identity registry or token that is not a contract with ClaimsInvalidDependency", async function () {
      const f = await loadFixture(claimsFixture);
      const factory = await ethers.getContractFactory("ClaimsAdjudicator");
      const eoa = (await namedSigner("not a contract")).address;
      const authority = await f.accessManager.getAddress();
      const identity = await f.identityRegistry.getAddress();
      const token = await f.token.getAddress();
      for (const args of [
        [eoa, token],
        [identity, eoa],
      ] as const) {
        await expect(factory.deploy(authority, ...args))
          .to.be.revertedWithCustomError(factory, "ClaimsInvalidDependency")
          .withArgs(eoa);
      }
      // Zero identity or token is no contract either.
      await expect(factory.deploy(authority, ZeroAddress, token))
        .to.be.revertedWithCustomError(factory, "ClaimsInvalidDependency")
        .withArgs(ZeroAddress);
      await expect(factory.deploy(authority, identity, ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ClaimsInvalidDependency")
        .withArgs(ZeroAddress);
    });

    it("wires its dependencies and creates its own PriorAuthorizations, which knows it as its adjudicator", async function () {
      const f = await loadFixture(claimsFixture);
      const factory = await ethers.getContractFactory("ClaimsAdjudicator");
      const adjudicator = await factory.deploy(
        await f.accessManager.getAddress(),
        await f.identityRegistry.getAddress(),
        await f.token.getAddress(),
      );
      expect(await adjudicator.identityRegistry()).to.equal(await f.identityRegistry.getAddress());
      expect(await adjudicator.settlementToken()).to.equal(await f.token.getAddress());
      expect(await adjudicator.version()).to.equal("2.0.0");
      const priorAuths = await ethers.getContractAt("PriorAuthorizations", await adjudicator.priorAuthorizations());
      expect(await priorAuths.claimsAdjudicator()).to.equal(await adjudicator.getAddress());
      expect(await priorAuths.identityRegistry()).to.equal(await f.identityRegistry.getAddress());
      expect(await priorAuths.authority()).to.equal(await f.accessManager.getAddress());
      // Each adjudicator has its own workflow: the production one is another contract.
      expect(await adjudicator.priorAuthorizations()).to.not.equal(await f.priorAuths.getAddress());
      // Attachments are opaque: nothing checks them against a record registry.
      const planId = await payThroughPlan(f, adjudicator);
      const reference = newReference();
      const now = BigInt(await time.latest());
      const unknown = keccak256("0x1234");
      await expect(
        adjudicator
          .connect(f.hospitalKey)
          .submitClaim(f.member, planId, reference, [packLine(OFFICE, 1n, usd(1n), now - DAY)], [unknown]),
      )
        .to.emit(adjudicator, "ClaimAttachments")
        .withArgs(claimIdOf(f.hospitalId, reference), [unknown]);
      await expect(
        adjudicator.connect(f.hospitalKey).submitClaim(
          f.member,
          planId,
          newReference(),
          [packLine(OFFICE, 1n, usd(1n), now - 2n * DAY)],
          Array.from({ length: 9 }, () => unknown),
        ),
      )
        .to.be.revertedWithCustomError(adjudicator, "ClaimsTooManyAttachments")
        .withArgs(9, 8);
    });
  });
});
