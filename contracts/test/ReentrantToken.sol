// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice A settlement token that calls back into a target during every transfer (once per transfer), with calldata
/// set by the test, and records whether the call-back succeeded. It proves the adjudicator's reentrancy guard and
/// its checks-effects-interactions order: nothing is paid twice or lost. Test contract; never deployed.
contract ReentrantToken is ERC20 {
    address private _target;
    bytes private _callback;
    bool private _entered;
    /// @notice Whether the last call-back went through (it must not, for guarded functions).
    bool public lastCallbackSucceeded;
    /// @notice The revert data of the last call-back.
    bytes public lastCallbackResult;

    constructor() ERC20("Reentrant Dollar", "rUSD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the token: every later transfer calls `target` with `callback` (empty to disarm).
    function arm(address target, bytes calldata callback) external {
        _target = target;
        _callback = callback;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (_callback.length != 0 && !_entered && from != address(0)) {
            _entered = true;
            // The call-back is meant to fail or succeed; the test reads which.
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory result) = _target.call(_callback);
            lastCallbackSucceeded = ok;
            lastCallbackResult = result;
            _entered = false;
        }
    }
}
