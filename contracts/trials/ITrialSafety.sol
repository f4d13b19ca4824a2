// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";
import {ITrialRegistry} from "./ITrialRegistry.sol";
import {AdverseEvent, AdverseEventStatus} from "./Trial.sol";

/// @title ITrialSafety
/// @notice Serious adverse events of trial participants and the clocks of their expedited reporting (21 CFR 312.32,
/// and the EU Clinical Trials Regulation's 7 and 15 days): a suspected unexpected serious adverse reaction (SUSAR) must
/// reach the regulator within 7 days of the sponsor's awareness if fatal or life-threatening, 15 days otherwise.
///
/// - The investigator of the participant's site records a serious adverse event as a commitment to its report: the
///   sponsor is aware from that block (the ledger is the notification). The sponsor may record one it learned of
///   otherwise, with the time it became aware.
/// - Every event's clock runs from awareness until the sponsor assesses it as not a SUSAR or reports it: an event
///   nobody assesses becomes overdue, so ignoring one is never a way out. The sponsor reports a SUSAR with a
///   commitment to the expedited report; a report after the deadline is marked late for good.
/// - `overdueAdverseEvents` lists what is due and not reported.
/// @dev No personal health information: reports are salted commitments; the participant is named by the pseudonymous
/// id under which the registry enrolled them. While paused, recording an event and reporting a SUSAR go on (a pause
/// must not make a sponsor miss a legal deadline or a site fail to report); only assessment, which can stop a clock,
/// stops.
interface ITrialSafety {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The trial registry is not a contract.
    error TrialSafetyInvalidDependency(address dependency);
    /// @notice `account` is the active key of neither the investigator of the participant's site nor the sponsor.
    error TrialSafetyNotReporter(uint64 trialId, ParticipantId patient, address account);
    /// @notice `account` is not the active key of the trial's sponsor.
    error TrialSafetyNotSponsor(uint64 trialId, address account);
    /// @notice The patient was never enrolled in the trial.
    error TrialSafetyNotParticipant(uint64 trialId, ParticipantId patient);
    /// @notice A report commitment must not be zero.
    error TrialSafetyZeroCommitment();
    /// @notice A site records an event as of now (`awareAt` zero); the sponsor's awareness may not lie in the future.
    error TrialSafetyInvalidAwareness(uint48 awareAt, uint48 currentTime);
    /// @notice The trial has no adverse event with this number.
    error TrialSafetyUnknownEvent(uint64 trialId, uint32 eventId);
    /// @notice The event cannot move from its status to the one asked for.
    error TrialSafetyInvalidTransition(uint64 trialId, uint32 eventId, AdverseEventStatus from, AdverseEventStatus to);
    /// @notice A scan covers 1 to `MAX_SCAN` events.
    error TrialSafetyInvalidRange(uint32 from, uint32 to);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A serious adverse event was recorded; its reporting clock runs until `deadline`.
    event AdverseEventRecorded(
        uint64 indexed trialId,
        uint32 indexed eventId,
        ParticipantId indexed patient,
        ParticipantId reporter,
        bytes32 report,
        bool lifeThreatening,
        uint48 awareAt,
        uint48 deadline
    );
    /// @notice The sponsor assessed the event (`NotSusar` or `Susar`).
    event AdverseEventAssessed(uint64 indexed trialId, uint32 indexed eventId, AdverseEventStatus status);
    /// @notice The sponsor reported the SUSAR to the trial's regulator; `late` when after the deadline.
    event SusarReported(
        uint64 indexed trialId,
        uint32 indexed eventId,
        ParticipantId indexed regulator,
        bytes32 regulatoryReport,
        bool late
    );

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Records a serious adverse event of a participant (enrolled, or since withdrawn).
    /// @dev Requirements: the caller the active key of the investigator of the participant's site (with `awareAt`
    /// zero: aware now) or of the sponsor (`awareAt` zero for now, or a past time); a non-zero report. Works while
    /// paused.
    /// @return eventId The event's number in the trial (from 1).
    function recordAdverseEvent(
        uint64 trialId,
        ParticipantId patient,
        bytes32 report,
        bool lifeThreatening,
        uint48 awareAt
    ) external returns (uint32 eventId);

    /// @notice The sponsor assesses an event awaiting assessment as a SUSAR or not, or reassesses one it found not a
    /// SUSAR as one. The clock keeps running from awareness.
    /// @dev Requirements: not paused; the sponsor.
    function assess(uint64 trialId, uint32 eventId, bool susar) external;

    /// @notice The sponsor reports the event to the regulator as a SUSAR (an event awaiting assessment, found one, or
    /// reassessed). Works while paused.
    /// @dev Requirements: the sponsor; a non-zero report; the event not reported yet.
    function reportSusar(uint64 trialId, uint32 eventId, bytes32 regulatoryReport) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The event; reverts with `TrialSafetyUnknownEvent` if none.
    function adverseEvent(uint64 trialId, uint32 eventId) external view returns (AdverseEvent memory);

    /// @notice How many adverse events the trial has.
    function adverseEventCount(uint64 trialId) external view returns (uint32);

    /// @notice The events among numbers `from` to `to` (inclusive, at most `MAX_SCAN`) past their deadline and not
    /// reported, nor assessed as not a SUSAR.
    function overdueAdverseEvents(uint64 trialId, uint32 from, uint32 to) external view returns (uint32[] memory);

    /// @notice The trial registry this contract reads.
    function registry() external view returns (ITrialRegistry);
}
