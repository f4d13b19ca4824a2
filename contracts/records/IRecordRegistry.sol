// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentRegistry} from "../consent/IConsentRegistry.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {Decision, DecisionBasis} from "../consent/Consent.sol";
import {ParticipantId} from "../common/ParticipantId.sol";
import {AmendmentRequest, AmendmentStatus, BatchLeaf, RecordAnchor, RecordBatch, RecordStatus} from "./Record.sol";

/// @title IRecordRegistry
/// @notice Tamper-evident, versioned anchors of off-chain health records. A record lives off chain, encrypted; the
/// registry holds a salted commitment to its canonical form (`keccak256(salt ‖ canonical bytes)`, the salt kept
/// inside the encrypted envelope), so anyone holding the document and its salt can check it, and nobody can guess a
/// low-entropy document from the chain.
///
/// A version is identified by its patient and its commitment: each patient's records live in her own namespace, so
/// nobody can anchor another patient's commitment first and block it (an anchor in a patient's namespace needs a
/// consent decision of hers). A Merkle batch is identified by its organization and its root, and every leaf names
/// the batch's organization: another organization anchoring the same root neither blocks it nor captures its records
/// (its copy's leaves name their author, so no proof holds for it). What stays possible: a participant the patient
/// consented to, who learns one record's commitment, anchoring that commitment first as its own record of her; the
/// threat model (docs/threat-model.md) describes it.
///
/// - **Anchor**: an active practitioner, organization or device anchors a record of a patient under a consent
///   decision that allows the category for treatment (emergency treatment under break-glass); the patient, or a
///   representative, anchors patient-generated data. The decision's basis is in the event.
/// - **Versions**: a record's curator supersedes the current version with a new one that points back to it, or marks
///   it entered-in-error. Curators: for an organization's record, the organization and the version's author while
///   still affiliated with it; for patient-generated data, the patient and whoever currently represents her; and
///   registrars through their own functions. Nothing is removed; `history` reads every version.
/// - **Amendments**: the patient (or a representative) asks for an amendment; the curator accepts it by anchoring the
///   amended version, or denies it with a reason code.
/// - **Batches**: an organization anchors a Merkle root over many records; anyone proves one record's inclusion;
///   the organization (or one of its practitioners or devices) adopts a proven record, under the same consent
///   decision as an anchor, so that it has versions, amendments and an access trail of its own.
/// - **Access trail**: `recordAccess` asks the consent registry and leaves who read which record, under which basis,
///   allowed or denied.
/// @dev No personal health information: ids are pseudonymous, commitments are salted, the pointer is a commitment to
/// where the ciphertext lives, reason codes are numbers from a published code list (docs/records.md).
///
/// While paused, every write stops except `recordAccess` (the trail has no holes), marking a version
/// entered-in-error (a record on the wrong patient must be taken out at once) and withdrawing an amendment request.
interface IRecordRegistry {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A commitment (or a Merkle root) must not be zero.
    error RecordInvalidCommitment();
    /// @notice A category position must be below `CATEGORY_COUNT`.
    error RecordInvalidCategory(uint8 category);
    /// @notice A purpose position must be below `PURPOSE_COUNT`.
    error RecordInvalidPurpose(uint8 purpose);
    /// @notice The patient has a version under this commitment already; a commitment names one version of one of her
    /// records, once.
    error RecordAlreadyAnchored(ParticipantId patient, bytes32 commitment);
    /// @notice Nothing is anchored under the commitment for this patient.
    error RecordUnknown(ParticipantId patient, bytes32 commitment);
    /// @notice Only the key of an active practitioner, organization, device or patient anchors records; payers,
    /// sponsors, regulators and the rest never do. (A patient who is neither the record's patient nor one of its
    /// representatives is refused with `RecordAnchorNotPermitted`.)
    error RecordInvalidAuthor(address account);
    /// @notice The consent decision for the author (or adopter) does not allow the category for treatment (nor for
    /// emergency treatment); `basis` is the treatment decision's.
    error RecordAnchorNotPermitted(ParticipantId patient, ParticipantId author, uint8 category, DecisionBasis basis);
    /// @notice Only a curator may change a record: the organization it was anchored under, or the version's author
    /// while still affiliated with it; for patient-generated data the patient or a current representative; or a
    /// registrar through the registrar functions. Curators must be active.
    error RecordNotCurator(bytes32 commitment, address account);
    /// @notice The version cannot move from its status to the one asked for: only a current version is superseded or
    /// marked entered-in-error.
    error RecordInvalidTransition(bytes32 commitment, RecordStatus from, RecordStatus to);
    /// @notice Only a current version can be asked to be amended.
    error RecordNotCurrent(bytes32 commitment, RecordStatus status);
    /// @notice Entering a record in error, or denying an amendment, needs a reason code.
    error RecordReasonRequired();
    /// @notice Only registered, active participants record accesses.
    error RecordAccessorInactive(address account);
    /// @notice Only an active organization anchors Merkle batches.
    error RecordNotAnOrganization(address account);
    /// @notice A batch holds between one and `MAX_BATCH_RECORDS` records of defined categories.
    error RecordInvalidBatch(uint256 count, uint32 categories);
    /// @notice The organization anchored a batch with this root already.
    error RecordBatchExists(ParticipantId organization, bytes32 root);
    /// @notice The organization has no batch with this root.
    error RecordUnknownBatch(ParticipantId organization, bytes32 root);
    /// @notice Only the batch's organization, or one of its practitioners or devices, adopts its records.
    error RecordNotBatchOrganization(ParticipantId organization, bytes32 root, address account);
    /// @notice The proof does not show the leaf inside the batch (or is longer than `MAX_PROOF_LENGTH`).
    error RecordNotInBatch(bytes32 root, bytes32 commitment);
    /// @notice A batch leaf's category must be one of the batch's declared categories.
    error RecordCategoryNotInBatch(bytes32 root, uint8 category);
    /// @notice `account` is neither the patient's active controlling key nor the key of an active representative.
    error RecordUnauthorizedPatientActor(ParticipantId patient, address account);
    /// @notice No amendment request has this id.
    error RecordUnknownAmendment(uint64 requestId);
    /// @notice The amendment request cannot move from its status to the one asked for.
    error RecordInvalidAmendmentTransition(uint64 requestId, AmendmentStatus from, AmendmentStatus to);
    /// @notice A dependency (identity or consent registry) must be a contract.
    error RecordInvalidDependency(address dependency);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A first version was anchored. `basis` is the consent decision that let the author write it (`Self`
    /// for patient-generated data); `pointer` commits to where the encrypted blob lives.
    event RecordAnchored(
        bytes32 indexed commitment,
        ParticipantId indexed patient,
        ParticipantId indexed author,
        uint8 category,
        DecisionBasis basis,
        bytes32 pointer
    );
    /// @notice `commitment` supersedes `previous`, written by `author` (NONE for a registrar without an id) for the
    /// reason `reasonCode`; `pointer` commits to where the new version's blob lives.
    event RecordSuperseded(
        bytes32 indexed previous,
        bytes32 indexed commitment,
        ParticipantId indexed patient,
        ParticipantId author,
        uint16 reasonCode,
        bytes32 pointer
    );
    /// @notice The version was marked entered-in-error by `actor` (NONE for a registrar without an id).
    event RecordEnteredInError(
        bytes32 indexed commitment,
        ParticipantId indexed patient,
        ParticipantId indexed actor,
        uint16 reasonCode
    );
    /// @notice An organization anchored a Merkle root over `count` records of the `categories` bitmap.
    event RecordBatchAnchored(
        bytes32 indexed root,
        ParticipantId indexed organization,
        uint32 count,
        uint32 categories,
        bytes32 pointer
    );
    /// @notice A record proven to be in `organization`'s batch `root` now has an anchor of its own, dated to the
    /// batch; `author` adopted it on the consent decision `basis`.
    event RecordAdopted(
        bytes32 indexed commitment,
        bytes32 indexed root,
        ParticipantId indexed patient,
        ParticipantId organization,
        ParticipantId author,
        uint8 category,
        DecisionBasis basis
    );
    /// @notice `accessor` read the record, allowed on `basis` by the grant (or session) `ref` of `grantee`.
    event RecordAccessGranted(
        bytes32 indexed commitment,
        ParticipantId indexed patient,
        ParticipantId indexed accessor,
        ParticipantId grantee,
        uint8 purpose,
        DecisionBasis basis,
        uint64 ref
    );
    /// @notice `accessor` asked to read the record and was refused on `basis`.
    event RecordAccessDenied(
        bytes32 indexed commitment,
        ParticipantId indexed patient,
        ParticipantId indexed accessor,
        ParticipantId grantee,
        uint8 purpose,
        DecisionBasis basis
    );
    /// @notice The patient (or representative `actor`) asked to amend `record`; `requestCommitment` commits to the
    /// written request kept off chain.
    event AmendmentRequested(
        uint64 indexed requestId,
        bytes32 indexed record,
        ParticipantId indexed patient,
        ParticipantId actor,
        bytes32 requestCommitment
    );
    /// @notice The curator accepted the request and anchored `amendedVersion`.
    event AmendmentAccepted(uint64 indexed requestId, bytes32 indexed record, bytes32 indexed amendedVersion);
    /// @notice The curator denied the request; `responseCommitment` commits to the written denial.
    event AmendmentDenied(
        uint64 indexed requestId,
        bytes32 indexed record,
        uint16 indexed reasonCode,
        bytes32 responseCommitment
    );
    /// @notice The patient or a representative withdrew the request.
    event AmendmentWithdrawn(uint64 indexed requestId, bytes32 indexed record);

    // ------------------------------------------------------------------------------------------------------------
    // Anchoring and versions
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Anchors the first version of a record of `patient`. The record's organization (its curator besides
    /// the author) is the author's organization for a practitioner or device, the author itself for an organization,
    /// and none for patient-generated data: an anchor by the patient or by a representative (basis `Representative`,
    /// even when the representative is a practitioner).
    /// @dev Requirements: not paused; `commitment` non-zero and never anchored for the patient; `category` defined; the
    /// caller is an
    /// active practitioner, organization or device whose consent decision allows `category` for treatment (or, if it
    /// does not, for emergency treatment, as under break-glass), or the patient or a representative (decision `Self`
    /// or `Representative`). Emits {RecordAnchored}.
    /// @param patient The patient the record is about.
    /// @param commitment `keccak256(salt ‖ canonical bytes)` of the record.
    /// @param category The record's `DataCategory` position.
    /// @param pointer A commitment to where the encrypted blob lives (zero for none).
    /// @return basis The decision basis that allowed the anchor.
    function anchor(
        ParticipantId patient,
        bytes32 commitment,
        uint8 category,
        bytes32 pointer
    ) external returns (DecisionBasis basis);

    /// @notice Anchors `commitment` as the new version of the patient's record whose current version is `previous`;
    /// the new version keeps the patient, category and organization, and names the caller as its author.
    /// @dev Requirements: not paused; the caller is a curator of `previous` (see `RecordNotCurator`) and active;
    /// `previous` is current; `commitment` non-zero and never anchored for the patient. No consent decision is asked:
    /// correcting a record is the curator's duty even after the patient revoked access. Emits {RecordSuperseded}.
    /// @param reasonCode Why (code list in docs/records.md: 1 correction, 2 amendment at the patient's request, ...).
    function supersede(
        ParticipantId patient,
        bytes32 previous,
        bytes32 commitment,
        bytes32 pointer,
        uint16 reasonCode
    ) external;

    /// @notice As {supersede}, by a registrar for any record. Restricted (REGISTRAR).
    function registrarSupersede(
        ParticipantId patient,
        bytes32 previous,
        bytes32 commitment,
        bytes32 pointer,
        uint16 reasonCode
    ) external;

    /// @notice Marks the patient's current version entered-in-error: it should never have been anchored. Works while
    /// paused.
    /// @dev Requirements: caller as for {supersede}; the version is current; `reasonCode` non-zero. Emits
    /// {RecordEnteredInError}.
    function markEnteredInError(ParticipantId patient, bytes32 commitment, uint16 reasonCode) external;

    /// @notice As {markEnteredInError}, by a registrar for any record. Restricted (REGISTRAR). Works while paused.
    function registrarMarkEnteredInError(ParticipantId patient, bytes32 commitment, uint16 reasonCode) external;

    // ------------------------------------------------------------------------------------------------------------
    // Batches
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Anchors a Merkle root over `count` records whose categories are the `categories` bitmap.
    /// @dev Requirements: not paused; the caller is an active organization; `root` non-zero and new for the
    /// organization (another organization's batch with the same root is a different batch); `count` between 1 and
    /// `MAX_BATCH_RECORDS`; `categories` a non-empty set of defined categories. The cost does not depend on `count`.
    /// No consent decision is asked per record: the root is the organization's tamper-evident claim over its own
    /// records, and none of them is on a patient's chart until it is adopted (which asks). Emits
    /// {RecordBatchAnchored}.
    function anchorBatch(bytes32 root, uint32 count, uint32 categories, bytes32 pointer) external;

    /// @notice Gives a record proven to be in the organization's batch an anchor of its own (status current, dated to
    /// the batch, curated by the organization), so that it can be versioned, amended and read through
    /// `recordAccess`. Adoption puts the record on the patient's chart, so it passes the same consent decision as
    /// {anchor}: a patient's deny of the organization shuts it.
    /// @dev Requirements: not paused; the batch exists; the caller is the batch's organization or one of its
    /// practitioners or devices (`RecordNotBatchOrganization`), active, and its decision for the leaf's patient
    /// allows the category for treatment or emergency treatment (`RecordAnchorNotPermitted`); the leaf's category is
    /// in the batch's set; the proof holds and is at most `MAX_PROOF_LENGTH` long; the commitment is not anchored
    /// for the patient. Emits {RecordAdopted}.
    function adopt(
        ParticipantId organization,
        bytes32 root,
        BatchLeaf calldata leaf,
        bytes32[] calldata proof
    ) external;

    // ------------------------------------------------------------------------------------------------------------
    // Access trail
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Records that the caller read the record for `purpose`, with the consent registry's decision. Allowed
    /// and denied accesses are both recorded; a denial does not revert. Works while paused: the trail has no holes.
    /// @dev Requirements: the record is anchored for the patient; `purpose` defined; the caller is a registered,
    /// active participant. Emits {RecordAccessGranted} or {RecordAccessDenied}.
    function recordAccess(
        ParticipantId patient,
        bytes32 commitment,
        uint8 purpose
    ) external returns (Decision memory decision);

    // ------------------------------------------------------------------------------------------------------------
    // Amendments
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The patient, or an active representative, asks the record's curator to amend a current version.
    /// @dev Requirements: not paused; the version is anchored (`RecordUnknown`) and current (`RecordNotCurrent`); the
    /// caller acts for the patient. Emits {AmendmentRequested}.
    /// @param requestCommitment Salted commitment to the written request (what is wrong and why), kept off chain.
    function requestAmendment(
        ParticipantId patient,
        bytes32 record,
        bytes32 requestCommitment
    ) external returns (uint64 requestId);

    /// @notice The curator accepts a pending request by anchoring the amended version (reason code 2).
    /// @dev Requirements: as for {supersede} on the request's record, which must still be current. Emits
    /// {AmendmentAccepted} and {RecordSuperseded}.
    function acceptAmendment(uint64 requestId, bytes32 amendedVersion, bytes32 pointer) external;

    /// @notice The curator denies a pending request.
    /// @dev Requirements: not paused; the caller is the record's curator. Emits {AmendmentDenied}.
    /// @param reasonCode The denial's basis (45 CFR 164.526(a)(2): 1 not created by us, 2 not part of the designated
    /// record set, 3 not available for inspection, 4 accurate and complete).
    /// @param responseCommitment Salted commitment to the written denial sent to the patient.
    function denyAmendment(uint64 requestId, uint16 reasonCode, bytes32 responseCommitment) external;

    /// @notice As {acceptAmendment}, by a registrar for any record. Restricted (REGISTRAR).
    function registrarAcceptAmendment(uint64 requestId, bytes32 amendedVersion, bytes32 pointer) external;

    /// @notice As {denyAmendment}, by a registrar for any record. Restricted (REGISTRAR).
    function registrarDenyAmendment(uint64 requestId, uint16 reasonCode, bytes32 responseCommitment) external;

    /// @notice The patient or a representative withdraws a pending request. Works while paused. Emits
    /// {AmendmentWithdrawn}.
    function withdrawAmendment(uint64 requestId) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Everything the registry knows about the patient's commitment: anchored or not (status `None`), when,
    /// by whom, in which category, whether a later version supersedes it, or whether it was entered in error.
    function verify(ParticipantId patient, bytes32 commitment) external view returns (RecordAnchor memory);

    /// @notice Every version of the patient's record `commitment` belongs to, first to latest.
    function history(ParticipantId patient, bytes32 commitment) external view returns (bytes32[] memory versions);

    /// @notice The latest version of the patient's record `commitment` belongs to (itself if it is not superseded).
    function latestVersion(ParticipantId patient, bytes32 commitment) external view returns (bytes32);

    /// @notice The organization's batch with this root (`organization` NONE in the answer if there is none).
    function batch(ParticipantId organization, bytes32 root) external view returns (RecordBatch memory);

    /// @notice Whether `leaf` is in the organization's anchored batch `root`: false for an unknown batch, a category
    /// outside the batch's set, a proof that does not hold or one longer than `MAX_PROOF_LENGTH`.
    function verifyInclusion(
        ParticipantId organization,
        bytes32 root,
        BatchLeaf calldata leaf,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice An amendment request by id.
    function amendment(uint64 requestId) external view returns (AmendmentRequest memory);

    /// @notice How many amendment requests were made: ids run from 1 to this.
    function amendmentCount() external view returns (uint64);

    /// @notice The identity registry the registry reads participants from.
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice The consent registry the registry asks for decisions.
    function consentRegistry() external view returns (IConsentRegistry);
}
