import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { categorySet, DataCategory, DecisionBasis, Purpose } from "../../sdk";
import { DAY } from "../fixtures/identity";
import { type RecordsFixture, recordsFixture } from "../fixtures/records";
import { scheduleAndExecute } from "../helpers/governance";
import {
  type AmendmentInfo,
  amendmentOf,
  AmendmentStatus,
  anchored,
  anchorOf,
  batchOf,
  historyOf,
  leafHash,
  leafStruct,
  type LeafValue,
  NO_BATCH,
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

/**
 * `curator` supersedes `patient`'s version `previous` with a fresh version (reason: correction); returns the new
 * commitment.
 */
async function supersede(
  f: RecordsFixture,
  curator: HardhatEthersSigner,
  previous: string,
  patient: bigint = f.patientId,
): Promise<string> {
  const commitment = randomCommitment();
  await (
    await f.records.connect(curator).supersede(patient, previous, commitment, ZeroHash, RECORD_REASON.correction)
  ).wait();
  return commitment;
}

/** `actor` asks to amend `patient`'s version `record`; returns the request id. */
async function requestAmendment(
  f: RecordsFixture,
  actor: HardhatEthersSigner,
  record: string,
  patient: bigint = f.patientId,
): Promise<bigint> {
  const id = await f.records.connect(actor).requestAmendment.staticCall(patient, record, randomCommitment());
  await (await f.records.connect(actor).requestAmendment(patient, record, randomCommitment())).wait();
  return id;
}

async function suspend(f: RecordsFixture, id: bigint): Promise<void> {
  await f.identity.as(f.registrar).suspend(id, SUSPENSION_REASON);
}

async function pause(f: RecordsFixture): Promise<void> {
  await (await f.records.connect(f.pauser).pause()).wait();
}

/**
 * `account` is refused as curator of `patient`'s version `commitment` by supersede and markEnteredInError, and
 * nothing changes.
 */
async function expectNotCurator(
  f: RecordsFixture,
  account: HardhatEthersSigner,
  commitment: string,
  patient: bigint = f.patientId,
): Promise<void> {
  const { records } = f;
  const before = await anchorOf(records, patient, commitment);
  const next = randomCommitment();
  await expect(records.connect(account).supersede(patient, commitment, next, ZeroHash, RECORD_REASON.correction))
    .to.be.revertedWithCustomError(records, "RecordNotCurator")
    .withArgs(commitment, account.address);
  await expect(records.connect(account).markEnteredInError(patient, commitment, RECORD_REASON.wrongPatient))
    .to.be.revertedWithCustomError(records, "RecordNotCurator")
    .withArgs(commitment, account.address);
  expect(await anchorOf(records, patient, commitment)).to.deep.equal(before);
  expect(await anchorOf(records, patient, next)).to.deep.equal(NOTHING);
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
      const before = await anchorOf(records, patientId, first);
      const second = randomCommitment();
      const pointer = randomCommitment();
      const t = await pinNext();
      await expect(
        records.connect(cardiologistKey).supersede(patientId, first, second, pointer, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, cardiologistId, RECORD_REASON.correction, pointer);
      expect(await anchorOf(records, patientId, first)).to.deep.equal({
        ...before,
        status: RecordStatus.Superseded,
        next: second,
      });
      expect(await anchorOf(records, patientId, second)).to.deep.equal(
        anchored({
          patient: patientId,
          author: cardiologistId,
          organization: hospitalId,
          category: DataCategory.Imaging,
          anchoredAt: t,
          previous: first,
        }),
      );
      expect(await historyOf(records, patientId, first)).to.deep.equal([first, second]);
      expect(await historyOf(records, patientId, second)).to.deep.equal([first, second]);
      expect(await records.latestVersion(patientId, first)).to.equal(second);
      expect(await records.latestVersion(patientId, second)).to.equal(second);
    });

    it("lets the organization the record was anchored under supersede it and names the organization as author", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, hospitalKey, hospitalId, internistKey } = f;
      const first = await anchorRecord(f, internistKey);
      const second = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(hospitalKey).supersede(patientId, first, second, ZeroHash, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, hospitalId, RECORD_REASON.correction, ZeroHash);
      expect(await anchorOf(records, patientId, second)).to.deep.equal(
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
      expect(await historyOf(records, patientId, third)).to.deep.equal([first, second, third]);
    });

    it("lets the device and its hospital curate the device's record", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, deviceKey, deviceId, hospitalKey, hospitalId } = f;
      const first = await anchorRecord(f, deviceKey);
      const second = await supersede(f, deviceKey, first);
      expect((await anchorOf(records, f.patientId, second)).author).to.equal(deviceId);
      const third = await supersede(f, hospitalKey, second);
      expect(await anchorOf(records, f.patientId, third)).to.include({ author: hospitalId, organization: hospitalId });
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
      await expect(
        records.connect(cardiologistKey).supersede(patientId, first, second, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, cardiologistId, RECORD_REASON.correction, ZeroHash);
      const third = await supersede(f, hospitalKey, second);
      expect(await historyOf(records, patientId, first)).to.deep.equal([first, second, third]);
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
        await records
          .connect(registrar)
          .registrarSupersede(f.patientId, last(), final, ZeroHash, RECORD_REASON.duplicate)
      ).wait();
      chain.push(final);
      // A record anchored alongside is a separate chain.
      const other = await anchorRecord(f, cardiologistKey);
      for (const [index, version] of chain.entries()) {
        expect(await historyOf(records, f.patientId, version), `history from version ${index}`).to.deep.equal(chain);
        expect(await records.latestVersion(f.patientId, version), `latest from version ${index}`).to.equal(final);
        const a = await anchorOf(records, f.patientId, version);
        expect(a.previous, `previous of version ${index}`).to.equal(index === 0 ? ZeroHash : chain[index - 1]);
        expect(a.next, `next of version ${index}`).to.equal(index === chain.length - 1 ? ZeroHash : chain[index + 1]);
        expect(a.status, `status of version ${index}`).to.equal(
          index === chain.length - 1 ? RecordStatus.Current : RecordStatus.Superseded,
        );
      }
      expect(await historyOf(records, f.patientId, other)).to.deep.equal([other]);
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
      expect(await historyOf(f.records, f.patientId, record)).to.deep.equal([record]);
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
      expect(await historyOf(f.records, f.patientId, second)).to.deep.equal([record, second]);
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
      const before = await anchorOf(records, f.patientId, first);
      const fork = randomCommitment();
      await expect(
        records.connect(cardiologistKey).supersede(f.patientId, first, fork, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(first, RecordStatus.Superseded, RecordStatus.Superseded);
      expect(await anchorOf(records, f.patientId, first)).to.deep.equal(before);
      expect(await anchorOf(records, f.patientId, fork)).to.deep.equal(NOTHING);
      expect(await historyOf(records, f.patientId, first)).to.deep.equal([first, second]);
    });

    it("refuses to supersede an entered-in-error version with RecordInvalidTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await (
        await records.connect(cardiologistKey).markEnteredInError(f.patientId, record, RECORD_REASON.wrongPatient)
      ).wait();
      const next = randomCommitment();
      await expect(
        records.connect(cardiologistKey).supersede(f.patientId, record, next, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(record, RecordStatus.EnteredInError, RecordStatus.Superseded);
      await expect(
        records.connect(f.registrar).registrarSupersede(f.patientId, record, next, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(record, RecordStatus.EnteredInError, RecordStatus.Superseded);
      expect(await anchorOf(records, f.patientId, next)).to.deep.equal(NOTHING);
      expect(await historyOf(records, f.patientId, record)).to.deep.equal([record]);
    });

    it("refuses an unknown version with RecordUnknown", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, registrar } = f;
      const unknown = randomCommitment();
      const next = randomCommitment();
      await expect(
        records.connect(cardiologistKey).supersede(f.patientId, unknown, next, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
      await expect(
        records.connect(registrar).registrarSupersede(f.patientId, unknown, next, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
      expect(await anchorOf(records, f.patientId, next)).to.deep.equal(NOTHING);
    });

    it("refuses a zero new commitment and one anchored already (its own, the previous or another record's)", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, cardiologistKey, registrar } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      const other = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, f.patientId, second);
      await expect(
        records.connect(cardiologistKey).supersede(f.patientId, second, ZeroHash, ZeroHash, RECORD_REASON.correction),
      ).to.be.revertedWithCustomError(records, "RecordInvalidCommitment");
      for (const taken of [first, second, other]) {
        await expect(
          records.connect(cardiologistKey).supersede(f.patientId, second, taken, ZeroHash, RECORD_REASON.correction),
        )
          .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
          .withArgs(f.patientId, taken);
        await expect(
          records.connect(registrar).registrarSupersede(f.patientId, second, taken, ZeroHash, RECORD_REASON.correction),
        )
          .to.be.revertedWithCustomError(records, "RecordAlreadyAnchored")
          .withArgs(f.patientId, taken);
      }
      expect(await anchorOf(records, f.patientId, second)).to.deep.equal(before);
      expect(await historyOf(records, f.patientId, other)).to.deep.equal([other]);
      expect(await historyOf(records, f.patientId, first)).to.deep.equal([first, second]);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Versions live in their patient's namespace
  // -------------------------------------------------------------------------------------------------------------------

  describe("versions per patient", function () {
    it("supersedes and enters in error one patient's version without touching another patient's under the same commitment", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, otherPatientId, otherPatientKey, cardiologistKey } = f;
      const shared = await anchorRecord(f, cardiologistKey);
      await (
        await records.connect(otherPatientKey).anchor(otherPatientId, shared, DataCategory.VitalSigns, ZeroHash)
      ).wait();
      const othersBefore = await anchorOf(records, otherPatientId, shared);
      const second = await supersede(f, cardiologistKey, shared);
      expect(await anchorOf(records, patientId, shared)).to.include({ status: RecordStatus.Superseded, next: second });
      expect(await anchorOf(records, otherPatientId, shared)).to.deep.equal(othersBefore);
      expect(await historyOf(records, patientId, shared)).to.deep.equal([shared, second]);
      expect(await historyOf(records, otherPatientId, shared)).to.deep.equal([shared]);
      expect(await records.latestVersion(otherPatientId, shared)).to.equal(shared);
      // The other patient's version moves on its own; the first patient's chain is unchanged.
      await expect(records.connect(otherPatientKey).markEnteredInError(otherPatientId, shared, RECORD_REASON.duplicate))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(shared, otherPatientId, otherPatientId, RECORD_REASON.duplicate);
      expect(await anchorOf(records, otherPatientId, shared)).to.deep.equal({
        ...othersBefore,
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.duplicate,
      });
      expect(await anchorOf(records, patientId, shared)).to.include({
        status: RecordStatus.Superseded,
        errorReason: 0,
      });
      expect(await anchorOf(records, patientId, second)).to.include({ status: RecordStatus.Current });
    });

    it("takes as a new version a commitment another patient uses, and links it only in the patient's namespace", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, otherPatientId, otherPatientKey, cardiologistKey, cardiologistId } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const taken = await anchorRecord(f, otherPatientKey, DataCategory.VitalSigns, otherPatientId);
      const othersBefore = await anchorOf(records, otherPatientId, taken);
      await expect(
        records.connect(cardiologistKey).supersede(patientId, first, taken, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, taken, patientId, cardiologistId, RECORD_REASON.correction, ZeroHash);
      expect(await anchorOf(records, patientId, taken)).to.include({
        previous: first,
        patient: patientId,
        category: LABS,
      });
      expect(await anchorOf(records, otherPatientId, taken)).to.deep.equal(othersBefore);
      expect(await historyOf(records, patientId, taken)).to.deep.equal([first, taken]);
      expect(await historyOf(records, otherPatientId, taken)).to.deep.equal([taken]);
    });

    it("refuses a commitment anchored only for another patient with RecordUnknown naming the patient asked", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientId, otherPatientId, otherPatientKey, cardiologistKey, hospitalKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, patientId, record);
      const next = randomCommitment();
      const unknown = (write: Promise<unknown>) =>
        expect(write).to.be.revertedWithCustomError(records, "RecordUnknown").withArgs(otherPatientId, record);
      await unknown(records.connect(cardiologistKey).supersede(otherPatientId, record, next, ZeroHash, 1));
      await unknown(records.connect(hospitalKey).markEnteredInError(otherPatientId, record, 1));
      await unknown(records.connect(registrar).registrarSupersede(otherPatientId, record, next, ZeroHash, 1));
      await unknown(records.connect(registrar).registrarMarkEnteredInError(otherPatientId, record, 1));
      await unknown(records.connect(otherPatientKey).requestAmendment(otherPatientId, record, randomCommitment()));
      await unknown(records.connect(cardiologistKey).recordAccess(otherPatientId, record, Purpose.Treatment));
      await unknown(records.history(otherPatientId, record));
      await unknown(records.latestVersion(otherPatientId, record));
      expect(await anchorOf(records, otherPatientId, record)).to.deep.equal(NOTHING);
      expect(await anchorOf(records, patientId, record)).to.deep.equal(before);
      expect(await anchorOf(records, otherPatientId, next)).to.deep.equal(NOTHING);
      expect(await records.amendmentCount()).to.equal(0n);
    });

    it("refuses another patient's request on the patient's record: he acts for himself only", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, otherPatientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await expect(records.connect(otherPatientKey).requestAmendment(patientId, record, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordUnauthorizedPatientActor")
        .withArgs(patientId, otherPatientKey.address);
      expect(await records.amendmentCount()).to.equal(0n);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Who curates: the organization and its still-affiliated author; the patient's side for her own data
  // -------------------------------------------------------------------------------------------------------------------

  describe("curators of patient-generated data", function () {
    it("lets the patient supersede her own data, which stays without an organization; the hospital does not curate it", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, hospitalKey } = f;
      const first = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const second = randomCommitment();
      const t = await pinNext();
      await expect(records.connect(patientKey).supersede(patientId, first, second, ZeroHash, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, patientId, RECORD_REASON.correction, ZeroHash);
      expect(await anchorOf(records, patientId, second)).to.deep.equal(
        anchored({
          patient: patientId,
          author: patientId,
          organization: 0n,
          category: DataCategory.VitalSigns,
          anchoredAt: t,
          previous: first,
        }),
      );
      for (const account of [hospitalKey, f.cardiologistKey, f.otherPatientKey, f.payerKey, spare(f)]) {
        await expectNotCurator(f, account, second);
      }
    });

    it("lets a current representative curate the patient's own data, whoever anchored it", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, representativeKey, representativeId } = f;
      const first = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const second = randomCommitment();
      await expect(
        records.connect(representativeKey).supersede(patientId, first, second, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, representativeId, RECORD_REASON.correction, ZeroHash);
      expect(await anchorOf(records, patientId, second)).to.include({ author: representativeId, organization: 0n });
      await expect(records.connect(representativeKey).markEnteredInError(patientId, second, RECORD_REASON.duplicate))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(second, patientId, representativeId, RECORD_REASON.duplicate);
      expect(await historyOf(records, patientId, first)).to.deep.equal([first, second]);
    });

    it("lets the patient curate what her representative anchored, and the representative too while she represents her", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey, patientId, representativeKey, representativeId } = f;
      const first = await anchorRecord(f, representativeKey, DataCategory.VitalSigns);
      expect(await anchorOf(records, patientId, first)).to.include({ author: representativeId, organization: 0n });
      const second = await supersede(f, representativeKey, first);
      const third = randomCommitment();
      await expect(records.connect(patientKey).supersede(patientId, second, third, ZeroHash, RECORD_REASON.correction))
        .to.emit(records, "RecordSuperseded")
        .withArgs(second, third, patientId, patientId, RECORD_REASON.correction, ZeroHash);
      expect(await historyOf(records, patientId, third)).to.deep.equal([first, second, third]);
    });

    it("refuses a revoked representative on the record it anchored (RecordNotCurator); the patient still curates it", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, patientKey, patientId, representativeKey, representativeId } = f;
      const record = await anchorRecord(f, representativeKey, DataCategory.VitalSigns);
      const requestId = await requestAmendment(f, patientKey, record);
      await identity.as(patientKey).revokeRepresentative(patientId, representativeId);
      expect(await identity.registry.isRepresentative(patientId, representativeId)).to.equal(false);
      await expectNotCurator(f, representativeKey, record);
      for (const write of [
        () => records.connect(representativeKey).acceptAmendment(requestId, randomCommitment(), ZeroHash),
        () => records.connect(representativeKey).denyAmendment(requestId, DENIAL.accurateAndComplete, ZeroHash),
      ]) {
        await expect(write())
          .to.be.revertedWithCustomError(records, "RecordNotCurator")
          .withArgs(record, representativeKey.address);
      }
      // She no longer acts for the patient either: she cannot ask to amend.
      await expect(records.connect(representativeKey).requestAmendment(patientId, record, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordUnauthorizedPatientActor")
        .withArgs(patientId, representativeKey.address);
      // The patient answers her own request on it.
      const amended = randomCommitment();
      await expect(records.connect(patientKey).acceptAmendment(requestId, amended, ZeroHash))
        .to.emit(records, "AmendmentAccepted")
        .withArgs(requestId, record, amended);
      expect(await anchorOf(records, patientId, amended)).to.include({ author: patientId, previous: record });
    });

    it("refuses a representative who resigned, or whose representation expired", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, patientKey, patientId, representativeKey, representativeId, clinicDoctorKey, clinicDoctorId } =
        f;
      const until = BigInt(await time.latest()) + BigInt(DAY);
      await identity.as(patientKey).appointRepresentative(patientId, clinicDoctorId, until);
      const byRepresentative = await anchorRecord(f, representativeKey, DataCategory.VitalSigns);
      const byClinicDoctor = await anchorRecord(f, clinicDoctorKey, DataCategory.VitalSigns);
      expect(await anchorOf(f.records, patientId, byClinicDoctor)).to.include({
        author: clinicDoctorId,
        organization: 0n,
      });
      await identity.as(representativeKey).resignRepresentative(patientId, representativeId);
      await expectNotCurator(f, representativeKey, byRepresentative);
      // The clinic doctor curates the patient's data (both records) until her representation lapses ...
      const next = await supersede(f, clinicDoctorKey, byRepresentative);
      await time.increaseTo(until);
      // ... and not a second longer.
      await expectNotCurator(f, clinicDoctorKey, next);
      await expectNotCurator(f, clinicDoctorKey, byClinicDoctor);
      await supersede(f, patientKey, next);
    });

    it("lets a newly appointed representative curate data anchored before her appointment", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, patientKey, patientId, otherPatientKey, otherPatientId } = f;
      const record = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      await expectNotCurator(f, otherPatientKey, record);
      await identity
        .as(patientKey)
        .appointRepresentative(patientId, otherPatientId, BigInt(await time.latest()) + BigInt(DAY));
      const next = await supersede(f, otherPatientKey, record);
      expect(await anchorOf(f.records, patientId, next)).to.include({ author: otherPatientId, organization: 0n });
    });

    it("refuses the patient and her representative while the patient is suspended; a registrar still corrects", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, registrar, patientKey, patientId, representativeKey } = f;
      const record = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      await suspend(f, patientId);
      // A suspended patient has no representatives.
      expect(await identity.registry.isRepresentative(patientId, f.representativeId)).to.equal(false);
      await expectNotCurator(f, patientKey, record);
      await expectNotCurator(f, representativeKey, record);
      await expect(
        records.connect(registrar).registrarMarkEnteredInError(patientId, record, RECORD_REASON.wrongPatient),
      )
        .to.emit(records, "RecordEnteredInError")
        .withArgs(record, patientId, 0n, RECORD_REASON.wrongPatient);
      await identity.as(registrar).reinstate(patientId, SUSPENSION_REASON);
      await expect(records.connect(patientKey).supersede(patientId, record, randomCommitment(), ZeroHash, 1))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(record, RecordStatus.EnteredInError, RecordStatus.Superseded);
    });

    it("keeps a practitioner-representative's record the patient's: her organization does not curate it", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, patientKey, patientId, clinicDoctorKey, clinicDoctorId, clinicKey } = f;
      await identity
        .as(patientKey)
        .appointRepresentative(patientId, clinicDoctorId, BigInt(await time.latest()) + BigInt(DAY));
      const record = await anchorRecord(f, clinicDoctorKey, DataCategory.VitalSigns);
      expect(await anchorOf(f.records, patientId, record)).to.include({ author: clinicDoctorId, organization: 0n });
      await expectNotCurator(f, clinicKey, record);
      await identity.as(patientKey).revokeRepresentative(patientId, clinicDoctorId);
      // No longer her representative, the clinic doctor does not curate it either, although she wrote it.
      await expectNotCurator(f, clinicDoctorKey, record);
      await supersede(f, patientKey, record);
    });
  });

  describe("curators of an organization's record", function () {
    it("refuses an author her organization released (releaseAffiliate); the organization still curates", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, patientId, hospitalKey, hospitalId, cardiologistKey, cardiologistId } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, f.patientKey, record);
      await identity.as(hospitalKey).releaseAffiliate(cardiologistId);
      await expectNotCurator(f, cardiologistKey, record);
      await expect(records.connect(cardiologistKey).acceptAmendment(requestId, randomCommitment(), ZeroHash))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(record, cardiologistKey.address);
      const next = randomCommitment();
      await expect(records.connect(hospitalKey).acceptAmendment(requestId, next, ZeroHash))
        .to.emit(records, "RecordSuperseded")
        .withArgs(record, next, patientId, hospitalId, RECORD_REASON.amendment, ZeroHash);
      expect(await anchorOf(records, patientId, next)).to.include({ author: hospitalId, organization: hospitalId });
    });

    it("refuses an author who moved to another organization; neither she nor her new organization curates the old record", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, identity, registrar, patientId, hospitalKey, hospitalId, clinicKey, clinicId } = f;
      const { cardiologistKey, cardiologistId } = f;
      const record = await anchorRecord(f, cardiologistKey);
      // A registrar's offer alone moves nobody: she still curates while the clinic has not accepted.
      await identity.as(registrar).setAffiliation(cardiologistId, clinicId);
      const second = await supersede(f, cardiologistKey, record);
      await identity.as(clinicKey).acceptAffiliate(cardiologistId);
      expect((await identity.registry.accountStanding(cardiologistKey.address, 0))[2]).to.equal(clinicId);
      await expectNotCurator(f, cardiologistKey, second);
      await expectNotCurator(f, clinicKey, second);
      const third = await supersede(f, hospitalKey, second);
      expect(await anchorOf(records, patientId, third)).to.include({ author: hospitalId, organization: hospitalId });
      expect(await historyOf(records, patientId, record)).to.deep.equal([record, second, third]);
    });

    it("takes an author back as curator once her organization accepts her again", async function () {
      const f = await loadFixture(recordsFixture);
      const { identity, registrar, hospitalKey, hospitalId, cardiologistKey, cardiologistId } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await identity.as(hospitalKey).releaseAffiliate(cardiologistId);
      await expectNotCurator(f, cardiologistKey, record);
      await identity.as(registrar).setAffiliation(cardiologistId, hospitalId);
      await identity.as(hospitalKey).acceptAffiliate(cardiologistId);
      const next = await supersede(f, cardiologistKey, record);
      expect(await anchorOf(f.records, f.patientId, next)).to.include({ author: cardiologistId });
    });

    it("refuses a colleague of the author in the same organization: she curates only the version she wrote", async function () {
      const f = await loadFixture(recordsFixture);
      const { internistKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await expectNotCurator(f, internistKey, record);
      const next = await supersede(f, cardiologistKey, record);
      await expectNotCurator(f, internistKey, next);
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
      await expect(
        records.connect(registrar).registrarSupersede(patientId, first, second, pointer, RECORD_REASON.duplicate),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, 0n, RECORD_REASON.duplicate, pointer);
      expect(await anchorOf(records, patientId, second)).to.deep.equal(
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
      expect(await historyOf(records, patientId, first)).to.deep.equal([first, second, third]);
    });

    it("lets the registrar correct patient-generated data, which stays the patient's to curate", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientKey, patientId, representativeKey, hospitalKey } = f;
      const first = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const second = randomCommitment();
      await expect(
        records.connect(registrar).registrarSupersede(patientId, first, second, ZeroHash, RECORD_REASON.correction),
      )
        .to.emit(records, "RecordSuperseded")
        .withArgs(first, second, patientId, 0n, RECORD_REASON.correction, ZeroHash);
      expect(await anchorOf(records, patientId, second)).to.include({ author: 0n, organization: 0n, previous: first });
      // The registrar's version has no organization: the patient and her representative curate it, nobody else.
      await expectNotCurator(f, hospitalKey, second);
      const third = await supersede(f, representativeKey, second);
      const fourth = await supersede(f, patientKey, third);
      expect(await historyOf(records, patientId, fourth)).to.deep.equal([first, second, third, fourth]);
    });

    it("refuses everyone without the registrar role with AccessManagedUnauthorized", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, admin, pauser, auditor, cardiologistKey, hospitalKey, patientKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, f.patientId, record);
      const next = randomCommitment();
      for (const caller of [admin, pauser, auditor, cardiologistKey, hospitalKey, patientKey, spare(f)]) {
        await expect(
          records.connect(caller).registrarSupersede(f.patientId, record, next, ZeroHash, RECORD_REASON.correction),
        )
          .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
          .withArgs(caller.address);
        await expect(
          records.connect(caller).registrarMarkEnteredInError(f.patientId, record, RECORD_REASON.wrongPatient),
        )
          .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect(await anchorOf(records, f.patientId, record)).to.deep.equal(before);
      expect(await anchorOf(records, f.patientId, next)).to.deep.equal(NOTHING);
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
      const before = await anchorOf(records, patientId, record);
      await expect(records.connect(cardiologistKey).markEnteredInError(patientId, record, RECORD_REASON.wrongPatient))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(record, patientId, cardiologistId, RECORD_REASON.wrongPatient);
      expect(await anchorOf(records, patientId, record)).to.deep.equal({
        ...before,
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.wrongPatient,
      });
      expect(await historyOf(records, patientId, record)).to.deep.equal([record]);
      expect(await records.latestVersion(patientId, record)).to.equal(record);
    });

    it("lets the organization mark the latest version of a chain; the history keeps every version", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, hospitalKey, hospitalId } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      await expect(records.connect(hospitalKey).markEnteredInError(patientId, second, RECORD_REASON.duplicate))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(second, patientId, hospitalId, RECORD_REASON.duplicate);
      expect(await anchorOf(records, patientId, second)).to.include({
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.duplicate,
        previous: first,
        next: ZeroHash,
      });
      expect(await anchorOf(records, patientId, first)).to.include({
        status: RecordStatus.Superseded,
        errorReason: 0,
      });
      expect(await historyOf(records, patientId, first)).to.deep.equal([first, second]);
      expect(await records.latestVersion(patientId, first)).to.equal(second);
    });

    it("lets the registrar mark any record, named as actor NONE", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientId, patientKey } = f;
      const record = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      await expect(
        records.connect(registrar).registrarMarkEnteredInError(patientId, record, RECORD_REASON.wrongPatient),
      )
        .to.emit(records, "RecordEnteredInError")
        .withArgs(record, patientId, 0n, RECORD_REASON.wrongPatient);
      expect(await anchorOf(records, patientId, record)).to.include({
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.wrongPatient,
        author: patientId,
      });
    });

    it("requires a reason code (RecordReasonRequired)", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, f.patientId, record);
      await expect(
        records.connect(cardiologistKey).markEnteredInError(f.patientId, record, 0),
      ).to.be.revertedWithCustomError(records, "RecordReasonRequired");
      await expect(
        records.connect(registrar).registrarMarkEnteredInError(f.patientId, record, 0),
      ).to.be.revertedWithCustomError(records, "RecordReasonRequired");
      expect(await anchorOf(records, f.patientId, record)).to.deep.equal(before);
    });

    it("refuses a version that is not current with RecordInvalidTransition", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, cardiologistKey } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = await supersede(f, cardiologistKey, first);
      await expect(records.connect(cardiologistKey).markEnteredInError(f.patientId, first, RECORD_REASON.duplicate))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(first, RecordStatus.Superseded, RecordStatus.EnteredInError);
      await (
        await records.connect(cardiologistKey).markEnteredInError(f.patientId, second, RECORD_REASON.duplicate)
      ).wait();
      const before = await anchorOf(records, f.patientId, second);
      await expect(records.connect(cardiologistKey).markEnteredInError(f.patientId, second, RECORD_REASON.wrongPatient))
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(second, RecordStatus.EnteredInError, RecordStatus.EnteredInError);
      await expect(
        records.connect(registrar).registrarMarkEnteredInError(f.patientId, second, RECORD_REASON.wrongPatient),
      )
        .to.be.revertedWithCustomError(records, "RecordInvalidTransition")
        .withArgs(second, RecordStatus.EnteredInError, RecordStatus.EnteredInError);
      expect(await anchorOf(records, f.patientId, second)).to.deep.equal(before);
      expect((await anchorOf(records, f.patientId, first)).errorReason).to.equal(0);
    });

    it("refuses an unknown version with RecordUnknown, before the reason check for a curator", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, cardiologistKey } = f;
      const unknown = randomCommitment();
      await expect(records.connect(cardiologistKey).markEnteredInError(f.patientId, unknown, RECORD_REASON.duplicate))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
      await expect(records.connect(cardiologistKey).markEnteredInError(f.patientId, unknown, 0))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
      await expect(
        records.connect(registrar).registrarMarkEnteredInError(f.patientId, unknown, RECORD_REASON.duplicate),
      )
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
      expect(await anchorOf(records, f.patientId, unknown)).to.deep.equal(NOTHING);
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
      expect(
        await records.connect(patientKey).requestAmendment.staticCall(patientId, record, requestCommitment),
      ).to.equal(1n);
      const t = await pinNext();
      await expect(records.connect(patientKey).requestAmendment(patientId, record, requestCommitment))
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
      expect((await anchorOf(records, patientId, record)).status).to.equal(RecordStatus.Current);
    });

    it("records a representative's request, naming her as the actor", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, representativeKey, representativeId, patientId, internistKey } = f;
      const record = await anchorRecord(f, internistKey);
      const requestCommitment = randomCommitment();
      await expect(records.connect(representativeKey).requestAmendment(patientId, record, requestCommitment))
        .to.emit(records, "AmendmentRequested")
        .withArgs(1n, record, patientId, representativeId, requestCommitment);
      expect(await amendmentOf(records, 1n)).to.include({ patient: patientId, status: AmendmentStatus.Pending });
    });

    it("refuses anyone who does not act for the patient with RecordUnauthorizedPatientActor", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, identity, patientKey, representativeKey, representativeId } = f;
      const record = await anchorRecord(f, f.cardiologistKey);
      const refuse = async (account: HardhatEthersSigner) => {
        await expect(records.connect(account).requestAmendment(patientId, record, randomCommitment()))
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
      await expect(records.connect(patientKey).requestAmendment(f.patientId, first, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordNotCurrent")
        .withArgs(first, RecordStatus.Superseded);
      await (
        await records.connect(cardiologistKey).markEnteredInError(f.patientId, second, RECORD_REASON.duplicate)
      ).wait();
      await expect(records.connect(patientKey).requestAmendment(f.patientId, second, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordNotCurrent")
        .withArgs(second, RecordStatus.EnteredInError);
      expect(await records.amendmentCount()).to.equal(0n);
    });

    it("refuses a commitment never anchored with RecordUnknown", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientKey } = f;
      const unknown = randomCommitment();
      await expect(records.connect(patientKey).requestAmendment(f.patientId, unknown, randomCommitment()))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(f.patientId, unknown);
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
      expect(await anchorOf(records, patientId, record)).to.include({
        status: RecordStatus.Superseded,
        next: amended,
      });
      expect(await anchorOf(records, patientId, amended)).to.deep.equal(
        anchored({
          patient: patientId,
          author: cardiologistId,
          organization: hospitalId,
          category: DataCategory.Conditions,
          anchoredAt: t,
          previous: record,
        }),
      );
      expect(await historyOf(records, patientId, amended)).to.deep.equal([record, amended]);
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
      expect(await anchorOf(records, patientId, amended)).to.include({
        author: hospitalId,
        organization: hospitalId,
      });
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
      expect(await anchorOf(records, patientId, amended)).to.include({
        author: patientId,
        organization: 0n,
        previous: record,
      });
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
      expect(await anchorOf(records, f.patientId, amended)).to.deep.equal(NOTHING);
      expect((await anchorOf(records, f.patientId, record)).status).to.equal(RecordStatus.Current);
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
      expect(await historyOf(records, f.patientId, record)).to.deep.equal([record, amended]);
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
      expect(await anchorOf(records, f.patientId, attempt)).to.deep.equal(NOTHING);
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
          .withArgs(f.patientId, taken);
      }
      expect(await amendmentOf(records, requestId)).to.deep.equal(before);
      expect((await anchorOf(records, f.patientId, record)).status).to.equal(RecordStatus.Current);
    });

    // A version a registrar wrote has no author; while the record's organization is suspended, only a registrar can
    // answer a request on it, through the registrar functions.
    it("lets a registrar answer a request nobody else can (registrarAcceptAmendment, registrarDenyAmendment)", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientKey, patientId, hospitalId, cardiologistKey } = f;
      const first = await anchorRecord(f, cardiologistKey);
      const second = randomCommitment();
      await (
        await records
          .connect(registrar)
          .registrarSupersede(patientId, first, second, ZeroHash, RECORD_REASON.correction)
      ).wait();
      await suspend(f, hospitalId);
      const toDeny = await requestAmendment(f, patientKey, second);
      const toAccept = await requestAmendment(f, patientKey, second);
      for (const account of [patientKey, f.representativeKey, f.hospitalKey, cardiologistKey]) {
        await expect(records.connect(account).acceptAmendment(toAccept, randomCommitment(), ZeroHash))
          .to.be.revertedWithCustomError(records, "RecordNotCurator")
          .withArgs(second, account.address);
        await expect(records.connect(account).denyAmendment(toDeny, DENIAL.notCreatedByUs, ZeroHash))
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
      expect(await historyOf(records, patientId, amended)).to.deep.equal([first, second, amended]);
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
      expect((await anchorOf(records, f.patientId, record)).status).to.equal(RecordStatus.Current);
      expect(await historyOf(records, f.patientId, record)).to.deep.equal([record]);
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
    it("refuses every write but entered-in-error, withdrawal and the access trail with EnforcedPause, and changes nothing", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientId, patientKey, cardiologistKey, hospitalKey, hospitalId } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const requestId = await requestAmendment(f, patientKey, record);
      // A one-record batch, to try adopting its leaf.
      const leaf: LeafValue = [randomCommitment(), patientId, LABS, hospitalId];
      await (await records.connect(hospitalKey).anchorBatch(leafHash(leaf), 1, categorySet(LABS), ZeroHash)).wait();
      const anchorBefore = await anchorOf(records, patientId, record);
      const amendmentBefore = await amendmentOf(records, requestId);
      await pause(f);
      const next = randomCommitment();
      const root = randomCommitment();
      const writes = {
        anchor: () => records.connect(cardiologistKey).anchor(patientId, next, LABS, ZeroHash),
        supersede: () =>
          records.connect(cardiologistKey).supersede(patientId, record, next, ZeroHash, RECORD_REASON.correction),
        registrarSupersede: () =>
          records.connect(registrar).registrarSupersede(patientId, record, next, ZeroHash, RECORD_REASON.correction),
        anchorBatch: () => records.connect(hospitalKey).anchorBatch(root, 1, categorySet(LABS), ZeroHash),
        adopt: () => records.connect(hospitalKey).adopt(hospitalId, leafHash(leaf), leafStruct(leaf), []),
        requestAmendment: () => records.connect(patientKey).requestAmendment(patientId, record, randomCommitment()),
        acceptAmendment: () => records.connect(cardiologistKey).acceptAmendment(requestId, next, ZeroHash),
        denyAmendment: () =>
          records.connect(cardiologistKey).denyAmendment(requestId, DENIAL.accurateAndComplete, ZeroHash),
        registrarAcceptAmendment: () => records.connect(registrar).registrarAcceptAmendment(requestId, next, ZeroHash),
        registrarDenyAmendment: () =>
          records.connect(registrar).registrarDenyAmendment(requestId, DENIAL.accurateAndComplete, ZeroHash),
      };
      for (const [name, write] of Object.entries(writes)) {
        await expect(write(), name).to.be.revertedWithCustomError(records, "EnforcedPause");
      }
      // The role check comes first: a non-registrar is told it is unauthorized, not that the module is paused.
      await expect(
        records
          .connect(cardiologistKey)
          .registrarSupersede(patientId, record, next, ZeroHash, RECORD_REASON.correction),
      )
        .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
        .withArgs(cardiologistKey.address);
      expect(await anchorOf(records, patientId, record)).to.deep.equal(anchorBefore);
      expect(await anchorOf(records, patientId, next)).to.deep.equal(NOTHING);
      expect(await anchorOf(records, patientId, leaf[0])).to.deep.equal(NOTHING);
      expect(await batchOf(records, hospitalId, root)).to.deep.equal(NO_BATCH);
      expect(await amendmentOf(records, requestId)).to.deep.equal(amendmentBefore);
      expect(await records.amendmentCount()).to.equal(1n);
      // The views still answer.
      expect(await historyOf(records, patientId, record)).to.deep.equal([record]);
      expect(await records.latestVersion(patientId, record)).to.equal(record);
      expect(await records.verifyInclusion(hospitalId, leafHash(leaf), leafStruct(leaf), [])).to.equal(true);
    });

    it("lets a curator mark a version entered-in-error while paused: a record on the wrong patient comes out at once", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, cardiologistKey, cardiologistId, internistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const before = await anchorOf(records, patientId, record);
      await pause(f);
      // Still only a curator, still with a reason.
      await expect(records.connect(internistKey).markEnteredInError(patientId, record, RECORD_REASON.wrongPatient))
        .to.be.revertedWithCustomError(records, "RecordNotCurator")
        .withArgs(record, internistKey.address);
      await expect(
        records.connect(cardiologistKey).markEnteredInError(patientId, record, 0),
      ).to.be.revertedWithCustomError(records, "RecordReasonRequired");
      await expect(records.connect(cardiologistKey).markEnteredInError(patientId, record, RECORD_REASON.wrongPatient))
        .to.emit(records, "RecordEnteredInError")
        .withArgs(record, patientId, cardiologistId, RECORD_REASON.wrongPatient);
      expect(await anchorOf(records, patientId, record)).to.deep.equal({
        ...before,
        status: RecordStatus.EnteredInError,
        errorReason: RECORD_REASON.wrongPatient,
      });
      expect(await records.paused()).to.equal(true);
    });

    it("lets a registrar mark any version entered-in-error while paused, the patient's own data included", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, registrar, patientId, patientKey, cardiologistKey } = f;
      const byPatient = await anchorRecord(f, patientKey, DataCategory.VitalSigns);
      const byCardiologist = await anchorRecord(f, cardiologistKey);
      const other = await anchorRecord(f, cardiologistKey);
      await pause(f);
      for (const record of [byPatient, byCardiologist]) {
        await expect(records.connect(registrar).registrarMarkEnteredInError(patientId, record, RECORD_REASON.duplicate))
          .to.emit(records, "RecordEnteredInError")
          .withArgs(record, patientId, 0n, RECORD_REASON.duplicate);
        expect(await anchorOf(records, patientId, record)).to.include({
          status: RecordStatus.EnteredInError,
          errorReason: RECORD_REASON.duplicate,
        });
      }
      // The role is still checked.
      await expect(
        records.connect(cardiologistKey).registrarMarkEnteredInError(patientId, other, RECORD_REASON.duplicate),
      )
        .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
        .withArgs(cardiologistKey.address);
      expect((await anchorOf(records, patientId, other)).status).to.equal(RecordStatus.Current);
    });

    it("lets the patient's side withdraw an amendment request while paused, and nobody else", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, representativeKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      const mine = await requestAmendment(f, patientKey, record);
      const theirs = await requestAmendment(f, representativeKey, record);
      const requested = await amendmentOf(records, mine);
      await pause(f);
      await expect(records.connect(cardiologistKey).withdrawAmendment(mine))
        .to.be.revertedWithCustomError(records, "RecordUnauthorizedPatientActor")
        .withArgs(patientId, cardiologistKey.address);
      await expect(records.connect(patientKey).withdrawAmendment(mine))
        .to.emit(records, "AmendmentWithdrawn")
        .withArgs(mine, record);
      await expect(records.connect(representativeKey).withdrawAmendment(theirs))
        .to.emit(records, "AmendmentWithdrawn")
        .withArgs(theirs, record);
      expect(await amendmentOf(records, mine)).to.deep.equal({ ...requested, status: AmendmentStatus.Withdrawn });
      expect((await amendmentOf(records, theirs)).status).to.equal(AmendmentStatus.Withdrawn);
    });

    it("takes every write back once unpaused", async function () {
      const f = await loadFixture(recordsFixture);
      const { records, patientId, patientKey, cardiologistKey } = f;
      const record = await anchorRecord(f, cardiologistKey);
      await pause(f);
      await scheduleAndExecute(
        f.accessManager,
        f.admin,
        await records.getAddress(),
        records.interface.encodeFunctionData("unpause"),
      );
      const second = await supersede(f, cardiologistKey, record);
      const requestId = await requestAmendment(f, patientKey, second);
      const amended = randomCommitment();
      await expect(records.connect(cardiologistKey).acceptAmendment(requestId, amended, ZeroHash))
        .to.emit(records, "AmendmentAccepted")
        .withArgs(requestId, second, amended);
      expect(await historyOf(records, patientId, record)).to.deep.equal([record, second, amended]);
    });
  });
});
