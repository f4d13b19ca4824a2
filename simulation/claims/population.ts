/**
 * A seeded synthetic claims population for the claims-flow simulator (`careledger:simulate`): payers and their plans
 * (terms, fee schedules of common CPT/HCPCS codes, networks), provider organizations and their practitioners,
 * patients and their coverage periods, prior authorizations and their decisions, and a stream of claims with the
 * situations a clearinghouse sees every day — out-of-network providers, unlisted codes, services needing an
 * authorization with and without one, late filings, duplicates, resubmitted claim numbers, services before coverage —
 * plus the payers' funding rounds and a few appeals.
 *
 * Patients appear on chain only as plan-scoped member pseudonyms: each has a member number, and the simulator derives
 * her pseudonym with {@link SIMULATION_MEMBER_KEY} (the payers' member key, fixed for the simulation) and the plan id
 * (`memberPseudonym`); the model keeps her abstract patient number. Some fee schedule codes carry a units limit
 * (`maxUnits`, the medically unlikely edit) and a small share of lines bill more than it, and payers now and then take
 * back surplus funds (`withdrawals`).
 *
 * Pure TypeScript with no chain and no clock: everything follows from the seed, the requested sizes and the `now` the
 * population is anchored at (times are absolute Unix seconds before or around `now`). The randomness is a small
 * seeded PRNG (sfc32 seeded through cyrb128); independent streams keep the plans and patients unchanged when only the
 * number of claims changes. Keys and salts come from a separate stream that also takes a `namespace`, so that a second
 * run against the same chain gets fresh accounts and references for the same population.
 *
 * Amounts are in base units of the settlement token (`unit` per dollar, 10^6 for a 6-decimal stablecoin).
 */
import type { ClaimLineInput, FeeScheduleEntry, PlanTerms } from "../../sdk/claims/client";
import { type Drawing, drawing, providerRef, SERVICE_WINDOW_DAYS } from "./drawing";
import { type CopayKind, ORGANIZATION_NAMES, PAYER_NAMES, procedure, PROCEDURES, type Specialty } from "./catalogue";
import { generateClaims } from "./population-claims";

export { procedure } from "./catalogue";
export { SERVICE_WINDOW_DAYS } from "./drawing";

/**
 * The payers' secret member key of the simulation (32 bytes, see `memberPseudonym`): fixed, so that a run's member
 * pseudonyms follow from the population and the plan ids. Simulation only.
 */
export const SIMULATION_MEMBER_KEY = "0x73696d756c6174696f6e206d656d626572206b6579206f6620636172656c6564";

export interface PopulationOptions {
  seed: number;
  /** Claims to generate (at least 1). */
  claims: number;
  /** Patients (default: claims / 8, at least 4). */
  patients?: number;
  /** The chain time the population is anchored at (Unix seconds): coverage contains it, services precede it. */
  now: bigint;
  /** Base units of the settlement token per dollar (default 10^6, a 6-decimal stablecoin). */
  unit?: bigint;
  /** Distinguishes the keys, salts and reference keys of runs against the same chain (default ""). */
  namespace?: string;
}

/** A participant the registrar (or, for patients, the participant itself) registers. */
export interface SimAccount {
  label: string;
  /** The controller's private key (deterministic from the seed and namespace: simulation only). */
  privateKey: string;
  /** The off-chain credential text and the salt of its commitment (patients have none). */
  credential: { text: string; salt: string } | undefined;
}

export interface SimPayer extends SimAccount {
  index: number;
  /** A practitioner affiliated with the payer who decides its appeals (holds CLAIMS_REVIEWER). */
  reviewer: SimAccount;
  plans: number[];
  /** Funded before the first claim. */
  initialFunding: bigint;
}

export interface SimPlan {
  index: number;
  label: string;
  payer: number;
  terms: PlanTerms;
  fees: FeeScheduleEntry[];
  /** Indices of the organizations in the plan's network. */
  network: number[];
}

export interface SimOrganization extends SimAccount {
  index: number;
  specialty: Specialty;
  /** The organization's secret claim-reference key (32 bytes, see `claimReference`). */
  referenceKey: string;
  /** Prefix of its claim numbers. */
  claimPrefix: string;
  /** The organization's charges: its billed amounts are the typical allowed amount times this (in percent). */
  markupPercent: number;
  practitioners: number[];
}

export interface SimPractitioner extends SimAccount {
  index: number;
  organization: number;
}

/** A patient: on chain only her member pseudonym (from `memberNumber`) in her plan; she needs no account. */
export interface SimPatient {
  label: string;
  index: number;
  plan: number;
  /** The payer's member number of the patient (on her card); with the plan id and the member key, her pseudonym. */
  memberNumber: string;
  /** Coverage periods in chronological order, as they are enrolled (the seq of each). */
  enrollments: { coverageStart: bigint; coverageEnd: bigint }[];
}

/** Who acts for a provider: the organization itself or one of its practitioners. */
export type ProviderRef = { kind: "organization"; index: number } | { kind: "practitioner"; index: number };

export interface SimPriorAuth {
  index: number;
  patient: number;
  plan: number;
  code: string;
  organization: number;
  requester: ProviderRef;
  units: bigint;
  validFrom: bigint;
  validTo: bigint;
  decision:
    | { kind: "approve"; units: bigint; validFrom: bigint; validTo: bigint; narrower: boolean }
    | { kind: "deny" }
    | { kind: "pending" };
}

export type ClaimKind = "new" | "authorized" | "duplicate" | "resubmission";

export interface SimClaim {
  index: number;
  /**
   * `new`: an ordinary claim; `authorized`: a service of a prior-authorization episode; `duplicate`: the services of
   * an earlier claim again under a new claim number; `resubmission`: an earlier claim number again (refused).
   */
  kind: ClaimKind;
  patient: number;
  organization: number;
  submitter: ProviderRef;
  /** The provider's own claim number (off chain; the reference is its salted hash). */
  claimNumber: string;
  lines: ClaimLineInput[];
  /** The claim a duplicate or resubmission repeats. */
  copyOf: number | undefined;
}

/** A payer's funding before claim `before`: `shareBps` of what it owes beyond its balance, plus `topUp`. */
export interface SimFunding {
  before: number;
  payer: number;
  shareBps: number;
  topUp: bigint;
}

/**
 * A payer takes back `shareBps` of its balance before claim `before` (the number of claims: after the last funding)
 * if none of its payments waits in its queue; with one waiting, the attempt must be refused (`ClaimsPayerHasQueue`).
 */
export interface SimWithdrawal {
  before: number;
  payer: number;
  shareBps: number;
}

/**
 * An appeal: before claim `fileBefore` the provider of claim `target` (or, if it has no denied line left to appeal,
 * of the next claim that has) appeals a denied line (`pick` chooses which); before claim `decideBefore` (the number of
 * claims: after the last) the payer's reviewer decides.
 */
export interface SimAppeal {
  fileBefore: number;
  target: number;
  decideBefore: number;
  overturn: boolean;
  pick: number;
}

export interface Population {
  seed: number;
  namespace: string;
  now: bigint;
  unit: bigint;
  payers: SimPayer[];
  plans: SimPlan[];
  organizations: SimOrganization[];
  practitioners: SimPractitioner[];
  patients: SimPatient[];
  priorAuths: SimPriorAuth[];
  claims: SimClaim[];
  fundings: SimFunding[];
  withdrawals: SimWithdrawal[];
  appeals: SimAppeal[];
}

/** Generates the whole population; the same options always give the same population. */
export function generatePopulation(options: PopulationOptions): Population {
  // Each step draws from its own streams; where two steps share one (edits; money), their order here is the draw order.
  const draw = drawing(options);
  const { organizations, practitioners } = generateProviders(draw);
  const { payers, plans } = generatePayers(draw, organizations.length);
  // Units limits (the medically unlikely edit), from a stream of their own so that nothing else changes.
  for (const plan of plans) {
    for (const fee of plan.fees) {
      if (draw.edits.chance(0.35)) fee.maxUnits = procedure(fee.code).units[1];
    }
  }
  const patients = generatePatients(draw, plans.length);
  const priorAuths = generatePriorAuths(draw, plans, organizations, patients);
  const claims = generateClaims(draw, { plans, organizations, patients, priorAuths });
  const { fundings, withdrawals } = generateMoneyRounds(draw, payers);
  const appeals = generateAppeals(draw);
  return {
    seed: draw.seed,
    namespace: draw.namespace,
    now: draw.now,
    unit: draw.unit,
    payers,
    plans,
    organizations,
    practitioners,
    patients,
    priorAuths,
    claims,
    fundings,
    withdrawals,
    appeals,
  };
}

/** Provider organizations (four to eight, each with a specialty and a claim-reference key) and their practitioners. */
function generateProviders(draw: Drawing): { organizations: SimOrganization[]; practitioners: SimPractitioner[] } {
  const { world, keys } = draw;
  const organizationCount = world.int(4, 8);
  const organizationNames = world.sample(ORGANIZATION_NAMES, organizationCount);
  const organizations: SimOrganization[] = [];
  const practitioners: SimPractitioner[] = [];
  organizationNames.forEach(([name, specialty], index) => {
    const organization: SimOrganization = {
      ...draw.account(name, true),
      index,
      specialty,
      referenceKey: keys.hex(32),
      claimPrefix: name
        .split(/\s+/)
        .map((word) => word[0])
        .join("")
        .replace(/[^A-Z]/g, ""),
      markupPercent: world.int(130, 260),
      practitioners: [],
    };
    const count = world.int(1, 3);
    for (let p = 0; p < count; p++) {
      organization.practitioners.push(practitioners.length);
      practitioners.push({
        ...draw.account(`${name} practitioner ${p + 1}`, true),
        index: practitioners.length,
        organization: index,
      });
    }
    organizations.push(organization);
  });
  return { organizations, practitioners };
}

/** Two or three payers, each with a reviewer, an initial funding and one or two plans. */
function generatePayers(draw: Drawing, organizationCount: number): { payers: SimPayer[]; plans: SimPlan[] } {
  const { world } = draw;
  const payers: SimPayer[] = [];
  const plans: SimPlan[] = [];
  const payerCount = world.int(2, 3);
  for (let index = 0; index < payerCount; index++) {
    const name = PAYER_NAMES[index]!;
    const payer: SimPayer = {
      ...draw.account(name, true),
      index,
      reviewer: draw.account(`${name} medical director`, true),
      plans: [],
      // Some 50 cents to 2 dollars per claim to come: the queue fills soon and funding rounds catch up.
      initialFunding: draw.dollars(Math.max(100, Math.round((draw.claimCount * world.int(5, 20)) / 10))),
    };
    const planCount = world.int(1, 2);
    for (let p = 0; p < planCount; p++) {
      payer.plans.push(plans.length);
      plans.push(generatePlan(draw, plans.length, `${name} ${p === 0 ? "PPO" : "HMO"}`, index, organizationCount));
    }
    payers.push(payer);
  }
  return { payers, plans };
}

/** Patients, each in one plan; a tenth started coverage recently and some had an earlier period. */
function generatePatients(draw: Drawing, planCount: number): SimPatient[] {
  const { people, now, days } = draw;
  const patients: SimPatient[] = [];
  for (let index = 0; index < draw.patientCount; index++) {
    const plan = people.int(0, planCount - 1);
    // A tenth started coverage within the service window, so some services predate it.
    const startedDaysAgo = people.chance(0.1)
      ? people.int(10, SERVICE_WINDOW_DAYS - 10)
      : people.int(SERVICE_WINDOW_DAYS, 360);
    const currentStart = now - days(startedDaysAgo) - BigInt(people.int(0, 86_399));
    const current = { coverageStart: currentStart, coverageEnd: currentStart + days(365) - 1n };
    const enrollments = [current];
    if (people.chance(0.3)) {
      // An earlier period: back to back with the current one, or ended some weeks before it (a gap in coverage).
      // Periods are enrolled in chronological order, as the contract requires.
      const gap = people.chance(0.5) ? 0n : days(people.int(5, 45));
      const earlierEnd = currentStart - gap - 1n;
      enrollments.unshift({ coverageStart: earlierEnd - days(365) + 1n, coverageEnd: earlierEnd });
    }
    patients.push({
      label: `patient ${index + 1}`,
      index,
      plan,
      memberNumber: `M${String(index + 1).padStart(7, "0")}`,
      enrollments,
    });
  }
  return patients;
}

/** Prior-authorization episodes for a third of the patients whose plan needs any: mostly in network. */
function generatePriorAuths(
  draw: Drawing,
  plans: readonly SimPlan[],
  organizations: readonly SimOrganization[],
  patients: readonly SimPatient[],
): SimPriorAuth[] {
  const { auths } = draw;
  const priorAuths: SimPriorAuth[] = [];
  for (const patient of patients) {
    const plan = plans[patient.plan]!;
    const authCodes = plan.fees.filter((fee) => fee.requiresPriorAuth).map((fee) => fee.code);
    if (authCodes.length === 0 || !auths.chance(0.3)) continue;
    const episodes = auths.chance(0.2) ? 2 : 1;
    for (let e = 0; e < episodes; e++) {
      const code = auths.pick(authCodes);
      const inNetwork = auths.chance(0.9);
      const candidates = organizations
        .filter((organization) => plan.network.includes(organization.index) === inNetwork)
        .map((organization) => organization.index);
      const organization = auths.pick(candidates.length > 0 ? candidates : organizations.map((o) => o.index));
      const units = BigInt(procedure(code).units[1] * auths.int(1, 2));
      const validFrom = draw.now - draw.days(auths.int(20, SERVICE_WINDOW_DAYS)) - BigInt(auths.int(0, 86_399));
      const validTo = validFrom + draw.days(auths.int(60, 180));
      // Draw order: the decision, then the requester (both from the prior authorizations' stream).
      const decision = priorAuthDecision(draw, code, units, validFrom, validTo);
      const requester = providerRef(auths, organizations, organization);
      priorAuths.push({
        index: priorAuths.length,
        patient: patient.index,
        plan: patient.plan,
        code,
        organization,
        requester,
        units,
        validFrom,
        validTo,
        decision,
      });
    }
  }
  return priorAuths;
}

/** The payer's decision: mostly approved as asked, some narrower (fewer units or a later start), denied or pending. */
function priorAuthDecision(
  draw: Drawing,
  code: string,
  units: bigint,
  validFrom: bigint,
  validTo: bigint,
): SimPriorAuth["decision"] {
  const { auths } = draw;
  const typical = procedure(code).units;
  const roll = auths.next();
  if (roll < 0.62) return { kind: "approve", units, validFrom, validTo, narrower: false };
  if (roll < 0.8) {
    // Approved narrower: fewer units, or a window starting later.
    const fewer = units > BigInt(typical[1]) && auths.chance(0.5);
    return {
      kind: "approve",
      units: fewer ? units - BigInt(typical[1]) : units,
      validFrom: fewer ? validFrom : validFrom + draw.days(auths.int(5, 25)),
      validTo,
      narrower: true,
    };
  }
  return roll < 0.95 ? { kind: "deny" } : { kind: "pending" };
}

/**
 * Funding rounds (each payer, most rounds, pays a share of what it owes plus a top-up; the last round pays all and
 * leaves some a float) and payers taking back surplus now and then, and each at the end.
 */
function generateMoneyRounds(
  draw: Drawing,
  payers: readonly SimPayer[],
): { fundings: SimFunding[]; withdrawals: SimWithdrawal[] } {
  const { money, takeBack, claimCount } = draw;
  const fundings: SimFunding[] = [];
  const round = Math.max(10, Math.ceil(claimCount / 10));
  for (let before = round; before < claimCount; before += round) {
    for (const payer of payers) {
      if (!money.chance(0.85)) continue;
      fundings.push({
        before,
        payer: payer.index,
        shareBps: money.int(3_000, 13_000),
        topUp: draw.dollars(Math.round((claimCount * money.int(0, 4)) / 4)),
      });
    }
  }
  for (const payer of payers) {
    const topUp = draw.dollars(Math.round((claimCount * money.int(0, 4)) / 8));
    fundings.push({ before: claimCount, payer: payer.index, shareBps: 10_000, topUp });
  }
  const withdrawals: SimWithdrawal[] = [];
  for (let before = round; before < claimCount; before += round) {
    for (const payer of payers) {
      if (takeBack.chance(0.25)) {
        withdrawals.push({ before, payer: payer.index, shareBps: takeBack.int(1_000, 6_000) });
      }
    }
  }
  for (const payer of payers) {
    withdrawals.push({ before: claimCount, payer: payer.index, shareBps: takeBack.int(2_000, 8_000) });
  }
  return { fundings, withdrawals };
}

/**
 * About one appeal per hundred claims (at least two), filed after the first fifth of the stream and decided a little
 * later. An appeal targets a claim submitted before it is filed, while claims are still being submitted, so a stream of
 * one claim has none.
 */
function generateAppeals(draw: Drawing): SimAppeal[] {
  const { money, claimCount } = draw;
  const appeals: SimAppeal[] = [];
  if (claimCount < 2) return appeals;
  const appealCount = Math.max(2, Math.round(claimCount / 100));
  for (let a = 0; a < appealCount; a++) {
    const fileBefore = money.int(Math.min(claimCount - 1, Math.max(1, Math.floor(claimCount / 5))), claimCount - 1);
    appeals.push({
      fileBefore,
      target: money.int(0, fileBefore - 1),
      decideBefore: Math.min(claimCount, fileBefore + money.int(1, Math.max(1, Math.floor(claimCount / 20)))),
      overturn: money.chance(0.55),
      pick: money.uint32(),
    });
  }
  appeals.sort((a, b) => a.fileBefore - b.fileBefore);
  return appeals;
}

function generatePlan(draw: Drawing, index: number, label: string, payer: number, organizationCount: number): SimPlan {
  const { world: random, dollars, cents } = draw;
  const deductible = random.pick([250, 500, 1_000, 1_500, 2_000, 3_000]);
  const terms: PlanTerms = {
    deductible: dollars(deductible),
    oopMax: dollars(deductible + random.int(4, 14) * 500),
    coinsuranceBps: random.pick([1_000, 1_500, 2_000, 2_500, 3_000]),
    timelyFilingDays: random.pick([90, 90, 90, 120, 180]),
    appealWindowDays: random.pick([60, 180, 180, 365]),
  };
  const copays: Readonly<Record<CopayKind, number>> = {
    primary: random.pick([20, 25, 30, 35, 40]),
    specialist: random.pick([40, 50, 60]),
    therapy: random.pick([15, 20, 25, 30]),
    emergency: random.pick([100, 150, 250]),
    none: 0,
  };
  const priceLevel = random.int(85, 130);
  const authCodes = random.sample(
    PROCEDURES.filter((p) => p.priorAuth),
    random.int(1, 3),
  );
  const otherCodes = random.sample(
    PROCEDURES.filter((p) => !p.priorAuth && p.code !== "99213"),
    random.int(8, 15) - authCodes.length - 1,
  );
  const fees = [procedure("99213"), ...otherCodes, ...authCodes].map((p): FeeScheduleEntry => ({
    code: p.code,
    allowedPerUnit: cents((p.allowedCents * priceLevel * random.int(92, 108)) / 10_000),
    copay: dollars(copays[p.copay]),
    requiresPriorAuth: p.priorAuth,
  }));
  // Some organizations in network, at least two and (with four or more) at least one out.
  const size = random.int(2, Math.max(2, organizationCount - 1));
  const network = random.sample(
    Array.from({ length: organizationCount }, (_, i) => i),
    size,
  );
  network.sort((a, b) => a - b);
  return { index, label, payer, terms, fees, network };
}
