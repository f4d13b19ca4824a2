import { randomBytes } from "node:crypto";

import pg from "pg";

import { type AuditDatabase, openDatabase } from "../../sdk/audit/db";

/**
 * The audit tests run on both databases CareLedger supports, with one schema and one set of queries: PGlite in memory
 * (always) and a PostgreSQL server when `DATABASE_URL` names one. `AUDIT_SERVER=require` (what CI sets, having
 * installed and started Debian's PostgreSQL) fails instead of skipping the server's tests when `DATABASE_URL` is
 * unset; `AUDIT_SERVER=skip` skips them even when it is set. `AUDIT_TESTS=skip` skips the chain-backed audit tests on
 * both (CI's suite runs for the newer EVM versions: the indexer reads events, which no EVM version changes).
 */
export type DatabaseKind = "embedded" | "server";

export function databaseKinds(): DatabaseKind[] {
  const tests = process.env.AUDIT_TESTS ?? "";
  if (!["", "run", "skip"].includes(tests)) throw new Error(`AUDIT_TESTS must be "run" or "skip", got ${tests}`);
  if (tests === "skip") return [];
  const mode = process.env.AUDIT_SERVER ?? "";
  if (!["", "run", "require", "skip"].includes(mode)) {
    throw new Error(`AUDIT_SERVER must be "run", "require" or "skip", got ${mode}`);
  }
  const url = process.env.DATABASE_URL ?? "";
  if (mode === "require" && url === "") throw new Error("AUDIT_SERVER=require, but DATABASE_URL names no server");
  return mode !== "skip" && url !== "" ? ["embedded", "server"] : ["embedded"];
}

/**
 * A new, empty audit database of `kind`: PGlite in memory, or a schema of its own on the server (dropped by `close`),
 * so that tests never see each other's rows.
 */
export async function freshDatabase(kind: DatabaseKind): Promise<AuditDatabase> {
  if (kind === "embedded") return openDatabase();
  const url = process.env.DATABASE_URL as string;
  const schema = `careledger_test_${randomBytes(6).toString("hex")}`;
  const db = await openDatabase({ url, schema });
  return {
    ...db,
    async close() {
      await db.close();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
