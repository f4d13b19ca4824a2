import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import {
  commit,
  DataCategory,
  Purpose,
  ReviewOutcome,
  RecordClient,
  categorySet,
  purposeSet,
  ParticipantKind,
  ALL_CATEGORIES,
} from "../../sdk";
import type { AuditDatabase } from "../../sdk/audit/db";
import { indexChain } from "../../sdk/audit/indexer";
import {
  accessReport,
  accountingOfDisclosures,
  hitechAccessReport,
  privacyOfficerReport,
} from "../../sdk/audit/reports";
import type { AccessReportRow } from "../../sdk/audit/types";
import { DAY, YEAR } from "../fixtures/identity";
import { recordsFixture } from "../fixtures/records";
import { databaseKinds, freshDatabase } from "../helpers/audit-db";
import { rejection } from "../helpers/rejection";

const HOUR = 3600;

/** What a report line must say, built by the script from what each step did, independently of the indexer. */
type Expected = Pick<
  AccessReportRow,
  "kind" | "outcome" | "participant" | "organization" | "categories" | "purposes" | "basis" | "txHash"
>;

/**
 * A scripted history on the records fixture, at chosen times of day (UTC), with what the patient's access report,
 * her accounting and the privacy officer's report must show:
 *
 * day 1 10:00 the cardiologist anchors a lab result for the patient and reads it (treatment, her grant);
 *       10:10 the internist reads her conditions through the hospital's grant (explained: the hospital anchored a
 *             record for her);
 *       11:00 the clinic doctor tries her mental-health notes three times in ten minutes (denied: a burst, and
 *             sensitive);
 *       12:00 she signs a research grant of her lab results to the sponsor (EIP-712, with the commitment of the
 *             signed authorization), and the sponsor reads them (an authorization: exempt);
 *       12:30 she grants a public-health regulator her immunizations, and a second sponsor her demographics for
 *             research, both as bare grants, and each reads (both accountable);
 *       13:00 her representative reads her medications (to the individual: exempt);
 *       14:00 the other patient grants the hospital everything for treatment, and the internist reads her
 *             conditions (unexplained: nothing the hospital did for her);
 * day 2 03:00 the ER doctor breaks the glass, reads her medications (after hours), and closes the session; an
 *             auditor finds it justified;
 *       15:00 she revokes the cardiologist, who then is denied her lab results; she denies the clinic mental health;
 *       16:00 the clinic doctor asks for her allergies; she approves;
 * day 3 15:00 the ER doctor breaks the glass again; never reviewed.
 */
async function scriptedHistory() {
  const f = await recordsFixture();
  const { consent, patientId, patientKey, identity, registrar, credentialExpiry } = f;
  const records = RecordClient.connect(f.deployer, f.deployment);
  const asPatient = consent.as(patientKey);
  const expected: Expected[] = [];
  const start = Math.floor((await time.latest()) / DAY + 1) * DAY; // the next midnight, UTC
  const at = async (day: number, hour: number, minute = 0): Promise<void> => {
    await time.setNextBlockTimestamp(start + (day - 1) * DAY + hour * HOUR + minute * 60);
  };
  const register = async (kind: ParticipantKind, key: (typeof f.spareKeys)[number] | undefined, label: string) => {
    if (key === undefined) throw new Error("the fixture has too few spare keys");
    return (
      await identity.as(registrar).registerWithKey(key, {
        kind,
        credentialCommitment: commit(`credential:${label}`).commitment,
        credentialExpiry,
        affiliation: 0n,
      })
    ).id;
  };
  const [regulatorKey, sponsor2Key] = f.spareKeys;
  const regulatorId = await register(ParticipantKind.Regulator, regulatorKey, "regulator");
  const sponsor2Id = await register(ParticipantKind.ResearchSponsor, sponsor2Key, "sponsor-2");
  const P = patientId.toString();
  const H = f.hospitalId.toString();
  const until = BigInt(start + YEAR);

  // day 1
  const labRecord = commit("lab result").commitment;
  await at(1, 10);
  const anchored = await records.as(f.cardiologistKey).anchor({
    patient: patientId,
    commitment: labRecord,
    category: DataCategory.LaboratoryResults,
    pointer: commit("pointer").commitment,
  });
  expected.push({
    kind: "record-written",
    outcome: null,
    participant: f.cardiologistId.toString(),
    organization: H,
    categories: ["LaboratoryResults"],
    purposes: [],
    basis: "Grant",
    txHash: anchored.receipt.hash,
  });
  await at(1, 10, 5);
  const read = await records.as(f.cardiologistKey).recordAccess(patientId, labRecord, Purpose.Treatment);
  expected.push({
    kind: "record-read",
    outcome: "allowed",
    participant: f.cardiologistId.toString(),
    organization: H,
    categories: ["LaboratoryResults"],
    purposes: ["Treatment"],
    basis: "Grant",
    txHash: read.receipt.hash,
  });
  await at(1, 10, 10);
  const internist = await consent
    .as(f.internistKey)
    .recordAccess(patientId, DataCategory.Conditions, Purpose.Treatment);
  expected.push({
    kind: "access",
    outcome: "allowed",
    participant: f.internistId.toString(),
    organization: H,
    categories: ["Conditions"],
    purposes: ["Treatment"],
    basis: "OrganizationGrant",
    txHash: internist.receipt.hash,
  });
  const burst: string[] = [];
  for (const minute of [0, 4, 9]) {
    await at(1, 11, minute);
    const denied = await consent
      .as(f.clinicDoctorKey)
      .recordAccess(patientId, DataCategory.MentalHealth, Purpose.Treatment);
    burst.push(denied.receipt.hash);
    expected.push({
      kind: "access",
      outcome: "denied",
      participant: f.clinicDoctorId.toString(),
      organization: f.clinicId.toString(),
      categories: ["MentalHealth"],
      purposes: ["Treatment"],
      basis: "NoGrant",
      txHash: denied.receipt.hash,
    });
  }
  await at(1, 12);
  const signed = await asPatient.signGrant(patientKey, {
    patient: patientId,
    grantee: f.sponsorId,
    categories: categorySet(DataCategory.LaboratoryResults),
    purposes: purposeSet(Purpose.Research),
    validUntil: until,
    deadline: BigInt(start + 2 * DAY),
    evidence: commit("signed research authorization").commitment,
  });
  const relayed = await consent.as(f.hospitalKey).relayGrant(signed);
  expected.push({
    kind: "consent-granted",
    outcome: null,
    participant: f.sponsorId.toString(),
    organization: null,
    categories: ["LaboratoryResults"],
    purposes: ["Research"],
    basis: null,
    txHash: relayed.receipt.hash,
  });
  await at(1, 12, 5);
  const research = await consent
    .as(f.sponsorKey)
    .recordAccess(patientId, DataCategory.LaboratoryResults, Purpose.Research);
  expected.push({
    kind: "access",
    outcome: "allowed",
    participant: f.sponsorId.toString(),
    organization: null,
    categories: ["LaboratoryResults"],
    purposes: ["Research"],
    basis: "Grant",
    txHash: research.receipt.hash,
  });
  const accountable: { tx: string; recipient: string; category: string; purpose: string }[] = [];
  for (const [key, id, category, purpose, minute] of [
    [regulatorKey, regulatorId, DataCategory.Immunizations, Purpose.PublicHealth, 30],
    [sponsor2Key, sponsor2Id, DataCategory.Demographics, Purpose.Research, 40],
  ] as const) {
    if (key === undefined) throw new Error("missing key");
    await at(1, 12, minute);
    const granted = await asPatient.grant({
      patient: patientId,
      grantee: id,
      categories: categorySet(category),
      purposes: purposeSet(purpose),
      validUntil: until,
    });
    expected.push({
      kind: "consent-granted",
      outcome: null,
      participant: id.toString(),
      organization: null,
      categories: [DataCategory[category]],
      purposes: [Purpose[purpose]],
      basis: null,
      txHash: granted.receipt.hash,
    });
    await at(1, 12, minute + 5);
    const access = await consent.as(key).recordAccess(patientId, category, purpose);
    expected.push({
      kind: "access",
      outcome: "allowed",
      participant: id.toString(),
      organization: null,
      categories: [DataCategory[category]],
      purposes: [Purpose[purpose]],
      basis: "Grant",
      txHash: access.receipt.hash,
    });
    accountable.push({
      tx: access.receipt.hash,
      recipient: id.toString(),
      category: DataCategory[category],
      purpose: Purpose[purpose],
    });
  }
  await at(1, 13);
  const representative = await consent
    .as(f.representativeKey)
    .recordAccess(patientId, DataCategory.Medications, Purpose.Treatment);
  expected.push({
    kind: "access",
    outcome: "allowed",
    participant: f.representativeId.toString(),
    organization: null,
    categories: ["Medications"],
    purposes: ["Treatment"],
    basis: "Representative",
    txHash: representative.receipt.hash,
  });
  await at(1, 14);
  await consent.as(f.otherPatientKey).grant({
    patient: f.otherPatientId,
    grantee: f.hospitalId,
    categories: ALL_CATEGORIES,
    purposes: purposeSet(Purpose.Treatment),
    validUntil: until,
  });
  await at(1, 14, 5);
  const unexplained = await consent
    .as(f.internistKey)
    .recordAccess(f.otherPatientId, DataCategory.Conditions, Purpose.Treatment);

  // day 2
  await at(2, 3);
  const opened = await consent.as(f.erDoctorKey).openBreakGlass(patientId, 1, 4 * HOUR);
  expected.push({
    kind: "break-glass-opened",
    outcome: null,
    participant: f.erDoctorId.toString(),
    organization: H,
    categories: [],
    purposes: ["EmergencyTreatment"],
    basis: null,
    txHash: opened.receipt.hash,
  });
  await at(2, 3, 5);
  const emergency = await consent
    .as(f.erDoctorKey)
    .recordAccess(patientId, DataCategory.Medications, Purpose.EmergencyTreatment);
  expected.push({
    kind: "access",
    outcome: "allowed",
    participant: f.erDoctorId.toString(),
    organization: H,
    categories: ["Medications"],
    purposes: ["EmergencyTreatment"],
    basis: "BreakGlass",
    txHash: emergency.receipt.hash,
  });
  await at(2, 3, 30);
  const closed = await consent.as(f.erDoctorKey).closeBreakGlass(opened.sessionId);
  expected.push({
    kind: "break-glass-closed",
    outcome: null,
    participant: f.erDoctorId.toString(),
    organization: H,
    categories: [],
    purposes: [],
    basis: null,
    txHash: closed.receipt.hash,
  });
  await at(2, 9);
  const reviewed = await consent.as(f.auditor).reviewBreakGlass(opened.sessionId, ReviewOutcome.Justified, 0);
  expected.push({
    kind: "break-glass-reviewed",
    outcome: null,
    participant: f.erDoctorId.toString(),
    organization: H,
    categories: [],
    purposes: [],
    basis: null,
    txHash: reviewed.receipt.hash,
  });
  await at(2, 15);
  const revoked = await asPatient.revoke(patientId, f.cardiologistId);
  expected.push({
    kind: "consent-revoked",
    outcome: null,
    participant: f.cardiologistId.toString(),
    organization: null,
    categories: [],
    purposes: [],
    basis: null,
    txHash: revoked.receipt.hash,
  });
  await at(2, 15, 5);
  const afterRevoke = await consent
    .as(f.cardiologistKey)
    .recordAccess(patientId, DataCategory.LaboratoryResults, Purpose.Treatment);
  // The hospital's grant still covers lab results for its cardiologist: the revocation of his own grant leaves it.
  expected.push({
    kind: "access",
    outcome: "allowed",
    participant: f.cardiologistId.toString(),
    organization: H,
    categories: ["LaboratoryResults"],
    purposes: ["Treatment"],
    basis: "OrganizationGrant",
    txHash: afterRevoke.receipt.hash,
  });
  await at(2, 15, 10);
  const deny = await asPatient.setDeny(patientId, f.clinicId, categorySet(DataCategory.MentalHealth));
  expected.push({
    kind: "deny-set",
    outcome: null,
    participant: f.clinicId.toString(),
    organization: null,
    categories: ["MentalHealth"],
    purposes: [],
    basis: null,
    txHash: deny.receipt.hash,
  });
  await at(2, 16);
  const request = await consent.as(f.clinicDoctorKey).requestAccess({
    patient: patientId,
    categories: categorySet(DataCategory.Allergies),
    purposes: purposeSet(Purpose.Treatment),
    duration: 30 * DAY,
    reasonCode: 2,
    respondBy: BigInt(start + 5 * DAY),
  });
  expected.push({
    kind: "access-requested",
    outcome: null,
    participant: f.clinicDoctorId.toString(),
    organization: f.clinicId.toString(),
    categories: ["Allergies"],
    purposes: ["Treatment"],
    basis: null,
    txHash: request.receipt.hash,
  });
  await at(2, 16, 30);
  const approved = await asPatient.approveRequest(request.requestId, {
    categories: categorySet(DataCategory.Allergies),
    purposes: purposeSet(Purpose.Treatment),
    validUntil: BigInt(start + 30 * DAY),
  });
  // Approving writes the grant (ConsentGranted) and resolves the request, in that order of the logs.
  const approvedLines = await approvalLines(approved.receipt.hash);
  for (const event of approvedLines) {
    expected.push(
      event === "ConsentGranted"
        ? {
            kind: "consent-granted",
            outcome: null,
            participant: f.clinicDoctorId.toString(),
            organization: null,
            categories: ["Allergies"],
            purposes: ["Treatment"],
            basis: null,
            txHash: approved.receipt.hash,
          }
        : {
            kind: "access-request-resolved",
            outcome: null,
            participant: f.clinicDoctorId.toString(),
            organization: null,
            categories: [],
            purposes: [],
            basis: null,
            txHash: approved.receipt.hash,
          },
    );
  }

  // day 3
  await at(3, 15);
  const second = await consent.as(f.erDoctorKey).openBreakGlass(patientId, 1, 4 * HOUR);
  expected.push({
    kind: "break-glass-opened",
    outcome: null,
    participant: f.erDoctorId.toString(),
    organization: H,
    categories: [],
    purposes: ["EmergencyTreatment"],
    basis: null,
    txHash: second.receipt.hash,
  });

  return {
    ...f,
    P,
    start,
    expected,
    burst,
    accountable,
    exempt: {
      tpo: [read.receipt.hash, internist.receipt.hash, emergency.receipt.hash, afterRevoke.receipt.hash],
      individual: [representative.receipt.hash],
      authorization: [research.receipt.hash],
    },
    unexplained: unexplained.receipt.hash,
    internistRead: internist.receipt.hash,
    emergencyRead: emergency.receipt.hash,
    unreviewed: second.receipt.hash,
  };
}

/** The consent-registry events of a transaction, by name, in log order. */
async function approvalLines(txHash: string): Promise<string[]> {
  const receipt = await ethers.provider.getTransactionReceipt(txHash);
  const registry = await ethers.getContractAt("ConsentRegistry", receipt?.logs[0]?.address ?? ethers.ZeroAddress);
  return (receipt?.logs ?? [])
    .map((log) => registry.interface.parseLog(log)?.name)
    .filter((name): name is string => name === "ConsentGranted" || name === "AccessRequestResolved");
}

for (const kind of databaseKinds()) {
  describe(`audit reports (${kind} database)`, function () {
    let db: AuditDatabase;
    beforeEach(async function () {
      db = await freshDatabase(kind);
    });
    afterEach(async function () {
      await db.close();
    });

    async function indexed() {
      const history = await loadFixture(scriptedHistory);
      await indexChain({ db, provider: ethers.provider, deployment: history.deployment });
      return history;
    }

    it("the patient's access report has a line for every access, session, grant and request, in time order", async function () {
      const h = await indexed();
      const report = await accessReport({ db, chainId: h.deployment.chainId, patient: h.patientId });
      // The fixture's own grants (before the script) come first; the script's lines follow, exactly.
      const scripted = report.rows.filter((row) => row.time >= h.start);
      expect(
        scripted.map((row) => ({
          kind: row.kind,
          outcome: row.outcome,
          participant: row.participant,
          organization: row.organization,
          categories: row.categories,
          purposes: row.purposes,
          basis: row.basis,
          txHash: row.txHash,
        })),
      ).to.deep.equal(h.expected);
      const times = report.rows.map((row) => row.time);
      expect(times).to.deep.equal([...times].sort((a, b) => a - b));
      expect(report.source.chainId).to.equal(h.deployment.chainId.toString());
      expect(report.source.contracts["consent-registry"]).to.equal(h.deployment.consentRegistry);
      expect(report.source.toBlock).to.equal(await ethers.provider.getBlockNumber());
      // Every line names its transaction, which the node confirms holds such an event.
      for (const row of scripted) {
        const receipt = await ethers.provider.getTransactionReceipt(row.txHash);
        expect(receipt?.blockNumber).to.equal(row.blockNumber);
        expect(receipt?.logs.some((log) => log.index === row.logIndex)).to.equal(true);
      }
      const firstSession = scripted.find((row) => row.kind === "break-glass-opened");
      expect(firstSession?.summary).to.match(/review: Justified$/);
      expect(scripted.filter((row) => row.kind === "break-glass-opened").at(-1)?.summary).to.match(/review: pending$/);
      // Regenerating gives the same report: from the same database, and from the chain into a database of its own.
      expect(await accessReport({ db, chainId: h.deployment.chainId, patient: h.patientId })).to.deep.equal(report);
      const again = await freshDatabase(kind);
      try {
        await indexChain({ db: again, provider: ethers.provider, deployment: h.deployment, chunk: 17 });
        expect(await accessReport({ db: again, chainId: h.deployment.chainId, patient: h.patientId })).to.deep.equal(
          report,
        );
      } finally {
        await again.close();
      }
      // Nothing of the other patient's.
      expect(report.rows.some((row) => row.txHash === h.unexplained)).to.equal(false);
    });

    it("the accounting lists the research and public-health disclosures and leaves out the exempt ones", async function () {
      const h = await indexed();
      const requestTime = h.start + 10 * DAY;
      const directory = {
        [h.accountable[0]?.recipient ?? ""]: { name: "State Immunization Registry", address: "1 Main St" },
      };
      const accounting = await accountingOfDisclosures({
        db,
        chainId: h.deployment.chainId,
        patient: h.patientId,
        requestTime,
        directory,
      });
      expect(
        accounting.disclosures.map((d) => ({
          tx: d.txHash,
          recipient: d.recipient,
          category: d.category,
          purpose: d.purpose,
        })),
      ).to.deep.equal(h.accountable);
      expect(accounting.disclosures[0]?.recipientName).to.equal("State Immunization Registry");
      expect(accounting.disclosures[0]?.recipientAddress).to.equal("1 Main St");
      expect(accounting.disclosures[1]?.recipientName).to.equal(null);
      expect(accounting.exempted).to.deep.equal({
        "treatment-payment-operations": h.exempt.tpo.length,
        "to-the-individual": h.exempt.individual.length,
        authorization: h.exempt.authorization.length,
      });
      expect(accounting.periodStart).to.equal(requestTime - (6 * 365 + 2) * DAY);
      // A request made before the history covers none of it.
      const early = await accountingOfDisclosures({
        db,
        chainId: h.deployment.chainId,
        patient: h.patientId,
        requestTime: h.start,
      });
      expect(early.disclosures).to.deep.equal([]);
      // HITECH's access report lists every allowed access of the period, exempt or not.
      const hitech = await hitechAccessReport({ db, chainId: h.deployment.chainId, patient: h.patientId, requestTime });
      const allowed = h.expected.filter((line) => line.outcome === "allowed").map((line) => line.txHash);
      expect(hitech.rows.filter((row) => row.time >= h.start).map((row) => row.txHash)).to.deep.equal(allowed);
    });

    it("the privacy officer's report flags what it should, and says why", async function () {
      const h = await indexed();
      const report = await privacyOfficerReport({
        db,
        chainId: h.deployment.chainId,
        asOf: h.start + 11 * DAY,
        thresholds: { maxPatientsPerDay: 1 },
      });
      const byKind = (kind: string) => report.findings.filter((f) => f.kind === kind);
      expect(byKind("unreviewed-break-glass").map((f) => f.txHashes)).to.deep.equal([[h.unreviewed]]);
      expect(byKind("unreviewed-break-glass")[0]?.why).to.equal(
        "break-glass session 2 opened 8 days ago and is still unreviewed (threshold 7 days)",
      );
      expect(byKind("unexplained-access").map((f) => f.txHashes[0])).to.deep.equal([h.unexplained]);
      expect(byKind("denied-burst").map((f) => f.txHashes)).to.deep.equal([h.burst]);
      expect(byKind("denied-burst")[0]?.why).to.equal(
        `participant ${h.clinicDoctorId} (organization ${h.clinicId}) was denied 3 times in 9 minutes ` +
          "(threshold 3 within 60), on 1 patient",
      );
      // The 03:00 read was an emergency's (break-glass, reviewed on its own): not flagged after hours.
      expect(byKind("after-hours")).to.deep.equal([]);
      expect(byKind("sensitive-category").map((f) => f.txHashes[0])).to.deep.equal(h.burst);
      expect(byKind("many-patients").map((f) => f.participant)).to.deep.equal([h.internistId.toString()]);
      expect(byKind("many-patients")[0]?.why).to.match(
        /accessed 2 distinct patients on .* more than the threshold of 1$/,
      );
      // With the default thresholds nobody reads too many patients, and an earlier asOf leaves the session in time.
      const calm = await privacyOfficerReport({ db, chainId: h.deployment.chainId, asOf: h.start + 3 * DAY });
      expect(
        calm.findings.filter((f) => f.kind === "many-patients" || f.kind === "unreviewed-break-glass"),
      ).to.deep.equal([]);
      // Working hours in New York put the 10:10 UTC read (05:10 there) outside them; the emergency stays unflagged.
      const newYork = await privacyOfficerReport({
        db,
        chainId: h.deployment.chainId,
        asOf: h.start + 3 * DAY,
        thresholds: { timeZone: "America/New_York" },
      });
      const late = newYork.findings.filter((f) => f.kind === "after-hours").map((f) => f.txHashes[0]);
      expect(late).to.include(h.internistRead);
      expect(late).not.to.include(h.emergencyRead);
    });

    it("refuses to report on a span with a hole, and on a chain it never indexed", async function () {
      const h = await loadFixture(scriptedHistory);
      const head = await ethers.provider.getBlockNumber();
      await indexChain({ db, provider: ethers.provider, deployment: h.deployment, toBlock: 10 });
      await indexChain({ db, provider: ethers.provider, deployment: h.deployment, fromBlock: 20 });
      expect(
        await rejection(accessReport({ db, chainId: h.deployment.chainId, patient: h.patientId, toBlock: head })),
      ).to.equal(
        `blocks 11 to 19 of chain ${h.deployment.chainId} are not indexed: run careledger:audit:index before reporting on them`,
      );
      // By default a report covers everything indexed, so the hole is refused, never skipped; up to it, it is fine.
      expect(await rejection(accessReport({ db, chainId: h.deployment.chainId, patient: h.patientId }))).to.equal(
        `blocks 11 to 19 of chain ${h.deployment.chainId} are not indexed: run careledger:audit:index before reporting on them`,
      );
      const partial = await accessReport({ db, chainId: h.deployment.chainId, patient: h.patientId, toBlock: 10 });
      expect(partial.source.toBlock).to.equal(10);
      expect(await rejection(accessReport({ db, chainId: 5n, patient: h.patientId }))).to.equal(
        "the audit database holds nothing for chain 5: run careledger:audit:index first",
      );
      expect(
        await rejection(
          privacyOfficerReport({
            db,
            chainId: h.deployment.chainId,
            asOf: 0,
            thresholds: { timeZone: "Mars/Olympus" },
          }),
        ),
      ).to.equal('the time zone "Mars/Olympus" is not an IANA time zone (America/New_York)');
      expect(
        await rejection(
          privacyOfficerReport({
            db,
            chainId: h.deployment.chainId,
            asOf: 0,
            thresholds: { workdayStartHour: 19, workdayEndHour: 7 },
          }),
        ),
      ).to.equal("the working day must end after it starts; got 19:00–7:00");
    });
  });
}
