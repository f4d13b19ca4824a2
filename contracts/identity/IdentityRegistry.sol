// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {KeyBinding, KeyBindingLib} from "./KeyBinding.sol";
import {ControllerChange, Participant, ParticipantKind, ParticipantStatus} from "./Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";

/// @title IdentityRegistry
/// @notice CareLedger's registry of pseudonymous participant identities. See {IIdentityRegistry}.
contract IdentityRegistry is IIdentityRegistry, EIP712, CareLedgerModule {
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

    /// @dev Guardians of one patient: threshold, delay and the recovery epoch share a slot (8 + 32 + 32 bits); the
    /// ids (at most `MAX_GUARDIANS`) follow. The epoch moves on whenever the set changes or a recovery executes, and
    /// with it every recovery opened before ends.
    struct GuardianSet {
        uint8 threshold;
        uint32 delay;
        uint32 epoch;
        ParticipantId[] ids;
    }

    /// @dev A guardian change waiting for its time: 8 + 32 + 48 + 8 + 8 = 104 bits, then the new ids. `vetoes` is a
    /// bitmap over the current guardians' positions.
    struct GuardianChange {
        uint8 threshold;
        uint32 delay;
        uint48 effectiveAt;
        uint8 vetoes;
        uint8 vetoCount;
        ParticipantId[] ids;
    }

    /// @dev One recovery of a patient to one new key, in one slot: 8 + 8 + 16 + 8 + 48 + 48 + 32 = 168 bits.
    /// `approvals` is a bitmap over guardian positions; `objections` over guardian positions (bits 0 to 7) and the
    /// patient's key (bit `_PATIENT_OBJECTION`). The recovery is live while `epoch` is the guardian set's and it has
    /// not lapsed.
    struct Recovery {
        uint8 approvals;
        uint8 count;
        uint16 objections;
        uint8 objectionCount;
        uint48 openedAt;
        uint48 readyAt;
        uint32 epoch;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------------------------

    /// @notice How far ahead a key's consent signature may expire: 30 days (long enough to outlast the admin delay of
    /// a registrar's recovery).
    uint48 public constant MAX_SIGNATURE_WINDOW = 30 days;
    /// @notice At most 8 guardians, so that approvals and vetoes fit one byte.
    uint256 public constant MAX_GUARDIANS = 8;
    /// @notice Bounds of a patient's recovery delay: at least 1 day for the guardians to reconsider, at most 30 days.
    uint32 public constant MIN_RECOVERY_DELAY = 1 days;
    uint32 public constant MAX_RECOVERY_DELAY = 30 days;
    /// @notice How long a recovery lives: it lapses this long after it was opened unless it reaches its threshold,
    /// and this long after it became executable unless it is executed.
    uint48 public constant RECOVERY_WINDOW = 30 days;

    /// @dev The EIP-712 type hashes of a key's consent. The type strings are hashed at compile time, and split only to
    /// keep the lines short.
    // solhint-disable gas-small-strings
    bytes32 public constant REGISTRATION_TYPEHASH = keccak256(
        "Registration(uint8 kind,address controller,uint64 affiliation,uint48 deadline)"
    );
    bytes32 public constant CONTROL_TRANSFER_TYPEHASH = keccak256(
        "ControlTransfer(uint64 id,address newController,uint24 keyEpoch,uint48 deadline)"
    );
    // solhint-enable gas-small-strings

    uint8 private constant _FLAG_IDENTITY_PROOFED = 1;
    /// @dev The objection bit of the patient's own key, above the eight guardian positions.
    uint16 private constant _PATIENT_OBJECTION = 1 << 8;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares a slot with the authority and the pause flag (see CareLedgerModule;
    /// EIP712 comes before CareLedgerModule in the inheritance list for that reason): registration reads the pause
    /// flag and bumps the counter in one slot.
    ParticipantId private _lastId;

    mapping(ParticipantId id => Record record) private _records;
    mapping(address account => KeyBinding binding) private _bindings;
    mapping(ParticipantId id => bytes32 commitment) private _credentials;
    mapping(ParticipantId id => ParticipantId organization) private _affiliations;
    mapping(ParticipantId id => ParticipantId organization) private _affiliationOffers;
    mapping(ParticipantId patient => GuardianSet guardians) private _guardians;
    mapping(ParticipantId patient => GuardianChange change) private _guardianChanges;
    mapping(ParticipantId patient => mapping(address newController => Recovery recovery)) private _recoveries;
    mapping(ParticipantId patient => mapping(ParticipantId representative => uint48 expiresAt))
        private _representatives;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    constructor(address authority) EIP712("CareLedger Identity", "1") CareLedgerModule(authority) {}

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
    function rotateController(
        ParticipantId id,
        address newController,
        uint48 deadline,
        bytes calldata signature
    ) external override whenNotPaused {
        Record storage record = _controlledRecord(id);
        _requireNotRevoked(id, record.status);
        _requireTransferConsent(id, record.keyEpoch, newController, deadline, signature);
        _moveController(id, record, newController, ControllerChange.Rotation);
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
        _requireValidGuardians(patient, guardians);
        if (clearing) delay = 0;
        GuardianSet storage current = _guardians[patient];
        if (current.ids.length == 0) {
            // A first set protects the patient and removes nothing: it takes effect at once.
            _installGuardians(patient, current, guardians, threshold, delay);
            return;
        }
        // Invariant: `delay` ≤ MAX_RECOVERY_DELAY, so the sum stays far below 2^48.
        uint48 effectiveAt = Time.timestamp() + current.delay;
        GuardianChange storage change = _guardianChanges[patient];
        (change.threshold, change.delay, change.effectiveAt, change.vetoes, change.vetoCount) = (
            threshold,
            delay,
            effectiveAt,
            0,
            0
        );
        change.ids = guardians;
        emit GuardianChangeScheduled(patient, guardians, threshold, delay, effectiveAt);
    }

    /// @inheritdoc IIdentityRegistry
    function confirmGuardianChange(ParticipantId patient) external override whenNotPaused {
        GuardianChange storage change = _guardianChanges[patient];
        uint48 effectiveAt = change.effectiveAt;
        if (effectiveAt == 0) revert IdentityNoGuardianChange(patient);
        if (Time.timestamp() < effectiveAt) revert IdentityGuardianChangeNotReady(patient, effectiveAt);
        // A suspended patient's change waits (a registrar may have suspended her after a suspected takeover).
        if (_records[patient].status != ParticipantStatus.Active) revert IdentityParticipantInactive(patient);
        ParticipantId[] memory ids = change.ids;
        _requireValidGuardians(patient, ids);
        (uint8 threshold, uint32 delay) = (change.threshold, change.delay);
        delete _guardianChanges[patient];
        _installGuardians(patient, _guardians[patient], ids, threshold, delay);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelGuardianChange(ParticipantId patient) external override {
        _controlledRecord(patient);
        if (_guardianChanges[patient].effectiveAt == 0) revert IdentityNoGuardianChange(patient);
        delete _guardianChanges[patient];
        emit GuardianChangeCancelled(patient, false);
    }

    /// @inheritdoc IIdentityRegistry
    function vetoGuardianChange(ParticipantId patient) external override {
        GuardianChange storage change = _guardianChanges[patient];
        if (change.effectiveAt == 0) revert IdentityNoGuardianChange(patient);
        ParticipantId[] storage ids = _guardians[patient].ids;
        (ParticipantId guardian, uint256 position) = _guardianOfSender(patient, ids);
        uint8 bit = uint8(1 << position);
        if (change.vetoes & bit != 0) revert IdentityGuardianChangeAlreadyVetoed(patient, guardian);
        change.vetoes |= bit;
        // Vetoes count only while their guardians are active, as approvals do: a guardian suspended since it vetoed
        // no longer weighs. At most MAX_GUARDIANS = 8, so the count fits a uint8.
        uint8 vetoes = uint8(_activeApprovals(change.vetoes, ids));
        change.vetoCount = vetoes;
        emit GuardianChangeVetoed(patient, guardian, vetoes);
        // A majority: more than half of the current guardians who are active.
        if (vetoes > _activeGuardians(ids) / 2) {
            delete _guardianChanges[patient];
            emit GuardianChangeCancelled(patient, true);
        }
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
        _requireUnbound(newController);

        Recovery memory recovery = _recoveries[patient][newController];
        if (!_isLiveRecovery(recovery, set.epoch)) {
            recovery = Recovery({
                approvals: 0,
                count: 0,
                objections: 0,
                objectionCount: 0,
                openedAt: Time.timestamp(),
                readyAt: 0,
                epoch: set.epoch
            });
        }
        uint8 bit = uint8(1 << position);
        if (recovery.approvals & bit != 0) revert IdentityRecoveryAlreadyApproved(patient, guardian, newController);
        recovery.approvals |= bit;
        // Invariant: count ≤ MAX_GUARDIANS = 8, so it cannot overflow a uint8.
        unchecked {
            ++recovery.count;
        }
        // The delay runs from the moment a threshold of guardians active then has approved: approvals of guardians
        // suspended since they approved do not start it, so no late approval can make a recovery executable at once.
        if (recovery.readyAt == 0 && _activeApprovals(recovery.approvals, set.ids) >= set.threshold) {
            recovery.readyAt = Time.timestamp() + set.delay;
        }
        _recoveries[patient][newController] = recovery;
        emit RecoveryApproved(patient, guardian, newController, recovery.count, recovery.readyAt);
    }

    /// @inheritdoc IIdentityRegistry
    function withdrawRecoveryApproval(ParticipantId patient, address newController) external override {
        GuardianSet storage set = _guardians[patient];
        (ParticipantId guardian, uint256 position) = _guardianOfSender(patient, set.ids);
        Recovery memory recovery = _liveRecovery(patient, newController, set.epoch);
        uint8 bit = uint8(1 << position);
        if (recovery.approvals & bit == 0) revert IdentityRecoveryNotApproved(patient, guardian, newController);
        recovery.approvals &= ~bit;
        // Invariant: the guardian's bit was set, so count ≥ 1.
        unchecked {
            --recovery.count;
        }
        if (_activeApprovals(recovery.approvals, set.ids) < set.threshold) recovery.readyAt = 0;
        if (recovery.count == 0) delete _recoveries[patient][newController];
        else _recoveries[patient][newController] = recovery;
        emit RecoveryApprovalWithdrawn(patient, guardian, newController, recovery.count);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelRecovery(ParticipantId patient, address newController) external override {
        GuardianSet storage set = _guardians[patient];
        Recovery memory recovery = _liveRecovery(patient, newController, set.epoch);
        uint16 bit = _objectionBit(patient, set.ids);
        if (recovery.objections & bit != 0) revert IdentityRecoveryAlreadyObjected(patient, msg.sender);
        recovery.objections |= bit;
        // Objections count only while their guardians are active (the patient's key always counts): at most
        // MAX_GUARDIANS + 1 = 9, so the count fits a uint8.
        recovery.objectionCount = uint8(
            _activeApprovals(uint8(recovery.objections), set.ids) +
                (recovery.objections & _PATIENT_OBJECTION == 0 ? 0 : 1)
        );
        emit RecoveryObjected(patient, newController, msg.sender, recovery.objectionCount);
        // The quorum: at least half of the active guardians and the patient's key together, ⌈(n + 1) / 2⌉ for n active
        // guardians, so that the key alone cancels nothing once she has two guardians or more.
        if (recovery.objectionCount >= (_activeGuardians(set.ids) + 2) / 2) {
            delete _recoveries[patient][newController];
            emit RecoveryCancelled(patient, newController);
        } else {
            _recoveries[patient][newController] = recovery;
        }
    }

    /// @inheritdoc IIdentityRegistry
    function executeRecovery(ParticipantId patient) external override whenNotPaused {
        GuardianSet storage set = _guardians[patient];
        Recovery memory recovery = _liveRecovery(patient, msg.sender, set.epoch);
        if (recovery.readyAt == 0 || Time.timestamp() < recovery.readyAt) {
            revert IdentityRecoveryNotReady(patient, recovery.readyAt);
        }
        // Approvals count only while their guardians are active: a registrar suspending stolen guardian keys stops
        // the recovery they approved.
        if (_activeApprovals(recovery.approvals, set.ids) < set.threshold) {
            revert IdentityRecoveryNotReady(patient, recovery.readyAt);
        }
        Record storage record = _records[patient];
        _requireNotRevoked(patient, record.status);
        _requireUnbound(msg.sender);
        delete _recoveries[patient][msg.sender];
        // Every other recovery of the patient was for the key just replaced, and a guardian change waiting may have
        // been the replaced key's (a thief's): both end with it.
        ++set.epoch;
        if (_guardianChanges[patient].effectiveAt != 0) {
            delete _guardianChanges[patient];
            emit GuardianChangeCancelled(patient, false);
        }
        _moveController(patient, record, msg.sender, ControllerChange.GuardianRecovery);
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
    function revokeRepresentative(ParticipantId patient, ParticipantId representative) external override {
        _controlledRecord(patient);
        _endRepresentation(patient, representative, false);
    }

    /// @inheritdoc IIdentityRegistry
    function resignRepresentative(ParticipantId patient, ParticipantId representative) external override {
        _controlledRecord(representative);
        _endRepresentation(patient, representative, true);
    }

    /// @inheritdoc IIdentityRegistry
    function acceptAffiliate(ParticipantId member) external override whenNotPaused {
        ParticipantId organization = _activeInstitutionOfSender();
        if (_affiliationOffers[member] != organization) revert IdentityNoAffiliationOffer(member, organization);
        Record storage record = _records[member];
        _requireNotRevoked(member, record.status);
        _affiliationOffers[member] = ParticipantIdLib.NONE;
        _setAffiliation(member, record, organization);
    }

    /// @inheritdoc IIdentityRegistry
    function releaseAffiliate(ParticipantId member) external override {
        ParticipantId caller = _bindings[msg.sender].id();
        if (caller.isNone() || _affiliations[member] != caller) revert IdentityNotAffiliated(member, caller);
        _setAffiliation(member, _records[member], ParticipantIdLib.NONE);
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
        ParticipantId affiliation,
        uint48 deadline,
        bytes calldata signature
    ) external override restricted whenNotPaused returns (ParticipantId id) {
        if (kind == ParticipantKind.None || kind == ParticipantKind.Patient) revert IdentityKindNotRegistrable(kind);
        _requireUnbound(controller);
        _requireValidCredential(credentialCommitment, credentialExpiry);
        _requireValidAffiliation(kind, affiliation);
        _requireKeySignature(
            controller,
            deadline,
            keccak256(abi.encode(REGISTRATION_TYPEHASH, kind, controller, affiliation, deadline)),
            signature
        );
        id = _nextId();
        // A practitioner or device stands as inactive until its organization accepts it (see KeyBinding).
        _records[id] = Record({
            controller: controller,
            kind: kind,
            status: ParticipantStatus.Active,
            flags: 0,
            credentialExpiry: credentialExpiry,
            keyEpoch: 0
        });
        _bindings[controller] = _boundWord(id, kind, ParticipantStatus.Active, credentialExpiry);
        _credentials[id] = credentialCommitment;
        emit ParticipantRegistered(id, kind, controller);
        emit CredentialUpdated(id, credentialCommitment, credentialExpiry);
        if (!affiliation.isNone()) {
            _affiliationOffers[id] = affiliation;
            emit AffiliationOffered(id, affiliation);
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
        if (affiliation.isNone() || affiliation == _affiliations[id]) {
            revert IdentityInvalidAffiliation(record.kind, affiliation);
        }
        _requireValidAffiliation(record.kind, affiliation);
        _affiliationOffers[id] = affiliation;
        emit AffiliationOffered(id, affiliation);
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
    function suspend(ParticipantId id, uint16 reasonCode) external override restricted {
        _transition(id, ParticipantStatus.Suspended, reasonCode);
    }

    /// @inheritdoc IIdentityRegistry
    function reinstate(ParticipantId id, uint16 reasonCode) external override restricted whenNotPaused {
        _transition(id, ParticipantStatus.Active, reasonCode);
    }

    /// @inheritdoc IIdentityRegistry
    function revoke(ParticipantId id, uint16 reasonCode) external override restricted {
        _transition(id, ParticipantStatus.Revoked, reasonCode);
    }

    /// @inheritdoc IIdentityRegistry
    function recoverController(
        ParticipantId id,
        address newController,
        uint48 deadline,
        bytes calldata signature
    ) external override restricted whenNotPaused {
        Record storage record = _existingRecord(id);
        if (record.kind == ParticipantKind.Patient) revert IdentityRecoveryNotForPatients(id);
        _requireNotRevoked(id, record.status);
        _requireTransferConsent(id, record.keyEpoch, newController, deadline, signature);
        _moveController(id, record, newController, ControllerChange.RegistrarRecovery);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The registry's semantic version.
    function version() external pure override returns (string memory) {
        return "2.0.0";
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
        return _bindings[account].id();
    }

    /// @inheritdoc IIdentityRegistry
    function isActive(ParticipantId id) public view override returns (bool) {
        return _isActiveAt(id, _records[id], Time.timestamp());
    }

    /// @inheritdoc IIdentityRegistry
    function isActiveAt(ParticipantId id, uint48 at) external view override returns (bool) {
        return _isActiveAt(id, _records[id], at);
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
        // An empty word reads as all zeros (NONE, None, NONE, inactive) by itself.
        KeyBinding binding = _bindings[account];
        return (binding.id(), binding.kind(), binding.affiliation(), binding.isActiveAt(at));
    }

    /// @inheritdoc IIdentityRegistry
    function standingOf(
        ParticipantId id
    ) external view override returns (ParticipantKind kind, ParticipantId affiliation, bool active) {
        Record storage record = _records[id];
        kind = record.kind;
        affiliation = _affiliationOf(id, kind);
        active =
            _standing(kind, record.status, affiliation) == ParticipantStatus.Active &&
            _unexpiredAt(record, Time.timestamp());
    }

    /// @inheritdoc IIdentityRegistry
    function affiliationOffer(ParticipantId id) external view override returns (ParticipantId) {
        return _affiliationOffers[id];
    }

    /// @inheritdoc IIdentityRegistry
    function guardiansOf(
        ParticipantId patient
    ) external view override returns (ParticipantId[] memory guardians, uint8 threshold, uint32 delay) {
        GuardianSet storage set = _guardians[patient];
        return (set.ids, set.threshold, set.delay);
    }

    /// @inheritdoc IIdentityRegistry
    function pendingGuardianChange(
        ParticipantId patient
    )
        external
        view
        override
        returns (ParticipantId[] memory guardians, uint8 threshold, uint32 delay, uint48 effectiveAt, uint8 vetoes)
    {
        GuardianChange storage change = _guardianChanges[patient];
        return (change.ids, change.threshold, change.delay, change.effectiveAt, change.vetoCount);
    }

    /// @inheritdoc IIdentityRegistry
    function recoveryOf(
        ParticipantId patient,
        address newController
    ) external view override returns (uint8 approvals, uint48 readyAt, uint48 expiresAt, uint8 objections) {
        Recovery memory recovery = _recoveries[patient][newController];
        if (!_isLiveRecovery(recovery, _guardians[patient].epoch)) return (0, 0, 0, 0);
        return (recovery.count, recovery.readyAt, _recoveryExpiry(recovery), recovery.objectionCount);
    }

    /// @inheritdoc IIdentityRegistry
    function isRepresentative(
        ParticipantId patient,
        ParticipantId representative
    ) external view override returns (bool) {
        return
            _representatives[patient][representative] > Time.timestamp() &&
            isActive(representative) &&
            isActive(patient);
    }

    /// @inheritdoc IIdentityRegistry
    function representationExpiry(
        ParticipantId patient,
        ParticipantId representative
    ) external view override returns (uint48) {
        return _representatives[patient][representative];
    }

    /// @inheritdoc IIdentityRegistry
    function lastId() external view override returns (ParticipantId) {
        return _lastId;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: writes
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

    /// @dev Hands `id` to `newController`: the old key is retired in the same step (it never binds again), and the key
    /// epoch moves on so that no consent signature for the old epoch can be used again.
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
        // Invariant: keyEpoch only grows; 2^24 key changes of one id cannot happen in the chain's life, and checked
        // arithmetic reverts rather than wraps if they did.
        (record.controller, record.keyEpoch) = (newController, epoch + 1);
        _bindings[previous] = KeyBindingLib.RETIRED;
        _bindings[newController] = _boundWord(id, kind, status, expiry);
        emit ControllerChanged(id, previous, newController, how);
    }

    /// @dev Rewrites the controller's binding word after a change to a field it copies (status, credential expiry,
    /// affiliation), so that `accountStanding` never disagrees with the record.
    function _refreshBinding(ParticipantId id, Record storage record) private {
        _bindings[record.controller] = _boundWord(id, record.kind, record.status, record.credentialExpiry);
    }

    function _setAffiliation(ParticipantId member, Record storage record, ParticipantId organization) private {
        ParticipantId previous = _affiliations[member];
        _affiliations[member] = organization;
        _refreshBinding(member, record);
        emit AffiliationChanged(member, previous, organization);
    }

    function _installGuardians(
        ParticipantId patient,
        GuardianSet storage set,
        ParticipantId[] memory ids,
        uint8 threshold,
        uint32 delay
    ) private {
        (set.threshold, set.delay) = (threshold, delay);
        set.ids = ids;
        // Every recovery opened under the old set ends with it.
        ++set.epoch;
        emit GuardiansSet(patient, ids, threshold, delay);
    }

    function _endRepresentation(ParticipantId patient, ParticipantId representative, bool resigned) private {
        if (_representatives[patient][representative] <= Time.timestamp()) {
            revert IdentityNotRepresentative(patient, representative);
        }
        delete _representatives[patient][representative];
        emit RepresentativeRemoved(patient, representative, resigned);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: reads and checks
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The bound word of `id` for its current standing (see KeyBinding: a practitioner or device without an
    /// accepted affiliation stands as `None`).
    function _boundWord(
        ParticipantId id,
        ParticipantKind kind,
        ParticipantStatus status,
        uint48 credentialExpiry
    ) private view returns (KeyBinding) {
        ParticipantId affiliation = _affiliationOf(id, kind);
        return KeyBindingLib.bound(id, kind, _standing(kind, status, affiliation), credentialExpiry, affiliation);
    }

    /// @dev The organization `id` acts for. Only practitioners and devices can have one, so only they pay for
    /// reading it: this keeps a patient's key rotation cheap and spares every other kind a storage read.
    function _affiliationOf(ParticipantId id, ParticipantKind kind) private view returns (ParticipantId) {
        return _needsAffiliation(kind) ? _affiliations[id] : ParticipantIdLib.NONE;
    }

    /// @dev The status as far as activity goes: a practitioner or device without an organization stands as `None`.
    function _standing(
        ParticipantKind kind,
        ParticipantStatus status,
        ParticipantId affiliation
    ) private pure returns (ParticipantStatus) {
        return _needsAffiliation(kind) && affiliation.isNone() ? ParticipantStatus.None : status;
    }

    function _isActiveAt(ParticipantId id, Record storage record, uint48 time) private view returns (bool) {
        ParticipantKind kind = record.kind;
        if (_standing(kind, record.status, _affiliationOf(id, kind)) != ParticipantStatus.Active) return false;
        return _unexpiredAt(record, time);
    }

    function _unexpiredAt(Record storage record, uint48 time) private view returns (bool) {
        uint48 expiry = record.credentialExpiry;
        return expiry == 0 || time < expiry;
    }

    /// @dev The caller's guardian id and its position in the patient's guardian list.
    function _guardianOfSender(
        ParticipantId patient,
        ParticipantId[] storage ids
    ) private view returns (ParticipantId guardian, uint256 position) {
        bool found;
        (guardian, position, found) = _senderGuardianPosition(ids);
        if (!found) revert IdentityNotGuardian(patient, msg.sender);
    }

    /// @dev Whether the caller's key controls an active guardian in `ids`, and which.
    function _senderGuardianPosition(
        ParticipantId[] storage ids
    ) private view returns (ParticipantId guardian, uint256 position, bool found) {
        guardian = _bindings[msg.sender].id();
        if (guardian.isNone()) return (guardian, 0, false);
        uint256 count = ids.length;
        for (position = 0; position < count; ++position) {
            if (ids[position] == guardian && isActive(guardian)) return (guardian, position, true);
        }
        return (guardian, 0, false);
    }

    /// @dev How many of the guardians are active (at most `MAX_GUARDIANS` reads).
    function _activeGuardians(ParticipantId[] storage ids) private view returns (uint256 count) {
        uint256 length = ids.length;
        for (uint256 i; i < length; ++i) if (isActive(ids[i])) ++count;
    }

    /// @dev How many of the marks in `approvals` (a bitmap over positions in `ids`: approvals, vetoes or objections)
    /// are by active guardians.
    function _activeApprovals(uint8 approvals, ParticipantId[] storage ids) private view returns (uint256 count) {
        uint256 length = ids.length;
        for (uint256 i; i < length; ++i) if (approvals & (1 << i) != 0 && isActive(ids[i])) ++count;
    }

    /// @dev The caller's objection bit on a recovery of `patient`: the patient's key's, or an active guardian's.
    function _objectionBit(ParticipantId patient, ParticipantId[] storage ids) private view returns (uint16) {
        if (_records[patient].controller == msg.sender) return _PATIENT_OBJECTION;
        (, uint256 position, bool found) = _senderGuardianPosition(ids);
        if (!found) revert IdentityNotRecoveryParty(patient, msg.sender);
        return uint16(1 << position);
    }

    function _liveRecovery(
        ParticipantId patient,
        address newController,
        uint32 epoch
    ) private view returns (Recovery memory recovery) {
        recovery = _recoveries[patient][newController];
        if (!_isLiveRecovery(recovery, epoch)) revert IdentityNoPendingRecovery(patient, newController);
    }

    function _isLiveRecovery(Recovery memory recovery, uint32 epoch) private view returns (bool) {
        return recovery.count != 0 && recovery.epoch == epoch && Time.timestamp() <= _recoveryExpiry(recovery);
    }

    function _recoveryExpiry(Recovery memory recovery) private pure returns (uint48) {
        return (recovery.readyAt == 0 ? recovery.openedAt : recovery.readyAt) + RECOVERY_WINDOW;
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
        if (!_isActiveAt(patient, record, Time.timestamp())) revert IdentityParticipantInactive(patient);
    }

    /// @dev The caller's id if its key controls an active institution: any kind a registrar registers that is
    /// neither a practitioner nor a device.
    function _activeInstitutionOfSender() private view returns (ParticipantId id) {
        KeyBinding binding = _bindings[msg.sender];
        if (!_isInstitution(binding.kind()) || !binding.isActiveAt(Time.timestamp())) {
            revert IdentityNotAnInstitution(msg.sender);
        }
        return binding.id();
    }

    function _requireValidGuardians(ParticipantId patient, ParticipantId[] memory guardians) private view {
        uint256 count = guardians.length;
        for (uint256 i = 0; i < count; ++i) {
            ParticipantId guardian = guardians[i];
            if (guardian == patient || !isActive(guardian)) revert IdentityInvalidGuardian(guardian);
            // Quadratic but bounded: at most 8 * 7 / 2 comparisons.
            for (uint256 j = 0; j < i; ++j) {
                if (guardians[j] == guardian) revert IdentityInvalidGuardian(guardian);
            }
        }
    }

    /// @dev Reverts unless `account` is a usable new key: non-zero, controlling no id and never retired from one.
    function _requireUnbound(address account) private view {
        if (account == address(0)) revert IdentityZeroAddress();
        if (_bindings[account].isBound()) revert IdentityAccountAlreadyBound(account);
    }

    /// @dev Checks that `newController` may take `id` over: unbound, and consenting by signature over the id's
    /// current key epoch (so a signature serves one change of key).
    function _requireTransferConsent(
        ParticipantId id,
        uint24 keyEpoch,
        address newController,
        uint48 deadline,
        bytes calldata signature
    ) private view {
        _requireUnbound(newController);
        _requireKeySignature(
            newController,
            deadline,
            keccak256(abi.encode(CONTROL_TRANSFER_TYPEHASH, id, newController, keyEpoch, deadline)),
            signature
        );
    }

    /// @dev Reverts unless `signature` is `account`'s EIP-712 (or ERC-1271) signature of `structHash` and `deadline`
    /// lies between now and `MAX_SIGNATURE_WINDOW` ahead.
    function _requireKeySignature(
        address account,
        uint48 deadline,
        bytes32 structHash,
        bytes calldata signature
    ) private view {
        uint48 now_ = Time.timestamp();
        uint48 latest = now_ + MAX_SIGNATURE_WINDOW;
        if (deadline < now_ || deadline > latest) revert IdentitySignatureDeadlineOutOfRange(deadline, now_, latest);
        if (!SignatureChecker.isValidSignatureNow(account, _hashTypedDataV4(structHash), signature)) {
            revert IdentityInvalidKeySignature(account);
        }
    }

    function _requireNotRevoked(ParticipantId id, ParticipantStatus status) private pure {
        if (status == ParticipantStatus.Revoked) revert IdentityParticipantRevoked(id);
    }

    function _requireValidCredential(bytes32 commitment, uint48 expiry) private view {
        if (commitment == bytes32(0)) revert IdentityZeroCommitment();
        if (expiry <= Time.timestamp()) revert IdentityCredentialExpiryInPast(expiry, Time.timestamp());
    }

    /// @dev Practitioners and devices must name an active institution; no other kind may name an affiliation.
    function _requireValidAffiliation(ParticipantKind kind, ParticipantId affiliation) private view {
        if (!_needsAffiliation(kind)) {
            if (!affiliation.isNone()) revert IdentityInvalidAffiliation(kind, affiliation);
            return;
        }
        Record storage institution = _records[affiliation];
        if (!_isInstitution(institution.kind) || !_isActiveAt(affiliation, institution, Time.timestamp())) {
            revert IdentityInvalidAffiliation(kind, affiliation);
        }
    }

    function _needsAffiliation(ParticipantKind kind) private pure returns (bool) {
        return kind == ParticipantKind.Practitioner || kind == ParticipantKind.Device;
    }

    /// @dev Institutions: every kind a registrar registers that does not act for another.
    function _isInstitution(ParticipantKind kind) private pure returns (bool) {
        return kind != ParticipantKind.None && kind != ParticipantKind.Patient && !_needsAffiliation(kind);
    }
}
