import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { parseEther, recoverAddress, Wallet, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  CATEGORY_COUNT,
  categoryNames,
  categorySet,
  commit,
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  consentDomain,
  DataCategory,
  DecisionBasis,
  GRANT_TYPEHASH,
  grantDigest,
  type GrantMessage,
  parseCategories,
  parsePurposes,
  Purpose,
  PURPOSE_COUNT,
  purposeNames,
  purposeSet,
  RequestStatus,
  REVOKE_TYPEHASH,
  revokeDigest,
  type RevokeMessage,
  ReviewOutcome,
  signGrant,
  signRevocation,
} from "../../../sdk";
import { consentFixture } from "../../fixtures/consent";
import { DAY } from "../../fixtures/identity";
import { solidityConstant, solidityEnum, typescriptEnum } from "../../helpers/solidity-source";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const CATEGORY_NAMES = [
  "Demographics",
  "Allergies",
  "Medications",
  "Conditions",
  "Procedures",
  "LaboratoryResults",
  "VitalSigns",
  "Imaging",
  "Immunizations",
  "ClinicalNotes",
  "Encounters",
  "InsuranceAndClaims",
  "MentalHealth",
  "SubstanceUse",
  "SexualAndReproductiveHealth",
  "Genomics",
];
const PURPOSE_NAMES = [
  "Treatment",
  "Payment",
  "HealthcareOperations",
  "Research",
  "PublicHealth",
  "EmergencyTreatment",
];

/** A fresh patient whose private key the test holds, so that it can sign a raw digest. */
async function walletPatient() {
  const f = await loadFixture(consentFixture);
  const wallet = Wallet.createRandom().connect(ethers.provider);
  await (await f.deployer.sendTransaction({ to: wallet.address, value: parseEther("1") })).wait();
  await (await f.identityRegistry.connect(wallet).registerPatient()).wait();
  const patientId = await f.identityRegistry.idOf(wallet.address);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = consentDomain(chainId, await f.consentRegistry.getAddress());
  return { ...f, wallet, walletPatientId: patientId, domain };
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("sdk/consent/signatures", function () {
  describe("type hashes", function () {
    it("match the registry's GRANT_TYPEHASH and REVOKE_TYPEHASH", async function () {
      const { consentRegistry } = await loadFixture(consentFixture);
      expect(GRANT_TYPEHASH).to.equal(await consentRegistry.GRANT_TYPEHASH());
      expect(REVOKE_TYPEHASH).to.equal(await consentRegistry.REVOKE_TYPEHASH());
    });
  });

  describe("consentDomain", function () {
    it("matches the domain the registry publishes (EIP-5267)", async function () {
      const { consentRegistry } = await loadFixture(consentFixture);
      const { chainId } = await ethers.provider.getNetwork();
      const address = await consentRegistry.getAddress();
      const [, name, version, onChainId, verifyingContract, salt, extensions] = await consentRegistry.eip712Domain();
      expect(consentDomain(chainId, address)).to.deep.equal({
        name,
        version,
        chainId: onChainId,
        verifyingContract,
      });
      expect([name, version]).to.deep.equal([CONSENT_DOMAIN_NAME, CONSENT_DOMAIN_VERSION]);
      expect(salt).to.equal(ZeroHash);
      expect(extensions).to.deep.equal([]);
    });
  });

  describe("grantDigest", function () {
    it("is the digest the registry verifies: a raw signature over it is accepted", async function () {
      const f = await walletPatient();
      const now = BigInt(await time.latest());
      const message: GrantMessage = {
        patient: f.walletPatientId,
        grantee: f.hospitalId,
        categories: BigInt(categorySet(DataCategory.Allergies, DataCategory.Medications)),
        purposes: BigInt(purposeSet(Purpose.Treatment)),
        validFrom: 0n,
        validUntil: now + 30n * BigInt(DAY),
        evidence: commit("fhir:Consent/wallet-patient").commitment,
        nonce: 0n,
        deadline: now + 3600n,
      };
      const digest = grantDigest(f.domain, message);
      const raw = f.wallet.signingKey.sign(digest).serialized;
      expect(await signGrant(f.wallet, f.domain, message)).to.equal(raw);
      expect(recoverAddress(digest, raw)).to.equal(f.wallet.address);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.wallet.address, raw))
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.walletPatientId, f.wallet.address, f.hospitalKey.address, 0, message.evidence);
      expect((await f.consentRegistry.consentOf(f.walletPatientId, f.hospitalId)).categories).to.equal(
        message.categories,
      );
    });

    it("changes with every field and with the domain", async function () {
      const { consentRegistry, identityRegistry } = await loadFixture(consentFixture);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = consentDomain(chainId, await consentRegistry.getAddress());
      const message: GrantMessage = {
        patient: 1n,
        grantee: 2n,
        categories: 4n,
        purposes: 1n,
        validFrom: 0n,
        validUntil: 1000n,
        evidence: ZeroHash,
        nonce: 0n,
        deadline: 500n,
      };
      const base = grantDigest(domain, message);
      const variants: Partial<GrantMessage>[] = [
        { patient: 3n },
        { grantee: 3n },
        { categories: 5n },
        { purposes: 2n },
        { validFrom: 1n },
        { validUntil: 1001n },
        { evidence: `0x${"01".repeat(32)}` },
        { nonce: 1n },
        { deadline: 501n },
      ];
      const digests = new Set([base, ...variants.map((change) => grantDigest(domain, { ...message, ...change }))]);
      digests.add(grantDigest(consentDomain(1n, await consentRegistry.getAddress()), message));
      digests.add(grantDigest(consentDomain(chainId, await identityRegistry.getAddress()), message));
      expect(digests.size).to.equal(variants.length + 3);
    });
  });

  describe("revokeDigest", function () {
    it("is the digest the registry verifies: a raw signature over it is accepted", async function () {
      const f = await walletPatient();
      const now = BigInt(await time.latest());
      await (
        await f.consentRegistry
          .connect(f.wallet)
          .grant(f.walletPatientId, f.hospitalId, categorySet(DataCategory.Allergies), 1, 0, now + BigInt(DAY))
      ).wait();
      const message: RevokeMessage = {
        patient: f.walletPatientId,
        grantee: f.hospitalId,
        evidence: ZeroHash,
        nonce: 0n,
        deadline: now + 3600n,
      };
      const digest = revokeDigest(f.domain, message);
      const raw = f.wallet.signingKey.sign(digest).serialized;
      expect(await signRevocation(f.wallet, f.domain, message)).to.equal(raw);
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.wallet.address, raw))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.walletPatientId, f.hospitalId, f.walletPatientId, 2);
    });
  });

  describe("scopes", function () {
    it("mirror the Solidity enums member by member", function () {
      const pairs: [string, Record<string, string | number>][] = [
        ["DataCategory", DataCategory],
        ["Purpose", Purpose],
        ["DecisionBasis", DecisionBasis],
        ["RequestStatus", RequestStatus],
        ["ReviewOutcome", ReviewOutcome],
      ];
      for (const [name, enumeration] of pairs) {
        const solidity = solidityEnum("consent/Consent.sol", name);
        expect(solidity.length, name).to.be.greaterThan(0);
        expect(typescriptEnum(enumeration), name).to.deep.equal(solidity);
      }
    });

    it("parse the Solidity enums from the source, NatSpec comments between members included", function () {
      expect(solidityEnum("consent/Consent.sol", "DataCategory")).to.deep.equal(CATEGORY_NAMES);
      expect(solidityEnum("consent/Consent.sol", "Purpose")).to.deep.equal(PURPOSE_NAMES);
      expect(solidityEnum("consent/Consent.sol", "ReviewOutcome")).to.deep.equal([
        "Pending",
        "Justified",
        "Unjustified",
      ]);
    });

    it("mirror CATEGORY_COUNT and PURPOSE_COUNT", function () {
      expect(CATEGORY_COUNT).to.equal(solidityConstant("consent/Consent.sol", "CATEGORY_COUNT"));
      expect(PURPOSE_COUNT).to.equal(solidityConstant("consent/Consent.sol", "PURPOSE_COUNT"));
      expect(solidityEnum("consent/Consent.sol", "DataCategory")).to.have.length(CATEGORY_COUNT);
      expect(solidityEnum("consent/Consent.sol", "Purpose")).to.have.length(PURPOSE_COUNT);
    });
  });

  describe("categorySet and purposeSet", function () {
    it("set one bit per member, idempotently", function () {
      expect(categorySet()).to.equal(0);
      expect(categorySet(DataCategory.Demographics)).to.equal(1);
      expect(categorySet(DataCategory.Genomics)).to.equal(1 << 15);
      expect(categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions)).to.equal((1 << 5) | (1 << 3));
      expect(categorySet(DataCategory.Imaging, DataCategory.Imaging)).to.equal(1 << 7);
      expect(
        categorySet(...Object.values(DataCategory).filter((v): v is DataCategory => typeof v === "number")),
      ).to.equal(0xffff);
      expect(purposeSet()).to.equal(0);
      expect(purposeSet(Purpose.Treatment)).to.equal(1);
      expect(purposeSet(Purpose.Research, Purpose.EmergencyTreatment)).to.equal((1 << 3) | (1 << 5));
      expect(purposeSet(Purpose.Payment, Purpose.Payment)).to.equal(2);
    });
  });

  describe("categoryNames and purposeNames", function () {
    it("name the members of a set in position order", function () {
      expect(categoryNames(0)).to.deep.equal([]);
      expect(categoryNames(categorySet(DataCategory.Genomics, DataCategory.Allergies))).to.deep.equal([
        "Allergies",
        "Genomics",
      ]);
      expect(categoryNames(BigInt(categorySet(DataCategory.MentalHealth)))).to.deep.equal(["MentalHealth"]);
      expect(categoryNames(0xffff)).to.deep.equal(CATEGORY_NAMES);
      expect(purposeNames(0)).to.deep.equal([]);
      expect(purposeNames(purposeSet(Purpose.PublicHealth, Purpose.Treatment))).to.deep.equal([
        "Treatment",
        "PublicHealth",
      ]);
      expect(purposeNames(0x3fn)).to.deep.equal(PURPOSE_NAMES);
    });

    it("read the wildcards as *", function () {
      expect(categoryNames(ALL_CATEGORIES)).to.deep.equal(["*"]);
      expect(categoryNames(BigInt(ALL_CATEGORIES))).to.deep.equal(["*"]);
      expect(purposeNames(ALL_PURPOSES)).to.deep.equal(["*"]);
      expect(purposeNames(BigInt(ALL_PURPOSES))).to.deep.equal(["*"]);
    });
  });

  describe("parseCategories and parsePurposes", function () {
    it("parse names case-insensitively, ignoring dashes, underscores and spaces", function () {
      expect(parseCategories("laboratory-results,conditions")).to.equal(
        categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions),
      );
      expect(parseCategories("MENTAL_HEALTH, Sexual and reproductive health")).to.equal(
        categorySet(DataCategory.MentalHealth, DataCategory.SexualAndReproductiveHealth),
      );
      expect(parseCategories("genomics")).to.equal(categorySet(DataCategory.Genomics));
      expect(parsePurposes("treatment, research")).to.equal(purposeSet(Purpose.Treatment, Purpose.Research));
      expect(parsePurposes("emergency-treatment,HEALTHCARE_OPERATIONS")).to.equal(
        purposeSet(Purpose.EmergencyTreatment, Purpose.HealthcareOperations),
      );
    });

    it("parse positions as numbers", function () {
      expect(parseCategories("0,15")).to.equal(categorySet(DataCategory.Demographics, DataCategory.Genomics));
      expect(parsePurposes("3")).to.equal(purposeSet(Purpose.Research));
    });

    it("round-trip with categoryNames and purposeNames", function () {
      const categories = categorySet(DataCategory.Imaging, DataCategory.Encounters, DataCategory.SubstanceUse);
      expect(parseCategories(categoryNames(categories).join(","))).to.equal(categories);
      const purposes = purposeSet(Purpose.Payment, Purpose.PublicHealth);
      expect(parsePurposes(purposeNames(purposes).join(","))).to.equal(purposes);
    });

    it("parse * as the wildcard", function () {
      expect(parseCategories("*")).to.equal(ALL_CATEGORIES);
      expect(parseCategories(" * ")).to.equal(ALL_CATEGORIES);
      expect(parsePurposes("*")).to.equal(ALL_PURPOSES);
    });

    it("reject unknown names, listing the valid ones", function () {
      expect(() => parseCategories("conditions,x-rays")).to.throw(
        Error,
        `unknown category "x-rays"; use one of ${CATEGORY_NAMES.join(", ")}`,
      );
      expect(() => parseCategories("16")).to.throw(Error, 'unknown category "16"');
      expect(() => parseCategories("*,conditions")).to.throw(Error, 'unknown category "*"');
      expect(() => parsePurposes("marketing")).to.throw(
        Error,
        `unknown purpose "marketing"; use one of ${PURPOSE_NAMES.join(", ")}`,
      );
      expect(() => parsePurposes("6")).to.throw(Error, 'unknown purpose "6"');
    });

    it("reject empty entries", function () {
      expect(() => parseCategories("")).to.throw(Error, 'empty category in ""');
      expect(() => parseCategories("conditions,,imaging")).to.throw(Error, 'empty category in "conditions,,imaging"');
      expect(() => parsePurposes("treatment,")).to.throw(Error, 'empty purpose in "treatment,"');
    });
  });
});
