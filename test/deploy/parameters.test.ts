import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { loadParameters, validateParameters } from "../../deploy";
import { loadDeployment } from "../../sdk/deployment";

const VALID = {
  admin: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  adminExecutionDelay: 3600,
  registrar: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  pauser: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  auditor: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
};

describe("deploy parameters and recorded deployments", () => {
  it("loads the committed parameter files of the local networks", () => {
    expect(loadParameters("hardhat")).to.deep.equal(VALID);
    expect(loadParameters("localhost")).to.deep.equal(VALID);
  });

  it("refuses the consortium template until its zero addresses are filled in", () => {
    expect(() => loadParameters("consortium")).to.throw("CareLedger.admin must be a non-zero address");
  });

  it("names the field of every malformed parameter", () => {
    expect(() => validateParameters({ ...VALID, registrar: "0x1234" }, "f.json")).to.throw(
      'f.json: CareLedger.registrar must be a non-zero address, got "0x1234"',
    );
    expect(() => validateParameters({ ...VALID, adminExecutionDelay: -1 }, "f.json")).to.throw(
      "CareLedger.adminExecutionDelay must be whole seconds",
    );
    expect(() => validateParameters({ ...VALID, adminExecutionDelay: 1.5 }, "f.json")).to.throw(
      "CareLedger.adminExecutionDelay must be whole seconds",
    );
    expect(() => loadParameters("nowhere")).to.throw('no deployment parameters for network "nowhere"');
  });

  it("reads the addresses Ignition recorded for a chain", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-"));
    fs.mkdirSync(path.join(dir, "chain-1337"));
    fs.writeFileSync(
      path.join(dir, "chain-1337", "deployed_addresses.json"),
      JSON.stringify({
        "AccessManager#AccessManager": VALID.admin.toLowerCase(),
        "IdentityRegistry#IdentityRegistry": VALID.registrar,
      }),
    );
    expect(loadDeployment(1337n, dir)).to.deep.equal({
      chainId: 1337n,
      accessManager: VALID.admin,
      identityRegistry: VALID.registrar,
    });
    expect(() => loadDeployment(5n, dir)).to.throw("no CareLedger deployment recorded for chain 5");
    fs.writeFileSync(path.join(dir, "chain-1337", "deployed_addresses.json"), "{}");
    expect(() => loadDeployment(1337n, dir)).to.throw("has no AccessManager#AccessManager");
  });
});
