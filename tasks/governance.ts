import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { PausableModule } from "../sdk/core/contracts";
import type { Deployment } from "../sdk/core/deployment";
import type { GovernanceClient, ScheduledOperation } from "../sdk/core/operations";
import { ROLE_LABELS, type RoleName, Roles } from "../sdk/core/roles";
import { humanDuration, isoTime, relativeTime } from "../sdk/core/time";
import {
  ACCOUNT_HELP,
  accountAddress,
  bytes32,
  chainTime,
  deploymentOf,
  fail,
  FROM_HELP,
  print,
  readable,
  signerFor,
} from "./util";

/**
 * The consortium's governance from the command line: what is deployed and who may do what (`careledger:status`),
 * granting and revoking roles, pausing and unpausing modules, and the operations that wait out an execution delay
 * (`op:list`, `op:execute`, `op:cancel`). An account whose role carries a delay (the admin's) does not fail: its call
 * is scheduled on the AccessManager, and the task prints when it becomes executable and the command that executes it.
 */

const ROLE_NAMES = Object.keys(Roles) as RoleName[];
const ROLE_HELP = `Role: ${ROLE_NAMES.join(", ")} (case-insensitive) or its number`;
const ACCOUNT = `The account (${ACCOUNT_HELP})`;
const FROM = FROM_HELP;
const FROM_ADMIN = `${FROM} (an admin of the role: ADMIN, whose calls wait out its execution delay)`;
const MAX_UINT32 = 2n ** 32n - 1n;

/** Everything a governance task acts with: the signer as given and as an address, the deployment, the client. */
interface Session {
  hre: HardhatRuntimeEnvironment;
  /** `--from` as the operator typed it, for the commands printed back. */
  from: string;
  caller: string;
  deployment: Deployment;
  governance: GovernanceClient;
  sdk: Sdk;
}

/** The SDK's governance, loaded when a task runs (the config that registers the tasks loads before the contracts). */
type Sdk = typeof import("../sdk/core/operations") &
  typeof import("../sdk/core/contracts") &
  typeof import("../sdk/core/governance");

async function loadSdk(): Promise<Sdk> {
  return {
    ...(await import("../sdk/core/operations")),
    ...(await import("../sdk/core/contracts")),
    ...(await import("../sdk/core/governance")),
  };
}

async function session(hre: HardhatRuntimeEnvironment, from: string): Promise<Session> {
  const sdk = await loadSdk();
  const signer = await signerFor(hre, from);
  const deployment = await deploymentOf(hre);
  return {
    hre,
    from,
    caller: await signer.getAddress(),
    deployment,
    governance: sdk.GovernanceClient.connect(signer, deployment),
    sdk,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing and wording
// ---------------------------------------------------------------------------------------------------------------------

/** A CareLedger role by name (case-insensitive; dashes, spaces and its on-chain label accepted) or by number. */
export function parseRole(value: string): bigint {
  const normalized = value.trim().replace(/[-\s]/g, "_").toUpperCase();
  for (const name of ROLE_NAMES) {
    if (normalized === name || normalized === ROLE_LABELS[name] || normalized === String(Roles[name])) {
      return Roles[name];
    }
  }
  fail(`--role: unknown role "${value}"; use one of ${ROLE_NAMES.join(", ")} (or its number)`);
}

/** A module by its name in the deployment (`consent-registry`), case-insensitive; only those that can be paused. */
function parseModule(sdk: Session["sdk"], value: string): PausableModule {
  const normalized = value.trim().toLowerCase().replace(/[_\s]/g, "-");
  const module = sdk.PAUSABLE_MODULES.find((name) => name === normalized || name.replace(/-/g, "") === normalized);
  if (module === undefined) {
    fail(`--module: unknown or unpausable module "${value}"; use one of ${sdk.PAUSABLE_MODULES.join(", ")}`);
  }
  return module;
}

/** The command that executes a scheduled operation, as the operator would type it. */
function executeCommand(s: Session, id: string): string {
  return `npx hardhat careledger:op:execute --id ${id} --from ${s.from} --network ${s.hre.network.name}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Calling through the AccessManager: at once, or scheduled behind the caller's delay
// ---------------------------------------------------------------------------------------------------------------------

type Submitted =
  | { done: "executed"; tx: string; operation?: ScheduledOperation }
  | { done: "scheduled"; operation: ScheduledOperation; delay: bigint };

/**
 * Makes `data` on `target` as the session's account. A caller without the role calls anyway, so that the contract
 * refuses in its own words; one with no delay calls at once; one with a delay schedules the call, or, when the very
 * same call is scheduled already, executes it once due and otherwise says when it will be.
 */
async function submit(s: Session, target: string, data: string): Promise<Submitted> {
  const { member, delay } = await s.governance.access(s.caller, target, data);
  if (!member || delay === 0n) {
    const receipt = await readable(() => s.governance.call(target, data));
    return { done: "executed", tx: receipt.hash };
  }
  const pending = await s.governance.operation(s.sdk.operationId(s.caller, target, data));
  if (pending !== undefined && (pending.state === "waiting" || pending.state === "ready")) {
    return { done: "executed", tx: await executeDue(s, pending), operation: pending };
  }
  const operation = await readable(() => s.governance.schedule(target, data));
  return { done: "scheduled", operation, delay };
}

/** Executes a scheduled operation as the session's account, refusing in one line what the manager would refuse. */
async function executeDue(s: Session, operation: ScheduledOperation): Promise<string> {
  const now = await chainTime(s.hre);
  const { id } = operation;
  if (operation.caller !== s.caller) {
    fail(`operation ${id} was scheduled by ${operation.caller}, and only that account can execute it: use --from it`);
  }
  if (operation.state === "executed") fail(`operation ${id} has been executed already`);
  if (operation.state === "cancelled") fail(`operation ${id} was cancelled; schedule it again to run it`);
  if (operation.state === "expired" || now >= operation.expiresAt) {
    fail(`operation ${id} expired at ${isoTime(operation.expiresAt)} without being executed; schedule it again`);
  }
  if (now < operation.executableFrom) {
    fail(
      `operation ${id} is not executable yet: it becomes executable at ${isoTime(operation.executableFrom)} ` +
        `(${relativeTime(operation.executableFrom, now)}); run this again then`,
    );
  }
  const receipt = await readable(() => s.governance.execute(operation));
  return receipt.hash;
}

/** Prints a scheduled operation: what it does, its id, when it becomes executable, the command to execute it. */
async function printScheduled(s: Session, operation: ScheduledOperation, delay: bigint): Promise<void> {
  const now = await chainTime(s.hre);
  const what = s.sdk.describeCall(s.deployment, operation.target, operation.data);
  print(`Scheduled: ${what}; ${s.caller} calls it with an execution delay of ${humanDuration(delay)}`, {
    operation: operation.id,
    executableFrom: `${isoTime(operation.executableFrom)} (${relativeTime(operation.executableFrom, now)})`,
    expiresAt: isoTime(operation.expiresAt),
    execute: executeCommand(s, operation.id),
    cancel: `npx hardhat careledger:op:cancel --id ${operation.id} --from ${s.from} --network ${s.hre.network.name}`,
  });
}

/** The scheduled operation `--id`, refusing an id that was never scheduled. */
async function scheduledOperation(s: Session, value: string): Promise<ScheduledOperation> {
  const id = bytes32("id", value);
  const operation = await s.governance.operation(id);
  if (operation === undefined) {
    fail(
      `no operation ${id} was ever scheduled on the AccessManager at ${s.deployment.accessManager}; ` +
        "list the scheduled ones with careledger:op:list",
    );
  }
  return operation;
}

// ---------------------------------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:role:grant", "Admin: grants a role (scheduled when the admin's access carries an execution delay)")
  .addParam("role", ROLE_HELP)
  .addParam("account", `${ACCOUNT} that receives the role`)
  .addParam("executionDelay", "Seconds every call the account makes through the role must wait", "0")
  .addParam("from", FROM_ADMIN, "0")
  .setAction(
    async (args: { role: string; account: string; executionDelay: string; from: string }, hre): Promise<void> => {
      const roleId = parseRole(args.role);
      const account = await accountOption(hre, args.account);
      const delay = wholeSeconds("execution-delay", args.executionDelay);
      const s = await session(hre, args.from);
      const role = s.sdk.describeRole(roleId);
      const [isMember, currentDelay] = await s.governance.manager.hasRole(roleId, account);
      if (isMember && currentDelay === delay) {
        const withDelay = delay === 0n ? "no execution delay" : `an execution delay of ${humanDuration(delay)}`;
        fail(`${account} already holds ${role} with ${withDelay}; nothing to grant`);
      }
      const data = s.governance.manager.interface.encodeFunctionData("grantRole", [roleId, account, delay]);
      const submitted = await submit(s, s.deployment.accessManager, data);
      if (submitted.done === "scheduled") return printScheduled(s, submitted.operation, submitted.delay);
      const [since] = await s.governance.manager.getAccess(roleId, account);
      const now = await chainTime(hre);
      print(`Granted ${role} to ${account}`, {
        executionDelay: delay === 0n ? "none" : humanDuration(delay),
        inForce: since > now ? `from ${isoTime(since)} (the role's grant delay)` : "now",
        ...(submitted.operation === undefined ? {} : { operation: submitted.operation.id }),
        tx: submitted.tx,
      });
    },
  );

task("careledger:role:revoke", "Admin: revokes a role (scheduled when the admin's access carries an execution delay)")
  .addParam("role", ROLE_HELP)
  .addParam("account", `${ACCOUNT} that loses the role`)
  .addParam("from", FROM_ADMIN, "0")
  .setAction(async (args: { role: string; account: string; from: string }, hre): Promise<void> => {
    const roleId = parseRole(args.role);
    const account = await accountOption(hre, args.account);
    const s = await session(hre, args.from);
    const role = s.sdk.describeRole(roleId);
    const [since] = await s.governance.manager.getAccess(roleId, account);
    if (since === 0n) fail(`${account} does not hold ${role}; nothing to revoke`);
    const data = s.governance.manager.interface.encodeFunctionData("revokeRole", [roleId, account]);
    const submitted = await submit(s, s.deployment.accessManager, data);
    if (submitted.done === "scheduled") return printScheduled(s, submitted.operation, submitted.delay);
    print(`Revoked ${role} from ${account}`, {
      ...(submitted.operation === undefined ? {} : { operation: submitted.operation.id }),
      tx: submitted.tx,
    });
  });

/** `--account`: an index of the network's accounts or any address (an index out of range is named as `--account`). */
async function accountOption(hre: HardhatRuntimeEnvironment, value: string): Promise<string> {
  const count = (await hre.ethers.getSigners()).length;
  if (/^\d+$/.test(value.trim()) && Number(value.trim()) >= count) {
    fail(`--account ${value}: the network has ${count} accounts (indexes 0 to ${count - 1}); or give an address`);
  }
  return accountAddress(hre, "account", value.trim());
}

function wholeSeconds(option: string, value: string): bigint {
  if (!/^\d+$/.test(value.trim())) fail(`--${option} must be whole seconds, got "${value}"`);
  const seconds = BigInt(value.trim());
  if (seconds > MAX_UINT32) fail(`--${option} must be at most ${MAX_UINT32} seconds, got ${seconds}`);
  return seconds;
}

// ---------------------------------------------------------------------------------------------------------------------
// Pausing
// ---------------------------------------------------------------------------------------------------------------------

/** Written out rather than read from the SDK, which loads the compiled contracts; a test checks it lists them all. */
export const MODULE_HELP =
  "Module: identity-registry, identifier-registry, consent-registry, break-glass, record-registry, " +
  "claims-adjudicator, prior-authorizations, supply-chain, product-safety, trial-registry, trial-protocol or " +
  "trial-safety";

/** Pauses or unpauses `--module`, refusing a switch to the state it is in already. */
async function switchPause(hre: HardhatRuntimeEnvironment, args: { module: string; from: string }, pause: boolean) {
  const s = await session(hre, args.from);
  const module = parseModule(s.sdk, args.module);
  const { IPausableModule__factory } = await import("../typechain-types");
  const target = s.deployment[s.sdk.CONTRACTS[module].key];
  const pausable = IPausableModule__factory.connect(target, hre.ethers.provider);
  const paused = await readable(() => pausable.paused());
  if (paused === pause) {
    fail(
      pause
        ? `${module} is already paused; the admin unpauses it with careledger:unpause --module ${module}`
        : `${module} is not paused; nothing to unpause`,
    );
  }
  const data = pause
    ? pausable.interface.encodeFunctionData("pause")
    : pausable.interface.encodeFunctionData("unpause");
  const submitted = await submit(s, target, data);
  if (submitted.done === "scheduled") return printScheduled(s, submitted.operation, submitted.delay);
  print(`${pause ? "Paused" : "Unpaused"} ${module} (${s.sdk.CONTRACTS[module].contract} at ${target})`, {
    ...(pause ? { unpause: `the admin, after its delay: careledger:unpause --module ${module}` } : {}),
    ...(submitted.operation === undefined ? {} : { operation: submitted.operation.id }),
    tx: submitted.tx,
  });
}

task("careledger:pause", "Pauser: stops a module's state-changing functions at once (its views keep answering)")
  .addParam("module", MODULE_HELP)
  .addParam("from", `${FROM} (a PAUSER)`, "0")
  .setAction((args: { module: string; from: string }, hre) => switchPause(hre, args, true));

task("careledger:unpause", "Admin: restarts a paused module (scheduled behind the admin's execution delay)")
  .addParam("module", MODULE_HELP)
  .addParam("from", `${FROM} (an ADMIN)`, "0")
  .setAction((args: { module: string; from: string }, hre) => switchPause(hre, args, false));

// ---------------------------------------------------------------------------------------------------------------------
// Scheduled operations
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:op:list", "Lists the operations scheduled on the AccessManager and not yet executed or cancelled")
  .addFlag("all", "Also list the executed and cancelled ones")
  .setAction(async (args: { all: boolean }, hre): Promise<void> => {
    const { describeCall, GovernanceClient } = await loadSdk();
    const deployment = await deploymentOf(hre);
    const governance = GovernanceClient.connect(hre.ethers.provider, deployment);
    const now = await chainTime(hre);
    const operations = (await readable(() => governance.operations())).filter(
      (operation) =>
        args.all || operation.state === "waiting" || operation.state === "ready" || operation.state === "expired",
    );
    if (operations.length === 0) {
      console.log(`No scheduled operation on the AccessManager at ${deployment.accessManager} (${isoTime(now)})`);
      return;
    }
    console.log(
      `${operations.length} scheduled operation(s) on the AccessManager at ${deployment.accessManager} (${isoTime(now)})`,
    );
    for (const operation of operations) {
      const what = describeCall(deployment, operation.target, operation.data);
      console.log(`  ${operation.id}  ${what}, ${when(operation, now)}; scheduled by ${operation.caller}`);
    }
  });

/** Where an operation stands, in words. */
function when(operation: ScheduledOperation, now: bigint): string {
  const from = isoTime(operation.executableFrom);
  switch (operation.state) {
    case "waiting":
      return `executable from ${from} (${relativeTime(operation.executableFrom, now)})`;
    case "ready":
      return `executable from ${from} (now, until ${isoTime(operation.expiresAt)})`;
    case "expired":
      return `expired at ${isoTime(operation.expiresAt)} unexecuted (schedule it again)`;
    case "executed":
      return `executed (it was executable from ${from})`;
    case "cancelled":
      return `cancelled (it was executable from ${from})`;
  }
}

task("careledger:op:execute", "Executes an operation scheduled on the AccessManager once its delay has passed")
  .addParam("id", "Operation id, as scheduling printed it (or careledger:op:list lists it)")
  .addParam("from", `${FROM} (the account that scheduled it)`, "0")
  .setAction(async (args: { id: string; from: string }, hre): Promise<void> => {
    const s = await session(hre, args.from);
    const operation = await scheduledOperation(s, args.id);
    const tx = await executeDue(s, operation);
    print(`Executed: ${s.sdk.describeCall(s.deployment, operation.target, operation.data)}`, {
      operation: operation.id,
      tx,
    });
  });

task("careledger:op:cancel", "Cancels a scheduled operation: its scheduler, an ADMIN or the role's guardian may")
  .addParam("id", "Operation id, as scheduling printed it (or careledger:op:list lists it)")
  .addParam("from", FROM, "0")
  .setAction(async (args: { id: string; from: string }, hre): Promise<void> => {
    const s = await session(hre, args.from);
    const operation = await scheduledOperation(s, args.id);
    if (operation.state === "executed") fail(`operation ${operation.id} has been executed already; nothing to cancel`);
    if (operation.state === "cancelled") fail(`operation ${operation.id} was cancelled already`);
    const receipt = await readable(() => s.governance.cancel(operation));
    print(`Cancelled: ${s.sdk.describeCall(s.deployment, operation.target, operation.data)}`, {
      operation: operation.id,
      tx: receipt.hash,
    });
  });

// ---------------------------------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------------------------------

/** A titled block of `key  value` lines; a key may repeat (a role with several holders) and is printed once. */
type Section = [title: string, lines: [key: string, value: string][]];

/** Prints sections as `print` prints one, with every section's values in one column. */
function printSections(sections: Section[]): void {
  const width = Math.max(...sections.flatMap(([, lines]) => lines.map(([key]) => key.length)));
  for (const [title, lines] of sections) {
    console.log(title);
    let previous: string | undefined;
    for (const [key, value] of lines) {
      console.log(`  ${(key === previous ? "" : key).padEnd(width)}  ${value}`);
      previous = key;
    }
  }
}

task(
  "careledger:status",
  "The network, every module's address and pause state, the role holders, the consent policy and the settlement token",
).setAction(async (_args: Record<string, never>, hre): Promise<void> => {
  const deployment = await deploymentOf(hre);
  const provider = hre.ethers.provider;
  const [network, block] = await Promise.all([provider.getNetwork(), provider.getBlock("latest")]);
  if (block === null) fail("the node returned no latest block");
  const now = BigInt(block.timestamp);
  const sections = await readable(async () => [
    [
      `CareLedger on ${hre.network.name} (chain ${network.chainId}), block ${block.number} at ${isoTime(now)}`,
      await moduleLines(hre, deployment),
    ] satisfies Section,
    await roleSection(hre, deployment, now),
    await policySection(hre, deployment),
  ]);
  printSections(sections);
});

async function moduleLines(hre: HardhatRuntimeEnvironment, deployment: Deployment): Promise<Section[1]> {
  const { CONTRACTS, PAUSABLE_MODULES } = await loadSdk();
  const { ClaimsAdjudicator__factory, IERC20Metadata__factory, IPausableModule__factory } =
    await import("../typechain-types");
  const provider = hre.ethers.provider;
  const lines: Section[1] = [];
  for (const [name, { key }] of Object.entries(CONTRACTS)) {
    const address = deployment[key];
    let state = "";
    if ((PAUSABLE_MODULES as readonly string[]).includes(name)) {
      state = (await IPausableModule__factory.connect(address, provider).paused()) ? "  PAUSED" : "  running";
    }
    lines.push([name, `${address}${state}`]);
  }
  const token = await ClaimsAdjudicator__factory.connect(deployment.claimsAdjudicator, provider).settlementToken();
  const metadata = IERC20Metadata__factory.connect(token, provider);
  // A token without the optional ERC-20 metadata still settles claims: say so rather than fail the whole status.
  const described = await Promise.all([metadata.symbol(), metadata.decimals()]).then(
    ([symbol, decimals]) => `${symbol}, ${decimals} decimals`,
    () => "no symbol or decimals (the token does not implement ERC-20 metadata)",
  );
  lines.push(["settlement-token", `${token}  ${described}`]);
  return lines;
}

async function roleSection(hre: HardhatRuntimeEnvironment, deployment: Deployment, now: bigint): Promise<Section> {
  const { GovernanceClient, roleHolders } = await loadSdk();
  const holders = await roleHolders(hre.ethers.provider, deployment.accessManager, {
    fromBlock: deployment.deployedAtBlock ?? 0,
  });
  const lines: Section[1] = [];
  for (const name of ROLE_NAMES) {
    const ofRole = holders.filter((holder) => holder.roleId === Roles[name]);
    if (ofRole.length === 0) lines.push([name, "none"]);
    for (const holder of ofRole) {
      const notes = [
        ...(holder.executionDelay > 0n ? [`execution delay ${humanDuration(holder.executionDelay)}`] : []),
        ...(holder.since > now ? [`takes effect ${isoTime(holder.since)} (${relativeTime(holder.since, now)})`] : []),
      ];
      lines.push([name, [holder.account, ...notes].join(", ")]);
    }
  }
  const admins = holders.filter((holder) => holder.roleId === Roles.ADMIN);
  const operations = await GovernanceClient.connect(hre.ethers.provider, deployment).operations();
  const waiting = operations.filter((operation) => operation.state === "waiting" || operation.state === "ready");
  lines.push([
    "scheduled",
    waiting.length === 0 ? "no operation waiting" : `${waiting.length} operation(s) waiting: careledger:op:list`,
  ]);
  return [`Roles (${adminDelay(admins.map((admin) => admin.executionDelay))})`, lines];
}

/** What the ADMIN holders' execution delays mean for the admin's operations (grants, revocations, unpausing). */
export function adminDelay(delays: readonly bigint[]): string {
  const distinct = [...new Set(delays)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const [only] = distinct;
  if (only === undefined) return "no account holds ADMIN: no role can be granted or revoked, nor a module unpaused";
  if (distinct.length === 1) {
    return only === 0n
      ? "admin delay none: an admin's operations take effect at once"
      : `admin delay ${humanDuration(only)}: every admin operation is scheduled and waits that long`;
  }
  const words = distinct.map((delay) => (delay === 0n ? "none" : humanDuration(delay)));
  return (
    `admin delays ${words.slice(0, -1).join(", ")} and ${words.at(-1) ?? ""}: ` +
    "an admin with a delay schedules its operations, which wait that long; one without acts at once"
  );
}

async function policySection(hre: HardhatRuntimeEnvironment, deployment: Deployment): Promise<Section> {
  const { ConsentRegistry__factory, IConsentPolicy__factory } = await import("../typechain-types");
  const { categoryNames, Purpose, PURPOSE_COUNT, purposeNames } = await import("../sdk/consent/scopes");
  const provider = hre.ethers.provider;
  const address = await ConsentRegistry__factory.connect(deployment.consentRegistry, provider).policy();
  const policy = IConsentPolicy__factory.connect(address, provider);
  const [rules, version] = await Promise.all([policy.rules(), policy.version()]);
  const longest: string[] = [];
  for (let purpose = 0; purpose < PURPOSE_COUNT; purpose++) {
    longest.push(`${Purpose[purpose]} ${humanDuration(await policy.maxGrantDuration(1 << purpose))}`);
  }
  const listed = (names: string[]): string => (names.length === 0 ? "none" : names.join(", "));
  const replaced = address === deployment.consentPolicy ? "" : `; replaces ${deployment.consentPolicy}, deployed first`;
  return [
    `Consent policy in force: ${address} (version ${version}${replaced})`,
    [
      [
        "sensitive-categories",
        `${listed(categoryNames(rules.sensitiveCategories))} (opened only by a grant naming them)`,
      ],
      ["named-purposes", `${listed(purposeNames(rules.namedPurposes))} (only by a grant naming them)`],
      [
        "break-glass-max",
        `at most ${humanDuration(rules.maxBreakGlassDuration, "hour")}, ${rules.maxOpenBreakGlassSessions} open per practitioner`,
      ],
      ["break-glass-excludes", listed(categoryNames(rules.breakGlassExcludedCategories))],
      ["longest-grant", longest.join(", ")],
    ],
  ];
}
