import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { FunctionFragment } from "ethers";

import { Roles } from "../../sdk/roles";
import { systemFixture } from "../fixtures/system";
import { scheduleAndExecute } from "../helpers/governance";
import { deployedModules } from "../helpers/modules";

const UNPAUSE = FunctionFragment.getSelector("unpause", []);

async function pausable() {
  const system = await loadFixture(systemFixture);
  return { ...system, modules: Object.entries(deployedModules(system)) };
}

describe("Emergency stop (every module)", () => {
  describe("pause", () => {
    it("stops the module when the pauser calls it", async () => {
      const { modules, pauser } = await pausable();
      for (const [name, module] of modules) {
        await expect(module.connect(pauser).pause(), name).to.emit(module, "Paused").withArgs(pauser.address);
        expect(await module.paused(), name).to.equal(true);
      }
    });

    it("refuses everyone but the pauser, the admin and registrar included", async () => {
      const { modules, admin, registrar, auditor, others } = await pausable();
      for (const [name, module] of modules) {
        for (const caller of [admin, registrar, auditor, others[0]!]) {
          await expect(module.connect(caller).pause(), `${name} by ${caller.address}`)
            .to.be.revertedWithCustomError(module, "AccessManagedUnauthorized")
            .withArgs(caller.address);
        }
        expect(await module.paused()).to.equal(false);
      }
    });

    it("reverts with EnforcedPause when already paused", async () => {
      const { modules, pauser } = await pausable();
      for (const [name, module] of modules) {
        await module.connect(pauser).pause();
        await expect(module.connect(pauser).pause(), name).to.be.revertedWithCustomError(module, "EnforcedPause");
      }
    });
  });

  describe("unpause", () => {
    it("restarts the module when the admin runs it through the scheduled delay", async () => {
      const { modules, pauser, admin, accessManager, parameters } = await pausable();
      for (const [name, module] of modules) {
        await module.connect(pauser).pause();
        const data = module.interface.encodeFunctionData("unpause");
        const target = await module.getAddress();
        await accessManager.connect(admin).schedule(target, data, 0);
        await expect(accessManager.connect(admin).execute(target, data), name)
          .to.be.revertedWithCustomError(accessManager, "AccessManagerNotReady")
          .withArgs(await accessManager.hashOperation(admin.address, target, data));
        await time.increase(parameters.adminExecutionDelay);
        await expect(accessManager.connect(admin).execute(target, data))
          .to.emit(module, "Unpaused")
          .withArgs(await accessManager.getAddress());
        expect(await module.paused(), name).to.equal(false);
      }
    });

    it("cannot be called by the admin without a schedule", async () => {
      const { modules, pauser, admin, accessManager } = await pausable();
      for (const [name, module] of modules) {
        await module.connect(pauser).pause();
        const data = module.interface.encodeFunctionData("unpause");
        await expect(module.connect(admin).unpause(), name)
          .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
          .withArgs(await accessManager.hashOperation(admin.address, await module.getAddress(), data));
      }
    });

    it("refuses the pauser and everyone without the admin role", async () => {
      const { modules, pauser, registrar, others, accessManager } = await pausable();
      for (const [name, module] of modules) {
        await module.connect(pauser).pause();
        for (const caller of [pauser, registrar, others[0]!]) {
          await expect(module.connect(caller).unpause(), name)
            .to.be.revertedWithCustomError(module, "AccessManagedUnauthorized")
            .withArgs(caller.address);
          const [allowed] = await accessManager.canCall(caller.address, await module.getAddress(), UNPAUSE);
          expect(allowed).to.equal(false);
        }
        expect(await module.paused()).to.equal(true);
      }
    });

    it("reverts with ExpectedPause when the module is not paused", async () => {
      const { modules, admin, accessManager } = await pausable();
      for (const [name, module] of modules) {
        const data = module.interface.encodeFunctionData("unpause");
        await expect(
          scheduleAndExecute(accessManager, admin, await module.getAddress(), data),
          name,
        ).to.be.revertedWithCustomError(module, "ExpectedPause");
      }
    });

    it("is wired to the admin role", async () => {
      const { modules, accessManager } = await pausable();
      for (const [, module] of modules) {
        const selector = UNPAUSE;
        expect(await accessManager.getTargetFunctionRole(await module.getAddress(), selector)).to.equal(Roles.ADMIN);
      }
    });
  });
});
