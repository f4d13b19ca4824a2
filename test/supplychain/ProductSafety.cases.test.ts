import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
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
import { GTIN } from "../fixtures/supplychain";
import type { Partner } from "../fixtures/supplychain";
import { bytes20, hashOf, onChain, serialKey } from "./helpers";
import {
  NONE,
  ZERO,
  expectCase,
  expectSingleBlocked,
  mined,
  opened,
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
const NOTICE = hashOf("notice");
const DAY = 24 * 3600;

// The scenarios below start from the one fixture and add a few transactions in each test: a second fixture would be
// rebuilt from scratch each time the tests alternate between them (reverting to the first snapshot drops the later).

/** The scenario with case 1 open: a regulator quarantined the pallet (supplier: manufacturer; customer: distributor). */
async function palletCase() {
  const s = await loadFixture(safetyScenario);
  await mined(quarantineContainer(s, s.regulator, s.pallet, []));
  return s;
}

/** `palletCase`, found illegitimate by the regulator: every recipient is due a notification. */
async function illegitimatePalletCase() {
  const s = await palletCase();
  await mined(s.productSafety.connect(s.regulator.key).decide(1n, true, EVIDENCE));
  return s;
}

/**
 * The scenario after the genuine pack `S000001` was dispensed by the hospital from `case1` (which the distributor
 * released to it from the unpacked pallet), and `case1`, sent back to the distributor as a return, was resold to the
 * other pharmacy: a pack with the same serial scanned there is a clone.
 */
async function cloneScenario() {
  const s = await loadFixture(safetyScenario);
  const { supplyChain, distributor, hospital, otherPharmacy, pallet, case1 } = s;
  const label = s.lotA.label("S000001");
  await mined(
    supplyChain
      .connect(distributor.key)
      .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], hashOf("unpack")),
  );
  await mined(shipContainer(s, distributor, hospital, case1, [pallet.hop(case1)]));
  await mined(receiveContainer(s, hospital, case1));
  await mined(supplyChain.connect(hospital.key).dispense(onChain(label), [], [case1.hop(label)], hashOf("first")));
  await mined(shipContainer(s, hospital, distributor, case1));
  await mined(receiveContainer(s, distributor, case1));
  await mined(shipContainer(s, distributor, otherPharmacy, case1));
  await mined(receiveContainer(s, otherPharmacy, case1));
  return { ...s, label, key: serialKey(GTIN, label.serial) };
}

/** The other pharmacy scans the clone of `S000001` and tries to dispense it, with its case's path unless `alone`. */
function dispenseClone(s: Awaited<ReturnType<typeof cloneScenario>>, alone = false) {
  const path = alone ? [] : [s.case1.hop(s.label)];
  return s.supplyChain
    .connect(s.otherPharmacy.key)
    .dispense(onChain(s.label), s.lotA.proof(s.label.serial), path, hashOf("second"));
}

function decide(s: SafetyScenario, by: Partner, caseId: bigint, illegitimate: boolean) {
  return s.productSafety.connect(by.key).decide(caseId, illegitimate, EVIDENCE);
}

function notify(s: SafetyScenario, by: Partner, caseId: bigint, recipient: Recipient, notice = NOTICE) {
  return s.productSafety.connect(by.key).notify(caseId, recipient, notice);
}

async function overdue(s: SafetyScenario, caseId: bigint): Promise<boolean[]> {
  return [...(await s.productSafety.overdueNotifications(caseId))];
}

function recall(s: SafetyScenario, by: Partner, lot: string, recallClass: RecallClass, notice = NOTICE) {
  return s.productSafety.connect(by.key).recall(GTIN, bytes20(lot), recallClass, notice);
}

describe("ProductSafety", () => {
  describe("decide", () => {
    it("finds the subject illegitimate when the investigator decides so", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(s, quarantineContainer(s, s.distributor, s.pallet, []));
      await expect(decide(s, s.distributor, caseId, true))
        .to.emit(s.productSafety, "CaseDetermined")
        .withArgs(caseId, s.pallet.key, s.distributor.id, true, EVIDENCE);
      expectCase(await s.productSafety.investigation(caseId), {
        status: CaseStatus.Illegitimate,
        determinedAt: BigInt(await time.latest()),
      });
      expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Illegitimate);
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([caseId]);
      await expect(shipContainer(s, s.distributor, s.pharmacy, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(s.pallet.key, UnitStatus.Illegitimate, 0n);
    });

    it("clears the subject back to commerce when a regulator decides so", async () => {
      const s = await palletCase();
      await expect(decide(s, s.regulator, 1n, false))
        .to.emit(s.productSafety, "CaseDetermined")
        .withArgs(1n, s.pallet.key, s.regulator.id, false, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), {
        status: CaseStatus.Cleared,
        determinedAt: BigInt(await time.latest()),
      });
      expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Active);
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([]);
      expect(await s.productSafety.overdueNotifications(1n)).to.deep.equal([false, false, false]);
      await expect(shipContainer(s, s.distributor, s.pharmacy, s.pallet)).to.emit(s.supplyChain, "Shipped");
    });

    it("reverts with ProductSafetyNotInvestigator for anyone but the investigator and a regulator", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(s, quarantineContainer(s, s.distributor, s.pallet, []));
      for (const by of [s.manufacturer, s.pharmacy]) {
        await expect(decide(s, by, caseId, true))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotInvestigator")
          .withArgs(caseId, by.key.address);
      }
      await expect(s.productSafety.connect(s.stranger).decide(caseId, false, EVIDENCE))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotInvestigator")
        .withArgs(caseId, s.stranger.address);
      expectCase(await s.productSafety.investigation(caseId), { status: CaseStatus.Open });
    });

    it("reverts with ProductSafetyInvalidCaseTransition when the case was decided already", async () => {
      const s = await palletCase();
      await mined(decide(s, s.regulator, 1n, false));
      await expect(decide(s, s.regulator, 1n, true))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(1n, CaseStatus.Cleared, CaseStatus.Illegitimate);
      const packCase = await opened(s, quarantinePack(s, s.pharmacy, s.single, [], s.lotA));
      await mined(decide(s, s.pharmacy, packCase, true));
      await expect(decide(s, s.pharmacy, packCase, false))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(packCase, CaseStatus.Illegitimate, CaseStatus.Cleared);
      await expect(decide(s, s.regulator, packCase, true))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(packCase, CaseStatus.Illegitimate, CaseStatus.Illegitimate);
    });

    it("reverts with ProductSafetyUnknownCase for an id no case has", async () => {
      const s = await palletCase();
      for (const caseId of [0n, 2n, 99n]) {
        await expect(decide(s, s.regulator, caseId, true))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyUnknownCase")
          .withArgs(caseId);
      }
    });

    it("finds product illegitimate while paused, but clears nothing", async () => {
      const s = await palletCase();
      await mined(quarantineContainer(s, s.manufacturer, s.caseB, [s.palletB.hop(s.caseB)]));
      await pauseBoth(s);
      await expect(decide(s, s.regulator, 1n, false)).to.be.revertedWithCustomError(s.productSafety, "EnforcedPause");
      await expect(decide(s, s.regulator, 1n, true)).to.emit(s.productSafety, "CaseDetermined");
      expect((await s.supplyChain.unit(s.pallet.key)).status).to.equal(UnitStatus.Illegitimate);
      await expect(decide(s, s.manufacturer, 2n, true)).to.emit(s.productSafety, "CaseDetermined");
      expect((await s.supplyChain.unit(s.caseB.key)).status).to.equal(UnitStatus.Illegitimate);
    });

    it("makes a lot illegitimate for good: none of its product moves again", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(
        s,
        s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20("LOT-A"), 5, EVIDENCE),
      );
      await mined(decide(s, s.regulator, caseId, true));
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-A"))).status).to.equal(LotStatus.Illegitimate);
      await expect(shipContainer(s, s.distributor, s.pharmacy, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Illegitimate);
      const label = onChain(s.single);
      await expect(
        s.supplyChain.connect(s.pharmacy.key).dispense(label, s.lotA.proof(s.single.serial), [], hashOf("dispense")),
      )
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Illegitimate);
      await expect(s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20("LOT-A"), 5, EVIDENCE))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotQuarantinable")
        .withArgs(s.lotA.key);
    });

    it("makes a pack with its own record illegitimate: it is never dispensed", async () => {
      const s = await loadFixture(safetyScenario);
      const key = serialKey(GTIN, s.single.serial);
      const caseId = await opened(s, quarantinePack(s, s.pharmacy, s.single, [], s.lotA));
      await mined(decide(s, s.pharmacy, caseId, true));
      expect((await s.supplyChain.unit(key)).status).to.equal(UnitStatus.Illegitimate);
      const label = onChain(s.single);
      const proof = s.lotA.proof(s.single.serial);
      await expect(s.supplyChain.connect(s.pharmacy.key).dispense(label, proof, [], hashOf("dispense")))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(key, UnitStatus.Illegitimate, 0n);
      await expect(
        s.supplyChain.connect(s.pharmacy.key).shipPack(label, proof, [], s.hospital.id, hashOf("ti"), hashOf("ship")),
      )
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(key, UnitStatus.Illegitimate, 0n);
      expect((await s.supplyChain.verify(label, proof, [])).illegitimate).to.equal(true);
    });

    it("keeps an illegitimate pack's case held for good, while its sibling case leaves the unpacked pallet", async () => {
      const s = await loadFixture(safetyScenario);
      const label = s.lotA.label("S000002");
      const caseId = await opened(s, quarantinePack(s, s.distributor, label, packPath(s, label), s.lotA, false));
      await mined(decide(s, s.distributor, caseId, true));
      expect((await s.supplyChain.unit(serialKey(GTIN, label.serial))).status).to.equal(UnitStatus.Illegitimate);
      expect((await s.supplyChain.unit(s.pallet.key)).holds).to.equal(1n);
      await expect(shipContainer(s, s.distributor, s.pharmacy, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(s.pallet.key, UnitStatus.Active, 1n);
      const { pallet, case1, case2 } = s;
      await mined(
        s.supplyChain
          .connect(s.distributor.key)
          .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], hashOf("u")),
      );
      await expect(shipContainer(s, s.distributor, s.pharmacy, case1, [pallet.hop(case1)]))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(case1.key, UnitStatus.Active, 1n);
      await expect(shipContainer(s, s.distributor, s.pharmacy, case2, [pallet.hop(case2)])).to.emit(
        s.supplyChain,
        "Shipped",
      );
    });

    it("leaves a lot recalled while its investigation was open recalled when the case is cleared", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(
        s,
        s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20("LOT-A"), 1, EVIDENCE),
      );
      await mined(recall(s, s.regulator, "LOT-A", RecallClass.I));
      await mined(decide(s, s.manufacturer, caseId, false));
      const lot = await s.supplyChain.lot(GTIN, bytes20("LOT-A"));
      expect(lot.status).to.equal(LotStatus.Recalled);
      expect(lot.recallClass).to.equal(RecallClass.I);
      expectCase(await s.productSafety.investigation(caseId), { status: CaseStatus.Cleared });
    });
  });

  describe("notify", () => {
    it("lists no overdue notification within 24 hours of the determination, and every unrecorded one after", async () => {
      const s = await palletCase();
      // DSCSA's window, as the contract reports it and applies it below.
      expect(await s.productSafety.notificationWindow()).to.equal(BigInt(DAY));
      expect(await overdue(s, 1n)).to.deep.equal([false, false, false]);
      await mined(decide(s, s.regulator, 1n, true));
      expect(await overdue(s, 1n)).to.deep.equal([false, false, false]);
      await mined(notify(s, s.regulator, 1n, Recipient.Supplier));
      const determinedAt = (await s.productSafety.investigation(1n)).determinedAt;
      await time.increaseTo(determinedAt + BigInt(DAY));
      expect(await overdue(s, 1n)).to.deep.equal([false, false, false]);
      await time.increase(1);
      expect(await overdue(s, 1n)).to.deep.equal([true, false, true]);
      await mined(notify(s, s.regulator, 1n, Recipient.Customer));
      expect(await overdue(s, 1n)).to.deep.equal([true, false, false]);
      await mined(notify(s, s.regulator, 1n, Recipient.Regulator));
      expect(await overdue(s, 1n)).to.deep.equal([false, false, false]);
    });

    it("lists only the regulator as overdue for a case with no trading partner to notify", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(
        s,
        s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20("LOT-C"), 7, EVIDENCE),
      );
      await mined(decide(s, s.manufacturer, caseId, true));
      await time.increase(DAY + 1);
      expect(await overdue(s, caseId)).to.deep.equal([true, false, false]);
    });

    it("records each notification's time and the partner notified", async () => {
      const s = await illegitimatePalletCase();
      await expect(notify(s, s.regulator, 1n, Recipient.Regulator))
        .to.emit(s.productSafety, "NotificationRecorded")
        .withArgs(1n, Recipient.Regulator, NONE, NOTICE);
      const regulatorAt = BigInt(await time.latest());
      await expect(notify(s, s.regulator, 1n, Recipient.Supplier, hashOf("to supplier")))
        .to.emit(s.productSafety, "NotificationRecorded")
        .withArgs(1n, Recipient.Supplier, s.manufacturer.id, hashOf("to supplier"));
      const supplierAt = BigInt(await time.latest());
      await time.increase(3600);
      await expect(notify(s, s.regulator, 1n, Recipient.Customer, hashOf("to customer")))
        .to.emit(s.productSafety, "NotificationRecorded")
        .withArgs(1n, Recipient.Customer, s.distributor.id, hashOf("to customer"));
      expectCase(await s.productSafety.investigation(1n), {
        status: CaseStatus.Illegitimate,
        regulatorNotifiedAt: regulatorAt,
        supplierNotifiedAt: supplierAt,
        customerNotifiedAt: BigInt(await time.latest()),
      });
    });

    it("reverts with ProductSafetyNotInvestigator for anyone but the investigator", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(s, quarantineContainer(s, s.distributor, s.pallet, []));
      await mined(decide(s, s.regulator, caseId, true));
      for (const by of [s.regulator, s.manufacturer]) {
        await expect(notify(s, by, caseId, Recipient.Regulator))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotInvestigator")
          .withArgs(caseId, by.key.address);
      }
      await expect(s.productSafety.connect(s.stranger).notify(caseId, Recipient.Regulator, NOTICE))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotInvestigator")
        .withArgs(caseId, s.stranger.address);
      await expect(notify(s, s.distributor, caseId, Recipient.Supplier)).to.emit(
        s.productSafety,
        "NotificationRecorded",
      );
    });

    it("reverts with ProductSafetyInvalidCaseTransition before an illegitimate determination", async () => {
      const s = await palletCase();
      await expect(notify(s, s.regulator, 1n, Recipient.Regulator))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(1n, CaseStatus.Open, CaseStatus.Illegitimate);
      await mined(decide(s, s.regulator, 1n, false));
      await expect(notify(s, s.regulator, 1n, Recipient.Regulator))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(1n, CaseStatus.Cleared, CaseStatus.Illegitimate);
    });

    it("reverts with ProductSafetyUnknownCase for an id no case has", async () => {
      const s = await illegitimatePalletCase();
      await expect(notify(s, s.regulator, 5n, Recipient.Regulator))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyUnknownCase")
        .withArgs(5n);
    });

    it("reverts with ProductSafetyNoSuchRecipient for a trading partner the case does not name", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(s, quarantineContainer(s, s.distributor, s.pallet, []));
      await mined(decide(s, s.distributor, caseId, true));
      await expect(notify(s, s.distributor, caseId, Recipient.Customer))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNoSuchRecipient")
        .withArgs(caseId, Recipient.Customer);
      const lotCase = await opened(
        s,
        s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20("LOT-C"), 7, EVIDENCE),
      );
      await mined(decide(s, s.manufacturer, lotCase, true));
      await expect(notify(s, s.manufacturer, lotCase, Recipient.Supplier))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNoSuchRecipient")
        .withArgs(lotCase, Recipient.Supplier);
    });

    it("reverts with ProductSafetyAlreadyNotified when the notification was recorded already", async () => {
      const s = await illegitimatePalletCase();
      for (const recipient of [Recipient.Regulator, Recipient.Supplier, Recipient.Customer]) {
        await mined(notify(s, s.regulator, 1n, recipient));
        await expect(notify(s, s.regulator, 1n, recipient, hashOf("again")))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyAlreadyNotified")
          .withArgs(1n, recipient);
      }
    });

    it("reverts with ProductSafetyZeroNotice for a zero notice", async () => {
      const s = await illegitimatePalletCase();
      await expect(notify(s, s.regulator, 1n, Recipient.Regulator, ZERO)).to.be.revertedWithCustomError(
        s.productSafety,
        "ProductSafetyZeroNotice",
      );
    });

    it("works while both contracts are paused", async () => {
      const s = await illegitimatePalletCase();
      await pauseBoth(s);
      await expect(notify(s, s.regulator, 1n, Recipient.Regulator)).to.emit(s.productSafety, "NotificationRecorded");
    });

    it("names the distributor that sold the second pharmacy the case as the supplier of a clone caught there", async () => {
      const s = await cloneScenario();
      await expect(dispenseClone(s))
        .to.emit(s.productSafety, "DuplicateSerial")
        .withArgs(s.key, s.otherPharmacy.id, 1n, s.hospital.id);
      expectCase(await s.productSafety.investigation(1n), {
        subject: s.key,
        subjectKind: CaseSubject.Pack,
        reason: SuspectReason.DuplicateSerial,
        status: CaseStatus.Open,
        priorStatus: UnitStatus.Dispensed,
        investigator: s.otherPharmacy.id,
        supplier: s.distributor.id,
        customer: NONE,
      });
    });

    it("names no supplier of a clone when the scan's path proves nothing", async () => {
      const s = await cloneScenario();
      const [dispensed, caseId] = await s.supplyChain
        .connect(s.otherPharmacy.key)
        .dispense.staticCall(onChain(s.label), s.lotA.proof(s.label.serial), [], hashOf("second"));
      expect([dispensed, caseId]).to.deep.equal([false, 1n]);
      await expect(dispenseClone(s, true))
        .to.emit(s.productSafety, "DuplicateSerial")
        .withArgs(s.key, s.otherPharmacy.id, 1n, s.hospital.id);
      expectCase(await s.productSafety.investigation(1n), {
        investigator: s.otherPharmacy.id,
        supplier: NONE,
        customer: NONE,
      });
      await mined(decide(s, s.otherPharmacy, 1n, true));
      await expect(notify(s, s.otherPharmacy, 1n, Recipient.Supplier))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNoSuchRecipient")
        .withArgs(1n, Recipient.Supplier);
    });
  });

  describe("closeCase", () => {
    it("reverts with ProductSafetyNotRegulator for anyone but a regulator, the investigator included", async () => {
      const s = await loadFixture(safetyScenario);
      const caseId = await opened(s, quarantineContainer(s, s.distributor, s.pallet, []));
      await mined(decide(s, s.distributor, caseId, true));
      await mined(notify(s, s.distributor, caseId, Recipient.Regulator));
      await mined(notify(s, s.distributor, caseId, Recipient.Supplier));
      for (const by of [s.distributor, s.manufacturer]) {
        await expect(s.productSafety.connect(by.key).closeCase(caseId, EVIDENCE))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotRegulator")
          .withArgs(by.key.address);
      }
      await expect(s.productSafety.connect(s.regulator.key).closeCase(caseId, EVIDENCE))
        .to.emit(s.productSafety, "CaseClosed")
        .withArgs(caseId, s.regulator.id, EVIDENCE);
    });

    it("reverts with ProductSafetyNotificationsPending until every notification was recorded", async () => {
      const s = await illegitimatePalletCase();
      const close = () => s.productSafety.connect(s.regulator.key).closeCase(1n, EVIDENCE);
      for (const recipient of [Recipient.Regulator, Recipient.Supplier, Recipient.Customer]) {
        await expect(close())
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotificationsPending")
          .withArgs(1n);
        await mined(notify(s, s.regulator, 1n, recipient));
      }
      await expect(close()).to.emit(s.productSafety, "CaseClosed").withArgs(1n, s.regulator.id, EVIDENCE);
      expectCase(await s.productSafety.investigation(1n), { status: CaseStatus.Closed });
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([]);
      expect(await s.productSafety.overdueNotifications(1n)).to.deep.equal([false, false, false]);
    });

    it("releases the containers that held the illegitimate case: the pallet moves again, the case stays illegitimate", async () => {
      const s = await loadFixture(safetyScenario);
      const { case1, pallet } = s;
      const caseId = await opened(s, quarantineContainer(s, s.distributor, case1, [pallet.hop(case1)]));
      await mined(decide(s, s.distributor, caseId, true));
      await mined(notify(s, s.distributor, caseId, Recipient.Regulator));
      await mined(notify(s, s.distributor, caseId, Recipient.Supplier));
      // Found illegitimate, the case still holds its pallet until the closure.
      await expect(shipContainer(s, s.distributor, s.pharmacy, pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyUnitBlocked")
        .withArgs(pallet.key, UnitStatus.Active, 1n);
      await mined(s.productSafety.connect(s.regulator.key).closeCase(caseId, EVIDENCE));
      expect((await s.supplyChain.unit(pallet.key)).holds).to.equal(0n);
      expect((await s.supplyChain.unit(case1.key)).status).to.equal(UnitStatus.Illegitimate);
      const label = case1.children[0] as Parameters<typeof onChain>[0];
      const verified = await s.supplyChain.verify(onChain(label), s.lotA.proof(label.serial), [
        case1.hop(label),
        pallet.hop(case1),
      ]);
      expect([verified.illegitimate, verified.saleable]).to.deep.equal([true, false]);
      await expect(shipContainer(s, s.distributor, s.pharmacy, pallet)).to.emit(s.supplyChain, "Shipped");
    });

    it("reverts with ProductSafetyInvalidCaseTransition unless the case is illegitimate", async () => {
      const s = await palletCase();
      const close = () => s.productSafety.connect(s.regulator.key).closeCase(1n, EVIDENCE);
      await expect(close())
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(1n, CaseStatus.Open, CaseStatus.Closed);
      await mined(decide(s, s.regulator, 1n, false));
      await expect(close())
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(1n, CaseStatus.Cleared, CaseStatus.Closed);
      await expect(s.productSafety.connect(s.regulator.key).closeCase(9n, EVIDENCE))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyUnknownCase")
        .withArgs(9n);
    });

    it("takes a case from the middle of the open illegitimate cases, keeping the others listed", async () => {
      const s = await loadFixture(safetyScenario);
      for (const lot of ["LOT-A", "LOT-B", "LOT-C"]) {
        const caseId = await opened(
          s,
          s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20(lot), 6, EVIDENCE),
        );
        await mined(decide(s, s.manufacturer, caseId, true));
        await mined(notify(s, s.manufacturer, caseId, Recipient.Regulator));
      }
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([1n, 2n, 3n]);
      const close = (caseId: bigint) => s.productSafety.connect(s.regulator.key).closeCase(caseId, EVIDENCE);
      await expect(close(2n)).to.emit(s.productSafety, "CaseClosed").withArgs(2n, s.regulator.id, EVIDENCE);
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([1n, 3n]);
      await expect(close(2n))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidCaseTransition")
        .withArgs(2n, CaseStatus.Closed, CaseStatus.Closed);
      await mined(close(1n));
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([3n]);
      await mined(close(3n));
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([]);
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-B"))).status).to.equal(LotStatus.Illegitimate);
    });

    it("reverts with EnforcedPause while paused", async () => {
      const s = await illegitimatePalletCase();
      for (const recipient of [Recipient.Regulator, Recipient.Supplier, Recipient.Customer]) {
        await mined(notify(s, s.regulator, 1n, recipient));
      }
      await pauseBoth(s);
      await expect(s.productSafety.connect(s.regulator.key).closeCase(1n, EVIDENCE)).to.be.revertedWithCustomError(
        s.productSafety,
        "EnforcedPause",
      );
      expect(await s.productSafety.openIllegitimateCases()).to.deep.equal([1n]);
    });
  });

  describe("recall", () => {
    it("recalls a lot with its class when its manufacturer or a regulator recalls it", async () => {
      const s = await loadFixture(safetyScenario);
      const recalls: [Partner, string, string, RecallClass][] = [
        [s.manufacturer, "LOT-A", s.lotA.key, RecallClass.I],
        [s.regulator, "LOT-B", s.lotB.key, RecallClass.II],
        [s.regulator, "LOT-C", s.lotC.key, RecallClass.III],
      ];
      for (const [by, lot, key, recallClass] of recalls) {
        await expect(recall(s, by, lot, recallClass, hashOf(lot)))
          .to.emit(s.productSafety, "LotRecalled")
          .withArgs(key, recallClass, by.id, hashOf(lot));
        const stored = await s.supplyChain.lot(GTIN, bytes20(lot));
        expect(stored.status, lot).to.equal(LotStatus.Recalled);
        expect(stored.recallClass, lot).to.equal(recallClass);
      }
    });

    it("reverts with ProductSafetyNotRecaller for another manufacturer or a distributor", async () => {
      const s = await loadFixture(safetyScenario);
      for (const by of [s.otherManufacturer, s.distributor]) {
        await expect(recall(s, by, "LOT-A", RecallClass.I))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotRecaller")
          .withArgs(s.lotA.key, by.key.address);
      }
      expect((await s.supplyChain.lot(GTIN, bytes20("LOT-A"))).status).to.equal(LotStatus.Active);
    });

    it("reverts with ProductSafetyUnknownLot for a lot never commissioned", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(recall(s, s.regulator, "LOT-X", RecallClass.I))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyUnknownLot")
        .withArgs(GTIN, bytes20("LOT-X"));
    });

    it("reverts with ProductSafetyInvalidRecallClass without a class and ProductSafetyZeroNotice without a notice", async () => {
      const s = await loadFixture(safetyScenario);
      await expect(recall(s, s.manufacturer, "LOT-A", RecallClass.None))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyInvalidRecallClass")
        .withArgs(RecallClass.None);
      await expect(recall(s, s.manufacturer, "LOT-A", RecallClass.II, ZERO)).to.be.revertedWithCustomError(
        s.productSafety,
        "ProductSafetyZeroNotice",
      );
    });

    it("reverts with ProductSafetyLotNotRecallable for a lot recalled or illegitimate already", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(recall(s, s.manufacturer, "LOT-A", RecallClass.III));
      await expect(recall(s, s.regulator, "LOT-A", RecallClass.I))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyLotNotRecallable")
        .withArgs(s.lotA.key, LotStatus.Recalled);
      const caseId = await opened(
        s,
        s.productSafety.connect(s.manufacturer.key).quarantineLot(GTIN, bytes20("LOT-B"), 4, EVIDENCE),
      );
      await mined(decide(s, s.manufacturer, caseId, true));
      await expect(recall(s, s.manufacturer, "LOT-B", RecallClass.I))
        .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyLotNotRecallable")
        .withArgs(s.lotB.key, LotStatus.Illegitimate);
    });

    it("works while both contracts are paused", async () => {
      const s = await loadFixture(safetyScenario);
      await pauseBoth(s);
      await expect(recall(s, s.regulator, "LOT-A", RecallClass.I))
        .to.emit(s.productSafety, "LotRecalled")
        .withArgs(s.lotA.key, RecallClass.I, s.regulator.id, NOTICE);
    });

    it("blocks shipping a container naming the lot, and a pack of it on its own, and dispensing", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(recall(s, s.manufacturer, "LOT-A", RecallClass.I));
      await expect(shipContainer(s, s.distributor, s.pharmacy, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Recalled);
      await expectSingleBlocked(s, LotStatus.Recalled);
      const label = onChain(s.single);
      const proof = s.lotA.proof(s.single.serial);
      const verification = await s.supplyChain.verify(label, proof, []);
      expect(verification.lotStatus).to.equal(LotStatus.Recalled);
      expect(verification.recallClass).to.equal(RecallClass.I);
      expect(verification.saleable).to.equal(false);
    });

    it("blocks receiving what was recalled while in transit", async () => {
      const s = await loadFixture(safetyScenario);
      await mined(shipContainer(s, s.distributor, s.hospital, s.pallet));
      const label = onChain(s.single);
      const proof = s.lotA.proof(s.single.serial);
      await mined(
        s.supplyChain.connect(s.pharmacy.key).shipPack(label, proof, [], s.hospital.id, hashOf("ti"), hashOf("ship")),
      );
      await mined(recall(s, s.regulator, "LOT-A", RecallClass.II));
      await expect(receiveContainer(s, s.hospital, s.pallet))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Recalled);
      await expect(s.supplyChain.connect(s.hospital.key).receivePack(label, hashOf("receive")))
        .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
        .withArgs(s.lotA.key, LotStatus.Recalled);
    });
  });

  describe("openCloneCase", () => {
    it("reverts with ProductSafetyNotSupplyChain for anyone but the registry, a regulator included", async () => {
      const s = await loadFixture(safetyScenario);
      const key = serialKey(GTIN, s.single.serial);
      for (const by of [s.regulator, s.pharmacy]) {
        await expect(s.productSafety.connect(by.key).openCloneCase(key, by.id, s.distributor.id, s.hospital.id))
          .to.be.revertedWithCustomError(s.productSafety, "ProductSafetyNotSupplyChain")
          .withArgs(by.key.address);
      }
      expect(await s.productSafety.caseCount()).to.equal(0n);
    });
  });

  describe("the DSCSA flow", () => {
    it("catches a clone at a second pharmacy, finds it illegitimate, notifies within 24 hours and closes the case", async () => {
      const s = await cloneScenario();
      const safety = s.productSafety;
      await expect(dispenseClone(s))
        .to.emit(safety, "DuplicateSerial")
        .withArgs(s.key, s.otherPharmacy.id, 1n, s.hospital.id)
        .and.to.emit(safety, "Quarantined")
        .withArgs(1n, s.key, s.otherPharmacy.id, SuspectReason.DuplicateSerial, ZERO);
      expect((await s.supplyChain.unit(s.key)).status).to.equal(UnitStatus.Quarantined);
      expectCase(await safety.investigation(1n), { status: CaseStatus.Open, supplier: s.distributor.id });

      await time.increase(6 * 3600);
      await expect(decide(s, s.otherPharmacy, 1n, true))
        .to.emit(safety, "CaseDetermined")
        .withArgs(1n, s.key, s.otherPharmacy.id, true, EVIDENCE);
      expect((await s.supplyChain.unit(s.key)).status).to.equal(UnitStatus.Illegitimate);
      expect(await safety.openIllegitimateCases()).to.deep.equal([1n]);

      await time.increase(12 * 3600);
      await expect(notify(s, s.otherPharmacy, 1n, Recipient.Regulator, hashOf("FDA Form 3911")))
        .to.emit(safety, "NotificationRecorded")
        .withArgs(1n, Recipient.Regulator, NONE, hashOf("FDA Form 3911"));
      await expect(notify(s, s.otherPharmacy, 1n, Recipient.Supplier, hashOf("to the distributor")))
        .to.emit(safety, "NotificationRecorded")
        .withArgs(1n, Recipient.Supplier, s.distributor.id, hashOf("to the distributor"));
      const determined = await safety.investigation(1n);
      expect(determined.supplierNotifiedAt - determined.determinedAt < BigInt(DAY)).to.equal(true);

      await time.increase(DAY);
      expect(await overdue(s, 1n)).to.deep.equal([false, false, false]);
      await expect(safety.connect(s.regulator.key).closeCase(1n, hashOf("closure")))
        .to.emit(safety, "CaseClosed")
        .withArgs(1n, s.regulator.id, hashOf("closure"));
      expectCase(await safety.investigation(1n), { status: CaseStatus.Closed });
      expect(await safety.openIllegitimateCases()).to.deep.equal([]);
      expect((await s.supplyChain.unit(s.key)).status).to.equal(UnitStatus.Illegitimate);
    });
  });
});
