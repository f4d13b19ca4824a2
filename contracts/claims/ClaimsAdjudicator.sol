// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IClaimsAdjudicator} from "./IClaimsAdjudicator.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {IPriorAuthorizations} from "./IPriorAuthorizations.sol";
import {PriorAuthorizations} from "./PriorAuthorizations.sol";
import {ClaimLine} from "./ClaimLine.sol";
import {
    AdjustmentGroup,
    Appeal,
    AppealStatus,
    Carc,
    ClaimContent,
    ClaimStatus,
    ClaimSummary,
    Enrollment,
    FeeScheduleEntry,
    LineOutcome,
    PaymentStatus,
    Plan,
    PlanStatus,
    PlanTerms,
    QueuedPayment
} from "./Claims.sol";
import {ClaimWord, ClaimWordLib} from "./ClaimWord.sol";
import {EnrollmentWord, EnrollmentWordLib} from "./EnrollmentWord.sol";
import {FeeWord, FeeWordLib} from "./FeeWord.sol";
import {PayerWord, PayerWordLib} from "./PayerWord.sol";
import {PlanWord, PlanWordLib} from "./PlanWord.sol";
import {LineResultLib} from "./LineResult.sol";
import {MemberId} from "./MemberId.sol";
import {ParticipantKind, ParticipantStatus} from "../identity/Participant.sol";
import {ParticipantId} from "../common/ParticipantId.sol";

/// @title ClaimsAdjudicator
/// @notice Plans, enrollment, prior authorization, adjudication, appeals and payment of health-plan claims. See
/// {IClaimsAdjudicator}; the rules are in docs/claims.md.
/// @dev Gas is the throughput of a consortium chain, so a claim touches as few words as the rules allow: the plan's
/// terms, the code's fee entry, the network flag, the enrollment (period and both accumulators in one word), one
/// duplicate-service flag per approved line, the payer's word (balance and queue bounds) and the organization's
/// balance, and it stores a one-word summary plus its content hash. Everything else goes in events. Prior
/// authorization is its own contract, created here, so that the adjudicator stays within the code-size limit and
/// only lines of codes that need an authorization pay for the call.
contract ClaimsAdjudicator is IClaimsAdjudicator, CareLedgerModule, ReentrancyGuard {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Slot 1: the claim id; slot 2: 64 + 88 + 8 = 160 bits.
    struct StoredPayment {
        bytes32 claimId;
        ParticipantId organization;
        uint88 amount;
        uint8 line;
    }

    /// @dev A plan: its hot word (everything a claim reads) and the appeal window (read only by appeals).
    struct StoredPlan {
        PlanWord word;
        uint16 appealWindowDays;
    }

    /// @dev A claim: its summary word and its content hash.
    struct StoredClaim {
        ClaimWord word;
        bytes32 contentHash;
    }

    /// @dev A payer: its word (balance and queue bounds), everything it ever funded and everything it withdrew.
    struct PayerAccount {
        PayerWord word;
        uint256 funded;
        uint256 withdrawn;
    }

    /// @dev An organization: what it is owed and everything it has withdrawn.
    struct ProviderAccount {
        uint256 balance;
        uint256 withdrawn;
    }

    /// @dev What adjudicating lines of one claim needs, in memory; `enrollment` caches the word of the enrollment the
    /// last line used (at `enrollmentIndex`), written back by `_flushEnrollment` when another is needed or at the end.
    struct Adjudication {
        bytes32 claimId;
        uint64 planId;
        MemberId member;
        ParticipantId organization;
        PlanWord plan;
        bool inNetwork;
        uint256 time;
        bytes32 memberKey;
        bool enrollmentLoaded;
        bool enrollmentDirty;
        uint256 enrollmentIndex;
        EnrollmentWord enrollment;
    }

    /// @dev An organization's place in mergers: its successor once revoked (NONE until the admin assigns one), and
    /// the longest chain of predecessors whose payments end with it, so that no chain passes `MAX_SUCCESSION_DEPTH`.
    struct Succession {
        ParticipantId successor;
        uint8 predecessorDepth;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants and immutables
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The most lines one claim may have. The rules ask for at least 10; 16 is what the summary's per-line
    /// bit sets hold.
    uint256 public constant MAX_LINES = 16;
    /// @notice The most attachments (supporting-record commitments) one claim may carry.
    uint256 public constant MAX_ATTACHMENTS = 8;
    /// @notice The most units one line may bill, whatever the plan: five digits, as on a claim form. A plan's
    /// medically unlikely edits (`maxUnits` per code) are tighter.
    uint256 public constant MAX_UNITS_PER_LINE = 99_999;
    /// @notice The most entries one fee-schedule or network batch may hold: 256 fee entries cost some 7.1 million
    /// gas (27,571 per code measured in a batch of 200), well under the 2^24 (16.7 million) gas a transaction may use.
    uint256 public constant MAX_BATCH = 256;
    /// @notice How many queued payments `fund` pays at most; `settleQueue` pays the rest.
    uint256 public constant MAX_SETTLE_PER_FUNDING = 32;
    /// @notice The longest chain of successions (A succeeded by B, B later revoked and succeeded by C, ...) that a
    /// payment follows to its payee: bounds the walk on every payment to a revoked organization.
    uint256 public constant MAX_SUCCESSION_DEPTH = 8;
    /// @notice How many queued payments `settleQueue` pays at most per call (about 18,000 gas each, as measured by
    /// the benchmark).
    uint256 public constant MAX_SETTLE = 256;
    /// @notice The `line` of a queued payment that is a claim's adjudication total rather than an overturned line.
    uint8 public constant CLAIM_PAYMENT = type(uint8).max;
    /// @notice The basis-point denominator: 10,000 bps = 100 %.
    uint256 private constant _BPS = 10_000;

    IIdentityRegistry private immutable _IDENTITY;
    IERC20 private immutable _TOKEN;
    IPriorAuthorizations private immutable _PRIOR_AUTHS;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable`.
    uint64 private _planCount;
    mapping(uint64 planId => StoredPlan stored) private _plans;
    mapping(uint64 planId => mapping(bytes5 code => FeeWord word)) private _fees;
    mapping(uint64 planId => mapping(ParticipantId organization => bool member)) private _network;
    /// @dev Per (plan, member): index 0 holds the latest enrollment (its `seq` is the count minus one); the enrollment
    /// numbered `seq` below it lives at index `seq + 1`. Periods are in chronological order of `seq`.
    mapping(bytes32 memberKey => mapping(uint256 index => EnrollmentWord word)) private _enrollments;
    mapping(bytes32 claimId => StoredClaim stored) private _claims;
    /// @dev Approved services, one bit per UTC day: key (member, organization, code, day / 256), bit day % 256. A
    /// member's repeat visits for a code at one organization share a word for 256 days, so checking and marking a
    /// duplicate usually rewrites a word rather than creating one (5,000 gas rather than 22,100).
    mapping(bytes32 serviceKey => uint256 days_) private _services;
    mapping(bytes32 claimId => mapping(uint8 line => Appeal record)) private _appeals;
    mapping(ParticipantId payer => PayerAccount account) private _payers;
    mapping(ParticipantId payer => mapping(uint256 index => StoredPayment payment)) private _queues;
    mapping(ParticipantId organization => ProviderAccount account) private _providers;
    mapping(ParticipantId organization => Succession succession) private _successions;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param token The ERC-20 claims are paid in.
    /// @dev Creates the prior-authorization workflow, managed by the same authority: its code lives in its own contract
    /// and it knows this adjudicator as its creator (the only caller that consumes authorizations).
    constructor(address authority, IIdentityRegistry identity, IERC20 token) CareLedgerModule(authority) {
        if (address(identity).code.length == 0) revert ClaimsInvalidDependency(address(identity));
        if (address(token).code.length == 0) revert ClaimsInvalidDependency(address(token));
        _IDENTITY = identity;
        _TOKEN = token;
        _PRIOR_AUTHS = new PriorAuthorizations(authority, identity);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Plans
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IClaimsAdjudicator
    function createPlan(PlanTerms calldata terms) external override whenNotPaused returns (uint64 planId) {
        (ParticipantId payer, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Payer) revert ClaimsNotAPayer(msg.sender);
        _checkTerms(terms);
        planId = ++_planCount;
        _plans[planId] = StoredPlan(_planWord(payer, PlanStatus.Draft, terms), terms.appealWindowDays);
        emit PlanCreated(planId, payer, terms);
    }

    /// @inheritdoc IClaimsAdjudicator
    function updatePlanTerms(uint64 planId, PlanTerms calldata terms) external override whenNotPaused {
        PlanWord word = _ownPlan(planId);
        _checkTerms(terms);
        // Claims already adjudicated keep the appeal rights they were adjudicated with.
        uint16 appealWindowDays = _plans[planId].appealWindowDays;
        if (word.status() == PlanStatus.Active && terms.appealWindowDays != appealWindowDays) {
            revert ClaimsAppealWindowFixed(planId, appealWindowDays);
        }
        _plans[planId] = StoredPlan(_planWord(word.payer(), word.status(), terms), terms.appealWindowDays);
        emit PlanTermsUpdated(planId, terms);
    }

    /// @inheritdoc IClaimsAdjudicator
    function setFees(uint64 planId, FeeScheduleEntry[] calldata entries) external override whenNotPaused {
        _ownPlan(planId);
        _checkBatch(entries.length);
        mapping(bytes5 code => FeeWord word) storage fees = _fees[planId];
        for (uint256 i; i < entries.length; ++i) {
            FeeScheduleEntry calldata entry = entries[i];
            if (!_isProcedureCode(entry.code)) revert ClaimsInvalidProcedureCode(entry.code);
            if (entry.allowedPerUnit == 0) revert ClaimsZeroAllowedAmount(entry.code);
            fees[entry.code] = FeeWordLib.pack(
                entry.allowedPerUnit,
                entry.copay,
                entry.requiresPriorAuth,
                entry.maxUnits
            );
            emit FeeScheduled(planId, entry);
        }
    }

    /// @inheritdoc IClaimsAdjudicator
    function removeFees(uint64 planId, bytes5[] calldata codes) external override whenNotPaused {
        _ownPlan(planId);
        _checkBatch(codes.length);
        mapping(bytes5 code => FeeWord word) storage fees = _fees[planId];
        for (uint256 i; i < codes.length; ++i) {
            fees[codes[i]] = FeeWordLib.UNLISTED;
            emit FeeRemoved(planId, codes[i]);
        }
    }

    /// @inheritdoc IClaimsAdjudicator
    function setNetwork(
        uint64 planId,
        ParticipantId[] calldata organizations,
        bool inNetwork_
    ) external override whenNotPaused {
        _ownPlan(planId);
        _checkBatch(organizations.length);
        mapping(ParticipantId organization => bool member) storage network = _network[planId];
        for (uint256 i; i < organizations.length; ++i) {
            ParticipantId organization = organizations[i];
            if (inNetwork_) {
                (ParticipantKind kind, , ) = _IDENTITY.standingOf(organization);
                if (kind != ParticipantKind.Organization) revert ClaimsNotAnOrganization(organization);
            }
            network[organization] = inNetwork_;
            emit NetworkChanged(planId, organization, inNetwork_);
        }
    }

    /// @inheritdoc IClaimsAdjudicator
    function activatePlan(uint64 planId) external override whenNotPaused {
        PlanWord word = _ownPlan(planId);
        if (word.status() != PlanStatus.Draft) {
            revert ClaimsInvalidPlanTransition(planId, word.status(), PlanStatus.Active);
        }
        _plans[planId].word = word.withStatus(PlanStatus.Active);
        emit PlanActivated(planId);
    }

    /// @inheritdoc IClaimsAdjudicator
    function enroll(
        uint64 planId,
        MemberId member,
        uint48 coverageStart,
        uint48 coverageEnd
    ) external override whenNotPaused returns (uint16 seq) {
        PlanWord word = _ownPlan(planId);
        if (word.status() != PlanStatus.Active) revert ClaimsPlanNotActive(planId, word.status());
        if (member.isNone()) revert ClaimsInvalidMember();
        // A start of 0 would let a [0, 0] period pack to the empty word, which reads as "no enrollment".
        if (coverageStart == 0 || coverageStart > coverageEnd || coverageEnd > type(uint40).max) {
            revert ClaimsInvalidCoverage(coverageStart, coverageEnd);
        }
        mapping(uint256 index => EnrollmentWord word) storage periods = _enrollments[_memberKey(planId, member)];
        EnrollmentWord head = periods[0];
        if (!head.isEmpty()) {
            uint256 headSeq = head.seq();
            if (headSeq == type(uint16).max) revert ClaimsTooManyEnrollments(planId, member);
            // Chronological order keeps the periods sorted, so a claim finds one by binary search.
            if (coverageStart <= head.coverageEnd()) {
                revert ClaimsEnrollmentNotAfterLatest(planId, member, head.coverageEnd());
            }
            // The head moves to its own index; the new enrollment becomes the head.
            periods[headSeq + 1] = head;
            seq = uint16(headSeq + 1);
        }
        periods[0] = EnrollmentWordLib.pack(seq, uint40(coverageStart), uint40(coverageEnd));
        emit MemberEnrolled(planId, member, seq, coverageStart, coverageEnd);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Claims and appeals
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IClaimsAdjudicator
    function submitClaim(
        MemberId member,
        uint64 planId,
        bytes32 claimReference,
        ClaimLine[] calldata lines,
        bytes32[] calldata attachments
    )
        external
        override
        whenNotPaused
        returns (bytes32 claimId, ClaimStatus status, uint256 planPays, uint256 patientOwes)
    {
        uint256 count = lines.length;
        if (count == 0 || count > MAX_LINES) revert ClaimsInvalidLineCount(count, MAX_LINES);
        uint48 now_ = Time.timestamp();
        (ParticipantId submitter, ParticipantId organization) = _provider(now_);
        PlanWord word = _activePlan(planId);
        if (member.isNone()) revert ClaimsInvalidMember();
        claimId = keccak256(abi.encode(organization, claimReference));
        if (!_claims[claimId].word.isEmpty()) revert ClaimsDuplicateReference(claimId);
        if (attachments.length != 0) {
            if (attachments.length > MAX_ATTACHMENTS) {
                revert ClaimsTooManyAttachments(attachments.length, MAX_ATTACHMENTS);
            }
            emit ClaimAttachments(claimId, attachments);
        }

        // Hashed before adjudication, so that the lines' and attachments' calldata is not held across it.
        bytes32 contentHash = _contentHash(claimId, member, planId, organization, submitter, lines, attachments);
        uint256 denied;
        uint256 prDenials;
        (denied, prDenials, planPays, patientOwes) = _adjudicateClaim(
            _adjudication(claimId, planId, member, organization, word, now_),
            lines
        );

        status = _statusOf(denied, count);
        // The organization is active (`_provider`), so it is its own payee.
        PaymentStatus payment = _pay(word.payer(), claimId, CLAIM_PAYMENT, organization, planPays);
        _claims[claimId] = StoredClaim(
            ClaimWordLib.pack(status, payment, denied, prDenials, now_, planPays, patientOwes),
            contentHash
        );
        emit ClaimAdjudicated(claimId, member, planId, organization, submitter, status, payment);
    }

    /// @inheritdoc IClaimsAdjudicator
    function fileAppeal(bytes32 claimId, uint8 line, ClaimContent calldata content) external override whenNotPaused {
        ClaimWord word = _claimWithContent(claimId, content);
        uint48 now_ = Time.timestamp();
        (ParticipantId filer, , , bool active) = _IDENTITY.accountStanding(msg.sender, now_);
        // A revoked organization's successor (the end of its chain) inherits its appeals with its payments.
        ParticipantId organization = _payee(content.organization);
        bool own = organization == content.organization;
        if (!active || (filer != organization && !(own && filer == content.submitter))) {
            revert ClaimsNotClaimProvider(claimId, msg.sender);
        }
        if (!_IDENTITY.isActive(organization)) revert ClaimsOrganizationNotActive(organization);
        if (line >= content.lines.length) revert ClaimsUnknownLine(claimId, line);
        if ((word.denied() >> line) & 1 == 0) revert ClaimsLineNotDenied(claimId, line);
        Appeal storage record = _appeals[claimId][line];
        _checkAppealTransition(claimId, line, record.status, AppealStatus.Filed);
        uint256 deadline = word.adjudicatedAt() + uint256(_plans[content.plan].appealWindowDays) * 1 days;
        if (now_ > deadline) revert ClaimsAppealWindowClosed(claimId, deadline);
        record.status = AppealStatus.Filed;
        record.filedAt = now_;
        emit AppealFiled(claimId, line, filer);
    }

    /// @inheritdoc IClaimsAdjudicator
    function decideAppeal(
        bytes32 claimId,
        uint8 line,
        bool overturn,
        ClaimContent calldata content
    ) external override restricted whenNotPaused {
        ClaimWord word = _claimWithContent(claimId, content);
        uint48 now_ = Time.timestamp();
        PlanWord planWord = _plans[content.plan].word;
        ParticipantId payer = planWord.payer();
        (ParticipantId reviewer, ParticipantKind kind, ParticipantId affiliation, bool active) = _IDENTITY
            .accountStanding(msg.sender, now_);
        if (!active || kind != ParticipantKind.Practitioner || affiliation != payer) {
            revert ClaimsReviewerNotOfPayer(msg.sender, payer);
        }
        Appeal storage record = _appeals[claimId][line];
        AppealStatus decision = overturn ? AppealStatus.Overturned : AppealStatus.Upheld;
        _checkAppealTransition(claimId, line, record.status, decision);
        record.status = decision;
        record.decidedAt = now_;
        PaymentStatus payment;
        if (overturn) {
            payment = _overturn(claimId, line, word, content, planWord, now_);
            record.payment = payment;
        }
        emit AppealDecided(claimId, line, overturn, reviewer, payment);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Payment
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IClaimsAdjudicator
    function fund(uint256 amount) external override nonReentrant whenNotPaused returns (uint256 settled) {
        if (amount == 0) revert ClaimsZeroAmount();
        (ParticipantId payer, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Payer) revert ClaimsNotAPayer(msg.sender);
        // Credit what arrived, not what was asked: a token that charges a fee on transfer must not make the books
        // promise more than the adjudicator holds.
        uint256 before = _TOKEN.balanceOf(address(this));
        _TOKEN.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _TOKEN.balanceOf(address(this)) - before;
        // Read after the transfer: a token that calls back in cannot make this write stale.
        PayerAccount storage account = _payers[payer];
        PayerWord word = account.word;
        uint256 balance = word.balance() + received;
        if (balance > type(uint128).max) revert ClaimsBalanceOverflow(payer, amount);
        account.word = PayerWordLib.pack(balance, word.head(), word.tail());
        account.funded += received;
        emit PayerFunded(payer, received);
        return _settle(payer, MAX_SETTLE_PER_FUNDING);
    }

    /// @inheritdoc IClaimsAdjudicator
    function settleQueue(
        ParticipantId payer,
        uint256 maxPayments
    ) external override whenNotPaused returns (uint256 settled) {
        if (maxPayments == 0 || maxPayments > MAX_SETTLE) revert ClaimsInvalidSettleBound(maxPayments, MAX_SETTLE);
        return _settle(payer, maxPayments);
    }

    /// @inheritdoc IClaimsAdjudicator
    function withdraw(address to) external override nonReentrant whenNotPaused returns (uint256 amount) {
        if (to == address(0)) revert ClaimsInvalidRecipient();
        (ParticipantId organization, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Organization) revert ClaimsNotAnActiveOrganization(msg.sender);
        ProviderAccount storage account = _providers[organization];
        amount = account.balance;
        if (amount == 0) revert ClaimsNothingToWithdraw(msg.sender);
        // Checks, effects, then the one interaction.
        account.balance = 0;
        account.withdrawn += amount;
        emit ProviderWithdrew(organization, to, amount);
        _TOKEN.safeTransfer(to, amount);
    }

    /// @inheritdoc IClaimsAdjudicator
    function withdrawFunds(uint256 amount, address to) external override nonReentrant whenNotPaused {
        if (to == address(0)) revert ClaimsInvalidRecipient();
        if (amount == 0) revert ClaimsZeroAmount();
        (ParticipantId payer, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Payer) revert ClaimsNotAPayer(msg.sender);
        PayerAccount storage account = _payers[payer];
        PayerWord word = account.word;
        // Surplus only: while a payment waits, every unit of the balance is owed to the head of the queue first.
        if (word.hasQueue()) revert ClaimsPayerHasQueue(payer, word.tail() - word.head());
        uint256 balance = word.balance();
        if (amount > balance) revert ClaimsInsufficientBalance(payer, balance, amount);
        // Checks, effects, then the one interaction; amount ≤ balance, so the subtraction cannot underflow.
        unchecked {
            account.word = PayerWordLib.pack(balance - amount, word.head(), word.tail());
        }
        account.withdrawn += amount;
        emit PayerWithdrew(payer, to, amount);
        _TOKEN.safeTransfer(to, amount);
    }

    /// @inheritdoc IClaimsAdjudicator
    function assignSuccessor(ParticipantId organization, ParticipantId successor) external override restricted {
        if (_IDENTITY.participant(organization).status != ParticipantStatus.Revoked) {
            revert ClaimsOrganizationNotRevoked(organization);
        }
        (ParticipantKind kind, , bool active) = _IDENTITY.standingOf(successor);
        if (kind != ParticipantKind.Organization || !active || successor == organization) {
            revert ClaimsInvalidSuccessor(successor);
        }
        uint256 depth = uint256(_successions[organization].predecessorDepth) + 1;
        if (depth > MAX_SUCCESSION_DEPTH) revert ClaimsSuccessionTooDeep(organization, MAX_SUCCESSION_DEPTH);
        _successions[organization].successor = successor;
        Succession storage next = _successions[successor];
        if (depth > next.predecessorDepth) next.predecessorDepth = uint8(depth);
        ProviderAccount storage from = _providers[organization];
        uint256 amount = from.balance;
        from.balance = 0;
        _providers[successor].balance += amount;
        emit SuccessorAssigned(organization, successor, amount);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPausableModule
    function version() external pure override returns (string memory) {
        return "2.0.0";
    }

    /// @inheritdoc IClaimsAdjudicator
    function plan(uint64 planId) external view override returns (Plan memory) {
        StoredPlan storage stored = _plans[planId];
        PlanWord word = stored.word;
        if (PlanWord.unwrap(word) == 0) revert ClaimsUnknownPlan(planId);
        return
            Plan({
                payer: word.payer(),
                status: word.status(),
                terms: PlanTerms({
                    deductible: uint80(word.deductible()),
                    oopMax: uint80(word.oopMax()),
                    coinsuranceBps: uint16(word.coinsuranceBps()),
                    timelyFilingDays: uint16(word.timelyFilingDays()),
                    appealWindowDays: stored.appealWindowDays
                })
            });
    }

    /// @inheritdoc IClaimsAdjudicator
    function planCount() external view override returns (uint64) {
        return _planCount;
    }

    /// @inheritdoc IClaimsAdjudicator
    function fee(uint64 planId, bytes5 code) external view override returns (bool listed, FeeScheduleEntry memory) {
        FeeWord word = _fees[planId][code];
        return (
            word.isListed(),
            FeeScheduleEntry({
                code: code,
                allowedPerUnit: uint80(word.allowedPerUnit()),
                copay: uint80(word.copay()),
                requiresPriorAuth: word.requiresPriorAuth(),
                maxUnits: uint32(word.maxUnits())
            })
        );
    }

    /// @inheritdoc IClaimsAdjudicator
    function inNetwork(uint64 planId, ParticipantId organization) external view override returns (bool) {
        return _network[planId][organization];
    }

    /// @inheritdoc IClaimsAdjudicator
    function enrollmentCount(uint64 planId, MemberId member) external view override returns (uint256) {
        EnrollmentWord head = _enrollments[_memberKey(planId, member)][0];
        return head.isEmpty() ? 0 : head.seq() + 1;
    }

    /// @inheritdoc IClaimsAdjudicator
    function enrollment(uint64 planId, MemberId member, uint16 seq) external view override returns (Enrollment memory) {
        mapping(uint256 index => EnrollmentWord word) storage periods = _enrollments[_memberKey(planId, member)];
        EnrollmentWord head = periods[0];
        EnrollmentWord word;
        if (!head.isEmpty()) {
            if (seq == head.seq()) word = head;
            else if (seq < head.seq()) word = periods[uint256(seq) + 1];
        }
        return
            Enrollment({
                coverageStart: uint48(word.coverageStart()),
                coverageEnd: uint48(word.coverageEnd()),
                deductibleMet: uint80(word.deductibleMet()),
                oopMet: uint80(word.oopMet())
            });
    }

    /// @inheritdoc IClaimsAdjudicator
    function enrollmentOn(
        uint64 planId,
        MemberId member,
        uint48 time
    ) external view override returns (bool found, uint16 seq) {
        EnrollmentWord word;
        (found, , word, ) = _findEnrollment(_memberKey(planId, member), time);
        if (found) seq = uint16(word.seq());
    }

    /// @inheritdoc IClaimsAdjudicator
    function claim(bytes32 claimId) external view override returns (ClaimSummary memory) {
        StoredClaim storage stored = _claims[claimId];
        ClaimWord word = stored.word;
        if (word.isEmpty()) revert ClaimsUnknownClaim(claimId);
        return
            ClaimSummary({
                status: word.status(),
                payment: word.payment(),
                adjudicatedAt: uint48(word.adjudicatedAt()),
                deniedLines: uint16(word.denied()),
                patientResponsibilityDenials: uint16(word.prDenials()),
                planPays: uint88(word.planPays()),
                patientOwes: uint88(word.patientOwes()),
                contentHash: stored.contentHash
            });
    }

    /// @inheritdoc IClaimsAdjudicator
    function claimIdOf(ParticipantId organization, bytes32 claimReference) external pure override returns (bytes32) {
        return keccak256(abi.encode(organization, claimReference));
    }

    /// @inheritdoc IClaimsAdjudicator
    function contentHashOf(bytes32 claimId, ClaimContent calldata content) external pure override returns (bytes32) {
        return
            _contentHash(
                claimId,
                content.member,
                content.plan,
                content.organization,
                content.submitter,
                content.lines,
                content.attachments
            );
    }

    /// @inheritdoc IClaimsAdjudicator
    function serviceBilled(
        MemberId member,
        ParticipantId organization,
        bytes5 code,
        uint256 serviceDate
    ) external view override returns (bool) {
        (bytes32 serviceKey, uint256 dayBit) = _serviceKey(member, organization, code, serviceDate);
        return _services[serviceKey] & dayBit != 0;
    }

    /// @inheritdoc IClaimsAdjudicator
    function appeal(bytes32 claimId, uint8 line) external view override returns (Appeal memory) {
        return _appeals[claimId][line];
    }

    /// @inheritdoc IClaimsAdjudicator
    function payerAccount(
        ParticipantId payer
    ) external view override returns (uint256 balance, uint256 funded, uint256 withdrawn, uint256 head, uint256 tail) {
        PayerAccount storage account = _payers[payer];
        PayerWord word = account.word;
        return (word.balance(), account.funded, account.withdrawn, word.head(), word.tail());
    }

    /// @inheritdoc IClaimsAdjudicator
    function queuedPayment(ParticipantId payer, uint256 index) external view override returns (QueuedPayment memory) {
        StoredPayment storage stored = _queues[payer][index];
        return
            QueuedPayment({
                claimId: stored.claimId,
                line: stored.line,
                organization: stored.organization,
                amount: stored.amount
            });
    }

    /// @inheritdoc IClaimsAdjudicator
    function providerAccount(
        ParticipantId organization
    ) external view override returns (uint256 balance, uint256 withdrawn) {
        ProviderAccount storage account = _providers[organization];
        return (account.balance, account.withdrawn);
    }

    /// @inheritdoc IClaimsAdjudicator
    function successorOf(ParticipantId organization) external view override returns (ParticipantId) {
        return _successions[organization].successor;
    }

    /// @inheritdoc IClaimsAdjudicator
    function settlementToken() external view override returns (IERC20) {
        return _TOKEN;
    }

    /// @inheritdoc IClaimsAdjudicator
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @inheritdoc IClaimsAdjudicator
    function priorAuthorizations() external view override returns (IPriorAuthorizations) {
        return _PRIOR_AUTHS;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Adjudication
    // ------------------------------------------------------------------------------------------------------------

    function _adjudication(
        bytes32 claimId,
        uint64 planId,
        MemberId member,
        ParticipantId organization,
        PlanWord word,
        uint256 time
    ) private view returns (Adjudication memory) {
        return
            Adjudication({
                claimId: claimId,
                planId: planId,
                member: member,
                organization: organization,
                plan: word,
                inNetwork: _network[planId][organization],
                time: time,
                memberKey: _memberKey(planId, member),
                enrollmentLoaded: false,
                enrollmentDirty: false,
                enrollmentIndex: 0,
                enrollment: EnrollmentWord.wrap(0)
            });
    }

    /// @dev Adjudicates every line of a new claim, in order, each against the accumulators the previous one left.
    function _adjudicateClaim(
        Adjudication memory adjudication,
        ClaimLine[] calldata lines
    ) private returns (uint256 denied, uint256 prDenials, uint256 planPays, uint256 patientOwes) {
        uint256 count = lines.length;
        for (uint256 i; i < count; ++i) {
            ClaimLine line = lines[i];
            if (!line.isWellFormed()) revert ClaimsMalformedLine(i);
            uint256 units = line.units();
            if (units == 0) revert ClaimsZeroUnits(i);
            if (units > MAX_UNITS_PER_LINE) revert ClaimsTooManyUnits(i, units, MAX_UNITS_PER_LINE);
            if (line.billed() == 0) revert ClaimsZeroBilled(i);
            if (line.serviceDate() > adjudication.time) revert ClaimsServiceDateInFuture(i, line.serviceDate());
            LineOutcome memory outcome = _adjudicateLine(adjudication, line, false);
            if (outcome.group != AdjustmentGroup.None) {
                denied |= 1 << i;
                if (outcome.group == AdjustmentGroup.PatientResponsibility) prDenials |= 1 << i;
            }
            planPays += outcome.planPays;
            patientOwes += outcome.patientOwes;
            emit LineAdjudicated(
                adjudication.claimId,
                line,
                LineResultLib.decision(uint8(i), outcome),
                LineResultLib.shares(outcome)
            );
        }
        _flushEnrollment(adjudication);
    }

    /// @dev The checks of the rules in their order; the first that fails denies the line. `appealed` waives checks 2
    /// (timely filing) and 5 (prior authorization), as an overturned appeal does. Check 6's lookup comes before check
    /// 5 so that a duplicate line never consumes an authorization (the rules consume units of approved lines only).
    function _adjudicateLine(
        Adjudication memory adjudication,
        ClaimLine line,
        bool appealed
    ) private returns (LineOutcome memory outcome) {
        uint256 serviceDate = line.serviceDate();
        // 1. Coverage on the service date.
        (bool covered, bool endedBefore) = _loadEnrollment(adjudication, serviceDate);
        if (!covered) {
            return
                _denial(
                    endedBefore ? Carc.AFTER_COVERAGE : Carc.BEFORE_COVERAGE,
                    AdjustmentGroup.PatientResponsibility,
                    line.billed()
                );
        }
        // 2. Timely filing.
        if (!appealed && adjudication.time > serviceDate + adjudication.plan.timelyFilingDays() * 1 days) {
            return _denial(Carc.TIMELY_FILING, AdjustmentGroup.ContractualObligation, 0);
        }
        // 3. Network.
        if (!adjudication.inNetwork) return _denial(Carc.OUT_OF_NETWORK, AdjustmentGroup.ContractualObligation, 0);
        // 4. Fee schedule.
        bytes5 code = line.code();
        FeeWord feeWord = _fees[adjudication.planId][code];
        if (!feeWord.isListed()) {
            return _denial(Carc.NOT_COVERED, AdjustmentGroup.PatientResponsibility, line.billed());
        }
        // 4a. The medically unlikely edit.
        uint256 maxUnits = feeWord.maxUnits();
        if (maxUnits != 0 && line.units() > maxUnits) {
            return _denial(Carc.MEDICALLY_UNLIKELY, AdjustmentGroup.ContractualObligation, 0);
        }
        return _authorizeAndApprove(adjudication, line, feeWord, appealed);
    }

    /// @dev Checks 5 (prior authorization) and 6 (duplicate service), then registers the service and prices the line.
    /// Check 6's lookup comes first so that a duplicate never consumes an authorization.
    function _authorizeAndApprove(
        Adjudication memory adjudication,
        ClaimLine line,
        FeeWord feeWord,
        bool appealed
    ) private returns (LineOutcome memory outcome) {
        (bytes5 code, uint256 units, uint256 serviceDate) = (line.code(), line.units(), line.serviceDate());
        (bytes32 serviceKey, uint256 dayBit) = _serviceKey(
            adjudication.member,
            adjudication.organization,
            code,
            serviceDate
        );
        uint256 billedDays = _services[serviceKey];
        bool duplicate = billedDays & dayBit != 0;
        // 5. Prior authorization: the first usable one, consumed only if the line is approved (not a duplicate).
        uint64 authId;
        if (!appealed && feeWord.requiresPriorAuth()) {
            authId = _PRIOR_AUTHS.useFor(
                adjudication.claimId,
                adjudication.member,
                adjudication.planId,
                code,
                serviceDate,
                units,
                !duplicate
            );
            if (authId == 0) return _denial(Carc.NO_AUTHORIZATION, AdjustmentGroup.ContractualObligation, 0);
        }
        // 6. Duplicate service; else approved.
        if (duplicate) return _denial(Carc.DUPLICATE, AdjustmentGroup.OtherAdjustment, 0);
        _services[serviceKey] = billedDays | dayBit;
        outcome.priorAuth = authId;
        _price(adjudication, outcome, line.billed(), feeWord, units);
    }

    /// @dev Prices an approved line against the cached enrollment's accumulators and updates them, exactly as the
    /// rules say. Every figure stays below 2^80: `allowed ≤ billed < 2^80` and the parts of `allowed` are smaller.
    function _price(
        Adjudication memory adjudication,
        LineOutcome memory outcome,
        uint256 billed,
        FeeWord feeWord,
        uint256 units
    ) private pure {
        PlanWord word = adjudication.plan;
        EnrollmentWord period = adjudication.enrollment;
        uint256 allowed = _min(billed, feeWord.allowedPerUnit() * units);
        uint256 deductibleMet = period.deductibleMet();
        uint256 oopMet = period.oopMet();
        uint256 deductible = word.deductible();
        uint256 ded = deductibleMet < deductible ? _min(allowed, deductible - deductibleMet) : 0;
        uint256 copay = _min(feeWord.copay(), allowed - ded);
        uint256 coins = ((allowed - ded - copay) * word.coinsuranceBps()) / _BPS;
        uint256 owed = ded + copay + coins;
        uint256 oopMax = word.oopMax();
        if (oopMet + owed > oopMax) {
            (ded, copay, coins) = _capped(ded, copay, coins, oopMet + owed - oopMax);
            owed = ded + copay + coins;
        }
        // Accumulators stay below 2^80: the deductible met never passes a deductible (80 bits), and the out-of-pocket
        // total never passes the out-of-pocket maximum in force when it grew (80 bits).
        adjudication.enrollment = period.withAccumulators(deductibleMet + ded, oopMet + owed);
        adjudication.enrollmentDirty = true;
        outcome.allowed = uint80(allowed);
        outcome.deductible = uint80(ded);
        outcome.copay = uint80(copay);
        outcome.coinsurance = uint80(coins);
        outcome.planPays = uint80(allowed - owed);
        outcome.patientOwes = uint80(owed);
    }

    /// @dev The out-of-pocket cap: the excess comes off the coinsurance first, then the copay, then the deductible.
    function _capped(
        uint256 ded,
        uint256 copay,
        uint256 coins,
        uint256 excess
    ) private pure returns (uint256, uint256, uint256) {
        uint256 cut = _min(coins, excess);
        coins -= cut;
        excess -= cut;
        cut = _min(copay, excess);
        copay -= cut;
        excess -= cut;
        ded -= _min(ded, excess);
        return (ded, copay, coins);
    }

    function _denial(
        uint16 carc,
        AdjustmentGroup group,
        uint256 patientOwes
    ) private pure returns (LineOutcome memory outcome) {
        outcome.carc = carc;
        outcome.group = group;
        outcome.patientOwes = uint80(patientOwes);
    }

    /// @dev Makes the enrollment covering `time` the cached one (writing back the previous if it changed).
    /// `endedBefore` says, when none covers it, whether some enrollment ended before `time` (CARC 27 rather than 26).
    function _loadEnrollment(
        Adjudication memory adjudication,
        uint256 time
    ) private returns (bool covered, bool endedBefore) {
        if (adjudication.enrollmentLoaded && adjudication.enrollment.covers(time)) return (true, false);
        _flushEnrollment(adjudication);
        uint256 index;
        EnrollmentWord word;
        (covered, index, word, endedBefore) = _findEnrollment(adjudication.memberKey, time);
        if (covered) {
            adjudication.enrollmentLoaded = true;
            adjudication.enrollmentIndex = index;
            adjudication.enrollment = word;
        }
    }

    function _flushEnrollment(Adjudication memory adjudication) private {
        if (adjudication.enrollmentDirty) {
            _enrollments[adjudication.memberKey][adjudication.enrollmentIndex] = adjudication.enrollment;
            adjudication.enrollmentDirty = false;
        }
        adjudication.enrollmentLoaded = false;
    }

    /// @dev The member's enrollment covering `time`: the latest first (the usual case), else by binary search over the
    /// older ones, which are in chronological order of `seq` (with the latest, at most 17 reads for 65,536 periods).
    /// `endedBefore` says, when none covers it, whether some period ended before `time`.
    function _findEnrollment(
        bytes32 memberKey,
        uint256 time
    ) private view returns (bool found, uint256 index, EnrollmentWord word, bool endedBefore) {
        mapping(uint256 index => EnrollmentWord word) storage periods = _enrollments[memberKey];
        word = periods[0];
        if (word.isEmpty()) return (false, 0, word, false);
        if (word.covers(time)) return (true, 0, word, false);
        if (word.coverageEnd() < time) return (false, 0, EnrollmentWord.wrap(0), true);
        // `time` is before the latest period: search seqs [low, high) of the older ones, stored at index seq + 1.
        uint256 low;
        uint256 high = word.seq();
        while (low < high) {
            uint256 mid = (low + high) / 2;
            EnrollmentWord older = periods[mid + 1];
            if (time < older.coverageStart()) high = mid;
            else if (time > older.coverageEnd()) low = mid + 1;
            else return (true, mid + 1, older, false);
        }
        // Every period numbered below `low` ended before `time`.
        return (false, 0, EnrollmentWord.wrap(0), low > 0);
    }

    /// @dev Re-adjudicates an overturned line and books the difference on the claim.
    function _overturn(
        bytes32 claimId,
        uint8 line,
        ClaimWord word,
        ClaimContent calldata content,
        PlanWord planWord,
        uint256 time
    ) private returns (PaymentStatus payment) {
        Adjudication memory adjudication = _adjudication(
            claimId,
            content.plan,
            content.member,
            content.organization,
            planWord,
            time
        );
        ClaimLine claimLine = content.lines[line];
        LineOutcome memory outcome = _adjudicateLine(adjudication, claimLine, true);
        _flushEnrollment(adjudication);
        emit LineAdjudicated(claimId, claimLine, LineResultLib.decision(line, outcome), LineResultLib.shares(outcome));

        uint256 bit = 1 << line;
        uint256 previouslyOwed = word.prDenials() & bit != 0 ? claimLine.billed() : 0;
        uint256 denied = word.denied();
        uint256 prDenials = word.prDenials() & ~bit;
        if (outcome.group == AdjustmentGroup.None) denied &= ~bit;
        else if (outcome.group == AdjustmentGroup.PatientResponsibility) prDenials |= bit;
        // The organization may have been revoked since the claim: its successor, if assigned, is paid.
        payment = _pay(planWord.payer(), claimId, line, _payee(content.organization), outcome.planPays);
        _claims[claimId].word = ClaimWordLib.pack(
            _statusOf(denied, content.lines.length),
            word.payment(),
            denied,
            prDenials,
            word.adjudicatedAt(),
            word.planPays() + outcome.planPays,
            word.patientOwes() - previouslyOwed + outcome.patientOwes
        );
    }

    // ------------------------------------------------------------------------------------------------------------
    // Payment internals
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Credits `amount` to the organization at once if the payer owes nothing older and can cover it; otherwise
    /// appends it to the payer's queue. Nothing leaves the contract here.
    function _pay(
        ParticipantId payer,
        bytes32 claimId,
        uint8 line,
        ParticipantId organization,
        uint256 amount
    ) private returns (PaymentStatus) {
        if (amount == 0) return PaymentStatus.None;
        PayerAccount storage account = _payers[payer];
        PayerWord word = account.word;
        uint256 balance = word.balance();
        if (!word.hasQueue() && balance >= amount) {
            // balance ≥ amount, so the subtraction cannot underflow.
            unchecked {
                account.word = PayerWordLib.pack(balance - amount, word.head(), word.tail());
            }
            _providers[organization].balance += amount;
            return PaymentStatus.Credited;
        }
        uint256 tail = word.tail();
        _queues[payer][tail] = StoredPayment({
            claimId: claimId,
            organization: organization,
            amount: uint88(amount),
            line: line
        });
        account.word = PayerWordLib.pack(balance, word.head(), tail + 1);
        return PaymentStatus.Queued;
    }

    /// @dev Pays queued payments in order while the balance covers the next one, at most `maxPayments`.
    function _settle(ParticipantId payer, uint256 maxPayments) private returns (uint256 settled) {
        PayerAccount storage account = _payers[payer];
        PayerWord word = account.word;
        uint256 balance = word.balance();
        uint256 head = word.head();
        uint256 tail = word.tail();
        mapping(uint256 index => StoredPayment payment) storage queue = _queues[payer];
        while (settled < maxPayments && head < tail) {
            StoredPayment memory next = queue[head];
            if (next.amount > balance) break;
            balance -= next.amount;
            // A revoked organization's payments go to its successor, once the admin assigned one.
            ParticipantId payee = _payee(next.organization);
            _providers[payee].balance += next.amount;
            if (next.line == CLAIM_PAYMENT) {
                StoredClaim storage paid = _claims[next.claimId];
                paid.word = paid.word.withPayment(PaymentStatus.Credited);
            } else {
                _appeals[next.claimId][next.line].payment = PaymentStatus.Credited;
            }
            delete queue[head];
            emit QueuedPaymentCredited(next.claimId, payer, payee, next.line, next.amount);
            ++head;
            ++settled;
        }
        if (settled != 0) account.word = PayerWordLib.pack(balance, head, tail);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Checks and keys
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The caller as a provider: its id and its billing organization (itself, or a practitioner's affiliation).
    function _provider(uint48 time) private view returns (ParticipantId id, ParticipantId organization) {
        ParticipantKind kind;
        ParticipantId affiliation;
        bool active;
        (id, kind, affiliation, active) = _IDENTITY.accountStanding(msg.sender, time);
        if (!active) revert ClaimsProviderNotActive(msg.sender);
        if (kind == ParticipantKind.Organization) return (id, id);
        if (kind != ParticipantKind.Practitioner) revert ClaimsNotAProvider(msg.sender, id);
        // A practitioner bills for its organization, which must be active itself: a suspended or revoked hospital
        // does not bill through its people.
        if (!_IDENTITY.isActive(affiliation)) revert ClaimsOrganizationNotActive(affiliation);
        return (id, affiliation);
    }

    /// @dev Who is paid what is owed to `organization`: the end of its chain of successors (each assigned by the
    /// admin once its predecessor was revoked; at most `MAX_SUCCESSION_DEPTH` steps, acyclic because only active
    /// organizations succeed and a revoked one never returns), else itself.
    function _payee(ParticipantId organization) private view returns (ParticipantId payee) {
        payee = organization;
        ParticipantId successor = _successions[payee].successor;
        while (!successor.isNone()) {
            payee = successor;
            successor = _successions[payee].successor;
        }
    }

    /// @dev The plan, when the caller is its active payer.
    function _ownPlan(uint64 planId) private view returns (PlanWord word) {
        word = _plans[planId].word;
        if (PlanWord.unwrap(word) == 0) revert ClaimsUnknownPlan(planId);
        (ParticipantId caller, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind != ParticipantKind.Payer || caller != word.payer()) {
            revert ClaimsNotPlanPayer(planId, msg.sender);
        }
    }

    function _activePlan(uint64 planId) private view returns (PlanWord word) {
        word = _plans[planId].word;
        if (PlanWord.unwrap(word) == 0) revert ClaimsUnknownPlan(planId);
        if (word.status() != PlanStatus.Active) revert ClaimsPlanNotActive(planId, word.status());
    }

    function _checkTerms(PlanTerms calldata terms) private pure {
        if (terms.coinsuranceBps > _BPS) revert ClaimsCoinsuranceTooHigh(terms.coinsuranceBps);
        if (terms.oopMax < terms.deductible) revert ClaimsOopMaxBelowDeductible(terms.oopMax, terms.deductible);
        if (terms.timelyFilingDays == 0 || terms.appealWindowDays == 0) {
            revert ClaimsInvalidWindows(terms.timelyFilingDays, terms.appealWindowDays);
        }
    }

    function _planWord(
        ParticipantId payer,
        PlanStatus status,
        PlanTerms calldata terms
    ) private pure returns (PlanWord) {
        return
            PlanWordLib.pack(
                payer,
                status,
                terms.deductible,
                terms.oopMax,
                terms.coinsuranceBps,
                terms.timelyFilingDays
            );
    }

    function _checkBatch(uint256 size) private pure {
        if (size == 0 || size > MAX_BATCH) revert ClaimsInvalidBatchSize(size, MAX_BATCH);
    }

    /// @dev The appeal state machine: `None` → `Filed` → `Upheld` | `Overturned`.
    function _checkAppealTransition(bytes32 claimId, uint8 line, AppealStatus from, AppealStatus to) private pure {
        bool valid = to == AppealStatus.Filed ? from == AppealStatus.None : from == AppealStatus.Filed;
        if (!valid) revert ClaimsInvalidAppealTransition(claimId, line, from, to);
    }

    function _claimWithContent(bytes32 claimId, ClaimContent calldata content) private view returns (ClaimWord word) {
        StoredClaim storage stored = _claims[claimId];
        word = stored.word;
        if (word.isEmpty()) revert ClaimsUnknownClaim(claimId);
        bytes32 hash = _contentHash(
            claimId,
            content.member,
            content.plan,
            content.organization,
            content.submitter,
            content.lines,
            content.attachments
        );
        if (hash != stored.contentHash) revert ClaimsContentMismatch(claimId);
    }

    function _statusOf(uint256 denied, uint256 count) private pure returns (ClaimStatus) {
        if (denied == 0) return ClaimStatus.Approved;
        if (denied == (1 << count) - 1) return ClaimStatus.Denied;
        return ClaimStatus.PartiallyApproved;
    }

    function _isProcedureCode(bytes5 code) private pure returns (bool) {
        for (uint256 i; i < 5; ++i) {
            bytes1 c = code[i];
            if (!((c >= "0" && c <= "9") || (c >= "A" && c <= "Z"))) return false;
        }
        return true;
    }

    function _contentHash(
        bytes32 claimId,
        MemberId member,
        uint64 planId,
        ParticipantId organization,
        ParticipantId submitter,
        ClaimLine[] calldata lines,
        bytes32[] calldata attachments
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(claimId, member, planId, organization, submitter, lines, attachments));
    }

    function _memberKey(uint64 planId, MemberId member) private pure returns (bytes32) {
        return keccak256(abi.encode(planId, member));
    }

    /// @dev Duplicate services are the same member, organization and code on the same UTC day: the word of 256 days
    /// holding that day, and the day's bit in it.
    function _serviceKey(
        MemberId member,
        ParticipantId organization,
        bytes5 code,
        uint256 serviceDate
    ) private pure returns (bytes32 key, uint256 dayBit) {
        uint256 day = serviceDate / 1 days;
        return (keccak256(abi.encode(member, organization, code, day >> 8)), 1 << (day & 0xff));
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
