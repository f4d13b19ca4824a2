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
// accept it (and what changes) or which custom error it must revert with.
//
// The rules, as documented:
// - A pack's owner is the owner of its outermost container, unless unpacked: a unit loose in an unpacked container
//   belongs to that container's owner; a unit on its own to its record's owner; a pack that never moved alone and
//   was never packed is in its manufacturer's stock.
// - What is in transit still belongs to the seller; while in transit the record's `from` names the buyer; a
//   cancelled shipment names no supplier.
// - A unit proven loose in an unpacked container is "released" when its owner moves it (ship, unpack): it gets a
//   record of its own (the container's owner and supplier, dated now; a container keeps the packer that vouched for
//   it). A pack still in its manufacturer's stock moves with a record in its manufacturer's name, dated 0.
// - Quarantined, illegitimate or recalled lots stop shipping, receiving and dispensing; a quarantined or illegitimate
//   unit, or one whose containers hold open investigations (`holds`), does not move; a container on a pack's path
//   that is quarantined or illegitimate stops its dispensing.
// - A serial is decommissioned once: a second decommission does not revert, it quarantines the serial and opens a
//   case in the scanner's name.
// - Quarantining raises `holds` on every container of the path (a container without a record gets the one its path
//   expects: its voucher's, dated as the nearest recorded container above); clearing restores the prior status
//   (deleting a record the hold created) and lowers the holds; finding illegitimate is final.

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

/** What the registry must do: succeed (with the event a success emits), or revert with this custom error. */
export type Outcome = { ok: true; event: string } | { error: string };

/** Where a unit stands, as the model derives it from its containers. */
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
  /** The sealed containers on its path under investigation or found illegitimate. */
  blocking: ModelContainer[];
}

/** What `verify` must answer for a pack through its custody path. */
export interface PackAnswer {
  owner: bigint;
  inTransit: boolean;
  quarantined: boolean;
  illegitimate: boolean;
  dispensed: boolean;
  saleable: boolean;
  packStatus: UnitStatus;
  lotStatus: LotStatus;
}

const err = (error: string): Outcome => ({ error });
const ok = (event: string): Outcome => ({ ok: true, event });
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

  standing(unit: ModelUnit): Standing {
    const path: ModelContainer[] = [];
    for (let c = unit.parent; c !== undefined; c = c.parent) {
      path.push(c);
      if (c.record?.status === UnitStatus.Unpacked) break;
    }
    const last = path[path.length - 1];
    const holder = last?.record ?? unit.record;
    const unpackedParent = last?.record?.status === UnitStatus.Unpacked ? last : undefined;
    const sealedPath = unpackedParent === undefined ? path : path.slice(0, -1);
    // The status is the outermost sealed recorded container's, else the unit's own.
    let status = unit.record?.status ?? UnitStatus.Active;
    for (const c of sealedPath) if (c.record !== undefined) status = c.record.status;
    return {
      path,
      owner: holder?.owner ?? (unit.kind === "pack" ? unit.lot.manufacturer : NONE),
      from: holder?.from ?? NONE,
      status,
      sealedIn: sealedPath[sealedPath.length - 1],
      unpackedParent,
      blocking: sealedPath.filter((c) => held(c.record?.status)),
    };
  }

  /** The custody path as the registry takes it: one hop per container, each proving the previous step. */
  hops(unit: ModelUnit): Hop[] {
    const result: Hop[] = [];
    let child: ModelUnit = unit;
    for (const c of this.standing(unit).path) {
      result.push(c.tree.hop(child.kind === "pack" ? child.label : child.tree));
      child = c;
    }
    return result;
  }

  answer(pack: ModelPack): PackAnswer {
    const s = this.standing(pack);
    const own = pack.record?.status ?? UnitStatus.None;
    const lot = pack.lot.status;
    const quarantined =
      lot === LotStatus.Quarantined ||
      own === UnitStatus.Quarantined ||
      s.blocking.some((c) => c.record?.status === UnitStatus.Quarantined);
    const illegitimate =
      lot === LotStatus.Illegitimate ||
      own === UnitStatus.Illegitimate ||
      s.blocking.some((c) => c.record?.status === UnitStatus.Illegitimate);
    const dispensed = own === UnitStatus.Dispensed;
    const inTransit = s.status === UnitStatus.InTransit;
    return {
      owner: s.owner,
      inTransit,
      quarantined,
      illegitimate,
      dispensed,
      saleable: lot === LotStatus.Active && !quarantined && !illegitimate && !dispensed && !inTransit,
      packStatus: own,
      lotStatus: lot,
    };
  }

  /** The record a unit moving on its own starts from: released from the unpacked container it is loose in (owner
   * and supplier of that container, dated now), or, for a pack in its manufacturer's stock, its manufacturer's. */
  private ownRecord(unit: ModelUnit, s: Standing, now: bigint): Rec {
    if (s.unpackedParent !== undefined) {
      const base = unit.record ?? {
        ...NO_RECORD,
        status: UnitStatus.Active,
        packer: unit.kind === "container" ? this.voucher(s) : NONE,
      };
      return { ...base, owner: s.owner, from: s.from, since: now };
    }
    return unit.record ?? { ...NO_RECORD, owner: s.owner, status: UnitStatus.Active };
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

  /** Packs `children` (on their own, held by `packer`) into a new container on chain, with `virtual` containers
   * (committed to by this one's tree only) already built around some of them. */
  pack(
    packer: bigint,
    container: ModelContainer,
    children: ModelUnit[],
    virtual: { container: ModelContainer; children: ModelUnit[] }[],
    now: bigint,
  ): Outcome {
    if (!this.isTradingPartner(packer)) return err("SupplyNotTradingPartner");
    container.record = { owner: packer, packer, from: NONE, status: UnitStatus.Active, holds: 0, since: now };
    this.containers.push(container);
    for (const v of virtual) {
      this.containers.push(v.container);
      v.container.parent = container;
      for (const child of v.children) child.parent = v.container;
    }
    for (const child of children) child.parent = container;
    return ok("ContainerPacked");
  }

  unpack(actor: bigint, unit: ModelContainer, now: bigint): Outcome {
    if (!this.isTradingPartner(actor)) return err("SupplyNotTradingPartner");
    const s = this.standing(unit);
    if (s.sealedIn !== undefined) return err("SupplySealedIn");
    if (s.owner !== actor) return err("SupplyNotOwner");
    const record = this.ownRecord(unit, s, now);
    if (record.status !== UnitStatus.Active) return err("SupplyInvalidTransition");
    unit.record = { ...record, status: UnitStatus.Unpacked };
    if (s.unpackedParent !== undefined) unit.parent = undefined;
    return ok("ContainerUnpacked");
  }

  ship(actor: bigint, unit: ModelUnit, buyer: bigint, now: bigint): Outcome {
    if (!this.isTradingPartner(actor)) return err("SupplyNotTradingPartner");
    if (this.blockedLot(unit)) return err("SupplyLotBlocked");
    const s = this.standing(unit);
    if (s.sealedIn !== undefined) return err("SupplySealedIn");
    if (s.owner !== actor) return err("SupplyNotOwner");
    const record = this.ownRecord(unit, s, now);
    if (held(record.status) || record.holds !== 0) return err("SupplyUnitBlocked");
    if (record.status !== UnitStatus.Active) return err("SupplyInvalidTransition");
    if (buyer === actor || !this.isTradingPartner(buyer)) return err("SupplyInvalidBuyer");
    // A pack travelling alone carries its lot in its record's packer field: the low 64 bits of the lot key.
    const packer = unit.kind === "pack" ? BigInt(unit.lot.key) & 0xffffffffffffffffn : record.packer;
    unit.record = { ...record, owner: actor, packer, from: buyer, status: UnitStatus.InTransit };
    if (s.unpackedParent !== undefined) unit.parent = undefined;
    return ok("Shipped");
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
   * that holds only for a pack that never moved alone and is in a container (its manufacturer's word). */
  dispense(actor: bigint, pack: ModelPack, now: bigint, withoutLotProof = false): Outcome {
    if (!this.isDispenser(actor)) return err("SupplyNotDispenser");
    if (withoutLotProof && (pack.record !== undefined || pack.parent === undefined)) return err("SupplyNotGenuine");
    const own = pack.record;
    if (own?.status === UnitStatus.Dispensed) {
      // A clone: recorded, not refused.
      own.status = UnitStatus.Quarantined;
      this.openCase({ unit: pack }, UnitStatus.Dispensed, [], actor);
      return ok("DuplicateSerial");
    }
    const refusal = this.dispenseRefusal(actor, pack);
    if (refusal !== undefined) return err(refusal);
    const s = this.standing(pack);
    pack.record = { owner: actor, packer: NONE, from: s.from, status: UnitStatus.Dispensed, holds: 0, since: now };
    pack.parent = undefined;
    return ok("Dispensed");
  }

  /** Why `actor` may not decommission `pack` (which was not decommissioned before), if it may not. */
  dispenseRefusal(actor: bigint, pack: ModelPack): string | undefined {
    if (!this.isDispenser(actor)) return "SupplyNotDispenser";
    if (pack.lot.status !== LotStatus.Active) return "SupplyLotBlocked";
    const s = this.standing(pack);
    if (s.owner !== actor) return "SupplyNotOwner";
    if (held(pack.record?.status) || s.blocking.length > 0) return "SupplyUnitBlocked";
    if (s.status !== UnitStatus.Active) return "SupplyInvalidTransition";
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
    const prior = unit.record?.status ?? UnitStatus.None;
    if (prior !== UnitStatus.None && prior !== UnitStatus.Active) return err("SupplyInvalidTransition");
    if (!this.isRegulator(actor)) {
      if (!this.isTradingPartner(actor)) return err("ProductSafetyNotTradingPartner");
      // While in transit `from` is the buyer, who never held it: only the owner (the seller) or its earlier
      // supplier may quarantine it, and the supplier is then unknown on chain.
      const supplier = s.status === UnitStatus.InTransit ? NONE : s.from;
      if (actor !== s.owner && (actor !== supplier || supplier === NONE)) return err("ProductSafetyNotHolder");
    }
    let record = unit.record;
    if (record === undefined) {
      // The record the path expects: a pack in its manufacturer's name dated 0, a container in its voucher's.
      record =
        unit.kind === "pack"
          ? { ...NO_RECORD, owner: unit.lot.manufacturer }
          : {
              ...NO_RECORD,
              owner: this.voucher(s),
              packer: this.voucher(s),
              since: s.path.find((c) => c.record !== undefined)?.record?.since ?? 0n,
            };
    }
    unit.record = { ...record, status: UnitStatus.Quarantined };
    this.hold(s.path);
    this.openCase({ unit }, prior, s.path, actor);
    return ok("Quarantined");
  }

  private hold(path: ModelContainer[]): void {
    path.forEach((c, i) => {
      if (c.record !== undefined) {
        c.record.holds += 1;
        return;
      }
      const above = path.slice(i + 1).find((p) => p.record !== undefined)?.record;
      const voucher = above?.packer ?? NONE;
      c.record = {
        owner: voucher,
        packer: voucher,
        from: NONE,
        status: UnitStatus.Active,
        holds: 1,
        since: above?.since ?? 0n,
      };
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
    // Back to commerce as it was: a record the hold created goes, and the containers hold it no more.
    if (c.prior === UnitStatus.None) unit.record = undefined;
    else record.status = c.prior;
    for (const h of c.held) (h.record as Rec).holds -= 1;
    return ok("CaseDetermined");
  }

  /** Whether clearing `c` would lower the holds of a container whose record an earlier clearing deleted while it
   * still held this case (see the BUG test in SupplyChain.properties.test.ts): the registry then underflows. */
  clearingUnderflows(c: ModelCase): boolean {
    return "unit" in c.subject && c.status === CaseStatus.Open && c.held.some((h) => h.record === undefined);
  }

  /** Whether clearing `c` would delete the record of a container that still holds another open case. */
  clearingDropsHolds(c: ModelCase): boolean {
    if (!("unit" in c.subject) || c.prior !== UnitStatus.None || c.status !== CaseStatus.Open) return false;
    const unit = c.subject.unit;
    return unit.kind === "container" && (unit.record?.holds ?? 0) > 0;
  }
}
