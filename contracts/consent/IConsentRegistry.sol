// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBreakGlass} from "./IBreakGlass.sol";
import {IConsentPolicy} from "./IConsentPolicy.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {
    AccessRequest,
    ConsentState,
    Decision,
    DecisionBasis,
    RequestStatus,
    SignedGrant,
    SignedRevocation
} from "./Consent.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title IConsentRegistry
/// @notice Patient-directed consent, modelled on the HL7 FHIR Consent resource: the patient (grantor) permits or
/// denies a grantee access to data categories for purposes of use during a period; deny wins. Every other CareLedger
/// module asks `decide` before it acts, and `recordAccess` leaves every access, allowed or denied, on the record.
///
/// Who may act for a patient: the patient's controlling key, or the key of an appointed, active representative
/// (identity registry), directly or by an EIP-712 signature that anyone may relay. A representative never changes
/// what the patient said about the representative itself or its organization (`ConsentRepresentativeConflict`), and
/// a suspended or revoked patient has no representative. Identity changes flow through without touching grants: a
/// grantee that is suspended, revoked, whose credential expired or whose key was rotated away loses access at the
/// moment the identity registry says so. Emergency access is the break-glass workflow's (`breakGlass()`), which the
/// decision asks for the emergency-treatment purpose.
///
/// While the registry is paused, what can only take access away keeps working (revoke, narrow, revokeBySig, a deny
/// that adds categories, nonce burning, rejecting or cancelling a request), and so does `recordAccess`, which changes
/// no state: an audit trail must not have holes. Everything a participant can do to open access stops; the admin's
/// `setPolicy` (behind its execution delay) stays available, so that a pause can be used to replace a faulty policy.
///
/// Scopes are bitmaps: categories are positions of `DataCategory` in a `uint32`, purposes positions of `Purpose` in
/// a `uint16`; `type(uint32).max` and `type(uint16).max` are the wildcards of a broad grant. The policy decides what
/// a broad grant or an organization's grant cannot open (see {IConsentPolicy}).
/// @dev No personal health information: ids are pseudonymous, evidence is a salted commitment to the signed FHIR
/// Consent document, reason codes are numbers from a published code list.
interface IConsentRegistry {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The id is not a registered patient.
    error ConsentNotAPatient(ParticipantId patient);
    /// @notice `account` is neither the patient's active controlling key nor the key of an active representative.
    error ConsentUnauthorizedActor(ParticipantId patient, address account);
    /// @notice A grantee must be a registered, active participant other than a patient.
    error ConsentInvalidGrantee(ParticipantId grantee);
    /// @notice A category position must be below `CATEGORY_COUNT`.
    error ConsentInvalidCategory(uint8 category);
    /// @notice A purpose position must be below `PURPOSE_COUNT`.
    error ConsentInvalidPurpose(uint8 purpose);
    /// @notice A category set must be non-empty and either defined categories only or the wildcard.
    error ConsentInvalidCategories(uint32 categories);
    /// @notice A purpose set must be non-empty and either defined purposes only or the wildcard.
    error ConsentInvalidPurposes(uint16 purposes);
    /// @notice A window must end after now and after it starts, and start at most `MAX_START_DELAY` from now.
    error ConsentInvalidWindow(uint48 validFrom, uint48 validUntil);
    /// @notice The window is longer than the policy allows for the purposes.
    error ConsentDurationTooLong(uint256 duration, uint32 maxDuration);
    /// @notice The patient has no grant in force for the grantee.
    error ConsentNoLiveGrant(ParticipantId patient, ParticipantId grantee);
    /// @notice A narrowing must keep within the grant it narrows: no new category or purpose, no later end.
    error ConsentNotNarrower(ParticipantId patient, ParticipantId grantee);
    /// @notice The signature's deadline has passed.
    error ConsentSignatureExpired(uint48 deadline, uint48 currentTime);
    /// @notice The signed nonce is not the patient's next nonce (already used, burnt, or ahead).
    error ConsentInvalidNonce(ParticipantId patient, uint256 expected, uint256 provided);
    /// @notice The signature is not `signer`'s over this payload, this chain and this contract.
    error ConsentInvalidSignature(address signer);
    /// @notice A nonce can only move forward, by at most `MAX_NONCE_STEP` at a time (so it can never wrap around to a
    /// value already used).
    error ConsentNonceNotIncreased(ParticipantId patient, uint256 current, uint256 requested);
    /// @notice A representative may not change what the patient said about the representative itself or its
    /// organization; only the patient can.
    error ConsentRepresentativeConflict(ParticipantId patient, ParticipantId representative, ParticipantId grantee);
    /// @notice The caller's key does not control an active participant that may request access.
    error ConsentInvalidRequester(address account);
    /// @notice A request's answer-by time must lie after now and within `MAX_REQUEST_LIFETIME`; its duration must
    /// be non-zero.
    error ConsentInvalidRequestTerms(uint48 respondBy, uint32 duration);
    /// @notice No access request has this id.
    error ConsentUnknownRequest(uint64 requestId);
    /// @notice The request cannot move from its current status to the one asked for.
    error ConsentInvalidRequestTransition(uint64 requestId, RequestStatus from, RequestStatus to);
    /// @notice An approval may narrow a request but never widen it.
    error ConsentApprovalExceedsRequest(uint64 requestId);
    /// @notice Only the requester may cancel a request.
    error ConsentNotRequester(uint64 requestId, address account);
    /// @notice The policy must be a contract that answers `rules()` with defined categories and purposes and
    /// break-glass limits within bounds.
    error ConsentInvalidPolicy(address policy);
    /// @notice Only registered, active participants record accesses.
    error ConsentAccessorInactive(address account);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The patient's permit for `grantee` was set (`version` counts the changes to that permit). `actor` is
    /// the patient or the representative who acted.
    event ConsentGranted(
        ParticipantId indexed patient,
        ParticipantId indexed grantee,
        ParticipantId indexed actor,
        uint32 categories,
        uint16 purposes,
        uint48 validFrom,
        uint48 validUntil,
        uint32 version
    );
    /// @notice The permit was narrowed to the given scope and end.
    event ConsentNarrowed(
        ParticipantId indexed patient,
        ParticipantId indexed grantee,
        ParticipantId indexed actor,
        uint32 categories,
        uint16 purposes,
        uint48 validUntil,
        uint32 version
    );
    /// @notice The permit was revoked; it stops working in this block.
    event ConsentRevoked(
        ParticipantId indexed patient,
        ParticipantId indexed grantee,
        ParticipantId indexed actor,
        uint32 version
    );
    /// @notice The patient's explicit deny for `grantee` now covers `categories` (zero lifts it).
    event ConsentDenySet(
        ParticipantId indexed patient,
        ParticipantId indexed grantee,
        ParticipantId indexed actor,
        uint32 categories
    );
    /// @notice A signed grant or revocation was relayed; `evidence` commits to the signed FHIR Consent document.
    event SignedConsentRelayed(
        ParticipantId indexed patient,
        address indexed signer,
        address indexed relayer,
        uint256 nonce,
        bytes32 evidence
    );
    /// @notice Every signature of the patient with a nonce below `nonce` is void.
    event NonceIncreased(ParticipantId indexed patient, uint256 previous, uint256 nonce);
    /// @notice `requester` asked the patient for access.
    event AccessRequested(
        uint64 indexed requestId,
        ParticipantId indexed patient,
        ParticipantId indexed requester,
        uint32 categories,
        uint16 purposes,
        uint32 duration,
        uint16 reasonCode,
        uint48 respondBy
    );
    /// @notice The request was approved, rejected or cancelled. `actor` is whoever answered (the patient, a
    /// representative, or the requester cancelling).
    event AccessRequestResolved(
        uint64 indexed requestId,
        ParticipantId indexed patient,
        ParticipantId indexed actor,
        RequestStatus status,
        uint16 reasonCode
    );
    /// @notice Governance replaced the policy.
    event PolicyChanged(IConsentPolicy indexed previous, IConsentPolicy indexed current);
    /// @notice An access was recorded and allowed, on `basis` (`grantee` and `ref` as in `Decision`).
    event AccessGranted(
        ParticipantId indexed patient,
        ParticipantId indexed accessor,
        ParticipantId indexed grantee,
        uint8 category,
        uint8 purpose,
        DecisionBasis basis,
        uint64 ref
    );
    /// @notice An access was recorded and denied, for the reason `basis` (`grantee` as in `Decision`: whose deny or
    /// refused grant decided, NONE if no grant covered the request).
    event AccessDenied(
        ParticipantId indexed patient,
        ParticipantId indexed accessor,
        ParticipantId indexed grantee,
        uint8 category,
        uint8 purpose,
        DecisionBasis basis
    );

    // ------------------------------------------------------------------------------------------------------------
    // Grants: by the patient or an active representative
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Sets the patient's permit for `grantee`, replacing any earlier one (the deny is kept).
    /// @dev Requirements: not paused; the caller acts for the patient (a representative not for itself or its
    /// organization); `grantee` is an active non-patient participant; sets are
    /// non-empty and defined (or wildcards); `validUntil > max(validFrom, now)`, `validFrom <= now +
    /// MAX_START_DELAY`, and the window is no longer than the policy's maximum for the purposes.
    /// @return version The permit's new version.
    function grant(
        ParticipantId patient,
        ParticipantId grantee,
        uint32 categories,
        uint16 purposes,
        uint48 validFrom,
        uint48 validUntil
    ) external returns (uint32 version);

    /// @notice Narrows the permit in force for `grantee`: a subset of its categories and purposes, ending no later.
    /// Narrowing a wildcard to named categories may not name a category the policy calls sensitive (that would
    /// widen it). Works while paused.
    function narrow(
        ParticipantId patient,
        ParticipantId grantee,
        uint32 categories,
        uint16 purposes,
        uint48 validUntil
    ) external returns (uint32 version);

    /// @notice Revokes the permit in force for `grantee`, effective in this block. Works while paused.
    function revoke(ParticipantId patient, ParticipantId grantee) external returns (uint32 version);

    /// @notice Sets the explicit deny for `grantee` to `categories` (zero lifts it). A deny wins over every permit
    /// about the same grantee: its own grant, its break-glass session, even the patient's representation of it. A
    /// deny for an organization shuts everything the organization's grant would open, to the organization and to
    /// each of its practitioners and devices; like FHIR Consent's nested provisions, the more specific statement
    /// governs a practitioner who holds a grant of their own (deny or revoke that practitioner to shut it).
    /// @dev `grantee` must be a registered non-patient participant (active or not: a deny may outlive a suspension).
    /// While the registry is paused, a deny can be widened but not lifted. A representative cannot set or lift a
    /// deny about itself or its organization (`ConsentRepresentativeConflict`).
    function setDeny(ParticipantId patient, ParticipantId grantee, uint32 categories) external;

    // ------------------------------------------------------------------------------------------------------------
    // Signed consent (EIP-712, domain "CareLedger Consent", version "1")
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Applies a grant that `signer` (the patient's controlling key or an active representative's, an EOA
    /// or an ERC-1271 wallet) signed off-chain; anyone may relay it.
    /// @dev Requirements: the deadline has not passed; `nonce` is the patient's next nonce; the signature is
    /// `signer`'s over `Grant(uint64 patient,uint64 grantee,uint32 categories,uint16 purposes,uint48 validFrom,
    /// uint48 validUntil,bytes32 evidence,uint256 nonce,uint48 deadline)`; and the grant itself is valid.
    function grantBySig(
        SignedGrant calldata grant_,
        address signer,
        bytes calldata signature
    ) external returns (uint32 version);

    /// @notice Applies a revocation signed off-chain, over `Revoke(uint64 patient,uint64 grantee,bytes32 evidence,
    /// uint256 nonce,uint48 deadline)`; same requirements as `grantBySig`, but works while paused.
    function revokeBySig(
        SignedRevocation calldata revocation,
        address signer,
        bytes calldata signature
    ) external returns (uint32 version);

    /// @notice Voids every unused signature of the patient below `newNonce` (burning one nonce is `nonce + 1`).
    /// `newNonce` must lie above the current nonce by at most `MAX_NONCE_STEP`, so no nonce ever comes back. Works
    /// while paused.
    function increaseNonce(ParticipantId patient, uint256 newNonce) external;

    // ------------------------------------------------------------------------------------------------------------
    // Access requests
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The caller (an active non-patient participant) asks the patient for access to `categories` for
    /// `purposes`, lasting `duration` seconds from approval, answerable until `respondBy`.
    function requestAccess(
        ParticipantId patient,
        uint32 categories,
        uint16 purposes,
        uint32 duration,
        uint16 reasonCode,
        uint48 respondBy
    ) external returns (uint64 requestId);

    /// @notice Approves a pending request, possibly narrower: the categories and purposes a subset of those asked,
    /// ending by `validUntil` at most `duration` from now. Sets the requester's permit to exactly that scope (like
    /// `grant`) and emits `ConsentGranted` as well.
    function approveRequest(
        uint64 requestId,
        uint32 categories,
        uint16 purposes,
        uint48 validUntil
    ) external returns (uint32 version);

    /// @notice Rejects a pending request. Works while paused.
    function rejectRequest(uint64 requestId, uint16 reasonCode) external;

    /// @notice The requester withdraws a pending request. Works while paused.
    function cancelRequest(uint64 requestId) external;

    // ------------------------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Replaces the policy. Admin, with the admin's execution delay. Works while paused.
    function setPolicy(IConsentPolicy policy) external;

    // ------------------------------------------------------------------------------------------------------------
    // Decision and audit
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Records that the caller accessed (or tried to access) the patient's data of `category` for
    /// `purpose`. Never reverts on a denial: emits `AccessGranted` or `AccessDenied` and returns the decision, so
    /// that denied attempts are on the record too. Works while paused.
    /// @dev Requirements: the caller's key controls an active participant; the category and purpose are defined.
    function recordAccess(ParticipantId patient, uint8 category, uint8 purpose) external returns (Decision memory);

    /// @notice Whether `accessor` may access the patient's data of `category` for `purpose` at time `at`, and on
    /// what basis. In order: an unknown or inactive accessor is refused; the patient is allowed (Self); a deny for
    /// the accessor wins; then the accessor's own grant, its open break-glass session (emergency treatment only, as
    /// `breakGlass().openSession` says), the grant of its organization unless the patient denied that organization
    /// the category, and representation.
    /// When a grant covers the request but a policy rule refuses it, the first such refusal is the answer unless a
    /// later basis allows.
    /// @dev Grant windows, break-glass expiry and credential expiry (the accessor's and its organization's) are
    /// judged at `at`; identity statuses, representation, emergency authorizations and the policy are the current
    /// ones, and only the latest break-glass session of the pair counts. Reverts
    /// only on an undefined category or purpose. Called from another contract as the first call of a transaction,
    /// with everything cold, a decision on a grant naming the category and purpose costs under 15,000 gas of
    /// execution.
    function decide(
        ParticipantId patient,
        address accessor,
        uint8 category,
        uint8 purpose,
        uint48 at
    ) external view returns (Decision memory);

    /// @notice {decide}'s answer for a module that must also know who is acting (the record registry checks who may
    /// author a record): whether access is allowed, on what basis and for which accessor id, as {decide} gives them,
    /// with the accessor's kind and organization as the identity registry states them. One identity read serves
    /// both. The grantee and the grant version or session ({decide}'s `grantee` and `ref`) are left out: a module
    /// that needs them asks {decide}.
    /// @dev Same order, rules, times and reverts as {decide}.
    /// @return allowed As {decide}'s `allowed`.
    /// @return basis As {decide}'s `basis`.
    /// @return accessorId As {decide}'s `accessor`: the accessor's id, NONE if its key controls none.
    /// @return kind The accessor's participant kind; `None` for an unknown accessor.
    /// @return organization The organization a practitioner or device acts for; NONE for every other kind.
    function decideWithStanding(
        ParticipantId patient,
        address accessor,
        uint8 category,
        uint8 purpose,
        uint48 at
    )
        external
        view
        returns (
            bool allowed,
            DecisionBasis basis,
            ParticipantId accessorId,
            ParticipantKind kind,
            ParticipantId organization
        );

    /// @notice Whether the participant `accessor` may access every category in `categories` of the patient's data for
    /// `purpose` now, as {decide} answers for each (the trial registry asks it at enrollment for the sponsor and the
    /// trial's categories: one call, one identity read). When one is refused: that category and {decide}'s basis.
    /// @dev The accessor is named by its id, its standing read from the identity registry (`standingOf`): for a module
    /// that knows who the recipient is rather than which key acts. Reverts `ConsentInvalidCategories` on an empty set
    /// or one with an undefined category (no wildcard), and on an undefined purpose.
    /// @return allowed Whether every category is allowed.
    /// @return category The first category refused (the lowest); zero when all are allowed.
    /// @return basis Why that category was refused; when all are allowed, the basis of the last one's allowance.
    function decideCategories(
        ParticipantId patient,
        ParticipantId accessor,
        uint32 categories,
        uint8 purpose
    ) external view returns (bool allowed, uint8 category, DecisionBasis basis);

    /// @notice What the patient has said about `grantee`: permit and deny.
    function consentOf(ParticipantId patient, ParticipantId grantee) external view returns (ConsentState memory);

    /// @notice The nonce the patient's next signature must carry.
    function nonces(ParticipantId patient) external view returns (uint256);

    /// @notice The access request `requestId`; reverts with `ConsentUnknownRequest` if none.
    function request(uint64 requestId) external view returns (AccessRequest memory);

    /// @notice The break-glass workflow the registry created and asks on emergency-treatment decisions.
    function breakGlass() external view returns (IBreakGlass);

    /// @notice The policy in force.
    function policy() external view returns (IConsentPolicy);

    /// @notice The identity registry the consent registry reads.
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice The number of access requests ever made: ids run from 1 to this.
    function requestCount() external view returns (uint64);
}
