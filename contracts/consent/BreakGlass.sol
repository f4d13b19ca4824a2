// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IBreakGlass} from "./IBreakGlass.sol";
import {ConsentRules} from "./IConsentPolicy.sol";
import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {BreakGlassSession, ReviewOutcome} from "./Consent.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title BreakGlass
/// @notice Emergency access with auditor review, limits per practitioner, and an authorization per organization whose
/// withdrawal ends its sessions. See {IBreakGlass}.
/// @dev Created by the consent registry; `msg.sender` of the constructor is that registry.
contract BreakGlass is IBreakGlass, CareLedgerModule {
    using EnumerableSet for EnumerableSet.UintSet;

    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev What deciding on a session needs, in one slot: 32 + 48 + 64 = 144 bits. Kept per (patient,
    /// practitioner) for the latest session, and per practitioner for each session it holds open.
    struct SessionRef {
        uint32 id;
        uint48 expiresAt;
        ParticipantId organization;
    }

    /// @dev An organization's emergency authorization: 8 + 32 bits. A withdrawal ends every session with an id below
    /// `endedBelow`; re-authorizing does not revive them.
    struct Authorization {
        bool authorized;
        uint32 endedBelow;
    }

    /// @dev One withdrawal of an organization's authorization, for the session view: 32 + 48 bits.
    struct Withdrawal {
        uint32 endedBelow;
        uint48 at;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Immutables and storage
    // ------------------------------------------------------------------------------------------------------------

    IConsentRegistry private immutable _REGISTRY;
    IIdentityRegistry private immutable _IDENTITY;

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable`.
    uint32 private _lastSessionId;
    /// @dev Stored as returned, less the end a later withdrawal of the organization's authorization sets (see
    /// `session`). Slot 1: 64 + 64 + 64 + 16 + 48 = 256 bits, written once; slot 2: 48 + 8 + 160 = 216 bits, the part
    /// that changes (closing, review).
    mapping(uint64 sessionId => BreakGlassSession session) private _sessions;
    mapping(ParticipantId patient => mapping(ParticipantId practitioner => SessionRef ref)) private _latest;
    /// @dev At most the policy's `maxOpenBreakGlassSessions` (≤ `MAX_OPEN_BREAK_GLASS_SESSIONS`) entries: sessions
    /// that ended are pruned when the practitioner opens another, or as they end early.
    mapping(ParticipantId practitioner => SessionRef[] refs) private _openByPractitioner;
    mapping(ParticipantId organization => Authorization authorization) private _authorizations;
    mapping(ParticipantId organization => Withdrawal[] withdrawals) private _withdrawals;
    EnumerableSet.UintSet private _unreviewed;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    /// @param identity The identity registry.
    /// @dev The caller is the consent registry that owns this workflow.
    constructor(address authority, IIdentityRegistry identity) CareLedgerModule(authority) {
        _REGISTRY = IConsentRegistry(msg.sender);
        _IDENTITY = identity;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IBreakGlass
    function open(
        ParticipantId patient,
        uint16 reasonCode,
        uint32 duration
    ) external override whenNotPaused returns (uint64 sessionId) {
        // Pausing consent stops everything that can open access, emergency access included.
        if (IPausableModule(address(_REGISTRY)).paused()) revert EnforcedPause();
        uint48 now_ = Time.timestamp();
        (ParticipantId practitioner, ParticipantId organization) = _authorizedPractitioner(now_);
        (ParticipantKind patientKind, , ) = _IDENTITY.standingOf(patient);
        if (patientKind != ParticipantKind.Patient) revert BreakGlassNotAPatient(patient);
        ConsentRules memory rules = _REGISTRY.policy().rules();
        if (duration == 0 || duration > rules.maxBreakGlassDuration) {
            revert BreakGlassDurationOutOfRange(duration, rules.maxBreakGlassDuration);
        }
        SessionRef[] storage held = _openByPractitioner[practitioner];
        // First end for good the sessions the practitioner opened under an organization it has left, so that they
        // neither count against the maximum nor revive if it returns there.
        uint256 stillOpen = _pruneEnded(held, now_, organization);
        SessionRef memory latest = _latest[patient][practitioner];
        if (_isOpen(latest, now_)) revert BreakGlassAlreadyOpen(patient, practitioner, latest.id);
        if (stillOpen >= rules.maxOpenBreakGlassSessions) {
            revert BreakGlassTooManyOpen(practitioner, rules.maxOpenBreakGlassSessions);
        }

        uint32 id = SafeCast.toUint32(uint256(_lastSessionId) + 1);
        _lastSessionId = id;
        uint48 expiresAt = now_ + duration;
        SessionRef memory ref = SessionRef({id: id, expiresAt: expiresAt, organization: organization});
        _latest[patient][practitioner] = ref;
        held.push(ref);
        _sessions[id] = BreakGlassSession({
            patient: patient,
            practitioner: practitioner,
            organization: organization,
            reasonCode: reasonCode,
            openedAt: now_,
            expiresAt: expiresAt,
            outcome: ReviewOutcome.Pending,
            reviewer: address(0)
        });
        _unreviewed.add(id);
        emit BreakGlassOpened(id, patient, practitioner, organization, reasonCode, expiresAt);
        return id;
    }

    /// @inheritdoc IBreakGlass
    function close(uint64 sessionId) external override {
        BreakGlassSession storage stored = _existingSession(sessionId);
        if (
            _IDENTITY.idOf(msg.sender) != stored.practitioner || !_isOpen(_refOf(sessionId, stored), Time.timestamp())
        ) {
            revert BreakGlassCannotClose(sessionId, msg.sender);
        }
        _end(sessionId, stored);
    }

    /// @inheritdoc IBreakGlass
    function review(uint64 sessionId, ReviewOutcome outcome, uint16 findingCode) external override restricted {
        BreakGlassSession storage stored = _existingSession(sessionId);
        if (outcome == ReviewOutcome.Pending || stored.outcome != ReviewOutcome.Pending) {
            revert BreakGlassInvalidReview(sessionId, outcome);
        }
        stored.outcome = outcome;
        stored.reviewer = msg.sender;
        _unreviewed.remove(sessionId);
        emit BreakGlassReviewed(sessionId, stored.patient, msg.sender, outcome, findingCode);
        if (outcome == ReviewOutcome.Unjustified && _isOpen(_refOf(sessionId, stored), Time.timestamp())) {
            _end(sessionId, stored);
        }
    }

    /// @inheritdoc IBreakGlass
    function setEmergencyAuthorization(ParticipantId organization, bool authorized) external override restricted {
        if (authorized) _requireNotPaused();
        (ParticipantKind kind, , bool active) = _IDENTITY.standingOf(organization);
        if (kind != ParticipantKind.Organization || (authorized && !active)) {
            revert BreakGlassNotAnOrganization(organization);
        }
        Authorization storage authorization = _authorizations[organization];
        bool was = authorization.authorized;
        authorization.authorized = authorized;
        // Only a withdrawal of an authorization in force ends sessions (and is remembered): withdrawing one never
        // given, or already withdrawn, changes nothing, so the list of withdrawals cannot be grown for nothing.
        if (!authorized && was) {
            // Every session opened so far, under this organization or not, has a smaller id: they all end now, and
            // re-authorizing the organization later does not revive them.
            uint32 endedBelow = _lastSessionId + 1;
            authorization.endedBelow = endedBelow;
            _withdrawals[organization].push(Withdrawal({endedBelow: endedBelow, at: Time.timestamp()}));
        }
        emit EmergencyAuthorizationSet(organization, authorized, authorization.endedBelow);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The workflow's semantic version.
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc IBreakGlass
    function openSession(
        ParticipantId patient,
        ParticipantId practitioner,
        ParticipantId organization,
        uint48 at
    ) external view override returns (uint64) {
        SessionRef memory latest = _latest[patient][practitioner];
        return latest.organization == organization && _isOpen(latest, at) ? latest.id : 0;
    }

    /// @inheritdoc IBreakGlass
    function session(uint64 sessionId) external view override returns (BreakGlassSession memory) {
        BreakGlassSession memory stored = _existingSession(sessionId);
        Withdrawal[] storage withdrawals = _withdrawals[stored.organization];
        // The first withdrawal after the session opened ended it (withdrawals are in order of `endedBelow`).
        for (uint256 i; i < withdrawals.length; ++i) {
            Withdrawal memory withdrawal = withdrawals[i];
            if (sessionId < withdrawal.endedBelow) {
                if (withdrawal.at < stored.expiresAt) stored.expiresAt = withdrawal.at;
                break;
            }
        }
        return stored;
    }

    /// @inheritdoc IBreakGlass
    function openSessionCount(ParticipantId practitioner) external view override returns (uint256 count) {
        SessionRef[] storage held = _openByPractitioner[practitioner];
        uint48 now_ = Time.timestamp();
        (, ParticipantId organization, ) = _IDENTITY.standingOf(practitioner);
        for (uint256 i; i < held.length; ++i) {
            if (held[i].organization == organization && _isOpen(held[i], now_)) ++count;
        }
    }

    /// @inheritdoc IBreakGlass
    function unreviewedCount() external view override returns (uint256) {
        return _unreviewed.length();
    }

    /// @inheritdoc IBreakGlass
    function unreviewed(uint256 offset, uint256 limit) external view override returns (uint64[] memory ids) {
        uint256 total = _unreviewed.length();
        uint256 end = offset >= total ? offset : (total - offset > limit ? offset + limit : total);
        ids = new uint64[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            // Invariant: the set holds only session ids, which fit 32 bits.
            ids[i - offset] = uint64(_unreviewed.at(i));
        }
    }

    /// @inheritdoc IBreakGlass
    function isEmergencyAuthorized(ParticipantId organization) external view override returns (bool) {
        return _authorizations[organization].authorized;
    }

    /// @inheritdoc IBreakGlass
    function sessionCount() external view override returns (uint64) {
        return _lastSessionId;
    }

    /// @inheritdoc IBreakGlass
    function consentRegistry() external view override returns (IConsentRegistry) {
        return _REGISTRY;
    }

    /// @inheritdoc IBreakGlass
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The caller's practitioner id and organization, if it is an active practitioner of an active organization
    /// authorized for break-glass; reverts `BreakGlassNotAuthorized` otherwise.
    function _authorizedPractitioner(
        uint48 now_
    ) private view returns (ParticipantId practitioner, ParticipantId organization) {
        ParticipantKind kind;
        bool active;
        (practitioner, kind, organization, active) = _IDENTITY.accountStanding(msg.sender, now_);
        if (
            !active ||
            kind != ParticipantKind.Practitioner ||
            !_authorizations[organization].authorized ||
            !_IDENTITY.isActive(organization)
        ) {
            revert BreakGlassNotAuthorized(msg.sender);
        }
    }

    /// @dev Whether the session is open at `at`: not yet at its end, and its organization active and still authorized
    /// with no withdrawal since it opened.
    function _isOpen(SessionRef memory ref, uint48 at) private view returns (bool) {
        if (ref.id == 0 || at >= ref.expiresAt) return false;
        Authorization memory authorization = _authorizations[ref.organization];
        return
            authorization.authorized &&
            ref.id >= authorization.endedBelow &&
            _IDENTITY.isActiveAt(ref.organization, at);
    }

    /// @dev Ends an open session now: its stored end, the pair's latest reference and the practitioner's open list.
    function _end(uint64 sessionId, BreakGlassSession storage stored) private {
        _expire(sessionId, stored);
        SessionRef[] storage held = _openByPractitioner[stored.practitioner];
        for (uint256 i; i < held.length; ++i) {
            if (held[i].id == sessionId) {
                _removeAt(held, i);
                break;
            }
        }
    }

    /// @dev Sets an open session's end to now, in its record and in the pair's latest reference.
    function _expire(uint64 sessionId, BreakGlassSession storage stored) private {
        uint48 now_ = Time.timestamp();
        stored.expiresAt = now_;
        SessionRef storage latest = _latest[stored.patient][stored.practitioner];
        if (latest.id == sessionId) latest.expiresAt = now_;
        emit BreakGlassClosed(sessionId, stored.patient, now_);
    }

    /// @dev Drops the sessions no longer open from the practitioner's list, ending first those still open under
    /// another organization than `organization` (its current one: it has moved), and returns how many remain. The
    /// list is bounded by the policy's maximum, so this loop is too.
    function _pruneEnded(SessionRef[] storage held, uint48 now_, ParticipantId organization) private returns (uint256) {
        uint256 i;
        while (i < held.length) {
            SessionRef memory ref = held[i];
            if (_isOpen(ref, now_) && ref.organization == organization) {
                ++i;
                continue;
            }
            if (_isOpen(ref, now_)) _expire(ref.id, _sessions[ref.id]);
            _removeAt(held, i);
        }
        return held.length;
    }

    /// @dev Removes entry `i` by moving the last one into its place (the order does not matter).
    function _removeAt(SessionRef[] storage held, uint256 i) private {
        uint256 last = held.length - 1;
        if (i != last) held[i] = held[last];
        held.pop();
    }

    function _refOf(uint64 sessionId, BreakGlassSession storage stored) private view returns (SessionRef memory) {
        // Invariant: session ids are assigned from a uint32 counter.
        return SessionRef({id: uint32(sessionId), expiresAt: stored.expiresAt, organization: stored.organization});
    }

    function _existingSession(uint64 sessionId) private view returns (BreakGlassSession storage stored) {
        stored = _sessions[sessionId];
        if (stored.openedAt == 0) revert BreakGlassUnknownSession(sessionId);
    }
}
