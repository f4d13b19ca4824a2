// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";
import {ControllerChange, Participant, ParticipantKind, ParticipantStatus} from "./Participant.sol";

/// @title IIdentityRegistry
/// @notice Stable pseudonymous identities for everyone who takes part in CareLedger: patients, practitioners,
/// organizations, payers, pharmacies, manufacturers, distributors, research sponsors, regulators and devices.
/// Every other module refers to a participant by its `ParticipantId`, never by address, so that ids survive key
/// rotation and recovery.
///
/// Three rules protect who controls what:
/// - **No one binds an address that has not agreed.** A key becomes an id's controller only by its own transaction
///   (`registerPatient`, `executeRecovery`) or its own EIP-712 signature (`registerParticipant`, `rotateController`,
///   `recoverController`); nothing pending ever reserves an address, so nobody can block another's key. A key the id
///   moves away from is retired for good, so no consent it signed can ever be used again.
/// - **No one joins an organization it has not accepted.** A registrar names a practitioner's or device's
///   organization, but the affiliation takes effect only when the organization's key accepts it; until then the
///   practitioner or device is not active. The organization can release it at any time.
/// - **Guardians outrank a stolen key.** A patient's guardians can always complete or restart a recovery: one
///   recovery per new key, each live for `RECOVERY_WINDOW`. Cancelling one takes a quorum of objections from the
///   patient's key and her active guardians (at least half of them all, ⌈(n + 1) / 2⌉ for n active guardians), so
///   once she has two guardians or more a thief holding the key cannot cancel alone, and the patient with enough
///   guardians on her side can stop a recovery others were deceived into approving. Changing the guardians takes
///   effect only after the current recovery delay, during which a majority of the current active guardians can veto
///   it.
/// @dev Nothing here is personal health information: ids are sequential numbers, keys are addresses, and the only
/// hashes stored are salted commitments of credentials computed off chain. Identifiers that organizations issue to
/// patients (medical record numbers) are linked in their own registry, `IIdentifierRegistry`.
///
/// While the registry is paused, what can only protect a participant keeps working: revoking or resigning a
/// representation, objecting to a recovery or withdrawing an approval of one, cancelling or vetoing a guardian
/// change, an organization releasing an affiliate, and a registrar suspending or revoking a participant. Everything
/// that can give control or access stops.
interface IIdentityRegistry {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `account` controls an id, or did: a key retired from an id never binds again.
    error IdentityAccountAlreadyBound(address account);
    /// @notice The zero address cannot control an id.
    error IdentityZeroAddress();
    /// @notice No participant has this id.
    error IdentityUnknownParticipant(ParticipantId id);
    /// @notice `account` is not the current controlling key of `id`.
    error IdentityNotController(ParticipantId id, address account);
    /// @notice The participant is suspended, revoked, has an expired credential or (a practitioner or device) no
    /// accepted affiliation.
    error IdentityParticipantInactive(ParticipantId id);
    /// @notice The participant is revoked; revocation is final.
    error IdentityParticipantRevoked(ParticipantId id);
    /// @notice The operation needs a participant of kind `expected`.
    error IdentityWrongKind(ParticipantId id, ParticipantKind expected, ParticipantKind actual);
    /// @notice A registrar cannot register this kind (patients self-register; `None` is no kind).
    error IdentityKindNotRegistrable(ParticipantKind kind);
    /// @notice A credential commitment must not be zero.
    error IdentityZeroCommitment();
    /// @notice A credential must expire after the current block.
    error IdentityCredentialExpiryInPast(uint48 expiry, uint48 currentTime);
    /// @notice Practitioners and devices name an active institution (neither a patient, practitioner nor device) as
    /// their organization; no other kind may name one.
    error IdentityInvalidAffiliation(ParticipantKind kind, ParticipantId affiliation);
    /// @notice The status change is not allowed (revocation is final; only active ids can be suspended).
    error IdentityInvalidStatusTransition(ParticipantId id, ParticipantStatus from, ParticipantStatus to);
    /// @notice The patient's identity has already been proofed.
    error IdentityAlreadyProofed(ParticipantId id);
    /// @notice A key's consent signature must not have expired and may reach at most `MAX_SIGNATURE_WINDOW` ahead.
    error IdentitySignatureDeadlineOutOfRange(uint48 deadline, uint48 currentTime, uint48 latest);
    /// @notice The signature is not `account`'s consent to this registration or change of control (EIP-712 for a
    /// key, ERC-1271 for a contract wallet).
    error IdentityInvalidKeySignature(address account);
    /// @notice A guardian set needs 1 to `MAX_GUARDIANS` distinct active guardians other than the patient and
    /// 1 ≤ threshold ≤ their number; an empty set with threshold 0 clears the guardians.
    error IdentityInvalidGuardianSet(uint256 count, uint8 threshold);
    /// @notice A guardian appears twice, is the patient, or is not an active participant.
    error IdentityInvalidGuardian(ParticipantId guardian);
    /// @notice The recovery delay lies outside `[MIN_RECOVERY_DELAY, MAX_RECOVERY_DELAY]`.
    error IdentityRecoveryDelayOutOfRange(uint32 delay);
    /// @notice The caller's key does not control an active guardian of the patient.
    error IdentityNotGuardian(ParticipantId patient, address account);
    /// @notice This guardian already approved recovering the patient to `newController`.
    error IdentityRecoveryAlreadyApproved(ParticipantId patient, ParticipantId guardian, address newController);
    /// @notice This guardian has not approved recovering the patient to `newController`.
    error IdentityRecoveryNotApproved(ParticipantId patient, ParticipantId guardian, address newController);
    /// @notice No live recovery of the patient to `newController` (none opened, cancelled, expired, or ended by a
    /// recovery or a guardian change).
    error IdentityNoPendingRecovery(ParticipantId patient, address newController);
    /// @notice The recovery has not reached its threshold (`readyAt` zero), or its delay has not yet passed.
    error IdentityRecoveryNotReady(ParticipantId patient, uint48 readyAt);
    /// @notice This key (the patient's, or a guardian's) already objected to the recovery.
    error IdentityRecoveryAlreadyObjected(ParticipantId patient, address objector);
    /// @notice Only the patient's key or an active guardian's objects to a recovery.
    error IdentityNotRecoveryParty(ParticipantId patient, address account);
    /// @notice A recovery through the registrar is for institutional ids; patients recover through guardians.
    error IdentityRecoveryNotForPatients(ParticipantId id);
    /// @notice The patient has no guardian change waiting.
    error IdentityNoGuardianChange(ParticipantId patient);
    /// @notice The guardian change takes effect only at `effectiveAt`.
    error IdentityGuardianChangeNotReady(ParticipantId patient, uint48 effectiveAt);
    /// @notice This guardian already vetoed the waiting guardian change.
    error IdentityGuardianChangeAlreadyVetoed(ParticipantId patient, ParticipantId guardian);
    /// @notice Representatives must be active patients or practitioners other than the patient.
    error IdentityInvalidRepresentative(ParticipantId representative);
    /// @notice A representative appointment must expire after the current block.
    error IdentityRepresentationExpiryInPast(uint48 expiresAt, uint48 currentTime);
    /// @notice `representative` does not currently represent `patient`.
    error IdentityNotRepresentative(ParticipantId patient, ParticipantId representative);
    /// @notice Only the key of an active institution (an organization, payer, pharmacy or other registered body)
    /// accepts affiliates.
    error IdentityNotAnInstitution(address account);
    /// @notice No registrar offered `organization` as this practitioner's or device's organization.
    error IdentityNoAffiliationOffer(ParticipantId id, ParticipantId organization);
    /// @notice The participant is not affiliated with `organization`.
    error IdentityNotAffiliated(ParticipantId id, ParticipantId organization);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A participant was registered with `controller`, which signed its consent (a patient registers
    /// herself). A registrar's registration also emits `CredentialUpdated` and, for practitioners and devices,
    /// `AffiliationOffered`.
    event ParticipantRegistered(ParticipantId indexed id, ParticipantKind indexed kind, address indexed controller);
    /// @notice A participant's credential commitment or expiry was set (at registration or renewal).
    event CredentialUpdated(ParticipantId indexed id, bytes32 commitment, uint48 expiry);
    /// @notice A registrar named `organization` as the practitioner's or device's organization; it takes effect when
    /// the organization accepts (`AffiliationChanged`).
    event AffiliationOffered(ParticipantId indexed id, ParticipantId indexed organization);
    /// @notice The practitioner's or device's organization changed: accepted by `current`, or released (`current`
    /// NONE) by `previous`.
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
    /// @notice The id's controlling key changed; the previous key stopped working in the same transaction.
    event ControllerChanged(
        ParticipantId indexed id,
        address indexed previous,
        address indexed current,
        ControllerChange how
    );
    /// @notice The patient's guardians are now `guardians` (none, with an empty list), threshold and delay.
    event GuardiansSet(ParticipantId indexed patient, ParticipantId[] guardians, uint8 threshold, uint32 delay);
    /// @notice The patient asked to change her guardians; the change waits until `effectiveAt`, during which a
    /// majority of the current guardians can veto it.
    event GuardianChangeScheduled(
        ParticipantId indexed patient,
        ParticipantId[] guardians,
        uint8 threshold,
        uint32 delay,
        uint48 effectiveAt
    );
    /// @notice A current guardian vetoed the waiting guardian change; `vetoes` counts those of guardians still active.
    event GuardianChangeVetoed(ParticipantId indexed patient, ParticipantId indexed guardian, uint8 vetoes);
    /// @notice The waiting guardian change was dropped: by the patient, or by a majority of guardians (`vetoed`).
    event GuardianChangeCancelled(ParticipantId indexed patient, bool vetoed);
    /// @notice A guardian approved recovering the patient's id to `newController`. `readyAt` is zero until the
    /// threshold is reached, then the time from which `newController` can execute the recovery.
    event RecoveryApproved(
        ParticipantId indexed patient,
        ParticipantId indexed guardian,
        address indexed newController,
        uint8 approvals,
        uint48 readyAt
    );
    /// @notice A guardian withdrew its approval; below the threshold the recovery waits again (`readyAt` zero).
    event RecoveryApprovalWithdrawn(
        ParticipantId indexed patient,
        ParticipantId indexed guardian,
        address indexed newController,
        uint8 approvals
    );
    /// @notice The patient's key or a guardian objected to the recovery; `objections` counts the key's and those of
    /// guardians still active.
    event RecoveryObjected(
        ParticipantId indexed patient,
        address indexed newController,
        address indexed objector,
        uint8 objections
    );
    /// @notice Objections reached the quorum: the recovery is cancelled.
    event RecoveryCancelled(ParticipantId indexed patient, address indexed newController);
    /// @notice The patient appointed (or re-appointed with a new expiry) a representative.
    event RepresentativeAppointed(
        ParticipantId indexed patient,
        ParticipantId indexed representative,
        uint48 expiresAt
    );
    /// @notice A representation ended before its expiry: revoked by the patient or resigned by the representative.
    event RepresentativeRemoved(ParticipantId indexed patient, ParticipantId indexed representative, bool resigned);
    // ------------------------------------------------------------------------------------------------------------
    // Self-service writes
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Registers the caller as a pseudonymous, not yet identity-proofed patient.
    /// @dev Requirements: not paused; the caller controls no id (`IdentityAccountAlreadyBound`).
    /// @return id The new patient id.
    function registerPatient() external returns (ParticipantId id);

    /// @notice Hands the id to `newController` in one step: the current key calls, the new key consents by signing
    /// `ControlTransfer(uint64 id,address newController,uint24 keyEpoch,uint48 deadline)` (EIP-712, domain
    /// "CareLedger Identity" version "1"; ERC-1271 for a contract wallet). The old key stops working at once.
    /// @dev Requirements: not paused; the caller is the id's controller; the id is not revoked (suspended and expired
    /// participants may rotate a compromised key); `newController` is non-zero and controls no id; the deadline has
    /// not passed and lies at most `MAX_SIGNATURE_WINDOW` ahead; the signature is the new key's over the id's current
    /// key epoch, so it can be used once. Emits `ControllerChanged` (Rotation).
    function rotateController(
        ParticipantId id,
        address newController,
        uint48 deadline,
        bytes calldata signature
    ) external;

    /// @notice Sets or clears the guardians who can together recover a patient's id. A patient without guardians
    /// names her first ones at once (`GuardiansSet`); any later change (clearing included) is scheduled and takes
    /// effect through `confirmGuardianChange` after the current recovery delay, unless the patient cancels it or a
    /// majority of the current guardians vetoes it (`GuardianChangeScheduled`). A new change replaces a waiting one.
    /// @dev Requirements: not paused; caller is the patient's controller; the patient is active; guardians are
    /// distinct active participants other than the patient, at most `MAX_GUARDIANS`; 1 ≤ `threshold` ≤ count, or an
    /// empty list with threshold 0; `delay` within the recovery delay bounds.
    /// @param guardians The guardians' participant ids.
    /// @param threshold How many guardians must approve a recovery.
    /// @param delay Seconds between reaching the threshold and the recovery becoming executable; also how long a
    /// later guardian change waits.
    function setGuardians(
        ParticipantId patient,
        ParticipantId[] calldata guardians,
        uint8 threshold,
        uint32 delay
    ) external;

    /// @notice Applies the waiting guardian change once its time has come. Anyone may call: the patient asked for it.
    /// Ends every pending recovery (approvals were given under the old set).
    /// @dev Requirements: not paused; a change waits and `block.timestamp ≥ effectiveAt`; the patient is active (a
    /// suspended patient's change waits: a registrar may have suspended her after a suspected takeover); every new
    /// guardian is still active. Emits `GuardiansSet`.
    function confirmGuardianChange(ParticipantId patient) external;

    /// @notice The patient's key drops its waiting guardian change. Works while paused.
    function cancelGuardianChange(ParticipantId patient) external;

    /// @notice A current guardian vetoes the waiting guardian change; when a majority of the current guardians (more
    /// than half of those who are active, counting only vetoes of guardians still active) has vetoed, the change is
    /// dropped. Works while paused.
    function vetoGuardianChange(ParticipantId patient) external;

    /// @notice A guardian approves recovering the patient's id to `newController`. Each new key has its own recovery,
    /// opened by its first approval: guardians can approve another key at any time, and no one can block them by
    /// opening one first. The delay starts when the approvals of guardians active at that moment reach the threshold
    /// (approvals of guardians suspended since they approved do not count).
    /// @dev Requirements: not paused; the caller controls an active guardian of the patient; the patient is a patient
    /// and not revoked; `newController` non-zero and bound to no id; not yet approved by this guardian. A recovery
    /// lapses `RECOVERY_WINDOW` after it was opened if it has not reached the threshold, or after `readyAt` if it has
    /// not been executed.
    function approveRecovery(ParticipantId patient, address newController) external;

    /// @notice A guardian takes back its approval of a recovery; when the approvals of active guardians fall below the
    /// threshold the delay stops (`readyAt` is reset), and with no approval left the recovery ends. Works while paused.
    function withdrawRecoveryApproval(ParticipantId patient, address newController) external;

    /// @notice The patient's current key, or an active guardian, objects to a recovery; when objections reach the
    /// quorum (at least half of the active guardians and the patient's key together: ⌈(n + 1) / 2⌉ for n active
    /// guardians, counting only objections of guardians still active) the recovery is cancelled. A guardian's
    /// objection does not withdraw its approval (`withdrawRecoveryApproval` does). With a single guardian, the key
    /// and the guardian each cancel alone; with two or more, the key needs a guardian on its side, so guardians
    /// protect against a stolen key. Works while paused.
    /// @dev Emits `RecoveryObjected`, and `RecoveryCancelled` at the quorum.
    function cancelRecovery(ParticipantId patient, address newController) external;

    /// @notice The new key executes the recovery the guardians approved for it, once the delay has passed; the old key
    /// stops working, every other recovery of the patient ends, and so does a guardian change still waiting (it may
    /// have been asked for by whoever held the replaced key).
    /// @dev Requirements: not paused; the caller is the `newController` of a live recovery of the patient with
    /// `block.timestamp ≥ readyAt`, still approved by a threshold of guardians who are active now (approvals of
    /// guardians a registrar suspended do not count); the patient is not revoked; the caller controls no id. Emits
    /// `ControllerChanged` (GuardianRecovery), and `GuardianChangeCancelled` if a change was waiting.
    function executeRecovery(ParticipantId patient) external;

    /// @notice Appoints a representative (parent of a minor, proxy) until `expiresAt`, or changes the expiry.
    /// @dev Requirements: not paused; caller is the patient's controller; patient active; the representative is an
    /// active patient or practitioner other than the patient; `expiresAt` after now.
    function appointRepresentative(ParticipantId patient, ParticipantId representative, uint48 expiresAt) external;

    /// @notice The patient ends a representation before its expiry. Works while paused.
    /// @dev Requirements: caller is the patient's controller; the representation has not expired.
    function revokeRepresentative(ParticipantId patient, ParticipantId representative) external;

    /// @notice The representative steps down. Works while paused.
    /// @dev Requirements: caller is the representative's controller; the representation has not expired.
    function resignRepresentative(ParticipantId patient, ParticipantId representative) external;

    /// @notice An organization accepts the practitioner or device a registrar offered it; from now on the member acts
    /// for the organization (and any earlier organization loses it).
    /// @dev Requirements: not paused; the caller is the key of an active institution; a registrar's offer for `member`
    /// names it; the member is not revoked. Emits `AffiliationChanged`.
    function acceptAffiliate(ParticipantId member) external;

    /// @notice An organization ends its practitioner's or device's affiliation, which is inactive until a registrar
    /// offers it to an organization that accepts it. Works while paused.
    /// @dev Requirements: the caller is the key of the member's current organization (active or not).
    function releaseAffiliate(ParticipantId member) external;

    // ------------------------------------------------------------------------------------------------------------
    // Registrar writes (restricted through the AccessManager)
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Registers a verified institutional participant, practitioner or device controlled by `controller`,
    /// which consents by signing `Registration(uint8 kind,address controller,uint64 affiliation,uint48 deadline)`
    /// (EIP-712 as for `rotateController`): the key agrees to be registered as this kind, for this organization. A
    /// practitioner's or device's `affiliation` is an offer: it takes effect when that organization accepts
    /// (`acceptAffiliate`).
    /// @dev Restricted: `Roles.REGISTRAR`. Requirements: not paused; `kind` is neither `None` nor `Patient`;
    /// `controller` non-zero and bound to nothing; the deadline and signature as for `rotateController`; non-zero
    /// credential commitment; expiry after now; practitioners and devices name an active institution, other kinds
    /// name none.
    /// @return id The new participant id.
    function registerParticipant(
        ParticipantKind kind,
        address controller,
        bytes32 credentialCommitment,
        uint48 credentialExpiry,
        ParticipantId affiliation,
        uint48 deadline,
        bytes calldata signature
    ) external returns (ParticipantId id);

    /// @notice Replaces a participant's credential commitment and expiry (renewal, re-verification).
    /// @dev Restricted: `Roles.REGISTRAR`. Not for patients, nor revoked participants.
    function renewCredential(ParticipantId id, bytes32 credentialCommitment, uint48 credentialExpiry) external;

    /// @notice Offers a practitioner or device to another active institution; its current affiliation stands until
    /// that institution accepts. A registrar alone never puts anyone into an organization.
    /// @dev Restricted: `Roles.REGISTRAR`. Emits `AffiliationOffered`.
    function setAffiliation(ParticipantId id, ParticipantId affiliation) external;

    /// @notice Marks a patient as identity-proofed after off-chain verification.
    /// @dev Restricted: `Roles.REGISTRAR`. The patient must be active and not yet proofed.
    function markIdentityProofed(ParticipantId patient) external;

    /// @notice Suspends an active participant: it and those acting for it stop at once. Restricted:
    /// `Roles.REGISTRAR`. Works while paused.
    function suspend(ParticipantId id, uint16 reasonCode) external;

    /// @notice Reinstates a suspended participant. Restricted: `Roles.REGISTRAR`.
    function reinstate(ParticipantId id, uint16 reasonCode) external;

    /// @notice Revokes a participant for good; its key stays bound so that it cannot register again.
    /// Restricted: `Roles.REGISTRAR`. Works while paused.
    function revoke(ParticipantId id, uint16 reasonCode) external;

    /// @notice Recovers an institutional id (any kind but patient) to a new key after the institution lost its own;
    /// the new key consents by signature, as for `rotateController`.
    /// @dev Restricted: `Roles.INSTITUTION_RECOVERY`, which registrars hold with the admin execution delay: the call
    /// is scheduled on the AccessManager and executes only after that delay (so the signature's deadline must outlast
    /// it). The id must not be revoked. Emits `ControllerChanged` (RegistrarRecovery).
    function recoverController(
        ParticipantId id,
        address newController,
        uint48 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Everything the registry holds about `id`. Reverts with `IdentityUnknownParticipant` if none.
    function participant(ParticipantId id) external view returns (Participant memory);

    /// @notice The id `account` controls, or NONE.
    function idOf(address account) external view returns (ParticipantId);

    /// @notice Whether `id` is registered, `Active`, its credential (if any) unexpired and, for a practitioner or
    /// device, its affiliation accepted.
    function isActive(ParticipantId id) external view returns (bool);

    /// @notice As `isActive`, with the credential judged at time `at` (status and affiliation are the current ones).
    function isActiveAt(ParticipantId id, uint48 at) external view returns (bool);

    /// @notice The id that `account` actively controls if it is of `kind`, else NONE. One call for "is this address
    /// the active controller of an id of this kind".
    function activeIdOf(address account, ParticipantKind kind) external view returns (ParticipantId);

    /// @notice Everything an access decision needs to know about the key `account`, in one call and one storage
    /// read: the id it controls, that id's kind and affiliation, and whether the id is active at time `at` (as
    /// `isActiveAt`). `(NONE, None, NONE, false)` for a key that controls no id.
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

    /// @notice The organization a registrar offered the practitioner or device, awaiting its acceptance; NONE if none.
    function affiliationOffer(ParticipantId id) external view returns (ParticipantId organization);

    /// @notice The patient's guardians, threshold and recovery delay.
    function guardiansOf(
        ParticipantId patient
    ) external view returns (ParticipantId[] memory guardians, uint8 threshold, uint32 delay);

    /// @notice The patient's waiting guardian change, if any (`effectiveAt` zero if none), and how many current
    /// guardians vetoed it.
    function pendingGuardianChange(
        ParticipantId patient
    )
        external
        view
        returns (ParticipantId[] memory guardians, uint8 threshold, uint32 delay, uint48 effectiveAt, uint8 vetoes);

    /// @notice The live recovery of the patient to `newController`, if any; zero values if none.
    /// @return approvals How many guardians approved.
    /// @return readyAt Zero until the threshold is reached, then when the recovery becomes executable.
    /// @return expiresAt When the recovery lapses unless it reaches its threshold (or, when ready, is executed).
    /// @return objections How many of the patient's key and her guardians objected.
    function recoveryOf(
        ParticipantId patient,
        address newController
    ) external view returns (uint8 approvals, uint48 readyAt, uint48 expiresAt, uint8 objections);

    /// @notice Whether `representative` currently represents `patient`: appointed, unexpired, the representative
    /// active, and the patient active (a suspended or revoked patient has no one acting for her).
    function isRepresentative(ParticipantId patient, ParticipantId representative) external view returns (bool);

    /// @notice When the appointment of `representative` for `patient` expires; zero if none.
    function representationExpiry(ParticipantId patient, ParticipantId representative) external view returns (uint48);

    /// @notice The most recently assigned id (and so the number of participants ever registered).
    function lastId() external view returns (ParticipantId);
}
