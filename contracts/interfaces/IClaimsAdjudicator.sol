// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";
import {ClaimLine} from "../types/ClaimLine.sol";
import {
    Appeal,
    AppealStatus,
    ClaimContent,
    ClaimStatus,
    ClaimSummary,
    Enrollment,
    FeeScheduleEntry,
    PaymentStatus,
    Plan,
    PlanStatus,
    PlanTerms,
    PriorAuth,
    PriorAuthStatus,
    QueuedPayment
} from "../types/Claims.sol";
import {LineDecision, LineShares} from "../types/LineResult.sol";
import {ParticipantId} from "../types/ParticipantId.sol";
import {RecordStatus} from "../types/Record.sol";

/// @title IClaimsAdjudicator
/// @notice Health-plan claims on chain: plans and their fee schedules, enrollment with per-period accumulators, prior
/// authorization, automated adjudication of every claim in the transaction that submits it, appeals, and payment in
/// an ERC-20 settlement token. The arithmetic is fixed in docs/claims.md (which follows the consortium's rules,
/// `claims-adjudication.md`): the order of checks, CARC codes and groups, pricing, the out-of-pocket cap, first-in
/// first-out payment and appeals.
///
/// - **Plans**: an active payer creates a plan as a draft, loads its fee schedule and network in bounded batches and
///   activates it. Later changes apply to claims adjudicated after them; nothing adjudicated is ever re-priced.
/// - **Enrollment**: the payer enrolls a patient for a coverage period; one patient's periods in one plan never
///   overlap; each period has its own deductible and out-of-pocket accumulators.
/// - **Claims**: an active practitioner or organization submits a claim of 1 to `MAX_LINES` lines; every line is
///   adjudicated at once and its outcome emitted (`LineAdjudicated`) as an explanation of benefits; the claim keeps
///   a one-word summary and the hash of its content.
/// - **Payment**: the plan's payer funds the adjudicator; a claim's plan-pays total is credited to the billing
///   organization at adjudication when the payer has no unpaid payment before it and enough funds, else queued; funding
///   pays the queue in order. Organizations withdraw their balance. At all times
///   `funded = withdrawn + provider balances + payer balances`, and the token balance of the adjudicator is at
///   least the sum of the balances.
/// - **Appeals**: the submitting provider appeals a denied line once, within the plan's window; a reviewer of the
///   plan's payer (a practitioner affiliated with the payer who holds the `CLAIMS_REVIEWER` role) upholds or
///   overturns it; an overturned line is re-adjudicated at the decision with the timely-filing and authorization
///   checks waived, and its plan-pays amount is paid like a new claim's.
/// @dev No personal health information: patients, providers and payers are pseudonymous participant ids; a claim's
/// provider reference is a salted hash made by the provider; supporting records are salted commitments. A claim's
/// lines (procedure codes, units, charges and service dates of a pseudonymous patient) are visible to the members of
/// the permissioned network, as adjudication by contract needs them; no diagnosis code is ever taken.
interface IClaimsAdjudicator {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A dependency (identity registry, settlement token, record registry if given) must be a contract.
    error ClaimsInvalidDependency(address dependency);
    /// @notice Only the key of an active payer creates plans and funds claims.
    error ClaimsNotAPayer(address account);
    /// @notice Only the active payer that owns the plan manages it, enrolls patients in it and decides its prior
    /// authorizations.
    error ClaimsNotPlanPayer(uint64 planId, address account);
    /// @notice No plan has this id.
    error ClaimsUnknownPlan(uint64 planId);
    /// @notice The plan takes no enrollments, authorization requests or claims before it is activated.
    error ClaimsPlanNotActive(uint64 planId, PlanStatus status);
    /// @notice The plan cannot move from its status to the one asked for (only `Draft` → `Active`).
    error ClaimsInvalidPlanTransition(uint64 planId, PlanStatus from, PlanStatus to);
    /// @notice Coinsurance is at most 10,000 basis points.
    error ClaimsCoinsuranceTooHigh(uint16 coinsuranceBps);
    /// @notice The out-of-pocket maximum must be at least the deductible.
    error ClaimsOopMaxBelowDeductible(uint80 oopMax, uint80 deductible);
    /// @notice An active plan's appeal window never changes: claims adjudicated under it keep their appeal rights.
    error ClaimsAppealWindowFixed(uint64 planId, uint16 appealWindowDays);
    /// @notice The timely-filing and appeal windows are at least one day each.
    error ClaimsInvalidWindows(uint16 timelyFilingDays, uint16 appealWindowDays);
    /// @notice A batch holds 1 to `MAX_BATCH` entries.
    error ClaimsInvalidBatchSize(uint256 size, uint256 max);
    /// @notice A procedure code is five ASCII digits or capital letters.
    error ClaimsInvalidProcedureCode(bytes5 code);
    /// @notice A fee schedule entry allows more than zero per unit.
    error ClaimsZeroAllowedAmount(bytes5 code);
    /// @notice Only organizations (hospitals, clinics, laboratories) are in a plan's network.
    error ClaimsNotAnOrganization(ParticipantId id);
    /// @notice Only patients are enrolled.
    error ClaimsNotAPatient(ParticipantId id);
    /// @notice A coverage period starts after time 0 and no later than it ends, and both fit in 40 bits.
    error ClaimsInvalidCoverage(uint48 coverageStart, uint48 coverageEnd);
    /// @notice The new period overlaps the patient's enrollment `seq` in the plan.
    error ClaimsEnrollmentOverlap(uint64 planId, ParticipantId patient, uint16 seq);
    /// @notice A patient has at most 65,536 enrollments in one plan.
    error ClaimsTooManyEnrollments(uint64 planId, ParticipantId patient);
    /// @notice The account is not the key of an active participant (or its credential has expired).
    error ClaimsProviderNotActive(address account);
    /// @notice Only practitioners and organizations submit claims, request authorizations and appeal.
    error ClaimsNotAProvider(address account, ParticipantId id);
    /// @notice A claim has 1 to `MAX_LINES` lines.
    error ClaimsInvalidLineCount(uint256 count, uint256 max);
    /// @notice The line's unused high bits are set.
    error ClaimsMalformedLine(uint256 index);
    /// @notice Every line bills at least one unit.
    error ClaimsZeroUnits(uint256 index);
    /// @notice Every line bills more than zero.
    error ClaimsZeroBilled(uint256 index);
    /// @notice A service cannot be billed before it happened.
    error ClaimsServiceDateInFuture(uint256 index, uint256 serviceDate);
    /// @notice The organization has submitted a claim with this reference already (a duplicate submission).
    error ClaimsDuplicateReference(bytes32 claimId);
    /// @notice A claim cites at most `MAX_SUPPORTING_RECORDS` records.
    error ClaimsTooManySupportingRecords(uint256 count, uint256 max);
    /// @notice A supporting record must be the current version of an anchored record.
    error ClaimsSupportingRecordInvalid(bytes32 commitment, RecordStatus status);
    /// @notice A supporting record must be a record of the claim's patient.
    error ClaimsSupportingRecordOfOtherPatient(bytes32 commitment, ParticipantId patient);
    /// @notice Authorization is asked only for codes whose fee schedule entry requires it.
    error ClaimsPriorAuthNotRequired(uint64 planId, bytes5 code);
    /// @notice An authorization covers at least one unit over a window that starts no later than it ends.
    error ClaimsInvalidPriorAuthRequest(uint32 units, uint48 validFrom, uint48 validTo);
    /// @notice No prior authorization has this id.
    error ClaimsUnknownPriorAuth(uint64 authId);
    /// @notice The authorization cannot move from its status to the one asked for.
    error ClaimsInvalidPriorAuthTransition(uint64 authId, PriorAuthStatus from, PriorAuthStatus to);
    /// @notice An approval may narrow the request (fewer units, a shorter window) but never widen it, and approves at
    /// least one unit.
    error ClaimsPriorAuthWidened(uint64 authId, uint32 units, uint48 validFrom, uint48 validTo);
    /// @notice Only the provider that asked for the authorization withdraws it.
    error ClaimsNotPriorAuthRequester(uint64 authId, address account);
    /// @notice No claim has this id.
    error ClaimsUnknownClaim(bytes32 claimId);
    /// @notice The content does not hash to the claim's `contentHash`.
    error ClaimsContentMismatch(bytes32 claimId);
    /// @notice The claim has no line at this index.
    error ClaimsUnknownLine(bytes32 claimId, uint8 line);
    /// @notice Only a denied line is appealed.
    error ClaimsLineNotDenied(bytes32 claimId, uint8 line);
    /// @notice Only the claim's submitter or its billing organization appeals.
    error ClaimsNotClaimProvider(bytes32 claimId, address account);
    /// @notice The appeal window closed at `deadline`.
    error ClaimsAppealWindowClosed(bytes32 claimId, uint256 deadline);
    /// @notice The appeal cannot move from its status to the one asked for (a line is appealed once).
    error ClaimsInvalidAppealTransition(bytes32 claimId, uint8 line, AppealStatus from, AppealStatus to);
    /// @notice The reviewer must be an active practitioner affiliated with the plan's payer.
    error ClaimsReviewerNotOfPayer(address reviewer, ParticipantId payer);
    /// @notice Funding moves more than zero.
    error ClaimsZeroAmount();
    /// @notice The payer's balance would not fit in 128 bits.
    error ClaimsBalanceOverflow(ParticipantId payer, uint256 amount);
    /// @notice A settlement call pays 1 to `MAX_SETTLE` queued payments.
    error ClaimsInvalidSettleBound(uint256 maxPayments, uint256 limit);
    /// @notice Only the key of an active organization withdraws (a suspended one keeps its balance until reinstated).
    error ClaimsNotAnActiveOrganization(address account);
    /// @notice The organization is owed nothing.
    error ClaimsNothingToWithdraw(address account);
    /// @notice Withdrawals go to a non-zero address.
    error ClaimsInvalidRecipient();

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `payer` created the plan as a draft.
    event PlanCreated(uint64 indexed planId, ParticipantId indexed payer, PlanTerms terms);
    /// @notice The plan's terms changed; they apply to claims adjudicated from now on.
    event PlanTermsUpdated(uint64 indexed planId, PlanTerms terms);
    /// @notice The plan takes enrollments and claims.
    event PlanActivated(uint64 indexed planId);
    /// @notice The fee schedule lists `entry.code` with these figures.
    event FeeScheduled(uint64 indexed planId, FeeScheduleEntry entry);
    /// @notice The fee schedule no longer lists `code`.
    event FeeRemoved(uint64 indexed planId, bytes5 indexed code);
    /// @notice `organization` joined (`inNetwork`) or left the plan's network.
    event NetworkChanged(uint64 indexed planId, ParticipantId indexed organization, bool inNetwork);
    /// @notice The patient's enrollment number `seq` in the plan covers `[coverageStart, coverageEnd]`.
    event PatientEnrolled(
        uint64 indexed planId,
        ParticipantId indexed patient,
        uint16 seq,
        uint48 coverageStart,
        uint48 coverageEnd
    );
    /// @notice `requester` asked for an authorization of `units` of `code` for services in the window.
    event PriorAuthRequested(
        uint64 indexed authId,
        ParticipantId indexed patient,
        uint64 indexed planId,
        bytes5 code,
        uint32 units,
        uint48 validFrom,
        uint48 validTo,
        ParticipantId requester
    );
    /// @notice The payer approved the authorization, possibly narrower than asked.
    event PriorAuthApproved(
        uint64 indexed authId,
        ParticipantId indexed patient,
        uint64 indexed planId,
        uint32 units,
        uint48 validFrom,
        uint48 validTo
    );
    /// @notice The payer denied the authorization.
    event PriorAuthDenied(uint64 indexed authId);
    /// @notice The requester withdrew the request.
    event PriorAuthWithdrawn(uint64 indexed authId);
    /// @notice A claim was adjudicated; its lines come just before it as `LineAdjudicated` events, whose figures add up
    /// to the claim's totals (kept in `claim(claimId)`). `payment` says whether the plan-pays total was credited to
    /// `organization` at once, queued, or was zero.
    event ClaimAdjudicated(
        bytes32 indexed claimId,
        ParticipantId indexed patient,
        uint64 indexed planId,
        ParticipantId organization,
        ParticipantId submitter,
        ClaimStatus status,
        PaymentStatus payment
    );
    /// @notice The explanation of benefits of one line: what was billed (`content`) and how it was adjudicated, packed
    /// in two words (see `LineResult.sol`; the SDK decodes them). Emitted again, with the new outcome, when an appeal
    /// overturns the line's denial.
    event LineAdjudicated(bytes32 indexed claimId, ClaimLine content, LineDecision decision, LineShares shares);
    /// @notice The claim cites these supporting records (salted commitments in the record registry).
    event ClaimSupportingRecords(bytes32 indexed claimId, bytes32[] commitments);
    /// @notice `filer` appealed the denial of the line.
    event AppealFiled(bytes32 indexed claimId, uint8 line, ParticipantId filer);
    /// @notice `reviewer` decided the appeal. An overturned line's new outcome comes just before, as
    /// `LineAdjudicated`; `payment` says what became of its plan-pays amount.
    event AppealDecided(
        bytes32 indexed claimId,
        uint8 line,
        bool overturned,
        ParticipantId reviewer,
        PaymentStatus payment
    );
    /// @notice The payer added `amount` of the settlement token to its balance.
    event PayerFunded(ParticipantId indexed payer, uint256 amount);
    /// @notice A queued payment was credited to `organization` (`line` is `CLAIM_PAYMENT` for a claim's total).
    event QueuedPaymentCredited(
        bytes32 indexed claimId,
        ParticipantId indexed payer,
        ParticipantId indexed organization,
        uint8 line,
        uint256 amount
    );
    /// @notice `organization` withdrew its balance to `to`.
    event ProviderWithdrew(ParticipantId indexed organization, address indexed to, uint256 amount);

    // ------------------------------------------------------------------------------------------------------------
    // Plans
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Creates a draft plan owned by the caller's payer id.
    /// @dev Requirements: the caller is an active payer; coinsurance ≤ 10,000 bps; oopMax ≥ deductible; both
    /// windows ≥ 1 day. Emits `PlanCreated`.
    /// @return planId Sequential from 1.
    function createPlan(PlanTerms calldata terms) external returns (uint64 planId);

    /// @notice Replaces the plan's terms for claims adjudicated from now on.
    /// @dev Requirements: the caller is the plan's active payer; the terms as for `createPlan`; an active plan keeps
    /// its appeal window. Emits `PlanTermsUpdated`.
    function updatePlanTerms(uint64 planId, PlanTerms calldata terms) external;

    /// @notice Lists (or re-prices) up to `MAX_BATCH` codes in the plan's fee schedule.
    /// @dev Requirements: the caller is the plan's active payer; every code is five digits or capital letters; every
    /// allowed amount is above zero. Emits `FeeScheduled` per entry.
    function setFees(uint64 planId, FeeScheduleEntry[] calldata entries) external;

    /// @notice Removes up to `MAX_BATCH` codes from the plan's fee schedule (lines with them are denied, CARC 96).
    /// @dev Requirements: the caller is the plan's active payer. Emits `FeeRemoved` per code.
    function removeFees(uint64 planId, bytes5[] calldata codes) external;

    /// @notice Adds organizations to, or removes them from, the plan's network (up to `MAX_BATCH` at once).
    /// @dev Requirements: the caller is the plan's active payer; each id is an organization. Emits `NetworkChanged`
    /// per organization.
    function setNetwork(uint64 planId, ParticipantId[] calldata organizations, bool inNetwork) external;

    /// @notice Opens the plan to enrollments and claims.
    /// @dev Requirements: the caller is the plan's active payer; the plan is a draft. Emits `PlanActivated`.
    function activatePlan(uint64 planId) external;

    /// @notice Enrolls `patient` in the plan for `[coverageStart, coverageEnd]` (inclusive), with fresh accumulators.
    /// @dev Requirements: the caller is the plan's active payer; the plan is active; `patient` is a patient; the
    /// period is well-formed and overlaps none of the patient's periods in the plan. Emits `PatientEnrolled`.
    /// @return seq The enrollment's number among the patient's enrollments in the plan, from 0.
    function enroll(
        uint64 planId,
        ParticipantId patient,
        uint48 coverageStart,
        uint48 coverageEnd
    ) external returns (uint16 seq);

    // ------------------------------------------------------------------------------------------------------------
    // Prior authorization
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Asks the plan's payer to authorize `units` of `code` for `patient`, for services in the window.
    /// @dev Requirements: the caller is an active practitioner or organization; the plan is active; the code requires
    /// authorization; units ≥ 1 and validFrom ≤ validTo. Emits `PriorAuthRequested`.
    /// @return authId Sequential from 1.
    function requestPriorAuth(
        ParticipantId patient,
        uint64 planId,
        bytes5 code,
        uint32 units,
        uint48 validFrom,
        uint48 validTo
    ) external returns (uint64 authId);

    /// @notice Approves a requested authorization, as asked or narrower. Approved authorizations are used by claims in
    /// the order they were approved.
    /// @dev Requirements: the caller is the plan's active payer; the request is `Requested`; 1 ≤ units ≤ requested;
    /// the window lies inside the requested one. Emits `PriorAuthApproved`.
    function approvePriorAuth(uint64 authId, uint32 units, uint48 validFrom, uint48 validTo) external;

    /// @notice Denies a requested authorization.
    /// @dev Requirements: the caller is the plan's active payer; the request is `Requested`. Emits `PriorAuthDenied`.
    function denyPriorAuth(uint64 authId) external;

    /// @notice Withdraws the caller's own pending request.
    /// @dev Requirements: the caller controls the requesting participant; the request is `Requested`. Emits
    /// `PriorAuthWithdrawn`.
    function withdrawPriorAuth(uint64 authId) external;

    // ------------------------------------------------------------------------------------------------------------
    // Claims and appeals
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Submits and adjudicates a claim. The claim id is `keccak256(abi.encode(organization, claimReference))`
    /// where `organization` is the billing organization (the caller's, for a practitioner).
    /// @dev Requirements: the caller is an active practitioner or organization; the plan is active; 1 to `MAX_LINES`
    /// well-formed lines with units ≥ 1, billed ≥ 1 and a service date not in the future; the reference is new for
    /// the organization; at most `MAX_SUPPORTING_RECORDS` supporting records, each (when a record registry is
    /// configured) the current version of a record of the patient. Emits `ClaimAdjudicated`, one `LineAdjudicated`
    /// per line and, with supporting records, `ClaimSupportingRecords`.
    /// @param claimReference The provider's claim reference as a salted hash (the SDK's `claimReference`), never the
    /// patient account number itself.
    function submitClaim(
        ParticipantId patient,
        uint64 planId,
        bytes32 claimReference,
        ClaimLine[] calldata lines,
        bytes32[] calldata supportingRecords
    ) external returns (bytes32 claimId, ClaimStatus status, uint256 planPays, uint256 patientOwes);

    /// @notice Appeals the denial of one line of a claim.
    /// @dev Requirements: the caller controls the claim's submitter or its organization, active; `content` hashes to
    /// the claim's content hash; the line exists, is denied and was never appealed; the plan's appeal window since
    /// adjudication is open. Emits `AppealFiled`.
    function fileAppeal(bytes32 claimId, uint8 line, ClaimContent calldata content) external;

    /// @notice Upholds an appeal (nothing changes) or overturns it: the line is re-adjudicated now, with the
    /// timely-filing and authorization checks waived, and its plan-pays amount is credited or queued like a claim's.
    /// @dev Restricted to the `CLAIMS_REVIEWER` role; the caller must also be an active practitioner affiliated with
    /// the plan's payer. Requirements: the appeal is `Filed`; `content` hashes to the claim's content hash. Emits,
    /// when overturned, `LineAdjudicated`, then `AppealDecided`.
    function decideAppeal(bytes32 claimId, uint8 line, bool overturn, ClaimContent calldata content) external;

    // ------------------------------------------------------------------------------------------------------------
    // Payment
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Moves `amount` of the settlement token from the caller (an active payer) into its balance here, then
    /// pays up to `MAX_SETTLE_PER_FUNDING` queued payments in order, stopping at the first the balance cannot cover.
    /// @dev The balance grows by what actually arrived. Emits `PayerFunded` and `QueuedPaymentCredited` per payment.
    /// @return settled How many queued payments were credited.
    function fund(uint256 amount) external returns (uint256 settled);

    /// @notice Pays up to `maxPayments` of the payer's queued payments in order, stopping at the first its balance
    /// cannot cover. Anyone may call it (funding pays a bounded number at a time).
    /// @return settled How many were credited.
    function settleQueue(ParticipantId payer, uint256 maxPayments) external returns (uint256 settled);

    /// @notice Sends the caller's organization its whole balance.
    /// @dev Requirements: the caller is an active organization (`ClaimsNotAnActiveOrganization`) with a balance
    /// (`ClaimsNothingToWithdraw`); `to` is not zero. Emits `ProviderWithdrew`.
    function withdraw(address to) external returns (uint256 amount);

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The plan; reverts `ClaimsUnknownPlan` for an unknown id.
    function plan(uint64 planId) external view returns (Plan memory);

    /// @notice How many plans exist (ids 1 to this).
    function planCount() external view returns (uint64);

    /// @notice The plan's fee schedule entry for `code`; `listed` is false when the code is not in it.
    function fee(uint64 planId, bytes5 code) external view returns (bool listed, FeeScheduleEntry memory entry);

    /// @notice Whether `organization` is in the plan's network.
    function inNetwork(uint64 planId, ParticipantId organization) external view returns (bool);

    /// @notice How many enrollments the patient has in the plan.
    function enrollmentCount(uint64 planId, ParticipantId patient) external view returns (uint256);

    /// @notice The patient's enrollment number `seq` in the plan, with its accumulators (zeros when it does not exist).
    function enrollment(uint64 planId, ParticipantId patient, uint16 seq) external view returns (Enrollment memory);

    /// @notice The patient's enrollment in the plan whose period contains `time`, if any.
    function enrollmentOn(
        uint64 planId,
        ParticipantId patient,
        uint48 time
    ) external view returns (bool found, uint16 seq);

    /// @notice How many prior-authorization requests exist (ids 1 to this).
    function priorAuthCount() external view returns (uint64);

    /// @notice The authorization request; reverts `ClaimsUnknownPriorAuth` for an unknown id.
    function priorAuth(uint64 authId) external view returns (PriorAuth memory);

    /// @notice The approved authorizations of (patient, plan, code), in the order claims use them.
    function approvedPriorAuths(
        ParticipantId patient,
        uint64 planId,
        bytes5 code
    ) external view returns (uint64[] memory authIds);

    /// @notice The claim's summary; reverts `ClaimsUnknownClaim` for an unknown id.
    function claim(bytes32 claimId) external view returns (ClaimSummary memory);

    /// @notice The id of the claim `organization` submits with `claimReference`.
    function claimIdOf(ParticipantId organization, bytes32 claimReference) external pure returns (bytes32);

    /// @notice The hash a claim's content is kept as: `keccak256(abi.encode(claimId, patient, plan, organization,
    /// submitter, lines, supportingRecords))`.
    function contentHashOf(bytes32 claimId, ClaimContent calldata content) external pure returns (bytes32);

    /// @notice Whether an approved line already bills `code` for the patient by the organization on the UTC day of
    /// `serviceDate` (a later one is denied as a duplicate, CARC 18).
    function serviceBilled(
        ParticipantId patient,
        ParticipantId organization,
        bytes5 code,
        uint256 serviceDate
    ) external view returns (bool);

    /// @notice The appeal of the claim's line (status `None` if there is none).
    function appeal(bytes32 claimId, uint8 line) external view returns (Appeal memory);

    /// @notice The payer's balance, everything it ever funded, and its queue of unpaid payments (entries `head` to
    /// `tail - 1`).
    function payerAccount(
        ParticipantId payer
    ) external view returns (uint256 balance, uint256 funded, uint256 head, uint256 tail);

    /// @notice Queue entry `index` of the payer (zeros once paid).
    function queuedPayment(ParticipantId payer, uint256 index) external view returns (QueuedPayment memory);

    /// @notice What the organization is owed and everything it has withdrawn.
    function providerAccount(ParticipantId organization) external view returns (uint256 balance, uint256 withdrawn);

    /// @notice The ERC-20 token claims are paid in.
    function settlementToken() external view returns (IERC20);

    /// @notice The identity registry the adjudicator asks who callers are.
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice The record registry supporting records are checked against; zero when none is configured.
    function recordRegistry() external view returns (IRecordRegistry);
}
