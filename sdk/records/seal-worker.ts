/** A sealing thread of `SealPool`: seals each file it is sent and sends back the result, moving the envelope's bytes. */
import { parentPort } from "node:worker_threads";

import { sealFile } from "./seal-pool";

const port = parentPort;
if (port === null) throw new Error("seal-worker runs as a worker thread of SealPool");
port.on("message", ({ id, file, readers }: { id: number; file: string; readers: string[] }) => {
  void sealFile(file, readers).then((sealed) => {
    port.postMessage({ id, sealed }, sealed.ok ? [sealed.encoded.buffer as ArrayBuffer] : []);
  });
});
