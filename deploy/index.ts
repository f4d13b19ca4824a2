import fs from "node:fs";
import path from "node:path";

import { getAddress, isAddress, ZeroAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { Deployment } from "../sdk/core/deployment";
import { Roles } from "../sdk/core/roles";
import { categorySet, DataCategory, Purpose, PURPOSE_COUNT, purposeSet } from "../sdk/consent/scopes";
import type {
  AccessManager,
  BreakGlass,
  ClaimsAdjudicator,
  ConsentPolicy,
  ConsentRegistry,
  IdentifierRegistry,
  IdentityRegistry,
  IERC20Metadata,
  PriorAuthorizations,
  ProductSafety,
  RecordRegistry,
  SupplyChain,
  TestStablecoin,
  TrialProtocol,
  TrialRegistry,
  TrialSafety,
} from "../typechain-types";
import { deployWithProgress } from "./ignition";
import CareLedgerModule from "./modules/CareLedger";
import TestStablecoinModule from "./modules/TestStablecoin";

/** The settlement-token parameter that asks for a freshly deployed 6-decimal test stablecoin (local chains only). */
export const TEST_STABLECOIN = "TestStablecoin";

/** The `CareLedger` module's parameters, as in `deploy/parameters/<network>.json`. */
export interface CareLedgerParameters {
  admin: string;
  adminExecutionDelay: number;
  registrar: string;
  pauser: string;
  auditor: string;
  /** The ERC-20 claims are paid in, or `"TestStablecoin"` to deploy a test stablecoin owned by the deployer. */
  settlementToken: string;
  /** The consent policy's rules, from the file's `ConsentPolicy` section. */
  consentPolicy: ConsentPolicyParameters;
}

/** The consent policy as the parameter file states it: names, hours and days rather than bitmaps and seconds. */
export interface ConsentPolicyParameters {
  sensitiveCategories: DataCategory[];
  namedPurposes: Purpose[];
  breakGlassExcludedCategories: DataCategory[];
  maxBreakGlassHours: number;
  /** How many break-glass sessions one practitioner may hold open at once (1 to 8). */
  maxOpenBreakGlassSessions: number;
  /** The longest grant per purpose, in days; every purpose must be listed. */
  maxGrantDays: Record<keyof typeof Purpose, number>;
}

export interface CareLedgerSystem {
  accessManager: AccessManager;
  identityRegistry: IdentityRegistry;
  identifierRegistry: IdentifierRegistry;
  consentPolicy: ConsentPolicy;
  consentRegistry: ConsentRegistry;
  breakGlass: BreakGlass;
  recordRegistry: RecordRegistry;
  claimsAdjudicator: ClaimsAdjudicator;
  priorAuthorizations: PriorAuthorizations;
  supplyChain: SupplyChain;
  productSafety: ProductSafety;
  trialRegistry: TrialRegistry;
  trialProtocol: TrialProtocol;
  trialSafety: TrialSafety;
  settlementToken: IERC20Metadata;
  /** The test stablecoin when one was deployed (its owner, the deployer, mints); undefined with a real token. */
  testStablecoin: TestStablecoin | undefined;
  deployment: Deployment;
  parameters: CareLedgerParameters;
}

function contractAddress(deployed: Record<string, string>, futureId: string): string {
  const address = deployed[futureId];
  if (address === undefined) throw new Error(`the deployment has no contract ${futureId}`);
  return address;
}

export const PARAMETERS_DIR = path.join(__dirname, "parameters");

/** Reads and validates `deploy/parameters/<network>.json`; errors name the file and the field. */
export function loadParameters(network: string, dir = PARAMETERS_DIR): CareLedgerParameters {
  const file = path.join(dir, `${network}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file}: no deployment parameters for network "${network}"`);
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as {
    CareLedger?: Record<string, unknown>;
    ConsentPolicy?: Record<string, unknown>;
  };
  return validateParameters(parsed.CareLedger ?? {}, file, parsed.ConsentPolicy ?? {});
}

export function validateParameters(
  raw: Record<string, unknown>,
  source: string,
  policy: Record<string, unknown>,
): CareLedgerParameters {
  const address = (field: string): string => {
    const value = raw[field];
    if (typeof value !== "string" || !isAddress(value) || getAddress(value) === ZeroAddress) {
      throw new Error(`${source}: CareLedger.${field} must be a non-zero address, got ${JSON.stringify(value)}`);
    }
    return getAddress(value);
  };
  const delay = raw.adminExecutionDelay;
  if (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0 || delay >= 2 ** 32) {
    throw new Error(
      `${source}: CareLedger.adminExecutionDelay must be whole seconds in [0, 2^32), got ${JSON.stringify(delay)}`,
    );
  }
  return {
    admin: address("admin"),
    adminExecutionDelay: delay,
    registrar: address("registrar"),
    pauser: address("pauser"),
    auditor: address("auditor"),
    settlementToken: raw.settlementToken === TEST_STABLECOIN ? TEST_STABLECOIN : address("settlementToken"),
    consentPolicy: validatePolicyParameters(policy, source),
  };
}

/** Checks the `ConsentPolicy` section: known names, whole positive hours and days. Errors name the field. */
export function validatePolicyParameters(raw: Record<string, unknown>, source: string): ConsentPolicyParameters {
  const names = <E extends Record<string, string | number>>(field: string, enumeration: E): E[keyof E][] => {
    const value = raw[field];
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || !(item in enumeration))) {
      throw new Error(
        `${source}: ConsentPolicy.${field} must be a list of ${Object.keys(enumeration)
          .filter((key) => Number.isNaN(Number(key)))
          .join(", ")}; got ${JSON.stringify(value)}`,
      );
    }
    return (value as string[]).map((item) => enumeration[item] as E[keyof E]);
  };
  const whole = (field: string, value: unknown, max: number): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value > max) {
      throw new Error(
        `${source}: ConsentPolicy.${field} must be a whole number in [1, ${max}], got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const days = raw.maxGrantDays;
  if (typeof days !== "object" || days === null) {
    throw new Error(
      `${source}: ConsentPolicy.maxGrantDays must map every purpose to days, got ${JSON.stringify(days)}`,
    );
  }
  const maxGrantDays = {} as Record<keyof typeof Purpose, number>;
  for (const purpose of Object.keys(Purpose).filter((key) => Number.isNaN(Number(key))) as (keyof typeof Purpose)[]) {
    // 49,710 days is the most a uint32 of seconds holds.
    maxGrantDays[purpose] = whole(`maxGrantDays.${purpose}`, (days as Record<string, unknown>)[purpose], 49_710);
  }
  const extra = Object.keys(days).filter((key) => !(key in Purpose));
  if (extra.length > 0)
    throw new Error(`${source}: ConsentPolicy.maxGrantDays names unknown purposes ${extra.join(", ")}`);
  return {
    sensitiveCategories: names("sensitiveCategories", DataCategory),
    namedPurposes: names("namedPurposes", Purpose),
    breakGlassExcludedCategories: names("breakGlassExcludedCategories", DataCategory),
    maxBreakGlassHours: whole("maxBreakGlassHours", raw.maxBreakGlassHours, 1_193_046),
    maxOpenBreakGlassSessions: whole("maxOpenBreakGlassSessions", raw.maxOpenBreakGlassSessions, 8),
    maxGrantDays,
  };
}

/** The constructor arguments of `ConsentPolicy` for the readable parameters. */
export function policyArguments(policy: ConsentPolicyParameters) {
  const maxGrantDurations: number[] = [];
  for (let purpose = 0; purpose < PURPOSE_COUNT; purpose++) {
    maxGrantDurations.push(policy.maxGrantDays[Purpose[purpose] as keyof typeof Purpose] * 86_400);
  }
  return {
    rules: {
      sensitiveCategories: categorySet(...policy.sensitiveCategories),
      namedPurposes: purposeSet(...policy.namedPurposes),
      breakGlassExcludedCategories: categorySet(...policy.breakGlassExcludedCategories),
      maxBreakGlassDuration: policy.maxBreakGlassHours * 3_600,
      maxOpenBreakGlassSessions: policy.maxOpenBreakGlassSessions,
    },
    maxGrantDurations,
  };
}

/**
 * Deploys (or resumes deploying) the whole system through the Ignition modules, then hands admin over: if the
 * configured admin is not the deploying account, the deployer renounces ADMIN_ROLE once the admin holds it.
 * Used by `careledger:deploy`, the demo, the benchmark and the test fixture alike.
 */
export async function deployCareLedger(
  hre: HardhatRuntimeEnvironment,
  parameters: CareLedgerParameters,
  log: (line: string) => void = () => undefined,
): Promise<CareLedgerSystem> {
  const [deployer] = await hre.ethers.getSigners();
  if (deployer === undefined) throw new Error(`network ${hre.network.name} has no accounts to deploy from`);
  const { consentPolicy: policy, settlementToken: tokenParameter, ...roles } = parameters;
  let settlementTokenAddress = tokenParameter;
  if (tokenParameter === TEST_STABLECOIN) {
    const token = await deployWithProgress(
      hre,
      TestStablecoinModule,
      { TestStablecoin: { owner: await deployer.getAddress() } },
      log,
    );
    settlementTokenAddress = contractAddress(token, "TestStablecoin#TestStablecoin");
    log(`settlement token: test stablecoin at ${settlementTokenAddress}`);
  }
  const deployed = await deployWithProgress(
    hre,
    CareLedgerModule,
    {
      CareLedger: { ...roles },
      ConsentPolicy: policyArguments(policy),
      ClaimsAdjudicator: { settlementToken: settlementTokenAddress },
    },
    log,
  );
  const at = async <T>(name: string, futureId: string): Promise<T> =>
    (await hre.ethers.getContractAt(name, contractAddress(deployed, futureId))) as T;
  const accessManager = await at<AccessManager>("AccessManager", "AccessManager#AccessManager");
  const identityRegistry = await at<IdentityRegistry>("IdentityRegistry", "IdentityRegistry#IdentityRegistry");
  const identifierRegistry = await at<IdentifierRegistry>(
    "IdentifierRegistry",
    "IdentifierRegistry#IdentifierRegistry",
  );
  const consentPolicy = await at<ConsentPolicy>("ConsentPolicy", "ConsentPolicy#ConsentPolicy");
  const consentRegistry = await at<ConsentRegistry>("ConsentRegistry", "ConsentRegistry#ConsentRegistry");
  const breakGlass = await at<BreakGlass>("BreakGlass", "ConsentRegistry#BreakGlass");
  const recordRegistry = await at<RecordRegistry>("RecordRegistry", "RecordRegistry#RecordRegistry");
  const claimsAdjudicator = await at<ClaimsAdjudicator>("ClaimsAdjudicator", "ClaimsAdjudicator#ClaimsAdjudicator");
  const priorAuthorizations = await at<PriorAuthorizations>(
    "PriorAuthorizations",
    "ClaimsAdjudicator#PriorAuthorizations",
  );
  const supplyChain = await at<SupplyChain>("SupplyChain", "SupplyChain#SupplyChain");
  const productSafety = await at<ProductSafety>("ProductSafety", "SupplyChain#ProductSafety");
  const trialRegistry = await at<TrialRegistry>("TrialRegistry", "Trials#TrialRegistry");
  const trialProtocol = await at<TrialProtocol>("TrialProtocol", "Trials#TrialProtocol");
  const trialSafety = await at<TrialSafety>("TrialSafety", "Trials#TrialSafety");
  const settlementToken = await hre.ethers.getContractAt("IERC20Metadata", settlementTokenAddress);
  const testStablecoin =
    tokenParameter === TEST_STABLECOIN
      ? await hre.ethers.getContractAt("TestStablecoin", settlementTokenAddress)
      : undefined;

  const deployerAddress = await deployer.getAddress();
  if (getAddress(parameters.admin) !== deployerAddress) {
    const [adminHasRole] = await accessManager.hasRole(Roles.ADMIN, parameters.admin);
    const [deployerHasRole] = await accessManager.hasRole(Roles.ADMIN, deployerAddress);
    if (!adminHasRole) throw new Error(`the admin ${parameters.admin} does not hold ADMIN_ROLE; not renouncing`);
    if (deployerHasRole) {
      await (await accessManager.connect(deployer).renounceRole(Roles.ADMIN, deployerAddress)).wait();
      log(`deployer ${deployerAddress} renounced ADMIN_ROLE; admin is ${parameters.admin}`);
    }
  }
  const { chainId } = await hre.ethers.provider.getNetwork();
  return {
    accessManager,
    identityRegistry,
    identifierRegistry,
    consentPolicy,
    consentRegistry,
    breakGlass,
    recordRegistry,
    claimsAdjudicator,
    priorAuthorizations,
    supplyChain,
    productSafety,
    trialRegistry,
    trialProtocol,
    trialSafety,
    settlementToken,
    testStablecoin,
    parameters,
    deployment: {
      chainId,
      accessManager: await accessManager.getAddress(),
      identityRegistry: await identityRegistry.getAddress(),
      identifierRegistry: await identifierRegistry.getAddress(),
      consentPolicy: await consentPolicy.getAddress(),
      consentRegistry: await consentRegistry.getAddress(),
      breakGlass: await breakGlass.getAddress(),
      recordRegistry: await recordRegistry.getAddress(),
      claimsAdjudicator: await claimsAdjudicator.getAddress(),
      priorAuthorizations: await priorAuthorizations.getAddress(),
      supplyChain: await supplyChain.getAddress(),
      productSafety: await productSafety.getAddress(),
      trialRegistry: await trialRegistry.getAddress(),
      trialProtocol: await trialProtocol.getAddress(),
      trialSafety: await trialSafety.getAddress(),
    },
  };
}
