// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// One of the claims adjudicator's hot storage words; see PlanWord.sol for the conventions.

/// @notice One procedure code of a plan's fee schedule.
/// @dev
///     255 .. 194   193 .. 162   161        160                 159 .. 80   79 .. 0
///   [  unused  ][ maxUnits  ][ listed ][ requiresPriorAuth ][   copay   ][ allowedPerUnit ]
///        62          32          1              1                80             80
/// `maxUnits` is the medically unlikely edit, 0 for none.
type FeeWord is uint256;

using FeeWordLib for FeeWord global;

library FeeWordLib {
    uint256 private constant _AMOUNT_MASK = type(uint80).max;
    uint256 private constant _COPAY_SHIFT = 80;
    uint256 private constant _PRIOR_AUTH_FLAG = 1 << 160;
    uint256 private constant _LISTED_FLAG = 1 << 161;
    uint256 private constant _MAX_UNITS_SHIFT = 162;
    uint256 private constant _MAX_UNITS_MASK = type(uint32).max;

    FeeWord internal constant UNLISTED = FeeWord.wrap(0);

    function pack(
        uint80 allowedPerUnit_,
        uint80 copay_,
        bool requiresPriorAuth_,
        uint32 maxUnits_
    ) internal pure returns (FeeWord) {
        return
            FeeWord.wrap(
                (uint256(maxUnits_) << _MAX_UNITS_SHIFT) |
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

    /// @dev The most units a line may bill for the code; 0 for no limit.
    function maxUnits(FeeWord word) internal pure returns (uint256) {
        return (FeeWord.unwrap(word) >> _MAX_UNITS_SHIFT) & _MAX_UNITS_MASK;
    }
}
