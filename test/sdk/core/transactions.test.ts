import { expect } from "chai";
import {
  type ContractTransactionResponse,
  EventLog,
  makeError,
  type Log,
  type TransactionReceipt,
  Wallet,
  ZeroHash,
} from "ethers";
import hre from "hardhat";

import { CareLedgerError } from "../../../sdk/core/errors";
import { decodeEvent, mined, plainLogs } from "../../../sdk/core/transactions";
import { ClaimsAdjudicator__factory } from "../../../typechain-types";

// How every client's writes go out (sdk/core/transactions.ts): events decoded by a topic table, a receipt's plain logs,
// and the reason of a transaction mined as reverted (a node that mines what it is sent, anvil with an explicit gas
// limit) recovered by replaying it.

const adjudicator = ClaimsAdjudicator__factory.createInterface();
const CLAIM_ID = `0x${"ab".repeat(32)}`;

/** A log of the adjudicator's `ClaimAttachments` event. */
function attachmentsLog(): Pick<Log, "topics" | "data"> {
  const fragment = adjudicator.getEvent("ClaimAttachments");
  return adjudicator.encodeEventLog(fragment, [CLAIM_ID, [ZeroHash, `0x${"01".repeat(32)}`]]);
}

describe("sdk/core/transactions", () => {
  describe("decodeEvent", () => {
    it("decodes a log as parseLog does", () => {
      const log = attachmentsLog();
      const decoded = decodeEvent(adjudicator, log);
      const parsed = adjudicator.parseLog(log);
      expect(decoded?.name).to.equal("ClaimAttachments");
      expect(decoded?.args.toArray()).to.deep.equal(parsed?.args.toArray());
    });

    it("returns null for a log of another contract's event or with no topic", () => {
      expect(decodeEvent(adjudicator, { topics: [`0x${"12".repeat(32)}`], data: "0x" })).to.equal(null);
      expect(decodeEvent(adjudicator, { topics: [], data: "0x" })).to.equal(null);
    });
  });

  describe("plainLogs", () => {
    it("gives a receipt's logs as the node returned them, not decoded into EventLogs", async () => {
      const [owner] = await hre.ethers.getSigners();
      const token = await hre.ethers.deployContract("TestStablecoin", [await owner!.getAddress()]);
      const receipt = await (await token.mint(Wallet.createRandom().address, 5n)).wait();
      expect(receipt!.logs[0]).to.be.instanceOf(EventLog);
      const [log] = plainLogs(receipt!);
      expect(log).to.not.be.instanceOf(EventLog);
      expect(log!.topics).to.deep.equal(receipt!.logs[0]!.topics);
    });
  });

  describe("mined", () => {
    /** A transaction mined as reverted in block 8 at `index`, whose replay reverts with ClaimsDuplicateReference. */
    function revertedAt(index: number) {
      // Only what the replay reads of a receipt: its block and its place in it.
      const receipt = { blockNumber: 8, index, status: 0 } as unknown as TransactionReceipt;
      const revert = adjudicator.encodeErrorResult("ClaimsDuplicateReference", [CLAIM_ID]);
      const calls: unknown[] = [];
      const reverted: Error = makeError("transaction execution reverted", "CALL_EXCEPTION", {
        action: "sendTransaction",
        data: null,
        reason: null,
        invocation: null,
        revert: null,
        transaction: { to: null, from: undefined, data: "" },
        receipt,
      });
      const response = {
        from: Wallet.createRandom().address,
        to: Wallet.createRandom().address,
        data: "0x1234",
        value: 0n,
        gasLimit: 500_000n,
        wait: () => Promise.reject(reverted),
        provider: {
          call: (tx: unknown) => {
            calls.push(tx);
            return Promise.reject(Object.assign(new Error("execution reverted"), { data: revert }));
          },
        },
      } as unknown as ContractTransactionResponse;
      return { response, reverted, calls };
    }

    it("replays a transaction mined as reverted without a reason and throws its custom error", async () => {
      const { response, calls } = revertedAt(0);
      const error = await mined(() => Promise.resolve(response)).catch((thrown: unknown) => thrown);
      expect(error).to.be.instanceOf(CareLedgerError);
      expect((error as CareLedgerError).errorName).to.equal("ClaimsDuplicateReference");
      // Replayed on the state before its block: its own, as it was first in the block.
      expect(calls).to.deep.equal([
        { from: response.from, to: response.to, data: "0x1234", value: 0n, gasLimit: 500_000n, blockTag: 7 },
      ]);
    });

    it("does not replay a transaction that was not first in its block, whose parent state is not its own", async () => {
      const { response, reverted, calls } = revertedAt(1);
      const error = await mined(() => Promise.resolve(response)).catch((thrown: unknown) => thrown);
      expect(error).to.equal(reverted);
      expect(calls).to.deep.equal([]);
    });
  });
});
