/**
 * Consent scopes and outcomes: mirrors of the Solidity enums in `contracts/consent/Consent.sol` (same order, same
 * numbers; a test compares them with the source), and the bitmap helpers that turn names into the packed sets the
 * consent registry takes.
 */

import { enumMember, parseEnumMember } from "../core/enums";

export enum DataCategory {
  Demographics = 0,
  Allergies = 1,
  Medications = 2,
  Conditions = 3,
  Procedures = 4,
  LaboratoryResults = 5,
  VitalSigns = 6,
  Imaging = 7,
  Immunizations = 8,
  ClinicalNotes = 9,
  Encounters = 10,
  InsuranceAndClaims = 11,
  MentalHealth = 12,
  SubstanceUse = 13,
  SexualAndReproductiveHealth = 14,
  Genomics = 15,
}

export enum Purpose {
  Treatment = 0,
  Payment = 1,
  HealthcareOperations = 2,
  Research = 3,
  PublicHealth = 4,
  EmergencyTreatment = 5,
}

export enum DecisionBasis {
  Self = 0,
  Representative = 1,
  Grant = 2,
  OrganizationGrant = 3,
  BreakGlass = 4,
  UnknownAccessor = 5,
  InactiveAccessor = 6,
  ExplicitDeny = 7,
  NoGrant = 8,
  SensitiveCategoryNotNamed = 9,
  PurposeNotNamed = 10,
  BreakGlassCategoryExcluded = 11,
  InactiveGrantee = 12,
}

export enum RequestStatus {
  None = 0,
  Pending = 1,
  Approved = 2,
  Rejected = 3,
  Cancelled = 4,
  Expired = 5,
}

export enum ReviewOutcome {
  Pending = 0,
  Justified = 1,
  Unjustified = 2,
}

export const CATEGORY_COUNT = 16;
export const PURPOSE_COUNT = 6;
/** The wildcard sets of a broad grant: every non-sensitive category, every purpose that need not be named. */
export const ALL_CATEGORIES = 0xffff_ffff;
export const ALL_PURPOSES = 0xffff;
export const DEFINED_CATEGORIES = (1 << CATEGORY_COUNT) - 1;
export const DEFINED_PURPOSES = (1 << PURPOSE_COUNT) - 1;

/** The sensitive classes the default policy protects. */
export const SENSITIVE_CATEGORIES: readonly DataCategory[] = [
  DataCategory.MentalHealth,
  DataCategory.SubstanceUse,
  DataCategory.SexualAndReproductiveHealth,
  DataCategory.Genomics,
];

/** The bitmap of a set of categories. */
export function categorySet(...categories: readonly DataCategory[]): number {
  return categories.reduce((set, category) => (set | (1 << category)) >>> 0, 0);
}

/** The bitmap of a set of purposes. */
export function purposeSet(...purposes: readonly Purpose[]): number {
  return purposes.reduce((set, purpose) => set | (1 << purpose), 0);
}

/** The categories in a bitmap, by name; the wildcard reads as `["*"]`. */
export function categoryNames(set: bigint | number): string[] {
  return setNames(DataCategory, CATEGORY_COUNT, Number(set), ALL_CATEGORIES);
}

/** The purposes in a bitmap, by name; the wildcard reads as `["*"]`. */
export function purposeNames(set: bigint | number): string[] {
  return setNames(Purpose, PURPOSE_COUNT, Number(set), ALL_PURPOSES);
}

function setNames(enumeration: Record<number, string>, count: number, set: number, wildcard: number): string[] {
  if (set === wildcard) return ["*"];
  const names: string[] = [];
  for (let position = 0; position < count; position++) {
    if ((set >>> position) & 1) names.push(enumeration[position] ?? String(position));
  }
  return names;
}

/**
 * Parses a comma-separated list of category names or numbers (case-insensitive; dashes, underscores and spaces
 * ignored: `laboratory-results,conditions`), or `*` for the wildcard.
 */
export function parseCategories(list: string): number {
  return parseSet(list, DataCategory, "category", ALL_CATEGORIES);
}

/** Parses a comma-separated list of purpose names, or `*`. */
export function parsePurposes(list: string): number {
  return parseSet(list, Purpose, "purpose", ALL_PURPOSES);
}

/** Parses one category name or number. */
export function parseCategory(value: string): DataCategory {
  return enumMember(DataCategory, "DataCategory", parseEnumMember(DataCategory, "category", value));
}

/** Parses one purpose name or number. */
export function parsePurpose(value: string): Purpose {
  return enumMember(Purpose, "Purpose", parseEnumMember(Purpose, "purpose", value));
}

/** Converts the registry's uint8 enums into the TypeScript enums, refusing values the SDK does not know. */
export const toBasis = (value: bigint | number): DecisionBasis => enumMember(DecisionBasis, "DecisionBasis", value);
export const toRequestStatus = (value: bigint | number): RequestStatus =>
  enumMember(RequestStatus, "RequestStatus", value);
export const toReviewOutcome = (value: bigint | number): ReviewOutcome =>
  enumMember(ReviewOutcome, "ReviewOutcome", value);

function parseSet(list: string, enumeration: Record<string, string | number>, what: string, wildcard: number): number {
  if (list.trim() === "*") return wildcard;
  const items = list.split(",").map((item) => item.trim());
  if (items.length === 0 || items.some((item) => item === "")) throw new Error(`empty ${what} in "${list}"`);
  return items.reduce((set, item) => (set | (1 << parseEnumMember(enumeration, what, item))) >>> 0, 0);
}

/**
 * Reason and finding codes of the consent workflows, from the code lists in docs/consent.md. The contracts store
 * numbers only (uint16); these names are the SDK's and the tasks'. A consortium may use further codes of its own.
 */
/** Why a provider asks for access (`requestAccess`). */
export const RequestReason = {
  Referral: 1,
  ContinuityOfCare: 2,
  SecondOpinion: 3,
  CareCoordination: 4,
  ClaimsProcessing: 5,
  Research: 6,
  PublicHealthReporting: 7,
  Other: 9,
} as const;

/** Why a patient rejects a request (`rejectRequest`). */
export const RejectionReason = {
  UnknownRequester: 1,
  TooBroad: 2,
  TooLong: 3,
  NotInMyCare: 4,
  PatientPreference: 5,
  Other: 9,
} as const;

/** Why a practitioner breaks glass (`open`). */
export const BreakGlassReason = {
  PatientUnconscious: 1,
  LifeThreatening: 2,
  ConsentUnobtainable: 3,
  MassCasualty: 4,
  Other: 9,
} as const;

/** What an auditor found reviewing a break-glass session (`review`). */
export const ReviewFinding = {
  EmergencyDocumented: 1,
  NoEmergency: 2,
  AccessBeyondNeed: 3,
  ConsentWasObtainable: 4,
  Other: 9,
} as const;
