/**
 * Reads and validates the settings that come from the environment (`.env`).
 *
 * Every reader names the variable it failed on, so that a misconfigured
 * consortium deployment stops with one readable line instead of a stack trace.
 */

/** Thrown for a missing or malformed setting; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

/** The EVM versions the suite is compiled and tested for; older chains are not supported. */
export const SUPPORTED_EVM_VERSIONS = ["cancun", "prague", "osaka"] as const;
export type EvmVersion = (typeof SUPPORTED_EVM_VERSIONS)[number];

type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function evmVersion(env: Env): EvmVersion {
  const value = raw(env, "EVM_VERSION") ?? "cancun";
  if (!(SUPPORTED_EVM_VERSIONS as readonly string[]).includes(value)) {
    throw new ConfigError(
      "EVM_VERSION",
      `"${value}" is not supported; use one of ${SUPPORTED_EVM_VERSIONS.join(", ")} (chains older than Cancun are not supported)`,
    );
  }
  return value as EvmVersion;
}

/** The `consortium` network's settings, or `undefined` when CONSORTIUM_RPC_URL is unset. */
export interface ConsortiumSettings {
  url: string;
  chainId: number;
  accounts: string[] | { mnemonic: string; path: string; count: number };
  gasPrice: number;
}

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * A node URL as it may be printed: a user name and password (an authenticating proxy in front of a node) become `***`,
 * and a query string (where some gateways put an API token) `?***`. Everything an operator needs to recognise the node
 * — scheme, host, port and path — stays.
 */
export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//***@").replace(/\?.*$/, "?***");
  }
  if (parsed.username === "" && parsed.password === "" && parsed.search === "") return url;
  if (parsed.username !== "" || parsed.password !== "") {
    parsed.username = "***";
    parsed.password = "";
  }
  if (parsed.search !== "") parsed.search = "?***";
  return parsed.toString();
}

/**
 * A node's JSON-RPC URL, over HTTP: Hardhat 2 reaches remote networks through its HTTP provider only, so a WebSocket
 * URL is refused here, with the port a Besu or GoQuorum node serves HTTP on, rather than failing in the provider.
 */
export function rpcUrl(variable: string, url: string): string {
  if (/^wss?:\/\//i.test(url)) {
    throw new ConfigError(
      variable,
      `"${displayUrl(url)}" is a WebSocket URL, which Hardhat 2 cannot use; give the node's HTTP JSON-RPC endpoint ` +
        "(http:// or https://; Besu: --rpc-http-enabled, port 8545 by default)",
    );
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !["http:", "https:"].includes(parsed.protocol) || parsed.hostname === "") {
    throw new ConfigError(variable, `"${displayUrl(url)}" is not an http:// or https:// URL`);
  }
  return url;
}

/** The `localhost` network's URL: `LOCALHOST_RPC_URL`, by default a node on this machine's port 8545. */
export function localhostUrl(env: Env): string {
  return rpcUrl("LOCALHOST_RPC_URL", raw(env, "LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545");
}

export function consortium(env: Env): ConsortiumSettings | undefined {
  const rawUrl = raw(env, "CONSORTIUM_RPC_URL");
  if (rawUrl === undefined) return undefined;
  const url = rpcUrl("CONSORTIUM_RPC_URL", rawUrl);
  const chainId = integer(env, "CONSORTIUM_CHAIN_ID", { required: true, min: 1 });
  const gasPrice = integer(env, "CONSORTIUM_GAS_PRICE", { required: false, min: 0 }) ?? 0;

  const keys = raw(env, "CONSORTIUM_PRIVATE_KEYS");
  const mnemonic = raw(env, "CONSORTIUM_MNEMONIC");
  if ((keys === undefined) === (mnemonic === undefined)) {
    throw new ConfigError(
      keys === undefined ? "CONSORTIUM_PRIVATE_KEYS" : "CONSORTIUM_MNEMONIC",
      "set exactly one of CONSORTIUM_PRIVATE_KEYS or CONSORTIUM_MNEMONIC",
    );
  }
  let accounts: ConsortiumSettings["accounts"];
  if (keys !== undefined) {
    accounts = keys.split(",").map((key, index) => {
      const k = key.trim();
      if (!PRIVATE_KEY.test(k)) {
        throw new ConfigError("CONSORTIUM_PRIVATE_KEYS", `entry ${index + 1} is not a 32-byte hex private key`);
      }
      return k.startsWith("0x") ? k : `0x${k}`;
    });
  } else {
    const words = (mnemonic as string).split(/\s+/);
    if (![12, 15, 18, 21, 24].includes(words.length)) {
      throw new ConfigError("CONSORTIUM_MNEMONIC", `has ${words.length} words; a BIP-39 mnemonic has 12 to 24`);
    }
    accounts = {
      mnemonic: words.join(" "),
      path: raw(env, "CONSORTIUM_HD_PATH") ?? "m/44'/60'/0'/0",
      count: integer(env, "CONSORTIUM_ACCOUNT_COUNT", { required: false, min: 1 }) ?? 10,
    };
  }
  return { url, chainId, accounts, gasPrice };
}

function integer(env: Env, name: string, opts: { required: true; min: number }): number;
function integer(env: Env, name: string, opts: { required: false; min: number }): number | undefined;
function integer(env: Env, name: string, opts: { required: boolean; min: number }): number | undefined {
  const value = raw(env, name);
  if (value === undefined) {
    if (opts.required) throw new ConfigError(name, "is required when CONSORTIUM_RPC_URL is set");
    return undefined;
  }
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < opts.min) {
    throw new ConfigError(name, `"${value}" is not a whole number ≥ ${opts.min}`);
  }
  return Number(value);
}
