import fs from "node:fs";
import path from "node:path";

import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import {
  buildContainer,
  buildLot,
  buildShipmentPackage,
  CaseStatus,
  type ContainerTree,
  type CustodyStep,
  EpcisDuplicateEvent,
  EpcisError,
  eventHashBytes32,
  gtinString,
  historyOf,
  keyOf,
  LotStatus,
  type Pack,
  parseEpcisDocument,
  RecallClass,
  Recipient,
  serialKey,
  shippedKey,
  SupplyChainClient,
  SuspectReason,
  toEpcisDocument,
  UnitStatus,
  verifyShipmentPackage,
} from "../../sdk";
import { GTIN, type Partner, supplyChainFixture } from "../fixtures/supplychain";
import { rejection } from "../helpers/rejection";

const GTIN_TEXT = gtinString(GTIN);
const DAY = 86_400;
/** A distinct bytes32 for each label: EPCIS event hashes and commitments of the flow tests. */
const hashOf = (label: string) => keccak256(toUtf8Bytes(label));

/** The SSCC of the fixture's manufacturer (company prefix 9501101) with `extension` and `serial`, check digit added. */
function sscc(extension: number, serial: number): string {
  const digits = `${extension}9501101${String(serial).padStart(9, "0")}`;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    sum += Number(digits[digits.length - 1 - index]) * (index % 2 === 0 ? 3 : 1);
  }
  return digits + String((10 - (sum % 10)) % 10);
}

function hop(container: ContainerTree, child: { pack: Pack } | { container: ContainerTree }): CustodyStep {
  return {
    sscc: container.sscc,
    packer: container.packer,
    childrenRoot: container.root,
    lotsHash: container.lotsHash,
    proof: container.proof(child),
  };
}

/** The fixture's partners as SDK clients. */
async function clientsFixture() {
  const f = await loadFixture(supplyChainFixture);
  const reader = SupplyChainClient.connect(f.deployer, f.deployment);
  const as = (partner: Partner) => reader.as(partner.key);
  return { ...f, reader, as };
}

/**
 * A lot of 500 packs commissioned as one root, packed in 10 virtual cases of 50 on a pallet with one transaction,
 * shipped to the distributor with its shipment package and received.
 */
async function receivedPalletFixture() {
  const f = await clientsFixture();
  const lot = buildLot(
    GTIN_TEXT,
    "L-FLOW-01",
    "291231",
    Array.from({ length: 500 }, (_, index) => `F${String(index).padStart(5, "0")}`),
  );
  const packs = lot.serials().map((serial) => lot.pack(serial));
  const cases = Array.from({ length: 10 }, (_, index) =>
    buildContainer(
      sscc(1, index + 1),
      packs.slice(index * 50, index * 50 + 50).map((pack) => ({ pack })),
      [lot.lotKey],
      f.manufacturer.id,
    ),
  );
  const pallet = buildContainer(
    sscc(0, 1),
    cases.map((container) => ({ container })),
    [lot.lotKey],
    f.manufacturer.id,
  );
  const manufacturer = f.as(f.manufacturer);
  const distributor = f.as(f.distributor);
  await manufacturer.commissionLot(lot, hashOf("commission L-FLOW-01"));
  await manufacturer.pack(pallet, hashOf("pack pallet"));
  await manufacturer.shipContainer(pallet, f.distributor.id, hashOf("TI/TS INV-1"), hashOf("ship pallet"));
  const pkg = buildShipmentPackage(pallet, [lot]);
  await distributor.receiveContainer(pallet, hashOf("receive pallet"));
  return { ...f, lot, packs, cases, pallet, pkg, asDistributor: distributor };
}

/** The pallet unpacked by the distributor; case 1 released and shipped to the hospital, which received it. */
async function caseAtHospitalFixture() {
  const f = await loadFixture(receivedPalletFixture);
  const [case1] = f.cases as [ContainerTree];
  await f.asDistributor.unpack(f.pallet, hashOf("unpack pallet"));
  await f.asDistributor.shipContainer(case1, f.hospital.id, hashOf("TI/TS SO-1"), hashOf("ship case 1"), [
    hop(f.pallet, { container: case1 }),
  ]);
  await f.as(f.hospital).receiveContainer(case1, hashOf("receive case 1"));
  return { ...f, case1, hospital: { ...f.hospital, client: f.as(f.hospital) } };
}

/**
 * The hospital dispensed the first pack of case 1 and returned the opened case to the distributor, which resold it to
 * the other pharmacy: a pack there carrying the dispensed serial is a clone.
 */
async function cloneFixture() {
  const f = await loadFixture(caseAtHospitalFixture);
  const dispensed = f.packs[0]!;
  await f.hospital.client.dispense(dispensed, [], [hop(f.case1, { pack: dispensed })], hashOf("dispense"));
  await f.hospital.client.shipContainer(f.case1, f.distributor.id, hashOf("TI/TS RMA-1"), hashOf("return case 1"));
  await f.asDistributor.receiveContainer(f.case1, hashOf("receive return"));
  await f.asDistributor.shipContainer(f.case1, f.otherPharmacy.id, hashOf("TI/TS SO-2"), hashOf("resell case 1"));
  await f.as(f.otherPharmacy).receiveContainer(f.case1, hashOf("receive resale"));
  return { ...f, dispensed };
}

describe("SupplyChainFlow", function () {
  describe("a lot from manufacturer to patient, through the SDK client", () => {
    it("commissions a lot as one root and packs a pallet of virtual cases in one transaction", async () => {
      const f = await loadFixture(receivedPalletFixture);
      const lot = await f.reader.lot(GTIN_TEXT, "L-FLOW-01");
      expect(lot).to.deep.include({ count: 500, root: f.lot.root, status: LotStatus.Active, expiry: "291231" });
      expect(lot.manufacturer).to.equal(f.manufacturer.id);
      const pallet = await f.reader.unit(f.pallet.key);
      expect(pallet).to.deep.include({ owner: f.distributor.id, packer: f.manufacturer.id, status: UnitStatus.Active });
      // The cases have no record of their own: the pallet's tree commits to them.
      expect((await f.reader.unit(f.cases[0]!.key)).status).to.equal(UnitStatus.None);
    });

    it("lets the buyer verify every pack of the shipment package offline, and catches a tampered package", async () => {
      const f = await loadFixture(receivedPalletFixture);
      const roots = new Map([[f.lot.lotKey, (await f.reader.lot(GTIN_TEXT, "L-FLOW-01")).root]]);
      // The key the chain says was shipped to the distributor, from the Shipped event.
      const shipped = (await f.reader.history(f.pallet.key)).find((event) => event.name === "Shipped");
      const chainKey = String(shipped?.args.unit);
      expect(chainKey).to.equal(shippedKey(f.pkg));
      expect(verifyShipmentPackage(f.pkg, roots, chainKey)).to.deep.equal([]);
      expect(f.pkg.packs).to.have.length(500);

      const tampered = structuredClone(f.pkg);
      tampered.packs[42]!.lotProof[0] = hashOf("forged sibling");
      tampered.packs[43]!.pack = { ...tampered.packs[43]!.pack, expiry: "301231" };
      const failures = verifyShipmentPackage(tampered, roots, chainKey);
      expect(failures.map(({ index, reason }) => [index, reason])).to.deep.equal([
        [42, "lot proof does not verify against the lot's root"],
        [43, "lot proof does not verify against the lot's root"],
      ]);
      const wrongKey = verifyShipmentPackage(f.pkg, roots, f.cases[0]!.key);
      expect(wrongKey).to.have.length(500);
      expect(wrongKey[0]!.reason).to.equal("the shipped container is not the one the chain says was shipped");
    });

    it("unpacks the pallet, releases a case on its first move and ships it to the hospital", async () => {
      const f = await loadFixture(caseAtHospitalFixture);
      expect((await f.reader.unit(f.pallet.key)).status).to.equal(UnitStatus.Unpacked);
      expect(await f.reader.unit(f.case1.key)).to.deep.include({
        owner: f.hospital.id,
        from: f.distributor.id,
        packer: f.manufacturer.id,
        status: UnitStatus.Active,
      });
      // The other cases are still loose in the distributor's unpacked pallet, without a record.
      expect((await f.reader.unit(f.cases[1]!.key)).status).to.equal(UnitStatus.None);
    });

    it("dispenses a pack with an empty lot proof through the case its manufacturer packed", async () => {
      const f = await loadFixture(caseAtHospitalFixture);
      const pack = f.packs[3]!;
      const path = [hop(f.case1, { pack })];
      expect(await f.reader.verify(pack, [], path)).to.deep.include({
        genuine: true,
        saleable: true,
        owner: f.hospital.id,
      });
      const result = await f.hospital.client.dispense(pack, [], path, hashOf("dispense 3"));
      expect(result).to.deep.include({ dispensed: true, caseId: 0n });
      expect(await f.reader.packRecord(pack)).to.deep.include({ owner: f.hospital.id, status: UnitStatus.Dispensed });
      expect(await f.reader.verify(pack, f.lot.proof(pack.serial), [])).to.deep.include({
        genuine: true,
        dispensed: true,
        saleable: false,
      });
    });

    it("catches a clone at a second pharmacy, finds it illegitimate, notifies inside 24 hours and closes", async () => {
      const f = await loadFixture(cloneFixture);
      const pharmacy = f.as(f.otherPharmacy);
      const clone = await pharmacy.dispense(
        f.dispensed,
        f.lot.proof(f.dispensed.serial),
        [hop(f.case1, { pack: f.dispensed })],
        hashOf("dispense the clone"),
      );
      expect(clone.dispensed).to.equal(false);
      expect(clone.caseId).to.equal(1n);
      expect((await f.reader.packRecord(f.dispensed)).status).to.equal(UnitStatus.Quarantined);
      expect(await f.reader.investigation(clone.caseId)).to.deep.include({
        reason: SuspectReason.DuplicateSerial,
        status: CaseStatus.Open,
        investigator: f.otherPharmacy.id,
        supplier: f.distributor.id,
        customer: 0n,
      });

      const regulator = f.as(f.regulator);
      await time.increase(4 * 3_600);
      await regulator.decide(clone.caseId, true, hashOf("investigation report"));
      expect((await f.reader.packRecord(f.dispensed)).status).to.equal(UnitStatus.Illegitimate);
      expect(await rejection(regulator.closeCase(clone.caseId))).to.match(/^ProductSafetyNotificationsPending\(1\)/);

      await time.increase(20 * 3_600);
      await pharmacy.notify(clone.caseId, Recipient.Regulator, hashOf("FDA Form 3911"));
      await pharmacy.notify(clone.caseId, Recipient.Supplier, hashOf("notice to the distributor"));
      const notified = await f.reader.investigation(clone.caseId);
      expect(Number(notified.regulatorNotifiedAt - notified.determinedAt)).to.be.lessThan(DAY);
      expect(Number(notified.supplierNotifiedAt - notified.determinedAt)).to.be.lessThan(DAY);
      await time.increase(DAY);
      expect(await f.reader.openIllegitimateCases()).to.deep.equal([{ caseId: 1n, overdue: [] }]);

      await regulator.closeCase(clone.caseId, hashOf("closure"));
      expect((await f.reader.investigation(clone.caseId)).status).to.equal(CaseStatus.Closed);
      expect(await f.reader.openIllegitimateCases()).to.deep.equal([]);
      expect((await f.reader.packRecord(f.dispensed)).status).to.equal(UnitStatus.Illegitimate);
    });

    it("lists an overdue notification once 24 hours passed without it", async () => {
      const f = await loadFixture(cloneFixture);
      const pharmacy = f.as(f.otherPharmacy);
      const { caseId } = await pharmacy.dispense(
        f.dispensed,
        f.lot.proof(f.dispensed.serial),
        [hop(f.case1, { pack: f.dispensed })],
        hashOf("dispense the clone"),
      );
      await pharmacy.decide(caseId, true);
      await pharmacy.notify(caseId, Recipient.Regulator, hashOf("FDA Form 3911"));
      await time.increase(DAY + 1);
      expect(await f.reader.openIllegitimateCases()).to.deep.equal([{ caseId, overdue: [Recipient.Supplier] }]);
    });

    it("computes the recall reach of a recalled lot: who holds its containers now", async () => {
      const f = await loadFixture(clientsFixture);
      const manufacturer = f.as(f.manufacturer);
      const lot = buildLot(GTIN_TEXT, "L-RECALL", "291231", ["R1", "R2", "R3", "R4"]);
      const [caseA, caseB] = [0, 1].map((index) =>
        buildContainer(
          sscc(2, index + 1),
          [lot.pack(`R${2 * index + 1}`), lot.pack(`R${2 * index + 2}`)].map((pack) => ({ pack })),
          [lot.lotKey],
          f.manufacturer.id,
        ),
      ) as [ContainerTree, ContainerTree];
      await manufacturer.commissionLot(lot, hashOf("commission L-RECALL"));
      await manufacturer.pack(caseA, hashOf("pack A"));
      await manufacturer.pack(caseB, hashOf("pack B"));
      await manufacturer.shipContainer(caseA, f.otherPharmacy.id, hashOf("TI/TS recall"), hashOf("ship A"));
      await f.as(f.otherPharmacy).receiveContainer(caseA, hashOf("receive A"));
      // The manufacturer opens case B and sells pack R4 alone: released from the case, it is a pack, not a container.
      await manufacturer.unpack(caseB, hashOf("unpack B"));
      const r4 = lot.pack("R4");
      await manufacturer.shipPack(r4, [], [hop(caseB, { pack: r4 })], f.hospital.id, hashOf("TI/TS R4"), hashOf("R4"));
      await f.as(f.hospital).receivePack(r4, hashOf("receive R4"));

      await manufacturer.recall(GTIN_TEXT, "L-RECALL", RecallClass.I, hashOf("recall notice"));
      expect(await f.reader.lot(GTIN_TEXT, "L-RECALL")).to.deep.include({
        status: LotStatus.Recalled,
        recallClass: RecallClass.I,
      });
      const reach = await f.reader.recallReach(GTIN_TEXT, "L-RECALL");
      expect(reach.lotKey).to.equal(lot.lotKey);
      expect(reach.containers.map((unit) => unit.key).sort()).to.deep.equal([keyOf(caseA), keyOf(caseB)].sort());
      expect(reach.packs.map((unit) => unit.key)).to.deep.equal([serialKey(GTIN_TEXT, "R4")]);
      expect(reach.holders).to.have.deep.members([
        { participant: f.manufacturer.id, containers: 1, packs: 0 },
        { participant: f.otherPharmacy.id, containers: 1, packs: 0 },
        { participant: f.hospital.id, containers: 0, packs: 1 },
      ]);
      const pack = lot.pack("R1");
      expect(
        await rejection(f.as(f.otherPharmacy).dispense(pack, [], [hop(caseA, { pack })], hashOf("dispense R1"))),
      ).to.match(/^SupplyLotBlocked\(/);
    });
  });

  describe("recall reach of a lot whose pallet was unpacked", () => {
    it("counts the owner of an unpacked pallet, whose loose cases hold the lot, beside the released case's", async () => {
      const f = await loadFixture(caseAtHospitalFixture);
      await f.as(f.manufacturer).recall(GTIN_TEXT, "L-FLOW-01", RecallClass.II, hashOf("recall notice"));
      const reach = await f.reader.recallReach(GTIN_TEXT, "L-FLOW-01");
      // Nine cases are loose in the distributor's unpacked pallet, without records of their own; one is the hospital's.
      expect(reach.holders).to.have.deep.members([
        { participant: f.distributor.id, containers: 1, packs: 0 },
        { participant: f.hospital.id, containers: 1, packs: 0 },
      ]);
      const pallet = reach.containers.find((unit) => unit.key === f.pallet.key);
      expect(pallet?.status).to.equal(UnitStatus.Unpacked);
    });
  });

  describe("re-aggregation through the SDK client: units with records are sealed, then released", () => {
    it("seals the hospital's case in a tote by default, refuses selling it alone, and releases it to the tote's buyer", async () => {
      const f = await loadFixture(caseAtHospitalFixture);
      const hospital = f.hospital.client;
      // The tote holds the case (a record of its own) and a pack that never moved alone (none).
      const loose = f.packs[60]!;
      const tote = buildContainer(sscc(5, 1), [{ container: f.case1 }, { pack: loose }], [f.lot.lotKey], f.hospital.id);
      expect(await hospital.recordedChildren(tote)).to.deep.equal([f.case1.key]);
      const packed = await hospital.pack(tote, hashOf("pack tote"));
      expect(packed.sealed).to.deep.equal([f.case1.key]);
      expect((await f.reader.unit(f.case1.key)).status).to.equal(UnitStatus.Sealed);
      expect(await f.reader.sealedUnits(tote.key)).to.deep.equal([f.case1.key]);
      expect(await f.reader.containerOf(f.case1.key)).to.equal(tote.key.toLowerCase());
      expect(
        await rejection(hospital.shipContainer(f.case1, f.otherPharmacy.id, hashOf("TI/TS X"), hashOf("ship alone"))),
      ).to.match(/^SupplySealedIn\(/);
      await hospital.shipContainer(tote, f.otherPharmacy.id, hashOf("TI/TS SO-9"), hashOf("ship tote"));
      const pharmacy = f.as(f.otherPharmacy);
      await pharmacy.receiveContainer(tote, hashOf("receive tote"));
      const opened = await pharmacy.unpack(tote, hashOf("unpack tote"));
      expect(opened.released).to.deep.equal([f.case1.key]);
      expect(await f.reader.unit(f.case1.key)).to.deep.include({
        owner: f.otherPharmacy.id,
        from: f.hospital.id,
        status: UnitStatus.Active,
      });
      expect(await f.reader.sealedUnits(tote.key)).to.deep.equal([]);
      expect(await f.reader.containerOf(f.case1.key)).to.equal(undefined);
      // The case's history names the tote: sealed in it, released from it.
      const names = (await f.reader.history(f.case1.key)).map((event) => event.name);
      expect(names.slice(-2)).to.deep.equal(["UnitSealed", "UnitReleased"]);
    });
  });

  describe("EPCIS event hashes", () => {
    it("says whether a hash was anchored, and refuses a reused one before sending anything", async () => {
      const f = await loadFixture(receivedPalletFixture);
      expect(await f.reader.eventHashSeen(hashOf("ship pallet"))).to.equal(true);
      expect(await f.reader.eventHashSeen(hashOf("never anchored"))).to.equal(false);
      const nonce = await f.distributor.key.getNonce();
      const reused = f.asDistributor.unpack(f.pallet, hashOf("ship pallet"));
      const error = await reused.catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(EpcisDuplicateEvent);
      expect((error as EpcisDuplicateEvent).eventHash).to.equal(hashOf("ship pallet"));
      expect(await f.distributor.key.getNonce()).to.equal(nonce);
      expect((await f.reader.unit(f.pallet.key)).status).to.equal(UnitStatus.Active);
    });

    it("forgets a hash whose block a reverted snapshot undid, though it reads each block only once", async () => {
      const f = await loadFixture(receivedPalletFixture);
      const snapshot = (await network.provider.send("evm_snapshot", [])) as string;
      await f.asDistributor.unpack(f.pallet, hashOf("unpack, then undone"));
      // The distributor's client and the reader share what they read: one client's write is the other's duplicate.
      expect(await f.reader.eventHashSeen(hashOf("unpack, then undone"))).to.equal(true);
      await network.provider.send("evm_revert", [snapshot]);
      await mine(3);
      expect(await f.reader.eventHashSeen(hashOf("unpack, then undone"))).to.equal(false);
      expect(await f.reader.eventHashSeen(hashOf("ship pallet"))).to.equal(true);
      await f.asDistributor.unpack(f.pallet, hashOf("unpack, then undone"));
      expect((await f.reader.unit(f.pallet.key)).status).to.equal(UnitStatus.Unpacked);
    });

    it("gives the pallet's history in chain order", async () => {
      const f = await loadFixture(caseAtHospitalFixture);
      const history = await f.reader.history(f.pallet.key);
      expect(history.map((event) => event.name)).to.deep.equal([
        "ContainerPacked",
        "Shipped",
        "Received",
        "ContainerUnpacked",
        "UnitReleased",
      ]);
      expect(history.map((event) => event.args.epcisHash)).to.deep.equal([
        hashOf("pack pallet"),
        hashOf("ship pallet"),
        hashOf("receive pallet"),
        hashOf("unpack pallet"),
        undefined,
      ]);
      const ordered = history.every(
        (event, index) =>
          index === 0 ||
          event.blockNumber > history[index - 1]!.blockNumber ||
          (event.blockNumber === history[index - 1]!.blockNumber && event.logIndex > history[index - 1]!.logIndex),
      );
      expect(ordered).to.equal(true);
      expect(history[4]!.args).to.deep.include({ unit: f.case1.key, parent: f.pallet.key });
    });
  });

  describe("EPCIS round trip: read → chain → export", () => {
    const DOCUMENT = path.join(__dirname, "..", "fixtures", "data", "supplychain-epcis.json");
    const read = () => JSON.parse(fs.readFileSync(DOCUMENT, "utf8")) as Record<string, unknown>;

    it("drives the chain with each event's hash and exports the anchored events with the same hashes", async () => {
      const f = await loadFixture(clientsFixture);
      const document = read();
      const actions = parseEpcisDocument(document);
      expect(actions.map((action) => action.kind)).to.deep.equal([
        "commission",
        "pack",
        "ship",
        "receive",
        "unpack",
        "ship",
        "receive",
        "decommission",
      ]);
      const parties = new Map<string, Partner>([
        ["urn:epc:id:pgln:9501101.00000", f.manufacturer],
        ["urn:epc:id:pgln:4012345.00000", f.distributor],
        ["urn:epc:id:pgln:4023333.00000", f.hospital],
      ]);
      let lot: ReturnType<typeof buildLot> | undefined;
      const containers = new Map<string, ContainerTree>();
      let pallet: ContainerTree | undefined;
      let holder: Partner = f.manufacturer;
      for (const action of actions) {
        const hash = eventHashBytes32(action.eventHash);
        const by = f.as(holder);
        switch (action.kind) {
          case "commission": {
            const [first] = action.packs;
            lot = buildLot(
              first!.gtin,
              first!.lot,
              first!.expiry,
              action.packs.map((pack) => pack.serial),
            );
            await by.commissionLot(lot, hash);
            break;
          }
          case "pack": {
            // The document names the cases on the pallet; which packs each case holds is the manufacturer's packing
            // list (three each): the pallet's tree commits to the cases, and theirs to the packs.
            const packs = lot!.serials().map((serial) => lot!.pack(serial));
            action.children.forEach((child, index) => {
              if (child.type !== "sscc") throw new Error("the pallet holds cases");
              const inCase = packs.slice(index * 3, index * 3 + 3).map((pack) => ({ pack }));
              containers.set(child.sscc, buildContainer(child.sscc, inCase, [lot!.lotKey], f.manufacturer.id));
            });
            pallet = buildContainer(
              action.parent,
              [...containers.values()].map((container) => ({ container })),
              [lot!.lotKey],
              f.manufacturer.id,
            );
            containers.set(action.parent, pallet);
            await by.pack(pallet, hash);
            break;
          }
          case "ship": {
            const [epc] = action.epcs;
            if (epc?.type !== "sscc") throw new Error("the document ships containers");
            const container = containers.get(epc.sscc)!;
            const buyer = parties.get(action.destination!)!;
            const path = container === pallet ? [] : [hop(pallet!, { container })];
            const unitKey = await f.reader.unit(container.key);
            const released = unitKey.status === UnitStatus.None ? path : [];
            await by.shipContainer(container, buyer.id, hashOf(action.bizTransactions[0]!.id), hash, released);
            holder = buyer;
            break;
          }
          case "receive": {
            const [epc] = action.epcs;
            if (epc?.type !== "sscc") throw new Error("the document receives containers");
            await by.receiveContainer(containers.get(epc.sscc)!, hash);
            break;
          }
          case "unpack":
            await by.unpack(containers.get(action.parent)!, hash);
            break;
          case "decommission": {
            const [epc] = action.epcs;
            if (epc?.type !== "sgtin") throw new Error("the document dispenses a pack");
            const pack = lot!.pack(epc.serial);
            const inCase = [...containers.values()].find(
              (container) =>
                container !== pallet && container.children.some((c) => "pack" in c && c.pack.serial === pack.serial),
            )!;
            const result = await by.dispense(pack, [], [hop(inCase, { pack })], hash);
            expect(result.dispensed).to.equal(true);
            break;
          }
          default:
            throw new Error(`the document has no ${action.kind}`);
        }
      }

      // Export: the document's events whose hashes the chain anchored, rebuilt as an EPCIS 2.0 document.
      const anchored = new Set(
        (await f.reader.events())
          .map((event) => event.args.epcisHash)
          .filter((value): value is string => typeof value === "string"),
      );
      const entries = historyOf(document).filter((entry) => anchored.has(eventHashBytes32(entry.eventHash)));
      expect(entries).to.have.length(actions.length);
      const exported = JSON.parse(JSON.stringify(toEpcisDocument(entries))) as unknown;
      const again = parseEpcisDocument(exported);
      expect(again.map((action) => action.eventHash)).to.deep.equal(actions.map((action) => action.eventHash));
      for (const action of again)
        expect(await f.reader.eventHashSeen(eventHashBytes32(action.eventHash))).to.equal(true);
      // The pallet's own history, exported: packed, shipped, received, unpacked.
      const palletHashes = new Set((await f.reader.history(pallet!.key)).map((event) => event.args.epcisHash));
      const palletDocument = toEpcisDocument(
        historyOf(document).filter((entry) => palletHashes.has(eventHashBytes32(entry.eventHash))),
      );
      expect(parseEpcisDocument(palletDocument).map((action) => action.kind)).to.deep.equal([
        "pack",
        "ship",
        "receive",
        "unpack",
      ]);
      // Replaying the document is refused before anything is sent: every hash was captured.
      const replay = await rejection(f.as(f.manufacturer).commissionLot(lot!, eventHashBytes32(actions[0]!.eventHash)));
      expect(replay).to.equal(`event ${eventHashBytes32(actions[0]!.eventHash)} was already captured`);
    });

    it("rejects malformed documents with the reason", () => {
      const refusal = (change: (events: Record<string, unknown>[]) => void): string => {
        const document = read();
        change((document.epcisBody as { eventList: Record<string, unknown>[] }).eventList);
        try {
          parseEpcisDocument(document);
        } catch (error) {
          expect(error).to.be.instanceOf(EpcisError);
          return (error as Error).message;
        }
        throw new Error("expected the document to be refused");
      };
      expect(refusal((events) => (events[1]!.parentID = "https://id.gs1.org/00/095011010000000019"))).to.equal(
        "event 1: EPC SSCC check digit is 9, expected 8",
      );
      expect(
        refusal((events) => (events[0]!.ilmd = { "cbvmda:lotNumber": "L-EPCIS-01", "example:batchNote": "x" })),
      ).to.match(/^event 0: /);
      expect(refusal((events) => (events[7]!.errorDeclaration = { reason: "incorrect_data" }))).to.equal(
        "event 7: errorDeclaration.declarationTime is missing",
      );
    });
  });
});
