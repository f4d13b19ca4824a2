import hre, { ethers } from "hardhat";
import { deployCareLedger, loadParameters } from "../deploy";
async function main() {
  const s = await deployCareLedger(hre, loadParameters("hardhat"));
  const [, , , , , , p] = await ethers.getSigners();
  const tx = await s.identityRegistry.connect(p!).registerPatient();
  const r = await tx.wait();
  console.log("gas", r!.gasUsed);
  const trace = await hre.network.provider.send("debug_traceTransaction", [tx.hash, {disableStack: false, disableMemory: true, disableStorage: true}]);
  const ops: Record<string, number> = {};
  for (const l of trace.structLogs) { ops[l.op] = (ops[l.op] ?? 0) + l.gasCost; }
  console.log(Object.entries(ops).sort((a,b)=>b[1]-a[1]).slice(0,12));
}
main();
