import type {
  BigNumberish,
  ContractRunner,
  ContractTransactionReceipt,
  ContractTransactionResponse,
  Log,
  Signer,
  TypedDataDomain,
} from "ethers";

import {
  type TrialProtocol,
  TrialProtocol__factory,
  type TrialRegistry,
  TrialRegistry__factory,
  type TrialSafety,
  TrialSafety__factory,
} from "../../typechain-types";
import type { Deployment } from "../core/deployment";
import { enumMember } from "../core/enums";
import { latestBlockNumber, queryInRanges } from "../core/logs";
import { decodeEvent, type DecodedEvent, mined, plainLogs, type Sent } from "../core/transactions";
import { type AllocationSequence, openingOf, revealOf } from "./allocation";
import type { DataBatchTree } from "./data";
import { signTrialConsent, trialsDomain } from "./signatures";
import { AdverseEventStatus, SiteStatus, SubjectStatus, TrialAmendmentStatus, TrialStatus } from "./statuses";

/** A pre-specified outcome: its salted commitment and whether it is primary. */
export interface OutcomeInput {
  commitment: string;
  primary: boolean;
}

/** What a sponsor registers (every hash a salted commitment kept off chain). */
export interface TrialRegistrationInput {
  protocol: string;
  analysisPlan: string;
  consentForm: string;
  outcomes: readonly OutcomeInput[];
  /** `DataCategory` bit set (`categorySet(...)`). */
  categories: number;
  /** Unix seconds. */
  primaryCompletion: bigint;
  /** Unix seconds of a first enrollment off the ledger; zero if none. */
  firstEnrolledAt?: bigint;
  ethicsCommittee: bigint;
  regulator: bigint;
  randomizer: bigint;
}

/** An amendment as the sponsor proposes it; zero or empty leaves a part unchanged. */
export interface AmendmentInput {
  protocol: string;
  analysisPlan?: string;
  consentForm?: string;
  majorConsentChange?: boolean;
  primaryCompletion?: bigint;
  outcomes?: readonly OutcomeInput[];
}

/** A participant's signed consent, as `enroll` and `reconsent` take it. */
export interface ConsentSignatureInput {
  version: number;
  document: string;
  deadline: bigint;
  signer: string;
  signature: string;
}

/** One outcome of a results report. */
export interface ReportedOutcomeInput {
  outcome: string;
  result: string;
  primary: boolean;
}

/** How a results report compares with the pre-specified outcomes. */
export interface OutcomeComparison {
  /** Positions (bits) of pre-specified outcomes left out. */
  notReported: bigint;
  added: number;
  primaryChanged: boolean;
}

export interface TrialInfo {
  trialId: bigint;
  sponsor: bigint;
  ethicsCommittee: bigint;
  regulator: bigint;
  randomizer: bigint;
  status: TrialStatus;
  consentVersion: number;
  majorConsentVersion: number;
  categories: number;
  enrolled: number;
  sites: number;
  strata: number;
  perStratum: number;
  registeredAt: bigint;
  firstEnrolledAt: bigint;
  lockedAt: bigint;
  /** The reason code of a pending request to unlock; zero if none. */
  unlockRequested: number;
  unblindedAt: bigint;
  consentForm: string;
  allocationRoot: string;
  datasetRoot: string;
}

export interface SiteInfo {
  organization: bigint;
  investigator: bigint;
  status: SiteStatus;
}

export interface SubjectInfo {
  status: SubjectStatus;
  site: number;
  stratum: number;
  allocationIndex: number;
  consentedVersion: number;
  nonce: number;
  enrolledAt: bigint;
  revealed: boolean;
  emergencyUnblinded: boolean;
  /** The disclosed arm; undefined while concealed. */
  arm?: number;
}

export interface AdverseEventInfo {
  eventId: number;
  patient: bigint;
  reporter: bigint;
  status: AdverseEventStatus;
  lifeThreatening: boolean;
  awareAt: bigint;
  deadline: bigint;
  /** When the sponsor last assessed it; zero while awaiting assessment. */
  assessedAt: bigint;
  reportedAt: bigint;
  report: string;
  regulatoryReport: string;
}

/** A trial event, decoded, with where it happened. */
export interface TrialEvent {
  name: string;
  args: DecodedEvent["args"];
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

/**
 * Typed client of the trials module: the registry, the protocol contract it created and the safety contract. Writes
 * wait for the receipt and rethrow reverts as `CareLedgerError`; views return plain objects with the module's enums;
 * event scans run from the deployment's first block in chunked ranges.
 */
export class TrialsClient {
  constructor(
    readonly registry: TrialRegistry,
    readonly protocol: TrialProtocol,
    readonly safety: TrialSafety,
    readonly since = 0,
  ) {}

  static connect(
    runner: ContractRunner,
    deployment: Pick<Deployment, "trialRegistry" | "trialProtocol" | "trialSafety" | "deployedAtBlock">,
  ): TrialsClient {
    return new TrialsClient(
      TrialRegistry__factory.connect(deployment.trialRegistry, runner),
      TrialProtocol__factory.connect(deployment.trialProtocol, runner),
      TrialSafety__factory.connect(deployment.trialSafety, runner),
      deployment.deployedAtBlock ?? 0,
    );
  }

  /** The same contracts, acting through another runner (signer). */
  as(runner: ContractRunner): TrialsClient {
    return new TrialsClient(
      this.registry.connect(runner),
      this.protocol.connect(runner),
      this.safety.connect(runner),
      this.since,
    );
  }

  // ---- registration and sites ------------------------------------------------------------------------------

  async registerTrial(input: TrialRegistrationInput): Promise<Sent & { trialId: bigint; late: boolean }> {
    const receipt = await mined(() =>
      this.registry.registerTrial({
        ...input,
        outcomes: input.outcomes.map((o) => ({ ...o })),
        firstEnrolledAt: input.firstEnrolledAt ?? 0n,
      }),
    );
    const event = this.first(receipt, "TrialRegistered");
    return { receipt, trialId: event.getValue("trialId") as bigint, late: event.getValue("late") as boolean };
  }

  async proposeSite(
    trialId: BigNumberish,
    organization: BigNumberish,
    investigator: BigNumberish,
  ): Promise<Sent & { site: number }> {
    const receipt = await mined(() => this.registry.proposeSite(trialId, organization, investigator));
    return { receipt, site: Number(this.first(receipt, "SiteProposed").getValue("site")) };
  }

  activateSite(trialId: BigNumberish, site: number): Promise<Sent> {
    return this.send(() => this.registry.activateSite(trialId, site));
  }

  suspendSite(trialId: BigNumberish, site: number, reasonCode = 0): Promise<Sent> {
    return this.send(() => this.registry.suspendSite(trialId, site, reasonCode));
  }

  closeSite(trialId: BigNumberish, site: number, reasonCode = 0): Promise<Sent> {
    return this.send(() => this.registry.closeSite(trialId, site, reasonCode));
  }

  // ---- amendments ------------------------------------------------------------------------------------------

  async proposeAmendment(trialId: BigNumberish, input: AmendmentInput): Promise<Sent & { amendmentId: number }> {
    const zero = `0x${"00".repeat(32)}`;
    const receipt = await mined(() =>
      this.protocol.proposeAmendment(trialId, {
        protocol: input.protocol,
        analysisPlan: input.analysisPlan ?? zero,
        consentForm: input.consentForm ?? zero,
        majorConsentChange: input.majorConsentChange ?? false,
        primaryCompletion: input.primaryCompletion ?? 0n,
        outcomes: (input.outcomes ?? []).map((o) => ({ ...o })),
      }),
    );
    return { receipt, amendmentId: Number(this.first(receipt, "AmendmentProposed").getValue("amendmentId")) };
  }

  async approveAmendment(trialId: BigNumberish, amendmentId: number): Promise<Sent & { consentVersion: number }> {
    const receipt = await mined(() => this.protocol.approveAmendment(trialId, amendmentId));
    return { receipt, consentVersion: Number(this.first(receipt, "AmendmentApproved").getValue("consentVersion")) };
  }

  rejectAmendment(trialId: BigNumberish, amendmentId: number, reasonCode: number): Promise<Sent> {
    return this.send(() => this.protocol.rejectAmendment(trialId, amendmentId, reasonCode));
  }

  withdrawAmendment(trialId: BigNumberish, amendmentId: number): Promise<Sent> {
    return this.send(() => this.protocol.withdrawAmendment(trialId, amendmentId));
  }

  // ---- randomization, consent and enrollment ---------------------------------------------------------------

  /** Commits `sequence` (its root, strata and length) as the trial's allocation. */
  commitAllocation(trialId: BigNumberish, sequence: AllocationSequence): Promise<Sent> {
    return this.send(() =>
      this.registry.commitAllocation(trialId, sequence.root, sequence.strata, sequence.perStratum),
    );
  }

  /** The registry's EIP-712 domain, for consent signatures. */
  async domain(): Promise<TypedDataDomain> {
    const network = await this.registry.runner?.provider?.getNetwork();
    if (network === undefined) throw new Error("signing a consent needs a runner with a provider");
    return trialsDomain(network.chainId, await this.registry.getAddress());
  }

  /**
   * `signer` (the patient's key or an active representative's) signs the trial's current consent form version for
   * `patient` at `site`, with the patient's current nonce; `document` commits to the signed form. Re-consenting, the
   * site is the one that enrolled the participant (read from the registry when omitted).
   */
  async signConsent(
    signer: Signer,
    trialId: bigint,
    patient: bigint,
    document: string,
    deadline: bigint,
    site?: number,
  ): Promise<ConsentSignatureInput> {
    const [trial, subject] = await Promise.all([this.registry.trial(trialId), this.registry.subject(trialId, patient)]);
    const where = site ?? Number(subject.site);
    if (where === 0) throw new Error(`patient ${patient} is not enrolled: give the site where they consent`);
    const message = {
      trial: trialId,
      patient,
      site: where,
      version: Number(trial.consentVersion),
      document,
      nonce: Number(subject.nonce),
      deadline,
    };
    const signature = await signTrialConsent(signer, await this.domain(), message);
    return { version: message.version, document, deadline, signer: await signer.getAddress(), signature };
  }

  /** Enrolls `patient` (the caller is the site's investigator); returns the allocation index taken. */
  async enroll(
    trialId: BigNumberish,
    site: number,
    patient: BigNumberish,
    stratum: number,
    consent: ConsentSignatureInput,
  ): Promise<Sent & { index: number }> {
    const receipt = await mined(() => this.registry.enroll(trialId, site, patient, stratum, consent));
    return { receipt, index: Number(this.first(receipt, "ParticipantEnrolled").getValue("index")) };
  }

  reconsent(trialId: BigNumberish, patient: BigNumberish, consent: ConsentSignatureInput): Promise<Sent> {
    return this.send(() => this.registry.reconsent(trialId, patient, consent));
  }

  withdraw(trialId: BigNumberish, patient: BigNumberish, reasonCode = 0): Promise<Sent> {
    return this.send(() => this.registry.withdraw(trialId, patient, reasonCode));
  }

  increaseNonce(trialId: BigNumberish, patient: BigNumberish): Promise<Sent> {
    return this.send(() => this.registry.increaseNonce(trialId, patient));
  }

  /** Reveals `patient`'s allocation from `sequence` (the caller is the randomization service). */
  async reveal(
    trialId: bigint,
    patient: bigint,
    sequence: AllocationSequence,
  ): Promise<Sent & { armCommitment: string }> {
    const subject = await this.registry.subject(trialId, patient);
    const { armCommitment, proof } = revealOf(sequence, Number(subject.stratum), Number(subject.allocationIndex));
    const receipt = await mined(() => this.registry.reveal(trialId, patient, armCommitment, proof));
    return { receipt, armCommitment };
  }

  /** Discloses the arms of `patients` from `sequence`, up to 256 at a time. */
  async discloseArms(trialId: bigint, patients: readonly bigint[], sequence: AllocationSequence): Promise<Sent[]> {
    const disclosures = await Promise.all(
      patients.map(async (patient) => {
        const subject = await this.registry.subject(trialId, patient);
        const [stratum, index] = [Number(subject.stratum), Number(subject.allocationIndex)];
        const { arm, salt } = openingOf(sequence, stratum, index);
        return { patient, arm, salt, proof: revealOf(sequence, stratum, index).proof };
      }),
    );
    const sent: Sent[] = [];
    for (let i = 0; i < disclosures.length; i += 256) {
      const chunk = disclosures.slice(i, i + 256);
      sent.push(await this.send(() => this.registry.discloseArms(trialId, chunk)));
    }
    return sent;
  }

  unblind(trialId: BigNumberish, patient: BigNumberish, reasonCode: number): Promise<Sent> {
    return this.send(() => this.registry.unblind(trialId, patient, reasonCode));
  }

  // ---- data, lock and results ------------------------------------------------------------------------------

  async anchorData(trialId: BigNumberish, site: number, batch: DataBatchTree): Promise<Sent & { batchId: number }> {
    const receipt = await mined(() =>
      this.registry.anchorData(trialId, site, batch.root, batch.count, [...batch.subjects]),
    );
    return { receipt, batchId: Number(this.first(receipt, "DataAnchored").getValue("batchId")) };
  }

  lock(trialId: BigNumberish, datasetRoot: string): Promise<Sent> {
    return this.send(() => this.registry.lock(trialId, datasetRoot));
  }

  requestUnlock(trialId: BigNumberish, reasonCode: number): Promise<Sent> {
    return this.send(() => this.registry.requestUnlock(trialId, reasonCode));
  }

  approveUnlock(trialId: BigNumberish): Promise<Sent> {
    return this.send(() => this.registry.approveUnlock(trialId));
  }

  async reportResults(
    trialId: BigNumberish,
    datasetRoot: string,
    outcomes: readonly ReportedOutcomeInput[],
  ): Promise<Sent & { version: number; comparison: OutcomeComparison; late: boolean }> {
    const receipt = await mined(() =>
      this.protocol.reportResults(
        trialId,
        datasetRoot,
        outcomes.map((o) => ({ ...o })),
      ),
    );
    const event = this.first(receipt, "ResultsReported");
    return {
      receipt,
      version: Number(event.getValue("version")),
      comparison: comparisonOf(event.getValue("comparison") as ComparisonTuple),
      late: event.getValue("late") as boolean,
    };
  }

  // ---- safety ----------------------------------------------------------------------------------------------

  async recordAdverseEvent(
    trialId: BigNumberish,
    patient: BigNumberish,
    report: string,
    lifeThreatening: boolean,
    awareAt: bigint = 0n,
  ): Promise<Sent & { eventId: number; deadline: bigint }> {
    const receipt = await mined(() =>
      this.safety.recordAdverseEvent(trialId, patient, report, lifeThreatening, awareAt),
    );
    const event = this.first(receipt, "AdverseEventRecorded");
    return { receipt, eventId: Number(event.getValue("eventId")), deadline: event.getValue("deadline") as bigint };
  }

  assess(trialId: BigNumberish, eventId: number, susar: boolean): Promise<Sent> {
    return this.send(() => this.safety.assess(trialId, eventId, susar));
  }

  async reportSusar(
    trialId: BigNumberish,
    eventId: number,
    regulatoryReport: string,
  ): Promise<Sent & { late: boolean }> {
    const receipt = await mined(() => this.safety.reportSusar(trialId, eventId, regulatoryReport));
    return { receipt, late: this.first(receipt, "SusarReported").getValue("late") as boolean };
  }

  // ---- views -----------------------------------------------------------------------------------------------

  async trial(trialId: bigint): Promise<TrialInfo> {
    const t = await this.registry.trial(trialId);
    return {
      trialId,
      sponsor: t.sponsor,
      ethicsCommittee: t.ethicsCommittee,
      regulator: t.regulator,
      randomizer: t.randomizer,
      status: enumMember(TrialStatus, "trial status", t.status),
      consentVersion: Number(t.consentVersion),
      majorConsentVersion: Number(t.majorConsentVersion),
      categories: Number(t.categories),
      enrolled: Number(t.enrolled),
      sites: Number(t.sites),
      strata: Number(t.strata),
      perStratum: Number(t.perStratum),
      registeredAt: t.registeredAt,
      firstEnrolledAt: t.firstEnrolledAt,
      lockedAt: t.lockedAt,
      unlockRequested: Number(t.unlockRequested),
      unblindedAt: t.unblindedAt,
      consentForm: t.consentForm,
      allocationRoot: t.allocationRoot,
      datasetRoot: t.datasetRoot,
    };
  }

  async site(trialId: bigint, site: number): Promise<SiteInfo> {
    const s = await this.registry.site(trialId, site);
    return {
      organization: s.organization,
      investigator: s.investigator,
      status: enumMember(SiteStatus, "site status", s.status),
    };
  }

  async subject(trialId: bigint, patient: bigint): Promise<SubjectInfo> {
    const s = await this.registry.subject(trialId, patient);
    return {
      status: enumMember(SubjectStatus, "participant status", s.status),
      site: Number(s.site),
      stratum: Number(s.stratum),
      allocationIndex: Number(s.allocationIndex),
      consentedVersion: Number(s.consentedVersion),
      nonce: Number(s.nonce),
      enrolledAt: s.enrolledAt,
      revealed: s.revealed,
      emergencyUnblinded: s.emergencyUnblinded,
      ...(s.disclosedArm === 0n ? {} : { arm: Number(s.disclosedArm) - 1 }),
    };
  }

  async amendmentStatus(trialId: bigint, amendmentId: number): Promise<TrialAmendmentStatus> {
    const a = await this.protocol.amendment(trialId, amendmentId);
    return enumMember(TrialAmendmentStatus, "amendment status", a.status);
  }

  /** Every outcome specified for the trial, with whether it is in force, pre-specified, and primary in each. */
  async outcomes(trialId: bigint): Promise<
    {
      commitment: string;
      current: boolean;
      currentPrimary: boolean;
      preSpecified: boolean;
      preSpecifiedPrimary: boolean;
    }[]
  > {
    const [commitments, current, currentPrimary, preSpecified, preSpecifiedPrimary] =
      await this.protocol.outcomes(trialId);
    const has = (mask: bigint, i: number) => (mask & (1n << BigInt(i))) !== 0n;
    return commitments.map((commitment, i) => ({
      commitment,
      current: has(current, i),
      currentPrimary: has(currentPrimary, i),
      preSpecified: has(preSpecified, i),
      preSpecifiedPrimary: has(preSpecifiedPrimary, i),
    }));
  }

  async adverseEvent(trialId: bigint, eventId: number): Promise<AdverseEventInfo> {
    const e = await this.safety.adverseEvent(trialId, eventId);
    return {
      eventId,
      patient: e.patient,
      reporter: e.reporter,
      status: enumMember(AdverseEventStatus, "adverse event status", e.status),
      lifeThreatening: e.lifeThreatening,
      awareAt: e.awareAt,
      deadline: e.deadline,
      assessedAt: e.assessedAt,
      reportedAt: e.reportedAt,
      report: e.report,
      regulatoryReport: e.regulatoryReport,
    };
  }

  /** Every adverse event of the trial, in order. */
  async adverseEvents(trialId: bigint): Promise<AdverseEventInfo[]> {
    const count = Number(await this.safety.adverseEventCount(trialId));
    return Promise.all(Array.from({ length: count }, (_, i) => this.adverseEvent(trialId, i + 1)));
  }

  /** The trials whose results are late, among every trial registered (1,000 per call to the contract). */
  async overdueTrials(): Promise<bigint[]> {
    const count = await this.registry.trialCount();
    const found: bigint[] = [];
    for (let from = 1n; from <= count; from += 1000n) {
      found.push(...(await this.protocol.overdueTrials(from, from + 999n)));
    }
    return found;
  }

  /** The trial's events from all three contracts (filtered by the trial id, their first indexed argument). */
  async events(trialId: bigint): Promise<TrialEvent[]> {
    const provider = this.registry.runner?.provider;
    if (provider === null || provider === undefined) throw new Error("reading events needs a runner with a provider");
    const address = await Promise.all([
      this.registry.getAddress(),
      this.protocol.getAddress(),
      this.safety.getAddress(),
    ]);
    const topic = `0x${trialId.toString(16).padStart(64, "0")}`;
    const last = await latestBlockNumber(this.registry.runner);
    const logs: Log[] = await queryInRanges(
      (fromBlock, toBlock) => provider.getLogs({ address, topics: [null, topic], fromBlock, toBlock }),
      this.since,
      last,
    );
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    const decoded: TrialEvent[] = [];
    for (const log of logs) {
      const event =
        decodeEvent(this.registry.interface, log) ??
        decodeEvent(this.protocol.interface, log) ??
        decodeEvent(this.safety.interface, log);
      if (event === null) continue;
      decoded.push({
        ...event,
        blockNumber: log.blockNumber,
        logIndex: log.index,
        transactionHash: log.transactionHash,
      });
    }
    return decoded;
  }

  // ---- internal --------------------------------------------------------------------------------------------

  private first(receipt: ContractTransactionReceipt, name: string): DecodedEvent["args"] {
    for (const log of plainLogs(receipt)) {
      for (const contract of [this.registry, this.protocol, this.safety]) {
        const event = decodeEvent(contract.interface, log);
        if (event?.name === name) return event.args;
      }
    }
    throw new Error(`transaction ${receipt.hash} emitted no ${name}`);
  }

  private async send(call: () => Promise<ContractTransactionResponse>): Promise<Sent> {
    return { receipt: await mined(call) };
  }
}

/** The comparison struct as ethers decodes it. */
export type ComparisonTuple = [bigint, bigint, boolean] & {
  notReported: bigint;
  added: bigint;
  primaryChanged: boolean;
};

export function comparisonOf(tuple: ComparisonTuple): OutcomeComparison {
  return { notReported: tuple[0], added: Number(tuple[1]), primaryChanged: tuple[2] };
}
