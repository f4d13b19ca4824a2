import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ClaimsAdjudicator__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import IdentityRegistryModule from "./IdentityRegistry";
import RecordRegistryModule from "./RecordRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/**
 * Restricted functions of the ClaimsAdjudicator and the role each is wired to. Payers and providers act through
 * their identity (the adjudicator checks who they are); only appeal decisions also need a role.
 */
export const CLAIMS_ADJUDICATOR_ROLES: FunctionRoles = {
  CLAIMS_REVIEWER: ["decideAppeal"],
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/**
 * The claims adjudicator, checking supporting records against the record registry.
 *
 * Parameter: `settlementToken`, the ERC-20 claims are paid in (`deployCareLedger` deploys a test stablecoin and
 * passes its address when the network's parameter file says `"TestStablecoin"`).
 */
export default buildModule("ClaimsAdjudicator", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const { recordRegistry } = m.useModule(RecordRegistryModule);
  const settlementToken = m.getParameter<string>("settlementToken");
  const claimsAdjudicator = m.contract("ClaimsAdjudicator", [
    accessManager,
    identityRegistry,
    settlementToken,
    recordRegistry,
  ]);
  for (const { role, roleId, selectors } of roleAssignments(
    ClaimsAdjudicator__factory.createInterface(),
    CLAIMS_ADJUDICATOR_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [claimsAdjudicator, selectors, roleId], { id: `wire_${role}` });
  }
  return { accessManager, identityRegistry, recordRegistry, claimsAdjudicator };
});
