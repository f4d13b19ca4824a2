import type { ContractRunner } from "ethers";

import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../../typechain-types/common";

/**
 * Event scans a permissioned node answers. Hyperledger Besu refuses an `eth_getLogs` over more blocks than its
 * `--rpc-max-logs-range` (1,000 by default since 22.10.3), so a scan from block 0, or across a chain's whole history,
 * fails once the chain is a few minutes old: the SDK reads events from the deployment's first block
 * (`Deployment.deployedAtBlock`) in ranges of at most `MAX_LOGS_RANGE` blocks, and splits a range that a node limited
 * further still refuses.
 */

/** Blocks per `eth_getLogs`, both ends included: within Besu's default `--rpc-max-logs-range` of 1,000. */
export const MAX_LOGS_RANGE = 1_000;

/** How many ranges are asked for at once: a long history is read quicker without flooding the node. */
const CONCURRENCY = 4;

/** A node's refusal of a range as too wide or too full (Besu, geth, Erigon and hosted nodes word it in these terms). */
const RANGE_REFUSAL = /range|too (?:many|large|wide)|exceed|limit/i;

/** A refusal for the rate of requests, not their range: splitting the range would only send more of them. */
const RATE_REFUSAL = /rate|429|too many requests/i;

export interface BlockRange {
  fromBlock: number;
  toBlock: number;
}

/** `fromBlock` to `toBlock` (both included) as consecutive ranges of at most `chunk` blocks; none if it is empty. */
export function blockRanges(fromBlock: number, toBlock: number, chunk = MAX_LOGS_RANGE): BlockRange[] {
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new Error(`a range of ${chunk} blocks cannot be scanned`);
  const ranges: BlockRange[] = [];
  for (let from = Math.max(fromBlock, 0); from <= toBlock; from += chunk) {
    ranges.push({ fromBlock: from, toBlock: Math.min(from + chunk - 1, toBlock) });
  }
  return ranges;
}

/**
 * Runs `query` over `fromBlock` to `toBlock` in ranges of at most `chunk` blocks, a few at a time, and returns what
 * each returned, in block order. A range the node refuses as too wide is split in two and each half asked again, down
 * to a single block; any other failure is thrown as it is.
 */
export async function queryInRanges<T>(
  query: (fromBlock: number, toBlock: number) => Promise<T[]>,
  fromBlock: number,
  toBlock: number,
  chunk = MAX_LOGS_RANGE,
): Promise<T[]> {
  const ranges = blockRanges(fromBlock, toBlock, chunk);
  const results: T[][] = new Array<T[]>(ranges.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ranges.length) {
      const index = next++;
      const range = ranges[index];
      if (range !== undefined) results[index] = await splitting(query, range);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ranges.length) }, worker));
  return results.flat();
}

async function splitting<T>(
  query: (fromBlock: number, toBlock: number) => Promise<T[]>,
  range: BlockRange,
): Promise<T[]> {
  try {
    return await query(range.fromBlock, range.toBlock);
  } catch (error) {
    const message = messageOf(error);
    if (range.toBlock === range.fromBlock || !RANGE_REFUSAL.test(message) || RATE_REFUSAL.test(message)) throw error;
    const middle = range.fromBlock + Math.floor((range.toBlock - range.fromBlock) / 2);
    const first = await splitting(query, { fromBlock: range.fromBlock, toBlock: middle });
    return [...first, ...(await splitting(query, { fromBlock: middle + 1, toBlock: range.toBlock }))];
  }
}

/** The node's own words where ethers wraps them (`error.error.message`, `error.info.error.message`). */
function messageOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const { message, shortMessage } = current as { message?: unknown; shortMessage?: unknown };
    for (const text of [message, shortMessage]) if (typeof text === "string") parts.push(text);
    const inner = current as { error?: unknown; info?: { error?: unknown } };
    current = inner.error ?? inner.info?.error;
  }
  return parts.join(" ");
}

/** A TypeChain contract, as far as reading its events goes. */
export interface EventSource {
  readonly runner: ContractRunner | null;
  queryFilter<E extends TypedContractEvent>(
    filter: TypedDeferredTopicFilter<E>,
    fromBlock?: number,
    toBlock?: number,
  ): Promise<TypedEventLog<E>[]>;
}

/**
 * `contract.queryFilter(filter, fromBlock, toBlock)` in ranges of at most `chunk` blocks (`queryInRanges`), to the
 * latest block when `toBlock` is not given.
 */
export async function queryFilterChunked<E extends TypedContractEvent>(
  contract: EventSource,
  filter: TypedDeferredTopicFilter<E>,
  fromBlock = 0,
  toBlock?: number,
  chunk = MAX_LOGS_RANGE,
): Promise<TypedEventLog<E>[]> {
  const last = toBlock ?? (await latestBlockNumber(contract.runner));
  return queryInRanges((from, to) => contract.queryFilter(filter, from, to), fromBlock, last, chunk);
}

/** The latest block's number, from the runner's provider. */
export async function latestBlockNumber(runner: ContractRunner | null): Promise<number> {
  const provider = runner?.provider;
  if (provider === null || provider === undefined) throw new Error("reading events needs a runner with a provider");
  return provider.getBlockNumber();
}
