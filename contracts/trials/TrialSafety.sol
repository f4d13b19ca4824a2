// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";
import {ITrialRegistry} from "./ITrialRegistry.sol";
import {ITrialSafety} from "./ITrialSafety.sol";
import {AdverseEvent, AdverseEventStatus, Site, Subject, SubjectStatus, TrialState} from "./Trial.sol";

/// @title TrialSafety
/// @notice Serious adverse events and the clocks of their expedited reporting. See {ITrialSafety}.
contract TrialSafety is ITrialSafety, CareLedgerModule {
    using ParticipantIdLib for ParticipantId;

    /// @notice A fatal or life-threatening SUSAR is due within 7 days of awareness (21 CFR 312.32(c)(2)).
    uint48 public constant LIFE_THREATENING_WINDOW = 7 days;
    /// @notice Any other SUSAR is due within 15 days (21 CFR 312.32(c)(1)).
    uint48 public constant SERIOUS_WINDOW = 15 days;
    /// @notice The most events one `overdueAdverseEvents` call looks at.
    uint32 public constant MAX_SCAN = 1000;

    ITrialRegistry private immutable _REGISTRY;
    IIdentityRegistry private immutable _IDENTITY;

    /// @dev Slot 0: 64 + 64 + 8 + 8 + 48 + 48 = 240 bits; slot 1: when assessed and reported; then the two
    /// commitments.
    mapping(uint64 trialId => mapping(uint32 eventId => AdverseEvent stored)) private _events;
    mapping(uint64 trialId => uint32 count) private _counts;

    /// @param authority The suite's AccessManager.
    /// @param registry_ The trial registry, whose participants, sites and sponsors this contract reads.
    constructor(address authority, ITrialRegistry registry_) CareLedgerModule(authority) {
        if (address(registry_).code.length == 0) revert TrialSafetyInvalidDependency(address(registry_));
        _REGISTRY = registry_;
        _IDENTITY = registry_.identityRegistry();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialSafety
    function recordAdverseEvent(
        uint64 trialId,
        ParticipantId patient,
        bytes32 report,
        bool lifeThreatening,
        uint48 awareAt
    ) external override returns (uint32 eventId) {
        TrialState memory state = _REGISTRY.trialState(trialId);
        Subject memory subj = _REGISTRY.subject(trialId, patient);
        if (subj.status == SubjectStatus.None) revert TrialSafetyNotParticipant(trialId, patient);
        uint48 now_ = Time.timestamp();
        ParticipantId caller = _requireReporter(trialId, patient, state.sponsor, subj.site, awareAt, now_);
        if (awareAt > now_) revert TrialSafetyInvalidAwareness(awareAt, now_);
        if (report == bytes32(0)) revert TrialSafetyZeroCommitment();
        uint48 aware = awareAt == 0 ? now_ : awareAt;
        uint48 deadline = aware + (lifeThreatening ? LIFE_THREATENING_WINDOW : SERIOUS_WINDOW);
        eventId = ++_counts[trialId];
        _events[trialId][eventId] = AdverseEvent({
            patient: patient,
            reporter: caller,
            status: AdverseEventStatus.AwaitingAssessment,
            lifeThreatening: lifeThreatening,
            awareAt: aware,
            deadline: deadline,
            assessedAt: 0,
            reportedAt: 0,
            report: report,
            regulatoryReport: bytes32(0)
        });
        emit AdverseEventRecorded(trialId, eventId, patient, caller, report, lifeThreatening, aware, deadline);
    }

    /// @inheritdoc ITrialSafety
    function assess(uint64 trialId, uint32 eventId, bool susar) external override whenNotPaused {
        _requireSponsor(trialId);
        AdverseEventStatus to = susar ? AdverseEventStatus.Susar : AdverseEventStatus.NotSusar;
        _transition(trialId, eventId, to).assessedAt = Time.timestamp();
        emit AdverseEventAssessed(trialId, eventId, to);
    }

    /// @inheritdoc ITrialSafety
    function reportSusar(uint64 trialId, uint32 eventId, bytes32 regulatoryReport) external override {
        TrialState memory state = _requireSponsor(trialId);
        if (regulatoryReport == bytes32(0)) revert TrialSafetyZeroCommitment();
        AdverseEvent storage stored = _transition(trialId, eventId, AdverseEventStatus.Reported);
        stored.reportedAt = Time.timestamp();
        stored.regulatoryReport = regulatoryReport;
        emit SusarReported(trialId, eventId, state.regulator, regulatoryReport, stored.reportedAt > stored.deadline);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialSafety
    function adverseEvent(uint64 trialId, uint32 eventId) external view override returns (AdverseEvent memory) {
        AdverseEvent storage stored = _events[trialId][eventId];
        if (stored.status == AdverseEventStatus.None) revert TrialSafetyUnknownEvent(trialId, eventId);
        return stored;
    }

    /// @inheritdoc ITrialSafety
    function adverseEventCount(uint64 trialId) external view override returns (uint32) {
        return _counts[trialId];
    }

    /// @inheritdoc ITrialSafety
    function overdueAdverseEvents(
        uint64 trialId,
        uint32 from,
        uint32 to
    ) external view override returns (uint32[] memory eventIds) {
        uint32 count = _counts[trialId];
        if (to > count) to = count;
        if (from == 0) from = 1;
        if (to < from) return eventIds;
        if (to - from >= MAX_SCAN) revert TrialSafetyInvalidRange(from, to);
        eventIds = new uint32[](to - from + 1);
        uint256 found;
        uint48 now_ = Time.timestamp();
        for (uint32 id = from; id <= to; ++id) {
            AdverseEvent storage stored = _events[trialId][id];
            bool open =
                stored.status == AdverseEventStatus.AwaitingAssessment || stored.status == AdverseEventStatus.Susar;
            if (open && now_ > stored.deadline) {
                eventIds[found] = id;
                ++found;
            }
        }
        // Shrinks the array to the events found (`found` is at most its length).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(eventIds, found)
        }
    }

    /// @inheritdoc ITrialSafety
    function registry() external view override returns (ITrialRegistry) {
        return _REGISTRY;
    }

    /// @inheritdoc IPausableModule
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The event's one transition function: AwaitingAssessment → NotSusar or Susar, NotSusar → Susar, and
    /// anything but Reported → Reported.
    function _transition(
        uint64 trialId,
        uint32 eventId,
        AdverseEventStatus to
    ) private returns (AdverseEvent storage stored) {
        stored = _events[trialId][eventId];
        AdverseEventStatus from = stored.status;
        if (from == AdverseEventStatus.None) revert TrialSafetyUnknownEvent(trialId, eventId);
        bool allowed =
            (from == AdverseEventStatus.AwaitingAssessment && to != AdverseEventStatus.AwaitingAssessment) ||
                (from == AdverseEventStatus.NotSusar && to != AdverseEventStatus.NotSusar) ||
                (from == AdverseEventStatus.Susar && to == AdverseEventStatus.Reported);
        if (!allowed) revert TrialSafetyInvalidTransition(trialId, eventId, from, to);
        stored.status = to;
    }

    function _requireSponsor(uint64 trialId) private view returns (TrialState memory state) {
        state = _REGISTRY.trialState(trialId);
        ParticipantId caller = _callerId();
        if (caller.isNone() || caller != state.sponsor) revert TrialSafetyNotSponsor(trialId, msg.sender);
    }

    /// @dev The sponsor, or the investigator of the patient's site acting for the site's organization; only the
    ///      sponsor may date its awareness back (`awareAt`). One identity read gives the caller's id and affiliation.
    function _requireReporter(
        uint64 trialId,
        ParticipantId patient,
        ParticipantId sponsor,
        uint16 siteId,
        uint48 awareAt,
        uint48 now_
    ) private view returns (ParticipantId caller) {
        bool active;
        ParticipantId affiliation;
        (caller, , affiliation, active) = _IDENTITY.accountStanding(msg.sender, now_);
        if (!active) caller = ParticipantIdLib.NONE;
        if (!caller.isNone() && caller == sponsor) return caller;
        Site memory s = _REGISTRY.site(trialId, siteId);
        if (caller.isNone() || caller != s.investigator || affiliation != s.organization) {
            revert TrialSafetyNotReporter(trialId, patient, msg.sender);
        }
        if (awareAt != 0) revert TrialSafetyInvalidAwareness(awareAt, now_);
    }

    /// @dev The id the caller's key actively controls, NONE if none.
    function _callerId() private view returns (ParticipantId id) {
        bool active;
        (id, , , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (!active) id = ParticipantIdLib.NONE;
    }
}
