import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import {
  AbiCoder,
  concat,
  type ContractTransactionResponse,
  getBytes,
  hexlify,
  id,
  keccak256,
  randomBytes,
  solidityPackedKeccak256,
  toUtf8Bytes,
  ZeroHash,
} from "ethers";

import {
  AdjustmentGroup,
  AppealStatus,
  attachmentCommitment,
  CareLedgerError,
  ClaimBuilder,
  ClaimsClient,
  ClaimStatus,
  claimIdOf,
  claimReference,
  decodeLineResult,
  decodeRemittances,
  formatAmount,
  type FeeScheduleEntry,
  lineExposure,
  MAX_ATTACHMENTS,
  MAX_CLAIM_LINES,
  MAX_UNITS_PER_LINE,
  memberPseudonym,
  packLine,
  PaymentStatus,
  PlanBuilder,
  PlanStatus,
  type PlanTerms,
  PriorAuthStatus,
  procedureCode,
  procedureCodeText,
  uneditedFees,
  unpackLine,
} from "../../../sdk";
import type { ClaimsAdjudicator } from "../../../typechain-types";
import {
  type ClaimsFixture,
  claimsFixture,
  code,
  line,
  MEMBER_KEY,
  memberOf,
  STANDARD_TERMS,
  USD,
} from "../../fixtures/claims";
import { DAY } from "../../fixtures/identity";
import { solidityEnum, typescriptEnum } from "../../helpers/solidity-source";

// Tests of the claims part of the SDK (sdk/claims/client.ts): its enums against contracts/claims/Claims.sol, its codecs
// (procedure codes, packed lines, references, claim ids, line results) against the contract, its builders' checks
// and its amount formatting.

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const REFERENCE_KEY = "0x" + "5a".repeat(32);

/** The `LineAdjudicated` events of a transaction, in log order, as raw words. */
async function lineEvents(claims: ClaimsAdjudicator, tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("not mined");
  const events: { claimId: string; content: bigint; decision: bigint; shares: bigint }[] = [];
  for (const log of receipt.logs) {
    const parsed = claims.interface.parseLog(log);
    if (parsed?.name !== "LineAdjudicated") continue;
    events.push({
      claimId: parsed.args.getValue("claimId") as string,
      content: parsed.args.getValue("content") as bigint,
      decision: parsed.args.getValue("decision") as bigint,
      shares: parsed.args.getValue("shares") as bigint,
    });
  }
  return { receipt, events };
}

/** Whether `build` throws: what a builder says of a plan's terms. */
function builderAccepts(terms: PlanTerms): boolean {
  try {
    new PlanBuilder()
      .deductible(terms.deductible)
      .outOfPocketMax(terms.oopMax)
      .coinsurance(terms.coinsuranceBps)
      .timelyFilingDays(terms.timelyFilingDays)
      .appealWindowDays(terms.appealWindowDays)
      .build();
    return true;
  } catch {
    return false;
  }
}

async function contractAccepts(f: ClaimsFixture, terms: PlanTerms): Promise<boolean> {
  try {
    await f.claims.connect(f.payerKey).createPlan.staticCall(terms);
    return true;
  } catch {
    return false;
  }
}

/** The payer's client of the fixture's adjudicator. */
function payerClient(f: ClaimsFixture): ClaimsClient {
  return ClaimsClient.connect(f.payerKey, f.deployment);
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("SDK claims", function () {
  describe("enums", function () {
    it("mirror the enums of contracts/claims/Claims.sol, in order", function () {
      const mirrors: [string, Record<string, string | number>][] = [
        ["PlanStatus", PlanStatus],
        ["ClaimStatus", ClaimStatus],
        ["PaymentStatus", PaymentStatus],
        ["AdjustmentGroup", AdjustmentGroup],
        ["PriorAuthStatus", PriorAuthStatus],
        ["AppealStatus", AppealStatus],
      ];
      for (const [name, enumeration] of mirrors) {
        const solidity = solidityEnum("claims/Claims.sol", name);
        expect(solidity.length, name).to.be.greaterThan(1);
        expect(typescriptEnum(enumeration), name).to.deep.equal(solidity);
      }
    });
  });

  describe("procedureCode", function () {
    it("encodes a CPT or HCPCS code as its five ASCII bytes, and procedureCodeText decodes it", function () {
      expect(procedureCode("99213")).to.equal("0x3939323133");
      expect(procedureCode("J3490")).to.equal("0x4a33343930");
      expect(procedureCode("00000")).to.equal("0x3030303030");
      expect(procedureCode("ZZZZZ")).to.equal("0x5a5a5a5a5a");
      for (const text of ["99213", "J3490", "A0A0Z"]) expect(procedureCodeText(procedureCode(text))).to.equal(text);
    });

    it("refuses anything but five digits or capital letters", function () {
      for (const bad of ["", "9921", "992133", "j3490", "99-13", "9921 ", " 9921", "99.13", "9921\u0000", "ÄÄÄÄÄ"]) {
        expect(() => procedureCode(bad), JSON.stringify(bad)).to.throw(
          `a procedure code is five digits or capital letters (CPT or HCPCS), got ${JSON.stringify(bad)}`,
        );
      }
    });

    it("gives the code the contract's fee schedule lists it under", async function () {
      const f = await loadFixture(claimsFixture);
      const [listed, entry] = await f.claims.fee(f.planId, procedureCode("27447"));
      expect(listed).to.equal(true);
      expect(entry.allowedPerUnit).to.equal(25_000n * USD);
      expect(procedureCodeText(entry.code)).to.equal("27447");
    });
  });

  describe("packLine and unpackLine", function () {
    const sample = { code: "99213", units: 3n, billed: 250n * USD, serviceDate: 1_700_000_000n };

    it("pack in the layout of contracts/claims/ClaimLine.sol: code | units << 40 | billed << 72 | date << 152", function () {
      const expected = BigInt("0x3939323133") + (3n << 40n) + ((250n * USD) << 72n) + (1_700_000_000n << 152n);
      expect(packLine(sample)).to.equal(expected);
      expect(packLine(sample)).to.equal(line("99213", 3n, 250n * USD, 1_700_000_000n));
      expect(unpackLine(expected)).to.deep.equal(sample);
    });

    it("round-trip the widest values of every field", function () {
      const widest = { code: "ZZZZZ", units: 2n ** 32n - 1n, billed: 2n ** 80n - 1n, serviceDate: 2n ** 48n - 1n };
      const word = packLine(widest);
      expect(word >> 200n).to.equal(0n);
      expect(unpackLine(word)).to.deep.equal(widest);
      const smallest = { code: "00000", units: 0n, billed: 0n, serviceDate: 0n };
      expect(unpackLine(packLine(smallest))).to.deep.equal(smallest);
    });

    it("refuse a field that does not fit and a bad code", function () {
      expect(() => packLine({ ...sample, units: 2n ** 32n })).to.throw("a line's units must fit in 32 bits");
      expect(() => packLine({ ...sample, billed: 2n ** 80n })).to.throw("a line's billed amount must fit in 80 bits");
      expect(() => packLine({ ...sample, serviceDate: 2n ** 48n })).to.throw(
        "a line's service date must fit in 48 bits",
      );
      expect(() => packLine({ ...sample, units: -1n })).to.throw("a line's units must fit in 32 bits");
      expect(() => packLine({ ...sample, code: "9921a" })).to.throw("a procedure code is five digits");
    });
  });

  describe("claimReference", function () {
    it("is keccak256 of the 32-byte key followed by the claim number's UTF-8 bytes", function () {
      expect(claimReference(REFERENCE_KEY, "CLM-0001")).to.equal(
        solidityPackedKeccak256(["bytes32", "string"], [REFERENCE_KEY, "CLM-0001"]),
      );
      expect(claimReference(getBytes(REFERENCE_KEY), "CLM-0001")).to.equal(claimReference(REFERENCE_KEY, "CLM-0001"));
      expect(claimReference(REFERENCE_KEY, "CLM-0002")).not.to.equal(claimReference(REFERENCE_KEY, "CLM-0001"));
      const otherKey = hexlify(randomBytes(32));
      expect(claimReference(otherKey, "CLM-0001")).not.to.equal(claimReference(REFERENCE_KEY, "CLM-0001"));
    });

    it("refuses a key that is not 32 bytes and an empty claim number", function () {
      expect(() => claimReference("0x" + "5a".repeat(31), "CLM-1")).to.throw(
        "a claim reference key must be 32 bytes, got 31",
      );
      expect(() => claimReference("0x" + "5a".repeat(33), "CLM-1")).to.throw(
        "a claim reference key must be 32 bytes, got 33",
      );
      expect(() => claimReference(REFERENCE_KEY, "")).to.throw("a claim number must not be empty");
    });
  });

  describe("claimIdOf", function () {
    it("agrees with the contract's claimIdOf view", async function () {
      const f = await loadFixture(claimsFixture);
      const references = [claimReference(REFERENCE_KEY, "CLM-1"), "0x" + "00".repeat(32), "0x" + "ff".repeat(32)];
      for (const organization of [f.hospitalId, f.clinicId, 1n, 2n ** 64n - 1n]) {
        for (const reference of references) {
          expect(claimIdOf(organization, reference)).to.equal(await f.claims.claimIdOf(organization, reference));
        }
      }
    });

    it("is the id the contract gives a submitted claim, under the billing organization for a practitioner", async function () {
      const f = await loadFixture(claimsFixture);
      const serviceDate = BigInt(await time.latest()) - BigInt(DAY);
      const reference = claimReference(REFERENCE_KEY, "CLM-ORG");
      const lines = [packLine({ code: "80053", units: 1n, billed: 45n * USD, serviceDate })];
      await expect(f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, lines, []))
        .to.emit(f.claims, "ClaimAdjudicated")
        .withArgs(
          claimIdOf(f.hospitalId, reference),
          f.member,
          f.planId,
          f.hospitalId,
          f.hospitalId,
          ClaimStatus.Approved,
          PaymentStatus.None,
        );
      // 80053 × 1 at $45 billed $45 goes wholly to the unmet deductible: the plan pays nothing, the patient $45.
      const summary = await f.claims.claim(claimIdOf(f.hospitalId, reference));
      expect([summary.planPays, summary.patientOwes]).to.deep.equal([0n, 45n * USD]);
      const byPractitioner = claimReference(REFERENCE_KEY, "CLM-PRACTITIONER");
      const practitionerLines = [packLine({ code: "99213", units: 1n, billed: 100n * USD, serviceDate })];
      const { events } = await lineEvents(
        f.claims,
        f.claims.connect(f.cardiologistKey).submitClaim(f.member, f.planId, byPractitioner, practitionerLines, []),
      );
      expect(events.map((e) => e.claimId)).to.deep.equal([claimIdOf(f.hospitalId, byPractitioner)]);
      expect(claimIdOf(f.hospitalId, byPractitioner)).not.to.equal(claimIdOf(f.cardiologistId, byPractitioner));
    });
  });

  describe("decodeLineResult", function () {
    it("decodes a real claim's LineAdjudicated events: approved, denied PR, denied CO and a duplicate (OA)", async function () {
      const f = await loadFixture(claimsFixture);
      const serviceDate = BigInt(await time.latest()) - 2n * BigInt(DAY);
      const submitted = [
        { code: "97110", units: 15n, billed: 700n * USD, serviceDate },
        { code: "99213", units: 1n, billed: 150n * USD, serviceDate },
        { code: "12345", units: 1n, billed: 80n * USD, serviceDate },
        { code: "70553", units: 1n, billed: 2_000n * USD, serviceDate },
        { code: "99213", units: 1n, billed: 150n * USD, serviceDate },
      ];
      const reference = claimReference(REFERENCE_KEY, "CLM-EOB");
      const { receipt, events } = await lineEvents(
        f.claims,
        f.claims.connect(f.hospitalKey).submitClaim(f.member, f.planId, reference, submitted.map(packLine), []),
      );
      expect(events).to.have.length(5);
      // The contract echoes each line as packed: the SDK reads back what it packed.
      expect(events.map((e) => e.content)).to.deep.equal(submitted.map(packLine));
      expect(events.map((e) => unpackLine(e.content))).to.deep.equal(submitted);

      const decoded = events.map((e) => decodeLineResult(e.content, e.decision, e.shares));
      const approvedLine = (figures: {
        allowed: bigint;
        deductible: bigint;
        copay: bigint;
        coinsurance: bigint;
        planPays: bigint;
      }) => ({ denied: false, carc: 0, group: AdjustmentGroup.None, priorAuth: 0n, ...figures });
      // Rules (claims-adjudication.md), standard plan: deductible $500 unmet, 20 % coinsurance.
      // Line 0, 97110 × 15 at $40 ($20 copay) billed $700: allowed min(700, 600) = 600; deductible min(600, 500) = 500;
      // copay min(20, 100) = 20; coinsurance floor(80 × 20 %) = 16; owed 536; plan pays 64; write-off 100.
      expect(decoded[0]).to.deep.equal({
        ...submitted[0],
        index: 0,
        ...approvedLine({
          allowed: 600n * USD,
          deductible: 500n * USD,
          copay: 20n * USD,
          coinsurance: 16n * USD,
          planPays: 64n * USD,
        }),
        contractual: 100n * USD,
        patientOwes: 536n * USD,
        adjustments: [
          { group: "CO", carc: 45, amount: 100n * USD },
          { group: "PR", carc: 1, amount: 500n * USD },
          { group: "PR", carc: 2, amount: 16n * USD },
          { group: "PR", carc: 3, amount: 20n * USD },
        ],
      });
      // Line 1, 99213 × 1 at $120 ($30 copay) billed $150: deductible met; copay 30; coinsurance floor(90 × 20 %) = 18;
      // owed 48; plan pays 72; write-off 30.
      expect(decoded[1]).to.deep.equal({
        ...submitted[1],
        index: 1,
        ...approvedLine({
          allowed: 120n * USD,
          deductible: 0n,
          copay: 30n * USD,
          coinsurance: 18n * USD,
          planPays: 72n * USD,
        }),
        contractual: 30n * USD,
        patientOwes: 48n * USD,
        adjustments: [
          { group: "CO", carc: 45, amount: 30n * USD },
          { group: "PR", carc: 2, amount: 18n * USD },
          { group: "PR", carc: 3, amount: 30n * USD },
        ],
      });
      const deniedLine = (index: number, carc: number, group: AdjustmentGroup, patientOwes: bigint) => {
        const billed = submitted[index]!.billed;
        return {
          ...submitted[index],
          index,
          denied: true,
          carc,
          group,
          allowed: 0n,
          contractual: 0n,
          deductible: 0n,
          copay: 0n,
          coinsurance: 0n,
          planPays: 0n,
          patientOwes,
          priorAuth: 0n,
          adjustments: [{ group: ["", "CO", "PR", "OA"][group], carc, amount: billed }],
        };
      };
      // Line 2: 12345 is not in the schedule: CARC 96, PR, the patient owes the billed $80.
      expect(decoded[2]).to.deep.equal(deniedLine(2, 96, AdjustmentGroup.PatientResponsibility, 80n * USD));
      // Line 3: 70553 needs an authorization there is none of: CARC 197, CO, the patient owes nothing.
      expect(decoded[3]).to.deep.equal(deniedLine(3, 197, AdjustmentGroup.ContractualObligation, 0n));
      // Line 4 repeats line 1 (same patient, organization, code and day): CARC 18, OA.
      expect(decoded[4]).to.deep.equal(deniedLine(4, 18, AdjustmentGroup.OtherAdjustment, 0n));

      // The remittance decoder adds the lines up to the claim's event totals.
      const [remittance] = decodeRemittances(f.claims, receipt.logs);
      expect(remittance?.claimId).to.equal(claimIdOf(f.hospitalId, reference));
      expect(remittance?.status).to.equal(ClaimStatus.PartiallyApproved);
      expect(remittance?.planPays).to.equal((64n + 72n) * USD);
      expect(remittance?.patientOwes).to.equal((536n + 48n + 80n) * USD);
      expect(remittance?.billed).to.equal((700n + 150n + 80n + 2_000n + 150n) * USD);
      const summary = await f.claims.claim(claimIdOf(f.hospitalId, reference));
      expect([summary.planPays, summary.patientOwes]).to.deep.equal([(64n + 72n) * USD, (536n + 48n + 80n) * USD]);
      expect(remittance?.lines.map((l) => ({ ...l, reAdjudicated: undefined }))).to.deep.equal(
        decoded.map((l) => ({ ...l, reAdjudicated: undefined })),
      );
    });

    it("decodes the prior authorization a line used", async function () {
      const f = await loadFixture(claimsFixture);
      const now = BigInt(await time.latest());
      const serviceDate = now - BigInt(DAY);
      const mri = code("70553");
      const authId = await f.priorAuths
        .connect(f.hospitalKey)
        .requestPriorAuth.staticCall(f.member, f.planId, mri, 2n, now - 10n * BigInt(DAY), now);
      await (
        await f.priorAuths
          .connect(f.hospitalKey)
          .requestPriorAuth(f.member, f.planId, mri, 2n, now - 10n * BigInt(DAY), now)
      ).wait();
      await (await f.priorAuths.connect(f.payerKey).approvePriorAuth(authId, 2n, now - 10n * BigInt(DAY), now)).wait();
      const submitted = { code: "70553", units: 1n, billed: 2_000n * USD, serviceDate };
      const { events } = await lineEvents(
        f.claims,
        f.claims
          .connect(f.hospitalKey)
          .submitClaim(f.member, f.planId, claimReference(REFERENCE_KEY, "CLM-MRI"), [packLine(submitted)], []),
      );
      const [event] = events;
      if (event === undefined) throw new Error("no LineAdjudicated event");
      // 70553 × 1 at $1,800 billed $2,000: allowed 1,800; deductible 500; no copay; coinsurance floor(1,300 × 20 %) =
      // 260; owed 760; plan pays 1,040; write-off 200; authorization `authId` used.
      expect(decodeLineResult(event.content, event.decision, event.shares)).to.deep.equal({
        ...submitted,
        index: 0,
        denied: false,
        carc: 0,
        group: AdjustmentGroup.None,
        allowed: 1_800n * USD,
        contractual: 200n * USD,
        deductible: 500n * USD,
        copay: 0n,
        coinsurance: 260n * USD,
        planPays: 1_040n * USD,
        patientOwes: 760n * USD,
        priorAuth: authId,
        adjustments: [
          { group: "CO", carc: 45, amount: 200n * USD },
          { group: "PR", carc: 1, amount: 500n * USD },
          { group: "PR", carc: 2, amount: 260n * USD },
        ],
      });
      expect((await f.priorAuths.priorAuth(authId)).unitsLeft).to.equal(1n);
      expect((await payerClient(f).priorAuth(authId)).unitsLeft).to.equal(1n);
    });

    it("decodes words built by hand in the layout of contracts/claims/LineResult.sol", function () {
      const content = packLine({ code: "99213", units: 1n, billed: 1_000n, serviceDate: 5n });
      const decision = (11n << 176n) | (700n << 96n) | (9n << 32n) | (0n << 16n) | (0n << 8n) | 7n;
      const shares = (600n << 160n) | (30n << 80n) | 59n;
      const decoded = decodeLineResult(content, decision, shares);
      expect(decoded).to.include({
        index: 7,
        denied: false,
        allowed: 700n,
        coinsurance: 11n,
        deductible: 59n,
        copay: 30n,
        planPays: 600n,
        priorAuth: 9n,
        contractual: 300n,
        patientOwes: 100n,
      });
      expect(() => decodeLineResult(content, 4n << 8n, 0n)).to.throw("4 is not a AdjustmentGroup");
    });
  });

  describe("PlanBuilder", function () {
    it("builds a spec with the last figures of each code and each organization once", function () {
      const spec = new PlanBuilder()
        .deductible(500n * USD)
        .outOfPocketMax(3_000n * USD)
        .coinsurance(2_000)
        .timelyFilingDays(90)
        .appealWindowDays(180)
        .fee("99213", 100n * USD)
        .fee("70553", 1_800n * USD, { requiresPriorAuth: true })
        .fee("99213", 120n * USD, { copay: 30n * USD })
        .fee("97110", 40n * USD, { copay: 20n * USD, maxUnits: 4 })
        .inNetwork(7n, 8, 7n)
        .build();
      expect(spec).to.deep.equal({
        terms: STANDARD_TERMS,
        fees: [
          { code: "99213", allowedPerUnit: 120n * USD, copay: 30n * USD, requiresPriorAuth: false, maxUnits: 0 },
          { code: "70553", allowedPerUnit: 1_800n * USD, copay: 0n, requiresPriorAuth: true, maxUnits: 0 },
          { code: "97110", allowedPerUnit: 40n * USD, copay: 20n * USD, requiresPriorAuth: false, maxUnits: 4 },
        ],
        network: [7n, 8n],
      });
    });

    it("refuses missing terms, bad terms and bad fee entries with its messages", function () {
      const complete = () =>
        new PlanBuilder()
          .deductible(500n)
          .outOfPocketMax(3_000n)
          .coinsurance(2_000)
          .timelyFilingDays(90)
          .appealWindowDays(180);
      expect(() =>
        new PlanBuilder().deductible(1n).outOfPocketMax(2n).coinsurance(1).timelyFilingDays(1).build(),
      ).to.throw("a plan needs a deductible, an out-of-pocket maximum, coinsurance and both windows");
      expect(() => complete().coinsurance(10_001).build()).to.throw(
        "coinsurance must be whole basis points in [0, 10000], got 10001",
      );
      expect(() => complete().coinsurance(-1).build()).to.throw(
        "coinsurance must be whole basis points in [0, 10000], got -1",
      );
      expect(() => complete().coinsurance(12.5).build()).to.throw(
        "coinsurance must be whole basis points in [0, 10000], got 12.5",
      );
      expect(() =>
        complete()
          .deductible(1n << 80n)
          .outOfPocketMax(1n << 81n)
          .build(),
      ).to.throw("the deductible must fit in 80 bits");
      expect(() => complete().outOfPocketMax(499n).build()).to.throw(
        "the out-of-pocket maximum must be at least the deductible",
      );
      expect(() => complete().timelyFilingDays(0).build()).to.throw(
        "the timely-filing window must be whole days in [1, 65535], got 0",
      );
      expect(() => complete().appealWindowDays(65_536).build()).to.throw(
        "the appeal window must be whole days in [1, 65535], got 65536",
      );
      expect(() => complete().fee("9921a", 1n)).to.throw("a procedure code is five digits or capital letters");
      expect(() => complete().fee("99213", 0n)).to.throw("the allowed amount of 99213 must be above zero");
      expect(() => complete().fee("99213", 1n, { copay: 1n << 80n })).to.throw(
        "the copay of 99213 must fit in 80 bits",
      );
      for (const maxUnits of [-1, 1.5, 2 ** 32]) {
        expect(() => complete().fee("97110", 1n, { maxUnits })).to.throw(
          `the maximum units of 97110 must be a whole number in [0, 2^32), got ${maxUnits}`,
        );
      }
      expect(
        complete()
          .fee("97110", 1n, { maxUnits: 2 ** 32 - 1 })
          .build().fees[0]?.maxUnits,
      ).to.equal(2 ** 32 - 1);
    });

    it("refuses claim lines and attachments the contract would refuse", function () {
      const builder = new ClaimBuilder(id("member"), 1n).reference(id("key"), "c1");
      expect(() => builder.line("99213", 0n, 1n, 1n)).to.throw("a line bills at least one unit (99213)");
      expect(() => builder.line("99213", MAX_UNITS_PER_LINE + 1n, 1n, 1n)).to.throw(
        "a line bills at most 99999 units (99213)",
      );
      expect(() => builder.line("99213", 1n, 0n, 1n)).to.throw("a line bills more than zero (99213)");
      builder.line("99213", MAX_UNITS_PER_LINE, 1n, 0n);
      for (let i = 1; i < MAX_CLAIM_LINES; i++) builder.line("99213", 1n, 1n, BigInt(i));
      expect(() => builder.line("99213", 1n, 1n, 99n)).to.throw("a claim has at most 16 lines");
      for (let i = 0; i < MAX_ATTACHMENTS; i++) builder.attachment(id(`record ${i}`));
      expect(() => builder.attachment(id("one too many"))).to.throw("a claim carries at most 8 attachments");
      expect(builder.build().lines).to.have.length(16);
      expect(builder.build().attachments).to.have.length(8);
    });

    it("refuses exactly the terms the contract refuses, at every boundary", async function () {
      const f = await loadFixture(claimsFixture);
      const cases: PlanTerms[] = [
        { ...STANDARD_TERMS },
        { ...STANDARD_TERMS, coinsuranceBps: 10_000 },
        { ...STANDARD_TERMS, coinsuranceBps: 10_001 },
        { ...STANDARD_TERMS, coinsuranceBps: 0 },
        { ...STANDARD_TERMS, oopMax: STANDARD_TERMS.deductible },
        { ...STANDARD_TERMS, oopMax: STANDARD_TERMS.deductible - 1n },
        { ...STANDARD_TERMS, deductible: 0n, oopMax: 0n },
        { ...STANDARD_TERMS, timelyFilingDays: 1, appealWindowDays: 1 },
        { ...STANDARD_TERMS, timelyFilingDays: 0 },
        { ...STANDARD_TERMS, appealWindowDays: 0 },
      ];
      for (const terms of cases) {
        expect(
          builderAccepts(terms),
          JSON.stringify(terms, (_, v: unknown) => (typeof v === "bigint" ? `${v}` : v)),
        ).to.equal(await contractAccepts(f, terms));
      }
    });

    it("gives a spec the client creates in batches and activates, read back through the client", async function () {
      const f = await loadFixture(claimsFixture);
      const spec = new PlanBuilder()
        .deductible(1_000n * USD)
        .outOfPocketMax(6_000n * USD)
        .coinsurance(3_000)
        .timelyFilingDays(180)
        .appealWindowDays(90)
        .fee("99213", 110n * USD, { copay: 25n * USD })
        .fee("80053", 40n * USD)
        .fee("J3490", 15n * USD, { requiresPriorAuth: true })
        .inNetwork(f.hospitalId, f.clinicId)
        .build();
      const batches: [number, number][] = [];
      const client = payerClient(f);
      const { planId, receipts } = await client.createPlan(spec, {
        batchSize: 2,
        onBatch: (done, total) => batches.push([done, total]),
      });
      expect(planId).to.equal(2n);
      // create, two fee batches, one network batch, activate.
      expect(receipts).to.have.length(5);
      expect(batches).to.deep.equal([
        [2, 3],
        [3, 3],
      ]);
      expect(await client.plan(planId)).to.deep.equal({
        planId,
        payer: f.payerId,
        status: PlanStatus.Active,
        terms: spec.terms,
      });
      for (const fee of spec.fees) expect(await client.fee(planId, fee.code)).to.deep.equal(fee);
      expect(await client.fee(planId, "27447")).to.equal(undefined);
      expect(await f.claims.inNetwork(planId, f.hospitalId)).to.equal(true);
      expect(await f.claims.inNetwork(planId, f.clinicId)).to.equal(true);
      const draft = await client.createPlan({ ...spec, fees: [], network: [] }, { activate: false });
      expect((await client.plan(draft.planId)).status).to.equal(PlanStatus.Draft);
    });

    it("surfaces the contract's refusal of a spec as a CareLedgerError with the custom error's arguments", async function () {
      const f = await loadFixture(claimsFixture);
      const fees: FeeScheduleEntry[] = [{ code: "99213", allowedPerUnit: 0n, copay: 0n, requiresPriorAuth: false }];
      const error = await payerClient(f)
        .setFees(f.planId, fees)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(CareLedgerError);
      expect((error as CareLedgerError).errorName).to.equal("ClaimsZeroAllowedAmount");
      expect([...(error as CareLedgerError).args]).to.deep.equal([procedureCode("99213")]);
    });
  });

  describe("lineExposure and uneditedFees", function () {
    const fee = (code: string, allowedPerUnit: bigint, maxUnits?: number): FeeScheduleEntry => ({
      code,
      allowedPerUnit,
      copay: 0n,
      requiresPriorAuth: false,
      ...(maxUnits === undefined ? {} : { maxUnits }),
    });

    it("is the allowed amount of the edit's units, or of MAX_UNITS_PER_LINE without an edit", function () {
      expect(lineExposure(fee("97110", 40n * USD, 4))).to.equal(160n * USD);
      expect(lineExposure(fee("97110", 40n * USD))).to.equal(40n * USD * 99_999n);
      expect(lineExposure(fee("97110", 40n * USD, 0))).to.equal(40n * USD * MAX_UNITS_PER_LINE);
    });

    it("lists the codes without an edit, largest exposure first, and nothing once every code has one", function () {
      const fees = [fee("99213", 120n * USD), fee("97110", 40n * USD, 4), fee("70553", 1_800n * USD, 0)];
      expect(uneditedFees(fees).map((entry) => entry.code)).to.deep.equal(["70553", "99213"]);
      expect(uneditedFees([fee("97110", 40n * USD, 4)])).to.deep.equal([]);
    });
  });

  describe("ClaimsClient.createPlan", function () {
    it("checks the whole spec before the first transaction, so a bad spec leaves no draft plan", async function () {
      const f = await loadFixture(claimsFixture);
      const client = payerClient(f);
      const before = await f.claims.planCount();
      const spec = {
        terms: { ...STANDARD_TERMS },
        fees: [{ code: "abcde", allowedPerUnit: USD, copay: 0n, requiresPriorAuth: false }],
        network: [],
      };
      const refusal = async (promise: Promise<unknown>) =>
        promise.then(
          () => "no error",
          (error: unknown) => (error as Error).message,
        );
      expect(await refusal(client.createPlan(spec))).to.include("a procedure code is five digits or capital letters");
      const good = { ...spec, fees: [{ ...spec.fees[0]!, code: "99213" }] };
      expect(await refusal(client.createPlan(good, { batchSize: 0 }))).to.equal(
        "batchSize must be a whole number in [1, 256], got 0",
      );
      expect(await f.claims.planCount()).to.equal(before);
      const { planId } = await client.createPlan(good, { batchSize: 1 });
      expect(planId).to.equal(before + 1n);
      expect((await client.plan(planId)).status).to.equal(PlanStatus.Active);
    });
  });

  describe("ClaimBuilder", function () {
    it("builds a submission with the member, the salted reference, the lines and the attachments in order", function () {
      const attachment = hexlify(randomBytes(32));
      const member = memberPseudonym(MEMBER_KEY, 1n, "M-77");
      const submission = new ClaimBuilder(getBytes(member), 1n)
        .reference(REFERENCE_KEY, "CLM-77")
        .line("99213", 1n, 150n * USD, 1_000n)
        .line("80053", 2n, 90n * USD, 1_001n)
        .attachment(attachment)
        .attachment(attachment.toUpperCase().replace("0X", "0x"))
        .build();
      expect(submission).to.deep.equal({
        member,
        plan: 1n,
        reference: claimReference(REFERENCE_KEY, "CLM-77"),
        lines: [
          { code: "99213", units: 1n, billed: 150n * USD, serviceDate: 1_000n },
          { code: "80053", units: 2n, billed: 90n * USD, serviceDate: 1_001n },
        ],
        attachments: [attachment, attachment],
      });
    });

    it("refuses a zero or short member pseudonym", function () {
      const built = (member: string) => () =>
        new ClaimBuilder(member, 1n).reference(REFERENCE_KEY, "CLM-1").line("99213", 1n, 1n, 1n).build();
      expect(built(ZeroHash)).to.throw("a claim needs a non-zero 32-byte member pseudonym");
      expect(built("0x1234")).to.throw("a claim needs a non-zero 32-byte member pseudonym");
      expect(built(id("member"))).not.to.throw();
    });

    it("refuses a claim without a reference or lines, and a line that does not pack", function () {
      expect(() => new ClaimBuilder(id("member"), 1n).line("99213", 1n, 1n, 1n).build()).to.throw(
        "a claim needs a reference",
      );
      expect(() => new ClaimBuilder(id("member"), 1n).reference(REFERENCE_KEY, "CLM-1").build()).to.throw(
        "a claim needs at least one line",
      );
      expect(() => new ClaimBuilder(id("member"), 1n).reference("0x1234", "CLM-1")).to.throw(
        "a claim reference key must be 32 bytes, got 2",
      );
      expect(() => new ClaimBuilder(id("member"), 1n).line("99.13", 1n, 1n, 1n)).to.throw(
        "a procedure code is five digits",
      );
      expect(() => new ClaimBuilder(id("member"), 1n).line("99213", 2n ** 32n, 1n, 1n)).to.throw(
        "a line's units must fit in 32 bits",
      );
      expect(() => new ClaimBuilder(id("member"), 1n).line("99213", 1n, 2n ** 80n, 1n)).to.throw(
        "a line's billed amount must fit in 80 bits",
      );
    });
  });

  describe("memberPseudonym", function () {
    it("is keccak256(memberKey ‖ uint64 plan id ‖ member number), one per plan, number and key", function () {
      const expected = keccak256(
        concat([MEMBER_KEY, AbiCoder.defaultAbiCoder().encode(["uint64"], [7n]), toUtf8Bytes("M-1001")]),
      );
      expect(memberPseudonym(MEMBER_KEY, 7n, "M-1001")).to.equal(expected);
      expect(memberPseudonym(getBytes(MEMBER_KEY), 7, "M-1001")).to.equal(expected);
      const others = [
        memberPseudonym(MEMBER_KEY, 8n, "M-1001"),
        memberPseudonym(MEMBER_KEY, 7n, "M-1002"),
        memberPseudonym(id("another payer's key"), 7n, "M-1001"),
      ];
      expect(new Set([expected, ...others]).size, "plan-scoped, number-specific and keyed").to.equal(4);
      expect(memberOf(1n, 42n)).to.equal(memberPseudonym(MEMBER_KEY, 1n, "M42"));
    });

    it("refuses a key that is not 32 bytes and an empty member number", function () {
      expect(() => memberPseudonym("0x" + "11".repeat(31), 1n, "M-1")).to.throw(
        "a member key must be 32 bytes, got 31",
      );
      expect(() => memberPseudonym(MEMBER_KEY, 1n, "")).to.throw("a member number must not be empty");
    });
  });

  describe("attachmentCommitment", function () {
    it("is keccak256(salt ‖ uint64 patient ‖ record commitment), and hides which record without the salt", function () {
      const salt = id("attachment salt");
      const record = id("record commitment");
      const expected = keccak256(
        concat([salt, AbiCoder.defaultAbiCoder().encode(["uint64", "bytes32"], [42n, record])]),
      );
      expect(attachmentCommitment(salt, 42n, record)).to.equal(expected);
      expect(attachmentCommitment(id("other salt"), 42n, record)).not.to.equal(expected);
      expect(attachmentCommitment(salt, 43n, record)).not.to.equal(expected);
      expect(attachmentCommitment(salt, 42n, id("other record"))).not.to.equal(expected);
      expect(expected).not.to.equal(record);
    });

    it("refuses a salt that is not 32 bytes", function () {
      expect(() => attachmentCommitment("0x1234", 1n, ZeroHash)).to.throw("an attachment salt must be 32 bytes, got 2");
    });
  });

  describe("ClaimsClient", function () {
    it("submits a claim with attachments and rebuilds its content (member and attachments) for an appeal", async function () {
      const f = await loadFixture(claimsFixture);
      const hospital = ClaimsClient.connect(f.hospitalKey, f.deployment);
      const serviceDate = BigInt(await time.latest()) - BigInt(DAY);
      const attachments = [0, 1, 2].map((i) => attachmentCommitment(id(`salt ${i}`), f.patientId, id(`record ${i}`)));
      const builder = new ClaimBuilder(f.member, f.planId)
        .reference(REFERENCE_KEY, "CLM-ATT")
        .line("99213", 1n, 150n * USD, serviceDate)
        .line("12345", 1n, 80n * USD, serviceDate);
      for (const attachment of attachments) builder.attachment(attachment);
      const { receipt, claimId, remittance } = await hospital.submitClaim(builder.build());
      await expect(receipt).to.emit(f.claims, "ClaimAttachments").withArgs(claimId, attachments);
      expect(remittance.member).to.equal(f.member);
      const content = await hospital.claimContent(claimId);
      expect(content).to.deep.equal({
        member: f.member,
        plan: f.planId,
        organization: f.hospitalId,
        submitter: f.hospitalId,
        lines: builder.build().lines.map(packLine),
        attachments,
      });
      expect(await f.claims.contentHashOf(claimId, content)).to.equal((await hospital.claim(claimId)).contentHash);
      await hospital.fileAppeal(claimId, 1);
      expect((await hospital.appeal(claimId, 1)).status).to.equal(AppealStatus.Filed);
      const [eob] = await hospital.explanationOfBenefits(f.member);
      expect(eob?.claimId).to.equal(claimId);
      expect(await hospital.explanationOfBenefits(memberOf(f.planId, f.patientId + 1n))).to.deep.equal([]);
    });

    it("withdraws a payer's surplus and reads its account and an organization's successor", async function () {
      const f = await loadFixture(claimsFixture);
      const payer = payerClient(f);
      await payer.fund(100n * USD);
      const { receipt } = await payer.withdrawFunds(40n * USD, f.payerKey.address);
      await expect(receipt)
        .to.emit(f.claims, "PayerWithdrew")
        .withArgs(f.payerId, f.payerKey.address, 40n * USD);
      expect(await payer.payerAccount(f.payerId)).to.deep.equal({
        balance: 60n * USD,
        funded: 100n * USD,
        withdrawn: 40n * USD,
        head: 0n,
        tail: 0n,
      });
      expect(await payer.successorOf(f.hospitalId)).to.equal(undefined);
      const error = await payer.withdrawFunds(61n * USD, f.payerKey.address).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(CareLedgerError);
      expect((error as CareLedgerError).errorName).to.equal("ClaimsInsufficientBalance");
      expect([...(error as CareLedgerError).args]).to.deep.equal([f.payerId, 60n * USD, 61n * USD]);
    });
  });

  describe("formatAmount", function () {
    it("writes base units as whole units with two decimals by default", function () {
      expect(formatAmount(0n, 6)).to.equal("0.00");
      expect(formatAmount(64n * USD, 6)).to.equal("64.00");
      expect(formatAmount(536_500_000n, 6)).to.equal("536.50");
      expect(formatAmount(1n, 6)).to.equal("0.00");
      expect(formatAmount(10_000n, 6)).to.equal("0.01");
      expect(formatAmount(-2_500_000n, 6)).to.equal("-2.50");
    });

    it("drops digits below the last one shown rather than rounding", function () {
      expect(formatAmount(999_999n, 6)).to.equal("0.99");
      expect(formatAmount(1_239_999n, 6, 4)).to.equal("1.2399");
    });

    it("groups thousands as en-US does", function () {
      expect(formatAmount(1_234_500_000n, 6)).to.equal("1,234.50");
      expect(formatAmount(1_000_000n * USD, 6)).to.equal("1,000,000.00");
    });

    it("takes any number of decimals and of fraction digits", function () {
      expect(formatAmount(42n, 0)).to.equal("42.00");
      expect(formatAmount(15n, 1)).to.equal("1.50");
      expect(formatAmount(3n * 10n ** 17n + 10n ** 18n, 18)).to.equal("1.30");
      expect(formatAmount(1_234_567_890n, 6, 0)).to.equal("1,234");
      expect(formatAmount(1_234_567_890n, 6, 6)).to.equal("1,234.567890");
      expect(formatAmount(1_234_567_890n, 6, 8)).to.equal("1,234.56789000");
    });
  });
});
