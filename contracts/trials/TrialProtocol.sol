// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";
import {ITrialProtocol} from "./ITrialProtocol.sol";
import {ITrialRegistry} from "./ITrialRegistry.sol";
import {
    Amendment,
    AmendmentProposal,
    TrialAmendmentStatus,
    Outcome,
    OutcomeComparison,
    ReportedOutcome,
    TrialState,
    TrialStatus
} from "./Trial.sol";

/// @title TrialProtocol
/// @notice A trial's protocol over time: versions, amendments, pre-specified outcomes, results and their deadline. See
/// {ITrialProtocol}.
/// @dev Created by the trial registry; `msg.sender` of the constructor is that registry.
contract TrialProtocol is ITrialProtocol, CareLedgerModule {
    using ParticipantIdLib for ParticipantId;

    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Slot 0: the four outcome masks (bit `i` is the trial's `i`-th outcome ever specified). Slot 1: 48 + 48 +
    /// 48 + 16 + 64 + 16 + 16 = 256 bits: the completion date, the pending amendment's, the first report's time, the
    /// report count, the pending amendment's primary flags (bit `i` is `_proposed[trialId][i]`), the amendment count
    /// and the pending amendment. Then the protocol and analysis plan in force, and whether results were ever late.
    struct StoredProtocol {
        uint64 current;
        uint64 currentPrimary;
        uint64 preSpecified;
        uint64 preSpecifiedPrimary;
        uint48 primaryCompletion;
        uint48 proposedCompletion;
        uint48 firstReportedAt;
        uint16 versions;
        uint64 proposedPrimary;
        uint16 amendments;
        uint16 pendingAmendment;
        bytes32 protocol;
        bytes32 analysisPlan;
        /// Set for good once results were late: overdue when an amendment moved the completion date, or first
        /// reported after the due date. Moving the date never clears it.
        bool late;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants, immutables and storage
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The most outcomes a trial specifies over its life (registration and amendments): one bit each in a
    /// 64-bit mask.
    uint256 public constant MAX_OUTCOMES = 64;
    /// @notice The most outcomes one results report lists.
    uint256 public constant MAX_REPORTED_OUTCOMES = 64;
    /// @notice The most trials one `overdueTrials` call looks at.
    uint256 public constant MAX_SCAN = 1000;
    /// @notice The furthest a primary completion date may lie ahead: 20 years (as the registry's).
    uint48 public constant MAX_COMPLETION_HORIZON = 20 * 365 days;
    /// @notice Results are due within 12 months of the primary completion date (42 CFR 11.44(a)): 365 days.
    uint48 public constant RESULTS_WINDOW = 365 days;

    ITrialRegistry private immutable _REGISTRY;
    IIdentityRegistry private immutable _IDENTITY;

    mapping(uint64 trialId => StoredProtocol stored) private _trials;
    mapping(uint64 trialId => bytes32[] commitments) private _list;
    /// @dev An outcome's position in the trial's list, plus one (zero: never specified).
    mapping(uint64 trialId => mapping(bytes32 outcome => uint256 position)) private _position;
    /// @dev The outcome list of the trial's last proposed amendment (empty: outcomes unchanged).
    mapping(uint64 trialId => bytes32[] commitments) private _proposed;
    mapping(uint64 trialId => mapping(uint16 amendmentId => Amendment stored)) private _amendments;
    mapping(uint64 trialId => mapping(uint16 version => bytes32 reportHash)) private _reports;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    /// @param identity The identity registry the trial registry reads.
    constructor(address authority, IIdentityRegistry identity) CareLedgerModule(authority) {
        _REGISTRY = ITrialRegistry(msg.sender);
        _IDENTITY = identity;
    }

    modifier onlyRegistry() {
        if (msg.sender != address(_REGISTRY)) revert TrialProtocolNotRegistry(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Hook
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialProtocol
    function specify(
        uint64 trialId,
        bytes32 protocol,
        bytes32 analysisPlan,
        Outcome[] calldata list,
        uint48 primaryCompletion
    ) external override onlyRegistry {
        (uint64 mask, uint64 primary) = _specifyOutcomes(trialId, list);
        StoredProtocol storage t = _trials[trialId];
        (t.current, t.currentPrimary, t.preSpecified, t.preSpecifiedPrimary) = (mask, primary, mask, primary);
        (t.protocol, t.analysisPlan, t.primaryCompletion) = (protocol, analysisPlan, primaryCompletion);
        emit PrimaryCompletionSet(trialId, 0, primaryCompletion);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Amendments
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialProtocol
    function proposeAmendment(
        uint64 trialId,
        AmendmentProposal calldata proposal
    ) external override whenNotPaused returns (uint16 amendmentId) {
        StoredProtocol storage t = _known(trialId);
        ParticipantId sponsor = _requireSponsor(trialId, _REGISTRY.trialState(trialId));
        if (t.pendingAmendment != 0) revert TrialProtocolAmendmentPending(trialId, t.pendingAmendment);
        if (proposal.protocol == bytes32(0)) revert TrialProtocolEmptyAmendment();
        // A new date may lie in the past (the actual primary completion of a trial that ended early), never further
        // ahead than a registration's: the deadline it sets stays within reach of every view.
        if (proposal.primaryCompletion > Time.timestamp() + MAX_COMPLETION_HORIZON) {
            revert TrialProtocolInvalidPrimaryCompletion(proposal.primaryCompletion, Time.timestamp());
        }
        _propose(trialId, t, proposal.outcomes, proposal.primaryCompletion);
        amendmentId = ++t.amendments;
        t.pendingAmendment = amendmentId;
        bool major = proposal.consentForm != bytes32(0) && proposal.majorConsentChange;
        _amendments[trialId][amendmentId] = Amendment({
            status: TrialAmendmentStatus.Proposed,
            majorConsentChange: major,
            changesOutcomes: proposal.outcomes.length != 0,
            approvedAfterUnblinding: false,
            approvedAfterLock: false,
            proposedAt: Time.timestamp(),
            decidedAt: 0,
            primaryCompletion: proposal.primaryCompletion,
            protocol: proposal.protocol,
            analysisPlan: proposal.analysisPlan,
            consentForm: proposal.consentForm
        });
        emit AmendmentProposed(
            trialId,
            amendmentId,
            sponsor,
            proposal.protocol,
            proposal.analysisPlan,
            proposal.consentForm,
            major,
            proposal.primaryCompletion,
            proposal.outcomes.length != 0
        );
    }

    /// @inheritdoc ITrialProtocol
    function approveAmendment(uint64 trialId, uint16 amendmentId) external override whenNotPaused {
        StoredProtocol storage t = _known(trialId);
        TrialState memory state = _REGISTRY.trialState(trialId);
        ParticipantId committee = _requireEthicsCommittee(trialId, state);
        Amendment storage a = _transition(trialId, t, amendmentId, TrialAmendmentStatus.Approved);
        (a.approvedAfterUnblinding, a.approvedAfterLock) = (state.unblinded, state.everLocked);
        t.protocol = a.protocol;
        if (a.analysisPlan != bytes32(0)) t.analysisPlan = a.analysisPlan;
        uint16 consentVersion =
            a.consentForm == bytes32(0)
                ? state.consentVersion
                : _REGISTRY.recordConsentForm(trialId, a.consentForm, a.majorConsentChange);
        _apply(trialId, amendmentId, t, state.unblinded || state.everLocked);
        emit AmendmentApproved(trialId, amendmentId, committee, consentVersion, state.unblinded, state.everLocked);
    }

    /// @inheritdoc ITrialProtocol
    function rejectAmendment(uint64 trialId, uint16 amendmentId, uint16 reasonCode) external override {
        StoredProtocol storage t = _known(trialId);
        ParticipantId committee = _requireEthicsCommittee(trialId, _REGISTRY.trialState(trialId));
        if (reasonCode == 0) revert TrialProtocolReasonRequired();
        _transition(trialId, t, amendmentId, TrialAmendmentStatus.Rejected);
        emit AmendmentClosed(trialId, amendmentId, committee, TrialAmendmentStatus.Rejected, reasonCode);
    }

    /// @inheritdoc ITrialProtocol
    function withdrawAmendment(uint64 trialId, uint16 amendmentId) external override {
        StoredProtocol storage t = _known(trialId);
        ParticipantId sponsor = _requireSponsor(trialId, _REGISTRY.trialState(trialId));
        _transition(trialId, t, amendmentId, TrialAmendmentStatus.Withdrawn);
        emit AmendmentClosed(trialId, amendmentId, sponsor, TrialAmendmentStatus.Withdrawn, 0);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Results
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialProtocol
    function reportResults(
        uint64 trialId,
        bytes32 datasetRoot,
        ReportedOutcome[] calldata reported
    ) external override whenNotPaused returns (OutcomeComparison memory comparison) {
        StoredProtocol storage t = _known(trialId);
        TrialState memory state = _REGISTRY.trialState(trialId);
        _requireSponsor(trialId, state);
        if (state.status != TrialStatus.Locked) revert TrialProtocolNotLocked(trialId);
        if (datasetRoot != state.datasetRoot) {
            revert TrialProtocolDatasetMismatch(trialId, state.datasetRoot, datasetRoot);
        }
        uint256 n = reported.length;
        if (n == 0 || n > MAX_REPORTED_OUTCOMES) revert TrialProtocolInvalidLength(n, MAX_REPORTED_OUTCOMES);
        uint16 reportVersion = ++t.versions;
        comparison = _compare(trialId, reportVersion, t, reported);
        bytes32 reportHash = keccak256(abi.encode(datasetRoot, reported));
        _reports[trialId][reportVersion] = reportHash;
        bool late = Time.timestamp() > uint256(t.primaryCompletion) + RESULTS_WINDOW;
        // Only a report on or after the primary completion date meets the deadline: an early one (then an unlock, and
        // the trial going on) cannot stop the clock.
        if (t.firstReportedAt == 0 && Time.timestamp() >= t.primaryCompletion) {
            t.firstReportedAt = Time.timestamp();
            if (late) t.late = true;
        }
        emit ResultsReported(trialId, reportVersion, datasetRoot, reportHash, comparison, late);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialProtocol
    function protocolOf(
        uint64 trialId
    )
        external
        view
        override
        returns (bytes32 protocol, bytes32 analysisPlan, uint16 amendments, uint16 pendingAmendment)
    {
        StoredProtocol storage t = _known(trialId);
        return (t.protocol, t.analysisPlan, t.amendments, t.pendingAmendment);
    }

    /// @inheritdoc ITrialProtocol
    function amendment(uint64 trialId, uint16 amendmentId) external view override returns (Amendment memory) {
        StoredProtocol storage t = _known(trialId);
        if (amendmentId == 0 || amendmentId > t.amendments) {
            revert TrialProtocolUnknownAmendment(trialId, amendmentId);
        }
        return _amendments[trialId][amendmentId];
    }

    /// @inheritdoc ITrialProtocol
    function outcomes(
        uint64 trialId
    )
        external
        view
        override
        returns (
            bytes32[] memory commitments,
            uint64 current,
            uint64 currentPrimary,
            uint64 preSpecified,
            uint64 preSpecifiedPrimary
        )
    {
        StoredProtocol storage t = _known(trialId);
        return (_list[trialId], t.current, t.currentPrimary, t.preSpecified, t.preSpecifiedPrimary);
    }

    /// @inheritdoc ITrialProtocol
    function resultsDeadline(
        uint64 trialId
    )
        external
        view
        override
        returns (uint48 primaryCompletion, uint48 due, uint16 versions, uint48 firstReportedAt, bool late)
    {
        StoredProtocol storage t = _known(trialId);
        (due, late) = _deadline(t);
        return (t.primaryCompletion, due, t.versions, t.firstReportedAt, late);
    }

    /// @inheritdoc ITrialProtocol
    function overdueTrials(uint64 from, uint64 to) external view override returns (uint64[] memory trialIds) {
        uint64 count = _REGISTRY.trialCount();
        if (to > count) to = count;
        if (from == 0) from = 1;
        if (to < from) return trialIds;
        if (to - from >= MAX_SCAN) revert TrialProtocolInvalidLength(to - from + 1, MAX_SCAN);
        trialIds = new uint64[](to - from + 1);
        uint256 found;
        for (uint64 id = from; id <= to; ++id) {
            (, bool late) = _deadline(_trials[id]);
            if (late) {
                trialIds[found] = id;
                ++found;
            }
        }
        // Shrinks the array to the trials found (`found` is at most its length).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(trialIds, found)
        }
    }

    /// @inheritdoc ITrialProtocol
    function resultsHash(uint64 trialId, uint16 reportVersion) external view override returns (bytes32) {
        return _reports[trialId][reportVersion];
    }

    /// @inheritdoc ITrialProtocol
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

    /// @dev Appends a new trial's outcomes to its list; returns their mask and the primary ones.
    function _specifyOutcomes(uint64 trialId, Outcome[] calldata list) private returns (uint64 mask, uint64 primary) {
        uint256 n = list.length;
        if (n == 0 || n > MAX_OUTCOMES) revert TrialProtocolInvalidOutcomes(n);
        bytes32[] storage all = _list[trialId];
        for (uint256 i; i < n; ++i) {
            bytes32 c = list[i].commitment;
            if (c == bytes32(0) || _position[trialId][c] != 0) revert TrialProtocolDuplicateOutcome(c);
            all.push(c);
            _position[trialId][c] = all.length;
            uint64 bit = _bit(i);
            mask |= bit;
            if (list[i].primary) primary |= bit;
            emit OutcomeSpecified(trialId, 0, c, list[i].primary);
        }
        if (primary == 0) revert TrialProtocolInvalidOutcomes(n);
    }

    /// @dev Checks and keeps a proposed amendment's outcome list (empty: unchanged) and completion date (zero:
    /// unchanged), replacing an earlier proposal's.
    function _propose(
        uint64 trialId,
        StoredProtocol storage t,
        Outcome[] calldata list,
        uint48 primaryCompletion
    ) private {
        uint256 n = list.length;
        if (n > MAX_OUTCOMES) revert TrialProtocolInvalidOutcomes(n);
        uint256 added;
        uint64 primary;
        for (uint256 i; i < n; ++i) {
            bytes32 c = list[i].commitment;
            if (c == bytes32(0)) revert TrialProtocolDuplicateOutcome(c);
            for (uint256 j; j < i; ++j) if (list[j].commitment == c) revert TrialProtocolDuplicateOutcome(c);
            if (_position[trialId][c] == 0) ++added;
            if (list[i].primary) primary |= _bit(i);
        }
        if (n != 0 && (primary == 0 || _list[trialId].length + added > MAX_OUTCOMES)) {
            revert TrialProtocolInvalidOutcomes(n);
        }
        bytes32[] storage proposed = _proposed[trialId];
        while (proposed.length > n) proposed.pop();
        for (uint256 i; i < n; ++i) {
            if (i < proposed.length) proposed[i] = list[i].commitment;
            else proposed.push(list[i].commitment);
        }
        (t.proposedPrimary, t.proposedCompletion) = (primary, primaryCompletion);
    }

    /// @dev Puts the approved amendment's completion date and outcome list in force: outcomes new to the trial are
    /// appended. Unless `frozen` (the trial was unblinded or locked) the list is also the pre-specified one.
    function _apply(uint64 trialId, uint16 amendmentId, StoredProtocol storage t, bool frozen) private {
        if (t.proposedCompletion != 0) {
            // Lateness already incurred stays: a new completion date cannot undo an overdue report.
            (, bool lateNow) = _deadline(t);
            if (lateNow) t.late = true;
            t.primaryCompletion = t.proposedCompletion;
            emit PrimaryCompletionSet(trialId, amendmentId, t.proposedCompletion);
        }
        bytes32[] storage proposed = _proposed[trialId];
        uint256 n = proposed.length;
        if (n == 0) return;
        bytes32[] storage all = _list[trialId];
        uint64 mask;
        uint64 primary;
        for (uint256 i; i < n; ++i) {
            bytes32 c = proposed[i];
            uint256 position = _position[trialId][c];
            if (position == 0) {
                all.push(c);
                position = all.length;
                _position[trialId][c] = position;
            }
            uint64 bit = _bit(position - 1);
            bool isPrimary = t.proposedPrimary & _bit(i) != 0;
            mask |= bit;
            if (isPrimary) primary |= bit;
            emit OutcomeSpecified(trialId, amendmentId, c, isPrimary);
        }
        (t.current, t.currentPrimary) = (mask, primary);
        if (!frozen) (t.preSpecified, t.preSpecifiedPrimary) = (mask, primary);
    }

    /// @dev The amendment's one transition function: Proposed → Approved, Rejected or Withdrawn.
    function _transition(
        uint64 trialId,
        StoredProtocol storage t,
        uint16 amendmentId,
        TrialAmendmentStatus to
    ) private returns (Amendment storage stored) {
        if (amendmentId == 0 || amendmentId > t.amendments) {
            revert TrialProtocolUnknownAmendment(trialId, amendmentId);
        }
        stored = _amendments[trialId][amendmentId];
        TrialAmendmentStatus from = stored.status;
        if (from != TrialAmendmentStatus.Proposed) {
            revert TrialProtocolInvalidTransition(trialId, amendmentId, from, to);
        }
        stored.status = to;
        stored.decidedAt = Time.timestamp();
        t.pendingAmendment = 0;
    }

    /// @dev The id the caller's key actively controls, NONE if none.
    function _callerId() private view returns (ParticipantId id) {
        bool active;
        (id, , , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (!active) id = ParticipantIdLib.NONE;
    }

    function _requireSponsor(uint64 trialId, TrialState memory state) private view returns (ParticipantId id) {
        id = _callerId();
        if (id.isNone() || id != state.sponsor) revert TrialProtocolNotSponsor(trialId, msg.sender);
    }

    function _requireEthicsCommittee(uint64 trialId, TrialState memory state) private view returns (ParticipantId id) {
        id = _callerId();
        if (id.isNone() || id != state.ethicsCommittee) {
            revert TrialProtocolNotEthicsCommittee(trialId, msg.sender);
        }
    }

    /// @dev Compares a results report with the pre-specified outcomes, emitting each reported outcome, each
    /// pre-specified one left out, and a changed primary outcome.
    function _compare(
        uint64 trialId,
        uint16 reportVersion,
        StoredProtocol storage t,
        ReportedOutcome[] calldata reported
    ) private returns (OutcomeComparison memory comparison) {
        (uint64 preSpecified, uint64 preSpecifiedPrimary) = (t.preSpecified, t.preSpecifiedPrimary);
        uint64 reportedMask;
        uint64 reportedPrimary;
        bool newPrimary;
        for (uint256 i; i < reported.length; ++i) {
            ReportedOutcome calldata r = reported[i];
            if (r.outcome == bytes32(0)) revert TrialProtocolDuplicateOutcome(r.outcome);
            if (r.result == bytes32(0)) revert TrialProtocolZeroResult(r.outcome);
            uint256 position = _position[trialId][r.outcome];
            uint64 bit = position == 0 ? 0 : _bit(position - 1);
            if (bit == 0) {
                for (uint256 j; j < i; ++j) {
                    if (reported[j].outcome == r.outcome) revert TrialProtocolDuplicateResult(r.outcome);
                }
                if (r.primary) newPrimary = true;
            } else {
                if (reportedMask & bit != 0) revert TrialProtocolDuplicateResult(r.outcome);
                reportedMask |= bit;
                if (r.primary) reportedPrimary |= bit;
            }
            bool isPreSpecified = preSpecified & bit != 0;
            if (!isPreSpecified) ++comparison.added;
            emit OutcomeReported(trialId, reportVersion, r.outcome, r.result, r.primary, isPreSpecified);
        }
        comparison.notReported = preSpecified & ~reportedMask;
        _emitNotReported(trialId, reportVersion, comparison.notReported, preSpecifiedPrimary);
        comparison.primaryChanged = newPrimary || reportedPrimary != preSpecifiedPrimary;
        if (comparison.primaryChanged) {
            emit PrimaryOutcomeChanged(trialId, reportVersion, preSpecifiedPrimary, reportedPrimary);
        }
    }

    function _emitNotReported(uint64 trialId, uint16 reportVersion, uint64 missing, uint64 primary) private {
        bytes32[] storage all = _list[trialId];
        for (uint256 i; missing != 0; ++i) {
            uint64 bit = _bit(i);
            if (missing & bit == 0) continue;
            missing &= ~bit;
            emit OutcomeNotReported(trialId, reportVersion, all[i], primary & bit != 0);
        }
    }

    function _known(uint64 trialId) private view returns (StoredProtocol storage t) {
        t = _trials[trialId];
        if (t.primaryCompletion == 0) revert TrialProtocolUnknownTrial(trialId);
    }

    /// @dev When results are due and whether they are late; (0, false) for a trial never registered.
    function _deadline(StoredProtocol storage t) private view returns (uint48 due, bool late) {
        if (t.primaryCompletion == 0) return (0, false);
        due = t.primaryCompletion + RESULTS_WINDOW;
        late = t.late || (t.firstReportedAt == 0 && Time.timestamp() > due);
    }

    /// @dev Bit `i` of an outcome mask; `i` is below `MAX_OUTCOMES` (64).
    function _bit(uint256 i) private pure returns (uint64) {
        return uint64(1 << i);
    }
}
