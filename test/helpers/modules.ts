import type { BaseContract } from "ethers";

import type {
  BreakGlass,
  ClaimsAdjudicator,
  ConsentRegistry,
  IdentifierRegistry,
  IdentityRegistry,
  PriorAuthorizations,
  ProductSafety,
  RecordRegistry,
  SupplyChain,
  TrialProtocol,
  TrialRegistry,
  TrialSafety,
} from "../../typechain-types";
import type { SystemFixture } from "../fixtures/system";

/** A deployed module: every one is AccessManaged and pausable. */
export type Module =
  | IdentityRegistry
  | IdentifierRegistry
  | ConsentRegistry
  | BreakGlass
  | RecordRegistry
  | ClaimsAdjudicator
  | PriorAuthorizations
  | SupplyChain
  | ProductSafety
  | TrialRegistry
  | TrialProtocol
  | TrialSafety;

/**
 * Every deployed CareLedger contract that is AccessManaged and pausable, by contract name: the modules and the
 * workflows two of them create (break-glass, prior authorization). Later modules add themselves here.
 */
export function deployedModules(system: SystemFixture): Record<string, Module & BaseContract> {
  return {
    IdentityRegistry: system.identityRegistry,
    IdentifierRegistry: system.identifierRegistry,
    ConsentRegistry: system.consentRegistry,
    BreakGlass: system.breakGlass,
    RecordRegistry: system.recordRegistry,
    ClaimsAdjudicator: system.claimsAdjudicator,
    PriorAuthorizations: system.priorAuthorizations,
    SupplyChain: system.supplyChain,
    ProductSafety: system.productSafety,
    TrialRegistry: system.trialRegistry,
    TrialProtocol: system.trialProtocol,
    TrialSafety: system.trialSafety,
  };
}
