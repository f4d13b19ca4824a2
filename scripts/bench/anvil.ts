import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/**
 * A local node process for the benchmarks that measure over JSON-RPC (a view's latency, the audit indexer's rate):
 * anvil, from the optional dependency @foundry-rs/anvil-linux-amd64, set up like a gas-free permissioned chain.
 */
export const ANVIL = path.join(__dirname, "..", "..", "node_modules", ".bin", "anvil");

export function anvilInstalled(): boolean {
  return fs.existsSync(ANVIL);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** Starts anvil on a free port (`--gas-price 0 --base-fee 0`, and `extraArgs`) and waits until it answers. */
export async function startAnvil(extraArgs: readonly string[] = []): Promise<{ url: string; node: ChildProcess }> {
  const port = await freePort();
  const node = spawn(ANVIL, ["--port", String(port), "--silent", "--gas-price", "0", "--base-fee", "0", ...extraArgs], {
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  // A bare request until it answers (an ethers provider would print its own retries meanwhile).
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      });
      if (response.ok) return { url, node };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  node.kill();
  throw new Error("anvil did not answer");
}
