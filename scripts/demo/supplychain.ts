import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther, type Signer, type Wallet } from "ethers";
import { ethers } from "hardhat";

import {
  buildContainer,
  buildLot,
  buildShipmentPackage,
  CaseStatus,
  commit,
  type ContainerTree,
  type CustodyStep,
  elementString,
  encodeEpc,
  epcisEventHash,
  eventHashBytes32,
  gs1CheckDigit,
  IdentityClient,
  LotStatus,
  type LotTree,
  type Pack,
  packDataMatrixPng,
  parseScan,
  ParticipantKind,
  RecallClass,
  Recipient,
  type Sent,
  shippedKey,
  SupplyChainClient,
  SuspectReason,
  UnitStatus,
  verifyShipmentPackage,
} from "../../sdk";
import {
  DAY,
  detail,
  gas,
  introduce,
  listed,
  named,
  nameOf,
  refused,
  say,
  technical,
  when,
  words,
  yes,
} from "./narration";
import { now, type Participants, type Story } from "./story";

/** Meridian's GS1 company prefix, and the GTIN-14 of its 20 mg tablets (indicator 0, item 00042, check digit). */
const PREFIX = "0614141";
const GTIN = withCheckDigit(`0${PREFIX}00042`);
/** Lot A: 10,000 packs in 200 cases of 50 on one pallet. Lot B: 200 packs in 4 cases, the one recalled. */
const LOT_A = { lot: "MX24A117", packs: 10_000, perCase: 50 };
const LOT_B = { lot: "MX24B203", packs: 200, perCase: 50 };

type EpcisEvent = Parameters<typeof epcisEventHash>[0];

/** The partners of the chapter: each participant's id, its client and its party id in EPCIS events. */
interface Partner {
  id: bigint;
  name: string;
  client: SupplyChainClient;
  /** Its GS1 party GLN as an EPC URI (`urn:epc:id:pgln:…`). */
  party: string;
  /** The address of the key it acts with. */
  address: string;
}

/** What the supply-chain scenes share. */
interface Chain {
  story: Story;
  reader: SupplyChainClient;
  meridian: Partner;
  keystone: Partner;
  stMarys: Partner;
  corner: Partner;
  regulator: Partner;
  /** Lot A's tree, its cases and the pallet holding them. */
  lot: LotTree;
  cases: ContainerTree[];
  pallet: ContainerTree;
}

/** What the chapter ends with, for the story's last line. */
export interface SupplyOutcome {
  packs: number;
  dispensed: number;
  clones: number;
  recalls: number;
}

/**
 * Supply chain: the registrar verifies a manufacturer, a distributor, a second pharmacy and a regulator from their
 * licences (St. Mary's, an organization, dispenses through its pharmacy); the manufacturer registers a GTIN and
 * commissions a lot of 10,000 packs as one Merkle root, packs them in 200 cases of 50 on a pallet with one transaction,
 * and ships the pallet with a shipment package; the distributor receives it and checks every pack offline; it unpacks
 * the pallet and ships two cases to St. Mary's, whose pharmacy dispenses a pack with the case's proof alone and sends a
 * pack back, which the distributor verifies before resale and seals in a tote for the second pharmacy (selling it alone
 * too is refused); St. Mary's returns the opened case, the distributor resells
 * it to the second pharmacy, and a counterfeit in it carrying the dispensed pack's serial is refused there: the
 * regulator finds it illegitimate, the regulator and the distributor are notified within 24 hours and the case is
 * closed; a second lot is recalled and the recall reach lists who holds it.
 */
export async function supplyChainChapter(
  story: Story,
  who: Participants,
  credentialExpiry: bigint,
): Promise<SupplyOutcome> {
  const partners = await registerPartners(story, who, credentialExpiry);
  const chain = await commissionAndPack(story, partners);
  await shipPallet(chain);
  const [case1, case2] = await distribute(chain);
  const dispensed = await dispenseFromCase(chain, case1);
  await saleableReturn(chain, case2);
  const caseId = await cloneCaught(chain, case1, dispensed);
  await investigate(chain, caseId);
  await recallLot(chain);
  return { packs: LOT_A.packs + LOT_B.packs, dispensed: 1, clones: 1, recalls: 1 };
}

async function registerPartners(
  story: Story,
  who: Participants,
  credentialExpiry: bigint,
): Promise<Omit<Chain, "lot" | "cases" | "pallet">> {
  const { cast, system } = story;
  const { deployment } = system;
  const asRegistrar = IdentityClient.connect(cast.registrar, deployment);
  const reader = SupplyChainClient.connect(ethers.provider, deployment);
  say(
    "The registrar verifies the drug supply chain's partners from their licences: Meridian Pharma, a manufacturer; Keystone Wholesale, a distributor; Corner Pharmacy; and the State Board of Pharmacy, a regulator.",
  );
  const register = async (key: Wallet, kind: ParticipantKind, name: string, licence: string, gln: string) => {
    // The chapter's keys are fresh: the deployer pays for their first transactions.
    await (await cast.deployer.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
    const { id } = await asRegistrar.registerWithKey(key, {
      kind,
      credentialCommitment: commit(licence).commitment,
      credentialExpiry,
    });
    introduce(id, name);
    return partner(reader, key, id, name, gln);
  };
  const meridian = await register(
    cast.manufacturerKey,
    ParticipantKind.Manufacturer,
    "Meridian",
    "FDA establishment registration FEI 3004812233; state manufacturer licence M-1187",
    PREFIX,
  );
  const keystone = await register(
    cast.distributorKey,
    ParticipantKind.Distributor,
    "Keystone",
    "state wholesale distributor licence WD-20931",
    "4012345",
  );
  const corner = await register(
    cast.pharmacyKey,
    ParticipantKind.Pharmacy,
    "Corner Pharmacy",
    "state pharmacy permit PH-77120",
    "4045678",
  );
  const regulator = await register(
    cast.regulatorKey,
    ParticipantKind.Regulator,
    "the Board of Pharmacy",
    "state board of pharmacy mandate",
    "4099999",
  );
  const stMarys = partner(reader, cast.hospitalNewKey, who.hospital, "St. Mary's", "4023333");
  detail(
    `Meridian is participant ${meridian.id}, Keystone ${keystone.id}, Corner Pharmacy ${corner.id}, the Board ${regulator.id}; each licence on chain only as a salted commitment, expiring ${when(credentialExpiry)}`,
  );
  technical(`keys: ${[meridian, keystone, corner, regulator].map((p) => named(p.name, p.address)).join(", ")}`);
  detail(
    `${nameOf(who.hospital)} is an organization: its pharmacy receives and dispenses; a partner whose licence lapses stops at once`,
  );
  return { story, reader, meridian, keystone, stMarys, corner, regulator };
}

function partner(
  reader: SupplyChainClient,
  key: Signer & { address: string },
  id: bigint,
  name: string,
  prefix: string,
): Partner {
  return { id, name, client: reader.as(key), party: `urn:epc:id:pgln:${prefix}.00000`, address: key.address };
}

/** Meridian registers the GTIN, commissions lot A as one root and packs 200 virtual cases on a pallet in one transaction. */
async function commissionAndPack(story: Story, partners: Omit<Chain, "lot" | "cases" | "pallet">): Promise<Chain> {
  const { meridian } = partners;
  say(`Meridian registers its GTIN ${GTIN} and commissions lot ${LOT_A.lot}: 10,000 serialized packs, one root.`);
  const registered = await meridian.client.registerProduct(GTIN);
  const expiry = await expiryIn(2 * 365);
  const started = Date.now();
  const lot = buildLot(GTIN, LOT_A.lot, expiry, serials(LOT_A.lot, LOT_A.packs));
  const built = Date.now() - started;
  const packs = lot.serials().map((serial) => lot.pack(serial));
  const commissioned = await meridian.client.commissionLot(lot, await commissioning(lot, packs, meridian));
  const onChain = await meridian.client.lot(GTIN, LOT_A.lot);
  detail(
    `${onChain.count.toLocaleString("en-US")} packs, expiring ${expiryWords(expiry)}: the chain keeps the lot's Merkle root and count, Meridian keeps the tree (built in ${seconds(built)})${gas(registered.receipt, commissioned.receipt)}`,
  );
  technical(`lot key ${lot.lotKey}, root ${lot.root}`);
  detail(
    "each pack's leaf is what its DataMatrix carries — GTIN, serial, lot, expiry — so a scan and a proof verify it",
  );

  say(
    "Meridian packs the lot in 200 cases of 50 on one pallet: one transaction for the pallet, none per case or pack.",
  );
  const cases: ContainerTree[] = [];
  for (let index = 0; index * LOT_A.perCase < packs.length; index++) {
    const inCase = packs.slice(index * LOT_A.perCase, (index + 1) * LOT_A.perCase).map((pack) => ({ pack }));
    cases.push(buildContainer(sscc(1, index + 1), inCase, [lot.lotKey], meridian.id));
  }
  const pallet = buildContainer(
    sscc(0, 1),
    cases.map((container) => ({ container })),
    [lot.lotKey],
    meridian.id,
  );
  const packed = await meridian.client.pack(
    pallet,
    await aggregation(
      pallet.sscc,
      cases.map((container) => epcOfSscc(container.sscc)),
      "ADD",
    ),
  );
  detail(
    `pallet ${pallet.sscc}: ${cases.length} cases, ${packs.length.toLocaleString("en-US")} packs; its key commits to the tree of its cases, each case's to its packs${gas(packed.receipt)}`,
  );
  technical(`pallet key ${pallet.key}, root ${pallet.root}`);
  return { ...partners, lot, cases, pallet };
}

/** Meridian ships the pallet to Keystone with the shipment package; Keystone receives it and checks every pack offline. */
async function shipPallet(chain: Chain): Promise<void> {
  const { meridian, keystone, pallet, lot, reader } = chain;
  say(
    "Meridian ships the pallet to Keystone, with the DSCSA transaction documents and the shipment package of proofs.",
  );
  const pkg = buildShipmentPackage(pallet, [lot]);
  const document = "INV-2027-88410";
  const shipped = await ship(meridian, keystone, pallet, document);
  const inTransit = await reader.unit(shipped.key);
  detail(
    `in transit: still ${nameOf(inTransit.owner)}'s until received, on its way to ${nameOf(inTransit.pendingBuyer ?? 0n)}; on chain only commitments to the documents${gas(shipped.receipt)}`,
  );
  detail(
    `the package: ${pkg.containers.length} containers and ${pkg.packs.length.toLocaleString("en-US")} packs, each with its proof in its lot and in its case (${megabytes(JSON.stringify(pkg))})`,
  );

  say("Keystone receives the pallet and checks every pack in the package at receipt, without asking anyone.");
  const received = await receive(meridian, keystone, pallet, document);
  const roots = new Map([[lot.lotKey, (await reader.lot(GTIN, LOT_A.lot)).root]]);
  const started = Date.now();
  const failures = verifyShipmentPackage(pkg, roots, shippedKey(pkg));
  const took = Date.now() - started;
  detail(
    `${(pkg.packs.length - failures.length).toLocaleString("en-US")} of ${pkg.packs.length.toLocaleString("en-US")} packs verified in ${seconds(took)} against the lot's root on chain and the pallet it received${gas(received.receipt)}`,
  );
  const owner = await reader.unit(shippedKey(pkg));
  detail(`the pallet is ${nameOf(owner.owner)}'s now (${words(UnitStatus[owner.status])}); the packs inside are too`);
  if (failures.length > 0)
    throw new Error(`${failures.length} packs of the pallet's package failed: ${failures[0]?.reason}`);
}

/** Keystone unpacks the pallet and ships two cases to St. Mary's, each with its package, which St. Mary's checks. */
async function distribute(chain: Chain): Promise<[ContainerTree, ContainerTree]> {
  const { keystone, stMarys, pallet, lot, cases } = chain;
  const [case1, case2] = cases as [ContainerTree, ContainerTree];
  say("Keystone unpacks the pallet and ships two cases to St. Mary's pharmacy, each with its own package of proofs.");
  const unpacked = await keystone.client.unpack(
    pallet,
    await aggregation(
      pallet.sscc,
      cases.map((container) => epcOfSscc(container.sscc)),
      "DELETE",
    ),
  );
  detail(`the 200 cases are loose in Keystone's warehouse, each movable on its own${gas(unpacked.receipt)}`);
  const out: string[] = [];
  for (const [index, container] of [case1, case2].entries()) {
    const document = `SO-55120-${index + 1}`;
    const shipped = await ship(keystone, stMarys, container, document, [containerHop(pallet, container)]);
    const received = await receive(keystone, stMarys, container, document);
    const pkg = buildShipmentPackage(container, [lot]);
    const failures = verifyShipmentPackage(pkg, new Map([[lot.lotKey, lot.root]]), shippedKey(pkg));
    out.push(
      `case ${container.sscc}: released from the pallet, shipped and received; ${pkg.packs.length - failures.length} of ${pkg.packs.length} packs verified${gas(shipped.receipt, received.receipt)}`,
    );
  }
  for (const line of out) detail(line);
  return [case1, case2];
}

/** St. Mary's pharmacy scans a pack of case 1 and dispenses it: the case's proof is enough, no lot proof. */
async function dispenseFromCase(chain: Chain, case1: ContainerTree): Promise<Pack> {
  const { stMarys, reader } = chain;
  const first = case1.children[0];
  if (first === undefined || !("pack" in first)) throw new Error("case 1 holds packs");
  const printed = elementString(first.pack);
  say(
    "St. Mary's pharmacy scans a pack from case 1 and dispenses it to a patient: the chain decommissions its serial.",
  );
  const scanned = parseScan(printed);
  if (scanned.kind !== "pack") throw new Error("the pack's label scans as a pack");
  const pack = scanned.pack;
  detail(`the DataMatrix reads ${printed}`);
  const png = await packDataMatrixPng(pack, 4);
  const directory = mkdtempSync(path.join(tmpdir(), "careledger-demo-"));
  const file = path.join(directory, `pack-${pack.serial}.png`);
  writeFileSync(file, png);
  detail(`its GS1 DataMatrix, as printed on the pack: ${file}`);
  const before = await reader.verify(pack, [], [packHop(case1, pack)]);
  detail(
    `verified before dispensing: genuine ${yes(before.genuine)}, saleable ${yes(before.saleable)}, owner ${nameOf(before.owner)} — through the case Meridian packed, with no lot proof`,
  );
  const dispensed = await stMarys.client.dispense(
    pack,
    [],
    [packHop(case1, pack)],
    await anchor({
      type: "ObjectEvent",
      epcList: [epcOfPack(pack)],
      action: "OBSERVE",
      bizStep: "dispensing",
      disposition: "dispensed",
    }),
  );
  const record = await reader.packRecord(pack);
  detail(
    `dispensed: ${yes(dispensed.dispensed)}; the serial is ${words(UnitStatus[record.status])} by ${nameOf(record.owner)}, once in the whole registry; no patient on chain${gas(dispensed.receipt)}`,
  );
  return pack;
}

/** St. Mary's opens case 2 and sends one pack back; Keystone verifies it before resale and records the verification. */
async function saleableReturn(chain: Chain, case2: ContainerTree): Promise<void> {
  const { stMarys, keystone, lot, reader } = chain;
  const child = case2.children[7];
  if (child === undefined || !("pack" in child)) throw new Error("case 2 holds packs");
  const pack = child.pack;
  say("St. Mary's opens case 2 and sends a pack back to Keystone, ordered in error: a saleable return.");
  const opened = await stMarys.client.unpack(
    case2,
    await aggregation(
      case2.sscc,
      case2.children.flatMap((entry) => ("pack" in entry ? [epcOfPack(entry.pack)] : [])),
      "DELETE",
    ),
  );
  const document = "RMA-31877";
  const returned = await stMarys.client.shipPack(
    pack,
    lot.proof(pack.serial),
    [packHop(case2, pack)],
    keystone.id,
    commit(`return authorization ${document}`).commitment,
    await anchor(transfer("shipping", [epcOfPack(pack)], stMarys, keystone, document)),
  );
  const received = await keystone.client.receivePack(
    pack,
    await anchor(transfer("receiving", [epcOfPack(pack)], stMarys, keystone, document)),
  );
  detail(
    `case 2 opened on St. Mary's shelves; pack ${pack.serial} shipped back and received${gas(opened.receipt, returned.receipt, received.receipt)}`,
  );

  say("Before reselling it, Keystone verifies the returned pack against the chain and records the verification.");
  const verified = await reader.verify(pack, lot.proof(pack.serial), []);
  detail(
    `genuine ${yes(verified.genuine)}, expired ${yes(verified.expired)}, recalled ${yes(verified.recallClass !== RecallClass.None)}, quarantined ${yes(verified.quarantined)}, dispensed ${yes(verified.dispensed)}, owner ${nameOf(verified.owner)}: saleable ${yes(verified.saleable)}`,
  );
  const recorded = await keystone.client.recordVerification(
    pack,
    lot.proof(pack.serial),
    [],
    commit(`saleable return verification of ${pack.serial}`).commitment,
  );
  detail(
    `the chain answered without asking Meridian (DSCSA 582(c)(4)(D)); Keystone's record of it is on chain${gas(recorded.receipt)}`,
  );
  await resealReturn(chain, pack);
}

/**
 * Keystone puts the returned pack (which has a record of its own) in a tote for Corner Pharmacy: the tote seals it, so
 * selling the pack alone as well is refused; Corner receives the tote and unpacks it, and the pack is Corner's.
 */
async function resealReturn(chain: Chain, pack: Pack): Promise<void> {
  const { keystone, corner, stMarys, lot, reader } = chain;
  say("Keystone puts the returned pack in a tote for Corner Pharmacy: the tote seals it, so it cannot be sold twice.");
  const tote = buildContainer(sscc(3, 1), [{ pack }], [lot.lotKey], keystone.id);
  const packed = await keystone.client.pack(tote, await aggregation(tote.sscc, [epcOfPack(pack)], "ADD"));
  detail(
    `tote ${tote.sscc}: ${packed.sealed.length} pack with a record of its own sealed in it, its record naming the tote${gas(packed.receipt)}`,
  );
  const sellAlone = async () =>
    keystone.client.shipPack(
      pack,
      lot.proof(pack.serial),
      [],
      stMarys.id,
      commit("DSCSA transaction information and statement, SO-55186").commitment,
      await anchor(transfer("shipping", [epcOfPack(pack)], keystone, stMarys, "SO-55186")),
    );
  detail(
    `Keystone sells the same pack alone to St. Mary's too: ${await refused(sellAlone, "SupplySealedIn", "it moves only with its tote")}`,
  );
  const shipped = await ship(keystone, corner, tote, "SO-55187-T");
  const received = await receive(keystone, corner, tote, "SO-55187-T");
  const opened = await corner.client.unpack(tote, await aggregation(tote.sscc, [epcOfPack(pack)], "DELETE"));
  const record = await reader.packRecord(pack);
  detail(
    `Corner Pharmacy received the tote and unpacked it: the pack is ${nameOf(record.owner)}'s, ${words(UnitStatus[record.status])}, on its own (${opened.released.length} released)${gas(shipped.receipt, received.receipt, opened.receipt)}`,
  );
}

/**
 * St. Mary's returns the opened case 1 to Keystone, which resells it to Corner Pharmacy; a counterfeit slipped into it
 * carries the serial St. Mary's dispensed. Corner's dispense is refused as a clone: the case it opens names Keystone.
 */
async function cloneCaught(chain: Chain, case1: ContainerTree, dispensedPack: Pack): Promise<bigint> {
  const { stMarys, keystone, corner, lot, reader } = chain;
  say("St. Mary's returns the rest of case 1 to Keystone, which resells it to Corner Pharmacy.");
  const legs: [Partner, Partner, string][] = [
    [stMarys, keystone, "RMA-31878"],
    [keystone, corner, "SO-55187"],
  ];
  const receipts: { gasUsed: bigint }[] = [];
  for (const [seller, buyer, document] of legs) {
    const shipped = await ship(seller, buyer, case1, document);
    const received = await receive(seller, buyer, case1, document);
    receipts.push(shipped.receipt, received.receipt);
  }
  detail(`case ${case1.sscc} is ${nameOf((await reader.unit(case1.key)).owner)}'s${gas(total(receipts))}`);

  say("At Corner Pharmacy a pack in that case carries the serial St. Mary's dispensed: a counterfeit. It is refused.");
  const clone = await corner.client.dispense(
    dispensedPack,
    lot.proof(dispensedPack.serial),
    [packHop(case1, dispensedPack)],
    await anchor({
      type: "ObjectEvent",
      epcList: [epcOfPack(dispensedPack)],
      action: "OBSERVE",
      bizStep: "dispensing",
      disposition: "dispensed",
      readPoint: { id: `urn:epc:id:sgln:4045678.00001.0` },
    }),
  );
  const opened = await reader.investigation(clone.caseId);
  const record = await reader.packRecord(dispensedPack);
  detail(
    `dispensed: ${yes(clone.dispensed)} — serial ${dispensedPack.serial} was decommissioned before, by ${nameOf(stMarys.id)}${gas(clone.receipt)}`,
  );
  detail(
    `the registry opened case ${clone.caseId} in ${nameOf(opened.investigator)}'s name (${words(SuspectReason[opened.reason])}) and quarantined the serial: ${words(UnitStatus[record.status])}`,
  );
  detail(
    `the case's custody path names its supplier: ${nameOf(opened.supplier)}, who sold Corner the case; a quarantined serial moves nowhere`,
  );
  return clone.caseId;
}

/** The regulator finds the product illegitimate; Corner notifies the regulator and the supplier inside 24 hours. */
async function investigate(chain: Chain, caseId: bigint): Promise<void> {
  const { corner, regulator, keystone, reader } = chain;
  say("The Board investigates and finds the pack illegitimate: the 24-hour clock for notifications starts.");
  await time.increase(5 * 3_600);
  const decided = await regulator.client.decide(
    caseId,
    true,
    commit("Board of Pharmacy investigation report").commitment,
  );
  const determined = await reader.investigation(caseId);
  detail(`determined ${when(determined.determinedAt)}: ${words(CaseStatus[determined.status])}${gas(decided.receipt)}`);
  const close = () => regulator.client.closeCase(caseId, commit("closure").commitment);
  detail(
    `closing it now: ${await refused(close, "ProductSafetyNotificationsPending", "the regulator and the supplier must be notified first")}`,
  );

  say("Corner Pharmacy notifies the Board (FDA Form 3911) and Keystone, its supplier, and the chain records when.");
  await time.increase(3 * 3_600);
  const toRegulator = await corner.client.notify(
    caseId,
    Recipient.Regulator,
    commit("FDA Form 3911, illegitimate product notification").commitment,
  );
  await time.increase(1_800);
  const toSupplier = await corner.client.notify(
    caseId,
    Recipient.Supplier,
    commit(`notice to ${keystone.name} of illegitimate product`).commitment,
  );
  const notified = await reader.investigation(caseId);
  detail(
    `the Board notified ${hours(notified.regulatorNotifiedAt - notified.determinedAt)} after the determination, ${nameOf(notified.supplier)} ${hours(notified.supplierNotifiedAt - notified.determinedAt)} after: within 24 hours${gas(toRegulator.receipt, toSupplier.receipt)}`,
  );
  await time.increase(DAY);
  const open = await reader.openIllegitimateCases();
  const overdue = open.find((entry) => entry.caseId === caseId)?.overdue ?? [];
  detail(
    `a day later: overdue notifications of case ${caseId}: ${overdue.length === 0 ? "none" : listed(overdue.map((r) => words(Recipient[r])))}`,
  );

  say("The Board closes the case; the serial stays illegitimate.");
  const closed = await close();
  const record = await reader.investigation(caseId);
  const stillOpen = await reader.openIllegitimateCases();
  detail(
    `case ${caseId}: ${words(CaseStatus[record.status])}; open illegitimate-product cases: ${stillOpen.length}${gas(closed.receipt)}`,
  );
}

/** Meridian commissions lot B in four cases, ships one to Corner and one to Keystone, then recalls it. */
async function recallLot(chain: Chain): Promise<void> {
  const { meridian, keystone, corner, reader } = chain;
  say(
    `Meridian commissions a small lot ${LOT_B.lot} in four cases and ships one to Corner Pharmacy and one to Keystone.`,
  );
  const lot = buildLot(GTIN, LOT_B.lot, await expiryIn(365), serials(LOT_B.lot, LOT_B.packs));
  const packs = lot.serials().map((serial) => lot.pack(serial));
  const receipts = [(await meridian.client.commissionLot(lot, await commissioning(lot, packs, meridian))).receipt];
  const cases: ContainerTree[] = [];
  for (let index = 0; index * LOT_B.perCase < packs.length; index++) {
    const inCase = packs.slice(index * LOT_B.perCase, (index + 1) * LOT_B.perCase);
    const container = buildContainer(
      sscc(2, index + 1),
      inCase.map((pack) => ({ pack })),
      [lot.lotKey],
      meridian.id,
    );
    const packed = await meridian.client.pack(
      container,
      await aggregation(container.sscc, inCase.map(epcOfPack), "ADD"),
    );
    receipts.push(packed.receipt);
    cases.push(container);
  }
  for (const [index, buyer] of [corner, keystone].entries()) {
    const container = cases[index]!;
    const document = `INV-2027-88${index + 5}11`;
    const shipped = await ship(meridian, buyer, container, document);
    const received = await receive(meridian, buyer, container, document);
    receipts.push(shipped.receipt, received.receipt);
  }
  detail(
    `${packs.length} packs commissioned, ${cases.length} cases packed, two shipped and received: ${receipts.length} transactions${gas(total(receipts))}`,
  );

  say(`Meridian recalls lot ${LOT_B.lot}, class II; the recall reach lists who holds it from the chain's events.`);
  const recalled = await meridian.client.recall(
    GTIN,
    LOT_B.lot,
    RecallClass.II,
    commit(`recall notice, lot ${LOT_B.lot}`).commitment,
  );
  const status = await reader.lot(GTIN, LOT_B.lot);
  detail(
    `lot ${LOT_B.lot}: ${words(LotStatus[status.status])}, class ${RecallClass[status.recallClass]}; its packs can no longer be shipped, received or dispensed${gas(recalled.receipt)}`,
  );
  technical(`lot key ${lot.lotKey}`);
  const reach = await reader.recallReach(GTIN, LOT_B.lot);
  for (const holder of reach.holders) {
    detail(`  ${nameOf(holder.participant)}: ${holder.containers} case(s)`);
  }
  const first = cases[0]!.children[0];
  if (first === undefined || !("pack" in first)) throw new Error("lot B's cases hold packs");
  const dispense = async () =>
    corner.client.dispense(
      first.pack,
      [],
      [packHop(cases[0]!, first.pack)],
      await anchor({
        type: "ObjectEvent",
        epcList: [epcOfPack(first.pack)],
        action: "OBSERVE",
        bizStep: "dispensing",
        disposition: "dispensed",
      }),
    );
  detail(
    `Corner Pharmacy dispenses a pack of it: ${await refused(dispense, "SupplyLotBlocked", "the lot is recalled")}`,
  );
  const shipOn = async () => ship(keystone, corner, cases[1]!, "SO-55190");
  detail(
    `Keystone ships its case on: ${await refused(shipOn, "SupplyLotBlocked", "nothing holding a recalled lot moves")}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Identifiers, EPCIS events, words

function withCheckDigit(digits: string): string {
  return digits + String(gs1CheckDigit(digits));
}

/** Meridian's SSCC with extension digit `extension` and serial reference `serial`: 18 digits with the check digit. */
function sscc(extension: number, serial: number): string {
  return withCheckDigit(`${extension}${PREFIX}${String(serial).padStart(9, "0")}`);
}

/** `count` serials of `lot`: twelve characters each, unpredictable from one another as serialization requires. */
function serials(lot: string, count: number): string[] {
  // sha-256 from node:crypto: ten times faster here than ethers' keccak for 10,000 serials.
  return Array.from({ length: count }, (_, index) =>
    createHash("sha256").update(`${lot}/${index}`).digest("hex").slice(0, 12).toUpperCase(),
  );
}

/** An expiry `days` after the chain's today, as YYMMDD. */
async function expiryIn(days: number): Promise<string> {
  const date = new Date(Number((await now()) + BigInt(days * DAY)) * 1000);
  const two = (value: number) => String(value).padStart(2, "0");
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
}

function expiryWords(yymmdd: string): string {
  return when(
    Date.UTC(2000 + Number(yymmdd.slice(0, 2)), Number(yymmdd.slice(2, 4)) - 1, Number(yymmdd.slice(4))) / 1000,
  ).replace(/, 00:00 UTC$/, "");
}

const epcOfSscc = (value: string) => encodeEpc({ type: "sscc", sscc: value });
const epcOfPack = (pack: Pack) => encodeEpc({ type: "sgtin", gtin: pack.gtin, serial: pack.serial });

/** The step's GS1 EPCIS 2.0 event at the chain's time, anchored on chain by its CBV 2.0 event hash. */
async function anchor(event: EpcisEvent): Promise<string> {
  const eventTime = new Date(Number(await now()) * 1000).toISOString();
  return eventHashBytes32(epcisEventHash({ ...event, eventTime, eventTimeZoneOffset: "+00:00" }));
}

/** The commissioning ObjectEvent of a lot's packs, with the lot and expiry in its ILMD. */
async function commissioning(lot: LotTree, packs: Pack[], by: Partner): Promise<string> {
  return anchor({
    type: "ObjectEvent",
    epcList: packs.map(epcOfPack),
    action: "ADD",
    bizStep: "commissioning",
    disposition: "active",
    sourceList: [{ type: "owning_party", source: by.party }],
    ilmd: {
      "cbvmda:lotNumber": lot.lot,
      "cbvmda:itemExpirationDate": `20${lot.expiry.slice(0, 2)}-${lot.expiry.slice(2, 4)}-${lot.expiry.slice(4)}`,
    },
  });
}

/**
 * `seller` ships `container` to `buyer` under the business document `document`: a commitment to its DSCSA transaction
 * information and statement, and the hash of its EPCIS shipping event; `path` proves it out of an unpacked container.
 */
async function ship(
  seller: Partner,
  buyer: Partner,
  container: ContainerTree,
  document: string,
  path: CustodyStep[] = [],
): Promise<Sent & { key: string }> {
  return seller.client.shipContainer(
    container,
    buyer.id,
    commit(`DSCSA transaction information and statement, ${document}`).commitment,
    await anchor(transfer("shipping", [epcOfSscc(container.sscc)], seller, buyer, document)),
    path,
  );
}

/** `buyer` receives `container` from `seller` under `document`, anchoring its EPCIS receiving event. */
async function receive(seller: Partner, buyer: Partner, container: ContainerTree, document: string): Promise<Sent> {
  return buyer.client.receiveContainer(
    container,
    await anchor(transfer("receiving", [epcOfSscc(container.sscc)], seller, buyer, document)),
  );
}

/** Anchors the AggregationEvent of packing (`ADD`) or unpacking (`DELETE`) the container `sscc` with `children`. */
async function aggregation(sscc: string, children: string[], action: "ADD" | "DELETE"): Promise<string> {
  return anchor({
    type: "AggregationEvent",
    parentID: epcOfSscc(sscc),
    childEPCs: children,
    action,
    bizStep: action === "ADD" ? "packing" : "unpacking",
  });
}

/** A shipping or receiving ObjectEvent between two partners, naming the business document. */
function transfer(
  step: "shipping" | "receiving",
  epcs: string[],
  from: Partner,
  to: Partner,
  document: string,
): EpcisEvent {
  return {
    type: "ObjectEvent",
    epcList: epcs,
    action: "OBSERVE",
    bizStep: step,
    disposition: step === "shipping" ? "in_transit" : "in_progress",
    bizTransactionList: [
      {
        type: "inv",
        bizTransaction: `urn:epcglobal:cbv:bt:${withCheckDigit(`${from.party.slice(16, 23)}00000`)}:${document}`,
      },
    ],
    sourceList: [{ type: "owning_party", source: from.party }],
    destinationList: [{ type: "owning_party", destination: to.party }],
  };
}

/** The hop of `child` in `container` (a custody path's step). */
function containerHop(container: ContainerTree, child: ContainerTree): CustodyStep {
  return {
    sscc: container.sscc,
    packer: container.packer,
    childrenRoot: container.root,
    lotsHash: container.lotsHash,
    proof: container.proof({ container: child }),
  };
}

function packHop(container: ContainerTree, pack: Pack): CustodyStep {
  return {
    sscc: container.sscc,
    packer: container.packer,
    childrenRoot: container.root,
    lotsHash: container.lotsHash,
    proof: container.proof({ pack }),
  };
}

/** The gas of several transactions together. */
function total(receipts: readonly { gasUsed: bigint }[]): bigint {
  return receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n);
}

/** A chain interval in hours to the tenth: "3.5 hours". */
function hours(interval: bigint): string {
  return `${(Number(interval) / 3_600).toFixed(1)} hours`;
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

function megabytes(text: string): string {
  return `${(text.length / 1_000_000).toFixed(1)} MB of JSON`;
}
