// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantKind, ParticipantStatus} from "./Participant.sol";
import {ParticipantId} from "./ParticipantId.sol";

/// @notice What the identity registry stores for an address: nothing, the id it controls together with a copy of
/// that id's standing, or a pending rotation that would make it the controller of an id.
/// @dev Two layouts share the word, told apart by bit 255 (the most significant):
///
///   bound:    255   254 .. 192   191 .. 184   183 .. 176   175 .. 112    111 .. 64     63 .. 0
///           [  0  ][  unused  ][  status  ][   kind   ][ affiliation ][ credExpiry ][   id   ]
///              1        63          8            8            64             48          64
///
///   pending:  255   254 .. 136   135 .. 112   111 .. 64    63 .. 0
///           [  1  ][  unused  ][ keyEpoch ][ deadline ][   id   ]
///              1       119          24           48          64
///
/// A bound word repeats the kind, status, credential expiry and affiliation of its id's record, so that "which id
/// does this key control, of what kind, for which organization, and is it active" is one storage read: the consent
/// registry's access decision depends on it (see `IIdentityRegistry.accountStanding`). The registry rewrites the word
/// whenever one of those fields changes; the record stays the source of truth.
///
/// A pending rotation target stores the id, the rotation deadline and the key epoch the proposal was made in; it is
/// live only while the deadline has not passed and the id's key epoch is unchanged. Folding the pending rotation into
/// the target's own binding word means a rotation writes one fresh slot in all (the target's), not two.
type KeyBinding is uint256;

using KeyBindingLib for KeyBinding global;

library KeyBindingLib {
    uint256 private constant _ID_MASK = type(uint64).max;
    uint256 private constant _TIME_SHIFT = 64;
    uint256 private constant _TIME_MASK = type(uint48).max;
    uint256 private constant _EPOCH_SHIFT = 112;
    uint256 private constant _EPOCH_MASK = type(uint24).max;
    uint256 private constant _AFFILIATION_SHIFT = 112;
    uint256 private constant _KIND_SHIFT = 176;
    uint256 private constant _STATUS_SHIFT = 184;
    uint256 private constant _BYTE_MASK = 0xff;
    uint256 private constant _PENDING_FLAG = 1 << 255;

    KeyBinding internal constant EMPTY = KeyBinding.wrap(0);

    /// @dev The bound word of `participant` with a copy of its standing.
    function bound(
        ParticipantId participant,
        ParticipantKind kind_,
        ParticipantStatus status_,
        uint48 credentialExpiry_,
        ParticipantId affiliation_
    ) internal pure returns (KeyBinding) {
        return
            KeyBinding.wrap(
                (uint256(uint8(status_)) << _STATUS_SHIFT) |
                    (uint256(uint8(kind_)) << _KIND_SHIFT) |
                    (uint256(ParticipantId.unwrap(affiliation_)) << _AFFILIATION_SHIFT) |
                    (uint256(credentialExpiry_) << _TIME_SHIFT) |
                    ParticipantId.unwrap(participant)
            );
    }

    function pending(ParticipantId participant, uint48 until, uint24 epoch) internal pure returns (KeyBinding) {
        return
            KeyBinding.wrap(
                _PENDING_FLAG |
                    (uint256(epoch) << _EPOCH_SHIFT) |
                    (uint256(until) << _TIME_SHIFT) |
                    ParticipantId.unwrap(participant)
            );
    }

    function isEmpty(KeyBinding binding) internal pure returns (bool) {
        return KeyBinding.unwrap(binding) == 0;
    }

    function isPending(KeyBinding binding) internal pure returns (bool) {
        return KeyBinding.unwrap(binding) & _PENDING_FLAG != 0;
    }

    /// @dev Whether the word binds its key to an id (as opposed to being empty or a pending rotation).
    function isBound(KeyBinding binding) internal pure returns (bool) {
        return !binding.isEmpty() && !binding.isPending();
    }

    function id(KeyBinding binding) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(KeyBinding.unwrap(binding) & _ID_MASK));
    }

    // ----- pending words -----

    function deadline(KeyBinding binding) internal pure returns (uint48) {
        return uint48((KeyBinding.unwrap(binding) >> _TIME_SHIFT) & _TIME_MASK);
    }

    function keyEpoch(KeyBinding binding) internal pure returns (uint24) {
        return uint24((KeyBinding.unwrap(binding) >> _EPOCH_SHIFT) & _EPOCH_MASK);
    }

    // ----- bound words -----

    function credentialExpiry(KeyBinding binding) internal pure returns (uint48) {
        return uint48((KeyBinding.unwrap(binding) >> _TIME_SHIFT) & _TIME_MASK);
    }

    function affiliation(KeyBinding binding) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64((KeyBinding.unwrap(binding) >> _AFFILIATION_SHIFT) & _ID_MASK));
    }

    function kind(KeyBinding binding) internal pure returns (ParticipantKind) {
        return ParticipantKind((KeyBinding.unwrap(binding) >> _KIND_SHIFT) & _BYTE_MASK);
    }

    /// @dev Whether a bound word's id counts as active at `time`: status `Active` and the credential, if any,
    /// unexpired. The same rule as the record's.
    function isActiveAt(KeyBinding binding, uint48 time) internal pure returns (bool) {
        // The status byte compared raw: no enum conversion (and its range check) on this hot path.
        if ((KeyBinding.unwrap(binding) >> _STATUS_SHIFT) & _BYTE_MASK != uint8(ParticipantStatus.Active)) return false;
        uint48 expiry = binding.credentialExpiry();
        return expiry == 0 || time < expiry;
    }
}
