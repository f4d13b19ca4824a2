// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";
import {
    CaseStatus,
    Hop,
    Investigation,
    LotStatus,
    PackLabel,
    RecallClass,
    Recipient,
    SuspectReason
} from "./Supply.sol";

/// @title IProductSafety
/// @notice Suspect and illegitimate product, and recalls, for the drug supply chain (DSCSA 582(b)(4) and its
/// equivalents for every trading partner; FDA recalls, 21 CFR 7). Created by the `SupplyChain` it serves, whose lots
/// and units it quarantines, clears, finds illegitimate and recalls through that registry's hooks.
///
/// - **Quarantine.** A partner that holds or held a pack, container or lot quarantines it as suspect with a reason:
///   it then cannot be shipped, received or dispensed, nor can any container on its custody path move. The registry
///   opens a case itself when a serial is decommissioned twice (a clone).
/// - **Investigation.** The case ends cleared (back to commerce, as it was) or illegitimate (final). An illegitimate
///   determination must be notified within 24 hours to the regulator (FDA Form 3911) and to the immediate trading
///   partners the custody trail names (the supplier it came from, the customer it went to); the contract records
///   each notification's time and says which are overdue; a regulator confirms the closure once all are recorded.
/// - **Recalls.** The lot's manufacturer or a regulator recalls a lot with its class (I, II, III); from then on its
///   packs cannot be shipped, received or dispensed. Who holds it is computed off chain from the registry's events
///   and current ownership (the SDK's recall reach).
/// @dev Quarantining, recalling, finding product illegitimate and recording notifications work while paused:
/// they protect patients. Clearing a case and closing one do not.
interface IProductSafety {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Only the supply-chain registry that created this contract calls it here.
    error ProductSafetyNotSupplyChain(address account);
    /// @notice `account` is not the active key of a trading partner (manufacturer, distributor, pharmacy or
    /// organization with an unexpired licence) nor of a regulator.
    error ProductSafetyNotTradingPartner(address account);
    /// @notice No lot of this GTIN has this lot number.
    error ProductSafetyUnknownLot(uint64 gtin, bytes20 lot);
    /// @notice No container has this SSCC.
    error ProductSafetyUnknownContainer(uint64 sscc);
    /// @notice A notification or recall notice commitment must not be zero.
    error ProductSafetyZeroNotice();
    /// @notice Only an active regulator closes an illegitimate-product case.
    error ProductSafetyNotRegulator(address account);
    /// @notice A quarantine needs a reason.
    error ProductSafetyInvalidReason(SuspectReason reason);
    /// @notice The subject is already under investigation, recalled, illegitimate or otherwise not in commerce.
    error ProductSafetyNotQuarantinable(bytes32 subject);
    /// @notice `account` neither holds nor held the subject, and is not a regulator (for a lot: its manufacturer).
    error ProductSafetyNotHolder(bytes32 subject, address account);
    /// @notice No investigation has this id.
    error ProductSafetyUnknownCase(uint64 caseId);
    /// @notice The investigation cannot move from its status to the one asked for.
    error ProductSafetyInvalidCaseTransition(uint64 caseId, CaseStatus from, CaseStatus to);
    /// @notice Only the case's investigator or a regulator acts on it.
    error ProductSafetyNotInvestigator(uint64 caseId, address account);
    /// @notice The case has no one to notify as `recipient` (no such trading partner).
    error ProductSafetyNoSuchRecipient(uint64 caseId, Recipient recipient);
    /// @notice The notification was recorded already.
    error ProductSafetyAlreadyNotified(uint64 caseId, Recipient recipient);
    /// @notice A case closes only after every notification was recorded.
    error ProductSafetyNotificationsPending(uint64 caseId);
    /// @notice A recall needs a class.
    error ProductSafetyInvalidRecallClass(RecallClass recallClass);
    /// @notice Only the lot's manufacturer or a regulator recalls or quarantines a lot.
    error ProductSafetyNotRecaller(bytes32 lotKey, address account);
    /// @notice The lot is recalled or illegitimate already.
    error ProductSafetyLotNotRecallable(bytes32 lotKey, LotStatus status);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `scanner` tried to decommission a serial that `firstDispenser` had decommissioned: a clone. The serial
    /// is quarantined under case `caseId`.
    event DuplicateSerial(
        bytes32 indexed serialKey,
        ParticipantId indexed scanner,
        uint64 indexed caseId,
        ParticipantId firstDispenser
    );
    /// @notice An investigation opened: `investigator` quarantined the subject as suspect for `reason`.
    event Quarantined(
        uint64 indexed caseId,
        bytes32 indexed subject,
        ParticipantId indexed investigator,
        SuspectReason reason,
        bytes32 evidence
    );
    /// @notice The investigation ended: `illegitimate`, or cleared back to commerce; decided by `by`.
    event CaseDetermined(
        uint64 indexed caseId,
        bytes32 indexed subject,
        ParticipantId indexed by,
        bool illegitimate,
        bytes32 evidence
    );
    /// @notice A notification of an illegitimate-product determination was recorded; `notice` commits to it.
    event NotificationRecorded(
        uint64 indexed caseId,
        Recipient indexed recipient,
        ParticipantId notified,
        bytes32 notice
    );
    /// @notice A regulator confirmed the closure of an illegitimate-product case.
    event CaseClosed(uint64 indexed caseId, ParticipantId indexed regulator, bytes32 evidence);
    /// @notice The lot was recalled by `by` (its manufacturer or a regulator); `notice` commits to the recall notice.
    event LotRecalled(
        bytes32 indexed lotKey,
        RecallClass indexed recallClass,
        ParticipantId indexed by,
        bytes32 notice
    );

    // ------------------------------------------------------------------------------------------------------------
    // Quarantine, investigations, recalls
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Quarantines a lot as suspect. Caller: its manufacturer or a regulator. Works while paused.
    function quarantineLot(
        uint64 gtin,
        bytes20 lot,
        SuspectReason reason,
        bytes32 evidence
    ) external returns (uint64 caseId);

    /// @notice Quarantines the container (`sscc`, `packer`, `childrenRoot`, `lotsHash`), held through `path`, as
    /// suspect; every container on its path holds it. Caller: its owner, its supplier (who held it before) or a
    /// regulator. Works while paused.
    function quarantineContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path,
        SuspectReason reason,
        bytes32 evidence
    ) external returns (uint64 caseId);

    /// @notice Quarantines a pack as suspect; every container on its path holds it. Caller: its owner, its supplier or
    /// a regulator. Works while paused.
    function quarantinePack(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        SuspectReason reason,
        bytes32 evidence
    ) external returns (uint64 caseId);

    /// @notice Ends an open investigation: `illegitimate`, or cleared back to commerce. Caller: the investigator or a
    /// regulator. Finding product illegitimate works while paused; clearing does not.
    function decide(uint64 caseId, bool illegitimate, bytes32 evidence) external;

    /// @notice Records that `recipient` was notified of the illegitimate-product determination; `notice` commits to
    /// the notification (for the regulator, FDA Form 3911). Caller: the investigator. Works while paused.
    function notify(uint64 caseId, Recipient recipient, bytes32 notice) external;

    /// @notice A regulator confirms the closure of an illegitimate-product case, once every notification was recorded:
    /// the product was dealt with. The containers on its path no longer hold it (they may move again, having been
    /// unpacked to take it out or not); the pack or container itself stays illegitimate for good.
    function closeCase(uint64 caseId, bytes32 evidence) external;

    /// @notice Recalls a lot with `recallClass`. Caller: its manufacturer or a regulator. Works while paused.
    function recall(uint64 gtin, bytes20 lot, RecallClass recallClass, bytes32 notice) external;

    /// @notice Opens the case of a serial decommissioned a second time: `scanner` tried it, `firstDispenser` had
    /// decommissioned it; `supplier` is whoever the scanner's custody path says it came from (NONE if unproven).
    /// @dev Caller: the supply-chain registry, which has quarantined the serial.
    function openCloneCase(
        bytes32 serialKey,
        ParticipantId scanner,
        ParticipantId supplier,
        ParticipantId firstDispenser
    ) external returns (uint64 caseId);

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice An investigation; `status` None if none has this id.
    function investigation(uint64 caseId) external view returns (Investigation memory);

    /// @notice How many investigations were ever opened (ids run from 1).
    function caseCount() external view returns (uint64);

    /// @notice The illegitimate-product cases not yet closed.
    function openIllegitimateCases() external view returns (uint64[] memory);

    /// @notice Which notifications of the case are overdue (more than 24 hours after the determination, unrecorded).
    function overdueNotifications(uint64 caseId) external view returns (bool regulator, bool supplier, bool customer);

    /// @notice The time within which an illegitimate-product determination must be notified: 24 hours.
    function notificationWindow() external pure returns (uint48);

    /// @notice The supply-chain registry this contract serves.
    function supplyChain() external view returns (address);
}
