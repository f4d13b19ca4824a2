import { expect } from "chai";
import { type Interface, Wallet } from "ethers";
import hre from "hardhat";

import { claimsGasPolicy } from "../../simulation/claims/gas-limits";
import { simulateClaims } from "../../simulation/claims";
import { impersonate, NodeSigner } from "../../simulation/sending";
import { skipGasMeasureUnderCoverage, underCoverage } from "../helpers/coverage";
import { ClaimsAdjudicator__factory, IERC20__factory, PriorAuthorizations__factory } from "../../typechain-types";

// The simulator's explicit gas limits (simulation/claims/gas-limits.ts) replace an eth_estimateGas before every
// transaction on development chains: they must never under-provision. A whole simulation is run with every
// transaction estimated beside it; then the policy and the NodeSigner that applies it on their own.

/** The least a limit may give over the node's estimate. */
const MARGIN = 1.5;
/** The in-process network's block gas limit (Hardhat's default). */
const BLOCK_GAS_LIMIT = 30_000_000n;

interface Sample {
  call: string;
  limit: bigint;
  estimate: bigint;
}

type Request = typeof hre.network.provider.request;
type Send = typeof hre.network.provider.send;

describe("Claims simulator", function () {
  describe("gas limits", function () {
    let samples: Sample[];
    let snapshot: string | undefined;

    before(async function () {
      // The limits are sized for the production contracts: under coverage the simulator sends none (the network's own),
      // and this measure of them is skipped.
      if (underCoverage()) return;
      this.timeout(600_000);
      snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
      samples = [];
      // Both doors into the in-process node: EIP-1193 `request`, and the legacy `send` that hardhat-ethers uses.
      const provider = hre.network.provider as { request: Request; send: Send };
      const { request, send } = { request: provider.request.bind(provider), send: provider.send.bind(provider) };
      provider.request = async (args) => {
        await estimateBeside(request, args.method, args.params, samples);
        return request(args);
      };
      provider.send = async (method, params): Promise<unknown> => {
        await estimateBeside(request, method, params, samples);
        return (await send(method, params)) as unknown;
      };
      try {
        await simulateClaims(hre, { claims: 150, seed: 3, quiet: true, log: () => undefined });
      } finally {
        provider.request = request;
        provider.send = send;
      }
    });

    after(async function () {
      if (snapshot !== undefined) await hre.network.provider.send("evm_revert", [snapshot]);
    });

    it("gives every transaction of a simulation at least 1.5 × the node's estimate", function () {
      skipGasMeasureUnderCoverage(this);
      const calls = new Set(samples.map((sample) => sample.call));
      expect(samples.length).to.be.greaterThan(150);
      for (const call of ["submitClaim", "enroll", "fund", "approve", "fileAppeal", "decideAppeal"]) {
        expect(calls, `no ${call} was sent with a limit`).to.include(call);
      }
      const short = samples.filter(({ limit, estimate }) => Number(limit) < MARGIN * Number(estimate));
      expect(short, "calls whose limit is under the margin").to.deep.equal([]);
    });

    it("bounds the largest claim the contract accepts within the block gas limit, and leaves unknown calls to the node", function () {
      const adjudicator = ClaimsAdjudicator__factory.createInterface();
      const deployment = {
        claimsAdjudicator: Wallet.createRandom().address,
        priorAuthorizations: Wallet.createRandom().address,
      };
      const policy = claimsGasPolicy(deployment, Wallet.createRandom().address);
      const claimWith = (lines: number, attachments: number) => ({
        to: deployment.claimsAdjudicator,
        data: adjudicator.encodeFunctionData("submitClaim", [
          `0x${"11".repeat(32)}`,
          1n,
          `0x${"22".repeat(32)}`,
          Array.from({ length: lines }, (_, i) => BigInt(i + 1)),
          Array.from({ length: attachments }, () => `0x${"33".repeat(32)}`),
        ]),
      });
      const one = policy(claimWith(1, 0))!;
      const most = policy(claimWith(16, 8))!;
      expect(one < policy(claimWith(2, 0))!).to.be.true;
      expect(most < BLOCK_GAS_LIMIT).to.be.true;
      const settle = adjudicator.encodeFunctionData("settleQueue", [1n, 256]);
      expect(policy({ to: deployment.claimsAdjudicator, data: settle })).to.be.undefined;
      const elsewhere = { to: Wallet.createRandom().address, data: claimWith(1, 0).data };
      expect(policy(elsewhere)).to.be.undefined;
    });

    it("sends with the policy's limit from an impersonated account through a NodeSigner", async function () {
      const provider = hre.ethers.provider;
      const [owner] = await hre.ethers.getSigners();
      const token = await hre.ethers.deployContract("TestStablecoin", [await owner!.getAddress()]);
      const tokenAddress = await token.getAddress();
      const sender = Wallet.createRandom().address;
      expect(await impersonate(provider, [sender])).to.be.true;
      await provider.send("hardhat_setBalance", [sender, "0xde0b6b3a7640000"]);
      await (await token.mint(sender, 10n)).wait();
      const deployment = { claimsAdjudicator: tokenAddress, priorAuthorizations: tokenAddress };
      const policy = claimsGasPolicy(deployment, tokenAddress);
      const signer = new NodeSigner(sender, provider, policy);
      const erc20 = IERC20__factory.connect(tokenAddress, signer);
      const response = await erc20.transfer(owner!.getAddress(), 3n);
      const receipt = await response.wait();
      const data = erc20.interface.encodeFunctionData("transfer", [await owner!.getAddress(), 3n]);
      expect(response.gasLimit).to.equal(policy({ to: tokenAddress, data }));
      expect(response.from).to.equal(sender);
      expect(receipt?.status).to.equal(1);
      expect(await token.balanceOf(sender)).to.equal(7n);
    });
  });
});

/** Before a transaction sent with an explicit limit, the node's estimate for it (none if it would revert). */
async function estimateBeside(request: Request, method: string, params: unknown, samples: Sample[]): Promise<void> {
  if (method !== "eth_sendTransaction" || !Array.isArray(params)) return;
  const tx = params[0] as { gas?: string; data?: string; to?: string };
  if (tx.gas === undefined) return;
  const { gas, ...rest } = tx;
  let estimate: bigint;
  try {
    estimate = BigInt((await request({ method: "eth_estimateGas", params: [rest] })) as string);
  } catch {
    return;
  }
  // The deployment's transactions (Ignition sends its own estimates) are not the policy's.
  const call = callName(tx.data ?? "0x");
  if (call !== undefined) samples.push({ call, limit: BigInt(gas), estimate });
}

const CALLS: Interface[] = [
  ClaimsAdjudicator__factory.createInterface(),
  PriorAuthorizations__factory.createInterface(),
  IERC20__factory.createInterface(),
];

/** The claims module's or the token's function the calldata calls, if any. */
function callName(data: string): string | undefined {
  if (data.length < 10) return undefined;
  for (const contract of CALLS) {
    const fragment = contract.getFunction(data.slice(0, 10));
    if (fragment !== null) return fragment.name;
  }
  return undefined;
}
