import { gcm } from "@noble/ciphers/aes.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { expect } from "chai";
import { encrypt as eciesEncrypt } from "eciesjs";
import { getBytes, hexlify, toUtf8Bytes, toUtf8String, Wallet } from "ethers";

import {
  addRecipients,
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
  EnvelopeError,
  type EnvelopeErrorReason,
  openEnvelope,
  publicKeyOf,
  recipientsOf,
  sealEnvelope,
} from "../../../sdk/records/envelope";
import { canonicalBytes, recordCommitment } from "../../../sdk/records/fhir";

const POTASSIUM = canonicalBytes({
  resourceType: "Observation",
  status: "final",
  code: { text: "Potassium" },
  valueQuantity: { value: 4.1, unit: "mmol/L" },
} as never);
const SALT = `0x${"5a".repeat(32)}`;

/**
 * A stored envelope from an earlier run: the same POTASSIUM record and SALT, sealed for the key 0x4242…42. Opening it
 * pins the wire format (AAD layout, ECIES parameters, field encodings) against accidental change.
 */
const VECTOR_KEY = `0x${"42".repeat(32)}`;
const VECTOR =
  '{"cipher":"AES-256-GCM","ciphertext":"0xf75b77aca3552e0e07e51cf83253bac01868957aaa94634a8f0453e2d650d7082f617c4c1f2e1d961ea79867272fbc0c91a4363b0e5f02fed477f92cae14f0053c30efb30becfdbc3c71ad1072bd1632b0f81f9d9eff8f49742d8939c6a540c9e1582f57765e257721abcb6b22443820e6a082b61a819bf3b55e39faa06509ab96208bbeb69061f4212dca7a1dc9a8c47ca6b1b596f632c4f464d4608ca37c6243eb9e880916df5081",' +
  '"commitment":"0x20202d9e98fd1573f6871d11f665f12a30e1174f6b6519958b9ee897396ca15a","format":"careledger-envelope/1","keyWrap":"ECIES-secp256k1","nonce":"0x87c96afff8384f6965afa056",' +
  '"recipients":[{"publicKey":"0x0324653eac434488002cc06bbfb7f10fe18991e35f9fe4302dbea6d2353dc0ab1c","wrappedKey":"0x04fff9b9fac2b41c99104767c14e9e6e16fb88d116d7f4a08fd5345abe7772f9acc5a351da3905d9a4c0aee015c535024601f5253fcf5895f850417ab2e964b6535aec312183f6161fbb1e64469c889be46ed86634ad820ef91b294c08df5e48cb8528dff61d64f9207baed5e773969397237785294b02acfb0e593045c217cec4"}]}';

/** Runs `action` and returns the EnvelopeError it throws, checking its reason. */
function envelopeError(reason: EnvelopeErrorReason, action: () => unknown): EnvelopeError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(EnvelopeError);
    expect((error as EnvelopeError).reason, (error as Error).message).to.equal(reason);
    return error as EnvelopeError;
  }
  expect.fail(`expected an EnvelopeError "${reason}"`);
}

/** `hex` with the byte at `index` XORed with 0x01. */
function flipByte(hex: string, index: number): string {
  const bytes = getBytes(hex);
  bytes[index] = bytes[index]! ^ 0x01;
  return hexlify(bytes);
}

function seal(readers: readonly string[]): Envelope {
  return sealEnvelope({ canonical: POTASSIUM, salt: SALT }, readers);
}

describe("sdk/records/envelope", () => {
  const alice = Wallet.createRandom();
  const bob = Wallet.createRandom();
  const carol = Wallet.createRandom();
  const mallory = Wallet.createRandom();

  describe("publicKeyOf", () => {
    it("is the compressed public key of a private key", () => {
      // The secp256k1 generator G is the public key of the private key 1.
      expect(publicKeyOf(`0x${"00".repeat(31)}01`)).to.equal(
        "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
      );
      expect(publicKeyOf(alice.privateKey)).to.equal(alice.signingKey.compressedPublicKey);
      expect(publicKeyOf(getBytes(alice.privateKey))).to.equal(alice.signingKey.compressedPublicKey);
    });

    it("refuses what is not a secp256k1 private key, without echoing it", () => {
      expect(() => publicKeyOf("0x1234")).to.throw(TypeError, "a secp256k1 private key is 32 bytes, got 2");
      expect(() => publicKeyOf(`0x${"00".repeat(32)}`)).to.throw(TypeError, "not a valid secp256k1 scalar");
      expect(() => publicKeyOf(`0x${"ff".repeat(32)}`)).to.throw(TypeError, "not a valid secp256k1 scalar");
      expect(() => publicKeyOf("not hex")).to.throw(TypeError, "the private key is not 0x hex or bytes");
    });
  });

  describe("sealEnvelope and openEnvelope", () => {
    it("round-trips a record for one reader", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      expect(envelope.format).to.equal("careledger-envelope/1");
      expect(envelope.cipher).to.equal("AES-256-GCM");
      expect(envelope.keyWrap).to.equal("ECIES-secp256k1");
      expect(envelope.commitment).to.equal(recordCommitment(POTASSIUM, SALT).commitment);
      expect(envelope.nonce).to.match(/^0x[0-9a-f]{24}$/);
      // salt (32) + record + GCM tag (16): the plaintext is salt ‖ canonical.
      expect(getBytes(envelope.ciphertext).length).to.equal(32 + POTASSIUM.length + 16);
      expect(envelope.recipients).to.have.length(1);
      expect(getBytes(envelope.recipients[0]!.wrappedKey).length).to.equal(129);
      // Neither the record nor the salt is visible in the envelope.
      const stored = toUtf8String(encodeEnvelope(envelope));
      expect(stored).to.not.include("Potassium");
      expect(stored).to.not.include("5a".repeat(32));

      const opened = openEnvelope(envelope, alice.privateKey);
      expect(hexlify(opened.canonical)).to.equal(hexlify(POTASSIUM));
      expect(opened.salt).to.equal(SALT);
      expect(opened.commitment).to.equal(envelope.commitment);
    });

    it("round-trips for three readers, each opening it with their own key", () => {
      // Keys as an ethers Wallet gives them: compressed, uncompressed, and uncompressed without 0x in upper case.
      const envelope = seal([
        alice.signingKey.compressedPublicKey,
        bob.signingKey.publicKey,
        bob.signingKey.publicKey.slice(2).toUpperCase(),
        carol.signingKey.publicKey.slice(2),
      ]);
      expect(recipientsOf(envelope)).to.deep.equal([
        publicKeyOf(alice.privateKey),
        publicKeyOf(bob.privateKey),
        publicKeyOf(carol.privateKey),
      ]);
      for (const reader of [alice, bob, carol]) {
        const opened = openEnvelope(envelope, reader.privateKey);
        expect(hexlify(opened.canonical)).to.equal(hexlify(POTASSIUM));
        expect(opened.salt).to.equal(SALT);
      }
    });

    it("opens a stored envelope (fixed vector)", () => {
      const envelope = decodeEnvelope(toUtf8Bytes(VECTOR));
      expect(recipientsOf(envelope)).to.deep.equal([publicKeyOf(VECTOR_KEY)]);
      const opened = openEnvelope(envelope, VECTOR_KEY);
      expect(toUtf8String(opened.canonical)).to.equal(
        '{"code":{"text":"Potassium"},"resourceType":"Observation","status":"final","valueQuantity":{"unit":"mmol/L","value":4.1}}',
      );
      expect(opened.salt).to.equal(SALT);
      expect(opened.commitment).to.equal("0x20202d9e98fd1573f6871d11f665f12a30e1174f6b6519958b9ee897396ca15a");
    });

    it("gives a different key, nonce and ciphertext on every seal of the same payload", () => {
      const a = seal([publicKeyOf(alice.privateKey)]);
      const b = seal([publicKeyOf(alice.privateKey)]);
      expect(a.commitment).to.equal(b.commitment);
      expect(a.nonce).to.not.equal(b.nonce);
      expect(a.ciphertext).to.not.equal(b.ciphertext);
      expect(a.recipients[0]!.wrappedKey).to.not.equal(b.recipients[0]!.wrappedKey);
      // Different data keys: a's key does not open b's ciphertext (see the swapped-key test below).
      expect(hexlify(encodeEnvelope(a))).to.not.equal(hexlify(encodeEnvelope(b)));
    });

    it("refuses no readers, keys that are not secp256k1 points, and salts that are not 32 bytes", () => {
      expect(() => seal([])).to.throw("an envelope needs at least one reader");
      expect(() => seal([alice.address])).to.throw(TypeError, "reader 0 is not a secp256k1 public key");
      expect(() => seal([publicKeyOf(alice.privateKey), `0x02${"ff".repeat(32)}`])).to.throw(
        TypeError,
        "reader 1 (0x02ffffffff…) is not a point on secp256k1",
      );
      expect(() => sealEnvelope({ canonical: POTASSIUM, salt: "0x1234" }, [publicKeyOf(alice.privateKey)])).to.throw(
        "a commitment salt must be 32 bytes, got 2",
      );
    });

    it("refuses a key that is not a recipient", () => {
      const envelope = seal([publicKeyOf(alice.privateKey), publicKeyOf(bob.privateKey)]);
      const error = envelopeError("not-a-recipient", () => openEnvelope(envelope, mallory.privateKey));
      expect(error.message).to.equal(
        `not-a-recipient: ${publicKeyOf(mallory.privateKey)} is not among the envelope's 2 recipient(s)`,
      );
    });

    it("fails to decrypt when a ciphertext byte is flipped", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      for (const index of [0, 40, getBytes(envelope.ciphertext).length - 1]) {
        const tampered = { ...envelope, ciphertext: flipByte(envelope.ciphertext, index) };
        envelopeError("decrypt-failed", () => openEnvelope(tampered, alice.privateKey));
      }
      envelopeError("decrypt-failed", () =>
        openEnvelope({ ...envelope, nonce: flipByte(envelope.nonce, 0) }, alice.privateKey),
      );
    });

    // The commitment is in the GCM additional data, so a changed commitment makes the tag check fail before any
    // plaintext exists: "decrypt-failed", not "commitment-mismatch". A ciphertext cannot be moved under another
    // record's commitment.
    it("fails to decrypt when the commitment field is changed (it is authenticated data)", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      const other = seal([publicKeyOf(alice.privateKey)]);
      const moved = { ...envelope, commitment: recordCommitment(POTASSIUM).commitment };
      envelopeError("decrypt-failed", () => openEnvelope(moved, alice.privateKey));
      envelopeError("decrypt-failed", () =>
        openEnvelope({ ...envelope, commitment: flipByte(envelope.commitment, 31) }, alice.privateKey),
      );
      // Same record, same commitment, but another envelope's ciphertext under this one's nonce and key: refused too.
      envelopeError("decrypt-failed", () =>
        openEnvelope({ ...envelope, ciphertext: other.ciphertext }, alice.privateKey),
      );
    });

    // "commitment-mismatch" is what a reader sees when the sealer authenticated a commitment that the plaintext does
    // not open (a buggy or malicious sealer). Built here by hand from the documented format, which also checks the AAD
    // layout: UTF-8("careledger-envelope/1") ‖ 0x00 ‖ commitment.
    it("reports a commitment the authenticated plaintext does not open as commitment-mismatch", () => {
      const claimed = recordCommitment(POTASSIUM).commitment; // a commitment under another salt
      const dataKey = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = new Uint8Array([...toUtf8Bytes("careledger-envelope/1"), 0, ...getBytes(claimed)]);
      const ciphertext = gcm(dataKey, nonce, aad).encrypt(new Uint8Array([...getBytes(SALT), ...POTASSIUM]));
      const forged: Envelope = {
        format: "careledger-envelope/1",
        cipher: "AES-256-GCM",
        keyWrap: "ECIES-secp256k1",
        commitment: claimed,
        nonce: hexlify(nonce),
        ciphertext: hexlify(ciphertext),
        recipients: [
          {
            publicKey: publicKeyOf(alice.privateKey),
            wrappedKey: hexlify(eciesEncrypt(getBytes(alice.signingKey.publicKey), dataKey)),
          },
        ],
      };
      const error = envelopeError("commitment-mismatch", () => openEnvelope(forged, alice.privateKey));
      expect(error.message).to.include(`not to the envelope's ${claimed}`);
      // The same construction with the honest commitment opens: the AAD layout above is the real one.
      const honest = recordCommitment(POTASSIUM, SALT).commitment;
      const honestAad = new Uint8Array([...toUtf8Bytes("careledger-envelope/1"), 0, ...getBytes(honest)]);
      const opened = openEnvelope(
        {
          ...forged,
          commitment: honest,
          ciphertext: hexlify(
            gcm(dataKey, nonce, honestAad).encrypt(new Uint8Array([...getBytes(SALT), ...POTASSIUM])),
          ),
        },
        alice.privateKey,
      );
      expect(hexlify(opened.canonical)).to.equal(hexlify(POTASSIUM));
    });

    it("fails to unwrap a damaged wrapped key", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      const [entry] = envelope.recipients;
      const damaged = { ...envelope, recipients: [{ ...entry!, wrappedKey: flipByte(entry!.wrappedKey, 100) }] };
      envelopeError("unwrap-failed", () => openEnvelope(damaged, alice.privateKey));
    });

    it("fails when a reader's wrapped key is swapped in from another envelope", () => {
      const first = seal([publicKeyOf(alice.privateKey)]);
      const second = seal([publicKeyOf(alice.privateKey)]);
      const swapped = { ...first, recipients: second.recipients };
      // The wrapped key unwraps (it is alice's), but to the other envelope's data key, which fails GCM authentication.
      envelopeError("decrypt-failed", () => openEnvelope(swapped, alice.privateKey));
      // Nor can it be moved to another reader's slot: it is encrypted to alice's key.
      const toBob = seal([publicKeyOf(bob.privateKey)]);
      const moved = {
        ...toBob,
        recipients: [{ publicKey: publicKeyOf(bob.privateKey), wrappedKey: first.recipients[0]!.wrappedKey }],
      };
      envelopeError("unwrap-failed", () => openEnvelope(moved, bob.privateKey));
    });

    it("refuses a malformed envelope before trying any key", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      envelopeError("malformed", () => openEnvelope({ ...envelope, nonce: "0x00" }, alice.privateKey));
      envelopeError("malformed", () => openEnvelope({ ...envelope, recipients: [] }, alice.privateKey));
    });
  });

  describe("addRecipients", () => {
    it("wraps the same data key for a new reader and leaves the ciphertext and existing entries alone", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      const snapshot = structuredClone(envelope);
      envelopeError("not-a-recipient", () => openEnvelope(envelope, bob.privateKey));

      const shared = addRecipients(envelope, alice.privateKey, [bob.signingKey.publicKey]);
      expect(recipientsOf(shared)).to.deep.equal([publicKeyOf(alice.privateKey), publicKeyOf(bob.privateKey)]);
      expect(shared.ciphertext).to.equal(envelope.ciphertext);
      expect(shared.nonce).to.equal(envelope.nonce);
      expect(shared.commitment).to.equal(envelope.commitment);
      expect(shared.recipients[0]).to.deep.equal(envelope.recipients[0]);
      expect(envelope).to.deep.equal(snapshot); // the argument is not modified

      const opened = openEnvelope(shared, bob.privateKey);
      expect(hexlify(opened.canonical)).to.equal(hexlify(POTASSIUM));
      expect(opened.salt).to.equal(SALT);
      expect(openEnvelope(shared, alice.privateKey).salt).to.equal(SALT);
    });

    it("lets any reader share onward, and skips readers already present", () => {
      const shared = addRecipients(seal([publicKeyOf(alice.privateKey)]), alice.privateKey, [
        bob.signingKey.compressedPublicKey,
      ]);
      const again = addRecipients(shared, bob.privateKey, [
        alice.signingKey.publicKey,
        carol.signingKey.publicKey,
        carol.signingKey.compressedPublicKey,
      ]);
      expect(recipientsOf(again)).to.deep.equal([
        publicKeyOf(alice.privateKey),
        publicKeyOf(bob.privateKey),
        publicKeyOf(carol.privateKey),
      ]);
      expect(openEnvelope(again, carol.privateKey).salt).to.equal(SALT);
      expect(recipientsOf(addRecipients(again, carol.privateKey, []))).to.deep.equal(recipientsOf(again));
    });

    it("refuses a sharer who is not a reader, and never re-wraps a key that does not open the envelope", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      envelopeError("not-a-recipient", () =>
        addRecipients(envelope, mallory.privateKey, [mallory.signingKey.publicKey]),
      );
      const other = seal([publicKeyOf(alice.privateKey)]);
      const swapped = { ...envelope, recipients: other.recipients };
      envelopeError("decrypt-failed", () => addRecipients(swapped, alice.privateKey, [bob.signingKey.publicKey]));
      expect(() => addRecipients(envelope, alice.privateKey, ["0x1234"])).to.throw(
        TypeError,
        "reader 0 is not a secp256k1 public key",
      );
    });
  });

  describe("encodeEnvelope and decodeEnvelope", () => {
    it("round-trips byte for byte, as RFC 8785 canonical JSON", () => {
      const envelope = seal([publicKeyOf(alice.privateKey), publicKeyOf(bob.privateKey)]);
      const bytes = encodeEnvelope(envelope);
      const decoded = decodeEnvelope(bytes);
      expect(decoded).to.deep.equal(envelope);
      expect(hexlify(encodeEnvelope(decoded))).to.equal(hexlify(bytes));
      // Key order does not matter to the encoding: keys are sorted, no whitespace.
      const reordered = Object.fromEntries(Object.entries(envelope).reverse()) as unknown as Envelope;
      expect(hexlify(encodeEnvelope(reordered))).to.equal(hexlify(bytes));
      expect(toUtf8String(bytes)).to.match(/^\{"cipher":"AES-256-GCM","ciphertext":"0x[0-9a-f]+","commitment":/);
      expect(hexlify(encodeEnvelope(decodeEnvelope(toUtf8Bytes(VECTOR))))).to.equal(hexlify(toUtf8Bytes(VECTOR)));
    });

    it("refuses malformed input, naming the field", () => {
      const envelope = seal([publicKeyOf(alice.privateKey)]);
      const good = JSON.parse(toUtf8String(encodeEnvelope(envelope))) as Record<string, unknown>;
      const entry = envelope.recipients[0]!;
      const variants: [string, unknown, RegExp][] = [
        ["an array", [], /envelope: expected an object/],
        ["a missing field", { ...good, nonce: undefined }, /envelope: expected exactly the fields/],
        ["an extra field", { ...good, note: "x" }, /envelope: expected exactly the fields/],
        ["another format", { ...good, format: "careledger-envelope/2" }, /^malformed: format:/],
        ["another cipher", { ...good, cipher: "AES-128-GCM" }, /^malformed: cipher:/],
        ["another key wrap", { ...good, keyWrap: "RSA-OAEP" }, /^malformed: keyWrap:/],
        [
          "upper-case hex",
          { ...good, commitment: envelope.commitment.toUpperCase().replace("0X", "0x") },
          /commitment:/,
        ],
        ["a short commitment", { ...good, commitment: "0x1234" }, /commitment:/],
        ["a 16-byte nonce", { ...good, nonce: `0x${"00".repeat(16)}` }, /nonce:/],
        ["a ciphertext shorter than salt and tag", { ...good, ciphertext: `0x${"00".repeat(47)}` }, /ciphertext:/],
        ["base64 ciphertext", { ...good, ciphertext: "AAEC" }, /ciphertext:/],
        ["no recipients", { ...good, recipients: [] }, /recipients: expected a non-empty array/],
        [
          "an uncompressed public key",
          { ...good, recipients: [{ ...entry, publicKey: alice.signingKey.publicKey }] },
          /recipients\[0\]\.publicKey/,
        ],
        [
          "a public key not on the curve",
          { ...good, recipients: [{ ...entry, publicKey: `0x02${"ff".repeat(32)}` }] },
          /recipients\[0\]\.publicKey/,
        ],
        [
          "a duplicate reader",
          { ...good, recipients: [entry, entry] },
          /recipients\[1\]\.publicKey: expected a reader not/,
        ],
        [
          "a short wrapped key",
          { ...good, recipients: [{ ...entry, wrappedKey: entry.wrappedKey.slice(0, -2) }] },
          /recipients\[0\]\.wrappedKey: expected 129 bytes/,
        ],
        [
          "an extra recipient field",
          { ...good, recipients: [{ ...entry, role: "x" }] },
          /recipients\[0\]: expected exactly/,
        ],
      ];
      for (const [name, value, message] of variants) {
        const error = envelopeError("malformed", () => decodeEnvelope(toUtf8Bytes(JSON.stringify(value))));
        expect(error.message, name).to.match(message);
      }
      // Not UTF-8, not JSON, or not in canonical form (pretty-printed): all malformed.
      envelopeError("malformed", () => decodeEnvelope(new Uint8Array([0x7b, 0xff, 0x7d])));
      envelopeError("malformed", () => decodeEnvelope(toUtf8Bytes("{")));
      const pretty = envelopeError("malformed", () => decodeEnvelope(toUtf8Bytes(JSON.stringify(good, null, 2))));
      expect(pretty.message).to.equal("malformed: the envelope is not in canonical (RFC 8785) form");
      // And an envelope that fails the shape check is never encoded for storage.
      envelopeError("malformed", () => encodeEnvelope({ ...envelope, nonce: "0x00" }));
    });
  });
});
