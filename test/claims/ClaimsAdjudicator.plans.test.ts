import { loadFixture, setStorageAt } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { type ContractTransactionResponse, ethers, hexlify, toUtf8Bytes, type Wallet } from "ethers";
import hre from "hardhat";

import { PlanStatus } from "../../sdk";
import type { ClaimsAdjudicator } from "../../typechain-types";
import {
  type ClaimsFixture,
  claimsFixture,
  code,
  memberOf,
  namedSigner,
  STANDARD_FEES,
  STANDARD_TERMS,
  USD,
  pauseClaims,
  reinstate,
  suspend,
} from "../fixtures/claims";
import { DAY, YEAR } from "../fixtures/identity";

// Unit tests of the ClaimsAdjudicator's plan and enrollment writes (createPlan, updatePlanTerms, setFees, removeFees,
// setNetwork, activatePlan, enroll) and of the views that read them back (plan, planCount, fee, inNetwork,
// enrollmentCount, enrollment, enrollmentOn). Prior authorization is in PriorAuthorizations.test.ts.

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

/** A registrar's reason code for a suspension or a reinstatement (off-chain code list; the registry only stores it). */
/** `MAX_BATCH`: the most entries one fee-schedule or network batch holds. */
const MAX_BATCH = 256n;
/** The first coverage end that does not fit in 40 bits. */
const TWO_POW_40 = 1n << 40n;
/** A participant id nobody registered. */
const UNREGISTERED_ID = 424_242n;

type Key = HardhatEthersSigner | Wallet;

interface Terms {
  deductible: bigint;
  oopMax: bigint;
  coinsuranceBps: number;
  timelyFilingDays: number;
  appealWindowDays: number;
}

const TERMS: Terms = { ...STANDARD_TERMS };

/** Terms as the `PlanCreated` / `PlanTermsUpdated` events carry them (a tuple in declaration order). */
function termsTuple(terms: Terms): bigint[] {
  return [
    terms.deductible,
    terms.oopMax,
    BigInt(terms.coinsuranceBps),
    BigInt(terms.timelyFilingDays),
    BigInt(terms.appealWindowDays),
  ];
}

/** The bytes5 of any five-character text, valid procedure code or not (the fixture's `code` refuses invalid ones). */
function rawCode(text: string): string {
  const bytes = toUtf8Bytes(text);
  if (bytes.length !== 5) throw new Error(`not five bytes: ${JSON.stringify(text)}`);
  return hexlify(bytes);
}

/** A fee schedule entry as the contract takes it (`maxUnits` 0: no medically unlikely edit). */
function entry(text: string, allowedPerUnit: bigint, copay = 0n, requiresPriorAuth = false, maxUnits = 0n) {
  return { code: code(text), allowedPerUnit, copay, requiresPriorAuth, maxUnits };
}

/** A fee schedule entry as the `FeeScheduled` event carries it (a tuple in declaration order). */
function entryTuple(e: ReturnType<typeof entry>) {
  return [e.code, e.allowedPerUnit, e.copay, e.requiresPriorAuth, e.maxUnits];
}

/** `plan(planId)` as a plain object that chai compares deeply. */
async function readPlan(claims: ClaimsAdjudicator, planId: bigint) {
  const p = await claims.plan(planId);
  return {
    payer: p.payer,
    status: Number(p.status),
    terms: {
      deductible: p.terms.deductible,
      oopMax: p.terms.oopMax,
      coinsuranceBps: Number(p.terms.coinsuranceBps),
      timelyFilingDays: Number(p.terms.timelyFilingDays),
      appealWindowDays: Number(p.terms.appealWindowDays),
    },
  };
}

/** `fee(planId, code)` as a plain object. */
async function readFee(claims: ClaimsAdjudicator, planId: bigint, codeHex: string) {
  const [listed, e] = await claims.fee(planId, codeHex);
  return {
    listed,
    code: e.code,
    allowedPerUnit: e.allowedPerUnit,
    copay: e.copay,
    requiresPriorAuth: e.requiresPriorAuth,
    maxUnits: e.maxUnits,
  };
}

/** What `fee` reads for a code the schedule does not list. */
function unlisted(codeHex: string) {
  return { listed: false, code: codeHex, allowedPerUnit: 0n, copay: 0n, requiresPriorAuth: false, maxUnits: 0n };
}

/** `enrollment(planId, member, seq)` as a plain object. */
async function readEnrollment(claims: ClaimsAdjudicator, planId: bigint, member: string, seq: number) {
  const e = await claims.enrollment(planId, member, seq);
  return {
    coverageStart: e.coverageStart,
    coverageEnd: e.coverageEnd,
    deductibleMet: e.deductibleMet,
    oopMet: e.oopMet,
  };
}

/** A fresh enrollment over `[coverageStart, coverageEnd]`: accumulators at zero. */
function period(coverageStart: bigint, coverageEnd: bigint) {
  return { coverageStart, coverageEnd, deductibleMet: 0n, oopMet: 0n };
}

/** `enrollmentOn(planId, member, time)` as `[found, seq]`. */
async function enrollmentOn(claims: ClaimsAdjudicator, planId: bigint, member: string, time: bigint) {
  const [found, seq] = await claims.enrollmentOn(planId, member, time);
  return [found, Number(seq)];
}

/** The payer creates a draft plan with `terms` (no fees, no network) and returns its id. */
async function draftPlan(f: ClaimsFixture, terms: Terms = TERMS, payer: Key = f.payerKey): Promise<bigint> {
  const claims = f.claims.connect(payer);
  const planId = await claims.createPlan.staticCall(terms);
  await (await claims.createPlan(terms)).wait();
  return planId;
}

/** Everyone registered or not who is not the plan's payer: none may manage its plans. */
async function outsiders(f: ClaimsFixture): Promise<[string, Key][]> {
  return [
    ["a stranger", await namedSigner("plans test stranger")],
    ["an organization", f.hospitalKey],
    ["a practitioner", f.cardiologistKey],
    ["a patient", f.patientKey],
    ["the payer's own reviewer (a practitioner)", f.reviewerKey],
    ["another payer", f.otherPayerKey],
  ];
}

/** One write only the plan's payer makes, run by `claims`'s signer against `planId`. */
interface PlanPayerWrite {
  /** The plan the write succeeds on: a fresh draft, or the fixture's active plan. */
  plan: "draft" | "active";
  send(claims: ClaimsAdjudicator, planId: bigint, f: ClaimsFixture): Promise<ContractTransactionResponse>;
}

async function planFor(f: ClaimsFixture, write: PlanPayerWrite): Promise<bigint> {
  return write.plan === "draft" ? draftPlan(f) : f.planId;
}

/**
 * Shared behaviour of the writes of a plan's payer: everyone else is refused with `ClaimsNotPlanPayer`, the payer too
 * while suspended, an unknown plan with `ClaimsUnknownPlan`, and everyone with `EnforcedPause` while paused. Each test
 * ends with the payer's call succeeding, so a refusal for another reason would show.
 */
function itIsOnlyForThePlanPayer(write: PlanPayerWrite): void {
  it("refuses anyone but the plan's payer with ClaimsNotPlanPayer", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planFor(f, write);
    for (const [who, key] of await outsiders(f)) {
      await expect(write.send(f.claims.connect(key), planId, f), who)
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
        .withArgs(planId, key.address);
    }
    await expect(write.send(f.claims.connect(f.payerKey), planId, f)).not.to.be.reverted;
  });

  it("refuses another payer's plan even to a payer that owns plans of its own", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planFor(f, write);
    await draftPlan(f, TERMS, f.otherPayerKey);
    await expect(write.send(f.claims.connect(f.otherPayerKey), planId, f))
      .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
      .withArgs(planId, f.otherPayerKey.address);
  });

  it("refuses the payer while it is suspended and accepts it again once reinstated", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planFor(f, write);
    await suspend(f, f.payerId);
    await expect(write.send(f.claims.connect(f.payerKey), planId, f))
      .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
      .withArgs(planId, f.payerKey.address);
    await reinstate(f, f.payerId);
    await expect(write.send(f.claims.connect(f.payerKey), planId, f)).not.to.be.reverted;
  });

  it("refuses an unknown plan with ClaimsUnknownPlan, whoever calls", async function () {
    const f = await loadFixture(claimsFixture);
    const next = (await f.claims.planCount()) + 1n;
    for (const planId of [0n, next, 2n ** 64n - 1n]) {
      for (const key of [f.payerKey, f.hospitalKey]) {
        await expect(write.send(f.claims.connect(key), planId, f))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPlan")
          .withArgs(planId);
      }
    }
  });

  it("reverts with EnforcedPause while the module is paused", async function () {
    const f = await loadFixture(claimsFixture);
    const planId = await planFor(f, write);
    await pauseClaims(f);
    await expect(write.send(f.claims.connect(f.payerKey), planId, f))
      .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
      .withArgs();
  });
}

/** Terms the contract refuses, each with the custom error and arguments it gives. */
const BAD_TERMS: { why: string; terms: Terms; error: string; args: (bigint | number)[] }[] = [
  {
    why: "coinsurance above 10,000 bps",
    terms: { ...TERMS, coinsuranceBps: 10_001 },
    error: "ClaimsCoinsuranceTooHigh",
    args: [10_001],
  },
  {
    why: "the largest uint16 coinsurance",
    terms: { ...TERMS, coinsuranceBps: 65_535 },
    error: "ClaimsCoinsuranceTooHigh",
    args: [65_535],
  },
  {
    why: "an out-of-pocket maximum one unit below the deductible",
    terms: { ...TERMS, deductible: 500n * USD, oopMax: 500n * USD - 1n },
    error: "ClaimsOopMaxBelowDeductible",
    args: [500n * USD - 1n, 500n * USD],
  },
  {
    why: "a zero timely-filing window",
    terms: { ...TERMS, timelyFilingDays: 0 },
    error: "ClaimsInvalidWindows",
    args: [0, TERMS.appealWindowDays],
  },
  {
    why: "a zero appeal window",
    terms: { ...TERMS, appealWindowDays: 0 },
    error: "ClaimsInvalidWindows",
    args: [TERMS.timelyFilingDays, 0],
  },
  {
    why: "both windows zero",
    terms: { ...TERMS, timelyFilingDays: 0, appealWindowDays: 0 },
    error: "ClaimsInvalidWindows",
    args: [0, 0],
  },
];

/** The tightest terms the contract accepts: 100 % coinsurance, oopMax = deductible, one-day windows. */
const EDGE_TERMS: Terms = {
  deductible: 250n * USD,
  oopMax: 250n * USD,
  coinsuranceBps: 10_000,
  timelyFilingDays: 1,
  appealWindowDays: 1,
};

/** The tightest terms an active plan of the fixture takes: its appeal window (180 days) cannot change. */
const ACTIVE_EDGE_TERMS: Terms = { ...EDGE_TERMS, appealWindowDays: STANDARD_TERMS.appealWindowDays };

/** Five-byte codes that are not five digits or capital letters. */
const BAD_CODES: [string, string][] = [
  ["lowercase letters", rawCode("abcde")],
  ["one lowercase letter in the middle", rawCode("99a13")],
  ["a lowercase letter last", rawCode("9921a")],
  ["a lowercase letter first", rawCode("j3490")],
  ["a hyphen", rawCode("99-13")],
  ["a dot", rawCode("99.13")],
  ["a space", rawCode("9921 ")],
  ["'/' just below '0'", rawCode("/9213")],
  ["':' just above '9'", rawCode("9921:")],
  ["'@' just below 'A'", rawCode("@3490")],
  ["'[' just above 'Z'", rawCode("J349[")],
  ["NUL bytes only", "0x0000000000"],
  ["a trailing NUL byte", rawCode("9921\u0000")],
  ["a byte above ASCII", "0x39393231ff"],
];

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ClaimsAdjudicator", function () {
  describe("createPlan", function () {
    it("creates a draft plan owned by the caller's payer id, numbered after the last", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, payerKey, payerId } = f;
      expect(await claims.planCount()).to.equal(1n);
      const terms: Terms = {
        deductible: 1_000n * USD,
        oopMax: 4_000n * USD,
        coinsuranceBps: 3_000,
        timelyFilingDays: 365,
        appealWindowDays: 60,
      };
      expect(await claims.connect(payerKey).createPlan.staticCall(terms)).to.equal(2n);
      await expect(claims.connect(payerKey).createPlan(terms))
        .to.emit(claims, "PlanCreated")
        .withArgs(2n, payerId, termsTuple(terms));
      expect(await readPlan(claims, 2n)).to.deep.equal({ payer: payerId, status: PlanStatus.Draft, terms });
      expect(await claims.planCount()).to.equal(2n);
      expect(await readFee(claims, 2n, code("99213"))).to.deep.equal(unlisted(code("99213")));
      expect(await claims.inNetwork(2n, f.hospitalId)).to.equal(false);
    });

    it("numbers plans across payers and records each one's owner", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, otherPayerKey, otherPayerId, payerId } = f;
      await expect(claims.connect(otherPayerKey).createPlan(TERMS))
        .to.emit(claims, "PlanCreated")
        .withArgs(2n, otherPayerId, termsTuple(TERMS));
      await expect(claims.connect(f.payerKey).createPlan(EDGE_TERMS))
        .to.emit(claims, "PlanCreated")
        .withArgs(3n, payerId, termsTuple(EDGE_TERMS));
      expect((await readPlan(claims, 2n)).payer).to.equal(otherPayerId);
      expect((await readPlan(claims, 3n)).payer).to.equal(payerId);
      expect(await claims.planCount()).to.equal(3n);
    });

    it("accepts the boundary terms: 100 % coinsurance, oopMax equal to the deductible, one-day windows", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f, EDGE_TERMS);
      expect(await readPlan(f.claims, planId)).to.deep.equal({
        payer: f.payerId,
        status: PlanStatus.Draft,
        terms: EDGE_TERMS,
      });
    });

    it("accepts a plan with no deductible and no out-of-pocket allowance, and the largest amounts", async function () {
      const f = await loadFixture(claimsFixture);
      const zero: Terms = { ...TERMS, deductible: 0n, oopMax: 0n, coinsuranceBps: 0 };
      const max = 2n ** 80n - 1n;
      const huge: Terms = {
        deductible: max,
        oopMax: max,
        coinsuranceBps: 10_000,
        timelyFilingDays: 65_535,
        appealWindowDays: 65_535,
      };
      const zeroPlan = await draftPlan(f, zero);
      const hugePlan = await draftPlan(f, huge);
      expect((await readPlan(f.claims, zeroPlan)).terms).to.deep.equal(zero);
      expect((await readPlan(f.claims, hugePlan)).terms).to.deep.equal(huge);
    });

    for (const bad of BAD_TERMS) {
      it(`refuses ${bad.why} with ${bad.error}`, async function () {
        const { claims, payerKey } = await loadFixture(claimsFixture);
        await expect(claims.connect(payerKey).createPlan(bad.terms))
          .to.be.revertedWithCustomError(claims, bad.error)
          .withArgs(...bad.args);
        expect(await claims.planCount()).to.equal(1n);
      });
    }

    it("refuses anyone but an active payer with ClaimsNotAPayer", async function () {
      const f = await loadFixture(claimsFixture);
      const callers = (await outsiders(f)).filter(([, key]) => key !== f.otherPayerKey);
      callers.push(["a laboratory device", f.deviceKey], ["a research sponsor", f.sponsorKey]);
      for (const [who, key] of callers) {
        await expect(f.claims.connect(key).createPlan(TERMS), who)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
          .withArgs(key.address);
      }
      expect(await f.claims.planCount()).to.equal(1n);
    });

    it("refuses a suspended payer with ClaimsNotAPayer and accepts it again once reinstated", async function () {
      const f = await loadFixture(claimsFixture);
      await suspend(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).createPlan(TERMS))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
        .withArgs(f.payerKey.address);
      await reinstate(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).createPlan(TERMS))
        .to.emit(f.claims, "PlanCreated")
        .withArgs(2n, f.payerId, termsTuple(TERMS));
    });

    it("checks the caller before the terms", async function () {
      const f = await loadFixture(claimsFixture);
      await expect(f.claims.connect(f.hospitalKey).createPlan({ ...TERMS, coinsuranceBps: 10_001 }))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAPayer")
        .withArgs(f.hospitalKey.address);
    });

    it("reverts with EnforcedPause while the module is paused", async function () {
      const f = await loadFixture(claimsFixture);
      await pauseClaims(f);
      await expect(f.claims.connect(f.payerKey).createPlan(TERMS))
        .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
        .withArgs();
    });
  });

  describe("updatePlanTerms", function () {
    const NEW_TERMS: Terms = {
      deductible: 750n * USD,
      oopMax: 5_000n * USD,
      coinsuranceBps: 1_500,
      timelyFilingDays: 120,
      // An active plan keeps its appeal window (ClaimsAppealWindowFixed), so the new terms keep it too.
      appealWindowDays: STANDARD_TERMS.appealWindowDays,
    };

    it("replaces an active plan's terms but its appeal window, and keeps it active", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, payerKey, payerId, planId } = f;
      // Claims adjudicated under an active plan keep their appeal rights: its window never changes.
      await expect(claims.connect(payerKey).updatePlanTerms(planId, { ...NEW_TERMS, appealWindowDays: 30 }))
        .to.be.revertedWithCustomError(claims, "ClaimsAppealWindowFixed")
        .withArgs(planId, STANDARD_TERMS.appealWindowDays);
      await expect(claims.connect(payerKey).updatePlanTerms(planId, NEW_TERMS))
        .to.emit(claims, "PlanTermsUpdated")
        .withArgs(planId, termsTuple(NEW_TERMS));
      expect(await readPlan(claims, planId)).to.deep.equal({
        payer: payerId,
        status: PlanStatus.Active,
        terms: NEW_TERMS,
      });
      // The fee schedule, the network and the enrollments are not terms: they stay.
      expect((await readFee(claims, planId, code("99213"))).listed).to.equal(true);
      expect(await claims.inNetwork(planId, f.hospitalId)).to.equal(true);
      expect(await claims.enrollmentCount(planId, f.member)).to.equal(1n);
    });

    it("keeps a draft plan a draft, appeal window and all changeable, which can still be activated", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const draftTerms = { ...NEW_TERMS, appealWindowDays: 30 };
      await expect(f.claims.connect(f.payerKey).updatePlanTerms(planId, draftTerms))
        .to.emit(f.claims, "PlanTermsUpdated")
        .withArgs(planId, termsTuple(draftTerms));
      expect(await readPlan(f.claims, planId)).to.deep.equal({
        payer: f.payerId,
        status: PlanStatus.Draft,
        terms: draftTerms,
      });
      await expect(f.claims.connect(f.payerKey).activatePlan(planId))
        .to.emit(f.claims, "PlanActivated")
        .withArgs(planId);
      expect((await readPlan(f.claims, planId)).terms).to.deep.equal(draftTerms);
    });

    it("accepts the boundary terms and, updated again, the last terms win", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      const draft = await draftPlan(f);
      await (await asPayer.updatePlanTerms(draft, EDGE_TERMS)).wait();
      expect((await readPlan(f.claims, draft)).terms).to.deep.equal(EDGE_TERMS);
      await (await asPayer.updatePlanTerms(f.planId, ACTIVE_EDGE_TERMS)).wait();
      expect((await readPlan(f.claims, f.planId)).terms).to.deep.equal(ACTIVE_EDGE_TERMS);
      await (await asPayer.updatePlanTerms(f.planId, NEW_TERMS)).wait();
      expect((await readPlan(f.claims, f.planId)).terms).to.deep.equal(NEW_TERMS);
    });

    for (const bad of BAD_TERMS) {
      it(`refuses ${bad.why} with ${bad.error} and keeps the terms`, async function () {
        const { claims, payerKey, planId } = await loadFixture(claimsFixture);
        await expect(claims.connect(payerKey).updatePlanTerms(planId, bad.terms))
          .to.be.revertedWithCustomError(claims, bad.error)
          .withArgs(...bad.args);
        expect((await readPlan(claims, planId)).terms).to.deep.equal(TERMS);
      });
    }

    itIsOnlyForThePlanPayer({
      plan: "active",
      send: (claims, planId) => claims.updatePlanTerms(planId, NEW_TERMS),
    });
  });

  describe("setFees", function () {
    it("lists each entry, emitting FeeScheduled with the entry, on a draft plan", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, payerKey } = f;
      const planId = await draftPlan(f);
      const office = entry("99213", 120n * USD, 30n * USD);
      const mri = entry("J3490", 1_800n * USD, 0n, true);
      await expect(claims.connect(payerKey).setFees(planId, [office, mri]))
        .to.emit(claims, "FeeScheduled")
        .withArgs(planId, entryTuple(office))
        .and.to.emit(claims, "FeeScheduled")
        .withArgs(planId, entryTuple(mri));
      expect(await readFee(claims, planId, office.code)).to.deep.equal({ listed: true, ...office });
      expect(await readFee(claims, planId, mri.code)).to.deep.equal({ listed: true, ...mri });
      expect(await readFee(claims, planId, code("80053"))).to.deep.equal(unlisted(code("80053")));
      // Another plan's schedule is its own.
      expect(await readFee(claims, f.planId, mri.code)).to.deep.equal(unlisted(mri.code));
      expect((await readPlan(claims, planId)).status).to.equal(PlanStatus.Draft);
    });

    it("reads back the fixture's standard fee schedule", async function () {
      const { claims, planId } = await loadFixture(claimsFixture);
      for (const fee of STANDARD_FEES) {
        expect(await readFee(claims, planId, code(fee.code)), fee.code).to.deep.equal({
          listed: true,
          ...entry(fee.code, fee.allowedPerUnit, fee.copay, fee.requiresPriorAuth, BigInt(fee.maxUnits)),
        });
      }
    });

    it("re-prices a listed code on an active plan: the new entry replaces the old one entirely", async function () {
      const { claims, payerKey, planId } = await loadFixture(claimsFixture);
      // 99213 was 120 with a 30 copay and no authorization.
      const repriced = entry("99213", 130n * USD, 0n, true);
      await expect(claims.connect(payerKey).setFees(planId, [repriced]))
        .to.emit(claims, "FeeScheduled")
        .withArgs(planId, [repriced.code, 130n * USD, 0n, true, 0n]);
      expect(await readFee(claims, planId, repriced.code)).to.deep.equal({ listed: true, ...repriced });
      // The other codes are untouched.
      expect(await readFee(claims, planId, code("80053"))).to.deep.equal({
        listed: true,
        ...entry("80053", 45n * USD),
      });
    });

    it("sets, changes and clears a code's medically unlikely edit (maxUnits), emitting it in FeeScheduled", async function () {
      const { claims, payerKey, planId } = await loadFixture(claimsFixture);
      const asPayer = claims.connect(payerKey);
      const limited = entry("97110", 40n * USD, 20n * USD, false, 4n);
      await expect(asPayer.setFees(planId, [limited]))
        .to.emit(claims, "FeeScheduled")
        .withArgs(planId, entryTuple(limited));
      expect(await readFee(claims, planId, limited.code)).to.deep.equal({ listed: true, ...limited });
      const raised = { ...limited, maxUnits: 99_999n };
      await (await asPayer.setFees(planId, [raised])).wait();
      expect((await readFee(claims, planId, limited.code)).maxUnits).to.equal(99_999n);
      // A re-listing without maxUnits is no edit at all (0), not the previous one kept.
      const cleared = entry("97110", 40n * USD, 20n * USD);
      await expect(asPayer.setFees(planId, [cleared]))
        .to.emit(claims, "FeeScheduled")
        .withArgs(planId, entryTuple(cleared));
      expect(await readFee(claims, planId, limited.code)).to.deep.equal({ listed: true, ...cleared });
      // Removing the code drops its edit with it.
      await (await asPayer.setFees(planId, [limited])).wait();
      await (await asPayer.removeFees(planId, [limited.code])).wait();
      expect(await readFee(claims, planId, limited.code)).to.deep.equal(unlisted(limited.code));
    });

    it("keeps the last entry when a batch lists a code twice", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const first = entry("97110", 40n * USD, 20n * USD);
      const second = entry("97110", 35n * USD, 10n * USD, true);
      const tx = f.claims.connect(f.payerKey).setFees(planId, [first, second]);
      await expect(tx).to.emit(f.claims, "FeeScheduled").withArgs(planId, entryTuple(first));
      await expect(tx).to.emit(f.claims, "FeeScheduled").withArgs(planId, entryTuple(second));
      expect(await readFee(f.claims, planId, first.code)).to.deep.equal({ listed: true, ...second });
    });

    it("accepts a zero copay, a copay above the allowed amount and the largest amounts", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const max = 2n ** 80n - 1n;
      const entries = [
        entry("00000", 1n),
        entry("ZZZZZ", 10n, 50n, false, 1n),
        entry("09AZ9", max, max, true, 2n ** 32n - 1n),
      ];
      await (await f.claims.connect(f.payerKey).setFees(planId, entries)).wait();
      for (const e of entries) expect(await readFee(f.claims, planId, e.code)).to.deep.equal({ listed: true, ...e });
    });

    it("lists a batch of exactly MAX_BATCH (256) entries", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims } = f;
      expect(await claims.MAX_BATCH()).to.equal(MAX_BATCH);
      const planId = await draftPlan(f);
      const entries = Array.from({ length: Number(MAX_BATCH) }, (_, i) =>
        entry(`F${i.toString().padStart(4, "0")}`, BigInt(i + 1) * USD, BigInt(i % 7) * USD, i % 2 === 0),
      );
      const receipt = await (await claims.connect(f.payerKey).setFees(planId, entries)).wait();
      const scheduled = (receipt?.logs ?? []).filter((log) => claims.interface.parseLog(log)?.name === "FeeScheduled");
      expect(scheduled).to.have.length(256);
      for (const e of entries)
        expect(await readFee(claims, planId, e.code), e.code).to.deep.equal({ listed: true, ...e });
    });

    it("refuses an empty batch and one of MAX_BATCH + 1 with ClaimsInvalidBatchSize", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const asPayer = f.claims.connect(f.payerKey);
      await expect(asPayer.setFees(planId, []))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidBatchSize")
        .withArgs(0n, MAX_BATCH);
      const tooMany = Array.from({ length: 257 }, (_, i) => entry(`G${i.toString().padStart(4, "0")}`, USD));
      await expect(asPayer.setFees(planId, tooMany))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidBatchSize")
        .withArgs(257n, MAX_BATCH);
      expect(await readFee(f.claims, planId, code("G0000"))).to.deep.equal(unlisted(code("G0000")));
    });

    for (const [why, bad] of BAD_CODES) {
      it(`refuses a code with ${why} with ClaimsInvalidProcedureCode`, async function () {
        const f = await loadFixture(claimsFixture);
        await expect(
          f.claims
            .connect(f.payerKey)
            .setFees(f.planId, [{ code: bad, allowedPerUnit: USD, copay: 0n, requiresPriorAuth: false, maxUnits: 0n }]),
        )
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidProcedureCode")
          .withArgs(bad);
        expect(await readFee(f.claims, f.planId, bad)).to.deep.equal(unlisted(bad));
      });
    }

    it("refuses a whole batch when one entry is invalid: the valid entries before it are not listed", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const good = entry("99213", 120n * USD);
      const bad = { code: rawCode("99.13"), allowedPerUnit: USD, copay: 0n, requiresPriorAuth: false, maxUnits: 0n };
      await expect(f.claims.connect(f.payerKey).setFees(planId, [good, bad]))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidProcedureCode")
        .withArgs(bad.code);
      expect(await readFee(f.claims, planId, good.code)).to.deep.equal(unlisted(good.code));
    });

    it("refuses a zero allowed amount with ClaimsZeroAllowedAmount, even to re-price a listed code", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const asPayer = f.claims.connect(f.payerKey);
      await expect(asPayer.setFees(planId, [entry("80053", 45n * USD), entry("99213", 0n, 30n * USD)]))
        .to.be.revertedWithCustomError(f.claims, "ClaimsZeroAllowedAmount")
        .withArgs(code("99213"));
      expect(await readFee(f.claims, planId, code("80053"))).to.deep.equal(unlisted(code("80053")));
      await expect(asPayer.setFees(f.planId, [entry("99213", 0n)]))
        .to.be.revertedWithCustomError(f.claims, "ClaimsZeroAllowedAmount")
        .withArgs(code("99213"));
      expect((await readFee(f.claims, f.planId, code("99213"))).allowedPerUnit).to.equal(120n * USD);
    });

    it("checks the procedure code before the allowed amount", async function () {
      const f = await loadFixture(claimsFixture);
      const bad = rawCode("abcde");
      await expect(
        f.claims
          .connect(f.payerKey)
          .setFees(f.planId, [{ code: bad, allowedPerUnit: 0n, copay: 0n, requiresPriorAuth: false, maxUnits: 0n }]),
      )
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidProcedureCode")
        .withArgs(bad);
    });

    itIsOnlyForThePlanPayer({
      plan: "draft",
      send: (claims, planId) => claims.setFees(planId, [entry("99213", 120n * USD)]),
    });
  });

  describe("removeFees", function () {
    it("unlists each code, emitting FeeRemoved, and leaves the others", async function () {
      const { claims, payerKey, planId } = await loadFixture(claimsFixture);
      const office = code("99213");
      const mri = code("70553");
      await expect(claims.connect(payerKey).removeFees(planId, [office, mri]))
        .to.emit(claims, "FeeRemoved")
        .withArgs(planId, office)
        .and.to.emit(claims, "FeeRemoved")
        .withArgs(planId, mri);
      expect(await readFee(claims, planId, office)).to.deep.equal(unlisted(office));
      expect(await readFee(claims, planId, mri)).to.deep.equal(unlisted(mri));
      expect(await readFee(claims, planId, code("80053"))).to.deep.equal({
        listed: true,
        ...entry("80053", 45n * USD),
      });
    });

    it("is harmless for a code the schedule does not list, or no longer lists", async function () {
      const { claims, payerKey, planId } = await loadFixture(claimsFixture);
      const never = code("12345");
      await expect(claims.connect(payerKey).removeFees(planId, [never]))
        .to.emit(claims, "FeeRemoved")
        .withArgs(planId, never);
      expect(await readFee(claims, planId, never)).to.deep.equal(unlisted(never));
      const office = code("99213");
      await (await claims.connect(payerKey).removeFees(planId, [office])).wait();
      await expect(claims.connect(payerKey).removeFees(planId, [office, office]))
        .to.emit(claims, "FeeRemoved")
        .withArgs(planId, office);
      expect(await readFee(claims, planId, office)).to.deep.equal(unlisted(office));
      for (const fee of STANDARD_FEES.filter((e) => e.code !== "99213")) {
        expect((await readFee(claims, planId, code(fee.code))).listed, fee.code).to.equal(true);
      }
    });

    it("lets a removed code be listed again with new figures", async function () {
      const { claims, payerKey, planId } = await loadFixture(claimsFixture);
      const asPayer = claims.connect(payerKey);
      await (await asPayer.removeFees(planId, [code("27447")])).wait();
      const relisted = entry("27447", 20_000n * USD, 0n, false);
      await (await asPayer.setFees(planId, [relisted])).wait();
      expect(await readFee(claims, planId, relisted.code)).to.deep.equal({ listed: true, ...relisted });
    });

    it("removes a batch of exactly MAX_BATCH codes and refuses 0 or MAX_BATCH + 1 with ClaimsInvalidBatchSize", async function () {
      const { claims, payerKey, planId } = await loadFixture(claimsFixture);
      const asPayer = claims.connect(payerKey);
      const codes = (n: number) => Array.from({ length: n }, (_, i) => code(`R${i.toString().padStart(4, "0")}`));
      await expect(asPayer.removeFees(planId, []))
        .to.be.revertedWithCustomError(claims, "ClaimsInvalidBatchSize")
        .withArgs(0n, MAX_BATCH);
      await expect(asPayer.removeFees(planId, [...codes(256), code("99213")]))
        .to.be.revertedWithCustomError(claims, "ClaimsInvalidBatchSize")
        .withArgs(257n, MAX_BATCH);
      expect((await readFee(claims, planId, code("99213"))).listed).to.equal(true);
      await expect(asPayer.removeFees(planId, [...codes(255), code("99213")])).not.to.be.reverted;
      expect(await readFee(claims, planId, code("99213"))).to.deep.equal(unlisted(code("99213")));
    });

    itIsOnlyForThePlanPayer({
      plan: "active",
      send: (claims, planId) => claims.removeFees(planId, [code("99213")]),
    });
  });

  describe("setNetwork", function () {
    it("adds organizations to the network, emitting NetworkChanged for each", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      await expect(f.claims.connect(f.payerKey).setNetwork(planId, [f.hospitalId, f.clinicId], true))
        .to.emit(f.claims, "NetworkChanged")
        .withArgs(planId, f.hospitalId, true)
        .and.to.emit(f.claims, "NetworkChanged")
        .withArgs(planId, f.clinicId, true);
      expect(await f.claims.inNetwork(planId, f.hospitalId)).to.equal(true);
      expect(await f.claims.inNetwork(planId, f.clinicId)).to.equal(true);
      // The fixture's plan's network is its own: the clinic is still out of it.
      expect(await f.claims.inNetwork(f.planId, f.clinicId)).to.equal(false);
    });

    it("reads the fixture's network: the hospital in, the clinic and a practitioner out", async function () {
      const f = await loadFixture(claimsFixture);
      expect(await f.claims.inNetwork(f.planId, f.hospitalId)).to.equal(true);
      expect(await f.claims.inNetwork(f.planId, f.clinicId)).to.equal(false);
      expect(await f.claims.inNetwork(f.planId, f.cardiologistId)).to.equal(false);
    });

    it("removes an organization, and adding one twice keeps it in", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      await expect(asPayer.setNetwork(f.planId, [f.hospitalId, f.hospitalId], true))
        .to.emit(f.claims, "NetworkChanged")
        .withArgs(f.planId, f.hospitalId, true);
      expect(await f.claims.inNetwork(f.planId, f.hospitalId)).to.equal(true);
      await expect(asPayer.setNetwork(f.planId, [f.hospitalId], false))
        .to.emit(f.claims, "NetworkChanged")
        .withArgs(f.planId, f.hospitalId, false);
      expect(await f.claims.inNetwork(f.planId, f.hospitalId)).to.equal(false);
    });

    it("removes without checking the kind: a practitioner, a payer or an unregistered id", async function () {
      const f = await loadFixture(claimsFixture);
      const ids = [f.cardiologistId, f.payerId, UNREGISTERED_ID, f.clinicId];
      const tx = f.claims.connect(f.payerKey).setNetwork(f.planId, ids, false);
      for (const id of ids) await expect(tx).to.emit(f.claims, "NetworkChanged").withArgs(f.planId, id, false);
      for (const id of ids) expect(await f.claims.inNetwork(f.planId, id)).to.equal(false);
      expect(await f.claims.inNetwork(f.planId, f.hospitalId)).to.equal(true);
    });

    it("refuses to add anything but an organization with ClaimsNotAnOrganization", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const asPayer = f.claims.connect(f.payerKey);
      const notOrganizations: [string, bigint][] = [
        ["a practitioner", f.cardiologistId],
        ["a payer", f.payerId],
        ["another payer", f.otherPayerId],
        ["a patient", f.patientId],
        ["a device", f.deviceId],
        ["a research sponsor", f.sponsorId],
        ["an unregistered id", UNREGISTERED_ID],
      ];
      for (const [who, id] of notOrganizations) {
        await expect(asPayer.setNetwork(planId, [id], true), who)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAnOrganization")
          .withArgs(id);
        expect(await f.claims.inNetwork(planId, id), who).to.equal(false);
      }
    });

    it("refuses a whole batch when one id is not an organization: the organizations before it stay out", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      await expect(f.claims.connect(f.payerKey).setNetwork(planId, [f.hospitalId, f.clinicDoctorId], true))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAnOrganization")
        .withArgs(f.clinicDoctorId);
      expect(await f.claims.inNetwork(planId, f.hospitalId)).to.equal(false);
    });

    it("takes exactly MAX_BATCH organizations and refuses 0 or MAX_BATCH + 1 with ClaimsInvalidBatchSize", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const asPayer = f.claims.connect(f.payerKey);
      for (const inNetwork of [true, false]) {
        await expect(asPayer.setNetwork(planId, [], inNetwork))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidBatchSize")
          .withArgs(0n, MAX_BATCH);
        await expect(asPayer.setNetwork(planId, new Array<bigint>(257).fill(f.clinicId), inNetwork))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidBatchSize")
          .withArgs(257n, MAX_BATCH);
      }
      expect(await f.claims.inNetwork(planId, f.clinicId)).to.equal(false);
      await expect(asPayer.setNetwork(planId, new Array<bigint>(256).fill(f.clinicId), true)).not.to.be.reverted;
      expect(await f.claims.inNetwork(planId, f.clinicId)).to.equal(true);
    });

    itIsOnlyForThePlanPayer({
      plan: "draft",
      send: (claims, planId, f) => claims.setNetwork(planId, [f.clinicId], true),
    });
  });

  describe("activatePlan", function () {
    it("moves a draft plan to Active, emitting PlanActivated, and keeps its terms, fees and network", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const asPayer = f.claims.connect(f.payerKey);
      await (await asPayer.setFees(planId, [entry("99213", 100n * USD)])).wait();
      await (await asPayer.setNetwork(planId, [f.clinicId], true)).wait();
      await expect(asPayer.activatePlan(planId)).to.emit(f.claims, "PlanActivated").withArgs(planId);
      expect(await readPlan(f.claims, planId)).to.deep.equal({
        payer: f.payerId,
        status: PlanStatus.Active,
        terms: TERMS,
      });
      expect(await readFee(f.claims, planId, code("99213"))).to.deep.equal({
        listed: true,
        ...entry("99213", 100n * USD),
      });
      expect(await f.claims.inNetwork(planId, f.clinicId)).to.equal(true);
    });

    it("activates an empty draft (no fees, no network)", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      await expect(f.claims.connect(f.payerKey).activatePlan(planId))
        .to.emit(f.claims, "PlanActivated")
        .withArgs(planId);
      expect((await readPlan(f.claims, planId)).status).to.equal(PlanStatus.Active);
    });

    it("refuses an active plan with ClaimsInvalidPlanTransition(Active → Active)", async function () {
      const f = await loadFixture(claimsFixture);
      await expect(f.claims.connect(f.payerKey).activatePlan(f.planId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidPlanTransition")
        .withArgs(f.planId, PlanStatus.Active, PlanStatus.Active);
      const planId = await draftPlan(f);
      await (await f.claims.connect(f.payerKey).activatePlan(planId)).wait();
      await expect(f.claims.connect(f.payerKey).activatePlan(planId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidPlanTransition")
        .withArgs(planId, PlanStatus.Active, PlanStatus.Active);
      expect((await readPlan(f.claims, planId)).status).to.equal(PlanStatus.Active);
    });

    it("never moves a plan back: updating an active plan's terms or fees leaves it active", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      await (await asPayer.updatePlanTerms(f.planId, ACTIVE_EDGE_TERMS)).wait();
      await (await asPayer.setFees(f.planId, [entry("99213", USD)])).wait();
      await (await asPayer.removeFees(f.planId, [code("99213")])).wait();
      await (await asPayer.setNetwork(f.planId, [f.hospitalId], false)).wait();
      expect((await readPlan(f.claims, f.planId)).status).to.equal(PlanStatus.Active);
    });

    itIsOnlyForThePlanPayer({
      plan: "draft",
      send: (claims, planId) => claims.activatePlan(planId),
    });
  });

  describe("enroll", function () {
    it("enrolls a member as seq 0 with fresh accumulators, covering both ends of the period", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, payerKey, planId } = f;
      const other = memberOf(planId, f.otherPatientId);
      const start = f.coverageStart + 10n * BigInt(DAY);
      const end = start + 90n * BigInt(DAY);
      expect(await claims.connect(payerKey).enroll.staticCall(planId, other, start, end)).to.equal(0n);
      await expect(claims.connect(payerKey).enroll(planId, other, start, end))
        .to.emit(claims, "MemberEnrolled")
        .withArgs(planId, other, 0, start, end);
      expect(await claims.enrollmentCount(planId, other)).to.equal(1n);
      expect(await readEnrollment(claims, planId, other, 0)).to.deep.equal(period(start, end));
      expect(await enrollmentOn(claims, planId, other, start)).to.deep.equal([true, 0]);
      expect(await enrollmentOn(claims, planId, other, end)).to.deep.equal([true, 0]);
      expect(await enrollmentOn(claims, planId, other, start - 1n)).to.deep.equal([false, 0]);
      expect(await enrollmentOn(claims, planId, other, end + 1n)).to.deep.equal([false, 0]);
      // The other enrollments are untouched.
      expect(await claims.enrollmentCount(planId, f.member)).to.equal(1n);
    });

    it("reads the fixture's enrollment: the patient's member pseudonym, seq 0 from coverageStart to coverageEnd", async function () {
      const f = await loadFixture(claimsFixture);
      expect(f.member).to.equal(memberOf(f.planId, f.patientId));
      expect(await f.claims.enrollmentCount(f.planId, f.member)).to.equal(1n);
      expect(f.coverageEnd - f.coverageStart).to.equal(BigInt(YEAR) - 1n);
      expect(await readEnrollment(f.claims, f.planId, f.member, 0)).to.deep.equal(
        period(f.coverageStart, f.coverageEnd),
      );
      // The pseudonym is all the chain knows: the patient's id names no enrollment.
      const idAsWord = ethers.zeroPadValue(ethers.toBeHex(f.patientId), 32);
      expect(await f.claims.enrollmentCount(f.planId, idAsWord)).to.equal(0n);
    });

    it("numbers enrollments 0, 1, 2, 3 in chronological order and finds every period's edges", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, planId, member, coverageStart: start0, coverageEnd: end0 } = f;
      const asPayer = claims.connect(f.payerKey);
      // seq 0 (the fixture's): [start0, end0]. seq 1: the next year, right after. seq 2: after a 30-day gap. seq 3: one
      // second long, after a one-second gap.
      const start1 = end0 + 1n;
      const end1 = start1 + BigInt(YEAR) - 1n;
      const start2 = end1 + 30n * BigInt(DAY);
      const end2 = start2 + 100n * BigInt(DAY);
      const start3 = end2 + 2n;
      const end3 = start3;
      for (const [seq, s, e] of [
        [1, start1, end1],
        [2, start2, end2],
        [3, start3, end3],
      ] as const) {
        await expect(asPayer.enroll(planId, member, s, e))
          .to.emit(claims, "MemberEnrolled")
          .withArgs(planId, member, seq, s, e);
      }
      expect(await claims.enrollmentCount(planId, member)).to.equal(4n);
      const periods = [period(start0, end0), period(start1, end1), period(start2, end2), period(start3, end3)];
      for (const [seq, expected] of periods.entries()) {
        expect(await readEnrollment(claims, planId, member, seq), `seq ${seq}`).to.deep.equal(expected);
      }
      // Out-of-range numbers read zeros.
      for (const seq of [4, 5, 65_535]) {
        expect(await readEnrollment(claims, planId, member, seq), `seq ${seq}`).to.deep.equal(period(0n, 0n));
      }
      // Every period's edges find their own enrollment, the older ones included; gaps and the outside find none.
      const expectations: [bigint, boolean, number][] = [
        [start0 - 1n, false, 0],
        [start0, true, 0],
        [start0 + 100n * BigInt(DAY), true, 0],
        [end0, true, 0],
        [start1, true, 1],
        [end1, true, 1],
        [end1 + 1n, false, 0],
        [start2 - 1n, false, 0],
        [start2, true, 2],
        [end2, true, 2],
        [end2 + 1n, false, 0],
        [start3, true, 3],
        [end3 + 1n, false, 0],
      ];
      for (const [time, found, seq] of expectations) {
        expect(await enrollmentOn(claims, planId, member, time), `time ${time}`).to.deep.equal([found, seq]);
      }
    });

    it("finds the right one of 40 periods by binary search, and none in the gaps between them", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, planId } = f;
      const member = memberOf(planId, f.otherPatientId);
      const asPayer = claims.connect(f.payerKey);
      // Periods of 9 days with a one-day gap after each, from a year before the fixture's coverage.
      const first = f.coverageStart - BigInt(YEAR);
      const periods = Array.from({ length: 40 }, (_, i) => {
        const start = first + BigInt(i) * 10n * BigInt(DAY);
        return [start, start + 9n * BigInt(DAY) - 1n] as const;
      });
      for (const [s, e] of periods) await (await asPayer.enroll(planId, member, s, e)).wait();
      expect(await claims.enrollmentCount(planId, member)).to.equal(40n);
      for (const [seq, [s, e]] of periods.entries()) {
        for (const time of [s, s + (e - s) / 2n, e]) {
          expect(await enrollmentOn(claims, planId, member, time), `seq ${seq} at ${time}`).to.deep.equal([true, seq]);
        }
        expect(await enrollmentOn(claims, planId, member, e + 1n), `gap after ${seq}`).to.deep.equal([false, 0]);
      }
      expect(await enrollmentOn(claims, planId, member, first - 1n)).to.deep.equal([false, 0]);
    });

    it("refuses a period that does not start after the latest ends with ClaimsEnrollmentNotAfterLatest", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, planId, member, coverageStart: start, coverageEnd: end } = f;
      const asPayer = claims.connect(f.payerKey);
      const refused: [string, bigint, bigint][] = [
        ["starting on the last covered second", end, end + BigInt(DAY)],
        ["ending on the first covered second", start - BigInt(DAY), start],
        ["inside it", start + 1n, end - 1n],
        ["around it", start - 1n, end + 1n],
        ["the same period", start, end],
        ["entirely before it, with no overlap", start - BigInt(YEAR), start - BigInt(DAY)],
      ];
      for (const [why, s, e] of refused) {
        await expect(asPayer.enroll(planId, member, s, e), why)
          .to.be.revertedWithCustomError(claims, "ClaimsEnrollmentNotAfterLatest")
          .withArgs(planId, member, end);
      }
      expect(await claims.enrollmentCount(planId, member)).to.equal(1n);
      // One second after the latest ends is after it.
      await expect(asPayer.enroll(planId, member, end + 1n, end + BigInt(DAY)))
        .to.emit(claims, "MemberEnrolled")
        .withArgs(planId, member, 1, end + 1n, end + BigInt(DAY));
    });

    it("refuses a period in a gap between older periods, naming the latest period's end", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, planId, member, coverageEnd: end0 } = f;
      const asPayer = claims.connect(f.payerKey);
      const start1 = end0 + 30n * BigInt(DAY);
      const end1 = start1 + BigInt(DAY);
      await (await asPayer.enroll(planId, member, start1, end1)).wait();
      await expect(asPayer.enroll(planId, member, end0 + 1n, start1 - 1n))
        .to.be.revertedWithCustomError(claims, "ClaimsEnrollmentNotAfterLatest")
        .withArgs(planId, member, end1);
      expect(await claims.enrollmentCount(planId, member)).to.equal(2n);
    });

    it("keeps one member's periods in different plans, and different members' periods, apart", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const asPayer = f.claims.connect(f.payerKey);
      await (await asPayer.activatePlan(planId)).wait();
      // The same pseudonym in another plan is another key (the payer would issue her another one there anyway).
      for (const member of [f.member, memberOf(planId, f.patientId)]) {
        await expect(asPayer.enroll(planId, member, f.coverageStart, f.coverageEnd))
          .to.emit(f.claims, "MemberEnrolled")
          .withArgs(planId, member, 0, f.coverageStart, f.coverageEnd);
      }
      const other = memberOf(f.planId, f.otherPatientId);
      await expect(asPayer.enroll(f.planId, other, f.coverageStart, f.coverageEnd))
        .to.emit(f.claims, "MemberEnrolled")
        .withArgs(f.planId, other, 0, f.coverageStart, f.coverageEnd);
      expect(await f.claims.enrollmentCount(f.planId, f.member)).to.equal(1n);
      expect(await f.claims.enrollmentCount(planId, f.member)).to.equal(1n);
    });

    it("enrolls a one-second period and one ending on the last 40-bit second", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      const other = memberOf(f.planId, f.otherPatientId);
      const instant = f.coverageStart - 1n;
      await expect(asPayer.enroll(f.planId, other, instant, instant))
        .to.emit(f.claims, "MemberEnrolled")
        .withArgs(f.planId, other, 0, instant, instant);
      const last = TWO_POW_40 - 1n;
      await expect(asPayer.enroll(f.planId, other, f.coverageEnd, last))
        .to.emit(f.claims, "MemberEnrolled")
        .withArgs(f.planId, other, 1, f.coverageEnd, last);
      expect(await readEnrollment(f.claims, f.planId, other, 1)).to.deep.equal(period(f.coverageEnd, last));
      expect(await enrollmentOn(f.claims, f.planId, other, last)).to.deep.equal([true, 1]);
      expect(await enrollmentOn(f.claims, f.planId, other, instant)).to.deep.equal([true, 0]);
    });

    it("refuses a period that starts at 0, starts after it ends or ends at or beyond 2^40 with ClaimsInvalidCoverage", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      const other = memberOf(f.planId, f.otherPatientId);
      const cases: [string, bigint, bigint][] = [
        ["a start one second after the end", f.coverageEnd + 1n, f.coverageEnd],
        ["a start a year after the end", f.coverageStart + BigInt(YEAR), f.coverageStart],
        ["an end of 2^40", f.coverageStart, TWO_POW_40],
        ["a start and an end of 2^40", TWO_POW_40, TWO_POW_40],
        ["the largest uint48 end", f.coverageStart, 2n ** 48n - 1n],
        // [0, 0] would pack to the empty word and read as no enrollment at all.
        ["a period of [0, 0]", 0n, 0n],
        ["a start of 0", 0n, f.coverageEnd],
      ];
      for (const [why, s, e] of cases) {
        await expect(asPayer.enroll(f.planId, other, s, e), why)
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidCoverage")
          .withArgs(s, e);
      }
      expect(await f.claims.enrollmentCount(f.planId, other)).to.equal(0n);
      // A malformed period of a member with enrollments is refused as malformed before its order is checked.
      await expect(asPayer.enroll(f.planId, f.member, f.coverageEnd + 2n, f.coverageEnd + 1n))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidCoverage")
        .withArgs(f.coverageEnd + 2n, f.coverageEnd + 1n);
    });

    it("refuses a zero member pseudonym with ClaimsInvalidMember, before the period is checked", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      await expect(asPayer.enroll(f.planId, ethers.ZeroHash, f.coverageStart, f.coverageEnd))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidMember")
        .withArgs();
      await expect(asPayer.enroll(f.planId, ethers.ZeroHash, 0n, 0n))
        .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidMember")
        .withArgs();
      expect(await f.claims.enrollmentCount(f.planId, ethers.ZeroHash)).to.equal(0n);
    });

    it("takes any other pseudonym the payer issues: the adjudicator never learns whose it is", async function () {
      const f = await loadFixture(claimsFixture);
      const asPayer = f.claims.connect(f.payerKey);
      for (const member of [ethers.zeroPadValue("0x01", 32), "0x" + "ff".repeat(32)]) {
        await expect(asPayer.enroll(f.planId, member, f.coverageStart, f.coverageEnd))
          .to.emit(f.claims, "MemberEnrolled")
          .withArgs(f.planId, member, 0, f.coverageStart, f.coverageEnd);
      }
    });

    it("takes a member's 65,536th period (seq 65,535) and refuses the next with ClaimsTooManyEnrollments", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, planId, member } = f;
      // 65,535 enrollments are too many transactions for a test: the latest period's word (index 0 of the member's
      // periods, see ClaimsAdjudicator._enrollments) is written with the seq it would have, read from the compiler's
      // storage layout. The word packs seq << 240 | coverageEnd << 40 | coverageStart (EnrollmentWord.sol).
      const buildInfo = await hre.artifacts.getBuildInfo("contracts/claims/ClaimsAdjudicator.sol:ClaimsAdjudicator");
      const layout = (
        buildInfo?.output.contracts["contracts/claims/ClaimsAdjudicator.sol"]?.ClaimsAdjudicator as unknown as {
          storageLayout: { storage: { label: string; slot: string }[] };
        }
      ).storageLayout.storage;
      const slot = BigInt(layout.find((s) => s.label === "_enrollments")!.slot);
      const coder = ethers.AbiCoder.defaultAbiCoder();
      const memberKey = ethers.keccak256(coder.encode(["uint64", "bytes32"], [planId, member]));
      const inner = ethers.keccak256(coder.encode(["bytes32", "uint256"], [memberKey, slot]));
      const head = ethers.keccak256(coder.encode(["uint256", "bytes32"], [0n, inner]));
      const word = (seq: bigint) => (seq << 240n) | (f.coverageEnd << 40n) | f.coverageStart;
      // The layout is what the test thinks: the fixture's own period reads back from that word.
      expect(BigInt(await hre.ethers.provider.getStorage(await claims.getAddress(), head))).to.equal(word(0n));
      await setStorageAt(await claims.getAddress(), head, ethers.toBeHex(word(65_534n), 32));
      expect(await claims.enrollmentCount(planId, member)).to.equal(65_535n);
      const asPayer = claims.connect(f.payerKey);
      const next = f.coverageEnd + 1n;
      await expect(asPayer.enroll(planId, member, next, next + BigInt(DAY)))
        .to.emit(claims, "MemberEnrolled")
        .withArgs(planId, member, 65_535, next, next + BigInt(DAY));
      expect(await claims.enrollmentCount(planId, member)).to.equal(65_536n);
      expect(await enrollmentOn(claims, planId, member, next)).to.deep.equal([true, 65_535]);
      expect(await readEnrollment(claims, planId, member, 65_534)).to.deep.equal(
        period(f.coverageStart, f.coverageEnd),
      );
      const later = next + 2n * BigInt(DAY);
      await expect(asPayer.enroll(planId, member, later, later))
        .to.be.revertedWithCustomError(claims, "ClaimsTooManyEnrollments")
        .withArgs(planId, member);
      expect(await claims.enrollmentCount(planId, member)).to.equal(65_536n);
    });

    it("refuses a draft plan with ClaimsPlanNotActive", async function () {
      const f = await loadFixture(claimsFixture);
      const planId = await draftPlan(f);
      const member = memberOf(planId, f.patientId);
      await expect(f.claims.connect(f.payerKey).enroll(planId, member, f.coverageStart, f.coverageEnd))
        .to.be.revertedWithCustomError(f.claims, "ClaimsPlanNotActive")
        .withArgs(planId, PlanStatus.Draft);
      expect(await f.claims.enrollmentCount(planId, member)).to.equal(0n);
    });

    itIsOnlyForThePlanPayer({
      plan: "active",
      send: (claims, planId, f) =>
        claims.enroll(planId, memberOf(planId, f.otherPatientId), f.coverageStart, f.coverageEnd),
    });
  });

  describe("views", function () {
    it("plan reverts with ClaimsUnknownPlan for id 0 and ids past planCount", async function () {
      const f = await loadFixture(claimsFixture);
      for (const planId of [0n, 2n, 2n ** 64n - 1n]) {
        await expect(f.claims.plan(planId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPlan")
          .withArgs(planId);
      }
      const planId = await draftPlan(f);
      expect(planId).to.equal(2n);
      expect((await readPlan(f.claims, 2n)).status).to.equal(PlanStatus.Draft);
    });

    it("reads nothing for an unknown plan, patient or organization", async function () {
      const f = await loadFixture(claimsFixture);
      expect(await readFee(f.claims, 99n, code("99213"))).to.deep.equal(unlisted(code("99213")));
      expect(await f.claims.inNetwork(99n, f.hospitalId)).to.equal(false);
      expect(await f.claims.inNetwork(f.planId, UNREGISTERED_ID)).to.equal(false);
      const other = memberOf(f.planId, f.otherPatientId);
      expect(await f.claims.enrollmentCount(99n, f.member)).to.equal(0n);
      expect(await f.claims.enrollmentCount(f.planId, other)).to.equal(0n);
      expect(await readEnrollment(f.claims, f.planId, other, 0)).to.deep.equal(period(0n, 0n));
      expect(await readEnrollment(f.claims, 99n, f.member, 0)).to.deep.equal(period(0n, 0n));
      expect(await enrollmentOn(f.claims, f.planId, other, f.coverageStart)).to.deep.equal([false, 0]);
      expect(await enrollmentOn(f.claims, 99n, f.member, f.coverageStart)).to.deep.equal([false, 0]);
    });
  });
});
