import { time } from "@nomicfoundation/hardhat-network-helpers";

import { SuspectReason } from "../../sdk/supplychain/statuses";
import type { ProductSafety, SupplyChain } from "../../typechain-types";
import { GTIN, type Partner, supplyChainFixture, type SupplyChainFixture } from "../fixtures/supplychain";
import {
  type Child,
  ContainerTree,
  EXPIRY,
  hashOf,
  type Hop,
  type Label,
  LotTree,
  onChain,
  serials,
  sscc,
} from "./helpers";

export {
  CaseStatus,
  CaseSubject,
  LotStatus,
  RecallClass,
  SuspectReason,
  UnitStatus,
} from "../../sdk/supplychain/statuses";

// The scenario the SupplyChain unit and attack tests share: two lots of the fixture's GTIN, three cases of them on a
// pallet the manufacturer packed on chain (the cases only committed to by the pallet's tree), and a case the
// manufacturer packed on chain on its own. Small on purpose: every test starts from a snapshot of it.

/** A unit's record (`unit(key)`) as plain values that chai compares deeply. */
export interface UnitRecord {
  owner: bigint;
  packer: bigint;
  from: bigint;
  /** A `UnitStatus`. */
  status: number;
  holds: number;
  since: bigint;
}

export async function readUnit(supplyChain: SupplyChain, key: string): Promise<UnitRecord> {
  const u = await supplyChain.unit(key);
  return {
    owner: u.owner,
    packer: u.packer,
    from: u.from,
    status: Number(u.status),
    holds: Number(u.holds),
    since: u.since,
  };
}

/** `verify`'s answer as plain values. */
export interface Verification {
  genuine: boolean;
  expired: boolean;
  lotStatus: number;
  recallClass: number;
  packStatus: number;
  quarantined: boolean;
  illegitimate: boolean;
  dispensed: boolean;
  custodyProven: boolean;
  inTransit: boolean;
  owner: bigint;
  manufacturer: bigint;
  saleable: boolean;
}

export async function verifyPack(
  supplyChain: SupplyChain,
  label: Label,
  lotProof: readonly string[],
  path: readonly Hop[] = [],
): Promise<Verification> {
  const v = await supplyChain.verify(onChain(label), [...lotProof], [...path]);
  return {
    genuine: v.genuine,
    expired: v.expired,
    lotStatus: Number(v.lotStatus),
    recallClass: Number(v.recallClass),
    packStatus: Number(v.packStatus),
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

/** A distinct EPCIS event hash per step name. */
export function epcis(step: string): string {
  return hashOf(`epcis:${step}`);
}

/** A distinct transaction-information commitment per shipment name. */
export function transaction(step: string): string {
  return hashOf(`ti+ts:${step}`);
}

/** The YYMMDD of the UTC date `unixSeconds` falls on. */
export function yymmdd(unixSeconds: bigint): number {
  const d = new Date(Number(unixSeconds) * 1000);
  return (d.getUTCFullYear() - 2000) * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * The unix second from which a pack printed `expiry` (YYMMDD) is expired, computed with JavaScript's calendar: 00:00
 * UTC of the day after the date, DD = 00 standing for the month's last day.
 */
export function expiresAtOf(expiry: number): bigint {
  const year = 2000 + Math.floor(expiry / 10_000);
  const month = Math.floor(expiry / 100) % 100;
  const day = expiry % 100;
  // Date.UTC(year, month, 0) is the last day of `month` (1-based): day 0 of the next month.
  const date = day === 0 ? Date.UTC(year, month, 0) : Date.UTC(year, month - 1, day);
  return BigInt(date / 1000 + 86_400);
}

export async function commission(supplyChain: SupplyChain, by: Partner, tree: LotTree): Promise<void> {
  await (
    await supplyChain
      .connect(by.key)
      .commissionLot(
        tree.gtin,
        onChain(tree.labels[0]!).lot,
        tree.expiry,
        tree.root,
        tree.labels.length,
        epcis(tree.lot),
      )
  ).wait();
}

/** Packs `tree` on chain as `by`, sealing in it `sealed` (its direct children that have a record of their own). */
export async function packOnChain(
  supplyChain: SupplyChain,
  by: Partner,
  tree: ContainerTree,
  sealed: readonly string[] = [],
): Promise<void> {
  await (
    await supplyChain
      .connect(by.key)
      .pack(
        tree.sscc,
        tree.root,
        tree.children.length,
        tree.lotKeys,
        [...sealed],
        epcis(`pack:${tree.sscc}:${tree.root}`),
      )
  ).wait();
}

export async function shipContainer(
  supplyChain: SupplyChain,
  seller: Partner,
  tree: ContainerTree,
  buyer: Partner,
  path: readonly Hop[] = [],
): Promise<void> {
  await (
    await supplyChain
      .connect(seller.key)
      .shipContainer(
        tree.sscc,
        tree.packer,
        tree.root,
        tree.lotKeys,
        [...path],
        buyer.id,
        transaction(`${tree.key}:${buyer.id}`),
        epcis(`ship:${tree.key}:${buyer.id}`),
      )
  ).wait();
}

export async function receiveContainer(supplyChain: SupplyChain, buyer: Partner, tree: ContainerTree): Promise<void> {
  await (
    await supplyChain
      .connect(buyer.key)
      .receiveContainer(tree.sscc, tree.packer, tree.root, tree.lotKeys, epcis(`receive:${tree.key}:${buyer.id}`))
  ).wait();
}

/** Ships `tree` from `seller` to `buyer`, who receives it. */
export async function sell(
  supplyChain: SupplyChain,
  seller: Partner,
  tree: ContainerTree,
  buyer: Partner,
  path: readonly Hop[] = [],
): Promise<void> {
  await shipContainer(supplyChain, seller, tree, buyer, path);
  await receiveContainer(supplyChain, buyer, tree);
}

export async function unpack(
  supplyChain: SupplyChain,
  owner: Partner,
  tree: ContainerTree,
  path: readonly Hop[] = [],
  released: readonly string[] = [],
): Promise<void> {
  await (
    await supplyChain
      .connect(owner.key)
      .unpack(tree.sscc, tree.packer, tree.root, tree.lotsHash, [...path], [...released], epcis(`unpack:${tree.key}`))
  ).wait();
}

/** Ships a pack on its own from `seller` to `buyer` (with its lot proof), who receives it. */
export async function sellPack(
  supplyChain: SupplyChain,
  seller: Partner,
  lot: LotTree,
  serial: string,
  buyer: Partner,
  path: readonly Hop[] = [],
): Promise<void> {
  const label = onChain(lot.label(serial));
  await (
    await supplyChain
      .connect(seller.key)
      .shipPack(
        label,
        lot.proof(serial),
        [...path],
        buyer.id,
        transaction(`${serial}:${buyer.id}`),
        epcis(`ship:${serial}:${buyer.id}`),
      )
  ).wait();
  await (await supplyChain.connect(buyer.key).receivePack(label, epcis(`receive:${serial}:${buyer.id}`))).wait();
}

export async function dispensePack(
  supplyChain: SupplyChain,
  dispenser: Partner,
  lot: LotTree,
  serial: string,
  path: readonly Hop[] = [],
  withProof = true,
): Promise<void> {
  await (
    await supplyChain
      .connect(dispenser.key)
      .dispense(onChain(lot.label(serial)), withProof ? lot.proof(serial) : [], [...path], epcis(`dispense:${serial}`))
  ).wait();
}

export async function recallLot(
  productSafety: ProductSafety,
  by: Partner,
  lot: LotTree,
  recallClass: number,
): Promise<void> {
  await (
    await productSafety.connect(by.key).recall(lot.gtin, onChain(lot.labels[0]!).lot, recallClass, hashOf("notice"))
  ).wait();
}

export async function quarantineLot(productSafety: ProductSafety, by: Partner, lot: LotTree): Promise<void> {
  await (
    await productSafety
      .connect(by.key)
      .quarantineLot(lot.gtin, onChain(lot.labels[0]!).lot, SuspectReason.SuspectedCounterfeit, hashOf("evidence"))
  ).wait();
}

/** Quarantines the container `tree`, held through `path`, as `by` (a holder, its supplier or a regulator). */
export async function quarantineCase(
  productSafety: ProductSafety,
  by: Partner,
  tree: ContainerTree,
  path: readonly Hop[] = [],
  reason: number = SuspectReason.Tampering,
): Promise<void> {
  await (
    await productSafety
      .connect(by.key)
      .quarantineContainer(tree.sscc, tree.packer, tree.root, tree.lotsHash, [...path], reason, hashOf("evidence"))
  ).wait();
}

/**
 * The supply-chain fixture plus the shared scenario, all by `manufacturer`:
 *
 * - `lotA` (16 packs `A000001`…) and `lotB` (8 packs `B000001`…) of `GTIN`, expiring `EXPIRY`, commissioned;
 * - `case1` (A1–A4), `case2` (A5–A8), `case3` (B1–B4): cases committed to only by `pallet`'s tree;
 * - `pallet` (SSCC 1) over the three cases, naming both lots, packed on chain;
 * - `looseCase` (SSCC 5, A9–A12), packed on chain on its own; A13–A16 and B5–B8 are loose in stock.
 */
export async function custodyScenario() {
  const f = await supplyChainFixture();
  const { supplyChain, manufacturer } = f;
  const lotA = new LotTree(GTIN, "LOT-A", EXPIRY, serials(16, "A"));
  const lotB = new LotTree(GTIN, "LOT-B", EXPIRY, serials(8, "B"));
  await commission(supplyChain, manufacturer, lotA);
  await commission(supplyChain, manufacturer, lotB);
  const packs = (lot: LotTree, from: number, to: number): Child[] => lot.labels.slice(from - 1, to);
  const case1 = new ContainerTree(sscc(2), packs(lotA, 1, 4), [lotA.key], manufacturer.id);
  const case2 = new ContainerTree(sscc(3), packs(lotA, 5, 8), [lotA.key], manufacturer.id);
  const case3 = new ContainerTree(sscc(4), packs(lotB, 1, 4), [lotB.key], manufacturer.id);
  const pallet = new ContainerTree(sscc(1), [case1, case2, case3], [lotA.key, lotB.key], manufacturer.id);
  const looseCase = new ContainerTree(sscc(5), packs(lotA, 9, 12), [lotA.key], manufacturer.id);
  await packOnChain(supplyChain, manufacturer, pallet);
  await packOnChain(supplyChain, manufacturer, looseCase);
  return { ...f, lotA, lotB, case1, case2, case3, pallet, looseCase };
}

export type CustodyScenario = Awaited<ReturnType<typeof custodyScenario>>;

/** A lot of `count` packs of `GTIN` expiring about `days` days from the chain's clock (for expiry tests). */
export async function soonExpiringLot(lotNumber: string, days: number, count = 4): Promise<LotTree> {
  const expiry = yymmdd(BigInt(await time.latest()) + BigInt(days * 86_400));
  return new LotTree(GTIN, lotNumber, expiry, serials(count, lotNumber.slice(0, 2)));
}

export type { SupplyChainFixture };
