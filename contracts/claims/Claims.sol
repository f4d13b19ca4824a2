// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClaimLine} from "./ClaimLine.sol";
import {MemberId} from "./MemberId.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @notice Where a plan is in its life. A payer creates a plan as a `Draft`, loads its fee schedule and network in
/// bounded batches, then activates it; only an active plan takes enrollments, prior-authorization requests and claims.
enum PlanStatus {
    None,
    Draft,
    Active
}

/// @notice A claim's adjudication outcome: `Approved` when no line is denied, `Denied` when every line is,
/// `PartiallyApproved` otherwise. An overturned appeal moves a claim towards `Approved`.
enum ClaimStatus {
    None,
    Approved,
    PartiallyApproved,
    Denied
}

/// @notice What happened to a payment (a claim's plan-pays total, or an overturned line's).
enum PaymentStatus {
    /// Nothing to pay: the amount is zero.
    None,
    /// Credited to the provider organization's balance, from which it withdraws.
    Credited,
    /// Waiting in the payer's first-in, first-out queue of unpaid payments.
    Queued
}

/// @notice The claim adjustment group of a line's CARC (X12 claim adjustment group codes).
enum AdjustmentGroup {
    /// An approved line: no denial group (its contractual write-off is CARC 45, group CO, by definition).
    None,
    /// CO: contractual obligation; the provider writes the amount off and the patient owes nothing for it.
    ContractualObligation,
    /// PR: patient responsibility.
    PatientResponsibility,
    /// OA: other adjustment.
    OtherAdjustment
}

/// @notice A prior-authorization request's state: `Requested` → `Approved` | `Denied` | `Withdrawn`, all final.
enum PriorAuthStatus {
    None,
    Requested,
    Approved,
    Denied,
    Withdrawn
}

/// @notice An appeal of one denied line: `Filed` → `Upheld` | `Overturned`, both final; a line is appealed once.
enum AppealStatus {
    None,
    Filed,
    Upheld,
    Overturned
}

/// @notice A plan's cost-sharing terms. Amounts are in base units of the settlement token; the deductible and the
/// out-of-pocket maximum apply per enrollment.
struct PlanTerms {
    uint80 deductible;
    /// The out-of-pocket maximum; at least the deductible.
    uint80 oopMax;
    /// The patient's share after the deductible and copay, in basis points (at most 10,000).
    uint16 coinsuranceBps;
    /// A line filed more than this many days after its service date is denied (CARC 29). At least 1.
    uint16 timelyFilingDays;
    /// A denied line may be appealed within this many days of adjudication. At least 1.
    uint16 appealWindowDays;
}

/// @notice A plan as `plan(planId)` returns it.
struct Plan {
    ParticipantId payer;
    PlanStatus status;
    PlanTerms terms;
}

/// @notice One procedure code of a plan's fee schedule.
struct FeeScheduleEntry {
    /// A CPT or HCPCS code: five ASCII characters, digits and capital letters (`"99213"`, `"J3490"`).
    bytes5 code;
    /// The most the plan allows per unit; more than zero.
    uint80 allowedPerUnit;
    /// The patient's copay per line after the deductible.
    uint80 copay;
    bool requiresPriorAuth;
    /// The medically unlikely edit: the most units one line may bill for the code (CARC 151 beyond it); 0 for no
    /// plan limit (the adjudicator's `MAX_UNITS_PER_LINE` still bounds every line).
    uint32 maxUnits;
}

/// @notice One coverage period of a patient in a plan, with its accumulators.
struct Enrollment {
    uint48 coverageStart;
    /// Inclusive: a service on this second is covered.
    uint48 coverageEnd;
    uint80 deductibleMet;
    uint80 oopMet;
}

/// @notice Everything a claim was submitted with. The adjudicator keeps only its hash (`contentHash`); appeals bring
/// the content back (the SDK rebuilds it from the claim's events) and the adjudicator checks it against the hash.
struct ClaimContent {
    /// The patient's plan-scoped member pseudonym (see `IClaimsAdjudicator`), never her participant id.
    MemberId member;
    uint64 plan;
    /// The billing organization: the submitter itself, or the organization of a submitting practitioner.
    ParticipantId organization;
    ParticipantId submitter;
    ClaimLine[] lines;
    /// Salted commitments to the supporting records (attachments) the payer checks off chain.
    bytes32[] attachments;
}

/// @notice The compact on-chain summary of a claim, as `claim(claimId)` returns it.
struct ClaimSummary {
    ClaimStatus status;
    /// The payment of the claim's plan-pays total at adjudication (overturned lines are paid on their own).
    PaymentStatus payment;
    uint48 adjudicatedAt;
    /// Bit i set: line i is denied.
    uint16 deniedLines;
    /// Bit i set: line i is denied with group PR, so the patient owes its billed amount.
    uint16 patientResponsibilityDenials;
    /// What the plan pays, including overturned lines.
    uint88 planPays;
    /// What the patient owes: deductible, copay and coinsurance of approved lines plus the billed amount of lines
    /// denied as patient responsibility.
    uint88 patientOwes;
    bytes32 contentHash;
}

/// @notice The adjudication of one line, as the `LineAdjudicated` event carries it.
struct LineOutcome {
    /// The claim adjustment reason code of a denial (26, 27, 29, 242, 96, 151, 197, 18); 0 for an approved line, whose
    /// contractual write-off `billed − allowed` is CARC 45 in group CO.
    uint16 carc;
    AdjustmentGroup group;
    uint80 allowed;
    uint80 deductible;
    uint80 copay;
    uint80 coinsurance;
    uint80 planPays;
    uint80 patientOwes;
    /// The prior authorization whose units the line consumed; 0 for none.
    uint64 priorAuth;
}

/// @notice A prior-authorization request and its decision, as `IPriorAuthorizations.priorAuth(id)` returns it.
struct PriorAuth {
    PriorAuthStatus status;
    /// The patient's plan-scoped member pseudonym.
    MemberId member;
    uint64 plan;
    bytes5 code;
    ParticipantId requester;
    uint32 unitsRequested;
    /// The units approved (at most those requested); 0 until approved.
    uint32 unitsApproved;
    /// Approved units not yet consumed by approved lines.
    uint32 unitsLeft;
    /// The window of service dates: as requested until approved, then as approved (possibly narrower).
    uint48 validFrom;
    uint48 validTo;
}

/// @notice An appeal of one line, as `appeal(claimId, line)` returns it.
struct Appeal {
    AppealStatus status;
    /// The payment of the overturned line's plan-pays amount; `None` until overturned, or when it is zero.
    PaymentStatus payment;
    uint48 filedAt;
    uint48 decidedAt;
}

/// @notice One unpaid payment in a payer's queue.
struct QueuedPayment {
    bytes32 claimId;
    /// The line of an overturned appeal, or `CLAIM_PAYMENT` for the claim's adjudication total.
    uint8 line;
    ParticipantId organization;
    uint88 amount;
}

/// @notice Claim adjustment reason codes (X12 CARC) the adjudicator gives, and their meaning in its rules.
library Carc {
    /// Charge exceeds fee schedule maximum allowable: an approved line's contractual write-off.
    uint16 internal constant CONTRACTUAL = 45;
    /// Expenses incurred prior to coverage.
    uint16 internal constant BEFORE_COVERAGE = 26;
    /// Expenses incurred after coverage terminated.
    uint16 internal constant AFTER_COVERAGE = 27;
    /// The time limit for filing has expired.
    uint16 internal constant TIMELY_FILING = 29;
    /// Out-of-network provider (not certified/eligible to be paid for this service by this payer).
    uint16 internal constant OUT_OF_NETWORK = 242;
    /// Non-covered charge(s).
    uint16 internal constant NOT_COVERED = 96;
    /// Payment adjusted because the payer deems the information submitted does not support this many/frequency of
    /// services: the medically unlikely edit (more units than the fee schedule's `maxUnits`).
    uint16 internal constant MEDICALLY_UNLIKELY = 151;
    /// Precertification/authorization absent.
    uint16 internal constant NO_AUTHORIZATION = 197;
    /// Exact duplicate claim/service.
    uint16 internal constant DUPLICATE = 18;
}
