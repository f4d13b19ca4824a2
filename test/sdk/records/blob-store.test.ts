import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { keccak_256 } from "@noble/hashes/sha3.js";
import { expect } from "chai";
import { hexlify, toUtf8Bytes } from "ethers";

import {
  BlobIntegrityError,
  blobAddress,
  BlobNotFoundError,
  blobPointer,
  DirectoryBlobStore,
  InvalidBlobAddressError,
} from "../../../sdk/records/blob-store";
import { crashTestBlob } from "./blob-store.crash-child";

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/** Awaits `promise` and returns what it rejects with, checking the error's class. */
async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as T;
  }
  expect.fail(`expected a rejection with ${type.name}`);
}

async function listed(store: DirectoryBlobStore): Promise<string[]> {
  const addresses: string[] = [];
  for await (const address of store.list()) addresses.push(address);
  return addresses;
}

/** Every `.tmp-` file under `root`, as paths. */
function temporaries(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((shard) =>
    readdirSync(join(root, shard))
      .filter((name) => name.startsWith(".tmp-"))
      .map((name) => join(root, shard, name)),
  );
}

/** A small blob whose address falls in the same shard directory as `address`. */
function neighbourOf(address: string): Uint8Array {
  for (let index = 0; ; index++) {
    const data = toUtf8Bytes(`neighbour ${index}`);
    if (blobAddress(data).slice(7, 9) === address.slice(7, 9)) return data;
  }
}

const CHILD = join(__dirname, "blob-store.crash-child.ts");
const PROJECT = resolve(__dirname, "../../..");

interface CrashResult {
  /** "SIGKILL" if we killed the child, null if `put` finished first (race mode only). */
  signal: NodeJS.Signals | null;
  output: string;
  /** The temporaries on disk right after the child died. */
  temporaries: string[];
}

/**
 * Runs `DirectoryBlobStore.put` of `crashTestBlob(size)` in a child Node process and SIGKILLs it as soon as its
 * temporary has some bytes on disk, i.e. in the middle of the write. In "freeze" mode the child has also stopped its
 * JavaScript thread once the temporary existed, so `put` cannot have reached the fsync and rename whatever the timing;
 * in "race" mode nothing holds it back.
 */
async function crashPut(root: string, size: number, mode: "freeze" | "race"): Promise<CrashResult> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CHILD, root, String(size), mode], {
    cwd: PROJECT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let errors = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  type Exit = { code: number | null; signal: NodeJS.Signals | null };
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((done) => {
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      done(exit);
    });
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exit !== undefined) {
      if (mode === "race" && exit.code === 0) return { signal: null, output, temporaries: temporaries(root) };
      throw new Error(`the child exited (code ${exit.code}, ${exit.signal}) before it was killed:\n${output}${errors}`);
    }
    const written = temporaries(root).some((path) => (statSync(path, { throwIfNoEntry: false })?.size ?? 0) > 0);
    if (written && (mode === "race" || output.includes("temporary\n"))) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`no temporary appeared within 90 s:\n${output}${errors}`);
    }
    await new Promise((next) => setImmediate(next));
  }
  child.kill("SIGKILL");
  const { signal } = await exited;
  return { signal, output, temporaries: temporaries(root) };
}

describe("sdk/records/blob-store", () => {
  let root: string;

  beforeEach(async () => {
    root = join(await mkdtemp(join(tmpdir(), "careledger-blobs-")), "store");
  });

  afterEach(async () => {
    await rm(dirname(root), { recursive: true, force: true });
  });

  describe("blobAddress and blobPointer", () => {
    it("addresses a blob by its SHA-256 (FIPS 180-2 vectors)", () => {
      expect(blobAddress(new Uint8Array())).to.equal(`sha256:${EMPTY_SHA256}`);
      expect(blobAddress(toUtf8Bytes("abc"))).to.equal(`sha256:${ABC_SHA256}`);
    });

    it("commits to the address with keccak256 of its UTF-8 bytes", () => {
      const address = `sha256:${ABC_SHA256}`;
      // An independent keccak-256 (noble's, not ethers'), and the fixed value.
      expect(blobPointer(address)).to.equal(hexlify(keccak_256(new TextEncoder().encode(address))));
      expect(blobPointer(address)).to.equal("0xdbf034360a3c6ff39dd3bd46267fc80a3242bcf0ea407851d57535afe19d61b3");
      expect(blobPointer(`sha256:${EMPTY_SHA256}`)).to.not.equal(blobPointer(address));
      expect(() => blobPointer(`sha256:${ABC_SHA256.toUpperCase()}`)).to.throw(InvalidBlobAddressError);
    });
  });

  describe("DirectoryBlobStore", () => {
    it("stores, finds and reads back a blob at <root>/<2 hex>/<64 hex>, creating the root on the first write", async () => {
      const store = new DirectoryBlobStore(root);
      expect(existsSync(root)).to.equal(false);
      expect(await store.has(`sha256:${ABC_SHA256}`)).to.equal(false);
      expect(await listed(store)).to.deep.equal([]);

      const address = await store.put(toUtf8Bytes("abc"));
      expect(address).to.equal(`sha256:${ABC_SHA256}`);
      expect(store.pathOf(address)).to.equal(join(root, "ba", ABC_SHA256));
      expect((await readFile(join(root, "ba", ABC_SHA256))).toString()).to.equal("abc");
      expect(await store.has(address)).to.equal(true);
      expect(await store.has(`sha256:${EMPTY_SHA256}`)).to.equal(false);
      const back = await store.get(address);
      expect(back).to.be.instanceOf(Uint8Array);
      expect(hexlify(back)).to.equal(hexlify(toUtf8Bytes("abc")));

      // The empty blob is a blob like any other.
      expect(await store.put(new Uint8Array())).to.equal(`sha256:${EMPTY_SHA256}`);
      expect((await store.get(`sha256:${EMPTY_SHA256}`)).length).to.equal(0);
      expect(temporaries(root)).to.deep.equal([]);
    });

    it("treats a second put of the same bytes as a no-op", async () => {
      const store = new DirectoryBlobStore(root);
      const data = toUtf8Bytes("the same envelope");
      const address = await store.put(data);
      const before = await stat(store.pathOf(address));
      expect(await store.put(data)).to.equal(address);
      expect(await new DirectoryBlobStore(root).put(data)).to.equal(address);
      const after = await stat(store.pathOf(address));
      // Same inode and modification time: the file was not rewritten.
      expect(after.ino).to.equal(before.ino);
      expect(after.mtimeMs).to.equal(before.mtimeMs);
      expect(await listed(store)).to.deep.equal([address]);
      expect(temporaries(root)).to.deep.equal([]);
    });

    it("reports a corrupted file as a BlobIntegrityError on get and in verifyAll", async () => {
      const store = new DirectoryBlobStore(root);
      const good = await store.put(toUtf8Bytes("a record that stays intact"));
      const address = await store.put(toUtf8Bytes("a record that will rot"));
      const corrupted = toUtf8Bytes("a record that will rox");
      await writeFile(store.pathOf(address), corrupted);

      const error = await rejection(store.get(address), BlobIntegrityError);
      expect(error.address).to.equal(address);
      expect(error.actual).to.equal(blobAddress(corrupted));
      expect(error.message).to.equal(
        `the blob stored at ${address} is corrupt: its bytes hash to ${blobAddress(corrupted)}`,
      );
      expect(await store.has(address)).to.equal(true); // has() does not read; get() and verifyAll() do
      expect(await store.verifyAll()).to.deep.equal({ checked: 2, corrupt: [address] });
      expect(hexlify(await store.get(good))).to.equal(hexlify(toUtf8Bytes("a record that stays intact")));
    });

    it("repairs a damaged file of the wrong size when the same bytes are put again", async () => {
      const store = new DirectoryBlobStore(root);
      const data = toUtf8Bytes("a record cut short by a bad disk");
      const address = await store.put(data);
      await truncate(store.pathOf(address), 5);
      expect((await store.verifyAll()).corrupt).to.deep.equal([address]);
      expect(await store.put(data)).to.equal(address);
      expect(hexlify(await store.get(address))).to.equal(hexlify(data));
      expect(await store.verifyAll()).to.deep.equal({ checked: 1, corrupt: [] });
    });

    it("reports a missing blob as BlobNotFoundError", async () => {
      const store = new DirectoryBlobStore(root);
      const error = await rejection(store.get(`sha256:${ABC_SHA256}`), BlobNotFoundError);
      expect(error.address).to.equal(`sha256:${ABC_SHA256}`);
      expect(error.message).to.equal(`no blob is stored at sha256:${ABC_SHA256}`);
      await store.put(toUtf8Bytes("something else"));
      await rejection(store.get(`sha256:${ABC_SHA256}`), BlobNotFoundError);
    });

    it("refuses strings that are not blob addresses", async () => {
      const store = new DirectoryBlobStore(root);
      const invalid = [
        `sha256:${ABC_SHA256.toUpperCase()}`,
        `sha256:${ABC_SHA256.slice(1)}`,
        `sha256:${ABC_SHA256}\n`,
        `SHA256:${ABC_SHA256}`,
        ABC_SHA256,
        `sha1:${"a".repeat(40)}`,
        `sha256:../../${"a".repeat(58)}`,
        "",
      ];
      for (const address of invalid) {
        const error = await rejection(store.get(address), InvalidBlobAddressError);
        expect(error).to.be.instanceOf(TypeError);
        expect(error.message).to.equal(
          `not a blob address: ${JSON.stringify(address)} (expected "sha256:" + 64 lowercase hex digits)`,
        );
        await rejection(store.has(address), InvalidBlobAddressError);
        expect(() => store.pathOf(address)).to.throw(InvalidBlobAddressError);
        expect(() => blobPointer(address)).to.throw(InvalidBlobAddressError);
      }
      expect(existsSync(root)).to.equal(false);
    });

    it("lists stored blobs in order, skipping temporaries and stray files", async () => {
      const store = new DirectoryBlobStore(root);
      const addresses = [];
      for (const text of ["one", "two", "three", "four"]) addresses.push(await store.put(toUtf8Bytes(text)));
      const [first] = addresses;
      const shard = dirname(store.pathOf(first!));
      await writeFile(join(shard, ".tmp-abandoned"), "partial");
      await writeFile(join(shard, "README"), "not a blob");
      await writeFile(join(shard, "00".repeat(32)), "a blob-like name in the wrong shard");
      await mkdir(join(root, "zz"));
      await writeFile(join(root, "zz", "f".repeat(64)), "not a shard");
      expect(await listed(store)).to.deep.equal([...addresses].sort());
      expect(await store.verifyAll()).to.deep.equal({ checked: 4, corrupt: [] });
    });

    it("recover() removes leftover temporaries and nothing else", async () => {
      const store = new DirectoryBlobStore(root);
      expect(await store.recover()).to.deep.equal({ removedTemporaries: 0 }); // no root yet
      const address = await store.put(toUtf8Bytes("kept"));
      const shard = dirname(store.pathOf(address));
      await writeFile(join(shard, ".tmp-1"), "partial");
      await writeFile(join(shard, ".tmp-2"), "");
      await writeFile(join(shard, "README"), "kept too");
      expect(await store.recover()).to.deep.equal({ removedTemporaries: 2 });
      expect(readdirSync(shard).sort()).to.deep.equal([address.slice(7), "README"].sort());
      expect(await store.recover()).to.deep.equal({ removedTemporaries: 0 });
    });

    describe("a crash during put", () => {
      const SIZE = 64 * 1024 * 1024;
      let big: Uint8Array;
      let address: string;

      before(() => {
        big = crashTestBlob(SIZE);
        address = blobAddress(big);
      });

      /** Stores three small blobs, one of them in the shard directory the big blob is written to. */
      async function storePrevious(store: DirectoryBlobStore): Promise<Map<string, Uint8Array>> {
        const previous = new Map<string, Uint8Array>();
        for (const data of [toUtf8Bytes("before the crash"), toUtf8Bytes("also before"), neighbourOf(address)]) {
          previous.set(await store.put(data), data);
        }
        expect(dirname(store.pathOf([...previous.keys()][2]!))).to.equal(dirname(store.pathOf(address)));
        return previous;
      }

      async function expectPreviousIntact(store: DirectoryBlobStore, previous: Map<string, Uint8Array>): Promise<void> {
        for (const [stored, data] of previous) expect(hexlify(await store.get(stored))).to.equal(hexlify(data));
      }

      async function expectFreshPutSucceeds(store: DirectoryBlobStore, checked: number): Promise<void> {
        expect(await store.put(big)).to.equal(address);
        expect(Buffer.compare(await store.get(address), big)).to.equal(0);
        expect(await store.verifyAll()).to.deep.equal({ checked, corrupt: [] });
        expect(temporaries(root)).to.deep.equal([]);
      }

      it("leaves no blob, only a partial temporary, when killed mid-write before the rename", async () => {
        const store = new DirectoryBlobStore(root);
        const previous = await storePrevious(store);

        const crash = await crashPut(root, SIZE, "freeze");
        expect(crash.signal).to.equal("SIGKILL");
        expect(crash.output).to.not.include("done");
        expect(crash.temporaries).to.have.length(1);
        const [temporary] = crash.temporaries;
        expect(dirname(temporary!)).to.equal(dirname(store.pathOf(address)));
        // Killed mid-write: some but (almost always) not all of the bytes reached the temporary.
        expect(statSync(temporary!).size).to.be.above(0).and.at.most(SIZE);

        // Nothing at the final address; the store is otherwise intact and the temporary is not a blob.
        expect(existsSync(store.pathOf(address))).to.equal(false);
        expect(await store.has(address)).to.equal(false);
        await rejection(store.get(address), BlobNotFoundError);
        await expectPreviousIntact(store, previous);
        expect(await listed(store)).to.deep.equal([...previous.keys()].sort());
        expect(await store.verifyAll()).to.deep.equal({ checked: 3, corrupt: [] });

        expect(await store.recover()).to.deep.equal({ removedTemporaries: 1 });
        expect(temporaries(root)).to.deep.equal([]);
        await expectFreshPutSucceeds(store, 4);
      });

      it("leaves either no blob or the complete blob when killed as soon as its temporary has bytes", async () => {
        const store = new DirectoryBlobStore(root);
        const previous = await storePrevious(store);

        const crash = await crashPut(root, SIZE, "race");
        if (existsSync(store.pathOf(address))) {
          // The rename happened before the kill landed: then the blob is whole.
          expect(Buffer.compare(await store.get(address), big)).to.equal(0);
          expect(crash.temporaries).to.deep.equal([]);
        } else {
          expect(await store.has(address)).to.equal(false);
          expect(crash.temporaries).to.have.length(1);
          expect(crash.signal).to.equal("SIGKILL");
        }
        await expectPreviousIntact(store, previous);
        expect((await store.verifyAll()).corrupt).to.deep.equal([]);
        expect(await store.recover()).to.deep.equal({ removedTemporaries: crash.temporaries.length });
        await expectFreshPutSucceeds(store, 4);
      });
    });
  });
});
