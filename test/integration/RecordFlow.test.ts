import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { hexlify, keccak256, toUtf8Bytes, Wallet } from "ethers";

import {
  CATEGORY_SYSTEM,
  canonicalBytes,
  categorySet,
  DataCategory,
  DecisionBasis,
  DirectoryBlobStore,
  decodeEnvelope,
  encodeEnvelope,
  EnvelopeError,
  openEnvelope,
  publicKeyOf,
  Purpose,
  purposeSet,
  type Reader,
  RecordStatus,
  RecordToolkit,
  recipientsOf,
  SupersedeReason,
  potassiumObservation,
  vitalsBundle,
} from "../../sdk";
import { type RecordsFixture, recordsFixture } from "../fixtures/records";
import { rejection } from "../helpers/rejection";

/** The blob-store directories the tests made; removed after the suite. */
const temporaryDirectories: string[] = [];

/**
 * The toolkit on the records fixture, with a blob store in a fresh directory and encryption keys apart from the
 * participants' account keys (each participant publishes an encryption public key off chain).
 */
async function toolkitFixture() {
  const fixture = await loadFixture(recordsFixture);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-records-"));
  temporaryDirectories.push(dir);
  const store = new DirectoryBlobStore(path.join(dir, "blobs"));
  const toolkit = RecordToolkit.connect(fixture.deployer, fixture.deployment, store);
  const encryptionKey = (label: string) => new Wallet(keccak256(toUtf8Bytes(`record flow encryption key: ${label}`)));
  const keys = {
    cardiologist: encryptionKey("cardiologist"),
    internist: encryptionKey("internist"),
    clinicDoctor: encryptionKey("clinic doctor"),
    hospital: encryptionKey("hospital"),
  };
  const reader = (account: { address: string }, key: Wallet): Reader => ({
    account: account.address,
    publicKey: publicKeyOf(key.privateKey),
  });
  return {
    ...fixture,
    dir,
    store,
    toolkit,
    keys,
    readers: {
      cardiologist: reader(fixture.cardiologistKey, keys.cardiologist),
      internist: reader(fixture.internistKey, keys.internist),
      clinicDoctor: reader(fixture.clinicDoctorKey, keys.clinicDoctor),
    },
  };
}

type ToolkitFixture = RecordsFixture & Awaited<ReturnType<typeof toolkitFixture>>;

async function anchoredLab(f: ToolkitFixture) {
  return f.toolkit
    .as(f.cardiologistKey)
    .anchorRecord(potassiumObservation(4.1), f.patientId, DataCategory.LaboratoryResults, {
      readers: [f.readers.cardiologist.publicKey],
    });
}

describe("Record flow (SDK toolkit against the deployed contracts)", () => {
  after(() => {
    for (const dir of temporaryDirectories.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("anchors an encrypted lab report: only commitments and a pointer go on chain", async () => {
    const f = await toolkitFixture();
    const anchored = await anchoredLab(f);
    expect(anchored.basis).to.equal(DecisionBasis.Grant);
    expect(anchored.pointer).to.equal(keccak256(toUtf8Bytes(anchored.address)));
    const record = await f.toolkit.records.verify(f.patientId, anchored.commitment);
    expect(record).to.include({
      status: RecordStatus.Current,
      patient: f.patientId,
      author: f.cardiologistId,
      organization: f.hospitalId,
      category: DataCategory.LaboratoryResults,
    });
    // The transaction carries no byte of the document: not its canonical form, not the salt.
    const tx = await anchored.receipt.getTransaction();
    const canonical = hexlify(canonicalBytes(potassiumObservation(4.1))).slice(2);
    expect(tx.data).not.to.contain(canonical.slice(0, 64));
    expect(tx.data).not.to.contain(anchored.salt.slice(2));
    // The blob on disk is ciphertext: the value does not appear in it.
    const blob = Buffer.from(await f.store.get(anchored.address)).toString("utf8");
    expect(blob).not.to.contain("2823-3");
    expect((await f.toolkit.records.versionEvent(f.patientId, anchored.commitment))?.pointer).to.equal(
      anchored.pointer,
    );
    // The other patient's namespace holds nothing under the commitment.
    expect((await f.toolkit.records.verify(f.otherPatientId, anchored.commitment)).status).to.equal(RecordStatus.None);
    expect(await f.toolkit.records.versionEvent(f.otherPatientId, anchored.commitment)).to.equal(undefined);
  });

  it("gives unrelated commitments to two anchors of the same single lab value", async () => {
    const f = await toolkitFixture();
    const first = await anchoredLab(f);
    const second = await anchoredLab(f);
    expect(first.commitment).not.to.equal(second.commitment);
    expect(first.salt).not.to.equal(second.salt);
    expect(
      (
        await f.toolkit.verifyRecord(
          { resource: potassiumObservation(4.1), salt: first.salt },
          { patient: f.patientId },
        )
      ).commitment,
    ).to.equal(first.commitment);
  });

  it("lets a consented second doctor decrypt and verify once the key is shared, and records the read", async () => {
    const f = await toolkitFixture();
    const anchored = await anchoredLab(f);
    // Not yet a recipient: the envelope does not open for the internist.
    expect(() => openEnvelope(anchored.envelope, f.keys.internist.privateKey)).to.throw(EnvelopeError);
    const shared = await f.toolkit
      .as(f.cardiologistKey)
      .shareRecord(f.patientId, anchored.address, f.keys.cardiologist.privateKey, [f.readers.internist]);
    expect(recipientsOf(shared.envelope)).to.include(f.readers.internist.publicKey);
    expect(shared.envelope.ciphertext).to.equal(anchored.envelope.ciphertext);

    const read = await f.toolkit
      .as(f.internistKey)
      .readRecord(f.patientId, shared.address, f.keys.internist.privateKey);
    expect(read.resource).to.deep.equal(potassiumObservation(4.1));
    expect(read.report.valid).to.equal(true);
    expect(read.decision).to.include({ allowed: true, basis: DecisionBasis.OrganizationGrant, grantee: f.hospitalId });
    const trail = await f.toolkit.records.accessTrail(f.patientId, anchored.commitment);
    expect(trail.map((event) => [event.accessor, event.allowed, event.basis])).to.deep.equal([
      [f.internistId, true, DecisionBasis.OrganizationGrant],
    ]);
    expect(await f.toolkit.records.accessTrail(f.otherPatientId, anchored.commitment)).to.deep.equal([]);
  });

  it("refuses to share with a reader the patient has not consented to, and records a denied read", async () => {
    const f = await toolkitFixture();
    const anchored = await anchoredLab(f);
    expect(
      await rejection(
        f.toolkit.shareRecord(f.patientId, anchored.address, f.keys.cardiologist.privateKey, [f.readers.clinicDoctor]),
      ),
    ).to.equal(`no consent to share with ${f.clinicDoctorKey.address}`);
    expect(
      await rejection(
        f.toolkit.as(f.clinicDoctorKey).readRecord(f.patientId, anchored.address, f.keys.clinicDoctor.privateKey),
      ),
    ).to.contain(`access to ${anchored.commitment} denied`);
    const trail = await f.toolkit.records.accessTrail(f.patientId, anchored.commitment);
    expect(trail.map((event) => [event.accessor, event.allowed, event.basis])).to.deep.equal([
      [f.clinicDoctorId, false, DecisionBasis.NoGrant],
    ]);
  });

  it("supersedes with a corrected version wrapped only for readers still consented", async () => {
    const f = await toolkitFixture();
    const anchored = await anchoredLab(f);
    const candidates = [f.readers.cardiologist, f.readers.internist];
    await f.consent.as(f.patientKey).revoke(f.patientId, f.hospitalId);
    const readers = await f.toolkit.consentedReaders(f.patientId, DataCategory.LaboratoryResults, candidates);
    expect(readers).to.deep.equal([f.readers.cardiologist]);
    const corrected = await f.toolkit
      .as(f.cardiologistKey)
      .amendRecord(f.patientId, anchored.commitment, potassiumObservation(4.2), {
        readers: readers.map((reader) => reader.publicKey),
        reasonCode: SupersedeReason.Correction,
      });
    expect(recipientsOf(corrected.envelope)).to.deep.equal([f.readers.cardiologist.publicKey]);
    expect(() => openEnvelope(corrected.envelope, f.keys.internist.privateKey)).to.throw(EnvelopeError);
    expect(await f.toolkit.records.history(f.patientId, anchored.commitment)).to.deep.equal([
      anchored.commitment,
      corrected.commitment,
    ]);
  });

  describe("verifyRecord reports each kind of tampering", () => {
    it("is valid for the document as anchored", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      const report = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.1), salt: anchored.salt },
        { patient: f.patientId, category: DataCategory.LaboratoryResults },
      );
      expect(report).to.deep.include({ valid: true, problems: [], history: [anchored.commitment] });
    });

    it("finds nothing anchored for a copy with one changed byte", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      const canonical = canonicalBytes(potassiumObservation(4.1));
      const tampered = Uint8Array.from(canonical);
      const at = Buffer.from(canonical).indexOf("4.1") + 2;
      tampered[at] = "7".charCodeAt(0);
      const report = await f.toolkit.verifyRecord(
        { canonical: tampered, salt: anchored.salt },
        { patient: f.patientId },
      );
      expect(report.valid).to.equal(false);
      expect(report.problems).to.deep.equal(["not-anchored"]);
      expect(report.record.status).to.equal(RecordStatus.None);
    });

    it("finds nothing anchored for the right document with another salt", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      const other = await anchoredLab(f);
      const report = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.2), salt: other.salt },
        { patient: f.patientId },
      );
      expect(report.problems).to.deep.equal(["not-anchored"]);
      const swapped = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.1), salt: keccak256(anchored.salt) },
        { patient: f.patientId },
      );
      expect(swapped.problems).to.deep.equal(["not-anchored"]);
    });

    it("reports a wrong patient and a wrong category for a document anchored for the patient it names", async () => {
      const f = await toolkitFixture();
      const bundle = vitalsBundle(f.patientId, 1);
      const anchored = await f.toolkit
        .as(f.patientKey)
        .anchorRecord(bundle, f.patientId, DataCategory.VitalSigns, { readers: [f.readers.cardiologist.publicKey] });
      const report = await f.toolkit.verifyRecord(
        { resource: bundle, salt: anchored.salt },
        { patient: f.otherPatientId, category: DataCategory.Imaging },
      );
      expect(report.valid).to.equal(false);
      expect(report.problems).to.deep.equal(["wrong-patient", "wrong-category"]);
      // The report shows where it is anchored: the named patient's namespace.
      expect(report.record).to.include({ patient: f.patientId, status: RecordStatus.Current });
      expect(report.history).to.deep.equal([anchored.commitment]);
    });

    it("derives the patient from a document that names one", async () => {
      const f = await toolkitFixture();
      const bundle = vitalsBundle(f.patientId, 2);
      const anchored = await f.toolkit
        .as(f.patientKey)
        .anchorRecord(bundle, f.patientId, DataCategory.VitalSigns, { readers: [f.readers.cardiologist.publicKey] });
      const report = await f.toolkit.verifyRecord({ resource: bundle, salt: anchored.salt });
      expect(report).to.deep.include({ valid: true, problems: [], history: [anchored.commitment] });
      expect(report.record).to.include({ patient: f.patientId, author: f.patientId, organization: 0n });
    });

    it("finds nothing in another patient's namespace for a document that names no patient", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      const report = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.1), salt: anchored.salt },
        { patient: f.otherPatientId },
      );
      expect(report.valid).to.equal(false);
      expect(report.problems).to.deep.equal(["not-anchored"]);
      expect(report.history).to.deep.equal([]);
    });

    it("asks for the patient when the document names none", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      expect(
        await rejection(f.toolkit.verifyRecord({ resource: potassiumObservation(4.1), salt: anchored.salt })),
      ).to.contain("verifyRecord needs the patient");
    });

    it("reports wrong-patient for a document naming another patient that someone anchored in his own namespace", async () => {
      const f = await toolkitFixture();
      const bundle = vitalsBundle(f.patientId, 3);
      const anchored = await f.toolkit
        .as(f.patientKey)
        .anchorRecord(bundle, f.patientId, DataCategory.VitalSigns, { readers: [f.readers.cardiologist.publicKey] });
      // The other patient anchors the same commitment as his own data.
      await f.toolkit.records.as(f.otherPatientKey).anchor({
        patient: f.otherPatientId,
        commitment: anchored.commitment,
        category: DataCategory.VitalSigns,
        pointer: anchored.pointer,
      });
      const report = await f.toolkit.verifyRecord(
        { resource: bundle, salt: anchored.salt },
        { patient: f.otherPatientId },
      );
      expect(report.problems).to.include("wrong-patient");
      expect(report.valid).to.equal(false);
    });

    it("reports a superseded version and names the latest", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      const corrected = await f.toolkit
        .as(f.cardiologistKey)
        .amendRecord(f.patientId, anchored.commitment, potassiumObservation(4.2), {
          readers: [f.readers.cardiologist.publicKey],
        });
      const expected = { patient: f.patientId };
      const report = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.1), salt: anchored.salt },
        expected,
      );
      expect(report.problems).to.deep.equal(["superseded"]);
      expect(report.latest).to.equal(corrected.commitment);
      const current = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.2), salt: corrected.salt },
        expected,
      );
      expect(current.valid).to.equal(true);
    });

    it("reports a version entered in error", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      await f.toolkit.records.as(f.cardiologistKey).markEnteredInError(f.patientId, anchored.commitment, 1);
      const report = await f.toolkit.verifyRecord(
        { resource: potassiumObservation(4.1), salt: anchored.salt },
        { patient: f.patientId },
      );
      expect(report.problems).to.deep.equal(["entered-in-error"]);
      expect(report.record.errorReason).to.equal(1);
    });

    it("refuses to open an envelope whose ciphertext was altered", async () => {
      const f = await toolkitFixture();
      const anchored = await anchoredLab(f);
      const envelope = decodeEnvelope(encodeEnvelope(anchored.envelope));
      const altered = { ...envelope, commitment: keccak256(envelope.commitment) };
      expect(() => openEnvelope(altered, f.keys.cardiologist.privateKey)).to.throw(EnvelopeError);
    });
  });

  describe("batch anchoring of a directory", () => {
    it("anchors every bundle under one root, reports progress and skipped files, and proves inclusion", async () => {
      const f = await toolkitFixture();
      const inbox = path.join(f.dir, "nightly");
      fs.mkdirSync(inbox);
      for (let i = 0; i < 40; i++) {
        const patient = i % 2 === 0 ? f.patientId : f.otherPatientId;
        fs.writeFileSync(
          path.join(inbox, `vitals-${String(i).padStart(3, "0")}.json`),
          JSON.stringify(vitalsBundle(patient, i)),
        );
      }
      fs.writeFileSync(path.join(inbox, "broken.json"), "{ not json");
      fs.writeFileSync(
        path.join(inbox, "no-patient.json"),
        JSON.stringify({
          resourceType: "Bundle",
          type: "collection",
          meta: { tag: [{ system: CATEGORY_SYSTEM, code: "VitalSigns" }] },
        }),
      );
      // Only an active organization anchors its batches, and only as itself: refused before anything is stored.
      const blobsBefore = fs.existsSync(path.join(f.dir, "blobs"))
        ? fs.readdirSync(path.join(f.dir, "blobs")).length
        : 0;
      const options = { readers: [publicKeyOf(f.keys.hospital.privateKey)] };
      expect(await rejection(f.toolkit.as(f.cardiologistKey).anchorDirectory(inbox, options))).to.equal(
        `${f.cardiologistKey.address} is not the key of an active organization: only an organization anchors its batches`,
      );
      expect(
        await rejection(f.toolkit.as(f.hospitalKey).anchorDirectory(inbox, { ...options, organization: f.clinicId })),
      ).to.equal(
        `${f.hospitalKey.address} controls organization ${f.hospitalId}, not ${f.clinicId}: a batch names its own organization`,
      );
      const blobsAfter = fs.existsSync(path.join(f.dir, "blobs"))
        ? fs.readdirSync(path.join(f.dir, "blobs")).length
        : 0;
      expect(blobsAfter, "nothing sealed or stored").to.equal(blobsBefore);
      const progress: number[] = [];
      const result = await f.toolkit.as(f.hospitalKey).anchorDirectory(inbox, {
        organization: f.hospitalId,
        readers: [publicKeyOf(f.keys.hospital.privateKey)],
        maxBatchSize: 32,
        onProgress: ({ done }) => progress.push(done),
      });
      expect(progress).to.deep.equal(Array.from({ length: 42 }, (_, i) => i + 1));
      expect(result.anchored).to.equal(40);
      expect(result.batches.map((batch) => batch.count)).to.deep.equal([32, 8]);
      expect(result.skipped.map((skip) => skip.file)).to.deep.equal(["broken.json", "no-patient.json"]);
      const [first] = result.batches;
      const onChain = await f.toolkit.records.batch(f.hospitalId, first!.root);
      expect(onChain).to.deep.include({
        organization: f.hospitalId,
        count: 32,
        categories: 1 << DataCategory.VitalSigns,
      });
      // The root is the hospital's batch: under the clinic there is none.
      expect((await f.toolkit.records.batch(f.clinicId, first!.root)).organization).to.equal(0n);

      // Record 4 is the patient's (even files), record 5 the other patient's.
      const member = first!.records[4]!;
      expect(member.patient).to.equal(f.patientId);
      const proof = await f.toolkit.proveInclusion(f.hospitalId, first!.manifestAddress, member.commitment);
      expect(proof.included).to.equal(true);
      expect(proof.leaf).to.deep.equal({
        commitment: member.commitment,
        patient: member.patient,
        category: member.category,
      });
      // The manifest is the hospital's batch (its leaves name the hospital): the toolkit will not prove it under the
      // clinic.
      expect(await rejection(f.toolkit.proveInclusion(f.clinicId, first!.manifestAddress, member.commitment))).to.equal(
        `the manifest is organization ${f.hospitalId}'s batch, not ${f.clinicId}'s`,
      );
      // A clinic that copies the root, even one the patient consented to, holds none of its records.
      await f.toolkit.records.as(f.clinicKey).anchorBatch({
        root: first!.root,
        count: first!.count,
        categories: first!.categories,
        pointer: first!.pointer,
      });
      await f.consent.as(f.patientKey).grant({
        patient: f.patientId,
        grantee: f.clinicId,
        categories: categorySet(DataCategory.VitalSigns),
        purposes: purposeSet(Purpose.Treatment),
        validUntil: f.grantUntil,
      });
      expect(await f.toolkit.records.verifyInclusion(f.clinicId, proof.root, proof.leaf, proof.proof)).to.equal(false);
      expect(
        await rejection(f.toolkit.records.as(f.clinicKey).adopt(f.clinicId, proof.root, proof.leaf, proof.proof)),
      ).to.equal(`RecordNotInBatch(${proof.root}, ${member.commitment})`);
      // The member's envelope opens for the hospital and verifies as a batch member, not as a single anchor.
      const envelope = decodeEnvelope(await f.store.get(proof.address!));
      const opened = openEnvelope(envelope, f.keys.hospital.privateKey);
      expect(opened.commitment).to.equal(member.commitment);
      // A proof for another patient fails.
      expect(
        await f.toolkit.records.verifyInclusion(
          f.hospitalId,
          proof.root,
          { ...proof.leaf, patient: proof.leaf.patient + 1n },
          proof.proof,
        ),
      ).to.equal(false);
      // Adopted by the hospital under the patient's grant, it has an anchor of its own, dated to the batch.
      await f.toolkit.records.as(f.hospitalKey).adopt(f.hospitalId, proof.root, proof.leaf, proof.proof);
      const adopted = await f.toolkit.records.verify(f.patientId, member.commitment);
      expect(adopted).to.include({
        fromBatch: true,
        author: f.hospitalId,
        organization: f.hospitalId,
        anchoredAt: onChain.anchoredAt,
      });
      // The document names its patient: verifyRecord finds it in her namespace without being told.
      const report = await f.toolkit.verifyRecord({ canonical: opened.canonical, salt: opened.salt });
      expect(report).to.deep.include({ valid: true, problems: [], history: [member.commitment] });
      // The other patient granted the hospital nothing: his record stays off his chart.
      const theirs = first!.records[5]!;
      const theirProof = await f.toolkit.proveInclusion(f.hospitalId, first!.manifestAddress, theirs.commitment);
      expect(theirProof.included).to.equal(true);
      expect(
        await rejection(
          f.toolkit.records.as(f.hospitalKey).adopt(f.hospitalId, theirProof.root, theirProof.leaf, theirProof.proof),
        ),
      ).to.equal(
        `RecordAnchorNotPermitted(${f.otherPatientId}, ${f.hospitalId}, ${DataCategory.VitalSigns}, ${DecisionBasis.NoGrant})`,
      );
      expect((await f.toolkit.records.verify(f.otherPatientId, theirs.commitment)).status).to.equal(RecordStatus.None);
    });

    // Sealing in worker threads changes only who does the work: the same files in the same order, the same batches
    // and skips, the progress in name order, and envelopes that open to exactly each file's record.
    it("seals in worker threads with the same result as in one thread", async () => {
      const f = await toolkitFixture();
      const inbox = path.join(f.dir, "parallel");
      fs.mkdirSync(inbox);
      const bundles = new Map<string, ReturnType<typeof vitalsBundle>>();
      for (let i = 0; i < 30; i++) {
        const file = `vitals-${String(i).padStart(3, "0")}.json`;
        bundles.set(file, vitalsBundle(i % 3 === 0 ? f.otherPatientId : f.patientId, i));
        fs.writeFileSync(path.join(inbox, file), JSON.stringify(bundles.get(file)));
      }
      fs.writeFileSync(path.join(inbox, "vitals-007b.json"), "{ not json");
      const run = async (threads: number) => {
        const progress: string[] = [];
        const result = await f.toolkit.as(f.hospitalKey).anchorDirectory(inbox, {
          readers: [publicKeyOf(f.keys.hospital.privateKey)],
          maxBatchSize: 16,
          threads,
          onProgress: ({ file }) => progress.push(file),
        });
        return { result, progress };
      };
      const sequential = await run(0);
      const parallel = await run(2);
      expect(parallel.progress).to.deep.equal(sequential.progress);
      expect(parallel.progress).to.deep.equal(fs.readdirSync(inbox).sort());
      expect(parallel.result.skipped).to.deep.equal(sequential.result.skipped);
      expect(parallel.result.skipped.map((skip) => skip.file)).to.deep.equal(["vitals-007b.json"]);
      expect(parallel.result.batches.map((batch) => batch.count)).to.deep.equal([16, 14]);
      const files = (batches: typeof parallel.result.batches) =>
        batches.flatMap((batch) => batch.records.map((record) => [record.file, record.patient, record.category]));
      expect(files(parallel.result.batches)).to.deep.equal(files(sequential.result.batches));
      for (const batch of parallel.result.batches) {
        expect((await f.toolkit.records.batch(f.hospitalId, batch.root)).count).to.equal(BigInt(batch.count));
        const { manifest } = await f.toolkit.loadManifest(batch.manifestAddress);
        for (const record of batch.records) {
          const envelope = decodeEnvelope(await f.store.get(manifest.blobs[record.commitment]!));
          const opened = openEnvelope(envelope, f.keys.hospital.privateKey);
          expect(opened.commitment).to.equal(record.commitment);
          expect(opened.canonical).to.deep.equal(canonicalBytes(bundles.get(record.file)!));
        }
      }
    });
  });

  it("records accesses through the toolkit with the purpose given", async () => {
    const f = await toolkitFixture();
    const anchored = await anchoredLab(f);
    const read = await f.toolkit
      .as(f.cardiologistKey)
      .readRecord(f.patientId, anchored.address, f.keys.cardiologist.privateKey, { purpose: Purpose.Treatment });
    expect(read.decision?.basis).to.equal(DecisionBasis.Grant);
    expect(read.salt).to.equal(anchored.salt);
    expect(read.report.valid).to.equal(true);
  });

  it("reads a record only in the patient's namespace given: another patient's is unknown to the registry", async () => {
    const f = await toolkitFixture();
    const anchored = await anchoredLab(f);
    expect(
      await rejection(
        f.toolkit.as(f.cardiologistKey).readRecord(f.otherPatientId, anchored.address, f.keys.cardiologist.privateKey),
      ),
    ).to.equal(`RecordUnknown(${f.otherPatientId}, ${anchored.commitment})`);
    expect(
      await rejection(
        f.toolkit
          .as(f.cardiologistKey)
          .shareRecord(f.otherPatientId, anchored.address, f.keys.cardiologist.privateKey, [f.readers.internist]),
      ),
    ).to.equal(`${anchored.commitment} is not anchored`);
  });
});
