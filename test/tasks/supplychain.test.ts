import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";

import { digitalLink, elementString } from "../../sdk/supplychain/datamatrix";
import { gs1CheckDigit } from "../../sdk/supplychain/identifiers";
import type { ShipmentPackage } from "../../sdk/supplychain/trees";
import { anvilAvailable, startTaskNode, type TaskNode, field, refusal } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

// The supply-chain tasks through the command line against a real node: one drug's journey from commissioning to
// dispensing, suspect product, a recall and its reach, and the refusals an operator meets on the way.

const GTIN = "09501101530003";
const UNREGISTERED_GTIN = "09501101530010";
const LOT = "L2026A";
const EXPIRY = "301231";
const REGISTRAR = "2";
/** Development accounts acting as the trading partners (registered in `before`, ids 1 to 4 in this order). */
const MANUFACTURER = "5";
const DISTRIBUTOR = "6";
const PHARMACY = "7";
const REGULATOR = "8";

function sscc(reference: number): string {
  const body = `0950110${String(reference).padStart(10, "0")}`;
  return `${body}${gs1CheckDigit(body)}`;
}

describe("tasks: supply chain", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  const file = (name: string): string => path.join(node.work, name);
  const ok = async (...argv: string[]): Promise<string> => {
    const result = await node.run(...argv);
    expect(result.code, result.output).to.equal(0);
    if (process.env.SHOW === "1") console.log(`$ ${argv.join(" ")}\n${result.output}`);
    return result.output;
  };
  const pack = (serial: string) => ({ gtin: GTIN, serial, lot: LOT, expiry: EXPIRY });

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(180_000);
    node = await startTaskNode();
    await ok("careledger:deploy", "--parameters", "localhost");
    const partners: [string, string][] = [
      ["manufacturer", MANUFACTURER],
      ["distributor", DISTRIBUTOR],
      ["pharmacy", PHARMACY],
      ["regulator", REGULATOR],
    ];
    for (const [kind, account] of partners) {
      await ok(
        ...["careledger:identity:register", "--kind", kind, "--controller", account],
        ...["--credential", `licence ${kind} ${account}`, "--expires", "2040-01-01", "--from", REGISTRAR],
      );
    }
    fs.writeFileSync(file("ti.txt"), "DSCSA transaction information and statement, invoice 42");
    fs.writeFileSync(file("notice.txt"), "FDA Form 3911, case of the cloned serial");
  });
  after(function () {
    (node as TaskNode | undefined)?.stop();
  });

  it("runs a drug from commissioning to dispensing, suspect product, recall and reach", async function () {
    this.timeout(150_000);
    // The manufacturer registers its GTIN, commissions 20 packs, and packs them in 4 cases on a pallet.
    expect(await ok("careledger:supply:product", "--gtin", GTIN, "--from", MANUFACTURER)).to.match(
      new RegExp(`^Product ${GTIN} registered\n  manufacturer  1\n  gasUsed +\\d+\n  tx +0x[0-9a-f]{64}\n$`),
    );
    const commissioned = await ok(
      ...["careledger:supply:commission", "--gtin", GTIN, "--lot", LOT, "--expiry", EXPIRY, "--count", "20"],
      ...["--out", file("lot.json"), "--from", MANUFACTURER],
    );
    expect(commissioned.split("\n")[0]).to.equal(`Lot ${LOT} of ${GTIN} commissioned`);
    expect(field(commissioned, "count")).to.equal("20");
    expect(field(commissioned, "root")).to.match(/^0x[0-9a-f]{64}$/);
    const packed = await ok(
      ...["careledger:supply:pack", "--sscc", sscc(1), "--lot-file", file("lot.json"), "--range", "0:20"],
      ...["--cases-of", "5", "--pallet", sscc(100), "--out", file("pallet.json"), "--from", MANUFACTURER],
    );
    expect(packed.split("\n")[0]).to.equal(`Container ${sscc(100)} packed`);
    expect(field(packed, "holds")).to.equal(`4 cases (${sscc(1)} …) of up to 5, 20 packs`);

    // It ships the pallet with a shipment package; the distributor verifies every pack before receiving it.
    const shipped = await ok(
      ...["careledger:supply:ship", "--container", file("pallet.json"), "--buyer", "2", "--ti", file("ti.txt")],
      ...["--package", file("pallet-package.json"), "--from", MANUFACTURER],
    );
    expect(shipped.split("\n")[0]).to.equal(`Container ${sscc(100)} shipped to participant 2`);
    expect(field(shipped, "package")).to.contain("(20 packs: hand it to the buyer)");
    const received = await ok(
      ...["careledger:supply:receive", "--package", file("pallet-package.json"), "--from", DISTRIBUTOR],
    );
    expect(field(received, "verified")).to.equal("all 20 packs against their lots' roots on chain");

    // The distributor unpacks the pallet and ships one case on to the pharmacy, which receives it.
    await ok("careledger:supply:unpack", "--container", file("pallet-package.json"), "--from", DISTRIBUTOR);
    const onward = await ok(
      ...["careledger:supply:ship", "--container", file("pallet-package.json"), "--sscc", sscc(1), "--to", PHARMACY],
      ...["--ti", file("ti.txt"), "--package", file("case-package.json"), "--from", DISTRIBUTOR],
    );
    expect(field(onward, "path")).to.equal(`out of ${sscc(100)}`);
    await ok("careledger:supply:receive", "--package", file("case-package.json"), "--from", PHARMACY);

    // The pharmacy scans a pack, sees it saleable and owned by it, and dispenses it.
    const scan = elementString(pack("S01"));
    const verified = await ok("careledger:supply:verify", "--scan", scan, "--package", file("case-package.json"));
    expect(verified.split("\n")[0]).to.equal(`SALEABLE: GTIN ${GTIN} serial S01 lot ${LOT} expiry ${EXPIRY}`);
    expect(field(verified, "genuine")).to.match(/^yes/);
    expect(field(verified, "owner")).to.equal("participant 3");
    expect(field(verified, "lot")).to.equal("active");
    const dispensed = await ok(
      ...["careledger:supply:dispense", "--scan", scan, "--package", file("case-package.json"), "--from", PHARMACY],
    );
    expect(dispensed.split("\n")[0]).to.equal(`Dispensed: GTIN ${GTIN} serial S01 lot ${LOT}`);
    const after = await ok(
      "careledger:supply:verify",
      "--link",
      digitalLink(pack("S01")),
      "--lot-file",
      file("lot.json"),
    );
    expect(field(after, "dispensed")).to.equal("yes");
    expect(field(after, "saleable")).to.equal("no");

    // A clone of S01 is refused at the pharmacy (a case opens); it quarantines another pack, found illegitimate.
    const clone = await ok(
      ...["careledger:supply:dispense", "--scan", scan, "--package", file("case-package.json"), "--from", PHARMACY],
    );
    expect(clone.split("\n")[0]).to.equal(`NOT DISPENSED: serial S01 of ${GTIN} was dispensed before: a clone`);
    const quarantined = await ok(
      ...["careledger:supply:quarantine", "--scan", elementString(pack("S02")), "--package", file("case-package.json")],
      ...["--reason", "suspected-counterfeit", "--from", PHARMACY],
    );
    const caseId = /case (\d+) opened/.exec(quarantined)?.[1] ?? "";
    expect(quarantined.split("\n")[0]).to.equal(`Quarantined pack S02 of ${GTIN}: case ${caseId} opened`);
    expect(field(quarantined, "reason")).to.equal("suspected-counterfeit");
    expect(await ok("careledger:supply:decide", "--case", caseId, "--illegitimate", "--from", PHARMACY)).to.contain(
      `Case ${caseId} decided: illegitimate`,
    );
    const pending = await ok("careledger:supply:cases");
    expect(pending).to.contain(`case ${caseId}: pack`);
    const notified = await ok(
      ...["careledger:supply:notify", "--case", caseId, "--recipient", "regulator", "--notice", file("notice.txt")],
      ...["--from", PHARMACY],
    );
    expect(notified.split("\n")[0]).to.equal(`Case ${caseId}: regulator notified`);

    // The manufacturer recalls the lot; the reach shows who holds its containers; its packs no longer ship.
    const recalled = await ok(
      ...["careledger:supply:recall", "--gtin", GTIN, "--lot", LOT, "--class", "ii", "--notice", file("notice.txt")],
      ...["--from", MANUFACTURER],
    );
    expect(recalled.split("\n")[0]).to.equal(`Lot ${LOT} of ${GTIN} recalled, class II`);
    const reach = await ok("careledger:supply:reach", "--gtin", GTIN, "--lot", LOT, "--lot-file", file("lot.json"));
    expect(reach.split("\n")[0]).to.equal(`Recall reach of lot ${LOT} of ${GTIN}: recalled (class II)`);
    expect(field(reach, "participant 3")).to.match(/^1 container\(s\)/);
    expect(field(reach, "dispensed")).to.equal("1");
    // S02, quarantined inside the pharmacy's case, is held with the case, not by its manufacturer.
    expect(reach).not.to.contain("participant 1 ");
    const history = await ok("careledger:supply:history", "--scan", scan);
    expect(history.split("\n")[0]).to.match(/^History of pack S01 of \d+ \(0x[0-9a-f]{64}\): \d+ event\(s\)$/);
    expect(history).to.contain(`Dispensed (serialKey`);
    expect(history).to.match(
      /Quarantined \(caseId 1, subject 0x[0-9a-f]{64}, investigator participant 3, reason duplicate-serial\)/,
    );
    await ok("careledger:supply:history", "--gtin", GTIN, "--lot", LOT, "--out", file("history.json"));
    expect(JSON.parse(fs.readFileSync(file("history.json"), "utf8"))).to.have.length.above(2);
    expect(
      refusal(
        await node.run(
          ...[
            "careledger:supply:ship",
            "--container",
            file("pallet-package.json"),
            "--sscc",
            sscc(2),
            "--to",
            PHARMACY,
          ],
          ...["--ti", file("ti.txt"), "--from", DISTRIBUTOR],
        ),
      ),
    ).to.match(/^the contract refused: Supply\w+/);
  });

  describe("refusals", function () {
    it("refuses a scan that is not a GS1 pack, and a Digital Link without a serial, in one line", async function () {
      expect(refusal(await node.run("careledger:supply:verify", "--scan", "(01)09501101530004(21)X"))).to.match(
        /^--scan: .*check digit/,
      );
      expect(
        refusal(await node.run("careledger:supply:verify", "--link", "https://id.gs1.org/01/09501101530003")),
      ).to.match(/^--link: /);
      expect(refusal(await node.run("careledger:supply:verify"))).to.equal("give either --scan STRING or --link URL");
    });

    it("refuses an unregistered GTIN before building or sending anything", async function () {
      expect(
        refusal(
          await node.run(
            ...["careledger:supply:commission", "--gtin", UNREGISTERED_GTIN, "--lot", "X1", "--expiry", EXPIRY],
            ...["--count", "3", "--out", file("x.json"), "--from", MANUFACTURER],
          ),
        ),
      ).to.equal(
        `--gtin ${UNREGISTERED_GTIN} is not a registered product: its manufacturer registers it with ` +
          "careledger:supply:product",
      );
      expect(fs.existsSync(file("x.json"))).to.equal(false);
    });

    it("refuses a shipment by someone who does not own the container, naming the contract's error", async function () {
      await ok(
        ...["careledger:supply:commission", "--gtin", GTIN, "--lot", "L2", "--expiry", EXPIRY, "--count", "4"],
        ...["--out", file("lot2.json"), "--from", MANUFACTURER],
      );
      await ok(
        ...["careledger:supply:pack", "--sscc", sscc(200), "--lot-file", file("lot2.json"), "--range", "0:4"],
        ...["--out", file("case2.json"), "--from", MANUFACTURER],
      );
      expect(
        refusal(
          await node.run(
            ...["careledger:supply:ship", "--container", file("case2.json"), "--to", PHARMACY, "--ti", file("ti.txt")],
            ...["--from", DISTRIBUTOR],
          ),
        ),
      ).to.match(/^the contract refused: SupplyNotOwner/);
    });

    it("refuses to receive a shipment whose package does not verify, counting the failures", async function () {
      await ok(
        ...["careledger:supply:ship", "--container", file("case2.json"), "--buyer", "2", "--ti", file("ti.txt")],
        ...["--package", file("case2-package.json"), "--from", MANUFACTURER],
      );
      const pkg = JSON.parse(fs.readFileSync(file("case2-package.json"), "utf8")) as ShipmentPackage;
      pkg.packs[1]!.lotProof = pkg.packs[0]!.lotProof;
      fs.writeFileSync(file("forged.json"), JSON.stringify(pkg));
      expect(
        refusal(await node.run("careledger:supply:receive", "--package", file("forged.json"), "--from", DISTRIBUTOR)),
      ).to.equal(
        `the shipment package does not verify: 1 of 4 packs fail; the first, serial ${pkg.packs[1]!.pack.serial} ` +
          "of lot L2: lot proof does not verify against the lot's root; nothing was received",
      );
    });

    it("refuses a partner's file of the right format but the wrong shape in one line, not a stack trace", async function () {
      fs.writeFileSync(
        file("bent.json"),
        JSON.stringify({
          format: "careledger-containers/1",
          lotFiles: [],
          containers: [{ sscc: sscc(300), children: 5 }],
        }),
      );
      expect(refusal(await node.run("careledger:supply:unpack", "--container", file("bent.json")))).to.match(
        new RegExp(`^--container ${file("bent.json")}: malformed careledger-containers/1 \\(.+\\)$`),
      );
      fs.writeFileSync(file("bent-package.json"), JSON.stringify({ format: "careledger-shipment/1", shipped: {} }));
      expect(refusal(await node.run("careledger:supply:unpack", "--container", file("bent-package.json")))).to.match(
        new RegExp(`^--container ${file("bent-package.json")}: malformed careledger-shipment/1 \\(.+\\)$`),
      );
    });

    it("lists the names an enum-valued option takes", async function () {
      expect(
        refusal(
          await node.run(
            ...["careledger:supply:quarantine", "--gtin", GTIN, "--lot", LOT, "--reason", "aliens"],
            ...["--from", MANUFACTURER],
          ),
        ),
      ).to.equal(
        "--reason must be missing-or-wrong-data, overage, underage, suspected-counterfeit, diversion, theft, " +
          'tampering, duplicate-serial, failed-verification or other, got "aliens"',
      );
      expect(
        refusal(await node.run("careledger:supply:decide", "--case", "999", "--cleared", "--from", REGULATOR)),
      ).to.equal("--case 999: there is no such investigation");
    });
  });
});
