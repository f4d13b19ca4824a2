import { CareLedgerError, DecisionBasis, type DecisionInfo } from "../../sdk";

/** A day in seconds. */
export const DAY = 86_400;

let step = 0;

/** Opens a numbered step of the story (numbered across the chapters). */
export function say(text: string): void {
  console.log(`\n${++step}. ${text}`);
}

/** A line under the current step. */
export function detail(text: string): void {
  console.log(`   ${text}`);
}

export function iso(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** A decision as one line: "ALLOWED: Grant (grantee 2, ref 1)", "DENIED: NoGrant". */
export function verdict(decision: DecisionInfo): string {
  const by =
    decision.grantee === 0n
      ? ""
      : decision.allowed
        ? ` (grantee ${decision.grantee}, ref ${decision.ref})`
        : ` (grantee ${decision.grantee})`;
  return `${decision.allowed ? "ALLOWED" : "DENIED"}: ${DecisionBasis[decision.basis]}${by}`;
}

/** The first 16 hex digits of a hash. */
export function short(hash: string | undefined): string {
  return hash === undefined ? "none" : `${hash.slice(0, 18)}…`;
}

/** The contract's refusal of `action`, as the decoded error's message; the demo fails if the contract accepts it. */
export async function refused(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof CareLedgerError) return error.message;
    throw error;
  }
  throw new Error("the demo expected the contract to refuse this step");
}
