import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";

import { AdjustmentGroup, decodeLineResult, packLine, procedureCode } from "../../sdk/claims";
import { runs } from "../helpers/runs";

// The claims module's packed words, built by the Solidity libraries (contracts/claims/ClaimLine.sol, LineResult.sol)
// and read by the SDK (sdk/claims/client.ts), or the other way round: the two sides of each layout are held to each
// other over random values, through a test-only contract that calls the libraries.

async function probeFixture() {
  return { probe: await ethers.deployContract("ClaimCodecProbe") };
}

const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const code = fc.stringMatching(/^[0-9A-Z]{5}$/);
const group = fc.constantFrom(
  AdjustmentGroup.None,
  AdjustmentGroup.ContractualObligation,
  AdjustmentGroup.PatientResponsibility,
  AdjustmentGroup.OtherAdjustment,
);

describe("claims line words", function () {
  // Invariant: the SDK packs a line into the same word as ClaimLineLib.pack, field for field.
  it("packs a line as the contract's ClaimLineLib.pack does", async function () {
    const { probe } = await loadFixture(probeFixture);
    await fc.assert(
      fc.asyncProperty(code, uint(32), uint(80), uint(48), async (text, units, billed, serviceDate) => {
        const word = await probe.packLine(procedureCode(text), units, billed, serviceDate);
        expect(word).to.equal(packLine({ code: text, units, billed, serviceDate }));
      }),
      runs(100),
    );
  });

  // Invariant: every field of a line's outcome that LineResultLib packs into LineAdjudicated's two words comes back
  // out of the SDK's decoder, and out of the library's own accessors, unchanged.
  it("decodes LineResultLib's decision and shares words as the contract wrote them", async function () {
    const { probe } = await loadFixture(probeFixture);
    const outcome = fc.record({
      carc: uint(16),
      group,
      allowed: uint(80),
      deductible: uint(80),
      copay: uint(80),
      coinsurance: uint(80),
      planPays: uint(80),
      patientOwes: uint(80),
      priorAuth: uint(64),
    });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 255 }), outcome, code, async (index, o, text) => {
        const [decision, shares] = await probe.lineResult(index, o);
        const content = packLine({ code: text, units: 1n, billed: o.allowed, serviceDate: 1n });
        const line = decodeLineResult(content, decision, shares);
        expect([
          line.index,
          line.group,
          BigInt(line.carc),
          line.priorAuth,
          line.allowed,
          line.coinsurance,
        ]).to.deep.equal([index, o.group, o.carc, o.priorAuth, o.allowed, o.coinsurance]);
        expect([line.deductible, line.copay, line.planPays]).to.deep.equal([o.deductible, o.copay, o.planPays]);
        const [lineIndex, lineGroup, carc, priorAuth, allowed, coinsurance] = await probe.decodeDecision(decision);
        expect([lineIndex, lineGroup, carc, priorAuth, allowed, coinsurance]).to.deep.equal([
          BigInt(index),
          BigInt(o.group),
          o.carc,
          o.priorAuth,
          o.allowed,
          o.coinsurance,
        ]);
        expect(await probe.decodeShares(shares)).to.deep.equal([o.deductible, o.copay, o.planPays]);
      }),
      runs(100),
    );
  });
});
