import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";

import {
  CaseStatus,
  CaseSubject,
  LotStatus,
  RecallClass,
  Recipient,
  SuspectReason,
  UnitStatus,
} from "../../sdk/supplychain/statuses";
import { ProductSafety__factory, SupplyChain__factory } from "../../typechain-types";
import { GTIN } from "../fixtures/supplychain";
import { solidityEnum, typescriptEnum } from "../helpers/solidity-source";
import { bytes20, hashOf, serialKey } from "./helpers";
import { mined, quarantineContainer, safetyScenario, shipContainer } from "./safety-scenario";

const SUPPLY = "supplychain/Supply.sol";

/** Each SDK mirror, by the name of the Solidity enum it mirrors. */
const MIRRORS: Record<string, Record<string, string | number>> = {
  LotStatus,
  RecallClass,
  UnitStatus,
  SuspectReason,
  CaseSubject,
  CaseStatus,
  Recipient,
};

/** An ABI parameter as the compiler's JSON ABI gives it. */
interface AbiParam {
  readonly type: string;
  readonly internalType?: string;
  readonly components?: readonly AbiParam[];
}

/** The `enum X` types the contracts' ABIs use (in functions, events and errors), each with its ABI types. */
function abiEnums(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const visit = (param: AbiParam): void => {
    const match = /^enum (?:\w+\.)?(\w+)((?:\[\d*\])*)$/.exec(param.internalType ?? "");
    if (match?.[1] !== undefined && match[2] !== undefined) {
      const types = found.get(match[1]) ?? new Set<string>();
      types.add(param.type.slice(0, param.type.length - match[2].length));
      found.set(match[1], types);
    }
    param.components?.forEach(visit);
  };
  const entries: readonly { inputs?: readonly AbiParam[]; outputs?: readonly AbiParam[] }[] = [
    ...SupplyChain__factory.abi,
    ...ProductSafety__factory.abi,
  ];
  for (const entry of entries) {
    entry.inputs?.forEach(visit);
    entry.outputs?.forEach(visit);
  }
  return found;
}

describe("supply-chain statuses (sdk/supplychain/statuses.ts)", () => {
  for (const [name, mirror] of Object.entries(MIRRORS)) {
    it(`mirrors ${name} of contracts/${SUPPLY} member for member, in order`, () => {
      expect(typescriptEnum(mirror)).to.deep.equal(solidityEnum(SUPPLY, name));
    });
  }

  it("mirrors every enum the SupplyChain and ProductSafety ABIs use, each encoded as a uint8", () => {
    const used = abiEnums();
    expect([...used.keys()].sort()).to.deep.equal(Object.keys(MIRRORS).sort());
    for (const [name, types] of used) expect([...types], name).to.deep.equal(["uint8"]);
  });

  it("reads the contracts' statuses by the mirrors' values", async () => {
    const s = await loadFixture(safetyScenario);
    const lot = (name: string) => s.supplyChain.lot(GTIN, bytes20(name));
    expect((await lot("LOT-X")).status).to.equal(LotStatus.None);
    expect((await lot("LOT-A")).status).to.equal(LotStatus.Active);
    expect((await s.supplyChain.unit(s.case1.key)).status).to.equal(UnitStatus.None);
    expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Active);
    await mined(shipContainer(s, s.distributor, s.pharmacy, s.pallet));
    expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.InTransit);
    const { caseB, palletB } = s;
    await mined(
      s.supplyChain
        .connect(s.manufacturer.key)
        .unpack(palletB.sscc, palletB.packer, palletB.root, palletB.lotsHash, [], [], hashOf("u")),
    );
    expect((await s.supplyChain.unit(palletB.key)).status).to.equal(UnitStatus.Unpacked);
    await mined(quarantineContainer(s, s.manufacturer, caseB, [palletB.hop(caseB)], SuspectReason.Tampering));
    expect((await s.supplyChain.unit(caseB.key)).status).to.equal(UnitStatus.Quarantined);
    const opened = await s.productSafety.investigation(1n);
    expect([opened.subjectKind, opened.reason, opened.status]).to.deep.equal([
      BigInt(CaseSubject.Container),
      BigInt(SuspectReason.Tampering),
      BigInt(CaseStatus.Open),
    ]);
    await mined(s.productSafety.connect(s.manufacturer.key).decide(1n, true, hashOf("evidence")));
    expect((await s.supplyChain.unit(caseB.key)).status).to.equal(UnitStatus.Illegitimate);
    expect((await s.productSafety.investigation(1n)).status).to.equal(CaseStatus.Illegitimate);
    await expect(s.productSafety.connect(s.manufacturer.key).notify(1n, Recipient.Regulator, hashOf("notice")))
      .to.emit(s.productSafety, "NotificationRecorded")
      .withArgs(1n, Recipient.Regulator, 0n, hashOf("notice"));
    await mined(s.productSafety.connect(s.regulator.key).closeCase(1n, hashOf("closure")));
    expect((await s.productSafety.investigation(1n)).status).to.equal(CaseStatus.Closed);
    await mined(s.productSafety.connect(s.regulator.key).quarantineLot(GTIN, bytes20("LOT-C"), 1, hashOf("e")));
    expect((await lot("LOT-C")).status).to.equal(LotStatus.Quarantined);
    expect((await s.productSafety.investigation(2n)).subjectKind).to.equal(CaseSubject.Lot);
    await mined(s.productSafety.connect(s.regulator.key).recall(GTIN, bytes20("LOT-B"), RecallClass.III, hashOf("n")));
    expect((await lot("LOT-B")).status).to.equal(LotStatus.Recalled);
    expect((await lot("LOT-B")).recallClass).to.equal(RecallClass.III);
    await mined(s.productSafety.connect(s.regulator.key).decide(2n, true, hashOf("evidence")));
    expect((await lot("LOT-C")).status).to.equal(LotStatus.Illegitimate);
    const label = { gtin: GTIN, serial: bytes20("S000009"), lot: bytes20("LOT-A"), expiry: s.single.expiry };
    await mined(s.supplyChain.connect(s.pharmacy.key).dispense(label, s.lotA.proof("S000009"), [], hashOf("d")));
    expect((await s.supplyChain.unit(serialKey(GTIN, "S000009"))).status).to.equal(UnitStatus.Dispensed);
  });
});
