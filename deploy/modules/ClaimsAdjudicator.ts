import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ClaimsAdjudicator__factory, PriorAuthorizations__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import IdentityRegistryModule from "./IdentityRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/**
 * Restricted functions of the ClaimsAdjudicator and the role each is wired to. Payers and providers act through
 * their identity (the adjudicator checks who they are); appeal decisions also need a role, and assigning a revoked
 * organization's money to a successor is the admin's, with its delay.
 */
export const CLAIMS_ADJUDICATOR_ROLES: FunctionRoles = {
  CLAIMS_REVIEWER: ["decideAppeal"],
  PAUSER: ["pause"],
  ADMIN: ["unpause", "assignSuccessor"],
};

/** Restricted functions of the PriorAuthorizations workflow (created by the adjudicator) and their roles. */
export const PRIOR_AUTHORIZATIONS_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/**
 * The claims adjudicator and the prior-authorization workflow it creates in its constructor; both are wired to the
 * AccessManager here. Claims name members, not patients, and carry attachment commitments rather than record
 * references, so the adjudicator does not read the record registry.
 *
 * Parameter: `settlementToken`, the ERC-20 claims are paid in (`deployCareLedger` deploys a test stablecoin and
 * passes its address when the network's parameter file says `"TestStablecoin"`).
 */
export default buildModule("ClaimsAdjudicator", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const settlementToken = m.getParameter<string>("settlementToken");
  const claimsAdjudicator = m.contract("ClaimsAdjudicator", [accessManager, identityRegistry, settlementToken]);
  const priorAuthorizations = m.contractAt(
    "PriorAuthorizations",
    m.staticCall(claimsAdjudicator, "priorAuthorizations", []),
  );
  for (const { role, roleId, selectors } of roleAssignments(
    ClaimsAdjudicator__factory.createInterface(),
    CLAIMS_ADJUDICATOR_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [claimsAdjudicator, selectors, roleId], { id: `wire_${role}` });
  }
  for (const { role, roleId, selectors } of roleAssignments(
    PriorAuthorizations__factory.createInterface(),
    PRIOR_AUTHORIZATIONS_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [priorAuthorizations, selectors, roleId], {
      id: `wire_priorAuthorizations_${role}`,
    });
  }
  return { accessManager, identityRegistry, claimsAdjudicator, priorAuthorizations };
});
