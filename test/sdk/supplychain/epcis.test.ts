import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";

import {
  canonicalId,
  decodeEpc,
  encodeEpc,
  EPCIS_CONTEXT,
  EpcisDuplicateEvent,
  EpcisError,
  epcisEventHash,
  eventHashBytes32,
  eventHashLedger,
  historyOf,
  parseEpcisDocument,
  preHashString,
  toEpcisDocument,
} from "../../../sdk/supplychain/epcis";
import { rejection } from "../../helpers/rejection";

type Event = Parameters<typeof epcisEventHash>[0];

const GTIN = "10614141073464";
const sgtin = (serial: string) => `urn:epc:id:sgtin:0614141.107346.${serial}`;
const CASE_1 = "urn:epc:id:sscc:0614141.1000000001";
const CASE_2 = "urn:epc:id:sscc:0614141.1000000002";
const PALLET = "urn:epc:id:sscc:0614141.0000000099";
const MANUFACTURER = "urn:epc:id:pgln:0614141.00000";
const DISTRIBUTOR = "urn:epc:id:pgln:4012345.00000";
const HOSPITAL = "urn:epc:id:pgln:4023333.00000";

/** A GS1 example document (RalphTro/epcis-event-hash-generator, tests/examples/epcisDocWithSingleEvent.jsonld). */
const REFERENCE_DOCUMENT = {
  "@context": [EPCIS_CONTEXT, { gs1: "https://gs1.org/voc/" }],
  id: "https://id.example.org/document1",
  type: "EPCISDocument",
  schemaVersion: "2.0",
  creationDate: "2022-02-17T11:30:47.0Z",
  epcisBody: {
    eventList: [
      {
        type: "ObjectEvent",
        action: "OBSERVE",
        bizStep: "shipping",
        disposition: "in_transit",
        epcList: ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
        eventTime: "2022-02-16T20:33:31.116000-06:00",
        eventTimeZoneOffset: "-06:00",
        readPoint: { id: "urn:epc:id:sgln:0614141.07346.1234" },
        bizTransactionList: [{ type: "po", bizTransaction: "http://transaction.acme.com/po/12345678" }],
      },
    ],
  },
};
/** That example's published pre-hash and hash (…/epcisDocWithSingleEvent.prehashes and .hashes). */
const REFERENCE_PREHASH =
  "eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00epcListepc=https://id.gs1.org/01/10614141073464/21/2017epc=https://id.gs1.org/01/10614141073464/21/2018action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transitreadPointid=https://id.gs1.org/414/0614141073467/254/1234bizTransactionListbizTransaction=http://transaction.acme.com/po/12345678type=https://ref.gs1.org/cbv/BTT-po";
const REFERENCE_HASH = "ni:///sha-256;3e0f2437f4cb5e8a1b832b769c0eed1bf3e1421f14061132e9800ded03f10182?ver=CBV2.0";

const at = (time: string) => ({ eventTime: time, eventTimeZoneOffset: "+01:00" });
const transfer = (from: string, to: string, document: string) => ({
  bizTransactionList: [
    { type: "po", bizTransaction: `urn:epcglobal:cbv:bt:4012345000009:PO-${document}` },
    { type: "desadv", bizTransaction: `urn:epcglobal:cbv:bt:0614141000005:ASN-${document}` },
  ],
  sourceList: [{ type: "owning_party", source: from }],
  destinationList: [{ type: "owning_party", destination: to }],
});

/** The demo's flow: commission a lot, pack two cases, a pallet, ship, receive, unpack, ship a case, receive, dispense. */
function demoDocument(): { [key: string]: unknown } {
  const packs = ["1", "2", "3", "4", "5", "6"].map(sgtin);
  return {
    "@context": [EPCIS_CONTEXT],
    type: "EPCISDocument",
    schemaVersion: "2.0",
    creationDate: "2026-03-02T12:00:00.000+01:00",
    epcisBody: {
      eventList: [
        {
          type: "ObjectEvent",
          ...at("2026-03-01T08:00:00.000+01:00"),
          epcList: packs,
          action: "ADD",
          bizStep: "commissioning",
          disposition: "active",
          readPoint: { id: "urn:epc:id:sgln:0614141.00001.0" },
          ilmd: { "cbvmda:lotNumber": "LOT-42", "cbvmda:itemExpirationDate": "2028-12-31" },
        },
        {
          type: "AggregationEvent",
          ...at("2026-03-01T09:00:00.000+01:00"),
          parentID: CASE_1,
          childEPCs: packs.slice(0, 3),
          action: "ADD",
          bizStep: "packing",
          disposition: "in_progress",
        },
        {
          type: "AggregationEvent",
          ...at("2026-03-01T09:01:00.000+01:00"),
          parentID: CASE_2,
          childEPCs: packs.slice(3),
          action: "ADD",
          bizStep: "packing",
        },
        {
          type: "AggregationEvent",
          ...at("2026-03-01T10:00:00.000+01:00"),
          parentID: PALLET,
          childEPCs: [CASE_1, CASE_2],
          action: "ADD",
          bizStep: "packing",
        },
        {
          type: "ObjectEvent",
          ...at("2026-03-01T11:00:00.000+01:00"),
          epcList: [PALLET],
          action: "OBSERVE",
          bizStep: "shipping",
          disposition: "in_transit",
          ...transfer(MANUFACTURER, DISTRIBUTOR, "1"),
        },
        {
          type: "ObjectEvent",
          ...at("2026-03-02T07:30:00.250+01:00"),
          epcList: [PALLET],
          action: "OBSERVE",
          bizStep: "receiving",
          disposition: "in_progress",
          bizLocation: { id: "urn:epc:id:sgln:4012345.00001.0" },
          ...transfer(MANUFACTURER, DISTRIBUTOR, "1"),
        },
        {
          type: "AggregationEvent",
          ...at("2026-03-02T08:00:00.000+01:00"),
          parentID: PALLET,
          childEPCs: [CASE_1, CASE_2],
          action: "DELETE",
          bizStep: "unpacking",
        },
        {
          type: "ObjectEvent",
          ...at("2026-03-02T09:00:00.000+01:00"),
          epcList: [CASE_2],
          action: "OBSERVE",
          bizStep: "shipping",
          disposition: "in_transit",
          ...transfer(DISTRIBUTOR, HOSPITAL, "2"),
        },
        {
          type: "ObjectEvent",
          ...at("2026-03-02T15:00:00.000+01:00"),
          epcList: ["https://id.gs1.org/00/106141410000000026"],
          action: "OBSERVE",
          bizStep: "receiving",
          disposition: "in_progress",
          ...transfer(DISTRIBUTOR, HOSPITAL, "2"),
        },
        {
          type: "ObjectEvent",
          ...at("2026-03-03T10:15:00.000+01:00"),
          epcList: [`https://hospital.example/01/${GTIN}/21/5`],
          action: "OBSERVE",
          bizStep: "dispensing",
          disposition: "dispensed",
          readPoint: { id: "urn:epc:id:sgln:4023333.00002.0" },
        },
      ],
    },
  };
}

/** The demo document with `change` applied to a copy of event `index`. */
function withEvent(index: number, change: (event: { [key: string]: unknown }) => void): { [key: string]: unknown } {
  const document = demoDocument();
  const events = (document.epcisBody as { eventList: { [key: string]: unknown }[] }).eventList;
  change(events[index]!);
  return document;
}

function refusal(document: unknown): string {
  try {
    parseEpcisDocument(document);
  } catch (error) {
    expect(error).to.be.instanceOf(EpcisError);
    return (error as Error).message;
  }
  throw new Error("expected the document to be refused");
}

describe("sdk/supplychain: epcis", () => {
  describe("event hash (CBV 2.0 §8.9)", () => {
    it("reproduces the reference implementation's published pre-hash and hash", () => {
      const event = REFERENCE_DOCUMENT.epcisBody.eventList[0]! as Event;
      expect(preHashString(event)).to.equal(REFERENCE_PREHASH);
      expect(`ni:///sha-256;${createHash("sha256").update(REFERENCE_PREHASH).digest("hex")}?ver=CBV2.0`).to.equal(
        REFERENCE_HASH,
      );
      expect(epcisEventHash(event)).to.equal(REFERENCE_HASH);
      expect(parseEpcisDocument(REFERENCE_DOCUMENT)[0]!.eventHash).to.equal(REFERENCE_HASH);
    });

    it("does not depend on field order, list order, time notation, vocabulary form or EPC syntax", () => {
      const event = REFERENCE_DOCUMENT.epcisBody.eventList[0]!;
      const rewritten = {
        eventTimeZoneOffset: "-06:00",
        eventTime: "2022-02-17T02:33:31.116Z",
        epcList: [`https://brand.example/x/01/${GTIN}/21/2018`, "urn:epc:id:sgtin:0614141.107346.2017"],
        readPoint: { id: "https://id.gs1.org/414/0614141073467/254/1234" },
        bizTransactionList: [
          { type: "urn:epcglobal:cbv:btt:po", bizTransaction: " http://transaction.acme.com/po/12345678" },
        ],
        disposition: "https://ref.gs1.org/cbv/Disp-in_transit",
        bizStep: "urn:epcglobal:cbv:bizstep:shipping",
        action: "OBSERVE",
        type: "ObjectEvent",
        eventID: "urn:uuid:2b4ad0e2-1a7d-4d32-9d43-0a3d8a4a9f11",
        recordTime: "2022-02-17T03:00:00Z",
      };
      expect(epcisEventHash(rewritten)).to.equal(epcisEventHash(event));
    });

    it("changes when any hashed field changes", () => {
      const base = REFERENCE_DOCUMENT.epcisBody.eventList[0]!;
      const variants = [
        { ...base, eventTime: "2022-02-16T20:33:31.117-06:00" },
        { ...base, disposition: "in_progress" },
        { ...base, epcList: [base.epcList[0]!] },
        { ...base, readPoint: { id: "urn:epc:id:sgln:0614141.07346.1235" } },
        { ...base, bizTransactionList: [{ type: "po", bizTransaction: "http://transaction.acme.com/po/12345679" }] },
      ];
      const hashes = new Set(variants.map((variant) => epcisEventHash(variant as Event)));
      expect(hashes.size).to.equal(variants.length);
      expect(hashes.has(REFERENCE_HASH)).to.be.false;
    });

    it("gives the digest as bytes32 and refuses anything else", () => {
      expect(eventHashBytes32(REFERENCE_HASH)).to.equal(
        "0x3e0f2437f4cb5e8a1b832b769c0eed1bf3e1421f14061132e9800ded03f10182",
      );
      expect(() => eventHashBytes32("ni:///sha-256;00?ver=CBV2.0")).to.throw(EpcisError, "not a CBV 2.0 event hash");
    });
  });

  describe("parseEpcisDocument", () => {
    it("turns the demo flow into typed actions with decoded identifiers", () => {
      const actions = parseEpcisDocument(demoDocument());
      expect(actions.map((action) => action.kind)).to.deep.equal([
        "commission",
        "pack",
        "pack",
        "pack",
        "ship",
        "receive",
        "unpack",
        "ship",
        "receive",
        "decommission",
      ]);
      const [commission, packCase, , packPallet, ship, , unpack, , receiveCase, dispense] = actions;
      expect(commission).to.deep.include({
        packs: ["1", "2", "3", "4", "5", "6"].map((serial) => ({
          gtin: GTIN,
          serial,
          lot: "LOT-42",
          expiry: "281231",
        })),
      });
      expect(packCase).to.deep.include({
        parent: "106141410000000019",
        children: ["1", "2", "3"].map((serial) => ({ type: "sgtin", gtin: GTIN, serial })),
      });
      expect(packPallet).to.deep.include({
        parent: "006141410000000999",
        children: [
          { type: "sscc", sscc: "106141410000000019" },
          { type: "sscc", sscc: "106141410000000026" },
        ],
      });
      expect(ship).to.deep.include({
        epcs: [{ type: "sscc", sscc: "006141410000000999" }],
        source: MANUFACTURER,
        destination: DISTRIBUTOR,
      });
      expect(ship?.kind === "ship" ? ship.bizTransactions : []).to.have.length(2);
      expect(unpack).to.deep.include({ parent: "006141410000000999" });
      expect(receiveCase).to.deep.include({ epcs: [{ type: "sscc", sscc: "106141410000000026" }] });
      expect(dispense).to.deep.include({
        epcs: [{ type: "sgtin", gtin: GTIN, serial: "5" }],
        disposition: "dispensed",
      });
      expect(new Set(actions.map((action) => action.eventHash)).size).to.equal(actions.length);
    });

    it("reads a decommissioning with action DELETE and disposition inactive", () => {
      const document = withEvent(9, (event) => {
        event.action = "DELETE";
        event.bizStep = "decommissioning";
        event.disposition = "inactive";
      });
      expect(parseEpcisDocument(document)[9]).to.deep.include({ kind: "decommission", disposition: "inactive" });
    });

    it("reads an errorDeclaration as a correction of the event it re-sends, under that event's hash", () => {
      const original = parseEpcisDocument(demoDocument())[4]!;
      const document = withEvent(4, (event) => {
        event.errorDeclaration = {
          declarationTime: "2026-03-01T12:00:00.000+01:00",
          reason: "incorrect_data",
          correctiveEventIDs: ["urn:uuid:8e7d2a42-9f5c-4bd2-8d5e-4d2d8f0c6a11"],
        };
      });
      expect(parseEpcisDocument(document)[4]).to.deep.equal({
        kind: "correction",
        corrects: "ship",
        eventHash: original.eventHash,
        time: original.time,
        declarationTime: "2026-03-01T12:00:00.000+01:00",
        reason: "incorrect_data",
        correctiveEventIDs: ["urn:uuid:8e7d2a42-9f5c-4bd2-8d5e-4d2d8f0c6a11"],
      });
    });

    it("refuses malformed documents with the reason", () => {
      const document = demoDocument();
      expect(refusal([])).to.equal("document is not a JSON object");
      expect(refusal({ ...document, "@context": ["https://example.org/ctx"] })).to.equal(
        `@context does not name ${EPCIS_CONTEXT}`,
      );
      expect(refusal({ ...document, type: "EPCISQueryDocument" })).to.equal("type is not EPCISDocument");
      expect(refusal({ ...document, schemaVersion: "1.2" })).to.equal("schemaVersion is not 2.0");
      expect(refusal({ ...document, creationDate: undefined })).to.equal("creationDate is missing");
      expect(refusal({ ...document, epcisBody: {} })).to.equal("epcisBody.eventList is missing");
    });

    it("refuses malformed events, naming the event and the problem", () => {
      const cases: [number, (event: { [key: string]: unknown }) => void, string][] = [
        [0, (event) => delete event.type, "event 0: type is missing"],
        [4, (event) => delete event.eventTime, "event 4: eventTime is missing"],
        [4, (event) => (event.eventTime = "yesterday"), "event 4: eventTime is not an ISO 8601 time with a UTC offset"],
        [4, (event) => (event.eventTimeZoneOffset = "CET"), "event 4: eventTimeZoneOffset is not ±hh:mm"],
        [4, (event) => (event.bizStep = "packing"), "event 4: bizStep packing is not valid for a ObjectEvent OBSERVE"],
        [1, (event) => (event.action = "OBSERVE"), "event 1: action OBSERVE is not supported for a AggregationEvent"],
        [
          4,
          (event) => (event.type = "TransformationEvent"),
          "event 4: event type TransformationEvent is not supported",
        ],
        [4, (event) => delete event.bizTransactionList, "event 4: a ship event needs a bizTransactionList"],
        [
          4,
          (event) => (event.epcList = ["urn:epc:id:sgtin:0614141.10734.1"]),
          "event 4: SGTIN EPC must be CompanyPrefix.ItemReference.Value with 13 digits before the value",
        ],
        [
          9,
          (event) => (event.epcList = [`https://id.gs1.org/01/10614141073465/21/5`]),
          "event 9: EPC GTIN check digit is 5, expected 4",
        ],
        [
          9,
          (event) => (event.epcList = ["urn:epc:id:grai:0614141.12345.1"]),
          "event 9: EPC scheme of urn:epc:id:grai:0614141.12345.1 is not supported",
        ],
        [
          9,
          (event) => (event.disposition = "active"),
          "event 9: a dispensing or decommissioning event needs disposition dispensed or inactive",
        ],
        [9, (event) => (event.sensorElementList = []), "event 9: field sensorElementList is not supported"],
        [0, (event) => delete event.ilmd, "event 0: a commissioning event needs ilmd with the lot and expiry"],
        [
          0,
          (event) => (event.ilmd = { "cbvmda:lotNumber": "LOT-42", "cbvmda:itemExpirationDate": "2028-02-30" }),
          "event 0: ilmd cbvmda:itemExpirationDate: expiry day 30 does not exist in month 02",
        ],
        [1, (event) => (event.parentID = sgtin("9")), "event 1: parentID is not an SSCC"],
        [
          9,
          (event) => (event.epcList = [sgtin("A%20B")]),
          "event 9: EPC serial has a character outside GS1 set 82 at position 2",
        ],
        [
          9,
          (event) => (event.epcList = [`https://id.gs1.org/01/${GTIN}/21/${"X".repeat(21)}`]),
          "event 9: EPC serial must be 1 to 20 characters, got 21",
        ],
        [
          0,
          (event) => (event.ilmd = { "cbvmda:lotNumber": "", "cbvmda:itemExpirationDate": "2028-12-31" }),
          "event 0: ilmd lotNumber must be 1 to 20 characters, got 0",
        ],
      ];
      for (const [index, change, message] of cases) expect(refusal(withEvent(index, change))).to.equal(message);
    });
  });

  describe("robustness", () => {
    // Whatever value any field of any event takes, the reader either accepts the document or refuses it with an
    // EpcisError: no TypeError from a shape it did not expect.
    it("refuses any malformed field with an EpcisError, never another error", () => {
      const fields = [
        "type",
        "eventTime",
        "eventTimeZoneOffset",
        "epcList",
        "childEPCs",
        "parentID",
        "action",
        "bizStep",
      ]
        .concat(["disposition", "readPoint", "bizLocation", "bizTransactionList", "sourceList", "destinationList"])
        .concat(["ilmd", "quantityList", "errorDeclaration"]);
      fc.assert(
        fc.property(fc.nat(9), fc.constantFrom(...fields), fc.jsonValue(), (index, field, value) => {
          const document = withEvent(index, (event) => (event[field] = value));
          try {
            parseEpcisDocument(document);
            toEpcisDocument(historyOf(document));
          } catch (error) {
            expect(error, String(error)).to.be.instanceOf(EpcisError);
          }
        }),
        { numRuns: 400 },
      );
    });
  });

  describe("identifiers", () => {
    it("decodes SGTIN, SSCC and LGTIN URNs and Digital Links, and encodes them back", () => {
      expect(decodeEpc("urn:epc:id:sgtin:0614141.107346.A%2FB")).to.deep.equal({
        type: "sgtin",
        gtin: GTIN,
        serial: "A/B",
      });
      expect(decodeEpc("urn:epc:class:lgtin:0614141.107346.LOT-42")).to.deep.equal({
        type: "lgtin",
        gtin: GTIN,
        lot: "LOT-42",
      });
      expect(decodeEpc(`https://id.gs1.org/01/${GTIN}/10/LOT-42`)).to.deep.equal({
        type: "lgtin",
        gtin: GTIN,
        lot: "LOT-42",
      });
      expect(decodeEpc("https://id.gs1.org/00/106141410000000019")).to.deep.equal({
        type: "sscc",
        sscc: "106141410000000019",
      });
      expect(encodeEpc({ type: "sgtin", gtin: GTIN, serial: "A/B" })).to.equal("urn:epc:id:sgtin:0614141.107346.A%2FB");
      expect(encodeEpc({ type: "sscc", sscc: "106141410000000019" })).to.equal(CASE_1);
      expect(encodeEpc({ type: "lgtin", gtin: GTIN, lot: "L1" }, 9)).to.equal("urn:epc:class:lgtin:061414107.1346.L1");
    });

    it("writes identifiers in canonical Digital Link form for the hash", () => {
      expect(canonicalId(CASE_1)).to.equal("https://id.gs1.org/00/106141410000000019");
      expect(canonicalId("urn:epc:id:pgln:4012345.00000")).to.equal("https://id.gs1.org/417/4012345000009");
      expect(canonicalId("urn:epc:id:sgln:0614141.00001.0")).to.equal("https://id.gs1.org/414/0614141000012");
      expect(canonicalId("geo:47.506694,11.104301")).to.equal("geo:47.506694,11.104301");
      expect(() => canonicalId("urn:epc:id:giai:0614141.1")).to.throw(EpcisError, "not supported");
    });
  });

  describe("EventHashLedger", () => {
    it("refuses a hash seen before, as EPCIS capture answers 409", async () => {
      const seen = new Set([REFERENCE_HASH]);
      const lookup = (hash: string) => Promise.resolve(seen.has(hash));
      await eventHashLedger.refuseSeen("ni:///sha-256;" + "0".repeat(64) + "?ver=CBV2.0", lookup);
      expect(await rejection(eventHashLedger.refuseSeen(REFERENCE_HASH, lookup))).to.equal(
        `event ${REFERENCE_HASH} was already captured`,
      );
      const error = await eventHashLedger.refuseSeen(REFERENCE_HASH, lookup).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(EpcisDuplicateEvent);
    });
  });

  describe("toEpcisDocument", () => {
    it("round-trips the demo flow (read → export → read) preserving every event hash", () => {
      const document = withEvent(4, (event) => {
        event.errorDeclaration = { declarationTime: "2026-03-01T12:00:00.000+01:00", reason: "incorrect_data" };
      });
      const hashes = parseEpcisDocument(document).map((action) => action.eventHash);
      const exported = toEpcisDocument(historyOf(document));
      const again = parseEpcisDocument(JSON.parse(JSON.stringify(exported)));
      expect(again.map((action) => action.eventHash)).to.deep.equal(hashes);
      expect(again.map((action) => action.kind)).to.deep.equal(
        parseEpcisDocument(document).map((action) => action.kind),
      );
      expect(toEpcisDocument(historyOf(exported))).to.deep.equal(exported);
    });

    it("keeps class-level quantities and a DELETE decommissioning", () => {
      const document = withEvent(9, (event) => {
        event.action = "DELETE";
        event.bizStep = "decommissioning";
        event.disposition = "inactive";
        event.quantityList = [{ epcClass: "urn:epc:class:lgtin:0614141.107346.LOT-42", quantity: 2 }];
      });
      const hashes = parseEpcisDocument(document).map((action) => action.eventHash);
      expect(parseEpcisDocument(toEpcisDocument(historyOf(document))).map((action) => action.eventHash)).to.deep.equal(
        hashes,
      );
    });

    it("refuses an entry whose rebuilt event does not reproduce its hash", () => {
      const history = historyOf(demoDocument());
      history[3] = { ...history[3]!, epcs: [CASE_1] };
      expect(() => toEpcisDocument(history)).to.throw(
        EpcisError,
        "event 3: rebuilt event does not reproduce its event hash",
      );
    });
  });
});
