import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { GTIN, OTHER_GTIN, supplyChainFixture, type SupplyChainFixture } from "../fixtures/supplychain";
import { commission, epcis, expiresAtOf, LotStatus, RecallClass, yymmdd } from "./custody-scenario";
import { bytes20, EXPIRY, hashOf, lotKey, LotTree, serials, withCheckDigit } from "./helpers";

// SupplyChain: products (GTINs) and lots. Every lot here is a real tree of a few packs, commissioned under the
// fixture's GTIN by its manufacturer unless the test says otherwise.

/** A GTIN-14 nobody registered, with its check digit. */
const NEW_GTIN = withCheckDigit(950_110_153_002n, 14);
const MAX_LOT_PACKS = 1 << 24;
const ROOT = new LotTree(GTIN, "LOT-1", EXPIRY, serials(4)).root;

/** Commissions `lotNumber` of `GTIN` expiring `expiry` as the fixture's manufacturer (the tx, not awaited). */
function commissionAs(
  f: SupplyChainFixture,
  lotNumber: string,
  expiry: number,
  overrides: { gtin?: bigint; root?: string; count?: number; epcisHash?: string; lot?: string } = {},
) {
  return f.supplyChain
    .connect(f.manufacturer.key)
    .commissionLot(
      overrides.gtin ?? GTIN,
      overrides.lot ?? bytes20(lotNumber),
      expiry,
      overrides.root ?? ROOT,
      overrides.count ?? 4,
      overrides.epcisHash ?? epcis(lotNumber),
    );
}

async function pause(f: SupplyChainFixture): Promise<void> {
  await (await f.supplyChain.connect(f.pauser).pause()).wait();
}

describe("SupplyChain", function () {
  describe("registerProduct", function () {
    it("registers the GTIN to the calling manufacturer and emits ProductRegistered", async function () {
      const f = await loadFixture(supplyChainFixture);
      expect(await f.supplyChain.manufacturerOf(NEW_GTIN)).to.equal(0n);
      await expect(f.supplyChain.connect(f.otherManufacturer.key).registerProduct(NEW_GTIN))
        .to.emit(f.supplyChain, "ProductRegistered")
        .withArgs(NEW_GTIN, f.otherManufacturer.id);
      expect(await f.supplyChain.manufacturerOf(NEW_GTIN)).to.equal(f.otherManufacturer.id);
      expect(await f.supplyChain.manufacturerOf(GTIN)).to.equal(f.manufacturer.id);
      expect(await f.supplyChain.manufacturerOf(OTHER_GTIN)).to.equal(f.otherManufacturer.id);
    });

    it("reverts with SupplyNotManufacturer for a distributor, a pharmacy, a regulator and a stranger", async function () {
      const f = await loadFixture(supplyChainFixture);
      for (const key of [f.distributor.key, f.pharmacy.key, f.regulator.key, f.stranger]) {
        await expect(f.supplyChain.connect(key).registerProduct(NEW_GTIN))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotManufacturer")
          .withArgs(key.address);
      }
      expect(await f.supplyChain.manufacturerOf(NEW_GTIN)).to.equal(0n);
    });

    it("reverts with SupplyNotManufacturer for a suspended manufacturer", async function () {
      const f = await loadFixture(supplyChainFixture);
      await f.identity.as(f.registrar).suspend(f.manufacturer.id, 1);
      await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(NEW_GTIN))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotManufacturer")
        .withArgs(f.manufacturer.key.address);
    });

    it("reverts with SupplyNotManufacturer once the manufacturer's licence expired", async function () {
      const f = await loadFixture(supplyChainFixture);
      await time.increaseTo(f.licenceExpiry + 1n);
      await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(NEW_GTIN))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotManufacturer")
        .withArgs(f.manufacturer.key.address);
    });

    it("registers again once the licence is renewed", async function () {
      const f = await loadFixture(supplyChainFixture);
      await time.increaseTo(f.licenceExpiry + 1n);
      await f.identity
        .as(f.registrar)
        .renewCredential(f.manufacturer.id, hashOf("licence:renewed"), f.licenceExpiry + 365n * 86_400n);
      await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(NEW_GTIN))
        .to.emit(f.supplyChain, "ProductRegistered")
        .withArgs(NEW_GTIN, f.manufacturer.id);
    });

    it("reverts with SupplyInvalidGtin for a wrong check digit, zero and 15 digits", async function () {
      const f = await loadFixture(supplyChainFixture);
      const wrongCheck = NEW_GTIN + 1n;
      const fifteenDigits = withCheckDigit(12_345_678_901_234n, 15);
      expect(fifteenDigits).to.be.greaterThanOrEqual(10n ** 14n);
      for (const gtin of [wrongCheck, 0n, fifteenDigits]) {
        await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(gtin))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidGtin")
          .withArgs(gtin);
        expect(await f.supplyChain.manufacturerOf(gtin)).to.equal(0n);
      }
    });

    it("accepts a GTIN-14 with leading zeros (a GTIN-12 or GTIN-13 padded)", async function () {
      const f = await loadFixture(supplyChainFixture);
      // A 12-digit UPC-A (body 61414100001 and its check digit) written as a GTIN-14 with two leading zeros.
      const padded = withCheckDigit(61_414_100_001n, 14);
      await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(padded))
        .to.emit(f.supplyChain, "ProductRegistered")
        .withArgs(padded, f.manufacturer.id);
    });

    it("reverts with SupplyProductExists when the caller registered the GTIN already", async function () {
      const f = await loadFixture(supplyChainFixture);
      await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(GTIN))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyProductExists")
        .withArgs(GTIN, f.manufacturer.id);
    });

    it("reverts with SupplyProductExists naming the owner when another manufacturer registered it", async function () {
      const f = await loadFixture(supplyChainFixture);
      await expect(f.supplyChain.connect(f.otherManufacturer.key).registerProduct(GTIN))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyProductExists")
        .withArgs(GTIN, f.manufacturer.id);
      expect(await f.supplyChain.manufacturerOf(GTIN)).to.equal(f.manufacturer.id);
    });

    it("reverts with EnforcedPause while paused", async function () {
      const f = await loadFixture(supplyChainFixture);
      await pause(f);
      await expect(f.supplyChain.connect(f.manufacturer.key).registerProduct(NEW_GTIN)).to.be.revertedWithCustomError(
        f.supplyChain,
        "EnforcedPause",
      );
    });
  });

  describe("commissionLot", function () {
    it("commissions the lot, emits LotCommissioned and reads back by lot and by key", async function () {
      const f = await loadFixture(supplyChainFixture);
      const other = new LotTree(GTIN, "LOT-2802", EXPIRY, serials(8));
      expect(
        await f.supplyChain
          .connect(f.manufacturer.key)
          .commissionLot.staticCall(GTIN, bytes20("LOT-2802"), EXPIRY, other.root, 8, epcis("c2")),
      ).to.equal(lotKey(GTIN, "LOT-2802"));
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(
        f.supplyChain
          .connect(f.manufacturer.key)
          .commissionLot(GTIN, bytes20("LOT-2802"), EXPIRY, other.root, 8, epcis("c2")),
      )
        .to.emit(f.supplyChain, "LotCommissioned")
        .withArgs(
          epcis("c2"),
          lotKey(GTIN, "LOT-2802"),
          GTIN,
          bytes20("LOT-2802"),
          EXPIRY,
          other.root,
          8,
          f.manufacturer.id,
        );
      const expected = {
        manufacturer: f.manufacturer.id,
        status: BigInt(LotStatus.Active),
        recallClass: BigInt(RecallClass.None),
        count: 8n,
        expiry: BigInt(EXPIRY),
        expiresAt: expiresAtOf(EXPIRY),
        commissionedAt: at,
        root: other.root,
      };
      const plain = (l: Awaited<ReturnType<typeof f.supplyChain.lotByKey>>) => ({
        manufacturer: l.manufacturer,
        status: l.status,
        recallClass: l.recallClass,
        count: l.count,
        expiry: l.expiry,
        expiresAt: l.expiresAt,
        commissionedAt: l.commissionedAt,
        root: l.root,
      });
      expect(plain(await f.supplyChain.lot(GTIN, bytes20("LOT-2802")))).to.deep.equal(expected);
      expect(plain(await f.supplyChain.lotByKey(lotKey(GTIN, "LOT-2802")))).to.deep.equal(expected);
      // 281231 is 31 December 2028: expired from 00:00 UTC on 1 January 2029.
      expect(expected.expiresAt).to.equal(BigInt(Date.UTC(2029, 0, 1) / 1000));
    });

    it("reads a never commissioned lot as status None", async function () {
      const f = await loadFixture(supplyChainFixture);
      const l = await f.supplyChain.lot(GTIN, bytes20("NOPE"));
      expect(l.status).to.equal(BigInt(LotStatus.None));
      expect(l.manufacturer).to.equal(0n);
      expect(l.root).to.equal(ZeroHash);
    });

    it("sets expiresAt to 00:00 UTC of the day after the expiry date, DD = 00 meaning the month's last day", async function () {
      const f = await loadFixture(supplyChainFixture);
      const cases: [number, number][] = [
        [281231, Date.UTC(2029, 0, 1)],
        [280115, Date.UTC(2028, 0, 16)],
        [280430, Date.UTC(2028, 4, 1)],
        [280400, Date.UTC(2028, 4, 1)], // April has 30 days
        [281200, Date.UTC(2029, 0, 1)], // December has 31
        [280229, Date.UTC(2028, 2, 1)], // 2028 is a leap year: 29 February exists
        [280200, Date.UTC(2028, 2, 1)], // … and is February's last day
        [290200, Date.UTC(2029, 2, 1)], // 2029 is not: February ends on the 28th
        [990101, Date.UTC(2099, 0, 2)],
      ];
      for (const [i, [expiry, midnight]] of cases.entries()) {
        const lotNumber = `EXP-${i}`;
        await (await commissionAs(f, lotNumber, expiry)).wait();
        const l = await f.supplyChain.lot(GTIN, bytes20(lotNumber));
        expect(l.expiresAt, `expiry ${expiry}`).to.equal(BigInt(midnight / 1000));
        expect(l.expiresAt).to.equal(expiresAtOf(expiry));
        expect(l.expiry).to.equal(BigInt(expiry));
      }
    });

    it("reverts with SupplyInvalidExpiry for month 13, day 32, 30 February, 29 February of a common year and 000000", async function () {
      const f = await loadFixture(supplyChainFixture);
      for (const expiry of [281301, 281232, 280230, 290229, 280431, 0, 280001]) {
        await expect(commissionAs(f, "LOT-X", expiry))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidExpiry")
          .withArgs(expiry);
      }
      expect((await f.supplyChain.lot(GTIN, bytes20("LOT-X"))).status).to.equal(0n);
    });

    it("reverts with SupplyExpiryInPast when the expiry instant is not after the block's time", async function () {
      const f = await loadFixture(supplyChainFixture);
      const old = 250101;
      const now = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(now);
      await expect(commissionAs(f, "LOT-OLD", old))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyExpiryInPast")
        .withArgs(old, expiresAtOf(old), now);
    });

    it("reverts with SupplyExpiryInPast at the expiry instant itself, and accepts one second before it", async function () {
      const f = await loadFixture(supplyChainFixture);
      // A few days ahead, inside the licence's validity.
      const expiry = yymmdd(BigInt(await time.latest()) + 3n * 86_400n);
      const expiresAt = expiresAtOf(expiry);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await expect(commissionAs(f, "LOT-EDGE-1", expiry)).to.emit(f.supplyChain, "LotCommissioned");
      await time.setNextBlockTimestamp(expiresAt);
      await expect(commissionAs(f, "LOT-EDGE-2", expiry))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyExpiryInPast")
        .withArgs(expiry, expiresAt, expiresAt);
    });

    it("reverts with SupplyUnknownProduct for a GTIN nobody registered", async function () {
      const f = await loadFixture(supplyChainFixture);
      await expect(commissionAs(f, "LOT-1", EXPIRY, { gtin: NEW_GTIN }))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyUnknownProduct")
        .withArgs(NEW_GTIN);
    });

    it("reverts with SupplyNotProductOwner naming the GTIN's manufacturer for someone else's GTIN", async function () {
      const f = await loadFixture(supplyChainFixture);
      await expect(commissionAs(f, "LOT-1", EXPIRY, { gtin: OTHER_GTIN }))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotProductOwner")
        .withArgs(OTHER_GTIN, f.otherManufacturer.id, f.manufacturer.key.address);
      expect((await f.supplyChain.lot(OTHER_GTIN, bytes20("LOT-1"))).status).to.equal(0n);
    });

    it("reverts with SupplyNotManufacturer for a distributor, a regulator, a stranger and an expired licence", async function () {
      const f = await loadFixture(supplyChainFixture);
      for (const key of [f.distributor.key, f.regulator.key, f.stranger]) {
        await expect(f.supplyChain.connect(key).commissionLot(GTIN, bytes20("LOT-1"), EXPIRY, ROOT, 4, epcis("x")))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotManufacturer")
          .withArgs(key.address);
      }
      await time.increaseTo(f.licenceExpiry + 1n);
      await expect(commissionAs(f, "LOT-1", EXPIRY))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyNotManufacturer")
        .withArgs(f.manufacturer.key.address);
    });

    it("reverts with SupplyEmptyIdentifier for an empty lot number", async function () {
      const f = await loadFixture(supplyChainFixture);
      await expect(commissionAs(f, "LOT-1", EXPIRY, { lot: `0x${"00".repeat(20)}` })).to.be.revertedWithCustomError(
        f.supplyChain,
        "SupplyEmptyIdentifier",
      );
    });

    it("reverts with SupplyZeroHash for a zero root and a zero EPCIS event hash", async function () {
      const f = await loadFixture(supplyChainFixture);
      await expect(commissionAs(f, "LOT-1", EXPIRY, { root: ZeroHash })).to.be.revertedWithCustomError(
        f.supplyChain,
        "SupplyZeroHash",
      );
      await expect(commissionAs(f, "LOT-1", EXPIRY, { epcisHash: ZeroHash })).to.be.revertedWithCustomError(
        f.supplyChain,
        "SupplyZeroHash",
      );
    });

    it("reverts with SupplyInvalidCount for 0 packs and MAX_LOT_PACKS + 1, and takes MAX_LOT_PACKS", async function () {
      const f = await loadFixture(supplyChainFixture);
      expect(await f.supplyChain.MAX_LOT_PACKS()).to.equal(BigInt(MAX_LOT_PACKS));
      for (const count of [0, MAX_LOT_PACKS + 1]) {
        await expect(commissionAs(f, "LOT-1", EXPIRY, { count }))
          .to.be.revertedWithCustomError(f.supplyChain, "SupplyInvalidCount")
          .withArgs(count, MAX_LOT_PACKS);
      }
      await expect(commissionAs(f, "LOT-1", EXPIRY, { count: MAX_LOT_PACKS })).to.emit(
        f.supplyChain,
        "LotCommissioned",
      );
      expect((await f.supplyChain.lot(GTIN, bytes20("LOT-1"))).count).to.equal(BigInt(MAX_LOT_PACKS));
    });

    it("reverts with SupplyLotExists for a lot commissioned twice, even with another root or expiry", async function () {
      const f = await loadFixture(supplyChainFixture);
      const tree = new LotTree(GTIN, "LOT-1", EXPIRY, serials(4));
      await commission(f.supplyChain, f.manufacturer, tree);
      const before = await f.supplyChain.lot(GTIN, bytes20("LOT-1"));
      await expect(commissionAs(f, "LOT-1", 291231, { root: hashOf("another root"), epcisHash: epcis("again") }))
        .to.be.revertedWithCustomError(f.supplyChain, "SupplyLotExists")
        .withArgs(GTIN, bytes20("LOT-1"));
      const after = await f.supplyChain.lot(GTIN, bytes20("LOT-1"));
      expect(after.root).to.equal(before.root);
      expect(after.expiry).to.equal(before.expiry);
    });

    it("keeps the same lot number of two GTINs apart", async function () {
      const f = await loadFixture(supplyChainFixture);
      await commission(f.supplyChain, f.manufacturer, new LotTree(GTIN, "LOT-1", EXPIRY, serials(4)));
      await commission(f.supplyChain, f.otherManufacturer, new LotTree(OTHER_GTIN, "LOT-1", EXPIRY, serials(4)));
      expect((await f.supplyChain.lot(GTIN, bytes20("LOT-1"))).manufacturer).to.equal(f.manufacturer.id);
      expect((await f.supplyChain.lot(OTHER_GTIN, bytes20("LOT-1"))).manufacturer).to.equal(f.otherManufacturer.id);
    });

    it("reverts with EnforcedPause while paused", async function () {
      const f = await loadFixture(supplyChainFixture);
      await pause(f);
      await expect(commissionAs(f, "LOT-1", EXPIRY)).to.be.revertedWithCustomError(f.supplyChain, "EnforcedPause");
    });
  });
});
