import { randomBytes } from "node:crypto";

import { type JsonRpcSigner, JsonRpcProvider } from "ethers";

import { loadParameters, policyArguments } from "../../deploy";
import {
  ALL_CATEGORIES,
  commit,
  ConsentClient,
  DataCategory,
  IdentityClient,
  ParticipantKind,
  Purpose,
  purposeSet,
} from "../../sdk";
import { type AuditDatabase, openDatabase } from "../../sdk/audit/db";
import { type FollowedDeployment, indexChain } from "../../sdk/audit/indexer";
import { accessReport } from "../../sdk/audit/reports";
import { Roles } from "../../sdk/core/roles";
import {
  AccessManager__factory,
  ConsentPolicy__factory,
  ConsentRegistry__factory,
  IdentityRegistry__factory,
} from "../../typechain-types";
import { anvilInstalled, startAnvil } from "./anvil";

/** The cases: at least 2,000 events a second indexed from a node process; a report over 10,000 in < 1 s. */
const EVENTS = 10_000;
/** Transactions a block: a consortium block (QBFT, 30 M gas every 2 s) holds several hundred such decisions. */
const PER_BLOCK = 250;
const ACCESSORS = 8;
const REPORT_RUNS = 5;
const DAY = 86_400;

/**
 * The audit indexer's rate and the patient's report time, against anvil over HTTP: the identity and consent
 * contracts deployed directly (the events indexed are theirs), one patient who granted four organizations treatment
 * access and not four others, and 10,000 access decisions about her (allowed and denied) in blocks of 250. The indexer
 * then follows them into PGlite (in memory), and into the PostgreSQL server `DATABASE_URL` names if set, from scratch;
 * the access report is read back over all of them. Throughput figures, measured here, never in a timed test.
 */
export async function benchAudit(): Promise<string[]> {
  if (!anvilInstalled()) return ["Audit indexer: skipped: anvil is not installed (@foundry-rs/anvil-linux-amd64)"];
  const { url, node } = await startAnvil(["--accounts", String(ACCESSORS + 2)]);
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const { deployment, patient } = await history(provider);
    const lines = [
      `Audit indexer and access report (anvil over HTTP, ${EVENTS.toLocaleString("en-US")} access decisions about one ` +
        `patient in blocks of ${PER_BLOCK}; the issue asks >= 2,000 events a second and a report in < 1 s):`,
    ];
    const databases: { label: string; open: () => Promise<{ db: AuditDatabase; drop: () => Promise<void> }> }[] = [
      { label: "PGlite (embedded, in memory)", open: async () => ({ db: await openDatabase(), drop: async () => {} }) },
    ];
    const serverUrl = process.env.DATABASE_URL?.trim();
    if (serverUrl !== undefined && serverUrl !== "") {
      databases.push({
        label: "PostgreSQL server (DATABASE_URL)",
        open: async () => {
          const schema = `careledger_bench_${randomBytes(4).toString("hex")}`;
          const db = await openDatabase({ url: serverUrl, schema });
          return { db, drop: () => db.query(`DROP SCHEMA ${schema} CASCADE`).then(() => undefined) };
        },
      });
    } else {
      lines.push("  PostgreSQL server: not measured (set DATABASE_URL to a server: .ci/postgres starts one)");
    }
    for (const { label, open } of databases) {
      const { db, drop } = await open();
      try {
        const started = process.hrtime.bigint();
        const indexed = await indexChain({ db, provider, deployment });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const times: number[] = [];
        let rows = 0;
        for (let run = 0; run < REPORT_RUNS; run++) {
          const begun = process.hrtime.bigint();
          rows = (await accessReport({ db, chainId: deployment.chainId, patient })).rows.length;
          times.push(Number(process.hrtime.bigint() - begun) / 1e6);
        }
        times.sort((a, b) => a - b);
        lines.push(
          `  ${label}: indexed ${indexed.events.toLocaleString("en-US")} events of ${indexed.toBlock + 1} blocks in ` +
            `${seconds.toFixed(2)} s: ${Math.round(indexed.events / seconds).toLocaleString("en-US")} events a second; ` +
            `the patient's access report (${rows.toLocaleString("en-US")} lines): median ` +
            `${times[Math.floor(REPORT_RUNS / 2)]?.toFixed(0)} ms, slowest ${times.at(-1)?.toFixed(0)} ms of ${REPORT_RUNS}`,
        );
      } finally {
        await drop();
        await db.close();
      }
    }
    return lines;
  } finally {
    provider.destroy();
    node.kill();
  }
}

/** Deploys the identity and consent contracts on the node, and writes the history the figures are taken over. */
export async function history(provider: JsonRpcProvider): Promise<{ deployment: FollowedDeployment; patient: bigint }> {
  const signers = await Promise.all(Array.from({ length: ACCESSORS + 2 }, (_, i) => provider.getSigner(i)));
  const [admin, patientKey, ...accessorKeys] = signers as [JsonRpcSigner, JsonRpcSigner, ...JsonRpcSigner[]];
  const adminAddress = await admin.getAddress();
  const firstBlock = await provider.getBlockNumber();
  const manager = await (await new AccessManager__factory(admin).deploy(adminAddress)).waitForDeployment();
  const identity = await (
    await new IdentityRegistry__factory(admin).deploy(await manager.getAddress())
  ).waitForDeployment();
  const { rules, maxGrantDurations } = policyArguments(loadParameters("hardhat").consentPolicy);
  const policy = await (await new ConsentPolicy__factory(admin).deploy(rules, maxGrantDurations)).waitForDeployment();
  const consent = await (
    await new ConsentRegistry__factory(admin).deploy(
      await manager.getAddress(),
      await identity.getAddress(),
      await policy.getAddress(),
    )
  ).waitForDeployment();
  const register = IdentityRegistry__factory.createInterface().getFunction("registerParticipant").selector;
  await (await manager.setTargetFunctionRole(await identity.getAddress(), [register], Roles.REGISTRAR)).wait();
  await (await manager.grantRole(Roles.REGISTRAR, adminAddress, 0)).wait();
  const deployment: FollowedDeployment = {
    chainId: (await provider.getNetwork()).chainId,
    deployedAtBlock: firstBlock,
    accessManager: await manager.getAddress(),
    identityRegistry: await identity.getAddress(),
    consentPolicy: await policy.getAddress(),
    consentRegistry: await consent.getAddress(),
    breakGlass: await consent.breakGlass(),
  };
  const addresses = { identityRegistry: deployment.identityRegistry as string };
  const now = (await provider.getBlock("latest"))?.timestamp ?? 0;
  const patient = (await IdentityClient.connect(patientKey, addresses).registerPatient()).id;
  const asRegistrar = IdentityClient.connect(admin, addresses);
  const accessors: bigint[] = [];
  for (const [index, key] of accessorKeys.entries()) {
    const { id } = await asRegistrar.registerWithKey(key, {
      kind: ParticipantKind.Organization,
      credentialCommitment: commit(`bench organization ${index}`).commitment,
      credentialExpiry: BigInt(now + 365 * DAY),
    });
    accessors.push(id);
  }
  const asPatient = ConsentClient.connect(patientKey, {
    consentRegistry: deployment.consentRegistry as string,
    breakGlass: deployment.breakGlass as string,
  });
  for (const accessor of accessors.slice(0, ACCESSORS / 2)) {
    await asPatient.grant({
      patient,
      grantee: accessor,
      categories: ALL_CATEGORIES,
      purposes: purposeSet(Purpose.Treatment),
      validUntil: BigInt(now + 300 * DAY),
    });
  }

  // The decisions, sent by the node's unlocked accounts and mined in blocks of PER_BLOCK.
  const iface = ConsentRegistry__factory.createInterface();
  const senders = await Promise.all(accessorKeys.map((key) => key.getAddress()));
  await provider.send("evm_setAutomine", [false]);
  for (let sent = 0; sent < EVENTS; sent += PER_BLOCK) {
    const batch = Array.from({ length: Math.min(PER_BLOCK, EVENTS - sent) }, (_, offset) => {
      const n = sent + offset;
      const data = iface.encodeFunctionData("recordAccess", [
        patient,
        n % (DataCategory.InsuranceAndClaims + 1),
        Purpose.Treatment,
      ]);
      return { from: senders[n % senders.length], to: deployment.consentRegistry, data, gas: "0x30000" };
    });
    // Each sender's in order (the node numbers an account's transactions as they arrive), the senders side by side.
    await Promise.all(
      senders.map(async (sender) => {
        for (const tx of batch.filter((entry) => entry.from === sender)) {
          await provider.send("eth_sendTransaction", [tx]);
        }
      }),
    );
    await provider.send("evm_mine", []);
  }
  await provider.send("evm_setAutomine", [true]);
  return { deployment, patient };
}
