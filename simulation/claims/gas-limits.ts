import { dataLength, type Interface } from "ethers";

import type { Deployment } from "../../sdk/core/deployment";
import { ClaimsAdjudicator__factory, IERC20__factory, PriorAuthorizations__factory } from "../../typechain-types";
import type { GasPolicy } from "../sending";

/**
 * The gas limits the simulated accounts send the claims module's calls with on a development chain, in place of an
 * `eth_estimateGas` before every transaction (which executes each claim twice). A limit is `base + perWord × the
 * calldata's 32-byte words after the selector`: a claim's lines and attachments, a plan's fees and network, an
 * appeal's claim content are arrays in the calldata, so the limit grows with what the call has to do.
 *
 * Derivation: the `eth_estimateGas` of every call of `careledger:simulate` for seeds 7, 22 and 99, 1,000 claims each
 * (2,966 claims, 494 enrollments, 71 fundings…); for each call the largest estimate E(w) at each calldata size w,
 * bounded from above by a line, then doubled. `submitClaim`: E(w) ≤ 35,300 + 23,000 w (w = 8 for one line, 17 for
 * ten; the largest, 376,582 at ten lines), so 70,000 + 46,000 w: 438,000 for one line, 852,000 for ten, 1,174,000 for
 * the contract's most, 16 lines. `setFees`: E ≤ 20,000 + 5,500 w; `setNetwork`: E ≤ 28,900 w. `fund` settles at
 * most `MAX_SETTLE_PER_FUNDING` (32) queued payments: its largest estimate, 707,605, is about that many, and the limit
 * is twice it. The calls of a fixed size: twice their largest estimate or more, rounded up. `settleQueue` is left out
 * (the node estimates it): it pays up to `MAX_SETTLE` (256) payments, a cost no fixed limit bounds tightly, and the
 * simulator sends it a few times a run. `test/simulation/gas-limits.test.ts` checks every call of a run against
 * `eth_estimateGas` with a margin. A development chain charges nothing real for the limit: its block gas limit
 * (30 M) bounds it.
 */
export const CLAIMS_GAS_LIMITS = {
  adjudicator: {
    createPlan: { base: 200_000n, perWord: 0n },
    setFees: { base: 40_000n, perWord: 11_000n },
    setNetwork: { base: 0n, perWord: 58_000n },
    activatePlan: { base: 80_000n, perWord: 0n },
    enroll: { base: 130_000n, perWord: 0n },
    submitClaim: { base: 70_000n, perWord: 46_000n },
    fileAppeal: { base: 150_000n, perWord: 0n },
    decideAppeal: { base: 320_000n, perWord: 0n },
    fund: { base: 1_500_000n, perWord: 0n },
    withdraw: { base: 200_000n, perWord: 0n },
    withdrawFunds: { base: 170_000n, perWord: 0n },
  },
  priorAuths: {
    requestPriorAuth: { base: 250_000n, perWord: 0n },
    approvePriorAuth: { base: 210_000n, perWord: 0n },
    denyPriorAuth: { base: 100_000n, perWord: 0n },
  },
  token: {
    approve: { base: 100_000n, perWord: 0n },
    transfer: { base: 110_000n, perWord: 0n },
  },
} as const;

interface Limit {
  base: bigint;
  perWord: bigint;
}

/** The gas policy of the claims module's calls (and the settlement token's `approve` and `transfer`). */
export function claimsGasPolicy(
  deployment: Pick<Deployment, "claimsAdjudicator" | "priorAuthorizations">,
  token: string,
): GasPolicy {
  const byCall = new Map<string, Limit>();
  const add = (address: string, contract: Interface, limits: Readonly<Record<string, Limit>>) => {
    for (const [name, limit] of Object.entries(limits)) {
      const selector = contract.getFunction(name)?.selector ?? fail(`no function ${name}`);
      byCall.set(`${address.toLowerCase()} ${selector}`, limit);
    }
  };
  add(deployment.claimsAdjudicator, ClaimsAdjudicator__factory.createInterface(), CLAIMS_GAS_LIMITS.adjudicator);
  add(deployment.priorAuthorizations, PriorAuthorizations__factory.createInterface(), CLAIMS_GAS_LIMITS.priorAuths);
  add(token, IERC20__factory.createInterface(), CLAIMS_GAS_LIMITS.token);
  return ({ to, data }) => {
    const limit = byCall.get(`${to.toLowerCase()} ${data.slice(0, 10)}`);
    if (limit === undefined) return undefined;
    const words = BigInt(Math.ceil(Math.max(dataLength(data) - 4, 0) / 32));
    return limit.base + limit.perWord * words;
  };
}

function fail(message: string): never {
  throw new Error(message);
}
