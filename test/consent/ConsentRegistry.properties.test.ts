import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import fc from "fast-check";

import { loadParameters } from "../../deploy";
import {
  ALL_CATEGORIES,
  ALL_PURPOSES,
  commit,
  DataCategory,
  DecisionBasis,
  ParticipantKind,
  ParticipantStatus,
  Purpose,
  purposeSet,
  ReviewOutcome,
} from "../../sdk";
import { type ConsentFixture, consentFixture } from "../fixtures/consent";
import { STATUS_AFTER, type StatusOperation } from "../fixtures/identity";
import { at, type Clock, pinNext, settle } from "../helpers/model";
import { CATEGORIES, ConsentModel, DAY, HOUR, maxGrantFor, modelPolicy, PURPOSES } from "./model";
import { runs } from "../helpers/runs";

// A model-based property test of the consent registry and its break-glass workflow: each run starts from the consent
// fixture's snapshot (loadFixture reverts to it), plus a second representative (the clinic's doctor, a practitioner,
// so that a representative can be a grantee and have an organization) and a fourth patient (so that a practitioner
// can reach the policy's limit of open sessions), and replays a random sequence of at most MAX_STEPS actions —
// grants, narrowings, revocations and denies by the patient, a representative or someone with no right to act;
// break-glass sessions opened on any patient, closed and reviewed; emergency authorizations given and withdrawn;
// recorded accesses; registrar changes to the practitioners' and organizations' identities (affiliations offered
// and accepted); and time jumps from minutes to months — on the contracts and on the TypeScript model in ./model.ts,
// and after every action compares the two.
//
// Every transaction is mined at a pinned timestamp (one second after the latest block) so that the model knows the
// exact `block.timestamp`; views run at the latest block's time, which is the `now` the checks pass as `at`. Extra
// "boundary" steps land one second before, at or after a grant's start or end, a break-glass expiry, a credential
// expiry or the end of the representation, where decisions flip.

const POLICY = modelPolicy(loadParameters("hardhat").consentPolicy);
/** Enough runs to reach the rarer combinations (an organization's grant to a suspended hospital, a break-glass on a
 * denied category) while the file stays around a minute; each run replays up to MAX_STEPS actions. */
const RUNS = runs(30);
const MAX_STEPS = 25;
const MAX_START_DELAY = 365 * DAY;
/** An id nobody holds: a grant or deny naming it must be refused. */
const UNREGISTERED = 999n;
/** How many (category, purpose) pairs are sampled per accessor outside the focus, after each step. */
const SAMPLES_PER_ACCESSOR = 2;

// ---------------------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------------------

/** Who acts for the patient: she herself, her representative (a patient), her second representative (the clinic's
 * doctor, a practitioner), or an outsider (another patient, a doctor, a stranger). */
type ActorChoice = "patient" | "representative" | "practitionerRepresentative" | { outsider: number };
/** A grant's length: a fraction (per mille) of the policy's maximum for its purposes, a few seconds to hours, or an
 * edge (exactly the maximum, one second over, or zero). */
type Length = { permille: number } | { seconds: number } | { edge: "max" | "over" | "zero" };

type Action =
  | {
      op: "grant";
      actor: ActorChoice;
      grantee: number;
      categories: number;
      purposes: number;
      /** 0: validFrom 0 (now); negative: in the past; positive: that many seconds ahead. */
      from: number;
      length: Length;
    }
  | {
      op: "narrow";
      actor: ActorChoice;
      grantee: number;
      /** Mostly a grantee that has a permit, so that most narrowings get past ConsentNoLiveGrant. */
      live: boolean;
      categorySeed: number;
      categoryMode: number;
      purposeSeed: number;
      purposeMode: number;
      endPermille: number;
      endMode: number;
    }
  | { op: "revoke"; actor: ActorChoice; grantee: number; live: boolean }
  | { op: "deny"; actor: ActorChoice; grantee: number; categories: number }
  | { op: "breakGlass"; practitioner: number; patient: number; duration: number; reason: number }
  | { op: "authorize"; organization: number; authorized: boolean }
  | { op: "close"; session: number; byPractitioner: boolean }
  | { op: "review"; session: number; outcome: ReviewOutcome; finding: number }
  | { op: "record"; accessor: number; category: number; purpose: number }
  | { op: "status"; change: StatusOperation; subject: number; reason: number }
  | { op: "renew"; subject: number; days: number }
  | { op: "affiliate"; practitioner: number; organization: number }
  | { op: "advance"; seconds: number }
  | { op: "boundary"; pick: number; offset: bigint };

/** An action plus what the checks after it look at: `focus` picks the accessor whose whole grid (16 categories × 6
 * purposes) is compared, `seed` the (category, purpose) samples for every other accessor. */
interface Step {
  action: Action;
  focus: number;
  seed: number;
}

const index = fc.nat({ max: 1000 });
/** True three times in four. */
const mostly = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

const actor: fc.Arbitrary<ActorChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("patient" as const) },
  { weight: 2, arbitrary: fc.constant("representative" as const) },
  { weight: 2, arbitrary: fc.constant("practitionerRepresentative" as const) },
  { weight: 1, arbitrary: index.map((outsider) => ({ outsider })) },
);
/** Indices 0–8 are the usual grantees, 9–11 the odd ones (another practitioner, a patient, an unregistered id). */
const grantee = fc.oneof(
  { weight: 12, arbitrary: fc.nat({ max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 9, max: 11 }) },
);
const categoryList = fc.subarray([...CATEGORIES], { minLength: 1, maxLength: 3 });
const categories = fc.oneof(
  { weight: 3, arbitrary: fc.constant(ALL_CATEGORIES) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 0xffff }) },
  { weight: 7, arbitrary: categoryList.map((list) => list.reduce((set, c) => set | (1 << c), 0)) },
  // Invalid: empty, an undefined category, the top bit without the rest of the wildcard.
  { weight: 1, arbitrary: fc.constantFrom(0, 0x1_0001, 0x8000_0000) },
);
const purposes = fc.oneof(
  { weight: 3, arbitrary: fc.constant(ALL_PURPOSES) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 0x3f }) },
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      purposeSet(Purpose.Treatment),
      purposeSet(Purpose.Treatment, Purpose.Payment),
      purposeSet(Purpose.Research),
      purposeSet(Purpose.Treatment, Purpose.Research),
      purposeSet(Purpose.EmergencyTreatment),
      purposeSet(Purpose.Treatment, Purpose.EmergencyTreatment),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(0, 0x40) },
);
const from = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(-1) },
  { weight: 2, arbitrary: fc.noBias(fc.integer({ min: 1, max: 60 * DAY })) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_START_DELAY, MAX_START_DELAY + 1) },
);
const length: fc.Arbitrary<Length> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 1000 }).map((permille) => ({ permille })) },
  { weight: 2, arbitrary: fc.noBias(fc.integer({ min: 1, max: 3 * HOUR })).map((seconds) => ({ seconds })) },
  { weight: 1, arbitrary: fc.constantFrom<Length>({ edge: "max" }, { edge: "over" }, { edge: "zero" }) },
);
const denied = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.nat({ max: 15 }).map((c) => 1 << c) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 0xffff }) },
  { weight: 1, arbitrary: fc.constant(ALL_CATEGORIES) },
  { weight: 1, arbitrary: fc.constant(0x1_0000) },
);
const mode = fc.nat({ max: 9 });

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ op: fc.constant("grant" as const), actor, grantee, categories, purposes, from, length }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("narrow" as const),
      actor,
      grantee,
      live: mostly,
      categorySeed: fc.nat({ max: 0xffff }),
      categoryMode: mode,
      purposeSeed: fc.nat({ max: 0x3f }),
      purposeMode: mode,
      endPermille: fc.nat({ max: 1000 }),
      endMode: mode,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("revoke" as const), actor, grantee, live: mostly }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("deny" as const), actor, grantee, categories: denied }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("breakGlass" as const),
      // Mostly the ER doctor; sometimes the cardiologist (same hospital), the clinic's doctor (clinic not
      // authorized) or the hospital itself (not a practitioner).
      practitioner: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat({ max: 3 }) }),
      // Mostly the patient the decisions are about; often another patient, so that the ER doctor reaches the
      // limit of open sessions; rarely an id that is not a patient.
      patient: fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
        { weight: 1, arbitrary: fc.constant(4) },
      ),
      duration: fc.oneof(
        { weight: 6, arbitrary: fc.noBias(fc.integer({ min: 1, max: POLICY.maxBreakGlass })) },
        { weight: 1, arbitrary: fc.constantFrom(0, POLICY.maxBreakGlass, POLICY.maxBreakGlass + 1) },
      ),
      reason: fc.nat({ max: 0xffff }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), session: index, byPractitioner: mostly }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("authorize" as const),
      organization: index,
      // Mostly withdrawals, which end sessions; an authorization only matters after one.
      authorized: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 3, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("review" as const),
      session: index,
      outcome: fc.constantFrom(ReviewOutcome.Pending, ReviewOutcome.Justified, ReviewOutcome.Unjustified),
      finding: fc.nat({ max: 0xffff }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("record" as const),
      accessor: index,
      category: fc.nat({ max: 15 }),
      purpose: fc.nat({ max: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("status" as const),
      change: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom<StatusOperation>("suspend", "reinstate") },
        { weight: 1, arbitrary: fc.constant<StatusOperation>("revoke") },
      ),
      subject: index,
      reason: fc.nat({ max: 0xffff }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("renew" as const),
      subject: index,
      days: fc.noBias(fc.integer({ min: 1, max: 400 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("affiliate" as const), practitioner: index, organization: index }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      seconds: fc.oneof(
        { weight: 3, arbitrary: fc.noBias(fc.integer({ min: 60, max: HOUR })) },
        { weight: 3, arbitrary: fc.noBias(fc.integer({ min: HOUR, max: 7 * DAY })) },
        { weight: 1, arbitrary: fc.noBias(fc.integer({ min: 30 * DAY, max: 120 * DAY })) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("boundary" as const), pick: index, offset: fc.constantFrom(-1n, 0n, 1n) }),
  },
);
const step: fc.Arbitrary<Step> = fc.record({ action, focus: index, seed: fc.nat() });

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

/** A tiny seeded generator (mulberry32) for the decision samples, so that a step's printout stays one seed long. */
function sampler(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

/** The lowest set bit of a (non-zero, 16-bit) set. */
function lowestBit(set: number): number {
  return set & -set;
}

interface Member {
  name: string;
  key: HardhatEthersSigner;
  id: bigint;
}

/** The cast of the consent fixture, the model seeded with the fixture's documented setup, and lookups by role. */
async function setUp(f: ConsentFixture) {
  const member = (name: string, key: HardhatEthersSigner, id: bigint): Member => ({ name, key, id });
  const [stranger, extraPatientKey] = f.spareKeys;
  if (stranger === undefined || extraPatientKey === undefined)
    throw new Error("the consent fixture has two spare keys");
  const patient = member("patient", f.patientKey, f.patientId);
  const representative = member("representative", f.representativeKey, f.representativeId);
  const otherPatient = member("other patient", f.otherPatientKey, f.otherPatientId);
  const hospital = member("hospital", f.hospitalKey, f.hospitalId);
  const cardiologist = member("cardiologist", f.cardiologistKey, f.cardiologistId);
  const internist = member("internist", f.internistKey, f.internistId);
  const erDoctor = member("ER doctor", f.erDoctorKey, f.erDoctorId);
  const clinic = member("clinic", f.clinicKey, f.clinicId);
  const clinicDoctor = member("clinic doctor", f.clinicDoctorKey, f.clinicDoctorId);
  const payer = member("payer", f.payerKey, f.payerId);
  const sponsor = member("sponsor", f.sponsorKey, f.sponsorId);
  const strangerMember = member("stranger", stranger, 0n);
  // A fourth patient, for break-glass only, and the clinic's doctor as the patient's second representative.
  const extraPatient = member(
    "fourth patient",
    extraPatientKey,
    (await f.identity.as(extraPatientKey).registerPatient()).id,
  );
  const representationEnds = BigInt(await time.latest()) + 200n * BigInt(DAY);
  await f.identity.as(f.patientKey).appointRepresentative(f.patientId, clinicDoctor.id, representationEnds);

  const model = new ConsentModel(f.patientId, POLICY);
  const institution = (m: Member, kind: ParticipantKind, affiliation = 0n) => {
    model.addIdentity(m.key.address, {
      id: m.id,
      kind,
      status: ParticipantStatus.Active,
      credentialExpiry: f.credentialExpiry,
      affiliation,
    });
  };
  for (const m of [patient, representative, otherPatient, extraPatient]) {
    model.addIdentity(m.key.address, {
      id: m.id,
      kind: ParticipantKind.Patient,
      status: ParticipantStatus.Active,
      credentialExpiry: 0n,
      affiliation: 0n,
    });
  }
  institution(hospital, ParticipantKind.Organization);
  institution(clinic, ParticipantKind.Organization);
  for (const m of [cardiologist, internist, erDoctor]) institution(m, ParticipantKind.Practitioner, hospital.id);
  institution(clinicDoctor, ParticipantKind.Practitioner, clinic.id);
  institution(payer, ParticipantKind.Payer);
  institution(sponsor, ParticipantKind.ResearchSponsor);
  model.representatives.set(
    representative.id,
    await f.identityRegistry.representationExpiry(f.patientId, f.representativeId),
  );
  model.representatives.set(clinicDoctor.id, representationEnds);
  model.authorizations.set(hospital.id, { authorized: true, endedBelow: 0n });
  model.lastSessionId = await f.breakGlass.sessionCount();

  const accessors = [
    patient,
    representative,
    otherPatient,
    hospital,
    cardiologist,
    internist,
    erDoctor,
    clinic,
    clinicDoctor,
    payer,
    sponsor,
    strangerMember,
  ];
  return {
    model,
    accessors,
    patient,
    representative,
    practitionerRepresentative: clinicDoctor,
    outsiders: [otherPatient, cardiologist, strangerMember],
    /** Grantee choices: 0–8 the usual ones (the organizations twice: their grants reach their practitioners),
     * then the odd ones. */
    grantees: [
      cardiologist.id,
      hospital.id,
      internist.id,
      clinic.id,
      payer.id,
      hospital.id,
      sponsor.id,
      clinicDoctor.id,
      clinic.id,
      erDoctor.id,
      otherPatient.id,
      UNREGISTERED,
    ],
    /** Everyone a permit or deny can be stored for, to compare consentOf after every step. */
    entryHolders: [hospital, cardiologist, internist, erDoctor, clinic, clinicDoctor, payer, sponsor],
    breakGlassCandidates: [erDoctor, cardiologist, clinicDoctor, hospital],
    /** Break-glass targets: the patient, the other three patients, and one id that is not a patient. */
    breakGlassPatients: [patient.id, otherPatient.id, representative.id, extraPatient.id, hospital.id],
    /** Emergency authorizations: the two organizations, and the payer, which is not one. */
    authorizable: [hospital, clinic, hospital, clinic, payer],
    /** The organizations twice, for their changes reach every practitioner's organization grant. */
    statusSubjects: [cardiologist, hospital, internist, clinic, erDoctor, hospital, clinicDoctor, clinic],
    practitioners: [cardiologist, internist, erDoctor, clinicDoctor],
    organizations: [hospital, clinic, payer],
  };
}

function label(category: number, purpose: number): string {
  return `${String(DataCategory[category])} for ${String(Purpose[purpose])}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------------------------------

describe("ConsentRegistry", function () {
  describe("properties", function () {
    // Invariants, checked after every step:
    // - decide(patient, accessor, category, purpose, now) equals the model's decision (allowed, basis, accessor,
    //   grantee and ref: the grant's version or the break-glass session id) for every category and purpose of one
    //   accessor, and for sampled pairs of every other accessor in the cast (the patient, her representative, another
    //   patient, the hospital and clinic, their practitioners, the payer, the sponsor and an unregistered key). The
    //   decision follows the documented order: unknown → inactive → Self → deny of the accessor (it wins) → own
    //   grant (a wildcard never opens a sensitive category or a named purpose) → break-glass (a practitioner's
    //   latest session on the patient, while open; emergency treatment only, never genomics) → the organization's
    //   deny (it shuts what the organization's grant would open) → the organization's grant (never sensitive, never
    //   research, InactiveGrantee if the organization is inactive) → representation (the representative active,
    //   the patient too) → the first refusal, or NoGrant;
    // - consentOf(patient, grantee) equals the model's entry for every participant that can hold one: permit, deny
    //   and version — so a reverted action changed nothing;
    // - after an identity change, standingOf(subject) is the model's kind, affiliation and activity;
    // - after a break-glass action (open, close, review, an authorization given or withdrawn), every session's
    //   patient, practitioner, organization, effective end and outcome are the model's — a withdrawal ends every
    //   session opened under the organization at that moment and a new authorization revives none — and so are the
    //   number of sessions, of unreviewed sessions, each practitioner's open sessions (never more than the policy's
    //   maximum) and each organization's authorization.
    // Per step: every write succeeds with the model's event and arguments exactly when the model says it is valid,
    // and otherwise reverts with the model's custom error and arguments (a representative's change about itself or
    // its organization with ConsentRepresentativeConflict; a practitioner at the limit with BreakGlassTooManyOpen);
    // recordAccess emits AccessGranted or AccessDenied exactly as the model decides, and reverts with
    // ConsentAccessorInactive for an unknown or inactive key.
    it("decides every access as the model of the documented consent rules does", async function () {
      this.timeout(600_000);
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
          const f = await loadFixture(consentFixture);
          const cast = await setUp(f);
          const { model } = cast;
          const consent = f.consentRegistry;
          const breakGlass = f.breakGlass;
          const identity = f.identityRegistry;
          const clock: Clock = { now: BigInt(await time.latest()) };
          const keyOf = (id: bigint) => cast.accessors.find((m) => m.id === id && id !== 0n);

          const actorKey = (choice: ActorChoice): HardhatEthersSigner => {
            if (choice === "patient") return cast.patient.key;
            if (choice === "representative") return cast.representative.key;
            if (choice === "practitionerRepresentative") return cast.practitionerRepresentative.key;
            return at(cast.outsiders, choice.outsider).key;
          };
          /** A grantee with a permit that has a future, if `live` and there is one; else any grantee choice. */
          const pickGrantee = (position: number, live: boolean): bigint => {
            const holders = cast.grantees.filter((g) => model.hasPermit(g, clock.now + 1n));
            return live && holders.length > 0 ? at(holders, position) : at(cast.grantees, position);
          };
          /** The accessor to sweep after a change to `grantee`: itself, or for an organization sometimes one of
           * its practitioners (whom its grant and deny reach). */
          const focusFor = (grantee: bigint, focus: number): Member | undefined => {
            const members = cast.accessors.filter((m) => model.identities.get(m.key.address)?.affiliation === grantee);
            const self = keyOf(grantee);
            if (self === undefined) return undefined;
            return focus % 2 === 1 && members.length > 0 ? at(members, focus) : self;
          };

          for (const { action: a, focus, seed } of steps) {
            let focused: Member | undefined;
            let identityChanged: Member | undefined;
            let sessionTouched = false;
            switch (a.op) {
              case "grant": {
                const key = actorKey(a.actor);
                const granteeId = at(cast.grantees, a.grantee);
                const t = await pinNext(clock);
                const validFrom = a.from === 0 ? 0n : a.from < 0 ? t - 1000n : t + BigInt(a.from);
                const start = validFrom > t ? validFrom : t;
                const longest = maxGrantFor(POLICY, a.purposes);
                const seconds =
                  "permille" in a.length
                    ? Math.max(1, Math.floor((a.length.permille * longest) / 1000))
                    : "seconds" in a.length
                      ? a.length.seconds
                      : { max: longest, over: longest + 1, zero: 0 }[a.length.edge];
                const validUntil = start + BigInt(seconds);
                const expected = model.grant(
                  key.address,
                  granteeId,
                  a.categories,
                  a.purposes,
                  validFrom,
                  validUntil,
                  t,
                );
                await settle(
                  consent,
                  clock,
                  consent.connect(key).grant(f.patientId, granteeId, a.categories, a.purposes, validFrom, validUntil),
                  expected,
                );
                focused = focusFor(granteeId, focus);
                break;
              }
              case "narrow": {
                const key = actorKey(a.actor);
                const t = await pinNext(clock);
                const granteeId = pickGrantee(a.grantee, a.live);
                const entry = model.entry(granteeId);
                const sensitive = POLICY.sensitiveCategories;
                // Modes 0: unchanged; 1–6: within the permit; 7: anything; 8: the wildcard; 9: empty.
                let categoriesArg: number;
                if (a.categoryMode === 0) categoriesArg = entry.categories;
                else if (a.categoryMode <= 6) {
                  const within =
                    entry.categories === ALL_CATEGORIES
                      ? a.categorySeed & ~sensitive & 0xffff
                      : a.categorySeed & entry.categories;
                  categoriesArg = within !== 0 ? within : lowestBit(entry.categories & 0xffff) || 1;
                } else if (a.categoryMode === 7) categoriesArg = a.categorySeed === 0 ? 1 : a.categorySeed;
                else if (a.categoryMode === 8) categoriesArg = ALL_CATEGORIES;
                else categoriesArg = 0;
                let purposesArg: number;
                if (a.purposeMode === 0) purposesArg = entry.purposes;
                else if (a.purposeMode <= 6) {
                  const within =
                    entry.purposes === ALL_PURPOSES
                      ? a.purposeSeed & ~POLICY.namedPurposes & 0x3f
                      : a.purposeSeed & entry.purposes;
                  purposesArg = within !== 0 ? within : lowestBit(entry.purposes & 0x3f) || 1;
                } else if (a.purposeMode === 7) purposesArg = a.purposeSeed === 0 ? 1 : a.purposeSeed;
                else if (a.purposeMode === 8) purposesArg = ALL_PURPOSES;
                else purposesArg = 0;
                // Modes 0–6: inside the window; 7: one second past the permit's end; 8: now; 9: the same end.
                const low = (entry.validFrom > t ? entry.validFrom : t) + 1n;
                const high = entry.validUntil;
                let validUntil: bigint;
                if (a.endMode <= 6) {
                  validUntil = high >= low ? low + ((high - low) * BigInt(a.endPermille)) / 1000n : low;
                } else if (a.endMode === 7) validUntil = high + 1n;
                else if (a.endMode === 8) validUntil = t;
                else validUntil = high;
                const expected = model.narrow(key.address, granteeId, categoriesArg, purposesArg, validUntil, t);
                await settle(
                  consent,
                  clock,
                  consent.connect(key).narrow(f.patientId, granteeId, categoriesArg, purposesArg, validUntil),
                  expected,
                );
                focused = focusFor(granteeId, focus);
                break;
              }
              case "revoke": {
                const key = actorKey(a.actor);
                const t = await pinNext(clock);
                const granteeId = pickGrantee(a.grantee, a.live);
                const expected = model.revoke(key.address, granteeId, t);
                await settle(consent, clock, consent.connect(key).revoke(f.patientId, granteeId), expected);
                focused = focusFor(granteeId, focus);
                break;
              }
              case "deny": {
                const key = actorKey(a.actor);
                const granteeId = at(cast.grantees, a.grantee);
                const t = await pinNext(clock);
                const expected = model.setDeny(key.address, granteeId, a.categories, t);
                await settle(
                  consent,
                  clock,
                  consent.connect(key).setDeny(f.patientId, granteeId, a.categories),
                  expected,
                );
                focused = focusFor(granteeId, focus);
                break;
              }
              case "breakGlass": {
                const who = at(cast.breakGlassCandidates, a.practitioner);
                const patientId = at(cast.breakGlassPatients, a.patient);
                const t = await pinNext(clock);
                const expected = model.openBreakGlass(who.key.address, patientId, a.duration, a.reason, t);
                await settle(
                  breakGlass,
                  clock,
                  breakGlass.connect(who.key).open(patientId, a.reason, a.duration),
                  expected,
                );
                focused = who;
                sessionTouched = true;
                break;
              }
              case "close": {
                const ids = [...model.sessions.keys()];
                const sessionId = ids.length > 0 ? at(ids, a.session) : model.lastSessionId + 1n;
                const practitioner = model.sessions.get(sessionId)?.practitioner;
                const owner = practitioner === undefined ? undefined : keyOf(practitioner);
                const who = a.byPractitioner && owner !== undefined ? owner : at(cast.breakGlassCandidates, a.session);
                const t = await pinNext(clock);
                const expected = model.closeBreakGlass(who.key.address, sessionId, t);
                await settle(breakGlass, clock, breakGlass.connect(who.key).close(sessionId), expected);
                focused = owner;
                sessionTouched = true;
                break;
              }
              case "review": {
                const ids = [...model.sessions.keys()];
                const sessionId = ids.length > 0 ? at(ids, a.session) : model.lastSessionId + 1n;
                const t = await pinNext(clock);
                const expected = model.reviewBreakGlass(f.auditor.address, sessionId, a.outcome, a.finding, t);
                await settle(
                  breakGlass,
                  clock,
                  breakGlass.connect(f.auditor).review(sessionId, a.outcome, a.finding),
                  expected,
                );
                const practitioner = model.sessions.get(sessionId)?.practitioner;
                focused = practitioner === undefined ? undefined : keyOf(practitioner);
                sessionTouched = true;
                break;
              }
              case "authorize": {
                const organization = at(cast.authorizable, a.organization);
                const t = await pinNext(clock);
                const expected = model.setEmergencyAuthorization(organization.id, a.authorized, t);
                await settle(
                  breakGlass,
                  clock,
                  breakGlass.connect(f.registrar).setEmergencyAuthorization(organization.id, a.authorized),
                  expected,
                );
                // Sweep one of the organization's practitioners, whose sessions a withdrawal ends.
                focused = focusFor(organization.id, 1);
                sessionTouched = true;
                break;
              }
              case "record": {
                const who = at(cast.accessors, a.accessor);
                const t = await pinNext(clock);
                const expected = model.recordAccess(who.key.address, a.category, a.purpose, t);
                await settle(
                  consent,
                  clock,
                  consent.connect(who.key).recordAccess(f.patientId, a.category, a.purpose),
                  expected,
                );
                focused = who;
                break;
              }
              case "status": {
                const subject = at(cast.statusSubjects, a.subject);
                await pinNext(clock);
                const expected = model.setStatus(subject.id, STATUS_AFTER[a.change], a.reason);
                await settle(identity, clock, identity.connect(f.registrar)[a.change](subject.id, a.reason), expected);
                focused = focusFor(subject.id, focus);
                identityChanged = subject;
                break;
              }
              case "renew": {
                const subject = at(cast.statusSubjects, a.subject);
                const t = await pinNext(clock);
                const expiry = t + BigInt(a.days * DAY);
                const { commitment } = commit(`credential:${subject.name}:${expiry}`);
                const expected = model.renewCredential(subject.id, commitment, expiry, t);
                await settle(
                  identity,
                  clock,
                  identity.connect(f.registrar).renewCredential(subject.id, commitment, expiry),
                  expected,
                );
                focused = focusFor(subject.id, focus);
                identityChanged = subject;
                break;
              }
              case "affiliate": {
                // A registrar offers the practitioner to the organization, which accepts: only then does it move.
                const subject = at(cast.practitioners, a.practitioner);
                const organization = at(cast.organizations, a.organization);
                let t = await pinNext(clock);
                const offered = model.offerAffiliation(subject.id, organization.id, t);
                await settle(
                  identity,
                  clock,
                  identity.connect(f.registrar).setAffiliation(subject.id, organization.id),
                  offered,
                );
                if ("event" in offered) {
                  t = await pinNext(clock);
                  const accepted = model.acceptAffiliate(organization.key.address, subject.id, t);
                  await settle(
                    identity,
                    clock,
                    identity.connect(organization.key).acceptAffiliate(subject.id),
                    accepted,
                  );
                }
                focused = subject;
                identityChanged = subject;
                break;
              }
              case "advance": {
                await time.increaseTo(clock.now + BigInt(a.seconds));
                clock.now = BigInt(await time.latest());
                break;
              }
              case "boundary": {
                // Mostly the start or end of a grant or break-glass session; one time in four a credential's or
                // the representation's expiry (after which most of the cast is inactive for the rest of the run).
                const times: bigint[] = [];
                for (const entry of model.entries.values()) times.push(entry.validFrom, entry.validUntil);
                for (const session of model.sessions.values()) times.push(session.expiresAt);
                if (a.pick % 4 === 0) {
                  for (const m of model.identities.values()) times.push(m.credentialExpiry);
                  for (const expiry of model.representatives.values()) times.push(expiry);
                }
                const ahead = times.filter((when) => when > clock.now + 1n);
                const target = ahead.length > 0 ? at(ahead, a.pick) + a.offset : clock.now + 1n;
                await time.increaseTo(target > clock.now ? target : clock.now + 1n);
                clock.now = BigInt(await time.latest());
                break;
              }
            }

            // Invariant: what is stored for every grantee is the model's entry (nothing changed on a revert).
            for (const holder of cast.entryHolders) {
              const onChain = await f.consent.consentOf(f.patientId, holder.id);
              expect(onChain, `consentOf(${holder.name}) after ${a.op}`).to.deep.equal(model.entry(holder.id));
            }
            if (identityChanged !== undefined) {
              const standing = await identity.standingOf(identityChanged.id);
              const expectedIdentity = model.requireIdentity(identityChanged.id);
              expect(standing, `standingOf(${identityChanged.name})`).to.deep.equal([
                BigInt(expectedIdentity.kind),
                expectedIdentity.affiliation,
                model.isActive(identityChanged.id, clock.now),
              ]);
            }
            if (sessionTouched) {
              let unreviewed = 0n;
              for (const [sessionId, session] of model.sessions) {
                const onChain = await f.consent.breakGlass(sessionId);
                expect(
                  [onChain.patient, onChain.practitioner, onChain.organization, onChain.expiresAt, onChain.outcome],
                  `session ${sessionId}`,
                ).to.deep.equal([
                  session.patient,
                  session.practitioner,
                  session.organization,
                  session.expiresAt,
                  session.outcome,
                ]);
                if (session.outcome === ReviewOutcome.Pending) unreviewed++;
              }
              expect(await breakGlass.sessionCount(), "sessionCount").to.equal(model.lastSessionId);
              expect(await breakGlass.unreviewedCount(), "unreviewedCount").to.equal(unreviewed);
              for (const m of cast.breakGlassCandidates) {
                expect(await breakGlass.openSessionCount(m.id), `openSessionCount(${m.name})`).to.equal(
                  BigInt(model.openSessionCount(m.id, clock.now)),
                );
              }
              for (const m of cast.authorizable) {
                expect(await breakGlass.isEmergencyAuthorized(m.id), `isEmergencyAuthorized(${m.name})`).to.equal(
                  model.isEmergencyAuthorized(m.id),
                );
              }
            }

            // Invariant: decide agrees with the model — the whole grid for the focus, samples for everyone else.
            const sweep = focused ?? at(cast.accessors, focus);
            const decideBoth = async (m: Member, category: number, purpose: number) => {
              const d = await consent.decide(f.patientId, m.key.address, category, purpose, clock.now);
              const onChain = {
                allowed: d.allowed,
                basis: Number(d.basis),
                accessor: d.accessor,
                grantee: d.grantee,
                ref: d.ref,
              };
              const modelled = model.decide(m.key.address, category, purpose, clock.now, clock.now);
              expect(onChain, `decide(${m.name}, ${label(category, purpose)}) after ${a.op}`).to.deep.equal(modelled);
            };
            const next = sampler(seed);
            // The whole grid, unless the decision cannot depend on the category and purpose (an unknown or
            // inactive key, the patient herself): then a few samples.
            const sweepIdentity = model.identities.get(sweep.key.address);
            if (ConsentModel.activeAt(sweepIdentity, clock.now) && sweepIdentity?.id !== f.patientId) {
              for (const category of CATEGORIES) {
                for (const purpose of PURPOSES) await decideBoth(sweep, category, purpose);
              }
            } else {
              for (let i = 0; i < 4 * SAMPLES_PER_ACCESSOR; i++) {
                await decideBoth(sweep, next(CATEGORIES.length), next(PURPOSES.length));
              }
            }
            for (const m of cast.accessors) {
              if (m === sweep) continue;
              for (let i = 0; i < SAMPLES_PER_ACCESSOR; i++) {
                await decideBoth(m, next(CATEGORIES.length), next(PURPOSES.length));
              }
            }
          }
        }),
        RUNS,
      );
    });

    // Not a property: the one place where a decision is asked about a time other than now. The documented time
    // semantics (IConsentRegistry.decide): grant windows and credential expiry — the accessor's and its
    // organization's — are judged at `at`, identity statuses now. So an organization whose credential expires
    // between now and `at` is inactive for its grant at `at` (InactiveGrantee), and one whose credential expired
    // since `at` was active then.
    it("judges the organization's credential expiry at `at` when deciding on its grant", async function () {
      const f = await loadFixture(consentFixture);
      const hospitalExpiry = f.credentialExpiry;
      const labs = DataCategory.LaboratoryResults;
      // The cardiologist's own credential is renewed for three years; the hospital's expires with the fixture's.
      await f.identity
        .as(f.registrar)
        .renewCredential(f.cardiologistId, commit("licence:renewed").commitment, hospitalExpiry + 730n * BigInt(DAY));
      // Ten days before the hospital's credential expires, the patient grants the hospital labs for treatment for
      // 300 days: the grant's window covers the expiry.
      await time.increaseTo(hospitalExpiry - 10n * BigInt(DAY));
      const { version } = await f.consent.as(f.patientKey).grant({
        patient: f.patientId,
        grantee: f.hospitalId,
        categories: 1 << labs,
        purposes: purposeSet(Purpose.Treatment),
        validUntil: BigInt(await time.latest()) + 300n * BigInt(DAY),
      });
      const decideAt = (when: bigint) =>
        f.consent.decide(f.patientId, f.cardiologistKey.address, labs, Purpose.Treatment, when);
      const model = (allowed: boolean) => ({
        allowed,
        basis: allowed ? DecisionBasis.OrganizationGrant : DecisionBasis.InactiveGrantee,
        accessor: f.cardiologistId,
        grantee: f.hospitalId,
        ref: allowed ? BigInt(version) : 0n,
      });

      // Asked now about a day after the hospital's credential expires: the hospital is inactive at that time.
      expect(await decideAt(hospitalExpiry + BigInt(DAY)), "a day after the expiry, asked before it").to.deep.equal(
        model(false),
      );
      // Asked after the expiry about the day before it: the hospital was active then.
      await time.increaseTo(hospitalExpiry + BigInt(DAY));
      expect(await decideAt(hospitalExpiry - BigInt(DAY)), "a day before the expiry, asked after it").to.deep.equal(
        model(true),
      );
    });
  });
});
