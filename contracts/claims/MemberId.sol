// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A patient's plan-scoped member pseudonym: what the claims module knows her by. The payer issues it (the
/// SDK's `memberPseudonym`: keccak256 of the payer's member key, the plan id and the member number), and only the
/// payer, the patient and her providers can tie it to her; it never equals or encodes her participant id, so claims
/// cannot be joined to her consent and records by anyone else. Zero means "no member".
type MemberId is bytes32;

using {MemberIdLib.isNone} for MemberId global;

library MemberIdLib {
    function isNone(MemberId member) internal pure returns (bool) {
        return MemberId.unwrap(member) == bytes32(0);
    }
}
