import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ROLE_LABELS, type RoleName, Roles } from "../../sdk/core/roles";
import AccessManagerModule from "./AccessManager";
import ClaimsAdjudicatorModule from "./ClaimsAdjudicator";
import ConsentRegistryModule from "./ConsentRegistry";
import IdentifierRegistryModule from "./IdentifierRegistry";
import IdentityRegistryModule from "./IdentityRegistry";
import RecordRegistryModule from "./RecordRegistry";
import SupplyChainModule from "./SupplyChain";
import TrialsModule from "./Trials";

/**
 * The whole CareLedger system: the AccessManager, every module wired to it, the roles labelled and granted.
 *
 * Parameters (per network, in `deploy/parameters/<network>.json`):
 * - `admin`: the consortium admin (a multisig or timelock in production). Receives ADMIN_ROLE last, with
 *   `adminExecutionDelay`; if it is not the deploying account, `careledger:deploy` then has the deployer renounce.
 * - `adminExecutionDelay`: seconds every admin operation waits between being scheduled and executed; also the
 *   delay of registrar-driven recovery of institutional keys.
 * - `registrar`, `pauser`, `auditor`: the first holders of those roles.
 *
 * The consent policy's rules come from the `ConsentPolicy` section of the same file, and the claims adjudicator's
 * settlement token from `CareLedger.settlementToken` (see `deploy/index.ts`). The `CLAIMS_REVIEWER` role is labelled
 * here and granted later by the admin, one payer's reviewer at a time.
 */
export default buildModule("CareLedger", (m) => {
  const { accessManager } = m.useModule(AccessManagerModule);
  const { identityRegistry } = m.useModule(IdentityRegistryModule);
  const { identifierRegistry } = m.useModule(IdentifierRegistryModule);
  const { consentPolicy, consentRegistry, breakGlass } = m.useModule(ConsentRegistryModule);
  const { recordRegistry } = m.useModule(RecordRegistryModule);
  const { claimsAdjudicator, priorAuthorizations } = m.useModule(ClaimsAdjudicatorModule);
  const { supplyChain, productSafety } = m.useModule(SupplyChainModule);
  const { trialRegistry, trialProtocol, trialSafety } = m.useModule(TrialsModule);

  const admin = m.getParameter<string>("admin");
  const adminExecutionDelay = m.getParameter<number>("adminExecutionDelay");
  const registrar = m.getParameter<string>("registrar");
  const pauser = m.getParameter<string>("pauser");
  const auditor = m.getParameter<string>("auditor");

  const setup = [];
  for (const role of Object.keys(ROLE_LABELS) as RoleName[]) {
    if (role === "ADMIN") continue; // ADMIN_ROLE is built in; AccessManager refuses to relabel it.
    setup.push(m.call(accessManager, "labelRole", [Roles[role], ROLE_LABELS[role]], { id: `label_${role}` }));
  }
  setup.push(
    m.call(accessManager, "grantRole", [Roles.REGISTRAR, registrar, 0], { id: "grant_REGISTRAR" }),
    m.call(accessManager, "grantRole", [Roles.INSTITUTION_RECOVERY, registrar, adminExecutionDelay], {
      id: "grant_INSTITUTION_RECOVERY",
    }),
    m.call(accessManager, "grantRole", [Roles.PAUSER, pauser, 0], { id: "grant_PAUSER" }),
    m.call(accessManager, "grantRole", [Roles.AUDITOR, auditor, 0], { id: "grant_AUDITOR" }),
  );
  // Last, after every other admin step: from here on the admin acts only through scheduled operations.
  m.call(accessManager, "grantRole", [Roles.ADMIN, admin, adminExecutionDelay], {
    id: "grant_ADMIN",
    after: [
      ...setup,
      IdentityRegistryModule,
      IdentifierRegistryModule,
      ConsentRegistryModule,
      RecordRegistryModule,
      ClaimsAdjudicatorModule,
      SupplyChainModule,
      TrialsModule,
    ],
  });

  return {
    accessManager,
    identityRegistry,
    identifierRegistry,
    consentPolicy,
    consentRegistry,
    breakGlass,
    recordRegistry,
    claimsAdjudicator,
    priorAuthorizations,
    supplyChain,
    productSafety,
    trialRegistry,
    trialProtocol,
    trialSafety,
  };
});
