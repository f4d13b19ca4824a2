import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { keccak256, toUtf8Bytes } from "ethers";
import type { Observation } from "fhir/r4";
import { ethers } from "hardhat";

import {
  type AnchoredBatch,
  canonicalBytes,
  categoryNames,
  categorySet,
  ConsentClient,
  DataCategory,
  DecisionBasis,
  DirectoryBlobStore,
  IdentityClient,
  ParticipantKind,
  potassiumObservation,
  publicKeyOf,
  Purpose,
  purposeNames,
  purposeSet,
  type Reader,
  recipientsOf,
  RecordStatus,
  RecordToolkit,
  SupersedeReason,
  vitalsBundle,
  commit,
} from "../../sdk";
import {
  because,
  DAY,
  detail,
  gas,
  introduce,
  listed,
  nameOf,
  refused,
  say,
  short,
  technical,
  verbose,
  verdict,
  when,
  words,
  yes,
} from "./narration";
import { now, type Participants, type Story } from "./story";

/** What the record scenes share: the toolkit as Dr. Chen, the encryption keys and the readers. */
interface Desk {
  story: Story;
  who: Participants;
  toolkit: RecordToolkit;
  keys: { chen: string; haddad: string; hospital: string };
  chenReader: Reader;
  haddadReader: Reader;
  /** The hospital's grant after Alice widens it: categories and purposes. */
  hospitalScope: { categories: number; purposes: number };
}

/**
 * Records: the cardiologist anchors an encrypted lab report, shares its key with an internist who reads it under the
 * hospital's grant, a corrected version supersedes it, a tampered copy fails verification, the hospital anchors a
 * nightly batch of 1,000 records under one Merkle root, one of them is proven included on chain, and one is adopted
 * onto the patient's chart once her consent covers it. The blob store and the nightly inbox live in a temporary
 * directory. Returns the lab report's commitment (a claim attaches it) and the batch's size.
 */
export async function recordsChapter(
  story: Story,
  who: Participants,
  credentialExpiry: bigint,
): Promise<{ labCommitment: string; batchSize: number }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-demo-"));
  try {
    const { cast, system } = story;
    const store = new DirectoryBlobStore(path.join(workDir, "blobs"));
    const keys = {
      chen: encryptionKey("Dr. Chen"),
      haddad: encryptionKey("Dr. Haddad"),
      hospital: encryptionKey("St. Mary's records office"),
    };
    const hospitalScope = await joinHaddad(story, who, credentialExpiry);
    const desk: Desk = {
      story,
      who,
      toolkit: RecordToolkit.connect(cast.doctorKey, system.deployment, store),
      keys,
      chenReader: { account: cast.doctorKey.address, publicKey: publicKeyOf(keys.chen) },
      haddadReader: { account: cast.internistKey.address, publicKey: publicKeyOf(keys.haddad) },
      hospitalScope,
    };
    const lab = await anchorAndShare(desk);
    await correctAndTamper(desk, lab);
    const batch = await nightlyBatch(desk, path.join(workDir, "nightly"));
    await proveMember(desk, batch);
    await adoptFromBatch(desk, batch);
    return { labCommitment: lab.commitment, batchSize: batch.count };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** A secp256k1 encryption key derived from a label: apart from the account keys, never sent on chain. */
function encryptionKey(who: string): string {
  return keccak256(toUtf8Bytes(`careledger demo encryption key: ${who}`));
}

async function joinHaddad(
  { system, cast }: Story,
  who: Participants,
  credentialExpiry: bigint,
): Promise<Desk["hospitalScope"]> {
  const { deployment } = system;
  say("Dr. Haddad, an internist, joins St. Mary's; Alice, admitted there, adds her lab results to its consent.");
  const haddad = await IdentityClient.connect(cast.registrar, deployment).registerWithKey(
    cast.internistKey,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit("state medical licence MD-93120 / NPI 1326049875").commitment,
      credentialExpiry,
      affiliation: who.hospital,
    },
    cast.hospitalNewKey,
  );
  const hospitalScope = {
    categories: categorySet(DataCategory.Demographics, DataCategory.InsuranceAndClaims, DataCategory.LaboratoryResults),
    purposes: purposeSet(Purpose.Payment, Purpose.Treatment),
  };
  const asAlice = ConsentClient.connect(cast.alicePhone, deployment);
  const widened = await asAlice.grant({
    patient: who.alice,
    grantee: who.hospital,
    ...hospitalScope,
    validUntil: (await now()) + BigInt(365 * DAY),
  });
  introduce(haddad.id, "Dr. Haddad");
  detail(`Dr. Haddad is participant ${haddad.id}${gas(haddad.receipt)}`);
  detail(
    `hospital grant version ${widened.version}: ${listed(categoryNames(hospitalScope.categories).map(words))}, for ${listed(purposeNames(hospitalScope.purposes).map(words))}${gas(widened.receipt)}`,
  );
  detail(
    `Dr. Haddad, lab results: ${verdict(await asAlice.decide(who.alice, cast.internistKey.address, DataCategory.LaboratoryResults, Purpose.Treatment))}`,
  );
  return hospitalScope;
}

async function anchorAndShare(desk: Desk): Promise<{ commitment: string; salt: string }> {
  const { toolkit, who, keys } = desk;
  say("Dr. Chen anchors Alice's potassium result: encrypted off chain, a salted commitment and a pointer on chain.");
  const lab = await toolkit.anchorRecord(potassiumObservation(4.1), who.alice, DataCategory.LaboratoryResults, {
    readers: [desk.chenReader.publicKey],
  });
  detail("the report is encrypted for Dr. Chen and stored off chain; the chain holds its commitment and a pointer");
  technical(`commitment ${lab.commitment}`);
  technical(`envelope   ${lab.address}`);
  technical(`pointer    ${lab.pointer} (keccak256 of the envelope's address)`);
  detail(
    `his own grant is revoked, the hospital's covers him: ${because(lab.basis ?? DecisionBasis.NoGrant, who.hospital)}${gas(lab.receipt)}`,
  );

  say("Dr. Chen shares the record key with Dr. Haddad, who decrypts the report, verifies it, and is on the record.");
  const shared = await toolkit.shareRecord(who.alice, lab.address, keys.chen, [desk.haddadReader]);
  detail(
    `a new envelope with the same ciphertext and ${recipientsOf(shared.envelope).length} wrapped keys (her consent checked first)`,
  );
  technical(`envelope ${shared.address}`);
  const read = await toolkit.as(desk.story.cast.internistKey).readRecord(who.alice, shared.address, keys.haddad);
  const value = (read.resource as Observation).valueQuantity;
  detail(
    `decrypted: potassium ${value?.value} ${value?.unit}; valid: ${yes(read.report.valid)}, ${words(RecordStatus[read.report.record.status])}, of ${nameOf(read.report.record.patient)}`,
  );
  for (const access of await toolkit.records.accessTrail(who.alice, lab.commitment)) {
    const receipt = verbose ? await ethers.provider.getTransactionReceipt(access.transactionHash) : null;
    detail(
      `on chain: ${nameOf(access.accessor)} read it for ${words(Purpose[access.purpose])}, ${verdict(access)}${verbose ? `, block ${access.blockNumber}` : ""}${gas(receipt)}`,
    );
  }
  return { commitment: lab.commitment, salt: read.salt };
}

async function correctAndTamper(desk: Desk, lab: { commitment: string; salt: string }): Promise<void> {
  const { toolkit, who } = desk;
  say("The lab corrects the value. Dr. Chen anchors version 2 for the readers whose consent still holds.");
  const readers = await toolkit.consentedReaders(who.alice, DataCategory.LaboratoryResults, [
    desk.chenReader,
    desk.haddadReader,
  ]);
  const corrected = await toolkit.amendRecord(who.alice, lab.commitment, potassiumObservation(4.4), {
    readers: readers.map((reader) => reader.publicKey),
    reasonCode: SupersedeReason.Correction,
  });
  detail(`its key wrapped for ${readers.length} consented reader(s)${gas(corrected.receipt)}`);
  const history = await toolkit.records.history(who.alice, lab.commitment);
  for (const [index, version] of history.entries()) {
    const info = await toolkit.records.verify(who.alice, version);
    detail(
      `version ${index + 1}${verbose ? ` ${short(version)}` : ""}: ${words(RecordStatus[info.status])}, by ${nameOf(info.author)}, anchored ${when(info.anchoredAt)}`,
    );
  }

  say("A copy of the first report is edited (4.1 → 7.1) and presented with its salt: it verifies to nothing.");
  const canonical = canonicalBytes(potassiumObservation(4.1));
  const tampered = Uint8Array.from(canonical);
  tampered[Buffer.from(canonical).indexOf("4.1")] = "7".charCodeAt(0);
  const forged = await toolkit.verifyRecord({ canonical: tampered, salt: lab.salt }, { patient: who.alice });
  detail(`tampered copy: ${forged.valid ? "valid" : "not valid"}, ${problems(forged.problems)}`);
  const original = await toolkit.verifyRecord(
    { resource: potassiumObservation(4.1), salt: lab.salt },
    { patient: who.alice, category: DataCategory.LaboratoryResults },
  );
  detail(`the untouched first version: ${original.valid ? "valid" : "not valid"}, ${problems(original.problems)}`);
  technical(`latest version ${original.latest ?? "none"}`);
}

async function nightlyBatch(desk: Desk, inbox: string): Promise<AnchoredBatch> {
  const { story, who } = desk;
  say("Overnight St. Mary's anchors 1,000 synthetic vital-sign records of four patients under one Merkle root.");
  fs.mkdirSync(inbox);
  const patients = [who.alice, ...who.guardians];
  for (let index = 0; index < 1_000; index++) {
    const patient = patients[index % patients.length] ?? who.alice;
    const file = path.join(inbox, `vitals-${String(index).padStart(4, "0")}.json`);
    fs.writeFileSync(file, JSON.stringify(vitalsBundle(patient, index)));
  }
  const started = performance.now();
  let sealed = started;
  const nightly = await desk.toolkit.as(story.cast.hospitalNewKey).anchorDirectory(inbox, {
    organization: who.hospital,
    readers: [publicKeyOf(desk.keys.hospital)],
    maxBatchSize: 1_000,
    onProgress: ({ done, total }) => {
      if (done === total) sealed = performance.now();
    },
  });
  const [batch] = nightly.batches;
  if (batch === undefined || nightly.batches.length !== 1) throw new Error("the demo expected exactly one batch");
  const seconds = (sealed - started) / 1000;
  detail(
    `one transaction anchors ${batch.count.toLocaleString("en-US")} records of ${listed(categoryNames(batch.categories).map(words))}; ${nightly.skipped.length === 0 ? "none" : nightly.skipped.length} skipped`,
  );
  technical(`root ${batch.root}`);
  technical(`manifest ${batch.manifestAddress}`);
  technical(
    `gas ${batch.receipt.gasUsed} for the root transaction: ${batch.receipt.gasUsed / BigInt(batch.count)} per record`,
  );
  detail(
    `off chain they were canonicalized, committed, encrypted and stored in ${seconds.toFixed(1)} s (${Math.round(batch.count / seconds).toLocaleString("en-US")} records a second)`,
  );
  return batch;
}

async function proveMember(desk: Desk, batch: AnchoredBatch): Promise<void> {
  const { toolkit, who } = desk;
  say("An auditor proves one of those records was in the batch, from the manifest alone, checked on chain.");
  const member = batch.records[417];
  if (member === undefined) throw new Error("the demo expected a 418th record in the batch");
  const proof = await toolkit.proveInclusion(who.hospital, batch.manifestAddress, member.commitment);
  detail(
    `${member.file}, a ${words(DataCategory[proof.leaf.category]).replaceAll(" ", "-")} record of ${nameOf(proof.leaf.patient)} (participant ${proof.leaf.patient}): a proof of ${proof.proof.length} hashes`,
  );
  technical(`commitment ${member.commitment}`);
  const included = (yes: boolean) => (yes ? "included" : "not included");
  detail(`checked on chain: ${included(proof.included)}`);
  const wrongPatient = { ...proof.leaf, patient: proof.leaf.patient + 1n };
  detail(
    `the same proof for ${nameOf(wrongPatient.patient)} (participant ${wrongPatient.patient}): ${included(await toolkit.records.verifyInclusion(who.hospital, proof.root, wrongPatient, proof.proof))}`,
  );
}

async function adoptFromBatch(desk: Desk, batch: AnchoredBatch): Promise<void> {
  const { toolkit, who, story } = desk;
  say(
    "Dr. Haddad puts one of Alice's readings from that batch on her chart: adoption asks her consent, as an anchor does.",
  );
  const aliceLeaf = batch.records.find((record) => record.patient === who.alice);
  if (aliceLeaf === undefined) throw new Error("the demo expected a record of Alice in the batch");
  const aliceProof = await toolkit.proveInclusion(who.hospital, batch.manifestAddress, aliceLeaf.commitment);
  const asHaddadRecords = toolkit.records.as(story.cast.internistKey);
  const adopt = () => asHaddadRecords.adopt(who.hospital, aliceProof.root, aliceProof.leaf, aliceProof.proof);
  detail(
    `Dr. Haddad, while vital signs are not in the hospital's grant: ${await refused(adopt, "RecordAnchorNotPermitted", "her consent does not cover vital signs for him")}`,
  );
  await ConsentClient.connect(story.cast.alicePhone, story.system.deployment).grant({
    patient: who.alice,
    grantee: who.hospital,
    categories: desk.hospitalScope.categories | categorySet(DataCategory.VitalSigns),
    purposes: desk.hospitalScope.purposes,
    validUntil: (await now()) + BigInt(365 * DAY),
  });
  const adopted = await adopt();
  const onChart = await asHaddadRecords.verify(who.alice, aliceLeaf.commitment);
  detail(
    `Alice adds vital signs to the hospital's grant; adopted: ${words(RecordStatus[onChart.status])}, for ${nameOf(onChart.organization)}, dated to the batch, ${when(onChart.anchoredAt)}${gas(adopted.receipt)}`,
  );
}

/** What the toolkit found wrong with a presented record, in words. */
function problems(found: readonly string[]): string {
  const meaning: Record<string, string> = {
    "not-anchored": "no such record was ever anchored",
    superseded: "a newer version supersedes it",
    "entered-in-error": "it was marked entered in error",
    "wrong-patient": "it is another patient's",
    "wrong-category": "it is filed under another category",
  };
  return found.length === 0 ? "nothing wrong" : listed(found.map((problem) => meaning[problem] ?? problem));
}
