import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { Interface } from "ethers";

import {
  CareLedgerError,
  decodeError,
  decodeRevertData,
  knownErrorNames,
  withDecodedErrors,
} from "../../../sdk/core/errors";
import { ParticipantKind } from "../../../sdk/identity/participants";
import { systemFixture } from "../../fixtures/system";
import { deployedModules } from "../../helpers/modules";

describe("sdk/core/errors", () => {
  describe("decodeRevertData", () => {
    it("decodes a CareLedger custom error with its arguments", async () => {
      const { identityRegistry } = await loadFixture(systemFixture);
      const data = identityRegistry.interface.encodeErrorResult("IdentityNotController", [
        7n,
        "0x000000000000000000000000000000000000bEEF",
      ]);
      const decoded = decodeRevertData(data);
      expect(decoded).to.be.instanceOf(CareLedgerError);
      expect(decoded!.errorName).to.equal("IdentityNotController");
      expect([...decoded!.args]).to.deep.equal([7n, "0x000000000000000000000000000000000000bEEF"]);
      expect(decoded!.message).to.equal("IdentityNotController(7, 0x000000000000000000000000000000000000bEEF)");
    });

    it("decodes the settlement token's ERC-6093 errors, such as a payer funding more than it holds", () => {
      const erc20 = new Interface(["error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)"]);
      const data = erc20.encodeErrorResult("ERC20InsufficientBalance", [
        "0x000000000000000000000000000000000000bEEF",
        5n,
        7n,
      ]);
      const decoded = decodeRevertData(data);
      expect(decoded?.errorName).to.equal("ERC20InsufficientBalance");
      expect(decoded?.message).to.equal("ERC20InsufficientBalance(0x000000000000000000000000000000000000bEEF, 5, 7)");
    });

    it("returns undefined for unknown selectors and malformed data", () => {
      expect(decodeRevertData("0xdeadbeef")).to.equal(undefined);
      expect(decodeRevertData("0x")).to.equal(undefined);
      expect(decodeRevertData("not hex")).to.equal(undefined);
    });
  });

  describe("decodeError", () => {
    it("turns a real revert into the custom error, through the identity client", async () => {
      const { identity, others } = await loadFixture(systemFixture);
      const stranger = others[0]!;
      const failure = await identity
        .as(stranger)
        .registerWithKey(stranger, {
          kind: ParticipantKind.Organization,
          credentialCommitment: `0x${"11".repeat(32)}`,
          credentialExpiry: 2n ** 40n,
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).to.be.instanceOf(CareLedgerError);
      expect((failure as CareLedgerError).errorName).to.equal("AccessManagedUnauthorized");
      expect([...(failure as CareLedgerError).args]).to.deep.equal([stranger.address]);
    });

    it("decodes revert data nested the way Hardhat's HTTP provider nests it", () => {
      const data = new Interface(["error IdentityZeroAddress()"]).encodeErrorResult("IdentityZeroAddress", []);
      const decoded = decodeError({ parent: undefined, data: { message: "VM Exception", data } });
      expect(decoded).to.be.instanceOf(CareLedgerError);
      expect((decoded as CareLedgerError).errorName).to.equal("IdentityZeroAddress");
    });

    it("returns other errors unchanged", async () => {
      const plain = new Error("network down");
      expect(decodeError(plain)).to.equal(plain);
      const thrown = await withDecodedErrors(() => Promise.reject(plain)).catch((error: unknown) => error);
      expect(thrown).to.equal(plain);
    });
  });

  it("knows every custom error of every deployed contract", async () => {
    const system = await loadFixture(systemFixture);
    const known = new Set(knownErrorNames());
    const contracts = [...Object.values(deployedModules(system)), system.accessManager];
    for (const contract of contracts) {
      contract.interface.forEachError((fragment) => {
        expect(known, fragment.name).to.include(fragment.name);
      });
    }
  });
});
