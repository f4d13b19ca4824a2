import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";
import { ethers } from "hardhat";

import {
  attachmentCommitment,
  CARC_DESCRIPTIONS,
  ClaimBuilder,
  ClaimsClient,
  ClaimStatus,
  commit,
  formatAmount,
  GROUP_CODES,
  IdentityClient,
  memberPseudonym,
  ParticipantKind,
  PaymentStatus,
  PlanBuilder,
  type Remittance,
  Roles,
} from "../../sdk";
import type { TestStablecoin } from "../../typechain-types";
import {
  DAY,
  day,
  detail,
  duration,
  gas,
  introduce,
  nameOf,
  refused,
  say,
  short,
  technical,
  verbose,
  words,
  yes,
} from "./narration";
import { now, type Participants, type Story } from "./story";

/** Evergreen's fee schedule: code, what it is, the allowed amount in dollars, and its terms. */
const FEES: [string, string, number, { copay?: number; requiresPriorAuth?: boolean; maxUnits?: number }][] = [
  ["99213", "office visit, established patient", 120, { copay: 30, maxUnits: 1 }],
  ["80053", "comprehensive metabolic panel", 45, { maxUnits: 1 }],
  ["70553", "MRI brain, with and without contrast", 1_800, { requiresPriorAuth: true, maxUnits: 1 }],
  ["27447", "total knee replacement", 25_000, { copay: 250, requiresPriorAuth: true, maxUnits: 1 }],
  ["97110", "physical therapy, per 15 minutes", 40, { copay: 20, maxUnits: 4 }],
];

/** St. Mary's own references of the claims it bills (a claim's id on chain is a keyed hash of one). */
const REFERENCES = { visit: "SMH-2027-004217-01", mri: "SMH-2027-004217-02", therapy: "SMH-2027-004217-03" };

/** What the claims scenes share: the clients, the settlement token and how amounts print. */
interface Office {
  story: Story;
  who: Participants;
  /** The settlement token: the deployment's test stablecoin, whose owner mints test dollars. */
  stablecoin: TestStablecoin;
  asInsurer: ClaimsClient;
  asHospital: ClaimsClient;
  token: { symbol: string; decimals: number };
  /** Dollars in the token's base units. */
  usd: (dollars: number) => bigint;
  /** An amount of the token (a test dollar) as dollars: "$1,172.00". */
  money: (amount: bigint) => string;
  /** The hospital's own reference of each claim, by claim id. */
  references: Map<string, string>;
}

/** What the claims chapter ends with, for the story's last line. */
export interface ClaimsOutcome {
  claims: number;
  approved: number;
  planPaid: string;
}

/**
 * Claims: an insurer creates a plan with a fee schedule (every code with its medically unlikely edit) and the hospital
 * in network, funds it in the test stablecoin and enrolls the patient under a member pseudonym; an office visit goes
 * entirely to her deductible; an MRI without authorization is denied (CO-197) and twelve units of therapy on one line
 * are denied (CO-151); the hospital appeals the MRI, a reviewer granted CLAIMS_REVIEWER through the admin delay
 * overturns it, and it is paid; the hospital withdraws its balance, and the patient's explanation of benefits is
 * printed.
 */
export async function claimsChapter(
  story: Story,
  who: Participants,
  credentialExpiry: bigint,
  labCommitment: string,
): Promise<ClaimsOutcome> {
  const { cast, system } = story;
  if (system.testStablecoin === undefined) throw new Error("the demo settles claims in the test stablecoin");
  const token = await ClaimsClient.connect(ethers.provider, system.deployment).settlementToken();
  const money = (amount: bigint) => `$${formatAmount(amount, token.decimals)}`;
  const asInsurer = ClaimsClient.connect(cast.insurerKey, system.deployment);
  const office: Office = {
    story,
    who,
    stablecoin: system.testStablecoin,
    asInsurer,
    asHospital: asInsurer.as(cast.hospitalNewKey),
    token,
    usd: (dollars) => BigInt(Math.round(dollars * 100)) * 10n ** BigInt(token.decimals - 2),
    money,
    references: new Map(),
  };
  const { insurer, planId } = await insurerAndPlan(office, credentialExpiry);
  const { member, today } = await fundAndEnroll(office, insurer, planId);
  const mri = await billClaims(office, { member, planId, today }, labCommitment);
  await appealDenial(office, mri);
  await withdrawBalance(office);
  return explanationOfBenefits(office, member, planId);
}

async function insurerAndPlan(office: Office, credentialExpiry: bigint): Promise<{ insurer: bigint; planId: bigint }> {
  const { story, who, usd, money } = office;
  const { cast } = story;
  const asRegistrar = IdentityClient.connect(cast.registrar, story.system.deployment);
  say("The registrar verifies Evergreen Health, an insurer, and Dr. Patel, its medical director who reviews appeals.");
  const insurer = await asRegistrar.registerWithKey(cast.insurerKey, {
    kind: ParticipantKind.Payer,
    credentialCommitment: commit("state insurance licence INS-55120, NAIC 60054").commitment,
    credentialExpiry,
  });
  const patel = await asRegistrar.registerWithKey(
    cast.reviewerKey,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit("state medical licence MD-61877 / NPI 1093817465").commitment,
      credentialExpiry,
      affiliation: insurer.id,
    },
    cast.insurerKey,
  );
  introduce(insurer.id, "Evergreen");
  introduce(patel.id, "Dr. Patel");
  detail(`Evergreen is payer ${insurer.id}; Dr. Patel is participant ${patel.id}, affiliated with it`);

  say("Evergreen creates its Standard plan: $500 deductible, 20 % coinsurance, $3,000 out-of-pocket maximum.");
  const builder = new PlanBuilder()
    .deductible(usd(500))
    .outOfPocketMax(usd(3_000))
    .coinsurance(2_000)
    .timelyFilingDays(90)
    .appealWindowDays(180)
    .inNetwork(who.hospital);
  for (const [code, , allowed, options] of FEES) {
    builder.fee(code, usd(allowed), {
      copay: options.copay === undefined ? 0n : usd(options.copay),
      requiresPriorAuth: options.requiresPriorAuth ?? false,
      ...(options.maxUnits === undefined ? {} : { maxUnits: options.maxUnits }),
    });
  }
  const created = await office.asInsurer.createPlan(builder.build());
  detail(
    `plan ${created.planId}: 90 days to file, 180 days to appeal; ${nameOf(who.hospital)} in network; ${created.receipts.length} transactions${gas(created.receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n))}`,
  );
  for (const [code, name, allowed, options] of FEES) {
    detail(
      `  ${code} ${name}: allowed ${money(usd(allowed))}${options.copay === undefined ? "" : `, copay ${money(usd(options.copay))}`}${options.requiresPriorAuth === true ? ", prior authorization" : ""}, at most ${options.maxUnits} unit(s) a line`,
    );
  }
  return { insurer: insurer.id, planId: created.planId };
}

/** Evergreen is minted test dollars and funds its payer account, and enrolls Alice: her member pseudonym and the day it was. */
async function fundAndEnroll(
  office: Office,
  insurer: bigint,
  planId: bigint,
): Promise<{ member: string; today: bigint }> {
  const { story, usd, money, asInsurer, stablecoin: testStablecoin } = office;
  const { cast } = story;
  say(
    `Claims settle in ${office.token.symbol}, the test stablecoin: the deployer mints Evergreen 100,000; it funds 50,000.`,
  );
  await (await testStablecoin.connect(cast.deployer).mint(cast.insurerKey.address, usd(100_000))).wait();
  const funded = await asInsurer.fund(usd(50_000));
  const payerAccount = await asInsurer.payerAccount(insurer);
  detail(
    `Evergreen's claims balance ${money(payerAccount.balance)}; its wallet ${money(await testStablecoin.balanceOf(cast.insurerKey.address))}${gas(funded.receipt)}`,
  );
  detail(`one ${office.token.symbol} is one test dollar: amounts below are in dollars`);

  say("Evergreen enrolls Alice for a year under a member pseudonym, as the member number on her insurance card.");
  const memberKey = keccak256(toUtf8Bytes("Evergreen member pseudonym key"));
  const member = memberPseudonym(memberKey, planId, "EVG-0042117-01");
  const clock = await now();
  const today = clock - (clock % BigInt(DAY));
  const enrolled = await asInsurer.enroll(planId, member, today - BigInt(7 * DAY), today + BigInt(358 * DAY) - 1n);
  const [coverage] = await asInsurer.enrollments(planId, member);
  detail(
    `covered from ${day(coverage?.coverageStart ?? 0n)} to ${day(coverage?.coverageEnd ?? 0n)} inclusive${gas(enrolled.receipt)}`,
  );
  technical(`enrollment ${enrolled.seq} of member ${member}`);
  detail(
    "claims never name her participant id: no other consortium member can join her procedure codes to her consent or records",
  );
  return { member, today };
}

/** A visit to the deductible, an MRI denied without authorization and therapy over its edit; returns the MRI's id. */
async function billClaims(
  office: Office,
  { member, planId, today }: { member: string; planId: bigint; today: bigint },
  labCommitment: string,
): Promise<string> {
  const { story, who, usd, asHospital } = office;
  const referenceKey = keccak256(toUtf8Bytes("St. Mary's claim reference key"));
  say("Dr. Chen sees Alice for an office visit and a metabolic panel, billed for St. Mary's: all of it is deductible.");
  const visitDay = today - BigInt(3 * DAY) + BigInt(10 * 3_600);
  const visit = await asHospital
    .as(story.cast.doctorKey)
    .submitClaim(
      new ClaimBuilder(member, planId)
        .reference(referenceKey, REFERENCES.visit)
        .line("99213", 1n, usd(150), visitDay)
        .line("80053", 1n, usd(60), visitDay)
        .build(),
    );
  office.references.set(visit.claimId, REFERENCES.visit);
  remit(office, visit.remittance);
  detail(`payment: ${words(PaymentStatus[visit.remittance.payment])} — the plan pays nothing yet${gas(visit.receipt)}`);

  say("St. Mary's bills Alice's brain MRI, done without a prior authorization: denied, CO-197.");
  const mriDay = today - BigInt(2 * DAY) + BigInt(14 * 3_600);
  const mriClaim = new ClaimBuilder(member, planId)
    .reference(referenceKey, REFERENCES.mri)
    .line("70553", 1n, usd(2_400), mriDay)
    .attachment(attachmentCommitment(keccak256(toUtf8Bytes("MRI attachment salt")), who.alice, labCommitment))
    .build();
  const mri = await asHospital.submitClaim(mriClaim);
  office.references.set(mri.claimId, REFERENCES.mri);
  remit(office, mri.remittance);
  detail(
    `with one attachment: a salted commitment to her lab record, which Evergreen opens off chain${gas(mri.receipt)}`,
  );
  detail(
    `submitting it again: ${await refused(() => asHospital.submitClaim(mriClaim), "ClaimsDuplicateReference", "St. Mary's has already billed a claim with this reference")}`,
  );

  say("St. Mary's bills 12 units of physical therapy on one line: over the plan's 4-unit edit, denied CO-151.");
  const therapy = await asHospital.submitClaim(
    new ClaimBuilder(member, planId)
      .reference(referenceKey, REFERENCES.therapy)
      .line("97110", 12n, usd(480), mriDay)
      .build(),
  );
  office.references.set(therapy.claimId, REFERENCES.therapy);
  remit(office, therapy.remittance);
  detail("no single line can queue a payment the payer could not fund: every code has its edit");
  return mri.claimId;
}

/** The hospital appeals the MRI; the admin grants Dr. Patel the reviewer role through its delay; he overturns it. */
async function appealDenial(office: Office, mri: string): Promise<void> {
  const { story, asHospital, asInsurer, money } = office;
  const { cast } = story;
  const { accessManager, deployment } = story.system;
  say("St. Mary's appeals the denial: the MRI was urgent. Dr. Patel cannot decide it yet: he lacks the reviewer role.");
  const appealed = await asHospital.fileAppeal(mri, 0);
  detail(`appeal of line 1 filed${gas(appealed.receipt)}`);
  const asPatel = asInsurer.as(cast.reviewerKey);
  detail(
    `Dr. Patel decides: ${await refused(() => asPatel.decideAppeal(mri, 0, true), "AccessManagedUnauthorized", "deciding an appeal needs the CLAIMS_REVIEWER role")}`,
  );

  say("The admin grants Dr. Patel CLAIMS_REVIEWER: scheduled, it waits out the admin delay, then executes.");
  const grantData = accessManager.interface.encodeFunctionData("grantRole", [
    Roles.CLAIMS_REVIEWER,
    cast.reviewerKey.address,
    0,
  ]);
  const [, adminDelay] = await accessManager.canCall(
    cast.admin.address,
    deployment.accessManager,
    grantData.slice(0, 10),
  );
  await (await accessManager.connect(cast.admin).schedule(deployment.accessManager, grantData, 0)).wait();
  await time.increase(adminDelay);
  await (await accessManager.connect(cast.admin).execute(deployment.accessManager, grantData)).wait();
  const [reviewer] = await accessManager.hasRole(Roles.CLAIMS_REVIEWER, cast.reviewerKey.address);
  detail(
    `after ${duration(adminDelay)}: Dr. Patel holds CLAIMS_REVIEWER${verbose ? ` (${Roles.CLAIMS_REVIEWER})` : ""}: ${yes(reviewer)}`,
  );

  say("Dr. Patel overturns the denial: the MRI is re-adjudicated against Alice's deductible, and paid.");
  const decided = await asPatel.decideAppeal(mri, 0, true);
  remit(office, await asPatel.remittance(mri));
  const appeal = await asPatel.appeal(mri, 0);
  detail(
    `plan pays ${money(decided.line?.planPays ?? 0n)}: ${words(PaymentStatus[appeal.payment])} to St. Mary's account${gas(decided.receipt)}`,
  );
}

async function withdrawBalance(office: Office): Promise<void> {
  const { story, who, money, asInsurer, asHospital, stablecoin: testStablecoin } = office;
  const { claimsAdjudicator } = story.system;
  const hospitalKey = story.cast.hospitalNewKey.address;
  say("St. Mary's withdraws its balance in the stablecoin.");
  const balances = async () =>
    `St. Mary's wallet ${money(await testStablecoin.balanceOf(hospitalKey))}, owed ${money((await asInsurer.providerAccount(who.hospital)).balance)}; the claims contract holds ${money(await testStablecoin.balanceOf(await claimsAdjudicator.getAddress()))}`;
  detail(`before: ${await balances()}`);
  const withdrawn = await asHospital.withdraw(hospitalKey);
  detail(`withdrew ${money(withdrawn.amount)}${gas(withdrawn.receipt)}`);
  detail(`after:  ${await balances()}`);
}

async function explanationOfBenefits(office: Office, member: string, planId: bigint): Promise<ClaimsOutcome> {
  const { asInsurer, money, usd } = office;
  say("Alice's explanation of benefits: every claim of hers, line by line, and what she owes.");
  const eob = await asInsurer.explanationOfBenefits(member);
  for (const remittance of eob) remit(office, remittance);
  const owed = eob.reduce((sum, remittance) => sum + remittance.patientOwes, 0n);
  const planPaid = eob.reduce((sum, remittance) => sum + remittance.planPays, 0n);
  const [first] = await asInsurer.enrollments(planId, member);
  detail(
    `Alice owes ${money(owed)}; Evergreen paid ${money(planPaid)}; deductible met ${money(first?.deductibleMet ?? 0n)} of ${money(usd(500))}, out of pocket ${money(first?.oopMet ?? 0n)} of ${money(usd(3_000))}`,
  );
  return {
    claims: eob.length,
    approved: eob.filter((remittance) => remittance.status === ClaimStatus.Approved).length,
    planPaid: money(planPaid),
  };
}

/**
 * Prints a remittance for people: the claim by the hospital's reference, then each line with the service's name, the
 * amounts in dollars and a denial's reason code with its published meaning; with `--verbose` the claim's id and the
 * member pseudonym too.
 */
function remit(office: Office, remittance: Remittance): void {
  const { money } = office;
  const reference = office.references.get(remittance.claimId) ?? short(remittance.claimId);
  detail(
    `claim ${reference} to plan ${remittance.plan}, from ${nameOf(remittance.organization)}: ${words(ClaimStatus[remittance.status])}`,
  );
  technical(`  claim id ${remittance.claimId}, member ${remittance.member}`);
  for (const line of remittance.lines) {
    const shares = (
      [
        ["deductible", line.deductible],
        ["copay", line.copay],
        ["coinsurance", line.coinsurance],
      ] as const
    )
      .filter(([, amount]) => amount > 0n)
      .map(([name, amount]) => `${name} ${money(amount)}`);
    const outcome = line.denied
      ? `denied ${GROUP_CODES[line.group]}-${line.carc}: ${CARC_DESCRIPTIONS[line.carc] ?? "a reason code the demo does not know"}`
      : `allowed ${money(line.allowed)}${shares.length === 0 ? "" : ` (${shares.join(", ")})`}`;
    const service = FEES.find(([code]) => code === line.code)?.[1] ?? "unlisted service";
    detail(
      `  ${line.index + 1}. ${line.code} ${service}, ×${line.units} on ${day(line.serviceDate)}: billed ${money(line.billed)}; ${outcome}; plan pays ${money(line.planPays)}, Alice owes ${money(line.patientOwes)}${line.reAdjudicated ? " (after appeal)" : ""}`,
    );
  }
  detail(
    `  total: billed ${money(remittance.billed)}, plan pays ${money(remittance.planPays)}, Alice owes ${money(remittance.patientOwes)}`,
  );
}
