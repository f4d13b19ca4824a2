import type { Provider } from "ethers";

import { blockRanges, MAX_LOGS_RANGE, queryInRanges } from "../core/logs";
import type { Queryable } from "./db";
import { coveredRanges, type FollowedDeployment, followed, holes } from "./indexer";

/**
 * Completeness checked, not assumed: recounts the deployment's logs of a span from the node and compares them, block by
 * block, with what the database holds (count, and each log's transaction and block hash).
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
  /** Logs the node has that the database lacks, or holds differently (another transaction or block hash). */
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
  for (const range of blockRanges(fromBlock, toBlock, options.chunk ?? MAX_LOGS_RANGE)) {
    const logs = await queryInRanges(
      (from, to) => provider.getLogs({ address, fromBlock: from, toBlock: to }),
      range.fromBlock,
      range.toBlock,
    );
    const rows = await db.query<{
      block_number: string | number;
      log_index: number;
      tx_hash: string;
      block_hash: string;
    }>(
      `SELECT block_number, log_index, tx_hash, block_hash FROM audit_events
       WHERE chain_id = $1 AND block_number BETWEEN $2 AND $3`,
      [chainId.toString(), range.fromBlock, range.toBlock],
    );
    result.nodeLogs += logs.length;
    result.databaseEvents += rows.length;
    const held = new Map(rows.map((row) => [`${row.block_number}:${row.log_index}`, row]));
    for (const log of logs) {
      if (!indexed(log.blockNumber)) continue;
      const key = `${log.blockNumber}:${log.index}`;
      const row = held.get(key);
      held.delete(key);
      if (row === undefined || row.tx_hash !== log.transactionHash || row.block_hash !== log.blockHash) {
        result.missing.push({ blockNumber: log.blockNumber, logIndex: log.index, txHash: log.transactionHash });
      }
    }
    for (const row of held.values()) {
      result.extra.push({
        blockNumber: Number(row.block_number),
        logIndex: row.log_index,
        txHash: row.tx_hash,
      });
    }
  }
  result.ok = result.missing.length === 0 && result.extra.length === 0;
  return result;
}
