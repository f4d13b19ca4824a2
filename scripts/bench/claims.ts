import { time } from "@nomicfoundation/hardhat-network-helpers";
import { id as keccakText, parseEther, Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import { claimReference, commit, packLine, ParticipantKind, procedureCode, Roles } from "../../sdk";
import type { GasRecorder } from "./recorder";

const C = "ClaimsAdjudicator";
const DAY = 86_400n;
const USD = 1_000_000n;
/** The chain's clock during the claims rows, after the consent rows' (2030-03-17): 2031-01-01T00:00:00Z, so that service
 * dates (and calldata) never drift. */
const BASE = 1_924_992_000n;
/** A reference key for the bench's claim numbers (deterministic calldata). */
const REFERENCE_KEY = keccakText("careledger bench claims reference key");

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
 * Measures the ClaimsAdjudicator: plan set-up, enrollment, prior authorization, claims of 1, 5 and 10 lines
 * (submitted, adjudicated and credited in one transaction), appeals, funding with a queue of unpaid claims, and
 * withdrawal. "Steady state" is a claim in an established relationship: the payer is funded, the hospital has a
 * balance, the patient's enrollment has met part of its deductible and the patient had each billed code at this
 * hospital before within the 256-day window of the duplicate-service bitmap, so that the duplicate check rewrites a
 * word rather than creating one; the same claims with codes new to the patient are measured beside them.
 */
export async function benchClaims(system: CareLedgerSystem, gas: GasRecorder): Promise<void> {
  const { identityRegistry: identity, claimsAdjudicator: claims, accessManager, testStablecoin: token } = system;
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
  const register = async (kind: ParticipantKind, controller: string, label: string, affiliation = 0n) => {
    await (
      await identity
        .connect(registrar)
        .registerParticipant(
          kind,
          controller,
          commit(label, keccakText(`salt ${label}`)).commitment,
          expiry,
          affiliation,
        )
    ).wait();
    return identity.idOf(controller);
  };
  const payer = await register(ParticipantKind.Payer, payerKey.address, "claims payer");
  const hospital = await register(ParticipantKind.Organization, hospitalKey.address, "claims hospital");
  await register(ParticipantKind.Practitioner, reviewerKey.address, "claims reviewer", payer);
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
  const entries = FEES.map(([code, allowed, copay, requiresPriorAuth]) => ({
    code: procedureCode(code),
    allowedPerUnit: allowed * USD,
    copay: copay * USD,
    requiresPriorAuth,
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
  }));
  const long = await gas.measure(C, "setFees", "batch of 200 codes", () => asPayer.setFees(planId, schedule));
  gas.add(C, "setFees per code", "batch of 200 codes", long.gasUsed / 200n);
  await gas.measure(C, "setNetwork", "one organization", () => asPayer.setNetwork(planId, [hospital], true));
  await gas.measure(C, "activatePlan", "draft to active", () => asPayer.activatePlan(planId));
  const coverageStart = BASE - 30n * DAY;
  const coverageEnd = coverageStart + 365n * DAY - 1n;
  await gas.measure(C, "enroll", "first enrollment of a patient in a plan", () =>
    asPayer.enroll(planId, patient, coverageStart, coverageEnd),
  );
  await gas.measure(C, "enroll", "a second patient", () =>
    asPayer.enroll(planId, otherPatient, coverageStart, coverageEnd),
  );
  await gas.measure(C, "enroll", "a later period of an enrolled patient", () =>
    asPayer.enroll(planId, patient, coverageEnd + 1n, coverageEnd + 365n * DAY),
  );

  await (await token.connect(deployer).mint(payerKey.address, 10_000_000n * USD)).wait();
  await (await token.connect(payerKey).approve(await claims.getAddress(), ethers.MaxUint256)).wait();
  await gas.measure(C, "fund", "first funding, no queue", () => asPayer.fund(1_000_000n * USD));

  let number = 0;
  const submit = (variant: string, lines: { code: string; units: bigint; billed: bigint; serviceDate: bigint }[]) =>
    gas.measure(C, "submitClaim", variant, () =>
      asHospital.submitClaim(
        patient,
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
  await gas.measure(C, "submitClaim", "1 line, a patient's first claim (all to the deductible, nothing to pay)", () =>
    asHospital.submitClaim(
      otherPatient,
      planId,
      claimReference(REFERENCE_KEY, `bench-${++number}`),
      [packLine(visit("99213", 16n))],
      [],
    ),
  );
  await submit("1 line, denied (not in the fee schedule)", [visit("G0438", 13n)]);
  const uncoveredId = await claims.claimIdOf(hospital, claimReference(REFERENCE_KEY, `bench-${number}`));

  // Prior authorization.
  await gas.measure(C, "requestPriorAuth", "MRI, 2 units over 60 days", () =>
    asHospital.requestPriorAuth(patient, planId, procedureCode("70553"), 2, BASE - DAY, BASE + 60n * DAY),
  );
  const authId = await claims.priorAuthCount();
  await gas.measure(C, "approvePriorAuth", "narrower: 1 unit", () =>
    asPayer.approvePriorAuth(authId, 1, BASE - DAY, BASE + 30n * DAY),
  );
  await (await asHospital.requestPriorAuth(patient, planId, procedureCode("70553"), 1, BASE, BASE + DAY)).wait();
  await gas.measure(C, "denyPriorAuth", "a pending request", () => asPayer.denyPriorAuth(authId + 1n));
  await submit("1 line using a prior authorization", [
    { code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: at(1n) },
  ]);

  // Appeals: an MRI without authorization, denied 197, appealed and overturned; a timely-filing denial upheld.
  await submit("1 line, denied (no authorization)", [
    { code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: BASE - 2n * DAY },
  ]);
  const deniedId = await claims.claimIdOf(hospital, claimReference(REFERENCE_KEY, `bench-${number}`));
  const content = {
    patient,
    plan: planId,
    organization: hospital,
    submitter: hospital,
    lines: [packLine({ code: "70553", units: 1n, billed: 2_400n * USD, serviceDate: BASE - 2n * DAY })],
    supportingRecords: [],
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
  const payer2 = await register(ParticipantKind.Payer, payer2Key.address, "claims payer 2");
  const asPayer2 = claims.connect(payer2Key);
  await (await asPayer2.createPlan(terms)).wait();
  const plan2 = await claims.planCount();
  await (await asPayer2.setFees(plan2, entries)).wait();
  await (await asPayer2.setNetwork(plan2, [hospital], true)).wait();
  await (await asPayer2.activatePlan(plan2)).wait();
  await (await asPayer2.enroll(plan2, otherPatient, BASE - 200n * DAY, BASE + 165n * DAY)).wait();
  await (await token.connect(deployer).mint(payer2Key.address, 10_000_000n * USD)).wait();
  await (await token.connect(payer2Key).approve(await claims.getAddress(), ethers.MaxUint256)).wait();
  // Meet the deductible first so that every queued claim has something to pay.
  await (
    await asHospital.submitClaim(
      otherPatient,
      plan2,
      claimReference(REFERENCE_KEY, "bench-queue-0"),
      [packLine({ code: "80053", units: 20n, billed: 900n * USD, serviceDate: at(12n) })],
      [],
    )
  ).wait();
  for (let index = 1; index <= 40; index++) {
    const send = () =>
      asHospital.submitClaim(
        otherPatient,
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
}
