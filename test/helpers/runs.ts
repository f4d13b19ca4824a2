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
