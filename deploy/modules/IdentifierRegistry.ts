import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { IdentifierRegistry__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import IdentityRegistryModule from "./IdentityRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/** Restricted functions of the IdentifierRegistry and the role each is wired to. */
export const IDENTIFIER_REGISTRY_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/** The registry of identifiers institutions issue to patients (attested by the issuer, accepted by the patient). */
export default buildModule("IdentifierRegistry", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const identifierRegistry = m.contract("IdentifierRegistry", [accessManager, identityRegistry]);
  for (const { role, roleId, selectors } of roleAssignments(
    IdentifierRegistry__factory.createInterface(),
    IDENTIFIER_REGISTRY_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [identifierRegistry, selectors, roleId], { id: `wire_${role}` });
  }
  return { accessManager, identityRegistry, identifierRegistry };
});
