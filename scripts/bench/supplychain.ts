import { id as keccakText, JsonRpcProvider, parseEther, type Provider, type Signer, Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import {
  buildContainer,
  buildLot,
  commit,
  type ContainerTree,
  type CustodyStep,
  IdentityClient,
  type LotTree,
  ParticipantKind,
  type Sent,
  SupplyChainClient,
} from "../../sdk";
import { Roles } from "../../sdk/core/roles";
import { AccessManager__factory, IdentityRegistry__factory, SupplyChain__factory } from "../../typechain-types";
import { anvilInstalled, startAnvil } from "./anvil";
import type { GasRecorder } from "./recorder";

const S = "SupplyChain";
const DAY = 86_400;
const GTIN = "09501101530003";
// Far enough ahead that the chain time the earlier chapters of the benchmark advanced (years of claims) is before it.
const EXPIRY = "491231";
const LOT_SIZE = 10_000;
const CASE_SIZE = 50;

/** A 32-byte value derived from a label: deterministic calldata, so every row is the same on every run. */
const hash = (label: string): string => keccakText(`careledger bench supply: ${label}`);

/** The `n`th SSCC of the bench's company prefix, with its check digit. */
function sscc(n: number): string {
  const body = `0950110${String(n).padStart(10, "0")}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return `${body}${(10 - (sum % 10)) % 10}`;
}

const serials = (count: number, prefix: string): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(7, "0")}`);

/** A lot in cases of `CASE_SIZE` (committed to only by the pallet's tree) on one pallet, packed by `packer`. */
interface Palletized {
  lot: LotTree;
  cases: ContainerTree[];
  pallet: ContainerTree;
}

function palletize(lotNumber: string, count: number, first: number, packer: bigint): Palletized {
  const lot = buildLot(GTIN, lotNumber, EXPIRY, serials(count, lotNumber));
  const packs = lot.serials().map((serial) => lot.pack(serial));
  const cases: ContainerTree[] = [];
  for (let at = 0; at < packs.length; at += CASE_SIZE) {
    cases.push(
      buildContainer(
        sscc(first + cases.length),
        packs.slice(at, at + CASE_SIZE).map((pack) => ({ pack })),
        [lot.lotKey],
        packer,
      ),
    );
  }
  const pallet = buildContainer(
    sscc(first + cases.length),
    cases.map((container) => ({ container })),
    [lot.lotKey],
    packer,
  );
  return { lot, cases, pallet };
}

const step = (container: ContainerTree, proof: string[]): CustodyStep => ({
  sscc: container.sscc,
  packer: container.packer,
  childrenRoot: container.root,
  lotsHash: container.lotsHash,
  proof,
});

/** The trading partners of the bench, registered with licences (set-up, not measured). */
async function partners(identityRegistry: string, registrar: Signer, fund: Signer, provider: Provider) {
  const wallet = async (label: string) => {
    const key = new Wallet(keccakText(`careledger bench key: supply ${label}`), provider);
    await (await fund.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
    return key;
  };
  const now = (await provider.getBlock("latest"))?.timestamp;
  if (now === undefined) throw new Error("no latest block");
  const asRegistrar = IdentityClient.connect(registrar, { identityRegistry });
  const register = async (kind: ParticipantKind, label: string) => {
    const key = await wallet(label);
    const { id } = await asRegistrar.registerWithKey(key, {
      kind,
      credentialCommitment: commit(label, hash(`salt ${label}`)).commitment,
      credentialExpiry: BigInt(now) + BigInt(365 * DAY),
    });
    return { key, id };
  };
  return {
    manufacturer: await register(ParticipantKind.Manufacturer, "manufacturer"),
    distributor: await register(ParticipantKind.Distributor, "distributor"),
    hospital: await register(ParticipantKind.Organization, "hospital"),
    pharmacy: await register(ParticipantKind.Pharmacy, "pharmacy"),
  };
}

/**
 * Measures the supply-chain registry for lots of 10,000 packs in 200 cases of 50 on one pallet (the cases committed to
 * only by the pallet's tree): commissioning, packing, shipping and receiving (the pallet whole, then one case released
 * at the distributor), dispensing with and without the lot proof, recorded verification, and the gas per pack moved
 * from manufacturer to dispenser through three tiers, both ways. Constant cost in the lot's and the container's size
 * is shown by rows at 2^20 packs. Returns the verification view's latency line.
 */
export async function benchSupplyChain(system: CareLedgerSystem, gas: GasRecorder): Promise<string[]> {
  const [deployer, , registrar] = await ethers.getSigners();
  if (deployer === undefined || registrar === undefined) throw new Error("the benchmark needs the first accounts");
  const { manufacturer, distributor, hospital, pharmacy } = await partners(
    system.deployment.identityRegistry,
    registrar,
    deployer,
    ethers.provider,
  );
  const client = SupplyChainClient.connect(deployer, system.deployment);
  const [asManufacturer, asDistributor, asHospital, asPharmacy] = [manufacturer, distributor, hospital, pharmacy].map(
    (partner) => client.as(partner.key),
  ) as [SupplyChainClient, SupplyChainClient, SupplyChainClient, SupplyChainClient];
  const measured = async (operation: string, variant: string, sent: Promise<Sent>): Promise<bigint> => {
    const { receipt } = await sent;
    gas.add(S, operation, variant, receipt.gasUsed);
    return receipt.gasUsed;
  };
  await asManufacturer.registerProduct(GTIN);
  const { lot, cases, pallet } = palletize("LOT10K", LOT_SIZE, 1, manufacturer.id);

  const commissioned = await measured("commissionLot", "10,000 packs", asManufacturer.commissionLot(lot, hash("c1")));
  const packed = await measured(
    "pack",
    "pallet of 200 cases of 50 (10,000 packs; cases committed by its tree)",
    asManufacturer.pack(pallet, hash("p1")),
  );
  // Size does not change the cost: the same writes for 2^20 packs (a lot) and 2^20 children (a container).
  const big = buildLot(GTIN, "LOT1M", EXPIRY, ["X1"]);
  await measured(
    "commissionLot",
    "2^20 packs",
    asManufacturer.commissionLot({ ...big, root: hash("root 2^20"), count: 1 << 20 }, hash("c2")),
  );
  const wide = buildContainer(sscc(900), [{ pack: lot.pack(lot.serials()[0]!) }], [lot.lotKey], manufacturer.id);
  await measured(
    "pack",
    "container of 2^20 children",
    asManufacturer.pack({ ...wide, root: hash("children 2^20"), children: new Array(1 << 20) }, hash("p2"), []),
  );

  const shipped = await measured(
    "shipContainer",
    "pallet, manufacturer to distributor",
    asManufacturer.shipContainer(pallet, distributor.id, hash("ti1"), hash("s1")),
  );
  const received = await measured(
    "receiveContainer",
    "pallet, by the distributor",
    asDistributor.receiveContainer(pallet, hash("r1")),
  );
  gas.add(S, "ship + receive", "a container, together", shipped + received);

  // Three tiers, the pallet whole: the distributor sells it on to the hospital.
  const onward = await measured(
    "shipContainer",
    "pallet, distributor to hospital",
    asDistributor.shipContainer(pallet, hospital.id, hash("ti2"), hash("s2")),
  );
  const onwardReceived = await measured(
    "receiveContainer",
    "pallet, by the hospital",
    asHospital.receiveContainer(pallet, hash("r2")),
  );
  const whole = commissioned + packed + shipped + received + onward + onwardReceived;
  gas.add(
    S,
    "custody per pack",
    "10,000 packs, manufacturer to dispenser, the pallet moved whole (3 tiers)",
    whole / BigInt(LOT_SIZE),
  );

  // The hospital unpacks the pallet and dispenses from a case: with the case's proof only, then with the lot proof too.
  const unpacked = await measured("unpack", "pallet of 200 cases", asHospital.unpack(pallet, hash("u1")));
  const case0 = cases[0]!;
  const pathTo = (serial: string) => {
    const pack = lot.pack(serial);
    return [step(case0, case0.proof({ pack })), step(pallet, pallet.proof({ container: case0 }))];
  };
  const [first, second] = [lot.serials()[0]!, lot.serials()[1]!];
  await measured(
    "dispense",
    "10,000-pack lot in cases of 50, no lot proof (manufacturer's case), case in an unpacked pallet",
    asHospital.dispense(lot.pack(first), [], pathTo(first), hash("d1")),
  );
  await measured(
    "dispense",
    "10,000-pack lot in cases of 50, with the lot proof (14 hashes)",
    asHospital.dispense(lot.pack(second), lot.proof(second), pathTo(second), hash("d2")),
  );

  // The pallet split at the distributor: a second lot on a pallet, one case released and sold on, received, dispensed.
  const split = palletize("LOTSPLIT", LOT_SIZE, 1000, manufacturer.id);
  await asManufacturer.commissionLot(split.lot, hash("c3"));
  await asManufacturer.pack(split.pallet, hash("p3"));
  await asManufacturer.shipContainer(split.pallet, distributor.id, hash("ti3"), hash("s3"));
  await asDistributor.receiveContainer(split.pallet, hash("r3"));
  await asDistributor.unpack(split.pallet, hash("u3"));
  const caseA = split.cases[0]!;
  const released = await measured(
    "shipContainer",
    "a case released from an unpacked pallet (its first move alone)",
    asDistributor.shipContainer(caseA, pharmacy.id, hash("ti4"), hash("s4"), [
      step(split.pallet, split.pallet.proof({ container: caseA })),
    ]),
  );
  const caseReceived = await measured(
    "receiveContainer",
    "a case, by the pharmacy",
    asPharmacy.receiveContainer(caseA, hash("r4")),
  );
  const [one, two, three] = split.lot.serials().slice(0, 3) as [string, string, string];
  const inCaseA = (serial: string) => [step(caseA, caseA.proof({ pack: split.lot.pack(serial) }))];
  await measured(
    "dispense",
    "with its proofs (a 10,000-pack lot in cases of 50)",
    asPharmacy.dispense(split.lot.pack(one), [], inCaseA(one), hash("d3")),
  );
  // Per pack, every case sold on alone: the pallet's moves, then one release-and-sale per case of 50.
  const perCase = released + caseReceived;
  const splitTotal = commissioned + packed + shipped + received + unpacked + perCase * BigInt(split.cases.length);
  gas.add(
    S,
    "custody per pack",
    "10,000 packs, manufacturer to dispenser, each case of 50 sold on alone (3 tiers)",
    splitTotal / BigInt(LOT_SIZE),
  );

  // A saleable return: the pharmacy opens the case and sends a pack back alone; the distributor records its
  // verification before resale.
  await asPharmacy.unpack(caseA, hash("u4"));
  await asPharmacy.shipPack(split.lot.pack(two), [], inCaseA(two), distributor.id, hash("ti5"), hash("s5"));
  await asDistributor.receivePack(split.lot.pack(two), hash("r5"));
  await measured(
    "recordVerification",
    "a returned pack (its own record), with its lot proof (10,000-pack lot)",
    asDistributor.recordVerification(split.lot.pack(two), split.lot.proof(two), [], hash("request 1")),
  );
  await measured(
    "recordVerification",
    "a pack in a case, no lot proof (case path)",
    asPharmacy.recordVerification(split.lot.pack(three), [], inCaseA(three), hash("request 2")),
  );

  // Re-aggregation: 20 cases packed on chain (records of their own) sealed on a pallet, which is sold and unpacked
  // releasing them. Per case sealed (and released), the difference from a pallet that seals nothing.
  const sealing = palletize("LOTSEAL", 20 * CASE_SIZE, 2000, manufacturer.id);
  await asManufacturer.commissionLot(sealing.lot, hash("c5"));
  for (const [i, container] of sealing.cases.entries()) await asManufacturer.pack(container, hash(`p-case-${i}`), []);
  const sealedPack = await measured(
    "pack",
    "pallet sealing 20 cases with records (re-aggregation)",
    asManufacturer.pack(sealing.pallet, hash("p5")),
  );
  gas.add(S, "pack", "per case sealed (20 on a pallet, above a pallet sealing none)", (sealedPack - packed) / 20n);
  await asManufacturer.shipContainer(sealing.pallet, distributor.id, hash("ti6"), hash("s6"));
  await asDistributor.receiveContainer(sealing.pallet, hash("r6"));
  const releasedAll = await measured(
    "unpack",
    "pallet releasing its 20 sealed cases",
    asDistributor.unpack(sealing.pallet, hash("u6")),
  );
  gas.add(S, "unpack", "per case released (20, above an unpack releasing none)", (releasedAll - unpacked) / 20n);

  return [`Verification view latency: ${await verificationLatency()}`];
}

// ---------------------------------------------------------------------------------------------------------------------
// The verification view's latency over 1,000 scans against a local node process (anvil)
// ---------------------------------------------------------------------------------------------------------------------

const SCANS = 1_000;

/**
 * 1,000 `verify` calls (`eth_call` over HTTP) for random packs of a 10,000-pack lot on a pallet of cases, each with
 * its lot proof and its custody path, against anvil: median and 95th percentile of the round trip, as a partner's
 * scanner sees it. The contracts are deployed directly (AccessManager, IdentityRegistry, SupplyChain), the registrar
 * role wired by hand: the figure is the view's, not the deployment's.
 */
async function verificationLatency(): Promise<string> {
  if (!anvilInstalled()) return "skipped: anvil is not installed (@foundry-rs/anvil-linux-amd64)";
  const { url, node } = await startAnvil();
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const admin = Wallet.fromPhrase("test test test test test test test test test test test junk", provider);
    const adminAddress = await admin.getAddress();
    const manager = await (await new AccessManager__factory(admin).deploy(adminAddress)).waitForDeployment();
    const identity = await (
      await new IdentityRegistry__factory(admin).deploy(await manager.getAddress())
    ).waitForDeployment();
    const supply = await (
      await new SupplyChain__factory(admin).deploy(await manager.getAddress(), await identity.getAddress())
    ).waitForDeployment();
    const register = IdentityRegistry__factory.createInterface().getFunction("registerParticipant").selector;
    await (await manager.setTargetFunctionRole(await identity.getAddress(), [register], Roles.REGISTRAR)).wait();
    await (await manager.grantRole(Roles.REGISTRAR, adminAddress, 0)).wait();
    const { manufacturer, distributor } = await partners(await identity.getAddress(), admin, admin, provider);
    const deployment = {
      supplyChain: await supply.getAddress(),
      productSafety: await supply.productSafety(),
      deployedAtBlock: await provider.getBlockNumber(),
    };
    const asManufacturer = SupplyChainClient.connect(manufacturer.key, deployment);
    await asManufacturer.registerProduct(GTIN);
    const { lot, cases, pallet } = palletize("LOTSCAN", LOT_SIZE, 5000, manufacturer.id);
    await asManufacturer.commissionLot(lot, hash("lc"));
    await asManufacturer.pack(pallet, hash("lp"));
    await asManufacturer.shipContainer(pallet, distributor.id, hash("lt"), hash("ls"));
    await asManufacturer.as(distributor.key).receiveContainer(pallet, hash("lr"));
    const reader = SupplyChainClient.connect(provider, deployment);
    const times: number[] = [];
    let seed = 7;
    for (let scan = 0; scan < SCANS; scan++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const index = seed % LOT_SIZE;
      const serial = lot.serials()[index]!;
      const pack = lot.pack(serial);
      const container = cases[Math.floor(index / CASE_SIZE)]!;
      const path = [step(container, container.proof({ pack })), step(pallet, pallet.proof({ container }))];
      const started = process.hrtime.bigint();
      const verdict = await reader.verify(pack, lot.proof(serial), path);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (!verdict.saleable || verdict.owner !== distributor.id) throw new Error(`scan ${scan}: not saleable`);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    return `${SCANS.toLocaleString("en-US")} scans of a 10,000-pack lot (lot proof + case + pallet) against anvil over HTTP: median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${at(1).toFixed(2)} ms (EU FMD asks < 300 ms at p95)`;
  } finally {
    provider.destroy();
    node.kill();
  }
}
