// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title AnchorFloor
/// @notice The least a contract can do to anchor a 32-byte hash: store it once and emit it. The benchmark measures
/// it next to `RecordRegistry.anchor` so that the cost of everything else (the consent decision, who wrote it, the
/// category, the pointer, the pause switch) reads straight off the table. Test contract; never deployed.
contract AnchorFloor {
    /// @notice The hash was anchored.
    event Anchored(bytes32 indexed hash);

    mapping(bytes32 hash => bool anchored) private _anchored;

    function anchor(bytes32 hash) external {
        _anchored[hash] = true;
        emit Anchored(hash);
    }
}
