import { keccak_256 } from "@noble/hashes/sha3.js";
import { expect } from "chai";
import { hexlify, keccak256, toUtf8String } from "ethers";
import type { Bundle, Observation, Patient } from "fhir/r4";

import { verifyCommitment } from "../../../sdk/core/commitments";
import {
  CanonicalFormError,
  canonicalBytes,
  type FhirResource,
  parseFhirBytes,
  parseFhirJson,
  recordCommitment,
} from "../../../sdk/records/fhir";

/** A single potassium result: the kind of low-entropy record a dictionary attack on an unsalted hash would find. */
function potassium(value: number): Observation {
  return {
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "2823-3", display: "Potassium [Moles/volume] in Serum" }] },
    subject: { reference: "Patient/p-0042" },
    valueQuantity: { value, unit: "mmol/L", system: "http://unitsofmeasure.org", code: "mmol/L" },
  };
}

const POTASSIUM_CANONICAL =
  '{"code":{"coding":[{"code":"2823-3","display":"Potassium [Moles/volume] in Serum","system":"http://loinc.org"}]},' +
  '"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p-0042"},' +
  '"valueQuantity":{"code":"mmol/L","system":"http://unitsofmeasure.org","unit":"mmol/L","value":4.1}}';

function text(bytes: Uint8Array): string {
  return toUtf8String(bytes);
}

/** Runs `action` and returns the CanonicalFormError it throws (failing the test if it throws anything else). */
function canonicalFormError(action: () => unknown): CanonicalFormError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(CanonicalFormError);
    return error as CanonicalFormError;
  }
  expect.fail("expected a CanonicalFormError");
}

describe("sdk/records/fhir", () => {
  describe("canonicalBytes", () => {
    it("gives the same bytes for the same resource in any key order and whitespace", () => {
      const compact = JSON.stringify(potassium(4.1));
      const shuffled = `{
        "valueQuantity" : { "code": "mmol/L", "value": 4.10, "unit": "mmol/L", "system": "http://unitsofmeasure.org" },
        "subject": {"reference":"Patient/p-0042"},
        "status":   "final",
        "code": { "coding": [ { "display": "Potassium [Moles/volume] in Serum", "code": "2823-3",
                                "system": "http://loinc.org" } ] },
        "resourceType": "Observation"
      }`;
      const a = canonicalBytes(parseFhirJson(compact));
      const b = canonicalBytes(parseFhirJson(shuffled));
      expect(hexlify(a)).to.equal(hexlify(b));
      expect(text(a)).to.equal(POTASSIUM_CANONICAL);
      // A different value is a different record.
      expect(text(canonicalBytes(potassium(4.2)))).to.not.equal(POTASSIUM_CANONICAL);
    });

    it("canonicalizes a Bundle with entries, sorting keys inside each entry but keeping entry order", () => {
      const patient: Patient = { resourceType: "Patient", id: "p-0042", active: true };
      const bundle: Bundle = {
        resourceType: "Bundle",
        type: "collection",
        entry: [
          { fullUrl: "urn:uuid:b", resource: patient },
          { resource: potassium(4.1), fullUrl: "urn:uuid:a" },
        ],
      };
      const reordered = `{"entry":[
          {"resource":{"active":true,"id":"p-0042","resourceType":"Patient"},"fullUrl":"urn:uuid:b"},
          {"fullUrl":"urn:uuid:a","resource":${POTASSIUM_CANONICAL}}
        ],
        "type":"collection","resourceType":"Bundle"}`;
      const expected =
        '{"entry":[{"fullUrl":"urn:uuid:b","resource":{"active":true,"id":"p-0042","resourceType":"Patient"}},' +
        `{"fullUrl":"urn:uuid:a","resource":${POTASSIUM_CANONICAL}}],"resourceType":"Bundle","type":"collection"}`;
      expect(text(canonicalBytes(bundle))).to.equal(expected);
      expect(text(canonicalBytes(parseFhirJson(reordered)))).to.equal(expected);
      // Entry order is meaningful in FHIR, so swapping entries changes the bytes.
      const swapped: Bundle = { ...bundle, entry: [...(bundle.entry ?? [])].reverse() };
      expect(text(canonicalBytes(swapped))).to.not.equal(expected);
    });

    it("serializes numbers, literals and string escapes as RFC 8785 §3.2.2 does", () => {
      // The RFC's own example (its §3.2.2), with the resourceType every FHIR resource needs.
      const input = String.raw`{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false],
        "resourceType": "Basic"
      }`;
      const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"resourceType":"Basic","string":"€$\u000f\nA'B\"\\\\\"/"}`;
      expect(text(canonicalBytes(parseFhirJson(input)))).to.equal(expected);
    });

    it("writes each number in its shortest ECMAScript form", () => {
      const cases: [string, string][] = [
        ["1.0", "1"],
        ["1e21", "1e+21"],
        ["1e20", "100000000000000000000"],
        ["-0", "0"],
        ["0.000001", "0.000001"],
        ["1e-7", "1e-7"],
        ["4.10", "4.1"],
        ["-273.15", "-273.15"],
        ["9007199254740991", "9007199254740991"],
      ];
      for (const [json, canonical] of cases) {
        const resource = parseFhirJson(`{"resourceType":"Observation","valueDecimal":${json}}`);
        expect(text(canonicalBytes(resource)), json).to.equal(
          `{"resourceType":"Observation","valueDecimal":${canonical}}`,
        );
      }
    });

    it("sorts keys by UTF-16 code unit (RFC 8785 §3.2.3) and encodes unicode as raw UTF-8", () => {
      const resource = parseFhirJson(
        String.raw`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",` +
          String.raw`"1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control",` +
          String.raw`"\u00f6":"Latin Small Letter O With Diaeresis","resourceType":"Basic"}`,
      );
      // Sorted by UTF-16 code unit: the emoji (0xD83D…) before the Hebrew letter (0xFB33) although its code point is
      // higher. Only "\r" is escaped; U+0080 and everything above it are raw UTF-8.
      const expected =
        '{"\\r":"Carriage Return","1":"One","resourceType":"Basic","\u0080":"Control",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face",' +
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}';
      const bytes = canonicalBytes(resource);
      expect(text(bytes)).to.equal(expected);
      expect(hexlify(bytes)).to.equal(hexlify(new TextEncoder().encode(expected)));
      // The grinning face is its four UTF-8 bytes, not a \ud83d\ude00 escape.
      expect(hexlify(bytes)).to.include("f09f9880");
    });

    it("refuses values JSON cannot represent faithfully, naming where they are", () => {
      const cases: { name: string; resource: unknown; path: string; problem: RegExp }[] = [
        {
          name: "undefined",
          resource: { resourceType: "Observation", status: undefined },
          path: "$.status",
          problem: /undefined/,
        },
        {
          name: "undefined in an array",
          resource: { resourceType: "Observation", note: [{ text: "ok" }, undefined] },
          path: "$.note[1]",
          problem: /undefined/,
        },
        {
          name: "an array hole",
          resource: { resourceType: "Observation", note: new Array<unknown>(2) },
          path: "$.note[0]",
          problem: /hole/,
        },
        {
          name: "a function",
          resource: { resourceType: "Observation", status: () => "final" },
          path: "$.status",
          problem: /function/,
        },
        {
          name: "a toJSON method",
          resource: { resourceType: "Observation", toJSON: () => ({}) },
          path: "$.toJSON",
          problem: /function/,
        },
        {
          name: "a bigint",
          resource: { resourceType: "Observation", valueQuantity: { value: 41n } },
          path: "$.valueQuantity.value",
          problem: /bigint/,
        },
        {
          name: "NaN",
          resource: { resourceType: "Observation", valueInteger: NaN },
          path: "$.valueInteger",
          problem: /non-finite/,
        },
        {
          name: "Infinity",
          resource: { resourceType: "Observation", component: [{ valueQuantity: { value: Infinity } }] },
          path: "$.component[0].valueQuantity.value",
          problem: /non-finite number \(Infinity\)/,
        },
        {
          name: "-Infinity",
          resource: { resourceType: "Observation", valueInteger: -Infinity },
          path: "$.valueInteger",
          problem: /non-finite/,
        },
        {
          name: "a symbol",
          resource: { resourceType: "Observation", status: Symbol("final") },
          path: "$.status",
          problem: /symbol/,
        },
        {
          name: "a Date",
          resource: { resourceType: "Observation", issued: new Date(0) },
          path: "$.issued",
          problem: /Date object/,
        },
        {
          name: "a Map",
          resource: { resourceType: "Observation", extension: new Map() },
          path: "$.extension",
          problem: /Map object/,
        },
        {
          name: "a lone surrogate",
          resource: { resourceType: "Observation", status: "fin\ud800al" },
          path: "$.status",
          problem: /lone UTF-16 surrogate/,
        },
        {
          name: "a key that is not an identifier",
          resource: { resourceType: "Basic", "odd key": { "\udc00": 1 } },
          path: '$["odd key"]["\\udc00"]',
          problem: /lone UTF-16 surrogate/,
        },
      ];
      for (const { name, resource, path, problem } of cases) {
        const error = canonicalFormError(() => canonicalBytes(resource as FhirResource));
        expect(error.path, name).to.equal(path);
        expect(error.problem, name).to.match(problem);
        expect(error.message, name).to.equal(`cannot canonicalize the FHIR resource at ${path}: ${error.problem}`);
      }
    });

    it("refuses a circular reference", () => {
      const narrative: Record<string, unknown> = { status: "generated" };
      narrative.self = narrative;
      const error = canonicalFormError(() =>
        canonicalBytes({ resourceType: "Basic", text: narrative } as FhirResource),
      );
      expect(error.path).to.equal("$.text.self");
      expect(error.problem).to.equal("a circular reference");
    });

    it("accepts the same object twice when it is not a cycle", () => {
      const coding = { system: "http://loinc.org", code: "2823-3" };
      const resource = { resourceType: "Observation", code: { coding: [coding, coding] } } as FhirResource;
      expect(text(canonicalBytes(resource))).to.equal(
        '{"code":{"coding":[{"code":"2823-3","system":"http://loinc.org"},{"code":"2823-3","system":"http://loinc.org"}]},"resourceType":"Observation"}',
      );
    });

    it("refuses a missing, empty or non-string resourceType, and anything but an object", () => {
      for (const resource of [{}, { resourceType: "" }, { resourceType: 7 }, { resourceType: null }]) {
        const error = canonicalFormError(() => canonicalBytes(resource as unknown as FhirResource));
        expect(error.path).to.equal("$.resourceType");
        expect(error.problem).to.equal("a FHIR resource needs a non-empty string resourceType");
      }
      for (const resource of [null, [], "Observation", 1]) {
        const error = canonicalFormError(() => canonicalBytes(resource as unknown as FhirResource));
        expect(error.path).to.equal("$");
        expect(error.problem).to.equal("a FHIR resource must be a JSON object");
      }
    });
  });

  describe("parseFhirJson", () => {
    it("parses a resource, ignoring a byte order mark", () => {
      const resource = parseFhirJson(`\uFEFF${JSON.stringify(potassium(4.1))}`);
      expect(resource.resourceType).to.equal("Observation");
      expect(text(canonicalBytes(resource))).to.equal(POTASSIUM_CANONICAL);
    });

    it("refuses text that is not JSON or not a resource", () => {
      expect(canonicalFormError(() => parseFhirJson("{resourceType: Observation}")).problem).to.match(
        /^not valid JSON/,
      );
      expect(canonicalFormError(() => parseFhirJson("")).problem).to.match(/^not valid JSON/);
      expect(canonicalFormError(() => parseFhirJson("[]")).path).to.equal("$");
      expect(canonicalFormError(() => parseFhirJson("null")).path).to.equal("$");
      expect(canonicalFormError(() => parseFhirJson('{"id":"x"}')).path).to.equal("$.resourceType");
      expect(canonicalFormError(() => parseFhirJson('{"resourceType":""}')).path).to.equal("$.resourceType");
    });

    // A record is PHI: JSON.parse's message quotes it ("Unexpected token 'J', "Jane Doe, "... is not valid JSON").
    it("locates text that is not JSON by line and column, never quoting it", () => {
      const record = "Jane Doe, born 1980-04-02\nMRN 4471-22";
      const error = canonicalFormError(() => parseFhirJson(record));
      expect(error.problem).to.equal(
        "not valid JSON: an unexpected character where a value should be at line 1, column 1",
      );
      for (const part of ["Jane", "Doe", "1980", "4471"]) expect(error.message).to.not.contain(part);
      const late = canonicalFormError(() =>
        parseFhirJson('\uFEFF{"resourceType": "Patient",\n "name": [{"family": Doe}]}'),
      );
      expect(late.message).to.equal(
        "cannot canonicalize the FHIR resource at $: not valid JSON: an unexpected character where a value " +
          "should be at line 2, column 22",
      );
    });
  });

  describe("parseFhirBytes", () => {
    it("parses a resource from its UTF-8 bytes", () => {
      expect(parseFhirBytes(canonicalBytes(potassium(4.1)))).to.deep.equal(potassium(4.1));
    });

    // ethers' toUtf8String would put every byte, in hex, into its message.
    it("refuses bytes that are not UTF-8 without quoting them", () => {
      const bytes = new Uint8Array([...new TextEncoder().encode('{"name":"Jane'), 0xff, 0x22, 0x7d]);
      const error = canonicalFormError(() => parseFhirBytes(bytes));
      expect(error.message).to.equal("cannot canonicalize the FHIR resource at $: not UTF-8 text");
    });
  });

  describe("recordCommitment", () => {
    const salt = `0x${"ab".repeat(32)}`;

    it("is keccak256(salt ‖ canonical) and deterministic for a fixed salt", () => {
      const canonical = canonicalBytes(potassium(4.1));
      const first = recordCommitment(canonical, salt);
      const again = recordCommitment(canonicalBytes(parseFhirJson(JSON.stringify(potassium(4.1), null, 2))), salt);
      expect(first).to.deep.equal({ commitment: again.commitment, salt });
      // Fixed vector, and an independent keccak-256 (noble's, not ethers') over salt ‖ canonical.
      const preimage = new Uint8Array([...Buffer.from("ab".repeat(32), "hex"), ...canonical]);
      expect(first.commitment).to.equal(hexlify(keccak_256(preimage)));
      expect(first.commitment).to.equal("0xadf9f22c4f29abb5d8509f06557daa4ebfa9f8033db714af0f3ca7d4fc2cf970");
    });

    it("draws a fresh 32-byte salt by default and refuses salts of another length", () => {
      const canonical = canonicalBytes(potassium(4.1));
      const { salt: fresh } = recordCommitment(canonical);
      expect(fresh).to.match(/^0x[0-9a-f]{64}$/);
      expect(() => recordCommitment(canonical, "0x1234")).to.throw("a commitment salt must be 32 bytes, got 2");
    });

    it("gives unrelated commitments for the same single lab value, each opening only with its own salt", () => {
      const canonical = canonicalBytes(potassium(4.1));
      const a = recordCommitment(canonical);
      const b = recordCommitment(canonical);
      expect(a.salt).to.not.equal(b.salt);
      expect(a.commitment).to.not.equal(b.commitment);
      expect(verifyCommitment(a.commitment, canonical, a.salt)).to.equal(true);
      expect(verifyCommitment(b.commitment, canonical, b.salt)).to.equal(true);
      expect(verifyCommitment(a.commitment, canonical, b.salt)).to.equal(false);
      expect(verifyCommitment(b.commitment, canonical, a.salt)).to.equal(false);

      // Why the salt matters: every plausible serum potassium from 2.0 to 7.0 mmol/L is only 51 documents. An
      // unsalted hash of the record is found by hashing them all; the salted commitments are not.
      const dictionary = new Map<string, number>();
      for (let tenths = 20; tenths <= 70; tenths++) {
        dictionary.set(keccak256(canonicalBytes(potassium(tenths / 10))), tenths / 10);
      }
      expect(dictionary.get(keccak256(canonical))).to.equal(4.1);
      expect(dictionary.has(a.commitment)).to.equal(false);
      expect(dictionary.has(b.commitment)).to.equal(false);
    });
  });
});
