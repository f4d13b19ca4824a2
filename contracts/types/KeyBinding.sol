// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "./ParticipantId.sol";

/// @notice What the identity registry stores for an address: nothing, the id it controls, or a pending rotation
/// that would make it the controller of an id.
/// @dev Layout of the word (bit 255 is the most significant):
///
///   255       254 .. 136   135 .. 112   111 .. 64    63 .. 0
///  [pending] [  unused  ] [ keyEpoch ] [ deadline ] [   id   ]
///      1         119          24           48          64
///
/// A bound address stores just its id (pending bit clear, every other field zero). A pending rotation target stores
/// the id, the rotation deadline and the key epoch the proposal was made in; it is live only while the deadline has
/// not passed and the id's key epoch is unchanged. Folding the pending rotation into the target's own binding word
/// means a rotation writes one fresh slot in all (the target's), not two.
type KeyBinding is uint256;

using KeyBindingLib for KeyBinding global;

library KeyBindingLib {
    uint256 private constant _ID_MASK = type(uint64).max;
    uint256 private constant _DEADLINE_SHIFT = 64;
    uint256 private constant _DEADLINE_MASK = type(uint48).max;
    uint256 private constant _EPOCH_SHIFT = 112;
    uint256 private constant _EPOCH_MASK = type(uint24).max;
    uint256 private constant _PENDING_FLAG = 1 << 255;

    KeyBinding internal constant EMPTY = KeyBinding.wrap(0);

    function bound(ParticipantId participant) internal pure returns (KeyBinding) {
        return KeyBinding.wrap(ParticipantId.unwrap(participant));
    }

    function pending(ParticipantId participant, uint48 until, uint24 epoch) internal pure returns (KeyBinding) {
        return
            KeyBinding.wrap(
                _PENDING_FLAG |
                    (uint256(epoch) << _EPOCH_SHIFT) |
                    (uint256(until) << _DEADLINE_SHIFT) |
                    ParticipantId.unwrap(participant)
            );
    }

    function isEmpty(KeyBinding binding) internal pure returns (bool) {
        return KeyBinding.unwrap(binding) == 0;
    }

    function isPending(KeyBinding binding) internal pure returns (bool) {
        return KeyBinding.unwrap(binding) & _PENDING_FLAG != 0;
    }

    function id(KeyBinding binding) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(KeyBinding.unwrap(binding) & _ID_MASK));
    }

    function deadline(KeyBinding binding) internal pure returns (uint48) {
        return uint48((KeyBinding.unwrap(binding) >> _DEADLINE_SHIFT) & _DEADLINE_MASK);
    }

    function keyEpoch(KeyBinding binding) internal pure returns (uint24) {
        return uint24((KeyBinding.unwrap(binding) >> _EPOCH_SHIFT) & _EPOCH_MASK);
    }
}
