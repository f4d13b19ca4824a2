import fs from "node:fs";
import path from "node:path";

import { keccak256 } from "ethers";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { SaltedCommitment } from "../sdk/core/commitments";
import { DataCategory, Purpose } from "../sdk/consent/scopes";
import { ParticipantKind } from "../sdk/identity/participants";
import type { AllocationFile, AllocationSequence } from "../sdk/trials/allocation";
import type {
  ConsentSignatureInput,
  OutcomeInput,
  ReportedOutcomeInput,
  SiteInfo,
  SubjectInfo,
  TrialInfo,
  TrialsClient,
} from "../sdk/trials/client";
import {
  AdverseEventStatus,
  OversightReason,
  SiteStatus,
  SubjectStatus,
  TrialAmendmentStatus,
  TrialStatus,
  UnblindingReason,
  UnlockReason,
  WithdrawalReason,
} from "../sdk/trials/statuses";
import { lookup } from "./lookup";
import {
  bytes32,
  type CodeList,
  codeName,
  codesHelp,
  deploymentOf,
  enumNames,
  fail,
  FROM_HELP,
  iso,
  kebab,
  oneOf,
  parsed,
  pendingTime,
  periodEnd,
  periodStart,
  print,
  readable,
  reasonCode,
  signerFor,
  TIME_HELP,
  wholeNumber,
} from "./util";

/**
 * The clinical-trials module's tasks (`careledger:trial:*`), one per step of a trial's life on the ledger: a sponsor
 * registers the trial (its documents and pre-specified outcomes as salted commitments), proposes sites and commits the
 * concealed allocation; the ethics committee activates sites and approves amendments; a site enrolls a patient who
 * signed the current consent form, the randomization service reveals the allocation; sites record data and serious
 * adverse events; the sponsor locks the database, reports SUSARs and results; anyone reads the transparency report.
 *
 * Three files carry what the chain holds only as commitments, each written by the task that creates it: the outcomes
 * file (`trial:register --out`: each outcome's title, time frame and salt, so that results and reports name outcomes
 * by title), the allocation file (`trial:randomize --out`, mode 0600: every arm, the randomization service's secret)
 * and a participant's signature file (`trial:sign-consent --out`). Salts of the other documents are printed for their
 * keepers. Every id an option names is checked before anything is sent, so a mistake fails in one line saying what to
 * do; a contract's refusal goes through `readable`.
 */

const DAY = 86_400n;
/** `TrialProtocol.RESULTS_WINDOW`: results are due 12 months after the primary completion date. */
const RESULTS_WINDOW = 365n * DAY;
/** `TrialProtocol.MAX_OUTCOMES`. */
const MAX_OUTCOMES = 64;
/** `TrialRegistry.MAX_BATCH_ENTRIES`: a uint24 index per stratum bounds a stratum's sequence too. */
const MAX_PER_STRATUM = 16_777_215n;
const ZERO = `0x${"00".repeat(32)}`;
/** `TrialRegistry._NO_ROOT`: the placeholder of an unlocked database, refused as a dataset root. */
const NO_ROOT = `0x${"00".repeat(31)}01`;
const OUTCOMES_FORMAT = "careledger-trial-outcomes/1";
const CONSENT_FORMAT = "careledger-trial-consent/1";
const BATCH_FORMAT = "careledger-trial-data/1";
const OWNER_ONLY = 0o600;

/** A reason enum of the trials module as a code list: its members by number, none (zero) left out. */
function codeList(enumeration: Record<string, string | number>): CodeList {
  return Object.fromEntries(
    Object.entries(enumeration).filter(
      (entry): entry is [string, number] => typeof entry[1] === "number" && entry[1] !== 0,
    ),
  );
}

const OVERSIGHT = codeList(OversightReason);
const UNBLINDING = codeList(UnblindingReason);
const WITHDRAWAL = codeList(WithdrawalReason);
const UNLOCK = codeList(UnlockReason);
const CATEGORY_NAMES = oneOf(enumNames(DataCategory));
const ASSESSMENTS = ["susar", "not-susar"];

const reasonHelp = (what: string, codes: CodeList): string =>
  `${what}, by number or name: ${codesHelp(codes)}; or another code from the consortium's list`;
const SPONSOR = `${FROM_HELP} (the trial's sponsor)`;
const INVESTIGATOR = `${FROM_HELP} (the site's principal investigator)`;
const PATIENT_KEY = `${FROM_HELP} (the patient's key or an active representative's)`;
const SIGNER_HELP = `Instead of --signature-file, for local use: the account that signs as the patient or an active representative. ${FROM_HELP}`;
const SIGNED_FORM =
  "The consent form as the participant signed it (a scan or PDF), committed to with a salt (printed: keep it with " +
  "the form)";

// ---- clients and the ids options name ----------------------------------------------------------------------------

/** The trials client of the recorded deployment, signing as `--from`. */
async function trialsAs(hre: HardhatRuntimeEnvironment, from: string): Promise<TrialsClient> {
  const { TrialsClient } = await import("../sdk/trials/client");
  return TrialsClient.connect(await signerFor(hre, from), await deploymentOf(hre));
}

/** A read-only trials client. */
async function trialsReader(hre: HardhatRuntimeEnvironment): Promise<TrialsClient> {
  const { TrialsClient } = await import("../sdk/trials/client");
  return TrialsClient.connect(hre.ethers.provider, await deploymentOf(hre));
}

/** The trial `--trial` names, refusing an id no trial has. */
async function trialOption(client: TrialsClient, value: string): Promise<TrialInfo> {
  const trialId = wholeNumber("trial", value);
  const count = await client.registry.trialCount();
  if (trialId === 0n || trialId > count) {
    fail(
      `--trial ${trialId}: no trial ${trialId} on this chain (the registry has ${count === 0n ? "none yet" : count}); ` +
        "careledger:trial:register prints a trial's id",
    );
  }
  return client.trial(trialId);
}

/** Refuses a locked trial for a step only an unlocked one takes (`what`). */
function requireUnlocked(trial: TrialInfo, what: string): void {
  if (trial.status === TrialStatus.Locked) {
    fail(
      `--trial ${trial.trialId} is locked since ${iso(trial.lockedAt)}: no ${what} until it is unlocked ` +
        `(the sponsor asks with careledger:trial:unlock --trial ${trial.trialId} --reason CODE)`,
    );
  }
}

/** The site `--site` (or `option`) names, refusing a number the trial has no site for. */
async function siteOption(
  client: TrialsClient,
  trial: TrialInfo,
  value: string,
  option = "site",
): Promise<{ site: number; info: SiteInfo }> {
  const site = wholeNumber(option, value);
  if (site === 0n || site > BigInt(trial.sites)) {
    fail(
      `--${option} ${site}: trial ${trial.trialId} has no site ${site} (${numbered(trial.sites, "site")}); the sponsor proposes one with ` +
        `careledger:trial:site --trial ${trial.trialId} --organization ID --investigator ID`,
    );
  }
  return { site: Number(site), info: await client.site(trial.trialId, Number(site)) };
}

/**
 * The participant `--patient` names in the trial: enrolled (`"enrolled"`), or enrolled at some time, since withdrawn
 * or not (`"ever"`, what a reveal, an unblinding or an adverse event takes).
 */
async function participantOption(
  client: TrialsClient,
  trial: TrialInfo,
  value: string,
  want: "enrolled" | "ever",
): Promise<{ patient: bigint; subject: SubjectInfo }> {
  const patient = wholeNumber("patient", value);
  const subject = await client.subject(trial.trialId, patient);
  if (subject.status === SubjectStatus.None) {
    fail(
      `--patient ${patient} is not a participant of trial ${trial.trialId}: a site's investigator enrolls them with ` +
        "careledger:trial:enroll",
    );
  }
  if (want === "enrolled" && subject.status === SubjectStatus.Withdrawn) {
    fail(`--patient ${patient} withdrew from trial ${trial.trialId}: nothing more is recorded for them`);
  }
  return { patient, subject };
}

/** What a trial has of things numbered from 1: "none yet", "it has site 1", "it has sites 1 to 3". */
function numbered(count: number, noun: string): string {
  return count === 0 ? "none yet" : count === 1 ? `it has ${noun} 1` : `it has ${noun}s 1 to ${count}`;
}

/** A reason code option that must not be zero. */
function requiredReason(option: string, value: string, codes: CodeList): number {
  const code = reasonCode(option, value, codes);
  if (code === 0) {
    fail(
      `--${option} 0: a reason is required: one of ${oneOf(Object.keys(codes).map(kebab))}, or a code of the ` +
        "consortium's list",
    );
  }
  return code;
}

/** A whole-number option from `min` to `max`. */
function bounded(option: string, value: string, min: bigint, max: bigint): bigint {
  const number = wholeNumber(option, value);
  if (number < min || number > max) fail(`--${option} must be ${min} to ${max}, got ${number}`);
  return number;
}

/** The name of an enum member in the tasks' words. */
function named(enumeration: Record<number, string>, value: number): string {
  return kebab(enumeration[value] ?? String(value));
}

function receiptFields(receipt: { gasUsed: bigint; hash: string }): Record<string, unknown> {
  return { gasUsed: receipt.gasUsed, tx: receipt.hash };
}

/** Prints `title` and then each line indented, as `print` does its fields. */
function printLines(title: string, lines: readonly string[]): void {
  console.log(title);
  for (const line of lines) console.log(`  ${line}`);
}

// ---- files -------------------------------------------------------------------------------------------------------

function readError(option: string, file: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  fail(`--${option} ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
}

function readBytes(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    readError(option, file, error);
  }
}

function readJson(option: string, file: string): unknown {
  const text = readBytes(option, file).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    fail(`--${option} ${file}: not JSON (${(error as Error).message})`);
  }
}

/** A file a task is about to create: refused if it exists (it may hold salts or arms); its directory is made. */
function freshFile(option: string, file: string): string {
  const target = path.resolve(file);
  if (fs.existsSync(target)) {
    fail(`--${option} ${file} already exists: it is never overwritten (it may hold salts); choose a new name`);
  }
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (error) {
    fail(`--${option} ${file}: ${(error as Error).message}`);
  }
  return target;
}

function writeJson(file: string, value: unknown): string {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, `${JSON.stringify(value, null, 1)}\n`);
  return target;
}

/** Creates `file` exclusively, mode 0600 whatever the umask (as tasks/keys.ts does for a private key). */
function writeOwnerOnly(option: string, file: string, value: unknown): string {
  const target = path.resolve(file);
  let fd: number;
  try {
    // "wx": O_CREAT | O_EXCL, so an existing file (or a symlink planted in its place) is never followed or replaced.
    fd = fs.openSync(target, "wx", OWNER_ONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") fail(`--${option} ${file} already exists: an allocation file is never overwritten`);
    fail(`--${option} ${file}: ${(error as Error).message}`);
  }
  try {
    fs.fchmodSync(fd, OWNER_ONLY);
    fs.writeSync(fd, `${JSON.stringify(value, null, 1)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return target;
}

/** A salted commitment to a file's bytes (a protocol, a form, a report); the salt is printed for the file's keeper. */
async function fileCommitment(option: string, file: string): Promise<SaltedCommitment> {
  const { commit } = await import("../sdk/core/commitments");
  return commit(readBytes(option, file));
}

/** "0x… (salt 0x…: keep it with the file)". */
function withSalt(committed: SaltedCommitment, keep = "keep it with the file"): string {
  return `${committed.commitment} (salt ${committed.salt}: ${keep})`;
}

/** A path a JSON file names, relative to that file's directory. */
function besides(jsonFile: string, named: string): string {
  return path.resolve(path.dirname(jsonFile), named);
}

// ---- outcomes ----------------------------------------------------------------------------------------------------

/** An outcome measure as the sponsor defines it; title, time frame and description are what its commitment opens. */
interface OutcomeDefinition {
  title: string;
  timeFrame: string;
  description?: string;
  primary: boolean;
}

/** An outcome in the trial's outcomes file: its definition, commitment and salt, and where it was specified. */
interface OutcomeRecord extends OutcomeDefinition {
  commitment: string;
  salt: string;
  /**
   * Where it was first proposed: "registration", "amendment N" (whether or not N was approved: the chain says which
   * outcomes are in force) or "results version N" (an outcome never pre-specified).
   */
  source: string;
}

/** The trial's outcomes file (`trial:register --out`), kept by the sponsor. */
interface OutcomesFile {
  format: typeof OUTCOMES_FORMAT;
  trialId: string;
  outcomes: OutcomeRecord[];
}

/** The text an outcome's commitment opens: its definition as JSON, in a fixed key order. */
function outcomeText(definition: OutcomeDefinition): string {
  const { title, timeFrame, description } = definition;
  return JSON.stringify(description === undefined ? { title, timeFrame } : { title, timeFrame, description });
}

const titleKey = (title: string): string => title.trim().toLowerCase();

/** Reads an outcome list (`[{"title", "timeFrame", "primary"}, …]`), refusing in one line what is not one. */
function outcomeDefinitions(option: string, file: string): OutcomeDefinition[] {
  const data = readJson(option, file);
  const shape = `[{"title": "…", "timeFrame": "…", "primary": true}, …]`;
  if (!Array.isArray(data) || data.length === 0) fail(`--${option} ${file}: not a list of outcomes: ${shape}`);
  if (data.length > MAX_OUTCOMES)
    fail(`--${option} ${file}: a trial has at most ${MAX_OUTCOMES} outcomes, got ${data.length}`);
  const seen = new Set<string>();
  const list = (data as unknown[]).map((entry, index): OutcomeDefinition => {
    const at = `--${option} ${file}: outcome ${index + 1}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) fail(`${at} is not an object: ${shape}`);
    const { title, timeFrame, description, primary } = entry as Record<string, unknown>;
    if (typeof title !== "string" || title.trim() === "") fail(`${at} has no "title"`);
    if (typeof timeFrame !== "string" || timeFrame.trim() === "") fail(`${at} ("${title}") has no "timeFrame"`);
    if (description !== undefined && typeof description !== "string") fail(`${at} ("${title}"): "description" is text`);
    if (primary !== undefined && typeof primary !== "boolean") {
      fail(`${at} ("${title}"): "primary" is true or false`);
    }
    if (seen.has(titleKey(title))) fail(`${at}: the title "${title}" is given twice (titles name outcomes in results)`);
    seen.add(titleKey(title));
    return {
      title: title.trim(),
      timeFrame: timeFrame.trim(),
      ...(description === undefined ? {} : { description }),
      primary: primary === true,
    };
  });
  if (!list.some((outcome) => outcome.primary)) {
    fail(`--${option} ${file}: no outcome is primary: mark at least one "primary": true`);
  }
  return list;
}

/** Reads the trial's outcomes file, checking it is the trial's and that every outcome opens its commitment. */
async function loadOutcomesFile(option: string, file: string, trialId: bigint): Promise<OutcomesFile> {
  const { verifyCommitment } = await import("../sdk/core/commitments");
  const data = readJson(option, file) as Partial<OutcomesFile> | null;
  if (data?.format !== OUTCOMES_FORMAT || !Array.isArray(data.outcomes) || typeof data.trialId !== "string") {
    fail(`--${option} ${file}: not a trial's outcomes file (careledger:trial:register --out writes one)`);
  }
  if (data.trialId !== trialId.toString()) {
    fail(`--${option} ${file} holds trial ${data.trialId}'s outcomes, not trial ${trialId}'s`);
  }
  for (const [index, item] of (data.outcomes as unknown[]).entries()) {
    const record = (typeof item === "object" && item !== null ? item : {}) as Partial<
      Record<keyof OutcomeRecord, unknown>
    >;
    const { title, timeFrame, description, primary, commitment, salt, source } = record;
    const shaped =
      typeof title === "string" &&
      typeof timeFrame === "string" &&
      (description === undefined || typeof description === "string") &&
      typeof primary === "boolean" &&
      typeof commitment === "string" &&
      typeof source === "string" &&
      typeof salt === "string" &&
      /^0x[0-9a-fA-F]{64}$/.test(salt);
    if (!shaped)
      fail(`--${option} ${file}: outcome ${index + 1} is malformed (title, timeFrame, primary, commitment, salt)`);
    const definition = { title, timeFrame, primary, ...(description === undefined ? {} : { description }) };
    if (!verifyCommitment(commitment, outcomeText(definition), salt)) {
      fail(`--${option} ${file}: outcome "${title}" does not open its commitment: the file was changed`);
    }
  }
  return data as OutcomesFile;
}

/** Commitment → title, for the report and the comparison. */
function labelsOf(file: OutcomesFile | undefined): Record<string, string> {
  return Object.fromEntries((file?.outcomes ?? []).map((record) => [record.commitment.toLowerCase(), record.title]));
}

/** An outcome as printed: its title in quotes when the outcomes file names it, else a short commitment. */
function outcomeLabel(labels: Readonly<Record<string, string>>, commitment: string): string {
  const title = labels[commitment.toLowerCase()];
  return title === undefined ? `${commitment.slice(0, 10)}…` : `"${title}"`;
}

/**
 * The records of a new outcome list: an outcome defined as one already in `kept` keeps its commitment and salt (it is
 * the same outcome), any other gets a fresh salt and `source`.
 */
async function outcomeRecords(
  definitions: readonly OutcomeDefinition[],
  kept: readonly OutcomeRecord[],
  source: string,
): Promise<{ records: OutcomeRecord[]; fresh: OutcomeRecord[] }> {
  const { commit } = await import("../sdk/core/commitments");
  const fresh: OutcomeRecord[] = [];
  const records = definitions.map((definition) => {
    const same = kept.find((record) => outcomeText(record) === outcomeText(definition));
    if (same !== undefined) return { ...same, primary: definition.primary };
    const { commitment, salt } = commit(outcomeText(definition));
    const record = { ...definition, commitment, salt, source };
    fresh.push(record);
    return record;
  });
  return { records, fresh };
}

const onChain = (records: readonly OutcomeRecord[]): OutcomeInput[] =>
  records.map(({ commitment, primary }) => ({ commitment, primary }));

// ---- registration and amendments ---------------------------------------------------------------------------------

/** `--categories`: named data categories; the wildcard is refused (research names what it collects). */
async function categoriesOption(value: string): Promise<number> {
  const { ALL_CATEGORIES, parseCategories } = await import("../sdk/consent/scopes");
  const categories = parsed("categories", () => parseCategories(value));
  if (categories === ALL_CATEGORIES) {
    fail(`--categories: a trial names each category it collects (no *): ${CATEGORY_NAMES}`);
  }
  return categories;
}

/** "conditions, laboratory-results". */
async function categoryList(categories: number): Promise<string> {
  const { categoryNames } = await import("../sdk/consent/scopes");
  return categoryNames(categories).map(kebab).join(", ");
}

/** A primary completion date that lies after the time the transaction will be mined. */
async function primaryCompletionOption(hre: HardhatRuntimeEnvironment, value: string): Promise<bigint> {
  const primaryCompletion = periodEnd("primary-completion", value);
  if (primaryCompletion <= (await pendingTime(hre))) {
    fail(`--primary-completion ${iso(primaryCompletion)} is not in the future: give the planned date`);
  }
  return primaryCompletion;
}

task(
  "careledger:trial:register",
  "Research sponsor: registers a trial, its documents and pre-specified outcomes as salted commitments",
)
  .addParam("protocol", "The protocol (a file), committed to with a salt (printed: keep it with the file)")
  .addParam("plan", "The statistical analysis plan (a file), committed to with a salt (printed)")
  .addParam(
    "consentForm",
    "The consent form the ethics committee approved (a file), committed to with a salt (printed)",
  )
  .addParam(
    "outcomes",
    'The pre-specified outcomes, a JSON file [{"title": "…", "timeFrame": "…", "primary": true}, …], at least one ' +
      "primary; each is committed to with a salt",
  )
  .addParam(
    "out",
    "Where to write the trial's outcomes file (each outcome with its commitment and salt; never overwritten): keep it, " +
      "results and reports name outcomes by it",
  )
  .addParam("categories", `Comma-separated data categories the trial collects, each by name (no *): ${CATEGORY_NAMES}`)
  .addParam(
    "primaryCompletion",
    `The planned primary completion date; results are due 12 months later: ${TIME_HELP.end}`,
  )
  .addOptionalParam(
    "firstEnrolled",
    `For a trial registered after enrolling off the ledger, when the first participant was enrolled: ${TIME_HELP.start}`,
  )
  .addParam("ethicsCommittee", "Participant id of the reviewing ethics committee (IRB): an organization")
  .addParam("regulator", "Participant id of the regulator that receives the trial's safety reports")
  .addParam("randomizer", "Participant id of the randomization service: an organization or a device")
  .addParam("from", `${FROM_HELP} (an active research sponsor)`, "0")
  .setAction(
    async (
      args: {
        protocol: string;
        plan: string;
        consentForm: string;
        outcomes: string;
        out: string;
        categories: string;
        primaryCompletion: string;
        firstEnrolled?: string;
        ethicsCommittee: string;
        regulator: string;
        randomizer: string;
        from: string;
      },
      hre,
    ) => {
      const categories = await categoriesOption(args.categories);
      const primaryCompletion = await primaryCompletionOption(hre, args.primaryCompletion);
      const firstEnrolledAt = args.firstEnrolled === undefined ? 0n : periodStart("first-enrolled", args.firstEnrolled);
      if (firstEnrolledAt > (await pendingTime(hre))) {
        fail(`--first-enrolled ${iso(firstEnrolledAt)} is in the future: give when the first participant was enrolled`);
      }
      const ethicsCommittee = wholeNumber("ethics-committee", args.ethicsCommittee);
      const regulator = wholeNumber("regulator", args.regulator);
      const randomizer = wholeNumber("randomizer", args.randomizer);
      const look = await lookup(hre);
      await look.participant("ethics-committee", ethicsCommittee, ParticipantKind.Organization);
      await look.participant("regulator", regulator, ParticipantKind.Regulator);
      await look.participant("randomizer", randomizer, ParticipantKind.Organization, ParticipantKind.Device);
      const definitions = outcomeDefinitions("outcomes", args.outcomes);
      const out = freshFile("out", args.out);
      const protocol = await fileCommitment("protocol", args.protocol);
      const plan = await fileCommitment("plan", args.plan);
      const consentForm = await fileCommitment("consent-form", args.consentForm);
      const { records } = await outcomeRecords(definitions, [], "registration");
      const client = await trialsAs(hre, args.from);
      const { trialId, late, receipt } = await readable(() =>
        client.registerTrial({
          protocol: protocol.commitment,
          analysisPlan: plan.commitment,
          consentForm: consentForm.commitment,
          outcomes: onChain(records),
          categories,
          primaryCompletion,
          firstEnrolledAt,
          ethicsCommittee,
          regulator,
          randomizer,
        }),
      );
      const file: OutcomesFile = { format: OUTCOMES_FORMAT, trialId: trialId.toString(), outcomes: records };
      const written = writeJson(out, file);
      const trial = await client.trial(trialId);
      const primaries = records.filter((record) => record.primary).length;
      print(`Trial ${trialId} registered`, {
        registration: late
          ? "LATE: more than 21 days after the first enrollment (42 CFR 11.24), flagged for good"
          : "on time",
        sponsor: `participant ${trial.sponsor}`,
        protocol: withSalt(protocol),
        plan: withSalt(plan),
        consentForm: `version 1: ${withSalt(consentForm)}`,
        outcomes: `${records.length} (${primaries} primary), with their commitments and salts in ${written} (keep it)`,
        categories: await categoryList(categories),
        primaryCompletion: iso(primaryCompletion),
        resultsDue: iso(primaryCompletion + RESULTS_WINDOW),
        firstEnrolled: firstEnrolledAt === 0n ? "none yet (the first enrollment sets it)" : iso(firstEnrolledAt),
        parties: `ethics committee ${ethicsCommittee}, regulator ${regulator}, randomization service ${randomizer}`,
        next:
          `careledger:trial:site --trial ${trialId} --organization ID --investigator ID, then ` +
          `careledger:trial:randomize --trial ${trialId} --per-stratum N --out FILE`,
        ...receiptFields(receipt),
      });
    },
  );

task(
  "careledger:trial:amend",
  "Sponsor: proposes a protocol amendment (in effect once the ethics committee approves it)",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("protocol", "The amended protocol (a file), committed to with a salt (printed)")
  .addOptionalParam("plan", "A new statistical analysis plan (a file), if it changes")
  .addOptionalParam("consentForm", "A new consent form version (a file), if it changes")
  .addFlag("major", "With --consent-form: a major change: participants re-consent before more data is accepted")
  .addOptionalParam("primaryCompletion", `A new primary completion date, if it changes: ${TIME_HELP.end}`)
  .addOptionalParam(
    "outcomes",
    "The whole new outcome list, if it changes (a JSON file as for register); an outcome defined as one in " +
      "--outcomes-file keeps its commitment",
  )
  .addOptionalParam("outcomesFile", "With --outcomes: the trial's outcomes file, to which the new outcomes are added")
  .addOptionalParam("withdraw", "Instead of proposing: withdraws the pending amendment with this number")
  .addParam("from", SPONSOR, "0")
  .setAction(
    async (
      args: {
        trial: string;
        protocol?: string;
        plan?: string;
        consentForm?: string;
        major: boolean;
        primaryCompletion?: string;
        outcomes?: string;
        outcomesFile?: string;
        withdraw?: string;
        from: string;
      },
      hre,
    ) => {
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      const [, , amendments, pending] = await client.protocol.protocolOf(trial.trialId);
      if (args.withdraw !== undefined) {
        const amendment = Number(wholeNumber("withdraw", args.withdraw));
        if (amendment !== Number(pending)) {
          const which =
            pending === 0n
              ? `trial ${trial.trialId} has no amendment pending`
              : `amendment ${pending} is the one pending`;
          fail(`--withdraw ${amendment}: ${which}`);
        }
        const { receipt } = await readable(() => client.withdrawAmendment(trial.trialId, amendment));
        print(`Amendment ${amendment} to trial ${trial.trialId} withdrawn`, receiptFields(receipt));
        return;
      }
      if (args.protocol === undefined) fail("give --protocol FILE (the amended protocol), or --withdraw N");
      if (args.major && args.consentForm === undefined) fail("--major goes with --consent-form (the new form)");
      if ((args.outcomes === undefined) !== (args.outcomesFile === undefined)) {
        fail("--outcomes and --outcomes-file go together: the new list, and the trial's outcomes file it adds to");
      }
      if (pending !== 0n) {
        fail(
          `--trial ${trial.trialId} has amendment ${pending} pending: the ethics committee decides it ` +
            `(careledger:trial:approve --trial ${trial.trialId} --amendment ${pending}), or the sponsor withdraws it ` +
            `(careledger:trial:amend --trial ${trial.trialId} --withdraw ${pending})`,
        );
      }
      const primaryCompletion =
        args.primaryCompletion === undefined ? undefined : await primaryCompletionOption(hre, args.primaryCompletion);
      const kept =
        args.outcomesFile === undefined
          ? undefined
          : await loadOutcomesFile("outcomes-file", args.outcomesFile, trial.trialId);
      const definitions = args.outcomes === undefined ? undefined : outcomeDefinitions("outcomes", args.outcomes);
      const protocol = await fileCommitment("protocol", args.protocol);
      const plan = args.plan === undefined ? undefined : await fileCommitment("plan", args.plan);
      const consentForm =
        args.consentForm === undefined ? undefined : await fileCommitment("consent-form", args.consentForm);
      const amendmentId = Number(amendments) + 1;
      const outcomes =
        definitions === undefined || kept === undefined
          ? undefined
          : await outcomeRecords(definitions, kept.outcomes, `amendment ${amendmentId}`);
      const sent = await readable(() =>
        client.proposeAmendment(trial.trialId, {
          protocol: protocol.commitment,
          ...(plan === undefined ? {} : { analysisPlan: plan.commitment }),
          ...(consentForm === undefined ? {} : { consentForm: consentForm.commitment, majorConsentChange: args.major }),
          ...(primaryCompletion === undefined ? {} : { primaryCompletion }),
          ...(outcomes === undefined ? {} : { outcomes: onChain(outcomes.records) }),
        }),
      );
      let outcomesLine = "unchanged";
      if (outcomes !== undefined && kept !== undefined && args.outcomesFile !== undefined) {
        const fresh = outcomes.fresh.map((record) => ({ ...record, source: `amendment ${sent.amendmentId}` }));
        const written = writeJson(args.outcomesFile, { ...kept, outcomes: [...kept.outcomes, ...fresh] });
        const added = fresh.length === 0 ? "none new" : `${fresh.length} new (salts added to ${written})`;
        outcomesLine =
          `${outcomes.records.length} in the new list, ${added}: ` +
          `pre-specified ${trial.unblindedAt !== 0n || trial.lockedAt !== 0n ? "stay as they were (the trial was unblinded or locked)" : "once approved"}`;
      }
      print(`Amendment ${sent.amendmentId} to trial ${trial.trialId} proposed: awaiting the ethics committee`, {
        protocol: withSalt(protocol),
        plan: plan === undefined ? "unchanged" : withSalt(plan),
        consentForm:
          consentForm === undefined
            ? "unchanged"
            : `${withSalt(consentForm)}, ${args.major ? "a major change: every participant re-consents" : "a minor change"}`,
        primaryCompletion: primaryCompletion === undefined ? "unchanged" : iso(primaryCompletion),
        outcomes: outcomesLine,
        next:
          `careledger:trial:approve --trial ${trial.trialId} --amendment ${sent.amendmentId} ` +
          "--from <the ethics committee>",
        ...receiptFields(sent.receipt),
      });
    },
  );

task("careledger:trial:approve", "Ethics committee: approves a pending amendment, or rejects it (--reject --reason)")
  .addParam("trial", "Trial id")
  .addParam("amendment", "The amendment's number, as trial:amend printed it")
  .addFlag("reject", "Reject it instead (with --reason)")
  .addOptionalParam("reason", reasonHelp("With --reject: why", OVERSIGHT))
  .addParam("from", `${FROM_HELP} (the trial's ethics committee)`, "0")
  .setAction(
    async (args: { trial: string; amendment: string; reject: boolean; reason?: string; from: string }, hre) => {
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      const amendmentId = Number(wholeNumber("amendment", args.amendment));
      if (args.reject && args.reason === undefined) fail("--reject needs --reason CODE: why the amendment is rejected");
      if (!args.reject && args.reason !== undefined) fail("--reason goes with --reject");
      const reason = args.reason === undefined ? 0 : requiredReason("reason", args.reason, OVERSIGHT);
      const [, , amendments] = await client.protocol.protocolOf(trial.trialId);
      if (amendmentId === 0 || BigInt(amendmentId) > amendments) {
        fail(
          `--amendment ${amendmentId}: trial ${trial.trialId} has no amendment ${amendmentId} ` +
            `(${numbered(Number(amendments), "amendment")}); careledger:trial:amend proposes one`,
        );
      }
      const status = await client.amendmentStatus(trial.trialId, amendmentId);
      if (status !== TrialAmendmentStatus.Proposed) {
        fail(`--amendment ${amendmentId} of trial ${trial.trialId} is ${named(TrialAmendmentStatus, status)} already`);
      }
      if (args.reject) {
        const { receipt } = await readable(() => client.rejectAmendment(trial.trialId, amendmentId, reason));
        print(`Amendment ${amendmentId} to trial ${trial.trialId} rejected`, {
          reason: codeName(reason, OVERSIGHT),
          ...receiptFields(receipt),
        });
        return;
      }
      const { consentVersion, receipt } = await readable(() => client.approveAmendment(trial.trialId, amendmentId));
      const amendment = await client.protocol.amendment(trial.trialId, amendmentId);
      const [primaryCompletion, due] = await client.protocol.resultsDeadline(trial.trialId);
      const consent =
        amendment.consentForm === ZERO
          ? `unchanged, version ${consentVersion}`
          : amendment.majorConsentChange
            ? `version ${consentVersion}, a major change: no data is accepted for a participant until they re-consent ` +
              `(careledger:trial:reconsent --trial ${trial.trialId} --patient ID)`
            : `version ${consentVersion}, a minor change`;
      const marked = [
        ...(amendment.approvedAfterUnblinding ? ["after unblinding"] : []),
        ...(amendment.approvedAfterLock ? ["after the database lock"] : []),
      ];
      print(`Amendment ${amendmentId} to trial ${trial.trialId} approved: in effect`, {
        consentForm: consent,
        outcomes: !amendment.changesOutcomes
          ? "unchanged"
          : marked.length === 0
            ? "changed: the new list is the pre-specified one"
            : `changed ${marked.join(" and ")}: marked for good, the pre-specified outcomes stay`,
        primaryCompletion: `${iso(primaryCompletion)}, results due ${iso(due)}`,
        ...receiptFields(receipt),
      });
    },
  );

// ---- sites -------------------------------------------------------------------------------------------------------

task(
  "careledger:trial:site",
  "Sites: the sponsor proposes one (--organization, --investigator); the ethics committee activates it; either " +
    "suspends or closes it",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("organization", "To propose a site: the hospital or clinic's participant id (an organization)")
  .addOptionalParam("investigator", "To propose a site: the principal investigator's id, a practitioner of it")
  .addOptionalParam("activate", "The ethics committee: activates site N (proposed or suspended); it then enrolls")
  .addOptionalParam(
    "suspend",
    "The ethics committee or sponsor: suspends site N (with --reason); follow-up data goes on",
  )
  .addOptionalParam("close", "The ethics committee or sponsor: closes site N for good (with --reason)")
  .addOptionalParam("reason", reasonHelp("With --suspend or --close: why", OVERSIGHT))
  .addParam(
    "from",
    `${FROM_HELP} (the sponsor to propose, the ethics committee to activate, either to suspend or close)`,
    "0",
  )
  .setAction(
    async (
      args: {
        trial: string;
        organization?: string;
        investigator?: string;
        activate?: string;
        suspend?: string;
        close?: string;
        reason?: string;
        from: string;
      },
      hre,
    ) => {
      const propose = args.organization !== undefined || args.investigator !== undefined;
      const actions = [propose, args.activate, args.suspend, args.close].filter((a) => a !== undefined && a !== false);
      if (actions.length !== 1) {
        fail("give one of --organization with --investigator (propose), --activate N, --suspend N or --close N");
      }
      const closing = args.suspend ?? args.close;
      if (closing === undefined && args.reason !== undefined) fail("--reason goes with --suspend or --close");
      if (closing !== undefined && args.reason === undefined) {
        fail(`--${args.suspend !== undefined ? "suspend" : "close"} needs --reason CODE: why`);
      }
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      if (propose) {
        await proposeSite(hre, client, trial, args.organization, args.investigator);
        return;
      }
      const option = args.activate !== undefined ? "activate" : args.suspend !== undefined ? "suspend" : "close";
      const { site, info } = await siteOption(client, trial, args.activate ?? closing ?? "", option);
      const status = named(SiteStatus, info.status);
      if (info.status === SiteStatus.Closed) fail(`--${option} ${site}: site ${site} is closed for good`);
      if (option === "activate") {
        if (info.status === SiteStatus.Active) fail(`--activate ${site}: site ${site} is active already`);
        requireUnlocked(trial, "site activation");
        const { receipt } = await readable(() => client.activateSite(trial.trialId, site));
        print(`Site ${site} of trial ${trial.trialId} active: it enrolls`, {
          organization: `participant ${info.organization}`,
          investigator: `participant ${info.investigator}`,
          ...receiptFields(receipt),
        });
        return;
      }
      if (option === "suspend" && info.status !== SiteStatus.Active) {
        fail(`--suspend ${site}: site ${site} is ${status}, not active: only an active site is suspended`);
      }
      const reason = requiredReason("reason", args.reason ?? "", OVERSIGHT);
      const { receipt } =
        option === "suspend"
          ? await readable(() => client.suspendSite(trial.trialId, site, reason))
          : await readable(() => client.closeSite(trial.trialId, site, reason));
      print(`Site ${site} of trial ${trial.trialId} ${option === "suspend" ? "suspended" : "closed"}`, {
        reason: codeName(reason, OVERSIGHT),
        effect:
          option === "suspend"
            ? `it enrolls no one; its participants' follow-up data goes on (reactivate: --activate ${site})`
            : "for good: no enrollment and no data",
        ...receiptFields(receipt),
      });
    },
  );

async function proposeSite(
  hre: HardhatRuntimeEnvironment,
  client: TrialsClient,
  trial: TrialInfo,
  organizationValue: string | undefined,
  investigatorValue: string | undefined,
): Promise<void> {
  if (organizationValue === undefined || investigatorValue === undefined) {
    fail("--organization and --investigator go together: the site and its principal investigator");
  }
  const organization = wholeNumber("organization", organizationValue);
  const investigator = wholeNumber("investigator", investigatorValue);
  const look = await lookup(hre);
  await look.participant("organization", organization, ParticipantKind.Organization);
  await look.participant("investigator", investigator, ParticipantKind.Practitioner);
  const { IdentityClient } = await import("../sdk/identity/client");
  const { affiliation } = await IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre)).participant(
    investigator,
  );
  if (affiliation !== organization) {
    fail(
      `--investigator ${investigator} acts for ${affiliation === 0n ? "no organization" : `organization ${affiliation}`}, ` +
        `not ${organization}: a registrar offers them to it (careledger:identity:offer-affiliate) and it accepts`,
    );
  }
  requireUnlocked(trial, "new site");
  const { site, receipt } = await readable(() => client.proposeSite(trial.trialId, organization, investigator));
  print(`Site ${site} of trial ${trial.trialId} proposed: organization ${organization}, investigator ${investigator}`, {
    next: `careledger:trial:site --trial ${trial.trialId} --activate ${site} --from <the ethics committee>`,
    ...receiptFields(receipt),
  });
}

// ---- randomization -----------------------------------------------------------------------------------------------

/** `--ratio 2:1`: one positive weight per arm. */
function ratioOption(value: string, arms: number): number[] {
  const weights = value.split(":").map((part) => part.trim());
  if (weights.length !== arms || weights.some((weight) => !/^[1-9]\d{0,5}$/.test(weight))) {
    fail(`--ratio must be ${arms} positive whole weights separated by ":" (one per arm, e.g. 1:1), got "${value}"`);
  }
  return weights.map(Number);
}

/** `--block-sizes 4,8`: each a positive multiple of the ratio's sum. */
function blockSizesOption(value: string, ratio: readonly number[]): number[] {
  const weight = ratio.reduce((a, b) => a + b, 0);
  const sizes = value.split(",").map((part) => part.trim());
  if (sizes.some((size) => !/^[1-9]\d{0,5}$/.test(size) || Number(size) % weight !== 0)) {
    fail(`--block-sizes must be comma-separated multiples of the ratio's sum (${weight}), got "${value}"`);
  }
  return sizes.map(Number);
}

/**
 * Commits an allocation root with its shape. `TrialsClient.commitAllocation` takes a whole generated sequence; a root
 * generated elsewhere (`--root`) has only these three, hence this helper over the registry's function.
 */
async function commitRoot(
  client: TrialsClient,
  trialId: bigint,
  sequence: Pick<AllocationSequence, "root" | "strata" | "perStratum">,
): Promise<{ receipt: { gasUsed: bigint; hash: string } }> {
  const { mined } = await import("../sdk/core/transactions");
  const { root, strata, perStratum } = sequence;
  return { receipt: await mined(() => client.registry.commitAllocation(trialId, root, strata, perStratum)) };
}

/** Refuses `--from` unless it is the key of the trial's sponsor (before a file of secrets is written for nothing). */
async function requireSponsorKey(hre: HardhatRuntimeEnvironment, trial: TrialInfo, from: string): Promise<void> {
  const { IdentityClient } = await import("../sdk/identity/client");
  const address = await (await signerFor(hre, from)).getAddress();
  const id = await IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre)).idOf(address);
  if (id !== trial.sponsor) {
    fail(
      `--from ${from}: ${address} is not the key of trial ${trial.trialId}'s sponsor (participant ${trial.sponsor})`,
    );
  }
}

task(
  "careledger:trial:randomize",
  "Sponsor: generates the concealed allocation sequence, writes it owner-only, and commits its root",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("perStratum", "How many participants each stratum's sequence holds (the most it enrolls)")
  .addParam("strata", "How many randomization strata (1 to 255), each with its own sequence", "1")
  .addParam("arms", "How many arms (2 to 255)", "2")
  .addOptionalParam("ratio", "The allocation ratio, one weight per arm, e.g. 2:1 (default: equal)")
  .addOptionalParam(
    "blockSizes",
    "Comma-separated permuted block sizes, drawn at random, each a multiple of the ratio's sum (default: the sum and " +
      "twice it)",
  )
  .addOptionalParam(
    "out",
    "Where to write the allocation file (mode 0600, never overwritten): it holds every arm; hand it to the " +
      "randomization service only, never print it",
  )
  .addFlag("noCommit", "Only generate and write the file (on the randomization service's machine); print the root")
  .addOptionalParam("root", "Instead of generating: commits a root generated elsewhere (with --strata, --per-stratum)")
  .addParam("from", SPONSOR, "0")
  .setAction(
    async (
      args: {
        trial: string;
        perStratum?: string;
        strata: string;
        arms: string;
        ratio?: string;
        blockSizes?: string;
        out?: string;
        noCommit: boolean;
        root?: string;
        from: string;
      },
      hre,
    ) => {
      if (args.perStratum === undefined) fail("give --per-stratum N: how many participants each stratum holds");
      const perStratum = Number(bounded("per-stratum", args.perStratum, 1n, MAX_PER_STRATUM));
      const strata = Number(bounded("strata", args.strata, 1n, 255n));
      if ((args.root === undefined) === (args.out === undefined)) {
        fail("give --out FILE (generate a sequence) or --root HEX (commit one generated elsewhere)");
      }
      if (args.root !== undefined && args.noCommit) fail("--no-commit goes with --out: --root only commits");
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      if (!args.noCommit) {
        requireUnlocked(trial, "allocation");
        if (trial.enrolled > 0) {
          fail(`--trial ${trial.trialId} has ${trial.enrolled} enrolled: its allocation sequence is fixed for good`);
        }
        await requireSponsorKey(hre, trial, args.from);
      }
      let sequence: Pick<AllocationSequence, "root" | "strata" | "perStratum" | "arms">;
      let file: string | undefined;
      let blocks = "";
      if (args.root !== undefined) {
        const root = bytes32("root", args.root);
        if (root === ZERO) fail("--root must not be zero");
        sequence = { root, strata, perStratum, arms: 0 };
      } else {
        const arms = Number(bounded("arms", args.arms, 2n, 255n));
        const ratio = args.ratio === undefined ? Array<number>(arms).fill(1) : ratioOption(args.ratio, arms);
        const weight = ratio.reduce((a, b) => a + b, 0);
        const blockSizes =
          args.blockSizes === undefined ? [weight, 2 * weight] : blockSizesOption(args.blockSizes, ratio);
        const out = freshFile("out", args.out ?? "");
        const { generateAllocation, dumpAllocation } = await import("../sdk/trials/allocation");
        const generated = parsed("per-stratum", () =>
          generateAllocation({ trialId: trial.trialId, arms, strata, perStratum, ratio, blockSizes }),
        );
        // Written before the root is committed: a committed root whose sequence was lost could never be revealed.
        file = writeOwnerOnly("out", out, dumpAllocation(generated));
        sequence = generated;
        blocks = `permuted blocks of ${oneOf(blockSizes.map(String))}, ratio ${ratio.join(":")}`;
      }
      const shape = `${strata} ${strata === 1 ? "stratum" : "strata"} of ${perStratum}`;
      const fileField =
        file === undefined
          ? {}
          : { file: `${file} (mode 0600: every arm is in it; the randomization service keeps it, nobody else)` };
      if (args.noCommit) {
        print(`Allocation sequence for trial ${trial.trialId} generated: ${sequence.arms} arms, ${shape}`, {
          root: sequence.root,
          ...fileField,
          blocks,
          next:
            `the sponsor commits it: careledger:trial:randomize --trial ${trial.trialId} --root ${sequence.root} ` +
            `--strata ${strata} --per-stratum ${perStratum} --from <the sponsor>`,
        });
        return;
      }
      const { receipt } = await readable(() => commitRoot(client, trial.trialId, sequence));
      print(
        `Allocation of trial ${trial.trialId} committed: ${sequence.arms === 0 ? "" : `${sequence.arms} arms, `}${shape}`,
        {
          root: sequence.root,
          ...fileField,
          ...(blocks === "" ? {} : { blocks }),
          next:
            `enroll: careledger:trial:enroll --trial ${trial.trialId} --site N --patient ID --stratum S; the ` +
            `randomization service then reveals each: careledger:trial:reveal --trial ${trial.trialId} --patient ID ` +
            "--allocation FILE",
          ...receiptFields(receipt),
        },
      );
    },
  );

// ---- consent signatures and enrollment ---------------------------------------------------------------------------

/** What `trial:sign-consent` writes: a participant's EIP-712 signature of a consent form version, for the site. */
interface SignatureFile {
  format: typeof CONSENT_FORMAT;
  trialId: string;
  patient: string;
  /** The site where the participant consents (re-consenting: the site that enrolled them); the signature names it. */
  site: number;
  version: number;
  nonce: number;
  document: string;
  deadline: string;
  signer: string;
  signature: string;
}

/** Why `address` may not sign for `patient` (it is neither the patient's key nor an active representative's). */
async function notPatientActor(
  hre: HardhatRuntimeEnvironment,
  patient: bigint,
  address: string,
): Promise<string | undefined> {
  const { IdentityClient } = await import("../sdk/identity/client");
  const identity = IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre));
  const id = await identity.idOf(address);
  if (id === 0n) return `${address} controls no participant`;
  if (id === patient || (await identity.registry.isRepresentative(patient, id))) return undefined;
  return `${address} is participant ${id}, neither patient ${patient} nor an active representative of theirs`;
}

/** The options that give a participant's signature: a signature file, or a network account that signs here. */
interface SignatureArgs {
  signatureFile?: string;
  signer?: string;
  signedForm?: string;
}

/**
 * The participant's consent signature of the trial's current version at `site` with their current nonce: read from
 * `--signature-file` and checked against the chain, or made here by `--signer` (an account of this network) over
 * `--signed-form`. Returns it and a line saying how it was given.
 */
async function consentSignature(
  hre: HardhatRuntimeEnvironment,
  client: TrialsClient,
  trial: TrialInfo,
  patient: bigint,
  { site, nonce }: { site: number; nonce: number },
  args: SignatureArgs,
): Promise<{ consent: ConsentSignatureInput; how: string }> {
  if ((args.signatureFile === undefined) === (args.signer === undefined)) {
    fail(
      "give --signature-file FILE (the participant's, from careledger:trial:sign-consent) or, for local use, " +
        "--signer ACCOUNT with --signed-form FILE",
    );
  }
  if (args.signer !== undefined) {
    if (args.signedForm === undefined) fail("--signer needs --signed-form FILE: the consent form as signed");
    const { accountAddress, networkSigner } = await import("./util");
    const address = await accountAddress(hre, "signer", args.signer);
    const key = await networkSigner(hre, address);
    if (key === undefined) {
      fail(
        `--signer ${args.signer}: ${address} is not an account of network ${hre.network.name}: the participant signs ` +
          "on their own machine with careledger:trial:sign-consent; give its file as --signature-file",
      );
    }
    const problem = await notPatientActor(hre, patient, address);
    if (problem !== undefined) fail(`--signer ${args.signer}: ${problem}`);
    const form = await fileCommitment("signed-form", args.signedForm);
    const deadline = (await pendingTime(hre)) + 3_600n;
    const consent = await readable(() =>
      client.signConsent(key, trial.trialId, patient, form.commitment, deadline, site),
    );
    return { consent, how: `signed here by ${address}; signed form ${withSalt(form, "keep it with the signed form")}` };
  }
  if (args.signedForm !== undefined) fail("--signed-form goes with --signer: a signature file commits to its form");
  const file = args.signatureFile ?? "";
  const data = readJson("signature-file", file) as Partial<SignatureFile> | null;
  if (data?.format !== CONSENT_FORMAT || typeof data.signature !== "string" || typeof data.signer !== "string") {
    fail(`--signature-file ${file}: not a consent signature (careledger:trial:sign-consent --out writes one)`);
  }
  if (data.trialId !== trial.trialId.toString() || data.patient !== patient.toString()) {
    fail(
      `--signature-file ${file} is patient ${String(data.patient)}'s consent to trial ${String(data.trialId)}, not ` +
        `patient ${patient}'s to trial ${trial.trialId}`,
    );
  }
  const again =
    `the participant signs again with careledger:trial:sign-consent --trial ${trial.trialId} --patient ${patient} ` +
    `--site ${site}`;
  if (data.site !== site) {
    fail(`--signature-file ${file} consents at site ${String(data.site)}, not at site ${site}: ${again}`);
  }
  if (data.version !== trial.consentVersion) {
    fail(
      `--signature-file ${file} signs consent form version ${String(data.version)}; trial ${trial.trialId}'s ` +
        `current version is ${trial.consentVersion}: ${again}`,
    );
  }
  if (data.nonce !== nonce) fail(`--signature-file ${file} was used already, or voided: ${again}`);
  const deadline = BigInt(data.deadline ?? "0");
  if (deadline < (await pendingTime(hre))) fail(`--signature-file ${file} expired at ${iso(deadline)}: ${again}`);
  const problem = await notPatientActor(hre, patient, data.signer);
  if (problem !== undefined) fail(`--signature-file ${file}: ${problem}`);
  return {
    consent: {
      version: data.version,
      document: bytes32("signature-file", data.document ?? ""),
      deadline,
      signer: data.signer,
      signature: data.signature,
    },
    how: `the signature file of ${data.signer} (document ${String(data.document)})`,
  };
}

function signatureOptions<T extends ReturnType<typeof task>>(definition: T): T {
  definition
    .addOptionalParam(
      "signatureFile",
      "The participant's signature, as careledger:trial:sign-consent wrote it on the patient's (or representative's) side",
    )
    .addOptionalParam("signer", SIGNER_HELP)
    .addOptionalParam("signedForm", `With --signer: ${SIGNED_FORM}`);
  return definition;
}

task(
  "careledger:trial:sign-consent",
  "Patient or representative: signs the trial's current consent form version for the site where they consent",
)
  .addParam("trial", "Trial id")
  .addParam("patient", "Patient id")
  .addOptionalParam(
    "site",
    "The site where the participant consents, which alone may use the signature (re-consenting: the site that " +
      "enrolled them, the default)",
  )
  .addParam("signedForm", SIGNED_FORM)
  .addParam("hours", "Hours the signature stays valid (1 to 720)", "72")
  .addParam(
    "out",
    "Where to write the signature file to hand the site (trial:enroll or trial:reconsent --signature-file)",
  )
  .addParam("from", PATIENT_KEY, "0")
  .setAction(
    async (
      args: {
        trial: string;
        patient: string;
        site?: string;
        signedForm: string;
        hours: string;
        out: string;
        from: string;
      },
      hre,
    ) => {
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      requireUnlocked(trial, "consent");
      const patient = wholeNumber("patient", args.patient);
      await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
      const hours = bounded("hours", args.hours, 1n, 720n);
      const subject = await client.subject(trial.trialId, patient);
      if (subject.status === SubjectStatus.Withdrawn) fail(`--patient ${patient} withdrew from trial ${trial.trialId}`);
      const enrolled = subject.status === SubjectStatus.Enrolled;
      if (enrolled && subject.consentedVersion === trial.consentVersion) {
        fail(`--patient ${patient} signed consent form version ${trial.consentVersion}, the current one, already`);
      }
      if (!enrolled && args.site === undefined) fail("give --site N: the site where the participant consents");
      const site = args.site === undefined ? subject.site : (await siteOption(client, trial, args.site)).site;
      if (enrolled && site !== subject.site) {
        fail(`--site ${site}: patient ${patient} was enrolled at site ${subject.site}, where they re-consent`);
      }
      const key = await signerFor(hre, args.from);
      const address = await key.getAddress();
      const problem = await notPatientActor(hre, patient, address);
      if (problem !== undefined) fail(`--from ${args.from}: ${problem}`);
      const out = freshFile("out", args.out);
      const form = await fileCommitment("signed-form", args.signedForm);
      const deadline = (await pendingTime(hre)) + hours * 3_600n;
      const consent = await readable(() =>
        client.signConsent(key, trial.trialId, patient, form.commitment, deadline, site),
      );
      const file: SignatureFile = {
        format: CONSENT_FORMAT,
        trialId: trial.trialId.toString(),
        patient: patient.toString(),
        site,
        version: consent.version,
        nonce: subject.nonce,
        document: consent.document,
        deadline: deadline.toString(),
        signer: consent.signer,
        signature: consent.signature,
      };
      print(
        `Patient ${patient} signed consent form version ${consent.version} of trial ${trial.trialId} for site ${site}`,
        {
          signer: address,
          signedForm: withSalt(form, "keep it with the signed form"),
          validUntil: iso(deadline),
          file: `${writeJson(out, file)}: hand it to site ${site}`,
          next: enrolled
            ? `careledger:trial:reconsent --trial ${trial.trialId} --patient ${patient} --signature-file FILE`
            : `careledger:trial:enroll --trial ${trial.trialId} --site ${site} --patient ${patient} ` +
              "--signature-file FILE --from <the site's investigator>",
        },
      );
    },
  );

/** Refuses a patient whose consent registry does not allow the sponsor research use of every trial category. */
async function requireResearchGrant(hre: HardhatRuntimeEnvironment, trial: TrialInfo, patient: bigint): Promise<void> {
  const { ConsentClient } = await import("../sdk/consent/client");
  const { DecisionBasis } = await import("../sdk/consent/scopes");
  const registry = ConsentClient.connect(hre.ethers.provider, await deploymentOf(hre)).registry;
  const [allowed, category, basis] = await registry.decideCategories(
    patient,
    trial.sponsor,
    trial.categories,
    Purpose.Research,
  );
  if (allowed) return;
  fail(
    `--patient ${patient} does not allow sponsor ${trial.sponsor} research use of ` +
      `${named(DataCategory, Number(category))} (${named(DecisionBasis, Number(basis))}): the patient grants it with ` +
      `careledger:consent:grant --patient ${patient} --grantee ${trial.sponsor} --categories ` +
      `${(await categoryList(trial.categories)).replace(/, /g, ",")} --purposes research`,
  );
}

signatureOptions(
  task(
    "careledger:trial:enroll",
    "Site investigator: enrolls a patient who signed the current consent form; takes the stratum's next allocation",
  ),
)
  .addParam("trial", "Trial id")
  .addParam("site", "The site's number")
  .addParam("patient", "Patient id")
  .addParam("stratum", "The participant's randomization stratum, from 0", "0")
  .addParam("from", INVESTIGATOR, "0")
  .setAction(
    async (
      args: SignatureArgs & { trial: string; site: string; patient: string; stratum: string; from: string },
      hre,
    ) => {
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      requireUnlocked(trial, "enrollment");
      if (trial.strata === 0) {
        fail(
          `--trial ${trial.trialId} has no allocation sequence yet: the sponsor commits one first ` +
            `(careledger:trial:randomize --trial ${trial.trialId} --per-stratum N --out FILE)`,
        );
      }
      const { site, info } = await siteOption(client, trial, args.site);
      if (info.status !== SiteStatus.Active) {
        fail(
          `--site ${site} is ${named(SiteStatus, info.status)}: only an active site enrolls` +
            (info.status === SiteStatus.Closed
              ? ""
              : ` (the ethics committee activates it: careledger:trial:site --trial ${trial.trialId} --activate ${site})`),
        );
      }
      const stratum = Number(wholeNumber("stratum", args.stratum));
      if (stratum >= trial.strata) {
        const strata = trial.strata === 1 ? "only stratum 0" : `strata 0 to ${trial.strata - 1}`;
        fail(`--stratum ${stratum}: trial ${trial.trialId}'s allocation has ${strata}`);
      }
      const next = Number(await client.registry.nextAllocationIndex(trial.trialId, stratum));
      if (next >= trial.perStratum) {
        fail(`--stratum ${stratum} is full: all ${trial.perStratum} allocations of its sequence are taken`);
      }
      const patient = wholeNumber("patient", args.patient);
      await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
      const subject = await client.subject(trial.trialId, patient);
      if (subject.status !== SubjectStatus.None) {
        fail(
          `--patient ${patient} ${subject.status === SubjectStatus.Enrolled ? "is enrolled already" : "withdrew"} ` +
            `in trial ${trial.trialId} (site ${subject.site}): a patient is enrolled once`,
        );
      }
      await requireResearchGrant(hre, trial, patient);
      const { consent, how } = await consentSignature(
        hre,
        client,
        trial,
        patient,
        { site, nonce: subject.nonce },
        args,
      );
      const { index, receipt } = await readable(() => client.enroll(trial.trialId, site, patient, stratum, consent));
      print(
        `Patient ${patient} enrolled in trial ${trial.trialId} at site ${site}: stratum ${stratum}, allocation ${index}`,
        {
          consent: `version ${consent.version}, ${how}`,
          arm:
            "concealed; the randomization service reveals the allocation: careledger:trial:reveal " +
            `--trial ${trial.trialId} --patient ${patient} --allocation FILE`,
          ...receiptFields(receipt),
        },
      );
    },
  );

signatureOptions(
  task(
    "careledger:trial:reconsent",
    "Anyone (the site, usually): records an enrolled participant's signature of the current consent form version",
  ),
)
  .addParam("trial", "Trial id")
  .addParam("patient", "Patient id")
  .addParam("from", `${FROM_HELP} (anyone relays it: the site, usually)`, "0")
  .setAction(async (args: SignatureArgs & { trial: string; patient: string; from: string }, hre) => {
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    requireUnlocked(trial, "re-consent");
    const { patient, subject } = await participantOption(client, trial, args.patient, "enrolled");
    if (subject.consentedVersion === trial.consentVersion) {
      fail(`--patient ${patient} signed consent form version ${trial.consentVersion}, the current one, already`);
    }
    const signed = { site: subject.site, nonce: subject.nonce };
    const { consent, how } = await consentSignature(hre, client, trial, patient, signed, args);
    const { receipt } = await readable(() => client.reconsent(trial.trialId, patient, consent));
    print(`Patient ${patient} re-consented to trial ${trial.trialId}: consent form version ${consent.version}`, {
      consent: how,
      data: "accepted for them again",
      ...receiptFields(receipt),
    });
  });

task("careledger:trial:withdraw", "Patient, representative or site investigator: withdraws a participant for good")
  .addParam("trial", "Trial id")
  .addParam("patient", "Patient id")
  .addParam("reason", reasonHelp("Why (0 for none: a participant never owes one)", WITHDRAWAL), "0")
  .addParam("from", `${FROM_HELP} (the patient's key, an active representative's, or the site's investigator)`, "0")
  .setAction(async (args: { trial: string; patient: string; reason: string; from: string }, hre) => {
    const reason = reasonCode("reason", args.reason, WITHDRAWAL);
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    const { patient } = await participantOption(client, trial, args.patient, "enrolled");
    const { receipt } = await readable(() => client.withdraw(trial.trialId, patient, reason));
    print(`Patient ${patient} withdrawn from trial ${trial.trialId}`, {
      reason: reason === 0 ? "none given" : codeName(reason, WITHDRAWAL),
      effect: "no data is accepted for them from now on; what was recorded stays",
      ...receiptFields(receipt),
    });
  });

// ---- allocation reveal and emergency unblinding ------------------------------------------------------------------

/** The allocation file (`trial:randomize --out`), refused if others can read it, or if it is not the trial's. */
async function allocationOption(option: string, file: string, trial: TrialInfo): Promise<AllocationSequence> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    readError(option, file, error);
  }
  // Windows has no such permission bits (Node reports 0o666): there the file system's ACLs are what protect it.
  if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
    fail(`--${option} ${file} can be read by other users (mode ${mode}): it holds every arm; run chmod 600 ${file}`);
  }
  const data = readJson(option, file) as Partial<AllocationFile> | null;
  if (data?.format !== "careledger-allocation/1") {
    fail(`--${option} ${file}: not an allocation file (careledger:trial:randomize --out writes one)`);
  }
  if (data.trialId !== trial.trialId.toString()) {
    fail(`--${option} ${file} is trial ${String(data.trialId)}'s allocation, not trial ${trial.trialId}'s`);
  }
  const { loadAllocation } = await import("../sdk/trials/allocation");
  const sequence = parsed(option, () => loadAllocation(data as AllocationFile));
  if (sequence.root.toLowerCase() !== trial.allocationRoot.toLowerCase()) {
    fail(
      `--${option} ${file}: its root ${sequence.root} is not the one trial ${trial.trialId} committed ` +
        `(${trial.allocationRoot === ZERO ? "none yet" : trial.allocationRoot})`,
    );
  }
  return sequence;
}

task(
  "careledger:trial:reveal",
  "Randomization service: reveals an enrolled participant's allocation, proven against the committed root",
)
  .addParam("trial", "Trial id")
  .addParam("patient", "Patient id")
  .addParam("allocation", "The allocation file careledger:trial:randomize wrote (mode 0600)")
  .addParam("from", `${FROM_HELP} (the trial's randomization service)`, "0")
  .setAction(async (args: { trial: string; patient: string; allocation: string; from: string }, hre) => {
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    const sequence = await allocationOption("allocation", args.allocation, trial);
    const { patient, subject } = await participantOption(client, trial, args.patient, "ever");
    if (subject.revealed) fail(`--patient ${patient}'s allocation in trial ${trial.trialId} is revealed already`);
    const { armCommitment, receipt } = await readable(() => client.reveal(trial.trialId, patient, sequence));
    print(
      `Allocation of patient ${patient} in trial ${trial.trialId} revealed: stratum ${subject.stratum}, ` +
        `allocation ${subject.allocationIndex}`,
      {
        armCommitment: `${armCommitment} (the arm stays concealed until it is disclosed)`,
        ...receiptFields(receipt),
      },
    );
  });

task(
  "careledger:trial:unblind",
  "Site investigator: records an emergency unblinding of one participant (the arm comes from the randomization service)",
)
  .addParam("trial", "Trial id")
  .addParam("patient", "Patient id")
  .addParam("reason", reasonHelp("Why", UNBLINDING))
  .addParam("from", `${FROM_HELP} (the investigator of the participant's site)`, "0")
  .setAction(async (args: { trial: string; patient: string; reason: string; from: string }, hre) => {
    const reason = requiredReason("reason", args.reason, UNBLINDING);
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    const { patient, subject } = await participantOption(client, trial, args.patient, "ever");
    if (!subject.revealed) {
      fail(
        `--patient ${patient}'s allocation in trial ${trial.trialId} is not revealed yet: the randomization service ` +
          `reveals it first (careledger:trial:reveal --trial ${trial.trialId} --patient ${patient})`,
      );
    }
    const { receipt } = await readable(() => client.unblind(trial.trialId, patient, reason));
    print(`Patient ${patient} of trial ${trial.trialId} unblinded in an emergency`, {
      reason: codeName(reason, UNBLINDING),
      arm: "from the randomization service, off the ledger; the trial stays blinded for everyone else",
      ...receiptFields(receipt),
    });
  });

// ---- case-report data ----------------------------------------------------------------------------------------------

interface DataEntryLine {
  patient: bigint;
  entry: string;
  salt?: string;
  file?: string;
}

/** The entries of `--entries`: each a patient and an entry file (committed to with a salt) or a commitment. */
async function dataEntries(file: string): Promise<DataEntryLine[]> {
  const { commit } = await import("../sdk/core/commitments");
  const data = readJson("entries", file);
  const shape = '[{"patient": 7, "entryFile": "visit-1.json"} or {"patient": 7, "commitment": "0x…"}, …]';
  if (!Array.isArray(data) || data.length === 0) fail(`--entries ${file}: not a list of entries: ${shape}`);
  return (data as unknown[]).map((item, index): DataEntryLine => {
    const at = `--entries ${file}: entry ${index + 1}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) fail(`${at} is not an object: ${shape}`);
    const { patient, entryFile, commitment } = item as Record<string, unknown>;
    const id = typeof patient === "number" || typeof patient === "string" ? String(patient).trim() : "";
    if (!/^\d+$/.test(id) || BigInt(id) === 0n) fail(`${at}: "patient" must be a patient id`);
    if ((entryFile === undefined) === (commitment === undefined)) fail(`${at}: give "entryFile" or "commitment"`);
    if (commitment !== undefined) {
      if (typeof commitment !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(commitment) || BigInt(commitment) === 0n) {
        fail(`${at}: "commitment" must be 32 bytes of hex, not zero`);
      }
      return { patient: BigInt(id), entry: commitment.toLowerCase() };
    }
    if (typeof entryFile !== "string") fail(`${at}: "entryFile" must be a path`);
    const target = besides(file, entryFile);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      fail(`${at}: ${entryFile}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
    }
    const { commitment: entry, salt } = commit(bytes);
    return { patient: BigInt(id), entry, salt, file: target };
  });
}

task(
  "careledger:trial:data",
  "Site investigator: anchors a batch of case-report data, a Merkle root over salted entries",
)
  .addParam("trial", "Trial id")
  .addParam("site", "The site's number")
  .addParam(
    "entries",
    'A JSON file of entries: [{"patient": 7, "entryFile": "visit-1.json"} or {"patient": 7, "commitment": "0x…"}, ' +
      "…]; an entry file (relative to the JSON file) is committed to with a salt",
  )
  .addParam("out", "Where to write the batch file (each entry's commitment, salt and proof; never overwritten)")
  .addParam("from", INVESTIGATOR, "0")
  .setAction(async (args: { trial: string; site: string; entries: string; out: string; from: string }, hre) => {
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    requireUnlocked(trial, "data");
    const { site, info } = await siteOption(client, trial, args.site);
    if (info.status !== SiteStatus.Active && info.status !== SiteStatus.Suspended) {
      fail(`--site ${site} is ${named(SiteStatus, info.status)}: only an active or suspended site anchors data`);
    }
    const entries = await dataEntries(args.entries);
    for (const patient of [...new Set(entries.map((line) => line.patient))]) {
      const subject = await client.subject(trial.trialId, patient);
      const at = `--entries ${args.entries}: patient ${patient}`;
      if (subject.status === SubjectStatus.None) fail(`${at} is not a participant of trial ${trial.trialId}`);
      if (subject.status === SubjectStatus.Withdrawn) fail(`${at} withdrew: no data is accepted for them`);
      if (subject.site !== site) fail(`${at} was enrolled at site ${subject.site}, not site ${site}`);
      if (subject.consentedVersion < trial.majorConsentVersion) {
        fail(
          `${at} must re-consent first: they signed consent form version ${subject.consentedVersion} and version ` +
            `${trial.majorConsentVersion} is a major change (careledger:trial:reconsent --trial ${trial.trialId} ` +
            `--patient ${patient})`,
        );
      }
    }
    const out = freshFile("out", args.out);
    const { buildDataBatch, dataProof } = await import("../sdk/trials/data");
    const batch = parsed("entries", () => buildDataBatch(trial.trialId, entries));
    const { batchId, receipt } = await readable(() => client.anchorData(trial.trialId, site, batch));
    const written = writeJson(out, {
      format: BATCH_FORMAT,
      trialId: trial.trialId.toString(),
      site,
      batchId,
      root: batch.root,
      entries: entries.map((line) => ({
        patient: line.patient.toString(),
        entry: line.entry,
        ...(line.salt === undefined ? {} : { salt: line.salt, file: line.file }),
        proof: dataProof(batch, line.patient, line.entry),
      })),
    });
    const entriesWord = batch.count === 1 ? "1 entry" : `${batch.count} entries`;
    print(`Batch ${batchId} of trial ${trial.trialId} anchored by site ${site}: ${entriesWord}`, {
      root: batch.root,
      participants: batch.subjects.join(", "),
      file: `${written} (each entry's salt and proof: keep it)`,
      ...receiptFields(receipt),
    });
  });

// ---- safety ------------------------------------------------------------------------------------------------------

/** The adverse event `--event` names. */
async function eventOption(client: TrialsClient, trial: TrialInfo, value: string) {
  const eventId = Number(wholeNumber("event", value));
  const count = Number(await client.safety.adverseEventCount(trial.trialId));
  if (eventId === 0 || eventId > count) {
    fail(
      `--event ${eventId}: trial ${trial.trialId} has no adverse event ${eventId} ` +
        `(${numbered(count, "event")}); careledger:trial:sae records one`,
    );
  }
  return client.adverseEvent(trial.trialId, eventId);
}

const clockOf = (lifeThreatening: boolean): string =>
  lifeThreatening ? "7 days (fatal or life-threatening)" : "15 days";

task(
  "careledger:trial:sae",
  "Site investigator or sponsor: records a serious adverse event; the sponsor assesses it (--event --assess)",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("patient", "To record one: the participant's patient id")
  .addOptionalParam("report", "To record one: the SAE report (a file), committed to with a salt (printed)")
  .addFlag("lifeThreatening", "Fatal or life-threatening: a SUSAR is due within 7 days of awareness, not 15")
  .addOptionalParam(
    "awareAt",
    `The sponsor recording an event it learned of otherwise: when it became aware (default now): ${TIME_HELP.start}`,
  )
  .addOptionalParam("event", "To assess one (the sponsor): the event's number, as recording it printed")
  .addOptionalParam("assess", `With --event, the sponsor's assessment: ${oneOf(ASSESSMENTS)}`)
  .addParam("from", `${FROM_HELP} (the investigator of the participant's site, or the sponsor)`, "0")
  .setAction(
    async (
      args: {
        trial: string;
        patient?: string;
        report?: string;
        lifeThreatening: boolean;
        awareAt?: string;
        event?: string;
        assess?: string;
        from: string;
      },
      hre,
    ) => {
      const recording = args.patient !== undefined || args.report !== undefined;
      const assessing = args.event !== undefined || args.assess !== undefined;
      if (recording === assessing) {
        fail("give --patient and --report to record an event, or --event and --assess to assess one");
      }
      const client = await trialsAs(hre, args.from);
      const trial = await trialOption(client, args.trial);
      if (assessing) {
        await assessEvent(client, trial, args.event, args.assess, args.lifeThreatening || args.awareAt !== undefined);
        return;
      }
      if (args.patient === undefined || args.report === undefined) fail("--patient and --report go together");
      const awareAt = args.awareAt === undefined ? 0n : periodStart("aware-at", args.awareAt);
      if (awareAt > (await pendingTime(hre))) fail(`--aware-at ${iso(awareAt)} is in the future`);
      const { patient } = await participantOption(client, trial, args.patient, "ever");
      const report = await fileCommitment("report", args.report);
      const { eventId, deadline, receipt } = await readable(() =>
        client.recordAdverseEvent(trial.trialId, patient, report.commitment, args.lifeThreatening, awareAt),
      );
      const recorded = await client.adverseEvent(trial.trialId, eventId);
      print(`Serious adverse event ${eventId} of trial ${trial.trialId} recorded: patient ${patient}`, {
        report: withSalt(report, "keep it with the report"),
        clock: clockOf(args.lifeThreatening),
        aware: iso(recorded.awareAt),
        due: `${iso(deadline)}: a SUSAR report by then, unless the sponsor assesses it as no SUSAR`,
        next:
          `the sponsor: careledger:trial:sae --trial ${trial.trialId} --event ${eventId} --assess ` +
          `${ASSESSMENTS.join("|")}, or careledger:trial:report-susar --trial ${trial.trialId} --event ${eventId}`,
        ...receiptFields(receipt),
      });
    },
  );

async function assessEvent(
  client: TrialsClient,
  trial: TrialInfo,
  eventValue: string | undefined,
  assessValue: string | undefined,
  recordingOptions: boolean,
): Promise<void> {
  if (eventValue === undefined || assessValue === undefined) fail("--event and --assess go together");
  if (recordingOptions) fail("--life-threatening and --aware-at go with recording an event, not --assess");
  const assessment = assessValue.trim().toLowerCase().replace(/[_\s]/g, "-");
  if (!ASSESSMENTS.includes(assessment)) fail(`--assess must be ${oneOf(ASSESSMENTS)}, got "${assessValue}"`);
  const susar = assessment === "susar";
  const event = await eventOption(client, trial, eventValue);
  if (event.status === AdverseEventStatus.Reported) {
    fail(`--event ${event.eventId} was reported to the regulator already (${iso(event.reportedAt)})`);
  }
  if (event.status === AdverseEventStatus.Susar) {
    fail(
      `--event ${event.eventId} is assessed as a SUSAR already: report it with careledger:trial:report-susar ` +
        `--trial ${trial.trialId} --event ${event.eventId}`,
    );
  }
  if (event.status === AdverseEventStatus.NotSusar && !susar) {
    fail(`--event ${event.eventId} is assessed as not a SUSAR already`);
  }
  const { receipt } = await readable(() => client.assess(trial.trialId, event.eventId, susar));
  print(`Adverse event ${event.eventId} of trial ${trial.trialId} assessed: ${susar ? "a SUSAR" : "not a SUSAR"}`, {
    due: susar
      ? `${iso(event.deadline)}: the expedited report to the regulator (careledger:trial:report-susar)`
      : "no expedited report: its clock stops (it may be reassessed as a SUSAR)",
    ...receiptFields(receipt),
  });
}

task("careledger:trial:report-susar", "Sponsor: records the expedited SUSAR report filed with the trial's regulator")
  .addParam("trial", "Trial id")
  .addParam("event", "The adverse event's number")
  .addParam("report", "The expedited report as filed (a file), committed to with a salt (printed)")
  .addParam("from", SPONSOR, "0")
  .setAction(async (args: { trial: string; event: string; report: string; from: string }, hre) => {
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    const event = await eventOption(client, trial, args.event);
    if (event.status === AdverseEventStatus.Reported) {
      fail(`--event ${event.eventId} was reported to the regulator already (${iso(event.reportedAt)})`);
    }
    const report = await fileCommitment("report", args.report);
    const { late, receipt } = await readable(() => client.reportSusar(trial.trialId, event.eventId, report.commitment));
    const reported = await client.adverseEvent(trial.trialId, event.eventId);
    print(
      `SUSAR ${event.eventId} of trial ${trial.trialId} reported to the regulator (participant ${trial.regulator}): ` +
        (late ? "LATE" : "on time"),
      {
        report: withSalt(report, "keep it with the report"),
        clock: clockOf(reported.lifeThreatening),
        due: iso(reported.deadline),
        reported: iso(reported.reportedAt),
        ...receiptFields(receipt),
      },
    );
  });

// ---- lock and unlock ---------------------------------------------------------------------------------------------

task(
  "careledger:trial:lock",
  "Sponsor: locks the database with the final dataset's root; results are reported against it",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("root", "The final dataset's root or hash: 32 bytes of hex")
  .addOptionalParam("dataset", "Instead of --root: the final dataset export (a file); its keccak256 is the root")
  .addParam("from", SPONSOR, "0")
  .setAction(async (args: { trial: string; root?: string; dataset?: string; from: string }, hre) => {
    if ((args.root === undefined) === (args.dataset === undefined)) fail("give --root HEX or --dataset FILE");
    const root =
      args.root !== undefined ? bytes32("root", args.root) : keccak256(readBytes("dataset", args.dataset ?? ""));
    if (root === ZERO || root === NO_ROOT) fail(`--root ${root} is reserved: give the dataset's root`);
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    if (trial.status === TrialStatus.Locked) {
      fail(
        `--trial ${trial.trialId} is locked already (since ${iso(trial.lockedAt)}, dataset root ${trial.datasetRoot})`,
      );
    }
    const { receipt } = await readable(() => client.lock(trial.trialId, root));
    const locked = await client.trial(trial.trialId);
    print(`Trial ${trial.trialId} locked`, {
      datasetRoot: `${root}${args.dataset === undefined ? "" : ` (keccak256 of ${path.resolve(args.dataset)})`}`,
      lockedAt: iso(locked.lockedAt),
      effect: "no enrollment, re-consent or data until it is unlocked",
      next: `careledger:trial:results --trial ${trial.trialId} --results FILE --outcomes-file FILE`,
      ...receiptFields(receipt),
    });
  });

/** Whether the sponsor's request to unlock is pending: an `UnlockRequested` after the last lock, not yet approved. */
async function unlockRequest(client: TrialsClient, trialId: bigint): Promise<number | undefined> {
  const events = await client.events(trialId);
  const lastLock = events.map((event) => event.name).lastIndexOf("DatabaseLocked");
  const after = events.slice(lastLock + 1);
  const request = after.filter((event) => event.name === "UnlockRequested").pop();
  if (request === undefined || after.some((event) => event.name === "DatabaseUnlocked")) return undefined;
  return Number(request.args.getValue("reasonCode"));
}

task(
  "careledger:trial:unlock",
  "Sponsor: asks to unlock a locked database (--reason); the ethics committee or regulator approves it (--approve)",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("reason", reasonHelp("The sponsor's request: why", UNLOCK))
  .addFlag("approve", "The ethics committee or regulator: approves the sponsor's request; the database is unlocked")
  .addParam("from", `${FROM_HELP} (the sponsor to ask; the ethics committee or the regulator to approve)`, "0")
  .setAction(async (args: { trial: string; reason?: string; approve: boolean; from: string }, hre) => {
    if ((args.reason === undefined) === !args.approve) {
      fail("give --reason CODE (the sponsor asks) or --approve (the ethics committee or regulator agrees)");
    }
    const reason = args.reason === undefined ? 0 : requiredReason("reason", args.reason, UNLOCK);
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    if (trial.status !== TrialStatus.Locked) fail(`--trial ${trial.trialId} is not locked: there is nothing to unlock`);
    if (!args.approve) {
      const { receipt } = await readable(() => client.requestUnlock(trial.trialId, reason));
      print(`Unlock of trial ${trial.trialId} requested`, {
        reason: codeName(reason, UNLOCK),
        next: `careledger:trial:unlock --trial ${trial.trialId} --approve --from <the ethics committee or the regulator>`,
        ...receiptFields(receipt),
      });
      return;
    }
    const requested = await unlockRequest(client, trial.trialId);
    if (requested === undefined) {
      fail(
        `--approve: the sponsor has not asked to unlock trial ${trial.trialId}: it asks with ` +
          `careledger:trial:unlock --trial ${trial.trialId} --reason CODE`,
      );
    }
    const { receipt } = await readable(() => client.approveUnlock(trial.trialId));
    print(`Trial ${trial.trialId} unlocked`, {
      reason: codeName(requested, UNLOCK),
      effect: "data is accepted again; the lock and any results stay on the record",
      ...receiptFields(receipt),
    });
  });

// ---- results -------------------------------------------------------------------------------------------------------

/** One outcome of a results file, resolved. */
interface ResultLine {
  commitment: string;
  primary: boolean;
  result: SaltedCommitment;
  /** A new outcome, never specified: added to the outcomes file. */
  fresh?: OutcomeRecord;
}

/**
 * Reads `--results`: each outcome named by its title in the outcomes file or by its commitment, with its result file
 * (committed to with a salt). An outcome never specified needs `"new": true` and its time frame, so that a mistyped
 * title is refused rather than reported as an added outcome.
 */
async function resultLines(
  file: string,
  kept: OutcomesFile,
  current: ReadonlyMap<string, { current: boolean; currentPrimary: boolean }>,
): Promise<ResultLine[]> {
  const { commit } = await import("../sdk/core/commitments");
  const data = readJson("results", file);
  const shape = '[{"outcome": "<title or commitment>", "resultFile": "…", "primary": true}, …]';
  if (!Array.isArray(data) || data.length === 0) fail(`--results ${file}: not a list of results: ${shape}`);
  if (data.length > MAX_OUTCOMES) fail(`--results ${file}: a report has at most ${MAX_OUTCOMES} outcomes`);
  const seen = new Set<string>();
  const titles = kept.outcomes.map((record) => `"${record.title}"`).join(", ");
  return (data as unknown[]).map((item, index): ResultLine => {
    const at = `--results ${file}: entry ${index + 1}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) fail(`${at} is not an object: ${shape}`);
    const fields = item as Record<string, unknown>;
    const { outcome, resultFile, primary } = fields;
    if (typeof outcome !== "string" || outcome.trim() === "") fail(`${at} has no "outcome" (a title or a commitment)`);
    if (typeof resultFile !== "string") fail(`${at} ("${outcome}") has no "resultFile"`);
    if (primary !== undefined && typeof primary !== "boolean") fail(`${at} ("${outcome}"): "primary" is true or false`);
    let commitment: string;
    let fresh: OutcomeRecord | undefined;
    let keptPrimary = false;
    if (fields.new === true) {
      if (kept.outcomes.some((record) => titleKey(record.title) === titleKey(outcome))) {
        fail(`${at}: "${outcome}" is an outcome of the outcomes file already: leave out "new"`);
      }
      const { timeFrame, description } = fields;
      if (typeof timeFrame !== "string" || timeFrame.trim() === "") fail(`${at}: a new outcome needs its "timeFrame"`);
      if (description !== undefined && typeof description !== "string") fail(`${at}: "description" is text`);
      const definition: OutcomeDefinition = {
        title: outcome.trim(),
        timeFrame: timeFrame.trim(),
        ...(description === undefined ? {} : { description }),
        primary: primary === true,
      };
      const committed = commit(outcomeText(definition));
      fresh = { ...definition, ...committed, source: "results" };
      commitment = committed.commitment;
    } else if (/^0x[0-9a-fA-F]{64}$/.test(outcome.trim())) {
      commitment = outcome.trim().toLowerCase();
    } else {
      const candidates = kept.outcomes.filter((record) => titleKey(record.title) === titleKey(outcome));
      const inForce = candidates.filter((record) => current.get(record.commitment.toLowerCase())?.current === true);
      const chosen = candidates.length === 1 ? candidates : inForce;
      if (candidates.length === 0) {
        fail(
          `${at}: no outcome titled "${outcome}" in the outcomes file (it has ${titles}); for an outcome never ` +
            'specified, add "new": true and its "timeFrame"',
        );
      }
      if (chosen.length !== 1) {
        fail(`${at}: "${outcome}" names ${candidates.length} outcomes of the outcomes file: give its commitment`);
      }
      commitment = chosen[0]!.commitment.toLowerCase();
      keptPrimary = chosen[0]!.primary;
    }
    if (seen.has(commitment)) fail(`${at}: "${outcome}" is reported twice`);
    seen.add(commitment);
    const target = besides(file, resultFile);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      fail(`${at} ("${outcome}"): ${resultFile}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
    }
    const inForce = current.get(commitment);
    return {
      commitment,
      primary: primary ?? (inForce === undefined ? keptPrimary : inForce.currentPrimary),
      result: commit(bytes),
      ...(fresh === undefined ? {} : { fresh }),
    };
  });
}

task(
  "careledger:trial:results",
  "Sponsor: reports results against the locked dataset; prints how they compare with the pre-specified outcomes",
)
  .addParam("trial", "Trial id")
  .addParam(
    "results",
    'A JSON file [{"outcome": "<title in --outcomes-file, or a commitment>", "resultFile": "…", "primary": true}, …] ' +
      '(primary defaults to the outcome\'s); an outcome never specified needs "new": true and its "timeFrame"; ' +
      "result files, relative to it, are committed to with salts (printed)",
  )
  .addParam("outcomesFile", "The trial's outcomes file (register --out): outcomes by title; new ones are added to it")
  .addParam("from", SPONSOR, "0")
  .setAction(async (args: { trial: string; results: string; outcomesFile: string; from: string }, hre) => {
    const client = await trialsAs(hre, args.from);
    const trial = await trialOption(client, args.trial);
    if (trial.status !== TrialStatus.Locked) {
      fail(
        `--trial ${trial.trialId} is not locked: results are reported against the locked dataset ` +
          `(careledger:trial:lock --trial ${trial.trialId})`,
      );
    }
    const kept = await loadOutcomesFile("outcomes-file", args.outcomesFile, trial.trialId);
    const specified = await client.outcomes(trial.trialId);
    const current = new Map(specified.map((o) => [o.commitment.toLowerCase(), o]));
    const lines = await resultLines(args.results, kept, current);
    const reported: ReportedOutcomeInput[] = lines.map((line) => ({
      outcome: line.commitment,
      result: line.result.commitment,
      primary: line.primary,
    }));
    const { version, comparison, late, receipt } = await readable(() =>
      client.reportResults(trial.trialId, trial.datasetRoot, reported),
    );
    const fresh = lines.flatMap((line) =>
      line.fresh === undefined ? [] : [{ ...line.fresh, source: `results version ${version}` }],
    );
    const updated = { ...kept, outcomes: [...kept.outcomes, ...fresh] };
    if (fresh.length > 0) writeJson(args.outcomesFile, updated);
    const labels = labelsOf(updated);
    const [, due] = await client.protocol.resultsDeadline(trial.trialId);
    const preSpecified = specified.filter((o) => o.preSpecified);
    const missing = specified.filter((_, i) => (comparison.notReported & (1n << BigInt(i))) !== 0n);
    const isPre = new Set(preSpecified.map((o) => o.commitment.toLowerCase()));
    const added = lines.filter((line) => !isPre.has(line.commitment));
    const kind = (primary: boolean): string => (primary ? "primary" : "secondary");
    print(`Results of trial ${trial.trialId} reported: version ${version}, ${late ? "LATE" : "on time"}`, {
      datasetRoot: trial.datasetRoot,
      reported:
        `${lines.length} outcome(s): ${preSpecified.length - missing.length} of ${preSpecified.length} ` +
        `pre-specified, ${comparison.added} added`,
      notReported:
        missing.map((o) => `${kind(o.preSpecifiedPrimary)} ${outcomeLabel(labels, o.commitment)}`).join("; ") || "none",
      added:
        added.map((line) => `${kind(line.primary)} ${outcomeLabel(labels, line.commitment)}`).join("; ") +
        (added.length === 0 ? "none" : " (never pre-specified)"),
      primary: comparison.primaryChanged
        ? "CHANGED: the outcomes reported as primary are not those pre-specified"
        : "as pre-specified",
      resultsDue: iso(due),
      ...(fresh.length === 0
        ? {}
        : { outcomesFile: `${path.resolve(args.outcomesFile)} (the new outcomes' salts added)` }),
      ...receiptFields(receipt),
    });
    printLines(
      "Result commitments (keep each salt with its result file):",
      lines.map(
        (line) => `${outcomeLabel(labels, line.commitment)}: ${line.result.commitment} (salt ${line.result.salt})`,
      ),
    );
  });

// ---- reads -------------------------------------------------------------------------------------------------------

task(
  "careledger:trial:report",
  "Anyone: a trial's transparency report: deadlines, outcomes as pre-specified and as reported, safety",
)
  .addParam("trial", "Trial id")
  .addOptionalParam("outcomesFile", "The trial's outcomes file, to name outcomes by title (else a short commitment)")
  .setAction(async (args: { trial: string; outcomesFile?: string }, hre) => {
    const client = await trialsReader(hre);
    const trial = await trialOption(client, args.trial);
    const kept =
      args.outcomesFile === undefined
        ? undefined
        : await loadOutcomesFile("outcomes-file", args.outcomesFile, trial.trialId);
    const { trialReport, formatTrialReport, REGISTRATION_WINDOW } = await import("../sdk/trials/report");
    const report = await readable(() => trialReport(client, trial.trialId));
    const [first = "", ...rest] = formatTrialReport(report, labelsOf(kept));
    printLines(
      `${first} (as of ${iso(report.now)})`,
      rest.map((line) => line.replace(/^ {2}/, "    ")),
    );
    const deadlines = [
      `results due ${iso(report.resultsDue)} (12 months after the primary completion, ${iso(report.primaryCompletion)})`,
      ...(report.firstEnrolledAt === 0n
        ? []
        : [
            `registration due ${iso(report.firstEnrolledAt + REGISTRATION_WINDOW)} (21 days after the first ` +
              `enrollment, ${iso(report.firstEnrolledAt)})`,
          ]),
      ...report.safety.map(
        (event) =>
          `SUSAR report of event ${event.eventId} due ${iso(event.deadline)}: ` +
          (event.status === AdverseEventStatus.Reported
            ? `reported ${iso(event.reportedAt)}${event.late ? ", LATE" : ""}`
            : event.status === AdverseEventStatus.NotSusar
              ? "none due (not a SUSAR)"
              : event.overdue
                ? "OVERDUE"
                : "open"),
      ),
    ];
    printLines("Deadlines:", deadlines);
  });

task("careledger:trial:overdue", "Anyone: trials whose results are late; with --trial, its overdue SUSAR reports")
  .addOptionalParam("trial", "A trial id: lists its serious adverse events past their reporting deadline instead")
  .setAction(async (args: { trial?: string }, hre) => {
    const client = await trialsReader(hre);
    if (args.trial === undefined) {
      const late = await readable(() => client.overdueTrials());
      printLines(
        `Trials with late results: ${late.length === 0 ? "none" : late.length}`,
        await Promise.all(
          late.map(async (trialId) => {
            const [, due, , firstReportedAt] = await client.protocol.resultsDeadline(trialId);
            const reported = firstReportedAt === 0n ? "not reported" : `first reported ${iso(firstReportedAt)}`;
            return `trial ${trialId}: results due ${iso(due)}, ${reported}`;
          }),
        ),
      );
      return;
    }
    const trial = await trialOption(client, args.trial);
    const count = Number(await client.safety.adverseEventCount(trial.trialId));
    const overdue: bigint[] = [];
    for (let from = 1; from <= count; from += 1000) {
      overdue.push(...(await client.safety.overdueAdverseEvents(trial.trialId, from, from + 999)));
    }
    printLines(
      `Overdue SUSAR reports of trial ${trial.trialId}: ${overdue.length === 0 ? "none" : overdue.length}`,
      await Promise.all(
        overdue.map(async (id) => {
          const event = await client.adverseEvent(trial.trialId, Number(id));
          return (
            `event ${id}, patient ${event.patient}: ${named(AdverseEventStatus, event.status)}, due ` +
            `${iso(event.deadline)} (${clockOf(event.lifeThreatening)} from ${iso(event.awareAt)})`
          );
        }),
      ),
    );
  });
