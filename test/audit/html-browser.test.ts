import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

import { reportHtml } from "../../sdk/audit/html";
import type { AccessEntryKind, AccessReport, AccessReportRow } from "../../sdk/audit/types";

/** Debian's Chromium (`apt-get install chromium`); Playwright's own browsers are never downloaded. */
const CHROMIUM = "/usr/bin/chromium";

/**
 * Skips the file where there is no Chromium at `CHROMIUM`, unless `AUDIT_BROWSER=require`, which fails instead (CI
 * sets it where Chromium is installed, so that a missing browser cannot pass for a skipped test). `AUDIT_BROWSER` is
 * `run` (the default: run where Chromium is, skip elsewhere), `require` or `skip`; call this in the `before` hook of
 * the file's outermost `describe`.
 */
function skipBrowserTestsIfAsked(context: Mocha.Context): void {
  const raw = process.env.AUDIT_BROWSER;
  if (raw !== undefined && raw !== "" && raw !== "run" && raw !== "require" && raw !== "skip") {
    throw new Error(`AUDIT_BROWSER must be "run", "require" or "skip", got ${raw}`);
  }
  if (raw === "skip") context.skip();
  if (fs.existsSync(CHROMIUM)) return;
  if (raw === "require") {
    throw new Error(`AUDIT_BROWSER=require but there is no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  }
  context.skip();
}

/** 2024-03-04T00:00:00Z. */
const START = 1_709_510_400;
const DAY = 86_400;
const HOUR = 3_600;
const CATEGORIES = ["LaboratoryResults", "Medications", "MentalHealth", "Imaging"];

/** The patient, her representative, and the auditor's account (Hardhat's second) that reviews emergency access. */
const PATIENT = "1042";
const REPRESENTATIVE = "1044";
const AUDITOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** The account that signs her trial consent (Hardhat's third), the trial's investigator and regulator, the trial. */
const SIGNER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const INVESTIGATOR = "1700";
const REGULATOR = "1800";
const TRIAL = "3";

/**
 * Nine days of a patient's history: on most days a few accesses over the categories, every fourth one denied, and
 * lines that are not accesses between them (a grant, a request and its rejection on the quiet third day, an emergency
 * session reviewed as unjustified, a revocation by her representative); the third and seventh days have no access.
 * Around them, the rest of her chart's story (`addChart`, `addTrial`): a representative appointed and resigning,
 * records written, a correction asked for and accepted, a record marked as a mistake, and a clinical trial.
 */
function sampleReport(): AccessReport {
  const rows: AccessReportRow[] = [];
  const add = (time: number, kind: AccessEntryKind, fields: Partial<AccessReportRow>) => {
    const n = rows.length + 1;
    rows.push({
      time,
      isoTime: new Date(time * 1000).toISOString(),
      blockNumber: 200 + n,
      logIndex: 0,
      txHash: "",
      contract: "consent-registry",
      event: kind === "access" ? "AccessRecorded" : "ConsentGranted",
      kind,
      outcome: null,
      participant: "1201",
      organization: "7",
      grantee: "1201",
      actor: null,
      ref: null,
      status: null,
      categories: [],
      purposes: ["Treatment"],
      basis: null,
      record: null,
      summary: "",
      ...fields,
    });
  };
  add(START + 8 * HOUR, "consent-granted", {
    organization: null,
    actor: PATIENT,
    ref: "2",
    categories: ["LaboratoryResults", "Medications"],
    summary:
      "you allowed participant 1201 to see laboratory results, medications for treatment until " +
      "2025-03-04T00:00:00Z (version 2)",
  });
  for (let day = 0; day < 9; day += 1) {
    if (day === 2) addRequest(add, START + day * DAY);
    if (day === 4) addEmergency(add, START + day * DAY);
    if (day === 2 || day === 6) continue;
    const accesses = 1 + ((day * 7) % 5);
    for (let k = 0; k < accesses; k += 1) {
      const category = CATEGORIES[(day + k * 3) % CATEGORIES.length]!;
      const denied = (rows.length + 1) % 4 === 0;
      add(START + day * DAY + (9 + k) * HOUR, "access", {
        outcome: denied ? "denied" : "allowed",
        participant: denied ? "1300" : "1201",
        organization: denied ? null : "7",
        ref: denied ? null : "2",
        categories: [category],
        basis: denied ? "NoGrant" : "Grant",
        summary: denied
          ? `participant 1300 was refused your ${words(category)} for treatment: no permission of yours covers it`
          : `participant 1201 (organization 7) saw your ${words(category)} for treatment: under your permission to ` +
            "them (version 2)",
      });
    }
  }
  add(START + 8 * DAY + 18 * HOUR, "consent-revoked", {
    event: "ConsentRevoked",
    organization: null,
    actor: REPRESENTATIVE,
    ref: "2",
    purposes: [],
    summary: `your representative (participant ${REPRESENTATIVE}) withdrew the permission of participant 1201 (version 2)`,
  });
  addChart(add);
  addTrial(add);
  // In time order, as a report is, each line in a block and transaction of its own.
  rows.sort((a, b) => a.time - b.time);
  rows.forEach((row, i) => {
    row.blockNumber = 201 + i;
    row.txHash = `0x${(i + 1).toString(16).padStart(64, "a")}`;
  });
  return {
    kind: "access-report",
    patient: "1042",
    generatedFor: { fromTime: START, toTime: START + 9 * DAY },
    source: {
      chainId: "31337",
      contracts: {
        "consent-registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "record-registry": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        "break-glass": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        "identity-registry": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
        "trial-registry": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
        "trial-safety": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
      },
      fromBlock: 1,
      toBlock: 260,
    },
    rows,
  };
}

type AddRow = (time: number, kind: AccessEntryKind, fields: Partial<AccessReportRow>) => void;

/** A request for the patient's allergies, and her rejection of it the same afternoon. */
function addRequest(add: AddRow, day: number): void {
  add(day + 10 * HOUR, "access-requested", {
    event: "AccessRequested",
    participant: "1300",
    organization: "8",
    grantee: null,
    ref: "12",
    status: "Pending",
    categories: ["Allergies"],
    summary:
      "participant 1300 (organization 8) asked to see allergies for treatment (request 12, reason code 1), to be " +
      `answered by ${new Date((day + 3 * DAY) * 1000).toISOString().replace(".000Z", "Z")}`,
  });
  add(day + 15 * HOUR, "access-request-resolved", {
    event: "AccessRequestResolved",
    participant: "1300",
    organization: null,
    grantee: null,
    actor: PATIENT,
    ref: "12",
    status: "Rejected",
    purposes: [],
    summary: "request 12 of participant 1300 was rejected by you",
  });
}

/** An emergency session at night, one access under it, and the auditor's review finding it unjustified. */
function addEmergency(add: AddRow, day: number): void {
  const session = { participant: "1400", organization: "7", ref: "31", purposes: ["EmergencyTreatment"] };
  add(day + 2 * HOUR, "break-glass-opened", {
    ...session,
    contract: "break-glass",
    event: "BreakGlassOpened",
    grantee: null,
    status: "Unjustified",
    summary:
      "participant 1400 (organization 7) opened emergency access to your records (session 31, reason code 2) until " +
      `${new Date((day + 6 * HOUR) * 1000).toISOString().replace(".000Z", "Z")}; review: Unjustified`,
  });
  add(day + 2 * HOUR + 600, "access", {
    ...session,
    grantee: "1400",
    outcome: "allowed",
    categories: ["Medications"],
    basis: "BreakGlass",
    summary:
      "participant 1400 (organization 7) saw your medications for emergency treatment: in emergency access session 31",
  });
  add(day + 8 * HOUR, "break-glass-reviewed", {
    ...session,
    contract: "break-glass",
    event: "BreakGlassReviewed",
    grantee: null,
    actor: AUDITOR,
    status: "Unjustified",
    purposes: [],
    summary: `an auditor (${AUDITOR}) found emergency access session 31 unjustified (finding code 3)`,
  });
}

/** The fields a line that is not an access leaves empty (the sample's defaults are an access's). */
function notAnAccess(): Pick<AccessReportRow, "participant" | "organization" | "grantee" | "purposes"> {
  return { participant: null, organization: null, grantee: null, purposes: [] };
}
/** Her laboratory result, its corrected version, and a note later marked as a mistake. */
const RESULT = `0x${"b1".repeat(32)}`;
const CORRECTED = `0x${"b2".repeat(32)}`;
const NOTE = `0x${"b3".repeat(32)}`;

/** Her representative appointed and resigning; records written, corrected on her request, and marked as a mistake. */
function addChart(add: AddRow): void {
  add(START + 7 * HOUR, "representative-appointed", {
    ...notAnAccess(),
    contract: "identity-registry",
    event: "RepresentativeAppointed",
    participant: REPRESENTATIVE,
    actor: PATIENT,
    summary: `you appointed participant ${REPRESENTATIVE} as your representative until 2025-03-04T00:00:00Z`,
  });
  const written = { ...notAnAccess(), contract: "record-registry", participant: "1201", organization: "7" };
  add(START + DAY + 16 * HOUR, "record-written", {
    ...written,
    event: "RecordAnchored",
    categories: ["LaboratoryResults"],
    basis: "Grant",
    record: RESULT,
    status: "anchored",
    summary: "participant 1201 (organization 7) added a laboratory result to your chart, under your permission to them",
  });
  add(START + 2 * DAY + 11 * HOUR, "amendment-requested", {
    ...notAnAccess(),
    contract: "record-registry",
    event: "AmendmentRequested",
    participant: PATIENT,
    actor: PATIENT,
    record: RESULT,
    ref: "5",
    status: "Pending",
    summary: "you asked for your record 0xb1b1b1…b1b1 (laboratory results) to be corrected (correction request 5)",
  });
  add(START + 3 * DAY + 17 * HOUR, "amendment-resolved", {
    ...notAnAccess(),
    contract: "record-registry",
    event: "AmendmentAccepted",
    record: RESULT,
    ref: "5",
    status: "Accepted",
    summary: "your correction request 5 was accepted: the record was amended",
  });
  add(START + 3 * DAY + 17 * HOUR + 60, "record-written", {
    ...written,
    event: "RecordSuperseded",
    categories: ["LaboratoryResults"],
    basis: "Grant",
    record: CORRECTED,
    status: "superseded",
    summary: "participant 1201 (organization 7) wrote a corrected version of your laboratory result",
  });
  add(START + 7 * DAY + 14 * HOUR, "record-entered-in-error", {
    ...written,
    event: "RecordEnteredInError",
    organization: null,
    record: NOTE,
    status: "entered-in-error",
    summary: "participant 1201 marked your record 0xb3b3b3…b3b3 as entered in error (reason code 1)",
  });
  add(START + 8 * DAY + 19 * HOUR, "representative-removed", {
    ...notAnAccess(),
    contract: "identity-registry",
    event: "RepresentativeRemoved",
    participant: REPRESENTATIVE,
    actor: REPRESENTATIVE,
    status: "resigned",
    summary: `participant ${REPRESENTATIVE} stopped being your representative (they resigned)`,
  });
}

/** Her clinical trial: consent and enrollment, data sent, a serious adverse event reported, unblinding, leaving. */
function addTrial(add: AddRow): void {
  const trial = { ...notAnAccess(), contract: "trial-registry", ref: TRIAL };
  add(START + 5 * DAY + 15 * HOUR, "trial", {
    ...trial,
    event: "ConsentSigned",
    actor: SIGNER,
    status: "consent-signed",
    summary: `your consent to clinical trial ${TRIAL} (form version 1) was signed by account ${SIGNER}`,
  });
  add(START + 5 * DAY + 15 * HOUR, "trial", {
    ...trial,
    event: "ParticipantEnrolled",
    status: "enrolled",
    summary: `you were enrolled in clinical trial ${TRIAL} at site 1`,
  });
  add(START + 6 * DAY + 12 * HOUR, "trial-data", {
    ...trial,
    event: "DataAnchored",
    record: `0x${"c4".repeat(32)}`,
    summary: `site 1 of clinical trial ${TRIAL} sent the trial's sponsor a batch of case-report data that includes yours`,
  });
  add(START + 6 * DAY + 15 * HOUR, "adverse-event", {
    ...trial,
    contract: "trial-safety",
    event: "AdverseEventRecorded",
    participant: INVESTIGATOR,
    ref: "2",
    status: "serious",
    summary: `participant ${INVESTIGATOR} recorded a serious adverse event of yours in clinical trial ${TRIAL} (event 2)`,
  });
  add(START + 6 * DAY + 16 * HOUR, "trial", {
    ...trial,
    event: "EmergencyUnblinded",
    participant: INVESTIGATOR,
    status: "unblinded",
    summary: `participant ${INVESTIGATOR} learned your treatment in clinical trial ${TRIAL} in an emergency`,
  });
  add(START + 7 * DAY + 9 * HOUR, "adverse-event-reported", {
    ...trial,
    contract: "trial-safety",
    event: "SusarReported",
    participant: REGULATOR,
    ref: "2",
    status: "on time",
    summary: `adverse event 2 was reported to the trial's regulator (participant ${REGULATOR}) before its deadline`,
  });
  add(START + 8 * DAY + 11 * HOUR, "trial", {
    ...trial,
    event: "ParticipantWithdrawn",
    participant: PATIENT,
    status: "withdrawn",
    summary: `you left clinical trial ${TRIAL} (reason code 1)`,
  });
}

/** `LaboratoryResults` → "laboratory results", as a report's summaries name a category. */
function words(category: string): string {
  return category.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** How many (day, category) pairs the accesses cover: the chart's bars. */
function barCount(report: AccessReport): number {
  const pairs = report.rows
    .filter((r) => r.kind === "access" || r.kind === "record-read")
    .flatMap((r) => r.categories.map((c) => `${r.isoTime.slice(0, 10)} ${c}`));
  return new Set(pairs).size;
}

describe("audit report HTML in a browser", function () {
  let browser: Browser | undefined;
  let page: Page;
  let work: string;
  let url: string;
  const report = sampleReport();
  const problems: string[] = [];
  const requests: string[] = [];

  before(async function () {
    skipBrowserTestsIfAsked(this);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-audit-html-"));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => requests.push(request.url()));
    const file = path.join(work, "access-report.html");
    fs.writeFileSync(file, reportHtml(report, { generatedAt: "2024-03-13T09:00:00Z" }));
    url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: "load" });
  });

  after(async function () {
    await browser?.close();
  });

  it("shows every row, the chart's bars and the footer, with no error", async function () {
    expect(await page.locator("#rows tbody tr").count()).to.equal(report.rows.length);
    expect(await page.locator("#rows tbody tr[data-tx]").first().getAttribute("data-tx")).to.equal(
      report.rows[0]!.txHash,
    );
    const chart = page.locator('#timeline svg[role="img"]');
    expect(await chart.count()).to.equal(1);
    expect(await chart.getAttribute("aria-label")).to.match(/^Bar chart of accesses per day/);
    expect(await page.locator("#timeline svg .bar").count()).to.equal(barCount(report));
    const box = await chart.boundingBox();
    expect(box?.width).to.be.greaterThan(300);
    expect(await page.locator(".legend li").count()).to.equal(CATEGORIES.length);
    expect(await page.locator("#source").innerText()).to.include("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    const rowOf = (kind: AccessEntryKind) =>
      page.locator("#rows tbody tr").nth(report.rows.findIndex((r) => r.kind === kind));
    expect(await rowOf("consent-granted").innerText()).to.include("given by you");
    expect(await rowOf("consent-revoked").innerText()).to.include(`withdrawn by your representative ${REPRESENTATIVE}`);
    expect(await rowOf("access-requested").locator(".badge").innerText()).to.equal("Rejected");
    expect(await rowOf("access-request-resolved").innerText()).to.include("request 12");
    expect(await rowOf("break-glass-reviewed").locator(".badge").innerText()).to.equal("Unjustified");
    expect(await rowOf("break-glass-reviewed").innerText()).to.include("reviewed by auditor");

    // The chart counts the accesses only, and says so: the rest of her chart's story is in the table.
    const others = report.rows.filter((r) => r.kind !== "access" && r.kind !== "record-read").length;
    expect(await page.locator("#timeline figcaption").innerText()).to.include(
      `Only decisions on access to your data and record reads are counted: the ${others} other lines`,
    );
    const badgeOf = async (kind: AccessEntryKind, status: string | null = null) =>
      page
        .locator("#rows tbody tr")
        .nth(report.rows.findIndex((r) => r.kind === kind && (status === null || r.status === status)))
        .locator(".badge")
        .innerText();
    expect(await badgeOf("representative-appointed")).to.equal("Appointed");
    expect(await badgeOf("representative-removed")).to.equal("Resigned");
    expect(await badgeOf("record-written", "anchored")).to.equal("New");
    expect(await badgeOf("record-written", "superseded")).to.equal("New version");
    expect(await badgeOf("record-entered-in-error")).to.equal("In error");
    expect(await badgeOf("amendment-requested")).to.equal("Accepted");
    expect(await badgeOf("amendment-resolved")).to.equal("Accepted");
    expect(await badgeOf("trial", "consent-signed")).to.equal("Signed");
    expect(await badgeOf("trial", "enrolled")).to.equal("Enrolled");
    expect(await badgeOf("trial", "unblinded")).to.equal("Unblinded");
    expect(await badgeOf("trial", "withdrawn")).to.equal("Withdrawn");
    expect(await badgeOf("trial-data")).to.equal("Sent");
    expect(await badgeOf("adverse-event")).to.equal("Serious");
    expect(await badgeOf("adverse-event-reported")).to.equal("On time");
    expect(await rowOf("representative-appointed").innerText()).to.include("appointed by you");
    expect(await rowOf("representative-removed").innerText())
      .to.include("representative")
      .and.not.include(" by ");
    expect(await rowOf("amendment-requested").innerText())
      .to.include("correction request 5")
      .and.include("asked by you");
    expect(await rowOf("trial").innerText())
      .to.include("Clinical trial consent signed")
      .and.include("signed by account");
    expect(await rowOf("trial-data").innerText()).to.include("data batch");
    expect(await rowOf("adverse-event-reported").innerText()).to.include("regulator");

    const shot = path.join(work, "access-report.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).to.be.greaterThan(0);
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).to.equal("PNG");

    expect(problems).to.deep.equal([]);
    expect(requests).to.deep.equal([url]);
  });

  it("prints the whole transaction hashes", async function () {
    await page.emulateMedia({ media: "print" });
    const full = page.locator("#rows tbody tr .tx .full").first();
    expect(await full.isVisible()).to.be.true;
    expect(await page.locator("#rows tbody tr .tx .short").first().isVisible()).to.be.false;
    await page.screenshot({ path: path.join(work, "access-report-print.png"), fullPage: true });
    await page.emulateMedia({ media: "screen" });
    expect(problems).to.deep.equal([]);
  });
});
