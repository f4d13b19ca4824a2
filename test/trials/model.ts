import { AbiCoder, keccak256, ZeroHash } from "ethers";

import { armCommitment, SiteStatus, SubjectStatus, TrialAmendmentStatus, TrialStatus } from "../../sdk";

// A small, independent model of one clinical trial's state machines, written from the interfaces' documentation
// (ITrialRegistry, ITrialProtocol and the value types of Trial.sol), not from the contracts' code.
//
// It keeps the trial as its parties know it — its status, whether it was ever locked or unblinded, the consent form
// versions, the sites, the participants and the allocation indices they took, the data batches, the amendments and
// the outcomes — and answers, for each action, whether the contracts must accept it (with exactly the events they
// emit, in order) or which custom error they must revert with (and its arguments). The rules, as documented:
//
// - The trial is Active or Locked. The sponsor locks it with a non-zero dataset root (it is then ever locked, for
//   good); unlocking needs the sponsor's request, with a non-zero reason, while locked, and the ethics committee's or
//   the regulator's approval. While locked no enrollment, re-consent, site activation or data is accepted.
// - Consent form versions run from 1; an approved amendment with a consent form brings the next version, the last
//   major one too if marked major (only a given form can be major). A participant enrolls by signing the current
//   version for the enrolling site (with the nonce the registry keeps for them, which each signature used and each
//   `increaseNonce` moves on), re-consents to a newer current version (signed for the site that enrolled them), and
//   withdraws for good (the patient or the investigator of their site, at any time, even while locked).
// - The sponsor may replace the committed allocation sequence until the first enrollment, never after.
// - Enrollment at an active site, by its investigator, takes the next allocation index of the stratum (0, 1, 2…) while
//   one is left; the randomization service reveals an enrolled (or since withdrawn) participant's allocation once,
//   with the arm commitment at their stratum and index; it discloses revealed allocations once each, with the arm and
//   salt that open the commitment; the first disclosure unblinds the trial. An investigator's emergency unblinding of
//   one participant (revealed or not, withdrawn or not) does not.
// - A data batch is anchored by the investigator of an active or suspended site while the trial is unlocked, naming
//   participants in strictly ascending id order, each enrolled at that site (not withdrawn) and having signed the last
//   major version or later.
// - Amendments: one pending at a time, proposed by the sponsor, approved or rejected (with a reason) by the ethics
//   committee or withdrawn by the sponsor. An approved one puts its protocol, plan, consent form, completion date and
//   outcome list (if given) in force; every outcome ever specified keeps a position (bit `i` of the masks), new ones
//   appended in list order. The outcomes in force are the pre-specified ones until the trial is first unblinded or
//   locked; an amendment approved after that changes the outcomes in force only, and is marked so.
// - Results are due 365 days after the primary completion date, which an amendment may move into the past (a trial
//   that ended early) or up to 20 years ahead. Only a report on or after the date as it stands meets the deadline;
//   results are late if none did by the due date, or the first that did came after it, and lateness is for good.
// - Results, reported by the sponsor against the locked dataset root, are compared with the pre-specified outcomes
//   (COMPare): the pre-specified outcomes left out (`notReported`), how many reported outcomes were not pre-specified
//   (`added`), and whether the set reported as primary differs from the set pre-specified as primary
//   (`primaryChanged`).
//
// Where the documentation lists several requirements without saying which is checked first, the model checks them in
// the order the function's `@dev Requirements` list them, the caller first, and a list's elements one after the other
// (each element's checks before the next element's). One rule comes from the registry's code, not its NatSpec:
// activating a site is refused while the database is locked (`TrialDatabaseLocked`), as proposing one is.

export const MAX_OUTCOMES = 64;
export const MAX_REPORTED_OUTCOMES = 64;
export const MAX_DISCLOSURES = 256;
export const MAX_BATCH_SUBJECTS = 256;
export const MAX_BATCH_ENTRIES = 1 << 24;
export const MAX_SITES = 1000;
/** Results are due 365 days after the primary completion date. */
export const RESULTS_WINDOW = 365n * 24n * 60n * 60n;
/** The furthest ahead an amendment may move the primary completion date: 20 years of 365 days. */
export const MAX_COMPLETION_HORIZON = 20n * RESULTS_WINDOW;
/** No dataset root is 1 (the registry's placeholder): locking with it is refused like a zero root. */
export const NO_ROOT = `0x${"0".repeat(63)}1`;

/** An argument of an event or error as the model predicts it. */
export type Arg = bigint | number | boolean | string | readonly Arg[];

export interface Emitted {
  name: string;
  args: readonly Arg[];
}

/** What the contracts must do: succeed with exactly these events (the registry's and the protocol's, in order), or
 * revert with this custom error and these arguments. */
export type Outcome = { ok: true; events: Emitted[] } | { error: string; args: readonly Arg[] };

/** Who calls: the participant id its key actively controls (0n if none) and its address, which errors name. */
export interface Caller {
  id: bigint;
  address: string;
}

export interface OutcomeSpec {
  commitment: string;
  primary: boolean;
}

export interface ReportedOutcome {
  outcome: string;
  result: string;
  primary: boolean;
}

export interface Comparison {
  notReported: bigint;
  added: number;
  primaryChanged: boolean;
}

export interface ModelSite {
  organization: bigint;
  investigator: bigint;
  status: SiteStatus;
}

export interface ModelSubject {
  status: SubjectStatus;
  site: number;
  stratum: number;
  allocationIndex: number;
  consentedVersion: number;
  nonce: number;
  enrolledAt: bigint;
  revealed: boolean;
  emergencyUnblinded: boolean;
  /** The disclosed arm plus one; zero while concealed. */
  disclosedArm: number;
}

export interface ModelAmendment {
  status: TrialAmendmentStatus;
  majorConsentChange: boolean;
  changesOutcomes: boolean;
  approvedAfterUnblinding: boolean;
  approvedAfterLock: boolean;
  proposedAt: bigint;
  decidedAt: bigint;
  primaryCompletion: bigint;
  protocol: string;
  analysisPlan: string;
  consentForm: string;
  outcomes: OutcomeSpec[];
}

export interface AmendmentProposal {
  protocol: string;
  analysisPlan: string;
  consentForm: string;
  majorConsentChange: boolean;
  primaryCompletion: bigint;
  outcomes: OutcomeSpec[];
}

/** A consent signature as the model sees it: the version signed, its document, who signed, and whether the signature
 * is valid (over the site and the nonce the registry expects, by a key acting for the patient). */
export interface ModelConsent {
  version: number;
  document: string;
  signer: string;
  validSignature: boolean;
}

/** One entry of the committed allocation sequence, as the randomization service keeps it. */
export interface AllocationEntry {
  arm: number;
  salt: string;
  armCommitment: string;
}

/** Everything about the registered trial that the model starts from. */
export interface TrialSetup {
  trialId: bigint;
  sponsor: bigint;
  ethicsCommittee: bigint;
  regulator: bigint;
  randomizer: bigint;
  categories: bigint;
  registeredAt: bigint;
  consentForm: string;
  protocol: string;
  analysisPlan: string;
  primaryCompletion: bigint;
  outcomes: readonly OutcomeSpec[];
  strata: number;
  perStratum: number;
  allocationRoot: string;
  sites: readonly ModelSite[];
  /** The sequence's entry at (stratum, index). */
  entry: (stratum: number, index: number) => AllocationEntry;
}

export const NO_SUBJECT: Readonly<ModelSubject> = {
  status: SubjectStatus.None,
  site: 0,
  stratum: 0,
  allocationIndex: 0,
  consentedVersion: 0,
  nonce: 0,
  enrolledAt: 0n,
  revealed: false,
  emergencyUnblinded: false,
  disclosedArm: 0,
};

const ok = (...events: Emitted[]): Outcome => ({ ok: true, events });
const err = (error: string, ...args: Arg[]): Outcome => ({ error, args });
const ev = (name: string, ...args: Arg[]): Emitted => ({ name, args });

/** `keccak256(abi.encode(datasetRoot, outcomes))`: the hash a results report is kept by. */
export function reportHashOf(datasetRoot: string, reported: readonly ReportedOutcome[]): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "tuple(bytes32,bytes32,bool)[]"],
      [datasetRoot, reported.map((r) => [r.outcome, r.result, r.primary])],
    ),
  );
}

export class TrialModel {
  readonly trialId: bigint;
  readonly sponsor: bigint;
  readonly ethicsCommittee: bigint;
  readonly regulator: bigint;
  readonly randomizer: bigint;
  readonly categories: bigint;
  readonly registeredAt: bigint;
  strata: number;
  perStratum: number;
  allocationRoot: string;
  entry: (stratum: number, index: number) => AllocationEntry;

  // The registry's side.
  status = TrialStatus.Active;
  everLocked = false;
  lockedAt = 0n;
  unblindedAt = 0n;
  datasetRoot = ZeroHash;
  unlockRequested = false;
  unlockReason = 0;
  consentVersion = 1;
  majorConsentVersion = 1;
  consentForm: string;
  enrolled = 0;
  revealed = 0;
  disclosed = 0;
  batches = 0;
  firstEnrolledAt = 0n;
  /** How many indices each stratum's enrollments took. */
  taken: number[];
  readonly sites: ModelSite[];
  readonly subjects = new Map<bigint, ModelSubject>();

  // The protocol's side.
  protocol: string;
  analysisPlan: string;
  primaryCompletion: bigint;
  /** Every outcome ever specified, in the order first specified: outcome `i` is bit `i` of the masks. */
  readonly specified: string[] = [];
  inForce: OutcomeSpec[];
  preSpecified: OutcomeSpec[];
  readonly amendments: ModelAmendment[] = [];
  pending = 0;
  readonly reports: string[] = [];
  /** When the first report on or after the primary completion date (as it stood then) was; zero before one. */
  firstReportedAt = 0n;
  /** Whether results were ever late: lateness is for good. */
  wasLate = false;

  constructor(setup: TrialSetup) {
    this.trialId = setup.trialId;
    this.sponsor = setup.sponsor;
    this.ethicsCommittee = setup.ethicsCommittee;
    this.regulator = setup.regulator;
    this.randomizer = setup.randomizer;
    this.categories = setup.categories;
    this.registeredAt = setup.registeredAt;
    this.strata = setup.strata;
    this.perStratum = setup.perStratum;
    this.allocationRoot = setup.allocationRoot;
    this.entry = setup.entry;
    this.consentForm = setup.consentForm;
    this.protocol = setup.protocol;
    this.analysisPlan = setup.analysisPlan;
    this.primaryCompletion = setup.primaryCompletion;
    this.taken = Array<number>(setup.strata).fill(0);
    this.sites = setup.sites.map((s) => ({ ...s }));
    this.inForce = setup.outcomes.map((o) => ({ ...o }));
    this.preSpecified = this.inForce.map((o) => ({ ...o }));
    for (const o of setup.outcomes) this.specified.push(o.commitment);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Derived state
  // -------------------------------------------------------------------------------------------------------------

  /** Whether the pre-specified outcomes are frozen: the trial was unblinded (an arm disclosed) or ever locked. */
  get frozen(): boolean {
    return this.unblindedAt !== 0n || this.everLocked;
  }

  subject(patient: bigint): ModelSubject {
    return this.subjects.get(patient) ?? { ...NO_SUBJECT };
  }

  site(n: number): ModelSite | undefined {
    return n >= 1 ? this.sites[n - 1] : undefined;
  }

  siteStatus(n: number): SiteStatus {
    return this.site(n)?.status ?? SiteStatus.None;
  }

  /** Bit `position(c)` of an outcome mask. */
  bit(commitment: string): bigint {
    const i = this.specified.indexOf(commitment);
    if (i < 0) throw new Error(`outcome ${commitment} was never specified`);
    return 1n << BigInt(i);
  }

  mask(list: readonly OutcomeSpec[], primaryOnly = false): bigint {
    return list.filter((o) => !primaryOnly || o.primary).reduce((m, o) => m | this.bit(o.commitment), 0n);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Views, field for field as the contracts return them
  // -------------------------------------------------------------------------------------------------------------

  trialView(): Record<string, bigint | string> {
    return {
      sponsor: this.sponsor,
      ethicsCommittee: this.ethicsCommittee,
      regulator: this.regulator,
      randomizer: this.randomizer,
      status: BigInt(this.status),
      consentVersion: BigInt(this.consentVersion),
      majorConsentVersion: BigInt(this.majorConsentVersion),
      categories: this.categories,
      enrolled: BigInt(this.enrolled),
      sites: BigInt(this.sites.length),
      strata: BigInt(this.strata),
      perStratum: BigInt(this.perStratum),
      registeredAt: this.registeredAt,
      firstEnrolledAt: this.firstEnrolledAt,
      lockedAt: this.lockedAt,
      unlockRequested: BigInt(this.unlockRequested ? this.unlockReason : 0),
      unblindedAt: this.unblindedAt,
      consentForm: this.consentForm,
      allocationRoot: this.allocationRoot,
      datasetRoot: this.datasetRoot,
    };
  }

  trialStateView(): Record<string, bigint | string | boolean> {
    return {
      sponsor: this.sponsor,
      ethicsCommittee: this.ethicsCommittee,
      regulator: this.regulator,
      status: BigInt(this.status),
      consentVersion: BigInt(this.consentVersion),
      unblinded: this.unblindedAt !== 0n,
      everLocked: this.everLocked,
      datasetRoot: this.datasetRoot,
    };
  }

  subjectView(patient: bigint): Record<string, bigint | boolean> {
    const s = this.subject(patient);
    return {
      status: BigInt(s.status),
      site: BigInt(s.site),
      stratum: BigInt(s.stratum),
      allocationIndex: BigInt(s.allocationIndex),
      consentedVersion: BigInt(s.consentedVersion),
      nonce: BigInt(s.nonce),
      enrolledAt: s.enrolledAt,
      revealed: s.revealed,
      emergencyUnblinded: s.emergencyUnblinded,
      disclosedArm: BigInt(s.disclosedArm),
    };
  }

  siteView(n: number): Record<string, bigint> {
    const s = this.site(n);
    if (s === undefined) throw new Error(`no site ${n}`);
    return { organization: s.organization, investigator: s.investigator, status: BigInt(s.status) };
  }

  auditView(): Record<string, bigint> {
    return { enrolled: BigInt(this.enrolled), revealed: BigInt(this.revealed), disclosed: BigInt(this.disclosed) };
  }

  outcomesView(): Record<string, bigint | string[]> {
    return {
      commitments: [...this.specified],
      current: this.mask(this.inForce),
      currentPrimary: this.mask(this.inForce, true),
      preSpecified: this.mask(this.preSpecified),
      preSpecifiedPrimary: this.mask(this.preSpecified, true),
    };
  }

  protocolView(): Record<string, bigint | string> {
    return {
      protocol: this.protocol,
      analysisPlan: this.analysisPlan,
      amendments: BigInt(this.amendments.length),
      pendingAmendment: BigInt(this.pending),
    };
  }

  amendmentView(id: number): Record<string, bigint | boolean | string> {
    const a = this.amendments[id - 1];
    if (a === undefined) throw new Error(`no amendment ${id}`);
    return {
      status: BigInt(a.status),
      majorConsentChange: a.majorConsentChange,
      changesOutcomes: a.changesOutcomes,
      approvedAfterUnblinding: a.approvedAfterUnblinding,
      approvedAfterLock: a.approvedAfterLock,
      proposedAt: a.proposedAt,
      decidedAt: a.decidedAt,
      primaryCompletion: a.primaryCompletion,
      protocol: a.protocol,
      analysisPlan: a.analysisPlan,
      consentForm: a.consentForm,
    };
  }

  /** Whether results are late at `now`: they were once, or none met the deadline and it has passed. */
  late(now: bigint): boolean {
    return this.wasLate || (this.firstReportedAt === 0n && now > this.primaryCompletion + RESULTS_WINDOW);
  }

  /** `resultsDeadline` as read at `now`. */
  deadlineView(now: bigint): Record<string, bigint | boolean> {
    return {
      primaryCompletion: this.primaryCompletion,
      due: this.primaryCompletion + RESULTS_WINDOW,
      versions: BigInt(this.reports.length),
      firstReportedAt: this.firstReportedAt,
      late: this.late(now),
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Parties
  // -------------------------------------------------------------------------------------------------------------

  private notSponsor(caller: Caller, protocol = false): Outcome | undefined {
    if (caller.id !== 0n && caller.id === this.sponsor) return undefined;
    return err(protocol ? "TrialProtocolNotSponsor" : "TrialNotSponsor", this.trialId, caller.address);
  }

  private notEthicsCommittee(caller: Caller, protocol = false): Outcome | undefined {
    if (caller.id !== 0n && caller.id === this.ethicsCommittee) return undefined;
    return err(protocol ? "TrialProtocolNotEthicsCommittee" : "TrialNotEthicsCommittee", this.trialId, caller.address);
  }

  private notRandomizer(caller: Caller): Outcome | undefined {
    if (caller.id !== 0n && caller.id === this.randomizer) return undefined;
    return err("TrialNotRandomizer", this.trialId, caller.address);
  }

  private isInvestigator(caller: Caller, site: number): boolean {
    const s = this.site(site);
    return s !== undefined && caller.id !== 0n && caller.id === s.investigator;
  }

  private locked(): Outcome | undefined {
    return this.status === TrialStatus.Active ? undefined : err("TrialDatabaseLocked", this.trialId, this.lockedAt);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Sites
  // -------------------------------------------------------------------------------------------------------------

  proposeSite(caller: Caller, organization: bigint, investigator: bigint): Outcome {
    const refusal = this.notSponsor(caller) ?? this.locked();
    if (refusal !== undefined) return refusal;
    if (this.sites.length === MAX_SITES) return err("TrialTooManySites", this.trialId);
    this.sites.push({ organization, investigator, status: SiteStatus.Proposed });
    return ok(ev("SiteProposed", this.trialId, this.sites.length, organization, investigator));
  }

  /** Activate (the ethics committee, unlocked), suspend or close (the ethics committee or the sponsor). */
  changeSite(caller: Caller, n: number, to: SiteStatus, reason: number): Outcome {
    if (to === SiteStatus.Active) {
      const refusal = this.notEthicsCommittee(caller) ?? this.locked();
      if (refusal !== undefined) return refusal;
    } else if (caller.id === 0n || (caller.id !== this.ethicsCommittee && caller.id !== this.sponsor)) {
      return err("TrialNotSiteOverseer", this.trialId, caller.address);
    }
    const s = this.site(n);
    if (s === undefined) return err("TrialUnknownSite", this.trialId, n);
    const from = s.status;
    const allowed =
      (to === SiteStatus.Active && (from === SiteStatus.Proposed || from === SiteStatus.Suspended)) ||
      (to === SiteStatus.Suspended && from === SiteStatus.Active) ||
      (to === SiteStatus.Closed && from !== SiteStatus.Closed);
    if (!allowed) return err("TrialInvalidSiteTransition", this.trialId, n, from, to);
    s.status = to;
    return ok(ev("SiteStatusChanged", this.trialId, n, caller.id, to, to === SiteStatus.Active ? 0 : reason));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Randomization
  // -------------------------------------------------------------------------------------------------------------

  /** The sponsor commits (or, before anyone is enrolled, replaces) the allocation sequence. */
  commitAllocation(
    caller: Caller,
    root: string,
    strata: number,
    perStratum: number,
    entry: (stratum: number, index: number) => AllocationEntry,
  ): Outcome {
    const refusal = this.notSponsor(caller) ?? this.locked();
    if (refusal !== undefined) return refusal;
    if (this.enrolled !== 0) return err("TrialAllocationFrozen", this.trialId, this.enrolled);
    if (root === ZeroHash) return err("TrialZeroCommitment");
    if (strata === 0 || perStratum === 0) return err("TrialInvalidAllocation", strata, perStratum);
    this.allocationRoot = root;
    this.strata = strata;
    this.perStratum = perStratum;
    this.entry = entry;
    this.taken = Array<number>(strata).fill(0);
    return ok(ev("AllocationCommitted", this.trialId, root, strata, perStratum));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Enrollment and consent
  // -------------------------------------------------------------------------------------------------------------

  private consentRefusal(consent: ModelConsent): Outcome | undefined {
    if (consent.version !== this.consentVersion) {
      return err("TrialStaleConsentVersion", this.trialId, consent.version, this.consentVersion);
    }
    if (consent.document === ZeroHash) return err("TrialZeroCommitment");
    if (!consent.validSignature) return err("TrialInvalidSignature", consent.signer);
    return undefined;
  }

  enroll(caller: Caller, site: number, patient: bigint, stratum: number, consent: ModelConsent, now: bigint): Outcome {
    const lockedRefusal = this.locked();
    if (lockedRefusal !== undefined) return lockedRefusal;
    const siteStatus = this.siteStatus(site);
    if (siteStatus !== SiteStatus.Active) return err("TrialSiteNotActive", this.trialId, site, siteStatus);
    if (!this.isInvestigator(caller, site)) return err("TrialNotInvestigator", this.trialId, site, caller.address);
    if (stratum >= this.strata) return err("TrialInvalidStratum", this.trialId, stratum, this.strata);
    const s = this.subject(patient);
    if (s.status !== SubjectStatus.None) return err("TrialAlreadyEnrolled", this.trialId, patient, s.status);
    const index = this.taken[stratum] ?? 0;
    if (index >= this.perStratum) return err("TrialStratumExhausted", this.trialId, stratum, this.perStratum);
    const refusal = this.consentRefusal(consent);
    if (refusal !== undefined) return refusal;
    this.taken[stratum] = index + 1;
    this.subjects.set(patient, {
      ...s,
      status: SubjectStatus.Enrolled,
      site,
      stratum,
      allocationIndex: index,
      consentedVersion: consent.version,
      nonce: s.nonce + 1,
      enrolledAt: now,
    });
    if (this.enrolled === 0 && this.firstEnrolledAt === 0n) this.firstEnrolledAt = now;
    this.enrolled += 1;
    return ok(
      ev("ConsentSigned", this.trialId, patient, consent.signer, consent.version, consent.document),
      ev("ParticipantEnrolled", this.trialId, patient, site, stratum, index),
    );
  }

  reconsent(patient: bigint, consent: ModelConsent): Outcome {
    const lockedRefusal = this.locked();
    if (lockedRefusal !== undefined) return lockedRefusal;
    const s = this.subject(patient);
    if (s.status !== SubjectStatus.Enrolled) return err("TrialSubjectNotEnrolled", this.trialId, patient, s.status);
    if (s.consentedVersion === this.consentVersion) {
      return err("TrialAlreadyConsented", this.trialId, patient, s.consentedVersion);
    }
    const refusal = this.consentRefusal(consent);
    if (refusal !== undefined) return refusal;
    this.subjects.set(patient, { ...s, consentedVersion: consent.version, nonce: s.nonce + 1 });
    return ok(ev("ConsentSigned", this.trialId, patient, consent.signer, consent.version, consent.document));
  }

  /** The patient (the caller's key is the patient's), or the investigator of the participant's site, withdraws the
   * participant. */
  withdraw(caller: Caller, patient: bigint, reason: number): Outcome {
    const s = this.subject(patient);
    if (s.status !== SubjectStatus.Enrolled) return err("TrialSubjectNotEnrolled", this.trialId, patient, s.status);
    let actor: bigint;
    if (caller.id === patient) actor = patient;
    else if (this.isInvestigator(caller, s.site)) actor = caller.id;
    else return err("TrialNotWithdrawer", this.trialId, patient, caller.address);
    this.subjects.set(patient, { ...s, status: SubjectStatus.Withdrawn });
    return ok(ev("ParticipantWithdrawn", this.trialId, patient, actor, reason));
  }

  /** The patient voids their unused consent signatures (one nonce); no one else may. */
  increaseNonce(caller: Caller, patient: bigint): Outcome {
    if (caller.id !== patient) return err("TrialNotPatientActor", patient, caller.address);
    const s = this.subject(patient);
    this.subjects.set(patient, { ...s, nonce: s.nonce + 1 });
    return ok(ev("ConsentNonceIncreased", this.trialId, patient, s.nonce + 1));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Allocation
  // -------------------------------------------------------------------------------------------------------------

  reveal(caller: Caller, patient: bigint, commitment: string): Outcome {
    const refusal = this.notRandomizer(caller);
    if (refusal !== undefined) return refusal;
    const s = this.subject(patient);
    if (s.status === SubjectStatus.None) return err("TrialSubjectNotEnrolled", this.trialId, patient, s.status);
    if (s.revealed) return err("TrialAlreadyRevealed", this.trialId, patient);
    if (commitment !== this.entry(s.stratum, s.allocationIndex).armCommitment) {
      return err("TrialAllocationMismatch", this.trialId, patient, s.stratum, s.allocationIndex);
    }
    this.subjects.set(patient, { ...s, revealed: true });
    this.revealed += 1;
    return ok(ev("AllocationRevealed", this.trialId, patient, s.stratum, s.allocationIndex, commitment));
  }

  discloseArms(
    caller: Caller,
    disclosures: readonly { patient: bigint; arm: number; salt: string }[],
    now: bigint,
  ): Outcome {
    const refusal = this.notRandomizer(caller);
    if (refusal !== undefined) return refusal;
    const n = disclosures.length;
    if (n === 0 || n > MAX_DISCLOSURES) return err("TrialInvalidLength", n, MAX_DISCLOSURES);
    const disclosedNow = new Set<bigint>();
    for (const d of disclosures) {
      const s = this.subject(d.patient);
      if (!s.revealed) return err("TrialNotRevealed", this.trialId, d.patient);
      if (s.disclosedArm !== 0 || disclosedNow.has(d.patient))
        return err("TrialAlreadyDisclosed", this.trialId, d.patient);
      const e = this.entry(s.stratum, s.allocationIndex);
      if (d.arm === 255 || armCommitment(d.arm, d.salt) !== e.armCommitment) {
        return err("TrialArmMismatch", this.trialId, d.patient, d.arm);
      }
      disclosedNow.add(d.patient);
    }
    const events: Emitted[] = [];
    for (const d of disclosures) {
      this.subjects.set(d.patient, { ...this.subject(d.patient), disclosedArm: d.arm + 1 });
      events.push(ev("ArmDisclosed", this.trialId, d.patient, d.arm));
    }
    this.disclosed += n;
    if (this.unblindedAt === 0n) this.unblindedAt = now;
    return ok(...events);
  }

  emergencyUnblind(caller: Caller, patient: bigint, reason: number): Outcome {
    const s = this.subject(patient);
    if (s.status === SubjectStatus.None) return err("TrialSubjectNotEnrolled", this.trialId, patient, s.status);
    if (!this.isInvestigator(caller, s.site)) return err("TrialNotInvestigator", this.trialId, s.site, caller.address);
    if (reason === 0) return err("TrialReasonRequired");
    // An emergency does not wait for the reveal.
    this.subjects.set(patient, { ...s, emergencyUnblinded: true });
    return ok(ev("EmergencyUnblinded", this.trialId, patient, caller.id, reason));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Data, lock and unlock
  // -------------------------------------------------------------------------------------------------------------

  /** Why a batch naming `patient` at `site` is refused, if it is: the data acceptance rule. */
  dataRefusal(patient: bigint, site: number): Outcome | undefined {
    const s = this.subject(patient);
    if (s.status !== SubjectStatus.Enrolled) return err("TrialSubjectNotEnrolled", this.trialId, patient, s.status);
    if (s.site !== site) return err("TrialSubjectNotAtSite", this.trialId, patient, site);
    if (s.consentedVersion < this.majorConsentVersion) {
      return err("TrialReconsentRequired", this.trialId, patient, s.consentedVersion, this.majorConsentVersion);
    }
    return undefined;
  }

  anchorData(caller: Caller, site: number, root: string, count: number, subjects: readonly bigint[]): Outcome {
    const lockedRefusal = this.locked();
    if (lockedRefusal !== undefined) return lockedRefusal;
    const status = this.siteStatus(site);
    if (status !== SiteStatus.Active && status !== SiteStatus.Suspended) {
      return err("TrialSiteNotActive", this.trialId, site, status);
    }
    if (!this.isInvestigator(caller, site)) return err("TrialNotInvestigator", this.trialId, site, caller.address);
    if (root === ZeroHash) return err("TrialZeroCommitment");
    if (count === 0 || count > MAX_BATCH_ENTRIES) return err("TrialInvalidBatchCount", count);
    const n = subjects.length;
    if (n === 0 || n > MAX_BATCH_SUBJECTS) return err("TrialInvalidLength", n, MAX_BATCH_SUBJECTS);
    for (const [i, p] of subjects.entries()) {
      const previous = subjects[i - 1];
      if (previous !== undefined && p <= previous) return err("TrialSubjectsNotAscending", previous, p);
      const refusal = this.dataRefusal(p, site);
      if (refusal !== undefined) return refusal;
    }
    this.batches += 1;
    return ok(ev("DataAnchored", this.trialId, this.batches, site, root, count, [...subjects]));
  }

  lock(caller: Caller, root: string, now: bigint): Outcome {
    const refusal = this.notSponsor(caller);
    if (refusal !== undefined) return refusal;
    if (root === ZeroHash || root === NO_ROOT) return err("TrialZeroCommitment");
    if (this.status !== TrialStatus.Active) {
      return err("TrialInvalidTransition", this.trialId, this.status, TrialStatus.Locked);
    }
    this.status = TrialStatus.Locked;
    this.lockedAt = now;
    this.everLocked = true;
    this.datasetRoot = root;
    return ok(ev("DatabaseLocked", this.trialId, root));
  }

  requestUnlock(caller: Caller, reason: number): Outcome {
    const refusal = this.notSponsor(caller);
    if (refusal !== undefined) return refusal;
    if (this.status !== TrialStatus.Locked) return err("TrialDatabaseNotLocked", this.trialId);
    if (reason === 0) return err("TrialReasonRequired");
    this.unlockRequested = true;
    this.unlockReason = reason;
    return ok(ev("UnlockRequested", this.trialId, this.sponsor, reason));
  }

  approveUnlock(caller: Caller): Outcome {
    if (caller.id === 0n || (caller.id !== this.ethicsCommittee && caller.id !== this.regulator)) {
      return err("TrialNotOversight", this.trialId, caller.address);
    }
    if (!this.unlockRequested) return err("TrialNoUnlockRequest", this.trialId);
    const reason = this.unlockReason;
    this.status = TrialStatus.Active;
    this.lockedAt = 0n;
    this.datasetRoot = ZeroHash;
    this.unlockRequested = false;
    this.unlockReason = 0;
    return ok(ev("DatabaseUnlocked", this.trialId, caller.id, reason));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Amendments
  // -------------------------------------------------------------------------------------------------------------

  proposeAmendment(caller: Caller, p: AmendmentProposal, now: bigint): Outcome {
    const refusal = this.notSponsor(caller, true);
    if (refusal !== undefined) return refusal;
    if (this.pending !== 0) return err("TrialProtocolAmendmentPending", this.trialId, this.pending);
    if (p.protocol === ZeroHash) return err("TrialProtocolEmptyAmendment");
    // A past date is the actual completion of a trial that ended early; a future one lies within the horizon.
    if (p.primaryCompletion > now + MAX_COMPLETION_HORIZON) {
      return err("TrialProtocolInvalidPrimaryCompletion", p.primaryCompletion, now);
    }
    const n = p.outcomes.length;
    if (n > MAX_OUTCOMES) return err("TrialProtocolInvalidOutcomes", n);
    const seen = new Set<string>();
    let added = 0;
    for (const o of p.outcomes) {
      if (o.commitment === ZeroHash || seen.has(o.commitment)) {
        return err("TrialProtocolDuplicateOutcome", o.commitment);
      }
      seen.add(o.commitment);
      if (!this.specified.includes(o.commitment)) added += 1;
    }
    if (n !== 0 && (!p.outcomes.some((o) => o.primary) || this.specified.length + added > MAX_OUTCOMES)) {
      return err("TrialProtocolInvalidOutcomes", n);
    }
    const major = p.consentForm !== ZeroHash && p.majorConsentChange;
    this.amendments.push({
      status: TrialAmendmentStatus.Proposed,
      majorConsentChange: major,
      changesOutcomes: n !== 0,
      approvedAfterUnblinding: false,
      approvedAfterLock: false,
      proposedAt: now,
      decidedAt: 0n,
      primaryCompletion: p.primaryCompletion,
      protocol: p.protocol,
      analysisPlan: p.analysisPlan,
      consentForm: p.consentForm,
      outcomes: p.outcomes.map((o) => ({ ...o })),
    });
    const id = this.amendments.length;
    this.pending = id;
    return ok(
      ev(
        "AmendmentProposed",
        this.trialId,
        id,
        this.sponsor,
        p.protocol,
        p.analysisPlan,
        p.consentForm,
        major,
        p.primaryCompletion,
        n !== 0,
      ),
    );
  }

  /** The amendment `id` if it can move to `to`, else the refusal. */
  private decidable(id: number, to: TrialAmendmentStatus): ModelAmendment | Outcome {
    const a = id >= 1 ? this.amendments[id - 1] : undefined;
    if (a === undefined) return err("TrialProtocolUnknownAmendment", this.trialId, id);
    if (a.status !== TrialAmendmentStatus.Proposed) {
      return err("TrialProtocolInvalidTransition", this.trialId, id, a.status, to);
    }
    return a;
  }

  approveAmendment(caller: Caller, id: number, now: bigint): Outcome {
    const refusal = this.notEthicsCommittee(caller, true);
    if (refusal !== undefined) return refusal;
    const a = this.decidable(id, TrialAmendmentStatus.Approved);
    if ("error" in a || "ok" in a) return a;
    const unblinded = this.unblindedAt !== 0n;
    const everLocked = this.everLocked;
    a.status = TrialAmendmentStatus.Approved;
    a.decidedAt = now;
    a.approvedAfterUnblinding = unblinded;
    a.approvedAfterLock = everLocked;
    this.pending = 0;
    this.protocol = a.protocol;
    if (a.analysisPlan !== ZeroHash) this.analysisPlan = a.analysisPlan;
    if (a.consentForm !== ZeroHash) {
      this.consentVersion += 1;
      this.consentForm = a.consentForm;
      if (a.majorConsentChange) this.majorConsentVersion = this.consentVersion;
    }
    const events: Emitted[] = [];
    if (a.primaryCompletion !== 0n) {
      // Lateness already incurred stays: a new date does not clear it.
      if (this.late(now)) this.wasLate = true;
      this.primaryCompletion = a.primaryCompletion;
      events.push(ev("PrimaryCompletionSet", this.trialId, id, a.primaryCompletion));
    }
    if (a.outcomes.length > 0) {
      for (const o of a.outcomes) {
        if (!this.specified.includes(o.commitment)) this.specified.push(o.commitment);
        events.push(ev("OutcomeSpecified", this.trialId, id, o.commitment, o.primary));
      }
      this.inForce = a.outcomes.map((o) => ({ ...o }));
      if (!(unblinded || everLocked)) this.preSpecified = a.outcomes.map((o) => ({ ...o }));
    }
    events.push(
      ev("AmendmentApproved", this.trialId, id, this.ethicsCommittee, this.consentVersion, unblinded, everLocked),
    );
    return ok(...events);
  }

  rejectAmendment(caller: Caller, id: number, reason: number, now: bigint): Outcome {
    const refusal = this.notEthicsCommittee(caller, true);
    if (refusal !== undefined) return refusal;
    if (reason === 0) return err("TrialProtocolReasonRequired");
    const a = this.decidable(id, TrialAmendmentStatus.Rejected);
    if ("error" in a || "ok" in a) return a;
    a.status = TrialAmendmentStatus.Rejected;
    a.decidedAt = now;
    this.pending = 0;
    return ok(ev("AmendmentClosed", this.trialId, id, this.ethicsCommittee, TrialAmendmentStatus.Rejected, reason));
  }

  withdrawAmendment(caller: Caller, id: number, now: bigint): Outcome {
    const refusal = this.notSponsor(caller, true);
    if (refusal !== undefined) return refusal;
    const a = this.decidable(id, TrialAmendmentStatus.Withdrawn);
    if ("error" in a || "ok" in a) return a;
    a.status = TrialAmendmentStatus.Withdrawn;
    a.decidedAt = now;
    this.pending = 0;
    return ok(ev("AmendmentClosed", this.trialId, id, this.sponsor, TrialAmendmentStatus.Withdrawn, 0));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Results
  // -------------------------------------------------------------------------------------------------------------

  /** COMPare's comparison of a report with the pre-specified outcomes, by sets of commitments. */
  compare(reported: readonly ReportedOutcome[]): Comparison {
    const pre = new Set(this.preSpecified.map((o) => o.commitment));
    const prePrimary = new Set(this.preSpecified.filter((o) => o.primary).map((o) => o.commitment));
    const named = new Set(reported.map((r) => r.outcome));
    const reportedPrimary = new Set(reported.filter((r) => r.primary).map((r) => r.outcome));
    const notReported = this.preSpecified
      .filter((o) => !named.has(o.commitment))
      .reduce((m, o) => m | this.bit(o.commitment), 0n);
    const added = reported.filter((r) => !pre.has(r.outcome)).length;
    const primaryChanged =
      reportedPrimary.size !== prePrimary.size || [...reportedPrimary].some((c) => !prePrimary.has(c));
    return { notReported, added, primaryChanged };
  }

  reportResults(caller: Caller, root: string, reported: readonly ReportedOutcome[], now: bigint): Outcome {
    const refusal = this.notSponsor(caller, true);
    if (refusal !== undefined) return refusal;
    if (this.status !== TrialStatus.Locked) return err("TrialProtocolNotLocked", this.trialId);
    if (root !== this.datasetRoot) return err("TrialProtocolDatasetMismatch", this.trialId, this.datasetRoot, root);
    const n = reported.length;
    if (n === 0 || n > MAX_REPORTED_OUTCOMES) return err("TrialProtocolInvalidLength", n, MAX_REPORTED_OUTCOMES);
    const seen = new Set<string>();
    for (const r of reported) {
      if (r.outcome === ZeroHash) return err("TrialProtocolDuplicateOutcome", ZeroHash);
      if (r.result === ZeroHash) return err("TrialProtocolZeroResult", r.outcome);
      if (seen.has(r.outcome)) return err("TrialProtocolDuplicateResult", r.outcome);
      seen.add(r.outcome);
    }
    const comparison = this.compare(reported);
    const hash = reportHashOf(root, reported);
    this.reports.push(hash);
    const version = this.reports.length;
    const late = now > this.primaryCompletion + RESULTS_WINDOW;
    // Only a report on or after the primary completion date meets the deadline.
    if (this.firstReportedAt === 0n && now >= this.primaryCompletion) {
      this.firstReportedAt = now;
      if (late) this.wasLate = true;
    }
    const pre = new Set(this.preSpecified.map((o) => o.commitment));
    const events = reported.map((r) =>
      ev("OutcomeReported", this.trialId, version, r.outcome, r.result, r.primary, pre.has(r.outcome)),
    );
    // The pre-specified outcomes left out, by position.
    for (const c of this.specified) {
      const o = this.preSpecified.find((p) => p.commitment === c);
      if (o !== undefined && !seen.has(c)) events.push(ev("OutcomeNotReported", this.trialId, version, c, o.primary));
    }
    if (comparison.primaryChanged) {
      // The masks of positions: an outcome reported as primary that was never specified has none.
      const reportedPrimary = reported
        .filter((r) => r.primary && this.specified.includes(r.outcome))
        .reduce((m, r) => m | this.bit(r.outcome), 0n);
      events.push(
        ev("PrimaryOutcomeChanged", this.trialId, version, this.mask(this.preSpecified, true), reportedPrimary),
      );
    }
    events.push(
      ev(
        "ResultsReported",
        this.trialId,
        version,
        root,
        hash,
        [comparison.notReported, comparison.added, comparison.primaryChanged],
        late,
      ),
    );
    return ok(...events);
  }
}
