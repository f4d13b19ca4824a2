import type { Bundle, Observation, Patient } from "fhir/r4";

import { PARTICIPANT_ID_SYSTEM } from "./fhir-scopes";

/**
 * Synthetic FHIR R4 records for demos, tests and benchmarks: made-up values, no real person. The patient appears only
 * by the pseudonymous participant id the chain already uses.
 */

const LABORATORY = {
  coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }],
};

/** A serum potassium result: a single lab value, the low-entropy document a salted commitment exists for. */
export function potassiumObservation(value: number): Observation {
  return {
    resourceType: "Observation",
    status: "final",
    category: [LABORATORY],
    code: { coding: [{ system: "http://loinc.org", code: "2823-3", display: "Potassium [Moles/volume] in Serum" }] },
    valueQuantity: { value, unit: "mmol/L", system: "http://unitsofmeasure.org", code: "mmol/L" },
  };
}

/** A bundle naming its patient by participant id, with one heart-rate observation: one record of a nightly batch. */
export function vitalsBundle(patient: bigint, index: number): Bundle {
  const subject: Patient = {
    resourceType: "Patient",
    identifier: [{ system: PARTICIPANT_ID_SYSTEM, value: String(patient) }],
  };
  const heartRate: Observation = {
    resourceType: "Observation",
    status: "final",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] },
    ],
    code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
    valueQuantity: { value: 55 + (index % 40), unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
  };
  return { resourceType: "Bundle", type: "collection", entry: [{ resource: subject }, { resource: heartRate }] };
}

/** A basic metabolic panel of six results (about 3.7 KB in canonical form), the benchmark's typical record. */
export function metabolicPanelBundle(patient: bigint, index: number): Bundle {
  const subject: Patient = {
    resourceType: "Patient",
    id: `p-${index}`,
    identifier: [{ system: PARTICIPANT_ID_SYSTEM, value: String(patient) }],
  };
  const results = ["2823-3", "2951-2", "2075-0", "2345-7", "3094-0", "2160-0"].map((code, i): Observation => ({
    resourceType: "Observation",
    id: `obs-${index}-${i}`,
    status: "final",
    category: [LABORATORY],
    code: { coding: [{ system: "http://loinc.org", code, display: `LOINC ${code}` }] },
    subject: { reference: `Patient/p-${index}` },
    effectiveDateTime: "2026-11-20T08:30:00Z",
    valueQuantity: {
      value: 4.1 + i / 10 + (index % 7) / 100,
      unit: "mmol/L",
      system: "http://unitsofmeasure.org",
      code: "mmol/L",
    },
    referenceRange: [{ low: { value: 3.5, unit: "mmol/L" }, high: { value: 5.1, unit: "mmol/L" } }],
  }));
  return {
    resourceType: "Bundle",
    type: "collection",
    entry: [{ resource: subject }, ...results.map((resource) => ({ resource }))],
  };
}
