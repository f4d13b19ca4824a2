import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

import { expect } from "chai";
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import {
  checkBalance,
  checkEvm,
  checkGas,
  checkSizes,
  type Compiled,
  compiled,
  deploymentGas,
  doctor,
  largestTransaction,
  opcodesIn,
  sizeProbe,
} from "../../tasks/doctor";
import { contractSizes } from "../../tasks/sizes";
import { anvilAvailable, DEV_MNEMONIC, startTaskNode, type TaskNode, type TaskResult } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/** The line the doctor printed for a check, by its status and name; fails if there is none or more than one. */
function checkLine(output: string, status: "PASS" | "WARN" | "FAIL", name: string): string {
  const found = output
    .split("\n")
    .filter((line) => line.startsWith(`${status}  ${name}  `) || line.startsWith(`${status}  ${name.padEnd(24)}  `));
  expect(found, `no single ${status} line for "${name}" in:\n${output}`).to.have.length(1);
  return found[0]!.slice(`${status}  `.length + Math.max(24, name.length) + 2);
}

/** The statuses of every check line printed. */
function statuses(output: string): string[] {
  return output
    .split("\n")
    .filter((line) => /^(PASS|WARN|FAIL) {2}/.test(line))
    .map((line) => line.slice(0, 4));
}

/** `hardhat --network consortium careledger:doctor` with the consortium's settings pointing at `node`. */
function doctorOnConsortium(node: TaskNode, settings: Record<string, string>): Promise<TaskResult> {
  const root = path.join(__dirname, "..", "..");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONSORTIUM_RPC_URL: node.url,
    CONSORTIUM_CHAIN_ID: String(node.chainId),
    CONSORTIUM_MNEMONIC: DEV_MNEMONIC,
    CONSORTIUM_GAS_PRICE: "0",
    ...settings,
  };
  delete env.HARDHAT_SHOW_STACK_TRACES;
  return new Promise((resolve) => {
    const child = spawn(
      path.join(root, "node_modules", ".bin", "hardhat"),
      ["--network", "consortium", "careledger:doctor"],
      { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("close", (code) => {
      // Hardhat colours its error line when it believes it runs on CI; the tests read the text.
      resolve({ output: stripVTControlCharacters(output), code: code ?? 1 });
    });
  });
}

/**
 * A network for the checks that only read JSON-RPC answers: `answers` maps a method to its result (or a function of
 * its params, which may throw as a node's refusal does).
 */
function fakeNetwork(
  name: string,
  config: Record<string, unknown>,
  answers: Record<string, unknown>,
  evmVersion = "cancun",
): HardhatRuntimeEnvironment {
  // async: a throw (an unknown method, an answer that refuses) is a rejected request, as a node's error is.
  const request = async ({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> => {
    await Promise.resolve();
    const answer = answers[method];
    if (answer === undefined) throw new Error(`the method ${method} does not exist`);
    return typeof answer === "function" ? (answer as (p?: unknown[]) => unknown)(params) : answer;
  };
  return {
    network: { name, config, provider: { request } },
    config: { solidity: { compilers: [{ settings: { evmVersion } }] } },
    ethers: hre.ethers,
  } as unknown as HardhatRuntimeEnvironment;
}

describe("tasks: doctor", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  describe("what it reads from the compiled code", function () {
    it("finds opcodes, skipping PUSH data and the metadata", function () {
      // PUSH2 0x5e5f (data, not MCOPY or PUSH0), PUSH0, STOP, then 2 bytes of "metadata" 0x5e5c and its length 0x0002.
      const found = opcodesIn("0x615e5f5f005e5c0002");
      expect([...found].sort()).to.deep.equal([0x00, 0x5f, 0x61].sort());
    });

    it("skips the metadata of code embedded in creation code: its hash bytes are not instructions", function () {
      // An embedded runtime: STOP, then solc's metadata (ipfs hash with 0x5d and 0x5c bytes, solc version, length
      // 0x0033), then the outer code's own metadata (2 bytes and their length).
      const hash = "5d5c".repeat(16);
      const embedded = `00a2646970667358221220${hash}64736f6c634300081e0033`;
      const found = opcodesIn(`0x6001${embedded}5f00aabb0002`);
      expect([...found].sort()).to.deep.equal([0x00, 0x5f, 0x60].sort());
    });

    it("probes the size limit with init code that returns that many bytes, padded to the creation code's size", function () {
      const probe = sizeProbe(22_815, 31_426);
      expect(probe.slice(0, 14)).to.equal("0x61591f6000f3");
      expect((probe.length - 2) / 2).to.equal(31_426);
    });
  });

  describe("checks on a node's answers", function () {
    let build: Compiled;
    before(async function () {
      build = await compiled(hre);
    });
    const probes = (runs: boolean) => ({
      eth_call: ([{ data }]: [{ data: string }]) => {
        if (!runs) throw new Error("invalid opcode");
        return (
          { "0x602a5f5360015ff3": "0x2a", "0x60ff6000536001600060205e60016020f3": "0xff" }[data] ??
          `0x${"00".repeat(31)}01`
        );
      },
    });

    it("warns when the artifacts were compiled for another EVM version than EVM_VERSION", async function () {
      const checks = await checkEvm(fakeNetwork("localhost", {}, probes(true), "prague"), build);
      expect(checks.at(-1)).to.deep.equal({
        status: "WARN",
        name: "EVM version",
        detail: `the artifacts were compiled for ${build.evmVersions.join(", ")}, but EVM_VERSION is prague — run npx hardhat compile so that what is deployed is what the configuration says`,
      });
    });

    it("warns, without failing, when the node does not let it probe", async function () {
      const checks = await checkEvm(fakeNetwork("consortium", {}, {}), build);
      expect(checks[0]).to.deep.equal({
        status: "WARN",
        name: "EVM PUSH0",
        detail:
          "could not probe: the method eth_call does not exist — allow eth_call on this node (the doctor sends no transaction)",
      });
    });

    it("advises the Besu genesis fork when a consortium chain lacks an opcode", async function () {
      const checks = await checkEvm(fakeNetwork("consortium", {}, probes(false)), build);
      expect(checks[0]!.detail).to.equal(
        "the chain does not run it (invalid opcode): it is older than Shanghai; the compiled code uses it — enable " +
          'Shanghai on the chain (Besu genesis: "shanghaiTime": 0, or the time of a planned upgrade)',
      );
    });

    it("warns when the node asks more than the configured gas price, and says how to make gas free", async function () {
      const { check } = await checkGas(
        fakeNetwork(
          "consortium",
          { gasPrice: 0 },
          {
            eth_gasPrice: "0x3b9aca00",
            eth_getBlockByNumber: { baseFeePerGas: "0x0" },
          },
        ),
      );
      expect(check).to.deep.equal({
        status: "WARN",
        name: "gas price",
        detail:
          "gas price 1,000,000,000 wei, base fee 0 wei, but CONSORTIUM_GAS_PRICE is 0 wei: a node with a higher " +
          "minimum refuses such transactions — for a gas-free network start every node with --min-gas-price=0",
      });
    });

    it("passes a chain without a base fee (before London) at the configured price", async function () {
      const { check, facts } = await checkGas(
        fakeNetwork("consortium", { gasPrice: 1000 }, { eth_gasPrice: "0x3e8", eth_getBlockByNumber: {} }),
      );
      expect(check.detail).to.equal("gas price 1,000 wei, base fee none (pre-London), CONSORTIUM_GAS_PRICE 1,000 wei");
      expect(facts.price).to.equal(1000n);
    });

    it("fails a module over the size limit and passes one near it with its headroom (the developers' concern)", function () {
      const near = { ...build.sizes[0]!, contract: "Near", bytes: 24_000, headroom: 576 };
      const over = { ...build.sizes[0]!, contract: "Over", bytes: 24_600, headroom: -24 };
      const [nearCheck, overCheck] = checkSizes({ ...build, sizes: [near, over] });
      expect(nearCheck).to.deep.equal({ status: "PASS", name: "size Near", detail: "24,000 bytes, 576 under 24,576" });
      expect(overCheck).to.deep.equal({
        status: "FAIL",
        name: "size Over",
        detail:
          "24,600 bytes, 24 over 24,576 — no chain with the default limit deploys it: split the contract " +
          "(docs/deployment.md#code-size)",
      });
    });

    it("reports a check the node cannot answer as a FAIL line and goes on with the others", async function () {
      const fake = fakeNetwork(
        "localhost",
        { url: "http://127.0.0.1:8545" },
        {
          eth_chainId: "0x7a69a",
          eth_blockNumber: "0x5",
          web3_clientVersion: "Besu/v25.1.0",
          ...probes(true),
          eth_getBlockByNumber: { gasLimit: "0x1c9c380", baseFeePerGas: "0x0" },
          eth_estimateGas: "0x486f93",
        },
      );
      // The real configuration, artifacts and accounts; the fake node's answers.
      const mixed = Object.assign(Object.create(hre) as HardhatRuntimeEnvironment, { network: fake.network });
      const lines: string[] = [];
      const checks = await doctor(mixed, (line) => lines.push(line));
      expect(lines[0]).to.equal(
        `PASS  node${" ".repeat(20)}  localhost (http://127.0.0.1:8545) answers: Besu/v25.1.0, chain 501402, block 5`,
      );
      expect(checks.find((check) => check.name === "gas price")).to.deep.equal({
        status: "FAIL",
        name: "gas price",
        detail:
          "could not check: the method eth_gasPrice does not exist — check that the node still answers and allows " +
          "this method, then run careledger:doctor again",
      });
      // Without a gas price, no balance is judged; the checks after it still run.
      expect(checks.map((check) => check.name)).to.not.include("signer");
      expect(checks.at(-1)).to.deep.equal({
        status: "PASS",
        name: "deployment",
        detail: "no deployment recorded for chain 501402: run careledger:deploy to make one",
      });
    });

    it("fails a network without an account to deploy from", async function () {
      const check = await checkBalance(fakeNetwork("consortium", {}, {}), build, { price: 0n }, undefined);
      expect(check).to.deep.equal({
        status: "FAIL",
        name: "signer",
        detail:
          "the consortium network has no account to deploy from — set CONSORTIUM_PRIVATE_KEYS or CONSORTIUM_MNEMONIC",
      });
    });
  });

  describe("on a gas-free Cancun chain", function () {
    let node: TaskNode;
    before(async function () {
      if (!anvilAvailable()) this.skip();
      this.timeout(120_000);
      node = await startTaskNode();
    });
    after(function () {
      (node as TaskNode | undefined)?.stop(); // unset when skipped or when the node did not start
    });

    it("passes every check with no deployment recorded, one line each", async function () {
      const { output, code } = await node.run("careledger:doctor");
      expect(code, output).to.equal(0);
      const sizes = await contractSizes(hre);
      // node, chain id, 3 probes, EVM version, gas price, block gas limit, a size per module, the size probe, signer,
      // deployment
      expect(statuses(output)).to.deep.equal(Array(11 + sizes.length).fill("PASS"));
      expect(output.split("\n")[0]).to.equal(`CareLedger doctor: network localhost (${node.url})`);
      expect(checkLine(output, "PASS", "node")).to.match(
        new RegExp(
          `^localhost \\(${node.url.replace(/\./g, "\\.")}\\) answers: anvil/v[\\d.]+, chain ${node.chainId}, block 0$`,
        ),
      );
      expect(checkLine(output, "PASS", "EVM PUSH0")).to.equal(
        "the chain runs it (Shanghai); the compiled code uses it",
      );
      expect(checkLine(output, "PASS", "EVM MCOPY")).to.equal("the chain runs it (Cancun); the compiled code uses it");
      expect(checkLine(output, "PASS", "EVM version")).to.equal(
        `the artifacts were compiled for ${process.env.EVM_VERSION ?? "cancun"} (EVM_VERSION): the chain runs their code`,
      );
      expect(checkLine(output, "PASS", "gas price")).to.equal("gas price 0 wei, base fee 0 wei: a gas-free network");
      const largest = sizes[0]!;
      expect(checkLine(output, "PASS", `size ${largest.contract}`)).to.equal(
        `${largest.bytes.toLocaleString("en-US")} bytes, ${largest.headroom.toLocaleString("en-US")} under 24,576`,
      );
      expect(checkLine(output, "PASS", "size limit")).to.match(
        new RegExp(
          `^the node accepts a ${largest.bytes.toLocaleString("en-US")}-byte contract \\(as large as ${largest.contract}\\)`,
        ),
      );
      expect(checkLine(output, "PASS", "signer")).to.equal(`account 0 ${DEPLOYER}: gas is free, no balance needed`);
      expect(checkLine(output, "PASS", "deployment")).to.equal(
        `no deployment recorded for chain ${node.chainId}: run careledger:deploy to make one`,
      );
      expect(output.trimEnd().split("\n").at(-1)).to.equal(`${11 + sizes.length} passed, 0 warning(s), 0 failed`);
    });

    it("finds every recorded contract's code once deployed, and its gas estimate covers the deployment", async function () {
      this.timeout(120_000);
      const deployed = await node.run("careledger:deploy", "--parameters", "localhost");
      expect(deployed.code, deployed.output).to.equal(0);
      const { output, code } = await node.run("careledger:doctor");
      expect(code, output).to.equal(0);
      expect(checkLine(output, "PASS", "deployment")).to.equal(
        `all 15 recorded contracts of chain ${node.chainId} hold their recorded code (immutables masked)`,
      );
      // The estimate the balance check uses, against what the deployment took, block by block.
      const latest = Number(await node.rpc<string>("eth_blockNumber"));
      let used = 0n;
      for (let block = 1; block <= latest; block++) {
        const { gasUsed } = await node.rpc<{ gasUsed: string }>("eth_getBlockByNumber", [
          `0x${block.toString(16)}`,
          false,
        ]);
        used += BigInt(gasUsed);
      }
      const build = await compiled(hre);
      const estimate = deploymentGas(build);
      expect(estimate > used, `estimate ${estimate}, used ${used}`).to.equal(true);
      expect(estimate < (used * 13n) / 10n, `estimate ${estimate}, used ${used}`).to.equal(true);
      // And the largest transaction's bound, against the largest transaction the deployment sent.
      let largest = 0n;
      for (let block = 1; block <= latest; block++) {
        const { gasUsed } = await node.rpc<{ gasUsed: string }>("eth_getBlockByNumber", [
          `0x${block.toString(16)}`,
          false,
        ]);
        if (BigInt(gasUsed) > largest) largest = BigInt(gasUsed); // anvil mines one transaction a block
      }
      const bound = largestTransaction(build).gas;
      expect(bound >= largest && bound < (largest * 12n) / 10n, `bound ${bound}, largest ${largest}`).to.equal(true);
    });

    it("fails a chain id other than the configured one, saying which to set", async function () {
      this.timeout(60_000);
      const { output, code } = await doctorOnConsortium(node, { CONSORTIUM_CHAIN_ID: String(node.chainId + 1) });
      expect(code, output).to.equal(1);
      expect(checkLine(output, "FAIL", "chain id")).to.equal(
        `the node is chain ${node.chainId}, the configuration says ${node.chainId + 1} — set ` +
          `CONSORTIUM_CHAIN_ID=${node.chainId} if this is the consortium's node, else point CONSORTIUM_RPC_URL at the right one`,
      );
      // Hardhat refuses every other call to a chain it was not configured for: the doctor stops there.
      expect(statuses(output)).to.deep.equal(["PASS", "FAIL"]);
      expect(output.trimEnd().split("\n").at(-1)).to.equal(
        "Error in plugin careledger: 1 passed, 0 warning(s), 1 failed (chain id): do what each FAIL line says, then " +
          "run careledger:doctor again",
      );
      expect(output).to.not.match(/^ +at /m);
    });

    it("passes a consortium configured gas-free on a gas-free chain", async function () {
      this.timeout(60_000);
      const { output, code } = await doctorOnConsortium(node, {});
      expect(code, output).to.equal(0);
      expect(checkLine(output, "PASS", "chain id")).to.equal(`${node.chainId}, as configured`);
      expect(checkLine(output, "PASS", "gas price")).to.equal(
        "gas price 0 wei, base fee 0 wei, CONSORTIUM_GAS_PRICE 0: a gas-free network",
      );
    });

    it("fails code that is not the recorded contract's", async function () {
      const record = node.addresses();
      const policy = record["ConsentPolicy#ConsentPolicy"]!;
      const other = await node.rpc<string>("eth_getCode", [record["IdentifierRegistry#IdentifierRegistry"], "latest"]);
      await node.rpc("anvil_setCode", [policy, other]);
      const { output, code } = await node.run("careledger:doctor");
      expect(code).to.equal(1);
      expect(checkLine(output, "FAIL", "deployment")).to.equal(
        `the code at ConsentPolicy at ${policy} is not the recorded contract's (immutables aside) — the node was ` +
          `restarted or reset: run careledger:deploy --reset (or remove deploy/deployments/chain-${node.chainId}/)`,
      );
    });

    it("warns when the chain holds the recorded code but the checkout compiles other code", async function () {
      // The chain holds the identifier registry's code at the policy's address (the test before); record it so.
      const file = path.join(node.record, "artifacts", "ConsentPolicy#ConsentPolicy.json");
      const record = node.addresses();
      const artifact = JSON.parse(fs.readFileSync(file, "utf8")) as { deployedBytecode: string };
      artifact.deployedBytecode = await node.rpc<string>("eth_getCode", [
        record["ConsentPolicy#ConsentPolicy"],
        "latest",
      ]);
      fs.writeFileSync(file, JSON.stringify(artifact));
      const { output, code } = await node.run("careledger:doctor");
      expect(code, output).to.equal(0);
      expect(checkLine(output, "PASS", "deployment")).to.match(/^all 15 recorded contracts/);
      expect(checkLine(output, "WARN", "deployed build")).to.equal(
        "the code of ConsentPolicy on chain is not what this checkout compiles — the tasks use the checkout's ABIs: " +
          "check out the deployed version, or upgrade through governance",
      );
      expect(output.trimEnd().split("\n").at(-1)).to.match(/^\d+ passed, 1 warning\(s\), 0 failed: read the warnings$/);
    });

    it("warns when a recorded contract has no recorded artifact to compare", async function () {
      fs.rmSync(path.join(node.record, "artifacts", "ConsentPolicy#ConsentPolicy.json"));
      const { output, code } = await node.run("careledger:doctor");
      expect(code, output).to.equal(0);
      expect(checkLine(output, "WARN", "deployment")).to.equal(
        "code exists at all 15 recorded addresses, but there is no recorded artifact to compare for ConsentPolicy — " +
          `keep deploy/deployments/chain-${node.chainId}/artifacts/ with the record`,
      );
    });

    it("fails a stale deployment after the node restarts, and says what to do", async function () {
      this.timeout(60_000);
      await node.restart();
      const { output, code } = await node.run("careledger:doctor");
      expect(code).to.equal(1);
      expect(checkLine(output, "FAIL", "deployment")).to.match(
        new RegExp(
          `^chain ${node.chainId} has no code at 15 of 15 recorded addresses \\(.*AccessManager.*\\) — the node was ` +
            `restarted or reset: run careledger:deploy --reset \\(or remove deploy/deployments/chain-${node.chainId}/\\)$`,
        ),
      );
      expect(output.trimEnd().split("\n").at(-1)).to.match(
        /^Error in plugin careledger: \d+ passed, 0 warning\(s\), 1 failed \(deployment\): do what each FAIL line says, then run careledger:doctor again$/,
      );
    });

    it("names the network and URL of a node that does not answer, in one line, exit code 1", async function () {
      this.timeout(60_000);
      const { output, code } = await node.cli(["careledger:doctor"], { LOCALHOST_RPC_URL: "http://127.0.0.1:1" });
      expect(code).to.equal(1);
      expect(checkLine(output, "FAIL", "node")).to.equal(
        "localhost (http://127.0.0.1:1) does not answer: connection refused, 4 attempt(s) " +
          "— start the node (npx hardhat node, or anvil) or set LOCALHOST_RPC_URL to its URL",
      );
      expect(output).to.contain(
        "Error in plugin careledger: 0 passed, 0 warning(s), 1 failed (node): do what each FAIL line says",
      );
      expect(output).to.not.match(/^ +at /m);
    });
  });

  describe("on a chain older than Cancun", function () {
    let node: TaskNode;
    before(async function () {
      if (!anvilAvailable()) this.skip();
      this.timeout(120_000);
      node = await startTaskNode({ hardfork: "shanghai" });
    });
    after(function () {
      (node as TaskNode | undefined)?.stop();
    });

    it("fails the Cancun opcodes the code uses and the EVM version, saying to upgrade the chain", async function () {
      const { output, code } = await node.run("careledger:doctor");
      expect(code).to.equal(1);
      const upgrade = "start the node with Cancun or later (anvil --hardfork cancun, or EVM_VERSION for the e2e)";
      expect(checkLine(output, "PASS", "EVM PUSH0")).to.equal(
        "the chain runs it (Shanghai); the compiled code uses it",
      );
      expect(checkLine(output, "FAIL", "EVM MCOPY")).to.equal(
        `the chain does not run it (EVM error NotActivated): it is older than Cancun; the compiled code uses it — ${upgrade}`,
      );
      expect(checkLine(output, "WARN", "EVM TSTORE/TLOAD")).to.equal(
        "the chain does not run it (EVM error NotActivated): it is older than Cancun; the compiled code does not use " +
          `it — ${upgrade}`,
      );
      expect(checkLine(output, "FAIL", "EVM version")).to.equal(
        "the artifacts were compiled for cancun (EVM_VERSION), which this chain cannot run: it lacks MCOPY — upgrade " +
          "the chain to Cancun or later; CareLedger supports no older EVM (EVM_VERSION is cancun, prague or osaka)",
      );
      expect(output).to.contain("1 warning(s), 2 failed (EVM MCOPY, EVM version)");
    });

    it("fails a deployment record that lacks a contract, saying to complete it", async function () {
      fs.mkdirSync(node.record, { recursive: true });
      const file = path.join(node.record, "deployed_addresses.json");
      fs.writeFileSync(file, JSON.stringify({ "AccessManager#AccessManager": DEPLOYER }));
      const { output, code } = await node.run("careledger:doctor");
      expect(code).to.equal(1);
      expect(checkLine(output, "FAIL", "deployment")).to.equal(
        `${file} has no IdentityRegistry#IdentityRegistry — run careledger:deploy to complete it`,
      );
    });
  });

  describe("on a chain with a lower size limit and a price for gas", function () {
    const price = 10n ** 15n; // 0.001 ETH a gas: a deployment costs more than the 10,000 ETH of a development account
    let node: TaskNode;
    before(async function () {
      if (!anvilAvailable()) this.skip();
      this.timeout(120_000);
      node = await startTaskNode({ codeSizeLimit: 20_000, gasPrice: price, gasLimit: 6_000_000 });
    });
    after(function () {
      (node as TaskNode | undefined)?.stop();
    });

    it("fails the size probe, the block gas limit and the signer's balance, with the figures and what to do", async function () {
      const { output, code } = await node.run("careledger:doctor");
      expect(code).to.equal(1);
      const largestTx = largestTransaction(await compiled(hre));
      expect(checkLine(output, "FAIL", "block gas limit")).to.equal(
        `blocks hold 6,000,000 gas; the largest deployment transaction (${largestTx.contract}) takes at most ` +
          `${largestTx.gas.toLocaleString("en-US")} — start the node with a block gas limit of at least ` +
          `${largestTx.gas} (anvil --gas-limit)`,
      );
      const sizes = await contractSizes(hre);
      const [largest] = sizes;
      const creation = sizes.reduce((most, size) => (size.initcodeBytes > most.initcodeBytes ? size : most));
      expect(checkLine(output, "FAIL", "size limit")).to.equal(
        `the node refuses a ${largest!.bytes.toLocaleString("en-US")}-byte contract (as large as ${largest!.contract}) ` +
          `from ${creation.initcodeBytes.toLocaleString("en-US")} bytes of creation code (as large as ` +
          `${creation.contract}'s): EVM error CreateContractSizeLimit — start the node with a contract size limit of ` +
          `at least ${largest!.bytes} bytes (anvil --code-size-limit)`,
      );
      expect(checkLine(output, "PASS", "gas price")).to.match(
        /^gas price [\d,]+ wei, base fee 1,000,000,000,000,000 wei: transactions pay the node's price$/,
      );
      expect(checkLine(output, "FAIL", "signer")).to.match(
        new RegExp(
          `^account 0 ${DEPLOYER} holds 10,000 ETH; a whole deployment takes about [\\d,]+ gas at [\\d,]+ wei, ` +
            "[\\d,.]+ ETH — fund it with at least [\\d,.]+ ETH more, or make gas free$",
        ),
      );
    });

    it("fails a consortium gas price under the base fee, pointing at zeroBaseFee and contractSizeLimit", async function () {
      this.timeout(60_000);
      const { output, code } = await doctorOnConsortium(node, {});
      expect(code).to.equal(1);
      expect(checkLine(output, "FAIL", "gas price")).to.match(
        /^gas price [\d,]+ wei, base fee 1,000,000,000,000,000 wei, but CONSORTIUM_GAS_PRICE is 0 wei: every transaction would be refused — for a gas-free network set "zeroBaseFee": true in the Besu genesis; otherwise set CONSORTIUM_GAS_PRICE to at least 1000000000000000$/,
      );
      expect(checkLine(output, "FAIL", "block gas limit")).to.match(
        /— raise "gasLimit" in the Besu genesis to at least \d+/,
      );
      expect(checkLine(output, "FAIL", "size limit")).to.match(
        /— set "contractSizeLimit" to at least \d+ in the Besu genesis \(the default is 24,576\), and a block gas limit above the deployment's gas$/,
      );
      // The balance is judged at the price the transactions will have to pay: the base fee.
      expect(checkLine(output, "FAIL", "signer")).to.match(/ at 1,000,000,000,000,000 wei, [\d,.]+ ETH — fund it/);
    });
  });
});
