import { expect } from "chai";
import { type EventFragment, hexlify, type ParamType } from "ethers";
import fc from "fast-check";

import { eventDecoder, referenceDecode } from "../../../sdk/audit/decode";
import { CONTRACT_NAMES, interfaceOf } from "../../../sdk/core/contracts";
import { skipModelPropertyIfAsked } from "../../helpers/runs";

/** Random values of an ABI type, in the form `encodeEventLog` takes. */
function valueOf(type: ParamType): fc.Arbitrary<unknown> {
  if (type.baseType === "array") {
    const child = type.arrayChildren as ParamType;
    const length = type.arrayLength ?? -1;
    return length >= 0
      ? fc.array(valueOf(child), { minLength: length, maxLength: length })
      : fc.array(valueOf(child), { maxLength: 4 });
  }
  if (type.baseType === "tuple") return fc.tuple(...(type.components ?? []).map(valueOf));
  if (type.type === "address") return fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => hexlify(bytes));
  if (type.type === "bool") return fc.boolean();
  if (type.type === "string") return fc.string();
  if (type.type === "bytes") return fc.uint8Array({ maxLength: 80 }).map((bytes) => hexlify(bytes));
  const fixed = /^bytes(\d+)$/.exec(type.type);
  if (fixed !== null) {
    const length = Number(fixed[1]);
    return fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => hexlify(bytes));
  }
  const integer = /^(u?)int(\d*)$/.exec(type.type);
  if (integer !== null) {
    const bits = BigInt(integer[2] === "" ? 256 : Number(integer[2]));
    return integer[1] === "u"
      ? fc.bigInt({ min: 0n, max: (1n << bits) - 1n })
      : fc.bigInt({ min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n });
  }
  throw new Error(`no generator for ${type.type}`);
}

/** Every event of every deployed contract's ABI, with its interface. */
const EVENTS = CONTRACT_NAMES.flatMap((name) => {
  const iface = interfaceOf(name);
  const fragments: EventFragment[] = [];
  iface.forEachEvent((fragment) => fragments.push(fragment));
  return fragments.map((fragment) => ({ name, iface, fragment }));
});

describe("audit: event decoding", function () {
  it("covers events of every kind the contracts emit, the fast path and ethers' alike", function () {
    expect(EVENTS.length).to.be.greaterThan(100);
    // Some events take ethers' path (arrays, structs): the property below must meet both.
    const general = EVENTS.filter(({ fragment }) =>
      fragment.inputs.some((input) => !input.indexed && ["array", "tuple", "string", "bytes"].includes(input.baseType)),
    );
    expect(general.length).to.be.greaterThan(0);
    expect(general.length).to.be.lessThan(EVENTS.length);
  });

  it("decodes every event of every contract exactly as ethers does (property)", function () {
    skipModelPropertyIfAsked(this);
    for (const { iface, fragment } of EVENTS) {
      const decode = eventDecoder(iface);
      fc.assert(
        fc.property(fc.tuple(...fragment.inputs.map(valueOf)), (values) => {
          const { topics, data } = iface.encodeEventLog(fragment, values);
          const fast = decode(topics, data);
          expect(fast, fragment.format()).to.deep.equal(referenceDecode(iface, topics, data));
          expect(fast?.name).to.equal(fragment.name);
        }),
        { numRuns: 20 },
      );
    }
  });

  it("agrees with ethers on logs no contract wrote: words with high bits set, short or long data (property)", function () {
    skipModelPropertyIfAsked(this);
    const word = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => hexlify(bytes));
    for (const { iface, fragment } of EVENTS) {
      const decode = eventDecoder(iface);
      const indexed = fragment.inputs.filter((input) => input.indexed === true).length;
      const words = fragment.inputs.length - indexed;
      fc.assert(
        fc.property(
          fc.array(word, { minLength: indexed, maxLength: indexed + 1 }),
          fc.array(word, { minLength: Math.max(0, words - 1), maxLength: words + 1 }),
          (topics, dataWords) => {
            const all = [fragment.topicHash, ...topics];
            const data = `0x${dataWords.map((w) => w.slice(2)).join("")}`;
            expect(decode(all, data), fragment.format()).to.deep.equal(referenceDecode(iface, all, data));
          },
        ),
        { numRuns: 10 },
      );
    }
  });

  it("returns null for a log that is none of the interface's events", function () {
    const iface = interfaceOf("consent-registry");
    expect(eventDecoder(iface)([`0x${"ab".repeat(32)}`], "0x")).to.equal(null);
    expect(eventDecoder(iface)([], "0x")).to.equal(null);
  });
});
