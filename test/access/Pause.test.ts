import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { FunctionFragment } from "ethers";

import { Roles } from "../../sdk/core/roles";
import { systemFixture } from "../fixtures/system";
import { revertData, writeFunctions, zeroArgs } from "../helpers/abi";
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

/**
 * What every state-changing function does while its module is paused, written out by hand and checked below:
 * - "stops": it reverts with `EnforcedPause`;
 * - "works": protective or audit-only, it keeps working (a pause must never trap a patient with a thief, nor leave a
 *   hole in an audit trail);
 * - "protective": it works for a change that only takes access away and stops for one that opens access (tested in
 *   each module's own tests);
 * - "switch": `pause` and `unpause` themselves, and AccessManaged's `setAuthority`.
 * docs/governance.md#emergency-stop carries the same table.
 */
type WhilePaused = "stops" | "works" | "protective" | "switch";

const PAUSED: Readonly<Record<string, Readonly<Record<string, WhilePaused>>>> = {
  IdentityRegistry: {
    registerPatient: "stops",
    rotateController: "stops",
    setGuardians: "stops",
    confirmGuardianChange: "stops",
    cancelGuardianChange: "works",
    vetoGuardianChange: "works",
    approveRecovery: "stops",
    withdrawRecoveryApproval: "works",
    cancelRecovery: "works",
    executeRecovery: "stops",
    appointRepresentative: "stops",
    revokeRepresentative: "works",
    resignRepresentative: "works",
    acceptAffiliate: "stops",
    releaseAffiliate: "works",
    registerParticipant: "stops",
    renewCredential: "stops",
    setAffiliation: "stops",
    markIdentityProofed: "stops",
    suspend: "works",
    reinstate: "stops",
    revoke: "works",
    recoverController: "stops",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  IdentifierRegistry: {
    attest: "stops",
    accept: "stops",
    withdraw: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  ConsentRegistry: {
    grant: "stops",
    narrow: "works",
    revoke: "works",
    setDeny: "protective",
    grantBySig: "stops",
    revokeBySig: "works",
    increaseNonce: "works",
    requestAccess: "stops",
    approveRequest: "stops",
    rejectRequest: "works",
    cancelRequest: "works",
    recordAccess: "works",
    setPolicy: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  BreakGlass: {
    open: "stops",
    close: "works",
    review: "works",
    setEmergencyAuthorization: "protective",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  RecordRegistry: {
    anchor: "stops",
    supersede: "stops",
    markEnteredInError: "works",
    anchorBatch: "stops",
    adopt: "stops",
    recordAccess: "works",
    requestAmendment: "stops",
    acceptAmendment: "stops",
    denyAmendment: "stops",
    withdrawAmendment: "works",
    registrarSupersede: "stops",
    registrarMarkEnteredInError: "works",
    registrarAcceptAmendment: "stops",
    registrarDenyAmendment: "stops",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  ClaimsAdjudicator: {
    createPlan: "stops",
    updatePlanTerms: "stops",
    setFees: "stops",
    removeFees: "stops",
    setNetwork: "stops",
    activatePlan: "stops",
    enroll: "stops",
    submitClaim: "stops",
    fileAppeal: "stops",
    decideAppeal: "stops",
    fund: "stops",
    settleQueue: "stops",
    withdraw: "stops",
    withdrawFunds: "stops",
    assignSuccessor: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  PriorAuthorizations: {
    requestPriorAuth: "stops",
    approvePriorAuth: "stops",
    denyPriorAuth: "works",
    withdrawPriorAuth: "works",
    // The adjudicator's own pause governs consumption; only it may call.
    useFor: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  SupplyChain: {
    registerProduct: "stops",
    commissionLot: "stops",
    pack: "stops",
    unpack: "stops",
    shipContainer: "stops",
    shipPack: "stops",
    receiveContainer: "stops",
    receivePack: "stops",
    // A shipment can always be called back or refused.
    cancelShipment: "works",
    dispense: "stops",
    undoDispense: "stops",
    recordVerification: "stops",
    setReversalWindow: "works",
    // The product-safety hooks: quarantines and recalls must reach the registry while it is paused.
    setLotStatus: "works",
    holdPack: "works",
    holdContainer: "works",
    releaseHold: "works",
    setUnitStatus: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  ProductSafety: {
    quarantineLot: "works",
    quarantineContainer: "works",
    quarantinePack: "works",
    openCloneCase: "works",
    // Finding product illegitimate works; clearing it back to commerce stops (test/supplychain).
    decide: "protective",
    notify: "works",
    closeCase: "stops",
    recall: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  TrialRegistry: {
    registerTrial: "stops",
    // The protocol contract's hook: the protocol contract's own pause governs amendments.
    recordConsentForm: "works",
    proposeSite: "stops",
    activateSite: "stops",
    suspendSite: "works",
    closeSite: "works",
    commitAllocation: "stops",
    enroll: "stops",
    reconsent: "stops",
    // A participant may always leave, and burn a consent signature not yet used.
    withdraw: "works",
    increaseNonce: "works",
    reveal: "stops",
    discloseArms: "stops",
    // An investigator may always unblind a participant in an emergency.
    unblind: "works",
    anchorData: "stops",
    lock: "stops",
    requestUnlock: "stops",
    approveUnlock: "stops",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  TrialProtocol: {
    // The registry's hook at registration: the registry's own pause governs it.
    specify: "works",
    proposeAmendment: "stops",
    approveAmendment: "stops",
    rejectAmendment: "works",
    withdrawAmendment: "works",
    reportResults: "stops",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
  TrialSafety: {
    // A pause must not make a site fail to report a serious adverse event, nor a sponsor miss its deadline.
    recordAdverseEvent: "works",
    assess: "stops",
    reportSusar: "works",
    pause: "switch",
    unpause: "switch",
    setAuthority: "switch",
  },
};

describe("Emergency stop: every function, while paused", () => {
  it("lists every state-changing function of every module", async () => {
    const { modules } = await pausable();
    expect(modules.map(([name]) => name).sort()).to.deep.equal(Object.keys(PAUSED).sort());
    for (const [name, module] of modules) {
      const names = writeFunctions(
        module.interface.fragments.filter((f): f is FunctionFragment => f.type === "function"),
      ).map((f) => f.name);
      expect(names.sort(), name).to.deep.equal(Object.keys(PAUSED[name]!).sort());
    }
  });

  it("refuses with EnforcedPause exactly the functions that stop, whoever may call them", async () => {
    const system = await pausable();
    const { modules, pauser, accessManager, admin, registrar, auditor, others } = system;
    const reviewer = others[8]!;
    await scheduleAndExecute(
      accessManager,
      admin,
      await accessManager.getAddress(),
      accessManager.interface.encodeFunctionData("grantRole", [Roles.CLAIMS_REVIEWER, reviewer.address, 0]),
    );
    const holders = {
      ADMIN: admin,
      REGISTRAR: registrar,
      INSTITUTION_RECOVERY: registrar,
      PAUSER: pauser,
      AUDITOR: auditor,
      CLAIMS_REVIEWER: reviewer,
    } as const;
    for (const [name, module] of modules) {
      await module.connect(pauser).pause();
      const target = await module.getAddress();
      for (const fragment of writeFunctions(
        module.interface.fragments.filter((f): f is FunctionFragment => f.type === "function"),
      )) {
        const expected = PAUSED[name]![fragment.name]!;
        if (expected === "switch" || expected === "protective") continue;
        const role = await accessManager.getTargetFunctionRole(target, fragment.selector);
        const holder = Object.entries(holders).find(([roleName]) => Roles[roleName as keyof typeof Roles] === role);
        const data = module.interface.encodeFunctionData(fragment, zeroArgs(fragment));
        const [, delay] =
          holder === undefined ? [true, 0n] : await accessManager.canCall(holder[1].address, target, fragment.selector);
        // Zero arguments: whatever else the call trips on, only the pause may answer EnforcedPause.
        const call =
          holder === undefined
            ? module
                .connect(others[9])
                .getFunction(fragment.name)
                .staticCall(...zeroArgs(fragment))
            : delay === 0n
              ? module
                  .connect(holder[1])
                  .getFunction(fragment.name)
                  .staticCall(...zeroArgs(fragment))
              : scheduleAndExecute(accessManager, holder[1], target, data);
        const outcome = await call.then(
          () => "",
          (error: unknown) => revertData(error) ?? (error as Error).message,
        );
        const paused = module.interface.getError("EnforcedPause")!.selector;
        if (expected === "stops") expect(outcome.slice(0, 10), `${name}.${fragment.name}`).to.equal(paused);
        else expect(outcome.slice(0, 10), `${name}.${fragment.name}`).to.not.equal(paused);
      }
    }
  });
});

/** The interface version each module reports (IPausableModule.version): bumped with each change of its interface. */
const MODULE_VERSIONS: Readonly<Record<string, string>> = {
  IdentityRegistry: "2.0.0",
  IdentifierRegistry: "1.0.0",
  ConsentRegistry: "1.1.0",
  BreakGlass: "1.0.0",
  RecordRegistry: "1.1.0",
  ClaimsAdjudicator: "2.0.0",
  PriorAuthorizations: "1.0.0",
  SupplyChain: "1.0.0",
  ProductSafety: "1.0.0",
  TrialRegistry: "1.0.0",
  TrialProtocol: "1.0.0",
  TrialSafety: "1.0.0",
};

describe("Module versions (every module)", () => {
  it("reports each module's interface version, paused or not", async () => {
    const { modules, pauser } = await pausable();
    expect(modules.map(([name]) => name)).to.have.members(Object.keys(MODULE_VERSIONS));
    for (const [name, module] of modules) {
      expect(await module.version(), name).to.equal(MODULE_VERSIONS[name]);
      await module.connect(pauser).pause();
      expect(await module.version(), `${name}, paused`).to.equal(MODULE_VERSIONS[name]);
    }
  });
});
