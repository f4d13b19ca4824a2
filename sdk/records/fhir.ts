import canonicalize from "canonicalize";
import { type BytesLike, randomBytes, toUtf8Bytes } from "ethers";
import type { Resource } from "fhir/r4";

import { commit, type SaltedCommitment } from "../core/commitments";
import { jsonSyntaxMessage } from "./json-syntax";

/**
 * The canonical form of a FHIR record: what CareLedger commits to and encrypts.
 *
 * A record is reduced to the UTF-8 bytes of its RFC 8785 (JSON Canonicalization Scheme) serialization, so the same
 * record gives the same bytes whichever system wrote it: keys sorted by UTF-16 code unit, no whitespace, numbers in
 * their shortest ECMAScript form (`1.0` → `1`, `1E21` → `1e+21`), strings escaped minimally. Array order is kept
 * (in FHIR it is meaningful).
 *
 * What canonical JSON cannot carry: FHIR `decimal` precision. `4.10` and `4.1` are the same JSON number and give the
 * same bytes, and integers beyond 2^53 are rounded by `JSON.parse` before we ever see them. Records whose meaning
 * depends on trailing zeros or on huge integers must carry them as strings (e.g. in an extension).
 */

/** A FHIR R4 resource: any resource type, with `resourceType` the only field this module relies on. */
export type FhirResource = Resource;

/**
 * A value that JSON cannot represent faithfully, or a document that is not a FHIR resource. `path` locates the value
 * in JSONPath-like notation (`$.component[0].valueQuantity.value`), so the offending field can be found without
 * printing the record (which is PHI) into a log.
 */
export class CanonicalFormError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`cannot canonicalize the FHIR resource at ${path}: ${problem}`);
    this.name = "CanonicalFormError";
  }
}

/** Matches a UTF-16 code unit that is half of a surrogate pair with no other half (not valid Unicode text). */
const LONE_SURROGATE = /\p{Surrogate}/u;

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Refuses every value that `canonicalize` (like `JSON.stringify`) would silently drop, turn into `null` or turn into
 * something else: `undefined` (also as an array hole), functions, symbols, bigint, NaN and ±Infinity, lone
 * surrogates, cycles, and objects that are not plain data (a `Date`, a `Map`, a class instance with `toJSON`). What
 * passes survives a JSON round trip unchanged, which is what a commitment to the record has to mean.
 */
function assertJsonValue(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
      if (LONE_SURROGATE.test(value)) throw new CanonicalFormError(path, "a string with a lone UTF-16 surrogate");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalFormError(path, `a non-finite number (${String(value)})`);
      return;
    case "boolean":
      return;
    case "undefined":
      throw new CanonicalFormError(path, "undefined (JSON has no undefined; omit the field instead)");
    case "bigint":
      throw new CanonicalFormError(path, "a bigint (JSON numbers are IEEE-754 doubles; use a number or a string)");
    case "function":
      throw new CanonicalFormError(path, "a function");
    case "symbol":
      throw new CanonicalFormError(path, "a symbol");
    case "object":
      break;
  }
  if (value === null) return;
  if (ancestors.has(value)) throw new CanonicalFormError(path, "a circular reference");
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value)) throw new CanonicalFormError(`${path}[${index}]`, "an array hole (sparse array)");
      assertJsonValue(value[index], `${path}[${index}]`, ancestors);
    }
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw new CanonicalFormError(
        path,
        `a ${typeof name === "string" ? name : "non-plain"} object, not plain JSON data`,
      );
    }
    for (const [key, child] of Object.entries(value)) {
      const at = childPath(path, key);
      if (LONE_SURROGATE.test(key)) throw new CanonicalFormError(at, "a key with a lone UTF-16 surrogate");
      assertJsonValue(child, at, ancestors);
    }
  }
  ancestors.delete(value);
}

function assertResourceType(resource: unknown): void {
  if (typeof resource !== "object" || resource === null || Array.isArray(resource)) {
    throw new CanonicalFormError("$", "a FHIR resource must be a JSON object");
  }
  const { resourceType } = resource as { resourceType?: unknown };
  if (typeof resourceType !== "string" || resourceType === "") {
    throw new CanonicalFormError("$.resourceType", "a FHIR resource needs a non-empty string resourceType");
  }
}

/**
 * The UTF-8 bytes of `resource`'s RFC 8785 canonical JSON: the one byte string every copy of this record maps to,
 * whatever its key order or whitespace. This is what `recordCommitment` commits to and `sealEnvelope` encrypts.
 *
 * @throws CanonicalFormError if the resource holds anything JSON cannot represent faithfully — `undefined` (also as
 *   an array hole), functions, symbols, bigint, NaN or ±Infinity, lone surrogates, cycles, non-plain objects such as a
 *   `Date` — or has no non-empty string `resourceType`. `JSON.stringify` would silently drop or convert these; a
 *   commitment must not cover something other than what the caller holds.
 */
export function canonicalBytes(resource: FhirResource): Uint8Array {
  assertResourceType(resource);
  assertJsonValue(resource, "$", new Set());
  let text: string | undefined;
  try {
    text = canonicalize(resource);
  } catch (error) {
    // Unreachable after the checks above; kept so a future canonicalize refusal still surfaces as our error.
    throw new CanonicalFormError("$", error instanceof Error ? error.message : String(error));
  }
  if (text === undefined) throw new CanonicalFormError("$", "the resource has no JSON representation");
  return toUtf8Bytes(text);
}

/**
 * Parses a FHIR JSON document (a file read from disk, an HTTP body) into a resource, checking only that it is a JSON
 * object with a non-empty string `resourceType`; it does not validate the resource against its FHIR profile. A
 * leading UTF-8 byte order mark is ignored (and not counted in a column).
 *
 * @throws CanonicalFormError if the text is not JSON or not a resource. Text that is not JSON is located by line and
 *   column with the kind of mistake (`not valid JSON: an unexpected character where a value should be at line 1,
 *   column 1`), never quoted: `JSON.parse`'s own message quotes the record, which is PHI.
 */
export function parseFhirJson(text: string): FhirResource {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new CanonicalFormError("$", jsonSyntaxMessage(body));
  }
  assertResourceType(parsed);
  return parsed as FhirResource;
}

/**
 * Parses a FHIR JSON document given as UTF-8 bytes (a record's canonical bytes, opened from its envelope), as
 * `parseFhirJson` does.
 *
 * @throws CanonicalFormError if the bytes are not UTF-8 (without them: ethers' `toUtf8String` puts every byte, in
 *   hex, into its message), not JSON, or not a resource.
 */
export function parseFhirBytes(bytes: Uint8Array): FhirResource {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new CanonicalFormError("$", "not UTF-8 text");
  }
  return parseFhirJson(text);
}

/**
 * The salted commitment to a record's canonical bytes, `keccak256(salt ‖ canonical)` via `commit`: what goes on chain
 * for the record. With no `salt` a fresh 32-byte one is drawn, so two commitments to the same low-entropy record (a
 * single potassium result) are unrelated and cannot be found by enumerating likely records. Keep the salt with the
 * record — `sealEnvelope` puts it inside the encrypted envelope — or the commitment can never be opened.
 */
export function recordCommitment(canonical: Uint8Array, salt: BytesLike = randomBytes(32)): SaltedCommitment {
  return commit(canonical, salt);
}
