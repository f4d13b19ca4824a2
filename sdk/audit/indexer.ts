import { getAddress, type Log, type Provider, toQuantity } from "ethers";

import { CONTRACT_NAMES, CONTRACTS, type ContractName, interfaceOf } from "../core/contracts";
import type { DeployedContract, Deployment } from "../core/deployment";
import { type BlockRange, blockRanges, MAX_LOGS_RANGE, queryInRanges } from "../core/logs";
import type { AuditDatabase, Queryable } from "./db";
import { migrate } from "./migrate";
import { type DecodedEvent, eventDecoder } from "./decode";
import { AuditError } from "./errors";

/**
 * The audit indexer: follows the events of a deployment's contracts, from its first block, into the audit database.
 *
 * - **Resumable.** Each range of blocks is written in one transaction together with the row that says it was covered
 *   (`audit_ranges`), so an interrupted run leaves whole ranges behind and the next run starts at the first block not
 *   covered.
 * - **Idempotent.** An event's key is its chain, block and log index: indexing a range again adds nothing.
 * - **Confirmations.** It stops `confirmations` blocks short of the node's latest block (a QBFT chain is final at
 *   once: 0; a proof-of-work or proof-of-stake test chain wants a few).
 * - **Decoded through the SDK's ABIs** (`CONTRACTS`), the same tables the SDK, tasks and error decoder use.
 */

/**
 * The deployment the indexer follows: its chain, first block and contracts. A contract left out is not followed (a
 * benchmark that deploys only the consent contracts); a CareLedger deployment names them all.
 */
export type FollowedDeployment = Pick<Deployment, "chainId" | "deployedAtBlock"> &
  Partial<Record<DeployedContract, string>>;

export interface IndexOptions {
  db: AuditDatabase;
  provider: Provider;
  deployment: FollowedDeployment;
  /** Blocks to stay behind the node's latest block; default 0. */
  confirmations?: number;
  /** The first block to cover; default the deployment's first block (`deployedAtBlock`, else 0). */
  fromBlock?: number;
  /** The last block to cover; default the latest block less `confirmations` (and never beyond it). */
  toBlock?: number;
  /** Blocks per range (one `eth_getLogs` and one transaction); default `MAX_LOGS_RANGE` (1,000). */
  chunk?: number;
  /** Called after each range is written. */
  onProgress?: (progress: IndexProgress) => void;
  /** Stops after the range in progress when aborted: what was written stays, and a later run resumes. */
  signal?: AbortSignal;
}

export interface IndexProgress {
  /** The range just written. */
  range: BlockRange;
  /** Blocks covered so far in this run, of `totalBlocks` to cover. */
  doneBlocks: number;
  totalBlocks: number;
  /** Events written so far in this run. */
  events: number;
}

export interface IndexResult {
  chainId: bigint;
  /** The span this run was asked to cover (`toBlock` < `fromBlock` when there was nothing to do). */
  fromBlock: number;
  toBlock: number;
  /** The ranges it indexed (the parts of the span not covered before). */
  ranges: BlockRange[];
  /** Events written by this run (a range indexed again writes none). */
  events: number;
  /** Whether it stopped early because `signal` was aborted. */
  aborted: boolean;
}

/** A deployment's contracts as the database keeps them: command-line name, checksummed address. */
export function followed(deployment: FollowedDeployment): { name: ContractName; address: string }[] {
  return CONTRACT_NAMES.flatMap((name) => {
    const address = deployment[CONTRACTS[name].key];
    return address === undefined || address === "" ? [] : [{ name, address: getAddress(address) }];
  });
}

/**
 * Records the deployment the database follows on its chain (first run), or checks it is the one recorded: a database
 * follows one deployment per chain, and another deployment on the same chain is refused rather than mixed in.
 */
export async function registerDeployment(
  db: AuditDatabase,
  deployment: FollowedDeployment,
  genesisHash: string,
): Promise<void> {
  const chainId = deployment.chainId.toString();
  const firstBlock = deployment.deployedAtBlock ?? 0;
  const anew = "index into a new database, or drop this chain's rows with careledger:audit:index --reset";
  await db.transaction(async (tx) => {
    const [chain] = await tx.query<{ genesis_hash: string }>(
      "SELECT genesis_hash FROM audit_chains WHERE chain_id = $1",
      [chainId],
    );
    if (chain === undefined) {
      await tx.query("INSERT INTO audit_chains (chain_id, genesis_hash) VALUES ($1, $2)", [chainId, genesisHash]);
    } else if (chain.genesis_hash !== genesisHash) {
      throw new AuditError(
        `the node's chain ${chainId} is not the one this audit database indexed (its first block differs: a node ` +
          `restarted without its state, or another chain with the same id): ${anew}`,
      );
    }
    const rows = await tx.query<{ contract: string; address: string }>(
      "SELECT contract, address FROM audit_contracts WHERE chain_id = $1",
      [chainId],
    );
    const recorded = new Map(rows.map((row) => [row.contract, row.address]));
    const following = followed(deployment);
    // A contract followed from the middle of the history would leave its earlier events out of every report.
    const names = new Set<string>(following.map((entry) => entry.name));
    const dropped = rows.find((row) => !names.has(row.contract));
    if (dropped !== undefined) {
      throw new AuditError(
        `this audit database follows ${dropped.contract} on chain ${chainId}, which the deployment no longer names: ${anew}`,
      );
    }
    for (const { name, address } of following) {
      const known = recorded.get(name);
      if (known !== undefined && known !== address) {
        throw new AuditError(
          `this audit database follows another deployment on chain ${chainId} (${name} at ${known}, not ${address}): ` +
            anew,
        );
      }
      if (known === undefined && rows.length > 0) {
        throw new AuditError(
          `the deployment names ${name}, which this audit database did not follow from the start on chain ${chainId}: ` +
            anew,
        );
      }
      if (known === undefined) {
        await tx.query(
          "INSERT INTO audit_contracts (chain_id, contract, address, first_block) VALUES ($1, $2, $3, $4)",
          [chainId, name, address, firstBlock],
        );
      }
    }
  });
}

/** Drops everything the database holds for one chain (its genesis, contracts, ranges and events). */
export async function resetChain(db: AuditDatabase, chainId: bigint): Promise<void> {
  await migrate(db);
  await db.transaction(async (tx) => {
    for (const table of ["audit_events", "audit_ranges", "audit_contracts", "audit_chains"]) {
      await tx.query(`DELETE FROM ${table} WHERE chain_id = $1`, [chainId.toString()]);
    }
  });
}

/**
 * Checks that the node still has, at the end of every range the database covers, the block it indexed there: a
 * reorganization deeper than the confirmations, or a node restarted without its state, is refused before anything is
 * added to a history it no longer matches.
 */
export async function checkRangeEnds(db: Queryable, provider: Provider, chainId: bigint): Promise<void> {
  const ranges = await db.query<{ to_block: string | number; to_block_hash: string }>(
    "SELECT to_block, to_block_hash FROM audit_ranges WHERE chain_id = $1 ORDER BY from_block",
    [chainId.toString()],
  );
  for (const range of ranges) {
    const block = await provider.getBlock(Number(range.to_block));
    if (block?.hash !== range.to_block_hash) {
      throw new AuditError(
        `block ${range.to_block} of chain ${chainId} is not the block this audit database indexed (a reorganization ` +
          "deeper than the confirmations, or a node restarted without its state): drop the chain's rows and index " +
          "again (careledger:audit:index --reset)",
      );
    }
  }
}

/** Indexes the deployment's events up to the latest confirmed block (or `toBlock`); see the module's comment. */
export async function indexChain(options: IndexOptions): Promise<IndexResult> {
  const { db, provider, deployment } = options;
  const confirmations = options.confirmations ?? 0;
  const chunk = options.chunk ?? MAX_LOGS_RANGE;
  if (!Number.isSafeInteger(confirmations) || confirmations < 0) {
    throw new AuditError(`confirmations must be a whole number of blocks, 0 or more; got ${confirmations}`);
  }
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new AuditError(`a range must be 1 block or more; got ${chunk}`);
  const network = await provider.getNetwork();
  if (network.chainId !== deployment.chainId) {
    throw new AuditError(`the node is on chain ${network.chainId}, the deployment on chain ${deployment.chainId}`);
  }
  await migrate(db);
  const genesis = await provider.getBlock(0);
  if (genesis?.hash === null || genesis?.hash === undefined) throw new AuditError("the node does not have block 0");
  await registerDeployment(db, deployment, genesis.hash);
  await checkRangeEnds(db, provider, deployment.chainId);

  const confirmed = (await provider.getBlockNumber()) - confirmations;
  const fromBlock = options.fromBlock ?? deployment.deployedAtBlock ?? 0;
  const toBlock = Math.min(options.toBlock ?? confirmed, confirmed);
  const result: IndexResult = {
    chainId: deployment.chainId,
    fromBlock,
    toBlock,
    ranges: [],
    events: 0,
    aborted: false,
  };
  if (toBlock < fromBlock) return result;

  const todo = holes(await coveredRanges(db, deployment.chainId), fromBlock, toBlock).flatMap((hole) =>
    blockRanges(hole.fromBlock, hole.toBlock, chunk),
  );
  const totalBlocks = todo.reduce((sum, range) => sum + range.toBlock - range.fromBlock + 1, 0);
  const addresses = followed(deployment);
  const byAddress = new Map(addresses.map(({ name, address }) => [address.toLowerCase(), name]));
  let doneBlocks = 0;
  // The next range's logs and blocks are read while this one's are written.
  let pending = todo[0] === undefined ? undefined : readRange(provider, addresses, byAddress, todo[0]);
  for (let index = 0; index < todo.length; index++) {
    const range = todo[index] as BlockRange;
    const { rows, endHash } = await (pending as Promise<RangeRead>);
    const next = todo[index + 1];
    pending =
      next === undefined || options.signal?.aborted === true
        ? undefined
        : readRange(provider, addresses, byAddress, next);
    pending?.catch(() => undefined); // its failure is thrown when awaited, not as an unhandled rejection meanwhile
    const written = await writeRange(db, deployment.chainId, range, endHash, rows);
    result.ranges.push(range);
    result.events += written;
    doneBlocks += range.toBlock - range.fromBlock + 1;
    options.onProgress?.({ range, doneBlocks, totalBlocks, events: result.events });
    if (options.signal?.aborted === true && index < todo.length - 1) {
      result.aborted = true;
      break;
    }
  }
  return result;
}

/** One decoded log, as inserted: the columns of `audit_events` but the chain id. */
export interface EventRow {
  block_number: number;
  log_index: number;
  block_hash: string;
  block_time: string;
  tx_hash: string;
  contract: ContractName | "unknown";
  event: string;
  args: Record<string, unknown>;
  patient: string | null;
  actor: string | null;
  grantee: string | null;
  organization: string | null;
  category: number | null;
  categories: string | null;
  purpose: number | null;
  purposes: number | null;
  basis: number | null;
  record: string | null;
}

/** A log as the indexer reads it: from `eth_getLogs` as the node sent it, or from an ethers `Log`. */
export interface LogEntry {
  blockNumber: number;
  index: number;
  blockHash: string;
  transactionHash: string;
  address: string;
  topics: readonly string[];
  data: string;
}

interface RpcLog {
  blockNumber: string;
  logIndex: string;
  blockHash: string;
  transactionHash: string;
  address: string;
  topics: string[];
  data: string;
  removed?: boolean;
}

/**
 * The logs of `address` in a range: straight from the node's JSON-RPC where the provider can send requests (a
 * `JsonRpcProvider`, Hardhat's), skipping ethers' per-log objects, which were a third of the indexer's time; through
 * `getLogs` otherwise.
 */
async function logsOf(provider: Provider, address: string[], fromBlock: number, toBlock: number): Promise<LogEntry[]> {
  const sender = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  if (typeof sender.send !== "function") {
    return (await provider.getLogs({ address, fromBlock, toBlock })).map((log: Log) => ({
      blockNumber: log.blockNumber,
      index: log.index,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      address: log.address,
      topics: log.topics,
      data: log.data,
    }));
  }
  const raw = (await sender.send("eth_getLogs", [
    { address, fromBlock: toQuantity(fromBlock), toBlock: toQuantity(toBlock) },
  ])) as RpcLog[];
  if (raw.some((log) => log.removed === true)) {
    throw new AuditError(
      `the node returned a removed log in blocks ${fromBlock} to ${toBlock} (a reorganization): run again`,
    );
  }
  return raw.map((log) => ({
    blockNumber: Number(log.blockNumber),
    index: Number(log.logIndex),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    address: log.address,
    topics: log.topics,
    data: log.data,
  }));
}

/** A range as read from the node: its rows, and the hash of its last block (kept to check it later). */
interface RangeRead {
  rows: EventRow[];
  endHash: string;
}

async function readRange(
  provider: Provider,
  addresses: { address: string }[],
  byAddress: Map<string, ContractName>,
  range: BlockRange,
): Promise<RangeRead> {
  const address = addresses.map((entry) => entry.address);
  const logs = await queryInRanges((from, to) => logsOf(provider, address, from, to), range.fromBlock, range.toBlock);
  const blockNumbers = [...new Set(logs.map((log) => log.blockNumber))];
  const blocks = new Map(
    await Promise.all(
      blockNumbers.map(async (number) => {
        const block = await provider.getBlock(number);
        if (block === null) throw new AuditError(`the node does not have block ${number}, which holds logs`);
        return [number, block] as const;
      }),
    ),
  );
  const end = blocks.get(range.toBlock) ?? (await provider.getBlock(range.toBlock));
  if (end?.hash === null || end?.hash === undefined) {
    throw new AuditError(`the node does not have block ${range.toBlock}`);
  }
  const rows = logs.map((log) => {
    const block = blocks.get(log.blockNumber);
    if (block === undefined || block.hash !== log.blockHash) {
      throw new AuditError(
        `block ${log.blockNumber} changed while it was read (a reorganization): run the indexer again`,
      );
    }
    const row = eventRow(log, byAddress.get(log.address.toLowerCase()), block.timestamp);
    if (row.event === "unknown") {
      // A report would leave it out without a word: stop instead (an ABI this version does not know).
      throw new AuditError(
        `log ${log.index} of block ${log.blockNumber} from ${byAddress.get(log.address.toLowerCase()) ?? log.address} ` +
          "is none of its contract's events as this version of CareLedger knows them: upgrade CareLedger",
      );
    }
    return row;
  });
  return { rows, endHash: end.hash };
}

const decoders = new Map<ContractName, (topics: readonly string[], data: string) => DecodedEvent | null>();

/** Decodes a log through its contract's ABI (`decode.ts`), or null if it is none of that contract's events. */
function decodeLog(contract: ContractName, log: LogEntry): DecodedEvent | null {
  let decoder = decoders.get(contract);
  if (decoder === undefined) {
    decoder = eventDecoder(interfaceOf(contract));
    decoders.set(contract, decoder);
  }
  return decoder(log.topics, log.data);
}

/** The row of one log: decoded through its contract's ABI, with the columns reports select on drawn from the args. */
export function eventRow(log: LogEntry, contract: ContractName | undefined, timestamp: number): EventRow {
  const parsed = contract === undefined ? null : decodeLog(contract, log);
  const args: Record<string, unknown> = parsed === null ? { topics: [...log.topics], data: log.data } : parsed.args;
  const id = (...names: string[]): string | null => {
    for (const name of names) {
      const value = args[name];
      if (typeof value === "string" && /^\d+$/.test(value)) return value;
    }
    return null;
  };
  const small = (name: string): number | null => {
    const value = args[name];
    return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : null;
  };
  const event = parsed?.name ?? "unknown";
  return {
    block_number: log.blockNumber,
    log_index: log.index,
    block_hash: log.blockHash,
    block_time: new Date(timestamp * 1000).toISOString(),
    tx_hash: log.transactionHash,
    contract: parsed === null || contract === undefined ? "unknown" : contract,
    event,
    args,
    patient: id("patient"),
    actor: id("accessor", "practitioner", "requester", "actor", "author", "reporter", "id"),
    grantee: id("grantee"),
    organization: event === "AffiliationChanged" ? id("current") : id("organization"),
    category: small("category"),
    categories: id("categories"),
    purpose: small("purpose"),
    purposes: small("purposes"),
    basis: small("basis"),
    record: typeof args.commitment === "string" ? args.commitment : null,
  };
}

/**
 * Writes one range: its events and its coverage, in one transaction, so that a range is either wholly in the database
 * or not at all. Returns how many events were new.
 */
async function writeRange(
  db: AuditDatabase,
  chainId: bigint,
  range: BlockRange,
  endHash: string,
  rows: EventRow[],
): Promise<number> {
  return db.transaction(async (tx) => {
    let written = 0;
    // Rows travel as one JSON parameter, unpacked by jsonb_to_recordset: any number of rows, no SQL built from values.
    for (let start = 0; start < rows.length; start += 2_000) {
      const inserted = await tx.query<{ n: string | number }>(
        `WITH inserted AS (
           INSERT INTO audit_events (chain_id, block_number, log_index, block_hash, block_time, tx_hash, contract, event,
             args, patient, actor, grantee, organization, category, categories, purpose, purposes, basis, record)
           SELECT $1, r.block_number, r.log_index, r.block_hash, r.block_time, r.tx_hash, r.contract, r.event, r.args,
             r.patient, r.actor, r.grantee, r.organization, r.category, r.categories, r.purpose, r.purposes, r.basis,
             r.record
           FROM jsonb_to_recordset($2::jsonb) AS r(block_number bigint, log_index integer, block_hash text,
             block_time timestamptz, tx_hash text, contract text, event text, args jsonb, patient numeric,
             actor numeric, grantee numeric, organization numeric, category smallint, categories bigint,
             purpose smallint, purposes integer, basis smallint, record text)
           ON CONFLICT (chain_id, block_number, log_index) DO NOTHING
           RETURNING 1
         )
         SELECT count(*) AS n FROM inserted`,
        [chainId.toString(), JSON.stringify(rows.slice(start, start + 2_000))],
      );
      written += Number(inserted[0]?.n ?? 0);
    }
    await addRange(tx, chainId, range, endHash);
    return written;
  });
}

/** Adds a covered range and merges it with the ranges it overlaps or touches. */
async function addRange(tx: Queryable, chainId: bigint, range: BlockRange, endHash: string): Promise<void> {
  const chain = chainId.toString();
  const touching = await tx.query<{ from_block: string | number; to_block: string | number; to_block_hash: string }>(
    `SELECT from_block, to_block, to_block_hash FROM audit_ranges
     WHERE chain_id = $1 AND to_block >= $2 - 1 AND from_block <= $3 + 1
     FOR UPDATE`,
    [chain, range.fromBlock, range.toBlock],
  );
  let from = range.fromBlock;
  let to = range.toBlock;
  let hash = endHash;
  for (const row of touching) {
    from = Math.min(from, Number(row.from_block));
    if (Number(row.to_block) > to) {
      to = Number(row.to_block);
      hash = row.to_block_hash;
    }
  }
  await tx.query("DELETE FROM audit_ranges WHERE chain_id = $1 AND to_block >= $2 - 1 AND from_block <= $3 + 1", [
    chain,
    range.fromBlock,
    range.toBlock,
  ]);
  await tx.query("INSERT INTO audit_ranges (chain_id, from_block, to_block, to_block_hash) VALUES ($1, $2, $3, $4)", [
    chain,
    from,
    to,
    hash,
  ]);
}

/** The ranges the database covers for a chain, in block order. */
export async function coveredRanges(db: Queryable, chainId: bigint): Promise<BlockRange[]> {
  const rows = await db.query<{ from_block: string | number; to_block: string | number }>(
    "SELECT from_block, to_block FROM audit_ranges WHERE chain_id = $1 ORDER BY from_block",
    [chainId.toString()],
  );
  return rows.map((row) => ({ fromBlock: Number(row.from_block), toBlock: Number(row.to_block) }));
}

/** The parts of `fromBlock`..`toBlock` that `covered` (sorted, disjoint) leaves out. */
export function holes(covered: readonly BlockRange[], fromBlock: number, toBlock: number): BlockRange[] {
  const gaps: BlockRange[] = [];
  let next = fromBlock;
  for (const range of covered) {
    if (range.toBlock < next) continue;
    if (range.fromBlock > toBlock) break;
    if (range.fromBlock > next) gaps.push({ fromBlock: next, toBlock: Math.min(range.fromBlock - 1, toBlock) });
    next = range.toBlock + 1;
    if (next > toBlock) break;
  }
  if (next <= toBlock) gaps.push({ fromBlock: next, toBlock });
  return gaps;
}

/** Thrown when a report's span is not wholly indexed. */
export class AuditCoverageError extends AuditError {
  constructor(
    readonly chainId: bigint,
    readonly missing: BlockRange[],
  ) {
    const first = missing[0] as BlockRange;
    super(
      `blocks ${first.fromBlock} to ${first.toBlock} of chain ${chainId} are not indexed` +
        (missing.length > 1 ? ` (and ${missing.length - 1} more gap${missing.length > 2 ? "s" : ""})` : "") +
        ": run careledger:audit:index before reporting on them",
    );
    this.name = "AuditCoverageError";
  }
}

/** Refuses (`AuditCoverageError`) a span the database does not wholly cover. */
export async function requireCoverage(
  db: Queryable,
  chainId: bigint,
  fromBlock: number,
  toBlock: number,
): Promise<void> {
  const missing = holes(await coveredRanges(db, chainId), fromBlock, toBlock);
  if (missing.length > 0) throw new AuditCoverageError(chainId, missing);
}
