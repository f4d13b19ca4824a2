import { id as keccakText, parseEther, Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import {
  buildBatch,
  batchProof,
  categorySet,
  commit,
  DataCategory,
  IdentityClient,
  ParticipantKind,
  Purpose,
  purposeSet,
} from "../../sdk";
import type { GasRecorder } from "./recorder";

const R = "RecordRegistry";
const DAY = 86_400;

/** A 32-byte value derived from a label: deterministic calldata, so every row is the same on every run. */
const hash = (label: string): string => keccakText(`careledger bench record: ${label}`);

/**
 * Measures the RecordRegistry: single anchors under each consent basis, versions, entered-in-error, amendments,
 * batch roots, inclusion checks at depths 4, 8 and 12 (sent as transactions so that the receipts give the figure),
 * adoption and the access trail; next to them, the floor of anchoring a hash at all (`AnchorFloor`). Keys are fixed
 * wallets and every value in calldata is derived from a label, so rows do not drift.
 */
export async function benchRecords(system: CareLedgerSystem, gas: GasRecorder): Promise<void> {
  const { identityRegistry: identity, consentRegistry: consent, recordRegistry: records } = system;
  const [deployer, , registrar] = await ethers.getSigners();
  if (deployer === undefined || registrar === undefined) throw new Error("the benchmark needs the first accounts");
  const wallet = async (label: string) => {
    const key = new Wallet(keccakText(`careledger bench key: records ${label}`), ethers.provider);
    await (await deployer.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
    return key;
  };
  const hospitalKey = await wallet("hospital");
  const doctorKey = await wallet("doctor");
  const internistKey = await wallet("internist");
  const patientKey = await wallet("patient");

  const now = (await ethers.provider.getBlock("latest"))?.timestamp;
  if (now === undefined) throw new Error("no latest block");
  const expiry = BigInt(now) + BigInt(365 * DAY);
  const asRegistrar = IdentityClient.connect(registrar, system.deployment);
  // Registration with the key's consent; practitioners accepted by the hospital (set-up, not measured).
  const register = async (kind: ParticipantKind, key: Wallet, label: string, affiliation = 0n) =>
    (
      await asRegistrar.registerWithKey(
        key,
        {
          kind,
          credentialCommitment: commit(label, hash(`salt ${label}`)).commitment,
          credentialExpiry: expiry,
          affiliation,
        },
        affiliation === 0n ? undefined : hospitalKey,
      )
    ).id;
  const hospital = await register(ParticipantKind.Organization, hospitalKey, "records hospital");
  const doctor = await register(ParticipantKind.Practitioner, doctorKey, "records doctor", hospital);
  await register(ParticipantKind.Practitioner, internistKey, "records internist", hospital);
  await (await identity.connect(patientKey).registerPatient()).wait();
  const patient = await identity.idOf(patientKey.address);
  const until = BigInt(now) + BigInt(300 * DAY);
  const treatment = purposeSet(Purpose.Treatment);
  await (
    await consent
      .connect(patientKey)
      .grant(patient, doctor, categorySet(DataCategory.LaboratoryResults, DataCategory.Imaging), treatment, 0, until)
  ).wait();
  await (
    await consent
      .connect(patientKey)
      .grant(patient, hospital, categorySet(DataCategory.Allergies, DataCategory.VitalSigns), treatment, 0, until)
  ).wait();

  // The floor: store one hash and emit it, nothing else.
  const floor = await (await ethers.getContractFactory("AnchorFloor")).deploy();
  await floor.waitForDeployment();
  await gas.measure("AnchorFloor", "anchor", "reference: store a 32-byte hash and emit it", () =>
    floor.anchor(hash("floor")),
  );

  // Single anchors.
  const lab = hash("lab report v1");
  await gas.measure(R, "anchor", "practitioner's grant naming the category (consent decision included)", () =>
    records.connect(doctorKey).anchor(patient, lab, DataCategory.LaboratoryResults, hash("pointer lab v1")),
  );
  await gas.measure(R, "anchor", "practitioner through the organization's grant", () =>
    records.connect(internistKey).anchor(patient, hash("allergies"), DataCategory.Allergies, hash("pointer allergies")),
  );
  await gas.measure(R, "anchor", "patient-generated data (Self)", () =>
    records.connect(patientKey).anchor(patient, hash("home bp"), DataCategory.VitalSigns, hash("pointer home bp")),
  );

  // Versions.
  const labV2 = hash("lab report v2");
  await gas.measure(R, "supersede", "new version by the author", () =>
    records.connect(doctorKey).supersede(patient, lab, labV2, hash("pointer lab v2"), 1),
  );
  await gas.measure(R, "markEnteredInError", "by the author's organization", () =>
    records.connect(hospitalKey).markEnteredInError(patient, hash("allergies"), 3),
  );
  await gas.measure(R, "requestAmendment", "by the patient", () =>
    records.connect(patientKey).requestAmendment(patient, labV2, hash("amendment request")),
  );
  await gas.measure(R, "acceptAmendment", "by the author, anchoring the amended version", () =>
    records.connect(doctorKey).acceptAmendment(1, hash("lab report v3"), hash("pointer lab v3")),
  );
  await (
    await records.connect(patientKey).requestAmendment(patient, hash("lab report v3"), hash("second request"))
  ).wait();
  await gas.measure(R, "denyAmendment", "by the author", () =>
    records.connect(doctorKey).denyAmendment(2, 4, hash("denial letter")),
  );

  // Access trail.
  await gas.measure(R, "recordAccess", "allowed under a grant naming the category", () =>
    records.connect(doctorKey).recordAccess(patient, hash("lab report v3"), Purpose.Treatment),
  );
  await gas.measure(R, "recordAccess", "denied (no grant covers the purpose)", () =>
    records.connect(doctorKey).recordAccess(patient, hash("lab report v3"), Purpose.Research),
  );

  // Batches: one root per tree; inclusion checked at depths 4, 8 and 12 (16, 256 and 4,096 records).
  for (const depth of [4, 8, 12]) {
    const size = 2 ** depth;
    const leaves = Array.from({ length: size }, (_, i) => ({
      commitment: hash(`batch ${depth} record ${i}`),
      patient: patient + BigInt(i % 3),
      category: i % 2 === 0 ? DataCategory.LaboratoryResults : DataCategory.VitalSigns,
    }));
    const batch = buildBatch(hospital, leaves);
    const anchored = await gas.measure(R, "anchorBatch", `${size.toLocaleString("en-US")} records`, () =>
      records.connect(hospitalKey).anchorBatch(batch.root, batch.count, batch.categories, hash(`manifest ${depth}`)),
    );
    if (depth === 12)
      gas.add(R, "anchorBatch per record", "4,096 records", BigInt(Math.ceil(Number(anchored.gasUsed) / size)));
    const { leaf, proof } = batchProof(batch, leaves[size - 1]!.commitment);
    if (proof.length !== depth) throw new Error(`expected a proof of ${depth} hashes, got ${proof.length}`);
    await gas.measure(R, "verifyInclusion (as a transaction)", `depth ${depth}`, () =>
      records.verifyInclusion.send(hospital, batch.root, leaf, proof),
    );
    if (depth === 12) {
      // The organization adopts a vital-signs record of the patient under its own grant: the same decision as an anchor.
      await gas.measure(R, "adopt", "depth 12, by the organization (consent decision included)", () =>
        records.connect(hospitalKey).adopt(hospital, batch.root, leaf, proof),
      );
    }
  }
}
