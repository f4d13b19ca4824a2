import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { SigningKey } from "ethers";
import { task } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { FhirResource } from "../sdk/records/fhir";
import type { RecordToolkit, VerificationReport } from "../sdk/records/toolkit";
import { DataCategory, Purpose } from "../sdk/consent/scopes";
import { ParticipantKind } from "../sdk/identity/participants";
import { SupersedeReason } from "../sdk/records/codes";
import { keyOption } from "./keys";
import { lookup } from "./lookup";
import {
  ACCOUNT_HELP,
  accountAddress,
  bytes32,
  codeName,
  codesHelp,
  deploymentOf,
  enumNames,
  fail,
  FROM_HELP,
  iso,
  oneOf,
  parsed,
  print,
  readable,
  reasonCode,
  signerFor,
  wholeNumber,
} from "./util";

const CATEGORY_NAMES = oneOf(enumNames(DataCategory));
const PURPOSE_NAMES = oneOf(enumNames(Purpose));
const STORE = "Blob store directory for the encrypted envelopes (default: .careledger/blobs in the project)";
const ENCRYPTION_KEY =
  "secp256k1 private key, 32 bytes of hex: an encryption key, kept apart from account keys, never sent on chain";
const KEY_FILE =
  "instead of --key: a file holding the key, as careledger:keys:new writes it (mode 0600), so that the key never " +
  "appears on a command line or in the shell's history";

/** Connects the record toolkit of the recorded deployment as `--from`, with the blob store at `--store`. */
async function toolkit(hre: HardhatRuntimeEnvironment, from: string, store?: string): Promise<RecordToolkit> {
  const { RecordToolkit } = await import("../sdk/records/toolkit");
  const { DirectoryBlobStore } = await import("../sdk/records/blob-store");
  const root = store === undefined ? path.join(hre.config.paths.root, ".careledger", "blobs") : path.resolve(store);
  return RecordToolkit.connect(await signerFor(hre, from), await deploymentOf(hre), new DirectoryBlobStore(root));
}

/** The participant id the `--from` key controls (0 if none). */
async function participantOf(hre: HardhatRuntimeEnvironment, from: string): Promise<bigint> {
  const { IdentityClient } = await import("../sdk/identity/client");
  const identity = IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre));
  return identity.idOf(await (await signerFor(hre, from)).getAddress());
}

/** The organization the `--from` key acts for: its own id for an organization, else its accepted affiliation. */
async function organizationOf(hre: HardhatRuntimeEnvironment, from: string): Promise<bigint> {
  const { IdentityClient } = await import("../sdk/identity/client");
  const { ParticipantKind } = await import("../sdk/identity/participants");
  const identity = IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre));
  const id = await participantOf(hre, from);
  if (id === 0n) fail(`--from ${from} controls no participant: give --organization`);
  const participant = await identity.participant(id);
  if (participant.kind === ParticipantKind.Organization) return id;
  if (participant.affiliation === 0n)
    fail(`--from ${from} (participant ${id}) acts for no organization: give --organization`);
  return participant.affiliation;
}

/**
 * Runs a toolkit call like `readable`, and also turns the toolkit's own refusals into one readable line: no consent
 * to share, a read denied, a blob missing or corrupt, an envelope the key does not open, a file that is not FHIR
 * JSON, a commitment outside a batch. Anything else (a bug) keeps its stack trace.
 */
async function refusable<T>(body: () => Promise<T>): Promise<T> {
  const { BlobIntegrityError, BlobNotFoundError, InvalidBlobAddressError } = await import("../sdk/records/blob-store");
  const { EnvelopeError } = await import("../sdk/records/envelope");
  const { CanonicalFormError } = await import("../sdk/records/fhir");
  const known = [BlobIntegrityError, BlobNotFoundError, InvalidBlobAddressError, EnvelopeError, CanonicalFormError];
  try {
    return await readable(body);
  } catch (error) {
    if (error instanceof HardhatPluginError || !(error instanceof Error)) throw error;
    // The toolkit refuses with plain `Error`s (no consent, access denied, not in the batch).
    if (error.constructor === Error || known.some((type) => error instanceof type)) fail(error.message);
    throw error;
  }
}

/** An encryption private key option (a secret: a refusal never echoes it). */
async function encryptionKey(option: string, value: string): Promise<{ privateKey: string; publicKey: string }> {
  const { publicKeyOf } = await import("../sdk/records/envelope");
  const hex = bytes32(option, value, true);
  return { privateKey: hex, publicKey: parsed(option, () => publicKeyOf(hex)) };
}

/** A secp256k1 public key option (compressed or uncompressed hex), as compressed `0x` hex. */
function publicKey(option: string, value: string): string {
  const hex = (value.trim().startsWith("0x") ? value.trim().slice(2) : value.trim()).toLowerCase();
  // Lengths first: computePublicKey would take 32 bytes as a private key and derive its public key. 32 bytes here
  // are most likely a private key given by mistake, which the refusal must not print.
  if (/^[0-9a-f]{64}$/.test(hex)) {
    fail(
      `--${option}: 32 bytes of hex is the length of a private key, not a public key (not shown); give the public ` +
        "key careledger:keys:new printed (33 bytes, 02… or 03…)",
    );
  }
  if (!/^(?:0[23][0-9a-f]{64}|04[0-9a-f]{128})$/.test(hex)) {
    fail(`--${option}: "${value}" is not a secp256k1 public key (33 bytes 02…/03… or 65 bytes 04…, in hex)`);
  }
  try {
    return SigningKey.computePublicKey(`0x${hex}`, true);
  } catch {
    fail(`--${option}: 0x${hex.slice(0, 10)}… is not a point on secp256k1`);
  }
}

function publicKeys(option: string, list: string): string[] {
  const items = list.split(",").map((item) => item.trim());
  if (items.some((item) => item === "")) fail(`--${option}: empty public key in "${list}"`);
  return items.map((item) => publicKey(option, item));
}

/**
 * A FHIR JSON file option, parsed (not validated against its FHIR profile). The file is PHI: a refusal names the file
 * and where in it the mistake is (`not valid JSON: … at line 3, column 14`), never its content.
 */
async function fhirFile(option: string, file: string): Promise<FhirResource> {
  const { CanonicalFormError, parseFhirJson } = await import("../sdk/records/fhir");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    fail(`--${option} ${file}: ${(error as Error).message}`);
  }
  try {
    return parseFhirJson(text);
  } catch (error) {
    if (!(error instanceof CanonicalFormError)) throw error;
    fail(`--${option} ${file}: ${error.path === "$" ? "" : `${error.path}: `}${error.problem}`);
  }
}

/** Prints a verification report; the caller fails afterwards if it is not valid. */
async function printReport(report: VerificationReport, extra: Record<string, unknown> = {}): Promise<void> {
  const { RecordStatus } = await import("../sdk/records/client");
  const { record } = report;
  const anchored =
    record.status === RecordStatus.None
      ? {}
      : {
          patient: record.patient,
          category: DataCategory[record.category],
          author: record.author === 0n ? "none (a registrar)" : record.author,
          organization: record.organization === 0n ? "none (patient-generated)" : record.organization,
          anchoredAt: `${iso(record.anchoredAt)}${record.fromBatch ? " (in a batch, adopted)" : ""}`,
          history: `${report.history.length} version(s): ${report.history.join(" → ")}`,
          latest: report.latest === report.commitment ? "this version" : report.latest,
        };
  print(`${report.valid ? "VALID" : "NOT VALID"}: ${report.commitment}`, {
    problems: report.problems.length === 0 ? "none" : report.problems.join(", "),
    status: RecordStatus[record.status],
    ...anchored,
    ...extra,
  });
}

task("careledger:record:anchor", "Author: encrypts a FHIR record into the blob store and anchors its salted commitment")
  .addParam("file", "FHIR JSON file: a resource or a bundle")
  .addParam("patient", "Patient id (the record's namespace: a new version names the patient of the one it supersedes)")
  .addOptionalParam(
    "category",
    "Data category (default: from the resource: its category tag, else its type or code): " + CATEGORY_NAMES,
  )
  .addOptionalParam(
    "readers",
    "Comma-separated secp256k1 public keys to encrypt for (default: the public key of --key)",
  )
  .addOptionalParam("key", `The author's encryption key (${ENCRYPTION_KEY}); its public key is the default reader`)
  .addOptionalParam("keyFile", `The author's encryption key, ${KEY_FILE}`)
  .addOptionalParam("supersedes", "Commitment of the current version this file replaces: anchors a new version")
  .addOptionalParam(
    "reason",
    `With --supersedes, why, by number or name (default correction): ${codesHelp(SupersedeReason)}`,
  )
  .addOptionalParam("store", STORE)
  .addParam("from", `${FROM_HELP} (an active practitioner, organization or device with consent, or the patient)`, "0")
  .setAction(
    async (
      args: {
        file: string;
        patient: string;
        category?: string;
        readers?: string;
        key?: string;
        keyFile?: string;
        supersedes?: string;
        reason?: string;
        store?: string;
        from: string;
      },
      hre,
    ) => {
      const { DecisionBasis, parseCategory } = await import("../sdk/consent/scopes");
      const { categoryOf } = await import("../sdk/records/fhir-scopes");
      const resource = await fhirFile("file", args.file);
      const key = keyOption("key", args.key, args.keyFile);
      const readers =
        args.readers !== undefined
          ? publicKeys("readers", args.readers)
          : key !== undefined
            ? [(await encryptionKey("key", key)).publicKey]
            : fail("give --readers, or --key-file (or --key) to encrypt for yourself");
      /** The category named by --category, else the resource's own. */
      const categoryOption = () =>
        parsed("category", () => {
          if (args.category !== undefined) return parseCategory(args.category);
          try {
            return categoryOf(resource);
          } catch (error) {
            throw new Error(`${(error as Error).message}, or give --category`);
          }
        });
      const patient = wholeNumber("patient", args.patient);
      let plan: { kind: "first"; category: DataCategory } | { kind: "version"; previous: string; reasonCode: number };
      if (args.supersedes === undefined) {
        if (args.reason !== undefined) fail("--reason applies only with --supersedes");
        plan = { kind: "first", category: categoryOption() };
      } else {
        if (args.category !== undefined) {
          fail("--category comes from the version superseded: leave it out with --supersedes");
        }
        const reason =
          args.reason === undefined ? SupersedeReason.Correction : reasonCode("reason", args.reason, SupersedeReason);
        plan = { kind: "version", previous: bytes32("supersedes", args.supersedes), reasonCode: reason };
      }
      const look = await lookup(hre);
      await look.participant("patient", patient, ParticipantKind.Patient);
      if (plan.kind === "version") await look.record("supersedes", patient, plan.previous);
      const records = await toolkit(hre, args.from, args.store);
      let anchored;
      let basis: string;
      if (plan.kind === "version") {
        const { previous, reasonCode } = plan;
        anchored = await refusable(() => records.amendRecord(patient, previous, resource, { readers, reasonCode }));
        basis = `none needed: a new version is its curator's (supersedes ${previous}, reason ${codeName(reasonCode, SupersedeReason)})`;
      } else {
        const { category } = plan;
        const first = await refusable(() => records.anchorRecord(resource, patient, category, { readers }));
        anchored = first;
        basis = first.basis === undefined ? "unknown" : DecisionBasis[first.basis];
      }
      const record = await records.records.verify(patient, anchored.commitment);
      print(`Record ${anchored.commitment} anchored for patient ${record.patient} (${DataCategory[record.category]})`, {
        salt: `${anchored.salt}  (opens the commitment; it is also inside the envelope)`,
        blob: anchored.address,
        pointer: `${anchored.pointer}  (on chain: keccak256 of the blob address)`,
        readers: anchored.envelope.recipients.length,
        basis,
        author: record.author,
        organization: record.organization === 0n ? "none (patient-generated)" : record.organization,
        gasUsed: anchored.receipt.gasUsed,
        tx: anchored.receipt.hash,
      });
    },
  );

task("careledger:record:verify", "Checks a record against the registry: a FHIR file with its salt, or an envelope")
  .addOptionalParam("file", "FHIR JSON file of the document to check (with --salt)")
  .addOptionalParam("salt", "The document's commitment salt, 32 bytes of hex (as record:anchor printed it)")
  .addOptionalParam("blob", "Envelope address in the blob store (sha256:…), to decrypt with --key and check")
  .addOptionalParam("key", `With --blob: the reader's encryption key (${ENCRYPTION_KEY})`)
  .addOptionalParam("keyFile", `With --blob: the reader's encryption key, ${KEY_FILE}`)
  .addOptionalParam(
    "patient",
    "The patient whose namespace to check (with --blob, required; with --file, default: the patient the document names)",
  )
  .addOptionalParam("category", `Expected data category: ${CATEGORY_NAMES}`)
  .addParam("purpose", `With --blob: the purpose of use recorded with the read: ${PURPOSE_NAMES}`, "treatment")
  .addFlag("noRecord", "With --blob: do not record the read on chain")
  .addOptionalParam("store", STORE)
  .addParam("from", `${FROM_HELP} (with --blob: the reader, whose access is recorded)`, "0")
  .setAction(
    async (
      args: {
        file?: string;
        salt?: string;
        blob?: string;
        key?: string;
        keyFile?: string;
        patient?: string;
        category?: string;
        purpose: string;
        noRecord: boolean;
        store?: string;
        from: string;
      },
      hre,
    ) => {
      const { DecisionBasis, parseCategory, parsePurpose } = await import("../sdk/consent/scopes");
      if (args.file !== undefined && args.blob !== undefined) fail("give --file or --blob, not both");
      const expected = {
        patient: args.patient === undefined ? undefined : wholeNumber("patient", args.patient),
        category:
          args.category === undefined ? undefined : parsed("category", () => parseCategory(args.category ?? "")),
      };
      if (expected.patient !== undefined) {
        await (await lookup(hre)).participant("patient", expected.patient, ParticipantKind.Patient);
      }
      let report: VerificationReport;
      let extra: Record<string, unknown> = {};
      if (args.file !== undefined) {
        if (args.key !== undefined || args.keyFile !== undefined || args.noRecord) {
          fail("--key, --key-file and --no-record go with --blob, not --file");
        }
        if (args.salt === undefined) fail("--salt is required with --file");
        const resource = await fhirFile("file", args.file);
        const salt = bytes32("salt", args.salt, true);
        if (expected.patient === undefined) {
          const { patientOf } = await import("../sdk/records/fhir-scopes");
          try {
            patientOf(resource);
          } catch {
            fail("--patient is required: the document names no patient (a urn:careledger:participant-id identifier)");
          }
        }
        const records = await toolkit(hre, args.from, args.store);
        report = await refusable(() => records.verifyRecord({ resource, salt }, expected));
      } else if (args.blob !== undefined) {
        if (args.salt !== undefined) fail("--salt goes with --file; an envelope holds its own salt");
        const key = keyOption("key", args.key, args.keyFile) ?? fail("--key-file (or --key) is required with --blob");
        if (expected.patient === undefined) fail("--patient is required with --blob: the read is recorded in her name");
        const patient = expected.patient;
        const blob = args.blob;
        const { privateKey } = await encryptionKey("key", key);
        const purpose = parsed("purpose", () => parsePurpose(args.purpose));
        const records = await toolkit(hre, args.from, args.store);
        const read = await refusable(() =>
          records.readRecord(patient, blob, privateKey, { purpose, recordAccess: !args.noRecord }),
        );
        // readRecord checks status and history for the patient; a category needs the document checked once more.
        report =
          expected.category !== undefined
            ? await refusable(() => records.verifyRecord({ canonical: read.canonical, salt: read.salt }, expected))
            : read.report;
        const decision = read.decision;
        extra = {
          decrypted: `${read.resource.resourceType}, ${read.canonical.length} canonical bytes`,
          access:
            decision === undefined
              ? "not recorded (--no-record)"
              : `${decision.allowed ? "ALLOWED" : "DENIED"}: ${DecisionBasis[decision.basis]} for ${Purpose[purpose]}` +
                ` (accessor ${decision.accessor}, grantee ${decision.grantee}, ref ${decision.ref}), recorded on chain`,
        };
      } else {
        fail("give either --file with --salt, or --blob with --key");
      }
      await printReport(report, extra);
      if (!report.valid) fail(`the record does not verify: ${report.problems.join(", ")}`);
    },
  );

task("careledger:record:batch", "Organization: encrypts every FHIR bundle of a directory, anchors Merkle batches")
  .addParam("dir", `Directory of FHIR bundles (*.json), each naming its patient by a Patient identifier`)
  .addParam("readers", "Comma-separated secp256k1 public keys every record is encrypted for")
  .addParam("maxBatch", "Most records under one root (1 to 1048576)", "4096")
  .addOptionalParam(
    "threads",
    "Worker threads that seal (0: the main thread; default: one per core from 5,000 files, else 0)",
  )
  .addFlag("list", "Print each anchored file with its commitment")
  .addOptionalParam("store", STORE)
  .addParam("from", `${FROM_HELP} (an active organization)`, "0")
  .setAction(
    async (
      args: {
        dir: string;
        readers: string;
        maxBatch: string;
        threads?: string;
        list: boolean;
        store?: string;
        from: string;
      },
      hre,
    ) => {
      const { SingleBar, Presets } = await import("cli-progress");
      const { MAX_BATCH_RECORDS } = await import("../sdk/records/batch");
      const { categoryNames } = await import("../sdk/consent/scopes");
      const readers = publicKeys("readers", args.readers);
      const maxBatchSize = wholeNumber("max-batch", args.maxBatch);
      if (maxBatchSize === 0n || maxBatchSize > BigInt(MAX_BATCH_RECORDS)) {
        fail(`--max-batch must be 1 to ${MAX_BATCH_RECORDS}, got ${maxBatchSize}`);
      }
      const threads = args.threads === undefined ? undefined : wholeNumber("threads", args.threads);
      if (threads !== undefined && threads > 64n) fail(`--threads must be 0 to 64, got ${threads}`);
      if (!fs.statSync(args.dir, { throwIfNoEntry: false })?.isDirectory()) {
        fail(`--dir ${args.dir} is not a directory`);
      }
      const records = await toolkit(hre, args.from, args.store);
      const organization = await participantOf(hre, args.from);
      const bar = new SingleBar(
        { format: "  {bar} {value}/{total} files  {file}", hideCursor: true },
        Presets.shades_classic,
      );
      const start = performance.now();
      let result;
      try {
        result = await refusable(() =>
          records.anchorDirectory(args.dir, {
            readers,
            maxBatchSize: Number(maxBatchSize),
            threads: threads === undefined ? undefined : Number(threads),
            onProgress: ({ done, total, file }) => {
              if (!bar.isActive) bar.start(total, 0, { file });
              bar.update(done, { file });
            },
          }),
        );
      } finally {
        if (bar.isActive) bar.stop();
      }
      const seconds = (performance.now() - start) / 1000;
      console.log(
        `${result.anchored} record(s) anchored in ${result.batches.length} batch(es), ${result.skipped.length} file(s) ` +
          `skipped, in ${seconds.toFixed(1)} s (${Math.round(result.anchored / seconds)} records/s: sealing, ` +
          `storing and anchoring)`,
      );
      result.batches.forEach((batch, index) => {
        print(`Batch ${index + 1} of ${result.batches.length}: root ${batch.root}`, {
          count: batch.count,
          categories: categoryNames(batch.categories).join(", "),
          manifest: batch.manifestAddress,
          pointer: batch.pointer,
          gasUsed: `${batch.receipt.gasUsed} (${batch.receipt.gasUsed / BigInt(batch.count)} per record)`,
          tx: batch.receipt.hash,
          next:
            `npx hardhat careledger:record:prove --organization ${organization} --manifest ` +
            `${batch.manifestAddress} --commitment <a record's> --network ${hre.network.name}`,
        });
        if (args.list) for (const record of batch.records) console.log(`    ${record.file}  ${record.commitment}`);
      });
      if (result.skipped.length > 0) {
        print("Skipped", Object.fromEntries(result.skipped.map((skipped) => [skipped.file, skipped.reason])));
      }
    },
  );

task("careledger:record:prove", "Proves a record is in an anchored batch, from the batch's manifest; checks on chain")
  .addParam("organization", "The organization whose batch it is (a batch is its organization's and its root's)")
  .addParam("manifest", "Blob address of the batch manifest (sha256:…, as record:batch printed it)")
  .addParam("commitment", "The record's commitment")
  .addOptionalParam("store", STORE)
  .setAction(async (args: { organization: string; manifest: string; commitment: string; store?: string }, hre) => {
    const organization = wholeNumber("organization", args.organization);
    const commitment = bytes32("commitment", args.commitment);
    await (await lookup(hre)).participant("organization", organization);
    const records = await toolkit(hre, "0", args.store);
    const proof = await refusable(() => records.proveInclusion(organization, args.manifest, commitment));
    const batch = await records.records.batch(organization, proof.root);
    print(`${proof.included ? "INCLUDED" : "NOT INCLUDED"}: ${commitment} in batch ${proof.root}`, {
      patient: proof.leaf.patient,
      category: DataCategory[proof.leaf.category],
      batch:
        batch.organization === 0n
          ? `not anchored by organization ${organization}`
          : `${batch.count} record(s) of organization ${batch.organization}, anchored ${iso(batch.anchoredAt)}`,
      envelope: proof.address ?? "not in the manifest",
      proof: `${proof.proof.length} sibling hash(es), from the leaf up`,
      ...Object.fromEntries(proof.proof.map((hash, index) => [`  [${index}]`, hash])),
    });
    if (!proof.included) fail("the registry does not accept this proof");
  });

task("careledger:record:adopt", "Organization: gives a proven record of its batch an anchor on the patient's chart")
  .addOptionalParam(
    "organization",
    "The organization whose batch it is (default: the signer's own organization, or a practitioner's or device's)",
  )
  .addParam("manifest", "Blob address of the batch manifest (sha256:…, as record:batch printed it)")
  .addParam("commitment", "The record's commitment")
  .addOptionalParam("store", STORE)
  .addParam(
    "from",
    `${FROM_HELP} (the batch's organization, or one of its practitioners or devices; the patient's consent decides)`,
    "0",
  )
  .setAction(
    async (
      args: { organization?: string; manifest: string; commitment: string; store?: string; from: string },
      hre,
    ) => {
      const { batchProof } = await import("../sdk/records/batch");
      const { DecisionBasis } = await import("../sdk/consent/scopes");
      const commitment = bytes32("commitment", args.commitment);
      const records = await toolkit(hre, args.from, args.store);
      const organization =
        args.organization === undefined
          ? await organizationOf(hre, args.from)
          : wholeNumber("organization", args.organization);
      if (args.organization !== undefined) await (await lookup(hre)).participant("organization", organization);
      const { manifest, batch } = await refusable(() => records.loadManifest(args.manifest));
      const { leaf, proof } = await refusable(() => Promise.resolve(batchProof(batch, commitment)));
      const { receipt } = await readable(() => records.records.adopt(organization, batch.root, leaf, proof));
      const adopted = receipt.logs
        .map((log) => records.records.registry.interface.parseLog(log))
        .find((parsed) => parsed?.name === "RecordAdopted");
      const basis = adopted === undefined || adopted === null ? undefined : (adopted.args.basis as bigint);
      print(`Record ${commitment} adopted on patient ${leaf.patient}'s chart`, {
        category: DataCategory[leaf.category],
        batch: `${batch.root} of organization ${organization}`,
        basis: basis === undefined ? "unknown" : DecisionBasis[Number(basis)],
        envelope: manifest.blobs[leaf.commitment.toLowerCase()] ?? "not in the manifest",
        next:
          `npx hardhat careledger:record:history --patient ${leaf.patient} --commitment ${commitment} ` +
          `--network ${hre.network.name}`,
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

task("careledger:record:history", "Every version of a patient's record, first to latest, and its access trail")
  .addParam("patient", "Patient id (the record's namespace)")
  .addParam("commitment", "Commitment of any version of the record")
  .setAction(async (args: { patient: string; commitment: string }, hre) => {
    const { EnteredInErrorReason, RecordStatus } = await import("../sdk/records/client");
    const { DecisionBasis } = await import("../sdk/consent/scopes");
    const patient = wholeNumber("patient", args.patient);
    const commitment = bytes32("commitment", args.commitment);
    const look = await lookup(hre);
    await look.participant("patient", patient, ParticipantKind.Patient);
    await look.record("commitment", patient, commitment);
    const records = (await toolkit(hre, "0")).records;
    const versions = await readable(() => records.history(patient, commitment));
    console.log(`Record with ${versions.length} version(s), first to latest`);
    for (const [index, version] of versions.entries()) {
      const record = await records.verify(patient, version);
      const event = await records.versionEvent(patient, version);
      print(`Version ${index + 1}: ${version}${version === commitment ? "  (asked)" : ""}`, {
        status: RecordStatus[record.status],
        patient: record.patient,
        category: DataCategory[record.category],
        author: record.author === 0n ? "none (a registrar)" : record.author,
        organization: record.organization === 0n ? "none (patient-generated)" : record.organization,
        anchoredAt: iso(record.anchoredAt),
        ...(event === undefined
          ? { pointer: "none of its own: adopted from a batch, whose pointer locates the manifest" }
          : {
              pointer: event.pointer,
              [event.basis === undefined ? "reason" : "basis"]:
                event.basis === undefined
                  ? codeName(event.reasonCode ?? 0, SupersedeReason)
                  : DecisionBasis[event.basis],
              tx: event.transactionHash,
            }),
        ...(record.status === RecordStatus.EnteredInError
          ? { errorReason: codeName(record.errorReason, EnteredInErrorReason) }
          : {}),
      });
    }
    const trail = (await Promise.all(versions.map((version) => records.accessTrail(patient, version)))).flatMap(
      (events, index) => events.map((event) => ({ ...event, version: index + 1 })),
    );
    trail.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    console.log(`Access trail: ${trail.length} read(s)`);
    for (const [index, event] of trail.entries()) {
      print(`Access ${index + 1}: ${event.allowed ? "ALLOWED" : "DENIED"}, accessor ${event.accessor}`, {
        version: `${event.version} (${versions[event.version - 1]})`,
        basis: DecisionBasis[event.basis],
        purpose: Purpose[event.purpose],
        grantee: event.grantee === 0n ? "none" : event.grantee,
        block: event.blockNumber,
        tx: event.transactionHash,
      });
    }
  });

task("careledger:record:share", "Wraps a record's key for a reader the patient consented to; stores the new envelope")
  .addParam("patient", "The record's patient (whose consent decides)")
  .addParam("blob", "Envelope address in the blob store (sha256:…)")
  .addOptionalParam("key", `The sharer's encryption key (${ENCRYPTION_KEY}): one the envelope is wrapped for`)
  .addOptionalParam("keyFile", `The sharer's encryption key, ${KEY_FILE}`)
  .addParam("reader", `The new reader's account: ${ACCOUNT_HELP}`)
  .addParam("readerKey", "The new reader's encryption public key (secp256k1, hex, compressed or uncompressed)")
  .addParam("purpose", `The purpose of use the reader's consent must allow: ${PURPOSE_NAMES}`, "treatment")
  .addOptionalParam("store", STORE)
  .setAction(
    async (
      args: {
        patient: string;
        blob: string;
        key?: string;
        keyFile?: string;
        reader: string;
        readerKey: string;
        purpose: string;
        store?: string;
      },
      hre,
    ) => {
      const patient = wholeNumber("patient", args.patient);
      const { parsePurpose } = await import("../sdk/consent/scopes");
      const { recipientsOf } = await import("../sdk/records/envelope");
      const key = keyOption("key", args.key, args.keyFile) ?? fail("give --key-file (or --key): the sharer's key");
      const { privateKey } = await encryptionKey("key", key);
      const reader = {
        account: await accountAddress(hre, "reader", args.reader),
        publicKey: publicKey("reader-key", args.readerKey),
      };
      const purpose = parsed("purpose", () => parsePurpose(args.purpose));
      await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
      const records = await toolkit(hre, "0", args.store);
      const shared = await refusable(() => records.shareRecord(patient, args.blob, privateKey, [reader], purpose));
      print(`Record ${shared.envelope.commitment} shared with ${reader.account} for ${Purpose[purpose]}`, {
        envelope: shared.address,
        readers: recipientsOf(shared.envelope).length,
        ciphertext: "unchanged: only the record key was wrapped once more",
        next:
          `npx hardhat careledger:record:verify --patient ${patient} --blob ${shared.address} ` +
          `--key-file <the reader's key file> --from ${reader.account} --network ${hre.network.name}`,
      });
    },
  );
