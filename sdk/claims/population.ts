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
import type { ClaimLineInput, FeeScheduleEntry, PlanTerms } from "./client";

const DAY = 86_400n;
/** How far back service dates go: past the usual 90-day filing window, so some claims are late. */
export const SERVICE_WINDOW_DAYS = 120;
/**
 * The payers' secret member key of the simulation (32 bytes, see `memberPseudonym`): fixed, so that a run's member
 * pseudonyms follow from the population and the plan ids. Simulation only.
 */
export const SIMULATION_MEMBER_KEY = "0x73696d756c6174696f6e206d656d626572206b6579206f6620636172656c6564";
/** The share of lines that bill more units than usual (over a fee's `maxUnits` when it has one: CARC 151). */
export const OVER_LIMIT_LINE_SHARE = 0.015;

// ---------------------------------------------------------------------------------------------------------------------
// The PRNG
// ---------------------------------------------------------------------------------------------------------------------

/** cyrb128: four 32-bit words from a string, to seed sfc32. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A seeded pseudo-random stream (sfc32). Not for secrets: the same label always gives the same numbers. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(label: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(label);
    // Discard the first outputs, which still show the seed's structure.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    this.a |= 0;
    this.b |= 0;
    this.c |= 0;
    this.d |= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** A uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    if (max < min) throw new Error(`empty range [${min}, ${max}]`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error("cannot pick from an empty list");
    return list[this.int(0, list.length - 1)]!;
  }

  /** One value, with probability proportional to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let point = this.next() * total;
    for (const [value, weight] of entries) {
      point -= weight;
      if (point < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }

  /** `count` distinct elements in random order (all of them if the list is shorter). */
  sample<T>(list: readonly T[], count: number): T[] {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, Math.min(count, copy.length));
  }

  /** `bytes` random bytes as 0x-prefixed hex. */
  hex(bytes: number): string {
    let out = "0x";
    for (let i = 0; i < bytes; i += 4) out += this.uint32().toString(16).padStart(8, "0");
    return out.slice(0, 2 + 2 * bytes);
  }
}

/** The order of secp256k1: a private key is in [1, n − 1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function privateKey(random: Random): string {
  for (;;) {
    const key = random.hex(32);
    const value = BigInt(key);
    if (value !== 0n && value < SECP256K1_N) return key;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The procedure catalogue
// ---------------------------------------------------------------------------------------------------------------------

type CopayKind = "primary" | "specialist" | "therapy" | "emergency" | "none";

/** A procedure as the simulator bills it: a typical commercial allowed amount per unit, in cents. */
export interface Procedure {
  code: string;
  description: string;
  /** Typical allowed amount per unit, in US cents. */
  allowedCents: number;
  copay: CopayKind;
  /** Units on a typical line. */
  units: readonly [number, number];
  /** Whether plans that list it ask for prior authorization. */
  priorAuth: boolean;
}

type ProcedureRow = readonly [string, string, number, CopayKind, number, number, boolean];

const procedures = (rows: readonly ProcedureRow[]): Procedure[] =>
  rows.map(([code, description, allowedCents, copay, low, high, priorAuth]) => ({
    code,
    description,
    allowedCents,
    copay,
    units: [low, high],
    priorAuth,
  }));

/** Common professional services with typical commercial allowed amounts (rounded): code, description, cents, copay
 * kind, units from–to, prior authorization. */
export const PROCEDURES: readonly Procedure[] = procedures([
  ["99203", "New patient office visit, low", 11_000, "primary", 1, 1, false],
  ["99204", "New patient office visit, moderate", 17_000, "specialist", 1, 1, false],
  ["99213", "Established patient office visit, low", 9_500, "primary", 1, 1, false],
  ["99214", "Established patient office visit, moderate", 13_500, "primary", 1, 1, false],
  ["99215", "Established patient office visit, high", 18_500, "specialist", 1, 1, false],
  ["99395", "Preventive visit, 18-39 years", 16_000, "none", 1, 1, false],
  ["G0439", "Annual wellness visit, subsequent", 13_000, "none", 1, 1, false],
  ["99284", "Emergency department visit, moderate", 42_000, "emergency", 1, 1, false],
  ["36415", "Routine venipuncture", 800, "none", 1, 1, false],
  ["80053", "Comprehensive metabolic panel", 1_800, "none", 1, 1, false],
  ["80061", "Lipid panel", 2_200, "none", 1, 1, false],
  ["85025", "Complete blood count with differential", 1_400, "none", 1, 1, false],
  ["83036", "Hemoglobin A1c", 1_600, "none", 1, 1, false],
  ["81002", "Urinalysis, non-automated", 500, "none", 1, 1, false],
  ["93000", "Electrocardiogram, 12 leads", 2_500, "none", 1, 1, false],
  ["71046", "Chest X-ray, 2 views", 4_500, "none", 1, 1, false],
  ["90471", "Immunization administration", 2_500, "none", 1, 1, false],
  ["90686", "Influenza vaccine, quadrivalent", 2_200, "none", 1, 1, false],
  ["20610", "Arthrocentesis, major joint", 7_500, "specialist", 1, 1, false],
  ["J3301", "Triamcinolone acetonide, per 10 mg", 200, "none", 1, 4, false],
  ["97110", "Therapeutic exercise, each 15 minutes", 3_200, "therapy", 1, 4, false],
  ["97140", "Manual therapy, each 15 minutes", 3_000, "therapy", 1, 3, false],
  ["45378", "Colonoscopy, diagnostic", 70_000, "none", 1, 1, false],
  ["74177", "CT abdomen and pelvis with contrast", 38_000, "none", 1, 1, true],
  ["73721", "MRI knee without contrast", 42_000, "none", 1, 1, true],
  ["72148", "MRI lumbar spine without contrast", 45_000, "none", 1, 1, true],
  ["70553", "MRI brain without and with contrast", 110_000, "none", 1, 1, true],
  ["29881", "Knee arthroscopy with meniscectomy", 160_000, "specialist", 1, 1, true],
  ["66984", "Cataract removal with lens implant", 130_000, "specialist", 1, 1, true],
  ["27447", "Total knee arthroplasty", 2_200_000, "specialist", 1, 1, true],
  ["J0897", "Denosumab injection, 1 mg", 1_800, "none", 60, 60, true],
]);

/** Services no plan of the simulation covers: cosmetic and alternative care. */
export const UNCOVERED_PROCEDURES: readonly Procedure[] = procedures([
  ["15780", "Dermabrasion, total face", 120_000, "none", 1, 1, false],
  ["97810", "Acupuncture, first 15 minutes", 6_000, "none", 1, 1, false],
  ["11950", "Subcutaneous filler injection", 40_000, "none", 1, 1, false],
]);

const PROCEDURE = new Map([...PROCEDURES, ...UNCOVERED_PROCEDURES].map((procedure) => [procedure.code, procedure]));

/** The catalogue entry of a code the simulator uses. */
export function procedure(code: string): Procedure {
  const found = PROCEDURE.get(code);
  if (found === undefined) throw new Error(`${code} is not in the simulator's procedure catalogue`);
  return found;
}

type Specialty = "primary care" | "orthopedics" | "imaging" | "laboratory" | "physical therapy" | "hospital";

const codes = (list: string): readonly string[] => list.split(" ");

/** The codes each kind of organization bills. */
const SPECIALTY_CODES: Readonly<Record<Specialty, readonly string[]>> = {
  "primary care": codes("99203 99204 99213 99214 99215 99395 G0439 36415 80053 80061 85025 83036 81002 93000 90471"),
  orthopedics: codes("99203 99204 99213 99214 20610 J3301 73721 72148 29881 27447 97110 71046"),
  imaging: codes("71046 74177 73721 72148 70553"),
  laboratory: codes("36415 80053 80061 85025 83036 81002"),
  "physical therapy": codes("97110 97140 99203"),
  hospital: codes("99284 71046 74177 93000 85025 80053 45378 66984 27447 70553 J0897"),
};

const ORGANIZATION_NAMES: readonly (readonly [string, Specialty])[] = [
  ["Riverside Family Medicine", "primary care"],
  ["Northgate Primary Care", "primary care"],
  ["Lakeview Orthopedic Associates", "orthopedics"],
  ["Summit Imaging Center", "imaging"],
  ["Valley Clinical Laboratory", "laboratory"],
  ["Harbor Physical Therapy", "physical therapy"],
  ["St. Agnes Regional Hospital", "hospital"],
  ["Cedar Grove Medical Group", "primary care"],
  ["Pinecrest Surgical Hospital", "hospital"],
];

const PAYER_NAMES: readonly string[] = ["Evergreen Health Plan", "Keystone Mutual", "Blue Meridian Insurance"];

// ---------------------------------------------------------------------------------------------------------------------
// The population
// ---------------------------------------------------------------------------------------------------------------------

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

/** The default number of patients for `claims` claims. */
export function defaultPatients(claims: number): number {
  return Math.max(4, Math.round(claims / 8));
}

/** Generates the whole population; the same options always give the same population. */
export function generatePopulation(options: PopulationOptions): Population {
  const { seed, claims: claimCount, now } = options;
  const unit = options.unit ?? 1_000_000n;
  const namespace = options.namespace ?? "";
  const patientCount = options.patients ?? defaultPatients(claimCount);
  if (!Number.isSafeInteger(claimCount) || claimCount < 1) throw new Error(`claims must be ≥ 1, got ${claimCount}`);
  if (!Number.isSafeInteger(patientCount) || patientCount < 1) {
    throw new Error(`patients must be ≥ 1, got ${patientCount}`);
  }
  const dollars = (amount: number): bigint => BigInt(amount) * unit;
  const cents = (amount: number): bigint => (BigInt(Math.round(amount)) * unit) / 100n;
  const days = (count: number): bigint => BigInt(count) * DAY;

  const keys = new Random(`careledger simulate ${seed} keys ${namespace}`);
  const account = (label: string, credential: boolean): SimAccount => ({
    label,
    privateKey: privateKey(keys),
    credential: credential ? { text: `credential of ${label} (simulated)`, salt: keys.hex(32) } : undefined,
  });

  // ---- payers and plans ------------------------------------------------------------------------------------------
  const world = new Random(`careledger simulate ${seed} world`);
  const organizationCount = world.int(4, 8);
  const organizationNames = world.sample(ORGANIZATION_NAMES, organizationCount);
  const organizations: SimOrganization[] = [];
  const practitioners: SimPractitioner[] = [];
  organizationNames.forEach(([name, specialty], index) => {
    const organization: SimOrganization = {
      ...account(name, true),
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
        ...account(`${name} practitioner ${p + 1}`, true),
        index: practitioners.length,
        organization: index,
      });
    }
    organizations.push(organization);
  });

  const payers: SimPayer[] = [];
  const plans: SimPlan[] = [];
  const payerCount = world.int(2, 3);
  for (let index = 0; index < payerCount; index++) {
    const name = PAYER_NAMES[index]!;
    const payer: SimPayer = {
      ...account(name, true),
      index,
      reviewer: account(`${name} medical director`, true),
      plans: [],
      // Some 50 cents to 2 dollars per claim to come: the queue fills soon and funding rounds catch up.
      initialFunding: dollars(Math.max(100, Math.round((claimCount * world.int(5, 20)) / 10))),
    };
    const planCount = world.int(1, 2);
    for (let p = 0; p < planCount; p++) {
      payer.plans.push(plans.length);
      plans.push(
        generatePlan(
          world,
          plans.length,
          `${name} ${p === 0 ? "PPO" : "HMO"}`,
          index,
          organizationCount,
          cents,
          dollars,
        ),
      );
    }
    payers.push(payer);
  }

  // ---- units limits (the medically unlikely edit), from a stream of their own so that nothing else changes -----------
  const edits = new Random(`careledger simulate ${seed} edits`);
  for (const plan of plans) {
    for (const fee of plan.fees) {
      if (edits.chance(0.35)) fee.maxUnits = procedure(fee.code).units[1];
    }
  }

  // ---- patients ----------------------------------------------------------------------------------------------------
  const people = new Random(`careledger simulate ${seed} patients`);
  const patients: SimPatient[] = [];
  for (let index = 0; index < patientCount; index++) {
    const plan = people.int(0, plans.length - 1);
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

  // ---- prior authorizations ------------------------------------------------------------------------------------------
  const providerRef = (random: Random, organization: number): ProviderRef =>
    random.chance(0.25)
      ? { kind: "organization", index: organization }
      : { kind: "practitioner", index: random.pick(organizations[organization]!.practitioners) };
  const auths = new Random(`careledger simulate ${seed} prior authorizations`);
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
      const typical = procedure(code).units;
      const units = BigInt(typical[1] * auths.int(1, 2));
      const validFrom = now - days(auths.int(20, SERVICE_WINDOW_DAYS)) - BigInt(auths.int(0, 86_399));
      const validTo = validFrom + days(auths.int(60, 180));
      const roll = auths.next();
      let decision: SimPriorAuth["decision"];
      if (roll < 0.62) {
        decision = { kind: "approve", units, validFrom, validTo, narrower: false };
      } else if (roll < 0.8) {
        // Approved narrower: fewer units, or a window starting later.
        const fewer = units > BigInt(typical[1]) && auths.chance(0.5);
        decision = {
          kind: "approve",
          units: fewer ? units - BigInt(typical[1]) : units,
          validFrom: fewer ? validFrom : validFrom + days(auths.int(5, 25)),
          validTo,
          narrower: true,
        };
      } else if (roll < 0.95) {
        decision = { kind: "deny" };
      } else {
        decision = { kind: "pending" };
      }
      priorAuths.push({
        index: priorAuths.length,
        patient: patient.index,
        plan: patient.plan,
        code,
        organization,
        requester: providerRef(auths, organization),
        units,
        validFrom,
        validTo,
        decision,
      });
    }
  }

  // ---- claims ----------------------------------------------------------------------------------------------------------
  const stream = new Random(`careledger simulate ${seed} claims`);
  const claimNumbers = organizations.map(() => 0);
  const nextClaimNumber = (organization: number): string => {
    claimNumbers[organization]! += 1;
    return `${organizations[organization]!.claimPrefix}-${String(100_000 + claimNumbers[organization]!)}`;
  };
  const serviceDate = (daysAgo: number): bigint => now - days(daysAgo) - BigInt(stream.int(0, 36_000));
  const billed = (organization: number, plan: SimPlan, code: string, units: bigint): bigint => {
    const listed = plan.fees.find((fee) => fee.code === code);
    if (listed !== undefined && stream.chance(0.07)) {
      // Some charges fall below the plan's allowed amount.
      return max1((listed.allowedPerUnit * units * BigInt(stream.int(60, 95))) / 100n);
    }
    const perUnit =
      (procedure(code).allowedCents * organizations[organization]!.markupPercent * stream.int(95, 105)) / 10_000;
    return max1(cents(perUnit) * units);
  };
  const unitsOf = (code: string): bigint => {
    const [low, high] = procedure(code).units;
    return BigInt(stream.int(low, high));
  };

  /** The prior-authorization episodes' services, to be spread over the claim stream. */
  const authorizedServices = priorAuths.flatMap((auth) => {
    const from = maxBig(auth.validFrom, now - days(SERVICE_WINDOW_DAYS));
    const to = minBig(auth.validTo, now);
    if (from > to) return [];
    const count = stream.chance(0.25) ? 2 : 1;
    return Array.from({ length: count }, () => auth);
  });
  const authorizedBudget = Math.min(authorizedServices.length, Math.floor(claimCount * 0.15));
  const pendingAuthorized = stream.sample(authorizedServices, authorizedBudget);

  const claims: SimClaim[] = [];
  /** Claims a duplicate or a resubmission may repeat: every accepted one so far. */
  const earlier: SimClaim[] = [];
  for (let index = 0; index < claimCount; index++) {
    const remaining = claimCount - index;
    const last = claims[claims.length - 1];
    if (last !== undefined && last.kind !== "resubmission") earlier.push(last);
    if (pendingAuthorized.length > 0 && stream.chance(pendingAuthorized.length / remaining)) {
      const auth = pendingAuthorized.pop()!;
      const plan = plans[auth.plan]!;
      const from = maxBig(auth.validFrom, now - days(SERVICE_WINDOW_DAYS));
      const to = minBig(auth.validTo, now);
      const date = from + (BigInt(stream.int(0, 1_000_000)) * (to - from)) / 1_000_000n;
      // Mostly the authorized units, sometimes more than were approved.
      const units = stream.chance(0.85) ? BigInt(procedure(auth.code).units[1]) : auth.units;
      const lines: ClaimLineInput[] = [
        { code: auth.code, units, billed: billed(auth.organization, plan, auth.code, units), serviceDate: date },
      ];
      if (stream.chance(0.4)) {
        const visit = stream.pick(["99213", "99214", "99204"]);
        lines.unshift({
          code: visit,
          units: 1n,
          billed: billed(auth.organization, plan, visit, 1n),
          serviceDate: date,
        });
      }
      claims.push({
        index,
        kind: "authorized",
        patient: auth.patient,
        organization: auth.organization,
        submitter: providerRef(stream, auth.organization),
        claimNumber: nextClaimNumber(auth.organization),
        lines,
        copyOf: undefined,
      });
      continue;
    }
    const roll = stream.next();
    if (roll < 0.03 && earlier.length > 0) {
      const source = stream.pick(earlier);
      claims.push({
        index,
        kind: "duplicate",
        patient: source.patient,
        organization: source.organization,
        submitter: providerRef(stream, source.organization),
        claimNumber: nextClaimNumber(source.organization),
        lines: source.lines.map((line) => ({ ...line })),
        copyOf: source.index,
      });
      continue;
    }
    if (roll < 0.045 && earlier.length > 0) {
      const source = stream.pick(earlier);
      claims.push({
        index,
        kind: "resubmission",
        patient: source.patient,
        organization: source.organization,
        submitter: providerRef(stream, source.organization),
        claimNumber: source.claimNumber,
        // A corrected claim sent under the same claim number: refused as a duplicate submission.
        lines: source.lines.map((line) => ({ ...line, billed: line.billed + unit })),
        copyOf: source.index,
      });
      continue;
    }
    const patient = stream.pick(patients);
    const plan = plans[patient.plan]!;
    const inNetwork = stream.chance(0.92);
    const candidates = organizations.filter((organization) => plan.network.includes(organization.index) === inNetwork);
    const organization = stream.pick(candidates.length > 0 ? candidates : organizations);
    const lineCount = stream.weighted<number>([
      [1, 34],
      [2, 28],
      [3, 18],
      [4, 12],
      [5, 3],
      [6, 2],
      [7, 1],
      [8, 1],
      [9, 0.5],
      [10, 0.5],
    ]);
    // Services that need an authorization mostly come with one (the `authorized` claims); here they are rare.
    const pool = SPECIALTY_CODES[organization.specialty];
    const routine = pool.filter((code) => !procedure(code).priorAuth);
    const needsAuth = pool.filter((code) => procedure(code).priorAuth);
    const planRoutine = plan.fees.filter((fee) => !fee.requiresPriorAuth).map((fee) => fee.code);
    const listed = routine.filter((code) => planRoutine.includes(code));
    // Mostly services the plan lists (what the organization bills, else what the plan covers), sometimes not.
    const codes = stream.chance(0.96) ? (listed.length > 0 ? listed : planRoutine) : routine;
    const chosen = stream.sample(codes, lineCount);
    const daysAgo = stream.chance(0.75) ? stream.int(0, 75) : stream.int(0, SERVICE_WINDOW_DAYS);
    const date = serviceDate(daysAgo);
    const lines: ClaimLineInput[] = [];
    for (let i = 0; i < lineCount; i++) {
      let code = chosen[i % chosen.length]!;
      if (stream.chance(0.04) && needsAuth.length > 0) code = stream.pick(needsAuth);
      else if (stream.chance(0.02)) code = stream.pick(UNCOVERED_PROCEDURES).code;
      // A small share of lines bills more units than usual: over the plan's limit when the code has one.
      const units = unitsOf(code) + (edits.chance(OVER_LIMIT_LINE_SHARE) ? BigInt(edits.int(1, 2)) : 0n);
      // More lines than codes: a series of visits, the same services on earlier days.
      const earlierDay = i >= chosen.length || stream.chance(0.1);
      lines.push({
        code,
        units,
        billed: billed(organization.index, plan, code, units),
        serviceDate: earlierDay
          ? serviceDate(Math.min(SERVICE_WINDOW_DAYS, daysAgo + 1 + Math.floor(i / chosen.length) + stream.int(0, 2)))
          : date,
      });
    }
    claims.push({
      index,
      kind: "new",
      patient: patient.index,
      organization: organization.index,
      submitter: providerRef(stream, organization.index),
      claimNumber: nextClaimNumber(organization.index),
      lines,
      copyOf: undefined,
    });
  }

  // ---- fundings and appeals ------------------------------------------------------------------------------------------------
  const money = new Random(`careledger simulate ${seed} money`);
  const fundings: SimFunding[] = [];
  const round = Math.max(10, Math.ceil(claimCount / 10));
  for (let before = round; before < claimCount; before += round) {
    for (const payer of payers) {
      if (!money.chance(0.85)) continue;
      fundings.push({
        before,
        payer: payer.index,
        shareBps: money.int(3_000, 13_000),
        topUp: dollars(Math.round((claimCount * money.int(0, 4)) / 4)),
      });
    }
  }
  // The last round pays everything still owed, and leaves some payers a float.
  for (const payer of payers) {
    fundings.push({
      before: claimCount,
      payer: payer.index,
      shareBps: 10_000,
      topUp: dollars(Math.round((claimCount * money.int(0, 4)) / 8)),
    });
  }

  // Payers take back surplus now and then, and each at the end; from a stream of their own.
  const takeBack = new Random(`careledger simulate ${seed} withdrawals`);
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

  const appeals: SimAppeal[] = [];
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

  return {
    seed,
    namespace,
    now,
    unit,
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

function generatePlan(
  random: Random,
  index: number,
  label: string,
  payer: number,
  organizationCount: number,
  cents: (amount: number) => bigint,
  dollars: (amount: number) => bigint,
): SimPlan {
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

function max1(amount: bigint): bigint {
  return amount < 1n ? 1n : amount;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
