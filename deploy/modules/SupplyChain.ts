import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ProductSafety__factory, SupplyChain__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import IdentityRegistryModule from "./IdentityRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/**
 * Restricted functions of the supply-chain registry and the role each is wired to. Trading partners and regulators
 * act through their identity (the registry checks who they are); the reversal window of decommissions is a
 * governance parameter, the admin's, with its delay.
 */
export const SUPPLY_CHAIN_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause", "setReversalWindow"],
};

/** Restricted functions of the product-safety contract (created by the registry) and their roles. */
export const PRODUCT_SAFETY_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/**
 * The drug supply-chain registry and the product-safety contract (quarantines, investigations, recalls) it creates in
 * its constructor; both are wired to the AccessManager here. The registry reads only the identity registry: trading
 * partners are manufacturers, distributors, pharmacies and organizations with an unexpired licence credential.
 */
export default buildModule("SupplyChain", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const supplyChain = m.contract("SupplyChain", [accessManager, identityRegistry]);
  const productSafety = m.contractAt("ProductSafety", m.staticCall(supplyChain, "productSafety", []));
  for (const { role, roleId, selectors } of roleAssignments(
    SupplyChain__factory.createInterface(),
    SUPPLY_CHAIN_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [supplyChain, selectors, roleId], { id: `wire_${role}` });
  }
  for (const { role, roleId, selectors } of roleAssignments(
    ProductSafety__factory.createInterface(),
    PRODUCT_SAFETY_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [productSafety, selectors, roleId], {
      id: `wire_productSafety_${role}`,
    });
  }
  return { accessManager, identityRegistry, supplyChain, productSafety };
});
