import { expect } from "chai";

import { humanDuration, isoTime, relativeTime } from "../../../sdk/core/time";

describe("sdk/core/time", () => {
  describe("isoTime", () => {
    it("prints Unix seconds as ISO 8601 in UTC to the second, without milliseconds", () => {
      expect(isoTime(0n)).to.equal("1970-01-01T00:00:00Z");
      expect(isoTime(1_577_923_199n)).to.equal("2020-01-01T23:59:59Z");
      expect(isoTime(1_796_582_623n)).to.equal("2026-12-06T18:43:43Z");
    });

    it("prints a number no date can hold as the number", () => {
      expect(isoTime(2n ** 48n - 1n)).to.equal("281474976710655 (no date)");
    });
  });

  describe("humanDuration", () => {
    it("says seconds in words, in the largest unit that divides them", () => {
      expect(
        [0n, 1n, 45n, 60n, 90n, 600n, 3_600n, 7_200n, 86_400n, 31_536_000n].map((s) => humanDuration(s)),
      ).to.deep.equal([
        "0 seconds",
        "1 second",
        "45 seconds",
        "1 minute",
        "90 seconds",
        "10 minutes",
        "1 hour",
        "2 hours",
        "1 day",
        "365 days",
      ]);
    });

    it("stops at hours when asked to", () => {
      expect(humanDuration(86_400n, "hour")).to.equal("24 hours");
      expect(humanDuration(90_000n, "hour")).to.equal("25 hours");
      expect(humanDuration(86_460n, "hour")).to.equal("1441 minutes");
    });
  });

  describe("relativeTime", () => {
    it("says how far a time is, rounding up to the next unit when it reaches it", () => {
      const now = 1_000_000n;
      expect(relativeTime(now, now)).to.equal("now");
      expect(relativeTime(now + 3_599n, now)).to.equal("in 1 hour");
      expect(relativeTime(now + 3_480n, now)).to.equal("in 58 minutes");
      expect(relativeTime(now + 89n, now)).to.equal("in 1 minute");
      expect(relativeTime(now + 30n, now)).to.equal("in 30 seconds");
      expect(relativeTime(now - 2n * 86_400n, now)).to.equal("2 days ago");
      expect(relativeTime(now + 86_399n, now)).to.equal("in 1 day");
    });
  });
});
