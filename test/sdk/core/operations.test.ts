import { expect } from "chai";
import { ethers } from "hardhat";

import { CONTRACTS, contractAt, interfaceOf, PAUSABLE_MODULES } from "../../../sdk/core/contracts";
import type { Deployment } from "../../../sdk/core/deployment";
import { describeCall, operationId } from "../../../sdk/core/operations";
import { IPausableModule__factory } from "../../../typechain-types";

/** A deployment with distinct made-up addresses: describing a call needs no chain. */
const DEPLOYMENT: Deployment = {
  chainId: 31337n,
  accessManager: "0x0000000000000000000000000000000000000A00",
  identityRegistry: "0x0000000000000000000000000000000000000A01",
  identifierRegistry: "0x0000000000000000000000000000000000000A02",
  consentPolicy: "0x0000000000000000000000000000000000000A03",
  consentRegistry: "0x0000000000000000000000000000000000000A04",
  breakGlass: "0x0000000000000000000000000000000000000A05",
  recordRegistry: "0x0000000000000000000000000000000000000A06",
  claimsAdjudicator: "0x0000000000000000000000000000000000000A07",
  priorAuthorizations: "0x0000000000000000000000000000000000000A08",
  supplyChain: "0x0000000000000000000000000000000000000A09",
  productSafety: "0x0000000000000000000000000000000000000a0a",
  trialRegistry: "0x0000000000000000000000000000000000000a0b",
  trialProtocol: "0x0000000000000000000000000000000000000a0c",
  trialSafety: "0x0000000000000000000000000000000000000a0d",
};
const ACCOUNT = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";
const manager = interfaceOf("access-manager");

describe("sdk/core/operations", () => {
  describe("contractAt", () => {
    it("names every contract of the deployment by its address, in any case", () => {
      for (const [name, { key }] of Object.entries(CONTRACTS)) {
        expect(contractAt(DEPLOYMENT, DEPLOYMENT[key].toLowerCase())).to.equal(name);
      }
      expect(contractAt(DEPLOYMENT, "0x0000000000000000000000000000000000000B00")).to.equal(undefined);
    });
  });

  describe("describeCall", () => {
    it("says a grant or revocation with the role's name, the account and the new holder's delay", () => {
      const target = DEPLOYMENT.accessManager;
      expect(describeCall(DEPLOYMENT, target, manager.encodeFunctionData("grantRole", [5, ACCOUNT, 0]))).to.equal(
        `grantRole CLAIMS_REVIEWER (5) to ${ACCOUNT} on AccessManager`,
      );
      expect(describeCall(DEPLOYMENT, target, manager.encodeFunctionData("grantRole", [0, ACCOUNT, 600]))).to.equal(
        `grantRole ADMIN (0) to ${ACCOUNT} with an execution delay of 10 minutes on AccessManager`,
      );
      expect(describeCall(DEPLOYMENT, target, manager.encodeFunctionData("revokeRole", [42, ACCOUNT]))).to.equal(
        `revokeRole role 42 from ${ACCOUNT} on AccessManager`,
      );
    });

    it("names the module and function of a call on a module, with its arguments", () => {
      const unpause = IPausableModule__factory.createInterface().encodeFunctionData("unpause");
      expect(describeCall(DEPLOYMENT, DEPLOYMENT.breakGlass, unpause)).to.equal("unpause on BreakGlass (break-glass)");
      const successor = interfaceOf("claims-adjudicator").encodeFunctionData("assignSuccessor", [3, 7]);
      expect(describeCall(DEPLOYMENT, DEPLOYMENT.claimsAdjudicator, successor)).to.equal(
        "assignSuccessor(3, 7) on ClaimsAdjudicator (claims-adjudicator)",
      );
    });

    it("falls back to the selector for a function or a contract it does not know", () => {
      expect(describeCall(DEPLOYMENT, DEPLOYMENT.recordRegistry, "0xdeadbeef")).to.equal(
        "call 0xdeadbeef on RecordRegistry (record-registry)",
      );
      expect(describeCall(DEPLOYMENT, "0x0000000000000000000000000000000000000b00", "0xdeadbeef00")).to.equal(
        "call 0xdeadbeef on 0x0000000000000000000000000000000000000B00 (not a CareLedger contract)",
      );
    });
  });

  describe("operationId", () => {
    it("is the AccessManager's hashOperation of the caller, the target and the call", async () => {
      const [admin] = await ethers.getSigners();
      const deployed = await ethers.deployContract("AccessManager", [await admin!.getAddress()]);
      const data = manager.encodeFunctionData("grantRole", [5, ACCOUNT, 0]);
      const target = await deployed.getAddress();
      expect(operationId(ACCOUNT, target, data)).to.equal(await deployed.hashOperation(ACCOUNT, target, data));
    });
  });

  it("lists as pausable every contract that has pause and unpause, and no other", () => {
    const pausable = (Object.keys(CONTRACTS) as (keyof typeof CONTRACTS)[]).filter(
      (name) => interfaceOf(name).getFunction("pause") !== null && interfaceOf(name).getFunction("unpause") !== null,
    );
    expect(pausable).to.deep.equal([...PAUSABLE_MODULES]);
  });
});
