import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { keccak256, toUtf8Bytes } from "ethers";

/**
 * Content-addressed storage for encrypted records (envelopes).
 *
 * A blob's address is `"sha256:" + hex(sha256(bytes))`, so an address names exactly one byte string and whoever reads
 * a blob can check they got it. The chain holds only the *pointer commitment* `keccak256(address)` (`blobPointer`):
 * a hash of where the encrypted blob lives, which says nothing about the record and lets anyone holding the address
 * check it against the chain.
 */

/** A content-addressed blob store. Directory today; S3 or IPFS implementations can follow the same contract. */
export interface BlobStore {
  /** Stores `data` and returns its address; storing bytes that are already there is a no-op. */
  put(data: Uint8Array): Promise<string>;
  /**
   * The bytes at `address`, checked against it.
   * @throws BlobNotFoundError, BlobIntegrityError, InvalidBlobAddressError
   */
  get(address: string): Promise<Uint8Array>;
  /** Whether a blob is stored at `address` (without reading or checking it). */
  has(address: string): Promise<boolean>;
}

const ADDRESS = /^sha256:([0-9a-f]{64})$/;
const BLOB_NAME = /^[0-9a-f]{64}$/;
const SHARD_NAME = /^[0-9a-f]{2}$/;
const TEMPORARY_PREFIX = ".tmp-";

/** A string that is not a blob address (`sha256:` + 64 lowercase hex characters). */
export class InvalidBlobAddressError extends TypeError {
  constructor(readonly address: string) {
    super(`not a blob address: ${JSON.stringify(address.slice(0, 80))} (expected "sha256:" + 64 lowercase hex digits)`);
    this.name = "InvalidBlobAddressError";
  }
}

/** No blob is stored at `address`. */
export class BlobNotFoundError extends Error {
  constructor(readonly address: string) {
    super(`no blob is stored at ${address}`);
    this.name = "BlobNotFoundError";
  }
}

/** The bytes stored at `address` hash to `actual` instead: the blob is corrupt (or was replaced). */
export class BlobIntegrityError extends Error {
  constructor(
    readonly address: string,
    readonly actual: string,
  ) {
    super(`the blob stored at ${address} is corrupt: its bytes hash to ${actual}`);
    this.name = "BlobIntegrityError";
  }
}

/** The content address of `data`: `"sha256:" + 64 lowercase hex`. */
export function blobAddress(data: Uint8Array): string {
  return `sha256:${bytesToHex(sha256(data))}`;
}

/** The 64 hex digits of a valid address. */
function addressDigest(address: string): string {
  const match = ADDRESS.exec(address);
  if (match === null) throw new InvalidBlobAddressError(address);
  return match[1]!;
}

/**
 * The pointer commitment put on chain for a blob: `keccak256(UTF-8(address))`, a hash of where the encrypted record
 * lives. Anyone holding the address can check it against the chain; the chain alone reveals nothing about the blob.
 *
 * @throws InvalidBlobAddressError unless `address` is a valid blob address (the pointer of a typo would be useless).
 */
export function blobPointer(address: string): string {
  addressDigest(address);
  return keccak256(toUtf8Bytes(address));
}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? "");
}

/** fsyncs a directory so a rename or a new entry in it survives a power failure (not supported on Windows). */
async function syncDirectory(path: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A `BlobStore` in a local directory: the blob at `sha256:<hex>` is the file `<root>/<hex[0..2]>/<hex>`.
 *
 * Writes are atomic and durable: the bytes go to a uniquely named temporary file (`.tmp-<random>`) in the same
 * directory, which is fsynced and then renamed onto the final name, and the directory is fsynced. A crash at any
 * point leaves either no blob or the whole blob at its address — never a partial one — plus possibly a temporary,
 * which `recover()` removes. Concurrent writers (threads or processes) of the same blob are safe: each renames its own
 * complete copy.
 *
 * Reads re-hash what they read, so corruption on disk is reported as a `BlobIntegrityError`, never returned.
 */
export class DirectoryBlobStore implements BlobStore {
  /** The absolute root directory; created on the first write. */
  readonly root: string;
  /** Temporaries this store is writing right now, which `recover()` must leave alone. */
  private readonly writing = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file path of a blob; throws InvalidBlobAddressError for an invalid address. */
  pathOf(address: string): string {
    const digest = addressDigest(address);
    return join(this.root, digest.slice(0, 2), digest);
  }

  /**
   * Stores `data` atomically and returns its address. A no-op if a file of the same size is already at the address; a
   * file of another size there (damage) is replaced. Corruption that keeps the size is found by `get` and `verifyAll`.
   */
  async put(data: Uint8Array): Promise<string> {
    const address = blobAddress(data);
    const path = this.pathOf(address);
    try {
      if ((await stat(path)).size === data.length) return address;
    } catch (error) {
      if (!isErrno(error, "ENOENT")) throw error;
    }
    const directory = dirname(path);
    await this.ensureDirectory(directory);
    const temporary = join(directory, `${TEMPORARY_PREFIX}${bytesToHex(randomBytes(16))}`);
    this.writing.add(temporary);
    try {
      const handle = await open(temporary, "wx", 0o644);
      try {
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await handle.write(data, written, data.length - written);
          written += bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
      await syncDirectory(directory);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    } finally {
      this.writing.delete(temporary);
    }
    return address;
  }

  /**
   * The blob at `address`, re-hashed after reading.
   *
   * @throws InvalidBlobAddressError, BlobNotFoundError, or BlobIntegrityError if the bytes on disk do not match.
   */
  async get(address: string): Promise<Uint8Array> {
    const path = this.pathOf(address);
    let buffer: Buffer;
    try {
      buffer = await readFile(path);
    } catch (error) {
      if (isErrno(error, "ENOENT", "EISDIR")) throw new BlobNotFoundError(address);
      throw error;
    }
    const data = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const actual = blobAddress(data);
    if (actual !== address) throw new BlobIntegrityError(address, actual);
    return data;
  }

  /** Whether a file is stored at `address`; does not read or check it (use `get` or `verifyAll` for that). */
  async has(address: string): Promise<boolean> {
    const path = this.pathOf(address);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isErrno(error, "ENOENT")) return false;
      throw error;
    }
  }

  /**
   * The address of every stored blob, shard by shard in ascending order. Temporaries and files that are not named
   * like blobs are skipped. An empty or missing root lists nothing.
   */
  async *list(): AsyncIterable<string> {
    for (const shard of await this.entries(this.root, SHARD_NAME)) {
      for (const name of await this.entries(join(this.root, shard), BLOB_NAME)) {
        if (name.startsWith(shard)) yield `sha256:${name}`;
      }
    }
  }

  /**
   * Deletes temporaries left by writes that crashed. Run it when no other process is writing to this directory (at
   * start-up, say): it cannot tell another process's temporary in progress from an abandoned one. This store's own
   * writes in progress are left alone.
   */
  async recover(): Promise<{ removedTemporaries: number }> {
    let removedTemporaries = 0;
    for (const shard of await this.entries(this.root, SHARD_NAME)) {
      const directory = join(this.root, shard);
      for (const name of await readdir(directory)) {
        const path = join(directory, name);
        if (!name.startsWith(TEMPORARY_PREFIX) || this.writing.has(path)) continue;
        await rm(path, { force: true });
        removedTemporaries++;
      }
    }
    return { removedTemporaries };
  }

  /** Re-hashes every stored blob (streaming, so large blobs are not held in memory) and lists the corrupt ones. */
  async verifyAll(): Promise<{ checked: number; corrupt: string[] }> {
    let checked = 0;
    const corrupt: string[] = [];
    for await (const address of this.list()) {
      const hash = sha256.create();
      for await (const chunk of createReadStream(this.pathOf(address))) hash.update(chunk as Buffer);
      checked++;
      if (`sha256:${bytesToHex(hash.digest())}` !== address) corrupt.push(address);
    }
    return { checked, corrupt };
  }

  /** Sorted names in `directory` matching `pattern`; none if the directory does not exist. */
  private async entries(directory: string, pattern: RegExp): Promise<string[]> {
    try {
      return (await readdir(directory)).filter((name) => pattern.test(name)).sort();
    } catch (error) {
      if (isErrno(error, "ENOENT")) return [];
      throw error;
    }
  }

  /** Creates `directory` (and the root) if needed, fsyncing the parent of each directory it creates. */
  private async ensureDirectory(directory: string): Promise<void> {
    const first = await mkdir(directory, { recursive: true });
    if (first === undefined) return;
    const created: string[] = [];
    for (let path = directory; path.length >= first.length; path = dirname(path)) {
      created.push(path);
      if (path === first) break;
    }
    for (const path of created.reverse()) await syncDirectory(dirname(path));
  }
}
