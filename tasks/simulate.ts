/**
 * `careledger:simulate` (`npm run simulate -- --claims 2000 --seed 7 [--network localhost]`): runs the seeded claims
 * simulator (`simulation/claims/`) and prints its summary; fails if the contracts and the TypeScript model of the
 * rules disagree on any figure. On the in-process `hardhat` network it deploys a fresh system; on any other network it
 * uses the recorded deployment and the network's accounts.
 */
import { task } from "hardhat/config";

import { fail, readable, wholeNumber } from "./util";

task("careledger:simulate", "Runs a seeded synthetic claims flow through the SDK and checks it against the model")
  .addParam("claims", "Claims to submit", "2000")
  .addParam("seed", "Seed of the synthetic population (a whole number)", "7")
  .addOptionalParam("patients", "Patients (default: claims / 8, at least 4)")
  .addFlag("quiet", "No progress bar")
  .setAction(async (args: { claims: string; seed: string; patients?: string; quiet: boolean }, hre) => {
    const claims = wholeNumber("claims", args.claims);
    if (claims < 1n || claims > 1_000_000n) fail(`--claims must be from 1 to 1,000,000, got ${claims.toString()}`);
    const seed = wholeNumber("seed", args.seed);
    if (seed > BigInt(Number.MAX_SAFE_INTEGER)) fail("--seed is too large");
    const patients = args.patients === undefined ? undefined : wholeNumber("patients", args.patients);
    if (patients === 0n) fail("--patients must be at least 1");
    const { formatSummary, simulateClaims } = await import("../simulation/claims");
    const report = await readable(() =>
      simulateClaims(hre, {
        claims: Number(claims),
        seed: Number(seed),
        patients: patients === undefined ? undefined : Number(patients),
        quiet: args.quiet,
      }),
    );
    console.log("");
    for (const row of formatSummary(report)) console.log(row);
    if (report.agreement.mismatches.length > 0) {
      fail(`the contract and the model disagree on ${report.agreement.mismatches.length} figure(s), listed above`);
    }
  });
