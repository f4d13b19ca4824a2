import { extendProvider } from "hardhat/config";
import { ProviderWrapper } from "hardhat/plugins";
import type { EIP1193Provider, RequestArguments } from "hardhat/types";

import { displayUrl } from "../config/env";
import { operatorError } from "./util";

/** Waits before each retry of a request the node's socket dropped: three retries, 1.75 s in all. */
export const RETRY_DELAYS_MS = [250, 500, 1_000] as const;

/** The setting in `.env` that holds each network's URL, for the advice in a message. */
const URL_SETTING: Readonly<Record<string, string>> = {
  localhost: "LOCALHOST_RPC_URL",
  consortium: "CONSORTIUM_RPC_URL",
};

/** Methods that hand the node a transaction: sent twice, a node-signed one could be executed twice. */
const SENDS = new Set(["eth_sendTransaction", "eth_sendRawTransaction"]);

/**
 * The requests that read or sign and change nothing, which may be sent again after the node dropped the connection. Anything
 * else — a transaction, and a development node's own state-changing methods (`evm_increaseTime`, `evm_mine`,
 * `hardhat_*`, `anvil_*`) — may already have taken effect, and is retried only when the connection was refused.
 */
const READS = new Set([
  "eth_accounts",
  "eth_blockNumber",
  "eth_call",
  "eth_chainId",
  "eth_estimateGas",
  "eth_feeHistory",
  "eth_gasPrice",
  "eth_getBalance",
  "eth_getBlockByHash",
  "eth_getBlockByNumber",
  "eth_getCode",
  "eth_getLogs",
  "eth_getStorageAt",
  "eth_getTransactionByHash",
  "eth_getTransactionCount",
  "eth_getTransactionReceipt",
  "eth_maxPriorityFeePerGas",
  // Signatures by a node that holds the accounts (a development node): they change nothing on chain.
  "eth_sign",
  "eth_signTypedData_v4",
  "personal_sign",
  "net_version",
  "web3_clientVersion",
]);

/**
 * How a request failed below JSON-RPC: `refused` (nothing listens at the URL: the request never reached a node),
 * `dropped` (the connection closed or reset before an answer: a node under load, or restarting), `timeout` (no answer
 * in time: the node may still be working on it), `unresolved` (the host name does not resolve), or undefined for
 * anything else (an answer, a JSON-RPC error: not retried).
 */
export function transportFailure(error: unknown): "refused" | "dropped" | "unresolved" | "timeout" | undefined {
  for (let cause = error, depth = 0; typeof cause === "object" && cause !== null && depth < 5; depth++) {
    const { code, number, parent } = cause as { code?: unknown; number?: unknown; parent?: unknown };
    // Hardhat turns ECONNREFUSED into HH108 (its parent is the socket error) and a request that got no answer within
    // the network's timeout (20 s by default) into HH109.
    if (code === "ECONNREFUSED" || number === 108) return "refused";
    if (number === 109) return "timeout";
    if (["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"].includes(String(code))) {
      return "dropped";
    }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "unresolved";
    cause = parent ?? (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Retries a request to a node over HTTP when its socket failed in a way that another attempt can cure (refused while
 * the node starts, dropped by a node under load), a bounded number of times, then fails with one line that names the
 * network, its URL and the setting to check. A transaction is retried only when the connection was refused: a dropped
 * one may have reached the node, and the message says to look before sending it again.
 */
export class RetryingProvider extends ProviderWrapper {
  constructor(
    provider: EIP1193Provider,
    private readonly network: string,
    private readonly url: string,
    private readonly delays: readonly number[] = RETRY_DELAYS_MS,
  ) {
    super(provider);
  }

  async request(args: RequestArguments): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this._wrappedProvider.request(args);
      } catch (error) {
        const failure = transportFailure(error);
        if (failure === undefined) throw error;
        const retryable = failure === "refused" || (failure === "dropped" && READS.has(args.method));
        const delay = this.delays[attempt];
        if (!retryable || delay === undefined) {
          // The kind and count stay on the error for a caller that words it itself (careledger:doctor).
          throw Object.assign(this.unreachable(failure, args.method, attempt + 1), {
            transport: failure,
            attempts: attempt + 1,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private unreachable(
    failure: "refused" | "dropped" | "unresolved" | "timeout",
    method: string,
    attempts: number,
  ): Error {
    const where = `network ${this.network} at ${displayUrl(this.url)}`;
    const setting = URL_SETTING[this.network];
    const fix = setting === undefined ? "its url in hardhat.config.ts" : `${setting} in .env`;
    if (failure === "unresolved") {
      return operatorError(`cannot reach ${where}: its host name does not resolve; correct ${fix}`);
    }
    if (failure === "refused") {
      return operatorError(
        `cannot reach ${where}: nothing answered (connection refused, ${attempts} attempt(s)); start the node ` +
          `(\`npx hardhat node\`, anvil, or your consortium node) or correct ${fix}`,
      );
    }
    if (SENDS.has(method)) {
      const what = failure === "timeout" ? "did not answer in time" : "closed the connection";
      return operatorError(
        `${where} ${what} while taking a transaction: it may have been sent; look at the account's ` +
          "latest transactions before sending it again",
      );
    }
    if (failure === "timeout") {
      return operatorError(
        `${where} did not answer ${method} in time: the node may be overloaded; try again, and look at its logs`,
      );
    }
    if (!READS.has(method)) {
      return operatorError(
        `${where} closed the connection during ${method}, which may have taken effect: look before trying again`,
      );
    }
    return operatorError(
      `${where} closed the connection ${attempts} time(s) in a row: the node may be overloaded or restarting; ` +
        "try again, and look at the node's logs",
    );
  }
}

extendProvider((provider, config, network) => {
  const networkConfig = config.networks[network];
  if (networkConfig === undefined || !("url" in networkConfig)) return provider;
  // ProviderWrapper copies the EventEmitter methods of the provider it wraps, as Hardhat's own wrappers do.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  return new RetryingProvider(provider, network, networkConfig.url);
});
