import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { HDNodeWallet, SigningKey } from "ethers";

import { DataCategory, Purpose } from "../../sdk/consent/scopes";
import { enumNames, oneOf } from "../../tasks/util";
import {
  anvilAvailable,
  DEV_MNEMONIC,
  startTaskNode,
  type TaskNode,
  type TaskResult,
  field,
  refusal,
} from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

// The operator's inputs, through the tasks against a real node: ids that do not exist on the chain (participants of
// the wrong kind included), the time rule, accounts given by index or address, and codes given by name. Each refusal
// is one line (the task runner prints it as the command line does) and exit code 1.

/** The development accounts' addresses, by index. */
const ACCOUNTS = Array.from(
  { length: 10 },
  (_, index) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).address,
);
const ZERO_HASH = `0x${"0".repeat(63)}1`;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PARTICIPANT_HINT = "look one up with careledger:identity:show";

/** The output of a task that succeeded. */
function succeeded(result: TaskResult): string {
  expect(result.code, result.output).to.equal(0);
  return result.output;
}

/** consent.ts's CLOCK_SKEW: how much earlier than the block a window counted from now starts. */
const CLOCK_SKEW_MS = 15_000;

/** The length of the `window` a consent task printed ("… until …"), in milliseconds. */
function windowLength(output: string): number {
  const [from, until] = field(output, "window")
    .split(" until ")
    .map((time) => Date.parse(time));
  return until! - from!;
}

/**
 * Whether `output` holds any 8 consecutive digits of the hex `secret`: a secret must not appear, not even in part
 * (`0x` and case aside).
 */
function leaks(output: string, secret: string): boolean {
  const digits = secret.replace(/^0x/i, "").toLowerCase();
  const printed = output.toLowerCase();
  for (let at = 0; at + 8 <= digits.length; at++) if (printed.includes(digits.slice(at, at + 8))) return true;
  return false;
}

/** The UTC date `days` from now, as YYYY-MM-DD. */
function day(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
}

describe("tasks: inputs", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  let observation: string;
  let plan: string;
  const encryptionKey = `0x${"7".repeat(64)}`;
  const readerKey = SigningKey.computePublicKey(`0x${"5".repeat(64)}`, true);

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(180_000);
    node = await startTaskNode();
    succeeded(await node.run("careledger:deploy", "--parameters", "localhost"));
    // 1 an organization (account 5), 2 a patient (account 6), 3 its practitioner (account 8), 4 a payer (account 9).
    const register = (kind: string, controller: number, ...more: string[]) =>
      node.run(
        "careledger:identity:register",
        "--kind",
        kind,
        "--controller",
        String(controller),
        "--credential",
        `${kind} credential`,
        "--expires",
        "2099-01-01",
        "--from",
        "2",
        ...more,
      );
    succeeded(await register("organization", 5));
    succeeded(await node.run("careledger:identity:register-patient", "--from", "6"));
    succeeded(await register("practitioner", 8, "--affiliation", "1"));
    succeeded(await node.run("careledger:identity:accept-affiliate", "--id", "3", "--from", "5"));
    succeeded(await register("payer", 9));
    plan = path.join(node.work, "plan.json");
    fs.writeFileSync(
      plan,
      JSON.stringify({
        terms: { deductible: "0", oopMax: "3000.00", coinsuranceBps: 0, timelyFilingDays: 90, appealWindowDays: 180 },
        fees: [{ code: "70553", allowedPerUnit: "1800.00", requiresPriorAuth: true }],
        network: [1],
      }),
    );
    succeeded(await node.run("careledger:plan:create", "--file", plan, "--from", "9"));
    observation = path.join(node.work, "observation.json");
    fs.writeFileSync(observation, JSON.stringify({ resourceType: "Observation", status: "final" }));
  });

  after(function () {
    (node as TaskNode | undefined)?.stop(); // unset when anvil is missing or did not start
  });

  describe("unknown ids", function () {
    const unknownParticipant = (option: string, id = "99") =>
      `--${option} ${id}: no participant ${id} on this chain (the registry has 4); ${PARTICIPANT_HINT}`;
    const notA = (option: string, id: string, is: string, want: string) =>
      `--${option} ${id}: participant ${id} is ${is}, not ${want}; ${PARTICIPANT_HINT}`;
    const member = `0x${"ab".repeat(32)}`;
    const cases: [string, string[], string][] = [
      // identity
      ["identity:show", ["--id", "99"], unknownParticipant("id")],
      ["identity:show", ["--id", "0"], unknownParticipant("id", "0")],
      ["identity:consent", ["--id", "99", "--from", "7"], unknownParticipant("id")],
      [
        "identity:register",
        [
          "--kind",
          "device",
          "--controller",
          "7",
          "--credential",
          "c",
          "--expires",
          "2099-01-01",
          "--affiliation",
          "99",
          "--from",
          "2",
        ],
        unknownParticipant("affiliation"),
      ],
      [
        "identity:offer-affiliate",
        ["--id", "3", "--organization", "99", "--from", "2"],
        unknownParticipant("organization"),
      ],
      ["identity:offer-affiliate", ["--id", "99", "--organization", "1", "--from", "2"], unknownParticipant("id")],
      ["identity:accept-affiliate", ["--id", "99", "--from", "5"], unknownParticipant("id")],
      ["identity:release-affiliate", ["--id", "99", "--from", "5"], unknownParticipant("id")],
      ["identity:proof", ["--id", "99", "--from", "2"], unknownParticipant("id")],
      ["identity:proof", ["--id", "1", "--from", "2"], notA("id", "1", "an organization", "a patient")],
      ["identity:status", ["--id", "99", "--action", "suspend", "--from", "2"], unknownParticipant("id")],
      ["identity:rotate", ["--id", "99", "--to", "7", "--from", "6"], unknownParticipant("id")],
      [
        "identity:guardians",
        ["--patient", "3", "--guardians", "1", "--threshold", "1", "--from", "8"],
        notA("patient", "3", "a practitioner", "a patient"),
      ],
      [
        "identity:guardians",
        ["--patient", "2", "--guardians", "3,99", "--threshold", "1", "--from", "6"],
        unknownParticipant("guardians"),
      ],
      ["identity:guardian-change", ["--patient", "99", "--action", "confirm"], unknownParticipant("patient")],
      [
        "identity:recover",
        ["--patient", "99", "--action", "approve", "--to", "7", "--from", "8"],
        unknownParticipant("patient"),
      ],
      [
        "identity:representative",
        ["--patient", "2", "--representative", "99", "--expires", "2099-01-01", "--from", "6"],
        unknownParticipant("representative"),
      ],
      [
        "identity:representative",
        ["--patient", "1", "--representative", "3", "--revoke", "--from", "5"],
        notA("patient", "1", "an organization", "a patient"),
      ],
      [
        "identity:attest-identifier",
        ["--patient", "99", "--system", "urn:mrn", "--value", "A1", "--from", "5"],
        unknownParticipant("patient"),
      ],
      [
        "identity:accept-identifier",
        ["--patient", "2", "--issuer", "99", "--commitment", ZERO_HASH, "--from", "6"],
        unknownParticipant("issuer"),
      ],
      [
        "identity:withdraw-identifier",
        ["--issuer", "99", "--commitment", ZERO_HASH, "--from", "5"],
        unknownParticipant("issuer"),
      ],
      // consent
      ["consent:list", ["--patient", "999"], unknownParticipant("patient", "999")],
      ["consent:list", ["--patient", "1"], notA("patient", "1", "an organization", "a patient")],
      [
        "consent:grant",
        ["--patient", "2", "--grantee", "99", "--categories", "*", "--purposes", "*", "--days", "1", "--from", "6"],
        unknownParticipant("grantee"),
      ],
      [
        "consent:grant",
        ["--patient", "99", "--grantee", "3", "--categories", "*", "--purposes", "*", "--days", "1", "--from", "6"],
        unknownParticipant("patient"),
      ],
      ["consent:revoke", ["--patient", "2", "--grantee", "99", "--from", "6"], unknownParticipant("grantee")],
      [
        "consent:request",
        [
          "--patient",
          "4",
          "--categories",
          "*",
          "--purposes",
          "*",
          "--days",
          "1",
          "--reason",
          "referral",
          "--from",
          "8",
        ],
        notA("patient", "4", "a payer", "a patient"),
      ],
      [
        "consent:approve",
        ["--request", "5", "--from", "6"],
        "--request 5: no access request 5 on this chain (the consent registry has none yet); careledger:consent:request prints a request's id",
      ],
      [
        "consent:reject",
        ["--request", "5", "--reason", "other", "--from", "6"],
        "--request 5: no access request 5 on this chain (the consent registry has none yet); careledger:consent:request prints a request's id",
      ],
      [
        "consent:break-glass",
        ["--patient", "99", "--reason", "life-threatening", "--hours", "1", "--from", "8"],
        unknownParticipant("patient"),
      ],
      [
        "consent:review",
        ["--session", "3", "--outcome", "justified", "--finding", "emergency-documented", "--from", "4"],
        "--session 3: no break-glass session 3 on this chain (the break-glass workflow has none yet); careledger:consent:unreviewed lists the sessions awaiting review",
      ],
      ["consent:authorize-emergency", ["--organization", "99", "--from", "2"], unknownParticipant("organization")],
      [
        "consent:check",
        ["--patient", "99", "--accessor", "8", "--category", "allergies", "--purpose", "treatment"],
        unknownParticipant("patient"),
      ],
      // records
      [
        "record:anchor",
        ["--file", "OBSERVATION", "--patient", "99", "--category", "allergies", "--key", encryptionKey, "--from", "8"],
        unknownParticipant("patient"),
      ],
      [
        "record:anchor",
        ["--file", "OBSERVATION", "--patient", "2", "--supersedes", ZERO_HASH, "--key", encryptionKey, "--from", "8"],
        `--supersedes ${ZERO_HASH}: no record of patient 2 with this commitment on this chain; careledger:record:anchor prints a record's commitment (and a record in a batch has none until adopted)`,
      ],
      [
        "record:verify",
        ["--file", "OBSERVATION", "--salt", ZERO_HASH, "--patient", "99"],
        unknownParticipant("patient"),
      ],
      [
        "record:prove",
        ["--organization", "99", "--manifest", "sha256:00", "--commitment", ZERO_HASH],
        unknownParticipant("organization"),
      ],
      [
        "record:adopt",
        ["--organization", "99", "--manifest", "sha256:00", "--commitment", ZERO_HASH, "--from", "5"],
        unknownParticipant("organization"),
      ],
      ["record:history", ["--patient", "99", "--commitment", ZERO_HASH], unknownParticipant("patient")],
      [
        "record:history",
        ["--patient", "2", "--commitment", ZERO_HASH],
        `--commitment ${ZERO_HASH}: no record of patient 2 with this commitment on this chain; careledger:record:anchor prints a record's commitment (and a record in a batch has none until adopted)`,
      ],
      [
        "record:share",
        ["--patient", "99", "--blob", "sha256:00", "--key", encryptionKey, "--reader", "8", "--reader-key", readerKey],
        unknownParticipant("patient"),
      ],
      // claims
      [
        "plan:show",
        ["--plan", "9"],
        "--plan 9: no plan 9 on this chain (the adjudicator has 1); see one with careledger:plan:show",
      ],
      ["plan:show", ["--plan", "1", "--organization", "99"], unknownParticipant("organization")],
      [
        "enroll",
        ["--plan", "9", "--member", member, "--start", "2026-01-01", "--end", "2026-12-31", "--from", "9"],
        "--plan 9: no plan 9 on this chain (the adjudicator has 1); see one with careledger:plan:show",
      ],
      [
        "enroll",
        [
          "--plan",
          "1",
          "--member",
          member,
          "--patient",
          "3",
          "--start",
          "2026-01-01",
          "--end",
          "2026-12-31",
          "--from",
          "9",
        ],
        notA("patient", "3", "a practitioner", "a patient"),
      ],
      [
        "prior-auth:request",
        [
          "--member",
          member,
          "--plan",
          "9",
          "--code",
          "70553",
          "--units",
          "1",
          "--from-date",
          "2026-01-01",
          "--to-date",
          "2026-01-31",
          "--from",
          "5",
        ],
        "--plan 9: no plan 9 on this chain (the adjudicator has 1); see one with careledger:plan:show",
      ],
      [
        "prior-auth:decide",
        ["--id", "9", "--approve", "--from", "9"],
        "--id 9: no prior authorization 9 on this chain (the prior-authorization workflow has none yet); careledger:prior-auth:request prints an authorization's id",
      ],
      [
        "claim:submit",
        [
          "--member",
          member,
          "--plan",
          "9",
          "--claim-number",
          "C-1",
          "--reference-key",
          ZERO_HASH,
          "--line",
          "70553:1:10.00:2026-01-02",
          "--from",
          "5",
        ],
        "--plan 9: no plan 9 on this chain (the adjudicator has 1); see one with careledger:plan:show",
      ],
      [
        "claim:submit",
        [
          "--member",
          member,
          "--plan",
          "1",
          "--claim-number",
          "C-1",
          "--reference-key",
          ZERO_HASH,
          "--line",
          "70553:1:10.00:2026-01-02",
          "--supporting",
          ZERO_HASH,
          "--patient",
          "99",
          "--from",
          "5",
        ],
        unknownParticipant("patient"),
      ],
      ...(["claim:show", "appeal:file", "appeal:decide"] as const).map((task): [string, string[], string] => [
        task,
        [
          "--claim",
          ZERO_HASH,
          ...(task === "claim:show" ? [] : ["--line", "1"]),
          ...(task === "appeal:decide" ? ["--uphold"] : []),
        ],
        `--claim ${ZERO_HASH}: no claim with this id on this chain; careledger:claim:submit prints a claim's id and careledger:eob lists a member's claims`,
      ]),
      [
        "eob",
        ["--member", member],
        `--member ${member}: no member with this pseudonym is enrolled in any plan on this chain; careledger:enroll prints a member's pseudonym`,
      ],
      [
        "eob",
        ["--member", member, "--plan", "9"],
        "--plan 9: no plan 9 on this chain (the adjudicator has 1); see one with careledger:plan:show",
      ],
      [
        "eob",
        ["--member-number", "EV-0000", "--member-key", ZERO_HASH, "--plan", "1"],
        "--member-number: no member with the member number given is enrolled in plan 1; check the number and the payer's member key",
      ],
      ["settle", ["--payer", "99"], unknownParticipant("payer")],
      ["settle", ["--payer", "1"], notA("payer", "1", "an organization", "a payer")],
    ];
    for (const [task, argv, message] of cases) {
      it(`careledger:${task} ${argv.slice(0, 4).join(" ")}…: ${message.slice(0, message.indexOf(":"))} refused`, async function () {
        const args = argv.map((arg) => (arg === "OBSERVATION" ? observation : arg));
        expect(refusal(await node.run(`careledger:${task}`, ...args))).to.equal(message);
      });
    }

    it("prints one line and exits 1 on the command line", async function () {
      this.timeout(30_000);
      const { output, code } = await node.cli(["careledger:consent:list", "--patient", "999"]);
      expect(code).to.equal(1);
      expect(output.trim().split("\n")).to.deep.equal([
        `Error in plugin careledger: ${unknownParticipant("patient", "999")}`,
      ]);
    });
  });

  describe("the time rule", function () {
    it("enroll: a bare --start is 00:00:00 UTC and a bare --end the whole day, to 23:59:59 UTC", async function () {
      const [start, end] = [day(-30), day(335)];
      const output = succeeded(
        await node.run(
          "careledger:enroll",
          "--plan",
          "1",
          "--member",
          `0x${"cd".repeat(32)}`,
          "--patient",
          "2",
          "--start",
          start,
          "--end",
          end,
          "--from",
          "9",
        ),
      );
      expect(field(output, "coverage")).to.equal(`${start}T00:00:00Z until ${end}T23:59:59Z`);
    });

    it("prior-auth:request: a bare --from-date starts its day and a bare --to-date ends its day", async function () {
      const [from, to] = [day(-1), day(30)];
      const output = succeeded(
        await node.run(
          "careledger:prior-auth:request",
          "--member",
          `0x${"cd".repeat(32)}`,
          "--plan",
          "1",
          "--code",
          "70553",
          "--units",
          "2",
          "--from-date",
          from,
          "--to-date",
          to,
          "--from",
          "5",
        ),
      );
      expect(field(output, "window")).to.equal(`${from}T00:00:00Z until ${to}T23:59:59Z`);
    });

    it("prior-auth:decide: a bare --valid-to ends its day; an ISO time is taken exactly", async function () {
      const to = day(20);
      const from = `${day(1)}T09:30:00Z`;
      const output = succeeded(
        await node.run(
          "careledger:prior-auth:decide",
          "--id",
          "1",
          "--approve",
          "--valid-from",
          from,
          "--valid-to",
          to,
          "--from",
          "9",
        ),
      );
      expect(field(output, "window")).to.equal(`${day(1)}T09:30:00Z until ${to}T23:59:59Z`);
    });

    it("consent:grant: a bare --until grants to the end of that UTC day", async function () {
      const until = day(10);
      const output = succeeded(
        await node.run(
          "careledger:consent:grant",
          "--patient",
          "2",
          "--grantee",
          "3",
          "--categories",
          "allergies",
          "--purposes",
          "treatment",
          "--until",
          until,
          "--from",
          "6",
        ),
      );
      expect(field(output, "window")).to.match(new RegExp(` until ${until}T23:59:59Z$`));
    });

    it("consent:grant: --days counts from --from-time, a bare date being 00:00:00 UTC", async function () {
      const start = day(2);
      const output = succeeded(
        await node.run(
          "careledger:consent:grant",
          "--patient",
          "2",
          "--grantee",
          "1",
          "--categories",
          "allergies",
          "--purposes",
          "treatment",
          "--from-time",
          start,
          "--days",
          "10",
          "--from",
          "6",
        ),
      );
      expect(field(output, "window")).to.equal(`${start}T00:00:00Z until ${day(12)}T00:00:00Z`);
    });

    it("consent:grant: --days without --from-time counts from the time it is mined", async function () {
      const output = succeeded(
        await node.run(
          "careledger:consent:grant",
          "--patient",
          "2",
          "--grantee",
          "4",
          "--categories",
          "allergies",
          "--purposes",
          "treatment",
          "--days",
          "7",
          "--from",
          "6",
        ),
      );
      // The mined block's time is known only afterwards: the window starts from the estimate less the clock-skew
      // margin, never later than the block, so that it ends up to CLOCK_SKEW_MS (and the time to mine) early.
      expect(windowLength(output)).to.be.within(7 * DAY_MS - CLOCK_SKEW_MS - 3_000, 7 * DAY_MS);
    });

    it("identity:register: a bare --expires keeps the credential to the end of its day", async function () {
      const output = succeeded(
        await node.run(
          "careledger:identity:register",
          "--kind",
          "pharmacy",
          "--controller",
          "7",
          "--credential",
          "p",
          "--expires",
          "2030-06-30",
          "--from",
          "2",
        ),
      );
      const id = /^Participant (\d+) registered/.exec(output)?.[1] ?? "";
      expect(field(succeeded(await node.run("careledger:identity:show", "--id", id)), "credentialExpiry")).to.equal(
        "2030-06-30T23:59:59Z",
      );
    });

    it("refuses a date that is not in the calendar, naming the option", async function () {
      expect(
        refusal(
          await node.run(
            "careledger:consent:grant",
            "--patient",
            "2",
            "--grantee",
            "3",
            "--categories",
            "allergies",
            "--purposes",
            "treatment",
            "--until",
            "2030-02-30",
            "--from",
            "6",
          ),
        ),
      ).to.equal("--until: 2030-02-30 is not a date of the calendar");
    });
  });

  describe("accounts", function () {
    it("takes an account index or an address, in any case, for the same account", async function () {
      const check = (accessor: string) =>
        node.run(
          "careledger:consent:check",
          "--patient",
          "2",
          "--accessor",
          accessor,
          "--category",
          "allergies",
          "--purpose",
          "treatment",
        );
      const byIndex = succeeded(await check("8"));
      expect(field(byIndex, "accessor")).to.equal(`3 (${ACCOUNTS[8]})`);
      expect(succeeded(await check(ACCOUNTS[8]!.toLowerCase()))).to.equal(byIndex);
      const show = (address: string) => node.run("careledger:identity:show", "--address", address);
      expect(succeeded(await show("5"))).to.equal(succeeded(await show(ACCOUNTS[5]!)));
    });

    it("mints to an account index or an address alike", async function () {
      for (const to of ["7", ACCOUNTS[7]!]) {
        const output = succeeded(await node.run("careledger:test-token:mint", "--to", to, "--amount", "1"));
        expect(output.split("\n")[0]).to.equal(`Minted tUSD 1.00 to ${ACCOUNTS[7]}`);
      }
    });

    it("refuses an index the network does not have and a value that is neither, in one line", async function () {
      expect(refusal(await node.run("careledger:identity:rotate", "--id", "2", "--to", "99", "--from", "6"))).to.equal(
        "--to 99: network localhost has 10 accounts (0 to 9): give one or an address",
      );
      expect(refusal(await node.run("careledger:withdraw", "--to", "0x1234", "--from", "5"))).to.equal(
        '--to must be an account index of the network (0, 1, …) or an address, got "0x1234"',
      );
    });
  });

  describe("codes by name", function () {
    it("takes a reason by name and prints it with its number", async function () {
      const suspended = succeeded(
        await node.run(
          "careledger:identity:status",
          "--id",
          "1",
          "--action",
          "suspend",
          "--reason",
          "under-investigation",
          "--from",
          "2",
        ),
      );
      expect(field(suspended, "reason")).to.equal("4 (UnderInvestigation)");
      const reinstated = succeeded(
        await node.run(
          "careledger:identity:status",
          "--id",
          "1",
          "--action",
          "reinstate",
          "--reason",
          "7",
          "--from",
          "2",
        ),
      );
      expect(field(reinstated, "reason")).to.equal("7 (InvestigationClosed)");
    });

    it("refuses an unknown reason name, listing the names", async function () {
      expect(
        refusal(
          await node.run(
            "careledger:consent:request",
            "--patient",
            "2",
            "--categories",
            "allergies",
            "--purposes",
            "treatment",
            "--days",
            "1",
            "--reason",
            "curiosity",
            "--from",
            "8",
          ),
        ),
      ).to.equal(
        "--reason must be a code from 0 to 65535 or one of referral, continuity-of-care, second-opinion, " +
          'care-coordination, claims-processing, research, public-health-reporting or other, got "curiosity"',
      );
    });

    it("refuses --kind patient, saying where a patient registers", async function () {
      expect(
        refusal(
          await node.run(
            "careledger:identity:register",
            "--kind",
            "patient",
            "--controller",
            "7",
            "--credential",
            "c",
            "--expires",
            "2099-01-01",
            "--from",
            "2",
          ),
        ),
      ).to.equal(
        "--kind patient: a patient registers herself, with careledger:identity:register-patient --from <her key>",
      );
    });

    it("lists the categories and purposes in `hardhat help`", async function () {
      this.timeout(30_000);
      const { output, code } = await node.cli(["help", "careledger:consent:grant"]);
      expect(code).to.equal(0);
      const help = output.replace(/\s+/g, " ");
      expect(help).to.contain(oneOf(enumNames(DataCategory)));
      expect(help).to.contain(oneOf(enumNames(Purpose)));
    });
  });
  describe("secrets and PHI in refusals", function () {
    /** 63 hex digits: one short of a key or salt, the mistake of a truncated paste. */
    const SHORT = "0x5eb1d2c0e6a3b9f74d8c21a0f3e6b59d7c4a18e2b0f9d3c6a5e7b1d4c8f2a6e";
    const notShown = (option: string) =>
      `--${option} must be 32 bytes of hex (0x + 64 digits), got 63 digits (a secret: not shown)`;
    const member = `0x${"ab".repeat(32)}`;

    /** The refusal of a task given a malformed secret, checked to hold none of it. */
    async function refusedSecretly(secret: string, task: string, ...argv: string[]): Promise<string> {
      const result = await node.run(`careledger:${task}`, ...argv);
      expect(leaks(result.output, secret), result.output).to.equal(false);
      return refusal(result);
    }

    it("claim:submit never echoes a malformed --reference-key", async function () {
      const argv = ["--member", member, "--plan", "1", "--claim-number", "C-1", "--reference-key", SHORT];
      expect(await refusedSecretly(SHORT, "claim:submit", ...argv, "--line", "70553:1:10:2026-01-02")).to.equal(
        notShown("reference-key"),
      );
    });

    it("record:verify never echoes a malformed --salt", async function () {
      const argv = ["--file", observation, "--salt", SHORT, "--patient", "2"];
      expect(await refusedSecretly(SHORT, "record:verify", ...argv)).to.equal(notShown("salt"));
    });

    it("identity:attest-identifier never echoes a malformed --salt", async function () {
      const argv = ["--patient", "2", "--system", "urn:mrn", "--value", "A1", "--salt", SHORT, "--from", "5"];
      expect(await refusedSecretly(SHORT, "identity:attest-identifier", ...argv)).to.equal(notShown("salt"));
    });

    it("eob never echoes a malformed --member-key, nor the --member-number", async function () {
      const argv = ["--member-number", "EV-4471-22", "--member-key", SHORT, "--plan", "1"];
      const line = await refusedSecretly(SHORT, "eob", ...argv);
      expect(line).to.equal(notShown("member-key"));
      expect(line).to.not.contain("4471");
    });

    it("record:anchor never echoes a malformed --key, nor a private key given as a reader", async function () {
      const anchor = ["--file", observation, "--patient", "2", "--category", "allergies"];
      expect(await refusedSecretly(SHORT, "record:anchor", ...anchor, "--key", SHORT)).to.equal(notShown("key"));
      expect(await refusedSecretly(encryptionKey, "record:anchor", ...anchor, "--readers", encryptionKey)).to.equal(
        "--readers: 32 bytes of hex is the length of a private key, not a public key (not shown); give the public " +
          "key careledger:keys:new printed (33 bytes, 02… or 03…)",
      );
    });

    it("says a CARELEDGER_MEMBER_KEY is malformed in one line, without it, on the command line", async function () {
      this.timeout(30_000);
      const { output, code } = await node.cli(["careledger:eob", "--member-number", "EV-4471-22", "--plan", "1"], {
        CARELEDGER_MEMBER_KEY: SHORT,
      });
      expect(code).to.equal(1);
      expect(output.trim().split("\n")).to.deep.equal([
        "Error in plugin careledger: the environment variable CARELEDGER_MEMBER_KEY must be 32 bytes of hex " +
          "(0x + 64 digits) (a secret: not shown)",
      ]);
      expect(leaks(output, SHORT)).to.equal(false);
    });

    // A FHIR file is PHI: JSON.parse's message would quote it ("Unexpected token 'J', "Jane Doe, "...").
    it("record:anchor and record:verify locate a FHIR file that is not JSON by line and column, quoting none of it", async function () {
      const record = path.join(node.work, "jane.json");
      fs.writeFileSync(record, "Jane Doe, born 1980-04-02\nMRN 4471-22\n");
      const expected = `--file ${record}: not valid JSON: an unexpected character where a value should be at line 1, column 1`;
      for (const argv of [
        [
          "careledger:record:anchor",
          "--file",
          record,
          "--patient",
          "2",
          "--category",
          "allergies",
          "--key",
          encryptionKey,
        ],
        ["careledger:record:verify", "--file", record, "--salt", ZERO_HASH, "--patient", "2"],
      ]) {
        const result = await node.run(...argv);
        for (const phi of ["Jane", "Doe", "1980", "4471"]) expect(result.output).to.not.contain(phi);
        expect(refusal(result)).to.equal(expected);
      }
    });

    it("plan:create locates a plan file that is not JSON by line and column", async function () {
      const broken = path.join(node.work, "plan-broken.json");
      fs.writeFileSync(broken, '{\n  "terms": {"deductible": "0", oopMax: "3000.00"}\n}\n');
      expect(refusal(await node.run("careledger:plan:create", "--file", broken, "--from", "9"))).to.equal(
        `--file ${broken}: not valid JSON: a property name not in double quotes (or a comma before a closing ` +
          "brace) at line 2, column 32",
      );
    });
  });

  // Last: these move the chain's clock a day ahead of the wall clock at a time, with no block mined, as a chain that
  // mines only when there are transactions stands still while the day passes.
  describe("windows counted from now, on a chain idle for a day", function () {
    const idleForADay = async () => {
      await node.rpc("evm_increaseTime", [86_400]);
    };
    /** The latest block's time, in milliseconds. */
    const blockTime = async () => {
      const block = await node.rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
      return Number(BigInt(block.timestamp)) * 1000;
    };
    /** The options of consent:request from practitioner 3 (account 8) to patient 2. */
    const requestArgs = (days: string, respondHours: string): string[] => [
      ...["--patient", "2", "--categories", "allergies", "--purposes", "treatment", "--days", days],
      ...["--reason", "referral", "--respond-hours", respondHours, "--from", "8"],
    ];
    /** The request id consent:request printed. */
    const requestId = (output: string): string => {
      const id = /^Request (\d+) to patient 2/.exec(output)?.[1];
      if (id === undefined) throw new Error(`no request id in:\n${output}`);
      return id;
    };

    it("consent:request gives the patient the hours asked for, counted from when it is mined", async function () {
      await idleForADay();
      const output = succeeded(await node.run("careledger:consent:request", ...requestArgs("2", "1")));
      // Counted from the latest block, a day old, the hour would have passed already (ConsentInvalidRequestTerms).
      expect(Date.parse(field(output, "respondBy")) - (await blockTime())).to.be.within(
        HOUR_MS - CLOCK_SKEW_MS - 3_000,
        HOUR_MS,
      );
    });

    it("consent:approve --days lasts the days given from when it is mined", async function () {
      const id = requestId(succeeded(await node.run("careledger:consent:request", ...requestArgs("2", "720"))));
      await idleForADay();
      const output = succeeded(
        await node.run("careledger:consent:approve", "--request", id, "--days", "1", "--from", "6"),
      );
      // Counted from the latest block, a day old, the window would have ended as it began (ConsentInvalidWindow).
      expect(windowLength(output)).to.be.within(DAY_MS - CLOCK_SKEW_MS - 3_000, DAY_MS);
    });

    it("consent:approve grants the whole duration asked for, the contract's maximum, without a refusal", async function () {
      const id = requestId(succeeded(await node.run("careledger:consent:request", ...requestArgs("2", "72"))));
      await idleForADay();
      const output = succeeded(await node.run("careledger:consent:approve", "--request", id, "--from", "6"));
      expect(windowLength(output)).to.be.within(2 * DAY_MS - CLOCK_SKEW_MS - 3_000, 2 * DAY_MS);
    });

    it("consent:grant --days lasts the days given from when it is mined", async function () {
      await idleForADay();
      const output = succeeded(
        await node.run(
          "careledger:consent:grant",
          ...["--patient", "2", "--grantee", "1", "--categories", "allergies", "--purposes", "treatment"],
          ...["--days", "1", "--from", "6"],
        ),
      );
      expect(windowLength(output)).to.be.within(DAY_MS - CLOCK_SKEW_MS - 3_000, DAY_MS);
    });
  });
});
