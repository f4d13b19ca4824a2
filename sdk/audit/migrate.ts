import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import type { AuditDatabase } from "./db";
import { AuditError } from "./errors";

/**
 * The audit schema's migrations: numbered SQL files in `migrations/` (`001_events.sql`, `002_...`), applied in order,
 * each in its own transaction with its row in `audit_migrations`, under a transaction-scoped advisory lock so that two
 * indexers starting together do not both apply one. A migration once applied never changes: its checksum is kept and
 * a changed file is refused (a new change is a new file).
 */
export const MIGRATIONS_DIR = path.join(__dirname, "migrations");

/** The advisory lock key the migrations take: any fixed 64-bit number, the same in every process. */
const LOCK_KEY = 0x43_4c_41_75_64_69_74n; // "CLAudit"

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** The migrations in `dir`, by version; a file not named `NNN_name.sql`, or two of one version, is refused. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => {
      const match = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
      if (match === null) throw new AuditError(`migration ${file} is not named NNN_name.sql`);
      const sql = fs.readFileSync(path.join(dir, file), "utf8");
      return {
        version: Number(match[1]),
        name: match[2] ?? "",
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new AuditError(
        `migrations must be numbered 001, 002, ... without gaps; found ${migration.version} at ${index + 1}`,
      );
    }
  });
  return migrations;
}

/** Applies the migrations the database lacks, and returns the versions applied (none when it is up to date). */
export async function migrate(db: AuditDatabase, migrations = loadMigrations()): Promise<number[]> {
  // Under the same lock as the migrations: two indexers starting together on a new database do not race to create it.
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY.toString()]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS audit_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY.toString()]);
      const rows = await tx.query<{ checksum: string }>("SELECT checksum FROM audit_migrations WHERE version = $1", [
        migration.version,
      ]);
      const existing = rows[0];
      if (existing !== undefined) {
        if (existing.checksum !== migration.checksum) {
          throw new AuditError(
            `migration ${migration.version} (${migration.name}) was changed after it was applied: ` +
              "add a new migration instead of editing an applied one",
          );
        }
        return false;
      }
      // A migration's statements run one by one inside this transaction (a parameterless script).
      for (const statement of statements(migration.sql)) await tx.query(statement);
      await tx.query("INSERT INTO audit_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  const rows = await db.query<{ version: number }>("SELECT version FROM audit_migrations ORDER BY version");
  const known = new Set(migrations.map((m) => m.version));
  const unknown = rows.map((row) => row.version).filter((version) => !known.has(version));
  if (unknown.length > 0) {
    throw new AuditError(
      `the database has migration ${unknown.join(", ")} that this version of CareLedger does not know: upgrade CareLedger`,
    );
  }
  return applied;
}

/**
 * A migration's statements: split at the semicolons that end a line, after dropping `--` comments. Migrations are
 * plain DDL (no functions with bodies, no semicolons inside strings), which keeps the split exact.
 */
export function statements(sql: string): string[] {
  return sql
    .split("\n")
    .map((line) => line.replace(/--.*$/, ""))
    .join("\n")
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== "");
}
