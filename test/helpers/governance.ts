import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { BytesLike, Signer } from "ethers";

import type { AccessManager } from "../../typechain-types";

/**
 * Runs `data` on `target` as `caller` through the AccessManager's schedule → wait → execute path, as a member with
 * an execution delay must (the consortium admin; registrars for institutional recovery).
 */
export async function scheduleAndExecute(
  manager: AccessManager,
  caller: Signer,
  target: string,
  data: BytesLike,
): Promise<void> {
  const [, delay] = await manager.canCall(await caller.getAddress(), target, (data as string).slice(0, 10));
  await (await manager.connect(caller).schedule(target, data, 0)).wait();
  await time.increase(delay);
  await (await manager.connect(caller).execute(target, data)).wait();
}
