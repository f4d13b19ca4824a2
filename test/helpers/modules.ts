import type { IdentityRegistry } from "../../typechain-types";
import type { SystemFixture } from "../fixtures/system";

/** Every deployed CareLedger module by contract name; later modules add themselves here. */
export function deployedModules(system: SystemFixture): Record<string, IdentityRegistry> {
  return { IdentityRegistry: system.identityRegistry };
}
