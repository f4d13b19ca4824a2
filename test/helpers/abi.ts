import { type FunctionFragment, type ParamType, ZeroAddress, ZeroHash } from "ethers";

/** A zero value of an ABI type: enough to call any function and see which check it reaches first. */
export function zeroValue(param: ParamType): unknown {
  if (param.isArray())
    return param.arrayLength > 0 ? Array.from({ length: param.arrayLength }, () => zeroValue(param.arrayChildren)) : [];
  if (param.isTuple()) return param.components.map(zeroValue);
  if (param.baseType === "address") return ZeroAddress;
  if (param.baseType === "bool") return false;
  if (param.baseType === "string") return "";
  if (param.baseType === "bytes") return "0x";
  if (param.baseType.startsWith("bytes")) return ZeroHash.slice(0, 2 + 2 * Number(param.baseType.slice(5)));
  if (param.baseType.startsWith("uint") || param.baseType.startsWith("int")) return 0;
  throw new Error(`no zero value for ABI type ${param.type}`);
}

export function zeroArgs(fragment: FunctionFragment): unknown[] {
  return fragment.inputs.map(zeroValue);
}

/** The state-changing functions of an ABI, by name. */
export function writeFunctions(fragments: readonly FunctionFragment[]): FunctionFragment[] {
  return fragments.filter((fragment) => !fragment.constant);
}

/**
 * The revert data of a failed call: ethers puts it on `error.data`; when the node's error reaches the caller unwrapped
 * (Hardhat's ProviderError, as for a call whose result decodes a struct), it is `error.data.data`.
 */
export function revertData(error: unknown): string | undefined {
  const data = (error as { data?: unknown }).data;
  if (typeof data === "string") return data;
  const inner = (data as { data?: unknown } | undefined)?.data;
  return typeof inner === "string" ? inner : undefined;
}
