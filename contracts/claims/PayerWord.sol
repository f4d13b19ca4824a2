// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// One of the claims adjudicator's hot storage words; see PlanWord.sol for the conventions.

/// @notice A payer's funds and its queue of unpaid payments.
/// @dev
///     255 .. 192   191 .. 128   127 .. 0
///   [   tail    ][   head    ][  balance  ]
///        64           64           128
/// The queue holds the entries numbered `head` up to `tail - 1`; it is empty when they are equal.
type PayerWord is uint256;

using PayerWordLib for PayerWord global;

library PayerWordLib {
    uint256 private constant _BALANCE_MASK = type(uint128).max;
    uint256 private constant _INDEX_MASK = type(uint64).max;
    uint256 private constant _HEAD_SHIFT = 128;
    uint256 private constant _TAIL_SHIFT = 192;

    function pack(uint256 balance_, uint256 head_, uint256 tail_) internal pure returns (PayerWord) {
        return PayerWord.wrap((tail_ << _TAIL_SHIFT) | (head_ << _HEAD_SHIFT) | balance_);
    }

    function balance(PayerWord word) internal pure returns (uint256) {
        return PayerWord.unwrap(word) & _BALANCE_MASK;
    }

    function head(PayerWord word) internal pure returns (uint256) {
        return (PayerWord.unwrap(word) >> _HEAD_SHIFT) & _INDEX_MASK;
    }

    function tail(PayerWord word) internal pure returns (uint256) {
        return PayerWord.unwrap(word) >> _TAIL_SHIFT;
    }

    function hasQueue(PayerWord word) internal pure returns (bool) {
        return word.head() != word.tail();
    }
}
