/**
 * The trials module's enums, member for member as `contracts/trials/Trial.sol` declares them (a test compares the
 * two), and the reason-code lists its events carry (published off chain; the contracts store only the numbers).
 */

export enum TrialStatus {
  None,
  Active,
  Locked,
}

export enum SiteStatus {
  None,
  Proposed,
  Active,
  Suspended,
  Closed,
}

export enum SubjectStatus {
  None,
  Enrolled,
  Withdrawn,
}

/** `AmendmentStatus` in Trial.sol (the records module has an `AmendmentStatus` of its own). */
export enum TrialAmendmentStatus {
  None,
  Proposed,
  Approved,
  Rejected,
  Withdrawn,
}

export enum AdverseEventStatus {
  None,
  AwaitingAssessment,
  NotSusar,
  Susar,
  Reported,
}

/** Why an investigator unblinds one participant in an emergency. */
export enum UnblindingReason {
  None,
  /** The participant's treatment in an emergency depends on knowing the arm. */
  MedicalEmergency,
  /** A serious adverse event whose management needs the arm. */
  SeriousAdverseEvent,
  /** An overdose or a medication error. */
  Overdose,
  /** A regulator asked for it. */
  RegulatoryRequest,
}

/** Why a participant leaves a trial (zero: no reason given, which a participant never owes). */
export enum WithdrawalReason {
  None,
  /** The participant withdrew consent. */
  ConsentWithdrawn,
  AdverseEvent,
  LostToFollowUp,
  /** The investigator's decision for the participant's safety. */
  InvestigatorDecision,
  /** A protocol deviation made further participation impossible. */
  ProtocolDeviation,
  Death,
}

/** Why a sponsor asks to unlock a locked database. */
export enum UnlockReason {
  None,
  /** A data error found after lock (a query resolved late, a transcription error). */
  DataCorrection,
  /** A regulator's or ethics committee's finding that requires a change. */
  OversightFinding,
  /** Data the lock left out by mistake (a late laboratory result). */
  MissingData,
}

/** Why an ethics committee rejects an amendment, or a site changes status. */
export enum OversightReason {
  None,
  /** The risk to participants outweighs the benefit. */
  RiskToParticipants,
  /** The consent form is inadequate. */
  InadequateConsent,
  /** The scientific rationale or design is inadequate. */
  ScientificDesign,
  /** Good clinical practice was not followed (a site). */
  GcpNonCompliance,
  /** The site enrolls too slowly, or has enrolled enough. */
  Enrollment,
}
