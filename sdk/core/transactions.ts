import type { ContractTransactionReceipt, ContractTransactionResponse, Interface } from "ethers";

import { withDecodedErrors } from "./errors";

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
    const receipt = await (await call()).wait();
    if (receipt === null) throw new Error("transaction was dropped");
    return receipt;
  });
}

/** The value of `arg` in the first `event` of `contract` in the receipt; throws if the transaction emitted none. */
export function eventValue(
  contract: { interface: Interface },
  receipt: ContractTransactionReceipt,
  event: string,
  arg: string,
): bigint {
  for (const log of receipt.logs) {
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === event) return parsed.args.getValue(arg) as bigint;
  }
  throw new Error(`transaction ${receipt.hash} emitted no ${event}`);
}
