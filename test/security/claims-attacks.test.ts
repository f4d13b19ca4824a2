import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AbiCoder,
  type ContractTransactionReceipt,
  getBytes,
  hexlify,
  keccak256,
  randomBytes,
  zeroPadValue,
} from "ethers";
import { ethers } from "hardhat";

import {
  attachmentCommitment,
  CLAIM_PAYMENT,
  claimIdOf,
  claimReference,
  ClaimStatus,
  DataCategory,
  decodeLineResult,
  type ClaimLineInput,
  lineExposure,
  MAX_UNITS_PER_LINE,
  packLine,
  PaymentStatus,
  procedureCode,
  SECONDS_PER_DAY as DAY,
} from "../../sdk";
import { type ClaimsFixture, claimsFixture, memberOf, STATUS_REASON, suspend, USD } from "../fixtures/claims";
import { underCoverage } from "../helpers/coverage";

// The attacks and weaknesses of the claims module named in issue 11, each performed against the production deployment
// (the claims fixture builds on the system fixture, which deploys through the real deploy modules and role wiring), and
// each shown to fail now. Amounts are in the 6-decimal test stablecoin; the fixture's plan allows 99213 at $120 (copay
// $30), 80053 at $45, 70553 (MRI, needs authorization) at $1,800 and 97110 at $40 (copay $20), with a $500 deductible
// and 20 % coinsurance.

const usd = (amount: bigint) => amount * USD;
const REFERENCE_KEY = keccak256(Buffer.from("claims attacks reference key"));
let claimNumber = 0;
function newReference(): string {
  claimNumber += 1;
  return claimReference(REFERENCE_KEY, `ATK-${claimNumber}`);
}

const lineOf = (code: string, units: bigint, billed: bigint, serviceDate: bigint): ClaimLineInput => ({
  code,
  units,
  billed,
  serviceDate,
});

/**
 * The accounting identity, on chain: the adjudicator's token balance is exactly what it owes (Σ payer balances +
 * Σ provider balances, over every payer and organization of the fixture), and everything ever funded is held or was
 * withdrawn (by providers or, as surplus, by payers).
 */
async function expectIdentity(f: ClaimsFixture, label: string): Promise<void> {
  const held = await f.token.balanceOf(await f.claims.getAddress());
  let owed = 0n;
  let funded = 0n;
  let withdrawn = 0n;
  for (const payer of [f.payerId, f.otherPayerId]) {
    const [balance, payerFunded, payerWithdrawn] = await f.claims.payerAccount(payer);
    owed += balance;
    funded += payerFunded;
    withdrawn += payerWithdrawn;
  }
  for (const organization of [f.hospitalId, f.clinicId]) {
    const [balance, providerWithdrawn] = await f.claims.providerAccount(organization);
    owed += balance;
    withdrawn += providerWithdrawn;
  }
  expect(held, `${label}: token balance = Σ payer balances + Σ provider balances`).to.equal(owed);
  expect(funded, `${label}: Σ funded = held + Σ withdrawn`).to.equal(held + withdrawn);
}

/** The admin runs `assignSuccessor` through the AccessManager: scheduled, delayed, executed. */
async function assignSuccessor(f: ClaimsFixture, organization: bigint, successor: bigint) {
  const target = await f.claims.getAddress();
  const data = f.claims.interface.encodeFunctionData("assignSuccessor", [organization, successor]);
  await (await f.accessManager.connect(f.admin).schedule(target, data, 0)).wait();
  const [, delay] = await f.accessManager.canCall(f.admin.address, target, data.slice(0, 10));
  await time.increase(delay);
  return f.accessManager.connect(f.admin).execute(target, data);
}

async function mined(tx: Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

/** The 32-byte words of hex data (`0x…`), from its start. */
function words(data: string): string[] {
  const hex = data.slice(2);
  const out: string[] = [];
  for (let i = 0; i + 64 <= hex.length; i += 64) out.push(`0x${hex.slice(i, i + 64)}`);
  return out;
}

describe("ClaimsAdjudicator attacks (issue 11)", function () {
  it("attack 6 (medium): a suspended hospital cannot keep billing through its practitioners", async function () {
    const f = await loadFixture(claimsFixture);
    const now = BigInt(await time.latest());
    // Before: the hospital is owed money (one claim credited) and waits for more (one claim queued).
    await (await f.claims.connect(f.payerKey).fund(usd(60n))).wait();
    const credited = newReference();
    // 99213 × 5 billed $600: allowed 600, deductible 500, copay 30, coinsurance 14; the plan pays 56.
    await (
      await f.claims
        .connect(f.cardiologistKey)
        .submitClaim(f.member, f.planId, credited, [packLine(lineOf("99213", 5n, usd(600n), now - 3n * DAY))], [])
    ).wait();
    const queued = newReference();
    // Deductible met: copay 30, coinsurance floor(570 × 20 %) = 114; the plan pays 456, more than the 4 left.
    await (
      await f.claims
        .connect(f.hospitalKey)
        .submitClaim(f.member, f.planId, queued, [packLine(lineOf("99213", 5n, usd(600n), now - 2n * DAY))], [])
    ).wait();
    const queuedId = claimIdOf(f.hospitalId, queued);
    expect(Number((await f.claims.claim(queuedId)).payment)).to.equal(PaymentStatus.Queued);
    expect((await f.claims.providerAccount(f.hospitalId))[0]).to.equal(usd(56n));
    await expectIdentity(f, "before");

    // The attack: the registrar suspends the hospital; it keeps billing through its (still active) practitioners.
    await suspend(f, f.hospitalId);
    const lines = [packLine(lineOf("80053", 1n, usd(45n), now - DAY))];
    for (const practitioner of [f.cardiologistKey, f.internistKey]) {
      await expect(f.claims.connect(practitioner).submitClaim(f.member, f.planId, newReference(), lines, []))
        .to.be.revertedWithCustomError(f.claims, "ClaimsOrganizationNotActive")
        .withArgs(f.hospitalId);
    }
    await expect(f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, newReference(), lines, []))
      .to.be.revertedWithCustomError(f.claims, "ClaimsProviderNotActive")
      .withArgs(f.hospitalKey.address);
    // Nor does it line up authorizations through them.
    await expect(
      f.priorAuths
        .connect(f.cardiologistKey)
        .requestPriorAuth(f.member, f.planId, procedureCode("70553"), 1n, now, now + DAY),
    )
      .to.be.revertedWithCustomError(f.priorAuths, "PriorAuthNotAProvider")
      .withArgs(f.cardiologistKey.address);

    // Revoked for good: its balance and the payment still queued for it go to the successor the admin assigns.
    await f.identity.as(f.registrar).revoke(f.hospitalId, STATUS_REASON);
    await expect(f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address))
      .to.be.revertedWithCustomError(f.claims, "ClaimsNotAnActiveOrganization")
      .withArgs(f.hospitalKey.address);
    await expect(assignSuccessor(f, f.hospitalId, f.clinicId))
      .to.emit(f.claims, "SuccessorAssigned")
      .withArgs(f.hospitalId, f.clinicId, usd(56n));
    await expectIdentity(f, "after the assignment");
    await expect(f.claims.connect(f.payerKey).fund(usd(500n)))
      .to.emit(f.claims, "QueuedPaymentCredited")
      .withArgs(queuedId, f.payerId, f.clinicId, CLAIM_PAYMENT, usd(456n));
    await expectIdentity(f, "after the queued payment");
    expect([...(await f.claims.providerAccount(f.hospitalId))], "nothing stranded on the hospital").to.deep.equal([
      0n,
      0n,
    ]);
    await expect(f.claims.connect(f.clinicKey).withdraw(f.clinicKey.address))
      .to.emit(f.claims, "ProviderWithdrew")
      .withArgs(f.clinicId, f.clinicKey.address, usd(56n + 456n));
    await expectIdentity(f, "after the successor withdrew");
  });

  it("attack 7 (medium): one outsized claim cannot freeze a payer's payments to everyone", async function () {
    const f = await loadFixture(claimsFixture);
    const asPayer = f.claims.connect(f.payerKey);
    await (await asPayer.setNetwork(f.planId, [f.clinicId], true)).wait();
    await (await asPayer.fund(usd(10_000n))).wait();
    const now = BigInt(await time.latest());

    // The attack: an in-network provider bills a million units.
    const huge = [packLine(lineOf("97110", 1_000_000n, usd(40_000_000n), now - DAY))];
    await expect(f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, newReference(), huge, []))
      .to.be.revertedWithCustomError(f.claims, "ClaimsTooManyUnits")
      .withArgs(0, 1_000_000n, 99_999n);

    // With the plan's medically unlikely edit, the most a line may bill is denied 151 (CO) and nothing is queued.
    await (
      await asPayer.setFees(f.planId, [
        {
          code: procedureCode("97110"),
          allowedPerUnit: usd(40n),
          copay: usd(20n),
          requiresPriorAuth: false,
          maxUnits: 4,
        },
      ])
    ).wait();
    const reference = newReference();
    const claimId = claimIdOf(f.hospitalId, reference);
    const outsized = [packLine(lineOf("97110", 99_999n, usd(3_999_960n), now - DAY))];
    const tx = f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, outsized, []);
    await expect(tx)
      .to.emit(f.claims, "ClaimAdjudicated")
      .withArgs(claimId, f.member, f.planId, f.hospitalId, f.hospitalId, ClaimStatus.Denied, PaymentStatus.None);
    const summary = await f.claims.claim(claimId);
    expect([summary.planPays, summary.patientOwes, summary.deniedLines]).to.deep.equal([0n, 0n, 1n]);
    const [, , , head, tail] = await f.claims.payerAccount(f.payerId);
    expect(tail - head, "nothing queued").to.equal(0n);

    // Later claims of others are paid at once.
    const theirs = newReference();
    // 99213 × 5 billed $600 by the clinic: the plan pays 56, credited in the same transaction.
    await expect(
      f.claims
        .connect(f.clinicKey)
        .submitClaim(f.member, f.planId, theirs, [packLine(lineOf("99213", 5n, usd(600n), now - 2n * DAY))], []),
    )
      .to.emit(f.claims, "ClaimAdjudicated")
      .withArgs(
        claimIdOf(f.clinicId, theirs),
        f.member,
        f.planId,
        f.clinicId,
        f.clinicId,
        ClaimStatus.Approved,
        PaymentStatus.Credited,
      );
    expect((await f.claims.providerAccount(f.clinicId))[0]).to.equal(usd(56n));
    await expectIdentity(f, "after the claims");
  });

  // The bound of the fix. The rules (check 4a) let a plan leave a code without an edit ("absent means no plan
  // limit") and keep payments strictly first in, first out, so a code without an edit still exposes the payer to
  // allowedPerUnit × MAX_UNITS_PER_LINE per line: finite and known before the plan is activated, where the attack
  // exploited an unbounded one. The SDK's lineExposure and uneditedFees (and the plan tasks, which warn) let a payer
  // see that figure for every code; docs/threat-model.md and docs/claims.md say so.
  it("attack 7, the bound: a code without an edit exposes at most lineExposure per line, which the edit closes", async function () {
    const f = await loadFixture(claimsFixture);
    const asPayer = f.claims.connect(f.payerKey);
    await (await asPayer.setNetwork(f.planId, [f.clinicId], true)).wait();
    await (await asPayer.fund(usd(10_000n))).wait();
    const now = BigInt(await time.latest());
    const [, physicalTherapy] = await f.claims.fee(f.planId, procedureCode("97110"));
    const fee = {
      allowedPerUnit: physicalTherapy.allowedPerUnit,
      copay: physicalTherapy.copay,
      requiresPriorAuth: physicalTherapy.requiresPriorAuth,
      maxUnits: Number(physicalTherapy.maxUnits),
    };
    expect(fee.maxUnits, "the fixture leaves 97110 without an edit").to.equal(0);
    expect(lineExposure(fee)).to.equal(usd(40n) * MAX_UNITS_PER_LINE);

    // The most one line can bill: the exposure, and no more (the attack's million units are refused above).
    const reference = newReference();
    const most = [packLine(lineOf("97110", MAX_UNITS_PER_LINE, usd(3_999_960n), now - DAY))];
    await (await f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, most, [])).wait();
    const summary = await f.claims.claim(claimIdOf(f.hospitalId, reference));
    expect(summary.planPays <= lineExposure(fee), "the plan pays at most the exposure").to.equal(true);
    expect(Number(summary.payment)).to.equal(PaymentStatus.Queued);

    // The payer funds the exposure it accepted and the queue moves on; a later claim of another provider is paid.
    await (await f.token.connect(f.deployer).mint(f.payerKey, summary.planPays)).wait();
    await (await asPayer.fund(summary.planPays)).wait();
    expect(Number((await f.claims.claim(claimIdOf(f.hospitalId, reference))).payment)).to.equal(PaymentStatus.Credited);
    await (await asPayer.setFees(f.planId, [{ ...fee, code: procedureCode("97110"), maxUnits: 4 }])).wait();
    const again = newReference();
    const later = [packLine(lineOf("97110", MAX_UNITS_PER_LINE, usd(3_999_960n), now - 3n * DAY))];
    const receipt = await (
      await f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, again, later, [])
    ).wait();
    const results = (receipt?.logs ?? [])
      .map((log) => f.claims.interface.parseLog(log))
      .filter((event) => event?.name === "LineAdjudicated")
      .map((event) => decodeLineResult(event!.args[1] as bigint, event!.args[2] as bigint, event!.args[3] as bigint));
    expect(results.map((result) => [result.carc, result.planPays])).to.deep.equal([[151, 0n]]);
    const denied = await f.claims.claim(claimIdOf(f.hospitalId, again));
    expect([denied.planPays, denied.deniedLines, Number(denied.payment)]).to.deep.equal([0n, 1n, PaymentStatus.None]);
    const theirs = newReference();
    await (
      await f.claims
        .connect(f.clinicKey)
        .submitClaim(f.member, f.planId, theirs, [packLine(lineOf("99213", 1n, usd(120n), now - 2n * DAY))], [])
    ).wait();
    expect(Number((await f.claims.claim(claimIdOf(f.clinicId, theirs))).payment)).to.equal(PaymentStatus.Credited);
    await expectIdentity(f, "after the bound");
  });

  it("weakness: payment — a payer withdraws surplus; no money is stranded", async function () {
    const f = await loadFixture(claimsFixture);
    const asPayer = f.claims.connect(f.payerKey);
    await expectIdentity(f, "start");
    await (await asPayer.fund(usd(1_000n))).wait();
    await expectIdentity(f, "funded");
    const now = BigInt(await time.latest());
    // Plan pays 56 (credited), then 456 (credited: 944 left covers it).
    for (const daysAgo of [3n, 2n]) {
      await (
        await f.claims
          .connect(f.hospitalKey)
          .submitClaim(
            f.member,
            f.planId,
            newReference(),
            [packLine(lineOf("99213", 5n, usd(600n), now - daysAgo * DAY))],
            [],
          )
      ).wait();
      await expectIdentity(f, `claim ${daysAgo}`);
    }
    // The surplus (488) is the payer's to take back, in part…
    await expect(asPayer.withdrawFunds(usd(400n), f.payerKey.address))
      .to.emit(f.claims, "PayerWithdrew")
      .withArgs(f.payerId, f.payerKey.address, usd(400n));
    await expectIdentity(f, "partial withdrawal");
    // …but not while a payment waits for it: a third claim (plan pays 456) queues behind the 88 left.
    await (
      await f.claims
        .connect(f.hospitalKey)
        .submitClaim(f.member, f.planId, newReference(), [packLine(lineOf("99213", 5n, usd(600n), now - DAY))], [])
    ).wait();
    await expect(asPayer.withdrawFunds(usd(88n), f.payerKey.address))
      .to.be.revertedWithCustomError(f.claims, "ClaimsPayerHasQueue")
      .withArgs(f.payerId, 1n);
    await expectIdentity(f, "queued");
    await (await asPayer.fund(usd(400n))).wait();
    await expectIdentity(f, "settled");
    const [balance] = await f.claims.payerAccount(f.payerId);
    expect(balance).to.equal(usd(32n));
    await (await asPayer.withdrawFunds(balance, f.payerKey.address)).wait();
    await (await f.claims.connect(f.hospitalKey).withdraw(f.hospitalKey.address)).wait();
    await expectIdentity(f, "everyone withdrew");
    // Everything funded went out again, to the provider or back to the payer: nothing is left in the contract.
    expect(await f.token.balanceOf(await f.claims.getAddress())).to.equal(0n);
    const [, funded, payerWithdrawn] = await f.claims.payerAccount(f.payerId);
    const [, providerWithdrawn] = await f.claims.providerAccount(f.hospitalId);
    expect([funded, payerWithdrawn + providerWithdrawn]).to.deep.equal([usd(1_400n), usd(1_400n)]);
  });

  it("weakness: unbounded lists — no history makes a claim unaffordable", async function () {
    const f = await loadFixture(claimsFixture);
    const asPayer = f.claims.connect(f.payerKey);
    const member = memberOf(f.planId, f.otherPatientId);
    const now = BigInt(await time.latest());
    const midnight = now - (now % DAY);
    // 40 past periods of a day each, one-day gaps between them, then the current one.
    const base = midnight - 85n * DAY;
    const start = (i: number) => base + BigInt(2 * i) * DAY;
    for (let i = 0; i < 40; i++) await (await asPayer.enroll(f.planId, member, start(i), start(i) + DAY - 1n)).wait();
    await (await asPayer.enroll(f.planId, member, midnight - 4n * DAY, now + 300n * DAY)).wait();
    expect(await f.claims.enrollmentCount(f.planId, member)).to.equal(41n);

    // 16 usable MRI authorizations, every one but the last for a window that misses the service date below.
    const mri = procedureCode("70553");
    const serviceDate = start(3) + DAY / 2n;
    for (let i = 0; i < 16; i++) {
      const [from, to] = i < 15 ? [midnight - 3n * DAY, now + 30n * DAY] : [base, now];
      const authId = await f.priorAuths
        .connect(f.hospitalKey)
        .requestPriorAuth.staticCall(member, f.planId, mri, 1n, from, to);
      await (await f.priorAuths.connect(f.hospitalKey).requestPriorAuth(member, f.planId, mri, 1n, from, to)).wait();
      await (await f.priorAuths.connect(f.payerKey).approvePriorAuth(authId, 1n, from, to)).wait();
    }
    expect(await f.priorAuths.approvedPriorAuths(member, f.planId, mri)).to.have.length(16);

    // A one-line claim dated in an old period (a binary search over 41) that walks all 16 authorizations to the last.
    const GAS_BOUND = 400_000n;
    const worst = await mined(
      f.claims
        .connect(f.hospitalKey)
        .submitClaim(member, f.planId, newReference(), [packLine(lineOf("70553", 1n, usd(2_000n), serviceDate))], []),
    );
    // The bound is the production contracts' gas: under coverage (instrumented, dearer) the walks are checked, not it.
    const measured = !underCoverage();
    if (measured) expect(worst.gasUsed, `gas of the worst one-line claim: ${worst.gasUsed}`).to.be.lessThan(GAS_BOUND);
    // And one that walks all 16 and finds none (denied 197).
    const none = await mined(
      f.claims
        .connect(f.hospitalKey)
        .submitClaim(
          member,
          f.planId,
          newReference(),
          [packLine(lineOf("70553", 2n, usd(4_000n), start(10) + DAY / 2n))],
          [],
        ),
    );
    if (measured) {
      expect(none.gasUsed, `gas of a one-line claim no authorization covers: ${none.gasUsed}`).to.be.lessThan(
        GAS_BOUND,
      );
    }

    // A 17th usable authorization is refused.
    const asHospital = f.priorAuths.connect(f.hospitalKey);
    const extra = await asHospital.requestPriorAuth.staticCall(member, f.planId, mri, 1n, now, now + DAY);
    await (await asHospital.requestPriorAuth(member, f.planId, mri, 1n, now, now + DAY)).wait();
    // The 16th was used up by the first claim: approving prunes it and takes its place.
    await (await f.priorAuths.connect(f.payerKey).approvePriorAuth(extra, 1n, now, now + DAY)).wait();
    const seventeenth = await asHospital.requestPriorAuth.staticCall(member, f.planId, mri, 1n, now, now + DAY);
    await (await asHospital.requestPriorAuth(member, f.planId, mri, 1n, now, now + DAY)).wait();
    await expect(f.priorAuths.connect(f.payerKey).approvePriorAuth(seventeenth, 1n, now, now + DAY))
      .to.be.revertedWithCustomError(f.priorAuths, "PriorAuthTooManyOpen")
      .withArgs(member, f.planId, mri, 16n);
    expect(await f.priorAuths.approvedPriorAuths(member, f.planId, mri)).to.have.length(16);
  });

  it("weakness: linkability — claims never name the patient", async function () {
    const f = await loadFixture(claimsFixture);
    const now = BigInt(await time.latest());
    const patientWord = zeroPadValue(ethers.toBeHex(f.patientId), 32).toLowerCase();
    // A record of hers, anchored by her cardiologist; the claim carries only a salted commitment to it.
    const record = hexlify(randomBytes(32));
    await (
      await f.records.connect(f.cardiologistKey).anchor(f.patientId, record, DataCategory.LaboratoryResults, ZERO)
    ).wait();
    const attachment = attachmentCommitment(hexlify(randomBytes(32)), f.patientId, record);

    // The member pseudonym is no encoding of her id: not the id as a word, nor any plain hash of it, and another plan's
    // pseudonym of hers is another value.
    const coder = AbiCoder.defaultAbiCoder();
    const encodings = [
      patientWord,
      keccak256(coder.encode(["uint64"], [f.patientId])),
      keccak256(coder.encode(["uint256"], [f.patientId])),
      keccak256(ethers.solidityPacked(["uint64"], [f.patientId])),
      ethers.id(f.patientId.toString()),
      keccak256(coder.encode(["uint64", "uint64"], [f.planId, f.patientId])),
    ];
    for (const encoding of encodings) expect(f.member).to.not.equal(encoding);
    expect(memberOf(f.planId + 1n, f.patientId)).to.not.equal(f.member);

    // Everything that names her on the claims side: an enrollment, an authorization request, a claim with an attachment.
    const asPayer = f.claims.connect(f.payerKey);
    const receipts: ContractTransactionReceipt[] = [];
    receipts.push(await mined(asPayer.enroll(f.planId, f.member, f.coverageEnd + 1n, f.coverageEnd + 10n * DAY)));
    receipts.push(
      await mined(
        f.priorAuths
          .connect(f.hospitalKey)
          .requestPriorAuth(f.member, f.planId, procedureCode("70553"), 1n, now - 10n * DAY, now),
      ),
    );
    receipts.push(
      await mined(
        f.claims
          .connect(f.hospitalKey)
          .submitClaim(
            f.member,
            f.planId,
            newReference(),
            [
              packLine(lineOf("99213", 1n, usd(150n), now - DAY)),
              packLine(lineOf("70553", 1n, usd(2_000n), now - DAY)),
            ],
            [attachment],
          ),
      ),
    );

    const seen = new Set<string>();
    for (const receipt of receipts) {
      const tx = await ethers.provider.getTransaction(receipt.hash);
      if (tx === null) throw new Error("no transaction");
      const sources: [string, string[]][] = [
        // The calldata after the selector, word by word.
        [`calldata of ${receipt.hash}`, words(`0x${tx.data.slice(10)}`)],
        ...receipt.logs.map(
          (log, i) => [`log ${i} of ${receipt.hash}`, [...log.topics, ...words(log.data)]] as [string, string[]],
        ),
      ];
      for (const [where, all] of sources) {
        for (const word of all) {
          seen.add(word.toLowerCase());
          expect(word.toLowerCase(), `${where} holds her participant id`).to.not.equal(patientWord);
        }
        const hex = all.join("").toLowerCase();
        expect(hex.includes(record.slice(2).toLowerCase()), `${where} holds her record commitment`).to.equal(false);
      }
      for (const log of receipt.logs) {
        expect(log.data.toLowerCase().includes(record.slice(2).toLowerCase())).to.equal(false);
      }
    }
    // What the events do carry: the pseudonym (as a topic) and the attachment commitment.
    const names = receipts.flatMap((receipt) =>
      receipt.logs.map(
        (log) => f.claims.interface.parseLog(log)?.name ?? f.priorAuths.interface.parseLog(log)?.name ?? "?",
      ),
    );
    for (const name of [
      "MemberEnrolled",
      "PriorAuthRequested",
      "ClaimAttachments",
      "LineAdjudicated",
      "ClaimAdjudicated",
    ]) {
      expect(names, name).to.include(name);
    }
    expect(seen.has(f.member.toLowerCase()), "the pseudonym is what the chain sees").to.equal(true);
    expect(seen.has(attachment.toLowerCase()), "the attachment commitment is what the chain sees").to.equal(true);
    expect(getBytes(attachment)).to.have.length(32);
  });
});

const ZERO = `0x${"00".repeat(32)}`;
