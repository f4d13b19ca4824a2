import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { CONTRACT_NAMES, CONTRACTS, DataCategory, Purpose, categorySet, purposeSet } from "../../sdk";
import type { AuditDatabase } from "../../sdk/audit/db";
import {
  AuditCoverageError,
  coveredRanges,
  holes,
  indexChain,
  requireCoverage,
  resetChain,
} from "../../sdk/audit/indexer";
import { loadMigrations, migrate, statements } from "../../sdk/audit/migrate";
import { verifyIndex } from "../../sdk/audit/verify";
import { consentFixture } from "../fixtures/consent";
import { DAY } from "../fixtures/identity";
import { databaseKinds, freshDatabase } from "../helpers/audit-db";
import { rejection } from "../helpers/rejection";

/** The consent fixture plus a short history: a grant, an allowed and a denied access, a revocation. */
async function historyFixture() {
  const fixture = await consentFixture();
  const { consent, patientKey, patientId, cardiologistId, cardiologistKey, clinicDoctorKey } = fixture;
  await consent.as(patientKey).grant({
    patient: patientId,
    grantee: cardiologistId,
    categories: categorySet(DataCategory.LaboratoryResults),
    purposes: purposeSet(Purpose.Treatment),
    validUntil: BigInt(await time.latest()) + BigInt(30 * DAY),
  });
  await consent.as(cardiologistKey).recordAccess(patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
  await consent.as(clinicDoctorKey).recordAccess(patientId, DataCategory.MentalHealth, Purpose.Treatment);
  await consent.as(patientKey).revoke(patientId, cardiologistId);
  return fixture;
}

/** Every log of the deployment's contracts, straight from the node. */
async function nodeLogs(deployment: Awaited<ReturnType<typeof historyFixture>>["deployment"]) {
  const address = CONTRACT_NAMES.map((name) => deployment[CONTRACTS[name].key]);
  return ethers.provider.getLogs({ address, fromBlock: 0, toBlock: "latest" });
}

async function count(db: AuditDatabase, where = "TRUE", params: unknown[] = []): Promise<number> {
  const rows = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM audit_events WHERE ${where}`, params);
  return Number(rows[0]?.n);
}

for (const kind of databaseKinds()) {
  describe(`audit indexer (${kind} database)`, function () {
    let db: AuditDatabase;
    beforeEach(async function () {
      db = await freshDatabase(kind);
    });
    afterEach(async function () {
      await db.close();
    });

    it("indexes every log of the deployment, decoded, with the columns reports select on", async function () {
      const { deployment, patientId, cardiologistId, clinicDoctorId, hospitalId } = await loadFixture(historyFixture);
      const head = await ethers.provider.getBlockNumber();
      const result = await indexChain({ db, provider: ethers.provider, deployment });
      const logs = await nodeLogs(deployment);
      expect(result).to.deep.include({ fromBlock: 0, toBlock: head, events: logs.length, aborted: false });
      expect(await count(db)).to.equal(logs.length);
      expect(await count(db, "event = 'unknown'")).to.equal(0);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([{ fromBlock: 0, toBlock: head }]);

      const granted = await db.query("SELECT * FROM audit_events WHERE event = 'ConsentGranted' AND patient = $1", [
        patientId.toString(),
      ]);
      expect(granted).to.have.length(1);
      expect(String(granted[0]?.grantee)).to.equal(cardiologistId.toString());
      expect(String(granted[0]?.contract)).to.equal("consent-registry");

      const accesses = await db.query<{
        event: string;
        actor: string;
        category: number;
        purpose: number;
        basis: number;
      }>(
        `SELECT event, actor::text AS actor, category, purpose, basis FROM audit_events
         WHERE event IN ('AccessGranted', 'AccessDenied') AND patient = $1 ORDER BY block_number, log_index`,
        [patientId.toString()],
      );
      expect(accesses).to.deep.equal([
        {
          event: "AccessGranted",
          actor: cardiologistId.toString(),
          category: DataCategory.LaboratoryResults,
          purpose: Purpose.Treatment,
          basis: 2, // Grant
        },
        {
          event: "AccessDenied",
          actor: clinicDoctorId.toString(),
          category: DataCategory.MentalHealth,
          purpose: Purpose.Treatment,
          basis: 8, // NoGrant
        },
      ]);

      // Every row matches its log: transaction, block hash and block time.
      const rows = await db.query<{
        block_number: string | number;
        log_index: number;
        tx_hash: string;
        t: string | number;
      }>("SELECT block_number, log_index, tx_hash, extract(epoch FROM block_time)::bigint AS t FROM audit_events");
      const byKey = new Map(rows.map((row) => [`${row.block_number}:${row.log_index}`, row]));
      for (const log of logs) {
        const row = byKey.get(`${log.blockNumber}:${log.index}`);
        expect(row?.tx_hash).to.equal(log.transactionHash);
        const block = await ethers.provider.getBlock(log.blockNumber);
        expect(Number(row?.t)).to.equal(block?.timestamp);
      }
      // An affiliation keeps the new organization in `organization` and the practitioner in `actor`.
      const affiliations = await db.query<{ actor: string; organization: string }>(
        "SELECT actor::text AS actor, organization::text AS organization FROM audit_events WHERE event = 'AffiliationChanged' AND actor = $1",
        [cardiologistId.toString()],
      );
      expect(affiliations).to.deep.equal([{ actor: cardiologistId.toString(), organization: hospitalId.toString() }]);
    });

    it("adds nothing when run again, and picks up only the new blocks", async function () {
      const { deployment, consent, cardiologistKey, patientId } = await loadFixture(historyFixture);
      const first = await indexChain({ db, provider: ethers.provider, deployment });
      const again = await indexChain({ db, provider: ethers.provider, deployment });
      expect(again.events).to.equal(0);
      expect(again.ranges).to.deep.equal([]);
      expect(await count(db)).to.equal(first.events);

      await consent.as(cardiologistKey).recordAccess(patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
      const head = await ethers.provider.getBlockNumber();
      const later = await indexChain({ db, provider: ethers.provider, deployment });
      expect(later.ranges).to.deep.equal([{ fromBlock: first.toBlock + 1, toBlock: head }]);
      expect(later.events).to.equal(1); // the denied access (the grant was revoked)
      expect(await count(db)).to.equal(first.events + 1);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([{ fromBlock: 0, toBlock: head }]);
    });

    it("resumes an interrupted run where it stopped, without loss or duplicates", async function () {
      const { deployment } = await loadFixture(historyFixture);
      const head = await ethers.provider.getBlockNumber();
      const logs = await nodeLogs(deployment);
      const controller = new AbortController();
      const progress: number[] = [];
      const interrupted = await indexChain({
        db,
        provider: ethers.provider,
        deployment,
        chunk: 7,
        signal: controller.signal,
        onProgress: ({ doneBlocks, totalBlocks }) => {
          progress.push(doneBlocks);
          expect(totalBlocks).to.equal(head + 1);
          if (progress.length === 3) controller.abort();
        },
      });
      expect(interrupted.aborted).to.equal(true);
      expect(interrupted.ranges).to.deep.equal([
        { fromBlock: 0, toBlock: 6 },
        { fromBlock: 7, toBlock: 13 },
        { fromBlock: 14, toBlock: 20 },
      ]);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([{ fromBlock: 0, toBlock: 20 }]);
      const partial = await count(db);
      expect(partial).to.equal(logs.filter((log) => log.blockNumber <= 20).length);

      const resumed = await indexChain({ db, provider: ethers.provider, deployment, chunk: 7 });
      expect(resumed.ranges[0]).to.deep.equal({ fromBlock: 21, toBlock: Math.min(27, head) });
      expect(partial + resumed.events).to.equal(logs.length);
      expect(await count(db)).to.equal(logs.length);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([{ fromBlock: 0, toBlock: head }]);
    });

    it("finds a hole, refuses to report across it, and fills it on the next run", async function () {
      const { deployment } = await loadFixture(historyFixture);
      const head = await ethers.provider.getBlockNumber();
      await indexChain({ db, provider: ethers.provider, deployment, toBlock: 10 });
      await indexChain({ db, provider: ethers.provider, deployment, fromBlock: 20 });
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([
        { fromBlock: 0, toBlock: 10 },
        { fromBlock: 20, toBlock: head },
      ]);
      await requireCoverage(db, deployment.chainId, 0, 10);
      await requireCoverage(db, deployment.chainId, 20, head);
      const refusal = await requireCoverage(db, deployment.chainId, 0, head).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).to.be.instanceOf(AuditCoverageError);
      expect((refusal as AuditCoverageError).missing).to.deep.equal([{ fromBlock: 11, toBlock: 19 }]);
      expect((refusal as Error).message).to.equal(
        `blocks 11 to 19 of chain ${deployment.chainId} are not indexed: run careledger:audit:index before reporting on them`,
      );
      const checked = await verifyIndex({ db, provider: ethers.provider, deployment });
      expect(checked.notIndexed).to.deep.equal([{ fromBlock: 11, toBlock: 19 }]);
      expect(checked.ok).to.equal(true); // what is indexed matches; the hole is reported apart

      const filled = await indexChain({ db, provider: ethers.provider, deployment });
      expect(filled.ranges).to.deep.equal([{ fromBlock: 11, toBlock: 19 }]);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([{ fromBlock: 0, toBlock: head }]);
      expect(await count(db)).to.equal((await nodeLogs(deployment)).length);
    });

    it("verify recounts the node's logs and names a lost, a changed and a foreign row", async function () {
      const { deployment } = await loadFixture(historyFixture);
      await indexChain({ db, provider: ethers.provider, deployment });
      const clean = await verifyIndex({ db, provider: ethers.provider, deployment });
      expect(clean.ok).to.equal(true);
      expect(clean.nodeLogs).to.equal(clean.databaseEvents);
      expect(clean.nodeLogs).to.equal((await nodeLogs(deployment)).length);

      const [lost, changed] = await db.query<{ block_number: string | number; log_index: number; tx_hash: string }>(
        "SELECT block_number, log_index, tx_hash FROM audit_events ORDER BY block_number DESC, log_index LIMIT 2",
      );
      if (lost === undefined || changed === undefined) throw new Error("the history has fewer than two events");
      await db.query("DELETE FROM audit_events WHERE block_number = $1 AND log_index = $2", [
        lost.block_number,
        lost.log_index,
      ]);
      await db.query("UPDATE audit_events SET tx_hash = $3 WHERE block_number = $1 AND log_index = $2", [
        changed.block_number,
        changed.log_index,
        ethers.ZeroHash,
      ]);
      await db.query(
        `INSERT INTO audit_events (chain_id, block_number, log_index, block_hash, block_time, tx_hash, contract, event, args)
         VALUES ($1, 1, 999, $2, now(), $2, 'consent-registry', 'AccessGranted', '{}')`,
        [deployment.chainId.toString(), ethers.ZeroHash],
      );
      const broken = await verifyIndex({ db, provider: ethers.provider, deployment });
      expect(broken.ok).to.equal(false);
      expect(broken.missing).to.deep.equal(
        [lost, changed]
          .map((row) => ({ blockNumber: Number(row.block_number), logIndex: row.log_index, txHash: row.tx_hash }))
          .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex),
      );
      expect(broken.extra).to.deep.equal([{ blockNumber: 1, logIndex: 999, txHash: ethers.ZeroHash }]);
    });

    it("stays the given number of confirmations behind the latest block", async function () {
      const { deployment } = await loadFixture(historyFixture);
      const head = await ethers.provider.getBlockNumber();
      const result = await indexChain({ db, provider: ethers.provider, deployment, confirmations: 3 });
      expect(result.toBlock).to.equal(head - 3);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([{ fromBlock: 0, toBlock: head - 3 }]);
      expect(await rejection(indexChain({ db, provider: ethers.provider, deployment, confirmations: -1 }))).to.equal(
        "confirmations must be a whole number of blocks, 0 or more; got -1",
      );
    });

    it("refuses another deployment on the same chain, and a node on another chain; reset drops the chain", async function () {
      const { deployment } = await loadFixture(historyFixture);
      await indexChain({ db, provider: ethers.provider, deployment, toBlock: 5 });
      const elsewhere = ethers.getAddress("0x00000000000000000000000000000000000c0de5");
      const other = { ...deployment, consentRegistry: elsewhere };
      expect(await rejection(indexChain({ db, provider: ethers.provider, deployment: other }))).to.equal(
        `this audit database follows another deployment on chain ${deployment.chainId} (consent-registry at ` +
          `${deployment.consentRegistry}, not ${elsewhere}): index into a new database, or drop this ` +
          "chain's rows with careledger:audit:index --reset",
      );
      expect(
        await rejection(indexChain({ db, provider: ethers.provider, deployment: { ...deployment, chainId: 1n } })),
      ).to.equal(`the node is on chain ${deployment.chainId}, the deployment on chain 1`);

      await resetChain(db, deployment.chainId);
      expect(await count(db)).to.equal(0);
      expect(await coveredRanges(db, deployment.chainId)).to.deep.equal([]);
      await indexChain({ db, provider: ethers.provider, deployment: other, toBlock: 5 });
    });

    it("applies each migration once, and refuses an applied migration that was edited", async function () {
      const migrations = loadMigrations();
      expect(await migrate(db, migrations)).to.deep.equal(migrations.map((m) => m.version));
      expect(await migrate(db, migrations)).to.deep.equal([]);
      const [first, ...rest] = migrations;
      if (first === undefined) throw new Error("no migrations");
      const edited = [{ ...first, sql: `${first.sql}\n-- edited`, checksum: "0".repeat(64) }, ...rest];
      expect(await rejection(migrate(db, edited))).to.equal(
        `migration 1 (${first.name}) was changed after it was applied: add a new migration instead of editing an applied one`,
      );
      expect(await rejection(migrate(db, []))).to.equal(
        `the database has migration ${migrations.map((m) => m.version).join(", ")} that this version of CareLedger does not know: upgrade CareLedger`,
      );
    });
  });
}

describe("audit indexer: ranges and migrations, off chain", function () {
  it("finds the holes a set of covered ranges leaves in a span", function () {
    const covered = [
      { fromBlock: 5, toBlock: 9 },
      { fromBlock: 12, toBlock: 12 },
      { fromBlock: 20, toBlock: 30 },
    ];
    expect(holes(covered, 0, 40)).to.deep.equal([
      { fromBlock: 0, toBlock: 4 },
      { fromBlock: 10, toBlock: 11 },
      { fromBlock: 13, toBlock: 19 },
      { fromBlock: 31, toBlock: 40 },
    ]);
    expect(holes(covered, 5, 9)).to.deep.equal([]);
    expect(holes(covered, 6, 13)).to.deep.equal([
      { fromBlock: 10, toBlock: 11 },
      { fromBlock: 13, toBlock: 13 },
    ]);
    expect(holes([], 3, 4)).to.deep.equal([{ fromBlock: 3, toBlock: 4 }]);
  });

  it("splits a migration into its statements, dropping comments", function () {
    expect(
      statements("-- a comment; with a semicolon\nCREATE TABLE a (x int); -- trailing\nCREATE INDEX b ON a (x);\n"),
    ).to.deep.equal(["CREATE TABLE a (x int)", "CREATE INDEX b ON a (x)"]);
  });
});
