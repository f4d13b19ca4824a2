import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

import { DirectoryBlobStore } from "../../../sdk/records/blob-store";

/**
 * The child process of the blob store's crash test (`blob-store.test.ts`): it writes one large blob with
 * `DirectoryBlobStore.put` and is killed with SIGKILL part-way. Importing this file (as mocha does when it loads
 * every file under test/) does nothing; it only acts when run as a script:
 *
 *   node -r ts-node/register/transpile-only blob-store.crash-child.ts <root> <bytes> <freeze|race>
 *
 * - `freeze`: as soon as the store's `.tmp-` file has bytes in it, print "temporary" and block this (only JavaScript)
 *   thread, so `put` can never get past its write to the fsync and rename: a deterministic crash between starting
 *   the write and publishing the blob. The parent then kills the process.
 * - `race`: just write; the parent kills the process the moment it sees a temporary, wherever `put` has got to.
 *
 * It prints "done <address>" if `put` finishes before it is killed.
 */

/** Deterministic pseudo-random bytes (xorshift32), so the parent can rebuild the child's blob without receiving it. */
export function crashTestBlob(size: number, seed = 0x2545f491): Uint8Array {
  const words = new Uint32Array(Math.ceil(size / 4));
  let state = seed >>> 0;
  for (let index = 0; index < words.length; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    words[index] = state;
  }
  return new Uint8Array(words.buffer, 0, size);
}

/** Whether a `.tmp-` file under `root` has bytes in it, i.e. `put` has opened it and its write is under way. */
function temporaryWritten(root: string): boolean {
  try {
    for (const shard of readdirSync(root)) {
      for (const name of readdirSync(join(root, shard))) {
        if (name.startsWith(".tmp-") && (statSync(join(root, shard, name), { throwIfNoEntry: false })?.size ?? 0) > 0) {
          return true;
        }
      }
    }
  } catch {
    // The root or a shard does not exist yet.
  }
  return false;
}

async function main(root: string, size: number, mode: string): Promise<void> {
  const data = crashTestBlob(size);
  const store = new DirectoryBlobStore(root);
  if (mode === "freeze") {
    // Waiting for bytes, not just for the file: the file exists as soon as libuv's thread pool has opened it, before
    // `put` has issued its write. Once bytes arrive the write is under way in the thread pool and continues while
    // this thread is stopped, but `put`'s next step (fsync, then rename) needs this thread and never runs.
    const poll = (): void => {
      if (!temporaryWritten(root)) {
        setImmediate(poll);
        return;
      }
      process.stdout.write("temporary\n");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    };
    setImmediate(poll);
  } else if (mode !== "race") {
    throw new Error(`unknown mode ${mode}`);
  }
  const address = await store.put(data);
  process.stdout.write(`done ${address}\n`);
}

if (require.main === module) {
  const [root, size, mode] = process.argv.slice(2);
  if (root === undefined || size === undefined || mode === undefined) {
    console.error("usage: blob-store.crash-child.ts <root> <bytes> <freeze|race>");
    process.exit(2);
  }
  main(root, Number(size), mode).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
