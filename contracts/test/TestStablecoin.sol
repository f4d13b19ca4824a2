// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestStablecoin
/// @notice A 6-decimal stand-in for a settlement stablecoin (USDC-like) on local and test chains; the owner mints.
/// Test contract: a real network settles in the consortium's own token, named in its deploy parameters.
contract TestStablecoin is ERC20, ERC20Permit, Ownable {
    constructor(
        address owner
    ) ERC20("CareLedger Test Dollar", "tUSD") ERC20Permit("CareLedger Test Dollar") Ownable(owner) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
