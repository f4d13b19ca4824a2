import { getAddress, Interface } from "ethers";

import {
  AccessManager__factory,
  BreakGlass__factory,
  ClaimsAdjudicator__factory,
  ConsentPolicy__factory,
  ConsentRegistry__factory,
  IdentifierRegistry__factory,
  IdentityRegistry__factory,
  PriorAuthorizations__factory,
  ProductSafety__factory,
  RecordRegistry__factory,
  SupplyChain__factory,
  TrialProtocol__factory,
  TrialRegistry__factory,
  TrialSafety__factory,
} from "../../typechain-types";
import type { DeployedContract, Deployment } from "./deployment";

/**
 * CareLedger's deployed contracts, in one table for everything that names them: by the name the command line takes
 * (`consent-registry`), each with its `Deployment` field, its contract's name (`ConsentRegistry`) and its ABI. The
 * governance client describes calls with it, and refusals name the function refused with it.
 */
export const CONTRACTS = {
  "access-manager": { key: "accessManager", contract: "AccessManager", abi: AccessManager__factory.abi },
  "identity-registry": { key: "identityRegistry", contract: "IdentityRegistry", abi: IdentityRegistry__factory.abi },
  "identifier-registry": {
    key: "identifierRegistry",
    contract: "IdentifierRegistry",
    abi: IdentifierRegistry__factory.abi,
  },
  "consent-policy": { key: "consentPolicy", contract: "ConsentPolicy", abi: ConsentPolicy__factory.abi },
  "consent-registry": { key: "consentRegistry", contract: "ConsentRegistry", abi: ConsentRegistry__factory.abi },
  "break-glass": { key: "breakGlass", contract: "BreakGlass", abi: BreakGlass__factory.abi },
  "record-registry": { key: "recordRegistry", contract: "RecordRegistry", abi: RecordRegistry__factory.abi },
  "claims-adjudicator": {
    key: "claimsAdjudicator",
    contract: "ClaimsAdjudicator",
    abi: ClaimsAdjudicator__factory.abi,
  },
  "prior-authorizations": {
    key: "priorAuthorizations",
    contract: "PriorAuthorizations",
    abi: PriorAuthorizations__factory.abi,
  },
  "supply-chain": { key: "supplyChain", contract: "SupplyChain", abi: SupplyChain__factory.abi },
  "product-safety": { key: "productSafety", contract: "ProductSafety", abi: ProductSafety__factory.abi },
  "trial-registry": { key: "trialRegistry", contract: "TrialRegistry", abi: TrialRegistry__factory.abi },
  "trial-protocol": { key: "trialProtocol", contract: "TrialProtocol", abi: TrialProtocol__factory.abi },
  "trial-safety": { key: "trialSafety", contract: "TrialSafety", abi: TrialSafety__factory.abi },
} as const satisfies Record<string, { key: DeployedContract; contract: string; abi: unknown }>;

export type ContractName = keyof typeof CONTRACTS;

/** Every contract's name, in the table's order. */
export const CONTRACT_NAMES = Object.keys(CONTRACTS) as ContractName[];

/**
 * The modules with an emergency stop (`IPausableModule`: `pause` by PAUSER, `unpause` by ADMIN): every managed
 * contract. The AccessManager and the consent policy (immutable rules) have none.
 */
export const PAUSABLE_MODULES = [
  "identity-registry",
  "identifier-registry",
  "consent-registry",
  "break-glass",
  "record-registry",
  "claims-adjudicator",
  "prior-authorizations",
  "supply-chain",
  "product-safety",
  "trial-registry",
  "trial-protocol",
  "trial-safety",
] as const satisfies readonly ContractName[];

export type PausableModule = (typeof PAUSABLE_MODULES)[number];

/** The name of the deployed contract at `address` (in any case), if it is one of the deployment's. */
export function contractAt(deployment: Deployment, address: string): ContractName | undefined {
  const wanted = getAddress(address.toLowerCase());
  return CONTRACT_NAMES.find((name) => getAddress(deployment[CONTRACTS[name].key]) === wanted);
}

const interfaces = new Map<ContractName, Interface>();

/** The interface of a deployed contract, from its TypeChain ABI. */
export function interfaceOf(name: ContractName): Interface {
  let iface = interfaces.get(name);
  if (iface === undefined) {
    iface = new Interface(CONTRACTS[name].abi);
    interfaces.set(name, iface);
  }
  return iface;
}
