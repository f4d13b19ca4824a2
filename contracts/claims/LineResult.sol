// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjustmentGroup, LineOutcome} from "./Claims.sol";

// A line's adjudication as the `LineAdjudicated` event carries it: two packed words instead of nine ABI words, some
// 2,000 gas less per line. The SDK's explanation-of-benefits decoder unpacks them (`sdk/claims/client.ts`). What the
// words leave out follows from them and the line: the contractual write-off is `billed − allowed` for an approved line
// (CARC 45, group CO); the patient owes `deductible + copay + coinsurance` for an approved line, the billed amount
// for a line denied as patient responsibility (group PR) and nothing for any other denial.

/// @notice The decision on a line: its index, CARC and group, the prior authorization it used, what the plan allowed
/// and the coinsurance.
/// @dev
///     255 .. 176      175 .. 96   95 .. 32      31 .. 16   15 .. 8   7 .. 0
///   [ coinsurance ][  allowed  ][ priorAuth ][   carc   ][ group ][ line ]
///         80             80          64           16          8        8
type LineDecision is uint256;

/// @notice The split of an approved line's allowed amount: deductible, copay and what the plan pays.
/// @dev
///     255 .. 240   239 .. 160   159 .. 80   79 .. 0
///   [  unused  ][ planPays  ][   copay   ][ deductible ]
///        16           80           80           80
type LineShares is uint256;

using LineResultLib for LineDecision global;
using LineResultLib for LineShares global;

library LineResultLib {
    uint256 private constant _AMOUNT_MASK = type(uint80).max;

    function decision(uint8 line_, LineOutcome memory outcome) internal pure returns (LineDecision) {
        return
            LineDecision.wrap(
                (uint256(outcome.coinsurance) << 176) |
                    (uint256(outcome.allowed) << 96) |
                    (uint256(outcome.priorAuth) << 32) |
                    (uint256(outcome.carc) << 16) |
                    (uint256(uint8(outcome.group)) << 8) |
                    uint256(line_)
            );
    }

    function shares(LineOutcome memory outcome) internal pure returns (LineShares) {
        return
            LineShares.wrap(
                (uint256(outcome.planPays) << 160) | (uint256(outcome.copay) << 80) | uint256(outcome.deductible)
            );
    }

    function line(LineDecision word) internal pure returns (uint8) {
        return uint8(LineDecision.unwrap(word));
    }

    function group(LineDecision word) internal pure returns (AdjustmentGroup) {
        return AdjustmentGroup(uint8(LineDecision.unwrap(word) >> 8));
    }

    function carc(LineDecision word) internal pure returns (uint16) {
        return uint16(LineDecision.unwrap(word) >> 16);
    }

    function priorAuth(LineDecision word) internal pure returns (uint64) {
        return uint64(LineDecision.unwrap(word) >> 32);
    }

    function allowed(LineDecision word) internal pure returns (uint256) {
        return (LineDecision.unwrap(word) >> 96) & _AMOUNT_MASK;
    }

    function coinsurance(LineDecision word) internal pure returns (uint256) {
        return LineDecision.unwrap(word) >> 176;
    }

    function deductible(LineShares word) internal pure returns (uint256) {
        return LineShares.unwrap(word) & _AMOUNT_MASK;
    }

    function copay(LineShares word) internal pure returns (uint256) {
        return (LineShares.unwrap(word) >> 80) & _AMOUNT_MASK;
    }

    function planPays(LineShares word) internal pure returns (uint256) {
        return LineShares.unwrap(word) >> 160;
    }
}
