// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClaimLine, ClaimLineLib} from "../claims/ClaimLine.sol";
import {AdjustmentGroup, LineOutcome} from "../claims/Claims.sol";
import {LineDecision, LineResultLib, LineShares} from "../claims/LineResult.sol";

/// @dev Test-only: packs and unpacks the claims module's line words with the Solidity libraries, so that a test can
/// hold the SDK's packer and decoder (sdk/claims/client.ts) to the contracts' layouts.
contract ClaimCodecProbe {
    function packLine(bytes5 code, uint32 units, uint80 billed, uint48 serviceDate) external pure returns (uint256) {
        return ClaimLine.unwrap(ClaimLineLib.pack(code, units, billed, serviceDate));
    }

    function lineResult(
        uint8 line,
        LineOutcome calldata outcome
    ) external pure returns (uint256 decision, uint256 shares) {
        return (
            LineDecision.unwrap(LineResultLib.decision(line, outcome)),
            LineShares.unwrap(LineResultLib.shares(outcome))
        );
    }

    function decodeDecision(
        uint256 word
    )
        external
        pure
        returns (uint8 line, AdjustmentGroup group, uint16 carc, uint64 priorAuth, uint256 allowed, uint256 coinsurance)
    {
        LineDecision decision = LineDecision.wrap(word);
        return (
            decision.line(),
            decision.group(),
            decision.carc(),
            decision.priorAuth(),
            decision.allowed(),
            decision.coinsurance()
        );
    }

    function decodeShares(uint256 word) external pure returns (uint256 deductible, uint256 copay, uint256 planPays) {
        LineShares shares = LineShares.wrap(word);
        return (shares.deductible(), shares.copay(), shares.planPays());
    }
}
