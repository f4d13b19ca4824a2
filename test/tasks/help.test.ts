import { expect } from "chai";
import hre from "hardhat";

import {
  BreakGlassReason,
  DataCategory,
  Purpose,
  RejectionReason,
  RequestReason,
  ReviewFinding,
  ReviewOutcome,
} from "../../sdk/consent/scopes";
import { PAUSABLE_MODULES } from "../../sdk/core/contracts";
import { Roles } from "../../sdk/core/roles";
import { ParticipantKind, StatusReason } from "../../sdk/identity/participants";
import { SupersedeReason } from "../../sdk/records/codes";
import { Recipient, SuspectReason } from "../../sdk/supplychain/statuses";
import { OversightReason, UnblindingReason, UnlockReason, WithdrawalReason } from "../../sdk/trials/statuses";
import { ACCOUNT_HELP, type CodeList, enumNames, FROM_HELP, kebab, TIME_HELP } from "../../tasks/util";
import { skipCliTestsIfAsked } from "../helpers/runs";

// What `npx hardhat help <task>` shows for each option is the task definition's description: read in-process here,
// so that every careledger:* task is checked in milliseconds. (The node test in inputs.test.ts runs `hardhat help`
// once through the real command line.)

/** The operator's tasks: every one follows the rules checked here. */
const MODULES = /^careledger:/;

/** Options that take enum names: the values their help must list, in the SDK enum's order. */
const KINDS = enumNames(ParticipantKind, [ParticipantKind.None, ParticipantKind.Patient]);
const CATEGORIES = enumNames(DataCategory);
const PURPOSES = enumNames(Purpose);

/** A reason enum of the trials module as its code list: the named codes, none (zero) left out. */
function trialCodes(enumeration: Record<string, string | number>): CodeList {
  return Object.fromEntries(
    Object.entries(enumeration).filter(
      (entry): entry is [string, number] => typeof entry[1] === "number" && entry[1] !== 0,
    ),
  );
}
const ENUM_OPTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  "careledger:identity:consent": { kind: KINDS },
  "careledger:identity:register": { kind: KINDS },
  "careledger:consent:grant": { categories: CATEGORIES, purposes: PURPOSES },
  "careledger:consent:request": { categories: CATEGORIES, purposes: PURPOSES },
  "careledger:consent:approve": { categories: CATEGORIES, purposes: PURPOSES },
  "careledger:consent:review": { outcome: enumNames(ReviewOutcome, [ReviewOutcome.Pending]) },
  "careledger:consent:check": { category: CATEGORIES, purpose: PURPOSES },
  "careledger:record:anchor": { category: CATEGORIES },
  "careledger:record:verify": { category: CATEGORIES, purpose: PURPOSES },
  "careledger:record:share": { purpose: PURPOSES },
  "careledger:pause": { module: PAUSABLE_MODULES },
  "careledger:unpause": { module: PAUSABLE_MODULES },
  "careledger:supply:quarantine": { reason: enumNames(SuspectReason, [SuspectReason.None]) },
  "careledger:supply:notify": { recipient: enumNames(Recipient) },
  "careledger:supply:recall": { class: ["I", "II", "III"] },
  "careledger:trial:register": { categories: CATEGORIES },
};

/** Options that take a role: their help must name every role (and that a number is taken). */
const ROLE_OPTIONS: Readonly<Record<string, string>> = {
  "careledger:role:grant": "role",
  "careledger:role:revoke": "role",
};

/** Options that take a reason or finding code: the code list their help must give as "number = name". */
const CODE_OPTIONS: Readonly<Record<string, Readonly<Record<string, CodeList>>>> = {
  "careledger:identity:status": { reason: StatusReason },
  "careledger:consent:request": { reason: RequestReason },
  "careledger:consent:reject": { reason: RejectionReason },
  "careledger:consent:break-glass": { reason: BreakGlassReason },
  "careledger:consent:review": { finding: ReviewFinding },
  "careledger:record:anchor": { reason: SupersedeReason },
  "careledger:trial:approve": { reason: trialCodes(OversightReason) },
  "careledger:trial:site": { reason: trialCodes(OversightReason) },
  "careledger:trial:unblind": { reason: trialCodes(UnblindingReason) },
  "careledger:trial:withdraw": { reason: trialCodes(WithdrawalReason) },
  "careledger:trial:unlock": { reason: trialCodes(UnlockReason) },
};

/** Options that take a time, by the end of a period they give. */
const TIME_OPTIONS: Readonly<Record<string, Readonly<Record<string, "start" | "end">>>> = {
  "careledger:identity:register": { expires: "end" },
  "careledger:identity:representative": { expires: "end" },
  "careledger:consent:grant": { fromTime: "start", until: "end" },
  "careledger:consent:check": { at: "start" },
  "careledger:enroll": { start: "start", end: "end" },
  "careledger:prior-auth:request": { fromDate: "start", toDate: "end" },
  "careledger:prior-auth:decide": { validFrom: "start", validTo: "end" },
  "careledger:trial:register": { primaryCompletion: "end", firstEnrolled: "start" },
  "careledger:trial:amend": { primaryCompletion: "end" },
  "careledger:trial:sae": { awareAt: "start" },
  "careledger:audit:accounting": { requestDate: "end" },
  "careledger:audit:privacy": { asOf: "end" },
};

/** Options that take an account (besides --from, which signs). */
const ACCOUNT_OPTIONS = new Set(["controller", "to", "accessor", "reader", "address", "account"]);

interface Param {
  name: string;
  description?: string;
}

function tasks(): [string, Param[]][] {
  return Object.entries(hre.tasks)
    .filter(([name]) => MODULES.test(name))
    .map(([name, definition]) => [name, Object.values(definition.paramDefinitions) as Param[]]);
}

function help(task: string, option: string): string {
  const param = (hre.tasks[task]?.paramDefinitions as Record<string, Param> | undefined)?.[option];
  if (param === undefined) throw new Error(`${task} has no --${option}`);
  return param.description ?? "";
}

/** The names a help text lists after its last colon: "…: a, b, c or d" (a trailing "or *" left out). */
function listed(text: string): string[] {
  const list = text.slice(text.lastIndexOf(": ") + 2).replace(/\s*\(.*\)$/, "");
  return list
    .split(/, | or /)
    .map((name) => name.trim())
    .filter((name) => name !== "*");
}

/** The "number = name" pairs of a help text. */
function codes(text: string): [string, number][] {
  return [...text.matchAll(/(\d+) = ([a-z-]+)/g)].map((match) => [match[2]!, Number(match[1])]);
}

describe("tasks: help texts", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  it("finds the tasks it checks", function () {
    expect(tasks().length).to.be.greaterThan(40);
    const checked = [ENUM_OPTIONS, CODE_OPTIONS, TIME_OPTIONS, ROLE_OPTIONS].flatMap((options) => Object.keys(options));
    for (const task of checked) {
      expect(hre.tasks[task], task).to.not.equal(undefined);
    }
  });

  for (const [task, options] of Object.entries(ENUM_OPTIONS)) {
    for (const [option, values] of Object.entries(options)) {
      it(`${task} --${kebab(option)} lists the SDK's values`, function () {
        expect(listed(help(task, option))).to.deep.equal([...values]);
      });
    }
  }

  for (const [task, options] of Object.entries(CODE_OPTIONS)) {
    for (const [option, list] of Object.entries(options)) {
      it(`${task} --${option} lists the SDK's codes as number = name`, function () {
        const expected = Object.entries(list).map(([name, number]) => [kebab(name), number]);
        expect(codes(help(task, option))).to.deep.equal(expected);
        expect(help(task, option)).to.contain("by number or name");
      });
    }
  }

  for (const [task, option] of Object.entries(ROLE_OPTIONS)) {
    it(`${task} --${option} names every role, and takes its number`, function () {
      const text = help(task, option);
      for (const role of Object.keys(Roles)) expect(text).to.match(new RegExp(`\\b${role}\\b`));
      expect(text).to.contain("or its number");
    });
  }

  it("leaves no option of enum or code values without its list", function () {
    const enumLike = new Set([
      ...["kind", "categories", "purposes", "category", "purpose", "reason", "finding", "outcome"],
      ...["role", "module", "recipient", "class"],
    ]);
    for (const [task, params] of tasks()) {
      for (const { name } of params) {
        if (!enumLike.has(name)) continue;
        const covered =
          ENUM_OPTIONS[task]?.[name] !== undefined ||
          CODE_OPTIONS[task]?.[name] !== undefined ||
          ROLE_OPTIONS[task] === name;
        expect(covered, `${task} --${kebab(name)} is not checked`).to.equal(true);
      }
    }
  });

  it("states the time rule in every time option's help, a period's start or its end", function () {
    for (const [task, params] of tasks()) {
      for (const { name, description = "" } of params) {
        const rule = TIME_OPTIONS[task]?.[name];
        if (task === "careledger:claim:submit" && name === "line") {
          // A service line's DATE is a day, taken as its first second (the adjudicator judges the line at that time).
          expect(description).to.contain("DATE the day of service YYYY-MM-DD, taken as 00:00:00 UTC");
          continue;
        }
        if (rule === undefined) {
          expect(description, `${task} --${kebab(name)}`).to.not.match(/ISO|Unix seconds/);
          continue;
        }
        expect(description, `${task} --${kebab(name)}`).to.contain(TIME_HELP[rule]);
      }
    }
  });

  it("says every account option takes an account index or an address", function () {
    let seen = 0;
    for (const [task, params] of tasks()) {
      for (const { name, description = "" } of params) {
        if (name === "from") {
          expect(description, `${task} --from`).to.contain(FROM_HELP);
        } else if (ACCOUNT_OPTIONS.has(name)) {
          expect(description, `${task} --${name}`).to.contain(ACCOUNT_HELP);
          seen++;
        }
      }
    }
    expect(seen).to.be.greaterThan(6);
  });
});
