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

/**
 * Nine days of a patient's history: on most days a few accesses over the categories, every fourth one denied, and
 * lines that are not accesses (grants, a revocation) between them; the third and seventh days are quiet.
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
      txHash: `0x${n.toString(16).padStart(64, "a")}`,
      contract: "consent-registry",
      event: kind === "access" ? "AccessRecorded" : "ConsentGranted",
      kind,
      outcome: null,
      participant: "1201",
      organization: "7",
      grantee: "1201",
      categories: [],
      purposes: ["Treatment"],
      basis: null,
      record: null,
      summary: "",
      ...fields,
    });
  };
  add(START + 8 * HOUR, "consent-granted", {
    categories: ["LaboratoryResults", "Medications"],
    summary: "you allowed participant 1201 to see your laboratory results and medications for treatment",
  });
  for (let day = 0; day < 9; day += 1) {
    if (day === 2 || day === 6) continue;
    const accesses = 1 + ((day * 7) % 5);
    for (let k = 0; k < accesses; k += 1) {
      const category = CATEGORIES[(day + k * 3) % CATEGORIES.length]!;
      const denied = (rows.length + 1) % 4 === 0;
      add(START + day * DAY + (9 + k) * HOUR, "access", {
        outcome: denied ? "denied" : "allowed",
        participant: denied ? "1300" : "1201",
        organization: denied ? null : "7",
        categories: [category],
        basis: denied ? "NoGrant" : "Grant",
        summary: `participant ${denied ? "1300 was refused" : "1201 saw"} your ${words(category)} for treatment`,
      });
    }
  }
  add(START + 8 * DAY + 18 * HOUR, "consent-revoked", {
    event: "ConsentRevoked",
    purposes: [],
    summary: "you withdrew participant 1201's permission",
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
      },
      fromBlock: 1,
      toBlock: 260,
    },
    rows,
  };
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
