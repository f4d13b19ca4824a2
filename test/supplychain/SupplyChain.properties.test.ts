import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type ContractTransactionResponse, ZeroHash } from "ethers";
import fc from "fast-check";

import { GTIN, supplyChainFixture, type SupplyChainFixture } from "../fixtures/supplychain";
import { at, type Clock, pinNext } from "../helpers/model";
import { runs } from "../helpers/runs";
import {
  bytes20,
  ContainerTree,
  EXPIRY,
  hashOf,
  type Hop,
  LotTree,
  onChain,
  serialKey,
  serials,
  sscc,
} from "./helpers";
import {
  CALLER,
  CaseStatus,
  Kind,
  LotStatus,
  type ModelCase,
  type ModelContainer,
  type ModelPack,
  type ModelUnit,
  NO_RECORD,
  type Outcome,
  SupplyModel,
  tag,
  UnitStatus,
  ZERO_KEY,
} from "./model";

// A model-based property test of the supply chain: each run starts from the supply-chain fixture's snapshot
// (loadFixture reverts to it), commissions a first lot, and replays a random sequence of at most MAX_STEPS actions —
// commissions of small lots (4–12 packs); cases packed on chain, of 2–4 packs by their manufacturer or 1–4 by another
// partner (whose packs all have a record of their own), the packs with a record sealed in them, now and then with an
// intruder that cannot be sealed; pallets of 1–3 cases packed on chain before (sealed in them), virtual cases
// (committed to by the pallet's tree only) of packs without a record, or packs with one (sealed); containers packed
// around a unit their packer cannot seal (in transit, another's, holding an investigation, sealed already, without a
// record); unpacks releasing all, some, none or a wrong list of the units sealed in the container, and second
// unpacks that only release; shipments of packs and containers, releasing what is loose in an unpacked container;
// attempts to sell alone (ship, or dispense) a unit sealed in a container, through a path that stops short of it;
// receipts; cancels by either party; dispenses, clones among them (the same serial dispensed again, at another
// pharmacy); quarantines of lots, containers and packs (often of a sealed unit, or of a container holding some) and
// their investigations cleared or found illegitimate; recalls — among five trading partners (manufacturer,
// distributor, two pharmacies, a hospital) and the regulator, mostly by the one the action is for and sometimes by
// anyone, on the contracts and on the TypeScript model in ./model.ts.
//
// Invariants, checked after every step:
// 1. Each action the model allows succeeds and emits its event, and exactly the `UnitSealed` and `UnitReleased`
//    events the model names; each it refuses reverts with the custom error the model names (the registry's or the
//    product-safety contract's, with its arguments where the model names them), changing nothing.
// 2. For every pack, `verify(label, lotProof, custody path)` through the path the model knows it is on proves it
//    genuine with its custody, and its owner, in-transit, quarantined, illegitimate, dispensed and saleable answers,
//    its own record's status and its lot's status are the model's: one legal owner, the outermost container's. A pack
//    with a record inside a container (sealed there, or held there under investigation) is verified through the empty
//    path too: its custody is not proven there (no owner, not saleable), so it cannot be sold twice.
// 3. Every container's record and every pack's (owner, packer, from, status, holds, since) is the model's; a virtual
//    container has none until it moves on its own or a hold needs one, a pack none until it moves alone, is
//    dispensed or held. The container each unit is sealed in (`sealedIn`) is the one the model has it in, if it has
//    a record; none otherwise.
// 4. Every investigation's status is the model's.
//
// What the random actions stay clear of: pallets hold only cases and packs, so a path has at most two containers (the
// registry takes four); a unit with a record is packed only as a direct child of a container packed on chain, and
// sealed in it (under a virtual container it would not be in it: a fixed example below shows it).
//
// Every transaction is mined at a pinned timestamp (one second after the latest block) so that the model knows the
// exact `since` of what it records. SUPPLY_MODEL_STATS=1 prints how often each action had each outcome and in how
// many runs each state of the sealing rules was reached; SUPPLY_MODEL_SEED (and SUPPLY_MODEL_PATH) replays a run.

/** A failure's replay: `SUPPLY_MODEL_SEED` (and `SUPPLY_MODEL_PATH`) as fast-check printed them, or another seed. */
function replay(): { seed?: number; path?: string; endOnFailure?: boolean } {
  const seed = process.env.SUPPLY_MODEL_SEED;
  if (seed === undefined || seed === "") return {};
  const path = process.env.SUPPLY_MODEL_PATH;
  return path === undefined || path === "" ? { seed: Number(seed) } : { seed: Number(seed), path, endOnFailure: true };
}

/** Enough runs to reach clones, holds on virtual cases and recalls of shipped lots, with the file around a minute. */
const RUNS = runs(16);
const MIN_STEPS = 20;
const MAX_STEPS = 48;

// ---------------------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------------------

/** Who acts: the one the action is for (its owner, buyer, manufacturer, a regulator…), or anyone of the cast. */
type Actor = "right" | { cast: number };

/** Which units sealed in a container its unpack releases: all, some, none, or a list naming one not sealed in it. */
type Release = "all" | "some" | "none" | "wrong";

type Step =
  | { op: "commission"; size: number }
  | { op: "packCase"; packer: number; count: number; seed: number; intruder: number | null }
  | { op: "packPallet"; packer: number; cases: number; virtualMask: number; seed: number }
  | { op: "packIntruder"; packer: number; pick: number }
  | { op: "unpack"; pick: number; actor: Actor; release: Release }
  | { op: "ship"; pick: number; packs: boolean; actor: Actor; buyer: number }
  | { op: "sellAlone"; pick: number; dispense: boolean; cut: number; actor: Actor; buyer: number }
  | { op: "receive"; pick: number; actor: Actor }
  | { op: "cancel"; pick: number; actor: Actor }
  | { op: "dispense"; pick: number; clone: boolean; withoutLotProof: boolean; actor: Actor }
  | { op: "quarantine"; subject: "lot" | "container" | "pack"; pick: number; actor: Actor }
  | { op: "decide"; pick: number; illegitimate: boolean; actor: Actor }
  | { op: "recall"; pick: number; actor: Actor };

const pick = fc.nat({ max: 1000 });
const actor: fc.Arbitrary<Actor> = fc.oneof(
  { weight: 5, arbitrary: fc.constant("right" as const) },
  { weight: 1, arbitrary: fc.nat({ max: 5 }).map((cast) => ({ cast })) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("commission" as const), size: fc.integer({ min: 4, max: 12 }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("packCase" as const),
      packer: pick,
      count: fc.integer({ min: 2, max: 4 }),
      seed: pick,
      intruder: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: pick }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("packPallet" as const),
      packer: pick,
      cases: fc.integer({ min: 1, max: 3 }),
      virtualMask: fc.nat({ max: 7 }),
      seed: pick,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("packIntruder" as const), packer: pick, pick }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("unpack" as const),
      pick,
      actor,
      release: fc.constantFrom<Release>("all", "all", "some", "some", "none", "wrong"),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({ op: fc.constant("ship" as const), pick, packs: fc.boolean(), actor, buyer: pick }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("sellAlone" as const),
      pick,
      dispense: fc.boolean(),
      cut: fc.nat({ max: 3 }),
      actor,
      buyer: pick,
    }),
  },
  { weight: 10, arbitrary: fc.record({ op: fc.constant("receive" as const), pick, actor }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cancel" as const), pick, actor }) },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("dispense" as const),
      pick,
      clone: fc.nat({ max: 2 }).map((n) => n > 0),
      withoutLotProof: fc.nat({ max: 3 }).map((n) => n === 0),
      actor,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("quarantine" as const),
      subject: fc.constantFrom<"lot" | "container" | "pack">(
        "lot",
        "container",
        "container",
        "container",
        "pack",
        "pack",
        "pack",
        "pack",
      ),
      pick,
      actor,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("decide" as const), pick, illegitimate: fc.boolean(), actor }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("recall" as const), pick, actor }) },
);

// ---------------------------------------------------------------------------------------------------------------------
// A run: the fixture, the model and the counters that name new lots, containers and hashes
// ---------------------------------------------------------------------------------------------------------------------

/** Events the product-safety contract emits; the rest are the registry's. */
const SAFETY_EVENTS = new Set(["Quarantined", "CaseDetermined", "LotRecalled", "DuplicateSerial"]);

interface Member {
  name: string;
  id: bigint;
  key: SupplyChainFixture["manufacturer"]["key"];
}

const STATS = new Map<string, number>();

class Run {
  readonly model: SupplyModel;
  readonly cast: Member[];
  readonly clock: Clock = { now: 0n };
  private lotCount = 0;
  private ssccCount = 0;
  private hashCount = 0;

  constructor(readonly f: SupplyChainFixture) {
    const { manufacturer, distributor, pharmacy, otherPharmacy, hospital, regulator } = f;
    this.cast = [
      { name: "manufacturer", ...manufacturer },
      { name: "distributor", ...distributor },
      { name: "pharmacy", ...pharmacy },
      { name: "otherPharmacy", ...otherPharmacy },
      { name: "hospital", ...hospital },
      { name: "regulator", ...regulator },
    ];
    const kinds = [
      Kind.Manufacturer,
      Kind.Distributor,
      Kind.Pharmacy,
      Kind.Pharmacy,
      Kind.Organization,
      Kind.Regulator,
    ];
    this.model = new SupplyModel(new Map(this.cast.map((m, i) => [m.id, kinds[i] as Kind])));
  }

  get manufacturer(): Member {
    return this.cast[0] as Member;
  }
  get regulator(): Member {
    return this.cast[5] as Member;
  }
  member(id: bigint): Member {
    const found = this.cast.find((m) => m.id === id);
    if (found === undefined) throw new Error(`no member ${id}`);
    return found;
  }
  nameOf(id: bigint): string {
    return this.cast.find((m) => m.id === id)?.name ?? `#${id}`;
  }
  hash(): string {
    return hashOf(`step ${++this.hashCount}`);
  }
  newSscc(): bigint {
    return sscc(++this.ssccCount);
  }

  /** Pins the next block's time, asks the model, sends, and checks the chain did what the model said. */
  async act(
    what: string,
    model: (now: bigint) => Outcome,
    send: () => Promise<ContractTransactionResponse>,
  ): Promise<Outcome> {
    const now = await pinNext(this.clock);
    const outcome = model(now);
    if ("error" in outcome) {
      const contract = outcome.error.startsWith("ProductSafety") ? this.f.productSafety : this.f.supplyChain;
      const reverted = expect(send(), `${what} must revert ${outcome.error}`).to.be.revertedWithCustomError(
        contract,
        outcome.error,
      );
      if (outcome.args === undefined) await reverted;
      else await reverted.withArgs(...outcome.args.map((a) => (a === CALLER ? anyValue : a)));
    } else {
      let tx: ContractTransactionResponse;
      try {
        tx = await send();
      } catch (error) {
        throw new Error(`${what} must succeed (${outcome.event}) but reverted: ${(error as Error).message}`);
      }
      const contract = SAFETY_EVENTS.has(outcome.event) ? this.f.productSafety : this.f.supplyChain;
      await expect(tx, what).to.emit(contract, outcome.event);
      expect(await this.sealsAndReleases(tx), `units sealed and released by ${what}`).to.deep.equal(
        outcome.emitted.map(
          (e) => `${e.event}(${this.keyName(e.unit)}, ${this.keyName(e.container)}, ${this.nameOf(e.by)})`,
        ),
      );
    }
    this.clock.now = BigInt(await time.latest());
    const emitted = "error" in outcome ? [] : [...new Set(outcome.emitted.map((e) => e.event))];
    const result = "error" in outcome ? outcome.error : [outcome.event, ...emitted].join(" + ");
    const tally = `${what.split(" ")[1] ?? what} ${result}`;
    STATS.set(tally, (STATS.get(tally) ?? 0) + 1);
    return outcome;
  }

  /** The `UnitSealed` and `UnitReleased` events the registry emitted in `tx`, in order, readable. */
  async sealsAndReleases(tx: ContractTransactionResponse): Promise<string[]> {
    const receipt = await tx.wait();
    const registry = await this.f.supplyChain.getAddress();
    const seen: string[] = [];
    for (const log of receipt?.logs ?? []) {
      if (log.address !== registry) continue;
      const parsed = this.f.supplyChain.interface.parseLog(log);
      if (parsed?.name !== "UnitSealed" && parsed?.name !== "UnitReleased") continue;
      const [unit, container, by] = parsed.args as unknown as [string, string, bigint];
      seen.push(`${parsed.name}(${this.keyName(unit)}, ${this.keyName(container)}, ${this.nameOf(by)})`);
    }
    return seen;
  }

  /** A unit's name by its key (a pack's serial key or a container's key); "none" for zero. */
  keyName(key: string): string {
    if (key === ZERO_KEY) return "none";
    return this.units().find((u) => u.key === key)?.name ?? key;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Candidates
  // -------------------------------------------------------------------------------------------------------------

  /** Whoever acts: the one the action is for, or a member of the cast. */
  who(choice: Actor, right: bigint): Member {
    return choice === "right" ? this.member(right) : at(this.cast, choice.cast);
  }

  /** Packs on their own that `packer` may put in a container: held by it and in commerce; a pack that never moved
   * alone only by its manufacturer (whose word its containers' trees are). */
  freePacks(packer: bigint): ModelPack[] {
    return this.model.packs.filter((p) => {
      if (p.parent !== undefined) return false;
      if (p.record === undefined) return packer === p.lot.manufacturer;
      return p.record.owner === packer && p.record.status === UnitStatus.Active;
    });
  }

  /** Cases (containers of packs, virtual ones among them once released) on their own that `packer` may put on a
   * pallet: its own, in commerce, holding no investigation. Pallets go on nothing, so that a path has at most two
   * containers. */
  freeCases(packer: bigint): ModelContainer[] {
    return this.model.containers.filter(
      (c) =>
        c.parent === undefined &&
        (c.name.startsWith("case") || c.name.startsWith("virtual")) &&
        c.record?.owner === packer &&
        c.record.status === UnitStatus.Active &&
        c.record.holds === 0,
    );
  }

  units(): ModelUnit[] {
    return [...this.model.packs, ...this.model.containers];
  }

  /** Whether every lot `u` holds is active. */
  lotsActive(u: ModelUnit): boolean {
    const keys = u.kind === "pack" ? [u.lot.key] : u.lotKeys;
    return this.model.lots.every((l) => !keys.includes(l.key) || l.status === LotStatus.Active);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Steps
  // -------------------------------------------------------------------------------------------------------------

  async commission(size: number): Promise<void> {
    const name = `L${++this.lotCount}`;
    const tree = new LotTree(GTIN, name, EXPIRY, serials(size, `${name}-`));
    const m = this.manufacturer;
    await this.act(
      `${m.name} commissions ${name}`,
      () => {
        this.model.commission(tree, m.id);
        return { ok: true, event: "LotCommissioned", emitted: [] };
      },
      () => this.f.supplyChain.connect(m.key).commissionLot(GTIN, bytes20(name), EXPIRY, tree.root, size, this.hash()),
    );
  }

  /** Packs `children` and `virtual` containers (each around its own children) into a new container, sealing in it
   * the children with a record of their own, and `intruder` (which it cannot seal: the pack must revert). */
  async pack(
    packer: Member,
    children: ModelUnit[],
    virtual: { container: ModelContainer; children: ModelUnit[] }[],
    intruder?: { unit: ModelUnit; first: boolean },
  ): Promise<void> {
    const sealed = children.filter((u) => u.record !== undefined);
    if (intruder !== undefined) {
      children = [...children, intruder.unit];
      sealed.splice(intruder.first ? 0 : sealed.length, 0, intruder.unit);
    }
    const all = [...children, ...virtual.map((v) => v.container)];
    const lotKeys = [...new Set(all.flatMap((u) => (u.kind === "pack" ? [u.lot.key] : u.lotKeys)))];
    const tree = new ContainerTree(
      this.newSscc(),
      all.map((u) => (u.kind === "pack" ? u.label : u.tree)),
      lotKeys,
      packer.id,
    );
    const container: ModelContainer = {
      kind: "container",
      name: `${virtual.length > 0 || children.some((u) => u.kind === "container") ? "pallet" : "case"}${this.ssccCount}`,
      tree,
      key: tree.key,
      lotKeys: tree.lotKeys,
    };
    const sealing = sealed.length > 0 ? ` sealing ${sealed.map((u) => u.name).join(", ")}` : "";
    await this.act(
      `${packer.name} packs ${container.name} of ${all.map((u) => u.name).join(", ")}${sealing}`,
      (now) => this.model.pack(packer.id, container, children, virtual, sealed, now),
      () =>
        this.f.supplyChain.connect(packer.key).pack(
          tree.sscc,
          tree.root,
          all.length,
          tree.lotKeys,
          sealed.map((u) => u.key),
          this.hash(),
        ),
    );
  }

  /** A unit `packer` cannot seal, other than `besides`: by `choice`, one in transit, one another partner holds, one
   * holding an investigation, one sealed or held in a container already (or dispensed, unpacked), or now and then a
   * pack without a record. */
  intruder(packer: bigint, choice: number, besides: ModelUnit[]): ModelUnit | undefined {
    const { model } = this;
    const others = this.units().filter((u) => !besides.includes(u));
    const refused = others.filter((u) => u.record !== undefined && model.sealRefusal(packer, u) !== undefined);
    const active = refused.filter((u) => u.record?.status === UnitStatus.Active);
    const kinds = [
      refused.filter((u) => u.record?.status === UnitStatus.InTransit),
      active.filter((u) => u.record?.owner !== packer),
      active.filter((u) => u.record?.holds !== 0),
      refused.filter((u) => u.record?.status !== UnitStatus.InTransit && u.record?.status !== UnitStatus.Active),
    ].filter((list) => list.length > 0);
    const bare = others.filter((u) => u.record === undefined && u.kind === "pack");
    const pool = choice % 5 === 4 || kinds.length === 0 ? bare : at(kinds, choice);
    return pool.length === 0 ? undefined : at(pool, Math.floor(choice / 5));
  }

  /** A container committed to by a pallet's tree only. */
  virtualCase(packs: ModelPack[], packer: bigint): { container: ModelContainer; children: ModelUnit[] } {
    const tree = new ContainerTree(
      this.newSscc(),
      packs.map((p) => p.label),
      packs.map((p) => p.lot.key),
      packer,
    );
    return {
      container: { kind: "container", name: `virtual${this.ssccCount}`, tree, key: tree.key, lotKeys: tree.lotKeys },
      children: packs,
    };
  }

  /** One of `packers`, mostly another than the manufacturer where one may pack: what others pack has a record of its
   * own, and is sealed. */
  packer(packers: Member[], choice: number): Member | undefined {
    const others = packers.filter((m) => m !== this.manufacturer);
    if (packers.length === 0) return undefined;
    return at(choice % 3 !== 0 && others.length > 0 ? others : packers, choice);
  }

  async packCase(s: Extract<Step, { op: "packCase" }>): Promise<void> {
    const packer = this.packer(
      this.cast.filter((m) => this.freePacks(m.id).length >= (m === this.manufacturer ? 2 : 1)),
      s.packer,
    );
    if (packer === undefined) return;
    const free = this.freePacks(packer.id);
    const start = s.seed % free.length;
    const chosen = [...free.slice(start), ...free.slice(0, start)].slice(0, s.count);
    const intruder = s.intruder === null ? undefined : this.intruder(packer.id, s.intruder, chosen);
    await this.pack(packer, chosen, [], intruder && { unit: intruder, first: s.seed % 2 === 0 });
  }

  /** Any trading partner packs a container around a unit it cannot seal (in transit, another's, holding an
   * investigation, sealed already…): the pack must revert with the error the model names. */
  async packIntruder(s: Extract<Step, { op: "packIntruder" }>): Promise<void> {
    const packer = at(
      this.cast.filter((m) => this.model.isTradingPartner(m.id)),
      s.packer,
    );
    const intruder = this.intruder(packer.id, s.pick, []);
    if (intruder === undefined) return;
    await this.pack(packer, [], [], { unit: intruder, first: true });
  }

  /** A pallet of cases packed on chain before, virtual cases of packs without a record (which only their manufacturer
   * packs), and, where neither is left, packs with a record as direct children. */
  async packPallet(s: Extract<Step, { op: "packPallet" }>): Promise<void> {
    const bareOf = (id: bigint) => this.freePacks(id).filter((p) => p.record === undefined);
    const packer = this.packer(
      this.cast.filter((m) => this.freeCases(m.id).length + this.freePacks(m.id).length > 0),
      s.packer,
    );
    if (packer === undefined) return;
    const cases = this.freeCases(packer.id);
    const bare = bareOf(packer.id);
    const loose = this.freePacks(packer.id).filter((p) => p.record !== undefined);
    const children: ModelUnit[] = [];
    const virtual: { container: ModelContainer; children: ModelUnit[] }[] = [];
    let caseIndex = s.seed;
    for (let i = 0; i < s.cases; i++) {
      const wantsVirtual = ((s.virtualMask >> i) & 1) === 1 || cases.length === 0;
      if (wantsVirtual && bare.length >= 2) {
        const size = 2 + ((s.seed + i) % 3);
        virtual.push(this.virtualCase(bare.splice(0, Math.min(size, bare.length)), packer.id));
      } else if (cases.length > 0) {
        children.push(...cases.splice(caseIndex++ % cases.length, 1));
      } else if (loose.length > 0) {
        children.push(...loose.splice(0, 2));
      }
    }
    if (children.length + virtual.length === 0) return;
    await this.pack(packer, children, virtual);
  }

  /** Unpacks a container (mostly one its owner may unpack, or an unpacked one with units still sealed in it),
   * releasing the units sealed in it that `release` names. */
  async unpack(s: Extract<Step, { op: "unpack" }>): Promise<void> {
    const { model } = this;
    const movable = model.containers.filter((c) => {
      const st = model.standing(c);
      const unpacked = c.record?.status === UnitStatus.Unpacked;
      return st.sealedIn === undefined && (st.status === UnitStatus.Active || unpacked) && !st.fault;
    });
    const unpackable = movable.filter(
      (c) => c.record?.status !== UnitStatus.Unpacked || model.sealedUnits(c).length > 0,
    );
    // Mostly, where there is one, an unpacked container whose sealed units were not all released: release them now.
    const unreleased = unpackable.filter((c) => c.record?.status === UnitStatus.Unpacked);
    // Else mostly what has left the manufacturer: its customers unpack what they bought.
    const bought = unpackable.filter((c) => model.standing(c).owner !== this.manufacturer.id);
    const pool =
      s.actor !== "right"
        ? model.containers
        : ([unreleased, s.pick % 4 !== 0 ? bought : [], unpackable, model.containers].find(
            (list, i) => list.length > 0 && (i !== 0 || s.pick % 3 !== 0),
          ) ?? model.containers);
    if (pool.length === 0) return;
    const c = at(pool, s.pick);
    const by = this.who(s.actor, model.standing(c).owner || this.manufacturer.id);
    const hops = model.hops(c);
    const released = this.releaseList(c, s.release, s.pick);
    const listed = released.length > 0 ? ` releasing ${released.map((u) => u.name).join(", ")}` : "";
    await this.act(
      `${by.name} unpacks ${c.name}${listed}`,
      (now) => model.unpack(by.id, c, released, now),
      () =>
        this.f.supplyChain.connect(by.key).unpack(
          c.tree.sscc,
          c.tree.packer,
          c.tree.root,
          c.tree.lotsHash,
          hops,
          released.map((u) => u.key),
          this.hash(),
        ),
    );
  }

  /** The units an unpack of `c` lists as released: all sealed in it, some, none, or all and one it cannot release
   * (listed twice, under investigation in it, in it without a record, elsewhere). */
  releaseList(c: ModelContainer, release: Release, choice: number): ModelUnit[] {
    const sealed = this.model.sealedUnits(c);
    if (release === "all") return sealed;
    if (release === "some") return sealed.filter((_, i) => i % 2 === choice % 2);
    if (release === "none") return [];
    const inside = this.units().filter((u) => u.parent === c && !sealed.includes(u));
    // Mostly, where there is one, a unit under investigation in it.
    const wrongs = [
      inside.filter((u) => u.record !== undefined),
      sealed,
      inside,
      this.units().filter((u) => u !== c && !sealed.includes(u)),
    ];
    const pool = (choice % 2 === 0 ? wrongs : [at(wrongs, choice), ...wrongs]).find((list) => list.length > 0);
    if (pool === undefined) return sealed;
    const list = [...sealed];
    list.splice(choice % (list.length + 1), 0, at(pool, Math.floor(choice / wrongs.length)));
    return list;
  }

  async ship(s: Extract<Step, { op: "ship" }>): Promise<void> {
    const { model } = this;
    const all: ModelUnit[] = s.packs ? model.packs : model.containers;
    const movable = all.filter((u) => {
      const st = model.standing(u);
      return st.sealedIn === undefined && st.status === UnitStatus.Active;
    });
    // Mostly what the distributor holds, or what has left the manufacturer, so that product reaches the dispensers.
    const ownedBy = (test: (owner: bigint) => boolean) => movable.filter((u) => test(model.standing(u).owner));
    const distributor = this.cast[1]?.id;
    // Now and then a unit sealed in a container its owner unpacked without releasing it: shipping releases it.
    const unreleased = movable.filter((u) => u.record?.status === UnitStatus.Sealed);
    const preferred =
      [
        movable,
        ownedBy((owner) => owner === distributor),
        ownedBy((owner) => owner !== this.manufacturer.id),
        unreleased,
      ].find((list, i) => (i === s.pick % 3 || (i === 3 && s.pick % 4 === 0)) && list.length > 0) ?? movable;
    const pool = s.actor === "right" && preferred.length > 0 ? preferred : all;
    if (pool.length === 0) return;
    const u = at(pool, s.pick);
    const seller = this.who(s.actor, model.standing(u).owner || this.manufacturer.id);
    const buyer = this.buyerFor(seller, s.buyer);
    const hops = model.hops(u);
    await this.act(
      `${seller.name} ships ${u.name} to ${buyer.name}`,
      (now) => model.ship(seller.id, u, buyer.id, now),
      () => this.sendShip(seller, u, buyer, hops),
    );
  }

  sendShip(seller: Member, u: ModelUnit, buyer: Member, hops: Hop[]): Promise<ContractTransactionResponse> {
    const sc = this.f.supplyChain.connect(seller.key);
    return u.kind === "pack"
      ? sc.shipPack(onChain(u.label), u.lot.tree.proof(u.label.serial), hops, buyer.id, this.hash(), this.hash())
      : sc.shipContainer(
          u.tree.sscc,
          u.tree.packer,
          u.tree.root,
          u.tree.lotKeys,
          hops,
          buyer.id,
          this.hash(),
          this.hash(),
        );
  }

  /** The double sale: a unit with a record inside a container (mostly sealed there, else held there) shipped alone,
   * or for a pack dispensed alone, by whoever sealed it (its record's owner) or whoever holds it now, through a path
   * that stops short of the container it is in. Sealed, it must not move (`SupplySealedIn(…, 0)`). */
  async sellAlone(s: Extract<Step, { op: "sellAlone" }>): Promise<void> {
    const { model } = this;
    // Mostly one sealed there whose lots are active (else the lot check answers first).
    const inside = this.units().filter((u) => u.record !== undefined && u.parent !== undefined);
    const sealed = inside.filter((u) => u.record?.status === UnitStatus.Sealed && this.lotsActive(u));
    const pool = s.pick % 4 !== 0 && sealed.length > 0 ? sealed : inside;
    if (pool.length === 0) return;
    const u = at(pool, s.pick);
    const depth = s.cut % model.fullPath(u).length;
    const hops = model.hops(u, depth);
    const through =
      depth === 0
        ? "alone"
        : `through ${model
            .standing(u, depth)
            .path.map((c) => c.name)
            .join(", ")}`;
    const right = s.pick % 2 === 0 ? (u.record?.owner ?? 0n) : model.standing(u).owner;
    if (s.dispense && u.kind === "pack") {
      const dispensers = this.cast.filter((m) => model.isDispenser(m.id));
      const by = this.who(s.actor, model.isDispenser(right) ? right : at(dispensers, s.buyer).id);
      await this.act(
        `${by.name} double-dispenses ${u.name} ${through}`,
        (now) => model.dispense(by.id, u, now, false, depth),
        () =>
          this.f.supplyChain
            .connect(by.key)
            .dispense(onChain(u.label), u.lot.tree.proof(u.label.serial), hops, this.hash()),
      );
      return;
    }
    const seller = this.who(s.actor, this.model.isTradingPartner(right) ? right : this.manufacturer.id);
    const buyer = this.buyerFor(seller, s.buyer);
    await this.act(
      `${seller.name} double-sells ${u.name} ${through} to ${buyer.name}`,
      (now) => model.ship(seller.id, u, buyer.id, now, depth),
      () => this.sendShip(seller, u, buyer, hops),
    );
  }

  /** Mostly the next tier down (the manufacturer sells to the distributor or a dispenser, the distributor to a
   * dispenser, a dispenser returns to the distributor or the manufacturer); sometimes the seller itself or the
   * regulator, neither of which may buy. */
  buyerFor(seller: Member, choice: number): Member {
    if (choice % 10 === 0) return seller;
    if (choice % 10 === 1) return this.regulator;
    const index = this.cast.indexOf(seller);
    const next = index === 0 ? [1, 1, 2, 3, 4] : index === 1 ? [2, 3, 4] : [1, 1, 0];
    return at(this.cast, at(next, Math.floor(choice / 10)));
  }

  inTransit(): ModelUnit[] {
    return this.units().filter((u) => u.record?.status === UnitStatus.InTransit);
  }

  async receive(s: Extract<Step, { op: "receive" }>): Promise<void> {
    const shipped = this.inTransit();
    const pool = shipped.length > 0 ? shipped : s.pick % 4 === 0 ? this.units() : [];
    if (pool.length === 0) return;
    const u = at(pool, s.pick);
    const by = this.who(s.actor, u.record?.status === UnitStatus.InTransit ? u.record.from : (this.cast[1]?.id ?? 0n));
    const sc = this.f.supplyChain.connect(by.key);
    await this.act(
      `${by.name} receives ${u.name}`,
      (now) => this.model.receive(by.id, u, now),
      () =>
        u.kind === "pack"
          ? sc.receivePack(onChain(u.label), this.hash())
          : sc.receiveContainer(u.tree.sscc, u.tree.packer, u.tree.root, u.tree.lotKeys, this.hash()),
    );
  }

  async cancel(s: Extract<Step, { op: "cancel" }>): Promise<void> {
    const shipped = this.inTransit();
    const pool = shipped.length > 0 ? shipped : s.pick % 4 === 0 ? this.units() : [];
    if (pool.length === 0) return;
    const u = at(pool, s.pick);
    const party = s.pick % 2 === 0 ? u.record?.owner : u.record?.from;
    const by = this.who(s.actor, party !== undefined && party !== 0n ? party : (this.cast[1]?.id ?? 0n));
    await this.act(
      `${by.name} cancels the shipment of ${u.name}`,
      () => this.model.cancel(by.id, u),
      () => this.f.supplyChain.connect(by.key).cancelShipment(u.key),
    );
  }

  async dispense(s: Extract<Step, { op: "dispense" }>): Promise<void> {
    const { model } = this;
    const dispensers = this.cast.filter((m) => model.isDispenser(m.id));
    let pool: ModelPack[];
    let right: (p: ModelPack) => bigint;
    const dispensed = model.packs.filter((p) => p.record?.status === UnitStatus.Dispensed);
    if (s.clone && dispensed.length > 0) {
      // A clone: the same serial at another dispenser (or, now and then, at the same one).
      pool = dispensed;
      right = (p) => {
        const first = p.record?.owner ?? 0n;
        const others = dispensers.filter((m) => m.id !== first || s.pick % 5 === 0);
        return at(others, s.pick).id;
      };
    } else {
      const held = model.packs.filter((p) => model.isDispenser(model.standing(p).owner) && !p.record);
      const heldOrRecorded = model.packs.filter(
        (p) => model.isDispenser(model.standing(p).owner) && p.record?.status !== UnitStatus.Dispensed,
      );
      // Mostly a pack its dispenser may dispense now; sometimes any a dispenser holds; now and then any pack.
      const dispensable = heldOrRecorded.filter((p) => model.dispenseRefusal(model.standing(p).owner, p) === undefined);
      pool =
        s.pick % 4 !== 0 && dispensable.length > 0
          ? dispensable
          : heldOrRecorded.length > 0
            ? heldOrRecorded
            : held.length > 0
              ? held
              : s.pick % 4 === 0
                ? model.packs
                : [];
      if (pool.length === 0) return;
      right = (p) => {
        const owner = model.standing(p).owner;
        return model.isDispenser(owner) ? owner : at(dispensers, s.pick).id;
      };
    }
    const p = at(pool, s.pick);
    const by = this.who(s.actor, right(p));
    const hops = model.hops(p);
    await this.act(
      `${by.name} dispenses ${p.name}${s.withoutLotProof ? " without its lot proof" : ""}`,
      (now) => model.dispense(by.id, p, now, s.withoutLotProof),
      () =>
        this.f.supplyChain
          .connect(by.key)
          .dispense(onChain(p.label), s.withoutLotProof ? [] : p.lot.tree.proof(p.label.serial), hops, this.hash()),
    );
  }

  async quarantine(s: Extract<Step, { op: "quarantine" }>): Promise<void> {
    const { model } = this;
    const ps = this.f.productSafety;
    if (s.subject === "lot") {
      const lot = at(model.lots, s.pick);
      const by = this.who(s.actor, s.pick % 3 === 0 ? this.regulator.id : lot.manufacturer);
      await this.act(
        `${by.name} quarantines lot ${lot.tree.lot}`,
        () => model.quarantineLot(by.id, lot),
        () => ps.connect(by.key).quarantineLot(GTIN, bytes20(lot.tree.lot), 4, this.hash()),
      );
      return;
    }
    const all: ModelUnit[] = s.subject === "pack" ? model.packs : model.containers;
    // Often, where there is one, a unit sealed in a container (its case cleared returns it there) or a container
    // with units sealed in it.
    const sealed = all.filter(
      (u) => u.record?.status === UnitStatus.Sealed || (u.kind === "container" && model.sealedUnits(u).length > 0),
    );
    const pool = Math.floor(s.pick / 3) % 2 === 0 && sealed.length > 0 ? sealed : all;
    if (pool.length === 0) return;
    const u = at(pool, s.pick);
    const st = model.standing(u);
    // The right one: its owner, its supplier, or a regulator.
    const right = s.pick % 3 === 0 ? this.regulator.id : s.pick % 3 === 1 && st.from !== 0n ? st.from : st.owner;
    const by = this.who(s.actor, right || this.regulator.id);
    const hops = model.hops(u);
    await this.act(
      `${by.name} quarantines ${u.name}`,
      () => model.quarantineUnit(by.id, u),
      () =>
        u.kind === "pack"
          ? ps.connect(by.key).quarantinePack(onChain(u.label), u.lot.tree.proof(u.label.serial), hops, 4, this.hash())
          : ps
              .connect(by.key)
              .quarantineContainer(u.tree.sscc, u.tree.packer, u.tree.root, u.tree.lotsHash, hops, 7, this.hash()),
    );
  }

  async decide(s: Extract<Step, { op: "decide" }>): Promise<void> {
    const { model } = this;
    if (model.cases.length === 0) return;
    const open = model.cases.filter((c) => c.status === CaseStatus.Open);
    // Now and then, where there is one, a case whose clearing leaves its unit sealed in a container.
    const resealing = open.filter(
      (c) =>
        "unit" in c.subject &&
        (c.prior === UnitStatus.Sealed || (c.prior === UnitStatus.None && (c.subject.unit.record?.holds ?? 0) > 0)),
    );
    const pool =
      s.actor !== "right" || open.length === 0 ? model.cases : s.pick % 3 === 0 && resealing.length ? resealing : open;
    const c: ModelCase = at(pool, s.pick);
    const { illegitimate } = s;
    const by = this.who(s.actor, s.pick % 2 === 0 ? this.regulator.id : c.investigator);
    await this.act(
      `${by.name} decides case ${c.id} ${illegitimate ? "illegitimate" : "cleared"}`,
      () => model.decide(by.id, c, illegitimate),
      () => this.f.productSafety.connect(by.key).decide(c.id, illegitimate, this.hash()),
    );
  }

  async recall(s: Extract<Step, { op: "recall" }>): Promise<void> {
    const lot = at(this.model.lots, s.pick);
    const by = this.who(s.actor, s.pick % 2 === 0 ? this.regulator.id : lot.manufacturer);
    await this.act(
      `${by.name} recalls lot ${lot.tree.lot}`,
      () => this.model.recall(by.id, lot),
      () => this.f.productSafety.connect(by.key).recall(GTIN, bytes20(lot.tree.lot), 1 + (s.pick % 3), this.hash()),
    );
  }

  async step(s: Step): Promise<void> {
    switch (s.op) {
      case "commission":
        return this.commission(s.size);
      case "packCase":
        return this.packCase(s);
      case "packPallet":
        return this.packPallet(s);
      case "packIntruder":
        return this.packIntruder(s);
      case "unpack":
        return this.unpack(s);
      case "ship":
        return this.ship(s);
      case "sellAlone":
        return this.sellAlone(s);
      case "receive":
        return this.receive(s);
      case "cancel":
        return this.cancel(s);
      case "dispense":
        return this.dispense(s);
      case "quarantine":
        return this.quarantine(s);
      case "decide":
        return this.decide(s);
      case "recall":
        return this.recall(s);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Checks
  // -------------------------------------------------------------------------------------------------------------

  async check(after: string): Promise<void> {
    const { model, f } = this;
    // Every pack through its custody path, and a pack with a record inside a container through the empty path too.
    const asked = [
      ...model.packs.map((p) => ({ p, depth: Infinity })),
      ...model.packs.filter((p) => p.record !== undefined && p.parent !== undefined).map((p) => ({ p, depth: 0 })),
    ];
    // Asked all at once (the answers are compared one by one below): the node answers them in one go.
    const answers = await Promise.all(
      asked.map(({ p, depth }) =>
        f.supplyChain.verify(onChain(p.label), p.lot.tree.proof(p.label.serial), model.hops(p, depth)),
      ),
    );
    const records = await Promise.all(model.containers.map((c) => f.supplyChain.unit(c.key)));
    const packRecords = await Promise.all(model.packs.map((p) => f.supplyChain.unit(p.key)));
    // Only a unit with a record is sealed in a container: those that have one, or had one a hold made.
    const held = new Set(model.cases.flatMap((c) => ("unit" in c.subject ? [c.subject.unit] : [])));
    const units = this.units().filter((u) => u.record !== undefined || held.has(u));
    const sealedIn = await Promise.all(units.map((u) => f.supplyChain.sealedIn(u.key)));
    for (const [i, { p, depth }] of asked.entries()) {
      const v = answers[i] as (typeof answers)[number];
      const m = model.answer(p, depth);
      const path = model.standing(p, depth).path.map((c) => c.name);
      expect(
        {
          genuine: v.genuine,
          custodyProven: v.custodyProven,
          owner: this.nameOf(v.owner),
          inTransit: v.inTransit,
          quarantined: v.quarantined,
          illegitimate: v.illegitimate,
          dispensed: v.dispensed,
          saleable: v.saleable,
          packStatus: UnitStatus[Number(v.packStatus)],
          lotStatus: Number(v.lotStatus),
        },
        `verify(${p.name}) through [${path.join(", ")}] after ${after}`,
      ).to.deep.equal({
        genuine: true,
        custodyProven: m.custodyProven,
        owner: this.nameOf(m.owner),
        inTransit: m.inTransit,
        quarantined: m.quarantined,
        illegitimate: m.illegitimate,
        dispensed: m.dispensed,
        saleable: m.saleable,
        packStatus: UnitStatus[m.packStatus],
        lotStatus: m.lotStatus,
      });
    }
    for (const [i, p] of model.packs.entries()) {
      const u = packRecords[i] as (typeof packRecords)[number];
      expect(this.readable(u), `unit(${p.name}) after ${after}`).to.deep.equal(this.readable(p.record ?? NO_RECORD));
    }
    for (const [i, c] of model.containers.entries()) {
      const u = records[i] as (typeof records)[number];
      expect(this.readable(u), `unit(${c.name}) after ${after}`).to.deep.equal(this.readable(c.record ?? NO_RECORD));
    }
    for (const [i, u] of units.entries()) {
      expect(this.keyName(sealedIn[i] as string), `sealedIn(${u.name}) after ${after}`).to.equal(
        this.keyName(model.sealedInKey(u)),
      );
    }
    const investigations = await Promise.all(model.cases.map((c) => f.productSafety.investigation(c.id)));
    for (const [i, c] of model.cases.entries()) {
      const onChainCase = investigations[i] as (typeof investigations)[number];
      expect(CaseStatus[Number(onChainCase.status)], `case ${c.id} after ${after}`).to.equal(CaseStatus[c.status]);
    }
    expect(await f.productSafety.caseCount(), `caseCount after ${after}`).to.equal(BigInt(model.cases.length));
    this.tallyStates();
  }

  /** Counts, once per run, the states the sealing rules are about, so that SUPPLY_MODEL_STATS shows they are reached. */
  tallyStates(): void {
    const { model } = this;
    const states = new Set<string>();
    for (const u of this.units()) {
      const status = u.record?.status;
      if (u.parent === undefined || status === undefined) continue;
      const loose = u.parent.record?.status === UnitStatus.Unpacked ? " loose in an unpacked container" : "";
      const kind = u.kind === "pack" ? "pack" : u.name.startsWith("virtual") ? "virtual case" : "case";
      states.add(`state: ${kind} ${UnitStatus[status]} in a container${loose}`);
      if (status === UnitStatus.Sealed && u.parent.record?.holds)
        states.add("state: Sealed in a container holding a case");
    }
    for (const c of model.cases) {
      if (!("unit" in c.subject) || c.prior !== UnitStatus.Sealed) continue;
      states.add(`state: a sealed unit's case ${CaseStatus[c.status]}`);
    }
    for (const c of model.containers) {
      if (c.record?.status === UnitStatus.Unpacked && model.sealedUnits(c).length > 0) {
        states.add("state: units left sealed in an unpacked container");
      }
    }
    for (const state of states) this.seen.add(state);
  }

  /** The states this run reached (see `tallyStates`). */
  readonly seen = new Set<string>();

  /** A record's partner field: a partner, or the lot a lone pack belongs to. */
  fieldName(value: bigint): string {
    if (this.cast.some((m) => m.id === value) || value === 0n) return this.nameOf(value);
    const lot = this.model.lots.find((l) => tag(l.key) === value);
    return lot === undefined ? `#${value}` : `lot ${lot.tree.lot}`;
  }

  readable(r: {
    owner: bigint;
    packer: bigint;
    from: bigint;
    status: bigint | number;
    holds: bigint | number;
    since: bigint;
  }): object {
    return {
      owner: this.nameOf(r.owner),
      packer: this.fieldName(r.packer),
      from: this.fieldName(r.from),
      status: UnitStatus[Number(r.status)],
      holds: Number(r.holds),
      since: r.since,
    };
  }
}

function describeStep(s: Step): string {
  return JSON.stringify(s);
}

// ---------------------------------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------------------------------

describe("SupplyChain", function () {
  describe("custody and status (model-based)", function () {
    it("agrees with an independent model after every random commission, pack, shipment, dispense, quarantine and recall", async function () {
      // The runs take about a minute; a failure's shrinking replays many more, so the timeout leaves it room.
      this.timeout(600_000);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 4, max: 12 }),
          fc.array(step, { minLength: MIN_STEPS, maxLength: MAX_STEPS, size: "max" }),
          async (firstLot, steps) => {
            const f = await loadFixture(supplyChainFixture);
            const run = new Run(f);
            run.clock.now = BigInt(await time.latest());
            await run.commission(firstLot);
            await run.check("the first commission");
            for (const s of steps) {
              await run.step(s);
              await run.check(describeStep(s));
            }
            for (const state of run.seen) STATS.set(state, (STATS.get(state) ?? 0) + 1);
          },
        ),
        { ...RUNS, ...replay() },
      );
      if (process.env.SUPPLY_MODEL_STATS === "1") {
        for (const [tally, count] of [...STATS].sort()) console.log(`${String(count).padStart(6)}  ${tally}`);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Fixed examples: what the model found, and the sealing rules it relies on
// ---------------------------------------------------------------------------------------------------------------------

/** The manufacturer's lot of four packs, a virtual case of the first two on a pallet packed on chain, and the path of
 * the first pack through them. */
async function palletWithVirtualCase() {
  const f = await loadFixture(supplyChainFixture);
  const { supplyChain, manufacturer } = f;
  const lot = new LotTree(GTIN, "BUG1", EXPIRY, serials(4, "BUG1-"));
  await supplyChain.connect(manufacturer.key).commissionLot(GTIN, bytes20("BUG1"), EXPIRY, lot.root, 4, hashOf("c"));
  const [a, b] = lot.labels as [(typeof lot.labels)[0], (typeof lot.labels)[0]];
  const virtualCase = new ContainerTree(sscc(901), [a, b], [lot.key], manufacturer.id);
  const pallet = new ContainerTree(sscc(902), [virtualCase], [lot.key], manufacturer.id);
  await supplyChain
    .connect(manufacturer.key)
    .pack(pallet.sscc, pallet.root, 1, pallet.lotKeys, [], hashOf("pack pallet"));
  return { ...f, lot, a, b, virtualCase, pallet, packPath: [virtualCase.hop(a), pallet.hop(virtualCase)] };
}

/** The manufacturer's lot of four packs, the first two shipped alone to the distributor and received. */
async function distributorsPacks() {
  const f = await loadFixture(supplyChainFixture);
  const { supplyChain, manufacturer, distributor } = f;
  const lot = new LotTree(GTIN, "SEAL", EXPIRY, serials(4, "SEAL-"));
  await supplyChain.connect(manufacturer.key).commissionLot(GTIN, bytes20("SEAL"), EXPIRY, lot.root, 4, hashOf("c"));
  const [a, b] = lot.labels as [(typeof lot.labels)[0], (typeof lot.labels)[0]];
  for (const p of [a, b]) {
    await supplyChain
      .connect(manufacturer.key)
      .shipPack(onChain(p), lot.proof(p.serial), [], distributor.id, hashOf(`t ${p.serial}`), hashOf(`s ${p.serial}`));
    await supplyChain.connect(distributor.key).receivePack(onChain(p), hashOf(`r ${p.serial}`));
  }
  return { ...f, lot, a, b, aKey: serialKey(GTIN, a.serial) };
}

describe("ProductSafety", function () {
  describe("decide", function () {
    // Clearing the case of a container whose record the hold created (committed to by its pallet's tree only) keeps
    // that record while another case's hold rests on it (found by the model-based property above).
    it("keeps a virtual container's holds and clears a pack inside it when the container's own case was cleared first", async function () {
      const { productSafety, supplyChain, manufacturer, regulator, lot, a, virtualCase, pallet, packPath } =
        await palletWithVirtualCase();
      const ps = productSafety.connect(manufacturer.key);
      await ps.quarantineContainer(
        virtualCase.sscc,
        virtualCase.packer,
        virtualCase.root,
        virtualCase.lotsHash,
        [pallet.hop(virtualCase)],
        4,
        hashOf("e1"),
      );
      await ps.quarantinePack(onChain(a), lot.proof(a.serial), packPath, 4, hashOf("e2"));
      expect((await supplyChain.unit(virtualCase.key)).holds).to.equal(1n);
      await productSafety.connect(regulator.key).decide(1n, false, hashOf("clear the case"));
      // The record the hold created stays, sealed in the pallet, while the pack's case rests on it.
      const kept = await supplyChain.unit(virtualCase.key);
      expect([kept.status, kept.holds, kept.since]).to.deep.equal([BigInt(UnitStatus.Sealed), 1n, 0n]);
      expect(await supplyChain.sealedIn(virtualCase.key)).to.equal(pallet.key);
      await expect(
        supplyChain.containerCustody(virtualCase.sscc, virtualCase.packer, virtualCase.root, virtualCase.lotsHash, []),
        "alone, the case proves nothing: it is sealed in the pallet",
      )
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(virtualCase.key, ZeroHash);
      await expect(productSafety.connect(regulator.key).decide(2n, false, hashOf("clear the pack"))).not.to.be.reverted;
      expect((await supplyChain.unit(pallet.key)).holds).to.equal(0n);
      expect((await supplyChain.unit(virtualCase.key)).holds).to.equal(0n);
      const seen = await supplyChain.verify(onChain(a), lot.proof(a.serial), packPath);
      expect([seen.custodyProven, seen.owner, seen.saleable]).to.deep.equal([true, manufacturer.id, true]);
    });
  });
});

describe("SupplyChain", function () {
  describe("shipContainer", function () {
    // A quarantined pack is only in the containers that hold it (those on its path when the case opened): it cannot
    // be sealed in a new container, and a container packed around it without sealing it does not carry it on the
    // chain's books, so shipping that container moves nothing under investigation, and the pack stays its holder's,
    // quarantined (found by the model-based property above).
    it("does not count a quarantined pack inside a container packed around it afterwards", async function () {
      const f = await loadFixture(supplyChainFixture);
      const { supplyChain, productSafety, manufacturer, distributor } = f;
      const lot = new LotTree(GTIN, "BUG2", EXPIRY, serials(4, "BUG2-"));
      const sc = supplyChain.connect(manufacturer.key);
      await sc.commissionLot(GTIN, bytes20("BUG2"), EXPIRY, lot.root, 4, hashOf("c"));
      const [a, b] = lot.labels as [(typeof lot.labels)[0], (typeof lot.labels)[0]];
      await productSafety.connect(manufacturer.key).quarantinePack(onChain(a), lot.proof(a.serial), [], 4, hashOf("q"));
      const box = new ContainerTree(sscc(903), [a, b], [lot.key], manufacturer.id);
      const aKey = serialKey(GTIN, a.serial);
      await expect(sc.pack(box.sscc, box.root, 2, box.lotKeys, [aKey], hashOf("seal")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyInvalidTransition")
        .withArgs(aKey, UnitStatus.Quarantined, UnitStatus.Sealed);
      await sc.pack(box.sscc, box.root, 2, box.lotKeys, [], hashOf("pack"));
      const seen = await supplyChain.verify(onChain(a), lot.proof(a.serial), [box.hop(a)]);
      expect([seen.custodyProven, seen.quarantined, seen.saleable]).to.deep.equal([false, true, false]);
      await sc.shipContainer(box.sscc, box.packer, box.root, box.lotKeys, [], distributor.id, hashOf("t"), hashOf("s"));
      await supplyChain
        .connect(distributor.key)
        .receiveContainer(box.sscc, box.packer, box.root, box.lotKeys, hashOf("r"));
      // The box's other pack went with it; the quarantined one is still the manufacturer's on the chain's books.
      const other = await supplyChain.verify(onChain(b), lot.proof(b.serial), [box.hop(b)]);
      expect([other.custodyProven, other.owner]).to.deep.equal([true, distributor.id]);
      const held = await supplyChain.verify(onChain(a), lot.proof(a.serial), []);
      expect([held.custodyProven, held.owner, held.quarantined]).to.deep.equal([true, manufacturer.id, true]);
    });
  });

  describe("shipPack", function () {
    // The double sale the sealing prevents: a pack with a record of its own, sealed in a case its owner sold, cannot
    // be sold again alone until the case's buyer unpacks the case and releases it.
    it("refuses to ship alone a pack sealed in a case sold to another, until the buyer releases it", async function () {
      const { supplyChain, distributor, pharmacy, otherPharmacy, lot, a, aKey } = await distributorsPacks();
      const sc = supplyChain.connect(distributor.key);
      const box = new ContainerTree(sscc(904), [a], [lot.key], distributor.id);
      await expect(sc.pack(box.sscc, box.root, 1, box.lotKeys, [aKey], hashOf("pack")))
        .to.emit(supplyChain, "UnitSealed")
        .withArgs(aKey, box.key, distributor.id);
      await sc.shipContainer(box.sscc, box.packer, box.root, box.lotKeys, [], pharmacy.id, hashOf("t"), hashOf("s"));
      const proof = lot.proof(a.serial);
      await expect(sc.shipPack(onChain(a), proof, [], otherPharmacy.id, hashOf("t2"), hashOf("s2")))
        .to.be.revertedWithCustomError(supplyChain, "SupplySealedIn")
        .withArgs(aKey, ZeroHash);
      const alone = await supplyChain.verify(onChain(a), proof, []);
      expect([alone.custodyProven, alone.owner, alone.saleable]).to.deep.equal([false, 0n, false]);
      const asBuyer = supplyChain.connect(pharmacy.key);
      await asBuyer.receiveContainer(box.sscc, box.packer, box.root, box.lotKeys, hashOf("r"));
      await expect(asBuyer.unpack(box.sscc, box.packer, box.root, box.lotsHash, [], [aKey], hashOf("u")))
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(aKey, box.key, pharmacy.id);
      const released = await supplyChain.unit(aKey);
      expect([released.owner, released.from, released.status]).to.deep.equal([
        pharmacy.id,
        distributor.id,
        BigInt(UnitStatus.Active),
      ]);
      expect(await supplyChain.sealedIn(aKey)).to.equal(ZeroHash);
      const seen = await supplyChain.verify(onChain(a), proof, []);
      expect([seen.custodyProven, seen.owner, seen.saleable]).to.deep.equal([true, pharmacy.id, true]);
    });

    // A unit with a record is sealed only in a container with a record of its own: put under a virtual case, it is
    // not in the pallet on the chain's books (the random actions stay clear of this).
    it("does not count a pack with a record inside a virtual case on a pallet", async function () {
      const { supplyChain, distributor, pharmacy, lot, a, b } = await distributorsPacks();
      const virtualCase = new ContainerTree(sscc(905), [a, b], [lot.key], distributor.id);
      const pallet = new ContainerTree(sscc(906), [virtualCase], [lot.key], distributor.id);
      const sc = supplyChain.connect(distributor.key);
      await sc.pack(pallet.sscc, pallet.root, 1, pallet.lotKeys, [], hashOf("pack"));
      const path = [virtualCase.hop(a), pallet.hop(virtualCase)];
      const proof = lot.proof(a.serial);
      expect((await supplyChain.verify(onChain(a), proof, path)).custodyProven).to.equal(false);
      await expect(sc.shipPack(onChain(a), proof, path, pharmacy.id, hashOf("t"), hashOf("s")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyBrokenCustody")
        .withArgs(virtualCase.key);
      const alone = await supplyChain.verify(onChain(a), proof, []);
      expect([alone.custodyProven, alone.owner]).to.deep.equal([true, distributor.id]);
    });
  });

  describe("unpack", function () {
    // A unit under investigation inside a container is held there: unpacking the container does not release it, and
    // once its case is cleared it is sealed there again, to be released by a second unpack.
    it("releases a pack quarantined in the case only once its case is cleared", async function () {
      const { supplyChain, productSafety, distributor, regulator, lot, a, aKey } = await distributorsPacks();
      const sc = supplyChain.connect(distributor.key);
      const box = new ContainerTree(sscc(907), [a], [lot.key], distributor.id);
      await sc.pack(box.sscc, box.root, 1, box.lotKeys, [aKey], hashOf("pack"));
      await productSafety
        .connect(distributor.key)
        .quarantinePack(onChain(a), lot.proof(a.serial), [box.hop(a)], 4, hashOf("q"));
      await expect(sc.unpack(box.sscc, box.packer, box.root, box.lotsHash, [], [aKey], hashOf("u1")))
        .to.be.revertedWithCustomError(supplyChain, "SupplyUnitBlocked")
        .withArgs(aKey, UnitStatus.Quarantined, 0);
      await sc.unpack(box.sscc, box.packer, box.root, box.lotsHash, [], [], hashOf("u2"));
      await productSafety.connect(regulator.key).decide(1n, false, hashOf("clear"));
      expect((await supplyChain.unit(aKey)).status).to.equal(BigInt(UnitStatus.Sealed));
      await expect(sc.unpack(box.sscc, box.packer, box.root, box.lotsHash, [], [aKey], hashOf("u3")))
        .to.emit(supplyChain, "UnitReleased")
        .withArgs(aKey, box.key, distributor.id)
        .and.not.to.emit(supplyChain, "ContainerUnpacked");
      expect(await supplyChain.sealedIn(aKey)).to.equal(ZeroHash);
    });
  });

  describe("verify", function () {
    // `verify` reads the innermost held container on the path (`_custody` records the first blocked hop, as
    // Supply.sol documents): a pack in an illegitimate case on a pallet under investigation is reported illegitimate,
    // and not saleable.
    it("reports the innermost held container of a path: illegitimate over an outer investigation", async function () {
      const { productSafety, supplyChain, manufacturer, regulator, lot, a, virtualCase, pallet, packPath } =
        await palletWithVirtualCase();
      const ps = productSafety.connect(manufacturer.key);
      await ps.quarantineContainer(
        virtualCase.sscc,
        virtualCase.packer,
        virtualCase.root,
        virtualCase.lotsHash,
        [pallet.hop(virtualCase)],
        4,
        hashOf("e1"),
      );
      await productSafety.connect(regulator.key).decide(1n, true, hashOf("illegitimate"));
      await ps.quarantineContainer(pallet.sscc, pallet.packer, pallet.root, pallet.lotsHash, [], 4, hashOf("e2"));
      const seen = await supplyChain.verify(onChain(a), lot.proof(a.serial), packPath);
      expect([seen.custodyProven, seen.illegitimate, seen.quarantined, seen.saleable]).to.deep.equal([
        true,
        true,
        false,
        false,
      ]);
    });
  });
});
