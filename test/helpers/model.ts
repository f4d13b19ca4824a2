import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse } from "ethers";

/** What a model says a write must do: emit an event with these arguments, or revert with this custom error. */
export type Expected = { event: string; args: readonly unknown[] } | { error: string; args: readonly unknown[] };

/** The chain's clock as a model sees it: the latest block's timestamp. */
export interface Clock {
  now: bigint;
}

/** Pins the next block to one second after the latest and returns that time: the `block.timestamp` of the next tx. */
export async function pinNext(clock: Clock): Promise<bigint> {
  const next = clock.now + 1n;
  await time.setNextBlockTimestamp(next);
  return next;
}

/** Asserts that `tx` emitted the expected event or reverted with the expected custom error, then re-reads the clock. */
export async function settle(
  contract: BaseContract,
  clock: Clock,
  tx: Promise<ContractTransactionResponse>,
  expected: Expected,
): Promise<void> {
  if ("error" in expected) {
    await expect(tx)
      .to.be.revertedWithCustomError(contract, expected.error)
      .withArgs(...expected.args);
  } else {
    await expect(tx)
      .to.emit(contract, expected.event)
      .withArgs(...expected.args);
  }
  clock.now = BigInt(await time.latest());
}

/** The element at `position`, wrapping around: lets a generated number pick from a list of any length. */
export function at<T>(list: readonly T[], position: number): T {
  const item = list[position % list.length];
  if (item === undefined) throw new Error("empty list");
  return item;
}
