import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ethers } from "hardhat";

import {
  accessReport,
  accountingOfDisclosures,
  indexChain,
  openDatabase,
  privacyOfficerReport,
  verifyIndex,
  writeReport,
  type Directory,
  type FindingKind,
} from "../../sdk";
import { detail, listed, nameOf, say, technical } from "./narration";
import type { Participants, Story } from "./story";

/** Where the demo writes its reports: beside the project's other local files (ignored by git). */
const REPORTS = path.join(__dirname, "..", "..", ".careledger", "demo-reports");

const FINDINGS: Record<FindingKind, string> = {
  "unreviewed-break-glass": "break-glass session still unreviewed",
  "unexplained-access": "access nothing in the ledger explains",
  "denied-burst": "burst of denied attempts",
  "after-hours": "access after hours",
  "many-patients": "accessor reading too many patients in a day",
  "sensitive-category": "decision on a sensitive category",
};

/**
 * The audit chapter: the hospital's privacy office indexes the whole story's chain into an embedded PostgreSQL (PGlite),
 * checks it against the node, and writes Alice's access report (HTML and FHIR), her accounting of disclosures and the
 * privacy officer's report, printing where they are and what they say.
 */
export async function auditChapter(
  { system }: Story,
  who: Participants,
): Promise<{ files: string[]; findings: number }> {
  const { deployment } = system;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-demo-audit-"));
  const db = await openDatabase({ dir });
  try {
    say(
      "The hospital's privacy office indexes the whole chain into its audit database: PostgreSQL, embedded (PGlite).",
    );
    const started = process.hrtime.bigint();
    const indexed = await indexChain({ db, provider: ethers.provider, deployment });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    detail(
      `${indexed.events.toLocaleString("en-US")} events of ${indexed.toBlock + 1} blocks from every module, ` +
        `in ${seconds.toFixed(1)} s; a run tomorrow starts where this one stopped`,
    );
    technical(`database ${dir}`);
    const checked = await verifyIndex({ db, provider: ethers.provider, deployment });
    detail(
      `recounted against the node: ${checked.nodeLogs} logs there, ${checked.databaseEvents} rows here, ` +
        (checked.ok ? "none missing, none extra" : `${checked.missing.length} missing, ${checked.extra.length} extra`),
    );
    if (!checked.ok) throw new Error("the audit database differs from the node it was indexed from");

    say("Alice asks who accessed her record. The report is built from the ledger alone, and names each line's proof.");
    const report = await accessReport({ db, chainId: deployment.chainId, patient: who.alice });
    const count = (test: (row: (typeof report.rows)[number]) => boolean) => report.rows.filter(test).length;
    detail(
      `${report.rows.length} lines: ${count((row) => row.outcome === "allowed")} accesses allowed, ` +
        `${count((row) => row.outcome === "denied")} denied, ${count((row) => row.kind === "break-glass-opened")} ` +
        `break-glass session(s) with their review, ${count((row) => row.kind.startsWith("consent-"))} consent changes`,
    );
    const denied = report.rows.find((row) => row.outcome === "denied");
    if (denied !== undefined) detail(`e.g. ${denied.isoTime.slice(0, 10)}: ${denied.summary}`);
    const files = writeReport(report, REPORTS, ["html", "fhir", "json"], { overwrite: true });

    say(
      "Her accounting of disclosures (45 CFR 164.528): the six years before her request, less what the rule exempts.",
    );
    // The hospital's directory, kept off chain, puts names on the ids the ledger shows.
    const directory: Directory = Object.fromEntries(
      [who.hospital, who.doctor].map((id) => [id.toString(), { name: nameOf(id) }]),
    );
    const requestTime = ((await ethers.provider.getBlock("latest"))?.timestamp ?? 0) + 1;
    const accounting = await accountingOfDisclosures({
      db,
      chainId: deployment.chainId,
      patient: who.alice,
      requestTime,
      directory,
    });
    const exempt = accounting.exempted;
    detail(
      `${accounting.disclosures.length} disclosure(s) to account for; left out: ` +
        `${exempt["treatment-payment-operations"]} for treatment, payment or operations, ` +
        `${exempt["to-the-individual"]} to Alice or her representative, ${exempt.authorization} under her signed authorization`,
    );
    files.push(...writeReport(accounting, REPORTS, ["html", "json"], { overwrite: true }));

    say("The privacy officer's report over the whole ledger: what deserves a second look, and why.");
    const privacy = await privacyOfficerReport({ db, chainId: deployment.chainId, asOf: requestTime });
    const kinds = new Map<FindingKind, number>();
    for (const finding of privacy.findings) kinds.set(finding.kind, (kinds.get(finding.kind) ?? 0) + 1);
    detail(
      privacy.findings.length === 0
        ? "nothing flagged"
        : `${privacy.findings.length} finding(s): ${listed([...kinds].map(([kind, n]) => `${n} ${FINDINGS[kind]}`))}`,
    );
    const mentalHealth = privacy.findings.find(
      (finding) => finding.kind === "sensitive-category" && finding.why.includes("was denied the mental health"),
    );
    if (mentalHealth !== undefined) detail(`flagged: ${mentalHealth.why}`);
    files.push(...writeReport(privacy, REPORTS, ["html", "json"], { overwrite: true }));

    say("The reports, reproducible from the chain (each names its chain, contracts and blocks):");
    for (const file of files) detail(path.relative(process.cwd(), file));
    return { files, findings: privacy.findings.length };
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
