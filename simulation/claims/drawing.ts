import { privateKey, Random } from "../random";
import type { PopulationOptions, ProviderRef, SimAccount, SimOrganization } from "./population";

const DAY = 86_400n;
/** How far back service dates go: past the usual 90-day filing window, so some claims are late. */
export const SERVICE_WINDOW_DAYS = 120;
/** The share of lines that bill more units than usual (over a fee's `maxUnits` when it has one: CARC 151). */
export const OVER_LIMIT_LINE_SHARE = 0.015;

/** The default number of patients for `claims` claims. */
export function defaultPatients(claims: number): number {
  return Math.max(4, Math.round(claims / 8));
}

/**
 * How a population is drawn: its sizes and time anchor, money and time in base units, and one random stream per
 * concern, so that changing how much one concern draws leaves the others unchanged (the plans and patients do not move
 * when only the number of claims does). Keys and salts have a stream of their own that also takes the namespace.
 */
export interface Drawing {
  seed: number;
  namespace: string;
  now: bigint;
  unit: bigint;
  claimCount: number;
  patientCount: number;
  dollars: (amount: number) => bigint;
  cents: (amount: number) => bigint;
  days: (count: number) => bigint;
  /** An account with a fresh key and, if asked, a credential with its salt (from the keys stream). */
  account: (label: string, credential: boolean) => SimAccount;
  keys: Random;
  world: Random;
  edits: Random;
  people: Random;
  auths: Random;
  claimStream: Random;
  money: Random;
  takeBack: Random;
}

/** The drawing of a population: checks the sizes, and opens each stream from the seed (keys also from the namespace). */
export function drawing(options: PopulationOptions): Drawing {
  const { seed, claims: claimCount, now } = options;
  const unit = options.unit ?? 1_000_000n;
  const namespace = options.namespace ?? "";
  const patientCount = options.patients ?? defaultPatients(claimCount);
  if (!Number.isSafeInteger(claimCount) || claimCount < 1) throw new Error(`claims must be ≥ 1, got ${claimCount}`);
  if (!Number.isSafeInteger(patientCount) || patientCount < 1) {
    throw new Error(`patients must be ≥ 1, got ${patientCount}`);
  }
  const stream = (name: string) => new Random(`careledger simulate ${seed} ${name}`);
  const keys = stream(`keys ${namespace}`);
  return {
    seed,
    namespace,
    now,
    unit,
    claimCount,
    patientCount,
    dollars: (amount) => BigInt(amount) * unit,
    cents: (amount) => (BigInt(Math.round(amount)) * unit) / 100n,
    days: (count) => BigInt(count) * DAY,
    account: (label, credential) => ({
      label,
      privateKey: privateKey(keys),
      credential: credential ? { text: `credential of ${label} (simulated)`, salt: keys.hex(32) } : undefined,
    }),
    keys,
    world: stream("world"),
    edits: stream("edits"),
    people: stream("patients"),
    auths: stream("prior authorizations"),
    claimStream: stream("claims"),
    money: stream("money"),
    takeBack: stream("withdrawals"),
  };
}

/** A provider of `organization`: the organization itself a quarter of the time, else one of its practitioners. */
export function providerRef(
  random: Random,
  organizations: readonly SimOrganization[],
  organization: number,
): ProviderRef {
  return random.chance(0.25)
    ? { kind: "organization", index: organization }
    : { kind: "practitioner", index: random.pick(organizations[organization]!.practitioners) };
}
