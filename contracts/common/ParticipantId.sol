// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A participant's stable pseudonymous id in the identity registry.
/// @dev Ids are assigned sequentially from 1 and never reused; 0 means "no participant". 64 bits let an id pack
/// with an address or with timestamps and flags in one storage slot in every module that refers to participants.
type ParticipantId is uint64;

using {eq as ==, neq as !=} for ParticipantId global;
using ParticipantIdLib for ParticipantId global;

// Free functions bound as the == and != operators of ParticipantId; the underscore rule is for private members.
// solhint-disable private-vars-leading-underscore
function eq(ParticipantId a, ParticipantId b) pure returns (bool) {
    return ParticipantId.unwrap(a) == ParticipantId.unwrap(b);
}

function neq(ParticipantId a, ParticipantId b) pure returns (bool) {
    return ParticipantId.unwrap(a) != ParticipantId.unwrap(b);
}

// solhint-enable private-vars-leading-underscore

library ParticipantIdLib {
    /// @notice The id that stands for "no participant".
    ParticipantId internal constant NONE = ParticipantId.wrap(0);

    function isNone(ParticipantId id) internal pure returns (bool) {
        return ParticipantId.unwrap(id) == 0;
    }
}
