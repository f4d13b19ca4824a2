import net from "node:net";

import { expect } from "chai";
import { makeError } from "ethers";
import hre from "hardhat";
import { HardhatError } from "hardhat/internal/core/errors";
import { ERRORS } from "hardhat/internal/core/errors-list";
import { HardhatPluginError } from "hardhat/plugins";
import type { EIP1193Provider, RequestArguments } from "hardhat/types";

import { describeFailure } from "../../tasks/failures";
import { RetryingProvider, transportFailure } from "../../tasks/network";
import { anvilAvailable, startTaskNode, type TaskNode } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

const STACK_FRAME = /^ +at .*:\d+:\d+\)?$/m;

/** A socket error as undici or Node raise it. */
function socketError(code: string): Error {
  return Object.assign(new Error(`socket: ${code}`), { code });
}

/** A provider that fails each request with the next of `failures` (undefined: answers "0x1"), counting calls. */
function scriptedProvider(failures: (Error | undefined)[]): EIP1193Provider & { calls: string[] } {
  const calls: string[] = [];
  const provider = {
    calls,
    request(args: RequestArguments): Promise<unknown> {
      calls.push(args.method);
      const failure = failures.shift();
      return failure === undefined ? Promise.resolve("0x1") : Promise.reject(failure);
    },
    on: () => provider,
  };
  return provider as unknown as EIP1193Provider & { calls: string[] };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

/**
 * Findings 2 and 5 of issue 14: every failure of a task is one line an operator can act on, with a stack only when
 * asked for; an unreachable node is named with its URL, and a request whose socket a node under load dropped is
 * retried a bounded number of times.
 */
describe("tasks: failures", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  describe("RetryingProvider", function () {
    const NO_WAIT = [0, 0, 0];
    const refused = () => new HardhatError(ERRORS.NETWORK.NODE_IS_NOT_RUNNING, { network: "localhost" });

    it("retries a refused connection and answers once the node does", async function () {
      const inner = scriptedProvider([refused(), refused(), undefined]);
      const provider = new RetryingProvider(inner, "localhost", "http://127.0.0.1:1", NO_WAIT);
      expect(await provider.request({ method: "eth_blockNumber" })).to.equal("0x1");
      expect(inner.calls).to.deep.equal(["eth_blockNumber", "eth_blockNumber", "eth_blockNumber"]);
    });

    it("retries a transaction only when the connection was refused: the node never saw it", async function () {
      const inner = scriptedProvider([refused(), undefined]);
      const provider = new RetryingProvider(inner, "localhost", "http://127.0.0.1:1", NO_WAIT);
      expect(await provider.request({ method: "eth_sendRawTransaction", params: ["0x"] })).to.equal("0x1");
      expect(inner.calls).to.have.length(2);
    });

    it("gives up after four attempts with one line naming the network, the URL and the setting", async function () {
      const inner = scriptedProvider([refused(), refused(), refused(), refused(), undefined]);
      const provider = new RetryingProvider(inner, "consortium", "https://besu.example:8545", NO_WAIT);
      const error = await failureOf(provider.request({ method: "eth_chainId" }));
      expect(HardhatPluginError.isHardhatPluginError(error)).to.equal(true);
      expect(error.message).to.equal(
        "cannot reach network consortium at https://besu.example:8545: nothing answered (connection refused, 4 " +
          "attempt(s)); start the node (`npx hardhat node`, anvil, or your consortium node) or correct " +
          "CONSORTIUM_RPC_URL in .env",
      );
      expect(inner.calls).to.have.length(4);
    });

    for (const code of ["ECONNRESET", "UND_ERR_SOCKET", "EPIPE"]) {
      it(`retries a read whose socket was dropped (${code}), then says the node may be overloaded`, async function () {
        const inner = scriptedProvider([1, 2, 3, 4].map(() => socketError(code)));
        const provider = new RetryingProvider(inner, "localhost", "http://127.0.0.1:1", NO_WAIT);
        const error = await failureOf(provider.request({ method: "eth_call", params: [] }));
        expect(error.message).to.equal(
          "network localhost at http://127.0.0.1:1 closed the connection 4 time(s) in a row: the node may be " +
            "overloaded or restarting; try again, and look at the node's logs",
        );
        expect(inner.calls).to.have.length(4);
      });
    }

    it("does not resend a transaction whose socket was dropped: it may have arrived", async function () {
      const inner = scriptedProvider([socketError("ECONNRESET"), undefined]);
      const provider = new RetryingProvider(inner, "localhost", "http://127.0.0.1:1", NO_WAIT);
      const error = await failureOf(provider.request({ method: "eth_sendTransaction", params: [{}] }));
      expect(error.message).to.equal(
        "network localhost at http://127.0.0.1:1 closed the connection while taking a transaction: it may have " +
          "been sent; look at the account's latest transactions before sending it again",
      );
      expect(inner.calls).to.have.length(1);
    });

    it("does not retry a host name that does not resolve, nor an answer that is an error", async function () {
      const unresolved = scriptedProvider([socketError("ENOTFOUND")]);
      const error = await failureOf(
        new RetryingProvider(unresolved, "localhost", "http://nowhere.invalid:8545", NO_WAIT).request({
          method: "eth_chainId",
        }),
      );
      expect(error.message).to.equal(
        "cannot reach network localhost at http://nowhere.invalid:8545: its host name does not resolve; correct " +
          "LOCALHOST_RPC_URL in .env",
      );
      expect(unresolved.calls).to.have.length(1);

      const rpcError = Object.assign(new Error("execution reverted"), { code: 3 });
      const answered = scriptedProvider([rpcError]);
      const thrown = await failureOf(
        new RetryingProvider(answered, "localhost", "http://127.0.0.1:1", NO_WAIT).request({ method: "eth_call" }),
      );
      expect(thrown).to.equal(rpcError);
      expect(answered.calls).to.have.length(1);
    });

    it("does not retry a request the node did not answer in time, and says a transaction may have been sent", async function () {
      const timeout = () => new HardhatError(ERRORS.NETWORK.NETWORK_TIMEOUT);
      const send = scriptedProvider([timeout(), undefined]);
      const sendError = await failureOf(
        new RetryingProvider(send, "localhost", "http://127.0.0.1:1", NO_WAIT).request({
          method: "eth_sendTransaction",
          params: [{}],
        }),
      );
      expect(sendError.message).to.equal(
        "network localhost at http://127.0.0.1:1 did not answer in time while taking a transaction: it may have " +
          "been sent; look at the account's latest transactions before sending it again",
      );
      expect(send.calls).to.have.length(1);
      const read = scriptedProvider([timeout(), undefined]);
      const readError = await failureOf(
        new RetryingProvider(read, "localhost", "http://127.0.0.1:1", NO_WAIT).request({ method: "eth_call" }),
      );
      expect(readError.message).to.equal(
        "network localhost at http://127.0.0.1:1 did not answer eth_call in time: the node may be overloaded; try " +
          "again, and look at its logs",
      );
      expect(read.calls).to.have.length(1);
    });

    it("does not repeat a development node's state change whose connection dropped", async function () {
      const inner = scriptedProvider([socketError("ECONNRESET"), undefined]);
      const error = await failureOf(
        new RetryingProvider(inner, "localhost", "http://127.0.0.1:1", NO_WAIT).request({
          method: "evm_increaseTime",
          params: [3600],
        }),
      );
      expect(error.message).to.equal(
        "network localhost at http://127.0.0.1:1 closed the connection during evm_increaseTime, which may have " +
          "taken effect: look before trying again",
      );
      expect(inner.calls).to.have.length(1);
    });

    it("hides the credentials of a node's URL in its messages", async function () {
      const inner = scriptedProvider([refused(), refused(), refused(), refused()]);
      const provider = new RetryingProvider(
        inner,
        "consortium",
        "https://ops:s3cret@besu.example:8545/?key=abc",
        NO_WAIT,
      );
      const error = await failureOf(provider.request({ method: "eth_chainId" }));
      expect(error.message).to.contain("cannot reach network consortium at https://***@besu.example:8545/?***:");
      expect(error.message).not.to.contain("s3cret");
      expect(error.message).not.to.contain("abc");
    });

    it("reads the failure under Hardhat's wrapping: HH108's cause, nested socket errors", function () {
      expect(transportFailure(refused())).to.equal("refused");
      expect(transportFailure({ parent: { cause: socketError("ECONNRESET") } })).to.equal("dropped");
      expect(transportFailure(new Error("execution reverted"))).to.equal(undefined);
    });
  });

  describe("describeFailure", function () {
    it("says a deployment that stopped resumes from its journal once the cause is removed", function () {
      const error = Object.assign(new Error("Deployment failed:\n  * IdentityRegistry#IdentityRegistry: reverted"), {
        name: "DeploymentStoppedError",
      });
      expect(describeFailure(error, hre)).to.equal(
        "the deployment stopped: Deployment failed:; * IdentityRegistry#IdentityRegistry: reverted; remove the " +
          "cause, then run careledger:deploy again: it resumes from its journal",
      );
    });

    it("passes Ignition's own refusal on as Ignition's, not as a bug", function () {
      const error = new HardhatPluginError("hardhat-ignition", "IGN403: the journal does not match the module");
      expect(describeFailure(error, hre)).to.equal(
        "Hardhat Ignition refused the deployment: IGN403: the journal does not match the module",
      );
    });

    it("prints an unexpected ethers error's short message, never the request it carries", function () {
      const error = makeError("could not coalesce error", "UNKNOWN_ERROR", {
        error: { message: "boom" },
        payload: { method: "eth_sendRawTransaction", params: ["0xf86c0a8502540be400825208secret"] },
      });
      const line = describeFailure(error, hre);
      expect(line).to.equal(
        "could not coalesce error (unexpected: run it again with --show-stack-traces to see where, and report it)",
      );
      expect(line).not.to.contain("secret");
    });

    it("clips a long message to 300 characters", function () {
      const line = describeFailure(new Error("x".repeat(1_000)), hre);
      expect(line.startsWith(`${"x".repeat(297)}... (unexpected`)).to.equal(true);
    });

    it("names the file and what is wrong with it", function () {
      const error = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", path: "/srv/plan.json" });
      expect(describeFailure(error, hre)).to.equal("/srv/plan.json: no such file or directory");
    });

    it("says a call that returned nothing hit an address without a contract, and to run doctor", function () {
      const error = makeError("could not decode result data", "BAD_DATA", { value: "0x" });
      expect(describeFailure(error, hre)).to.equal(
        "a contract call on network hardhat returned nothing: there is no contract at the address it called; " +
          "run `npx hardhat careledger:doctor --network hardhat` to compare the recorded deployment with this chain",
      );
    });

    it("says an account without ether for gas must be funded or the chain run gas-free", function () {
      const error = makeError("insufficient funds", "INSUFFICIENT_FUNDS", {
        transaction: {},
      });
      expect(describeFailure(error, hre)).to.equal(
        "the sending account cannot pay for gas on network hardhat: fund it, or run the chain gas-free " +
          "(gas price 0; docs/consortium.md)",
      );
    });

    it("passes a node's JSON-RPC refusal on, and folds any other error onto one line with the way to see more", function () {
      const node = Object.assign(new Error("unknown account 0xdead"), { code: -32000 });
      expect(describeFailure(node, hre)).to.equal(
        "the node of network hardhat refused the request: unknown account 0xdead",
      );
      expect(describeFailure(new TypeError("a\n  b"), hre)).to.equal(
        "a; b (unexpected: run it again with --show-stack-traces to see where, and report it)",
      );
    });
  });

  describe("against a node", function () {
    let node: TaskNode;

    before(async function () {
      if (!anvilAvailable()) this.skip();
      this.timeout(180_000);
      node = await startTaskNode();
      const deployed = await node.run("careledger:deploy", "--parameters", "localhost");
      expect(deployed.code, deployed.output).to.equal(0);
    });

    after(function () {
      (node as TaskNode | undefined)?.stop(); // undefined when the file was skipped
    });

    it("names the network and URL of a node that is not running, in one line, exit 1", async function () {
      this.timeout(60_000);
      const closed = await freePort();
      const url = `http://127.0.0.1:${closed}`;
      const result = await node.cli(["careledger:identity:show", "--id", "1"], { LOCALHOST_RPC_URL: url, CI: "true" });
      expect(result.code).to.equal(1);
      expect(result.output.trim().split("\n")[0]).to.equal(
        `Error in plugin careledger: cannot reach network localhost at ${url}: nothing answered (connection ` +
          "refused, 4 attempt(s)); start the node (`npx hardhat node`, anvil, or your consortium node) or correct " +
          "LOCALHOST_RPC_URL in .env",
      );
      expect(result.output).not.to.match(STACK_FRAME);
      expect(result.output).not.to.contain("HH108");
    });

    it("prints the stack when asked for with --show-stack-traces", async function () {
      this.timeout(60_000);
      const url = `http://127.0.0.1:${await freePort()}`;
      const result = await node.cli(["--show-stack-traces", "careledger:identity:show", "--id", "1"], {
        LOCALHOST_RPC_URL: url,
      });
      expect(result.code).to.equal(1);
      expect(result.output).to.match(STACK_FRAME);
    });

    it("rides out a node that drops the first connections: the task answers", async function () {
      this.timeout(60_000);
      const proxy = await droppingProxy(node.url, 2);
      try {
        const result = await node.cli(["careledger:identity:register-patient", "--from", "7"], {
          LOCALHOST_RPC_URL: proxy.url,
        });
        expect(result.code, result.output).to.equal(0);
        expect(result.output).to.match(/^Patient \d+ registered/m);
        expect(proxy.dropped()).to.equal(2);
      } finally {
        proxy.close();
      }
    });

    it("prints Hardhat's own refusal of a missing option as one line on a server", async function () {
      this.timeout(60_000);
      const result = await node.cli(["careledger:identity:show"], { CI: "true" });
      expect(result.code).to.equal(1);
      expect(result.output).to.contain("Error in plugin careledger:");
      expect(result.output).not.to.match(STACK_FRAME);
      const missing = await node.cli(["careledger:consent:check", "--patient", "1"], { CI: "true" });
      expect(missing.code).to.equal(1);
      expect(missing.output).to.match(
        /^Error HH306: The '--\w+' parameter of task 'careledger:consent:check' expects/m,
      );
      expect(missing.output).not.to.match(STACK_FRAME);
    });
  });
});

/** A port nothing listens on: one the system just handed out and took back. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** A TCP proxy to `target` that closes its first `drops` connections as soon as they send anything. */
async function droppingProxy(
  target: string,
  drops: number,
): Promise<{ url: string; dropped: () => number; close: () => void }> {
  const { hostname, port } = new URL(target);
  let dropped = 0;
  const server = net.createServer((client) => {
    if (dropped < drops) {
      client.once("data", () => {
        dropped += 1;
        client.destroy();
      });
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    client.pipe(upstream).pipe(client);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    dropped: () => dropped,
    close: () => {
      server.close();
    },
  };
}
