// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IIdentifierRegistry} from "./IIdentifierRegistry.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {ParticipantKind} from "./Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";

/// @title IdentifierRegistry
/// @notice Identifiers institutions issued to patients, attested by the issuer and accepted by the patient, each in
/// its issuer's namespace. See {IIdentifierRegistry}.
contract IdentifierRegistry is IIdentifierRegistry, CareLedgerModule {
    /// @dev An issuer's attestation of an identifier commitment, in one slot: 64 + 8 bits.
    struct Identifier {
        ParticipantId patient;
        bool bound;
    }

    IIdentityRegistry private immutable _IDENTITY;

    mapping(ParticipantId issuer => mapping(bytes32 commitment => Identifier identifier)) private _identifiers;

    /// @param authority The suite's AccessManager.
    /// @param identity The identity registry.
    constructor(address authority, IIdentityRegistry identity) CareLedgerModule(authority) {
        if (address(identity).code.length == 0) revert IdentifierInvalidDependency(address(identity));
        _IDENTITY = identity;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentifierRegistry
    function attest(ParticipantId patient, bytes32 commitment) external override whenNotPaused {
        (ParticipantId issuer, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || !_isInstitution(kind)) revert IdentifierNotAnInstitution(msg.sender);
        (ParticipantKind patientKind, , ) = _IDENTITY.standingOf(patient);
        if (patientKind != ParticipantKind.Patient) revert IdentifierNotAPatient(patient);
        if (commitment == bytes32(0)) revert IdentifierZeroCommitment();
        Identifier storage identifier = _identifiers[issuer][commitment];
        if (identifier.bound) revert IdentifierAlreadyBound(issuer, commitment);
        identifier.patient = patient;
        emit IdentifierAttested(issuer, patient, commitment);
    }

    /// @inheritdoc IIdentifierRegistry
    function accept(ParticipantId patient, ParticipantId issuer, bytes32 commitment) external override whenNotPaused {
        (ParticipantId caller, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Patient || caller != patient) {
            revert IdentifierNotPatientKey(patient, msg.sender);
        }
        Identifier storage identifier = _identifiers[issuer][commitment];
        if (identifier.bound || identifier.patient != patient) {
            revert IdentifierNoAttestation(issuer, commitment, patient);
        }
        identifier.bound = true;
        emit IdentifierBound(patient, issuer, commitment);
    }

    /// @inheritdoc IIdentifierRegistry
    function withdraw(ParticipantId issuer, bytes32 commitment) external override {
        Identifier storage identifier = _identifiers[issuer][commitment];
        ParticipantId patient = identifier.patient;
        ParticipantId caller = _IDENTITY.idOf(msg.sender);
        if (patient.isNone() || caller.isNone() || (caller != issuer && caller != patient)) {
            revert IdentifierNotParty(issuer, commitment, msg.sender);
        }
        delete _identifiers[issuer][commitment];
        emit IdentifierWithdrawn(issuer, commitment, patient);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The registry's semantic version.
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    /// @inheritdoc IIdentifierRegistry
    function ownerOf(ParticipantId issuer, bytes32 commitment) external view override returns (ParticipantId) {
        Identifier memory identifier = _identifiers[issuer][commitment];
        return identifier.bound ? identifier.patient : ParticipantIdLib.NONE;
    }

    /// @inheritdoc IIdentifierRegistry
    function attestation(
        ParticipantId issuer,
        bytes32 commitment
    ) external view override returns (ParticipantId patient, bool bound) {
        Identifier memory identifier = _identifiers[issuer][commitment];
        return (identifier.patient, identifier.bound);
    }

    /// @inheritdoc IIdentifierRegistry
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @dev Institutions: every kind a registrar registers that does not act for another.
    function _isInstitution(ParticipantKind kind) private pure returns (bool) {
        return
            kind != ParticipantKind.None &&
            kind != ParticipantKind.Patient &&
            kind != ParticipantKind.Practitioner &&
            kind != ParticipantKind.Device;
    }
}
