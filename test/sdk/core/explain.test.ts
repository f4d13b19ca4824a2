import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type ErrorFragment, Interface, type ParamType } from "ethers";

import { DecisionBasis, DataCategory } from "../../../sdk/consent/scopes";
import { CareLedgerError, decodeRevertData, ERROR_ABIS } from "../../../sdk/core/errors";
import {
  argumentRenderings,
  explain,
  explainingSigner,
  explainRefusal,
  functionName,
  refusalContext,
  staleEntries,
  tokenAmount,
  unnamedArguments,
} from "../../../sdk/core/explain";
import { Roles } from "../../../sdk/core/roles";
import { humanDuration, isoTime } from "../../../sdk/core/time";
import { ParticipantKind } from "../../../sdk/identity/participants";
import { systemFixture } from "../../fixtures/system";

/** Every custom error of the ABIs the decoder knows, once each. */
const ERRORS: ErrorFragment[] = (() => {
  const byName = new Map<string, ErrorFragment>();
  for (const abi of ERROR_ABIS) {
    new Interface(abi).forEachError((fragment) => byName.set(fragment.name, fragment));
  }
  return [...byName.values()];
})();

const ALL = new Interface(ERRORS);
const ACCOUNT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const JAN_2020 = 1_577_836_800n;

/** The error encoded and decoded as a node's revert data would be. */
function refusal(name: string, args: readonly unknown[]): CareLedgerError {
  const decoded = decodeRevertData(ALL.encodeErrorResult(name, args));
  if (decoded === undefined) throw new Error(`${name} did not decode`);
  return decoded;
}

/** A plausible value of each ABI type: times as 2020-01-01, enums and ids small. */
function sample(input: ParamType): unknown {
  if (input.type === "address") return ACCOUNT;
  if (input.type === "bytes32") return `0x${"ab".repeat(32)}`;
  if (input.type === "bytes4") return "0x12345678";
  if (input.type === "bytes5") return "0x3939323133"; // "99213"
  if (input.type === "bytes20") return `0x${Buffer.from("LOT42").toString("hex").padEnd(40, "0")}`;
  if (input.name === "expiry" && input.type === "uint32") return 281231n;
  if (input.type === "string") return "text";
  return /At|Time|expiry|deadline|latest|From|To|By|Start|End|Date/.test(input.name) ? JAN_2020 : 2n;
}

describe("sdk/core/explain", () => {
  describe("the table", () => {
    it("names every argument of every error of every ABI", () => {
      expect(unnamedArguments()).to.deep.equal([]);
      expect(argumentRenderings().size).to.equal(ERRORS.length);
    });

    it("has no exception or explanation for an error or argument the ABIs do not have", () => {
      expect(staleEntries()).to.deep.equal([]);
    });

    it("reads every Solidity enum argument with the SDK enum of the same name, and uint8 scopes by argument name", () => {
      const kinds = new Map<string, string>();
      for (const [errorName, inputs] of argumentRenderings()) {
        for (const input of inputs) kinds.set(`${errorName}.${input.name}`, String(input.kind));
      }
      expect(kinds.get("RecordAnchorNotPermitted.basis")).to.equal("enum DecisionBasis");
      expect(kinds.get("RecordAnchorNotPermitted.category")).to.equal("enum DataCategory");
      expect(kinds.get("IdentityWrongKind.expected")).to.equal("enum ParticipantKind");
      expect(kinds.get("ConsentInvalidPurposes.purposes")).to.equal("purposes");
      expect(kinds.get("IdentityCredentialExpiryInPast.currentTime")).to.equal("time");
      expect(kinds.get("ClaimsInsufficientBalance.balance")).to.equal("amount");
      expect(kinds.get("InsufficientBalance.balance")).to.equal("wei");
    });
  });

  describe("explain", () => {
    for (const fragment of ERRORS) {
      it(`renders ${fragment.name} as one line, its name first, with nothing undefined`, () => {
        const line = explain(refusal(fragment.name, fragment.inputs.map(sample)));
        expect(line.startsWith(fragment.name)).to.equal(true, line);
        expect(line).not.to.match(/undefined|NaN|\[object|\n/);
        if (fragment.inputs.length > 0) expect(line).to.contain(" — ");
      });
    }

    it("names participants, the category and the decision basis", () => {
      const error = refusal("RecordAnchorNotPermitted", [1n, 3n, DataCategory.Conditions, DecisionBasis.NoGrant]);
      expect(explain(error)).to.equal(
        "RecordAnchorNotPermitted — author 3 may not add Conditions to patient 1's chart: her consent decision is " +
          "NoGrant; the patient grants it that category for treatment (careledger:consent:grant)",
      );
      // the raw form stays for programs
      expect(error.message).to.equal("RecordAnchorNotPermitted(1, 3, 3, 8)");
      expect([...error.args]).to.deep.equal([1n, 3n, 3n, 8n]);
    });

    it("shows timestamps as ISO dates and says what to do", () => {
      expect(explain(refusal("IdentityCredentialExpiryInPast", [JAN_2020, 1_700_000_000n]))).to.equal(
        "IdentityCredentialExpiryInPast — the credential expiry 2020-01-01T00:00:00Z is not after the chain's time " +
          "2023-11-14T22:13:20Z; give an --expires in the future",
      );
    });

    it("names enum values it does not know by their number", () => {
      expect(explain(refusal("IdentityKindNotRegistrable", [99n]))).to.equal(
        "IdentityKindNotRegistrable — a registrar cannot register a participant of kind 99 (not defined in ParticipantKind)",
      );
      expect(explain(refusal("IdentityKindNotRegistrable", [BigInt(ParticipantKind.Patient)]))).to.equal(
        "IdentityKindNotRegistrable — a registrar cannot register a participant of kind Patient; patients register " +
          "themselves (careledger:identity:register-patient)",
      );
    });

    it("lists category and purpose sets by name, the wildcard and undefined bits included", () => {
      expect(explain(refusal("ConsentInvalidCategories", [(1n << 5n) | (1n << 3n) | (1n << 20n)]))).to.equal(
        "ConsentInvalidCategories — categories Conditions, LaboratoryResults and bit 20 (undefined)",
      );
      expect(explain(refusal("ConsentInvalidPurposes", [0n]))).to.equal("ConsentInvalidPurposes — purposes none");
      expect(explain(refusal("ConsentInvalidCategories", [0xffff_ffffn]))).to.equal(
        "ConsentInvalidCategories — categories * (every one)",
      );
    });

    it("shows amounts in the settlement token when it is known, else as base units", () => {
      const error = refusal("ClaimsInsufficientBalance", [5n, 47_388_000_000n, 60_000_000_000n]);
      expect(explain(error, { token: { symbol: "tUSD", decimals: 6 } })).to.equal(
        "ClaimsInsufficientBalance — payer 5 holds tUSD 47,388.00, asked tUSD 60,000.00",
      );
      expect(explain(error)).to.equal(
        "ClaimsInsufficientBalance — payer 5 holds 47388000000 (base units), asked 60000000000 (base units)",
      );
    });

    it("numbers claim lines from 1, as the tasks do", () => {
      expect(explain(refusal("ClaimsLineNotDenied", [`0x${"cd".repeat(32)}`, 0n]))).to.equal(
        `ClaimsLineNotDenied — line 1 of claim 0x${"cd".repeat(32)} was not denied: only a denied line is appealed`,
      );
    });

    it("says a paused module is paused, and who unpauses it", () => {
      expect(explain(refusal("EnforcedPause", []))).to.equal(
        "EnforcedPause — the module is paused; careledger:status shows it; the admin unpauses",
      );
    });

    it("names the role an unauthorized caller lacks, and its holders, from the context", () => {
      const error = refusal("AccessManagedUnauthorized", [ACCOUNT]);
      expect(explain(error)).to.equal(
        `AccessManagedUnauthorized — ${ACCOUNT} lacks the role this function needs; careledger:status lists who ` +
          "holds each role",
      );
      const holder = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
      const selector = new Interface(["function pause()"]).getFunction("pause")!.selector;
      expect(
        explain(error, {
          call: { target: ACCOUNT, selector },
          access: {
            roleId: Roles.PAUSER,
            holders: [{ roleId: Roles.PAUSER, account: holder, executionDelay: 3600n, since: 0n }],
          },
        }),
      ).to.equal(
        `AccessManagedUnauthorized — ${ACCOUNT} may not call pause on ${ACCOUNT}; it needs PAUSER (2), held by ` +
          `${holder} (execution delay 1 hour); send it from a holder's key (--from), or the admin grants the role`,
      );
    });

    it("says when a holder's grant still waiting for the role's grant delay takes effect", () => {
      const error = refusal("AccessManagedUnauthorized", [ACCOUNT]);
      const [active, waiting] = [
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
      ];
      const selector = new Interface(["function pause()"]).getFunction("pause")!.selector;
      const holder = (account: string, since: bigint, executionDelay = 0n) => ({
        roleId: Roles.PAUSER,
        account,
        executionDelay,
        since,
      });
      const call = { target: ACCOUNT, selector };
      const now = JAN_2020;
      expect(
        explain(error, {
          call,
          access: { roleId: Roles.PAUSER, now, holders: [holder(active, now - 1n), holder(waiting, now + 86_400n)] },
        }),
      ).to.equal(
        `AccessManagedUnauthorized — ${ACCOUNT} may not call pause on ${ACCOUNT}; it needs PAUSER (2), held by ` +
          `${active} and ${waiting} (from 2020-01-02T00:00:00Z); send it from a holder's key (--from), or the admin ` +
          "grants the role",
      );
      expect(
        explain(error, {
          call,
          access: { roleId: Roles.PAUSER, now, holders: [holder(waiting, now + 60n, 3_600n)] },
        }),
      ).to.equal(
        `AccessManagedUnauthorized — ${ACCOUNT} may not call pause on ${ACCOUNT}; it needs PAUSER (2), held by ` +
          `${waiting} (execution delay 1 hour, from 2020-01-01T00:01:00Z); send it from a holder's key (--from) ` +
          "once its grant takes effect, or the admin grants the role",
      );
    });
  });

  describe("values", () => {
    it("formats times, durations and amounts", () => {
      expect(isoTime(0n)).to.equal("1970-01-01T00:00:00Z");
      expect(isoTime(2n ** 48n - 1n)).to.equal("281474976710655 (no date)");
      expect(humanDuration(30n * 86_400n)).to.equal("30 days");
      expect(humanDuration(86_400n)).to.equal("1 day");
      expect(humanDuration(7_200n)).to.equal("2 hours");
      expect(humanDuration(90n)).to.equal("90 seconds");
      expect(tokenAmount(1n, { symbol: "tUSD", decimals: 6 })).to.equal("tUSD 0.000001");
      expect(tokenAmount(1_234_567_500_000n, { symbol: "tUSD", decimals: 6 })).to.equal("tUSD 1,234,567.50");
    });

    it("names a function by its contract where only one CareLedger contract has it", () => {
      const suspend = new Interface(["function suspend(uint64,uint16)"]).getFunction("suspend")!.selector;
      expect(functionName(suspend)).to.equal("IdentityRegistry.suspend");
      expect(functionName("0xdeadbeef")).to.equal("0xdeadbeef");
    });
  });

  describe("against a deployed system", () => {
    it("explains an unauthorized caller with the function, its role and who holds it", async () => {
      const { identity, others, deployment, registrar } = await loadFixture(systemFixture);
      const stranger = explainingSigner(others[0]!);
      const failure: unknown = await identity
        .as(stranger)
        .suspend(1n, 0)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).to.be.instanceOf(CareLedgerError);
      const line = await explainRefusal(failure, stranger.provider, deployment);
      expect(line).to.equal(
        `AccessManagedUnauthorized — ${others[0]!.address} may not call IdentityRegistry.suspend; it needs ` +
          `REGISTRAR (1), held by ${registrar.address}; send it from a holder's key (--from), or the admin grants the role`,
      );
    });

    it("does not name the transaction's function when another contract was the caller refused", async () => {
      const decoded = refusal("AccessManagedUnauthorized", [ACCOUNT]);
      const inner = new CareLedgerError(decoded.errorName, decoded.args, decoded.selector, undefined, {
        to: ACCOUNT,
        data: "0x12345678",
        from: "0x0000000000000000000000000000000000000001",
      });
      expect(await refusalContext(inner, { provider: null })).to.deep.equal({});
    });

    it("leaves errors that are not refusals alone", async () => {
      expect(await explainRefusal(new Error("network down"))).to.equal(undefined);
    });
  });
});
