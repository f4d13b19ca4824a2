// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// One of the claims adjudicator's hot storage words; see PlanWord.sol for the conventions.

/// @notice One procedure code of a plan's fee schedule.
/// @dev
///     255 .. 162   161        160                 159 .. 80   79 .. 0
///   [  unused  ][ listed ][ requiresPriorAuth ][   copay   ][ allowedPerUnit ]
///        94         1              1                80             80
type FeeWord is uint256;

using FeeWordLib for FeeWord global;

library FeeWordLib {
    uint256 private constant _AMOUNT_MASK = type(uint80).max;
    uint256 private constant _COPAY_SHIFT = 80;
    uint256 private constant _PRIOR_AUTH_FLAG = 1 << 160;
    uint256 private constant _LISTED_FLAG = 1 << 161;

    FeeWord internal constant UNLISTED = FeeWord.wrap(0);

    function pack(uint80 allowedPerUnit_, uint80 copay_, bool requiresPriorAuth_) internal pure returns (FeeWord) {
        return
            FeeWord.wrap(
                _LISTED_FLAG |
                    (requiresPriorAuth_ ? _PRIOR_AUTH_FLAG : 0) |
                    (uint256(copay_) << _COPAY_SHIFT) |
                    uint256(allowedPerUnit_)
            );
    }

    function isListed(FeeWord word) internal pure returns (bool) {
        return FeeWord.unwrap(word) & _LISTED_FLAG != 0;
    }

    function allowedPerUnit(FeeWord word) internal pure returns (uint256) {
        return FeeWord.unwrap(word) & _AMOUNT_MASK;
    }

    function copay(FeeWord word) internal pure returns (uint256) {
        return (FeeWord.unwrap(word) >> _COPAY_SHIFT) & _AMOUNT_MASK;
    }

    function requiresPriorAuth(FeeWord word) internal pure returns (bool) {
        return FeeWord.unwrap(word) & _PRIOR_AUTH_FLAG != 0;
    }
}
