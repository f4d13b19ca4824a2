import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { categorySet, DataCategory, DecisionBasis, Purpose } from "../../sdk";
import { type RecordsFixture, recordsFixture } from "../fixtures/records";
import {
  type AmendmentInfo,
  amendmentOf,
  AmendmentStatus,
  anchored,
  anchorOf,
  historyOf,
  NOTHING,
  pinNext,
  randomCommitment,
  RECORD_REASON,
  RecordStatus,
  SUSPENSION_REASON,
} from "./helpers";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const LABS = DataCategory.LaboratoryResults;
/** Denial reason codes of 45 CFR 164.526(a)(2) as the interface lists them. */
const DENIAL = { notCreatedByUs: 1, accurateAndComplete: 4 } as const;

function spare(f: RecordsFixture, index = 0): HardhatEthersSigner {
  const key = f.spareKeys[index];
  if (key === undefined) throw new Error(`the records fixture has no spare key ${index}`);
  return key;
}

/** `author` anchors a fresh record of `patient` in `category`; returns its commitment. */
async function anchorRecord(
  f: RecordsFixture,
  author: HardhatEthersSigner = f.cardiologistKey,
  category: DataCategory = LABS,
  patient: bigint = f.patientId,
): Promise<string> {
  const commitment = randomCommitment();
  await (await f.records.connect(author).anchor(patient, commitment, category, ZeroHash)).wait();
  return commitment;
}

/** `curator` supersedes `previous` with a fresh version (reason: correction); returns the new commitment. */
async function supersede(f: RecordsFixture, curator: HardhatEthersSigner, previous: string): Promise<string> {
  const commitment = randomCommitment();
  await (await f.records.connect(curator).supersede(previous, commitment, ZeroHash, RECORD_REASON.correction)).wait();
  return commitment;
}

/** `actor` asks to amend `record`; returns the request id. */
async function requestAmendment(f: RecordsFixture, actor: HardhatEthersSigner, record: string): Promise<bigint> {
  const id = await f.records.connect(actor).requestAmendment.staticCall(record, randomCommitment());
  await (await f.records.connect(actor).requestAmendment(record, randomCommitment())).wait();
  return id;
}

async function suspend(f: RecordsFixture, id: bigint): Promise<void> {
  await f.identity.as(f.registrar).suspend(id, SUSPENSION_REASON);
}

async function pause(f: RecordsFixture): Promise<void> {
  await (await f.records.connect(f.pauser).pause()).wait();
}

/** `account` is refused as curator of `commitment` by supersede and markEnteredInError, and nothing changes. */
async function expectNotCurator(f: RecordsFixture, account: HardhatEthersSigner, commitment: string): Promise<void> {
  const { records } = f;
  const before = await anchorOf(records, commitment);
  const next = randomCommitment();
  await expect(records.connect(account).supersede(commitment, next, ZeroHash, RECORD_REASON.correction))
    .to.be.revertedWithCustomError(records, "RecordNotCurator")
    .withArgs(commitment, account.address);
  await expect(records.connect(account).markEnteredInError(commitment, RECORD_REASON.wrongPatient))
    .to.be.revertedWithCustomError(records, "RecordNotCurator")
    .withArgs(commitment, account.address);
  expect(await anchorOf(records, commitment)).to.deep.equal(before);
  expect(await anchorOf(records, next)).to.deep.equal(NOTHING);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("RecordRegistry", function () {
  // -------------------------------------------------------------------------------------------------------------------
  // Supersede
  // -------------------------------------------------------------------------------------------------------------------

  describe("supersede", function () {
    it("lets the author supersede her current version; the new one keeps patient, category and organization", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, cardiologistId, hospitalId } = f;
      const first = await anchorRecord(f, cardiologistKey, DataCategory.Imaging);
      const before = await anchorOf(records, first);
      const second = randomCommitment();
      const pointer = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(cardiologistKey).supersede(first, second, pointer, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, cardiologistId, RECORD_REASON.correction, pointer);
      expect(await anchorOf(records, first)).to.deep.equal({
        ...before,
        status: RecordStatus.Superseded,
        next: second,
      });
      expect(await anchorOf(records, second)).to.deep.equal(
        anchored({
          patient: patientId,
          author: cardiologistId,
          organization: hospitalId,
          category: DataCategory.Imaging,
          anchoredAt: t,
          previous: first,
        }),
      );
      expect(await historyOf(records, first)).to.deep.equal([first, second]);
      expect(await historyOf(records, second)).to.deep.equal([first, second]);
      expect(await records.latestVersion(first)).to.equal(second);
      expect(await records.latestVersion(second)).to.equal(second);
    });

    it("lets the organization the record was anchored under supersede it and names the organization as author", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, hospitalKey, hospitalId, internistKey } = f;
      const first = await anchorRecord(f, internistKey);
      const second = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(hospitalKey).supersede(first, second, ZeroHash, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, hospitalId, RECORD_REASON.correction, ZeroHash);
      expect(await anchorOf(records, second)).to.deep.equal(
        anchored({
          patient: patientId,
          author: hospitalId,
          organization: hospitalId,
          category: LABS,
          anchoredAt: t,
          previous: first,
        }),
      );
      // The internist wrote the first version, not the second: she is no longer its curator; the hospital is.
      await expectNotCurator(f, internistKey, second);
      await expectNotCurator(f, cardiologistKey, second);
      const third = await supersede(f, hospitalKey, second);
      expect(await historyOf(records, third)).to.deep.equal([first, second, third]);
    });

    it("lets the device and its hospital curate the device's record", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, deviceKey, deviceId, hospitalKey, hospitalId } = f;
      const first = await anchorRecord(f, deviceKey);
      const second = await supersede(f, deviceKey, first);
      expect((await anchorOf(records, second)).author).to.equal(deviceId);
      const third = await supersede(f, hospitalKey, second);
      expect(await anchorOf(records, third)).to.include({ author: hospitalId, organization: hospitalId });
    });

    it("lets the patient supersede her own data, which stays without an organization", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, hospitalKey } = f;
      const first = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const second = await supersede(f, patientKey, first);
      expect(await anchorOf(records, second)).to.include({
        status: RecordStatus.Current,
        author: patientId,
        organization: 0n,
        category: DataCategory.VitalSigns,
        previous: first,
      });
      // Nobody else curates it: not the hospital, not the representative.
      await expectNotCurator(f, hospitalKey, second);
      await expectNotCurator(f, f.representativeKey, second);
    });

    it("lets the representative curate what she anchored, but not the patient", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, representativeKey, representativeId, patientKey } = f;
      const first = await anchorRecord(f, representativeKey, DataCategory.VitalSigns);
      expect(await anchorOf(records, first)).to.include({ author: representativeId, organization: 0n });
      await expectNotCurator(f, patientKey, first);
      const second = await supersede(f, representativeKey, first);
      expect(await historyOf(records, second)).to.deep.equal([first, second]);
    });

    // As documented, curatorship follows the author's standing, not her relationship with the patient: a
    // representative whose appointment ended still curates what she anchored, and a practitioner who moved to
    // another organization still curates what she anchored under the first one.
    it("keeps the author as curator after her representation ended or her affiliation changed", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, registrar, patientKey, patientId, representativeKey, representativeId } = f;
      const { cardiologistKey, cardiologistId, hospitalId, clinicId } = f;
      const byRepresentative = await anchorRecord(f, representativeKey, DataCategory.VitalSigns);
      const byCardiologist = await anchorRecord(f, cardiologistKey);
      await identity.as(patientKey).revokeRepresentative(patientId, representativeId);
      await identity.as(registrar).setAffiliation(cardiologistId, clinicId);
      expect(await identity.registry.isRepresentative(patientId, representativeId)).to.equal(false);
      const second = await supersede(f, representativeKey, byRepresentative);
      expect(await anchorOf(records, second)).to.include({ author: representativeId, organization: 0n });
      const corrected = await supersede(f, cardiologistKey, byCardiologist);
      expect(await anchorOf(records, corrected)).to.include({ author: cardiologistId, organization: hospitalId });
      // She no longer acts for the patient, though: she cannot ask to amend.
      await expect(records.connect(representativeKey).requestAmendment(second, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordUnauthorizedPatientActor")
        .withArgs(patientId, representativeKey.address);
    });

    it("asks no consent: the author corrects her record after the patient revoked and denied everything", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, consent, patientKey, patientId, cardiologistKey, cardiologistId, hospitalId, hospitalKey } = f;
      const first = await anchorRecord(f, cardiologistKey);
      await consent.as(patientKey).revoke(patientId, cardiologistId);
      await consent.as(patientKey).revoke(patientId, hospitalId);
      await consent.as(patientKey).setDeny(patientId, cardiologistId, categorySet(LABS));
      expect((await consent.decide(patientId, cardiologistKey.address, LABS, Purpose.Treatment)).basis).to.equal(
        DecisionBasis.ExplicitDeny,
      );
      const second = randomCommitment();
      await expect(records.connect(cardiologistKey).supersede(first, second, ZeroHash, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, cardiologistId, RECORD_REASON.correction, ZeroHash);
      const third = await supersede(f, hospitalKey, second);
      expect(await historyOf(records, first)).to.deep.equal([first, second, third]);
    });

    it("reads the whole history, first to latest, from any version of a long chain", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, hospitalKey, registrar } = f;
      const chain = [await anchorRecord(f, cardiologistKey)];
      const last = () => chain[chain.length - 1]!;
      // The cardiologist twice (she wrote the previous version), then the hospital twice, then the registrar.
      for (const curator of [cardiologistKey, cardiologistKey, hospitalKey, hospitalKey]) {
        chain.push(await supersede(f, curator, last()));
      }
      const final = randomCommitment();
      await (
        await records.connect(registrar).registrarSupersede(last(), final, ZeroHash, RECORD_REASON.duplicate)
      ).wait();
      chain.push(final);
      // A record anchored alongside is a separate chain.
      const other = await anchorRecord(f, cardiologistKey);
      for (const [index, version] of chain.entries()) {
        expect(await historyOf(records, version), `history from version ${index}`).to.deep.equal(chain);
        expect(await records.latestVersion(version), `latest from version ${index}`).to.equal(final);
        const a = await anchorOf(records, version);
        expect(a.previous, `previous of version ${index}`).to.equal(index === 0 ? ZeroHash : chain[index - 1]);
        expect(a.next, `next of version ${index}`).to.equal(index === chain.length - 1 ? ZeroHash : chain[index + 1]);
        expect(a.status, `status of version ${index}`).to.equal(
          index === chain.length - 1 ? RecordStatus.Current : RecordStatus.Superseded,
        );
      }
      expect(await historyOf(records, other)).to.deep.equal([other]);
    });

    it("refuses other practitioners, other organizations, the patient, a payer and unknown accounts with RecordNotCurator", async function () {
      const f = await loadFixture(recordsFixture);
      const record = await anchorRecord(f, f.cardiologistKey);
      for (const account of [
        f.internistKey,
        f.erDoctorKey,
        f.deviceKey,
        f.clinicKey,
        f.clinicDoctorKey,
        f.patientKey,
        f.representativeKey,
        f.payerKey,
        spare(f),
        f.registrar,
      ]) {
        await expectNotCurator(f, account, record);
      }
      expect(await historyOf(f.records, record)).to.deep.equal([record]);
    });

    it("refuses a suspended author and a suspended organization, and takes them back once reinstated", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, registrar, cardiologistKey, cardiologistId, hospitalKey, hospitalId } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await suspend(f, cardiologistId);
      await expectNotCurator(f, cardiologistKey, record);
      // The organization still curates the record while its author is suspended ...
      await suspend(f, hospitalId);
      await expectNotCurator(f, hospitalKey, record);
      await identity.as(registrar).reinstate(hospitalId, SUSPENSION_REASON);
      const second = await supersede(f, hospitalKey, record);
      await identity.as(registrar).reinstate(cardiologistId, SUSPENSION_REASON);
      // ... and once reinstated, the cardiologist curates the version she wrote but not the hospital's.
      await expectNotCurator(f, cardiologistKey, second);
      expect(await historyOf(f.records, second)).to.deep.equal([record, second]);
    });

    it("refuses an author whose credential has expired", async function () {
      const f = await loadFixture(recordsFixture);
      const record = await anchorRecord(f, f.cardiologistKey);
      await time.increaseTo(f.credentialExpiry);
      await expectNotCurator(f, f.cardiologistKey, record);
      await expectNotCurator(f, f.hospitalKey, record);
    });

    it("refuses to supersede a superseded version with RecordInvalidTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      const before = await anchorOf(records, first);
      const fork = randomCommitment();
      await expect(records.connect(cardiologistKey).supersede(first, fork, ZeroHash, RECORD_REASON.correction))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(first, RecordStatus.Superseded, RecordStatus.Superseded);
      expect(await anchorOf(records, first)).to.deep.equal(before);
      expect(await anchorOf(records, fork)).to.deep.equal(NOTHING);
      expect(await historyOf(records, first)).to.deep.equal([first, second]);
    });

    it("refuses to supersede an entered-in-error version with RecordInvalidTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await (await records.connect(cardiologistKey).markEnteredInError(record, RECORD_REASON.wrongPatient)).wait();
      const next = randomCommitment();
      await expect(records.connect(cardiologistKey).supersede(record, next, ZeroHash, RECORD_REASON.correction))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(record, RecordStatus.EnteredInError, RecordStatus.Superseded);
      await expect(records.connect(f.registrar).registrarSupersede(record, next, ZeroHash, RECORD_REASON.correction))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(record, RecordStatus.EnteredInError, RecordStatus.Superseded);
      expect(await anchorOf(records, next)).to.deep.equal(NOTHING);
      expect(await historyOf(records, record)).to.deep.equal([record]);
    });

    it("refuses an unknown version with RecordUnknown", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, registrar } = f;
      const unknown = randomCommitment();
      const next = randomCommitment();
      await expect(records.connect(cardiologistKey).supersede(unknown, next, ZeroHash, RECORD_REASON.correction))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
      await expect(records.connect(registrar).registrarSupersede(unknown, next, ZeroHash, RECORD_REASON.correction))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
      expect(await anchorOf(records, next)).to.deep.equal(NOTHING);
    });

    it("refuses a zero new commitment and one anchored already (its own, the previous or another record's)", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, registrar } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      const other = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, second);
      await expect(
        records.connect(cardiologistKey).supersede(second, ZeroHash, ZeroHash, RECORD_REASON.correction),
      ).to.be.revertedWithCustomError(records, "RecordInvalidCommitment");
      for (const taken of [first, second, other]) {
        await expect(records.connect(cardiologistKey).supersede(second, taken, ZeroHash, RECORD_REASON.correction))
          .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
          .withArgs(taken);
        await expect(records.connect(registrar).registrarSupersede(second, taken, ZeroHash, RECORD_REASON.correction))
          .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
          .withArgs(taken);
      }
      expect(await anchorOf(records, second)).to.deep.equal(before);
      expect(await historyOf(records, other)).to.deep.equal([other]);
      expect(await historyOf(records, first)).to.deep.equal([first, second]);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Registrar corrections
  // -------------------------------------------------------------------------------------------------------------------

  describe("registrarSupersede", function () {
    it("lets the registrar supersede any record; without a participant id it is named as author NONE", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identityRegistry, registrar, patientId, hospitalId, cardiologistKey, hospitalKey } = f;
      expect((await identityRegistry.accountStanding(registrar.address, 0))[0]).to.equal(0n);
      const first = await anchorRecord(f, cardiologistKey);
      const second = randomCommitment();
      const pointer = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(registrar).registrarSupersede(first, second, pointer, RECORD_REASON.duplicate))
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, 0n, RECORD_REASON.duplicate, pointer);
      expect(await anchorOf(records, second)).to.deep.equal(
        anchored({
          patient: patientId,
          author: 0n,
          organization: hospitalId,
          category: LABS,
          anchoredAt: t,
          previous: first,
        }),
      );
      // The cardiologist did not write the registrar's version; the hospital still curates the record.
      await expectNotCurator(f, cardiologistKey, second);
      const third = await supersede(f, hospitalKey, second);
      expect(await historyOf(records, first)).to.deep.equal([first, second, third]);
    });

    it("lets the registrar correct patient-generated data, which then only the registrar curates", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientKey } = f;
      const first = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const second = randomCommitment();
      await (
        await records.connect(registrar).registrarSupersede(first, second, ZeroHash, RECORD_REASON.correction)
      ).wait();
      expect(await anchorOf(records, second)).to.include({ author: 0n, organization: 0n, previous: first });
      await expectNotCurator(f, patientKey, second);
      const third = randomCommitment();
      await (
        await records.connect(registrar).registrarSupersede(second, third, ZeroHash, RECORD_REASON.correction)
      ).wait();
      expect(await historyOf(records, third)).to.deep.equal([first, second, third]);
    });

    it("refuses everyone without the registrar role with AccessManagedUnauthorized", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, admin, pauser, auditor, cardiologistKey, hospitalKey, patientKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, record);
      const next = randomCommitment();
      for (const caller of [admin, pauser, auditor, cardiologistKey, hospitalKey, patientKey, spare(f)]) {
        await expect(records.connect(caller).registrarSupersede(record, next, ZeroHash, RECORD_REASON.correction))
          .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
          .withArgs(caller.address);
        await expect(records.connect(caller).registrarMarkEnteredInError(record, RECORD_REASON.wrongPatient))
          .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect(await anchorOf(records, record)).to.deep.equal(before);
      expect(await anchorOf(records, next)).to.deep.equal(NOTHING);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Entered in error
  // -------------------------------------------------------------------------------------------------------------------

  describe("markEnteredInError", function () {
    it("lets the author mark her current version entered-in-error with a reason", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, cardiologistId } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, record);
      await expect(records.connect(cardiologistKey).markEnteredInError(record, RECORD_REASON.wrongPatient))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(record, patientId, cardiologistId, RECORD_REASON.wrongPatient);
      expect(await anchorOf(records, record)).to.deep.equal({
        ...before,
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.wrongPatient,
      });
      expect(await historyOf(records, record)).to.deep.equal([record]);
      expect(await records.latestVersion(record)).to.equal(record);
    });

    it("lets the organization mark the latest version of a chain; the history keeps every version", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, hospitalKey, hospitalId } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      await expect(records.connect(hospitalKey).markEnteredInError(second, RECORD_REASON.duplicate))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(second, patientId, hospitalId, RECORD_REASON.duplicate);
      expect(await anchorOf(records, second)).to.include({
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.duplicate,
        previous: first,
        next: ZeroHash,
      });
      expect(await anchorOf(records, first)).to.include({ status: RecordStatus.Superseded, errorReason: 0 });
      expect(await historyOf(records, first)).to.deep.equal([first, second]);
      expect(await records.latestVersion(first)).to.equal(second);
    });

    it("lets the registrar mark any record, named as actor NONE", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientId, patientKey } = f;
      const record = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      await expect(records.connect(registrar).registrarMarkEnteredInError(record, RECORD_REASON.wrongPatient))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(record, patientId, 0n, RECORD_REASON.wrongPatient);
      expect(await anchorOf(records, record)).to.include({
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.wrongPatient,
        author: patientId,
      });
    });

    it("requires a reason code (RecordReasonRequired)", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, record);
      await expect(records.connect(cardiologistKey).markEnteredInError(record, 0)).to.be.revertedWithCustomError(
        records,
        "RecordReasonRequired",
      );
      await expect(records.connect(registrar).registrarMarkEnteredInError(record, 0)).to.be.revertedWithCustomError(
        records,
        "RecordReasonRequired",
      );
      expect(await anchorOf(records, record)).to.deep.equal(before);
    });

    it("refuses a version that is not current with RecordInvalidTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, cardiologistKey } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      await expect(records.connect(cardiologistKey).markEnteredInError(first, RECORD_REASON.duplicate))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(first, RecordStatus.Superseded, RecordStatus.EnteredInError);
      await (await records.connect(cardiologistKey).markEnteredInError(second, RECORD_REASON.duplicate)).wait();
      const before = await anchorOf(records, second);
      await expect(records.connect(cardiologistKey).markEnteredInError(second, RECORD_REASON.wrongPatient))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(second, RecordStatus.EnteredInError, RecordStatus.EnteredInError);
      await expect(records.connect(registrar).registrarMarkEnteredInError(second, RECORD_REASON.wrongPatient))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(second, RecordStatus.EnteredInError, RecordStatus.EnteredInError);
      expect(await anchorOf(records, second)).to.deep.equal(before);
      expect((await anchorOf(records, first)).errorReason).to.equal(0);
    });

    it("refuses an unknown version with RecordUnknown, before the reason check for a curator", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, cardiologistKey } = f;
      const unknown = randomCommitment();
      await expect(records.connect(cardiologistKey).markEnteredInError(unknown, RECORD_REASON.duplicate))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
      await expect(records.connect(cardiologistKey).markEnteredInError(unknown, 0))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
      await expect(records.connect(registrar).registrarMarkEnteredInError(unknown, RECORD_REASON.duplicate))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
      expect(await anchorOf(records, unknown)).to.deep.equal(NOTHING);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Amendments
  // -------------------------------------------------------------------------------------------------------------------

  describe("requestAmendment", function () {
    it("records the patient's request with sequential ids and emits AmendmentRequested", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestCommitment = randomCommitment();
      expect(await records.connect(patientKey).requestAmendment.staticCall(record, requestCommitment)).to.equal(1n);
      const t = await pinNext();
      await expect(records.connect(patientKey).requestAmendment(record, requestCommitment))
        .to.emit(records, "AmendmentRequested")
        .withArgs(1n, record, patientId, patientId, requestCommitment);
      expect(await amendmentOf(records, 1n)).to.deep.equal({
        record,
        patient: patientId,
        status: AmendmentStatus.Pending,
        requestedAt: t,
        answeredAt: 0n,
        denialReason: 0,
        amendedVersion: ZeroHash,
      });
      expect(await records.amendmentCount()).to.equal(1n);
      // A second request on the same record gets the next id; the record itself does not change.
      expect(await requestAmendment(f, patientKey, record)).to.equal(2n);
      expect(await records.amendmentCount()).to.equal(2n);
      expect((await anchorOf(records, record)).status).to.equal(RecordStatus.Current);
    });

    it("records a representative's request, naming her as the actor", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, representativeKey, representativeId, patientId, internistKey } = f;
      const record = await anchorRecord(f, internistKey);
      const requestCommitment = randomCommitment();
      await expect(records.connect(representativeKey).requestAmendment(record, requestCommitment))
        .to.emit(records, "AmendmentRequested")
        .withArgs(1n, record, patientId, representativeId, requestCommitment);
      expect(await amendmentOf(records, 1n)).to.include({ patient: patientId, status: AmendmentStatus.Pending });
    });

    it("refuses anyone who does not act for the patient with RecordUnauthorizedPatientActor", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, identity, patientKey, representativeKey, representativeId } = f;
      const record = await anchorRecord(f, f.cardiologistKey);
      const refuse = async (account: HardhatEthersSigner) => {
        await expect(records.connect(account).requestAmendment(record, randomCommitment()))
          .to.be.revertedWithCustomError(records, "RecordUnauthorizedPatientActor")
          .withArgs(patientId, account.address);
      };
      for (const account of [f.otherPatientKey, f.cardiologistKey, f.hospitalKey, f.registrar, spare(f)]) {
        await refuse(account);
      }
      // A representative whose representation ended, and a suspended patient.
      await identity.as(patientKey).revokeRepresentative(patientId, representativeId);
      await refuse(representativeKey);
      await suspend(f, patientId);
      await refuse(patientKey);
      expect(await records.amendmentCount()).to.equal(0n);
    });

    it("refuses a version that is not current with RecordNotCurrent", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      await expect(records.connect(patientKey).requestAmendment(first, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordNotCurrent")
        .withArgs(first, RecordStatus.Superseded);
      await (await records.connect(cardiologistKey).markEnteredInError(second, RECORD_REASON.duplicate)).wait();
      await expect(records.connect(patientKey).requestAmendment(second, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordNotCurrent")
        .withArgs(second, RecordStatus.EnteredInError);
      expect(await records.amendmentCount()).to.equal(0n);
    });

    it("refuses a commitment never anchored with RecordUnknown", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey } = f;
      const unknown = randomCommitment();
      await expect(records.connect(patientKey).requestAmendment(unknown, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(unknown);
      expect(await records.amendmentCount()).to.equal(0n);
    });

    it("refuses an unknown request id in the view with RecordUnknownAmendment", async function () {
      const { records } = await loadFixture(recordsFixture);
      for (const id of [0n, 1n, 2n ** 64n - 1n]) {
        await expect(records.amendment(id))
          .to.be.revertedWithCustomError(records, "RecordUnknownAmendment")
          .withArgs(id);
      }
    });
  });

  describe("acceptAmendment", function () {
    it("lets the author accept: anchors the amended version (reason 2) and emits RecordSuperseded and AmendmentAccepted", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, cardiologistKey, cardiologistId, hospitalId } = f;
      const record = await anchorRecord(f, cardiologistKey, DataCategory.Conditions);
      const requestId = await requestAmendment(f, patientKey, record);
      const requested = await amendmentOf(records, requestId);
      const amended = randomCommitment();
      const pointer = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(cardiologistKey).acceptAmendment(requestId, amended, pointer))
        .to.emit(records, "RecordSuperseded")
        .withArgs(record, amended, patientId, cardiologistId, await records.AMENDMENT_REASON(), pointer)
        .and.to.emit(records, "AmendmentAccepted")
        .withArgs(requestId, record, amended);
      expect(await amendmentOf(records, requestId)).to.deep.equal({
        ...requested,
        status: AmendmentStatus.Accepted,
        answeredAt: t,
        amendedVersion: amended,
      });
      expect(await anchorOf(records, record)).to.include({ status: RecordStatus.Superseded, next: amended });
      expect(await anchorOf(records, amended)).to.deep.equal(
        anchored({
          patient: patientId,
          author: cardiologistId,
          organization: hospitalId,
          category: DataCategory.Conditions,
          anchoredAt: t,
          previous: record,
        }),
      );
      expect(await historyOf(records, amended)).to.deep.equal([record, amended]);
    });

    it("lets the organization accept a representative's request, naming itself as the new author", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, representativeKey, hospitalKey, hospitalId, patientId, deviceKey } = f;
      const record = await anchorRecord(f, deviceKey);
      const requestId = await requestAmendment(f, representativeKey, record);
      const amended = randomCommitment();
      await expect(records.connect(hospitalKey).acceptAmendment(requestId, amended, ZeroHash))
        .to.emit(records, "RecordSuperseded")
        .withArgs(record, amended, patientId, hospitalId, 2, ZeroHash)
        .and.to.emit(records, "AmendmentAccepted")
        .withArgs(requestId, record, amended);
      expect(await anchorOf(records, amended)).to.include({ author: hospitalId, organization: hospitalId });
    });

    it("lets the patient answer a request on her own data", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, representativeKey } = f;
      const record = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const requestId = await requestAmendment(f, representativeKey, record);
      const amended = randomCommitment();
      await expect(records.connect(patientKey).acceptAmendment(requestId, amended, ZeroHash))
        .to.emit(records, "AmendmentAccepted")
        .withArgs(requestId, record, amended);
      expect(await anchorOf(records, amended)).to.include({ author: patientId, organization: 0n, previous: record });
    });

    it("refuses anyone but the record's curator with RecordNotCurator, the registrar included", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, patientKey, record);
      const before = await amendmentOf(records, requestId);
      const amended = randomCommitment();
      for (const account of [patientKey, f.representativeKey, f.internistKey, f.clinicKey, f.registrar, spare(f)]) {
        await expect(records.connect(account).acceptAmendment(requestId, amended, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordNotCurator")
          .withArgs(record, account.address);
        await expect(records.connect(account).denyAmendment(requestId, DENIAL.accurateAndComplete, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordNotCurator")
          .withArgs(record, account.address);
      }
      expect(await amendmentOf(records, requestId)).to.deep.equal(before);
      expect(await anchorOf(records, amended)).to.deep.equal(NOTHING);
      expect((await anchorOf(records, record)).status).to.equal(RecordStatus.Current);
    });

    it("refuses an unknown request with RecordUnknownAmendment", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, patientKey } = f;
      for (const id of [0n, 1n, 7n]) {
        await expect(records.connect(cardiologistKey).acceptAmendment(id, randomCommitment(), ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordUnknownAmendment")
          .withArgs(id);
        await expect(records.connect(cardiologistKey).denyAmendment(id, DENIAL.notCreatedByUs, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordUnknownAmendment")
          .withArgs(id);
        await expect(records.connect(patientKey).withdrawAmendment(id))
          .to.be.revertedWithCustomError(records, "RecordUnknownAmendment")
          .withArgs(id);
      }
    });

    it("refuses to answer a request twice with RecordInvalidAmendmentTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const accepted = await requestAmendment(f, patientKey, record);
      const amended = randomCommitment();
      await (await records.connect(cardiologistKey).acceptAmendment(accepted, amended, ZeroHash)).wait();
      const before = await amendmentOf(records, accepted);
      await expect(records.connect(cardiologistKey).acceptAmendment(accepted, randomCommitment(), ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(accepted, AmendmentStatus.Accepted, AmendmentStatus.Accepted);
      await expect(records.connect(cardiologistKey).denyAmendment(accepted, DENIAL.accurateAndComplete, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(accepted, AmendmentStatus.Accepted, AmendmentStatus.Denied);
      await expect(records.connect(patientKey).withdrawAmendment(accepted))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(accepted, AmendmentStatus.Accepted, AmendmentStatus.Withdrawn);
      expect(await amendmentOf(records, accepted)).to.deep.equal(before);
      expect(await historyOf(records, record)).to.deep.equal([record, amended]);
    });

    it("cannot accept a request whose record was superseded meanwhile, which can still be denied", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const first = await requestAmendment(f, patientKey, record);
      const second = await requestAmendment(f, patientKey, record);
      const amended = randomCommitment();
      await (await records.connect(cardiologistKey).acceptAmendment(first, amended, ZeroHash)).wait();
      const attempt = randomCommitment();
      await expect(records.connect(cardiologistKey).acceptAmendment(second, attempt, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(record, RecordStatus.Superseded, RecordStatus.Superseded);
      expect(await amendmentOf(records, second)).to.include({ status: AmendmentStatus.Pending, answeredAt: 0n });
      expect(await anchorOf(records, attempt)).to.deep.equal(NOTHING);
      await expect(records.connect(cardiologistKey).denyAmendment(second, DENIAL.accurateAndComplete, ZeroHash))
        .to.emit(records, "AmendmentDenied")
        .withArgs(second, record, DENIAL.accurateAndComplete, ZeroHash);
    });

    it("refuses a zero or taken amended version and leaves the request pending", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const other = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, patientKey, record);
      const before = await amendmentOf(records, requestId);
      await expect(
        records.connect(cardiologistKey).acceptAmendment(requestId, ZeroHash, ZeroHash),
      ).to.be.revertedWithCustomError(records, "RecordInvalidCommitment");
      for (const taken of [record, other]) {
        await expect(records.connect(cardiologistKey).acceptAmendment(requestId, taken, ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
          .withArgs(taken);
      }
      expect(await amendmentOf(records, requestId)).to.deep.equal(before);
      expect((await anchorOf(records, record)).status).to.equal(RecordStatus.Current);
    });

    // A version a registrar wrote on patient-generated data has neither author nor organization: only a registrar
    // can answer a request on it, through the registrar functions.
    it("lets a registrar answer a request nobody else can (registrarAcceptAmendment, registrarDenyAmendment)", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientKey, patientId } = f;
      const first = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const second = randomCommitment();
      await (
        await records.connect(registrar).registrarSupersede(first, second, ZeroHash, RECORD_REASON.correction)
      ).wait();
      const toDeny = await requestAmendment(f, patientKey, second);
      const toAccept = await requestAmendment(f, patientKey, second);
      for (const account of [patientKey, f.representativeKey, f.hospitalKey]) {
        await expect(records.connect(account).acceptAmendment(toAccept, randomCommitment(), ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordNotCurator")
          .withArgs(second, account.address);
        await expect(records.connect(account).registrarAcceptAmendment(toAccept, randomCommitment(), ZeroHash))
          .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
          .withArgs(account.address);
        await expect(records.connect(account).registrarDenyAmendment(toDeny, DENIAL.notCreatedByUs, ZeroHash))
          .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
          .withArgs(account.address);
      }
      await expect(
        records.connect(registrar).registrarDenyAmendment(toDeny, 0, ZeroHash),
      ).to.be.revertedWithCustomError(records, "RecordReasonRequired");
      await expect(records.connect(registrar).registrarDenyAmendment(toDeny, DENIAL.notCreatedByUs, ZeroHash))
        .to.emit(records, "AmendmentDenied")
        .withArgs(toDeny, second, DENIAL.notCreatedByUs, ZeroHash);
      expect((await amendmentOf(records, toDeny)).status).to.equal(AmendmentStatus.Denied);
      const amended = randomCommitment();
      await expect(records.connect(registrar).registrarAcceptAmendment(toAccept, amended, ZeroHash))
        .to.emit(records, "RecordSuperseded")
        .withArgs(second, amended, patientId, 0n, 2, ZeroHash)
        .and.to.emit(records, "AmendmentAccepted")
        .withArgs(toAccept, second, amended);
      expect(await amendmentOf(records, toAccept)).to.include({
        status: AmendmentStatus.Accepted,
        amendedVersion: amended,
      });
      expect(await historyOf(records, amended)).to.deep.equal([first, second, amended]);
      await expect(records.connect(registrar).registrarDenyAmendment(toAccept, DENIAL.notCreatedByUs, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(toAccept, AmendmentStatus.Accepted, AmendmentStatus.Denied);
    });
  });

  describe("denyAmendment", function () {
    it("lets the curator deny with a reason code and a committed written denial", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey, hospitalKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const byAuthor = await requestAmendment(f, patientKey, record);
      const byOrganization = await requestAmendment(f, patientKey, record);
      const response = randomCommitment();
      const requested = await amendmentOf(records, byAuthor);
      const t = await pinNext();
      await expect(records.connect(cardiologistKey).denyAmendment(byAuthor, DENIAL.accurateAndComplete, response))
        .to.emit(records, "AmendmentDenied")
        .withArgs(byAuthor, record, DENIAL.accurateAndComplete, response);
      const expected: AmendmentInfo = {
        ...requested,
        status: AmendmentStatus.Denied,
        answeredAt: t,
        denialReason: DENIAL.accurateAndComplete,
      };
      expect(await amendmentOf(records, byAuthor)).to.deep.equal(expected);
      await expect(records.connect(hospitalKey).denyAmendment(byOrganization, DENIAL.notCreatedByUs, ZeroHash))
        .to.emit(records, "AmendmentDenied")
        .withArgs(byOrganization, record, DENIAL.notCreatedByUs, ZeroHash);
      // The record is untouched.
      expect((await anchorOf(records, record)).status).to.equal(RecordStatus.Current);
      expect(await historyOf(records, record)).to.deep.equal([record]);
    });

    it("requires a reason code (RecordReasonRequired), checked first", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, patientKey, record);
      const before = await amendmentOf(records, requestId);
      await expect(
        records.connect(cardiologistKey).denyAmendment(requestId, 0, ZeroHash),
      ).to.be.revertedWithCustomError(records, "RecordReasonRequired");
      await expect(records.connect(cardiologistKey).denyAmendment(99n, 0, ZeroHash)).to.be.revertedWithCustomError(
        records,
        "RecordReasonRequired",
      );
      expect(await amendmentOf(records, requestId)).to.deep.equal(before);
    });

    it("refuses to deny a denied or withdrawn request with RecordInvalidAmendmentTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const denied = await requestAmendment(f, patientKey, record);
      const withdrawn = await requestAmendment(f, patientKey, record);
      await (await records.connect(cardiologistKey).denyAmendment(denied, DENIAL.notCreatedByUs, ZeroHash)).wait();
      await (await records.connect(patientKey).withdrawAmendment(withdrawn)).wait();
      await expect(records.connect(cardiologistKey).denyAmendment(denied, DENIAL.accurateAndComplete, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(denied, AmendmentStatus.Denied, AmendmentStatus.Denied);
      await expect(records.connect(cardiologistKey).acceptAmendment(denied, randomCommitment(), ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(denied, AmendmentStatus.Denied, AmendmentStatus.Accepted);
      await expect(records.connect(cardiologistKey).denyAmendment(withdrawn, DENIAL.accurateAndComplete, ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(withdrawn, AmendmentStatus.Withdrawn, AmendmentStatus.Denied);
      await expect(records.connect(cardiologistKey).acceptAmendment(withdrawn, randomCommitment(), ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(withdrawn, AmendmentStatus.Withdrawn, AmendmentStatus.Accepted);
      expect((await amendmentOf(records, denied)).denialReason).to.equal(DENIAL.notCreatedByUs);
    });
  });

  describe("withdrawAmendment", function () {
    it("lets the patient or a representative withdraw a pending request; answeredAt stays zero", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, representativeKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const mine = await requestAmendment(f, patientKey, record);
      const theirs = await requestAmendment(f, patientKey, record);
      const requested = await amendmentOf(records, mine);
      await expect(records.connect(patientKey).withdrawAmendment(mine))
        .to.emit(records, "AmendmentWithdrawn")
        .withArgs(mine, record);
      expect(await amendmentOf(records, mine)).to.deep.equal({ ...requested, status: AmendmentStatus.Withdrawn });
      // The representative withdraws the patient's own request: both act for her.
      await expect(records.connect(representativeKey).withdrawAmendment(theirs))
        .to.emit(records, "AmendmentWithdrawn")
        .withArgs(theirs, record);
      expect(await amendmentOf(records, theirs)).to.include({ status: AmendmentStatus.Withdrawn, answeredAt: 0n });
      await expect(records.connect(patientKey).withdrawAmendment(mine))
        .to.be.revertedWithCustomError(records, "RecordInvalidAmendmentTransition")
        .withArgs(mine, AmendmentStatus.Withdrawn, AmendmentStatus.Withdrawn);
    });

    it("refuses anyone who does not act for the patient, the curator included", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, patientKey, record);
      const before = await amendmentOf(records, requestId);
      for (const account of [cardiologistKey, f.hospitalKey, f.otherPatientKey, f.registrar, spare(f)]) {
        await expect(records.connect(account).withdrawAmendment(requestId))
          .to.be.revertedWithCustomError(records, "RecordUnauthorizedPatientActor")
          .withArgs(patientId, account.address);
      }
      expect(await amendmentOf(records, requestId)).to.deep.equal(before);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Pause
  // -------------------------------------------------------------------------------------------------------------------

  describe("while paused", function () {
    it("refuses every version and amendment write with EnforcedPause and changes nothing", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, patientKey, record);
      const anchorBefore = await anchorOf(records, record);
      const amendmentBefore = await amendmentOf(records, requestId);
      await pause(f);
      const next = randomCommitment();
      const writes = {
        supersede: () => records.connect(cardiologistKey).supersede(record, next, ZeroHash, RECORD_REASON.correction),
        registrarSupersede: () =>
          records.connect(registrar).registrarSupersede(record, next, ZeroHash, RECORD_REASON.correction),
        markEnteredInError: () => records.connect(cardiologistKey).markEnteredInError(record, RECORD_REASON.duplicate),
        registrarMarkEnteredInError: () =>
          records.connect(registrar).registrarMarkEnteredInError(record, RECORD_REASON.duplicate),
        requestAmendment: () => records.connect(patientKey).requestAmendment(record, randomCommitment()),
        acceptAmendment: () => records.connect(cardiologistKey).acceptAmendment(requestId, next, ZeroHash),
        denyAmendment: () =>
          records.connect(cardiologistKey).denyAmendment(requestId, DENIAL.accurateAndComplete, ZeroHash),
        withdrawAmendment: () => records.connect(patientKey).withdrawAmendment(requestId),
        registrarAcceptAmendment: () => records.connect(registrar).registrarAcceptAmendment(requestId, next, ZeroHash),
        registrarDenyAmendment: () =>
          records.connect(registrar).registrarDenyAmendment(requestId, DENIAL.accurateAndComplete, ZeroHash),
      };
      for (const [name, write] of Object.entries(writes)) {
        await expect(write(), name).to.be.revertedWithCustomError(records, "EnforcedPause");
      }
      // The role check comes first: a non-registrar is told it is unauthorized, not that the module is paused.
      await expect(
        records.connect(cardiologistKey).registrarSupersede(record, next, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
        .withArgs(cardiologistKey.address);
      expect(await anchorOf(records, record)).to.deep.equal(anchorBefore);
      expect(await anchorOf(records, next)).to.deep.equal(NOTHING);
      expect(await amendmentOf(records, requestId)).to.deep.equal(amendmentBefore);
      expect(await records.amendmentCount()).to.equal(1n);
      // The views still answer.
      expect(await historyOf(records, record)).to.deep.equal([record]);
      expect(await records.latestVersion(record)).to.equal(record);
    });
  });
});
