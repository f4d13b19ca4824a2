/**
 * What a scanner gives, read into a pack or a container identifier: GS1 element strings (the printed form with
 * parentheses, or the raw form with FNC1 separators and a symbology identifier) and GS1 Digital Link URIs.
 *
 * Splitting an element string into its data elements needs GS1's table of application identifiers (which AIs have a
 * predefined length and so no FNC1 after them); `gs1-barcode-parser-mod` carries that table (226 AIs, MIT, no
 * dependencies) and does the split. It validates nothing beyond the split (no check digit, no character set, no
 * calendar), so every rule a pack must meet is checked here. Digital Link URIs are read by hand: the path is pairs of
 * AI and value after any prefix, the query holds further AIs, which `URL` and a few lines cover (see the commit for
 * why `digital-link.js` was not used).
 *
 * Errors are one line, name the AI and the problem, and quote at most the offending character or check digit: a scan
 * may come from a counterfeit, and an error line lands in logs.
 */
import { createRequire } from "node:module";

import { CSET82, expiryProblem, gs1CheckDigit, type Pack } from "./identifiers";

/** A scan that cannot be read as a pack or a container: says which AI and what is wrong, in one line. */
export class Gs1ScanError extends Error {
  override name = "Gs1ScanError";
}

/** What a scan identifies: a serialized pack, or a logistic unit (case, pallet) by its SSCC. */
export type Gs1Scan = { kind: "pack"; pack: Pack } | { kind: "container"; sscc: string };

/** The data elements of a scan, AI → value, in the order read. */
export type Gs1Elements = Map<string, string>;

interface ParsedItem {
  ai: string;
  raw: string;
}
interface BarcodeParserModule {
  parseBarcode(barcode: string): { parsedCodeItems: ParsedItem[] };
}
// The package ships no type declarations; this is the one function used, typed by what it returns.
const barcodeParser = createRequire(__filename)("gs1-barcode-parser-mod") as BarcodeParserModule;

const GS = "\x1d";
/** Symbology identifiers a GS1 scan may start with: DataMatrix, GS1-128, QR Code (ISO/IEC 15424). */
const SYMBOLOGY_IDENTIFIERS = ["]d2", "]C1", "]Q3"];
const NAMES: Record<string, string> = { "00": "SSCC", "01": "GTIN", "10": "lot", "17": "expiry", "21": "serial" };

/**
 * Reads a scan — an element string in either form, or a Digital Link URI — into a pack (AIs 01, 21, 10, 17 all
 * present) or a container (AI 00). Throws {@link Gs1ScanError} saying what is wrong.
 */
export function parseScan(scan: string): Gs1Scan {
  const trimmed = scan.trim();
  const elements = /^https?:\/\//i.test(trimmed) ? parseDigitalLink(trimmed) : parseElementString(trimmed);
  return identify(elements);
}

/**
 * The data elements of a GS1 element string: `(01)…(21)…` or the raw form with FNC1 (ASCII GS) separators, with or
 * without a leading `]d2`, `]C1` or `]Q3`. Checks each element's syntax (see {@link checkElement}) and refuses a
 * repeated AI.
 */
export function parseElementString(text: string): Gs1Elements {
  let body = text;
  const symbology = SYMBOLOGY_IDENTIFIERS.find((prefix) => body.startsWith(prefix));
  if (symbology !== undefined) body = body.slice(symbology.length);
  else if (body.startsWith("]")) throw new Gs1ScanError("unsupported symbology identifier (expected ]d2, ]C1 or ]Q3)");
  if (body.startsWith(GS)) body = body.slice(1);
  if (body.length === 0) throw new Gs1ScanError("empty scan");
  if (!/^\(\d{2,4}\)/.test(body) && !/^\d{2}/.test(body)) {
    throw new Gs1ScanError("not a GS1 element string: it must start with an AI, e.g. (01) or 01");
  }
  let items: ParsedItem[];
  try {
    items = barcodeParser.parseBarcode(body).parsedCodeItems;
  } catch (error) {
    throw new Gs1ScanError(`not a GS1 element string: ${parserProblem(error)}`);
  }
  const elements: Gs1Elements = new Map();
  for (const { ai, raw } of items) add(elements, ai, raw);
  return elements;
}

/**
 * The data elements of a GS1 Digital Link URI (`https://id.gs1.org/01/…/10/…/21/…?17=…`, or any domain and path
 * prefix): the primary key (01 or 00) and its qualifiers from the path, further AIs from the query (non-numeric query
 * keys such as `linkType` are ignored). A GTIN-8/12/13 in the path is padded to 14 digits; values are percent-decoded.
 * Compressed Digital Links are refused.
 */
export function parseDigitalLink(uri: string): Gs1Elements {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Gs1ScanError("not a valid Digital Link URI");
  }
  // The path as written, not `url.pathname`: URL normalisation would drop a serial or lot of "." or ".." (a valid
  // set-82 value) as a dot segment, and would resolve "%2E" the same way.
  const rawPath = uri.replace(/^https?:\/\/[^/?#]*/i, "").split(/[?#]/)[0] ?? "";
  const segments = rawPath.split("/").filter((segment) => segment !== "");
  const start = segments.findIndex((segment) => segment === "01" || segment === "00");
  if (start === -1) {
    throw new Gs1ScanError(
      "Digital Link has no GTIN (/01/) or SSCC (/00/) in its path (compressed links are not supported)",
    );
  }
  if ((segments.length - start) % 2 !== 0) throw new Gs1ScanError("Digital Link path ends with an AI without a value");
  const elements: Gs1Elements = new Map();
  for (let index = start; index < segments.length; index += 2) {
    const ai = segments[index]!;
    if (!/^\d{2,4}$/.test(ai)) throw new Gs1ScanError(`Digital Link path segment ${index + 1} is not an AI`);
    let value = decode(segments[index + 1]!, ai);
    if (ai === "01" && /^(\d{8}|\d{12}|\d{13})$/.test(value)) value = value.padStart(14, "0");
    add(elements, ai, value);
  }
  for (const [key, value] of url.searchParams) {
    if (/^\d{2,4}$/.test(key)) add(elements, key, value);
  }
  return elements;
}

/** The pack or container the elements identify; refuses a scan with neither, with both, or missing a pack's AIs. */
export function identify(elements: Gs1Elements): Gs1Scan {
  const gtin = elements.get("01");
  const sscc = elements.get("00");
  if (gtin !== undefined && sscc !== undefined)
    throw new Gs1ScanError("scan carries both an SSCC (00) and a GTIN (01)");
  if (sscc !== undefined) return { kind: "container", sscc };
  if (gtin === undefined) throw new Gs1ScanError("scan carries neither a GTIN (01) nor an SSCC (00)");
  const missing = ["21", "10", "17"].filter((ai) => !elements.has(ai));
  if (missing.length > 0) {
    throw new Gs1ScanError(`pack scan is missing ${missing.map((ai) => `AI ${ai} (${NAMES[ai]!})`).join(", ")}`);
  }
  return {
    kind: "pack",
    pack: { gtin, serial: elements.get("21")!, lot: elements.get("10")!, expiry: elements.get("17")! },
  };
}

/**
 * Checks the syntax of one data element this SDK relies on: GTIN (01, 14 digits, check digit), SSCC (00, 18 digits,
 * check digit), lot (10) and serial (21) of 1–20 characters of set 82, expiry (17) YYMMDD with a real month and day.
 * Other AIs pass unchecked (a pack may carry e.g. a national healthcare number, AI 710–715, which the chain ignores).
 */
export function checkElement(ai: string, value: string): void {
  switch (ai) {
    case "00":
      checkKey(ai, value, 18);
      return;
    case "01":
      checkKey(ai, value, 14);
      return;
    case "10":
    case "21":
      checkText(ai, value);
      return;
    case "17": {
      const problem = expiryProblem(value);
      if (problem !== undefined) throw new Gs1ScanError(`AI 17 (expiry) ${problem}`);
      return;
    }
    default:
      return;
  }
}

function checkKey(ai: string, value: string, length: number): void {
  const name = `AI ${ai} (${NAMES[ai]!})`;
  if (value.length !== length) throw new Gs1ScanError(`${name} must be ${length} digits, got ${value.length}`);
  const bad = Array.from(value).findIndex((char) => char < "0" || char > "9");
  if (bad !== -1) throw new Gs1ScanError(`${name} has a non-digit at position ${bad + 1}`);
  const expected = gs1CheckDigit(value.slice(0, -1));
  if (Number(value[length - 1]) !== expected) {
    throw new Gs1ScanError(`${name} check digit is ${value[length - 1]}, expected ${expected}`);
  }
}

function checkText(ai: string, value: string): void {
  const name = `AI ${ai} (${NAMES[ai]!})`;
  const chars = Array.from(value);
  if (chars.length < 1 || chars.length > 20) {
    throw new Gs1ScanError(`${name} must be 1 to 20 characters, got ${chars.length}`);
  }
  const bad = chars.findIndex((char) => !CSET82.has(char));
  if (bad !== -1) {
    throw new Gs1ScanError(
      `${name} character ${describeChar(chars[bad]!)} at position ${bad + 1} is not in GS1 set 82`,
    );
  }
}

/** A character for an error line: printable ASCII quoted, anything else as its code point. */
function describeChar(char: string): string {
  const code = char.codePointAt(0)!;
  return code > 0x20 && code < 0x7f ? `'${char}'` : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function add(elements: Gs1Elements, ai: string, value: string): void {
  if (elements.has(ai)) throw new Gs1ScanError(`AI ${ai} appears twice`);
  checkElement(ai, value);
  elements.set(ai, value);
}

function decode(segment: string, ai: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new Gs1ScanError(`Digital Link value of AI ${ai} has a malformed percent-encoding`);
  }
}

/** The parser throws fixed strings ("invalid AI after '0'", "38"…) that quote no data; anything else stays unquoted. */
function parserProblem(error: unknown): string {
  const text = typeof error === "string" ? error : error instanceof Error ? error.message : "";
  if (/^\d+$/.test(text)) return `malformed data element (parser code ${text})`;
  if (/^[A-Za-z0-9 ',()-]{1,60}$/.test(text)) return text;
  return "malformed data element";
}
