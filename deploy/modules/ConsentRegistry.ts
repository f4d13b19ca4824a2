import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ConsentRegistry__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import ConsentPolicyModule from "./ConsentPolicy";
import IdentityRegistryModule from "./IdentityRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/** Restricted functions of the ConsentRegistry and the role each is wired to. */
export const CONSENT_REGISTRY_ROLES: FunctionRoles = {
  REGISTRAR: ["setEmergencyAuthorization"],
  AUDITOR: ["reviewBreakGlass"],
  PAUSER: ["pause"],
  ADMIN: ["unpause", "setPolicy"],
};

export default buildModule("ConsentRegistry", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const { consentPolicy } = m.useModule(ConsentPolicyModule);
  const consentRegistry = m.contract("ConsentRegistry", [accessManager, identityRegistry, consentPolicy]);
  for (const { role, roleId, selectors } of roleAssignments(
    ConsentRegistry__factory.createInterface(),
    CONSENT_REGISTRY_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [consentRegistry, selectors, roleId], { id: `wire_${role}` });
  }
  return { accessManager, identityRegistry, consentPolicy, consentRegistry };
});
