import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { BreakGlass__factory, ConsentRegistry__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import ConsentPolicyModule from "./ConsentPolicy";
import IdentityRegistryModule from "./IdentityRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/** Restricted functions of the ConsentRegistry and the role each is wired to. */
export const CONSENT_REGISTRY_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause", "setPolicy"],
};

/** Restricted functions of the BreakGlass workflow (created by the ConsentRegistry) and the role each is wired to. */
export const BREAK_GLASS_ROLES: FunctionRoles = {
  REGISTRAR: ["setEmergencyAuthorization"],
  AUDITOR: ["review"],
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/**
 * The consent registry and the break-glass workflow it creates in its constructor (so that each knows the other
 * without a setter); both are wired to the AccessManager here.
 */
export default buildModule("ConsentRegistry", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const { consentPolicy } = m.useModule(ConsentPolicyModule);
  const consentRegistry = m.contract("ConsentRegistry", [accessManager, identityRegistry, consentPolicy]);
  const breakGlass = m.contractAt("BreakGlass", m.staticCall(consentRegistry, "breakGlass", []));
  for (const { role, roleId, selectors } of roleAssignments(
    ConsentRegistry__factory.createInterface(),
    CONSENT_REGISTRY_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [consentRegistry, selectors, roleId], { id: `wire_${role}` });
  }
  for (const { role, roleId, selectors } of roleAssignments(BreakGlass__factory.createInterface(), BREAK_GLASS_ROLES)) {
    m.call(accessManager, "setTargetFunctionRole", [breakGlass, selectors, roleId], { id: `wire_breakGlass_${role}` });
  }
  return { accessManager, identityRegistry, consentPolicy, consentRegistry, breakGlass };
});
