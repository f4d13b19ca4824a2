import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";

import { expiryInstant, expiryProblem, expiryString, gs1CheckDigit } from "../../sdk/supplychain/identifiers";
import { runs } from "../helpers/runs";

// The GS1 date and check-digit rules the supply-chain contract applies (library Gs1 in contracts/supplychain/Supply.sol)
// held to the SDK's (sdk/supplychain/identifiers.ts), which scanners' data passes through first, over their whole input
// ranges, through a test-only contract that calls the library.

async function probeFixture() {
  return { probe: await ethers.deployContract("Gs1Probe") };
}

/** The SDK's instant for a six-digit value, or 0 where the SDK refuses it as no date (as the contract answers). */
function modelInstant(value: number): bigint {
  if (value > 999_999) return 0n;
  return expiryProblem(expiryString(value)) === undefined ? BigInt(expiryInstant(value)) : 0n;
}

describe("Gs1 (supply-chain library)", function () {
  describe("expiryInstant", function () {
    it("gives the SDK's instant for the dates that test each rule, and 0 for what is not a date", async function () {
      const { probe } = await loadFixture(probeFixture);
      const cases: [number, bigint][] = [
        [281231, BigInt(Date.UTC(2029, 0, 1) / 1000)], // the last day of a year: the next year's first second
        [280200, BigInt(Date.UTC(2028, 2, 1) / 1000)], // DD = 00 is the month's last day: 29 February 2028
        [0, 0n], // 000000: month 00
        [229, BigInt(Date.UTC(2000, 2, 1) / 1000)], // 29 February 2000: divisible by 400, a leap year
        [1000229, 0n], // seven digits: no YYMMDD
        [250229, 0n], // 2025 is no leap year
        [250431, 0n], // 30 days hath April,
        [250631, 0n], // June,
        [250931, 0n], // September
        [251131, 0n], // and November
        [251231, BigInt(Date.UTC(2026, 0, 1) / 1000)],
        [251301, 0n], // month 13
      ];
      for (const [value, instant] of cases) {
        expect(await probe.expiryInstant(value), expiryString(value)).to.equal(instant);
        expect(modelInstant(value), `the SDK on ${expiryString(value)}`).to.equal(instant);
      }
    });

    // Invariant: for every uint32 up to 1,999,999 (every six-digit value and a margin past it) the contract's instant
    // is the SDK's, and 0 exactly where the SDK refuses the value as a date.
    it("agrees with the SDK over random values", async function () {
      const { probe } = await loadFixture(probeFixture);
      const value = fc.oneof(
        fc.nat({ max: 1_999_999 }),
        fc
          .record({ yy: fc.nat({ max: 99 }), mm: fc.nat({ max: 13 }), dd: fc.nat({ max: 32 }) })
          .map(({ yy, mm, dd }) => yy * 10_000 + mm * 100 + dd),
      );
      await fc.assert(
        fc.asyncProperty(value, async (v) => {
          expect(await probe.expiryInstant(v)).to.equal(modelInstant(v));
        }),
        runs(200),
      );
    });
  });

  describe("hasCheckDigit", function () {
    // Invariant: a 14- or 18-digit value has its check digit exactly when its last digit is the SDK's GS1 mod-10
    // digit of the others; 0 and values of more digits never do.
    it("agrees with the SDK's mod-10 check digit", async function () {
      const { probe } = await loadFixture(probeFixture);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(14, 18), fc.bigInt({ min: 0n, max: 10n ** 19n }), async (digits, value) => {
          const text = value.toString();
          const expected =
            value !== 0n &&
            text.length <= digits &&
            gs1CheckDigit(text.padStart(digits, "0").slice(0, -1)) === Number(text.slice(-1));
          expect(await probe.hasCheckDigit(value, digits), `${text} of ${digits} digits`).to.equal(expected);
        }),
        runs(200),
      );
    });
  });
});
