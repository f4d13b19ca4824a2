// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IBreakGlass} from "./IBreakGlass.sol";
import {ConsentRules, IConsentPolicy} from "./IConsentPolicy.sol";
import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {BreakGlass} from "./BreakGlass.sol";
import {
    ALL_CATEGORIES,
    ALL_PURPOSES,
    AccessRequest,
    CATEGORY_COUNT,
    ConsentState,
    DEFINED_CATEGORIES,
    DEFINED_PURPOSES,
    Decision,
    DecisionBasis,
    MAX_OPEN_BREAK_GLASS_SESSIONS,
    PURPOSE_COUNT,
    Purpose,
    RequestStatus,
    SignedGrant,
    SignedRevocation
} from "./Consent.sol";
import {ConsentEntry} from "./ConsentEntry.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";

/// @title ConsentRegistry
/// @notice Patient-directed grants, denies, signed consent, access requests and the access decision every CareLedger
/// module asks; emergency access through the break-glass workflow it creates. See {IConsentRegistry}.
/// @dev While the registry is paused, what can only take access away keeps working (revoke, narrow, revokeBySig, a
/// deny that adds categories, nonce burning, rejecting or cancelling a request), and so does `recordAccess`, which
/// changes no state: an audit trail must not have holes. Everything a participant can do to open access stops; the
/// admin's `setPolicy` (behind its execution delay) stays available, so that a pause can be used to replace a
/// faulty policy.
contract ConsentRegistry is IConsentRegistry, EIP712, CareLedgerModule {
    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    // ------------------------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------------------------

    /// @notice How far ahead a grant may start: 365 days.
    uint48 public constant MAX_START_DELAY = 365 days;
    /// @notice How long a request may wait for an answer: 30 days.
    uint48 public constant MAX_REQUEST_LIFETIME = 30 days;
    /// @notice The most one `increaseNonce` may move a patient's nonce: 2^64. Reaching 2^256 would take 2^192 calls,
    /// so a nonce never wraps back to a value a signature already used.
    uint256 public constant MAX_NONCE_STEP = 1 << 64;

    /// @dev The EIP-712 type hashes. The type strings are hashed at compile time (they cost no gas at run time, so
    /// solhint's small-strings rule does not apply), and split only to keep the lines short.
    // solhint-disable gas-small-strings
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(uint64 patient,uint64 grantee,uint32 categories,uint16 purposes,uint48 validFrom,"
        "uint48 validUntil,bytes32 evidence,uint256 nonce,uint48 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH = keccak256(
        "Revoke(uint64 patient,uint64 grantee,bytes32 evidence,uint256 nonce,uint48 deadline)"
    );
    // solhint-enable gas-small-strings

    uint16 private constant _EMERGENCY_BIT = uint16(1) << uint8(Purpose.EmergencyTreatment);

    IIdentityRegistry private immutable _IDENTITY;
    IBreakGlass private immutable _BREAK_GLASS;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that the counter shares a slot with the authority and the pause flag (EIP712 comes
    /// before CareLedgerModule in the inheritance list for that reason): opening a request checks the flag and bumps
    /// the counter in one slot.
    uint48 private _lastRequestId;

    IConsentPolicy private _policy;
    mapping(ParticipantId patient => mapping(ParticipantId grantee => ConsentEntry entry)) private _entries;
    mapping(ParticipantId patient => uint256 nonce) private _nonces;
    /// @dev Stored as returned, less expiry (see `request`). Slot 1: 64 + 64 + 32 + 16 + 8 + 48 = 232 bits; slot 2:
    /// 32 + 16 = 48 bits.
    mapping(uint64 requestId => AccessRequest request) private _requests;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @param authority The suite's AccessManager.
    /// @param identity The identity registry that says who is who.
    /// @param policy_ The initial policy.
    /// @dev Creates the break-glass workflow, managed by the same authority: its code lives in its own contract (the
    /// registry's runtime code stays within the 24,576-byte limit), and it knows this registry as its creator.
    constructor(
        address authority,
        IIdentityRegistry identity,
        IConsentPolicy policy_
    ) EIP712("CareLedger Consent", "1") CareLedgerModule(authority) {
        _IDENTITY = identity;
        _BREAK_GLASS = new BreakGlass(authority, identity);
        _setPolicy(policy_);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Grants
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsentRegistry
    function grant(
        ParticipantId patient,
        ParticipantId grantee,
        uint32 categories,
        uint16 purposes,
        uint48 validFrom,
        uint48 validUntil
    ) external override whenNotPaused returns (uint32) {
        ParticipantId actor = _actorAbout(patient, msg.sender, grantee);
        return _setPermit(patient, grantee, actor, categories, purposes, validFrom, validUntil);
    }

    /// @inheritdoc IConsentRegistry
    function narrow(
        ParticipantId patient,
        ParticipantId grantee,
        uint32 categories,
        uint16 purposes,
        uint48 validUntil
    ) external override returns (uint32 version_) {
        ParticipantId actor = _actorAbout(patient, msg.sender, grantee);
        ConsentEntry entry = _entries[patient][grantee];
        uint48 now_ = Time.timestamp();
        if (!_hasPermit(entry, now_)) revert ConsentNoLiveGrant(patient, grantee);
        _requireValidSets(categories, purposes);
        if (
            validUntil <= now_ ||
            validUntil <= entry.validFrom() ||
            validUntil > entry.validUntil() ||
            !_isNarrower(entry.categories(), entry.purposes(), categories, purposes)
        ) {
            revert ConsentNotNarrower(patient, grantee);
        }
        entry = entry.withPermit(categories, purposes, entry.validFrom(), validUntil);
        _entries[patient][grantee] = entry;
        version_ = entry.version();
        emit ConsentNarrowed(patient, grantee, actor, categories, purposes, validUntil, version_);
    }

    /// @inheritdoc IConsentRegistry
    function revoke(ParticipantId patient, ParticipantId grantee) external override returns (uint32) {
        return _revoke(patient, grantee, _actorAbout(patient, msg.sender, grantee));
    }

    /// @inheritdoc IConsentRegistry
    function setDeny(ParticipantId patient, ParticipantId grantee, uint32 categories) external override {
        ParticipantId actor = _actorAbout(patient, msg.sender, grantee);
        (ParticipantKind kind, , ) = _IDENTITY.standingOf(grantee);
        if (kind == ParticipantKind.None || kind == ParticipantKind.Patient) revert ConsentInvalidGrantee(grantee);
        if (categories != ALL_CATEGORIES && categories & ~DEFINED_CATEGORIES != 0) {
            revert ConsentInvalidCategories(categories);
        }
        ConsentEntry entry = _entries[patient][grantee];
        // Lifting any part of a deny opens access, which a pause forbids; adding to it never does.
        if (entry.deniedCategories() & ~categories != 0) _requireNotPaused();
        _entries[patient][grantee] = entry.withDenied(categories);
        emit ConsentDenySet(patient, grantee, actor, categories);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Signed consent
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsentRegistry
    function grantBySig(
        SignedGrant calldata grant_,
        address signer,
        bytes calldata signature
    ) external override whenNotPaused returns (uint32) {
        bytes32 structHash = keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                grant_.patient,
                grant_.grantee,
                grant_.categories,
                grant_.purposes,
                grant_.validFrom,
                grant_.validUntil,
                grant_.evidence,
                grant_.nonce,
                grant_.deadline
            )
        );
        ParticipantId actor = _useSignature(
            grant_.patient,
            grant_.grantee,
            signer,
            grant_.nonce,
            grant_.deadline,
            grant_.evidence,
            structHash,
            signature
        );
        return
            _setPermit(
                grant_.patient,
                grant_.grantee,
                actor,
                grant_.categories,
                grant_.purposes,
                grant_.validFrom,
                grant_.validUntil
            );
    }

    /// @inheritdoc IConsentRegistry
    function revokeBySig(
        SignedRevocation calldata revocation,
        address signer,
        bytes calldata signature
    ) external override returns (uint32) {
        bytes32 structHash = keccak256(
            abi.encode(
                REVOKE_TYPEHASH,
                revocation.patient,
                revocation.grantee,
                revocation.evidence,
                revocation.nonce,
                revocation.deadline
            )
        );
        ParticipantId actor = _useSignature(
            revocation.patient,
            revocation.grantee,
            signer,
            revocation.nonce,
            revocation.deadline,
            revocation.evidence,
            structHash,
            signature
        );
        return _revoke(revocation.patient, revocation.grantee, actor);
    }

    /// @inheritdoc IConsentRegistry
    function increaseNonce(ParticipantId patient, uint256 newNonce) external override {
        _actorFor(patient, msg.sender);
        uint256 current = _nonces[patient];
        if (newNonce <= current || newNonce - current > MAX_NONCE_STEP) {
            revert ConsentNonceNotIncreased(patient, current, newNonce);
        }
        _nonces[patient] = newNonce;
        emit NonceIncreased(patient, current, newNonce);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Access requests
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsentRegistry
    function requestAccess(
        ParticipantId patient,
        uint32 categories,
        uint16 purposes,
        uint32 duration,
        uint16 reasonCode,
        uint48 respondBy
    ) external override whenNotPaused returns (uint64 requestId) {
        (ParticipantId requester, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (!active || kind == ParticipantKind.Patient) revert ConsentInvalidRequester(msg.sender);
        _requirePatient(patient);
        _requireValidSets(categories, purposes);
        uint48 now_ = Time.timestamp();
        if (duration == 0 || respondBy <= now_ || respondBy > now_ + MAX_REQUEST_LIFETIME) {
            revert ConsentInvalidRequestTerms(respondBy, duration);
        }
        requestId = SafeCast.toUint48(uint256(_lastRequestId) + 1);
        _lastRequestId = uint48(requestId);
        _requests[requestId] = AccessRequest({
            patient: patient,
            requester: requester,
            categories: categories,
            purposes: purposes,
            status: RequestStatus.Pending,
            respondBy: respondBy,
            duration: duration,
            reasonCode: reasonCode
        });
        emit AccessRequested(requestId, patient, requester, categories, purposes, duration, reasonCode, respondBy);
    }

    /// @inheritdoc IConsentRegistry
    function approveRequest(
        uint64 requestId,
        uint32 categories,
        uint16 purposes,
        uint48 validUntil
    ) external override whenNotPaused returns (uint32 version_) {
        AccessRequest storage stored = _transitionRequest(requestId, RequestStatus.Approved);
        ParticipantId patient = stored.patient;
        ParticipantId actor = _actorAbout(patient, msg.sender, stored.requester);
        _requireValidSets(categories, purposes);
        uint48 now_ = Time.timestamp();
        if (
            validUntil > now_ + stored.duration ||
            !_isNarrower(stored.categories, stored.purposes, categories, purposes)
        ) {
            revert ConsentApprovalExceedsRequest(requestId);
        }
        version_ = _setPermit(patient, stored.requester, actor, categories, purposes, now_, validUntil);
        emit AccessRequestResolved(requestId, patient, actor, RequestStatus.Approved, 0);
    }

    /// @inheritdoc IConsentRegistry
    function rejectRequest(uint64 requestId, uint16 reasonCode) external override {
        AccessRequest storage stored = _transitionRequest(requestId, RequestStatus.Rejected);
        ParticipantId patient = stored.patient;
        ParticipantId actor = _actorFor(patient, msg.sender);
        emit AccessRequestResolved(requestId, patient, actor, RequestStatus.Rejected, reasonCode);
    }

    /// @inheritdoc IConsentRegistry
    function cancelRequest(uint64 requestId) external override {
        AccessRequest storage stored = _transitionRequest(requestId, RequestStatus.Cancelled);
        ParticipantId requester = stored.requester;
        if (_IDENTITY.idOf(msg.sender) != requester) revert ConsentNotRequester(requestId, msg.sender);
        emit AccessRequestResolved(requestId, stored.patient, requester, RequestStatus.Cancelled, 0);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsentRegistry
    function setPolicy(IConsentPolicy policy_) external override restricted {
        _setPolicy(policy_);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Decision and audit
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsentRegistry
    function recordAccess(
        ParticipantId patient,
        uint8 category,
        uint8 purpose
    ) external override returns (Decision memory decision) {
        decision = decide(patient, msg.sender, category, purpose, Time.timestamp());
        if (decision.basis == DecisionBasis.UnknownAccessor || decision.basis == DecisionBasis.InactiveAccessor) {
            revert ConsentAccessorInactive(msg.sender);
        }
        if (decision.allowed) {
            emit AccessGranted(
                patient,
                decision.accessor,
                decision.grantee,
                category,
                purpose,
                decision.basis,
                decision.ref
            );
        } else {
            emit AccessDenied(patient, decision.accessor, decision.grantee, category, purpose, decision.basis);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The registry's semantic version. 1.1.0: `decideWithStanding` returns the decision's allowed, basis
    /// and accessor flat, not a `Decision`.
    function version() external pure override returns (string memory) {
        return "1.1.0";
    }

    /// @inheritdoc IConsentRegistry
    function consentOf(
        ParticipantId patient,
        ParticipantId grantee
    ) external view override returns (ConsentState memory) {
        return _entries[patient][grantee].decode();
    }

    /// @inheritdoc IConsentRegistry
    function nonces(ParticipantId patient) external view override returns (uint256) {
        return _nonces[patient];
    }

    /// @inheritdoc IConsentRegistry
    function request(uint64 requestId) external view override returns (AccessRequest memory) {
        AccessRequest storage stored = _requests[requestId];
        if (stored.status == RequestStatus.None) revert ConsentUnknownRequest(requestId);
        AccessRequest memory copy = stored;
        copy.status = _effectiveStatus(stored);
        return copy;
    }

    /// @inheritdoc IConsentRegistry
    function breakGlass() external view override returns (IBreakGlass) {
        return _BREAK_GLASS;
    }

    /// @inheritdoc IConsentRegistry
    function policy() external view override returns (IConsentPolicy) {
        return _policy;
    }

    /// @inheritdoc IConsentRegistry
    function identityRegistry() external view override returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @inheritdoc IConsentRegistry
    function requestCount() external view override returns (uint64) {
        return _lastRequestId;
    }

    // ------------------------------------------------------------------------------------------------------------
    // The decision (public so that `recordAccess` shares it without a second copy of the result in memory)
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The order is fixed and documented in `IConsentRegistry.decide`: who the accessor is; the patient
    /// themselves; the accessor's own deny; the accessor's own grant; break-glass; the organization's deny and grant;
    /// representation. When a grant covers the request but a rule refuses it, the first such refusal is reported
    /// unless a later basis allows.
    ///
    /// Gas: the common case, a grant to the accessor naming the category and purpose, is decided from two storage
    /// words (the accessor's binding in the identity registry and the patient's word about the accessor) without
    /// asking the policy; the organization's word and the policy are read only when the accessor's own word does
    /// not decide.
    /// @inheritdoc IConsentRegistry
    function decide(
        ParticipantId patient,
        address accessor,
        uint8 category,
        uint8 purpose,
        uint48 at
    ) public view override returns (Decision memory) {
        (ParticipantId id, ParticipantKind kind, ParticipantId organization, bool active) = _IDENTITY.accountStanding(
            accessor,
            at
        );
        return _decide(patient, id, kind, organization, active, category, purpose, at);
    }

    /// @inheritdoc IConsentRegistry
    function decideCategories(
        ParticipantId patient,
        ParticipantId accessor,
        uint32 categories,
        uint8 purpose
    ) external view override returns (bool allowed, uint8 category, DecisionBasis basis) {
        if (categories == 0 || categories & ~DEFINED_CATEGORIES != 0) revert ConsentInvalidCategories(categories);
        (ParticipantKind kind, ParticipantId organization, bool active) = _IDENTITY.standingOf(accessor);
        // An id nobody was given is unknown, as `decide` says of a key that controls none.
        if (kind == ParticipantKind.None) accessor = ParticipantIdLib.NONE;
        uint48 now_ = Time.timestamp();
        for (uint8 c; categories != 0; ++c) {
            uint32 bit = uint32(1) << c;
            if (categories & bit == 0) continue;
            categories &= ~bit;
            Decision memory decision = _decide(patient, accessor, kind, organization, active, c, purpose, now_);
            if (!decision.allowed) return (false, c, decision.basis);
            basis = decision.basis;
        }
        allowed = true;
    }

    /// @dev The same decision as `decide`; its answer goes back as five words rather than a `Decision` and two more
    /// words, which spares the record registry (it asks on every anchor) encoding and decoding what it never uses.
    /// @inheritdoc IConsentRegistry
    function decideWithStanding(
        ParticipantId patient,
        address accessor,
        uint8 category,
        uint8 purpose,
        uint48 at
    )
        external
        view
        override
        returns (
            bool allowed,
            DecisionBasis basis,
            ParticipantId accessorId,
            ParticipantKind kind,
            ParticipantId organization
        )
    {
        bool active;
        (accessorId, kind, organization, active) = _IDENTITY.accountStanding(accessor, at);
        Decision memory decision = _decide(patient, accessorId, kind, organization, active, category, purpose, at);
        (allowed, basis) = (decision.allowed, decision.basis);
    }

    /// @dev The decision for an accessor whose standing was read: `id`, `kind`, `organization` (its affiliation) and
    /// whether it is active at `at`.
    function _decide(
        ParticipantId patient,
        ParticipantId id,
        ParticipantKind kind,
        ParticipantId organization,
        bool active,
        uint8 category,
        uint8 purpose,
        uint48 at
    ) private view returns (Decision memory) {
        if (category >= CATEGORY_COUNT) revert ConsentInvalidCategory(category);
        if (purpose >= PURPOSE_COUNT) revert ConsentInvalidPurpose(purpose);
        if (id.isNone()) return Decision(false, DecisionBasis.UnknownAccessor, id, ParticipantIdLib.NONE, 0);
        if (!active) return Decision(false, DecisionBasis.InactiveAccessor, id, ParticipantIdLib.NONE, 0);
        if (id == patient && kind == ParticipantKind.Patient) return Decision(true, DecisionBasis.Self, id, id, 0);
        uint32 categoryBit = uint32(1) << category;
        ConsentEntry own = _entries[patient][id];
        if (own.denies(categoryBit)) return Decision(false, DecisionBasis.ExplicitDeny, id, id, 0);
        uint16 purposeBit = uint16(1) << purpose;
        DecisionBasis refusal = DecisionBasis.NoGrant;
        if (own.covers(categoryBit, purposeBit, at)) {
            bool refused;
            (refused, refusal) = _ruleRefusal(
                own.categories() == ALL_CATEGORIES,
                own.purposes() == ALL_PURPOSES,
                categoryBit,
                purposeBit
            );
            if (!refused) return Decision(true, DecisionBasis.Grant, id, id, own.version());
        }
        return
            _decideBeyondOwnGrant(
                Decision(false, refusal, id, refusal == DecisionBasis.NoGrant ? ParticipantIdLib.NONE : id, 0),
                patient,
                kind,
                organization,
                categoryBit,
                purposeBit,
                at
            );
    }

    /// @dev The rest of the decision, when the accessor's own grant did not allow: break-glass (asked of the
    /// break-glass workflow only for a practitioner and the emergency purpose), the organization's word,
    /// representation. `decision.basis` holds `NoGrant` or the first refusal by a rule.
    function _decideBeyondOwnGrant(
        Decision memory decision,
        ParticipantId patient,
        ParticipantKind kind,
        ParticipantId organization,
        uint32 categoryBit,
        uint16 purposeBit,
        uint48 at
    ) private view returns (Decision memory) {
        ParticipantId id = decision.accessor;
        if (purposeBit == _EMERGENCY_BIT && kind == ParticipantKind.Practitioner) {
            uint64 sessionId = _BREAK_GLASS.openSession(patient, id, organization, at);
            if (sessionId != 0) {
                if (_policy.rules().breakGlassExcludedCategories & categoryBit == 0) {
                    return _allowed(decision, DecisionBasis.BreakGlass, id, sessionId);
                }
                _refuse(decision, DecisionBasis.BreakGlassCategoryExcluded, id);
            }
        }

        if (!organization.isNone()) {
            ConsentEntry org = _entries[patient][organization];
            if (org.denies(categoryBit)) {
                // The organization's deny shuts everything its grant would open to its people.
                _refuse(decision, DecisionBasis.ExplicitDeny, organization);
            } else if (org.covers(categoryBit, purposeBit, at)) {
                // An organization's grant is never a named grant: sensitive categories and named purposes stay
                // closed.
                (bool refused, DecisionBasis reason) = _ruleRefusal(true, true, categoryBit, purposeBit);
                if (!refused && !_IDENTITY.isActiveAt(organization, at)) {
                    (refused, reason) = (true, DecisionBasis.InactiveGrantee);
                }
                if (!refused) return _allowed(decision, DecisionBasis.OrganizationGrant, organization, org.version());
                _refuse(decision, reason, organization);
            }
        }

        if (_IDENTITY.isRepresentative(patient, id))
            return _allowed(decision, DecisionBasis.Representative, patient, 0);
        return decision;
    }

    /// @dev Whether a policy rule refuses a covering grant: a wildcard category set never opens a sensitive
    /// category, a wildcard purpose set never opens a purpose that must be named. Asks the policy only if a set is a
    /// wildcard.
    function _ruleRefusal(
        bool wildCategories,
        bool wildPurposes,
        uint32 categoryBit,
        uint16 purposeBit
    ) private view returns (bool refused, DecisionBasis reason) {
        if (!wildCategories && !wildPurposes) return (false, DecisionBasis.NoGrant);
        ConsentRules memory rules = _policy.rules();
        if (wildCategories && rules.sensitiveCategories & categoryBit != 0) {
            return (true, DecisionBasis.SensitiveCategoryNotNamed);
        }
        if (wildPurposes && rules.namedPurposes & purposeBit != 0) return (true, DecisionBasis.PurposeNotNamed);
        return (false, DecisionBasis.NoGrant);
    }

    /// @dev Keeps the first refusal: later ones do not overwrite it.
    function _refuse(Decision memory decision, DecisionBasis reason, ParticipantId grantee) private pure {
        if (decision.basis == DecisionBasis.NoGrant) (decision.basis, decision.grantee) = (reason, grantee);
    }

    function _allowed(
        Decision memory decision,
        DecisionBasis basis,
        ParticipantId grantee,
        uint64 ref
    ) private pure returns (Decision memory) {
        (decision.allowed, decision.basis, decision.grantee, decision.ref) = (true, basis, grantee, ref);
        return decision;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: writes
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The one place a permit is set: checks the grantee, the sets and the window (against the policy), then
    /// writes the word and emits.
    function _setPermit(
        ParticipantId patient,
        ParticipantId grantee,
        ParticipantId actor,
        uint32 categories,
        uint16 purposes,
        uint48 validFrom,
        uint48 validUntil
    ) private returns (uint32 version_) {
        _requireGrantee(grantee);
        _requireValidSets(categories, purposes);
        validFrom = _checkedStart(purposes, validFrom, validUntil); // from here on, the effective start
        version_ = _storePermit(patient, grantee, categories, purposes, validFrom, validUntil);
        emit ConsentGranted(patient, grantee, actor, categories, purposes, validFrom, validUntil, version_);
    }

    function _storePermit(
        ParticipantId patient,
        ParticipantId grantee,
        uint32 categories,
        uint16 purposes,
        uint48 start,
        uint48 validUntil
    ) private returns (uint32) {
        ConsentEntry entry = _entries[patient][grantee].withPermit(categories, purposes, start, validUntil);
        _entries[patient][grantee] = entry;
        return entry.version();
    }

    /// @dev The effective start of a window (`validFrom`, or now if that is earlier), after checking the window
    /// against the bounds and the policy's maximum duration for the purposes. `start` is at most a year ahead and
    /// `validUntil` at most a `uint32` of seconds after it, so both fit the entry's 40-bit times.
    function _checkedStart(uint16 purposes, uint48 validFrom, uint48 validUntil) private view returns (uint48 start) {
        uint48 now_ = Time.timestamp();
        start = validFrom > now_ ? validFrom : now_;
        if (validUntil <= start || validFrom > now_ + MAX_START_DELAY)
            revert ConsentInvalidWindow(validFrom, validUntil);
        uint32 longest = _policy.maxGrantDuration(purposes);
        if (validUntil - start > longest) revert ConsentDurationTooLong(validUntil - start, longest);
    }

    function _requireGrantee(ParticipantId grantee) private view {
        (ParticipantKind kind, , bool active) = _IDENTITY.standingOf(grantee);
        if (kind == ParticipantKind.None || kind == ParticipantKind.Patient || !active) {
            revert ConsentInvalidGrantee(grantee);
        }
    }

    function _revoke(ParticipantId patient, ParticipantId grantee, ParticipantId actor) private returns (uint32) {
        ConsentEntry entry = _entries[patient][grantee];
        if (!_hasPermit(entry, Time.timestamp())) revert ConsentNoLiveGrant(patient, grantee);
        entry = entry.withPermit(0, 0, 0, 0);
        _entries[patient][grantee] = entry;
        emit ConsentRevoked(patient, grantee, actor, entry.version());
        return entry.version();
    }

    /// @dev Checks the deadline, nonce, signer and signature of a signed consent, and uses the nonce.
    function _useSignature(
        ParticipantId patient,
        ParticipantId grantee,
        address signer,
        uint256 nonce,
        uint48 deadline,
        bytes32 evidence,
        bytes32 structHash,
        bytes calldata signature
    ) private returns (ParticipantId actor) {
        if (deadline < Time.timestamp()) revert ConsentSignatureExpired(deadline, Time.timestamp());
        uint256 expected = _nonces[patient];
        if (nonce != expected) revert ConsentInvalidNonce(patient, expected, nonce);
        if (!SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert ConsentInvalidSignature(signer);
        }
        actor = _actorAbout(patient, signer, grantee);
        // Checked: a nonce never wraps (and `increaseNonce` moves it by at most `MAX_NONCE_STEP`, so 2^256 is out of
        // reach).
        _nonces[patient] = expected + 1;
        emit SignedConsentRelayed(patient, signer, msg.sender, nonce, evidence);
    }

    /// @dev The single transition function of access requests: Pending → Approved, Rejected or Cancelled, while
    /// the request has not expired. Returns the request for the caller to finish with.
    function _transitionRequest(uint64 requestId, RequestStatus to) private returns (AccessRequest storage stored) {
        stored = _requests[requestId];
        RequestStatus from = _effectiveStatus(stored);
        if (from == RequestStatus.None) revert ConsentUnknownRequest(requestId);
        if (from != RequestStatus.Pending) revert ConsentInvalidRequestTransition(requestId, from, to);
        stored.status = to;
    }

    function _setPolicy(IConsentPolicy policy_) private {
        if (address(policy_).code.length == 0) revert ConsentInvalidPolicy(address(policy_));
        // A policy that does not answer, or answers with undefined categories or purposes, is refused here rather
        // than breaking every decision later.
        try policy_.rules() returns (ConsentRules memory rules) {
            if (
                rules.sensitiveCategories & ~DEFINED_CATEGORIES != 0 ||
                rules.breakGlassExcludedCategories & ~DEFINED_CATEGORIES != 0 ||
                rules.namedPurposes & ~DEFINED_PURPOSES != 0 ||
                rules.maxBreakGlassDuration == 0 ||
                rules.maxOpenBreakGlassSessions == 0 ||
                rules.maxOpenBreakGlassSessions > MAX_OPEN_BREAK_GLASS_SESSIONS
            ) {
                revert ConsentInvalidPolicy(address(policy_));
            }
        } catch {
            revert ConsentInvalidPolicy(address(policy_));
        }
        IConsentPolicy previous = _policy;
        _policy = policy_;
        emit PolicyChanged(previous, policy_);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: checks
    // ------------------------------------------------------------------------------------------------------------

    /// @dev The id `account` acts as for the patient: the patient's own (active) id or an active representative's
    /// (of a patient who is active herself).
    function _actorFor(ParticipantId patient, address account) private view returns (ParticipantId id) {
        (id, ) = _actorAndOrganization(patient, account);
    }

    /// @dev As `_actorFor`, for a change to what the patient says about `grantee`: a representative may not make one
    /// about itself or its organization.
    function _actorAbout(
        ParticipantId patient,
        address account,
        ParticipantId grantee
    ) private view returns (ParticipantId id) {
        ParticipantId organization;
        (id, organization) = _actorAndOrganization(patient, account);
        if (id != patient && (grantee == id || (!organization.isNone() && grantee == organization))) {
            revert ConsentRepresentativeConflict(patient, id, grantee);
        }
    }

    function _actorAndOrganization(
        ParticipantId patient,
        address account
    ) private view returns (ParticipantId id, ParticipantId organization) {
        ParticipantKind kind;
        bool active;
        (id, kind, organization, active) = _IDENTITY.accountStanding(account, Time.timestamp());
        if (active) {
            if (id == patient) {
                if (kind != ParticipantKind.Patient) revert ConsentNotAPatient(patient);
                return (id, organization);
            }
            if (_IDENTITY.isRepresentative(patient, id)) return (id, organization);
        }
        revert ConsentUnauthorizedActor(patient, account);
    }

    function _requirePatient(ParticipantId patient) private view {
        (ParticipantKind kind, , ) = _IDENTITY.standingOf(patient);
        if (kind != ParticipantKind.Patient) revert ConsentNotAPatient(patient);
    }

    function _requireValidSets(uint32 categories, uint16 purposes) private pure {
        if (categories == 0 || (categories != ALL_CATEGORIES && categories & ~DEFINED_CATEGORIES != 0)) {
            revert ConsentInvalidCategories(categories);
        }
        if (purposes == 0 || (purposes != ALL_PURPOSES && purposes & ~DEFINED_PURPOSES != 0)) {
            revert ConsentInvalidPurposes(purposes);
        }
    }

    /// @dev Whether (`categories`, `purposes`) keeps within (`fromCategories`, `fromPurposes`). A wildcard contains
    /// everything except what the policy says it never covers; so narrowing a wildcard to named sets may not name
    /// a sensitive category or a purpose that must be named.
    function _isNarrower(
        uint32 fromCategories,
        uint16 fromPurposes,
        uint32 categories,
        uint16 purposes
    ) private view returns (bool) {
        bool categoriesWithin;
        bool purposesWithin;
        ConsentRules memory rules;
        if (
            (fromCategories == ALL_CATEGORIES && categories != ALL_CATEGORIES) ||
            (fromPurposes == ALL_PURPOSES && purposes != ALL_PURPOSES)
        ) {
            rules = _policy.rules();
        }
        if (fromCategories == ALL_CATEGORIES) {
            categoriesWithin = categories == ALL_CATEGORIES || categories & rules.sensitiveCategories == 0;
        } else {
            categoriesWithin = categories != ALL_CATEGORIES && categories & ~fromCategories == 0;
        }
        if (fromPurposes == ALL_PURPOSES) {
            purposesWithin = purposes == ALL_PURPOSES || purposes & rules.namedPurposes == 0;
        } else {
            purposesWithin = purposes != ALL_PURPOSES && purposes & ~fromPurposes == 0;
        }
        return categoriesWithin && purposesWithin;
    }

    /// @dev Whether the permit still has a future: it names something and has not ended (it may not have started).
    function _hasPermit(ConsentEntry entry, uint48 time) private pure returns (bool) {
        return entry.categories() != 0 && time < entry.validUntil();
    }

    function _effectiveStatus(AccessRequest storage stored) private view returns (RequestStatus) {
        RequestStatus status = stored.status;
        return status == RequestStatus.Pending && stored.respondBy < Time.timestamp() ? RequestStatus.Expired : status;
    }
}
