/**
 * Times and durations as the command line and the refusals print them, in one form everywhere: a moment as an ISO
 * 8601 time in UTC to the second (`2026-12-06T18:43:43Z`), a length of time in words in its largest whole unit
 * (`1 hour`, `2 days`), and how far a moment is from the chain's time (`in 59 minutes`, `3 hours ago`).
 */

/** The latest Unix time a JavaScript date represents (year 275760); beyond it a value reads as a number. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

const UNITS: readonly (readonly [size: bigint, name: string])[] = [
  [86_400n, "day"],
  [3_600n, "hour"],
  [60n, "minute"],
  [1n, "second"],
];

/** Unix seconds as an ISO time in UTC to the second, `2026-12-06T18:43:43Z`; beyond a date's range, the number. */
export function isoTime(seconds: bigint): string {
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) return `${seconds} (no date)`;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * Seconds in words, in the largest unit that divides them (at most `largest`): `1 hour`, `2 days`, `90 seconds`,
 * `24 hours` (largest "hour"), `0 seconds`.
 */
export function humanDuration(seconds: bigint, largest: "day" | "hour" = "day"): string {
  if (seconds === 0n) return "0 seconds";
  const units = UNITS.slice(largest === "day" ? 0 : 1);
  const [size, unit] = units.find(([size]) => seconds % size === 0n) ?? [1n, "second"];
  return plural(seconds / size, unit);
}

/**
 * How far `at` is from `now`, rounded in the largest unit it reaches: `in 59 minutes`, `now`, `3 hours ago`; a
 * rounding up to the next unit says that unit (`in 1 hour` for 3,599 seconds, not `in 60 minutes`).
 */
export function relativeTime(at: bigint, now: bigint): string {
  const gap = at > now ? at - now : now - at;
  if (gap === 0n) return "now";
  const round = (size: bigint): bigint => (gap + size / 2n) / size;
  // The largest unit the gap reaches (it reaches a second at least), or the next larger one when it rounds up to it.
  let index = UNITS.findIndex(([size]) => gap >= size);
  const [size, larger] = [UNITS[index]?.[0] ?? 1n, UNITS[index - 1]?.[0]];
  if (larger !== undefined && round(size) * size >= larger) index -= 1;
  const [unitSize, unit] = UNITS[index] ?? [1n, "second"];
  const amount = plural(round(unitSize), unit);
  return at > now ? `in ${amount}` : `${amount} ago`;
}

function plural(count: bigint, unit: string): string {
  return `${count} ${unit}${count === 1n ? "" : "s"}`;
}
