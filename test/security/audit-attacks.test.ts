import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { DataCategory, DecisionBasis, Purpose } from "../../sdk";
import type { AuditDatabase } from "../../sdk/audit/db";
import { reportCsv } from "../../sdk/audit/formats";
import { reportHtml } from "../../sdk/audit/html";
import { indexChain } from "../../sdk/audit/indexer";
import { migrate } from "../../sdk/audit/migrate";
import { accessReport, accountingOfDisclosures, privacyOfficerReport } from "../../sdk/audit/reports";
import { verifyIndex } from "../../sdk/audit/verify";
import { consentFixture } from "../fixtures/consent";
import { databaseKinds, freshDatabase } from "../helpers/audit-db";
import { rejection } from "../helpers/rejection";

// The attacks of the audit module's review, each performed and refused (or caught) here. Those on the indexer run
// against the chain; those on the reports' logic seed a database with the exact events an attacker would cause, since
// producing them on chain takes contracts (a relayer batching signed grants) that the logic does not depend on.

const CHAIN = 4242n;
const HOUR = 3600;
const T0 = 1_800_000_000;
const hash = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

interface Seeded {
  block: number;
  log: number;
  tx?: number;
  time: number;
  contract?: string;
  event: string;
  args?: Record<string, unknown>;
  patient?: number;
  actor?: number;
  grantee?: number;
  organization?: number;
  category?: number;
  categories?: number;
  purpose?: number;
  purposes?: number;
  basis?: number;
  record?: string;
}

/** A database holding exactly `events` for chain CHAIN, covered from block 0 to the last. */
async function seed(db: AuditDatabase, events: Seeded[]): Promise<void> {
  await migrate(db);
  const last = Math.max(...events.map((e) => e.block));
  await db.query("INSERT INTO audit_chains (chain_id, genesis_hash) VALUES ($1, $2)", [CHAIN.toString(), hash(1)]);
  await db.query(
    "INSERT INTO audit_contracts (chain_id, contract, address, first_block) VALUES ($1, 'consent-registry', $2, 0)",
    [CHAIN.toString(), ethers.ZeroAddress],
  );
  await db.query("INSERT INTO audit_ranges (chain_id, from_block, to_block, to_block_hash) VALUES ($1, 0, $2, $3)", [
    CHAIN.toString(),
    last,
    hash(2),
  ]);
  for (const e of events) {
    const id = (n: number | undefined): string | null => (n === undefined ? null : String(n));
    await db.query(
      `INSERT INTO audit_events (chain_id, block_number, log_index, block_hash, block_time, tx_hash, contract, event,
         args, patient, actor, grantee, organization, category, categories, purpose, purposes, basis, record)
       VALUES ($1, $2, $3, $4, to_timestamp($5), $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [
        CHAIN.toString(),
        e.block,
        e.log,
        hash(1000 + e.block),
        e.time,
        hash(e.tx ?? e.block),
        e.contract ?? "consent-registry",
        e.event,
        JSON.stringify(e.args ?? {}),
        id(e.patient),
        id(e.actor),
        id(e.grantee),
        id(e.organization),
        e.category ?? null,
        e.categories ?? null,
        e.purpose ?? null,
        e.purposes ?? null,
        e.basis ?? null,
        e.record ?? null,
      ],
    );
  }
}

for (const kind of databaseKinds()) {
  describe(`audit attacks (${kind} database)`, function () {
    let db: AuditDatabase;
    beforeEach(async function () {
      db = await freshDatabase(kind);
    });
    afterEach(async function () {
      await db.close();
    });

    describe("the indexer", function () {
      it("refuses to follow a contract from the middle of the history, which would leave its past out", async function () {
        const { deployment } = await loadFixture(consentFixture);
        const withoutRecords = { ...deployment, recordRegistry: undefined };
        await indexChain({ db, provider: ethers.provider, deployment: withoutRecords });
        expect(await rejection(indexChain({ db, provider: ethers.provider, deployment }))).to.equal(
          `the deployment names record-registry, which this audit database did not follow from the start on chain ` +
            `${deployment.chainId}: index into a new database, or drop this chain's rows with careledger:audit:index --reset`,
        );
      });

      it("refuses a chain whose first block differs from the one indexed (a restarted node)", async function () {
        const { deployment } = await loadFixture(consentFixture);
        await indexChain({ db, provider: ethers.provider, deployment });
        await db.query("UPDATE audit_chains SET genesis_hash = $1", [hash(7)]);
        expect(await rejection(indexChain({ db, provider: ethers.provider, deployment }))).to.equal(
          `the node's chain ${deployment.chainId} is not the one this audit database indexed (its first block ` +
            "differs: a node restarted without its state, or another chain with the same id): index into a new " +
            "database, or drop this chain's rows with careledger:audit:index --reset",
        );
      });

      it("refuses to resume over a block that changed since it was indexed (a reorganization)", async function () {
        const { deployment } = await loadFixture(consentFixture);
        const first = await indexChain({ db, provider: ethers.provider, deployment });
        await db.query("UPDATE audit_ranges SET to_block_hash = $1", [hash(9)]);
        expect(await rejection(indexChain({ db, provider: ethers.provider, deployment }))).to.equal(
          `block ${first.toBlock} of chain ${deployment.chainId} is not the block this audit database indexed (a ` +
            "reorganization deeper than the confirmations, or a node restarted without its state): drop the chain's " +
            "rows and index again (careledger:audit:index --reset)",
        );
      });

      it("verify catches a row rewritten in the database: another actor, a renamed event", async function () {
        const { deployment, patientId } = await loadFixture(consentFixture);
        await indexChain({ db, provider: ethers.provider, deployment });
        expect((await verifyIndex({ db, provider: ethers.provider, deployment })).ok).to.equal(true);
        const [target] = await db.query<{ block_number: string | number; log_index: number }>(
          "SELECT block_number, log_index FROM audit_events WHERE patient = $1 ORDER BY block_number LIMIT 1",
          [patientId.toString()],
        );
        await db.query("UPDATE audit_events SET actor = 999 WHERE block_number = $1 AND log_index = $2", [
          target?.block_number,
          target?.log_index,
        ]);
        await db.query(
          `UPDATE audit_events SET event = 'Hidden' WHERE event = 'ParticipantRegistered'
           AND block_number = (SELECT min(block_number) FROM audit_events WHERE event = 'ParticipantRegistered')`,
        );
        const result = await verifyIndex({ db, provider: ethers.provider, deployment });
        expect(result.ok).to.equal(false);
        expect(result.missing).to.have.length(2);
        expect(result.missing.map((m) => `${m.blockNumber}:${m.logIndex}`)).to.include(
          `${target?.block_number}:${target?.log_index}`,
        );
      });
    });

    describe("the reports", function () {
      it("lends a signed document only to the grant it was relayed with, not to another in the same transaction", async function () {
        // One transaction relays two signed grants of patient 3: to 50 with a signed document, to 60 without.
        await seed(db, [
          { block: 1, log: 0, tx: 1, time: T0, event: "SignedConsentRelayed", patient: 3, args: { evidence: hash(5) } },
          {
            block: 1,
            log: 1,
            tx: 1,
            time: T0,
            event: "ConsentGranted",
            patient: 3,
            grantee: 50,
            actor: 3,
            args: { version: "1", categories: "8", purposes: "8", validUntil: String(T0 + 1e7) },
          },
          { block: 1, log: 2, tx: 1, time: T0, event: "SignedConsentRelayed", patient: 3, args: { evidence: hash(0) } },
          {
            block: 1,
            log: 3,
            tx: 1,
            time: T0,
            event: "ConsentGranted",
            patient: 3,
            grantee: 60,
            actor: 3,
            args: { version: "1", categories: "8", purposes: "8", validUntil: String(T0 + 1e7) },
          },
          {
            block: 2,
            log: 0,
            time: T0 + HOUR,
            event: "AccessGranted",
            patient: 3,
            actor: 50,
            grantee: 50,
            category: DataCategory.Medications,
            purpose: Purpose.Research,
            basis: DecisionBasis.Grant,
            args: { ref: "1" },
          },
          {
            block: 3,
            log: 0,
            time: T0 + 2 * HOUR,
            event: "AccessGranted",
            patient: 3,
            actor: 60,
            grantee: 60,
            category: DataCategory.Medications,
            purpose: Purpose.Research,
            basis: DecisionBasis.Grant,
            args: { ref: "1" },
          },
        ]);
        const accounting = await accountingOfDisclosures({
          db,
          chainId: CHAIN,
          patient: 3n,
          requestTime: T0 + 10 * HOUR,
        });
        expect(accounting.disclosures.map((d) => d.recipient)).to.deep.equal(["60"]);
        expect(accounting.exempted.authorization).to.equal(1);
      });

      it("keeps a record's category to its patient: another patient's record under the same commitment hides nothing", async function () {
        const record = hash(77);
        await seed(db, [
          {
            block: 1,
            log: 0,
            time: T0,
            event: "RecordAnchored",
            contract: "record-registry",
            patient: 3,
            actor: 11,
            category: DataCategory.MentalHealth,
            basis: DecisionBasis.Grant,
            record,
          },
          // Patient 77 anchors the same commitment for herself, as demographics.
          {
            block: 2,
            log: 0,
            time: T0 + 1,
            event: "RecordAnchored",
            contract: "record-registry",
            patient: 77,
            actor: 77,
            category: DataCategory.Demographics,
            basis: DecisionBasis.Self,
            record,
          },
          {
            block: 3,
            log: 0,
            time: T0 + HOUR,
            event: "RecordAccessGranted",
            contract: "record-registry",
            patient: 3,
            actor: 12,
            grantee: 12,
            purpose: Purpose.Treatment,
            basis: DecisionBasis.Grant,
            record,
            args: { ref: "1" },
          },
        ]);
        const report = await privacyOfficerReport({ db, chainId: CHAIN, asOf: T0 + 2 * HOUR });
        expect(report.findings.filter((f) => f.kind === "sensitive-category").map((f) => f.participant)).to.deep.equal([
          "12",
        ]);
        const lines = (await accessReport({ db, chainId: CHAIN, patient: 3n })).rows;
        expect(lines.find((row) => row.kind === "record-read")?.categories).to.deep.equal(["MentalHealth"]);
      });

      it("does not let a record written after an access, in the same second, explain it", async function () {
        await seed(db, [
          {
            block: 1,
            log: 0,
            time: T0,
            event: "AffiliationChanged",
            contract: "identity-registry",
            actor: 11,
            organization: 5,
          },
          {
            block: 2,
            log: 0,
            time: T0 + HOUR,
            event: "AccessGranted",
            patient: 3,
            actor: 11,
            grantee: 5,
            category: DataCategory.ClinicalNotes,
            purpose: Purpose.Treatment,
            basis: DecisionBasis.OrganizationGrant,
            args: { ref: "1" },
          },
          {
            block: 2,
            log: 1,
            time: T0 + HOUR,
            event: "RecordAnchored",
            contract: "record-registry",
            patient: 3,
            actor: 11,
            category: DataCategory.VitalSigns,
            basis: DecisionBasis.OrganizationGrant,
            record: hash(8),
          },
        ]);
        const report = await privacyOfficerReport({ db, chainId: CHAIN, asOf: T0 + 2 * HOUR });
        expect(report.findings.filter((f) => f.kind === "unexplained-access").map((f) => f.txHashes[0])).to.deep.equal([
          hash(2),
        ]);
      });

      it("reports a long burst of denials as one finding with its whole count", async function () {
        await seed(
          db,
          Array.from({ length: 50 }, (_, n) => ({
            block: n + 1,
            log: 0,
            time: T0 + n,
            event: "AccessDenied",
            patient: 100 + n,
            actor: 9,
            category: DataCategory.Conditions,
            purpose: Purpose.Treatment,
            basis: DecisionBasis.NoGrant,
          })),
        );
        const bursts = (await privacyOfficerReport({ db, chainId: CHAIN, asOf: T0 + HOUR })).findings.filter(
          (f) => f.kind === "denied-burst",
        );
        expect(bursts).to.have.length(1);
        expect(bursts[0]?.why).to.equal(
          "participant 9 was denied 50 times in 1 minute (threshold 3 within 60), on 50 patients; the first 20 " +
            "transactions are listed",
        );
        expect(bursts[0]?.txHashes).to.have.length(20);
      });

      it("escapes a directory entry written to attack the reader: no formula in the CSV, no script in the page", async function () {
        await seed(db, [
          {
            block: 1,
            log: 0,
            time: T0,
            event: "AccessGranted",
            patient: 3,
            actor: 60,
            grantee: 60,
            category: DataCategory.Immunizations,
            purpose: Purpose.PublicHealth,
            basis: DecisionBasis.Grant,
            args: { ref: "1" },
          },
        ]);
        const directory = {
          "60": { name: '=HYPERLINK("http://evil.example","x")', address: "<script>alert(1)</script>" },
        };
        const accounting = await accountingOfDisclosures({
          db,
          chainId: CHAIN,
          patient: 3n,
          requestTime: T0 + HOUR,
          directory,
        });
        const csv = reportCsv(accounting);
        expect(csv).to.include(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
        expect(csv).not.to.match(/(^|,)=HYPERLINK/m);
        const html = reportHtml(accounting);
        expect(html).not.to.include("<script>alert(1)</script>");
        expect(html).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
      });

      it("refuses a time zone PostgreSQL does not know, in the operator's words", async function () {
        await seed(db, [{ block: 1, log: 0, time: T0, event: "AccessGranted", patient: 3, actor: 60 }]);
        expect(
          await rejection(
            privacyOfficerReport({ db, chainId: CHAIN, asOf: T0, thresholds: { timeZone: "Mars/Olympus" } }),
          ),
        ).to.equal('the time zone "Mars/Olympus" is not an IANA time zone (America/New_York)');
      });
    });
  });
}
