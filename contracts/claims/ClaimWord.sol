// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClaimStatus, PaymentStatus} from "./Claims.sol";

// One of the claims adjudicator's hot storage words; see PlanWord.sol for the conventions.

/// @notice A claim's on-chain summary (its content hash is kept beside it).
/// @dev
///     255 .. 168     167 .. 80    79 .. 40         39 .. 24      23 .. 8     7 .. 4     3 .. 0
///   [ patientOwes ][ planPays ][ adjudicatedAt ][ prDenials ][ denied ][ payment ][ status ]
///         88            88           40               16          16         4          4
/// `denied` has bit i set when line i is denied; `prDenials` when it is denied as patient responsibility (group PR),
/// so the patient owes its billed amount. A claim has at most 16 lines.
type ClaimWord is uint256;

using ClaimWordLib for ClaimWord global;

library ClaimWordLib {
    uint256 private constant _NIBBLE = 0xf;
    uint256 private constant _PAYMENT_SHIFT = 4;
    uint256 private constant _MASK16 = 0xffff;
    uint256 private constant _DENIED_SHIFT = 8;
    uint256 private constant _PR_SHIFT = 24;
    uint256 private constant _TIME_SHIFT = 40;
    uint256 private constant _TIME_MASK = type(uint40).max;
    uint256 private constant _PLAN_PAYS_SHIFT = 80;
    uint256 private constant _OWES_SHIFT = 168;
    uint256 private constant _TOTAL_MASK = type(uint88).max;

    function pack(
        ClaimStatus status_,
        PaymentStatus payment_,
        uint256 denied_,
        uint256 prDenials_,
        uint256 adjudicatedAt_,
        uint256 planPays_,
        uint256 patientOwes_
    ) internal pure returns (ClaimWord) {
        return
            ClaimWord.wrap(
                (patientOwes_ << _OWES_SHIFT) |
                    (planPays_ << _PLAN_PAYS_SHIFT) |
                    (adjudicatedAt_ << _TIME_SHIFT) |
                    (prDenials_ << _PR_SHIFT) |
                    (denied_ << _DENIED_SHIFT) |
                    (uint256(uint8(payment_)) << _PAYMENT_SHIFT) |
                    uint256(uint8(status_))
            );
    }

    function isEmpty(ClaimWord word) internal pure returns (bool) {
        return ClaimWord.unwrap(word) == 0;
    }

    function status(ClaimWord word) internal pure returns (ClaimStatus) {
        return ClaimStatus(ClaimWord.unwrap(word) & _NIBBLE);
    }

    function payment(ClaimWord word) internal pure returns (PaymentStatus) {
        return PaymentStatus((ClaimWord.unwrap(word) >> _PAYMENT_SHIFT) & _NIBBLE);
    }

    function denied(ClaimWord word) internal pure returns (uint256) {
        return (ClaimWord.unwrap(word) >> _DENIED_SHIFT) & _MASK16;
    }

    function prDenials(ClaimWord word) internal pure returns (uint256) {
        return (ClaimWord.unwrap(word) >> _PR_SHIFT) & _MASK16;
    }

    function adjudicatedAt(ClaimWord word) internal pure returns (uint256) {
        return (ClaimWord.unwrap(word) >> _TIME_SHIFT) & _TIME_MASK;
    }

    function planPays(ClaimWord word) internal pure returns (uint256) {
        return (ClaimWord.unwrap(word) >> _PLAN_PAYS_SHIFT) & _TOTAL_MASK;
    }

    function patientOwes(ClaimWord word) internal pure returns (uint256) {
        return ClaimWord.unwrap(word) >> _OWES_SHIFT;
    }

    function withPayment(ClaimWord word, PaymentStatus payment_) internal pure returns (ClaimWord) {
        return
            ClaimWord.wrap(
                (ClaimWord.unwrap(word) & ~(_NIBBLE << _PAYMENT_SHIFT)) | (uint256(uint8(payment_)) << _PAYMENT_SHIFT)
            );
    }
}
