import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import fc from "fast-check";

import {
  containerContents,
  containerKey,
  expiryInstant,
  expiryValue,
  gs1CheckDigit,
  gtinValue,
  IdentifierError,
  lotKey,
  lotsHash,
  MAX_LOTS_PER_CONTAINER,
  packId,
  packLeafValues,
  serialKey,
  sortedLotKeys,
  ssccValue,
  textBytes20,
  bytes20Text,
} from "../../../sdk/supplychain/identifiers";

const coder = AbiCoder.defaultAbiCoder();
const GTIN = "09501101530003";
const SSCC = "106141411234567897";

/** Digits with a valid GS1 check digit appended, computed here independently of the SDK (weights 3,1 from the right). */
function withCheckDigit(body: string): string {
  const sum = Array.from(body)
    .reverse()
    .reduce((acc, char, index) => acc + Number(char) * (index % 2 === 0 ? 3 : 1), 0);
  return body + String((10 - (sum % 10)) % 10);
}

describe("sdk/supplychain: identifiers", () => {
  describe("gs1CheckDigit", () => {
    it("matches GS1's published examples", () => {
      // GenSpecs 7.9.1 worked examples and GS1's own sample keys.
      expect(gs1CheckDigit("0950110153000")).to.equal(3);
      expect(gs1CheckDigit("10614141123456789")).to.equal(7);
      expect(gs1CheckDigit("0401234512345")).to.equal(6);
      expect(gs1CheckDigit("34012345111111111")).to.equal(1);
    });

    // A valid GTIN or SSCC with any one digit changed is refused: mod-10 with weights 3,1 catches every single-digit error.
    it("refuses a GTIN-14 or SSCC with any single digit changed", () => {
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.stringMatching(/^[0-9]{17}$/),
          fc.nat(),
          fc.integer({ min: 1, max: 9 }),
          (isSscc, digits, at, delta) => {
            const key = withCheckDigit(isSscc ? digits : digits.slice(0, 13));
            const parse = isSscc ? ssccValue : gtinValue;
            expect(parse(key)).to.equal(BigInt(key));
            const index = at % key.length;
            const changed = key.slice(0, index) + String((Number(key[index]) + delta) % 10) + key.slice(index + 1);
            expect(() => parse(changed)).to.throw(IdentifierError, /check digit/);
          },
        ),
        { numRuns: 500 },
      );
    });

    it("refuses wrong lengths and non-digits, naming the length", () => {
      expect(() => gtinValue("9501101530003")).to.throw(IdentifierError, "GTIN must be 14 digits, got 13 characters");
      expect(() => ssccValue("10614141123456789A")).to.throw(IdentifierError, "SSCC must be 18 digits");
    });
  });

  describe("encodings", () => {
    it("pads serial and lot to bytes20 on the right, and reads them back", () => {
      expect(textBytes20("ABC")).to.equal(`0x414243${"00".repeat(17)}`);
      expect(bytes20Text(textBytes20("ABCDEFGHIJKLMNOPQRST"))).to.equal("ABCDEFGHIJKLMNOPQRST");
      expect(() => textBytes20("")).to.throw(IdentifierError, "1 to 20 characters, got 0");
      expect(() => textBytes20("A".repeat(21))).to.throw(IdentifierError, "got 21");
      expect(() => textBytes20("A B", "serial")).to.throw(
        IdentifierError,
        "serial has a character outside GS1 set 82 at position 2",
      );
    });

    it("computes serialKey and lotKey as keccak256(abi.encode(uint64, bytes20))", () => {
      const serial = `0x414243313233${"00".repeat(14)}`;
      const lot = `0x4c3432${"00".repeat(17)}`;
      expect(serialKey(GTIN, "ABC123")).to.equal(
        keccak256(coder.encode(["uint64", "bytes20"], [9501101530003n, serial])),
      );
      expect(lotKey(GTIN, "L42")).to.equal(keccak256(coder.encode(["uint64", "bytes20"], [9501101530003n, lot])));
    });

    it("gives a pack's leaf values as [uint64, bytes20, bytes20, uint32]", () => {
      expect(packLeafValues({ gtin: GTIN, serial: "ABC123", lot: "L42", expiry: "281231" })).to.deep.equal([
        9501101530003n,
        `0x414243313233${"00".repeat(14)}`,
        `0x4c3432${"00".repeat(17)}`,
        281231,
      ]);
    });

    it("names a container by its SSCC, its packer and its contents, and a pack in a container by its whole label", () => {
      const root = `0x${"ab".repeat(32)}`;
      const lots = `0x${"cd".repeat(32)}`;
      const contents = keccak256(coder.encode(["bytes32", "bytes32"], [root, lots]));
      expect(containerKey(SSCC, 7n, root, lots)).to.equal(
        keccak256(coder.encode(["uint64", "uint64", "bytes32"], [BigInt(SSCC), 7n, contents])),
      );
      const pack = { gtin: "09501101530003", serial: "ABC123", lot: "L42", expiry: "281231" };
      expect(packId(pack)).to.equal(
        keccak256(
          coder.encode(
            ["uint64", "bytes20", "bytes20", "uint32"],
            [9501101530003n, `0x414243313233${"00".repeat(14)}`, `0x4c3432${"00".repeat(17)}`, 281231],
          ),
        ),
      );
    });

    it("hashes lots sorted ascending as uint256, and the container's contents", () => {
      const a = `0x${"01".repeat(32)}`;
      const b = `0x${"ff".repeat(32)}`;
      const c = `0x${"7f".repeat(32)}`;
      const expected = keccak256(coder.encode(["bytes32[]"], [[a, c, b]]));
      expect(lotsHash([b, a, c])).to.equal(expected);
      expect(containerContents(c, expected)).to.equal(keccak256(coder.encode(["bytes32", "bytes32"], [c, expected])));
    });

    it("refuses repeated, missing or too many lot keys", () => {
      const a = `0x${"01".repeat(32)}`;
      expect(() => sortedLotKeys([a, a])).to.throw(IdentifierError, "repeated");
      expect(() => sortedLotKeys([])).to.throw(IdentifierError, "at least one lot");
      const many = Array.from(
        { length: MAX_LOTS_PER_CONTAINER + 1 },
        (_, i) => `0x${(i + 1).toString(16).padStart(64, "0")}`,
      );
      expect(() => sortedLotKeys(many)).to.throw(IdentifierError, "at most 32 lots, got 33");
    });
  });

  describe("expiry", () => {
    it("is the YYMMDD number and expires at midnight UTC after the expiry day", () => {
      expect(expiryValue("281231")).to.equal(281231);
      expect(expiryInstant("281231")).to.equal(Date.UTC(2029, 0, 1) / 1000);
      expect(expiryInstant(281231)).to.equal(Date.UTC(2029, 0, 1) / 1000);
      expect(expiryInstant("270615")).to.equal(Date.UTC(2027, 5, 16) / 1000);
    });

    it("reads DD = 00 as the last day of the month, leap years included", () => {
      expect(expiryInstant("280200")).to.equal(Date.UTC(2028, 2, 1) / 1000); // 29 Feb 2028 is the last day
      expect(expiryInstant("270200")).to.equal(Date.UTC(2027, 2, 1) / 1000);
      expect(expiryInstant("271200")).to.equal(Date.UTC(2028, 0, 1) / 1000);
    });

    it("refuses a month or a day that does not exist", () => {
      expect(() => expiryValue("281301")).to.throw(IdentifierError, "month 13 is not 01-12");
      expect(() => expiryValue("280001")).to.throw(IdentifierError, "month 00");
      expect(() => expiryValue("270229")).to.throw(IdentifierError, "day 29 does not exist in month 02");
      expect(() => expiryValue("28123")).to.throw(IdentifierError, "6 digits");
    });
  });
});
