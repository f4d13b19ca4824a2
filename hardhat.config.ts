import "dotenv/config";
import "@nomicfoundation/hardhat-toolbox";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig, NetworkUserConfig } from "hardhat/types";

import { ConfigError, consortium, evmVersion } from "./config/env";
import "./tasks";

/**
 * The one Solidity version of the suite. The compiler is the `solc` npm package pinned to this
 * exact version in package.json, so a fresh clone compiles without downloading anything.
 */
const SOLIDITY_VERSION = "0.8.30";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(({ solcVersion }: { solcVersion: string }) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version();
  if (solcVersion !== SOLIDITY_VERSION || !longVersion.startsWith(`${solcVersion}+`)) {
    throw new Error(
      `Solidity ${solcVersion} was requested but the solc package provides ${longVersion}; pin "solc" to ${SOLIDITY_VERSION}`,
    );
  }
  return Promise.resolve({
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: solcVersion,
    longVersion,
  });
});

function settings() {
  try {
    return { evm: evmVersion(process.env), consortium: consortium(process.env) };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error in .env: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

const { evm, consortium: consortiumSettings } = settings();

const networks: Record<string, NetworkUserConfig> = {
  hardhat: { hardfork: evm },
  localhost: { url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545" },
};
if (consortiumSettings !== undefined) {
  networks.consortium = {
    url: consortiumSettings.url,
    chainId: consortiumSettings.chainId,
    accounts: consortiumSettings.accounts,
    gasPrice: consortiumSettings.gasPrice,
    ignition: { gasPrice: BigInt(consortiumSettings.gasPrice), disableFeeBumping: consortiumSettings.gasPrice === 0 },
  };
}

/** The one compiler configuration; `runs` is the optimizer's expected number of calls per contract. */
function compiler(runs: number, viaIR = false) {
  return {
    version: SOLIDITY_VERSION,
    settings: {
      viaIR,
      evmVersion: evm,
      optimizer: { enabled: true, runs },
      outputSelection: { "*": { "*": ["storageLayout"] } },
    },
  };
}

const config: HardhatUserConfig = {
  solidity: {
    compilers: [compiler(10_000)],
    // The consent registry goes through the IR pipeline: the legacy one puts it over the 24,576-byte code limit at
    // 10,000 runs, and at the 1,000 runs that fit it, a cold decision costs some 700 gas more. The identity registry
    // stays on the legacy pipeline at 1,000 runs: 22.8 kB, and a self-registration under its 75,000-gas target (the IR
    // pipeline makes it smaller but registration some 400 gas dearer).
    overrides: {
      "contracts/identity/IdentityRegistry.sol": compiler(1000),
      "contracts/consent/ConsentRegistry.sol": compiler(10_000, true),
      // Created by the consent registry, so compiled with its settings: the standalone artifact is the code deployed.
      "contracts/consent/BreakGlass.sol": compiler(10_000, true),
      "contracts/records/RecordRegistry.sol": compiler(10_000, true),
      "contracts/claims/ClaimsAdjudicator.sol": compiler(500, true),
      // Created by the adjudicator, so compiled with its settings: the standalone artifact is the code deployed.
      "contracts/claims/PriorAuthorizations.sol": compiler(500, true),
    },
  },
  networks,
  paths: { ignition: "deploy" },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", currency: "USD", offline: true },
  mocha: { timeout: 120_000 },
};

export default config;
