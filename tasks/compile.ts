import { TASK_COMPILE_SOLIDITY_CHECK_ERRORS } from "hardhat/builtin-tasks/task-names";
import { subtask } from "hardhat/config";

import { fail, isCoverageRun } from "./util";

interface SolcMessage {
  severity: "error" | "warning" | "info";
  formattedMessage?: string;
  message: string;
}

/**
 * Compiler warnings are errors in CareLedger: a compilation that warns fails, after Hardhat has printed the warning.
 * The one exception is solidity-coverage's instrumented build, whose injected probes make the compiler warn.
 */
subtask(TASK_COMPILE_SOLIDITY_CHECK_ERRORS).setAction(
  async (args: { output: { errors?: SolcMessage[] } }, hre, runSuper) => {
    await runSuper(args);
    if (isCoverageRun(hre)) return;
    const warnings = (args.output.errors ?? []).filter((message) => message.severity === "warning");
    if (warnings.length > 0) {
      fail(`${warnings.length} compiler warning(s); CareLedger treats compiler warnings as errors`);
    }
  },
);
