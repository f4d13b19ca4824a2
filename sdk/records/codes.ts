/**
 * Reason codes for versions and corrections, from the code list in docs/records.md. The contract stores numbers
 * only; these names are the SDK's and the tasks'. (A module of their own, free of contract bindings, so that the tasks'
 * help texts can list them when Hardhat loads its configuration.)
 */
export const SupersedeReason = { Correction: 1, Amendment: 2, Addendum: 3, Update: 4 } as const;
export const EnteredInErrorReason = { WrongPatient: 1, WrongDocument: 2, Duplicate: 3, Other: 9 } as const;
/** Denial bases of 45 CFR 164.526(a)(2). */
export const AmendmentDenialReason = {
  NotCreatedByUs: 1,
  NotInDesignatedRecordSet: 2,
  NotAvailableForInspection: 3,
  AccurateAndComplete: 4,
} as const;
