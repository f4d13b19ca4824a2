// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ConsentRules, IConsentPolicy} from "./IConsentPolicy.sol";
import {DEFINED_CATEGORIES, DEFINED_PURPOSES, MAX_OPEN_BREAK_GLASS_SESSIONS, PURPOSE_COUNT} from "./Consent.sol";

/// @title ConsentPolicy
/// @notice CareLedger's consent rules, fixed at deployment. See {IConsentPolicy}.
/// @dev Every rule lives in an immutable, so asking the policy costs a call and no storage read.
contract ConsentPolicy is IConsentPolicy {
    uint32 private immutable _SENSITIVE_CATEGORIES;
    uint16 private immutable _NAMED_PURPOSES;
    uint32 private immutable _BREAK_GLASS_EXCLUDED_CATEGORIES;
    uint32 private immutable _MAX_BREAK_GLASS_DURATION;
    uint8 private immutable _MAX_OPEN_BREAK_GLASS_SESSIONS;
    /// @dev The maximum grant duration of purpose `p` is bits `32p .. 32p+31`: six purposes fit 192 bits.
    uint256 private immutable _MAX_GRANT_DURATIONS;

    /// @param rules_ The decision rules; every category and purpose they name must be defined.
    /// @param maxGrantDurations_ The longest grant per purpose, in seconds, indexed by `Purpose`; all non-zero.
    constructor(ConsentRules memory rules_, uint32[] memory maxGrantDurations_) {
        if (
            rules_.sensitiveCategories & ~DEFINED_CATEGORIES != 0 ||
            rules_.breakGlassExcludedCategories & ~DEFINED_CATEGORIES != 0 ||
            rules_.namedPurposes & ~DEFINED_PURPOSES != 0 ||
            rules_.maxBreakGlassDuration == 0 ||
            rules_.maxOpenBreakGlassSessions == 0 ||
            rules_.maxOpenBreakGlassSessions > MAX_OPEN_BREAK_GLASS_SESSIONS
        ) {
            revert ConsentPolicyInvalidRules();
        }
        uint256 count = maxGrantDurations_.length;
        if (count != PURPOSE_COUNT) revert ConsentPolicyInvalidDurations(count);
        uint256 packed;
        for (uint256 p = 0; p < count; ++p) {
            if (maxGrantDurations_[p] == 0) revert ConsentPolicyInvalidDurations(count);
            packed |= uint256(maxGrantDurations_[p]) << (32 * p);
        }
        _SENSITIVE_CATEGORIES = rules_.sensitiveCategories;
        _NAMED_PURPOSES = rules_.namedPurposes;
        _BREAK_GLASS_EXCLUDED_CATEGORIES = rules_.breakGlassExcludedCategories;
        _MAX_BREAK_GLASS_DURATION = rules_.maxBreakGlassDuration;
        _MAX_OPEN_BREAK_GLASS_SESSIONS = rules_.maxOpenBreakGlassSessions;
        _MAX_GRANT_DURATIONS = packed;
    }

    /// @inheritdoc IConsentPolicy
    function rules() external view override returns (ConsentRules memory) {
        return
            ConsentRules({
                sensitiveCategories: _SENSITIVE_CATEGORIES,
                namedPurposes: _NAMED_PURPOSES,
                breakGlassExcludedCategories: _BREAK_GLASS_EXCLUDED_CATEGORIES,
                maxBreakGlassDuration: _MAX_BREAK_GLASS_DURATION,
                maxOpenBreakGlassSessions: _MAX_OPEN_BREAK_GLASS_SESSIONS
            });
    }

    /// @inheritdoc IConsentPolicy
    function maxGrantDuration(uint16 purposes) external view override returns (uint32 longest) {
        longest = type(uint32).max;
        for (uint256 p = 0; p < PURPOSE_COUNT; ++p) {
            if (purposes & (1 << p) == 0) continue;
            uint32 limit = uint32(_MAX_GRANT_DURATIONS >> (32 * p));
            if (limit < longest) longest = limit;
        }
    }

    /// @inheritdoc IConsentPolicy
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }
}
