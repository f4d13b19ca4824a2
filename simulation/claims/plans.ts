import { memberPseudonym } from "../../sdk/claims/client";
import { SIMULATION_MEMBER_KEY, type SimPriorAuth } from "./population";
import type { SimulationReport } from "./report";
import { actorOf, blockTime, type Cast, type Coverage, patientNumber, type Simulation } from "./state";

/**
 * The second step: plans with their fee schedules and networks, every patient's enrollments, and the prior
 * authorizations requested and decided, each mirrored in the model and compared.
 */
export async function setUpCoverage(
  sim: Simulation,
  cast: Cast,
): Promise<{ coverage: Coverage; priorAuths: SimulationReport["population"]["priorAuths"] }> {
  sim.log(`Creating ${sim.population.plans.length} plans, enrolling patients, deciding prior authorizations…`);
  const planIds = await createPlans(sim, cast);
  // Each patient is a member of her plan under her pseudonym on chain, and her abstract number in the model.
  const members = sim.population.patients.map((patient) =>
    memberPseudonym(SIMULATION_MEMBER_KEY, planIds[patient.plan]!, patient.memberNumber),
  );
  const coverage: Coverage = { planIds, members, authIds: [] };
  await enrollPatients(sim, cast, coverage);
  const priorAuths = { requested: 0, approved: 0, narrower: 0, denied: 0, pending: 0 };
  for (const auth of sim.population.priorAuths) await priorAuthorization(sim, cast, coverage, auth, priorAuths);
  return { coverage, priorAuths };
}

async function createPlans(sim: Simulation, cast: Cast): Promise<bigint[]> {
  const { model } = sim;
  const planIds: bigint[] = [];
  for (const plan of sim.population.plans) {
    const payer = cast.payers[plan.payer]!;
    const networkIds = plan.network.map((index) => cast.organizations[index]!.id);
    const { planId } = await payer.claims.createPlan({ terms: plan.terms, fees: plan.fees, network: networkIds });
    planIds.push(planId);
    model.createPlan(planId, payer.id, {
      deductible: plan.terms.deductible,
      oopMax: plan.terms.oopMax,
      coinsuranceBps: BigInt(plan.terms.coinsuranceBps),
      timelyFilingDays: BigInt(plan.terms.timelyFilingDays),
      appealWindowDays: BigInt(plan.terms.appealWindowDays),
    });
    for (const fee of plan.fees) model.setFee(planId, { ...fee, maxUnits: BigInt(fee.maxUnits ?? 0) });
    for (const organization of networkIds) model.setNetwork(planId, organization, true);
  }
  return planIds;
}

async function enrollPatients(sim: Simulation, cast: Cast, coverage: Coverage): Promise<void> {
  const { population, model, agreement } = sim;
  for (const patient of population.patients) {
    const planId = coverage.planIds[patient.plan]!;
    const payer = cast.payers[population.plans[patient.plan]!.payer]!;
    for (const period of patient.enrollments) {
      const { seq } = await payer.claims.enroll(
        planId,
        coverage.members[patient.index]!,
        period.coverageStart,
        period.coverageEnd,
      );
      const expected = agreement.step(`enrollment of ${patient.label}`, () =>
        model.enroll(planId, patientNumber(patient.index), period.coverageStart, period.coverageEnd),
      );
      agreement.same(`enrollment of ${patient.label}`, "seq", seq, expected);
    }
  }
}

/** A provider requests the authorization; its payer approves (as asked or narrower), denies or leaves it pending. */
async function priorAuthorization(
  sim: Simulation,
  cast: Cast,
  coverage: Coverage,
  auth: SimPriorAuth,
  tally: SimulationReport["population"]["priorAuths"],
): Promise<void> {
  const { model, agreement } = sim;
  const request = {
    plan: coverage.planIds[auth.plan]!,
    code: auth.code,
    units: auth.units,
    validFrom: auth.validFrom,
    validTo: auth.validTo,
  };
  const requester = actorOf(cast, auth.requester);
  const { authId } = await requester.claims.requestPriorAuth({ ...request, member: coverage.members[auth.patient]! });
  coverage.authIds.push(authId);
  tally.requested++;
  agreement.step(`prior authorization ${authId.toString()}`, () => {
    model.requestPriorAuth(authId, { ...request, patient: patientNumber(auth.patient) });
  });
  const payer = cast.payers[sim.population.plans[auth.plan]!.payer]!;
  const decision = auth.decision;
  if (decision.kind === "approve") {
    const { receipt } = await payer.claims.approvePriorAuth(
      authId,
      decision.units,
      decision.validFrom,
      decision.validTo,
    );
    // The contract drops unusable authorizations as of the approval's block: the model takes the same time.
    const now = await blockTime(receipt);
    agreement.step(`approval of prior authorization ${authId.toString()}`, () => {
      model.approvePriorAuth(authId, decision.units, decision.validFrom, decision.validTo, now);
    });
    tally.approved++;
    if (decision.narrower) tally.narrower++;
  } else if (decision.kind === "deny") {
    await payer.claims.denyPriorAuth(authId);
    agreement.step(`denial of prior authorization ${authId.toString()}`, () => {
      model.denyPriorAuth(authId);
    });
    tally.denied++;
  } else {
    tally.pending++;
  }
}
