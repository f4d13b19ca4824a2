/**
 * The synthetic world the claims population is drawn from: common CPT/HCPCS procedures with typical allowed amounts,
 * copay kinds, units and whether they need a prior authorization; codes no plan covers; the codes each specialty
 * bills; and the names of the organizations and payers.
 */

export type CopayKind = "primary" | "specialist" | "therapy" | "emergency" | "none";

/** A procedure as the simulator bills it: a typical commercial allowed amount per unit, in cents. */
export interface Procedure {
  code: string;
  description: string;
  /** Typical allowed amount per unit, in US cents. */
  allowedCents: number;
  copay: CopayKind;
  /** Units on a typical line. */
  units: readonly [number, number];
  /** Whether plans that list it ask for prior authorization. */
  priorAuth: boolean;
}

type ProcedureRow = readonly [string, string, number, CopayKind, number, number, boolean];

const procedures = (rows: readonly ProcedureRow[]): Procedure[] =>
  rows.map(([code, description, allowedCents, copay, low, high, priorAuth]) => ({
    code,
    description,
    allowedCents,
    copay,
    units: [low, high],
    priorAuth,
  }));

/** Common professional services with typical commercial allowed amounts (rounded): code, description, cents, copay
 * kind, units from–to, prior authorization. */
export const PROCEDURES: readonly Procedure[] = procedures([
  ["99203", "New patient office visit, low", 11_000, "primary", 1, 1, false],
  ["99204", "New patient office visit, moderate", 17_000, "specialist", 1, 1, false],
  ["99213", "Established patient office visit, low", 9_500, "primary", 1, 1, false],
  ["99214", "Established patient office visit, moderate", 13_500, "primary", 1, 1, false],
  ["99215", "Established patient office visit, high", 18_500, "specialist", 1, 1, false],
  ["99395", "Preventive visit, 18-39 years", 16_000, "none", 1, 1, false],
  ["G0439", "Annual wellness visit, subsequent", 13_000, "none", 1, 1, false],
  ["99284", "Emergency department visit, moderate", 42_000, "emergency", 1, 1, false],
  ["36415", "Routine venipuncture", 800, "none", 1, 1, false],
  ["80053", "Comprehensive metabolic panel", 1_800, "none", 1, 1, false],
  ["80061", "Lipid panel", 2_200, "none", 1, 1, false],
  ["85025", "Complete blood count with differential", 1_400, "none", 1, 1, false],
  ["83036", "Hemoglobin A1c", 1_600, "none", 1, 1, false],
  ["81002", "Urinalysis, non-automated", 500, "none", 1, 1, false],
  ["93000", "Electrocardiogram, 12 leads", 2_500, "none", 1, 1, false],
  ["71046", "Chest X-ray, 2 views", 4_500, "none", 1, 1, false],
  ["90471", "Immunization administration", 2_500, "none", 1, 1, false],
  ["90686", "Influenza vaccine, quadrivalent", 2_200, "none", 1, 1, false],
  ["20610", "Arthrocentesis, major joint", 7_500, "specialist", 1, 1, false],
  ["J3301", "Triamcinolone acetonide, per 10 mg", 200, "none", 1, 4, false],
  ["97110", "Therapeutic exercise, each 15 minutes", 3_200, "therapy", 1, 4, false],
  ["97140", "Manual therapy, each 15 minutes", 3_000, "therapy", 1, 3, false],
  ["45378", "Colonoscopy, diagnostic", 70_000, "none", 1, 1, false],
  ["74177", "CT abdomen and pelvis with contrast", 38_000, "none", 1, 1, true],
  ["73721", "MRI knee without contrast", 42_000, "none", 1, 1, true],
  ["72148", "MRI lumbar spine without contrast", 45_000, "none", 1, 1, true],
  ["70553", "MRI brain without and with contrast", 110_000, "none", 1, 1, true],
  ["29881", "Knee arthroscopy with meniscectomy", 160_000, "specialist", 1, 1, true],
  ["66984", "Cataract removal with lens implant", 130_000, "specialist", 1, 1, true],
  ["27447", "Total knee arthroplasty", 2_200_000, "specialist", 1, 1, true],
  ["J0897", "Denosumab injection, 1 mg", 1_800, "none", 60, 60, true],
]);

/** Services no plan of the simulation covers: cosmetic and alternative care. */
export const UNCOVERED_PROCEDURES: readonly Procedure[] = procedures([
  ["15780", "Dermabrasion, total face", 120_000, "none", 1, 1, false],
  ["97810", "Acupuncture, first 15 minutes", 6_000, "none", 1, 1, false],
  ["11950", "Subcutaneous filler injection", 40_000, "none", 1, 1, false],
]);

const PROCEDURE = new Map([...PROCEDURES, ...UNCOVERED_PROCEDURES].map((procedure) => [procedure.code, procedure]));

/** The catalogue entry of a code the simulator uses. */
export function procedure(code: string): Procedure {
  const found = PROCEDURE.get(code);
  if (found === undefined) throw new Error(`${code} is not in the simulator's procedure catalogue`);
  return found;
}

export type Specialty = "primary care" | "orthopedics" | "imaging" | "laboratory" | "physical therapy" | "hospital";

const codes = (list: string): readonly string[] => list.split(" ");

/** The codes each kind of organization bills. */
export const SPECIALTY_CODES: Readonly<Record<Specialty, readonly string[]>> = {
  "primary care": codes("99203 99204 99213 99214 99215 99395 G0439 36415 80053 80061 85025 83036 81002 93000 90471"),
  orthopedics: codes("99203 99204 99213 99214 20610 J3301 73721 72148 29881 27447 97110 71046"),
  imaging: codes("71046 74177 73721 72148 70553"),
  laboratory: codes("36415 80053 80061 85025 83036 81002"),
  "physical therapy": codes("97110 97140 99203"),
  hospital: codes("99284 71046 74177 93000 85025 80053 45378 66984 27447 70553 J0897"),
};

export const ORGANIZATION_NAMES: readonly (readonly [string, Specialty])[] = [
  ["Riverside Family Medicine", "primary care"],
  ["Northgate Primary Care", "primary care"],
  ["Lakeview Orthopedic Associates", "orthopedics"],
  ["Summit Imaging Center", "imaging"],
  ["Valley Clinical Laboratory", "laboratory"],
  ["Harbor Physical Therapy", "physical therapy"],
  ["St. Agnes Regional Hospital", "hospital"],
  ["Cedar Grove Medical Group", "primary care"],
  ["Pinecrest Surgical Hospital", "hospital"],
];

export const PAYER_NAMES: readonly string[] = ["Evergreen Health Plan", "Keystone Mutual", "Blue Meridian Insurance"];
