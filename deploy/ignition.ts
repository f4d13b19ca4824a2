import path from "node:path";

import {
  HardhatArtifactResolver,
  errorDeploymentResultToExceptionMessage,
  resolveDeploymentId,
} from "@nomicfoundation/hardhat-ignition/helpers";
import {
  deploy,
  DeploymentResultType,
  type DeploymentParameters,
  type ExecutionEventListener,
  ExecutionEventResultType,
  type ExecutionEventResult,
  type IgnitionModule,
  type IgnitionModuleResult,
} from "@nomicfoundation/ignition-core";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/**
 * A deployment Ignition could not finish (a reverted step, a step held, a transaction the node dropped): what was done
 * is in the journal, and running the deployment again resumes it.
 */
export class DeploymentStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentStoppedError";
  }
}

/**
 * Deploys an Ignition module as `hre.ignition.deploy` does (same configuration, same journal in
 * `deploy/deployments/chain-<id>/`, nothing recorded on the in-process network), with two differences:
 * - it reports progress through `log`, one line per Ignition module as its last step completes, so that an operator
 *   watching a deployment to a chain with a block period sees it move;
 * - it passes the network's `ignition.gasPrice` and `disableFeeBumping`, which the ethers helper leaves to the
 *   `ignition deploy` command only: on a gas-free consortium network a fee bump has nothing to bump.
 * Returns the address of every contract future, by future id.
 */
export async function deployWithProgress(
  hre: HardhatRuntimeEnvironment,
  ignitionModule: IgnitionModule<string, string, IgnitionModuleResult<string>>,
  deploymentParameters: DeploymentParameters,
  log: (line: string) => void,
): Promise<Record<string, string>> {
  const provider = hre.network.provider;
  const accounts = (await provider.request({ method: "eth_accounts" })) as string[];
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  const deploymentDir =
    hre.network.name === "hardhat"
      ? undefined
      : path.join(hre.config.paths.ignition, "deployments", resolveDeploymentId(undefined, chainId));
  const networkIgnition = hre.config.networks[hre.network.name]?.ignition;
  const result = await deploy({
    config: hre.config.ignition,
    provider,
    deploymentDir,
    executionEventListener: progressListener(ignitionModule.id, log),
    artifactResolver: new HardhatArtifactResolver(hre),
    ignitionModule,
    deploymentParameters,
    accounts,
    maxFeePerGasLimit: networkIgnition?.maxFeePerGasLimit,
    maxPriorityFeePerGas: networkIgnition?.maxPriorityFeePerGas,
    gasPrice: networkIgnition?.gasPrice,
    disableFeeBumping: hre.config.ignition.disableFeeBumping ?? networkIgnition?.disableFeeBumping,
    maxRetries: hre.config.ignition.maxRetries,
    retryInterval: hre.config.ignition.retryInterval,
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new DeploymentStoppedError(errorDeploymentResultToExceptionMessage(result));
  }
  return Object.fromEntries(Object.entries(result.contracts).map(([id, contract]) => [id, contract.address]));
}

/** Root modules deployed into the same journal as CareLedger's: their steps are not CareLedger's to report. */
const OTHER_ROOT_MODULES: readonly string[] = ["TestStablecoin"];

/**
 * Counts each Ignition module's steps (futures, ids `Module#step`) from the batches Ignition plans, and logs a line
 * when a module's last step completes, with the contracts it deployed; a step that fails or is held is logged at once.
 * On a resumed deployment only the steps left are planned, so only the modules with steps left are reported.
 */
function progressListener(rootModule: string, log: (line: string) => void): ExecutionEventListener {
  const left = new Map<string, number>();
  const deployed = new Map<string, string[]>();
  let modules = 0;
  let done = 0;
  const moduleOf = (futureId: string): string => futureId.split("#")[0] ?? futureId;
  const complete = (futureId: string, result: ExecutionEventResult, address?: string): void => {
    if (result.type !== ExecutionEventResultType.SUCCESS) {
      const why = result.type === ExecutionEventResultType.ERROR ? result.error : `held: ${result.reason}`;
      log(`  ${futureId} failed: ${why}`);
      return;
    }
    const module = moduleOf(futureId);
    if (address !== undefined) {
      deployed.set(module, [...(deployed.get(module) ?? []), `${futureId.split("#")[1] ?? futureId} ${address}`]);
    }
    const remaining = (left.get(module) ?? 1) - 1;
    left.set(module, remaining);
    if (remaining > 0) return;
    done += 1;
    const contracts = deployed.get(module);
    const what = contracts === undefined ? "configured" : `deployed ${contracts.join(", ")}`;
    log(`  [${done}/${modules}] ${module}: ${what}`);
  };
  const quiet = (): void => undefined;
  const isOtherRoot = (futureId: string): boolean => OTHER_ROOT_MODULES.includes(moduleOf(futureId));
  return {
    batchInitialize: (event) => {
      for (const futureId of event.batches.flat()) {
        left.set(moduleOf(futureId), (left.get(moduleOf(futureId)) ?? 0) + 1);
      }
      modules = left.size;
      const steps = event.batches.flat().length;
      log(
        steps === 0
          ? `${rootModule}: nothing left to deploy, every step is in the journal`
          : `${rootModule}: ${steps} step(s) in ${modules} module(s), ${event.batches.length} batch(es)`,
      );
    },
    deploymentExecutionStateComplete: (event) => {
      complete(
        event.futureId,
        event.result,
        event.result.type === ExecutionEventResultType.SUCCESS ? event.result.result : undefined,
      );
    },
    callExecutionStateComplete: (event) => {
      complete(event.futureId, event.result);
    },
    staticCallExecutionStateComplete: (event) => {
      complete(event.futureId, event.result);
    },
    sendDataExecutionStateComplete: (event) => {
      complete(event.futureId, event.result);
    },
    contractAtExecutionStateInitialize: (event) => {
      complete(event.futureId, { type: ExecutionEventResultType.SUCCESS });
    },
    readEventArgumentExecutionStateInitialize: (event) => {
      complete(event.futureId, event.result);
    },
    encodeFunctionCallExecutionStateInitialize: (event) => {
      complete(event.futureId, event.result);
    },
    reconciliationWarnings: (event) => {
      // Steps in the journal that this module does not have: the other module of the same deployment (the test
      // stablecoin's) is expected; any other is a module changed since the journal was written.
      for (const futureId of event.warnings) {
        if (isOtherRoot(futureId)) continue;
        log(`  note: the journal holds ${futureId}, which the ${rootModule} module no longer has`);
      }
    },
    onchainInteractionTimeout: (event) => {
      log(`  ${event.futureId}: the node has not mined its transaction yet; waiting`);
    },
    onchainInteractionDropped: (event) => {
      log(`  ${event.futureId}: the node dropped its transaction; it will be sent again`);
    },
    onchainInteractionBumpFees: (event) => {
      log(`  ${event.futureId}: sending its transaction again with higher fees`);
    },
    deploymentStart: quiet,
    wipeApply: quiet,
    deploymentExecutionStateInitialize: quiet,
    callExecutionStateInitialize: quiet,
    staticCallExecutionStateInitialize: quiet,
    sendDataExecutionStateInitialize: quiet,
    networkInteractionRequest: quiet,
    transactionSend: quiet,
    transactionConfirm: quiet,
    staticCallComplete: quiet,
    onchainInteractionReplacedByUser: quiet,
    deploymentInitialize: quiet,
    runStart: quiet,
    beginNextBatch: quiet,
    deploymentComplete: quiet,
    setModuleId: quiet,
    setStrategy: quiet,
  };
}
