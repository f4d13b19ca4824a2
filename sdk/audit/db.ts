import fs from "node:fs";

import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * The audit database: PostgreSQL, two ways behind one small interface, so that the schema, the migrations and every
 * query are the same for both.
 *
 * - Embedded (the default): PGlite, PostgreSQL compiled to WebAssembly and run in this process, its data in a
 *   directory (or in memory). Nothing to install or start.
 * - A server: when a connection string is given (`DATABASE_URL`), through node-postgres (`pg`) with a pool, for a
 *   consortium member's production deployment.
 *
 * Values always travel as query parameters (`$1`, `$2`, ...), never spliced into SQL text.
 */
export interface Queryable {
  /** Runs one statement with its parameters and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface AuditDatabase extends Queryable {
  /** `"embedded"` (PGlite) or `"server"` (a PostgreSQL server through `pg`). */
  readonly kind: "embedded" | "server";
  /** Where the data is, for messages: the directory, `memory`, or the server's host and database (no password). */
  readonly location: string;
  /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (a migration). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL connection string (`postgres://user:password@host:5432/db`): the server, instead of PGlite. */
  url?: string;
  /** PGlite's data directory, created if missing; in memory when absent. Ignored when `url` is given. */
  dir?: string;
  /**
   * A schema to keep the audit tables in, created if missing (`careledger_audit`: beside other tables in a shared
   * database); default the database's `public`. A lower-case SQL identifier.
   */
  schema?: string;
}

/** A schema name the options accept: it is put in SQL text (identifiers cannot be parameters), so it is checked. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the audit database: the server at `url` if given, else PGlite in `dir` (or in memory). */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<AuditDatabase> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`the schema name ${JSON.stringify(schema)} is not a lower-case SQL identifier (a-z, 0-9, _)`);
  }
  if (options.url !== undefined && options.url !== "") return openServer(options.url, schema);
  return openEmbedded(options.dir, schema);
}

async function openEmbedded(dir: string | undefined, schema: string | undefined): Promise<AuditDatabase> {
  if (dir !== undefined) fs.mkdirSync(dir, { recursive: true });
  const lite = await PGlite.create(dir === undefined ? undefined : dir);
  if (schema !== undefined) await lite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
  return {
    kind: "embedded",
    location: dir ?? "memory",
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (await lite.query<Row>(sql, [...params])).rows;
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>) {
      return lite.transaction(async (tx) =>
        work({
          async query<Row>(sql: string, params: readonly unknown[] = []) {
            return (await tx.query<Row>(sql, [...params])).rows;
          },
        }),
      );
    },
    async exec(sql: string) {
      await lite.exec(sql);
    },
    async close() {
      await lite.close();
    },
  };
}

async function openServer(url: string, schema: string | undefined): Promise<AuditDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // A wrong host, password or database fails here, once, with the server's own words.
  const probe = await pool.connect();
  try {
    if (schema !== undefined) await probe.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    probe.release();
  }
  const parsed = new URL(url);
  return {
    kind: "server",
    location: `${parsed.hostname}${parsed.port === "" ? "" : `:${parsed.port}`}${parsed.pathname}`,
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (await pool.query(sql, [...params])).rows as Row[];
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work({
          async query<Row>(sql: string, params: readonly unknown[] = []) {
            return (await client.query(sql, [...params])).rows as Row[];
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
  };
}
