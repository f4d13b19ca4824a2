import { time } from "@nomicfoundation/hardhat-network-helpers";
import { id as keccakText, parseEther, Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import {
  claimReference,
  commit,
  IdentityClient,
  memberPseudonym,
  packLine,
  ParticipantKind,
  procedureCode,
  Roles,
} from "../../sdk";
import type { GasRecorder } from "./recorder";

const C = "ClaimsAdjudicator";
const DAY = 86_400n;
const USD = 1_000_000n;
/** The chain's clock during the claims rows, after the consent rows' (2030-03-17): 2031-01-01T00:00:00Z, so that service
 * dates (and calldata) never drift. */
const BASE = 1_924_992_000n;
/** A reference key for the bench's claim numbers (deterministic calldata). */
const REFERENCE_KEY = keccakText("careledger bench claims reference key");
/** The payer's member key: claims name members by pseudonyms derived from it (deterministic calldata). */
const MEMBER_KEY = keccakText("careledger bench claims member key");

const FEES = [
  ["99213", 120n, 30n, false],
  ["99214", 180n, 40n, false],
  ["80053", 45n, 0n, false],
  ["85025", 30n, 0n, false],
  ["36415", 10n, 0n, false],
  ["81001", 15n, 0n, false],
  ["93000", 60n, 0n, false],
  ["71046", 90n, 0n, false],
  ["97110", 40n, 20n, false],
  ["97140", 40n, 20n, false],
  ["70553", 1_800n, 0n, true],
] as const;

/**
 * Measures the ClaimsAdjudicator and its PriorAuthorizations workflow: plan set-up, enrollment, prior authorization,
 * claims of 1, 5 and 10 lines (submitted, adjudicated and credited in one transaction), appeals, funding with a queue
 * of unpaid claims, withdrawals by providers and payers, assigning a revoked organization's money to a successor, and
 * the worst cases the bounded lists allow (a member with many enrollment periods, a code with the most open
 * authorizations). "Steady state" is a claim in an established relationship: the payer is funded, the hospital has a
 * balance, the patient's enrollment has met part of its deductible and the patient had each billed code at this
 * hospital before within the 256-day window of the duplicate-service bitmap, so that the duplicate check rewrites a
 * word rather than creating one; the same claims with codes new to the patient are measured beside them.
 */
export async function benchClaims(system: CareLedgerSystem, gas: GasRecorder): Promise<void> {
  const {
    identityRegistry: identity,
    claimsAdjudicator: claims,
    priorAuthorizations: priorAuths,
    accessManager,
    testStablecoin: token,
  } = system;
  if (token === undefined) throw new Error("the claims benchmark needs the hardhat network's test stablecoin");
  const [deployer, admin, registrar] = await ethers.getSigners();
  if (deployer === undefined || admin === undefined || registrar === undefined) {
    throw new Error("the benchmark needs the first accounts");
  }
  const wallet = async (label: string) => {
    const key = new Wallet(keccakText(`careledger bench key: claims ${label}`), ethers.provider);
    await (await deployer.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
    return key;
  };
  const payerKey = await wallet("payer");
  const hospitalKey = await wallet("hospital");
  const reviewerKey = await wallet("reviewer");
  const patientKey = await wallet("patient");
  const otherPatientKey = await wallet("other patient");

  if (BigInt(await time.latest()) >= BASE) throw new Error("the claims benchmark's fixed clock is in the past");
  await time.increaseTo(BASE);
  const expiry = BASE + 400n * DAY;
  const asRegistrar = IdentityClient.connect(registrar, system.deployment);
  // Registration with the key's consent; the reviewer accepted by its payer (set-up, not measured).
  const register = async (kind: ParticipantKind, key: Wallet, label: string, affiliation = 0n, organization?: Wallet) =>
    (
      await asRegistrar.registerWithKey(
        key,
        {
          kind,
          credentialCommitment: commit(label, keccakText(`salt ${label}`)).commitment,
          credentialExpiry: expiry,
          affiliation,
        },
        organization,
      )
    ).id;
  const payer = await register(ParticipantKind.Payer, payerKey, "claims payer");
  const hospital = await register(ParticipantKind.Organization, hospitalKey, "claims hospital");
  await register(ParticipantKind.Practitioner, reviewerKey, "claims reviewer", payer, payerKey);
  await (await identity.connect(patientKey).registerPatient()).wait();
  const patient = await identity.idOf(patientKey.address);
  await (await identity.connect(otherPatientKey).registerPatient()).wait();
  const otherPatient = await identity.idOf(otherPatientKey.address);
  // The reviewer's role, granted by the admin through the AccessManager's delay.
  const grant = accessManager.interface.encodeFunctionData("grantRole", [
    Roles.CLAIMS_REVIEWER,
    reviewerKey.address,
    0,
  ]);
  const managerAddress = await accessManager.getAddress();
  await (await accessManager.connect(admin).schedule(managerAddress, grant, 0)).wait();
  await time.increase(system.parameters.adminExecutionDelay);
  await (await accessManager.connect(admin).execute(managerAddress, grant)).wait();

  const asPayer = claims.connect(payerKey);
  const asHospital = claims.connect(hospitalKey);
  const terms = {
    deductible: 500n * USD,
    oopMax: 3_000n * USD,
    coinsuranceBps: 2_000,
    timelyFilingDays: 90,
    appealWindowDays: 180,
  };
  await gas.measure(C, "createPlan", "draft plan with its terms", () => asPayer.createPlan(terms));
  const planId = await claims.planCount();
  // Physical therapy codes carry the medically unlikely edit (at most 4 units a line).
  const entries = FEES.map(([code, allowed, copay, requiresPriorAuth]) => ({
    code: procedureCode(code),
    allowedPerUnit: allowed * USD,
    copay: copay * USD,
    requiresPriorAuth,
    maxUnits: code.startsWith("971") ? 4 : 0,
  }));
  const fees = await gas.measure(C, "setFees", `batch of ${entries.length} codes`, () =>
    asPayer.setFees(planId, entries),
  );
  gas.add(C, "setFees per code", `batch of ${entries.length} codes`, fees.gasUsed / BigInt(entries.length));
  const schedule = Array.from({ length: 200 }, (_, index) => ({
    code: procedureCode(`Z${String(index).padStart(4, "0")}`),
    allowedPerUnit: (50n + BigInt(index)) * USD,
    copay: 0n,
    requiresPriorAuth: false,
    maxUnits: 0,
  }));
  const long = await gas.measure(C, "setFees", "batch of 200 codes", () => asPayer.setFees(planId, schedule));
  gas.add(C, "setFees per code", "batch of 200 codes", long.gasUsed / 200n);
  await gas.measure(C, "setNetwork", "one organization", () => asPayer.setNetwork(planId, [hospital], true));
  await gas.measure(C, "activatePlan", "draft to active", () => asPayer.activatePlan(planId));
  const coverageStart = BASE - 30n * DAY;
  const coverageEnd = coverageStart + 365n * DAY - 1n;
  // Claims name the patients by their member pseudonyms in the plan, never by participant id.
  const member = memberPseudonym(MEMBER_KEY, planId, `M${patient}`);
  const otherMember = memberPseudonym(MEMBER_KEY, planId, `M${otherPatient}`);
  await gas.measure(C, "enroll", "first enrollment of a member in a plan", () =>
    asPayer.enroll(planId, member, coverageStart, coverageEnd),
  );
  await gas.measure(C, "enroll", "a second member", () =>
    asPayer.enroll(planId, otherMember, coverageStart, coverageEnd),
  );
  await gas.measure(C, "enroll", "a later period of an enrolled member", () =>
    asPayer.enroll(planId, member, coverageEnd + 1n, coverageEnd + 365n * DAY),
  );

  await (await token.connect(deployer).mint(payerKey.address, 10_000_000n * USD)).wait();
  await (await token.connect(payerKey).approve(await claims.getAddress(), ethers.MaxUint256)).wait();
  await gas.measure(C, "fund", "first funding, no queue", () => asPayer.fund(1_000_000n * USD));

  let number = 0;
  const submit = (variant: string, lines: { code: string; units: bigint; billed: bigint; serviceDate: bigint }[]) =>
    gas.measure(C, "submitClaim", variant, () =>
      asHospital.submitClaim(
        member,
        planId,
        claimReference(REFERENCE_KEY, `bench-${++number}`),
        lines.map(packLine),
        [],
      ),
    );
  const at = (daysAgo: bigint) => BASE - daysAgo * DAY;
  const visit = (code: string, daysAgo: bigint, billed = 150n * USD) => ({
    code,
    units: 1n,
    billed,
    serviceDate: at(daysAgo),
  });
  // Warm-up: the patient's first visit bills every code once and meets the deductible (allowed amounts add up to
  // $630), so that every claim measured below pays the hospital something.
  const panel = ["99213", "80053", "85025", "36415", "81001", "93000", "71046", "97110", "97140", "99214"];
  await submit(
    "warm-up (not a figure to read)",
    panel.map((code) => visit(code, 25n, 200n * USD)),
  );
  gas.rows.pop();

  await submit("1 line, steady state", [visit("99213", 20n)]);
  await submit(
    "5 lines, steady state (one visit, codes billed before)",
    ["99214", "80053", "85025", "36415", "81001"].map((code) => visit(code, 18n, 60n * USD)),
  );
  await submit(
    "10 lines, steady state (one visit, codes billed before)",
    panel.map((code) => visit(code, 17n, 60n * USD)),
  );
  // The same claims with codes the patient never had at this hospital: each line creates its duplicate-check word.
  const fresh = (first: number, count: number, daysAgo: bigint) =>
    Array.from({ length: count }, (_, index) =>
      visit(`Z${String(first + index).padStart(4, "0")}`, daysAgo, 90n * USD),
    );
  await submit("1 line, a code new to the patient at this organization", fresh(100, 1, 16n));
  await submit("5 lines, codes new to the patient", fresh(101, 5, 15n));
  await submit("10 lines, codes new to the patient", fresh(106, 10, 14n));
  await gas.measure(C, "submitClaim", "1 line, a member's first claim (all to the deductible, nothing to pay)", () =>
    asHospital.submitClaim(
      otherMember,
      planId,
      claimReference(REFERENCE_KEY, `bench-${++number}`),
      [packLine(visit("99213", 16n))],
      [],
    ),
  );
  await submit("1 line, denied (not in the fee schedule)", [visit("G0438", 13n)]);
  const uncoveredId = await claims.claimIdOf(hospital, claimReference(REFERENCE_KEY, `bench-${number}`));
  await submit("1 line, denied (medically unlikely: 6 units of a 4-unit code)", [
    { code: "97110", units: 6n, billed: 240n * USD, serviceDate: at(13n) },
  ]);

  // Prior authorization, in its own contract: only lines of codes that need one call it.
  const P = "PriorAuthorizations";
  const hospitalAuths = priorAuths.connect(hospitalKey);
  const payerAuths = priorAuths.connect(payerKey);
  const mri = procedureCode("70553");
  await gas.measure(P, "requestPriorAuth", "MRI, 2 units over 60 days", () =>
    hospitalAuths.requestPriorAuth(member, planId, mri, 2, BASE - DAY, BASE + 60n * DAY),
  );
  const authId = await priorAuths.priorAuthCount();
  await gas.measure(P, "approvePriorAuth", "narrower: 1 unit", () =>
    payerAuths.approvePriorAuth(authId, 1, BASE - DAY, BASE + 30n * DAY),
  );
  await (await hospitalAuths.requestPriorAuth(member, planId, mri, 1, BASE, BASE + DAY)).wait();
  await gas.measure(P, "denyPriorAuth", "a pending request", () => payerAuths.denyPriorAuth(authId + 1n));
  await (await hospitalAuths.requestPriorAuth(member, planId, mri, 1, BASE, BASE + DAY)).wait();
  await gas.measure(P, "withdrawPriorAuth", "by the requester", () => hospitalAuths.withdrawPriorAuth(authId + 2n));
  await submit("1 line using a prior authorization (calls the workflow, consumes it)", [
    { code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: at(1n) },
  ]);

  // Appeals: an MRI without authorization, denied 197, appealed and overturned; a timely-filing denial upheld.
  await submit("1 line, denied (no authorization)", [
    { code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: BASE - 2n * DAY },
  ]);
  const deniedId = await claims.claimIdOf(hospital, claimReference(REFERENCE_KEY, `bench-${number}`));
  const content = {
    member,
    plan: planId,
    organization: hospital,
    submitter: hospital,
    lines: [packLine({ code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: BASE - 2n * DAY })],
    attachments: [],
  };
  await gas.measure(C, "fileAppeal", "a 1-line claim", () => asHospital.fileAppeal(deniedId, 0, content));
  await gas.measure(C, "decideAppeal", "overturned: re-adjudicated and credited", () =>
    claims.connect(reviewerKey).decideAppeal(deniedId, 0, true, content),
  );
  const uncoveredContent = { ...content, lines: [packLine(visit("G0438", 13n))] };
  await (await asHospital.fileAppeal(uncoveredId, 0, uncoveredContent)).wait();
  await gas.measure(C, "decideAppeal", "upheld", () =>
    claims.connect(reviewerKey).decideAppeal(uncoveredId, 0, false, uncoveredContent),
  );

  // Withdrawal of the hospital's balance.
  await gas.measure(C, "withdraw", "an organization's whole balance", () => asHospital.withdraw(hospitalKey.address));

  // Funding with a queue: a second payer with nothing funded; its plan's claims queue, then one funding pays them.
  const payer2Key = await wallet("payer 2");
  const payer2 = await register(ParticipantKind.Payer, payer2Key, "claims payer 2");
  const asPayer2 = claims.connect(payer2Key);
  await (await asPayer2.createPlan(terms)).wait();
  const plan2 = await claims.planCount();
  await (await asPayer2.setFees(plan2, entries)).wait();
  await (await asPayer2.setNetwork(plan2, [hospital], true)).wait();
  await (await asPayer2.activatePlan(plan2)).wait();
  const member2 = memberPseudonym(MEMBER_KEY, plan2, `M${otherPatient}`);
  await (await asPayer2.enroll(plan2, member2, BASE - 200n * DAY, BASE + 165n * DAY)).wait();
  await (await token.connect(deployer).mint(payer2Key.address, 10_000_000n * USD)).wait();
  await (await token.connect(payer2Key).approve(await claims.getAddress(), ethers.MaxUint256)).wait();
  // Meet the deductible first so that every queued claim has something to pay.
  await (
    await asHospital.submitClaim(
      member2,
      plan2,
      claimReference(REFERENCE_KEY, "bench-queue-0"),
      [packLine({ code: "80053", units: 20n, billed: 900n * USD, serviceDate: at(12n) })],
      [],
    )
  ).wait();
  for (let index = 1; index <= 40; index++) {
    const send = () =>
      asHospital.submitClaim(
        member2,
        plan2,
        claimReference(REFERENCE_KEY, `bench-queue-${index}`),
        [packLine({ code: "97110", units: 1n, billed: 40n * USD, serviceDate: at(BigInt(50 - index)) })],
        [],
      );
    if (index === 2) await gas.measure(C, "submitClaim", "1 line, queued behind an unpaid claim", send);
    else await (await send()).wait();
  }
  const funded = await gas.measure(C, "fund", "paying 32 queued claims (the most one funding pays)", () =>
    asPayer2.fund(100_000n * USD),
  );
  gas.add(C, "fund per queued claim paid", "32 queued claims", funded.gasUsed / 32n);
  await gas.measure(C, "settleQueue", "the other 9 queued claims", () => claims.settleQueue(payer2, 256));
  await gas.measure(C, "withdrawFunds", "a payer's surplus (no queued payment)", () =>
    asPayer2.withdrawFunds(1_000n * USD, payer2Key.address),
  );

  await benchWorstCases({ system, gas, hospitalKey, payerKey, planId, number: () => ++number });

  // A revoked organization's balance goes to its successor: the admin's operation, measured as the execute.
  const clinicKey = await wallet("clinic");
  const clinic = await register(ParticipantKind.Organization, clinicKey, "claims clinic");
  await (await identity.connect(registrar).revoke(hospital, 9)).wait();
  const assign = claims.interface.encodeFunctionData("assignSuccessor", [hospital, clinic]);
  const target = await claims.getAddress();
  await (await accessManager.connect(admin).schedule(target, assign, 0)).wait();
  await time.increase(system.parameters.adminExecutionDelay);
  await gas.measure(C, "assignSuccessor", "via AccessManager.execute after the delay (moves the balance)", () =>
    accessManager.connect(admin).execute(target, assign),
  );
}

/**
 * The worst cases the bounded lists allow, so that no history makes a claim unaffordable: a member with 256
 * chronological enrollment periods whose line falls in the oldest (found by binary search: 8 reads), and a code for
 * which the member holds the most usable authorizations (MAX_OPEN_PRIOR_AUTHS, 16) with the line using the last one.
 */
async function benchWorstCases(context: {
  system: CareLedgerSystem;
  gas: GasRecorder;
  hospitalKey: Wallet;
  payerKey: Wallet;
  planId: bigint;
  number: () => number;
}): Promise<void> {
  const { system, gas, hospitalKey, payerKey, planId } = context;
  const claims = system.claimsAdjudicator;
  const priorAuths = system.priorAuthorizations;
  const asPayer = claims.connect(payerKey);
  const asHospital = claims.connect(hospitalKey);
  const member = memberPseudonym(MEMBER_KEY, planId, "worst case");
  // 256 monthly periods, the latest covering now (it ends 20 days after BASE).
  const PERIODS = 256n;
  const MONTH = 30n * DAY;
  const first = BASE + 20n * DAY - PERIODS * MONTH;
  for (let i = 0n; i < PERIODS; i++) {
    await (await asPayer.enroll(planId, member, first + i * MONTH, first + (i + 1n) * MONTH - 1n)).wait();
  }
  // A line 15 days ago falls in the period before the latest: found by binary search over the 255 older ones.
  await gas.measure(C, "submitClaim", "1 line, worst case: 256 enrollment periods, the line in an older one", () =>
    asHospital.submitClaim(
      member,
      planId,
      claimReference(REFERENCE_KEY, `bench-${context.number()}`),
      [packLine({ code: "99213", units: 1n, billed: 150n * USD, serviceDate: BASE - 15n * DAY })],
      [],
    ),
  );
  // 16 usable authorizations of the MRI for one member; the line fits only the last approved.
  const mri = procedureCode("70553");
  const authMember = memberPseudonym(MEMBER_KEY, planId, "worst case authorizations");
  await (await asPayer.enroll(planId, authMember, BASE - 100n * DAY, BASE + 100n * DAY)).wait();
  const MAX = Number(await priorAuths.MAX_OPEN_PRIOR_AUTHS());
  for (let i = 0; i < MAX; i++) {
    const from = BASE - BigInt(40 - i) * DAY;
    await (await priorAuths.connect(hospitalKey).requestPriorAuth(authMember, planId, mri, 1, from, from)).wait();
    const authId = await priorAuths.priorAuthCount();
    const approve = () => priorAuths.connect(payerKey).approvePriorAuth(authId, 1, from, from);
    if (i === MAX - 1) {
      await gas.measure(
        "PriorAuthorizations",
        "approvePriorAuth",
        "the 16th usable one (walks the list to prune)",
        approve,
      );
    } else {
      await (await approve()).wait();
    }
  }
  const lastDay = BASE - BigInt(40 - (MAX - 1)) * DAY;
  await gas.measure(C, "submitClaim", "1 line, worst case: 16 usable authorizations, the last one fits", () =>
    asHospital.submitClaim(
      authMember,
      planId,
      claimReference(REFERENCE_KEY, `bench-${context.number()}`),
      [packLine({ code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: lastDay })],
      [],
    ),
  );
}
