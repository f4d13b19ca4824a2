import {
  type BigNumberish,
  type BytesLike,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  hexlify,
} from "ethers";

import { type RecordRegistry, RecordRegistry__factory } from "../../typechain-types";
import type { DecisionInfo } from "../consent/client";
import { DataCategory, DecisionBasis, Purpose, toBasis } from "../consent/scopes";
import type { Deployment } from "../core/deployment";
import { enumMember } from "../core/enums";
import { withDecodedErrors } from "../core/errors";
import { queryFilterChunked } from "../core/logs";
import { eventValue, mined, type Sent } from "../core/transactions";

/** Where one anchored version of a record stands (mirrors `RecordStatus` in contracts/records/Record.sol). */
export enum RecordStatus {
  None = 0,
  Current = 1,
  Superseded = 2,
  EnteredInError = 3,
}

/** Where a patient's amendment request stands (mirrors `AmendmentStatus`). */
export enum AmendmentStatus {
  None = 0,
  Pending = 1,
  Accepted = 2,
  Denied = 3,
  Withdrawn = 4,
}

export const toRecordStatus = (value: bigint | number): RecordStatus => enumMember(RecordStatus, "RecordStatus", value);
export const toAmendmentStatus = (value: bigint | number): AmendmentStatus =>
  enumMember(AmendmentStatus, "AmendmentStatus", value);

export { AmendmentDenialReason, EnteredInErrorReason, SupersedeReason } from "./codes";

/** What the registry knows about one commitment. */
export interface RecordInfo {
  commitment: string;
  status: RecordStatus;
  patient: bigint;
  /** Who anchored this version; 0 for a registrar's correction without a participant id. */
  author: bigint;
  /** The organization the record was anchored under; 0 for patient-generated data. */
  organization: bigint;
  category: DataCategory;
  anchoredAt: bigint;
  fromBatch: boolean;
  /** The version this one supersedes; undefined for a first version. */
  previous?: string;
  /** The version that supersedes this one; undefined unless superseded. */
  next?: string;
  /** Why it was entered in error; 0 otherwise. */
  errorReason: number;
}

/** One record inside a Merkle batch: the leaf values `(commitment, patient, category)`. */
export interface BatchLeafValues {
  commitment: string;
  patient: bigint;
  category: DataCategory;
}

export interface BatchInfo {
  root: string;
  /** 0 if no batch has the root. */
  organization: bigint;
  anchoredAt: bigint;
  count: number;
  categories: number;
}

export interface AmendmentInfo {
  requestId: bigint;
  record: string;
  patient: bigint;
  status: AmendmentStatus;
  requestedAt: bigint;
  answeredAt: bigint;
  denialReason: number;
  amendedVersion?: string;
}

/** One version as its anchoring event tells it: who, when (block), where the blob lives (the pointer commitment). */
export interface VersionEvent {
  commitment: string;
  previous?: string;
  author: bigint;
  pointer: string;
  /** The consent basis for a first version; undefined for later versions and adopted batch records. */
  basis?: DecisionBasis;
  /** The reason code for a later version. */
  reasonCode?: number;
  blockNumber: number;
  transactionHash: string;
}

/** One access in a record's trail. */
export interface AccessEvent extends DecisionInfo {
  commitment: string;
  patient: bigint;
  purpose: Purpose;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

const ZERO = "0x" + "00".repeat(32);
const optional = (hash: string): string | undefined => (hash === ZERO ? undefined : hash);

/**
 * Typed client of the RecordRegistry. Writes wait for the receipt and rethrow reverts as `CareLedgerError`; views
 * return plain objects with TypeScript enums.
 */
export class RecordClient {
  /**
   * @param since the block event scans start from by default: the deployment's first block (`deployedAtBlock`), so
   *   that a long chain is not read from its genesis.
   */
  constructor(
    readonly registry: RecordRegistry,
    readonly since = 0,
  ) {}

  static connect(
    runner: ContractRunner,
    deployment: Pick<Deployment, "recordRegistry" | "deployedAtBlock">,
  ): RecordClient {
    return new RecordClient(
      RecordRegistry__factory.connect(deployment.recordRegistry, runner),
      deployment.deployedAtBlock ?? 0,
    );
  }

  /** The same registry, acting through another runner (signer). */
  as(runner: ContractRunner): RecordClient {
    return new RecordClient(this.registry.connect(runner), this.since);
  }

  // ---- anchoring and versions ------------------------------------------------------------------------------

  /** Anchors the first version of a record; returns the consent basis that allowed it. */
  async anchor(anchor: {
    patient: BigNumberish;
    commitment: BytesLike;
    category: DataCategory;
    pointer: BytesLike;
  }): Promise<Sent & { basis: DecisionBasis }> {
    const receipt = await this.mine(() =>
      this.registry.anchor(anchor.patient, anchor.commitment, anchor.category, anchor.pointer),
    );
    return { receipt, basis: toBasis(this.eventArg(receipt, "RecordAnchored", "basis")) };
  }

  /** Anchors `commitment` as the new version of the patient's current version `previous` (curator only). */
  supersede(version: {
    patient: BigNumberish;
    previous: BytesLike;
    commitment: BytesLike;
    pointer: BytesLike;
    reasonCode: number;
  }): Promise<Sent> {
    return this.send(() =>
      this.registry.supersede(
        version.patient,
        version.previous,
        version.commitment,
        version.pointer,
        version.reasonCode,
      ),
    );
  }

  /** As `supersede`, by a registrar (REGISTRAR role). */
  registrarSupersede(version: {
    patient: BigNumberish;
    previous: BytesLike;
    commitment: BytesLike;
    pointer: BytesLike;
    reasonCode: number;
  }): Promise<Sent> {
    return this.send(() =>
      this.registry.registrarSupersede(
        version.patient,
        version.previous,
        version.commitment,
        version.pointer,
        version.reasonCode,
      ),
    );
  }

  markEnteredInError(patient: BigNumberish, commitment: BytesLike, reasonCode: number): Promise<Sent> {
    return this.send(() => this.registry.markEnteredInError(patient, commitment, reasonCode));
  }

  registrarMarkEnteredInError(patient: BigNumberish, commitment: BytesLike, reasonCode: number): Promise<Sent> {
    return this.send(() => this.registry.registrarMarkEnteredInError(patient, commitment, reasonCode));
  }

  // ---- batches ---------------------------------------------------------------------------------------------

  anchorBatch(batch: { root: BytesLike; count: number; categories: number; pointer: BytesLike }): Promise<Sent> {
    return this.send(() => this.registry.anchorBatch(batch.root, batch.count, batch.categories, batch.pointer));
  }

  /**
   * Gives a proven member of `organization`'s batch an anchor of its own: by the organization or one of its
   * practitioners or devices, under the same consent decision as an anchor.
   */
  adopt(organization: BigNumberish, root: BytesLike, leaf: BatchLeafValues, proof: readonly string[]): Promise<Sent> {
    return this.send(() => this.registry.adopt(organization, root, leaf, [...proof]));
  }

  // ---- access trail ----------------------------------------------------------------------------------------

  /** Records a read of the record by the runner's key; never reverts on a denial. Returns the decision. */
  async recordAccess(
    patient: BigNumberish,
    commitment: BytesLike,
    purpose: Purpose,
  ): Promise<Sent & { decision: DecisionInfo }> {
    const receipt = await this.mine(() => this.registry.recordAccess(patient, commitment, purpose));
    for (const log of receipt.logs) {
      const parsed = this.registry.interface.parseLog(log);
      if (parsed?.name === "RecordAccessGranted" || parsed?.name === "RecordAccessDenied") {
        const args = parsed.args;
        const allowed = parsed.name === "RecordAccessGranted";
        return {
          receipt,
          decision: {
            allowed,
            basis: toBasis(args.basis as bigint),
            accessor: args.accessor as bigint,
            grantee: args.grantee as bigint,
            ref: allowed ? (args.ref as bigint) : 0n,
          },
        };
      }
    }
    throw new Error(`transaction ${receipt.hash} recorded no access`);
  }

  // ---- amendments ------------------------------------------------------------------------------------------

  async requestAmendment(
    patient: BigNumberish,
    record: BytesLike,
    requestCommitment: BytesLike,
  ): Promise<Sent & { requestId: bigint }> {
    const receipt = await this.mine(() => this.registry.requestAmendment(patient, record, requestCommitment));
    return { receipt, requestId: this.eventArg(receipt, "AmendmentRequested", "requestId") };
  }

  acceptAmendment(requestId: BigNumberish, amendedVersion: BytesLike, pointer: BytesLike): Promise<Sent> {
    return this.send(() => this.registry.acceptAmendment(requestId, amendedVersion, pointer));
  }

  denyAmendment(requestId: BigNumberish, reasonCode: number, responseCommitment: BytesLike): Promise<Sent> {
    return this.send(() => this.registry.denyAmendment(requestId, reasonCode, responseCommitment));
  }

  withdrawAmendment(requestId: BigNumberish): Promise<Sent> {
    return this.send(() => this.registry.withdrawAmendment(requestId));
  }

  // ---- views -----------------------------------------------------------------------------------------------

  /** Everything the registry knows about the patient's `commitment` (status `None` if nothing is anchored). */
  async verify(patient: BigNumberish, commitment: BytesLike): Promise<RecordInfo> {
    const hash = hexlify(commitment);
    const r = await this.registry.verify(patient, hash);
    return {
      commitment: hash,
      status: toRecordStatus(r.status),
      patient: r.patient,
      author: r.author,
      organization: r.organization,
      category: enumMember(DataCategory, "DataCategory", r.category),
      anchoredAt: r.anchoredAt,
      fromBatch: r.fromBatch,
      previous: optional(r.previous),
      next: optional(r.next),
      errorReason: Number(r.errorReason),
    };
  }

  /** Every version of the patient's record, first to latest. */
  history(patient: BigNumberish, commitment: BytesLike): Promise<string[]> {
    return withDecodedErrors(async () => [...(await this.registry.history(patient, commitment))]);
  }

  latestVersion(patient: BigNumberish, commitment: BytesLike): Promise<string> {
    return withDecodedErrors(() => this.registry.latestVersion(patient, commitment));
  }

  async batch(organization: BigNumberish, root: BytesLike): Promise<BatchInfo> {
    const b = await this.registry.batch(organization, root);
    return {
      root: hexlify(root),
      organization: b.organization,
      anchoredAt: b.anchoredAt,
      count: Number(b.count),
      categories: Number(b.categories),
    };
  }

  verifyInclusion(
    organization: BigNumberish,
    root: BytesLike,
    leaf: BatchLeafValues,
    proof: readonly string[],
  ): Promise<boolean> {
    return this.registry.verifyInclusion(organization, root, leaf, [...proof]);
  }

  async amendment(requestId: BigNumberish): Promise<AmendmentInfo> {
    return withDecodedErrors(async () => {
      const a = await this.registry.amendment(requestId);
      return {
        requestId: BigInt(requestId),
        record: a.record,
        patient: a.patient,
        status: toAmendmentStatus(a.status),
        requestedAt: a.requestedAt,
        answeredAt: a.answeredAt,
        denialReason: Number(a.denialReason),
        amendedVersion: optional(a.amendedVersion),
      };
    });
  }

  /**
   * How `commitment` was anchored, from the registry's events: its author, pointer commitment and, for a first
   * version, the consent basis. Undefined if no event names it (an adopted batch record has no pointer of its own:
   * its batch's pointer locates the manifest).
   */
  async versionEvent(
    patient: BigNumberish,
    commitment: BytesLike,
    fromBlock = this.since,
  ): Promise<VersionEvent | undefined> {
    const hash = hexlify(commitment);
    const [anchored] = await queryFilterChunked(
      this.registry,
      this.registry.filters.RecordAnchored(hash, patient),
      fromBlock,
    );
    if (anchored !== undefined) {
      return {
        commitment: hash,
        author: anchored.args.author,
        pointer: anchored.args.pointer,
        basis: toBasis(anchored.args.basis),
        blockNumber: anchored.blockNumber,
        transactionHash: anchored.transactionHash,
      };
    }
    const [superseded] = await queryFilterChunked(
      this.registry,
      this.registry.filters.RecordSuperseded(undefined, hash, patient),
      fromBlock,
    );
    if (superseded === undefined) return undefined;
    return {
      commitment: hash,
      previous: superseded.args.previous,
      author: superseded.args.author,
      pointer: superseded.args.pointer,
      reasonCode: Number(superseded.args.reasonCode),
      blockNumber: superseded.blockNumber,
      transactionHash: superseded.transactionHash,
    };
  }

  /** The patient's record's access trail (allowed and denied reads), oldest first. */
  async accessTrail(patient: BigNumberish, commitment: BytesLike, fromBlock = this.since): Promise<AccessEvent[]> {
    const hash = hexlify(commitment);
    const granted = await queryFilterChunked(
      this.registry,
      this.registry.filters.RecordAccessGranted(hash, patient),
      fromBlock,
    );
    const denied = await queryFilterChunked(
      this.registry,
      this.registry.filters.RecordAccessDenied(hash, patient),
      fromBlock,
    );
    const events: AccessEvent[] = [
      ...granted.map((e) => ({
        commitment: hash,
        patient: e.args.patient,
        purpose: enumMember(Purpose, "Purpose", e.args.purpose),
        allowed: true,
        basis: toBasis(e.args.basis),
        accessor: e.args.accessor,
        grantee: e.args.grantee,
        ref: e.args.ref,
        blockNumber: e.blockNumber,
        transactionHash: e.transactionHash,
        logIndex: e.index,
      })),
      ...denied.map((e) => ({
        commitment: hash,
        patient: e.args.patient,
        purpose: enumMember(Purpose, "Purpose", e.args.purpose),
        allowed: false,
        basis: toBasis(e.args.basis),
        accessor: e.args.accessor,
        grantee: e.args.grantee,
        ref: 0n,
        blockNumber: e.blockNumber,
        transactionHash: e.transactionHash,
        logIndex: e.index,
      })),
    ];
    return events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private async send(call: () => Promise<ContractTransactionResponse>): Promise<Sent> {
    return { receipt: await this.mine(call) };
  }

  private mine(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return mined(call);
  }

  private eventArg(receipt: ContractTransactionReceipt, event: string, arg: string): bigint {
    return eventValue(this.registry, receipt, event, arg);
  }
}
