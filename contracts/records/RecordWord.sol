// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";
import {RecordStatus} from "./Record.sol";

/// @notice One anchored version of a record in one storage word: the patient, who anchored it, the organization
/// it was anchored under, when, its category and its status. An anchor is one SSTORE.
/// @dev Layout (bit 255 is the most significant):
///
///   255 .. 192     191 .. 128   127 .. 64    63 .. 16      15 .. 8     7 .. 3     2          1 .. 0
///  [ organization ][ author   ][ patient  ][ anchoredAt ][ category ][ unused ][ fromBatch ][ status ]
///        64             64          64          48            8          5          1           2
///
/// A zero word is "nothing anchored" (status None); every anchored word has a non-zero status.
type RecordWord is uint256;

using RecordWordLib for RecordWord global;

library RecordWordLib {
    uint256 private constant _STATUS_MASK = 0x3;
    uint256 private constant _FROM_BATCH_BIT = 0x4;
    uint256 private constant _CATEGORY_SHIFT = 8;
    uint256 private constant _ANCHORED_AT_SHIFT = 16;
    uint256 private constant _PATIENT_SHIFT = 64;
    uint256 private constant _AUTHOR_SHIFT = 128;
    uint256 private constant _ORGANIZATION_SHIFT = 192;

    /// @dev A new `Current` word. `category` is below 16 and `anchoredAt` a `uint48`, so no field spills.
    function pack(
        ParticipantId patient_,
        ParticipantId author_,
        ParticipantId organization_,
        uint48 anchoredAt_,
        uint8 category_,
        bool fromBatch_
    ) internal pure returns (RecordWord) {
        return
            RecordWord.wrap(
                (uint256(ParticipantId.unwrap(organization_)) << _ORGANIZATION_SHIFT) |
                    (uint256(ParticipantId.unwrap(author_)) << _AUTHOR_SHIFT) |
                    (uint256(ParticipantId.unwrap(patient_)) << _PATIENT_SHIFT) |
                    (uint256(anchoredAt_) << _ANCHORED_AT_SHIFT) |
                    (uint256(category_) << _CATEGORY_SHIFT) |
                    (fromBatch_ ? _FROM_BATCH_BIT : 0) |
                    uint256(RecordStatus.Current)
            );
    }

    function status(RecordWord word) internal pure returns (RecordStatus) {
        return RecordStatus(RecordWord.unwrap(word) & _STATUS_MASK);
    }

    function fromBatch(RecordWord word) internal pure returns (bool) {
        return RecordWord.unwrap(word) & _FROM_BATCH_BIT != 0;
    }

    function category(RecordWord word) internal pure returns (uint8) {
        return uint8(RecordWord.unwrap(word) >> _CATEGORY_SHIFT);
    }

    function anchoredAt(RecordWord word) internal pure returns (uint48) {
        return uint48(RecordWord.unwrap(word) >> _ANCHORED_AT_SHIFT);
    }

    function patient(RecordWord word) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(RecordWord.unwrap(word) >> _PATIENT_SHIFT));
    }

    function author(RecordWord word) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(RecordWord.unwrap(word) >> _AUTHOR_SHIFT));
    }

    function organization(RecordWord word) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(RecordWord.unwrap(word) >> _ORGANIZATION_SHIFT));
    }

    /// @dev The same word with another status; every other field is kept.
    function withStatus(RecordWord word, RecordStatus status_) internal pure returns (RecordWord) {
        return RecordWord.wrap((RecordWord.unwrap(word) & ~_STATUS_MASK) | uint256(status_));
    }
}
