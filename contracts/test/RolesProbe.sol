// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../access/Roles.sol";

/// @dev Test-only: exposes the Solidity role constants so that a test can check the TypeScript mirror against them.
contract RolesProbe {
    function roles()
        external
        pure
        returns (
            uint64 admin,
            uint64 registrar,
            uint64 pauser,
            uint64 auditor,
            uint64 institutionRecovery,
            uint64 claimsReviewer
        )
    {
        return (
            Roles.ADMIN,
            Roles.REGISTRAR,
            Roles.PAUSER,
            Roles.AUDITOR,
            Roles.INSTITUTION_RECOVERY,
            Roles.CLAIMS_REVIEWER
        );
    }
}
