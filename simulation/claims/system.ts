import { type Signer, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { type CareLedgerParameters, deployCareLedger, loadParameters } from "../../deploy";
import { ClaimsClient } from "../../sdk/claims/client";
import { ClaimsModel } from "../../sdk/claims/model";
import type { Deployment } from "../../sdk/core/deployment";
import { IdentityClient } from "../../sdk/identity/client";
import { deploymentOf, fail } from "../../tasks/util";
import { type TestStablecoin, TestStablecoin__factory } from "../../typechain-types";
import { Agreement } from "./agreement";
import { generatePopulation, type Population } from "./population";
import type { Simulation, SimulationOptions } from "./state";

/**
 * The first step: the system and the accounts that run it. Deploys a fresh system on the in-process network, else
 * uses the recorded deployment; finds the registrar, the admin and the settlement token's owner among the network's
 * accounts; draws the population anchored at the chain's time; and sets up the model and the agreement record.
 */
export async function connectSystem(hre: HardhatRuntimeEnvironment, options: SimulationOptions): Promise<Simulation> {
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const provider = hre.ethers.provider;
  const network = hre.network.name;
  const signers = await hre.ethers.getSigners();
  const freshDeployment = network === "hardhat";
  const parameters = ((): CareLedgerParameters => {
    try {
      return loadParameters(network);
    } catch (error) {
      fail((error as Error).message);
    }
  })();
  const deployment = freshDeployment ? (await deployCareLedger(hre, parameters)).deployment : await deploymentOf(hre);
  const signerAt = (address: string, role: string): Signer =>
    signers.find((candidate) => candidate.address.toLowerCase() === address.toLowerCase()) ??
    fail(`the ${role} ${address} (deploy/parameters/${network}.json) is not one of network ${network}'s accounts`);
  const registrar = signerAt(parameters.registrar, "registrar");
  const admin = signerAt(parameters.admin, "admin");
  const root = ClaimsClient.connect(provider, deployment);
  const { token, minter } = await settlementToken(hre, root, signers);
  const decimals = Number(await token.decimals());
  const symbol = await token.symbol();
  const maxSettlePerFunding = Number(await root.adjudicator.MAX_SETTLE_PER_FUNDING());
  const maxSettle = Number(await root.adjudicator.MAX_SETTLE());
  const heldBefore = await token.balanceOf(deployment.claimsAdjudicator);
  const fromBlock = (await provider.getBlockNumber()) + 1;
  const anchor = BigInt((await provider.getBlock("latest"))?.timestamp ?? fail("the network has no latest block"));
  const population = await freshPopulation(hre, deployment, options, anchor, decimals);
  log(
    `${freshDeployment ? "Deployed a fresh CareLedger on the in-process network" : `CareLedger on ${network}`}: ` +
      `adjudicator ${deployment.claimsAdjudicator}, settlement token ${symbol} ${await token.getAddress()}`,
  );
  return {
    hre,
    network,
    freshDeployment,
    parameters,
    deployment,
    registrar,
    admin,
    root,
    token,
    minter,
    decimals,
    symbol,
    maxSettlePerFunding,
    maxSettle,
    heldBefore,
    fromBlock,
    anchor,
    population,
    log,
    model: new ClaimsModel({ maxSettlePerCall: maxSettlePerFunding }),
    agreement: new Agreement(),
  };
}

/** The adjudicator's settlement token, which must be a local deployment's TestStablecoin whose owner is ours. */
async function settlementToken(
  hre: HardhatRuntimeEnvironment,
  root: ClaimsClient,
  signers: readonly Signer[],
): Promise<{ token: TestStablecoin; minter: Signer }> {
  const network = hre.network.name;
  const tokenAddress = await root.adjudicator.settlementToken();
  const token = TestStablecoin__factory.connect(tokenAddress, hre.ethers.provider);
  let tokenOwner: string;
  try {
    tokenOwner = await token.owner();
  } catch {
    fail(
      `the settlement token ${tokenAddress} has no owner(): the simulator mints test dollars for the payers and ` +
        `needs the TestStablecoin of a local deployment`,
    );
  }
  for (const signer of signers) {
    if ((await signer.getAddress()).toLowerCase() === tokenOwner.toLowerCase()) return { token, minter: signer };
  }
  fail(
    `the settlement token's owner ${tokenOwner} is not one of network ${network}'s accounts, so the simulator ` +
      `cannot mint the payers' test dollars`,
  );
}

/**
 * The population for this run. A key controls one participant only, so a second run against the same chain takes the
 * next namespace: the same population with fresh keys. The first account registered tells whether a namespace was
 * used.
 */
async function freshPopulation(
  hre: HardhatRuntimeEnvironment,
  deployment: Deployment,
  options: SimulationOptions,
  anchor: bigint,
  decimals: number,
): Promise<Population> {
  const registry = IdentityClient.connect(hre.ethers.provider, deployment);
  for (let run = 1; run <= 1_000; run++) {
    const candidate = generatePopulation({
      seed: options.seed,
      claims: options.claims,
      patients: options.patients,
      now: anchor,
      unit: 10n ** BigInt(decimals),
      namespace: run === 1 ? "" : `run ${run}`,
    });
    const first = new Wallet(candidate.payers[0]!.privateKey).address;
    if ((await registry.idOf(first)) === 0n) return candidate;
  }
  fail("a thousand earlier simulations with this seed on this chain: start a fresh chain");
}
