// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";
import {IProductSafety} from "./IProductSafety.sol";
import {ISupplyChain} from "./ISupplyChain.sol";
import {
    CaseStatus,
    CaseSubject,
    Custody,
    Hop,
    Investigation,
    Lot,
    LotStatus,
    PackLabel,
    RecallClass,
    Recipient,
    SuspectReason,
    UnitStatus
} from "./Supply.sol";

/// @title ProductSafety
/// @notice Quarantines, investigations of suspect product, illegitimate-product notifications and recalls, for the
/// `SupplyChain` that created it. See {IProductSafety}.
/// @dev Statuses live in the supply-chain registry (every movement there reads them); this contract keeps the cases
/// and changes those statuses through the registry's hooks, which only it may call.
contract ProductSafety is IProductSafety, CareLedgerModule {
    using ParticipantIdLib for ParticipantId;

    // ------------------------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The time within which an illegitimate-product determination must be notified: 24 hours (DSCSA
    /// 582(b)(4)(B)(ii), (c)(4)(B)(ii), (d)(4)(B)(ii), (e)(4)(B)(ii)).
    uint48 public constant NOTIFICATION_WINDOW = 24 hours;

    IIdentityRegistry private immutable _IDENTITY;
    ISupplyChain private immutable _SUPPLY;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable`.
    uint64 private _caseCount;
    /// @dev Four slots: the subject; 8 × 4 + 64 × 3 bits; five uint48 times; the path of four uint64.
    mapping(uint64 caseId => Investigation stored) private _cases;
    uint64[] private _openIllegitimate;
    /// @dev One past a case's index in `_openIllegitimate`; 0 if not listed.
    mapping(uint64 caseId => uint256 slot) private _openIllegitimateSlot;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Created by the supply-chain registry in its constructor: the creator is the registry served.
    constructor(address authority, IIdentityRegistry identity) CareLedgerModule(authority) {
        _IDENTITY = identity;
        _SUPPLY = ISupplyChain(msg.sender);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Quarantine
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IProductSafety
    function quarantineLot(
        uint64 gtin,
        bytes20 lotNumber,
        SuspectReason reason,
        bytes32 evidence
    ) external override returns (uint64 caseId) {
        Lot memory stored = _SUPPLY.lot(gtin, lotNumber);
        if (stored.status == LotStatus.None) revert ProductSafetyUnknownLot(gtin, lotNumber);
        bytes32 lotKey = _lotKey(gtin, lotNumber);
        ParticipantId investigator = _manufacturerOrRegulator(lotKey, stored.manufacturer);
        if (stored.status != LotStatus.Active) revert ProductSafetyNotQuarantinable(lotKey);
        Investigation memory draft;
        draft.subject = lotKey;
        draft.subjectKind = CaseSubject.Lot;
        draft.reason = reason;
        draft.priorStatus = uint8(LotStatus.Active);
        draft.investigator = investigator;
        if (investigator != stored.manufacturer) draft.supplier = stored.manufacturer;
        caseId = _openCase(draft, evidence);
        _SUPPLY.setLotStatus(lotKey, LotStatus.Quarantined, stored.recallClass);
    }

    /// @inheritdoc IProductSafety
    function quarantineContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path,
        SuspectReason reason,
        bytes32 evidence
    ) external override returns (uint64) {
        (bytes32 key, Custody memory custody, UnitStatus prior, bytes32[4] memory held) = _SUPPLY.holdContainer(
            sscc,
            packer,
            childrenRoot,
            lotsHash,
            path
        );
        return _openUnitCase(key, CaseSubject.Container, reason, custody, prior, held, evidence);
    }

    /// @inheritdoc IProductSafety
    function quarantinePack(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        SuspectReason reason,
        bytes32 evidence
    ) external override returns (uint64) {
        (bytes32 key, Custody memory custody, UnitStatus prior, bytes32[4] memory held) = _SUPPLY.holdPack(
            label,
            lotProof,
            path
        );
        return _openUnitCase(key, CaseSubject.Pack, reason, custody, prior, held, evidence);
    }

    /// @inheritdoc IProductSafety
    function openCloneCase(
        bytes32 serialKey,
        ParticipantId scanner,
        ParticipantId supplier,
        ParticipantId firstDispenser
    ) external override returns (uint64 caseId) {
        if (msg.sender != address(_SUPPLY)) revert ProductSafetyNotSupplyChain(msg.sender);
        Investigation memory draft;
        draft.subject = serialKey;
        draft.subjectKind = CaseSubject.Pack;
        draft.reason = SuspectReason.DuplicateSerial;
        draft.priorStatus = uint8(UnitStatus.Dispensed);
        draft.investigator = scanner;
        draft.supplier = supplier;
        caseId = _openCase(draft, bytes32(0));
        emit DuplicateSerial(serialKey, scanner, caseId, firstDispenser);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Investigations
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IProductSafety
    function decide(uint64 caseId, bool illegitimate, bytes32 evidence) external override {
        if (!illegitimate) _requireNotPaused();
        Investigation storage stored = _case(caseId);
        ParticipantId by = _investigatorOrRegulator(caseId, stored.investigator);
        CaseStatus to = illegitimate ? CaseStatus.Illegitimate : CaseStatus.Cleared;
        if (stored.status != CaseStatus.Open) revert ProductSafetyInvalidCaseTransition(caseId, stored.status, to);
        stored.status = to;
        stored.determinedAt = Time.timestamp();
        if (illegitimate) {
            _openIllegitimate.push(caseId);
            _openIllegitimateSlot[caseId] = _openIllegitimate.length;
        }
        emit CaseDetermined(caseId, stored.subject, by, illegitimate, evidence);
        if (stored.subjectKind == CaseSubject.Lot) {
            Lot memory lotStored = _SUPPLY.lotByKey(stored.subject);
            if (illegitimate) {
                _SUPPLY.setLotStatus(stored.subject, LotStatus.Illegitimate, lotStored.recallClass);
            } else if (lotStored.status == LotStatus.Quarantined) {
                // A lot recalled while under investigation stays recalled.
                _SUPPLY.setLotStatus(stored.subject, LotStatus.Active, lotStored.recallClass);
            }
        } else if (illegitimate) {
            _SUPPLY.setUnitStatus(stored.subject, UnitStatus.Illegitimate);
        } else {
            _SUPPLY.releaseHold(stored.subject, UnitStatus(stored.priorStatus), stored.path);
        }
    }

    /// @inheritdoc IProductSafety
    function notify(uint64 caseId, Recipient recipient, bytes32 notice) external override {
        Investigation storage stored = _case(caseId);
        if (stored.investigator.isNone() || _IDENTITY.idOf(msg.sender) != stored.investigator) {
            revert ProductSafetyNotInvestigator(caseId, msg.sender);
        }
        if (stored.status != CaseStatus.Illegitimate) {
            revert ProductSafetyInvalidCaseTransition(caseId, stored.status, CaseStatus.Illegitimate);
        }
        if (notice == bytes32(0)) revert ProductSafetyZeroNotice();
        uint48 now_ = Time.timestamp();
        ParticipantId notified;
        if (recipient == Recipient.Regulator) {
            if (stored.regulatorNotifiedAt != 0) revert ProductSafetyAlreadyNotified(caseId, recipient);
            stored.regulatorNotifiedAt = now_;
        } else if (recipient == Recipient.Supplier) {
            notified = stored.supplier;
            if (notified.isNone()) revert ProductSafetyNoSuchRecipient(caseId, recipient);
            if (stored.supplierNotifiedAt != 0) revert ProductSafetyAlreadyNotified(caseId, recipient);
            stored.supplierNotifiedAt = now_;
        } else {
            notified = stored.customer;
            if (notified.isNone()) revert ProductSafetyNoSuchRecipient(caseId, recipient);
            if (stored.customerNotifiedAt != 0) revert ProductSafetyAlreadyNotified(caseId, recipient);
            stored.customerNotifiedAt = now_;
        }
        emit NotificationRecorded(caseId, recipient, notified, notice);
    }

    /// @inheritdoc IProductSafety
    function closeCase(uint64 caseId, bytes32 evidence) external override whenNotPaused {
        Investigation storage stored = _case(caseId);
        ParticipantId regulator = _IDENTITY.activeIdOf(msg.sender, ParticipantKind.Regulator);
        if (regulator.isNone()) revert ProductSafetyNotRegulator(msg.sender);
        if (stored.status != CaseStatus.Illegitimate) {
            revert ProductSafetyInvalidCaseTransition(caseId, stored.status, CaseStatus.Closed);
        }
        if (
            stored.regulatorNotifiedAt == 0 ||
            (!stored.supplier.isNone() && stored.supplierNotifiedAt == 0) ||
            (!stored.customer.isNone() && stored.customerNotifiedAt == 0)
        ) revert ProductSafetyNotificationsPending(caseId);
        stored.status = CaseStatus.Closed;
        uint256 slot = _openIllegitimateSlot[caseId];
        uint64 last = _openIllegitimate[_openIllegitimate.length - 1];
        _openIllegitimate[slot - 1] = last;
        _openIllegitimateSlot[last] = slot;
        _openIllegitimate.pop();
        delete _openIllegitimateSlot[caseId];
        emit CaseClosed(caseId, regulator, evidence);
        // The product was dealt with: the containers that held it may move again; it stays illegitimate.
        if (stored.subjectKind != CaseSubject.Lot) {
            _SUPPLY.releaseHold(stored.subject, UnitStatus.Illegitimate, stored.path);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Recalls
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IProductSafety
    function recall(uint64 gtin, bytes20 lotNumber, RecallClass recallClass, bytes32 notice) external override {
        Lot memory stored = _SUPPLY.lot(gtin, lotNumber);
        if (stored.status == LotStatus.None) revert ProductSafetyUnknownLot(gtin, lotNumber);
        bytes32 lotKey = _lotKey(gtin, lotNumber);
        ParticipantId by = _manufacturerOrRegulator(lotKey, stored.manufacturer);
        if (recallClass == RecallClass.None) revert ProductSafetyInvalidRecallClass(recallClass);
        if (notice == bytes32(0)) revert ProductSafetyZeroNotice();
        if (stored.status == LotStatus.Recalled || stored.status == LotStatus.Illegitimate) {
            revert ProductSafetyLotNotRecallable(lotKey, stored.status);
        }
        _SUPPLY.setLotStatus(lotKey, LotStatus.Recalled, recallClass);
        emit LotRecalled(lotKey, recallClass, by, notice);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IProductSafety
    function investigation(uint64 caseId) external view override returns (Investigation memory) {
        return _cases[caseId];
    }

    /// @inheritdoc IProductSafety
    function caseCount() external view override returns (uint64) {
        return _caseCount;
    }

    /// @inheritdoc IProductSafety
    function openIllegitimateCases() external view override returns (uint64[] memory) {
        return _openIllegitimate;
    }

    /// @inheritdoc IProductSafety
    function overdueNotifications(
        uint64 caseId
    ) external view override returns (bool regulator, bool supplier, bool customer) {
        Investigation storage stored = _cases[caseId];
        if (stored.status != CaseStatus.Illegitimate) return (false, false, false);
        if (Time.timestamp() <= stored.determinedAt + NOTIFICATION_WINDOW) return (false, false, false);
        regulator = stored.regulatorNotifiedAt == 0;
        supplier = !stored.supplier.isNone() && stored.supplierNotifiedAt == 0;
        customer = !stored.customer.isNone() && stored.customerNotifiedAt == 0;
    }

    /// @inheritdoc IProductSafety
    function notificationWindow() external pure override returns (uint48) {
        return NOTIFICATION_WINDOW;
    }

    /// @inheritdoc IProductSafety
    function supplyChain() external view override returns (address) {
        return address(_SUPPLY);
    }

    /// @inheritdoc IPausableModule
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Opens a case from `draft` (subject, kind, reason, prior status, investigator, partners, path filled in).
    function _openCase(Investigation memory draft, bytes32 evidence) private returns (uint64 caseId) {
        if (draft.reason == SuspectReason.None) revert ProductSafetyInvalidReason(draft.reason);
        caseId = ++_caseCount;
        draft.status = CaseStatus.Open;
        draft.openedAt = Time.timestamp();
        _cases[caseId] = draft;
        emit Quarantined(caseId, draft.subject, draft.investigator, draft.reason, evidence);
    }

    /// @dev Opens the case of a unit the registry just held, once the caller is found to be one who may quarantine it
    /// (else the whole call, hold included, reverts).
    function _openUnitCase(
        bytes32 key,
        CaseSubject subjectKind,
        SuspectReason reason,
        Custody memory custody,
        UnitStatus prior,
        bytes32[4] memory held,
        bytes32 evidence
    ) private returns (uint64) {
        Investigation memory draft = _draftFor(key, subjectKind, reason, custody);
        draft.priorStatus = uint8(prior);
        draft.path = held;
        return _openCase(draft, evidence);
    }

    /// @dev A case draft for a unit, naming who may quarantine it and whom a determination must then be notified to:
    /// its owner (its supplier, and the buyer it is in transit to, to be notified), its supplier (its owner, the
    /// customer, to be notified) or a regulator (both). Reverts for anyone else. While the unit is in transit its
    /// custody's `from` is the buyer, who never held it; its earlier supplier is then in the events only.
    function _draftFor(
        bytes32 key,
        CaseSubject subjectKind,
        SuspectReason reason,
        Custody memory custody
    ) private view returns (Investigation memory draft) {
        draft.subject = key;
        draft.subjectKind = subjectKind;
        draft.reason = reason;
        bool inTransit = custody.status == UnitStatus.InTransit;
        ParticipantId supplier = inTransit ? ParticipantIdLib.NONE : custody.from;
        ParticipantId buyer = inTransit ? custody.from : ParticipantIdLib.NONE;
        (ParticipantId id, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        draft.investigator = id;
        if (active && kind == ParticipantKind.Regulator) {
            (draft.supplier, draft.customer) = (supplier, inTransit ? buyer : custody.owner);
            return draft;
        }
        if (!active || !_isTradingPartnerKind(kind)) revert ProductSafetyNotTradingPartner(msg.sender);
        if (id == custody.owner) {
            (draft.supplier, draft.customer) = (supplier, buyer);
            return draft;
        }
        if (id == supplier && !id.isNone()) {
            draft.customer = custody.owner;
            return draft;
        }
        revert ProductSafetyNotHolder(key, msg.sender);
    }

    function _case(uint64 caseId) private view returns (Investigation storage stored) {
        stored = _cases[caseId];
        if (stored.status == CaseStatus.None) revert ProductSafetyUnknownCase(caseId);
    }

    /// @dev The lot's manufacturer (active) or a regulator; reverts otherwise.
    function _manufacturerOrRegulator(bytes32 lotKey, ParticipantId manufacturer) private view returns (ParticipantId) {
        (ParticipantId caller, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (active && (kind == ParticipantKind.Regulator || caller == manufacturer)) return caller;
        revert ProductSafetyNotRecaller(lotKey, msg.sender);
    }

    function _investigatorOrRegulator(uint64 caseId, ParticipantId investigator) private view returns (ParticipantId) {
        (ParticipantId caller, ParticipantKind kind, , bool active) = _IDENTITY.accountStanding(
            msg.sender,
            Time.timestamp()
        );
        if (active && (kind == ParticipantKind.Regulator || caller == investigator)) return caller;
        revert ProductSafetyNotInvestigator(caseId, msg.sender);
    }

    function _isTradingPartnerKind(ParticipantKind kind) private pure returns (bool) {
        return
            kind == ParticipantKind.Manufacturer ||
            kind == ParticipantKind.Distributor ||
            kind == ParticipantKind.Pharmacy ||
            kind == ParticipantKind.Organization;
    }

    function _lotKey(uint64 gtin, bytes20 lotNumber) private pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lotNumber));
    }
}
