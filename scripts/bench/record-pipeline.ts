import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { id as keccakText } from "ethers";

import {
  blobAddress,
  type BlobStore,
  canonicalBytes,
  DirectoryBlobStore,
  type Envelope,
  metabolicPanelBundle,
  openEnvelope,
  publicKeyOf,
  sealDirectory,
  sealingThreads,
  sealRecord,
} from "../../sdk";
import { keyWrapCurve, unwrapKey, wrapKey } from "../../sdk/records/key-wrap";

/**
 * Off-chain throughput of the record toolkit's hot paths, in records per second on one core, each beside a baseline
 * measured in the same run with the same libraries — the bare cryptography of the same record (key wraps plus
 * AES-256-GCM of the same bytes) — so the cost of everything else (canonical JSON, the commitment, hex, checks) shows
 * as a ratio. Wall-clock figures vary between runs and machines (and CI runs this beside other work): printed with
 * their targets from issue 13, never written to the gas snapshot and never failing the bench.
 */

/** A measured path: what it does, its median rate, its baseline's, and its target. */
export interface PipelineRow {
  what: string;
  perSecond: number;
  baseline: string;
  baselinePerSecond: number;
  target: string;
  met: boolean;
}

export interface PipelineThroughput {
  backend: string;
  records: number;
  rounds: number;
  canonicalBytes: number;
  rows: PipelineRow[];
}

const keyOf = (label: string): string => keccakText(`careledger bench reader: ${label}`);

/** Records per second of `action` over `count` inputs, one round. */
function rate<T>(inputs: readonly T[], action: (input: T) => unknown): number {
  const start = performance.now();
  for (const input of inputs) action(input);
  return inputs.length / ((performance.now() - start) / 1000);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The baseline of a seal: the data key wrapped for each reader and the record AES-GCM-encrypted, nothing else. */
function bareSeal(plaintext: Uint8Array, readers: readonly Uint8Array[]): void {
  const dataKey = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", dataKey, randomBytes(12));
  Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  for (const reader of readers) wrapKey(reader, dataKey);
}

/** The baseline of an open: one key unwrapped and the record AES-GCM-decrypted. */
function bareOpen(input: {
  secret: Uint8Array;
  wrapped: Uint8Array;
  key: Uint8Array;
  nonce: Uint8Array;
  sealed: Buffer;
}): void {
  unwrapKey(input.secret, input.wrapped);
  const decipher = createDecipheriv("aes-256-gcm", input.key, input.nonce);
  decipher.setAuthTag(input.sealed.subarray(input.sealed.length - 16));
  Buffer.concat([decipher.update(input.sealed.subarray(0, input.sealed.length - 16)), decipher.final()]);
}

type PathName = "seal1" | "seal1Bare" | "seal3" | "seal3Bare" | "open" | "openBare";

/** Each measured path as a function giving one round's rate, over `count` lab bundles. */
function pipelinePaths(count: number): { paths: Record<PathName, () => number>; canonicals: Uint8Array[] } {
  const secrets = ["alice", "bob", "carol"].map(keyOf);
  const readers = secrets.map(publicKeyOf);
  const readerPoints = readers.map((reader) => Buffer.from(reader.slice(2), "hex"));
  const bundles = Array.from({ length: count }, (_, i) => metabolicPanelBundle(1000n + BigInt(i), i));
  const canonicals = bundles.map(canonicalBytes);
  const sealedFor3: Envelope[] = canonicals.map((canonical) => sealRecord(canonical, readers).envelope);
  const bare = canonicals.map((canonical) => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const sealed = Buffer.concat([cipher.update(canonical), cipher.final(), cipher.getAuthTag()]);
    const secret = Buffer.from(secrets[0]!.slice(2), "hex");
    return { secret, wrapped: wrapKey(readerPoints[0]!, key), key, nonce, sealed };
  });
  const paths = {
    seal1: () => rate(bundles, (bundle) => sealRecord(canonicalBytes(bundle), readers.slice(0, 1))),
    seal1Bare: () =>
      rate(canonicals, (canonical) => {
        bareSeal(canonical, readerPoints.slice(0, 1));
      }),
    seal3: () => rate(bundles, (bundle) => sealRecord(canonicalBytes(bundle), readers)),
    seal3Bare: () =>
      rate(canonicals, (canonical) => {
        bareSeal(canonical, readerPoints);
      }),
    open: () => rate(sealedFor3, (envelope) => openEnvelope(envelope, secrets[2]!)),
    openBare: () => rate(bare, bareOpen),
  };
  return { paths, canonicals };
}

/** The rows of the table from each path's median rate, with issue 13's targets. */
function pipelineRows(m: Record<PathName, number>): PipelineRow[] {
  return [
    {
      what: "seal, 1 reader (canonicalize + commit + encrypt)",
      perSecond: m.seal1,
      baseline: "1 key wrap + AES-GCM",
      baselinePerSecond: m.seal1Bare,
      target: "≥ 1,000",
      met: m.seal1 >= 1000,
    },
    {
      what: "seal, 3 readers",
      perSecond: m.seal3,
      baseline: "3 key wraps + AES-GCM",
      baselinePerSecond: m.seal3Bare,
      target: "≥ 800",
      met: m.seal3 >= 800,
    },
    {
      what: "open, 1 of 3 readers (unwrap + decrypt + check)",
      perSecond: m.open,
      baseline: "1 unwrap + AES-GCM",
      baselinePerSecond: m.openBare,
      target: "≥ seal, 1 reader",
      met: m.open >= m.seal1,
    },
  ];
}

/**
 * Seals `count` lab bundles (about 3.6 KB of canonical JSON each) for one and for three readers and opens them, in
 * `rounds` interleaved rounds (so that a slow spell of the machine hits every path alike), and reports each path's
 * median with its baseline's.
 */
export function recordPipelineThroughput(count = 300, rounds = 5): PipelineThroughput {
  const { paths, canonicals } = pipelinePaths(count);
  const names = Object.keys(paths) as PathName[];
  const samples = new Map(names.map((name) => [name, [] as number[]]));
  paths.seal1(); // warm-up: JIT, the binding's first call
  for (let round = 0; round < rounds; round++) for (const name of names) samples.get(name)!.push(paths[name]());
  const medians = Object.fromEntries(names.map((name) => [name, median(samples.get(name)!)])) as Record<
    PathName,
    number
  >;
  const bytes = Math.round(canonicals.reduce((sum, canonical) => sum + canonical.length, 0) / count);
  return { backend: keyWrapCurve().name, records: count, rounds, canonicalBytes: bytes, rows: pipelineRows(medians) };
}

/** The figures as a table. */
export function pipelineTable(throughput: PipelineThroughput): string {
  const n = (value: number): string => Math.round(value).toLocaleString("en-US");
  const lines = [
    `Record pipeline off chain (wall clock, one core, key wrap by ${throughput.backend}; ${throughput.records} lab ` +
      `bundles of ${n(throughput.canonicalBytes)} canonical bytes, median of ${throughput.rounds} interleaved rounds)`,
    "",
    `${"path".padEnd(50)} ${"records/s".padStart(10)}  ${"target".padEnd(22)} ${"baseline".padEnd(22)} ` +
      `${"baseline/s".padStart(10)}  share`,
  ];
  for (const row of throughput.rows) {
    lines.push(
      `${row.what.padEnd(50)} ${n(row.perSecond).padStart(10)}  ${`${row.target} ${row.met ? "ok" : "BELOW"}`.padEnd(22)} ` +
        `${row.baseline.padEnd(22)} ${n(row.baselinePerSecond).padStart(10)}  ` +
        `${Math.round((100 * row.perSecond) / row.baselinePerSecond)} %`,
    );
  }
  return lines.join("\n");
}

/** Files per second through `sealDirectory` in this thread and on every core, into each kind of store. */
export interface DirectorySealing {
  files: number;
  rounds: number;
  threads: number;
  rows: { store: string; inThreadPerSecond: number; parallelPerSecond: number }[];
}

/** Blobs kept in memory: the sealing stage alone, as with a store that acknowledges faster than a local fsync. */
class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Uint8Array>();
  put(data: Uint8Array): Promise<string> {
    const address = blobAddress(data);
    this.blobs.set(address, data);
    return Promise.resolve(address);
  }
  get(address: string): Promise<Uint8Array> {
    const data = this.blobs.get(address);
    return data === undefined ? Promise.reject(new Error(`no blob at ${address}`)) : Promise.resolve(data);
  }
  has(address: string): Promise<boolean> {
    return Promise.resolve(this.blobs.has(address));
  }
}

/**
 * `careledger:record:batch`'s sealing stage on a directory of `count` lab bundles written to a temporary directory:
 * sealed and stored in this thread and in worker threads (the best of `rounds`, interleaved), into a `DirectoryBlobStore`
 * (durable: two fsyncs per blob) and into memory. The anchoring (one transaction per 4,096 records) is not measured.
 */
export async function directorySealingThroughput(count = 6000, rounds = 1): Promise<DirectorySealing> {
  const root = await mkdtemp(path.join(tmpdir(), "careledger-bench-"));
  try {
    const inbox = path.join(root, "inbox");
    await mkdir(inbox);
    const files = Array.from({ length: count }, (_, i) => `lab-${String(i).padStart(5, "0")}.json`);
    await Promise.all(
      files.map((file, i) =>
        writeFile(path.join(inbox, file), JSON.stringify(metabolicPanelBundle(1000n + BigInt(i % 50), i))),
      ),
    );
    const readers = [publicKeyOf(keyOf("alice"))];
    const threads = sealingThreads();
    let runs = 0;
    const run = async (store: BlobStore, useThreads: number): Promise<number> => {
      const start = performance.now();
      let sealed = 0;
      for await (const stored of sealDirectory(inbox, files, store, { readers, threads: useThreads })) {
        if (stored.reason !== undefined) throw new Error(`${stored.file}: ${stored.reason}`);
        sealed++;
      }
      return sealed / ((performance.now() - start) / 1000);
    };
    const stores: [string, () => BlobStore][] = [
      ["DirectoryBlobStore (fsync)", () => new DirectoryBlobStore(path.join(root, `store-${runs++}`))],
      ["in memory", () => new MemoryBlobStore()],
    ];
    const rows: DirectorySealing["rows"] = [];
    for (const [name, store] of stores) {
      let inThread = 0;
      let parallel = 0;
      for (let round = 0; round < rounds; round++) {
        inThread = Math.max(inThread, await run(store(), 0));
        parallel = Math.max(parallel, await run(store(), threads));
      }
      rows.push({ store: name, inThreadPerSecond: inThread, parallelPerSecond: parallel });
    }
    return { files: count, rounds, threads, rows };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The figures as lines. */
export function directorySealingTable(sealing: DirectorySealing): string {
  const n = (value: number): string => Math.round(value).toLocaleString("en-US");
  return [
    `Directory sealing (careledger:record:batch before anchoring; ${n(sealing.files)} lab bundles, 1 reader, ` +
      `${sealing.rounds === 1 ? "one round" : `best of ${sealing.rounds} interleaved rounds`}, worker start-up included)`,
    "",
    `${"store".padEnd(28)} ${"in this thread".padStart(16)} ${`${sealing.threads} threads`.padStart(12)}  ratio`,
    ...sealing.rows.map(
      (row) =>
        `${row.store.padEnd(28)} ${`${n(row.inThreadPerSecond)} files/s`.padStart(16)} ` +
        `${`${n(row.parallelPerSecond)}/s`.padStart(12)}  ${(row.parallelPerSecond / row.inThreadPerSecond).toFixed(2)}`,
    ),
  ].join("\n");
}
