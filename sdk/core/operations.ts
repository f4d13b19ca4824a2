import {
  AbiCoder,
  type BytesLike,
  type ContractRunner,
  Contract,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  getAddress,
  keccak256,
} from "ethers";

import { type AccessManager, AccessManager__factory } from "../../typechain-types";
import { contractAt, CONTRACTS, interfaceOf } from "./contracts";
import type { Deployment } from "./deployment";
import { describeRole } from "./governance";
import { queryFilterChunked } from "./logs";
import { humanDuration } from "./time";
import { mined } from "./transactions";

/**
 * Governance through CareLedger's AccessManager for people and programs: the operations scheduled on the manager read
 * back from its events and described in words, and the calls an account makes through its roles, directly or
 * scheduled when the role carries an execution delay (the admin's). The contracts are named as the command line names
 * them (`consent-registry`: `CONTRACTS` in ./contracts).
 */

/** What a call does, in words: `grantRole CLAIMS_REVIEWER to 0x… on AccessManager`, `unpause on ConsentRegistry`. */
export function describeCall(deployment: Deployment, target: string, data: string): string {
  const name = contractAt(deployment, target);
  if (name === undefined) return `call ${data.slice(0, 10)} on ${getAddress(target)} (not a CareLedger contract)`;
  const where = `${CONTRACTS[name].contract}${name === "access-manager" ? "" : ` (${name})`}`;
  const call = interfaceOf(name).parseTransaction({ data });
  if (call === null) return `call ${data.slice(0, 10)} on ${where}`;
  if (name === "access-manager" && (call.name === "grantRole" || call.name === "revokeRole")) {
    const role = describeRole(call.args[0] as bigint);
    if (call.name === "revokeRole") return `revokeRole ${role} from ${call.args[1] as string} on ${where}`;
    const delay = call.args[2] as bigint;
    const withDelay = delay === 0n ? "" : ` with an execution delay of ${humanDuration(delay)}`;
    return `grantRole ${role} to ${call.args[1] as string}${withDelay} on ${where}`;
  }
  const args = call.args.map((value: unknown) => String(value)).join(", ");
  return `${call.name}${args === "" ? "" : `(${args})`} on ${where}`;
}

/** The AccessManager's operation id of `caller` calling `target` with `data`: `hashOperation`, computed locally. */
export function operationId(caller: string, target: string, data: BytesLike): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "address", "bytes"], [caller, target, data]));
}

/** Where a scheduled operation stands at a given time. */
export type OperationState = "waiting" | "ready" | "expired" | "executed" | "cancelled";

/** One scheduling of an operation (an id is scheduled again, with the next nonce, once executed, cancelled or expired). */
export interface ScheduledOperation {
  id: string;
  nonce: bigint;
  /** The account that scheduled it: the only one that can execute it. */
  caller: string;
  target: string;
  data: string;
  /** Unix seconds from which it may be executed. */
  executableFrom: bigint;
  /** Unix seconds from which it can no longer be executed (the manager's `expiration()` after `executableFrom`). */
  expiresAt: bigint;
  state: OperationState;
  /** The block it was scheduled in. */
  blockNumber: number;
}

export interface AccessOfCaller {
  /** Whether the caller holds the role the call needs. */
  member: boolean;
  /** The seconds it must wait between scheduling and executing the call (0: it may call at once). */
  delay: bigint;
}

/**
 * Governance on CareLedger's AccessManager as one account (`runner`): what it may call and with what delay, the
 * operations scheduled on the manager, and scheduling, executing and cancelling them. Every write waits for its
 * receipt and rethrows a revert as `CareLedgerError`.
 */
export class GovernanceClient {
  constructor(
    readonly manager: AccessManager,
    readonly deployment: Deployment,
  ) {}

  static connect(runner: ContractRunner, deployment: Deployment): GovernanceClient {
    return new GovernanceClient(AccessManager__factory.connect(deployment.accessManager, runner), deployment);
  }

  /**
   * Whether `caller` may make the call and after what delay, as the manager decides it: for the manager's own
   * `grantRole`/`revokeRole`, the role's admin role and the caller's execution delay in it (the manager's `canCall`
   * does not report its own functions); for a module, `canCall` on the function's role.
   */
  async access(caller: string, target: string, data: string): Promise<AccessOfCaller> {
    if (getAddress(target) === getAddress(this.deployment.accessManager)) {
      const call = interfaceOf("access-manager").parseTransaction({ data });
      if (call?.name === "grantRole" || call?.name === "revokeRole") {
        const admin = await this.manager.getRoleAdmin(call.args[0] as bigint);
        const [member, delay] = await this.manager.hasRole(admin, caller);
        return { member, delay };
      }
    }
    const [immediate, delay] = await this.manager.canCall(caller, target, data.slice(0, 10));
    return { member: immediate || delay > 0n, delay };
  }

  /** Calls `target` directly as the signer (a member with no delay). */
  call(target: string, data: string): Promise<ContractTransactionReceipt> {
    const name = contractAt(this.deployment, target);
    if (name === undefined) throw new Error(`${target} is not a contract of this CareLedger deployment`);
    const iface = interfaceOf(name);
    const call = iface.parseTransaction({ data });
    if (call === null) throw new Error(`${data.slice(0, 10)} is not a function of ${CONTRACTS[name].contract}`);
    const contract = new Contract(target, iface, this.manager.runner);
    // A typed call on the target itself, so that a refusal is the target's own error, as the caller would get it.
    return mined(() => contract.getFunction(call.fragment)(...call.args) as Promise<ContractTransactionResponse>);
  }

  /** Schedules the call for the earliest time the signer's delay allows; returns the operation as scheduled. */
  async schedule(target: string, data: string): Promise<ScheduledOperation> {
    const receipt = await mined(() => this.manager.schedule(target, data, 0));
    const event = receipt.logs
      .map((log) => this.manager.interface.parseLog(log))
      .find((parsed) => parsed?.name === "OperationScheduled");
    if (event === undefined || event === null) throw new Error("the manager emitted no OperationScheduled");
    const found = await this.operation(event.args.operationId as string);
    if (found === undefined)
      throw new Error(`operation ${event.args.operationId as string} not found after scheduling`);
    return found;
  }

  /** Executes a scheduled operation (the signer must be the account that scheduled it). */
  execute(operation: ScheduledOperation): Promise<ContractTransactionReceipt> {
    return mined(() => this.manager.execute(operation.target, operation.data));
  }

  /** Cancels a scheduled operation: its scheduler, an admin, or a guardian of the role it needs may. */
  cancel(operation: ScheduledOperation): Promise<ContractTransactionReceipt> {
    return mined(() => this.manager.cancel(operation.caller, operation.target, operation.data));
  }

  /** The latest scheduling of operation `id`, with its state now; undefined if it was never scheduled. */
  async operation(id: string): Promise<ScheduledOperation | undefined> {
    const all = await this.operations({ id });
    return all.at(-1);
  }

  /**
   * The operations scheduled on the manager, oldest first, each id at its latest nonce (an earlier scheduling of the
   * same id ended: executed, cancelled or expired), read from OperationScheduled, OperationExecuted and
   * OperationCanceled events from the deployment's first block (`fromBlock`, else `deployedAtBlock`) to the latest,
   * in ranges a node accepts (`queryFilterChunked`); `state` as of the latest block.
   */
  async operations(options: { id?: string; fromBlock?: number } = {}): Promise<ScheduledOperation[]> {
    const { manager } = this;
    const from = options.fromBlock ?? this.deployment.deployedAtBlock ?? 0;
    const [expiration, block] = await Promise.all([manager.expiration(), manager.runner?.provider?.getBlock("latest")]);
    if (block === undefined || block === null) throw new Error("the node returned no latest block");
    const [scheduled, executed, canceled] = await Promise.all([
      queryFilterChunked(manager, manager.filters.OperationScheduled(options.id), from, block.number),
      queryFilterChunked(manager, manager.filters.OperationExecuted(options.id), from, block.number),
      queryFilterChunked(manager, manager.filters.OperationCanceled(options.id), from, block.number),
    ]);
    const now = BigInt(block.timestamp);
    const ended = (events: typeof executed) =>
      new Set(events.map((event) => `${event.args.operationId}:${event.args.nonce}`));
    const wasExecuted = ended(executed);
    const wasCanceled = ended(canceled);
    const latest = new Map<string, ScheduledOperation>();
    for (const event of scheduled) {
      const { operationId: id, nonce, schedule, caller, target, data } = event.args;
      const key = `${id}:${nonce}`;
      const expiresAt = schedule + expiration;
      const state: OperationState = wasExecuted.has(key)
        ? "executed"
        : wasCanceled.has(key)
          ? "cancelled"
          : now < schedule
            ? "waiting"
            : now >= expiresAt
              ? "expired"
              : "ready";
      latest.delete(id); // keep insertion order by the latest scheduling
      latest.set(id, {
        id,
        nonce,
        caller: getAddress(caller),
        target: getAddress(target),
        data,
        executableFrom: schedule,
        expiresAt,
        state,
        blockNumber: event.blockNumber,
      });
    }
    return [...latest.values()];
  }
}
