// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IPausableModule
/// @notice The emergency stop that every CareLedger module has. While a module is paused its state-changing
/// functions revert with OpenZeppelin's `EnforcedPause()`; its views keep answering, so that other modules and
/// auditors can still read it.
interface IPausableModule {
    /// @notice Stops the module's state-changing functions.
    /// @dev Restricted: wired to `Roles.PAUSER`. Reverts with `EnforcedPause()` if already paused.
    function pause() external;

    /// @notice Restarts a paused module.
    /// @dev Restricted: wired to `Roles.ADMIN`, and so subject to the admin execution delay. Reverts with
    /// `ExpectedPause()` if not paused.
    function unpause() external;

    /// @notice Whether the module is paused.
    function paused() external view returns (bool);

    /// @notice The module's semantic version.
    function version() external pure returns (string memory);
}
