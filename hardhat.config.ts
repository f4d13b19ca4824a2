import "dotenv/config";
import "@nomicfoundation/hardhat-toolbox";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig, NetworkUserConfig } from "hardhat/types";

import { ConfigError, consortium, evmVersion, localhostUrl } from "./config/env";
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
    return {
      evm: evmVersion(process.env),
      localhost: localhostUrl(process.env),
      consortium: consortium(process.env),
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error in .env: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

const { evm, localhost, consortium: consortiumSettings } = settings();

/**
 * Where a build goes when not to `artifacts/` and `cache/`: CI runs the suite for the other EVM versions beside the
 * default one, each compiled into its own directory (`CARELEDGER_BUILD_DIR=.build/prague`), so that no run overwrites
 * the artifacts another is reading.
 */
const buildDir = process.env.CARELEDGER_BUILD_DIR === "" ? undefined : process.env.CARELEDGER_BUILD_DIR;

const networks: Record<string, NetworkUserConfig> = {
  hardhat: { hardfork: evm },
  localhost: { url: localhost },
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
    // Per-contract settings, each for size (every deployable contract under the 24,576-byte limit) and gas:
    // - the consent registry, and the BreakGlass workflow it creates (compiled with its settings), through the IR
    //   pipeline at 10,000 runs: the legacy pipeline cannot compile the workflow (stack too deep), and this keeps a cold
    //   decision under its 15,000-gas target;
    // - the identity registry on the legacy pipeline at 1,000 runs: about 22.8 kB (25,655 bytes at 10,000 runs, over the
    //   limit), self-registration under its 75,000-gas target; the IR pipeline makes it smaller but the cold
    //   decision, which reads its binding words, some 500 gas dearer;
    // - the claims adjudicator, and the PriorAuthorizations it creates, through the IR pipeline at 500 runs: the legacy
    //   pipeline cannot compile it (stack too deep) and 10,000 runs make it 26,245 bytes; at 500 it is 21,148 bytes
    //   with the one-line claim under its 120,000-gas target;
    // - the supply-chain registry, and the ProductSafety it creates, through the IR pipeline at 800 runs: 1,000 runs
    //   make it 25,173 bytes; at 800 it is 24,170 bytes with a recorded verification under its 60,000-gas target
    //   (at 500 runs, 23,898 bytes and 51 gas over it).
    // `npx hardhat careledger:check-sizes` (part of `npm run lint`) prints every size and fails over the limit.
    overrides: {
      "contracts/identity/IdentityRegistry.sol": compiler(1000),
      "contracts/consent/ConsentRegistry.sol": compiler(10_000, true),
      // Created by the consent registry, so compiled with its settings: the standalone artifact is the code deployed.
      "contracts/consent/BreakGlass.sol": compiler(10_000, true),
      "contracts/records/RecordRegistry.sol": compiler(10_000, true),
      "contracts/claims/ClaimsAdjudicator.sol": compiler(500, true),
      // Created by the adjudicator, so compiled with its settings: the standalone artifact is the code deployed.
      "contracts/claims/PriorAuthorizations.sol": compiler(500, true),
      "contracts/supplychain/SupplyChain.sol": compiler(800, true),
      // Created by the supply-chain registry, so compiled with its settings: the standalone artifact is the code deployed.
      "contracts/supplychain/ProductSafety.sol": compiler(800, true),
      "contracts/trials/TrialRegistry.sol": compiler(200, true),
      // Created by the trial registry, so compiled with its settings: the standalone artifact is the code deployed.
      "contracts/trials/TrialProtocol.sol": compiler(200, true),
    },
  },
  networks,
  paths: {
    ignition: "deploy",
    ...(buildDir === undefined ? {} : { artifacts: `${buildDir}/artifacts`, cache: `${buildDir}/cache` }),
  },
  // TypeChain's types are the same for every EVM version: a build in its own directory leaves them to the default one.
  typechain: { outDir: "typechain-types", target: "ethers-v6", dontOverrideCompile: buildDir !== undefined },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", currency: "USD", offline: true },
  mocha: { timeout: 120_000 },
};

export default config;
