import { getAddress, isAddress, sha256, toUtf8Bytes } from "ethers";
import type {
  AuditEvent,
  AuditEventAgent,
  AuditEventEntity,
  Bundle,
  CodeableConcept,
  Coding,
  Reference,
} from "fhir/r4";

import { DataCategory, DecisionBasis, Purpose, RequestStatus, ReviewOutcome } from "../consent/scopes";
import { CATEGORY_SYSTEM, PARTICIPANT_ID_SYSTEM } from "../records/fhir-scopes";
import type { AccessEntryKind, AccessReport, AccessReportRow } from "./types";

/**
 * The patient's access report as FHIR R4: a `collection` Bundle of AuditEvents, one per row, in the row's order,
 * shaped after the IHE Basic Audit Log Patterns (BALP 1.1, https://profiles.ihe.net/ITI/BALP). Every element holds an
 * identifier or a code: no name, no display, no narrative, no `summary`. The same report gives the same Bundle, byte
 * for byte; `generatedAt` is the only input that is not in the report.
 *
 * | row                                       | BALP profile             | type       | subtype               | act |
 * |-------------------------------------------|--------------------------|------------|-----------------------|-----|
 * | `record-read` allowed                     | PatientRead              | `rest`     | `read`                | R   |
 * | `access` or `record-read` allowed, for a  | PrivacyDisclosure.Source | DCM 110106 | `disclose` (and       | R   |
 * | disclosure                                |                          |            | `read` for a read)    |     |
 * | `access` otherwise, `record-read` denied  | AuthZconsent             | DCM 110113 | `AuthZ-Consent`       | E   |
 * | `consent-granted`, `access-requested`,    | PatientCreate            | `rest`     | `create`              | C   |
 * | `representative-appointed`,               |                          |            |                       |     |
 * | `record-written` anchored or adopted,     |                          |            |                       |     |
 * | `amendment-requested`, `adverse-event`,   |                          |            |                       |     |
 * | `trial` enrolled or consent-signed        |                          |            |                       |     |
 * | `consent-narrowed`, `consent-revoked`,    | PatientUpdate            | `rest`     | `update`              | U   |
 * | `deny-set`, `access-request-resolved`,    |                          |            |                       |     |
 * | `representative-removed`,                 |                          |            |                       |     |
 * | `record-written` superseded,              |                          |            |                       |     |
 * | `record-entered-in-error`,                |                          |            |                       |     |
 * | `amendment-resolved`, `trial` otherwise   |                          |            |                       |     |
 * | `trial-data`, `adverse-event-reported`    | PrivacyDisclosure.Source | DCM 110106 | `disclose`            | R   |
 * | `break-glass-opened`, `-closed`           | none (FHIR's example)    | DCM 110113 | DCM 110127, 110138    | E   |
 * | `break-glass-reviewed`                    | none                     | DCM 110113 | none                  | E   |
 *
 * A disclosure is an allowed access or read for `Research` or `PublicHealth`: uses outside treatment, payment and
 * operations (emergency treatment is treatment). A trial's data batch sent to its sponsor and a SUSAR reported to the
 * trial's regulator are disclosures too, for `Research` and `PublicHealth` (their rows name no purpose: the event
 * gives the one the kind implies). Every event's subtype also carries the row's kind (`ENTRY_KIND_SYSTEM`), so that
 * the kinds that share a pattern (narrowing, revoking and setting a deny; a new record and an enrollment) stay apart.
 *
 * What each kind's data entity is (object-role 4, with the lifecycle of its pattern and the row's `status` as a
 * detail): a consent entry (`CONSENT_ENTRY_SYSTEM`), an access request (`ACCESS_REQUEST_SYSTEM`), the representation
 * of the patient by one representative (`REPRESENTATION_SYSTEM`, a `RelatedPerson`: originated on appointment,
 * deprecated on removal), a record of her chart (`RECORD_COMMITMENT_SYSTEM`: originated when anchored, received when
 * adopted from an organization's batch, amended by a new version, deprecated when entered in error), an amendment
 * request (`AMENDMENT_REQUEST_SYSTEM`, beside the record it concerns), her part in a trial (`TRIAL_SUBJECT_SYSTEM`, a
 * `ResearchSubject`: originated on enrollment, accessed when unblinded, disclosed with her arm) or her consent to it
 * (`TRIAL_CONSENT_SYSTEM`, a `Consent` each signature attests), a trial's data batch (`TRIAL_DATA_BATCH_SYSTEM`,
 * disclosed) and an adverse event (`ADVERSE_EVENT_SYSTEM`, an `AdverseEvent`: originated, then disclosed). The trial
 * itself, on the trial lines, is a `ResearchStudy` entity (`TRIAL_SYSTEM`).
 *
 * Who acted, what a line refers to and how it ended (the row's `actor`, `ref` and `status`):
 *
 * - `actor` is BALP's user agent, the requestor: the agent responsible for the event. On a consent change, an
 *   answered request, an appointment or removal of a representative and an amendment request it is typed
 *   v3-ParticipationType `AUT` (BALP's user type for a create or update), with v3-RoleClass `PAT` when the patient
 *   acted and `AGNT` when her representative acted for her (a requester cancelling its own request and a
 *   representative resigning act for no one else: `AUT` alone); on a trial consent signature it is the signer's
 *   account (`ACCOUNT_SYSTEM`), typed `AUT`; on a break-glass review it is the auditor's account, typed
 *   v3-ParticipationType `VRF` (verifier: who checks that the emergency access was appropriate). Where the row's
 *   `participant` is the one who acted (the author of a record, who marked it in error, a trial's investigator or who
 *   withdrew her, the reporter of an adverse event), it is that agent, typed `AUT`; a disclosure's recipient (the
 *   regulator of a SUSAR) is DICOM's destination, not a requestor.
 * - `ref` identifies the entity the line concerns: a consent entry's version is the entry's `detail` `version` (the
 *   entry keeps one identifier across its versions, so that the events of one entry join up); a break-glass session
 *   (`BREAK_GLASS_SESSION_SYSTEM`, object-role 13, a security resource) on the break-glass lines and on a decision
 *   taken under one; an access request (`ACCESS_REQUEST_SYSTEM`) on the request lines; an amendment request on the
 *   amendment lines; the trial on the trial lines; an adverse event on the adverse-event lines.
 * - `status` is that entity's `detail` `status` (a request's `Pending`, `Approved`, `Rejected`, `Cancelled`; a
 *   session's review, `pending`, `Justified`, `Unjustified`; a representative's removal, `resigned` or `revoked`; how
 *   a record was written; an amendment's answer; her part in a trial; an adverse event's seriousness, or whether its
 *   report was `on time` or `late`) and, on the lines whose event decided it (a request's answer, a review, an
 *   amendment's answer), also the event's `outcomeDesc`. Each kind allows its own statuses and no others
 *   (`STATUSES`). `outcome` stays 0 (success) on those lines: FHIR's `AuditEvent.outcome` says whether the recorded
 *   action succeeded (4 is "the action was not successful"), and a rejection, a cancellation, a finding of
 *   "unjustified", a denied amendment or a late report is an action that succeeded and took effect on chain. Only a
 *   denied access is a failure (4): there the action audited, the access, did not happen.
 *
 * No `meta.profile`: a profile there claims conformance, and the ledger does not know what BALP requires of every
 * event — the network address of the client or recipient (`agent.network` 1..1), for AuthZconsent an application
 * agent and an organization, and an entity list closed to anything but the patient, the consent and a token (no room
 * for the record and the transaction). A validator loaded with the IG would reject such a claim. The pattern an event
 * follows is named in `meta.tag` instead (`BALP_PATTERN_SYSTEM`, the profile's canonical URL as code).
 */

// ---------------------------------------------------------------------------------------------------------------------
// Identifier and code systems

/** The BALP profiles followed, by their canonical URLs in the IG. */
export const BALP_PROFILES = {
  patientRead: "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead",
  patientCreate: "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate",
  patientUpdate: "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate",
  authZConsent: "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent",
  privacyDisclosureSource:
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source",
} as const;

/** `meta.tag` system whose code is the canonical URL of the BALP profile an event follows, without claiming it. */
export const BALP_PATTERN_SYSTEM = "urn:careledger:balp-pattern";
/** `AuditEvent.subtype` system whose code is the row's `AccessEntryKind`. */
export const ENTRY_KIND_SYSTEM = "urn:careledger:access-entry-kind";
/** A contract, as its CAIP-10 account id `eip155:<chainId>:<checksummed address>`: the events' `source.observer`. */
export const CONTRACT_SYSTEM = "urn:careledger:contract";
/** The transaction that emitted a row's event: its hash, `0x` and 64 hex digits, as the row gives it. */
export const TRANSACTION_SYSTEM = "urn:careledger:transaction";
/** A record anchored in the record registry, by its commitment (`0x` and 64 hex digits). */
export const RECORD_COMMITMENT_SYSTEM = "urn:careledger:record-commitment";
/**
 * The patient's consent for one grantee, `<patient>:<grantee>` (participant ids): the consent registry keeps one entry
 * per patient and grantee, holding its grant and its deny.
 */
export const CONSENT_ENTRY_SYSTEM = "urn:careledger:consent-entry";
/**
 * An account, as its CAIP-10 account id `eip155:<chainId>:<checksummed address>`: an agent the ledger knows by its
 * key alone (the auditor of a break-glass review).
 */
export const ACCOUNT_SYSTEM = "urn:careledger:account";
/** A break-glass session, by its id in the break-glass contract (a decimal number). */
export const BREAK_GLASS_SESSION_SYSTEM = "urn:careledger:break-glass-session";
/** An access request to the patient, by its id in the consent registry (a decimal number). */
export const ACCESS_REQUEST_SYSTEM = "urn:careledger:access-request";
/**
 * The patient's representation by one representative, `<patient>:<representative>` (participant ids): what appointing
 * creates and removing ends, as a `RelatedPerson` (the identity registry keeps one per pair).
 */
export const REPRESENTATION_SYSTEM = "urn:careledger:representation";
/** A request of the patient to amend a record (45 CFR 164.526), by its id in the record registry (a decimal number). */
export const AMENDMENT_REQUEST_SYSTEM = "urn:careledger:amendment-request";
/** A clinical trial, by its id in the trial registry (a decimal number). */
export const TRIAL_SYSTEM = "urn:careledger:trial";
/** The patient's part in a trial, `<trial>:<patient>`, as a `ResearchSubject`: enrolled, withdrawn, unblinded. */
export const TRIAL_SUBJECT_SYSTEM = "urn:careledger:trial-subject";
/** The patient's consent to a trial, `<trial>:<patient>`: each signature (at enrollment, on re-consent) attests it. */
export const TRIAL_CONSENT_SYSTEM = "urn:careledger:trial-consent";
/** A trial's batch of case-report data, by its Merkle root (`0x` and 64 hex digits). */
export const TRIAL_DATA_BATCH_SYSTEM = "urn:careledger:trial-data-batch";
/**
 * A serious adverse event recorded in a trial, by its id there (a decimal number, counted per trial: the line names the
 * event alone, and the trial is in the transaction's event).
 */
export const ADVERSE_EVENT_SYSTEM = "urn:careledger:adverse-event";
/** CareLedger's purposes where HL7 has no code: only the wildcard `*` of a broad grant. */
export const PURPOSE_SYSTEM = "urn:careledger:purpose";

const DCM = "http://dicom.nema.org/resources/ontology/DCM";
const AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction";
const AUTHZ_SUBTYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType";
const LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
const ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
const RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";
const PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
const SECURITY_ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
const ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/** HL7 v3 PurposeOfUse (v3-ActReason) for each purpose: `AuditEvent.purposeOfEvent`, and a consent's labels. */
export const PURPOSE_OF_USE: Readonly<Record<keyof typeof Purpose, string>> = {
  Treatment: "TREAT",
  Payment: "HPAYMT",
  HealthcareOperations: "HOPERAT",
  Research: "HRESCH",
  PublicHealth: "PUBHLTH",
  EmergencyTreatment: "ETREAT",
};

/** HL7 information sensitivity codes (v3-ActCode) of the sensitive categories, labelled beside the category. */
export const SENSITIVITY_LABELS: Readonly<Partial<Record<keyof typeof DataCategory, string>>> = {
  MentalHealth: "MH",
  SubstanceUse: "ETH",
  SexualAndReproductiveHealth: "SEX",
  Genomics: "GDIS",
};

/** Purposes whose allowed accesses are disclosures (BALP PrivacyDisclosure) rather than decisions or reads. */
const DISCLOSURE_PURPOSES: ReadonlySet<string> = new Set(["Research", "PublicHealth"]);

/** Decision bases taken from a consent entry (a grant, or a deny or grant that refused): the event names the entry. */
const ENTRY_BASES: ReadonlySet<string> = new Set([
  "Grant",
  "OrganizationGrant",
  "ExplicitDeny",
  "SensitiveCategoryNotNamed",
  "PurposeNotNamed",
  "InactiveGrantee",
]);

/** Lines about the patient's consent entries: the row's participant is the grantee, not an actor. */
const CONSENT_CHANGES: ReadonlySet<AccessEntryKind> = new Set([
  "consent-granted",
  "consent-narrowed",
  "consent-revoked",
  "deny-set",
]);

/** Lines that name who acted (`row.actor`): a consent change, an answer to a request, a review, an appointment... */
const ACTED: ReadonlySet<AccessEntryKind> = new Set([
  ...CONSENT_CHANGES,
  "access-request-resolved",
  "break-glass-reviewed",
  "representative-appointed",
  "representative-removed",
  "amendment-requested",
  "trial",
]);

/** Lines whose actor is an account, not a participant: an auditor's review, a trial consent's signer. */
const ACCOUNT_ACTORS: ReadonlySet<AccessEntryKind> = new Set(["break-glass-reviewed", "trial"]);

/** Lines where the participant may act for itself alone: a requester cancelling, a representative resigning. */
const FOR_ITSELF: ReadonlySet<AccessEntryKind> = new Set(["access-request-resolved", "representative-removed"]);

/** Lines whose event decided the row's `status` (an answer, a finding): it is also the event's `outcomeDesc`. */
const DECIDES_STATUS: ReadonlySet<AccessEntryKind> = new Set([
  "access-request-resolved",
  "break-glass-reviewed",
  "amendment-resolved",
]);

/** The purposes a kind of disclosure implies, for a row that names none (a trial's data, a SUSAR's report). */
const IMPLIED_PURPOSES: Readonly<Partial<Record<AccessEntryKind, readonly (keyof typeof Purpose)[]>>> = {
  "trial-data": ["Research"],
  "adverse-event-reported": ["PublicHealth"],
};

/** The break-glass lines, and the decisions taken under a session: their `ref` is the session's id. */
const isUnderSession = (row: AccessReportRow): boolean =>
  row.kind.startsWith("break-glass") || row.basis === "BreakGlass";

const namesOf = (enumeration: Record<string, string | number>): string[] =>
  Object.keys(enumeration).filter((key) => typeof enumeration[key] === "number");

/**
 * A request's or a session's status as a row gives it (`RequestStatus` and `ReviewOutcome` names, or `pending`), or
 * none: what the access, break-glass, consent and request lines may carry.
 */
const REQUEST_OR_REVIEW: readonly (string | null)[] = [
  null,
  ...new Set([...namesOf(RequestStatus), ...namesOf(ReviewOutcome), "pending"]),
];

/** The statuses each kind of line may carry (null: none), as `reports.ts` writes them. */
export const STATUSES: Readonly<Record<AccessEntryKind, readonly (string | null)[]>> = {
  access: REQUEST_OR_REVIEW,
  "record-read": REQUEST_OR_REVIEW,
  "break-glass-opened": REQUEST_OR_REVIEW,
  "break-glass-closed": REQUEST_OR_REVIEW,
  "break-glass-reviewed": REQUEST_OR_REVIEW,
  "consent-granted": REQUEST_OR_REVIEW,
  "consent-narrowed": REQUEST_OR_REVIEW,
  "consent-revoked": REQUEST_OR_REVIEW,
  "deny-set": REQUEST_OR_REVIEW,
  "access-requested": REQUEST_OR_REVIEW,
  "access-request-resolved": REQUEST_OR_REVIEW,
  "representative-appointed": [null],
  "representative-removed": ["resigned", "revoked"],
  "record-written": ["anchored", "superseded", "adopted"],
  "record-entered-in-error": ["entered-in-error"],
  "amendment-requested": ["Pending"],
  "amendment-resolved": ["Accepted", "Denied", "Withdrawn"],
  trial: ["enrolled", "consent-signed", "withdrawn", "unblinded", "arm-disclosed"],
  "trial-data": [null],
  "adverse-event": ["life-threatening", "serious"],
  "adverse-event-reported": ["on time", "late"],
};

const coding = (system: string, code: string): Coding => ({ system, code });
const concept = (system: string, code: string): CodeableConcept => ({ coding: [coding(system, code)] });

// ---------------------------------------------------------------------------------------------------------------------
// Patterns

/** How one kind of line is recorded: its BALP pattern's codes and the roles its agents play. */
interface Pattern {
  /** The BALP profile followed, or null (break-glass: FHIR's own example). */
  profile: string | null;
  type: Coding;
  subtype: Coding[];
  action: "C" | "R" | "U" | "D" | "E";
  /** `agent.type` of the row's participant (the accessor, requester or practitioner); null: it is no agent. */
  participant: { type: Coding; requestor: boolean } | null;
  /** `agent.type` of the contract, and whether it is given a network address (BALP's source and server roles). */
  ledger: { type: Coding; network: boolean };
  /** `entity.lifecycle` of the data or consent entry concerned. */
  lifecycle: Coding | null;
}

const SECURITY_ALERT = coding(DCM, "110113");
const REST = coding(AUDIT_EVENT_TYPE, "rest");
const SOURCE_ROLE = coding(DCM, "110153");
const DESTINATION_ROLE = coding(DCM, "110152");
const AUTHORIZATION_SERVER = coding(SECURITY_ROLE_TYPE, "authserver");
const INFORMATION_RECIPIENT = coding(PARTICIPATION_TYPE, "IRCP");
const AUTHOR = coding(PARTICIPATION_TYPE, "AUT");
const VERIFIER = coding(PARTICIPATION_TYPE, "VRF");
/** BALP's user agent types for the patient herself, and for someone acting on her behalf (her representative). */
const PATIENT_ROLE = coding(ROLE_CLASS, "PAT");
const ON_BEHALF = coding(ROLE_CLASS, "AGNT");

function decision(): Pattern {
  return {
    profile: BALP_PROFILES.authZConsent,
    type: SECURITY_ALERT,
    subtype: [coding(AUTHZ_SUBTYPE, "AuthZ-Consent")],
    action: "E",
    participant: { type: INFORMATION_RECIPIENT, requestor: true },
    ledger: { type: AUTHORIZATION_SERVER, network: false },
    lifecycle: null,
  };
}

function read(): Pattern {
  return {
    profile: BALP_PROFILES.patientRead,
    type: REST,
    subtype: [coding(RESTFUL_INTERACTION, "read")],
    action: "R",
    participant: { type: INFORMATION_RECIPIENT, requestor: true },
    ledger: { type: SOURCE_ROLE, network: true },
    lifecycle: coding(LIFECYCLE, "access"),
  };
}

/**
 * A disclosure, from the ledger (the source) to the row's participant (the destination): the accessor, who asked for
 * it, or the recipient of a report it did not ask for (`requested` false: a SUSAR's regulator).
 */
function disclosure(isRead: boolean, requested = true): Pattern {
  return {
    profile: BALP_PROFILES.privacyDisclosureSource,
    type: coding(DCM, "110106"),
    subtype: [coding(LIFECYCLE, "disclose"), ...(isRead ? [coding(RESTFUL_INTERACTION, "read")] : [])],
    action: "R",
    participant: { type: DESTINATION_ROLE, requestor: requested },
    ledger: { type: SOURCE_ROLE, network: true },
    lifecycle: coding(LIFECYCLE, "disclose"),
  };
}

/**
 * A change to one of the patient's resources (a consent entry, a request, a representation, a record, her part in a
 * trial), after BALP's RESTful create and update of a patient's resource. `author`: the row's participant is who made
 * it (BALP's user agent), not whom it concerns.
 */
function change(create: boolean, author: boolean, lifecycle: string | null): Pattern {
  return {
    profile: create ? BALP_PROFILES.patientCreate : BALP_PROFILES.patientUpdate,
    type: REST,
    subtype: [coding(RESTFUL_INTERACTION, create ? "create" : "update")],
    action: create ? "C" : "U",
    participant: author ? { type: AUTHOR, requestor: true } : null,
    ledger: { type: DESTINATION_ROLE, network: true },
    lifecycle: lifecycle === null ? null : coding(LIFECYCLE, lifecycle),
  };
}

function breakGlass(subtype: string | null, opening: boolean): Pattern {
  return {
    profile: null,
    type: SECURITY_ALERT,
    subtype: subtype === null ? [] : [coding(DCM, subtype)],
    action: "E",
    participant: { type: INFORMATION_RECIPIENT, requestor: opening },
    ledger: { type: AUTHORIZATION_SERVER, network: false },
    lifecycle: null,
  };
}

/** Each part the patient takes in a trial: whether it creates the resource it concerns, and that one's lifecycle. */
const TRIAL_STEPS: Readonly<Record<string, readonly [create: boolean, lifecycle: string | null]>> = {
  /** Her part in the trial begins. */
  enrolled: [true, "originate"],
  /** A signature captured on her consent to the trial (at enrollment, just before it, and on each re-consent). */
  "consent-signed": [true, "attest"],
  withdrawn: [false, null],
  /** An investigator opened her concealed allocation in an emergency. */
  unblinded: [false, "access"],
  /** The randomization service disclosed her arm. */
  "arm-disclosed": [false, "disclose"],
};

/** A write to her chart: a first version or an adopted one is created, a new version updates the record. */
function written(status: string | null): Pattern {
  if (status === "superseded") return change(false, true, "amend");
  return change(true, true, status === "adopted" ? "receive" : "originate");
}

/** The pattern a row is recorded after; see the table above. */
function patternOf(row: AccessReportRow): Pattern {
  const disclosed = row.outcome === "allowed" && row.purposes.some((purpose) => DISCLOSURE_PURPOSES.has(purpose));
  switch (row.kind) {
    case "access":
      return disclosed ? disclosure(false) : decision();
    case "record-read":
      if (row.outcome === "denied") return decision();
      return disclosed ? disclosure(true) : read();
    case "break-glass-opened":
      return breakGlass("110127", true);
    case "break-glass-closed":
      return breakGlass("110138", false);
    case "break-glass-reviewed":
      return breakGlass(null, false);
    case "consent-granted":
      return change(true, false, "originate");
    case "consent-narrowed":
      return change(false, false, "amend");
    case "consent-revoked":
      return change(false, false, "deprecate");
    case "deny-set":
      return change(false, false, "amend");
    case "access-requested":
      return change(true, true, null);
    case "access-request-resolved":
      return change(false, false, null);
    case "representative-appointed":
      return change(true, false, "originate");
    case "representative-removed":
      return change(false, false, "deprecate");
    case "record-written":
      return written(row.status);
    case "record-entered-in-error":
      return change(false, true, "deprecate");
    case "amendment-requested":
      return change(true, false, null);
    case "amendment-resolved":
      return change(false, false, null);
    case "trial": {
      const [create, lifecycle] = TRIAL_STEPS[row.status ?? ""] ?? [false, null];
      return change(create, true, lifecycle);
    }
    case "trial-data":
      return disclosure(false);
    case "adverse-event":
      return change(true, true, "originate");
    case "adverse-event-reported":
      return disclosure(false, false);
  }
}

/** The canonical URL of the BALP profile whose pattern the row's AuditEvent follows, or null (break-glass lines). */
export function balpProfileOf(row: AccessReportRow): string | null {
  return patternOf(row).profile;
}

// ---------------------------------------------------------------------------------------------------------------------
// Checks: a row holds ids and enum names only, or it is refused (nothing else may reach the file)

const DECIMAL_ID = /^[1-9][0-9]*$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** FHIR's `instant`: a time to the second, with a zone. */
const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

function check(ok: boolean, row: AccessReportRow, what: string): void {
  if (!ok) throw new Error(`access report line ${row.blockNumber}/${row.logIndex} (tx ${row.txHash}): ${what}`);
}

function isMember(enumeration: Record<string, string | number>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(enumeration, name) && typeof enumeration[name] === "number";
}

function checkRow(row: AccessReportRow, report: AccessReport): void {
  check(DECIMAL_ID.test(report.source.chainId), row, `chain id "${report.source.chainId}" is not a number`);
  check(DECIMAL_ID.test(report.patient), row, `patient "${report.patient}" is not a participant id`);
  check(HASH.test(row.txHash), row, `txHash "${row.txHash}" is not a transaction hash`);
  check(INSTANT.test(row.isoTime), row, `isoTime "${row.isoTime}" is not an ISO 8601 time with a zone`);
  for (const [field, id] of [
    ["participant", row.participant],
    ["organization", row.organization],
    ["grantee", row.grantee],
  ] as const) {
    check(id === null || DECIMAL_ID.test(id), row, `${field} "${id}" is not a participant id`);
  }
  check(row.record === null || HASH.test(row.record), row, `record "${row.record}" is not a record commitment`);
  checkActor(row);
  check(row.ref === null || DECIMAL_ID.test(row.ref), row, `ref "${row.ref}" is not a version or id`);
  checkStatus(row);
  for (const name of row.categories) {
    check(name === "*" || isMember(DataCategory, name), row, `"${name}" is not a data category`);
  }
  for (const name of row.purposes) check(name === "*" || isMember(Purpose, name), row, `"${name}" is not a purpose`);
  check(row.basis === null || isMember(DecisionBasis, row.basis), row, `"${row.basis}" is not a decision basis`);
  const decides = row.kind === "access" || row.kind === "record-read";
  check(!decides || row.outcome !== null, row, `${row.kind} line without an outcome`);
  check(report.source.contracts[row.contract] !== undefined, row, `contract "${row.contract}" is not in the source`);
}

/** A status the row's kind allows (`STATUSES`), or none where it allows none. */
function checkStatus(row: AccessReportRow): void {
  const { kind, status } = row;
  const allowed = STATUSES[kind];
  if (allowed.includes(status)) return;
  const named = allowed.filter((name) => name !== null).map((name) => `"${name}"`);
  const choice = `one of ${named.join(", ")}${allowed.includes(null) ? " or none" : ""}`;
  check(
    false,
    row,
    allowed === REQUEST_OR_REVIEW
      ? `"${status}" is not a request or review status`
      : status === null
        ? `${kind} line without a status (${choice})`
        : named.length === 0
          ? `${kind} line with a status ("${status}")`
          : `"${status}" is not a status of ${kind} lines (${choice})`,
  );
}

/**
 * An actor is a participant id, or an account address (checksummed, or all one case) on a break-glass review and a
 * trial consent's signature.
 */
function checkActor(row: AccessReportRow): void {
  const { actor, kind } = row;
  if (actor === null) return;
  check(ACTED.has(kind), row, `${kind} line with an actor`);
  check(kind !== "trial" || row.status === "consent-signed", row, "trial line with an actor: only a signature has one");
  if (ACCOUNT_ACTORS.has(kind)) {
    check(ADDRESS.test(actor) && isAddress(actor), row, `actor "${actor}" is not an account address`);
  } else {
    check(DECIMAL_ID.test(actor), row, `actor "${actor}" is not a participant id`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Agents, entities and labels

/** The CAIP-10 account id of the contract that emitted the row's event. */
function contractId(row: AccessReportRow, report: AccessReport): string {
  return `eip155:${report.source.chainId}:${getAddress(report.source.contracts[row.contract] ?? "")}`;
}

function participant(id: string, type?: "Patient" | "Practitioner" | "Organization"): Reference {
  return { ...(type === undefined ? {} : { type }), identifier: { system: PARTICIPANT_ID_SYSTEM, value: id } };
}

/**
 * Who acted on a line that names one, as BALP's user agent and the event's requestor (see the module's comment): the
 * patient or her representative making a consent change, answering a request, appointing or removing a
 * representative or asking for an amendment; the requester cancelling its own request or the representative
 * resigning; the account that signed a trial consent; or the auditor's account reviewing a break-glass session.
 */
function actorAgent(row: AccessReportRow, report: AccessReport): AuditEventAgent | null {
  const { actor } = row;
  if (actor === null) return null;
  if (ACCOUNT_ACTORS.has(row.kind)) {
    return {
      type: { coding: [row.kind === "break-glass-reviewed" ? VERIFIER : AUTHOR] },
      who: { identifier: { system: ACCOUNT_SYSTEM, value: `eip155:${report.source.chainId}:${getAddress(actor)}` } },
      requestor: true,
    };
  }
  const byPatient = actor === report.patient;
  const forItself = FOR_ITSELF.has(row.kind) && actor === row.participant;
  const role = byPatient ? [PATIENT_ROLE] : forItself ? [] : [ON_BEHALF];
  return {
    type: { coding: [AUTHOR, ...role] },
    who: participant(actor, byPatient ? "Patient" : undefined),
    requestor: true,
  };
}

/**
 * The row's agents, by identifier only: who acted (`actorAgent`), its participant (typed `Practitioner` on
 * break-glass lines, where the contract requires one, and `Patient` when it is the patient; CareLedger's other kinds
 * of participant are not told apart in a row, so no type), the organization it acted for (BALP's `userorg`,
 * v3-RoleClass PROV), and the contract.
 */
function agentsOf(row: AccessReportRow, report: AccessReport, pattern: Pattern): AuditEventAgent[] {
  const actor = actorAgent(row, report);
  const agents: AuditEventAgent[] = actor === null ? [] : [actor];
  if (pattern.participant !== null && row.participant !== null) {
    const type =
      row.participant === report.patient ? "Patient" : row.kind.startsWith("break-glass") ? "Practitioner" : undefined;
    agents.push({
      type: { coding: [pattern.participant.type] },
      who: participant(row.participant, type),
      requestor: pattern.participant.requestor,
    });
  }
  if (row.organization !== null) {
    agents.push({
      type: concept(ROLE_CLASS, "PROV"),
      who: participant(row.organization, "Organization"),
      requestor: false,
    });
  }
  const contract = contractId(row, report);
  agents.push({
    type: { coding: [pattern.ledger.type] },
    who: { type: "Device", identifier: { system: CONTRACT_SYSTEM, value: contract } },
    requestor: false,
    ...(pattern.ledger.network ? { network: { address: contract, type: "5" as const } } : {}),
  });
  return agents;
}

/**
 * A data category as security labels: its code in CareLedger's category system (the records module's, whose codes are
 * `DataCategory` names, `*` for a broad grant's wildcard), and HL7's information sensitivity code when it is sensitive.
 */
function categoryLabels(categories: readonly string[]): Coding[] {
  return categories.flatMap((name) => {
    const sensitivity = SENSITIVITY_LABELS[name as keyof typeof DataCategory];
    return [coding(CATEGORY_SYSTEM, name), ...(sensitivity === undefined ? [] : [coding(ACT_CODE, sensitivity)])];
  });
}

function purposeCoding(name: string): Coding {
  return name === "*" ? coding(PURPOSE_SYSTEM, "*") : coding(ACT_REASON, PURPOSE_OF_USE[name as keyof typeof Purpose]);
}

function patientEntity(report: AccessReport): AuditEventEntity {
  return {
    type: coding(ENTITY_TYPE, "1"),
    role: coding(OBJECT_ROLE, "1"),
    what: participant(report.patient, "Patient"),
  };
}

/**
 * The data concerned (BALP's `data` entity): the record read, written, entered in error or asked to be amended, if
 * any, labelled with its categories.
 */
function dataEntity(row: AccessReportRow, pattern: Pattern): AuditEventEntity | null {
  if (row.record === null && row.categories.length === 0) return null;
  return {
    type: coding(ENTITY_TYPE, "2"),
    role: coding(OBJECT_ROLE, "4"),
    ...(row.record === null ? {} : { what: { identifier: { system: RECORD_COMMITMENT_SYSTEM, value: row.record } } }),
    ...(pattern.lifecycle === null ? {} : { lifecycle: pattern.lifecycle }),
    ...(row.categories.length === 0 ? {} : { securityLabel: categoryLabels(row.categories) }),
  };
}

function entryReference(report: AccessReport, grantee: string): Reference {
  return { type: "Consent", identifier: { system: CONSENT_ENTRY_SYSTEM, value: `${report.patient}:${grantee}` } };
}

/** The version of a consent entry that a line names (`ref`), as the entry's detail; none without a ref. */
function versionDetail(row: AccessReportRow): Pick<AuditEventEntity, "detail"> {
  return row.ref === null ? {} : { detail: [{ type: "version", valueString: row.ref }] };
}

/** A request's or a session's status (`status`), as the entity's detail; none without a status. */
function statusDetail(row: AccessReportRow): Pick<AuditEventEntity, "detail"> {
  return row.status === null ? {} : { detail: [{ type: "status", valueString: row.status }] };
}

/**
 * A change to a consent entry, as the data entity of BALP's RESTful pattern: the entry (a `Consent`), labelled with
 * the scope it now grants or denies (categories, and purposes as PurposeOfUse labels), and its version as a detail.
 */
function entryEntity(row: AccessReportRow, report: AccessReport, pattern: Pattern): AuditEventEntity | null {
  const grantee = row.grantee ?? row.participant;
  if (grantee === null) return null;
  const labels = [...categoryLabels(row.categories), ...row.purposes.map(purposeCoding)];
  return {
    type: coding(ENTITY_TYPE, "2"),
    role: coding(OBJECT_ROLE, "4"),
    what: entryReference(report, grantee),
    ...(pattern.lifecycle === null ? {} : { lifecycle: pattern.lifecycle }),
    ...(labels.length === 0 ? {} : { securityLabel: labels }),
    ...versionDetail(row),
  };
}

/**
 * An access request, as the data entity of BALP's RESTful pattern (the request is what asking creates and answering
 * updates): the request by its id, labelled with the categories it asks for (its purposes are the event's), and its
 * status as a detail.
 */
function requestEntity(row: AccessReportRow): AuditEventEntity | null {
  if (row.ref === null) return null;
  return {
    type: coding(ENTITY_TYPE, "2"),
    role: coding(OBJECT_ROLE, "4"),
    what: { identifier: { system: ACCESS_REQUEST_SYSTEM, value: row.ref } },
    ...(row.categories.length === 0 ? {} : { securityLabel: categoryLabels(row.categories) }),
    ...statusDetail(row),
  };
}

/**
 * The break-glass session a line concerns (its opening, closing or review, or a decision taken under it), by its id,
 * as a security resource (object-role 13), with its review as a detail where the row gives it.
 */
function sessionEntity(row: AccessReportRow): AuditEventEntity | null {
  if (row.ref === null || !isUnderSession(row)) return null;
  return {
    type: coding(ENTITY_TYPE, "2"),
    role: coding(OBJECT_ROLE, "13"),
    what: { identifier: { system: BREAK_GLASS_SESSION_SYSTEM, value: row.ref } },
    ...statusDetail(row),
  };
}

/**
 * The participant a line concerns without acting in it (the grantee of a consent change, the requester of a resolved
 * request, the representative appointed or removed), by identifier, in DICOM's role for a user whose access rights
 * are changed (object-role 11, Security User Entity). Who acted is an agent (`actorAgent`).
 */
function subjectEntity(row: AccessReportRow): AuditEventEntity | null {
  const subject = row.grantee ?? row.participant;
  if (subject === null) return null;
  return { role: coding(OBJECT_ROLE, "11"), what: participant(subject) };
}

/** A data entity (BALP's RESTful pattern's `data`): the resource a line concerns, with its pattern's lifecycle. */
function domainEntity(what: Reference, pattern: Pattern): AuditEventEntity {
  return {
    type: coding(ENTITY_TYPE, "2"),
    role: coding(OBJECT_ROLE, "4"),
    what,
    ...(pattern.lifecycle === null ? {} : { lifecycle: pattern.lifecycle }),
  };
}

/**
 * The patient's representation by the row's participant (what appointing creates and removing ends), as a
 * `RelatedPerson`, with how it ended (`resigned`, `revoked`) as a detail.
 */
function representationEntity(row: AccessReportRow, report: AccessReport, pattern: Pattern): AuditEventEntity | null {
  if (row.participant === null) return null;
  const value = `${report.patient}:${row.participant}`;
  return {
    ...domainEntity({ type: "RelatedPerson", identifier: { system: REPRESENTATION_SYSTEM, value } }, pattern),
    ...statusDetail(row),
  };
}

/** A record written to the chart or entered in error: the data entity, with how it was written as a detail. */
function writtenEntity(row: AccessReportRow, pattern: Pattern): AuditEventEntity | null {
  const data = dataEntity(row, pattern);
  return data === null ? null : { ...data, ...statusDetail(row) };
}

/** An amendment request by its id (what asking creates and answering updates), with its status as a detail. */
function amendmentEntity(row: AccessReportRow, pattern: Pattern): AuditEventEntity | null {
  if (row.ref === null) return null;
  return {
    ...domainEntity({ identifier: { system: AMENDMENT_REQUEST_SYSTEM, value: row.ref } }, pattern),
    ...statusDetail(row),
  };
}

/**
 * The patient's part in the trial `ref` (a `ResearchSubject`), or on a consent signature her consent to it (a
 * `Consent`), with the step as a detail.
 */
function participationEntity(row: AccessReportRow, report: AccessReport, pattern: Pattern): AuditEventEntity | null {
  if (row.ref === null) return null;
  const value = `${row.ref}:${report.patient}`;
  const what: Reference =
    row.status === "consent-signed"
      ? { type: "Consent", identifier: { system: TRIAL_CONSENT_SYSTEM, value } }
      : { type: "ResearchSubject", identifier: { system: TRIAL_SUBJECT_SYSTEM, value } };
  return { ...domainEntity(what, pattern), ...statusDetail(row) };
}

/** The trial a line concerns, by its id (`ref`), as a `ResearchStudy`. */
function trialEntity(row: AccessReportRow): AuditEventEntity | null {
  if (row.ref === null) return null;
  return {
    type: coding(RESOURCE_TYPES, "ResearchStudy"),
    what: { type: "ResearchStudy", identifier: { system: TRIAL_SYSTEM, value: row.ref } },
  };
}

/** A trial's data batch holding the patient's case-report data, by its Merkle root (the row's `record`). */
function batchEntity(row: AccessReportRow, pattern: Pattern): AuditEventEntity | null {
  if (row.record === null) return null;
  return {
    ...domainEntity({ identifier: { system: TRIAL_DATA_BATCH_SYSTEM, value: row.record } }, pattern),
    ...(row.categories.length === 0 ? {} : { securityLabel: categoryLabels(row.categories) }),
  };
}

/** An adverse event by its id in its trial, with its seriousness, or its report's timeliness, as the status. */
function adverseEventEntity(row: AccessReportRow, pattern: Pattern): AuditEventEntity | null {
  if (row.ref === null) return null;
  return {
    ...domainEntity({ type: "AdverseEvent", identifier: { system: ADVERSE_EVENT_SYSTEM, value: row.ref } }, pattern),
    ...statusDetail(row),
  };
}

/**
 * The consent entry that decided an access (BALP AuthZconsent's `consent` entity), when one did, with the version of
 * its grant that allowed it (a refusal names no version).
 */
function decidingEntry(row: AccessReportRow, report: AccessReport): AuditEventEntity | null {
  if (row.grantee === null || row.basis === null || !ENTRY_BASES.has(row.basis)) return null;
  return { type: coding(RESOURCE_TYPES, "Consent"), what: entryReference(report, row.grantee), ...versionDetail(row) };
}

/** The proof: the transaction, and where its event is (block, log index, contract and event name). */
function transactionEntity(row: AccessReportRow): AuditEventEntity {
  return {
    type: coding(ENTITY_TYPE, "4"),
    what: { identifier: { system: TRANSACTION_SYSTEM, value: row.txHash } },
    detail: [
      { type: "blockNumber", valueString: String(row.blockNumber) },
      { type: "logIndex", valueString: String(row.logIndex) },
      { type: "contract", valueString: row.contract },
      { type: "event", valueString: row.event },
    ],
  };
}

/** The entities a line concerns, between the patient and the transaction (null where the row lacks one). */
function concernedEntities(row: AccessReportRow, report: AccessReport, pattern: Pattern): (AuditEventEntity | null)[] {
  switch (row.kind) {
    case "access":
    case "record-read":
    case "break-glass-opened":
    case "break-glass-closed":
    case "break-glass-reviewed":
      return [dataEntity(row, pattern), decidingEntry(row, report), sessionEntity(row)];
    case "consent-granted":
    case "consent-narrowed":
    case "consent-revoked":
    case "deny-set":
      return [entryEntity(row, report, pattern), subjectEntity(row)];
    case "access-requested":
      return [requestEntity(row)];
    case "access-request-resolved":
      return [requestEntity(row), subjectEntity(row)];
    case "representative-appointed":
    case "representative-removed":
      return [representationEntity(row, report, pattern), subjectEntity(row)];
    case "record-written":
    case "record-entered-in-error":
      return [writtenEntity(row, pattern)];
    case "amendment-requested":
    case "amendment-resolved":
      // The record the request concerns: asking and answering do not change it (an accepted amendment's new version
      // is a line of its own).
      return [amendmentEntity(row, pattern), dataEntity(row, pattern)];
    case "trial":
      return [participationEntity(row, report, pattern), trialEntity(row)];
    case "trial-data":
      return [batchEntity(row, pattern), trialEntity(row)];
    case "adverse-event":
    case "adverse-event-reported":
      return [adverseEventEntity(row, pattern)];
  }
}

function entitiesOf(row: AccessReportRow, report: AccessReport, pattern: Pattern): AuditEventEntity[] {
  return [
    patientEntity(report),
    ...concernedEntities(row, report, pattern).filter((entity) => entity !== null),
    transactionEntity(row),
  ];
}

// ---------------------------------------------------------------------------------------------------------------------
// Events and the Bundle

/** The AuditEvent's id: chain, block and log index, which name one log (`[A-Za-z0-9-.]{1,64}`, as FHIR requires). */
function eventId(row: AccessReportRow, report: AccessReport): string {
  return `${report.source.chainId}-${row.blockNumber}-${row.logIndex}`;
}

/**
 * One row as an AuditEvent. `recorded` is the block time; `outcome` is 0 (success) or, for a denial, 4 (minor
 * failure: a refusal, as HTTP's 403 is a client error), with the decision basis's name as `outcomeDesc`. An answer
 * to a request and a review are successes whatever they decided (a rejection took effect): what they decided
 * (`Rejected`, `Unjustified`...) is their `outcomeDesc` and the status of the request or session entity (see the
 * module's comment). For a consent change, the purposes it grants are labels of the entry, not the event's purpose;
 * a trial's data and a SUSAR's report, whose rows name no purpose, take the one their kind implies. A record written
 * gives the consent basis it was written under as `outcomeDesc`, as an allowed access does.
 * Throws on a row that holds anything but ids, hashes and enum names, or whose contract the report's source does
 * not list.
 */
export function auditEventOf(row: AccessReportRow, report: AccessReport): AuditEvent {
  checkRow(row, report);
  const pattern = patternOf(row);
  const purposes = CONSENT_CHANGES.has(row.kind)
    ? []
    : row.purposes.length > 0
      ? row.purposes
      : (IMPLIED_PURPOSES[row.kind] ?? []);
  const contract = contractId(row, report);
  const outcomeDesc = row.basis ?? (DECIDES_STATUS.has(row.kind) ? row.status : null);
  return {
    resourceType: "AuditEvent",
    id: eventId(row, report),
    ...(pattern.profile === null ? {} : { meta: { tag: [coding(BALP_PATTERN_SYSTEM, pattern.profile)] } }),
    type: pattern.type,
    subtype: [...pattern.subtype, coding(ENTRY_KIND_SYSTEM, row.kind)],
    action: pattern.action,
    recorded: row.isoTime,
    outcome: row.outcome === "denied" ? "4" : "0",
    ...(outcomeDesc === null ? {} : { outcomeDesc }),
    ...(purposes.length === 0 ? {} : { purposeOfEvent: purposes.map((name) => ({ coding: [purposeCoding(name)] })) }),
    agent: agentsOf(row, report, pattern),
    source: { observer: { type: "Device", identifier: { system: CONTRACT_SYSTEM, value: contract } } },
    entity: entitiesOf(row, report, pattern),
  };
}

/** A name-based UUID (RFC 9562 version 8, from SHA-256), so that a regenerated Bundle has the same `fullUrl`s. */
function uuidOf(name: string): string {
  const hex = sha256(toUtf8Bytes(name)).slice(2, 34).split("");
  hex[12] = "8";
  hex[16] = ((parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The access report as a FHIR R4 `collection` Bundle of AuditEvents (see the module's comment). `generatedAt`, a FHIR
 * instant (`2024-03-05T10:00:00Z`), becomes `Bundle.timestamp`; without it the Bundle has none, as nothing here reads
 * a clock. A report without lines gives a Bundle without `entry` (FHIR's JSON has no empty arrays). Throws on a bad
 * `generatedAt`, a bad row (`auditEventOf`), or two rows of one log.
 */
export function accessReportBundle(report: AccessReport, options: { generatedAt?: string } = {}): Bundle {
  const { generatedAt } = options;
  if (generatedAt !== undefined && !INSTANT.test(generatedAt)) {
    throw new Error(
      `generatedAt "${generatedAt}" is not a FHIR instant (a time with seconds and zone, e.g. 2024-03-05T10:00:00Z)`,
    );
  }
  const seen = new Set<string>();
  const entry = report.rows.map((row) => {
    const resource = auditEventOf(row, report);
    const id = resource.id ?? "";
    check(!seen.has(id), row, "a second line of the same log");
    seen.add(id);
    return { fullUrl: `urn:uuid:${uuidOf(`careledger:audit-event:${id}`)}`, resource };
  });
  return {
    resourceType: "Bundle",
    type: "collection",
    ...(generatedAt === undefined ? {} : { timestamp: generatedAt }),
    ...(entry.length === 0 ? {} : { entry }),
  };
}
