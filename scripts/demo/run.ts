/**
 * `npm run demo`: deploys the whole CareLedger system to the in-process chain through the production deploy modules
 * and tells one story, a chapter per module, each building on the one before: identity (`identity.ts`), consent
 * (`consent.ts`), records (`records.ts`), claims (`claims.ts`), the drug supply chain (`supplychain.ts`) and clinical
 * trials (`trials.ts`), and last the audit (`audit.ts`): the chain indexed into an embedded PostgreSQL and the reports
 * read from it. A later module adds its chapter here.
 */
import hre from "hardhat";

import { deployCareLedger, loadParameters } from "../../deploy";
import { auditChapter } from "./audit";
import { claimsChapter } from "./claims";
import { consentChapter } from "./consent";
import { identityChapter } from "./identity";
import { detail, duration, named, say, technical, verbose } from "./narration";
import { recordsChapter } from "./records";
import { castOf, type Story } from "./story";
import { supplyChainChapter } from "./supplychain";
import { trialsChapter } from "./trials";

async function main(): Promise<void> {
  const cast = await castOf();
  console.log(
    "CareLedger demo — identity, governance, consent, records, claims, the drug supply chain, a clinical trial and the audit reports on the in-process chain",
  );
  if (!verbose) console.log("(npm run demo -- --verbose adds the addresses, hashes and gas of every step)");
  const system = await deployCareLedger(hre, loadParameters(hre.network.name));
  const { deployment, parameters } = system;
  say("The consortium deploys CareLedger through its Ignition modules.");
  technical(`AccessManager ${deployment.accessManager}, IdentityRegistry ${deployment.identityRegistry}`);
  detail(
    `one AccessManager holds every permission; ${named("its admin", cast.admin.address)} acts only through operations scheduled ${duration(parameters.adminExecutionDelay)} ahead`,
  );
  const story: Story = { system, cast };

  const who = await identityChapter(story);
  const credentialExpiry = await consentChapter(story, who);
  const { labCommitment, batchSize } = await recordsChapter(story, who, credentialExpiry);
  const claims = await claimsChapter(story, who, credentialExpiry, labCommitment);
  const supply = await supplyChainChapter(story, who, credentialExpiry);
  const trial = await trialsChapter(story);
  const audit = await auditChapter(story, who);

  const participants = await system.identityRegistry.lastId();
  const [requests, sessions] = [await system.consentRegistry.requestCount(), await system.breakGlass.sessionCount()];
  console.log(
    `\nDone: ${participants} participants, ${requests} access request(s), ${sessions} break-glass session(s), 2 record versions and a batch of ${batchSize.toLocaleString("en-US")}, ${claims.claims} claims (${claims.approved} approved, one after appeal) and ${claims.planPaid} paid, ${supply.packs.toLocaleString("en-US")} serialized packs traced from manufacturer to patient (${supply.dispensed} dispensed, ${supply.clones} clone caught, ${supply.recalls} lot recalled), a trial of ${trial.enrolled} participants with ${trial.susars} SUSAR reported on time and its results compared with what it pre-specified (${trial.notReported} outcome left out, ${trial.added} added); every step above on the audit trail as events, indexed into PostgreSQL and read back as ${audit.files.length} report files (${audit.findings} finding(s) for the privacy officer).`,
  );
}

main().catch((error: unknown) => {
  // A step that went otherwise than the story says, or a network it cannot run on: one line, the stack with --verbose.
  console.error(
    verbose || !(error instanceof Error)
      ? error
      : `The demo stopped: ${error.message.replace(/\s*\n\s*/g, " ")} (--verbose shows where)`,
  );
  process.exitCode = 1;
});
