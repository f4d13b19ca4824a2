import { expect } from "chai";
import fc from "fast-check";

import { digitalLink, elementString, fnc1Form } from "../../../sdk/supplychain/datamatrix";
import { Gs1ScanError, parseDigitalLink, parseElementString, parseScan } from "../../../sdk/supplychain/gs1";
import { CSET82 } from "../../../sdk/supplychain/identifiers";

const PACK = { gtin: "09501101530003", serial: "ABC123", lot: "L42", expiry: "281231" };
const GS = "\x1d";

/** The message parseScan refuses `scan` with; fails the test if it accepts it. */
function refusal(scan: string): string {
  try {
    parseScan(scan);
  } catch (error) {
    expect(error).to.be.instanceOf(Gs1ScanError);
    return (error as Error).message;
  }
  throw new Error("expected the scan to be refused");
}

describe("sdk/supplychain: gs1", () => {
  describe("parseScan: element strings", () => {
    it("reads the bracketed form, in any AI order", () => {
      expect(parseScan("(01)09501101530003(21)ABC123(10)L42(17)281231")).to.deep.equal({ kind: "pack", pack: PACK });
      expect(parseScan("(01)09501101530003(17)281231(10)L42(21)ABC123")).to.deep.equal({ kind: "pack", pack: PACK });
    });

    it("reads the FNC1 form with each symbology identifier, and without one", () => {
      const raw = `010950110153000321ABC123${GS}10L42${GS}17281231`;
      for (const prefix of ["", "]d2", "]C1", "]Q3", `]d2${GS}`]) {
        expect(parseScan(prefix + raw)).to.deep.equal({ kind: "pack", pack: PACK });
      }
      expect(parseScan(`]d2${fnc1Form(PACK)}`)).to.deep.equal({ kind: "pack", pack: PACK });
    });

    it("reads an SSCC as a container, and ignores AIs the chain does not use", () => {
      expect(parseScan("(00)106141411234567897")).to.deep.equal({ kind: "container", sscc: "106141411234567897" });
      expect(parseScan(`]d2${fnc1Form(PACK)}${GS}7140123`).kind).to.equal("pack");
    });

    it("keeps the data element values as read", () => {
      expect([...parseElementString("(01)09501101530003(10)L42")]).to.deep.equal([
        ["01", "09501101530003"],
        ["10", "L42"],
      ]);
    });
  });

  describe("parseScan: Digital Link", () => {
    it("reads id.gs1.org and custom domains with a path prefix, qualifiers and query attributes", () => {
      expect(parseScan("https://id.gs1.org/01/09501101530003/10/L42/21/ABC123?17=281231")).to.deep.equal({
        kind: "pack",
        pack: PACK,
      });
      expect(
        parseScan("https://brand.example/products/x/01/09501101530003/10/L42/21/ABC123?17=281231&linkType=gs1:pip"),
      ).to.deep.equal({
        kind: "pack",
        pack: PACK,
      });
      expect(parseScan("https://id.gs1.org/00/106141411234567897")).to.deep.equal({
        kind: "container",
        sscc: "106141411234567897",
      });
    });

    it("pads a GTIN-13 to 14 digits and percent-decodes values", () => {
      const elements = parseDigitalLink("https://id.gs1.org/01/9501101530003/21/A%2FB");
      expect(elements.get("01")).to.equal("09501101530003");
      expect(elements.get("21")).to.equal("A/B");
    });

    // Whatever set-82 serial and lot a pack carries, its printed forms read back as the same pack.
    it("reads back every printed form of any valid pack", () => {
      const text = fc.array(fc.constantFrom(...CSET82), { minLength: 1, maxLength: 20 }).map((chars) => chars.join(""));
      fc.assert(
        fc.property(text, text, (serial, lot) => {
          const pack = { ...PACK, serial, lot };
          expect(parseScan(digitalLink(pack))).to.deep.equal({ kind: "pack", pack });
          expect(parseScan(`]d2${fnc1Form(pack)}`)).to.deep.equal({ kind: "pack", pack });
          expect(parseScan(digitalLink(pack, "https://example.org/dl/"))).to.deep.equal({ kind: "pack", pack });
        }),
        { numRuns: 150 },
      );
      expect(parseScan(elementString(PACK))).to.deep.equal({ kind: "pack", pack: PACK });
    });

    it("refuses links without a key, odd paths and bad encodings", () => {
      expect(refusal("https://id.gs1.org/")).to.match(/no GTIN \(\/01\/\) or SSCC/);
      expect(refusal("https://id.gs1.org/01/09501101530003/21")).to.equal(
        "Digital Link path ends with an AI without a value",
      );
      expect(refusal("https://id.gs1.org/01/09501101530003/21/%E0%A4%A")).to.equal(
        "Digital Link value of AI 21 has a malformed percent-encoding",
      );
      expect(refusal("https://id.gs1.org/01/09501101530003/x1/A")).to.match(/segment 3 is not an AI/);
      expect(refusal("https://id.gs1.org/01/09501101530003/10/L/21/S?17=281231&10=L")).to.equal("AI 10 appears twice");
      expect(refusal("https:// bad")).to.equal("not a valid Digital Link URI");
    });
  });

  describe("parseScan: errors", () => {
    it("gives the expected check digit of a GTIN and an SSCC, quoting nothing else", () => {
      expect(refusal("(01)09501101530004(21)A(10)L(17)281231")).to.equal("AI 01 (GTIN) check digit is 4, expected 3");
      expect(refusal("(00)106141411234567890")).to.equal("AI 00 (SSCC) check digit is 0, expected 7");
      expect(refusal("https://id.gs1.org/01/09501101530005/21/A")).to.equal(
        "AI 01 (GTIN) check digit is 5, expected 3",
      );
    });

    it("names the AI, character and position of a serial or lot outside set 82", () => {
      expect(refusal("(01)09501101530003(21)AB C(10)L(17)281231")).to.equal(
        "AI 21 (serial) character U+0020 at position 3 is not in GS1 set 82",
      );
      expect(refusal("https://id.gs1.org/01/09501101530003/10/L%23/21/S?17=281231")).to.equal(
        "AI 10 (lot) character '#' at position 2 is not in GS1 set 82",
      );
      expect(refusal("https://id.gs1.org/01/09501101530003/21/%C3%A9")).to.match(/character U\+00E9 at position 1/);
    });

    it("refuses serials and lots longer than 20 characters, saying how long", () => {
      expect(refusal(`(01)09501101530003(21)${"A".repeat(21)}(10)L(17)281231`)).to.equal(
        "AI 21 (serial) must be 1 to 20 characters, got 21",
      );
    });

    it("refuses expiry dates that do not exist, and allows DD = 00", () => {
      expect(refusal("(01)09501101530003(21)A(10)L(17)281301")).to.equal("AI 17 (expiry) month 13 is not 01-12");
      expect(refusal("(01)09501101530003(21)A(10)L(17)270230")).to.equal(
        "AI 17 (expiry) day 30 does not exist in month 02",
      );
      expect(parseScan("(01)09501101530003(21)A(10)L(17)270200").kind).to.equal("pack");
    });

    it("refuses truncated, unknown, repeated, incomplete and ambiguous scans", () => {
      expect(refusal("(01)0950110153000(21)A")).to.match(/^not a GS1 element string: /);
      expect(refusal("(01)09501101530003(21)A(10)L(17)281231(21)B")).to.equal("AI 21 appears twice");
      expect(refusal("(01)09501101530003(21)A")).to.equal("pack scan is missing AI 10 (lot), AI 17 (expiry)");
      expect(refusal("(10)L42")).to.equal("scan carries neither a GTIN (01) nor an SSCC (00)");
      expect(refusal("(00)106141411234567897(01)09501101530003")).to.equal(
        "scan carries both an SSCC (00) and a GTIN (01)",
      );
      expect(refusal("]E0hello")).to.equal("unsupported symbology identifier (expected ]d2, ]C1 or ]Q3)");
      expect(refusal("hello")).to.equal("not a GS1 element string: it must start with an AI, e.g. (01) or 01");
      expect(refusal("")).to.equal("empty scan");
      expect(refusal("(99)x")).to.equal("scan carries neither a GTIN (01) nor an SSCC (00)");
    });

    // Whatever a scanner sends (noise, truncated or spliced scans), parseScan answers a pack, a container or a
    // Gs1ScanError: never another error.
    it("refuses any unreadable input with a Gs1ScanError", () => {
      const valid = [elementString(PACK), `]d2${fnc1Form(PACK)}`, digitalLink(PACK), "(00)106141411234567897"];
      const spliced = fc
        .tuple(fc.constantFrom(...valid), fc.nat(), fc.nat(), fc.string({ maxLength: 6 }))
        .map(([scan, from, to, insert]) => scan.slice(0, from % scan.length) + insert + scan.slice(to % scan.length));
      fc.assert(
        fc.property(fc.oneof(fc.string(), spliced, fc.webUrl()), (scan) => {
          try {
            const result = parseScan(scan);
            expect(["pack", "container"]).to.include(result.kind);
          } catch (error) {
            expect(error, String(error)).to.be.instanceOf(Gs1ScanError);
          }
        }),
        { numRuns: 500 },
      );
    });

    // An error line never carries the scanned serial: at most one offending character is quoted.
    it("never echoes a serial or lot in full", () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[A-Z][0-9][A-Z0-9]{4,10}$/), (secret) => {
          for (const scan of [
            `(01)09501101530004(21)${secret}(10)L(17)281231`,
            `(01)09501101530003(21)${secret} (10)L(17)281231`,
            `(01)09501101530003(21)${secret.repeat(4)}(10)L(17)281231`,
            `https://id.gs1.org/01/09501101530003/21/${secret}%20?17=281399&10=L`,
          ]) {
            expect(refusal(scan)).to.not.contain(secret);
          }
        }),
        { numRuns: 100 },
      );
    });
  });
});
