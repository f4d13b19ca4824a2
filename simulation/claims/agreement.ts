import { ClaimsModelError } from "../../sdk/claims/model";

/**
 * The simulator's record of agreement between the chain and the claims model: every figure compared, and a line for
 * each one that differs. A run passes when `mismatches` is empty.
 */
export class Agreement {
  readonly mismatches: string[] = [];
  /** Figures compared so far. */
  figures = 0;

  /** Compares one figure the chain reports with the model's. */
  same(where: string, what: string, chain: unknown, expected: unknown): void {
    this.figures++;
    if (chain !== expected) {
      this.mismatches.push(`${where}: ${what} is ${show(chain)} on chain but ${show(expected)} in the model`);
    }
  }

  /** Runs a step of the model for something the chain accepted; a refusal by the model is a mismatch. */
  step<T>(where: string, step: () => T): T | undefined {
    try {
      return step();
    } catch (error) {
      if (!(error instanceof ClaimsModelError)) throw error;
      this.mismatches.push(`${where}: the chain accepted it but the model refused: ${error.message}`);
      return undefined;
    }
  }

  /**
   * Runs a step of the model for something the chain refused, and returns the model's reason for refusing it too
   * (undefined if the model accepted it). Counts as one figure; the caller judges whether the reasons agree.
   */
  refusal(step: () => unknown): string | undefined {
    this.figures++;
    try {
      step();
    } catch (error) {
      if (!(error instanceof ClaimsModelError)) throw error;
      return error.reason;
    }
    return undefined;
  }

  /** Records a disagreement the comparisons above cannot express. */
  mismatch(text: string): void {
    this.mismatches.push(text);
  }
}

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}
