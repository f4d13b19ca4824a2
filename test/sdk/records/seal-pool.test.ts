import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Worker } from "node:worker_threads";

import { expect } from "chai";
import { Wallet } from "ethers";

import { decodeEnvelope, openEnvelope } from "../../../sdk/records/envelope";
import { canonicalBytes } from "../../../sdk/records/fhir";
import { SealPool, sealDirectory, type SealedFile } from "../../../sdk/records/seal-pool";
import { vitalsBundle } from "../../../sdk/records/synthetic";
import type { BlobStore } from "../../../sdk/records/blob-store";
import { rejection } from "../../helpers/rejection";

/** The pool's workers, for the tests that stop one from outside (a crash stands in for an out-of-memory kill). */
const workersOf = (pool: SealPool): { worker: Worker }[] =>
  (pool as unknown as { workers: { worker: Worker }[] }).workers;

/** A store that keeps blobs in memory and counts them. */
function memoryStore(): BlobStore & { size(): number } {
  const blobs = new Map<string, Uint8Array>();
  let next = 0;
  return {
    put: (data) => {
      const address = `sha256:${(next++).toString(16).padStart(64, "0")}`;
      blobs.set(address, data);
      return Promise.resolve(address);
    },
    get: (address) => Promise.resolve(blobs.get(address)!),
    has: (address) => Promise.resolve(blobs.has(address)),
    size: () => blobs.size,
  };
}

describe("sdk/records/seal-pool", function () {
  this.timeout(60_000);
  const reader = Wallet.createRandom();
  let dir: string;
  const file = (name: string): string => path.join(dir, name);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-seal-pool-"));
    for (let i = 0; i < 12; i++) {
      fs.writeFileSync(file(`vitals-${String(i).padStart(2, "0")}.json`), JSON.stringify(vitalsBundle(7n, i)));
    }
    fs.writeFileSync(file("broken.json"), "{ not json");
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("SealPool", () => {
    it("seals in a worker what opens to the file's record, and gives a broken file's reason", async () => {
      const pool = new SealPool(2);
      try {
        const [sealed, broken] = await Promise.all([
          pool.seal(file("vitals-03.json"), [reader.signingKey.publicKey]),
          pool.seal(file("broken.json"), [reader.signingKey.publicKey]),
        ]);
        expect(sealed.ok).to.equal(true);
        const { encoded, commitment, patient } = sealed as Extract<SealedFile, { ok: true }>;
        expect(patient).to.equal(7n);
        const opened = openEnvelope(decodeEnvelope(encoded), reader.privateKey);
        expect(opened.commitment).to.equal(commitment);
        expect(opened.canonical).to.deep.equal(canonicalBytes(vitalsBundle(7n, 3)));
        expect(broken).to.deep.include({ ok: false });
        // Where the file stops being JSON, and nothing of its content: a record is PHI.
        expect((broken as { reason: string }).reason).to.equal(
          "cannot canonicalize the FHIR resource at $: not valid JSON: a property name not in double quotes " +
            "(or a comma before a closing brace) at line 1, column 3",
        );
      } finally {
        await pool.close();
      }
    });

    it("fails the jobs of a worker that dies, sends no more to it, and fails at once with none left", async () => {
      const pool = new SealPool(2);
      try {
        const readers = [reader.signingKey.publicKey];
        await Promise.all([pool.seal(file("vitals-00.json"), readers), pool.seal(file("vitals-01.json"), readers)]);
        const [first, second] = workersOf(pool);
        const orphaned = rejection(pool.seal(file("vitals-02.json"), readers)); // to the first worker: both are idle
        await first!.worker.terminate();
        expect(await orphaned).to.contain("a sealing thread exited");
        // Every later job goes to the live worker and completes.
        const later = await Promise.all([0, 1, 2].map((i) => pool.seal(file(`vitals-0${4 + i}.json`), readers)));
        expect(later.every((sealed) => sealed.ok)).to.equal(true);
        await second!.worker.terminate();
        expect(await rejection(pool.seal(file("vitals-08.json"), readers))).to.contain("a sealing thread exited");
      } finally {
        await pool.close();
      }
    });

    it("fails what is unfinished when closed, and refuses a pool without threads", async () => {
      const pool = new SealPool(1);
      const pending = rejection(pool.seal(file("vitals-09.json"), [reader.signingKey.publicKey]));
      await pool.close();
      expect(await pending).to.contain("the sealing pool was closed");
      expect(await rejection(pool.seal(file("vitals-09.json"), []))).to.contain("the sealing pool was closed");
      expect(() => new SealPool(0)).to.throw(RangeError, "at least 1; got 0");
      expect(() => new SealPool(1.5)).to.throw(RangeError, "got 1.5");
    });
  });

  describe("sealDirectory", () => {
    const names = (): string[] => fs.readdirSync(dir).sort();

    it("hands out every file in the order given, with threads as without", async () => {
      for (const threads of [0, 2]) {
        const store = memoryStore();
        const handed: string[] = [];
        for await (const stored of sealDirectory(dir, names(), store, {
          readers: [reader.signingKey.publicKey],
          threads,
        })) {
          handed.push(stored.file);
          if (stored.file === "broken.json") expect(stored.reason).to.match(/not valid JSON/);
          else expect(stored.reason, stored.file).to.equal(undefined);
        }
        expect(handed, `threads ${threads}`).to.deep.equal(names());
        expect(store.size()).to.equal(12);
      }
    });

    it("stops its workers and leaves nothing pending when the consumer stops early", async () => {
      const store = memoryStore();
      const generator = sealDirectory(dir, names(), store, { readers: [reader.signingKey.publicKey], threads: 2 });
      const first = await generator.next();
      expect(first.value).to.deep.include({ file: "broken.json" });
      await generator.return(undefined); // runs the generator's cleanup: close the pool, settle what was in flight
      expect(store.size()).to.be.at.most(names().length);
      expect((await generator.next()).done).to.equal(true);
    });
  });
});
