import fs from "node:fs";
import http from "node:http";
import path from "node:path";

import { expect } from "chai";

import { anvilAvailable, DEV_MNEMONIC, startTaskNode, type TaskNode } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

/** A stack frame as Node prints it: what an operator must never see under a refusal. */
const STACK_FRAME = /^ +at .*:\d+:\d+\)?$/m;

/**
 * careledger:deploy against a real node process (anvil at gas price 0): progress per module and every address at the
 * end (finding 6 of issue 14); a recorded deployment that is not on the chain — the node restarted without its state —
 * stopping every task with one line that says to reset (finding 1); `--reset` starting over on a development network
 * and refused on the consortium.
 */
describe("tasks: careledger:deploy", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  let deployed: string;

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(180_000);
    node = await startTaskNode();
    const result = await node.run("careledger:deploy", "--parameters", "localhost");
    expect(result.code, result.output).to.equal(0);
    deployed = result.output;
  });

  after(function () {
    (node as TaskNode | undefined)?.stop(); // undefined when the file was skipped
  });

  describe("progress and addresses", function () {
    it("says where it deploys, then reports each Ignition module as it completes", function () {
      expect(deployed).to.contain(
        `Deploying CareLedger to network localhost (${node.url}), chain ${node.chainId}, with ` +
          "deploy/parameters/localhost.json",
      );
      const modules = [...deployed.matchAll(/^ {2}\[(\d+)\/(\d+)\] (\w+): (.*)$/gm)].filter(
        ([, , total]) => total === "10",
      );
      expect(modules.map(([, done]) => Number(done))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(modules.map(([, , , module]) => module)).to.have.members([
        "AccessManager",
        "ConsentPolicy",
        "IdentityRegistry",
        "IdentifierRegistry",
        "ConsentRegistry",
        "RecordRegistry",
        "ClaimsAdjudicator",
        "SupplyChain",
        "Trials",
        "CareLedger",
      ]);
      // The root module only configures (roles, labels, the admin); the others each deploy their contract (the trials
      // module its registry first).
      const first: Record<string, string> = { Trials: "TrialRegistry" };
      for (const [line, , , module, what] of modules) {
        expect(what, line).to.match(
          module === "CareLedger" ? /^configured$/ : new RegExp(`^deployed ${first[module ?? ""] ?? module} 0x`),
        );
      }
    });

    it("prints every contract's address, the settlement token and the roles at the end", function () {
      const record = node.addresses();
      const printed = (name: string): string | undefined =>
        new RegExp(`^ {2}${name} +(0x[0-9a-fA-F]{40})`, "m").exec(deployed)?.[1];
      const futures: Record<string, string> = {
        AccessManager: "AccessManager#AccessManager",
        IdentityRegistry: "IdentityRegistry#IdentityRegistry",
        IdentifierRegistry: "IdentifierRegistry#IdentifierRegistry",
        ConsentPolicy: "ConsentPolicy#ConsentPolicy",
        ConsentRegistry: "ConsentRegistry#ConsentRegistry",
        BreakGlass: "ConsentRegistry#BreakGlass",
        RecordRegistry: "RecordRegistry#RecordRegistry",
        ClaimsAdjudicator: "ClaimsAdjudicator#ClaimsAdjudicator",
        PriorAuthorizations: "ClaimsAdjudicator#PriorAuthorizations",
        SupplyChain: "SupplyChain#SupplyChain",
        ProductSafety: "SupplyChain#ProductSafety",
        TrialRegistry: "Trials#TrialRegistry",
        TrialProtocol: "Trials#TrialProtocol",
        TrialSafety: "Trials#TrialSafety",
        settlementToken: "TestStablecoin#TestStablecoin",
      };
      for (const [name, future] of Object.entries(futures)) {
        expect(printed(name), name).to.equal(record[future]);
      }
      expect(deployed).to.match(/^ {2}admin +0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \(execution delay 3600 s\)$/m);
      expect(deployed).to.match(new RegExp(`^ {2}recorded +deploy/deployments/chain-${node.chainId}/$`, "m"));
    });

    it("resumes rather than repeats when run again: nothing left to deploy", async function () {
      const again = await node.run("careledger:deploy", "--parameters", "localhost");
      expect(again.code, again.output).to.equal(0);
      expect(again.output).to.contain("CareLedger: nothing left to deploy, every step is in the journal");
      expect(again.output).not.to.match(/\[\d+\/\d+\]/);
    });
  });

  describe("a node restarted without its state", function () {
    before(async function () {
      this.timeout(60_000);
      await node.restart();
    });

    const stale = (chainId: number, url: string): string =>
      `the CareLedger deployment recorded in deploy/deployments/chain-${chainId}/ is not on network localhost ` +
      `(${url}): all 15 of its contracts have no code there (AccessManager#AccessManager): the node was restarted ` +
      "without its state, or this is another chain with the same id";

    it("stops a task with one line that says the node lost its state and to deploy with --reset", async function () {
      const result = await node.run("careledger:consent:list", "--patient", "1");
      expect(result.code).to.equal(1);
      expect(result.output).to.contain(stale(node.chainId, node.url));
      expect(result.output).to.contain(
        "deploy afresh with `npx hardhat careledger:deploy --network localhost --reset`",
      );
      expect(result.output).not.to.contain("could not decode result data");
      expect(result.output).not.to.match(STACK_FRAME);
    });

    it("stops careledger:deploy too, rather than resuming a journal the chain has lost", async function () {
      const result = await node.run("careledger:deploy", "--parameters", "localhost");
      expect(result.code).to.equal(1);
      expect(result.output).to.contain(stale(node.chainId, node.url));
    });

    it("prints one line and exits 1 through Hardhat's command line on a server", async function () {
      this.timeout(60_000);
      const result = await node.cli(["careledger:identity:show", "--id", "1"], { CI: "true" });
      expect(result.code).to.equal(1);
      expect(result.output.trim().split("\n")[0]).to.equal(
        `Error in plugin careledger: ${stale(node.chainId, node.url)}; deploy afresh with ` +
          "`npx hardhat careledger:deploy --network localhost --reset`",
      );
      expect(result.output).not.to.match(STACK_FRAME);
    });

    it("is refused --reset on the consortium network, keeping the record", async function () {
      this.timeout(60_000);
      const result = await node.cli(
        ["careledger:deploy", "--parameters", "localhost", "--reset"],
        {
          CONSORTIUM_RPC_URL: node.url,
          CONSORTIUM_CHAIN_ID: String(node.chainId),
          CONSORTIUM_MNEMONIC: DEV_MNEMONIC,
        },
        "consortium",
      );
      expect(result.code).to.equal(1);
      expect(result.output).to.contain(
        `Error in plugin careledger: --reset is refused on network consortium (${node.url}): network consortium is ` +
          "not the development network localhost; the deployment record is the only map of a chain's contracts",
      );
      expect(fs.existsSync(`${node.record}/deployed_addresses.json`)).to.equal(true);
    });

    it("is refused --reset on localhost when the chain is the consortium's (CONSORTIUM_CHAIN_ID)", async function () {
      this.timeout(60_000);
      const result = await node.cli(["careledger:deploy", "--parameters", "localhost", "--reset"], {
        CONSORTIUM_CHAIN_ID: String(node.chainId),
      });
      expect(result.code).to.equal(1);
      expect(result.output).to.contain(
        `Error in plugin careledger: --reset is refused on network localhost (${node.url}): chain ${node.chainId} ` +
          "is the consortium's (CONSORTIUM_CHAIN_ID)",
      );
      expect(fs.existsSync(`${node.record}/deployed_addresses.json`)).to.equal(true);
    });

    it("is refused --reset on localhost when the node is not a development node", async function () {
      this.timeout(60_000);
      const besu = await nodeNamed(node.url, "besu/v24.12.0/linux-x86_64/openjdk-java-21");
      try {
        const result = await node.cli(["careledger:deploy", "--parameters", "localhost", "--reset"], {
          LOCALHOST_RPC_URL: besu.url,
        });
        expect(result.code).to.equal(1);
        expect(result.output).to.contain(
          `--reset is refused on network localhost (${besu.url}): the node is besu/v24.12.0/linux-x86_64/` +
            "openjdk-java-21, not a development node (Hardhat or anvil)",
        );
      } finally {
        besu.close();
      }
      expect(fs.existsSync(`${node.record}/deployed_addresses.json`)).to.equal(true);
    });

    it("deploys afresh with --reset, after which the tasks work again", async function () {
      this.timeout(120_000);
      const reset = await node.run("careledger:deploy", "--parameters", "localhost", "--reset");
      expect(reset.code, reset.output).to.equal(0);
      expect(reset.output).to.match(
        new RegExp(`^Removed the deployment record of chain ${node.chainId} \\(deploy/deployments/chain-`, "m"),
      );
      expect(reset.output).to.contain("[10/10] CareLedger: configured");
      const register = await node.run("careledger:identity:register-patient", "--from", "6");
      expect(register.code, register.output).to.equal(0);
      expect(register.output).to.match(/^Patient 1 registered/m);
    });
  });

  describe("the parameter file and the in-process network", function () {
    it("names a missing parameter file in one line", async function () {
      const result = await node.run("careledger:deploy", "--parameters", "no-such-network");
      expect(result.code).to.equal(1);
      expect(result.output).to.match(
        /^Error in plugin careledger: .*deploy\/parameters\/no-such-network\.json: no deployment parameters for network "no-such-network"; see docs\/deployment\.md for the parameter file$/m,
      );
      expect(result.output).not.to.match(STACK_FRAME);
    });

    it("deploys in process without reading or removing a development node's record of the same chain id", async function () {
      this.timeout(120_000);
      const record = path.join(path.dirname(node.record), "chain-31337");
      if (fs.existsSync(record)) this.skip(); // a developer's own localhost record: not this test's to touch
      fs.mkdirSync(record, { recursive: true });
      fs.writeFileSync(path.join(record, "deployed_addresses.json"), JSON.stringify({ "A#A": `0x${"11".repeat(20)}` }));
      try {
        const result = await node.cli(["careledger:deploy", "--reset"], {}, "hardhat");
        expect(result.code, result.output).to.equal(0);
        expect(result.output).to.match(/^ {2}recorded +nowhere: the in-process network is discarded/m);
        expect(result.output).not.to.contain("Removed the deployment record");
        expect(fs.existsSync(path.join(record, "deployed_addresses.json"))).to.equal(true);
      } finally {
        fs.rmSync(record, { recursive: true, force: true });
      }
    });
  });
});

/** A JSON-RPC proxy to `target` that answers web3_clientVersion as `client`: a node that is not a development node. */
async function nodeNamed(target: string, client: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const call = JSON.parse(body) as { id: unknown; method: string };
      const answer =
        call.method === "web3_clientVersion"
          ? Promise.resolve(JSON.stringify({ jsonrpc: "2.0", id: call.id, result: client }))
          : fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body }).then((r) =>
              r.text(),
            );
      void answer.then((text) => {
        response.setHeader("content-type", "application/json");
        response.end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.close();
    },
  };
}
