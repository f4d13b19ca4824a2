// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Gs1} from "../supplychain/Supply.sol";

/// @dev Test-only: exposes the GS1 date and check-digit library, so that a test can hold it to the SDK's
/// (sdk/supplychain/identifiers.ts) over the whole input range.
contract Gs1Probe {
    function expiryInstant(uint32 yymmdd) external pure returns (uint48) {
        return Gs1.expiryInstant(yymmdd);
    }

    function hasCheckDigit(uint64 value, uint256 digits) external pure returns (bool) {
        return Gs1.hasCheckDigit(value, digits);
    }
}
