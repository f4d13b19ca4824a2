// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {BreakGlassSession, ReviewOutcome} from "./Consent.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title IBreakGlass
/// @notice Emergency access ("break the glass") with auditor review, the consent module's exception workflow. A
/// practitioner of an organization the registrars authorized for emergencies opens a time-limited session on a
/// patient; while it is open, the consent registry's decision allows the practitioner the emergency-treatment purpose
/// (never the categories the policy excludes, never past the patient's deny). Every session is flagged for the
/// patient and must be reviewed by an auditor.
///
/// Limits against abuse: a practitioner holds at most the policy's `maxOpenBreakGlassSessions` open sessions at once;
/// withdrawing an organization's emergency authorization ends every session its practitioners opened under it, at
/// once, and so does the organization's suspension (for as long as it lasts); a practitioner who leaves the
/// organization loses its sessions; an auditor's unjustified finding ends a session still open.
/// @dev Created by the consent registry in its constructor (`IConsentRegistry.breakGlass`), whose policy it applies
/// and which asks it, on the emergency purpose only, whether a session is open. Managed by the suite's AccessManager
/// and pausable: while it or the consent registry is paused, opening stops; closing, reviewing and withdrawing an
/// authorization keep working.
interface IBreakGlass {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The caller is not an active practitioner of an active organization authorized for emergencies.
    error BreakGlassNotAuthorized(address account);
    /// @notice The id is not a registered patient.
    error BreakGlassNotAPatient(ParticipantId patient);
    /// @notice A session must last between one second and the policy's maximum.
    error BreakGlassDurationOutOfRange(uint32 duration, uint32 maxDuration);
    /// @notice The practitioner already holds an open session for the patient.
    error BreakGlassAlreadyOpen(ParticipantId patient, ParticipantId practitioner, uint64 sessionId);
    /// @notice The practitioner holds the policy's maximum of open sessions already.
    error BreakGlassTooManyOpen(ParticipantId practitioner, uint8 maxOpen);
    /// @notice No session has this id.
    error BreakGlassUnknownSession(uint64 sessionId);
    /// @notice Only the practitioner who opened an open session may close it.
    error BreakGlassCannotClose(uint64 sessionId, address account);
    /// @notice The session has been reviewed already, or the outcome given is `Pending`.
    error BreakGlassInvalidReview(uint64 sessionId, ReviewOutcome outcome);
    /// @notice Emergency authorization is for active organizations only.
    error BreakGlassNotAnOrganization(ParticipantId organization);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Emergency access was opened. Flagged for the patient (indexed) and for auditors, who must review it.
    event BreakGlassOpened(
        uint64 indexed sessionId,
        ParticipantId indexed patient,
        ParticipantId indexed practitioner,
        ParticipantId organization,
        uint16 reasonCode,
        uint48 expiresAt
    );
    /// @notice The session ended before its expiry: closed by the practitioner, found unjustified, or ended when the
    /// practitioner, acting for another organization since, opened a session there.
    event BreakGlassClosed(uint64 indexed sessionId, ParticipantId indexed patient, uint48 closedAt);
    /// @notice An auditor reviewed the session.
    event BreakGlassReviewed(
        uint64 indexed sessionId,
        ParticipantId indexed patient,
        address indexed auditor,
        ReviewOutcome outcome,
        uint16 findingCode
    );
    /// @notice Registrars authorized an organization's practitioners for break-glass, or withdrew it; a withdrawal of
    /// an authorization in force ends every session opened under the organization up to `sessionsEndedBelow`
    /// (exclusive); withdrawing one not in force leaves it unchanged.
    event EmergencyAuthorizationSet(ParticipantId indexed organization, bool authorized, uint64 sessionsEndedBelow);

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @notice An active practitioner of an active organization authorized for emergencies opens emergency access to
    /// the patient for `duration` seconds (at most the policy's maximum). It covers the emergency-treatment purpose
    /// only, never the categories the policy excludes, and must be reviewed by an auditor.
    /// @dev Requirements: neither this contract nor the consent registry paused; the caller as above; `patient` a
    /// patient (suspended and revoked ones included: an emergency does not wait); no open session of the caller on the
    /// patient; fewer than the policy's `maxOpenBreakGlassSessions` open sessions of the caller under its current
    /// organization. Sessions the caller still holds under an organization it has left end first, for good (they
    /// neither count nor revive if it returns there), each with `BreakGlassClosed`. Emits `BreakGlassOpened`.
    function open(ParticipantId patient, uint16 reasonCode, uint32 duration) external returns (uint64 sessionId);

    /// @notice The practitioner ends an open session early. Works while paused.
    function close(uint64 sessionId) external;

    /// @notice An auditor (AUDITOR role) records the review outcome of a session. An unjustified finding ends a
    /// session that is still open. Works while paused.
    function review(uint64 sessionId, ReviewOutcome outcome, uint16 findingCode) external;

    /// @notice Authorizes (or stops authorizing) an active organization's practitioners to break glass. Registrars.
    /// Withdrawing an authorization in force ends every session opened under the organization at once; withdrawing
    /// works while paused, and withdrawing one not in force changes nothing.
    function setEmergencyAuthorization(ParticipantId organization, bool authorized) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The open session of `practitioner`, now acting for `organization`, on `patient` at time `at`, or 0. A
    /// session is open while it has not expired, been closed or found unjustified at `at`, its organization is the
    /// practitioner's current one and is active, and the organization's emergency authorization has not been
    /// withdrawn since the session opened. The consent registry asks this for emergency-treatment decisions.
    function openSession(
        ParticipantId patient,
        ParticipantId practitioner,
        ParticipantId organization,
        uint48 at
    ) external view returns (uint64 sessionId);

    /// @notice The session `sessionId`, with `expiresAt` the effective end (earlier if closed, found unjustified or
    /// ended by a withdrawn authorization); reverts with `BreakGlassUnknownSession` if none.
    function session(uint64 sessionId) external view returns (BreakGlassSession memory);

    /// @notice How many sessions `practitioner` holds open now under its current organization.
    function openSessionCount(ParticipantId practitioner) external view returns (uint256);

    /// @notice How many sessions await review.
    function unreviewedCount() external view returns (uint256);

    /// @notice Up to `limit` ids of sessions awaiting review, from position `offset` (in no guaranteed order).
    function unreviewed(uint256 offset, uint256 limit) external view returns (uint64[] memory);

    /// @notice Whether the organization's practitioners may break glass.
    function isEmergencyAuthorized(ParticipantId organization) external view returns (bool);

    /// @notice How many sessions were ever opened: ids run from 1 to this.
    function sessionCount() external view returns (uint64);

    /// @notice The consent registry whose policy applies and which asks for open sessions.
    function consentRegistry() external view returns (IConsentRegistry);

    /// @notice The identity registry that says who is a practitioner of which organization.
    function identityRegistry() external view returns (IIdentityRegistry);
}
