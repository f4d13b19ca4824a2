import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";

import type { AuditDatabase } from "../sdk/audit/db";
import type { ReportFormat } from "../sdk/audit/files";
import type { AuditReport, Directory, PrivacyThresholds } from "../sdk/audit/types";
import { chainTime, deploymentOf, fail, iso, periodEnd, print, TIME_HELP, wholeNumber } from "./util";

const DB_HELP =
  "The embedded database's directory (PGlite; default .careledger/audit in the project). Set DATABASE_URL " +
  "(postgres://user:password@host:5432/db) to use a PostgreSQL server instead";
const SCHEMA_HELP = "With DATABASE_URL: the schema to keep the audit tables in (default: the server's public schema)";
const OUT_HELP = "Directory to write the report files into (default .careledger/reports in the project)";
const FORMATS_HELP = "Comma-separated file formats: json, csv, html, fhir (the access report only)";

/** Opens the audit database the options name, saying which in one line when it cannot. */
async function database(
  hre: HardhatRuntimeEnvironment,
  args: { db?: string; schema?: string },
): Promise<AuditDatabase> {
  const { openDatabase } = await import("../sdk/audit/db");
  const url = process.env.DATABASE_URL?.trim();
  if (url !== undefined && url !== "" && args.db !== undefined) {
    fail("--db names an embedded database, but DATABASE_URL names a server: give one of them");
  }
  const dir = args.db === undefined ? path.join(hre.config.paths.root, ".careledger", "audit") : path.resolve(args.db);
  try {
    return await openDatabase(
      url === undefined || url === "" ? { dir, schema: args.schema } : { url, schema: args.schema },
    );
  } catch (error) {
    const where = url === undefined || url === "" ? `the embedded database in ${dir}` : "the server DATABASE_URL names";
    fail(`cannot open ${where}: ${(error as Error).message}`);
  }
}

/** Runs `body` with the database open, closing it however the body ends. */
async function withDatabase<T>(
  hre: HardhatRuntimeEnvironment,
  args: { db?: string; schema?: string },
  body: (db: AuditDatabase) => Promise<T>,
): Promise<T> {
  const db = await database(hre, args);
  try {
    return await body(db);
  } catch (error) {
    // The SDK's refusals (a hole, another deployment, a threshold out of range) are one line for the operator.
    const { AuditError } = await import("../sdk/audit/errors");
    if (error instanceof AuditError) fail(error.message);
    throw error;
  } finally {
    await db.close();
  }
}

function formatsOption(value: string): ReportFormat[] {
  const names = value
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  const known = ["json", "csv", "html", "fhir"];
  const unknown = names.filter((name) => !known.includes(name));
  if (names.length === 0 || unknown.length > 0) {
    fail(`--formats must list json, csv, html or fhir, comma-separated; got "${value}"`);
  }
  return [...new Set(names)] as ReportFormat[];
}

function blockOption(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const block = wholeNumber(option, value);
  if (block > BigInt(Number.MAX_SAFE_INTEGER)) fail(`--${option} ${value} is past any block a node can have`);
  return Number(block);
}

/**
 * Refuses a report that would leave out events the chain already has: any log of the followed contracts after the
 * last block the database holds. (`--to-block` asks for a report on what is indexed, and skips this.)
 */
async function requireUpToDate(hre: HardhatRuntimeEnvironment, source: AuditReport["source"]): Promise<void> {
  const { queryInRanges } = await import("../sdk/core/logs");
  const provider = hre.ethers.provider;
  const head = await provider.getBlockNumber();
  if (head <= source.toBlock) return;
  const address = Object.values(source.contracts);
  const later = await queryInRanges(
    (fromBlock, toBlock) => provider.getLogs({ address, fromBlock, toBlock }),
    source.toBlock + 1,
    head,
  );
  if (later.length > 0) {
    fail(
      `the audit database stops at block ${source.toBlock}, and the chain has ${later.length} event(s) of the ` +
        `deployment after it (to block ${head}): run careledger:audit:index first, or give --to-block ` +
        `${source.toBlock} to report on what is indexed`,
    );
  }
}

/** The directory the report tasks write into: `--out`, or `.careledger/reports` in the project. */
function outDir(hre: HardhatRuntimeEnvironment, out: string | undefined): string {
  return out === undefined ? path.join(hre.config.paths.root, ".careledger", "reports") : path.resolve(out);
}

/** Stops before anything is printed when a report file of the same name exists and --force was not given. */
async function refuseExisting(
  hre: HardhatRuntimeEnvironment,
  report: AuditReport,
  args: { out?: string; formats: string; force: boolean },
): Promise<void> {
  if (args.force) return;
  const files = await import("../sdk/audit/files");
  files.refuseExisting(report, outDir(hre, args.out), formatsOption(args.formats));
}

/** The options the accounting and the privacy officer's report share: their span, their database, their files. */
function reportOptions(definition: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return definition
    .addOptionalParam(
      "toBlock",
      "The last block to report on (default: the last indexed; refused if the chain has more)",
    )
    .addOptionalParam("db", DB_HELP)
    .addOptionalParam("schema", SCHEMA_HELP)
    .addOptionalParam("out", OUT_HELP)
    .addFlag("force", "Replace report files of the same name (by default an existing file is kept and the task stops)")
    .addOptionalParam("formats", "Comma-separated file formats: json, csv, html", "json,csv,html");
}

async function write(
  hre: HardhatRuntimeEnvironment,
  report: AuditReport,
  args: { out?: string; formats: string; force: boolean },
) {
  const { writeReport } = await import("../sdk/audit/files");
  const dir = outDir(hre, args.out);
  const files = writeReport(report, dir, formatsOption(args.formats), {
    generatedAt: new Date().toISOString(),
    overwrite: args.force,
  });
  for (const file of files) {
    const relative = path.relative(process.cwd(), file);
    console.log(`  wrote ${relative.startsWith("..") || relative === "" ? file : relative}`);
  }
  console.log(
    `  source: chain ${report.source.chainId}, blocks ${report.source.fromBlock} to ${report.source.toBlock} ` +
      "(regenerating from the chain gives the same rows)",
  );
}

task("careledger:audit:index", "Follows the deployment's events into the audit database, from where it last stopped")
  .addOptionalParam("db", DB_HELP)
  .addOptionalParam("schema", SCHEMA_HELP)
  .addOptionalParam("confirmations", "Blocks to stay behind the latest (0 on a QBFT chain: final at once)", "0")
  .addOptionalParam("toBlock", "The last block to index (default: the latest less --confirmations)")
  .addOptionalParam("chunk", "Blocks per eth_getLogs and per transaction (default 1,000: Besu's default limit)", "1000")
  .addFlag("reset", "First drop everything the database holds for this chain (after a redeployment)")
  .addFlag("quiet", "No progress bar")
  .setAction(
    async (
      args: {
        db?: string;
        schema?: string;
        confirmations: string;
        toBlock?: string;
        chunk: string;
        reset: boolean;
        quiet: boolean;
      },
      hre,
    ) => {
      const { indexChain, resetChain, coveredRanges } = await import("../sdk/audit/indexer");
      const { SingleBar, Presets } = await import("cli-progress");
      const deployment = await deploymentOf(hre);
      const confirmations = Number(wholeNumber("confirmations", args.confirmations));
      const chunk = Number(wholeNumber("chunk", args.chunk));
      if (chunk < 1 || chunk > 100_000) fail(`--chunk must be 1 to 100000 blocks, got ${args.chunk}`);
      const toBlock = blockOption("to-block", args.toBlock);
      await withDatabase(hre, args, async (db) => {
        if (args.reset) {
          await resetChain(db, deployment.chainId);
          console.log(`dropped everything ${db.location} held for chain ${deployment.chainId}`);
        }
        const bar = new SingleBar(
          { format: "  {bar} {value}/{total} blocks  {events} events", hideCursor: true },
          Presets.shades_classic,
        );
        const showBar = !args.quiet && process.stdout.isTTY;
        const start = performance.now();
        // Ctrl-C (or a service manager's SIGTERM) stops after the range in progress: what was written stays.
        const stop = new AbortController();
        const interrupt = (): void => {
          stop.abort();
        };
        process.once("SIGINT", interrupt);
        process.once("SIGTERM", interrupt);
        let result;
        try {
          result = await indexChain({
            signal: stop.signal,
            db,
            provider: hre.ethers.provider,
            deployment,
            confirmations,
            chunk,
            toBlock,
            onProgress: ({ doneBlocks, totalBlocks, events }) => {
              if (!showBar) return;
              if (!bar.isActive) bar.start(totalBlocks, 0, { events: 0 });
              bar.update(doneBlocks, { events });
            },
          });
        } finally {
          process.off("SIGINT", interrupt);
          process.off("SIGTERM", interrupt);
          if (bar.isActive) bar.stop();
        }
        if (result.aborted)
          console.log("interrupted: the ranges written so far stay, and the next run resumes after them");
        const seconds = (performance.now() - start) / 1000;
        const blocks = result.ranges.reduce((sum, range) => sum + range.toBlock - range.fromBlock + 1, 0);
        const covered = await coveredRanges(db, deployment.chainId);
        print(
          `indexed chain ${deployment.chainId} into ${db.kind === "embedded" ? "PGlite" : "PostgreSQL"} (${db.location})`,
          {
            blocks:
              blocks === 0
                ? "none new (up to date)"
                : `${blocks} (${result.ranges[0]?.fromBlock} to ${result.toBlock})`,
            events: `${result.events} new${seconds > 0 && result.events > 0 ? `, ${Math.round(result.events / seconds)} a second` : ""}`,
            covered: covered.map((range) => `${range.fromBlock}-${range.toBlock}`).join(", ") || "nothing",
            confirmations,
          },
        );
      });
    },
  );

task(
  "careledger:audit:verify",
  "Recounts the deployment's logs from the node and compares them with the audit database",
)
  .addOptionalParam("db", DB_HELP)
  .addOptionalParam("schema", SCHEMA_HELP)
  .addOptionalParam("fromBlock", "The first block to check (default: the deployment's first)")
  .addOptionalParam("toBlock", "The last block to check (default: the last indexed)")
  .setAction(async (args: { db?: string; schema?: string; fromBlock?: string; toBlock?: string }, hre) => {
    const { verifyIndex } = await import("../sdk/audit/verify");
    const deployment = await deploymentOf(hre);
    await withDatabase(hre, args, async (db) => {
      const result = await verifyIndex({
        db,
        provider: hre.ethers.provider,
        deployment,
        fromBlock: blockOption("from-block", args.fromBlock),
        toBlock: blockOption("to-block", args.toBlock),
      });
      print(`verified chain ${deployment.chainId}, blocks ${result.fromBlock} to ${result.toBlock}`, {
        "node logs": result.nodeLogs,
        "database events": result.databaseEvents,
        "not indexed": result.notIndexed.map((r) => `${r.fromBlock}-${r.toBlock}`).join(", ") || "none",
        missing: result.missing.length,
        extra: result.extra.length,
      });
      if (!result.ok) {
        const first = result.missing[0] ?? result.extra[0];
        fail(
          `the audit database differs from the node: ${result.missing.length} log(s) missing or changed, ` +
            `${result.extra.length} extra (first: block ${first?.blockNumber}, log ${first?.logIndex}, ` +
            `transaction ${first?.txHash}); drop the chain's rows and index again (careledger:audit:index --reset)`,
        );
      }
      if (result.notIndexed.length > 0) {
        console.log("  the gaps are not indexed yet: run careledger:audit:index to fill them");
      }
    });
  });

task("careledger:audit:access-report", "The patient's access report: who accessed her record, and on what basis")
  .addParam("patient", "The patient's participant id")
  .addOptionalParam("db", DB_HELP)
  .addOptionalParam("schema", SCHEMA_HELP)
  .addOptionalParam("out", OUT_HELP)
  .addFlag("force", "Replace report files of the same name (by default an existing file is kept and the task stops)")
  .addOptionalParam("formats", FORMATS_HELP, "json,csv,html,fhir")
  .addOptionalParam("toBlock", "The last block to report on (default: the last indexed)")
  .setAction(
    async (
      args: {
        patient: string;
        db?: string;
        schema?: string;
        out?: string;
        formats: string;
        force: boolean;
        toBlock?: string;
      },
      hre,
    ) => {
      const { accessReport } = await import("../sdk/audit/reports");
      const { chainId } = await hre.ethers.provider.getNetwork();
      const patient = wholeNumber("patient", args.patient);
      formatsOption(args.formats);
      await withDatabase(hre, args, async (db) => {
        const toBlock = blockOption("to-block", args.toBlock);
        const report = await accessReport({ db, chainId, patient, toBlock });
        if (toBlock === undefined) await requireUpToDate(hre, report.source);
        await refuseExisting(hre, report, args);
        const count = (predicate: (row: (typeof report.rows)[number]) => boolean) =>
          report.rows.filter(predicate).length;
        print(`access report of patient ${patient}: ${report.rows.length} line(s)`, {
          "accesses allowed": count((row) => row.outcome === "allowed"),
          "accesses denied": count((row) => row.outcome === "denied"),
          "break-glass sessions": count((row) => row.kind === "break-glass-opened"),
          "consent changes": count((row) => row.kind.startsWith("consent-") || row.kind === "deny-set"),
        });
        await write(hre, report, args);
      });
    },
  );

reportOptions(
  task(
    "careledger:audit:accounting",
    "The accounting of disclosures (45 CFR 164.528) of the six years before a request, and HITECH's access report",
  ),
)
  .addParam("patient", "The patient's participant id")
  .addOptionalParam("requestDate", `When the patient asked (default: the chain's time now): ${TIME_HELP.end}`)
  .addOptionalParam(
    "directory",
    'The covered entity\'s directory, a JSON file {"<participant id>": {"name": "…", "address": "…"}}: names ' +
      "and addresses of recipients (kept off chain)",
  )
  .addFlag("hitech", "Also write HITECH's proposed access report (every access of three years, exempt or not)")
  .setAction(
    async (
      args: {
        patient: string;
        requestDate?: string;
        directory?: string;
        hitech: boolean;
        toBlock?: string;
        db?: string;
        schema?: string;
        out?: string;
        formats: string;
        force: boolean;
      },
      hre,
    ) => {
      const { accountingOfDisclosures, hitechAccessReport } = await import("../sdk/audit/reports");
      const { chainId } = await hre.ethers.provider.getNetwork();
      const patient = wholeNumber("patient", args.patient);
      const requestTime = Number(
        args.requestDate === undefined ? await chainTime(hre) : periodEnd("request-date", args.requestDate) + 1n,
      );
      const directory = args.directory === undefined ? undefined : readDirectory(args.directory);
      formatsOption(args.formats);
      await withDatabase(hre, args, async (db) => {
        const toBlock = blockOption("to-block", args.toBlock);
        const accounting = await accountingOfDisclosures({ db, chainId, patient, requestTime, directory, toBlock });
        if (toBlock === undefined) await requireUpToDate(hre, accounting.source);
        await refuseExisting(hre, accounting, args);
        print(`accounting of disclosures of patient ${patient}, requested ${iso(BigInt(requestTime))}`, {
          period: `${iso(BigInt(accounting.periodStart))} to ${iso(BigInt(requestTime))}`,
          disclosures: accounting.disclosures.length,
          "left out": Object.entries(accounting.exempted)
            .map(([reason, n]) => `${n} ${reason}`)
            .join(", "),
        });
        await write(hre, accounting, args);
        if (args.hitech) {
          const hitech = await hitechAccessReport({ db, chainId, patient, requestTime, directory, toBlock });
          console.log(`HITECH access report: ${hitech.rows.length} access(es) in three years`);
          await write(hre, hitech, args);
        }
      });
    },
  );

function readDirectory(file: string): Directory {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    fail(`--directory ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    fail(`--directory ${file} must hold an object of participant ids to {"name": …, "address": …}`);
  }
  for (const [id, entry] of Object.entries(parsed)) {
    const { name, address } = (entry ?? {}) as { name?: unknown; address?: unknown };
    if (!/^\d+$/.test(id) || typeof name !== "string" || (address !== undefined && typeof address !== "string")) {
      fail(`--directory ${file}: entry "${id}" must be a participant id with {"name": "…", "address": "…"}`);
    }
  }
  return parsed as Directory;
}

reportOptions(
  task(
    "careledger:audit:privacy",
    "The privacy officer's report: unreviewed break-glass, unexplained accesses, and more",
  ),
)
  .addOptionalParam("asOf", `The time the report looks from (default: the chain's time now): ${TIME_HELP.end}`)
  .addOptionalParam("unreviewedDays", "Flag break-glass sessions unreviewed after this many days", "7")
  .addOptionalParam(
    "explanationDays",
    "How far back a record or an approved request explains an access, in days",
    "365",
  )
  .addOptionalParam("burst", "Denied attempts of one accessor that make a burst, as COUNT/MINUTES", "3/60")
  .addOptionalParam("workday", "Working hours, as START-END in whole hours of --time-zone", "7-19")
  .addOptionalParam("timeZone", "The IANA time zone of the working hours and of the days counted", "UTC")
  .addOptionalParam("maxPatients", "Distinct patients one accessor may read in a day before it is flagged", "200")
  .setAction(
    async (
      args: {
        asOf?: string;
        unreviewedDays: string;
        explanationDays: string;
        burst: string;
        workday: string;
        timeZone: string;
        maxPatients: string;
        toBlock?: string;
        db?: string;
        schema?: string;
        out?: string;
        formats: string;
        force: boolean;
      },
      hre,
    ) => {
      const { privacyOfficerReport } = await import("../sdk/audit/reports");
      const { chainId } = await hre.ethers.provider.getNetwork();
      const burst = /^(\d+)\/(\d+)$/.exec(args.burst.trim());
      if (burst === null) fail(`--burst must be COUNT/MINUTES (3/60), got "${args.burst}"`);
      const workday = /^(\d{1,2})-(\d{1,2})$/.exec(args.workday.trim());
      if (workday === null) fail(`--workday must be START-END in whole hours (7-19), got "${args.workday}"`);
      const thresholds: PrivacyThresholds = {
        unreviewedDays: Number(wholeNumber("unreviewed-days", args.unreviewedDays)),
        explanationWindowDays: Number(wholeNumber("explanation-days", args.explanationDays)),
        deniedBurstCount: Number(burst[1]),
        deniedBurstMinutes: Number(burst[2]),
        workdayStartHour: Number(workday[1]),
        workdayEndHour: Number(workday[2]),
        timeZone: args.timeZone,
        maxPatientsPerDay: Number(wholeNumber("max-patients", args.maxPatients)),
      };
      // The options' own words for what the SDK would refuse by its field names.
      if (thresholds.explanationWindowDays < 1)
        fail(`--explanation-days must be 1 or more, got ${args.explanationDays}`);
      if (thresholds.deniedBurstCount < 2 || thresholds.deniedBurstMinutes < 1) {
        fail(`--burst must be at least 2 attempts in at least 1 minute (3/60), got "${args.burst}"`);
      }
      if (thresholds.workdayEndHour > 24 || thresholds.workdayEndHour <= thresholds.workdayStartHour) {
        fail(`--workday must start before it ends, in hours from 0 to 24 (7-19), got "${args.workday}"`);
      }
      if (thresholds.maxPatientsPerDay < 1) fail(`--max-patients must be 1 or more, got ${args.maxPatients}`);
      const asOf = Number(args.asOf === undefined ? await chainTime(hre) : periodEnd("as-of", args.asOf));
      formatsOption(args.formats);
      await withDatabase(hre, args, async (db) => {
        const toBlock = blockOption("to-block", args.toBlock);
        const report = await privacyOfficerReport({ db, chainId, asOf, thresholds, toBlock });
        if (toBlock === undefined) await requireUpToDate(hre, report.source);
        await refuseExisting(hre, report, args);
        const kinds = new Map<string, number>();
        for (const finding of report.findings) kinds.set(finding.kind, (kinds.get(finding.kind) ?? 0) + 1);
        print(`privacy officer's report as of ${iso(BigInt(asOf))}: ${report.findings.length} finding(s)`, {
          ...Object.fromEntries([...kinds].map(([kind, n]) => [kind, n])),
        });
        await write(hre, report, args);
      });
    },
  );
