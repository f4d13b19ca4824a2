// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";
import {ITrialRegistry} from "./ITrialRegistry.sol";
import {
    Amendment,
    AmendmentProposal,
    TrialAmendmentStatus,
    Outcome,
    OutcomeComparison,
    ReportedOutcome
} from "./Trial.sol";

/// @title ITrialProtocol
/// @notice A trial's protocol over time: its versions and amendments, its pre-specified outcomes, its results and
/// their deadline — what the COMPare audit and the FDAAA TrialsTracker check by hand, done by the ledger. Created by
/// the trial registry ({ITrialRegistry}), which hands it each registration through a hook only it may call, and which
/// it tells of each approved consent form version.
///
/// - **Amendments.** The sponsor proposes an amendment (a new protocol, possibly a new analysis plan, consent form
///   version — major or minor — primary completion date or outcome list); it takes effect only when the trial's ethics
///   committee approves it. One at a time. One approved after the trial was first unblinded or locked is marked so
///   forever.
/// - **Pre-specified outcomes.** Each outcome is a salted commitment to its definition and time frame, primary or
///   secondary; every outcome ever specified for a trial has a position (bit `i` of the masks below). Those in force
///   when the trial was first unblinded or locked are the pre-specified ones; an amendment approved after that changes
///   the outcomes in force but not the pre-specified ones.
/// - **Results.** The sponsor reports results against the locked dataset root, each outcome with a commitment to its
///   result. The contract emits every reported outcome (pre-specified or not), every pre-specified outcome left out,
///   and a changed primary outcome, and keeps the hash of each report version.
/// - **Deadline.** Results are due 12 months after the primary completion date (42 CFR 11.44(a)); the date is set at
///   registration and changed only by an approved amendment. `overdueTrials` lists the trials that are late.
/// @dev While paused, proposing and approving amendments and reporting results stop; rejecting and withdrawing an
/// amendment go on, and so does the registry's hook (it follows the registry's own pause).
interface ITrialProtocol {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Only the trial registry that created this contract calls its hooks.
    error TrialProtocolNotRegistry(address account);
    /// @notice A trial has 1 to `MAX_OUTCOMES` outcomes, at least one primary (and over its life at most
    /// `MAX_OUTCOMES` distinct ones).
    error TrialProtocolInvalidOutcomes(uint256 count);
    /// @notice An outcome commitment is zero or appears twice.
    error TrialProtocolDuplicateOutcome(bytes32 commitment);
    /// @notice No trial has this id.
    error TrialProtocolUnknownTrial(uint64 trialId);
    /// @notice `account` is not the active key of the trial's sponsor.
    error TrialProtocolNotSponsor(uint64 trialId, address account);
    /// @notice Results are reported only against a locked database.
    error TrialProtocolNotLocked(uint64 trialId);
    /// @notice Results are reported against the locked dataset root `expected`.
    error TrialProtocolDatasetMismatch(uint64 trialId, bytes32 expected, bytes32 provided);
    /// @notice A results report lists 1 to `MAX_REPORTED_OUTCOMES` outcomes; a scan covers at most `MAX_SCAN` trials.
    error TrialProtocolInvalidLength(uint256 length, uint256 max);
    /// @notice `account` is not the active key of the trial's ethics committee.
    error TrialProtocolNotEthicsCommittee(uint64 trialId, address account);
    /// @notice An amendment carries a new protocol: it must not be zero.
    error TrialProtocolEmptyAmendment();
    /// @notice A new primary completion date may lie at most `MAX_COMPLETION_HORIZON` ahead (it may lie in the past:
    /// the actual completion of a trial that ended early).
    error TrialProtocolInvalidPrimaryCompletion(uint48 primaryCompletion, uint48 currentTime);
    /// @notice The trial has an amendment awaiting the ethics committee; one at a time.
    error TrialProtocolAmendmentPending(uint64 trialId, uint16 amendmentId);
    /// @notice The trial has no amendment with this id.
    error TrialProtocolUnknownAmendment(uint64 trialId, uint16 amendmentId);
    /// @notice The amendment cannot move from its status to the one asked for.
    error TrialProtocolInvalidTransition(
        uint64 trialId,
        uint16 amendmentId,
        TrialAmendmentStatus from,
        TrialAmendmentStatus to
    );
    /// @notice A rejection needs a reason code (from the published code list; zero is none).
    error TrialProtocolReasonRequired();
    /// @notice A result must commit to something: it must not be zero.
    error TrialProtocolZeroResult(bytes32 outcome);
    /// @notice The results report names an outcome twice.
    error TrialProtocolDuplicateResult(bytes32 outcome);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The sponsor proposed an amendment.
    event AmendmentProposed(
        uint64 indexed trialId,
        uint16 indexed amendmentId,
        ParticipantId indexed sponsor,
        bytes32 protocol,
        bytes32 analysisPlan,
        bytes32 consentForm,
        bool majorConsentChange,
        uint48 primaryCompletion,
        bool changesOutcomes
    );
    /// @notice The ethics committee approved the amendment; it is in effect. `consentVersion` is the trial's current
    /// consent form version after it. An amendment approved after unblinding or lock is marked so.
    event AmendmentApproved(
        uint64 indexed trialId,
        uint16 indexed amendmentId,
        ParticipantId indexed ethicsCommittee,
        uint16 consentVersion,
        bool afterUnblinding,
        bool afterLock
    );
    /// @notice The ethics committee rejected the amendment (`reasonCode`), or the sponsor withdrew it (zero); `actor`
    /// is who did.
    event AmendmentClosed(
        uint64 indexed trialId,
        uint16 indexed amendmentId,
        ParticipantId indexed actor,
        TrialAmendmentStatus status,
        uint16 reasonCode
    );
    /// @notice An outcome was specified at registration (`amendmentId` zero) or by an approved amendment.
    event OutcomeSpecified(uint64 indexed trialId, uint16 indexed amendmentId, bytes32 indexed outcome, bool primary);
    /// @notice The primary completion date is now `primaryCompletion` (at registration, or by an approved amendment).
    event PrimaryCompletionSet(uint64 indexed trialId, uint16 indexed amendmentId, uint48 indexed primaryCompletion);
    /// @notice The sponsor reported results (`version` counts reports), committing to them by `reportHash`
    /// (`keccak256(abi.encode(datasetRoot, outcomes))`); `late` when after the due date.
    event ResultsReported(
        uint64 indexed trialId,
        uint16 indexed version,
        bytes32 datasetRoot,
        bytes32 reportHash,
        OutcomeComparison comparison,
        bool late
    );
    /// @notice One reported outcome and its result, and whether it was pre-specified.
    event OutcomeReported(
        uint64 indexed trialId,
        uint16 indexed version,
        bytes32 indexed outcome,
        bytes32 result,
        bool primary,
        bool preSpecified
    );
    /// @notice A pre-specified outcome the report leaves out.
    event OutcomeNotReported(uint64 indexed trialId, uint16 indexed version, bytes32 indexed outcome, bool primary);
    /// @notice The outcomes reported as primary differ from those pre-specified as primary (masks of positions; a
    /// reported primary outcome never specified has no position: see its `OutcomeReported`).
    event PrimaryOutcomeChanged(
        uint64 indexed trialId,
        uint16 indexed version,
        uint64 indexed preSpecifiedPrimary,
        uint64 reportedPrimary
    );

    // ------------------------------------------------------------------------------------------------------------
    // Hooks: the trial registry only
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Records a new trial's protocol, analysis plan, outcomes and primary completion date (the registry has
    /// checked the commitments and the date). Reverts `TrialProtocolInvalidOutcomes` or
    /// `TrialProtocolDuplicateOutcome` on an outcome list as `ITrialRegistry.registerTrial` forbids.
    function specify(
        uint64 trialId,
        bytes32 protocol,
        bytes32 analysisPlan,
        Outcome[] calldata list,
        uint48 primaryCompletion
    ) external;

    // ------------------------------------------------------------------------------------------------------------
    // Amendments
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The sponsor proposes an amendment; it takes effect when the ethics committee approves it.
    /// @dev Requirements: not paused; the sponsor's active key; no amendment pending; a non-zero protocol; an outcome
    /// list, if given, of 1 to `MAX_OUTCOMES` distinct non-zero outcomes with a primary one (counting outcomes ever
    /// specified); a primary completion, if given, at most `MAX_COMPLETION_HORIZON` ahead (a past date is the actual
    /// completion of a trial that ended early). A consent form marked major only if one is given.
    /// @return amendmentId The amendment's number (from 1).
    function proposeAmendment(
        uint64 trialId,
        AmendmentProposal calldata proposal
    ) external returns (uint16 amendmentId);

    /// @notice The ethics committee approves the pending amendment: the protocol, plan, consent form (a new version,
    /// recorded by the registry), completion date and outcomes change now. Before the trial is first unblinded or
    /// locked the new outcomes are the pre-specified ones; after, the change is marked and the pre-specified outcomes
    /// stay.
    /// @dev Requirements: not paused; the trial's ethics committee's active key; the amendment `Proposed`.
    function approveAmendment(uint64 trialId, uint16 amendmentId) external;

    /// @notice The ethics committee rejects the pending amendment, for a non-zero `reasonCode`. Works while paused.
    function rejectAmendment(uint64 trialId, uint16 amendmentId, uint16 reasonCode) external;

    /// @notice The sponsor withdraws its pending amendment. Works while paused.
    function withdrawAmendment(uint64 trialId, uint16 amendmentId) external;

    // ------------------------------------------------------------------------------------------------------------
    // Results
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The sponsor reports results against the locked dataset; the contract compares the reported outcomes
    /// with the pre-specified ones and emits what differs.
    /// @dev Requirements: not paused; the sponsor's active key; the database locked with `datasetRoot`; 1 to
    /// `MAX_REPORTED_OUTCOMES` distinct non-zero outcomes with non-zero results. Emits `ResultsReported`, an
    /// `OutcomeReported` per outcome, an `OutcomeNotReported` per pre-specified outcome left out and
    /// `PrimaryOutcomeChanged` when the primary outcomes differ.
    /// @return comparison The difference from the pre-specified outcomes.
    function reportResults(
        uint64 trialId,
        bytes32 datasetRoot,
        ReportedOutcome[] calldata outcomes
    ) external returns (OutcomeComparison memory comparison);

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The trial's protocol and analysis plan in force, how many amendments were proposed and the one pending
    /// (zero if none). Reverts `TrialProtocolUnknownTrial` for an unknown trial.
    function protocolOf(
        uint64 trialId
    ) external view returns (bytes32 protocol, bytes32 analysisPlan, uint16 amendments, uint16 pendingAmendment);

    /// @notice The amendment; reverts with `TrialProtocolUnknownAmendment` if none.
    function amendment(uint64 trialId, uint16 amendmentId) external view returns (Amendment memory);

    /// @notice Every outcome ever specified for the trial (bit `i` of a mask is `commitments[i]`): those in force now
    /// (`current`, `currentPrimary`) and the pre-specified ones results are compared with (`preSpecified`,
    /// `preSpecifiedPrimary`).
    function outcomes(
        uint64 trialId
    )
        external
        view
        returns (
            bytes32[] memory commitments,
            uint64 current,
            uint64 currentPrimary,
            uint64 preSpecified,
            uint64 preSpecifiedPrimary
        );

    /// @notice The primary completion date, when results are due (12 months after it), how many result versions were
    /// reported, when the first on or after the primary completion date was (a report before it does not meet the
    /// deadline: an early report, then an unlock, cannot stop the clock), and whether results are late: not reported
    /// by the due date, or first reported after it. Lateness is for good: an amendment that moves the completion date
    /// after results fell due does not clear it. (`ResultsReported.late` says it of each report.)
    function resultsDeadline(
        uint64 trialId
    ) external view returns (uint48 primaryCompletion, uint48 due, uint16 versions, uint48 firstReportedAt, bool late);

    /// @notice The trials among ids `from` to `to` (inclusive, at most `MAX_SCAN` of them) whose results are late.
    function overdueTrials(uint64 from, uint64 to) external view returns (uint64[] memory trialIds);

    /// @notice The hash of results report `version`; zero if none.
    function resultsHash(uint64 trialId, uint16 version) external view returns (bytes32);

    /// @notice The trial registry this contract serves.
    function registry() external view returns (ITrialRegistry);
}
