// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";

// ----------------------------------------------------------------------------------------------------------------
// States
// ----------------------------------------------------------------------------------------------------------------

/// @notice Where a trial stands. Stored as one byte.
enum TrialStatus {
    None,
    /// Registered: sites are proposed and activated, participants enrolled and randomized, data anchored.
    Active,
    /// The sponsor locked the database with the root of the final dataset: no data is accepted, results are
    /// reported against it (in `ITrialOutcomes`).
    Locked
}

/// @notice Where a trial site stands.
enum SiteStatus {
    None,
    /// The sponsor proposed it; the ethics committee has not activated it.
    Proposed,
    /// Activated by the ethics committee: it enrolls and anchors data.
    Active,
    /// Suspended by the ethics committee or the sponsor: it enrolls no one, but still anchors the follow-up data of
    /// the participants it enrolled.
    Suspended,
    /// Closed for good by the ethics committee or the sponsor.
    Closed
}

/// @notice Where a participant of a trial stands. Whether the participant's consent is current is not a status:
/// it follows from the consent form version they last signed (`Subject.consentedVersion`).
enum SubjectStatus {
    None,
    Enrolled,
    /// Withdrew, or was withdrawn by the investigator: no data after this, history kept. Final.
    Withdrawn
}

/// @notice Where a protocol amendment stands.
enum TrialAmendmentStatus {
    None,
    /// Proposed by the sponsor, awaiting the ethics committee.
    Proposed,
    /// Approved by the ethics committee: in effect from its approval.
    Approved,
    Rejected,
    /// Withdrawn by the sponsor before a decision.
    Withdrawn
}

// ----------------------------------------------------------------------------------------------------------------
// Registration and amendments (calldata)
// ----------------------------------------------------------------------------------------------------------------

/// @notice A pre-specified outcome: a salted commitment to its definition and time frame (the registry's outcome
/// measure title, description and time frame, kept off chain by the sponsor) and whether it is primary.
struct Outcome {
    bytes32 commitment;
    bool primary;
}

/// @notice What a sponsor registers. Every hash is a salted commitment to a document the sponsor keeps off chain.
struct TrialRegistration {
    /// The protocol, version 1.
    bytes32 protocol;
    /// The statistical analysis plan.
    bytes32 analysisPlan;
    /// The informed-consent form, version 1 (a commitment to the form the ethics committee approved).
    bytes32 consentForm;
    /// The pre-specified outcomes, at least one primary.
    Outcome[] outcomes;
    /// The data categories (`DataCategory` bit set) the trial collects: enrollment needs the patient's grant of each
    /// to the sponsor for research.
    uint32 categories;
    /// The planned primary completion date (Unix seconds): results are due 12 months after it.
    uint48 primaryCompletion;
    /// When the first participant was enrolled, for a trial registered after enrolling off the ledger; zero if no one
    /// has been enrolled (the first enrollment on the ledger then sets it).
    uint48 firstEnrolledAt;
    /// The reviewing ethics committee (IRB): an active organization.
    ParticipantId ethicsCommittee;
    /// The regulator that receives safety reports: an active regulator.
    ParticipantId regulator;
    /// The randomization service (an interactive response technology vendor): an active organization or device.
    ParticipantId randomizer;
}

/// @notice A protocol amendment as the sponsor proposes it; a zero field (an empty outcome list) leaves that part
/// unchanged.
struct AmendmentProposal {
    /// The new protocol.
    bytes32 protocol;
    /// A new statistical analysis plan, or zero.
    bytes32 analysisPlan;
    /// A new consent form version, or zero.
    bytes32 consentForm;
    /// Whether the new consent form version is major: every enrolled participant must then re-consent before any
    /// further data is accepted for them.
    bool majorConsentChange;
    /// A new planned primary completion date, or zero.
    uint48 primaryCompletion;
    /// The whole new list of outcomes, or empty to keep them.
    Outcome[] outcomes;
}

// ----------------------------------------------------------------------------------------------------------------
// Views
// ----------------------------------------------------------------------------------------------------------------

/// @notice A trial as `ITrialRegistry.trial` returns it.
struct Trial {
    ParticipantId sponsor;
    ParticipantId ethicsCommittee;
    ParticipantId regulator;
    ParticipantId randomizer;
    TrialStatus status;
    /// The current consent form version (1 at registration) and the last version marked major.
    uint16 consentVersion;
    uint16 majorConsentVersion;
    uint32 categories;
    uint32 enrolled;
    uint16 sites;
    /// How many strata the allocation sequence has and how long each stratum's sequence is; zero until committed.
    uint8 strata;
    uint24 perStratum;
    uint48 registeredAt;
    uint48 firstEnrolledAt;
    /// When the database was last locked; zero while unlocked.
    uint48 lockedAt;
    /// The reason code of the sponsor's request to unlock the locked database, awaiting the ethics committee or the
    /// regulator; zero if none.
    uint16 unlockRequested;
    /// When an allocation was first disclosed (the trial unblinded); zero while blinded.
    uint48 unblindedAt;
    bytes32 consentForm;
    bytes32 allocationRoot;
    /// The root of the final dataset while locked; zero while unlocked.
    bytes32 datasetRoot;
}

/// @notice What the trial's protocol contract needs to know of a trial, in one call (`ITrialRegistry.trialState`).
struct TrialState {
    ParticipantId sponsor;
    ParticipantId ethicsCommittee;
    ParticipantId regulator;
    TrialStatus status;
    uint16 consentVersion;
    /// Whether an arm was ever disclosed, and whether the database was ever locked.
    bool unblinded;
    bool everLocked;
    /// The locked dataset root; zero while unlocked.
    bytes32 datasetRoot;
}

/// @notice A trial site.
struct Site {
    /// The hospital or clinic.
    ParticipantId organization;
    /// The principal investigator: a practitioner affiliated with `organization`.
    ParticipantId investigator;
    SiteStatus status;
}

/// @notice A participant of a trial, by the patient's pseudonymous id.
struct Subject {
    SubjectStatus status;
    /// The site that enrolled the participant.
    uint16 site;
    /// The randomization stratum and the index in it that enrollment took.
    uint8 stratum;
    uint24 allocationIndex;
    /// The consent form version the participant last signed.
    uint16 consentedVersion;
    /// The nonce the participant's next consent signature for this trial must carry.
    uint32 nonce;
    uint48 enrolledAt;
    /// Whether the randomization service revealed the allocation (proven against the committed sequence).
    bool revealed;
    /// Whether an investigator unblinded this participant in an emergency.
    bool emergencyUnblinded;
    /// The disclosed arm plus one; zero while the arm is concealed.
    uint8 disclosedArm;
}

/// @notice A disclosed arm: the participant, the arm and salt of its entry, and the entry's proof against the committed
/// sequence (the reveal's proof).
struct ArmDisclosure {
    ParticipantId patient;
    uint8 arm;
    bytes32 salt;
    bytes32[] proof;
}

/// @notice A protocol amendment.
struct Amendment {
    TrialAmendmentStatus status;
    bool majorConsentChange;
    /// Whether it changes the outcomes, and whether it was approved after the trial was first unblinded or locked:
    /// such outcome changes stay marked for good and do not count as pre-specified.
    bool changesOutcomes;
    bool approvedAfterUnblinding;
    bool approvedAfterLock;
    uint48 proposedAt;
    uint48 decidedAt;
    uint48 primaryCompletion;
    bytes32 protocol;
    bytes32 analysisPlan;
    bytes32 consentForm;
}

/// @notice A batch of case-report data a site anchored: the root of a Merkle tree over the batch's entries.
struct DataBatch {
    bytes32 root;
    uint16 site;
    /// How many entries (leaves) the tree has.
    uint32 count;
    uint48 anchoredAt;
}

/// @notice One outcome in a results report: the outcome's commitment (as pre-specified, or a new one), a commitment to
/// its result, and whether the report presents it as primary.
struct ReportedOutcome {
    bytes32 outcome;
    bytes32 result;
    bool primary;
}

/// @notice How a results report compares with the pre-specified outcomes (COMPare's categories).
struct OutcomeComparison {
    /// Pre-specified outcomes (bit `i` is outcome `i`) the report leaves out.
    uint64 notReported;
    /// How many reported outcomes were never pre-specified.
    uint16 added;
    /// Whether the outcomes reported as primary differ from the pre-specified primary ones.
    bool primaryChanged;
}

/// @notice The state of a trial's randomization for an audit: how many participants were enrolled in it, how many
/// allocations were revealed (each proven against the committed sequence when revealed) and disclosed.
struct AllocationAudit {
    uint32 enrolled;
    uint32 revealed;
    uint32 disclosed;
}

/// @notice A participant's signature on a consent form version, as a site relays it: over EIP-712 `TrialConsent(uint64
/// trial,uint64 patient,uint16 site,uint16 version,bytes32 document,uint32 nonce,uint48 deadline)`, domain "CareLedger
/// Trials" version "1", by the patient's key or an active representative's (an EOA or an ERC-1271
/// wallet). The site is where the participant consents (and, re-consenting, the site that enrolled them): no other
/// site's investigator can use the signature to enroll the patient at its own site.
struct ConsentSignature {
    /// The consent form version signed: the trial's current version.
    uint16 version;
    /// A salted commitment to the signed document (the form with the participant's signature), kept off chain.
    bytes32 document;
    uint48 deadline;
    address signer;
    bytes signature;
}

// ----------------------------------------------------------------------------------------------------------------
// Safety
// ----------------------------------------------------------------------------------------------------------------

/// @notice Where a serious adverse event stands on its reporting clock. Every one starts awaiting the sponsor's
/// assessment, with the clock running: the sponsor finds it not a SUSAR, or a SUSAR, and reports a SUSAR to the
/// regulator.
enum AdverseEventStatus {
    None,
    AwaitingAssessment,
    /// Assessed as not a suspected unexpected serious adverse reaction: no expedited report due (it may still be
    /// reassessed as one).
    NotSusar,
    /// Assessed as a SUSAR: an expedited report is due by the deadline.
    Susar,
    /// Reported to the regulator as a SUSAR.
    Reported
}

/// @notice A serious adverse event, as `ITrialSafety.adverseEvent` returns it.
struct AdverseEvent {
    ParticipantId patient;
    /// Who recorded it: the investigator of the participant's site, or the sponsor.
    ParticipantId reporter;
    AdverseEventStatus status;
    /// Fatal or life-threatening: a SUSAR is then due within 7 days of awareness, otherwise within 15 (21 CFR
    /// 312.32(c)).
    bool lifeThreatening;
    /// When the sponsor became aware: when a site recorded it, or the time the sponsor gave.
    uint48 awareAt;
    uint48 deadline;
    /// When the sponsor last assessed it (zero while awaiting assessment): an assessment after the deadline stays
    /// visible, even as not a SUSAR.
    uint48 assessedAt;
    uint48 reportedAt;
    /// A salted commitment to the site's report (the SAE form), kept off chain.
    bytes32 report;
    /// A salted commitment to the expedited report filed with the regulator (the IND safety report); zero before.
    bytes32 regulatoryReport;
}
