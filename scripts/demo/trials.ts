import { time } from "@nomicfoundation/hardhat-network-helpers";
import { id as hashText, parseEther, Wallet } from "ethers";
import { ethers } from "hardhat";

import {
  type AllocationSequence,
  auditAllocations,
  buildDataBatch,
  categorySet,
  commit,
  ConsentClient,
  DataCategory,
  formatTrialReport,
  generateAllocation,
  IdentityClient,
  ParticipantKind,
  Purpose,
  purposeSet,
  trialReport,
  TrialsClient,
} from "../../sdk";
import { DAY, day, detail, gas, introduce, listed, nameOf, refused, say, technical } from "./narration";
import { now, type Story } from "./story";

/** The trial's outcomes, by the names the sponsor keeps off chain; the ledger holds only their salted commitments. */
const OUTCOMES = {
  primary: "change in HbA1c from baseline to week 26",
  weight: "change in body weight to week 26",
  hypoglycaemia: "episodes of severe hypoglycaemia to week 26",
  /** Never pre-specified: the sponsor adds it in its results. */
  qualityOfLife: "quality of life (DTSQ score) at week 26",
} as const;

type OutcomeName = keyof typeof OUTCOMES;

/** A participant of the chapter: its id, its key and the client acting with it. */
interface Actor {
  id: bigint;
  key: Wallet;
  client: TrialsClient;
}

/** What the trial scenes share. */
interface TrialScene {
  story: Story;
  reader: TrialsClient;
  sponsor: Actor;
  committee: Actor;
  regulator: Actor;
  irt: Actor;
  bayview: Actor;
  drAmes: Actor;
  lakeside: Actor;
  drNoor: Actor;
  trialId: bigint;
  outcomes: Record<OutcomeName, string>;
  sequence: AllocationSequence;
  /** The root of the final dataset, once locked. */
  datasetRoot: string;
  primaryCompletion: bigint;
}

/** What the chapter ends with, for the story's last line. */
export interface TrialOutcome {
  enrolled: number;
  susars: number;
  notReported: number;
  added: number;
}

/** A fresh key, funded by the deployer (the network's accounts are taken by the earlier chapters). */
async function fundedKey(story: Story): Promise<Wallet> {
  const key = new Wallet(Wallet.createRandom().privateKey, ethers.provider);
  await (await story.cast.deployer.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
  return key;
}

/**
 * Clinical trials: a sponsor registers a two-arm trial with a primary and two secondary outcomes, an ethics committee
 * and a regulator; the committee activates two sites; patients who granted the sponsor research use of their data sign
 * the consent form and are enrolled and randomized from a sequence committed before anyone enrolled; an amendment with
 * a major consent change stops data for a participant until she re-consents; a SUSAR is reported to the regulator on
 * day 5 of its 7-day clock; data batches are anchored and the database locked; the results leave one secondary outcome
 * out and add one never pre-specified, and the ledger's report shows both; the arms are disclosed and audited against
 * the sequence.
 */
export async function trialsChapter(story: Story): Promise<TrialOutcome> {
  // A trial outlives the story's other credentials: its parties' run three years.
  const scene = await registerTrial(story, (await now()) + 3n * 365n * BigInt(DAY));
  await openSites(scene);
  const participants = await enrollAndRandomize(scene);
  await majorAmendment(scene, participants);
  const susars = await seriousAdverseEvent(scene, participants);
  await lockDatabase(scene, participants);
  const { notReported, added } = await reportResults(scene);
  await discloseAndAudit(scene, participants);
  return { enrolled: participants.length, susars, notReported, added };
}

async function registerParties(story: Story, credentialExpiry: bigint) {
  const { cast, system } = story;
  const asRegistrar = IdentityClient.connect(cast.registrar, system.deployment);
  const reader = TrialsClient.connect(ethers.provider, system.deployment);
  const register = async (kind: ParticipantKind, name: string, credential: string, org?: Actor): Promise<Actor> => {
    const key = await fundedKey(story);
    const { id } = await asRegistrar.registerWithKey(
      key,
      { kind, credentialCommitment: commit(credential).commitment, credentialExpiry, affiliation: org?.id ?? 0n },
      org?.key,
    );
    introduce(id, name);
    return { id, key, client: reader.as(key) };
  };
  const sponsor = await register(ParticipantKind.ResearchSponsor, "Northwind Therapeutics", "sponsor: IND 164,220");
  const committee = await register(ParticipantKind.Organization, "the Riverside IRB", "IRB registration IRB00012345");
  const regulator = await register(ParticipantKind.Regulator, "the Medicines Agency", "agency mandate 2027/4");
  const irt = await register(ParticipantKind.Organization, "Allocate IRT", "IRT vendor qualification Q-118");
  const bayview = await register(ParticipantKind.Organization, "Bayview Hospital", "hospital accreditation H-2231");
  const drAmes = await register(ParticipantKind.Practitioner, "Dr. Ames", "medical licence MD-55102", bayview);
  const lakeside = await register(ParticipantKind.Organization, "Lakeside Clinic", "clinic accreditation C-0907");
  const drNoor = await register(ParticipantKind.Practitioner, "Dr. Noor", "medical licence MD-61844", lakeside);
  return { reader, sponsor, committee, regulator, irt, bayview, drAmes, lakeside, drNoor };
}

async function registerTrial(story: Story, credentialExpiry: bigint): Promise<TrialScene> {
  say(
    "The registrar verifies a research sponsor, an ethics committee, a medicines regulator, a randomization service and two trial sites with their investigators.",
  );
  const parties = await registerParties(story, credentialExpiry);
  detail(
    listed([
      "Northwind Therapeutics",
      "the Riverside IRB",
      "the Medicines Agency",
      "Allocate IRT",
      "Bayview Hospital (Dr. Ames)",
      "Lakeside Clinic (Dr. Noor)",
    ]),
  );
  say(
    "Northwind registers a two-arm trial before enrolling anyone: commitments to its protocol, analysis plan and consent form, one primary and two secondary outcomes.",
  );
  const outcomes = Object.fromEntries(
    (Object.keys(OUTCOMES) as OutcomeName[]).map((name) => [name, commit(`outcome: ${OUTCOMES[name]}`).commitment]),
  ) as Record<OutcomeName, string>;
  const completion = (await now()) + 365n * BigInt(DAY);
  const { receipt, trialId, late } = await parties.sponsor.client.registerTrial({
    protocol: commit("protocol NW-204 v1").commitment,
    analysisPlan: commit("statistical analysis plan NW-204 v1").commitment,
    consentForm: commit("informed consent form NW-204 v1").commitment,
    outcomes: [
      { commitment: outcomes.primary, primary: true },
      { commitment: outcomes.weight, primary: false },
      { commitment: outcomes.hypoglycaemia, primary: false },
    ],
    categories: categorySet(DataCategory.Conditions, DataCategory.LaboratoryResults),
    primaryCompletion: completion,
    ethicsCommittee: parties.committee.id,
    regulator: parties.regulator.id,
    randomizer: parties.irt.id,
  });
  detail(`trial ${trialId}, registered on ${day(await now())}${late ? " LATE" : ""}${gas(receipt)}`);
  detail(`primary outcome: ${OUTCOMES.primary}; secondary: ${OUTCOMES.weight}; ${OUTCOMES.hypoglycaemia}`);
  detail(
    `results due 12 months after primary completion (${day(completion)}): by ${day(completion + 365n * BigInt(DAY))}`,
  );
  technical(`outcome commitments: ${Object.values(outcomes).slice(0, 3).join(", ")}`);
  return {
    ...parties,
    story,
    trialId,
    outcomes,
    sequence: undefined as unknown as AllocationSequence,
    datasetRoot: "",
    primaryCompletion: completion,
  };
}

async function openSites(scene: TrialScene): Promise<void> {
  const { sponsor, committee, trialId } = scene;
  say("Northwind proposes Bayview Hospital and Lakeside Clinic as sites; the Riverside IRB activates them.");
  await sponsor.client.proposeSite(trialId, scene.bayview.id, scene.drAmes.id);
  await sponsor.client.proposeSite(trialId, scene.lakeside.id, scene.drNoor.id);
  detail(
    `Northwind activates Bayview itself: ${await refused(() => sponsor.client.activateSite(trialId, 1), "TrialNotEthicsCommittee", "only the trial's ethics committee activates a site")}`,
  );
  await committee.client.activateSite(trialId, 1);
  await committee.client.activateSite(trialId, 2);
  detail("both sites active: their investigators may enroll");

  say(
    "Allocate IRT generates the concealed allocation sequence — permuted blocks of 2 and 4 in each of two strata — and Northwind commits its root before the first enrollment.",
  );
  const sequence = generateAllocation({ trialId, arms: 2, strata: 2, perStratum: 64, blockSizes: [2, 4] });
  const { receipt } = await sponsor.client.commitAllocation(trialId, sequence);
  scene.sequence = sequence;
  detail(
    `128 entries, each the commitment to an arm and a random salt: no site can know an arm before it enrolls, and no one can change the sequence after${gas(receipt)}`,
  );
  technical(`root ${sequence.root}`);
}

async function enrollAndRandomize(scene: TrialScene): Promise<Actor[]> {
  const { story, sponsor, trialId, drAmes, drNoor, irt } = scene;
  const consent = ConsentClient.connect(story.cast.deployer, story.system.deployment);
  say(
    "Four patients register; three grant Northwind research use of their conditions and laboratory results in the consent registry, and sign consent form version 1.",
  );
  const patients: Actor[] = [];
  for (const name of ["Ben", "Carla", "Dev", "Elena"]) {
    const key = await fundedKey(story);
    const { id } = await IdentityClient.connect(key, story.system.deployment).registerPatient();
    introduce(id, name);
    patients.push({ id, key, client: scene.reader.as(key) });
  }
  const [ben, carla, dev, elena] = patients as [Actor, Actor, Actor, Actor];
  for (const p of [ben, carla, dev]) {
    await consent.as(p.key).grant({
      patient: p.id,
      grantee: sponsor.id,
      categories: categorySet(DataCategory.Conditions, DataCategory.LaboratoryResults),
      purposes: purposeSet(Purpose.Research),
      validUntil: (await now()) + 730n * BigInt(DAY),
    });
  }
  const sites: [Actor, number, Actor, number][] = [
    [ben, 1, drAmes, 0],
    [carla, 2, drNoor, 1],
    [dev, 2, drNoor, 0],
  ];
  say(
    "The investigators enroll them; each enrollment takes the next index of the participant's stratum, and only then does Allocate IRT reveal the allocation.",
  );
  for (const [p, site, investigator, stratum] of sites) {
    const signed = await scene.reader.signConsent(
      p.key,
      trialId,
      p.id,
      hashText(`signed form v1 ${p.id}`),
      (await now()) + 7n * BigInt(DAY),
      site,
    );
    const { receipt, index } = await investigator.client.enroll(trialId, site, p.id, stratum, signed);
    const revealed = await irt.client.reveal(trialId, p.id, scene.sequence);
    detail(
      `${nameOf(p.id)} enrolled by ${nameOf(investigator.id)} in stratum ${stratum}, index ${index}; allocation revealed and proven against the committed root, the arm still concealed${gas(receipt, revealed.receipt)}`,
    );
  }
  const elenaSigned = await scene.reader.signConsent(
    elena.key,
    trialId,
    elena.id,
    hashText(`signed form v1 ${elena.id}`),
    (await now()) + 7n * BigInt(DAY),
    1,
  );
  detail(
    `Elena signed the form but granted Northwind nothing in the consent registry: ${await refused(() => drAmes.client.enroll(trialId, 1, elena.id, 0, elenaSigned), "TrialConsentNotGranted", "the consent registry does not allow the sponsor her data for research")}`,
  );
  return [ben, carla, dev];
}

async function majorAmendment(scene: TrialScene, participants: Actor[]): Promise<void> {
  const { sponsor, committee, trialId, drAmes } = scene;
  const [ben] = participants as [Actor];
  say("Northwind amends the protocol with a new consent form, a major change (a new risk); the IRB approves it.");
  const { amendmentId } = await sponsor.client.proposeAmendment(trialId, {
    protocol: commit("protocol NW-204 v2").commitment,
    consentForm: commit("informed consent form NW-204 v2").commitment,
    majorConsentChange: true,
  });
  const { consentVersion } = await committee.client.approveAmendment(trialId, amendmentId);
  detail(
    `amendment ${amendmentId} in effect: consent form version ${consentVersion}, every participant must re-consent`,
  );
  const visit = buildDataBatch(trialId, [{ patient: ben.id, entry: commit("Ben week 4 visit CRF").commitment }]);
  detail(
    `Dr. Ames anchors Ben's week-4 visit: ${await refused(() => drAmes.client.anchorData(trialId, 1, visit), "TrialReconsentRequired", "Ben has not signed version 2 yet")}`,
  );
  const signed = await scene.reader.signConsent(
    ben.key,
    trialId,
    ben.id,
    hashText(`signed form v2 ${ben.id}`),
    (await now()) + 7n * BigInt(DAY),
  );
  await drAmes.client.reconsent(trialId, ben.id, signed);
  const { batchId } = await drAmes.client.anchorData(trialId, 1, visit);
  detail(`Ben signs version 2; the visit is anchored as batch ${batchId}`);
  for (const p of participants.slice(1)) {
    const again = await scene.reader.signConsent(
      p.key,
      trialId,
      p.id,
      hashText(`signed form v2 ${p.id}`),
      (await now()) + 7n * BigInt(DAY),
    );
    await p.client.reconsent(trialId, p.id, again);
  }
  detail("Carla and Dev re-consent too");
}

async function seriousAdverseEvent(scene: TrialScene, participants: Actor[]): Promise<number> {
  const { sponsor, drNoor, trialId } = scene;
  const [, carla] = participants as [Actor, Actor];
  say(
    "Dr. Noor records a life-threatening serious adverse event of Carla's: Northwind is aware now, and a SUSAR is due to the regulator within 7 days.",
  );
  const { eventId, deadline } = await drNoor.client.recordAdverseEvent(
    trialId,
    carla.id,
    commit("SAE form: Carla, hospitalised, severe hypoglycaemia").commitment,
    true,
  );
  detail(`event ${eventId}, reporting due by ${day(deadline)}`);
  await time.increase(5 * DAY);
  await sponsor.client.assess(trialId, eventId, true);
  const { late } = await sponsor.client.reportSusar(trialId, eventId, commit("IND safety report 2027-0193").commitment);
  detail(
    `on day 5 Northwind assesses it as a suspected unexpected serious adverse reaction and reports it: ${late ? "late" : "on time"}`,
  );
  return 1;
}

async function lockDatabase(scene: TrialScene, participants: Actor[]): Promise<void> {
  const { sponsor, drAmes, drNoor, trialId } = scene;
  const [ben, carla, dev] = participants as [Actor, Actor, Actor];
  say(
    "The sites anchor the case-report data in Merkle batches; Northwind locks the database with the root of the final dataset.",
  );
  const week26 = (p: Actor) =>
    [1, 2, 3].map((v) => ({ patient: p.id, entry: commit(`${nameOf(p.id)} week 26 CRF ${v}`).commitment }));
  const bayviewBatch = buildDataBatch(trialId, week26(ben));
  const lakesideBatch = buildDataBatch(trialId, [...week26(carla), ...week26(dev)]);
  await drAmes.client.anchorData(trialId, 1, bayviewBatch);
  await drNoor.client.anchorData(trialId, 2, lakesideBatch);
  detail(`${bayviewBatch.count + lakesideBatch.count} entries in two batches`);
  scene.datasetRoot = commit("NW-204 final dataset").commitment;
  const { receipt } = await sponsor.client.lock(trialId, scene.datasetRoot);
  detail(`locked${gas(receipt)}`);
  const late = buildDataBatch(trialId, [{ patient: dev.id, entry: commit("Dev late lab result").commitment }]);
  detail(
    `Dr. Noor anchors a late laboratory result: ${await refused(() => drNoor.client.anchorData(trialId, 2, late), "TrialDatabaseLocked", "no data after the lock; unlocking needs Northwind and the IRB or the regulator together")}`,
  );
}

async function reportResults(scene: TrialScene): Promise<{ notReported: number; added: number }> {
  const { sponsor, trialId, outcomes } = scene;
  say(
    "Northwind reports its results against the locked dataset — the primary outcome, body weight, and a quality-of-life score it never pre-specified; hypoglycaemia is left out.",
  );
  const dataset = scene.datasetRoot;
  // Results come after the primary completion (a report before it would not meet the deadline): the last
  // participant's week-26 visit is the completion date Northwind registered.
  await time.increaseTo(scene.primaryCompletion + BigInt(DAY));
  detail(`the primary completion date, ${day(scene.primaryCompletion)}, has passed`);
  const result = (name: string) => commit(`result: ${name}`).commitment;
  const { comparison, receipt } = await sponsor.client.reportResults(trialId, dataset, [
    { outcome: outcomes.primary, result: result("HbA1c −0.9 % vs −0.4 %"), primary: true },
    { outcome: outcomes.weight, result: result("weight −2.1 kg vs −0.3 kg"), primary: false },
    { outcome: outcomes.qualityOfLife, result: result("DTSQ +4.2 vs +1.1"), primary: false },
  ]);
  detail(`the ledger compares them with the pre-specified outcomes as the report is recorded${gas(receipt)}:`);
  const labels = Object.fromEntries(
    (Object.keys(OUTCOMES) as OutcomeName[]).map((name) => [outcomes[name], OUTCOMES[name]]),
  );
  for (const line of formatTrialReport(await trialReport(scene.reader, trialId), labels)) detail(`  ${line}`);
  const missing = comparison.notReported
    .toString(2)
    .split("")
    .filter((bit) => bit === "1").length;
  return { notReported: missing, added: comparison.added };
}

async function discloseAndAudit(scene: TrialScene, participants: Actor[]): Promise<void> {
  const { irt, trialId, sequence, reader } = scene;
  say("After the lock Allocate IRT discloses the arms; anyone can audit them against the committed sequence.");
  await irt.client.discloseArms(
    trialId,
    participants.map((p) => p.id),
    sequence,
  );
  const revealed = await reader.registry.queryFilter(reader.registry.filters.AllocationRevealed(trialId));
  const arms = new Map<bigint, number>();
  for (const p of participants) {
    const subject = await reader.subject(trialId, p.id);
    if (subject.arm !== undefined) arms.set(p.id, subject.arm);
  }
  const recorded = revealed.map((e) => ({
    patient: e.args.patient,
    stratum: Number(e.args.stratum),
    index: Number(e.args.index),
    armCommitment: e.args.armCommitment,
    ...(arms.has(e.args.patient) ? { arm: arms.get(e.args.patient)! } : {}),
  }));
  const taken = await Promise.all(
    [0, 1].map(async (s) => Number(await reader.registry.nextAllocationIndex(trialId, s))),
  );
  const audit = auditAllocations(sequence, recorded, taken);
  for (const p of participants) detail(`${nameOf(p.id)}: arm ${arms.get(p.id) === 0 ? "A" : "B"}`);
  const clean = [audit.mismatched, audit.reused, audit.skipped, audit.wrongArms, audit.unrevealed].every(
    (l) => l.length === 0,
  );
  detail(
    `audit: ${clean ? "every reveal and arm matches the committed sequence; no index was skipped or reused" : "DISCREPANCIES FOUND"}`,
  );
  if (!clean) throw new Error("the allocation audit found discrepancies");
}
