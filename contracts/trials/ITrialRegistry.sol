// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentRegistry} from "../consent/IConsentRegistry.sol";
import {DecisionBasis} from "../consent/Consent.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId} from "../common/ParticipantId.sol";
import {ITrialProtocol} from "./ITrialProtocol.sol";
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

/// @title ITrialRegistry
/// @notice Clinical trials that a sponsor, an ethics committee and a regulator can trust on the same ledger:
/// pre-registration, consent bound to the current protocol, concealed randomization, data lock and outcome reporting.
/// Adverse events and their reporting clocks live in {ITrialSafety}, which reads this registry.
///
/// - **Registration.** An active research sponsor registers a trial: commitments to the protocol, the statistical
///   analysis plan and the consent form; the pre-specified outcomes (each a commitment to its definition and time
///   frame, primary or secondary); the data categories collected; the planned primary completion date; the ethics
///   committee (an organization), the regulator and the randomization service. A trial registered more than 21 days
///   after its first enrollment (42 CFR 11.24) is flagged for good (`isRegistrationLate`).
/// - **Sites.** The sponsor proposes a site (an organization and its principal investigator, a practitioner
///   affiliated with it); the ethics committee activates it; only an active site enrolls.
/// - **Consent-gated enrollment.** The site's investigator enrolls a patient who (or whose active representative)
///   signed the current consent form version (`ConsentSignature`), and whose consent registry allows the sponsor
///   every data category of the trial for research. After a major consent change, no data is accepted for a
///   participant until they re-consent; a minor change does not force it. A participant withdraws at any time.
/// - **Concealed randomization.** Before the first enrollment the sponsor commits the allocation sequence: the root of
///   a positional Merkle tree whose leaf `stratum × perStratum + index` is OpenZeppelin's leaf hash of `(trial,
///   stratum, index, armCommitment)`, `armCommitment = keccak256(abi.encode(arm, salt))`, `index` running from 0 to
///   `perStratum - 1` in each stratum (the tree has depth ⌈log2(strata × perStratum)⌉, zero leaves past the last
///   entry, each node the hash of its left and right children in order; a proof's length is the depth). One leaf per
///   position: no sequence can hold two arms for one index. Enrollment takes the next index of the participant's
///   stratum; only then can the randomization service reveal the allocation, proven against the root. The arm
///   itself stays concealed on the ledger (a consortium member must not learn arms of a blinded trial) until the
///   service discloses it with its salt; the first disclosure unblinds the trial. Indices are taken in order by the
///   registry, so none is skipped or reused, and `allocationAudit` says how many were enrolled, revealed and
///   disclosed.
/// - **Data and lock.** Sites anchor case-report data as Merkle roots over entries `(trial, patient, entry)`, naming
///   the participants the batch holds (each must be enrolled at the site, not withdrawn, consent current). The
///   sponsor locks the database with the root of the final dataset; unlocking needs the sponsor's request with a
///   reason and the ethics committee's or the regulator's approval.
/// - **The protocol over time** lives in the `TrialProtocol` contract this registry creates ({ITrialProtocol}):
///   amendments (which take effect only when the ethics committee approves them, and tell this registry of a new
///   consent form version), the pre-specified outcomes, and the results the sponsor reports against the locked
///   dataset root, compared with the pre-specified outcomes (COMPare's categories), due 12 months after the primary
///   completion date.
/// @dev No personal health information: ids are pseudonymous, documents and data are salted commitments, reason codes
/// come from published code lists. A participant's enrollment in a trial (and so that the patient takes part in
/// research of the trial's categories) is visible to consortium members by the patient's pseudonymous id, as the
/// consent grant that allows it already is; arms stay concealed until disclosed. While paused, what protects a
/// participant keeps working: withdrawing, burning a signature (`increaseNonce`), an investigator's emergency
/// unblinding, and suspending or closing a site.
interface ITrialRegistry {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A dependency (the identity or consent registry) is not a contract.
    error TrialInvalidDependency(address dependency);
    /// @notice `account` is not the key of an active research sponsor.
    error TrialNotResearchSponsor(address account);
    /// @notice `account` is not the active key of the trial's sponsor.
    error TrialNotSponsor(uint64 trialId, address account);
    /// @notice `account` is not the active key of the trial's ethics committee.
    error TrialNotEthicsCommittee(uint64 trialId, address account);
    /// @notice `account` is the active key of neither the trial's ethics committee nor its regulator.
    error TrialNotOversight(uint64 trialId, address account);
    /// @notice `account` is the active key of neither the trial's ethics committee nor its sponsor.
    error TrialNotSiteOverseer(uint64 trialId, address account);
    /// @notice `account` is not the active key of the trial's randomization service.
    error TrialNotRandomizer(uint64 trialId, address account);
    /// @notice `account` is not the active key of the site's principal investigator (affiliated with the site's
    /// organization).
    error TrialNotInvestigator(uint64 trialId, uint16 site, address account);
    /// @notice The ethics committee, regulator or randomization service named is not an active participant of a kind
    /// that may act so (`expected`; a randomization service is an organization or a device).
    error TrialInvalidParty(ParticipantId id, ParticipantKind expected);
    /// @notice The randomization service is the ethics committee, or a device of it: the committee oversees the
    /// service, never the same body.
    error TrialPartiesNotDistinct(ParticipantId ethicsCommittee, ParticipantId randomizer);
    /// @notice A protocol, analysis plan, consent form, document or root must not be zero (nor a dataset root 1).
    error TrialZeroCommitment();
    /// @notice A trial collects a non-empty set of defined data categories (no wildcard: research names them).
    error TrialInvalidCategories(uint32 categories);
    /// @notice A planned primary completion date must lie after now and at most `MAX_COMPLETION_HORIZON` ahead.
    error TrialInvalidPrimaryCompletion(uint48 primaryCompletion, uint48 currentTime);
    /// @notice A first enrollment declared at registration must not lie in the future.
    error TrialInvalidFirstEnrollment(uint48 firstEnrolledAt, uint48 currentTime);
    /// @notice No trial has this id.
    error TrialUnknown(uint64 trialId);
    /// @notice The trial cannot move from its status to the one asked for.
    error TrialInvalidTransition(uint64 trialId, TrialStatus from, TrialStatus to);
    /// @notice The database is locked (since `lockedAt`): no enrollment, re-consent or data is accepted.
    error TrialDatabaseLocked(uint64 trialId, uint48 lockedAt);
    /// @notice Only the protocol contract this registry created records consent form versions.
    error TrialNotProtocol(address account);
    /// @notice A site is an active organization, neither the trial's ethics committee nor its randomization service
    /// (nor the organization of a randomization device), and its investigator an active practitioner affiliated with
    /// it.
    error TrialInvalidSite(ParticipantId organization, ParticipantId investigator);
    /// @notice The trial has no site with this number; sites are numbered from 1.
    error TrialUnknownSite(uint64 trialId, uint16 site);
    /// @notice The site cannot move from its status to the one asked for.
    error TrialInvalidSiteTransition(uint64 trialId, uint16 site, SiteStatus from, SiteStatus to);
    /// @notice The site does not enroll (it must be active) or anchor data (active or suspended).
    error TrialSiteNotActive(uint64 trialId, uint16 site, SiteStatus status);
    /// @notice A trial can have at most `MAX_SITES` sites.
    error TrialTooManySites(uint64 trialId);
    /// @notice The sponsor has not committed the allocation sequence: no one can be enrolled.
    error TrialNoAllocation(uint64 trialId);
    /// @notice The allocation sequence is fixed once someone has been enrolled.
    error TrialAllocationFrozen(uint64 trialId, uint32 enrolled);
    /// @notice A sequence has at least one stratum and one entry per stratum.
    error TrialInvalidAllocation(uint8 strata, uint24 perStratum);
    /// @notice The stratum is not one of the sequence's `strata`.
    error TrialInvalidStratum(uint64 trialId, uint8 stratum, uint8 strata);
    /// @notice Every index of the stratum's sequence has been taken.
    error TrialStratumExhausted(uint64 trialId, uint8 stratum, uint24 perStratum);
    /// @notice The patient takes part in the trial already, or withdrew from it.
    error TrialAlreadyEnrolled(uint64 trialId, ParticipantId patient, SubjectStatus status);
    /// @notice The consent signed is not the trial's current consent form version.
    error TrialStaleConsentVersion(uint64 trialId, uint16 version, uint16 current);
    /// @notice The participant already signed the current consent form version.
    error TrialAlreadyConsented(uint64 trialId, ParticipantId patient, uint16 version);
    /// @notice The signature's deadline has passed.
    error TrialSignatureExpired(uint48 deadline, uint48 currentTime);
    /// @notice The signature is not `signer`'s over this consent, its nonce, this chain and this contract.
    error TrialInvalidSignature(address signer);
    /// @notice `account` is neither the patient's active key nor the key of an active representative of the patient.
    error TrialNotPatientActor(ParticipantId patient, address account);
    /// @notice The consent registry does not allow the sponsor `category` of the patient's data for research; `basis`
    /// says why.
    error TrialConsentNotGranted(uint64 trialId, ParticipantId patient, uint8 category, DecisionBasis basis);
    /// @notice The patient is not an enrolled participant of the trial (`status` says what they are).
    error TrialSubjectNotEnrolled(uint64 trialId, ParticipantId patient, SubjectStatus status);
    /// @notice The participant was not enrolled at `site`, the site anchoring the batch.
    error TrialSubjectNotAtSite(uint64 trialId, ParticipantId patient, uint16 site);
    /// @notice A batch names its participants in strictly ascending id order (so each once): `next` follows
    /// `previous`.
    error TrialSubjectsNotAscending(ParticipantId previous, ParticipantId next);
    /// @notice A major consent change took effect: no data is accepted for the participant until they sign
    /// `majorVersion` or later.
    error TrialReconsentRequired(uint64 trialId, ParticipantId patient, uint16 consentedVersion, uint16 majorVersion);
    /// @notice Only the patient, an active representative or the investigator of the participant's site withdraws a
    /// participant.
    error TrialNotWithdrawer(uint64 trialId, ParticipantId patient, address account);
    /// @notice The allocation was revealed already.
    error TrialAlreadyRevealed(uint64 trialId, ParticipantId patient);
    /// @notice The proof does not show the allocation at the participant's stratum and index in the committed
    /// sequence.
    error TrialAllocationMismatch(uint64 trialId, ParticipantId patient, uint8 stratum, uint24 index);
    /// @notice The allocation has not been revealed yet.
    error TrialNotRevealed(uint64 trialId, ParticipantId patient);
    /// @notice The arm and salt, with the proof, are not the participant's entry in the committed sequence.
    error TrialArmMismatch(uint64 trialId, ParticipantId patient, uint8 arm);
    /// @notice The arm was disclosed already.
    error TrialAlreadyDisclosed(uint64 trialId, ParticipantId patient);
    /// @notice A reason code is required (from the published code list; zero is none).
    error TrialReasonRequired();
    /// @notice A list is empty, longer than its bound, or two lists that go together differ in length.
    error TrialInvalidLength(uint256 length, uint256 max);
    /// @notice A data batch holds 1 to `MAX_BATCH_ENTRIES` entries.
    error TrialInvalidBatchCount(uint32 count);
    /// @notice The trial has no data batch with this number.
    error TrialUnknownBatch(uint64 trialId, uint32 batchId);
    /// @notice A proof has at most `MAX_PROOF_LENGTH` hashes.
    error TrialProofTooLong(uint256 length);
    /// @notice Only a locked database is unlocked.
    error TrialDatabaseNotLocked(uint64 trialId);
    /// @notice The sponsor has not asked to unlock the database.
    error TrialNoUnlockRequest(uint64 trialId);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A sponsor registered a trial. `late` when the declared first enrollment is more than 21 days before
    /// registration.
    event TrialRegistered(
        uint64 indexed trialId,
        ParticipantId indexed sponsor,
        ParticipantId indexed ethicsCommittee,
        ParticipantId regulator,
        ParticipantId randomizer,
        bytes32 protocol,
        bytes32 analysisPlan,
        bytes32 consentForm,
        uint32 categories,
        uint48 primaryCompletion,
        uint48 firstEnrolledAt,
        bool late
    );
    /// @notice The sponsor proposed a site.
    event SiteProposed(
        uint64 indexed trialId,
        uint16 indexed site,
        ParticipantId indexed organization,
        ParticipantId investigator
    );
    /// @notice A site changed status; `actor` is the ethics committee or the sponsor.
    event SiteStatusChanged(
        uint64 indexed trialId,
        uint16 indexed site,
        ParticipantId indexed actor,
        SiteStatus status,
        uint16 reasonCode
    );
    /// @notice The sponsor committed (or, before the first enrollment, replaced) the allocation sequence.
    event AllocationCommitted(uint64 indexed trialId, bytes32 indexed root, uint8 indexed strata, uint24 perStratum);
    /// @notice A site enrolled the patient; the enrollment took `index` of `stratum`.
    event ParticipantEnrolled(
        uint64 indexed trialId,
        ParticipantId indexed patient,
        uint16 indexed site,
        uint8 stratum,
        uint24 index
    );
    /// @notice `signer` (the patient or a representative) signed consent form `version`; `document` commits to the
    /// signed form.
    event ConsentSigned(
        uint64 indexed trialId,
        ParticipantId indexed patient,
        address indexed signer,
        uint16 version,
        bytes32 document
    );
    /// @notice The participant was withdrawn by `actor` (the patient, a representative or the investigator).
    event ParticipantWithdrawn(
        uint64 indexed trialId,
        ParticipantId indexed patient,
        ParticipantId indexed actor,
        uint16 reasonCode
    );
    /// @notice Every consent signature of the patient for this trial with a nonce below `nonce` is void.
    event ConsentNonceIncreased(uint64 indexed trialId, ParticipantId indexed patient, uint32 nonce);
    /// @notice The randomization service revealed the participant's allocation, proven against the committed
    /// sequence. The arm stays concealed behind `armCommitment` (which is not stored: the event is the record).
    event AllocationRevealed(
        uint64 indexed trialId,
        ParticipantId indexed patient,
        uint8 stratum,
        uint24 index,
        bytes32 armCommitment
    );
    /// @notice The randomization service disclosed the participant's arm, opening the revealed commitment.
    event ArmDisclosed(uint64 indexed trialId, ParticipantId indexed patient, uint8 arm);
    /// @notice An investigator unblinded one participant in an emergency.
    event EmergencyUnblinded(
        uint64 indexed trialId,
        ParticipantId indexed patient,
        ParticipantId indexed investigator,
        uint16 reasonCode
    );
    /// @notice A site anchored a batch of case-report data for `subjects`.
    event DataAnchored(
        uint64 indexed trialId,
        uint32 indexed batchId,
        uint16 indexed site,
        bytes32 root,
        uint32 count,
        ParticipantId[] subjects
    );
    /// @notice The sponsor locked the database with the root of the final dataset.
    event DatabaseLocked(uint64 indexed trialId, bytes32 datasetRoot);
    /// @notice The sponsor asked to unlock the database, for `reasonCode`.
    event UnlockRequested(uint64 indexed trialId, ParticipantId indexed sponsor, uint16 indexed reasonCode);
    /// @notice The ethics committee or the regulator (`approver`) agreed: the database is unlocked.
    event DatabaseUnlocked(uint64 indexed trialId, ParticipantId indexed approver, uint16 reasonCode);
    // ------------------------------------------------------------------------------------------------------------
    // Registration
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The caller, an active research sponsor, registers a trial.
    /// @dev Requirements: not paused; non-zero protocol, analysis plan and consent form; 1 to `MAX_OUTCOMES` distinct
    /// non-zero outcomes, at least one primary; defined, non-empty categories; a primary completion after now; a
    /// declared first enrollment not in the future; an active organization as ethics committee, an active regulator,
    /// an active organization or device as randomization service; the outcome list as {ITrialProtocol} takes it.
    /// Emits `TrialRegistered`, and the protocol contract an `OutcomeSpecified` per outcome.
    /// @return trialId The new trial's id (sequential from 1).
    function registerTrial(TrialRegistration calldata registration) external returns (uint64 trialId);

    /// @notice The protocol contract records a consent form version that an approved amendment brings: it becomes
    /// the current version, and the last major one if `major`. Only the protocol contract this registry created.
    /// @return consentVersion The new current version.
    function recordConsentForm(
        uint64 trialId,
        bytes32 consentForm,
        bool major
    ) external returns (uint16 consentVersion);

    // ------------------------------------------------------------------------------------------------------------
    // Sites
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The sponsor proposes a site: an organization and its principal investigator.
    /// @dev Requirements: not paused; the sponsor; the trial active; an active organization; an active practitioner
    /// affiliated with it; fewer than `MAX_SITES` sites.
    /// @return site The site's number (from 1).
    function proposeSite(
        uint64 trialId,
        ParticipantId organization,
        ParticipantId investigator
    ) external returns (uint16 site);

    /// @notice The ethics committee activates a proposed or suspended site.
    /// @dev Requirements: not paused; the trial's ethics committee; the trial not locked.
    function activateSite(uint64 trialId, uint16 site) external;

    /// @notice The ethics committee or the sponsor suspends an active site (for `reasonCode`): it enrolls no one, but
    /// still anchors its participants' follow-up data. Works while paused.
    function suspendSite(uint64 trialId, uint16 site, uint16 reasonCode) external;

    /// @notice The ethics committee or the sponsor closes a site for good (for `reasonCode`). Works while paused.
    function closeSite(uint64 trialId, uint16 site, uint16 reasonCode) external;

    // ------------------------------------------------------------------------------------------------------------
    // Randomization
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The sponsor commits the allocation sequence: `root` over `strata × perStratum` leaves (see the title
    /// comment). It may be replaced until the first enrollment, never after.
    /// @dev Requirements: not paused; the sponsor; the trial active; nobody enrolled; a non-zero root; `strata` and
    /// `perStratum` non-zero.
    function commitAllocation(uint64 trialId, bytes32 root, uint8 strata, uint24 perStratum) external;

    // ------------------------------------------------------------------------------------------------------------
    // Enrollment and consent
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The investigator of an active site enrolls the patient in `stratum`, which takes the stratum's next
    /// allocation index.
    /// @dev Requirements: not paused; the trial active (not locked) with its sequence committed; the caller the site's
    /// investigator; a stratum of the sequence with an index left; the patient neither enrolled nor withdrawn;
    /// `consent` signs this site, the current version and the patient's nonce before its deadline, by the patient's
    /// key or an active representative's; and the consent registry allows the sponsor every category of the trial for
    /// research now. Emits `ConsentSigned` and `ParticipantEnrolled`.
    function enroll(
        uint64 trialId,
        uint16 site,
        ParticipantId patient,
        uint8 stratum,
        ConsentSignature calldata consent
    ) external;

    /// @notice Records an enrolled participant's signature on the current consent form version (after an amendment);
    /// anyone may relay it.
    /// @dev Requirements: not paused; the trial not locked; the participant enrolled; a version newer than the one
    /// signed last, and the current one; the signature as for `enroll`. Emits `ConsentSigned`.
    function reconsent(uint64 trialId, ParticipantId patient, ConsentSignature calldata consent) external;

    /// @notice Withdraws an enrolled participant: no data is accepted for them after this; what was recorded stays.
    /// The patient, an active representative or the investigator of the participant's site may do it, for
    /// `reasonCode` (zero: none given); a patient the registrar suspended (whose key may be stolen) is withdrawn by her
    /// investigator. Works while paused.
    function withdraw(uint64 trialId, ParticipantId patient, uint16 reasonCode) external;

    /// @notice The patient or an active representative voids every unused consent signature for this trial (one
    /// nonce). Works while paused.
    function increaseNonce(uint64 trialId, ParticipantId patient) external;

    // ------------------------------------------------------------------------------------------------------------
    // Allocation reveal, disclosure and emergency unblinding
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The randomization service reveals an enrolled participant's allocation: the arm commitment at the
    /// participant's stratum and index, with its proof against the committed root.
    /// @dev Requirements: not paused; the trial's randomization service; the patient enrolled (or since withdrawn);
    /// not revealed yet; a proof of at most `MAX_PROOF_LENGTH` hashes that verifies.
    function reveal(uint64 trialId, ParticipantId patient, bytes32 armCommitment, bytes32[] calldata proof) external;

    /// @notice The randomization service discloses the arms of revealed participants, each with its salt and the
    /// proof of its entry; the first disclosure unblinds the trial.
    /// @dev Requirements: not paused; the trial's randomization service; 1 to `MAX_DISCLOSURES` disclosures, each of
    /// a participant revealed and not yet disclosed, whose entry `(trial, stratum, index, keccak256(abi.encode(arm,
    /// salt)))` the proof shows in the committed sequence.
    function discloseArms(uint64 trialId, ArmDisclosure[] calldata disclosures) external;

    /// @notice The investigator of the participant's site records an emergency unblinding of that one participant,
    /// for a non-zero `reasonCode` (the arm reaches the investigator from the randomization service, off chain). Works
    /// while paused, whatever the site's status, before the allocation is revealed, and for a participant who
    /// withdrew: an emergency does not wait.
    function unblind(uint64 trialId, ParticipantId patient, uint16 reasonCode) external;

    // ------------------------------------------------------------------------------------------------------------
    // Data, lock and results
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A site's investigator anchors a batch of case-report data: the root over `count` entries, for the
    /// `subjects` it holds.
    /// @dev Requirements: not paused; the trial not locked; the site active or suspended; the caller its
    /// investigator; a non-zero root; 1 to `MAX_BATCH_ENTRIES` entries; 1 to `MAX_BATCH_SUBJECTS` subjects, each
    /// enrolled at this site, not withdrawn, having signed the last major consent version, listed in strictly ascending
    /// id order.
    /// @return batchId The batch's number in the trial (from 1).
    function anchorData(
        uint64 trialId,
        uint16 site,
        bytes32 root,
        uint32 count,
        ParticipantId[] calldata subjects
    ) external returns (uint32 batchId);

    /// @notice The sponsor locks the database with the root of the final dataset.
    /// @dev Requirements: not paused; the sponsor; the trial active; a non-zero root.
    function lock(uint64 trialId, bytes32 datasetRoot) external;

    /// @notice The sponsor asks to unlock the locked database, for a non-zero `reasonCode`.
    /// @dev Requirements: not paused; the sponsor; the trial locked.
    function requestUnlock(uint64 trialId, uint16 reasonCode) external;

    /// @notice The ethics committee or the regulator approves the sponsor's request: the database is unlocked and
    /// data is accepted again. Every lock, result and unlock stays on the record.
    /// @dev Requirements: not paused; the trial's ethics committee or regulator; an unlock requested.
    function approveUnlock(uint64 trialId) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The trial; reverts with `TrialUnknown` if none.
    function trial(uint64 trialId) external view returns (Trial memory);

    /// @notice The site; reverts with `TrialUnknownSite` if none.
    function site(uint64 trialId, uint16 siteNumber) external view returns (Site memory);

    /// @notice The patient as a participant of the trial (status `None` if not one).
    function subject(uint64 trialId, ParticipantId patient) external view returns (Subject memory);

    /// @notice The data batch; reverts with `TrialUnknownBatch` if none.
    function dataBatch(uint64 trialId, uint32 batchId) external view returns (DataBatch memory);

    /// @notice The number of data batches anchored in the trial.
    function dataBatchCount(uint64 trialId) external view returns (uint32);

    /// @notice Whether `entry` for `patient` is in data batch `batchId`: its leaf `(trial, patient, entry)` and
    /// `proof` lead to the batch's root. (Whether the batch named the patient is in its `DataAnchored` event.)
    function verifyData(
        uint64 trialId,
        uint32 batchId,
        ParticipantId patient,
        bytes32 entry,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice The index the next participant enrolled in `stratum` takes.
    function nextAllocationIndex(uint64 trialId, uint8 stratum) external view returns (uint24);

    /// @notice How many participants were enrolled, and how many allocations revealed and disclosed.
    function allocationAudit(uint64 trialId) external view returns (AllocationAudit memory);

    /// @notice Whether the trial was registered more than 21 days after its first enrollment.
    function isRegistrationLate(uint64 trialId) external view returns (bool);

    /// @notice What the protocol contract needs to know of the trial, in one call. Reverts with `TrialUnknown` if
    /// there is no such trial.
    function trialState(uint64 trialId) external view returns (TrialState memory);

    /// @notice The number of trials ever registered: ids run from 1 to this.
    function trialCount() external view returns (uint64);

    /// @notice The identity registry the trials registry reads.
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice The consent registry the trials registry asks at enrollment.
    function consentRegistry() external view returns (IConsentRegistry);

    /// @notice The protocol contract this registry created ({ITrialProtocol}): amendments, outcomes, results and their
    /// deadline.
    function trialProtocol() external view returns (ITrialProtocol);
}
