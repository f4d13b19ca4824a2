import type { TrialsClient, AdverseEventInfo, OutcomeComparison, TrialEvent, ComparisonTuple } from "./client";
import { comparisonOf } from "./client";
import { AdverseEventStatus, TrialAmendmentStatus, TrialStatus } from "./statuses";

/**
 * A trial's transparency report, read from the ledger: what the COMPare audit checked by hand in published papers
 * (were the pre-specified outcomes reported, were undeclared ones added, was the primary outcome switched) and what
 * the FDAAA TrialsTracker scrapes from registries (registration within 21 days of the first enrollment, results within
 * 12 months of primary completion), with the SUSAR reporting clocks of 21 CFR 312.32. Outcomes are salted commitments
 * on chain; a sponsor's or auditor's `labels` (commitment → name, kept off chain) make the printed report readable.
 */

const DAY = 86_400n;
/** `TrialRegistry.REGISTRATION_WINDOW`. */
export const REGISTRATION_WINDOW = 21n * DAY;
/** `TrialProtocol.RESULTS_WINDOW`: results are due 12 months (365 days) after the primary completion date. */
export const RESULTS_WINDOW = 365n * DAY;

export interface ReportedOutcomeLine {
  outcome: string;
  primary: boolean;
  preSpecified: boolean;
}

export interface ResultsVersion {
  version: number;
  blockNumber: number;
  transactionHash: string;
  late: boolean;
  comparison: OutcomeComparison;
  reported: ReportedOutcomeLine[];
  notReported: { outcome: string; primary: boolean }[];
}

export interface OutcomeLine {
  commitment: string;
  preSpecified: boolean;
  preSpecifiedPrimary: boolean;
  current: boolean;
  currentPrimary: boolean;
  /** The amendment that first specified it (0: registration). */
  specifiedBy: number;
  /** Whether it was registered as primary (in the registration itself, before any amendment). */
  registeredPrimary: boolean;
}

export interface AmendmentLine {
  amendmentId: number;
  status: TrialAmendmentStatus;
  changesOutcomes: boolean;
  afterUnblinding: boolean;
  afterLock: boolean;
  consentVersion?: number;
}

export interface SafetyLine extends AdverseEventInfo {
  /** Past its deadline with no report and not assessed as no SUSAR. */
  overdue: boolean;
  /** Reported after its deadline. */
  late: boolean;
}

export interface TrialReport {
  trialId: bigint;
  now: bigint;
  status: TrialStatus;
  enrolled: number;
  registeredAt: bigint;
  firstEnrolledAt: bigint;
  registrationLate: boolean;
  lockedAt: bigint;
  unblindedAt: bigint;
  primaryCompletion: bigint;
  resultsDue: bigint;
  firstReportedAt: bigint;
  resultsLate: boolean;
  outcomes: OutcomeLine[];
  amendments: AmendmentLine[];
  results: ResultsVersion[];
  safety: SafetyLine[];
  allocation: { enrolled: number; revealed: number; disclosed: number };
}

function named(events: readonly TrialEvent[], name: string): TrialEvent[] {
  return events.filter((e) => e.name === name);
}

function resultsVersions(events: readonly TrialEvent[]): ResultsVersion[] {
  return named(events, "ResultsReported").map((e) => {
    const version = Number(e.args.getValue("version"));
    const ofVersion = (name: string) =>
      named(events, name).filter((x) => Number(x.args.getValue("version")) === version);
    return {
      version,
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash,
      late: e.args.getValue("late") as boolean,
      comparison: comparisonOf(e.args.getValue("comparison") as ComparisonTuple),
      reported: ofVersion("OutcomeReported").map((x) => ({
        outcome: x.args.getValue("outcome") as string,
        primary: x.args.getValue("primary") as boolean,
        preSpecified: x.args.getValue("preSpecified") as boolean,
      })),
      notReported: ofVersion("OutcomeNotReported").map((x) => ({
        outcome: x.args.getValue("outcome") as string,
        primary: x.args.getValue("primary") as boolean,
      })),
    };
  });
}

function amendmentLines(events: readonly TrialEvent[], statuses: readonly TrialAmendmentStatus[]): AmendmentLine[] {
  return named(events, "AmendmentProposed").map((e, i) => {
    const amendmentId = Number(e.args.getValue("amendmentId"));
    const approved = named(events, "AmendmentApproved").find(
      (x) => Number(x.args.getValue("amendmentId")) === amendmentId,
    );
    return {
      amendmentId,
      status: statuses[i] ?? TrialAmendmentStatus.None,
      changesOutcomes: e.args.getValue("changesOutcomes") as boolean,
      afterUnblinding: approved === undefined ? false : (approved.args.getValue("afterUnblinding") as boolean),
      afterLock: approved === undefined ? false : (approved.args.getValue("afterLock") as boolean),
      ...(approved === undefined ? {} : { consentVersion: Number(approved.args.getValue("consentVersion")) }),
    };
  });
}

/** Reads the trial's report from the ledger, as of the latest block. */
export async function trialReport(client: TrialsClient, trialId: bigint): Promise<TrialReport> {
  const provider = client.registry.runner?.provider;
  const block = await provider?.getBlock("latest");
  if (block === null || block === undefined) throw new Error("a report needs a runner with a provider");
  const now = BigInt(block.timestamp);
  const [trial, late, deadline, audit, outcomes, events, adverse] = await Promise.all([
    client.trial(trialId),
    client.registry.isRegistrationLate(trialId),
    client.protocol.resultsDeadline(trialId),
    client.registry.allocationAudit(trialId),
    client.outcomes(trialId),
    client.events(trialId),
    client.adverseEvents(trialId),
  ]);
  const [primaryCompletion, due, , firstReportedAt, resultsLate] = deadline;
  const specifiedBy = new Map<string, number>();
  const registeredPrimary = new Set<string>();
  for (const e of named(events, "OutcomeSpecified")) {
    const commitment = (e.args.getValue("outcome") as string).toLowerCase();
    const amendmentId = Number(e.args.getValue("amendmentId"));
    if (!specifiedBy.has(commitment)) specifiedBy.set(commitment, amendmentId);
    if (amendmentId === 0 && (e.args.getValue("primary") as boolean)) registeredPrimary.add(commitment);
  }
  const proposals = named(events, "AmendmentProposed").length;
  const statuses = await Promise.all(
    Array.from({ length: proposals }, (_, i) => client.amendmentStatus(trialId, i + 1)),
  );
  return {
    trialId,
    now,
    status: trial.status,
    enrolled: trial.enrolled,
    registeredAt: trial.registeredAt,
    firstEnrolledAt: trial.firstEnrolledAt,
    registrationLate: late,
    lockedAt: trial.lockedAt,
    unblindedAt: trial.unblindedAt,
    primaryCompletion,
    resultsDue: due,
    firstReportedAt,
    resultsLate,
    outcomes: outcomes.map((o) => ({
      ...o,
      specifiedBy: specifiedBy.get(o.commitment.toLowerCase()) ?? 0,
      registeredPrimary: registeredPrimary.has(o.commitment.toLowerCase()),
    })),
    amendments: amendmentLines(events, statuses),
    results: resultsVersions(events),
    safety: adverse.map((e) => ({
      ...e,
      overdue:
        (e.status === AdverseEventStatus.AwaitingAssessment || e.status === AdverseEventStatus.Susar) &&
        now > e.deadline,
      late: e.status === AdverseEventStatus.Reported && e.reportedAt > e.deadline,
    })),
    allocation: {
      enrolled: Number(audit.enrolled),
      revealed: Number(audit.revealed),
      disclosed: Number(audit.disclosed),
    },
  };
}

const isoDate = (seconds: bigint): string => new Date(Number(seconds) * 1000).toISOString().slice(0, 10);

/** The report as lines of text, outcomes by their `labels` where given (else a short commitment). */
export function formatTrialReport(report: TrialReport, labels: Readonly<Record<string, string>> = {}): string[] {
  const label = (commitment: string): string => {
    const found = Object.entries(labels).find(([c]) => c.toLowerCase() === commitment.toLowerCase());
    return found === undefined ? `${commitment.slice(0, 10)}…` : found[1];
  };
  const lines: string[] = [`Trial ${report.trialId}: ${TrialStatus[report.status]}, ${report.enrolled} enrolled`];
  lines.push(...registrationLines(report), ...resultsDeadlineLines(report));
  lines.push("Pre-specified outcomes:");
  for (const o of report.outcomes.filter((x) => x.preSpecified)) {
    lines.push(`  ${o.preSpecifiedPrimary ? "primary  " : "secondary"} ${label(o.commitment)}`);
  }
  // COMPare compares with what was registered at the start: a primary outcome changed by an amendment, even one the
  // ethics committee approved before unblinding, is shown.
  const registered = report.outcomes.filter((o) => o.registeredPrimary).map((o) => label(o.commitment));
  const preSpecifiedPrimary = report.outcomes.filter((o) => o.preSpecifiedPrimary).map((o) => label(o.commitment));
  if (registered.join("|") !== preSpecifiedPrimary.join("|")) {
    lines.push(
      `  PRIMARY OUTCOME CHANGED SINCE REGISTRATION (by amendment): registered ${registered.join(", ")}; now ${preSpecifiedPrimary.join(", ")}`,
    );
  }
  for (const a of report.amendments.filter((x) => x.changesOutcomes && (x.afterUnblinding || x.afterLock))) {
    const when = a.afterUnblinding ? "after unblinding" : "after the database lock";
    lines.push(`  amendment ${a.amendmentId} changed the outcomes ${when} (${TrialAmendmentStatus[a.status]})`);
  }
  for (const r of report.results) lines.push(...comparisonLines(r, report, label));
  lines.push(...safetyLines(report));
  const { enrolled, revealed, disclosed } = report.allocation;
  lines.push(
    `Allocation: ${revealed} of ${enrolled} enrolled revealed against the committed sequence, ${disclosed} disclosed`,
  );
  return lines;
}

function registrationLines(report: TrialReport): string[] {
  if (report.firstEnrolledAt === 0n) return [`Registration: ${isoDate(report.registeredAt)}, before any enrollment`];
  const due = report.firstEnrolledAt + REGISTRATION_WINDOW;
  const verdict = report.registrationLate ? "LATE (more than 21 days after the first enrollment)" : "on time";
  return [
    `Registration: ${isoDate(report.registeredAt)}, first enrollment ${isoDate(report.firstEnrolledAt)}, ` +
      `due by ${isoDate(due)}: ${verdict}`,
  ];
}

function resultsDeadlineLines(report: TrialReport): string[] {
  const due = isoDate(report.resultsDue);
  if (report.firstReportedAt !== 0n) {
    const verdict = report.resultsLate ? "LATE" : "on time";
    return [`Results: due ${due}, first reported ${isoDate(report.firstReportedAt)}: ${verdict}`];
  }
  if (report.results.length > 0) {
    // Reported, but only before the primary completion date: that does not meet the deadline.
    return [
      `Results: due ${due}, reported only before the primary completion date (${isoDate(report.primaryCompletion)}), which does not meet it${report.resultsLate ? ": OVERDUE" : ""}`,
    ];
  }
  return [`Results: due ${due}, not reported${report.resultsLate ? ": OVERDUE" : ""}`];
}

function comparisonLines(r: ResultsVersion, report: TrialReport, label: (c: string) => string): string[] {
  const preSpecified = report.outcomes.filter((o) => o.preSpecified).length;
  const reportedPre = r.reported.filter((o) => o.preSpecified).length;
  const lines = [`Results report ${r.version}${r.late ? " (late)" : ""}:`];
  lines.push(`  pre-specified outcomes reported: ${reportedPre} of ${preSpecified}`);
  for (const o of r.notReported)
    lines.push(`  NOT REPORTED: ${o.primary ? "primary" : "secondary"} ${label(o.outcome)}`);
  for (const o of r.reported.filter((x) => !x.preSpecified)) {
    lines.push(`  ADDED, never pre-specified: ${o.primary ? "primary" : "secondary"} ${label(o.outcome)}`);
  }
  lines.push(
    r.comparison.primaryChanged
      ? "  PRIMARY OUTCOME CHANGED: the outcomes reported as primary are not those pre-specified"
      : "  primary outcome as pre-specified",
  );
  return lines;
}

function safetyLines(report: TrialReport): string[] {
  if (report.safety.length === 0) return ["Serious adverse events: none recorded"];
  const lines = [`Serious adverse events: ${report.safety.length}`];
  for (const e of report.safety) {
    const clock = e.lifeThreatening ? "7-day" : "15-day";
    let state: string = AdverseEventStatus[e.status];
    if (e.status === AdverseEventStatus.Reported) {
      state = `reported to the regulator ${isoDate(e.reportedAt)}${e.late ? ", LATE" : ", on time"}`;
    } else if (e.overdue) state = `${state}, OVERDUE since ${isoDate(e.deadline)}`;
    else if (e.status === AdverseEventStatus.NotSusar) {
      state = `not a SUSAR (assessed ${isoDate(e.assessedAt)}${e.assessedAt > e.deadline ? ", after its deadline" : ""})`;
    } else state = `${state}, due ${isoDate(e.deadline)}`;
    lines.push(`  #${e.eventId} (${clock} clock, aware ${isoDate(e.awareAt)}): ${state}`);
  }
  return lines;
}
