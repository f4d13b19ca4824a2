// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantKind, ParticipantStatus} from "./Participant.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @notice What the identity registry stores for an address: nothing, the id it controls together with a copy of that
/// id's standing, or the mark of a retired key (one that controlled an id that has since moved to another key).
/// @dev Layout (bit 0 is the least significant):
///
///     255 .. 192   191 .. 184   183 .. 176   175 .. 112    111 .. 64     63 .. 0
///   [  unused  ][ standing ][   kind   ][ affiliation ][ credExpiry ][   id   ]
///        64           8            8            64             48          64
///
/// `standing` is the record's status, except that a practitioner or device without an accepted affiliation stands
/// as `None`: it is inactive until an organization accepts it, and folding that into the byte keeps the activity test
/// of the hot path to one comparison.
/// A bound word repeats the kind, status, credential expiry and affiliation of its id's record, so that "which id
/// does this key control, of what kind, for which organization, and is it active" is one storage read: the consent
/// registry's access decision depends on it (see `IIdentityRegistry.accountStanding`). The registry rewrites the word
/// whenever one of those fields changes; the record stays the source of truth. A retired key's word is `RETIRED`
/// (only the top bit set): it reads as no id, no kind and inactive, and it never binds again, so that no consent the
/// key once signed can be replayed and a key given up (perhaps because it leaked) stays useless. Nothing else is ever
/// stored under an address: no pending state reserves a key that has not agreed to control an id.
type KeyBinding is uint256;

using KeyBindingLib for KeyBinding global;

library KeyBindingLib {
    uint256 private constant _ID_MASK = type(uint64).max;
    uint256 private constant _TIME_SHIFT = 64;
    uint256 private constant _TIME_MASK = type(uint48).max;
    uint256 private constant _AFFILIATION_SHIFT = 112;
    uint256 private constant _KIND_SHIFT = 176;
    uint256 private constant _STATUS_SHIFT = 184;
    uint256 private constant _BYTE_MASK = 0xff;

    KeyBinding internal constant EMPTY = KeyBinding.wrap(0);
    /// @dev A key that controlled an id which has moved on: id, kind, standing and affiliation all read as zero.
    KeyBinding internal constant RETIRED = KeyBinding.wrap(1 << 255);

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

    function isEmpty(KeyBinding binding) internal pure returns (bool) {
        return KeyBinding.unwrap(binding) == 0;
    }

    /// @dev Whether the key is taken: it controls an id, or did (retired). A taken key never binds to another id.
    function isBound(KeyBinding binding) internal pure returns (bool) {
        return !binding.isEmpty();
    }

    function id(KeyBinding binding) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(KeyBinding.unwrap(binding) & _ID_MASK));
    }

    function credentialExpiry(KeyBinding binding) internal pure returns (uint48) {
        return uint48((KeyBinding.unwrap(binding) >> _TIME_SHIFT) & _TIME_MASK);
    }

    function affiliation(KeyBinding binding) internal pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64((KeyBinding.unwrap(binding) >> _AFFILIATION_SHIFT) & _ID_MASK));
    }

    function kind(KeyBinding binding) internal pure returns (ParticipantKind k) {
        // Only `bound` writes the byte, from a `ParticipantKind`, so it is always in range: read without the enum
        // conversion's range check, which this hot path (every access decision) would pay for nothing.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            k := and(shr(_KIND_SHIFT, binding), _BYTE_MASK)
        }
    }

    /// @dev Whether a bound word's id counts as active at `time`: standing `Active` and the credential, if any,
    /// unexpired. The same rule as the record's (see the layout for the standing byte).
    function isActiveAt(KeyBinding binding, uint48 time) internal pure returns (bool) {
        // The status byte compared raw: no enum conversion (and its range check) on this hot path.
        if ((KeyBinding.unwrap(binding) >> _STATUS_SHIFT) & _BYTE_MASK != uint8(ParticipantStatus.Active)) return false;
        uint48 expiry = binding.credentialExpiry();
        return expiry == 0 || time < expiry;
    }
}
