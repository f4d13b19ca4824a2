import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import type { ContractTransactionResponse, TypedDataDomain } from "ethers";
import { ethers } from "hardhat";

import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  categorySet,
  commit,
  consentDomain,
  DataCategory,
  DecisionBasis,
  type GrantMessage,
  Purpose,
  purposeSet,
  type RevokeMessage,
  Roles,
  signGrant,
  signRevocation,
} from "../../sdk";
import type { ConsentPolicy } from "../../typechain-types";
import {
  type ConsentFixture,
  consentFixture,
  MAX_BREAK_GLASS,
  MAX_EMERGENCY_GRANT,
  MAX_RESEARCH_GRANT,
  MAX_TREATMENT_GRANT,
  REASON,
} from "../fixtures/consent";
import { DAY } from "../fixtures/identity";
import { scheduleAndExecute } from "../helpers/governance";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const D = BigInt(DAY);
const MAX_START_DELAY = 365n * D;
const TREATMENT_MAX = BigInt(MAX_TREATMENT_GRANT);
const RESEARCH_MAX = BigInt(MAX_RESEARCH_GRANT);
const EMERGENCY_MAX = BigInt(MAX_EMERGENCY_GRANT);
/** A registrar's reason code for suspensions (an off-chain code list entry). */
const SUSPENSION_REASON = 17;

const LABS = categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions, DataCategory.Medications);
const TREATMENT = purposeSet(Purpose.Treatment);
const UNDEFINED_CATEGORY = 1 << 20;
const UNDEFINED_PURPOSE = 1 << 6;
const EVIDENCE = commit("fhir:Consent/signed-document-0001").commitment;

/** The default policy's per-purpose maxima in `Purpose` order, as in `deploy/parameters/hardhat.json`. */
const DEFAULT_DURATIONS = [365, 365, 365, 1825, 365, 30].map((days) => days * DAY);

/** The timestamp of the block that mined `tx`. */
async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`transaction ${tx.hash} was not mined`);
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error(`block ${receipt.blockNumber} not found`);
  return BigInt(block.timestamp);
}

/** Pins the timestamp of the next mined block (or of the next call that reverts) and returns it. */
async function pinNext(): Promise<bigint> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return BigInt(next);
}

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

interface StateRecord {
  categories: bigint;
  purposes: bigint;
  validFrom: bigint;
  validUntil: bigint;
  deniedCategories: bigint;
  version: bigint;
}

/** `consentOf(patient, grantee)` as a plain object that chai can compare deeply. */
async function stateOf(f: ConsentFixture, grantee: bigint, patient: bigint = f.patientId): Promise<StateRecord> {
  const s = await f.consentRegistry.consentOf(patient, grantee);
  return {
    categories: s.categories,
    purposes: s.purposes,
    validFrom: s.validFrom,
    validUntil: s.validUntil,
    deniedCategories: s.deniedCategories,
    version: s.version,
  };
}

/** A state holding a permit and, optionally, a deny. */
function permit(
  categories: number,
  purposes: number,
  validFrom: bigint,
  validUntil: bigint,
  version: number,
  deniedCategories = 0,
): StateRecord {
  return {
    categories: BigInt(categories),
    purposes: BigInt(purposes),
    validFrom,
    validUntil,
    deniedCategories: BigInt(deniedCategories),
    version: BigInt(version),
  };
}

interface DecisionRecord {
  allowed: boolean;
  basis: number;
  accessor: bigint;
  grantee: bigint;
  ref: bigint;
}

/** `decide` for the fixture patient as a plain object; `at` defaults to the latest block's time. */
async function decide(
  f: ConsentFixture,
  accessor: HardhatEthersSigner,
  category: DataCategory,
  purpose: Purpose,
  at?: bigint,
): Promise<DecisionRecord> {
  const when = at ?? BigInt(await time.latest());
  const d = await f.consentRegistry.decide(f.patientId, accessor.address, category, purpose, when);
  return { allowed: d.allowed, basis: Number(d.basis), accessor: d.accessor, grantee: d.grantee, ref: d.ref };
}

function allowed(basis: DecisionBasis, accessor: bigint, grantee: bigint, ref: bigint): DecisionRecord {
  return { allowed: true, basis, accessor, grantee, ref };
}

function denied(basis: DecisionBasis, accessor: bigint, grantee = 0n): DecisionRecord {
  return { allowed: false, basis, accessor, grantee, ref: 0n };
}

interface GrantOptions {
  key?: HardhatEthersSigner;
  grantee?: bigint;
  categories?: number;
  purposes?: number;
  validFrom?: bigint;
  /** Defaults to 30 days after the latest block. */
  validUntil?: bigint;
}

/** Grants as the patient (or `key`) for the fixture patient and returns the transaction and its block time. */
async function grant(
  f: ConsentFixture,
  options: GrantOptions = {},
): Promise<{ tx: ContractTransactionResponse; at: bigint; validUntil: bigint }> {
  const validUntil = options.validUntil ?? BigInt(await time.latest()) + 30n * D;
  const tx = await f.consentRegistry
    .connect(options.key ?? f.patientKey)
    .grant(
      f.patientId,
      options.grantee ?? f.cardiologistId,
      options.categories ?? LABS,
      options.purposes ?? TREATMENT,
      options.validFrom ?? 0n,
      validUntil,
    );
  return { tx, at: await minedAt(tx), validUntil };
}

async function pause(f: ConsentFixture): Promise<void> {
  await (await f.consentRegistry.connect(f.pauser).pause()).wait();
}

async function suspend(f: ConsentFixture, id: bigint): Promise<void> {
  await (await f.identityRegistry.connect(f.registrar).suspend(id, SUSPENSION_REASON)).wait();
}

async function domainOf(f: ConsentFixture, chainId?: bigint, verifyingContract?: string): Promise<TypedDataDomain> {
  const network = await ethers.provider.getNetwork();
  return consentDomain(chainId ?? network.chainId, verifyingContract ?? (await f.consentRegistry.getAddress()));
}

/** A grant of LABS for treatment to the cardiologist, for 30 days, with the patient's next nonce, due in an hour. */
async function grantMessage(f: ConsentFixture, overrides: Partial<GrantMessage> = {}): Promise<GrantMessage> {
  const now = BigInt(await time.latest());
  return {
    patient: f.patientId,
    grantee: f.cardiologistId,
    categories: BigInt(LABS),
    purposes: BigInt(TREATMENT),
    validFrom: 0n,
    validUntil: now + 30n * D,
    evidence: EVIDENCE,
    nonce: await f.consentRegistry.nonces(f.patientId),
    deadline: now + 3600n,
    ...overrides,
  };
}

/** A revocation of the cardiologist's permit with the patient's next nonce, due in an hour. */
async function revokeMessage(f: ConsentFixture, overrides: Partial<RevokeMessage> = {}): Promise<RevokeMessage> {
  return {
    patient: f.patientId,
    grantee: f.cardiologistId,
    evidence: EVIDENCE,
    nonce: await f.consentRegistry.nonces(f.patientId),
    deadline: BigInt(await time.latest()) + 3600n,
    ...overrides,
  };
}

/** Moves the patient's key to `newKey`: the current key sends `rotateController` with the new key's signed consent. */
async function rotatePatientKey(f: ConsentFixture, newKey: HardhatEthersSigner): Promise<void> {
  await f.identity.as(f.patientKey).rotateTo(f.patientId, newKey);
}

/** `ConsentRegistry.MAX_NONCE_STEP`: the most one `increaseNonce` may move a nonce. */
const MAX_NONCE_STEP = 2n ** 64n;

/**
 * The patient appoints her cardiologist (a practitioner of the hospital) as her representative for a year, so that a
 * representative has an id that can be a grantee and an organization: the case the conflict rule is about.
 */
async function appointCardiologist(f: ConsentFixture): Promise<void> {
  const expiresAt = BigInt(await time.latest()) + 365n * D;
  await f.identity.as(f.patientKey).appointRepresentative(f.patientId, f.cardiologistId, expiresAt);
  expect(await f.identityRegistry.isRepresentative(f.patientId, f.cardiologistId)).to.equal(true);
}

interface RulesInput {
  sensitiveCategories: number;
  namedPurposes: number;
  breakGlassExcludedCategories: number;
  maxBreakGlassDuration: number;
  maxOpenBreakGlassSessions: number;
}

const DEFAULT_RULES: RulesInput = {
  sensitiveCategories: categorySet(
    DataCategory.MentalHealth,
    DataCategory.SubstanceUse,
    DataCategory.SexualAndReproductiveHealth,
    DataCategory.Genomics,
  ),
  namedPurposes: purposeSet(Purpose.Research),
  breakGlassExcludedCategories: categorySet(DataCategory.Genomics),
  maxBreakGlassDuration: MAX_BREAK_GLASS,
  maxOpenBreakGlassSessions: 3,
};

async function deployPolicy(rules: Partial<RulesInput> = {}, durations = DEFAULT_DURATIONS): Promise<ConsentPolicy> {
  const factory = await ethers.getContractFactory("ConsentPolicy");
  const policy = await factory.deploy({ ...DEFAULT_RULES, ...rules }, durations);
  await policy.waitForDeployment();
  return policy;
}

function setPolicyData(f: ConsentFixture, policy: string): string {
  return f.consentRegistry.interface.encodeFunctionData("setPolicy", [policy]);
}

/** Points the registry at `policy` through the admin's schedule → wait → execute path. */
async function setPolicy(f: ConsentFixture, policy: string): Promise<void> {
  await scheduleAndExecute(f.accessManager, f.admin, await f.consentRegistry.getAddress(), setPolicyData(f, policy));
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ConsentRegistry", function () {
  describe("deployment", function () {
    it("exposes its version, limits, policy and identity registry", async function () {
      const f = await loadFixture(consentFixture);
      expect(await f.consentRegistry.version()).to.equal("1.1.0"); // 1.1.0: decideWithStanding answers flat
      expect(await f.consentRegistry.MAX_START_DELAY()).to.equal(MAX_START_DELAY);
      expect(await f.consentRegistry.policy()).to.equal(await f.consentPolicy.getAddress());
      expect(await f.consentRegistry.identityRegistry()).to.equal(await f.identityRegistry.getAddress());
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // grant
  // -------------------------------------------------------------------------------------------------------------------

  describe("grant", function () {
    it("sets the permit from the block time and emits ConsentGranted when the patient grants", async function () {
      const f = await loadFixture(consentFixture);
      const { tx, at, validUntil } = await grant(f);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, at, validUntil, 1);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1));
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, at)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("returns the permit's new version", async function () {
      const f = await loadFixture(consentFixture);
      const validUntil = BigInt(await time.latest()) + 30n * D;
      const registry = f.consentRegistry.connect(f.patientKey);
      expect(await registry.grant.staticCall(f.patientId, f.cardiologistId, LABS, TREATMENT, 0, validUntil)).to.equal(
        1n,
      );
      await grant(f);
      expect(await registry.grant.staticCall(f.patientId, f.cardiologistId, LABS, TREATMENT, 0, validUntil)).to.equal(
        2n,
      );
    });

    it("records the representative's id as the actor when an active representative grants", async function () {
      const f = await loadFixture(consentFixture);
      const { tx, at, validUntil } = await grant(f, { key: f.representativeKey });
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.representativeId, LABS, TREATMENT, at, validUntil, 1);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1));
    });

    it("reverts with ConsentUnauthorizedActor when the patient revoked the representative's appointment", async function () {
      const f = await loadFixture(consentFixture);
      await (
        await f.identityRegistry.connect(f.patientKey).revokeRepresentative(f.patientId, f.representativeId)
      ).wait();
      await expect(grant(f, { key: f.representativeKey }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(f.patientId, f.representativeKey.address);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
    });

    it("reverts with ConsentUnauthorizedActor when the representative's appointment expired", async function () {
      const f = await loadFixture(consentFixture);
      const expiry = await f.identityRegistry.representationExpiry(f.patientId, f.representativeId);
      await time.increaseTo(expiry);
      await expect(grant(f, { key: f.representativeKey }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(f.patientId, f.representativeKey.address);
    });

    it("reverts with ConsentUnauthorizedActor for a stranger, another patient or the grantee", async function () {
      const f = await loadFixture(consentFixture);
      for (const caller of [signer(f.spareKeys, 0), f.otherPatientKey, f.cardiologistKey, f.hospitalKey, f.registrar]) {
        await expect(grant(f, { key: caller }))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("reverts with ConsentUnauthorizedActor when the patient is suspended", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.patientId);
      await expect(grant(f))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(f.patientId, f.patientKey.address);
    });

    it("reverts with ConsentNotAPatient when a non-patient acts on its own id", async function () {
      const f = await loadFixture(consentFixture);
      const validUntil = BigInt(await time.latest()) + 30n * D;
      await expect(
        f.consentRegistry.connect(f.hospitalKey).grant(f.hospitalId, f.clinicId, LABS, TREATMENT, 0, validUntil),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotAPatient")
        .withArgs(f.hospitalId);
      await expect(
        f.consentRegistry.connect(f.payerKey).grant(f.payerId, f.cardiologistId, LABS, TREATMENT, 0, validUntil),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotAPatient")
        .withArgs(f.payerId);
    });

    it("reverts with ConsentInvalidGrantee for an unknown id, a patient or an inactive grantee", async function () {
      const f = await loadFixture(consentFixture);
      const unknown = (await f.identityRegistry.lastId()) + 1n;
      await suspend(f, f.clinicDoctorId);
      await (await f.identityRegistry.connect(f.registrar).revoke(f.sponsorId, SUSPENSION_REASON)).wait();
      for (const grantee of [
        0n,
        unknown,
        f.patientId,
        f.otherPatientId,
        f.representativeId,
        f.clinicDoctorId,
        f.sponsorId,
      ]) {
        await expect(grant(f, { grantee }))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
          .withArgs(grantee);
      }
    });

    it("reverts with ConsentInvalidGrantee once the grantee's credential has expired", async function () {
      const f = await loadFixture(consentFixture);
      await time.increaseTo(f.credentialExpiry);
      // The patient's key has no credential and stays active; the cardiologist's credential ran out.
      await expect(grant(f, { validUntil: f.credentialExpiry + 30n * D }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
        .withArgs(f.cardiologistId);
    });

    it("reverts with ConsentInvalidCategories for an empty set or undefined bits", async function () {
      const f = await loadFixture(consentFixture);
      for (const categories of [0, UNDEFINED_CATEGORY, 1 << 16, LABS | UNDEFINED_CATEGORY, 0x7fff_ffff]) {
        await expect(grant(f, { categories }))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidCategories")
          .withArgs(categories);
      }
    });

    it("accepts the wildcard category set and every defined category named", async function () {
      const f = await loadFixture(consentFixture);
      const wild = await grant(f, { categories: ALL_CATEGORIES });
      await expect(wild.tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, ALL_CATEGORIES, TREATMENT, wild.at, wild.validUntil, 1);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(
        permit(ALL_CATEGORIES, TREATMENT, wild.at, wild.validUntil, 1),
      );
      const named = await grant(f, { grantee: f.internistId, categories: 0xffff });
      expect(await stateOf(f, f.internistId)).to.deep.equal(permit(0xffff, TREATMENT, named.at, named.validUntil, 1));
    });

    it("reverts with ConsentInvalidPurposes for an empty set or undefined bits", async function () {
      const f = await loadFixture(consentFixture);
      for (const purposes of [0, UNDEFINED_PURPOSE, 1 << 15, TREATMENT | UNDEFINED_PURPOSE, 0x7fff]) {
        await expect(grant(f, { purposes }))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPurposes")
          .withArgs(purposes);
      }
    });

    it("accepts the wildcard purpose set", async function () {
      const f = await loadFixture(consentFixture);
      const validUntil = BigInt(await time.latest()) + 10n * D;
      const { tx, at } = await grant(f, { purposes: ALL_PURPOSES, validUntil });
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, ALL_PURPOSES, at, validUntil, 1);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, ALL_PURPOSES, at, validUntil, 1));
    });

    it("reverts with ConsentInvalidWindow when validUntil is not after now", async function () {
      const f = await loadFixture(consentFixture);
      for (const offset of [0n, 1n, 30n * D]) {
        const now = await pinNext();
        await expect(grant(f, { validUntil: now - offset }))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidWindow")
          .withArgs(0, now - offset);
      }
    });

    it("reverts with ConsentInvalidWindow when validUntil is not after validFrom", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      const validFrom = now + D;
      await expect(grant(f, { validFrom, validUntil: validFrom }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidWindow")
        .withArgs(validFrom, validFrom);
      await expect(grant(f, { validFrom, validUntil: validFrom - 1n }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidWindow")
        .withArgs(validFrom, validFrom - 1n);
    });

    it("reverts with ConsentInvalidWindow when validFrom is more than MAX_START_DELAY ahead", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      const validFrom = now + MAX_START_DELAY + 1n;
      await expect(grant(f, { validFrom, validUntil: validFrom + D }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidWindow")
        .withArgs(validFrom, validFrom + D);
    });

    it("accepts a start exactly MAX_START_DELAY ahead", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      const validFrom = now + MAX_START_DELAY;
      const { tx, at } = await grant(f, { validFrom, validUntil: validFrom + D });
      expect(at).to.equal(now);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, validFrom, validFrom + D, 1);
    });

    it("reverts with ConsentDurationTooLong past the treatment maximum and accepts it exactly", async function () {
      const f = await loadFixture(consentFixture);
      let now = await pinNext();
      await expect(grant(f, { validUntil: now + TREATMENT_MAX + 1n }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(TREATMENT_MAX + 1n, TREATMENT_MAX);
      now = await pinNext();
      const { at } = await grant(f, { validUntil: now + TREATMENT_MAX });
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, now + TREATMENT_MAX, 1));
    });

    it("reverts with ConsentDurationTooLong past the research maximum and accepts it exactly", async function () {
      const f = await loadFixture(consentFixture);
      const research = purposeSet(Purpose.Research);
      let now = await pinNext();
      await expect(grant(f, { grantee: f.sponsorId, purposes: research, validUntil: now + RESEARCH_MAX + 1n }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(RESEARCH_MAX + 1n, RESEARCH_MAX);
      now = await pinNext();
      const { at } = await grant(f, { grantee: f.sponsorId, purposes: research, validUntil: now + RESEARCH_MAX });
      expect(await stateOf(f, f.sponsorId)).to.deep.equal(permit(LABS, research, at, now + RESEARCH_MAX, 1));
    });

    it("reverts with ConsentDurationTooLong past the emergency-treatment maximum and accepts it exactly", async function () {
      const f = await loadFixture(consentFixture);
      const emergency = purposeSet(Purpose.EmergencyTreatment);
      let now = await pinNext();
      await expect(grant(f, { purposes: emergency, validUntil: now + EMERGENCY_MAX + 1n }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(EMERGENCY_MAX + 1n, EMERGENCY_MAX);
      now = await pinNext();
      await grant(f, { purposes: emergency, validUntil: now + EMERGENCY_MAX });
      expect((await stateOf(f, f.cardiologistId)).validUntil).to.equal(now + EMERGENCY_MAX);
    });

    it("applies the smallest maximum among a set of purposes, and among all for the wildcard", async function () {
      const f = await loadFixture(consentFixture);
      const cases: [number, bigint][] = [
        [purposeSet(Purpose.Treatment, Purpose.Research), TREATMENT_MAX],
        [purposeSet(Purpose.Research, Purpose.EmergencyTreatment), EMERGENCY_MAX],
        [purposeSet(Purpose.Payment, Purpose.HealthcareOperations, Purpose.PublicHealth), TREATMENT_MAX],
        [ALL_PURPOSES, EMERGENCY_MAX],
      ];
      for (const [purposes, max] of cases) {
        const now = await pinNext();
        await expect(grant(f, { purposes, validUntil: now + max + 1n }), `purposes ${purposes}`)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
          .withArgs(max + 1n, max);
      }
    });

    it("measures the duration from a future start", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      const validFrom = now + 10n * D;
      await expect(grant(f, { validFrom, validUntil: validFrom + TREATMENT_MAX + 1n }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(TREATMENT_MAX + 1n, TREATMENT_MAX);
      const { at } = await grant(f, { validFrom, validUntil: validFrom + TREATMENT_MAX });
      expect(at).to.be.lessThan(validFrom);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(
        permit(LABS, TREATMENT, validFrom, validFrom + TREATMENT_MAX, 1),
      );
    });

    it("stores a validFrom in the past as the block time and measures the duration from it", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      const validFrom = now - 10n * D;
      const validUntil = now + TREATMENT_MAX;
      const { tx, at } = await grant(f, { validFrom, validUntil });
      expect(at).to.equal(now);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, now, validUntil, 1);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, now, validUntil, 1));
    });

    it("reports the raw validFrom in ConsentInvalidWindow when a past start meets an ended window", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      await expect(grant(f, { validFrom: now - 2n * D, validUntil: now - D }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidWindow")
        .withArgs(now - 2n * D, now - D);
    });

    it("opens access only from a future validFrom", async function () {
      const f = await loadFixture(consentFixture);
      const now = await pinNext();
      const validFrom = now + D;
      await grant(f, { validFrom, validUntil: validFrom + 30n * D });
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment, now)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(
        await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment, validFrom - 1n),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment, validFrom)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("moves the version on 1, 2, 3 with each grant to the same grantee", async function () {
      const f = await loadFixture(consentFixture);
      for (const version of [1, 2, 3]) {
        const { tx, at, validUntil } = await grant(f);
        await expect(tx)
          .to.emit(f.consentRegistry, "ConsentGranted")
          .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, at, validUntil, version);
        expect((await stateOf(f, f.cardiologistId)).version).to.equal(BigInt(version));
      }
      // Versions count per grantee.
      const other = await grant(f, { grantee: f.internistId });
      await expect(other.tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.internistId, f.patientId, LABS, TREATMENT, other.at, other.validUntil, 1);
    });

    it("replaces the earlier permit with the new scope and window", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const imaging = categorySet(DataCategory.Imaging);
      const purposes = purposeSet(Purpose.Treatment, Purpose.HealthcareOperations);
      const validUntil = BigInt(await time.latest()) + 90n * D;
      const { at } = await grant(f, { categories: imaging, purposes, validUntil });
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(imaging, purposes, at, validUntil, 2));
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.Imaging, Purpose.HealthcareOperations)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 2n),
      );
    });

    it("reverts with ConsentRepresentativeConflict when a representative grants itself or its organization", async function () {
      const f = await loadFixture(consentFixture);
      await appointCardiologist(f);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        await expect(grant(f, { key: f.cardiologistKey, grantee }), String(grantee))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, grantee);
        expect(await stateOf(f, grantee)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
      }
      // A representative that is a patient conflicts with itself too: the conflict is named before the grantee's kind.
      await expect(grant(f, { key: f.representativeKey, grantee: f.representativeId }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
        .withArgs(f.patientId, f.representativeId, f.representativeId);
    });

    // A representative without an organization (a patient representing her) has organization NONE, which must not
    // read as a conflict with grantee NONE.
    it("reverts with ConsentInvalidGrantee, not a conflict, when a representative without an organization names grantee NONE", async function () {
      const f = await loadFixture(consentFixture);
      for (const key of [f.patientKey, f.representativeKey]) {
        await expect(grant(f, { key, grantee: 0n }), key.address)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
          .withArgs(0n);
        await expect(f.consentRegistry.connect(key).setDeny(f.patientId, 0n, LABS), key.address)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
          .withArgs(0n);
      }
    });

    it("lets a representative grant other grantees, a colleague included, and the patient grant the representative", async function () {
      const f = await loadFixture(consentFixture);
      await appointCardiologist(f);
      for (const grantee of [f.internistId, f.clinicId, f.payerId]) {
        const { tx, at, validUntil } = await grant(f, { key: f.cardiologistKey, grantee });
        await expect(tx, String(grantee))
          .to.emit(f.consentRegistry, "ConsentGranted")
          .withArgs(f.patientId, grantee, f.cardiologistId, LABS, TREATMENT, at, validUntil, 1);
        expect(await stateOf(f, grantee)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1));
      }
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        const { tx, at, validUntil } = await grant(f, { grantee });
        await expect(tx, String(grantee))
          .to.emit(f.consentRegistry, "ConsentGranted")
          .withArgs(f.patientId, grantee, f.patientId, LABS, TREATMENT, at, validUntil, 1);
        expect(await stateOf(f, grantee)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1));
      }
      // The representative's own grant decides before its representation does.
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("keeps the explicit deny when it replaces the permit", async function () {
      const f = await loadFixture(consentFixture);
      const deny = categorySet(DataCategory.Conditions);
      await (await f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, deny)).wait();
      const { at, validUntil } = await grant(f);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1, deny));
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
      );
    });

    it("reverts with EnforcedPause while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      await pause(f);
      await expect(grant(f)).to.be.revertedWithCustomError(f.consentRegistry, "EnforcedPause");
      await expect(grant(f, { key: f.representativeKey })).to.be.revertedWithCustomError(
        f.consentRegistry,
        "EnforcedPause",
      );
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // narrow
  // -------------------------------------------------------------------------------------------------------------------

  describe("narrow", function () {
    const WIDE_PURPOSES = purposeSet(Purpose.Treatment, Purpose.Payment);

    /** The patient grants the cardiologist LABS for treatment and payment for 60 days. */
    async function granted() {
      const f = await loadFixture(consentFixture);
      const { at, validUntil } = await grant(f, {
        purposes: WIDE_PURPOSES,
        validUntil: BigInt(await time.latest()) + 60n * D,
      });
      return { f, grantedAt: at, validUntil };
    }

    it("narrows to a subset, keeps the start, bumps the version and emits ConsentNarrowed", async function () {
      const { f, grantedAt, validUntil } = await granted();
      const labs = categorySet(DataCategory.LaboratoryResults);
      const newEnd = validUntil - 30n * D;
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, labs, TREATMENT, newEnd),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, labs, TREATMENT, newEnd, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(labs, TREATMENT, grantedAt, newEnd, 2));
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 2n),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Payment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, newEnd),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
    });

    it("accepts the same scope and end, still bumping the version", async function () {
      const { f, grantedAt, validUntil } = await granted();
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, WIDE_PURPOSES, validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, WIDE_PURPOSES, validUntil, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, WIDE_PURPOSES, grantedAt, validUntil, 2));
    });

    it("returns the new version", async function () {
      const { f, validUntil } = await granted();
      expect(
        await f.consentRegistry
          .connect(f.patientKey)
          .narrow.staticCall(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
      ).to.equal(2n);
    });

    it("records the representative's id as the actor when an active representative narrows", async function () {
      const { f, validUntil } = await granted();
      await expect(
        f.consentRegistry
          .connect(f.representativeKey)
          .narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.representativeId, LABS, TREATMENT, validUntil, 2);
    });

    it("reverts with ConsentNotNarrower for a wider category set", async function () {
      const { f, validUntil } = await granted();
      const wider = LABS | categorySet(DataCategory.Imaging);
      for (const categories of [wider, categorySet(DataCategory.Imaging), ALL_CATEGORIES]) {
        await expect(
          f.consentRegistry
            .connect(f.patientKey)
            .narrow(f.patientId, f.cardiologistId, categories, TREATMENT, validUntil),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
          .withArgs(f.patientId, f.cardiologistId);
      }
    });

    it("reverts with ConsentNotNarrower for a wider purpose set", async function () {
      const { f, validUntil } = await granted();
      for (const purposes of [purposeSet(Purpose.Treatment, Purpose.Research), ALL_PURPOSES]) {
        await expect(
          f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, purposes, validUntil),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
          .withArgs(f.patientId, f.cardiologistId);
      }
    });

    it("reverts with ConsentNotNarrower for a later end, or an end not after now", async function () {
      const { f, validUntil } = await granted();
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil + 1n),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
        .withArgs(f.patientId, f.cardiologistId);
      const now = await pinNext();
      await expect(f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, now))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
        .withArgs(f.patientId, f.cardiologistId);
    });

    it("reverts with ConsentNotNarrower for an end not after the start of a future permit", async function () {
      const f = await loadFixture(consentFixture);
      const validFrom = BigInt(await time.latest()) + 10n * D;
      await grant(f, { validFrom, validUntil: validFrom + 30n * D });
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validFrom),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
        .withArgs(f.patientId, f.cardiologistId);
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validFrom + D),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, validFrom + D, 2);
    });

    it("reverts with ConsentNoLiveGrant when the grantee never had a grant", async function () {
      const { f, validUntil } = await granted();
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.internistId, LABS, TREATMENT, validUntil),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.internistId);
    });

    it("reverts with ConsentNoLiveGrant after the permit was revoked", async function () {
      const { f, validUntil } = await granted();
      await (await f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId)).wait();
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.cardiologistId);
    });

    it("reverts with ConsentNoLiveGrant once the permit has expired", async function () {
      const { f, validUntil } = await granted();
      await time.increaseTo(validUntil);
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.cardiologistId);
    });

    it("narrows a wildcard grant to named non-sensitive categories", async function () {
      const f = await loadFixture(consentFixture);
      const { at, validUntil } = await grant(f, { categories: ALL_CATEGORIES });
      const named = categorySet(DataCategory.LaboratoryResults, DataCategory.Imaging, DataCategory.InsuranceAndClaims);
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, named, TREATMENT, validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, named, TREATMENT, validUntil, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(named, TREATMENT, at, validUntil, 2));
    });

    it("keeps a wildcard as the wildcard", async function () {
      const f = await loadFixture(consentFixture);
      const { validUntil } = await grant(f, { categories: ALL_CATEGORIES });
      await expect(
        f.consentRegistry
          .connect(f.patientKey)
          .narrow(f.patientId, f.cardiologistId, ALL_CATEGORIES, TREATMENT, validUntil - D),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, ALL_CATEGORIES, TREATMENT, validUntil - D, 2);
    });

    it("reverts with ConsentNotNarrower when narrowing a wildcard to a set that names a sensitive category", async function () {
      const f = await loadFixture(consentFixture);
      const { validUntil } = await grant(f, { categories: ALL_CATEGORIES });
      for (const sensitive of [
        DataCategory.MentalHealth,
        DataCategory.SubstanceUse,
        DataCategory.SexualAndReproductiveHealth,
        DataCategory.Genomics,
      ]) {
        const categories = categorySet(DataCategory.LaboratoryResults, sensitive);
        await expect(
          f.consentRegistry
            .connect(f.patientKey)
            .narrow(f.patientId, f.cardiologistId, categories, TREATMENT, validUntil),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
          .withArgs(f.patientId, f.cardiologistId);
      }
      expect((await stateOf(f, f.cardiologistId)).categories).to.equal(BigInt(ALL_CATEGORIES));
    });

    it("reverts with ConsentNotNarrower when narrowing wildcard purposes to research", async function () {
      const f = await loadFixture(consentFixture);
      const { validUntil } = await grant(f, { purposes: ALL_PURPOSES, validUntil: BigInt(await time.latest()) + D });
      await expect(
        f.consentRegistry
          .connect(f.patientKey)
          .narrow(f.patientId, f.cardiologistId, LABS, purposeSet(Purpose.Research), validUntil),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNotNarrower")
        .withArgs(f.patientId, f.cardiologistId);
      await expect(
        f.consentRegistry
          .connect(f.patientKey)
          .narrow(f.patientId, f.cardiologistId, LABS, purposeSet(Purpose.Treatment, Purpose.Payment), validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(
          f.patientId,
          f.cardiologistId,
          f.patientId,
          LABS,
          purposeSet(Purpose.Treatment, Purpose.Payment),
          validUntil,
          2,
        );
    });

    it("reverts with ConsentInvalidCategories or ConsentInvalidPurposes for invalid sets", async function () {
      const { f, validUntil } = await granted();
      for (const categories of [0, UNDEFINED_CATEGORY]) {
        await expect(
          f.consentRegistry
            .connect(f.patientKey)
            .narrow(f.patientId, f.cardiologistId, categories, TREATMENT, validUntil),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidCategories")
          .withArgs(categories);
      }
      for (const purposes of [0, UNDEFINED_PURPOSE]) {
        await expect(
          f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, purposes, validUntil),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPurposes")
          .withArgs(purposes);
      }
    });

    it("reverts with ConsentRepresentativeConflict when a representative narrows its own or its organization's permit", async function () {
      const { f, grantedAt, validUntil } = await granted();
      const hospital = await grant(f, { grantee: f.hospitalId, purposes: WIDE_PURPOSES, validUntil });
      await appointCardiologist(f);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        await expect(
          f.consentRegistry.connect(f.cardiologistKey).narrow(f.patientId, grantee, LABS, TREATMENT, validUntil),
          String(grantee),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, grantee);
      }
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, WIDE_PURPOSES, grantedAt, validUntil, 1));
      expect(await stateOf(f, f.hospitalId)).to.deep.equal(permit(LABS, WIDE_PURPOSES, hospital.at, validUntil, 1));
      // The patient herself narrows the representative's permit.
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, validUntil, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, grantedAt, validUntil, 2));
    });

    it("lets a representative narrow another grantee's permit", async function () {
      const { f, validUntil } = await granted();
      const internist = await grant(f, { grantee: f.internistId, purposes: WIDE_PURPOSES, validUntil });
      await appointCardiologist(f);
      await expect(
        f.consentRegistry.connect(f.cardiologistKey).narrow(f.patientId, f.internistId, LABS, TREATMENT, validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.internistId, f.cardiologistId, LABS, TREATMENT, validUntil, 2);
      expect(await stateOf(f, f.internistId)).to.deep.equal(permit(LABS, TREATMENT, internist.at, validUntil, 2));
    });

    it("reverts with ConsentUnauthorizedActor for a stranger or the grantee", async function () {
      const { f, validUntil } = await granted();
      for (const caller of [signer(f.spareKeys, 0), f.cardiologistKey, f.otherPatientKey]) {
        await expect(
          f.consentRegistry.connect(caller).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("keeps working while the registry is paused (it only removes access)", async function () {
      const { f, grantedAt, validUntil } = await granted();
      await pause(f);
      await expect(
        f.consentRegistry.connect(f.patientKey).narrow(f.patientId, f.cardiologistId, LABS, TREATMENT, validUntil),
      )
        .to.emit(f.consentRegistry, "ConsentNarrowed")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, validUntil, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, grantedAt, validUntil, 2));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // revoke
  // -------------------------------------------------------------------------------------------------------------------

  describe("revoke", function () {
    it("ends the permit in the same block and emits ConsentRevoked", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      const tx = await f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId);
      const at = await minedAt(tx);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, at)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2));
    });

    it("returns the new version and continues the count on a later grant", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      expect(await f.consentRegistry.connect(f.patientKey).revoke.staticCall(f.patientId, f.cardiologistId)).to.equal(
        2n,
      );
      await (await f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId)).wait();
      const { tx, at, validUntil } = await grant(f);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, at, validUntil, 3);
    });

    it("records the representative's id as the actor when an active representative revokes", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      await expect(f.consentRegistry.connect(f.representativeKey).revoke(f.patientId, f.cardiologistId))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.representativeId, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2));
    });

    it("revokes a permit that has not started yet", async function () {
      const f = await loadFixture(consentFixture);
      const validFrom = BigInt(await time.latest()) + 10n * D;
      await grant(f, { validFrom, validUntil: validFrom + D });
      await expect(f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
      expect(
        await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, validFrom),
      ).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
    });

    it("reverts with ConsentNoLiveGrant when there is nothing to revoke", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.cardiologistId);
      await grant(f);
      await (await f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId)).wait();
      await expect(f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.cardiologistId);
    });

    it("reverts with ConsentNoLiveGrant once the permit has expired", async function () {
      const f = await loadFixture(consentFixture);
      const { validUntil } = await grant(f);
      await time.increaseTo(validUntil);
      await expect(f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.cardiologistId);
    });

    it("keeps the explicit deny", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const deny = categorySet(DataCategory.MentalHealth);
      await (await f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, deny)).wait();
      await (await f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId)).wait();
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2, deny));
    });

    it("reverts with ConsentRepresentativeConflict when a representative revokes its own or its organization's permit", async function () {
      const f = await loadFixture(consentFixture);
      const own = await grant(f);
      const hospital = await grant(f, { grantee: f.hospitalId });
      await appointCardiologist(f);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        await expect(f.consentRegistry.connect(f.cardiologistKey).revoke(f.patientId, grantee), String(grantee))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, grantee);
      }
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, own.at, own.validUntil, 1));
      expect(await stateOf(f, f.hospitalId)).to.deep.equal(
        permit(LABS, TREATMENT, hospital.at, hospital.validUntil, 1),
      );
      // The patient can.
      await expect(f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2));
    });

    it("lets a representative revoke another grantee's permit", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, { grantee: f.internistId });
      await appointCardiologist(f);
      await expect(f.consentRegistry.connect(f.cardiologistKey).revoke(f.patientId, f.internistId))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.internistId, f.cardiologistId, 2);
      expect(await stateOf(f, f.internistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2));
    });

    it("reverts with ConsentUnauthorizedActor for a stranger or the grantee", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      for (const caller of [signer(f.spareKeys, 0), f.cardiologistKey, f.hospitalKey, f.otherPatientKey]) {
        await expect(f.consentRegistry.connect(caller).revoke(f.patientId, f.cardiologistId))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("keeps working while the registry is paused (it only removes access)", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      await pause(f);
      await expect(f.consentRegistry.connect(f.patientKey).revoke(f.patientId, f.cardiologistId))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // setDeny
  // -------------------------------------------------------------------------------------------------------------------

  describe("setDeny", function () {
    it("denies the grantee over its own grant and emits ConsentDenySet", async function () {
      const f = await loadFixture(consentFixture);
      const { at, validUntil } = await grant(f);
      const deny = categorySet(DataCategory.LaboratoryResults);
      await expect(f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, deny))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, deny);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1, deny));
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
      );
      // Only the denied category: the rest of the grant still opens.
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("shuts what the organization's grant opens to its practitioners, not their own named grants", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      await grant(f, { grantee: f.hospitalId });
      const deny = categorySet(DataCategory.LaboratoryResults);
      await expect(f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.hospitalId, deny))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.hospitalId, f.patientId, deny);
      // The internist had only the hospital's grant: the hospital's deny shuts it.
      expect(await decide(f, f.internistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.internistId, f.hospitalId),
      );
      expect(await decide(f, f.internistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant, f.internistId, f.hospitalId, 1n),
      );
      // The cardiologist's own grant is the more specific statement and stays in force.
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      expect((await stateOf(f, f.cardiologistId)).categories).to.equal(BigInt(LABS));
    });

    it("reports the first refusal, the rule against the practitioner's wildcard grant, over the organization's deny", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f, { categories: ALL_CATEGORIES });
      const deny = categorySet(DataCategory.MentalHealth);
      await (await f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.hospitalId, deny)).wait();
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
      // Without a grant of its own, the practitioner is refused by the organization's deny.
      expect(await decide(f, f.internistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.internistId, f.hospitalId),
      );
    });

    it("keeps a practitioner's open break-glass session over the organization's deny", async function () {
      const f = await loadFixture(consentFixture);
      await (await f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, MAX_BREAK_GLASS)).wait();
      expect(await decide(f, f.erDoctorKey, DataCategory.Allergies, Purpose.EmergencyTreatment)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 1n),
      );
      const deny = categorySet(DataCategory.Allergies);
      await (await f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.hospitalId, deny)).wait();
      expect(await decide(f, f.erDoctorKey, DataCategory.Allergies, Purpose.EmergencyTreatment)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 1n),
      );
      // A deny naming the practitioner itself does shut its session.
      await (await f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.erDoctorId, deny)).wait();
      expect(await decide(f, f.erDoctorKey, DataCategory.Allergies, Purpose.EmergencyTreatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.erDoctorId, f.erDoctorId),
      );
    });

    it("restores access when the deny is lifted with 0", async function () {
      const f = await loadFixture(consentFixture);
      const { at, validUntil } = await grant(f);
      const registry = f.consentRegistry.connect(f.patientKey);
      await (await registry.setDeny(f.patientId, f.cardiologistId, LABS)).wait();
      await (await registry.setDeny(f.patientId, f.hospitalId, LABS)).wait();
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
      );
      await expect(registry.setDeny(f.patientId, f.cardiologistId, 0))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 0);
      // The hospital's deny stays, but the cardiologist's own grant governs the cardiologist.
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      await (await registry.setDeny(f.patientId, f.hospitalId, 0)).wait();
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1));
      expect(await stateOf(f, f.hospitalId)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
    });

    it("accepts the wildcard, which denies sensitive categories too", async function () {
      const f = await loadFixture(consentFixture);
      const named = categorySet(DataCategory.MentalHealth, DataCategory.Genomics);
      await grant(f, { categories: named });
      await expect(f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, ALL_CATEGORIES))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, ALL_CATEGORIES);
      expect((await stateOf(f, f.cardiologistId)).deniedCategories).to.equal(BigInt(ALL_CATEGORIES));
      for (const category of [DataCategory.MentalHealth, DataCategory.Genomics, DataCategory.Demographics]) {
        expect(await decide(f, f.cardiologistKey, category, Purpose.Treatment)).to.deep.equal(
          denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
        );
      }
    });

    it("accepts a deny on a suspended or revoked grantee", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.clinicId);
      await (await f.identityRegistry.connect(f.registrar).revoke(f.payerId, SUSPENSION_REASON)).wait();
      for (const grantee of [f.clinicId, f.payerId]) {
        await expect(f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, grantee, LABS))
          .to.emit(f.consentRegistry, "ConsentDenySet")
          .withArgs(f.patientId, grantee, f.patientId, LABS);
        expect((await stateOf(f, grantee)).deniedCategories).to.equal(BigInt(LABS));
      }
    });

    it("records the representative's id as the actor when an active representative sets a deny", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.consentRegistry.connect(f.representativeKey).setDeny(f.patientId, f.payerId, LABS))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.payerId, f.representativeId, LABS);
    });

    it("reverts with ConsentInvalidGrantee for an unknown id or a patient", async function () {
      const f = await loadFixture(consentFixture);
      const unknown = (await f.identityRegistry.lastId()) + 1n;
      for (const grantee of [0n, unknown, f.patientId, f.otherPatientId, f.representativeId]) {
        await expect(f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, grantee, LABS))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
          .withArgs(grantee);
      }
    });

    it("reverts with ConsentInvalidCategories for undefined bits", async function () {
      const f = await loadFixture(consentFixture);
      for (const categories of [UNDEFINED_CATEGORY, 1 << 16, LABS | UNDEFINED_CATEGORY]) {
        await expect(f.consentRegistry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, categories))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidCategories")
          .withArgs(categories);
      }
    });

    it("reverts with ConsentRepresentativeConflict when a representative sets a deny on itself or its organization", async function () {
      const f = await loadFixture(consentFixture);
      await appointCardiologist(f);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        await expect(f.consentRegistry.connect(f.cardiologistKey).setDeny(f.patientId, grantee, LABS), String(grantee))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, grantee);
        expect((await stateOf(f, grantee)).deniedCategories).to.equal(0n);
      }
    });

    it("reverts with ConsentRepresentativeConflict when a representative lifts a deny the patient placed on it or its organization", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry;
      await (await registry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, LABS)).wait();
      await (await registry.connect(f.patientKey).setDeny(f.patientId, f.hospitalId, LABS)).wait();
      await appointCardiologist(f);
      const partly = categorySet(DataCategory.LaboratoryResults);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        for (const categories of [0, partly, ALL_CATEGORIES]) {
          await expect(
            registry.connect(f.cardiologistKey).setDeny(f.patientId, grantee, categories),
            `${String(grantee)} ${String(categories)}`,
          )
            .to.be.revertedWithCustomError(registry, "ConsentRepresentativeConflict")
            .withArgs(f.patientId, f.cardiologistId, grantee);
        }
        expect((await stateOf(f, grantee)).deniedCategories).to.equal(BigInt(LABS));
      }
      // The deny still wins over the representation.
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.ExplicitDeny, f.cardiologistId, f.cardiologistId),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.Imaging, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Representative, f.cardiologistId, f.patientId, 0n),
      );
      // The patient herself lifts it.
      await expect(registry.connect(f.patientKey).setDeny(f.patientId, f.cardiologistId, 0))
        .to.emit(registry, "ConsentDenySet")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 0);
      expect(await decide(f, f.cardiologistKey, DataCategory.Conditions, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Representative, f.cardiologistId, f.patientId, 0n),
      );
    });

    it("lets a representative set and lift denies on other grantees", async function () {
      const f = await loadFixture(consentFixture);
      await appointCardiologist(f);
      const registry = f.consentRegistry.connect(f.cardiologistKey);
      for (const grantee of [f.internistId, f.clinicId]) {
        await expect(registry.setDeny(f.patientId, grantee, LABS), String(grantee))
          .to.emit(f.consentRegistry, "ConsentDenySet")
          .withArgs(f.patientId, grantee, f.cardiologistId, LABS);
        expect((await stateOf(f, grantee)).deniedCategories).to.equal(BigInt(LABS));
        await expect(registry.setDeny(f.patientId, grantee, 0), String(grantee))
          .to.emit(f.consentRegistry, "ConsentDenySet")
          .withArgs(f.patientId, grantee, f.cardiologistId, 0);
        expect((await stateOf(f, grantee)).deniedCategories).to.equal(0n);
      }
    });

    it("reverts with ConsentUnauthorizedActor for a stranger or the grantee", async function () {
      const f = await loadFixture(consentFixture);
      for (const caller of [signer(f.spareKeys, 0), f.cardiologistKey, f.otherPatientKey]) {
        await expect(f.consentRegistry.connect(caller).setDeny(f.patientId, f.cardiologistId, 0))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("adds to a deny while paused but reverts with EnforcedPause on lifting any part of it", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry.connect(f.patientKey);
      const first = categorySet(DataCategory.LaboratoryResults);
      const both = categorySet(DataCategory.LaboratoryResults, DataCategory.Imaging);
      await (await registry.setDeny(f.patientId, f.cardiologistId, first)).wait();
      await pause(f);
      await expect(registry.setDeny(f.patientId, f.cardiologistId, both))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, both);
      await expect(registry.setDeny(f.patientId, f.cardiologistId, both))
        .to.emit(f.consentRegistry, "ConsentDenySet")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, both);
      for (const lifted of [0, first, categorySet(DataCategory.Imaging, DataCategory.Genomics)]) {
        await expect(registry.setDeny(f.patientId, f.cardiologistId, lifted)).to.be.revertedWithCustomError(
          f.consentRegistry,
          "EnforcedPause",
        );
      }
      expect((await stateOf(f, f.cardiologistId)).deniedCategories).to.equal(BigInt(both));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // grantBySig
  // -------------------------------------------------------------------------------------------------------------------

  describe("grantBySig", function () {
    it("applies a grant the patient signed, relayed by a third party with its evidence", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      const tx = await f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature);
      const at = await minedAt(tx);
      await expect(tx)
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.patientId, f.patientKey.address, f.hospitalKey.address, 0, EVIDENCE);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, at, message.validUntil, 1);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(1n);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, message.validUntil, 1));
    });

    it("moves the nonce on by one per signature", async function () {
      const f = await loadFixture(consentFixture);
      const domain = await domainOf(f);
      for (const nonce of [0n, 1n, 2n]) {
        const message = await grantMessage(f);
        expect(message.nonce).to.equal(nonce);
        const signature = await signGrant(f.patientKey, domain, message);
        await expect(f.consentRegistry.connect(f.payerKey).grantBySig(message, f.patientKey.address, signature))
          .to.emit(f.consentRegistry, "SignedConsentRelayed")
          .withArgs(f.patientId, f.patientKey.address, f.payerKey.address, nonce, EVIDENCE);
        expect(await f.consentRegistry.nonces(f.patientId)).to.equal(nonce + 1n);
      }
      expect((await stateOf(f, f.cardiologistId)).version).to.equal(3n);
    });

    it("reverts with ConsentInvalidNonce when the same signature is replayed", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      await (
        await f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature)
      ).wait();
      for (const relayer of [f.hospitalKey, f.patientKey, signer(f.spareKeys, 0)]) {
        await expect(f.consentRegistry.connect(relayer).grantBySig(message, f.patientKey.address, signature))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidNonce")
          .withArgs(f.patientId, 1, 0);
      }
      expect((await stateOf(f, f.cardiologistId)).version).to.equal(1n);
    });

    it("reverts with ConsentInvalidNonce for a signature with a future nonce", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f, { nonce: 5n });
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidNonce")
        .withArgs(f.patientId, 0, 5);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
    });

    it("reverts with ConsentSignatureExpired once the deadline has passed, and accepts it at the deadline", async function () {
      const f = await loadFixture(consentFixture);
      const domain = await domainOf(f);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, domain, message);
      await time.increaseTo(message.deadline);
      const now = await pinNext();
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentSignatureExpired")
        .withArgs(message.deadline, now);

      const onTime = await grantMessage(f);
      const onTimeSignature = await signGrant(f.patientKey, domain, onTime);
      await time.setNextBlockTimestamp(onTime.deadline);
      await expect(
        f.consentRegistry.connect(f.hospitalKey).grantBySig(onTime, f.patientKey.address, onTimeSignature),
      ).to.emit(f.consentRegistry, "ConsentGranted");
    });

    it("reverts with ConsentInvalidSignature for a signature made for another chain", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, await domainOf(f, 1n), message);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
        .withArgs(f.patientKey.address);
    });

    it("reverts with ConsentInvalidSignature for a signature made for another verifying contract", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const elsewhere = await domainOf(f, undefined, await f.identityRegistry.getAddress());
      const signature = await signGrant(f.patientKey, elsewhere, message);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
        .withArgs(f.patientKey.address);
    });

    it("reverts with ConsentInvalidSignature when a field is changed after signing", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      const tampered: Partial<GrantMessage>[] = [
        { categories: message.categories | BigInt(categorySet(DataCategory.MentalHealth)) },
        { purposes: BigInt(purposeSet(Purpose.Treatment, Purpose.Payment)) },
        { grantee: f.internistId },
        { validUntil: message.validUntil + 1n },
        { validFrom: 1n },
        { evidence: commit("fhir:Consent/another-document").commitment },
        { deadline: message.deadline + 1n },
      ];
      for (const change of tampered) {
        await expect(
          f.consentRegistry
            .connect(f.hospitalKey)
            .grantBySig({ ...message, ...change }, f.patientKey.address, signature),
          JSON.stringify(change, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value)),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
          .withArgs(f.patientKey.address);
      }
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, "0x1234"))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
        .withArgs(f.patientKey.address);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
    });

    it("reverts with ConsentInvalidSignature when the signer named is not the key that signed", async function () {
      const f = await loadFixture(consentFixture);
      const stranger = signer(f.spareKeys, 0);
      const message = await grantMessage(f);
      const signature = await signGrant(stranger, await domainOf(f), message);
      await expect(f.consentRegistry.connect(stranger).grantBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
        .withArgs(f.patientKey.address);
    });

    it("reverts with ConsentUnauthorizedActor for a valid signature by a key that does not act for the patient", async function () {
      const f = await loadFixture(consentFixture);
      const domain = await domainOf(f);
      for (const key of [signer(f.spareKeys, 0), f.otherPatientKey, f.cardiologistKey]) {
        const message = await grantMessage(f);
        const signature = await signGrant(key, domain, message);
        await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, key.address, signature))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, key.address);
      }
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
    });

    it("accepts a signature by an active representative, who becomes the actor", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.representativeKey, await domainOf(f), message);
      const tx = await f.consentRegistry
        .connect(f.hospitalKey)
        .grantBySig(message, f.representativeKey.address, signature);
      const at = await minedAt(tx);
      await expect(tx)
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.patientId, f.representativeKey.address, f.hospitalKey.address, 0, EVIDENCE);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.representativeId, LABS, TREATMENT, at, message.validUntil, 1);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(1n);
    });

    it("reverts with ConsentUnauthorizedActor for a key the patient rotated away, and accepts the new key", async function () {
      const f = await loadFixture(consentFixture);
      const newKey = signer(f.spareKeys, 0);
      const domain = await domainOf(f);
      const message = await grantMessage(f);
      const oldSignature = await signGrant(f.patientKey, domain, message);
      await rotatePatientKey(f, newKey);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, oldSignature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(f.patientId, f.patientKey.address);
      const newSignature = await signGrant(newKey, domain, message);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, newKey.address, newSignature))
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.patientId, newKey.address, f.hospitalKey.address, 0, EVIDENCE);
    });

    it("reverts with the grant's own error, without using the nonce, when the signed terms are invalid", async function () {
      const f = await loadFixture(consentFixture);
      const domain = await domainOf(f);
      const badGrantee = await grantMessage(f, { grantee: f.otherPatientId });
      await expect(
        f.consentRegistry
          .connect(f.hospitalKey)
          .grantBySig(badGrantee, f.patientKey.address, await signGrant(f.patientKey, domain, badGrantee)),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidGrantee")
        .withArgs(f.otherPatientId);
      const now = await pinNext();
      const tooLong = await grantMessage(f, { validUntil: now + TREATMENT_MAX + 1n });
      await expect(
        f.consentRegistry
          .connect(f.hospitalKey)
          .grantBySig(tooLong, f.patientKey.address, await signGrant(f.patientKey, domain, tooLong)),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(TREATMENT_MAX + 1n, TREATMENT_MAX);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
    });

    it("reverts with ConsentRepresentativeConflict for a representative's signed grant to itself or its organization", async function () {
      const f = await loadFixture(consentFixture);
      await appointCardiologist(f);
      const domain = await domainOf(f);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        const message = await grantMessage(f, { grantee });
        const signature = await signGrant(f.cardiologistKey, domain, message);
        await expect(
          f.consentRegistry.connect(f.payerKey).grantBySig(message, f.cardiologistKey.address, signature),
          String(grantee),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, grantee);
        expect(await stateOf(f, grantee)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
      }
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
      // The same grant signed by the patient is applied, and the representative's signature for a colleague too.
      const own = await grantMessage(f);
      const ownTx = await f.consentRegistry
        .connect(f.payerKey)
        .grantBySig(own, f.patientKey.address, await signGrant(f.patientKey, domain, own));
      await expect(ownTx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, LABS, TREATMENT, await minedAt(ownTx), own.validUntil, 1);
      const colleague = await grantMessage(f, { grantee: f.internistId });
      const colleagueTx = await f.consentRegistry
        .connect(f.payerKey)
        .grantBySig(colleague, f.cardiologistKey.address, await signGrant(f.cardiologistKey, domain, colleague));
      await expect(colleagueTx)
        .to.emit(f.consentRegistry, "ConsentGranted")
        .withArgs(
          f.patientId,
          f.internistId,
          f.cardiologistId,
          LABS,
          TREATMENT,
          await minedAt(colleagueTx),
          colleague.validUntil,
          1,
        );
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(2n);
    });

    it("reverts with EnforcedPause while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      await pause(f);
      await expect(
        f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature),
      ).to.be.revertedWithCustomError(f.consentRegistry, "EnforcedPause");
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // revokeBySig
  // -------------------------------------------------------------------------------------------------------------------

  describe("revokeBySig", function () {
    it("applies a revocation the patient signed, relayed by a third party", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.patientKey, await domainOf(f), message);
      const tx = await f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, signature);
      const at = await minedAt(tx);
      await expect(tx)
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.patientId, f.patientKey.address, f.hospitalKey.address, 0, EVIDENCE);
      await expect(tx)
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(1n);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 2));
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment, at)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
    });

    it("accepts a revocation signed by an active representative", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.representativeKey, await domainOf(f), message);
      await expect(f.consentRegistry.connect(f.payerKey).revokeBySig(message, f.representativeKey.address, signature))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.representativeId, 2);
    });

    it("reverts with ConsentInvalidNonce on replay", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.patientKey, await domainOf(f), message);
      await (
        await f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, signature)
      ).wait();
      await grant(f);
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidNonce")
        .withArgs(f.patientId, 1, 0);
      expect((await stateOf(f, f.cardiologistId)).categories).to.equal(BigInt(LABS));
    });

    it("reverts with ConsentSignatureExpired once the deadline has passed", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.patientKey, await domainOf(f), message);
      await time.increaseTo(message.deadline + 10n);
      const now = await pinNext();
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentSignatureExpired")
        .withArgs(message.deadline, now);
    });

    it("reverts with ConsentInvalidSignature for a changed field or a grant's signature", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      await grant(f, { grantee: f.internistId });
      const domain = await domainOf(f);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.patientKey, domain, message);
      await expect(
        f.consentRegistry
          .connect(f.hospitalKey)
          .revokeBySig({ ...message, grantee: f.internistId }, f.patientKey.address, signature),
      )
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
        .withArgs(f.patientKey.address);
      const grantSignature = await signGrant(f.patientKey, domain, await grantMessage(f));
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, grantSignature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidSignature")
        .withArgs(f.patientKey.address);
    });

    it("reverts with ConsentUnauthorizedActor for a signature by a key that does not act for the patient", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const stranger = signer(f.spareKeys, 0);
      const message = await revokeMessage(f);
      const signature = await signRevocation(stranger, await domainOf(f), message);
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, stranger.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(f.patientId, stranger.address);
    });

    it("reverts with ConsentNoLiveGrant when there is nothing to revoke", async function () {
      const f = await loadFixture(consentFixture);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.patientKey, await domainOf(f), message);
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNoLiveGrant")
        .withArgs(f.patientId, f.cardiologistId);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
    });

    it("reverts with ConsentRepresentativeConflict for a representative's signed revocation of itself or its organization", async function () {
      const f = await loadFixture(consentFixture);
      const own = await grant(f);
      const hospital = await grant(f, { grantee: f.hospitalId });
      await appointCardiologist(f);
      const domain = await domainOf(f);
      for (const grantee of [f.cardiologistId, f.hospitalId]) {
        const message = await revokeMessage(f, { grantee });
        const signature = await signRevocation(f.cardiologistKey, domain, message);
        await expect(
          f.consentRegistry.connect(f.payerKey).revokeBySig(message, f.cardiologistKey.address, signature),
          String(grantee),
        )
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentRepresentativeConflict")
          .withArgs(f.patientId, f.cardiologistId, grantee);
      }
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, own.at, own.validUntil, 1));
      expect(await stateOf(f, f.hospitalId)).to.deep.equal(
        permit(LABS, TREATMENT, hospital.at, hospital.validUntil, 1),
      );
      // The patient's own signed revocation applies.
      const message = await revokeMessage(f);
      await expect(
        f.consentRegistry
          .connect(f.payerKey)
          .revokeBySig(message, f.patientKey.address, await signRevocation(f.patientKey, domain, message)),
      )
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(1n);
    });

    it("keeps working while the registry is paused (it only removes access)", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const message = await revokeMessage(f);
      const signature = await signRevocation(f.patientKey, await domainOf(f), message);
      await pause(f);
      await expect(f.consentRegistry.connect(f.hospitalKey).revokeBySig(message, f.patientKey.address, signature))
        .to.emit(f.consentRegistry, "ConsentRevoked")
        .withArgs(f.patientId, f.cardiologistId, f.patientId, 2);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // increaseNonce
  // -------------------------------------------------------------------------------------------------------------------

  describe("increaseNonce", function () {
    it("burns pending signatures and emits NonceIncreased", async function () {
      const f = await loadFixture(consentFixture);
      const message = await grantMessage(f);
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, 1))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, 0, 1);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(1n);
      await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidNonce")
        .withArgs(f.patientId, 1, 0);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(0, 0, 0n, 0n, 0));
    });

    it("jumps ahead, voiding every nonce below, and accepts the new next nonce", async function () {
      const f = await loadFixture(consentFixture);
      const domain = await domainOf(f);
      const pending = await Promise.all(
        [0n, 1n, 9n].map(async (nonce) => {
          const message = await grantMessage(f, { nonce });
          return { message, signature: await signGrant(f.patientKey, domain, message) };
        }),
      );
      await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, 10))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, 0, 10);
      for (const { message, signature } of pending) {
        await expect(f.consentRegistry.connect(f.hospitalKey).grantBySig(message, f.patientKey.address, signature))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidNonce")
          .withArgs(f.patientId, 10, message.nonce);
      }
      const next = await grantMessage(f);
      expect(next.nonce).to.equal(10n);
      await expect(
        f.consentRegistry
          .connect(f.hospitalKey)
          .grantBySig(next, f.patientKey.address, await signGrant(f.patientKey, domain, next)),
      )
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.patientId, f.patientKey.address, f.hospitalKey.address, 10, EVIDENCE);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(11n);
    });

    it("reverts with ConsentNonceNotIncreased for an equal or lower nonce", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, 0))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNonceNotIncreased")
        .withArgs(f.patientId, 0, 0);
      await (await f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, 5)).wait();
      for (const requested of [5n, 4n, 0n]) {
        await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, requested))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNonceNotIncreased")
          .withArgs(f.patientId, 5, requested);
      }
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(5n);
    });

    it("accepts a step of exactly MAX_NONCE_STEP (2^64), by the patient or a representative", async function () {
      const f = await loadFixture(consentFixture);
      expect(await f.consentRegistry.MAX_NONCE_STEP()).to.equal(MAX_NONCE_STEP);
      await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, MAX_NONCE_STEP))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, 0, MAX_NONCE_STEP);
      await expect(f.consentRegistry.connect(f.representativeKey).increaseNonce(f.patientId, 2n * MAX_NONCE_STEP))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, MAX_NONCE_STEP, 2n * MAX_NONCE_STEP);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(2n * MAX_NONCE_STEP);
    });

    it("reverts with ConsentNonceNotIncreased for a step of MAX_NONCE_STEP + 1", async function () {
      const f = await loadFixture(consentFixture);
      const registry = f.consentRegistry.connect(f.patientKey);
      await expect(registry.increaseNonce(f.patientId, MAX_NONCE_STEP + 1n))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNonceNotIncreased")
        .withArgs(f.patientId, 0, MAX_NONCE_STEP + 1n);
      await (await registry.increaseNonce(f.patientId, 5)).wait();
      await expect(registry.increaseNonce(f.patientId, 5n + MAX_NONCE_STEP + 1n))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNonceNotIncreased")
        .withArgs(f.patientId, 5, 5n + MAX_NONCE_STEP + 1n);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(5n);
      await expect(registry.increaseNonce(f.patientId, 5n + MAX_NONCE_STEP))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, 5, 5n + MAX_NONCE_STEP);
    });

    it("reverts with ConsentNonceNotIncreased for type(uint256).max, whatever the current nonce and whoever asks", async function () {
      const f = await loadFixture(consentFixture);
      for (const key of [f.patientKey, f.representativeKey]) {
        await expect(f.consentRegistry.connect(key).increaseNonce(f.patientId, ethers.MaxUint256), key.address)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNonceNotIncreased")
          .withArgs(f.patientId, 0, ethers.MaxUint256);
      }
      await (await f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, MAX_NONCE_STEP)).wait();
      await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, ethers.MaxUint256))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentNonceNotIncreased")
        .withArgs(f.patientId, MAX_NONCE_STEP, ethers.MaxUint256);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(MAX_NONCE_STEP);
    });

    it("moves the nonce on by one per signature after a maximal step", async function () {
      const f = await loadFixture(consentFixture);
      await (await f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, MAX_NONCE_STEP)).wait();
      const message = await grantMessage(f);
      expect(message.nonce).to.equal(MAX_NONCE_STEP);
      const signature = await signGrant(f.patientKey, await domainOf(f), message);
      await expect(f.consentRegistry.connect(f.payerKey).grantBySig(message, f.patientKey.address, signature))
        .to.emit(f.consentRegistry, "SignedConsentRelayed")
        .withArgs(f.patientId, f.patientKey.address, f.payerKey.address, MAX_NONCE_STEP, EVIDENCE);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(MAX_NONCE_STEP + 1n);
    });

    it("lets an active representative burn the patient's nonces", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.consentRegistry.connect(f.representativeKey).increaseNonce(f.patientId, 3))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, 0, 3);
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(3n);
    });

    it("reverts with ConsentUnauthorizedActor for anyone else", async function () {
      const f = await loadFixture(consentFixture);
      for (const caller of [signer(f.spareKeys, 0), f.otherPatientKey, f.hospitalKey, f.cardiologistKey]) {
        await expect(f.consentRegistry.connect(caller).increaseNonce(f.patientId, 1))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentUnauthorizedActor")
          .withArgs(f.patientId, caller.address);
      }
      expect(await f.consentRegistry.nonces(f.patientId)).to.equal(0n);
    });

    it("keeps working while the registry is paused", async function () {
      const f = await loadFixture(consentFixture);
      await pause(f);
      await expect(f.consentRegistry.connect(f.patientKey).increaseNonce(f.patientId, 1))
        .to.emit(f.consentRegistry, "NonceIncreased")
        .withArgs(f.patientId, 0, 1);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // setPolicy
  // -------------------------------------------------------------------------------------------------------------------

  describe("setPolicy", function () {
    it("is wired to the ADMIN role", async function () {
      const f = await loadFixture(consentFixture);
      const { selector } = f.consentRegistry.interface.getFunction("setPolicy");
      expect(await f.accessManager.getTargetFunctionRole(await f.consentRegistry.getAddress(), selector)).to.equal(
        Roles.ADMIN,
      );
    });

    it("replaces the policy through the admin's delay and emits PolicyChanged", async function () {
      const f = await loadFixture(consentFixture);
      const previous = await f.consentPolicy.getAddress();
      const next = await deployPolicy({ breakGlassExcludedCategories: 0 });
      const target = await f.consentRegistry.getAddress();
      const data = setPolicyData(f, await next.getAddress());
      await (await f.accessManager.connect(f.admin).schedule(target, data, 0)).wait();
      await time.increase(f.parameters.adminExecutionDelay);
      await expect(f.accessManager.connect(f.admin).execute(target, data))
        .to.emit(f.consentRegistry, "PolicyChanged")
        .withArgs(previous, await next.getAddress());
      expect(await f.consentRegistry.policy()).to.equal(await next.getAddress());
    });

    it("reverts with AccessManagerNotScheduled when the admin calls directly", async function () {
      const f = await loadFixture(consentFixture);
      const next = await deployPolicy();
      const data = setPolicyData(f, await next.getAddress());
      await expect(f.consentRegistry.connect(f.admin).setPolicy(await next.getAddress()))
        .to.be.revertedWithCustomError(f.accessManager, "AccessManagerNotScheduled")
        .withArgs(await f.accessManager.hashOperation(f.admin.address, await f.consentRegistry.getAddress(), data));
      expect(await f.consentRegistry.policy()).to.equal(await f.consentPolicy.getAddress());
    });

    it("reverts with AccessManagerNotReady before the admin's delay has passed", async function () {
      const f = await loadFixture(consentFixture);
      const next = await deployPolicy();
      const target = await f.consentRegistry.getAddress();
      const data = setPolicyData(f, await next.getAddress());
      await (await f.accessManager.connect(f.admin).schedule(target, data, 0)).wait();
      await expect(f.accessManager.connect(f.admin).execute(target, data))
        .to.be.revertedWithCustomError(f.accessManager, "AccessManagerNotReady")
        .withArgs(await f.accessManager.hashOperation(f.admin.address, target, data));
    });

    it("reverts with AccessManagedUnauthorized for anyone without the ADMIN role", async function () {
      const f = await loadFixture(consentFixture);
      const next = await deployPolicy();
      for (const caller of [signer(f.spareKeys, 0), f.registrar, f.pauser, f.auditor, f.patientKey, f.deployer]) {
        await expect(f.consentRegistry.connect(caller).setPolicy(await next.getAddress()))
          .to.be.revertedWithCustomError(f.consentRegistry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("opens genomics to break-glass at once when the new policy stops excluding it, without touching grants", async function () {
      const f = await loadFixture(consentFixture);
      await grant(f);
      const before = await stateOf(f, f.cardiologistId);
      await (await f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, MAX_BREAK_GLASS)).wait();
      expect(await decide(f, f.erDoctorKey, DataCategory.Genomics, Purpose.EmergencyTreatment)).to.deep.equal(
        denied(DecisionBasis.BreakGlassCategoryExcluded, f.erDoctorId, f.erDoctorId),
      );
      const next = await deployPolicy({ breakGlassExcludedCategories: 0 });
      await setPolicy(f, await next.getAddress());
      expect(await decide(f, f.erDoctorKey, DataCategory.Genomics, Purpose.EmergencyTreatment)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 1n),
      );
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(before);
    });

    it("opens mental health to a wildcard grant at once when the new policy no longer calls it sensitive", async function () {
      const f = await loadFixture(consentFixture);
      const { at, validUntil } = await grant(f, { categories: ALL_CATEGORIES });
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
      const next = await deployPolicy({
        sensitiveCategories: categorySet(
          DataCategory.SubstanceUse,
          DataCategory.SexualAndReproductiveHealth,
          DataCategory.Genomics,
        ),
      });
      await setPolicy(f, await next.getAddress());
      expect(await decide(f, f.cardiologistKey, DataCategory.MentalHealth, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
      expect(await decide(f, f.cardiologistKey, DataCategory.SubstanceUse, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.SensitiveCategoryNotNamed, f.cardiologistId, f.cardiologistId),
      );
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(ALL_CATEGORIES, TREATMENT, at, validUntil, 1));
    });

    it("applies the new policy's durations to new grants only", async function () {
      const f = await loadFixture(consentFixture);
      const { at, validUntil } = await grant(f);
      const durations = [...DEFAULT_DURATIONS];
      durations[Purpose.Treatment] = 10 * DAY;
      const next = await deployPolicy({}, durations);
      await setPolicy(f, await next.getAddress());
      const now = await pinNext();
      await expect(grant(f, { grantee: f.internistId, validUntil: now + 10n * D + 1n }))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentDurationTooLong")
        .withArgs(10n * D + 1n, 10n * D);
      expect(await stateOf(f, f.cardiologistId)).to.deep.equal(permit(LABS, TREATMENT, at, validUntil, 1));
      expect(await decide(f, f.cardiologistKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant, f.cardiologistId, f.cardiologistId, 1n),
      );
    });

    it("reverts with ConsentInvalidPolicy for an account without code", async function () {
      const f = await loadFixture(consentFixture);
      const eoa = signer(f.spareKeys, 0).address;
      await expect(setPolicy(f, eoa))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPolicy")
        .withArgs(eoa);
      expect(await f.consentRegistry.policy()).to.equal(await f.consentPolicy.getAddress());
    });

    it("reverts with ConsentInvalidPolicy for a policy whose rules are out of range, each rule on its own", async function () {
      const f = await loadFixture(consentFixture);
      // Bits past the defined categories (uint32) and purposes (uint16), a zero duration, and session limits of 0 and
      // of one past MAX_OPEN_BREAK_GLASS_SESSIONS (8): the registry checks what ConsentPolicy's constructor checks,
      // since any contract can be offered as the policy.
      const invalid: [string, Partial<RulesInput>][] = [
        ["an undefined sensitive category", { sensitiveCategories: 2 ** 31 }],
        ["an undefined break-glass-excluded category", { breakGlassExcludedCategories: 2 ** 31 }],
        ["an undefined named purpose", { namedPurposes: 2 ** 15 }],
        ["a zero break-glass duration", { maxBreakGlassDuration: 0 }],
        ["no open break-glass session", { maxOpenBreakGlassSessions: 0 }],
        ["more open sessions than the registry holds", { maxOpenBreakGlassSessions: 9 }],
      ];
      for (const [label, rules] of invalid) {
        const policy = await ethers.deployContract("RulesPolicy", [{ ...DEFAULT_RULES, ...rules }]);
        const address = await policy.getAddress();
        await expect(setPolicy(f, address), label)
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPolicy")
          .withArgs(address);
      }
      expect(await f.consentRegistry.policy()).to.equal(await f.consentPolicy.getAddress());
      // The same contract with valid rules is taken: the refusals above were the rules', not the contract's.
      const valid = await ethers.deployContract("RulesPolicy", [{ ...DEFAULT_RULES, maxOpenBreakGlassSessions: 8 }]);
      await setPolicy(f, await valid.getAddress());
      expect(await f.consentRegistry.policy()).to.equal(await valid.getAddress());
    });

    it("reverts with ConsentInvalidPolicy for a contract that does not answer rules()", async function () {
      const f = await loadFixture(consentFixture);
      const notAPolicy = await f.identityRegistry.getAddress();
      await expect(setPolicy(f, notAPolicy))
        .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPolicy")
        .withArgs(notAPolicy);
      expect(await f.consentRegistry.policy()).to.equal(await f.consentPolicy.getAddress());
    });
  });
});
