import { type ContainerTree, type Hop, type Label, type LotTree, serialKey } from "./helpers";

// A small, independent model of custody and status in the drug supply chain, written from the interfaces'
// documentation (ISupplyChain, IProductSafety, Supply.sol's value types) and issue 15, not from the contracts' code.
//
// It keeps the world as the partners know it — which packs are in which case, which cases on which pallet, who holds
// what — and beside it the records the registry is documented to keep: a record for every container packed on
// chain, for every unit that moved on its own, and for every unit a hold needed one for (`holdPack`,
// `holdContainer`). From these it answers, for any pack or container, its custody path (the containers it is in,
// innermost first, up to its outermost sealed container or the unpacked container it is loose in), its owner,
// whether it is in transit, quarantined, illegitimate or dispensed, and, for each action, whether the registry must
// accept it (and what changes, and which units it seals or releases) or which custom error it must revert with.
//
// The rules, as documented:
// - A pack's owner is the owner of its outermost container, unless unpacked: a unit loose in an unpacked container
//   belongs to that container's owner; a unit on its own to its record's owner; a pack that never moved alone and
//   was never packed is in its manufacturer's stock.
// - Packing seals in the new container the direct children that have a record of their own (`sealedUnits`): each
//   must be on its own and in commerce (Active: else `SupplyInvalidTransition` to Sealed), hold no open investigation
//   (`SupplyUnitBlocked`) and be the packer's (`SupplyNotOwner`), checked in that order, unit by unit. A sealed unit's
//   record is Sealed (owner, packer, supplier and date stay), and the registry names the container it is sealed in
//   (`sealedIn`). A child with a record that is not sealed in the container is not in it; children without a record
//   are in it on the packer's word (a pack only if the packer is its manufacturer), as before.
// - A unit with a record is in a container only if it was sealed there, or a hold gave it its record there (while it
//   is Sealed, or quarantined or illegitimate there: `sealedIn` names the container). So it is a direct child of a
//   container with a record, and moves only with it: a custody path that stops short of the container the last unit
//   on it is in proves nothing (`SupplySealedIn(that unit, 0)`; `verify` answers custody not proven, no owner, not
//   saleable). Loose in an unpacked container, a sealed unit is in its owner's hands (Active).
// - Unpacking releases the sealed units its `released` list names, each of which must be sealed in that container
//   (else `SupplyNotInContainer(container, unit)`) and not under investigation there (else `SupplyUnitBlocked`): they
//   get the container's owner and supplier, dated now, and are in no container. Called again on the unpacked
//   container with a non-empty list, it only releases. A unit loose in an unpacked container and not released is
//   released when its owner ships or unpacks it: it gets a record of its own (the container's owner and supplier,
//   dated now; a container without a record keeps the packer that vouched for it). A pack still in its
//   manufacturer's stock moves with a record in its manufacturer's name, dated 0. A dispensed pack is in no
//   container.
// - What is in transit still belongs to the seller; while in transit the record's `from` names the buyer; a
//   cancelled shipment names no supplier.
// - Quarantined, illegitimate or recalled lots stop shipping, receiving and dispensing; a quarantined or illegitimate
//   unit, or one whose containers hold open investigations (`holds`), does not move; a container on a pack's path
//   that is quarantined or illegitimate stops its dispensing, and `verify` reports the innermost such container's.
// - A serial is decommissioned once: a second decommission does not revert, it quarantines the serial and opens a
//   case in the scanner's name.
// - Quarantine takes a unit in commerce (no record, Active or Sealed) and raises `holds` on every container of its
//   path. A unit without a record gets the one its path expects, dated 0, in the container it is in: a pack its
//   manufacturer's, a container its voucher's (owner and packer), Sealed. Clearing restores the prior status — a
//   record the hold created is deleted (and the unit is in no container on the registry's books), or, if a hold now
//   rests on it, stays Sealed — and lowers the holds; finding illegitimate is final.

export enum LotStatus {
  None,
  Active,
  Quarantined,
  Recalled,
  Illegitimate,
}

export enum UnitStatus {
  None,
  Active,
  InTransit,
  Unpacked,
  Dispensed,
  Quarantined,
  Illegitimate,
  Sealed,
}

export enum CaseStatus {
  None,
  Open,
  Cleared,
  Illegitimate,
  Closed,
}

export enum Kind {
  Manufacturer,
  Distributor,
  Pharmacy,
  Organization,
  Regulator,
}

export const NONE = 0n;
/** A container argument of zero (`SupplySealedIn(unit, 0)`: the path stops short of the container). */
export const ZERO_KEY = `0x${"0".repeat(64)}`;
/** Stands for the calling account's address in an error's arguments: the model knows partners by id only. */
export const CALLER = Symbol("caller");

/** The low 64 bits of a key, as a record holds it: the lot of a pack travelling alone (in `packer`). */
export function tag(key: string): bigint {
  return BigInt(key) & 0xffffffffffffffffn;
}

/** A unit's record, field for field as `unit(key)` returns it. */
export interface Rec {
  owner: bigint;
  packer: bigint;
  from: bigint;
  status: UnitStatus;
  holds: number;
  since: bigint;
}

export const NO_RECORD: Readonly<Rec> = {
  owner: 0n,
  packer: 0n,
  from: 0n,
  status: UnitStatus.None,
  holds: 0,
  since: 0n,
};

export interface ModelLot {
  tree: LotTree;
  key: string;
  manufacturer: bigint;
  status: LotStatus;
}

export interface ModelPack {
  kind: "pack";
  name: string;
  label: Label;
  lot: ModelLot;
  /** The serial key: its record's key. */
  key: string;
  record?: Rec;
  /** The container it is in (sealed, or loose if that container is unpacked); undefined if on its own. */
  parent?: ModelContainer;
}

export interface ModelContainer {
  kind: "container";
  name: string;
  tree: ContainerTree;
  key: string;
  lotKeys: string[];
  record?: Rec;
  parent?: ModelContainer;
}

export type ModelUnit = ModelPack | ModelContainer;

export interface ModelCase {
  id: bigint;
  subject: { lot: ModelLot } | { unit: ModelUnit };
  status: CaseStatus;
  prior: UnitStatus;
  held: ModelContainer[];
  investigator: bigint;
}

/** An event a success must emit with these arguments: `UnitSealed` and `UnitReleased` (unit, container, partner). */
export interface Emitted {
  event: "UnitSealed" | "UnitReleased";
  unit: string;
  container: string;
  by: bigint;
}

/** What the registry must do: succeed (with the event a success emits, and exactly the units it seals or releases),
 * or revert with this custom error (with these arguments, where the model names them). */
export type Outcome =
  | { ok: true; event: string; emitted: Emitted[] }
  | { error: string; args?: readonly (string | bigint | number | symbol)[] };

/** Where a unit stands, as the model derives it from its containers (through a custody path that may stop short). */
export interface Standing {
  /** The containers it is in, innermost first, up to its outermost sealed one or the unpacked one it is loose in. */
  path: ModelContainer[];
  owner: bigint;
  /** Its supplier (the buyer while in transit). */
  from: bigint;
  /** Active, InTransit, or its own status (Quarantined, Illegitimate, Dispensed, Unpacked). */
  status: UnitStatus;
  /** The outermost sealed container it is in, if any. */
  sealedIn?: ModelContainer;
  /** The unpacked container it is loose in, if any. */
  unpackedParent?: ModelContainer;
  /** The sealed containers on its path under investigation or found illegitimate, innermost first. */
  blocking: ModelContainer[];
  /** Why the path proves no custody, if it does not: the error the registry's writes revert with. */
  fault?: Outcome & { error: string };
}

/** What `verify` must answer for a pack through its custody path. */
export interface PackAnswer {
  custodyProven: boolean;
  owner: bigint;
  inTransit: boolean;
  quarantined: boolean;
  illegitimate: boolean;
  dispensed: boolean;
  saleable: boolean;
  packStatus: UnitStatus;
  lotStatus: LotStatus;
}

const err = (error: string, args?: readonly (string | bigint | number | symbol)[]): Outcome & { error: string } =>
  args === undefined ? { error } : { error, args };
const ok = (event: string, emitted: Emitted[] = []): Outcome => ({ ok: true, event, emitted });
const held = (s: UnitStatus | undefined) => s === UnitStatus.Quarantined || s === UnitStatus.Illegitimate;

export class SupplyModel {
  readonly lots: ModelLot[] = [];
  readonly packs: ModelPack[] = [];
  readonly containers: ModelContainer[] = [];
  readonly cases: ModelCase[] = [];

  constructor(readonly kinds: ReadonlyMap<bigint, Kind>) {}

  isTradingPartner(id: bigint): boolean {
    const kind = this.kinds.get(id);
    return kind !== undefined && kind !== Kind.Regulator;
  }
  isDispenser(id: bigint): boolean {
    const kind = this.kinds.get(id);
    return kind === Kind.Pharmacy || kind === Kind.Organization;
  }
  isRegulator(id: bigint): boolean {
    return this.kinds.get(id) === Kind.Regulator;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Custody
  // -------------------------------------------------------------------------------------------------------------

  /** The containers `unit` is in, innermost first, up to its outermost sealed one or the unpacked one it is loose in. */
  fullPath(unit: ModelUnit): ModelContainer[] {
    const path: ModelContainer[] = [];
    for (let c = unit.parent; c !== undefined; c = c.parent) {
      path.push(c);
      if (c.record?.status === UnitStatus.Unpacked) break;
    }
    return path;
  }

  /** Where `unit` stands through its custody path, or through its first `depth` containers only. */
  standing(unit: ModelUnit, depth = Infinity): Standing {
    const path = this.fullPath(unit).slice(0, depth);
    const last = path[path.length - 1];
    const holder = last?.record ?? unit.record;
    const unpackedParent = last?.record?.status === UnitStatus.Unpacked ? last : undefined;
    const sealedPath = unpackedParent === undefined ? path : path.slice(0, -1);
    // The status is the outermost sealed recorded container's, else the unit's own; sealed and loose in an unpacked
    // container, it is in its owner's hands.
    let status = unit.record?.status ?? UnitStatus.Active;
    for (const c of sealedPath) if (c.record !== undefined) status = c.record.status;
    // The last unit on the path: if it has a record and is in a container the path does not name, the path stops
    // short of it.
    const end: ModelUnit = last ?? unit;
    let fault: Standing["fault"];
    if (last !== undefined && last.record === undefined) fault = err("SupplyUnknownContainer", [last.key]);
    else if (end.record !== undefined && end.parent !== undefined && unpackedParent === undefined) {
      fault = err("SupplySealedIn", [end.key, ZERO_KEY]);
    }
    if (status === UnitStatus.Sealed) status = UnitStatus.Active;
    return {
      path,
      owner: holder?.owner ?? (unit.kind === "pack" ? unit.lot.manufacturer : NONE),
      from: holder?.from ?? NONE,
      status,
      sealedIn: sealedPath[sealedPath.length - 1],
      unpackedParent,
      blocking: sealedPath.filter((c) => held(c.record?.status)),
      fault,
    };
  }

  /** The custody path as the registry takes it: one hop per container, each proving the previous step. */
  hops(unit: ModelUnit, depth = Infinity): Hop[] {
    const result: Hop[] = [];
    let child: ModelUnit = unit;
    for (const c of this.standing(unit, depth).path) {
      result.push(c.tree.hop(child.kind === "pack" ? child.label : child.tree));
      child = c;
    }
    return result;
  }

  /** What `verify` answers for `pack` through its custody path, or through its first `depth` containers only. */
  answer(pack: ModelPack, depth = Infinity): PackAnswer {
    const s = this.standing(pack, depth);
    const proven = s.fault === undefined;
    const own = pack.record?.status ?? UnitStatus.None;
    const lot = pack.lot.status;
    // The innermost held container on the path speaks for the path.
    const onPath = proven ? s.blocking[0]?.record?.status : undefined;
    const quarantined =
      lot === LotStatus.Quarantined || own === UnitStatus.Quarantined || onPath === UnitStatus.Quarantined;
    const illegitimate =
      lot === LotStatus.Illegitimate || own === UnitStatus.Illegitimate || onPath === UnitStatus.Illegitimate;
    const dispensed = own === UnitStatus.Dispensed;
    const inTransit = proven && s.status === UnitStatus.InTransit;
    return {
      custodyProven: proven,
      owner: proven ? s.owner : NONE,
      inTransit,
      quarantined,
      illegitimate,
      dispensed,
      saleable: proven && lot === LotStatus.Active && !quarantined && !illegitimate && !dispensed && !inTransit,
      packStatus: own,
      lotStatus: lot,
    };
  }

  /** The container the registry says `unit` is sealed in (or held in), if any: its `sealedIn`. */
  sealedInKey(unit: ModelUnit): string {
    return unit.record !== undefined && unit.parent !== undefined ? unit.parent.key : ZERO_KEY;
  }

  /** The units sealed in `container` (Sealed there), loose in it once it is unpacked. */
  sealedUnits(container: ModelContainer): ModelUnit[] {
    return [...this.packs, ...this.containers].filter(
      (u) => u.parent === container && u.record?.status === UnitStatus.Sealed,
    );
  }

  /** The record a unit moving on its own starts from: released from the unpacked container it is loose in (owner
   * and supplier of that container, dated now), or, for a pack in its manufacturer's stock, its manufacturer's. */
  private ownRecord(unit: ModelUnit, s: Standing, now: bigint): Rec {
    if (s.unpackedParent !== undefined) {
      const base = unit.record ?? {
        ...NO_RECORD,
        packer: unit.kind === "container" ? this.voucher(s) : NONE,
      };
      const loose = base.status === UnitStatus.None || base.status === UnitStatus.Sealed;
      return { ...base, status: loose ? UnitStatus.Active : base.status, owner: s.owner, from: s.from, since: now };
    }
    return unit.record ?? { ...NO_RECORD, owner: s.owner, status: UnitStatus.Active };
  }

  /** The event of a unit released from the unpacked container it is loose in, if it is. */
  private released(unit: ModelUnit, s: Standing): Emitted[] {
    const parent = s.unpackedParent;
    return parent === undefined ? [] : [{ event: "UnitReleased", unit: unit.key, container: parent.key, by: s.owner }];
  }

  /** The packer of the nearest recorded container above: who vouched for an unrecorded container's contents. */
  private voucher(s: Standing): bigint {
    return s.path.find((c) => c.record !== undefined)?.record?.packer ?? NONE;
  }

  private lotsOf(unit: ModelUnit): ModelLot[] {
    if (unit.kind === "pack") return [unit.lot];
    return unit.lotKeys.map((key) => this.lots.find((l) => l.key === key) as ModelLot);
  }

  private blockedLot(unit: ModelUnit): boolean {
    return this.lotsOf(unit).some((l) => l.status !== LotStatus.Active);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Writes: each answers what the registry must do and applies its effect only when it succeeds
  // -------------------------------------------------------------------------------------------------------------

  commission(tree: LotTree, manufacturer: bigint): ModelLot {
    const lot: ModelLot = { tree, key: tree.key, manufacturer, status: LotStatus.Active };
    this.lots.push(lot);
    for (const label of tree.labels) {
      this.packs.push({ kind: "pack", name: label.serial, label, lot, key: serialKey(label.gtin, label.serial) });
    }
    return lot;
  }

  /** Why `packer` may not seal `unit` in a new container, if it may not. */
  sealRefusal(packer: bigint, unit: ModelUnit): (Outcome & { error: string }) | undefined {
    const r = unit.record ?? NO_RECORD;
    if (r.status !== UnitStatus.Active) return err("SupplyInvalidTransition", [unit.key, r.status, UnitStatus.Sealed]);
    if (r.holds !== 0) return err("SupplyUnitBlocked", [unit.key, r.status, r.holds]);
    if (r.owner !== packer) return err("SupplyNotOwner", [unit.key, r.owner, CALLER]);
    return undefined;
  }

  /** Packs `children` (on their own, held by `packer`) into a new container on chain, sealing the `sealed` ones
   * (those with a record), with `virtual` containers (committed to by this one's tree only) already built around
   * some of them. */
  pack(
    packer: bigint,
    container: ModelContainer,
    children: ModelUnit[],
    virtual: { container: ModelContainer; children: ModelUnit[] }[],
    sealed: ModelUnit[],
    now: bigint,
  ): Outcome {
    if (!this.isTradingPartner(packer)) return err("SupplyNotTradingPartner");
    for (const unit of sealed) {
      const refusal = this.sealRefusal(packer, unit);
      if (refusal !== undefined) return refusal;
    }
    container.record = { owner: packer, packer, from: NONE, status: UnitStatus.Active, holds: 0, since: now };
    this.containers.push(container);
    for (const v of virtual) {
      this.containers.push(v.container);
      v.container.parent = container;
      for (const child of v.children) child.parent = v.container;
    }
    // A child with a record that is not sealed in the container is not in it.
    for (const child of children) if (child.record === undefined) child.parent = container;
    const emitted: Emitted[] = [];
    for (const unit of sealed) {
      unit.record = { ...(unit.record as Rec), status: UnitStatus.Sealed };
      unit.parent = container;
      emitted.push({ event: "UnitSealed", unit: unit.key, container: container.key, by: packer });
    }
    return ok("ContainerPacked", emitted);
  }

  /** Unpacks `unit` and releases the units of `released` sealed in it; on an unpacked container with a non-empty
   * list, only releases them. */
  unpack(actor: bigint, unit: ModelContainer, released: ModelUnit[], now: bigint): Outcome {
    if (!this.isTradingPartner(actor)) return err("SupplyNotTradingPartner");
    const s = this.standing(unit);
    if (s.fault !== undefined) return s.fault;
    if (s.sealedIn !== undefined) return err("SupplySealedIn", [unit.key, s.sealedIn.key]);
    if (s.owner !== actor) return err("SupplyNotOwner");
    const record = this.ownRecord(unit, s, now);
    const releaseOnly = record.status === UnitStatus.Unpacked && released.length > 0;
    if (!releaseOnly && record.status !== UnitStatus.Active) {
      return err("SupplyInvalidTransition", [unit.key, record.status, UnitStatus.Unpacked]);
    }
    const seen = new Set<ModelUnit>();
    for (const u of released) {
      if (seen.has(u) || u.parent !== unit || u.record === undefined) {
        return err("SupplyNotInContainer", [unit.key, u.key]);
      }
      // Under investigation inside it: released when its case ends, not before.
      if (u.record.status !== UnitStatus.Sealed)
        return err("SupplyUnitBlocked", [u.key, u.record.status, u.record.holds]);
      seen.add(u);
    }
    const emitted = this.released(unit, s);
    unit.record = { ...record, status: UnitStatus.Unpacked };
    if (s.unpackedParent !== undefined) unit.parent = undefined;
    for (const u of released) {
      const { owner, from } = unit.record;
      u.record = { ...(u.record as Rec), owner, from, status: UnitStatus.Active, since: now };
      u.parent = undefined;
      emitted.push({ event: "UnitReleased", unit: u.key, container: unit.key, by: owner });
    }
    return ok(releaseOnly ? "UnitReleased" : "ContainerUnpacked", emitted);
  }

  /** Ships `unit` through its custody path, or through its first `depth` containers only. */
  ship(actor: bigint, unit: ModelUnit, buyer: bigint, now: bigint, depth = Infinity): Outcome {
    if (!this.isTradingPartner(actor)) return err("SupplyNotTradingPartner");
    if (this.blockedLot(unit)) return err("SupplyLotBlocked");
    const s = this.standing(unit, depth);
    if (s.fault !== undefined) return s.fault;
    if (s.sealedIn !== undefined) return err("SupplySealedIn", [unit.key, s.sealedIn.key]);
    if (s.owner !== actor) return err("SupplyNotOwner");
    const record = this.ownRecord(unit, s, now);
    if (held(record.status) || record.holds !== 0) return err("SupplyUnitBlocked");
    if (record.status !== UnitStatus.Active) return err("SupplyInvalidTransition");
    if (buyer === actor || !this.isTradingPartner(buyer)) return err("SupplyInvalidBuyer");
    // A pack travelling alone carries its lot in its record's packer field: the low 64 bits of the lot key.
    const packer = unit.kind === "pack" ? tag(unit.lot.key) : record.packer;
    unit.record = { ...record, owner: actor, packer, from: buyer, status: UnitStatus.InTransit };
    const emitted = this.released(unit, s);
    if (s.unpackedParent !== undefined) unit.parent = undefined;
    return ok("Shipped", emitted);
  }

  receive(actor: bigint, unit: ModelUnit, now: bigint): Outcome {
    if (!this.isTradingPartner(actor)) return err("SupplyNotTradingPartner");
    if (this.blockedLot(unit)) return err("SupplyLotBlocked");
    const record = unit.record;
    if (record === undefined || record.status !== UnitStatus.InTransit || record.from !== actor) {
      return err("SupplyNotShippedTo");
    }
    if (record.holds !== 0) return err("SupplyUnitBlocked");
    unit.record = { ...record, owner: actor, from: record.owner, status: UnitStatus.Active, since: now };
    return ok("Received");
  }

  cancel(actor: bigint, unit: ModelUnit): Outcome {
    const record = unit.record;
    if (record === undefined || record.status !== UnitStatus.InTransit) return err("SupplyNotShippedTo");
    if (!this.kinds.has(actor) || (actor !== record.from && actor !== record.owner)) {
      return err("SupplyNotShipmentParty");
    }
    unit.record = { ...record, status: UnitStatus.Active, from: NONE };
    return ok("ShipmentCancelled");
  }

  /** Decommissions `pack`, proven genuine by its lot proof or, with `withoutLotProof`, by its custody path alone:
   * that holds only for a pack that never moved alone and is in a container (its manufacturer's word). The path is
   * its custody path, or its first `depth` containers only. */
  dispense(actor: bigint, pack: ModelPack, now: bigint, withoutLotProof = false, depth = Infinity): Outcome {
    if (!this.isDispenser(actor)) return err("SupplyNotDispenser");
    const pathGiven = this.standing(pack, depth).path.length > 0;
    if (withoutLotProof && (pack.record !== undefined || !pathGiven)) return err("SupplyNotGenuine");
    const own = pack.record;
    if (own?.status === UnitStatus.Dispensed) {
      // A clone: recorded, not refused.
      own.status = UnitStatus.Quarantined;
      this.openCase({ unit: pack }, UnitStatus.Dispensed, [], actor);
      return ok("DuplicateSerial");
    }
    const refusal = this.dispenseRefusal(actor, pack, depth);
    if (refusal !== undefined) return refusal;
    const s = this.standing(pack, depth);
    pack.record = { owner: actor, packer: NONE, from: s.from, status: UnitStatus.Dispensed, holds: 0, since: now };
    pack.parent = undefined;
    return ok("Dispensed");
  }

  /** Why `actor` may not decommission `pack` (which was not decommissioned before) through its custody path, or its
   * first `depth` containers only, if it may not. */
  dispenseRefusal(actor: bigint, pack: ModelPack, depth = Infinity): Outcome | undefined {
    if (!this.isDispenser(actor)) return err("SupplyNotDispenser");
    if (pack.lot.status !== LotStatus.Active) return err("SupplyLotBlocked");
    const s = this.standing(pack, depth);
    if (s.fault !== undefined) return s.fault;
    if (s.owner !== actor) return err("SupplyNotOwner");
    if (held(pack.record?.status) || s.blocking.length > 0) return err("SupplyUnitBlocked");
    if (s.status !== UnitStatus.Active) return err("SupplyInvalidTransition");
    return undefined;
  }

  quarantineLot(actor: bigint, lot: ModelLot): Outcome {
    if (!this.isRegulator(actor) && actor !== lot.manufacturer) return err("ProductSafetyNotRecaller");
    if (lot.status !== LotStatus.Active) return err("ProductSafetyNotQuarantinable");
    lot.status = LotStatus.Quarantined;
    this.openCase({ lot }, UnitStatus.None, [], actor);
    return ok("Quarantined");
  }

  /** Quarantines a pack or a container held through its custody path. */
  quarantineUnit(actor: bigint, unit: ModelUnit): Outcome {
    const s = this.standing(unit);
    if (s.fault !== undefined) return s.fault;
    const prior = unit.record?.status ?? UnitStatus.None;
    if (prior !== UnitStatus.None && prior !== UnitStatus.Active && prior !== UnitStatus.Sealed) {
      return err("SupplyInvalidTransition", [unit.key, prior, UnitStatus.Quarantined]);
    }
    if (!this.isRegulator(actor)) {
      if (!this.isTradingPartner(actor)) return err("ProductSafetyNotTradingPartner");
      // While in transit `from` is the buyer, who never held it: only the owner (the seller) or its earlier
      // supplier may quarantine it, and the supplier is then unknown on chain.
      const supplier = s.status === UnitStatus.InTransit ? NONE : s.from;
      if (actor !== s.owner && (actor !== supplier || supplier === NONE)) return err("ProductSafetyNotHolder");
    }
    // The record the path expects, dated 0, in the container it is in: a pack's in its manufacturer's name, a
    // container's in its voucher's.
    const record =
      unit.record ??
      (unit.kind === "pack"
        ? { ...NO_RECORD, owner: unit.lot.manufacturer }
        : { ...NO_RECORD, owner: this.voucher(s), packer: this.voucher(s) });
    unit.record = { ...record, status: UnitStatus.Quarantined };
    this.hold(s.path);
    this.openCase({ unit }, prior, s.path, actor);
    return ok("Quarantined");
  }

  /** Raises the holds of every container on `path`; one without a record gets its voucher's, Sealed in the next. */
  private hold(path: ModelContainer[]): void {
    path.forEach((c, i) => {
      if (c.record !== undefined) {
        c.record.holds += 1;
        return;
      }
      const voucher = path.slice(i + 1).find((p) => p.record !== undefined)?.record?.packer ?? NONE;
      c.record = { owner: voucher, packer: voucher, from: NONE, status: UnitStatus.Sealed, holds: 1, since: 0n };
    });
  }

  private openCase(subject: ModelCase["subject"], prior: UnitStatus, path: ModelContainer[], by: bigint): void {
    this.cases.push({
      id: BigInt(this.cases.length + 1),
      subject,
      status: CaseStatus.Open,
      prior,
      held: [...path],
      investigator: by,
    });
  }

  recall(actor: bigint, lot: ModelLot): Outcome {
    if (!this.isRegulator(actor) && actor !== lot.manufacturer) return err("ProductSafetyNotRecaller");
    if (lot.status === LotStatus.Recalled || lot.status === LotStatus.Illegitimate) {
      return err("ProductSafetyLotNotRecallable");
    }
    lot.status = LotStatus.Recalled;
    return ok("LotRecalled");
  }

  decide(actor: bigint, c: ModelCase, illegitimate: boolean): Outcome {
    if (!this.isRegulator(actor) && actor !== c.investigator) return err("ProductSafetyNotInvestigator");
    if (c.status !== CaseStatus.Open) return err("ProductSafetyInvalidCaseTransition");
    c.status = illegitimate ? CaseStatus.Illegitimate : CaseStatus.Cleared;
    if ("lot" in c.subject) {
      const lot = c.subject.lot;
      if (illegitimate) lot.status = LotStatus.Illegitimate;
      else if (lot.status === LotStatus.Quarantined) lot.status = LotStatus.Active;
      return ok("CaseDetermined");
    }
    const unit = c.subject.unit;
    const record = unit.record as Rec;
    if (illegitimate) {
      record.status = UnitStatus.Illegitimate;
      return ok("CaseDetermined");
    }
    // Back to commerce as it was: a record the hold created goes, unless another case's hold rests on it (a
    // container's, which stays sealed in the container above it); the containers hold it no more.
    if (c.prior !== UnitStatus.None) record.status = c.prior;
    else if (record.holds === 0) unit.record = undefined;
    else record.status = UnitStatus.Sealed;
    for (const h of c.held) (h.record as Rec).holds -= 1;
    return ok("CaseDetermined");
  }
}
