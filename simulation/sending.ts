import {
  AbstractSigner,
  type Provider,
  resolveAddress,
  toQuantity,
  type TransactionRequest,
  type TransactionResponse,
} from "ethers";

/**
 * How the simulators send transactions on a development chain, where the node can sign: `eth_sendTransaction` from an
 * impersonated account (the node fills in the nonce, fees and chain id, and signs nothing: an impersonated
 * transaction carries no real signature) with an explicit gas limit, instead of a `Wallet` that asks the node for
 * the nonce, the fee data, the chain id and a gas estimate, and signs in JavaScript. On any other network they keep
 * wallets, which estimate every transaction.
 */

/** A provider that passes raw JSON-RPC requests on (`HardhatEthersProvider`, `JsonRpcProvider`). */
export interface RpcProvider extends Provider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * The gas limit a transaction is sent with: an explicit limit for the calls it knows (by `to` and selector, from the
 * calldata), undefined for the node to estimate.
 */
export type GasPolicy = (tx: { to: string; data: string }) => bigint | undefined;

/** The dialects of `impersonateAccount`: Hardhat's (in-process and `hardhat node`) and anvil's. */
const IMPERSONATE = ["hardhat_impersonateAccount", "anvil_impersonateAccount"] as const;

/**
 * Lets the node sign for `addresses` (impersonation) and returns true, or returns false when the node cannot (a real
 * network). Only asked of development chains: the in-process network and localhost.
 */
export async function impersonate(provider: RpcProvider, addresses: readonly string[]): Promise<boolean> {
  for (const method of IMPERSONATE) {
    try {
      for (const address of addresses) await provider.send(method, [address]);
      return true;
    } catch {
      // Not this node's dialect: try the next.
    }
  }
  return false;
}

/**
 * A signer whose transactions the node signs: `eth_sendTransaction` with the gas limit of `gas` (or the node's
 * estimate where the policy has none), one request to send and one for the transaction. It cannot sign messages or
 * typed data: keep the account's wallet for those.
 */
export class NodeSigner extends AbstractSigner<RpcProvider> {
  constructor(
    readonly address: string,
    provider: RpcProvider,
    private readonly gas: GasPolicy,
  ) {
    super(provider);
  }

  getAddress(): Promise<string> {
    return Promise.resolve(this.address);
  }

  connect(provider: Provider | null): NodeSigner {
    if (provider === null || !("send" in provider)) throw new Error("a NodeSigner needs a JSON-RPC provider");
    return new NodeSigner(this.address, provider as RpcProvider, this.gas);
  }

  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    if (tx.from !== undefined && tx.from !== null) {
      const from = await resolveAddress(tx.from, this.provider);
      if (from.toLowerCase() !== this.address.toLowerCase()) {
        throw new Error(`a NodeSigner for ${this.address} cannot send a transaction from ${from}`);
      }
    }
    const to = tx.to === null || tx.to === undefined ? undefined : await resolveAddress(tx.to, this.provider);
    const data = tx.data ?? "0x";
    const gasLimit = tx.gasLimit ?? (to === undefined ? undefined : this.gas({ to, data }));
    const request = {
      from: this.address,
      ...(to === undefined ? {} : { to }),
      data,
      ...(tx.value === undefined || tx.value === null ? {} : { value: toQuantity(tx.value) }),
      ...(gasLimit === undefined ? {} : { gas: toQuantity(gasLimit) }),
    };
    const hash = (await this.provider.send("eth_sendTransaction", [request])) as string;
    const sent = await this.provider.getTransaction(hash);
    if (sent === null) throw new Error(`the node accepted transaction ${hash} but does not know it`);
    return sent;
  }

  signTransaction(): Promise<string> {
    return Promise.reject(new Error("the node signs a NodeSigner's transactions: send them"));
  }

  signMessage(): Promise<string> {
    return Promise.reject(new Error("a NodeSigner cannot sign messages: use the account's wallet"));
  }

  signTypedData(): Promise<string> {
    return Promise.reject(new Error("a NodeSigner cannot sign typed data: use the account's wallet"));
  }
}
