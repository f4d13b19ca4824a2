// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlanStatus} from "./Claims.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

// The claims adjudicator's hot storage, one word per thing a claim touches. Each word is a value type with its
// layout below (bit 0 is the least significant) and a library that reads and writes its fields. Widths: ids 64 bits
// (like every participant id), money 80 bits per plan figure or line (1.2e24 base units: 1.2 million tokens of 18
// decimals, 1.2e18 of 6) and 88 bits per claim total (16 lines of 80 bits fit), times 40 bits (Unix seconds until
// the year 36812).

/// @notice A plan's hot terms: what every claim reads.
/// @dev
///     255 .. 240          239 .. 238   237 .. 224        223 .. 144   143 .. 64      63 .. 0
///   [ timelyFilingDays ][  status  ][ coinsuranceBps ][   oopMax   ][ deductible ][  payer  ]
///           16               2             14               80            80          64
/// 14 bits hold up to 16,383 basis points; terms never exceed 10,000.
type PlanWord is uint256;

using PlanWordLib for PlanWord global;

library PlanWordLib {
    uint256 private constant _ID_MASK = type(uint64).max;
    uint256 private constant _AMOUNT_MASK = type(uint80).max;
    uint256 private constant _DEDUCTIBLE_SHIFT = 64;
    uint256 private constant _OOP_SHIFT = 144;
    uint256 private constant _BPS_SHIFT = 224;
    uint256 private constant _BPS_MASK = (1 << 14) - 1;
    uint256 private constant _STATUS_SHIFT = 238;
    uint256 private constant _STATUS_MASK = 3;
    uint256 private constant _FILING_SHIFT = 240;

    function pack(
        ParticipantId payer_,
        PlanStatus status_,
        uint80 deductible_,
        uint80 oopMax_,
        uint16 coinsuranceBps_,
        uint16 timelyFilingDays_
    ) internal pure returns (PlanWord) {
        return
            PlanWord.wrap(
                (uint256(timelyFilingDays_) << _FILING_SHIFT) |
                    (uint256(uint8(status_)) << _STATUS_SHIFT) |
                    (uint256(coinsuranceBps_) << _BPS_SHIFT) |
                    (uint256(oopMax_) << _OOP_SHIFT) |
                    (uint256(deductible_) << _DEDUCTIBLE_SHIFT) |
                    ParticipantId.unwrap(payer_)
            );
    }

    function payer(PlanWord word) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(PlanWord.unwrap(word) & _ID_MASK));
    }

    function deductible(PlanWord word) internal pure returns (uint256) {
        return (PlanWord.unwrap(word) >> _DEDUCTIBLE_SHIFT) & _AMOUNT_MASK;
    }

    function oopMax(PlanWord word) internal pure returns (uint256) {
        return (PlanWord.unwrap(word) >> _OOP_SHIFT) & _AMOUNT_MASK;
    }

    function coinsuranceBps(PlanWord word) internal pure returns (uint256) {
        return (PlanWord.unwrap(word) >> _BPS_SHIFT) & _BPS_MASK;
    }

    function status(PlanWord word) internal pure returns (PlanStatus) {
        return PlanStatus((PlanWord.unwrap(word) >> _STATUS_SHIFT) & _STATUS_MASK);
    }

    function timelyFilingDays(PlanWord word) internal pure returns (uint256) {
        return PlanWord.unwrap(word) >> _FILING_SHIFT;
    }

    function withStatus(PlanWord word, PlanStatus status_) internal pure returns (PlanWord) {
        return
            PlanWord.wrap(
                (PlanWord.unwrap(word) & ~(_STATUS_MASK << _STATUS_SHIFT)) | (uint256(uint8(status_)) << _STATUS_SHIFT)
            );
    }
}
