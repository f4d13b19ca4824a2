import { inspect } from "node:util";

import { expect } from "chai";
import { HardhatPluginError } from "hardhat/plugins";

import { fail, operatorError } from "../../tasks/util";

/**
 * Hardhat prints a failed task's error with `console.error(error)` wherever it believes it runs on a CI server, which
 * includes every Linux machine without a display (the operators' servers). A task's refusal must stay one line there.
 */
describe("tasks: operator errors", function () {
  const saved = process.env.HARDHAT_SHOW_STACK_TRACES;
  afterEach(function () {
    if (saved === undefined) delete process.env.HARDHAT_SHOW_STACK_TRACES;
    else process.env.HARDHAT_SHOW_STACK_TRACES = saved;
  });

  it("fail throws a careledger plugin error carrying the message", function () {
    let caught: unknown;
    try {
      fail("--plan 9: no such plan; list them with careledger:plan:list");
    } catch (error) {
      caught = error;
    }
    expect(HardhatPluginError.isHardhatPluginError(caught)).to.equal(true);
    const error = caught as HardhatPluginError;
    expect(error.pluginName).to.equal("careledger");
    expect(error.message).to.equal("--plan 9: no such plan; list them with careledger:plan:list");
  });

  it("prints nothing beyond Hardhat's one line unless stack traces are asked for", function () {
    delete process.env.HARDHAT_SHOW_STACK_TRACES;
    const error = operatorError("the contract refused: ClaimsUnknownPlan(9)");
    expect(inspect(error)).to.equal("");
    // A plain plugin error, for contrast, prints its whole stack.
    expect(inspect(new HardhatPluginError("careledger", "x"))).to.match(/\n +at /);
  });

  it("prints the stack when HARDHAT_SHOW_STACK_TRACES=true", function () {
    process.env.HARDHAT_SHOW_STACK_TRACES = "true";
    const printed = inspect(operatorError("the contract refused: ClaimsUnknownPlan(9)"));
    expect(printed).to.contain("the contract refused: ClaimsUnknownPlan(9)");
    expect(printed).to.match(/\n +at /);
  });
});
