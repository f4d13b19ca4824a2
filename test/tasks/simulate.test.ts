import { expect } from "chai";
import hre from "hardhat";

import { generatePopulation } from "../../simulation/claims/population";
import { skipCliTestsIfAsked } from "../helpers/runs";

/** Runs `careledger:simulate` in-process on the hardhat network, returning what it printed. */
async function simulate(args: Record<string, unknown>): Promise<string[]> {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...items: unknown[]) => printed.push(items.map(String).join(" "));
  try {
    await hre.run("careledger:simulate", { seed: "7", quiet: true, ...args });
  } finally {
    console.log = log;
  }
  return printed;
}

describe("tasks: careledger:simulate with a small population", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  // An appeal targets a claim submitted before it is filed, so a stream of one claim has none: the population of one
  // claim used to draw an appeal from the empty range [0, -1].
  it("generates populations of one to three claims, with no appeal in a stream of one", function () {
    for (const seed of [1, 7, 22, 654_902_363]) {
      for (const claims of [1, 2, 3]) {
        const population = generatePopulation({ seed, claims, now: 1_800_000_000n });
        expect(population.claims).to.have.length(claims);
        if (claims === 1) expect(population.appeals).to.deep.equal([]);
        for (const appeal of population.appeals) {
          expect(appeal.target).to.be.within(0, appeal.fileBefore - 1);
          expect(appeal.fileBefore).to.be.within(1, claims - 1);
        }
      }
    }
  });

  it("runs one claim through the contracts and the model, in agreement", async function () {
    this.timeout(240_000);
    const snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    try {
      const printed = await simulate({ claims: "1" });
      expect(printed.at(-1)).to.match(/^model agreement: 1 claims, \d+ lines, all figures equal/);
    } finally {
      await hre.network.provider.send("evm_revert", [snapshot]);
    }
  });
});
