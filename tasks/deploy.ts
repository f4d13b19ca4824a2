import fs from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { fail, isDevelopmentNetwork, networkLabel, print, readable, staleDeploymentMessage } from "./util";

task("careledger:deploy", "Deploys (or resumes deploying) the whole CareLedger system with Hardhat Ignition")
  .addOptionalParam(
    "parameters",
    "Name of the parameter file in deploy/parameters (default: the network's name)",
    undefined,
  )
  .addFlag(
    "reset",
    "A development node only (npx hardhat node or anvil, as --network localhost): discard this chain's deployment " +
      "record and deploy afresh, e.g. after restarting the node; refused on any other network or node",
  )
  .setAction(async ({ parameters, reset }: { parameters?: string; reset: boolean }, hre) => {
    const { deployCareLedger, loadParameters, TEST_STABLECOIN } = await import("../deploy");
    const { DEPLOYMENTS_DIR, recordedCode } = await import("../sdk/core/deployment");
    const parameterFile = parameters ?? hre.network.name;
    let params;
    try {
      params = loadParameters(parameterFile);
    } catch (error) {
      fail(`${(error as Error).message}; see docs/deployment.md for the parameter file`);
    }
    const { chainId } = await hre.ethers.provider.getNetwork();
    // The in-process network records nothing (Ignition keeps no journal there), though its chain id is a development
    // node's (31337): a record of that id belongs to the node, and is neither checked nor reset from here.
    if (hre.network.name !== "hardhat") {
      const record = path.join(DEPLOYMENTS_DIR, `chain-${chainId}`);
      const recorded = fs.existsSync(path.join(record, "deployed_addresses.json"));
      if (reset) {
        await refuseResetOutsideDevelopmentNodes(hre, chainId);
        fs.rmSync(record, { recursive: true, force: true });
        if (recorded)
          console.log(`Removed the deployment record of chain ${chainId} (deploy/deployments/chain-${chainId}/)`);
      } else if (recorded) {
        const entries = await recordedCode(hre.ethers.provider, chainId);
        const problems = entries.filter((entry) => entry.status === "no code" || entry.status === "different code");
        if (problems.length > 0) fail(staleDeploymentMessage(hre, chainId, problems, entries.length));
      }
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
      SupplyChain: deployment.supplyChain,
      ProductSafety: deployment.productSafety,
      TrialRegistry: deployment.trialRegistry,
      TrialProtocol: deployment.trialProtocol,
      TrialSafety: deployment.trialSafety,
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

/** Development nodes, by what they answer to `web3_clientVersion`: Hardhat's (`HardhatNetwork/2.x`) and anvil. */
const DEVELOPMENT_NODES = /^(HardhatNetwork|anvil)\//i;

/**
 * `--reset` deletes a chain's only map of its contracts, so it is for a development node alone: the `localhost`
 * network, a node that says it is Hardhat's or anvil, and not the consortium's chain id (a `localhost` URL left at
 * 127.0.0.1:8545 on a Besu host reaches the consortium's own node).
 */
async function refuseResetOutsideDevelopmentNodes(hre: HardhatRuntimeEnvironment, chainId: bigint): Promise<void> {
  const refuse = (why: string): never =>
    fail(
      `--reset is refused on ${networkLabel(hre)}: ${why}; the deployment record is the only map of a chain's ` +
        "contracts (move it aside by hand if you mean to)",
    );
  if (!isDevelopmentNetwork(hre)) refuse(`network ${hre.network.name} is not the development network localhost`);
  const consortiumChainId = process.env.CONSORTIUM_CHAIN_ID?.trim();
  if (consortiumChainId !== undefined && consortiumChainId !== "" && consortiumChainId === String(chainId)) {
    refuse(`chain ${chainId} is the consortium's (CONSORTIUM_CHAIN_ID)`);
  }
  const client = String(await hre.network.provider.request({ method: "web3_clientVersion" }));
  if (!DEVELOPMENT_NODES.test(client)) refuse(`the node is ${client}, not a development node (Hardhat or anvil)`);
}
