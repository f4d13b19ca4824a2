import type { ConsentPolicyParameters } from "../../deploy";
import type { Expected } from "../helpers/model";
import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  CATEGORY_COUNT,
  categorySet,
  DEFINED_CATEGORIES,
  DEFINED_PURPOSES,
  DecisionBasis,
  ParticipantKind,
  ParticipantStatus,
  Purpose,
  PURPOSE_COUNT,
  purposeSet,
  ReviewOutcome,
} from "../../sdk";

// A small, independent model of the consent registry's rules, written from the interface's documentation
// (IConsentRegistry, IBreakGlass, IConsentPolicy, IIdentityRegistry) and the policy's parameter file, not from the
// contracts' code. It knows one patient, the identities of a cast of participants, what the patient said about each
// of them, and the break-glass sessions practitioners opened (on her and on other patients, since the limit on open
// sessions counts across patients); `decide` answers the question every CareLedger module asks, and each write
// returns the event the contract must emit or the custom error it must revert with, applying its effect only when it
// succeeds.
//
// Break-glass is modelled as IBreakGlass states it, not as BreakGlass stores it: a session is open while now is
// before its end; closing, an unjustified finding or the withdrawal of its organization's emergency authorization
// moves its end to that moment (the withdrawal for every session opened under the organization so far, for good);
// a practitioner holds at most `maxOpenBreakGlass` open sessions under its current organization, and opening one ends
// for good those still open under an organization it has left.

/** The purpose break-glass opens, as a position. */
const EMERGENCY_TREATMENT: number = Purpose.EmergencyTreatment;

/** Seconds in a day and in an hour. */
export const DAY = 86_400;
export const HOUR = 3_600;
/** How far ahead a grant may start (`ConsentRegistry.MAX_START_DELAY`). */
export const MAX_START_DELAY = 365n * BigInt(DAY);

/** The rules of the default policy as bitmaps and seconds. */
export interface ModelPolicy {
  sensitiveCategories: number;
  namedPurposes: number;
  breakGlassExcludedCategories: number;
  maxBreakGlass: number;
  /** How many break-glass sessions one practitioner may hold open at once. */
  maxOpenBreakGlass: number;
  /** Longest grant per purpose, in seconds, indexed by `Purpose`. */
  maxGrant: readonly number[];
}

export function modelPolicy(parameters: ConsentPolicyParameters): ModelPolicy {
  const maxGrant: number[] = [];
  for (let purpose = 0; purpose < PURPOSE_COUNT; purpose++) {
    maxGrant.push(parameters.maxGrantDays[Purpose[purpose] as keyof typeof Purpose] * DAY);
  }
  return {
    sensitiveCategories: categorySet(...parameters.sensitiveCategories),
    namedPurposes: purposeSet(...parameters.namedPurposes),
    breakGlassExcludedCategories: categorySet(...parameters.breakGlassExcludedCategories),
    maxBreakGlass: parameters.maxBreakGlassHours * HOUR,
    maxOpenBreakGlass: parameters.maxOpenBreakGlassSessions,
    maxGrant,
  };
}

/** The longest grant for a purpose set: the smallest maximum among its purposes (a wildcard counts as every one). */
export function maxGrantFor(policy: ModelPolicy, purposes: number): number {
  let longest = 2 ** 32 - 1;
  for (let purpose = 0; purpose < PURPOSE_COUNT; purpose++) {
    const limit = policy.maxGrant[purpose];
    if (has(purposes, purpose) && limit !== undefined && limit < longest) longest = limit;
  }
  return longest;
}

/** Whether bit `position` is in `set` (sets up to 32 bits, wildcards included). */
export function has(set: number, position: number): boolean {
  return Math.floor(set / 2 ** position) % 2 === 1;
}

/** `set` without the bits of `mask`, as a non-negative number (so that the 32-bit wildcard survives). */
function without(set: number, mask: number): number {
  return (set & ~mask) >>> 0;
}

/** A set is valid if it is the wildcard or a non-empty set of defined members. */
export function validCategories(categories: number): boolean {
  return categories === ALL_CATEGORIES || (categories !== 0 && without(categories, DEFINED_CATEGORIES) === 0);
}

export function validPurposes(purposes: number): boolean {
  return purposes === ALL_PURPOSES || (purposes !== 0 && without(purposes, DEFINED_PURPOSES) === 0);
}

/** One participant as the identity registry holds it. */
export interface Identity {
  id: bigint;
  kind: ParticipantKind;
  status: ParticipantStatus;
  /** 0 for patients, whose ids do not expire. */
  credentialExpiry: bigint;
  /** The organization of a practitioner or device; 0 otherwise. */
  affiliation: bigint;
}

/** What the patient has said about one grantee, field for field as `consentOf` returns it. */
export interface Entry {
  categories: number;
  purposes: number;
  validFrom: bigint;
  validUntil: bigint;
  deniedCategories: number;
  version: number;
}

export const EMPTY_ENTRY: Readonly<Entry> = {
  categories: 0,
  purposes: 0,
  validFrom: 0n,
  validUntil: 0n,
  deniedCategories: 0,
  version: 0,
};

/** A break-glass session, field for field as `IBreakGlass.session` reports it (less the reason and times opened). */
export interface Session {
  patient: bigint;
  practitioner: bigint;
  /** The practitioner's organization when the session opened. */
  organization: bigint;
  /** The effective end: the requested one, or when it was closed, found unjustified or ended by a withdrawal. */
  expiresAt: bigint;
  outcome: ReviewOutcome;
}

/** An organization's emergency authorization; `endedBelow` is the `sessionsEndedBelow` of its last withdrawal. */
export interface Authorization {
  authorized: boolean;
  endedBelow: bigint;
}

export interface ModelDecision {
  allowed: boolean;
  basis: DecisionBasis;
  accessor: bigint;
  grantee: bigint;
  ref: bigint;
}

/** What a transaction must do: emit `event` with `args`, or revert with the custom error `error` and `args`. */
/** What the model says a write must do. */
export type Outcome = Expected;

const fail = (error: string, ...args: unknown[]): Outcome => ({ error, args });
const emit = (event: string, ...args: unknown[]): Outcome => ({ event, args });

export class ConsentModel {
  /** Identities by controlling key. */
  readonly identities = new Map<string, Identity>();
  /** What the patient said about each grantee id. */
  readonly entries = new Map<bigint, Entry>();
  /** Representatives of the patient and when their appointment expires. */
  readonly representatives = new Map<bigint, bigint>();
  /** Emergency authorizations by organization id (absent: never authorized). */
  readonly authorizations = new Map<bigint, Authorization>();
  readonly sessions = new Map<bigint, Session>();
  /** The latest session of each (patient, practitioner) pair, keyed `patient:practitioner`. */
  readonly latestSessions = new Map<string, bigint>();
  /** Registrar offers of an organization to a practitioner or device, awaiting the organization's acceptance. */
  readonly affiliationOffers = new Map<bigint, bigint>();
  lastSessionId = 0n;

  constructor(
    readonly patient: bigint,
    readonly policy: ModelPolicy,
  ) {}

  // ---- identity --------------------------------------------------------------------------------------------

  addIdentity(key: string, identity: Identity): void {
    this.identities.set(key, { ...identity });
  }

  identityOf(id: bigint): Identity | undefined {
    for (const identity of this.identities.values()) if (identity.id === id) return identity;
    return undefined;
  }

  requireIdentity(id: bigint): Identity {
    const identity = this.identityOf(id);
    if (identity === undefined) throw new Error(`the model has no participant ${id}`);
    return identity;
  }

  /** Active at `at`: status Active (now) and the credential, if any, unexpired at `at`. */
  static activeAt(identity: Identity | undefined, at: bigint): boolean {
    if (identity?.status !== ParticipantStatus.Active) return false;
    return identity.credentialExpiry === 0n || at < identity.credentialExpiry;
  }

  isActive(id: bigint, now: bigint): boolean {
    return ConsentModel.activeAt(this.identityOf(id), now);
  }

  /** Appointed, unexpired, the representative active, and the patient active (a suspended patient has none). */
  isRepresentative(id: bigint, now: bigint): boolean {
    const expiresAt = this.representatives.get(id) ?? 0n;
    return expiresAt > now && this.isActive(id, now) && this.isActive(this.patient, now);
  }

  /** The registrar's status transitions: Active ⇄ Suspended, Active or Suspended → Revoked (final). */
  setStatus(id: bigint, to: ParticipantStatus, reason: number): Outcome {
    const identity = this.requireIdentity(id);
    const from = identity.status;
    const allowed =
      (from === ParticipantStatus.Active && to !== ParticipantStatus.Active) ||
      (from === ParticipantStatus.Suspended && to !== ParticipantStatus.Suspended);
    if (!allowed) return fail("IdentityInvalidStatusTransition", id, from, to);
    identity.status = to;
    return emit("StatusChanged", id, from, to, reason);
  }

  renewCredential(id: bigint, commitment: string, expiry: bigint, now: bigint): Outcome {
    const identity = this.requireIdentity(id);
    if (identity.kind === ParticipantKind.Patient) return fail("IdentityKindNotRegistrable", ParticipantKind.Patient);
    if (identity.status === ParticipantStatus.Revoked) return fail("IdentityParticipantRevoked", id);
    if (expiry <= now) return fail("IdentityCredentialExpiryInPast", expiry, now);
    identity.credentialExpiry = expiry;
    return emit("CredentialUpdated", id, commitment, expiry);
  }

  /** Institutions: every registered kind that acts for itself (not a patient, practitioner or device). */
  static institutional(identity: Identity | undefined): boolean {
    return (
      identity !== undefined &&
      identity.kind !== ParticipantKind.None &&
      identity.kind !== ParticipantKind.Patient &&
      identity.kind !== ParticipantKind.Practitioner &&
      identity.kind !== ParticipantKind.Device
    );
  }

  /** A registrar offers a practitioner or device to an active institution; nothing changes until it accepts. */
  offerAffiliation(id: bigint, organization: bigint, now: bigint): Outcome {
    const identity = this.requireIdentity(id);
    if (identity.status === ParticipantStatus.Revoked) return fail("IdentityParticipantRevoked", id);
    const affiliable = identity.kind === ParticipantKind.Practitioner || identity.kind === ParticipantKind.Device;
    const institution = this.identityOf(organization);
    if (
      organization === 0n ||
      organization === identity.affiliation ||
      !affiliable ||
      !ConsentModel.institutional(institution) ||
      !ConsentModel.activeAt(institution, now)
    ) {
      return fail("IdentityInvalidAffiliation", identity.kind, organization);
    }
    this.affiliationOffers.set(id, organization);
    return emit("AffiliationOffered", id, organization);
  }

  /** The active institution controlled by `key` accepts the offer naming it; the member then acts for it. */
  acceptAffiliate(key: string, member: bigint, now: bigint): Outcome {
    const institution = this.identities.get(key);
    if (!ConsentModel.institutional(institution) || !ConsentModel.activeAt(institution, now)) {
      return fail("IdentityNotAnInstitution", key);
    }
    const organization = institution?.id ?? 0n;
    if (this.affiliationOffers.get(member) !== organization) {
      return fail("IdentityNoAffiliationOffer", member, organization);
    }
    const identity = this.requireIdentity(member);
    if (identity.status === ParticipantStatus.Revoked) return fail("IdentityParticipantRevoked", member);
    this.affiliationOffers.delete(member);
    const previous = identity.affiliation;
    identity.affiliation = organization;
    return emit("AffiliationChanged", member, previous, organization);
  }

  // ---- consent writes --------------------------------------------------------------------------------------

  entry(grantee: bigint): Entry {
    return this.entries.get(grantee) ?? { ...EMPTY_ENTRY };
  }

  /** A permit "has a future": it names something and has not ended (it may not have started yet). */
  hasPermit(grantee: bigint, now: bigint): boolean {
    const entry = this.entry(grantee);
    return entry.categories !== 0 && now < entry.validUntil;
  }

  /** The id `key` acts as for the patient (the patient or an active representative), or the error. */
  private actor(key: string, now: bigint): bigint | Outcome {
    const identity = this.identities.get(key);
    if (identity !== undefined && ConsentModel.activeAt(identity, now)) {
      if (identity.id === this.patient) return identity.id;
      if (this.isRepresentative(identity.id, now)) return identity.id;
    }
    return fail("ConsentUnauthorizedActor", this.patient, key);
  }

  /**
   * As `actor`, for a change to what the patient says about `grantee`: a representative may not make one about
   * itself or its organization (`ConsentRepresentativeConflict`); the patient may.
   */
  private actorAbout(key: string, grantee: bigint, now: bigint): bigint | Outcome {
    const actor = this.actor(key, now);
    if (typeof actor !== "bigint" || actor === this.patient) return actor;
    const organization = this.identityOf(actor)?.affiliation ?? 0n;
    if (grantee === actor || (organization !== 0n && grantee === organization)) {
      return fail("ConsentRepresentativeConflict", this.patient, actor, grantee);
    }
    return actor;
  }

  private setsError(categories: number, purposes: number): Outcome | undefined {
    if (!validCategories(categories)) return fail("ConsentInvalidCategories", categories);
    if (!validPurposes(purposes)) return fail("ConsentInvalidPurposes", purposes);
    return undefined;
  }

  grant(
    key: string,
    grantee: bigint,
    categories: number,
    purposes: number,
    validFrom: bigint,
    validUntil: bigint,
    now: bigint,
  ): Outcome {
    const actor = this.actorAbout(key, grantee, now);
    if (typeof actor !== "bigint") return actor;
    const identity = this.identityOf(grantee);
    if (identity === undefined || identity.kind === ParticipantKind.Patient || !ConsentModel.activeAt(identity, now)) {
      return fail("ConsentInvalidGrantee", grantee);
    }
    const setsError = this.setsError(categories, purposes);
    if (setsError !== undefined) return setsError;
    const start = validFrom > now ? validFrom : now;
    if (validUntil <= start || validFrom > now + MAX_START_DELAY) {
      return fail("ConsentInvalidWindow", validFrom, validUntil);
    }
    const longest = maxGrantFor(this.policy, purposes);
    if (validUntil - start > BigInt(longest)) return fail("ConsentDurationTooLong", validUntil - start, longest);
    const entry = this.entry(grantee);
    const version = entry.version + 1;
    this.entries.set(grantee, { ...entry, categories, purposes, validFrom: start, validUntil, version });
    return emit("ConsentGranted", this.patient, grantee, actor, categories, purposes, start, validUntil, version);
  }

  /**
   * Whether (`categories`, `purposes`) keeps within the permit: a subset of named sets; of a wildcard, the wildcard
   * itself or named members the wildcard covers (never a sensitive category or a purpose that must be named).
   */
  isNarrower(from: Entry, categories: number, purposes: number): boolean {
    const categoriesWithin =
      from.categories === ALL_CATEGORIES
        ? categories === ALL_CATEGORIES || (categories & this.policy.sensitiveCategories) === 0
        : categories !== ALL_CATEGORIES && without(categories, from.categories) === 0;
    const purposesWithin =
      from.purposes === ALL_PURPOSES
        ? purposes === ALL_PURPOSES || (purposes & this.policy.namedPurposes) === 0
        : purposes !== ALL_PURPOSES && without(purposes, from.purposes) === 0;
    return categoriesWithin && purposesWithin;
  }

  narrow(key: string, grantee: bigint, categories: number, purposes: number, validUntil: bigint, now: bigint): Outcome {
    const actor = this.actorAbout(key, grantee, now);
    if (typeof actor !== "bigint") return actor;
    if (!this.hasPermit(grantee, now)) return fail("ConsentNoLiveGrant", this.patient, grantee);
    const setsError = this.setsError(categories, purposes);
    if (setsError !== undefined) return setsError;
    const entry = this.entry(grantee);
    if (
      validUntil <= now ||
      validUntil <= entry.validFrom ||
      validUntil > entry.validUntil ||
      !this.isNarrower(entry, categories, purposes)
    ) {
      return fail("ConsentNotNarrower", this.patient, grantee);
    }
    const version = entry.version + 1;
    this.entries.set(grantee, { ...entry, categories, purposes, validUntil, version });
    return emit("ConsentNarrowed", this.patient, grantee, actor, categories, purposes, validUntil, version);
  }

  revoke(key: string, grantee: bigint, now: bigint): Outcome {
    const actor = this.actorAbout(key, grantee, now);
    if (typeof actor !== "bigint") return actor;
    if (!this.hasPermit(grantee, now)) return fail("ConsentNoLiveGrant", this.patient, grantee);
    const entry = this.entry(grantee);
    const version = entry.version + 1;
    this.entries.set(grantee, { ...entry, categories: 0, purposes: 0, validFrom: 0n, validUntil: 0n, version });
    return emit("ConsentRevoked", this.patient, grantee, actor, version);
  }

  /** A deny names a registered non-patient grantee, active or not; zero lifts it. */
  setDeny(key: string, grantee: bigint, categories: number, now: bigint): Outcome {
    const actor = this.actorAbout(key, grantee, now);
    if (typeof actor !== "bigint") return actor;
    const identity = this.identityOf(grantee);
    if (identity === undefined || identity.kind === ParticipantKind.Patient) {
      return fail("ConsentInvalidGrantee", grantee);
    }
    if (categories !== ALL_CATEGORIES && without(categories, DEFINED_CATEGORIES) !== 0) {
      return fail("ConsentInvalidCategories", categories);
    }
    this.entries.set(grantee, { ...this.entry(grantee), deniedCategories: categories });
    return emit("ConsentDenySet", this.patient, grantee, actor, categories);
  }

  // ---- break-glass -----------------------------------------------------------------------------------------

  isEmergencyAuthorized(organization: bigint): boolean {
    return this.authorizations.get(organization)?.authorized ?? false;
  }

  /**
   * The latest session of the pair, if it is open at `at` for `organization`: opened under that organization (the
   * practitioner's current one), not ended, and the organization active at `at`.
   */
  openSession(patient: bigint, practitioner: bigint, organization: bigint, at: bigint): bigint | undefined {
    const sessionId = this.latestSessions.get(`${patient}:${practitioner}`);
    const session = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    return session !== undefined && session.organization === organization && this.isOpen(session, at)
      ? sessionId
      : undefined;
  }

  /**
   * How many sessions `practitioner` holds open at `now`, on any patient, under its current organization (sessions
   * under an organization it has left do not count).
   */
  openSessionCount(practitioner: bigint, now: bigint): number {
    const organization = this.identityOf(practitioner)?.affiliation;
    let count = 0;
    for (const session of this.sessions.values()) {
      if (session.practitioner === practitioner && session.organization === organization && this.isOpen(session, now)) {
        count++;
      }
    }
    return count;
  }

  /** A session counts until its end, and only while its organization is active (a suspension stops it). */
  private isOpen(session: { organization: bigint; expiresAt: bigint }, at: bigint): boolean {
    return at < session.expiresAt && ConsentModel.activeAt(this.identityOf(session.organization), at);
  }

  /**
   * IBreakGlass.open by `key` on `patient`: an active practitioner of an active organization authorized for
   * emergencies; a patient; a duration within the policy; no open session of the pair; fewer than the policy's
   * maximum of open sessions of the practitioner.
   */
  openBreakGlass(key: string, patient: bigint, duration: number, reason: number, now: bigint): Outcome {
    const identity = this.identities.get(key);
    if (
      identity === undefined ||
      !ConsentModel.activeAt(identity, now) ||
      identity.kind !== ParticipantKind.Practitioner ||
      !this.isEmergencyAuthorized(identity.affiliation) ||
      !this.isActive(identity.affiliation, now)
    ) {
      return fail("BreakGlassNotAuthorized", key);
    }
    if (this.identityOf(patient)?.kind !== ParticipantKind.Patient) return fail("BreakGlassNotAPatient", patient);
    if (duration === 0 || duration > this.policy.maxBreakGlass) {
      return fail("BreakGlassDurationOutOfRange", duration, this.policy.maxBreakGlass);
    }
    const practitioner = identity.id;
    const open = this.openSession(patient, practitioner, identity.affiliation, now);
    if (open !== undefined) return fail("BreakGlassAlreadyOpen", patient, practitioner, open);
    if (this.openSessionCount(practitioner, now) >= this.policy.maxOpenBreakGlass) {
      return fail("BreakGlassTooManyOpen", practitioner, this.policy.maxOpenBreakGlass);
    }
    const organization = identity.affiliation;
    // Opening ends for good the practitioner's sessions still open under an organization it has left.
    for (const session of this.sessions.values()) {
      if (session.practitioner === practitioner && session.organization !== organization && this.isOpen(session, now)) {
        session.expiresAt = now;
      }
    }
    const sessionId = ++this.lastSessionId;
    const expiresAt = now + BigInt(duration);
    this.sessions.set(sessionId, { patient, practitioner, organization, expiresAt, outcome: ReviewOutcome.Pending });
    this.latestSessions.set(`${patient}:${practitioner}`, sessionId);
    return emit("BreakGlassOpened", sessionId, patient, practitioner, organization, reason, expiresAt);
  }

  /** Only the session's practitioner (by id, active or not) may close it, and only while it is open. */
  closeBreakGlass(key: string, sessionId: bigint, now: bigint): Outcome {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return fail("BreakGlassUnknownSession", sessionId);
    if (this.identities.get(key)?.id !== session.practitioner || !this.isOpen(session, now)) {
      return fail("BreakGlassCannotClose", sessionId, key);
    }
    session.expiresAt = now;
    return emit("BreakGlassClosed", sessionId, session.patient, now);
  }

  /** An auditor reviews a session once; an unjustified finding ends it if still open. */
  reviewBreakGlass(auditor: string, sessionId: bigint, outcome: ReviewOutcome, finding: number, now: bigint): Outcome {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return fail("BreakGlassUnknownSession", sessionId);
    if (outcome === ReviewOutcome.Pending || session.outcome !== ReviewOutcome.Pending) {
      return fail("BreakGlassInvalidReview", sessionId, outcome);
    }
    session.outcome = outcome;
    if (outcome === ReviewOutcome.Unjustified && this.isOpen(session, now)) session.expiresAt = now;
    return emit("BreakGlassReviewed", sessionId, session.patient, auditor, outcome, finding);
  }

  /**
   * Registrars authorize an active organization, or withdraw the authorization of any organization (active or
   * not): withdrawing one in force ends every session opened under it so far, and authorizing it again revives none;
   * withdrawing one not in force changes nothing.
   */
  setEmergencyAuthorization(organization: bigint, authorized: boolean, now: bigint): Outcome {
    const identity = this.identityOf(organization);
    if (identity?.kind !== ParticipantKind.Organization || (authorized && !this.isActive(organization, now))) {
      return fail("BreakGlassNotAnOrganization", organization);
    }
    const authorization = this.authorizations.get(organization) ?? { authorized: false, endedBelow: 0n };
    const was = authorization.authorized;
    authorization.authorized = authorized;
    // Only withdrawing an authorization in force ends sessions and moves `endedBelow`.
    if (!authorized && was) {
      authorization.endedBelow = this.lastSessionId + 1n;
      for (const session of this.sessions.values()) {
        if (session.organization === organization && session.expiresAt > now) session.expiresAt = now;
      }
    }
    this.authorizations.set(organization, authorization);
    return emit("EmergencyAuthorizationSet", organization, authorized, authorization.endedBelow);
  }

  // ---- the decision ----------------------------------------------------------------------------------------

  /**
   * The documented order (IConsentRegistry.decide and setDeny): unknown accessor → inactive accessor → the patient
   * herself → a deny of the accessor (it wins) → the accessor's own grant (a wildcard never opens a sensitive
   * category or a purpose that must be named) → break-glass (emergency treatment only, never an excluded category)
   * → the organization's deny, which shuts what the organization's grant would open → the organization's grant
   * (never a sensitive category or a named purpose; InactiveGrantee if the organization is inactive) →
   * representation; otherwise denied with the first refusal (a rule, the organization's deny, an inactive
   * organization), or NoGrant. Grant windows and both the accessor's and the organization's credential expiry are
   * judged at `at`; statuses and representation now; a practitioner's latest break-glass session on the patient
   * counts, for emergency treatment, until its (effective) end.
   */
  decide(key: string, category: number, purpose: number, at: bigint, now: bigint): ModelDecision {
    const identity = this.identities.get(key);
    const denied = (basis: DecisionBasis, accessor: bigint, grantee = 0n): ModelDecision => ({
      allowed: false,
      basis,
      accessor,
      grantee,
      ref: 0n,
    });
    const allowed = (basis: DecisionBasis, accessor: bigint, grantee: bigint, ref: bigint): ModelDecision => ({
      allowed: true,
      basis,
      accessor,
      grantee,
      ref,
    });
    if (identity === undefined) return denied(DecisionBasis.UnknownAccessor, 0n);
    const id = identity.id;
    if (!ConsentModel.activeAt(identity, at)) return denied(DecisionBasis.InactiveAccessor, id);
    if (id === this.patient && identity.kind === ParticipantKind.Patient) {
      return allowed(DecisionBasis.Self, id, this.patient, 0n);
    }
    const own = this.entry(id);
    const organization = identity.affiliation;
    if (has(own.deniedCategories, category)) return denied(DecisionBasis.ExplicitDeny, id, id);

    let refusal: { basis: DecisionBasis; grantee: bigint } | undefined;
    const refuse = (basis: DecisionBasis, grantee: bigint) => {
      refusal ??= { basis, grantee };
    };
    const covers = (entry: Entry) =>
      has(entry.categories, category) && has(entry.purposes, purpose) && entry.validFrom <= at && at < entry.validUntil;
    const ruleRefusal = (wildCategories: boolean, wildPurposes: boolean): DecisionBasis | undefined => {
      if (wildCategories && has(this.policy.sensitiveCategories, category)) {
        return DecisionBasis.SensitiveCategoryNotNamed;
      }
      if (wildPurposes && has(this.policy.namedPurposes, purpose)) return DecisionBasis.PurposeNotNamed;
      return undefined;
    };

    if (covers(own)) {
      const reason = ruleRefusal(own.categories === ALL_CATEGORIES, own.purposes === ALL_PURPOSES);
      if (reason === undefined) return allowed(DecisionBasis.Grant, id, id, BigInt(own.version));
      refuse(reason, id);
    }
    const sessionId =
      purpose === EMERGENCY_TREATMENT && identity.kind === ParticipantKind.Practitioner
        ? this.openSession(this.patient, id, identity.affiliation, at)
        : undefined;
    if (sessionId !== undefined) {
      if (!has(this.policy.breakGlassExcludedCategories, category)) {
        return allowed(DecisionBasis.BreakGlass, id, id, sessionId);
      }
      refuse(DecisionBasis.BreakGlassCategoryExcluded, id);
    }
    const org = this.entry(organization);
    if (organization !== 0n && has(org.deniedCategories, category)) {
      refuse(DecisionBasis.ExplicitDeny, organization);
    } else if (organization !== 0n && covers(org)) {
      // An organization's grant is never a named grant.
      const active = ConsentModel.activeAt(this.identityOf(organization), at);
      const reason = ruleRefusal(true, true) ?? (active ? undefined : DecisionBasis.InactiveGrantee);
      if (reason === undefined) return allowed(DecisionBasis.OrganizationGrant, id, organization, BigInt(org.version));
      refuse(reason, organization);
    }
    if (this.isRepresentative(id, now)) return allowed(DecisionBasis.Representative, id, this.patient, 0n);
    const first = refusal;
    return first === undefined ? denied(DecisionBasis.NoGrant, id) : denied(first.basis, id, first.grantee);
  }

  /** What `recordAccess` by `key` at `now` must do: emit AccessGranted or AccessDenied, or revert if inactive. */
  recordAccess(key: string, category: number, purpose: number, now: bigint): Outcome {
    const d = this.decide(key, category, purpose, now, now);
    if (d.basis === DecisionBasis.UnknownAccessor || d.basis === DecisionBasis.InactiveAccessor) {
      return fail("ConsentAccessorInactive", key);
    }
    return d.allowed
      ? emit("AccessGranted", this.patient, d.accessor, d.grantee, category, purpose, d.basis, d.ref)
      : emit("AccessDenied", this.patient, d.accessor, d.grantee, category, purpose, d.basis);
  }
}

/** Every defined category position, for sweeping the whole grid. */
export const CATEGORIES: readonly number[] = Array.from({ length: CATEGORY_COUNT }, (_, i) => i);
export const PURPOSES: readonly number[] = Array.from({ length: PURPOSE_COUNT }, (_, i) => i);
