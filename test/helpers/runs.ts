/**
 * How many runs a chain-backed property test makes: `count`, scaled by `PROPERTY_RUNS_SCALE` (a number in (0, 1],
 * default 1). CI runs every property at full strength on the default EVM version and scaled down on the others,
 * where the same contracts are checked for what the EVM version changes (opcodes and gas), not for new paths.
 */
export function runs(count: number): { numRuns: number } {
  const raw = process.env.PROPERTY_RUNS_SCALE;
  const scale = raw === undefined || raw === "" ? 1 : Number(raw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new Error(`PROPERTY_RUNS_SCALE must be a number in (0, 1], got ${raw}`);
  }
  return { numRuns: Math.max(1, Math.ceil(count * scale)) };
}

/**
 * Skips a property of a pure TypeScript model (it runs no contract, so no EVM version can change its outcome) when
 * `MODEL_PROPERTIES=skip`: CI runs such properties on the default EVM version only and skips them on the others, where
 * every other test, chain-backed properties included, still runs. `MODEL_PROPERTIES` is `run` (the default) or `skip`;
 * call this first in the property's `it`.
 */
export function skipModelPropertyIfAsked(test: Mocha.Context): void {
  const raw = process.env.MODEL_PROPERTIES;
  if (raw === undefined || raw === "" || raw === "run") return;
  if (raw !== "skip") throw new Error(`MODEL_PROPERTIES must be "run" or "skip", got ${raw}`);
  test.skip();
}

/**
 * Skips a test of the operator's command line (tasks and scripts run as processes, against anvil) when
 * `CLI_TESTS=skip`: they test the command line, not the EVM, so CI runs them once, in a lane of their own beside the
 * default EVM's suite, and skips them in the suite runs. `CLI_TESTS` is `run` (the default), `require` (run, and fail
 * rather than skip where anvil is missing: see `anvilAvailable`) or `skip`; call this in the `before` hook of the
 * file's outermost `describe`, which then skips the whole file.
 */
export function skipCliTestsIfAsked(context: Mocha.Context): void {
  const raw = process.env.CLI_TESTS;
  if (raw === undefined || raw === "" || raw === "run" || raw === "require") return;
  if (raw !== "skip") throw new Error(`CLI_TESTS must be "run", "require" or "skip", got ${raw}`);
  context.skip();
}
