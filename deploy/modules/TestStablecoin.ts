import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * A 6-decimal test stablecoin for local chains, whose `owner` mints. Deployed by `deployCareLedger` only when the
 * network's parameter file names `"TestStablecoin"` as the settlement token; never on a real network.
 */
export default buildModule("TestStablecoin", (m) => {
  const owner = m.getParameter<string>("owner");
  const testStablecoin = m.contract("TestStablecoin", [owner]);
  return { testStablecoin };
});
