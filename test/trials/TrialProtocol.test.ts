import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AbiCoder,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  id as hashText,
  keccak256,
  ZeroHash,
} from "ethers";

import { commit } from "../../sdk";
import { openingOf, revealOf } from "../../sdk/trials/allocation";
import { TrialAmendmentStatus, UnlockReason, OversightReason } from "../../sdk/trials/statuses";
import type {
  AmendmentProposalStruct,
  OutcomeStruct,
  ReportedOutcomeStruct,
} from "../../typechain-types/contracts/trials/TrialProtocol";
import { DAY, YEAR } from "../fixtures/identity";
import {
  doc,
  PRIMARY,
  registration,
  SECONDARY_1,
  SECONDARY_2,
  trialsFixture,
  type TrialsFixture,
} from "../fixtures/trials";

// Every scenario below starts from `trialsFixture` through `loadFixture` and adds a few transactions: a second
// fixture would be rebuilt from scratch each time the tests alternate between them (reverting to the first snapshot
// drops the later ones).

/** The root of the final dataset the sponsor locks the database with. */
const DATASET = doc("dataset:final");
/** The documents amendments bring (salted commitments: each made once, here). */
const PROTOCOL_V2 = doc("protocol:v2");
const PROTOCOL_V3 = doc("protocol:v3");
const PROTOCOL_X = doc("protocol:x");
const SAP_V2 = doc("sap:v2");
const SAP_X = doc("sap:x");
const CONSENT_V2 = doc("consent-form:v2");
const CONSENT_V1_1 = doc("consent-form:v1.1");
/** Another dataset root: a wrong one, and the one of a relock. */
const OTHER_DATASET = doc("dataset:other");
const RELOCKED = doc("dataset:final:2");
const RESULT_AGAIN = doc("result:again");
const CORRECTED_RESULT = doc("result:primary:corrected");
/** An outcome the trial never pre-specified at registration. */
const NEW_OUTCOME = doc("outcome:secondary:quality of life at 26 weeks");
const MAX_OUTCOMES = 64;
const MAX_SCAN = 1000;
const RESULTS_WINDOW = 365 * DAY;
/** `TrialProtocol.MAX_COMPLETION_HORIZON` (as the registry's): a completion date lies at most 20 years ahead. */
const MAX_COMPLETION_HORIZON = 20 * 365 * DAY;
const RESULTS_TYPE = ["bytes32", "tuple(bytes32 outcome,bytes32 result,bool primary)[]"] as const;
/** Masks of outcome positions: bit `i` is the trial's `i`-th outcome ever specified. */
const P = 1n; // PRIMARY
const S1 = 2n; // SECONDARY_1
const S2 = 4n; // SECONDARY_2
const N = 8n; // NEW_OUTCOME, when an amendment appends it
const ALL_THREE = P | S1 | S2;

async function mined(
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("the transaction was not mined");
  return receipt;
}

/** `count` distinct outcome commitments no test uses elsewhere. */
function freshOutcomes(count: number, label = "extra"): string[] {
  return Array.from({ length: count }, (_, i) => doc(`outcome:${label}:${i}`));
}

function secondary(commitment: string): OutcomeStruct {
  return { commitment, primary: false };
}

function primary(commitment: string): OutcomeStruct {
  return { commitment, primary: true };
}

/** A minimal amendment (a new protocol only); override what a test needs. */
function proposal(overrides: Partial<AmendmentProposalStruct> = {}): AmendmentProposalStruct {
  return {
    protocol: PROTOCOL_V2,
    analysisPlan: ZeroHash,
    consentForm: ZeroHash,
    majorConsentChange: false,
    primaryCompletion: 0,
    outcomes: [],
    ...overrides,
  };
}

function propose(f: TrialsFixture, p: AmendmentProposalStruct = proposal(), by = f.sponsorKey) {
  return f.trialProtocol.connect(by).proposeAmendment(f.trialId, p);
}

function approve(f: TrialsFixture, amendmentId = 1n, by = f.ethicsCommitteeKey) {
  return f.trialProtocol.connect(by).approveAmendment(f.trialId, amendmentId);
}

/** Proposes `p` and has the ethics committee approve it. */
async function amend(f: TrialsFixture, p: AmendmentProposalStruct): Promise<bigint> {
  await mined(propose(f, p));
  const { amendments } = await f.trialProtocol.protocolOf(f.trialId);
  await mined(approve(f, amendments));
  return amendments;
}

/** The result commitment the tests report for `outcome` (the same each time it is asked for). */
function resultOf(outcome: string): string {
  return hashText(`result:${outcome}`);
}

function reported(outcome: string, isPrimary: boolean): ReportedOutcomeStruct {
  return { outcome, result: resultOf(outcome), primary: isPrimary };
}

/** The three registered outcomes, reported as pre-specified. */
function asRegistered(): ReportedOutcomeStruct[] {
  return [reported(PRIMARY, true), reported(SECONDARY_1, false), reported(SECONDARY_2, false)];
}

function report(f: TrialsFixture, outcomes: ReportedOutcomeStruct[], root = DATASET, by = f.sponsorKey) {
  return f.trialProtocol.connect(by).reportResults(f.trialId, root, outcomes);
}

/** `keccak256(abi.encode(datasetRoot, outcomes))`, computed off chain. */
function reportHash(root: string, outcomes: ReportedOutcomeStruct[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(RESULTS_TYPE, [root, outcomes]));
}

interface Comparison {
  notReported: bigint;
  added: bigint;
  primaryChanged: boolean;
}

/** A `withArgs` predicate for the `OutcomeComparison` struct of `ResultsReported`. */
function comparisonIs(expected: Comparison) {
  return (actual: Comparison): boolean =>
    actual.notReported === expected.notReported &&
    actual.added === expected.added &&
    actual.primaryChanged === expected.primaryChanged;
}

/** What the report in `receipt` emitted, decoded: the comparison and the per-outcome events, in order. */
async function decodedReport(f: TrialsFixture, receipt: ContractTransactionReceipt) {
  const at = receipt.blockNumber;
  const p = f.trialProtocol;
  const [results] = await p.queryFilter(p.filters.ResultsReported(f.trialId), at, at);
  if (results === undefined) throw new Error("no ResultsReported in the receipt's block");
  const { notReported, added, primaryChanged } = results.args.comparison;
  return {
    comparison: { notReported, added, primaryChanged },
    late: results.args.late,
    reported: (await p.queryFilter(p.filters.OutcomeReported(f.trialId), at, at)).map((e) => ({
      outcome: e.args.outcome,
      primary: e.args.primary,
      preSpecified: e.args.preSpecified,
    })),
    notReported: (await p.queryFilter(p.filters.OutcomeNotReported(f.trialId), at, at)).map((e) => ({
      outcome: e.args.outcome,
      primary: e.args.primary,
    })),
    primaryChanged: (await p.queryFilter(p.filters.PrimaryOutcomeChanged(f.trialId), at, at)).map((e) => ({
      preSpecifiedPrimary: e.args.preSpecifiedPrimary,
      reportedPrimary: e.args.reportedPrimary,
    })),
  };
}

/** Reports `outcomes` and checks the comparison the call returns and the event carries; returns the decoded events. */
async function reportAndCompare(f: TrialsFixture, outcomes: ReportedOutcomeStruct[], expected: Comparison) {
  const returned = await f.trialProtocol.connect(f.sponsorKey).reportResults.staticCall(f.trialId, DATASET, outcomes);
  expect({
    notReported: returned.notReported,
    added: returned.added,
    primaryChanged: returned.primaryChanged,
  }).to.deep.equal(expected);
  const version = (await f.trialProtocol.resultsDeadline(f.trialId)).versions + 1n;
  const tx = await report(f, outcomes);
  await expect(tx)
    .to.emit(f.trialProtocol, "ResultsReported")
    .withArgs(f.trialId, version, DATASET, reportHash(DATASET, outcomes), comparisonIs(expected), false);
  const decoded = await decodedReport(f, await mined(tx));
  expect(decoded.comparison).to.deep.equal(expected);
  return { tx, version, ...decoded };
}

/** The fixture trial as registered, from the registry's `TrialRegistered` event. */
async function registered(f: TrialsFixture) {
  const [event] = await f.trialRegistry.queryFilter(f.trialRegistry.filters.TrialRegistered(f.trialId));
  if (event === undefined) throw new Error("the fixture trial has no TrialRegistered event");
  const { protocol, analysisPlan, primaryCompletion } = event.args;
  return { protocol, analysisPlan, primaryCompletion };
}

async function registeredPrimaryCompletion(f: TrialsFixture): Promise<bigint> {
  return (await registered(f)).primaryCompletion;
}

/**
 * Renews the sponsor's and the ethics committee's credentials for ten years: the fixture's expire after one, before
 * results are due (two years after registration).
 */
async function renewCredentials(f: TrialsFixture): Promise<void> {
  const until = BigInt(await time.latest()) + BigInt(10 * YEAR);
  for (const [id, label] of [
    [f.sponsorId, "sponsor"],
    [f.ethicsCommitteeId, "irb"],
  ] as const) {
    await f.identity.as(f.registrar).renewCredential(id, commit(`credential:${label}:renewed`).commitment, until);
  }
}

async function lockWith(f: TrialsFixture, root = DATASET): Promise<void> {
  await mined(f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, root));
}

async function unlock(f: TrialsFixture): Promise<void> {
  await mined(f.trialRegistry.connect(f.sponsorKey).requestUnlock(f.trialId, UnlockReason.DataCorrection));
  await mined(f.trialRegistry.connect(f.ethicsCommitteeKey).approveUnlock(f.trialId));
}

/** Enrolls the patient, reveals her allocation and discloses her arm: the trial is unblinded. */
async function unblindOne(f: TrialsFixture): Promise<void> {
  await f.enroll(f.patientId, f.patientKey);
  await f.reveal(f.patientId);
  const s = await f.trialRegistry.subject(f.trialId, f.patientId);
  const { arm, salt } = openingOf(f.sequence, Number(s.stratum), Number(s.allocationIndex));
  const { proof } = revealOf(f.sequence, Number(s.stratum), Number(s.allocationIndex));
  await mined(
    f.trialRegistry.connect(f.randomizerKey).discloseArms(f.trialId, [{ patient: f.patientId, arm, salt, proof }]),
  );
  expect((await f.trialRegistry.trialState(f.trialId)).unblinded).to.equal(true);
}

async function pause(f: TrialsFixture): Promise<void> {
  await mined(f.trialProtocol.connect(f.pauser).pause());
}

// ---------------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------------

/** The fixture trial with amendment 1 (a new protocol only) pending. */
async function pendingAmendment() {
  const f = await loadFixture(trialsFixture);
  await mined(propose(f));
  return f;
}

/** The fixture trial unblinded: the patient enrolled, revealed and her arm disclosed. */
async function unblindedTrial() {
  const f = await loadFixture(trialsFixture);
  await unblindOne(f);
  return f;
}

/** The fixture trial with its database locked with `DATASET`. */
async function lockedTrial() {
  const f = await loadFixture(trialsFixture);
  await lockWith(f);
  return f;
}

/** The fixture trial with credentials that outlast its results deadline. */
async function longTrial() {
  const f = await loadFixture(trialsFixture);
  await renewCredentials(f);
  const { due } = await f.trialProtocol.resultsDeadline(f.trialId);
  return { ...f, due };
}

/**
 * The fixture trial at its primary completion date (credentials renewed), its database then locked with `DATASET`: a
 * report from now on meets the results deadline (one before the date would not).
 */
async function completedTrial() {
  const f = await longTrial();
  const primaryCompletion = f.due - BigInt(RESULTS_WINDOW);
  await time.increaseTo(primaryCompletion);
  await lockWith(f);
  return { ...f, primaryCompletion };
}

/** 1,001 trials: the fixture's and 1,000 more of the same sponsor (one outcome each), for the scan bound. */
async function manyTrials() {
  const f = await loadFixture(trialsFixture);
  const registry = f.trialRegistry.connect(f.sponsorKey);
  const one = registration(f.parties, await time.latest(), { outcomes: [primary(PRIMARY)] });
  const gasLimit = ((await registry.registerTrial.estimateGas(one)) * 3n) / 2n;
  // Sent without waiting for the receipts (automine still mines one per transaction): 1,000 registrations in seconds.
  const sent: ContractTransactionResponse[] = [];
  for (let i = 0; i < MAX_SCAN; i += 1) sent.push(await registry.registerTrial(one, { gasLimit }));
  await sent.at(-1)?.wait();
  expect(await f.trialRegistry.trialCount()).to.equal(BigInt(MAX_SCAN + 1));
  return f;
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("TrialProtocol", () => {
  describe("proposeAmendment", () => {
    it("records every field of the proposal and emits AmendmentProposed with the sponsor's id", async () => {
      const f = await loadFixture(trialsFixture);
      const primaryCompletion = (await time.latest()) + 2 * YEAR;
      const p = proposal({
        analysisPlan: SAP_V2,
        consentForm: CONSENT_V2,
        majorConsentChange: true,
        primaryCompletion,
        outcomes: [primary(PRIMARY), secondary(SECONDARY_1), secondary(NEW_OUTCOME)],
      });
      expect(await f.trialProtocol.connect(f.sponsorKey).proposeAmendment.staticCall(f.trialId, p)).to.equal(1n);
      await expect(propose(f, p))
        .to.emit(f.trialProtocol, "AmendmentProposed")
        .withArgs(f.trialId, 1n, f.sponsorId, p.protocol, p.analysisPlan, p.consentForm, true, primaryCompletion, true);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect(a.status).to.equal(TrialAmendmentStatus.Proposed);
      expect(a.majorConsentChange).to.equal(true);
      expect(a.changesOutcomes).to.equal(true);
      expect(a.approvedAfterUnblinding).to.equal(false);
      expect(a.approvedAfterLock).to.equal(false);
      expect(a.proposedAt).to.equal(await time.latest());
      expect(a.decidedAt).to.equal(0n);
      expect(a.primaryCompletion).to.equal(primaryCompletion);
      expect([a.protocol, a.analysisPlan, a.consentForm]).to.deep.equal([p.protocol, p.analysisPlan, p.consentForm]);
      // Pending, not in force: the protocol, the outcomes and the consent form version are unchanged.
      const v1 = await registered(f);
      expect(await f.trialProtocol.protocolOf(f.trialId)).to.deep.equal([v1.protocol, v1.analysisPlan, 1n, 1n]);
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect([...o.commitments]).to.deep.equal([PRIMARY, SECONDARY_1, SECONDARY_2]);
      expect([o.current, o.currentPrimary, o.preSpecified, o.preSpecifiedPrimary]).to.deep.equal([
        ALL_THREE,
        P,
        ALL_THREE,
        P,
      ]);
      expect((await f.trialRegistry.trial(f.trialId)).consentVersion).to.equal(1n);
    });

    it("records a proposal that changes neither outcomes nor consent form as such", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(propose(f))
        .to.emit(f.trialProtocol, "AmendmentProposed")
        .withArgs(f.trialId, 1n, f.sponsorId, PROTOCOL_V2, ZeroHash, ZeroHash, false, 0n, false);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect([a.majorConsentChange, a.changesOutcomes, a.primaryCompletion]).to.deep.equal([false, false, 0n]);
    });

    it("stores a major flag without a consent form as not major", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(propose(f, proposal({ majorConsentChange: true })))
        .to.emit(f.trialProtocol, "AmendmentProposed")
        .withArgs(f.trialId, 1n, f.sponsorId, PROTOCOL_V2, ZeroHash, ZeroHash, false, 0n, false);
      expect((await f.trialProtocol.amendment(f.trialId, 1n)).majorConsentChange).to.equal(false);
      await mined(approve(f));
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion]).to.deep.equal([1n, 1n]);
    });

    it("reverts with TrialProtocolNotSponsor for anyone but the sponsor", async () => {
      const f = await loadFixture(trialsFixture);
      for (const by of [f.ethicsCommitteeKey, f.regulatorKey, f.cardiologistKey, f.strangerKey]) {
        await expect(propose(f, proposal(), by))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotSponsor")
          .withArgs(f.trialId, by.address);
      }
      expect((await f.trialProtocol.protocolOf(f.trialId)).amendments).to.equal(0n);
    });

    it("reverts with TrialProtocolAmendmentPending while another amendment awaits the committee", async () => {
      const f = await pendingAmendment();
      await expect(propose(f, proposal({ protocol: PROTOCOL_V3 })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolAmendmentPending")
        .withArgs(f.trialId, 1n);
      const v1 = await registered(f);
      expect(await f.trialProtocol.protocolOf(f.trialId)).to.deep.equal([v1.protocol, v1.analysisPlan, 1n, 1n]);
    });

    it("reverts with TrialProtocolEmptyAmendment without a new protocol", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(propose(f, proposal({ protocol: ZeroHash, analysisPlan: SAP_V2 }))).to.be.revertedWithCustomError(
        f.trialProtocol,
        "TrialProtocolEmptyAmendment",
      );
      expect((await f.trialProtocol.protocolOf(f.trialId)).amendments).to.equal(0n);
    });

    it("accepts a date in the past or now (the actual completion of a trial that ended early)", async () => {
      const f = await loadFixture(trialsFixture);
      for (const [i, before] of [DAY, 0, YEAR].entries()) {
        const amendmentId = BigInt(i + 1);
        const at = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(at);
        const primaryCompletion = at - before;
        await expect(propose(f, proposal({ primaryCompletion })))
          .to.emit(f.trialProtocol, "AmendmentProposed")
          .withArgs(
            f.trialId,
            amendmentId,
            f.sponsorId,
            PROTOCOL_V2,
            ZeroHash,
            ZeroHash,
            false,
            primaryCompletion,
            false,
          );
        expect((await f.trialProtocol.amendment(f.trialId, amendmentId)).primaryCompletion).to.equal(
          BigInt(primaryCompletion),
        );
        await mined(f.trialProtocol.connect(f.sponsorKey).withdrawAmendment(f.trialId, amendmentId));
      }
      expect((await f.trialProtocol.protocolOf(f.trialId)).amendments).to.equal(3n);
    });

    it("reverts with TrialProtocolInvalidPrimaryCompletion for a date more than 20 years ahead", async () => {
      const f = await loadFixture(trialsFixture);
      expect(await f.trialProtocol.MAX_COMPLETION_HORIZON()).to.equal(BigInt(MAX_COMPLETION_HORIZON));
      for (const beyond of [1, YEAR]) {
        const at = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(at);
        await expect(propose(f, proposal({ primaryCompletion: at + MAX_COMPLETION_HORIZON + beyond })))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidPrimaryCompletion")
          .withArgs(at + MAX_COMPLETION_HORIZON + beyond, at);
        await mine();
      }
      expect((await f.trialProtocol.protocolOf(f.trialId)).amendments).to.equal(0n);
      // The horizon itself is within reach, and the deadline it sets with it.
      const at = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(at);
      await expect(propose(f, proposal({ primaryCompletion: at + MAX_COMPLETION_HORIZON }))).to.emit(
        f.trialProtocol,
        "AmendmentProposed",
      );
      await mined(approve(f));
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.primaryCompletion, d.due]).to.deep.equal([
        BigInt(at + MAX_COMPLETION_HORIZON),
        BigInt(at + MAX_COMPLETION_HORIZON + RESULTS_WINDOW),
      ]);
    });

    it("reverts with TrialProtocolInvalidOutcomes for an outcome list without a primary outcome", async () => {
      const f = await loadFixture(trialsFixture);
      const outcomes = [secondary(PRIMARY), secondary(SECONDARY_1)];
      await expect(propose(f, proposal({ outcomes })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidOutcomes")
        .withArgs(2n);
      expect((await f.trialProtocol.protocolOf(f.trialId)).amendments).to.equal(0n);
    });

    it("reverts with TrialProtocolInvalidOutcomes for a list of more than 64 outcomes", async () => {
      const f = await loadFixture(trialsFixture);
      const outcomes = [primary(PRIMARY), ...freshOutcomes(MAX_OUTCOMES).map(secondary)];
      await expect(propose(f, proposal({ outcomes })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidOutcomes")
        .withArgs(BigInt(MAX_OUTCOMES + 1));
    });

    it("reverts with TrialProtocolInvalidOutcomes when the trial would have more than 64 outcomes in all", async () => {
      const f = await loadFixture(trialsFixture);
      // 3 registered + 62 new = 65 distinct outcomes over the trial's life, in a list of only 63.
      const tooMany = [primary(PRIMARY), ...freshOutcomes(MAX_OUTCOMES - 2).map(secondary)];
      await expect(propose(f, proposal({ outcomes: tooMany })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidOutcomes")
        .withArgs(BigInt(MAX_OUTCOMES - 1));
      // 3 registered + 61 new = 64: accepted, and every position is taken.
      const fill = freshOutcomes(MAX_OUTCOMES - 3);
      await amend(f, proposal({ outcomes: [primary(PRIMARY), secondary(SECONDARY_1), ...fill.map(secondary)] }));
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect(o.commitments).to.have.length(MAX_OUTCOMES);
      expect(o.current).to.equal(2n ** 64n - 1n - S2);
      // Any later list that adds one outcome more is refused, though it is short: SECONDARY_2 left the list in force
      // but keeps its position.
      await expect(
        propose(f, proposal({ protocol: PROTOCOL_V3, outcomes: [primary(PRIMARY), secondary(NEW_OUTCOME)] })),
      )
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidOutcomes")
        .withArgs(2n);
      // Outcomes already specified may come back.
      await expect(
        propose(f, proposal({ protocol: PROTOCOL_V3, outcomes: [primary(SECONDARY_2), secondary(PRIMARY)] })),
      ).to.emit(f.trialProtocol, "AmendmentProposed");
    });

    it("reverts with TrialProtocolDuplicateOutcome for an outcome listed twice or a zero outcome", async () => {
      const f = await loadFixture(trialsFixture);
      const twice = [primary(PRIMARY), secondary(NEW_OUTCOME), secondary(NEW_OUTCOME)];
      await expect(propose(f, proposal({ outcomes: twice })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDuplicateOutcome")
        .withArgs(NEW_OUTCOME);
      const knownTwice = [primary(PRIMARY), secondary(PRIMARY)];
      await expect(propose(f, proposal({ outcomes: knownTwice })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDuplicateOutcome")
        .withArgs(PRIMARY);
      await expect(propose(f, proposal({ outcomes: [primary(PRIMARY), secondary(ZeroHash)] })))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDuplicateOutcome")
        .withArgs(ZeroHash);
    });

    it("reverts with TrialProtocolUnknownTrial for a trial never registered", async () => {
      const f = await loadFixture(trialsFixture);
      for (const trialId of [0n, f.trialId + 1n]) {
        await expect(f.trialProtocol.connect(f.sponsorKey).proposeAmendment(trialId, proposal()))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownTrial")
          .withArgs(trialId);
      }
    });

    it("stops while paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(propose(f)).to.be.revertedWithCustomError(f.trialProtocol, "EnforcedPause");
      expect((await f.trialProtocol.protocolOf(f.trialId)).amendments).to.equal(0n);
    });
  });

  describe("approveAmendment", () => {
    it("puts a full amendment in force and emits AmendmentApproved with the committee and the new consent version", async () => {
      const f = await loadFixture(trialsFixture);
      const primaryCompletion = (await time.latest()) + 2 * YEAR;
      const p = proposal({
        analysisPlan: SAP_V2,
        consentForm: CONSENT_V2,
        majorConsentChange: true,
        primaryCompletion,
        outcomes: [primary(SECONDARY_1), secondary(NEW_OUTCOME)],
      });
      await mined(propose(f, p));
      const tx = approve(f);
      await expect(tx)
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, 2n, false, false);
      await expect(tx).to.emit(f.trialProtocol, "PrimaryCompletionSet").withArgs(f.trialId, 1n, primaryCompletion);
      await expect(tx).to.emit(f.trialProtocol, "OutcomeSpecified").withArgs(f.trialId, 1n, SECONDARY_1, true);
      await expect(tx).to.emit(f.trialProtocol, "OutcomeSpecified").withArgs(f.trialId, 1n, NEW_OUTCOME, false);

      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect(a.status).to.equal(TrialAmendmentStatus.Approved);
      expect(a.decidedAt).to.equal(await time.latest());
      expect([a.approvedAfterUnblinding, a.approvedAfterLock]).to.deep.equal([false, false]);
      expect(await f.trialProtocol.protocolOf(f.trialId)).to.deep.equal([p.protocol, p.analysisPlan, 1n, 0n]);
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion, t.consentForm]).to.deep.equal([2n, 2n, p.consentForm]);
      // Before unblinding and lock, the new list is both the one in force and the pre-specified one.
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect([...o.commitments]).to.deep.equal([PRIMARY, SECONDARY_1, SECONDARY_2, NEW_OUTCOME]);
      expect([o.current, o.currentPrimary, o.preSpecified, o.preSpecifiedPrimary]).to.deep.equal([
        S1 | N,
        S1,
        S1 | N,
        S1,
      ]);
      const deadline = await f.trialProtocol.resultsDeadline(f.trialId);
      expect(deadline.primaryCompletion).to.equal(primaryCompletion);
      expect(deadline.due).to.equal(BigInt(primaryCompletion + RESULTS_WINDOW));
    });

    it("records a minor consent form as the current version but not as the last major one", async () => {
      const f = await loadFixture(trialsFixture);
      await mined(propose(f, proposal({ consentForm: CONSENT_V1_1 })));
      await expect(approve(f))
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, 2n, false, false);
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion, t.consentForm]).to.deep.equal([2n, 1n, CONSENT_V1_1]);
    });

    it("keeps the consent form, analysis plan, completion date and outcomes an amendment leaves out", async () => {
      const f = await pendingAmendment();
      const before = await f.trialProtocol.outcomes(f.trialId);
      const tx = approve(f);
      await expect(tx)
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, 1n, false, false);
      await expect(tx).not.to.emit(f.trialProtocol, "PrimaryCompletionSet");
      await expect(tx).not.to.emit(f.trialProtocol, "OutcomeSpecified");
      const v1 = await registered(f);
      expect(await f.trialProtocol.protocolOf(f.trialId)).to.deep.equal([PROTOCOL_V2, v1.analysisPlan, 1n, 0n]);
      expect(await f.trialProtocol.outcomes(f.trialId)).to.deep.equal(before);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).primaryCompletion).to.equal(
        await registeredPrimaryCompletion(f),
      );
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion]).to.deep.equal([1n, 1n]);
    });

    it("marks an amendment approved after unblinding and changes the outcomes in force, not the pre-specified ones", async () => {
      const f = await loadFixture(trialsFixture);
      // Proposed while blinded: what counts is when the committee approves it.
      await mined(propose(f, proposal({ outcomes: [primary(NEW_OUTCOME), secondary(PRIMARY)] })));
      await unblindOne(f);
      await expect(approve(f))
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, 1n, true, false);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect([a.approvedAfterUnblinding, a.approvedAfterLock]).to.deep.equal([true, false]);
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect([...o.commitments]).to.deep.equal([PRIMARY, SECONDARY_1, SECONDARY_2, NEW_OUTCOME]);
      expect([o.current, o.currentPrimary, o.preSpecified, o.preSpecifiedPrimary]).to.deep.equal([
        P | N,
        N,
        ALL_THREE,
        P,
      ]);
    });

    it("marks an amendment approved after lock, and after an unlock, and keeps the pre-specified outcomes", async () => {
      const f = await lockedTrial();
      await mined(propose(f, proposal({ outcomes: [primary(PRIMARY), secondary(NEW_OUTCOME)] })));
      await expect(approve(f))
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, 1n, false, true);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect([a.approvedAfterUnblinding, a.approvedAfterLock]).to.deep.equal([false, true]);
      let o = await f.trialProtocol.outcomes(f.trialId);
      expect([o.current, o.currentPrimary, o.preSpecified, o.preSpecifiedPrimary]).to.deep.equal([
        P | N,
        P,
        ALL_THREE,
        P,
      ]);
      // Unlocked, the database was still locked once: the outcomes stay frozen.
      await unlock(f);
      await mined(propose(f, proposal({ protocol: PROTOCOL_V3, outcomes: [primary(SECONDARY_2)] })));
      await expect(approve(f, 2n))
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 2n, f.ethicsCommitteeId, 1n, false, true);
      o = await f.trialProtocol.outcomes(f.trialId);
      expect([o.current, o.currentPrimary, o.preSpecified, o.preSpecifiedPrimary]).to.deep.equal([
        S2,
        S2,
        ALL_THREE,
        P,
      ]);
    });

    it("marks both when the trial was unblinded and locked", async () => {
      const f = await unblindedTrial();
      await lockWith(f);
      await mined(propose(f, proposal({ consentForm: CONSENT_V2 })));
      await expect(approve(f))
        .to.emit(f.trialProtocol, "AmendmentApproved")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, 2n, true, true);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect([a.approvedAfterUnblinding, a.approvedAfterLock]).to.deep.equal([true, true]);
    });

    it("reverts with TrialProtocolNotEthicsCommittee for anyone but the trial's ethics committee", async () => {
      const f = await pendingAmendment();
      for (const by of [f.sponsorKey, f.regulatorKey, f.randomizerKey, f.strangerKey]) {
        await expect(approve(f, 1n, by))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotEthicsCommittee")
          .withArgs(f.trialId, by.address);
      }
      expect((await f.trialProtocol.amendment(f.trialId, 1n)).status).to.equal(TrialAmendmentStatus.Proposed);
    });

    it("reverts with TrialProtocolInvalidTransition for an amendment approved already", async () => {
      const f = await pendingAmendment();
      await mined(approve(f));
      await expect(approve(f))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidTransition")
        .withArgs(f.trialId, 1n, TrialAmendmentStatus.Approved, TrialAmendmentStatus.Approved);
    });

    it("reverts with TrialProtocolInvalidTransition for a rejected or withdrawn amendment", async () => {
      const f = await pendingAmendment();
      await mined(
        f.trialProtocol
          .connect(f.ethicsCommitteeKey)
          .rejectAmendment(f.trialId, 1n, OversightReason.RiskToParticipants),
      );
      await expect(approve(f, 1n))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidTransition")
        .withArgs(f.trialId, 1n, TrialAmendmentStatus.Rejected, TrialAmendmentStatus.Approved);
      await mined(propose(f, proposal({ protocol: PROTOCOL_V3 })));
      await mined(f.trialProtocol.connect(f.sponsorKey).withdrawAmendment(f.trialId, 2n));
      await expect(approve(f, 2n))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidTransition")
        .withArgs(f.trialId, 2n, TrialAmendmentStatus.Withdrawn, TrialAmendmentStatus.Approved);
      const v1 = await registered(f);
      expect((await f.trialProtocol.protocolOf(f.trialId)).protocol).to.equal(v1.protocol);
    });

    it("reverts with TrialProtocolUnknownAmendment for amendment 0 and one not proposed", async () => {
      const f = await pendingAmendment();
      for (const amendmentId of [0n, 2n, 65535n]) {
        await expect(approve(f, amendmentId))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownAmendment")
          .withArgs(f.trialId, amendmentId);
        await expect(f.trialProtocol.amendment(f.trialId, amendmentId))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownAmendment")
          .withArgs(f.trialId, amendmentId);
      }
    });

    it("reverts with TrialProtocolUnknownTrial for a trial never registered", async () => {
      const f = await pendingAmendment();
      await expect(f.trialProtocol.connect(f.ethicsCommitteeKey).approveAmendment(f.trialId + 1n, 1n))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownTrial")
        .withArgs(f.trialId + 1n);
    });

    it("stops while paused", async () => {
      const f = await pendingAmendment();
      await pause(f);
      await expect(approve(f)).to.be.revertedWithCustomError(f.trialProtocol, "EnforcedPause");
      expect((await f.trialProtocol.amendment(f.trialId, 1n)).status).to.equal(TrialAmendmentStatus.Proposed);
    });
  });

  describe("rejectAmendment", () => {
    const reject = (f: TrialsFixture, reason: number = OversightReason.ScientificDesign, by = f.ethicsCommitteeKey) =>
      f.trialProtocol.connect(by).rejectAmendment(f.trialId, 1n, reason);

    it("closes the amendment and emits AmendmentClosed with the committee and the reason", async () => {
      const f = await loadFixture(trialsFixture);
      await mined(propose(f, proposal({ outcomes: [primary(NEW_OUTCOME)], consentForm: CONSENT_V2 })));
      await expect(reject(f))
        .to.emit(f.trialProtocol, "AmendmentClosed")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, TrialAmendmentStatus.Rejected, OversightReason.ScientificDesign);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect(a.status).to.equal(TrialAmendmentStatus.Rejected);
      expect(a.decidedAt).to.equal(await time.latest());
      const v1 = await registered(f);
      expect(await f.trialProtocol.protocolOf(f.trialId)).to.deep.equal([v1.protocol, v1.analysisPlan, 1n, 0n]);
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect([...o.commitments]).to.deep.equal([PRIMARY, SECONDARY_1, SECONDARY_2]);
      expect((await f.trialRegistry.trial(f.trialId)).consentVersion).to.equal(1n);
      await expect(propose(f, proposal({ protocol: PROTOCOL_V3 })))
        .to.emit(f.trialProtocol, "AmendmentProposed")
        .withArgs(f.trialId, 2n, f.sponsorId, PROTOCOL_V3, ZeroHash, ZeroHash, false, 0n, false);
    });

    it("reverts with TrialProtocolReasonRequired without a reason code", async () => {
      const f = await pendingAmendment();
      await expect(reject(f, OversightReason.None)).to.be.revertedWithCustomError(
        f.trialProtocol,
        "TrialProtocolReasonRequired",
      );
      expect((await f.trialProtocol.amendment(f.trialId, 1n)).status).to.equal(TrialAmendmentStatus.Proposed);
    });

    it("reverts with TrialProtocolNotEthicsCommittee for anyone but the trial's ethics committee", async () => {
      const f = await pendingAmendment();
      for (const by of [f.sponsorKey, f.regulatorKey, f.strangerKey]) {
        await expect(reject(f, OversightReason.ScientificDesign, by))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotEthicsCommittee")
          .withArgs(f.trialId, by.address);
      }
    });

    it("reverts with TrialProtocolInvalidTransition for an amendment decided already", async () => {
      const f = await pendingAmendment();
      await mined(approve(f));
      await expect(reject(f))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidTransition")
        .withArgs(f.trialId, 1n, TrialAmendmentStatus.Approved, TrialAmendmentStatus.Rejected);
    });

    it("works while paused", async () => {
      const f = await pendingAmendment();
      await pause(f);
      await expect(reject(f))
        .to.emit(f.trialProtocol, "AmendmentClosed")
        .withArgs(f.trialId, 1n, f.ethicsCommitteeId, TrialAmendmentStatus.Rejected, OversightReason.ScientificDesign);
      expect((await f.trialProtocol.protocolOf(f.trialId)).pendingAmendment).to.equal(0n);
    });
  });

  describe("withdrawAmendment", () => {
    const withdraw = (f: TrialsFixture, amendmentId = 1n, by = f.sponsorKey) =>
      f.trialProtocol.connect(by).withdrawAmendment(f.trialId, amendmentId);

    it("closes the sponsor's amendment and lets it propose another, whose own outcome list counts", async () => {
      const f = await loadFixture(trialsFixture);
      await mined(propose(f, proposal({ outcomes: [primary(NEW_OUTCOME)], primaryCompletion: 2e9 })));
      await expect(withdraw(f))
        .to.emit(f.trialProtocol, "AmendmentClosed")
        .withArgs(f.trialId, 1n, f.sponsorId, TrialAmendmentStatus.Withdrawn, 0n);
      const a = await f.trialProtocol.amendment(f.trialId, 1n);
      expect(a.status).to.equal(TrialAmendmentStatus.Withdrawn);
      expect(a.decidedAt).to.equal(await time.latest());
      expect((await f.trialProtocol.protocolOf(f.trialId)).pendingAmendment).to.equal(0n);
      // The next proposal keeps the outcomes and the date: nothing of the withdrawn one survives into it.
      const tx = propose(f, proposal({ protocol: PROTOCOL_V3 }));
      await expect(tx)
        .to.emit(f.trialProtocol, "AmendmentProposed")
        .withArgs(f.trialId, 2n, f.sponsorId, PROTOCOL_V3, ZeroHash, ZeroHash, false, 0n, false);
      await expect(approve(f, 2n)).not.to.emit(f.trialProtocol, "OutcomeSpecified");
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect([...o.commitments]).to.deep.equal([PRIMARY, SECONDARY_1, SECONDARY_2]);
      expect([o.current, o.preSpecified]).to.deep.equal([ALL_THREE, ALL_THREE]);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).primaryCompletion).to.equal(
        await registeredPrimaryCompletion(f),
      );
      const v1 = await registered(f);
      expect(await f.trialProtocol.protocolOf(f.trialId)).to.deep.equal([PROTOCOL_V3, v1.analysisPlan, 2n, 0n]);
    });

    it("reverts with TrialProtocolNotSponsor for anyone but the sponsor", async () => {
      const f = await pendingAmendment();
      for (const by of [f.ethicsCommitteeKey, f.strangerKey]) {
        await expect(withdraw(f, 1n, by))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotSponsor")
          .withArgs(f.trialId, by.address);
      }
    });

    it("reverts with TrialProtocolInvalidTransition for an amendment withdrawn already", async () => {
      const f = await pendingAmendment();
      await mined(withdraw(f));
      await expect(withdraw(f))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidTransition")
        .withArgs(f.trialId, 1n, TrialAmendmentStatus.Withdrawn, TrialAmendmentStatus.Withdrawn);
      await expect(withdraw(f, 2n))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownAmendment")
        .withArgs(f.trialId, 2n);
    });

    it("works while paused, and the next proposal waits for the unpause", async () => {
      const f = await pendingAmendment();
      await pause(f);
      await expect(withdraw(f))
        .to.emit(f.trialProtocol, "AmendmentClosed")
        .withArgs(f.trialId, 1n, f.sponsorId, TrialAmendmentStatus.Withdrawn, 0n);
      expect((await f.trialProtocol.amendment(f.trialId, 1n)).status).to.equal(TrialAmendmentStatus.Withdrawn);
      await expect(propose(f)).to.be.revertedWithCustomError(f.trialProtocol, "EnforcedPause");
    });
  });

  describe("specify", () => {
    it("reverts with TrialProtocolNotRegistry for anyone but the trial registry", async () => {
      const f = await loadFixture(trialsFixture);
      const now = await time.latest();
      for (const by of [f.sponsorKey, f.deployer, f.strangerKey]) {
        await expect(
          f.trialProtocol.connect(by).specify(f.trialId + 1n, PROTOCOL_X, SAP_X, [primary(PRIMARY)], now + YEAR),
        )
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotRegistry")
          .withArgs(by.address);
      }
      expect(await f.trialProtocol.registry()).to.equal(await f.trialRegistry.getAddress());
      await expect(f.trialProtocol.protocolOf(f.trialId + 1n))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownTrial")
        .withArgs(f.trialId + 1n);
    });
  });

  describe("reportResults", () => {
    it("finds nothing to flag when all three pre-specified outcomes are reported as specified", async () => {
      const f = await completedTrial();
      const outcomes = asRegistered();
      const tx = report(f, outcomes);
      for (const o of outcomes) {
        await expect(tx)
          .to.emit(f.trialProtocol, "OutcomeReported")
          .withArgs(f.trialId, 1n, o.outcome, o.result, o.primary, true);
      }
      await expect(tx).not.to.emit(f.trialProtocol, "OutcomeNotReported");
      await expect(tx).not.to.emit(f.trialProtocol, "PrimaryOutcomeChanged");
      await expect(tx)
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          1n,
          DATASET,
          reportHash(DATASET, outcomes),
          comparisonIs({ notReported: 0n, added: 0n, primaryChanged: false }),
          false,
        );
      const decoded = await decodedReport(f, await mined(tx));
      expect(decoded.comparison).to.deep.equal({ notReported: 0n, added: 0n, primaryChanged: false });
      expect(decoded.reported).to.have.length(3);
      expect(await f.trialProtocol.resultsHash(f.trialId, 1n)).to.equal(reportHash(DATASET, outcomes));
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([1n, BigInt(await time.latest()), false]);
    });

    it("emits OutcomeNotReported and sets its bit when a secondary outcome is left out", async () => {
      const f = await lockedTrial();
      const decoded = await reportAndCompare(f, [reported(PRIMARY, true), reported(SECONDARY_1, false)], {
        notReported: S2,
        added: 0n,
        primaryChanged: false,
      });
      await expect(decoded.tx)
        .to.emit(f.trialProtocol, "OutcomeNotReported")
        .withArgs(f.trialId, 1n, SECONDARY_2, false);
      expect(decoded.notReported).to.deep.equal([{ outcome: SECONDARY_2, primary: false }]);
      expect(decoded.primaryChanged).to.deep.equal([]);
    });

    it("flags a missing primary outcome as not reported and as a changed primary", async () => {
      const f = await lockedTrial();
      const decoded = await reportAndCompare(f, [reported(SECONDARY_1, false), reported(SECONDARY_2, false)], {
        notReported: P,
        added: 0n,
        primaryChanged: true,
      });
      await expect(decoded.tx).to.emit(f.trialProtocol, "PrimaryOutcomeChanged").withArgs(f.trialId, 1n, P, 0n);
      expect(decoded.notReported).to.deep.equal([{ outcome: PRIMARY, primary: true }]);
      expect(decoded.primaryChanged).to.deep.equal([{ preSpecifiedPrimary: P, reportedPrimary: 0n }]);
    });

    it("counts an undeclared outcome as added and reports it as not pre-specified", async () => {
      const f = await lockedTrial();
      const outcomes = [...asRegistered(), reported(NEW_OUTCOME, false)];
      const decoded = await reportAndCompare(f, outcomes, { notReported: 0n, added: 1n, primaryChanged: false });
      await expect(decoded.tx)
        .to.emit(f.trialProtocol, "OutcomeReported")
        .withArgs(f.trialId, 1n, NEW_OUTCOME, resultOf(NEW_OUTCOME), false, false);
      expect(decoded.reported).to.deep.equal([
        { outcome: PRIMARY, primary: true, preSpecified: true },
        { outcome: SECONDARY_1, primary: false, preSpecified: true },
        { outcome: SECONDARY_2, primary: false, preSpecified: true },
        { outcome: NEW_OUTCOME, primary: false, preSpecified: false },
      ]);
      expect(decoded.notReported).to.deep.equal([]);
    });

    it("emits PrimaryOutcomeChanged with the masks when the primary and a secondary outcome swap", async () => {
      const f = await lockedTrial();
      const outcomes = [reported(PRIMARY, false), reported(SECONDARY_1, true), reported(SECONDARY_2, false)];
      const r = await reportAndCompare(f, outcomes, { notReported: 0n, added: 0n, primaryChanged: true });
      await expect(r.tx).to.emit(f.trialProtocol, "PrimaryOutcomeChanged").withArgs(f.trialId, 1n, P, S1);
      expect(r.primaryChanged).to.deep.equal([{ preSpecifiedPrimary: P, reportedPrimary: S1 }]);
      expect(r.reported.every((o) => o.preSpecified)).to.equal(true);
    });

    it("flags a changed primary when a brand-new outcome is reported as primary beside the pre-specified one", async () => {
      const f = await lockedTrial();
      const outcomes = [...asRegistered(), reported(NEW_OUTCOME, true)];
      const r = await reportAndCompare(f, outcomes, { notReported: 0n, added: 1n, primaryChanged: true });
      // The new outcome has no position: the masks agree, the event names it.
      await expect(r.tx).to.emit(f.trialProtocol, "PrimaryOutcomeChanged").withArgs(f.trialId, 1n, P, P);
      await expect(r.tx)
        .to.emit(f.trialProtocol, "OutcomeReported")
        .withArgs(f.trialId, 1n, NEW_OUTCOME, resultOf(NEW_OUTCOME), true, false);
    });

    it("counts outcomes an amendment added after lock as added, and their primary as a change", async () => {
      const f = await lockedTrial();
      const list = [primary(PRIMARY), secondary(SECONDARY_1), secondary(SECONDARY_2), primary(NEW_OUTCOME)];
      await amend(f, proposal({ outcomes: list }));
      const o = await f.trialProtocol.outcomes(f.trialId);
      expect([o.current, o.currentPrimary, o.preSpecified, o.preSpecifiedPrimary]).to.deep.equal([
        ALL_THREE | N,
        P | N,
        ALL_THREE,
        P,
      ]);
      // Reported as the amendment has it: the new primary outcome is neither pre-specified nor a pre-specified primary.
      const outcomes = [...asRegistered(), reported(NEW_OUTCOME, true)];
      const r = await reportAndCompare(f, outcomes, { notReported: 0n, added: 1n, primaryChanged: true });
      await expect(r.tx)
        .to.emit(f.trialProtocol, "OutcomeReported")
        .withArgs(f.trialId, 1n, NEW_OUTCOME, resultOf(NEW_OUTCOME), true, false);
      await expect(r.tx)
        .to.emit(f.trialProtocol, "PrimaryOutcomeChanged")
        .withArgs(f.trialId, 1n, P, P | N);
    });

    it("counts outcomes an amendment added after unblinding, before lock, as added", async () => {
      const f = await unblindedTrial();
      await amend(f, proposal({ outcomes: [primary(PRIMARY), secondary(NEW_OUTCOME)] }));
      await lockWith(f);
      const r = await reportAndCompare(f, [reported(PRIMARY, true), reported(NEW_OUTCOME, false)], {
        notReported: S1 | S2,
        added: 1n,
        primaryChanged: false,
      });
      expect(r.reported.map((o) => o.preSpecified)).to.deep.equal([true, false]);
      expect(r.notReported).to.deep.equal([
        { outcome: SECONDARY_1, primary: false },
        { outcome: SECONDARY_2, primary: false },
      ]);
    });

    it("counts outcomes an amendment specified before unblinding as pre-specified, and drops those it left out", async () => {
      const f = await loadFixture(trialsFixture);
      await amend(f, proposal({ outcomes: [primary(PRIMARY), secondary(SECONDARY_1), secondary(NEW_OUTCOME)] }));
      await unblindOne(f);
      await lockWith(f);
      const asAmended = [reported(PRIMARY, true), reported(SECONDARY_1, false), reported(NEW_OUTCOME, false)];
      const first = await reportAndCompare(f, asAmended, { notReported: 0n, added: 0n, primaryChanged: false });
      expect(first.reported.every((o) => o.preSpecified)).to.equal(true);
      // Version 2 leaves out the amendment's outcome and brings back the one it dropped.
      const second = await reportAndCompare(f, asRegistered(), { notReported: N, added: 1n, primaryChanged: false });
      await expect(second.tx)
        .to.emit(f.trialProtocol, "OutcomeNotReported")
        .withArgs(f.trialId, 2n, NEW_OUTCOME, false);
      await expect(second.tx)
        .to.emit(f.trialProtocol, "OutcomeReported")
        .withArgs(f.trialId, 2n, SECONDARY_2, resultOf(SECONDARY_2), false, false);
    });

    it("keeps each report's hash as keccak256(abi.encode(datasetRoot, outcomes)) and numbers a second report 2", async () => {
      const f = await completedTrial();
      const first = asRegistered();
      await mined(report(f, first));
      const firstReportedAt = BigInt(await time.latest());
      const second = [{ ...reported(PRIMARY, true), result: CORRECTED_RESULT }];
      await time.increase(DAY);
      const tx = report(f, second);
      await expect(tx)
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          2n,
          DATASET,
          reportHash(DATASET, second),
          comparisonIs({ notReported: S1 | S2, added: 0n, primaryChanged: false }),
          false,
        );
      await expect(tx)
        .to.emit(f.trialProtocol, "OutcomeReported")
        .withArgs(f.trialId, 2n, PRIMARY, CORRECTED_RESULT, true, true);
      expect(await f.trialProtocol.resultsHash(f.trialId, 1n)).to.equal(reportHash(DATASET, first));
      expect(await f.trialProtocol.resultsHash(f.trialId, 2n)).to.equal(reportHash(DATASET, second));
      expect(reportHash(DATASET, first)).not.to.equal(reportHash(DATASET, second));
      expect(await f.trialProtocol.resultsHash(f.trialId, 3n)).to.equal(ZeroHash);
      expect(await f.trialProtocol.resultsHash(f.trialId, 0n)).to.equal(ZeroHash);
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt]).to.deep.equal([2n, firstReportedAt]);
    });

    it("reverts with TrialProtocolNotSponsor for anyone but the sponsor", async () => {
      const f = await lockedTrial();
      for (const by of [f.ethicsCommitteeKey, f.regulatorKey, f.strangerKey]) {
        await expect(report(f, asRegistered(), DATASET, by))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotSponsor")
          .withArgs(f.trialId, by.address);
      }
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).versions).to.equal(0n);
    });

    it("reverts with TrialProtocolNotLocked before the lock and after an unlock", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(report(f, asRegistered()))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotLocked")
        .withArgs(f.trialId);
      await lockWith(f);
      await mined(report(f, asRegistered()));
      await unlock(f);
      await expect(report(f, asRegistered()))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotLocked")
        .withArgs(f.trialId);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).versions).to.equal(1n);
    });

    it("reverts with TrialProtocolDatasetMismatch for a root other than the locked one", async () => {
      const f = await lockedTrial();
      for (const root of [OTHER_DATASET, ZeroHash]) {
        await expect(report(f, asRegistered(), root))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDatasetMismatch")
          .withArgs(f.trialId, DATASET, root);
      }
      // Relocked with a new root, the old one no longer matches.
      await unlock(f);
      const relocked = RELOCKED;
      await lockWith(f, relocked);
      await expect(report(f, asRegistered()))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDatasetMismatch")
        .withArgs(f.trialId, relocked, DATASET);
      await expect(report(f, asRegistered(), relocked)).to.emit(f.trialProtocol, "ResultsReported");
    });

    it("reverts with TrialProtocolInvalidLength for an empty report and one of more than 64 outcomes", async () => {
      const f = await lockedTrial();
      await expect(report(f, []))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidLength")
        .withArgs(0n, 64n);
      const tooMany = [...asRegistered(), ...freshOutcomes(62, "reported").map((o) => reported(o, false))];
      expect(tooMany).to.have.length(65);
      await expect(report(f, tooMany))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidLength")
        .withArgs(65n, 64n);
      await expect(report(f, tooMany.slice(0, 64))).to.emit(f.trialProtocol, "ResultsReported");
    });

    it("reverts with TrialProtocolZeroResult for an outcome without a result", async () => {
      const f = await lockedTrial();
      for (const outcome of [SECONDARY_1, NEW_OUTCOME]) {
        const outcomes = [reported(PRIMARY, true), { outcome, result: ZeroHash, primary: false }];
        await expect(report(f, outcomes))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolZeroResult")
          .withArgs(outcome);
      }
    });

    it("reverts with TrialProtocolDuplicateResult for a pre-specified or a new outcome reported twice", async () => {
      const f = await lockedTrial();
      const prespecifiedTwice = [...asRegistered(), { ...reported(PRIMARY, false), result: RESULT_AGAIN }];
      await expect(report(f, prespecifiedTwice))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDuplicateResult")
        .withArgs(PRIMARY);
      const newTwice = [reported(NEW_OUTCOME, false), reported(PRIMARY, true), reported(NEW_OUTCOME, true)];
      await expect(report(f, newTwice))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDuplicateResult")
        .withArgs(NEW_OUTCOME);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).versions).to.equal(0n);
    });

    it("reverts with TrialProtocolUnknownTrial for a trial never registered", async () => {
      const f = await lockedTrial();
      await expect(f.trialProtocol.connect(f.sponsorKey).reportResults(f.trialId + 1n, DATASET, asRegistered()))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownTrial")
        .withArgs(f.trialId + 1n);
    });

    it("stops while paused", async () => {
      const f = await lockedTrial();
      await pause(f);
      await expect(report(f, asRegistered())).to.be.revertedWithCustomError(f.trialProtocol, "EnforcedPause");
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).versions).to.equal(0n);
    });
  });

  describe("resultsDeadline", () => {
    it("makes results due 365 days after the registered primary completion date", async () => {
      const f = await loadFixture(trialsFixture);
      const primaryCompletion = await registeredPrimaryCompletion(f);
      expect(await f.trialProtocol.resultsDeadline(f.trialId)).to.deep.equal([
        primaryCompletion,
        primaryCompletion + BigInt(RESULTS_WINDOW),
        0n,
        0n,
        false,
      ]);
      await expect(f.trialProtocol.resultsDeadline(f.trialId + 1n))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownTrial")
        .withArgs(f.trialId + 1n);
    });

    it("is not late at the due date, and late and listed as overdue a second after it", async () => {
      const f = await loadFixture(trialsFixture);
      const { due } = await f.trialProtocol.resultsDeadline(f.trialId);
      const count = await f.trialRegistry.trialCount();
      await time.increaseTo(due - 1n);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(false);
      await time.increaseTo(due);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(false);
      expect(await f.trialProtocol.overdueTrials(1n, count)).to.deep.equal([]);
      await time.increaseTo(due + 1n);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(true);
      expect(await f.trialProtocol.overdueTrials(1n, count)).to.deep.equal([f.trialId]);
    });

    it("marks results first reported after the due date late for good", async () => {
      const f = await longTrial();
      await lockWith(f);
      await time.increaseTo(f.due + 1n);
      await expect(report(f, asRegistered()))
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          1n,
          DATASET,
          reportHash(DATASET, asRegistered()),
          comparisonIs({ notReported: 0n, added: 0n, primaryChanged: false }),
          true,
        );
      const reportedAt = BigInt(await time.latest());
      expect(await f.trialProtocol.resultsDeadline(f.trialId)).to.deep.equal([
        f.due - BigInt(RESULTS_WINDOW),
        f.due,
        1n,
        reportedAt,
        true,
      ]);
      await time.increase(YEAR);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(true);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
    });

    it("never marks results first reported by the due date late, though a later version is", async () => {
      const f = await longTrial();
      await lockWith(f);
      await time.setNextBlockTimestamp(f.due);
      await expect(report(f, asRegistered()))
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          1n,
          DATASET,
          reportHash(DATASET, asRegistered()),
          comparisonIs({ notReported: 0n, added: 0n, primaryChanged: false }),
          false,
        );
      await time.increaseTo(f.due + BigInt(YEAR));
      const second = [reported(PRIMARY, true)];
      await expect(report(f, second))
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          2n,
          DATASET,
          reportHash(DATASET, second),
          comparisonIs({ notReported: S1 | S2, added: 0n, primaryChanged: false }),
          true,
        );
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([2n, f.due, false]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([]);
    });

    it("does not let an early report meet the deadline: reported, then unlocked, the trial still falls due", async () => {
      const f = await longTrial();
      await lockWith(f);
      const outcomes = asRegistered();
      // Accepted, emitted, versioned and hashed like any report, before the primary completion date.
      await expect(report(f, outcomes))
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          1n,
          DATASET,
          reportHash(DATASET, outcomes),
          comparisonIs({ notReported: 0n, added: 0n, primaryChanged: false }),
          false,
        );
      expect(await f.trialProtocol.resultsHash(f.trialId, 1n)).to.equal(reportHash(DATASET, outcomes));
      let d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([1n, 0n, false]);
      // The database unlocked and the trial going on: the early report stopped no clock.
      await unlock(f);
      await time.increaseTo(f.due);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(false);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([]);
      await time.increaseTo(f.due + 1n);
      d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([1n, 0n, true]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
    });

    it("counts a report from the primary completion date on: a second before it does not, at the date it does", async () => {
      const f = await longTrial();
      await lockWith(f);
      const primaryCompletion = f.due - BigInt(RESULTS_WINDOW);
      await time.setNextBlockTimestamp(primaryCompletion - 1n);
      await mined(report(f, asRegistered()));
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).firstReportedAt).to.equal(0n);
      await time.setNextBlockTimestamp(primaryCompletion);
      const second = [reported(PRIMARY, true)];
      await expect(report(f, second))
        .to.emit(f.trialProtocol, "ResultsReported")
        .withArgs(
          f.trialId,
          2n,
          DATASET,
          reportHash(DATASET, second),
          comparisonIs({ notReported: S1 | S2, added: 0n, primaryChanged: false }),
          false,
        );
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([2n, primaryCompletion, false]);
      await time.increaseTo(f.due + 1n);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(false);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([]);
    });

    it("makes results due a year after a past completion date an amendment sets (a trial that ended early)", async () => {
      const f = await longTrial();
      const ended = (await time.latest()) - 30 * DAY;
      await amend(f, proposal({ primaryCompletion: ended }));
      const due = BigInt(ended + RESULTS_WINDOW);
      let d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.primaryCompletion, d.due, d.firstReportedAt, d.late]).to.deep.equal([BigInt(ended), due, 0n, false]);
      // A report now is on or after the completion date: it meets the deadline.
      await lockWith(f);
      await mined(report(f, asRegistered()));
      const reportedAt = BigInt(await time.latest());
      await time.increaseTo(due + 1n);
      d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.versions, d.firstReportedAt, d.late]).to.deep.equal([1n, reportedAt, false]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([]);
    });

    it("moves the due date with an approved amendment's primary completion date", async () => {
      const f = await loadFixture(trialsFixture);
      const primaryCompletion = (await time.latest()) + 30 * DAY;
      await mined(propose(f, proposal({ primaryCompletion })));
      // Proposed, not approved: the date has not moved.
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).primaryCompletion).to.equal(
        await registeredPrimaryCompletion(f),
      );
      await expect(approve(f))
        .to.emit(f.trialProtocol, "PrimaryCompletionSet")
        .withArgs(f.trialId, 1n, primaryCompletion);
      const due = BigInt(primaryCompletion + RESULTS_WINDOW);
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.primaryCompletion, d.due, d.late]).to.deep.equal([BigInt(primaryCompletion), due, false]);
      await time.increaseTo(due);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([]);
      await time.increaseTo(due + 1n);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(true);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
    });

    it("stays late when an amendment moves the completion date after results fell due", async () => {
      const f = await longTrial();
      await time.increaseTo(f.due + 100n);
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(true);
      const later = (await time.latest()) + 1000;
      await mined(propose(f, proposal({ primaryCompletion: later })));
      await mined(approve(f));
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.primaryCompletion, d.late]).to.deep.equal([BigInt(later), true]);
      expect(await f.trialProtocol.overdueTrials(1n, f.trialId)).to.deep.equal([f.trialId]);
    });

    it("keeps a first report made after the due date late when the date later moves", async () => {
      const f = await longTrial();
      await lockWith(f);
      await time.increaseTo(f.due + 1n);
      await mined(report(f, asRegistered()));
      const later = (await time.latest()) + 10 * DAY;
      await mined(propose(f, proposal({ primaryCompletion: later })));
      await mined(approve(f));
      expect((await f.trialProtocol.resultsDeadline(f.trialId)).late).to.equal(true);
    });

    it("is not late when a date moved before it fell due is then met", async () => {
      const f = await longTrial();
      const later = Number(f.due) + 30 * DAY;
      await mined(propose(f, proposal({ primaryCompletion: later })));
      await mined(approve(f));
      await time.increaseTo(f.due + 1n);
      const d = await f.trialProtocol.resultsDeadline(f.trialId);
      expect([d.due, d.late]).to.deep.equal([BigInt(later) + BigInt(RESULTS_WINDOW), false]);
    });
  });

  describe("overdueTrials", () => {
    it("lists the late trials of a range, from 0 read as 1 and the end clipped to the trial count", async () => {
      const f = await loadFixture(trialsFixture);
      const later = registration(f.parties, (await time.latest()) + YEAR);
      await mined(f.trialRegistry.connect(f.sponsorKey).registerTrial(later));
      const second = f.trialId + 1n;
      const { due } = await f.trialProtocol.resultsDeadline(f.trialId);
      const { due: secondDue } = await f.trialProtocol.resultsDeadline(second);
      expect(secondDue).to.be.greaterThan(due);
      await time.increaseTo(due + 1n);
      expect(await f.trialProtocol.overdueTrials(1n, second)).to.deep.equal([f.trialId]);
      expect(await f.trialProtocol.overdueTrials(0n, second)).to.deep.equal([f.trialId]);
      expect(await f.trialProtocol.overdueTrials(0n, 2n ** 64n - 1n)).to.deep.equal([f.trialId]);
      expect(await f.trialProtocol.overdueTrials(second, second)).to.deep.equal([]);
      expect(await f.trialProtocol.overdueTrials(second + 1n, second + 10n)).to.deep.equal([]);
      expect(await f.trialProtocol.overdueTrials(second, f.trialId)).to.deep.equal([]);
      await time.increaseTo(secondDue + 1n);
      expect(await f.trialProtocol.overdueTrials(0n, 2n ** 64n - 1n)).to.deep.equal([f.trialId, second]);
    });

    it("reverts with TrialProtocolInvalidLength for a range of more than 1000 trials", async () => {
      const f = await manyTrials();
      for (const [from, to] of [
        [1n, 1001n],
        [0n, 1001n],
        [1n, 2n ** 64n - 1n],
      ] as const) {
        await expect(f.trialProtocol.overdueTrials(from, to))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidLength")
          .withArgs(1001n, BigInt(MAX_SCAN));
      }
      expect(await f.trialProtocol.overdueTrials(1n, 1000n)).to.deep.equal([]);
      expect(await f.trialProtocol.overdueTrials(2n, 2n ** 64n - 1n)).to.deep.equal([]);
    });
  });
});
