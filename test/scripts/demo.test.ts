import { execFile } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

import { expect } from "chai";

import { day, duration, listed, when, words } from "../../scripts/demo/narration";
import { skipCliTestsIfAsked } from "../helpers/runs";

const ROOT = path.join(__dirname, "..", "..");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

interface Told {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm run demo` as the command line does (`hardhat run`, already compiled), with `flags` after it and `extra`
 * added to the environment.
 */
function tell(flags: string[] = [], extra: NodeJS.ProcessEnv = {}): Promise<Told> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever this test run was started with, the demo gets only the flags each case asks for.
  delete env.HARDHAT_VERBOSE;
  delete env.HARDHAT_NETWORK;
  delete env.DEBUG;
  Object.assign(env, extra);
  return new Promise((resolve) => {
    execFile(
      HARDHAT,
      ["run", "--no-compile", "scripts/demo/run.ts", ...flags],
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        // Hardhat colours its error line when it believes it runs on CI; the tests read the text.
        resolve({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) });
      },
    );
  });
}

const ADDRESS = /0x[0-9a-fA-F]{40}/;
/** A numbered step of the story: the headlines, the same whoever it is told for. */
const headlines = (told: Told) => told.stdout.split("\n").filter((line) => /^\d+\. /.test(line));
const lines = (told: Told) => told.stdout.split("\n");

/**
 * The demo is told for people by default (names, dollars, UTC dates, codes in words) and for developers with Hardhat's
 * `--verbose` (addresses, hashes, gas). It runs the whole story twice here, side by side: about 40 s, most of it the
 * supply-chain chapter's 10,000-pack trees and shipment package (over two minutes on a busy two-core machine).
 */
describe("scripts: the demo", function () {
  let plain: Told;
  let detailed: Told;

  before(async function () {
    skipCliTestsIfAsked(this);
    this.timeout(240_000);
    [plain, detailed] = await Promise.all([tell(), tell(["--verbose"])]);
  });

  it("tells the whole story and exits 0, with and without --verbose", function () {
    expect(plain.code, plain.stderr).to.equal(0);
    expect(detailed.code, detailed.stderr).to.equal(0);
    expect(plain.stdout).to.match(
      /\nDone: 27 participants, .* and \$1,172\.00 paid, 10,200 serialized packs traced from manufacturer to patient \(1 dispensed, 1 clone caught, 1 lot recalled\), a trial of 3 participants with 1 SUSAR reported on time and its results compared with what it pre-specified \(1 outcome left out, 1 added\); every step above/,
    );
  });

  it("prints no address and no gas by default, only the hint that --verbose shows them", function () {
    expect(plain.stdout).not.to.match(ADDRESS);
    expect(plain.stdout).not.to.match(/\b0x[0-9a-fA-F]{16}/);
    expect(lines(plain).filter((line) => /gas/i.test(line))).to.deep.equal([
      "(npm run demo -- --verbose adds the addresses, hashes and gas of every step)",
    ]);
    expect(plain.stderr).to.equal("");
  });

  it("adds the addresses, hashes, decoded errors and gas of the transactions with --verbose", function () {
    expect(detailed.stdout).to.match(ADDRESS);
    expect(detailed.stdout).not.to.include("--verbose adds");
    expect(lines(detailed).filter((line) => / \(gas \d+(?: and \d+)?\)/.test(line)).length).to.be.greaterThan(30);
    expect(detailed.stdout).to.match(
      /\n {3}Dr\. Patel decides: refused — deciding an appeal needs the CLAIMS_REVIEWER role \[AccessManagedUnauthorized\(0x[0-9a-fA-F]{40}\)\]\n/,
    );
    expect(detailed.stdout).to.match(/\n {3}root 0x[0-9a-f]{64}\n/);
  });

  it("keeps Hardhat's debug log, which --verbose also turns on, out of the story", function () {
    expect(detailed.stderr).not.to.include("hardhat-ignition");
    expect(detailed.stderr).not.to.include("hardhat-network:provider");
    // What remains is the `hardhat run` process's and Hardhat's loading, around the story and never inside it.
    expect(detailed.stdout).not.to.match(/^\d{4}-\d\d-\d\dT.* hardhat/m);
  });

  it("keeps the story's headlines whatever it is told with", function () {
    expect(headlines(plain)).to.have.length.greaterThan(40);
    expect(headlines(detailed)).to.deep.equal(headlines(plain));
  });

  it("gives amounts in dollars, dates in UTC and denial codes with their meaning", function () {
    expect(lines(plain)).to.include.members([
      "   plan pays $1,172.00: credited to St. Mary's account",
      "   Alice owes $793.00; Evergreen paid $1,172.00; deductible met $500.00 of $500.00, out of pocket $793.00 of $3,000.00",
      "   claim SMH-2027-004217-02 to plan 1, from St. Mary's: denied",
      "   Dr. Okafor, conditions: denied: no grant of hers covers it",
      "   hospital grant version 2: demographics, laboratory results and insurance and claims, for treatment and payment",
      "   her brother tries to take it: refused — St. Mary's attested that number for Alice, not for him",
    ]);
    expect(plain.stdout).to.match(/\n {3}10,000 of 10,000 packs verified in \d+\.\d s against the lot's root on chain/);
    expect(plain.stdout).to.match(
      /\n {3}dispensed: no — serial [0-9A-F]{12} was decommissioned before, by St\. Mary's\n/,
    );
    expect(plain.stdout).to.match(/\n {3}a day later: overdue notifications of case 1: none\n/);
    expect(lines(plain)).to.include.members([
      "   the case's custody path names its supplier: Keystone, who sold Corner the case; a quarantined serial moves nowhere",
      "     Corner Pharmacy: 1 case(s)",
      "     Keystone: 1 case(s)",
      "     Meridian: 2 case(s)",
    ]);
    const mri = lines(plain).find((line) =>
      line.startsWith("     1. 70553 MRI brain, with and without contrast, ×1 on"),
    );
    expect(mri).to.match(
      /on \d{1,2} [A-Z][a-z]{2} \d{4}: billed \$2,400\.00; denied CO-197: Precertification\/authorization\/notification\/pre-treatment absent; plan pays \$0\.00, Alice owes \$0\.00$/,
    );
    expect(lines(plain)).to.include.members([
      "   Dr. Ames anchors Ben's week-4 visit: refused — Ben has not signed version 2 yet",
      "       pre-specified outcomes reported: 2 of 3",
      "       NOT REPORTED: secondary episodes of severe hypoglycaemia to week 26",
      "       ADDED, never pre-specified: secondary quality of life (DTSQ score) at week 26",
      "   audit: every reveal and arm matches the committed sequence; no index was skipped or reused",
    ]);
    expect(plain.stdout).to.match(
      /\n {3}on day 5 Northwind assesses it as a suspected unexpected serious adverse reaction and reports it: on time\n/,
    );
    expect(plain.stdout).to.match(/session 1 open until \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC\n/);
    expect(plain.stdout, "no ISO timestamps").not.to.match(/\d{4}-\d\d-\d\dT\d\d:/);
    expect(plain.stdout, "no token symbol before amounts").not.to.match(/tUSD \d/);
  });
});

/** A local port nothing listens on: one the system gave a server, which is closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("scripts: the demo when it cannot run", function () {
  before(function () {
    skipCliTestsIfAsked(this);
  });

  it("says why in one line and exits 1 when the network's node is unreachable", async function () {
    this.timeout(120_000);
    const url = `http://127.0.0.1:${await closedPort()}`;
    const told = await tell(["--network", "localhost"], { LOCALHOST_RPC_URL: url });
    expect(told.code).to.equal(1);
    expect(told.stdout).to.equal("");
    expect(told.stderr).to.match(/^The demo stopped: [^\n]*localhost[^\n]* \(--verbose shows where\)\n$/);
  });
});

describe("scripts: the demo's words", function () {
  it("writes a chain timestamp as a UTC day and a UTC minute", function () {
    expect(day(1_796_838_532n)).to.equal("9 Dec 2026");
    expect(when(1_796_838_532n)).to.equal("9 Dec 2026, 17:48 UTC");
    expect(when(0)).to.equal("1 Jan 1970, 00:00 UTC");
  });

  it("writes a delay in the largest whole unit", function () {
    expect(duration(3_600)).to.equal("1 hour");
    expect(duration(259_200n)).to.equal("3 days");
    expect(duration(90)).to.equal("90 seconds");
    expect(duration(120)).to.equal("2 minutes");
  });

  it("writes enum names and lists in words", function () {
    expect(words("InsuranceAndClaims")).to.equal("insurance and claims");
    expect(words(undefined)).to.equal("unknown");
    expect(listed(["a"])).to.equal("a");
    expect(listed(["a", "b"])).to.equal("a and b");
    expect(listed(["a", "b", "c"])).to.equal("a, b and c");
  });
});
