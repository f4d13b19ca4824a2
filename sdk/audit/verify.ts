import type { Provider } from "ethers";

import { blockRanges, MAX_LOGS_RANGE, queryInRanges } from "../core/logs";
import type { Queryable } from "./db";
import { coveredRanges, type EventRow, eventRow, type FollowedDeployment, followed, holes } from "./indexer";

/**
 * Completeness checked, not assumed: recounts the deployment's logs of a span from the node and compares them, one by
 * one, with what the database holds: each log's row rebuilt from the node, every column, against the row stored.
 */
export interface VerifyResult {
  chainId: bigint;
  fromBlock: number;
  toBlock: number;
  /** Logs the node returned for the span, and events the database holds for it. */
  nodeLogs: number;
  databaseEvents: number;
  /** Parts of the span that were never indexed (nothing to compare there). */
  notIndexed: { fromBlock: number; toBlock: number }[];
  /**
   * Logs the node has that the database lacks, or holds differently: any column of the row the indexer would write for
   * the log now (transaction, block hash and time, contract, event, every decoded argument and the columns drawn from
   * them) differs from the row stored.
   */
  missing: { blockNumber: number; logIndex: number; txHash: string }[];
  /** Events the database holds that the node does not have (a reorganized block, a foreign row). */
  extra: { blockNumber: number; logIndex: number; txHash: string }[];
  /** Whether the database matches the node over every indexed block of the span. */
  ok: boolean;
}

export interface VerifyOptions {
  db: Queryable;
  provider: Provider;
  deployment: FollowedDeployment;
  fromBlock?: number;
  /** Default: the last block the database covers. */
  toBlock?: number;
  chunk?: number;
}

/** Recounts `fromBlock`..`toBlock` (by default everything indexed) against the node; see `VerifyResult`. */
export async function verifyIndex(options: VerifyOptions): Promise<VerifyResult> {
  const { db, provider, deployment } = options;
  const chainId = deployment.chainId;
  const covered = await coveredRanges(db, chainId);
  const fromBlock = options.fromBlock ?? deployment.deployedAtBlock ?? 0;
  const toBlock = options.toBlock ?? covered.at(-1)?.toBlock ?? -1;
  const result: VerifyResult = {
    chainId,
    fromBlock,
    toBlock,
    nodeLogs: 0,
    databaseEvents: 0,
    notIndexed: toBlock < fromBlock ? [] : holes(covered, fromBlock, toBlock),
    missing: [],
    extra: [],
    ok: true,
  };
  if (toBlock < fromBlock) return result;
  const address = followed(deployment).map((contract) => contract.address);
  const gaps = result.notIndexed;
  const indexed = (block: number): boolean => !gaps.some((gap) => block >= gap.fromBlock && block <= gap.toBlock);
  const byAddress = new Map(followed(deployment).map(({ name, address: at }) => [at.toLowerCase(), name]));
  for (const range of blockRanges(fromBlock, toBlock, options.chunk ?? MAX_LOGS_RANGE)) {
    const logs = await queryInRanges(
      (from, to) => provider.getLogs({ address, fromBlock: from, toBlock: to }),
      range.fromBlock,
      range.toBlock,
    );
    const rows = await db.query<StoredRow>(
      `SELECT block_number, log_index, block_hash, extract(epoch FROM block_time)::bigint AS t, tx_hash, contract, event,
         args, patient::text AS patient, actor::text AS actor, grantee::text AS grantee,
         organization::text AS organization, category, categories::text AS categories, purpose, purposes, basis, record
       FROM audit_events WHERE chain_id = $1 AND block_number BETWEEN $2 AND $3`,
      [chainId.toString(), range.fromBlock, range.toBlock],
    );
    result.nodeLogs += logs.length;
    result.databaseEvents += rows.length;
    const held = new Map(rows.map((row) => [`${row.block_number}:${row.log_index}`, row]));
    const times = new Map<number, number>();
    for (const log of logs) {
      if (!indexed(log.blockNumber)) continue;
      const key = `${log.blockNumber}:${log.index}`;
      const row = held.get(key);
      held.delete(key);
      let time = times.get(log.blockNumber);
      if (time === undefined) {
        time = (await provider.getBlock(log.blockNumber))?.timestamp ?? -1;
        times.set(log.blockNumber, time);
      }
      // The row the indexer would write for this log now, every column of it, against the row stored.
      const expected = eventRow(log, byAddress.get(log.address.toLowerCase()), time);
      if (row === undefined || canonical(stored(row)) !== canonical(comparable(expected))) {
        result.missing.push({ blockNumber: log.blockNumber, logIndex: log.index, txHash: log.transactionHash });
      }
    }
    for (const row of held.values()) {
      result.extra.push({ blockNumber: Number(row.block_number), logIndex: row.log_index, txHash: row.tx_hash });
    }
  }
  result.ok = result.missing.length === 0 && result.extra.length === 0;
  return result;
}

/** A row as read back: the indexer's columns, with the time as Unix seconds and numbers as the drivers return them. */
type StoredRow = Omit<EventRow, "block_number" | "block_time" | "contract"> & {
  block_number: string | number;
  t: string | number;
  contract: string;
};

/** The columns compared, as plain values, from a stored row and from a row rebuilt from the node. */
function stored(row: StoredRow): Record<string, unknown> {
  return { ...row, block_number: Number(row.block_number), t: Number(row.t) };
}

function comparable(row: EventRow): Record<string, unknown> {
  const { block_time: time, ...rest } = row;
  return { ...rest, t: Math.round(Date.parse(time) / 1000) };
}

/** JSON with sorted keys at every level: two rows are the same when these are. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
