import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";

import {
  CONTAINER_LEAF_ENCODING,
  containerContents,
  lotKey,
  lotsHash,
  PACK_LEAF_ENCODING,
  packLeafValues,
  packId,
  type Pack,
} from "../../../sdk/supplychain/identifiers";
import {
  buildContainer,
  buildLot,
  buildShipmentPackage,
  custodyPath,
  loadLot,
  type LotTree,
  shippedContents,
  SupplyTreeError,
  verifyShipmentPackage,
  type ShipmentPackage,
} from "../../../sdk/supplychain/trees";

const GTIN = "09501101530003";
const OTHER_GTIN = "04012345123456";
const PALLET = "106141411234567897";
const CASES = ["106141410000000019", "106141410000000026", "106141410000000033"];
const coder = AbiCoder.defaultAbiCoder();
/** The participant id of the manufacturer that packs the pallet (and so commits to its cases). */
const PACKER = 7n;

const serials = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** A pallet of three cases: cases 0 and 1 hold packs of lot A, case 2 holds packs of lot B (another GTIN). */
function palletFixture() {
  const lotA = buildLot(GTIN, "LOT-A", "281231", serials("A", 20));
  const lotB = buildLot(OTHER_GTIN, "LOT-B", "270600", serials("B", 10));
  const packsOf = (lot: LotTree, from: number, to: number): Pack[] =>
    lot
      .serials()
      .slice(from, to)
      .map((serial) => lot.pack(serial));
  const cases = [
    buildContainer(
      CASES[0]!,
      packsOf(lotA, 0, 10).map((pack) => ({ pack })),
      [lotA.lotKey],
      PACKER,
    ),
    buildContainer(
      CASES[1]!,
      packsOf(lotA, 10, 20).map((pack) => ({ pack })),
      [lotA.lotKey],
      PACKER,
    ),
    buildContainer(
      CASES[2]!,
      packsOf(lotB, 0, 10).map((pack) => ({ pack })),
      [lotB.lotKey],
      PACKER,
    ),
  ];
  const pallet = buildContainer(
    PALLET,
    cases.map((container) => ({ container })),
    [lotA.lotKey, lotB.lotKey],
    PACKER,
  );
  const pkg = buildShipmentPackage(pallet, [lotA, lotB]);
  const roots = new Map([
    [lotA.lotKey, lotA.root],
    [lotB.lotKey, lotB.root],
  ]);
  return { lotA, lotB, cases, pallet, pkg, roots };
}

describe("sdk/supplychain: trees", () => {
  describe("buildLot", () => {
    it("proves every pack with OpenZeppelin's StandardMerkleTree.verify, and only in its own lot", () => {
      const lot = buildLot(GTIN, "L42", "281231", serials("S", 50));
      const other = buildLot(GTIN, "L43", "281231", serials("S", 50));
      expect(lot.count).to.equal(50);
      expect(lot.lotKey).to.equal(lotKey(GTIN, "L42"));
      for (const serial of lot.serials()) {
        const leaf = packLeafValues(lot.pack(serial));
        expect(StandardMerkleTree.verify(lot.root, [...PACK_LEAF_ENCODING], leaf, lot.proof(serial))).to.be.true;
        expect(StandardMerkleTree.verify(other.root, [...PACK_LEAF_ENCODING], leaf, lot.proof(serial))).to.be.false;
      }
      // The same serial in another lot is another leaf: its proof does not open this lot's root.
      const foreign = packLeafValues(other.pack("S0"));
      expect(StandardMerkleTree.verify(lot.root, [...PACK_LEAF_ENCODING], foreign, other.proof("S0"))).to.be.false;
    });

    it("builds the very tree OpenZeppelin's StandardMerkleTree builds, and dumps in its format", () => {
      const lot = buildLot(GTIN, "L42", "281231", serials("S", 37));
      const leaves = lot.serials().map((serial) => packLeafValues(lot.pack(serial)));
      const reference = StandardMerkleTree.of(leaves, [...PACK_LEAF_ENCODING]);
      expect(lot.root).to.equal(reference.root);
      const dumped = JSON.parse(JSON.stringify(lot.dump())) as ReturnType<LotTree["dump"]>;
      const loaded = StandardMerkleTree.load(dumped.tree);
      loaded.validate();
      expect(loaded.root).to.equal(lot.root);
      lot.serials().forEach((serial, index) => expect(lot.proof(serial)).to.deep.equal(reference.getProof(index)));
    });

    it("proves the only pack of a one-pack lot with an empty proof", () => {
      const lot = buildLot(GTIN, "L1", "281231", ["ONLY"]);
      expect(lot.proof("ONLY")).to.deep.equal([]);
      expect(StandardMerkleTree.verify(lot.root, [...PACK_LEAF_ENCODING], packLeafValues(lot.pack("ONLY")), [])).to.be
        .true;
      expect(() => lot.proof("OTHER")).to.throw(SupplyTreeError, "does not hold that serial");
    });

    it("refuses an empty lot, a repeated serial and a bad serial", () => {
      expect(() => buildLot(GTIN, "L", "281231", [])).to.throw(SupplyTreeError, "at least one pack");
      expect(() => buildLot(GTIN, "L", "281231", ["A", "B", "A"])).to.throw(
        SupplyTreeError,
        "serial at index 2 repeats",
      );
      expect(() => buildLot(GTIN, "L", "281231", ["A", "B C"])).to.throw("serial at index 1 has a character outside");
      expect(() => buildLot(GTIN, "L", "281399", ["A"])).to.throw("month 13");
    });

    it("dumps to JSON and loads back the same root and proofs, refusing a tampered dump", () => {
      const lot = buildLot(GTIN, "L42", "281231", serials("S", 30));
      const loaded = loadLot(JSON.parse(JSON.stringify(lot.dump())) as ReturnType<LotTree["dump"]>);
      expect(loaded.root).to.equal(lot.root);
      expect(loaded.proof("S7")).to.deep.equal(lot.proof("S7"));
      const foreign = buildLot(GTIN, "L43", "281231", serials("S", 30)).dump();
      expect(() => loadLot({ ...foreign, lot: "L42" })).to.throw(SupplyTreeError, "is not a pack of its lot");
      const broken = lot.dump();
      broken.tree.tree[0] = `0x${"00".repeat(32)}`;
      expect(() => loadLot(broken)).to.throw();
    });

    // About 30,000 keccak256 through OpenZeppelin's tree: ~1.5 s on an idle machine; the bound leaves room for a busy CI.
    it("builds a 10,000-pack lot in a few seconds", () => {
      const started = Date.now();
      const lot = buildLot(GTIN, "BIG", "281231", serials("P", 10_000));
      expect(lot.count).to.equal(10_000);
      expect(lot.proof("P9999")).to.have.length.within(13, 15);
      expect(Date.now() - started).to.be.lessThan(10_000);
    });
  });

  describe("buildContainer", () => {
    it("commits to its children and lots as the contract computes them", () => {
      const { pallet, cases, lotA, lotB } = palletFixture();
      const [low, high] =
        BigInt(lotA.lotKey) < BigInt(lotB.lotKey) ? [lotA.lotKey, lotB.lotKey] : [lotB.lotKey, lotA.lotKey];
      expect(pallet.lotsHash).to.equal(keccak256(coder.encode(["bytes32[]"], [[low, high]])));
      expect(pallet.contents).to.equal(keccak256(coder.encode(["bytes32", "bytes32"], [pallet.root, pallet.lotsHash])));
      // A child container's leaf is its key: keccak256(abi.encode(uint64 sscc, uint64 packer, keccak256(abi.encode(root,
      // lotsHash)))).
      const caseKey = keccak256(
        coder.encode(
          ["uint64", "uint64", "bytes32"],
          [
            BigInt(CASES[1]!),
            PACKER,
            keccak256(coder.encode(["bytes32", "bytes32"], [cases[1]!.root, cases[1]!.lotsHash])),
          ],
        ),
      );
      expect(cases[1]!.key).to.equal(caseKey);
      expect(
        StandardMerkleTree.verify(
          pallet.root,
          [...CONTAINER_LEAF_ENCODING],
          [1, caseKey],
          pallet.proof({ container: cases[1]! }),
        ),
      ).to.be.true;
      // A pack's leaf is its id: the hash of its whole label, so the container commits to its lot and expiry too.
      const pack = lotA.pack("A3");
      const packLeaf = [
        0,
        keccak256(
          coder.encode(
            ["uint64", "bytes20", "bytes20", "uint32"],
            [
              BigInt(GTIN),
              `0x4133${"00".repeat(18)}`,
              `0x${Buffer.from("LOT-A").toString("hex").padEnd(40, "0")}`,
              281231,
            ],
          ),
        ),
      ];
      expect(packLeaf[1]).to.equal(packId(pack));
      expect(
        StandardMerkleTree.verify(cases[0]!.root, [...CONTAINER_LEAF_ENCODING], packLeaf, cases[0]!.proof({ pack })),
      ).to.be.true;
      // A proof from the wrong container fails.
      expect(
        StandardMerkleTree.verify(cases[1]!.root, [...CONTAINER_LEAF_ENCODING], packLeaf, cases[0]!.proof({ pack })),
      ).to.be.false;
    });

    it("refuses no children, a repeated child, itself, and a pack or a container of a lot it does not name", () => {
      const { lotA, lotB } = palletFixture();
      const pack = lotA.pack("A0");
      expect(() => buildContainer(PALLET, [], [lotA.lotKey], PACKER)).to.throw(SupplyTreeError, "at least one child");
      expect(() => buildContainer(PALLET, [{ pack }, { pack }], [lotA.lotKey], PACKER)).to.throw(
        SupplyTreeError,
        "child 1 repeats child 0",
      );
      const itself = buildContainer(PALLET, [{ pack }], [lotA.lotKey], PACKER);
      expect(() => buildContainer(PALLET, [{ container: itself }], [lotA.lotKey], PACKER)).to.throw(
        SupplyTreeError,
        "container itself",
      );
      expect(() => buildContainer(PALLET, [{ pack }], [lotB.lotKey], PACKER)).to.throw(
        SupplyTreeError,
        "lot is not among",
      );
      const caseOfA = buildContainer(CASES[0]!, [{ pack }], [lotA.lotKey], PACKER);
      expect(() => buildContainer(PALLET, [{ container: caseOfA }], [lotB.lotKey], PACKER)).to.throw(
        SupplyTreeError,
        `child 0 (container ${CASES[0]}) holds lot ${lotA.lotKey}, not among the container's lots`,
      );
      expect(
        buildContainer(PALLET, [{ container: caseOfA }], [lotA.lotKey, lotB.lotKey], PACKER).lotKeys,
      ).to.have.length(2);
      expect(() => buildContainer(PALLET, [{ pack }], [lotA.lotKey, lotA.lotKey], PACKER)).to.throw(
        SupplyTreeError,
        "repeated",
      );
      expect(() => buildContainer(PALLET, [{ pack }], [], PACKER)).to.throw(SupplyTreeError, "at least one lot");
      expect(() => buildContainer(PALLET, [{ pack }], [lotA.lotKey], PACKER).proof({ pack: lotA.pack("A1") })).to.throw(
        SupplyTreeError,
        "does not hold",
      );
    });
  });

  describe("shipment package", () => {
    it("verifies every pack offline after a JSON round trip, with custody paths innermost first", () => {
      const { pkg, roots, pallet } = palletFixture();
      const received = JSON.parse(JSON.stringify(pkg)) as ShipmentPackage;
      expect(received.format).to.equal("careledger-shipment/1");
      expect(received.packs).to.have.length(30);
      expect(received.containers).to.have.length(4);
      expect(verifyShipmentPackage(received, roots, pallet.key)).to.deep.equal([]);
      expect(shippedContents(received)).to.equal(containerContents(pallet.root, pallet.lotsHash));
      const path = custodyPath(received, 25);
      expect(path.map((step) => step.sscc)).to.deep.equal([CASES[2], PALLET]);
      expect(path[1]!.lotsHash).to.equal(lotsHash(pallet.lotKeys));
    });

    it("stores each container once and per pack only its two leaf proofs", () => {
      const { pkg } = palletFixture();
      const size = JSON.stringify(pkg).length;
      const perPack = JSON.stringify(pkg.packs[0]).length;
      expect(size).to.be.lessThan(perPack * pkg.packs.length + 4 * 1_000);
    });

    it("reports a tampered label, a wrong lot proof, a foreign pack and a broken container with reasons", () => {
      const { pkg, roots } = palletFixture();
      const tampered = JSON.parse(JSON.stringify(pkg)) as ShipmentPackage;
      tampered.packs[0]!.pack.expiry = "291231";
      tampered.packs[1]!.lotProof = tampered.packs[2]!.lotProof;
      tampered.packs[3]!.pack.serial = "A99";
      tampered.packs[4]!.pack.serial = "bad serial";
      const failures = verifyShipmentPackage(tampered, roots);
      expect(failures.map((failure) => [failure.index, failure.reason])).to.deep.equal([
        [0, "lot proof does not verify against the lot's root"],
        [1, "lot proof does not verify against the lot's root"],
        [3, "lot proof does not verify against the lot's root"],
        [4, "label is not valid: serial has a character outside GS1 set 82 at position 4"],
      ]);
      const wrongCase = JSON.parse(JSON.stringify(pkg)) as ShipmentPackage;
      wrongCase.packs[0]!.proof = wrongCase.packs[12]!.proof;
      wrongCase.containers[2]!.proof = [`0x${"11".repeat(32)}`];
      const reasons = verifyShipmentPackage(wrongCase, roots).map((failure) => failure.reason);
      expect(reasons[0]).to.equal(`proof in container ${CASES[0]} does not verify`);
      expect(reasons.slice(1)).to.deep.equal(Array(10).fill(`container proof in ${PALLET} does not verify`));
    });

    it("fails every pack when the shipped container or a lot is not what the chain holds", () => {
      const { pkg, roots, lotB } = palletFixture();
      const all = verifyShipmentPackage(pkg, roots, `0x${"22".repeat(32)}`);
      expect(all).to.have.length(30);
      expect(all[0]!.reason).to.equal("the shipped container is not the one the chain says was shipped");
      const withoutB = new Map(roots);
      withoutB.delete(lotB.lotKey);
      const failures = verifyShipmentPackage(pkg, withoutB);
      expect(failures.map((failure) => failure.index)).to.deep.equal(Array.from({ length: 10 }, (_, i) => 20 + i));
      expect(failures[0]!.reason).to.equal("its lot is not commissioned (no root for its lot key)");
      const hidden = JSON.parse(JSON.stringify(pkg)) as ShipmentPackage;
      hidden.containers[0]!.lots = hidden.containers[0]!.lots.slice(0, 1);
      expect(verifyShipmentPackage(hidden, roots)[0]!.reason).to.match(/lots do not match its lots hash/);
    });

    it("refuses to build a package without the trees it needs", () => {
      const { pallet, lotA } = palletFixture();
      expect(() => buildShipmentPackage(pallet, [lotA])).to.throw(SupplyTreeError, "lot tree was not given");
    });
  });
});
