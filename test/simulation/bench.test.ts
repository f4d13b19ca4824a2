import { expect } from "chai";

import {
  formatSimulatorThroughput,
  SIMULATOR_TARGET_CLAIMS_PER_SECOND,
  type SimulatorThroughput,
} from "../../scripts/bench/simulator";

// The lines `npm run bench` prints for the claims simulator (scripts/bench/simulator.ts): what was run, the rate against
// issue 13's target, the ERC-20 baseline and the ratio. The measurement itself runs in the bench.

describe("Claims simulator", function () {
  describe("formatSimulatorThroughput", function () {
    const result: SimulatorThroughput = {
      claims: 1_000,
      seed: 7,
      claimsPerSecond: 162.34,
      figures: 38_703,
      mismatches: 0,
      transfers: 1_000,
      transfersPerSecond: 724.2,
    };

    it("says what was run, the rate against the target, the baseline and the ratio", function () {
      const [rate, baseline] = formatSimulatorThroughput(result);
      expect(rate).to.contain("162.3 claims/s (--claims 1,000 --seed 7");
      expect(rate).to.contain("all 38,703 figures equal to the model");
      expect(rate).to.contain(`meets the target of ${SIMULATOR_TARGET_CLAIMS_PER_SECOND} claims/s`);
      expect(baseline).to.contain("724.2 ERC-20 transfers/s (1,000)");
      expect(baseline).to.contain("claims run at 0.22 × the transfer rate");
    });

    it("flags a rate below the target and any mismatch", function () {
      const [rate] = formatSimulatorThroughput({ ...result, claimsPerSecond: 55, mismatches: 2 });
      expect(rate).to.contain("BELOW the target");
      expect(rate).to.contain("2 MISMATCHES in 38,703 figures");
    });
  });
});
