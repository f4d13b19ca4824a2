// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ConsentState} from "./Consent.sol";

/// @notice Everything one patient has said about one grantee, in one storage word: the permit (categories, purposes,
/// validity window) and the explicit deny.
/// @dev Layout (bit 255 is the most significant):
///
///   255 .. 232   231 .. 160    159 .. 128    127 .. 88    87 .. 48    47 .. 32   31 .. 0
///  [ version  ][  unused   ][   denied   ][ validUntil ][ validFrom ][ purposes ][ categories ]
///                               categories
///       24          72             32            40           40          16          32

/// Times are `uint40` (good until the year 36812): the registry bounds every time it stores to within a few years of
/// now, so the narrowing is lossless. One word means an access decision reads one slot per grantee: the accessor's
/// own and, for a practitioner or device, its organization's.
type ConsentEntry is uint256;

using ConsentEntryLib for ConsentEntry global;

library ConsentEntryLib {
    uint256 private constant _CATEGORIES_MASK = type(uint32).max;
    uint256 private constant _PURPOSES_SHIFT = 32;
    uint256 private constant _PURPOSES_MASK = type(uint16).max;
    uint256 private constant _VALID_FROM_SHIFT = 48;
    uint256 private constant _VALID_UNTIL_SHIFT = 88;
    uint256 private constant _DENIED_SHIFT = 128;
    uint256 private constant _VERSION_SHIFT = 232;
    uint256 private constant _TIME_MASK = type(uint40).max;
    uint256 private constant _VERSION_MASK = type(uint24).max;

    /// @dev The permit fields (categories, purposes, window): bits 0 to 127.
    uint256 private constant _PERMIT_MASK = (1 << _DENIED_SHIFT) - 1;
    uint256 private constant _DENIED_FIELD = _CATEGORIES_MASK << _DENIED_SHIFT;

    // ----- reads -----

    function categories(ConsentEntry entry) internal pure returns (uint32) {
        return uint32(ConsentEntry.unwrap(entry) & _CATEGORIES_MASK);
    }

    function purposes(ConsentEntry entry) internal pure returns (uint16) {
        return uint16((ConsentEntry.unwrap(entry) >> _PURPOSES_SHIFT) & _PURPOSES_MASK);
    }

    function validFrom(ConsentEntry entry) internal pure returns (uint48) {
        return uint48((ConsentEntry.unwrap(entry) >> _VALID_FROM_SHIFT) & _TIME_MASK);
    }

    function validUntil(ConsentEntry entry) internal pure returns (uint48) {
        return uint48((ConsentEntry.unwrap(entry) >> _VALID_UNTIL_SHIFT) & _TIME_MASK);
    }

    function deniedCategories(ConsentEntry entry) internal pure returns (uint32) {
        return uint32((ConsentEntry.unwrap(entry) >> _DENIED_SHIFT) & _CATEGORIES_MASK);
    }

    function version(ConsentEntry entry) internal pure returns (uint32) {
        return uint32(ConsentEntry.unwrap(entry) >> _VERSION_SHIFT);
    }

    /// @dev Whether the permit is in force at `time`: it names something and `validFrom <= time < validUntil`.
    function isLive(ConsentEntry entry, uint48 time) internal pure returns (bool) {
        return entry.categories() != 0 && entry.validFrom() <= time && time < entry.validUntil();
    }

    /// @dev Whether the permit, in force at `time`, includes the category bit and the purpose bit (a wildcard set
    /// includes every bit; whether that is enough is the policy's question, not this library's).
    function covers(
        ConsentEntry entry,
        uint32 categoryBit,
        uint16 purposeBit,
        uint48 time
    ) internal pure returns (bool) {
        return entry.categories() & categoryBit != 0 && entry.purposes() & purposeBit != 0 && entry.isLive(time);
    }

    function denies(ConsentEntry entry, uint32 categoryBit) internal pure returns (bool) {
        return entry.deniedCategories() & categoryBit != 0;
    }

    function decode(ConsentEntry entry) internal pure returns (ConsentState memory) {
        return
            ConsentState({
                categories: entry.categories(),
                purposes: entry.purposes(),
                validFrom: entry.validFrom(),
                validUntil: entry.validUntil(),
                deniedCategories: entry.deniedCategories(),
                version: entry.version()
            });
    }

    // ----- writes (pure: they return the new word) -----

    /// @dev The word with its permit replaced and its version moved on by one. The caller bounds the times to
    /// `uint40`. At most 2^24 - 1 permit changes per pair (unreachable in practice); `SafeCast` reverts past that
    /// rather than wrapping.
    function withPermit(
        ConsentEntry entry,
        uint32 categories_,
        uint16 purposes_,
        uint48 validFrom_,
        uint48 validUntil_
    ) internal pure returns (ConsentEntry) {
        uint256 nextVersion = SafeCast.toUint24(uint256(entry.version()) + 1);
        uint256 kept = ConsentEntry.unwrap(entry) & ~_PERMIT_MASK & ~(_VERSION_MASK << _VERSION_SHIFT);
        return
            ConsentEntry.wrap(
                kept |
                    (nextVersion << _VERSION_SHIFT) |
                    (uint256(validUntil_) << _VALID_UNTIL_SHIFT) |
                    (uint256(validFrom_) << _VALID_FROM_SHIFT) |
                    (uint256(purposes_) << _PURPOSES_SHIFT) |
                    categories_
            );
    }

    function withDenied(ConsentEntry entry, uint32 denied) internal pure returns (ConsentEntry) {
        return ConsentEntry.wrap((ConsentEntry.unwrap(entry) & ~_DENIED_FIELD) | (uint256(denied) << _DENIED_SHIFT));
    }
}
