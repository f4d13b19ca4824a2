import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { createRequire } from "node:module";

import { secp256k1 } from "@noble/curves/secp256k1.js";

/**
 * The key wrap of `careledger-envelope/1`: a record's 32-byte data key encrypted to a reader's secp256k1 public key
 * with ECIES, byte for byte as eciesjs (0.4 and 0.5) writes it with its default configuration, so that every wrapped
 * key stored before this module existed still opens, and eciesjs still opens what this module writes:
 *
 *   ephemeral key pair (e, E = e·G), E uncompressed (65 bytes)
 *   shared point S = e·R for the reader's key R, uncompressed (65 bytes)
 *   key = HKDF-SHA256(ikm = E ‖ S, no salt, no info, 32 bytes)
 *   wrapped = E ‖ nonce (16 bytes) ‖ tag (16 bytes) ‖ AES-256-GCM(key, nonce).encrypt(dataKey)   — 129 bytes
 *
 * and unwrapping computes S = r·E with the reader's secret r. eciesjs gets the same bytes with six scalar
 * multiplications per wrap and five per unwrap (it converts every key between encodings by multiplying by one); this
 * does the two a wrap needs (e·G and e·R) and the one an unwrap needs (r·E), and nothing here is hand-rolled: the curve
 * arithmetic is libsecp256k1 (Bitcoin Core's constant-time library, through the `secp256k1` package's prebuilt N-API
 * binding) or, where that binding cannot load, @noble/curves (audited, constant-time `multiply`), with a recurring
 * reader's point precomputed once and kept; HKDF, AES-GCM and the random bytes are Node's OpenSSL.
 */

/** A wrapped key: ephemeral public key (65) ‖ nonce (16) ‖ tag (16) ‖ encrypted 32-byte key (32). */
export const WRAPPED_KEY_BYTES = 65 + 16 + 16 + 32;

const EPHEMERAL_BYTES = 65;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** The elliptic-curve half of the wrap: what a backend provides. */
export interface KeyWrapCurve {
  /** Which library does the arithmetic. */
  readonly name: "libsecp256k1" | "@noble/curves";
  /** A fresh ephemeral secret and its uncompressed public key. */
  ephemeral(): { secret: Uint8Array; publicKey: Uint8Array };
  /** The compressed public key (33 bytes) of `secret`. @throws if `secret` is not a valid scalar. */
  publicKey(secret: Uint8Array): Uint8Array;
  /**
   * The uncompressed point `secret·publicKey`. `reused` says the public key will come again (a reader's key, as
   * opposed to an ephemeral key being unwrapped), so a backend may keep work done for it.
   *
   * @throws if `publicKey` is not a point on secp256k1 or `secret` is not a valid scalar.
   */
  sharedPoint(publicKey: Uint8Array, secret: Uint8Array, reused: boolean): Uint8Array;
}

/** The `secp256k1` package's binding API, the part used here (its own typings describe the package root). */
interface Libsecp256k1 {
  privateKeyVerify(secret: Uint8Array): boolean;
  publicKeyCreate(secret: Uint8Array, compressed: boolean): Uint8Array;
  ecdh(
    publicKey: Uint8Array,
    secret: Uint8Array,
    options: { hashfn: (x: Uint8Array, y: Uint8Array) => Uint8Array; xbuf: Uint8Array; ybuf: Uint8Array },
    output: Uint8Array,
  ): Uint8Array;
}

/**
 * libsecp256k1 through the native binding, or undefined where it cannot load (no prebuilt binary for the platform and
 * none compiled at install). `secp256k1/bindings` rather than the package root, which silently falls back to the
 * `elliptic` package when the binding is missing; the fallback here is @noble/curves instead.
 */
function loadLibsecp256k1(): KeyWrapCurve | undefined {
  let lib: Libsecp256k1;
  try {
    lib = createRequire(__filename)("secp256k1/bindings") as Libsecp256k1;
  } catch {
    return undefined;
  }
  // ECDH's "hash" is the uncompressed point itself: HKDF, not libsecp256k1's default SHA-256, derives the key.
  const uncompressed = (x: Uint8Array, y: Uint8Array): Uint8Array => {
    const point = new Uint8Array(EPHEMERAL_BYTES);
    point[0] = 0x04;
    point.set(x, 1);
    point.set(y, 33);
    return point;
  };
  return {
    name: "libsecp256k1",
    ephemeral() {
      let secret = randomBytes(KEY_BYTES);
      // Zero or not below the group order: probability about 2^-128 per draw.
      while (!lib.privateKeyVerify(secret)) secret = randomBytes(KEY_BYTES);
      return { secret, publicKey: lib.publicKeyCreate(secret, false) };
    },
    publicKey(secret) {
      return lib.publicKeyCreate(secret, true);
    },
    sharedPoint(publicKey, secret) {
      const xbuf = new Uint8Array(32);
      const ybuf = new Uint8Array(32);
      let point: Uint8Array | undefined;
      const hashfn = (x: Uint8Array, y: Uint8Array): Uint8Array => (point = uncompressed(x, y));
      const output = new Uint8Array(EPHEMERAL_BYTES);
      try {
        // The binding copies the "hash" into `output`; the coordinates and the callback's copy are cleared here.
        lib.ecdh(publicKey, secret, { hashfn, xbuf, ybuf }, output);
        return output;
      } finally {
        xbuf.fill(0);
        ybuf.fill(0);
        point?.fill(0);
      }
    },
  };
}

/**
 * How many readers' points the @noble/curves backend keeps (least recently used go first): a point precomputed with
 * window 6 holds about 1,400 points, some 200 KB, so the cache stays under about 7 MB.
 */
const KEPT_READERS = 32;
/**
 * The precomputation window for a reader's point, measured with @noble/curves 2.4 on one core: window 6 takes about
 * 40 ms to build and makes a multiplication about 0.6 ms instead of 3.5 ms (window 8 takes 90 ms for no further gain),
 * so it pays for itself after about 13 wraps for the same reader.
 */
const READER_WINDOW = 6;

/**
 * @noble/curves: `Point.multiply` is constant-time. A reader's point is precomputed the second time it is wrapped for
 * (a reader seen once may never come back; one seen twice usually keeps coming) and kept.
 */
function nobleCurve(): KeyWrapCurve {
  type Point = ReturnType<typeof secp256k1.Point.fromBytes>;
  const readers = new Map<string, { point: Point; precomputed: boolean }>();
  const readerPoint = (publicKey: Uint8Array): Point => {
    const id = Buffer.from(publicKey).toString("hex");
    let reader = readers.get(id);
    if (reader === undefined) {
      reader = { point: secp256k1.Point.fromBytes(publicKey), precomputed: false };
      if (readers.size >= KEPT_READERS) readers.delete(readers.keys().next().value!);
    } else {
      readers.delete(id); // re-inserted below as the most recently used
      if (!reader.precomputed) {
        reader.point.precompute(READER_WINDOW, false);
        reader.precomputed = true;
      }
    }
    readers.set(id, reader);
    return reader.point;
  };
  return {
    name: "@noble/curves",
    ephemeral() {
      const secret = secp256k1.utils.randomSecretKey();
      return { secret, publicKey: secp256k1.getPublicKey(secret, false) };
    },
    publicKey(secret) {
      return secp256k1.getPublicKey(secret, true);
    },
    sharedPoint(publicKey, secret, reused) {
      const point = reused ? readerPoint(publicKey) : secp256k1.Point.fromBytes(publicKey);
      return point.multiply(secp256k1.Point.Fn.fromBytes(secret)).toBytes(false);
    },
  };
}

/** Every backend that loads on this machine, the preferred first: for tests and benchmarks that compare them. */
export function keyWrapCurves(): KeyWrapCurve[] {
  const native = loadLibsecp256k1();
  return native === undefined ? [nobleCurve()] : [native, nobleCurve()];
}

let defaultCurve: KeyWrapCurve | undefined;

/** The backend this process wraps with: libsecp256k1 where its binding loads, @noble/curves otherwise. */
export function keyWrapCurve(): KeyWrapCurve {
  defaultCurve ??= keyWrapCurves()[0]!;
  return defaultCurve;
}

/** HKDF-SHA256 of `ephemeral ‖ shared`, as eciesjs derives its AES key (an absent salt is HashLen zero bytes). */
function derivedKey(ephemeral: Uint8Array, shared: Uint8Array): Buffer {
  const input = Buffer.concat([ephemeral, shared]);
  try {
    return Buffer.from(hkdfSync("sha256", input, Buffer.alloc(0), Buffer.alloc(0), 32));
  } finally {
    input.fill(0);
  }
}

/**
 * `dataKey` (32 bytes) wrapped for `publicKey` (a secp256k1 point, compressed or uncompressed): 129 bytes, readable by
 * eciesjs's `decrypt(secret, wrapped)` with its defaults as well as by `unwrapKey`.
 *
 * @throws if `publicKey` is not a point on secp256k1 or `dataKey` is not 32 bytes.
 */
export function wrapKey(publicKey: Uint8Array, dataKey: Uint8Array, curve = keyWrapCurve()): Uint8Array {
  if (dataKey.length !== KEY_BYTES) throw new TypeError(`a data key is ${KEY_BYTES} bytes, got ${dataKey.length}`);
  const ephemeral = curve.ephemeral();
  const shared = curve.sharedPoint(publicKey, ephemeral.secret, true);
  const key = derivedKey(ephemeral.publicKey, shared);
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    const encrypted = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    const wrapped = new Uint8Array(WRAPPED_KEY_BYTES);
    wrapped.set(ephemeral.publicKey, 0);
    wrapped.set(nonce, EPHEMERAL_BYTES);
    wrapped.set(cipher.getAuthTag(), EPHEMERAL_BYTES + NONCE_BYTES);
    wrapped.set(encrypted, EPHEMERAL_BYTES + NONCE_BYTES + TAG_BYTES);
    return wrapped;
  } finally {
    ephemeral.secret.fill(0);
    shared.fill(0);
    key.fill(0);
  }
}

/**
 * The data key in `wrapped` (129 bytes, from `wrapKey` or eciesjs's `encrypt` with its defaults), opened with the
 * reader's 32-byte `secret`.
 *
 * @throws if `wrapped` is not 129 bytes starting with an uncompressed point on secp256k1, or does not authenticate
 *   under the key derived with `secret` (another reader's entry, a damaged or substituted wrapped key).
 */
export function unwrapKey(secret: Uint8Array, wrapped: Uint8Array, curve = keyWrapCurve()): Uint8Array {
  if (wrapped.length !== WRAPPED_KEY_BYTES) {
    throw new TypeError(`a wrapped key is ${WRAPPED_KEY_BYTES} bytes, got ${wrapped.length}`);
  }
  const ephemeral = wrapped.subarray(0, EPHEMERAL_BYTES);
  if (ephemeral[0] !== 0x04) throw new TypeError("a wrapped key starts with an uncompressed point (0x04…)");
  const shared = curve.sharedPoint(ephemeral, secret, false);
  const key = derivedKey(ephemeral, shared);
  try {
    const nonce = wrapped.subarray(EPHEMERAL_BYTES, EPHEMERAL_BYTES + NONCE_BYTES);
    const tag = wrapped.subarray(EPHEMERAL_BYTES + NONCE_BYTES, EPHEMERAL_BYTES + NONCE_BYTES + TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    const encrypted = wrapped.subarray(EPHEMERAL_BYTES + NONCE_BYTES + TAG_BYTES);
    const opened = decipher.update(encrypted);
    try {
      return new Uint8Array(Buffer.concat([opened, decipher.final()]));
    } finally {
      opened.fill(0);
    }
  } finally {
    shared.fill(0);
    key.fill(0);
  }
}
