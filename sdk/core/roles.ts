/**
 * Role ids of CareLedger's AccessManager, mirrored from `contracts/access/Roles.sol`.
 * `test/access/Roles.test.ts` fails if the two ever disagree.
 */
export const Roles = {
  /** Consortium admin; equal to AccessManager's ADMIN_ROLE. Held with the admin execution delay. */
  ADMIN: 0n,
  /** Verifies institutions, practitioners and patients' identity proofing; suspends and revokes. */
  REGISTRAR: 1n,
  /** Pauses a module in an emergency. */
  PAUSER: 2n,
  /** Reviews break-glass access and audit trails (later modules). */
  AUDITOR: 3n,
  /** Registrars recovering an institution's key; held with the admin execution delay. */
  INSTITUTION_RECOVERY: 4n,
  /** A payer's appeal reviewers; the adjudicator also requires a practitioner affiliated with the plan's payer. */
  CLAIMS_REVIEWER: 5n,
} as const;

export type RoleName = keyof typeof Roles;

/** AccessManager's PUBLIC_ROLE: anyone may call. */
export const PUBLIC_ROLE = 2n ** 64n - 1n;

/** Human-readable labels, published on chain with `AccessManager.labelRole` at deployment. */
export const ROLE_LABELS: Readonly<Record<RoleName, string>> = {
  ADMIN: "CONSORTIUM_ADMIN",
  REGISTRAR: "REGISTRAR",
  PAUSER: "PAUSER",
  AUDITOR: "AUDITOR",
  INSTITUTION_RECOVERY: "INSTITUTION_RECOVERY",
  CLAIMS_REVIEWER: "CLAIMS_REVIEWER",
};

export function roleName(roleId: bigint): RoleName | undefined {
  return (Object.keys(Roles) as RoleName[]).find((name) => Roles[name] === roleId);
}
