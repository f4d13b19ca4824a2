import type { Interface } from "ethers";

import { type RoleName, Roles } from "../../sdk/core/roles";

/** Which role may call which restricted function of a module: the production wiring, applied by the deploy modules. */
export type FunctionRoles = Readonly<Partial<Record<RoleName, readonly string[]>>>;

/** The 4-byte selectors of `names` in `iface`; throws on a name the contract does not have. */
export function selectors(iface: Interface, names: readonly string[]): string[] {
  return names.map((name) => {
    const fragment = iface.getFunction(name);
    if (fragment === null) throw new Error(`wiring names ${name}, which the contract does not have`);
    return fragment.selector;
  });
}

/** The (role id, selectors) pairs that `setTargetFunctionRole` needs, one per role. */
export function roleAssignments(
  iface: Interface,
  wiring: FunctionRoles,
): { role: RoleName; roleId: bigint; selectors: string[] }[] {
  return (Object.entries(wiring) as [RoleName, readonly string[]][]).map(([role, names]) => ({
    role,
    roleId: Roles[role],
    selectors: selectors(iface, names),
  }));
}
