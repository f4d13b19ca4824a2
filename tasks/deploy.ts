import { task } from "hardhat/config";

import { print, readable } from "./util";

task("careledger:deploy", "Deploys (or resumes deploying) the whole CareLedger system with Hardhat Ignition")
  .addOptionalParam(
    "parameters",
    "Name of the parameter file in deploy/parameters (default: the network's name)",
    undefined,
  )
  .setAction(async ({ parameters }: { parameters?: string }, hre) => {
    const { deployCareLedger, loadParameters } = await import("../deploy");
    const params = loadParameters(parameters ?? hre.network.name);
    const system = await readable(() =>
      deployCareLedger(hre, params, (line) => {
        console.log(line);
      }),
    );
    print(`CareLedger deployed on ${hre.network.name} (chain ${system.deployment.chainId})`, {
      AccessManager: system.deployment.accessManager,
      IdentityRegistry: system.deployment.identityRegistry,
      admin: `${params.admin} (execution delay ${params.adminExecutionDelay} s)`,
      registrar: params.registrar,
      pauser: params.pauser,
      auditor: params.auditor,
      recorded:
        hre.network.name === "hardhat"
          ? "nowhere: the in-process network is discarded when this command ends"
          : `deploy/deployments/chain-${system.deployment.chainId}/`,
    });
  });
