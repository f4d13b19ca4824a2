import hre from "hardhat";
import { deployCareLedger, loadParameters } from "../../deploy";
import { benchSupplyChain } from "./supplychain";
import { GasRecorder } from "./recorder";
async function main() {
  const gas = new GasRecorder();
  const system = await deployCareLedger(hre, loadParameters("hardhat"));
  const lines = await benchSupplyChain(system, gas);
  console.log(gas.table());
  console.log(lines.join("\n"));
  console.log(gas.overTarget());
}
main().catch((e) => { console.error(e); process.exitCode = 1; });
