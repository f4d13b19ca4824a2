// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roles
/// @notice The role ids of CareLedger's one permission authority, an OpenZeppelin `AccessManager`.
/// @dev Mirrored in `sdk/core/roles.ts`; `test/access/Roles.test.ts` checks that the two agree and the role-wiring
/// test checks that every restricted function of every deployed module is assigned as `deploy/modules` says.
library Roles {
    /// @notice The consortium admin: configures the authority, grants roles, unpauses. Equal to
    /// `AccessManager.ADMIN_ROLE`; members hold it with the execution delay set by the deploy parameters, so that
    /// every admin operation is scheduled and can be seen (and cancelled by a guardian) before it runs.
    uint64 internal constant ADMIN = 0;

    /// @notice Registrars verify institutional participants and practitioners, proof patients' identity and
    /// suspend, reinstate or revoke participants.
    uint64 internal constant REGISTRAR = 1;

    /// @notice Pausers stop a module in an emergency; only the admin unpauses.
    uint64 internal constant PAUSER = 2;

    /// @notice Auditors review break-glass access and audit trails in later modules.
    uint64 internal constant AUDITOR = 3;

    /// @notice Registrars acting on the recovery of an institution's controlling key. Granted with the admin
    /// execution delay: a recovery is scheduled on the authority and executes only after that delay, during which
    /// the admin (the role's guardian) can cancel it.
    uint64 internal constant INSTITUTION_RECOVERY = 4;
    /// @notice A payer's appeal reviewers (its medical directors): they uphold or overturn appeals of denied claim
    /// lines. The claims adjudicator also requires a reviewer to be an active practitioner affiliated with the payer of
    /// the claim's plan, so that holding the role never lets one payer decide another's appeals.
    uint64 internal constant CLAIMS_REVIEWER = 5;
}
