import {
  type BigNumberish,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Signer,
  type TypedDataDomain,
  ZeroHash,
} from "ethers";

import {
  type BreakGlass,
  BreakGlass__factory,
  type ConsentRegistry,
  ConsentRegistry__factory,
} from "../../typechain-types";
import type { Deployment } from "../core/deployment";
import { withDecodedErrors } from "../core/errors";
import { queryFilterChunked } from "../core/logs";
import { eventValue, mined, type Sent } from "../core/transactions";
import {
  DataCategory,
  DecisionBasis,
  Purpose,
  RequestStatus,
  ReviewOutcome,
  toBasis,
  toRequestStatus,
  toReviewOutcome,
} from "./scopes";
import { consentDomain, type GrantMessage, type RevokeMessage, signGrant, signRevocation } from "./signatures";

/** A consent decision as the SDK returns it. */
export interface DecisionInfo {
  allowed: boolean;
  basis: DecisionBasis;
  /** The accessor's id, 0 if its key controls none. */
  accessor: bigint;
  /** Whose grant or deny decided: the accessor, its organization, or the patient; 0 when nothing did. */
  grantee: bigint;
  /** The grant version for grant bases, the break-glass session id for BreakGlass, else 0. */
  ref: bigint;
}

/** What a patient has said about one grantee. Times are Unix seconds. */
export interface ConsentInfo {
  categories: number;
  purposes: number;
  validFrom: bigint;
  validUntil: bigint;
  deniedCategories: number;
  version: number;
}

export interface GrantTerms {
  patient: BigNumberish;
  grantee: BigNumberish;
  /** A bitmap from `categorySet(...)`, or `ALL_CATEGORIES`. */
  categories: number;
  /** A bitmap from `purposeSet(...)`, or `ALL_PURPOSES`. */
  purposes: number;
  /** Unix seconds; 0 (the default) means now. */
  validFrom?: BigNumberish;
  validUntil: BigNumberish;
}

export interface AccessRequestInfo {
  patient: bigint;
  requester: bigint;
  categories: number;
  purposes: number;
  status: RequestStatus;
  respondBy: bigint;
  duration: bigint;
  reasonCode: number;
}

export interface BreakGlassInfo {
  patient: bigint;
  practitioner: bigint;
  organization: bigint;
  reasonCode: number;
  openedAt: bigint;
  expiresAt: bigint;
  outcome: ReviewOutcome;
  reviewer: string;
}

/** One grantee in a patient's list of grants, with its current state. */
export interface GrantListing extends ConsentInfo {
  grantee: bigint;
  /** In force now: names something and now is inside its window. */
  live: boolean;
}

/**
 * Typed client of the consent module: the ConsentRegistry and its BreakGlass workflow. Every write waits for its
 * receipt and rethrows reverts as `CareLedgerError` (custom error name and arguments); writes that create something
 * return its id or version with the receipt.
 */
export class ConsentClient {
  /**
   * @param since the block event scans start from by default: the deployment's first block (`deployedAtBlock`), so
   *   that a long chain is not read from its genesis.
   */
  constructor(
    readonly registry: ConsentRegistry,
    readonly breakGlassWorkflow: BreakGlass,
    readonly since = 0,
  ) {}

  static connect(
    runner: ContractRunner,
    deployment: Pick<Deployment, "consentRegistry" | "breakGlass" | "deployedAtBlock">,
  ): ConsentClient {
    return new ConsentClient(
      ConsentRegistry__factory.connect(deployment.consentRegistry, runner),
      BreakGlass__factory.connect(deployment.breakGlass, runner),
      deployment.deployedAtBlock ?? 0,
    );
  }

  /** The same module, acting through another runner (signer). */
  as(runner: ContractRunner): ConsentClient {
    return new ConsentClient(this.registry.connect(runner), this.breakGlassWorkflow.connect(runner), this.since);
  }

  // ---- grants ----------------------------------------------------------------------------------------------

  grant(terms: GrantTerms): Promise<Sent & { version: number }> {
    return this.versioned(
      () =>
        this.registry.grant(
          terms.patient,
          terms.grantee,
          terms.categories,
          terms.purposes,
          terms.validFrom ?? 0,
          terms.validUntil,
        ),
      "ConsentGranted",
    );
  }

  narrow(terms: Omit<GrantTerms, "validFrom">): Promise<Sent & { version: number }> {
    return this.versioned(
      () => this.registry.narrow(terms.patient, terms.grantee, terms.categories, terms.purposes, terms.validUntil),
      "ConsentNarrowed",
    );
  }

  revoke(patient: BigNumberish, grantee: BigNumberish): Promise<Sent & { version: number }> {
    return this.versioned(() => this.registry.revoke(patient, grantee), "ConsentRevoked");
  }

  setDeny(patient: BigNumberish, grantee: BigNumberish, categories: number): Promise<Sent> {
    return this.send(() => this.registry.setDeny(patient, grantee, categories));
  }

  // ---- signed consent --------------------------------------------------------------------------------------

  /** The registry's EIP-712 domain, read from the chain (EIP-5267). */
  async domain(): Promise<TypedDataDomain> {
    const [, , , chainId, verifyingContract] = await this.registry.eip712Domain();
    return consentDomain(chainId, verifyingContract);
  }

  /**
   * Builds and signs a grant with `signer` (the patient's key or a representative's), using the patient's current
   * nonce unless one is given. Hand the result to anyone to relay with `relayGrant`.
   */
  async signGrant(
    signer: Signer,
    terms: GrantTerms & { deadline: BigNumberish; evidence?: string; nonce?: BigNumberish },
  ): Promise<{ message: GrantMessage; signer: string; signature: string }> {
    const message: GrantMessage = {
      patient: BigInt(terms.patient),
      grantee: BigInt(terms.grantee),
      categories: BigInt(terms.categories),
      purposes: BigInt(terms.purposes),
      validFrom: BigInt(terms.validFrom ?? 0),
      validUntil: BigInt(terms.validUntil),
      evidence: terms.evidence ?? ZeroHash,
      nonce: BigInt(terms.nonce ?? (await this.registry.nonces(terms.patient))),
      deadline: BigInt(terms.deadline),
    };
    const signature = await signGrant(signer, await this.domain(), message);
    return { message, signer: await signer.getAddress(), signature };
  }

  /** Builds and signs a revocation with `signer`. */
  async signRevocation(
    signer: Signer,
    terms: {
      patient: BigNumberish;
      grantee: BigNumberish;
      deadline: BigNumberish;
      evidence?: string;
      nonce?: BigNumberish;
    },
  ): Promise<{ message: RevokeMessage; signer: string; signature: string }> {
    const message: RevokeMessage = {
      patient: BigInt(terms.patient),
      grantee: BigInt(terms.grantee),
      evidence: terms.evidence ?? ZeroHash,
      nonce: BigInt(terms.nonce ?? (await this.registry.nonces(terms.patient))),
      deadline: BigInt(terms.deadline),
    };
    const signature = await signRevocation(signer, await this.domain(), message);
    return { message, signer: await signer.getAddress(), signature };
  }

  /** Relays a signed grant (any account may). */
  relayGrant(signed: {
    message: GrantMessage;
    signer: string;
    signature: string;
  }): Promise<Sent & { version: number }> {
    return this.versioned(
      () => this.registry.grantBySig(signed.message, signed.signer, signed.signature),
      "ConsentGranted",
    );
  }

  /** Relays a signed revocation (any account may). */
  relayRevocation(signed: {
    message: RevokeMessage;
    signer: string;
    signature: string;
  }): Promise<Sent & { version: number }> {
    return this.versioned(
      () => this.registry.revokeBySig(signed.message, signed.signer, signed.signature),
      "ConsentRevoked",
    );
  }

  increaseNonce(patient: BigNumberish, newNonce: BigNumberish): Promise<Sent> {
    return this.send(() => this.registry.increaseNonce(patient, newNonce));
  }

  // ---- access requests -------------------------------------------------------------------------------------

  async requestAccess(request: {
    patient: BigNumberish;
    categories: number;
    purposes: number;
    /** Seconds the access would last from approval. */
    duration: BigNumberish;
    reasonCode: number;
    respondBy: BigNumberish;
  }): Promise<Sent & { requestId: bigint }> {
    const receipt = await this.mine(() =>
      this.registry.requestAccess(
        request.patient,
        request.categories,
        request.purposes,
        request.duration,
        request.reasonCode,
        request.respondBy,
      ),
    );
    return { receipt, requestId: this.eventArg(receipt, "AccessRequested", "requestId") };
  }

  approveRequest(
    requestId: BigNumberish,
    scope: { categories: number; purposes: number; validUntil: BigNumberish },
  ): Promise<Sent & { version: number }> {
    return this.versioned(
      () => this.registry.approveRequest(requestId, scope.categories, scope.purposes, scope.validUntil),
      "ConsentGranted",
    );
  }

  rejectRequest(requestId: BigNumberish, reasonCode: number): Promise<Sent> {
    return this.send(() => this.registry.rejectRequest(requestId, reasonCode));
  }

  cancelRequest(requestId: BigNumberish): Promise<Sent> {
    return this.send(() => this.registry.cancelRequest(requestId));
  }

  // ---- break-glass -----------------------------------------------------------------------------------------

  async openBreakGlass(
    patient: BigNumberish,
    reasonCode: number,
    durationSeconds: BigNumberish,
  ): Promise<Sent & { sessionId: bigint }> {
    const receipt = await this.mine(() => this.breakGlassWorkflow.open(patient, reasonCode, durationSeconds));
    return {
      receipt,
      sessionId: eventValue(this.breakGlassWorkflow, receipt, "BreakGlassOpened", "sessionId"),
    };
  }

  closeBreakGlass(sessionId: BigNumberish): Promise<Sent> {
    return this.send(() => this.breakGlassWorkflow.close(sessionId));
  }

  reviewBreakGlass(sessionId: BigNumberish, outcome: ReviewOutcome, findingCode: number): Promise<Sent> {
    return this.send(() => this.breakGlassWorkflow.review(sessionId, outcome, findingCode));
  }

  /** Registrars: authorizes an organization for break-glass, or withdraws it (which ends its open sessions). */
  setEmergencyAuthorization(organization: BigNumberish, authorized: boolean): Promise<Sent> {
    return this.send(() => this.breakGlassWorkflow.setEmergencyAuthorization(organization, authorized));
  }

  // ---- decision and audit ----------------------------------------------------------------------------------

  /** Records an access by the runner's key; never reverts on a denial. Returns the decision from the event. */
  async recordAccess(
    patient: BigNumberish,
    category: DataCategory,
    purpose: Purpose,
  ): Promise<Sent & { decision: DecisionInfo }> {
    const receipt = await this.mine(() => this.registry.recordAccess(patient, category, purpose));
    for (const log of receipt.logs) {
      const parsed = this.registry.interface.parseLog(log);
      if (parsed?.name === "AccessGranted") {
        const args = parsed.args;
        return {
          receipt,
          decision: {
            allowed: true,
            basis: toBasis(args.basis as bigint),
            accessor: args.accessor as bigint,
            grantee: args.grantee as bigint,
            ref: args.ref as bigint,
          },
        };
      }
      if (parsed?.name === "AccessDenied") {
        const args = parsed.args;
        return {
          receipt,
          decision: {
            allowed: false,
            basis: toBasis(args.basis as bigint),
            accessor: args.accessor as bigint,
            grantee: args.grantee as bigint,
            ref: 0n,
          },
        };
      }
    }
    throw new Error(`transaction ${receipt.hash} recorded no access`);
  }

  /** The decision for `accessor` at time `at` (default: the latest block's time). */
  async decide(
    patient: BigNumberish,
    accessor: string,
    category: DataCategory,
    purpose: Purpose,
    at?: BigNumberish,
  ): Promise<DecisionInfo> {
    return withDecodedErrors(async () => {
      const when = at ?? (await this.latestTime());
      const d = await this.registry.decide(patient, accessor, category, purpose, when);
      return {
        allowed: d.allowed,
        basis: toBasis(d.basis),
        accessor: d.accessor,
        grantee: d.grantee,
        ref: d.ref,
      };
    });
  }

  async consentOf(patient: BigNumberish, grantee: BigNumberish): Promise<ConsentInfo> {
    const s = await this.registry.consentOf(patient, grantee);
    return {
      categories: Number(s.categories),
      purposes: Number(s.purposes),
      validFrom: s.validFrom,
      validUntil: s.validUntil,
      deniedCategories: Number(s.deniedCategories),
      version: Number(s.version),
    };
  }

  /**
   * Every grantee the patient ever granted or denied, and every practitioner who broke glass on her, with what
   * stands now. The registry keeps no per-patient list
   * (it would cost every first grant two more storage slots); the grantees come from the registry's own events and
   * their state from storage, so the list is as true as the chain.
   */
  async grantsOf(patient: BigNumberish, fromBlock = this.since): Promise<GrantListing[]> {
    // In ranges a node accepts (Besu: 1,000 blocks by default), from the deployment block the caller passes.
    const granted = await queryFilterChunked(this.registry, this.registry.filters.ConsentGranted(patient), fromBlock);
    const denied = await queryFilterChunked(this.registry, this.registry.filters.ConsentDenySet(patient), fromBlock);
    const brokeGlass = await queryFilterChunked(
      this.breakGlassWorkflow,
      this.breakGlassWorkflow.filters.BreakGlassOpened(undefined, patient),
      fromBlock,
    );
    const grantees = [
      ...new Set([
        ...[...granted, ...denied].map((event) => event.args.grantee),
        ...brokeGlass.map((event) => event.args.practitioner),
      ]),
    ].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const now = await this.latestTime();
    return Promise.all(
      grantees.map(async (grantee) => {
        const info = await this.consentOf(patient, grantee);
        const live = info.categories !== 0 && info.validFrom <= now && now < info.validUntil;
        return { grantee, live, ...info };
      }),
    );
  }

  async isEmergencyAuthorized(organization: BigNumberish): Promise<boolean> {
    return this.breakGlassWorkflow.isEmergencyAuthorized(organization);
  }

  async nonces(patient: BigNumberish): Promise<bigint> {
    return this.registry.nonces(patient);
  }

  async request(requestId: BigNumberish): Promise<AccessRequestInfo> {
    return withDecodedErrors(async () => {
      const r = await this.registry.request(requestId);
      return {
        patient: r.patient,
        requester: r.requester,
        categories: Number(r.categories),
        purposes: Number(r.purposes),
        status: toRequestStatus(r.status),
        respondBy: r.respondBy,
        duration: r.duration,
        reasonCode: Number(r.reasonCode),
      };
    });
  }

  async breakGlass(sessionId: BigNumberish): Promise<BreakGlassInfo> {
    return withDecodedErrors(async () => {
      const s = await this.breakGlassWorkflow.session(sessionId);
      return {
        patient: s.patient,
        practitioner: s.practitioner,
        organization: s.organization,
        reasonCode: Number(s.reasonCode),
        openedAt: s.openedAt,
        expiresAt: s.expiresAt,
        outcome: toReviewOutcome(s.outcome),
        reviewer: s.reviewer,
      };
    });
  }

  /** Every session awaiting review, read in pages of `pageSize`. */
  async unreviewedBreakGlass(pageSize = 100): Promise<bigint[]> {
    const total = await this.breakGlassWorkflow.unreviewedCount();
    const ids: bigint[] = [];
    for (let offset = 0n; offset < total; offset += BigInt(pageSize)) {
      ids.push(...(await this.breakGlassWorkflow.unreviewed(offset, pageSize)));
    }
    return ids;
  }

  // ---- plumbing --------------------------------------------------------------------------------------------

  /** The latest block's timestamp: the chain's "now", which grant windows are measured against. */
  async latestTime(): Promise<bigint> {
    const provider = this.registry.runner?.provider;
    if (provider == null) throw new Error("the consent client's runner has no provider");
    const block = await provider.getBlock("latest");
    if (block === null) throw new Error("the provider returned no latest block");
    return BigInt(block.timestamp);
  }

  private async send(call: () => Promise<ContractTransactionResponse>): Promise<Sent> {
    return { receipt: await this.mine(call) };
  }

  private mine(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return mined(call);
  }

  private async versioned(
    call: () => Promise<ContractTransactionResponse>,
    event: "ConsentGranted" | "ConsentNarrowed" | "ConsentRevoked",
  ): Promise<Sent & { version: number }> {
    const receipt = await this.mine(call);
    return { receipt, version: Number(this.eventArg(receipt, event, "version")) };
  }

  private eventArg(receipt: ContractTransactionReceipt, event: string, arg: string): bigint {
    return eventValue(this.registry, receipt, event, arg);
  }
}
