import { enumMember, parseEnumMember } from "../core/enums";

/** Mirrors of the Solidity enums in `contracts/identity/Participant.sol` (same order, same numbers). */
export enum ParticipantKind {
  None = 0,
  Patient = 1,
  Practitioner = 2,
  Organization = 3,
  Payer = 4,
  Pharmacy = 5,
  Manufacturer = 6,
  Distributor = 7,
  ResearchSponsor = 8,
  Regulator = 9,
  Device = 10,
}

export enum ParticipantStatus {
  None = 0,
  Active = 1,
  Suspended = 2,
  Revoked = 3,
}

export enum ControllerChange {
  Rotation = 0,
  GuardianRecovery = 1,
  RegistrarRecovery = 2,
}

/** Converts the registry's uint8 enums into the TypeScript enums, refusing values the SDK does not know. */
export const toKind = (value: bigint | number): ParticipantKind =>
  enumMember(ParticipantKind, "ParticipantKind", value);
export const toStatus = (value: bigint | number): ParticipantStatus =>
  enumMember(ParticipantStatus, "ParticipantStatus", value);

/** Parses a kind from its name (case-insensitive, e.g. "organization", "research-sponsor") or number. */
export function parseKind(value: string): ParticipantKind {
  const kind = parseEnumMember(ParticipantKind, "participant kind", value, [ParticipantKind.None]);
  return enumMember(ParticipantKind, "ParticipantKind", kind);
}

/** A participant as the SDK returns it: numbers as bigint, enums as enums, times as Unix seconds. */
export interface ParticipantInfo {
  id: bigint;
  controller: string;
  kind: ParticipantKind;
  status: ParticipantStatus;
  identityProofed: boolean;
  credentialExpiry: bigint;
  keyEpoch: bigint;
  affiliation: bigint;
  credentialCommitment: string;
  /** Registered, active and (if it has a credential) unexpired, as the registry judges it now. */
  active: boolean;
}

/**
 * Reason codes of a registrar's status change (suspend, reinstate, revoke), from the code list in docs/identity.md.
 * The contract stores numbers only (a uint16 in `StatusChanged`); these names are the SDK's and the tasks'. A
 * consortium may use further codes of its own.
 */
export const StatusReason = {
  CredentialExpired: 1,
  CredentialWithdrawn: 2,
  KeyCompromised: 3,
  UnderInvestigation: 4,
  RequestedByParticipant: 5,
  Deceased: 6,
  InvestigationClosed: 7,
  CredentialRenewed: 8,
  Other: 9,
} as const;
