import { expect } from "chai";
import { ethers } from "hardhat";

import { PUBLIC_ROLE, ROLE_LABELS, roleName, Roles } from "../../sdk/core/roles";

describe("Roles", () => {
  it("mirrors contracts/access/Roles.sol in sdk/core/roles.ts", async () => {
    const probe = await ethers.deployContract("RolesProbe");
    const [admin, registrar, pauser, auditor, institutionRecovery, claimsReviewer] = await probe.roles();
    expect({ admin, registrar, pauser, auditor, institutionRecovery, claimsReviewer }).to.deep.equal({
      admin: Roles.ADMIN,
      registrar: Roles.REGISTRAR,
      pauser: Roles.PAUSER,
      auditor: Roles.AUDITOR,
      institutionRecovery: Roles.INSTITUTION_RECOVERY,
      claimsReviewer: Roles.CLAIMS_REVIEWER,
    });
    expect(Object.keys(Roles)).to.have.length(6);
  });

  it("uses AccessManager's own ADMIN_ROLE and PUBLIC_ROLE ids", async () => {
    const [deployer] = await ethers.getSigners();
    const manager = await ethers.deployContract("AccessManager", [deployer!.address]);
    expect(await manager.ADMIN_ROLE()).to.equal(Roles.ADMIN);
    expect(await manager.PUBLIC_ROLE()).to.equal(PUBLIC_ROLE);
  });

  it("names every role distinctly and maps ids back to names", () => {
    expect(new Set(Object.values(ROLE_LABELS)).size).to.equal(Object.keys(Roles).length);
    expect(new Set(Object.values(Roles)).size).to.equal(Object.keys(Roles).length);
    expect(roleName(Roles.REGISTRAR)).to.equal("REGISTRAR");
    expect(roleName(99n)).to.equal(undefined);
  });
});
