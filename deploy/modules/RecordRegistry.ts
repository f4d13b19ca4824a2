import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { RecordRegistry__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import ConsentRegistryModule from "./ConsentRegistry";
import IdentityRegistryModule from "./IdentityRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/** Restricted functions of the RecordRegistry and the role each is wired to. */
export const RECORD_REGISTRY_ROLES: FunctionRoles = {
  REGISTRAR: [
    "registrarSupersede",
    "registrarMarkEnteredInError",
    "registrarAcceptAmendment",
    "registrarDenyAmendment",
  ],
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

export default buildModule("RecordRegistry", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const { consentRegistry } = m.useModule(ConsentRegistryModule);
  const recordRegistry = m.contract("RecordRegistry", [accessManager, identityRegistry, consentRegistry]);
  for (const { role, roleId, selectors } of roleAssignments(
    RecordRegistry__factory.createInterface(),
    RECORD_REGISTRY_ROLES,
  )) {
    m.call(accessManager, "setTargetFunctionRole", [recordRegistry, selectors, roleId], { id: `wire_${role}` });
  }
  return { accessManager, identityRegistry, consentRegistry, recordRegistry };
});
