import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import canonicalize from "canonicalize";
import { type BytesLike, getBytes, SigningKey, toUtf8Bytes, toUtf8String } from "ethers";

import { recordCommitment } from "./fhir";
import { keyWrapCurve, unwrapKey, WRAPPED_KEY_BYTES, wrapKey } from "./key-wrap";

/**
 * Envelope encryption of a record for its readers.
 *
 * A record is encrypted once, with a fresh 256-bit data key, under AES-256-GCM with a fresh 12-byte nonce; the data
 * key is then wrapped for each reader's secp256k1 public key with ECIES (as eciesjs does it). Adding a reader wraps the same data
 * key once more and leaves the ciphertext alone, so sharing a record with a new grantee costs one ECIES encryption.
 *
 * Format `careledger-envelope/1`, precisely:
 * - plaintext = salt (32 bytes) ‖ canonical bytes (RFC 8785 JSON of the FHIR resource). The salt of the on-chain
 *   commitment lives only here, so only a reader can open the commitment.
 * - ciphertext = AES-256-GCM(dataKey, nonce, AAD).encrypt(plaintext), the 16-byte tag appended.
 * - AAD = UTF-8("careledger-envelope/1") ‖ 0x00 ‖ commitment (32 bytes). It binds the ciphertext to the format and to
 *   the record commitment: moved under another commitment (or relabelled), the ciphertext no longer authenticates.
 * - wrappedKey = ECIES of the data key to the reader's public key, exactly as eciesjs `encrypt(readerPublicKey,
 *   dataKey)` writes it with its defaults (secp256k1, uncompressed 65-byte ephemeral key, HKDF-SHA256 over the
 *   uncompressed ephemeral key and shared point, AES-256-GCM with a 16-byte nonce): 65 + 16 + 16 + 32 = 129 bytes.
 *   `key-wrap.ts` does it with one scalar multiplication per unwrap and two per wrap, with libsecp256k1 (or
 *   @noble/curves where the native binding does not load), and eciesjs opens what it writes and vice versa.
 * - AES-256-GCM (content and key wrap) is Node's OpenSSL: the same bytes as any conforming implementation, several
 *   times faster than one in JavaScript.
 * - All binary fields are lowercase `0x` hex; public keys are compressed (33 bytes). Stored as RFC 8785 JSON
 *   (`encodeEnvelope`), so one envelope is always one byte string and one blob address.
 *
 * **Revocation cannot un-share.** A reader who has opened an envelope has the record and can keep it; removing their
 * entry, or revoking their consent on chain, changes nothing about what they already decrypted (and they may have kept
 * the data key). Revocation is forward-only: new versions of a record are simply not wrapped for a revoked reader.
 */

const FORMAT = "careledger-envelope/1";
const CIPHER = "AES-256-GCM";
const KEY_WRAP = "ECIES-secp256k1";

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 32;

/** One reader of an envelope: their compressed public key and the data key wrapped for it. */
export interface EnvelopeRecipient {
  /** The reader's secp256k1 public key, compressed: `0x` + 33 bytes of lowercase hex. */
  publicKey: string;
  /** The data key ECIES-encrypted to `publicKey`: `0x` + 129 bytes of lowercase hex. */
  wrappedKey: string;
}

/**
 * An encrypted record and its readers — what goes into the blob store; see the module comment above for the exact
 * format. It holds no plaintext and no salt, but its `commitment` equals the record's on-chain commitment, so an
 * envelope should be stored where only the record's custodians can list it.
 */
export interface Envelope {
  format: "careledger-envelope/1";
  cipher: "AES-256-GCM";
  keyWrap: "ECIES-secp256k1";
  /** The record commitment `keccak256(salt ‖ canonical)`: `0x` + 32 bytes of lowercase hex. */
  commitment: string;
  /** The AES-GCM nonce: `0x` + 12 bytes of lowercase hex. */
  nonce: string;
  /** The AES-GCM ciphertext of `salt ‖ canonical` with the 16-byte tag appended: lowercase `0x` hex. */
  ciphertext: string;
  /** At least one reader, no public key twice. */
  recipients: EnvelopeRecipient[];
}

/** What a reader gets out of an envelope: the record's canonical bytes and the salt that opens its commitment. */
export interface OpenedEnvelope {
  canonical: Uint8Array;
  /** The 32-byte commitment salt, `0x` hex. */
  salt: string;
  commitment: string;
}

/**
 * Why an envelope did not open:
 * - `not-a-recipient`: the key's public key has no entry in the envelope;
 * - `unwrap-failed`: it has an entry, but the wrapped key does not decrypt with this private key;
 * - `decrypt-failed`: the data key does not authenticate the ciphertext under this envelope's format and commitment
 *   (tampered ciphertext, nonce or commitment, or a wrapped key taken from another envelope);
 * - `commitment-mismatch`: the ciphertext authenticates, but what it holds does not open the envelope's commitment
 *   (the envelope was built wrongly or maliciously by whoever sealed it);
 * - `malformed`: the envelope or its encoding does not have the shape of `careledger-envelope/1`.
 */
export type EnvelopeErrorReason =
  "not-a-recipient" | "unwrap-failed" | "decrypt-failed" | "commitment-mismatch" | "malformed";

/** An envelope that could not be opened, shared or decoded; `reason` says which check failed. */
export class EnvelopeError extends Error {
  constructor(
    readonly reason: EnvelopeErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${reason}: ${message}`, options);
    this.name = "EnvelopeError";
  }
}

function additionalData(commitment: string): Uint8Array {
  const format = toUtf8Bytes(FORMAT);
  const aad = new Uint8Array(format.length + 1 + 32);
  aad.set(format, 0);
  aad.set(getBytes(commitment), format.length + 1);
  return aad;
}

function isHex(value: unknown, bytes?: number): value is string {
  if (typeof value !== "string" || !/^0x(?:[0-9a-f]{2})*$/.test(value)) return false;
  return bytes === undefined || value.length === 2 + 2 * bytes;
}

/*
 * Keys are parsed and derived without eciesjs's key classes, which convert every key between compressed and
 * uncompressed form with two full scalar multiplications: a private key's public key comes from the key-wrap backend
 * (libsecp256k1 where it loads), a public key is decompressed by ethers with one square root and checked to be on the
 * curve.
 */

/** A secp256k1 private key as 32 bytes with its compressed public key; refused (without echoing it) if invalid. */
function parsePrivateKey(privateKey: BytesLike): { secret: Uint8Array; publicKey: string } {
  let secret: Uint8Array;
  try {
    secret = getBytes(privateKey);
  } catch {
    throw new TypeError("the private key is not 0x hex or bytes");
  }
  if (secret.length !== 32) throw new TypeError(`a secp256k1 private key is 32 bytes, got ${secret.length}`);
  try {
    return { secret, publicKey: toHex(keyWrapCurve().publicKey(secret)) };
  } catch {
    throw new TypeError("the private key is not a valid secp256k1 scalar (zero or not below the group order)");
  }
}

/**
 * The compressed public key (`0x` + 33 bytes hex) of a secp256k1 private key — an ethers `Wallet.privateKey` works —
 * as it appears in an envelope's `recipients`. Readers publish this; anyone sealing a record for them needs it.
 *
 * @throws TypeError if `privateKey` is not 32 bytes or not a valid secp256k1 scalar.
 */
export function publicKeyOf(privateKey: BytesLike): string {
  return parsePrivateKey(privateKey).publicKey;
}

/** Public keys already normalized, by the string given: sealing for the same readers again skips the square root. */
const normalizedKeys = new Map<string, string>();
const NORMALIZED_KEYS_KEPT = 1024;

/** `key` as a compressed `0x` hex public key; compressed or uncompressed, with or without `0x`, any hex case. */
function normalizePublicKey(key: string, label: string): string {
  const known = normalizedKeys.get(key);
  if (known !== undefined) return known;
  const hex = (key.startsWith("0x") || key.startsWith("0X") ? key.slice(2) : key).toLowerCase();
  // Lengths checked first: computePublicKey would take 32 bytes as a private key.
  if (!/^(?:0[23][0-9a-f]{64}|04[0-9a-f]{128})$/.test(hex)) {
    throw new TypeError(
      `${label} is not a secp256k1 public key: expected 33 (compressed, 02/03…) or 65 (uncompressed, 04…) bytes of hex`,
    );
  }
  let normalized: string;
  try {
    normalized = SigningKey.computePublicKey(`0x${hex}`, true);
  } catch {
    throw new TypeError(`${label} (0x${hex.slice(0, 10)}…) is not a point on secp256k1`);
  }
  if (normalizedKeys.size >= NORMALIZED_KEYS_KEPT) normalizedKeys.clear();
  normalizedKeys.set(key, normalized);
  return normalized;
}

/** Normalizes and dedupes `readers`, dropping those in `existing`; keeps first-seen order. */
function newReaders(readers: readonly string[], existing: readonly string[]): string[] {
  const seen = new Set(existing);
  const result: string[] = [];
  readers.forEach((reader, index) => {
    const key = normalizePublicKey(reader, `reader ${index}`);
    if (!seen.has(key)) {
      seen.add(key);
      result.push(key);
    }
  });
  return result;
}

function wrapFor(publicKey: string, dataKey: Uint8Array): EnvelopeRecipient {
  return { publicKey, wrappedKey: toHex(wrapKey(getBytes(publicKey), dataKey)) };
}

/** Lowercase `0x` hex, natively (ethers' `hexlify` builds the string a byte at a time). */
function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** The bytes of `hex`, which has already been checked to be `0x` hex of whole bytes. */
function fromHex(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

/** AES-256-GCM under the envelope's AAD: ciphertext ‖ 16-byte tag, the layout of @noble/ciphers and WebCrypto. */
function encrypt(dataKey: Uint8Array, nonce: Uint8Array, commitment: string, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv("aes-256-gcm", dataKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(commitment));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/**
 * The plaintext of `encrypt`'s output, as a plain `Uint8Array` (whose `slice` copies, unlike a Buffer's).
 *
 * @throws if it does not authenticate under this key, nonce and commitment.
 */
function decrypt(dataKey: Uint8Array, nonce: Uint8Array, commitment: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_BYTES) throw new Error("the ciphertext is shorter than its tag");
  const decipher = createDecipheriv("aes-256-gcm", dataKey, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(commitment));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const opened = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    const plaintext = Buffer.concat([opened, decipher.final()]);
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  } finally {
    opened.fill(0);
  }
}

/**
 * Encrypts a record for its readers. `payload.canonical` must be `canonicalBytes(resource)` and `payload.salt` the
 * 32-byte salt of its commitment (the one that goes on chain, see `recordCommitment`); the envelope's `commitment` is
 * computed from them. `readers` are secp256k1 public keys in hex — compressed or uncompressed (an ethers
 * `SigningKey.publicKey`), with or without `0x`; they are normalized to compressed form and deduped. To draw a fresh
 * salt and get it back with the envelope, use `sealRecord`.
 *
 * @throws TypeError for a reader that is not a secp256k1 public key, Error for no readers or a salt that is not 32
 *   bytes.
 */
export function sealEnvelope(
  payload: { canonical: Uint8Array; salt: BytesLike },
  readers: readonly string[],
): Envelope {
  const { commitment, salt } = recordCommitment(payload.canonical, payload.salt);
  return seal(payload.canonical, getBytes(salt), commitment, readers);
}

/** A record sealed with a fresh salt: the envelope and the salt and commitment that go with it. */
export interface SealedRecord {
  envelope: Envelope;
  /** The fresh 32-byte commitment salt, `0x` hex; it is also inside the envelope, for its readers. */
  salt: string;
  /** `keccak256(salt ‖ canonical)`, the record's on-chain commitment (equal to `envelope.commitment`). */
  commitment: string;
}

/**
 * Commits to a record with a fresh salt and encrypts it for its readers in one step — the commitment is computed once
 * — as `sealEnvelope` does with a salt of its own. `canonical` must be `canonicalBytes(resource)`.
 *
 * @throws TypeError for a reader that is not a secp256k1 public key, Error for no readers.
 */
export function sealRecord(canonical: Uint8Array, readers: readonly string[]): SealedRecord {
  const salt = randomBytes(SALT_BYTES);
  const committed = recordCommitment(canonical, salt);
  return { envelope: seal(canonical, salt, committed.commitment, readers), ...committed };
}

function seal(canonical: Uint8Array, salt: Uint8Array, commitment: string, readers: readonly string[]): Envelope {
  const publicKeys = newReaders(readers, []);
  if (publicKeys.length === 0) throw new Error("an envelope needs at least one reader");

  const dataKey = randomBytes(KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const plaintext = new Uint8Array(SALT_BYTES + canonical.length);
  plaintext.set(salt, 0);
  plaintext.set(canonical, SALT_BYTES);
  try {
    return {
      format: FORMAT,
      cipher: CIPHER,
      keyWrap: KEY_WRAP,
      commitment,
      nonce: toHex(nonce),
      ciphertext: toHex(encrypt(dataKey, nonce, commitment, plaintext)),
      recipients: publicKeys.map((publicKey) => wrapFor(publicKey, dataKey)),
    };
  } finally {
    // Best effort: JavaScript gives no guarantee that no other copy exists, but these buffers are ours to clear.
    dataKey.fill(0);
    plaintext.fill(0);
  }
}

/** The data key wrapped in `envelope` for `privateKey`'s public key. */
function unwrapDataKey(envelope: Envelope, privateKey: BytesLike): Uint8Array {
  const { secret, publicKey } = parsePrivateKey(privateKey);
  const entry = envelope.recipients.find((recipient) => recipient.publicKey === publicKey);
  if (entry === undefined) {
    throw new EnvelopeError(
      "not-a-recipient",
      `${publicKey} is not among the envelope's ${envelope.recipients.length} recipient(s)`,
    );
  }
  let dataKey: Uint8Array;
  try {
    dataKey = unwrapKey(secret, fromHex(entry.wrappedKey));
  } catch (error) {
    throw new EnvelopeError("unwrap-failed", `the data key wrapped for ${publicKey} does not decrypt`, {
      cause: error,
    });
  }
  if (dataKey.length !== KEY_BYTES) {
    throw new EnvelopeError("unwrap-failed", `the key wrapped for ${publicKey} is ${dataKey.length} bytes, not 32`);
  }
  return dataKey;
}

/** Decrypts with an unwrapped data key and checks the result opens the commitment. */
function openWithKey(envelope: Envelope, dataKey: Uint8Array): OpenedEnvelope {
  let plaintext: Uint8Array;
  try {
    plaintext = decrypt(dataKey, fromHex(envelope.nonce), envelope.commitment, fromHex(envelope.ciphertext));
  } catch (error) {
    throw new EnvelopeError(
      "decrypt-failed",
      "the ciphertext does not authenticate under this data key, nonce, format and commitment",
      { cause: error },
    );
  }
  if (plaintext.length < SALT_BYTES) {
    throw new EnvelopeError("commitment-mismatch", "the plaintext is too short to hold the commitment salt");
  }
  const salt = plaintext.slice(0, SALT_BYTES);
  const canonical = plaintext.slice(SALT_BYTES);
  plaintext.fill(0);
  const { commitment } = recordCommitment(canonical, salt);
  if (commitment !== envelope.commitment) {
    throw new EnvelopeError(
      "commitment-mismatch",
      `the decrypted record and salt commit to ${commitment}, not to the envelope's ${envelope.commitment}`,
    );
  }
  return { canonical, salt: toHex(salt), commitment };
}

/**
 * Opens an envelope with a reader's private key (32 bytes, e.g. an ethers `Wallet.privateKey`): finds the reader's
 * entry, unwraps the data key, decrypts, and checks that the salt and record open the envelope's commitment — so what
 * it returns is exactly the record the on-chain commitment stands for.
 *
 * @throws EnvelopeError with `reason` "malformed", "not-a-recipient", "unwrap-failed", "decrypt-failed" or
 *   "commitment-mismatch" (see `EnvelopeErrorReason`); TypeError if `privateKey` is not a secp256k1 private key.
 */
export function openEnvelope(envelope: Envelope, privateKey: BytesLike): OpenedEnvelope {
  assertEnvelope(envelope);
  const dataKey = unwrapDataKey(envelope, privateKey);
  try {
    return openWithKey(envelope, dataKey);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Shares a record with new readers (a newly consented grantee): unwraps the data key with an existing reader's private
 * key, checks it really opens this envelope (so a bad entry is never propagated), and wraps it for each new reader.
 * The ciphertext, nonce, commitment and existing entries are unchanged; readers already present are skipped; a new
 * envelope object is returned and the argument is not modified. Store the result as a new blob — its address changes.
 *
 * This cannot be undone for a reader once they have opened the envelope; see the note on revocation above.
 *
 * @throws EnvelopeError as `openEnvelope` does; TypeError for a new reader that is not a secp256k1 public key.
 */
export function addRecipients(envelope: Envelope, privateKey: BytesLike, readers: readonly string[]): Envelope {
  assertEnvelope(envelope);
  const added = newReaders(readers, recipientsOf(envelope));
  const dataKey = unwrapDataKey(envelope, privateKey);
  try {
    openWithKey(envelope, dataKey).canonical.fill(0);
    return {
      ...envelope,
      recipients: [
        ...envelope.recipients.map((recipient) => ({ ...recipient })),
        ...added.map((publicKey) => wrapFor(publicKey, dataKey)),
      ],
    };
  } finally {
    dataKey.fill(0);
  }
}

/** The compressed `0x` hex public keys an envelope is wrapped for, in the order they were added. */
export function recipientsOf(envelope: Envelope): string[] {
  return envelope.recipients.map((recipient) => recipient.publicKey);
}

/**
 * The envelope as stored: the UTF-8 bytes of its RFC 8785 canonical JSON, so the same envelope always encodes to the
 * same bytes (and so to the same blob address).
 *
 * @throws EnvelopeError "malformed" if the envelope does not have the `careledger-envelope/1` shape.
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  assertEnvelope(envelope);
  const text = canonicalize(envelope);
  if (text === undefined) throw new EnvelopeError("malformed", "the envelope has no JSON representation");
  return toUtf8Bytes(text);
}

/**
 * Reads an envelope from its stored bytes, checking every field's shape (lowercase hex of the right lengths, valid
 * compressed public keys, no duplicate or unknown fields) and that the bytes are in the canonical form
 * `encodeEnvelope` writes, so `encodeEnvelope(decodeEnvelope(bytes))` gives `bytes` back.
 *
 * @throws EnvelopeError "malformed" for anything else.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(toUtf8String(bytes));
  } catch (error) {
    throw new EnvelopeError("malformed", "the bytes are not UTF-8 JSON", { cause: error });
  }
  assertEnvelope(value);
  const canonical = encodeEnvelope(value);
  if (canonical.length !== bytes.length || !canonical.every((byte, index) => byte === bytes[index])) {
    throw new EnvelopeError("malformed", "the envelope is not in canonical (RFC 8785) form");
  }
  return value;
}

function malformed(field: string, expected: string): EnvelopeError {
  return new EnvelopeError("malformed", `${field}: expected ${expected}`);
}

function assertExactKeys(
  value: unknown,
  keys: readonly string[],
  field: string,
): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformed(field, "an object");
  const actual = Object.keys(value).sort();
  const expected = [...keys].sort();
  if (actual.length !== expected.length || actual.some((key, index) => key !== expected[index])) {
    throw malformed(field, `exactly the fields ${expected.join(", ")}; got ${actual.join(", ")}`);
  }
}

/** Checks `value` has the exact shape of a `careledger-envelope/1` envelope. */
function assertEnvelope(value: unknown): asserts value is Envelope {
  assertExactKeys(
    value,
    ["format", "cipher", "keyWrap", "commitment", "nonce", "ciphertext", "recipients"],
    "envelope",
  );
  if (value.format !== FORMAT) throw malformed("format", `"${FORMAT}"`);
  if (value.cipher !== CIPHER) throw malformed("cipher", `"${CIPHER}"`);
  if (value.keyWrap !== KEY_WRAP) throw malformed("keyWrap", `"${KEY_WRAP}"`);
  if (!isHex(value.commitment, 32)) throw malformed("commitment", "32 bytes of lowercase 0x hex");
  if (!isHex(value.nonce, NONCE_BYTES)) throw malformed("nonce", `${NONCE_BYTES} bytes of lowercase 0x hex`);
  if (!isHex(value.ciphertext) || value.ciphertext.length < 2 + 2 * (SALT_BYTES + TAG_BYTES)) {
    throw malformed("ciphertext", `at least ${SALT_BYTES + TAG_BYTES} bytes of lowercase 0x hex`);
  }
  const recipients = value.recipients;
  if (!Array.isArray(recipients) || recipients.length === 0) throw malformed("recipients", "a non-empty array");
  const seen = new Set<string>();
  recipients.forEach((recipient: unknown, index) => {
    const field = `recipients[${index}]`;
    assertExactKeys(recipient, ["publicKey", "wrappedKey"], field);
    const { publicKey, wrappedKey } = recipient;
    if (!isHex(publicKey, 33) || normalizePublicKeyOrUndefined(publicKey) !== publicKey) {
      throw malformed(`${field}.publicKey`, "a compressed secp256k1 public key, 33 bytes of lowercase 0x hex");
    }
    if (seen.has(publicKey)) throw malformed(`${field}.publicKey`, "a reader not already listed");
    seen.add(publicKey);
    if (!isHex(wrappedKey, WRAPPED_KEY_BYTES)) {
      throw malformed(`${field}.wrappedKey`, `${WRAPPED_KEY_BYTES} bytes of lowercase 0x hex`);
    }
  });
}

function normalizePublicKeyOrUndefined(key: string): string | undefined {
  try {
    return normalizePublicKey(key, "key");
  } catch {
    return undefined;
  }
}
