import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { ALL_PURPOSES, categorySet, DataCategory, Purpose, PURPOSE_COUNT, purposeSet } from "../../sdk";
import type { ConsentPolicy } from "../../typechain-types";
import { MAX_BREAK_GLASS } from "../fixtures/consent";
import { DAY } from "../fixtures/identity";
import { systemFixture } from "../fixtures/system";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

interface RulesInput {
  sensitiveCategories: number;
  namedPurposes: number;
  breakGlassExcludedCategories: number;
  maxBreakGlassDuration: number;
  maxOpenBreakGlassSessions: number;
}

/** `MAX_OPEN_BREAK_GLASS_SESSIONS` in contracts/consent/Consent.sol: the most a policy may let one practitioner hold. */
const MAX_OPEN_BREAK_GLASS_SESSIONS = 8;

const RULES: RulesInput = {
  sensitiveCategories: categorySet(
    DataCategory.MentalHealth,
    DataCategory.SubstanceUse,
    DataCategory.SexualAndReproductiveHealth,
    DataCategory.Genomics,
  ),
  namedPurposes: purposeSet(Purpose.Research),
  breakGlassExcludedCategories: categorySet(DataCategory.Genomics),
  maxBreakGlassDuration: MAX_BREAK_GLASS,
  maxOpenBreakGlassSessions: 3,
};

/** Distinct maxima per purpose, in `Purpose` order, so that every lookup names the purpose it read. */
const DURATIONS: readonly number[] = [
  365 * DAY, // Treatment
  90 * DAY, // Payment
  180 * DAY, // HealthcareOperations
  1825 * DAY, // Research
  60 * DAY, // PublicHealth
  30 * DAY, // EmergencyTreatment
];

function durationOf(purpose: Purpose): bigint {
  const value = DURATIONS[purpose];
  if (value === undefined) throw new Error(`no duration for purpose ${purpose}`);
  return BigInt(value);
}

async function factory() {
  return ethers.getContractFactory("ConsentPolicy");
}

async function policyFixture(): Promise<{ policy: ConsentPolicy }> {
  const policy = await (await factory()).deploy(RULES, [...DURATIONS]);
  await policy.waitForDeployment();
  return { policy };
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ConsentPolicy", function () {
  describe("constructor", function () {
    it("stores the rules it is given", async function () {
      const { policy } = await loadFixture(policyFixture);
      const rules = await policy.rules();
      expect({
        sensitiveCategories: rules.sensitiveCategories,
        namedPurposes: rules.namedPurposes,
        breakGlassExcludedCategories: rules.breakGlassExcludedCategories,
        maxBreakGlassDuration: rules.maxBreakGlassDuration,
        maxOpenBreakGlassSessions: rules.maxOpenBreakGlassSessions,
      }).to.deep.equal({
        sensitiveCategories: BigInt(RULES.sensitiveCategories),
        namedPurposes: BigInt(RULES.namedPurposes),
        breakGlassExcludedCategories: BigInt(RULES.breakGlassExcludedCategories),
        maxBreakGlassDuration: BigInt(RULES.maxBreakGlassDuration),
        maxOpenBreakGlassSessions: BigInt(RULES.maxOpenBreakGlassSessions),
      });
    });

    it("accepts empty rule sets and every defined category and purpose", async function () {
      const f = await factory();
      const none = await f.deploy(
        { ...RULES, sensitiveCategories: 0, namedPurposes: 0, breakGlassExcludedCategories: 0 },
        [...DURATIONS],
      );
      expect((await none.rules()).sensitiveCategories).to.equal(0n);
      const all = await f.deploy(
        {
          sensitiveCategories: 0xffff,
          namedPurposes: 0x3f,
          breakGlassExcludedCategories: 0xffff,
          maxBreakGlassDuration: 1,
          maxOpenBreakGlassSessions: 1,
        },
        [...DURATIONS],
      );
      const rules = await all.rules();
      expect([rules.sensitiveCategories, rules.namedPurposes, rules.breakGlassExcludedCategories]).to.deep.equal([
        0xffffn,
        0x3fn,
        0xffffn,
      ]);
      expect(rules.maxBreakGlassDuration).to.equal(1n);
      expect(rules.maxOpenBreakGlassSessions).to.equal(1n);
    });

    it("accepts an open-session maximum of 1 and of MAX_OPEN_BREAK_GLASS_SESSIONS", async function () {
      const f = await factory();
      for (const maxOpenBreakGlassSessions of [1, MAX_OPEN_BREAK_GLASS_SESSIONS]) {
        const policy = await f.deploy({ ...RULES, maxOpenBreakGlassSessions }, [...DURATIONS]);
        expect((await policy.rules()).maxOpenBreakGlassSessions).to.equal(BigInt(maxOpenBreakGlassSessions));
      }
    });

    it("reverts with ConsentPolicyInvalidRules for an undefined sensitive category", async function () {
      const f = await factory();
      for (const sensitiveCategories of [1 << 16, 1 << 20, 0xffff_ffff]) {
        await expect(f.deploy({ ...RULES, sensitiveCategories }, [...DURATIONS]))
          .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidRules")
          .withArgs();
      }
    });

    it("reverts with ConsentPolicyInvalidRules for an undefined break-glass-excluded category", async function () {
      const f = await factory();
      for (const breakGlassExcludedCategories of [1 << 16, 2 ** 31]) {
        await expect(f.deploy({ ...RULES, breakGlassExcludedCategories }, [...DURATIONS]))
          .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidRules")
          .withArgs();
      }
    });

    it("reverts with ConsentPolicyInvalidRules for an undefined named purpose", async function () {
      const f = await factory();
      for (const namedPurposes of [1 << 6, 1 << 15, ALL_PURPOSES]) {
        await expect(f.deploy({ ...RULES, namedPurposes }, [...DURATIONS]))
          .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidRules")
          .withArgs();
      }
    });

    it("reverts with ConsentPolicyInvalidRules for a zero break-glass maximum", async function () {
      const f = await factory();
      await expect(f.deploy({ ...RULES, maxBreakGlassDuration: 0 }, [...DURATIONS]))
        .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidRules")
        .withArgs();
    });

    it("reverts with ConsentPolicyInvalidRules for an open-session maximum of zero or above MAX_OPEN_BREAK_GLASS_SESSIONS", async function () {
      const f = await factory();
      for (const maxOpenBreakGlassSessions of [0, MAX_OPEN_BREAK_GLASS_SESSIONS + 1, 255]) {
        await expect(
          f.deploy({ ...RULES, maxOpenBreakGlassSessions }, [...DURATIONS]),
          String(maxOpenBreakGlassSessions),
        )
          .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidRules")
          .withArgs();
      }
    });

    it("reverts with ConsentPolicyInvalidDurations when there is not one duration per purpose", async function () {
      const f = await factory();
      for (const durations of [[], DURATIONS.slice(0, PURPOSE_COUNT - 1), [...DURATIONS, DAY]]) {
        await expect(f.deploy(RULES, durations))
          .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidDurations")
          .withArgs(durations.length);
      }
    });

    it("reverts with ConsentPolicyInvalidDurations when a duration is zero", async function () {
      const f = await factory();
      for (let purpose = 0; purpose < PURPOSE_COUNT; purpose++) {
        const durations = [...DURATIONS];
        durations[purpose] = 0;
        await expect(f.deploy(RULES, durations), `purpose ${purpose}`)
          .to.be.revertedWithCustomError(f, "ConsentPolicyInvalidDurations")
          .withArgs(PURPOSE_COUNT);
      }
    });
  });

  describe("maxGrantDuration", function () {
    it("returns each purpose's own maximum for a single purpose", async function () {
      const { policy } = await loadFixture(policyFixture);
      for (const purpose of [
        Purpose.Treatment,
        Purpose.Payment,
        Purpose.HealthcareOperations,
        Purpose.Research,
        Purpose.PublicHealth,
        Purpose.EmergencyTreatment,
      ]) {
        expect(await policy.maxGrantDuration(purposeSet(purpose)), Purpose[purpose]).to.equal(durationOf(purpose));
      }
    });

    it("returns the smallest maximum among a set of purposes", async function () {
      const { policy } = await loadFixture(policyFixture);
      const cases: [Purpose[], Purpose][] = [
        [[Purpose.Treatment, Purpose.Research], Purpose.Treatment],
        [[Purpose.Treatment, Purpose.Payment], Purpose.Payment],
        [[Purpose.Research, Purpose.HealthcareOperations], Purpose.HealthcareOperations],
        [[Purpose.Treatment, Purpose.PublicHealth, Purpose.Research], Purpose.PublicHealth],
        [[Purpose.Research, Purpose.EmergencyTreatment], Purpose.EmergencyTreatment],
      ];
      for (const [purposes, smallest] of cases) {
        expect(await policy.maxGrantDuration(purposeSet(...purposes)), purposes.join(",")).to.equal(
          durationOf(smallest),
        );
      }
    });

    it("returns the smallest of all maxima for every defined purpose and for the wildcard", async function () {
      const { policy } = await loadFixture(policyFixture);
      const smallest = BigInt(Math.min(...DURATIONS));
      expect(await policy.maxGrantDuration(0x3f)).to.equal(smallest);
      expect(await policy.maxGrantDuration(ALL_PURPOSES)).to.equal(smallest);
    });
  });

  describe("version", function () {
    it("returns the policy's semantic version", async function () {
      const { policy } = await loadFixture(policyFixture);
      expect(await policy.version()).to.equal("1.0.0");
    });
  });

  describe("deployment", function () {
    it("deploys the parameter file's policy and points the registry at it", async function () {
      const { consentPolicy, consentRegistry, parameters } = await loadFixture(systemFixture);
      const { consentPolicy: p } = parameters;
      const rules = await consentPolicy.rules();
      expect(rules.sensitiveCategories).to.equal(BigInt(categorySet(...p.sensitiveCategories)));
      expect(rules.namedPurposes).to.equal(BigInt(purposeSet(...p.namedPurposes)));
      expect(rules.breakGlassExcludedCategories).to.equal(BigInt(categorySet(...p.breakGlassExcludedCategories)));
      expect(rules.maxBreakGlassDuration).to.equal(BigInt(p.maxBreakGlassHours * 3600));
      expect(rules.maxOpenBreakGlassSessions).to.equal(BigInt(p.maxOpenBreakGlassSessions));
      expect(p.maxOpenBreakGlassSessions, "deploy/parameters/hardhat.json").to.equal(3);
      for (const [name, days] of Object.entries(p.maxGrantDays)) {
        const purpose = Purpose[name as keyof typeof Purpose];
        expect(await consentPolicy.maxGrantDuration(purposeSet(purpose)), name).to.equal(BigInt(days * DAY));
      }
      expect(await consentRegistry.policy()).to.equal(await consentPolicy.getAddress());
    });
  });
});
