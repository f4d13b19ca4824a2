// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// One of the claims adjudicator's hot storage words; see PlanWord.sol for the conventions.

/// @notice One coverage period of a patient in a plan and its accumulators.
/// @dev
///     255 .. 240   239 .. 160   159 .. 80        79 .. 40      39 .. 0
///   [    seq    ][  oopMet   ][ deductibleMet ][ coverageEnd ][ coverageStart ]
///         16          80             80               40              40
/// `seq` numbers the patient's enrollments in the plan from 0, in the order the payer made them.
type EnrollmentWord is uint256;

using EnrollmentWordLib for EnrollmentWord global;

library EnrollmentWordLib {
    uint256 private constant _TIME_MASK = type(uint40).max;
    uint256 private constant _END_SHIFT = 40;
    uint256 private constant _AMOUNT_MASK = type(uint80).max;
    uint256 private constant _DEDUCTIBLE_SHIFT = 80;
    uint256 private constant _OOP_SHIFT = 160;
    uint256 private constant _SEQ_SHIFT = 240;
    /// @dev Everything below the accumulators: the period and the sequence number.
    uint256 private constant _ACCUMULATORS_MASK = ((1 << 160) - 1) << _DEDUCTIBLE_SHIFT;

    function pack(uint16 seq_, uint40 coverageStart_, uint40 coverageEnd_) internal pure returns (EnrollmentWord) {
        return
            EnrollmentWord.wrap(
                (uint256(seq_) << _SEQ_SHIFT) | (uint256(coverageEnd_) << _END_SHIFT) | uint256(coverageStart_)
            );
    }

    function isEmpty(EnrollmentWord word) internal pure returns (bool) {
        return EnrollmentWord.unwrap(word) == 0;
    }

    function coverageStart(EnrollmentWord word) internal pure returns (uint256) {
        return EnrollmentWord.unwrap(word) & _TIME_MASK;
    }

    function coverageEnd(EnrollmentWord word) internal pure returns (uint256) {
        return (EnrollmentWord.unwrap(word) >> _END_SHIFT) & _TIME_MASK;
    }

    function covers(EnrollmentWord word, uint256 time) internal pure returns (bool) {
        return word.coverageStart() <= time && time <= word.coverageEnd();
    }

    function deductibleMet(EnrollmentWord word) internal pure returns (uint256) {
        return (EnrollmentWord.unwrap(word) >> _DEDUCTIBLE_SHIFT) & _AMOUNT_MASK;
    }

    function oopMet(EnrollmentWord word) internal pure returns (uint256) {
        return (EnrollmentWord.unwrap(word) >> _OOP_SHIFT) & _AMOUNT_MASK;
    }

    function seq(EnrollmentWord word) internal pure returns (uint256) {
        return EnrollmentWord.unwrap(word) >> _SEQ_SHIFT;
    }

    /// @dev Both accumulators replaced; the caller keeps each below 2^80 (see the adjudicator's pricing).
    function withAccumulators(
        EnrollmentWord word,
        uint256 deductibleMet_,
        uint256 oopMet_
    ) internal pure returns (EnrollmentWord) {
        return
            EnrollmentWord.wrap(
                (EnrollmentWord.unwrap(word) & ~_ACCUMULATORS_MASK) |
                    (oopMet_ << _OOP_SHIFT) |
                    (deductibleMet_ << _DEDUCTIBLE_SHIFT)
            );
    }
}
