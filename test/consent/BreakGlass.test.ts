import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ethers, ZeroAddress } from "ethers";
import { ethers as hardhatEthers } from "hardhat";

import { policyArguments } from "../../deploy";
import {
  type BreakGlassInfo,
  DataCategory,
  DecisionBasis,
  type DecisionInfo,
  Purpose,
  ReviewOutcome,
  Roles,
} from "../../sdk";
import { type ConsentFixture, consentFixture, MAX_BREAK_GLASS, REASON } from "../fixtures/consent";
import { scheduleAndExecute } from "../helpers/governance";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const HOUR = 60 * 60;
const SESSION_DURATION = 4 * HOUR;
/** An off-chain finding code an auditor records with a review. */
const FINDING = 41;
/** An off-chain reason code the registrar gives for a status change. */
const STATUS_REASON = 17;
/** The default policy's `maxOpenBreakGlassSessions`, as in `deploy/parameters/hardhat.json`. */
const MAX_OPEN = 3;

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

/** Pins the timestamp of the next mined block (or of the next call that reverts) and returns it. */
async function nextTimestamp(): Promise<bigint> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return BigInt(next);
}

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

function allowed(basis: DecisionBasis, accessor: bigint, grantee: bigint, ref = 0n): DecisionInfo {
  return { allowed: true, basis, accessor, grantee, ref };
}

function denied(basis: DecisionBasis, accessor: bigint, grantee = 0n): DecisionInfo {
  return { allowed: false, basis, accessor, grantee, ref: 0n };
}

/** The registry's decision for `accessor` on `patient` (default: the fixture patient), now or at `at`. */
function decide(
  f: ConsentFixture,
  accessor: HardhatEthersSigner,
  category: DataCategory,
  purpose: Purpose,
  options: { at?: bigint; patient?: bigint } = {},
): Promise<DecisionInfo> {
  return f.consent.decide(options.patient ?? f.patientId, accessor.address, category, purpose, options.at);
}

/** The decision break-glass gives `practitioner` (id `id`) in session `sessionId`: labs for emergency treatment. */
async function emergencyLabs(
  f: ConsentFixture,
  practitioner: HardhatEthersSigner,
  patient: bigint = f.patientId,
): Promise<DecisionInfo> {
  return decide(f, practitioner, DataCategory.LaboratoryResults, Purpose.EmergencyTreatment, { patient });
}

/** `practitioner` opens break-glass on `patient` (default: the fixture patient); returns the session and its end. */
async function openSession(
  f: ConsentFixture,
  practitioner: HardhatEthersSigner,
  duration = SESSION_DURATION,
  patient: bigint = f.patientId,
): Promise<{ sessionId: bigint; expiresAt: bigint }> {
  const { sessionId } = await f.consent.as(practitioner).openBreakGlass(patient, REASON.unconscious, duration);
  const { expiresAt } = await f.consent.breakGlass(sessionId);
  return { sessionId, expiresAt };
}

/** `count` new self-registered patients, with funded random keys (the fixture has only three patients). */
async function newPatients(f: ConsentFixture, count: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const key = ethers.Wallet.createRandom().connect(hardhatEthers.provider);
    await setBalance(key.address, 10n ** 18n);
    ids.push((await f.identity.as(key).registerPatient()).id);
  }
  return ids;
}

/** Patients for a practitioner to break glass on one after another: the fixture's three, then new ones. */
async function patients(f: ConsentFixture, count: number): Promise<bigint[]> {
  const known = [f.patientId, f.otherPatientId, f.representativeId];
  return count <= known.length ? known.slice(0, count) : [...known, ...(await newPatients(f, count - known.length))];
}

async function pauseBreakGlass(f: ConsentFixture): Promise<void> {
  await (await f.breakGlass.connect(f.pauser).pause()).wait();
}

async function suspend(f: ConsentFixture, id: bigint): Promise<void> {
  await (await f.identityRegistry.connect(f.registrar).suspend(id, STATUS_REASON)).wait();
}

async function setAuthorization(f: ConsentFixture, organization: bigint, authorized: boolean): Promise<void> {
  await (await f.breakGlass.connect(f.registrar).setEmergencyAuthorization(organization, authorized)).wait();
}

/** The session as `session(id)` returns it, with `expiresAt` replaced. */
function endedAt(session: BreakGlassInfo, expiresAt: bigint): BreakGlassInfo {
  return { ...session, expiresAt };
}

/** Points the registry at a policy like the deployed one but with `overrides`, through the admin's delay. */
async function replacePolicy(
  f: ConsentFixture,
  overrides: { maxOpenBreakGlassSessions?: number; maxBreakGlassDuration?: number },
): Promise<void> {
  const { rules, maxGrantDurations } = policyArguments(f.parameters.consentPolicy);
  const policy = await (
    await hardhatEthers.getContractFactory("ConsentPolicy")
  ).deploy({ ...rules, ...overrides }, maxGrantDurations);
  await policy.waitForDeployment();
  const data = f.consentRegistry.interface.encodeFunctionData("setPolicy", [await policy.getAddress()]);
  await scheduleAndExecute(f.accessManager, f.admin, await f.consentRegistry.getAddress(), data);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("BreakGlass", function () {
  describe("deployment", function () {
    it("is the workflow the consent registry created, knowing the registry, the identity registry and the manager", async function () {
      const f = await loadFixture(consentFixture);
      const address = await f.breakGlass.getAddress();
      expect(await f.consentRegistry.breakGlass()).to.equal(address);
      expect(f.deployment.breakGlass).to.equal(address);
      expect(await f.breakGlass.consentRegistry()).to.equal(await f.consentRegistry.getAddress());
      expect(await f.breakGlass.identityRegistry()).to.equal(await f.identityRegistry.getAddress());
      expect(await f.breakGlass.authority()).to.equal(await f.accessManager.getAddress());
      expect(await f.breakGlass.version()).to.equal("1.0.0");
      expect(await f.breakGlass.paused()).to.equal(false);
      expect(await f.breakGlass.sessionCount()).to.equal(0n);
      expect(await f.breakGlass.unreviewedCount()).to.equal(0n);
      expect((await f.consentPolicy.rules()).maxOpenBreakGlassSessions).to.equal(BigInt(MAX_OPEN));
      // The fixture authorized the hospital, not the clinic.
      expect(await f.breakGlass.isEmergencyAuthorized(f.hospitalId)).to.equal(true);
      expect(await f.breakGlass.isEmergencyAuthorized(f.clinicId)).to.equal(false);
    });

    it("wires each restricted function to its role", async function () {
      const f = await loadFixture(consentFixture);
      const target = await f.breakGlass.getAddress();
      const expected = [
        ["setEmergencyAuthorization", Roles.REGISTRAR],
        ["review", Roles.AUDITOR],
        ["pause", Roles.PAUSER],
        ["unpause", Roles.ADMIN],
      ] as const;
      for (const [name, role] of expected) {
        const { selector } = f.breakGlass.interface.getFunction(name);
        expect(await f.accessManager.getTargetFunctionRole(target, selector), name).to.equal(role);
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // open
  // -------------------------------------------------------------------------------------------------------------------

  describe("open", function () {
    it("opens an emergency session, lists it for review and counts it as open for the practitioner", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      const now = await nextTimestamp();
      const expiresAt = now + BigInt(SESSION_DURATION);
      await expect(breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.emit(breakGlass, "BreakGlassOpened")
        .withArgs(1n, f.patientId, f.erDoctorId, f.hospitalId, REASON.unconscious, expiresAt);
      expect(await f.consent.breakGlass(1n)).to.deep.equal({
        patient: f.patientId,
        practitioner: f.erDoctorId,
        organization: f.hospitalId,
        reasonCode: REASON.unconscious,
        openedAt: now,
        expiresAt,
        outcome: ReviewOutcome.Pending,
        reviewer: ZeroAddress,
      });
      expect(await breakGlass.sessionCount()).to.equal(1n);
      expect(await breakGlass.unreviewedCount()).to.equal(1n);
      expect([...(await breakGlass.unreviewed(0, 10))]).to.deep.equal([1n]);
      expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(1n);
      expect(await breakGlass.openSession(f.patientId, f.erDoctorId, f.hospitalId, now)).to.equal(1n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 1n),
      );
      // The consent entry is untouched: break-glass lives in its own contract.
      expect(await f.consent.consentOf(f.patientId, f.erDoctorId)).to.deep.equal({
        categories: 0,
        purposes: 0,
        validFrom: 0n,
        validUntil: 0n,
        deniedCategories: 0,
        version: 0,
      });
    });

    it("returns the new session's id", async function () {
      const f = await loadFixture(consentFixture);
      expect(
        await f.breakGlass.connect(f.erDoctorKey).open.staticCall(f.patientId, REASON.unconscious, SESSION_DURATION),
      ).to.equal(1n);
      await openSession(f, f.erDoctorKey);
      expect(
        await f.breakGlass
          .connect(f.cardiologistKey)
          .open.staticCall(f.patientId, REASON.unconscious, SESSION_DURATION),
      ).to.equal(2n);
    });

    it("allows emergency treatment only, never the excluded category, until the session expires", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      const emergency = allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(emergency);
      // Sensitive categories other than the excluded one are open in an emergency.
      expect(await decide(f, f.erDoctorKey, DataCategory.MentalHealth, Purpose.EmergencyTreatment)).to.deep.equal(
        emergency,
      );
      expect(await decide(f, f.erDoctorKey, DataCategory.LaboratoryResults, Purpose.Treatment)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.erDoctorId),
      );
      expect(await decide(f, f.erDoctorKey, DataCategory.Genomics, Purpose.EmergencyTreatment)).to.deep.equal(
        denied(DecisionBasis.BreakGlassCategoryExcluded, f.erDoctorId, f.erDoctorId),
      );
      // Only the practitioner who opened it, on that patient: a colleague, or another patient, gets nothing.
      expect(await emergencyLabs(f, f.cardiologistKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.cardiologistId));
      expect(await emergencyLabs(f, f.erDoctorKey, f.otherPatientId)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.erDoctorId),
      );
      expect(
        await decide(f, f.erDoctorKey, DataCategory.LaboratoryResults, Purpose.EmergencyTreatment, {
          at: expiresAt - 1n,
        }),
      ).to.deep.equal(emergency);

      await time.increaseTo(expiresAt);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
    });

    it("accepts exactly the policy's maximum duration and a duration of one second", async function () {
      const f = await loadFixture(consentFixture);
      expect((await f.consentPolicy.rules()).maxBreakGlassDuration).to.equal(BigInt(MAX_BREAK_GLASS));
      let now = await nextTimestamp();
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, 0, MAX_BREAK_GLASS))
        .to.emit(f.breakGlass, "BreakGlassOpened")
        .withArgs(1n, f.patientId, f.erDoctorId, f.hospitalId, 0, now + BigInt(MAX_BREAK_GLASS));
      now = await nextTimestamp();
      await expect(f.breakGlass.connect(f.cardiologistKey).open(f.patientId, 0, 1))
        .to.emit(f.breakGlass, "BreakGlassOpened")
        .withArgs(2n, f.patientId, f.cardiologistId, f.hospitalId, 0, now + 1n);
      expect((await f.consent.breakGlass(2n)).expiresAt).to.equal(now + 1n);
    });

    it("reverts with BreakGlassDurationOutOfRange for zero or more than the policy's maximum", async function () {
      const f = await loadFixture(consentFixture);
      for (const duration of [0, MAX_BREAK_GLASS + 1, 2 ** 32 - 1]) {
        await expect(
          f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, duration),
          String(duration),
        )
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassDurationOutOfRange")
          .withArgs(duration, MAX_BREAK_GLASS);
      }
      expect(await f.breakGlass.sessionCount()).to.equal(0n);
    });

    it("reverts with BreakGlassNotAuthorized for a practitioner of an organization not authorized", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.breakGlass.connect(f.clinicDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.clinicDoctorKey.address);
    });

    it("reverts with BreakGlassNotAuthorized for keys that are not practitioners", async function () {
      const f = await loadFixture(consentFixture);
      for (const caller of [
        f.payerKey,
        f.sponsorKey,
        f.patientKey,
        f.representativeKey,
        f.hospitalKey,
        f.registrar,
        signer(f.spareKeys, 0),
      ]) {
        await expect(
          f.breakGlass.connect(caller).open(f.patientId, REASON.unconscious, SESSION_DURATION),
          caller.address,
        )
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
          .withArgs(caller.address);
      }
      expect(await f.breakGlass.sessionCount()).to.equal(0n);
    });

    it("reverts with BreakGlassNotAuthorized when the practitioner is suspended or its credential expired", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.erDoctorId);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.erDoctorKey.address);
      await time.increaseTo(f.credentialExpiry);
      await expect(f.breakGlass.connect(f.internistKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.internistKey.address);
    });

    it("reverts with BreakGlassNotAuthorized once the organization released the practitioner", async function () {
      const f = await loadFixture(consentFixture);
      await f.identity.as(f.hospitalKey).releaseAffiliate(f.erDoctorId);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.erDoctorKey.address);
    });

    it("reverts with BreakGlassNotAuthorized while the organization is suspended, and opens once it is reinstated", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.hospitalId);
      expect(await f.breakGlass.isEmergencyAuthorized(f.hospitalId)).to.equal(true);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.erDoctorKey.address);
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.hospitalId, STATUS_REASON)).wait();
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION)).to.emit(
        f.breakGlass,
        "BreakGlassOpened",
      );
    });

    it("reverts with BreakGlassNotAuthorized once the organization's authorization is withdrawn", async function () {
      const f = await loadFixture(consentFixture);
      await setAuthorization(f, f.hospitalId, false);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.erDoctorKey.address);
    });

    it("reverts with BreakGlassNotAPatient when the id is not a registered patient", async function () {
      const f = await loadFixture(consentFixture);
      const unknown = (await f.identityRegistry.lastId()) + 1n;
      for (const id of [f.hospitalId, f.cardiologistId, f.payerId, unknown, 0n]) {
        await expect(f.breakGlass.connect(f.erDoctorKey).open(id, REASON.unconscious, SESSION_DURATION), String(id))
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAPatient")
          .withArgs(id);
      }
      expect(await f.breakGlass.sessionCount()).to.equal(0n);
    });

    it("reverts with BreakGlassAlreadyOpen while the practitioner's session on the patient is open", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassAlreadyOpen")
        .withArgs(f.patientId, f.erDoctorId, sessionId);
      // Other practitioners, and the same one on another patient, are not blocked.
      const second = await openSession(f, f.cardiologistKey);
      const third = await openSession(f, f.erDoctorKey, SESSION_DURATION, f.otherPatientId);
      expect([second.sessionId, third.sessionId]).to.deep.equal([2n, 3n]);
    });

    it("reopens with a new session id after the previous one expired, was closed or was found unjustified", async function () {
      const f = await loadFixture(consentFixture);
      const first = await openSession(f, f.erDoctorKey);
      await time.increaseTo(first.expiresAt);
      const now = await nextTimestamp();
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, HOUR))
        .to.emit(f.breakGlass, "BreakGlassOpened")
        .withArgs(2n, f.patientId, f.erDoctorId, f.hospitalId, REASON.unconscious, now + BigInt(HOUR));
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 2n),
      );
      await f.consent.as(f.erDoctorKey).closeBreakGlass(2n);
      expect((await openSession(f, f.erDoctorKey)).sessionId).to.equal(3n);
      await f.consent.as(f.auditor).reviewBreakGlass(3n, ReviewOutcome.Unjustified, FINDING);
      expect((await openSession(f, f.erDoctorKey)).sessionId).to.equal(4n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 4n),
      );
      // Every one of them awaits review, except the one already found unjustified.
      expect(await f.consent.unreviewedBreakGlass()).to.have.members([1n, 2n, 4n]);
    });

    it("reverts with BreakGlassTooManyOpen when the practitioner holds the policy's maximum of open sessions", async function () {
      const f = await loadFixture(consentFixture);
      const [first, second, third, fourth] = await patients(f, MAX_OPEN + 1);
      if (first === undefined || second === undefined || third === undefined || fourth === undefined) {
        throw new Error("not enough patients");
      }
      for (const patient of [first, second, third]) await openSession(f, f.erDoctorKey, SESSION_DURATION, patient);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN));
      await expect(f.breakGlass.connect(f.erDoctorKey).open(fourth, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassTooManyOpen")
        .withArgs(f.erDoctorId, MAX_OPEN);
      expect(await f.breakGlass.sessionCount()).to.equal(BigInt(MAX_OPEN));
      expect(await emergencyLabs(f, f.erDoctorKey, fourth)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      // The limit is per practitioner: a colleague still opens on the same patient.
      await expect(f.breakGlass.connect(f.cardiologistKey).open(fourth, REASON.unconscious, SESSION_DURATION)).to.emit(
        f.breakGlass,
        "BreakGlassOpened",
      );
    });

    it("frees a slot when one of the open sessions expires", async function () {
      const f = await loadFixture(consentFixture);
      const list = await patients(f, MAX_OPEN + 1);
      const short = await openSession(f, f.erDoctorKey, HOUR, list[0]);
      for (const patient of list.slice(1, MAX_OPEN)) await openSession(f, f.erDoctorKey, SESSION_DURATION, patient);
      const last = list[MAX_OPEN] ?? 0n;
      // One second before its expiry the first session still counts...
      await time.increaseTo(short.expiresAt - 2n);
      await time.setNextBlockTimestamp(short.expiresAt - 1n);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(last, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassTooManyOpen")
        .withArgs(f.erDoctorId, MAX_OPEN);
      // ...and from its expiry it no longer does, before anything prunes it.
      await time.increaseTo(short.expiresAt);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN) - 1n);
      const now = await nextTimestamp();
      await expect(f.breakGlass.connect(f.erDoctorKey).open(last, REASON.unconscious, SESSION_DURATION))
        .to.emit(f.breakGlass, "BreakGlassOpened")
        .withArgs(
          BigInt(MAX_OPEN) + 1n,
          last,
          f.erDoctorId,
          f.hospitalId,
          REASON.unconscious,
          now + BigInt(SESSION_DURATION),
        );
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN));
    });

    it("frees a slot when the practitioner closes a session or an auditor finds one unjustified", async function () {
      const f = await loadFixture(consentFixture);
      const list = await patients(f, MAX_OPEN + 2);
      const opened = [];
      for (const patient of list.slice(0, MAX_OPEN))
        opened.push(await openSession(f, f.erDoctorKey, SESSION_DURATION, patient));
      const [fourth, fifth] = list.slice(MAX_OPEN);
      if (fourth === undefined || fifth === undefined) throw new Error("not enough patients");
      await f.consent.as(f.erDoctorKey).closeBreakGlass(opened[0]?.sessionId ?? 0n);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN) - 1n);
      await openSession(f, f.erDoctorKey, SESSION_DURATION, fourth);
      await expect(f.breakGlass.connect(f.erDoctorKey).open(fifth, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassTooManyOpen")
        .withArgs(f.erDoctorId, MAX_OPEN);
      await f.consent.as(f.auditor).reviewBreakGlass(opened[1]?.sessionId ?? 0n, ReviewOutcome.Unjustified, FINDING);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN) - 1n);
      await openSession(f, f.erDoctorKey, SESSION_DURATION, fifth);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN));
    });

    it("frees every slot when the organization's authorization is withdrawn and given again", async function () {
      const f = await loadFixture(consentFixture);
      const list = await patients(f, MAX_OPEN);
      for (const patient of list) await openSession(f, f.erDoctorKey, SESSION_DURATION, patient);
      await setAuthorization(f, f.hospitalId, false);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      await setAuthorization(f, f.hospitalId, true);
      // The same patients again: the ended sessions neither count against the limit nor block the pairs.
      for (const patient of list) await openSession(f, f.erDoctorKey, SESSION_DURATION, patient);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN));
      expect(await f.breakGlass.sessionCount()).to.equal(2n * BigInt(MAX_OPEN));
    });

    it("applies the maxima of the policy in force when the session opens", async function () {
      const f = await loadFixture(consentFixture);
      await openSession(f, f.erDoctorKey);
      await replacePolicy(f, { maxOpenBreakGlassSessions: 1, maxBreakGlassDuration: HOUR });
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.otherPatientId, REASON.unconscious, HOUR))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassTooManyOpen")
        .withArgs(f.erDoctorId, 1);
      await expect(f.breakGlass.connect(f.cardiologistKey).open(f.patientId, REASON.unconscious, HOUR + 1))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassDurationOutOfRange")
        .withArgs(HOUR + 1, HOUR);
      // The session opened under the former policy stays open; a lower maximum ends nothing.
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, 1n),
      );
      await expect(f.breakGlass.connect(f.cardiologistKey).open(f.patientId, REASON.unconscious, HOUR)).to.emit(
        f.breakGlass,
        "BreakGlassOpened",
      );
    });

    it("reverts with EnforcedPause while the workflow is paused, and opens again once unpaused", async function () {
      const f = await loadFixture(consentFixture);
      await pauseBreakGlass(f);
      await expect(
        f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION),
      ).to.be.revertedWithCustomError(f.breakGlass, "EnforcedPause");
      expect(await f.breakGlass.sessionCount()).to.equal(0n);
      await scheduleAndExecute(
        f.accessManager,
        f.admin,
        await f.breakGlass.getAddress(),
        f.breakGlass.interface.encodeFunctionData("unpause"),
      );
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION)).to.emit(
        f.breakGlass,
        "BreakGlassOpened",
      );
    });

    // Pausing consent stops everything that can open access, emergency access included: opening asks the registry's
    // pause as well as its own. Sessions already open keep counting (the decision works while paused).
    it("reverts with EnforcedPause while the consent registry is paused, and keeps open sessions counting", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await (await f.consentRegistry.connect(f.pauser).pause()).wait();
      await expect(
        f.breakGlass.connect(f.cardiologistKey).open(f.patientId, REASON.unconscious, SESSION_DURATION),
      ).to.be.revertedWithCustomError(f.breakGlass, "EnforcedPause");
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId),
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // close
  // -------------------------------------------------------------------------------------------------------------------

  describe("close", function () {
    it("lets the practitioner end the session at once, keeping it on the review list", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      const { sessionId } = await openSession(f, f.erDoctorKey);
      const before = await f.consent.breakGlass(sessionId);
      const now = await nextTimestamp();
      await expect(breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.emit(breakGlass, "BreakGlassClosed")
        .withArgs(sessionId, f.patientId, now);
      expect(await f.consent.breakGlass(sessionId)).to.deep.equal(endedAt(before, now));
      expect(await breakGlass.openSession(f.patientId, f.erDoctorId, f.hospitalId, now)).to.equal(0n);
      expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      // Closing does not dispense with the review.
      expect(await breakGlass.unreviewedCount()).to.equal(1n);
      await expect(breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.be.revertedWithCustomError(breakGlass, "BreakGlassCannotClose")
        .withArgs(sessionId, f.erDoctorKey.address);
    });

    it("reverts with BreakGlassCannotClose for anyone but the practitioner", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      for (const caller of [
        f.cardiologistKey,
        f.hospitalKey,
        f.patientKey,
        f.auditor,
        f.registrar,
        signer(f.spareKeys, 0),
      ]) {
        await expect(f.breakGlass.connect(caller).close(sessionId), caller.address)
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassCannotClose")
          .withArgs(sessionId, caller.address);
      }
      expect((await f.consent.breakGlass(sessionId)).expiresAt).to.equal(expiresAt);
    });

    it("follows a key rotation: the practitioner's new key closes, the old one cannot", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      const newKey = signer(f.spareKeys, 0);
      await f.identity.as(f.erDoctorKey).rotateTo(f.erDoctorId, newKey);
      await expect(f.breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassCannotClose")
        .withArgs(sessionId, f.erDoctorKey.address);
      const now = await nextTimestamp();
      await expect(f.breakGlass.connect(newKey).close(sessionId))
        .to.emit(f.breakGlass, "BreakGlassClosed")
        .withArgs(sessionId, f.patientId, now);
    });

    it("reverts with BreakGlassCannotClose once the session has expired", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      await time.increaseTo(expiresAt);
      await expect(f.breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassCannotClose")
        .withArgs(sessionId, f.erDoctorKey.address);
      expect((await f.consent.breakGlass(sessionId)).expiresAt).to.equal(expiresAt);
    });

    it("reverts with BreakGlassCannotClose once a withdrawal of the authorization ended the session", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await setAuthorization(f, f.hospitalId, false);
      await expect(f.breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassCannotClose")
        .withArgs(sessionId, f.erDoctorKey.address);
      // Nor after the authorization is given back: the session stays ended.
      await setAuthorization(f, f.hospitalId, true);
      await expect(f.breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassCannotClose")
        .withArgs(sessionId, f.erDoctorKey.address);
    });

    it("reverts with BreakGlassUnknownSession for an id never assigned", async function () {
      const f = await loadFixture(consentFixture);
      await openSession(f, f.erDoctorKey);
      for (const id of [0n, 2n, 2n ** 32n + 1n]) {
        await expect(f.breakGlass.connect(f.erDoctorKey).close(id), String(id))
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassUnknownSession")
          .withArgs(id);
      }
    });

    it("still works while the workflow and the registry are paused", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await pauseBreakGlass(f);
      await (await f.consentRegistry.connect(f.pauser).pause()).wait();
      const now = await nextTimestamp();
      await expect(f.breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.emit(f.breakGlass, "BreakGlassClosed")
        .withArgs(sessionId, f.patientId, now);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // review
  // -------------------------------------------------------------------------------------------------------------------

  describe("review", function () {
    it("records a Justified finding, keeps the session open and takes it off the review list", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      const tx = breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Justified, FINDING);
      await expect(tx)
        .to.emit(breakGlass, "BreakGlassReviewed")
        .withArgs(sessionId, f.patientId, f.auditor.address, ReviewOutcome.Justified, FINDING);
      await expect(tx).not.to.emit(breakGlass, "BreakGlassClosed");
      expect(await f.consent.breakGlass(sessionId)).to.include({
        outcome: ReviewOutcome.Justified,
        reviewer: f.auditor.address,
        expiresAt,
      });
      expect(await breakGlass.unreviewedCount()).to.equal(0n);
      expect([...(await breakGlass.unreviewed(0, 10))]).to.deep.equal([]);
      expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(1n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId),
      );
    });

    it("ends an open session at once when found Unjustified", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      const { sessionId } = await openSession(f, f.erDoctorKey);
      const now = await nextTimestamp();
      await expect(breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Unjustified, FINDING))
        .to.emit(breakGlass, "BreakGlassReviewed")
        .withArgs(sessionId, f.patientId, f.auditor.address, ReviewOutcome.Unjustified, FINDING)
        .and.to.emit(breakGlass, "BreakGlassClosed")
        .withArgs(sessionId, f.patientId, now);
      expect(await f.consent.breakGlass(sessionId)).to.include({
        outcome: ReviewOutcome.Unjustified,
        reviewer: f.auditor.address,
        expiresAt: now,
      });
      expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      await expect(breakGlass.connect(f.erDoctorKey).close(sessionId))
        .to.be.revertedWithCustomError(breakGlass, "BreakGlassCannotClose")
        .withArgs(sessionId, f.erDoctorKey.address);
    });

    it("records an Unjustified finding on an expired session without closing it again", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      await time.increaseTo(expiresAt + 1n);
      const tx = f.breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Unjustified, FINDING);
      await expect(tx)
        .to.emit(f.breakGlass, "BreakGlassReviewed")
        .withArgs(sessionId, f.patientId, f.auditor.address, ReviewOutcome.Unjustified, FINDING);
      await expect(tx).not.to.emit(f.breakGlass, "BreakGlassClosed");
      expect((await f.consent.breakGlass(sessionId)).expiresAt).to.equal(expiresAt);
    });

    it("records an Unjustified finding on a session a withdrawal ended, which keeps the withdrawal's time", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      const withdrawnAt = await nextTimestamp();
      await setAuthorization(f, f.hospitalId, false);
      const tx = f.breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Unjustified, FINDING);
      await expect(tx)
        .to.emit(f.breakGlass, "BreakGlassReviewed")
        .withArgs(sessionId, f.patientId, f.auditor.address, ReviewOutcome.Unjustified, FINDING);
      await expect(tx).not.to.emit(f.breakGlass, "BreakGlassClosed");
      expect(await f.consent.breakGlass(sessionId)).to.include({
        outcome: ReviewOutcome.Unjustified,
        expiresAt: withdrawnAt,
      });
    });

    it("removes only the reviewed session from the list, which pages by offset and limit", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      const first = await openSession(f, f.erDoctorKey);
      const second = await openSession(f, f.cardiologistKey);
      const third = await openSession(f, f.internistKey, SESSION_DURATION, f.otherPatientId);
      expect([first.sessionId, second.sessionId, third.sessionId]).to.deep.equal([1n, 2n, 3n]);
      expect(await breakGlass.unreviewedCount()).to.equal(3n);
      expect([...(await breakGlass.unreviewed(0, 3))]).to.have.members([1n, 2n, 3n]);

      await (await breakGlass.connect(f.auditor).review(2n, ReviewOutcome.Justified, FINDING)).wait();
      expect(await breakGlass.unreviewedCount()).to.equal(2n);
      const all = [...(await breakGlass.unreviewed(0, 10))];
      expect(all).to.have.members([1n, 3n]);
      expect(all).to.have.lengthOf(2);
      const pageOne = [...(await breakGlass.unreviewed(0, 1))];
      const pageTwo = [...(await breakGlass.unreviewed(1, 1))];
      expect(pageOne).to.have.lengthOf(1);
      expect(pageTwo).to.have.lengthOf(1);
      expect([...pageOne, ...pageTwo]).to.have.members([1n, 3n]);
      expect([...(await breakGlass.unreviewed(1, 10))]).to.deep.equal(pageTwo);
      expect([...(await breakGlass.unreviewed(0, 0))]).to.deep.equal([]);
      expect([...(await breakGlass.unreviewed(2, 10))]).to.deep.equal([]);
      expect([...(await breakGlass.unreviewed(5, 10))]).to.deep.equal([]);
      expect([...(await breakGlass.unreviewed(1, ethers.MaxUint256))]).to.deep.equal(pageTwo);
      expect(await f.consent.unreviewedBreakGlass(1)).to.have.members([1n, 3n]);
    });

    it("reverts with AccessManagedUnauthorized for anyone but an auditor", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      for (const caller of [f.admin, f.registrar, f.pauser, f.deployer, f.erDoctorKey, f.hospitalKey, f.patientKey]) {
        await expect(f.breakGlass.connect(caller).review(sessionId, ReviewOutcome.Justified, FINDING), caller.address)
          .to.be.revertedWithCustomError(f.breakGlass, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect((await f.consent.breakGlass(sessionId)).outcome).to.equal(ReviewOutcome.Pending);
    });

    it("reverts with BreakGlassInvalidReview for a Pending outcome", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await expect(f.breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Pending, FINDING))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassInvalidReview")
        .withArgs(sessionId, ReviewOutcome.Pending);
      expect(await f.breakGlass.unreviewedCount()).to.equal(1n);
    });

    it("reverts with BreakGlassInvalidReview for a second review", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await (await f.breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Justified, FINDING)).wait();
      for (const outcome of [ReviewOutcome.Justified, ReviewOutcome.Unjustified]) {
        await expect(f.breakGlass.connect(f.auditor).review(sessionId, outcome, FINDING))
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassInvalidReview")
          .withArgs(sessionId, outcome);
      }
      expect((await f.consent.breakGlass(sessionId)).outcome).to.equal(ReviewOutcome.Justified);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId),
      );
    });

    it("reverts with BreakGlassUnknownSession for an id never assigned", async function () {
      const f = await loadFixture(consentFixture);
      for (const id of [0n, 1n]) {
        await expect(f.breakGlass.connect(f.auditor).review(id, ReviewOutcome.Justified, FINDING))
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassUnknownSession")
          .withArgs(id);
      }
    });

    it("still works while the workflow is paused, an unjustified finding ending the session", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await pauseBreakGlass(f);
      const now = await nextTimestamp();
      await expect(f.breakGlass.connect(f.auditor).review(sessionId, ReviewOutcome.Unjustified, FINDING))
        .to.emit(f.breakGlass, "BreakGlassReviewed")
        .withArgs(sessionId, f.patientId, f.auditor.address, ReviewOutcome.Unjustified, FINDING)
        .and.to.emit(f.breakGlass, "BreakGlassClosed")
        .withArgs(sessionId, f.patientId, now);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // setEmergencyAuthorization
  // -------------------------------------------------------------------------------------------------------------------

  describe("setEmergencyAuthorization", function () {
    it("leaves an organization never authorized, or already withdrawn, unchanged when withdrawn again", async function () {
      const f = await loadFixture(consentFixture);
      await openSession(f, f.erDoctorKey);
      // The clinic was never authorized: withdrawing records nothing and ends nothing.
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.clinicId, false))
        .to.emit(f.breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.clinicId, false, 0);
      await setAuthorization(f, f.hospitalId, false);
      const { sessionId } = await (async () => {
        await setAuthorization(f, f.hospitalId, true);
        return openSession(f, f.erDoctorKey, SESSION_DURATION, f.otherPatientId);
      })();
      await setAuthorization(f, f.hospitalId, false);
      // Withdrawn already: a second withdrawal keeps the first one's bound.
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
        .to.emit(f.breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.hospitalId, false, sessionId + 1n);
    });

    it("authorizes an organization's practitioners to break glass", async function () {
      const f = await loadFixture(consentFixture);
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.clinicId, true))
        .to.emit(f.breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.clinicId, true, 0);
      expect(await f.breakGlass.isEmergencyAuthorized(f.clinicId)).to.equal(true);
      const { sessionId } = await openSession(f, f.clinicDoctorKey);
      expect(await emergencyLabs(f, f.clinicDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.clinicDoctorId, f.clinicDoctorId, sessionId),
      );
    });

    it("ends every session opened under the organization at once when withdrawn, and no other", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      await setAuthorization(f, f.clinicId, true);
      const er = await openSession(f, f.erDoctorKey);
      const cardiology = await openSession(f, f.cardiologistKey, SESSION_DURATION, f.otherPatientId);
      const erElsewhere = await openSession(f, f.erDoctorKey, SESSION_DURATION, f.otherPatientId);
      const clinic = await openSession(f, f.clinicDoctorKey);
      const hospitalSessions = [er, cardiology, erElsewhere];
      const before = await Promise.all(hospitalSessions.map(({ sessionId }) => f.consent.breakGlass(sessionId)));

      const withdrawnAt = await nextTimestamp();
      await expect(breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
        .to.emit(breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.hospitalId, false, 5n);
      expect(await breakGlass.isEmergencyAuthorized(f.hospitalId)).to.equal(false);

      // Every hospital session now reads as ended at the withdrawal, and opens nothing.
      for (const [i, { sessionId }] of hospitalSessions.entries()) {
        const session = before[i];
        if (session === undefined) throw new Error("missing session");
        expect(await f.consent.breakGlass(sessionId), String(sessionId)).to.deep.equal(endedAt(session, withdrawnAt));
        expect(
          await breakGlass.openSession(session.patient, session.practitioner, session.organization, withdrawnAt),
        ).to.equal(0n);
      }
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      expect(await emergencyLabs(f, f.erDoctorKey, f.otherPatientId)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.erDoctorId),
      );
      expect(await emergencyLabs(f, f.cardiologistKey, f.otherPatientId)).to.deep.equal(
        denied(DecisionBasis.NoGrant, f.cardiologistId),
      );
      await expect(
        f.consentRegistry
          .connect(f.erDoctorKey)
          .recordAccess(f.patientId, DataCategory.LaboratoryResults, Purpose.EmergencyTreatment),
      )
        .to.emit(f.consentRegistry, "AccessDenied")
        .withArgs(
          f.patientId,
          f.erDoctorId,
          0n,
          DataCategory.LaboratoryResults,
          Purpose.EmergencyTreatment,
          DecisionBasis.NoGrant,
        );
      expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      expect(await breakGlass.openSessionCount(f.cardiologistId)).to.equal(0n);
      // The clinic's session is not the hospital's: it stays open.
      expect(await breakGlass.openSessionCount(f.clinicDoctorId)).to.equal(1n);
      expect(await emergencyLabs(f, f.clinicDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.clinicDoctorId, f.clinicDoctorId, clinic.sessionId),
      );
      expect((await f.consent.breakGlass(clinic.sessionId)).expiresAt).to.equal(clinic.expiresAt);
      // Ended is not reviewed: every session still awaits an auditor.
      expect(await breakGlass.unreviewedCount()).to.equal(4n);
    });

    it("does not revive the ended sessions when the organization is authorized again", async function () {
      const f = await loadFixture(consentFixture);
      const breakGlass = f.breakGlass;
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      const withdrawnAt = await nextTimestamp();
      await setAuthorization(f, f.hospitalId, false);
      await expect(breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, true))
        .to.emit(breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.hospitalId, true, sessionId + 1n);
      expect(await breakGlass.isEmergencyAuthorized(f.hospitalId)).to.equal(true);
      expect(withdrawnAt < expiresAt).to.equal(true);
      expect((await f.consent.breakGlass(sessionId)).expiresAt).to.equal(withdrawnAt);
      expect(await breakGlass.openSession(f.patientId, f.erDoctorId, f.hospitalId, await latest())).to.equal(0n);
      expect(await breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      // A new session opens (the ended one blocks nothing) and is open.
      const renewed = await openSession(f, f.erDoctorKey);
      expect(renewed.sessionId).to.equal(sessionId + 1n);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, renewed.sessionId),
      );
      // ...and a later withdrawal ends it in turn, without moving the first session's end.
      const secondWithdrawal = await nextTimestamp();
      await expect(breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
        .to.emit(breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.hospitalId, false, renewed.sessionId + 1n);
      expect((await f.consent.breakGlass(renewed.sessionId)).expiresAt).to.equal(secondWithdrawal);
      expect((await f.consent.breakGlass(sessionId)).expiresAt).to.equal(withdrawnAt);
    });

    it("keeps the end of a session that had already expired or been closed before the withdrawal", async function () {
      const f = await loadFixture(consentFixture);
      const expired = await openSession(f, f.erDoctorKey, HOUR);
      const closed = await openSession(f, f.cardiologistKey);
      const closedAt = await nextTimestamp();
      await f.consent.as(f.cardiologistKey).closeBreakGlass(closed.sessionId);
      await time.increaseTo(expired.expiresAt + 10n);
      await setAuthorization(f, f.hospitalId, false);
      expect((await f.consent.breakGlass(expired.sessionId)).expiresAt).to.equal(expired.expiresAt);
      expect((await f.consent.breakGlass(closed.sessionId)).expiresAt).to.equal(closedAt);
    });

    it("withdraws while the workflow is paused, ending the sessions, but refuses to authorize with EnforcedPause", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await pauseBreakGlass(f);
      const withdrawnAt = await nextTimestamp();
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
        .to.emit(f.breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.hospitalId, false, sessionId + 1n);
      expect((await f.consent.breakGlass(sessionId)).expiresAt).to.equal(withdrawnAt);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
      for (const organization of [f.hospitalId, f.clinicId]) {
        await expect(
          f.breakGlass.connect(f.registrar).setEmergencyAuthorization(organization, true),
          String(organization),
        ).to.be.revertedWithCustomError(f.breakGlass, "EnforcedPause");
        expect(await f.breakGlass.isEmergencyAuthorized(organization)).to.equal(false);
      }
    });

    it("reverts with AccessManagedUnauthorized for anyone but a registrar, authorizing or withdrawing", async function () {
      const f = await loadFixture(consentFixture);
      for (const caller of [f.admin, f.auditor, f.pauser, f.deployer, f.hospitalKey, f.erDoctorKey, f.patientKey]) {
        for (const [organization, authorized] of [
          [f.clinicId, true],
          [f.hospitalId, false],
        ] as const) {
          await expect(
            f.breakGlass.connect(caller).setEmergencyAuthorization(organization, authorized),
            `${caller.address} ${String(authorized)}`,
          )
            .to.be.revertedWithCustomError(f.breakGlass, "AccessManagedUnauthorized")
            .withArgs(caller.address);
        }
      }
      expect(await f.breakGlass.isEmergencyAuthorized(f.clinicId)).to.equal(false);
      expect(await f.breakGlass.isEmergencyAuthorized(f.hospitalId)).to.equal(true);
    });

    it("reverts with BreakGlassNotAnOrganization for a practitioner, payer, sponsor, patient or unknown id", async function () {
      const f = await loadFixture(consentFixture);
      const unknown = (await f.identityRegistry.lastId()) + 1n;
      for (const id of [f.cardiologistId, f.payerId, f.sponsorId, f.patientId, unknown, 0n]) {
        for (const authorized of [true, false]) {
          await expect(
            f.breakGlass.connect(f.registrar).setEmergencyAuthorization(id, authorized),
            `${String(id)} ${String(authorized)}`,
          )
            .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAnOrganization")
            .withArgs(id);
        }
      }
    });

    it("reverts with BreakGlassNotAnOrganization when authorizing a suspended organization", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.clinicId);
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.clinicId, true))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAnOrganization")
        .withArgs(f.clinicId);
      expect(await f.breakGlass.isEmergencyAuthorized(f.clinicId)).to.equal(false);
    });

    it("withdraws the authorization of a suspended organization, which stays withdrawn once reinstated", async function () {
      const f = await loadFixture(consentFixture);
      await suspend(f, f.hospitalId);
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false))
        .to.emit(f.breakGlass, "EmergencyAuthorizationSet")
        .withArgs(f.hospitalId, false, 1n);
      expect(await f.breakGlass.isEmergencyAuthorized(f.hospitalId)).to.equal(false);
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.hospitalId, STATUS_REASON)).wait();
      await expect(f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION))
        .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized")
        .withArgs(f.erDoctorKey.address);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------------------------------

  describe("openSession", function () {
    it("names the latest session of the pair while it is open at `at` for the organization it was opened under, else 0", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId, expiresAt } = await openSession(f, f.erDoctorKey);
      const openedAt = (await f.consent.breakGlass(sessionId)).openedAt;
      const view = (patient: bigint, practitioner: bigint, at: bigint) =>
        f.breakGlass.openSession(patient, practitioner, f.hospitalId, at);
      // Asked for another organization (the practitioner's is not the session's), or none, it is not open.
      expect(await f.breakGlass.openSession(f.patientId, f.erDoctorId, f.clinicId, openedAt)).to.equal(0n);
      expect(await f.breakGlass.openSession(f.patientId, f.erDoctorId, 0n, openedAt)).to.equal(0n);
      expect(await view(f.patientId, f.erDoctorId, openedAt)).to.equal(sessionId);
      expect(await view(f.patientId, f.erDoctorId, expiresAt - 1n)).to.equal(sessionId);
      expect(await view(f.patientId, f.erDoctorId, expiresAt)).to.equal(0n);
      expect(await view(f.otherPatientId, f.erDoctorId, openedAt)).to.equal(0n);
      expect(await view(f.patientId, f.cardiologistId, openedAt)).to.equal(0n);
      expect(await view(f.patientId, 0n, openedAt)).to.equal(0n);
      // Once it expired, a new session of the pair is the one that counts.
      await time.increaseTo(expiresAt);
      const next = await openSession(f, f.erDoctorKey, HOUR);
      expect(await view(f.patientId, f.erDoctorId, await latest())).to.equal(next.sessionId);
      expect(await view(f.patientId, f.erDoctorId, next.expiresAt)).to.equal(0n);
    });
  });

  describe("session", function () {
    it("reverts with BreakGlassUnknownSession for an id never assigned", async function () {
      const f = await loadFixture(consentFixture);
      await openSession(f, f.erDoctorKey);
      for (const id of [0n, 2n]) {
        await expect(f.breakGlass.session(id))
          .to.be.revertedWithCustomError(f.breakGlass, "BreakGlassUnknownSession")
          .withArgs(id);
      }
    });
  });

  describe("openSessionCount", function () {
    it("counts only the sessions open now, across patients, per practitioner", async function () {
      const f = await loadFixture(consentFixture);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      const short = await openSession(f, f.erDoctorKey, HOUR);
      await openSession(f, f.erDoctorKey, SESSION_DURATION, f.otherPatientId);
      await openSession(f, f.cardiologistKey);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(2n);
      expect(await f.breakGlass.openSessionCount(f.cardiologistId)).to.equal(1n);
      expect(await f.breakGlass.openSessionCount(f.internistId)).to.equal(0n);
      await time.increaseTo(short.expiresAt);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(1n);
    });
  });

  describe("sessionCount", function () {
    it("counts every session ever opened, whatever became of it, and nothing refused", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await f.consent.as(f.erDoctorKey).closeBreakGlass(sessionId);
      await openSession(f, f.cardiologistKey);
      await expect(
        f.breakGlass.connect(f.clinicDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION),
      ).to.be.revertedWithCustomError(f.breakGlass, "BreakGlassNotAuthorized");
      expect(await f.breakGlass.sessionCount()).to.equal(2n);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Pause
  // -------------------------------------------------------------------------------------------------------------------

  describe("pause", function () {
    it("is the pauser's alone, and unpausing the admin's through its delay", async function () {
      const f = await loadFixture(consentFixture);
      for (const caller of [f.admin, f.registrar, f.auditor, f.erDoctorKey]) {
        await expect(f.breakGlass.connect(caller).pause(), caller.address)
          .to.be.revertedWithCustomError(f.breakGlass, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      await expect(f.breakGlass.connect(f.pauser).pause()).to.emit(f.breakGlass, "Paused").withArgs(f.pauser.address);
      expect(await f.breakGlass.paused()).to.equal(true);
      // Pausing the workflow leaves the registry running.
      expect(await f.consentRegistry.paused()).to.equal(false);
      for (const caller of [f.pauser, f.registrar]) {
        await expect(f.breakGlass.connect(caller).unpause(), caller.address)
          .to.be.revertedWithCustomError(f.breakGlass, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      const target = await f.breakGlass.getAddress();
      const data = f.breakGlass.interface.encodeFunctionData("unpause");
      await expect(f.breakGlass.connect(f.admin).unpause())
        .to.be.revertedWithCustomError(f.accessManager, "AccessManagerNotScheduled")
        .withArgs(await f.accessManager.hashOperation(f.admin.address, target, data));
      await scheduleAndExecute(f.accessManager, f.admin, target, data);
      expect(await f.breakGlass.paused()).to.equal(false);
    });

    it("stops only what opens access: open and authorizing refuse, close, review and withdrawal work", async function () {
      const f = await loadFixture(consentFixture);
      const reviewed = await openSession(f, f.erDoctorKey);
      const closed = await openSession(f, f.cardiologistKey);
      await pauseBreakGlass(f);
      await expect(
        f.breakGlass.connect(f.internistKey).open(f.patientId, REASON.unconscious, SESSION_DURATION),
      ).to.be.revertedWithCustomError(f.breakGlass, "EnforcedPause");
      await expect(
        f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.clinicId, true),
      ).to.be.revertedWithCustomError(f.breakGlass, "EnforcedPause");
      await expect(f.breakGlass.connect(f.cardiologistKey).close(closed.sessionId)).to.emit(
        f.breakGlass,
        "BreakGlassClosed",
      );
      await expect(
        f.breakGlass.connect(f.auditor).review(reviewed.sessionId, ReviewOutcome.Justified, FINDING),
      ).to.emit(f.breakGlass, "BreakGlassReviewed");
      await expect(f.breakGlass.connect(f.registrar).setEmergencyAuthorization(f.hospitalId, false)).to.emit(
        f.breakGlass,
        "EmergencyAuthorizationSet",
      );
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      expect(await f.breakGlass.sessionCount()).to.equal(2n);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Identity changes
  // -------------------------------------------------------------------------------------------------------------------

  describe("identity changes", function () {
    it("stops a suspended practitioner's session from opening anything, and lets it count again once reinstated", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await suspend(f, f.erDoctorId);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.InactiveAccessor, f.erDoctorId));
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.erDoctorId, STATUS_REASON)).wait();
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId),
      );
    });

    // A session is its organization's: suspending the organization stops its emergency access at once, as it stops
    // its grant (and reinstating it lets the session count again until it ends); revoking it ends it for good.
    it("stops a session while its organization is suspended, and for good once it is revoked", async function () {
      const f = await loadFixture(consentFixture);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      const emergency = allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId);
      await suspend(f, f.hospitalId);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      // The practitioner of a suspended organization is not active itself (its affiliation is), so the decision
      // refuses it before break-glass is asked; the workflow answers no session either.
      expect(await f.breakGlass.openSession(f.patientId, f.erDoctorId, f.hospitalId, await latest())).to.equal(0n);
      await (await f.identityRegistry.connect(f.registrar).reinstate(f.hospitalId, STATUS_REASON)).wait();
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(emergency);
      await (await f.identityRegistry.connect(f.registrar).revoke(f.hospitalId, STATUS_REASON)).wait();
      expect(await f.breakGlass.openSession(f.patientId, f.erDoctorId, f.hospitalId, await latest())).to.equal(0n);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
    });

    // The session belongs to the organization it was opened under (BreakGlassSession.organization): a practitioner
    // who moves to another organization loses it at once, whatever either organization's authorization.
    it("ends a session for a practitioner who moves to another organization", async function () {
      const f = await loadFixture(consentFixture);
      await setAuthorization(f, f.clinicId, true);
      const { sessionId } = await openSession(f, f.erDoctorKey);
      await (await f.identityRegistry.connect(f.registrar).setAffiliation(f.erDoctorId, f.clinicId)).wait();
      // Offered, not yet accepted: still the hospital's, the session still counts.
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(
        allowed(DecisionBasis.BreakGlass, f.erDoctorId, f.erDoctorId, sessionId),
      );
      await f.identity.as(f.clinicKey).acceptAffiliate(f.erDoctorId);
      expect((await f.identityRegistry.standingOf(f.erDoctorId))[1]).to.equal(f.clinicId);
      expect((await f.consent.breakGlass(sessionId)).organization).to.equal(f.hospitalId);
      expect(await emergencyLabs(f, f.erDoctorKey)).to.deep.equal(denied(DecisionBasis.NoGrant, f.erDoctorId));
    });

    it("ends for good, when the practitioner opens one at its new organization, the sessions under the one it left", async function () {
      const f = await loadFixture(consentFixture);
      await setAuthorization(f, f.clinicId, true);
      const patients = await newPatients(f, MAX_OPEN - 1);
      // The policy's maximum of sessions at the hospital, the first on the fixture's patient.
      const old = await openSession(f, f.erDoctorKey);
      for (const patient of patients) await openSession(f, f.erDoctorKey, SESSION_DURATION, patient);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(BigInt(MAX_OPEN));
      await (await f.identityRegistry.connect(f.registrar).setAffiliation(f.erDoctorId, f.clinicId)).wait();
      await f.identity.as(f.clinicKey).acceptAffiliate(f.erDoctorId);
      // Sessions under the hospital no longer count for a practitioner of the clinic.
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
      // At the clinic it opens on the same patient (no BreakGlassAlreadyOpen, no BreakGlassTooManyOpen), and the
      // hospital sessions end now, each with BreakGlassClosed.
      const endedAt = await nextTimestamp();
      const opening = f.breakGlass.connect(f.erDoctorKey).open(f.patientId, REASON.unconscious, SESSION_DURATION);
      await expect(opening).to.emit(f.breakGlass, "BreakGlassClosed").withArgs(old.sessionId, f.patientId, endedAt);
      await expect(opening).to.emit(f.breakGlass, "BreakGlassOpened");
      expect((await f.consent.breakGlass(old.sessionId)).expiresAt).to.equal(endedAt);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(1n);
      // Back at the hospital, the ended sessions do not revive.
      await (await f.identityRegistry.connect(f.registrar).setAffiliation(f.erDoctorId, f.hospitalId)).wait();
      await f.identity.as(f.hospitalKey).acceptAffiliate(f.erDoctorId);
      expect(await f.breakGlass.openSession(f.patientId, f.erDoctorId, f.hospitalId, await latest())).to.equal(0n);
      expect(await f.breakGlass.openSessionCount(f.erDoctorId)).to.equal(0n);
    });
  });
});
