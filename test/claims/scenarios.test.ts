import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import type { ContractTransactionReceipt } from "ethers";
import { ethers, network } from "hardhat";

import {
  AppealStatus,
  CLAIM_PAYMENT,
  type ClaimSubmission,
  ClaimsClient,
  ClaimStatus,
  claimIdOf,
  claimReference,
  commit,
  decodeLineResult,
  decodeRemittances,
  type EobLine,
  GROUP_CODES,
  packLine,
  PaymentStatus,
} from "../../sdk";
import {
  type AppealStatus as ModelAppealStatus,
  ClaimsModel,
  ClaimsModelError,
  DAY,
  type LineResult,
  type ModelErrorReason,
} from "../../sdk/claims/model";
import { type ClaimsFixture, claimsFixture, memberOf } from "../fixtures/claims";
import {
  type AppealOutcome,
  dayToTime,
  type ExpectedLine,
  loadScenarios,
  type Scenario,
  SCENARIO_BASE,
} from "../fixtures/claims-scenarios";
import { manualGas } from "../helpers/coverage";

// The 15 worked examples of claims-scenarios.json (the consortium's figures for claims-adjudication.md), each replayed
// end to end on the production deployment (the claims fixture, built on the system fixture's deploy modules) and, in
// the same run, through the TypeScript model (sdk/claims/model.ts) fed exactly the same inputs. Every expected figure
// of the scenario is checked against the chain and against the model; after every event the chain's books are also
// compared with the model's.
//
// Inputs are those of test/sdk/claims/model.test.ts, so that the two tests replay the same thing:
// - a scenario day `d` is `dayToTime(d)`, midnight UTC; coverage periods and authorization windows run from
//   `dayToTime(first)` to `dayToTime(last)` (inclusive, both at midnight: every scenario service date is a midnight);
// - on one day, fundings come first, then claims, then appeals, each in file order; an appeal is filed on its
//   decision day, just before the decision;
// - authorizations are requested by their provider and approved as given by the payer before the first event;
// - the model keeps calling the patient by an abstract key (her participant id); on chain she is the plan-scoped member
//   pseudonym the payer issues her (`memberOf(planId, patientId)`), which claims, enrollments and authorizations name.
//
// Time: every transaction of an event is mined exactly at its day's midnight (an appeal's filing and decision in one
// block). The fixture's chain runs at the wall-clock time, after SCENARIO_BASE, so each scenario is shifted by a whole
// number of days (`shift`) to start after the fixture; amounts do not change and times are compared shifted.

const SCENARIOS = loadScenarios();

/** How far ahead of the fixture's clock the shifted day 0 must be: room for the setup's blocks (one second each). */
const SETUP_MARGIN = 3_600n;
/** What each scenario `reverts` string means: the model's reason and the contract's custom error. */
const REVERTS: Record<string, { reason: ModelErrorReason; error: string }> = {
  "duplicate submission": { reason: "DuplicateReference", error: "ClaimsDuplicateReference" },
};
const APPEAL_STATUS: Record<AppealOutcome, { chain: AppealStatus; model: ModelAppealStatus }> = {
  overturned: { chain: AppealStatus.Overturned, model: "Overturned" },
  upheld: { chain: AppealStatus.Upheld, model: "Upheld" },
};
/** Gas for transactions sent without an estimate: the appeal's two transactions mined together in one block (the
 * decision depends on the filing) and the refused claim, which is mined (and fails) at its day. Under coverage, the
 * coverage network's own (see `manualGas`). */
const MANUAL_GAS = (): bigint => manualGas(1_000_000n);
/** EIP-1559 fees with a tip of `gwei` gwei, over any base fee the in-process node will charge. */
const tip = (gwei: bigint) => ({ maxPriorityFeePerGas: gwei * 10n ** 9n, maxFeePerGas: 100n * 10n ** 9n });

/** The whole days by which a scenario is moved so that its day 0 comes after `latest` plus the setup margin. */
function shiftDays(latest: bigint): bigint {
  const earliest = latest + SETUP_MARGIN;
  return earliest < SCENARIO_BASE ? 0n : (earliest - SCENARIO_BASE) / DAY + 1n;
}

type ScenarioEvent =
  | { day: bigint; rank: 0; index: number; kind: "fund" }
  | { day: bigint; rank: 1; index: number; kind: "claim" }
  | { day: bigint; rank: 2; index: number; kind: "appeal" };

/** Funding, claims and appeals by day; on the same day funding first, then claims, then appeals, each in file order
 * (the ordering of test/sdk/claims/model.test.ts). */
function scenarioEvents(scenario: Scenario): ScenarioEvent[] {
  const events: ScenarioEvent[] = [
    ...scenario.funding.map((f, index) => ({ day: f.at, rank: 0 as const, index, kind: "fund" as const })),
    ...scenario.claims.map((c, index) => ({ day: c.submittedAt, rank: 1 as const, index, kind: "claim" as const })),
    ...scenario.appeals.map((a, index) => ({ day: a.decidedAt, rank: 2 as const, index, kind: "appeal" as const })),
  ];
  return events.sort((a, b) => (a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.rank - b.rank || a.index - b.index));
}

/** The figures a scenario gives for a line. */
type Figures = Omit<ExpectedLine, "appealed">;

function chainFigures(line: EobLine): Figures {
  return {
    denied: line.denied,
    carc: line.carc,
    group: GROUP_CODES[line.group],
    allowed: line.allowed,
    contractual: line.contractual,
    ded: line.deductible,
    copay: line.copay,
    coins: line.coinsurance,
    planPays: line.planPays,
    patientOwes: line.patientOwes,
  };
}

function modelFigures(line: LineResult): Figures {
  const { denied, carc, group, allowed, contractual, ded, copay, coins, planPays, patientOwes } = line;
  return { denied, carc, group, allowed, contractual, ded, copay, coins, planPays, patientOwes };
}

/** A line as both sides report it, with the authorization it used. */
function compareLine(chain: EobLine, model: LineResult, what: string): void {
  expect(chainFigures(chain), what).to.deep.equal(modelFigures(model));
  expect(chain.priorAuth, `${what} prior authorization`).to.equal(model.priorAuth);
}

interface Provider {
  id: bigint;
  key: HardhatEthersSigner;
  /** The provider's secret key for claim references (`claimReference`). */
  referenceKey: string;
}

function providersOf(f: ClaimsFixture): Map<string, Provider> {
  const referenceKey = (name: string) => ethers.id(`claim reference key: ${name}`);
  return new Map([
    ["cityHospital", { id: f.hospitalId, key: f.hospitalKey, referenceKey: referenceKey("cityHospital") }],
    ["uptownClinic", { id: f.clinicId, key: f.clinicKey, referenceKey: referenceKey("uptownClinic") }],
  ]);
}

/** A scenario claim once adjudicated: its id on chain and in the model, and every receipt that adjudicated its lines. */
interface ClaimRef {
  chainId: string;
  modelId: string;
  receipts: ContractTransactionReceipt[];
}

/** What one replay works with. */
interface Replay {
  f: ClaimsFixture;
  planId: bigint;
  /** The patient's member pseudonym in the scenario's plan. */
  member: string;
  scenario: Scenario;
  providers: Map<string, Provider>;
  /** Per scenario claim, once adjudicated. */
  claims: (ClaimRef | undefined)[];
}

/** Everything the chain's books say about the scenario, in the model's terms (queue entries name the claim's index in
 * the scenario and the overturned line, undefined for a claim total). */
async function chainBooks({ f, planId, member, scenario, providers, claims }: Replay) {
  const client = ClaimsClient.connect(f.deployer, f.deployment);
  const enrollments = await client.enrollments(planId, member);
  const units: bigint[] = [];
  for (let authId = 1n; authId <= scenario.priorAuths.length; authId++) {
    units.push((await client.priorAuth(authId)).unitsLeft);
  }
  const providerBalances: Record<string, bigint> = {};
  for (const [name, provider] of providers) {
    providerBalances[name] = (await client.providerAccount(provider.id)).balance;
  }
  return {
    accumulators: enrollments.map(({ deductibleMet, oopMet }) => ({ deductibleMet, oopMet })),
    units,
    payerBalance: (await client.payerAccount(f.payerId)).balance,
    providerBalances,
    queue: (await client.payerQueue(f.payerId)).map(({ claimId, line, organization, amount }) => ({
      claim: claims.findIndex((c) => c?.chainId === claimId),
      line: line === CLAIM_PAYMENT ? undefined : line,
      organization,
      amount,
    })),
  };
}

/** The on-chain summary of every adjudicated claim. */
async function claimSummaries({ f, claims }: Replay) {
  const client = ClaimsClient.connect(f.deployer, f.deployment);
  const summaries = [];
  for (const claim of claims) summaries.push(claim === undefined ? undefined : await client.claim(claim.chainId));
  return summaries;
}

/** The model's books, in the same shape as `chainBooks`. */
function modelBooks(model: ClaimsModel, { f, planId, scenario, providers, claims }: Replay) {
  const providerBalances: Record<string, bigint> = {};
  for (const [name, provider] of providers) providerBalances[name] = model.providerBalance(provider.id);
  return {
    accumulators: scenario.enrollments.map((_, seq) => model.accumulators(planId, f.patientId, seq)),
    units: scenario.priorAuths.map((_, index) => model.priorAuthUnitsLeft(BigInt(index + 1))),
    payerBalance: model.payerBalance(f.payerId),
    providerBalances,
    queue: model.queue(f.payerId).map(({ claim, line, organization, amount }) => ({
      claim: claims.findIndex((c) => c?.modelId === claim),
      line,
      organization,
      amount,
    })),
  };
}

async function runScenario(scenario: Scenario): Promise<void> {
  const f = await loadFixture(claimsFixture);
  const shift = shiftDays(BigInt(await time.latest()));
  const at = (day: bigint): bigint => dayToTime(day + shift);
  const providers = providersOf(f);
  const provider = (name: string): Provider => {
    const found = providers.get(name);
    if (found === undefined) throw new Error(`${scenario.name}: no organization stands for provider ${name}`);
    return found;
  };
  const payer = ClaimsClient.connect(f.payerKey, f.deployment);
  const model = new ClaimsModel();

  // The fixture's credentials last a year from the fixture; a scenario may run longer (two-plan-years bills on day
  // 371), so the registrar renews the credentials of everyone who acts to the day after the scenario's last event.
  const lastDay = scenarioEvents(scenario).reduce((last, event) => (event.day > last ? event.day : last), 0n);
  const registrar = f.identity.as(f.registrar);
  for (const [name, id] of Object.entries({
    hospital: f.hospitalId,
    clinic: f.clinicId,
    payer: f.payerId,
    reviewer: f.reviewerId,
  })) {
    await registrar.renewCredential(id, commit(`credential:${name} renewed`).commitment, at(lastDay + 1n));
  }

  // ---- the plan, its enrollments and authorizations (before day 0) --------------------------------------------------
  const { network: networkNames, feeSchedule, ...terms } = scenario.plan;
  const { planId } = await payer.createPlan({
    terms: {
      deductible: terms.deductible,
      oopMax: terms.oopMax,
      coinsuranceBps: Number(terms.coinsuranceBps),
      timelyFilingDays: Number(terms.timelyFilingDays),
      appealWindowDays: Number(terms.appealWindowDays),
    },
    fees: feeSchedule.map((fee) => ({ ...fee, maxUnits: Number(fee.maxUnits) })),
    network: networkNames.map((name) => provider(name).id),
  });
  model.createPlan(planId, f.payerId, terms);
  for (const fee of feeSchedule) model.setFee(planId, fee);
  for (const name of networkNames) model.setNetwork(planId, provider(name).id, true);
  const plan = await payer.plan(planId);
  expect(plan.payer).to.equal(f.payerId);
  expect(plan.terms.deductible).to.equal(terms.deductible);
  expect(plan.terms.oopMax).to.equal(terms.oopMax);
  for (const fee of feeSchedule) {
    expect(await payer.fee(planId, fee.code), fee.code).to.deep.equal({ ...fee, maxUnits: Number(fee.maxUnits) });
  }
  const member = memberOf(planId, f.patientId);

  for (const [seq, period] of scenario.enrollments.entries()) {
    const [start, end] = [at(period.coverageStart), at(period.coverageEnd)];
    expect((await payer.enroll(planId, member, start, end)).seq, `enrollment ${seq}`).to.equal(seq);
    expect(model.enroll(planId, f.patientId, start, end), `model enrollment ${seq}`).to.equal(seq);
  }
  for (const [index, auth] of scenario.priorAuths.entries()) {
    const [validFrom, validTo] = [at(auth.validFrom), at(auth.validTo)];
    const request = { plan: planId, code: auth.code, units: auth.units, validFrom, validTo };
    const { authId } = await ClaimsClient.connect(provider(auth.provider).key, f.deployment).requestPriorAuth({
      ...request,
      member,
    });
    expect(authId, `authorization ${index}`).to.equal(BigInt(index + 1));
    const { receipt } = await payer.approvePriorAuth(authId, auth.units, validFrom, validTo);
    model.requestPriorAuth(authId, { ...request, patient: f.patientId });
    model.approvePriorAuth(authId, auth.units, validFrom, validTo, BigInt((await receipt.getBlock()).timestamp));
  }
  expect(at(0n) > BigInt(await time.latest()), "the setup ends before day 0").to.equal(true);

  // ---- the events, each mined at its day ----------------------------------------------------------------------------
  const claims: (ClaimRef | undefined)[] = scenario.claims.map(() => undefined);
  const replay: Replay = { f, planId, member, scenario, providers, claims };
  const paidAtAdjudication: boolean[] = [];
  let funded = 0n;
  const events = scenarioEvents(scenario);
  events.forEach((event, index) => {
    const next = events[index + 1];
    if (next?.day === event.day) {
      throw new Error(`${scenario.name}: two events on day ${event.day}; each event needs a block of its own day`);
    }
  });

  for (const event of events) {
    const now = at(event.day);
    const label = `${event.kind} ${event.index} on day ${event.day}`;
    if (event.kind === "fund") {
      const amount = scenario.funding[event.index]!.amount;
      await time.setNextBlockTimestamp(now);
      const { receipt } = await payer.fund(amount);
      expect((await receipt.getBlock()).timestamp, label).to.equal(Number(now));
      model.fund(f.payerId, amount);
      funded += amount;
    } else if (event.kind === "claim") {
      const claim = scenario.claims[event.index]!;
      const expected = scenario.expected.claims[event.index]!;
      const submitter = provider(claim.provider);
      const submission: ClaimSubmission = {
        member,
        plan: planId,
        reference: claimReference(submitter.referenceKey, claim.reference),
        lines: claim.lines.map((l) => ({ ...l, serviceDate: at(l.serviceDate) })),
        attachments: [],
      };
      const chainId = claimIdOf(submitter.id, submission.reference);
      const modelSubmission = {
        id: `claim-${event.index}`,
        organization: submitter.id,
        reference: submission.reference,
        patient: f.patientId,
        plan: planId,
        lines: submission.lines,
      };
      await time.setNextBlockTimestamp(now);
      if (expected.kind === "reverts") {
        const refusal = REVERTS[expected.reverts];
        if (refusal === undefined) throw new Error(`${scenario.name}: unknown refusal ${expected.reverts}`);
        const before = await chainBooks(replay);
        const summaries = await claimSummaries(replay);
        await expect(
          f.claims
            .connect(submitter.key)
            .submitClaim(member, planId, submission.reference, submission.lines.map(packLine), [], {
              gasLimit: MANUAL_GAS(),
            }),
        )
          .to.be.revertedWithCustomError(f.claims, refusal.error)
          .withArgs(chainId);
        expect(BigInt(await time.latest()), `${label} was mined on its day`).to.equal(now);
        expect(await chainBooks(replay), `${label} changed nothing`).to.deep.equal(before);
        expect(await claimSummaries(replay), `${label} left every claim as it was`).to.deep.equal(summaries);
        const modelBefore = modelBooks(model, replay);
        expect(() => model.submitClaim(modelSubmission, now), label)
          .to.throw(ClaimsModelError)
          .with.property("reason", refusal.reason);
        expect(modelBooks(model, replay)).to.deep.equal(modelBefore);
        continue;
      }
      const { receipt, claimId, remittance } = await ClaimsClient.connect(submitter.key, f.deployment).submitClaim(
        submission,
      );
      expect((await receipt.getBlock()).timestamp, label).to.equal(Number(now));
      expect(claimId, `${label} id`).to.equal(chainId);
      const result = model.submitClaim(modelSubmission, now);
      expect(remittance.lines, `${label} lines`).to.have.length(result.lines.length);
      remittance.lines.forEach((l, i) => {
        expect(l.index, `${label} line ${i} index`).to.equal(i);
        compareLine(l, result.lines[i]!, `${label} line ${i} at adjudication`);
      });
      expect(ClaimStatus[remittance.status], `${label} status`).to.equal(result.status);
      expect(remittance.planPays, `${label} planPays`).to.equal(result.planPays);
      expect(remittance.patientOwes, `${label} patientOwes`).to.equal(result.patientOwes);
      expect(remittance.payment, `${label} payment`).to.equal(
        result.planPays === 0n
          ? PaymentStatus.None
          : result.paidAtAdjudication
            ? PaymentStatus.Credited
            : PaymentStatus.Queued,
      );
      const summary = await payer.claim(chainId);
      expect(
        [ClaimStatus[summary.status], summary.planPays, summary.patientOwes, summary.adjudicatedAt],
        `${label} summary`,
      ).to.deep.equal([result.status, result.planPays, result.patientOwes, now]);
      paidAtAdjudication[event.index] = remittance.payment !== PaymentStatus.Queued;
      claims[event.index] = { chainId, modelId: modelSubmission.id, receipts: [receipt] };
    } else {
      const appeal = scenario.appeals[event.index]!;
      const claim = claims[appeal.claim];
      if (claim === undefined) throw new Error(`${scenario.name}: appeal of claim ${appeal.claim}, which was refused`);
      const filer = provider(scenario.claims[appeal.claim]!.provider);
      const overturn = appeal.outcome === "overturned";
      const content = await payer.claimContent(claim.chainId);
      // The filing and the decision share the day's block: sent with automining off, then mined at `now`. The node
      // orders a block's transactions from different senders by their tip, so the filing's is the higher: at equal
      // tips the order is the node's to choose (solidity-coverage's zero base fee puts the decision first).
      await network.provider.send("evm_setAutomine", [false]);
      let filed, decided;
      try {
        filed = await f.claims
          .connect(filer.key)
          .fileAppeal(claim.chainId, appeal.line, content, { gasLimit: MANUAL_GAS(), ...tip(2n) });
        decided = await f.claims
          .connect(f.reviewerKey)
          .decideAppeal(claim.chainId, appeal.line, overturn, content, { gasLimit: MANUAL_GAS(), ...tip(1n) });
        await time.setNextBlockTimestamp(now);
        await mine();
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const fileReceipt = (await filed.wait())!;
      const decideReceipt = (await decided.wait())!;
      expect([fileReceipt.blockNumber, fileReceipt.index], `${label} filing`).to.deep.equal([
        decideReceipt.blockNumber,
        0,
      ]);
      expect(decideReceipt.index, `${label} decision after the filing`).to.equal(1);
      expect((await decideReceipt.getBlock()).timestamp, label).to.equal(Number(now));

      model.fileAppeal(claim.modelId, appeal.line, now);
      const queuedBefore = model.queue(f.payerId).length;
      const outcome = model.decideAppeal(claim.modelId, appeal.line, overturn, now);
      await expect(filed).to.emit(f.claims, "AppealFiled").withArgs(claim.chainId, appeal.line, filer.id);
      const payment =
        outcome === undefined || outcome.planPays === 0n
          ? PaymentStatus.None
          : model.queue(f.payerId).length > queuedBefore
            ? PaymentStatus.Queued
            : PaymentStatus.Credited;
      await expect(decided)
        .to.emit(f.claims, "AppealDecided")
        .withArgs(claim.chainId, appeal.line, overturn, f.reviewerId, payment);
      const lines = decideReceipt.logs
        .map((log) => f.claims.interface.parseLog(log))
        .filter((parsed) => parsed?.name === "LineAdjudicated")
        .map((parsed) =>
          decodeLineResult(
            parsed!.args.getValue("content") as bigint,
            parsed!.args.getValue("decision") as bigint,
            parsed!.args.getValue("shares") as bigint,
          ),
        );
      expect(lines, `${label}: a re-adjudicated line exactly when overturned`).to.have.length(overturn ? 1 : 0);
      if (outcome !== undefined) {
        expect(lines[0]!.index).to.equal(appeal.line);
        compareLine({ ...lines[0]!, reAdjudicated: true }, outcome, `${label} re-adjudicated line`);
      }
      const record = await payer.appeal(claim.chainId, appeal.line);
      expect(record, `${label} record`).to.deep.equal({
        status: APPEAL_STATUS[appeal.outcome].chain,
        payment,
        filedAt: now,
        decidedAt: now,
      });
      claim.receipts.push(decideReceipt);
    }
    expect(await chainBooks(replay), `books after ${label}`).to.deep.equal(modelBooks(model, replay));
    expect(model.accountingHolds(), `model accounting after ${label}`).to.equal(true);
  }

  // ---- every expected figure, on chain and in the model --------------------------------------------------------------
  const expected = scenario.expected;
  for (const [index, claimExpected] of expected.claims.entries()) {
    const claim = claims[index];
    if (claimExpected.kind === "reverts") {
      expect(claim, `claim ${index} was refused`).to.equal(undefined);
      continue;
    }
    if (claim === undefined) throw new Error(`${scenario.name}: claim ${index} was not adjudicated`);
    const what = `claim ${index}`;
    const [remittance] = decodeRemittances(
      f.claims,
      claim.receipts.flatMap((receipt) => receipt.logs),
    );
    if (remittance === undefined) throw new Error(`${scenario.name}: no remittance decoded for ${what}`);
    const modelClaim = model.claim(claim.modelId);
    const summary = await payer.claim(claim.chainId);
    for (const [label, status] of [
      ["remittance", remittance.status],
      ["summary", summary.status],
    ] as const) {
      expect(ClaimStatus[status], `${what} ${label} status`).to.equal(claimExpected.status);
    }
    expect(modelClaim.status, `${what} model status`).to.equal(claimExpected.status);
    for (const [label, planPays] of [
      ["remittance", remittance.planPays],
      ["summary", summary.planPays],
      ["model", modelClaim.planPays],
    ] as const) {
      expect(planPays, `${what} ${label} planPays`).to.equal(claimExpected.planPays);
    }
    expect(paidAtAdjudication[index], `${what} paidAtAdjudication`).to.equal(claimExpected.paidAtAdjudication);
    expect(modelClaim.paidAtAdjudication, `${what} model paidAtAdjudication`).to.equal(
      claimExpected.paidAtAdjudication,
    );
    const patientOwes = claimExpected.lines.reduce((total, l) => total + l.patientOwes, 0n);
    expect([remittance.patientOwes, summary.patientOwes, modelClaim.patientOwes], `${what} patientOwes`).to.deep.equal([
      patientOwes,
      patientOwes,
      patientOwes,
    ]);
    expect(summary.adjudicatedAt, `${what} adjudicatedAt`).to.equal(at(scenario.claims[index]!.submittedAt));
    expect(modelClaim.adjudicatedAt, `${what} model adjudicatedAt`).to.equal(summary.adjudicatedAt);
    expect(summary.deniedLines, `${what} denied lines`).to.deep.equal(
      claimExpected.lines.flatMap((l, i) => (l.denied ? [i] : [])),
    );
    expect(remittance.lines).to.have.length(claimExpected.lines.length);
    for (const [i, { appealed, ...figures }] of claimExpected.lines.entries()) {
      const chainLine = remittance.lines[i]!;
      expect(chainFigures(chainLine), `${what} line ${i} on chain`).to.deep.equal(figures);
      expect(modelFigures(modelClaim.lines[i]!), `${what} line ${i} in the model`).to.deep.equal(figures);
      expect(chainLine.reAdjudicated, `${what} line ${i} re-adjudicated`).to.equal(appealed === "overturned");
      const chainAppeal = await payer.appeal(claim.chainId, i);
      expect(chainAppeal.status, `${what} line ${i} appeal`).to.equal(
        appealed === undefined ? AppealStatus.None : APPEAL_STATUS[appealed].chain,
      );
      expect(model.appealStatus(claim.modelId, i), `${what} line ${i} model appeal`).to.equal(
        appealed === undefined ? "None" : APPEAL_STATUS[appealed].model,
      );
    }
  }

  const books = await chainBooks(replay);
  expect(books.accumulators, "accumulators on chain").to.deep.equal(expected.accumulators);
  expect(
    scenario.enrollments.map((_, seq) => model.accumulators(planId, f.patientId, seq)),
    "accumulators in the model",
  ).to.deep.equal(expected.accumulators);
  expect(books.units, "prior-authorization units left on chain").to.deep.equal(expected.priorAuthUnitsLeft);
  expect(
    scenario.priorAuths.map((_, index) => model.priorAuthUnitsLeft(BigInt(index + 1))),
    "prior-authorization units left in the model",
  ).to.deep.equal(expected.priorAuthUnitsLeft);
  expect(books.payerBalance, "payer balance on chain").to.equal(expected.payerBalance);
  expect(model.payerBalance(f.payerId), "payer balance in the model").to.equal(expected.payerBalance);
  for (const [name, id] of [...providers].map(([n, p]) => [n, p.id] as const)) {
    const balance = expected.providerBalances[name] ?? 0n;
    expect(books.providerBalances[name], `${name} balance on chain`).to.equal(balance);
    expect(model.providerBalance(id), `${name} balance in the model`).to.equal(balance);
  }
  const unpaid = expected.unpaidClaims.map((claim) => ({ claim, line: undefined }));
  expect(
    books.queue.map(({ claim, line }) => ({ claim, line })),
    "unpaid claims on chain",
  ).to.deep.equal(unpaid);
  expect(
    modelBooks(model, replay).queue.map(({ claim, line }) => ({ claim, line })),
    "unpaid claims in the model",
  ).to.deep.equal(unpaid);

  // Every unit is accounted for: funded = payer balance + provider balances (nothing was withdrawn, by providers or
  // the payer), all held.
  const account = await payer.payerAccount(f.payerId);
  expect(account.funded, "funded").to.equal(funded);
  expect(account.withdrawn, "withdrawn by the payer").to.equal(0n);
  const held = Object.values(books.providerBalances).reduce((total, b) => total + b, account.balance);
  expect(held, "funded = payer balance + provider balances").to.equal(funded);
  expect(await f.token.balanceOf(await f.claims.getAddress()), "token balance").to.equal(funded);
}

describe("ClaimsAdjudicator", function () {
  describe("worked scenarios (claims-scenarios.json)", function () {
    it("loads all 15 scenarios and shifts day 0 past a clock by the fewest whole days", function () {
      expect(SCENARIOS).to.have.length(15);
      const unlikely = SCENARIOS.find((s) => s.name === "medically-unlikely-units");
      expect(
        unlikely?.plan.feeSchedule.map((fee) => [fee.code, fee.maxUnits]),
        "maxUnits is read where given and 0n (no limit) where absent",
      ).to.deep.equal([
        ["99213", 0n],
        ["80053", 0n],
        ["70553", 0n],
        ["27447", 0n],
        ["97110", 4n],
      ]);
      for (const latest of [SCENARIO_BASE - 2n * DAY, SCENARIO_BASE - SETUP_MARGIN, SCENARIO_BASE, 1_795_260_032n]) {
        const shift = shiftDays(latest);
        expect(dayToTime(shift) > latest + SETUP_MARGIN, `${latest}`).to.equal(true);
        expect(shift === 0n || dayToTime(shift - 1n) <= latest + SETUP_MARGIN, `${latest}`).to.equal(true);
      }
      expect(shiftDays(SCENARIO_BASE - 2n * DAY)).to.equal(0n);
      expect(shiftDays(SCENARIO_BASE)).to.equal(1n);
    });

    for (const scenario of SCENARIOS) {
      it(`reproduces every expected figure of ${scenario.name} on chain and in the model`, async function () {
        await runScenario(scenario);
      });
    }
  });
});
