// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";

// ----------------------------------------------------------------------------------------------------------------
// Scopes: data categories and purposes of use, as bit positions in packed sets
// ----------------------------------------------------------------------------------------------------------------

/// @notice Data categories, after the US Core / FHIR data classes. A category is passed as its `uint8` position and
/// a set of categories as a `uint32` with bit `1 << category` set for each member. New categories are only ever
/// appended; the last four are the sensitive classes that the default policy protects.
enum DataCategory {
    Demographics,
    Allergies,
    Medications,
    /// Conditions and the problem list.
    Conditions,
    Procedures,
    LaboratoryResults,
    VitalSigns,
    Imaging,
    Immunizations,
    ClinicalNotes,
    Encounters,
    InsuranceAndClaims,
    MentalHealth,
    /// Substance-use disorder treatment records (42 CFR Part 2).
    SubstanceUse,
    SexualAndReproductiveHealth,
    Genomics
}

/// @notice Purposes of use, after HL7's PurposeOfUse codes (TREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH, ETREAT). A
/// purpose is passed as its `uint8` position and a set of purposes as a `uint16` bitmap.
enum Purpose {
    Treatment,
    Payment,
    HealthcareOperations,
    Research,
    PublicHealth,
    EmergencyTreatment
}

/// @dev How many categories and purposes are defined: the `uint8` positions below these counts are valid.
uint8 constant CATEGORY_COUNT = 16;
uint8 constant PURPOSE_COUNT = 6;

/// @dev Every defined category: bits 0 to 15.
uint32 constant DEFINED_CATEGORIES = uint32((1 << CATEGORY_COUNT) - 1);
/// @dev Every defined purpose: bits 0 to 5.
uint16 constant DEFINED_PURPOSES = uint16((1 << PURPOSE_COUNT) - 1);

/// @dev The wildcard category set of a broad grant ("all my records"). It covers every category the policy does
/// not call sensitive, including categories appended later, and never a sensitive one: those must be named.
uint32 constant ALL_CATEGORIES = type(uint32).max;
/// @dev The wildcard purpose set. It covers every purpose the policy does not require to be named (research).
uint16 constant ALL_PURPOSES = type(uint16).max;

/// @dev The most open break-glass sessions a policy may let one practitioner hold at once.
uint8 constant MAX_OPEN_BREAK_GLASS_SESSIONS = 8;

// ----------------------------------------------------------------------------------------------------------------
// Decisions
// ----------------------------------------------------------------------------------------------------------------

/// @notice Why an access decision came out as it did. The first five values allow access; the rest deny it.
enum DecisionBasis {
    /// The accessor is the patient.
    Self,
    /// The accessor is an appointed, active representative of the patient (identity registry).
    Representative,
    /// A grant to the accessor itself covers the category and purpose.
    Grant,
    /// A grant to the organization the accessor (a practitioner or device) is affiliated with covers them.
    OrganizationGrant,
    /// The accessor holds an open break-glass session for the patient and the purpose is emergency treatment.
    BreakGlass,
    /// The accessor's key controls no id in the identity registry.
    UnknownAccessor,
    /// The accessor's id is suspended, revoked or its credential has expired.
    InactiveAccessor,
    /// The patient recorded a deny for the accessor, or for its organization, covering the category.
    ExplicitDeny,
    /// No grant, break-glass session or representation covers the request.
    NoGrant,
    /// A grant would have covered the category, but the policy calls it sensitive and the grant does not name it
    /// (it is a broad grant or an organization's grant).
    SensitiveCategoryNotNamed,
    /// A grant would have covered the purpose, but the policy requires the purpose (research) to be named in a
    /// grant to the accessor itself.
    PurposeNotNamed,
    /// An open break-glass session exists, but the policy excludes the category (genomics) from break-glass.
    BreakGlassCategoryExcluded,
    /// An organization's grant would have covered the request, but the organization is not active.
    InactiveGrantee
}

/// @notice The answer to "may this accessor see this category of this patient's data for this purpose now".
struct Decision {
    bool allowed;
    DecisionBasis basis;
    /// The accessor's id, or NONE if its key controls none.
    ParticipantId accessor;
    /// Whose grant or deny decided: the accessor, its organization, or the patient (Self); NONE when nothing did.
    ParticipantId grantee;
    /// The grant's version for grant bases, the break-glass session id for BreakGlass, else zero.
    uint64 ref;
}

// ----------------------------------------------------------------------------------------------------------------
// Access requests and break-glass
// ----------------------------------------------------------------------------------------------------------------

/// @notice Where an access request stands. A `Pending` request past its answer-by time reads as `Expired`; it is
/// never written as such.
enum RequestStatus {
    None,
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Expired
}

/// @notice An access request as returned by `IConsentRegistry.request`.
struct AccessRequest {
    ParticipantId patient;
    ParticipantId requester;
    uint32 categories;
    uint16 purposes;
    RequestStatus status;
    /// Until when the patient may answer.
    uint48 respondBy;
    /// How long, in seconds, the requested access would last from approval.
    uint32 duration;
    uint16 reasonCode;
}

/// @notice An auditor's finding on a break-glass session.
enum ReviewOutcome {
    Pending,
    Justified,
    Unjustified
}

/// @notice A break-glass session as returned by `IBreakGlass.session`.
struct BreakGlassSession {
    ParticipantId patient;
    ParticipantId practitioner;
    /// The practitioner's organization when the session opened.
    ParticipantId organization;
    uint16 reasonCode;
    uint48 openedAt;
    /// When access ends: the requested duration after opening, or earlier if closed, found unjustified or ended by
    /// the withdrawal of the organization's emergency authorization.
    uint48 expiresAt;
    ReviewOutcome outcome;
    /// The auditor who reviewed the session; zero while pending.
    address reviewer;
}

// ----------------------------------------------------------------------------------------------------------------
// Signed consent (EIP-712)
// ----------------------------------------------------------------------------------------------------------------

/// @notice A grant signed off-chain by the patient or a representative, relayed by anyone.
struct SignedGrant {
    ParticipantId patient;
    ParticipantId grantee;
    uint32 categories;
    uint16 purposes;
    uint48 validFrom;
    uint48 validUntil;
    /// Salted commitment to the signed FHIR Consent document kept off-chain; zero for none.
    bytes32 evidence;
    uint256 nonce;
    uint48 deadline;
}

/// @notice A revocation signed off-chain by the patient or a representative, relayed by anyone.
struct SignedRevocation {
    ParticipantId patient;
    ParticipantId grantee;
    bytes32 evidence;
    uint256 nonce;
    uint48 deadline;
}

// ----------------------------------------------------------------------------------------------------------------
// Grants as stored
// ----------------------------------------------------------------------------------------------------------------

/// @notice What a patient has said about one grantee, decoded from its storage word.
struct ConsentState {
    uint32 categories;
    uint16 purposes;
    uint48 validFrom;
    uint48 validUntil;
    uint32 deniedCategories;
    /// Counts the changes to the permit (grant, narrowing, revocation); zero if the grantee never had a grant.
    uint32 version;
}
