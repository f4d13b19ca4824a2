import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { type ContractTransactionReceipt, type ContractTransactionResponse, ZeroHash } from "ethers";

import { AdverseEventStatus, SubjectStatus, WithdrawalReason } from "../../sdk/trials/statuses";
import { DAY } from "../fixtures/identity";
import { doc, trialsFixture, type TrialsFixture } from "../fixtures/trials";

// Every scenario below starts from `trialsFixture` through `loadFixture` and adds a few transactions: a second
// fixture would be rebuilt from scratch each time the tests alternate between them (reverting to the first snapshot
// drops the later ones).

/** A fatal or life-threatening SUSAR is due within 7 days of awareness, any other within 15 (21 CFR 312.32(c)). */
const LIFE_THREATENING_WINDOW = 7 * DAY;
const SERIOUS_WINDOW = 15 * DAY;
const MAX_SCAN = 1000;
/** Salted commitments to a site's SAE forms and to the sponsor's IND safety report (each made once, here). */
const SAE_FORM = doc("sae-form:1");
const OTHER_SAE_FORM = doc("sae-form:2");
const IND_REPORT = doc("ind-safety-report:1");
const UINT32_MAX = 2n ** 32n - 1n;

async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("the transaction was not mined");
  return receipt;
}

interface Recording {
  by?: HardhatEthersSigner;
  patient?: bigint;
  report?: string;
  lifeThreatening?: boolean;
  awareAt?: number | bigint;
}

/** Records an adverse event: by default the cardiologist (site 1's investigator), for the patient, not life-threatening. */
function record(f: TrialsFixture, r: Recording = {}) {
  return f.trialSafety
    .connect(r.by ?? f.cardiologistKey)
    .recordAdverseEvent(
      f.trialId,
      r.patient ?? f.patientId,
      r.report ?? SAE_FORM,
      r.lifeThreatening ?? false,
      r.awareAt ?? 0,
    );
}

function assess(f: TrialsFixture, eventId: bigint, susar: boolean, by = f.sponsorKey) {
  return f.trialSafety.connect(by).assess(f.trialId, eventId, susar);
}

function reportSusar(f: TrialsFixture, eventId: bigint, report = IND_REPORT, by = f.sponsorKey) {
  return f.trialSafety.connect(by).reportSusar(f.trialId, eventId, report);
}

/** The next block's timestamp, fixed: a write's `awareAt`, `deadline` or `reportedAt` is then known exactly. */
async function nextBlockAt(offset = 10): Promise<number> {
  const at = (await time.latest()) + offset;
  await time.setNextBlockTimestamp(at);
  return at;
}

async function statusOf(f: TrialsFixture, eventId: bigint): Promise<bigint> {
  return (await f.trialSafety.adverseEvent(f.trialId, eventId)).status;
}

async function overdue(f: TrialsFixture, from = 1n, to = UINT32_MAX): Promise<bigint[]> {
  return [...(await f.trialSafety.overdueAdverseEvents(f.trialId, from, to))];
}

async function pauseSafety(f: TrialsFixture): Promise<void> {
  await mined(f.trialSafety.connect(f.pauser).pause());
}

// ---------------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------------

/** The fixture trial with the patient enrolled at site 1 (the hospital) and the other patient at site 2 (the clinic). */
async function enrolledTrial() {
  const f = await loadFixture(trialsFixture);
  await f.enroll(f.patientId, f.patientKey, 1);
  await f.enroll(f.otherPatientId, f.otherPatientKey, 2);
  return f;
}

/** `enrolledTrial` with event 1, the patient's, recorded by site 1's investigator; its awareness time and deadline. */
async function recordedEvent(lifeThreatening = false) {
  const f = await enrolledTrial();
  const awareAt = await nextBlockAt();
  await mined(record(f, { lifeThreatening }));
  const deadline = awareAt + (lifeThreatening ? LIFE_THREATENING_WINDOW : SERIOUS_WINDOW);
  return { ...f, awareAt, deadline };
}

/** `enrolledTrial` with 1,001 events the sponsor recorded, for the scan bound. */
async function manyEvents() {
  const f = await enrolledTrial();
  const safety = f.trialSafety.connect(f.sponsorKey);
  const args = [f.trialId, f.patientId, SAE_FORM, false, 0] as const;
  const gasLimit = ((await safety.recordAdverseEvent.estimateGas(...args)) * 3n) / 2n;
  // Sent without waiting for each receipt (automine still mines one per transaction): 1,001 events in seconds.
  const sent: ContractTransactionResponse[] = [];
  for (let i = 0; i <= MAX_SCAN; i += 1) sent.push(await safety.recordAdverseEvent(...args, { gasLimit }));
  await sent.at(-1)?.wait();
  expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(BigInt(MAX_SCAN + 1));
  return f;
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("TrialSafety", () => {
  describe("recordAdverseEvent", () => {
    it("records the site investigator's event as known now, with a 15-day clock", async () => {
      const f = await enrolledTrial();
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(0n);
      expect(
        await f.trialSafety
          .connect(f.cardiologistKey)
          .recordAdverseEvent.staticCall(f.trialId, f.patientId, SAE_FORM, false, 0),
      ).to.equal(1n);
      const at = await nextBlockAt();
      await expect(record(f))
        .to.emit(f.trialSafety, "AdverseEventRecorded")
        .withArgs(f.trialId, 1n, f.patientId, f.cardiologistId, SAE_FORM, false, at, at + SERIOUS_WINDOW);
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect(e.patient).to.equal(f.patientId);
      expect(e.reporter).to.equal(f.cardiologistId);
      expect(e.status).to.equal(AdverseEventStatus.AwaitingAssessment);
      expect(e.lifeThreatening).to.equal(false);
      expect(e.awareAt).to.equal(at);
      expect(e.deadline).to.equal(at + SERIOUS_WINDOW);
      expect(e.reportedAt).to.equal(0n);
      expect(e.report).to.equal(SAE_FORM);
      expect(e.regulatoryReport).to.equal(ZeroHash);
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(1n);
    });

    it("gives a fatal or life-threatening event a 7-day clock, and numbers events in the trial", async () => {
      const f = await recordedEvent();
      const at = await nextBlockAt();
      const byClinic = {
        by: f.clinicDoctorKey,
        patient: f.otherPatientId,
        report: OTHER_SAE_FORM,
        lifeThreatening: true,
      };
      await expect(record(f, byClinic))
        .to.emit(f.trialSafety, "AdverseEventRecorded")
        .withArgs(
          f.trialId,
          2n,
          f.otherPatientId,
          f.clinicDoctorId,
          OTHER_SAE_FORM,
          true,
          at,
          at + LIFE_THREATENING_WINDOW,
        );
      const e = await f.trialSafety.adverseEvent(f.trialId, 2n);
      expect([e.patient, e.reporter, e.lifeThreatening, e.awareAt, e.deadline]).to.deep.equal([
        f.otherPatientId,
        f.clinicDoctorId,
        true,
        BigInt(at),
        BigInt(at + LIFE_THREATENING_WINDOW),
      ]);
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(2n);
    });

    it("runs the sponsor's clock from the past awareness time it gives", async () => {
      const f = await enrolledTrial();
      const at = await nextBlockAt();
      const awareAt = at - 3 * DAY;
      await expect(record(f, { by: f.sponsorKey, lifeThreatening: true, awareAt }))
        .to.emit(f.trialSafety, "AdverseEventRecorded")
        .withArgs(f.trialId, 1n, f.patientId, f.sponsorId, SAE_FORM, true, awareAt, awareAt + LIFE_THREATENING_WINDOW);
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect([e.reporter, e.awareAt, e.deadline]).to.deep.equal([
        f.sponsorId,
        BigInt(awareAt),
        BigInt(awareAt + LIFE_THREATENING_WINDOW),
      ]);
      // Zero, or the present itself, means aware now.
      for (const [eventId, givesNow] of [
        [2n, false],
        [3n, true],
      ] as const) {
        const now = await nextBlockAt();
        await expect(record(f, { by: f.sponsorKey, patient: f.otherPatientId, awareAt: givesNow ? now : 0 }))
          .to.emit(f.trialSafety, "AdverseEventRecorded")
          .withArgs(f.trialId, eventId, f.otherPatientId, f.sponsorId, SAE_FORM, false, now, now + SERIOUS_WINDOW);
      }
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(3n);
    });

    it("records an event of a participant who withdrew", async () => {
      const f = await enrolledTrial();
      await mined(
        f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, WithdrawalReason.ConsentWithdrawn),
      );
      expect((await f.trialRegistry.subject(f.trialId, f.patientId)).status).to.equal(SubjectStatus.Withdrawn);
      const at = await nextBlockAt();
      await expect(record(f, { lifeThreatening: true }))
        .to.emit(f.trialSafety, "AdverseEventRecorded")
        .withArgs(f.trialId, 1n, f.patientId, f.cardiologistId, SAE_FORM, true, at, at + LIFE_THREATENING_WINDOW);
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.AwaitingAssessment);
    });

    it("works while the safety module and the registry are paused", async () => {
      const f = await enrolledTrial();
      await pauseSafety(f);
      await mined(f.trialRegistry.connect(f.pauser).pause());
      await expect(record(f)).to.emit(f.trialSafety, "AdverseEventRecorded");
      await expect(record(f, { by: f.sponsorKey, patient: f.otherPatientId })).to.emit(
        f.trialSafety,
        "AdverseEventRecorded",
      );
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(2n);
    });

    it("reverts with TrialSafetyNotParticipant for a patient never enrolled", async () => {
      const f = await enrolledTrial();
      const stranger = await f.newPatient();
      for (const by of [f.cardiologistKey, f.sponsorKey]) {
        await expect(record(f, { by, patient: stranger.id }))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyNotParticipant")
          .withArgs(f.trialId, stranger.id);
      }
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialSafetyNotReporter for anyone but the participant's site investigator and the sponsor", async () => {
      const f = await enrolledTrial();
      const others = [
        f.clinicDoctorKey, // the other site's investigator
        f.internistKey, // a colleague at the participant's site, not its investigator
        f.hospitalKey, // the site's organization itself
        f.regulatorKey,
        f.ethicsCommitteeKey,
        f.patientKey,
        f.strangerKey,
      ];
      for (const by of others) {
        await expect(record(f, { by }))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyNotReporter")
          .withArgs(f.trialId, f.patientId, by.address);
      }
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialSafetyInvalidAwareness for a site giving a time, or the sponsor a future one", async () => {
      const f = await enrolledTrial();
      let now = await nextBlockAt();
      await expect(record(f, { awareAt: now - DAY }))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidAwareness")
        .withArgs(now - DAY, now);
      await mine();
      now = await nextBlockAt();
      await expect(record(f, { awareAt: now }))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidAwareness")
        .withArgs(now, now);
      await mine();
      now = await nextBlockAt();
      await expect(record(f, { by: f.sponsorKey, awareAt: now + 1 }))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidAwareness")
        .withArgs(now + 1, now);
      expect(await f.trialSafety.adverseEventCount(f.trialId)).to.equal(0n);
    });

    it("reverts with TrialSafetyZeroCommitment without a report", async () => {
      const f = await enrolledTrial();
      for (const by of [f.cardiologistKey, f.sponsorKey]) {
        await expect(record(f, { by, report: ZeroHash })).to.be.revertedWithCustomError(
          f.trialSafety,
          "TrialSafetyZeroCommitment",
        );
      }
    });

    it("reverts with the registry's TrialUnknown for a trial never registered", async () => {
      const f = await enrolledTrial();
      await expect(
        f.trialSafety.connect(f.sponsorKey).recordAdverseEvent(f.trialId + 1n, f.patientId, SAE_FORM, false, 0),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(f.trialId + 1n);
    });
  });

  describe("assess", () => {
    it("finds an event awaiting assessment a SUSAR, its clock still running from awareness", async () => {
      const f = await recordedEvent();
      await expect(assess(f, 1n, true))
        .to.emit(f.trialSafety, "AdverseEventAssessed")
        .withArgs(f.trialId, 1n, AdverseEventStatus.Susar);
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect([e.status, e.awareAt, e.deadline, e.reportedAt]).to.deep.equal([
        BigInt(AdverseEventStatus.Susar),
        BigInt(f.awareAt),
        BigInt(f.deadline),
        0n,
      ]);
    });

    it("records when it was assessed, so that an assessment after the deadline stays visible", async () => {
      const f = await recordedEvent();
      expect((await f.trialSafety.adverseEvent(f.trialId, 1n)).assessedAt).to.equal(0n);
      await time.increaseTo(BigInt(f.deadline) + 60n);
      await mined(assess(f, 1n, false));
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect(e.assessedAt).to.equal(BigInt(await time.latest()));
      expect(e.assessedAt > e.deadline).to.equal(true);
      expect(await f.trialSafety.overdueAdverseEvents(f.trialId, 1, 1)).to.deep.equal([]);
    });

    it("finds an event not a SUSAR, and may reassess it as one", async () => {
      const f = await recordedEvent();
      await expect(assess(f, 1n, false))
        .to.emit(f.trialSafety, "AdverseEventAssessed")
        .withArgs(f.trialId, 1n, AdverseEventStatus.NotSusar);
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.NotSusar);
      await expect(assess(f, 1n, true))
        .to.emit(f.trialSafety, "AdverseEventAssessed")
        .withArgs(f.trialId, 1n, AdverseEventStatus.Susar);
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.Susar);
      expect((await f.trialSafety.adverseEvent(f.trialId, 1n)).deadline).to.equal(f.deadline);
    });

    it("reverts with TrialSafetyInvalidTransition for a SUSAR found not one, and for any repeat or reported event", async () => {
      const f = await recordedEvent();
      await mined(assess(f, 1n, true));
      await expect(assess(f, 1n, false))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidTransition")
        .withArgs(f.trialId, 1n, AdverseEventStatus.Susar, AdverseEventStatus.NotSusar);
      await expect(assess(f, 1n, true))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidTransition")
        .withArgs(f.trialId, 1n, AdverseEventStatus.Susar, AdverseEventStatus.Susar);
      await mined(record(f, { report: OTHER_SAE_FORM }));
      await mined(assess(f, 2n, false));
      await expect(assess(f, 2n, false))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidTransition")
        .withArgs(f.trialId, 2n, AdverseEventStatus.NotSusar, AdverseEventStatus.NotSusar);
      await mined(reportSusar(f, 1n));
      for (const susar of [true, false]) {
        await expect(assess(f, 1n, susar))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidTransition")
          .withArgs(
            f.trialId,
            1n,
            AdverseEventStatus.Reported,
            susar ? AdverseEventStatus.Susar : AdverseEventStatus.NotSusar,
          );
      }
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.Reported);
    });

    it("reverts with TrialSafetyNotSponsor for anyone but the sponsor", async () => {
      const f = await recordedEvent();
      for (const by of [f.cardiologistKey, f.regulatorKey, f.ethicsCommitteeKey, f.strangerKey]) {
        await expect(assess(f, 1n, false, by))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyNotSponsor")
          .withArgs(f.trialId, by.address);
      }
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.AwaitingAssessment);
    });

    it("reverts with TrialSafetyUnknownEvent for event 0 and one not recorded", async () => {
      const f = await recordedEvent();
      for (const eventId of [0n, 2n, UINT32_MAX]) {
        await expect(assess(f, eventId, true))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyUnknownEvent")
          .withArgs(f.trialId, eventId);
        await expect(f.trialSafety.adverseEvent(f.trialId, eventId))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyUnknownEvent")
          .withArgs(f.trialId, eventId);
      }
    });

    it("stops while paused: an assessment can stop a clock", async () => {
      const f = await recordedEvent();
      await pauseSafety(f);
      for (const susar of [true, false]) {
        await expect(assess(f, 1n, susar)).to.be.revertedWithCustomError(f.trialSafety, "EnforcedPause");
      }
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.AwaitingAssessment);
    });
  });

  describe("reportSusar", () => {
    it("reports on time on day 5 of a 7-day clock, to the trial's regulator", async () => {
      const f = await recordedEvent(true);
      await mined(assess(f, 1n, true));
      const at = f.awareAt + 5 * DAY;
      await time.setNextBlockTimestamp(at);
      await expect(reportSusar(f, 1n))
        .to.emit(f.trialSafety, "SusarReported")
        .withArgs(f.trialId, 1n, f.regulatorId, IND_REPORT, false);
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect([e.status, e.reportedAt, e.regulatoryReport, e.deadline]).to.deep.equal([
        BigInt(AdverseEventStatus.Reported),
        BigInt(at),
        IND_REPORT,
        BigInt(f.deadline),
      ]);
    });

    it("reports on time at the deadline itself", async () => {
      const f = await recordedEvent(true);
      await time.setNextBlockTimestamp(f.deadline);
      await expect(reportSusar(f, 1n))
        .to.emit(f.trialSafety, "SusarReported")
        .withArgs(f.trialId, 1n, f.regulatorId, IND_REPORT, false);
    });

    it("marks late a report on day 8 of a 7-day clock", async () => {
      const f = await recordedEvent(true);
      await mined(assess(f, 1n, true));
      const at = f.awareAt + 8 * DAY;
      await time.setNextBlockTimestamp(at);
      await expect(reportSusar(f, 1n))
        .to.emit(f.trialSafety, "SusarReported")
        .withArgs(f.trialId, 1n, f.regulatorId, IND_REPORT, true);
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect([e.status, e.reportedAt]).to.deep.equal([BigInt(AdverseEventStatus.Reported), BigInt(at)]);
    });

    it("reports an event awaiting assessment, found a SUSAR, or found not one", async () => {
      const f = await recordedEvent();
      await mined(record(f, { report: OTHER_SAE_FORM }));
      await mined(record(f, { by: f.clinicDoctorKey, patient: f.otherPatientId }));
      await mined(assess(f, 2n, true));
      await mined(assess(f, 3n, false));
      const from = [AdverseEventStatus.AwaitingAssessment, AdverseEventStatus.Susar, AdverseEventStatus.NotSusar];
      for (const [i, status] of from.entries()) {
        const eventId = BigInt(i + 1);
        expect(await statusOf(f, eventId)).to.equal(status);
        await expect(reportSusar(f, eventId))
          .to.emit(f.trialSafety, "SusarReported")
          .withArgs(f.trialId, eventId, f.regulatorId, IND_REPORT, false);
        expect(await statusOf(f, eventId)).to.equal(AdverseEventStatus.Reported);
      }
    });

    it("reverts with TrialSafetyInvalidTransition for an event reported already", async () => {
      const f = await recordedEvent();
      await mined(reportSusar(f, 1n));
      const reportedAt = (await f.trialSafety.adverseEvent(f.trialId, 1n)).reportedAt;
      await expect(reportSusar(f, 1n, OTHER_SAE_FORM))
        .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidTransition")
        .withArgs(f.trialId, 1n, AdverseEventStatus.Reported, AdverseEventStatus.Reported);
      const e = await f.trialSafety.adverseEvent(f.trialId, 1n);
      expect([e.reportedAt, e.regulatoryReport]).to.deep.equal([reportedAt, IND_REPORT]);
    });

    it("reverts with TrialSafetyZeroCommitment without a regulatory report", async () => {
      const f = await recordedEvent();
      await expect(reportSusar(f, 1n, ZeroHash)).to.be.revertedWithCustomError(
        f.trialSafety,
        "TrialSafetyZeroCommitment",
      );
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.AwaitingAssessment);
    });

    it("reverts with TrialSafetyNotSponsor for anyone but the sponsor, the regulator included", async () => {
      const f = await recordedEvent();
      for (const by of [f.regulatorKey, f.cardiologistKey, f.strangerKey]) {
        await expect(reportSusar(f, 1n, IND_REPORT, by))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyNotSponsor")
          .withArgs(f.trialId, by.address);
      }
    });

    it("reverts with TrialSafetyUnknownEvent for event 0 and one not recorded", async () => {
      const f = await recordedEvent();
      for (const eventId of [0n, 2n]) {
        await expect(reportSusar(f, eventId))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyUnknownEvent")
          .withArgs(f.trialId, eventId);
      }
    });

    it("works while paused: a pause must not make the sponsor miss the deadline", async () => {
      const f = await recordedEvent(true);
      await pauseSafety(f);
      await expect(reportSusar(f, 1n))
        .to.emit(f.trialSafety, "SusarReported")
        .withArgs(f.trialId, 1n, f.regulatorId, IND_REPORT, false);
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.Reported);
    });
  });

  describe("overdueAdverseEvents", () => {
    it("lists an event nobody assessed once past its deadline", async () => {
      const f = await recordedEvent();
      await time.increaseTo(f.deadline);
      expect(await overdue(f)).to.deep.equal([]);
      await time.increaseTo(f.deadline + 1);
      expect(await overdue(f)).to.deep.equal([1n]);
      expect(await statusOf(f, 1n)).to.equal(AdverseEventStatus.AwaitingAssessment);
    });

    it("lists unreported SUSARs and unassessed events past their deadline, not those found not SUSARs nor reported", async () => {
      const f = await recordedEvent(true); // 1: awaiting assessment, 7 days
      const lifeThreatening = { lifeThreatening: true, report: OTHER_SAE_FORM };
      await mined(record(f, lifeThreatening)); // 2: a SUSAR, unreported
      await mined(assess(f, 2n, true));
      await mined(record(f, lifeThreatening)); // 3: not a SUSAR
      await mined(assess(f, 3n, false));
      await mined(record(f, lifeThreatening)); // 4: a SUSAR, reported late below
      await mined(assess(f, 4n, true));
      await mined(record(f, { by: f.clinicDoctorKey, patient: f.otherPatientId })); // 5: awaiting, 15 days
      expect(await overdue(f)).to.deep.equal([]);

      await time.increaseTo(f.awareAt + 8 * DAY);
      expect(await overdue(f)).to.deep.equal([1n, 2n, 4n]);
      await expect(reportSusar(f, 4n))
        .to.emit(f.trialSafety, "SusarReported")
        .withArgs(f.trialId, 4n, f.regulatorId, IND_REPORT, true);
      expect(await overdue(f)).to.deep.equal([1n, 2n]);
      // Reassessed as a SUSAR, event 3's clock is the one that ran from awareness: overdue at once.
      await mined(assess(f, 3n, true));
      expect(await overdue(f)).to.deep.equal([1n, 2n, 3n]);

      await time.increaseTo(f.awareAt + 16 * DAY);
      expect(await overdue(f)).to.deep.equal([1n, 2n, 3n, 5n]);
    });

    it("reads from 0 as 1, clips the end to the event count and scans only the range asked", async () => {
      const f = await recordedEvent();
      await mined(record(f, { report: OTHER_SAE_FORM }));
      await mined(record(f, { report: OTHER_SAE_FORM }));
      await time.increaseTo(f.deadline + DAY);
      expect(await overdue(f, 1n, 3n)).to.deep.equal([1n, 2n, 3n]);
      expect(await overdue(f, 0n, 3n)).to.deep.equal([1n, 2n, 3n]);
      expect(await overdue(f, 0n, UINT32_MAX)).to.deep.equal([1n, 2n, 3n]);
      expect(await overdue(f, 2n, 2n)).to.deep.equal([2n]);
      expect(await overdue(f, 3n, 1n)).to.deep.equal([]);
      expect(await overdue(f, 4n, 10n)).to.deep.equal([]);
      expect(await f.trialSafety.overdueAdverseEvents(f.trialId + 1n, 0n, UINT32_MAX)).to.deep.equal([]);
    });

    it("reverts with TrialSafetyInvalidRange for a range of more than 1000 events", async () => {
      const f = await manyEvents();
      const count = BigInt(MAX_SCAN + 1);
      for (const [from, to] of [
        [1n, count],
        [0n, count],
        [1n, UINT32_MAX],
      ] as const) {
        await expect(f.trialSafety.overdueAdverseEvents(f.trialId, from, to))
          .to.be.revertedWithCustomError(f.trialSafety, "TrialSafetyInvalidRange")
          .withArgs(1n, count);
      }
      expect(await overdue(f, 1n, BigInt(MAX_SCAN))).to.deep.equal([]);
      expect(await overdue(f, 2n, UINT32_MAX)).to.deep.equal([]);
      await time.increase(SERIOUS_WINDOW + 1);
      expect(await overdue(f, 2n, UINT32_MAX)).to.have.length(MAX_SCAN);
    });
  });

  describe("registry", () => {
    it("is the trial registry of the deployment", async () => {
      const f = await loadFixture(trialsFixture);
      expect(await f.trialSafety.registry()).to.equal(await f.trialRegistry.getAddress());
    });
  });
});
