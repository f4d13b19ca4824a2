import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";

import { GTIN, supplyChainFixture } from "../fixtures/supplychain";
import type { Partner } from "../fixtures/supplychain";
import { ContainerTree, EXPIRY, LotTree, hashOf, onChain, serials, sscc } from "./helpers";
import type { Hop, Label } from "./helpers";

/** ParticipantId.NONE as the contracts return it. */
export const NONE = 0n;
/** `bytes32(0)`: an empty slot of an investigation's `path`. */
export const ZERO = `0x${"00".repeat(32)}`;

/**
 * The supply chain the product-safety tests quarantine, decide and recall in, built once on `supplyChainFixture`:
 *
 * - lot A of `GTIN` (12 packs `S000001` …): `case1` (packs 1–4) and `case2` (packs 5–8) are committed to only by
 *   `pallet`'s tree (virtual cases, no record); the manufacturer packed `pallet`, shipped it to the distributor, which
 *   received it; pack 9 (`single`) moved alone from the manufacturer's stock to the pharmacy, which received it;
 * - lot B (4 packs `B000001` …): `caseB` packed on chain by the manufacturer (a record), then `palletB` around it,
 *   which seals it (caseB's record: Sealed, naming palletB), both the manufacturer's;
 * - lot C (4 packs `C000001` …): commissioned, nothing else.
 */
export async function safetyScenario() {
  const f = await supplyChainFixture();
  const { supplyChain, manufacturer, distributor, pharmacy } = f;
  const asManufacturer = supplyChain.connect(manufacturer.key);
  const lotA = new LotTree(GTIN, "LOT-A", EXPIRY, serials(12));
  const lotB = new LotTree(GTIN, "LOT-B", EXPIRY, serials(4, "B"));
  const lotC = new LotTree(GTIN, "LOT-C", EXPIRY, serials(4, "C"));
  for (const lot of [lotA, lotB, lotC]) {
    await mined(
      asManufacturer.commissionLot(
        GTIN,
        onChain(lot.labels[0] as Label).lot,
        EXPIRY,
        lot.root,
        lot.labels.length,
        hashOf(`commission ${lot.lot}`),
      ),
    );
  }
  const case1 = new ContainerTree(sscc(1), lotA.labels.slice(0, 4), [lotA.key], manufacturer.id);
  const case2 = new ContainerTree(sscc(2), lotA.labels.slice(4, 8), [lotA.key], manufacturer.id);
  const pallet = new ContainerTree(sscc(3), [case1, case2], [lotA.key], manufacturer.id);
  await mined(asManufacturer.pack(pallet.sscc, pallet.root, 2, pallet.lotKeys, [], hashOf("pack pallet")));
  await mined(
    asManufacturer.shipContainer(
      pallet.sscc,
      pallet.packer,
      pallet.root,
      pallet.lotKeys,
      [],
      distributor.id,
      hashOf("ti pallet"),
      hashOf("ship pallet"),
    ),
  );
  await mined(
    supplyChain
      .connect(distributor.key)
      .receiveContainer(pallet.sscc, pallet.packer, pallet.root, pallet.lotKeys, hashOf("receive pallet")),
  );
  const single = lotA.label("S000009");
  await mined(
    asManufacturer.shipPack(
      onChain(single),
      lotA.proof(single.serial),
      [],
      pharmacy.id,
      hashOf("ti single"),
      hashOf("ship single"),
    ),
  );
  await mined(supplyChain.connect(pharmacy.key).receivePack(onChain(single), hashOf("receive single")));
  const caseB = new ContainerTree(sscc(4), lotB.labels, [lotB.key], manufacturer.id);
  const palletB = new ContainerTree(sscc(5), [caseB], [lotB.key], manufacturer.id);
  await mined(asManufacturer.pack(caseB.sscc, caseB.root, 4, caseB.lotKeys, [], hashOf("pack caseB")));
  // caseB has a record: palletB seals it.
  await mined(asManufacturer.pack(palletB.sscc, palletB.root, 1, palletB.lotKeys, [caseB.key], hashOf("pack palletB")));
  return { ...f, lotA, lotB, lotC, case1, case2, pallet, single, caseB, palletB };
}

export type SafetyScenario = Awaited<ReturnType<typeof safetyScenario>>;

/** Waits for the transaction's receipt (a revert throws). */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}

/** Sends a transaction that opens a case and returns the case's id (the latest). */
export async function opened(s: SafetyScenario, tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  await mined(tx);
  return s.productSafety.caseCount();
}

/** The pack's path inside `case1` (or `case2`) inside the pallet, innermost first. */
export function packPath(s: SafetyScenario, label: Label): Hop[] {
  const inCase = s.case1.children.includes(label) ? s.case1 : s.case2;
  return [inCase.hop(label), s.pallet.hop(inCase)];
}

/** `by` quarantines the container `tree`, held through `path`. */
export function quarantineContainer(
  s: SafetyScenario,
  by: Partner,
  tree: ContainerTree,
  path: Hop[],
  reason = 4,
  evidence = hashOf("evidence"),
) {
  return s.productSafety
    .connect(by.key)
    .quarantineContainer(tree.sscc, tree.packer, tree.root, tree.lotsHash, path, reason, evidence);
}

/** `by` quarantines the pack held through `path`, with its lot proof unless `withProof` is false. */
export function quarantinePack(
  s: SafetyScenario,
  by: Partner,
  label: Label,
  path: Hop[],
  lot: LotTree,
  withProof = true,
  reason = 4,
) {
  return s.productSafety
    .connect(by.key)
    .quarantinePack(onChain(label), withProof ? lot.proof(label.serial) : [], path, reason, hashOf("evidence"));
}

/** Ships the container (with a record, on its own) from `from` to `to`. */
export function shipContainer(s: SafetyScenario, from: Partner, to: Partner, tree: ContainerTree, path: Hop[] = []) {
  return s.supplyChain
    .connect(from.key)
    .shipContainer(
      tree.sscc,
      tree.packer,
      tree.root,
      tree.lotKeys,
      path,
      to.id,
      hashOf("ti"),
      hashOf(`ship ${tree.sscc}`),
    );
}

/** Receives the container shipped to `by`. */
export function receiveContainer(s: SafetyScenario, by: Partner, tree: ContainerTree) {
  return s.supplyChain
    .connect(by.key)
    .receiveContainer(tree.sscc, tree.packer, tree.root, tree.lotKeys, hashOf(`receive ${tree.sscc}`));
}

/** Pauses both contracts, as the pauser. */
export async function pauseBoth(s: SafetyScenario): Promise<void> {
  await mined(s.supplyChain.connect(s.pauser).pause());
  await mined(s.productSafety.connect(s.pauser).pause());
}

/** The fields of an investigation a test may assert (`investigation(caseId)`), numbers as enum members or bigints. */
export interface ExpectedCase {
  subject?: string;
  subjectKind?: number;
  reason?: number;
  status?: number;
  priorStatus?: number;
  investigator?: bigint;
  supplier?: bigint;
  customer?: bigint;
  openedAt?: bigint;
  determinedAt?: bigint;
  regulatorNotifiedAt?: bigint;
  supplierNotifiedAt?: bigint;
  customerNotifiedAt?: bigint;
  path?: string[];
}

/** Asserts the listed fields of the investigation. */
export function expectCase(
  found: Awaited<ReturnType<SafetyScenario["productSafety"]["investigation"]>>,
  expected: ExpectedCase,
): void {
  const fields = found as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(expected)) {
    const actual = fields[field];
    if (field === "path") expect([...(actual as string[])], field).to.deep.equal(value);
    else expect(actual, field).to.equal(typeof value === "number" ? BigInt(value) : value);
  }
}

/**
 * Asserts that the pharmacy's single pack (lot A) can be neither shipped on its own nor dispensed while lot A has
 * `status` (Quarantined, Recalled, Illegitimate): both revert with `SupplyLotBlocked(lotA, status)`.
 */
export async function expectSingleBlocked(s: SafetyScenario, status: number): Promise<void> {
  const label = onChain(s.single);
  const proof = s.lotA.proof(s.single.serial);
  await expect(
    s.supplyChain.connect(s.pharmacy.key).shipPack(label, proof, [], s.hospital.id, hashOf("ti"), hashOf("ship")),
  )
    .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
    .withArgs(s.lotA.key, status);
  await expect(s.supplyChain.connect(s.pharmacy.key).dispense(label, proof, [], hashOf("dispense")))
    .to.be.revertedWithCustomError(s.supplyChain, "SupplyLotBlocked")
    .withArgs(s.lotA.key, status);
}
