import fs from "node:fs";
import path from "node:path";

import { getAddress, hexlify, randomBytes } from "ethers";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type * as ClaimsSdk from "../sdk/claims/client";
import { ParticipantKind } from "../sdk/identity/participants";
import { jsonSyntaxMessage } from "../sdk/records/json-syntax";
import { lookup } from "./lookup";
import {
  ACCOUNT_HELP,
  accountAddress,
  bytes32,
  deploymentOf,
  fail,
  FROM_HELP,
  iso,
  parsed,
  periodEnd,
  periodStart,
  print,
  readable,
  signerFor,
  TIME_HELP,
  wholeNumber,
} from "./util";

const TOKEN_UNITS = "in token units, e.g. 150.00 (converted with the settlement token's decimals)";
const DAY = 86_400n;
const MAX_UINT32 = 2n ** 32n - 1n;
const MAX_UINT80 = 2n ** 80n - 1n;

/** The settlement token, as `ClaimsClient.settlementToken()` describes it. */
interface Token {
  address: string;
  symbol: string;
  decimals: number;
}

/** The claims client of the recorded deployment as `--from`, its settlement token and the SDK's formatters. */
interface Session {
  sdk: typeof ClaimsSdk;
  claims: ClaimsSdk.ClaimsClient;
  token: Token;
  /** Base units as "tUSD 1,234.50". */
  money(amount: bigint): string;
  /** A remittance as `formatRemittance` writes it, with the token symbol. */
  remittance(remittance: ClaimsSdk.Remittance): string[];
}

async function connect(hre: HardhatRuntimeEnvironment, from: string): Promise<Session> {
  const sdk = await import("../sdk/claims/client");
  const claims = sdk.ClaimsClient.connect(await signerFor(hre, from), await deploymentOf(hre));
  const token = await readable(() => claims.settlementToken());
  return {
    sdk,
    claims,
    token,
    money: (amount) => `${token.symbol} ${sdk.formatAmount(amount, token.decimals)}`,
    remittance: (remittance) => sdk.formatRemittance(remittance, token.decimals, `${token.symbol} `),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing options
// ---------------------------------------------------------------------------------------------------------------------

/**
 * An amount in token units ("150", "150.5", "150.00") as base units of a token with `decimals`. `what` names the
 * option or field in the error ("--amount", "plan.json: fees[2].copay").
 */
function tokenAmount(
  what: string,
  value: string,
  decimals: number,
  { positive = false, max = MAX_UINT80 }: { positive?: boolean; max?: bigint } = {},
): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (match === null) fail(`${what} must be an amount in token units such as 150.00, got "${value}"`);
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) {
    fail(`${what}: "${value}" has more decimal places than the settlement token's ${decimals}`);
  }
  const amount = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
  if (positive && amount === 0n) fail(`${what} must be more than zero, got "${value}"`);
  if (amount > max) fail(`${what}: "${value}" is more than the contract holds (${max} base units)`);
  return amount;
}

/** A whole-number option from `min` to `max`. */
function bounded(option: string, value: string, min: bigint, max: bigint): bigint {
  const number = wholeNumber(option, value);
  if (number < min || number > max) fail(`--${option} must be ${min} to ${max}, got ${number}`);
  return number;
}

/** A line number as the remittance prints it (1 for the first line), as the contract's 0-based index. */
function lineIndex(value: string): number {
  return Number(bounded("line", value, 1n, 256n)) - 1;
}

/** A CPT or HCPCS code option, as the SDK checks it. */
function procedure(sdk: typeof ClaimsSdk, option: string, value: string): string {
  const code = value.trim();
  parsed(option, () => sdk.procedureCode(code));
  return code;
}

/** The options that name a member: the pseudonym itself, or the payer's member number and member key. */
interface MemberArgs {
  member?: string;
  memberNumber?: string;
  memberKey?: string;
}

const MEMBER = "The patient's member pseudonym (0x + 64 hex digits, as enroll printed it; or give --member-number)";
const MEMBER_NUMBER =
  "The payer's member number of the patient: with the plan and the member key it gives the member pseudonym";
const MEMBER_KEY =
  "The payer's secret member key, 32 bytes of hex (default: the environment variable CARELEDGER_MEMBER_KEY)";

/**
 * The member pseudonym `--member` gives, or the one `--member-number` gives under `plan` with the payer's member key
 * (`--member-key`, else `CARELEDGER_MEMBER_KEY`); claims name a patient only by it.
 */
function memberOf(
  sdk: typeof ClaimsSdk,
  args: MemberArgs,
  plan: bigint | undefined,
): { member: string; derived: boolean } {
  if (args.member !== undefined && args.memberNumber !== undefined) {
    fail("give --member or --member-number, not both");
  }
  if (args.member !== undefined) {
    if (args.memberKey !== undefined) fail("--member-key goes with --member-number");
    const member = bytes32("member", args.member);
    if (BigInt(member) === 0n) fail("--member must not be zero");
    return { member, derived: false };
  }
  if (args.memberNumber === undefined) {
    fail(
      "give --member 0x… (the member pseudonym on the patient's card) or --member-number with the payer's member key",
    );
  }
  if (plan === undefined) fail("--member-number needs --plan: a member pseudonym belongs to one plan");
  const number = args.memberNumber.trim();
  if (number === "") fail("--member-number must not be empty");
  const key = args.memberKey ?? process.env.CARELEDGER_MEMBER_KEY;
  if (key === undefined || key.trim() === "") {
    fail("--member-number needs the payer's member key: give --member-key 0x… (32 bytes) or set CARELEDGER_MEMBER_KEY");
  }
  if (args.memberKey === undefined && !/^(?:0x)?[0-9a-fA-F]{64}$/.test(key.trim())) {
    fail(
      "the environment variable CARELEDGER_MEMBER_KEY must be 32 bytes of hex (0x + 64 digits) (a secret: not shown)",
    );
  }
  return { member: sdk.memberPseudonym(bytes32("member-key", key, true), plan, number), derived: true };
}

/** `--line CODE:UNITS:BILLED:DATE[,…]`: the claim's service lines. */
function claimLines(sdk: typeof ClaimsSdk, value: string, decimals: number): ClaimsSdk.ClaimLineInput[] {
  const items = value.split(",").map((item) => item.trim());
  if (items.some((item) => item === "")) fail(`--line: an empty line in "${value}"`);
  return items.map((item) => {
    // The date is last and may itself hold colons (an ISO time), so split off the first three fields only.
    const [code, units, billed, ...rest] = item.split(":");
    const date = rest.join(":");
    if (code === undefined || units === undefined || billed === undefined || date === "") {
      fail(`--line "${item}" must be CODE:UNITS:BILLED:DATE, e.g. 99213:1:150.00:2026-03-02`);
    }
    const what = `--line "${item}"`;
    if (!/^\d+$/.test(units) || BigInt(units) === 0n || BigInt(units) > MAX_UINT32) {
      fail(`${what}: UNITS must be a whole number from 1 to ${MAX_UINT32}, got "${units}"`);
    }
    try {
      sdk.procedureCode(code);
    } catch (error) {
      fail(`${what}: ${(error as Error).message}`);
    }
    return {
      code,
      units: BigInt(units),
      billed: tokenAmount(`${what}: BILLED`, billed, decimals, { positive: true }),
      // A day of service: a bare date is its first second, so a service today is never "in the future"; the
      // adjudicator judges coverage, authorization and timely filing at that time and duplicates by the UTC day.
      serviceDate: periodStart(`line "${item}": DATE`, date),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// The plan file
// ---------------------------------------------------------------------------------------------------------------------

const PLAN_FILE = `JSON plan file: {"terms": {"deductible": "500.00", "oopMax": "3000.00", "coinsuranceBps": 2000, \
"timelyFilingDays": 90, "appealWindowDays": 180}, "fees": [{"code": "99213", "allowedPerUnit": "120.00", \
"copay": "30.00", "requiresPriorAuth": false, "maxUnits": 1}, …], "network": [1]}; amounts ${TOKEN_UNITS}; maxUnits \
(optional) the most units a line may bill for the code; network: organization ids`;

/** Reads and checks a plan file; every error names the file and the field. */
function planFile(sdk: typeof ClaimsSdk, file: string, decimals: number): ClaimsSdk.PlanSpec {
  const source = `--file ${file}`;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    fail(`${source}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the file: say where the mistake is instead, as for a record.
    fail(`${source}: ${jsonSyntaxMessage(text)}`);
  }
  const object = (where: string, value: unknown, keys: readonly string[]): Record<string, unknown> => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`${source}: ${where} must be an object`);
    }
    const unknown = Object.keys(value).filter((key) => !keys.includes(key));
    if (unknown.length > 0) fail(`${source}: ${where} has unknown field(s) ${unknown.join(", ")}`);
    return value as Record<string, unknown>;
  };
  const list = (where: string, value: unknown): unknown[] => {
    if (!Array.isArray(value)) fail(`${source}: ${where} must be a list`);
    return value as unknown[];
  };
  const amount = (where: string, value: unknown, positive = false): bigint => {
    if (typeof value !== "string" && typeof value !== "number") {
      fail(`${source}: ${where} must be an amount in token units such as "150.00"`);
    }
    return tokenAmount(`${source}: ${where}`, String(value), decimals, { positive });
  };
  const integer = (where: string, value: unknown, max: number): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
      fail(`${source}: ${where} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}`);
    }
    return value;
  };

  const root = object("the file", json, ["terms", "fees", "network"]);
  const terms = object("terms", root.terms, [
    "deductible",
    "oopMax",
    "coinsuranceBps",
    "timelyFilingDays",
    "appealWindowDays",
  ]);
  const builder = new sdk.PlanBuilder()
    .deductible(amount("terms.deductible", terms.deductible))
    .outOfPocketMax(amount("terms.oopMax", terms.oopMax))
    .coinsurance(integer("terms.coinsuranceBps", terms.coinsuranceBps, 10_000))
    .timelyFilingDays(integer("terms.timelyFilingDays", terms.timelyFilingDays, 65_535))
    .appealWindowDays(integer("terms.appealWindowDays", terms.appealWindowDays, 65_535));
  const seen = new Set<string>();
  list("fees", root.fees ?? []).forEach((raw, index) => {
    const where = `fees[${index}]`;
    const fee = object(where, raw, ["code", "allowedPerUnit", "copay", "requiresPriorAuth", "maxUnits"]);
    const code = fee.code;
    if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) {
      fail(
        `${source}: ${where}.code must be five digits or capital letters (CPT or HCPCS), got ${JSON.stringify(code)}`,
      );
    }
    if (seen.has(code)) fail(`${source}: ${where}: ${code} is listed twice`);
    seen.add(code);
    const requiresPriorAuth = fee.requiresPriorAuth ?? false;
    if (typeof requiresPriorAuth !== "boolean") fail(`${source}: ${where}.requiresPriorAuth must be true or false`);
    builder.fee(code, amount(`${where}.allowedPerUnit`, fee.allowedPerUnit, true), {
      copay: fee.copay === undefined ? 0n : amount(`${where}.copay`, fee.copay),
      requiresPriorAuth,
      maxUnits: fee.maxUnits === undefined ? 0 : integer(`${where}.maxUnits`, fee.maxUnits, 0xffff_ffff),
    });
  });
  list("network", root.network ?? []).forEach((raw, index) => {
    const id = typeof raw === "number" || typeof raw === "string" ? String(raw) : "";
    if (!/^[1-9]\d*$/.test(id) || BigInt(id) >= 2n ** 64n) {
      fail(`${source}: network[${index}] must be an organization id, got ${JSON.stringify(raw)}`);
    }
    builder.inNetwork(BigInt(id));
  });
  try {
    return builder.build();
  } catch (error) {
    fail(`${source}: ${(error as Error).message}`);
  }
}

function termsFields(session: Session, terms: ClaimsSdk.PlanTerms): Record<string, string> {
  return {
    deductible: session.money(terms.deductible),
    oopMax: `${session.money(terms.oopMax)} (out-of-pocket maximum)`,
    coinsurance: `${(terms.coinsuranceBps / 100).toFixed(2)} % (${terms.coinsuranceBps} bps)`,
    timelyFiling: `${terms.timelyFilingDays} days from the service date`,
    appealWindow: `${terms.appealWindowDays} days from adjudication`,
  };
}

/** The payer id of the signing key (the contract checks it is an active payer). */
async function participantOf(hre: HardhatRuntimeEnvironment, account: string): Promise<bigint> {
  const { IdentityClient } = await import("../sdk/identity/client");
  const identity = IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre));
  return identity.idOf(account);
}

// ---------------------------------------------------------------------------------------------------------------------
// Plans and enrollment
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:plan:create", "Payer: creates a plan from a JSON file, loads its fee schedule and network, activates")
  .addParam("file", PLAN_FILE)
  .addOptionalParam("batchSize", "Fee schedule entries per transaction, 1 to 256 (default: the contract's MAX_BATCH)")
  .addParam("from", `${FROM_HELP} (an active payer's key)`, "0")
  .setAction(async (args: { file: string; batchSize?: string; from: string }, hre) => {
    const { SingleBar, Presets } = await import("cli-progress");
    const session = await connect(hre, args.from);
    const spec = planFile(session.sdk, args.file, session.token.decimals);
    const batchSize = Number(
      args.batchSize === undefined
        ? await session.claims.adjudicator.MAX_BATCH()
        : bounded("batch-size", args.batchSize, 1n, 256n),
    );
    const batches = Math.ceil(spec.fees.length / batchSize);
    // A bar only when the schedule takes several transactions; one batch is over before a bar could say anything.
    const bar = new SingleBar(
      { format: "  {bar} {value}/{total} fee entries", hideCursor: true },
      Presets.shades_classic,
    );
    let created;
    try {
      created = await readable(() =>
        session.claims.createPlan(spec, {
          batchSize,
          onBatch: (done, total) => {
            if (batches < 2) return;
            if (!bar.isActive) bar.start(total, 0);
            bar.update(done);
          },
        }),
      );
    } finally {
      if (bar.isActive) bar.stop();
    }
    const { planId, receipts } = created;
    const plan = await session.claims.plan(planId);
    print(`Plan ${planId} created and activated by payer ${plan.payer}`, {
      ...termsFields(session, plan.terms),
      fees:
        `${spec.fees.length} code(s) in ${batches} batch(es), ` +
        `${spec.fees.filter((fee) => fee.requiresPriorAuth).length} needing prior authorization, ` +
        `${spec.fees.filter((fee) => (fee.maxUnits ?? 0) > 0).length} with a units limit`,
      network: spec.network.length === 0 ? "none" : spec.network.join(", "),
      transactions: receipts.length,
      gasUsed: receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n),
      next:
        `npx hardhat careledger:enroll --plan ${planId} --member-number <number> --start <date> --end <date> ` +
        `--network ${hre.network.name} --from ${args.from}`,
    });
    // Payments are first in, first out: one approved line the payer cannot fund holds every later payment. A code
    // without a medically unlikely edit lets one line bill up to MAX_UNITS_PER_LINE units of it.
    const unedited = session.sdk.uneditedFees(spec.fees);
    if (unedited.length > 0) {
      const worst = unedited
        .slice(0, 3)
        .map((fee) => `${fee.code} up to ${session.money(session.sdk.lineExposure(fee))}`)
        .join(", ");
      console.log(
        `warning: ${unedited.length} code(s) have no units limit (maxUnits), so one line may cost the plan up to ` +
          `${session.sdk.MAX_UNITS_PER_LINE.toLocaleString("en-US")} units' worth (${worst}); payments are first in, ` +
          `first out, so give each code you could not fund at once a maxUnits (the SDK's setFees updates a ` +
          `schedule)`,
      );
    }
  });

task("careledger:plan:show", "Shows a plan: terms, status, payer, a fee schedule entry and network membership")
  .addParam("plan", "Plan id")
  .addOptionalParam("code", "A CPT or HCPCS code whose fee schedule entry to show, e.g. 99213")
  .addOptionalParam("organization", "An organization id whose network membership to show")
  .setAction(async (args: { plan: string; code?: string; organization?: string }, hre) => {
    const session = await connect(hre, "0");
    const planId = wholeNumber("plan", args.plan);
    const code = args.code === undefined ? undefined : procedure(session.sdk, "code", args.code);
    const organization = args.organization === undefined ? undefined : wholeNumber("organization", args.organization);
    const look = await lookup(hre);
    await look.plan("plan", planId);
    if (organization !== undefined) await look.participant("organization", organization);
    const plan = await readable(() => session.claims.plan(planId));
    const fields: Record<string, unknown> = { ...termsFields(session, plan.terms) };
    if (code !== undefined) {
      const fee = await session.claims.fee(planId, code);
      fields.code =
        fee === undefined
          ? `${code}: not in the fee schedule (lines with it are denied, PR-96)`
          : `${code}: allowed ${session.money(fee.allowedPerUnit)} per unit, copay ${session.money(fee.copay)}, ` +
            (fee.requiresPriorAuth ? "prior authorization required" : "no prior authorization") +
            ((fee.maxUnits ?? 0) > 0 ? `, at most ${fee.maxUnits} unit(s) a line (more: CO-151)` : "");
    }
    if (organization !== undefined) {
      const member = await session.claims.inNetwork(planId, organization);
      fields.network = `organization ${organization} is ${member ? "in network" : "out of network (lines denied, CO-242)"}`;
    }
    print(`Plan ${planId}: ${session.sdk.PlanStatus[plan.status]}, payer ${plan.payer}`, fields);
  });

task("careledger:enroll", "Payer: enrolls a member (a patient's plan pseudonym) in a plan for a coverage period")
  .addParam("plan", "Plan id")
  .addOptionalParam("memberNumber", MEMBER_NUMBER)
  .addOptionalParam("memberKey", MEMBER_KEY)
  .addOptionalParam("member", MEMBER)
  .addOptionalParam("patient", "The patient's id, for the summary only: it never goes on chain")
  .addParam("start", `When coverage starts: ${TIME_HELP.start}`)
  .addParam("end", `When coverage ends, inclusive: ${TIME_HELP.end}`)
  .addParam("from", `${FROM_HELP} (the plan's payer)`, "0")
  .setAction(
    async (args: MemberArgs & { plan: string; patient?: string; start: string; end: string; from: string }, hre) => {
      const planId = wholeNumber("plan", args.plan);
      const patient = args.patient === undefined ? undefined : wholeNumber("patient", args.patient);
      const start = periodStart("start", args.start);
      const end = periodEnd("end", args.end);
      if (end < start) fail(`--end (${iso(end)}) is before --start (${iso(start)})`);
      const session = await connect(hre, args.from);
      const { member } = memberOf(session.sdk, args, planId);
      const look = await lookup(hre);
      await look.plan("plan", planId);
      if (patient !== undefined) await look.participant("patient", patient, ParticipantKind.Patient);
      const { seq, receipt } = await readable(() => session.claims.enroll(planId, member, start, end));
      print(`Member enrolled in plan ${planId}: seq ${seq}`, {
        ...(patient === undefined ? {} : { patient: `${patient} (off chain: the chain knows only the member)` }),
        member: `${member}  (give it to the patient for her providers: claims name her by it)`,
        coverage: `${iso(start)} until ${iso(end)}`,
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

// ---------------------------------------------------------------------------------------------------------------------
// Prior authorization
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:prior-auth:request", "Provider: asks a plan's payer to authorize units of a code; prints the id")
  .addOptionalParam("member", MEMBER)
  .addOptionalParam("memberNumber", MEMBER_NUMBER)
  .addOptionalParam("memberKey", MEMBER_KEY)
  .addParam("plan", "Plan id")
  .addParam("code", "CPT or HCPCS code whose fee schedule entry requires authorization, e.g. 70553")
  .addParam("units", "Units asked for (1 to 4294967295)")
  .addParam("fromDate", `When services may be given from: ${TIME_HELP.start}`)
  .addParam("toDate", `When services may be given until, inclusive: ${TIME_HELP.end}`)
  .addParam("from", `${FROM_HELP} (an active practitioner or organization)`, "0")
  .setAction(
    async (
      args: MemberArgs & {
        plan: string;
        code: string;
        units: string;
        fromDate: string;
        toDate: string;
        from: string;
      },
      hre,
    ) => {
      const session = await connect(hre, args.from);
      const plan = wholeNumber("plan", args.plan);
      const request = {
        member: memberOf(session.sdk, args, plan).member,
        plan,
        code: procedure(session.sdk, "code", args.code),
        units: bounded("units", args.units, 1n, MAX_UINT32),
        validFrom: periodStart("from-date", args.fromDate),
        validTo: periodEnd("to-date", args.toDate),
      };
      if (request.validTo < request.validFrom) fail("--to-date is before --from-date");
      await (await lookup(hre)).plan("plan", plan);
      const { authId, receipt } = await readable(() => session.claims.requestPriorAuth(request));
      print(`Prior authorization ${authId} requested`, {
        member: request.member,
        plan: request.plan,
        code: request.code,
        units: request.units,
        window: `${iso(request.validFrom)} until ${iso(request.validTo)}`,
        next:
          `npx hardhat careledger:prior-auth:decide --id ${authId} --approve|--deny --network ${hre.network.name} ` +
          `--from <the payer>`,
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

task("careledger:prior-auth:decide", "Payer: approves a prior authorization (as asked or narrower) or denies it")
  .addParam("id", "Prior authorization id")
  .addFlag("approve", "Approve it (as asked, or narrower with --units, --valid-from, --valid-to)")
  .addFlag("deny", "Deny it")
  .addOptionalParam("units", "With --approve: fewer units than asked (default: the units asked for)")
  .addOptionalParam("validFrom", `With --approve, a later start (default: as asked): ${TIME_HELP.start}`)
  .addOptionalParam("validTo", `With --approve, an earlier end, inclusive (default: as asked): ${TIME_HELP.end}`)
  .addParam("from", `${FROM_HELP} (the plan's payer)`, "0")
  .setAction(
    async (
      args: {
        id: string;
        approve: boolean;
        deny: boolean;
        units?: string;
        validFrom?: string;
        validTo?: string;
        from: string;
      },
      hre,
    ) => {
      if (args.approve === args.deny) fail("give either --approve or --deny");
      if (args.deny && (args.units !== undefined || args.validFrom !== undefined || args.validTo !== undefined)) {
        fail("--units, --valid-from and --valid-to go with --approve");
      }
      const authId = wholeNumber("id", args.id);
      const units = args.units === undefined ? undefined : bounded("units", args.units, 1n, MAX_UINT32);
      const validFrom = args.validFrom === undefined ? undefined : periodStart("valid-from", args.validFrom);
      const validTo = args.validTo === undefined ? undefined : periodEnd("valid-to", args.validTo);
      await (await lookup(hre)).priorAuth("id", authId);
      const session = await connect(hre, args.from);
      const asked = await readable(() => session.claims.priorAuth(authId));
      const { receipt } = await readable(() =>
        args.approve
          ? session.claims.approvePriorAuth(
              authId,
              units ?? asked.unitsRequested,
              validFrom ?? asked.validFrom,
              validTo ?? asked.validTo,
            )
          : session.claims.denyPriorAuth(authId),
      );
      const auth = await session.claims.priorAuth(authId);
      print(`Prior authorization ${authId}: ${session.sdk.PriorAuthStatus[auth.status]}`, {
        member: auth.member,
        plan: auth.plan,
        code: auth.code,
        units: args.approve ? `${auth.unitsApproved} of ${auth.unitsRequested} asked` : `0 of ${auth.unitsRequested}`,
        ...(args.approve
          ? { window: `${iso(auth.validFrom)} until ${iso(auth.validTo)}` }
          : { asked: `${iso(asked.validFrom)} until ${iso(asked.validTo)}` }),
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

// ---------------------------------------------------------------------------------------------------------------------
// Claims and appeals
// ---------------------------------------------------------------------------------------------------------------------

/** What became of a plan-pays amount, in words. */
function paymentText(session: Session, payment: ClaimsSdk.PaymentStatus, amount: bigint, organization: bigint): string {
  const { PaymentStatus } = session.sdk;
  if (payment === PaymentStatus.Credited) return `${session.money(amount)} credited to organization ${organization}`;
  if (payment === PaymentStatus.Queued) return `${session.money(amount)} queued: the payer's funds do not cover it yet`;
  return "nothing to pay";
}

task("careledger:claim:submit", "Provider: submits a claim; it is adjudicated at once and its remittance printed")
  .addOptionalParam("member", MEMBER)
  .addOptionalParam("memberNumber", MEMBER_NUMBER)
  .addOptionalParam("memberKey", MEMBER_KEY)
  .addParam("plan", "Plan id")
  .addParam(
    "claimNumber",
    "The provider's own claim number (e.g. an 837 CLM01); only its salted hash with --reference-key goes on chain",
  )
  .addParam(
    "referenceKey",
    "The provider's secret 32-byte hex key salting its claim numbers; the same key and number are a resubmission",
  )
  .addParam(
    "line",
    "Service lines, comma-separated: CODE:UNITS:BILLED:DATE, e.g. 99213:1:150.00:2026-03-02 (BILLED in token " +
      "units; DATE the day of service YYYY-MM-DD, taken as 00:00:00 UTC, or an ISO time or Unix seconds)",
  )
  .addOptionalParam(
    "supporting",
    "Comma-separated commitments of the patient's anchored records supporting the claim (with --patient): each goes " +
      "on chain as a salted attachment commitment; the salts are printed for the payer",
  )
  .addOptionalParam("patient", "The patient's id, with --supporting: attachments commit to the records' patient")
  .addParam("from", `${FROM_HELP} (an active practitioner or organization)`, "0")
  .setAction(
    async (
      args: MemberArgs & {
        plan: string;
        claimNumber: string;
        referenceKey: string;
        line: string;
        supporting?: string;
        patient?: string;
        from: string;
      },
      hre,
    ) => {
      const session = await connect(hre, args.from);
      const plan = wholeNumber("plan", args.plan);
      const { member } = memberOf(session.sdk, args, plan);
      const key = bytes32("reference-key", args.referenceKey, true);
      if (args.claimNumber.trim() === "") fail("--claim-number must not be empty");
      const lines = claimLines(session.sdk, args.line, session.token.decimals);
      const supporting = (args.supporting ?? "")
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "")
        .map((item) => bytes32("supporting", item));
      if (supporting.length > 0 && args.patient === undefined) {
        fail("--supporting needs --patient: an attachment commits to the record's patient");
      }
      const patient = args.patient === undefined ? 0n : wholeNumber("patient", args.patient);
      const look = await lookup(hre);
      await look.plan("plan", plan);
      if (args.patient !== undefined) await look.participant("patient", patient, ParticipantKind.Patient);
      const attachments = supporting.map((record) => {
        const salt = hexlify(randomBytes(32));
        return { record, salt, commitment: session.sdk.attachmentCommitment(salt, patient, record) };
      });
      const builder = new session.sdk.ClaimBuilder(member, plan).reference(key, args.claimNumber.trim());
      parsed("line", () => {
        for (const line of lines) builder.line(line.code, line.units, line.billed, line.serviceDate);
      });
      parsed("supporting", () => {
        for (const attachment of attachments) builder.attachment(attachment.commitment);
      });
      const submission = builder.build();
      const { claimId, remittance, receipt } = await readable(() => session.claims.submitClaim(submission));
      print(`Claim ${claimId} adjudicated: ${session.sdk.ClaimStatus[remittance.status]}`, {
        reference: `${submission.reference} (the claim number salted with the reference key)`,
        organization: remittance.organization,
        submitter: remittance.submitter,
        payment: paymentText(session, remittance.payment, remittance.planPays, remittance.organization),
        attachments:
          attachments.length === 0
            ? "none"
            : `${attachments.length} (hand the payer each record with its salt and patient ${patient})`,
        ...Object.fromEntries(
          attachments.map((attachment, index) => [
            `  [${index + 1}]`,
            `${attachment.commitment} = record ${attachment.record}, salt ${attachment.salt}`,
          ]),
        ),
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
      console.log("Remittance");
      for (const row of session.remittance(remittance)) console.log(`  ${row}`);
    },
  );

task("careledger:claim:show", "Shows a claim: its on-chain summary, appeals, and its remittance from events")
  .addParam("claim", "Claim id (32 bytes of hex, as claim:submit printed it)")
  .setAction(async (args: { claim: string }, hre) => {
    const session = await connect(hre, "0");
    const claimId = bytes32("claim", args.claim);
    await (await lookup(hre)).claim("claim", claimId);
    const summary = await readable(() => session.claims.claim(claimId));
    const remittance = await readable(() => session.claims.remittance(claimId));
    const { AppealStatus, ClaimStatus, PaymentStatus } = session.sdk;
    print(`Claim ${claimId}: ${ClaimStatus[summary.status]}`, {
      member: remittance.member,
      plan: remittance.plan,
      organization: remittance.organization,
      submitter: remittance.submitter,
      adjudicatedAt: iso(summary.adjudicatedAt),
      deniedLines: summary.deniedLines.length === 0 ? "none" : summary.deniedLines.map((i) => i + 1).join(", "),
      planPays: session.money(summary.planPays),
      patientOwes: session.money(summary.patientOwes),
      payment: `${PaymentStatus[summary.payment]} (of the adjudication total)`,
      contentHash: summary.contentHash,
    });
    for (const line of remittance.lines) {
      if (!line.denied && !line.reAdjudicated) continue;
      const appeal = await session.claims.appeal(claimId, line.index);
      if (appeal.status === AppealStatus.None) continue;
      print(`Appeal of line ${line.index + 1}: ${AppealStatus[appeal.status]}`, {
        filed: iso(appeal.filedAt),
        decided: appeal.decidedAt === 0n ? "not yet" : iso(appeal.decidedAt),
        payment: PaymentStatus[appeal.payment],
      });
    }
    console.log("Remittance");
    for (const row of session.remittance(remittance)) console.log(`  ${row}`);
  });

task("careledger:appeal:file", "Provider: appeals the denial of one line of a claim, within the plan's window")
  .addParam("claim", "Claim id")
  .addParam("line", "Line number as the remittance prints it (1 for the first line)")
  .addParam("from", `${FROM_HELP} (the claim's submitter or its billing organization)`, "0")
  .setAction(async (args: { claim: string; line: string; from: string }, hre) => {
    const claimId = bytes32("claim", args.claim);
    const line = lineIndex(args.line);
    await (await lookup(hre)).claim("claim", claimId);
    const session = await connect(hre, args.from);
    const { receipt } = await readable(() => session.claims.fileAppeal(claimId, line));
    const summary = await session.claims.claim(claimId);
    const content = await session.claims.claimContent(claimId);
    const plan = await session.claims.plan(content.plan);
    const appeal = await session.claims.appeal(claimId, line);
    print(`Appeal of line ${line + 1} of claim ${claimId} filed`, {
      filed: iso(appeal.filedAt),
      window: `open until ${iso(summary.adjudicatedAt + BigInt(plan.terms.appealWindowDays) * DAY)}`,
      next:
        `npx hardhat careledger:appeal:decide --claim ${claimId} --line ${line + 1} --overturn|--uphold ` +
        `--network ${hre.network.name} --from <a reviewer of payer ${plan.payer}>`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:appeal:decide", "Payer's reviewer: overturns (re-adjudicates and pays) or upholds an appeal")
  .addParam("claim", "Claim id")
  .addParam("line", "Line number as the remittance prints it (1 for the first line)")
  .addFlag("overturn", "Overturn the denial: the line is re-adjudicated now, timely filing and authorization waived")
  .addFlag("uphold", "Uphold the denial: nothing changes")
  .addParam("from", `${FROM_HELP} (a CLAIMS_REVIEWER practitioner affiliated with the plan's payer)`, "0")
  .setAction(async (args: { claim: string; line: string; overturn: boolean; uphold: boolean; from: string }, hre) => {
    if (args.overturn === args.uphold) fail("give either --overturn or --uphold");
    const claimId = bytes32("claim", args.claim);
    const line = lineIndex(args.line);
    await (await lookup(hre)).claim("claim", claimId);
    const session = await connect(hre, args.from);
    const decided = await readable(() => session.claims.decideAppeal(claimId, line, args.overturn));
    const appeal = await session.claims.appeal(claimId, line);
    const remittance = await session.claims.remittance(claimId);
    const outcome = decided.line;
    print(`Appeal of line ${line + 1} of claim ${claimId}: ${session.sdk.AppealStatus[appeal.status]}`, {
      ...(outcome === undefined
        ? { outcome: "the denial stands" }
        : {
            line: `${outcome.code} ×${outcome.units}, billed ${session.money(outcome.billed)}`,
            outcome: outcome.denied
              ? `denied again ${session.sdk.GROUP_CODES[outcome.group]}-${outcome.carc}`
              : `allowed ${session.money(outcome.allowed)}, deductible ${session.money(outcome.deductible)}, ` +
                `copay ${session.money(outcome.copay)}, coinsurance ${session.money(outcome.coinsurance)}`,
            planPays: session.money(outcome.planPays),
            patientOwes: session.money(outcome.patientOwes),
            payment: paymentText(session, appeal.payment, outcome.planPays, remittance.organization),
          }),
      claim: `${session.sdk.ClaimStatus[remittance.status]}: plan pays ${session.money(remittance.planPays)}, patient owes ${session.money(remittance.patientOwes)}`,
      gasUsed: decided.receipt.gasUsed,
      tx: decided.receipt.hash,
    });
  });

task("careledger:eob", "A member's explanation of benefits: every claim's remittance and what the patient owes")
  .addOptionalParam("member", MEMBER)
  .addOptionalParam("memberNumber", `${MEMBER_NUMBER} (with --plan)`)
  .addOptionalParam("memberKey", MEMBER_KEY)
  .addOptionalParam("plan", "Only the claims under this plan (needed with --member-number)")
  .setAction(async (args: MemberArgs & { plan?: string }, hre) => {
    const plan = args.plan === undefined ? undefined : wholeNumber("plan", args.plan);
    const session = await connect(hre, "0");
    const { member, derived } = memberOf(session.sdk, args, plan);
    const look = await lookup(hre);
    if (plan !== undefined) await look.plan("plan", plan);
    const all = await readable(() => session.claims.explanationOfBenefits(member));
    const remittances = all.filter((remittance) => plan === undefined || remittance.plan === plan);
    // No claim: a member never enrolled is a mistyped pseudonym, member number or member key, not an empty history.
    if (remittances.length === 0) {
      await look.member(derived ? "member-number" : "member", member, plan);
    }
    console.log(
      `Explanation of benefits of member ${member}${plan === undefined ? "" : ` under plan ${plan}`}: ` +
        `${remittances.length} claim(s)`,
    );
    const lines = remittances.flatMap((remittance) => remittance.lines);
    const sum = (pick: (line: ClaimsSdk.EobLine) => bigint) => lines.reduce((total, line) => total + pick(line), 0n);
    const { AdjustmentGroup } = session.sdk;
    /** What the provider writes off: above the fee schedule on an approved line, or all of a line denied to it. */
    const writtenOff = (line: ClaimsSdk.EobLine) =>
      line.group === AdjustmentGroup.ContractualObligation || line.group === AdjustmentGroup.OtherAdjustment
        ? line.billed
        : line.contractual;
    for (const remittance of remittances) {
      for (const row of session.remittance(remittance)) console.log(`  ${row}`);
    }
    print("Totals", {
      billed: session.money(sum((line) => line.billed)),
      writtenOff: `${session.money(sum(writtenOff))} (by providers: above the fee schedule, or lines denied to them)`,
      planPays: session.money(sum((line) => line.planPays)),
      deductible: session.money(sum((line) => line.deductible)),
      copay: session.money(sum((line) => line.copay)),
      coinsurance: session.money(sum((line) => line.coinsurance)),
      notCovered: session.money(
        sum((line) => (line.group === AdjustmentGroup.PatientResponsibility ? line.billed : 0n)),
      ),
      patientOwes: session.money(sum((line) => line.patientOwes)),
    });
  });

// ---------------------------------------------------------------------------------------------------------------------
// Payment
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:fund", "Payer: funds its claims balance in the settlement token; pays queued claims in order")
  .addParam("amount", `Amount ${TOKEN_UNITS}; the adjudicator is approved for it first if needed`)
  .addParam("from", `${FROM_HELP} (an active payer's key holding the tokens)`, "0")
  .setAction(async (args: { amount: string; from: string }, hre) => {
    const session = await connect(hre, args.from);
    const amount = tokenAmount("--amount", args.amount, session.token.decimals, {
      positive: true,
      max: 2n ** 128n - 1n,
    });
    const signer = await signerFor(hre, args.from);
    const payer = await participantOf(hre, await signer.getAddress());
    const { IERC20Metadata__factory } = await import("../typechain-types");
    const held = await IERC20Metadata__factory.connect(session.token.address, signer).balanceOf(signer);
    // The token's own refusal (ERC20InsufficientBalance) is not a CareLedger error: say it in words first.
    if (held < amount) fail(`--amount ${session.money(amount)}: the signing key holds only ${session.money(held)}`);
    const { settled, receipt } = await readable(() => session.claims.fund(amount));
    const account = await session.claims.payerAccount(payer);
    const unpaid = account.tail - account.head;
    print(`Payer ${payer} funded ${session.money(amount)}`, {
      balance: session.money(account.balance),
      funded: `${session.money(account.funded)} in all`,
      withdrawn: `${session.money(account.withdrawn)} in all (surplus taken back)`,
      settled: `${settled} queued payment(s) paid`,
      queued:
        unpaid === 0n
          ? "none unpaid"
          : `${unpaid} payment(s) still unpaid: fund more, or npx hardhat careledger:settle --payer ${payer}`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:settle", "Anyone: pays a payer's queued claims in order from its balance (funding pays 32 at most)")
  .addParam("payer", "Payer id")
  .addParam("max", "Most queued payments to pay, 1 to 256", "256")
  .addParam("from", FROM_HELP, "0")
  .setAction(async (args: { payer: string; max: string; from: string }, hre) => {
    const payer = wholeNumber("payer", args.payer);
    const max = Number(bounded("max", args.max, 1n, 256n));
    await (await lookup(hre)).participant("payer", payer, ParticipantKind.Payer);
    const session = await connect(hre, args.from);
    const { settled, receipt } = await readable(() => session.claims.settleQueue(payer, max));
    const account = await session.claims.payerAccount(payer);
    print(`Payer ${payer}: ${settled} queued payment(s) paid`, {
      balance: session.money(account.balance),
      queued: `${account.tail - account.head} payment(s) still unpaid`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:withdraw", "Organization: withdraws its whole claims balance in the settlement token")
  .addOptionalParam("to", `Recipient (default: the signing account): ${ACCOUNT_HELP}`)
  .addParam("from", `${FROM_HELP} (an active organization's key)`, "0")
  .setAction(async (args: { to?: string; from: string }, hre) => {
    const signer = await signerFor(hre, args.from);
    const to = args.to === undefined ? await signer.getAddress() : await accountAddress(hre, "to", args.to);
    const session = await connect(hre, args.from);
    const organization = await participantOf(hre, await signer.getAddress());
    const { amount, receipt } = await readable(() => session.claims.withdraw(to));
    const { IERC20Metadata__factory } = await import("../typechain-types");
    const token = IERC20Metadata__factory.connect(session.token.address, hre.ethers.provider);
    const account = await session.claims.providerAccount(organization);
    print(`Organization ${organization} withdrew ${session.money(amount)} to ${to}`, {
      recipientBalance: session.money(await token.balanceOf(to)),
      withdrawn: `${session.money(account.withdrawn)} in all`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:withdraw-funds", "Payer: takes back surplus funds while none of its payments waits in its queue")
  .addParam("amount", `Amount ${TOKEN_UNITS}`)
  .addOptionalParam("to", `Recipient (default: the signing account): ${ACCOUNT_HELP}`)
  .addParam("from", `${FROM_HELP} (an active payer's key)`, "0")
  .setAction(async (args: { amount: string; to?: string; from: string }, hre) => {
    const signer = await signerFor(hre, args.from);
    const to = args.to === undefined ? await signer.getAddress() : await accountAddress(hre, "to", args.to);
    const session = await connect(hre, args.from);
    const amount = tokenAmount("--amount", args.amount, session.token.decimals, {
      positive: true,
      max: 2n ** 128n - 1n,
    });
    const payer = await participantOf(hre, await signer.getAddress());
    const { receipt } = await readable(() => session.claims.withdrawFunds(amount, to));
    const account = await session.claims.payerAccount(payer);
    const { IERC20Metadata__factory } = await import("../typechain-types");
    const token = IERC20Metadata__factory.connect(session.token.address, hre.ethers.provider);
    print(`Payer ${payer} withdrew ${session.money(amount)} to ${to}`, {
      balance: session.money(account.balance),
      funded: `${session.money(account.funded)} in all`,
      withdrawn: `${session.money(account.withdrawn)} in all`,
      recipientBalance: session.money(await token.balanceOf(to)),
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:test-token:mint", "Test chains: the test stablecoin's owner mints settlement tokens to an account")
  .addParam("to", `Recipient: ${ACCOUNT_HELP}`)
  .addParam("amount", `Amount ${TOKEN_UNITS}`)
  .addParam("from", `${FROM_HELP} (the test stablecoin's owner: the deploying account)`, "0")
  .setAction(async (args: { to: string; amount: string; from: string }, hre) => {
    const { DEPLOYMENTS_DIR } = await import("../sdk/core/deployment");
    const { TestStablecoin__factory } = await import("../typechain-types");
    const session = await connect(hre, args.from);
    const to = await accountAddress(hre, "to", args.to);
    const amount = tokenAmount("--amount", args.amount, session.token.decimals, {
      positive: true,
      max: 2n ** 255n,
    });
    // Only the test stablecoin careledger:deploy deployed for this chain, as its deployment record names it.
    const { chainId } = await hre.ethers.provider.getNetwork();
    const record = path.join(DEPLOYMENTS_DIR, `chain-${chainId}`, "deployed_addresses.json");
    const addresses = JSON.parse(fs.readFileSync(record, "utf8")) as Record<string, string | undefined>;
    const recorded = addresses["TestStablecoin#TestStablecoin"];
    if (recorded === undefined || getAddress(recorded) !== getAddress(session.token.address)) {
      fail(
        `the settlement token ${session.token.symbol} at ${session.token.address} is not the test stablecoin: ` +
          "this network settles in a real token, which nobody mints here",
      );
    }
    const signer = await signerFor(hre, args.from);
    const coin = TestStablecoin__factory.connect(session.token.address, signer);
    const owner = await coin.owner();
    if (owner !== (await signer.getAddress())) {
      fail(`--from ${args.from}: only the test stablecoin's owner ${owner} mints`);
    }
    const receipt = await readable(async () => (await coin.mint(to, amount)).wait());
    print(`Minted ${session.money(amount)} to ${to}`, {
      balance: session.money(await coin.balanceOf(to)),
      token: `${session.token.symbol} at ${session.token.address} (test stablecoin, ${session.token.decimals} decimals)`,
      gasUsed: receipt?.gasUsed,
      tx: receipt?.hash,
    });
  });
