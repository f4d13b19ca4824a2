// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ParticipantId} from "../common/ParticipantId.sol";
import {Custody, Hop, Lot, LotStatus, PackLabel, PackVerification, RecallClass, Unit, UnitStatus} from "./Supply.sol";

/// @title ISupplyChain
/// @notice Serialized drug packs from manufacturer to dispenser (DSCSA, EU FMD): products, lots, aggregation, custody,
/// verification, dispensing, suspect and illegitimate product, recalls. On chain go proofs, ownership and status —
/// Merkle roots, commitments, hashes of business documents — never prices, quantities per customer or patients; the
/// GS1 EPCIS events and the DSCSA transaction information and statements travel off chain between the partners, and
/// each call anchors its EPCIS event hash (CBV 2.0 §8.8) in its event.
///
/// - **Authorized trading partners.** Only the active key of a manufacturer, distributor, pharmacy or organization
///   (hospital) whose licence credential in the identity registry is unexpired acts; losing it stops the partner at
///   once. Regulators read everything, recall lots, decide investigations and close illegitimate-product cases.
/// - **Lots.** A manufacturer registers its GTINs, then commissions each lot (GTIN, lot, expiry) as the Merkle root of
///   its serialized packs and their count: one write, whatever the lot's size. A pack's leaf is computable from the
///   pack alone (`PackLabel`).
/// - **Containers.** A case or pallet (SSCC) commits to its children by a root and names the lots it holds; nothing per
///   pack is written. A container is named by its key, `keccak256(abi.encode(sscc, packer, contents))` with `contents =
///   keccak256(abi.encode(childrenRoot, lotsHash))`: an SSCC names a container together with the partner that
///   committed to it and what it holds, so nobody can occupy another's SSCC or container. A child is a pack (leaf
///   `(0, packId)`, its whole label) or a container (leaf `(1, key)`), and a child container need not be packed on
///   chain: it is committed to by its parent's tree (its key names the parent's packer), and gets a record of its own
///   only when it moves on its own — so cases on a pallet cost nothing per case. Unpacking a container makes its
///   children movable on their own.
/// - **Custody.** A unit (a container, or a pack on its own) is shipped by its owner to a buyer and received by the
///   buyer; in between it is in transit and still the seller's. What is inside a container belongs to the owner of
///   the outermost container on its custody path: the caller proves the path (pack → case → pallet), the registry
///   checks each proof, that a pack never moved alone was packed by its manufacturer, and that a unit with a record
///   of its own is sealed in the container: packing seals such units (its owner's transaction), and a sealed unit
///   moves only with its container until that one is unpacked, so nothing is sold twice.
/// - **Verification and dispensing.** `verify` answers for a scanned pack: genuine, expired, recalled, quarantined,
///   illegitimate, dispensed, and its owner. A pharmacy or hospital decommissions a pack when it dispenses it; a
///   serial is decommissioned once in the whole registry, and a second decommission (a clone) is not refused by a
///   revert but recorded: the serial is quarantined and an investigation opened. The dispenser may undo its own
///   decommission within the reversal window.
/// - **Suspect product and recalls** live in the `ProductSafety` contract this registry creates ({IProductSafety}):
///   it quarantines, clears, finds illegitimate and recalls through the hooks below, which only it may call. A
///   quarantined, illegitimate or recalled lot, unit or container on a custody path stops every movement here.
/// @dev While paused every write stops except cancelling a shipment and the product-safety hooks (quarantines and
/// recalls protect patients). Every batch is bounded (`MAX_PROOF_LENGTH`, `MAX_PATH_DEPTH`,
/// `MAX_LOTS_PER_CONTAINER`) to fit a 2^24-gas transaction.
interface ISupplyChain {
    // ------------------------------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------------------------------

    /// @notice `account` is not the active key of a manufacturer, distributor, pharmacy or organization with an
    /// unexpired licence credential.
    error SupplyNotTradingPartner(address account);
    /// @notice Only an active manufacturer registers products and commissions lots.
    error SupplyNotManufacturer(address account);
    /// @notice Only an active pharmacy or organization (hospital) dispenses.
    error SupplyNotDispenser(address account);
    /// @notice A GTIN is a 14-digit number ending in its GS1 check digit.
    error SupplyInvalidGtin(uint64 gtin);
    /// @notice The GTIN is registered already, to `manufacturer`.
    error SupplyProductExists(uint64 gtin, ParticipantId manufacturer);
    /// @notice No manufacturer registered the GTIN.
    error SupplyUnknownProduct(uint64 gtin);
    /// @notice The GTIN belongs to another manufacturer.
    error SupplyNotProductOwner(uint64 gtin, ParticipantId manufacturer, address account);
    /// @notice A serial or lot number has 1 to 20 characters: it must not be empty.
    error SupplyEmptyIdentifier();
    /// @notice `expiry` is not a YYMMDD date.
    error SupplyInvalidExpiry(uint32 expiry);
    /// @notice The expiry date has passed: `expiresAt` is not after `currentTime`.
    error SupplyExpiryInPast(uint32 expiry, uint48 expiresAt, uint48 currentTime);
    /// @notice A root, commitment or EPCIS event hash must not be zero.
    error SupplyZeroHash();
    /// @notice A lot holds 1 to `MAX_LOT_PACKS` packs, a container 1 to `MAX_CONTAINER_CHILDREN` children.
    error SupplyInvalidCount(uint32 count, uint32 max);
    /// @notice The lot was commissioned already.
    error SupplyLotExists(uint64 gtin, bytes20 lot);
    /// @notice No lot of this GTIN has this lot number.
    error SupplyUnknownLot(uint64 gtin, bytes20 lot);
    /// @notice `lotKey` names no commissioned lot.
    error SupplyUnknownLotKey(bytes32 lotKey);
    /// @notice The pack's expiry is not its lot's.
    error SupplyExpiryMismatch(uint64 gtin, bytes20 lot, uint32 expiry);
    /// @notice An SSCC is an 18-digit number ending in its GS1 check digit.
    error SupplyInvalidSscc(uint64 sscc);
    /// @notice A container with this SSCC and these contents was packed already.
    error SupplyContainerExists(bytes32 container);
    /// @notice No container with this key has a record, nor is proven inside one that has.
    error SupplyUnknownContainer(bytes32 container);
    /// @notice A container names 1 to `MAX_LOTS_PER_CONTAINER` lots, their keys strictly ascending.
    error SupplyInvalidLots(uint256 count);
    /// @notice A proof has at most `MAX_PROOF_LENGTH` hashes.
    error SupplyProofTooLong(uint256 length);
    /// @notice A custody path has at most `MAX_PATH_DEPTH` containers.
    error SupplyPathTooLong(uint256 depth);
    /// @notice The proof does not show the pack in its lot's tree: not a pack the manufacturer commissioned.
    error SupplyNotGenuine(uint64 gtin, bytes20 serial, bytes20 lot);
    /// @notice The proof does not show `child` (a serial key or a container key) among the children of `container`.
    error SupplyNotInContainer(bytes32 container, bytes32 child);
    /// @notice The custody path breaks at `container`: a pack without a record that its manufacturer did not pack, a
    /// unit with a record not sealed in it (or under a container without a record), a packer other than the one the
    /// containers below vouch for, or an unpacked container that is not the path's last.
    error SupplyBrokenCustody(bytes32 container);
    /// @notice `account` is not the owner of `unit` (`owner` is).
    error SupplyNotOwner(bytes32 unit, ParticipantId owner, address account);
    /// @notice The unit cannot move from its status to the one asked for (for example shipping what is in transit,
    /// unpacking what is unpacked, dispensing what was dispensed).
    error SupplyInvalidTransition(bytes32 unit, UnitStatus from, UnitStatus to);
    /// @notice `unit` is inside container `container`, which is sealed: unpack the container first. `container` is
    /// zero when the custody path stops short of it: give the path up to the outermost container.
    error SupplySealedIn(bytes32 unit, bytes32 container);
    /// @notice The buyer must be another active trading partner.
    error SupplyInvalidBuyer(ParticipantId buyer);
    /// @notice Nothing is in transit to `account` under `unit`.
    error SupplyNotShippedTo(bytes32 unit, address account);
    /// @notice Only the seller or the buyer of a shipment cancels it.
    error SupplyNotShipmentParty(bytes32 unit, address account);
    /// @notice The lot is quarantined, recalled or illegitimate: its packs cannot be shipped, received or dispensed.
    error SupplyLotBlocked(bytes32 lotKey, LotStatus status);
    /// @notice The unit, or something on its custody path, is quarantined or illegitimate, or holds something that is
    /// (`holds` open investigations inside it).
    error SupplyUnitBlocked(bytes32 unit, UnitStatus status, uint8 holds);
    /// @notice The pack expired at `expiresAt`: it is not dispensed.
    error SupplyExpired(uint64 gtin, bytes20 serial, uint48 expiresAt);
    /// @notice The serial was not decommissioned by `account`.
    error SupplyNotDispenserOf(bytes32 serialKey, address account);
    /// @notice The decommission can be undone only until `closedAt`.
    error SupplyReversalWindowClosed(bytes32 serialKey, uint48 closedAt);
    /// @notice The reversal window is between one hour and `MAX_REVERSAL_WINDOW`.
    error SupplyInvalidReversalWindow(uint32 window);
    /// @notice The identity registry must be a contract.
    error SupplyInvalidDependency(address dependency);
    /// @notice A container holds at most 255 open investigations of what is inside it: unpack it and quarantine what is
    /// inside on its own.
    error SupplyTooManyHolds(bytes32 container);
    /// @notice Only the product-safety contract this registry created calls its hooks.
    error SupplyNotProductSafety(address account);

    // ------------------------------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------------------------------
    // Every event of a step with an EPCIS event carries the event's hash as its first indexed topic, so that one log
    // query by topic finds whether a hash was anchored before (EPCIS capture's 409).

    /// @notice `manufacturer` registered the GTIN.
    event ProductRegistered(uint64 indexed gtin, ParticipantId indexed manufacturer);
    /// @notice A lot was commissioned: `count` packs under `root`.
    event LotCommissioned(
        bytes32 indexed epcisHash,
        bytes32 indexed lotKey,
        uint64 indexed gtin,
        bytes20 lot,
        uint32 expiry,
        bytes32 root,
        uint32 count,
        ParticipantId manufacturer
    );
    /// @notice `packer` packed container `key` (SSCC `sscc`) of `childCount` children under `childrenRoot`, holding
    /// the `lotKeys`.
    event ContainerPacked(
        bytes32 indexed epcisHash,
        bytes32 indexed key,
        ParticipantId indexed packer,
        uint64 sscc,
        bytes32 childrenRoot,
        uint32 childCount,
        bytes32[] lotKeys
    );
    /// @notice `owner` unpacked the container; its children move on their own from now on.
    event ContainerUnpacked(bytes32 indexed epcisHash, bytes32 indexed key, ParticipantId indexed owner);
    /// @notice `unit` (a container's key or a pack's serial key) was taken out of the unpacked container `parent` by
    /// its owner and now has its own record.
    event UnitReleased(bytes32 indexed unit, bytes32 indexed parent, ParticipantId indexed owner);
    /// @notice `unit`, which has a record of its own, was sealed in the new container `container` by `packer`, its
    /// owner: it moves only with the container until released from it.
    event UnitSealed(bytes32 indexed unit, bytes32 indexed container, ParticipantId indexed packer);
    /// @notice `seller` shipped `unit` to `buyer`; `transaction` commits to the DSCSA transaction information and
    /// statement that travel with it off chain.
    event Shipped(
        bytes32 indexed epcisHash,
        bytes32 indexed unit,
        ParticipantId indexed buyer,
        ParticipantId seller,
        bytes32 transaction
    );
    /// @notice `buyer` received `unit` from `seller`: it is the buyer's.
    event Received(bytes32 indexed epcisHash, bytes32 indexed unit, ParticipantId indexed buyer, ParticipantId seller);
    /// @notice The shipment of `unit` was cancelled by `by` (its seller or buyer); it stays the seller's.
    event ShipmentCancelled(bytes32 indexed unit, ParticipantId indexed seller, ParticipantId indexed by);
    /// @notice `dispenser` decommissioned the pack as dispensed.
    event Dispensed(
        bytes32 indexed epcisHash,
        bytes32 indexed serialKey,
        ParticipantId indexed dispenser,
        bytes32 lotKey
    );
    /// @notice `dispenser` undid its decommission of the pack within the reversal window.
    event DispenseUndone(bytes32 indexed epcisHash, bytes32 indexed serialKey, ParticipantId indexed dispenser);
    /// @notice `verifier` recorded a verification of the pack; `request` commits to the off-chain request (for a
    /// saleable return, the returned pack's transaction information).
    event PackVerified(
        bytes32 indexed serialKey,
        ParticipantId indexed verifier,
        bytes32 indexed request,
        bool genuine,
        bool saleable,
        ParticipantId owner
    );
    /// @notice The governance changed the reversal window of decommissions.
    event ReversalWindowSet(uint32 indexed window);

    // ------------------------------------------------------------------------------------------------------------
    // Products and lots
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Registers `gtin` (a GTIN-14, which carries the NDC) as the caller's product.
    /// @dev Caller: an active manufacturer. Reverts `SupplyInvalidGtin`, `SupplyProductExists`.
    function registerProduct(uint64 gtin) external;

    /// @notice Commissions lot `lot` of `gtin`, expiring `expiry` (YYMMDD), as `root` over `count` serialized packs.
    /// @dev Caller: the GTIN's manufacturer, active. Reverts `SupplyUnknownProduct`, `SupplyNotProductOwner`,
    /// `SupplyEmptyIdentifier`, `SupplyInvalidExpiry`, `SupplyExpiryInPast`, `SupplyZeroHash`, `SupplyInvalidCount`,
    /// `SupplyLotExists`.
    /// @return lotKey `keccak256(abi.encode(gtin, lot))`.
    function commissionLot(
        uint64 gtin,
        bytes20 lot,
        uint32 expiry,
        bytes32 root,
        uint32 count,
        bytes32 epcisHash
    ) external returns (bytes32 lotKey);

    // ------------------------------------------------------------------------------------------------------------
    // Aggregation and custody
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Packs container `sscc` with `childCount` children under `childrenRoot`, holding the lots `lotKeys`
    /// (strictly ascending), and seals in it the `sealedUnits`: its direct children that have a record of their own
    /// (packs that moved alone, containers packed on chain or released), each on its own, held by the caller and
    /// holding no open investigation. A sealed unit moves only with the container until the container is unpacked, so
    /// it cannot be sold twice. The caller vouches for the rest: a pack without a record is in it only if the caller
    /// is the pack's manufacturer; a child container without a record is the caller's word, as its packs are; a child
    /// with a record that is not sealed in it is not in it.
    /// @dev Caller: an active trading partner. Reverts `SupplyInvalidSscc`, `SupplyZeroHash`, `SupplyInvalidCount`
    /// (also for more than `MAX_SEALED_UNITS` units to seal), `SupplyInvalidLots`, `SupplyUnknownLotKey`,
    /// `SupplyContainerExists`, and for a unit it cannot seal `SupplyInvalidTransition` (not on its own),
    /// `SupplyUnitBlocked` (holds an investigation), `SupplyNotOwner`. Emits `ContainerPacked`, then `UnitSealed` per
    /// unit sealed.
    /// @return key The container's key.
    function pack(
        uint64 sscc,
        bytes32 childrenRoot,
        uint32 childCount,
        bytes32[] calldata lotKeys,
        bytes32[] calldata sealedUnits,
        bytes32 epcisHash
    ) external returns (bytes32 key);

    /// @notice Unpacks the container (`sscc`, `packer`, `childrenRoot`, `lotsHash`) held by the caller through `path`
    /// (empty if it has a record and is on its own): its children then move on their own, and the units sealed in it
    /// that `released` lists (the `UnitSealed` events of its key name them) get the caller as owner at once. A unit
    /// sealed in it and not listed is released when its owner first ships or unpacks it; called again on the unpacked
    /// container with a non-empty `released`, it releases those only. A container proven loose in an unpacked one is
    /// released first.
    /// @dev Reverts with the custody errors, `SupplyNotOwner`, `SupplySealedIn`, `SupplyInvalidTransition` (in
    /// transit, unpacked, quarantined), `SupplyInvalidCount` (more than `MAX_SEALED_UNITS` released),
    /// `SupplyNotInContainer` (a listed unit is not sealed in it). Emits `ContainerUnpacked`, then `UnitReleased` per
    /// unit released.
    function unpack(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path,
        bytes32[] calldata released,
        bytes32 epcisHash
    ) external;

    /// @notice Ships the container (`sscc`, `packer`, `childrenRoot`, `lotKeys`) to `buyer`; its lots are checked.
    /// `path` proves it out of an unpacked container if it was packed in one (empty otherwise).
    /// @dev Caller: its owner, an active trading partner. Reverts the custody errors, `SupplyNotOwner`,
    /// `SupplySealedIn`, `SupplyInvalidTransition`, `SupplyInvalidBuyer`, `SupplyLotBlocked`, `SupplyUnitBlocked`.
    function shipContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32[] calldata lotKeys,
        Hop[] calldata path,
        ParticipantId buyer,
        bytes32 transaction,
        bytes32 epcisHash
    ) external;

    /// @notice Ships a pack on its own to `buyer` (a return, a single unit): proven genuine by `lotProof` and held by
    /// the caller through `path` (empty if it moved on its own before or is still in its manufacturer's stock).
    function shipPack(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        ParticipantId buyer,
        bytes32 transaction,
        bytes32 epcisHash
    ) external;

    /// @notice Receives the container (`sscc`, `packer`, `childrenRoot`, `lotKeys`), shipped to the caller; its lots
    /// are checked.
    /// @dev Reverts `SupplyNotShippedTo`, `SupplyLotBlocked`, `SupplyUnitBlocked`.
    function receiveContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32[] calldata lotKeys,
        bytes32 epcisHash
    ) external;

    /// @notice Receives a pack shipped on its own to the caller.
    function receivePack(PackLabel calldata pack, bytes32 epcisHash) external;

    /// @notice Cancels the shipment of `unit` (by its seller, or refused by its buyer): it stays the seller's, and its
    /// record no longer names a supplier (the events keep who it came from). Works while paused.
    function cancelShipment(bytes32 unit) external;

    // ------------------------------------------------------------------------------------------------------------
    // Dispensing and verification
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Decommissions a pack as dispensed to a patient (no patient on chain). The pack must be genuine,
    /// unexpired, its lot active, not quarantined, and held by the caller through `path`. If its serial was
    /// decommissioned before, nothing reverts: the second decommission is recorded as a clone, the serial is
    /// quarantined and an investigation is opened in the caller's name, and `dispensed` is false.
    /// @dev Caller: an active pharmacy or organization.
    /// @return dispensed Whether the pack was decommissioned.
    /// @return caseId The investigation opened for a clone; 0 otherwise.
    function dispense(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        bytes32 epcisHash
    ) external returns (bool dispensed, uint64 caseId);

    /// @notice Undoes the caller's decommission of the pack within the reversal window (EU FMD): the pack is back in
    /// the caller's stock.
    function undoDispense(PackLabel calldata pack, bytes32 epcisHash) external;

    /// @notice Records a verification of the pack (the record DSCSA asks partners to keep), with `request` committing
    /// to the off-chain request. Caller: an active trading partner.
    function recordVerification(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path,
        bytes32 request
    ) external returns (PackVerification memory verification);

    /// @notice Sets how long a dispenser may undo a decommission. Restricted (governance).
    function setReversalWindow(uint32 window) external;

    // ------------------------------------------------------------------------------------------------------------
    // Hooks of the product-safety contract
    // ------------------------------------------------------------------------------------------------------------

    /// @notice Sets a lot's status (quarantined, back to active, recalled with its class, illegitimate).
    /// @dev Caller: `productSafety()` only (`SupplyNotProductSafety`). Works while paused.
    function setLotStatus(bytes32 lotKey, LotStatus status, RecallClass recallClass) external;

    /// @notice Quarantines a genuine pack held through `path`: its record (a pack that never moved alone gets one in
    /// its manufacturer's name, dated 0, so that its path still holds) becomes Quarantined and every container of the
    /// path holds it. Returns its serial key, its custody before, its status before and the containers held.
    /// @dev Caller: `productSafety()` only. Works while paused. Reverts with the genuineness and custody errors, and
    /// `SupplyInvalidTransition` unless the pack is in commerce (no record, Active or Sealed).
    function holdPack(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    ) external returns (bytes32 serialKey, Custody memory custody, UnitStatus prior, bytes32[4] memory held);

    /// @notice As `holdPack`, for the container (`sscc`, `packer`, `childrenRoot`, `lotsHash`): it must be Active or
    /// Sealed (a container without a record, proven in one, gets one).
    function holdContainer(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path
    ) external returns (bytes32 key, Custody memory custody, UnitStatus prior, bytes32[4] memory held);

    /// @notice Ends a hold: the unit's status becomes `status` (`None` deletes a record the hold created), and the
    /// containers `held` (zero ends the list) hold it no more. Caller: `productSafety()` only.
    function releaseHold(bytes32 unitKey, UnitStatus status, bytes32[4] calldata held) external;

    /// @notice Sets a held unit's status (Illegitimate). Caller: `productSafety()` only. Works while paused.
    function setUnitStatus(bytes32 unitKey, UnitStatus status) external;

    // ------------------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------------------

    /// @notice What the chain says of a scanned pack and its custody path. Never reverts on a bad proof or path: it
    /// answers `genuine` or `custodyProven` false.
    function verify(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    ) external view returns (PackVerification memory);

    /// @notice The custody of a genuine pack proven by `path`: its serial key, manufacturer, owner and status. Reverts
    /// with the genuineness and custody errors if the proofs do not hold.
    function packCustody(
        PackLabel calldata pack,
        bytes32[] calldata lotProof,
        Hop[] calldata path
    ) external view returns (bytes32 serialKey, ParticipantId manufacturer, Custody memory custody);

    /// @notice The custody of the container (`sscc`, `packer`, `childrenRoot`, `lotsHash`) proven by `path` (empty if
    /// it has a record and is on its own). Reverts with the custody errors if the path does not hold.
    function containerCustody(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash,
        Hop[] calldata path
    ) external view returns (bytes32 key, Custody memory custody);

    /// @notice A container's key: `keccak256(abi.encode(sscc, packer, keccak256(abi.encode(childrenRoot, lotsHash))))`.
    function containerKey(
        uint64 sscc,
        ParticipantId packer,
        bytes32 childrenRoot,
        bytes32 lotsHash
    ) external pure returns (bytes32);

    /// @notice The GTIN's manufacturer; NONE if unregistered.
    function manufacturerOf(uint64 gtin) external view returns (ParticipantId);

    /// @notice The lot; `status` None if never commissioned.
    function lot(uint64 gtin, bytes20 lotNumber) external view returns (Lot memory);

    /// @notice The lot by key.
    function lotByKey(bytes32 lotKey) external view returns (Lot memory);

    /// @notice The record of a container (by its key) or of a pack that moved on its own (by its serial key); status
    /// None if it has none.
    function unit(bytes32 unitKey) external view returns (Unit memory);

    /// @notice The container `unitKey` is sealed in (or, under investigation, held in), by its full key; zero if it is
    /// in none (on its own, or without a record).
    function sealedIn(bytes32 unitKey) external view returns (bytes32);

    /// @notice The buyer `unit` is in transit to; NONE if none.
    function pendingBuyer(bytes32 unit) external view returns (ParticipantId);

    /// @notice How long a dispenser may undo a decommission, in seconds.
    function reversalWindow() external view returns (uint32);

    /// @notice The product-safety contract (quarantines, investigations, recalls) this registry created.
    function productSafety() external view returns (address);

    /// @notice The identity registry that says who the trading partners are.
    function identityRegistry() external view returns (address);
}
