import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";

import type { AllocationFile } from "../../sdk/trials/allocation";
import { anvilAvailable, startTaskNode, type TaskNode, field, refusal } from "../helpers/task-node";
import { skipCliTestsIfAsked } from "../helpers/runs";

// The clinical-trials tasks through the command line against a real node: one trial's life from registration to its
// transparency report, and the one-line refusals an operator meets on the way. The refusals run on the trial the
// story leaves behind (one node for the whole file, as the other task tests do).

const REGISTRAR = "2";
/** Development accounts acting as the trial's parties (registered in `before`, participant ids in this order). */
const SPONSOR = "5"; // participant 1, a research sponsor
const ETHICS = "6"; // participant 2, an organization
const REGULATOR = "7"; // participant 3
const RANDOMIZER = "8"; // participant 4, an organization
const HOSPITAL = "9"; // participant 5, the site's organization
const INVESTIGATOR = "0"; // participant 6, a practitioner of the hospital
const PATIENT = "4"; // participant 7, who grants the sponsor research use
const OTHER_PATIENT = "3"; // participant 8, who grants nothing
const IDS = { sponsor: 1, ethics: 2, regulator: 3, randomizer: 4, hospital: 5, investigator: 6, patient: 7, other: 8 };

const DAY_MS = 86_400_000;
/** A day `days` from now, as YYYY-MM-DD. */
const dayFromNow = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe("tasks: clinical trials", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  let node: TaskNode;
  const file = (name: string): string => path.join(node.work, name);
  const write = (name: string, content: unknown): string => {
    fs.writeFileSync(file(name), typeof content === "string" ? content : JSON.stringify(content));
    return file(name);
  };
  const ok = async (...argv: string[]): Promise<string> => {
    const result = await node.run(...argv);
    if (process.env.SHOW === "1") console.log(`$ ${argv.join(" ")}\n${result.output}`);
    expect(result.code, result.output).to.equal(0);
    return result.output;
  };
  const primaryCompletion = dayFromNow(400);

  before(async function () {
    if (!anvilAvailable()) this.skip();
    this.timeout(180_000);
    node = await startTaskNode();
    await ok("careledger:deploy", "--parameters", "localhost");
    const parties: [string, string][] = [
      ["research-sponsor", SPONSOR],
      ["organization", ETHICS],
      ["regulator", REGULATOR],
      ["organization", RANDOMIZER],
      ["organization", HOSPITAL],
    ];
    for (const [kind, account] of parties) {
      await ok(
        ...["careledger:identity:register", "--kind", kind, "--controller", account],
        ...["--credential", `licence ${kind} ${account}`, "--expires", "2040-01-01", "--from", REGISTRAR],
      );
    }
    await ok(
      ...["careledger:identity:register", "--kind", "practitioner", "--controller", INVESTIGATOR],
      ...["--credential", "licence of the investigator", "--expires", "2040-01-01"],
      ...["--affiliation", String(IDS.hospital), "--from", REGISTRAR],
    );
    await ok("careledger:identity:accept-affiliate", "--id", String(IDS.investigator), "--from", HOSPITAL);
    await ok("careledger:identity:register-patient", "--from", PATIENT);
    await ok("careledger:identity:register-patient", "--from", OTHER_PATIENT);
    write("protocol.txt", "Protocol v1: a randomized trial of drug X against placebo");
    write("protocol-v2.txt", "Protocol v2: adds a liver-function visit");
    write("plan.txt", "Statistical analysis plan v1");
    write("consent-v1.txt", "Informed consent form v1");
    write("consent-v2.txt", "Informed consent form v2: the new visit's risks");
    write("signed-form.txt", "Consent form v1 signed by the participant");
    write("signed-form-v2.txt", "Consent form v2 signed by the participant");
    write("outcomes.json", [
      { title: "HbA1c at 26 weeks", timeFrame: "26 weeks", primary: true },
      { title: "Body weight at 26 weeks", timeFrame: "26 weeks", primary: false },
      { title: "Hypoglycaemia events", timeFrame: "52 weeks", primary: false },
    ]);
  });
  after(function () {
    (node as TaskNode | undefined)?.stop();
  });

  it("runs a trial from registration to results and its transparency report", async function () {
    this.timeout(120_000);
    const trial = ["--trial", "1"];

    // The sponsor registers the trial with three outcomes; the outcomes file keeps their salts.
    const registered = await ok(
      ...["careledger:trial:register", "--protocol", file("protocol.txt"), "--plan", file("plan.txt")],
      ...["--consent-form", file("consent-v1.txt"), "--outcomes", file("outcomes.json")],
      ...["--out", file("trial-outcomes.json"), "--categories", "conditions,laboratory-results"],
      ...["--primary-completion", primaryCompletion, "--ethics-committee", String(IDS.ethics)],
      ...["--regulator", String(IDS.regulator), "--randomizer", String(IDS.randomizer), "--from", SPONSOR],
    );
    expect(registered.split("\n")[0]).to.equal("Trial 1 registered");
    expect(field(registered, "registration")).to.equal("on time");
    expect(field(registered, "primaryCompletion")).to.equal(`${primaryCompletion}T23:59:59Z`);
    expect(field(registered, "categories")).to.equal("conditions, laboratory-results");
    expect(field(registered, "protocol")).to.match(/^0x[0-9a-f]{64} \(salt 0x[0-9a-f]{64}: keep it with the file\)$/);
    const kept = JSON.parse(fs.readFileSync(file("trial-outcomes.json"), "utf8")) as {
      outcomes: { title: string; commitment: string; salt: string }[];
    };
    expect(kept.outcomes.map((outcome) => outcome.title)).to.deep.equal([
      "HbA1c at 26 weeks",
      "Body weight at 26 weeks",
      "Hypoglycaemia events",
    ]);

    // A site is proposed by the sponsor and activated by the ethics committee.
    const proposed = await ok(
      ...["careledger:trial:site", ...trial, "--organization", String(IDS.hospital)],
      ...["--investigator", String(IDS.investigator), "--from", SPONSOR],
    );
    expect(proposed.split("\n")[0]).to.equal("Site 1 of trial 1 proposed: organization 5, investigator 6");
    expect((await ok("careledger:trial:site", ...trial, "--activate", "1", "--from", ETHICS)).split("\n")[0]).to.equal(
      "Site 1 of trial 1 active: it enrolls",
    );

    // The sponsor generates and commits the allocation: the file is owner-only and no arm or salt is printed.
    const randomized = await ok(
      ...["careledger:trial:randomize", ...trial, "--per-stratum", "8", "--strata", "2"],
      ...["--out", file("allocation.json"), "--from", SPONSOR],
    );
    expect(randomized.split("\n")[0]).to.equal("Allocation of trial 1 committed: 2 arms, 2 strata of 8");
    expect(fs.statSync(file("allocation.json")).mode & 0o777).to.equal(0o600);
    const allocation = JSON.parse(fs.readFileSync(file("allocation.json"), "utf8")) as AllocationFile;
    expect(field(randomized, "root")).to.equal(allocation.root);
    for (const entry of allocation.entries) expect(randomized).not.to.contain(entry.salt.slice(2));

    // The patient grants the sponsor research use of the trial's categories; the investigator enrolls her.
    await ok(
      ...["careledger:consent:grant", "--patient", String(IDS.patient), "--grantee", String(IDS.sponsor)],
      ...["--categories", "conditions,laboratory-results", "--purposes", "research", "--days", "365"],
      ...["--from", PATIENT],
    );
    const enrolled = await ok(
      ...["careledger:trial:enroll", ...trial, "--site", "1", "--patient", String(IDS.patient), "--stratum", "1"],
      ...["--signer", PATIENT, "--signed-form", file("signed-form.txt"), "--from", INVESTIGATOR],
    );
    expect(enrolled.split("\n")[0]).to.equal("Patient 7 enrolled in trial 1 at site 1: stratum 1, allocation 0");
    expect(field(enrolled, "consent")).to.match(/^version 1, signed here by 0x[0-9a-fA-F]{40}; signed form 0x/);
    const revealed = await ok(
      ...["careledger:trial:reveal", ...trial, "--patient", String(IDS.patient)],
      ...["--allocation", file("allocation.json"), "--from", RANDOMIZER],
    );
    expect(revealed.split("\n")[0]).to.equal("Allocation of patient 7 in trial 1 revealed: stratum 1, allocation 0");
    expect(field(revealed, "armCommitment")).to.match(/^0x[0-9a-f]{64} \(the arm stays concealed/);

    // An amendment with a major consent change, approved: no data for her until she re-consents.
    const amended = await ok(
      ...["careledger:trial:amend", ...trial, "--protocol", file("protocol-v2.txt")],
      ...["--consent-form", file("consent-v2.txt"), "--major", "--from", SPONSOR],
    );
    expect(amended.split("\n")[0]).to.equal("Amendment 1 to trial 1 proposed: awaiting the ethics committee");
    const approved = await ok("careledger:trial:approve", ...trial, "--amendment", "1", "--from", ETHICS);
    expect(approved.split("\n")[0]).to.equal("Amendment 1 to trial 1 approved: in effect");
    expect(field(approved, "consentForm")).to.match(/^version 2, a major change: no data is accepted/);
    write("visit-1.json", { visit: 1, hba1c: 7.9 });
    write("entries.json", [{ patient: IDS.patient, entryFile: "visit-1.json" }]);
    const data = ["careledger:trial:data", ...trial, "--site", "1", "--entries", file("entries.json")];
    expect(refusal(await node.run(...data, "--out", file("batch.json"), "--from", INVESTIGATOR))).to.equal(
      `--entries ${file("entries.json")}: patient 7 must re-consent first: they signed consent form version 1 and ` +
        "version 2 is a major change (careledger:trial:reconsent --trial 1 --patient 7)",
    );
    const signed = await ok(
      ...["careledger:trial:sign-consent", ...trial, "--patient", String(IDS.patient)],
      ...["--signed-form", file("signed-form-v2.txt"), "--out", file("consent-v2.sig.json"), "--from", PATIENT],
    );
    expect(signed.split("\n")[0]).to.equal("Patient 7 signed consent form version 2 of trial 1 for site 1");
    const reconsented = await ok(
      ...["careledger:trial:reconsent", ...trial, "--patient", String(IDS.patient)],
      ...["--signature-file", file("consent-v2.sig.json"), "--from", INVESTIGATOR],
    );
    expect(reconsented.split("\n")[0]).to.equal("Patient 7 re-consented to trial 1: consent form version 2");

    // A life-threatening SAE, assessed as a SUSAR and reported on time.
    write("sae.txt", "SAE form: anaphylaxis after dose 3");
    write("susar.txt", "IND safety report 1");
    const sae = await ok(
      ...["careledger:trial:sae", ...trial, "--patient", String(IDS.patient), "--report", file("sae.txt")],
      ...["--life-threatening", "--from", INVESTIGATOR],
    );
    expect(sae.split("\n")[0]).to.equal("Serious adverse event 1 of trial 1 recorded: patient 7");
    expect(field(sae, "clock")).to.equal("7 days (fatal or life-threatening)");
    const aware = Date.parse(field(sae, "aware"));
    const due = field(sae, "due").split(": ")[0]!;
    expect(Date.parse(due) - aware).to.equal(7 * DAY_MS);
    const assessed = await ok("careledger:trial:sae", ...trial, "--event", "1", "--assess", "susar", "--from", SPONSOR);
    expect(assessed.split("\n")[0]).to.equal("Adverse event 1 of trial 1 assessed: a SUSAR");
    const susar = await ok(
      ...["careledger:trial:report-susar", ...trial, "--event", "1", "--report", file("susar.txt")],
      ...["--from", SPONSOR],
    );
    expect(susar.split("\n")[0]).to.equal("SUSAR 1 of trial 1 reported to the regulator (participant 3): on time");

    // Data anchored, the database locked with the dataset's hash.
    const batch = await ok(...data, "--out", file("batch.json"), "--from", INVESTIGATOR);
    expect(batch.split("\n")[0]).to.equal("Batch 1 of trial 1 anchored by site 1: 1 entry");
    const batchFile = JSON.parse(fs.readFileSync(file("batch.json"), "utf8")) as { entries: { salt?: string }[] };
    expect(batchFile.entries[0]?.salt).to.match(/^0x[0-9a-f]{64}$/);
    write("dataset.csv", "patient,arm,hba1c\n7,?,7.1\n");
    const locked = await ok("careledger:trial:lock", ...trial, "--dataset", file("dataset.csv"), "--from", SPONSOR);
    expect(locked.split("\n")[0]).to.equal("Trial 1 locked");
    expect(refusal(await node.run(...data, "--out", file("late-batch.json"), "--from", INVESTIGATOR))).to.equal(
      `--trial 1 is locked since ${field(locked, "lockedAt")}: no data until it is unlocked (the sponsor asks with ` +
        "careledger:trial:unlock --trial 1 --reason CODE)",
    );

    // Results leave out a pre-specified secondary outcome and add one never pre-specified.
    write("result-hba1c.txt", "HbA1c: -0.8% vs placebo");
    write("result-hypo.txt", "Hypoglycaemia: 3 vs 2 events");
    write("result-liver.txt", "ALT: no difference");
    write("results.json", [
      { outcome: "HbA1c at 26 weeks", resultFile: "result-hba1c.txt" },
      { outcome: "hypoglycaemia events", resultFile: "result-hypo.txt" },
      { outcome: "Liver enzymes", new: true, timeFrame: "26 weeks", resultFile: "result-liver.txt" },
    ]);
    write("typo.json", [{ outcome: "HbA1c at 62 weeks", resultFile: "result-hba1c.txt" }]);
    expect(
      refusal(
        await node.run(
          ...["careledger:trial:results", ...trial, "--results", file("typo.json")],
          ...["--outcomes-file", file("trial-outcomes.json"), "--from", SPONSOR],
        ),
      ),
    ).to.equal(
      `--results ${file("typo.json")}: entry 1: no outcome titled "HbA1c at 62 weeks" in the outcomes file (it has ` +
        '"HbA1c at 26 weeks", "Body weight at 26 weeks", "Hypoglycaemia events"); for an outcome never specified, ' +
        'add "new": true and its "timeFrame"',
    );
    const results = await ok(
      ...["careledger:trial:results", ...trial, "--results", file("results.json")],
      ...["--outcomes-file", file("trial-outcomes.json"), "--from", SPONSOR],
    );
    expect(results.split("\n")[0]).to.equal("Results of trial 1 reported: version 1, on time");
    expect(field(results, "reported")).to.equal("3 outcome(s): 2 of 3 pre-specified, 1 added");
    expect(field(results, "notReported")).to.equal('secondary "Body weight at 26 weeks"');
    expect(field(results, "added")).to.equal('secondary "Liver enzymes" (never pre-specified)');
    expect(field(results, "primary")).to.equal("as pre-specified");
    expect(results).to.match(
      /Result commitments \(keep each salt with its result file\):\n {2}"HbA1c at 26 weeks": 0x/,
    );

    // The report names both, by title, with the deadlines.
    const report = await ok("careledger:trial:report", ...trial, "--outcomes-file", file("trial-outcomes.json"));
    const lines = report.split("\n");
    expect(lines[0]).to.match(/^Trial 1: Locked, 1 enrolled \(as of \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\)$/);
    expect(report).to.contain("NOT REPORTED: secondary Body weight at 26 weeks");
    expect(report).to.contain("ADDED, never pre-specified: secondary Liver enzymes");
    expect(report).to.contain("primary outcome as pre-specified");
    // Reported before the primary completion date: the deadline is not met by it (an early report, then an unlock,
    // must not stop the clock).
    expect(report).to.match(
      /Results: due \d{4}-\d{2}-\d{2}, reported only before the primary completion date \(\d{4}-\d{2}-\d{2}\), which does not meet it/,
    );
    const deadlines = lines.slice(lines.indexOf("Deadlines:") + 1).filter((line) => line !== "");
    expect(deadlines[0]).to.match(/^ {2}results due \S+ \(12 months after the primary completion, \S+\)$/);
    expect(deadlines[0]).to.contain(`after the primary completion, ${primaryCompletion}T23:59:59Z`);
    expect(deadlines[1]).to.match(/^ {2}registration due \S+ \(21 days after the first enrollment, \S+\)$/);
    expect(deadlines[2]).to.equal(`  SUSAR report of event 1 due ${due}: reported ${field(susar, "reported")}`);
    expect(field(susar, "reported")).to.match(ISO);
    expect(await ok("careledger:trial:overdue")).to.equal("Trials with late results: none\n");
  });

  it("unlocks the database on the sponsor's request and the regulator's approval", async function () {
    expect(refusal(await node.run("careledger:trial:unlock", "--trial", "1", "--approve", "--from", ETHICS))).to.equal(
      "--approve: the sponsor has not asked to unlock trial 1: it asks with careledger:trial:unlock --trial 1 " +
        "--reason CODE",
    );
    const requested = await ok(
      ...["careledger:trial:unlock", "--trial", "1", "--reason", "missing-data", "--from", SPONSOR],
    );
    expect(requested.split("\n")[0]).to.equal("Unlock of trial 1 requested");
    expect(field(requested, "reason")).to.equal("3 (MissingData)");
    const unlocked = await ok("careledger:trial:unlock", "--trial", "1", "--approve", "--from", REGULATOR);
    expect(unlocked.split("\n")[0]).to.equal("Trial 1 unlocked");
    expect(field(unlocked, "reason")).to.equal("3 (MissingData)");
  });

  describe("refusals", function () {
    it("refuses an unknown trial in one line, with exit code 1 on the command line", async function () {
      this.timeout(60_000);
      const expected =
        "--trial 9: no trial 9 on this chain (the registry has 1); careledger:trial:register prints a trial's id";
      expect(refusal(await node.run("careledger:trial:report", "--trial", "9"))).to.equal(expected);
      const cli = await node.cli(["careledger:trial:report", "--trial", "9"]);
      expect(cli.code, cli.output).to.equal(1);
      expect(cli.output.trim()).to.equal(`Error in plugin careledger: ${expected}`);
    });

    it("refuses an unknown site, a patient not enrolled and one without a research grant", async function () {
      const enroll = ["careledger:trial:enroll", "--trial", "1", "--stratum", "0", "--from", INVESTIGATOR];
      const signer = ["--signer", OTHER_PATIENT, "--signed-form", file("signed-form.txt")];
      expect(refusal(await node.run(...enroll, "--site", "4", "--patient", String(IDS.other), ...signer))).to.equal(
        "--site 4: trial 1 has no site 4 (it has site 1); the sponsor proposes one with careledger:trial:site " +
          "--trial 1 --organization ID --investigator ID",
      );
      expect(refusal(await node.run(...enroll, "--site", "1", "--patient", String(IDS.other), ...signer))).to.equal(
        "--patient 8 does not allow sponsor 1 research use of conditions (no-grant): the patient grants it with " +
          "careledger:consent:grant --patient 8 --grantee 1 --categories conditions,laboratory-results " +
          "--purposes research",
      );
      expect(
        refusal(
          await node.run(
            ...["careledger:trial:reveal", "--trial", "1", "--patient", String(IDS.other)],
            ...["--allocation", file("allocation.json"), "--from", RANDOMIZER],
          ),
        ),
      ).to.equal(
        "--patient 8 is not a participant of trial 1: a site's investigator enrolls them with careledger:trial:enroll",
      );
      expect(refusal(await node.run(...enroll, "--site", "1", "--patient", String(IDS.patient), ...signer))).to.equal(
        "--patient 7 is enrolled already in trial 1 (site 1): a patient is enrolled once",
      );
    });

    it("refuses a missing file, a bad code and a bad assessment, naming the option", async function () {
      expect(
        refusal(
          await node.run(
            ...["careledger:trial:register", "--protocol", file("missing.txt"), "--plan", file("plan.txt")],
            ...["--consent-form", file("consent-v1.txt"), "--outcomes", file("outcomes.json")],
            ...["--out", file("outcomes-2.json"), "--categories", "conditions"],
            ...["--primary-completion", primaryCompletion, "--ethics-committee", String(IDS.ethics)],
            ...["--regulator", String(IDS.regulator), "--randomizer", String(IDS.randomizer), "--from", SPONSOR],
          ),
        ),
      ).to.equal(`--protocol ${file("missing.txt")}: no such file`);
      const unblind = ["careledger:trial:unblind", "--trial", "1", "--patient", String(IDS.patient)];
      expect(refusal(await node.run(...unblind, "--reason", "aliens", "--from", INVESTIGATOR))).to.equal(
        "--reason must be a code from 0 to 65535 or one of medical-emergency, serious-adverse-event, overdose or " +
          'regulatory-request, got "aliens"',
      );
      expect(refusal(await node.run(...unblind, "--reason", "0", "--from", INVESTIGATOR))).to.equal(
        "--reason 0: a reason is required: one of medical-emergency, serious-adverse-event, overdose or " +
          "regulatory-request, or a code of the consortium's list",
      );
      expect(
        refusal(
          await node.run(
            "careledger:trial:sae",
            "--trial",
            "1",
            "--event",
            "1",
            "--assess",
            "maybe",
            "--from",
            SPONSOR,
          ),
        ),
      ).to.equal('--assess must be susar or not-susar, got "maybe"');
      expect(
        refusal(await node.run("careledger:trial:approve", "--trial", "1", "--amendment", "5", "--from", ETHICS)),
      ).to.equal("--amendment 5: trial 1 has no amendment 5 (it has amendment 1); careledger:trial:amend proposes one");
    });

    it("records an emergency unblinding by the site's investigator, and names a contract's refusal", async function () {
      const unblinded = await ok(
        ...["careledger:trial:unblind", "--trial", "1", "--patient", String(IDS.patient)],
        ...["--reason", "serious-adverse-event", "--from", INVESTIGATOR],
      );
      expect(unblinded.split("\n")[0]).to.equal("Patient 7 of trial 1 unblinded in an emergency");
      expect(field(unblinded, "reason")).to.equal("2 (SeriousAdverseEvent)");
      expect(
        refusal(
          await node.run("careledger:trial:lock", "--trial", "1", "--root", `0x${"ab".repeat(32)}`, "--from", ETHICS),
        ),
      ).to.match(/^the contract refused: TrialNotSponsor\b/);
    });

    it("keeps the allocation file to its owner: refuses one others can read, and never overwrites one", async function () {
      fs.copyFileSync(file("allocation.json"), file("allocation-shared.json"));
      fs.chmodSync(file("allocation-shared.json"), 0o644);
      expect(
        refusal(
          await node.run(
            ...["careledger:trial:reveal", "--trial", "1", "--patient", String(IDS.patient)],
            ...["--allocation", file("allocation-shared.json"), "--from", RANDOMIZER],
          ),
        ),
      ).to.equal(
        `--allocation ${file("allocation-shared.json")} can be read by other users (mode 0644): it holds every arm; ` +
          `run chmod 600 ${file("allocation-shared.json")}`,
      );
      expect(
        refusal(
          await node.run(
            ...["careledger:trial:randomize", "--trial", "1", "--per-stratum", "4", "--out", file("allocation.json")],
            ...["--no-commit", "--from", SPONSOR],
          ),
        ),
      ).to.equal(
        `--out ${file("allocation.json")} already exists: it is never overwritten (it may hold salts); choose a new name`,
      );
    });
  });

  describe("registration deadline", function () {
    it("flags a trial registered more than 21 days after its first enrollment as late", async function () {
      const registered = await ok(
        ...["careledger:trial:register", "--protocol", file("protocol.txt"), "--plan", file("plan.txt")],
        ...["--consent-form", file("consent-v1.txt"), "--outcomes", file("outcomes.json")],
        ...["--out", file("trial-2-outcomes.json"), "--categories", "conditions"],
        ...["--primary-completion", primaryCompletion, "--first-enrolled", dayFromNow(-30)],
        ...["--ethics-committee", String(IDS.ethics), "--regulator", String(IDS.regulator)],
        ...["--randomizer", String(IDS.randomizer), "--from", SPONSOR],
      );
      expect(registered.split("\n")[0]).to.equal("Trial 2 registered");
      expect(field(registered, "registration")).to.match(/^LATE: more than 21 days after the first enrollment/);
      expect(field(registered, "firstEnrolled")).to.equal(`${dayFromNow(-30)}T00:00:00Z`);
      const report = await ok("careledger:trial:report", "--trial", "2");
      expect(report).to.contain("LATE (more than 21 days after the first enrollment)");
      expect(report).to.match(/registration due \S+ \(21 days after the first enrollment, \S+\)/);
    });
  });
});
