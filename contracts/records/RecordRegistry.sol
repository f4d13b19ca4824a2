// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IConsentRegistry} from "../consent/IConsentRegistry.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";
import {
    CATEGORY_COUNT,
    DEFINED_CATEGORIES,
    Decision,
    DecisionBasis,
    PURPOSE_COUNT,
    Purpose
} from "../consent/Consent.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";
import {AmendmentRequest, AmendmentStatus, BatchLeaf, RecordAnchor, RecordBatch, RecordStatus} from "./Record.sol";
import {RecordWord, RecordWordLib} from "./RecordWord.sol";

/// @title RecordRegistry
/// @notice Versioned, tamper-evident anchors of off-chain records, Merkle batches, amendment requests and the
/// record-access trail. See {IRecordRegistry}.
/// @dev Storage is keyed by the version's patient and commitment (`_key`) and by the batch's organization and root
/// (`_batchKey`). While paused, every write stops except `recordAccess` (it changes no state: the trail has no
/// holes), marking entered-in-error and withdrawing an amendment request.
contract RecordRegistry is IRecordRegistry, CareLedgerModule {
    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev One slot: 64 + 48 + 32 + 32 = 176 bits.
    struct StoredBatch {
        ParticipantId organization;
        uint48 anchoredAt;
        uint32 count;
        uint32 categories;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The most records one batch may declare: 2^20 (1,048,576). OpenZeppelin's `StandardMerkleTree` over n
    /// leaves gives proofs of at most ceil(log2 n) hashes, so every proof fits `MAX_PROOF_LENGTH`.
    uint32 public constant MAX_BATCH_RECORDS = 1 << 20;
    /// @notice The longest inclusion proof the registry checks: log2(MAX_BATCH_RECORDS) = 20 hashes (some 5,000 gas
    /// of hashing and 10,240 bytes of calldata at most; far below the 2^24 gas a transaction may use).
    uint256 public constant MAX_PROOF_LENGTH = 20;
    /// @notice The reason code of a version anchored by accepting an amendment request.
    uint16 public constant AMENDMENT_REASON = 2;

    IIdentityRegistry private immutable _IDENTITY;
    IConsentRegistry private immutable _CONSENT;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable`.
    uint64 private _amendmentCount;
    /// @dev Keyed by `_key(patient, commitment)`; the previous and next versions are commitments of the same patient.
    mapping(bytes32 key => RecordWord word) private _records;
    mapping(bytes32 key => bytes32 previousVersion) private _previous;
    mapping(bytes32 key => bytes32 nextVersion) private _next;
    mapping(bytes32 key => uint16 reasonCode) private _errorReasons;
    /// @dev Keyed by `_batchKey(organization, root)`.
    mapping(bytes32 batchKey => StoredBatch stored) private _batches;
    /// @dev Slot 1: the record's commitment; slot 2: 64 + 8 + 48 + 48 + 16 = 184 bits; slot 3: the amended version.
    mapping(uint64 requestId => AmendmentRequest stored) private _amendments;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    constructor(address authority, IIdentityRegistry identity, IConsentRegistry consent) CareLedgerModule(authority) {
        if (address(identity).code.length == 0) revert RecordInvalidDependency(address(identity));
        if (address(consent).code.length == 0) revert RecordInvalidDependency(address(consent));
        _IDENTITY = identity;
        _CONSENT = consent;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Anchoring and versions
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function anchor(
        ParticipantId patient,
        bytes32 commitment,
        uint8 category,
        bytes32 pointer
    ) external override whenNotPaused returns (DecisionBasis basis) {
        if (category >= CATEGORY_COUNT) revert RecordInvalidCategory(category);
        uint48 now_ = Time.timestamp();
        (ParticipantId author, ParticipantId organization, DecisionBasis allowedBasis) = _authorize(
            patient,
            category,
            now_
        );
        _store(patient, commitment, RecordWordLib.pack(patient, author, organization, now_, category, false));
        emit RecordAnchored(commitment, patient, author, category, allowedBasis, pointer);
        return allowedBasis;
    }

    /// @inheritdoc IRecordRegistry
    function supersede(
        ParticipantId patient,
        bytes32 previous,
        bytes32 commitment,
        bytes32 pointer,
        uint16 reasonCode
    ) external override whenNotPaused {
        _supersede(patient, previous, commitment, pointer, reasonCode, _curator(patient, previous));
    }

    /// @inheritdoc IRecordRegistry
    function registrarSupersede(
        ParticipantId patient,
        bytes32 previous,
        bytes32 commitment,
        bytes32 pointer,
        uint16 reasonCode
    ) external override restricted whenNotPaused {
        _supersede(patient, previous, commitment, pointer, reasonCode, _registrarId());
    }

    /// @inheritdoc IRecordRegistry
    function markEnteredInError(ParticipantId patient, bytes32 commitment, uint16 reasonCode) external override {
        _markEnteredInError(patient, commitment, reasonCode, _curator(patient, commitment));
    }

    /// @inheritdoc IRecordRegistry
    function registrarMarkEnteredInError(
        ParticipantId patient,
        bytes32 commitment,
        uint16 reasonCode
    ) external override restricted {
        _markEnteredInError(patient, commitment, reasonCode, _registrarId());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Batches
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function anchorBatch(
        bytes32 root,
        uint32 count,
        uint32 categories,
        bytes32 pointer
    ) external override whenNotPaused {
        if (root == bytes32(0)) revert RecordInvalidCommitment();
        if (count == 0 || count > MAX_BATCH_RECORDS || categories == 0 || categories & ~DEFINED_CATEGORIES != 0) {
            revert RecordInvalidBatch(count, categories);
        }
        (ParticipantId organization, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (kind != ParticipantKind.Organization || !active) revert RecordNotAnOrganization(msg.sender);
        StoredBatch storage stored = _batches[_batchKey(organization, root)];
        if (!stored.organization.isNone()) revert RecordBatchExists(organization, root);
        (stored.organization, stored.anchoredAt, stored.count, stored.categories) = (
            organization,
            Time.timestamp(),
            count,
            categories
        );
        emit RecordBatchAnchored(root, organization, count, categories, pointer);
    }

    /// @inheritdoc IRecordRegistry
    function adopt(
        ParticipantId organization,
        bytes32 root,
        BatchLeaf calldata leaf,
        bytes32[] calldata proof
    ) external override whenNotPaused {
        StoredBatch memory stored = _batches[_batchKey(organization, root)];
        if (stored.organization.isNone()) revert RecordUnknownBatch(organization, root);
        if (!_inBatchCategories(stored, leaf.category)) revert RecordCategoryNotInBatch(root, leaf.category);
        // The same decision as an anchor: adoption puts the record on the patient's chart.
        (ParticipantId author, ParticipantId authorOrganization, DecisionBasis basis) = _authorize(
            leaf.patient,
            leaf.category,
            Time.timestamp()
        );
        if (authorOrganization != organization) revert RecordNotBatchOrganization(organization, root, msg.sender);
        if (!_proves(root, organization, leaf, proof)) revert RecordNotInBatch(root, leaf.commitment);
        _store(
            leaf.patient,
            leaf.commitment,
            RecordWordLib.pack(leaf.patient, author, organization, stored.anchoredAt, leaf.category, true)
        );
        emit RecordAdopted(leaf.commitment, root, leaf.patient, organization, author, leaf.category, basis);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Access trail
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function recordAccess(
        ParticipantId patient,
        bytes32 commitment,
        uint8 purpose
    ) external override returns (Decision memory decision) {
        RecordWord word = _existing(patient, commitment);
        if (purpose >= PURPOSE_COUNT) revert RecordInvalidPurpose(purpose);
        decision = _CONSENT.decide(patient, msg.sender, word.category(), purpose, Time.timestamp());
        if (decision.basis == DecisionBasis.UnknownAccessor || decision.basis == DecisionBasis.InactiveAccessor) {
            revert RecordAccessorInactive(msg.sender);
        }
        if (decision.allowed) {
            emit RecordAccessGranted(
                commitment,
                patient,
                decision.accessor,
                decision.grantee,
                purpose,
                decision.basis,
                decision.ref
            );
        } else {
            emit RecordAccessDenied(commitment, patient, decision.accessor, decision.grantee, purpose, decision.basis);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Amendments
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IRecordRegistry
    function requestAmendment(
        ParticipantId patient,
        bytes32 record,
        bytes32 requestCommitment
    ) external override whenNotPaused returns (uint64 requestId) {
        RecordStatus status = _existing(patient, record).status();
        if (status != RecordStatus.Current) revert RecordNotCurrent(record, status);
        ParticipantId actor = _patientActor(patient);
        requestId = ++_amendmentCount;
        AmendmentRequest storage stored = _amendments[requestId];
        (stored.record, stored.patient, stored.status, stored.requestedAt) = (
            record,
            patient,
            AmendmentStatus.Pending,
            Time.timestamp()
        );
        emit AmendmentRequested(requestId, record, patient, actor, requestCommitment);
    }

    /// @inheritdoc IRecordRegistry
    function acceptAmendment(
        uint64 requestId,
        bytes32 amendedVersion,
        bytes32 pointer
    ) external override whenNotPaused {
        AmendmentRequest storage stored = _moveAmendment(requestId, AmendmentStatus.Accepted);
        _acceptAmendment(stored, requestId, amendedVersion, pointer, _curator(stored.patient, stored.record));
    }

    /// @inheritdoc IRecordRegistry
    function registrarAcceptAmendment(
        uint64 requestId,
        bytes32 amendedVersion,
        bytes32 pointer
    ) external override restricted whenNotPaused {
        _acceptAmendment(
            _moveAmendment(requestId, AmendmentStatus.Accepted),
            requestId,
            amendedVersion,
            pointer,
            _registrarId()
        );
    }

    /// @inheritdoc IRecordRegistry
    function denyAmendment(
        uint64 requestId,
        uint16 reasonCode,
        bytes32 responseCommitment
    ) external override whenNotPaused {
        if (reasonCode == 0) revert RecordReasonRequired();
        AmendmentRequest storage stored = _moveAmendment(requestId, AmendmentStatus.Denied);
        _curator(stored.patient, stored.record);
        _denyAmendment(stored, requestId, reasonCode, responseCommitment);
    }

    /// @inheritdoc IRecordRegistry
    function registrarDenyAmendment(
        uint64 requestId,
        uint16 reasonCode,
        bytes32 responseCommitment
    ) external override restricted whenNotPaused {
        if (reasonCode == 0) revert RecordReasonRequired();
        _denyAmendment(_moveAmendment(requestId, AmendmentStatus.Denied), requestId, reasonCode, responseCommitment);
    }

    /// @inheritdoc IRecordRegistry
    function withdrawAmendment(uint64 requestId) external override {
        AmendmentRequest storage stored = _moveAmendment(requestId, AmendmentStatus.Withdrawn);
        _patientActor(stored.patient);
        emit AmendmentWithdrawn(requestId, stored.record);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The registry's semantic version. 1.1.0: reads the consent registry's flat `decideWithStanding`
    /// (ConsentRegistry 1.1.0).
    function version() external pure override returns (string memory) {
        return "1.1.0";
    }

    /// @inheritdoc IRecordRegistry
    function verify(ParticipantId patient, bytes32 commitment) external view override returns (RecordAnchor memory) {
        bytes32 key = _key(patient, commitment);
        RecordWord word = _records[key];
        return
            RecordAnchor({
                status: word.status(),
                patient: word.patient(),
                author: word.author(),
                organization: word.organization(),
                category: word.category(),
                anchoredAt: word.anchoredAt(),
                fromBatch: word.fromBatch(),
                previous: _previous[key],
                next: _next[key],
                errorReason: _errorReasons[key]
            });
    }

    /// @inheritdoc IRecordRegistry
    function history(
        ParticipantId patient,
        bytes32 commitment
    ) external view override returns (bytes32[] memory versions) {
        _existing(patient, commitment);
        bytes32 first = commitment;
        uint256 count = 1;
        for (bytes32 previous = _previous[_key(patient, first)]; previous != bytes32(0);) {
            first = previous;
            ++count;
            previous = _previous[_key(patient, first)];
        }
        for (bytes32 next = _next[_key(patient, commitment)]; next != bytes32(0); next = _next[_key(patient, next)]) {
            ++count;
        }
        versions = new bytes32[](count);
        bytes32 current = first;
        for (uint256 i = 0; i < count; ++i) {
            versions[i] = current;
            current = _next[_key(patient, current)];
        }
    }

    /// @inheritdoc IRecordRegistry
    function latestVersion(ParticipantId patient, bytes32 commitment) external view override returns (bytes32 latest) {
        _existing(patient, commitment);
        latest = commitment;
        for (bytes32 next = _next[_key(patient, latest)]; next != bytes32(0); next = _next[_key(patient, latest)]) {
            latest = next;
        }
    }

    /// @inheritdoc IRecordRegistry
    function batch(ParticipantId organization, bytes32 root) external view override returns (RecordBatch memory) {
        StoredBatch memory stored = _batches[_batchKey(organization, root)];
        return RecordBatch(stored.organization, stored.anchoredAt, stored.count, stored.categories);
    }

    /// @inheritdoc IRecordRegistry
    function verifyInclusion(
        ParticipantId organization,
        bytes32 root,
        BatchLeaf calldata leaf,
        bytes32[] calldata proof
    ) external view override returns (bool) {
        StoredBatch memory stored = _batches[_batchKey(organization, root)];
        return
            !stored.organization.isNone() &&
            _inBatchCategories(stored, leaf.category) &&
            _proves(root, organization, leaf, proof);
    }

    /// @inheritdoc IRecordRegistry
    function amendment(uint64 requestId) external view override returns (AmendmentRequest memory) {
        AmendmentRequest storage stored = _amendments[requestId];
        if (stored.status == AmendmentStatus.None) revert RecordUnknownAmendment(requestId);
        return stored;
    }

    /// @inheritdoc IRecordRegistry
    function amendmentCount() external view override returns (uint64) {
        return _amendmentCount;
    }

    /// @inheritdoc IRecordRegistry
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @inheritdoc IRecordRegistry
    function consentRegistry() external view override returns (IConsentRegistry) {
        return _CONSENT;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Who may anchor a first version of `patient`'s record in `category`, and on what basis: one consent call,
    /// which reads the author's standing too. An active practitioner, organization or device needs a decision that
    /// allows the category for treatment or, failing that, for emergency treatment (a break-glass session, or a grant
    /// for emergencies only); an active patient is allowed only as the patient (`Self`) or a representative.
    function _authorize(
        ParticipantId patient,
        uint8 category,
        uint48 now_
    ) private view returns (ParticipantId author, ParticipantId organization, DecisionBasis basis) {
        bool allowed;
        ParticipantKind kind;
        ParticipantId affiliation;
        (allowed, basis, author, kind, affiliation) = _CONSENT.decideWithStanding(
            patient,
            msg.sender,
            category,
            uint8(Purpose.Treatment),
            now_
        );
        if (
            basis == DecisionBasis.UnknownAccessor ||
            basis == DecisionBasis.InactiveAccessor ||
            (kind != ParticipantKind.Practitioner &&
                kind != ParticipantKind.Organization &&
                kind != ParticipantKind.Device &&
                kind != ParticipantKind.Patient)
        ) revert RecordInvalidAuthor(msg.sender);
        if (!allowed) {
            Decision memory emergency = _CONSENT.decide(
                patient,
                msg.sender,
                category,
                uint8(Purpose.EmergencyTreatment),
                now_
            );
            if (!emergency.allowed) revert RecordAnchorNotPermitted(patient, author, category, basis);
            basis = emergency.basis;
        }
        // A patient's decision is Self or Representative (grants never name patients; break-glass is for
        // practitioners). What a representative writes is the patient's own data: no organization curates it, even
        // when the representative is a practitioner with one.
        if (basis == DecisionBasis.Representative) return (author, ParticipantIdLib.NONE, basis);
        return (author, kind == ParticipantKind.Organization ? author : affiliation, basis);
    }

    /// @dev Stores a new version's word under a fresh, non-zero commitment of the patient.
    function _store(ParticipantId patient, bytes32 commitment, RecordWord word) private {
        if (commitment == bytes32(0)) revert RecordInvalidCommitment();
        bytes32 key = _key(patient, commitment);
        if (_records[key].status() != RecordStatus.None) revert RecordAlreadyAnchored(patient, commitment);
        _records[key] = word;
    }

    function _supersede(
        ParticipantId patient,
        bytes32 previous,
        bytes32 commitment,
        bytes32 pointer,
        uint16 reasonCode,
        ParticipantId author
    ) private {
        RecordWord old = _transition(patient, previous, RecordStatus.Superseded);
        _store(
            patient,
            commitment,
            RecordWordLib.pack(patient, author, old.organization(), Time.timestamp(), old.category(), false)
        );
        _previous[_key(patient, commitment)] = previous;
        _next[_key(patient, previous)] = commitment;
        emit RecordSuperseded(previous, commitment, patient, author, reasonCode, pointer);
    }

    function _acceptAmendment(
        AmendmentRequest storage stored,
        uint64 requestId,
        bytes32 amendedVersion,
        bytes32 pointer,
        ParticipantId author
    ) private {
        bytes32 record = stored.record;
        stored.amendedVersion = amendedVersion;
        _supersede(stored.patient, record, amendedVersion, pointer, AMENDMENT_REASON, author);
        emit AmendmentAccepted(requestId, record, amendedVersion);
    }

    function _denyAmendment(
        AmendmentRequest storage stored,
        uint64 requestId,
        uint16 reasonCode,
        bytes32 responseCommitment
    ) private {
        stored.denialReason = reasonCode;
        emit AmendmentDenied(requestId, stored.record, reasonCode, responseCommitment);
    }

    function _markEnteredInError(
        ParticipantId patient,
        bytes32 commitment,
        uint16 reasonCode,
        ParticipantId actor
    ) private {
        if (reasonCode == 0) revert RecordReasonRequired();
        _transition(patient, commitment, RecordStatus.EnteredInError);
        _errorReasons[_key(patient, commitment)] = reasonCode;
        emit RecordEnteredInError(commitment, patient, actor, reasonCode);
    }

    /// @dev The one transition function of a version's status: only `Current` moves, to `Superseded` or
    /// `EnteredInError`. Returns the word as it was.
    function _transition(ParticipantId patient, bytes32 commitment, RecordStatus to) private returns (RecordWord word) {
        bytes32 key = _key(patient, commitment);
        word = _records[key];
        RecordStatus from = word.status();
        if (from == RecordStatus.None) revert RecordUnknown(patient, commitment);
        if (from != RecordStatus.Current) revert RecordInvalidTransition(commitment, from, to);
        _records[key] = word.withStatus(to);
    }

    /// @dev The one transition function of an amendment request: only `Pending` moves, to an answer or a withdrawal.
    function _moveAmendment(uint64 requestId, AmendmentStatus to) private returns (AmendmentRequest storage stored) {
        stored = _amendments[requestId];
        AmendmentStatus from = stored.status;
        if (from == AmendmentStatus.None) revert RecordUnknownAmendment(requestId);
        if (from != AmendmentStatus.Pending) revert RecordInvalidAmendmentTransition(requestId, from, to);
        stored.status = to;
        if (to != AmendmentStatus.Withdrawn) stored.answeredAt = Time.timestamp();
    }

    /// @dev The caller's id if it is an active curator of the patient's version: the organization the record was
    /// anchored under, or the version's author while still affiliated with it; for patient-generated data (no
    /// organization), the patient or a current representative. Reverts otherwise (and for an unknown version).
    function _curator(ParticipantId patient, bytes32 commitment) private view returns (ParticipantId id) {
        RecordWord word = _existing(patient, commitment);
        (ParticipantId caller, ParticipantKind kind, ParticipantId affiliation, bool active) = _IDENTITY
            .accountStanding(msg.sender, Time.timestamp());
        ParticipantId organization = word.organization();
        bool curates;
        if (!active) curates = false;
        else if (organization.isNone()) {
            // Patient-generated data is the patient's: whoever anchored it, she and her current representatives
            // curate it, and a representative she revoked does not.
            curates =
                (caller == patient && kind == ParticipantKind.Patient) || _IDENTITY.isRepresentative(patient, caller);
        } else {
            curates = caller == organization || (caller == word.author() && affiliation == organization);
        }
        if (!curates) revert RecordNotCurator(commitment, msg.sender);
        return caller;
    }

    /// @dev A registrar acts through the AccessManager role; it is named by its participant id if it has one.
    function _registrarId() private view returns (ParticipantId id) {
        (id, , , ) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
    }

    /// @dev The caller's id if it is `patient`'s active key or an active representative's.
    function _patientActor(ParticipantId patient) private view returns (ParticipantId id) {
        ParticipantKind kind;
        bool active;
        (id, kind, , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (active && ((id == patient && kind == ParticipantKind.Patient) || _IDENTITY.isRepresentative(patient, id))) {
            return id;
        }
        revert RecordUnauthorizedPatientActor(patient, msg.sender);
    }

    /// @dev The patient's version under `commitment`; reverts if there is none.
    function _existing(ParticipantId patient, bytes32 commitment) private view returns (RecordWord word) {
        word = _records[_key(patient, commitment)];
        if (word.status() == RecordStatus.None) revert RecordUnknown(patient, commitment);
    }

    /// @dev Where a patient's version lives: each patient's commitments are a namespace of their own.
    function _key(ParticipantId patient, bytes32 commitment) private pure returns (bytes32) {
        return keccak256(abi.encode(patient, commitment));
    }

    /// @dev Where an organization's batch lives: each organization's roots are a namespace of their own.
    function _batchKey(ParticipantId organization, bytes32 root) private pure returns (bytes32) {
        return keccak256(abi.encode(organization, root));
    }

    /// @dev Whether `category` is defined and one of the batch's declared categories.
    function _inBatchCategories(StoredBatch memory stored, uint8 category) private pure returns (bool) {
        return category < CATEGORY_COUNT && stored.categories & (uint32(1) << category) != 0;
    }

    /// @dev Whether `proof`, at most `MAX_PROOF_LENGTH` hashes, shows `leaf` under `root`.
    function _proves(
        bytes32 root,
        ParticipantId organization,
        BatchLeaf calldata leaf,
        bytes32[] calldata proof
    ) private pure returns (bool) {
        return
            proof.length <= MAX_PROOF_LENGTH && MerkleProof.verifyCalldata(proof, root, _leafHash(organization, leaf));
    }

    /// @dev The double-hashed leaf of OpenZeppelin's `StandardMerkleTree` for `(bytes32, uint64, uint8, uint64)`:
    /// the leaf's values and the organization whose batch it is in. Binding the organization into every leaf is what
    /// keeps a rival that copies a root from adopting its records as its own: its copy's leaves name the first
    /// organization.
    function _leafHash(ParticipantId organization, BatchLeaf calldata leaf) private pure returns (bytes32) {
        return
            keccak256(bytes.concat(keccak256(abi.encode(leaf.commitment, leaf.patient, leaf.category, organization))));
    }
}
