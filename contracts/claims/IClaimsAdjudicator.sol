// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IPriorAuthorizations} from "./IPriorAuthorizations.sol";
import {ClaimLine} from "./ClaimLine.sol";
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
    QueuedPayment
} from "./Claims.sol";
import {LineDecision, LineShares} from "./LineResult.sol";
import {MemberId} from "./MemberId.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title IClaimsAdjudicator
/// @notice Health-plan claims on chain: plans and their fee schedules, enrollment with per-period accumulators, prior
/// authorization, automated adjudication of every claim in the transaction that submits it, appeals, and payment in
/// an ERC-20 settlement token. The arithmetic is fixed in docs/claims.md (which follows the consortium's rules,
/// `claims-adjudication.md`): the order of checks, CARC codes and groups, pricing, the out-of-pocket cap, first-in
/// first-out payment and appeals.
///
/// - **Plans**: an active payer creates a plan as a draft, loads its fee schedule and network in bounded batches and
///   activates it. Later changes apply to claims adjudicated after them; nothing adjudicated is ever re-priced.
/// - **Members**: claims never name a patient's participant id. The payer enrolls a plan-scoped **member pseudonym**
///   (a salted commitment the payer issues, as the member number on an insurance card: known to the payer, the
///   patient and her providers), so no other consortium member can join a patient's claims (procedure codes such
///   as psychotherapy or substance-use treatment) to her identity, her consent or her records. Supporting records
///   travel as salted attachment commitments that the payer opens off chain.
/// - **Enrollment**: the payer enrolls a member for coverage periods in chronological order, each with its own
///   deductible and out-of-pocket accumulators; a claim finds a line's period by reading the latest, then by binary
///   search over the older ones, so no history (at most 65,536 periods) makes a line cost more than 17 reads.
/// - **Claims**: an active organization, or an active practitioner of an active organization, submits a claim of 1 to
///   `MAX_LINES` lines (each at most `MAX_UNITS_PER_LINE` units); every line is adjudicated at once and its outcome
///   emitted (`LineAdjudicated`) as an explanation of benefits; the claim keeps a one-word summary and the hash of
///   its content. Prior authorizations live in their own contract (`priorAuthorizations()`), which lines of codes
///   that need one consult.
/// - **Payment**: the plan's payer funds the adjudicator; a claim's plan-pays total is credited to the billing
///   organization at adjudication when the payer has no unpaid payment before it and enough funds, else queued; funding
///   pays the queue in order. Organizations withdraw their balance; a payer withdraws surplus while it owes nothing.
///   A revoked organization's balance and later payments go to the successor the admin assigns (a merger), so no
///   money is ever stranded. At all times `funded = withdrawn by providers + withdrawn by payers + provider
///   balances + payer balances`, and the token balance of the adjudicator is at least the sum of the balances.
/// - **Appeals**: the submitting provider appeals a denied line once, within the plan's window; a reviewer of the
///   plan's payer (a practitioner affiliated with the payer who holds the `CLAIMS_REVIEWER` role) upholds or
///   overturns it; an overturned line is re-adjudicated at the decision with the timely-filing and authorization
///   checks waived, and its plan-pays amount is paid like a new claim's.
/// @dev No personal health information: patients are member pseudonyms, providers and payers participant ids; a
/// claim's provider reference is a salted hash made by the provider; attachments are salted commitments. A claim's
/// lines (procedure codes, units, charges and service dates of a member) are visible to the members of the
/// permissioned network, as adjudication by contract needs them; no diagnosis code is ever taken.
///
/// While paused, every write stops except the admin's `assignSuccessor` (it moves money only to where it is owed).
interface IClaimsAdjudicator {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice A dependency (identity registry, settlement token) must be a contract.
    error ClaimsInvalidDependency(address dependency);
    /// @notice Only the key of an active payer creates plans and funds claims.
    error ClaimsNotAPayer(address account);
    /// @notice Only the active payer that owns the plan manages it and enrolls members in it.
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
    /// @notice A member pseudonym must not be zero.
    error ClaimsInvalidMember();
    /// @notice A coverage period starts after time 0 and no later than it ends, and both fit in 40 bits.
    error ClaimsInvalidCoverage(uint48 coverageStart, uint48 coverageEnd);
    /// @notice Periods are enrolled in chronological order: a new one starts after the member's latest ends.
    error ClaimsEnrollmentNotAfterLatest(uint64 planId, MemberId member, uint256 latestEnd);
    /// @notice A member has at most 65,536 enrollments in one plan.
    error ClaimsTooManyEnrollments(uint64 planId, MemberId member);
    /// @notice The account is not the key of an active participant (or its credential has expired).
    error ClaimsProviderNotActive(address account);
    /// @notice The organization named is not active (suspended, revoked, or its credential expired): its
    /// practitioners cannot bill for it, nor appeal for it (an inactive organization's own key gets
    /// `ClaimsNotClaimProvider`, as any key that is not active does).
    error ClaimsOrganizationNotActive(ParticipantId organization);
    /// @notice Only practitioners and organizations submit claims, request authorizations and appeal.
    error ClaimsNotAProvider(address account, ParticipantId id);
    /// @notice A claim has 1 to `MAX_LINES` lines.
    error ClaimsInvalidLineCount(uint256 count, uint256 max);
    /// @notice The line's unused high bits are set.
    error ClaimsMalformedLine(uint256 index);
    /// @notice Every line bills at least one unit.
    error ClaimsZeroUnits(uint256 index);
    /// @notice A line bills at most `MAX_UNITS_PER_LINE` units.
    error ClaimsTooManyUnits(uint256 index, uint256 units, uint256 max);
    /// @notice Every line bills more than zero.
    error ClaimsZeroBilled(uint256 index);
    /// @notice A service cannot be billed before it happened.
    error ClaimsServiceDateInFuture(uint256 index, uint256 serviceDate);
    /// @notice The organization has submitted a claim with this reference already (a duplicate submission).
    error ClaimsDuplicateReference(bytes32 claimId);
    /// @notice A claim carries at most `MAX_ATTACHMENTS` attachment commitments.
    error ClaimsTooManyAttachments(uint256 count, uint256 max);
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
    /// @notice A payer withdraws surplus only while none of its payments waits in its queue.
    error ClaimsPayerHasQueue(ParticipantId payer, uint256 unpaid);
    /// @notice The payer's balance does not cover the withdrawal.
    error ClaimsInsufficientBalance(ParticipantId payer, uint256 balance, uint256 amount);
    /// @notice Only a revoked organization's balance is assigned to a successor.
    error ClaimsOrganizationNotRevoked(ParticipantId organization);
    /// @notice A successor is an active organization other than the one it succeeds.
    error ClaimsInvalidSuccessor(ParticipantId successor);
    /// @notice `organization` already ends a chain of `max` successions: name a successor for an earlier link.
    error ClaimsSuccessionTooDeep(ParticipantId organization, uint256 max);

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
    /// @notice The member's enrollment number `seq` in the plan covers `[coverageStart, coverageEnd]`.
    event MemberEnrolled(
        uint64 indexed planId,
        MemberId indexed member,
        uint16 seq,
        uint48 coverageStart,
        uint48 coverageEnd
    );
    /// @notice A claim was adjudicated; its lines come just before it as `LineAdjudicated` events, whose figures add up
    /// to the claim's totals (kept in `claim(claimId)`). `payment` says whether the plan-pays total was credited to
    /// `organization` at once, queued, or was zero.
    event ClaimAdjudicated(
        bytes32 indexed claimId,
        MemberId indexed member,
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
    /// @notice The claim carries these attachments: salted commitments to supporting records, opened off chain by
    /// the payer (they never name a record the chain could join to the patient).
    event ClaimAttachments(bytes32 indexed claimId, bytes32[] commitments);
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
    /// @notice `payer` withdrew `amount` of its surplus to `to`.
    event PayerWithdrew(ParticipantId indexed payer, address indexed to, uint256 amount);
    /// @notice The admin assigned the revoked `organization`'s balance (`amount`, moved now) and later payments to
    /// `successor`.
    event SuccessorAssigned(ParticipantId indexed organization, ParticipantId indexed successor, uint256 amount);

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

    /// @notice Lists (or re-prices) up to `MAX_BATCH` codes in the plan's fee schedule, each with its optional
    /// medically unlikely edit (`maxUnits`).
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

    /// @notice Enrolls the member (the patient's plan-scoped pseudonym) in the plan for `[coverageStart,
    /// coverageEnd]` (inclusive), with fresh accumulators.
    /// @dev Requirements: not paused; the caller is the plan's active payer; the plan is active; `member` non-zero;
    /// the period is well-formed and starts after the member's latest period in the plan ends. Emits
    /// `MemberEnrolled`.
    /// @return seq The enrollment's number among the member's enrollments in the plan, from 0 (chronological).
    function enroll(
        uint64 planId,
        MemberId member,
        uint48 coverageStart,
        uint48 coverageEnd
    ) external returns (uint16 seq);

    // ------------------------------------------------------------------------------------------------------------
    // Claims and appeals
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Submits and adjudicates a claim. The claim id is `keccak256(abi.encode(organization, claimReference))`
    /// where `organization` is the billing organization (the caller's, for a practitioner).
    /// @dev Requirements: not paused; the caller is an active organization, or an active practitioner of an active
    /// organization (`ClaimsOrganizationNotActive`); the plan is active; `member` non-zero; 1 to `MAX_LINES`
    /// well-formed lines with 1 ≤ units ≤ `MAX_UNITS_PER_LINE`, billed ≥ 1 and a service date not in the future; the
    /// reference is new for the organization; at most `MAX_ATTACHMENTS` attachments. Emits `ClaimAdjudicated`, one
    /// `LineAdjudicated` per line and, with attachments, `ClaimAttachments`.
    /// @param member The patient's plan-scoped member pseudonym, as the plan's payer enrolled it.
    /// @param claimReference The provider's claim reference as a salted hash (the SDK's `claimReference`), never the
    /// patient account number itself.
    /// @param attachments Salted commitments to supporting records (the SDK's `attachmentCommitment`), which the payer
    /// opens off chain and checks against the record registry.
    function submitClaim(
        MemberId member,
        uint64 planId,
        bytes32 claimReference,
        ClaimLine[] calldata lines,
        bytes32[] calldata attachments
    ) external returns (bytes32 claimId, ClaimStatus status, uint256 planPays, uint256 patientOwes);

    /// @notice Appeals the denial of one line of a claim.
    /// @dev Requirements: not paused; the caller controls the claim's submitter or its organization, active, and the
    /// organization is active; once the organization is revoked and has a successor, the caller controls that
    /// successor (the end of the chain, see `assignSuccessor`), which must be active; `content` hashes to the
    /// claim's content hash; the line exists, is denied and was never appealed; the plan's appeal window since
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
    /// @dev Requirements: not paused; the caller is an active organization (`ClaimsNotAnActiveOrganization`) with a
    /// balance (`ClaimsNothingToWithdraw`); `to` is not zero. Emits `ProviderWithdrew`.
    function withdraw(address to) external returns (uint256 amount);

    /// @notice The caller's payer takes back `amount` of its surplus: what it funded and no claim is owed.
    /// @dev Requirements: not paused; the caller is an active payer; no payment of the payer waits in its queue
    /// (`ClaimsPayerHasQueue`); 0 < amount ≤ its balance; `to` is not zero. Emits `PayerWithdrew`.
    function withdrawFunds(uint256 amount, address to) external;

    /// @notice Assigns a revoked organization's balance, and every payment credited to it later (queued claims,
    /// overturned appeals), to `successor`: the organization that took it over (a merger), or one the consortium
    /// names to receive it. The successor also inherits the right to appeal the organization's denied lines. If the
    /// successor is itself revoked later and given a successor, payments follow the chain to its end (at most
    /// `MAX_SUCCESSION_DEPTH` steps). Calling it again (for another successor) redirects later payments; nothing owed
    /// to a provider is ever stranded.
    /// @dev Restricted: `Roles.ADMIN`, with the admin execution delay (scheduled, visible, cancellable). Works while
    /// paused. Requirements: `organization` is revoked (`ClaimsOrganizationNotRevoked`); `successor` is an active
    /// organization other than it (`ClaimsInvalidSuccessor`); the chain ending with `organization` is shorter than
    /// `MAX_SUCCESSION_DEPTH` (`ClaimsSuccessionTooDeep`). Emits `SuccessorAssigned`.
    function assignSuccessor(ParticipantId organization, ParticipantId successor) external;

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

    /// @notice How many enrollments the member has in the plan.
    function enrollmentCount(uint64 planId, MemberId member) external view returns (uint256);

    /// @notice The member's enrollment number `seq` in the plan, with its accumulators (zeros when it does not exist).
    function enrollment(uint64 planId, MemberId member, uint16 seq) external view returns (Enrollment memory);

    /// @notice The member's enrollment in the plan whose period contains `time`, if any.
    function enrollmentOn(uint64 planId, MemberId member, uint48 time) external view returns (bool found, uint16 seq);

    /// @notice The claim's summary; reverts `ClaimsUnknownClaim` for an unknown id.
    function claim(bytes32 claimId) external view returns (ClaimSummary memory);

    /// @notice The id of the claim `organization` submits with `claimReference`.
    function claimIdOf(ParticipantId organization, bytes32 claimReference) external pure returns (bytes32);

    /// @notice The hash a claim's content is kept as: `keccak256(abi.encode(claimId, member, plan, organization,
    /// submitter, lines, attachments))`.
    function contentHashOf(bytes32 claimId, ClaimContent calldata content) external pure returns (bytes32);

    /// @notice Whether an approved line already bills `code` for the member by the organization on the UTC day of
    /// `serviceDate` (a later one is denied as a duplicate, CARC 18).
    function serviceBilled(
        MemberId member,
        ParticipantId organization,
        bytes5 code,
        uint256 serviceDate
    ) external view returns (bool);

    /// @notice The appeal of the claim's line (status `None` if there is none).
    function appeal(bytes32 claimId, uint8 line) external view returns (Appeal memory);

    /// @notice The payer's balance, everything it ever funded and withdrew, and its queue of unpaid payments (entries
    /// `head` to `tail - 1`).
    function payerAccount(
        ParticipantId payer
    ) external view returns (uint256 balance, uint256 funded, uint256 withdrawn, uint256 head, uint256 tail);

    /// @notice Queue entry `index` of the payer (zeros once paid).
    function queuedPayment(ParticipantId payer, uint256 index) external view returns (QueuedPayment memory);

    /// @notice What the organization is owed and everything it has withdrawn.
    function providerAccount(ParticipantId organization) external view returns (uint256 balance, uint256 withdrawn);

    /// @notice The successor the admin assigned to a revoked organization (one step; payments follow the chain);
    /// NONE if none.
    function successorOf(ParticipantId organization) external view returns (ParticipantId);

    /// @notice The ERC-20 token claims are paid in.
    function settlementToken() external view returns (IERC20);

    /// @notice The identity registry the adjudicator asks who callers are.
    function identityRegistry() external view returns (IIdentityRegistry);

    /// @notice The prior-authorization workflow the adjudicator created and consults for codes that need one.
    function priorAuthorizations() external view returns (IPriorAuthorizations);
}
