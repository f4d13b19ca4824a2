import type { Bundle, Coding, Resource } from "fhir/r4";

import { DataCategory, parseCategory } from "../consent/scopes";

/**
 * How a FHIR record names its CareLedger scope: the patient's pseudonymous participant id as a `Patient.identifier`
 * of this system, and (optionally) the data category as a `meta.tag` of the category system, whose code is a
 * `DataCategory` name. Neither is PHI: the id is the pseudonym the chain already uses.
 */
export const PARTICIPANT_ID_SYSTEM = "urn:careledger:participant-id";
export const CATEGORY_SYSTEM = "urn:careledger:data-category";

/** The category a resource type belongs to when no tag says otherwise (US Core data classes). */
const CATEGORY_BY_TYPE: Readonly<Record<string, DataCategory>> = {
  Patient: DataCategory.Demographics,
  AllergyIntolerance: DataCategory.Allergies,
  MedicationRequest: DataCategory.Medications,
  MedicationStatement: DataCategory.Medications,
  MedicationDispense: DataCategory.Medications,
  MedicationAdministration: DataCategory.Medications,
  Condition: DataCategory.Conditions,
  Procedure: DataCategory.Procedures,
  ImagingStudy: DataCategory.Imaging,
  Immunization: DataCategory.Immunizations,
  DocumentReference: DataCategory.ClinicalNotes,
  Composition: DataCategory.ClinicalNotes,
  Encounter: DataCategory.Encounters,
  Claim: DataCategory.InsuranceAndClaims,
  Coverage: DataCategory.InsuranceAndClaims,
  ExplanationOfBenefit: DataCategory.InsuranceAndClaims,
};

/** Observation and DiagnosticReport categories (HL7 observation-category and diagnostic service sections). */
const CATEGORY_BY_CODE: Readonly<Record<string, DataCategory>> = {
  laboratory: DataCategory.LaboratoryResults,
  LAB: DataCategory.LaboratoryResults,
  "vital-signs": DataCategory.VitalSigns,
  imaging: DataCategory.Imaging,
  RAD: DataCategory.Imaging,
};

function entries(resource: Resource): Resource[] {
  if (resource.resourceType !== "Bundle") return [resource];
  return ((resource as Bundle).entry ?? []).flatMap((entry) => (entry.resource === undefined ? [] : [entry.resource]));
}

function codings(resource: Resource): Coding[] {
  const categories = (resource as { category?: { coding?: Coding[] }[] }).category ?? [];
  return categories.flatMap((concept) => concept.coding ?? []);
}

/**
 * The data category of a resource or bundle: a `meta.tag` of `CATEGORY_SYSTEM` on the resource (or bundle) wins;
 * otherwise the first clinical entry decides (an Observation or DiagnosticReport by its category code, other types
 * by their US Core data class). Throws if nothing names one.
 */
export function categoryOf(resource: Resource): DataCategory {
  const tag = resource.meta?.tag?.find((coding) => coding.system === CATEGORY_SYSTEM)?.code;
  if (tag !== undefined) return parseCategory(tag);
  for (const entry of entries(resource)) {
    const tagged = entry.meta?.tag?.find((coding) => coding.system === CATEGORY_SYSTEM)?.code;
    if (tagged !== undefined) return parseCategory(tagged);
    if (entry.resourceType === "Observation" || entry.resourceType === "DiagnosticReport") {
      for (const coding of codings(entry)) {
        const category = coding.code === undefined ? undefined : CATEGORY_BY_CODE[coding.code];
        if (category !== undefined) return category;
      }
      continue;
    }
    if (entry.resourceType !== "Patient" && CATEGORY_BY_TYPE[entry.resourceType] !== undefined) {
      return CATEGORY_BY_TYPE[entry.resourceType] as DataCategory;
    }
  }
  if (entries(resource).some((entry) => entry.resourceType === "Patient")) return DataCategory.Demographics;
  throw new Error(`no data category for this ${resource.resourceType}: tag it with ${CATEGORY_SYSTEM}`);
}

/** The CareLedger participant id of the patient a resource or bundle is about, from its Patient's identifier. */
export function patientOf(resource: Resource): bigint {
  for (const entry of entries(resource)) {
    if (entry.resourceType !== "Patient") continue;
    const identifiers = (entry as { identifier?: { system?: string; value?: string }[] }).identifier ?? [];
    const value = identifiers.find((identifier) => identifier.system === PARTICIPANT_ID_SYSTEM)?.value;
    if (value !== undefined && /^[1-9][0-9]*$/.test(value)) return BigInt(value);
  }
  throw new Error(`no Patient with a ${PARTICIPANT_ID_SYSTEM} identifier in this ${resource.resourceType}`);
}
