// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {IConsentRegistry} from "../consent/IConsentRegistry.sol";
import {DEFINED_CATEGORIES, DecisionBasis, Purpose} from "../consent/Consent.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";
import {ITrialProtocol} from "./ITrialProtocol.sol";
import {ITrialRegistry} from "./ITrialRegistry.sol";
import {TrialProtocol} from "./TrialProtocol.sol";
import {
    AllocationAudit,
    ArmDisclosure,
    ConsentSignature,
    DataBatch,
    Site,
    SiteStatus,
    Subject,
    SubjectStatus,
    Trial,
    TrialRegistration,
    TrialState,
    TrialStatus
} from "./Trial.sol";

/// @title TrialRegistry
/// @notice Clinical trials: registration, amendments, sites, consent-gated enrollment, concealed randomization, data,
/// lock and results. See {ITrialRegistry}.
contract TrialRegistry is ITrialRegistry, EIP712, CareLedgerModule {
    using ParticipantIdLib for ParticipantId;

    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Slot 0, what enrollment reads and writes (the first enrollment sets `firstEnrolledAt`): 64 + 8 + 8 + 16 +
    /// 16 + 32 + 32 + 8 + 24 + 48 = 256 bits.
    /// Slot 1: three 48-bit times, a reason code and the randomization and data counters (48 × 3 + 16 + 32 × 3 = 256
    /// bits). Slot 2: three ids and the site count (208 bits). Then one slot per commitment.
    struct StoredTrial {
        ParticipantId sponsor;
        TrialStatus status;
        uint8 flags;
        uint16 consentVersion;
        uint16 majorConsentVersion;
        uint32 categories;
        uint32 enrolled;
        uint8 strata;
        uint24 perStratum;
        uint48 firstEnrolledAt;
        uint48 registeredAt;
        uint48 lockedAt;
        uint48 unblindedAt;
        uint16 unlockReason;
        uint32 revealed;
        uint32 disclosed;
        uint32 batches;
        ParticipantId ethicsCommittee;
        ParticipantId regulator;
        ParticipantId randomizer;
        uint16 sites;
        bytes32 consentForm;
        bytes32 allocationRoot;
        bytes32 datasetRoot;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants and immutables
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The most sites a trial has.
    uint16 public constant MAX_SITES = 1000;
    /// @notice The most participants one data batch names: one storage read apiece.
    uint256 public constant MAX_BATCH_SUBJECTS = 256;
    /// @notice The most entries one data batch's tree holds: 2^24, so a proof has at most 24 hashes.
    uint32 public constant MAX_BATCH_ENTRIES = 1 << 24;
    /// @notice The most arms one `discloseArms` opens: one storage read and write apiece.
    uint256 public constant MAX_DISCLOSURES = 256;
    /// @notice The longest Merkle proof checked.
    uint256 public constant MAX_PROOF_LENGTH = 32;
    /// @notice The furthest a planned primary completion date may lie ahead: 20 years.
    uint48 public constant MAX_COMPLETION_HORIZON = 20 * 365 days;
    /// @notice Registration is due within 21 days of the first enrollment (42 CFR 11.24(a)).
    uint48 public constant REGISTRATION_WINDOW = 21 days;
    /// @dev The EIP-712 type hash of a consent signature, its type string hashed at compile time.
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "TrialConsent(uint64 trial,uint64 patient,uint16 site,uint16 version,bytes32 document,uint32 nonce,"
        "uint48 deadline)"
    );

    /// @dev What the dataset-root slot holds while the database is unlocked: a nonzero placeholder (as OpenZeppelin's
    /// ReentrancyGuard keeps its status slot nonzero), written at registration, so that locking rewrites a nonzero slot
    /// (2,900 gas) rather than filling an empty one (20,000). No Merkle root is 1.
    bytes32 private constant _NO_ROOT = bytes32(uint256(1));
    uint8 private constant _EVER_LOCKED = 1;
    uint8 private constant _UNLOCK_REQUESTED = 2;
    /// @dev Allocation indices (24 bits each) packed ten to a word (240 bits). Committing a sequence sets the word's
    /// top bit, so that no enrollment fills an empty slot: the first of a stratum costs what the next ones do.
    uint256 private constant _INDICES_PER_WORD = 10;
    uint256 private constant _WORD_MARK = 1 << 255;

    IIdentityRegistry private immutable _IDENTITY;
    IConsentRegistry private immutable _CONSENT;
    ITrialProtocol private immutable _PROTOCOL;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable`.
    uint64 private _trialCount;
    mapping(uint64 trialId => StoredTrial stored) private _trials;
    mapping(uint64 trialId => mapping(uint16 site => Site stored)) private _sites;
    mapping(uint64 trialId => mapping(ParticipantId patient => Subject stored)) private _subjects;
    /// @dev The next allocation index of each stratum, `_INDICES_PER_WORD` to a word.
    mapping(uint64 trialId => mapping(uint256 word => uint256 indices)) private _nextIndex;
    mapping(uint64 trialId => mapping(uint32 batchId => DataBatch stored)) private _batches;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    /// @param consent The consent registry, asked at enrollment; its identity registry is the one read here.
    constructor(
        address authority,
        IConsentRegistry consent
    ) EIP712("CareLedger Trials", "1") CareLedgerModule(authority) {
        if (address(consent).code.length == 0) revert TrialInvalidDependency(address(consent));
        _CONSENT = consent;
        _IDENTITY = consent.identityRegistry();
        _PROTOCOL = new TrialProtocol(authority, _IDENTITY);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Registration
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function registerTrial(
        TrialRegistration calldata registration
    ) external override whenNotPaused returns (uint64 trialId) {
        ParticipantId sponsor = _IDENTITY.activeIdOf(msg.sender, ParticipantKind.ResearchSponsor);
        if (sponsor.isNone()) revert TrialNotResearchSponsor(msg.sender);
        _checkRegistration(registration);
        trialId = ++_trialCount;
        StoredTrial storage t = _trials[trialId];
        t.sponsor = sponsor;
        t.status = TrialStatus.Active;
        t.consentVersion = 1;
        t.majorConsentVersion = 1;
        t.categories = registration.categories;
        t.registeredAt = Time.timestamp();
        t.firstEnrolledAt = registration.firstEnrolledAt;
        t.ethicsCommittee = registration.ethicsCommittee;
        t.regulator = registration.regulator;
        t.randomizer = registration.randomizer;
        t.consentForm = registration.consentForm;
        t.datasetRoot = _NO_ROOT;
        _PROTOCOL.specify(
            trialId,
            registration.protocol,
            registration.analysisPlan,
            registration.outcomes,
            registration.primaryCompletion
        );
        _emitRegistered(trialId, t, registration);
    }

    /// @inheritdoc ITrialRegistry
    function recordConsentForm(
        uint64 trialId,
        bytes32 consentForm,
        bool major
    ) external override returns (uint16 consentVersion) {
        if (msg.sender != address(_PROTOCOL)) revert TrialNotProtocol(msg.sender);
        StoredTrial storage t = _trialOf(trialId);
        t.consentForm = consentForm;
        consentVersion = ++t.consentVersion;
        if (major) t.majorConsentVersion = consentVersion;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Sites
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function proposeSite(
        uint64 trialId,
        ParticipantId organization,
        ParticipantId investigator
    ) external override whenNotPaused returns (uint16 siteNumber) {
        StoredTrial storage t = _sponsorTrial(trialId);
        _requireUnlocked(trialId, t);
        (ParticipantKind orgKind, , bool orgActive) = _IDENTITY.standingOf(organization);
        (ParticipantKind piKind, ParticipantId affiliation, bool piActive) = _IDENTITY.standingOf(investigator);
        // A site is neither the trial's ethics committee nor its randomization service: no body oversees or randomizes
        // its own enrollments.
        if (
            orgKind != ParticipantKind.Organization ||
            !orgActive ||
            piKind != ParticipantKind.Practitioner ||
            !piActive ||
            affiliation != organization ||
            organization == t.ethicsCommittee ||
            organization == t.randomizer ||
            organization == _organizationOf(t.randomizer)
        ) revert TrialInvalidSite(organization, investigator);
        if (t.sites == MAX_SITES) revert TrialTooManySites(trialId);
        siteNumber = ++t.sites;
        _sites[trialId][siteNumber] = Site(organization, investigator, SiteStatus.Proposed);
        emit SiteProposed(trialId, siteNumber, organization, investigator);
    }

    /// @inheritdoc ITrialRegistry
    function activateSite(uint64 trialId, uint16 siteNumber) external override whenNotPaused {
        StoredTrial storage t = _trialOf(trialId);
        ParticipantId actor = _requireParty(trialId, t.ethicsCommittee, false);
        _requireUnlocked(trialId, t);
        _transitionSite(trialId, siteNumber, SiteStatus.Active, actor, 0);
    }

    /// @inheritdoc ITrialRegistry
    function suspendSite(uint64 trialId, uint16 siteNumber, uint16 reasonCode) external override {
        _transitionSite(trialId, siteNumber, SiteStatus.Suspended, _siteOverseer(trialId), reasonCode);
    }

    /// @inheritdoc ITrialRegistry
    function closeSite(uint64 trialId, uint16 siteNumber, uint16 reasonCode) external override {
        _transitionSite(trialId, siteNumber, SiteStatus.Closed, _siteOverseer(trialId), reasonCode);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Randomization
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function commitAllocation(
        uint64 trialId,
        bytes32 root,
        uint8 strata,
        uint24 perStratum
    ) external override whenNotPaused {
        StoredTrial storage t = _sponsorTrial(trialId);
        _requireUnlocked(trialId, t);
        if (t.enrolled != 0) revert TrialAllocationFrozen(trialId, t.enrolled);
        if (root == bytes32(0)) revert TrialZeroCommitment();
        if (strata == 0 || perStratum == 0) revert TrialInvalidAllocation(strata, perStratum);
        t.allocationRoot = root;
        t.strata = strata;
        t.perStratum = perStratum;
        for (uint256 word; word * _INDICES_PER_WORD < strata; ++word) _nextIndex[trialId][word] = _WORD_MARK;
        emit AllocationCommitted(trialId, root, strata, perStratum);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Enrollment and consent
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function enroll(
        uint64 trialId,
        uint16 siteNumber,
        ParticipantId patient,
        uint8 stratum,
        ConsentSignature calldata consent
    ) external override whenNotPaused {
        StoredTrial storage t = _trialOf(trialId);
        _requireUnlocked(trialId, t);
        if (t.strata == 0) revert TrialNoAllocation(trialId);
        Site storage s = _sites[trialId][siteNumber];
        if (s.status != SiteStatus.Active) revert TrialSiteNotActive(trialId, siteNumber, s.status);
        _requireInvestigator(trialId, siteNumber, s);
        if (stratum >= t.strata) revert TrialInvalidStratum(trialId, stratum, t.strata);
        Subject storage subj = _subjects[trialId][patient];
        if (subj.status != SubjectStatus.None) revert TrialAlreadyEnrolled(trialId, patient, subj.status);
        uint24 index = _takeIndex(trialId, stratum, t.perStratum);
        uint32 nonce = subj.nonce;
        _checkConsent(trialId, patient, siteNumber, nonce, t.consentVersion, consent);
        _requireResearchConsent(trialId, patient, t.sponsor, t.categories);
        _transitionSubject(trialId, patient, subj, SubjectStatus.Enrolled);
        (subj.site, subj.stratum, subj.allocationIndex) = (siteNumber, stratum, index);
        (subj.consentedVersion, subj.nonce, subj.enrolledAt) = (consent.version, nonce + 1, Time.timestamp());
        if (t.enrolled == 0 && t.firstEnrolledAt == 0) t.firstEnrolledAt = Time.timestamp();
        ++t.enrolled;
        emit ConsentSigned(trialId, patient, consent.signer, consent.version, consent.document);
        emit ParticipantEnrolled(trialId, patient, siteNumber, stratum, index);
    }

    /// @inheritdoc ITrialRegistry
    function reconsent(
        uint64 trialId,
        ParticipantId patient,
        ConsentSignature calldata consent
    ) external override whenNotPaused {
        StoredTrial storage t = _trialOf(trialId);
        _requireUnlocked(trialId, t);
        Subject storage subj = _enrolled(trialId, patient);
        if (subj.consentedVersion == t.consentVersion) {
            revert TrialAlreadyConsented(trialId, patient, subj.consentedVersion);
        }
        uint32 nonce = subj.nonce;
        _checkConsent(trialId, patient, subj.site, nonce, t.consentVersion, consent);
        (subj.consentedVersion, subj.nonce) = (consent.version, nonce + 1);
        emit ConsentSigned(trialId, patient, consent.signer, consent.version, consent.document);
    }

    /// @inheritdoc ITrialRegistry
    function withdraw(uint64 trialId, ParticipantId patient, uint16 reasonCode) external override {
        _trialOf(trialId);
        Subject storage subj = _enrolled(trialId, patient);
        ParticipantId actor = _patientActor(patient, msg.sender);
        if (actor.isNone()) {
            Site storage s = _sites[trialId][subj.site];
            if (!_isInvestigator(s)) revert TrialNotWithdrawer(trialId, patient, msg.sender);
            actor = s.investigator;
        }
        _transitionSubject(trialId, patient, subj, SubjectStatus.Withdrawn);
        emit ParticipantWithdrawn(trialId, patient, actor, reasonCode);
    }

    /// @inheritdoc ITrialRegistry
    function increaseNonce(uint64 trialId, ParticipantId patient) external override {
        _trialOf(trialId);
        if (_patientActor(patient, msg.sender).isNone()) revert TrialNotPatientActor(patient, msg.sender);
        Subject storage subj = _subjects[trialId][patient];
        uint32 nonce = subj.nonce + 1;
        subj.nonce = nonce;
        emit ConsentNonceIncreased(trialId, patient, nonce);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Allocation reveal, disclosure and emergency unblinding
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function reveal(
        uint64 trialId,
        ParticipantId patient,
        bytes32 armCommitment,
        bytes32[] calldata proof
    ) external override whenNotPaused {
        StoredTrial storage t = _trialOf(trialId);
        _requireParty(trialId, t.randomizer, true);
        Subject storage subj = _subjects[trialId][patient];
        if (subj.status == SubjectStatus.None) revert TrialSubjectNotEnrolled(trialId, patient, SubjectStatus.None);
        if (subj.revealed) revert TrialAlreadyRevealed(trialId, patient);
        if (proof.length > MAX_PROOF_LENGTH) revert TrialProofTooLong(proof.length);
        (uint8 stratum, uint24 index) = (subj.stratum, subj.allocationIndex);
        if (armCommitment == bytes32(0) || !_inSequence(trialId, t, stratum, index, armCommitment, proof)) {
            revert TrialAllocationMismatch(trialId, patient, stratum, index);
        }
        subj.revealed = true;
        ++t.revealed;
        emit AllocationRevealed(trialId, patient, stratum, index, armCommitment);
    }

    /// @inheritdoc ITrialRegistry
    function discloseArms(uint64 trialId, ArmDisclosure[] calldata disclosures) external override whenNotPaused {
        StoredTrial storage t = _trialOf(trialId);
        _requireParty(trialId, t.randomizer, true);
        uint256 n = disclosures.length;
        if (n == 0 || n > MAX_DISCLOSURES) revert TrialInvalidLength(n, MAX_DISCLOSURES);
        for (uint256 i; i < n; ++i) _disclose(trialId, t, disclosures[i]);
        // Checked: at most `enrolled` (a uint32) allocations are ever revealed, and each is disclosed once.
        t.disclosed += uint32(n);
        if (t.unblindedAt == 0) t.unblindedAt = Time.timestamp();
    }

    /// @inheritdoc ITrialRegistry
    function unblind(uint64 trialId, ParticipantId patient, uint16 reasonCode) external override {
        _trialOf(trialId);
        Subject storage subj = _subjects[trialId][patient];
        if (subj.status == SubjectStatus.None) revert TrialSubjectNotEnrolled(trialId, patient, SubjectStatus.None);
        Site storage s = _sites[trialId][subj.site];
        if (!_isInvestigator(s)) revert TrialNotInvestigator(trialId, subj.site, msg.sender);
        if (reasonCode == 0) revert TrialReasonRequired();
        // Not conditioned on the reveal: an emergency does not wait for the randomization service (nor for a pause).
        subj.emergencyUnblinded = true;
        emit EmergencyUnblinded(trialId, patient, s.investigator, reasonCode);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Data, lock and results
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function anchorData(
        uint64 trialId,
        uint16 siteNumber,
        bytes32 root,
        uint32 count,
        ParticipantId[] calldata subjects
    ) external override whenNotPaused returns (uint32 batchId) {
        StoredTrial storage t = _trialOf(trialId);
        _requireUnlocked(trialId, t);
        Site storage s = _sites[trialId][siteNumber];
        if (s.status != SiteStatus.Active && s.status != SiteStatus.Suspended) {
            revert TrialSiteNotActive(trialId, siteNumber, s.status);
        }
        _requireInvestigator(trialId, siteNumber, s);
        if (root == bytes32(0)) revert TrialZeroCommitment();
        if (count == 0 || count > MAX_BATCH_ENTRIES) revert TrialInvalidBatchCount(count);
        uint256 n = subjects.length;
        if (n == 0 || n > MAX_BATCH_SUBJECTS) revert TrialInvalidLength(n, MAX_BATCH_SUBJECTS);
        uint16 major = t.majorConsentVersion;
        for (uint256 i; i < n; ++i) {
            if (i != 0 && ParticipantId.unwrap(subjects[i]) <= ParticipantId.unwrap(subjects[i - 1])) {
                revert TrialSubjectsNotAscending(subjects[i - 1], subjects[i]);
            }
            Subject storage subj = _enrolled(trialId, subjects[i]);
            if (subj.site != siteNumber) revert TrialSubjectNotAtSite(trialId, subjects[i], siteNumber);
            if (subj.consentedVersion < major) {
                revert TrialReconsentRequired(trialId, subjects[i], subj.consentedVersion, major);
            }
        }
        batchId = ++t.batches;
        _batches[trialId][batchId] = DataBatch(root, siteNumber, count, Time.timestamp());
        emit DataAnchored(trialId, batchId, siteNumber, root, count, subjects);
    }

    /// @inheritdoc ITrialRegistry
    function lock(uint64 trialId, bytes32 datasetRoot) external override whenNotPaused {
        StoredTrial storage t = _sponsorTrial(trialId);
        if (datasetRoot == bytes32(0) || datasetRoot == _NO_ROOT) revert TrialZeroCommitment();
        _transition(trialId, t, TrialStatus.Locked);
        t.lockedAt = Time.timestamp();
        t.flags |= _EVER_LOCKED;
        t.datasetRoot = datasetRoot;
        emit DatabaseLocked(trialId, datasetRoot);
    }

    /// @inheritdoc ITrialRegistry
    function requestUnlock(uint64 trialId, uint16 reasonCode) external override whenNotPaused {
        StoredTrial storage t = _sponsorTrial(trialId);
        ParticipantId sponsor = t.sponsor;
        if (t.status != TrialStatus.Locked) revert TrialDatabaseNotLocked(trialId);
        if (reasonCode == 0) revert TrialReasonRequired();
        t.flags |= _UNLOCK_REQUESTED;
        t.unlockReason = reasonCode;
        emit UnlockRequested(trialId, sponsor, reasonCode);
    }

    /// @inheritdoc ITrialRegistry
    function approveUnlock(uint64 trialId) external override whenNotPaused {
        StoredTrial storage t = _trialOf(trialId);
        ParticipantId approver = _oversight(trialId, t);
        if (t.flags & _UNLOCK_REQUESTED == 0) revert TrialNoUnlockRequest(trialId);
        _transition(trialId, t, TrialStatus.Active);
        uint16 reasonCode = t.unlockReason;
        t.flags &= ~_UNLOCK_REQUESTED;
        (t.lockedAt, t.unlockReason, t.datasetRoot) = (0, 0, _NO_ROOT);
        emit DatabaseUnlocked(trialId, approver, reasonCode);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ITrialRegistry
    function trial(uint64 trialId) external view override returns (Trial memory view_) {
        StoredTrial storage t = _trialOf(trialId);
        view_.sponsor = t.sponsor;
        view_.ethicsCommittee = t.ethicsCommittee;
        view_.regulator = t.regulator;
        view_.randomizer = t.randomizer;
        view_.status = t.status;
        view_.consentVersion = t.consentVersion;
        view_.majorConsentVersion = t.majorConsentVersion;
        view_.categories = t.categories;
        view_.enrolled = t.enrolled;
        view_.sites = t.sites;
        view_.strata = t.strata;
        view_.perStratum = t.perStratum;
        view_.registeredAt = t.registeredAt;
        view_.firstEnrolledAt = t.firstEnrolledAt;
        view_.lockedAt = t.lockedAt;
        view_.unlockRequested = t.flags & _UNLOCK_REQUESTED == 0 ? 0 : t.unlockReason;
        view_.unblindedAt = t.unblindedAt;
        view_.consentForm = t.consentForm;
        view_.allocationRoot = t.allocationRoot;
        view_.datasetRoot = _datasetRoot(t);
    }

    /// @inheritdoc ITrialRegistry
    function site(uint64 trialId, uint16 siteNumber) external view override returns (Site memory) {
        _trialOf(trialId);
        Site storage s = _sites[trialId][siteNumber];
        if (s.status == SiteStatus.None) revert TrialUnknownSite(trialId, siteNumber);
        return s;
    }

    /// @inheritdoc ITrialRegistry
    function subject(uint64 trialId, ParticipantId patient) external view override returns (Subject memory) {
        return _subjects[trialId][patient];
    }

    /// @inheritdoc ITrialRegistry
    function dataBatch(uint64 trialId, uint32 batchId) external view override returns (DataBatch memory) {
        DataBatch storage b = _batches[trialId][batchId];
        if (b.root == bytes32(0)) revert TrialUnknownBatch(trialId, batchId);
        return b;
    }

    /// @inheritdoc ITrialRegistry
    function dataBatchCount(uint64 trialId) external view override returns (uint32) {
        return _trialOf(trialId).batches;
    }

    /// @inheritdoc ITrialRegistry
    function verifyData(
        uint64 trialId,
        uint32 batchId,
        ParticipantId patient,
        bytes32 entry,
        bytes32[] calldata proof
    ) external view override returns (bool) {
        bytes32 root = _batches[trialId][batchId].root;
        if (root == bytes32(0)) revert TrialUnknownBatch(trialId, batchId);
        if (proof.length > MAX_PROOF_LENGTH) revert TrialProofTooLong(proof.length);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(trialId, patient, entry))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc ITrialRegistry
    function nextAllocationIndex(uint64 trialId, uint8 stratum) external view override returns (uint24) {
        uint256 word = _nextIndex[trialId][stratum / _INDICES_PER_WORD];
        return uint24(word >> ((stratum % _INDICES_PER_WORD) * 24));
    }

    /// @inheritdoc ITrialRegistry
    function allocationAudit(uint64 trialId) external view override returns (AllocationAudit memory) {
        StoredTrial storage t = _trialOf(trialId);
        return AllocationAudit(t.enrolled, t.revealed, t.disclosed);
    }

    /// @inheritdoc ITrialRegistry
    function isRegistrationLate(uint64 trialId) external view override returns (bool) {
        StoredTrial storage t = _trialOf(trialId);
        return t.firstEnrolledAt != 0 && t.registeredAt > uint256(t.firstEnrolledAt) + REGISTRATION_WINDOW;
    }

    /// @inheritdoc IPausableModule
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc ITrialRegistry
    function trialState(uint64 trialId) external view override returns (TrialState memory) {
        StoredTrial storage t = _trialOf(trialId);
        return
            TrialState(
                t.sponsor,
                t.ethicsCommittee,
                t.regulator,
                t.status,
                t.consentVersion,
                t.unblindedAt != 0,
                t.flags & _EVER_LOCKED != 0,
                _datasetRoot(t)
            );
    }

    /// @inheritdoc ITrialRegistry
    function trialCount() external view override returns (uint64) {
        return _trialCount;
    }

    /// @inheritdoc ITrialRegistry
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @inheritdoc ITrialRegistry
    function consentRegistry() external view override returns (IConsentRegistry) {
        return _CONSENT;
    }

    /// @inheritdoc ITrialRegistry
    function trialProtocol() external view override returns (ITrialProtocol) {
        return _PROTOCOL;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: registration and outcomes
    // ------------------------------------------------------------------------------------------------------------

    function _checkRegistration(TrialRegistration calldata r) private view {
        uint48 now_ = Time.timestamp();
        if (r.protocol == bytes32(0) || r.analysisPlan == bytes32(0) || r.consentForm == bytes32(0)) {
            revert TrialZeroCommitment();
        }
        if (r.categories == 0 || r.categories & ~DEFINED_CATEGORIES != 0) revert TrialInvalidCategories(r.categories);
        if (r.primaryCompletion <= now_ || r.primaryCompletion > now_ + MAX_COMPLETION_HORIZON) {
            revert TrialInvalidPrimaryCompletion(r.primaryCompletion, now_);
        }
        if (r.firstEnrolledAt > now_) revert TrialInvalidFirstEnrollment(r.firstEnrolledAt, now_);
        _requireKind(r.ethicsCommittee, ParticipantKind.Organization, ParticipantKind.Organization);
        _requireKind(r.regulator, ParticipantKind.Regulator, ParticipantKind.Regulator);
        _requireKind(r.randomizer, ParticipantKind.Organization, ParticipantKind.Device);
        // The ethics committee oversees what the randomization service does: never the same body (nor its device).
        if (r.randomizer == r.ethicsCommittee || _organizationOf(r.randomizer) == r.ethicsCommittee) {
            revert TrialPartiesNotDistinct(r.ethicsCommittee, r.randomizer);
        }
    }

    function _requireKind(ParticipantId id, ParticipantKind kind, ParticipantKind alternative) private view {
        (ParticipantKind actual, , bool active) = _IDENTITY.standingOf(id);
        if (!active || (actual != kind && actual != alternative)) revert TrialInvalidParty(id, kind);
    }

    function _emitRegistered(uint64 trialId, StoredTrial storage t, TrialRegistration calldata r) private {
        emit TrialRegistered(
            trialId,
            t.sponsor,
            t.ethicsCommittee,
            t.regulator,
            t.randomizer,
            r.protocol,
            r.analysisPlan,
            r.consentForm,
            t.categories,
            r.primaryCompletion,
            t.firstEnrolledAt,
            t.firstEnrolledAt != 0 && t.registeredAt > uint256(t.firstEnrolledAt) + REGISTRATION_WINDOW
        );
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: the state machines
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The trial's one transition function: Active → Locked (lock), Locked → Active (unlock).
    function _transition(uint64 trialId, StoredTrial storage t, TrialStatus to) private {
        TrialStatus from = t.status;
        bool allowed =
            (from == TrialStatus.Active && to == TrialStatus.Locked) ||
                (from == TrialStatus.Locked && to == TrialStatus.Active);
        if (!allowed) revert TrialInvalidTransition(trialId, from, to);
        t.status = to;
    }

    /// @dev The site's one transition function: Proposed or Suspended → Active (the ethics committee), Active →
    /// Suspended, and anything but Closed → Closed; emits `SiteStatusChanged`.
    function _transitionSite(
        uint64 trialId,
        uint16 siteNumber,
        SiteStatus to,
        ParticipantId actor,
        uint16 reasonCode
    ) private {
        Site storage s = _sites[trialId][siteNumber];
        SiteStatus from = s.status;
        if (from == SiteStatus.None) revert TrialUnknownSite(trialId, siteNumber);
        bool allowed =
            (to == SiteStatus.Active && (from == SiteStatus.Proposed || from == SiteStatus.Suspended)) ||
                (to == SiteStatus.Suspended && from == SiteStatus.Active) ||
                (to == SiteStatus.Closed && from != SiteStatus.Closed);
        if (!allowed) revert TrialInvalidSiteTransition(trialId, siteNumber, from, to);
        s.status = to;
        emit SiteStatusChanged(trialId, siteNumber, actor, to, reasonCode);
    }

    /// @dev The participant's one transition function: None → Enrolled → Withdrawn.
    function _transitionSubject(uint64 trialId, ParticipantId patient, Subject storage subj, SubjectStatus to) private {
        SubjectStatus from = subj.status;
        if (to == SubjectStatus.Enrolled && from != SubjectStatus.None) {
            revert TrialAlreadyEnrolled(trialId, patient, from);
        }
        if (to == SubjectStatus.Withdrawn && from != SubjectStatus.Enrolled) {
            revert TrialSubjectNotEnrolled(trialId, patient, from);
        }
        subj.status = to;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: who acts
    // ------------------------------------------------------------------------------------------------------------

    function _trialOf(uint64 trialId) private view returns (StoredTrial storage t) {
        t = _trials[trialId];
        if (t.status == TrialStatus.None) revert TrialUnknown(trialId);
    }

    function _sponsorTrial(uint64 trialId) private view returns (StoredTrial storage t) {
        t = _trialOf(trialId);
        if (_callerId() != t.sponsor) revert TrialNotSponsor(trialId, msg.sender);
    }

    function _requireUnlocked(uint64 trialId, StoredTrial storage t) private view {
        if (t.status != TrialStatus.Active) revert TrialDatabaseLocked(trialId, t.lockedAt);
    }

    /// @dev The id the caller's key actively controls, NONE if none.
    function _callerId() private view returns (ParticipantId id) {
        bool active;
        (id, , , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (!active) id = ParticipantIdLib.NONE;
    }

    /// @dev Requires the caller to be `party` (the trial's ethics committee, or with `randomizer` its randomization
    /// service).
    function _requireParty(
        uint64 trialId,
        ParticipantId party,
        bool randomizer
    ) private view returns (ParticipantId id) {
        id = _callerId();
        if (id.isNone() || id != party) {
            if (randomizer) revert TrialNotRandomizer(trialId, msg.sender);
            revert TrialNotEthicsCommittee(trialId, msg.sender);
        }
    }

    function _oversight(uint64 trialId, StoredTrial storage t) private view returns (ParticipantId id) {
        id = _callerId();
        if (id.isNone() || (id != t.ethicsCommittee && id != t.regulator)) {
            revert TrialNotOversight(trialId, msg.sender);
        }
    }

    /// @dev The ethics committee or the sponsor, who suspend and close sites.
    function _siteOverseer(uint64 trialId) private view returns (ParticipantId id) {
        StoredTrial storage t = _trialOf(trialId);
        id = _callerId();
        if (id.isNone() || (id != t.ethicsCommittee && id != t.sponsor)) {
            revert TrialNotSiteOverseer(trialId, msg.sender);
        }
    }

    /// @dev Whether the caller is the site's investigator, active and still affiliated with the site's organization.
    function _isInvestigator(Site storage s) private view returns (bool) {
        (ParticipantId id, , ParticipantId affiliation, bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        return active && !id.isNone() && id == s.investigator && affiliation == s.organization;
    }

    function _requireInvestigator(uint64 trialId, uint16 siteNumber, Site storage s) private view {
        if (!_isInvestigator(s)) revert TrialNotInvestigator(trialId, siteNumber, msg.sender);
    }

    /// @dev The id acting for the patient with `account`'s key: the patient (a patient's active key) or an active
    /// representative; NONE otherwise.
    function _patientActor(ParticipantId patient, address account) private view returns (ParticipantId) {
        (ParticipantId id, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(account, Time.timestamp());
        if (!active || id.isNone()) return ParticipantIdLib.NONE;
        if (id == patient) return kind == ParticipantKind.Patient ? id : ParticipantIdLib.NONE;
        return _IDENTITY.isRepresentative(patient, id) ? id : ParticipantIdLib.NONE;
    }

    /// @dev The organization a participant acts for: a device's (or practitioner's) accepted organization, else itself.
    function _organizationOf(ParticipantId id) private view returns (ParticipantId) {
        (, ParticipantId affiliation, ) = _IDENTITY.standingOf(id);
        return affiliation.isNone() ? id : affiliation;
    }

    function _enrolled(uint64 trialId, ParticipantId patient) private view returns (Subject storage subj) {
        subj = _subjects[trialId][patient];
        if (subj.status != SubjectStatus.Enrolled) revert TrialSubjectNotEnrolled(trialId, patient, subj.status);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: consent and allocation
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Checks a consent signature: the current version, a live deadline, `signer`'s signature over it with the
    /// site and the participant's nonce, and that `signer` acts for the patient.
    function _checkConsent(
        uint64 trialId,
        ParticipantId patient,
        uint16 siteNumber,
        uint32 nonce,
        uint16 current,
        ConsentSignature calldata consent
    ) private view {
        if (consent.version != current) revert TrialStaleConsentVersion(trialId, consent.version, current);
        if (consent.document == bytes32(0)) revert TrialZeroCommitment();
        if (consent.deadline < Time.timestamp()) revert TrialSignatureExpired(consent.deadline, Time.timestamp());
        bytes32 structHash = keccak256(
            abi.encode(
                CONSENT_TYPEHASH,
                trialId,
                patient,
                siteNumber,
                consent.version,
                consent.document,
                nonce,
                consent.deadline
            )
        );
        if (!SignatureChecker.isValidSignatureNow(consent.signer, _hashTypedDataV4(structHash), consent.signature)) {
            revert TrialInvalidSignature(consent.signer);
        }
        if (_patientActor(patient, consent.signer).isNone()) revert TrialNotPatientActor(patient, consent.signer);
    }

    /// @dev Requires the consent registry to allow the sponsor every category of the trial for research, now.
    function _requireResearchConsent(
        uint64 trialId,
        ParticipantId patient,
        ParticipantId sponsor,
        uint32 categories
    ) private view {
        (bool allowed, uint8 category, DecisionBasis basis) = _CONSENT.decideCategories(
            patient,
            sponsor,
            categories,
            uint8(Purpose.Research)
        );
        if (!allowed) revert TrialConsentNotGranted(trialId, patient, category, basis);
    }

    /// @dev Discloses one revealed arm: its commitment, `keccak256(abi.encode(arm, salt))`, must be the entry at the
    /// participant's stratum and index in the committed sequence.
    function _disclose(uint64 trialId, StoredTrial storage t, ArmDisclosure calldata d) private {
        Subject storage subj = _subjects[trialId][d.patient];
        if (!subj.revealed) revert TrialNotRevealed(trialId, d.patient);
        if (subj.disclosedArm != 0) revert TrialAlreadyDisclosed(trialId, d.patient);
        if (d.proof.length > MAX_PROOF_LENGTH) revert TrialProofTooLong(d.proof.length);
        bytes32 armCommitment = keccak256(abi.encode(d.arm, d.salt));
        // An arm of 255 could not be stored as arm + 1; no sequence the SDK builds has one.
        if (
            d.arm == type(uint8).max ||
            !_inSequence(trialId, t, subj.stratum, subj.allocationIndex, armCommitment, d.proof)
        ) revert TrialArmMismatch(trialId, d.patient, d.arm);
        subj.disclosedArm = d.arm + 1;
        emit ArmDisclosed(trialId, d.patient, d.arm);
    }

    /// @dev Whether `armCommitment` is the committed sequence's entry at (stratum, index). The sequence is a
    /// positional Merkle tree: entry (stratum, index) is leaf `stratum * perStratum + index` of a tree of depth
    /// ⌈log2(strata × perStratum)⌉ (positions past the last entry hold zero), its leaf OpenZeppelin's double hash of
    /// `abi.encode(trial, stratum, index, armCommitment)`, each node the hash of its left and right children in that
    /// order. The proof's length is the depth and the position's bits choose each side, so a tree has exactly one
    /// leaf at each position: no sequence can hold two arms for one index and leave the choice for after enrollment.
    function _inSequence(
        uint64 trialId,
        StoredTrial storage t,
        uint8 stratum,
        uint24 index,
        bytes32 armCommitment,
        bytes32[] calldata proof
    ) private view returns (bool) {
        uint256 perStratum = t.perStratum;
        uint256 depth = Math.log2(uint256(t.strata) * perStratum, Math.Rounding.Ceil);
        if (proof.length != depth) return false;
        uint256 position = uint256(stratum) * perStratum + index;
        bytes32 node = keccak256(bytes.concat(keccak256(abi.encode(trialId, stratum, index, armCommitment))));
        for (uint256 i; i < depth; ++i) {
            node =
                (position >> i) & 1 == 0
                    ? Hashes.efficientKeccak256(node, proof[i])
                    : Hashes.efficientKeccak256(proof[i], node);
        }
        return node == t.allocationRoot;
    }

    /// @dev The locked dataset root; zero while unlocked.
    function _datasetRoot(StoredTrial storage t) private view returns (bytes32 root) {
        root = t.datasetRoot;
        if (root == _NO_ROOT) root = bytes32(0);
    }

    /// @dev Takes the stratum's next allocation index.
    function _takeIndex(uint64 trialId, uint8 stratum, uint24 perStratum) private returns (uint24 index) {
        uint256 wordIndex = stratum / _INDICES_PER_WORD;
        uint256 shift = (stratum % _INDICES_PER_WORD) * 24;
        uint256 word = _nextIndex[trialId][wordIndex];
        index = uint24(word >> shift);
        if (index >= perStratum) revert TrialStratumExhausted(trialId, stratum, perStratum);
        // Unchecked-free: `index + 1 <= perStratum` fits 24 bits, so adding 1 at `shift` stays within the field.
        _nextIndex[trialId][wordIndex] = word + (uint256(1) << shift);
    }
}
