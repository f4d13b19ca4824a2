import { expect } from "chai";
import hre from "hardhat";

import { AdjustmentGroup, ClaimStatus, decodeRemittances, GROUP_CODES, type Remittance } from "../../sdk";
import { DAY, MAX_LINES } from "../../sdk/claims/model";
import {
  generatePopulation,
  type Population,
  procedure,
  SERVICE_WINDOW_DAYS,
} from "../../simulation/claims/population";
import { ClaimsAdjudicator__factory } from "../../typechain-types";
import { formatSummary, type SimulationReport, simulateClaims } from "../../simulation/claims";

// The claims-flow simulator (simulation/claims/) run in-process on a small population: it must find the contract and
// the model in agreement, and the figures of its summary must add up and match the remittances read back from the
// chain. Then the population generator (simulation/claims/population.ts) on its own: deterministic, and within its
// stated bounds.

const CLAIMS = 60;
const SEED = 22;

describe("ClaimsAdjudicator", function () {
  describe("careledger:simulate", function () {
    let report: SimulationReport;
    let remittances: Remittance[];
    let snapshot: string;

    before(async function () {
      this.timeout(600_000);
      snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
      report = await simulateClaims(hre, { claims: CLAIMS, seed: SEED, quiet: true, log: () => undefined });
      const adjudicator = ClaimsAdjudicator__factory.connect(report.adjudicator, hre.ethers.provider);
      const logs = await hre.ethers.provider.getLogs({ address: report.adjudicator, fromBlock: report.fromBlock });
      remittances = decodeRemittances(adjudicator, logs);
    });

    after(async function () {
      await hre.network.provider.send("evm_revert", [snapshot]);
    });

    it("finds the contract and the model in agreement on every figure", function () {
      expect(report.agreement.mismatches).to.deep.equal([]);
      expect(report.agreement.claims).to.equal(CLAIMS);
      // Every line of every accepted claim, plus one per overturned appeal.
      expect(report.agreement.lines).to.equal(report.lines.total + report.appeals.overturned);
      const summary = formatSummary(report);
      expect(summary.at(-1)).to.match(
        new RegExp(`^model agreement: ${CLAIMS} claims, ${report.agreement.lines} lines, all figures equal`),
      );
    });

    it("exercises denials, the payment queue, duplicates, appeals and payers taking back surplus", function () {
      expect(report.lines.denied.size).to.be.greaterThan(2);
      expect(report.payments.queued.count).to.be.greaterThan(0);
      expect(report.claims.rejectedDuplicateReference).to.be.greaterThan(0);
      expect(report.appeals.filed).to.be.greaterThan(0);
      expect(report.payments.payerWithdrawals).to.be.greaterThan(0);
      expect(report.payments.payerWithdrawn).to.be.greaterThan(0n);
    });

    it("rejects exactly the resubmitted claim numbers as duplicate references", function () {
      // The claim kinds do not depend on the anchor time: any `now` gives the run's sequence.
      const population = generatePopulation({ seed: SEED, claims: CLAIMS, now: 1_800_000_000n });
      const resubmissions = population.claims.filter((claim) => claim.kind === "resubmission").length;
      expect(report.claims.rejectedDuplicateReference).to.equal(resubmissions);
      expect(report.claims.submitted + report.claims.rejectedDuplicateReference).to.equal(CLAIMS);
      expect(report.claims.approved + report.claims.partiallyApproved + report.claims.denied).to.equal(
        report.claims.submitted,
      );
    });

    it("reports the claims and lines the chain's remittances show", function () {
      expect(remittances).to.have.length(report.claims.submitted);
      const count = (status: ClaimStatus) => remittances.filter((remittance) => remittance.status === status).length;
      expect(count(ClaimStatus.Approved)).to.equal(report.claims.approved);
      expect(count(ClaimStatus.PartiallyApproved)).to.equal(report.claims.partiallyApproved);
      expect(count(ClaimStatus.Denied)).to.equal(report.claims.denied);

      const lines = remittances.flatMap((remittance) => remittance.lines);
      expect(lines).to.have.length(report.lines.total);
      const approved = lines.filter((line) => !line.denied);
      expect(approved).to.have.length(report.lines.approved.lines);
      const denied = new Map<string, { lines: number; billed: bigint; carc: number }>();
      for (const line of lines.filter((l) => l.denied)) {
        const key = `${GROUP_CODES[line.group]}-${line.carc}`;
        const tally = denied.get(key) ?? { lines: 0, billed: 0n, carc: line.carc };
        tally.lines++;
        tally.billed += line.billed;
        denied.set(key, tally);
      }
      expect(denied).to.deep.equal(report.lines.denied);
      expect(approved.filter((line) => line.contractual > 0n)).to.have.length(report.lines.writtenOff);
    });

    it("adds up the money: billed, allowed, plan and patient shares, write-offs", function () {
      const lines = remittances.flatMap((remittance) => remittance.lines);
      const total = (pick: (line: (typeof lines)[number]) => bigint) => lines.reduce((sum, l) => sum + pick(l), 0n);
      const { money } = report;
      expect(money.billed).to.equal(total((line) => line.billed));
      expect(money.allowed).to.equal(total((line) => line.allowed));
      expect(money.paidByPlans).to.equal(total((line) => line.planPays));
      expect(money.paidByPlans).to.equal(remittances.reduce((sum, remittance) => sum + remittance.planPays, 0n));
      expect(money.patientResponsibility).to.equal(
        remittances.reduce((sum, remittance) => sum + remittance.patientOwes, 0n),
      );
      const deniedBilled = (patient: boolean) =>
        total((line) =>
          line.denied && (line.group === AdjustmentGroup.PatientResponsibility) === patient ? line.billed : 0n,
        );
      expect(money.deniedPatient).to.equal(deniedBilled(true));
      expect(money.deniedProvider).to.equal(deniedBilled(false));
      // The identities of a remittance: every billed unit is allowed, written off or denied; every allowed unit is
      // paid by the plan or owed by the patient.
      expect(money.billed).to.equal(money.allowed + money.contractual + money.deniedPatient + money.deniedProvider);
      expect(money.allowed).to.equal(money.paidByPlans + money.deductible + money.copay + money.coinsurance);
      expect(money.patientResponsibility).to.equal(
        money.deductible + money.copay + money.coinsurance + money.deniedPatient,
      );
    });

    it("adds up the payments: credited plus queued is what plans pay, and every funded unit is accounted for", function () {
      const { payments, money } = report;
      expect(payments.creditedAtAdjudication.amount + payments.queued.amount).to.equal(money.paidByPlans);
      expect(payments.paidFromQueue.amount + payments.stillQueued.amount).to.equal(payments.queued.amount);
      expect(payments.paidFromQueue.count + payments.stillQueued.count).to.equal(payments.queued.count);
      // Providers withdrew everything credited to them.
      expect(payments.withdrawn).to.equal(payments.creditedAtAdjudication.amount + payments.paidFromQueue.amount);
      // Every funded unit is with a provider (withdrawn: providers hold no balance at the end), taken back by its payer,
      // or still in a payer's balance.
      expect(payments.funded).to.equal(payments.withdrawn + payments.payerWithdrawn + payments.payerBalances);
    });

    it("counts appeals and gas consistently", function () {
      const { appeals, gas } = report;
      expect(appeals.upheld + appeals.overturned).to.equal(appeals.filed);
      expect(appeals.reApproved).to.be.at.most(appeals.overturned);
      expect(gas.claims).to.equal(report.claims.submitted);
      const byLines = [...gas.byLines.values()];
      expect(byLines.reduce((sum, entry) => sum + entry.claims, 0)).to.equal(gas.claims);
      expect(byLines.reduce((sum, entry) => sum + entry.total, 0n)).to.equal(gas.total);
      expect(gas.min).to.be.greaterThan(0n);
      expect(gas.min <= gas.max).to.be.true;
    });
  });
});

describe("claims population", function () {
  describe("generatePopulation", function () {
    const NOW = 1_800_000_000n;
    const json = (population: Population) =>
      JSON.stringify(population, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value));

    it("gives the same population for the same seed, and another for another seed", function () {
      const a = generatePopulation({ seed: 7, claims: 300, now: NOW });
      expect(json(generatePopulation({ seed: 7, claims: 300, now: NOW }))).to.equal(json(a));
      expect(json(generatePopulation({ seed: 8, claims: 300, now: NOW }))).to.not.equal(json(a));
      // Another namespace changes the keys and salts, not the plans, patients or claims.
      const b = generatePopulation({ seed: 7, claims: 300, now: NOW, namespace: "second run" });
      expect(b.payers[0]!.privateKey).to.not.equal(a.payers[0]!.privateKey);
      expect(b.plans).to.deep.equal(a.plans);
      expect(b.claims).to.deep.equal(a.claims);
    });

    it("keeps every seed's population within the documented bounds", function () {
      for (let seed = 1; seed <= 25; seed++) {
        const population = generatePopulation({ seed, claims: 400, now: NOW });
        const { payers, plans, organizations, practitioners, patients, claims } = population;
        expect(payers.length).to.be.within(2, 3);
        for (const payer of payers) expect(payer.plans.length).to.be.within(1, 2);
        expect(organizations.length).to.be.within(4, 8);
        for (const organization of organizations) expect(organization.practitioners.length).to.be.within(1, 3);
        expect(practitioners.every((p) => organizations[p.organization]!.practitioners.includes(p.index))).to.be.true;
        for (const plan of plans) {
          expect(plan.fees.length).to.be.within(8, 15);
          expect(plan.fees.filter((fee) => fee.requiresPriorAuth).length).to.be.within(1, 3);
          expect(new Set(plan.fees.map((fee) => fee.code)).size).to.equal(plan.fees.length);
          expect(plan.fees.every((fee) => fee.allowedPerUnit > 0n)).to.be.true;
          expect(plan.terms.oopMax >= plan.terms.deductible).to.be.true;
          expect(plan.network.length).to.be.at.least(2);
          expect(plan.network.length).to.be.below(organizations.length);
        }
        expect(patients).to.have.length(50);
        for (const patient of patients) {
          const current = patient.enrollments.find((e) => e.coverageStart <= NOW && NOW <= e.coverageEnd);
          expect(current, `${patient.label} is covered now`).to.not.be.undefined;
          const [first, second] = patient.enrollments;
          if (first !== undefined && second !== undefined) {
            // Enrolled in chronological order, as the contract takes them: the second starts after the first ends.
            expect(second.coverageStart > first.coverageEnd, `${patient.label}'s periods are out of order`).to.be.true;
          }
        }
        const memberNumbers = new Set(patients.map((patient) => `${patient.plan}/${patient.memberNumber}`));
        expect(memberNumbers.size, "member numbers are unique in a plan").to.equal(patients.length);
        expect(claims).to.have.length(400);
        const earliest = NOW - BigInt(SERVICE_WINDOW_DAYS + 1) * DAY;
        for (const claim of claims) {
          expect(claim.lines.length).to.be.within(1, Math.min(10, MAX_LINES));
          for (const line of claim.lines) {
            expect(line.serviceDate <= NOW && line.serviceDate > earliest).to.be.true;
            expect(line.units > 0n && line.billed > 0n).to.be.true;
          }
          if (claim.kind === "resubmission" || claim.kind === "duplicate") {
            const source = claims[claim.copyOf!]!;
            expect(source.index).to.be.below(claim.index);
            expect(source.organization).to.equal(claim.organization);
            expect(claim.claimNumber === source.claimNumber).to.equal(claim.kind === "resubmission");
          }
        }
        const numbers = claims.filter((c) => c.kind !== "resubmission").map((c) => c.claimNumber);
        expect(new Set(numbers).size, "claim numbers are unique but for resubmissions").to.equal(numbers.length);
        const final = population.withdrawals.filter((w) => w.before === claims.length);
        expect(final.map((w) => w.payer)).to.deep.equal(payers.map((payer) => payer.index));
        for (const withdrawal of population.withdrawals) {
          expect(withdrawal.shareBps).to.be.within(1, 10_000);
          expect(withdrawal.before).to.be.within(1, claims.length);
        }
      }
    });

    it("limits the units of some codes and bills a small share of lines over the limit (CARC 151)", function () {
      let limited = 0;
      let fees = 0;
      let lines = 0;
      let over = 0;
      for (let seed = 1; seed <= 10; seed++) {
        const { plans, patients, claims } = generatePopulation({ seed, claims: 1_000, now: NOW });
        for (const plan of plans) {
          for (const fee of plan.fees) {
            fees++;
            if ((fee.maxUnits ?? 0) === 0) continue;
            limited++;
            // The limit is what a typical line bills: ordinary lines stay within it.
            expect(fee.maxUnits).to.equal(procedure(fee.code).units[1]);
          }
        }
        for (const claim of claims) {
          const plan = plans[patients[claim.patient]!.plan]!;
          for (const line of claim.lines) {
            lines++;
            const limit = plan.fees.find((fee) => fee.code === line.code)?.maxUnits ?? 0;
            if (limit > 0 && line.units > BigInt(limit)) over++;
          }
        }
      }
      expect(limited / fees).to.be.within(0.2, 0.5);
      expect(over).to.be.greaterThan(0);
      expect(over / lines).to.be.below(0.03);
    });
  });
});
