/**
 * `careledger:simulate` (`npm run simulate -- --claims 2000 --seed 7 [--network localhost]`): runs a seeded synthetic
 * claims flow through the SDK's `ClaimsClient` — payers, plans (some codes with a units limit), networks, members'
 * enrollments, prior authorizations through the PriorAuthorizations contract, claims, funding rounds, a queue, appeals,
 * payers taking back surplus and providers' withdrawals — and feeds every step to the TypeScript model of the rules
 * (`sdk/claims/model.ts`), comparing every line, claim, accumulator, authorization, balance and queue entry. Prints a
 * summary; any disagreement is listed and the task fails.
 *
 * On the in-process `hardhat` network it deploys a fresh system; on any other network it uses the recorded deployment
 * and the network's accounts (the registrar and admin of the network's parameter file, the test stablecoin's owner).
 *
 * Patients are members on chain: each is named by her plan-scoped member pseudonym (`memberPseudonym` of the
 * simulation's member key, the plan id and her member number) and needs no account; the model keeps her abstract
 * patient number (her index + 1).
 */
import { performance } from "node:perf_hooks";

import type { ContractTransactionReceipt, Signer, Wallet } from "ethers";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { CareLedgerParameters } from "../deploy";
import type { ClaimsClient, EobLine, Remittance } from "../sdk/claims/client";
import type { ClaimResult, ClaimsModel, LineResult, QueueEntry } from "../sdk/claims/model";
import type { Population, ProviderRef, SimAccount, SimWithdrawal } from "../sdk/claims/population";
import type { ParticipantKind } from "../sdk/identity/participants";
import { deploymentOf, fail, readable, wholeNumber } from "./util";

export interface SimulationOptions {
  claims: number;
  seed: number;
  /** Default: claims / 8. */
  patients?: number;
  /** No progress bar. */
  quiet?: boolean;
  /** Where setup progress goes (default: console.log). */
  log?: (line: string) => void;
}

/** Counts and sums of one kind of line outcome. */
export interface OutcomeTally {
  lines: number;
  billed: bigint;
}

export interface SimulationReport {
  network: string;
  /** Whether the system was deployed for this run (the in-process network). */
  freshDeployment: boolean;
  /** The adjudicator and the first block of this run: its events are the run's remittances. */
  adjudicator: string;
  fromBlock: number;
  seed: number;
  token: { symbol: string; decimals: number };
  population: {
    payers: number;
    plans: number;
    organizations: number;
    practitioners: number;
    patients: number;
    earlierPeriods: number;
    priorAuths: { requested: number; approved: number; narrower: number; denied: number; pending: number };
  };
  claims: {
    attempted: number;
    submitted: number;
    /** Final statuses, after appeals. */
    approved: number;
    partiallyApproved: number;
    denied: number;
    rejectedDuplicateReference: number;
  };
  lines: {
    total: number;
    approved: OutcomeTally;
    /** Denied lines by "GROUP-CARC" ("CO-29"). */
    denied: Map<string, OutcomeTally & { carc: number }>;
    /** Approved lines billed above the allowed amount (CARC 45). */
    writtenOff: number;
  };
  money: {
    billed: bigint;
    allowed: bigint;
    paidByPlans: bigint;
    deductible: bigint;
    copay: bigint;
    coinsurance: bigint;
    /** Billed amounts of lines denied as patient responsibility (PR). */
    deniedPatient: bigint;
    patientResponsibility: bigint;
    contractual: bigint;
    /** Billed amounts of lines denied with no patient liability (CO, OA). */
    deniedProvider: bigint;
  };
  payments: {
    fundings: number;
    funded: bigint;
    settleCalls: number;
    creditedAtAdjudication: { count: number; amount: bigint };
    queued: { count: number; amount: bigint; overturnedLines: number };
    paidFromQueue: { count: number; amount: bigint };
    stillQueued: { count: number; amount: bigint };
    withdrawn: bigint;
    withdrawals: number;
    /** Surplus payers took back while their queue was empty. */
    payerWithdrawn: bigint;
    payerWithdrawals: number;
    /** Payer withdrawals attempted with a payment waiting in the queue, refused by contract and model alike. */
    payerWithdrawalsRefused: number;
    payerBalances: bigint;
  };
  appeals: { filed: number; upheld: number; overturned: number; reApproved: number; overturnedPays: bigint };
  gas: {
    claims: number;
    total: bigint;
    min: bigint;
    max: bigint;
    byLines: Map<number, { claims: number; total: bigint }>;
  };
  timing: { setupSeconds: number; claimsSeconds: number; checksSeconds: number; totalSeconds: number };
  agreement: { claims: number; lines: number; figures: number; mismatches: string[] };
}

/** An account that acts on chain: its participant id, wallet and claims client. */
interface Actor {
  label: string;
  id: bigint;
  wallet: Wallet;
  claims: ClaimsClient;
}

/** A claim the contract accepted, as the simulator follows it. */
interface ClaimRecord {
  claimId: string;
  index: number;
  blockNumber: number;
  submitter: Actor;
  organization: bigint;
  plan: number;
  /** The latest outcome of every line (an overturned appeal replaces its line). */
  lines: EobLine[];
  appealed: Set<number>;
}

const GAS_ETHER = "1000";
const TRANSFER_ETHER = "10";

/**
 * Runs the simulation and returns its report; mismatches are in `report.agreement.mismatches` (the task fails on
 * any). Deploys a fresh system on the in-process network, else uses the recorded deployment.
 */
export async function simulateClaims(
  hre: HardhatRuntimeEnvironment,
  options: SimulationOptions,
): Promise<SimulationReport> {
  const started = performance.now();
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const { Wallet, parseEther, toQuantity } = await import("ethers");
  const {
    AdjustmentGroup,
    CLAIM_PAYMENT,
    CareLedgerError,
    ClaimStatus,
    ClaimsClient,
    GROUP_CODES,
    IdentityClient,
    ParticipantKind,
    PaymentStatus,
    PriorAuthStatus,
    Roles,
    AppealStatus,
    claimIdOf,
    claimReference,
    commit,
    formatAmount,
    memberPseudonym,
    toPaymentStatus,
  } = await import("../sdk");
  const { ClaimsModel, ClaimsModelError } = await import("../sdk/claims/model");
  const { generatePopulation, SIMULATION_MEMBER_KEY } = await import("../sdk/claims/population");
  const { AccessManager__factory, TestStablecoin__factory } = await import("../typechain-types");

  const { ethers } = hre;
  const provider = ethers.provider;
  const network = hre.network.name;
  const signers = await ethers.getSigners();

  // ---- the system and the accounts that run it ---------------------------------------------------------------------
  const { deployCareLedger, loadParameters } = await import("../deploy");
  const freshDeployment = network === "hardhat";
  const parameters = ((): CareLedgerParameters => {
    try {
      return loadParameters(network);
    } catch (error) {
      fail((error as Error).message);
    }
  })();
  const deployment = freshDeployment ? (await deployCareLedger(hre, parameters)).deployment : await deploymentOf(hre);
  const signerAt = (address: string, role: string): Signer => {
    const signer = signers.find((candidate) => candidate.address.toLowerCase() === address.toLowerCase());
    if (signer === undefined) {
      fail(`the ${role} ${address} (deploy/parameters/${network}.json) is not one of network ${network}'s accounts`);
    }
    return signer;
  };
  const registrar = signerAt(parameters.registrar, "registrar");
  const admin = signerAt(parameters.admin, "admin");
  const root = ClaimsClient.connect(provider, deployment);
  const adjudicatorAddress = deployment.claimsAdjudicator;
  const tokenAddress = await root.adjudicator.settlementToken();
  const token = TestStablecoin__factory.connect(tokenAddress, provider);
  let tokenOwner: string;
  try {
    tokenOwner = await token.owner();
  } catch {
    fail(
      `the settlement token ${tokenAddress} has no owner(): the simulator mints test dollars for the payers and ` +
        `needs the TestStablecoin of a local deployment`,
    );
  }
  const minter = signers.find((signer) => signer.address.toLowerCase() === tokenOwner.toLowerCase());
  if (minter === undefined) {
    fail(
      `the settlement token's owner ${tokenOwner} is not one of network ${network}'s accounts, so the simulator ` +
        `cannot mint the payers' test dollars`,
    );
  }
  const decimals = Number(await token.decimals());
  const symbol = await token.symbol();
  const maxSettlePerFunding = Number(await root.adjudicator.MAX_SETTLE_PER_FUNDING());
  const maxSettle = Number(await root.adjudicator.MAX_SETTLE());
  const heldBefore = await token.balanceOf(adjudicatorAddress);
  const fromBlock = (await provider.getBlockNumber()) + 1;
  const anchor = BigInt((await provider.getBlock("latest"))?.timestamp ?? fail("the network has no latest block"));

  // A key controls one participant only, so a second run against the same chain takes the next namespace: the same
  // population with fresh keys. The first account registered tells whether a namespace was used.
  const registry = IdentityClient.connect(provider, deployment);
  const population = await (async (): Promise<Population> => {
    for (let run = 1; run <= 1_000; run++) {
      const candidate = generatePopulation({
        seed: options.seed,
        claims: options.claims,
        patients: options.patients,
        now: anchor,
        unit: 10n ** BigInt(decimals),
        namespace: run === 1 ? "" : `run ${run}`,
      });
      const first = new Wallet(candidate.payers[0]!.privateKey).address;
      if ((await registry.idOf(first)) === 0n) return candidate;
    }
    fail("a thousand earlier simulations with this seed on this chain: start a fresh chain");
  })();
  const money = (amount: bigint) => formatAmount(amount, decimals);
  log(
    `${freshDeployment ? "Deployed a fresh CareLedger on the in-process network" : `CareLedger on ${network}`}: ` +
      `adjudicator ${adjudicatorAddress}, settlement token ${symbol} ${tokenAddress}`,
  );

  // ---- model agreement ------------------------------------------------------------------------------------------------
  const model: ClaimsModel = new ClaimsModel({ maxSettlePerCall: maxSettlePerFunding });
  const mismatches: string[] = [];
  let figures = 0;
  const same = (where: string, what: string, chain: unknown, expected: unknown): void => {
    figures++;
    if (chain !== expected) {
      mismatches.push(`${where}: ${what} is ${show(chain)} on chain but ${show(expected)} in the model`);
    }
  };
  /** Runs a model step; a refusal the chain did not make is a mismatch. */
  const modelStep = <T>(where: string, step: () => T): T | undefined => {
    try {
      return step();
    } catch (error) {
      if (!(error instanceof ClaimsModelError)) throw error;
      mismatches.push(`${where}: the chain accepted it but the model refused: ${error.message}`);
      return undefined;
    }
  };
  const blockTime = async (receipt: ContractTransactionReceipt): Promise<bigint> => {
    const block = await receipt.getBlock();
    return BigInt(block.timestamp);
  };

  // ---- accounts ------------------------------------------------------------------------------------------------------------
  // Patients need no account: the chain names them by their member pseudonyms.
  const accounts: SimAccount[] = [
    ...population.payers.flatMap((payer) => [payer, payer.reviewer]),
    ...population.organizations,
    ...population.practitioners,
  ];
  const wallets = new Map(accounts.map((account) => [account, new Wallet(account.privateKey, provider)]));
  const walletOf = (account: SimAccount): Wallet => wallets.get(account)!;
  log(`Funding ${accounts.length} simulated accounts with gas…`);
  await fundGas(
    provider,
    signers[0] ?? fail(`network ${network} has no accounts`),
    [...wallets.values()].map((wallet) => wallet.address),
    parseEther(GAS_ETHER),
    parseEther(TRANSFER_ETHER),
    toQuantity,
  );

  log(
    `Registering ${population.payers.length} payers with a reviewer each, ${population.organizations.length} ` +
      `organizations and ${population.practitioners.length} practitioners…`,
  );
  const identity = IdentityClient.connect(registrar, deployment);
  const credentialExpiry = anchor + 2n * 365n * 86_400n;
  /** The key signs its consent, the registrar registers, and a practitioner's organization accepts it. */
  const register = async (account: SimAccount, kind: ParticipantKind, organization?: Actor): Promise<Actor> => {
    const wallet = walletOf(account);
    const credential = account.credential ?? fail(`${account.label} has no credential`);
    const { id } = await identity.registerWithKey(
      wallet,
      {
        kind,
        credentialCommitment: commit(credential.text, credential.salt).commitment,
        credentialExpiry,
        affiliation: organization?.id,
      },
      organization?.wallet,
    );
    return { label: account.label, id, wallet, claims: root.as(wallet) };
  };
  const payers: Actor[] = [];
  const reviewers: Actor[] = [];
  for (const payer of population.payers) {
    const actor = await register(payer, ParticipantKind.Payer);
    payers.push(actor);
    reviewers.push(await register(payer.reviewer, ParticipantKind.Practitioner, actor));
  }
  const organizations: Actor[] = [];
  for (const organization of population.organizations) {
    organizations.push(await register(organization, ParticipantKind.Organization));
  }
  const practitioners: Actor[] = [];
  for (const practitioner of population.practitioners) {
    practitioners.push(
      await register(practitioner, ParticipantKind.Practitioner, organizations[practitioner.organization]),
    );
  }
  const actorOf = (ref: ProviderRef): Actor =>
    ref.kind === "organization" ? organizations[ref.index]! : practitioners[ref.index]!;

  // CLAIMS_REVIEWER is granted by the admin through the AccessManager, waiting out the admin's execution delay.
  const manager = AccessManager__factory.connect(deployment.accessManager, admin);
  const grants = reviewers.map((reviewer) =>
    manager.interface.encodeFunctionData("grantRole", [Roles.CLAIMS_REVIEWER, reviewer.wallet.address, 0]),
  );
  const [immediate, delay] = await manager.canCall(
    await admin.getAddress(),
    deployment.accessManager,
    grants[0]!.slice(0, 10),
  );
  if (immediate) {
    for (const data of grants) await (await admin.sendTransaction({ to: deployment.accessManager, data })).wait();
  } else {
    if (delay === 0n) fail(`the admin ${parameters.admin} may not grant roles on the AccessManager`);
    log(`Granting CLAIMS_REVIEWER to ${reviewers.length} reviewers through the admin's ${delay.toString()} s delay…`);
    for (const data of grants) await (await manager.schedule(deployment.accessManager, data, 0)).wait();
    try {
      await provider.send("evm_increaseTime", [toQuantity(delay)]);
      await provider.send("evm_mine", []);
    } catch (error) {
      fail(
        `network ${network} cannot advance its clock (evm_increaseTime) past the admin's ${delay.toString()} s ` +
          `execution delay: ${(error as Error).message}`,
      );
    }
    for (const data of grants) await (await manager.execute(deployment.accessManager, data)).wait();
  }

  // ---- plans, enrollments, prior authorizations ------------------------------------------------------------------------
  log(`Creating ${population.plans.length} plans, enrolling patients, deciding prior authorizations…`);
  const planIds: bigint[] = [];
  for (const plan of population.plans) {
    const payer = payers[plan.payer]!;
    const networkIds = plan.network.map((index) => organizations[index]!.id);
    const { planId } = await payer.claims.createPlan({ terms: plan.terms, fees: plan.fees, network: networkIds });
    planIds.push(planId);
    model.createPlan(planId, payer.id, {
      deductible: plan.terms.deductible,
      oopMax: plan.terms.oopMax,
      coinsuranceBps: BigInt(plan.terms.coinsuranceBps),
      timelyFilingDays: BigInt(plan.terms.timelyFilingDays),
      appealWindowDays: BigInt(plan.terms.appealWindowDays),
    });
    for (const fee of plan.fees) model.setFee(planId, { ...fee, maxUnits: BigInt(fee.maxUnits ?? 0) });
    for (const organization of networkIds) model.setNetwork(planId, organization, true);
  }
  // Each patient is a member of her plan under her pseudonym on chain, and her abstract number in the model.
  const members = population.patients.map((patient) =>
    memberPseudonym(SIMULATION_MEMBER_KEY, planIds[patient.plan]!, patient.memberNumber),
  );
  const patientNumber = (index: number): bigint => BigInt(index + 1);
  for (const patient of population.patients) {
    const planId = planIds[patient.plan]!;
    const payer = payers[population.plans[patient.plan]!.payer]!;
    for (const period of patient.enrollments) {
      const { seq } = await payer.claims.enroll(
        planId,
        members[patient.index]!,
        period.coverageStart,
        period.coverageEnd,
      );
      const expected = modelStep(`enrollment of ${patient.label}`, () =>
        model.enroll(planId, patientNumber(patient.index), period.coverageStart, period.coverageEnd),
      );
      same(`enrollment of ${patient.label}`, "seq", seq, expected);
    }
  }
  const authIds: bigint[] = [];
  const authTally = { requested: 0, approved: 0, narrower: 0, denied: 0, pending: 0 };
  for (const auth of population.priorAuths) {
    const planId = planIds[auth.plan]!;
    const request = {
      plan: planId,
      code: auth.code,
      units: auth.units,
      validFrom: auth.validFrom,
      validTo: auth.validTo,
    };
    const { authId } = await actorOf(auth.requester).claims.requestPriorAuth({
      ...request,
      member: members[auth.patient]!,
    });
    authIds.push(authId);
    authTally.requested++;
    modelStep(`prior authorization ${authId.toString()}`, () => {
      model.requestPriorAuth(authId, { ...request, patient: patientNumber(auth.patient) });
    });
    const payer = payers[population.plans[auth.plan]!.payer]!;
    const decision = auth.decision;
    if (decision.kind === "approve") {
      const { receipt } = await payer.claims.approvePriorAuth(
        authId,
        decision.units,
        decision.validFrom,
        decision.validTo,
      );
      // The contract drops unusable authorizations as of the approval's block: the model takes the same time.
      const now = await blockTime(receipt);
      modelStep(`approval of prior authorization ${authId.toString()}`, () => {
        model.approvePriorAuth(authId, decision.units, decision.validFrom, decision.validTo, now);
      });
      authTally.approved++;
      if (decision.narrower) authTally.narrower++;
    } else if (decision.kind === "deny") {
      await payer.claims.denyPriorAuth(authId);
      modelStep(`denial of prior authorization ${authId.toString()}`, () => {
        model.denyPriorAuth(authId);
      });
      authTally.denied++;
    } else {
      authTally.pending++;
    }
  }

  // ---- money --------------------------------------------------------------------------------------------------------------
  const payments = {
    fundings: 0,
    funded: 0n,
    settleCalls: 0,
    creditedAtAdjudication: { count: 0, amount: 0n },
    queued: { count: 0, amount: 0n, overturnedLines: 0 },
    paidFromQueue: { count: 0, amount: 0n },
    stillQueued: { count: 0, amount: 0n },
    withdrawn: 0n,
    withdrawals: 0,
    payerWithdrawn: 0n,
    payerWithdrawals: 0,
    payerWithdrawalsRefused: 0,
    payerBalances: 0n,
  };
  const totalBilled = population.claims.reduce(
    (sum, claim) => sum + claim.lines.reduce((lines, line) => lines + line.billed, 0n),
    0n,
  );
  const minted: bigint[] = [];
  for (const [index, payer] of payers.entries()) {
    // More than any payer can owe: funding rounds pay at most 1.3 × what is owed, plus top-ups.
    const topUps = population.fundings.filter((f) => f.payer === index).reduce((sum, f) => sum + f.topUp, 0n);
    const mint = 2n * totalBilled + topUps + population.payers[index]!.initialFunding;
    await (await token.connect(minter).mint(payer.wallet.address, mint)).wait();
    minted.push(mint);
  }

  /** Compares the queued payments a funding or settlement credited with the model's. */
  const compareSettled = (where: string, receipt: ContractTransactionReceipt, expected: QueueEntry[]): void => {
    const credited = receipt.logs
      .map((entry) => root.adjudicator.interface.parseLog(entry))
      .filter((parsed) => parsed?.name === "QueuedPaymentCredited");
    same(where, "number of queued payments credited", credited.length, expected.length);
    credited.forEach((parsed, i) => {
      const entry = expected[i];
      if (parsed === null || entry === undefined) return;
      const amount = parsed.args.getValue("amount") as bigint;
      same(where, `credited payment ${i} claim`, parsed.args.getValue("claimId"), entry.claim);
      same(where, `credited payment ${i} line`, Number(parsed.args.getValue("line")), entry.line ?? CLAIM_PAYMENT);
      same(where, `credited payment ${i} organization`, parsed.args.getValue("organization"), entry.organization);
      same(where, `credited payment ${i} amount`, amount, entry.amount);
      payments.paidFromQueue.count++;
      payments.paidFromQueue.amount += amount;
    });
  };
  const fund = async (payerIndex: number, amount: bigint): Promise<void> => {
    if (amount === 0n) return;
    const payer = payers[payerIndex]!;
    const where = `funding ${payments.fundings + 1} (${payer.label}, ${money(amount)})`;
    const { receipt } = await payer.claims.fund(amount);
    payments.fundings++;
    payments.funded += amount;
    compareSettled(where, receipt, model.fund(payer.id, amount));
    // A funding pays at most MAX_SETTLE_PER_FUNDING queued payments; anyone settles the rest.
    for (;;) {
      const head = model.queue(payer.id)[0];
      if (head === undefined || head.amount > model.payerBalance(payer.id)) break;
      const settled = await payer.claims.settleQueue(payer.id, maxSettle);
      payments.settleCalls++;
      compareSettled(`settlement after ${where}`, settled.receipt, model.settle(payer.id, maxSettle));
    }
  };
  /**
   * A payer takes back a share of its balance: only with an empty queue (the model's, which the chain must agree
   * with); with a payment waiting, the attempt must be refused by both.
   */
  const takeBack = async (withdrawal: SimWithdrawal): Promise<void> => {
    const payer = payers[withdrawal.payer]!;
    const amount = (model.payerBalance(payer.id) * BigInt(withdrawal.shareBps)) / 10_000n;
    if (amount === 0n) return;
    const where = `withdrawal of ${money(amount)} by ${payer.label}`;
    const waiting = model.queue(payer.id).length;
    if (waiting === 0) {
      const { receipt } = await payer.claims.withdrawFunds(amount, payer.wallet.address);
      const event = receipt.logs
        .map((entry) => root.adjudicator.interface.parseLog(entry))
        .find((parsed) => parsed?.name === "PayerWithdrew");
      same(where, "amount withdrawn", event?.args.getValue("amount"), amount);
      modelStep(where, () => {
        model.withdrawFunds(payer.id, amount);
      });
      payments.payerWithdrawals++;
      payments.payerWithdrawn += amount;
      return;
    }
    let refusal: string | undefined;
    try {
      model.withdrawFunds(payer.id, amount);
    } catch (error) {
      if (!(error instanceof ClaimsModelError)) throw error;
      refusal = error.reason;
    }
    figures++;
    try {
      await payer.claims.withdrawFunds(amount, payer.wallet.address);
      mismatches.push(
        `${where} with ${waiting} payment(s) queued: the chain accepted it, the model ${refusal ?? "too"}`,
      );
    } catch (error) {
      if (!(error instanceof CareLedgerError)) throw error;
      if (error.errorName !== "ClaimsPayerHasQueue" || refusal !== "PayerHasQueue") {
        mismatches.push(
          `${where}: the contract refused it with ${error.message}, the model ${refusal === undefined ? "accepted it" : `with ${refusal}`}`,
        );
      }
      payments.payerWithdrawalsRefused++;
    }
  };
  /** What a payer owes beyond its balance, in the model. */
  const shortfall = (payer: Actor): bigint => {
    const owed = model.queue(payer.id).reduce((sum, entry) => sum + entry.amount, 0n);
    const balance = model.payerBalance(payer.id);
    return owed > balance ? owed - balance : 0n;
  };
  for (const [index, payer] of population.payers.entries()) await fund(index, payer.initialFunding);

  const setupSeconds = (performance.now() - started) / 1000;

  // ---- claims ---------------------------------------------------------------------------------------------------------------
  const records: (ClaimRecord | undefined)[] = [];
  const byId = new Map<string, ClaimRecord>();
  const claimsTally = { attempted: 0, submitted: 0, rejectedDuplicateReference: 0 };
  const appealsTally = { filed: 0, upheld: 0, overturned: 0, reApproved: 0, overturnedPays: 0n };
  const gas = { claims: 0, total: 0n, min: 0n, max: 0n, byLines: new Map<number, { claims: number; total: bigint }>() };
  let modelLines = 0;
  const filed: { record: ClaimRecord; line: number; decideBefore: number; overturn: boolean }[] = [];

  const compareLine = (where: string, line: EobLine, expected: LineResult): void => {
    same(where, "denied", line.denied, expected.denied);
    same(where, "CARC", line.carc, expected.carc);
    same(where, "group", GROUP_CODES[line.group], expected.group);
    same(where, "allowed", line.allowed, expected.allowed);
    same(where, "contractual", line.contractual, expected.contractual);
    same(where, "deductible", line.deductible, expected.ded);
    same(where, "copay", line.copay, expected.copay);
    same(where, "coinsurance", line.coinsurance, expected.coins);
    same(where, "plan pays", line.planPays, expected.planPays);
    same(where, "patient owes", line.patientOwes, expected.patientOwes);
    same(where, "prior authorization", line.priorAuth, expected.priorAuth);
  };
  const compareRemittance = (where: string, remittance: Remittance, expected: ClaimResult): void => {
    same(where, "status", ClaimStatus[remittance.status], expected.status);
    same(where, "plan pays", remittance.planPays, expected.planPays);
    same(where, "patient owes", remittance.patientOwes, expected.patientOwes);
    const payment =
      expected.planPays === 0n
        ? PaymentStatus.None
        : expected.paidAtAdjudication
          ? PaymentStatus.Credited
          : PaymentStatus.Queued;
    same(where, "payment", PaymentStatus[remittance.payment], PaymentStatus[payment]);
    same(where, "number of lines", remittance.lines.length, expected.lines.length);
    remittance.lines.forEach((line, i) => {
      const result = expected.lines[i];
      if (result !== undefined) compareLine(`${where} line ${i + 1} (${line.code})`, line, result);
    });
  };

  const submit = async (index: number): Promise<void> => {
    const claim = population.claims[index]!;
    const organization = organizations[claim.organization]!;
    const submitter = actorOf(claim.submitter);
    const member = members[claim.patient]!;
    const planIndex = population.patients[claim.patient]!.plan;
    const plan = planIds[planIndex]!;
    const reference = claimReference(population.organizations[claim.organization]!.referenceKey, claim.claimNumber);
    const claimId = claimIdOf(organization.id, reference);
    const where = `claim ${index + 1} (${claim.kind}, ${claim.claimNumber})`;
    const input = {
      id: claimId,
      organization: organization.id,
      reference,
      patient: patientNumber(claim.patient),
      plan,
      lines: claim.lines,
    };
    claimsTally.attempted++;
    let sent;
    try {
      sent = await submitter.claims.submitClaim({ member, plan, reference, lines: claim.lines, attachments: [] });
    } catch (error) {
      if (!(error instanceof CareLedgerError)) throw error;
      if (error.errorName === "ClaimsDuplicateReference") claimsTally.rejectedDuplicateReference++;
      // The model must refuse it too (its state is unchanged when it does). The time is not needed for that.
      let refusal: string | undefined;
      try {
        model.submitClaim(input, anchor);
      } catch (modelError) {
        if (!(modelError instanceof ClaimsModelError)) throw modelError;
        refusal = modelError.reason;
      }
      const agrees =
        error.errorName === "ClaimsDuplicateReference"
          ? refusal === "ClaimExists" || refusal === "DuplicateReference"
          : refusal !== undefined;
      figures++;
      if (!agrees) {
        mismatches.push(
          `${where}: the contract refused it with ${error.message} but the model ` +
            (refusal === undefined ? "accepted it" : `refused it with ${refusal}`),
        );
      }
      records.push(undefined);
      return;
    }
    const { receipt, remittance } = sent;
    const now = await blockTime(receipt);
    same(where, "claim id", remittance.claimId, claimId);
    const expected = modelStep(where, () => model.submitClaim(input, now));
    if (expected !== undefined) compareRemittance(where, remittance, expected);
    modelLines += remittance.lines.length;
    claimsTally.submitted++;
    if (remittance.planPays > 0n) {
      if (remittance.payment === PaymentStatus.Credited) {
        payments.creditedAtAdjudication.count++;
        payments.creditedAtAdjudication.amount += remittance.planPays;
      } else {
        payments.queued.count++;
        payments.queued.amount += remittance.planPays;
      }
    }
    const lineCount = claim.lines.length;
    const perLines = gas.byLines.get(lineCount) ?? { claims: 0, total: 0n };
    perLines.claims++;
    perLines.total += receipt.gasUsed;
    gas.byLines.set(lineCount, perLines);
    gas.claims++;
    gas.total += receipt.gasUsed;
    gas.min = gas.min === 0n || receipt.gasUsed < gas.min ? receipt.gasUsed : gas.min;
    gas.max = receipt.gasUsed > gas.max ? receipt.gasUsed : gas.max;
    const record: ClaimRecord = {
      claimId,
      index,
      blockNumber: receipt.blockNumber,
      submitter,
      organization: organization.id,
      plan: planIndex,
      lines: remittance.lines,
      appealed: new Set(),
    };
    records.push(record);
    byId.set(claimId, record);
  };

  const fileAppeal = async (appeal: Population["appeals"][number]): Promise<void> => {
    // The target, or the next accepted claim after it with a denied line not yet appealed. Providers appeal first
    // what a reviewer can waive: late filing (CARC 29) and a missing authorization (197).
    const open = (record: ClaimRecord) =>
      record.lines.filter((line) => line.denied && !record.appealed.has(line.index));
    const waivable = (record: ClaimRecord) => open(record).filter((line) => line.carc === 29 || line.carc === 197);
    for (const choose of [waivable, open]) {
      for (let index = appeal.target; index < records.length; index++) {
        const record = records[index];
        if (record === undefined) continue;
        const choices = choose(record);
        if (choices.length === 0) continue;
        const line = choices[appeal.pick % choices.length]!.index;
        const where = `appeal of claim ${index + 1} line ${line + 1}`;
        const { receipt } = await record.submitter.claims.fileAppeal(record.claimId, line, record.blockNumber);
        const now = await blockTime(receipt);
        modelStep(where, () => {
          model.fileAppeal(record.claimId, line, now);
        });
        record.appealed.add(line);
        appealsTally.filed++;
        filed.push({ record, line, decideBefore: appeal.decideBefore, overturn: appeal.overturn });
        return;
      }
    }
  };
  const decideAppeal = async (entry: (typeof filed)[number]): Promise<void> => {
    const { record, line, overturn } = entry;
    const where = `decision on the appeal of claim ${record.index + 1} line ${line + 1}`;
    const reviewer = reviewers[population.plans[record.plan]!.payer]!;
    const decided = await reviewer.claims.decideAppeal(record.claimId, line, overturn, record.blockNumber);
    const now = await blockTime(decided.receipt);
    const expected = modelStep(where, () => model.decideAppeal(record.claimId, line, overturn, now));
    if (!overturn) {
      appealsTally.upheld++;
      same(where, "re-adjudicated line", decided.line === undefined, true);
      return;
    }
    appealsTally.overturned++;
    if (decided.line === undefined) {
      mismatches.push(`${where}: the overturned line was not re-adjudicated on chain`);
      return;
    }
    if (expected !== undefined) compareLine(where, decided.line, expected);
    modelLines++;
    record.lines[line] = decided.line;
    if (!decided.line.denied) appealsTally.reApproved++;
    appealsTally.overturnedPays += decided.line.planPays;
    const event = decided.receipt.logs
      .map((log_) => root.adjudicator.interface.parseLog(log_))
      .find((parsed) => parsed?.name === "AppealDecided");
    if (event === undefined || event === null) {
      mismatches.push(`${where}: no AppealDecided event`);
      return;
    }
    const payment = toPaymentStatus(event.args.getValue("payment") as bigint);
    const queued = model
      .queue(payers[population.plans[record.plan]!.payer]!.id)
      .some((queuedEntry) => queuedEntry.claim === record.claimId && queuedEntry.line === line);
    const expectedPayment =
      decided.line.planPays === 0n ? PaymentStatus.None : queued ? PaymentStatus.Queued : PaymentStatus.Credited;
    same(where, "payment", PaymentStatus[payment], PaymentStatus[expectedPayment]);
    if (payment === PaymentStatus.Queued) {
      payments.queued.count++;
      payments.queued.overturnedLines++;
      payments.queued.amount += decided.line.planPays;
    } else if (payment === PaymentStatus.Credited) {
      payments.creditedAtAdjudication.count++;
      payments.creditedAtAdjudication.amount += decided.line.planPays;
    }
  };

  const { SingleBar, Presets } = await import("cli-progress");
  const bar = new SingleBar(
    {
      format: "  claims {bar} {value}/{total}  {rate} claims/s  queue {queue}  mismatches {mismatches}",
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const claimsStarted = performance.now();
  const progress = (done: number) => {
    if (options.quiet === true) return;
    const seconds = (performance.now() - claimsStarted) / 1000;
    const queue = payers.reduce((sum, payer) => sum + model.queue(payer.id).length, 0);
    const payload = { rate: seconds > 0 ? (done / seconds).toFixed(1) : "0", queue, mismatches: mismatches.length };
    if (!bar.isActive) bar.start(population.claims.length, done, payload);
    else bar.update(done, payload);
  };
  log(`Submitting ${population.claims.length} claims…`);
  const claimCount = population.claims.length;
  try {
    progress(0);
    for (let index = 0; index <= claimCount; index++) {
      for (const entry of filed.filter((f) => f.decideBefore === index)) await decideAppeal(entry);
      for (const appeal of population.appeals.filter((a) => a.fileBefore === index)) await fileAppeal(appeal);
      for (const funding of population.fundings.filter((f) => f.before === index)) {
        const payer = payers[funding.payer]!;
        await fund(funding.payer, (shortfall(payer) * BigInt(funding.shareBps)) / 10_000n + funding.topUp);
      }
      for (const withdrawal of population.withdrawals.filter((w) => w.before === index)) await takeBack(withdrawal);
      if (index === claimCount) break;
      await submit(index);
      progress(index + 1);
    }
  } finally {
    if (bar.isActive) bar.stop();
  }
  const claimsSeconds = (performance.now() - claimsStarted) / 1000;

  // ---- withdrawals and the final figures ----------------------------------------------------------------------------------
  const checksStarted = performance.now();
  for (const organization of organizations) {
    const expected = model.providerBalance(organization.id);
    if (expected === 0n) continue;
    const { amount } = await organization.claims.withdraw(organization.wallet.address);
    same(`withdrawal by ${organization.label}`, "amount", amount, model.withdraw(organization.id));
    payments.withdrawn += amount;
    payments.withdrawals++;
  }

  for (const record of records) {
    if (record === undefined) continue;
    const where = `claim ${record.index + 1} at the end`;
    const summary = await root.claim(record.claimId);
    const expected = model.claim(record.claimId);
    same(where, "status", ClaimStatus[summary.status], expected.status);
    same(where, "plan pays", summary.planPays, expected.planPays);
    same(where, "patient owes", summary.patientOwes, expected.patientOwes);
    same(where, "adjudicated at", summary.adjudicatedAt, expected.adjudicatedAt);
    same(
      where,
      "denied lines",
      summary.deniedLines.join(","),
      expected.lines.flatMap((line, i) => (line.denied ? [i] : [])).join(","),
    );
    const payer = payers[population.plans[record.plan]!.payer]!;
    const queue = model.queue(payer.id);
    const original = record.lines.reduce((sum, line) => sum + (line.reAdjudicated ? 0n : line.planPays), 0n);
    /** None when nothing was to be paid, else Queued while the model still queues it, else Credited. */
    const paymentOf = (amount: bigint, line: number | undefined) =>
      amount === 0n
        ? PaymentStatus.None
        : queue.some((entry) => entry.claim === record.claimId && entry.line === line)
          ? PaymentStatus.Queued
          : PaymentStatus.Credited;
    // The claim's payment is its total at adjudication; an overturned line is paid on its own (its appeal's payment).
    same(where, "payment", PaymentStatus[summary.payment], PaymentStatus[paymentOf(original, undefined)]);
    for (const line of record.appealed) {
      const appeal = await root.appeal(record.claimId, line);
      const status = model.appealStatus(record.claimId, line);
      same(`${where} appeal of line ${line + 1}`, "status", AppealStatus[appeal.status], status);
      const amount = status === "Overturned" ? record.lines[line]!.planPays : 0n;
      same(
        `${where} appeal of line ${line + 1}`,
        "payment",
        PaymentStatus[appeal.payment],
        PaymentStatus[paymentOf(amount, line)],
      );
    }
  }
  for (const patient of population.patients) {
    const planId = planIds[patient.plan]!;
    const enrollments = await root.enrollments(planId, members[patient.index]!);
    same(patient.label, "number of enrollments", enrollments.length, patient.enrollments.length);
    for (const enrollment of enrollments) {
      const where = `${patient.label} enrollment ${enrollment.seq}`;
      const expected = model.accumulators(planId, patientNumber(patient.index), enrollment.seq);
      same(where, "deductible met", enrollment.deductibleMet, expected.deductibleMet);
      same(where, "out-of-pocket met", enrollment.oopMet, expected.oopMet);
    }
  }
  for (const authId of authIds) {
    const where = `prior authorization ${authId.toString()}`;
    const auth = await root.priorAuth(authId);
    const status = auth.status === PriorAuthStatus.Requested ? "Pending" : PriorAuthStatus[auth.status];
    same(where, "status", status, model.priorAuthStatus(authId));
    same(where, "units left", auth.unitsLeft, model.priorAuthUnitsLeft(authId));
  }
  let fundedOnChain = 0n;
  let payerBalances = 0n;
  let payerWithdrawnOnChain = 0n;
  for (const [index, payer] of payers.entries()) {
    const where = payer.label;
    const account = await root.payerAccount(payer.id);
    same(where, "balance", account.balance, model.payerBalance(payer.id));
    same(where, "funded", account.funded, model.funded(payer.id));
    same(where, "withdrawn", account.withdrawn, model.payerWithdrawn(payer.id));
    // Payers withdraw to their own key: it holds what was minted, less what it funded, plus what it took back.
    same(
      where,
      "token balance",
      await token.balanceOf(payer.wallet.address),
      minted[index]! - account.funded + account.withdrawn,
    );
    fundedOnChain += account.funded;
    payerBalances += account.balance;
    payerWithdrawnOnChain += account.withdrawn;
    const queue = await root.payerQueue(payer.id);
    const expected = model.queue(payer.id);
    same(where, "queue length", queue.length, expected.length);
    queue.forEach((entry, i) => {
      const modelEntry = expected[i];
      if (modelEntry === undefined) return;
      same(`${where} queue entry ${i}`, "claim", entry.claimId, modelEntry.claim);
      same(`${where} queue entry ${i}`, "line", entry.line, modelEntry.line ?? CLAIM_PAYMENT);
      same(`${where} queue entry ${i}`, "amount", entry.amount, modelEntry.amount);
      payments.stillQueued.count++;
      payments.stillQueued.amount += entry.amount;
    });
  }
  let providerBalances = 0n;
  let withdrawnOnChain = 0n;
  for (const organization of organizations) {
    const account = await root.providerAccount(organization.id);
    same(organization.label, "balance", account.balance, model.providerBalance(organization.id));
    same(organization.label, "withdrawn", account.withdrawn, model.withdrawn(organization.id));
    same(organization.label, "token balance", await token.balanceOf(organization.wallet.address), account.withdrawn);
    providerBalances += account.balance;
    withdrawnOnChain += account.withdrawn;
  }
  const held = (await token.balanceOf(adjudicatorAddress)) - heldBefore;
  // funded = withdrawn by providers + withdrawn by payers + provider balances + payer balances (held here).
  same("accounting", "Σ funded", fundedOnChain, held + withdrawnOnChain + payerWithdrawnOnChain);
  same("accounting", "adjudicator's token balance (this run)", held, payerBalances + providerBalances);
  same("accounting", "model identity holds", model.accountingHolds(), true);
  payments.payerBalances = payerBalances;
  const checksSeconds = (performance.now() - checksStarted) / 1000;

  // ---- the summary's figures, from the chain's outcomes ----------------------------------------------------------------------
  const lines = {
    total: 0,
    approved: { lines: 0, billed: 0n },
    denied: new Map<string, OutcomeTally & { carc: number }>(),
    writtenOff: 0,
  };
  const totals = {
    billed: 0n,
    allowed: 0n,
    paidByPlans: 0n,
    deductible: 0n,
    copay: 0n,
    coinsurance: 0n,
    deniedPatient: 0n,
    patientResponsibility: 0n,
    contractual: 0n,
    deniedProvider: 0n,
  };
  const statuses = { approved: 0, partiallyApproved: 0, denied: 0 };
  for (const record of records) {
    if (record === undefined) continue;
    const denied = record.lines.filter((line) => line.denied).length;
    if (denied === 0) statuses.approved++;
    else if (denied === record.lines.length) statuses.denied++;
    else statuses.partiallyApproved++;
    for (const line of record.lines) {
      lines.total++;
      totals.billed += line.billed;
      totals.paidByPlans += line.planPays;
      totals.patientResponsibility += line.patientOwes;
      if (line.denied) {
        const key = `${GROUP_CODES[line.group]}-${line.carc}`;
        const tally = lines.denied.get(key) ?? { lines: 0, billed: 0n, carc: line.carc };
        tally.lines++;
        tally.billed += line.billed;
        lines.denied.set(key, tally);
        if (line.group === AdjustmentGroup.PatientResponsibility) totals.deniedPatient += line.billed;
        else totals.deniedProvider += line.billed;
      } else {
        lines.approved.lines++;
        lines.approved.billed += line.billed;
        totals.allowed += line.allowed;
        totals.contractual += line.contractual;
        totals.deductible += line.deductible;
        totals.copay += line.copay;
        totals.coinsurance += line.coinsurance;
        if (line.contractual > 0n) lines.writtenOff++;
      }
    }
  }

  return {
    network,
    freshDeployment,
    adjudicator: adjudicatorAddress,
    fromBlock,
    seed: options.seed,
    token: { symbol, decimals },
    population: {
      payers: population.payers.length,
      plans: population.plans.length,
      organizations: population.organizations.length,
      practitioners: population.practitioners.length,
      patients: population.patients.length,
      earlierPeriods: population.patients.filter((patient) => patient.enrollments.length > 1).length,
      priorAuths: authTally,
    },
    claims: { ...claimsTally, ...statuses },
    lines,
    money: totals,
    payments,
    appeals: appealsTally,
    gas,
    timing: { setupSeconds, claimsSeconds, checksSeconds, totalSeconds: (performance.now() - started) / 1000 },
    agreement: { claims: claimsTally.attempted, lines: modelLines, figures, mismatches },
  };
}

/** Gives every account `amount` of gas money: `hardhat_setBalance` or `anvil_setBalance`, else a transfer. */
async function fundGas(
  provider: HardhatRuntimeEnvironment["ethers"]["provider"],
  funder: Signer,
  addresses: readonly string[],
  amount: bigint,
  transfer: bigint,
  toQuantity: (value: bigint) => string,
): Promise<void> {
  for (const method of ["hardhat_setBalance", "anvil_setBalance"]) {
    try {
      for (const address of addresses) await provider.send(method, [address, toQuantity(amount)]);
      return;
    } catch {
      // Not this node's dialect: try the next.
    }
  }
  for (const address of addresses) await (await funder.sendTransaction({ to: address, value: transfer })).wait();
}

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** The printed summary of a simulation. */
export async function formatSummary(report: SimulationReport): Promise<string[]> {
  const { CARC_DESCRIPTIONS, formatAmount } = await import("../sdk/claims/client");
  const { symbol, decimals } = report.token;
  const n = (value: number) => value.toLocaleString("en-US");
  const plural = (count: number, noun: string) => `${n(count)} ${noun}${count === 1 ? "" : "s"}`;
  const usd = (amount: bigint) => `${formatAmount(amount, decimals)} ${symbol}`;
  const percent = (part: number, whole: number) => (whole === 0 ? "" : ` (${((100 * part) / whole).toFixed(1)} %)`);
  const { population: p, claims: c, lines: l, money: m, payments: pay, appeals: a, gas: g, timing: t } = report;
  const rows: string[] = [];
  const table = (entries: readonly (readonly [string, string])[], indent = "  ") => {
    const width = Math.max(...entries.map(([label]) => label.length));
    for (const [label, value] of entries) rows.push(`${indent}${label.padEnd(width)}  ${value}`);
  };
  rows.push(
    `CareLedger claims simulation: seed ${report.seed}, ${n(c.attempted)} claims on ${report.network}` +
      (report.freshDeployment ? " (fresh in-process deployment)" : " (recorded deployment)"),
  );
  rows.push(
    `population: ${p.payers} payers, ${p.plans} plans, ${p.organizations} organizations, ` +
      `${p.practitioners} practitioners, ${n(p.patients)} patients (${p.earlierPeriods} with an earlier coverage period); ` +
      `${p.priorAuths.requested} prior authorizations: ${p.priorAuths.approved} approved (${p.priorAuths.narrower} ` +
      `narrower), ${p.priorAuths.denied} denied, ${p.priorAuths.pending} left pending`,
  );
  rows.push("claims by status (after appeals):");
  table([
    ["approved", `${n(c.approved)}${percent(c.approved, c.attempted)}`],
    ["partially approved", `${n(c.partiallyApproved)}${percent(c.partiallyApproved, c.attempted)}`],
    ["denied", `${n(c.denied)}${percent(c.denied, c.attempted)}`],
    [
      "rejected as duplicates",
      `${n(c.rejectedDuplicateReference)}${percent(c.rejectedDuplicateReference, c.attempted)} (ClaimsDuplicateReference: a claim number sent again)`,
    ],
  ]);
  rows.push(`lines by outcome (${n(l.total)} lines; billed amounts):`);
  const denied = [...l.denied.entries()].sort((x, y) => y[1].lines - x[1].lines);
  table([
    ["approved", `${n(l.approved.lines).padStart(6)}  ${usd(l.approved.billed)}`],
    ...denied.map(([key, tally]): [string, string] => [
      `${key} ${CARC_DESCRIPTIONS[tally.carc] ?? "unlisted reason"}`,
      `${n(tally.lines).padStart(6)}  ${usd(tally.billed)}`,
    ]),
    [
      `CO-45 ${CARC_DESCRIPTIONS[45] ?? ""} (approved lines)`,
      `${n(l.writtenOff).padStart(6)}  ${usd(m.contractual)} written off`,
    ],
  ]);
  rows.push("money:");
  table([
    ["total billed", usd(m.billed)],
    ["allowed", usd(m.allowed)],
    ["paid by plans", usd(m.paidByPlans)],
    [
      "patient responsibility",
      `${usd(m.patientResponsibility)} (deductible ${usd(m.deductible)}, copay ${usd(m.copay)}, coinsurance ` +
        `${usd(m.coinsurance)}, denied as PR ${usd(m.deniedPatient)})`,
    ],
    ["contractual write-offs", `${usd(m.contractual)} (CO-45 on approved lines)`],
    ["denied, provider liable", `${usd(m.deniedProvider)} (CO and OA denials)`],
  ]);
  rows.push("payments:");
  table([
    [
      "funded by payers",
      `${usd(pay.funded)} in ${plural(pay.fundings, "funding")} (+ ${plural(pay.settleCalls, "settleQueue call")})`,
    ],
    [
      "credited at once",
      `${plural(pay.creditedAtAdjudication.count, "payment")}, ${usd(pay.creditedAtAdjudication.amount)}`,
    ],
    [
      "queued",
      `${plural(pay.queued.count, "payment")} (${pay.queued.overturnedLines} of them for overturned lines), ` +
        usd(pay.queued.amount),
    ],
    ["paid from the queue", `${plural(pay.paidFromQueue.count, "payment")}, ${usd(pay.paidFromQueue.amount)}`],
    ["still queued", `${plural(pay.stillQueued.count, "payment")}, ${usd(pay.stillQueued.amount)}`],
    ["withdrawn by providers", `${usd(pay.withdrawn)} by ${plural(pay.withdrawals, "organization")}`],
    [
      "taken back by payers",
      `${usd(pay.payerWithdrawn)} in ${plural(pay.payerWithdrawals, "withdrawal")} of surplus ` +
        `(${pay.payerWithdrawalsRefused} refused: a payment was waiting in the queue)`,
    ],
    ["payers' balances left", usd(pay.payerBalances)],
  ]);
  rows.push(
    `appeals: ${a.filed} filed, ${a.upheld} upheld, ${a.overturned} overturned (${plural(a.reApproved, "line")} approved on ` +
      `re-adjudication, plans paying ${usd(a.overturnedPays)} more)`,
  );
  const mean = (total: bigint, count: number) => (count === 0 ? 0n : total / BigInt(count));
  rows.push(
    `gas per claim: mean ${n(Number(mean(g.total, g.claims)))} (min ${n(Number(g.min))}, max ${n(Number(g.max))}); ` +
      `by lines: ` +
      [...g.byLines.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([count, entry]) => `${count}: ${n(Number(mean(entry.total, entry.claims)))} (${n(entry.claims)})`)
        .join(", "),
  );
  rows.push(
    `time: ${t.totalSeconds.toFixed(1)} s wall (setup ${t.setupSeconds.toFixed(1)} s, claims ` +
      `${t.claimsSeconds.toFixed(1)} s = ${(c.attempted / t.claimsSeconds).toFixed(1)} claims/s, final checks ` +
      `${t.checksSeconds.toFixed(1)} s)`,
  );
  const { agreement } = report;
  if (agreement.mismatches.length === 0) {
    rows.push(
      `model agreement: ${n(agreement.claims)} claims, ${n(agreement.lines)} lines, all figures equal ` +
        `(${n(agreement.figures)} compared)`,
    );
  } else {
    rows.push(`model agreement: ${n(agreement.mismatches.length)} MISMATCHES in ${n(agreement.figures)} figures:`);
    for (const mismatch of agreement.mismatches.slice(0, 50)) rows.push(`  ${mismatch}`);
    if (agreement.mismatches.length > 50) rows.push(`  … and ${n(agreement.mismatches.length - 50)} more`);
  }
  return rows;
}

task("careledger:simulate", "Runs a seeded synthetic claims flow through the SDK and checks it against the model")
  .addParam("claims", "Claims to submit", "2000")
  .addParam("seed", "Seed of the synthetic population (a whole number)", "7")
  .addOptionalParam("patients", "Patients (default: claims / 8, at least 4)")
  .addFlag("quiet", "No progress bar")
  .setAction(async (args: { claims: string; seed: string; patients?: string; quiet: boolean }, hre) => {
    const claims = wholeNumber("claims", args.claims);
    if (claims < 1n || claims > 1_000_000n) fail(`--claims must be from 1 to 1,000,000, got ${claims.toString()}`);
    const seed = wholeNumber("seed", args.seed);
    if (seed > BigInt(Number.MAX_SAFE_INTEGER)) fail("--seed is too large");
    const patients = args.patients === undefined ? undefined : wholeNumber("patients", args.patients);
    if (patients === 0n) fail("--patients must be at least 1");
    const report = await readable(() =>
      simulateClaims(hre, {
        claims: Number(claims),
        seed: Number(seed),
        patients: patients === undefined ? undefined : Number(patients),
        quiet: args.quiet,
      }),
    );
    console.log("");
    for (const row of await formatSummary(report)) console.log(row);
    if (report.agreement.mismatches.length > 0) {
      fail(`the contract and the model disagree on ${report.agreement.mismatches.length} figure(s), listed above`);
    }
  });
