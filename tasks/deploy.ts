import fs from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";

import { fail, isDevelopmentNetwork, networkLabel, print, readable, staleDeploymentMessage } from "./util";

task("careledger:deploy", "Deploys (or resumes deploying) the whole CareLedger system with Hardhat Ignition")
  .addOptionalParam(
    "parameters",
    "Name of the parameter file in deploy/parameters (default: the network's name)",
    undefined,
  )
  .addFlag(
    "reset",
    "Development networks only (hardhat, localhost): discard this chain's deployment record and deploy afresh, " +
      "e.g. after restarting the node; refused on any other network",
  )
  .setAction(async ({ parameters, reset }: { parameters?: string; reset: boolean }, hre) => {
    const { deployCareLedger, loadParameters, TEST_STABLECOIN } = await import("../deploy");
    const { DEPLOYMENTS_DIR, deploymentCodeProblems } = await import("../sdk/core/deployment");
    const parameterFile = parameters ?? hre.network.name;
    let params;
    try {
      params = loadParameters(parameterFile);
    } catch (error) {
      fail(`${(error as Error).message}; see docs/deployment.md for the parameter file`);
    }
    const { chainId } = await hre.ethers.provider.getNetwork();
    const record = path.join(DEPLOYMENTS_DIR, `chain-${chainId}`);
    const recorded = fs.existsSync(path.join(record, "deployed_addresses.json"));
    if (reset) {
      if (!isDevelopmentNetwork(hre)) {
        fail(
          `--reset is refused on network ${hre.network.name}: its deployment record is the only map of its ` +
            "contracts; deploy another system under another chain id, or move the record aside by hand",
        );
      }
      fs.rmSync(record, { recursive: true, force: true });
      if (recorded)
        console.log(`Removed the deployment record of chain ${chainId} (deploy/deployments/chain-${chainId}/)`);
    } else if (recorded) {
      const problems = await deploymentCodeProblems(hre.ethers.provider, chainId);
      if (problems.length > 0) fail(staleDeploymentMessage(hre, chainId, problems));
    }
    console.log(
      `Deploying CareLedger to ${networkLabel(hre)}, chain ${chainId}, with deploy/parameters/${parameterFile}.json`,
    );
    const system = await readable(() =>
      deployCareLedger(hre, params, (line) => {
        console.log(line);
      }),
    );
    const { deployment } = system;
    print(`CareLedger deployed on ${hre.network.name} (chain ${deployment.chainId})`, {
      AccessManager: deployment.accessManager,
      IdentityRegistry: deployment.identityRegistry,
      IdentifierRegistry: deployment.identifierRegistry,
      ConsentPolicy: deployment.consentPolicy,
      ConsentRegistry: deployment.consentRegistry,
      BreakGlass: deployment.breakGlass,
      RecordRegistry: deployment.recordRegistry,
      ClaimsAdjudicator: deployment.claimsAdjudicator,
      PriorAuthorizations: deployment.priorAuthorizations,
      settlementToken: `${await system.settlementToken.getAddress()}${
        params.settlementToken === TEST_STABLECOIN ? " (test stablecoin, minted by the deployer)" : ""
      }`,
      admin: `${params.admin} (execution delay ${params.adminExecutionDelay} s)`,
      registrar: params.registrar,
      pauser: params.pauser,
      auditor: params.auditor,
      recorded:
        hre.network.name === "hardhat"
          ? "nowhere: the in-process network is discarded when this command ends"
          : `deploy/deployments/chain-${deployment.chainId}/`,
    });
  });
