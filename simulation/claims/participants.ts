import { parseEther, type Signer, toQuantity, Wallet } from "ethers";

import { commit } from "../../sdk/core/commitments";
import { Roles } from "../../sdk/core/roles";
import { IdentityClient } from "../../sdk/identity/client";
import { ParticipantKind } from "../../sdk/identity/participants";
import { fail, isCoverageRun } from "../../tasks/util";
import { AccessManager__factory } from "../../typechain-types";
import { type GasPolicy, impersonate, NodeSigner } from "../sending";
import { claimsGasPolicy } from "./gas-limits";
import type { SimAccount } from "./population";
import type { Actor, Cast, Simulation } from "./state";

const GAS_ETHER = "1000";
const TRANSFER_ETHER = "10";
/** The networks where the node may sign for the simulated accounts: the in-process chain and a local node. */
const DEVELOPMENT_NETWORKS = new Set(["hardhat", "localhost"]);

/**
 * Registers the population's accounts: gas money for each, then payers with a reviewer each, organizations and their
 * practitioners (each key signs its consent, the registrar registers, a practitioner's organization accepts it), and
 * the CLAIMS_REVIEWER role for the reviewers. Patients need no account: the chain names them by member pseudonyms.
 */
export async function registerParticipants(sim: Simulation): Promise<Cast> {
  const { population, log } = sim;
  const accounts: SimAccount[] = [
    ...population.payers.flatMap((payer) => [payer, payer.reviewer]),
    ...population.organizations,
    ...population.practitioners,
  ];
  const provider = sim.hre.ethers.provider;
  const wallets = new Map(accounts.map((account) => [account, new Wallet(account.privateKey, provider)]));
  log(`Funding ${accounts.length} simulated accounts with gas…`);
  const [funder] = await sim.hre.ethers.getSigners();
  await fundGas(sim, funder ?? fail(`network ${sim.network} has no accounts`), [...wallets.values()]);
  const senders = await claimsSenders(sim, [...wallets.values()]);

  log(
    `Registering ${population.payers.length} payers with a reviewer each, ${population.organizations.length} ` +
      `organizations and ${population.practitioners.length} practitioners…`,
  );
  const identity = IdentityClient.connect(sim.registrar, sim.deployment);
  const credentialExpiry = sim.anchor + 2n * 365n * 86_400n;
  const register = async (account: SimAccount, kind: ParticipantKind, organization?: Actor): Promise<Actor> => {
    const wallet = wallets.get(account)!;
    const credential = account.credential ?? fail(`${account.label} has no credential`);
    const { id } = await identity.registerWithKey(
      wallet,
      {
        kind,
        credentialCommitment: commit(credential.text, credential.salt).commitment,
        credentialExpiry,
        affiliation: organization?.id,
      },
      organization?.wallet,
    );
    return { label: account.label, id, wallet, claims: sim.root.as(senders.get(wallet) ?? wallet) };
  };
  const cast: Cast = { payers: [], reviewers: [], organizations: [], practitioners: [] };
  for (const payer of population.payers) {
    const actor = await register(payer, ParticipantKind.Payer);
    cast.payers.push(actor);
    cast.reviewers.push(await register(payer.reviewer, ParticipantKind.Practitioner, actor));
  }
  for (const organization of population.organizations) {
    cast.organizations.push(await register(organization, ParticipantKind.Organization));
  }
  for (const practitioner of population.practitioners) {
    const organization = cast.organizations[practitioner.organization];
    cast.practitioners.push(await register(practitioner, ParticipantKind.Practitioner, organization));
  }
  await grantReviewerRole(sim, cast.reviewers);
  return cast;
}

/**
 * Who sends each account's claims transactions: on a development chain (in-process or localhost) that can
 * impersonate, a `NodeSigner` with the claims module's gas limits; elsewhere nobody (the wallets sign and estimate).
 */
async function claimsSenders(sim: Simulation, wallets: readonly Wallet[]): Promise<Map<Wallet, Signer>> {
  const provider = sim.hre.ethers.provider;
  const addresses = wallets.map((wallet) => wallet.address);
  if (!DEVELOPMENT_NETWORKS.has(sim.network) || !(await impersonate(provider, addresses))) return new Map();
  // Under solidity-coverage the contracts are instrumented (a probe on every statement costs gas) and its network sends
  // every transaction with a fixed gas of its own: the node fills that in, the claims module's limits being sized for
  // the production contracts.
  const gas: GasPolicy = isCoverageRun(sim.hre)
    ? () => undefined
    : claimsGasPolicy(sim.deployment, await sim.token.getAddress());
  return new Map(wallets.map((wallet) => [wallet, new NodeSigner(wallet.address, provider, gas)]));
}

/** Gives every wallet gas money: `hardhat_setBalance` or `anvil_setBalance`, else a transfer from `funder`. */
async function fundGas(sim: Simulation, funder: Signer, wallets: readonly Wallet[]): Promise<void> {
  const provider = sim.hre.ethers.provider;
  const amount = toQuantity(parseEther(GAS_ETHER));
  for (const method of ["hardhat_setBalance", "anvil_setBalance"]) {
    try {
      for (const wallet of wallets) await provider.send(method, [wallet.address, amount]);
      return;
    } catch {
      // Not this node's dialect: try the next.
    }
  }
  const transfer = parseEther(TRANSFER_ETHER);
  for (const wallet of wallets) await (await funder.sendTransaction({ to: wallet.address, value: transfer })).wait();
}

/** CLAIMS_REVIEWER is granted by the admin through the AccessManager, waiting out the admin's execution delay. */
async function grantReviewerRole(sim: Simulation, reviewers: readonly Actor[]): Promise<void> {
  const { admin, deployment } = sim;
  const provider = sim.hre.ethers.provider;
  const manager = AccessManager__factory.connect(deployment.accessManager, admin);
  const grants = reviewers.map((reviewer) =>
    manager.interface.encodeFunctionData("grantRole", [Roles.CLAIMS_REVIEWER, reviewer.wallet.address, 0]),
  );
  const [immediate, delay] = await manager.canCall(
    await admin.getAddress(),
    deployment.accessManager,
    grants[0]!.slice(0, 10),
  );
  if (immediate) {
    for (const data of grants) await (await admin.sendTransaction({ to: deployment.accessManager, data })).wait();
    return;
  }
  if (delay === 0n) fail(`the admin ${sim.parameters.admin} may not grant roles on the AccessManager`);
  sim.log(`Granting CLAIMS_REVIEWER to ${reviewers.length} reviewers through the admin's ${delay.toString()} s delay…`);
  for (const data of grants) await (await manager.schedule(deployment.accessManager, data, 0)).wait();
  try {
    await provider.send("evm_increaseTime", [toQuantity(delay)]);
    await provider.send("evm_mine", []);
  } catch (error) {
    fail(
      `network ${sim.network} cannot advance its clock (evm_increaseTime) past the admin's ${delay.toString()} s ` +
        `execution delay: ${(error as Error).message}`,
    );
  }
  for (const data of grants) await (await manager.execute(deployment.accessManager, data)).wait();
}
