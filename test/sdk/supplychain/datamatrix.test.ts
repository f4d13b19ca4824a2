import { expect } from "chai";
import { inflateSync } from "node:zlib";

import { digitalLink, elementString, fnc1Form, packDataMatrixPng } from "../../../sdk/supplychain/datamatrix";
import { IdentifierError } from "../../../sdk/supplychain/identifiers";
import { rejection } from "../../helpers/rejection";

const PACK = { gtin: "09501101530003", serial: "ABC123", lot: "L42", expiry: "281231" };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR, and its decompressed image data, read here without an image library. */
function decodePng(png: Buffer): { width: number; height: number; pixels: Buffer } {
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
    }
    if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  return { width, height, pixels: inflateSync(Buffer.concat(data)) };
}

describe("sdk/supplychain: datamatrix", () => {
  it("prints the human-readable element string and the Digital Link", () => {
    expect(elementString(PACK)).to.equal("(01)09501101530003(21)ABC123(10)L42(17)281231");
    expect(digitalLink(PACK)).to.equal("https://id.gs1.org/01/09501101530003/10/L42/21/ABC123?17=281231");
    expect(digitalLink({ ...PACK, serial: "A/B" }, "https://brand.example/")).to.equal(
      "https://brand.example/01/09501101530003/10/L42/21/A%2FB?17=281231",
    );
    expect(fnc1Form(PACK)).to.equal("01095011015300031728123110L42\x1d21ABC123");
  });

  it("draws a GS1 DataMatrix PNG that decodes to a square image", async () => {
    const png = await packDataMatrixPng({ ...PACK, serial: "A(1)B" });
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).to.be.true;
    const { width, height, pixels } = decodePng(png);
    expect(width).to.be.greaterThan(0);
    expect(height).to.equal(width);
    expect(pixels.length).to.be.greaterThan(0);
  });

  it("refuses to print a pack that would not scan", async () => {
    expect(() => elementString({ ...PACK, gtin: "09501101530004" })).to.throw(IdentifierError, "check digit");
    expect(await rejection(packDataMatrixPng({ ...PACK, lot: "" }))).to.equal("lot must be 1 to 20 characters, got 0");
  });
});
