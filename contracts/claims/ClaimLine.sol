// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice One service line of a claim, packed in one word so that a claim's calldata stays small.
/// @dev Layout (bit 0 is the least significant):
///
///     255 .. 200   199 .. 152      151 .. 72    71 .. 40    39 .. 0
///   [  unused  ][ serviceDate ][   billed   ][  units  ][   code   ]
///        56           48             80           32         40
///
/// - `code`: a CPT or HCPCS procedure code, five ASCII bytes (`bytes5`), e.g. "99213" = 0x3939323133;
/// - `units`: how many units of the service (at least 1);
/// - `billed`: the provider's charge for the line, in base units of the settlement token (at least 1); 80 bits make
///   a 16-line claim's totals fit in 88 bits with room to spare;
/// - `serviceDate`: Unix time of the service, not later than the submission.
/// The unused bits must be zero: `ClaimLineLib.isWellFormed` says whether they are.
type ClaimLine is uint256;

using ClaimLineLib for ClaimLine global;

library ClaimLineLib {
    uint256 private constant _CODE_MASK = type(uint40).max;
    uint256 private constant _UNITS_SHIFT = 40;
    uint256 private constant _UNITS_MASK = type(uint32).max;
    uint256 private constant _BILLED_SHIFT = 72;
    uint256 private constant _BILLED_MASK = type(uint80).max;
    uint256 private constant _DATE_SHIFT = 152;
    uint256 private constant _DATE_MASK = type(uint48).max;
    /// @dev 152 + 48 = 200 bits are used.
    uint256 private constant _USED_BITS = 200;

    function pack(bytes5 code_, uint32 units_, uint80 billed_, uint48 serviceDate_) internal pure returns (ClaimLine) {
        return
            ClaimLine.wrap(
                (uint256(serviceDate_) << _DATE_SHIFT) |
                    (uint256(billed_) << _BILLED_SHIFT) |
                    (uint256(units_) << _UNITS_SHIFT) |
                    uint256(uint40(code_))
            );
    }

    function isWellFormed(ClaimLine line) internal pure returns (bool) {
        return ClaimLine.unwrap(line) >> _USED_BITS == 0;
    }

    function code(ClaimLine line) internal pure returns (bytes5) {
        return bytes5(uint40(ClaimLine.unwrap(line) & _CODE_MASK));
    }

    function units(ClaimLine line) internal pure returns (uint256) {
        return (ClaimLine.unwrap(line) >> _UNITS_SHIFT) & _UNITS_MASK;
    }

    function billed(ClaimLine line) internal pure returns (uint256) {
        return (ClaimLine.unwrap(line) >> _BILLED_SHIFT) & _BILLED_MASK;
    }

    function serviceDate(ClaimLine line) internal pure returns (uint256) {
        return (ClaimLine.unwrap(line) >> _DATE_SHIFT) & _DATE_MASK;
    }
}
