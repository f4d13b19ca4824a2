// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The rules of a consent policy that the consent registry applies when it decides on an access.
struct ConsentRules {
    /// Categories that only a grant to the accessor itself, naming them (not the wildcard), can open: by default
    /// mental health, substance-use treatment (42 CFR Part 2), sexual and reproductive health, and genomics.
    uint32 sensitiveCategories;
    /// Purposes that only a grant to the accessor itself, naming them, can open: by default research.
    uint16 namedPurposes;
    /// Categories a break-glass session never opens: by default genomics.
    uint32 breakGlassExcludedCategories;
    /// The longest a break-glass session may last, in seconds.
    uint32 maxBreakGlassDuration;
    /// How many break-glass sessions one practitioner may hold open at once: 1 to `MAX_OPEN_BREAK_GLASS_SESSIONS`.
    uint8 maxOpenBreakGlassSessions;
}

/// @title IConsentPolicy
/// @notice The rules of consent that regulations change, kept apart from the consent registry so that governance
/// can replace them (through the AccessManager, with the admin's delay) without touching a single grant.
/// @dev A policy is immutable: to change a rule, deploy a new policy and point the registry at it. The registry
/// asks the policy on every grant (durations) and on every decision that depends on a rule (a broad or
/// organization grant, a break-glass session); a grant to the accessor that names the category and purpose needs
/// no rule and so no call.
interface IConsentPolicy {
    /// @notice A policy needs one maximum grant duration per defined purpose, each non-zero.
    error ConsentPolicyInvalidDurations(uint256 count);
    /// @notice A rule names a category or purpose that is not defined, or a break-glass maximum is zero (or the
    /// open-session maximum above `MAX_OPEN_BREAK_GLASS_SESSIONS`).
    error ConsentPolicyInvalidRules();

    /// @notice The rules the registry applies to decisions.
    function rules() external view returns (ConsentRules memory);

    /// @notice The longest a grant covering every purpose in `purposes` may run, in seconds: the smallest maximum
    /// among them (a wildcard set counts as every defined purpose).
    function maxGrantDuration(uint16 purposes) external view returns (uint32);

    /// @notice The policy's semantic version.
    function version() external view returns (string memory);
}
