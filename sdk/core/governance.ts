import type { ContractRunner } from "ethers";

import { AccessManager__factory } from "../../typechain-types";
import { queryFilterChunked } from "./logs";
import { PUBLIC_ROLE, roleName, Roles } from "./roles";

/** An account holding a role of CareLedger's AccessManager now. */
export interface RoleHolder {
  roleId: bigint;
  account: string;
  /** Seconds every call this account makes through the role waits (0: immediate). */
  executionDelay: bigint;
  /** When the grant took or takes effect (Unix seconds): a grant can be scheduled by the role's grant delay. */
  since: bigint;
}

/**
 * The holders of `roles` (default: every CareLedger role), read from the AccessManager's RoleGranted events from
 * `fromBlock` (give the deployment's `deployedAtBlock`; default 0) in ranges a node accepts (`queryFilterChunked`),
 * and confirmed with `hasRole` and `getAccess`, so that a grant still waiting for its grant delay is listed with its
 * `since` and a revoked or renounced account is not. The AccessManager enumerates no role members itself: the events
 * are the only record.
 */
export async function roleHolders(
  runner: ContractRunner,
  accessManager: string,
  options: { roles?: readonly bigint[]; fromBlock?: number } = {},
): Promise<RoleHolder[]> {
  const manager = AccessManager__factory.connect(accessManager, runner);
  const wanted = new Set(options.roles ?? Object.values(Roles));
  const grants = await queryFilterChunked(manager, manager.filters.RoleGranted(), options.fromBlock ?? 0);
  const latest = new Map<string, { roleId: bigint; account: string; since: bigint }>();
  for (const event of grants) {
    const { roleId, account, since } = event.args;
    if (!wanted.has(roleId)) continue;
    latest.set(`${roleId}:${account}`, { roleId, account, since });
  }
  const holders: RoleHolder[] = [];
  for (const { roleId, account, since } of latest.values()) {
    const [isMember, executionDelay] = await manager.hasRole(roleId, account);
    const pending = !isMember && (await manager.getAccess(roleId, account))[0] > 0n;
    if (isMember || pending) holders.push({ roleId, account, executionDelay, since });
  }
  return holders.sort((a, b) =>
    a.roleId === b.roleId ? a.account.localeCompare(b.account) : a.roleId < b.roleId ? -1 : 1,
  );
}

/**
 * A role id as a person reads it, everywhere a role is printed: `CLAIMS_REVIEWER (5)` (the name the command line
 * takes and the number on chain), `PUBLIC (anyone)`, or `role 42` for a role CareLedger does not name.
 */
export function describeRole(roleId: bigint): string {
  if (roleId === PUBLIC_ROLE) return "PUBLIC (anyone)";
  const name = roleName(roleId);
  return name === undefined ? `role ${roleId}` : `${name} (${roleId})`;
}
