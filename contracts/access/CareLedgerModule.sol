// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IPausableModule} from "./IPausableModule.sol";

/// @title CareLedgerModule
/// @notice Base of every CareLedger module: managed by the suite's one `AccessManager` and pausable through it.
/// @dev Storage: `AccessManaged` (authority address and a flag, 21 bytes) and `Pausable` (a 1-byte flag) share
/// slot 0 and leave 10 bytes free; a module that declares a small hot variable first (the registry's id counter)
/// gets it into that slot too, so checking the pause flag and bumping the counter touch one slot.
abstract contract CareLedgerModule is IPausableModule, AccessManaged, Pausable {
    constructor(address authority) AccessManaged(authority) {}

    /// @inheritdoc IPausableModule
    function pause() external override restricted {
        _pause();
    }

    /// @inheritdoc IPausableModule
    function unpause() external override restricted {
        _unpause();
    }

    /// @inheritdoc IPausableModule
    function paused() public view override(IPausableModule, Pausable) returns (bool) {
        return super.paused();
    }
}
