// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";

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
    /// The old key handed the id to a new key that signed its consent.
    Rotation,
    /// The patient's guardians recovered the id after the delay; the new key executed it.
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
    /// Bumped by every change of key; a new key's consent signature names the epoch, so it can be used once.
    uint24 keyEpoch;
    /// The organization a practitioner or device acts for, once that organization accepted it; NONE for every
    /// other kind, and while an offer awaits acceptance (see `affiliationOffer`).
    ParticipantId affiliation;
    /// Salted commitment to the off-chain credential (licence, NPI or accreditation document); zero for patients.
    bytes32 credentialCommitment;
}
