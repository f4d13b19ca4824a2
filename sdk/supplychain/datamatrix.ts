/**
 * What is printed on a pack: its GS1 element string, its GS1 Digital Link and its GS1 DataMatrix image, so that the
 * demo shows a person exactly what a pharmacy scans. The image comes from `bwip-js` (MIT, maintained, pure
 * JavaScript, renders PNG through Node's zlib with no native dependency). Every printer here validates the pack
 * first (check digit, set 82, calendar), so nothing is printed that the scan parser would refuse.
 */
import bwipjs from "bwip-js";

import { expiryValue, gtinValue, textBytes20, type Pack } from "./identifiers";

/** The Digital Link resolver GS1 runs; a brand may use its own domain (see {@link digitalLink}). */
export const GS1_RESOLVER = "https://id.gs1.org";

/**
 * The pack's human-readable element string, `(01)…(21)…(10)…(17)…`: what is printed under the symbol and what
 * `parseScan` reads back. Validates the pack first, so nothing unscannable is ever printed.
 */
export function elementString(pack: Pack): string {
  checkPack(pack);
  return `(01)${pack.gtin}(21)${pack.serial}(10)${pack.lot}(17)${pack.expiry}`;
}

/**
 * The pack's GS1 Digital Link URI, `<domain>/01/<gtin>/10/<lot>/21/<serial>?17=<expiry>`: the key qualifiers in the
 * order the Digital Link grammar fixes (10 before 21), the expiry as a query attribute, values percent-encoded.
 */
export function digitalLink(pack: Pack, domain = GS1_RESOLVER): string {
  checkPack(pack);
  const base = domain.replace(/\/+$/, "");
  const encode = encodeURIComponent;
  return `${base}/01/${pack.gtin}/10/${encode(pack.lot)}/21/${encode(pack.serial)}?17=${pack.expiry}`;
}

/**
 * A GS1 DataMatrix PNG of the pack's data (`scale` pixels per module, 3 by default). Encoded from the FNC1 form, not
 * the bracketed one: set 82 allows parentheses in a serial or lot, which the bracketed syntax cannot tell from an AI.
 * The fixed-length AIs come first (01, 17), so one FNC1 separates the two variable ones, as GS1 recommends; the
 * leading FNC1 is what makes the symbol a GS1 DataMatrix (symbology identifier `]d2`).
 */
export async function packDataMatrixPng(pack: Pack, scale = 3): Promise<Buffer> {
  // GS cannot occur inside set-82 data, so the only one is the separator; `^` is not in set 82 either.
  const text = `^FNC1${fnc1Form(pack).replace(GS, "^FNC1")}`;
  return bwipjs.toBuffer({ bcid: "datamatrix", text, parsefnc: true, scale });
}

const GS = "\x1d";

/**
 * The pack's data as a scanner transmits it, without symbology identifier: `01…17…10…<GS>21…` (ASCII GS standing
 * for FNC1, as scanners send it by default).
 */
export function fnc1Form(pack: Pack): string {
  checkPack(pack);
  return `01${pack.gtin}17${pack.expiry}10${pack.lot}${GS}21${pack.serial}`;
}

function checkPack(pack: Pack): void {
  gtinValue(pack.gtin);
  textBytes20(pack.serial, "serial");
  textBytes20(pack.lot, "lot");
  expiryValue(pack.expiry);
}
