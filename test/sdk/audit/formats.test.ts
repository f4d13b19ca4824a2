import { expect } from "chai";

import { CSV_NEWLINE, csvField, reportCsv, reportJson } from "../../../sdk/audit/formats";
import { escapeHtml, plainName, reportHtml } from "../../../sdk/audit/html";
import type {
  AccessReport,
  AccessReportRow,
  AccountingOfDisclosures,
  AuditReport,
  HitechAccessReport,
  PrivacyOfficerReport,
  ReportSource,
} from "../../../sdk/audit/types";

const SOURCE: ReportSource = {
  chainId: "31337",
  contracts: {
    "consent-registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "record-registry": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    "break-glass": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    "identity-registry": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    "trial-registry": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
    "trial-safety": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
  },
  fromBlock: 12,
  toBlock: 480,
};

/** 2024-03-04T00:00:00Z. */
const MARCH_4 = 1_709_510_400;
const HOUR = 3_600;
const DAY = 86_400;
/** The patient's representative, and the auditor's account (Hardhat's second), as lines name them. */
const REPRESENTATIVE = "1044";
const AUDITOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** The account that signed a trial consent for her (Hardhat's third). */
const SIGNER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

function tx(n: number): string {
  return `0x${n.toString(16).padStart(64, "0")}`;
}

function row(n: number, time: number, fields: Partial<AccessReportRow>): AccessReportRow {
  return {
    time,
    isoTime: new Date(time * 1000).toISOString(),
    blockNumber: 100 + n,
    logIndex: n % 3,
    txHash: tx(n),
    contract: "consent-registry",
    event: "AccessRecorded",
    kind: "access",
    outcome: "allowed",
    participant: "1201",
    organization: "7",
    grantee: "1201",
    actor: null,
    ref: "2",
    status: null,
    categories: ["LaboratoryResults"],
    purposes: ["Treatment"],
    basis: "Grant",
    record: null,
    summary:
      "participant 1201 (organization 7) saw your laboratory results for treatment: under your permission to them (version 2)",
    ...fields,
  };
}

/**
 * Three days of accesses over three categories, allowed and denied, plus lines that are not accesses (a grant, a
 * revocation), and the fields a file must survive: a comma, a quote and a newline, a leading `=`, and markup. Then a
 * request and its rejection, and an emergency session, an access under it and its review. Then a line of each of the
 * other kinds (`chartAndTrialRows`).
 */
function accessRows(): AccessReportRow[] {
  return [
    row(1, MARCH_4 + 9 * HOUR, {
      kind: "consent-granted",
      event: "ConsentGranted",
      outcome: null,
      organization: null,
      actor: "1042",
      basis: null,
      purposes: ["*"],
      summary: "you allowed participant 1201 to see laboratory results for everything not sensitive (version 2)",
    }),
    row(2, MARCH_4 + 10 * HOUR, {}),
    row(3, MARCH_4 + 11 * HOUR, {}),
    row(4, MARCH_4 + 12 * HOUR, { categories: ["Medications"] }),
    row(5, MARCH_4 + DAY + 8 * HOUR, {
      outcome: "denied",
      basis: "NoGrant",
      participant: "1300",
      organization: null,
      grantee: null,
      ref: null,
      categories: ["MentalHealth"],
      summary: 'participant 1300 was refused, "mental health"\nsecond line',
    }),
    row(6, MARCH_4 + DAY + 9 * HOUR, {
      outcome: "denied",
      basis: "NoGrant",
      participant: "1300",
      grantee: null,
      ref: null,
      categories: ["MentalHealth"],
      summary: '=HYPERLINK("http://evil")',
    }),
    row(7, MARCH_4 + 3 * DAY + 15 * HOUR, {
      kind: "record-read",
      event: "RecordRead",
      categories: ["LaboratoryResults", "Medications"],
      record: "0xabc0000000000000000000000000000000000000000000000000000000000def",
      summary: "<script>alert(1)</script> read a record",
    }),
    row(9, MARCH_4 + 3 * DAY + 15 * HOUR + 30 * 60, {
      kind: "record-read",
      event: "RecordAccessDenied",
      outcome: "denied",
      basis: "NoGrant",
      grantee: null,
      ref: null,
      categories: [],
      record: tx(77),
      summary: "participant 1201 was refused a record whose category is not known",
    }),
    row(8, MARCH_4 + 3 * DAY + 16 * HOUR, {
      kind: "consent-revoked",
      event: "ConsentRevoked",
      outcome: null,
      organization: null,
      actor: REPRESENTATIVE,
      basis: null,
      categories: [],
      purposes: [],
      summary: `your representative (participant ${REPRESENTATIVE}) withdrew the permission of participant 1201 (version 2)`,
    }),
    row(10, MARCH_4 + 4 * DAY + 9 * HOUR, {
      kind: "access-requested",
      event: "AccessRequested",
      outcome: null,
      participant: "1300",
      organization: "8",
      grantee: null,
      ref: "12",
      status: "Pending",
      categories: ["Allergies"],
      basis: null,
      summary: "participant 1300 (organization 8) asked to see your allergies for treatment (request 12)",
    }),
    row(11, MARCH_4 + 4 * DAY + 13 * HOUR, {
      kind: "access-request-resolved",
      event: "AccessRequestResolved",
      outcome: null,
      participant: "1300",
      organization: null,
      grantee: null,
      actor: "1042",
      ref: "12",
      status: "Rejected",
      categories: [],
      purposes: [],
      basis: null,
      summary: "request 12 of participant 1300 was rejected by you",
    }),
    row(12, MARCH_4 + 5 * DAY + 2 * HOUR, {
      kind: "break-glass-opened",
      contract: "break-glass",
      event: "BreakGlassOpened",
      outcome: null,
      participant: "1400",
      grantee: null,
      ref: "31",
      status: "Unjustified",
      categories: [],
      purposes: ["EmergencyTreatment"],
      basis: null,
      summary: "participant 1400 (organization 7) opened emergency access to your records (session 31)",
    }),
    row(13, MARCH_4 + 5 * DAY + 2 * HOUR + 600, {
      participant: "1400",
      grantee: "1400",
      ref: "31",
      categories: ["Medications"],
      purposes: ["EmergencyTreatment"],
      basis: "BreakGlass",
      summary: "participant 1400 (organization 7) saw your medications for emergency treatment: in session 31",
    }),
    row(14, MARCH_4 + 6 * DAY + 10 * HOUR, {
      kind: "break-glass-reviewed",
      contract: "break-glass",
      event: "BreakGlassReviewed",
      outcome: null,
      participant: "1400",
      grantee: null,
      actor: AUDITOR,
      ref: "31",
      status: "Unjustified",
      categories: [],
      purposes: [],
      basis: null,
      summary: `an auditor (${AUDITOR}) found emergency access session 31 unjustified (finding code 2)`,
    }),
    ...chartAndTrialRows(),
  ];
}

/** The fields of a line that is neither an access nor a consent change: the rest is the line's own. */
function other(n: number, time: number, fields: Partial<AccessReportRow>): AccessReportRow {
  return row(n, time, {
    outcome: null,
    participant: null,
    organization: null,
    grantee: null,
    ref: null,
    categories: [],
    purposes: [],
    basis: null,
    ...fields,
  });
}

/**
 * A line of each of the other kinds, from the seventh day: a representative appointed and removed, a record written
 * and one marked in error, a correction asked for (unanswered) and another denied, a trial consent signed, a trial's
 * data sent, an adverse event and its report to the regulator.
 */
function chartAndTrialRows(): AccessReportRow[] {
  const day = MARCH_4 + 7 * DAY;
  return [
    other(15, day + 8 * HOUR, {
      kind: "representative-appointed",
      contract: "identity-registry",
      event: "RepresentativeAppointed",
      participant: REPRESENTATIVE,
      actor: "1042",
      summary: `you appointed participant ${REPRESENTATIVE} as your representative until 2025-03-11T00:00:00Z`,
    }),
    other(16, day + 9 * HOUR, {
      kind: "representative-removed",
      contract: "identity-registry",
      event: "RepresentativeRemoved",
      participant: "1045",
      actor: "1042",
      status: "revoked",
      summary: "you removed participant 1045 as your representative",
    }),
    other(17, day + 10 * HOUR, {
      kind: "record-written",
      contract: "record-registry",
      event: "RecordAnchored",
      participant: "1042",
      categories: ["VitalSigns"],
      basis: "Self",
      record: tx(171),
      status: "anchored",
      summary: "you added a record of vital signs to your chart",
    }),
    other(18, day + 11 * HOUR, {
      kind: "record-entered-in-error",
      contract: "record-registry",
      event: "RecordEnteredInError",
      participant: "1201",
      record: tx(77),
      status: "entered-in-error",
      summary: "participant 1201 marked your record as entered in error (reason code 1)",
    }),
    other(19, day + 12 * HOUR, {
      kind: "amendment-requested",
      contract: "record-registry",
      event: "AmendmentRequested",
      participant: REPRESENTATIVE,
      actor: REPRESENTATIVE,
      record: tx(171),
      ref: "5",
      status: "Pending",
      summary: `your representative (participant ${REPRESENTATIVE}) asked for a record to be corrected (request 5)`,
    }),
    other(20, day + 13 * HOUR, {
      kind: "amendment-resolved",
      contract: "record-registry",
      event: "AmendmentDenied",
      record: tx(77),
      ref: "6",
      status: "Denied",
      summary: "your correction request 6 was denied (reason code 2)",
    }),
    other(21, day + 14 * HOUR, {
      kind: "trial",
      contract: "trial-registry",
      event: "ConsentSigned",
      actor: SIGNER,
      ref: "3",
      status: "consent-signed",
      summary: "your consent to clinical trial 3 was signed",
    }),
    other(22, day + 15 * HOUR, {
      kind: "trial-data",
      contract: "trial-registry",
      event: "DataAnchored",
      ref: "3",
      record: tx(221),
      summary: "site 1 of clinical trial 3 sent its sponsor case-report data that includes yours",
    }),
    other(23, day + 16 * HOUR, {
      kind: "adverse-event",
      contract: "trial-safety",
      event: "AdverseEventRecorded",
      participant: "1700",
      ref: "2",
      status: "life-threatening",
      summary: "participant 1700 recorded a life-threatening adverse event of yours in clinical trial 3",
    }),
    other(24, day + 17 * HOUR, {
      kind: "adverse-event-reported",
      contract: "trial-safety",
      event: "SusarReported",
      participant: "1800",
      ref: "2",
      status: "on time",
      summary: "adverse event 2 was reported to the trial's regulator (participant 1800) before its deadline",
    }),
  ];
}

function accessReport(): AccessReport {
  return {
    kind: "access-report",
    patient: "1042",
    generatedFor: { fromTime: MARCH_4, toTime: MARCH_4 + 10 * DAY },
    source: SOURCE,
    rows: accessRows(),
  };
}

function emptyReport(): AccessReport {
  return {
    kind: "access-report",
    patient: "1042",
    generatedFor: { fromTime: null, toTime: null },
    source: SOURCE,
    rows: [],
  };
}

function hitechReport(): HitechAccessReport {
  return {
    kind: "hitech-access-report",
    patient: "1042",
    requestTime: MARCH_4 + 30 * DAY,
    periodStart: MARCH_4 + 30 * DAY - 3 * 365 * DAY,
    source: SOURCE,
    rows: accessRows().slice(1, 5),
  };
}

function accountingReport(): AccountingOfDisclosures {
  return {
    kind: "accounting-of-disclosures",
    patient: "1042",
    requestTime: MARCH_4 + 30 * DAY,
    periodStart: MARCH_4 + 30 * DAY - 6 * 365 * DAY,
    source: SOURCE,
    disclosures: [
      {
        time: MARCH_4 + 2 * HOUR,
        isoTime: new Date((MARCH_4 + 2 * HOUR) * 1000).toISOString(),
        blockNumber: 140,
        txHash: tx(40),
        recipient: "2001",
        recipientOrganization: "9",
        recipientName: 'State Registry, "Public Health"',
        recipientAddress: "1 Main St\r\nSpringfield",
        category: "Immunizations",
        record: null,
        purpose: "PublicHealth",
        basis: "Grant",
        statement: "report of an immunization to the state registry",
      },
      {
        time: MARCH_4 + 5 * DAY,
        isoTime: new Date((MARCH_4 + 5 * DAY) * 1000).toISOString(),
        blockNumber: 180,
        txHash: tx(41),
        recipient: "2002",
        recipientOrganization: null,
        recipientName: null,
        recipientAddress: null,
        category: "Genomics",
        record: tx(99),
        purpose: "Research",
        basis: "Grant",
        statement: "+1 sample for a research study",
      },
    ],
    exempted: { "treatment-payment-operations": 12, "to-the-individual": 3, authorization: 1 },
  };
}

function privacyReport(): PrivacyOfficerReport {
  return {
    kind: "privacy-officer-report",
    asOf: MARCH_4 + 9 * DAY,
    thresholds: {
      unreviewedDays: 7,
      explanationWindowDays: 365,
      deniedBurstCount: 3,
      deniedBurstMinutes: 60,
      workdayStartHour: 7,
      workdayEndHour: 19,
      timeZone: "America/New_York",
      maxPatientsPerDay: 200,
    },
    source: SOURCE,
    findings: [
      {
        kind: "denied-burst",
        time: MARCH_4 + DAY + 8 * HOUR,
        isoTime: new Date((MARCH_4 + DAY + 8 * HOUR) * 1000).toISOString(),
        participant: "1300",
        organization: null,
        patient: "1042",
        txHashes: [tx(5), tx(6), tx(7)],
        why: "3 denied attempts in 42 minutes (threshold: 3 in 60)",
      },
      {
        kind: "many-patients",
        time: MARCH_4 + 2 * DAY,
        isoTime: new Date((MARCH_4 + 2 * DAY) * 1000).toISOString(),
        participant: "1201",
        organization: "7",
        patient: null,
        txHashes: [tx(10)],
        why: "@241 patients read in one day (threshold: 200)",
      },
    ],
  };
}

/**
 * An RFC 4180 reader, strict about what `reportCsv` promises: every record ends with CRLF, quoted fields may hold
 * anything (a doubled quote is a quote), unquoted ones no quote, CR or LF.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error("unterminated quoted field");
        field += text.slice(i, quote);
        i = quote + 1;
        if (text[i] !== '"') break;
        field += '"';
        i += 1;
      }
    } else {
      const end = text.slice(i).search(/[,\r\n]/);
      field = end < 0 ? text.slice(i) : text.slice(i, i + end);
      if (field.includes('"')) throw new Error(`a quote in an unquoted field: ${field}`);
      i += field.length;
    }
    fields.push(field);
    if (text[i] === ",") {
      i += 1;
    } else if (text.startsWith(CSV_NEWLINE, i)) {
      records.push(fields);
      fields = [];
      i += CSV_NEWLINE.length;
    } else {
      throw new Error(`expected a comma or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 5))}`);
    }
  }
  if (fields.length > 0) throw new Error("the last record does not end with CRLF");
  return records;
}

/** What a field reads as when parsed back: the value, with the apostrophe a formula-like field is given. */
function written(value: string | number | null | readonly string[]): string {
  const text = value === null ? "" : typeof value === "object" ? value.join(";") : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

const ACCESS_COLUMNS = [
  "patient",
  "isoTime",
  "time",
  "kind",
  "outcome",
  "participant",
  "organization",
  "grantee",
  "actor",
  "ref",
  "status",
  "categories",
  "purposes",
  "basis",
  "record",
  "summary",
  "contract",
  "event",
  "blockNumber",
  "logIndex",
  "txHash",
];

function expectedAccessRecord(patient: string, r: AccessReportRow): string[] {
  return [
    patient,
    r.isoTime,
    r.time,
    r.kind,
    r.outcome,
    r.participant,
    r.organization,
    r.grantee,
    r.actor,
    r.ref,
    r.status,
    r.categories,
    r.purposes,
    r.basis,
    r.record,
    r.summary,
    r.contract,
    r.event,
    r.blockNumber,
    r.logIndex,
    r.txHash,
  ].map(written);
}

/** The `#rows` table's body rows, each as its markup. */
function tableRows(page: string): string[] {
  const body = /<table id="rows">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1];
  if (body === undefined) return [];
  return body.match(/<tr\b[\s\S]*?<\/tr>/g) ?? [];
}

interface Bar {
  day: string;
  category: string;
  count: number;
  height: number;
}

function bars(page: string): Bar[] {
  return [...page.matchAll(/<rect\s+class="bar[^"]*"([^>]*)>/g)].map((m) => {
    const attribute = (name: string) => {
      const value = new RegExp(`\\b${name}="([^"]*)"`).exec(m[1]!)?.[1];
      if (value === undefined) throw new Error(`a bar without ${name}`);
      return value;
    };
    return {
      day: attribute("data-day"),
      category: attribute("data-category"),
      count: Number(attribute("data-count")),
      height: Number(attribute("height")),
    };
  });
}

/** The (day, category) pairs of the accesses, with their counts: what the chart should draw. */
function expectedBars(rows: readonly AccessReportRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows.filter((x) => x.kind === "access" || x.kind === "record-read")) {
    for (const category of r.categories.length === 0 ? ["unknown"] : r.categories) {
      const key = `${r.isoTime.slice(0, 10)} ${category}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

describe("audit report formats", function () {
  describe("reportJson", function () {
    it("round-trips every kind of report", function () {
      const reports: AuditReport[] = [
        accessReport(),
        emptyReport(),
        hitechReport(),
        accountingReport(),
        privacyReport(),
      ];
      for (const report of reports) {
        const text = reportJson(report);
        expect(text.endsWith("}\n")).to.be.true;
        expect(JSON.parse(text)).to.deep.equal(report);
      }
    });

    it("is the same text whatever order the report's keys were set in", function () {
      const report = privacyReport();
      const reordered = JSON.parse(JSON.stringify(report), (_key, value: unknown) =>
        value === null || typeof value !== "object" || Array.isArray(value)
          ? value
          : Object.fromEntries(Object.entries(value).reverse()),
      ) as PrivacyOfficerReport;
      expect(Object.keys(reordered)).to.not.deep.equal(Object.keys(report));
      expect(reportJson(reordered)).to.equal(reportJson(report));
    });

    it("is indented by two spaces, keys sorted", function () {
      const text = reportJson(emptyReport());
      expect(text.split("\n").slice(0, 3)).to.deep.equal(["{", '  "generatedFor": {', '    "fromTime": null,']);
    });
  });

  describe("csvField", function () {
    it("quotes a field with a comma, a quote, CR or LF, doubling its quotes", function () {
      expect(csvField("plain")).to.equal("plain");
      expect(csvField("a,b")).to.equal('"a,b"');
      expect(csvField('say "hi"')).to.equal('"say ""hi"""');
      expect(csvField("one\ntwo")).to.equal('"one\ntwo"');
      expect(csvField("one\rtwo")).to.equal('"one\rtwo"');
    });

    it("gives a field that starts like a formula a leading apostrophe", function () {
      for (const start of ["=", "+", "-", "@", "\t", "\r"]) {
        expect(csvField(`${start}1+1`).replace(/^"/, "")).to.match(/^'/);
      }
      expect(csvField("=SUM(A1,A2)")).to.equal(`"'=SUM(A1,A2)"`);
      expect(csvField("a=1")).to.equal("a=1");
    });

    it("writes null as an empty field and a list joined with semicolons", function () {
      expect(csvField(null)).to.equal("");
      expect(csvField(["LaboratoryResults", "Medications"])).to.equal("LaboratoryResults;Medications");
      expect(csvField([])).to.equal("");
      expect(csvField(480)).to.equal("480");
    });
  });

  describe("reportCsv", function () {
    it("writes an access report as a header and one record per row", function () {
      const report = accessReport();
      const records = parseCsv(reportCsv(report));
      expect(records[0]).to.deep.equal(ACCESS_COLUMNS);
      expect(records.slice(1)).to.deep.equal(report.rows.map((r) => expectedAccessRecord(report.patient, r)));
    });

    it("keeps a comma, a quote and a newline, and defuses a formula", function () {
      const records = parseCsv(reportCsv(accessReport()));
      const summary = ACCESS_COLUMNS.indexOf("summary");
      expect(records[5]![summary]).to.equal('participant 1300 was refused, "mental health"\nsecond line');
      expect(records[6]![summary]).to.equal('\'=HYPERLINK("http://evil")');
      expect(records[7]![ACCESS_COLUMNS.indexOf("categories")]).to.equal("LaboratoryResults;Medications");
      expect(records[8]![ACCESS_COLUMNS.indexOf("categories")]).to.equal("");
      expect(records[9]![ACCESS_COLUMNS.indexOf("outcome")]).to.equal("");
    });

    it("writes who acted, what a line refers to and how it ended after the grantee, empty where none", function () {
      const records = parseCsv(reportCsv(accessReport()));
      expect(records[0]!.slice(7, 11)).to.deep.equal(["grantee", "actor", "ref", "status"]);
      const at = (record: number, column: string): string => records[record]![ACCESS_COLUMNS.indexOf(column)]!;
      expect([at(1, "actor"), at(1, "ref"), at(1, "status")]).to.deep.equal(["1042", "2", ""]);
      expect([at(5, "actor"), at(5, "ref"), at(5, "status")]).to.deep.equal(["", "", ""]);
      expect([at(9, "actor"), at(9, "ref")]).to.deep.equal([REPRESENTATIVE, "2"]);
      expect([at(11, "actor"), at(11, "ref"), at(11, "status")]).to.deep.equal(["1042", "12", "Rejected"]);
      expect([at(14, "actor"), at(14, "ref"), at(14, "status")]).to.deep.equal([AUDITOR, "31", "Unjustified"]);
    });

    it("writes the other kinds' lines with their ref and status, a status of two words unquoted", function () {
      const records = parseCsv(reportCsv(accessReport()));
      const at = (record: number, column: string): string => records[record]![ACCESS_COLUMNS.indexOf(column)]!;
      const fields = (record: number) =>
        ["kind", "participant", "actor", "ref", "status", "record"].map((column) => at(record, column));
      expect(fields(15)).to.deep.equal(["representative-appointed", REPRESENTATIVE, "1042", "", "", ""]);
      expect(fields(17)).to.deep.equal(["record-written", "1042", "", "", "anchored", tx(171)]);
      expect(at(17, "basis")).to.equal("Self");
      expect(fields(19)).to.deep.equal([
        "amendment-requested",
        REPRESENTATIVE,
        REPRESENTATIVE,
        "5",
        "Pending",
        tx(171),
      ]);
      expect(fields(21)).to.deep.equal(["trial", "", SIGNER, "3", "consent-signed", ""]);
      expect(fields(22)).to.deep.equal(["trial-data", "", "", "3", "", tx(221)]);
      expect(fields(24)).to.deep.equal(["adverse-event-reported", "1800", "", "2", "on time", ""]);
      expect(reportCsv(accessReport())).to.include(",on time,");
      expect(records.slice(15).map((record) => record[ACCESS_COLUMNS.indexOf("contract")])).to.include.members([
        "identity-registry",
        "trial-registry",
        "trial-safety",
      ]);
    });

    it("ends every record, the last included, with CRLF", function () {
      const text = reportCsv(accessReport());
      expect(text.endsWith("\r\n")).to.be.true;
      expect(text.replaceAll("\r\n", "").includes("\r")).to.be.false;
    });

    it("writes an empty report as its header alone", function () {
      expect(reportCsv(emptyReport())).to.equal(`${ACCESS_COLUMNS.join(",")}\r\n`);
    });

    it("writes a HITECH access report with the access report's columns", function () {
      const report = hitechReport();
      const records = parseCsv(reportCsv(report));
      expect(records[0]).to.deep.equal(ACCESS_COLUMNS);
      expect(records.slice(1)).to.deep.equal(report.rows.map((r) => expectedAccessRecord(report.patient, r)));
    });

    it("writes an accounting of disclosures, one record per disclosure", function () {
      const report = accountingReport();
      const records = parseCsv(reportCsv(report));
      expect(records[0]).to.deep.equal([
        "patient",
        "isoTime",
        "time",
        "recipient",
        "recipientOrganization",
        "recipientName",
        "recipientAddress",
        "category",
        "record",
        "purpose",
        "basis",
        "statement",
        "blockNumber",
        "txHash",
      ]);
      expect(records.slice(1)).to.deep.equal(
        report.disclosures.map((d) =>
          [
            report.patient,
            d.isoTime,
            d.time,
            d.recipient,
            d.recipientOrganization,
            d.recipientName,
            d.recipientAddress,
            d.category,
            d.record,
            d.purpose,
            d.basis,
            d.statement,
            d.blockNumber,
            d.txHash,
          ].map(written),
        ),
      );
      expect(records[1]![6]).to.equal("1 Main St\r\nSpringfield");
      expect(records[2]![11]).to.equal("'+1 sample for a research study");
    });

    it("writes a privacy officer's report, one record per finding", function () {
      const report = privacyReport();
      const records = parseCsv(reportCsv(report));
      expect(records[0]).to.deep.equal([
        "isoTime",
        "time",
        "kind",
        "participant",
        "organization",
        "patient",
        "why",
        "txHashes",
      ]);
      expect(records.slice(1)).to.deep.equal(
        report.findings.map((f) =>
          [f.isoTime, f.time, f.kind, f.participant, f.organization, f.patient, f.why, f.txHashes].map(written),
        ),
      );
      expect(records[1]![7]).to.equal([tx(5), tx(6), tx(7)].join(";"));
      expect(records[2]![6]).to.equal("'@241 patients read in one day (threshold: 200)");
    });
  });

  describe("escapeHtml", function () {
    it("replaces the five characters that matter in content and quoted attributes", function () {
      expect(escapeHtml(`<a href="x" title='y'>&</a>`)).to.equal(
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
      );
    });
  });

  describe("plainName", function () {
    it("turns enum names and kinds into words", function () {
      expect(plainName("LaboratoryResults")).to.equal("Laboratory results");
      expect(plainName("unreviewed-break-glass")).to.equal("Unreviewed break glass");
      expect(plainName("NoGrant")).to.equal("No grant");
    });
  });

  describe("reportHtml", function () {
    it("escapes markup from every field, the title included", function () {
      const page = reportHtml(accessReport(), { title: "<b>Report</b>", generatedAt: "<now>" });
      expect(page).to.not.include("<script>");
      expect(page).to.include("&lt;script&gt;alert(1)&lt;/script&gt; read a record");
      expect(page).to.not.include("<b>Report</b>");
      expect(page).to.include("<h1>&lt;b&gt;Report&lt;/b&gt;</h1>");
      expect(page).to.include("&lt;now&gt;");
      expect(page).to.include("&quot;mental health&quot;");
    });

    it("names the report and the patient", function () {
      const page = reportHtml(accessReport());
      expect(page).to.include("<title>Access report: Patient 1042</title>");
      expect(page).to.include("<h1>Access report</h1>");
      expect(page).to.include('<p class="subject">Patient 1042</p>');
    });

    it("states the source in the footer: chain, every contract, blocks and generation time", function () {
      const page = reportHtml(accessReport(), { generatedAt: "2024-03-20T10:00:00Z" });
      const footer = /<footer id="source">([\s\S]*)<\/footer>/.exec(page)?.[1] ?? "";
      expect(footer).to.include('<strong class="chain-id">31337</strong>');
      expect(footer).to.include('<strong class="from-block">12</strong>');
      expect(footer).to.include('<strong class="to-block">480</strong>');
      for (const [name, address] of Object.entries(SOURCE.contracts)) {
        expect(footer).to.include(`<dt>${name}</dt>`);
        expect(footer).to.include(`<code>${address}</code>`);
      }
      expect(footer).to.include("Generated 2024-03-20T10:00:00Z.");
      expect(reportHtml(accessReport())).to.not.include("Generated ");
    });

    it("has one table row per report row, with its transaction", function () {
      const report = accessReport();
      const rows = tableRows(reportHtml(report));
      expect(rows).to.have.length(report.rows.length);
      rows.forEach((tr, i) => {
        expect(tr).to.include(`data-tx="${report.rows[i]!.txHash}"`);
      });
      expect(rows.filter((tr) => tr.includes('class="denied"'))).to.have.length(3);
    });

    it("draws one bar per day and category, as tall as its count", function () {
      const report = accessReport();
      const drawn = bars(reportHtml(report));
      const expected = expectedBars(report.rows);
      expect(new Map(drawn.map((b) => [`${b.day} ${b.category}`, b.count]))).to.deep.equal(expected);
      expect(drawn).to.have.length(expected.size);
      // Heights are proportional to counts: the same height per access everywhere, so that more is taller.
      const perAccess = drawn[0]!.height / drawn[0]!.count;
      for (const bar of drawn) expect(bar.height).to.be.closeTo(bar.count * perAccess, 0.02);
      const march4 = drawn.filter((b) => b.day === "2024-03-04");
      const labs = march4.find((b) => b.category === "LaboratoryResults")!;
      const medications = march4.find((b) => b.category === "Medications")!;
      expect(labs.count).to.equal(2);
      expect(labs.height).to.be.greaterThan(medications.height);
    });

    it("says who changed a permission, answered a request or reviewed a session, and what a line refers to", function () {
      const rows = tableRows(reportHtml(accessReport()));
      const text = (tr: string): string =>
        tr
          .replace(/<[^>]*>/g, " ")
          .replace(/\s+/g, " ")
          .trim();
      // Table rows: 0 granted, 1 an allowed access, 4 a denial, 8 revoked, 9 requested, 10 rejected, 11 opened, 12 an
      // access under the session, 13 reviewed.
      expect(text(rows[0]!)).to.include("permission version 2").and.include("given by you");
      expect(text(rows[1]!)).to.include("permission version 2").and.not.include(" by ");
      expect(text(rows[4]!)).to.not.include("permission version");
      expect(text(rows[8]!)).to.include(`withdrawn by your representative ${REPRESENTATIVE}`);
      expect(text(rows[9]!)).to.include("request 12");
      expect(text(rows[10]!)).to.include("request 12").and.include("rejected by you");
      expect(text(rows[11]!)).to.include("emergency session 31");
      expect(text(rows[12]!)).to.include("emergency session 31").and.not.include("permission version");
      expect(rows[13]).to.include(`title="${AUDITOR}"`);
      expect(text(rows[13]!)).to.include("reviewed by auditor");
    });

    it("shows how a request or an emergency session ended as a badge, the request's line included", function () {
      const rows = tableRows(reportHtml(accessReport()));
      const badge = (tr: string): string | undefined =>
        /<span class="badge ([a-z]+)"(?: title="[^"]*")?>([^<]*)<\/span>/.exec(tr)?.slice(1).join(" ");
      expect(badge(rows[9]!)).to.equal("bad Rejected");
      expect(badge(rows[10]!)).to.equal("bad Rejected");
      expect(badge(rows[11]!)).to.equal("bad Unjustified");
      expect(badge(rows[13]!)).to.equal("bad Unjustified");
      expect(rows[13]).to.include('title="An auditor found this emergency access unjustified"');
      expect(badge(rows[1]!)).to.equal("allowed allowed");
      expect(badge(rows[0]!)).to.equal(undefined);

      const report = accessReport();
      const waiting = { ...report, rows: report.rows.filter((r) => r.kind !== "access-request-resolved") };
      waiting.rows = waiting.rows.map((r) => (r.kind === "break-glass-opened" ? { ...r, status: "pending" } : r));
      const pending = tableRows(reportHtml(waiting));
      expect(badge(pending[9]!)).to.equal("waiting Unanswered");
      expect(badge(pending[10]!)).to.equal("waiting Unreviewed");
      const approved = report.rows.map((r) =>
        r.kind === "access-request-resolved" ? { ...r, status: "Approved" } : r,
      );
      expect(badge(tableRows(reportHtml({ ...report, rows: approved }))[9]!)).to.equal("good Approved");
    });

    it("labels every other kind of line in plain words, with its status as a badge", function () {
      const report = accessReport();
      const rows = tableRows(reportHtml(report));
      const text = (tr: string): string =>
        tr
          .replace(/<[^>]*>/g, " ")
          .replace(/\s+/g, " ")
          .trim();
      const badge = (tr: string): string | undefined =>
        /<span class="badge ([a-z]+)"(?: title="[^"]*")?>([^<]*)<\/span>/.exec(tr)?.slice(1).join(" ");
      // Table rows 14 to 23: the lines of `chartAndTrialRows`, in its order.
      const expected: [label: string, badge: string, more: string[]][] = [
        ["Representative appointed", "info Appointed", ["representative", "appointed by you"]],
        ["Representative removed", "neutral Removed", ["1045", "removed by you"]],
        ["New record in your chart", "info New", ["you", "author", "Vital signs", "Self"]],
        ["Record marked as a mistake", "warn In error", ["1201", "record"]],
        [
          "Request to correct a record",
          "waiting Unanswered",
          ["correction request 5", `asked by your representative ${REPRESENTATIVE}`],
        ],
        ["Correction request answered", "bad Denied", ["correction request 6"]],
        ["Clinical trial consent signed", "info Signed", ["trial 3", "signed by account"]],
        ["Trial data sent to the sponsor", "info Sent", ["trial 3", "data batch"]],
        ["Serious adverse event recorded", "bad Life-threatening", ["adverse event 2", "1700", "reporter"]],
        ["Adverse event reported to the regulator", "good On time", ["adverse event 2", "1800", "regulator"]],
      ];
      expected.forEach(([label, tone, more], i) => {
        const tr = rows[14 + i]!;
        expect(text(tr), label).to.include(label);
        expect(badge(tr), label).to.equal(tone);
        for (const words of more) expect(text(tr), label).to.include(words);
      });
      expect(rows[20]).to.include(`title="${SIGNER}"`);
      // A line with a record and no category shows the record alone, not a dash before it.
      expect(rows[17]).to.not.match(/<td>\s*<span class="muted">–<\/span>\s*<div class="muted">\s*record/);

      // A correction request's own line shows its answer once the report holds it.
      const accepted = other(25, MARCH_4 + 8 * DAY, {
        kind: "amendment-resolved",
        contract: "record-registry",
        event: "AmendmentAccepted",
        record: tx(171),
        ref: "5",
        status: "Accepted",
        summary: "your correction request 5 was accepted",
      });
      const answered = tableRows(reportHtml({ ...report, rows: [...report.rows, accepted] }));
      expect(badge(answered[18]!)).to.equal("good Accepted");
      expect(badge(answered[24]!)).to.equal("good Accepted");
      // ... and an access request's answer is not a correction's, though their ids are the same.
      const sameId = { ...accepted, ref: "12", status: "Denied" };
      const apart = tableRows(reportHtml({ ...report, rows: [...report.rows, sameId] }));
      expect(badge(apart[9]!)).to.equal("bad Rejected");
    });

    it("counts only the accesses on the timeline, and says so in its caption", function () {
      const report = accessReport();
      const page = reportHtml(report);
      expect(new Map(bars(page).map((b) => [`${b.day} ${b.category}`, b.count]))).to.deep.equal(
        expectedBars(report.rows),
      );
      expect(bars(page).map((b) => b.day)).to.not.include("2024-03-11");
      const others = report.rows.filter((r) => r.kind !== "access" && r.kind !== "record-read").length;
      expect(others).to.equal(16);
      expect(page).to.include(
        `Only decisions on access to your data and record reads are counted: the ${others} other lines are in the table`,
      );
      const accessesOnly = { ...report, rows: report.rows.filter((r) => r.kind === "access") };
      expect(reportHtml(accessesOnly)).to.not.include("Only decisions on access");
    });

    it("counts a read of a record of unknown category under its own key", function () {
      const page = reportHtml(accessReport());
      const unknown = bars(page).filter((b) => b.category === "unknown");
      expect(unknown).to.deep.equal([{ day: "2024-03-07", category: "unknown", count: 1, height: unknown[0]!.height }]);
      expect(page).to.include("Category not known");
    });

    it("says so when there are no accesses, and draws no chart nor table", function () {
      const page = reportHtml(emptyReport());
      expect(page).to.include("No accesses in this period.");
      expect(page).to.not.include("<svg");
      expect(page).to.not.include('id="rows"');
      expect(bars(page)).to.have.length(0);
      expect(page).to.include('<strong class="chain-id">31337</strong>');
    });

    it("renders a HITECH access report", function () {
      const report = hitechReport();
      const page = reportHtml(report);
      expect(page).to.include("<h1>Access report (HITECH)</h1>");
      expect(tableRows(page)).to.have.length(report.rows.length);
      expect(bars(page)).to.have.length(expectedBars(report.rows).size);
    });

    it("renders an accounting of disclosures with its recipients and exemptions", function () {
      const report = accountingReport();
      const page = reportHtml(report);
      expect(page).to.include("<h1>Accounting of disclosures</h1>");
      expect(tableRows(page)).to.have.length(2);
      expect(page).to.include("State Registry, &quot;Public Health&quot;");
      expect(page).to.include("12 for treatment, payment or the running of your providers");
      expect(bars(page).map((b) => b.category)).to.deep.equal(["Immunizations", "Genomics"]);
    });

    it("renders a privacy officer's report, a finding's transactions in its row", function () {
      const report = privacyReport();
      const page = reportHtml(report);
      expect(page).to.include("<title>Privacy officer&#39;s report</title>");
      expect(page).to.not.include('class="subject"');
      const rows = tableRows(page);
      expect(rows).to.have.length(2);
      expect(rows[0]).to.include(`data-tx="${[tx(5), tx(6), tx(7)].join(" ")}"`);
      expect(bars(page).map((b) => b.category)).to.deep.equal(["denied-burst", "many-patients"]);
      expect(page).to.include("America/New_York");
    });

    it("is the same page for the same report", function () {
      expect(reportHtml(accessReport())).to.equal(reportHtml(accessReport()));
    });

    it("loads nothing from elsewhere and runs no script", function () {
      for (const report of [accessReport(), accountingReport(), privacyReport(), emptyReport()]) {
        const page = reportHtml(report);
        expect(page).to.not.match(/<script|<link|<img|<iframe|url\(|@import|src=/i);
        expect(page).to.include("default-src 'none'");
      }
    });
  });
});
