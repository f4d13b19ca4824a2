import { id as keccakText, parseEther, type Signer, Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import {
  buildDataBatch,
  categorySet,
  commit,
  ConsentClient,
  DataCategory,
  generateAllocation,
  IdentityClient,
  ParticipantKind,
  Purpose,
  purposeSet,
  type RandomSource,
  type Sent,
  TrialsClient,
} from "../../sdk";
import type { GasRecorder } from "./recorder";

const C = "TrialRegistry";
const P = "TrialProtocol";
const S = "TrialSafety";
const DAY = 86_400n;
/** The case for reveals: a sequence of 1,024 per stratum (two strata: 2,048 leaves, an 11-hash proof). */
const PER_STRATUM = 1024;
const STRATA = 2;
/** The case for results: 20 outcomes reported against 20 pre-specified. */
const OUTCOMES = 20;
/** Participants enrolled before the measured one, so that the row is the steady state of a stratum. */
const ENROLLED_BEFORE = 8;
/** A consortium block: QBFT, a 30,000,000-gas block every 2 seconds (docs/consortium.md#block-period-and-throughput). */
const BLOCK_GAS = 30_000_000n;
const BLOCK_PERIOD = 2n;
/** The largest uint48, every byte nonzero: the same calldata cost on every run, whatever the clock says. */
const FAR_DEADLINE = (1n << 48n) - 1n;

/** A 32-byte value derived from a label: deterministic calldata, so every row is the same on every run. */
const hash = (label: string): string => keccakText(`careledger bench trials: ${label}`);

/** A deterministic random source (counter-mode keccak), so the sequence, its proofs and every row repeat. */
function seeded(seed: string): RandomSource {
  let counter = 0;
  const next = (): string => hash(`${seed} ${counter++}`);
  return { int: (max) => Number(BigInt(next()) % BigInt(max)), salt: next };
}

interface Party {
  key: Wallet;
  id: bigint;
}

async function parties(system: CareLedgerSystem, registrar: Signer, fund: Signer) {
  const wallet = async (label: string) => {
    const key = new Wallet(keccakText(`careledger bench key: trials ${label}`), ethers.provider);
    await (await fund.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
    return key;
  };
  const latest = await ethers.provider.getBlock("latest");
  if (latest === null) throw new Error("no latest block");
  const asRegistrar = IdentityClient.connect(registrar, system.deployment);
  const register = async (kind: ParticipantKind, label: string, affiliation = 0n, org?: Wallet): Promise<Party> => {
    const key = await wallet(label);
    const { id } = await asRegistrar.registerWithKey(
      key,
      {
        kind,
        credentialCommitment: commit(label, hash(`salt ${label}`)).commitment,
        credentialExpiry: BigInt(latest.timestamp) + 3650n * DAY,
        affiliation,
      },
      org,
    );
    return { key, id };
  };
  const sponsor = await register(ParticipantKind.ResearchSponsor, "sponsor");
  const irb = await register(ParticipantKind.Organization, "irb");
  const regulator = await register(ParticipantKind.Regulator, "regulator");
  const irt = await register(ParticipantKind.Organization, "irt");
  const hospital = await register(ParticipantKind.Organization, "site hospital");
  const investigator = await register(ParticipantKind.Practitioner, "investigator", hospital.id, hospital.key);
  return { sponsor, irb, regulator, irt, hospital, investigator, wallet };
}

/** A row's consortium throughput: how many fit a 30,000,000-gas block, and per second at one block every 2 s. */
function throughput(operation: string, gas: bigint): string {
  const perBlock = BLOCK_GAS / gas;
  return `  ${operation.padEnd(58)} ${gas.toLocaleString("en-US").padStart(9)} ${perBlock
    .toLocaleString("en-US")
    .padStart(9)} ${(perBlock / BLOCK_PERIOD).toLocaleString("en-US").padStart(9)}`;
}

/**
 * Measures the trials module on one two-arm trial with 20 pre-specified outcomes and a sequence of 1,024 per stratum
 * (two strata): registration, sites, the allocation commitment, enrollment in the steady state of a stratum (the
 * consent signature, the consent registry's answer for both categories, the next index), the reveal with its proof,
 * data batches, lock, results with 20 outcomes against the 20 pre-specified, an amendment, disclosures, and the
 * safety clock. Returns the consortium throughput the operations imply.
 */
export async function benchTrials(system: CareLedgerSystem, gas: GasRecorder): Promise<string[]> {
  const [deployer, , registrar] = await ethers.getSigners();
  if (deployer === undefined || registrar === undefined) throw new Error("the benchmark needs the first accounts");
  const cast = await parties(system, registrar, deployer);
  const client = TrialsClient.connect(deployer, system.deployment);
  const [asSponsor, asIrb, asIrt, asInvestigator] = [cast.sponsor, cast.irb, cast.irt, cast.investigator].map((p) =>
    client.as(p.key),
  ) as [TrialsClient, TrialsClient, TrialsClient, TrialsClient];
  const measured = async (contract: string, operation: string, variant: string, sent: Promise<Sent>) => {
    const { receipt } = await sent;
    gas.add(contract, operation, variant, receipt.gasUsed);
    return receipt.gasUsed;
  };
  const latest = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  const categories = categorySet(DataCategory.Conditions, DataCategory.LaboratoryResults);
  const outcomes = Array.from({ length: OUTCOMES }, (_, i) => ({ commitment: hash(`outcome ${i}`), primary: i === 0 }));

  await measured(
    C,
    "registerTrial",
    `${OUTCOMES} outcomes`,
    asSponsor.registerTrial({
      protocol: hash("protocol"),
      analysisPlan: hash("sap"),
      consentForm: hash("form v1"),
      outcomes,
      categories,
      // Its low three bytes all set: the same calldata cost whatever the clock (a zero byte costs 12 gas less).
      primaryCompletion: (latest + 730n * DAY) | 0xffffffn,
      ethicsCommittee: cast.irb.id,
      regulator: cast.regulator.id,
      randomizer: cast.irt.id,
    }),
  );
  const trialId = await client.registry.trialCount();
  await measured(C, "proposeSite", "", asSponsor.proposeSite(trialId, cast.hospital.id, cast.investigator.id));
  await measured(C, "activateSite", "", asIrb.activateSite(trialId, 1));
  const sequence = generateAllocation(
    { trialId, arms: 2, strata: STRATA, perStratum: PER_STRATUM },
    seeded("sequence"),
  );
  await measured(
    C,
    "commitAllocation",
    `${STRATA} strata of ${PER_STRATUM}`,
    asSponsor.commitAllocation(trialId, sequence),
  );

  const consent = ConsentClient.connect(deployer, system.deployment);
  const patients: Party[] = [];
  for (let i = 0; i <= ENROLLED_BEFORE; i += 1) {
    const key = await cast.wallet(`patient ${i}`);
    const { id } = await IdentityClient.connect(key, system.deployment).registerPatient();
    await consent.as(key).grant({
      patient: id,
      grantee: cast.sponsor.id,
      categories,
      purposes: purposeSet(Purpose.Research),
      validUntil: latest + 1000n * DAY,
    });
    patients.push({ key, id });
  }
  const signed = (p: Party) => client.signConsent(p.key, trialId, p.id, hash(`signed form ${p.id}`), FAR_DEADLINE, 1);
  let enrollGas = 0n;
  for (const [i, p] of patients.entries()) {
    const sent = asInvestigator.enroll(trialId, 1, p.id, 0, await signed(p));
    if (i === 0) await measured(C, "enroll", "first of the trial (2 categories)", sent);
    else if (i === ENROLLED_BEFORE) enrollGas = await measured(C, "enroll", "steady state (2 categories)", sent);
    else await sent;
  }
  let revealGas = 0n;
  for (const [i, p] of patients.entries()) {
    const sent = asIrt.reveal(trialId, p.id, sequence);
    if (i === ENROLLED_BEFORE) {
      revealGas = await measured(C, "reveal", `with its proof (sequence of ${PER_STRATUM} per stratum)`, sent);
    } else await sent;
  }
  const withdrawn = patients[1]!;
  await measured(C, "withdraw", "by the patient", client.as(withdrawn.key).withdraw(trialId, withdrawn.id, 1));
  await measured(C, "unblind", "emergency, one participant", asInvestigator.unblind(trialId, patients[2]!.id, 1));

  const enrolled = patients.filter((p) => p !== withdrawn);
  const batch = buildDataBatch(
    trialId,
    enrolled.flatMap((p) => Array.from({ length: 4 }, (_, v) => ({ patient: p.id, entry: hash(`crf ${p.id} ${v}`) }))),
  );
  await measured(
    C,
    "anchorData",
    `${enrolled.length} participants, ${batch.count} entries`,
    asInvestigator.anchorData(trialId, 1, batch),
  );

  await measured(
    P,
    "proposeAmendment",
    "new protocol and minor consent form",
    asSponsor.proposeAmendment(trialId, { protocol: hash("protocol v2"), consentForm: hash("form v2") }),
  );
  await measured(P, "approveAmendment", "new consent form version", asIrb.approveAmendment(trialId, 1));

  const { eventId } = await client
    .as(cast.investigator.key)
    .recordAdverseEvent(trialId, patients[3]!.id, hash("sae"), true);
  await measured(S, "assess", "as a SUSAR", asSponsor.assess(trialId, eventId, true));
  await measured(S, "reportSusar", "", asSponsor.reportSusar(trialId, eventId, hash("ind safety report")));
  await measured(
    S,
    "recordAdverseEvent",
    "by the site's investigator",
    client.as(cast.investigator.key).recordAdverseEvent(trialId, patients[4]!.id, hash("sae 2"), false),
  );

  const datasetRoot = hash("final dataset");
  const lockGas = await measured(C, "lock", "", asSponsor.lock(trialId, datasetRoot));
  const resultsGas = await measured(
    P,
    "reportResults",
    `${OUTCOMES} outcomes against ${OUTCOMES} pre-specified`,
    asSponsor.reportResults(
      trialId,
      datasetRoot,
      outcomes.map((o, i) => ({ outcome: o.commitment, result: hash(`result ${i}`), primary: o.primary })),
    ),
  );
  const [disclosed] = await asIrt.discloseArms(
    trialId,
    enrolled.map((p) => p.id),
    sequence,
  );
  gas.add(C, "discloseArms", `${enrolled.length} arms with their proofs`, disclosed!.receipt.gasUsed);

  return [
    `Trials: what the issue's operations imply for a consortium chain (a ${BLOCK_GAS.toLocaleString("en-US")}-gas ` +
      `block every ${BLOCK_PERIOD} s)`,
    `  ${"operation".padEnd(58)} ${"gas".padStart(9)} ${"per block".padStart(9)} ${"per second".padStart(9)}`,
    throughput("enroll a participant (consent checks, next index)", enrollGas),
    throughput(`reveal an allocation with its proof (${PER_STRATUM} per stratum)`, revealGas),
    throughput("lock the database", lockGas),
    throughput(`results, ${OUTCOMES} outcomes against ${OUTCOMES} pre-specified`, resultsGas),
  ];
}
