// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "./ParticipantId.sol";

/// @notice What a participant is. Stored as one byte; new kinds are only ever appended.
enum ParticipantKind {
    None,
    Patient,
    Practitioner,
    /// A hospital, clinic or laboratory.
    Organization,
    Payer,
    Pharmacy,
    Manufacturer,
    Distributor,
    ResearchSponsor,
    /// A regulator or external auditor.
    Regulator,
    Device
}

/// @notice A participant's standing as set by registrars. An expired credential makes an `Active` participant
/// inactive without anyone acting; `Revoked` is final.
enum ParticipantStatus {
    None,
    Active,
    Suspended,
    Revoked
}

/// @notice Why a participant's controlling key changed.
enum ControllerChange {
    /// The old key proposed and the new key accepted.
    Rotation,
    /// The patient's guardians recovered the id after the delay.
    GuardianRecovery,
    /// A registrar recovered an institutional id through the delayed recovery role.
    RegistrarRecovery
}

/// @notice Everything the registry knows about one participant, as returned by `participant(id)`.
struct Participant {
    address controller;
    ParticipantKind kind;
    ParticipantStatus status;
    bool identityProofed;
    /// Unix time after which the credential no longer counts; 0 for patients, whose ids do not expire.
    uint48 credentialExpiry;
    /// Bumped by every key change and cancellation; a pending rotation or recovery is live only while
    /// the epoch it was made in is current.
    uint24 keyEpoch;
    /// The organization a practitioner or device acts for; NONE for every other kind.
    ParticipantId affiliation;
    /// Salted commitment to the off-chain credential (licence, NPI or accreditation document); zero for patients.
    bytes32 credentialCommitment;
}
