import fs from "node:fs";
import path from "node:path";

import { getAddress, isAddress, ZeroAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { Deployment } from "../sdk/deployment";
import { Roles } from "../sdk/roles";
import type { AccessManager, IdentityRegistry } from "../typechain-types";
import CareLedgerModule from "./modules/CareLedger";

/** The `CareLedger` module's parameters, as in `deploy/parameters/<network>.json`. */
export interface CareLedgerParameters {
  admin: string;
  adminExecutionDelay: number;
  registrar: string;
  pauser: string;
  auditor: string;
}

export interface CareLedgerSystem {
  accessManager: AccessManager;
  identityRegistry: IdentityRegistry;
  deployment: Deployment;
  parameters: CareLedgerParameters;
}

export const PARAMETERS_DIR = path.join(__dirname, "parameters");

/** Reads and validates `deploy/parameters/<network>.json`; errors name the file and the field. */
export function loadParameters(network: string, dir = PARAMETERS_DIR): CareLedgerParameters {
  const file = path.join(dir, `${network}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file}: no deployment parameters for network "${network}"`);
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { CareLedger?: Record<string, unknown> };
  return validateParameters(parsed.CareLedger ?? {}, file);
}

export function validateParameters(raw: Record<string, unknown>, source: string): CareLedgerParameters {
  const address = (field: string): string => {
    const value = raw[field];
    if (typeof value !== "string" || !isAddress(value) || getAddress(value) === ZeroAddress) {
      throw new Error(`${source}: CareLedger.${field} must be a non-zero address, got ${JSON.stringify(value)}`);
    }
    return getAddress(value);
  };
  const delay = raw.adminExecutionDelay;
  if (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0 || delay >= 2 ** 32) {
    throw new Error(
      `${source}: CareLedger.adminExecutionDelay must be whole seconds in [0, 2^32), got ${JSON.stringify(delay)}`,
    );
  }
  return {
    admin: address("admin"),
    adminExecutionDelay: delay,
    registrar: address("registrar"),
    pauser: address("pauser"),
    auditor: address("auditor"),
  };
}

/**
 * Deploys (or resumes deploying) the whole system through the Ignition modules, then hands admin over: if the
 * configured admin is not the deploying account, the deployer renounces ADMIN_ROLE once the admin holds it.
 * Used by `careledger:deploy`, the demo, the benchmark and the test fixture alike.
 */
export async function deployCareLedger(
  hre: HardhatRuntimeEnvironment,
  parameters: CareLedgerParameters,
  log: (line: string) => void = () => undefined,
): Promise<CareLedgerSystem> {
  const [deployer] = await hre.ethers.getSigners();
  if (deployer === undefined) throw new Error(`network ${hre.network.name} has no accounts to deploy from`);
  const deployed = await hre.ignition.deploy(CareLedgerModule, {
    parameters: { CareLedger: { ...parameters } },
  });
  const accessManager = await hre.ethers.getContractAt("AccessManager", await deployed.accessManager.getAddress());
  const identityRegistry = await hre.ethers.getContractAt(
    "IdentityRegistry",
    await deployed.identityRegistry.getAddress(),
  );

  const deployerAddress = await deployer.getAddress();
  if (getAddress(parameters.admin) !== deployerAddress) {
    const [adminHasRole] = await accessManager.hasRole(Roles.ADMIN, parameters.admin);
    const [deployerHasRole] = await accessManager.hasRole(Roles.ADMIN, deployerAddress);
    if (!adminHasRole) throw new Error(`the admin ${parameters.admin} does not hold ADMIN_ROLE; not renouncing`);
    if (deployerHasRole) {
      await (await accessManager.connect(deployer).renounceRole(Roles.ADMIN, deployerAddress)).wait();
      log(`deployer ${deployerAddress} renounced ADMIN_ROLE; admin is ${parameters.admin}`);
    }
  }
  const { chainId } = await hre.ethers.provider.getNetwork();
  return {
    accessManager,
    identityRegistry,
    parameters,
    deployment: {
      chainId,
      accessManager: await accessManager.getAddress(),
      identityRegistry: await identityRegistry.getAddress(),
    },
  };
}
