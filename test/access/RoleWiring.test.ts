import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { BaseContract, FunctionFragment } from "ethers";

import { type RoleName, Roles } from "../../sdk/core/roles";
import { systemFixture } from "../fixtures/system";
import { scheduleAndExecute } from "../helpers/governance";
import { revertData, writeFunctions, zeroArgs } from "../helpers/abi";
import { deployedModules } from "../helpers/modules";

/**
 * The intended wiring, written out by hand and independently of `deploy/modules`, which it checks. Every
 * state-changing function of every deployed module is listed: either the role that may call it, or "self-service"
 * for functions anyone may call (the contract then checks who the caller is itself), or "authority-only" for
 * AccessManaged's `setAuthority`, which only the AccessManager itself may call. A function added to a module
 * without being listed here fails the first test. (What each function does while its module is paused is listed in
 * `PAUSED`, test/access/Pause.test.ts.)
 */
type Wiring = RoleName | "self-service" | "authority-only";

export const EXPECTED: Readonly<Record<string, Readonly<Record<string, Wiring>>>> = {
  IdentityRegistry: {
    registerPatient: "self-service",
    rotateController: "self-service",
    setGuardians: "self-service",
    confirmGuardianChange: "self-service",
    cancelGuardianChange: "self-service",
    vetoGuardianChange: "self-service",
    approveRecovery: "self-service",
    withdrawRecoveryApproval: "self-service",
    cancelRecovery: "self-service",
    executeRecovery: "self-service",
    appointRepresentative: "self-service",
    revokeRepresentative: "self-service",
    resignRepresentative: "self-service",
    acceptAffiliate: "self-service",
    releaseAffiliate: "self-service",
    registerParticipant: "REGISTRAR",
    renewCredential: "REGISTRAR",
    setAffiliation: "REGISTRAR",
    markIdentityProofed: "REGISTRAR",
    suspend: "REGISTRAR",
    reinstate: "REGISTRAR",
    revoke: "REGISTRAR",
    recoverController: "INSTITUTION_RECOVERY",
    pause: "PAUSER",
    unpause: "ADMIN",
    // AccessManaged's own: only the AccessManager itself (its admin's `updateAuthority`) moves a module.
    setAuthority: "authority-only",
  },
  IdentifierRegistry: {
    attest: "self-service",
    accept: "self-service",
    withdraw: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  ConsentRegistry: {
    grant: "self-service",
    narrow: "self-service",
    revoke: "self-service",
    setDeny: "self-service",
    grantBySig: "self-service",
    revokeBySig: "self-service",
    increaseNonce: "self-service",
    requestAccess: "self-service",
    approveRequest: "self-service",
    rejectRequest: "self-service",
    cancelRequest: "self-service",
    recordAccess: "self-service",
    setPolicy: "ADMIN",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  BreakGlass: {
    open: "self-service",
    close: "self-service",
    review: "AUDITOR",
    setEmergencyAuthorization: "REGISTRAR",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  RecordRegistry: {
    anchor: "self-service",
    supersede: "self-service",
    markEnteredInError: "self-service",
    anchorBatch: "self-service",
    adopt: "self-service",
    recordAccess: "self-service",
    requestAmendment: "self-service",
    acceptAmendment: "self-service",
    denyAmendment: "self-service",
    withdrawAmendment: "self-service",
    registrarSupersede: "REGISTRAR",
    registrarMarkEnteredInError: "REGISTRAR",
    registrarAcceptAmendment: "REGISTRAR",
    registrarDenyAmendment: "REGISTRAR",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  ClaimsAdjudicator: {
    createPlan: "self-service",
    updatePlanTerms: "self-service",
    setFees: "self-service",
    removeFees: "self-service",
    setNetwork: "self-service",
    activatePlan: "self-service",
    enroll: "self-service",
    submitClaim: "self-service",
    fileAppeal: "self-service",
    decideAppeal: "CLAIMS_REVIEWER",
    fund: "self-service",
    settleQueue: "self-service",
    withdraw: "self-service",
    withdrawFunds: "self-service",
    assignSuccessor: "ADMIN",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  PriorAuthorizations: {
    requestPriorAuth: "self-service",
    approvePriorAuth: "self-service",
    denyPriorAuth: "self-service",
    withdrawPriorAuth: "self-service",
    // Only the adjudicator that created the contract may call it (checked by the contract, not a role).
    useFor: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  SupplyChain: {
    registerProduct: "self-service",
    commissionLot: "self-service",
    pack: "self-service",
    unpack: "self-service",
    shipContainer: "self-service",
    shipPack: "self-service",
    receiveContainer: "self-service",
    receivePack: "self-service",
    cancelShipment: "self-service",
    dispense: "self-service",
    undoDispense: "self-service",
    recordVerification: "self-service",
    // The reversal window of decommissions is a governance parameter.
    setReversalWindow: "ADMIN",
    // Only the product-safety contract the registry created may call its hooks (checked by the contract).
    setLotStatus: "self-service",
    holdPack: "self-service",
    holdContainer: "self-service",
    releaseHold: "self-service",
    setUnitStatus: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  ProductSafety: {
    quarantineLot: "self-service",
    quarantineContainer: "self-service",
    quarantinePack: "self-service",
    // Only the supply-chain registry that created the contract may call it (checked by the contract).
    openCloneCase: "self-service",
    decide: "self-service",
    notify: "self-service",
    closeCase: "self-service",
    recall: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  // Sponsors, ethics committees, regulators, randomization services and investigators act through their identity:
  // each trial names them, and the contracts check who the caller is.
  TrialRegistry: {
    registerTrial: "self-service",
    // Only the protocol contract the registry created may call it (checked by the contract).
    recordConsentForm: "self-service",
    proposeSite: "self-service",
    activateSite: "self-service",
    suspendSite: "self-service",
    closeSite: "self-service",
    commitAllocation: "self-service",
    enroll: "self-service",
    reconsent: "self-service",
    withdraw: "self-service",
    increaseNonce: "self-service",
    reveal: "self-service",
    discloseArms: "self-service",
    unblind: "self-service",
    anchorData: "self-service",
    lock: "self-service",
    requestUnlock: "self-service",
    approveUnlock: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  TrialProtocol: {
    // Only the trial registry that created the contract may call it (checked by the contract).
    specify: "self-service",
    proposeAmendment: "self-service",
    approveAmendment: "self-service",
    rejectAmendment: "self-service",
    withdrawAmendment: "self-service",
    reportResults: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
  TrialSafety: {
    recordAdverseEvent: "self-service",
    assess: "self-service",
    reportSusar: "self-service",
    pause: "PAUSER",
    unpause: "ADMIN",
    setAuthority: "authority-only",
  },
};

async function modules() {
  const system = await loadFixture(systemFixture);
  return { ...system, deployed: deployedModules(system) as Record<string, BaseContract> };
}

function fragmentsOf(contract: BaseContract): FunctionFragment[] {
  return writeFunctions(contract.interface.fragments.filter((f): f is FunctionFragment => f.type === "function"));
}

describe("Role wiring", () => {
  it("lists every state-changing function of every deployed module", async () => {
    const { deployed } = await modules();
    expect(Object.keys(deployed).sort()).to.deep.equal(Object.keys(EXPECTED).sort());
    for (const [name, contract] of Object.entries(deployed)) {
      expect(
        fragmentsOf(contract)
          .map((f) => f.name)
          .sort(),
        name,
      ).to.deep.equal(Object.keys(EXPECTED[name]!).sort());
    }
  });

  it("assigns each restricted function to its role on the AccessManager", async () => {
    const { deployed, accessManager } = await modules();
    for (const [name, contract] of Object.entries(deployed)) {
      const target = await contract.getAddress();
      for (const fragment of fragmentsOf(contract)) {
        const expected = EXPECTED[name]![fragment.name]!;
        if (expected === "self-service" || expected === "authority-only") continue;
        expect(
          await accessManager.getTargetFunctionRole(target, fragment.selector),
          `${name}.${fragment.name}`,
        ).to.equal(Roles[expected]);
      }
    }
  });

  it("refuses a caller without roles exactly on the restricted functions", async () => {
    const { deployed, others } = await modules();
    const stranger = others[9]!;
    for (const [name, contract] of Object.entries(deployed)) {
      for (const fragment of fragmentsOf(contract)) {
        const call = contract
          .connect(stranger)
          .getFunction(fragment.name)
          .staticCall(...zeroArgs(fragment));
        if (EXPECTED[name]![fragment.name] === "self-service") {
          // Whatever the call does with zero arguments, the authority is not what stops it.
          await call.then(
            () => undefined,
            (error: unknown) => {
              const data = revertData(error) ?? "";
              expect(data.slice(0, 10), `${name}.${fragment.name}`).to.not.equal(
                contract.interface.getError("AccessManagedUnauthorized")!.selector,
              );
            },
          );
        } else {
          await expect(call, `${name}.${fragment.name}`)
            .to.be.revertedWithCustomError(contract, "AccessManagedUnauthorized")
            .withArgs(stranger.address);
        }
      }
    }
  });

  it("lets each role's holder call its functions, the delayed roles only through a schedule", async () => {
    const { deployed, accessManager, parameters, registrar, pauser, admin, others } = await modules();
    // Appeal reviewers are granted one payer's reviewer at a time, after deployment: grant one here.
    const reviewer = others[8]!;
    await scheduleAndExecute(
      accessManager,
      admin,
      await accessManager.getAddress(),
      accessManager.interface.encodeFunctionData("grantRole", [Roles.CLAIMS_REVIEWER, reviewer.address, 0]),
    );
    const holders: Record<RoleName, { address: string; delay: number }> = {
      ADMIN: { address: admin.address, delay: parameters.adminExecutionDelay },
      REGISTRAR: { address: registrar.address, delay: 0 },
      INSTITUTION_RECOVERY: { address: registrar.address, delay: parameters.adminExecutionDelay },
      PAUSER: { address: pauser.address, delay: 0 },
      AUDITOR: { address: parameters.auditor, delay: 0 },
      CLAIMS_REVIEWER: { address: reviewer.address, delay: 0 },
    };
    for (const [name, contract] of Object.entries(deployed)) {
      const target = await contract.getAddress();
      for (const fragment of fragmentsOf(contract)) {
        const role = EXPECTED[name]![fragment.name]!;
        if (role === "self-service" || role === "authority-only") continue;
        const holder = holders[role];
        const [immediate, delay] = await accessManager.canCall(holder.address, target, fragment.selector);
        expect([immediate, Number(delay)], `${name}.${fragment.name} by ${role}`).to.deep.equal([
          holder.delay === 0,
          holder.delay,
        ]);
      }
    }
  });

  it("grants each role to the configured account only, and the deployer keeps nothing", async () => {
    const { accessManager, parameters, deployer } = await modules();
    const grants: [RoleName, string, number][] = [
      ["ADMIN", parameters.admin, parameters.adminExecutionDelay],
      ["REGISTRAR", parameters.registrar, 0],
      ["INSTITUTION_RECOVERY", parameters.registrar, parameters.adminExecutionDelay],
      ["PAUSER", parameters.pauser, 0],
      ["AUDITOR", parameters.auditor, 0],
    ];
    for (const [role, account, delay] of grants) {
      const [member, executionDelay] = await accessManager.hasRole(Roles[role], account);
      expect([member, Number(executionDelay)], role).to.deep.equal([true, delay]);
      const [deployerMember] = await accessManager.hasRole(Roles[role], deployer.address);
      expect(deployerMember, `deployer holds ${role}`).to.equal(false);
    }
    // Nobody reviews appeals until the admin grants a payer's reviewer the role.
    for (const account of [deployer.address, parameters.admin, parameters.registrar]) {
      const [member] = await accessManager.hasRole(Roles.CLAIMS_REVIEWER, account);
      expect(member, `${account} holds CLAIMS_REVIEWER`).to.equal(false);
    }
  });

  it("points every module at the one AccessManager", async () => {
    const { deployed, accessManager } = await modules();
    for (const contract of Object.values(deployed)) {
      const managed = contract as BaseContract & { authority(): Promise<string> };
      expect(await managed.authority()).to.equal(await accessManager.getAddress());
    }
  });

  it("keeps the AccessManager's own configuration to the admin, through its delay", async () => {
    const { accessManager, admin, registrar, others } = await modules();
    const grant = accessManager.interface.encodeFunctionData("grantRole", [Roles.REGISTRAR, others[0]!.address, 0]);
    await expect(accessManager.connect(registrar).grantRole(Roles.REGISTRAR, others[0]!.address, 0))
      .to.be.revertedWithCustomError(accessManager, "AccessManagerUnauthorizedAccount")
      .withArgs(registrar.address, Roles.ADMIN);
    await expect(accessManager.connect(admin).grantRole(Roles.REGISTRAR, others[0]!.address, 0))
      .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
      .withArgs(await accessManager.hashOperation(admin.address, await accessManager.getAddress(), grant));
  });
});
