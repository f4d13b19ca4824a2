import type { ClaimLineInput } from "../../sdk/claims/client";
import { procedure, SPECIALTY_CODES, UNCOVERED_PROCEDURES } from "./catalogue";
import { type Drawing, OVER_LIMIT_LINE_SHARE, providerRef, SERVICE_WINDOW_DAYS } from "./drawing";
import type { SimClaim, SimOrganization, SimPatient, SimPlan, SimPriorAuth } from "./population";

/** What the claims are drawn from. */
interface ClaimWorld {
  plans: readonly SimPlan[];
  organizations: readonly SimOrganization[];
  patients: readonly SimPatient[];
  priorAuths: readonly SimPriorAuth[];
}

/**
 * The stream of claims, with the situations a clearinghouse sees every day: services under a prior authorization
 * (spread over the stream), duplicates of earlier claims under a new claim number, corrected claims resent under the
 * same number, and new claims — mostly in network, mostly codes the plan lists, some late, some needing an
 * authorization they lack, some billing more units than usual.
 */
export function generateClaims(draw: Drawing, world: ClaimWorld): SimClaim[] {
  return new ClaimWriter(draw, world).write();
}

class ClaimWriter {
  private readonly claimNumbers: number[];
  private readonly claims: SimClaim[] = [];

  constructor(
    private readonly draw: Drawing,
    private readonly world: ClaimWorld,
  ) {
    this.claimNumbers = world.organizations.map(() => 0);
  }

  write(): SimClaim[] {
    const { claimStream: stream, claimCount } = this.draw;
    const pendingAuthorized = this.authorizedServices();
    /** Claims a duplicate or a resubmission may repeat: every accepted one so far. */
    const earlier: SimClaim[] = [];
    for (let index = 0; index < claimCount; index++) {
      const remaining = claimCount - index;
      const last = this.claims[this.claims.length - 1];
      if (last !== undefined && last.kind !== "resubmission") earlier.push(last);
      if (pendingAuthorized.length > 0 && stream.chance(pendingAuthorized.length / remaining)) {
        this.claims.push(this.authorized(index, pendingAuthorized.pop()!));
        continue;
      }
      const roll = stream.next();
      if (roll < 0.03 && earlier.length > 0) {
        this.claims.push(this.duplicate(index, stream.pick(earlier)));
      } else if (roll < 0.045 && earlier.length > 0) {
        this.claims.push(this.resubmission(index, stream.pick(earlier)));
      } else {
        this.claims.push(this.fresh(index));
      }
    }
    return this.claims;
  }

  /** The prior-authorization episodes' services, to be spread over the claim stream. */
  private authorizedServices(): SimPriorAuth[] {
    const { claimStream: stream, now, days, claimCount } = this.draw;
    const services = this.world.priorAuths.flatMap((auth) => {
      const from = maxBig(auth.validFrom, now - days(SERVICE_WINDOW_DAYS));
      const to = minBig(auth.validTo, now);
      if (from > to) return [];
      const count = stream.chance(0.25) ? 2 : 1;
      return Array.from({ length: count }, () => auth);
    });
    const budget = Math.min(services.length, Math.floor(claimCount * 0.15));
    return stream.sample(services, budget);
  }

  /** A service under `auth`, inside its window: mostly the authorized units, sometimes with a visit before it. */
  private authorized(index: number, auth: SimPriorAuth): SimClaim {
    const { claimStream: stream, now, days } = this.draw;
    const plan = this.world.plans[auth.plan]!;
    const from = maxBig(auth.validFrom, now - days(SERVICE_WINDOW_DAYS));
    const to = minBig(auth.validTo, now);
    const date = from + (BigInt(stream.int(0, 1_000_000)) * (to - from)) / 1_000_000n;
    // Mostly the authorized units, sometimes more than were approved.
    const units = stream.chance(0.85) ? BigInt(procedure(auth.code).units[1]) : auth.units;
    const lines: ClaimLineInput[] = [
      { code: auth.code, units, billed: this.billed(auth.organization, plan, auth.code, units), serviceDate: date },
    ];
    if (stream.chance(0.4)) {
      const visit = stream.pick(["99213", "99214", "99204"]);
      lines.unshift({
        code: visit,
        units: 1n,
        billed: this.billed(auth.organization, plan, visit, 1n),
        serviceDate: date,
      });
    }
    return {
      index,
      kind: "authorized",
      patient: auth.patient,
      organization: auth.organization,
      submitter: providerRef(stream, this.world.organizations, auth.organization),
      claimNumber: this.nextClaimNumber(auth.organization),
      lines,
      copyOf: undefined,
    };
  }

  /** The same services as an earlier claim, billed again under a new claim number. */
  private duplicate(index: number, source: SimClaim): SimClaim {
    return {
      index,
      kind: "duplicate",
      patient: source.patient,
      organization: source.organization,
      submitter: providerRef(this.draw.claimStream, this.world.organizations, source.organization),
      claimNumber: this.nextClaimNumber(source.organization),
      lines: source.lines.map((line) => ({ ...line })),
      copyOf: source.index,
    };
  }

  /** A corrected claim sent under the same claim number: refused as a duplicate submission. */
  private resubmission(index: number, source: SimClaim): SimClaim {
    return {
      index,
      kind: "resubmission",
      patient: source.patient,
      organization: source.organization,
      submitter: providerRef(this.draw.claimStream, this.world.organizations, source.organization),
      claimNumber: source.claimNumber,
      lines: source.lines.map((line) => ({ ...line, billed: line.billed + this.draw.unit })),
      copyOf: source.index,
    };
  }

  /** A new claim of one to ten lines for a patient, mostly in network and for codes the plan lists. */
  private fresh(index: number): SimClaim {
    const { claimStream: stream } = this.draw;
    const { organizations } = this.world;
    const patient = stream.pick(this.world.patients);
    const plan = this.world.plans[patient.plan]!;
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
    // Draw order: the lines, then the submitter (both from the claims' stream).
    const lines = this.freshLines(organization, plan, lineCount);
    const submitter = providerRef(stream, organizations, organization.index);
    return {
      index,
      kind: "new",
      patient: patient.index,
      organization: organization.index,
      submitter,
      claimNumber: this.nextClaimNumber(organization.index),
      lines,
      copyOf: undefined,
    };
  }

  /** The lines of a new claim: the organization's services on one day, or a series of visits on earlier days. */
  private freshLines(organization: SimOrganization, plan: SimPlan, lineCount: number): ClaimLineInput[] {
    const { claimStream: stream, edits } = this.draw;
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
    const date = this.serviceDate(daysAgo);
    const lines: ClaimLineInput[] = [];
    for (let i = 0; i < lineCount; i++) {
      let code = chosen[i % chosen.length]!;
      if (stream.chance(0.04) && needsAuth.length > 0) code = stream.pick(needsAuth);
      else if (stream.chance(0.02)) code = stream.pick(UNCOVERED_PROCEDURES).code;
      // A small share of lines bills more units than usual: over the plan's limit when the code has one.
      const units = this.unitsOf(code) + (edits.chance(OVER_LIMIT_LINE_SHARE) ? BigInt(edits.int(1, 2)) : 0n);
      // More lines than codes: a series of visits, the same services on earlier days.
      const earlierDay = i >= chosen.length || stream.chance(0.1);
      lines.push({
        code,
        units,
        billed: this.billed(organization.index, plan, code, units),
        serviceDate: earlierDay
          ? this.serviceDate(
              Math.min(SERVICE_WINDOW_DAYS, daysAgo + 1 + Math.floor(i / chosen.length) + stream.int(0, 2)),
            )
          : date,
      });
    }
    return lines;
  }

  private nextClaimNumber(organization: number): string {
    this.claimNumbers[organization]! += 1;
    return `${this.world.organizations[organization]!.claimPrefix}-${String(100_000 + this.claimNumbers[organization]!)}`;
  }

  private serviceDate(daysAgo: number): bigint {
    return this.draw.now - this.draw.days(daysAgo) - BigInt(this.draw.claimStream.int(0, 36_000));
  }

  /** The organization's charge: its markup over the typical amount, now and then below the plan's allowed amount. */
  private billed(organization: number, plan: SimPlan, code: string, units: bigint): bigint {
    const stream = this.draw.claimStream;
    const listed = plan.fees.find((fee) => fee.code === code);
    if (listed !== undefined && stream.chance(0.07)) {
      // Some charges fall below the plan's allowed amount.
      return max1((listed.allowedPerUnit * units * BigInt(stream.int(60, 95))) / 100n);
    }
    const perUnit =
      (procedure(code).allowedCents * this.world.organizations[organization]!.markupPercent * stream.int(95, 105)) /
      10_000;
    return max1(this.draw.cents(perUnit) * units);
  }

  private unitsOf(code: string): bigint {
    const [low, high] = procedure(code).units;
    return BigInt(this.draw.claimStream.int(low, high));
  }
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
