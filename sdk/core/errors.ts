import { type BytesLike, type ErrorFragment, Interface, isHexString, type Result } from "ethers";

import {
  AccessManager__factory,
  BreakGlass__factory,
  ClaimsAdjudicator__factory,
  ConsentPolicy__factory,
  ConsentRegistry__factory,
  IdentifierRegistry__factory,
  IdentityRegistry__factory,
  IERC20Errors__factory,
  PriorAuthorizations__factory,
  ProductSafety__factory,
  RecordRegistry__factory,
  SupplyChain__factory,
  TrialProtocol__factory,
  TrialRegistry__factory,
  TrialSafety__factory,
} from "../../typechain-types";

/**
 * Every custom error any CareLedger contract can revert with, taken from the compiled ABIs (the modules, the
 * workflows two of them create, the AccessManager and the OpenZeppelin code they inherit), and the ERC-6093 errors
 * of an OpenZeppelin settlement token. Generated from the same artifacts as the contracts, so the decoder cannot
 * drift from them (`test/sdk/core/errors.test.ts` checks that every deployed contract's errors are known).
 */
export const ERROR_ABIS = [
  IdentityRegistry__factory.abi,
  IdentifierRegistry__factory.abi,
  ConsentRegistry__factory.abi,
  BreakGlass__factory.abi,
  ConsentPolicy__factory.abi,
  RecordRegistry__factory.abi,
  ClaimsAdjudicator__factory.abi,
  PriorAuthorizations__factory.abi,
  SupplyChain__factory.abi,
  ProductSafety__factory.abi,
  TrialRegistry__factory.abi,
  TrialProtocol__factory.abi,
  TrialSafety__factory.abi,
  AccessManager__factory.abi,
  // The settlement token's own refusals (OpenZeppelin ERC-20, ERC-6093), e.g. a payer funding more than it holds.
  IERC20Errors__factory.abi,
] as const;

function errorInterface(): Interface {
  const seen = new Map<string, ErrorFragment>();
  for (const abi of ERROR_ABIS) {
    new Interface(abi).forEachError((fragment) => seen.set(fragment.selector, fragment));
  }
  return new Interface([...seen.values()]);
}

const ERRORS = errorInterface();

/** The transaction (or call) a contract refused: enough to name the function and ask who may call it. */
export interface RefusedCall {
  to: string;
  /** The calldata: its first four bytes are the function's selector. */
  data: string;
  from?: string;
}

/**
 * A revert decoded into the custom error's name and arguments. `message` is the raw form, `Name(arg, …)`, for
 * programs and logs; `explain` (sdk/core/explain.ts) renders it for people.
 */
export class CareLedgerError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: Result,
    readonly selector: string,
    override readonly cause?: unknown,
    /** The refused transaction, where the thrown error showed it (ethers' CALL_EXCEPTION carries it). */
    readonly transaction?: RefusedCall,
  ) {
    super(`${errorName}(${formatArgs(args)})`);
    this.name = "CareLedgerError";
  }
}

function formatArgs(args: Result): string {
  return args.map((value: unknown) => (typeof value === "bigint" ? value.toString() : String(value))).join(", ");
}

/** The names of every error the decoder knows, for the error-prefix check and the docs. */
export function knownErrorNames(): string[] {
  const names: string[] = [];
  ERRORS.forEachError((fragment) => names.push(fragment.name));
  return names;
}

/** Decodes revert data into a `CareLedgerError`, or `undefined` if it is not a known custom error. */
export function decodeRevertData(data: BytesLike): CareLedgerError | undefined {
  if (typeof data === "string" && (!isHexString(data) || data.length < 10)) return undefined;
  try {
    const parsed = ERRORS.parseError(data);
    if (parsed === null) return undefined;
    return new CareLedgerError(parsed.name, parsed.args, parsed.selector);
  } catch {
    return undefined;
  }
}

/** Finds revert data in whatever an ethers call threw (nested provider errors included). */
function revertData(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const record = error as Record<string, unknown>;
  if (typeof record.data === "string" && isHexString(record.data) && record.data.length >= 10) return record.data;
  // ethers nests it under error/info/cause; Hardhat's ProviderError (from a node over HTTP) under data/parent.
  for (const key of ["data", "error", "info", "cause", "parent"]) {
    const found = revertData(record[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Finds the refused transaction in whatever an ethers call threw: ethers' CALL_EXCEPTION names it `transaction`. */
export function refusedCall(error: unknown, depth = 0): RefusedCall | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const record = error as Record<string, unknown>;
  const transaction = record.transaction as Record<string, unknown> | null | undefined;
  if (
    typeof transaction === "object" &&
    transaction !== null &&
    typeof transaction.to === "string" &&
    typeof transaction.data === "string" &&
    isHexString(transaction.data) &&
    transaction.data.length >= 10
  ) {
    const from = typeof transaction.from === "string" ? transaction.from : undefined;
    return { to: transaction.to, data: transaction.data, ...(from === undefined ? {} : { from }) };
  }
  for (const key of ["error", "info", "cause", "parent"]) {
    const found = refusedCall(record[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Turns a thrown ethers error into a `CareLedgerError` when it carries a known custom error; else returns it as is. */
export function decodeError(error: unknown): unknown {
  if (error instanceof CareLedgerError) return error;
  const data = revertData(error);
  const decoded = data === undefined ? undefined : decodeRevertData(data);
  if (decoded === undefined) return error;
  return new CareLedgerError(decoded.errorName, decoded.args, decoded.selector, error, refusedCall(error));
}

/** Runs `action`, rethrowing any revert as a decoded `CareLedgerError`. */
export async function withDecodedErrors<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw decodeError(error);
  }
}
