import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  JsonRpcApiProvider,
  type JsonRpcError,
  type JsonRpcPayload,
  type JsonRpcResult,
  Network,
  toQuantity,
} from "ethers";
import hre from "hardhat";

import { ClaimsClient } from "../../../sdk/claims/client";
import { ConsentClient } from "../../../sdk/consent/client";
import { decodeRevertData } from "../../../sdk/core/errors";
import { explainRefusal } from "../../../sdk/core/explain";
import { roleHolders } from "../../../sdk/core/governance";
import { blockRanges, MAX_LOGS_RANGE, queryFilterChunked, queryInRanges } from "../../../sdk/core/logs";
import { GovernanceClient } from "../../../sdk/core/operations";
import { Roles } from "../../../sdk/core/roles";
import { RecordClient } from "../../../sdk/records/client";
import { AccessManager__factory } from "../../../typechain-types";
import { systemFixture } from "../../fixtures/system";
import { rejection } from "../../helpers/rejection";

/** Hyperledger Besu's answer to an `eth_getLogs` over more blocks than its `--rpc-max-logs-range`. */
const BESU_RANGE_ERROR = { code: -32005, message: "Requested range exceeds maximum RPC range limit" };
const MANAGER = AccessManager__factory.createInterface();
const ACCOUNT = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";

/**
 * A node that refuses, as Besu does, an `eth_getLogs` whose `toBlock - fromBlock` exceeds `limit`, and records every
 * range asked. Every other request goes to `forward`: the in-process Hardhat network, or a canned answer.
 */
class RangeLimitedNode extends JsonRpcApiProvider {
  readonly ranges: [from: number, to: number][] = [];

  constructor(
    readonly limit: number,
    readonly forward: (method: string, params: unknown[]) => Promise<unknown>,
  ) {
    super(Network.from(31337), { staticNetwork: Network.from(31337), batchMaxCount: 1, cacheTimeout: -1 });
  }

  async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const requests = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      requests.map(async ({ id, method, params }) => {
        const args = params as unknown[];
        if (method === "eth_getLogs") {
          const filter = args[0] as { fromBlock: string; toBlock: string };
          const block = async (tag: string): Promise<number> =>
            Number(/^0x/.test(tag) ? tag : await this.forward("eth_blockNumber", []));
          const [from, to] = [await block(filter.fromBlock), await block(filter.toBlock)];
          this.ranges.push([from, to]);
          if (to - from > this.limit) return { id, error: BESU_RANGE_ERROR };
        }
        try {
          return { id, result: await this.forward(method, args) };
        } catch (error) {
          return { id, error: { code: -32000, message: (error as Error).message } };
        }
      }),
    );
  }
}

/** The in-process Hardhat network behind a node limited to `limit` blocks per log query. */
function limited(limit = 1_000): RangeLimitedNode {
  return new RangeLimitedNode(limit, (method, params) => hre.network.provider.request({ method, params }));
}

describe("sdk/core/logs", () => {
  describe("blockRanges", () => {
    it("covers the blocks in consecutive ranges of at most the chunk, both ends included", () => {
      expect(blockRanges(10, 2_509)).to.deep.equal([
        { fromBlock: 10, toBlock: 1_009 },
        { fromBlock: 1_010, toBlock: 2_009 },
        { fromBlock: 2_010, toBlock: 2_509 },
      ]);
      expect(blockRanges(5, 5)).to.deep.equal([{ fromBlock: 5, toBlock: 5 }]);
      expect(blockRanges(6, 5)).to.deep.equal([]);
      expect(() => blockRanges(0, 5, 0)).to.throw("a range of 0 blocks cannot be scanned");
    });
  });

  describe("queryInRanges", () => {
    const everyBlock = (from: number, to: number): Promise<number[]> =>
      Promise.resolve(Array.from({ length: to - from + 1 }, (_, i) => from + i));

    it("returns what every range returned, in block order", async () => {
      const blocks = await queryInRanges(everyBlock, 3, 4_321, 1_000);
      expect(blocks).to.deep.equal(Array.from({ length: 4_319 }, (_, i) => 3 + i));
    });

    it("splits a range the node refuses as too wide until the node accepts it", async () => {
      const asked: number[] = [];
      const narrowNode = (from: number, to: number): Promise<number[]> => {
        asked.push(to - from);
        if (to - from > 100) return Promise.reject(new Error(BESU_RANGE_ERROR.message));
        return everyBlock(from, to);
      };
      expect(await queryInRanges(narrowNode, 0, 2_999)).to.deep.equal(Array.from({ length: 3_000 }, (_, i) => i));
      expect(asked.filter((span) => span <= 100).length).to.be.greaterThan(0);
    });

    it("does not split a range refused for the rate of requests: splitting would only send more", async () => {
      let asked = 0;
      const busyNode = (): Promise<number[]> => {
        asked += 1;
        return Promise.reject(new Error("rate limit exceeded: 429 Too Many Requests"));
      };
      expect(await rejection(queryInRanges(busyNode, 0, 999))).to.equal("rate limit exceeded: 429 Too Many Requests");
      expect(asked).to.equal(1);
    });

    it("throws any other failure as it is", async () => {
      const down = (): Promise<number[]> => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:8545"));
      expect(await rejection(queryInRanges(down, 0, 5_000))).to.equal("connect ECONNREFUSED 127.0.0.1:8545");
    });
  });

  describe("on a node that limits eth_getLogs to 1,000 blocks", () => {
    /** The system, then a grant, then 2,500 empty blocks, then another grant: events on both sides of the gap. */
    async function agedSystem() {
      const system = await systemFixture();
      // The AccessManager's constructor grants the deployer ADMIN: its first RoleGranted is the deployment's block.
      const unlimited = AccessManager__factory.connect(system.deployment.accessManager, hre.ethers.provider);
      const [first] = await unlimited.queryFilter(unlimited.filters.RoleGranted(), 0);
      if (first === undefined) throw new Error("the AccessManager granted no role");
      const deployedAtBlock = first.blockNumber;
      const manager = AccessManager__factory.connect(system.deployment.accessManager, system.admin);
      const grant = MANAGER.encodeFunctionData("grantRole", [Roles.CLAIMS_REVIEWER, ACCOUNT, 0]);
      await (await manager.schedule(system.deployment.accessManager, grant, 0)).wait();
      await hre.network.provider.request({ method: "hardhat_mine", params: [toQuantity(2_500), toQuantity(2)] });
      await (await manager.execute(system.deployment.accessManager, grant)).wait();
      return { ...system, deployedAtBlock, head: await hre.ethers.provider.getBlockNumber() };
    }

    it("is refused a scan from block 0 in one query, as Besu refuses it", async () => {
      const { deployment } = await loadFixture(agedSystem);
      const node = limited();
      const manager = AccessManager__factory.connect(deployment.accessManager, node);
      expect(await rejection(manager.queryFilter(manager.filters.RoleGranted(), 0))).to.contain(
        BESU_RANGE_ERROR.message,
      );
    });

    it("reads every event from the block given to the latest, no query wider than 1,000 blocks", async () => {
      const { deployment, head } = await loadFixture(agedSystem);
      const node = limited();
      const manager = AccessManager__factory.connect(deployment.accessManager, node);
      const unlimited = AccessManager__factory.connect(deployment.accessManager, hre.ethers.provider);
      const all = await unlimited.queryFilter(unlimited.filters.RoleGranted(), 0);
      const chunked = await queryFilterChunked(manager, manager.filters.RoleGranted(), 7);
      expect(chunked.map((event) => event.transactionHash)).to.deep.equal(
        all.filter((event) => event.blockNumber >= 7).map((event) => event.transactionHash),
      );
      expect(node.ranges[0]?.[0]).to.equal(7);
      expect(node.ranges.at(-1)?.[1]).to.equal(head);
      expect(Math.max(...node.ranges.map(([from, to]) => to - from + 1))).to.equal(MAX_LOGS_RANGE);
    }).timeout(60_000);

    it("lists the role holders and the scheduled operations from the deployment's first block", async () => {
      const { deployment, deployedAtBlock, admin } = await loadFixture(agedSystem);
      const node = limited();
      const holders = await roleHolders(node, deployment.accessManager, {
        roles: [Roles.ADMIN, Roles.CLAIMS_REVIEWER],
        fromBlock: deployedAtBlock,
      });
      expect(holders.map(({ roleId, account }) => [roleId, account])).to.deep.equal([
        [Roles.ADMIN, admin.address],
        [Roles.CLAIMS_REVIEWER, ACCOUNT],
      ]);
      const operations = await GovernanceClient.connect(node, { ...deployment, deployedAtBlock }).operations();
      expect(operations.map(({ state, caller }) => [state, caller])).to.deep.equal([["executed", admin.address]]);
      expect(Math.min(...node.ranges.map(([from]) => from))).to.equal(deployedAtBlock);
      expect(node.ranges.every(([from, to]) => to - from < MAX_LOGS_RANGE)).to.equal(true);
    });

    it("explains a refusal with the role's holders read through the same node", async () => {
      const { deployment, deployedAtBlock } = await loadFixture(agedSystem);
      const node = limited();
      const stranger = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
      const refused = decodeRevertData(
        MANAGER.encodeErrorResult("AccessManagerUnauthorizedAccount", [stranger, Roles.CLAIMS_REVIEWER]),
      );
      expect(await explainRefusal(refused, node, { ...deployment, deployedAtBlock })).to.equal(
        `AccessManagerUnauthorizedAccount — ${stranger} does not hold CLAIMS_REVIEWER (5), held by ${ACCOUNT}`,
      );
      expect(node.ranges.every(([from, to]) => from >= deployedAtBlock && to - from < MAX_LOGS_RANGE)).to.equal(true);
    });

    it("explains a refusal from its own arguments when the node cannot answer", async () => {
      const down = new RangeLimitedNode(1_000, () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:8545")));
      const refused = decodeRevertData(
        MANAGER.encodeErrorResult("AccessManagerUnauthorizedAccount", [ACCOUNT, Roles.CLAIMS_REVIEWER]),
      );
      expect(await explainRefusal(refused, down)).to.equal(
        `AccessManagerUnauthorizedAccount — ${ACCOUNT} does not hold CLAIMS_REVIEWER (5)`,
      );
    });
  });

  describe("the clients' scans", () => {
    it("start at the deployment's first block by default, through connect and as()", async () => {
      const [signer] = await hre.ethers.getSigners();
      if (signer === undefined) throw new Error("no signer");
      const address = `0x${"12".repeat(20)}`;
      const deployment = {
        consentRegistry: address,
        breakGlass: address,
        claimsAdjudicator: address,
        priorAuthorizations: address,
        recordRegistry: address,
        deployedAtBlock: 4_321,
      };
      for (const client of [
        ConsentClient.connect(hre.ethers.provider, deployment),
        ClaimsClient.connect(hre.ethers.provider, deployment),
        RecordClient.connect(hre.ethers.provider, deployment),
      ]) {
        expect(client.since).to.equal(4_321);
        expect(client.as(signer).since).to.equal(4_321);
      }
      expect(ConsentClient.connect(hre.ethers.provider, { ...deployment, deployedAtBlock: undefined }).since).to.equal(
        0,
      );
    });
  });
});
