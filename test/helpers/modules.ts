import type { BaseContract } from "ethers";

import type { ClaimsAdjudicator, ConsentRegistry, IdentityRegistry, RecordRegistry } from "../../typechain-types";
import type { SystemFixture } from "../fixtures/system";

/** A deployed module: every one is AccessManaged and pausable. */
export type Module = IdentityRegistry | ConsentRegistry | RecordRegistry | ClaimsAdjudicator;

/** Every deployed CareLedger module by contract name; later modules add themselves here. */
export function deployedModules(system: SystemFixture): Record<string, Module & BaseContract> {
  return {
    IdentityRegistry: system.identityRegistry,
    ConsentRegistry: system.consentRegistry,
    RecordRegistry: system.recordRegistry,
    ClaimsAdjudicator: system.claimsAdjudicator,
  };
}
