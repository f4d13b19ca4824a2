import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroHash } from "ethers";
import { network } from "hardhat";

import type { Partner } from "../fixtures/supplychain";
import { manualGas } from "../helpers/coverage";
import {
  custodyScenario,
  type CustodyScenario,
  dispensePack,
  epcis,
  packOnChain,
  quarantineCase,
  quarantineLot,
  readUnit,
  recallLot,
  RecallClass,
  LotStatus,
  sell,
  sellPack,
  shipContainer,
  SuspectReason,
  transaction,
  UnitStatus,
  unpack,
} from "./custody-scenario";
import { ContainerTree, hashOf, type Hop, lotsHashOf, onChain, serialKey, sscc, withCheckDigit } from "./helpers";

// SupplyChain: aggregation (pack, unpack), custody (ship, receive, cancel) of containers and of packs on their own,
// and the custody paths that prove what is inside what. The scenario: lots A and B; case1 (A1–A4), case2 (A5–A8),
// case3 (B1–B4) on `pallet`, which the manufacturer packed on chain (the cases have no record); `looseCase` (A9–A12)
// packed on chain on its own.

const MAX_CONTAINER_CHILDREN = 1 << 24;

function shipTx(
  f: CustodyScenario,
  seller: Partner | HardhatEthersSigner,
  tree: ContainerTree,
  buyer: bigint,
  path: readonly Hop[] = [],
  step = "ship",
) {
  const key = "key" in seller ? seller.key : seller;
  return f.supplyChain
    .connect(key)
    .shipContainer(tree.sscc, tree.packer, tree.root, tree.lotKeys, [...path], buyer, transaction(step), epcis(step));
}

function receiveTx(f: CustodyScenario, buyer: Partner | HardhatEthersSigner, tree: ContainerTree, step = "receive") {
  const key = "key" in buyer ? buyer.key : buyer;
  return f.supplyChain.connect(key).receiveContainer(tree.sscc, tree.packer, tree.root, tree.lotKeys, epcis(step));
}

/** The manufacturer sells the pallet to the distributor, who unpacks it: the cases are loose, the distributor's. */
async function palletUnpackedByDistributor(f: CustodyScenario): Promise<void> {
  await sell(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
  await unpack(f.supplyChain, f.distributor, f.pallet);
}

async function pause(f: CustodyScenario): Promise<void> {
  await (await f.supplyChain.connect(f.pauser).pause()).wait();
}

describe("SupplyChain", function () {
  describe("pack", function () {
    it("packs the container under its key, emits ContainerPacked and records the packer as owner", async function () {
      const f = await loadFixture(custodyScenario);
      const box = new ContainerTree(sscc(6), f.lotA.labels.slice(12, 16), [f.lotA.key], f.distributor.id);
      const key = await f.supplyChain.containerKey(box.sscc, box.packer, box.root, box.lotsHash);
      expect(key).to.equal(box.key);
      expect(
        await f.supplyChain
          .connect(f.distributor.key)
          .pack.staticCall(box.sscc, box.root, 4, box.lotKeys, [], epcis("pack")),
      ).to.equal(key);
      const at = BigInt(await time.latest()) + 7n;
      await time.setNextBlockTimestamp(at);
      await expect(f.supplyChain.connect(f.distributor.key).pack(box.sscc, box.root, 4, box.lotKeys, [], epcis("pack")))
        .to.emit(f.supplyChain, "ContainerPacked")
        .withArgs(epcis("pack"), key, f.distributor.id, box.sscc, box.root, 4, box.lotKeys);
      expect(await readUnit(f.supplyChain, key)).to.deep.equal({
        owner: f.distributor.id,
        packer: f.distributor.id,
        from: 0n,
        status: UnitStatus.Active,
        holds: 0,
        since: at,
      });
      expect(await f.supplyChain.pendingBuyer(key)).to.equal(0n);
    });

    it("reverts with SupplyInvalidSscc for a wrong check digit, zero and 19 digits", async function () {
      const f = await loadFixture(custodyScenario);
      const nineteen = withCheckDigit(123_456_789_012_345_678n, 19);
      for (const bad of [sscc(6) + 1n, 0n, nineteen]) {
        await expect(
          f.supplyChain.connect(f.manufacturer.key).pack(bad, hashOf("root"), 1, [f.lotA.key], [], epcis("p")),
        )
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidSscc")
          .withArgs(bad);
      }
    });

    it("reverts with SupplyZeroHash for a zero children root or EPCIS event hash", async function () {
      const f = await loadFixture(custodyScenario);
      const pack = f.supplyChain.connect(f.manufacturer.key).pack;
      await expect(pack(sscc(6), ZeroHash, 1, [f.lotA.key], [], epcis("p"))).to.be.revertedWithCustomError(
        f.supplyChain,
        "SupplyZeroHash",
      );
      await expect(pack(sscc(6), hashOf("root"), 1, [f.lotA.key], [], ZeroHash)).to.be.revertedWithCustomError(
        f.supplyChain,
        "SupplyZeroHash",
      );
    });

    it("reverts with SupplyInvalidCount for 0 children and MAX_CONTAINER_CHILDREN + 1", async function () {
      const f = await loadFixture(custodyScenario);
      for (const count of [0, MAX_CONTAINER_CHILDREN + 1]) {
        await expect(
          f.supplyChain.connect(f.manufacturer.key).pack(sscc(6), hashOf("root"), count, [f.lotA.key], [], epcis("p")),
        )
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidCount")
          .withArgs(count, MAX_CONTAINER_CHILDREN);
      }
      await expect(
        f.supplyChain
          .connect(f.manufacturer.key)
          .pack(sscc(6), hashOf("root"), MAX_CONTAINER_CHILDREN, [f.lotA.key], [], epcis("p")),
      ).to.emit(f.supplyChain, "ContainerPacked");
    });

    it("reverts with SupplyInvalidLots for no lots, 33 lots, unsorted and duplicate keys", async function () {
      const f = await loadFixture(custodyScenario);
      const sorted = [f.lotA.key, f.lotB.key].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      const many = Array.from({ length: 33 }, (_, i) => hashOf(`lot ${i}`)).sort((a, b) =>
        BigInt(a) < BigInt(b) ? -1 : 1,
      );
      const cases: [string[], number][] = [
        [[], 0],
        [many, 33],
        [[sorted[1]!, sorted[0]!], 2],
        [[f.lotA.key, f.lotA.key], 2],
      ];
      for (const [lotKeys, count] of cases) {
        await expect(
          f.supplyChain.connect(f.manufacturer.key).pack(sscc(6), hashOf("root"), 1, lotKeys, [], epcis("p")),
        )
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidLots")
          .withArgs(count);
      }
    });

    it("reverts with SupplyUnknownLotKey for a lot nobody commissioned", async function () {
      const f = await loadFixture(custodyScenario);
      const unknown = hashOf("no such lot");
      const lotKeys = [f.lotA.key, unknown].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      await expect(f.supplyChain.connect(f.manufacturer.key).pack(sscc(6), hashOf("root"), 1, lotKeys, [], epcis("p")))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyUnknownLotKey")
        .withArgs(unknown);
    });

    it("reverts with SupplyContainerExists when its packer packs the same SSCC and contents again", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet } = f;
      await expect(
        f.supplyChain.connect(f.manufacturer.key).pack(pallet.sscc, pallet.root, 3, pallet.lotKeys, [], epcis("again")),
      )
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyContainerExists")
        .withArgs(pallet.key);
    });

    it("packs another partner's copy of the same SSCC and contents as another container (its key names its packer)", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet } = f;
      const copy = new ContainerTree(pallet.sscc, [...pallet.children], pallet.lotKeys, f.distributor.id);
      await f.supplyChain
        .connect(f.distributor.key)
        .pack(pallet.sscc, pallet.root, 3, pallet.lotKeys, [], epcis("copy"));
      expect(copy.key).to.not.equal(pallet.key);
      expect((await readUnit(f.supplyChain, copy.key)).owner).to.equal(f.distributor.id);
      expect((await readUnit(f.supplyChain, pallet.key)).owner).to.equal(f.manufacturer.id);
    });

    it("packs the same SSCC with other contents as another container, leaving the first untouched (no squatting)", async function () {
      const f = await loadFixture(custodyScenario);
      const before = await readUnit(f.supplyChain, f.pallet.key);
      const squat = new ContainerTree(f.pallet.sscc, [f.case1], f.pallet.lotKeys, f.distributor.id);
      await packOnChain(f.supplyChain, f.distributor, squat);
      expect(squat.key).to.not.equal(f.pallet.key);
      expect((await readUnit(f.supplyChain, squat.key)).owner).to.equal(f.distributor.id);
      expect(await readUnit(f.supplyChain, f.pallet.key)).to.deep.equal(before);
      // The real pallet still moves.
      await sell(f.supplyChain, f.manufacturer, f.pallet, f.pharmacy);
      expect((await readUnit(f.supplyChain, f.pallet.key)).owner).to.equal(f.pharmacy.id);
    });

    it("reverts with SupplyNotTradingPartner for a regulator and a stranger", async function () {
      const f = await loadFixture(custodyScenario);
      for (const key of [f.regulator.key, f.stranger]) {
        await expect(f.supplyChain.connect(key).pack(sscc(6), hashOf("root"), 1, [f.lotA.key], [], epcis("p")))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotTradingPartner")
          .withArgs(key.address);
      }
    });

    it("reverts with EnforcedPause while paused", async function () {
      const f = await loadFixture(custodyScenario);
      await pause(f);
      await expect(
        f.supplyChain.connect(f.manufacturer.key).pack(sscc(6), hashOf("root"), 1, [f.lotA.key], [], epcis("p")),
      ).to.be.revertedWithCustomError(f.supplyChain, "EnforcedPause");
    });
  });

  describe("shipContainer and receiveContainer", function () {
    it("ships: the seller still owns it, in transit to the buyer; receiving makes it the buyer's", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, manufacturer, distributor } = f;
      const packedAt = (await readUnit(supplyChain, pallet.key)).since;
      await expect(shipTx(f, manufacturer, pallet, distributor.id, [], "s1"))
        .to.emit(supplyChain, "Shipped")
        .withArgs(epcis("s1"), pallet.key, distributor.id, manufacturer.id, transaction("s1"));
      expect(await readUnit(supplyChain, pallet.key)).to.deep.equal({
        owner: manufacturer.id,
        packer: manufacturer.id,
        from: distributor.id,
        status: UnitStatus.InTransit,
        holds: 0,
        since: packedAt,
      });
      expect(await supplyChain.pendingBuyer(pallet.key)).to.equal(distributor.id);
      const at = BigInt(await time.latest()) + 60n;
      await time.setNextBlockTimestamp(at);
      await expect(receiveTx(f, distributor, pallet, "r1"))
        .to.emit(supplyChain, "Received")
        .withArgs(epcis("r1"), pallet.key, distributor.id, manufacturer.id);
      expect(await readUnit(supplyChain, pallet.key)).to.deep.equal({
        owner: distributor.id,
        packer: manufacturer.id,
        from: manufacturer.id,
        status: UnitStatus.Active,
        holds: 0,
        since: at,
      });
      expect(await supplyChain.pendingBuyer(pallet.key)).to.equal(0n);
    });

    it("reverts with SupplyNotOwner when the caller does not own the container", async function () {
      const f = await loadFixture(custodyScenario);
      await expect(shipTx(f, f.distributor, f.pallet, f.pharmacy.id))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotOwner")
        .withArgs(f.pallet.key, f.manufacturer.id, f.distributor.key.address);
    });

    it("reverts with SupplyInvalidTransition InTransit → InTransit when shipping what is in transit", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      for (const buyer of [f.pharmacy.id, f.distributor.id]) {
        await expect(shipTx(f, f.manufacturer, f.pallet, buyer, [], "again"))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidTransition")
          .withArgs(f.pallet.key, UnitStatus.InTransit, UnitStatus.InTransit);
      }
      expect(await f.supplyChain.pendingBuyer(f.pallet.key)).to.equal(f.distributor.id);
    });

    it("reverts with SupplyInvalidBuyer for the seller itself, an unregistered id, a regulator and a suspended partner", async function () {
      const f = await loadFixture(custodyScenario);
      await f.identity.as(f.registrar).suspend(f.otherPharmacy.id, 1);
      for (const buyer of [f.manufacturer.id, 0n, 999_999n, f.regulator.id, f.otherPharmacy.id]) {
        await expect(shipTx(f, f.manufacturer, f.pallet, buyer))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidBuyer")
          .withArgs(buyer);
      }
      expect((await readUnit(f.supplyChain, f.pallet.key)).status).to.equal(UnitStatus.Active);
    });

    it("reverts with SupplyZeroHash for a zero transaction commitment or EPCIS event hash", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet } = f;
      const ship = f.supplyChain.connect(f.manufacturer.key).shipContainer;
      await expect(
        ship(pallet.sscc, pallet.packer, pallet.root, pallet.lotKeys, [], f.distributor.id, ZeroHash, epcis("s")),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
      await expect(
        ship(pallet.sscc, pallet.packer, pallet.root, pallet.lotKeys, [], f.distributor.id, transaction("s"), ZeroHash),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
      await shipContainer(f.supplyChain, f.manufacturer, pallet, f.distributor);
      await expect(
        f.supplyChain
          .connect(f.distributor.key)
          .receiveContainer(pallet.sscc, pallet.packer, pallet.root, pallet.lotKeys, ZeroHash),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
    });

    it("reverts with SupplyNotShippedTo when someone else receives, or nothing was shipped", async function () {
      const f = await loadFixture(custodyScenario);
      await expect(receiveTx(f, f.distributor, f.pallet))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotShippedTo")
        .withArgs(f.pallet.key, f.distributor.key.address);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      for (const key of [f.pharmacy.key, f.manufacturer.key]) {
        await expect(receiveTx(f, key, f.pallet))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotShippedTo")
          .withArgs(f.pallet.key, key.address);
      }
    });

    it("reverts with SupplyNotTradingPartner when the buyer's licence expired before receipt", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      await time.increaseTo(f.licenceExpiry + 1n);
      await expect(receiveTx(f, f.distributor, f.pallet))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotTradingPartner")
        .withArgs(f.distributor.key.address);
      expect((await readUnit(f.supplyChain, f.pallet.key)).owner).to.equal(f.manufacturer.id);
    });

    it("reverts receipt with SupplyLotBlocked when a lot is recalled or quarantined after shipping", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      await recallLot(f.productSafety, f.manufacturer, f.lotB, RecallClass.II);
      await expect(receiveTx(f, f.distributor, f.pallet))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyLotBlocked")
        .withArgs(f.lotB.key, LotStatus.Recalled);
      // The loose case of lot A only: quarantined after shipping.
      await sell(f.supplyChain, f.manufacturer, f.looseCase, f.pharmacy);
      await shipContainer(f.supplyChain, f.pharmacy, f.looseCase, f.hospital);
      await quarantineLot(f.productSafety, f.manufacturer, f.lotA);
      await expect(receiveTx(f, f.hospital, f.looseCase))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyLotBlocked")
        .withArgs(f.lotA.key, LotStatus.Quarantined);
    });

    it("reverts with SupplyLotBlocked when shipping a container holding a recalled lot", async function () {
      const f = await loadFixture(custodyScenario);
      await recallLot(f.productSafety, f.regulator, f.lotA, RecallClass.I);
      for (const tree of [f.pallet, f.looseCase]) {
        await expect(shipTx(f, f.manufacturer, tree, f.distributor.id))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyLotBlocked")
          .withArgs(f.lotA.key, LotStatus.Recalled);
      }
    });

    it("reverts with SupplyUnknownContainer for a container never packed nor proven in one", async function () {
      const f = await loadFixture(custodyScenario);
      for (const tree of [f.case1, new ContainerTree(sscc(9), [f.lotA.labels[0]!], [f.lotA.key], f.manufacturer.id)]) {
        await expect(shipTx(f, f.manufacturer, tree, f.distributor.id))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyUnknownContainer")
          .withArgs(tree.key);
      }
    });

    it("reverts with EnforcedPause while paused", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.looseCase, f.distributor);
      await pause(f);
      await expect(shipTx(f, f.manufacturer, f.pallet, f.distributor.id)).to.be.revertedWithCustomError(
        f.supplyChain,
        "EnforcedPause",
      );
      await expect(receiveTx(f, f.distributor, f.looseCase)).to.be.revertedWithCustomError(
        f.supplyChain,
        "EnforcedPause",
      );
    });
  });

  describe("cancelShipment", function () {
    it("lets the seller cancel: the unit is the seller's, Active, with no supplier", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      await expect(f.supplyChain.connect(f.manufacturer.key).cancelShipment(f.pallet.key))
        .to.emit(f.supplyChain, "ShipmentCancelled")
        .withArgs(f.pallet.key, f.manufacturer.id, f.manufacturer.id);
      const u = await readUnit(f.supplyChain, f.pallet.key);
      expect([u.owner, u.from, u.status]).to.deep.equal([f.manufacturer.id, 0n, UnitStatus.Active]);
      expect(await f.supplyChain.pendingBuyer(f.pallet.key)).to.equal(0n);
      await expect(receiveTx(f, f.distributor, f.pallet))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotShippedTo")
        .withArgs(f.pallet.key, f.distributor.key.address);
      // It can be shipped again, to someone else.
      await sell(f.supplyChain, f.manufacturer, f.pallet, f.pharmacy);
      expect((await readUnit(f.supplyChain, f.pallet.key)).owner).to.equal(f.pharmacy.id);
    });

    it("lets the buyer refuse, and clears the supplier the unit had before", async function () {
      const f = await loadFixture(custodyScenario);
      await sell(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      expect((await readUnit(f.supplyChain, f.pallet.key)).from).to.equal(f.manufacturer.id);
      await shipContainer(f.supplyChain, f.distributor, f.pallet, f.pharmacy);
      await expect(f.supplyChain.connect(f.pharmacy.key).cancelShipment(f.pallet.key))
        .to.emit(f.supplyChain, "ShipmentCancelled")
        .withArgs(f.pallet.key, f.distributor.id, f.pharmacy.id);
      const u = await readUnit(f.supplyChain, f.pallet.key);
      expect([u.owner, u.from, u.status]).to.deep.equal([f.distributor.id, 0n, UnitStatus.Active]);
    });

    it("reverts with SupplyNotShipmentParty for a stranger and an uninvolved partner", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      for (const key of [f.stranger, f.pharmacy.key, f.regulator.key]) {
        await expect(f.supplyChain.connect(key).cancelShipment(f.pallet.key))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotShipmentParty")
          .withArgs(f.pallet.key, key.address);
      }
      expect(await f.supplyChain.pendingBuyer(f.pallet.key)).to.equal(f.distributor.id);
    });

    it("reverts with SupplyNotShippedTo when nothing is in transit", async function () {
      const f = await loadFixture(custodyScenario);
      await expect(f.supplyChain.connect(f.manufacturer.key).cancelShipment(f.pallet.key))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotShippedTo")
        .withArgs(f.pallet.key, f.manufacturer.key.address);
    });

    it("works while paused", async function () {
      const f = await loadFixture(custodyScenario);
      await shipContainer(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      await pause(f);
      await expect(f.supplyChain.connect(f.distributor.key).cancelShipment(f.pallet.key))
        .to.emit(f.supplyChain, "ShipmentCancelled")
        .withArgs(f.pallet.key, f.manufacturer.id, f.distributor.id);
      expect((await readUnit(f.supplyChain, f.pallet.key)).status).to.equal(UnitStatus.Active);
    });
  });

  describe("unpack", function () {
    it("unpacks the owner's container: ContainerUnpacked, status Unpacked", async function () {
      const f = await loadFixture(custodyScenario);
      await sell(f.supplyChain, f.manufacturer, f.pallet, f.distributor);
      const { pallet } = f;
      await expect(
        f.supplyChain
          .connect(f.distributor.key)
          .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], epcis("unpack")),
      )
        .to.emit(f.supplyChain, "ContainerUnpacked")
        .withArgs(epcis("unpack"), pallet.key, f.distributor.id);
      const u = await readUnit(f.supplyChain, pallet.key);
      expect([u.owner, u.packer, u.from, u.status]).to.deep.equal([
        f.distributor.id,
        f.manufacturer.id,
        f.manufacturer.id,
        UnitStatus.Unpacked,
      ]);
    });

    it("reverts with SupplyInvalidTransition when unpacking what is in transit, or twice", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet, looseCase } = f;
      await shipContainer(f.supplyChain, f.manufacturer, pallet, f.distributor);
      await expect(
        f.supplyChain
          .connect(f.manufacturer.key)
          .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], epcis("unpack")),
      )
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidTransition")
        .withArgs(pallet.key, UnitStatus.InTransit, UnitStatus.Unpacked);
      await unpack(f.supplyChain, f.manufacturer, looseCase);
      await expect(
        f.supplyChain
          .connect(f.manufacturer.key)
          .unpack(looseCase.sscc, looseCase.packer, looseCase.root, looseCase.lotsHash, [], [], epcis("unpack again")),
      )
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidTransition")
        .withArgs(looseCase.key, UnitStatus.Unpacked, UnitStatus.Unpacked);
      // An unpacked container never moves again.
      await expect(shipTx(f, f.manufacturer, looseCase, f.distributor.id))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidTransition")
        .withArgs(looseCase.key, UnitStatus.Unpacked, UnitStatus.InTransit);
    });

    it("reverts with SupplyNotOwner for anyone but the owner, and SupplyZeroHash for a zero event hash", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet } = f;
      await expect(
        f.supplyChain
          .connect(f.distributor.key)
          .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], epcis("u")),
      )
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotOwner")
        .withArgs(pallet.key, f.manufacturer.id, f.distributor.key.address);
      await expect(
        f.supplyChain
          .connect(f.manufacturer.key)
          .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], ZeroHash),
      ).to.be.revertedWithCustomError(f.supplyChain, "SupplyZeroHash");
    });
  });

  describe("nested containers", function () {
    it("ships a case out of the unpacked pallet: UnitReleased, the case's record vouched by the pallet's packer", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, case1, distributor, pharmacy, manufacturer } = f;
      await palletUnpackedByDistributor(f);
      const at = BigInt(await time.latest()) + 30n;
      await time.setNextBlockTimestamp(at);
      await expect(shipTx(f, distributor, case1, pharmacy.id, [pallet.hop(case1)], "case1"))
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(case1.key, pallet.key, distributor.id)
        .and.to.emit(supplyChain, "Shipped")
        .withArgs(epcis("case1"), case1.key, pharmacy.id, distributor.id, transaction("case1"));
      expect(await readUnit(supplyChain, case1.key)).to.deep.equal({
        owner: distributor.id,
        packer: manufacturer.id,
        from: pharmacy.id,
        status: UnitStatus.InTransit,
        holds: 0,
        since: at,
      });
      await expect(receiveTx(f, pharmacy, case1))
        .to.emit(supplyChain, "Received")
        .withArgs(epcis("receive"), case1.key, pharmacy.id, distributor.id);
      const u = await readUnit(supplyChain, case1.key);
      expect([u.owner, u.packer, u.from, u.status]).to.deep.equal([
        pharmacy.id,
        manufacturer.id,
        distributor.id,
        UnitStatus.Active,
      ]);
      // And on: the pharmacy ships it to the hospital with no path (it has a record and is on its own).
      await sell(supplyChain, pharmacy, case1, f.hospital);
      expect((await readUnit(supplyChain, case1.key)).owner).to.equal(f.hospital.id);
    });

    it("releases a case when unpacking it through the pallet: its supplier is the pallet's", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, case2, distributor, manufacturer } = f;
      await palletUnpackedByDistributor(f);
      await expect(
        supplyChain
          .connect(distributor.key)
          .unpack(case2.sscc, case2.packer, case2.root, case2.lotsHash, [pallet.hop(case2)], [], epcis("case2")),
      )
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(case2.key, pallet.key, distributor.id)
        .and.to.emit(supplyChain, "ContainerUnpacked")
        .withArgs(epcis("case2"), case2.key, distributor.id);
      const u = await readUnit(supplyChain, case2.key);
      expect([u.owner, u.packer, u.from, u.status]).to.deep.equal([
        distributor.id,
        manufacturer.id,
        manufacturer.id,
        UnitStatus.Unpacked,
      ]);
    });

    it("reverts with SupplySealedIn when shipping a case still inside a sealed pallet", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet, case1 } = f;
      await expect(shipTx(f, f.manufacturer, case1, f.distributor.id, [pallet.hop(case1)]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplySealedIn")
        .withArgs(case1.key, pallet.key);
      await sell(f.supplyChain, f.manufacturer, pallet, f.distributor);
      await expect(shipTx(f, f.distributor, case1, f.pharmacy.id, [pallet.hop(case1)]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplySealedIn")
        .withArgs(case1.key, pallet.key);
      // A pallet on a pallet: the case is sealed in the outermost.
      const outer = new ContainerTree(sscc(8), [pallet], pallet.lotKeys, f.distributor.id);
      await packOnChain(f.supplyChain, f.distributor, outer, [pallet.key]);
      await expect(shipTx(f, f.distributor, case1, f.pharmacy.id, [pallet.hop(case1), outer.hop(pallet)]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplySealedIn")
        .withArgs(case1.key, outer.key);
    });

    it("carries a pallet packed onto another, and releases it when the outer one is unpacked", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, case1, distributor, pharmacy, hospital } = f;
      await sell(supplyChain, f.manufacturer, pallet, distributor);
      const outer = new ContainerTree(sscc(8), [pallet], pallet.lotKeys, f.distributor.id);
      await packOnChain(supplyChain, distributor, outer, [pallet.key]);
      await sell(supplyChain, distributor, outer, pharmacy);
      await unpack(supplyChain, pharmacy, outer);
      await unpack(supplyChain, pharmacy, pallet, [outer.hop(pallet)]);
      await sell(supplyChain, pharmacy, case1, hospital, [pallet.hop(case1)]);
      expect((await readUnit(supplyChain, case1.key)).owner).to.equal(hospital.id);
      expect((await readUnit(supplyChain, case1.key)).from).to.equal(pharmacy.id);
    });

    it("reverts with SupplyBrokenCustody when a case released from the pallet is released again", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet, case1 } = f;
      await palletUnpackedByDistributor(f);
      await sell(f.supplyChain, f.distributor, case1, f.pharmacy, [pallet.hop(case1)]);
      // The distributor still owns the unpacked pallet, but the case moved on its own since.
      await expect(shipTx(f, f.distributor, case1, f.hospital.id, [pallet.hop(case1)]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyBrokenCustody")
        .withArgs(pallet.key);
    });
  });

  describe("custody paths", function () {
    it("reverts with SupplyPathTooLong for 5 hops", async function () {
      const f = await loadFixture(custodyScenario);
      const hop = f.pallet.hop(f.case1);
      await expect(shipTx(f, f.manufacturer, f.case1, f.distributor.id, [hop, hop, hop, hop, hop]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyPathTooLong")
        .withArgs(5);
    });

    it("reverts with SupplyProofTooLong for a proof of 33 hashes", async function () {
      const f = await loadFixture(custodyScenario);
      const hop = { ...f.pallet.hop(f.case1), proof: Array.from({ length: 33 }, (_, i) => hashOf(`h${i}`)) };
      await expect(shipTx(f, f.manufacturer, f.case1, f.distributor.id, [hop]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyProofTooLong")
        .withArgs(33);
    });

    it("reverts with SupplyUnknownContainer when the path's last hop has no record", async function () {
      const f = await loadFixture(custodyScenario);
      const { case1, lotA } = f;
      const label = lotA.label("A000001");
      await expect(
        f.supplyChain
          .connect(f.manufacturer.key)
          .shipPack(
            onChain(label),
            lotA.proof("A000001"),
            [case1.hop(label)],
            f.distributor.id,
            transaction("p"),
            epcis("p"),
          ),
      )
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyUnknownContainer")
        .withArgs(case1.key);
    });

    it("reverts with SupplyNotInContainer for a proof of another child or a hop of another container", async function () {
      const f = await loadFixture(custodyScenario);
      const { pallet, case1, case2, looseCase } = f;
      await palletUnpackedByDistributor(f);
      await expect(shipTx(f, f.distributor, case1, f.pharmacy.id, [pallet.hop(case2)]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotInContainer")
        .withArgs(pallet.key, case1.key);
      const wrongContainer: Hop = { ...looseCase.hop(looseCase.children[0]!), proof: pallet.hop(case1).proof };
      await expect(shipTx(f, f.distributor, case1, f.pharmacy.id, [wrongContainer]))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotInContainer")
        .withArgs(looseCase.key, case1.key);
    });

    it("reverts with SupplyBrokenCustody for a container with a record packed into another without being sealed in it", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, manufacturer, distributor, looseCase } = f;
      // The manufacturer's tree names the loose case, but the case was not sealed: it is not in the pallet.
      const pallet2 = new ContainerTree(sscc(7), [looseCase], looseCase.lotKeys, manufacturer.id);
      await packOnChain(supplyChain, manufacturer, pallet2);
      await sell(supplyChain, manufacturer, pallet2, distributor);
      await unpack(supplyChain, distributor, pallet2);
      await expect(shipTx(f, distributor, looseCase, f.hospital.id, [pallet2.hop(looseCase)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
        .withArgs(pallet2.key);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(manufacturer.id);
    });
  });

  describe("sealing units with a record of their own", function () {
    /** `looseCase` (a record, the manufacturer's) sealed in `outer` (SSCC 7), packed by the manufacturer. */
    async function sealedScenario() {
      const f = await custodyScenario();
      const outer = new ContainerTree(sscc(7), [f.looseCase], f.looseCase.lotKeys, f.manufacturer.id);
      await packOnChain(f.supplyChain, f.manufacturer, outer, [f.looseCase.key]);
      return { ...f, outer };
    }
    const ZERO = ZeroHash;

    it("seals the unit in the new container: UnitSealed, its record Sealed, sealedIn naming the container by its key", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, manufacturer, looseCase } = f;
      const before = await readUnit(supplyChain, looseCase.key);
      const outer = new ContainerTree(sscc(7), [looseCase], looseCase.lotKeys, manufacturer.id);
      await expect(
        supplyChain
          .connect(manufacturer.key)
          .pack(outer.sscc, outer.root, 1, outer.lotKeys, [looseCase.key], epcis("outer")),
      )
        .to.emit(supplyChain, "ContainerPacked")
        .and.to.emit(supplyChain, "UnitSealed")
        .withArgs(looseCase.key, outer.key, manufacturer.id);
      expect(await readUnit(supplyChain, looseCase.key)).to.deep.equal({ ...before, status: UnitStatus.Sealed });
      expect(await supplyChain.sealedIn(looseCase.key)).to.equal(outer.key);
      expect(await supplyChain.sealedIn(outer.key)).to.equal(ZERO);
    });

    it("prevents the double sale: a sealed case cannot be shipped, unpacked or re-sealed on its own", async function () {
      const f = await loadFixture(sealedScenario);
      const { supplyChain, manufacturer, distributor, pharmacy, looseCase, outer } = f;
      await sell(supplyChain, manufacturer, outer, distributor);
      // Its record still names the manufacturer, which sold the container holding it.
      await expect(shipTx(f, manufacturer, looseCase, pharmacy.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(looseCase.key, ZERO);
      await expect(
        supplyChain
          .connect(manufacturer.key)
          .unpack(looseCase.sscc, looseCase.packer, looseCase.root, looseCase.lotsHash, [], [], epcis("u")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(looseCase.key, ZERO);
      const again = new ContainerTree(sscc(8), [looseCase], looseCase.lotKeys, manufacturer.id);
      await expect(packOnChain(supplyChain, manufacturer, again, [looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(looseCase.key, UnitStatus.Sealed, UnitStatus.Sealed);
      // Proven through the container, it is the distributor's, and still sealed.
      await expect(shipTx(f, distributor, looseCase, pharmacy.id, [outer.hop(looseCase)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(looseCase.key, outer.key);
      // A pack inside it: the custody path must reach the outermost container.
      const label = f.lotA.label("A000009");
      const verified = await supplyChain.verify(onChain(label), [], [looseCase.hop(label)]);
      expect(verified.custodyProven).to.equal(false);
      const full = await supplyChain.verify(onChain(label), [], [looseCase.hop(label), outer.hop(looseCase)]);
      expect([full.custodyProven, full.owner, full.saleable]).to.deep.equal([true, distributor.id, true]);
    });

    it("releases the units listed when the container is unpacked: UnitReleased, the unpacker's, its supplier the seller", async function () {
      const f = await loadFixture(sealedScenario);
      const { supplyChain, manufacturer, distributor, pharmacy, looseCase, outer } = f;
      await sell(supplyChain, manufacturer, outer, distributor);
      const at = BigInt(await time.latest()) + 20n;
      await time.setNextBlockTimestamp(at);
      await expect(
        supplyChain
          .connect(distributor.key)
          .unpack(outer.sscc, outer.packer, outer.root, outer.lotsHash, [], [looseCase.key], epcis("u")),
      )
        .to.emit(supplyChain, "ContainerUnpacked")
        .withArgs(epcis("u"), outer.key, distributor.id)
        .and.to.emit(supplyChain, "UnitReleased")
        .withArgs(looseCase.key, outer.key, distributor.id);
      expect(await readUnit(supplyChain, looseCase.key)).to.deep.equal({
        owner: distributor.id,
        packer: manufacturer.id,
        from: manufacturer.id,
        status: UnitStatus.Active,
        holds: 0n,
        since: at,
      });
      await sell(supplyChain, distributor, looseCase, pharmacy);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(pharmacy.id);
    });

    it("releases a unit left sealed when its owner first ships it out of the unpacked container", async function () {
      const f = await loadFixture(sealedScenario);
      const { supplyChain, manufacturer, distributor, pharmacy, looseCase, outer } = f;
      await sell(supplyChain, manufacturer, outer, distributor);
      await unpack(supplyChain, distributor, outer);
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.Sealed);
      await expect(shipTx(f, distributor, looseCase, pharmacy.id, [outer.hop(looseCase)], "lazy"))
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(looseCase.key, outer.key, distributor.id)
        .and.to.emit(supplyChain, "Shipped");
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.InTransit);
    });

    it("releases by unpacking again with the unit listed; refuses an empty list and a unit not sealed in it", async function () {
      const f = await loadFixture(sealedScenario);
      const { supplyChain, manufacturer, distributor, looseCase, outer } = f;
      await sell(supplyChain, manufacturer, outer, distributor);
      await unpack(supplyChain, distributor, outer);
      const unpackAgain = (released: string[]) =>
        supplyChain
          .connect(distributor.key)
          .unpack(outer.sscc, outer.packer, outer.root, outer.lotsHash, [], released, epcis("again"));
      await expect(unpackAgain([]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(outer.key, UnitStatus.Unpacked, UnitStatus.Unpacked);
      await expect(unpackAgain([looseCase.key]))
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(looseCase.key, outer.key, distributor.id)
        .and.not.to.emit(supplyChain, "ContainerUnpacked");
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.Active);
      await expect(unpackAgain([looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotInContainer")
        .withArgs(outer.key, looseCase.key);
      await expect(unpackAgain([f.pallet.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotInContainer")
        .withArgs(outer.key, f.pallet.key);
      // Only the unpacked container's owner releases.
      await expect(
        supplyChain
          .connect(manufacturer.key)
          .unpack(outer.sscc, outer.packer, outer.root, outer.lotsHash, [], [looseCase.key], epcis("x")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(outer.key, distributor.id, manufacturer.key.address);
    });

    it("refuses to seal what is in transit, another's, holding an investigation or itself, and over 256 units; nothing changes", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, manufacturer, distributor, productSafety, looseCase } = f;
      const outer = new ContainerTree(sscc(7), [looseCase], looseCase.lotKeys, manufacturer.id);
      // A repeated key: the second sealing finds it sealed, and the first is undone with the revert.
      await expect(packOnChain(supplyChain, manufacturer, outer, [looseCase.key, looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(looseCase.key, UnitStatus.Sealed, UnitStatus.Sealed);
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.Active);
      expect((await readUnit(supplyChain, outer.key)).status).to.equal(UnitStatus.None);
      await expect(packOnChain(supplyChain, manufacturer, outer, Array(257).fill(looseCase.key)))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidCount")
        .withArgs(257, 256);
      // Itself: it has no record until packed, so it cannot be sealed in itself (which would strand it for good).
      await expect(packOnChain(supplyChain, manufacturer, outer, [outer.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(outer.key, UnitStatus.None, UnitStatus.Sealed);
      const theirs = new ContainerTree(sscc(7), [looseCase], looseCase.lotKeys, distributor.id);
      await expect(packOnChain(supplyChain, distributor, theirs, [looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(looseCase.key, manufacturer.id, distributor.key.address);
      // Holding an investigation of a pack inside it.
      const label = f.lotA.label("A000009");
      await (
        await productSafety
          .connect(manufacturer.key)
          .quarantinePack(onChain(label), [], [looseCase.hop(label)], SuspectReason.Tampering, hashOf("evidence"))
      ).wait();
      await expect(packOnChain(supplyChain, manufacturer, outer, [looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnitBlocked")
        .withArgs(looseCase.key, UnitStatus.Active, 1);
      // In transit.
      await (await productSafety.connect(manufacturer.key).decide(1n, false, hashOf("cleared"))).wait();
      await (await shipTx(f, manufacturer, looseCase, distributor.id)).wait();
      await expect(packOnChain(supplyChain, manufacturer, outer, [looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(looseCase.key, UnitStatus.InTransit, UnitStatus.Sealed);
    });

    it("does not release a unit under investigation inside the container, and releases it once its case is cleared", async function () {
      const f = await loadFixture(sealedScenario);
      const { supplyChain, productSafety, manufacturer, distributor, looseCase, outer } = f;
      await sell(supplyChain, manufacturer, outer, distributor);
      await quarantineCase(productSafety, distributor, looseCase, [outer.hop(looseCase)], SuspectReason.Tampering);
      await expect(unpack(supplyChain, distributor, outer, [], [looseCase.key]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnitBlocked")
        .withArgs(looseCase.key, UnitStatus.Quarantined, 0);
      await unpack(supplyChain, distributor, outer);
      await (await productSafety.connect(distributor.key).decide(1n, false, hashOf("cleared"))).wait();
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.Sealed);
      await unpack(supplyChain, distributor, outer, [], [looseCase.key]);
      expect(await readUnit(supplyChain, looseCase.key)).to.deep.include({
        owner: distributor.id,
        status: UnitStatus.Active,
      });
      expect(await supplyChain.sealedIn(looseCase.key)).to.equal(ZERO);
    });

    it("does not carry a unit with a record through a container without one; unpacking the sealing one frees it", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, manufacturer, distributor, pharmacy, looseCase } = f;
      const middle = new ContainerTree(sscc(8), [looseCase], looseCase.lotKeys, manufacturer.id);
      const outer = new ContainerTree(sscc(7), [middle], looseCase.lotKeys, manufacturer.id);
      await packOnChain(supplyChain, manufacturer, outer, [looseCase.key]);
      await sell(supplyChain, manufacturer, outer, distributor);
      await unpack(supplyChain, distributor, outer);
      await expect(shipTx(f, distributor, looseCase, pharmacy.id, [middle.hop(looseCase), outer.hop(middle)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
        .withArgs(middle.key);
      await unpack(supplyChain, distributor, outer, [], [looseCase.key]);
      await sell(supplyChain, distributor, looseCase, pharmacy);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(pharmacy.id);
    });

    it("dispenses a pack sealed in a tote only through the tote", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, manufacturer, pharmacy, lotA } = f;
      await sellPack(supplyChain, manufacturer, lotA, "A000013", pharmacy);
      const label = lotA.label("A000013");
      const tote = new ContainerTree(sscc(9), [label], [lotA.key], pharmacy.id);
      await packOnChain(supplyChain, pharmacy, tote, [serialKey(lotA.gtin, "A000013")]);
      await expect(dispensePack(supplyChain, pharmacy, lotA, "A000013"))
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(serialKey(lotA.gtin, "A000013"), ZERO);
      await dispensePack(supplyChain, pharmacy, lotA, "A000013", [tote.hop(label)]);
      expect((await readUnit(supplyChain, serialKey(lotA.gtin, "A000013"))).status).to.equal(UnitStatus.Dispensed);
    });
  });

  describe("shipPack and receivePack", function () {
    it("ships a pack on its own from the manufacturer's stock with an empty path", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, manufacturer, distributor } = f;
      const label = onChain(lotA.label("A000013"));
      const key = serialKey(lotA.gtin, "A000013");
      expect((await readUnit(supplyChain, key)).status).to.equal(UnitStatus.None);
      await expect(
        supplyChain
          .connect(manufacturer.key)
          .shipPack(label, lotA.proof("A000013"), [], distributor.id, transaction("p"), epcis("p")),
      )
        .to.emit(supplyChain, "Shipped")
        .withArgs(epcis("p"), key, distributor.id, manufacturer.id, transaction("p"));
      const u = await readUnit(supplyChain, key);
      // A pack travelling alone names its lot in the packer field (the low 64 bits of the lot key).
      expect([u.owner, u.packer, u.from, u.status]).to.deep.equal([
        manufacturer.id,
        BigInt(lotA.key) & 0xffffffffffffffffn,
        distributor.id,
        UnitStatus.InTransit,
      ]);
      expect(await supplyChain.pendingBuyer(key)).to.equal(distributor.id);
      await expect(supplyChain.connect(distributor.key).receivePack(label, epcis("r")))
        .to.emit(supplyChain, "Received")
        .withArgs(epcis("r"), key, distributor.id, manufacturer.id);
      const r = await readUnit(supplyChain, key);
      expect([r.owner, r.packer, r.from, r.status]).to.deep.equal([
        distributor.id,
        BigInt(lotA.key) & 0xffffffffffffffffn,
        manufacturer.id,
        UnitStatus.Active,
      ]);
    });

    it("ships a pack out of an unpacked case, proven by the case's tree alone (no lot proof)", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, pallet, case1, distributor, pharmacy } = f;
      await palletUnpackedByDistributor(f);
      await unpack(supplyChain, distributor, case1, [pallet.hop(case1)]);
      const label = lotA.label("A000002");
      const key = serialKey(lotA.gtin, "A000002");
      await expect(
        supplyChain
          .connect(distributor.key)
          .shipPack(onChain(label), [], [case1.hop(label)], pharmacy.id, transaction("p"), epcis("p")),
      )
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(key, case1.key, distributor.id)
        .and.to.emit(supplyChain, "Shipped")
        .withArgs(epcis("p"), key, pharmacy.id, distributor.id, transaction("p"));
      await (await supplyChain.connect(pharmacy.key).receivePack(onChain(label), epcis("r"))).wait();
      const u = await readUnit(supplyChain, key);
      expect([u.owner, u.from, u.status]).to.deep.equal([pharmacy.id, distributor.id, UnitStatus.Active]);
    });

    it("reverts shipPack with SupplyNotOwner, SupplyNotGenuine and SupplyLotBlocked", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, lotB } = f;
      const label = onChain(lotA.label("A000013"));
      const key = serialKey(lotA.gtin, "A000013");
      const shipAs = (by: Partner, proof: string[]) =>
        supplyChain.connect(by.key).shipPack(label, proof, [], f.pharmacy.id, transaction("p"), epcis("p"));
      await expect(shipAs(f.distributor, lotA.proof("A000013")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(key, f.manufacturer.id, f.distributor.key.address);
      await expect(shipAs(f.manufacturer, lotA.proof("A000014")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotGenuine")
        .withArgs(label.gtin, label.serial, label.lot);
      await expect(shipAs(f.manufacturer, lotB.proof("B000001")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotGenuine")
        .withArgs(label.gtin, label.serial, label.lot);
      await recallLot(f.productSafety, f.manufacturer, lotA, RecallClass.III);
      await expect(shipAs(f.manufacturer, lotA.proof("A000013")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyLotBlocked")
        .withArgs(lotA.key, LotStatus.Recalled);
    });

    it("reverts receivePack with SupplyUnknownLot, SupplyNotShippedTo and SupplyLotBlocked", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, manufacturer, distributor } = f;
      const label = onChain(lotA.label("A000013"));
      const key = serialKey(lotA.gtin, "A000013");
      const unknown = { ...label, lot: onChain({ ...lotA.label("A000013"), lot: "NOPE" }).lot };
      await expect(supplyChain.connect(distributor.key).receivePack(unknown, epcis("r")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnknownLot")
        .withArgs(unknown.gtin, unknown.lot);
      await expect(supplyChain.connect(distributor.key).receivePack(label, epcis("r")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotShippedTo")
        .withArgs(key, distributor.key.address);
      await (
        await supplyChain
          .connect(manufacturer.key)
          .shipPack(label, lotA.proof("A000013"), [], distributor.id, transaction("p"), epcis("p"))
      ).wait();
      await expect(supplyChain.connect(f.pharmacy.key).receivePack(label, epcis("r")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotShippedTo")
        .withArgs(key, f.pharmacy.key.address);
      await quarantineLot(f.productSafety, manufacturer, lotA);
      await expect(supplyChain.connect(distributor.key).receivePack(label, epcis("r")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyLotBlocked")
        .withArgs(lotA.key, LotStatus.Quarantined);
    });
  });

  describe("one owner at a time under concurrent shipments", function () {
    it("lets exactly one of two shipments of the same container in one block succeed", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, manufacturer, distributor, pharmacy } = f;
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const gasLimit = manualGas(1_000_000n);
        const first = await supplyChain
          .connect(manufacturer.key)
          .shipContainer(
            pallet.sscc,
            pallet.packer,
            pallet.root,
            pallet.lotKeys,
            [],
            distributor.id,
            transaction("a"),
            epcis("a"),
            {
              gasLimit,
            },
          );
        const second = await supplyChain
          .connect(manufacturer.key)
          .shipContainer(
            pallet.sscc,
            pallet.packer,
            pallet.root,
            pallet.lotKeys,
            [],
            pharmacy.id,
            transaction("b"),
            epcis("b"),
            {
              gasLimit,
            },
          );
        await mine();
        const receipts = await Promise.all(
          [first.hash, second.hash].map((hash) => manufacturer.key.provider.getTransactionReceipt(hash)),
        );
        expect(receipts.map((r) => r?.blockNumber)).to.deep.equal([receipts[0]?.blockNumber, receipts[0]?.blockNumber]);
        expect(receipts.map((r) => r?.status)).to.deep.equal([1, 0]);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      expect(await supplyChain.pendingBuyer(pallet.key)).to.equal(distributor.id);
      await expect(receiveTx(f, pharmacy, pallet))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotShippedTo")
        .withArgs(pallet.key, pharmacy.key.address);
      await expect(receiveTx(f, distributor, pallet)).to.emit(supplyChain, "Received");
    });

    it("lets exactly one of a shipment and an unpacking in one block succeed", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, looseCase, manufacturer, distributor } = f;
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const ship = await supplyChain
          .connect(manufacturer.key)
          .shipContainer(
            looseCase.sscc,
            looseCase.packer,
            looseCase.root,
            looseCase.lotKeys,
            [],
            distributor.id,
            transaction("a"),
            epcis("a"),
            {
              gasLimit: manualGas(1_000_000n),
            },
          );
        const unpacking = await supplyChain
          .connect(manufacturer.key)
          .unpack(looseCase.sscc, looseCase.packer, looseCase.root, lotsHashOf(looseCase.lotKeys), [], [], epcis("u"), {
            gasLimit: manualGas(1_000_000n),
          });
        await mine();
        const statuses = await Promise.all(
          [ship.hash, unpacking.hash].map(
            async (hash) => (await manufacturer.key.provider.getTransactionReceipt(hash))?.status,
          ),
        );
        expect(statuses).to.deep.equal([1, 0]);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.InTransit);
    });
  });
});
