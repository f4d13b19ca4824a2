import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import type { Wallet } from "ethers";

import { PlanStatus, PriorAuthStatus } from "../../sdk";
import type { ClaimsAdjudicator } from "../../typechain-types";
import {
  type ClaimsFixture,
  claimsFixture,
  code,
  namedSigner,
  STANDARD_TERMS,
  USD,
  pauseClaims,
  reinstate,
  suspend,
} from "../fixtures/claims";
import { DAY } from "../fixtures/identity";

// Unit tests of the ClaimsAdjudicator's prior authorization: requestPriorAuth, approvePriorAuth, denyPriorAuth,
// withdrawPriorAuth and the views priorAuthCount, priorAuth and approvedPriorAuths. Plans and enrollment are in
// ClaimsAdjudicator.plans.test.ts; how claims use authorizations is tested with claims.

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

/** A registrar's reason code for a suspension or a reinstatement (off-chain code list). */
/** In the fixture's fee schedule, 70553 (MRI) and 27447 (knee replacement) need authorization; 99213 does not. */
const MRI = code("70553");
const KNEE = code("27447");
const OFFICE = code("99213");
/** A code the fixture's schedule does not list. */
const UNLISTED = code("12345");
const UNITS = 4n;
const WINDOW = 60n * BigInt(DAY);

type Key = HardhatEthersSigner | Wallet;

/** `priorAuth(authId)` as a plain object. */
async function readPriorAuth(claims: ClaimsAdjudicator, authId: bigint) {
  const a = await claims.priorAuth(authId);
  return {
    status: Number(a.status),
    patient: a.patient,
    plan: a.plan,
    code: a.code,
    requester: a.requester,
    unitsRequested: a.unitsRequested,
    unitsApproved: a.unitsApproved,
    unitsLeft: a.unitsLeft,
    validFrom: a.validFrom,
    validTo: a.validTo,
  };
}

/** A request as the test makes it. */
interface Request {
  authId: bigint;
  patient: bigint;
  plan: bigint;
  code: string;
  requester: bigint;
  units: bigint;
  validFrom: bigint;
  validTo: bigint;
}

/** What `priorAuth` reads for `request` in `status`, with `approved` units (and window) once approved. */
function stored(
  request: Request,
  status: PriorAuthStatus,
  approved: { units: bigint; validFrom: bigint; validTo: bigint } = {
    units: 0n,
    validFrom: request.validFrom,
    validTo: request.validTo,
  },
) {
  return {
    status,
    patient: request.patient,
    plan: request.plan,
    code: request.code,
    requester: request.requester,
    unitsRequested: request.units,
    unitsApproved: approved.units,
    unitsLeft: approved.units,
    validFrom: approved.validFrom,
    validTo: approved.validTo,
  };
}

/**
 * `key` (the hospital by default) asks for `units` of `codeHex` for the fixture's patient in the fixture's plan, for
 * the next `WINDOW` seconds; returns the request as made.
 */
async function request(
  f: ClaimsFixture,
  options: { key?: Key; requester?: bigint; patient?: bigint; code?: string; units?: bigint; plan?: bigint } = {},
): Promise<Request> {
  const key = options.key ?? f.hospitalKey;
  const validFrom = BigInt(await time.latest());
  const made: Request = {
    authId: (await f.claims.priorAuthCount()) + 1n,
    patient: options.patient ?? f.patientId,
    plan: options.plan ?? f.planId,
    code: options.code ?? MRI,
    requester: options.requester ?? f.hospitalId,
    units: options.units ?? UNITS,
    validFrom,
    validTo: validFrom + WINDOW,
  };
  await (
    await f.claims
      .connect(key)
      .requestPriorAuth(made.patient, made.plan, made.code, made.units, made.validFrom, made.validTo)
  ).wait();
  return made;
}

async function approveAsAsked(f: ClaimsFixture, r: Request): Promise<void> {
  await (await f.claims.connect(f.payerKey).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo)).wait();
}

async function deny(f: ClaimsFixture, r: Request): Promise<void> {
  await (await f.claims.connect(f.payerKey).denyPriorAuth(r.authId)).wait();
}

async function withdraw(f: ClaimsFixture, r: Request, key: Key = f.hospitalKey): Promise<void> {
  await (await f.claims.connect(key).withdrawPriorAuth(r.authId)).wait();
}

async function approved(f: ClaimsFixture, code_: string = MRI, patient: bigint = f.patientId, plan = f.planId) {
  return [...(await f.claims.approvedPriorAuths(patient, plan, code_))];
}

/** Everyone but the plan's payer: none decides its authorizations. */
async function notThePlanPayer(f: ClaimsFixture): Promise<[string, Key][]> {
  return [
    ["a stranger", await namedSigner("prior auth test stranger")],
    ["the requesting organization", f.hospitalKey],
    ["a practitioner", f.cardiologistKey],
    ["the patient", f.patientKey],
    ["the payer's own reviewer (a practitioner)", f.reviewerKey],
    ["another payer", f.otherPayerKey],
  ];
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("ClaimsAdjudicator", function () {
  describe("requestPriorAuth", function () {
    it("records an organization's request as Requested, emitting PriorAuthRequested with the organization as requester", async function () {
      const f = await loadFixture(claimsFixture);
      const { claims, hospitalKey, hospitalId, patientId, planId } = f;
      expect(await claims.priorAuthCount()).to.equal(0n);
      const from = BigInt(await time.latest()) + BigInt(DAY);
      const to = from + WINDOW;
      expect(
        await claims.connect(hospitalKey).requestPriorAuth.staticCall(patientId, planId, MRI, 3n, from, to),
      ).to.equal(1n);
      await expect(claims.connect(hospitalKey).requestPriorAuth(patientId, planId, MRI, 3n, from, to))
        .to.emit(claims, "PriorAuthRequested")
        .withArgs(1n, patientId, planId, MRI, 3n, from, to, hospitalId);
      expect(await claims.priorAuthCount()).to.equal(1n);
      expect(await readPriorAuth(claims, 1n)).to.deep.equal({
        status: PriorAuthStatus.Requested,
        patient: patientId,
        plan: planId,
        code: MRI,
        requester: hospitalId,
        unitsRequested: 3n,
        unitsApproved: 0n,
        unitsLeft: 0n,
        validFrom: from,
        validTo: to,
      });
      expect(await approved(f)).to.deep.equal([]);
    });

    it("records a practitioner's request with the practitioner, not its organization, as requester", async function () {
      const f = await loadFixture(claimsFixture);
      const from = BigInt(await time.latest());
      await expect(
        f.claims.connect(f.cardiologistKey).requestPriorAuth(f.patientId, f.planId, KNEE, 1n, from, from + WINDOW),
      )
        .to.emit(f.claims, "PriorAuthRequested")
        .withArgs(1n, f.patientId, f.planId, KNEE, 1n, from, from + WINDOW, f.cardiologistId);
      expect((await readPriorAuth(f.claims, 1n)).requester).to.equal(f.cardiologistId);
    });

    it("numbers requests from 1 across providers, patients, plans and codes", async function () {
      const f = await loadFixture(claimsFixture);
      const first = await request(f);
      const second = await request(f, { key: f.clinicDoctorKey, requester: f.clinicDoctorId, code: KNEE });
      const third = await request(f, { key: f.clinicKey, requester: f.clinicId, patient: f.otherPatientId });
      expect([first.authId, second.authId, third.authId]).to.deep.equal([1n, 2n, 3n]);
      expect(await f.claims.priorAuthCount()).to.equal(3n);
      for (const r of [first, second, third]) {
        expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Requested));
      }
    });

    it("takes one unit over a one-second window", async function () {
      const f = await loadFixture(claimsFixture);
      const at = BigInt(await time.latest()) + 10n;
      await expect(f.claims.connect(f.hospitalKey).requestPriorAuth(f.patientId, f.planId, MRI, 1n, at, at))
        .to.emit(f.claims, "PriorAuthRequested")
        .withArgs(1n, f.patientId, f.planId, MRI, 1n, at, at, f.hospitalId);
    });

    it("refuses a code whose entry does not require authorization, or that is not listed, with ClaimsPriorAuthNotRequired", async function () {
      const f = await loadFixture(claimsFixture);
      const asHospital = f.claims.connect(f.hospitalKey);
      const from = BigInt(await time.latest());
      for (const codeHex of [OFFICE, UNLISTED, code("80053")]) {
        await expect(asHospital.requestPriorAuth(f.patientId, f.planId, codeHex, 1n, from, from + WINDOW))
          .to.be.revertedWithCustomError(f.claims, "ClaimsPriorAuthNotRequired")
          .withArgs(f.planId, codeHex);
      }
      // Once removed from the schedule, a code that needed authorization takes no more requests.
      await (await f.claims.connect(f.payerKey).removeFees(f.planId, [MRI])).wait();
      await expect(asHospital.requestPriorAuth(f.patientId, f.planId, MRI, 1n, from, from + WINDOW))
        .to.be.revertedWithCustomError(f.claims, "ClaimsPriorAuthNotRequired")
        .withArgs(f.planId, MRI);
      // Re-priced to need authorization, the office visit takes them.
      await (
        await f.claims
          .connect(f.payerKey)
          .setFees(f.planId, [{ code: OFFICE, allowedPerUnit: 120n * USD, copay: 30n * USD, requiresPriorAuth: true }])
      ).wait();
      await expect(asHospital.requestPriorAuth(f.patientId, f.planId, OFFICE, 1n, from, from + WINDOW))
        .to.emit(f.claims, "PriorAuthRequested")
        .withArgs(1n, f.patientId, f.planId, OFFICE, 1n, from, from + WINDOW, f.hospitalId);
      expect(await f.claims.priorAuthCount()).to.equal(1n);
    });

    it("refuses zero units or a window that starts after it ends with ClaimsInvalidPriorAuthRequest", async function () {
      const f = await loadFixture(claimsFixture);
      const asHospital = f.claims.connect(f.hospitalKey);
      const from = BigInt(await time.latest());
      const cases: [string, bigint, bigint, bigint][] = [
        ["zero units", 0n, from, from + WINDOW],
        ["a window ending one second before it starts", 1n, from, from - 1n],
        ["zero units and an inverted window", 0n, from + WINDOW, from],
      ];
      for (const [why, units, validFrom, validTo] of cases) {
        await expect(asHospital.requestPriorAuth(f.patientId, f.planId, MRI, units, validFrom, validTo), why)
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidPriorAuthRequest")
          .withArgs(units, validFrom, validTo);
      }
      expect(await f.claims.priorAuthCount()).to.equal(0n);
    });

    it("refuses an unknown plan with ClaimsUnknownPlan and a draft plan with ClaimsPlanNotActive", async function () {
      const f = await loadFixture(claimsFixture);
      const asHospital = f.claims.connect(f.hospitalKey);
      const from = BigInt(await time.latest());
      for (const planId of [0n, 2n]) {
        await expect(asHospital.requestPriorAuth(f.patientId, planId, MRI, 1n, from, from + WINDOW))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPlan")
          .withArgs(planId);
      }
      // A draft whose schedule has the code needing authorization: only the status refuses it.
      const asPayer = f.claims.connect(f.payerKey);
      const draft = await asPayer.createPlan.staticCall(STANDARD_TERMS);
      await (await asPayer.createPlan(STANDARD_TERMS)).wait();
      await (
        await asPayer.setFees(draft, [{ code: MRI, allowedPerUnit: 1_800n * USD, copay: 0n, requiresPriorAuth: true }])
      ).wait();
      await expect(asHospital.requestPriorAuth(f.patientId, draft, MRI, 1n, from, from + WINDOW))
        .to.be.revertedWithCustomError(f.claims, "ClaimsPlanNotActive")
        .withArgs(draft, PlanStatus.Draft);
      await (await asPayer.activatePlan(draft)).wait();
      await expect(asHospital.requestPriorAuth(f.patientId, draft, MRI, 1n, from, from + WINDOW)).not.to.be.reverted;
    });

    it("refuses a payer, a patient and a device with ClaimsNotAProvider", async function () {
      const f = await loadFixture(claimsFixture);
      const from = BigInt(await time.latest());
      const callers: [string, Key, bigint][] = [
        ["the plan's payer", f.payerKey, f.payerId],
        ["another payer", f.otherPayerKey, f.otherPayerId],
        ["the patient", f.patientKey, f.patientId],
        ["a laboratory device", f.deviceKey, f.deviceId],
        ["a research sponsor", f.sponsorKey, f.sponsorId],
      ];
      for (const [who, key, id] of callers) {
        await expect(f.claims.connect(key).requestPriorAuth(f.patientId, f.planId, MRI, 1n, from, from + WINDOW), who)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotAProvider")
          .withArgs(key.address, id);
      }
      expect(await f.claims.priorAuthCount()).to.equal(0n);
    });

    it("refuses an unregistered key and a suspended organization or practitioner with ClaimsProviderNotActive", async function () {
      const f = await loadFixture(claimsFixture);
      const from = BigInt(await time.latest());
      const send = (key: Key) =>
        f.claims.connect(key).requestPriorAuth(f.patientId, f.planId, MRI, 1n, from, from + WINDOW);
      const stranger = await namedSigner("prior auth test stranger");
      await expect(send(stranger))
        .to.be.revertedWithCustomError(f.claims, "ClaimsProviderNotActive")
        .withArgs(stranger.address);
      await suspend(f, f.hospitalId);
      await suspend(f, f.clinicDoctorId);
      for (const key of [f.hospitalKey, f.clinicDoctorKey]) {
        await expect(send(key))
          .to.be.revertedWithCustomError(f.claims, "ClaimsProviderNotActive")
          .withArgs(key.address);
      }
      expect(await f.claims.priorAuthCount()).to.equal(0n);
      await reinstate(f, f.clinicDoctorId);
      await expect(send(f.clinicDoctorKey))
        .to.emit(f.claims, "PriorAuthRequested")
        .withArgs(1n, f.patientId, f.planId, MRI, 1n, from, from + WINDOW, f.clinicDoctorId);
    });

    it("refuses a provider whose credential has expired with ClaimsProviderNotActive", async function () {
      const f = await loadFixture(claimsFixture);
      await time.increaseTo(f.credentialExpiry + 1n);
      const from = BigInt(await time.latest());
      await expect(
        f.claims.connect(f.cardiologistKey).requestPriorAuth(f.patientId, f.planId, MRI, 1n, from, from + WINDOW),
      )
        .to.be.revertedWithCustomError(f.claims, "ClaimsProviderNotActive")
        .withArgs(f.cardiologistKey.address);
    });

    it("checks the caller before the plan and the plan before the code", async function () {
      const f = await loadFixture(claimsFixture);
      const from = BigInt(await time.latest());
      await expect(f.claims.connect(f.payerKey).requestPriorAuth(f.patientId, 99n, UNLISTED, 0n, from, from))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotAProvider")
        .withArgs(f.payerKey.address, f.payerId);
      await expect(f.claims.connect(f.hospitalKey).requestPriorAuth(f.patientId, 99n, UNLISTED, 0n, from, from))
        .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPlan")
        .withArgs(99n);
      await expect(f.claims.connect(f.hospitalKey).requestPriorAuth(f.patientId, f.planId, UNLISTED, 0n, from, from))
        .to.be.revertedWithCustomError(f.claims, "ClaimsPriorAuthNotRequired")
        .withArgs(f.planId, UNLISTED);
    });

    it("reverts with EnforcedPause while the module is paused", async function () {
      const f = await loadFixture(claimsFixture);
      await pauseClaims(f);
      const from = BigInt(await time.latest());
      await expect(
        f.claims.connect(f.hospitalKey).requestPriorAuth(f.patientId, f.planId, MRI, 1n, from, from + WINDOW),
      )
        .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
        .withArgs();
    });
  });

  describe("approvePriorAuth", function () {
    it("approves a request as asked, emitting PriorAuthApproved, with every approved unit left", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await expect(f.claims.connect(f.payerKey).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo))
        .to.emit(f.claims, "PriorAuthApproved")
        .withArgs(r.authId, r.patient, r.plan, r.units, r.validFrom, r.validTo);
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(
        stored(r, PriorAuthStatus.Approved, { units: r.units, validFrom: r.validFrom, validTo: r.validTo }),
      );
      expect(await approved(f)).to.deep.equal([r.authId]);
    });

    it("approves narrower than asked: fewer units, a later start and an earlier end", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      const narrowed = { units: 1n, validFrom: r.validFrom + BigInt(DAY), validTo: r.validTo - BigInt(DAY) };
      await expect(
        f.claims.connect(f.payerKey).approvePriorAuth(r.authId, narrowed.units, narrowed.validFrom, narrowed.validTo),
      )
        .to.emit(f.claims, "PriorAuthApproved")
        .withArgs(r.authId, r.patient, r.plan, narrowed.units, narrowed.validFrom, narrowed.validTo);
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Approved, narrowed));
    });

    it("approves down to one unit over one second at either end of the requested window", async function () {
      const f = await loadFixture(claimsFixture);
      const first = await request(f);
      const second = await request(f);
      const asPayer = f.claims.connect(f.payerKey);
      await expect(asPayer.approvePriorAuth(first.authId, 1n, first.validFrom, first.validFrom))
        .to.emit(f.claims, "PriorAuthApproved")
        .withArgs(first.authId, first.patient, first.plan, 1n, first.validFrom, first.validFrom);
      await expect(asPayer.approvePriorAuth(second.authId, 1n, second.validTo, second.validTo))
        .to.emit(f.claims, "PriorAuthApproved")
        .withArgs(second.authId, second.patient, second.plan, 1n, second.validTo, second.validTo);
      expect(await readPriorAuth(f.claims, second.authId)).to.deep.equal(
        stored(second, PriorAuthStatus.Approved, { units: 1n, validFrom: second.validTo, validTo: second.validTo }),
      );
    });

    it("lists approved authorizations per patient, plan and code, in the order they were approved", async function () {
      const f = await loadFixture(claimsFixture);
      const a = await request(f);
      const b = await request(f, { key: f.cardiologistKey, requester: f.cardiologistId });
      const c = await request(f);
      const d = await request(f, { code: KNEE });
      const e = await request(f, { patient: f.otherPatientId });
      await approveAsAsked(f, b);
      await approveAsAsked(f, a);
      await deny(f, c);
      await approveAsAsked(f, d);
      await approveAsAsked(f, e);
      expect(await approved(f)).to.deep.equal([b.authId, a.authId]);
      expect(await approved(f, KNEE)).to.deep.equal([d.authId]);
      expect(await approved(f, MRI, f.otherPatientId)).to.deep.equal([e.authId]);
      expect(await approved(f, MRI, f.patientId, 99n)).to.deep.equal([]);
      expect(await approved(f, OFFICE)).to.deep.equal([]);
    });

    it("refuses to widen a request with ClaimsPriorAuthWidened, and the request stays Requested", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      const asPayer = f.claims.connect(f.payerKey);
      const cases: [string, bigint, bigint, bigint][] = [
        ["one more unit than asked", r.units + 1n, r.validFrom, r.validTo],
        ["zero units", 0n, r.validFrom, r.validTo],
        ["a start one second earlier", r.units, r.validFrom - 1n, r.validTo],
        ["an end one second later", r.units, r.validFrom, r.validTo + 1n],
        ["a start after the end inside the window", r.units, r.validFrom + 10n, r.validFrom + 5n],
        ["a window wholly before the request's", 1n, r.validFrom - 10n, r.validFrom - 5n],
      ];
      for (const [why, units, validFrom, validTo] of cases) {
        await expect(asPayer.approvePriorAuth(r.authId, units, validFrom, validTo), why)
          .to.be.revertedWithCustomError(f.claims, "ClaimsPriorAuthWidened")
          .withArgs(r.authId, units, validFrom, validTo);
      }
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Requested));
      expect(await approved(f)).to.deep.equal([]);
    });

    it("refuses an unknown authorization with ClaimsUnknownPriorAuth", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      for (const authId of [0n, r.authId + 1n, 2n ** 64n - 1n]) {
        await expect(f.claims.connect(f.payerKey).approvePriorAuth(authId, 1n, r.validFrom, r.validTo))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPriorAuth")
          .withArgs(authId);
      }
    });

    it("refuses anyone but the plan's payer with ClaimsNotPlanPayer, the requester included", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      for (const [who, key] of await notThePlanPayer(f)) {
        await expect(f.claims.connect(key).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo), who)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
          .withArgs(r.plan, key.address);
      }
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Requested));
      await expect(f.claims.connect(f.payerKey).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo)).not.to.be
        .reverted;
    });

    it("refuses the payer while suspended with ClaimsNotPlanPayer and accepts it again once reinstated", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await suspend(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
        .withArgs(r.plan, f.payerKey.address);
      await reinstate(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo))
        .to.emit(f.claims, "PriorAuthApproved")
        .withArgs(r.authId, r.patient, r.plan, r.units, r.validFrom, r.validTo);
    });

    it("refuses a decided or withdrawn request with ClaimsInvalidPriorAuthTransition", async function () {
      const f = await loadFixture(claimsFixture);
      const approvedOnce = await request(f);
      const denied = await request(f);
      const withdrawn = await request(f);
      await approveAsAsked(f, approvedOnce);
      await deny(f, denied);
      await withdraw(f, withdrawn);
      const cases: [Request, PriorAuthStatus][] = [
        [approvedOnce, PriorAuthStatus.Approved],
        [denied, PriorAuthStatus.Denied],
        [withdrawn, PriorAuthStatus.Withdrawn],
      ];
      for (const [r, from] of cases) {
        await expect(f.claims.connect(f.payerKey).approvePriorAuth(r.authId, 1n, r.validFrom, r.validTo))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidPriorAuthTransition")
          .withArgs(r.authId, from, PriorAuthStatus.Approved);
      }
      // Approving twice neither re-lists the authorization nor refills its units.
      expect(await approved(f)).to.deep.equal([approvedOnce.authId]);
      expect((await readPriorAuth(f.claims, approvedOnce.authId)).unitsLeft).to.equal(approvedOnce.units);
    });

    it("reverts with EnforcedPause while the module is paused", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await pauseClaims(f);
      await expect(f.claims.connect(f.payerKey).approvePriorAuth(r.authId, r.units, r.validFrom, r.validTo))
        .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
        .withArgs();
    });
  });

  describe("denyPriorAuth", function () {
    it("denies a request, emitting PriorAuthDenied; nothing is approved", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await expect(f.claims.connect(f.payerKey).denyPriorAuth(r.authId))
        .to.emit(f.claims, "PriorAuthDenied")
        .withArgs(r.authId);
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Denied));
      expect(await approved(f)).to.deep.equal([]);
    });

    it("refuses an unknown authorization with ClaimsUnknownPriorAuth", async function () {
      const f = await loadFixture(claimsFixture);
      for (const authId of [0n, 1n]) {
        await expect(f.claims.connect(f.payerKey).denyPriorAuth(authId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPriorAuth")
          .withArgs(authId);
      }
    });

    it("refuses anyone but the plan's payer with ClaimsNotPlanPayer", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      for (const [who, key] of await notThePlanPayer(f)) {
        await expect(f.claims.connect(key).denyPriorAuth(r.authId), who)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
          .withArgs(r.plan, key.address);
      }
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Requested));
      await expect(f.claims.connect(f.payerKey).denyPriorAuth(r.authId)).not.to.be.reverted;
    });

    it("refuses the payer while suspended with ClaimsNotPlanPayer and accepts it again once reinstated", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await suspend(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).denyPriorAuth(r.authId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotPlanPayer")
        .withArgs(r.plan, f.payerKey.address);
      await reinstate(f, f.payerId);
      await expect(f.claims.connect(f.payerKey).denyPriorAuth(r.authId))
        .to.emit(f.claims, "PriorAuthDenied")
        .withArgs(r.authId);
    });

    it("refuses a decided or withdrawn request with ClaimsInvalidPriorAuthTransition", async function () {
      const f = await loadFixture(claimsFixture);
      const approvedOne = await request(f);
      const denied = await request(f);
      const withdrawn = await request(f);
      await approveAsAsked(f, approvedOne);
      await deny(f, denied);
      await withdraw(f, withdrawn);
      const cases: [Request, PriorAuthStatus][] = [
        [approvedOne, PriorAuthStatus.Approved],
        [denied, PriorAuthStatus.Denied],
        [withdrawn, PriorAuthStatus.Withdrawn],
      ];
      for (const [r, from] of cases) {
        await expect(f.claims.connect(f.payerKey).denyPriorAuth(r.authId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidPriorAuthTransition")
          .withArgs(r.authId, from, PriorAuthStatus.Denied);
      }
      // The approved one stays approved and listed.
      expect(await readPriorAuth(f.claims, approvedOne.authId)).to.deep.equal(
        stored(approvedOne, PriorAuthStatus.Approved, {
          units: approvedOne.units,
          validFrom: approvedOne.validFrom,
          validTo: approvedOne.validTo,
        }),
      );
      expect(await approved(f)).to.deep.equal([approvedOne.authId]);
    });

    it("reverts with EnforcedPause while the module is paused", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await pauseClaims(f);
      await expect(f.claims.connect(f.payerKey).denyPriorAuth(r.authId))
        .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
        .withArgs();
    });
  });

  describe("withdrawPriorAuth", function () {
    it("lets the requesting organization withdraw its request, emitting PriorAuthWithdrawn", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await expect(f.claims.connect(f.hospitalKey).withdrawPriorAuth(r.authId))
        .to.emit(f.claims, "PriorAuthWithdrawn")
        .withArgs(r.authId);
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Withdrawn));
      expect(await approved(f)).to.deep.equal([]);
    });

    it("lets only the requesting practitioner withdraw a practitioner's request, not its organization", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f, { key: f.cardiologistKey, requester: f.cardiologistId });
      const others: [string, Key][] = [
        ["the practitioner's organization", f.hospitalKey],
        ["another practitioner of the organization", f.internistKey],
        ["the plan's payer", f.payerKey],
        ["the patient", f.patientKey],
        ["a stranger", await namedSigner("prior auth test stranger")],
      ];
      for (const [who, key] of others) {
        await expect(f.claims.connect(key).withdrawPriorAuth(r.authId), who)
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotPriorAuthRequester")
          .withArgs(r.authId, key.address);
      }
      expect((await readPriorAuth(f.claims, r.authId)).status).to.equal(PriorAuthStatus.Requested);
      await expect(f.claims.connect(f.cardiologistKey).withdrawPriorAuth(r.authId))
        .to.emit(f.claims, "PriorAuthWithdrawn")
        .withArgs(r.authId);
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Withdrawn));
    });

    it("refuses an organization's practitioner and another organization its request with ClaimsNotPriorAuthRequester", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      for (const key of [f.cardiologistKey, f.clinicKey, f.otherPayerKey]) {
        await expect(f.claims.connect(key).withdrawPriorAuth(r.authId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsNotPriorAuthRequester")
          .withArgs(r.authId, key.address);
      }
    });

    it("refuses the requester while suspended and accepts it again once reinstated", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f, { key: f.cardiologistKey, requester: f.cardiologistId });
      await suspend(f, f.cardiologistId);
      await expect(f.claims.connect(f.cardiologistKey).withdrawPriorAuth(r.authId))
        .to.be.revertedWithCustomError(f.claims, "ClaimsNotPriorAuthRequester")
        .withArgs(r.authId, f.cardiologistKey.address);
      await reinstate(f, f.cardiologistId);
      await expect(f.claims.connect(f.cardiologistKey).withdrawPriorAuth(r.authId))
        .to.emit(f.claims, "PriorAuthWithdrawn")
        .withArgs(r.authId);
    });

    it("refuses an unknown authorization with ClaimsUnknownPriorAuth", async function () {
      const f = await loadFixture(claimsFixture);
      await request(f);
      for (const authId of [0n, 2n]) {
        await expect(f.claims.connect(f.hospitalKey).withdrawPriorAuth(authId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPriorAuth")
          .withArgs(authId);
      }
    });

    it("refuses a decided or withdrawn request with ClaimsInvalidPriorAuthTransition", async function () {
      const f = await loadFixture(claimsFixture);
      const approvedOne = await request(f);
      const denied = await request(f);
      const withdrawn = await request(f);
      await approveAsAsked(f, approvedOne);
      await deny(f, denied);
      await withdraw(f, withdrawn);
      const cases: [Request, PriorAuthStatus][] = [
        [approvedOne, PriorAuthStatus.Approved],
        [denied, PriorAuthStatus.Denied],
        [withdrawn, PriorAuthStatus.Withdrawn],
      ];
      for (const [r, from] of cases) {
        await expect(f.claims.connect(f.hospitalKey).withdrawPriorAuth(r.authId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsInvalidPriorAuthTransition")
          .withArgs(r.authId, from, PriorAuthStatus.Withdrawn);
      }
      expect(await approved(f)).to.deep.equal([approvedOne.authId]);
    });

    it("reverts with EnforcedPause while the module is paused", async function () {
      const f = await loadFixture(claimsFixture);
      const r = await request(f);
      await pauseClaims(f);
      await expect(f.claims.connect(f.hospitalKey).withdrawPriorAuth(r.authId))
        .to.be.revertedWithCustomError(f.claims, "EnforcedPause")
        .withArgs();
    });
  });

  describe("priorAuth", function () {
    it("reverts with ClaimsUnknownPriorAuth for id 0 and ids past priorAuthCount", async function () {
      const f = await loadFixture(claimsFixture);
      await expect(f.claims.priorAuth(1n))
        .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPriorAuth")
        .withArgs(1n);
      const r = await request(f);
      expect(await readPriorAuth(f.claims, r.authId)).to.deep.equal(stored(r, PriorAuthStatus.Requested));
      for (const authId of [0n, r.authId + 1n]) {
        await expect(f.claims.priorAuth(authId))
          .to.be.revertedWithCustomError(f.claims, "ClaimsUnknownPriorAuth")
          .withArgs(authId);
      }
    });
  });
});
