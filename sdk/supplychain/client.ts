import type {
  BigNumberish,
  BytesLike,
  ContractRunner,
  ContractTransactionReceipt,
  ContractTransactionResponse,
  Log,
} from "ethers";

import {
  type ProductSafety,
  ProductSafety__factory,
  type SupplyChain,
  SupplyChain__factory,
} from "../../typechain-types";
import type { Deployment } from "../core/deployment";
import { enumMember } from "../core/enums";
import { withDecodedErrors } from "../core/errors";
import { latestBlockNumber, queryInRanges } from "../core/logs";
import { decodeEvent, mined, type Sent } from "../core/transactions";
import { EpcisDuplicateEvent } from "./epcis";
import {
  containerKey,
  expiryValue,
  gtinValue,
  lotKey,
  type Pack,
  packLeafValues,
  serialKey,
  ssccValue,
  textBytes20,
} from "./identifiers";
import { CaseStatus, CaseSubject, LotStatus, RecallClass, Recipient, SuspectReason, UnitStatus } from "./statuses";
import type { ContainerTree, CustodyStep, LotTree } from "./trees";

/** A container as the registry takes it: its SSCC, the root of its children's tree and the lots it names. */
export interface ContainerRef {
  sscc: string;
  /** The participant that committed to it (its packer, or the packer of the container whose tree holds it). */
  packer: bigint;
  childrenRoot: string;
  /** The lot keys it names, sorted ascending (a `ContainerTree`'s `lotKeys`). */
  lotKeys: string[];
  /** `lotsHash(lotKeys)`. */
  lotsHash: string;
}

/** A container tree, or what the registry needs of one. */
export type ContainerLike = ContainerRef | ContainerTree;

function ref(container: ContainerLike): ContainerRef {
  return "root" in container
    ? {
        sscc: container.sscc,
        packer: container.packer,
        childrenRoot: container.root,
        lotKeys: container.lotKeys,
        lotsHash: container.lotsHash,
      }
    : container;
}

/** The key of a container in the registry. */
export function keyOf(container: ContainerLike): string {
  const { sscc, packer, childrenRoot, lotsHash } = ref(container);
  return containerKey(sscc, packer, childrenRoot, lotsHash);
}

/** A commissioned lot, as `lot(gtin, lot)` reads it. */
export interface LotInfo {
  lotKey: string;
  manufacturer: bigint;
  status: LotStatus;
  recallClass: RecallClass;
  count: number;
  /** YYMMDD as printed. */
  expiry: string;
  /** The unix second from which its packs are expired. */
  expiresAt: bigint;
  commissionedAt: bigint;
  root: string;
}

/** A container's or a pack's record: owner, packer, supplier (while in transit: the buyer), status, holds, since. */
export interface UnitInfo {
  key: string;
  owner: bigint;
  packer: bigint;
  from: bigint;
  status: UnitStatus;
  holds: number;
  since: bigint;
  /** While in transit: the buyer (the record's `from`); undefined otherwise. */
  pendingBuyer?: bigint;
}

/** What the chain says of a scanned pack (`verify`). */
export interface Verification {
  genuine: boolean;
  expired: boolean;
  lotStatus: LotStatus;
  recallClass: RecallClass;
  packStatus: UnitStatus;
  quarantined: boolean;
  illegitimate: boolean;
  dispensed: boolean;
  custodyProven: boolean;
  inTransit: boolean;
  owner: bigint;
  manufacturer: bigint;
  saleable: boolean;
}

/** An investigation of suspect product. */
export interface CaseInfo {
  caseId: bigint;
  subject: string;
  subjectKind: CaseSubject;
  reason: SuspectReason;
  status: CaseStatus;
  investigator: bigint;
  supplier: bigint;
  customer: bigint;
  openedAt: bigint;
  determinedAt: bigint;
  regulatorNotifiedAt: bigint;
  supplierNotifiedAt: bigint;
  customerNotifiedAt: bigint;
  /** The containers that hold it, innermost first. */
  held: string[];
}

/** One event of the supply chain, decoded, with where it happened. */
export interface SupplyEvent {
  name: string;
  args: Record<string, unknown>;
  contract: "SupplyChain" | "ProductSafety";
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

/** Who holds what of a recalled lot now: the recall reach. */
export interface RecallReach {
  lotKey: string;
  /**
   * Containers naming the lot that have a record, with their owner and status: sealed ones, and unpacked ones, whose
   * owner still holds whatever of the lot is loose inside (children not yet moved on their own have no record, and
   * the chain cannot count them without enumerating, so an unpacked container's owner is listed as a holder).
   */
  containers: UnitInfo[];
  /** Packs of the lot with a record of their own (moved alone, quarantined, dispensed), when their serials are given. */
  packs: UnitInfo[];
  /** Every partner holding something of it, with how many containers and packs. */
  holders: { participant: bigint; containers: number; packs: number }[];
  /** How many of its packs were dispensed (from the `Dispensed` events naming the lot). */
  dispensed: number;
}

const ZERO = `0x${"00".repeat(32)}`;

/** The contract's `PackLabel` of a pack. */
export function labelOf(pack: Pack): { gtin: bigint; serial: string; lot: string; expiry: number } {
  const [gtin, serial, lot, expiry] = packLeafValues(pack);
  return { gtin, serial, lot, expiry };
}

/** A custody path as the contract's `Hop[]`. */
function hops(path: readonly CustodyStep[]): CustodyStep[] {
  return path.map((step) => ({ ...step, sscc: ssccValue(step.sscc).toString(), proof: [...step.proof] }));
}

/**
 * Typed client of the supply-chain registry and its product-safety contract. Writes wait for the receipt and rethrow
 * reverts as `CareLedgerError`; views return plain objects with the module's enums; event scans run from the
 * deployment's first block in chunked ranges.
 */
export class SupplyChainClient {
  constructor(
    readonly registry: SupplyChain,
    readonly safety: ProductSafety,
    readonly since = 0,
    /** The first topics of the contracts' logs up to a block, shared by the clients `as` derives: each block's logs
     * are read once for the EPCIS duplicate check, not at every write. */
    private readonly seen: { topics: Set<string>; scannedTo: number; hash?: string } = {
      topics: new Set(),
      scannedTo: since - 1,
    },
  ) {}

  static connect(
    runner: ContractRunner,
    deployment: Pick<Deployment, "supplyChain" | "productSafety" | "deployedAtBlock">,
  ): SupplyChainClient {
    return new SupplyChainClient(
      SupplyChain__factory.connect(deployment.supplyChain, runner),
      ProductSafety__factory.connect(deployment.productSafety, runner),
      deployment.deployedAtBlock ?? 0,
    );
  }

  /** The same contracts, acting through another runner (signer). */
  as(runner: ContractRunner): SupplyChainClient {
    return new SupplyChainClient(this.registry.connect(runner), this.safety.connect(runner), this.since, this.seen);
  }

  // ---- products, lots, containers --------------------------------------------------------------------------

  registerProduct(gtin: string): Promise<Sent> {
    return this.send(() => this.registry.registerProduct(gtinValue(gtin)));
  }

  /** Commissions the lot of `tree` (its root and count); refuses an EPCIS event hash anchored before. */
  async commissionLot(tree: LotTree, epcisHash: string): Promise<Sent & { lotKey: string }> {
    await this.refuseSeen(epcisHash);
    const receipt = await this.mine(() =>
      this.registry.commissionLot(
        gtinValue(tree.gtin),
        textBytes20(tree.lot, "lot"),
        expiryValue(tree.expiry),
        tree.root,
        tree.count,
        epcisHash,
      ),
    );
    return { receipt, lotKey: tree.lotKey };
  }

  /**
   * Packs `container` on chain (its children's root, count and lots) and seals in it `sealed`: by default its direct
   * children that have a record of their own ({@link SupplyChainClient.recordedChildren}), which then move only with
   * it, so that none can be sold twice. Its child containers without a record need no packing.
   */
  async pack(
    container: ContainerTree,
    epcisHash: string,
    sealed?: readonly string[],
  ): Promise<Sent & { key: string; sealed: string[] }> {
    await this.refuseSeen(epcisHash);
    const units = [...(sealed ?? (await this.recordedChildren(container)))];
    const receipt = await this.mine(() =>
      this.registry.pack(
        ssccValue(container.sscc),
        container.root,
        container.children.length,
        container.lotKeys,
        units,
        epcisHash,
      ),
    );
    return { receipt, key: container.key, sealed: units };
  }

  /**
   * Unpacks `container`, held through `path` (empty when it has a record and is on its own), and releases `released`:
   * by default every unit still sealed in it ({@link SupplyChainClient.sealedUnits}), which then has the caller as
   * owner.
   */
  async unpack(
    container: ContainerLike,
    epcisHash: string,
    path: readonly CustodyStep[] = [],
    released?: readonly string[],
  ): Promise<Sent & { released: string[] }> {
    await this.refuseSeen(epcisHash);
    const { sscc, packer, childrenRoot, lotsHash } = ref(container);
    const units = [...(released ?? (await this.sealedUnits(keyOf(container))))];
    const receipt = await this.mine(() =>
      this.registry.unpack(ssccValue(sscc), packer, childrenRoot, lotsHash, hops(path), units, epcisHash),
    );
    return { receipt, released: units };
  }

  /**
   * The keys of `container`'s direct children that have a record of their own (packs that moved alone, containers
   * packed on chain or released): the units packing it must seal. Read from the registry, 200 at a time.
   */
  async recordedChildren(container: ContainerTree): Promise<string[]> {
    const keys = container.children.map((child) =>
      "pack" in child ? serialKey(child.pack.gtin, child.pack.serial) : child.container.key,
    );
    const recorded: string[] = [];
    for (let i = 0; i < keys.length; i += 200) {
      const batch = keys.slice(i, i + 200);
      const records = await Promise.all(batch.map((key) => this.unit(key)));
      for (const record of records) if (record.status !== UnitStatus.None) recorded.push(record.key);
    }
    return recorded;
  }

  /**
   * The units sealed in the container `key` that are still sealed there (not under investigation), from its
   * `UnitSealed` events checked against the registry: the units `unpack` releases by default.
   */
  async sealedUnits(key: string): Promise<string[]> {
    const topic = this.registry.interface.getEvent("UnitSealed").topicHash;
    const logs = await this.logs([topic, null, key.toLowerCase()]);
    const units = [...new Set(logs.map((log) => log.topics[1]!))];
    const still = await Promise.all(
      units.map(
        async (unit) =>
          (await this.containerOf(unit)) === key.toLowerCase() && (await this.unit(unit)).status === UnitStatus.Sealed,
      ),
    );
    return units.filter((_, i) => still[i]);
  }

  /** The container a unit with a record is sealed (or held) in, by its key; undefined if none. */
  async containerOf(unitKey: string): Promise<string | undefined> {
    const container = (await this.registry.sealedIn(unitKey)).toLowerCase();
    return BigInt(container) === 0n ? undefined : container;
  }

  // ---- custody ---------------------------------------------------------------------------------------------

  /**
   * Ships `container` to `buyer`; `transaction` commits to the DSCSA transaction information and statement that travel
   * with it off chain, `path` proves it out of an unpacked container (empty when it is on its own).
   */
  async shipContainer(
    container: ContainerLike,
    buyer: BigNumberish,
    transaction: string,
    epcisHash: string,
    path: readonly CustodyStep[] = [],
  ): Promise<Sent & { key: string }> {
    await this.refuseSeen(epcisHash);
    const { sscc, packer, childrenRoot, lotKeys } = ref(container);
    const receipt = await this.mine(() =>
      this.registry.shipContainer(
        ssccValue(sscc),
        packer,
        childrenRoot,
        lotKeys,
        hops(path),
        buyer,
        transaction,
        epcisHash,
      ),
    );
    return { receipt, key: keyOf(container) };
  }

  async receiveContainer(container: ContainerLike, epcisHash: string): Promise<Sent> {
    await this.refuseSeen(epcisHash);
    const { sscc, packer, childrenRoot, lotKeys } = ref(container);
    return this.send(() => this.registry.receiveContainer(ssccValue(sscc), packer, childrenRoot, lotKeys, epcisHash));
  }

  async shipPack(
    pack: Pack,
    lotProof: readonly string[],
    path: readonly CustodyStep[],
    buyer: BigNumberish,
    transaction: string,
    epcisHash: string,
  ): Promise<Sent> {
    await this.refuseSeen(epcisHash);
    return this.send(() =>
      this.registry.shipPack(labelOf(pack), [...lotProof], hops(path), buyer, transaction, epcisHash),
    );
  }

  async receivePack(pack: Pack, epcisHash: string): Promise<Sent> {
    await this.refuseSeen(epcisHash);
    return this.send(() => this.registry.receivePack(labelOf(pack), epcisHash));
  }

  /** Calls back (seller) or refuses (buyer) the shipment of a unit (a container's key or a pack's serial key). */
  cancelShipment(unitKey: string): Promise<Sent> {
    return this.send(() => this.registry.cancelShipment(unitKey));
  }

  // ---- dispensing and verification -------------------------------------------------------------------------

  /**
   * Decommissions a pack as dispensed. `lotProof` may be empty for a pack that never moved alone, proven through a
   * container its manufacturer packed. A clone (the serial was decommissioned before) does not throw: `dispensed` is
   * false and `caseId` the investigation the registry opened.
   */
  async dispense(
    pack: Pack,
    lotProof: readonly string[],
    path: readonly CustodyStep[],
    epcisHash: string,
  ): Promise<Sent & { dispensed: boolean; caseId: bigint }> {
    await this.refuseSeen(epcisHash);
    const receipt = await this.mine(() => this.registry.dispense(labelOf(pack), [...lotProof], hops(path), epcisHash));
    const clone = this.firstEvent(receipt, "DuplicateSerial");
    return clone === undefined
      ? { receipt, dispensed: true, caseId: 0n }
      : { receipt, dispensed: false, caseId: clone.caseId as bigint };
  }

  async undoDispense(pack: Pack, epcisHash: string): Promise<Sent> {
    await this.refuseSeen(epcisHash);
    return this.send(() => this.registry.undoDispense(labelOf(pack), epcisHash));
  }

  /** What the chain says of a scanned pack and its custody path; never throws on a bad proof. */
  async verify(pack: Pack, lotProof: readonly string[], path: readonly CustodyStep[] = []): Promise<Verification> {
    const v = await withDecodedErrors(() => this.registry.verify(labelOf(pack), [...lotProof], hops(path)));
    return {
      genuine: v.genuine,
      expired: v.expired,
      lotStatus: enumMember(LotStatus, "LotStatus", v.lotStatus),
      recallClass: enumMember(RecallClass, "RecallClass", v.recallClass),
      packStatus: enumMember(UnitStatus, "UnitStatus", v.packStatus),
      quarantined: v.quarantined,
      illegitimate: v.illegitimate,
      dispensed: v.dispensed,
      custodyProven: v.custodyProven,
      inTransit: v.inTransit,
      owner: v.owner,
      manufacturer: v.manufacturer,
      saleable: v.saleable,
    };
  }

  /** Records a verification (the record DSCSA asks partners to keep); `request` commits to the off-chain request. */
  recordVerification(
    pack: Pack,
    lotProof: readonly string[],
    path: readonly CustodyStep[],
    request: BytesLike,
  ): Promise<Sent> {
    return this.send(() => this.registry.recordVerification(labelOf(pack), [...lotProof], hops(path), request));
  }

  // ---- suspect product, investigations, recalls ------------------------------------------------------------

  async quarantineLot(
    gtin: string,
    lot: string,
    reason: SuspectReason,
    evidence: BytesLike = ZERO,
  ): Promise<Sent & { caseId: bigint }> {
    const receipt = await this.mine(() =>
      this.safety.quarantineLot(gtinValue(gtin), textBytes20(lot, "lot"), reason, evidence),
    );
    return { receipt, caseId: this.caseOf(receipt) };
  }

  async quarantineContainer(
    container: ContainerLike,
    path: readonly CustodyStep[],
    reason: SuspectReason,
    evidence: BytesLike = ZERO,
  ): Promise<Sent & { caseId: bigint }> {
    const { sscc, packer, childrenRoot, lotsHash } = ref(container);
    const receipt = await this.mine(() =>
      this.safety.quarantineContainer(ssccValue(sscc), packer, childrenRoot, lotsHash, hops(path), reason, evidence),
    );
    return { receipt, caseId: this.caseOf(receipt) };
  }

  async quarantinePack(
    pack: Pack,
    lotProof: readonly string[],
    path: readonly CustodyStep[],
    reason: SuspectReason,
    evidence: BytesLike = ZERO,
  ): Promise<Sent & { caseId: bigint }> {
    const receipt = await this.mine(() =>
      this.safety.quarantinePack(labelOf(pack), [...lotProof], hops(path), reason, evidence),
    );
    return { receipt, caseId: this.caseOf(receipt) };
  }

  /** Ends an open investigation: illegitimate, or cleared back to commerce. */
  decide(caseId: BigNumberish, illegitimate: boolean, evidence: BytesLike = ZERO): Promise<Sent> {
    return this.send(() => this.safety.decide(caseId, illegitimate, evidence));
  }

  /** Records a notification of an illegitimate-product determination; `notice` commits to it (FDA Form 3911). */
  notify(caseId: BigNumberish, recipient: Recipient, notice: BytesLike): Promise<Sent> {
    return this.send(() => this.safety.notify(caseId, recipient, notice));
  }

  closeCase(caseId: BigNumberish, evidence: BytesLike = ZERO): Promise<Sent> {
    return this.send(() => this.safety.closeCase(caseId, evidence));
  }

  recall(gtin: string, lot: string, recallClass: RecallClass, notice: BytesLike): Promise<Sent> {
    return this.send(() => this.safety.recall(gtinValue(gtin), textBytes20(lot, "lot"), recallClass, notice));
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  async manufacturerOf(gtin: string): Promise<bigint> {
    return this.registry.manufacturerOf(gtinValue(gtin));
  }

  async lot(gtin: string, lot: string): Promise<LotInfo> {
    return this.lotByKey(lotKey(gtin, lot));
  }

  async lotByKey(key: string): Promise<LotInfo> {
    const l = await this.registry.lotByKey(key);
    return {
      lotKey: key,
      manufacturer: l.manufacturer,
      status: enumMember(LotStatus, "LotStatus", l.status),
      recallClass: enumMember(RecallClass, "RecallClass", l.recallClass),
      count: Number(l.count),
      expiry: l.expiry === 0n ? "" : l.expiry.toString().padStart(6, "0"),
      expiresAt: l.expiresAt,
      commissionedAt: l.commissionedAt,
      root: l.root,
    };
  }

  /** The record of a container (its key) or of a pack (its serial key); status None if it has none. */
  async unit(key: string): Promise<UnitInfo> {
    const u = await this.registry.unit(key);
    const status = enumMember(UnitStatus, "UnitStatus", u.status);
    return {
      key,
      owner: u.owner,
      packer: u.packer,
      from: u.from,
      status,
      holds: Number(u.holds),
      since: u.since,
      ...(status === UnitStatus.InTransit ? { pendingBuyer: u.from } : {}),
    };
  }

  /** The record of a pack, by its label. */
  packRecord(pack: Pack): Promise<UnitInfo> {
    return this.unit(serialKey(pack.gtin, pack.serial));
  }

  async investigation(caseId: BigNumberish): Promise<CaseInfo> {
    const c = await this.safety.investigation(caseId);
    return {
      caseId: BigInt(caseId),
      subject: c.subject,
      subjectKind: enumMember(CaseSubject, "CaseSubject", c.subjectKind),
      reason: enumMember(SuspectReason, "SuspectReason", c.reason),
      status: enumMember(CaseStatus, "CaseStatus", c.status),
      investigator: c.investigator,
      supplier: c.supplier,
      customer: c.customer,
      openedAt: c.openedAt,
      determinedAt: c.determinedAt,
      regulatorNotifiedAt: c.regulatorNotifiedAt,
      supplierNotifiedAt: c.supplierNotifiedAt,
      customerNotifiedAt: c.customerNotifiedAt,
      held: c.path.filter((key) => key !== ZERO),
    };
  }

  /** The illegitimate-product cases not yet closed, each with its overdue notifications (24 hours after). */
  async openIllegitimateCases(): Promise<{ caseId: bigint; overdue: Recipient[] }[]> {
    const ids = await this.safety.openIllegitimateCases();
    return Promise.all(
      ids.map(async (caseId) => {
        const [regulator, supplier, customer] = await this.safety.overdueNotifications(caseId);
        const overdue = [
          ...(regulator ? [Recipient.Regulator] : []),
          ...(supplier ? [Recipient.Supplier] : []),
          ...(customer ? [Recipient.Customer] : []),
        ];
        return { caseId, overdue };
      }),
    );
  }

  // ---- events: duplicates, history, recall reach ------------------------------------------------------------

  /**
   * Whether an EPCIS event hash was anchored before (every supply-chain event with one carries it as topic 1). Reads
   * only the blocks not read before (from the deployment's on the first call); if the last block read is no longer on
   * the chain (a reorganization, a restarted node, a reverted snapshot), everything is read again.
   */
  async eventHashSeen(epcisHash: string): Promise<boolean> {
    const provider = this.registry.runner?.provider;
    if (provider === null || provider === undefined) throw new Error("reading events needs a runner with a provider");
    const seen = this.seen;
    if (seen.hash !== undefined && (await provider.getBlock(seen.scannedTo))?.hash !== seen.hash) {
      seen.topics.clear();
      seen.scannedTo = this.since - 1;
      seen.hash = undefined;
    }
    const last = await provider.getBlock("latest");
    if (last === null || last.hash === null) throw new Error("the node returned no latest block");
    if (last.number > seen.scannedTo) {
      const logs = await this.logs([], seen.scannedTo + 1, last.number);
      for (const log of logs) if (log.topics[1] !== undefined) seen.topics.add(log.topics[1].toLowerCase());
      seen.scannedTo = last.number;
      seen.hash = last.hash;
    }
    return seen.topics.has(epcisHash.toLowerCase());
  }

  /**
   * Refuses an EPCIS event hash anchored before, as EPCIS capture answers 409: the same event must not be recorded
   * twice. Throws `EpcisDuplicateEvent`.
   */
  async refuseSeen(epcisHash: string): Promise<void> {
    if (await this.eventHashSeen(epcisHash)) {
      // The error's `eventHash` is the hash itself (its message says "event <hash> was already captured").
      throw new EpcisDuplicateEvent(epcisHash);
    }
  }

  /**
   * The history of a unit (a container's key or a pack's serial key), or of a lot (its key): every event of both
   * contracts naming it, in chain order.
   */
  async history(key: string): Promise<SupplyEvent[]> {
    const all = await this.events();
    const wanted = key.toLowerCase();
    return all.filter((event) =>
      Object.values(event.args).some(
        (value) =>
          (typeof value === "string" && value.toLowerCase() === wanted) ||
          (Array.isArray(value) && value.some((item) => typeof item === "string" && item.toLowerCase() === wanted)),
      ),
    );
  }

  /** Every event of both contracts since the deployment, decoded, in chain order. */
  async events(): Promise<SupplyEvent[]> {
    const logs = await this.logs([]);
    const decoded: SupplyEvent[] = [];
    const registryAddress = (await this.registry.getAddress()).toLowerCase();
    for (const log of logs) {
      const own = log.address.toLowerCase() === registryAddress;
      const event = decodeEvent(own ? this.registry.interface : this.safety.interface, log);
      if (event === null) continue;
      const args = event.args.toObject();
      decoded.push({
        name: event.name,
        args,
        contract: own ? "SupplyChain" : "ProductSafety",
        blockNumber: log.blockNumber,
        logIndex: log.index,
        transactionHash: log.transactionHash,
      });
    }
    return decoded;
  }

  /**
   * Who holds a lot now: every container with a record that names the lot (packed on chain naming it, or released
   * from one that did), with its owner — an unpacked one too, since the cases loose in it are its owner's; with
   * `serials`, the packs of the lot that have records.
   * From the events and the current records, without enumerating anything on chain.
   */
  async recallReach(gtin: string, lot: string, serials: readonly string[] = []): Promise<RecallReach> {
    const key = lotKey(gtin, lot);
    const events = await this.events();
    const naming = new Set<string>();
    for (const event of events) {
      if (event.name === "ContainerPacked" && (event.args.lotKeys as string[]).includes(key)) {
        naming.add(String(event.args.key));
      }
    }
    // A container released from one naming the lot holds (part of) it too: its parent's lots include every lot inside.
    for (const event of events) {
      if (event.name === "UnitReleased" && naming.has(String(event.args.parent))) naming.add(String(event.args.unit));
    }
    // An unpacked container stays: what is loose in it (its virtual cases) is its owner's and has no record.
    const named = (await Promise.all([...naming].map((unit) => this.unit(unit)))).filter(
      (info) => info.status !== UnitStatus.None,
    );
    // A pack released from such a container is a pack, not a container: a container's record names its packer (a
    // participant), a pack's none, or its lot once it travelled alone.
    const tag = BigInt(key) & ((1n << 64n) - 1n);
    const isPack = (info: UnitInfo) => info.packer === 0n || info.packer === tag;
    const containers = named.filter((info) => !isPack(info));
    const byKey = new Map<string, UnitInfo>();
    for (const info of named.filter(isPack)) byKey.set(info.key, info);
    for (const info of await Promise.all(serials.map((serial) => this.unit(serialKey(gtin, serial))))) {
      byKey.set(info.key, info);
    }
    const packs = [...byKey.values()].filter(
      (info) => info.status !== UnitStatus.None && info.status !== UnitStatus.Dispensed,
    );
    const holders = new Map<bigint, { participant: bigint; containers: number; packs: number }>();
    const holder = (participant: bigint) => {
      let entry = holders.get(participant);
      if (entry === undefined) holders.set(participant, (entry = { participant, containers: 0, packs: 0 }));
      return entry;
    };
    // A unit sealed in a container is held with it: its record names who sealed it, not who holds it now.
    for (const info of containers) if (info.status !== UnitStatus.Sealed) holder(info.owner).containers++;
    // A pack quarantined while sealed in a container has a record dated 0 naming its manufacturer (what its custody
    // path expects), not its holder: it is held with its container, counted above. Only packs that moved alone count.
    for (const info of packs) if (info.since !== 0n && info.status !== UnitStatus.Sealed) holder(info.owner).packs++;
    const dispensed = events.filter((event) => event.name === "Dispensed" && event.args.lotKey === key).length;
    return { lotKey: key, containers, packs, holders: [...holders.values()], dispensed };
  }

  // ---- internals -------------------------------------------------------------------------------------------

  /** The logs of both contracts matching `topics`, from the deployment's first block (or `from`), in chunked ranges. */
  private async logs(topics: (string | null)[], from = this.since, to?: number): Promise<Log[]> {
    const provider = this.registry.runner?.provider;
    if (provider === null || provider === undefined) throw new Error("reading events needs a runner with a provider");
    const address = [await this.registry.getAddress(), await this.safety.getAddress()];
    const last = to ?? (await latestBlockNumber(this.registry.runner));
    const logs = await queryInRanges(
      (fromBlock, toBlock) => provider.getLogs({ address, topics, fromBlock, toBlock }),
      from,
      last,
    );
    return logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  }

  private firstEvent(receipt: ContractTransactionReceipt, name: string): Record<string, unknown> | undefined {
    for (const log of receipt.logs) {
      for (const contract of [this.registry, this.safety]) {
        const event = decodeEvent(contract.interface, log);
        if (event?.name === name) return event.args.toObject();
      }
    }
    return undefined;
  }

  private caseOf(receipt: ContractTransactionReceipt): bigint {
    const quarantined = this.firstEvent(receipt, "Quarantined");
    if (quarantined === undefined) throw new Error(`transaction ${receipt.hash} opened no case`);
    return quarantined.caseId as bigint;
  }

  private async send(call: () => Promise<ContractTransactionResponse>): Promise<Sent> {
    return { receipt: await this.mine(call) };
  }

  private mine(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return mined(call);
  }
}
