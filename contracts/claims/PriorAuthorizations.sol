// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IClaimsAdjudicator} from "./IClaimsAdjudicator.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IPriorAuthorizations} from "./IPriorAuthorizations.sol";
import {FeeScheduleEntry, Plan, PlanStatus, PriorAuth, PriorAuthStatus} from "./Claims.sol";
import {MemberId} from "./MemberId.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title PriorAuthorizations
/// @notice Prior authorization requests, decisions and consumption, bounded per member, plan and code. See
/// {IPriorAuthorizations}.
/// @dev Created by the claims adjudicator; `msg.sender` of the constructor is that adjudicator.
contract PriorAuthorizations is IPriorAuthorizations, CareLedgerModule {
    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Slot 1: the member; slot 2: 64 + 40 + 8 + 64 = 176 bits; slot 3: 32 + 32 + 32 + 48 + 48 = 192 bits, what a
    /// claim line reads and consumes.
    struct StoredPriorAuth {
        MemberId member;
        uint64 plan;
        bytes5 code;
        PriorAuthStatus status;
        ParticipantId requester;
        uint32 unitsRequested;
        uint32 unitsApproved;
        uint32 unitsLeft;
        uint48 validFrom;
        uint48 validTo;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants, immutables and storage
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The most usable approved authorizations one member holds for one plan and code: a claim line walks at
    /// most this many (some 2,100 gas each).
    uint256 public constant MAX_OPEN_PRIOR_AUTHS = 16;

    IClaimsAdjudicator private immutable _ADJUDICATOR;
    IIdentityRegistry private immutable _IDENTITY;

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable`.
    uint64 private _priorAuthCount;
    mapping(uint64 authId => StoredPriorAuth stored) private _priorAuths;
    /// @dev The usable approved authorizations of (member, plan, code), in approval order.
    mapping(bytes32 authKey => uint64[] authIds) private _approved;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    /// @param identity The identity registry.
    /// @dev The caller is the claims adjudicator that owns this workflow.
    constructor(address authority, IIdentityRegistry identity) CareLedgerModule(authority) {
        _ADJUDICATOR = IClaimsAdjudicator(msg.sender);
        _IDENTITY = identity;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPriorAuthorizations
    function requestPriorAuth(
        MemberId member,
        uint64 planId,
        bytes5 code,
        uint32 units,
        uint48 validFrom,
        uint48 validTo
    ) external override whenNotPaused returns (uint64 authId) {
        ParticipantId requester = _provider();
        if (member.isNone()) revert PriorAuthInvalidMember();
        if (_ADJUDICATOR.plan(planId).status != PlanStatus.Active) revert PriorAuthPlanNotActive(planId);
        (, FeeScheduleEntry memory fee) = _ADJUDICATOR.fee(planId, code);
        if (!fee.requiresPriorAuth) revert PriorAuthNotRequired(planId, code);
        if (units == 0 || validFrom > validTo) revert PriorAuthInvalidRequest(units, validFrom, validTo);
        authId = ++_priorAuthCount;
        _priorAuths[authId] = StoredPriorAuth({
            member: member,
            plan: planId,
            code: code,
            status: PriorAuthStatus.Requested,
            requester: requester,
            unitsRequested: units,
            unitsApproved: 0,
            unitsLeft: 0,
            validFrom: validFrom,
            validTo: validTo
        });
        emit PriorAuthRequested(authId, member, planId, code, units, validFrom, validTo, requester);
    }

    /// @inheritdoc IPriorAuthorizations
    function approvePriorAuth(
        uint64 authId,
        uint32 units,
        uint48 validFrom,
        uint48 validTo
    ) external override whenNotPaused {
        StoredPriorAuth storage stored = _existing(authId);
        Plan memory plan = _ownPlan(stored.plan);
        _transition(authId, stored, PriorAuthStatus.Approved);
        if (
            units == 0 ||
            units > stored.unitsRequested ||
            validFrom < stored.validFrom ||
            validTo > stored.validTo ||
            validFrom > validTo
        ) revert PriorAuthWidened(authId, units, validFrom, validTo);
        (MemberId member, uint64 planId, bytes5 code) = (stored.member, stored.plan, stored.code);
        uint64[] storage approved = _approved[_authKey(member, planId, code)];
        if (_prune(approved, plan.terms.timelyFilingDays) >= MAX_OPEN_PRIOR_AUTHS) {
            revert PriorAuthTooManyOpen(member, planId, code, MAX_OPEN_PRIOR_AUTHS);
        }
        (stored.unitsApproved, stored.unitsLeft, stored.validFrom, stored.validTo) = (units, units, validFrom, validTo);
        approved.push(authId);
        emit PriorAuthApproved(authId, member, planId, units, validFrom, validTo);
    }

    /// @inheritdoc IPriorAuthorizations
    function denyPriorAuth(uint64 authId) external override {
        StoredPriorAuth storage stored = _existing(authId);
        _ownPlan(stored.plan);
        _transition(authId, stored, PriorAuthStatus.Denied);
        emit PriorAuthDenied(authId);
    }

    /// @inheritdoc IPriorAuthorizations
    function withdrawPriorAuth(uint64 authId) external override {
        StoredPriorAuth storage stored = _existing(authId);
        if (_IDENTITY.idOf(msg.sender) != stored.requester) revert PriorAuthNotRequester(authId, msg.sender);
        _transition(authId, stored, PriorAuthStatus.Withdrawn);
        emit PriorAuthWithdrawn(authId);
    }

    /// @inheritdoc IPriorAuthorizations
    function useFor(
        bytes32 claimId,
        MemberId member,
        uint64 planId,
        bytes5 code,
        uint256 serviceDate,
        uint256 units,
        bool consume
    ) external override returns (uint64) {
        if (msg.sender != address(_ADJUDICATOR)) revert PriorAuthNotAdjudicator(msg.sender);
        uint64[] storage approved = _approved[_authKey(member, planId, code)];
        uint256 count = approved.length;
        for (uint256 i; i < count; ++i) {
            uint64 authId = approved[i];
            StoredPriorAuth storage stored = _priorAuths[authId];
            uint32 left = stored.unitsLeft;
            if (stored.validFrom <= serviceDate && serviceDate <= stored.validTo && left >= units) {
                if (consume) {
                    // Cannot underflow: `left >= units`, and units fit 32 bits because `left` does.
                    unchecked {
                        left -= uint32(units);
                    }
                    stored.unitsLeft = left;
                    emit PriorAuthConsumed(authId, claimId, member, uint32(units), left);
                }
                return authId;
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The workflow's semantic version.
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc IPriorAuthorizations
    function priorAuth(uint64 authId) external view override returns (PriorAuth memory) {
        StoredPriorAuth storage stored = _existing(authId);
        return
            PriorAuth({
                status: stored.status,
                member: stored.member,
                plan: stored.plan,
                code: stored.code,
                requester: stored.requester,
                unitsRequested: stored.unitsRequested,
                unitsApproved: stored.unitsApproved,
                unitsLeft: stored.unitsLeft,
                validFrom: stored.validFrom,
                validTo: stored.validTo
            });
    }

    /// @inheritdoc IPriorAuthorizations
    function priorAuthCount() external view override returns (uint64) {
        return _priorAuthCount;
    }

    /// @inheritdoc IPriorAuthorizations
    function approvedPriorAuths(
        MemberId member,
        uint64 planId,
        bytes5 code
    ) external view override returns (uint64[] memory) {
        return _approved[_authKey(member, planId, code)];
    }

    /// @inheritdoc IPriorAuthorizations
    function claimsAdjudicator() external view override returns (IClaimsAdjudicator) {
        return _ADJUDICATOR;
    }

    /// @inheritdoc IPriorAuthorizations
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Drops, keeping the order of the rest, the authorizations no claim line can use any more: used up, or
    /// whose window ended more than `timelyFilingDays` ago. Returns how many remain. Bounded: the list never holds
    /// more than `MAX_OPEN_PRIOR_AUTHS`.
    function _prune(uint64[] storage approved, uint256 timelyFilingDays) private returns (uint256 kept) {
        uint256 count = approved.length;
        uint256 now_ = Time.timestamp();
        for (uint256 i; i < count; ++i) {
            uint64 authId = approved[i];
            StoredPriorAuth storage stored = _priorAuths[authId];
            if (stored.unitsLeft == 0 || uint256(stored.validTo) + timelyFilingDays * 1 days < now_) continue;
            if (kept != i) approved[kept] = authId;
            ++kept;
        }
        for (uint256 i = kept; i < count; ++i) approved.pop();
    }

    /// @dev The caller as a provider: an active organization, or an active practitioner of an active organization.
    function _provider() private view returns (ParticipantId id) {
        (ParticipantId caller, ParticipantKind kind, ParticipantId affiliation, bool active) = _IDENTITY
            .accountStanding(msg.sender, Time.timestamp());
        if (
            active &&
            (kind == ParticipantKind.Organization ||
                (kind == ParticipantKind.Practitioner && _IDENTITY.isActive(affiliation)))
        ) return caller;
        revert PriorAuthNotAProvider(msg.sender);
    }

    /// @dev The plan, when the caller is its active payer.
    function _ownPlan(uint64 planId) private view returns (Plan memory plan) {
        plan = _ADJUDICATOR.plan(planId);
        (ParticipantId caller, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Payer || caller != plan.payer) {
            revert PriorAuthNotPlanPayer(planId, msg.sender);
        }
    }

    function _existing(uint64 authId) private view returns (StoredPriorAuth storage stored) {
        stored = _priorAuths[authId];
        if (stored.status == PriorAuthStatus.None) revert PriorAuthUnknown(authId);
    }

    /// @dev The authorization state machine: only a `Requested` authorization moves, to any of the final states.
    function _transition(uint64 authId, StoredPriorAuth storage stored, PriorAuthStatus to) private {
        PriorAuthStatus from = stored.status;
        if (from != PriorAuthStatus.Requested) revert PriorAuthInvalidTransition(authId, from, to);
        stored.status = to;
    }

    function _authKey(MemberId member, uint64 planId, bytes5 code) private pure returns (bytes32) {
        return keccak256(abi.encode(member, planId, code));
    }
}
