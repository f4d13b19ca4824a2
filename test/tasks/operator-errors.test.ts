import { inspect } from "node:util";

import { expect } from "chai";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";

import { FAILS_READABLY } from "../../tasks/failures";
import { fail, operatorError } from "../../tasks/util";
import { skipCliTestsIfAsked } from "../helpers/runs";

/**
 * Hardhat prints a failed task's error with `console.error(error)` wherever it believes it runs on a CI server, which
 * includes every Linux machine without a display (the operators' servers). A task's refusal must stay one line there.
 * (That Hardhat's own command line then prints nothing after its "Error in plugin careledger: …" line is checked end to
 * end: `.ci/e2e` fails on any refusal that prints a stack.)
 */
describe("tasks: operator errors", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });
  const savedEnv = process.env.HARDHAT_SHOW_STACK_TRACES;
  const savedArgv = process.argv;
  beforeEach(function () {
    // Whatever flags this test run was started with, each case sets what it asks for.
    process.argv = savedArgv.filter((arg) => arg !== "--show-stack-traces");
    delete process.env.HARDHAT_SHOW_STACK_TRACES;
  });
  afterEach(function () {
    process.argv = savedArgv;
    if (savedEnv === undefined) delete process.env.HARDHAT_SHOW_STACK_TRACES;
    else process.env.HARDHAT_SHOW_STACK_TRACES = savedEnv;
  });

  it("wraps every careledger:* task, so that each fails with one line", function () {
    const careledger = Object.entries(hre.tasks).filter(([name]) => name.startsWith("careledger:"));
    expect(careledger.length).to.be.greaterThan(40);
    const unwrapped = careledger
      .filter(([, definition]) => (definition.action as unknown as Record<symbol, unknown>)[FAILS_READABLY] !== true)
      .map(([name]) => name);
    expect(unwrapped).to.deep.equal([]);
  });

  it("fail throws a careledger plugin error carrying the message", function () {
    let caught: unknown;
    try {
      fail("--plan 9: no such plan; list them with careledger:plan:list");
    } catch (error) {
      caught = error;
    }
    expect(HardhatPluginError.isHardhatPluginError(caught)).to.equal(true);
    expect(caught).to.be.instanceOf(HardhatPluginError);
    const error = caught as HardhatPluginError;
    expect(error.pluginName).to.equal("careledger");
    expect(error.message).to.equal("--plan 9: no such plan; list them with careledger:plan:list");
  });

  it("prints as one line, without its stack, outside Hardhat's command line", function () {
    const error = operatorError("the contract refused: ClaimsUnknownPlan(9)");
    expect(inspect(error)).to.equal("HardhatPluginError: the contract refused: ClaimsUnknownPlan(9)");
    // A plain plugin error, for contrast, prints its whole stack.
    expect(inspect(new HardhatPluginError("careledger", "x"))).to.match(/\n +at /);
  });

  for (const [how, ask] of [
    ["HARDHAT_SHOW_STACK_TRACES=true", () => (process.env.HARDHAT_SHOW_STACK_TRACES = "true")],
    [
      "HARDHAT_SHOW_STACK_TRACES=TRUE (Hardhat reads it case-insensitively)",
      () => (process.env.HARDHAT_SHOW_STACK_TRACES = "TRUE"),
    ],
    ["--show-stack-traces", () => (process.argv = [...process.argv, "--show-stack-traces"])],
  ] as const) {
    it(`prints the stack when asked for with ${how}`, function () {
      ask();
      const printed = inspect(operatorError("the contract refused: ClaimsUnknownPlan(9)"));
      expect(printed).to.contain("the contract refused: ClaimsUnknownPlan(9)");
      expect(printed).to.match(/\n +at /);
    });
  }
});
