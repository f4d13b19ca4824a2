// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../types/ParticipantId.sol";
import {ControllerChange, Participant, ParticipantKind, ParticipantStatus} from "../types/Participant.sol";

/// @title IIdentityRegistry
/// @notice Stable pseudonymous identities for everyone who takes part in CareLedger: patients, practitioners,
/// organizations, payers, pharmacies, manufacturers, distributors, research sponsors, regulators and devices.
/// Every other module refers to a participant by its `ParticipantId`, never by address, so that ids survive key
/// rotation and recovery.
/// @dev Nothing here is personal health information: ids are sequential numbers, keys are addresses, and the only
/// hashes stored are salted commitments (credentials, cross-provider identifiers) computed off chain.
interface IIdentityRegistry {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `account` already controls an id, or is the live target of another id's key rotation.
    error IdentityAccountAlreadyBound(address account);
    /// @notice The zero address cannot control an id.
    error IdentityZeroAddress();
    /// @notice No participant has this id.
    error IdentityUnknownParticipant(ParticipantId id);
    /// @notice `account` is not the current controlling key of `id`.
    error IdentityNotController(ParticipantId id, address account);
    /// @notice The participant is suspended, revoked or has an expired credential.
    error IdentityParticipantInactive(ParticipantId id);
    /// @notice The participant is revoked; revocation is final.
    error IdentityParticipantRevoked(ParticipantId id);
    /// @notice The operation needs a participant of kind `expected`.
    error IdentityWrongKind(ParticipantId id, ParticipantKind expected, ParticipantKind actual);
    /// @notice A registrar cannot register this kind (patients self-register; `None` is no kind).
    error IdentityKindNotRegistrable(ParticipantKind kind);
    /// @notice A credential commitment or identifier commitment must not be zero.
    error IdentityZeroCommitment();
    /// @notice A credential must expire after the current block.
    error IdentityCredentialExpiryInPast(uint48 expiry, uint48 currentTime);
    /// @notice Practitioners and devices need an active institutional affiliation; no other kind may have one.
    error IdentityInvalidAffiliation(ParticipantKind kind, ParticipantId affiliation);
    /// @notice The status change is not allowed (revocation is final; only active ids can be suspended).
    error IdentityInvalidStatusTransition(ParticipantId id, ParticipantStatus from, ParticipantStatus to);
    /// @notice The patient's identity has already been proofed.
    error IdentityAlreadyProofed(ParticipantId id);
    /// @notice The identifier commitment is bound already, to this patient or another.
    error IdentityCommitmentAlreadyBound(bytes32 commitment);
    /// @notice A rotation deadline must lie after now and at most `MAX_ROTATION_WINDOW` ahead.
    error IdentityRotationDeadlineOutOfRange(uint48 deadline, uint48 latest);
    /// @notice `account` has no live rotation proposal for `id` (none made, cancelled, superseded or expired).
    error IdentityNoPendingRotation(ParticipantId id, address account);
    /// @notice A guardian set needs 1 to `MAX_GUARDIANS` distinct active guardians other than the patient and
    /// 1 ≤ threshold ≤ their number; an empty set with threshold 0 clears the guardians.
    error IdentityInvalidGuardianSet(uint256 count, uint8 threshold);
    /// @notice A guardian appears twice, is the patient, or is not an active participant.
    error IdentityInvalidGuardian(ParticipantId guardian);
    /// @notice The recovery delay lies outside `[MIN_RECOVERY_DELAY, MAX_RECOVERY_DELAY]`.
    error IdentityRecoveryDelayOutOfRange(uint32 delay);
    /// @notice The caller's id is not one of the patient's guardians.
    error IdentityNotGuardian(ParticipantId patient, address account);
    /// @notice This guardian already approved the pending recovery.
    error IdentityRecoveryAlreadyApproved(ParticipantId patient, ParticipantId guardian);
    /// @notice A different recovery is pending; guardians must agree on one new key, or the patient cancels.
    error IdentityRecoveryConflict(ParticipantId patient, address pendingController);
    /// @notice No live recovery is pending for the patient.
    error IdentityNoPendingRecovery(ParticipantId patient);
    /// @notice The recovery has not reached its threshold, or its delay has not yet passed.
    error IdentityRecoveryNotReady(ParticipantId patient, uint48 readyAt);
    /// @notice A recovery through the registrar is for institutional ids; patients recover through guardians.
    error IdentityRecoveryNotForPatients(ParticipantId id);
    /// @notice Representatives must be active patients or practitioners other than the patient.
    error IdentityInvalidRepresentative(ParticipantId representative);
    /// @notice A representative appointment must expire after the current block.
    error IdentityRepresentationExpiryInPast(uint48 expiresAt, uint48 currentTime);
    /// @notice `representative` does not currently represent `patient`.
    error IdentityNotRepresentative(ParticipantId patient, ParticipantId representative);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A participant was registered. Patients self-register; every other kind is registered by a registrar,
    /// which also emits `CredentialUpdated` and, for practitioners and devices, `AffiliationChanged`.
    event ParticipantRegistered(ParticipantId indexed id, ParticipantKind indexed kind, address indexed controller);
    /// @notice A participant's credential commitment or expiry was set (at registration or renewal).
    event CredentialUpdated(ParticipantId indexed id, bytes32 commitment, uint48 expiry);
    /// @notice A practitioner's or device's affiliation was set at registration (`previous` is NONE) or changed.
    event AffiliationChanged(ParticipantId indexed id, ParticipantId indexed previous, ParticipantId indexed current);
    /// @notice A registrar marked a patient as identity-proofed.
    event IdentityProofed(ParticipantId indexed id);
    /// @notice A registrar suspended, reinstated or revoked a participant; `reasonCode` is an off-chain code list
    /// entry (never free text).
    event StatusChanged(
        ParticipantId indexed id,
        ParticipantStatus previous,
        ParticipantStatus current,
        uint16 reasonCode
    );
    /// @notice The controlling key proposed `proposed` as its successor; it must accept by `deadline`.
    event ControllerRotationProposed(ParticipantId indexed id, address indexed proposed, uint48 deadline);
    /// @notice The controlling key withdrew its pending rotation proposal.
    event ControllerRotationCancelled(ParticipantId indexed id);
    /// @notice The id's controlling key changed; the previous key stopped working in the same transaction.
    event ControllerChanged(
        ParticipantId indexed id,
        address indexed previous,
        address indexed current,
        ControllerChange how
    );
    /// @notice The patient set (or, with an empty list, cleared) the guardians who can recover the id.
    event GuardiansSet(ParticipantId indexed patient, ParticipantId[] guardians, uint8 threshold, uint32 delay);
    /// @notice A guardian approved recovering the patient's id to `newController`. `readyAt` is zero until the
    /// threshold is reached, then the time from which anyone can execute the recovery.
    event RecoveryApproved(
        ParticipantId indexed patient,
        ParticipantId indexed guardian,
        address indexed newController,
        uint8 approvals,
        uint48 readyAt
    );
    /// @notice The patient's current key cancelled a pending recovery.
    event RecoveryCancelled(ParticipantId indexed patient);
    /// @notice The patient appointed (or re-appointed with a new expiry) a representative.
    event RepresentativeAppointed(
        ParticipantId indexed patient,
        ParticipantId indexed representative,
        uint48 expiresAt
    );
    /// @notice A representation ended before its expiry: revoked by the patient or resigned by the representative.
    event RepresentativeRemoved(ParticipantId indexed patient, ParticipantId indexed representative, bool resigned);
    /// @notice The patient bound a salted identifier commitment (e.g. hash of salt and medical record number).
    event IdentifierCommitmentBound(ParticipantId indexed patient, bytes32 indexed commitment);

    // ------------------------------------------------------------------------------------------------------------
    // Self-service writes
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Registers the caller as a pseudonymous, not yet identity-proofed patient.
    /// @dev Requirements: not paused; the caller controls no id (`IdentityAccountAlreadyBound`).
    /// @return id The new patient id.
    function registerPatient() external returns (ParticipantId id);

    /// @notice Step one of a key rotation: the current key names its successor and a deadline.
    /// @dev Requirements: not paused; caller is the id's controller; the id is not revoked (suspended and expired
    /// participants may rotate a compromised key); `newController` is non-zero and bound to nothing (nor the live
    /// target of another proposal); `deadline` is after now and at most `MAX_ROTATION_WINDOW` ahead.
    /// A new proposal does not withdraw an earlier one to another key: the first key to accept wins and ends every
    /// other proposal. To redirect a rotation, call `cancelControllerRotation` first, which ends them all.
    /// @param id The id whose key rotates.
    /// @param newController The key that will control the id.
    /// @param deadline The last second at which `newController` may accept.
    function proposeControllerRotation(ParticipantId id, address newController, uint48 deadline) external;

    /// @notice Step two of a key rotation: the proposed key accepts; the old key stops working at once.
    /// @dev Requirements: not paused; the caller is the live proposal target for `id` (`IdentityNoPendingRotation`);
    /// the id is not revoked.
    /// @param id The id the caller expects to take over (guards against a proposal for another id).
    function acceptControllerRotation(ParticipantId id) external;

    /// @notice Withdraws every pending rotation proposal of the id (and any pending recovery) by moving its key
    /// epoch on.
    /// @dev Requirements: not paused; caller is the id's controller.
    function cancelControllerRotation(ParticipantId id) external;

    /// @notice Sets the guardians who can together recover a patient's id, or clears them.
    /// @dev Requirements: not paused; caller is the patient's controller; the patient is active; guardians are
    /// distinct active participants other than the patient, at most `MAX_GUARDIANS`; 1 ≤ `threshold` ≤ count, or an
    /// empty list with threshold 0; `delay` within the recovery delay bounds. Drops any pending recovery.
    /// @param patient The patient id.
    /// @param guardians The guardians' participant ids.
    /// @param threshold How many guardians must approve a recovery.
    /// @param delay Seconds between reaching the threshold and the recovery becoming executable.
    function setGuardians(
        ParticipantId patient,
        ParticipantId[] calldata guardians,
        uint8 threshold,
        uint32 delay
    ) external;

    /// @notice A guardian approves recovering the patient's id to `newController`; the first approval opens the
    /// recovery, and reaching the threshold starts the delay.
    /// @dev Requirements: not paused; the caller controls an active guardian of the patient; the patient is not
    /// revoked; `newController` non-zero and bound to nothing; no other recovery pending; not yet approved by this
    /// guardian.
    function approveRecovery(ParticipantId patient, address newController) external;

    /// @notice Cancels a pending recovery. Only the patient's current key can.
    function cancelRecovery(ParticipantId patient) external;

    /// @notice Executes a recovery whose threshold was reached and whose delay has passed. Anyone may call.
    /// @dev Requirements: not paused; a live recovery with `block.timestamp ≥ readyAt`; the patient is not revoked;
    /// the new key is still bound to nothing.
    function executeRecovery(ParticipantId patient) external;

    /// @notice Appoints a representative (parent of a minor, proxy) until `expiresAt`, or changes the expiry.
    /// @dev Requirements: not paused; caller is the patient's controller; patient active; the representative is an
    /// active patient or practitioner other than the patient; `expiresAt` after now.
    function appointRepresentative(ParticipantId patient, ParticipantId representative, uint48 expiresAt) external;

    /// @notice The patient ends a representation before its expiry.
    /// @dev Requirements: not paused; caller is the patient's controller; the representation is current.
    function revokeRepresentative(ParticipantId patient, ParticipantId representative) external;

    /// @notice The representative steps down.
    /// @dev Requirements: not paused; caller is the representative's controller; the representation is current.
    function resignRepresentative(ParticipantId patient, ParticipantId representative) external;

    /// @notice Binds a salted identifier commitment (such as keccak256(salt, medical record number)) to the
    /// patient, for linkage across providers without PHI. A commitment can be bound once in the whole registry.
    /// @dev Requirements: not paused; caller is the patient's controller; patient active; commitment non-zero and
    /// never bound before.
    function bindIdentifierCommitment(ParticipantId patient, bytes32 commitment) external;

    // ------------------------------------------------------------------------------------------------------------
    // Registrar writes (restricted through the AccessManager)
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Registers a verified institutional participant, practitioner or device.
    /// @dev Restricted: `Roles.REGISTRAR`. Requirements: not paused; `kind` is neither `None` nor `Patient`;
    /// `controller` non-zero and bound to nothing; non-zero credential commitment; expiry after now; practitioners
    /// and devices name an active institutional affiliation, other kinds name none.
    /// @return id The new participant id.
    function registerParticipant(
        ParticipantKind kind,
        address controller,
        bytes32 credentialCommitment,
        uint48 credentialExpiry,
        ParticipantId affiliation
    ) external returns (ParticipantId id);

    /// @notice Replaces a participant's credential commitment and expiry (renewal, re-verification).
    /// @dev Restricted: `Roles.REGISTRAR`. Not for patients, nor revoked participants.
    function renewCredential(ParticipantId id, bytes32 credentialCommitment, uint48 credentialExpiry) external;

    /// @notice Moves a practitioner or device to another active institution.
    /// @dev Restricted: `Roles.REGISTRAR`.
    function setAffiliation(ParticipantId id, ParticipantId affiliation) external;

    /// @notice Marks a patient as identity-proofed after off-chain verification.
    /// @dev Restricted: `Roles.REGISTRAR`. The patient must be active and not yet proofed.
    function markIdentityProofed(ParticipantId patient) external;

    /// @notice Suspends an active participant. Restricted: `Roles.REGISTRAR`.
    function suspend(ParticipantId id, uint16 reasonCode) external;

    /// @notice Reinstates a suspended participant. Restricted: `Roles.REGISTRAR`.
    function reinstate(ParticipantId id, uint16 reasonCode) external;

    /// @notice Revokes a participant for good; its key stays bound so that it cannot register again.
    /// Restricted: `Roles.REGISTRAR`.
    function revoke(ParticipantId id, uint16 reasonCode) external;

    /// @notice Recovers an institutional id (any kind but patient) to a new key after the institution lost its own.
    /// @dev Restricted: `Roles.INSTITUTION_RECOVERY`, which registrars hold with the admin execution delay: the call
    /// is scheduled on the AccessManager and executes only after that delay. The id must not be revoked.
    function recoverController(ParticipantId id, address newController) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Everything the registry holds about `id`. Reverts with `IdentityUnknownParticipant` if none.
    function participant(ParticipantId id) external view returns (Participant memory);

    /// @notice The id `account` controls, or NONE.
    function idOf(address account) external view returns (ParticipantId);

    /// @notice Whether `id` is registered, `Active` and its credential (if any) unexpired.
    function isActive(ParticipantId id) external view returns (bool);

    /// @notice Whether `id` is registered, `Active` now and its credential (if any) unexpired at time `at`.
    function isActiveAt(ParticipantId id, uint48 at) external view returns (bool);

    /// @notice The id that `account` actively controls if it is of `kind`, else NONE. One call for "is this address
    /// the active controller of an id of this kind".
    function activeIdOf(address account, ParticipantKind kind) external view returns (ParticipantId);

    /// @notice Everything an access decision needs to know about the key `account`, in one call and one storage
    /// read: the id it controls, that id's kind and affiliation, and whether the id is active at time `at` (status
    /// `Active` now and the credential, if any, unexpired at `at`). `(NONE, None, NONE, false)` for a key that
    /// controls no id, including the target of a pending rotation.
    /// @dev The status is the current one: the registry keeps no status history, so a past `at` only moves the
    /// credential-expiry test.
    function accountStanding(
        address account,
        uint48 at
    ) external view returns (ParticipantId id, ParticipantKind kind, ParticipantId affiliation, bool active);

    /// @notice The kind, affiliation and activity of `id` in one call; `(None, NONE, false)` for an unknown id.
    function standingOf(
        ParticipantId id
    ) external view returns (ParticipantKind kind, ParticipantId affiliation, bool active);

    /// @notice The live rotation proposal naming `account`, if any: the id and deadline, else `(NONE, 0)`.
    function pendingRotationOf(address account) external view returns (ParticipantId id, uint48 deadline);

    /// @notice The patient's guardians, threshold and recovery delay.
    function guardiansOf(
        ParticipantId patient
    ) external view returns (ParticipantId[] memory guardians, uint8 threshold, uint32 delay);

    /// @notice The live pending recovery of the patient, if any; zero values if none.
    /// @return newController The key the guardians approved.
    /// @return approvals How many guardians approved.
    /// @return readyAt Zero until the threshold is reached, then when the recovery becomes executable.
    function pendingRecoveryOf(
        ParticipantId patient
    ) external view returns (address newController, uint8 approvals, uint48 readyAt);

    /// @notice Whether `representative` currently represents `patient`: appointed, unexpired and active.
    function isRepresentative(ParticipantId patient, ParticipantId representative) external view returns (bool);

    /// @notice When the appointment of `representative` for `patient` expires; zero if none.
    function representationExpiry(ParticipantId patient, ParticipantId representative) external view returns (uint48);

    /// @notice The patient an identifier commitment is bound to, or NONE.
    function identifierOwner(bytes32 commitment) external view returns (ParticipantId);

    /// @notice The most recently assigned id (and so the number of participants ever registered).
    function lastId() external view returns (ParticipantId);
}
