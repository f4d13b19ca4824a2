// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FalseReturningToken
/// @notice A settlement token whose `transfer` and `transferFrom` return false without moving anything once `failing`
/// is set (as some old tokens do instead of reverting). SafeERC20 must turn that into a revert. Test contract.
contract FalseReturningToken is ERC20 {
    /// @notice Whether transfers fail by returning false.
    bool public failing;

    constructor() ERC20("False Dollar", "fUSD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFailing(bool failing_) external {
        failing = failing_;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, value);
    }
}
