import { expect } from "chai";
import fc from "fast-check";

import { RequestReason } from "../../sdk/consent/scopes";
import { SupersedeReason } from "../../sdk/records/codes";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import {
  bytes32,
  codeName,
  codesHelp,
  enumNames,
  kebab,
  oneOf,
  pendingTime,
  periodEnd,
  periodStart,
  reasonCode,
} from "../../tasks/util";
import { skipCliTestsIfAsked } from "../helpers/runs";

/** The one line an operator's error carries (`fail`). */
function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

const DAY = 86_400n;

/** Every calendar day the contracts' uint48 times reach in four-digit years, as YYYY-MM-DD. */
const calendarDays = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10));

describe("tasks: the time rule", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  describe("periodStart and periodEnd", function () {
    // A bare date is a whole UTC day: it starts at 00:00:00 UTC and ends at 23:59:59 UTC, 86,399 seconds later.
    it("reads a bare date as the whole UTC day, for every date", function () {
      fc.assert(
        fc.property(calendarDays, (day) => {
          const start = periodStart("start", day);
          const end = periodEnd("end", day);
          expect(end - start).to.equal(86_399n);
          expect(start % DAY).to.equal(0n);
          expect(new Date(Number(start) * 1000).toISOString()).to.equal(`${day}T00:00:00.000Z`);
          expect(new Date(Number(end) * 1000).toISOString()).to.equal(`${day}T23:59:59.000Z`);
        }),
      );
    });

    // Unix seconds and full ISO times are moments: both rules take them exactly.
    it("takes Unix seconds and a full ISO time exactly, where a period starts or ends", function () {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 253_402_300_799n }), (seconds) => {
          expect(periodStart("from-time", seconds.toString())).to.equal(seconds);
          expect(periodEnd("until", seconds.toString())).to.equal(seconds);
          const isoTime = new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
          expect(periodStart("from-time", isoTime)).to.equal(seconds);
          expect(periodEnd("until", isoTime)).to.equal(seconds);
        }),
      );
    });

    it("reads an ISO time without an offset as UTC, whatever the server's time zone", function () {
      expect(periodEnd("until", "2026-03-02T10:30")).to.equal(BigInt(Date.UTC(2026, 2, 2, 10, 30) / 1000));
      expect(periodStart("at", "2026-03-02 10:30:15")).to.equal(BigInt(Date.UTC(2026, 2, 2, 10, 30, 15) / 1000));
    });

    it("applies an ISO time's offset", function () {
      expect(periodEnd("until", "2026-03-02T10:00:00+02:00")).to.equal(BigInt(Date.UTC(2026, 2, 2, 8) / 1000));
      expect(periodStart("at", "2026-03-02T10:00:00.250-0500")).to.equal(BigInt(Date.UTC(2026, 2, 2, 15) / 1000));
    });

    it("takes a time in 1969 that its offset brings into 1970, and the first second of 1970", function () {
      expect(periodStart("at", "1969-12-31T23:30-01:00")).to.equal(1_800n);
      expect(periodStart("at", "1970-01-01T00:00:00Z")).to.equal(0n);
      expect(periodEnd("until", "1970-01-01")).to.equal(86_399n);
      expect(periodStart("at", "0")).to.equal(0n);
    });

    // Whatever the offset, a time is refused in one line or taken within the contracts' uint48 seconds.
    it("refuses in one line, or takes within 0 to 2^48 - 1, every ISO time with an offset", function () {
      const isoTimes = fc
        .tuple(
          fc.integer({ min: 0, max: 9999 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 28 }),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 59 }),
          fc.constantFrom("+", "-"),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 59 }),
        )
        .map(([year, month, day, hour, minute, sign, offsetHours, offsetMinutes]) => {
          const two = (n: number) => String(n).padStart(2, "0");
          return (
            `${String(year).padStart(4, "0")}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}` +
            `${sign}${two(offsetHours)}:${two(offsetMinutes)}`
          );
        });
      fc.assert(
        fc.property(isoTimes, (time) => {
          let seconds: bigint;
          try {
            seconds = periodStart("at", time);
          } catch (error) {
            expect((error as Error).message).to.equal(
              `--at: ${time} is before 1970, which the contracts' times cannot hold`,
            );
            expect(Date.parse(time)).to.be.lessThan(0);
            return;
          }
          expect(seconds).to.equal(BigInt(Date.parse(time) / 1000));
          expect(seconds >= 0n && seconds < 2n ** 48n).to.equal(true);
        }),
      );
    });

    for (const [value, message] of [
      ["2026-02-30", "--until: 2026-02-30 is not a date of the calendar"],
      ["2026-13-01", "--until: 2026-13-01 is not a date of the calendar"],
      ["2026-03-02T24:00", '--until: "2026-03-02T24:00" is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)'],
      ["1969-12-31", "--until: 1969-12-31 is before 1970, which the contracts' times cannot hold"],
      ["tomorrow", '--until must be Unix seconds, an ISO time or a date YYYY-MM-DD, got "tomorrow"'],
      ["March 3, 2026", '--until must be Unix seconds, an ISO time or a date YYYY-MM-DD, got "March 3, 2026"'],
      ["2026-3-2", '--until must be Unix seconds, an ISO time or a date YYYY-MM-DD, got "2026-3-2"'],
      ["281474976710656", "--until 281474976710656 is beyond the contracts' times (at most 281474976710655 seconds)"],
      // Checked on the final seconds: the offset takes it back to 23:30 UTC on 1969-12-31.
      [
        "1970-01-01T00:30+01:00",
        "--until: 1970-01-01T00:30+01:00 is before 1970, which the contracts' times cannot hold",
      ],
      ["0050-06-01", "--until: 0050-06-01 is before 1970, which the contracts' times cannot hold"],
      ["2026-03-02T10:00+24:00", '--until: "2026-03-02T10:00+24:00" has an offset beyond a day (-23:59 to +23:59)'],
    ] as const) {
      it(`refuses "${value}" in one line naming the option`, function () {
        expect(refusal(() => periodEnd("until", value))).to.equal(message);
        expect(refusal(() => periodStart("until", value))).to.equal(message);
      });
    }
  });

  describe("pendingTime: when a transaction sent now is mined, from which --days counts", function () {
    /** A runtime environment whose latest block has `timestamp`. */
    const chainAt = (timestamp: number) =>
      ({
        ethers: { provider: { getBlock: () => Promise.resolve({ timestamp }) } },
      }) as unknown as HardhatRuntimeEnvironment;
    const wall = () => Math.floor(Date.now() / 1000);

    it("is the wall clock when the latest block is old (a chain that mines only on transactions)", async function () {
      const before = wall();
      const pending = await pendingTime(chainAt(before - 86_400));
      expect(Number(pending)).to.be.within(before, wall());
    });

    it("is the latest block's time + 1 when the chain runs ahead of the wall clock (a test chain moved forward)", async function () {
      const ahead = wall() + 181 * 86_400;
      expect(await pendingTime(chainAt(ahead))).to.equal(BigInt(ahead + 1));
    });
  });

  describe("bytes32: a 32-byte hex option", function () {
    const KEY = `0x${"a1b2c3d4".repeat(8)}`;

    it("takes 64 hex digits, with or without 0x, as lowercase 0x hex", function () {
      expect(bytes32("claim", KEY.toUpperCase().replace("0X", "0x"))).to.equal(KEY);
      expect(bytes32("reference-key", ` ${KEY.slice(2)} `, true)).to.equal(KEY);
    });

    it("echoes a value that is not secret, to show the mistake", function () {
      expect(refusal(() => bytes32("commitment", "0x1234"))).to.equal(
        '--commitment must be 32 bytes of hex (0x + 64 digits), got "0x1234"',
      );
    });

    // A key or a salt lands in the terminal's scrollback and in logs: not one digit of it is printed.
    it("never echoes a secret, not even in part: it says how many digits it had, or that it is not hex", function () {
      const short = KEY.slice(0, -1);
      const message = refusal(() => bytes32("reference-key", short, true));
      expect(message).to.equal(
        "--reference-key must be 32 bytes of hex (0x + 64 digits), got 63 digits (a secret: not shown)",
      );
      expect(refusal(() => bytes32("salt", `${KEY}zz`, true))).to.equal(
        "--salt must be 32 bytes of hex (0x + 64 digits), got a value that is not hex (a secret: not shown)",
      );
      fc.assert(
        fc.property(fc.stringMatching(/^(0x)?[0-9a-f]{8,80}$/), (value) => {
          fc.pre(value.replace(/^0x/, "").length !== 64);
          const refused = refusal(() => bytes32("member-key", value, true));
          expect(refused).to.not.contain(value.replace(/^0x/, "").slice(0, 8));
        }),
      );
    });
  });

  describe("reason codes", function () {
    it("lists a code list as number = name", function () {
      expect(codesHelp(SupersedeReason)).to.equal("1 = correction, 2 = amendment, 3 = addendum, 4 = update");
      expect(codesHelp(RequestReason)).to.match(/^1 = referral, 2 = continuity-of-care, /);
    });

    it("takes a code by its name in any spelling, or by any number up to 65535", function () {
      expect(reasonCode("reason", "continuity-of-care", RequestReason)).to.equal(2);
      expect(reasonCode("reason", "ContinuityOfCare", RequestReason)).to.equal(2);
      expect(reasonCode("reason", "continuity_of_care", RequestReason)).to.equal(2);
      expect(reasonCode("reason", "2", RequestReason)).to.equal(2);
      expect(reasonCode("reason", "65535", RequestReason)).to.equal(65_535);
    });

    it("refuses an unknown name or a number beyond 65535, listing the names", function () {
      const names = "correction, amendment, addendum or update";
      expect(refusal(() => reasonCode("reason", "typo", SupersedeReason))).to.equal(
        `--reason must be a code from 0 to 65535 or one of ${names}, got "typo"`,
      );
      expect(refusal(() => reasonCode("reason", "65536", SupersedeReason))).to.equal(
        `--reason must be a code from 0 to 65535 or one of ${names}, got "65536"`,
      );
    });

    it("names a code when the list has it", function () {
      expect(codeName(1, SupersedeReason)).to.equal("1 (Correction)");
      expect(codeName(12, SupersedeReason)).to.equal("12");
    });
  });

  describe("enum names", function () {
    it("spells an enum's members as the tasks take them, in order", function () {
      enum Sample {
        None = 0,
        LaboratoryResults = 1,
        ResearchSponsor = 2,
      }
      expect(enumNames(Sample)).to.deep.equal(["none", "laboratory-results", "research-sponsor"]);
      expect(enumNames(Sample, [Sample.None])).to.deep.equal(["laboratory-results", "research-sponsor"]);
      expect(kebab("SexualAndReproductiveHealth")).to.equal("sexual-and-reproductive-health");
      expect(oneOf(["a", "b", "c"])).to.equal("a, b or c");
      expect(oneOf(["a"])).to.equal("a");
    });
  });
});
