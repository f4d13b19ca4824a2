import fs from "node:fs/promises";

import { type BigNumberish, type BytesLike, type ContractRunner, toUtf8Bytes } from "ethers";

import { IdentityRegistry__factory } from "../../typechain-types";
import { ConsentClient, type DecisionInfo } from "../consent/client";
import { DataCategory, DecisionBasis, Purpose } from "../consent/scopes";
import type { Deployment } from "../core/deployment";
import type { Sent } from "../core/transactions";
import { ParticipantKind, toKind } from "../identity/participants";
import {
  type Batch,
  type BatchManifest,
  batchManifest,
  batchProof,
  buildBatch,
  loadBatch,
  MAX_BATCH_RECORDS,
} from "./batch";
import { blobPointer, type BlobStore } from "./blob-store";
import { type BatchLeafValues, RecordClient, type RecordInfo, RecordStatus, SupersedeReason } from "./client";
import { decodeEnvelope, encodeEnvelope, type Envelope, addRecipients, openEnvelope, sealRecord } from "./envelope";
import { canonicalBytes, type FhirResource, parseFhirBytes, recordCommitment } from "./fhir";
import { jsonSyntaxMessage } from "./json-syntax";
import { patientOf } from "./fhir-scopes";
import { sealDirectory } from "./seal-pool";

/** A record as anchored by `anchorRecord`: what the author keeps (the salt stays inside the envelope too). */
export interface AnchoredRecord extends Sent {
  commitment: string;
  salt: string;
  /** The envelope's content address in the blob store. */
  address: string;
  /** The pointer commitment put on chain: keccak256 of the address. */
  pointer: string;
  basis?: DecisionBasis;
  envelope: Envelope;
}

/** What can be wrong with a document presented for verification. */
export type VerificationProblem =
  /** No version of any record has this commitment: the document, its salt, or both differ from what was anchored. */
  | "not-anchored"
  /** A later version supersedes this one. */
  | "superseded"
  /** The version was marked entered-in-error. */
  | "entered-in-error"
  /** The anchor is for another patient than the one expected. */
  | "wrong-patient"
  /** The anchor is for another category than the one expected. */
  | "wrong-category";

export interface VerificationReport {
  commitment: string;
  /** Anchored, current, and as expected. */
  valid: boolean;
  problems: VerificationProblem[];
  /** The registry's answer (status `None` when not anchored). */
  record: RecordInfo;
  /** Every version of the record, first to latest (empty when not anchored). */
  history: string[];
  /** The latest version (undefined when not anchored). */
  latest?: string;
}

/** A document as its holder has it: the FHIR resource (or its canonical bytes) and the salt from its envelope. */
export interface RecordDocument {
  resource?: FhirResource;
  canonical?: Uint8Array;
  salt: BytesLike;
}

export interface ReadRecord {
  resource: FhirResource;
  canonical: Uint8Array;
  salt: string;
  commitment: string;
  report: VerificationReport;
  /** The access decision recorded on chain, when the read was recorded. */
  decision?: DecisionInfo;
}

/** A reader to wrap record keys for: its secp256k1 public key, and the account whose consent decides. */
export interface Reader {
  account: string;
  publicKey: string;
}

export interface BatchProgress {
  done: number;
  total: number;
  file: string;
}

export interface AnchoredBatch extends Sent {
  root: string;
  count: number;
  categories: number;
  manifestAddress: string;
  pointer: string;
  /** The files of the batch, in leaf order, with each record's commitment. */
  records: { file: string; commitment: string; patient: bigint; category: DataCategory }[];
}

export interface DirectoryBatchResult {
  batches: AnchoredBatch[];
  /** Files that could not be read as a FHIR bundle with a patient and a category, with the reason. */
  skipped: { file: string; reason: string }[];
  /** Records anchored in all batches. */
  anchored: number;
}

/**
 * The off-chain record toolkit: FHIR records canonicalized (RFC 8785), committed with a fresh salt, sealed in an
 * envelope (AES-256-GCM, key wrapped per reader with ECIES on secp256k1), stored content-addressed, and anchored
 * through the RecordRegistry; and the reverse: read, decrypt, verify. Sharing follows consent: `consentedReaders`
 * keeps only the readers whose consent decision allows the category now, and `shareRecord` wraps the key for a new
 * reader. Revocation cannot un-share what a reader has already decrypted; new versions are simply not wrapped for
 * a reader whose consent was revoked.
 */
export class RecordToolkit {
  constructor(
    readonly records: RecordClient,
    readonly consent: ConsentClient,
    readonly store: BlobStore,
  ) {}

  static connect(
    runner: ContractRunner,
    deployment: Pick<Deployment, "recordRegistry" | "consentRegistry" | "breakGlass">,
    store: BlobStore,
  ): RecordToolkit {
    return new RecordToolkit(
      RecordClient.connect(runner, deployment),
      ConsentClient.connect(runner, deployment),
      store,
    );
  }

  /** The same toolkit acting through another signer. */
  as(runner: ContractRunner): RecordToolkit {
    return new RecordToolkit(this.records.as(runner), this.consent.as(runner), this.store);
  }

  /** Canonicalize, commit, encrypt for `readers`, store, and anchor the first version of a record. */
  async anchorRecord(
    resource: FhirResource,
    patient: BigNumberish,
    category: DataCategory,
    options: { readers: readonly string[] },
  ): Promise<AnchoredRecord> {
    const sealed = await this.seal(resource, options.readers);
    const { receipt, basis } = await this.records.anchor({
      patient,
      commitment: sealed.commitment,
      category,
      pointer: sealed.pointer,
    });
    return { ...sealed, receipt, basis };
  }

  /**
   * Anchors `resource` as the new version of the patient's current version `previous` (the caller must be its
   * curator). The new version is wrapped for `readers` only: leave out anyone whose consent was revoked
   * (`consentedReaders`). With `amendmentRequest`, the version answers the patient's request (accepts it).
   */
  async amendRecord(
    patient: BigNumberish,
    previous: string,
    resource: FhirResource,
    options: { readers: readonly string[]; reasonCode?: number; amendmentRequest?: BigNumberish },
  ): Promise<AnchoredRecord> {
    const sealed = await this.seal(resource, options.readers);
    const { receipt } =
      options.amendmentRequest === undefined
        ? await this.records.supersede({
            patient,
            previous,
            commitment: sealed.commitment,
            pointer: sealed.pointer,
            reasonCode: options.reasonCode ?? SupersedeReason.Correction,
          })
        : await this.records.acceptAmendment(options.amendmentRequest, sealed.commitment, sealed.pointer);
    return { ...sealed, receipt };
  }

  /**
   * Fetches an envelope of `patient`'s record, records the read on chain (unless `recordAccess` is false), decrypts
   * it with `privateKey` and verifies the document against the registry. A read the consent registry denies is
   * recorded as denied and throws before anything is decrypted.
   */
  async readRecord(
    patient: BigNumberish,
    address: string,
    privateKey: BytesLike,
    options: { purpose?: Purpose; recordAccess?: boolean } = {},
  ): Promise<ReadRecord> {
    const envelope = decodeEnvelope(await this.store.get(address));
    let decision: DecisionInfo | undefined;
    if (options.recordAccess ?? true) {
      decision = (await this.records.recordAccess(patient, envelope.commitment, options.purpose ?? Purpose.Treatment))
        .decision;
      if (!decision.allowed) {
        throw new Error(
          `access to ${envelope.commitment} denied (${DecisionBasis[decision.basis]}); recorded on chain`,
        );
      }
    }
    const opened = openEnvelope(envelope, privateKey);
    const resource = parseFhirBytes(opened.canonical);
    const report = await this.verifyRecord({ canonical: opened.canonical, salt: opened.salt }, { patient });
    return {
      resource,
      canonical: opened.canonical,
      salt: opened.salt,
      commitment: opened.commitment,
      report,
      decision,
    };
  }

  /**
   * Recomputes the commitment of a document and asks the registry, in the namespace of `expected.patient` (or of the
   * patient the document names): anchored or not, current or superseded or entered in error, and (if `expected`
   * says) in the right category. Any changed byte, a swapped salt, a document anchored for another patient and a
   * superseded version each show as a problem.
   */
  async verifyRecord(
    document: RecordDocument,
    expected: { patient?: BigNumberish; category?: DataCategory } = {},
  ): Promise<VerificationReport> {
    const canonical =
      document.canonical ?? (document.resource === undefined ? undefined : canonicalBytes(document.resource));
    if (canonical === undefined) throw new Error("verifyRecord needs the resource or its canonical bytes");
    const { commitment } = recordCommitment(canonical, document.salt);
    const named = documentPatient(canonical);
    const patient = expected.patient === undefined ? named : BigInt(expected.patient);
    if (patient === undefined) {
      throw new Error("verifyRecord needs the patient: the document names none (a PARTICIPANT_ID_SYSTEM identifier)");
    }
    let record = await this.records.verify(patient, commitment);
    const problems: VerificationProblem[] = [];
    // A document about another patient than the one expected is a problem wherever it is anchored, a copy anchored
    // under the expected patient's id included.
    if (named !== undefined && named !== patient) problems.push("wrong-patient");
    if (record.status === RecordStatus.None) {
      // Anchored, but for the patient the document names rather than the one expected?
      const elsewhere =
        named !== undefined && named !== patient ? await this.records.verify(named, commitment) : record;
      if (elsewhere.status === RecordStatus.None) {
        return { commitment, valid: false, problems: ["not-anchored", ...problems], record, history: [] };
      }
      record = elsewhere;
    }
    if (record.status === RecordStatus.Superseded) problems.push("superseded");
    if (record.status === RecordStatus.EnteredInError) problems.push("entered-in-error");
    if (expected.category !== undefined && record.category !== expected.category) problems.push("wrong-category");
    const history = await this.records.history(record.patient, commitment);
    return { commitment, valid: problems.length === 0, problems, record, history, latest: history[history.length - 1] };
  }

  /**
   * Wraps the record key of the envelope at `address` for new readers, with the key of a reader who can open it,
   * and stores the extended envelope (the ciphertext is unchanged; its address is new). Readers whose consent
   * decision does not allow the record's category for `purpose` are refused.
   */
  async shareRecord(
    patient: BigNumberish,
    address: string,
    privateKey: BytesLike,
    readers: readonly Reader[],
    purpose: Purpose = Purpose.Treatment,
  ): Promise<{ address: string; envelope: Envelope }> {
    const envelope = decodeEnvelope(await this.store.get(address));
    const record = await this.records.verify(patient, envelope.commitment);
    if (record.status === RecordStatus.None) throw new Error(`${envelope.commitment} is not anchored`);
    const allowed = await this.consentedReaders(record.patient, record.category, readers, purpose);
    const refused = readers.filter((reader) => !allowed.includes(reader));
    if (refused.length > 0) {
      throw new Error(`no consent to share with ${refused.map((reader) => reader.account).join(", ")}`);
    }
    const shared = addRecipients(
      envelope,
      privateKey,
      readers.map((reader) => reader.publicKey),
    );
    return { address: await this.store.put(encodeEnvelope(shared)), envelope: shared };
  }

  /** The readers whose consent decision allows `category` of `patient` for `purpose` now. */
  async consentedReaders(
    patient: BigNumberish,
    category: DataCategory,
    readers: readonly Reader[],
    purpose: Purpose = Purpose.Treatment,
  ): Promise<Reader[]> {
    const decisions = await Promise.all(
      readers.map((reader) => this.consent.decide(patient, reader.account, category, purpose)),
    );
    return readers.filter((_, index) => decisions[index]?.allowed === true);
  }

  /**
   * Anchors every `*.json` FHIR bundle of `directory` (sorted by name) as Merkle batches of at most `maxBatchSize`
   * records: each bundle is canonicalized, committed, sealed for `readers` and stored; each batch's manifest (tree,
   * blob addresses) is stored too and its pointer anchored with the root. The caller must be an active
   * organization: its id, read from the identity registry before anything is sealed, is named in every leaf (as the
   * registry checks on adoption); `options.organization`, if given, must be that id. Each bundle names its patient
   * with a `PARTICIPANT_ID_SYSTEM` identifier and its category by tag or content (`categoryOf`); bundles that do not
   * are skipped and reported. Sealing and storing run ahead of batching, in worker threads for large directories
   * (`sealDirectory`); the batches, skips and progress are those of a sequential run.
   */
  async anchorDirectory(
    directory: string,
    options: {
      /** The caller's organization id, checked against the identity registry (read from it when absent). */
      organization?: BigNumberish;
      readers: readonly string[];
      maxBatchSize?: number;
      onProgress?: (progress: BatchProgress) => void;
      /**
       * Worker threads to seal with: by default one per core from `PARALLEL_SEALING_FROM` (5,000) files, else none
       * (0: this thread seals); see `sealDirectory` for when they pay off.
       */
      threads?: number;
    },
  ): Promise<DirectoryBatchResult> {
    const maxBatchSize = options.maxBatchSize ?? 4096;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > MAX_BATCH_RECORDS) {
      throw new Error(`maxBatchSize must be a whole number in [1, ${MAX_BATCH_RECORDS}], got ${maxBatchSize}`);
    }
    const organization = await this.callerOrganization(options.organization);
    const files = (await fs.readdir(directory)).filter((name) => name.endsWith(".json")).sort();
    const skipped: DirectoryBatchResult["skipped"] = [];
    const pending: { file: string; leaf: BatchLeafValues; address: string }[] = [];
    const batches: AnchoredBatch[] = [];
    let done = 0;
    for await (const stored of sealDirectory(directory, files, this.store, options)) {
      if (stored.reason !== undefined) skipped.push({ file: stored.file, reason: stored.reason });
      else pending.push(stored);
      options.onProgress?.({ done: ++done, total: files.length, file: stored.file });
      if (pending.length === maxBatchSize) batches.push(await this.anchorBatch(organization, pending.splice(0)));
    }
    if (pending.length > 0) batches.push(await this.anchorBatch(organization, pending.splice(0)));
    return { batches, skipped, anchored: batches.reduce((sum, batch) => sum + batch.count, 0) };
  }

  /** Reads a batch manifest from the store and checks it against its root. */
  async loadManifest(address: string): Promise<{ manifest: BatchManifest; batch: Batch }> {
    const bytes = await this.store.get(address);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new Error(`the batch manifest ${address} is not UTF-8 text`);
    }
    let manifest: BatchManifest;
    try {
      manifest = JSON.parse(text) as BatchManifest;
    } catch {
      // Not JSON.parse's message, which quotes the text: where the mistake is.
      throw new Error(`the batch manifest ${address} is ${jsonSyntaxMessage(text)}`);
    }
    return { manifest, batch: loadBatch(manifest) };
  }

  /**
   * The inclusion proof of `commitment` in `organization`'s batch whose manifest is at `manifestAddress`, checked on
   * chain.
   */
  async proveInclusion(
    organization: BigNumberish,
    manifestAddress: string,
    commitment: string,
  ): Promise<{ root: string; leaf: BatchLeafValues; proof: string[]; included: boolean; address?: string }> {
    const { manifest, batch } = await this.loadManifest(manifestAddress);
    if (batch.organization !== BigInt(organization)) {
      throw new Error(`the manifest is organization ${batch.organization}'s batch, not ${BigInt(organization)}'s`);
    }
    const { leaf, proof } = batchProof(batch, commitment);
    const included = await this.records.verifyInclusion(organization, batch.root, leaf, proof);
    return { root: batch.root, leaf, proof, included, address: manifest.blobs[leaf.commitment] };
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private async seal(
    resource: FhirResource,
    readers: readonly string[],
  ): Promise<{ commitment: string; salt: string; address: string; pointer: string; envelope: Envelope }> {
    const { envelope, salt, commitment } = sealRecord(canonicalBytes(resource), readers);
    const address = await this.store.put(encodeEnvelope(envelope));
    return {
      commitment,
      salt,
      address,
      pointer: blobPointer(address),
      envelope,
    };
  }

  /**
   * The runner's organization id, before anything is sealed or stored: an active organization's, and the expected
   * one if given.
   */
  private async callerOrganization(expected?: BigNumberish): Promise<bigint> {
    const runner = this.records.registry.runner;
    const signer =
      runner !== null && "getAddress" in runner ? (runner as { getAddress(): Promise<string> }) : undefined;
    if (signer === undefined)
      throw new Error("anchoring a batch needs a signer: connect the toolkit to the organization's key");
    const account = await signer.getAddress();
    const identity = IdentityRegistry__factory.connect(await this.records.registry.identityRegistry(), runner);
    const [id, kind, , active] = await identity.accountStanding(account, await this.consent.latestTime());
    if (id === 0n || toKind(kind) !== ParticipantKind.Organization || !active) {
      throw new Error(`${account} is not the key of an active organization: only an organization anchors its batches`);
    }
    if (expected !== undefined && BigInt(expected) !== id) {
      throw new Error(
        `${account} controls organization ${id}, not ${BigInt(expected)}: a batch names its own organization`,
      );
    }
    return id;
  }

  private async anchorBatch(
    organization: bigint,
    pending: { file: string; leaf: BatchLeafValues; address: string }[],
  ): Promise<AnchoredBatch> {
    const batch = buildBatch(
      organization,
      pending.map((item) => item.leaf),
    );
    const blobs = Object.fromEntries(pending.map((item) => [item.leaf.commitment.toLowerCase(), item.address]));
    const manifestAddress = await this.store.put(toUtf8Bytes(JSON.stringify(batchManifest(batch, blobs))));
    const pointer = blobPointer(manifestAddress);
    const { receipt } = await this.records.anchorBatch({
      root: batch.root,
      count: batch.count,
      categories: batch.categories,
      pointer,
    });
    return {
      receipt,
      root: batch.root,
      count: batch.count,
      categories: batch.categories,
      manifestAddress,
      pointer,
      records: pending.map((item) => ({ file: item.file, ...item.leaf })),
    };
  }
}

/** The patient a canonical FHIR document names (its `PARTICIPANT_ID_SYSTEM` identifier), or undefined. */
function documentPatient(canonical: Uint8Array): bigint | undefined {
  try {
    return patientOf(parseFhirBytes(canonical));
  } catch {
    return undefined;
  }
}
