import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { IdentityRegistry__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import { type FunctionRoles, roleAssignments } from "./wiring";

/** Restricted functions of the IdentityRegistry and the role each is wired to. */
export const IDENTITY_REGISTRY_ROLES: FunctionRoles = {
  REGISTRAR: [
    "registerParticipant",
    "renewCredential",
    "setAffiliation",
    "markIdentityProofed",
    "suspend",
    "reinstate",
    "revoke",
  ],
  INSTITUTION_RECOVERY: ["recoverController"],
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

export default buildModule("IdentityRegistry", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const identityRegistry = m.contract("IdentityRegistry", [accessManager]);
  for (const { role, roleId, selectors } of roleAssignments(
    IdentityRegistry__factory.createInterface(),
    IDENTITY_REGISTRY_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [identityRegistry, selectors, roleId], { id: `wire_${role}` });
  }
  return { accessManager, identityRegistry };
});
