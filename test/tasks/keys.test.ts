import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";

import { DirectoryBlobStore } from "../../sdk/records/blob-store";
import { decodeEnvelope, openEnvelope, publicKeyOf, recipientsOf, sealRecord } from "../../sdk/records/envelope";
import { readKeyFile } from "../../tasks/keys";
import { anvilAvailable, startTaskNode, type TaskNode } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

const PUBLIC_KEY = /^ {2}publicKey +(0x0[23][0-9a-f]{64}) /m;
/** 32 bytes of hex standing alone (a public key is 33). */
const PRIVATE_KEY = /0x[0-9a-f]{64}(?![0-9a-f])/;

/** The public key `keys:new` printed. */
function printedPublicKey(output: string): string {
  const match = PUBLIC_KEY.exec(output);
  if (match === null) throw new Error(`no public key printed:\n${output}`);
  return match[1]!;
}

/** The one line a refused task prints: Hardhat's "Error in plugin careledger: …". */
function refusal(output: string): string {
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  expect(lines, output).to.have.length(1);
  return lines[0]!;
}

describe("tasks: keys", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  let dir: string;
  let counter = 0;
  /** A fresh path in the scratch directory. */
  const fresh = (name = "reader"): string => path.join(dir, `${name}-${++counter}.key`);

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(120_000);
    node = await startTaskNode();
    dir = path.join(node.work, "keys");
    fs.mkdirSync(dir);
  });
  after(function () {
    (node as TaskNode | undefined)?.stop(); // unset when skipped or when the node did not start
  });

  describe("careledger:keys:new", function () {
    it("writes the private key to a new file readable by its owner only and prints the matching public key", async function () {
      const out = fresh();
      const { output, code } = await node.run("careledger:keys:new", "--out", out);
      expect(code, output).to.equal(0);
      expect((fs.statSync(out).mode & 0o777).toString(8)).to.equal("600");
      const content = fs.readFileSync(out, "utf8");
      expect(content).to.match(/^0x[0-9a-f]{64}\n$/);
      const privateKey = content.trim();
      expect(printedPublicKey(output)).to.equal(publicKeyOf(privateKey));
      expect(output).to.not.contain(privateKey.slice(2));
      expect(output).to.not.match(PRIVATE_KEY);
      expect(output).to.contain(`pass --key-file ${out}`);
    });

    it("makes a different key each time", async function () {
      const [a, b] = [fresh(), fresh()];
      await node.run("careledger:keys:new", "--out", a);
      await node.run("careledger:keys:new", "--out", b);
      expect(fs.readFileSync(a, "utf8")).to.not.equal(fs.readFileSync(b, "utf8"));
    });

    it("prints the private key only when asked with --print-private", async function () {
      const out = fresh();
      const { output, code } = await node.run("careledger:keys:new", "--out", out, "--print-private");
      expect(code, output).to.equal(0);
      const privateKey = fs.readFileSync(out, "utf8").trim();
      expect(output).to.match(new RegExp(`^ {2}privateKey +${privateKey}$`, "m"));
      expect((fs.statSync(out).mode & 0o777).toString(8)).to.equal("600");
    });

    it("refuses to overwrite an existing file, and leaves it as it was", async function () {
      const out = fresh();
      fs.writeFileSync(out, "an older key\n", { mode: 0o600 });
      const { output, code } = await node.run("careledger:keys:new", "--out", out);
      expect(code).to.equal(1);
      expect(refusal(output)).to.equal(
        `Error in plugin careledger: --out ${out} already exists: a key file is never overwritten; ` +
          "choose a new name or move it away",
      );
      expect(fs.readFileSync(out, "utf8")).to.equal("an older key\n");
    });

    it("refuses a file in a directory that does not exist", async function () {
      const out = path.join(dir, "missing", "reader.key");
      const { output, code } = await node.run("careledger:keys:new", "--out", out);
      expect(code).to.equal(1);
      expect(refusal(output)).to.equal(
        `Error in plugin careledger: --out ${out}: the directory ${path.dirname(out)} does not exist`,
      );
    });
  });

  describe("key files", function () {
    it("open a record sealed for the printed public key", async function () {
      const out = fresh();
      const { output } = await node.run("careledger:keys:new", "--out", out);
      const canonical = new TextEncoder().encode('{"resourceType":"Observation","status":"final"}');
      const { envelope } = sealRecord(canonical, [printedPublicKey(output)]);
      const opened = openEnvelope(envelope, readKeyFile("key-file", out));
      expect(Buffer.from(opened.canonical).toString("utf8")).to.equal(
        '{"resourceType":"Observation","status":"final"}',
      );
    });

    it("are refused when other users can read them", async function () {
      const out = fresh();
      await node.run("careledger:keys:new", "--out", out);
      fs.chmodSync(out, 0o644);
      expect(() => readKeyFile("key-file", out)).to.throw(
        `--key-file ${out} can be read by other users (mode 0644): run chmod 600 ${out}`,
      );
    });

    it("are refused when missing or not holding a key, without echoing the content", function () {
      const missing = fresh();
      expect(() => readKeyFile("key-file", missing)).to.throw(
        `--key-file ${missing} does not exist: make a key with careledger:keys:new --out FILE`,
      );
      const wrong = fresh();
      fs.writeFileSync(wrong, "0x1234 secret-looking text\n", { mode: 0o600 });
      expect(() => readKeyFile("key-file", wrong)).to.throw(
        `--key-file ${wrong} does not hold a secp256k1 private key (one line: 0x + 64 hex digits)`,
      );
      expect(() => readKeyFile("key-file", dir)).to.throw(`--key-file ${dir} is not a file`);
    });
  });

  describe("--key-file in the record tasks", function () {
    let patient: string;
    let keyFile: string;
    let publicKey: string;
    const store = (): string => path.join(node.work, "blobs");
    const observation = (): string => {
      const file = path.join(node.work, "observation.json");
      fs.writeFileSync(
        file,
        JSON.stringify({
          resourceType: "Observation",
          status: "final",
          category: [{ coding: [{ code: "laboratory" }] }],
          code: { coding: [{ system: "http://loinc.org", code: "2823-3" }] },
          valueQuantity: { value: 4.1, unit: "mmol/L" },
        }),
      );
      return file;
    };

    before(async function () {
      this.timeout(120_000);
      const deployed = await node.run("careledger:deploy", "--parameters", "localhost");
      expect(deployed.code, deployed.output).to.equal(0);
      const registered = await node.run("careledger:identity:register-patient", "--from", "6");
      expect(registered.code, registered.output).to.equal(0);
      patient = /^Patient (\d+) registered/m.exec(registered.output)![1]!;
      keyFile = fresh("patient");
      publicKey = printedPublicKey((await node.run("careledger:keys:new", "--out", keyFile)).output);
    });

    it("seals to the key file's public key and opens the record with it: no key on the command line", async function () {
      const anchored = await node.run(
        "careledger:record:anchor",
        ...["--file", observation(), "--patient", patient, "--key-file", keyFile],
        ...["--store", store(), "--from", "6"],
      );
      expect(anchored.code, anchored.output).to.equal(0);
      const blob = /^ {2}blob +(sha256:\S+)$/m.exec(anchored.output)![1]!;
      const envelope = decodeEnvelope(await new DirectoryBlobStore(store()).get(blob));
      expect(recipientsOf(envelope)).to.deep.equal([publicKey]);

      const read = await node.run(
        "careledger:record:verify",
        ...["--patient", patient, "--blob", blob, "--key-file", keyFile, "--store", store(), "--from", "6"],
      );
      expect(read.code, read.output).to.equal(0);
      expect(read.output).to.match(/^VALID: 0x[0-9a-f]{64}$/m);
      expect(read.output).to.match(/^ {2}decrypted +Observation, \d+ canonical bytes$/m);
    });

    it("is refused with --key as well, naming both options", async function () {
      const { output, code } = await node.run(
        "careledger:record:anchor",
        ...["--file", observation(), "--patient", patient, "--key-file", keyFile],
        ...["--key", `0x${"11".repeat(32)}`, "--store", store(), "--from", "6"],
      );
      expect(code).to.equal(1);
      expect(refusal(output)).to.equal("Error in plugin careledger: give --key or --key-file, not both");
    });

    it("is refused when other users can read the file, before anything is sent", async function () {
      const loose = fresh("loose");
      await node.run("careledger:keys:new", "--out", loose);
      fs.chmodSync(loose, 0o640);
      const { output, code } = await node.run(
        "careledger:record:anchor",
        ...["--file", observation(), "--patient", patient, "--key-file", loose, "--store", store(), "--from", "6"],
      );
      expect(code).to.equal(1);
      expect(refusal(output)).to.equal(
        `Error in plugin careledger: --key-file ${loose} can be read by other users (mode 0640): run chmod 600 ${loose}`,
      );
    });

    it("record:verify --blob asks for --key-file when no key is given", async function () {
      const { output, code } = await node.run(
        "careledger:record:verify",
        ...["--patient", patient, "--blob", `sha256:${"0".repeat(64)}`, "--store", store()],
      );
      expect(code).to.equal(1);
      expect(refusal(output)).to.equal("Error in plugin careledger: --key-file (or --key) is required with --blob");
    });

    it("record:share asks for the sharer's key when none is given", async function () {
      const { output, code } = await node.run(
        "careledger:record:share",
        ...["--patient", patient, "--blob", `sha256:${"0".repeat(64)}`, "--reader", "8"],
        ...["--reader-key", publicKey, "--store", store()],
      );
      expect(code).to.equal(1);
      expect(refusal(output)).to.equal("Error in plugin careledger: give --key-file (or --key): the sharer's key");
    });

    it("never prints the private key, even when a record opens with it", async function () {
      const privateKey = fs.readFileSync(keyFile, "utf8").trim();
      const anchored = await node.run(
        "careledger:record:anchor",
        ...["--file", observation(), "--patient", patient, "--key-file", keyFile],
        ...["--store", store(), "--from", "6"],
      );
      expect(anchored.output).to.not.contain(privateKey.slice(2));
    });
  });
});
