import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * OpenZeppelin's AccessManager, deployed unchanged: the one permission authority of the suite.
 * The deploying account is its first admin, so that the modules that follow can wire their targets;
 * the `CareLedger` module then grants admin to the configured consortium admin.
 */
export default buildModule("AccessManager", (m) => {
  const accessManager = m.contract("AccessManager", [m.getAccount(0)]);
  return { accessManager };
});
