import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";

import {
  custodyScenario,
  type CustodyScenario,
  dispensePack,
  epcis,
  LotStatus,
  packOnChain,
  quarantineCase,
  readUnit,
  RecallClass,
  sell,
  sellPack,
  shipContainer,
  SuspectReason,
  transaction,
  UnitStatus,
  unpack,
} from "../supplychain/custody-scenario";
import { ContainerTree, hashOf, type Hop, onChain, serialKey, sscc } from "../supplychain/helpers";

const ZERO = `0x${"00".repeat(32)}`;

// The supply-chain registry from an attacker's side: licensed partners (or strangers) trying to take product they do
// not hold, to block others' product, to call the product-safety hooks, to replay receipts, to sell twice and to
// pass clones; each against the production deployment, each shown to fail. The scenario: lots A and B; case1–case3
// on `pallet` (the cases have no record of their own); `looseCase` (A9–A12) packed on chain; A13–A16 in stock.

function shipTx(f: CustodyScenario, seller: HardhatEthersSigner, tree: ContainerTree, buyer: bigint, path: Hop[] = []) {
  return f.supplyChain
    .connect(seller)
    .shipContainer(tree.sscc, tree.packer, tree.root, tree.lotKeys, path, buyer, transaction("ship"), epcis("ship"));
}

function receiveTx(f: CustodyScenario, buyer: HardhatEthersSigner, tree: ContainerTree) {
  return f.supplyChain
    .connect(buyer)
    .receiveContainer(tree.sscc, tree.packer, tree.root, tree.lotKeys, epcis("receive"));
}

describe("SupplyChain", function () {
  describe("supply-chain attacks", function () {
    it("runs against the production deployment", async function () {
      const f = await loadFixture(custodyScenario);
      expect(await f.supplyChain.getAddress()).to.equal(f.deployment.supplyChain);
      expect(await f.supplyChain.productSafety()).to.equal(await f.productSafety.getAddress());
      expect(await f.productSafety.supplyChain()).to.equal(f.deployment.supplyChain);
      expect(await f.supplyChain.identityRegistry()).to.equal(f.deployment.identityRegistry);
    });

    it("a partner packing a pallet that claims another's case cannot take the case out of it", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, looseCase, distributor, otherPharmacy, hospital } = f;
      // The distributor packs a pallet claiming the manufacturer's loose case and sells it to an accomplice.
      const claim = new ContainerTree(sscc(20), [looseCase], looseCase.lotKeys, distributor.id);
      await packOnChain(supplyChain, distributor, claim);
      await sell(supplyChain, distributor, claim, otherPharmacy);
      await unpack(supplyChain, otherPharmacy, claim);
      await expect(shipTx(f, otherPharmacy.key, looseCase, hospital.id, [claim.hop(looseCase)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
        .withArgs(claim.key);
      // Shipping the case itself is the manufacturer's alone.
      await expect(shipTx(f, otherPharmacy.key, looseCase, hospital.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(looseCase.key, f.manufacturer.id, otherPharmacy.key.address);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(f.manufacturer.id);
    });

    it("a partner packing a case that claims the manufacturer's packs can neither ship nor dispense them", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, distributor, pharmacy, hospital } = f;
      const a13 = lotA.label("A000013");
      const a14 = lotA.label("A000014");
      const claim = new ContainerTree(sscc(21), [a13, a14], [lotA.key], distributor.id);
      await packOnChain(supplyChain, distributor, claim);
      await unpack(supplyChain, distributor, claim);
      for (const proof of [lotA.proof(a13.serial), []]) {
        await expect(
          supplyChain
            .connect(distributor.key)
            .shipPack(onChain(a13), proof, [claim.hop(a13)], hospital.id, transaction("p"), epcis("p")),
        )
          .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
          .withArgs(claim.key);
      }
      // A pharmacy doing the same to dispense a pack it never received.
      const own = new ContainerTree(sscc(22), [a14], [lotA.key], pharmacy.id);
      await packOnChain(supplyChain, pharmacy, own);
      await expect(
        supplyChain.connect(pharmacy.key).dispense(onChain(a14), lotA.proof(a14.serial), [own.hop(a14)], epcis("d")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
        .withArgs(own.key);
      // verify does not call such a path custody.
      const v = await supplyChain.verify(onChain(a14), lotA.proof(a14.serial), [own.hop(a14)]);
      expect([v.genuine, v.custodyProven, v.saleable, v.owner]).to.deep.equal([true, false, false, 0n]);
    });

    it("re-packing a stolen SSCC with other contents, or a recorded container's exact contents, does not block the real one", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, looseCase, manufacturer, distributor, otherPharmacy } = f;
      // The thief packs the pallet's SSCC and the loose case's SSCC with what it has.
      const fake = new ContainerTree(pallet.sscc, [f.lotA.label("A000016")], [f.lotA.key], otherPharmacy.id);
      await packOnChain(supplyChain, otherPharmacy, fake);
      // Packing the loose case's exact SSCC and contents makes another container: its key names the thief.
      await supplyChain
        .connect(otherPharmacy.key)
        .pack(looseCase.sscc, looseCase.root, 4, looseCase.lotKeys, [], epcis("squat"));
      const copy = new ContainerTree(looseCase.sscc, [...looseCase.children], looseCase.lotKeys, otherPharmacy.id);
      expect(copy.key).to.not.equal(looseCase.key);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(manufacturer.id);
      await sell(supplyChain, manufacturer, pallet, distributor);
      await sell(supplyChain, manufacturer, looseCase, distributor);
      expect((await readUnit(supplyChain, pallet.key)).owner).to.equal(distributor.id);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(distributor.id);
      const a9 = f.lotA.label("A000009");
      const v = await supplyChain.verify(onChain(a9), [], [looseCase.hop(a9)]);
      expect([v.genuine, v.custodyProven, v.saleable, v.owner]).to.deep.equal([true, true, true, distributor.id]);
    });

    // A case committed to only by its pallet's tree has no record, and anyone who has it in hand or read a path naming
    // it in calldata knows its SSCC and contents. Its key also names the partner that committed to it (the pallet's
    // packer), so a squatter packing the same SSCC and contents creates another container under its own name.
    it("re-packing the exact contents of a case that has no record does not block the real one", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, case1, lotA, manufacturer, distributor, otherPharmacy, pharmacy } = f;
      await sell(supplyChain, manufacturer, pallet, distributor);
      // The squatter rebuilds case1's tree from its packs' labels and packs it under case1's SSCC.
      const rebuilt = new ContainerTree(case1.sscc, [...case1.children], case1.lotKeys, otherPharmacy.id);
      expect(rebuilt.key).to.not.equal(case1.key);
      await packOnChain(supplyChain, otherPharmacy, rebuilt);
      // The real owner unpacks the pallet and sells the case on.
      await unpack(supplyChain, distributor, pallet);
      const a1 = lotA.label("A000001");
      const v = await supplyChain.verify(onChain(a1), [], [case1.hop(a1), pallet.hop(case1)]);
      expect([v.custodyProven, v.saleable, v.owner]).to.deep.equal([true, true, distributor.id]);
      await sell(supplyChain, distributor, case1, pharmacy, [pallet.hop(case1)]);
      expect((await readUnit(supplyChain, case1.key)).owner).to.equal(pharmacy.id);
    });

    it("the product-safety hooks revert with SupplyNotProductSafety for anyone but ProductSafety", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, lotA, looseCase } = f;
      const a13 = onChain(lotA.label("A000013"));
      const proof = lotA.proof("A000013");
      const none: [string, string, string, string] = [looseCase.key, looseCase.key, looseCase.key, looseCase.key];
      for (const caller of [f.stranger, f.manufacturer.key, f.regulator.key, f.admin, f.deployer]) {
        const sc = supplyChain.connect(caller);
        const calls = [
          () => sc.setLotStatus(lotA.key, LotStatus.Recalled, RecallClass.I),
          () => sc.holdPack(a13, proof, []),
          () => sc.holdContainer(looseCase.sscc, looseCase.packer, looseCase.root, looseCase.lotsHash, []),
          () => sc.releaseHold(looseCase.key, UnitStatus.Active, none),
          () => sc.setUnitStatus(looseCase.key, UnitStatus.Illegitimate),
        ];
        for (const call of calls) {
          await expect(call())
            .to.be.revertedWithCustomError(supplyChain, "SupplyNotProductSafety")
            .withArgs(caller.address);
        }
      }
      expect((await supplyChain.lotByKey(lotA.key)).status).to.equal(BigInt(LotStatus.Active));
      expect((await readUnit(supplyChain, looseCase.key)).status).to.equal(UnitStatus.Active);
    });

    it("ProductSafety.openCloneCase reverts with ProductSafetyNotSupplyChain for anyone but the registry", async function () {
      const f = await loadFixture(custodyScenario);
      const key = serialKey(f.lotA.gtin, "A000013");
      for (const caller of [f.stranger, f.pharmacy.key, f.regulator.key, f.admin]) {
        await expect(
          f.productSafety.connect(caller).openCloneCase(key, f.pharmacy.id, f.distributor.id, f.otherPharmacy.id),
        )
          .to.be.revertedWithCustomError(f.productSafety, "ProductSafetyNotSupplyChain")
          .withArgs(caller.address);
      }
      expect(await f.productSafety.caseCount()).to.equal(0n);
    });

    it("a shipment receipt cannot be replayed, by the buyer or anyone", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, manufacturer, distributor, pharmacy } = f;
      await shipContainer(supplyChain, manufacturer, pallet, distributor);
      await expect(receiveTx(f, distributor.key, pallet)).to.emit(supplyChain, "Received");
      for (const key of [distributor.key, pharmacy.key, manufacturer.key]) {
        await expect(receiveTx(f, key, pallet))
          .to.be.revertedWithCustomError(supplyChain, "SupplyNotShippedTo")
          .withArgs(pallet.key, key.address);
      }
      const u = await readUnit(supplyChain, pallet.key);
      expect([u.owner, u.from, u.status]).to.deep.equal([distributor.id, manufacturer.id, UnitStatus.Active]);
    });

    it("a buyer cannot receive twice once it sold the unit on", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, manufacturer, distributor, pharmacy } = f;
      await sell(supplyChain, manufacturer, pallet, distributor);
      await shipContainer(supplyChain, distributor, pallet, pharmacy);
      await expect(receiveTx(f, distributor.key, pallet))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotShippedTo")
        .withArgs(pallet.key, distributor.key.address);
      // A pack on its own, likewise.
      await sellPack(supplyChain, manufacturer, f.lotA, "A000013", distributor);
      await expect(supplyChain.connect(distributor.key).receivePack(onChain(f.lotA.label("A000013")), epcis("again")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotShippedTo")
        .withArgs(serialKey(f.lotA.gtin, "A000013"), distributor.key.address);
    });

    it("a seller cannot ship what it sold to a second buyer, in transit or after receipt", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, case1, manufacturer, distributor, pharmacy } = f;
      await shipContainer(supplyChain, manufacturer, pallet, distributor);
      await expect(shipTx(f, manufacturer.key, pallet, pharmacy.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(pallet.key, UnitStatus.InTransit, UnitStatus.InTransit);
      // Nor a case out of it: the pallet is sealed.
      await expect(shipTx(f, manufacturer.key, case1, pharmacy.id, [pallet.hop(case1)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(case1.key, pallet.key);
      await (await receiveTx(f, distributor.key, pallet)).wait();
      await expect(shipTx(f, manufacturer.key, pallet, pharmacy.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(pallet.key, distributor.id, manufacturer.key.address);
      await expect(
        supplyChain
          .connect(manufacturer.key)
          .unpack(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], [], epcis("unpack")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotOwner")
        .withArgs(pallet.key, distributor.id, manufacturer.key.address);
    });

    it("an owner cannot sell twice what has a record: re-packed, it is sealed and moves only with its container", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, looseCase, manufacturer, distributor, pharmacy, hospital, lotA } = f;
      // A case and a returned pack, each with a record of its own, re-packed by their owner onto a pallet it sells.
      await sellPack(supplyChain, manufacturer, lotA, "A000013", distributor);
      await sell(supplyChain, manufacturer, looseCase, distributor);
      const pack = lotA.label("A000013");
      const repacked = new ContainerTree(sscc(21), [looseCase, pack], [lotA.key], distributor.id);
      const packKey = serialKey(lotA.gtin, "A000013");
      // Packing it without sealing what has a record leaves those out of the pallet: its buyer is refused them.
      const unsealed = new ContainerTree(sscc(22), [looseCase, pack], [lotA.key], distributor.id);
      await packOnChain(supplyChain, distributor, unsealed);
      expect(
        (await supplyChain.verify(onChain(pack), lotA.proof("A000013"), [unsealed.hop(pack)])).custodyProven,
      ).to.equal(false);
      await packOnChain(supplyChain, distributor, repacked, [looseCase.key, packKey]);
      await sell(supplyChain, distributor, repacked, pharmacy);
      // The second sale of each, on its own, is refused: before and after the pallet's buyer received it.
      await expect(shipTx(f, distributor.key, looseCase, hospital.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(looseCase.key, ZERO);
      await expect(
        supplyChain
          .connect(distributor.key)
          .shipPack(onChain(pack), lotA.proof("A000013"), [], hospital.id, transaction("x"), epcis("x")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(packKey, ZERO);
      // Nor through the other pallet its tree also names.
      await expect(shipTx(f, distributor.key, looseCase, hospital.id, [unsealed.hop(looseCase)]))
        .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
        .withArgs(unsealed.key);
      // The pallet's buyer gets both.
      await unpack(supplyChain, pharmacy, repacked, [], [looseCase.key, packKey]);
      expect((await readUnit(supplyChain, looseCase.key)).owner).to.equal(pharmacy.id);
      expect((await readUnit(supplyChain, packKey)).owner).to.equal(pharmacy.id);
    });

    it("a second container whose tree names a sealed unit can neither carry it nor release it", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, looseCase, manufacturer, distributor, pharmacy } = f;
      await sell(supplyChain, manufacturer, looseCase, distributor);
      // The distributor seals the case in one pallet, sells it, and packs a twin pallet naming the same case.
      const sold = new ContainerTree(sscc(23), [looseCase], [f.lotA.key], distributor.id);
      const twin = new ContainerTree(sscc(24), [looseCase], [f.lotA.key], distributor.id);
      await packOnChain(supplyChain, distributor, sold, [looseCase.key]);
      await sell(supplyChain, distributor, sold, pharmacy);
      await packOnChain(supplyChain, distributor, twin);
      await expect(
        supplyChain
          .connect(distributor.key)
          .unpack(twin.sscc, twin.packer, twin.root, twin.lotsHash, [], [looseCase.key], epcis("twin")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotInContainer")
        .withArgs(twin.key, looseCase.key);
      const label = f.lotA.label("A000009");
      const throughTwin = await supplyChain.verify(onChain(label), f.lotA.proof("A000009"), [
        looseCase.hop(label),
        twin.hop(looseCase),
      ]);
      expect(throughTwin.custodyProven).to.equal(false);
      expect(await supplyChain.sealedIn(looseCase.key)).to.equal(sold.key);
    });

    it("a former owner cannot act on a unit sealed in what it sold by stopping the path short, even under investigation", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, looseCase, manufacturer, distributor, pharmacy, lotA } = f;
      await sell(supplyChain, manufacturer, looseCase, distributor);
      const pallet2 = new ContainerTree(sscc(25), [looseCase], [lotA.key], distributor.id);
      await packOnChain(supplyChain, distributor, pallet2, [looseCase.key]);
      await sell(supplyChain, distributor, pallet2, pharmacy);
      // The holder quarantines the case inside its pallet.
      await quarantineCase(productSafety, pharmacy, looseCase, [pallet2.hop(looseCase)], SuspectReason.Tampering);
      const label = lotA.label("A000009");
      const short = [looseCase.hop(label)];
      // The case's record still names the distributor, which sold it: a path stopping at the case proves nothing.
      const verified = await supplyChain.verify(onChain(label), lotA.proof("A000009"), short);
      expect([verified.custodyProven, verified.owner]).to.deep.equal([false, 0n]);
      await expect(
        productSafety
          .connect(distributor.key)
          .quarantinePack(onChain(label), lotA.proof("A000009"), short, SuspectReason.Theft, hashOf("grief")),
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(looseCase.key, ZERO);
      // Through the whole path the owner is the pharmacy.
      const whole = await supplyChain.verify(onChain(label), lotA.proof("A000009"), [...short, pallet2.hop(looseCase)]);
      expect([whole.custodyProven, whole.owner, whole.quarantined]).to.deep.equal([true, pharmacy.id, true]);
    });

    it("a pack quarantined inside a case is not its manufacturer's on an empty path", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, looseCase, manufacturer, distributor, lotA } = f;
      await sell(supplyChain, manufacturer, looseCase, distributor);
      const label = lotA.label("A000010");
      await (
        await productSafety
          .connect(distributor.key)
          .quarantinePack(onChain(label), [], [looseCase.hop(label)], SuspectReason.Tampering, hashOf("evidence"))
      ).wait();
      const alone = await supplyChain.verify(onChain(label), lotA.proof("A000010"), []);
      expect([alone.custodyProven, alone.owner, alone.quarantined]).to.deep.equal([false, 0n, true]);
      const inCase = await supplyChain.verify(onChain(label), lotA.proof("A000010"), [looseCase.hop(label)]);
      expect([inCase.custodyProven, inCase.owner]).to.deep.equal([true, distributor.id]);
    });

    it("a clone presented by a non-dispenser is refused without opening a case", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, productSafety, lotA, manufacturer, pharmacy, distributor } = f;
      await sellPack(supplyChain, manufacturer, lotA, "A000013", pharmacy);
      await dispensePack(supplyChain, pharmacy, lotA, "A000013");
      const label = onChain(lotA.label("A000013"));
      for (const key of [distributor.key, manufacturer.key, f.stranger]) {
        await expect(supplyChain.connect(key).dispense(label, lotA.proof("A000013"), [], epcis("clone")))
          .to.be.revertedWithCustomError(supplyChain, "SupplyNotDispenser")
          .withArgs(key.address);
      }
      expect(await productSafety.caseCount()).to.equal(0n);
      expect((await readUnit(supplyChain, serialKey(lotA.gtin, "A000013"))).status).to.equal(UnitStatus.Dispensed);
    });

    it("a revoked partner is stopped mid-flow: the revoked seller cannot ship, the revoked buyer cannot receive, the seller cancels", async function () {
      const f = await loadFixture(custodyScenario);
      const { supplyChain, pallet, looseCase, manufacturer, distributor } = f;
      const registrar = f.identity.as(f.registrar);
      await shipContainer(supplyChain, manufacturer, pallet, distributor);
      await registrar.revoke(distributor.id, 1);
      await expect(receiveTx(f, distributor.key, pallet))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotTradingPartner")
        .withArgs(distributor.key.address);
      // Nobody ships to it any more either.
      await expect(shipTx(f, manufacturer.key, looseCase, distributor.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidBuyer")
        .withArgs(distributor.id);
      await expect(supplyChain.connect(manufacturer.key).cancelShipment(pallet.key))
        .to.emit(supplyChain, "ShipmentCancelled")
        .withArgs(pallet.key, manufacturer.id, manufacturer.id);
      expect((await readUnit(supplyChain, pallet.key)).owner).to.equal(manufacturer.id);
      // The manufacturer revoked in turn cannot ship.
      await registrar.revoke(manufacturer.id, 1);
      await expect(shipTx(f, manufacturer.key, pallet, f.pharmacy.id))
        .to.be.revertedWithCustomError(supplyChain, "SupplyNotTradingPartner")
        .withArgs(manufacturer.key.address);
    });
  });
});
