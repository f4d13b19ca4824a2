import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { loadParameters, policyArguments, validateParameters, validatePolicyParameters } from "../../deploy";
import { loadDeployment } from "../../sdk/core/deployment";
import { DataCategory, Purpose } from "../../sdk/consent/scopes";

const ROLES = {
  admin: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  adminExecutionDelay: 3600,
  registrar: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  pauser: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  auditor: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
  settlementToken: "TestStablecoin",
};

const POLICY_FILE = {
  sensitiveCategories: ["MentalHealth", "SubstanceUse", "SexualAndReproductiveHealth", "Genomics"],
  namedPurposes: ["Research"],
  breakGlassExcludedCategories: ["Genomics"],
  maxBreakGlassHours: 24,
  maxOpenBreakGlassSessions: 3,
  maxGrantDays: {
    Treatment: 365,
    Payment: 365,
    HealthcareOperations: 365,
    Research: 1825,
    PublicHealth: 365,
    EmergencyTreatment: 30,
  },
};

const VALID = {
  ...ROLES,
  consentPolicy: {
    ...POLICY_FILE,
    sensitiveCategories: [
      DataCategory.MentalHealth,
      DataCategory.SubstanceUse,
      DataCategory.SexualAndReproductiveHealth,
      DataCategory.Genomics,
    ],
    namedPurposes: [Purpose.Research],
    breakGlassExcludedCategories: [DataCategory.Genomics],
  },
};

describe("deploy parameters and recorded deployments", () => {
  it("loads the committed parameter files of the local networks", () => {
    expect(loadParameters("hardhat")).to.deep.equal(VALID);
    expect(loadParameters("localhost")).to.deep.equal(VALID);
  });

  it("refuses the consortium template until its zero addresses are filled in", () => {
    expect(() => loadParameters("consortium")).to.throw("CareLedger.admin must be a non-zero address");
  });

  it("takes a settlement token address, or TestStablecoin for a freshly deployed test token", () => {
    const token = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
    expect(validateParameters({ ...ROLES, settlementToken: token }, "f.json", POLICY_FILE).settlementToken).to.equal(
      token,
    );
    expect(() => validateParameters({ ...ROLES, settlementToken: "USDC" }, "f.json", POLICY_FILE)).to.throw(
      'f.json: CareLedger.settlementToken must be a non-zero address, got "USDC"',
    );
  });

  it("names the field of every malformed parameter", () => {
    expect(() => validateParameters({ ...ROLES, registrar: "0x1234" }, "f.json", POLICY_FILE)).to.throw(
      'f.json: CareLedger.registrar must be a non-zero address, got "0x1234"',
    );
    expect(() => validateParameters({ ...ROLES, adminExecutionDelay: -1 }, "f.json", POLICY_FILE)).to.throw(
      "CareLedger.adminExecutionDelay must be whole seconds",
    );
    expect(() => validateParameters({ ...ROLES, adminExecutionDelay: 1.5 }, "f.json", POLICY_FILE)).to.throw(
      "CareLedger.adminExecutionDelay must be whole seconds",
    );
    expect(() => loadParameters("nowhere")).to.throw('no deployment parameters for network "nowhere"');
  });

  it("names the field of every malformed consent policy parameter", () => {
    expect(() => validatePolicyParameters({ ...POLICY_FILE, sensitiveCategories: ["Psychiatry"] }, "f.json")).to.throw(
      "f.json: ConsentPolicy.sensitiveCategories must be a list of Demographics",
    );
    expect(() => validatePolicyParameters({ ...POLICY_FILE, namedPurposes: "Research" }, "f.json")).to.throw(
      "ConsentPolicy.namedPurposes must be a list of Treatment",
    );
    expect(() => validatePolicyParameters({ ...POLICY_FILE, maxBreakGlassHours: 0 }, "f.json")).to.throw(
      "ConsentPolicy.maxBreakGlassHours must be a whole number in [1, 1193046], got 0",
    );
    for (const sessions of [0, 9, 2.5, undefined]) {
      expect(() =>
        validatePolicyParameters({ ...POLICY_FILE, maxOpenBreakGlassSessions: sessions }, "f.json"),
      ).to.throw(
        `ConsentPolicy.maxOpenBreakGlassSessions must be a whole number in [1, 8], got ${JSON.stringify(sessions)}`,
      );
    }
    const withoutResearch = Object.fromEntries(
      Object.entries(POLICY_FILE.maxGrantDays).filter(([purpose]) => purpose !== "Research"),
    );
    expect(() => validatePolicyParameters({ ...POLICY_FILE, maxGrantDays: withoutResearch }, "f.json")).to.throw(
      "ConsentPolicy.maxGrantDays.Research must be a whole number in [1, 49710], got undefined",
    );
    expect(() =>
      validatePolicyParameters(
        { ...POLICY_FILE, maxGrantDays: { ...POLICY_FILE.maxGrantDays, Marketing: 1 } },
        "f.json",
      ),
    ).to.throw("ConsentPolicy.maxGrantDays names unknown purposes Marketing");
  });

  it("turns the readable policy into the contract's bitmaps and seconds", () => {
    expect(policyArguments(VALID.consentPolicy)).to.deep.equal({
      rules: {
        sensitiveCategories: 0xf000,
        namedPurposes: 0b1000,
        breakGlassExcludedCategories: 0x8000,
        maxBreakGlassDuration: 86_400,
        maxOpenBreakGlassSessions: 3,
      },
      maxGrantDurations: [365, 365, 365, 1825, 365, 30].map((days) => days * 86_400),
    });
  });

  it("reads the addresses Ignition recorded for a chain", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-"));
    fs.mkdirSync(path.join(dir, "chain-1337"));
    fs.writeFileSync(
      path.join(dir, "chain-1337", "deployed_addresses.json"),
      JSON.stringify({
        "AccessManager#AccessManager": VALID.admin.toLowerCase(),
        "IdentityRegistry#IdentityRegistry": VALID.registrar,
        "IdentifierRegistry#IdentifierRegistry": VALID.pauser,
        "ConsentPolicy#ConsentPolicy": VALID.pauser,
        "ConsentRegistry#ConsentRegistry": VALID.auditor,
        "ConsentRegistry#BreakGlass": VALID.registrar,
        "RecordRegistry#RecordRegistry": VALID.admin,
        "ClaimsAdjudicator#ClaimsAdjudicator": VALID.registrar,
        "ClaimsAdjudicator#PriorAuthorizations": VALID.auditor,
        "SupplyChain#SupplyChain": VALID.pauser,
        "SupplyChain#ProductSafety": VALID.admin,
        "Trials#TrialRegistry": VALID.registrar,
        "Trials#TrialProtocol": VALID.pauser,
        "Trials#TrialSafety": VALID.auditor,
      }),
    );
    expect(loadDeployment(1337n, dir)).to.deep.equal({
      chainId: 1337n,
      accessManager: VALID.admin,
      identityRegistry: VALID.registrar,
      identifierRegistry: VALID.pauser,
      consentPolicy: VALID.pauser,
      consentRegistry: VALID.auditor,
      breakGlass: VALID.registrar,
      recordRegistry: VALID.admin,
      claimsAdjudicator: VALID.registrar,
      priorAuthorizations: VALID.auditor,
      supplyChain: VALID.pauser,
      productSafety: VALID.admin,
      trialRegistry: VALID.registrar,
      trialProtocol: VALID.pauser,
      trialSafety: VALID.auditor,
    });
    expect(() => loadDeployment(5n, dir)).to.throw("no CareLedger deployment recorded for chain 5");
    fs.writeFileSync(path.join(dir, "chain-1337", "deployed_addresses.json"), "{}");
    expect(() => loadDeployment(1337n, dir)).to.throw("has no AccessManager#AccessManager");
  });
});
