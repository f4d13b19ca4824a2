import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";

import {
  type Accumulators,
  MAX_OPEN_PRIOR_AUTHS,
  MAX_UNITS_PER_LINE,
  type AppealStatus,
  CARC,
  ClaimsModel,
  ClaimsModelError,
  type ClaimResult,
  DAY,
  type FeeEntry,
  type LineResult,
  MAX_LINES,
  MAX_SUCCESSION_DEPTH,
  type ModelErrorReason,
  type ModelLine,
  type PlanTerms,
  priceLine,
  type QueueEntry,
} from "../../../sdk/claims/model";
import {
  type AppealOutcome,
  dayToTime,
  loadScenarios,
  type Scenario,
  SCENARIOS_FILE,
} from "../../fixtures/claims-scenarios";
import { skipModelPropertyIfAsked } from "../../helpers/runs";

// Tests of the TypeScript reference model of claims adjudication (sdk/claims/model.ts) on its own, without the chain:
// (a) every worked example of claims-scenarios.json replayed through the model, every expected figure checked;
// (b) focused tests of the rules the scenarios do not reach (boundaries, orderings, errors, queue and appeal details),
// each with exact figures; (c) a fast-check property over random plans and claim sequences.

/** One token of the 6-decimal settlement stablecoin. */
const USD = 1_000_000n;
const PLAN = 1n;
const PAYER = 900n;
const PATIENT = 500n;
const OTHER_PATIENT = 501n;
const HOSPITAL = 101n;
const CLINIC = 102n;
const OUTSIDER = 103n;

const OFFICE = "99213";
const LAB = "80053";
const MRI = "70553";
const KNEE = "27447";
const NOT_COVERED = "15780";
const PHYSIO = "97110";

const TERMS: PlanTerms = {
  deductible: 500n * USD,
  coinsuranceBps: 2_000n,
  oopMax: 3_000n * USD,
  timelyFilingDays: 90n,
  appealWindowDays: 180n,
};

const FEES: FeeEntry[] = [
  { code: OFFICE, allowedPerUnit: 120n * USD, copay: 30n * USD, requiresPriorAuth: false },
  { code: LAB, allowedPerUnit: 45n * USD, copay: 0n, requiresPriorAuth: false },
  { code: MRI, allowedPerUnit: 1_800n * USD, copay: 0n, requiresPriorAuth: true },
  { code: KNEE, allowedPerUnit: 25_000n * USD, copay: 250n * USD, requiresPriorAuth: true },
];
/** Physical therapy, as the medically-unlikely-units scenario lists it but without its edit (tests add `maxUnits`). */
const PHYSIO_FEE: FeeEntry = { code: PHYSIO, allowedPerUnit: 40n * USD, copay: 20n * USD, requiresPriorAuth: false };

/** The unix time of day `day` (from the scenarios' base) plus `seconds`. */
function at(day: number, seconds = 0n): bigint {
  return dayToTime(BigInt(day)) + seconds;
}

function line(code: string, day: number, billed: bigint, units = 1n): ModelLine {
  return { code, units, billed, serviceDate: at(day) };
}

interface Setup {
  terms?: Partial<PlanTerms>;
  /** Initial funding of the payer (default 100 000 tokens; 0n for none). */
  fund?: bigint;
  /** Enrollments of PATIENT, in days (default one year, days 0 to 364). */
  enrollments?: [number, number][];
  maxSettlePerCall?: number;
}

/** A plan with the scenarios' terms and fees (OFFICE, LAB, MRI, KNEE), HOSPITAL and CLINIC in network. */
function setup(options: Setup = {}): ClaimsModel {
  const model = new ClaimsModel(
    options.maxSettlePerCall === undefined ? undefined : { maxSettlePerCall: options.maxSettlePerCall },
  );
  model.createPlan(PLAN, PAYER, { ...TERMS, ...options.terms });
  for (const fee of FEES) model.setFee(PLAN, fee);
  model.setNetwork(PLAN, HOSPITAL, true);
  model.setNetwork(PLAN, CLINIC, true);
  for (const [start, end] of options.enrollments ?? [[0, 364]]) model.enroll(PLAN, PATIENT, at(start), at(end));
  const funding = options.fund ?? 100_000n * USD;
  if (funding > 0n) model.fund(PAYER, funding);
  return model;
}

let claimCounter = 0;

interface SubmitOptions {
  id?: string;
  organization?: bigint;
  reference?: string;
  patient?: bigint;
  plan?: bigint;
}

function submit(model: ClaimsModel, lines: ModelLine[], now: bigint, options: SubmitOptions = {}): ClaimResult {
  claimCounter += 1;
  const id = options.id ?? `claim-${claimCounter}`;
  return model.submitClaim(
    {
      id,
      organization: options.organization ?? HOSPITAL,
      reference: options.reference ?? id,
      patient: options.patient ?? PATIENT,
      plan: options.plan ?? PLAN,
      lines,
    },
    now,
  );
}

function expectReason(action: () => unknown, reason: ModelErrorReason): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ClaimsModelError ${reason}`).to.be.instanceOf(ClaimsModelError);
  expect((caught as ClaimsModelError).reason).to.equal(reason);
}

/** The money fields of a line. */
function money(result: LineResult) {
  const { allowed, contractual, ded, copay, coins, planPays, patientOwes } = result;
  return { allowed, contractual, ded, copay, coins, planPays, patientOwes };
}

function expectDenied(result: LineResult | undefined, carc: number, group: string, patientOwes: bigint): void {
  expect(result, "line").to.not.equal(undefined);
  expect({ denied: result!.denied, carc: result!.carc, group: result!.group }).to.deep.equal({
    denied: true,
    carc,
    group,
  });
  expect(money(result!)).to.deep.equal({
    allowed: 0n,
    contractual: 0n,
    ded: 0n,
    copay: 0n,
    coins: 0n,
    planPays: 0n,
    patientOwes,
  });
  expect(result!.priorAuth).to.equal(0n);
}

function expectApproved(result: LineResult | undefined, expected: ReturnType<typeof money>): void {
  expect(result, "line").to.not.equal(undefined);
  expect({ denied: result!.denied, carc: result!.carc, group: result!.group }).to.deep.equal({
    denied: false,
    carc: 0,
    group: "",
  });
  expect(money(result!)).to.deep.equal(expected);
}

/** Everything observable about PATIENT's first enrollment, the payer and the two providers. */
function snapshot(model: ClaimsModel): string {
  return JSON.stringify(
    {
      accumulators: model.accumulators(PLAN, PATIENT, 0),
      payerBalance: model.payerBalance(PAYER),
      funded: model.funded(PAYER),
      queue: model.queue(PAYER),
      providers: [HOSPITAL, CLINIC].map((org) => [model.providerBalance(org), model.withdrawn(org)]),
    },
    (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// (a) Scenarios
// ---------------------------------------------------------------------------------------------------------------------

const SCENARIO_PLAN = 1n;
const SCENARIO_PAYER = 900n;
const SCENARIO_PATIENT = 500n;
/** What each scenario `reverts` string means in the model. */
const REVERT_REASONS: Record<string, ModelErrorReason> = { "duplicate submission": "DuplicateReference" };
const APPEAL_STATUS: Record<AppealOutcome, AppealStatus> = { overturned: "Overturned", upheld: "Upheld" };

type ScenarioEvent =
  | { day: bigint; rank: 0; index: number; kind: "fund" }
  | { day: bigint; rank: 1; index: number; kind: "claim" }
  | { day: bigint; rank: 2; index: number; kind: "appeal" };

/** Funding, claims and appeals by day; on the same day funding first, then claims, then appeals, each in file order. */
function scenarioEvents(scenario: Scenario): ScenarioEvent[] {
  const events: ScenarioEvent[] = [
    ...scenario.funding.map((f, index) => ({ day: f.at, rank: 0 as const, index, kind: "fund" as const })),
    ...scenario.claims.map((c, index) => ({ day: c.submittedAt, rank: 1 as const, index, kind: "claim" as const })),
    ...scenario.appeals.map((a, index) => ({ day: a.decidedAt, rank: 2 as const, index, kind: "appeal" as const })),
  ];
  return events.sort((a, b) => (a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.rank - b.rank || a.index - b.index));
}

function runScenario(scenario: Scenario): void {
  const model = new ClaimsModel();
  // Organization ids by first appearance: the network, then the claims, then the authorizations.
  const organizations = new Map<string, bigint>();
  const names = [...scenario.plan.network, ...scenario.claims.map((c) => c.provider)];
  for (const name of [...names, ...scenario.priorAuths.map((a) => a.provider)]) {
    if (!organizations.has(name)) organizations.set(name, BigInt(101 + organizations.size));
  }
  const org = (name: string): bigint => organizations.get(name)!;

  const { network, feeSchedule, ...terms } = scenario.plan;
  model.createPlan(SCENARIO_PLAN, SCENARIO_PAYER, terms);
  for (const fee of feeSchedule) model.setFee(SCENARIO_PLAN, fee);
  for (const name of network) model.setNetwork(SCENARIO_PLAN, org(name), true);
  scenario.enrollments.forEach((e, seq) => {
    const got = model.enroll(SCENARIO_PLAN, SCENARIO_PATIENT, dayToTime(e.coverageStart), dayToTime(e.coverageEnd));
    expect(got, `enrollment ${seq}`).to.equal(seq);
  });
  scenario.priorAuths.forEach((a, index) => {
    const id = BigInt(index + 1);
    const [validFrom, validTo] = [dayToTime(a.validFrom), dayToTime(a.validTo)];
    model.requestPriorAuth(id, {
      patient: SCENARIO_PATIENT,
      plan: SCENARIO_PLAN,
      code: a.code,
      units: a.units,
      validFrom,
      validTo,
    });
    model.approvePriorAuth(id, a.units, validFrom, validTo, at(0));
  });

  const claimIds: (string | undefined)[] = scenario.claims.map(() => undefined);
  for (const event of scenarioEvents(scenario)) {
    const now = dayToTime(event.day);
    if (event.kind === "fund") {
      model.fund(SCENARIO_PAYER, scenario.funding[event.index]!.amount);
    } else if (event.kind === "claim") {
      const claim = scenario.claims[event.index]!;
      const expected = scenario.expected.claims[event.index]!;
      const submission = {
        id: `claim-${event.index}`,
        organization: org(claim.provider),
        reference: claim.reference,
        patient: SCENARIO_PATIENT,
        plan: SCENARIO_PLAN,
        lines: claim.lines.map((l) => ({ ...l, serviceDate: dayToTime(l.serviceDate) })),
      };
      if (expected.kind === "reverts") {
        const reason = REVERT_REASONS[expected.reverts];
        if (reason === undefined) throw new Error(`${scenario.name}: unknown revert ${expected.reverts}`);
        expectReason(() => model.submitClaim(submission, now), reason);
      } else {
        model.submitClaim(submission, now);
        claimIds[event.index] = submission.id;
      }
    } else {
      const appeal = scenario.appeals[event.index]!;
      const id = claimIds[appeal.claim];
      if (id === undefined) throw new Error(`${scenario.name}: appeal of claim ${appeal.claim}, which was refused`);
      // The scenarios give only the decision day; the appeal is filed on that day, just before the decision.
      model.fileAppeal(id, appeal.line, now);
      const outcome = model.decideAppeal(id, appeal.line, appeal.outcome === "overturned", now);
      expect(outcome === undefined, "decideAppeal returns the new line only when overturned").to.equal(
        appeal.outcome === "upheld",
      );
    }
    expect(model.accountingHolds(), `accounting after ${event.kind} ${event.index}`).to.equal(true);
  }

  const expected = scenario.expected;
  expected.claims.forEach((claim, index) => {
    if (claim.kind === "reverts") {
      expect(claimIds[index], `claim ${index} refused`).to.equal(undefined);
      return;
    }
    const id = claimIds[index]!;
    const got = model.claim(id);
    expect(got.status, `claim ${index} status`).to.equal(claim.status);
    expect(got.planPays, `claim ${index} planPays`).to.equal(claim.planPays);
    expect(got.paidAtAdjudication, `claim ${index} paidAtAdjudication`).to.equal(claim.paidAtAdjudication);
    expect(got.lines).to.have.length(claim.lines.length);
    claim.lines.forEach(({ appealed, ...fields }, l) => {
      const actual = got.lines[l]!;
      const { denied, carc, group } = actual;
      expect({ denied, carc, group, ...money(actual) }, `claim ${index} line ${l}`).to.deep.equal(fields);
      expect(model.appealStatus(id, l), `claim ${index} line ${l} appeal`).to.equal(
        appealed === undefined ? "None" : APPEAL_STATUS[appealed],
      );
    });
    expect(got.patientOwes).to.equal(claim.lines.reduce((total, l) => total + l.patientOwes, 0n));
  });
  expected.accumulators.forEach((acc, seq) => {
    expect(model.accumulators(SCENARIO_PLAN, SCENARIO_PATIENT, seq), `enrollment ${seq}`).to.deep.equal(acc);
  });
  expected.priorAuthUnitsLeft.forEach((units, index) => {
    expect(model.priorAuthUnitsLeft(BigInt(index + 1)), `prior auth ${index + 1}`).to.equal(units);
  });
  expect(model.payerBalance(SCENARIO_PAYER), "payer balance").to.equal(expected.payerBalance);
  for (const [name, id] of organizations) {
    expect(model.providerBalance(id), `${name} balance`).to.equal(expected.providerBalances[name] ?? 0n);
  }
  const unpaid = model.queue(SCENARIO_PAYER).map((entry) => claimIds.indexOf(entry.claim));
  expect(unpaid, "unpaid claims").to.deep.equal(expected.unpaidClaims);
  expect(model.funded(SCENARIO_PAYER)).to.equal(scenario.funding.reduce((total, f) => total + f.amount, 0n));
}

const SCENARIOS = loadScenarios();

describe("ClaimsModel", function () {
  describe("scenarios", function () {
    it("loads all 15 worked examples", function () {
      expect(SCENARIOS).to.have.length(15);
      expect(SCENARIOS[3]!.plan.feeSchedule[3]).to.deep.equal({ ...FEES[3], maxUnits: 0n });
      expect(SCENARIOS[14]!.plan.feeSchedule[4]).to.deep.equal({ ...PHYSIO_FEE, maxUnits: 4n });
      expect(SCENARIOS[9]!.expected.claims[2]).to.deep.equal({ kind: "reverts", reverts: "duplicate submission" });
      expect(dayToTime(1n) - dayToTime(0n)).to.equal(DAY);
    });

    it("names the scenario and the field when the file is malformed", function () {
      const text = fs.readFileSync(SCENARIOS_FILE, "utf8");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-scenarios-"));
      const cases: [string, string, string][] = [
        ['"oopMax": 3000000000,', "", 'scenario "deductible-first-visit", field plan.oopMax: expected a value'],
        [
          '"billed": 200000000,',
          '"billed": 2.5,',
          'scenario "deductible-first-visit", field claims[0].lines[0].billed: expected a non-negative safe integer',
        ],
        [
          '"reverts": "duplicate submission"',
          '"reverts": 3',
          'scenario "duplicate-service", field expected.claims[2].reverts: expected a string',
        ],
        [
          '"outcome": "overturned"',
          '"outcome": "won"',
          'scenario "appeal-overturned", field appeals[0].outcome: expected one of "overturned", "upheld"',
        ],
      ];
      try {
        for (const [from, to, message] of cases) {
          const file = path.join(dir, "bad.json");
          fs.writeFileSync(file, text.replace(from, to));
          expect(() => loadScenarios(file)).to.throw(Error, message);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    for (const scenario of SCENARIOS) {
      it(`reproduces every expected figure when replaying ${scenario.name}`, function () {
        runScenario(scenario);
      });
    }
  });

  // -------------------------------------------------------------------------------------------------------------------
  // (b) Focused tests
  // -------------------------------------------------------------------------------------------------------------------

  describe("claim input errors", function () {
    it("throws UnknownPlan and changes nothing when the plan does not exist", function () {
      const model = setup();
      const before = snapshot(model);
      expectReason(() => submit(model, [line(OFFICE, 10, 150n * USD)], at(11), { plan: 7n }), "UnknownPlan");
      expect(snapshot(model)).to.equal(before);
    });

    it("throws NoLines when the claim has no lines", function () {
      expectReason(() => submit(setup(), [], at(11)), "NoLines");
    });

    it("throws TooManyLines at MAX_LINES + 1 lines and accepts exactly MAX_LINES", function () {
      const model = setup();
      const before = snapshot(model);
      const lines = Array.from({ length: MAX_LINES + 1 }, (_, i) => line(LAB, i + 1, 45n * USD));
      expectReason(() => submit(model, lines, at(20), { reference: "r" }), "TooManyLines");
      expect(snapshot(model)).to.equal(before);
      // 16 labs of 45: eleven fill 495 of the deductible, the twelfth pays 5 of it and 20 % of 40, the rest 20 % of 45.
      const claim = submit(model, lines.slice(0, MAX_LINES), at(20), { reference: "r" });
      expect(claim.status).to.equal("Approved");
      expect(claim.lines).to.have.length(16);
      expectApproved(claim.lines[11], {
        allowed: 45n * USD,
        contractual: 0n,
        ded: 5n * USD,
        copay: 0n,
        coins: 8n * USD,
        planPays: 32n * USD,
        patientOwes: 13n * USD,
      });
      expect(claim.planPays).to.equal(176n * USD);
      expect(model.accumulators(PLAN, PATIENT, 0)).to.deep.equal({ deductibleMet: 500n * USD, oopMet: 544n * USD });
    });

    it("throws ZeroUnits and adjudicates no line when any line has zero units", function () {
      const model = setup();
      const before = snapshot(model);
      const lines = [line(OFFICE, 10, 150n * USD), line(LAB, 10, 45n * USD, 0n)];
      expectReason(() => submit(model, lines, at(11), { reference: "r" }), "ZeroUnits");
      expect(snapshot(model)).to.equal(before);
      // Nothing was registered: neither the reference nor the office visit as a service.
      expect(submit(model, [line(OFFICE, 10, 150n * USD)], at(11), { reference: "r" }).status).to.equal("Approved");
    });

    it("throws ZeroBilled when a line bills nothing", function () {
      const model = setup();
      const before = snapshot(model);
      expectReason(() => submit(model, [line(OFFICE, 10, 0n)], at(11)), "ZeroBilled");
      expect(snapshot(model)).to.equal(before);
    });

    it("throws ServiceDateInFuture one second after now and accepts a service at now", function () {
      const model = setup();
      const now = at(10, 3_600n);
      expectReason(
        () => submit(model, [{ ...line(OFFICE, 10, 150n * USD), serviceDate: now + 1n }], now),
        "ServiceDateInFuture",
      );
      expect(submit(model, [{ ...line(OFFICE, 10, 150n * USD), serviceDate: now }], now).status).to.equal("Approved");
    });

    it("throws DuplicateReference only when the same organization reuses a reference", function () {
      const model = setup();
      submit(model, [line(OFFICE, 10, 150n * USD)], at(11), { reference: "A-1" });
      const before = snapshot(model);
      expectReason(
        () => submit(model, [line(LAB, 11, 45n * USD)], at(12), { reference: "A-1", id: "again" }),
        "DuplicateReference",
      );
      expect(snapshot(model)).to.equal(before);
      expectReason(() => model.claim("again"), "UnknownClaim");
      const other = submit(model, [line(LAB, 11, 45n * USD)], at(12), { reference: "A-1", organization: CLINIC });
      expect(other.status).to.equal("Approved");
    });

    it("throws ClaimExists when a claim id is reused", function () {
      const model = setup();
      submit(model, [line(OFFICE, 10, 150n * USD)], at(11), { id: "same" });
      expectReason(() => submit(model, [line(LAB, 11, 45n * USD)], at(12), { id: "same" }), "ClaimExists");
    });
  });

  describe("coverage", function () {
    it("covers both ends of the inclusive period and denies one second outside it", function () {
      const model = setup({ enrollments: [[10, 364]] });
      expectDenied(
        submit(model, [{ ...line(LAB, 10, 45n * USD), serviceDate: at(10) - 1n }], at(11)).lines[0],
        26,
        "PR",
        45n * USD,
      );
      expect(submit(model, [line(LAB, 10, 45n * USD)], at(11)).lines[0]!.denied).to.equal(false);
      expect(submit(model, [line(LAB, 364, 45n * USD)], at(365)).lines[0]!.denied).to.equal(false);
      const after = submit(model, [{ ...line(OFFICE, 364, 45n * USD), serviceDate: at(364) + 1n }], at(365));
      expectDenied(after.lines[0], 27, "PR", 45n * USD);
    });

    it("denies with CARC 27 in a gap after an ended enrollment and 26 before the first one", function () {
      const model = setup({
        enrollments: [
          [50, 99],
          [200, 364],
        ],
      });
      const claim = submit(model, [line(OFFICE, 40, 150n * USD), line(OFFICE, 150, 160n * USD)], at(160));
      expectDenied(claim.lines[0], CARC.BeforeCoverage, "PR", 150n * USD);
      expectDenied(claim.lines[1], CARC.AfterCoverage, "PR", 160n * USD);
      expect(claim.status).to.equal("Denied");
      expect(claim.patientOwes).to.equal(310n * USD);
    });

    it("ignores the patient's enrollments in other plans", function () {
      const model = setup({ enrollments: [] });
      model.createPlan(2n, PAYER, TERMS);
      model.enroll(2n, PATIENT, at(0), at(364));
      expectDenied(submit(model, [line(OFFICE, 10, 150n * USD)], at(11)).lines[0], 26, "PR", 150n * USD);
    });

    it("checks coverage before timely filing", function () {
      const model = setup({ enrollments: [[100, 364]] });
      expectDenied(submit(model, [line(OFFICE, 10, 150n * USD)], at(200)).lines[0], 26, "PR", 150n * USD);
    });

    it("numbers enrollments per (plan, patient) and refuses periods not after the latest, and empty periods", function () {
      const model = setup({ enrollments: [] });
      expect(model.enroll(PLAN, PATIENT, at(0), at(364))).to.equal(0);
      expect(model.enroll(PLAN, OTHER_PATIENT, at(0), at(364))).to.equal(0);
      expectReason(() => model.enroll(PLAN, PATIENT, at(364), at(400)), "EnrollmentNotAfterLatest");
      // Chronological: a period entirely before the latest one (in a gap or before the first) is refused too.
      expectReason(() => model.enroll(PLAN, PATIENT, at(-100), at(-50)), "EnrollmentNotAfterLatest");
      expectReason(() => model.enroll(PLAN, PATIENT, at(500), at(499)), "BadCoverage");
      expectReason(() => model.enroll(9n, PATIENT, at(0), at(1)), "UnknownPlan");
      expect(model.enroll(PLAN, PATIENT, at(364) + 1n, at(729))).to.equal(1);
      expectReason(() => model.accumulators(PLAN, PATIENT, 2), "UnknownEnrollment");
    });

    it("prices each line of one claim against the enrollment holding its service date", function () {
      const model = setup({
        enrollments: [
          [0, 364],
          [365, 729],
        ],
      });
      const claim = submit(model, [line(LAB, 364, 900n * USD, 20n), line(LAB, 365, 900n * USD, 20n)], at(366));
      for (const result of claim.lines) {
        expectApproved(result, {
          allowed: 900n * USD,
          contractual: 0n,
          ded: 500n * USD,
          copay: 0n,
          coins: 80n * USD,
          planPays: 320n * USD,
          patientOwes: 580n * USD,
        });
      }
      expect(claim.planPays).to.equal(640n * USD);
      const each: Accumulators = { deductibleMet: 500n * USD, oopMet: 580n * USD };
      expect([0, 1].map((seq) => model.accumulators(PLAN, PATIENT, seq))).to.deep.equal([each, each]);
    });
  });

  describe("timely filing", function () {
    it("accepts a claim exactly timelyFilingDays after the service and denies it one second later", function () {
      const model = setup();
      expect(submit(model, [line(OFFICE, 10, 150n * USD)], at(100)).lines[0]!.denied).to.equal(false);
      expectDenied(submit(model, [line(LAB, 10, 45n * USD)], at(100, 1n)).lines[0], CARC.TimelyFiling, "CO", 0n);
    });

    it("applies the plan's current filing limit", function () {
      const model = setup();
      model.updateTerms(PLAN, { ...TERMS, timelyFilingDays: 10n });
      expectDenied(submit(model, [line(OFFICE, 10, 150n * USD)], at(21)).lines[0], 29, "CO", 0n);
    });

    it("checks timely filing before the network", function () {
      const model = setup();
      const claim = submit(model, [line(OFFICE, 10, 150n * USD)], at(200), { organization: OUTSIDER });
      expectDenied(claim.lines[0], 29, "CO", 0n);
    });
  });

  describe("network and fee schedule", function () {
    it("follows network changes made before adjudication", function () {
      const model = setup();
      expectDenied(
        submit(model, [line(OFFICE, 10, 150n * USD)], at(11), { organization: OUTSIDER }).lines[0],
        242,
        "CO",
        0n,
      );
      model.setNetwork(PLAN, OUTSIDER, true);
      expect(submit(model, [line(OFFICE, 10, 150n * USD)], at(11), { organization: OUTSIDER }).status).to.equal(
        "Approved",
      );
      model.setNetwork(PLAN, HOSPITAL, false);
      expectDenied(submit(model, [line(OFFICE, 12, 150n * USD)], at(13)).lines[0], 242, "CO", 0n);
    });

    it("checks the network before the fee schedule", function () {
      const model = setup();
      const claim = submit(model, [line(NOT_COVERED, 10, 900n * USD)], at(11), { organization: OUTSIDER });
      expectDenied(claim.lines[0], CARC.OutOfNetwork, "CO", 0n);
    });

    it("denies with CARC 96 once a fee is removed and prices with a replaced fee", function () {
      const model = setup({ terms: { deductible: 0n } });
      model.removeFee(PLAN, LAB);
      expectReason(() => {
        model.removeFee(PLAN, LAB);
      }, "UnknownFee");
      expectDenied(submit(model, [line(LAB, 10, 50n * USD)], at(11)).lines[0], CARC.NotCovered, "PR", 50n * USD);
      model.setFee(PLAN, { code: OFFICE, allowedPerUnit: 100n * USD, copay: 10n * USD, requiresPriorAuth: false });
      expectApproved(submit(model, [line(OFFICE, 12, 150n * USD)], at(13)).lines[0], {
        allowed: 100n * USD,
        contractual: 50n * USD,
        ded: 0n,
        copay: 10n * USD,
        coins: 18n * USD,
        planPays: 72n * USD,
        patientOwes: 28n * USD,
      });
    });

    it("checks the fee schedule before prior authorization and duplicates", function () {
      const model = setup();
      const claim = submit(model, [line(NOT_COVERED, 10, 70n * USD), line(NOT_COVERED, 10, 70n * USD)], at(11));
      expectDenied(claim.lines[0], 96, "PR", 70n * USD);
      expectDenied(claim.lines[1], 96, "PR", 70n * USD);
    });
  });

  describe("prior authorization", function () {
    function requestMri(
      model: ClaimsModel,
      id: bigint,
      units: bigint,
      from: number,
      to: number,
      patient = PATIENT,
    ): void {
      model.requestPriorAuth(id, { patient, plan: PLAN, code: MRI, units, validFrom: at(from), validTo: at(to) });
    }

    it("uses a narrowed approval's window and units, both ends of the window included", function () {
      const model = setup();
      requestMri(model, 1n, 3n, 10, 100);
      model.approvePriorAuth(1n, 2n, at(20), at(80), at(0));
      expectDenied(submit(model, [line(MRI, 15, 2_400n * USD)], at(16)).lines[0], CARC.NoPriorAuth, "CO", 0n);
      expect(model.priorAuthUnitsLeft(1n)).to.equal(2n);
      const first = submit(model, [line(MRI, 20, 2_400n * USD)], at(21));
      expect(first.lines[0]!.priorAuth).to.equal(1n);
      expect(first.lines[0]!.planPays).to.equal(1_040n * USD);
      const last = submit(model, [line(MRI, 80, 2_400n * USD)], at(81));
      expect(last.lines[0]!.priorAuth).to.equal(1n);
      expect(last.lines[0]!.planPays).to.equal(1_440n * USD);
      expect(model.priorAuthUnitsLeft(1n)).to.equal(0n);
      expectDenied(submit(model, [line(MRI, 79, 2_400n * USD)], at(81)).lines[0], 197, "CO", 0n);
    });

    it("refuses approvals wider than the request and leaves the request pending", function () {
      const model = setup();
      requestMri(model, 1n, 3n, 10, 100);
      expectReason(() => {
        model.approvePriorAuth(1n, 4n, at(10), at(100), at(0));
      }, "PriorAuthWidened");
      expectReason(() => {
        model.approvePriorAuth(1n, 3n, at(10) - 1n, at(100), at(0));
      }, "PriorAuthWidened");
      expectReason(() => {
        model.approvePriorAuth(1n, 3n, at(10), at(100) + 1n, at(0));
      }, "PriorAuthWidened");
      expectReason(() => {
        model.approvePriorAuth(1n, 0n, at(10), at(100), at(0));
      }, "ZeroUnits");
      expectReason(() => {
        model.approvePriorAuth(1n, 1n, at(50), at(40), at(0));
      }, "BadWindow");
      expect(model.priorAuthStatus(1n)).to.equal("Pending");
      model.approvePriorAuth(1n, 3n, at(10), at(100), at(0));
      expect(model.priorAuthUnitsLeft(1n)).to.equal(3n);
    });

    it("allows one decision per request and refuses unknown or reused ids", function () {
      const model = setup();
      requestMri(model, 1n, 1n, 10, 100);
      requestMri(model, 2n, 1n, 10, 100);
      model.approvePriorAuth(1n, 1n, at(10), at(100), at(0));
      model.denyPriorAuth(2n);
      expectReason(() => {
        model.approvePriorAuth(1n, 1n, at(10), at(100), at(0));
      }, "PriorAuthNotPending");
      expectReason(() => {
        model.denyPriorAuth(1n);
      }, "PriorAuthNotPending");
      expectReason(() => {
        model.approvePriorAuth(2n, 1n, at(10), at(100), at(0));
      }, "PriorAuthNotPending");
      expectReason(() => {
        model.approvePriorAuth(3n, 1n, at(10), at(100), at(0));
      }, "UnknownPriorAuth");
      expectReason(() => model.priorAuthUnitsLeft(3n), "UnknownPriorAuth");
      expectReason(() => {
        requestMri(model, 1n, 1n, 10, 100);
      }, "PriorAuthExists");
      expectReason(() => {
        requestMri(model, 0n, 1n, 10, 100);
      }, "PriorAuthExists");
      expect(model.priorAuthUnitsLeft(2n)).to.equal(0n);
    });

    it("does not use pending or denied authorizations", function () {
      const model = setup();
      requestMri(model, 1n, 1n, 10, 100);
      requestMri(model, 2n, 1n, 10, 100);
      model.denyPriorAuth(2n);
      expectDenied(submit(model, [line(MRI, 30, 2_400n * USD)], at(31)).lines[0], 197, "CO", 0n);
    });

    it("takes the first fitting authorization in approval order, not request order", function () {
      const model = setup();
      requestMri(model, 1n, 1n, 10, 100);
      requestMri(model, 2n, 1n, 10, 100);
      model.approvePriorAuth(2n, 1n, at(10), at(100), at(0));
      model.approvePriorAuth(1n, 1n, at(10), at(100), at(0));
      expect(submit(model, [line(MRI, 30, 2_400n * USD)], at(31)).lines[0]!.priorAuth).to.equal(2n);
      expect([model.priorAuthUnitsLeft(1n), model.priorAuthUnitsLeft(2n)]).to.deep.equal([1n, 0n]);
    });

    it("skips an authorization with fewer units left than the line", function () {
      const model = setup();
      requestMri(model, 1n, 1n, 10, 100);
      requestMri(model, 2n, 3n, 10, 100);
      model.approvePriorAuth(1n, 1n, at(10), at(100), at(0));
      model.approvePriorAuth(2n, 3n, at(10), at(100), at(0));
      expect(submit(model, [line(MRI, 30, 4_800n * USD, 2n)], at(31)).lines[0]!.priorAuth).to.equal(2n);
      expect(submit(model, [line(MRI, 31, 2_400n * USD)], at(32)).lines[0]!.priorAuth).to.equal(1n);
      expectDenied(submit(model, [line(MRI, 32, 4_800n * USD, 2n)], at(33)).lines[0], 197, "CO", 0n);
      expect(submit(model, [line(MRI, 33, 2_400n * USD)], at(34)).lines[0]!.priorAuth).to.equal(2n);
      expect([model.priorAuthUnitsLeft(1n), model.priorAuthUnitsLeft(2n)]).to.deep.equal([0n, 0n]);
    });

    it("consumes no units when the line is then denied as a duplicate", function () {
      const model = setup();
      requestMri(model, 1n, 3n, 10, 100);
      model.approvePriorAuth(1n, 3n, at(10), at(100), at(0));
      const claim = submit(model, [line(MRI, 30, 2_400n * USD), line(MRI, 30, 2_400n * USD)], at(31));
      expectDenied(claim.lines[1], CARC.Duplicate, "OA", 0n);
      expectDenied(submit(model, [line(MRI, 30, 2_400n * USD)], at(32)).lines[0], 18, "OA", 0n);
      expect(model.priorAuthUnitsLeft(1n)).to.equal(2n);
    });

    it("lets any in-network provider use the authorization", function () {
      const model = setup();
      requestMri(model, 1n, 2n, 10, 100);
      model.approvePriorAuth(1n, 2n, at(10), at(100), at(0));
      expect(submit(model, [line(MRI, 30, 2_400n * USD)], at(31)).lines[0]!.priorAuth).to.equal(1n);
      const clinic = submit(model, [line(MRI, 30, 2_400n * USD)], at(31), { organization: CLINIC });
      expect(clinic.lines[0]!.priorAuth).to.equal(1n);
      expect(model.priorAuthUnitsLeft(1n)).to.equal(0n);
    });

    it("matches the authorization's patient, plan and code", function () {
      const model = setup();
      model.enroll(PLAN, OTHER_PATIENT, at(0), at(364));
      model.createPlan(2n, PAYER, TERMS);
      model.setFee(2n, FEES[3]!);
      requestMri(model, 1n, 5n, 10, 100);
      model.approvePriorAuth(1n, 5n, at(10), at(100), at(0));
      model.requestPriorAuth(2n, {
        patient: PATIENT,
        plan: 2n,
        code: KNEE,
        units: 1n,
        validFrom: at(10),
        validTo: at(100),
      });
      model.approvePriorAuth(2n, 1n, at(10), at(100), at(0));
      const other = submit(model, [line(MRI, 30, 2_400n * USD)], at(31), { patient: OTHER_PATIENT });
      expectDenied(other.lines[0], 197, "CO", 0n);
      expectDenied(submit(model, [line(KNEE, 30, 30_000n * USD)], at(31)).lines[0], 197, "CO", 0n);
      expect([model.priorAuthUnitsLeft(1n), model.priorAuthUnitsLeft(2n)]).to.deep.equal([5n, 1n]);
    });
  });

  describe("duplicate service", function () {
    it("treats two times on the same service day as the same service", function () {
      const model = setup();
      submit(model, [line(OFFICE, 30, 150n * USD)], at(31));
      const again = submit(model, [{ ...line(OFFICE, 30, 150n * USD), serviceDate: at(30, DAY - 1n) }], at(31));
      expectDenied(again.lines[0], CARC.Duplicate, "OA", 0n);
      expect(again.status).to.equal("Denied");
    });

    it("approves the same code on another day, by another organization or for another patient", function () {
      const model = setup();
      model.enroll(PLAN, OTHER_PATIENT, at(0), at(364));
      submit(model, [line(OFFICE, 30, 150n * USD)], at(31));
      expect(submit(model, [line(OFFICE, 31, 150n * USD)], at(32)).status).to.equal("Approved");
      expect(submit(model, [line(OFFICE, 30, 150n * USD)], at(32), { organization: CLINIC }).status).to.equal(
        "Approved",
      );
      expect(submit(model, [line(OFFICE, 30, 150n * USD)], at(32), { patient: OTHER_PATIENT }).status).to.equal(
        "Approved",
      );
      expect(submit(model, [line(LAB, 30, 45n * USD)], at(32)).status).to.equal("Approved");
    });

    it("does not register denied lines", function () {
      const model = setup();
      expect(submit(model, [line(OFFICE, 30, 150n * USD)], at(31), { organization: OUTSIDER }).status).to.equal(
        "Denied",
      );
      model.setNetwork(PLAN, OUTSIDER, true);
      expect(submit(model, [line(OFFICE, 30, 150n * USD)], at(31), { organization: OUTSIDER }).status).to.equal(
        "Approved",
      );
    });

    it("denies the second identical line of one claim and leaves the claim partially approved", function () {
      const model = setup({ terms: { deductible: 0n } });
      const claim = submit(model, [line(OFFICE, 30, 150n * USD), line(OFFICE, 30, 150n * USD)], at(31));
      expect(claim.status).to.equal("PartiallyApproved");
      expectDenied(claim.lines[1], 18, "OA", 0n);
      expect([claim.planPays, claim.patientOwes]).to.deep.equal([72n * USD, 48n * USD]);
    });
  });

  describe("pricing", function () {
    it("allows the billed amount when it is below the fee schedule", function () {
      const model = setup({ terms: { deductible: 0n } });
      expectApproved(submit(model, [line(OFFICE, 10, 100n * USD)], at(11)).lines[0], {
        allowed: 100n * USD,
        contractual: 0n,
        ded: 0n,
        copay: 30n * USD,
        coins: 14n * USD,
        planPays: 56n * USD,
        patientOwes: 44n * USD,
      });
    });

    it("caps the copay at what the deductible leaves of the allowed amount", function () {
      const model = setup({ terms: { deductible: 100n * USD } });
      expectApproved(submit(model, [line(OFFICE, 10, 200n * USD)], at(11)).lines[0], {
        allowed: 120n * USD,
        contractual: 80n * USD,
        ded: 100n * USD,
        copay: 20n * USD,
        coins: 0n,
        planPays: 0n,
        patientOwes: 120n * USD,
      });
    });

    it("rounds coinsurance down to the base unit", function () {
      const model = setup({ terms: { deductible: 0n, coinsuranceBps: 3_333n } });
      expectApproved(submit(model, [line(LAB, 10, 1_000_001n)], at(11)).lines[0], {
        allowed: 1_000_001n,
        contractual: 0n,
        ded: 0n,
        copay: 0n,
        coins: 333_300n,
        planPays: 666_701n,
        patientOwes: 333_300n,
      });
    });

    it("takes the out-of-pocket excess from coinsurance, then copay", function () {
      const model = setup({ terms: { deductible: 0n, oopMax: 25n * USD } });
      expectApproved(submit(model, [line(OFFICE, 10, 120n * USD)], at(11)).lines[0], {
        allowed: 120n * USD,
        contractual: 0n,
        ded: 0n,
        copay: 25n * USD,
        coins: 0n,
        planPays: 95n * USD,
        patientOwes: 25n * USD,
      });
      expect(model.accumulators(PLAN, PATIENT, 0)).to.deep.equal({ deductibleMet: 0n, oopMet: 25n * USD });
    });

    it("takes the out-of-pocket excess from the deductible last and counts only the kept deductible", function () {
      const model = setup({ terms: { oopMax: 100n * USD } });
      expectApproved(submit(model, [line(OFFICE, 10, 120n * USD)], at(11)).lines[0], {
        allowed: 120n * USD,
        contractual: 0n,
        ded: 100n * USD,
        copay: 0n,
        coins: 0n,
        planPays: 20n * USD,
        patientOwes: 100n * USD,
      });
      expect(model.accumulators(PLAN, PATIENT, 0)).to.deep.equal({ deductibleMet: 100n * USD, oopMet: 100n * USD });
    });

    it("charges the patient nothing when oopMax is lowered below oopMet", function () {
      const model = setup({ terms: { deductible: 0n } });
      expect(submit(model, [line(OFFICE, 10, 120n * USD)], at(11)).patientOwes).to.equal(48n * USD);
      model.updateTerms(PLAN, { ...TERMS, deductible: 0n, oopMax: 40n * USD });
      expectApproved(submit(model, [line(OFFICE, 11, 120n * USD)], at(12)).lines[0], {
        allowed: 120n * USD,
        contractual: 0n,
        ded: 0n,
        copay: 0n,
        coins: 0n,
        planPays: 120n * USD,
        patientOwes: 0n,
      });
      expect(model.accumulators(PLAN, PATIENT, 0)).to.deep.equal({ deductibleMet: 0n, oopMet: 48n * USD });
    });

    it("charges no deductible when the deductible is lowered below deductibleMet", function () {
      const model = setup();
      submit(model, [line(LAB, 10, 540n * USD, 12n)], at(11));
      model.updateTerms(PLAN, { ...TERMS, deductible: 300n * USD });
      expectApproved(submit(model, [line(OFFICE, 11, 120n * USD)], at(12)).lines[0], {
        allowed: 120n * USD,
        contractual: 0n,
        ded: 0n,
        copay: 30n * USD,
        coins: 18n * USD,
        planPays: 72n * USD,
        patientOwes: 48n * USD,
      });
      expect(model.accumulators(PLAN, PATIENT, 0)).to.deep.equal({ deductibleMet: 500n * USD, oopMet: 556n * USD });
    });

    it("charges the rest of a raised deductible", function () {
      const model = setup();
      submit(model, [line(LAB, 10, 540n * USD, 12n)], at(11));
      model.updateTerms(PLAN, { ...TERMS, deductible: 600n * USD });
      expectApproved(submit(model, [line(OFFICE, 11, 120n * USD)], at(12)).lines[0], {
        allowed: 120n * USD,
        contractual: 0n,
        ded: 100n * USD,
        copay: 20n * USD,
        coins: 0n,
        planPays: 0n,
        patientOwes: 120n * USD,
      });
    });

    it("prices without touching the accumulators it is given (estimator)", function () {
      const accumulators: Accumulators = { deductibleMet: 0n, oopMet: 0n };
      const priced = priceLine(TERMS, FEES[3]!, { units: 1n, billed: 41_000n * USD }, accumulators);
      expect(priced).to.deep.equal({
        allowed: 25_000n * USD,
        contractual: 16_000n * USD,
        ded: 500n * USD,
        copay: 250n * USD,
        coins: 2_250n * USD,
        planPays: 22_000n * USD,
        patientOwes: 3_000n * USD,
      });
      expect(accumulators).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
    });

    it("refuses coinsurance above 100 % and negative terms or fees", function () {
      const model = new ClaimsModel();
      expectReason(() => {
        model.createPlan(PLAN, PAYER, { ...TERMS, coinsuranceBps: 10_001n });
      }, "BadTerms");
      expectReason(() => {
        model.createPlan(PLAN, PAYER, { ...TERMS, oopMax: -1n });
      }, "BadTerms");
      model.createPlan(PLAN, PAYER, { ...TERMS, coinsuranceBps: 10_000n });
      expectReason(() => {
        model.createPlan(PLAN, PAYER, TERMS);
      }, "PlanExists");
      expectReason(() => {
        model.updateTerms(2n, TERMS);
      }, "UnknownPlan");
      expectReason(() => {
        model.setFee(PLAN, { ...FEES[0]!, copay: -1n });
      }, "BadFee");
      expectReason(() => {
        model.setFee(PLAN, { ...FEES[0]!, code: "" });
      }, "BadFee");
    });
  });

  describe("payment", function () {
    it("pays strictly first in, first out, queueing new claims behind unpaid ones", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n });
      const a = submit(model, [line(LAB, 10, 450n * USD, 10n)], at(11));
      const b = submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      expect([a.planPays, b.planPays, a.paidAtAdjudication, b.paidAtAdjudication]).to.deep.equal([
        360n * USD,
        72n * USD,
        false,
        false,
      ]);
      expect(model.fund(PAYER, 100n * USD)).to.deep.equal([]);
      const c = submit(model, [line(OFFICE, 11, 120n * USD)], at(12));
      expect(c.paidAtAdjudication, "queued behind unpaid claims although the balance covers it").to.equal(false);
      const entry = (claim: ClaimResult, amount: bigint): QueueEntry => ({
        claim: claim.id,
        line: undefined,
        organization: HOSPITAL,
        amount,
      });
      expect(model.queue(PAYER)).to.deep.equal([entry(a, 360n * USD), entry(b, 72n * USD), entry(c, 72n * USD)]);
      expect(model.fund(PAYER, 300n * USD)).to.deep.equal([entry(a, 360n * USD)]);
      expect(model.payerBalance(PAYER)).to.equal(40n * USD);
      expect(model.fund(PAYER, 200n * USD)).to.deep.equal([entry(b, 72n * USD), entry(c, 72n * USD)]);
      expect([model.payerBalance(PAYER), model.providerBalance(HOSPITAL), model.funded(PAYER)]).to.deep.equal([
        96n * USD,
        504n * USD,
        600n * USD,
      ]);
      expect(model.accountingHolds()).to.equal(true);
    });

    it("pays at once when the balance exactly covers the claim", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 72n * USD });
      expect(submit(model, [line(OFFICE, 10, 120n * USD)], at(11)).paidAtAdjudication).to.equal(true);
      expect([model.payerBalance(PAYER), model.providerBalance(HOSPITAL)]).to.deep.equal([0n, 72n * USD]);
    });

    it("never queues a claim whose plan payment is zero", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n });
      submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      const denied = submit(model, [line(OFFICE, 10, 120n * USD)], at(11), { organization: OUTSIDER });
      expect(denied.paidAtAdjudication).to.equal(true);
      expect(model.queue(PAYER)).to.have.length(1);
    });

    it("settles at most maxSettlePerCall entries per funding and the rest through settle", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n, maxSettlePerCall: 2 });
      for (const day of [10, 11, 12]) submit(model, [line(OFFICE, day, 120n * USD)], at(13));
      expect(model.fund(PAYER, 1_000n * USD)).to.have.length(2);
      expect(model.queue(PAYER)).to.have.length(1);
      expect(model.settle(PAYER, 0)).to.deep.equal([]);
      expect(model.settle(PAYER, 5)).to.have.length(1);
      expect([model.payerBalance(PAYER), model.providerBalance(HOSPITAL)]).to.deep.equal([784n * USD, 216n * USD]);
      expectReason(() => model.settle(PAYER, -1), "BadSettleBound");
      expectReason(() => new ClaimsModel({ maxSettlePerCall: 0 }), "BadSettleBound");
    });

    it("settles 32 entries per funding by default", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n });
      for (let day = 1; day <= 33; day++) submit(model, [line(OFFICE, day, 120n * USD)], at(34));
      expect(model.fund(PAYER, 10_000n * USD)).to.have.length(32);
      expect(model.queue(PAYER)).to.have.length(1);
    });

    it("keeps one queue per payer", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n });
      model.createPlan(2n, 901n, { ...TERMS, deductible: 0n });
      model.setFee(2n, FEES[0]!);
      model.setNetwork(2n, HOSPITAL, true);
      model.enroll(2n, PATIENT, at(0), at(364));
      model.fund(901n, 72n * USD);
      expect(submit(model, [line(OFFICE, 10, 120n * USD)], at(11)).paidAtAdjudication).to.equal(false);
      expect(submit(model, [line(OFFICE, 11, 120n * USD)], at(12), { plan: 2n }).paidAtAdjudication).to.equal(true);
      expect([model.queue(PAYER).length, model.queue(901n).length, model.payerBalance(901n)]).to.deep.equal([1, 0, 0n]);
    });

    it("withdraws the whole provider balance once", function () {
      const model = setup({ terms: { deductible: 0n } });
      submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      expect(model.withdraw(HOSPITAL)).to.equal(72n * USD);
      expect(model.withdraw(HOSPITAL)).to.equal(0n);
      expect([model.providerBalance(HOSPITAL), model.withdrawn(HOSPITAL)]).to.deep.equal([0n, 72n * USD]);
      expect(model.accountingHolds()).to.equal(true);
      expectReason(() => model.fund(PAYER, 0n), "ZeroAmount");
    });
  });

  describe("appeals", function () {
    it("opens the window for exactly appealWindowDays after adjudication, a window the plan's terms cannot change", function () {
      const model = setup();
      const claim = submit(
        model,
        [line(OFFICE, 10, 150n * USD), line(LAB, 10, 45n * USD), line(MRI, 10, 99n * USD)],
        at(11),
        {
          organization: OUTSIDER,
        },
      );
      expectReason(() => {
        model.fileAppeal(claim.id, 0, at(191, 1n));
      }, "AppealWindowClosed");
      model.fileAppeal(claim.id, 0, at(191));
      expectReason(() => {
        model.updateTerms(PLAN, { ...TERMS, appealWindowDays: 200n });
      }, "AppealWindowFixed");
      model.updateTerms(PLAN, { ...TERMS, timelyFilingDays: 10n });
      expectReason(() => {
        model.fileAppeal(claim.id, 1, at(191, 1n));
      }, "AppealWindowClosed");
      expect(model.appealStatus(claim.id, 1)).to.equal("None");
      expect([0, 1, 2].map((l) => model.appealStatus(claim.id, l))).to.deep.equal(["Filed", "None", "None"]);
    });

    it("refuses appeals of approved, unknown or already appealed lines and decisions without an appeal", function () {
      const model = setup();
      const claim = submit(
        model,
        [line(OFFICE, 10, 150n * USD), line(NOT_COVERED, 10, 70n * USD), line(NOT_COVERED, 11, 80n * USD)],
        at(12),
      );
      expectReason(() => {
        model.fileAppeal(claim.id, 0, at(12));
      }, "LineNotDenied");
      expectReason(() => {
        model.fileAppeal(claim.id, 3, at(12));
      }, "UnknownLine");
      expectReason(() => {
        model.fileAppeal("nope", 0, at(12));
      }, "UnknownClaim");
      expectReason(() => model.decideAppeal(claim.id, 1, true, at(12)), "NoAppeal");
      model.fileAppeal(claim.id, 1, at(12));
      expectReason(() => {
        model.fileAppeal(claim.id, 1, at(12));
      }, "AlreadyAppealed");
      expect(model.decideAppeal(claim.id, 1, false, at(13))).to.equal(undefined);
      expectReason(() => model.decideAppeal(claim.id, 1, true, at(13)), "NoAppeal");
      expectReason(() => {
        model.fileAppeal(claim.id, 1, at(14));
      }, "AlreadyAppealed");
      expect(model.claim(claim.id)).to.deep.equal(claim);
    });

    it("waives timely filing on overturn but re-applies the network as it stands", function () {
      const model = setup();
      const claim = submit(model, [line(OFFICE, 10, 150n * USD)], at(200));
      expectDenied(claim.lines[0], 29, "CO", 0n);
      model.setNetwork(PLAN, HOSPITAL, false);
      model.fileAppeal(claim.id, 0, at(201));
      const outcome = model.decideAppeal(claim.id, 0, true, at(202));
      expectDenied(outcome, CARC.OutOfNetwork, "CO", 0n);
      expect(model.claim(claim.id).lines[0]).to.deep.equal(outcome);
      expect([model.claim(claim.id).status, model.appealStatus(claim.id, 0)]).to.deep.equal(["Denied", "Overturned"]);
      expectReason(() => {
        model.fileAppeal(claim.id, 0, at(203));
      }, "AlreadyAppealed");
    });

    it("waives prior authorization on overturn without consuming units", function () {
      const model = setup();
      model.requestPriorAuth(1n, {
        patient: PATIENT,
        plan: PLAN,
        code: MRI,
        units: 2n,
        validFrom: at(20),
        validTo: at(80),
      });
      model.approvePriorAuth(1n, 2n, at(20), at(80), at(0));
      const claim = submit(model, [line(MRI, 10, 2_400n * USD)], at(11));
      model.fileAppeal(claim.id, 0, at(12));
      const outcome = model.decideAppeal(claim.id, 0, true, at(30));
      expectApproved(outcome, {
        allowed: 1_800n * USD,
        contractual: 600n * USD,
        ded: 500n * USD,
        copay: 0n,
        coins: 260n * USD,
        planPays: 1_040n * USD,
        patientOwes: 760n * USD,
      });
      expect([outcome!.priorAuth, model.priorAuthUnitsLeft(1n)]).to.deep.equal([0n, 2n]);
    });

    it("re-prices an overturned non-covered line, adjusting the claim's totals and status", function () {
      const model = setup();
      const claim = submit(model, [line(OFFICE, 10, 120n * USD), line(NOT_COVERED, 10, 2_500n * USD)], at(11));
      expect([claim.status, claim.planPays, claim.patientOwes]).to.deep.equal(["PartiallyApproved", 0n, 2_620n * USD]);
      model.setFee(PLAN, { code: NOT_COVERED, allowedPerUnit: 1_000n * USD, copay: 0n, requiresPriorAuth: false });
      model.fileAppeal(claim.id, 1, at(20));
      expectApproved(model.decideAppeal(claim.id, 1, true, at(21)), {
        allowed: 1_000n * USD,
        contractual: 1_500n * USD,
        ded: 380n * USD,
        copay: 0n,
        coins: 124n * USD,
        planPays: 496n * USD,
        patientOwes: 504n * USD,
      });
      const after = model.claim(claim.id);
      expect([after.status, after.planPays, after.patientOwes, after.paidAtAdjudication]).to.deep.equal([
        "Approved",
        496n * USD,
        624n * USD,
        true,
      ]);
      expect(model.providerBalance(HOSPITAL)).to.equal(496n * USD);
    });

    it("keeps the duplicate check on overturn", function () {
      const model = setup();
      submit(model, [line(OFFICE, 30, 150n * USD)], at(31));
      const again = submit(model, [line(OFFICE, 30, 150n * USD)], at(32));
      model.fileAppeal(again.id, 0, at(33));
      expectDenied(model.decideAppeal(again.id, 0, true, at(34)), CARC.Duplicate, "OA", 0n);
    });

    it("queues an overturned line's payment, with its line index, behind the payer's unpaid entries", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n });
      const first = submit(model, [line(OFFICE, 9, 120n * USD)], at(10));
      const claim = submit(model, [line(MRI, 10, 2_400n * USD)], at(11));
      model.fileAppeal(claim.id, 0, at(12));
      expect(model.decideAppeal(claim.id, 0, true, at(13))?.planPays).to.equal(1_440n * USD);
      expect(model.queue(PAYER)).to.deep.equal([
        { claim: first.id, line: undefined, organization: HOSPITAL, amount: 72n * USD },
        { claim: claim.id, line: 0, organization: HOSPITAL, amount: 1_440n * USD },
      ]);
      expect(model.fund(PAYER, 1_512n * USD)).to.have.length(2);
      expect([model.payerBalance(PAYER), model.providerBalance(HOSPITAL)]).to.deep.equal([0n, 1_512n * USD]);
      expect(model.claim(claim.id).paidAtAdjudication).to.equal(true);
    });

    it("credits an overturned line against the enrollment of its service date after that coverage ended", function () {
      const model = setup({
        enrollments: [
          [0, 364],
          [365, 729],
        ],
      });
      const claim = submit(model, [line(MRI, 300, 2_400n * USD)], at(301));
      model.fileAppeal(claim.id, 0, at(302));
      expect(model.decideAppeal(claim.id, 0, true, at(400))?.planPays).to.equal(1_040n * USD);
      expect(model.accumulators(PLAN, PATIENT, 0)).to.deep.equal({ deductibleMet: 500n * USD, oopMet: 760n * USD });
      expect(model.accumulators(PLAN, PATIENT, 1)).to.deep.equal({ deductibleMet: 0n, oopMet: 0n });
    });
  });

  describe("medically unlikely edit (check 4a)", function () {
    /** The setup plan with physical therapy limited to `maxUnits` units a line, no deductible. */
    function physio(maxUnits: bigint | undefined, fund?: bigint): ClaimsModel {
      const model = setup({ terms: { deductible: 0n }, ...(fund === undefined ? {} : { fund }) });
      model.setFee(PLAN, maxUnits === undefined ? PHYSIO_FEE : { ...PHYSIO_FEE, maxUnits });
      return model;
    }

    it("approves a line of exactly maxUnits and denies maxUnits + 1 with CARC 151, group CO, the patient owing nothing", function () {
      const model = physio(4n);
      expectApproved(submit(model, [line(PHYSIO, 10, 200n * USD, 4n)], at(11)).lines[0], {
        allowed: 160n * USD,
        contractual: 40n * USD,
        ded: 0n,
        copay: 20n * USD,
        coins: 28n * USD,
        planPays: 112n * USD,
        patientOwes: 48n * USD,
      });
      const before = snapshot(model);
      const claim = submit(model, [line(PHYSIO, 11, 250n * USD, 5n)], at(12));
      expectDenied(claim.lines[0], CARC.MedicallyUnlikely, "CO", 0n);
      expect([claim.status, claim.planPays, claim.patientOwes]).to.deep.equal(["Denied", 0n, 0n]);
      expect(snapshot(model), "a denied line leaves the accumulators and the books alone").to.equal(before);
    });

    it("sets no plan limit when maxUnits is 0 or absent: only MAX_UNITS_PER_LINE bounds the line", function () {
      for (const maxUnits of [undefined, 0n]) {
        const model = physio(maxUnits);
        const claim = submit(model, [line(PHYSIO, 10, 4_000_000n * USD, MAX_UNITS_PER_LINE)], at(11));
        expect(claim.lines[0]!.denied, `maxUnits ${maxUnits}`).to.equal(false);
        expect(claim.lines[0]!.allowed).to.equal(40n * USD * MAX_UNITS_PER_LINE);
      }
    });

    it("comes after coverage, filing, network and fee schedule, and before prior authorization and duplicates", function () {
      const model = physio(1n);
      model.setFee(PLAN, { ...FEES[2]!, maxUnits: 1n });
      // Later checks do not hide it: an MRI of 2 units without authorization is 151, not 197.
      expectDenied(submit(model, [line(MRI, 10, 3_600n * USD, 2n)], at(11)).lines[0], 151, "CO", 0n);
      // A duplicate of an approved service with too many units is 151, not 18.
      submit(model, [line(PHYSIO, 10, 40n * USD)], at(11));
      expectDenied(submit(model, [line(PHYSIO, 10, 80n * USD, 2n)], at(11)).lines[0], 151, "CO", 0n);
      // Earlier checks win: out of network 242, unlisted 96, outside coverage 26, late 29.
      const outside = submit(model, [line(PHYSIO, 10, 80n * USD, 2n)], at(11), { organization: OUTSIDER });
      expectDenied(outside.lines[0], 242, "CO", 0n);
      expectDenied(submit(model, [line(NOT_COVERED, 10, 80n * USD, 9n)], at(11)).lines[0], 96, "PR", 80n * USD);
      expectDenied(submit(model, [line(PHYSIO, -5, 80n * USD, 2n)], at(11)).lines[0], 26, "PR", 80n * USD);
      expectDenied(submit(model, [line(PHYSIO, 10, 80n * USD, 2n)], at(101)).lines[0], 29, "CO", 0n);
    });

    it("consumes no authorization units for a line it denies", function () {
      const model = setup();
      model.setFee(PLAN, { ...FEES[2]!, maxUnits: 2n });
      model.requestPriorAuth(1n, {
        patient: PATIENT,
        plan: PLAN,
        code: MRI,
        units: 5n,
        validFrom: at(0),
        validTo: at(99),
      });
      model.approvePriorAuth(1n, 5n, at(0), at(99), at(0));
      expectDenied(submit(model, [line(MRI, 10, 5_400n * USD, 3n)], at(11)).lines[0], 151, "CO", 0n);
      expect(model.priorAuthUnitsLeft(1n)).to.equal(5n);
    });

    it("is not waived by an appeal: an overturned 151 line is denied 151 again while the edit stands", function () {
      const model = physio(4n);
      const claim = submit(model, [line(PHYSIO, 10, 300n * USD, 6n)], at(11));
      model.fileAppeal(claim.id, 0, at(12));
      const outcome = model.decideAppeal(claim.id, 0, true, at(13));
      expectDenied(outcome, CARC.MedicallyUnlikely, "CO", 0n);
      expect([model.appealStatus(claim.id, 0), model.claim(claim.id).status]).to.deep.equal(["Overturned", "Denied"]);
      expect(model.queue(PAYER)).to.deep.equal([]);
    });

    it("re-adjudicates an overturned line against the edit as the fee schedule stands at the decision", function () {
      const model = physio(4n);
      const claim = submit(model, [line(PHYSIO, 10, 300n * USD, 6n)], at(11));
      model.setFee(PLAN, { ...PHYSIO_FEE, maxUnits: 6n });
      model.fileAppeal(claim.id, 0, at(12));
      expect(model.decideAppeal(claim.id, 0, true, at(13))?.denied).to.equal(false);
      expect(model.claim(claim.id).status).to.equal("Approved");
    });
  });

  describe("units bound", function () {
    it("refuses a claim with a line above MAX_UNITS_PER_LINE (TooManyUnits) and changes nothing", function () {
      const model = setup();
      const before = snapshot(model);
      expectReason(
        () =>
          submit(model, [line(OFFICE, 10, 150n * USD), line(LAB, 10, 45n * USD, MAX_UNITS_PER_LINE + 1n)], at(11), {
            id: "big",
          }),
        "TooManyUnits",
      );
      expect(snapshot(model)).to.equal(before);
      expectReason(() => model.claim("big"), "UnknownClaim");
      expect(submit(model, [line(LAB, 10, 45n * USD, MAX_UNITS_PER_LINE)], at(11)).lines[0]!.denied).to.equal(false);
    });
  });

  describe("prior authorization bound and pruning", function () {
    /** Requests and approves MRI authorization `id` for `patient`, valid on days [from, to], at `now`. */
    function approveMri(model: ClaimsModel, id: bigint, from: number, to: number, now: bigint, patient = PATIENT) {
      model.requestPriorAuth(id, { patient, plan: PLAN, code: MRI, units: 1n, validFrom: at(from), validTo: at(to) });
      model.approvePriorAuth(id, 1n, at(from), at(to), now);
    }

    it(`refuses a usable authorization beyond ${MAX_OPEN_PRIOR_AUTHS} (TooManyOpenPriorAuths), leaving it pending`, function () {
      const model = setup();
      for (let id = 1n; id <= BigInt(MAX_OPEN_PRIOR_AUTHS); id++) approveMri(model, id, 0, 200, at(1));
      const extra = BigInt(MAX_OPEN_PRIOR_AUTHS + 1);
      model.requestPriorAuth(extra, {
        patient: PATIENT,
        plan: PLAN,
        code: MRI,
        units: 1n,
        validFrom: at(0),
        validTo: at(200),
      });
      expectReason(() => {
        model.approvePriorAuth(extra, 1n, at(0), at(200), at(1));
      }, "TooManyOpenPriorAuths");
      expect(model.priorAuthStatus(extra)).to.equal("Pending");
      // The bound is per (patient, plan, code): another patient, or another code, still gets one.
      model.enroll(PLAN, OTHER_PATIENT, at(0), at(364));
      approveMri(model, extra + 1n, 0, 200, at(1), OTHER_PATIENT);
      model.requestPriorAuth(extra + 2n, {
        patient: PATIENT,
        plan: PLAN,
        code: KNEE,
        units: 1n,
        validFrom: at(0),
        validTo: at(200),
      });
      model.approvePriorAuth(extra + 2n, 1n, at(0), at(200), at(1));
      expect(model.priorAuthStatus(extra + 2n)).to.equal("Approved");
    });

    it("frees the place of a used-up authorization, which no line can use", function () {
      const model = setup();
      for (let id = 1n; id <= BigInt(MAX_OPEN_PRIOR_AUTHS); id++) approveMri(model, id, 0, 200, at(1));
      expect(submit(model, [line(MRI, 10, 2_400n * USD)], at(11)).lines[0]!.priorAuth).to.equal(1n);
      approveMri(model, 17n, 0, 200, at(12));
      expect(model.priorAuthStatus(17n)).to.equal("Approved");
      // Approval order is kept among those left: the next line uses #2, and #17 comes last.
      expect(submit(model, [line(MRI, 11, 2_400n * USD)], at(12)).lines[0]!.priorAuth).to.equal(2n);
    });

    it("frees the place of one whose window ended more than timelyFilingDays ago, not exactly that long ago", function () {
      const model = setup();
      // #1 ends on day 10: with a 90-day filing limit a line it covers is late from day 100 + 1 s.
      approveMri(model, 1n, 0, 10, at(1));
      for (let id = 2n; id <= BigInt(MAX_OPEN_PRIOR_AUTHS); id++) approveMri(model, id, 0, 300, at(1));
      model.requestPriorAuth(17n, {
        patient: PATIENT,
        plan: PLAN,
        code: MRI,
        units: 1n,
        validFrom: at(0),
        validTo: at(300),
      });
      expectReason(() => {
        model.approvePriorAuth(17n, 1n, at(0), at(300), at(100));
      }, "TooManyOpenPriorAuths");
      model.approvePriorAuth(17n, 1n, at(0), at(300), at(100, 1n));
      expect(model.priorAuthStatus(17n)).to.equal("Approved");
      // The stale one is gone for good: an appeal waives check 5 anyway, and a fresh line dated in its window is late.
      expect(model.priorAuthUnitsLeft(1n)).to.equal(1n);
    });
  });

  describe("payer withdrawals", function () {
    it("takes surplus back while nothing is queued, and keeps the accounting identity", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 1_000n * USD });
      submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      model.withdrawFunds(PAYER, 900n * USD);
      expect([model.payerBalance(PAYER), model.payerWithdrawn(PAYER), model.funded(PAYER)]).to.deep.equal([
        28n * USD,
        900n * USD,
        1_000n * USD,
      ]);
      model.withdrawFunds(PAYER, 28n * USD);
      expect([model.payerBalance(PAYER), model.payerWithdrawn(PAYER)]).to.deep.equal([0n, 928n * USD]);
      expect(model.accountingHolds()).to.equal(true);
    });

    it("refuses zero, more than the balance, and any amount while a payment waits (state unchanged)", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 50n * USD });
      expectReason(() => {
        model.withdrawFunds(PAYER, 0n);
      }, "ZeroAmount");
      expectReason(() => {
        model.withdrawFunds(PAYER, 50n * USD + 1n);
      }, "InsufficientBalance");
      submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      const before = snapshot(model);
      expectReason(() => {
        model.withdrawFunds(PAYER, 1n);
      }, "PayerHasQueue");
      expect([snapshot(model), model.payerWithdrawn(PAYER).toString()]).to.deep.equal([before, "0"]);
      model.fund(PAYER, 30n * USD);
      model.withdrawFunds(PAYER, 8n * USD);
      expect([model.payerBalance(PAYER), model.payerWithdrawn(PAYER)]).to.deep.equal([0n, 8n * USD]);
    });
  });

  describe("successors", function () {
    const SUCCESSOR = 104n;

    it("moves the balance and credits later queued payments and overturned lines to the successor", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 72n * USD });
      submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      const queued = submit(model, [line(OFFICE, 11, 120n * USD)], at(12));
      const denied = submit(model, [line(MRI, 11, 2_400n * USD)], at(12));
      expect([model.providerBalance(HOSPITAL), model.queue(PAYER).length]).to.deep.equal([72n * USD, 1]);
      model.assignSuccessor(HOSPITAL, SUCCESSOR);
      expect([model.providerBalance(HOSPITAL), model.providerBalance(SUCCESSOR)]).to.deep.equal([0n, 72n * USD]);
      // The queued entry still names the hospital; it is paid to the successor.
      expect(model.fund(PAYER, 72n * USD)).to.deep.equal([
        { claim: queued.id, line: undefined, organization: HOSPITAL, amount: 72n * USD },
      ]);
      expect([model.providerBalance(HOSPITAL), model.providerBalance(SUCCESSOR)]).to.deep.equal([0n, 144n * USD]);
      model.fund(PAYER, 1_440n * USD);
      model.fileAppeal(denied.id, 0, at(13));
      expect(model.decideAppeal(denied.id, 0, true, at(14))?.planPays).to.equal(1_440n * USD);
      expect([model.providerBalance(HOSPITAL), model.providerBalance(SUCCESSOR)]).to.deep.equal([0n, 1_584n * USD]);
      expect(model.accountingHolds()).to.equal(true);
    });

    it("follows a chain of successions to its end, and refuses a link past MAX_SUCCESSION_DEPTH, changing nothing", function () {
      const model = setup({ terms: { deductible: 0n }, fund: 0n });
      submit(model, [line(OFFICE, 10, 120n * USD)], at(11));
      const chain = [HOSPITAL];
      for (let i = 1; i <= MAX_SUCCESSION_DEPTH; i += 1) chain.push(1_000n + BigInt(i));
      for (let i = 0; i < MAX_SUCCESSION_DEPTH; i += 1) model.assignSuccessor(chain[i]!, chain[i + 1]!);
      const end = chain[MAX_SUCCESSION_DEPTH]!;
      expect(model.payee(HOSPITAL)).to.equal(end);
      expect(model.payee(chain[3]!)).to.equal(end);
      expectReason(() => {
        model.assignSuccessor(end, 2_000n);
      }, "SuccessionTooDeep");
      expect(model.payee(HOSPITAL)).to.equal(end);
      // The queued payment, settled after the chain formed, reaches its end.
      model.fund(PAYER, 72n * USD);
      expect(model.providerBalance(end)).to.equal(72n * USD);
      // A shorter route is still open: a successor for an earlier link.
      model.assignSuccessor(chain[2]!, 2_000n);
      expect(model.payee(HOSPITAL)).to.equal(2_000n);
      expect(model.accountingHolds()).to.equal(true);
    });
  });

  describe("views", function () {
    it("returns copies that callers cannot use to change the model", function () {
      const model = setup({ fund: 0n });
      const claim = submit(model, [line(LAB, 10, 900n * USD, 20n)], at(11));
      claim.lines[0]!.planPays = 0n;
      model.queue(PAYER)[0]!.amount = 1n;
      expect(model.claim(claim.id).lines[0]!.planPays).to.equal(320n * USD);
      expect(model.queue(PAYER)[0]!.amount).to.equal(320n * USD);
      expectReason(() => model.claim("nope"), "UnknownClaim");
      expectReason(() => model.appealStatus(claim.id, 1), "UnknownLine");
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // (c) Property
  // -------------------------------------------------------------------------------------------------------------------

  describe("properties", function () {
    const CODES = ["A", "B", "C", "D"] as const;
    /** A code never in the schedule. */
    const UNLISTED = "Z";
    const ORGS = [HOSPITAL, CLINIC, OUTSIDER] as const;
    const PATIENTS = [PATIENT, OTHER_PATIENT] as const;
    /** Enrollments in days, per patient: PATIENT has a gap between two periods, OTHER_PATIENT starts on day 10. */
    const PERIODS: Record<string, [number, number][]> = {
      [PATIENT.toString()]: [
        [0, 179],
        [200, 399],
      ],
      [OTHER_PATIENT.toString()]: [[10, 399]],
    };

    const termsArb: fc.Arbitrary<PlanTerms> = fc.record({
      deductible: fc.bigInt({ min: 0n, max: 1_000n * USD }),
      coinsuranceBps: fc.oneof(fc.constantFrom(0n, 10_000n), fc.bigInt({ min: 0n, max: 10_000n })),
      oopMax: fc.bigInt({ min: 0n, max: 4_000n * USD }),
      timelyFilingDays: fc.bigInt({ min: 1n, max: 120n }),
      appealWindowDays: fc.bigInt({ min: 0n, max: 60n }),
    });
    const feeArb = fc.record({
      allowedPerUnit: fc.bigInt({ min: 0n, max: 500n * USD }),
      copay: fc.bigInt({ min: 0n, max: 100n * USD }),
      requiresPriorAuth: fc.oneof(
        { weight: 2, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      /** Mostly no edit; sometimes a limit the 1-4 unit lines cross. */
      maxUnits: fc.oneof(
        { weight: 2, arbitrary: fc.constant(0n) },
        { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 3n }) },
      ),
    });
    const authArb = fc.record({
      patient: fc.nat({ max: 1 }),
      code: fc.nat({ max: CODES.length - 1 }),
      units: fc.bigInt({ min: 1n, max: 4n }),
      from: fc.nat({ max: 150 }),
      length: fc.nat({ max: 300 }),
      decision: fc.constantFrom("approve", "narrow", "deny", "pending"),
    });
    const lineArb = fc.record({
      code: fc.nat({ max: CODES.length }),
      units: fc.bigInt({ min: 1n, max: 4n }),
      billed: fc.bigInt({ min: 1n, max: 1_500n * USD }),
      /** Mostly recent services; sometimes old enough to be late or outside coverage. */
      daysBack: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.nat({ max: 150 }) }),
      seconds: fc.bigInt({ min: 0n, max: DAY - 1n }),
    });
    const stepArb = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant("claim" as const),
          org: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat({ max: 2 }) }),
          patient: fc.nat({ max: 1 }),
          lines: fc.array(lineArb, { minLength: 1, maxLength: 5 }),
          advance: fc.nat({ max: 8 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ op: fc.constant("fund" as const), amount: fc.bigInt({ min: 1n, max: 3_000n * USD }) }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("settle" as const), max: fc.nat({ max: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("withdraw" as const), org: fc.nat({ max: 2 }) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant("withdrawFunds" as const),
          amount: fc.bigInt({ min: 0n, max: 3_000n * USD }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant("appeal" as const),
          claim: fc.nat(),
          line: fc.nat({ max: 4 }),
          overturn: fc.boolean(),
          advance: fc.nat({ max: 20 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("terms" as const), terms: termsArb }) },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant("network" as const), org: fc.nat({ max: 2 }), inNetwork: fc.boolean() }),
      },
    );

    /** The enrollment (seq) of `patient` holding `time`, if any. */
    function enrollmentOf(patient: bigint, time: bigint): number | undefined {
      const seq = PERIODS[patient.toString()]!.findIndex(([start, end]) => at(start) <= time && time <= at(end));
      return seq === -1 ? undefined : seq;
    }

    function allAccumulators(model: ClaimsModel): Map<string, Accumulators> {
      const all = new Map<string, Accumulators>();
      for (const patient of PATIENTS) {
        PERIODS[patient.toString()]!.forEach((_, seq) =>
          all.set(`${patient}/${seq}`, model.accumulators(PLAN, patient, seq)),
        );
      }
      return all;
    }

    /** Per approved line: allowed splits exactly into ded + copay + coins + planPays, the provider writes off
     * billed − allowed, and all parts are non-negative; per denied line: no money, the patient owing the billed amount
     * exactly when the group is PR. */
    function checkLine(result: LineResult, input: ModelLine, maxUnits = 0n): void {
      if (maxUnits > 0n && input.units > maxUnits) {
        expect([result.denied, result.carc], "a line over the edit is denied 151 (or earlier)").to.satisfy(
          ([denied, carc]: [boolean, number]) => denied && [151, 26, 27, 29, 242, 96].includes(carc),
        );
      }
      if (result.carc === CARC.MedicallyUnlikely) {
        expect(input.units > maxUnits && maxUnits > 0n, "151 only above a set edit").to.equal(true);
      }
      const parts = [result.allowed, result.contractual, result.ded, result.copay, result.coins, result.planPays];
      if (result.denied) {
        expect(
          parts.every((part) => part === 0n),
          "denied line carries no money",
        ).to.equal(true);
        expect(result.patientOwes).to.equal(result.group === "PR" ? input.billed : 0n);
        return;
      }
      expect(
        parts.every((part) => part >= 0n),
        "no negative part",
      ).to.equal(true);
      expect(result.allowed).to.equal(result.ded + result.copay + result.coins + result.planPays);
      expect(result.contractual).to.equal(input.billed - result.allowed);
      expect(result.patientOwes).to.equal(result.ded + result.copay + result.coins);
    }

    /** Per enrollment: the accumulators grow by exactly the approved lines' ded and owed amounts, and neither passes
     * its limit (deductible, oopMax, as the terms stand) unless it was already beyond it before. */
    function checkAccumulators(
      before: Map<string, Accumulators>,
      after: Map<string, Accumulators>,
      lines: { result: LineResult; input: ModelLine }[],
      patient: bigint,
      terms: PlanTerms,
    ): void {
      for (const [key, start] of before) {
        const end = after.get(key)!;
        const approved = lines.filter(
          ({ result, input }) => !result.denied && `${patient}/${enrollmentOf(patient, input.serviceDate)}` === key,
        );
        expect(end.deductibleMet - start.deductibleMet, `deductible growth of ${key}`).to.equal(
          approved.reduce((total, { result }) => total + result.ded, 0n),
        );
        expect(end.oopMet - start.oopMet, `out-of-pocket growth of ${key}`).to.equal(
          approved.reduce((total, { result }) => total + result.patientOwes, 0n),
        );
        if (start.oopMet <= terms.oopMax) expect(end.oopMet <= terms.oopMax, `oopMet of ${key}`).to.equal(true);
        if (start.deductibleMet <= terms.deductible) {
          expect(end.deductibleMet <= terms.deductible, `deductibleMet of ${key}`).to.equal(true);
        }
      }
    }

    // Invariants, for random plans (terms, four fees, a network, authorizations in every state) and random sequences
    // of claims (lines inside, between and outside coverage, late, out of network, unlisted, duplicated), fundings,
    // settlements, withdrawals, appeals, terms changes and network changes:
    // - after every step the accounting identity holds: everything funded is in a payer's balance, a provider's balance
    //   or withdrawn (by a provider, or by the payer as surplus), and the queued amounts are exactly the plan payments not yet credited (accountingHolds);
    // - every approved line, at adjudication or on overturn, splits allowed = ded + copay + coins + planPays with
    //   contractual = billed − allowed, and every denied line carries no money;
    // - no line billing more units than its code's edit (maxUnits > 0) is ever approved, and CARC 151 is given only to
    //   such lines (at adjudication and on overturn: appeals do not waive it);
    // - a payer's withdrawal succeeds exactly when the amount is positive, its queue empty and its balance enough, and a
    //   refused one changes nothing;
    // - each enrollment's accumulators grow by exactly its approved lines' ded and ded + copay + coins, and oopMet
    //   (deductibleMet) never ends a claim or an overturn above oopMax (deductible) when it started at or below it;
    // - after funding or settling, the queue is empty, the call's bound was reached, or its head exceeds the balance;
    //   and what was paid is the head of the queue before, in order.
    it("keeps the accounting identity and the pricing invariants over random plans and claim sequences", function () {
      skipModelPropertyIfAsked(this); // a pure model: its outcome is the same on every EVM version
      fc.assert(
        fc.property(
          termsArb,
          fc.tuple(feeArb, feeArb, feeArb, feeArb),
          fc.boolean(),
          fc.array(authArb, { maxLength: 6 }),
          fc.array(stepArb, { minLength: 5, maxLength: 40 }),
          (initialTerms, fees, clinicInNetwork, auths, steps) => {
            const model = new ClaimsModel({ maxSettlePerCall: 2 });
            let terms = initialTerms;
            model.createPlan(PLAN, PAYER, terms);
            fees.forEach((fee, index) => {
              model.setFee(PLAN, { code: CODES[index]!, ...fee });
            });
            const maxUnitsOf = (code: string): bigint =>
              fees[CODES.indexOf(code as (typeof CODES)[number])]?.maxUnits ?? 0n;
            model.setNetwork(PLAN, HOSPITAL, true);
            model.setNetwork(PLAN, CLINIC, clinicInNetwork);
            for (const patient of PATIENTS) {
              for (const [start, end] of PERIODS[patient.toString()]!) model.enroll(PLAN, patient, at(start), at(end));
            }
            auths.forEach((auth, index) => {
              const id = BigInt(index + 1);
              const [validFrom, validTo] = [at(auth.from), at(auth.from + auth.length)];
              const request = {
                patient: PATIENTS[auth.patient]!,
                plan: PLAN,
                code: CODES[auth.code]!,
                units: auth.units,
              };
              model.requestPriorAuth(id, { ...request, validFrom, validTo });
              if (auth.decision === "approve") model.approvePriorAuth(id, auth.units, validFrom, validTo, at(0));
              if (auth.decision === "narrow")
                model.approvePriorAuth(id, 1n, validFrom + (validTo - validFrom) / 2n, validTo, at(0));
              if (auth.decision === "deny") model.denyPriorAuth(id);
            });

            let now = at(30);
            const claims: { id: string; patient: bigint; lines: ModelLine[] }[] = [];
            const appealRefusals: ModelErrorReason[] = ["LineNotDenied", "AlreadyAppealed", "AppealWindowClosed"];
            for (const step of steps) {
              if (step.op === "claim") {
                now += BigInt(step.advance) * DAY;
                const patient = PATIENTS[step.patient]!;
                const lines = step.lines.map((l) => ({
                  code: CODES[l.code] ?? UNLISTED,
                  units: l.units,
                  billed: l.billed,
                  serviceDate: now - BigInt(l.daysBack) * DAY - l.seconds,
                }));
                const before = allAccumulators(model);
                const id = `p${claims.length}`;
                const result = model.submitClaim(
                  { id, organization: ORGS[step.org]!, reference: id, patient, plan: PLAN, lines },
                  now,
                );
                claims.push({ id, patient, lines });
                result.lines.forEach((r, index) => {
                  checkLine(r, lines[index]!, maxUnitsOf(lines[index]!.code));
                });
                const pairs = result.lines.map((r, index) => ({ result: r, input: lines[index]! }));
                checkAccumulators(before, allAccumulators(model), pairs, patient, terms);
              } else if (step.op === "fund" || step.op === "settle") {
                const before = model.queue(PAYER);
                const bound = step.op === "fund" ? 2 : step.max;
                const paid = step.op === "fund" ? model.fund(PAYER, step.amount) : model.settle(PAYER, step.max);
                expect(paid).to.deep.equal(before.slice(0, paid.length));
                const head = model.queue(PAYER)[0];
                const stopped = head === undefined || paid.length === bound || head.amount > model.payerBalance(PAYER);
                expect(stopped, "settlement stops only at the bound or an uncovered head").to.equal(true);
              } else if (step.op === "withdrawFunds") {
                // A payer takes surplus back only with an empty queue and within its balance; a refusal changes nothing.
                const [balance, queued, withdrawn] = [
                  model.payerBalance(PAYER),
                  model.queue(PAYER).length,
                  model.payerWithdrawn(PAYER),
                ];
                const expected: ModelErrorReason | undefined =
                  step.amount === 0n
                    ? "ZeroAmount"
                    : queued > 0
                      ? "PayerHasQueue"
                      : step.amount > balance
                        ? "InsufficientBalance"
                        : undefined;
                if (expected === undefined) {
                  model.withdrawFunds(PAYER, step.amount);
                  expect([model.payerBalance(PAYER), model.payerWithdrawn(PAYER)]).to.deep.equal([
                    balance - step.amount,
                    withdrawn + step.amount,
                  ]);
                } else {
                  expectReason(() => {
                    model.withdrawFunds(PAYER, step.amount);
                  }, expected);
                  expect([model.payerBalance(PAYER), model.payerWithdrawn(PAYER)]).to.deep.equal([balance, withdrawn]);
                }
              } else if (step.op === "withdraw") {
                const org = ORGS[step.org]!;
                const balance = model.providerBalance(org);
                expect(model.withdraw(org)).to.equal(balance);
              } else if (step.op === "appeal") {
                const claim = claims[step.claim % Math.max(claims.length, 1)];
                if (claim !== undefined) {
                  now += BigInt(step.advance) * DAY;
                  const index = step.line % claim.lines.length;
                  let filed = true;
                  try {
                    model.fileAppeal(claim.id, index, now);
                  } catch (error) {
                    if (!(error instanceof ClaimsModelError) || !appealRefusals.includes(error.reason)) throw error;
                    filed = false;
                  }
                  const before = allAccumulators(model);
                  const outcome = filed ? model.decideAppeal(claim.id, index, step.overturn, now) : undefined;
                  if (outcome !== undefined) {
                    checkLine(outcome, claim.lines[index]!, maxUnitsOf(claim.lines[index]!.code));
                    const pair = [{ result: outcome, input: claim.lines[index]! }];
                    checkAccumulators(before, allAccumulators(model), pair, claim.patient, terms);
                  }
                }
              } else if (step.op === "terms") {
                // An active plan keeps its appeal window; every other term may change.
                terms = { ...step.terms, appealWindowDays: terms.appealWindowDays };
                model.updateTerms(PLAN, terms);
              } else {
                model.setNetwork(PLAN, ORGS[step.org]!, step.inNetwork);
              }
              expect(model.accountingHolds(), `accounting after ${step.op}`).to.equal(true);
            }
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});
