// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ConsentRules} from "../consent/IConsentPolicy.sol";

/// @dev Test-only: a would-be consent policy that answers `rules()` with whatever rules it was built with, so that a
/// test can offer the consent registry each kind of invalid rules.
contract RulesPolicy {
    ConsentRules private _rules;

    constructor(ConsentRules memory rules_) {
        _rules = rules_;
    }

    function rules() external view returns (ConsentRules memory) {
        return _rules;
    }
}
