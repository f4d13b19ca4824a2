// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";

/// @notice What a pack carries in its GS1 DataMatrix, as the supply-chain registry takes it: AI (01) GTIN-14, AI (21)
/// serial, AI (10) lot, AI (17) expiry.
/// @dev `serial` and `lot` are 1 to 20 characters of GS1's character set 82, ASCII, left-aligned and zero-padded (no
/// character of the set is NUL, so the padding is unambiguous). `expiry` is the YYMMDD number printed on the pack
/// (`281231`; DD = 00 means the last day of the month). A pack's leaf in its lot's tree is OpenZeppelin's
/// `StandardMerkleTree` leaf of `abi.encode(gtin, serial, lot, expiry)`, so anyone holding the pack and a proof can
/// check it.
struct PackLabel {
    uint64 gtin;
    bytes20 serial;
    bytes20 lot;
    uint32 expiry;
}

/// @notice One step of a custody path: the container — its SSCC, the partner that committed to its contents (its
/// packer, or for a container committed to only by its parent's tree, that parent's packer) and what it holds (the root
/// of its children's tree and the hash of the lots it names) — and the proof that the previous step (the pack, or the
/// inner container) is one of its children. A path lists containers from the innermost outwards.
struct Hop {
    uint64 sscc;
    ParticipantId packer;
    bytes32 childrenRoot;
    bytes32 lotsHash;
    bytes32[] proof;
}

/// @notice A lot's standing.
enum LotStatus {
    None,
    Active,
    /// Suspect: an investigation is open on the whole lot.
    Quarantined,
    /// Recalled by its manufacturer or a regulator; final.
    Recalled,
    /// Found illegitimate (counterfeit, diverted, stolen, intentionally adulterated…); final.
    Illegitimate
}

/// @notice FDA recall classes (21 CFR 7.3(m)): I, a reasonable probability of serious harm or death; II, temporary or
/// reversible harm; III, harm unlikely.
enum RecallClass {
    None,
    I,
    II,
    III
}

/// @notice Where a container or an individually moved pack stands. Packs that never moved alone have no record: they
/// are in their containers (or, never packed, in their manufacturer's stock).
enum UnitStatus {
    None,
    /// Held by its owner (for a container: sealed, its children move with it).
    Active,
    /// Shipped, not yet received: still the seller's.
    InTransit,
    /// A container whose children were taken out (disaggregated); it never moves again.
    Unpacked,
    /// A pack decommissioned as dispensed to a patient.
    Dispensed,
    /// Suspect: under investigation; cannot be shipped, received or dispensed.
    Quarantined,
    /// Found illegitimate; final.
    Illegitimate,
    /// A unit with a record of its own packed into a container (or, for a container without a record that a hold gave
    /// one, in the container above it): it moves only with that container, which `SupplyChain.sealedIn` names by its
    /// key, until the container is unpacked.
    Sealed
}

/// @notice Why a partner quarantines product as suspect (DSCSA 581(21), FDA's guidance on identifying suspect
/// product). Stored as one byte; new reasons are only ever appended.
enum SuspectReason {
    None,
    /// Missing, wrong or inconsistent transaction information or product identifier.
    MissingOrWrongData,
    /// More product received than shipped.
    Overage,
    /// Less product received than shipped.
    Underage,
    SuspectedCounterfeit,
    Diversion,
    Theft,
    Tampering,
    /// A serial decommissioned twice: one of the two packs is a clone. Opened by the registry at the second
    /// decommission.
    DuplicateSerial,
    /// A pack or container whose data failed verification at receipt.
    FailedVerification,
    Other
}

/// @notice What an investigation is about.
enum CaseSubject {
    None,
    Lot,
    Container,
    Pack
}

/// @notice An investigation's state. Open → Cleared (back to commerce) or Illegitimate; Illegitimate → Closed once a
/// regulator confirms it, after every notification was recorded.
enum CaseStatus {
    None,
    Open,
    Cleared,
    Illegitimate,
    Closed
}

/// @notice Who must be notified of an illegitimate-product determination within 24 hours (DSCSA 582(b)(4)(B) and its
/// equivalents): the regulator (FDA Form 3911) and the immediate trading partners, derived from the custody trail: the
/// partner that supplied the product to the investigator, and the one it was sold on to.
enum Recipient {
    Regulator,
    Supplier,
    Customer
}

/// @notice A commissioned lot, as `lot(gtin, lot)` returns it.
struct Lot {
    ParticipantId manufacturer;
    LotStatus status;
    RecallClass recallClass;
    /// How many packs the lot's root commits to.
    uint32 count;
    /// The YYMMDD printed on its packs.
    uint32 expiry;
    /// The unix second from which its packs are expired: 00:00 UTC of the day after the expiry date.
    uint48 expiresAt;
    uint48 commissionedAt;
    /// The root of the lot's tree of serialized packs.
    bytes32 root;
}

/// @notice A container, or a pack that moved on its own, as the registry holds it.
/// @dev One slot: 64 + 64 + 64 + 8 + 8 + 48 = 256 bits.
struct Unit {
    /// Its legal owner: for a container in transit, still the seller.
    ParticipantId owner;
    /// For a container, the partner that committed to its contents: the one that packed it, or, for a container that
    /// was packed inside another without a transaction of its own, the packer of that one. For a pack shipped alone,
    /// the low 64 bits of its lot key (a pack has no packer).
    ParticipantId packer;
    /// The partner it was last received from (its supplier); NONE if never received. While the unit is in transit:
    /// the buyer it was shipped to (`pendingBuyer`), so that one slot holds the shipment.
    ParticipantId from;
    UnitStatus status;
    /// How many open investigations concern something inside it: while above zero it cannot be shipped or received.
    uint8 holds;
    /// When it last changed hands (packed, received, released from an unpacked container, decommissioned).
    uint48 since;
}

/// @notice Where a custody path leads, as `SupplyChain.packCustody` and `containerCustody` answer: the legal owner and
/// supplier of the unit's holder, its status, and what on the way blocks it. Containers are named by their key,
/// `keccak256(abi.encode(sscc, packer, keccak256(abi.encode(childrenRoot, lotsHash))))`.
struct Custody {
    ParticipantId owner;
    /// The partner the holder received it from; NONE if none. (While in transit: the buyer.)
    ParticipantId from;
    /// Active (held), InTransit (shipped, not yet received), or the unit's own status (Quarantined, Illegitimate,
    /// Dispensed, Unpacked).
    UnitStatus status;
    /// The innermost container on the path that is quarantined or illegitimate (zero if none), and its status.
    bytes32 blockedBy;
    UnitStatus blockedStatus;
    /// The outermost sealed container holding the unit, with or without a record of its own; zero if none (the unit
    /// is on its own, or loose in an unpacked container).
    bytes32 sealedIn;
    /// The unpacked container the unit is loose in; zero if none.
    bytes32 unpackedParent;
    /// For a container without a record of its own: the packer of the nearest container above it that has one, who
    /// committed to its contents.
    ParticipantId voucher;
}

/// @notice An investigation of suspect product, as `investigation(caseId)` returns it.
struct Investigation {
    /// The lot key, the container key or the pack's serial key.
    bytes32 subject;
    CaseSubject subjectKind;
    SuspectReason reason;
    CaseStatus status;
    /// The subject's status before it was quarantined, restored if the case is cleared.
    uint8 priorStatus;
    ParticipantId investigator;
    /// The immediate trading partners to notify if it is found illegitimate; NONE where there is none.
    ParticipantId supplier;
    ParticipantId customer;
    uint48 openedAt;
    /// When it was found illegitimate (or cleared); notifications are due 24 hours after.
    uint48 determinedAt;
    uint48 regulatorNotifiedAt;
    uint48 supplierNotifiedAt;
    uint48 customerNotifiedAt;
    /// The keys of the containers (innermost first, zero for none) whose `holds` the case raised.
    bytes32[4] path;
}

/// @notice What the chain says of a scanned pack: the verification a partner runs before accepting, reselling (a
/// saleable return, DSCSA 582(c)(4)(D)) or dispensing it.
struct PackVerification {
    /// Commissioned under a registered GTIN by that GTIN's manufacturer, and the proof holds.
    bool genuine;
    bool expired;
    LotStatus lotStatus;
    RecallClass recallClass;
    /// The pack's own record: `None` if it never moved alone, else Active, InTransit, Dispensed, Quarantined or
    /// Illegitimate.
    UnitStatus packStatus;
    /// The pack or its lot is under investigation, or the innermost held container on its path is.
    bool quarantined;
    /// The pack or its lot was found illegitimate, or the innermost held container on its path was.
    bool illegitimate;
    bool dispensed;
    /// The custody path holds (every proof and every hand-over on it): `owner` is then its legal owner.
    bool custodyProven;
    bool inTransit;
    ParticipantId owner;
    ParticipantId manufacturer;
    /// Genuine, unexpired, its lot active, not quarantined, illegitimate, dispensed or in transit, and its custody
    /// proven: fit to sell or dispense.
    bool saleable;
}

/// @notice GS1 dates and check digits.
library Gs1 {
    /// @notice The unix second from which a pack with expiry `yymmdd` is expired: 00:00:00 UTC of the day after its
    /// expiry date (DD = 00 stands for the month's last day); zero if `yymmdd` is not a date. Years are 2000 + YY:
    /// GS1's sliding century window (General Specifications 7.12) gives the same for every current year until 2049.
    function expiryInstant(uint32 yymmdd) internal pure returns (uint48) {
        uint256 yy = yymmdd / 10_000;
        uint256 mm = (yymmdd / 100) % 100;
        uint256 dd = yymmdd % 100;
        if (yy > 99 || mm == 0 || mm > 12) return 0;
        uint256 year = 2000 + yy;
        uint256 monthDays = _daysInMonth(year, mm);
        if (dd > monthDays) return 0;
        if (dd == 0) dd = monthDays;
        return uint48((_daysFromCivil(year, mm, dd) + 1) * 1 days);
    }

    /// @notice Whether `value`, of `digits` decimal digits, ends in its GS1 mod-10 check digit (GTIN-14: 14 digits,
    /// SSCC: 18). Weights 3 and 1 alternate from the digit left of the check digit.
    function hasCheckDigit(uint64 value, uint256 digits) internal pure returns (bool) {
        if (value == 0 || value >= 10 ** digits) return false;
        uint256 check = value % 10;
        uint256 rest = value / 10;
        uint256 sum;
        for (uint256 i; i < digits - 1; ++i) {
            sum += (rest % 10) * (i % 2 == 0 ? 3 : 1);
            rest /= 10;
        }
        return (10 - (sum % 10)) % 10 == check;
    }

    function _daysInMonth(uint256 year, uint256 month) private pure returns (uint256) {
        if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
        return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
    }

    /// @dev Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`), for years from
    /// 2000, where every intermediate value is positive.
    function _daysFromCivil(uint256 year, uint256 month, uint256 day) private pure returns (uint256) {
        if (month <= 2) --year;
        uint256 era = year / 400;
        uint256 yearOfEra = year - era * 400;
        uint256 dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        uint256 dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }
}
