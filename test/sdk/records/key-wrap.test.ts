import { gcm } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { expect } from "chai";
import { decrypt as eciesDecrypt, encrypt as eciesEncrypt } from "eciesjs";
import { getBytes, toUtf8Bytes, Wallet } from "ethers";
import fc from "fast-check";

import { openEnvelope, publicKeyOf, sealRecord } from "../../../sdk/records/envelope";
import { canonicalBytes } from "../../../sdk/records/fhir";
import {
  keyWrapCurve,
  keyWrapCurves,
  type KeyWrapCurve,
  unwrapKey,
  WRAPPED_KEY_BYTES,
  wrapKey,
} from "../../../sdk/records/key-wrap";

type EciesConfig = NonNullable<Parameters<typeof eciesEncrypt>[2]>;

/**
 * eciesjs's defaults, written out (they are what every envelope stored so far was wrapped with): secp256k1,
 * uncompressed ephemeral key, HKDF over uncompressed points, AES-256-GCM with a 16-byte nonce.
 */
const ECIES: EciesConfig = Object.freeze({
  ellipticCurve: "secp256k1",
  isEphemeralKeyCompressed: false,
  isHkdfKeyCompressed: false,
  symmetricAlgorithm: "aes-256-gcm",
  symmetricNonceLength: 16,
  ephemeralKeySize: 65,
});

const curves = keyWrapCurves();
const secretOf = (seed: number): Uint8Array => secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(seed));

describe("sdk/records/key-wrap", () => {
  it("wraps with libsecp256k1 on Linux x64, where the prebuilt binding ships", function () {
    if (process.platform !== "linux" || process.arch !== "x64") this.skip();
    expect(keyWrapCurve().name).to.equal("libsecp256k1");
    expect(curves.map((curve) => curve.name)).to.deep.equal(["libsecp256k1", "@noble/curves"]);
  });

  it("computes the same shared point with every backend", () => {
    const reader = secp256k1.getPublicKey(secretOf(1), true);
    const ephemeral = secretOf(2);
    const expected = secp256k1.getSharedSecret(ephemeral, reader, false);
    for (const curve of curves) {
      expect(curve.sharedPoint(reader, ephemeral, true), curve.name).to.deep.equal(expected);
      expect(curve.sharedPoint(reader, ephemeral, false), curve.name).to.deep.equal(expected);
    }
  });

  for (const curve of curves) {
    describe(`with ${curve.name}`, () => {
      interopProperties(curve);
      refusals(curve);
    });
  }

  it("opens what one backend wrapped with the other", () => {
    const secret = secretOf(3);
    const reader = secp256k1.getPublicKey(secret, true);
    const dataKey = randomBytes(32);
    for (const wrapper of curves) {
      for (const opener of curves) {
        expect(
          unwrapKey(secret, wrapKey(reader, dataKey, wrapper), opener),
          `${wrapper.name} → ${opener.name}`,
        ).to.deep.equal(dataKey);
      }
    }
  });
});

/** Both directions against eciesjs, for any data key and reader key. */
function interopProperties(curve: KeyWrapCurve): void {
  const keys = fc.record({
    secret: fc.uint8Array({ minLength: 48, maxLength: 48 }).map((seed) => secp256k1.utils.randomSecretKey(seed)),
    dataKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    compressed: fc.boolean(),
  });

  // eciesjs opens every key this module wraps, for a reader key given compressed or uncompressed.
  it("writes what eciesjs decrypts", () => {
    fc.assert(
      fc.property(keys, ({ secret, dataKey, compressed }) => {
        const wrapped = wrapKey(secp256k1.getPublicKey(secret, compressed), dataKey, curve);
        expect(wrapped.length).to.equal(WRAPPED_KEY_BYTES);
        expect(eciesDecrypt(secret, wrapped, ECIES)).to.deep.equal(dataKey);
      }),
      { numRuns: 40 },
    );
  });

  // Every key eciesjs wraps (as every envelope stored before this module was) opens here.
  it("reads what eciesjs encrypts", () => {
    fc.assert(
      fc.property(keys, ({ secret, dataKey }) => {
        const wrapped = eciesEncrypt(secp256k1.getPublicKey(secret, true), dataKey, ECIES);
        expect(unwrapKey(secret, wrapped, curve)).to.deep.equal(dataKey);
      }),
      { numRuns: 40 },
    );
  });

  it("draws a fresh ephemeral key and nonce for every wrap", () => {
    const reader = secp256k1.getPublicKey(secretOf(4), true);
    const dataKey = randomBytes(32);
    const first = wrapKey(reader, dataKey, curve);
    const second = wrapKey(reader, dataKey, curve);
    expect(first.subarray(0, 65)).to.not.deep.equal(second.subarray(0, 65));
    expect(first.subarray(65, 81)).to.not.deep.equal(second.subarray(65, 81));
  });

  it("wraps for a recurring reader (whose point a backend may precompute) as for a new one", () => {
    const dataKey = randomBytes(32);
    for (let seed = 10; seed < 13; seed++) {
      const secret = secretOf(seed);
      const reader = secp256k1.getPublicKey(secret, true);
      for (let round = 0; round < 3; round++) {
        expect(
          unwrapKey(secret, wrapKey(reader, dataKey, curve), curve),
          `reader ${seed}, wrap ${round}`,
        ).to.deep.equal(dataKey);
      }
    }
  });
}

function refusals(curve: KeyWrapCurve): void {
  const secret = secretOf(5);
  const reader = secp256k1.getPublicKey(secret, true);

  it("refuses a reader key that is not a point on secp256k1", () => {
    const notOnCurve = new Uint8Array(33).fill(0xff);
    notOnCurve[0] = 0x02;
    expect(() => wrapKey(notOnCurve, randomBytes(32), curve)).to.throw();
    expect(() => wrapKey(new Uint8Array(32), randomBytes(32), curve)).to.throw();
  });

  it("refuses a data key that is not 32 bytes", () => {
    expect(() => wrapKey(reader, randomBytes(31), curve)).to.throw(TypeError, "a data key is 32 bytes, got 31");
  });

  it("refuses a wrapped key of the wrong length or without an uncompressed point", () => {
    const wrapped = wrapKey(reader, randomBytes(32), curve);
    expect(() => unwrapKey(secret, wrapped.subarray(1), curve)).to.throw(TypeError, "129 bytes, got 128");
    const compressedPrefix = Uint8Array.from(wrapped);
    compressedPrefix[0] = 0x02;
    expect(() => unwrapKey(secret, compressedPrefix, curve)).to.throw(TypeError, "uncompressed point");
    const offCurve = Uint8Array.from(wrapped);
    offCurve[64] = offCurve[64]! ^ 0x01; // y no longer matches x
    expect(() => unwrapKey(secret, offCurve, curve)).to.throw();
  });

  it("refuses another reader's secret and any flipped byte of nonce, tag or encrypted key", () => {
    const wrapped = wrapKey(reader, randomBytes(32), curve);
    expect(() => unwrapKey(secretOf(6), wrapped, curve)).to.throw();
    for (const index of [65, 80, 81, 96, 97, 128]) {
      const damaged = Uint8Array.from(wrapped);
      damaged[index] = damaged[index]! ^ 0x01;
      expect(() => unwrapKey(secret, damaged, curve), `byte ${index}`).to.throw();
    }
  });
}

describe("sdk/records/envelope against eciesjs and @noble/ciphers", () => {
  // A new envelope opens with the libraries it was first written with: eciesjs unwraps its data key and
  // @noble/ciphers' AES-GCM decrypts its ciphertext under the documented AAD, so nothing here depends on Node's
  // OpenSSL to be read back.
  it("seals what eciesjs and @noble/ciphers open", () => {
    const reader = Wallet.createRandom();
    const canonical = canonicalBytes({
      resourceType: "Observation",
      status: "final",
      valueQuantity: { value: 4.1 },
    } as never);
    const { envelope, salt, commitment } = sealRecord(canonical, [reader.signingKey.publicKey]);
    expect(envelope.commitment).to.equal(commitment);

    const dataKey = eciesDecrypt(getBytes(reader.privateKey), getBytes(envelope.recipients[0]!.wrappedKey), ECIES);
    const aad = new Uint8Array([...toUtf8Bytes("careledger-envelope/1"), 0, ...getBytes(commitment)]);
    const plaintext = gcm(dataKey, getBytes(envelope.nonce), aad).decrypt(getBytes(envelope.ciphertext));
    expect(plaintext.subarray(0, 32)).to.deep.equal(getBytes(salt));
    expect(plaintext.subarray(32)).to.deep.equal(canonical);
    expect(openEnvelope(envelope, reader.privateKey).salt).to.equal(salt);
    expect(envelope.recipients[0]!.publicKey).to.equal(publicKeyOf(reader.privateKey));
  });
});
