import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";

import { CaseStatus, CaseSubject, LotStatus, SuspectReason, UnitStatus } from "../../sdk/supplychain/statuses";
import { GTIN } from "../fixtures/supplychain";
import { bytes20, hashOf, onChain, serialKey } from "./helpers";
import {
  NONE,
  ZERO,
  expectCase,
  expectSingleBlocked,
  mined,
  packPath,
  pauseBoth,
  quarantineContainer,
  quarantinePack,
  receiveContainer,
  safetyScenario,
  shipContainer,
} from "./safety-scenario";
import type { SafetyScenario } from "./safety-scenario";

const EVIDENCE = hashOf("evidence");

function quarantineLot(s: SafetyScenario, by: SafetyScenario["manufacturer"], lot = "LOT-A", reason = 4) {
  return s.productSafety.connect(by.key).quarantineLot(GTIN, bytes20(lot), reason, EVIDENCE);
}

describe("ProductSafety", () => {
  describe("quarantineLot", () => {
    it("opens a case on the lot and quarantines it when its manufacturer quarantines it", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineLot(s, s.manufacturer))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, s.lotA.key, s.manufacturer.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expect(await s.productSafety.caseCount()).to.equal(1n);
      expectCase(await s.productSafety.investigation(1n), {
        subject: s.lotA.key,
        subjectKind: CaseSubject.Lot,
        reason: SuspectReason.SuspectedCounterfeit,
        status: CaseStatus.Open,
        priorStatus: LotStatus.Active,
        investigator: s.manufacturer.id,
        supplier: NONE,
        customer: NONE,
        openedAt: BigInt(await time.latest()),
        determinedAt: 0n,
        path: [ZERO, ZERO, ZERO, ZERO],
      });
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-A"))).status).to.equal(LotStatus.Quarantined);
    });

    it("names the manufacturer as the supplier to notify when a regulator quarantines the lot", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineLot(s, s.regulator))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, s.lotA.key, s.regulator.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        subjectKind: CaseSubject.Lot,
        priorStatus: LotStatus.Active,
        investigator: s.regulator.id,
        supplier: s.manufacturer.id,
        customer: NONE,
      });
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-A"))).status).to.equal(LotStatus.Quarantined);
    });

    it("reverts with ProductSafetyNotRecaller for a distributor, another manufacturer or a stranger", async () => {
      const s = await loadFixture(safetyScenario);
      for (const by of [s.distributor, s.otherManufacturer, s.pharmacy]) {
        await expect(quarantineLot(s, by))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotRecaller")
          .withArgs(s.lotA.key, by.key.address);
      }
      await expect(s.productSafety.connect(s.stranger).quarantineLot(GTIN, bytes20("LOT-A"), 4, EVIDENCE))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotRecaller")
        .withArgs(s.lotA.key, s.stranger.address);
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-A"))).status).to.equal(LotStatus.Active);
      expect(await s.productSafety.caseCount()).to.equal(0n);
    });

    it("reverts with ProductSafetyUnknownLot for a lot never commissioned", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineLot(s, s.manufacturer, "LOT-X"))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyUnknownLot")
        .withArgs(GTIN, bytes20("LOT-X"));
    });

    it("reverts with ProductSafetyInvalidReason when the reason is None", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineLot(s, s.manufacturer, "LOT-A", SuspectReason.None))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidReason")
        .withArgs(SuspectReason.None);
    });

    it("reverts with ProductSafetyNotQuarantinable when the lot is quarantined or recalled already", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(quarantineLot(s, s.manufacturer));
      await expect(quarantineLot(s, s.regulator))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotQuarantinable")
        .withArgs(s.lotA.key);
      await mined(s.productSafety.connect(s.manufacturer.key).recall(GTIN, bytes20("LOT-B"), 2, hashOf("notice")));
      await expect(quarantineLot(s, s.manufacturer, "LOT-B"))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotQuarantinable")
        .withArgs(s.lotB.key);
    });

    it("works while both contracts are paused", async () => {
      const s = await loadFixture(safetyScenario);
      await pauseBoth(s);
      await expect(quarantineLot(s, s.manufacturer)).to.emit(s.productSafety, "Quarantined");
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-A"))).status).to.equal(LotStatus.Quarantined);
    });

    it("blocks shipping, receiving and dispensing the lot's containers and packs", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(shipContainer(s, s.distributor, s.hospital, s.pallet));
      await mined(quarantineLot(s, s.manufacturer));
      await expect(receiveContainer(s, s.hospital, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Quarantined);
      await mined(s.supplyChain.connect(s.hospital.key).cancelShipment(s.pallet.key));
      await expect(shipContainer(s, s.distributor, s.hospital, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Quarantined);
      await expectSingleBlocked(s, LotStatus.Quarantined);
    });
  });

  describe("quarantineContainer", () => {
    it("records the supplier to notify when its owner quarantines it", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineContainer(s, s.distributor, s.pallet, []))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, s.pallet.key, s.distributor.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        subject: s.pallet.key,
        subjectKind: CaseSubject.Container,
        status: CaseStatus.Open,
        priorStatus: UnitStatus.Active,
        investigator: s.distributor.id,
        supplier: s.manufacturer.id,
        customer: NONE,
        path: [ZERO, ZERO, ZERO, ZERO],
      });
      const unit = await s.supplyChain.unit(s.pallet.key);
      expect(unit.status).to.equal(UnitStatus.Quarantined);
      expect(unit.owner).to.equal(s.distributor.id);
      expect(unit.from).to.equal(s.manufacturer.id);
    });

    it("records the owner as the customer to notify when its supplier quarantines it", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineContainer(s, s.manufacturer, s.pallet, []))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, s.pallet.key, s.manufacturer.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        investigator: s.manufacturer.id,
        supplier: NONE,
        customer: s.distributor.id,
      });
      expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Quarantined);
    });

    it("records both trading partners when a regulator quarantines it", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(quarantineContainer(s, s.regulator, s.pallet, []));
      expectCase(await s.productSafety.investigation(1n), {
        investigator: s.regulator.id,
        supplier: s.manufacturer.id,
        customer: s.distributor.id,
      });
    });

    it("reverts with ProductSafetyNotHolder for a partner that neither holds nor held it", async () => {
      const s = await loadFixture(safetyScenario);
      for (const by of [s.pharmacy, s.otherManufacturer]) {
        await expect(quarantineContainer(s, by, s.pallet, []))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotHolder")
          .withArgs(s.pallet.key, by.key.address);
      }
      expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Active);
      expect(await s.productSafety.caseCount()).to.equal(0n);
    });

    it("reverts with ProductSafetyNotTradingPartner for a stranger", async () => {
      const s = await loadFixture(safetyScenario);
      const { pallet } = s;
      await expect(
        s.productSafety
          .connect(s.stranger)
          .quarantineContainer(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], 4, EVIDENCE),
      )
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotTradingPartner")
        .withArgs(s.stranger.address);
    });

    it("reverts with ProductSafetyInvalidReason when the reason is None", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(quarantineContainer(s, s.distributor, s.pallet, [], SuspectReason.None))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidReason")
        .withArgs(SuspectReason.None);
    });

    it("gives a virtual case a record and makes its pallet hold it: the pallet cannot be shipped", async () => {
      const s = await loadFixture(safetyScenario);
      const { case1, pallet } = s;
      await expect(quarantineContainer(s, s.distributor, case1, [pallet.hop(case1)]))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, case1.key, s.distributor.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        subject: case1.key,
        subjectKind: CaseSubject.Container,
        priorStatus: UnitStatus.None,
        investigator: s.distributor.id,
        supplier: s.manufacturer.id,
        customer: NONE,
        path: [pallet.key, ZERO, ZERO, ZERO],
      });
      const record = await s.supplyChain.unit(case1.key);
      expect(record.status).to.equal(UnitStatus.Quarantined);
      expect(record.owner).to.equal(s.manufacturer.id);
      expect(record.packer).to.equal(s.manufacturer.id);
      // Held in the pallet, which the registry names by its key; dated 0 as it never changed hands.
      expect(await s.supplyChain.sealedIn(case1.key)).to.equal(pallet.key);
      expect(record.from).to.equal(NONE);
      expect(record.since).to.equal(0n);
      expect((await s.supplyChain.unit(pallet.key)).holds).to.equal(1n);
      await expect(shipContainer(s, s.distributor, s.pharmacy, pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(pallet.key, UnitStatus.Active, 1n);
    });

    it("keeps a pallet in transit from being received while a case inside it is quarantined", async () => {
      const s = await loadFixture(safetyScenario);
      const { case1, pallet } = s;
      await mined(shipContainer(s, s.distributor, s.pharmacy, pallet));
      await mined(quarantineContainer(s, s.regulator, case1, [pallet.hop(case1)]));
      expect((await s.supplyChain.unit(pallet.key)).holds).to.equal(1n);
      await expect(receiveContainer(s, s.pharmacy, pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(pallet.key, UnitStatus.InTransit, 1n);
    });

    // While a unit is in transit its record's `from` holds the buyer: the case names the buyer as the customer, and
    // the buyer, which never held it, is no holder.
    it("names the buyer as the customer when the seller quarantines a case inside its pallet in transit", async () => {
      const s = await loadFixture(safetyScenario);
      const { caseB, palletB } = s;
      await mined(shipContainer(s, s.manufacturer, s.distributor, palletB));
      await expect(quarantineContainer(s, s.distributor, caseB, [palletB.hop(caseB)]))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotHolder")
        .withArgs(caseB.key, s.distributor.key.address);
      await mined(quarantineContainer(s, s.manufacturer, caseB, [palletB.hop(caseB)]));
      expectCase(await s.productSafety.investigation(1n), {
        investigator: s.manufacturer.id,
        supplier: NONE,
        customer: s.distributor.id,
      });
    });

    it("makes the pallet hold a case sealed in it, and seals the case in it again when cleared", async () => {
      const s = await loadFixture(safetyScenario);
      const { caseB, palletB } = s;
      await mined(quarantineContainer(s, s.manufacturer, caseB, [palletB.hop(caseB)]));
      expectCase(await s.productSafety.investigation(1n), {
        subject: caseB.key,
        priorStatus: UnitStatus.Sealed,
        investigator: s.manufacturer.id,
        supplier: NONE,
        customer: NONE,
        path: [palletB.key, ZERO, ZERO, ZERO],
      });
      expect((await s.supplyChain.unit(caseB.key)).status).to.equal(UnitStatus.Quarantined);
      expect((await s.supplyChain.unit(palletB.key)).holds).to.equal(1n);
      await expect(shipContainer(s, s.manufacturer, s.distributor, palletB))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(palletB.key, UnitStatus.Active, 1n);
      await mined(s.productSafety.connect(s.manufacturer.key).decide(1n, false, EVIDENCE));
      expect((await s.supplyChain.unit(caseB.key)).status).to.equal(UnitStatus.Sealed);
      expect((await s.supplyChain.unit(palletB.key)).holds).to.equal(0n);
      await expect(shipContainer(s, s.manufacturer, s.distributor, palletB)).to.emit(s.supplyChain, "Shipped");
      // Still sealed in the pallet: it does not leave on its own.
      await expect(shipContainer(s, s.manufacturer, s.distributor, caseB))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplySealedIn")
        .withArgs(caseB.key, ZERO);
    });

    it("deletes a virtual case's record and lowers its pallet's holds when the case is cleared: the pallet ships", async () => {
      const s = await loadFixture(safetyScenario);
      const { case1, pallet } = s;
      await mined(quarantineContainer(s, s.distributor, case1, [pallet.hop(case1)]));
      await expect(s.productSafety.connect(s.distributor.key).decide(1n, false, EVIDENCE))
        .to.emit(s.productSafety, "CaseDetermined")
        .withArgs(1n, case1.key, s.distributor.id, false, EVIDENCE);
      expect((await s.supplyChain.unit(case1.key)).status).to.equal(UnitStatus.None);
      expect((await s.supplyChain.unit(pallet.key)).holds).to.equal(0n);
      await expect(shipContainer(s, s.distributor, s.pharmacy, pallet))
        .to.emit(s.supplyChain, "Shipped")
        .withArgs(hashOf(`ship ${pallet.sscc}`), pallet.key, s.pharmacy.id, s.distributor.id, hashOf("ti"));
      await expect(receiveContainer(s, s.pharmacy, pallet)).to.emit(s.supplyChain, "Received");
    });

    it("reverts with SupplyInvalidTransition for a container in transit", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(shipContainer(s, s.distributor, s.pharmacy, s.pallet));
      await expect(quarantineContainer(s, s.distributor, s.pallet, []))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyInvalidTransition")
        .withArgs(s.pallet.key, UnitStatus.InTransit, UnitStatus.Quarantined);
    });

    it("reverts with SupplyInvalidTransition for a container quarantined already", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(quarantineContainer(s, s.distributor, s.pallet, []));
      await expect(quarantineContainer(s, s.regulator, s.pallet, []))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyInvalidTransition")
        .withArgs(s.pallet.key, UnitStatus.Quarantined, UnitStatus.Quarantined);
    });

    it("works while both contracts are paused", async () => {
      const s = await loadFixture(safetyScenario);
      await pauseBoth(s);
      await expect(quarantineContainer(s, s.distributor, s.pallet, [])).to.emit(s.productSafety, "Quarantined");
      expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Quarantined);
    });
  });

  describe("quarantinePack", () => {
    it("gives a pack never moved alone a record in its manufacturer's name and holds its case and pallet", async () => {
      const s = await loadFixture(safetyScenario);
      const label = s.lotA.label("S000001");
      const key = serialKey(GTIN, label.serial);
      const path = packPath(s, label);
      await expect(quarantinePack(s, s.distributor, label, path, s.lotA, false))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, key, s.distributor.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        subject: key,
        subjectKind: CaseSubject.Pack,
        priorStatus: UnitStatus.None,
        investigator: s.distributor.id,
        supplier: s.manufacturer.id,
        customer: NONE,
        path: [s.case1.key, s.pallet.key, ZERO, ZERO],
      });
      const record = await s.supplyChain.unit(key);
      expect(record.owner).to.equal(s.manufacturer.id);
      expect(record.status).to.equal(UnitStatus.Quarantined);
      expect(record.since).to.equal(0n);
      expect((await s.supplyChain.unit(s.case1.key)).holds).to.equal(1n);
      expect((await s.supplyChain.unit(s.pallet.key)).holds).to.equal(1n);
      const proof = s.lotA.proof(label.serial);
      const [, , custody] = await s.supplyChain.packCustody(onChain(label), proof, path);
      expect(custody.owner).to.equal(s.distributor.id);
      const verification = await s.supplyChain.verify(onChain(label), proof, path);
      expect(verification.custodyProven).to.equal(true);
      expect(verification.quarantined).to.equal(true);
      expect(verification.owner).to.equal(s.distributor.id);
      expect(verification.saleable).to.equal(false);
    });

    it("deletes the record it created and lowers the holds when the case is cleared", async () => {
      const s = await loadFixture(safetyScenario);
      const label = s.lotA.label("S000006");
      const key = serialKey(GTIN, label.serial);
      const path = packPath(s, label);
      await mined(quarantinePack(s, s.distributor, label, path, s.lotA));
      await mined(s.productSafety.connect(s.regulator.key).decide(1n, false, EVIDENCE));
      expect((await s.supplyChain.unit(key)).status).to.equal(UnitStatus.None);
      expect((await s.supplyChain.unit(s.case2.key)).holds).to.equal(0n);
      expect((await s.supplyChain.unit(s.pallet.key)).holds).to.equal(0n);
      const verification = await s.supplyChain.verify(onChain(label), [], path);
      expect(verification.saleable).to.equal(true);
      await expect(shipContainer(s, s.distributor, s.pharmacy, s.pallet)).to.emit(s.supplyChain, "Shipped");
    });

    it("quarantines a pack with a record of its own and restores it when cleared", async () => {
      const s = await loadFixture(safetyScenario);
      const key = serialKey(GTIN, s.single.serial);
      await expect(quarantinePack(s, s.pharmacy, s.single, [], s.lotA))
        .to.emit(s.productSafety, "Quarantined")
        .withArgs(1n, key, s.pharmacy.id, SuspectReason.SuspectedCounterfeit, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        priorStatus: UnitStatus.Active,
        investigator: s.pharmacy.id,
        supplier: s.manufacturer.id,
        customer: NONE,
        path: [ZERO, ZERO, ZERO, ZERO],
      });
      expect((await s.supplyChain.unit(key)).status).to.equal(UnitStatus.Quarantined);
      const label = onChain(s.single);
      const proof = s.lotA.proof(s.single.serial);
      await expect(s.supplyChain.connect(s.pharmacy.key).dispense(label, proof, [], hashOf("dispense")))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(key, UnitStatus.Quarantined, 0n);
      await mined(s.productSafety.connect(s.pharmacy.key).decide(1n, false, EVIDENCE));
      const record = await s.supplyChain.unit(key);
      expect(record.status).to.equal(UnitStatus.Active);
      expect(record.owner).to.equal(s.pharmacy.id);
      await expect(s.supplyChain.connect(s.pharmacy.key).dispense(label, proof, [], hashOf("dispense"))).to.emit(
        s.supplyChain,
        "Dispensed",
      );
    });

    it("records the owner as the customer when the pack's supplier quarantines it", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(quarantinePack(s, s.manufacturer, s.single, [], s.lotA));
      expectCase(await s.productSafety.investigation(1n), {
        investigator: s.manufacturer.id,
        supplier: NONE,
        customer: s.pharmacy.id,
      });
    });

    it("reverts with SupplyInvalidTransition for a dispensed pack", async () => {
      const s = await loadFixture(safetyScenario);
      const label = onChain(s.single);
      const proof = s.lotA.proof(s.single.serial);
      await mined(s.supplyChain.connect(s.pharmacy.key).dispense(label, proof, [], hashOf("dispense")));
      await expect(quarantinePack(s, s.pharmacy, s.single, [], s.lotA))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyInvalidTransition")
        .withArgs(serialKey(GTIN, s.single.serial), UnitStatus.Dispensed, UnitStatus.Quarantined);
    });

    it("reverts with ProductSafetyNotHolder for a partner that neither holds nor held the pack", async () => {
      const s = await loadFixture(safetyScenario);
      const label = s.lotA.label("S000002");
      await expect(quarantinePack(s, s.pharmacy, label, packPath(s, label), s.lotA))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotHolder")
        .withArgs(serialKey(GTIN, label.serial), s.pharmacy.key.address);
      expect((await s.supplyChain.unit(s.pallet.key)).holds).to.equal(0n);
    });

    it("works while both contracts are paused", async () => {
      const s = await loadFixture(safetyScenario);
      await pauseBoth(s);
      const label = s.lotA.label("S000003");
      await expect(quarantinePack(s, s.regulator, label, packPath(s, label), s.lotA)).to.emit(
        s.productSafety,
        "Quarantined",
      );
      expectCase(await s.productSafety.investigation(1n), {
        investigator: s.regulator.id,
        supplier: s.manufacturer.id,
        customer: s.distributor.id,
      });
    });
  });
});
