import { performance } from "node:perf_hooks";

import { parseEther, toQuantity, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { mined } from "../../sdk/core/transactions";
import { simulateClaims } from "../../simulation/claims";
import { claimsGasPolicy } from "../../simulation/claims/gas-limits";
import { impersonate, NodeSigner } from "../../simulation/sending";
import { ClaimsAdjudicator__factory, TestStablecoin__factory } from "../../typechain-types";

/** What the bench runs: enough claims to be steady, little enough to add under ~30 s to `npm run bench`. */
export const SIMULATOR_BENCH = { claims: 1_000, seed: 7, transfers: 1_000 } as const;
/** Issue 13's target for the claims simulator in-process (`--claims 2000 --seed 7`). */
export const SIMULATOR_TARGET_CLAIMS_PER_SECOND = 150;

export interface SimulatorThroughput {
  claims: number;
  seed: number;
  /** Claims per second of the simulator's claim stream (every figure checked against the model). */
  claimsPerSecond: number;
  /** Figures the simulator compared, and how many differed (0 for a passing run). */
  figures: number;
  mismatches: number;
  transfers: number;
  /** Plain ERC-20 transfers per second, sent the same way (node-side signing, explicit gas limit, receipt). */
  transfersPerSecond: number;
}

/**
 * Runs the claims simulator in-process on the bench's network (it deploys its own system beside the bench's) and,
 * on the same chain, the baseline: plain `transfer`s of its settlement token, sent like the simulator's claims.
 */
export async function simulatorThroughput(hre: HardhatRuntimeEnvironment): Promise<SimulatorThroughput> {
  const { claims, seed, transfers } = SIMULATOR_BENCH;
  const report = await simulateClaims(hre, { claims, seed, quiet: true, log: () => undefined });
  const transfersPerSecond = await transferThroughput(hre, report.adjudicator, transfers);
  return {
    claims,
    seed,
    claimsPerSecond: claims / report.timing.claimsSeconds,
    figures: report.agreement.figures,
    mismatches: report.agreement.mismatches.length,
    transfers,
    transfersPerSecond,
  };
}

/** `count` transfers of one base unit of the adjudicator's settlement token between two fresh accounts. */
async function transferThroughput(hre: HardhatRuntimeEnvironment, adjudicatorAddress: string, count: number) {
  const provider = hre.ethers.provider;
  const adjudicator = ClaimsAdjudicator__factory.connect(adjudicatorAddress, provider);
  const tokenAddress = await adjudicator.settlementToken();
  const deployment = {
    claimsAdjudicator: adjudicatorAddress,
    priorAuthorizations: await adjudicator.priorAuthorizations(),
  };
  const [sender, recipient] = [Wallet.createRandom().address, Wallet.createRandom().address];
  if (!(await impersonate(provider, [sender]))) throw new Error(`network ${hre.network.name} cannot impersonate`);
  await provider.send("hardhat_setBalance", [sender, toQuantity(parseEther("1000"))]);
  const token = TestStablecoin__factory.connect(tokenAddress, provider);
  const owner = await hre.ethers.getSigner(await token.owner());
  await (await token.connect(owner).mint(sender, BigInt(count))).wait();
  const from = token.connect(new NodeSigner(sender, provider, claimsGasPolicy(deployment, tokenAddress)));
  const started = performance.now();
  for (let i = 0; i < count; i++) await mined(() => from.transfer(recipient, 1n));
  return count / ((performance.now() - started) / 1000);
}

/** The bench's lines: claims/s against the target, the transfers baseline and the ratio. */
export function formatSimulatorThroughput(result: SimulatorThroughput): string[] {
  const rate = (perSecond: number) => perSecond.toFixed(1);
  const n = (value: number) => value.toLocaleString("en-US");
  const verdict = result.claimsPerSecond >= SIMULATOR_TARGET_CLAIMS_PER_SECOND ? "meets" : "BELOW";
  const agreement =
    result.mismatches === 0
      ? `all ${n(result.figures)} figures equal to the model`
      : `${n(result.mismatches)} MISMATCHES in ${n(result.figures)} figures`;
  return [
    `Claims simulator in-process (wall clock, this machine): ${rate(result.claimsPerSecond)} claims/s ` +
      `(--claims ${n(result.claims)} --seed ${result.seed}, claim stream only, ${agreement}); ` +
      `${verdict} the target of ${SIMULATOR_TARGET_CLAIMS_PER_SECOND} claims/s (set for --claims 2,000 --seed 7, which ` +
      `CI's simulate step runs; this shorter run is indicative)`,
    `  baseline, same chain and sending path (node signs, explicit gas limit, one receipt each): ` +
      `${rate(result.transfersPerSecond)} ERC-20 transfers/s (${n(result.transfers)}); ` +
      `claims run at ${(result.claimsPerSecond / result.transfersPerSecond).toFixed(2)} × the transfer rate`,
  ];
}
