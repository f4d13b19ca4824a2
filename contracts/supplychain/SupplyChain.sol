// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

import {CareLedgerModule} from "../access/CareLedgerModule.sol";
import {IPausableModule} from "../access/IPausableModule.sol";
import {IIdentityRegistry} from "../identity/IIdentityRegistry.sol";
import {ParticipantKind} from "../identity/Participant.sol";
import {ParticipantId, ParticipantIdLib} from "../common/ParticipantId.sol";
import {ISupplyChain} from "./ISupplyChain.sol";
import {IProductSafety} from "./IProductSafety.sol";
import {ProductSafety} from "./ProductSafety.sol";
import {
    Custody,
    Gs1,
    Hop,
    Lot,
    LotStatus,
    PackLabel,
    PackVerification,
    RecallClass,
    Unit,
    UnitStatus
} from "./Supply.sol";

/// @title SupplyChain
/// @notice Serialized drug packs from manufacturer to dispenser: lots, aggregation, custody, verification, dispensing,
/// suspect product and recalls. See {ISupplyChain}.
/// @dev Units (containers and packs that moved on their own) share one mapping: a container's key is
/// `keccak256(abi.encode(sscc, packer, contents))`, a pack's its serial key `keccak256(abi.encode(gtin, serial))`. A
/// pack that never moved alone has no record, nor has a container committed to only by its parent's tree; their
/// custody is proven through the containers above them (`_custody`).
contract SupplyChain is ISupplyChain, CareLedgerModule {
    using ParticipantIdLib for ParticipantId;

    // ------------------------------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Why a custody path does not hold, in the order `_custody` checks.
    enum Fault {
        None,
        PathTooLong,
        ProofTooLong,
        UnknownContainer,
        NotInContainer,
        BrokenCustody,
        /// The path stops short: the last unit on it is sealed in a container the path does not name.
        Incomplete
    }

    // ------------------------------------------------------------------------------------------------------------
    // Constants
    // ------------------------------------------------------------------------------------------------------------

    /// @notice The most packs one lot may commit to: 2^24 (16.7 million), more than any real lot; a lot's proof then
    /// has at most 24 hashes.
    uint32 public constant MAX_LOT_PACKS = 1 << 24;
    /// @notice The most children one container may commit to.
    uint32 public constant MAX_CONTAINER_CHILDREN = 1 << 24;
    /// @notice The longest proof checked: 32 hashes, above log2 of either maximum (some 1,000 bytes of calldata).
    uint256 public constant MAX_PROOF_LENGTH = 32;
    /// @notice The deepest custody path: pack → case → pallet → … four containers, with their proofs well under the
    /// 2^24 gas a transaction may use.
    uint256 public constant MAX_PATH_DEPTH = 4;
    /// @notice The most lots one container names; shipping and receiving check each (one storage read apiece).
    uint256 public constant MAX_LOTS_PER_CONTAINER = 32;
    /// @notice The most units with a record of their own one `pack` seals, or one `unpack` releases: a pallet of 256
    /// cases, some 8 million gas.
    uint32 public constant MAX_SEALED_UNITS = 256;
    /// @notice The reversal window of decommissions a new deployment starts with: 10 days, as the EU FMD allows.
    uint32 public constant DEFAULT_REVERSAL_WINDOW = 10 days;
    /// @notice The bounds of the reversal window the governance may set.
    uint32 public constant MIN_REVERSAL_WINDOW = 1 hours;
    uint32 public constant MAX_REVERSAL_WINDOW = 30 days;

    uint8 private constant _PACK_CHILD = 0;
    uint8 private constant _CONTAINER_CHILD = 1;
    uint256 private constant _GTIN_DIGITS = 14;
    uint256 private constant _SSCC_DIGITS = 18;

    IIdentityRegistry private immutable _IDENTITY;
    IProductSafety private immutable _SAFETY;

    // ------------------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Declared first so that it shares slot 0 with `AccessManaged` and `Pausable` (21 + 1 + 4 bytes).
    uint32 private _reversalWindow;

    mapping(uint64 gtin => ParticipantId manufacturer) private _products;
    /// @dev Two slots: 64 + 8 + 8 + 32 + 32 + 48 + 48 = 240 bits, then the root.
    mapping(bytes32 lotKey => Lot stored) private _lots;
    mapping(bytes32 unitKey => Unit stored) private _units;
    /// @dev The container a unit with a record is sealed in (or held in, under investigation), by its full key: set
    /// when it is packed (or a hold gives it a record inside a container), deleted when it is released, dispensed, or
    /// its hold-made record is deleted.
    mapping(bytes32 unitKey => bytes32 containerKey) private _sealedIn;

    // ------------------------------------------------------------------------------------------------------------
    // Constructor
    // ------------------------------------------------------------------------------------------------------------

    constructor(address authority, IIdentityRegistry identity) CareLedgerModule(authority) {
        if (address(identity).code.length == 0) revert SupplyInvalidDependency(address(identity));
        _IDENTITY = identity;
        _SAFETY = new ProductSafety(authority, identity);
        _reversalWindow = DEFAULT_REVERSAL_WINDOW;
    }

    /// @dev The hooks' guard: only the product-safety contract this registry created.
    modifier onlyProductSafety() {
        if (msg.sender != address(_SAFETY)) revert SupplyNotProductSafety(msg.sender);
        _;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Products and lots
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISupplyChain
    function registerProduct(uint64 gtin) external override whenNotPaused {
        ParticipantId manufacturer = _manufacturer();
        if (!Gs1.hasCheckDigit(gtin, _GTIN_DIGITS)) revert SupplyInvalidGtin(gtin);
        ParticipantId existing = _products[gtin];
        if (!existing.isNone()) revert SupplyProductExists(gtin, existing);
        _products[gtin] = manufacturer;
        emit ProductRegistered(gtin, manufacturer);
    }

    /// @inheritdoc ISupplyChain
    function commissionLot(
        uint64 gtin,
        bytes20 lotNumber,
        uint32 expiry,
        bytes32 root,
        uint32 count,
        bytes32 epcisHash
    ) external override whenNotPaused returns (bytes32 lotKey) {
        ParticipantId manufacturer = _manufacturer();
        ParticipantId owner = _products[gtin];
        if (owner.isNone()) revert SupplyUnknownProduct(gtin);
        if (owner != manufacturer) revert SupplyNotProductOwner(gtin, owner, msg.sender);
        if (lotNumber == bytes20(0)) revert SupplyEmptyIdentifier();
        uint48 now_ = Time.timestamp();
        uint48 expiresAt = Gs1.expiryInstant(expiry);
        if (expiresAt == 0) revert SupplyInvalidExpiry(expiry);
        if (expiresAt <= now_) revert SupplyExpiryInPast(expiry, expiresAt, now_);
        if (root == bytes32(0) || epcisHash == bytes32(0)) revert SupplyZeroHash();
        if (count == 0 || count > MAX_LOT_PACKS) revert SupplyInvalidCount(count, MAX_LOT_PACKS);
        lotKey = _lotKey(gtin, lotNumber);
        if (_lots[lotKey].status != LotStatus.None) revert SupplyLotExists(gtin, lotNumber);
        _lots[lotKey] = Lot({
            manufacturer: manufacturer,
            status: LotStatus.Active,
            recallClass: RecallClass.None,
            count: count,
            expiry: expiry,
            expiresAt: expiresAt,
            commissionedAt: now_,
            root: root
        });
        emit LotCommissioned(epcisHash, lotKey, gtin, lotNumber, expiry, root, count, manufacturer);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Aggregation and custody
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISupplyChain
    function pack(
        uint64 sscc,
        bytes32 childrenRoot,
        uint32 childCount,
        bytes32[] calldata lotKeys,
        bytes32[] calldata sealedUnits,
        bytes32 epcisHash
    ) external override whenNotPaused returns (bytes32 key) {
        (ParticipantId packer, ) = _tradingPartner();
        if (!Gs1.hasCheckDigit(sscc, _SSCC_DIGITS)) revert SupplyInvalidSscc(sscc);
        if (childrenRoot == bytes32(0) || epcisHash == bytes32(0)) revert SupplyZeroHash();
        if (childCount == 0 || childCount > MAX_CONTAINER_CHILDREN) {
            revert SupplyInvalidCount(childCount, MAX_CONTAINER_CHILDREN);
        }
        key = _containerKey(sscc, packer, childrenRoot, _lotsHash(lotKeys));
        if (_units[key].status != UnitStatus.None) revert SupplyContainerExists(key);
        uint256 lotCount = lotKeys.length;
        for (uint256 i; i < lotCount; ++i) {
            if (_lots[lotKeys[i]].status == LotStatus.None) revert SupplyUnknownLotKey(lotKeys[i]);
        }
        emit ContainerPacked(epcisHash, key, packer, sscc, childrenRoot, childCount, lotKeys);
        // Before the container's record exists, so that it cannot be sealed in itself.
        _seal(key, packer, sealedUnits);
        _units[key] = Unit({
            owner: packer,
            packer: packer,
            from: ParticipantIdLib.NONE,
            status: UnitStatus.Active,
            holds: 0,
            since: Time.timestamp()
        });
    }

    /// @inheritdoc ISupplyChain
    function unpack(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path,
        bytes32[] calldata released,
        bytes32 epcisHash
    ) external override whenNotPaused {
        (ParticipantId owner, ) = _tradingPartner();
        if (epcisHash == bytes32(0)) revert SupplyZeroHash();
        bytes32 key = _containerKey(sscc, packer, childrenRoot, lotsHash);
        Unit memory stored = _ownedUnit(key, _leaf(_CONTAINER_CHILD, key), ParticipantIdLib.NONE, packer, path, owner);
        // Unpacked already: the call only releases units left sealed in it.
        if (stored.status != UnitStatus.Unpacked || released.length == 0) {
            if (stored.status != UnitStatus.Active) {
                revert SupplyInvalidTransition(key, stored.status, UnitStatus.Unpacked);
            }
            _units[key].status = UnitStatus.Unpacked;
            emit ContainerUnpacked(epcisHash, key, owner);
        }
        _release(key, stored, released);
    }

    /// @inheritdoc ISupplyChain
    function shipContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32[] calldata lotKeys,
        Hop[] calldata path,
        ParticipantId buyer,
        bytes32 transaction,
        bytes32 epcisHash
    ) external override whenNotPaused {
        (ParticipantId seller, ) = _tradingPartner();
        bytes32 key = _checkedContainer(sscc, packer, childrenRoot, lotKeys);
        Unit memory stored = _ownedUnit(key, _leaf(_CONTAINER_CHILD, key), ParticipantIdLib.NONE, packer, path, seller);
        _ship(key, stored, seller, buyer, transaction, epcisHash);
    }

    /// @inheritdoc ISupplyChain
    function shipPack(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        ParticipantId buyer,
        bytes32 transaction,
        bytes32 epcisHash
    ) external override whenNotPaused {
        (ParticipantId seller, ) = _tradingPartner();
        bytes32 key = _serialKey(label.gtin, label.serial);
        (bytes32 lotKey, Lot memory stored) = _genuineLot(
            label,
            lotProof,
            path.length != 0 && _units[key].status == UnitStatus.None
        );
        _requireLotActive(lotKey, stored.status);
        Unit memory record = _ownedUnit(
            key,
            _packChildLeaf(label),
            stored.manufacturer,
            ParticipantIdLib.NONE,
            path,
            seller
        );
        // A pack has no packer: while it travels alone its record names its lot (the low 64 bits of the lot key), so
        // that the buyer cannot receive it under another lot's label.
        record.packer = _tag(lotKey);
        _ship(key, record, seller, buyer, transaction, epcisHash);
    }

    /// @inheritdoc ISupplyChain
    function receiveContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32[] calldata lotKeys,
        bytes32 epcisHash
    ) external override whenNotPaused {
        (ParticipantId buyer, ) = _tradingPartner();
        _receive(_checkedContainer(sscc, packer, childrenRoot, lotKeys), buyer, epcisHash);
    }

    /// @inheritdoc ISupplyChain
    function receivePack(PackLabel calldata label, bytes32 epcisHash) external override whenNotPaused {
        (ParticipantId buyer, ) = _tradingPartner();
        bytes32 lotKey = _lotKey(label.gtin, label.lot);
        LotStatus status = _lots[lotKey].status;
        if (status == LotStatus.None) revert SupplyUnknownLot(label.gtin, label.lot);
        _requireLotActive(lotKey, status);
        bytes32 key = _serialKey(label.gtin, label.serial);
        Unit storage stored = _units[key];
        if (stored.status == UnitStatus.InTransit && stored.packer != _tag(lotKey)) {
            revert SupplyNotGenuine(label.gtin, label.serial, label.lot);
        }
        _receive(key, buyer, epcisHash);
    }

    /// @inheritdoc ISupplyChain
    function cancelShipment(bytes32 unitKey) external override {
        Unit storage stored = _units[unitKey];
        if (stored.status != UnitStatus.InTransit) revert SupplyNotShippedTo(unitKey, msg.sender);
        ParticipantId buyer = stored.from;
        ParticipantId caller = _IDENTITY.idOf(msg.sender);
        if (caller.isNone() || (caller != buyer && caller != stored.owner)) {
            revert SupplyNotShipmentParty(unitKey, msg.sender);
        }
        stored.status = UnitStatus.Active;
        // The field held the buyer while in transit; the unit's earlier supplier is in the events.
        stored.from = ParticipantIdLib.NONE;
        emit ShipmentCancelled(unitKey, stored.owner, caller);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Dispensing and verification
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISupplyChain
    function dispense(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        bytes32 epcisHash
    ) external override whenNotPaused returns (bool dispensed, uint64 caseId) {
        ParticipantId dispenser = _dispenser();
        if (epcisHash == bytes32(0)) revert SupplyZeroHash();
        bytes32 key = _serialKey(label.gtin, label.serial);
        Unit memory record = _units[key];
        // A dispensed serial scanned again without a lot proof: `_reportClone` proves the copy through the path.
        (bytes32 lotKey, Lot memory stored) = _genuineLot(
            label,
            lotProof,
            path.length != 0 && (record.status == UnitStatus.None || record.status == UnitStatus.Dispensed)
        );
        if (record.status == UnitStatus.Dispensed) {
            return (
                false,
                _reportClone(label, lotProof.length == 0, record.owner, dispenser, stored.manufacturer, path)
            );
        }
        _requireLotActive(lotKey, stored.status);
        if (Time.timestamp() >= stored.expiresAt) revert SupplyExpired(label.gtin, label.serial, stored.expiresAt);
        _decommission(key, _packChildLeaf(label), record, stored.manufacturer, path, dispenser);
        emit Dispensed(epcisHash, key, dispenser, lotKey);
        return (true, 0);
    }

    /// @inheritdoc ISupplyChain
    function undoDispense(PackLabel calldata label, bytes32 epcisHash) external override whenNotPaused {
        (ParticipantId dispenser, ) = _tradingPartner();
        if (epcisHash == bytes32(0)) revert SupplyZeroHash();
        bytes32 key = _serialKey(label.gtin, label.serial);
        Unit storage record = _units[key];
        if (record.status != UnitStatus.Dispensed) {
            revert SupplyInvalidTransition(key, record.status, UnitStatus.Active);
        }
        if (record.owner != dispenser) revert SupplyNotDispenserOf(key, msg.sender);
        uint48 closedAt = record.since + _reversalWindow;
        uint48 now_ = Time.timestamp();
        if (now_ > closedAt) revert SupplyReversalWindowClosed(key, closedAt);
        record.status = UnitStatus.Active;
        record.since = now_;
        emit DispenseUndone(epcisHash, key, dispenser);
    }

    /// @inheritdoc ISupplyChain
    function recordVerification(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        bytes32 request
    ) external override whenNotPaused returns (PackVerification memory verification) {
        (ParticipantId verifier, ) = _tradingPartner();
        if (request == bytes32(0)) revert SupplyZeroHash();
        bytes32 key = _serialKey(label.gtin, label.serial);
        verification = _verify(label, key, lotProof, path);
        emit PackVerified(key, verifier, request, verification.genuine, verification.saleable, verification.owner);
    }

    /// @inheritdoc ISupplyChain
    function setReversalWindow(uint32 window) external override restricted {
        if (window < MIN_REVERSAL_WINDOW || window > MAX_REVERSAL_WINDOW) revert SupplyInvalidReversalWindow(window);
        _reversalWindow = window;
        emit ReversalWindowSet(window);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Hooks of the product-safety contract
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISupplyChain
    function setLotStatus(
        bytes32 lotKey,
        LotStatus status,
        RecallClass recallClass
    ) external override onlyProductSafety {
        Lot storage stored = _lots[lotKey];
        stored.status = status;
        stored.recallClass = recallClass;
    }

    /// @inheritdoc ISupplyChain
    function holdPack(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    )
        external
        override
        onlyProductSafety
        returns (bytes32 serialKey, Custody memory custody, UnitStatus prior, bytes32[4] memory held)
    {
        serialKey = _serialKey(label.gtin, label.serial);
        Unit memory record = _units[serialKey];
        (, Lot memory stored) = _genuineLot(label, lotProof, path.length != 0 && record.status == UnitStatus.None);
        custody = _requireCustody(
            serialKey,
            _packChildLeaf(label),
            record,
            stored.manufacturer,
            ParticipantIdLib.NONE,
            path
        );
        prior = record.status;
        _requireInCommerce(serialKey, prior);
        // A pack that never moved alone gets the record its custody path expects: its manufacturer's, dated 0, sealed
        // in the container it is in (if any).
        if (prior == UnitStatus.None) {
            record.owner = stored.manufacturer;
            if (path.length != 0) _sealedIn[serialKey] = _hopKey(path[0]);
        }
        record.status = UnitStatus.Quarantined;
        _units[serialKey] = record;
        held = _hold(path);
    }

    /// @inheritdoc ISupplyChain
    function holdContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path
    )
        external
        override
        onlyProductSafety
        returns (bytes32 key, Custody memory custody, UnitStatus prior, bytes32[4] memory held)
    {
        key = _containerKey(sscc, packer, childrenRoot, lotsHash);
        Unit memory record = _units[key];
        custody = _requireCustody(key, _leaf(_CONTAINER_CHILD, key), record, ParticipantIdLib.NONE, packer, path);
        prior = record.status;
        _requireInCommerce(key, prior);
        if (prior == UnitStatus.None) (record, _sealedIn[key]) = (_vouchedRecord(packer), _hopKey(path[0]));
        record.status = UnitStatus.Quarantined;
        _units[key] = record;
        held = _hold(path);
    }

    /// @inheritdoc ISupplyChain
    function releaseHold(
        bytes32 unitKey,
        UnitStatus status,
        bytes32[4] calldata held
    ) external override onlyProductSafety {
        Unit storage stored = _units[unitKey];
        // A record the hold created is deleted again, unless another case's hold now rests on it.
        // A record the hold created that must stay is a container's, sealed in the container above it.
        if (status == UnitStatus.None && stored.holds == 0) {
            delete _units[unitKey];
            delete _sealedIn[unitKey];
        } else {
            stored.status = status == UnitStatus.None ? UnitStatus.Sealed : status;
        }
        for (uint256 i; i < held.length && held[i] != bytes32(0); ++i) --_units[held[i]].holds;
    }

    /// @inheritdoc ISupplyChain
    function setUnitStatus(bytes32 unitKey, UnitStatus status) external override onlyProductSafety {
        _units[unitKey].status = status;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISupplyChain
    function verify(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    ) external view override returns (PackVerification memory) {
        return _verify(label, _serialKey(label.gtin, label.serial), lotProof, path);
    }

    /// @inheritdoc ISupplyChain
    function packCustody(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    ) external view override returns (bytes32 serialKey, ParticipantId manufacturer, Custody memory custody) {
        serialKey = _serialKey(label.gtin, label.serial);
        (, Lot memory stored) = _genuineLot(
            label,
            lotProof,
            path.length != 0 && _units[serialKey].status == UnitStatus.None
        );
        manufacturer = stored.manufacturer;
        custody = _requireCustody(
            serialKey,
            _packChildLeaf(label),
            _units[serialKey],
            manufacturer,
            ParticipantIdLib.NONE,
            path
        );
    }

    /// @inheritdoc ISupplyChain
    function containerCustody(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path
    ) external view override returns (bytes32 key, Custody memory custody) {
        key = _containerKey(sscc, packer, childrenRoot, lotsHash);
        custody = _requireCustody(key, _leaf(_CONTAINER_CHILD, key), _units[key], ParticipantIdLib.NONE, packer, path);
    }

    /// @inheritdoc ISupplyChain
    function containerKey(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash
    ) external pure override returns (bytes32) {
        return _containerKey(sscc, packer, childrenRoot, lotsHash);
    }

    /// @inheritdoc ISupplyChain
    function manufacturerOf(uint64 gtin) external view override returns (ParticipantId) {
        return _products[gtin];
    }

    /// @inheritdoc ISupplyChain
    function lot(uint64 gtin, bytes20 lotNumber) external view override returns (Lot memory) {
        return _lots[_lotKey(gtin, lotNumber)];
    }

    /// @inheritdoc ISupplyChain
    function lotByKey(bytes32 lotKey) external view override returns (Lot memory) {
        return _lots[lotKey];
    }

    /// @inheritdoc ISupplyChain
    function unit(bytes32 unitKey) external view override returns (Unit memory) {
        return _units[unitKey];
    }

    /// @inheritdoc ISupplyChain
    function sealedIn(bytes32 unitKey) external view override returns (bytes32) {
        return _sealedIn[unitKey];
    }

    /// @inheritdoc ISupplyChain
    function pendingBuyer(bytes32 unitKey) external view override returns (ParticipantId) {
        Unit storage stored = _units[unitKey];
        return stored.status == UnitStatus.InTransit ? stored.from : ParticipantIdLib.NONE;
    }

    /// @inheritdoc ISupplyChain
    function reversalWindow() external view override returns (uint32) {
        return _reversalWindow;
    }

    /// @inheritdoc ISupplyChain
    function productSafety() external view override returns (address) {
        return address(_SAFETY);
    }

    /// @inheritdoc ISupplyChain
    function identityRegistry() external view override returns (address) {
        return address(_IDENTITY);
    }

    /// @inheritdoc IPausableModule
    function version() external pure override returns (string memory) {
        return "1.0.0";
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: custody
    // ------------------------------------------------------------------------------------------------------------

    /// @dev Follows a unit's custody path outwards. `self` is the unit's record: status None for a pack that never
    /// moved alone (`manufacturer` is then its lot's) or a container committed to only by its parent's tree. Each hop
    /// must hold the previous step in its tree (its key commits to its contents, so no storage is read to check them);
    /// a hop without a record is sealed and vouched for by the next one that has a record, and the path's last hop
    /// must have one. Custody must not break at a hop with a record: a pack without a record is in it only if its
    /// manufacturer packed it; a unit with a record only if it is sealed in that hop (`_continues`), never under a hop
    /// without one (a unit with a record is sealed only in a container with one). An unpacked container ends the path:
    /// the unit is loose in it, and its owner's (a unit sealed in it is then on its own once its owner moves it). A
    /// path that ends on a unit still sealed in a container it does not name is incomplete (`_incomplete`).
    function _custody(
        bytes32 key,
        bytes32 leaf,
        Unit memory self,
        ParticipantId manufacturer,
        ParticipantId virtualPacker,
        Hop[] calldata path
    ) private view returns (Custody memory custody, Fault fault, bytes32 at) {
        // `virtualPacker`: the packer named in the keys of the containers without a record since the last one with a
        // record (or of the unit itself); the packer of the next container with a record must be it.
        if (self.status != UnitStatus.None) virtualPacker = ParticipantIdLib.NONE;
        _ownCustody(custody, self, manufacturer);
        if (path.length > MAX_PATH_DEPTH) return (custody, Fault.PathTooLong, bytes32(0));
        Unit memory child = self;
        for (uint256 i; i < path.length; ++i) {
            Hop calldata hop = path[i];
            at = _hopKey(hop);
            if (hop.proof.length > MAX_PROOF_LENGTH) return (custody, Fault.ProofTooLong, at);
            if (!MerkleProof.verifyCalldata(hop.proof, hop.childrenRoot, leaf)) {
                return (custody, Fault.NotInContainer, at);
            }
            leaf = _leaf(_CONTAINER_CHILD, at);
            Unit memory parent = _units[at];
            if (parent.status == UnitStatus.None) {
                // Committed to by its parent's tree only: sealed, vouched for by the next hop with a record.
                if (i == path.length - 1) return (custody, Fault.UnknownContainer, at);
                bool vouched = virtualPacker.isNone() || virtualPacker == hop.packer;
                if (child.status != UnitStatus.None || !vouched) return (custody, Fault.BrokenCustody, at);
                (virtualPacker, custody.sealedIn) = (hop.packer, at);
                continue;
            }
            if (!_continues(child, key, parent, at, manufacturer, virtualPacker)) {
                return (custody, Fault.BrokenCustody, at);
            }
            virtualPacker = ParticipantIdLib.NONE;
            if (child.status == UnitStatus.None && custody.voucher.isNone()) custody.voucher = parent.packer;
            (custody.owner, custody.from) = (parent.owner, parent.from);
            if (parent.status == UnitStatus.Unpacked) {
                if (i != path.length - 1) return (custody, Fault.BrokenCustody, at);
                custody.unpackedParent = at;
                if (custody.status == UnitStatus.Sealed) custody.status = UnitStatus.Active;
                return (custody, Fault.None, bytes32(0));
            }
            (custody.status, custody.sealedIn) = (parent.status, at);
            bool blocks = _held(parent.status);
            if (blocks && custody.blockedBy == bytes32(0))
                (custody.blockedBy, custody.blockedStatus) = (at, parent.status);
            (child, key) = (parent, at);
        }
        if (_incomplete(custody.status, key)) return (custody, Fault.Incomplete, at);
        return (custody, Fault.None, bytes32(0));
    }

    /// @dev Fills in `custody` for a unit on its own: its record's, or for a pack without a record its manufacturer's
    /// stock.
    function _ownCustody(Custody memory custody, Unit memory self, ParticipantId manufacturer) private pure {
        bool unrecorded = self.status == UnitStatus.None;
        custody.owner = unrecorded ? manufacturer : self.owner;
        custody.from = self.from;
        custody.status = unrecorded ? UnitStatus.Active : self.status;
    }

    /// @dev Whether `child` is in `parent` (whose key is `parentKey`), as `_custody` says. A child without a record is
    /// a pack (its manufacturer must have packed `parent`) when `manufacturer` is set, else a container committed to
    /// by `parent`'s packer; `virtualPacker`, the packer named by the keys of the containers without a record between
    /// them, must be `parent`'s packer. A child with a record is only in the container that sealed it, which its record
    /// names, and stays there while under investigation.
    function _continues(
        Unit memory child,
        bytes32 childKey,
        Unit memory parent,
        bytes32 parentKey,
        ParticipantId manufacturer,
        ParticipantId virtualPacker
    ) private view returns (bool) {
        if (!virtualPacker.isNone() && virtualPacker != parent.packer) return false;
        if (child.status == UnitStatus.None) return manufacturer.isNone() || parent.packer == manufacturer;
        return (_held(child.status) || child.status == UnitStatus.Sealed) && _sealedIn[childKey] == parentKey;
    }

    /// @dev Whether a custody path that ends on a unit with status `status` and key `key` stops short: the unit is
    /// still inside a container the path does not name, so its record's owner is not its holder.
    function _incomplete(UnitStatus status, bytes32 key) private view returns (bool) {
        return status == UnitStatus.Sealed || (_held(status) && _sealedIn[key] != bytes32(0));
    }

    function _held(UnitStatus status) private pure returns (bool) {
        return status == UnitStatus.Quarantined || status == UnitStatus.Illegitimate;
    }

    /// @dev `_custody`, reverting with the fault's error.
    function _requireCustody(
        bytes32 key,
        bytes32 leaf,
        Unit memory self,
        ParticipantId manufacturer,
        ParticipantId packer,
        Hop[] calldata path
    ) private view returns (Custody memory custody) {
        Fault fault;
        bytes32 at;
        (custody, fault, at) = _custody(key, leaf, self, manufacturer, packer, path);
        if (fault == Fault.None) {
            // A container without a record and not proven inside one that has a record is unknown.
            if (manufacturer.isNone() && self.status == UnitStatus.None && custody.owner.isNone()) {
                revert SupplyUnknownContainer(key);
            }
            return custody;
        }
        if (fault == Fault.PathTooLong) revert SupplyPathTooLong(path.length);
        if (fault == Fault.ProofTooLong) revert SupplyProofTooLong(MAX_PROOF_LENGTH + 1);
        if (fault == Fault.UnknownContainer) revert SupplyUnknownContainer(at);
        if (fault == Fault.NotInContainer) revert SupplyNotInContainer(at, key);
        if (fault == Fault.Incomplete) revert SupplySealedIn(at == bytes32(0) ? key : at, bytes32(0));
        revert SupplyBrokenCustody(at);
    }

    /// @dev The record of `key` once the caller's custody of it is proven: a unit loose in an unpacked container is
    /// released first (it gets a record of its own: the container's owner and supplier, from now; a container keeps
    /// the packer that vouched for its contents). Reverts if the caller is not its owner or it is sealed inside a
    /// container.
    function _ownedUnit(
        bytes32 key,
        bytes32 leaf,
        ParticipantId manufacturer,
        ParticipantId packer,
        Hop[] calldata path,
        ParticipantId caller
    ) private returns (Unit memory record) {
        record = _units[key];
        Custody memory custody = _requireCustody(key, leaf, record, manufacturer, packer, path);
        if (custody.sealedIn != bytes32(0)) revert SupplySealedIn(key, custody.sealedIn);
        if (custody.owner != caller) revert SupplyNotOwner(key, custody.owner, msg.sender);
        if (custody.unpackedParent != bytes32(0)) {
            if (record.status == UnitStatus.None) {
                record.status = UnitStatus.Active;
                if (manufacturer.isNone()) record.packer = packer; // a container: the packer its key names
            } else if (record.status == UnitStatus.Sealed) {
                record.status = UnitStatus.Active;
                delete _sealedIn[key];
            }
            record.owner = custody.owner;
            record.from = custody.from;
            record.since = Time.timestamp();
            _units[key] = record;
            emit UnitReleased(key, custody.unpackedParent, custody.owner);
        } else if (record.status == UnitStatus.None) {
            // A pack still in its manufacturer's stock.
            record.owner = custody.owner;
            record.status = UnitStatus.Active;
        }
    }

    /// @dev Writes the dispensed pack's record once the dispenser's custody of it is proven.
    function _decommission(
        bytes32 key,
        bytes32 leaf,
        Unit memory record,
        ParticipantId manufacturer,
        Hop[] calldata path,
        ParticipantId dispenser
    ) private {
        Custody memory custody = _requireCustody(key, leaf, record, manufacturer, ParticipantIdLib.NONE, path);
        if (custody.owner != dispenser) revert SupplyNotOwner(key, custody.owner, msg.sender);
        if (record.status == UnitStatus.Quarantined || record.status == UnitStatus.Illegitimate) {
            revert SupplyUnitBlocked(key, record.status, record.holds);
        }
        if (custody.blockedBy != bytes32(0)) revert SupplyUnitBlocked(custody.blockedBy, custody.blockedStatus, 0);
        if (custody.status != UnitStatus.Active) {
            revert SupplyInvalidTransition(key, custody.status, UnitStatus.Dispensed);
        }
        // Dispensed out of the container it was sealed in: out of commerce, in no container.
        if (record.status == UnitStatus.Sealed) delete _sealedIn[key];
        _units[key] = Unit({
            owner: dispenser,
            packer: ParticipantIdLib.NONE,
            from: custody.from,
            status: UnitStatus.Dispensed,
            holds: 0,
            since: Time.timestamp()
        });
    }

    function _ship(
        bytes32 key,
        Unit memory record,
        ParticipantId seller,
        ParticipantId buyer,
        bytes32 transaction,
        bytes32 epcisHash
    ) private {
        if (transaction == bytes32(0) || epcisHash == bytes32(0)) revert SupplyZeroHash();
        if (record.status == UnitStatus.Quarantined || record.status == UnitStatus.Illegitimate || record.holds != 0) {
            revert SupplyUnitBlocked(key, record.status, record.holds);
        }
        if (record.status != UnitStatus.Active) {
            revert SupplyInvalidTransition(key, record.status, UnitStatus.InTransit);
        }
        if (buyer == seller || !_isTradingPartner(buyer)) revert SupplyInvalidBuyer(buyer);
        record.status = UnitStatus.InTransit;
        record.owner = seller;
        // While in transit `from` names the buyer: one slot holds the whole shipment.
        record.from = buyer;
        _units[key] = record;
        emit Shipped(epcisHash, key, buyer, seller, transaction);
    }

    function _receive(bytes32 key, ParticipantId buyer, bytes32 epcisHash) private {
        if (epcisHash == bytes32(0)) revert SupplyZeroHash();
        Unit storage stored = _units[key];
        if (stored.status != UnitStatus.InTransit || stored.from != buyer) revert SupplyNotShippedTo(key, msg.sender);
        if (stored.holds != 0) revert SupplyUnitBlocked(key, stored.status, stored.holds);
        ParticipantId seller = stored.owner;
        stored.owner = buyer;
        stored.from = seller;
        stored.status = UnitStatus.Active;
        stored.since = Time.timestamp();
        emit Received(epcisHash, key, buyer, seller);
    }

    /// @dev The key of the container (`sscc`, `childrenRoot`, `lotKeys`), once every lot it names is checked active
    /// (not quarantined, recalled or illegitimate).
    function _checkedContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32[] calldata lotKeys
    ) private view returns (bytes32) {
        for (uint256 i; i < lotKeys.length; ++i) _requireLotActive(lotKeys[i], _lots[lotKeys[i]].status);
        return _containerKey(sscc, packer, childrenRoot, keccak256(abi.encode(lotKeys)));
    }

    /// @dev Raises `holds` on every container of the path, so that none moves while the case is open. A container
    /// without a record gets the one its path expects (see `_vouchedRecord`), so that the hold survives its release.
    function _hold(Hop[] calldata path) private returns (bytes32[4] memory held) {
        for (uint256 i; i < path.length; ++i) {
            bytes32 key = _hopKey(path[i]);
            held[i] = key;
            Unit storage stored = _units[key];
            if (stored.status == UnitStatus.None) {
                Unit memory record = _vouchedRecord(path[i].packer);
                record.holds = 1;
                _units[key] = record;
                _sealedIn[key] = _hopKey(path[i + 1]);
            } else {
                if (stored.holds == type(uint8).max) revert SupplyTooManyHolds(key);
                ++stored.holds;
            }
        }
    }

    /// @dev The record of a container committed to only by its parent's tree, as its custody path reads it: owned and
    /// packed by `voucher` (the packer its key names, which custody checked is the packer of the next container above
    /// with a record), and sealed in the container above it (the caller records which).
    function _vouchedRecord(ParticipantId voucher) private pure returns (Unit memory record) {
        record.owner = voucher;
        record.packer = voucher;
        record.status = UnitStatus.Sealed;
    }

    /// @dev Seals `units` in the new container `key`: each must have a record, be on its own (Active), be held by
    /// `packer` and hold no open investigation. From then on it moves only with the container, which `_sealedIn` names
    /// by its full key, until the container is unpacked.
    function _seal(bytes32 key, ParticipantId packer, bytes32[] calldata units) private {
        uint256 count = units.length;
        if (count > MAX_SEALED_UNITS) revert SupplyInvalidCount(uint32(count), MAX_SEALED_UNITS);
        for (uint256 i; i < count; ++i) {
            Unit storage stored = _units[units[i]];
            UnitStatus status = stored.status;
            if (status != UnitStatus.Active) revert SupplyInvalidTransition(units[i], status, UnitStatus.Sealed);
            if (stored.holds != 0) revert SupplyUnitBlocked(units[i], status, stored.holds);
            if (stored.owner != packer) revert SupplyNotOwner(units[i], stored.owner, msg.sender);
            stored.status = UnitStatus.Sealed;
            _sealedIn[units[i]] = key;
            emit UnitSealed(units[i], key, packer);
        }
    }

    /// @dev Releases `units`, sealed in the unpacked container `key` (whose record is `container`): each gets the
    /// container's owner and supplier, from now, and moves on its own.
    function _release(bytes32 key, Unit memory container, bytes32[] calldata units) private {
        uint256 count = units.length;
        if (count > MAX_SEALED_UNITS) revert SupplyInvalidCount(uint32(count), MAX_SEALED_UNITS);
        uint48 now_ = Time.timestamp();
        for (uint256 i; i < count; ++i) {
            Unit storage stored = _units[units[i]];
            if (_sealedIn[units[i]] != key) revert SupplyNotInContainer(key, units[i]);
            // Under investigation inside it: released when its case ends, not before.
            if (stored.status != UnitStatus.Sealed) revert SupplyUnitBlocked(units[i], stored.status, stored.holds);
            delete _sealedIn[units[i]];
            stored.owner = container.owner;
            stored.from = container.from;
            stored.status = UnitStatus.Active;
            stored.since = now_;
            emit UnitReleased(units[i], key, container.owner);
        }
    }

    /// @dev A unit that can be quarantined: in commerce (no record, on its own or sealed in a container).
    function _requireInCommerce(bytes32 key, UnitStatus status) private pure {
        if (status != UnitStatus.None && status != UnitStatus.Active && status != UnitStatus.Sealed) {
            revert SupplyInvalidTransition(key, status, UnitStatus.Quarantined);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: verification
    // ------------------------------------------------------------------------------------------------------------

    function _verify(
        PackLabel calldata label,
        bytes32 key,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    ) private view returns (PackVerification memory v) {
        Lot memory stored = _lots[_lotKey(label.gtin, label.lot)];
        v.lotStatus = stored.status;
        v.recallClass = stored.recallClass;
        v.manufacturer = stored.manufacturer;
        if (stored.status == LotStatus.None || stored.expiry != label.expiry || label.serial == bytes20(0)) return v;
        Unit memory record = _units[key];
        (Custody memory custody, Fault fault, ) = _custody(
            key,
            _packChildLeaf(label),
            record,
            stored.manufacturer,
            ParticipantIdLib.NONE,
            path
        );
        v.custodyProven = fault == Fault.None;
        v.genuine = _genuine(label, lotProof, path, record.status, stored, v.custodyProven);
        if (!v.genuine) {
            v.custodyProven = false;
            return v;
        }
        v.expired = Time.timestamp() >= stored.expiresAt;
        v.packStatus = record.status;
        v.dispensed = record.status == UnitStatus.Dispensed;
        if (v.custodyProven) {
            v.owner = custody.owner;
            v.inTransit = custody.status == UnitStatus.InTransit;
        }
        UnitStatus onPath = v.custodyProven ? custody.blockedStatus : UnitStatus.None;
        v.quarantined = stored.status == LotStatus.Quarantined || record.status == UnitStatus.Quarantined;
        v.quarantined = v.quarantined || onPath == UnitStatus.Quarantined;
        v.illegitimate = stored.status == LotStatus.Illegitimate || record.status == UnitStatus.Illegitimate;
        v.illegitimate = v.illegitimate || onPath == UnitStatus.Illegitimate;
        v.saleable =
            !v.expired &&
            stored.status == LotStatus.Active &&
            !v.quarantined &&
            !v.illegitimate &&
            !v.dispensed &&
            v.custodyProven &&
            !v.inTransit;
    }

    /// @dev Whether the pack is genuine, for `verify`: its lot proof holds, or, without one, its manufacturer's
    /// container on the path names it — through its record's custody (`custodyProven`) for a pack that never moved
    /// alone, or read as a pack without a record for one that has a record (dispensed, moved alone).
    function _genuine(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        UnitStatus status,
        Lot memory stored,
        bool custodyProven
    ) private view returns (bool) {
        if (lotProof.length != 0) {
            return
                lotProof.length <= MAX_PROOF_LENGTH &&
                MerkleProof.verifyCalldata(lotProof, stored.root, _packLeaf(label));
        }
        if (path.length == 0) return false;
        if (status == UnitStatus.None) return custodyProven;
        Unit memory fresh;
        (, Fault fault, ) = _custody(
            bytes32(0),
            _packChildLeaf(label),
            fresh,
            stored.manufacturer,
            ParticipantIdLib.NONE,
            path
        );
        return fault == Fault.None;
    }

    /// @dev The pack's lot, once the pack is proven genuine: the lot exists, its expiry is the pack's, and `lotProof`
    /// shows the pack in the lot's tree. An empty `lotProof` defers the proof to the custody path, for a pack that
    /// never moved alone: custody through a path requires the lot's manufacturer to have packed the first container
    /// with a record on it, whose tree names the pack with its lot and expiry (`_packChildLeaf`) — the manufacturer's
    /// word, as the lot's root is. The caller says whether the path may prove it (`pathProves`: a path is given, and
    /// the pack has no record — or, for a clone scanned at dispensing, a dispensed one) and checks the custody.
    function _genuineLot(
        PackLabel calldata label,
        bytes32[] calldata lotProof,
        bool pathProves
    ) private view returns (bytes32 lotKey, Lot memory stored) {
        if (label.serial == bytes20(0)) revert SupplyEmptyIdentifier();
        lotKey = _lotKey(label.gtin, label.lot);
        stored = _lots[lotKey];
        if (stored.status == LotStatus.None) revert SupplyUnknownLot(label.gtin, label.lot);
        if (stored.expiry != label.expiry) revert SupplyExpiryMismatch(label.gtin, label.lot, label.expiry);
        if (lotProof.length > MAX_PROOF_LENGTH) revert SupplyProofTooLong(lotProof.length);
        bool proven =
            lotProof.length == 0 ? pathProves : MerkleProof.verifyCalldata(lotProof, stored.root, _packLeaf(label));
        if (!proven) revert SupplyNotGenuine(label.gtin, label.serial, label.lot);
    }

    function _requireLotActive(bytes32 lotKey, LotStatus status) private pure {
        if (status != LotStatus.Active) revert SupplyLotBlocked(lotKey, status);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: clones
    // ------------------------------------------------------------------------------------------------------------

    /// @dev A second decommission of `key`: the serial is quarantined and the product-safety contract opens the case
    /// in `scanner`'s name. Its supplier is the one the scanner's custody path names, when the path proves the scanner
    /// holds the pack.
    function _reportClone(
        PackLabel calldata label,
        bool proofless,
        ParticipantId firstDispenser,
        ParticipantId scanner,
        ParticipantId manufacturer,
        Hop[] calldata path
    ) private returns (uint64) {
        ParticipantId supplier;
        bytes32 key = _serialKey(label.gtin, label.serial);
        if (path.length != 0) {
            // The path is read as the copy's: a pack never moved alone, packed by its manufacturer.
            Unit memory fresh;
            (Custody memory custody, Fault fault, ) = _custody(
                key,
                _packChildLeaf(label),
                fresh,
                manufacturer,
                ParticipantIdLib.NONE,
                path
            );
            // Without a lot proof, the manufacturer's container on the path is what proves the copy genuine.
            if (proofless && fault != Fault.None) revert SupplyNotGenuine(label.gtin, label.serial, label.lot);
            if (fault == Fault.None && custody.owner == scanner) supplier = custody.from;
        }
        _units[key].status = UnitStatus.Quarantined;
        return _SAFETY.openCloneCase(key, scanner, supplier, firstDispenser);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: who acts
    // ------------------------------------------------------------------------------------------------------------

    function _tradingPartner() private view returns (ParticipantId id, ParticipantKind kind) {
        bool active;
        (id, kind, , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (!active || !_isTradingPartnerKind(kind)) revert SupplyNotTradingPartner(msg.sender);
    }

    function _manufacturer() private view returns (ParticipantId id) {
        ParticipantKind kind;
        bool active;
        (id, kind, , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (!active || kind != ParticipantKind.Manufacturer) revert SupplyNotManufacturer(msg.sender);
    }

    function _dispenser() private view returns (ParticipantId id) {
        ParticipantKind kind;
        bool active;
        (id, kind, , active) = _IDENTITY.accountStanding(msg.sender, Time.timestamp());
        if (!active || (kind != ParticipantKind.Pharmacy && kind != ParticipantKind.Organization)) {
            revert SupplyNotDispenser(msg.sender);
        }
    }

    function _isTradingPartner(ParticipantId id) private view returns (bool) {
        (ParticipantKind kind, , bool active) = _IDENTITY.standingOf(id);
        return active && _isTradingPartnerKind(kind);
    }

    function _isTradingPartnerKind(ParticipantKind kind) private pure returns (bool) {
        return
            kind == ParticipantKind.Manufacturer ||
            kind == ParticipantKind.Distributor ||
            kind == ParticipantKind.Pharmacy ||
            kind == ParticipantKind.Organization;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Internal: keys and leaves
    // ------------------------------------------------------------------------------------------------------------

    function _lotKey(uint64 gtin, bytes20 lotNumber) private pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lotNumber));
    }

    function _serialKey(uint64 gtin, bytes20 serial) private pure returns (bytes32) {
        return keccak256(abi.encode(gtin, serial));
    }

    function _hopKey(Hop calldata hop) private pure returns (bytes32) {
        return _containerKey(hop.sscc, hop.packer, hop.childrenRoot, hop.lotsHash);
    }

    /// @dev A container's key: its SSCC, the partner that committed to its contents, and those contents,
    /// `keccak256(abi.encode(childrenRoot, lotsHash))`.
    function _containerKey(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(sscc, packer, keccak256(abi.encode(childrenRoot, lotsHash))));
    }

    /// @dev The hash of the lots a container names: 1 to `MAX_LOTS_PER_CONTAINER` keys, strictly ascending.
    function _lotsHash(bytes32[] calldata lotKeys) private pure returns (bytes32) {
        uint256 count = lotKeys.length;
        if (count == 0 || count > MAX_LOTS_PER_CONTAINER) revert SupplyInvalidLots(count);
        for (uint256 i = 1; i < count; ++i) {
            if (lotKeys[i] <= lotKeys[i - 1]) revert SupplyInvalidLots(count);
        }
        return keccak256(abi.encode(lotKeys));
    }

    /// @dev OpenZeppelin `StandardMerkleTree` leaf of a pack in its lot's tree: the hash of its id
    /// (`keccak256(bytes.concat(keccak256(abi.encode(gtin, serial, lot, expiry))))`).
    function _packLeaf(PackLabel calldata label) private pure returns (bytes32) {
        return keccak256(bytes.concat(_packId(label)));
    }

    /// @dev The low 64 bits of a lot key, as the record of a pack travelling alone holds it (in `packer`).
    function _tag(bytes32 key) private pure returns (ParticipantId) {
        return ParticipantId.wrap(uint64(uint256(key)));
    }

    /// @dev A pack's id: the hash of its whole label.
    function _packId(PackLabel calldata label) private pure returns (bytes32) {
        return keccak256(abi.encode(label.gtin, label.serial, label.lot, label.expiry));
    }

    /// @dev A pack's id in its containers' trees: its whole label, so that a container commits to each pack's lot and
    /// expiry too.
    function _packChildLeaf(PackLabel calldata label) private pure returns (bytes32) {
        return _leaf(_PACK_CHILD, _packId(label));
    }

    /// @dev OpenZeppelin `StandardMerkleTree` leaf of a child in a container's tree: `(0, packId)` for a pack (the
    /// hash of its label), `(1, containerKey)` for a container.
    function _leaf(uint8 kind, bytes32 key) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(kind, key))));
    }
}
