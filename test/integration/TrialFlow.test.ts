import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { HDNodeWallet } from "ethers";
import { ethers } from "hardhat";

import {
  AdverseEventStatus,
  type AllocationSequence,
  auditAllocations,
  buildDataBatch,
  CareLedgerError,
  commit,
  type DataBatchTree,
  dataProof,
  formatTrialReport,
  generateAllocation,
  openingOf,
  type RecordedAllocation,
  revealOf,
  type Sent,
  SubjectStatus,
  TrialAmendmentStatus,
  type TrialEvent,
  type TrialReport,
  trialReport,
  TrialsClient,
  TrialStatus,
} from "../../sdk";
import { DAY as DAY_SECONDS } from "../fixtures/identity";
import { TRIAL_CATEGORIES, type TrialsFixture, trialsFixture } from "../fixtures/trials";

const DAY = BigInt(DAY_SECONDS);
/** `TrialProtocol.RESULTS_WINDOW` and `TrialRegistry.REGISTRATION_WINDOW`. */
const RESULTS_WINDOW = 365n * DAY;
const REGISTRATION_WINDOW = 21n * DAY;

/** The trial's outcomes by the names the sponsor keeps off chain; the ledger holds only their salted commitments. */
const OUTCOMES = {
  primary: "change in HbA1c from baseline to week 26",
  weight: "change in body weight to week 26",
  hypoglycaemia: "episodes of severe hypoglycaemia to week 26",
  /** Never pre-specified: the sponsor adds it in its results. */
  qualityOfLife: "quality of life (DTSQ score) at week 26",
} as const;
type OutcomeName = keyof typeof OUTCOMES;
const OUTCOME = Object.fromEntries(
  (Object.keys(OUTCOMES) as OutcomeName[]).map((name) => [name, commit(`outcome: ${OUTCOMES[name]}`).commitment]),
) as Record<OutcomeName, string>;
/** What a reader of the report holds off chain: commitment → name. */
const LABELS = Object.fromEntries((Object.keys(OUTCOMES) as OutcomeName[]).map((n) => [OUTCOME[n], OUTCOMES[n]]));

/** The date `formatTrialReport` prints for a time (UTC). */
const isoDate = (seconds: bigint): string => new Date(Number(seconds) * 1000).toISOString().slice(0, 10);
const salted = (label: string): string => commit(label).commitment;

/** The fixture's cast, each acting through its own `TrialsClient`. */
interface Cast {
  f: TrialsFixture;
  /** A read-only client on the provider. */
  reader: TrialsClient;
  sponsor: TrialsClient;
  committee: TrialsClient;
  irt: TrialsClient;
  /** Site 1's investigator (the hospital's cardiologist) and site 2's (the clinic's doctor). */
  investigators: Record<1 | 2, TrialsClient>;
}

interface Participant {
  id: bigint;
  key: HDNodeWallet;
  site: 1 | 2;
  stratum: number;
}

async function castOf(): Promise<Cast> {
  const f = await loadFixture(trialsFixture);
  // Anyone reads the ledger: the reader (an auditor, a journalist) holds no key.
  const reader = TrialsClient.connect(ethers.provider, f.deployment);
  return {
    f,
    reader,
    sponsor: reader.as(f.sponsorKey),
    committee: reader.as(f.ethicsCommitteeKey),
    irt: reader.as(f.randomizerKey),
    investigators: { 1: reader.as(f.cardiologistKey), 2: reader.as(f.clinicDoctorKey) },
  };
}

/** When the transaction was mined. */
async function minedAt(sent: Sent): Promise<bigint> {
  return BigInt((await sent.receipt.getBlock()).timestamp);
}

async function inAWeek(): Promise<bigint> {
  return BigInt(await time.latest()) + 7n * DAY;
}

/** Runs `action` and returns the custom error the client rethrew its refusal as. */
async function refusal(action: () => Promise<unknown>): Promise<CareLedgerError> {
  const outcome = await action().then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof CareLedgerError)) throw new Error(`expected a CareLedgerError, got ${String(outcome)}`);
  return outcome;
}

// ---- the steps of a trial ----------------------------------------------------------------------------------------

/** The sponsor registers a new trial (beside the fixture's) with the fixture's parties and three outcomes. */
async function registerTrial(cast: Cast, primaryCompletion: bigint): Promise<Sent & { trialId: bigint }> {
  const registered = await cast.sponsor.registerTrial({
    protocol: salted("protocol NW-204 v1"),
    analysisPlan: salted("statistical analysis plan NW-204 v1"),
    consentForm: salted("informed consent form NW-204 v1"),
    outcomes: [
      { commitment: OUTCOME.primary, primary: true },
      { commitment: OUTCOME.weight, primary: false },
      { commitment: OUTCOME.hypoglycaemia, primary: false },
    ],
    categories: TRIAL_CATEGORIES,
    primaryCompletion,
    ...cast.f.parties,
  });
  expect(registered.trialId).to.equal(cast.f.trialId + 1n);
  expect(registered.late).to.equal(false);
  return registered;
}

/** The sponsor proposes the hospital (site 1) and the clinic (site 2); the ethics committee activates both. */
async function openSites(cast: Cast, trialId: bigint): Promise<void> {
  const { f } = cast;
  const hospital = await cast.sponsor.proposeSite(trialId, f.hospitalId, f.cardiologistId);
  const clinic = await cast.sponsor.proposeSite(trialId, f.clinicId, f.clinicDoctorId);
  expect([hospital.site, clinic.site]).to.deep.equal([1, 2]);
  await cast.committee.activateSite(trialId, 1);
  await cast.committee.activateSite(trialId, 2);
}

/** The randomization service's sequence (two arms), committed by the sponsor before anyone is enrolled. */
async function commitSequence(
  cast: Cast,
  trialId: bigint,
  strata: number,
  perStratum: number,
): Promise<AllocationSequence> {
  const sequence = generateAllocation({ trialId, arms: 2, strata, perStratum });
  await cast.sponsor.commitAllocation(trialId, sequence);
  return sequence;
}

/** A new patient who granted the sponsor the trial's categories for research, to be enrolled at `site`. */
async function newParticipant(cast: Cast, site: 1 | 2, stratum: number): Promise<Participant> {
  const { id, key } = await cast.f.newPatient();
  return { id, key, site, stratum };
}

/** The patient signs the current consent form version at their site. */
function signedForm(cast: Cast, trialId: bigint, p: Participant, deadline: bigint, form: string) {
  return cast.reader.signConsent(p.key, trialId, p.id, salted(`${form} signed by ${p.id}`), deadline, p.site);
}

/** The site's investigator enrolls the participant; the randomization service reveals the allocation taken. */
async function enrollAndReveal(
  cast: Cast,
  trialId: bigint,
  sequence: AllocationSequence,
  p: Participant,
): Promise<Sent & { index: number }> {
  const signed = await signedForm(cast, trialId, p, await inAWeek(), "consent form v1");
  const enrolled = await cast.investigators[p.site].enroll(trialId, p.site, p.id, p.stratum, signed);
  const { armCommitment } = await cast.irt.reveal(trialId, p.id, sequence);
  expect(armCommitment).to.equal(revealOf(sequence, p.stratum, enrolled.index).armCommitment);
  return enrolled;
}

/** What the registry recorded of the allocations, read from the trial's events, for `auditAllocations`. */
function recordedAllocations(events: readonly TrialEvent[]): RecordedAllocation[] {
  const arms = new Map<bigint, number>();
  for (const e of events.filter((x) => x.name === "ArmDisclosed")) {
    arms.set(e.args.getValue("patient") as bigint, Number(e.args.getValue("arm")));
  }
  return events
    .filter((e) => e.name === "AllocationRevealed")
    .map((e) => {
      const patient = e.args.getValue("patient") as bigint;
      const arm = arms.get(patient);
      return {
        patient,
        stratum: Number(e.args.getValue("stratum")),
        index: Number(e.args.getValue("index")),
        armCommitment: e.args.getValue("armCommitment") as string,
        ...(arm === undefined ? {} : { arm }),
      };
    });
}

/** The one safety line of the formatted report. */
function safetyLine(report: TrialReport): string | undefined {
  return formatTrialReport(report, LABELS).find((line) => line.startsWith("  #1 "));
}

function resultsLine(report: TrialReport): string | undefined {
  return formatTrialReport(report, LABELS).find((line) => line.startsWith("Results: "));
}

describe("Integration: a clinical trial through the SDK", function () {
  it("runs a trial from registration to disclosed arms, and the ledger's report shows what happened", async () => {
    const cast = await castOf();
    const { f, reader, sponsor, committee, irt, investigators } = cast;

    // Registration, sites and the concealed allocation sequence, before anyone is enrolled.
    const primaryCompletion = BigInt(await time.latest()) + 180n * DAY;
    const registration = await registerTrial(cast, primaryCompletion);
    const { trialId } = registration;
    await openSites(cast, trialId);
    const sequence = await commitSequence(cast, trialId, 2, 8);

    // Three patients sign consent form version 1 and are enrolled at their sites, each allocation then revealed.
    const ana = await newParticipant(cast, 1, 0);
    const bo = await newParticipant(cast, 2, 1);
    const cy = await newParticipant(cast, 2, 0);
    const firstEnrollment = await enrollAndReveal(cast, trialId, sequence, ana);
    expect(firstEnrollment.index).to.equal(0);
    expect((await enrollAndReveal(cast, trialId, sequence, bo)).index).to.equal(0);
    expect((await enrollAndReveal(cast, trialId, sequence, cy)).index).to.equal(1);

    // A fourth patient signs version 1, but a major consent change takes effect before her enrollment.
    const dee = await newParticipant(cast, 1, 1);
    const signedV1 = await signedForm(cast, trialId, dee, await inAWeek(), "consent form v1");
    const { amendmentId } = await sponsor.proposeAmendment(trialId, {
      protocol: salted("protocol NW-204 v2"),
      consentForm: salted("informed consent form NW-204 v2"),
      majorConsentChange: true,
    });
    expect(amendmentId).to.equal(1);
    expect((await committee.approveAmendment(trialId, amendmentId)).consentVersion).to.equal(2);
    const stale = await refusal(() => investigators[1].enroll(trialId, 1, dee.id, dee.stratum, signedV1));
    expect([stale.errorName, ...stale.args]).to.deep.equal(["TrialStaleConsentVersion", trialId, 1n, 2n]);

    // No data for a participant until she signs version 2.
    const anaVisit = buildDataBatch(trialId, [{ patient: ana.id, entry: salted("Ana week 4 CRF") }]);
    const reconsentFirst = await refusal(() => investigators[1].anchorData(trialId, 1, anaVisit));
    expect([reconsentFirst.errorName, ...reconsentFirst.args]).to.deep.equal([
      "TrialReconsentRequired",
      trialId,
      ana.id,
      1n,
      2n,
    ]);
    for (const p of [ana, bo, cy]) {
      const signed = await reader.signConsent(p.key, trialId, p.id, salted(`v2 of ${p.id}`), await inAWeek());
      await investigators[p.site].reconsent(trialId, p.id, signed);
    }
    expect((await enrollAndReveal(cast, trialId, sequence, dee)).index).to.equal(1);

    // A life-threatening SAE recorded by the clinic's investigator, reported as a SUSAR on day 3 of its 7-day clock.
    const sae = await investigators[2].recordAdverseEvent(trialId, bo.id, salted("SAE form: Bo, hospitalised"), true);
    const awareAt = await minedAt(sae);
    expect(sae.eventId).to.equal(1);
    expect(sae.deadline).to.equal(awareAt + 7n * DAY);
    await time.increase(3 * DAY_SECONDS);
    await sponsor.assess(trialId, sae.eventId, true);
    const susar = await sponsor.reportSusar(trialId, sae.eventId, salted("IND safety report 2027-0193"));
    expect(susar.late).to.equal(false);
    const susarAt = await minedAt(susar);

    // Case-report data anchored per site; a proof of one entry checks against the batch's root on chain.
    const week26 = new Map(
      [ana, bo, cy, dee].map((p) => [
        p,
        [1, 2].map((v) => ({ patient: p.id, entry: salted(`${p.id} week 26 CRF ${v}`) })),
      ]),
    );
    const entriesOf = (p: Participant) => week26.get(p)!;
    const batches: [1 | 2, DataBatchTree][] = [
      [1, buildDataBatch(trialId, [...entriesOf(ana), ...entriesOf(dee)])],
      [2, buildDataBatch(trialId, [...entriesOf(bo), ...entriesOf(cy)])],
    ];
    for (const [site, batch] of batches) {
      const { batchId } = await investigators[site].anchorData(trialId, site, batch);
      expect(batchId).to.equal(site);
    }
    const [, clinicBatch] = batches[1]!;
    const entry = entriesOf(bo)[0]!.entry;
    const proof = dataProof(clinicBatch, bo.id, entry);
    // `TrialsClient` has no `verifyData` of its own: the check goes through its typed registry contract.
    expect(await reader.registry.verifyData(trialId, 2, bo.id, entry, proof)).to.equal(true);
    // The same proof shows nothing for another participant, nor in the hospital's batch.
    expect(await reader.registry.verifyData(trialId, 2, cy.id, entry, proof)).to.equal(false);
    expect(await reader.registry.verifyData(trialId, 1, bo.id, entry, proof)).to.equal(false);

    // The primary completion date comes (a report before it would not meet the deadline); the lock, then results:
    // hypoglycaemia (pre-specified, secondary) left out, quality of life added.
    await time.increaseTo(primaryCompletion);
    const datasetRoot = salted("NW-204 final dataset");
    await sponsor.lock(trialId, datasetRoot);
    const result = (label: string) => salted(`result: ${label}`);
    const results = await sponsor.reportResults(trialId, datasetRoot, [
      { outcome: OUTCOME.primary, result: result("HbA1c −0.9 % vs −0.4 %"), primary: true },
      { outcome: OUTCOME.weight, result: result("weight −2.1 kg vs −0.3 kg"), primary: false },
      { outcome: OUTCOME.qualityOfLife, result: result("DTSQ +4.2 vs +1.1"), primary: false },
    ]);
    const hypoglycaemiaBit = 1n << 2n;
    expect(results).to.deep.include({
      version: 1,
      late: false,
      comparison: { notReported: hypoglycaemiaBit, added: 1, primaryChanged: false },
    });
    const reportedAt = await minedAt(results);

    // The randomization service discloses every arm, after the lock.
    const participants = [ana, bo, cy, dee];
    expect(
      await irt.discloseArms(
        trialId,
        participants.map((p) => p.id),
        sequence,
      ),
    ).to.have.length(1);

    // ---- the client's views ----
    const trial = await reader.trial(trialId);
    expect(trial).to.deep.include({
      trialId,
      sponsor: f.sponsorId,
      ethicsCommittee: f.ethicsCommitteeId,
      regulator: f.regulatorId,
      randomizer: f.randomizerId,
      status: TrialStatus.Locked,
      consentVersion: 2,
      majorConsentVersion: 2,
      categories: TRIAL_CATEGORIES,
      enrolled: 4,
      sites: 2,
      strata: 2,
      perStratum: 8,
      registeredAt: await minedAt(registration),
      firstEnrolledAt: await minedAt(firstEnrollment),
      allocationRoot: sequence.root,
      datasetRoot,
    });
    expect(trial.lockedAt).to.be.greaterThan(0n);
    expect(trial.unblindedAt).to.be.greaterThanOrEqual(trial.lockedAt);
    const arms = participants.map((p, i) => openingOf(sequence, p.stratum, [0, 0, 1, 1][i]!).arm);
    for (const [i, p] of participants.entries()) {
      expect((await reader.subject(trialId, p.id)).arm, `arm of participant ${i}`).to.equal(arms[i]);
    }
    const boSubject = await reader.subject(trialId, bo.id);
    expect(boSubject).to.deep.include({
      status: SubjectStatus.Enrolled,
      site: 2,
      stratum: 1,
      allocationIndex: 0,
      consentedVersion: 2,
      nonce: 2,
      revealed: true,
      emergencyUnblinded: false,
      arm: arms[1],
    });
    expect(boSubject.enrolledAt).to.be.greaterThan(0n);
    expect(await reader.outcomes(trialId)).to.deep.equal(
      [OUTCOME.primary, OUTCOME.weight, OUTCOME.hypoglycaemia].map((commitment, i) => ({
        commitment,
        current: true,
        currentPrimary: i === 0,
        preSpecified: true,
        preSpecifiedPrimary: i === 0,
      })),
    );
    const adverse = await reader.adverseEvents(trialId);
    expect(adverse).to.have.length(1);
    expect(adverse[0]).to.deep.include({
      eventId: 1,
      patient: bo.id,
      reporter: f.clinicDoctorId,
      status: AdverseEventStatus.Reported,
      lifeThreatening: true,
      awareAt,
      deadline: sae.deadline,
      reportedAt: susarAt,
    });

    // ---- the transparency report ----
    const report = await trialReport(reader, trialId);
    expect(report).to.deep.include({
      status: TrialStatus.Locked,
      enrolled: 4,
      registrationLate: false,
      primaryCompletion,
      resultsDue: primaryCompletion + RESULTS_WINDOW,
      firstReportedAt: reportedAt,
      resultsLate: false,
      allocation: { enrolled: 4, revealed: 4, disclosed: 4 },
    });
    expect(report.outcomes.map((o) => [o.commitment, o.preSpecified, o.specifiedBy])).to.deep.equal([
      [OUTCOME.primary, true, 0],
      [OUTCOME.weight, true, 0],
      [OUTCOME.hypoglycaemia, true, 0],
    ]);
    expect(report.amendments).to.deep.equal([
      {
        amendmentId: 1,
        status: TrialAmendmentStatus.Approved,
        changesOutcomes: false,
        afterUnblinding: false,
        afterLock: false,
        consentVersion: 2,
      },
    ]);
    expect(report.results).to.have.length(1);
    const [version1] = report.results as [TrialReport["results"][number]];
    expect(version1).to.deep.include({
      version: 1,
      late: false,
      comparison: { notReported: hypoglycaemiaBit, added: 1, primaryChanged: false },
      notReported: [{ outcome: OUTCOME.hypoglycaemia, primary: false }],
    });
    expect(version1.reported).to.deep.equal([
      { outcome: OUTCOME.primary, primary: true, preSpecified: true },
      { outcome: OUTCOME.weight, primary: false, preSpecified: true },
      { outcome: OUTCOME.qualityOfLife, primary: false, preSpecified: false },
    ]);
    expect(report.safety).to.have.length(1);
    expect(report.safety[0]).to.deep.include({ eventId: 1, late: false, overdue: false });

    const firstEnrolledAt = await minedAt(firstEnrollment);
    expect(formatTrialReport(report, LABELS)).to.deep.equal([
      `Trial ${trialId}: Locked, 4 enrolled`,
      `Registration: ${isoDate(await minedAt(registration))}, first enrollment ${isoDate(firstEnrolledAt)}, ` +
        `due by ${isoDate(firstEnrolledAt + REGISTRATION_WINDOW)}: on time`,
      `Results: due ${isoDate(primaryCompletion + RESULTS_WINDOW)}, first reported ${isoDate(reportedAt)}: on time`,
      "Pre-specified outcomes:",
      `  primary   ${OUTCOMES.primary}`,
      `  secondary ${OUTCOMES.weight}`,
      `  secondary ${OUTCOMES.hypoglycaemia}`,
      "Results report 1:",
      "  pre-specified outcomes reported: 2 of 3",
      "  NOT REPORTED: secondary episodes of severe hypoglycaemia to week 26",
      "  ADDED, never pre-specified: secondary quality of life (DTSQ score) at week 26",
      "  primary outcome as pre-specified",
      "Serious adverse events: 1",
      `  #1 (7-day clock, aware ${isoDate(awareAt)}): reported to the regulator ${isoDate(susarAt)}, on time`,
      "Allocation: 4 of 4 enrolled revealed against the committed sequence, 4 disclosed",
    ]);

    // ---- the audit of the allocations against the committed sequence, from the trial's events ----
    const events = await reader.events(trialId);
    const taken = await Promise.all(
      [0, 1].map(async (s) => Number(await reader.registry.nextAllocationIndex(trialId, s))),
    );
    expect(taken).to.deep.equal([2, 2]);
    const armCounts = [0, 1].map((arm) => arms.filter((a) => a === arm).length);
    expect(auditAllocations(sequence, recordedAllocations(events), taken)).to.deep.equal({
      mismatched: [],
      reused: [],
      skipped: [],
      wrongArms: [],
      unrevealed: [],
      armCounts,
    });

    // ---- every event of the flow, in order, from the three contracts ----
    const enrolled = ["ConsentSigned", "ParticipantEnrolled", "AllocationRevealed"];
    expect(events.map((e) => e.name)).to.deep.equal([
      ...Array<string>(3).fill("OutcomeSpecified"),
      "PrimaryCompletionSet",
      "TrialRegistered",
      "SiteProposed",
      "SiteProposed",
      "SiteStatusChanged",
      "SiteStatusChanged",
      "AllocationCommitted",
      ...enrolled,
      ...enrolled,
      ...enrolled,
      "AmendmentProposed",
      "AmendmentApproved",
      ...Array<string>(3).fill("ConsentSigned"),
      ...enrolled,
      "AdverseEventRecorded",
      "AdverseEventAssessed",
      "SusarReported",
      "DataAnchored",
      "DataAnchored",
      "DatabaseLocked",
      ...Array<string>(3).fill("OutcomeReported"),
      "OutcomeNotReported",
      "ResultsReported",
      ...Array<string>(4).fill("ArmDisclosed"),
    ]);
    expect(events.every((e) => e.args.getValue("trialId") === trialId)).to.equal(true);
  });

  it("flags results never reported past their due date, and an SAE left unassessed past its 7-day clock", async () => {
    const cast = await castOf();
    const { f, reader, sponsor, committee, investigators } = cast;
    const primaryCompletion = BigInt(await time.latest()) + 30n * DAY;
    const due = primaryCompletion + RESULTS_WINDOW;
    const { trialId } = await registerTrial(cast, primaryCompletion);
    await openSites(cast, trialId);
    const sequence = await commitSequence(cast, trialId, 1, 4);
    const ana = await newParticipant(cast, 1, 0);
    await enrollAndReveal(cast, trialId, sequence, ana);

    // The hospital's investigator records a life-threatening SAE; nobody assesses it.
    const sae = await investigators[1].recordAdverseEvent(trialId, ana.id, salted("SAE form: Ana"), true);
    const awareAt = await minedAt(sae);
    expect(sae.deadline).to.equal(awareAt + 7n * DAY);
    await time.increaseTo(sae.deadline);
    let report = await trialReport(reader, trialId);
    expect(report.safety[0]).to.deep.include({ status: AdverseEventStatus.AwaitingAssessment, overdue: false });
    expect(safetyLine(report)).to.equal(
      `  #1 (7-day clock, aware ${isoDate(awareAt)}): AwaitingAssessment, due ${isoDate(sae.deadline)}`,
    );
    await time.increase(1);
    report = await trialReport(reader, trialId);
    expect(report.safety[0]).to.deep.include({
      status: AdverseEventStatus.AwaitingAssessment,
      overdue: true,
      late: false,
    });
    const overdueSae = `  #1 (7-day clock, aware ${isoDate(awareAt)}): AwaitingAssessment, OVERDUE since ${isoDate(sae.deadline)}`;
    expect(safetyLine(report)).to.equal(overdueSae);
    // `TrialsClient` has no `overdueAdverseEvents` of its own: asked of its typed safety contract.
    expect(await reader.safety.overdueAdverseEvents(trialId, 1, 1)).to.deep.equal([1n]);

    // Results never reported: due 12 months after the primary completion date, overdue a second after.
    await time.increaseTo(due);
    report = await trialReport(reader, trialId);
    expect(report).to.deep.include({ resultsDue: due, firstReportedAt: 0n, resultsLate: false });
    expect(await reader.overdueTrials()).to.deep.equal([]);
    expect(resultsLine(report)).to.equal(`Results: due ${isoDate(due)}, not reported`);
    await time.increase(1);
    report = await trialReport(reader, trialId);
    expect(report.resultsLate).to.equal(true);
    expect(await reader.overdueTrials()).to.deep.equal([trialId]);
    expect(resultsLine(report)).to.equal(`Results: due ${isoDate(due)}, not reported: OVERDUE`);
    expect(report.safety[0]?.overdue).to.equal(true);
    expect(safetyLine(report)).to.equal(overdueSae);

    // A year on, the sponsor's credential has expired: the registry no longer takes its key for the sponsor's.
    const datasetRoot = salted("NW-204 final dataset");
    const expired = await refusal(() => sponsor.lock(trialId, datasetRoot));
    expect([expired.errorName, ...expired.args]).to.deep.equal(["TrialNotSponsor", trialId, f.sponsorKey.address]);
    const registrar = f.identity.as(f.registrar);
    const renewedUntil = BigInt(await time.latest()) + 365n * DAY;
    await registrar.renewCredential(f.sponsorId, salted("credential:sponsor:renewed"), renewedUntil);
    await registrar.renewCredential(f.ethicsCommitteeId, salted("credential:irb:renewed"), renewedUntil);

    // Moving the primary completion date now does not clear the lateness.
    const movedCompletion = BigInt(await time.latest()) + 90n * DAY;
    const { amendmentId } = await sponsor.proposeAmendment(trialId, {
      protocol: salted("protocol NW-204 v2"),
      primaryCompletion: movedCompletion,
    });
    expect((await committee.approveAmendment(trialId, amendmentId)).consentVersion).to.equal(1);
    report = await trialReport(reader, trialId);
    expect(report).to.deep.include({
      primaryCompletion: movedCompletion,
      resultsDue: movedCompletion + RESULTS_WINDOW,
      resultsLate: true,
    });
    expect(await reader.overdueTrials()).to.deep.equal([trialId]);
    expect(resultsLine(report)).to.equal(
      `Results: due ${isoDate(movedCompletion + RESULTS_WINDOW)}, not reported: OVERDUE`,
    );

    // The SUSAR and the results, reported at last (the results at the moved completion date): the SUSAR late, the
    // trial's results late for good.
    const susar = await sponsor.reportSusar(trialId, sae.eventId, salted("IND safety report, late"));
    expect(susar.late).to.equal(true);
    await time.increaseTo(movedCompletion);
    await sponsor.lock(trialId, datasetRoot);
    const results = await sponsor.reportResults(
      trialId,
      datasetRoot,
      [OUTCOME.primary, OUTCOME.weight, OUTCOME.hypoglycaemia].map((outcome, i) => ({
        outcome,
        result: salted(`result ${i}`),
        primary: i === 0,
      })),
    );
    // `ResultsReported.late` compares with the due date in force (moved); the trial's lateness stays.
    expect(results).to.deep.include({
      late: false,
      comparison: { notReported: 0n, added: 0, primaryChanged: false },
    });
    report = await trialReport(reader, trialId);
    expect(report.resultsLate).to.equal(true);
    expect(report.safety[0]).to.deep.include({ status: AdverseEventStatus.Reported, overdue: false, late: true });
    expect(await reader.overdueTrials()).to.deep.equal([trialId]);
    expect(resultsLine(report)).to.equal(
      `Results: due ${isoDate(movedCompletion + RESULTS_WINDOW)}, first reported ${isoDate(await minedAt(results))}: LATE`,
    );
    expect(safetyLine(report)).to.equal(
      `  #1 (7-day clock, aware ${isoDate(awareAt)}): reported to the regulator ${isoDate(await minedAt(susar))}, LATE`,
    );
  });
});
