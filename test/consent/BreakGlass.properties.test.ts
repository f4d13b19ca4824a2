import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import fc from "fast-check";

import { loadParameters } from "../../deploy";
import { DataCategory, ParticipantKind, ParticipantStatus, Purpose, ReviewOutcome } from "../../sdk";
import { type ConsentFixture, consentFixture } from "../fixtures/consent";
import { STATUS_AFTER, type StatusOperation } from "../fixtures/identity";
import { at, type Clock, pinNext, settle } from "../helpers/model";
import { ConsentModel, HOUR, modelPolicy } from "./model";
import { runs } from "../helpers/runs";

// A model-based property test of the break-glass workflow's limits, which the registry-wide property reaches only
// now and then: practitioners open sessions on four patients back to back (so that they run into the policy's
// maximum of open sessions), close them, auditors review them, registrars withdraw and give back emergency
// authorizations, practitioners and organizations are suspended and reinstated, and time moves on by minutes to
// hours. Every action runs on the contracts and on the model in ./model.ts (written from IBreakGlass), at a pinned
// timestamp, and the two are compared after each one.

const POLICY = modelPolicy(loadParameters("hardhat").consentPolicy);
const RUNS = runs(30);
const MAX_STEPS = 30;

type Action =
  | { op: "open"; practitioner: number; patient: number; duration: number; reason: number }
  | { op: "close"; session: number; byPractitioner: boolean }
  | { op: "review"; session: number; outcome: ReviewOutcome }
  | { op: "authorize"; organization: number; authorized: boolean }
  | { op: "status"; change: StatusOperation; subject: number }
  | { op: "advance"; seconds: number };

const index = fc.nat({ max: 1000 });
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant("open" as const),
      // Mostly the ER doctor on one of the four patients, so that one practitioner reaches the limit; sometimes
      // anyone (the hospital's own key included) on anyone (the hospital included).
      practitioner: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat({ max: 4 }) }),
      patient: fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.nat({ max: 5 }) }),
      duration: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: HOUR, max: POLICY.maxBreakGlass }) },
        { weight: 1, arbitrary: fc.constantFrom(0, 1, POLICY.maxBreakGlass + 1) },
      ),
      reason: fc.nat({ max: 0xffff }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("close" as const), session: index, byPractitioner: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("review" as const),
      session: index,
      outcome: fc.constantFrom(ReviewOutcome.Pending, ReviewOutcome.Justified, ReviewOutcome.Unjustified),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("authorize" as const),
      organization: index,
      authorized: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 3, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("status" as const),
      change: fc.constantFrom<StatusOperation>("suspend", "reinstate"),
      subject: index,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      seconds: fc.oneof(fc.integer({ min: 60, max: HOUR }), fc.integer({ min: HOUR, max: 12 * HOUR })),
    }),
  },
);

interface Member {
  name: string;
  key: HardhatEthersSigner;
  id: bigint;
}

/** The fixture's cast plus a fourth patient, and the model seeded with the fixture's documented setup. */
async function setUp(f: ConsentFixture) {
  const extraKey = f.spareKeys[1];
  if (extraKey === undefined) throw new Error("the consent fixture has no second spare key");
  const member = (name: string, key: HardhatEthersSigner, id: bigint): Member => ({ name, key, id });
  const extraPatient = member("fourth patient", extraKey, (await f.identity.as(extraKey).registerPatient()).id);
  const patients = [
    member("patient", f.patientKey, f.patientId),
    member("other patient", f.otherPatientKey, f.otherPatientId),
    member("representative", f.representativeKey, f.representativeId),
    extraPatient,
  ];
  const hospital = member("hospital", f.hospitalKey, f.hospitalId);
  const clinic = member("clinic", f.clinicKey, f.clinicId);
  const payer = member("payer", f.payerKey, f.payerId);
  const practitioners = [
    member("ER doctor", f.erDoctorKey, f.erDoctorId),
    member("cardiologist", f.cardiologistKey, f.cardiologistId),
    member("internist", f.internistKey, f.internistId),
    member("clinic doctor", f.clinicDoctorKey, f.clinicDoctorId),
  ];

  const model = new ConsentModel(f.patientId, POLICY);
  for (const p of patients) {
    model.addIdentity(p.key.address, {
      id: p.id,
      kind: ParticipantKind.Patient,
      status: ParticipantStatus.Active,
      credentialExpiry: 0n,
      affiliation: 0n,
    });
  }
  const institution = (m: Member, kind: ParticipantKind, affiliation = 0n): void => {
    model.addIdentity(m.key.address, {
      id: m.id,
      kind,
      status: ParticipantStatus.Active,
      credentialExpiry: f.credentialExpiry,
      affiliation,
    });
  };
  institution(hospital, ParticipantKind.Organization);
  institution(clinic, ParticipantKind.Organization);
  institution(payer, ParticipantKind.Payer);
  for (const p of practitioners.slice(0, 3)) institution(p, ParticipantKind.Practitioner, hospital.id);
  const clinicDoctor = practitioners[3];
  if (clinicDoctor !== undefined) institution(clinicDoctor, ParticipantKind.Practitioner, clinic.id);
  model.representatives.set(
    f.representativeId,
    await f.identityRegistry.representationExpiry(f.patientId, f.representativeId),
  );
  model.authorizations.set(hospital.id, { authorized: true, endedBelow: 0n });
  model.lastSessionId = await f.breakGlass.sessionCount();

  return {
    model,
    practitioners,
    /** Callers of open: the four practitioners and the hospital's own key (not a practitioner). */
    openers: [...practitioners, hospital],
    /** Targets of open: the four patients, and the hospital (not a patient). */
    targets: [...patients.map((p) => p.id), hospital.id, f.patientId],
    organizations: [hospital, clinic, hospital, payer],
    statusSubjects: [practitioners[0] ?? hospital, hospital, clinic, practitioners[1] ?? hospital],
  };
}

describe("BreakGlass", function () {
  describe("properties", function () {
    // Invariants, checked after every step:
    // - every session's patient, practitioner, organization, effective end (`session(id).expiresAt`) and review
    //   outcome are the model's: a session ends at its expiry, or earlier when its practitioner closes it, an auditor
    //   finds it unjustified, or its organization's authorization is withdrawn (every session opened under it so
    //   far ends at that moment, and authorizing it again revives none);
    // - sessionCount, unreviewedCount, each practitioner's openSessionCount and each organization's authorization
    //   are the model's, and no practitioner ever holds more than the policy's maxOpenBreakGlassSessions;
    // - decide for emergency treatment, for every practitioner on the patient, is the model's: BreakGlass with the
    //   session id while the practitioner's latest session on her is open (BreakGlassCategoryExcluded for genomics),
    //   else NoGrant, or InactiveAccessor for a suspended practitioner.
    // Per step: open, close, review and setEmergencyAuthorization succeed with the model's event and arguments
    // exactly when the model says so, else revert with its custom error and arguments (BreakGlassTooManyOpen at the
    // limit, BreakGlassAlreadyOpen for an open pair, BreakGlassNotAuthorized once the organization is withdrawn...).
    it("keeps every practitioner within the limit and ends sessions exactly as the model of IBreakGlass does", async function () {
      this.timeout(600_000);
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 8, maxLength: MAX_STEPS, size: "max" }), async (actions) => {
          const f = await loadFixture(consentFixture);
          const cast = await setUp(f);
          const { model } = cast;
          const breakGlass = f.breakGlass;
          const clock: Clock = { now: BigInt(await time.latest()) };
          const ownerOf = (id: bigint | undefined) => cast.practitioners.find((p) => p.id === id);

          for (const a of actions) {
            switch (a.op) {
              case "open": {
                const who = at(cast.openers, a.practitioner);
                const patient = at(cast.targets, a.patient);
                const t = await pinNext(clock);
                const expected = model.openBreakGlass(who.key.address, patient, a.duration, a.reason, t);
                await settle(
                  breakGlass,
                  clock,
                  breakGlass.connect(who.key).open(patient, a.reason, a.duration),
                  expected,
                );
                break;
              }
              case "close": {
                const ids = [...model.sessions.keys()];
                const sessionId = ids.length > 0 ? at(ids, a.session) : 1n;
                const owner = ownerOf(model.sessions.get(sessionId)?.practitioner);
                const who = a.byPractitioner && owner !== undefined ? owner : at(cast.practitioners, a.session);
                const t = await pinNext(clock);
                const expected = model.closeBreakGlass(who.key.address, sessionId, t);
                await settle(breakGlass, clock, breakGlass.connect(who.key).close(sessionId), expected);
                break;
              }
              case "review": {
                const ids = [...model.sessions.keys()];
                const sessionId = ids.length > 0 ? at(ids, a.session) : 1n;
                const t = await pinNext(clock);
                const expected = model.reviewBreakGlass(f.auditor.address, sessionId, a.outcome, 0, t);
                await settle(
                  breakGlass,
                  clock,
                  breakGlass.connect(f.auditor).review(sessionId, a.outcome, 0),
                  expected,
                );
                break;
              }
              case "authorize": {
                const organization = at(cast.organizations, a.organization);
                const t = await pinNext(clock);
                const expected = model.setEmergencyAuthorization(organization.id, a.authorized, t);
                await settle(
                  breakGlass,
                  clock,
                  breakGlass.connect(f.registrar).setEmergencyAuthorization(organization.id, a.authorized),
                  expected,
                );
                break;
              }
              case "status": {
                const subject = at(cast.statusSubjects, a.subject);
                await pinNext(clock);
                const expected = model.setStatus(subject.id, STATUS_AFTER[a.change], 0);
                await settle(
                  f.identityRegistry,
                  clock,
                  f.identityRegistry.connect(f.registrar)[a.change](subject.id, 0),
                  expected,
                );
                break;
              }
              case "advance": {
                await time.increaseTo(clock.now + BigInt(a.seconds));
                clock.now = BigInt(await time.latest());
                break;
              }
            }

            let unreviewed = 0n;
            for (const [sessionId, session] of model.sessions) {
              const onChain = await f.consent.breakGlass(sessionId);
              expect(
                [onChain.patient, onChain.practitioner, onChain.organization, onChain.expiresAt, onChain.outcome],
                `session ${sessionId} after ${a.op}`,
              ).to.deep.equal([
                session.patient,
                session.practitioner,
                session.organization,
                session.expiresAt,
                session.outcome,
              ]);
              if (session.outcome === ReviewOutcome.Pending) unreviewed++;
            }
            expect(await breakGlass.sessionCount(), `sessionCount after ${a.op}`).to.equal(model.lastSessionId);
            expect(await breakGlass.unreviewedCount(), `unreviewedCount after ${a.op}`).to.equal(unreviewed);
            for (const organization of cast.organizations) {
              expect(await breakGlass.isEmergencyAuthorized(organization.id), organization.name).to.equal(
                model.isEmergencyAuthorized(organization.id),
              );
            }
            for (const p of cast.practitioners) {
              const open = model.openSessionCount(p.id, clock.now);
              expect(open).to.be.at.most(POLICY.maxOpenBreakGlass);
              expect(await breakGlass.openSessionCount(p.id), `openSessionCount(${p.name}) after ${a.op}`).to.equal(
                BigInt(open),
              );
              for (const category of [DataCategory.LaboratoryResults, DataCategory.Genomics]) {
                const d = await f.consent.decide(f.patientId, p.key.address, category, Purpose.EmergencyTreatment);
                expect(d, `decide(${p.name}, ${DataCategory[category]}) after ${a.op}`).to.deep.equal(
                  model.decide(p.key.address, category, Purpose.EmergencyTreatment, clock.now, clock.now),
                );
              }
            }
          }
        }),
        RUNS,
      );
    });
  });
});
