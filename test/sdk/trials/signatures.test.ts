import fs from "node:fs";
import path from "node:path";

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AbiCoder,
  concat,
  id,
  keccak256,
  recoverAddress,
  type TypedDataDomain,
  TypedDataEncoder,
  verifyTypedData,
  Wallet,
  ZeroHash,
} from "ethers";
import { ethers } from "hardhat";

import {
  signTrialConsent,
  TRIAL_CONSENT_TYPEHASH,
  TRIAL_CONSENT_TYPES,
  trialConsentDigest,
  type TrialConsentMessage,
  TRIALS_DOMAIN_NAME,
  TRIALS_DOMAIN_VERSION,
  trialsDomain,
} from "../../../sdk/trials/signatures";
import { systemFixture } from "../../fixtures/system";
import { trialsFixture } from "../../fixtures/trials";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

/** The type string `TrialRegistry.CONSENT_TYPEHASH` hashes, read from the source (its literals concatenated). */
function consentTypeString(): string {
  const source = fs.readFileSync(
    path.join(__dirname, "..", "..", "..", "contracts", "trials", "TrialRegistry.sol"),
    "utf8",
  );
  const body = /\bCONSENT_TYPEHASH\s*=\s*keccak256\(([^;]*)\);/.exec(source)?.[1];
  if (body === undefined) throw new Error("CONSENT_TYPEHASH not found in contracts/trials/TrialRegistry.sol");
  return [...body.matchAll(/"([^"]*)"/g)].map((literal) => literal[1]).join("");
}

const CONSENT_TYPE = consentTypeString();

/** The fields of the contract's type string, in order: `TrialConsent(uint64 trial,...)` → [{ type, name }]. */
const CONSENT_FIELDS = (/^TrialConsent\((.*)\)$/.exec(CONSENT_TYPE)?.[1] ?? "").split(",").map((field) => {
  const [type = "", name = ""] = field.split(" ");
  return { type, name };
});

type MessageValue = bigint | number | string;

/** A message's value of each field of the contract's type, in the contract's order. */
function fieldValues(message: TrialConsentMessage): MessageValue[] {
  const byName = message as unknown as Record<string, MessageValue | undefined>;
  return CONSENT_FIELDS.map(({ name }) => {
    const value = byName[name];
    if (value === undefined) throw new Error(`the message has no ${name}, a field of ${CONSENT_TYPE}`);
    return value;
  });
}

const MESSAGE: TrialConsentMessage = {
  trial: 3n,
  patient: 42n,
  site: 2,
  version: 2,
  document: id("consent form v2, signed"),
  nonce: 1,
  deadline: 1_900_000_000n,
};

/** The registry's domain, as the SDK builds it for the deployed system. */
async function deployedDomain() {
  const system = await loadFixture(systemFixture);
  const { chainId } = await ethers.provider.getNetwork();
  return { system, chainId, domain: trialsDomain(chainId, await system.trialRegistry.getAddress()) };
}

/** The digest as `TrialRegistry` computes it: `_hashTypedDataV4(keccak256(abi.encode(CONSENT_TYPEHASH, ...)))`. */
function solidityDigest(domain: TypedDataDomain, message: TrialConsentMessage): string {
  const structHash = keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", ...CONSENT_FIELDS.map(({ type }) => type)],
      [id(CONSENT_TYPE), ...fieldValues(message)],
    ),
  );
  return keccak256(concat(["0x1901", TypedDataEncoder.hashDomain(domain), structHash]));
}

/** The message with one field changed (a number or id one more, a hash another), for each field of the type. */
function variants(message: TrialConsentMessage): TrialConsentMessage[] {
  const byName = message as unknown as Record<string, MessageValue>;
  return CONSENT_FIELDS.map(({ name, type }) => {
    const value = byName[name]!;
    const changed =
      type === "bytes32" ? id(`not ${String(value)}`) : typeof value === "bigint" ? value + 1n : Number(value) + 1;
    return { ...message, [name]: changed };
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("sdk/trials/signatures", function () {
  describe("TRIAL_CONSENT_TYPEHASH", function () {
    it("equals the deployed TrialRegistry's CONSENT_TYPEHASH", async function () {
      const { system } = await deployedDomain();
      expect(TRIAL_CONSENT_TYPEHASH).to.equal(await system.trialRegistry.CONSENT_TYPEHASH());
    });

    it("is the hash of the type string TrialRegistry.sol declares", function () {
      expect(CONSENT_TYPE).to.match(/^TrialConsent\(uint64 trial,uint64 patient,.*uint48 deadline\)$/);
      expect(TypedDataEncoder.from(TRIAL_CONSENT_TYPES).encodeType("TrialConsent")).to.equal(CONSENT_TYPE);
      expect(TRIAL_CONSENT_TYPEHASH).to.equal(id(CONSENT_TYPE));
    });
  });

  describe("trialsDomain", function () {
    it('is "CareLedger Trials" version "1"', function () {
      expect([TRIALS_DOMAIN_NAME, TRIALS_DOMAIN_VERSION]).to.deep.equal(["CareLedger Trials", "1"]);
    });

    it("matches the domain the deployed registry publishes (EIP-5267)", async function () {
      const { system, chainId, domain } = await deployedDomain();
      const [fields, name, version, onChainId, verifyingContract, salt, extensions] =
        await system.trialRegistry.eip712Domain();
      expect(fields).to.equal("0x0f"); // name, version, chainId and verifyingContract; no salt
      expect(domain).to.deep.equal({ name, version, chainId: onChainId, verifyingContract });
      expect(onChainId).to.equal(chainId);
      expect(salt).to.equal(ZeroHash);
      expect(extensions).to.deep.equal([]);
    });
  });

  describe("trialConsentDigest", function () {
    it("equals TypedDataEncoder.hash over the contract's type", async function () {
      const { domain } = await deployedDomain();
      const types = { TrialConsent: CONSENT_FIELDS };
      expect(trialConsentDigest(domain, MESSAGE)).to.equal(TypedDataEncoder.hash(domain, types, MESSAGE));
    });

    it("equals the digest the registry computes from CONSENT_TYPEHASH and abi.encode", async function () {
      const { domain } = await deployedDomain();
      expect(trialConsentDigest(domain, MESSAGE)).to.equal(solidityDigest(domain, MESSAGE));
      for (const changed of variants(MESSAGE)) {
        expect(trialConsentDigest(domain, changed)).to.equal(solidityDigest(domain, changed));
      }
    });

    it("changes with every field and with the domain", async function () {
      const { system, chainId, domain } = await deployedDomain();
      const changed = variants(MESSAGE);
      const digests = new Set([
        trialConsentDigest(domain, MESSAGE),
        ...changed.map((message) => trialConsentDigest(domain, message)),
        trialConsentDigest(trialsDomain(chainId + 1n, await system.trialRegistry.getAddress()), MESSAGE),
        trialConsentDigest(trialsDomain(chainId, await system.consentRegistry.getAddress()), MESSAGE),
      ]);
      expect(changed).to.have.length(CONSENT_FIELDS.length);
      expect(digests.size).to.equal(changed.length + 3);
    });
  });

  describe("signTrialConsent", function () {
    it("makes a signature that recovers to a wallet signer, over trialConsentDigest", async function () {
      const { domain } = await deployedDomain();
      const wallet = Wallet.createRandom();
      const signature = await signTrialConsent(wallet, domain, MESSAGE);
      expect(verifyTypedData(domain, TRIAL_CONSENT_TYPES, MESSAGE, signature)).to.equal(wallet.address);
      expect(recoverAddress(trialConsentDigest(domain, MESSAGE), signature)).to.equal(wallet.address);
      expect(signature).to.equal(wallet.signingKey.sign(solidityDigest(domain, MESSAGE)).serialized);
    });

    it("makes a signature that recovers to a node-held signer (eth_signTypedData_v4)", async function () {
      const { system, domain } = await deployedDomain();
      const signer = system.others[0]!;
      const signature = await signTrialConsent(signer, domain, MESSAGE);
      expect(verifyTypedData(domain, TRIAL_CONSENT_TYPES, MESSAGE, signature)).to.equal(signer.address);
      expect(recoverAddress(solidityDigest(domain, MESSAGE), signature)).to.equal(signer.address);
    });

    it("makes a signature that recovers to someone else for another message or domain", async function () {
      const { system, chainId, domain } = await deployedDomain();
      const wallet = Wallet.createRandom();
      const signature = await signTrialConsent(wallet, domain, MESSAGE);
      for (const changed of variants(MESSAGE)) {
        expect(verifyTypedData(domain, TRIAL_CONSENT_TYPES, changed, signature)).to.not.equal(wallet.address);
      }
      const elsewhere = trialsDomain(chainId + 1n, await system.trialRegistry.getAddress());
      expect(verifyTypedData(elsewhere, TRIAL_CONSENT_TYPES, MESSAGE, signature)).to.not.equal(wallet.address);
    });

    it("makes a signature the registry accepts for its site, and refuses at another", async function () {
      const f = await loadFixture(trialsFixture);
      const patient = await f.newPatient();
      const message: TrialConsentMessage = {
        ...MESSAGE,
        trial: f.trialId,
        patient: patient.id,
        site: 1,
        version: Number((await f.trialRegistry.trial(f.trialId)).consentVersion),
        nonce: Number((await f.trialRegistry.subject(f.trialId, patient.id)).nonce),
        deadline: BigInt(await time.latest()) + 3600n,
      };
      const consent = {
        version: message.version,
        document: message.document,
        deadline: message.deadline,
        signer: patient.key.address,
        signature: await signTrialConsent(patient.key, f.domain, message),
      };
      // Site 2's investigator cannot use a consent signed for site 1.
      await expect(f.trialRegistry.connect(f.clinicDoctorKey).enroll(f.trialId, 2, patient.id, 0, consent))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSignature")
        .withArgs(patient.key.address);
      await expect(f.trialRegistry.connect(f.cardiologistKey).enroll(f.trialId, 1, patient.id, 0, consent))
        .to.emit(f.trialRegistry, "ConsentSigned")
        .withArgs(f.trialId, patient.id, patient.key.address, message.version, message.document);
    });
  });
});
