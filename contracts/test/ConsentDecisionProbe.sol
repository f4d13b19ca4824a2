// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentRegistry} from "../consent/IConsentRegistry.sol";
import {Decision} from "../consent/Consent.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title ConsentDecisionProbe
/// @notice Test and benchmark helper, never deployed in production: a contract that asks the consent registry for a
/// decision the way another CareLedger module (or an integrator's contract) would, with the registry's address
/// fixed at construction, as the first thing in a transaction, so that the registry, the identity registry, the
/// policy and every slot they read are cold.
contract ConsentDecisionProbe {
    IConsentRegistry private immutable _REGISTRY;

    /// @notice The decision the last `checkAndKeep` received, for tests to read back.
    Decision public last;

    constructor(IConsentRegistry registry) {
        _REGISTRY = registry;
    }

    /// @notice Asks for a decision now and returns whether it allows. Stores nothing, so that the transaction's
    /// execution gas is the decision's cost plus this function's own few hundred gas.
    function check(
        ParticipantId patient,
        address accessor,
        uint8 category,
        uint8 purpose
    ) external view returns (bool) {
        return _REGISTRY.decide(patient, accessor, category, purpose, uint48(block.timestamp)).allowed;
    }

    /// @notice Asks for a decision and keeps it, so that a test can compare it with the registry's own answer.
    function checkAndKeep(
        ParticipantId patient,
        address accessor,
        uint8 category,
        uint8 purpose
    ) external returns (bool) {
        last = _REGISTRY.decide(patient, accessor, category, purpose, uint48(block.timestamp));
        return last.allowed;
    }
}
