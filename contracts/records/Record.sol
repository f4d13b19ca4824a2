// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";

/// @notice Where one anchored version of a record stands. Versions are never removed: a record's later version
/// supersedes an earlier one, and a version found to be wrong is marked entered-in-error. Both are final.
enum RecordStatus {
    /// Nothing is anchored under the commitment.
    None,
    /// The latest version of its record.
    Current,
    /// A later version supersedes it (amendment or correction); `next` names that version.
    Superseded,
    /// It should never have been anchored (wrong patient, wrong document, duplicate); `errorReason` says why.
    EnteredInError
}

/// @notice Where a patient's request to amend a record stands (HIPAA right to amend, 45 CFR 164.526).
enum AmendmentStatus {
    None,
    /// Waiting for the record's curator (the organization it was anchored under or the version's author while still
    /// affiliated with it; for patient-generated data the patient or a current representative; or a registrar).
    Pending,
    /// The curator accepted it and anchored the amended version.
    Accepted,
    /// The curator denied it with a reason code (a written denial, committed off chain).
    Denied,
    /// The patient or a representative withdrew it.
    Withdrawn
}

/// @notice What the registry answers for a commitment: the verify view of `IRecordRegistry.verify`.
struct RecordAnchor {
    RecordStatus status;
    ParticipantId patient;
    /// Who anchored this version: the author of the first version, the curator of a later one (NONE when a
    /// registrar without a participant id corrected it).
    ParticipantId author;
    /// The organization the record was anchored under: the author's organization for a practitioner or device,
    /// the author itself for an organization, NONE for patient-generated data. It stays the record's curator.
    ParticipantId organization;
    /// The data category, a `DataCategory` position.
    uint8 category;
    uint48 anchoredAt;
    /// Whether the version was first anchored in a Merkle batch and adopted from it.
    bool fromBatch;
    /// The version this one supersedes; zero for a first version.
    bytes32 previous;
    /// The version that supersedes this one; zero unless `status` is `Superseded`.
    bytes32 next;
    /// Why the version was marked entered-in-error; zero otherwise.
    uint16 errorReason;
}

/// @notice One record inside a Merkle batch: the values of a leaf. The leaf is
/// `keccak256(bytes.concat(keccak256(abi.encode(commitment, patient, category, organization))))`, the double-hashed
/// leaf of OpenZeppelin's `StandardMerkleTree` with types `["bytes32", "uint64", "uint8", "uint64"]`, where
/// `organization` is the batch's organization (given beside the leaf, not in it): every leaf names its organization,
/// so a root copied by another organization proves nothing for it.
struct BatchLeaf {
    bytes32 commitment;
    ParticipantId patient;
    uint8 category;
}

/// @notice A Merkle batch as returned by `IRecordRegistry.batch`.
struct RecordBatch {
    /// The organization that anchored it; NONE if no batch has the root.
    ParticipantId organization;
    uint48 anchoredAt;
    /// How many records (leaves) the organization declared.
    uint32 count;
    /// The categories of its records, as a bitmap of `DataCategory` positions.
    uint32 categories;
}

/// @notice A request to amend a record as returned by `IRecordRegistry.amendment`.
struct AmendmentRequest {
    /// The version the patient asked to amend.
    bytes32 record;
    ParticipantId patient;
    AmendmentStatus status;
    uint48 requestedAt;
    uint48 answeredAt;
    /// The curator's reason code for a denial; zero otherwise.
    uint16 denialReason;
    /// The amended version for an accepted request; zero otherwise.
    bytes32 amendedVersion;
}
