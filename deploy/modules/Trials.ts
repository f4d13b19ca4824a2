import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { TrialProtocol__factory, TrialRegistry__factory, TrialSafety__factory } from "../../typechain-types";
import AccessManagerModule from "./AccessManager";
import ConsentRegistryModule from "./ConsentRegistry";
import { type FunctionRoles, roleAssignments } from "./wiring";

/**
 * Restricted functions of the trial registry and the role each is wired to. Sponsors, ethics committees, regulators,
 * randomization services and investigators act through their identity (each trial names them); the consortium's roles
 * only pause and unpause.
 */
export const TRIAL_REGISTRY_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/** Restricted functions of the trial protocol contract (created by the registry) and their roles. */
export const TRIAL_PROTOCOL_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/** Restricted functions of the trial safety contract and their roles. */
export const TRIAL_SAFETY_ROLES: FunctionRoles = {
  PAUSER: ["pause"],
  ADMIN: ["unpause"],
};

/**
 * The clinical-trials module: the trial registry (which creates the protocol contract in its constructor) and the
 * safety contract that reads it, all three wired to the AccessManager. The registry asks the consent registry at
 * enrollment and reads the identity registry the consent registry reads.
 */
export default buildModule("Trials", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { consentRegistry } = m.useModule(ConsentRegistryModule);
  const trialRegistry = m.contract("TrialRegistry", [accessManager, consentRegistry]);
  const trialProtocol = m.contractAt("TrialProtocol", m.staticCall(trialRegistry, "trialProtocol", []));
  const trialSafety = m.contract("TrialSafety", [accessManager, trialRegistry]);
  const wire = (
    target: typeof trialRegistry | typeof trialProtocol | typeof trialSafety,
    name: string,
    iface: Parameters<typeof roleAssignments>[0],
    roles: FunctionRoles,
  ) => {
    for (const { role, roleId, selectors } of roleAssignments(iface, roles)) {
      m.call(accessManager, "setTargetFunctionRole", [target, selectors, roleId], { id: `wire_${name}_${role}` });
    }
  };
  wire(trialRegistry, "trialRegistry", TrialRegistry__factory.createInterface(), TRIAL_REGISTRY_ROLES);
  wire(trialProtocol, "trialProtocol", TrialProtocol__factory.createInterface(), TRIAL_PROTOCOL_ROLES);
  wire(trialSafety, "trialSafety", TrialSafety__factory.createInterface(), TRIAL_SAFETY_ROLES);
  return { accessManager, trialRegistry, trialProtocol, trialSafety };
});
