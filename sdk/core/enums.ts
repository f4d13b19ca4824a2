/** Conversions between the contracts' uint8 enums and the SDK's TypeScript enums, shared by every module. */

/** `value` as a member of `enumeration`, refusing numbers the enum does not define. */
export function enumMember<E extends Record<string, string | number>>(
  enumeration: E,
  name: string,
  value: bigint | number,
): E[keyof E] {
  const number = Number(value);
  if (typeof enumeration[number] !== "string") throw new Error(`${String(value)} is not a ${name}`);
  return number as E[keyof E];
}

/**
 * Parses a member of `enumeration` from its name (case-insensitive; dashes, underscores and spaces ignored) or its
 * number; the error lists the names. Members in `excluded` are refused as if unknown.
 */
export function parseEnumMember(
  enumeration: Record<string, string | number>,
  what: string,
  value: string,
  excluded: readonly number[] = [],
): number {
  const normalized = value.replace(/[-_\s]/g, "").toLowerCase();
  const members = Object.entries(enumeration).filter(
    (entry): entry is [string, number] => typeof entry[1] === "number" && !excluded.includes(entry[1]),
  );
  for (const [name, number] of members) {
    if (name.toLowerCase() === normalized || String(number) === normalized) return number;
  }
  throw new Error(`unknown ${what} "${value}"; use one of ${members.map(([name]) => name).join(", ")}`);
}
