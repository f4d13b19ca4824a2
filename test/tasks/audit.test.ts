import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";

import type {
  AccessReport,
  AccountingOfDisclosures,
  HitechAccessReport,
  PrivacyOfficerReport,
} from "../../sdk/audit/types";
import { followed } from "../../sdk/audit/indexer";
import { type Deployment, loadDeployment } from "../../sdk/core/deployment";
import { anvilAvailable, startTaskNode, type TaskNode, type TaskResult, field, refusal } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

// The audit tasks through the command line against a real node: a short consent history scripted with the other
// tasks, indexed into an embedded database, then each report written and read back against that history, and the
// one-line refusals an operator meets. One node and one indexed database for the whole file: the reports reuse the
// database the first index run fills (`indexed()`), so any test can also run alone.

const REGISTRAR = "2";
/** Development accounts acting in the history (registered in `before`, participant ids in this order). */
const HOSPITAL = "5"; // participant 1, an organization authorized for emergencies
const DOCTOR = "6"; // participant 2, a practitioner of the hospital
const SPONSOR = "7"; // participant 3, a research sponsor
const PATIENT = "8"; // participant 4
const IDS = { hospital: "1", doctor: "2", sponsor: "3", patient: "4" };

const DAY_MS = 86_400_000;
/** A day `days` from now, as YYYY-MM-DD. */
const dayFromNow = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
/** The day after `day` (YYYY-MM-DD). */
const dayAfter = (day: string): string => new Date(Date.parse(day) + DAY_MS).toISOString().slice(0, 10);

/** The files a report run wrote into `dir`, sorted. */
const filesIn = (dir: string): string[] => fs.readdirSync(dir).sort();

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, "utf8"));

describe("tasks: audit", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  /** The database the reports read, filled by the first `indexed()`. */
  let db: string;
  let firstIndex: Promise<string> | undefined;
  /** The block the deployment starts at, and the last block of the history. */
  let firstBlock: number;
  let lastBlock: number;
  /** The transactions of the scripted accesses, to find them in the reports. */
  const tx: Record<"sponsorRead" | "doctorRead" | "denied1" | "denied2" | "breakGlass", string> = {
    sponsorRead: "",
    doctorRead: "",
    denied1: "",
    denied2: "",
    breakGlass: "",
  };
  const file = (name: string): string => path.join(node.work, name);
  const deployment = (): Deployment => loadDeployment(BigInt(node.chainId));
  const run = async (...argv: string[]): Promise<TaskResult> => {
    const result = await node.run(...argv);
    if (process.env.SHOW === "1") console.log(`$ ${argv.join(" ")}\n${result.output}`);
    return result;
  };
  const ok = async (...argv: string[]): Promise<string> => {
    const result = await run(...argv);
    expect(result.code, result.output).to.equal(0);
    return result.output;
  };
  /** The first index run into `db` (its output), run once for the whole file. */
  const indexed = (): Promise<string> => (firstIndex ??= ok("careledger:audit:index", "--db", db, "--quiet"));
  const printedTx = (output: string): string => {
    const hash = /0x[0-9a-f]{64}/.exec(field(output, "tx"))?.[0];
    if (hash === undefined) throw new Error(`no transaction in:\n${output}`);
    return hash;
  };

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(180_000);
    node = await startTaskNode();
    db = file("audit-db");
    await ok("careledger:deploy", "--parameters", "localhost");
    firstBlock = deployment().deployedAtBlock ?? 0;
    await scriptHistory();
    lastBlock = Number(await node.rpc<string>("eth_blockNumber"));
  });
  after(function () {
    (node as TaskNode | undefined)?.stop();
  });

  /**
   * The history the reports are checked against: the patient's record, a research grant to the sponsor and a treatment
   * grant to the hospital; the sponsor reads for research (a disclosure), the doctor for treatment (under the
   * hospital's grant, which nothing in the ledger explains), then twice for payment, which no grant covers (a burst
   * of denials); and the doctor breaks glass, never reviewed.
   */
  async function scriptHistory(): Promise<void> {
    const register = (kind: string, account: string, ...extra: string[]) =>
      ok(
        ...["careledger:identity:register", "--kind", kind, "--controller", account],
        ...["--credential", `licence ${kind} ${account}`, "--expires", "2040-01-01", ...extra, "--from", REGISTRAR],
      );
    expect(await register("organization", HOSPITAL)).to.contain(`Participant ${IDS.hospital} registered`);
    expect(await register("practitioner", DOCTOR, "--affiliation", IDS.hospital)).to.contain(
      `Participant ${IDS.doctor} registered`,
    );
    await ok("careledger:identity:accept-affiliate", "--id", IDS.doctor, "--from", HOSPITAL);
    expect(await register("research-sponsor", SPONSOR)).to.contain(`Participant ${IDS.sponsor} registered`);
    expect(await ok("careledger:identity:register-patient", "--from", PATIENT)).to.contain(
      `Patient ${IDS.patient} registered`,
    );
    await ok("careledger:consent:authorize-emergency", "--organization", IDS.hospital, "--from", REGISTRAR);

    // The patient's own laboratory result, sealed for a key the readers share (the test's shortcut).
    const keyFile = file("reader.key");
    const store = file("blobs");
    await ok("careledger:keys:new", "--out", keyFile);
    fs.writeFileSync(
      file("observation.json"),
      JSON.stringify({
        resourceType: "Observation",
        status: "final",
        category: [{ coding: [{ code: "laboratory" }] }],
        code: { coding: [{ system: "http://loinc.org", code: "2823-3" }] },
        valueQuantity: { value: 4.1, unit: "mmol/L" },
      }),
    );
    const anchored = await ok(
      ...["careledger:record:anchor", "--file", file("observation.json"), "--patient", IDS.patient],
      ...["--key-file", keyFile, "--store", store, "--from", PATIENT],
    );
    const blob = field(anchored, "blob");

    const grant = (grantee: string, purposes: string) =>
      ok(
        ...["careledger:consent:grant", "--patient", IDS.patient, "--grantee", grantee],
        ...["--categories", "laboratory-results", "--purposes", purposes, "--days", "30", "--from", PATIENT],
      );
    await grant(IDS.sponsor, "research");
    await grant(IDS.hospital, "treatment");

    const read = (from: string, purpose: string) =>
      run(
        ...["careledger:record:verify", "--patient", IDS.patient, "--blob", blob, "--key-file", keyFile],
        ...["--store", store, "--purpose", purpose, "--from", from],
      );
    const latestTx = async (): Promise<string> => {
      const block = await node.rpc<{ transactions: string[] }>("eth_getBlockByNumber", ["latest", false]);
      return block.transactions.at(-1) ?? "";
    };
    expect((await read(SPONSOR, "research")).code).to.equal(0);
    tx.sponsorRead = await latestTx();
    expect((await read(DOCTOR, "treatment")).code).to.equal(0);
    tx.doctorRead = await latestTx();
    for (const attempt of ["denied1", "denied2"] as const) {
      expect(refusal(await read(DOCTOR, "payment"))).to.match(
        /^access to 0x[0-9a-f]{64} denied \(NoGrant\); recorded on chain$/,
      );
      tx[attempt] = await latestTx();
    }
    const broke = await ok(
      "careledger:consent:break-glass",
      ...["--patient", IDS.patient, "--reason", "life-threatening", "--hours", "1", "--from", DOCTOR],
    );
    tx.breakGlass = printedTx(broke);
  }

  describe("careledger:audit:index", function () {
    it("indexes the deployment's events, states what it covers, and finds none new on a second run", async function () {
      this.timeout(60_000);
      const first = await indexed();
      expect(first.split("\n")[0]).to.equal(`indexed chain ${node.chainId} into PGlite (${db})`);
      expect(field(first, "blocks")).to.match(new RegExp(`^\\d+ \\(${firstBlock} to ${lastBlock}\\)$`));
      expect(field(first, "events")).to.match(/^\d+ new, \d+ a second$/);
      expect(field(first, "covered")).to.equal(`${firstBlock}-${lastBlock}`);
      expect(field(first, "confirmations")).to.equal("0");

      const again = await ok("careledger:audit:index", "--db", db, "--quiet");
      expect(field(again, "blocks")).to.equal("none new (up to date)");
      expect(field(again, "events")).to.equal("0 new");
      expect(field(again, "covered")).to.equal(`${firstBlock}-${lastBlock}`);
    });

    it("stops at --to-block, picks up the rest on the next run, and starts over with --reset", async function () {
      this.timeout(60_000);
      const partial = file("audit-db-partial");
      const middle = Math.floor((firstBlock + lastBlock) / 2);
      const index = (...extra: string[]) => ok("careledger:audit:index", "--db", partial, "--quiet", ...extra);
      const events = (output: string): number => Number(/^(\d+) new/.exec(field(output, "events"))?.[1]);

      const head = await index("--to-block", String(middle));
      expect(field(head, "blocks")).to.equal(`${middle - firstBlock + 1} (${firstBlock} to ${middle})`);
      expect(field(head, "covered")).to.equal(`${firstBlock}-${middle}`);
      // A report past what is indexed is refused, naming the hole.
      expect(
        refusal(
          await run(
            ...["careledger:audit:access-report", "--patient", IDS.patient, "--db", partial],
            ...["--to-block", String(lastBlock), "--out", file("refused")],
          ),
        ),
      ).to.equal(
        `blocks ${middle + 1} to ${lastBlock} of chain ${node.chainId} are not indexed: run careledger:audit:index ` +
          "before reporting on them",
      );
      expect(fs.existsSync(file("refused"))).to.equal(false);

      const tail = await index();
      expect(field(tail, "blocks")).to.equal(`${lastBlock - middle} (${middle + 1} to ${lastBlock})`);
      expect(field(tail, "covered")).to.equal(`${firstBlock}-${lastBlock}`);
      const whole = events(await indexed());
      expect(events(head) + events(tail)).to.equal(whole);

      const reset = await index("--reset");
      expect(reset.split("\n")[0]).to.equal(`dropped everything ${partial} held for chain ${node.chainId}`);
      expect(field(reset, "blocks")).to.equal(`${lastBlock - firstBlock + 1} (${firstBlock} to ${lastBlock})`);
      expect(events(reset)).to.equal(whole);
    });
  });

  describe("careledger:audit:verify", function () {
    it("recounts the node's logs, finds the database holds the same, and exits 0", async function () {
      this.timeout(60_000);
      const events = Number(/^(\d+) new/.exec(field(await indexed(), "events"))?.[1]);
      const verified = await ok("careledger:audit:verify", "--db", db);
      expect(verified.split("\n")[0]).to.equal(`verified chain ${node.chainId}, blocks ${firstBlock} to ${lastBlock}`);
      expect(field(verified, "node logs")).to.equal(String(events));
      expect(field(verified, "database events")).to.equal(String(events));
      expect(field(verified, "not indexed")).to.equal("none");
      expect(field(verified, "missing")).to.equal("0");
      expect(field(verified, "extra")).to.equal("0");
    });
  });

  describe("careledger:audit:access-report", function () {
    it("writes the patient's report as JSON, CSV, HTML and FHIR: the grants, the accesses allowed and denied", async function () {
      this.timeout(60_000);
      await indexed();
      const out = file("access-report");
      const printed = await ok("careledger:audit:access-report", "--patient", IDS.patient, "--db", db, "--out", out);
      // Named by the patient and the last block it covers, so that a later report does not replace it.
      const base = (filesIn(out)[0] ?? "").replace(/\.csv$/, "");
      expect(base).to.match(new RegExp(`^access-report-patient-${IDS.patient}-block-\\d+$`));
      expect(filesIn(out)).to.deep.equal([`${base}.csv`, `${base}.fhir.json`, `${base}.html`, `${base}.json`]);
      expect(printed.split("\n")[0]).to.equal(`access report of patient ${IDS.patient}: 8 line(s)`);
      expect(field(printed, "accesses allowed")).to.equal("2");
      expect(field(printed, "accesses denied")).to.equal("2");
      expect(field(printed, "break-glass sessions")).to.equal("1");
      expect(field(printed, "consent changes")).to.equal("2");
      expect(printed).to.contain(
        `\n  source: chain ${node.chainId}, blocks ${firstBlock} to ${lastBlock} (regenerating from the chain gives ` +
          "the same rows)\n",
      );

      const report = readJson(path.join(out, `${base}.json`)) as AccessReport;
      expect(report.source).to.include({ chainId: String(node.chainId), fromBlock: firstBlock, toBlock: lastBlock });
      expect(report.source.contracts).to.deep.equal(
        Object.fromEntries(followed(deployment()).map(({ name, address }) => [name, address])),
      );
      const rows = report.rows.map((r) => [r.kind, r.outcome, r.participant, r.organization, r.grantee, r.basis]);
      expect(rows).to.deep.equal([
        // kind, outcome, participant, organization it acted for, whose grant decided (or is named), basis
        ["record-written", null, IDS.patient, null, null, "Self"],
        ["consent-granted", null, IDS.sponsor, null, IDS.sponsor, null],
        ["consent-granted", null, IDS.hospital, null, IDS.hospital, null],
        ["record-read", "allowed", IDS.sponsor, null, IDS.sponsor, "Grant"],
        ["record-read", "allowed", IDS.doctor, IDS.hospital, IDS.hospital, "OrganizationGrant"],
        ["record-read", "denied", IDS.doctor, IDS.hospital, null, "NoGrant"],
        ["record-read", "denied", IDS.doctor, IDS.hospital, null, "NoGrant"],
        ["break-glass-opened", null, IDS.doctor, IDS.hospital, null, null],
      ]);
      expect(report.rows.map((r) => `${r.categories.join()} for ${r.purposes.join()}`)).to.deep.equal([
        "LaboratoryResults for ",
        "LaboratoryResults for Research",
        "LaboratoryResults for Treatment",
        "LaboratoryResults for Research",
        "LaboratoryResults for Treatment",
        "LaboratoryResults for Payment",
        "LaboratoryResults for Payment",
        " for EmergencyTreatment",
      ]);
      expect(report.rows.slice(3).map((row) => row.txHash)).to.deep.equal([
        tx.sponsorRead,
        tx.doctorRead,
        tx.denied1,
        tx.denied2,
        tx.breakGlass,
      ]);
      // The patient gave both grants herself.
      expect(report.rows.map((row) => row.actor)).to.deep.equal([
        null,
        IDS.patient,
        IDS.patient,
        null,
        null,
        null,
        null,
        null,
      ]);

      // The other files are the same rows: one CSV record each, one AuditEvent each, and the HTML page's footer
      // states the source's blocks.
      const csv = fs.readFileSync(path.join(out, `${base}.csv`), "utf8").split("\r\n");
      expect(csv[0]).to.match(/^patient,isoTime,time,kind,outcome,participant,/);
      expect(csv.filter((line) => line !== "")).to.have.length(report.rows.length + 1);
      const bundle = readJson(path.join(out, `${base}.fhir.json`)) as {
        resourceType: string;
        entry: { resource: { resourceType: string } }[];
      };
      expect(bundle.resourceType).to.equal("Bundle");
      expect(bundle.entry.map((entry) => entry.resource.resourceType)).to.deep.equal(
        report.rows.map(() => "AuditEvent"),
      );
      const html = fs.readFileSync(path.join(out, `${base}.html`), "utf8");
      expect(html).to.contain(`<strong class="from-block">${firstBlock}</strong>`);
      expect(html).to.contain(`<strong class="to-block">${lastBlock}</strong>`);
    });

    it("writes only the formats --formats names", async function () {
      this.timeout(60_000);
      await indexed();
      const out = file("access-report-json");
      const printed = await ok(
        ...["careledger:audit:access-report", "--patient", IDS.patient, "--db", db],
        ...["--out", out, "--formats", "json"],
      );
      expect(filesIn(out)).to.have.length(1);
      expect(filesIn(out)[0]).to.match(new RegExp(`^access-report-patient-${IDS.patient}-block-\\d+\\.json$`));
      // Asked again, the task keeps the file it wrote, unless told to replace it.
      const again = await run(
        ...["careledger:audit:access-report", "--patient", IDS.patient, "--db", db],
        ...["--out", out, "--formats", "json"],
      );
      expect(refusal(again)).to.match(
        / exists: keep it \(write into another --out directory\) or replace it with --force$/,
      );
      await ok(
        ...["careledger:audit:access-report", "--patient", IDS.patient, "--db", db],
        ...["--out", out, "--formats", "json", "--force"],
      );
      expect(printed.split("\n").filter((line) => line.startsWith("  wrote "))).to.have.length(1);
    });
  });

  describe("careledger:audit:accounting", function () {
    it("lists the research disclosure by the recipient's name from --directory, and HITECH's report with --hitech", async function () {
      this.timeout(60_000);
      await indexed();
      const out = file("accounting");
      const directory = file("directory.json");
      fs.writeFileSync(
        directory,
        JSON.stringify({ [IDS.sponsor]: { name: "Northwind Research", address: "1 Harbour Road, Portsmouth" } }),
      );
      const requestDate = dayFromNow(1);
      const printed = await ok(
        ...["careledger:audit:accounting", "--patient", IDS.patient, "--request-date", requestDate],
        ...["--directory", directory, "--hitech", "--db", db, "--out", out],
      );
      const accountingBase = `accounting-of-disclosures-patient-${IDS.patient}-${dayAfter(requestDate)}`;
      const hitechBase = `hitech-access-report-patient-${IDS.patient}-${dayAfter(requestDate)}`;
      expect(filesIn(out)).to.deep.equal(
        [accountingBase, hitechBase].flatMap((base) => [`${base}.csv`, `${base}.html`, `${base}.json`]),
      );
      expect(printed.split("\n")[0]).to.equal(
        `accounting of disclosures of patient ${IDS.patient}, requested ${dayAfter(requestDate)}T00:00:00Z`,
      );
      expect(field(printed, "disclosures")).to.equal("1");
      expect(field(printed, "left out")).to.equal(
        "1 treatment-payment-operations, 0 to-the-individual, 0 authorization",
      );
      expect(printed).to.contain("HITECH access report: 2 access(es) in three years");

      const accounting = readJson(path.join(out, `${accountingBase}.json`)) as AccountingOfDisclosures;
      expect(accounting.source).to.include({ fromBlock: firstBlock, toBlock: lastBlock });
      expect(accounting.disclosures).to.have.length(1);
      expect(accounting.disclosures[0]).to.include({
        recipient: IDS.sponsor,
        recipientName: "Northwind Research",
        recipientAddress: "1 Harbour Road, Portsmouth",
        category: "LaboratoryResults",
        purpose: "Research",
        basis: "Grant",
        txHash: tx.sponsorRead,
      });
      const hitech = readJson(path.join(out, `${hitechBase}.json`)) as HitechAccessReport;
      expect(hitech.rows.map((row) => row.txHash)).to.deep.equal([tx.sponsorRead, tx.doctorRead]);
    });
  });

  describe("careledger:audit:privacy", function () {
    it("flags the denied burst, the after-hours and unexplained accesses and the unreviewed break-glass", async function () {
      this.timeout(60_000);
      await indexed();
      // A one-hour working day twelve hours from the hour of the history (a minute long): both reads are after hours.
      // One patient makes no many-patients finding, even at the lowest threshold.
      const latest = await node.rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
      const start = (new Date(Number(latest.timestamp) * 1000).getUTCHours() + 12) % 24;
      const out = file("privacy");
      const printed = await ok(
        ...["careledger:audit:privacy", "--burst", "2/60", "--workday", `${start}-${start + 1}`],
        ...["--unreviewed-days", "0", "--max-patients", "1", "--db", db, "--out", out, "--formats", "json"],
      );
      const day = new Date(Number(latest.timestamp) * 1000).toISOString().slice(0, 10);
      const [name] = filesIn(out);
      expect(filesIn(out)).to.have.length(1);
      expect(name).to.match(new RegExp(`^privacy-officer-report-${day}-block-\\d+\\.json$`));
      const report = readJson(path.join(out, name ?? "")) as PrivacyOfficerReport;
      expect(report.thresholds).to.include({
        deniedBurstCount: 2,
        deniedBurstMinutes: 60,
        workdayStartHour: start,
        workdayEndHour: start + 1,
        unreviewedDays: 0,
        maxPatientsPerDay: 1,
        timeZone: "UTC",
      });
      const findings = report.findings.map((f) => ({
        kind: f.kind,
        participant: f.participant,
        patient: f.patient,
        txHashes: f.txHashes,
      }));
      expect(findings).to.have.deep.members([
        { kind: "after-hours", participant: IDS.sponsor, patient: IDS.patient, txHashes: [tx.sponsorRead] },
        { kind: "after-hours", participant: IDS.doctor, patient: IDS.patient, txHashes: [tx.doctorRead] },
        { kind: "unexplained-access", participant: IDS.doctor, patient: IDS.patient, txHashes: [tx.doctorRead] },
        { kind: "denied-burst", participant: IDS.doctor, patient: IDS.patient, txHashes: [tx.denied1, tx.denied2] },
        { kind: "unreviewed-break-glass", participant: IDS.doctor, patient: IDS.patient, txHashes: [tx.breakGlass] },
      ]);
      expect(report.findings.find((f) => f.kind === "denied-burst")?.why).to.equal(
        `participant ${IDS.doctor} (organization ${IDS.hospital}) was denied 2 times in 1 minute (threshold 2 within 60), ` +
          "on 1 patient",
      );
      expect(printed.split("\n")[0]).to.match(/^privacy officer's report as of \S+: 5 finding\(s\)$/);
      expect(field(printed, "after-hours")).to.equal("2");
      expect(field(printed, "denied-burst")).to.equal("1");
    });
  });

  describe("refusals", function () {
    it("refuses an unknown format, and thresholds out of shape or range: burst, working day, time zone, patients", async function () {
      this.timeout(60_000);
      await indexed();
      const out = ["--db", db, "--out", file("refused")];
      expect(
        refusal(await run("careledger:audit:access-report", "--patient", IDS.patient, "--formats", "pdf", ...out)),
      ).to.equal('--formats must list json, csv, html or fhir, comma-separated; got "pdf"');
      const privacy = (...argv: string[]) => run("careledger:audit:privacy", ...argv, ...out);
      expect(refusal(await privacy("--burst", "3"))).to.equal('--burst must be COUNT/MINUTES (3/60), got "3"');
      expect(refusal(await privacy("--workday", "19-7"))).to.equal(
        '--workday must start before it ends, in hours from 0 to 24 (7-19), got "19-7"',
      );
      expect(refusal(await privacy("--time-zone", "Mars/Olympus"))).to.equal(
        'the time zone "Mars/Olympus" is not an IANA time zone (America/New_York)',
      );
      expect(refusal(await privacy("--max-patients", "0"))).to.equal("--max-patients must be 1 or more, got 0");
      expect(fs.existsSync(file("refused"))).to.equal(false);
    });

    it("refuses a directory file that is not JSON, or does not name recipients by participant id", async function () {
      this.timeout(60_000);
      await indexed();
      const accounting = (directory: string) =>
        run(
          ...["careledger:audit:accounting", "--patient", IDS.patient, "--directory", directory],
          ...["--db", db, "--out", file("refused")],
        );
      const broken = file("broken-directory.json");
      fs.writeFileSync(broken, '{"3": {"name": "Northwind Research",}}');
      expect(refusal(await accounting(broken))).to.match(new RegExp(`^--directory ${broken}: .*JSON`));
      const unnamed = file("unnamed-directory.json");
      fs.writeFileSync(unnamed, JSON.stringify({ [IDS.sponsor]: "Northwind Research" }));
      expect(refusal(await accounting(unnamed))).to.equal(
        `--directory ${unnamed}: entry "${IDS.sponsor}" must be a participant id with {"name": "…", "address": "…"}`,
      );
    });

    it("refuses --db beside DATABASE_URL, with exit code 1 on the command line", async function () {
      this.timeout(60_000);
      const cli = await node.cli(["careledger:audit:verify", "--db", db], {
        DATABASE_URL: "postgres://careledger@127.0.0.1:1/audit",
      });
      expect(cli.code, cli.output).to.equal(1);
      expect(cli.output.trim()).to.equal(
        "Error in plugin careledger: --db names an embedded database, but DATABASE_URL names a server: give one of them",
      );
    });

    it("refuses a report from a database that never indexed the chain", async function () {
      this.timeout(60_000);
      expect(
        refusal(
          await run(
            ...["careledger:audit:access-report", "--patient", IDS.patient, "--db", file("empty-db")],
            ...["--out", file("refused")],
          ),
        ),
      ).to.equal(`the audit database holds nothing for chain ${node.chainId}: run careledger:audit:index first`);
    });
  });
});
