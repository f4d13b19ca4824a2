import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import type { Partner } from "../fixtures/supplychain";
import { scheduleAndExecute } from "../helpers/governance";
import {
  CaseStatus,
  CaseSubject,
  commission,
  custodyScenario,
  type CustodyScenario,
  dispensePack,
  epcis,
  LotStatus,
  quarantineCase,
  quarantineLot,
  readUnit,
  recallLot,
  RecallClass,
  sell,
  sellPack,
  shipContainer,
  soonExpiringLot,
  SuspectReason,
  transaction,
  UnitStatus,
  unpack,
  type Verification,
  verifyPack,
} from "./custody-scenario";
import {
  bytes20,
  ContainerTree,
  hashOf,
  type Hop,
  type Label,
  type LotTree,
  onChain,
  serialKey,
  sscc,
} from "./helpers";

// SupplyChain: dispensing (decommission once, clones recorded), undoing it within the reversal window, the window's
// governance, and the verification a partner runs before accepting, reselling or dispensing a pack. The scenario:
// lots A and B; case1–case3 on `pallet` (cases without records); `looseCase` (A9–A12) packed on chain; A13–A16 loose
// in the manufacturer's stock.

const DAY = 86_400n;
const HOUR = 3_600;
const DEFAULT_WINDOW = 10 * 24 * HOUR;

function dispenseTx(
  f: CustodyScenario,
  by: Partner,
  label: Label,
  lotProof: readonly string[],
  path: readonly Hop[] = [],
  step = "dispense",
) {
  return f.supplyChain.connect(by.key).dispense(onChain(label), [...lotProof], [...path], epcis(step));
}

/** A13 shipped on its own from the manufacturer to the pharmacy, which received it. */
async function packAtPharmacy(f: CustodyScenario, serial = "A000013"): Promise<Label> {
  await sellPack(f.supplyChain, f.manufacturer, f.lotA, serial, f.pharmacy);
  return f.lotA.label(serial);
}

/** What `verify` answers for a saleable pack in the manufacturer's stock; each state below overrides some fields. */
function saleable(f: CustodyScenario, owner: bigint = f.manufacturer.id): Verification {
  return {
    genuine: true,
    expired: false,
    lotStatus: LotStatus.Active,
    recallClass: RecallClass.None,
    packStatus: UnitStatus.None,
    quarantined: false,
    illegitimate: false,
    dispensed: false,
    custodyProven: true,
    inTransit: false,
    owner,
    manufacturer: f.manufacturer.id,
    saleable: true,
  };
}

/** What `verify` answers when the pack is not proven genuine: only what the lot says. */
function notGenuine(f: CustodyScenario, lotStatus: LotStatus = LotStatus.Active): Verification {
  return {
    ...saleable(f, 0n),
    genuine: false,
    lotStatus,
    custodyProven: false,
    saleable: false,
  };
}

async function expiringLotAtPharmacy(f: CustodyScenario): Promise<{ lot: LotTree; label: Label; expiresAt: bigint }> {
  const lot = await soonExpiringLot("SOON", 30);
  await commission(f.supplyChain, f.manufacturer, lot);
  const serial = lot.labels[0]!.serial;
  await sellPack(f.supplyChain, f.manufacturer, lot, serial, f.pharmacy);
  const expiresAt = (await f.supplyChain.lotByKey(lot.key)).expiresAt;
  return { lot, label: lot.label(serial), expiresAt };
}

describe("SupplyChain", function () {
  describe("dispense", function () {
    it("decommissions a pack held on its own: Dispensed, the record, and verify says dispensed", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, pharmacy, manufacturer } = f;
      const label = await packAtPharmacy(f);
      const key = serialKey(lotA.gtin, label.serial);
      expect(
        await supplyChain
          .connect(pharmacy.key)
          .dispense.staticCall(onChain(label), lotA.proof(label.serial), [], epcis("d")),
      ).to.deep.equal([true, 0n]);
      const at = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(at);
      await expect(dispenseTx(f, pharmacy, label, lotA.proof(label.serial), [], "d"))
        .to.emit(supplyChain, "Dispensed")
        .withArgs(epcis("d"), key, pharmacy.id, lotA.key);
      expect(await readUnit(supplyChain, key)).to.deep.equal({
        owner: pharmacy.id,
        packer: 0n,
        from: manufacturer.id,
        status: UnitStatus.Dispensed,
        holds: 0,
        since: at,
      });
      expect(await verifyPack(supplyChain, label, lotA.proof(label.serial))).to.deep.equal({
        ...saleable(f, pharmacy.id),
        packStatus: UnitStatus.Dispensed,
        dispensed: true,
        saleable: false,
      });
    });

    it("decommissions with an empty lot proof through a case the manufacturer packed", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, looseCase, pharmacy, manufacturer } = f;
      await sell(supplyChain, manufacturer, looseCase, pharmacy);
      const label = lotA.label("A000009");
      const key = serialKey(lotA.gtin, label.serial);
      await expect(dispenseTx(f, pharmacy, label, [], [looseCase.hop(label)]))
        .to.emit(supplyChain, "Dispensed")
        .withArgs(epcis("dispense"), key, pharmacy.id, lotA.key);
      const u = await readUnit(supplyChain, key);
      expect([u.owner, u.from, u.status]).to.deep.equal([pharmacy.id, manufacturer.id, UnitStatus.Dispensed]);
    });

    it("decommissions with an empty lot proof through a case of a pallet, and with a lot proof through a path", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, pallet, case1, hospital, manufacturer } = f;
      await sell(supplyChain, manufacturer, pallet, hospital);
      await unpack(supplyChain, hospital, pallet);
      const a1 = lotA.label("A000001");
      const a2 = lotA.label("A000002");
      await expect(dispenseTx(f, hospital, a1, [], [case1.hop(a1), pallet.hop(case1)], "d1"))
        .to.emit(supplyChain, "Dispensed")
        .withArgs(epcis("d1"), serialKey(lotA.gtin, a1.serial), hospital.id, lotA.key);
      await expect(dispenseTx(f, hospital, a2, lotA.proof(a2.serial), [case1.hop(a2), pallet.hop(case1)], "d2"))
        .to.emit(supplyChain, "Dispensed")
        .withArgs(epcis("d2"), serialKey(lotA.gtin, a2.serial), hospital.id, lotA.key);
    });

    it("reverts with SupplyNotDispenser for a distributor, a manufacturer, a regulator and a stranger", async function () {
      const f = await loadFixture(custodyScenario);
      const label = f.lotA.label("A000013");
      for (const key of [f.distributor.key, f.manufacturer.key, f.regulator.key, f.stranger]) {
        await expect(f.supplyChain.connect(key).dispense(onChain(label), f.lotA.proof(label.serial), [], epcis("d")))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotDispenser")
          .withArgs(key.address);
      }
    });

    it("reverts with SupplyNotDispenser once the pharmacy's licence expired", async function () {
      const f = await loadFixture(custodyScenario);
      const label = await packAtPharmacy(f);
      await time.increaseTo(f.licenceExpiry + 1n);
      await expect(dispenseTx(f, f.pharmacy, label, f.lotA.proof(label.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotDispenser")
        .withArgs(f.pharmacy.key.address);
    });

    it("reverts with SupplyNotOwner for a pack another pharmacy or the manufacturer holds", async function () {
      const f = await loadFixture(custodyScenario);
      const label = await packAtPharmacy(f);
      const key = serialKey(f.lotA.gtin, label.serial);
      await expect(dispenseTx(f, f.otherPharmacy, label, f.lotA.proof(label.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotOwner")
        .withArgs(key, f.pharmacy.id, f.otherPharmacy.key.address);
      const inStock = f.lotA.label("A000014");
      await expect(dispenseTx(f, f.pharmacy, inStock, f.lotA.proof(inStock.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotOwner")
        .withArgs(serialKey(f.lotA.gtin, inStock.serial), f.manufacturer.id, f.pharmacy.key.address);
    });

    it("reverts with SupplyExpired from the lot's expiry instant, and dispenses one second before", async function () {
      const f = await loadFixture(custodyScenario);
      const { lot, label, expiresAt } = await expiringLotAtPharmacy(f);
      const second = lot.labels[1]!;
      await sellPack(f.supplyChain, f.manufacturer, lot, second.serial, f.pharmacy);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await expect(dispenseTx(f, f.pharmacy, second, lot.proof(second.serial), [], "d2")).to.emit(
        f.supplyChain,
        "Dispensed",
      );
      await time.setNextBlockTimestamp(expiresAt);
      await expect(dispenseTx(f, f.pharmacy, label, lot.proof(label.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyExpired")
        .withArgs(label.gtin, bytes20(label.serial), expiresAt);
    });

    it("reverts with SupplyLotBlocked for a recalled lot and a quarantined lot", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = await packAtPharmacy(f, "A000013");
      const b5 = f.lotB.label("B000005");
      await sellPack(f.supplyChain, f.manufacturer, f.lotB, b5.serial, f.pharmacy);
      await recallLot(f.productSafety, f.manufacturer, f.lotA, RecallClass.I);
      await quarantineLot(f.productSafety, f.manufacturer, f.lotB);
      await expect(dispenseTx(f, f.pharmacy, a13, f.lotA.proof(a13.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyLotBlocked")
        .withArgs(f.lotA.key, LotStatus.Recalled);
      await expect(dispenseTx(f, f.pharmacy, b5, f.lotB.proof(b5.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyLotBlocked")
        .withArgs(f.lotB.key, LotStatus.Quarantined);
    });

    it("reverts with SupplyUnitBlocked for a pack in a quarantined container, and for a quarantined pack", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, looseCase, pharmacy } = f;
      await sell(supplyChain, f.manufacturer, looseCase, pharmacy);
      await quarantineCase(productSafety, pharmacy, looseCase, [], SuspectReason.Tampering);
      const a9 = lotA.label("A000009");
      await expect(dispenseTx(f, pharmacy, a9, [], [looseCase.hop(a9)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnitBlocked")
        .withArgs(looseCase.key, UnitStatus.Quarantined, 0);
      const a13 = await packAtPharmacy(f);
      await (
        await productSafety
          .connect(pharmacy.key)
          .quarantinePack(onChain(a13), lotA.proof(a13.serial), [], SuspectReason.SuspectedCounterfeit, hashOf("e"))
      ).wait();
      await expect(dispenseTx(f, pharmacy, a13, lotA.proof(a13.serial)))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnitBlocked")
        .withArgs(serialKey(lotA.gtin, a13.serial), UnitStatus.Quarantined, 0);
    });

    it("reverts with SupplyNotGenuine for a wrong proof and a proof of the wrong lot", async function () {
      const f = await loadFixture(custodyScenario);
      const { lotA, lotB } = f;
      const a13 = await packAtPharmacy(f);
      const notGenuineFor = (label: Label) => [label.gtin, bytes20(label.serial), bytes20(label.lot)] as const;
      await expect(dispenseTx(f, f.pharmacy, a13, lotA.proof("A000014")))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotGenuine")
        .withArgs(...notGenuineFor(a13));
      await expect(dispenseTx(f, f.pharmacy, a13, lotB.proof("B000001")))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotGenuine")
        .withArgs(...notGenuineFor(a13));
      // The same serial claimed to be of lot B (same expiry) with lot A's proof.
      const relabelled = { ...a13, lot: lotB.lot };
      await expect(dispenseTx(f, f.pharmacy, relabelled, lotA.proof(a13.serial)))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotGenuine")
        .withArgs(...notGenuineFor(relabelled));
    });

    it("reverts with SupplyExpiryMismatch, SupplyUnknownLot, SupplyEmptyIdentifier and SupplyZeroHash", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = await packAtPharmacy(f);
      const proof = f.lotA.proof(a13.serial);
      await expect(dispenseTx(f, f.pharmacy, { ...a13, expiry: 291231 }, proof))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyExpiryMismatch")
        .withArgs(a13.gtin, bytes20(a13.lot), 291231);
      await expect(dispenseTx(f, f.pharmacy, { ...a13, lot: "NOPE" }, proof))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyUnknownLot")
        .withArgs(a13.gtin, bytes20("NOPE"));
      await expect(
        f.supplyChain
          .connect(f.pharmacy.key)
          .dispense({ ...onChain(a13), serial: `0x${"00".repeat(20)}` }, proof, [], epcis("d")),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyEmptyIdentifier");
      await expect(
        f.supplyChain.connect(f.pharmacy.key).dispense(onChain(a13), proof, [], ZeroHash),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
    });

    it("reverts with SupplyNotGenuine for an empty lot proof of a pack that has a record", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = await packAtPharmacy(f);
      for (const path of [[], [f.looseCase.hop(f.lotA.label("A000009"))]]) {
        await expect(dispenseTx(f, f.pharmacy, a13, [], path))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotGenuine")
          .withArgs(a13.gtin, bytes20(a13.serial), bytes20(a13.lot));
      }
    });

    it("records a clone instead of reverting: the serial is quarantined and a DuplicateSerial case opened", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, pharmacy, otherPharmacy } = f;
      const a13 = await packAtPharmacy(f);
      const key = serialKey(lotA.gtin, a13.serial);
      await dispensePack(supplyChain, pharmacy, lotA, a13.serial);
      // A counterfeit carrying the same label, scanned at another pharmacy.
      expect(
        await supplyChain
          .connect(otherPharmacy.key)
          .dispense.staticCall(onChain(a13), lotA.proof(a13.serial), [], epcis("clone")),
      ).to.deep.equal([false, 1n]);
      const tx = dispenseTx(f, otherPharmacy, a13, lotA.proof(a13.serial), [], "clone");
      await expect(tx)
        .to.emit(productSafety, "DuplicateSerial")
        .withArgs(key, otherPharmacy.id, 1n, pharmacy.id)
        .and.to.emit(productSafety, "Quarantined")
        .withArgs(1n, key, otherPharmacy.id, SuspectReason.DuplicateSerial, ZeroHash)
        .and.not.to.emit(supplyChain, "Dispensed");
      const u = await readUnit(supplyChain, key);
      expect([u.owner, u.status]).to.deep.equal([pharmacy.id, UnitStatus.Quarantined]);
      const c = await productSafety.investigation(1n);
      expect({
        subject: c.subject,
        subjectKind: Number(c.subjectKind),
        reason: Number(c.reason),
        status: Number(c.status),
        priorStatus: Number(c.priorStatus),
        investigator: c.investigator,
        supplier: c.supplier,
        customer: c.customer,
      }).to.deep.equal({
        subject: key,
        subjectKind: CaseSubject.Pack,
        reason: SuspectReason.DuplicateSerial,
        status: CaseStatus.Open,
        priorStatus: UnitStatus.Dispensed,
        investigator: otherPharmacy.id,
        supplier: 0n,
        customer: 0n,
      });
      expect(await productSafety.caseCount()).to.equal(1n);
      // A third attempt is refused: the serial is quarantined (its record is still the first dispenser's).
      await expect(dispenseTx(f, pharmacy, a13, lotA.proof(a13.serial), [], "third"))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnitBlocked")
        .withArgs(key, UnitStatus.Quarantined, 0);
      await expect(dispenseTx(f, otherPharmacy, a13, lotA.proof(a13.serial), [], "third"))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(key, pharmacy.id, otherPharmacy.key.address);
      expect(await productSafety.caseCount()).to.equal(1n);
    });

    it("names the clone's supplier when the scanner proves its custody through a path", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, looseCase, manufacturer, distributor, pharmacy, otherPharmacy } = f;
      // The manufacturer sells A9 on its own to the pharmacy (its record says it is in stock), and the case holding
      // A9 to the distributor, who sells it on: two packs carry serial A9.
      await sellPack(supplyChain, manufacturer, lotA, "A000009", pharmacy);
      await dispensePack(supplyChain, pharmacy, lotA, "A000009");
      await sell(supplyChain, manufacturer, looseCase, distributor);
      await sell(supplyChain, distributor, looseCase, otherPharmacy);
      const a9 = lotA.label("A000009");
      await expect(dispenseTx(f, otherPharmacy, a9, lotA.proof(a9.serial), [looseCase.hop(a9)], "clone"))
        .to.emit(productSafety, "DuplicateSerial")
        .withArgs(serialKey(lotA.gtin, a9.serial), otherPharmacy.id, 1n, pharmacy.id);
      const c = await productSafety.investigation(1n);
      expect([c.investigator, c.supplier, c.customer]).to.deep.equal([otherPharmacy.id, distributor.id, 0n]);
    });

    it("reverts with EnforcedPause while paused", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = await packAtPharmacy(f);
      await (await f.supplyChain.connect(f.pauser).pause()).wait();
      await expect(dispenseTx(f, f.pharmacy, a13, f.lotA.proof(a13.serial))).to.be.revertedWithCustomError(
        f.supplyChain,
        "EnforcedPause",
      );
    });
  });

  describe("undoDispense", function () {
    it("undoes the caller's decommission within the window: DispenseUndone, the pack back in its stock", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, pharmacy } = f;
      const a13 = await packAtPharmacy(f);
      const key = serialKey(lotA.gtin, a13.serial);
      await dispensePack(supplyChain, pharmacy, lotA, a13.serial);
      await time.increase(DAY);
      const at = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(supplyChain.connect(pharmacy.key).undoDispense(onChain(a13), epcis("undo")))
        .to.emit(supplyChain, "DispenseUndone")
        .withArgs(epcis("undo"), key, pharmacy.id);
      const u = await readUnit(supplyChain, key);
      expect([u.owner, u.status, u.since]).to.deep.equal([pharmacy.id, UnitStatus.Active, at]);
      expect(await verifyPack(supplyChain, a13, lotA.proof(a13.serial))).to.deep.equal({
        ...saleable(f, pharmacy.id),
        packStatus: UnitStatus.Active,
      });
      // …and it can be dispensed again.
      await expect(dispenseTx(f, pharmacy, a13, lotA.proof(a13.serial), [], "again"))
        .to.emit(supplyChain, "Dispensed")
        .withArgs(epcis("again"), key, pharmacy.id, lotA.key);
    });

    it("accepts the last second of the window and reverts with SupplyReversalWindowClosed after it", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, pharmacy } = f;
      const a13 = await packAtPharmacy(f, "A000013");
      const a14 = await packAtPharmacy(f, "A000014");
      await dispensePack(supplyChain, pharmacy, lotA, a13.serial);
      const closed13 = (await readUnit(supplyChain, serialKey(lotA.gtin, a13.serial))).since + BigInt(DEFAULT_WINDOW);
      await dispensePack(supplyChain, pharmacy, lotA, a14.serial);
      const closed14 = (await readUnit(supplyChain, serialKey(lotA.gtin, a14.serial))).since + BigInt(DEFAULT_WINDOW);
      await time.setNextBlockTimestamp(closed13);
      await expect(supplyChain.connect(pharmacy.key).undoDispense(onChain(a13), epcis("u13"))).to.emit(
        supplyChain,
        "DispenseUndone",
      );
      await time.setNextBlockTimestamp(closed14 + 1n);
      await expect(supplyChain.connect(pharmacy.key).undoDispense(onChain(a14), epcis("u14")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyReversalWindowClosed")
        .withArgs(serialKey(lotA.gtin, a14.serial), closed14);
    });

    it("reverts with SupplyNotDispenserOf for another pharmacy or a distributor", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = await packAtPharmacy(f);
      await dispensePack(f.supplyChain, f.pharmacy, f.lotA, a13.serial);
      for (const by of [f.otherPharmacy, f.distributor]) {
        await expect(f.supplyChain.connect(by.key).undoDispense(onChain(a13), epcis("undo")))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotDispenserOf")
          .withArgs(serialKey(f.lotA.gtin, a13.serial), by.key.address);
      }
      await expect(f.supplyChain.connect(f.stranger).undoDispense(onChain(a13), epcis("undo")))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotTradingPartner")
        .withArgs(f.stranger.address);
    });

    it("reverts with SupplyInvalidTransition for a pack not dispensed", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = await packAtPharmacy(f);
      const a14 = f.lotA.label("A000014");
      await expect(f.supplyChain.connect(f.pharmacy.key).undoDispense(onChain(a13), epcis("undo")))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidTransition")
        .withArgs(serialKey(f.lotA.gtin, a13.serial), UnitStatus.Active, UnitStatus.Active);
      await expect(f.supplyChain.connect(f.pharmacy.key).undoDispense(onChain(a14), epcis("undo")))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidTransition")
        .withArgs(serialKey(f.lotA.gtin, a14.serial), UnitStatus.None, UnitStatus.Active);
      await dispensePack(f.supplyChain, f.pharmacy, f.lotA, a13.serial);
      await expect(
        f.supplyChain.connect(f.pharmacy.key).undoDispense(onChain(a13), ZeroHash),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
    });
  });

  describe("setReversalWindow", function () {
    it("lets the admin set it through the AccessManager's delay, emitting ReversalWindowSet", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, accessManager, admin } = f;
      expect(await supplyChain.reversalWindow()).to.equal(BigInt(DEFAULT_WINDOW));
      const target = await supplyChain.getAddress();
      const data = supplyChain.interface.encodeFunctionData("setReversalWindow", [2 * HOUR]);
      const [, delay] = await accessManager.canCall(admin.address, target, data.slice(0, 10));
      expect(delay).to.be.greaterThan(0n);
      await (await accessManager.connect(admin).schedule(target, data, 0)).wait();
      await time.increase(delay);
      await expect(accessManager.connect(admin).execute(target, data))
        .to.emit(supplyChain, "ReversalWindowSet")
        .withArgs(2 * HOUR);
      expect(await supplyChain.reversalWindow()).to.equal(BigInt(2 * HOUR));
      // The new window applies to undoing.
      const a13 = await packAtPharmacy(f);
      await dispensePack(supplyChain, f.pharmacy, f.lotA, a13.serial);
      await time.increase(2 * HOUR + 1);
      await expect(
        supplyChain.connect(f.pharmacy.key).undoDispense(onChain(a13), epcis("undo")),
      ).to.be.revertedWithCustomError(supplyChain, "SupplyReversalWindowClosed");
    });

    it("accepts the bounds, 1 hour and 30 days, and reverts with SupplyInvalidReversalWindow outside them", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, accessManager, admin } = f;
      const target = await supplyChain.getAddress();
      for (const window of [HOUR, 30 * 24 * HOUR]) {
        await scheduleAndExecute(
          accessManager,
          admin,
          target,
          supplyChain.interface.encodeFunctionData("setReversalWindow", [window]),
        );
        expect(await supplyChain.reversalWindow()).to.equal(BigInt(window));
      }
      for (const window of [HOUR - 1, 30 * 24 * HOUR + 1, 0]) {
        const data = supplyChain.interface.encodeFunctionData("setReversalWindow", [window]);
        const [, delay] = await accessManager.canCall(admin.address, target, data.slice(0, 10));
        await (await accessManager.connect(admin).schedule(target, data, 0)).wait();
        await time.increase(delay);
        await expect(accessManager.connect(admin).execute(target, data))
          .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidReversalWindow")
          .withArgs(window);
      }
      expect(await supplyChain.reversalWindow()).to.equal(BigInt(30 * 24 * HOUR));
    });

    it("reverts with AccessManagedUnauthorized for anyone but the admin, and AccessManagerNotScheduled for the admin directly", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, accessManager, admin } = f;
      for (const key of [f.stranger, f.pauser, f.registrar, f.pharmacy.key, f.regulator.key]) {
        await expect(supplyChain.connect(key).setReversalWindow(2 * HOUR))
          .to.be.revertedWithCustomError(supplyChain, "AccessManagedUnauthorized")
          .withArgs(key.address);
      }
      const data = supplyChain.interface.encodeFunctionData("setReversalWindow", [2 * HOUR]);
      const operationId = await accessManager.hashOperation(admin.address, await supplyChain.getAddress(), data);
      await expect(supplyChain.connect(admin).setReversalWindow(2 * HOUR))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
        .withArgs(operationId);
      expect(await supplyChain.reversalWindow()).to.equal(BigInt(DEFAULT_WINDOW));
    });
  });

  describe("verify", function () {
    it("answers genuine and saleable for a pack in stock, through a lot proof or through its containers", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, looseCase, pallet, case1 } = f;
      const a13 = lotA.label("A000013");
      const a9 = lotA.label("A000009");
      const a1 = lotA.label("A000001");
      expect(await verifyPack(supplyChain, a13, lotA.proof(a13.serial))).to.deep.equal(saleable(f));
      expect(await verifyPack(supplyChain, a9, [], [looseCase.hop(a9)])).to.deep.equal(saleable(f));
      expect(await verifyPack(supplyChain, a1, [], [case1.hop(a1), pallet.hop(case1)])).to.deep.equal(saleable(f));
      expect(
        await verifyPack(supplyChain, a1, lotA.proof(a1.serial), [case1.hop(a1), pallet.hop(case1)]),
      ).to.deep.equal(saleable(f));
    });

    it("answers not genuine for a bad proof, an unknown lot, an expiry mismatch and no proof at all", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA } = f;
      const a13 = lotA.label("A000013");
      expect(await verifyPack(supplyChain, a13, lotA.proof("A000014"))).to.deep.equal(notGenuine(f));
      expect(await verifyPack(supplyChain, a13, [])).to.deep.equal(notGenuine(f));
      expect(await verifyPack(supplyChain, { ...a13, expiry: 291231 }, lotA.proof(a13.serial))).to.deep.equal(
        notGenuine(f),
      );
      expect(await verifyPack(supplyChain, { ...a13, lot: "NOPE" }, lotA.proof(a13.serial))).to.deep.equal({
        ...notGenuine(f, LotStatus.None),
        manufacturer: 0n,
      });
      // A pack of lot A presented with a container path that does not hold it, and no lot proof.
      const a9 = lotA.label("A000009");
      expect(await verifyPack(supplyChain, a13, [], [f.looseCase.hop(a9)])).to.deep.equal(notGenuine(f));
    });

    it("answers expired from the lot's expiry instant", async function () {
      const f = await loadFixture(custodyScenario);
      const { lot, label, expiresAt } = await expiringLotAtPharmacy(f);
      await time.increaseTo(expiresAt - 1n);
      expect((await verifyPack(f.supplyChain, label, lot.proof(label.serial))).expired).to.equal(false);
      await time.increaseTo(expiresAt);
      expect(await verifyPack(f.supplyChain, label, lot.proof(label.serial))).to.deep.equal({
        ...saleable(f, f.pharmacy.id),
        packStatus: UnitStatus.Active,
        expired: true,
        saleable: false,
      });
    });

    it("answers recalled with its class, and quarantined for a quarantined lot", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, lotB } = f;
      await recallLot(productSafety, f.regulator, lotA, RecallClass.II);
      await quarantineLot(productSafety, f.manufacturer, lotB);
      const a13 = lotA.label("A000013");
      const b5 = lotB.label("B000005");
      expect(await verifyPack(supplyChain, a13, lotA.proof(a13.serial))).to.deep.equal({
        ...saleable(f),
        lotStatus: LotStatus.Recalled,
        recallClass: RecallClass.II,
        saleable: false,
      });
      expect(await verifyPack(supplyChain, b5, lotB.proof(b5.serial))).to.deep.equal({
        ...saleable(f),
        lotStatus: LotStatus.Quarantined,
        quarantined: true,
        saleable: false,
      });
    });

    it("answers quarantined for a quarantined pack and for a pack in a quarantined container", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, looseCase, manufacturer } = f;
      const a13 = lotA.label("A000013");
      const a9 = lotA.label("A000009");
      await (
        await productSafety
          .connect(manufacturer.key)
          .quarantinePack(onChain(a13), lotA.proof(a13.serial), [], SuspectReason.Tampering, hashOf("e"))
      ).wait();
      await quarantineCase(productSafety, manufacturer, looseCase, [], SuspectReason.Theft);
      expect(await verifyPack(supplyChain, a13, lotA.proof(a13.serial))).to.deep.equal({
        ...saleable(f),
        packStatus: UnitStatus.Quarantined,
        quarantined: true,
        saleable: false,
      });
      expect(await verifyPack(supplyChain, a9, [], [looseCase.hop(a9)])).to.deep.equal({
        ...saleable(f),
        quarantined: true,
        saleable: false,
      });
    });

    it("answers illegitimate for a pack and a lot found illegitimate", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, lotB, manufacturer, regulator } = f;
      const a13 = lotA.label("A000013");
      await (
        await productSafety
          .connect(manufacturer.key)
          .quarantinePack(onChain(a13), lotA.proof(a13.serial), [], SuspectReason.SuspectedCounterfeit, hashOf("e"))
      ).wait();
      await (await productSafety.connect(regulator.key).decide(1n, true, hashOf("lab report"))).wait();
      await quarantineLot(productSafety, manufacturer, lotB);
      await (await productSafety.connect(regulator.key).decide(2n, true, hashOf("lab report"))).wait();
      expect(await verifyPack(supplyChain, a13, lotA.proof(a13.serial))).to.deep.equal({
        ...saleable(f),
        packStatus: UnitStatus.Illegitimate,
        illegitimate: true,
        saleable: false,
      });
      const b5 = lotB.label("B000005");
      expect(await verifyPack(supplyChain, b5, lotB.proof(b5.serial))).to.deep.equal({
        ...saleable(f),
        lotStatus: LotStatus.Illegitimate,
        illegitimate: true,
        saleable: false,
      });
    });

    it("answers in transit, owned by the seller, for a pack shipped alone and for a pack in a shipped case", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, looseCase, manufacturer, distributor } = f;
      const a13 = lotA.label("A000013");
      await (
        await supplyChain
          .connect(manufacturer.key)
          .shipPack(onChain(a13), lotA.proof(a13.serial), [], distributor.id, transaction("p"), epcis("p"))
      ).wait();
      await shipContainer(supplyChain, manufacturer, looseCase, distributor);
      expect(await verifyPack(supplyChain, a13, lotA.proof(a13.serial))).to.deep.equal({
        ...saleable(f),
        packStatus: UnitStatus.InTransit,
        inTransit: true,
        saleable: false,
      });
      const a9 = lotA.label("A000009");
      expect(await verifyPack(supplyChain, a9, [], [looseCase.hop(a9)])).to.deep.equal({
        ...saleable(f),
        inTransit: true,
        saleable: false,
      });
    });

    it("answers genuine but custody unproven for a good lot proof with a bad path", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, looseCase } = f;
      const a13 = lotA.label("A000013");
      expect(
        await verifyPack(supplyChain, a13, lotA.proof(a13.serial), [looseCase.hop(lotA.label("A000009"))]),
      ).to.deep.equal({
        ...saleable(f, 0n),
        custodyProven: false,
        saleable: false,
      });
    });

    it("never reverts on bad input: long proofs, long paths, unknown containers, an empty serial", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, case1, pallet } = f;
      const a1 = lotA.label("A000001");
      const long = Array.from({ length: 33 }, (_, i) => hashOf(`h${i}`));
      const hop = pallet.hop(case1);
      expect(await verifyPack(supplyChain, a1, long)).to.deep.equal(notGenuine(f));
      expect(await verifyPack(supplyChain, a1, [], [case1.hop(a1), hop, hop, hop, hop])).to.deep.equal(notGenuine(f));
      expect(await verifyPack(supplyChain, a1, [], [{ ...case1.hop(a1), proof: long }])).to.deep.equal(notGenuine(f));
      expect(await verifyPack(supplyChain, a1, [], [case1.hop(a1)])).to.deep.equal(notGenuine(f));
      expect(await verifyPack(supplyChain, a1, lotA.proof(a1.serial), [case1.hop(a1)])).to.deep.equal({
        ...saleable(f, 0n),
        custodyProven: false,
        saleable: false,
      });
      const empty = await supplyChain.verify({ ...onChain(a1), serial: `0x${"00".repeat(20)}` }, [], []);
      expect(empty.genuine).to.equal(false);
    });
  });

  describe("recordVerification", function () {
    it("records the saleable-return check: the pharmacy returns a pack, the distributor verifies it before reselling", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, manufacturer, distributor, pharmacy } = f;
      const a13 = lotA.label("A000013");
      const key = serialKey(lotA.gtin, a13.serial);
      const proof = lotA.proof(a13.serial);
      await sellPack(supplyChain, manufacturer, lotA, a13.serial, distributor);
      await sellPack(supplyChain, distributor, lotA, a13.serial, pharmacy);
      // The return: the pharmacy ships the pack back.
      await (
        await supplyChain
          .connect(pharmacy.key)
          .shipPack(onChain(a13), proof, [], distributor.id, transaction("return"), epcis("return"))
      ).wait();
      expect(await verifyPack(supplyChain, a13, proof)).to.deep.equal({
        ...saleable(f, pharmacy.id),
        packStatus: UnitStatus.InTransit,
        inTransit: true,
        saleable: false,
      });
      await (await supplyChain.connect(distributor.key).receivePack(onChain(a13), epcis("returned"))).wait();
      const request = hashOf("return request: TI of the returned pack");
      const answer = await supplyChain
        .connect(distributor.key)
        .recordVerification.staticCall(onChain(a13), proof, [], request);
      expect(answer.saleable).to.equal(true);
      expect(answer.owner).to.equal(distributor.id);
      await expect(supplyChain.connect(distributor.key).recordVerification(onChain(a13), proof, [], request))
        .to.emit(supplyChain, "PackVerified")
        .withArgs(key, distributor.id, request, true, true, distributor.id);
      expect(await verifyPack(supplyChain, a13, proof)).to.deep.equal({
        ...saleable(f, distributor.id),
        packStatus: UnitStatus.Active,
      });
    });

    it("records a failed verification without reverting", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = f.lotA.label("A000013");
      const request = hashOf("scan");
      await expect(
        f.supplyChain.connect(f.pharmacy.key).recordVerification(onChain(a13), f.lotA.proof("A000014"), [], request),
      )
        .to.emit(f.supplyChain, "PackVerified")
        .withArgs(serialKey(f.lotA.gtin, a13.serial), f.pharmacy.id, request, false, false, 0n);
    });

    it("reverts with SupplyNotTradingPartner, SupplyZeroHash and EnforcedPause", async function () {
      const f = await loadFixture(custodyScenario);
      const a13 = onChain(f.lotA.label("A000013"));
      const proof = f.lotA.proof("A000013");
      for (const key of [f.regulator.key, f.stranger]) {
        await expect(f.supplyChain.connect(key).recordVerification(a13, proof, [], hashOf("r")))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotTradingPartner")
          .withArgs(key.address);
      }
      await expect(
        f.supplyChain.connect(f.distributor.key).recordVerification(a13, proof, [], ZeroHash),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
      await (await f.supplyChain.connect(f.pauser).pause()).wait();
      await expect(
        f.supplyChain.connect(f.distributor.key).recordVerification(a13, proof, [], hashOf("r")),
      ).to.be.revertedWithCustomError(f.supplyChain, "EnforcedPause");
    });
  });
});

describe("SupplyChain: review findings", function () {
  it("records a clone scanned through its manufacturer's case without a lot proof, and refuses a forged path", async function () {
    const f = await loadFixture(custodyScenario);
    const { supplyChain, productSafety, lotA, looseCase, manufacturer, pharmacy, otherPharmacy } = f;
    await sell(supplyChain, manufacturer, looseCase, pharmacy);
    const a9 = lotA.label("A000009");
    const key = serialKey(lotA.gtin, a9.serial);
    await dispensePack(supplyChain, pharmacy, lotA, a9.serial, [looseCase.hop(a9)], false);
    // Only the clone check reads a dispensed serial's path as a proof: other uses of a pack still want its lot proof.
    await expect(supplyChain.packCustody(onChain(a9), [], [looseCase.hop(a9)]))
      .to.be.revertedWithCustomError(supplyChain, "SupplyNotGenuine")
      .withArgs(a9.gtin, bytes20(a9.serial), bytes20(a9.lot));
    // The copy, scanned at another pharmacy through the manufacturer's case: genuine by that case, and a clone.
    const verdict = await supplyChain.verify(onChain(a9), [], [looseCase.hop(a9)]);
    expect([verdict.genuine, verdict.dispensed, verdict.saleable]).to.deep.equal([true, true, false]);
    await expect(dispenseTx(f, otherPharmacy, a9, [], [looseCase.hop(a9)], "clone"))
      .to.emit(productSafety, "DuplicateSerial")
      .withArgs(key, otherPharmacy.id, 1n, pharmacy.id);
    expect((await readUnit(supplyChain, key)).status).to.equal(UnitStatus.Quarantined);
    // A path through a container the manufacturer did not pack proves nothing without the lot proof.
    const a10 = lotA.label("A000010");
    await dispensePack(supplyChain, pharmacy, lotA, a10.serial, [looseCase.hop(a10)], false);
    const forged = new ContainerTree(sscc(30), [a10], [lotA.key], otherPharmacy.id);
    await (
      await supplyChain.connect(otherPharmacy.key).pack(forged.sscc, forged.root, 1, forged.lotKeys, [], epcis("forge"))
    ).wait();
    await expect(dispenseTx(f, otherPharmacy, a10, [], [forged.hop(a10)], "forged"))
      .to.be.revertedWithCustomError(supplyChain, "SupplyNotGenuine")
      .withArgs(a10.gtin, bytes20(a10.serial), bytes20(a10.lot));
  });

  it("refuses to receive a pack shipped alone under another lot's label (a recalled lot cannot be laundered)", async function () {
    const f = await loadFixture(custodyScenario);
    const { supplyChain, productSafety, lotA, lotB, manufacturer, pharmacy } = f;
    const a13 = lotA.label("A000013");
    await (
      await supplyChain
        .connect(manufacturer.key)
        .shipPack(onChain(a13), lotA.proof(a13.serial), [], pharmacy.id, transaction("t"), epcis("s"))
    ).wait();
    await (
      await productSafety.connect(manufacturer.key).recall(lotA.gtin, bytes20(lotA.lot), RecallClass.II, hashOf("n"))
    ).wait();
    const underLotB = { ...a13, lot: lotB.lot };
    await expect(supplyChain.connect(pharmacy.key).receivePack(onChain(underLotB), epcis("r")))
      .to.be.revertedWithCustomError(supplyChain, "SupplyNotGenuine")
      .withArgs(a13.gtin, bytes20(a13.serial), bytes20(lotB.lot));
    await expect(supplyChain.connect(pharmacy.key).receivePack(onChain(a13), epcis("r")))
      .to.be.revertedWithCustomError(supplyChain, "SupplyLotBlocked")
      .withArgs(lotA.key, LotStatus.Recalled);
  });
});
