/**
 * The supply-chain module's Solidity enums (`contracts/supplychain/Supply.sol`), mirrored member for member:
 * the contracts return and emit the numbers, the SDK and the tasks read them by these names.
 * `test/supplychain/statuses.test.ts` checks that each mirror matches the ABI's enum width and the contract's values.
 */

/** A lot's standing. Recalled and Illegitimate are final. */
export enum LotStatus {
  None = 0,
  Active = 1,
  Quarantined = 2,
  Recalled = 3,
  Illegitimate = 4,
}

/** FDA recall classes (21 CFR 7.3(m)). */
export enum RecallClass {
  None = 0,
  I = 1,
  II = 2,
  III = 3,
}

/** Where a container, or a pack that moved on its own, stands. */
export enum UnitStatus {
  None = 0,
  Active = 1,
  InTransit = 2,
  Unpacked = 3,
  Dispensed = 4,
  Quarantined = 5,
  Illegitimate = 6,
  /** Packed into a container with a record of its own: it moves only with that container until released. */
  Sealed = 7,
}

/** Why product is quarantined as suspect. */
export enum SuspectReason {
  None = 0,
  MissingOrWrongData = 1,
  Overage = 2,
  Underage = 3,
  SuspectedCounterfeit = 4,
  Diversion = 5,
  Theft = 6,
  Tampering = 7,
  DuplicateSerial = 8,
  FailedVerification = 9,
  Other = 10,
}

/** What an investigation is about. */
export enum CaseSubject {
  None = 0,
  Lot = 1,
  Container = 2,
  Pack = 3,
}

/** An investigation's state. */
export enum CaseStatus {
  None = 0,
  Open = 1,
  Cleared = 2,
  Illegitimate = 3,
  Closed = 4,
}

/** Who is notified of an illegitimate-product determination. */
export enum Recipient {
  Regulator = 0,
  Supplier = 1,
  Customer = 2,
}
