// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsAdjudicator} from "./IClaimsAdjudicator.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {PriorAuth, PriorAuthStatus} from "./Claims.sol";
import {MemberId} from "./MemberId.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title IPriorAuthorizations
/// @notice Prior authorization of services that a plan's fee schedule marks as needing it: a provider asks, the plan's
/// payer approves (possibly narrower) or denies, and the claims adjudicator consumes approved units as it approves
/// claim lines (check 5 of the rules: the first authorization, in approval order, valid on the service date with
/// enough units left).
///
/// Bounded: each (member, plan, code) holds at most `MAX_OPEN_PRIOR_AUTHS` usable approved authorizations. Approving
/// another first drops the ones that can no longer be used, those used up and those whose window ended more than the
/// plan's timely-filing days ago (a line they would cover is past filing, and appeals waive the authorization check),
/// so the list a claim line walks never grows with history.
/// @dev Created by the claims adjudicator in its constructor (`IClaimsAdjudicator.priorAuthorizations`), which it
/// reads plans and fee schedules from and which alone consumes units. Patients appear only as their plan-scoped
/// member pseudonym. Pausable through the suite's AccessManager: while paused, requests and approvals stop; denying
/// and withdrawing keep working, and so does consumption (the adjudicator has its own pause).
interface IPriorAuthorizations {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Only an active organization, or an active practitioner of an active organization, asks.
    error PriorAuthNotAProvider(address account);
    /// @notice A member pseudonym must not be zero.
    error PriorAuthInvalidMember();
    /// @notice The plan takes requests only while active.
    error PriorAuthPlanNotActive(uint64 planId);
    /// @notice Authorization is asked only for codes whose fee schedule entry requires it.
    error PriorAuthNotRequired(uint64 planId, bytes5 code);
    /// @notice An authorization covers at least one unit over a window that starts no later than it ends.
    error PriorAuthInvalidRequest(uint32 units, uint48 validFrom, uint48 validTo);
    /// @notice No prior authorization has this id.
    error PriorAuthUnknown(uint64 authId);
    /// @notice The authorization cannot move from its status to the one asked for.
    error PriorAuthInvalidTransition(uint64 authId, PriorAuthStatus from, PriorAuthStatus to);
    /// @notice Only the plan's active payer decides its authorizations.
    error PriorAuthNotPlanPayer(uint64 planId, address account);
    /// @notice An approval may narrow the request (fewer units, a shorter window) but never widen it, and approves at
    /// least one unit.
    error PriorAuthWidened(uint64 authId, uint32 units, uint48 validFrom, uint48 validTo);
    /// @notice The member already holds `MAX_OPEN_PRIOR_AUTHS` usable authorizations for the plan and code.
    error PriorAuthTooManyOpen(MemberId member, uint64 planId, bytes5 code, uint256 max);
    /// @notice Only the provider that asked for the authorization withdraws it.
    error PriorAuthNotRequester(uint64 authId, address account);
    /// @notice Only the claims adjudicator consumes authorizations.
    error PriorAuthNotAdjudicator(address account);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `requester` asked for an authorization of `units` of `code` for services in the window.
    event PriorAuthRequested(
        uint64 indexed authId,
        MemberId indexed member,
        uint64 indexed planId,
        bytes5 code,
        uint32 units,
        uint48 validFrom,
        uint48 validTo,
        ParticipantId requester
    );
    /// @notice The payer approved the authorization, possibly narrower than asked.
    event PriorAuthApproved(
        uint64 indexed authId,
        MemberId indexed member,
        uint64 indexed planId,
        uint32 units,
        uint48 validFrom,
        uint48 validTo
    );
    /// @notice The payer denied the authorization.
    event PriorAuthDenied(uint64 indexed authId);
    /// @notice The requester withdrew the request.
    event PriorAuthWithdrawn(uint64 indexed authId);
    /// @notice An approved line of the claim `claimId` consumed `units` of the member's authorization.
    event PriorAuthConsumed(
        uint64 indexed authId,
        bytes32 indexed claimId,
        MemberId indexed member,
        uint32 units,
        uint32 unitsLeft
    );

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Asks the plan's payer to authorize `units` of `code` for the member, for services in the window.
    /// @dev Requirements: not paused; the caller is an active organization or an active practitioner of an active
    /// organization; `member` non-zero; the plan exists (the adjudicator's `ClaimsUnknownPlan` otherwise) and is
    /// active; the code requires authorization; units ≥ 1 and validFrom ≤ validTo. Emits `PriorAuthRequested`.
    /// @return authId Sequential from 1.
    function requestPriorAuth(
        MemberId member,
        uint64 planId,
        bytes5 code,
        uint32 units,
        uint48 validFrom,
        uint48 validTo
    ) external returns (uint64 authId);

    /// @notice Approves a requested authorization, as asked or narrower. Approved authorizations are used by claims in
    /// the order they were approved.
    /// @dev Requirements: not paused; the caller is the plan's active payer; the request is `Requested`;
    /// 1 ≤ units ≤ requested; the window lies inside the requested one; after dropping the unusable ones, fewer than
    /// `MAX_OPEN_PRIOR_AUTHS` are approved for the member, plan and code. Emits `PriorAuthApproved`.
    function approvePriorAuth(uint64 authId, uint32 units, uint48 validFrom, uint48 validTo) external;

    /// @notice Denies a requested authorization. Works while paused.
    /// @dev Requirements: the caller is the plan's active payer; the request is `Requested`. Emits `PriorAuthDenied`.
    function denyPriorAuth(uint64 authId) external;

    /// @notice Withdraws the caller's own pending request. Works while paused.
    /// @dev Requirements: the caller controls the requesting participant; the request is `Requested`. Emits
    /// `PriorAuthWithdrawn`.
    function withdrawPriorAuth(uint64 authId) external;

    /// @notice The adjudicator's check 5 for one line of the claim `claimId`: the first approved authorization of
    /// (member, plan, code), in approval order, valid on `serviceDate` with at least `units` left; 0 if none. With
    /// `consume`, its units are consumed (the line is approved).
    /// @dev Only the claims adjudicator. Emits `PriorAuthConsumed` when it consumes.
    function useFor(
        bytes32 claimId,
        MemberId member,
        uint64 planId,
        bytes5 code,
        uint256 serviceDate,
        uint256 units,
        bool consume
    ) external returns (uint64 authId);

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The authorization request; reverts `PriorAuthUnknown` for an unknown id.
    function priorAuth(uint64 authId) external view returns (PriorAuth memory);

    /// @notice How many prior-authorization requests exist (ids 1 to this).
    function priorAuthCount() external view returns (uint64);

    /// @notice The approved authorizations of (member, plan, code) a claim line may still use, in the order claims use
    /// them (at most `MAX_OPEN_PRIOR_AUTHS`; dropped ones no longer appear).
    function approvedPriorAuths(
        MemberId member,
        uint64 planId,
        bytes5 code
    ) external view returns (uint64[] memory authIds);

    /// @notice The claims adjudicator that created this contract, whose plans and fee schedules apply.
    function claimsAdjudicator() external view returns (IClaimsAdjudicator);

    /// @notice The identity registry the contract asks who callers are.
    function identityRegistry() external view returns (IIdentityRegistry);
}
