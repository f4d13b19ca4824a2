import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";

import {
  ALL_CATEGORIES,
  CATEGORY_COUNT,
  categorySet,
  DataCategory,
  DecisionBasis,
  DEFINED_CATEGORIES,
  Purpose,
  PURPOSE_COUNT,
  purposeSet,
  toBasis,
} from "../../sdk";
import { type ConsentFixture, consentFixture, REASON } from "../fixtures/consent";
import { DAY } from "../fixtures/identity";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const HOUR = 60 * 60;
/** An id no participant has. */
const UNKNOWN_ID = 9_999n;
/** An off-chain status-change reason code the registrar gives when suspending a participant. */
const SUSPENSION_REASON = 17;

const { Conditions, LaboratoryResults, Medications, Allergies, Imaging, MentalHealth, Genomics } = DataCategory;
const LABS_AND_CONDITIONS = categorySet(Conditions, LaboratoryResults);
const RESEARCH = purposeSet(Purpose.Research);
const TREATMENT = purposeSet(Purpose.Treatment);
/** Every defined purpose, in order. */
const PURPOSES = Object.values(Purpose).filter((value): value is Purpose => typeof value === "number");

/** What `decideCategories` answers, as plain values. */
interface CategoriesDecision {
  allowed: boolean;
  category: number;
  basis: DecisionBasis;
}

function allowed(basis: DecisionBasis): CategoriesDecision {
  return { allowed: true, category: 0, basis };
}

/** `category` is a `DataCategory` position. */
function refused(category: number, basis: DecisionBasis): CategoriesDecision {
  return { allowed: false, category, basis };
}

/** The registry's answer for `accessor` (an id) on the fixture patient unless `patient` is given. */
async function decideCategories(
  f: ConsentFixture,
  accessor: bigint,
  categories: number,
  purpose: Purpose,
  patient: bigint = f.patientId,
): Promise<CategoriesDecision> {
  const [ok, category, basis] = await f.consentRegistry.decideCategories(patient, accessor, categories, purpose);
  return { allowed: ok, category: Number(category), basis: toBasis(basis) };
}

/** The patient grants `grantee` the scope for 300 days (within every purpose's maximum but emergency treatment's). */
async function grant(f: ConsentFixture, grantee: bigint, categories: number, purposes: number, days = 300) {
  await f.consent.as(f.patientKey).grant({
    patient: f.patientId,
    grantee,
    categories,
    purposes,
    validUntil: BigInt(await time.latest()) + BigInt(days * DAY),
  });
}

/**
 * The consent fixture's patient, having said:
 *
 * - to the research sponsor: conditions and laboratory results, for research (a named grant);
 * - to the hospital: every category (the wildcard), for treatment, so that its practitioners may treat her;
 * - to the payer: insurance and claims and demographics, for payment; but a deny of demographics;
 * - to the clinic: medications, for treatment and operations, and a deny of imaging;
 *
 * and the emergency doctor holding an open break-glass session on her.
 */
async function decisionsFixture() {
  const f = await consentFixture();
  await grant(f, f.sponsorId, LABS_AND_CONDITIONS, RESEARCH);
  await grant(f, f.hospitalId, ALL_CATEGORIES, TREATMENT);
  await grant(
    f,
    f.payerId,
    categorySet(DataCategory.InsuranceAndClaims, DataCategory.Demographics),
    purposeSet(Purpose.Payment),
  );
  await f.consent.as(f.patientKey).setDeny(f.patientId, f.payerId, categorySet(DataCategory.Demographics));
  await grant(f, f.clinicId, categorySet(Medications), purposeSet(Purpose.Treatment, Purpose.HealthcareOperations));
  await f.consent.as(f.patientKey).setDeny(f.patientId, f.clinicId, categorySet(Imaging));
  await f.consent.as(f.erDoctorKey).openBreakGlass(f.patientId, REASON.unconscious, 4 * HOUR);
  return f;
}

/**
 * What `decideCategories` should answer, from `decide` asked category by category for `key` at `at`: the lowest
 * refused category and its basis, or, when all are allowed, the basis of the last (highest) one.
 */
async function expectedFromDecide(
  f: ConsentFixture,
  key: HardhatEthersSigner,
  categories: number,
  purpose: Purpose,
  at: number,
): Promise<CategoriesDecision> {
  let last: DecisionBasis | undefined;
  for (let c = 0; c < CATEGORY_COUNT; c++) {
    if ((categories & (1 << c)) === 0) continue;
    const d = await f.consentRegistry.decide(f.patientId, key.address, c, purpose, at);
    if (!d.allowed) return refused(c, toBasis(d.basis));
    last = toBasis(d.basis);
  }
  if (last === undefined) throw new Error("an empty category set has no decision");
  return allowed(last);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ConsentRegistry", () => {
  describe("decideCategories", () => {
    it("allows on Grant when a named research grant covers every category asked", async () => {
      const f = await loadFixture(decisionsFixture);
      expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        allowed(DecisionBasis.Grant),
      );
      expect(await decideCategories(f, f.sponsorId, categorySet(LaboratoryResults), Purpose.Research)).to.deep.equal(
        allowed(DecisionBasis.Grant),
      );
    });

    it("refuses the lowest category the grant does not cover, with its basis", async () => {
      const f = await loadFixture(decisionsFixture);
      const cases: [number, DataCategory][] = [
        [categorySet(Medications, Conditions, LaboratoryResults), Medications],
        [categorySet(Conditions, LaboratoryResults, Genomics), Genomics],
        [categorySet(LaboratoryResults, Imaging, Genomics), Imaging],
        [categorySet(Genomics, Allergies, Imaging), Allergies],
      ];
      for (const [categories, first] of cases) {
        expect(await decideCategories(f, f.sponsorId, categories, Purpose.Research)).to.deep.equal(
          refused(first, DecisionBasis.NoGrant),
        );
      }
    });

    it("refuses the lowest category when the grant does not cover the purpose", async () => {
      const f = await loadFixture(decisionsFixture);
      for (const purpose of [Purpose.Treatment, Purpose.PublicHealth, Purpose.EmergencyTreatment]) {
        expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, purpose)).to.deep.equal(
          refused(Conditions, DecisionBasis.NoGrant),
        );
      }
    });

    it("refuses on ExplicitDeny when a deny covers a category the grant covers", async () => {
      const f = await loadFixture(decisionsFixture);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.sponsorId, categorySet(LaboratoryResults));
      expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        refused(LaboratoryResults, DecisionBasis.ExplicitDeny),
      );
      // The grant still opens what the deny does not name; a lower uncovered category is refused first.
      expect(await decideCategories(f, f.sponsorId, categorySet(Conditions), Purpose.Research)).to.deep.equal(
        allowed(DecisionBasis.Grant),
      );
      expect(
        await decideCategories(f, f.sponsorId, categorySet(Allergies, LaboratoryResults), Purpose.Research),
      ).to.deep.equal(refused(Allergies, DecisionBasis.NoGrant));
    });

    it("refuses on ExplicitDeny when the accessor's organization is denied the category", async () => {
      const f = await loadFixture(decisionsFixture);
      await f.consent.as(f.patientKey).setDeny(f.patientId, f.hospitalId, categorySet(LaboratoryResults));
      expect(await decideCategories(f, f.cardiologistId, LABS_AND_CONDITIONS, Purpose.Treatment)).to.deep.equal(
        refused(LaboratoryResults, DecisionBasis.ExplicitDeny),
      );
    });

    it("allows on OrganizationGrant for a practitioner of a granted organization, but not a sensitive category", async () => {
      const f = await loadFixture(decisionsFixture);
      expect(await decideCategories(f, f.cardiologistId, LABS_AND_CONDITIONS, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.OrganizationGrant),
      );
      expect(
        await decideCategories(f, f.cardiologistId, categorySet(Conditions, MentalHealth), Purpose.Treatment),
      ).to.deep.equal(refused(MentalHealth, DecisionBasis.SensitiveCategoryNotNamed));
      expect(await decideCategories(f, f.hospitalId, LABS_AND_CONDITIONS, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Grant),
      );
    });

    it("refuses on SensitiveCategoryNotNamed or PurposeNotNamed when a broad grant would open it", async () => {
      const f = await loadFixture(decisionsFixture);
      await grant(f, f.sponsorId, ALL_CATEGORIES, RESEARCH);
      expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        allowed(DecisionBasis.Grant),
      );
      expect(
        await decideCategories(f, f.sponsorId, categorySet(Conditions, MentalHealth, Genomics), Purpose.Research),
      ).to.deep.equal(refused(MentalHealth, DecisionBasis.SensitiveCategoryNotNamed));
      await grant(f, f.sponsorId, LABS_AND_CONDITIONS, 0xffff, 30);
      expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        refused(Conditions, DecisionBasis.PurposeNotNamed),
      );
    });

    it("allows on Representative for the patient's active representative", async () => {
      const f = await loadFixture(decisionsFixture);
      expect(await decideCategories(f, f.representativeId, DEFINED_CATEGORIES, Purpose.Treatment)).to.deep.equal(
        allowed(DecisionBasis.Representative),
      );
    });

    it("allows on Self for the patient herself, every category and purpose", async () => {
      const f = await loadFixture(decisionsFixture);
      for (const purpose of PURPOSES) {
        expect(await decideCategories(f, f.patientId, DEFINED_CATEGORIES, purpose)).to.deep.equal(
          allowed(DecisionBasis.Self),
        );
      }
      // Another patient is not herself to this one.
      expect(await decideCategories(f, f.otherPatientId, LABS_AND_CONDITIONS, Purpose.Treatment)).to.deep.equal(
        refused(Conditions, DecisionBasis.NoGrant),
      );
    });

    it("refuses on UnknownAccessor for the none id", async () => {
      const f = await loadFixture(decisionsFixture);
      expect(await decideCategories(f, 0n, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        refused(Conditions, DecisionBasis.UnknownAccessor),
      );
    });

    // `decide` answers UnknownAccessor for a key that controls no id; the id-based answer for an id nobody was ever
    // given must be the same (InactiveAccessor means "suspended, revoked or expired", which an unregistered id is not).
    it("refuses on UnknownAccessor for an id nobody was given", async () => {
      const f = await loadFixture(decisionsFixture);
      const next = (await f.identityRegistry.lastId()) + 1n;
      for (const accessor of [next, UNKNOWN_ID, 2n ** 64n - 1n]) {
        expect(await decideCategories(f, accessor, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
          refused(Conditions, DecisionBasis.UnknownAccessor),
        );
      }
    });

    it("refuses on InactiveAccessor for a suspended accessor, whatever its grant", async () => {
      const f = await loadFixture(decisionsFixture);
      await f.identity.as(f.registrar).suspend(f.sponsorId, SUSPENSION_REASON);
      expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        refused(Conditions, DecisionBasis.InactiveAccessor),
      );
      await f.identity.as(f.registrar).reinstate(f.sponsorId, SUSPENSION_REASON);
      expect(await decideCategories(f, f.sponsorId, LABS_AND_CONDITIONS, Purpose.Research)).to.deep.equal(
        allowed(DecisionBasis.Grant),
      );
    });

    it("refuses on InactiveAccessor once the accessor's credential has expired", async () => {
      const f = await loadFixture(decisionsFixture);
      await time.increaseTo(f.credentialExpiry + 1n);
      expect(await decideCategories(f, f.cardiologistId, categorySet(Conditions), Purpose.Treatment)).to.deep.equal(
        refused(Conditions, DecisionBasis.InactiveAccessor),
      );
    });

    it("reverts with ConsentInvalidCategories when the set is empty, undefined or the wildcard", async () => {
      const f = await loadFixture(decisionsFixture);
      const undefinedBit = 1 << CATEGORY_COUNT;
      for (const categories of [0, undefinedBit, LABS_AND_CONDITIONS | undefinedBit, (1 << 31) >>> 0, ALL_CATEGORIES]) {
        await expect(f.consentRegistry.decideCategories(f.patientId, f.sponsorId, categories, Purpose.Research))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidCategories")
          .withArgs(categories);
      }
    });

    it("reverts with ConsentInvalidPurpose when the purpose is undefined", async () => {
      const f = await loadFixture(decisionsFixture);
      for (const purpose of [PURPOSE_COUNT, 255]) {
        await expect(f.consentRegistry.decideCategories(f.patientId, f.sponsorId, LABS_AND_CONDITIONS, purpose))
          .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPurpose")
          .withArgs(purpose);
        // Whoever asks: the patient herself and an unknown id too.
        for (const accessor of [f.patientId, UNKNOWN_ID]) {
          await expect(f.consentRegistry.decideCategories(f.patientId, accessor, LABS_AND_CONDITIONS, purpose))
            .to.be.revertedWithCustomError(f.consentRegistry, "ConsentInvalidPurpose")
            .withArgs(purpose);
        }
      }
    });

    it("agrees with decide, category by category, for every accessor and purpose", async () => {
      const f = await loadFixture(decisionsFixture);
      const at = await time.latest();
      const accessors: [string, bigint, HardhatEthersSigner][] = [
        ["sponsor", f.sponsorId, f.sponsorKey],
        ["hospital", f.hospitalId, f.hospitalKey],
        ["cardiologist", f.cardiologistId, f.cardiologistKey],
        ["emergency doctor", f.erDoctorId, f.erDoctorKey],
        ["clinic", f.clinicId, f.clinicKey],
        ["clinic doctor", f.clinicDoctorId, f.clinicDoctorKey],
        ["payer", f.payerId, f.payerKey],
        ["representative", f.representativeId, f.representativeKey],
        ["patient", f.patientId, f.patientKey],
        ["other patient", f.otherPatientId, f.otherPatientKey],
      ];
      const sets = [
        DEFINED_CATEGORIES,
        LABS_AND_CONDITIONS,
        categorySet(Medications, Imaging),
        categorySet(DataCategory.Demographics, DataCategory.InsuranceAndClaims),
        categorySet(Conditions, Genomics),
      ];
      const bases = new Set<DecisionBasis>();
      for (const [name, id, key] of accessors) {
        for (const purpose of PURPOSES) {
          for (const categories of sets) {
            const expected = await expectedFromDecide(f, key, categories, purpose, at);
            const actual = await decideCategories(f, id, categories, purpose);
            expect(actual, `${name}, purpose ${purpose}, categories 0x${categories.toString(16)}`).to.deep.equal(
              expected,
            );
            bases.add(actual.basis);
          }
        }
      }
      // The comparison covered allowances and refusals of every kind the fixture can produce.
      expect([...bases].sort((a, b) => a - b)).to.deep.equal([
        DecisionBasis.Self,
        DecisionBasis.Representative,
        DecisionBasis.Grant,
        DecisionBasis.OrganizationGrant,
        DecisionBasis.BreakGlass,
        DecisionBasis.ExplicitDeny,
        DecisionBasis.NoGrant,
        DecisionBasis.SensitiveCategoryNotNamed,
        DecisionBasis.BreakGlassCategoryExcluded,
      ]);
    });

    it("agrees with decide for a suspended accessor and for the practitioners of a suspended organization", async () => {
      const f = await loadFixture(decisionsFixture);
      await f.identity.as(f.registrar).suspend(f.payerId, SUSPENSION_REASON);
      await f.identity.as(f.registrar).suspend(f.hospitalId, SUSPENSION_REASON);
      const at = await time.latest();
      const answers = new Map<string, CategoriesDecision>();
      for (const [name, id, key] of [
        ["payer", f.payerId, f.payerKey],
        ["hospital", f.hospitalId, f.hospitalKey],
        ["cardiologist", f.cardiologistId, f.cardiologistKey],
        ["emergency doctor", f.erDoctorId, f.erDoctorKey],
      ] as const) {
        for (const purpose of [Purpose.Payment, Purpose.Treatment, Purpose.EmergencyTreatment]) {
          const expected = await expectedFromDecide(f, key, LABS_AND_CONDITIONS, purpose, at);
          const actual = await decideCategories(f, id, LABS_AND_CONDITIONS, purpose);
          expect(actual, `${name}, purpose ${purpose}`).to.deep.equal(expected);
          answers.set(`${name}:${purpose}`, actual);
        }
      }
      expect(answers.get(`payer:${Purpose.Payment}`)).to.deep.equal(
        refused(Conditions, DecisionBasis.InactiveAccessor),
      );
      expect(answers.get(`hospital:${Purpose.Treatment}`)).to.deep.equal(
        refused(Conditions, DecisionBasis.InactiveAccessor),
      );
      // The practitioner stays active, but the grant of its suspended organization opens nothing.
      expect(answers.get(`cardiologist:${Purpose.Treatment}`)).to.deep.equal(
        refused(Conditions, DecisionBasis.InactiveGrantee),
      );
    });
  });
});
