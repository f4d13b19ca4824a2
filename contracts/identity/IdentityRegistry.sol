// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {KeyBinding, KeyBindingLib} from "../types/KeyBinding.sol";
import {ControllerChange, Participant, ParticipantKind, ParticipantStatus} from "../types/Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../types/ParticipantId.sol";

/// @title IdentityRegistry
/// @notice CareLedger's registry of pseudonymous participant identities. See {IIdentityRegistry}.
contract IdentityRegistry is IIdentityRegistry, CareLedgerModule {
    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev One storage slot: 160 + 8 + 8 + 8 + 48 + 24 = 256 bits. Everything a hot check ("is this key the active
    /// controller of an id of this kind") needs is in this one slot.
    struct Record {
        address controller;
        ParticipantKind kind;
        ParticipantStatus status;
        uint8 flags;
        uint48 credentialExpiry;
        uint24 keyEpoch;
    }

    /// @dev Guardians of one patient: threshold and delay share a slot; the ids (at most `MAX_GUARDIANS`) follow.
    struct GuardianSet {
        uint8 threshold;
        uint32 delay;
        ParticipantId[] ids;
    }

    /// @dev One storage slot: 160 + 8 + 8 + 48 + 24 = 248 bits. `approvals` is a bitmap over guardian positions;
    /// the recovery is live only while `keyEpoch` equals the patient's.
    struct Recovery {
        address newController;
        uint8 approvals;
        uint8 count;
        uint48 readyAt;
        uint24 keyEpoch;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------------------------

    /// @notice How far ahead a rotation deadline may lie: 30 days.
    uint48 public constant MAX_ROTATION_WINDOW = 30 days;
    /// @notice At most 8 guardians, so that approvals fit one byte.
    uint256 public constant MAX_GUARDIANS = 8;
    /// @notice Bounds of a patient's recovery delay: at least 1 day for the patient to notice and cancel, at most
    /// 30 days.
    uint32 public constant MIN_RECOVERY_DELAY = 1 days;
    uint32 public constant MAX_RECOVERY_DELAY = 30 days;

    uint8 private constant _FLAG_IDENTITY_PROOFED = 1;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares slot 0 with the authority and the pause flag (see CareLedgerModule):
    /// registration reads the pause flag and bumps the counter in one slot.
    ParticipantId private _lastId;

    mapping(ParticipantId id => Record record) private _records;
    mapping(address account => KeyBinding binding) private _bindings;
    mapping(ParticipantId id => bytes32 commitment) private _credentials;
    mapping(ParticipantId id => ParticipantId organization) private _affiliations;
    mapping(ParticipantId patient => GuardianSet guardians) private _guardians;
    mapping(ParticipantId patient => Recovery recovery) private _recoveries;
    mapping(ParticipantId patient => mapping(ParticipantId representative => uint48 expiresAt))
        private _representatives;
    mapping(bytes32 commitment => ParticipantId patient) private _identifierOwners;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    constructor(address authority) CareLedgerModule(authority) {}

    // ------------------------------------------------------------------------------------------------------------
    // Self-service writes
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function registerPatient() external override whenNotPaused returns (ParticipantId id) {
        _requireUnbound(msg.sender);
        id = _nextId();
        _records[id] = Record({
            controller: msg.sender,
            kind: ParticipantKind.Patient,
            status: ParticipantStatus.Active,
            flags: 0,
            credentialExpiry: 0,
            keyEpoch: 0
        });
        _bindings[msg.sender] = KeyBindingLib.bound(
            id,
            ParticipantKind.Patient,
            ParticipantStatus.Active,
            0,
            ParticipantIdLib.NONE
        );
        emit ParticipantRegistered(id, ParticipantKind.Patient, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function proposeControllerRotation(
        ParticipantId id,
        address newController,
        uint48 deadline
    ) external override whenNotPaused {
        Record storage record = _controlledRecord(id);
        _requireNotRevoked(id, record.status);
        _requireUnbound(newController);
        uint48 latest = Time.timestamp() + MAX_ROTATION_WINDOW;
        if (deadline <= Time.timestamp() || deadline > latest) {
            revert IdentityRotationDeadlineOutOfRange(deadline, latest);
        }
        // The proposal lives in the target key's own binding word, tagged with the current key epoch; the record is
        // not written, which keeps a whole rotation within its gas budget. Every change of key and every
        // cancellation moves the epoch on, and with it ends every proposal made before.
        _bindings[newController] = KeyBindingLib.pending(id, deadline, record.keyEpoch);
        emit ControllerRotationProposed(id, newController, deadline);
    }

    /// @inheritdoc IIdentityRegistry
    function acceptControllerRotation(ParticipantId id) external override whenNotPaused {
        KeyBinding binding = _bindings[msg.sender];
        Record storage record = _records[id];
        if (!_isLivePending(binding, record.keyEpoch) || binding.id() != id) {
            revert IdentityNoPendingRotation(id, msg.sender);
        }
        _requireNotRevoked(id, record.status);
        _moveController(id, record, msg.sender, ControllerChange.Rotation);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelControllerRotation(ParticipantId id) external override whenNotPaused {
        Record storage record = _controlledRecord(id);
        ++record.keyEpoch;
        emit ControllerRotationCancelled(id);
    }

    /// @inheritdoc IIdentityRegistry
    function setGuardians(
        ParticipantId patient,
        ParticipantId[] calldata guardians,
        uint8 threshold,
        uint32 delay
    ) external override whenNotPaused {
        _activePatientControlledBySender(patient);
        uint256 count = guardians.length;
        bool clearing = count == 0 && threshold == 0;
        if (!clearing && (count > MAX_GUARDIANS || threshold == 0 || threshold > count)) {
            revert IdentityInvalidGuardianSet(count, threshold);
        }
        if (!clearing && (delay < MIN_RECOVERY_DELAY || delay > MAX_RECOVERY_DELAY)) {
            revert IdentityRecoveryDelayOutOfRange(delay);
        }
        for (uint256 i = 0; i < count; ++i) {
            ParticipantId guardian = guardians[i];
            if (guardian == patient || !isActive(guardian)) revert IdentityInvalidGuardian(guardian);
            // Quadratic but bounded: at most 8 * 7 / 2 comparisons.
            for (uint256 j = 0; j < i; ++j) {
                if (guardians[j] == guardian) revert IdentityInvalidGuardian(guardian);
            }
        }
        GuardianSet storage set = _guardians[patient];
        set.threshold = threshold;
        set.delay = clearing ? 0 : delay;
        set.ids = guardians;
        delete _recoveries[patient];
        emit GuardiansSet(patient, guardians, threshold, set.delay);
    }

    /// @inheritdoc IIdentityRegistry
    function approveRecovery(ParticipantId patient, address newController) external override whenNotPaused {
        Record storage record = _existingRecord(patient);
        if (record.kind != ParticipantKind.Patient) {
            revert IdentityWrongKind(patient, ParticipantKind.Patient, record.kind);
        }
        _requireNotRevoked(patient, record.status);
        GuardianSet storage set = _guardians[patient];
        (ParticipantId guardian, uint256 position) = _guardianOfSender(patient, set.ids);

        Recovery memory recovery = _recoveries[patient];
        if (!_isLiveRecovery(recovery, record.keyEpoch)) {
            _requireUnbound(newController);
            recovery = Recovery({
                newController: newController,
                approvals: 0,
                count: 0,
                readyAt: 0,
                keyEpoch: record.keyEpoch
            });
        } else if (recovery.newController != newController) {
            revert IdentityRecoveryConflict(patient, recovery.newController);
        }
        uint8 bit = uint8(1 << position);
        if (recovery.approvals & bit != 0) revert IdentityRecoveryAlreadyApproved(patient, guardian);
        recovery.approvals |= bit;
        // Invariant: count ≤ MAX_GUARDIANS = 8, so it cannot overflow a uint8.
        unchecked {
            ++recovery.count;
        }
        if (recovery.count == set.threshold) recovery.readyAt = Time.timestamp() + set.delay;
        _recoveries[patient] = recovery;
        emit RecoveryApproved(patient, guardian, newController, recovery.count, recovery.readyAt);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelRecovery(ParticipantId patient) external override whenNotPaused {
        Record storage record = _controlledRecord(patient);
        if (!_isLiveRecovery(_recoveries[patient], record.keyEpoch)) revert IdentityNoPendingRecovery(patient);
        delete _recoveries[patient];
        emit RecoveryCancelled(patient);
    }

    /// @inheritdoc IIdentityRegistry
    function executeRecovery(ParticipantId patient) external override whenNotPaused {
        Record storage record = _records[patient];
        Recovery memory recovery = _recoveries[patient];
        if (!_isLiveRecovery(recovery, record.keyEpoch)) revert IdentityNoPendingRecovery(patient);
        if (recovery.readyAt == 0 || Time.timestamp() < recovery.readyAt) {
            revert IdentityRecoveryNotReady(patient, recovery.readyAt);
        }
        _requireNotRevoked(patient, record.status);
        _requireUnbound(recovery.newController);
        delete _recoveries[patient];
        _moveController(patient, record, recovery.newController, ControllerChange.GuardianRecovery);
    }

    /// @inheritdoc IIdentityRegistry
    function appointRepresentative(
        ParticipantId patient,
        ParticipantId representative,
        uint48 expiresAt
    ) external override whenNotPaused {
        _activePatientControlledBySender(patient);
        ParticipantKind kind = _records[representative].kind;
        if (
            representative == patient ||
            (kind != ParticipantKind.Patient && kind != ParticipantKind.Practitioner) ||
            !isActive(representative)
        ) {
            revert IdentityInvalidRepresentative(representative);
        }
        if (expiresAt <= Time.timestamp()) {
            revert IdentityRepresentationExpiryInPast(expiresAt, Time.timestamp());
        }
        _representatives[patient][representative] = expiresAt;
        emit RepresentativeAppointed(patient, representative, expiresAt);
    }

    /// @inheritdoc IIdentityRegistry
    function revokeRepresentative(ParticipantId patient, ParticipantId representative) external override whenNotPaused {
        _controlledRecord(patient);
        _endRepresentation(patient, representative, false);
    }

    /// @inheritdoc IIdentityRegistry
    function resignRepresentative(ParticipantId patient, ParticipantId representative) external override whenNotPaused {
        _controlledRecord(representative);
        _endRepresentation(patient, representative, true);
    }

    /// @inheritdoc IIdentityRegistry
    function bindIdentifierCommitment(ParticipantId patient, bytes32 commitment) external override whenNotPaused {
        _activePatientControlledBySender(patient);
        if (commitment == bytes32(0)) revert IdentityZeroCommitment();
        if (!_identifierOwners[commitment].isNone()) revert IdentityCommitmentAlreadyBound(commitment);
        _identifierOwners[commitment] = patient;
        emit IdentifierCommitmentBound(patient, commitment);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Registrar writes
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function registerParticipant(
        ParticipantKind kind,
        address controller,
        bytes32 credentialCommitment,
        uint48 credentialExpiry,
        ParticipantId affiliation
    ) external override restricted whenNotPaused returns (ParticipantId id) {
        if (kind == ParticipantKind.None || kind == ParticipantKind.Patient) revert IdentityKindNotRegistrable(kind);
        _requireUnbound(controller);
        _requireValidCredential(credentialCommitment, credentialExpiry);
        _requireValidAffiliation(kind, affiliation);
        id = _nextId();
        _records[id] = Record({
            controller: controller,
            kind: kind,
            status: ParticipantStatus.Active,
            flags: 0,
            credentialExpiry: credentialExpiry,
            keyEpoch: 0
        });
        _bindings[controller] = KeyBindingLib.bound(id, kind, ParticipantStatus.Active, credentialExpiry, affiliation);
        _credentials[id] = credentialCommitment;
        emit ParticipantRegistered(id, kind, controller);
        emit CredentialUpdated(id, credentialCommitment, credentialExpiry);
        if (!affiliation.isNone()) {
            _affiliations[id] = affiliation;
            emit AffiliationChanged(id, ParticipantIdLib.NONE, affiliation);
        }
    }

    /// @inheritdoc IIdentityRegistry
    function renewCredential(
        ParticipantId id,
        bytes32 credentialCommitment,
        uint48 credentialExpiry
    ) external override restricted whenNotPaused {
        Record storage record = _existingRecord(id);
        if (record.kind == ParticipantKind.Patient) revert IdentityKindNotRegistrable(ParticipantKind.Patient);
        _requireNotRevoked(id, record.status);
        _requireValidCredential(credentialCommitment, credentialExpiry);
        record.credentialExpiry = credentialExpiry;
        _credentials[id] = credentialCommitment;
        _refreshBinding(id, record);
        emit CredentialUpdated(id, credentialCommitment, credentialExpiry);
    }

    /// @inheritdoc IIdentityRegistry
    function setAffiliation(ParticipantId id, ParticipantId affiliation) external override restricted whenNotPaused {
        Record storage record = _existingRecord(id);
        _requireNotRevoked(id, record.status);
        if (affiliation.isNone()) revert IdentityInvalidAffiliation(record.kind, affiliation);
        _requireValidAffiliation(record.kind, affiliation);
        ParticipantId previous = _affiliations[id];
        _affiliations[id] = affiliation;
        _refreshBinding(id, record);
        emit AffiliationChanged(id, previous, affiliation);
    }

    /// @inheritdoc IIdentityRegistry
    function markIdentityProofed(ParticipantId patient) external override restricted whenNotPaused {
        Record storage record = _existingRecord(patient);
        if (record.kind != ParticipantKind.Patient) {
            revert IdentityWrongKind(patient, ParticipantKind.Patient, record.kind);
        }
        if (record.status != ParticipantStatus.Active) revert IdentityParticipantInactive(patient);
        if (record.flags & _FLAG_IDENTITY_PROOFED != 0) revert IdentityAlreadyProofed(patient);
        record.flags |= _FLAG_IDENTITY_PROOFED;
        emit IdentityProofed(patient);
    }

    /// @inheritdoc IIdentityRegistry
    function suspend(ParticipantId id, uint16 reasonCode) external override restricted whenNotPaused {
        _transition(id, ParticipantStatus.Suspended, reasonCode);
    }

    /// @inheritdoc IIdentityRegistry
    function reinstate(ParticipantId id, uint16 reasonCode) external override restricted whenNotPaused {
        _transition(id, ParticipantStatus.Active, reasonCode);
    }

    /// @inheritdoc IIdentityRegistry
    function revoke(ParticipantId id, uint16 reasonCode) external override restricted whenNotPaused {
        _transition(id, ParticipantStatus.Revoked, reasonCode);
    }

    /// @inheritdoc IIdentityRegistry
    function recoverController(ParticipantId id, address newController) external override restricted whenNotPaused {
        Record storage record = _existingRecord(id);
        if (record.kind == ParticipantKind.Patient) revert IdentityRecoveryNotForPatients(id);
        _requireNotRevoked(id, record.status);
        _requireUnbound(newController);
        _moveController(id, record, newController, ControllerChange.RegistrarRecovery);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The registry's semantic version.
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc IIdentityRegistry
    function participant(ParticipantId id) external view override returns (Participant memory) {
        Record memory record = _existingRecord(id);
        return
            Participant({
                controller: record.controller,
                kind: record.kind,
                status: record.status,
                identityProofed: record.flags & _FLAG_IDENTITY_PROOFED != 0,
                credentialExpiry: record.credentialExpiry,
                keyEpoch: record.keyEpoch,
                affiliation: _affiliations[id],
                credentialCommitment: _credentials[id]
            });
    }

    /// @inheritdoc IIdentityRegistry
    function idOf(address account) external view override returns (ParticipantId) {
        KeyBinding binding = _bindings[account];
        return binding.isPending() ? ParticipantIdLib.NONE : binding.id();
    }

    /// @inheritdoc IIdentityRegistry
    function isActive(ParticipantId id) public view override returns (bool) {
        return _isActive(_records[id]);
    }

    /// @inheritdoc IIdentityRegistry
    function isActiveAt(ParticipantId id, uint48 at) external view override returns (bool) {
        return _isActiveAt(_records[id], at);
    }

    /// @inheritdoc IIdentityRegistry
    function activeIdOf(address account, ParticipantKind kind) external view override returns (ParticipantId) {
        KeyBinding binding = _bindings[account];
        return
            binding.isBound() && binding.kind() == kind && binding.isActiveAt(Time.timestamp())
                ? binding.id()
                : ParticipantIdLib.NONE;
    }

    /// @inheritdoc IIdentityRegistry
    function accountStanding(
        address account,
        uint48 at
    ) external view override returns (ParticipantId id, ParticipantKind kind, ParticipantId affiliation, bool active) {
        KeyBinding binding = _bindings[account];
        // An empty word reads as all zeros (NONE, None, NONE, inactive) by itself; only a pending one needs hiding.
        if (binding.isPending()) return (ParticipantIdLib.NONE, ParticipantKind.None, ParticipantIdLib.NONE, false);
        return (binding.id(), binding.kind(), binding.affiliation(), binding.isActiveAt(at));
    }

    /// @inheritdoc IIdentityRegistry
    function standingOf(
        ParticipantId id
    ) external view override returns (ParticipantKind kind, ParticipantId affiliation, bool active) {
        Record storage record = _records[id];
        kind = record.kind;
        return (kind, _affiliationOf(id, kind), _isActive(record));
    }

    /// @inheritdoc IIdentityRegistry
    function pendingRotationOf(address account) external view override returns (ParticipantId id, uint48 deadline) {
        KeyBinding binding = _bindings[account];
        if (!binding.isPending() || !_isLiveProposal(binding)) return (ParticipantIdLib.NONE, 0);
        return (binding.id(), binding.deadline());
    }

    /// @inheritdoc IIdentityRegistry
    function guardiansOf(
        ParticipantId patient
    ) external view override returns (ParticipantId[] memory guardians, uint8 threshold, uint32 delay) {
        GuardianSet storage set = _guardians[patient];
        return (set.ids, set.threshold, set.delay);
    }

    /// @inheritdoc IIdentityRegistry
    function pendingRecoveryOf(
        ParticipantId patient
    ) external view override returns (address newController, uint8 approvals, uint48 readyAt) {
        Recovery memory recovery = _recoveries[patient];
        if (!_isLiveRecovery(recovery, _records[patient].keyEpoch)) return (address(0), 0, 0);
        return (recovery.newController, recovery.count, recovery.readyAt);
    }

    /// @inheritdoc IIdentityRegistry
    function isRepresentative(
        ParticipantId patient,
        ParticipantId representative
    ) external view override returns (bool) {
        return _representatives[patient][representative] > Time.timestamp() && isActive(representative);
    }

    /// @inheritdoc IIdentityRegistry
    function representationExpiry(
        ParticipantId patient,
        ParticipantId representative
    ) external view override returns (uint48) {
        return _representatives[patient][representative];
    }

    /// @inheritdoc IIdentityRegistry
    function identifierOwner(bytes32 commitment) external view override returns (ParticipantId) {
        return _identifierOwners[commitment];
    }

    /// @inheritdoc IIdentityRegistry
    function lastId() external view override returns (ParticipantId) {
        return _lastId;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------------------------

    function _nextId() private returns (ParticipantId id) {
        // Invariant: ids are assigned one per transaction-level registration; 2^64 registrations cannot happen, and
        // checked arithmetic would revert rather than wrap if they did.
        id = ParticipantId.wrap(ParticipantId.unwrap(_lastId) + 1);
        _lastId = id;
    }

    /// @dev The single status transition function: Active ⇄ Suspended, and Active or Suspended → Revoked (final).
    function _transition(ParticipantId id, ParticipantStatus to, uint16 reasonCode) private {
        Record storage record = _existingRecord(id);
        ParticipantStatus from = record.status;
        bool allowed =
            (from == ParticipantStatus.Active && to != ParticipantStatus.Active) ||
                (from == ParticipantStatus.Suspended && to != ParticipantStatus.Suspended);
        if (!allowed) revert IdentityInvalidStatusTransition(id, from, to);
        record.status = to;
        _refreshBinding(id, record);
        emit StatusChanged(id, from, to, reasonCode);
    }

    /// @dev Hands `id` to `newController`: the old key's binding is deleted in the same step, and the key epoch
    /// moves on so that every pending rotation and recovery of the id dies with the change.
    function _moveController(
        ParticipantId id,
        Record storage record,
        address newController,
        ControllerChange how
    ) private {
        // All fields are read in one block before the slot is written, which lets the optimizer load the slot once.
        (address previous, uint24 epoch, ParticipantKind kind, ParticipantStatus status, uint48 expiry) = (
            record.controller,
            record.keyEpoch,
            record.kind,
            record.status,
            record.credentialExpiry
        );
        // Invariant: keyEpoch only grows; 2^24 key changes and cancellations on one id cannot happen in the chain's
        // life, and checked arithmetic reverts rather than wraps if they did.
        (record.controller, record.keyEpoch) = (newController, epoch + 1);
        _bindings[previous] = KeyBindingLib.EMPTY;
        _bindings[newController] = _boundWord(id, kind, status, expiry);
        emit ControllerChanged(id, previous, newController, how);
    }

    /// @dev Rewrites the controller's binding word after a change to a field it copies (status, credential expiry,
    /// affiliation), so that `accountStanding` never disagrees with the record.
    function _refreshBinding(ParticipantId id, Record storage record) private {
        _bindings[record.controller] = _boundWord(id, record);
    }

    /// @dev The organization `id` acts for. Only practitioners and devices can have one (registration and
    /// `setAffiliation` enforce it), so only they pay for reading it: this keeps a patient's key rotation within its
    /// gas budget and spares every other kind a storage read.
    function _affiliationOf(ParticipantId id, ParticipantKind kind) private view returns (ParticipantId) {
        return
            kind == ParticipantKind.Practitioner || kind == ParticipantKind.Device
                ? _affiliations[id]
                : ParticipantIdLib.NONE;
    }

    /// @dev The bound word of `id` for its current record.
    function _boundWord(ParticipantId id, Record storage record) private view returns (KeyBinding) {
        return _boundWord(id, record.kind, record.status, record.credentialExpiry);
    }

    function _boundWord(
        ParticipantId id,
        ParticipantKind kind,
        ParticipantStatus status,
        uint48 credentialExpiry
    ) private view returns (KeyBinding) {
        // `_affiliationOf`, written out: the internal call costs a patient's key rotation some 50 gas it cannot spare.
        bool affiliated = kind == ParticipantKind.Practitioner || kind == ParticipantKind.Device;
        return
            KeyBindingLib.bound(
                id,
                kind,
                status,
                credentialExpiry,
                affiliated ? _affiliations[id] : ParticipantIdLib.NONE
            );
    }

    function _endRepresentation(ParticipantId patient, ParticipantId representative, bool resigned) private {
        if (_representatives[patient][representative] <= Time.timestamp()) {
            revert IdentityNotRepresentative(patient, representative);
        }
        delete _representatives[patient][representative];
        emit RepresentativeRemoved(patient, representative, resigned);
    }

    /// @dev The caller's guardian id and its position in the patient's guardian list.
    function _guardianOfSender(
        ParticipantId patient,
        ParticipantId[] storage ids
    ) private view returns (ParticipantId guardian, uint256 position) {
        KeyBinding binding = _bindings[msg.sender];
        if (binding.isBound()) {
            guardian = binding.id();
            uint256 count = ids.length;
            for (position = 0; position < count; ++position) {
                if (ids[position] == guardian && isActive(guardian)) return (guardian, position);
            }
        }
        revert IdentityNotGuardian(patient, msg.sender);
    }

    function _existingRecord(ParticipantId id) private view returns (Record storage record) {
        record = _records[id];
        if (record.kind == ParticipantKind.None) revert IdentityUnknownParticipant(id);
    }

    /// @dev The record of `id`, which the caller must control.
    function _controlledRecord(ParticipantId id) private view returns (Record storage record) {
        record = _existingRecord(id);
        if (record.controller != msg.sender) revert IdentityNotController(id, msg.sender);
    }

    function _activePatientControlledBySender(ParticipantId patient) private view {
        Record storage record = _controlledRecord(patient);
        if (record.kind != ParticipantKind.Patient) {
            revert IdentityWrongKind(patient, ParticipantKind.Patient, record.kind);
        }
        if (!_isActive(record)) revert IdentityParticipantInactive(patient);
    }

    /// @dev Reverts unless `account` is a usable new key: non-zero, controlling no id and not the live target of
    /// another id's rotation. A dead (expired or superseded) rotation marker does not count.
    function _requireUnbound(address account) private view {
        if (account == address(0)) revert IdentityZeroAddress();
        KeyBinding binding = _bindings[account];
        if (binding.isEmpty()) return;
        if (binding.isPending() && !_isLiveProposal(binding)) return;
        revert IdentityAccountAlreadyBound(account);
    }

    function _requireNotRevoked(ParticipantId id, ParticipantStatus status) private pure {
        if (status == ParticipantStatus.Revoked) revert IdentityParticipantRevoked(id);
    }

    function _requireValidCredential(bytes32 commitment, uint48 expiry) private view {
        if (commitment == bytes32(0)) revert IdentityZeroCommitment();
        if (expiry <= Time.timestamp()) revert IdentityCredentialExpiryInPast(expiry, Time.timestamp());
    }

    /// @dev Practitioners and devices must name an active institution (any registrar-registered kind that is
    /// neither a practitioner nor a device); no other kind may name an affiliation.
    function _requireValidAffiliation(ParticipantKind kind, ParticipantId affiliation) private view {
        bool needsAffiliation = kind == ParticipantKind.Practitioner || kind == ParticipantKind.Device;
        if (!needsAffiliation) {
            if (!affiliation.isNone()) revert IdentityInvalidAffiliation(kind, affiliation);
            return;
        }
        Record storage institution = _records[affiliation];
        ParticipantKind institutionKind = institution.kind;
        if (
            institutionKind == ParticipantKind.None ||
            institutionKind == ParticipantKind.Patient ||
            institutionKind == ParticipantKind.Practitioner ||
            institutionKind == ParticipantKind.Device ||
            !_isActive(institution)
        ) {
            revert IdentityInvalidAffiliation(kind, affiliation);
        }
    }

    function _isActive(Record storage record) private view returns (bool) {
        return _isActiveAt(record, Time.timestamp());
    }

    function _isActiveAt(Record storage record, uint48 time) private view returns (bool) {
        if (record.status != ParticipantStatus.Active) return false;
        uint48 expiry = record.credentialExpiry;
        return expiry == 0 || time < expiry;
    }

    function _isLivePending(KeyBinding binding, uint24 currentEpoch) private view returns (bool) {
        return binding.isPending() && binding.keyEpoch() == currentEpoch && Time.timestamp() <= binding.deadline();
    }

    /// @dev Whether a pending binding still stands as a proposal: live for its id's current epoch, and the id not
    /// revoked (a revoked id can never accept, so its proposals must not keep blocking their target keys).
    function _isLiveProposal(KeyBinding binding) private view returns (bool) {
        Record storage record = _records[binding.id()];
        return _isLivePending(binding, record.keyEpoch) && record.status != ParticipantStatus.Revoked;
    }

    function _isLiveRecovery(Recovery memory recovery, uint24 currentEpoch) private pure returns (bool) {
        return recovery.newController != address(0) && recovery.keyEpoch == currentEpoch;
    }
}
