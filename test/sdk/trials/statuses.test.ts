import { expect } from "chai";

import {
  AdverseEventStatus,
  OversightReason,
  SiteStatus,
  SubjectStatus,
  TrialAmendmentStatus,
  TrialStatus,
  UnblindingReason,
  UnlockReason,
  WithdrawalReason,
} from "../../../sdk/trials/statuses";
import { TrialProtocol__factory, TrialRegistry__factory, TrialSafety__factory } from "../../../typechain-types";
import { solidityEnum, typescriptEnum } from "../../helpers/solidity-source";

const TRIAL = "trials/Trial.sol";

type NumericEnum = Record<string, string | number>;

/**
 * Each SDK mirror, by the name of the Solidity enum in Trial.sol it mirrors. The amendment enum is
 * `TrialAmendmentStatus` on both sides, apart from the records module's `AmendmentStatus`.
 */
const MIRRORS: Record<string, NumericEnum> = {
  TrialStatus,
  SiteStatus,
  SubjectStatus,
  TrialAmendmentStatus,
  AdverseEventStatus,
};

/** The reason-code lists events carry as a `uint16 reasonCode` (published off chain, no Solidity enum). */
const REASONS: Record<string, NumericEnum> = { UnblindingReason, WithdrawalReason, UnlockReason, OversightReason };

/** A numeric enum's members as [name, value], in declaration order. */
function members(enumeration: NumericEnum): [string, number][] {
  return Object.entries(enumeration).filter((entry): entry is [string, number] => typeof entry[1] === "number");
}

/** An ABI parameter as the compiler's JSON ABI gives it. */
interface AbiParam {
  readonly type: string;
  readonly internalType?: string;
  readonly components?: readonly AbiParam[];
}

/** The `enum X` types the trial contracts' ABIs use (in functions, events and errors), each with its ABI types. */
function abiEnums(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const visit = (param: AbiParam): void => {
    const match = /^enum (?:\w+\.)?(\w+)((?:\[\d*\])*)$/.exec(param.internalType ?? "");
    if (match?.[1] !== undefined && match[2] !== undefined) {
      const types = found.get(match[1]) ?? new Set<string>();
      types.add(param.type.slice(0, param.type.length - match[2].length));
      found.set(match[1], types);
    }
    param.components?.forEach(visit);
  };
  const entries: readonly { inputs?: readonly AbiParam[]; outputs?: readonly AbiParam[] }[] = [
    ...TrialRegistry__factory.abi,
    ...TrialProtocol__factory.abi,
    ...TrialSafety__factory.abi,
  ];
  for (const entry of entries) {
    entry.inputs?.forEach(visit);
    entry.outputs?.forEach(visit);
  }
  return found;
}

/** Whether `contracts/trials/Trial.sol` declares `enum <name>`. */
function declaredInTrial(name: string): boolean {
  try {
    solidityEnum(TRIAL, name);
    return true;
  } catch {
    return false;
  }
}

describe("trials statuses (sdk/trials/statuses.ts)", function () {
  describe("state enums", function () {
    for (const [name, mirror] of Object.entries(MIRRORS)) {
      it(`mirror ${name} of contracts/${TRIAL} member for member, in order`, function () {
        const solidity = solidityEnum(TRIAL, name);
        expect(solidity.length, name).to.be.greaterThan(1);
        expect(typescriptEnum(mirror), name).to.deep.equal(solidity);
      });
    }

    it("cover every enum of Trial.sol the trial contracts' ABIs use, each encoded as a uint8", function () {
      const used = [...abiEnums()].filter(([name]) => {
        // Enums of other modules (identity's, consent's) are mirrored by those modules' SDKs.
        if (!(name in MIRRORS))
          expect(declaredInTrial(name), `${name} is declared in Trial.sol, unmirrored`).to.equal(false);
        return name in MIRRORS;
      });
      expect(used.map(([name]) => name).sort()).to.deep.equal(Object.keys(MIRRORS).sort());
      for (const [name, types] of used) expect([...types], name).to.deep.equal(["uint8"]);
    });

    it("start with None = 0, the status of what does not exist", function () {
      for (const [name, mirror] of Object.entries(MIRRORS)) expect(members(mirror)[0], name).to.deep.equal(["None", 0]);
    });
  });

  describe("reason codes", function () {
    // Zero means "no reason given": the registry refuses it where a reason is required (`TrialReasonRequired`), so
    // only None may be zero, and two reasons sharing a value could not be told apart in an event.
    for (const [name, reasons] of Object.entries(REASONS)) {
      it(`${name} starts with None = 0 and gives each reason its own value, one that fits a uint16`, function () {
        const list = members(reasons);
        expect(list[0], name).to.deep.equal(["None", 0]);
        expect(list.length, name).to.be.greaterThan(1);
        const values = list.map(([, value]) => value);
        expect(new Set(values).size, name).to.equal(values.length);
        for (const [member, value] of list) {
          expect(Number.isInteger(value) && value >= 0 && value < 1 << 16, `${name}.${member}`).to.equal(true);
        }
      });
    }
  });
});
