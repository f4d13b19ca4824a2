import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { ConsentClient } from "../sdk/consent/client";
import {
  BreakGlassReason,
  DataCategory,
  Purpose,
  RejectionReason,
  RequestReason,
  ReviewFinding,
  ReviewOutcome,
} from "../sdk/consent/scopes";
import { ParticipantKind } from "../sdk/identity/participants";
import { queryFilterChunked } from "../sdk/core/logs";
import { lookup } from "./lookup";
import {
  ACCOUNT_HELP,
  accountAddress,
  chainTime,
  codeName,
  codesHelp,
  deploymentOf,
  enumNames,
  fail,
  FROM_HELP,
  iso,
  oneOf,
  parsed,
  pendingTime,
  periodEnd,
  periodStart,
  print,
  readable,
  reasonCode,
  signerFor,
  wholeNumber,
  TIME_HELP,
} from "./util";

/** Connects the consent client of the recorded deployment as `--from`. */
async function client(hre: HardhatRuntimeEnvironment, from: string): Promise<ConsentClient> {
  const { ConsentClient } = await import("../sdk/consent/client");
  return ConsentClient.connect(await signerFor(hre, from), await deploymentOf(hre));
}

const CATEGORY_NAMES = oneOf(enumNames(DataCategory));
const PURPOSE_NAMES = oneOf(enumNames(Purpose));
const CATEGORIES = `Comma-separated data categories, or * for every category not sensitive: ${CATEGORY_NAMES}`;
const PURPOSES = `Comma-separated purposes of use, or * for every purpose that need not be named: ${PURPOSE_NAMES}`;
const OUTCOMES = enumNames(ReviewOutcome, [ReviewOutcome.Pending]);
/** A reason option's help: the named codes of `codes`, by number or name. */
const reasonHelp = (what: string, codes: Readonly<Record<string, number>>): string =>
  `${what}, by number or name: ${codesHelp(codes)}; or another code from the consortium's list`;
const PATIENT_KEY = `${FROM_HELP} (the patient's key or an active representative's)`;
const DAY = 86_400n;
const HOUR = 3_600n;

/**
 * How far the clock of the node that mines a transaction may be behind the clocks this task reads (this machine's, or
 * the node it asks): a window counted from "now" starts this much earlier, and so ends this much sooner than asked.
 */
const CLOCK_SKEW = 15n;

/**
 * The time a window counted from now starts at (`--days`, `--respond-hours`): the latest the transaction's block can
 * be told to be mined at, less `CLOCK_SKEW`, and never before the latest block.
 *
 * The contracts check such a window against the block's time (`validUntil ≤ now + duration` to approve a request,
 * `respondBy ≤ now + 30 days` to make one, `validUntil - now ≤ the policy's longest grant`), so a start later than the
 * block would have a window at its maximum refused, while a start earlier than it only ends the window early. Hence
 * the margin, and the block, not the latest one: on a chain that mines only when there are transactions the latest
 * block can be a day old, which would make a day's window end as it is granted. The block to be mined is the wall
 * clock's time or later (`pendingTime`), or what the node says of its pending block when it says (anvil's and
 * Hardhat's does, also when their clock was moved forward; a node that answers with its latest block adds nothing).
 */
async function windowStart(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const latest = await chainTime(hre);
  let next = await pendingTime(hre);
  try {
    const pending: unknown = await hre.ethers.provider.send("eth_getBlockByNumber", ["pending", false]);
    const timestamp = (pending as { timestamp?: unknown } | null)?.timestamp;
    if (typeof timestamp === "string" && BigInt(timestamp) > next) next = BigInt(timestamp);
  } catch {
    // a node without a pending block: the wall clock and the latest block tell it
  }
  // Not before the latest block, which the next one never precedes (anvil gives blocks mined in the same second the
  // same time: latest + 1 could be later than the block).
  return next - CLOCK_SKEW > latest ? next - CLOCK_SKEW : latest;
}

/** A positive whole number option, at most `max`. */
function positive(option: string, value: string, max: bigint): bigint {
  const number = wholeNumber(option, value);
  if (number === 0n || number > max) fail(`--${option} must be 1 to ${max}, got ${number}`);
  return number;
}

function listed(names: string[]): string {
  return names.length === 0 ? "none" : names.join(", ");
}

/** A duration in whole days, else whole hours, else seconds. */
function span(seconds: bigint): string {
  if (seconds % DAY === 0n) return `${seconds / DAY} days`;
  if (seconds % HOUR === 0n) return `${seconds / HOUR} hours`;
  return `${seconds} s`;
}

function window(validFrom: bigint, validUntil: bigint): string {
  return validUntil === 0n ? "none" : `${iso(validFrom)} until ${iso(validUntil)}`;
}

task("careledger:consent:grant", "Patient: grants a provider access to data categories for purposes, for a window")
  .addParam("patient", "Patient id")
  .addParam("grantee", "Participant id of the practitioner, organization or other non-patient granted access")
  .addParam("categories", CATEGORIES)
  .addParam("purposes", PURPOSES)
  .addOptionalParam("days", "How many days the grant lasts from its start: --from-time, else now (or give --until)")
  .addOptionalParam("until", `When the grant ends (or give --days): ${TIME_HELP.end}`)
  .addOptionalParam("fromTime", `When the grant starts (default: now): ${TIME_HELP.start}`)
  .addParam("from", PATIENT_KEY, "0")
  .setAction(
    async (
      args: {
        patient: string;
        grantee: string;
        categories: string;
        purposes: string;
        days?: string;
        until?: string;
        fromTime?: string;
        from: string;
      },
      hre,
    ) => {
      const { categoryNames, parseCategories, parsePurposes, purposeNames } = await import("../sdk/consent/scopes");
      const patient = wholeNumber("patient", args.patient);
      const grantee = wholeNumber("grantee", args.grantee);
      const categories = parsed("categories", () => parseCategories(args.categories));
      const purposes = parsed("purposes", () => parsePurposes(args.purposes));
      const validFrom = args.fromTime === undefined ? 0n : periodStart("from-time", args.fromTime);
      if ((args.days === undefined) === (args.until === undefined)) fail("give either --days or --until");
      const days = args.days === undefined ? undefined : positive("days", args.days, 49_710n);
      const until = args.until === undefined ? undefined : periodEnd("until", args.until);
      const look = await lookup(hre);
      await look.participant("patient", patient, ParticipantKind.Patient);
      await look.participant("grantee", grantee);
      const consent = await client(hre, args.from);
      // --days counts from the grant's start: --from-time as given (the contract starts a past one now, so it then
      // ends sooner), else the time the grant is mined at.
      const validUntil = until ?? (validFrom === 0n ? await windowStart(hre) : validFrom) + (days ?? 0n) * DAY;
      const { version, receipt } = await readable(() =>
        consent.grant({ patient, grantee, categories, purposes, validFrom, validUntil }),
      );
      const stored = await consent.consentOf(patient, grantee);
      print(`Grant to ${grantee} from patient ${patient}: version ${version}`, {
        categories: listed(categoryNames(categories)),
        purposes: listed(purposeNames(purposes)),
        window: window(stored.validFrom, stored.validUntil),
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

task("careledger:consent:revoke", "Patient: revokes a grant; it stops working in the same block")
  .addParam("patient", "Patient id")
  .addParam("grantee", "Participant id whose grant is revoked")
  .addParam("from", PATIENT_KEY, "0")
  .setAction(async (args: { patient: string; grantee: string; from: string }, hre) => {
    const patient = wholeNumber("patient", args.patient);
    const grantee = wholeNumber("grantee", args.grantee);
    const look = await lookup(hre);
    await look.participant("patient", patient, ParticipantKind.Patient);
    await look.participant("grantee", grantee);
    const consent = await client(hre, args.from);
    const { version, receipt } = await readable(() => consent.revoke(patient, grantee));
    print(`Grant to ${grantee} from patient ${patient} revoked: version ${version}`, {
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:consent:request", "Provider: asks a patient for access; prints the request id")
  .addParam("patient", "Patient id")
  .addParam("categories", `Data categories asked for. ${CATEGORIES}`)
  .addParam("purposes", `Purposes asked for. ${PURPOSES}`)
  .addParam("days", "How many days the access would last from approval")
  .addParam("reason", reasonHelp("Why access is asked for", RequestReason))
  .addParam("respondHours", "Hours the patient has to answer (at most 720)", "72")
  .addParam("from", `${FROM_HELP} (an active practitioner, organization or other non-patient)`, "0")
  .setAction(
    async (
      args: {
        patient: string;
        categories: string;
        purposes: string;
        days: string;
        reason: string;
        respondHours: string;
        from: string;
      },
      hre,
    ) => {
      const { categoryNames, parseCategories, parsePurposes, purposeNames } = await import("../sdk/consent/scopes");
      const patient = wholeNumber("patient", args.patient);
      const categories = parsed("categories", () => parseCategories(args.categories));
      const purposes = parsed("purposes", () => parsePurposes(args.purposes));
      const days = positive("days", args.days, 49_710n);
      const reason = reasonCode("reason", args.reason, RequestReason);
      const respondHours = positive("respond-hours", args.respondHours, 720n);
      await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
      const consent = await client(hre, args.from);
      // From the time the request is mined (as for a grant's --days), so that a chain idle for a day gives the
      // patient the hours asked for, and 720 hours, the contract's maximum, is not refused.
      const respondBy = (await windowStart(hre)) + respondHours * HOUR;
      const { requestId, receipt } = await readable(() =>
        consent.requestAccess({ patient, categories, purposes, duration: days * DAY, reasonCode: reason, respondBy }),
      );
      const request = await consent.request(requestId);
      print(`Request ${requestId} to patient ${patient}`, {
        requester: request.requester,
        categories: listed(categoryNames(categories)),
        purposes: listed(purposeNames(purposes)),
        duration: `${span(days * DAY)} from approval`,
        reason: codeName(reason, RequestReason),
        respondBy: iso(respondBy),
        next: `npx hardhat careledger:consent:approve --request ${requestId} --network ${hre.network.name} --from <patient>`,
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

task("careledger:consent:approve", "Patient: approves an access request, as asked or narrower")
  .addParam("request", "Request id")
  .addOptionalParam("categories", `Approve only these categories (default: those asked for): ${CATEGORY_NAMES}`)
  .addOptionalParam("purposes", `Approve only these purposes (default: those asked for): ${PURPOSE_NAMES}`)
  .addOptionalParam("days", "Approve for fewer days (default: the duration asked for)")
  .addParam("from", PATIENT_KEY, "0")
  .setAction(
    async (args: { request: string; categories?: string; purposes?: string; days?: string; from: string }, hre) => {
      const { categoryNames, parseCategories, parsePurposes, purposeNames } = await import("../sdk/consent/scopes");
      const requestId = wholeNumber("request", args.request);
      const narrowerCategories =
        args.categories === undefined ? undefined : parsed("categories", () => parseCategories(args.categories ?? ""));
      const narrowerPurposes =
        args.purposes === undefined ? undefined : parsed("purposes", () => parsePurposes(args.purposes ?? ""));
      const days = args.days === undefined ? undefined : positive("days", args.days, 49_710n);
      await (await lookup(hre)).request("request", requestId);
      const consent = await client(hre, args.from);
      const asked = await readable(() => consent.request(requestId));
      const categories = narrowerCategories ?? asked.categories;
      const purposes = narrowerPurposes ?? asked.purposes;
      // From the time the approval is mined, never later (windowStart), so that the window stays within what was
      // asked (the contract refuses validUntil beyond its block's time + the duration asked for) and is not cut short
      // by a chain that was idle.
      const validUntil = (await windowStart(hre)) + (days === undefined ? asked.duration : days * DAY);
      const { version, receipt } = await readable(() =>
        consent.approveRequest(requestId, { categories, purposes, validUntil }),
      );
      const stored = await consent.consentOf(asked.patient, asked.requester);
      print(
        `Request ${requestId} approved. Grant to ${asked.requester} from patient ${asked.patient}: version ${version}`,
        {
          categories: listed(categoryNames(categories)),
          purposes: listed(purposeNames(purposes)),
          window: window(stored.validFrom, stored.validUntil),
          asked: `${listed(categoryNames(asked.categories))} for ${listed(purposeNames(asked.purposes))}, ${span(asked.duration)}`,
          gasUsed: receipt.gasUsed,
          tx: receipt.hash,
        },
      );
    },
  );

task("careledger:consent:reject", "Patient: rejects an access request")
  .addParam("request", "Request id")
  .addParam("reason", reasonHelp("Why the request is rejected", RejectionReason))
  .addParam("from", PATIENT_KEY, "0")
  .setAction(async (args: { request: string; reason: string; from: string }, hre) => {
    const requestId = wholeNumber("request", args.request);
    const reason = reasonCode("reason", args.reason, RejectionReason);
    await (await lookup(hre)).request("request", requestId);
    const consent = await client(hre, args.from);
    const { receipt } = await readable(() => consent.rejectRequest(requestId, reason));
    print(`Request ${requestId} rejected`, {
      reason: codeName(reason, RejectionReason),
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:consent:break-glass", "Practitioner: opens emergency access to a patient; an auditor must review it")
  .addParam("patient", "Patient id")
  .addParam("reason", reasonHelp("Why glass is broken", BreakGlassReason))
  .addParam("hours", "How many hours the session lasts (at most the policy's maximum)")
  .addParam("from", `${FROM_HELP} (a practitioner of an organization authorized for emergencies)`, "0")
  .setAction(async (args: { patient: string; reason: string; hours: string; from: string }, hre) => {
    const patient = wholeNumber("patient", args.patient);
    const reason = reasonCode("reason", args.reason, BreakGlassReason);
    const hours = positive("hours", args.hours, 1_193_046n);
    await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
    const consent = await client(hre, args.from);
    const { sessionId, receipt } = await readable(() => consent.openBreakGlass(patient, reason, hours * HOUR));
    const session = await consent.breakGlass(sessionId);
    print(`Break-glass session ${sessionId} opened on patient ${patient}`, {
      practitioner: session.practitioner,
      organization: session.organization,
      reason: codeName(reason, BreakGlassReason),
      expires: iso(session.expiresAt),
      covers: "EmergencyTreatment only; flagged for the patient and for audit",
      next: `npx hardhat careledger:consent:review --session ${sessionId} --outcome ${OUTCOMES.join("|")} --finding <code> --network ${hre.network.name} --from <auditor>`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:consent:review", "Auditor: records the outcome of a break-glass session's review")
  .addParam("session", "Break-glass session id")
  .addParam("outcome", `The outcome: ${oneOf(OUTCOMES)} (an unjustified finding ends a session still open)`)
  .addParam("finding", reasonHelp("What the review found", ReviewFinding))
  .addParam("from", `${FROM_HELP} (an auditor)`, "0")
  .setAction(async (args: { session: string; outcome: string; finding: string; from: string }, hre) => {
    const word = args.outcome.trim().toLowerCase();
    const outcome =
      word === "justified"
        ? ReviewOutcome.Justified
        : word === "unjustified"
          ? ReviewOutcome.Unjustified
          : fail(`--outcome must be ${oneOf(OUTCOMES)}, got "${args.outcome}"`);
    const sessionId = wholeNumber("session", args.session);
    const findingCode = reasonCode("finding", args.finding, ReviewFinding);
    await (await lookup(hre)).session("session", sessionId);
    const consent = await client(hre, args.from);
    const { receipt } = await readable(() => consent.reviewBreakGlass(sessionId, outcome, findingCode));
    const session = await consent.breakGlass(sessionId);
    print(`Break-glass session ${sessionId} reviewed: ${ReviewOutcome[outcome]}`, {
      patient: session.patient,
      practitioner: session.practitioner,
      finding: codeName(findingCode, ReviewFinding),
      reviewer: session.reviewer,
      ends: iso(session.expiresAt),
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:consent:unreviewed", "Lists the break-glass sessions awaiting an auditor's review").setAction(
  async (_args: Record<string, never>, hre) => {
    const consent = await client(hre, "0");
    const ids = await readable(() => consent.unreviewedBreakGlass());
    const now = await chainTime(hre);
    console.log(`${ids.length} break-glass session(s) awaiting review`);
    for (const id of ids) {
      const session = await readable(() => consent.breakGlass(id));
      print(`Session ${id}`, {
        patient: session.patient,
        practitioner: session.practitioner,
        organization: session.organization,
        reason: codeName(session.reasonCode, BreakGlassReason),
        opened: iso(session.openedAt),
        [session.expiresAt > now ? "expires" : "ended"]: iso(session.expiresAt),
      });
    }
  },
);

task("careledger:consent:authorize-emergency", "Registrar: lets an organization's practitioners break glass")
  .addParam("organization", "Organization id")
  .addFlag("withdraw", "Withdraw the authorization instead")
  .addParam("from", `${FROM_HELP} (a registrar)`, "0")
  .setAction(async (args: { organization: string; withdraw: boolean; from: string }, hre) => {
    const organization = wholeNumber("organization", args.organization);
    await (await lookup(hre)).participant("organization", organization);
    const consent = await client(hre, args.from);
    const { receipt } = await readable(() => consent.setEmergencyAuthorization(organization, !args.withdraw));
    print(
      args.withdraw
        ? `Organization ${organization}: emergency authorization withdrawn`
        : `Organization ${organization} authorized for emergencies`,
      { gasUsed: receipt.gasUsed, tx: receipt.hash },
    );
  });

task("careledger:consent:check", "Whether an account may access a patient's data, and on what basis")
  .addParam("patient", "Patient id")
  .addParam("accessor", `The accessing key: ${ACCOUNT_HELP}`)
  .addParam("category", `One data category: ${CATEGORY_NAMES}`)
  .addParam("purpose", `One purpose of use: ${PURPOSE_NAMES}`)
  .addOptionalParam("at", `When (default: the latest block's time): ${TIME_HELP.start}`)
  .setAction(
    async (args: { patient: string; accessor: string; category: string; purpose: string; at?: string }, hre) => {
      const { DecisionBasis, parseCategory, parsePurpose } = await import("../sdk/consent/scopes");
      const patient = wholeNumber("patient", args.patient);
      const accessor = await accountAddress(hre, "accessor", args.accessor);
      const category = parsed("category", () => parseCategory(args.category));
      const purpose = parsed("purpose", () => parsePurpose(args.purpose));
      const at = args.at === undefined ? await chainTime(hre) : periodStart("at", args.at);
      await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
      const consent = await client(hre, "0");
      const decision = await readable(() => consent.decide(patient, accessor, category, purpose, at));
      const refs: Partial<Record<number, string>> = {
        [DecisionBasis.Grant]: "grant version",
        [DecisionBasis.OrganizationGrant]: "grant version",
        [DecisionBasis.BreakGlass]: "break-glass session",
      };
      const ref = refs[decision.basis];
      print(`${decision.allowed ? "ALLOWED" : "DENIED"}: ${DecisionBasis[decision.basis]}`, {
        patient,
        accessor: decision.accessor === 0n ? `none (${accessor})` : `${decision.accessor} (${accessor})`,
        category: DataCategory[category],
        purpose: Purpose[purpose],
        grantee: decision.grantee === 0n ? "none" : decision.grantee,
        ref: ref === undefined ? "none" : `${ref} ${decision.ref}`,
        at: iso(at),
      });
    },
  );

task(
  "careledger:consent:list",
  "Lists what a patient has granted or denied, grantee by grantee, and break-glass on her",
)
  .addParam("patient", "Patient id")
  .setAction(async (args: { patient: string }, hre) => {
    const { categoryNames, purposeNames } = await import("../sdk/consent/scopes");
    const patient = wholeNumber("patient", args.patient);
    await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
    const consent = await client(hre, "0");
    // Events from the deployment's first block (the client's default), in ranges a node accepts.
    const grants = await readable(() => consent.grantsOf(patient));
    const now = await chainTime(hre);
    console.log(`Patient ${patient}: ${grants.length} grantee(s) as of ${iso(now)}`);
    for (const g of grants) {
      print(`Grantee ${g.grantee}: ${g.live ? "live" : "not live"}`, {
        categories: listed(categoryNames(g.categories)),
        purposes: listed(purposeNames(g.purposes)),
        window: window(g.validFrom, g.validUntil),
        denied: listed(categoryNames(g.deniedCategories)),
        version: g.version,
      });
    }
    // Break-glass lives in its own contract: every session opened on the patient, with its effective end.
    const workflow = consent.breakGlassWorkflow;
    const opened = await queryFilterChunked(
      workflow,
      workflow.filters.BreakGlassOpened(undefined, patient),
      consent.since,
    );
    console.log(`${opened.length} break-glass session(s) on patient ${patient}`);
    for (const event of opened) {
      const id = event.args.sessionId;
      const session = await readable(() => consent.breakGlass(id));
      print(`Session ${id}: practitioner ${session.practitioner} of organization ${session.organization}`, {
        opened: iso(session.openedAt),
        [session.expiresAt > now ? "open until" : "ended"]: iso(session.expiresAt),
        review: ReviewOutcome[session.outcome],
      });
    }
  });
