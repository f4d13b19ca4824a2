/**
 * The on-chain encodings of GS1 identifiers, fixed by the supply-chain contract: the SDK, the tests and the contract
 * must hash exactly the same bytes, so every encoding here is written out with the Solidity expression it matches.
 *
 * A pack is what its GS1 DataMatrix carries: GTIN (AI 01), serial (AI 21), lot (AI 10) and expiry (AI 17). A
 * container (case, pallet) is an SSCC (AI 00). Nothing here knows a price, a customer or a patient.
 */
import { AbiCoder, getBytes, hexlify, keccak256, toBeHex, toUtf8Bytes } from "ethers";

/** A serialized pack as printed on it: the four data elements of its DataMatrix, validated. */
export interface Pack {
  /** GTIN-14 as 14 digits (a GTIN-8/12/13 is left-padded with zeros to 14, as AI 01 carries it). */
  gtin: string;
  /** AI 21: 1–20 characters of GS1's character set 82. */
  serial: string;
  /** AI 10: 1–20 characters of GS1's character set 82. */
  lot: string;
  /** AI 17: YYMMDD as printed (DD may be 00, the last day of the month). */
  expiry: string;
}

/** The most packs a lot may hold, and the most children a container may hold: bounds the trees' depth to 24. */
export const MAX_LOT_PACKS = 1 << 24;
/** See {@link MAX_LOT_PACKS}. */
export const MAX_CONTAINER_CHILDREN = 1 << 24;
/** The longest Merkle proof the contract accepts (a balanced tree of 2^24 leaves needs 24; room for imbalance). */
export const MAX_SUPPLY_PROOF_LENGTH = 32;
/** The most distinct lots a container may name, so a recall check over a container's lots stays bounded. */
export const MAX_LOTS_PER_CONTAINER = 32;
/** The deepest nesting of containers the contract follows (pack → case → pallet → … at most 4 containers). */
export const MAX_PATH_DEPTH = 4;

/** OpenZeppelin StandardMerkleTree leaf types of a lot's tree: `[gtin, serial, lot, expiry]`. */
export const PACK_LEAF_ENCODING = ["uint64", "bytes20", "bytes20", "uint32"] as const;
/** OpenZeppelin StandardMerkleTree leaf types of a container's tree: `[kind, id]`, kind 0 = pack, 1 = container. */
export const CONTAINER_LEAF_ENCODING = ["uint8", "bytes32"] as const;
/** Leaf kind of a pack child in a container's tree; its id is the pack's {@link packId} (its whole label). */
export const CHILD_PACK = 0;
/** Leaf kind of a container child in a container's tree; its id is the child's {@link containerKey}. */
export const CHILD_CONTAINER = 1;

/** Characters of GS1's AI encodable character set 82 (GS1 General Specifications, figure 7.11-1). */
export const CSET82 = new Set(
  Array.from("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"),
);

/** A value the on-chain encodings refuse (wrong length, digits, character set): what and where, never the value. */
export class IdentifierError extends Error {
  override name = "IdentifierError";
}

const coder = AbiCoder.defaultAbiCoder();

/** The GS1 mod-10 check digit of `digits` (the key without its check digit): GenSpecs 7.9.1, weights 3,1,… from the right. */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    const digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    sum += index % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** GTIN-14 as the contract's uint64. Refuses anything but 14 digits with a correct check digit. */
export function gtinValue(gtin: string): bigint {
  requireKey(gtin, 14, "GTIN");
  return BigInt(gtin);
}

/** SSCC as the contract's uint64 (18 digits < 2^64). Refuses anything but 18 digits with a correct check digit. */
export function ssccValue(sscc: string): bigint {
  requireKey(sscc, 18, "SSCC");
  return BigInt(sscc);
}

/** The 14 digits of a GTIN given as the contract's uint64. */
export function gtinString(value: bigint): string {
  return value.toString().padStart(14, "0");
}

/** The 18 digits of an SSCC given as the contract's uint64. */
export function ssccString(value: bigint): string {
  return value.toString().padStart(18, "0");
}

/**
 * A serial or lot as `bytes20`: its ASCII characters left-aligned, zero-padded on the right (`0x414243…00`). 1–20
 * characters of character set 82, so no zero byte can occur inside and the padding is unambiguous.
 */
export function textBytes20(text: string, what = "serial or lot"): string {
  requireText(text, what);
  const bytes = new Uint8Array(20);
  bytes.set(toUtf8Bytes(text));
  return hexlify(bytes);
}

/** The text of a `bytes20` serial or lot: the characters before the zero padding. */
export function bytes20Text(value: string): string {
  const bytes = getBytes(value);
  if (bytes.length !== 20) throw new IdentifierError(`a serial or lot is 20 bytes, got ${bytes.length}`);
  const end = bytes.indexOf(0);
  return String.fromCharCode(...bytes.subarray(0, end === -1 ? 20 : end));
}

/** Expiry (AI 17, YYMMDD) as the contract's uint32: the number as printed, e.g. `281231`. */
export function expiryValue(yymmdd: string): number {
  requireExpiry(yymmdd);
  return Number(yymmdd);
}

/** The six digits of an expiry given as the contract's uint32. */
export function expiryString(value: number): string {
  return value.toString().padStart(6, "0");
}

/**
 * The unix second from which a pack with expiry `yymmdd` is expired: 00:00:00 UTC of the day after its expiry day
 * (DD = 00 means the last day of the month, GenSpecs 3.4.6). The century is 2000 + YY: GenSpecs 7.12 resolves a
 * two-digit year by a sliding window (up to 50 years ahead, else the past century), which for every current year from
 * 2000 to 2049 gives 20YY for any YY a pack can carry; a fixed rule is what the contract can compute deterministically,
 * and the two differ only for packs read after 2049 or printed with dates before 2000. The contract computes the same.
 */
export function expiryInstant(yymmdd: string | number): number {
  const text = typeof yymmdd === "number" ? expiryString(yymmdd) : yymmdd;
  requireExpiry(text);
  const year = 2000 + Number(text.slice(0, 2));
  const month = Number(text.slice(2, 4));
  const day = Number(text.slice(4, 6));
  // Date.UTC(year, month, 0) is the last day of `month` (1-based), so the day after is day 1 of the next month.
  const dayAfter = day === 0 ? Date.UTC(year, month, 1) : Date.UTC(year, month - 1, day + 1);
  return dayAfter / 1000;
}

/** The leaf values of a pack in its lot's tree, typed as {@link PACK_LEAF_ENCODING}. */
export function packLeafValues(pack: Pack): [bigint, string, string, number] {
  return [
    gtinValue(pack.gtin),
    textBytes20(pack.serial, "serial"),
    textBytes20(pack.lot, "lot"),
    expiryValue(pack.expiry),
  ];
}

/** A pack's id in the registry: `keccak256(abi.encode(uint64 gtin, bytes20 serial))`. */
export function serialKey(gtin: string, serial: string): string {
  return keccak256(coder.encode(["uint64", "bytes20"], [gtinValue(gtin), textBytes20(serial, "serial")]));
}

/**
 * A pack's id in its containers' trees: `keccak256(abi.encode(uint64 gtin, bytes20 serial, bytes20 lot, uint32
 * expiry))`, its whole label, so that a container commits to each pack's lot and expiry too.
 */
export function packId(pack: Pack): string {
  return keccak256(coder.encode([...PACK_LEAF_ENCODING], packLeafValues(pack)));
}

/** A lot's id in the registry: `keccak256(abi.encode(uint64 gtin, bytes20 lot))`. */
export function lotKey(gtin: string, lot: string): string {
  return keccak256(coder.encode(["uint64", "bytes20"], [gtinValue(gtin), textBytes20(lot, "lot")]));
}

/**
 * The commitment to the lots a container holds: `keccak256(abi.encode(bytes32[] lotKeys))` over the keys sorted
 * strictly ascending as uint256 (the contract refuses unsorted or repeated keys, so one set has one hash). Sorts a
 * copy; refuses repeated keys, an empty list and more than {@link MAX_LOTS_PER_CONTAINER}.
 */
export function lotsHash(lotKeys: readonly string[]): string {
  return keccak256(coder.encode(["bytes32[]"], [sortedLotKeys(lotKeys)]));
}

/** `lotKeys` sorted strictly ascending as uint256, as the contract requires; refuses repeats and bad counts. */
export function sortedLotKeys(lotKeys: readonly string[]): string[] {
  if (lotKeys.length === 0) throw new IdentifierError("a container holds at least one lot");
  if (lotKeys.length > MAX_LOTS_PER_CONTAINER) {
    throw new IdentifierError(`a container names at most ${MAX_LOTS_PER_CONTAINER} lots, got ${lotKeys.length}`);
  }
  const sorted = lotKeys.map((key) => toBeHex(BigInt(key), 32)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  for (let index = 1; index < sorted.length; index++) {
    if (sorted[index] === sorted[index - 1]) throw new IdentifierError("a lot key is repeated in the container's lots");
  }
  return sorted;
}

/** A container's commitment to what it holds: `keccak256(abi.encode(bytes32 childrenRoot, bytes32 lotsHash))`. */
export function containerContents(childrenRoot: string, lotsHashValue: string): string {
  return keccak256(coder.encode(["bytes32", "bytes32"], [childrenRoot, lotsHashValue]));
}

/**
 * A container's key in the registry: `keccak256(abi.encode(uint64 sscc, uint64 packer, contents))`. An SSCC names a
 * container together with the partner that committed to it (its packer; for a container committed to only by its
 * parent's tree, the parent's packer) and what it holds, so nobody can occupy another partner's SSCC or container.
 */
export function containerKey(sscc: string, packer: bigint, childrenRoot: string, lotsHashValue: string): string {
  return keccak256(
    coder.encode(
      ["uint64", "uint64", "bytes32"],
      [ssccValue(sscc), packer, containerContents(childrenRoot, lotsHashValue)],
    ),
  );
}

function requireKey(value: string, length: number, what: string): void {
  if (value.length !== length || !/^[0-9]+$/.test(value)) {
    throw new IdentifierError(`${what} must be ${length} digits, got ${value.length} characters`);
  }
  const expected = gs1CheckDigit(value.slice(0, -1));
  if (expected !== Number(value[length - 1])) {
    throw new IdentifierError(`${what} check digit is ${value[length - 1]}, expected ${expected}`);
  }
}

function requireText(text: string, what: string): void {
  if (text.length < 1 || text.length > 20) {
    throw new IdentifierError(`${what} must be 1 to 20 characters, got ${text.length}`);
  }
  const bad = Array.from(text).findIndex((char) => !CSET82.has(char));
  if (bad !== -1) throw new IdentifierError(`${what} has a character outside GS1 set 82 at position ${bad + 1}`);
}

/** Refuses anything but YYMMDD with month 01–12 and day 00 or a day of that month (in year 20YY). */
export function requireExpiry(yymmdd: string): void {
  const problem = expiryProblem(yymmdd);
  if (problem !== undefined) throw new IdentifierError(`expiry ${problem}`);
}

/** Why `yymmdd` is not a valid AI 17 date, or undefined; the words never quote the value. */
export function expiryProblem(yymmdd: string): string | undefined {
  if (!/^[0-9]{6}$/.test(yymmdd)) return `must be 6 digits YYMMDD, got ${yymmdd.length} characters`;
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  if (month < 1 || month > 12) return `month ${yymmdd.slice(2, 4)} is not 01-12`;
  const daysInMonth = new Date(Date.UTC(2000 + Number(yymmdd.slice(0, 2)), month, 0)).getUTCDate();
  if (day > daysInMonth) return `day ${yymmdd.slice(4, 6)} does not exist in month ${yymmdd.slice(2, 4)}`;
  return undefined;
}
