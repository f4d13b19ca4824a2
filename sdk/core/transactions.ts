import {
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type EventFragment,
  type Interface,
  isCallException,
  type Log,
  type Result,
  TransactionReceipt,
} from "ethers";

import { CareLedgerError, decodeError, withDecodedErrors } from "./errors";

/** What every write returns at least: its mined receipt. */
export interface Sent {
  receipt: ContractTransactionReceipt;
}

/**
 * Sends a write, waits for its receipt and rethrows a revert as `CareLedgerError` (the custom error's name and
 * arguments): how every client's writes go out.
 */
export function mined(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  return withDecodedErrors(async () => {
    const response = await call();
    let receipt: ContractTransactionReceipt | null;
    try {
      receipt = await response.wait();
    } catch (error) {
      throw await withRevertReason(response, error);
    }
    if (receipt === null) throw new Error("transaction was dropped");
    return receipt;
  });
}

/**
 * A transaction mined as reverted carries no reason in its receipt. A node that runs a transaction before accepting
 * it (Hardhat's) or a gas estimate rejects it with the reason before it is sent; one that mines it as sent (anvil,
 * given an explicit gas limit) does not: the transaction is replayed as a call on its block's parent state to get the
 * reason — only when it was first in its block (automining), where that state is its own: after other transactions of
 * the same block, the replay could revert for another reason, or not at all, and a wrong reason is worse than none.
 * Returns what to throw: the replay's error decoded where it has a known custom error, else `error` as it was.
 */
async function withRevertReason(response: ContractTransactionResponse, error: unknown): Promise<unknown> {
  if (!isCallException(error) || error.data !== null || error.receipt === undefined) return error;
  if (error.receipt.index !== 0) return error;
  try {
    await response.provider.call({
      from: response.from,
      to: response.to,
      data: response.data,
      value: response.value,
      gasLimit: response.gasLimit,
      blockTag: error.receipt.blockNumber - 1,
    });
  } catch (replayed) {
    // Over HTTP the provider throws the node's error rather than ethers' CALL_EXCEPTION: decode either. The replay's
    // error may not name the transaction; the response does, which an explanation needs (the function refused).
    const decoded = decodeError(replayed);
    if (decoded instanceof CareLedgerError) {
      if (response.to === null) return decoded;
      const { errorName, args, selector, cause } = decoded;
      return new CareLedgerError(errorName, args, selector, cause, {
        to: response.to,
        data: response.data,
        from: response.from,
      });
    }
  }
  return error;
}

/** One event decoded from a log: the event's name and arguments. */
export interface DecodedEvent {
  name: string;
  args: Result;
}

const byTopicCache = new WeakMap<Interface, Map<string, EventFragment>>();

/**
 * The events of `contract` by topic, computed once per interface: ethers finds an event by hashing the signature of
 * each of the interface's events in turn, for every log it parses, which made parsing a claim's logs cost more than
 * adjudicating it in the simulator.
 */
function eventsByTopic(contract: Interface): Map<string, EventFragment> {
  let events = byTopicCache.get(contract);
  if (events === undefined) {
    events = new Map();
    const found = events;
    contract.forEachEvent((fragment) => found.set(fragment.topicHash, fragment));
    byTopicCache.set(contract, events);
  }
  return events;
}

/** Decodes a log as one of `contract`'s events, or returns null if it is none of them. Same result as `parseLog`. */
export function decodeEvent(contract: Interface, log: Pick<Log, "topics" | "data">): DecodedEvent | null {
  const topic = log.topics[0];
  const fragment = topic === undefined ? undefined : eventsByTopic(contract).get(topic);
  if (fragment === undefined || fragment.anonymous) return null;
  return { name: fragment.name, args: contract.decodeEventLog(fragment, log.data, log.topics) };
}

// The getter is called on a receipt below (`.call(receipt)`), never unbound.
// eslint-disable-next-line @typescript-eslint/unbound-method
const plainLogsGetter = Object.getOwnPropertyDescriptor(TransactionReceipt.prototype, "logs")?.get;

/**
 * A receipt's logs as the node returned them. A contract's receipt decodes every log into an `EventLog` each time its
 * `logs` are read; readers that decode with `decodeEvent` take the plain logs and decode once.
 */
export function plainLogs(receipt: TransactionReceipt): readonly Log[] {
  return plainLogsGetter === undefined ? receipt.logs : (plainLogsGetter.call(receipt) as readonly Log[]);
}

/** The value of `arg` in the first `event` of `contract` in the receipt; throws if the transaction emitted none. */
export function eventValue(
  contract: { interface: Interface },
  receipt: ContractTransactionReceipt,
  event: string,
  arg: string,
): bigint {
  for (const log of plainLogs(receipt)) {
    const parsed = decodeEvent(contract.interface, log);
    if (parsed?.name === event) return parsed.args.getValue(arg) as bigint;
  }
  throw new Error(`transaction ${receipt.hash} emitted no ${event}`);
}
