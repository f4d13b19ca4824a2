// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title IIdentifierRegistry
/// @notice Links a patient's pseudonymous id to the identifiers institutions issued her (a medical record number, a
/// member number), without PHI: each identifier is a salted commitment (e.g. keccak256(salt ‖ system ‖ MRN)). The
/// issuer draws the salt and gives it to the patient with the identifier; the patient (or the issuer on her behalf)
/// shares it only with the providers she links, so that a provider who looks the commitment up finds the right
/// patient. Without the salt no one can test a guessed MRN against the chain.
///
/// Identifiers live in their issuer's namespace and need two parties: the issuing institution attests that it issued
/// the identifier to the patient, and the patient accepts. Nobody else can bind, reserve or squat an issuer's
/// commitment, and no institution can link a patient who has not agreed (a binding tells the consortium that the
/// patient is known to the issuer). Either party may withdraw a binding.
/// @dev Reads who is who from the identity registry. Pausable through the suite's AccessManager: while paused,
/// attesting and accepting stop; withdrawing keeps working.
interface IIdentifierRegistry {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A dependency (the identity registry) must be a contract.
    error IdentifierInvalidDependency(address dependency);
    /// @notice Only the key of an active institution (an organization, payer, pharmacy or other registered body, not
    /// a practitioner or device) attests identifiers it issued.
    error IdentifierNotAnInstitution(address account);
    /// @notice The id is not a registered patient.
    error IdentifierNotAPatient(ParticipantId patient);
    /// @notice An identifier commitment must not be zero.
    error IdentifierZeroCommitment();
    /// @notice The issuer's commitment is bound to a patient already; withdraw it first.
    error IdentifierAlreadyBound(ParticipantId issuer, bytes32 commitment);
    /// @notice Only the patient's active key accepts an identifier for her.
    error IdentifierNotPatientKey(ParticipantId patient, address account);
    /// @notice The issuer attested no such identifier for this patient (or it is bound already).
    error IdentifierNoAttestation(ParticipantId issuer, bytes32 commitment, ParticipantId patient);
    /// @notice The caller is neither the identifier's issuer nor the patient it names.
    error IdentifierNotParty(ParticipantId issuer, bytes32 commitment, address account);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `issuer` attested that it issued the identifier behind `commitment` to `patient`; it binds when the
    /// patient accepts.
    event IdentifierAttested(ParticipantId indexed issuer, ParticipantId indexed patient, bytes32 indexed commitment);
    /// @notice The patient accepted the issuer's attestation: `ownerOf(issuer, commitment)` is the patient.
    event IdentifierBound(ParticipantId indexed patient, ParticipantId indexed issuer, bytes32 indexed commitment);
    /// @notice The attestation (bound or not) was withdrawn by the issuer or by the patient it names.
    event IdentifierWithdrawn(ParticipantId indexed issuer, bytes32 indexed commitment, ParticipantId indexed patient);

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @notice An institution attests that it issued the identifier behind `commitment` to `patient`. A new
    /// attestation of the same commitment replaces one the patient has not accepted.
    /// @dev Requirements: not paused; the caller is an active institution; `patient` is a patient; the commitment is
    /// non-zero and not bound. Emits `IdentifierAttested`.
    function attest(ParticipantId patient, bytes32 commitment) external;

    /// @notice The patient accepts the issuer's attestation, binding the identifier to her id.
    /// @dev Requirements: not paused; the caller is the patient's active key; the issuer attested this commitment for
    /// this patient and it is not bound yet. Emits `IdentifierBound`.
    function accept(ParticipantId patient, ParticipantId issuer, bytes32 commitment) external;

    /// @notice The issuer, or the patient an attestation names, withdraws it (bound or not): it named the wrong
    /// patient, or the patient no longer wants the link. Works while paused.
    /// @dev Requirements: the caller's key controls the issuer or the patient (active or not). Emits
    /// `IdentifierWithdrawn`.
    function withdraw(ParticipantId issuer, bytes32 commitment) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The patient the issuer's identifier commitment is bound to (attested and accepted), or NONE.
    function ownerOf(ParticipantId issuer, bytes32 commitment) external view returns (ParticipantId);

    /// @notice The issuer's attestation of `commitment`: the patient it names and whether she accepted it.
    function attestation(
        ParticipantId issuer,
        bytes32 commitment
    ) external view returns (ParticipantId patient, bool bound);

    /// @notice The identity registry the registry reads participants from.
    function identityRegistry() external view returns (IIdentityRegistry);
}
