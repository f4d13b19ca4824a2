import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import fc from "fast-check";

import { commit, ControllerChange, ParticipantKind, ParticipantStatus, signControlTransfer } from "../../sdk";
import { DAY, identityFixture, STATUS_AFTER, type StatusOperation } from "../fixtures/identity";
import { at, type Clock, type Expected, pinNext, settle } from "../helpers/model";
import { runs } from "../helpers/runs";

// A property test of the copy of each id's standing that the registry keeps in its controller's binding word
// (`accountStanding`, `activeIdOf`) against the record it copies (`participant`, `isActive`, `isActiveAt`). Each run
// starts from the identity fixture's snapshot plus a clinic and a device (accepted by the hospital), replays a random
// sequence of at most MAX_STEPS registrar status changes, credential renewals, affiliation offers (registrar),
// acceptances and releases (the organization's key), signed key rotations and time jumps, and after every step
// compares the views for every subject and every key in the pool.
//
// Every transaction is mined at a pinned timestamp (one second after the latest block) so that the small model of
// who controls what and which operations are valid knows the exact `block.timestamp`.

const RUNS = runs(40);
const MAX_STEPS = 15;
const REASON = 17;

type Step =
  | { op: StatusOperation; subject: number }
  | { op: "renew"; subject: number; days: number }
  | { op: "offer"; subject: number; organization: number; focus: boolean }
  | { op: "accept"; subject: number; organization: number; focus: boolean }
  | { op: "release"; subject: number; organization: number; focus: boolean }
  | { op: "rotate"; subject: number; key: number; consenting: boolean; retired: boolean }
  | { op: "advance"; seconds: number }
  | { op: "toExpiry"; subject: number; offset: bigint };

const index = fc.nat({ max: 1000 });
/** True three times in four: steers a step towards the interesting case without excluding the other. */
const mostly = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom<StatusOperation>("suspend", "reinstate") },
        { weight: 1, arbitrary: fc.constant<StatusOperation>("revoke") },
      ),
      subject: index,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("renew" as const),
      subject: index,
      days: fc.noBias(fc.integer({ min: 1, max: 400 })),
    }),
  },
  // `focus` (mostly) steers affiliation steps to where they can succeed: an offer names a practitioner or device and an
  // organization other than its current one; an acceptance comes from the organization an offer names; a release
  // from the member's current organization. Otherwise subject and organization are drawn from all of them.
  ...(["offer", "accept", "release"] as const).map((op) => ({
    weight: 2,
    arbitrary: fc.record({ op: fc.constant(op), subject: index, organization: index, focus: mostly }),
  })),
  // Mostly with the new key's own consent; otherwise another key signs in its name. Sometimes (`retired`) to a key
  // that an id moved away from, which never binds again.
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("rotate" as const),
      subject: index,
      key: index,
      consenting: mostly,
      retired: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      seconds: fc.noBias(fc.integer({ min: 1, max: 200 * DAY })),
    }),
  },
  // Time travel to one second before, at or after a credential's expiry, where activity flips.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("toExpiry" as const),
      subject: index,
      offset: fc.constantFrom(-1n, 0n, 1n),
    }),
  },
);

interface Subject {
  name: string;
  id: bigint;
  kind: ParticipantKind;
  controller: HardhatEthersSigner;
  status: ParticipantStatus;
  credentialExpiry: bigint;
  /** The organization that accepted it (practitioners and devices only), else 0. */
  affiliation: bigint;
  /** The organization a registrar offered it, awaiting that organization's acceptance, else 0. */
  offer: bigint;
}

function needsAffiliation(subject: Subject): boolean {
  return subject.kind === ParticipantKind.Practitioner || subject.kind === ParticipantKind.Device;
}

/** The model's activity rule: status Active, the credential (if any) unexpired at `when`, an accepted affiliation. */
function activeAt(subject: Subject, when: bigint): boolean {
  return (
    subject.status === ParticipantStatus.Active &&
    (subject.credentialExpiry === 0n || when < subject.credentialExpiry) &&
    (!needsAffiliation(subject) || subject.affiliation !== 0n)
  );
}

describe("IdentityRegistry", function () {
  describe("properties", function () {
    describe("accountStanding, activeIdOf", function () {
      // Invariants, checked after every step for every subject (a patient, two organizations, a practitioner and a
      // device) and every key in the pool:
      // - accountStanding(controller, now) is (id, participant(id).kind, participant(id).affiliation, isActive(id)):
      //   the copy in the binding word never disagrees with the record, whatever changed it (status, renewal, an
      //   offer, an acceptance, a release, a rotation);
      // - a practitioner or device is active only while an organization's acceptance stands: a registrar's offer
      //   alone changes neither its affiliation nor its activity (affiliationOffer shows the offer until accepted);
      // - activeIdOf(controller, kind) is the id exactly when isActive(id), and NONE for any other kind;
      // - at any `at` (now, a day before, a second before and at the credential expiry), accountStanding's active
      //   flag and isActiveAt(id, at) are both "status Active now, the credential, if any, unexpired at `at`, and
      //   (practitioners and devices) an accepted affiliation now";
      // - a key that controls no id (never bound, or retired by a rotation) reads (NONE, None, NONE, false), and a
      //   retired key stays so: a rotation to it reverts with IdentityAccountAlreadyBound, whoever signed;
      // - the record itself is the model's: controller, status, credential expiry, affiliation and pending offer.
      // Per step: each operation succeeds with its event exactly when the model says it is valid, and otherwise
      // reverts with the model's custom error.
      it("keeps every key's standing equal to its id's record", async function () {
        this.timeout(300_000);
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
            const f = await loadFixture(identityFixture);
            const { registry, registrar } = f;
            const asRegistrar = registry.connect(registrar);
            const domain = await f.identity.domain();
            const [clinicKey, deviceKey, ...pool] = f.spareKeys;
            if (clinicKey === undefined || deviceKey === undefined) throw new Error("not enough spare keys");
            const { id: clinicId } = await f.identity.as(registrar).registerWithKey(clinicKey, {
              kind: ParticipantKind.Organization,
              credentialCommitment: commit("accreditation:clinic").commitment,
              credentialExpiry: f.credentialExpiry,
            });
            const { id: deviceId } = await f.identity.as(registrar).registerWithKey(
              deviceKey,
              {
                kind: ParticipantKind.Device,
                credentialCommitment: commit("device:monitor").commitment,
                credentialExpiry: f.credentialExpiry + 30n * BigInt(DAY),
                affiliation: f.hospitalId,
              },
              f.hospitalKey,
            );
            const subject = (
              name: string,
              id: bigint,
              kind: ParticipantKind,
              controller: HardhatEthersSigner,
              credentialExpiry: bigint,
              affiliation = 0n,
            ): Subject => ({
              name,
              id,
              kind,
              controller,
              status: ParticipantStatus.Active,
              credentialExpiry,
              affiliation,
              offer: 0n,
            });
            const subjects = [
              subject("patient", f.patientId, ParticipantKind.Patient, f.patientKey, 0n),
              subject("hospital", f.hospitalId, ParticipantKind.Organization, f.hospitalKey, f.credentialExpiry),
              subject(
                "cardiologist",
                f.cardiologistId,
                ParticipantKind.Practitioner,
                f.cardiologistKey,
                f.credentialExpiry,
                f.hospitalId,
              ),
              subject("clinic", clinicId, ParticipantKind.Organization, clinicKey, f.credentialExpiry),
              subject(
                "device",
                deviceId,
                ParticipantKind.Device,
                deviceKey,
                f.credentialExpiry + 30n * BigInt(DAY),
                f.hospitalId,
              ),
            ];
            const organizations = subjects.filter((s) => s.kind === ParticipantKind.Organization);
            const members = subjects.filter(needsAffiliation);
            // Every key that may control a subject at some point: the subjects' own keys and the unbound spares.
            const keys = [...subjects.map((s) => s.controller), ...pool];
            const controlling = (key: HardhatEthersSigner) => subjects.find((s) => s.controller === key);
            /** Keys an id moved away from: retired for good. */
            const retired = new Set<HardhatEthersSigner>();
            const clock: Clock = { now: BigInt(await time.latest()) };

            for (const s of steps) {
              switch (s.op) {
                case "suspend":
                case "reinstate":
                case "revoke": {
                  const target = at(subjects, s.subject);
                  const from = target.status;
                  const to = STATUS_AFTER[s.op];
                  const allowed =
                    (from === ParticipantStatus.Active && to !== ParticipantStatus.Active) ||
                    (from === ParticipantStatus.Suspended && to !== ParticipantStatus.Suspended);
                  await pinNext(clock);
                  let expected: Expected;
                  if (allowed) {
                    target.status = to;
                    expected = { event: "StatusChanged", args: [target.id, from, to, REASON] };
                  } else {
                    expected = { error: "IdentityInvalidStatusTransition", args: [target.id, from, to] };
                  }
                  await settle(registry, clock, asRegistrar[s.op](target.id, REASON), expected);
                  break;
                }
                case "renew": {
                  const target = at(subjects, s.subject);
                  const t = await pinNext(clock);
                  const expiry = t + BigInt(s.days * DAY);
                  const { commitment } = commit(`credential:${target.name}:${expiry}`);
                  let expected: Expected;
                  if (target.kind === ParticipantKind.Patient) {
                    expected = { error: "IdentityKindNotRegistrable", args: [ParticipantKind.Patient] };
                  } else if (target.status === ParticipantStatus.Revoked) {
                    expected = { error: "IdentityParticipantRevoked", args: [target.id] };
                  } else {
                    target.credentialExpiry = expiry;
                    expected = { event: "CredentialUpdated", args: [target.id, commitment, expiry] };
                  }
                  await settle(registry, clock, asRegistrar.renewCredential(target.id, commitment, expiry), expected);
                  break;
                }
                case "offer": {
                  const target = at(s.focus ? members : subjects, s.subject);
                  const others = organizations.filter((o) => o.id !== target.affiliation);
                  const organization = at(s.focus ? others : organizations, s.organization);
                  const t = await pinNext(clock);
                  let expected: Expected;
                  if (target.status === ParticipantStatus.Revoked) {
                    expected = { error: "IdentityParticipantRevoked", args: [target.id] };
                  } else if (
                    !needsAffiliation(target) ||
                    organization.id === target.affiliation ||
                    !activeAt(organization, t)
                  ) {
                    expected = { error: "IdentityInvalidAffiliation", args: [target.kind, organization.id] };
                  } else {
                    target.offer = organization.id;
                    expected = { event: "AffiliationOffered", args: [target.id, organization.id] };
                  }
                  await settle(registry, clock, asRegistrar.setAffiliation(target.id, organization.id), expected);
                  break;
                }
                case "accept": {
                  const offered = members.filter((m) => m.offer !== 0n);
                  const target = at(s.focus && offered.length > 0 ? offered : subjects, s.subject);
                  const named = organizations.find((o) => o.id === target.offer);
                  const organization = s.focus && named !== undefined ? named : at(organizations, s.organization);
                  const t = await pinNext(clock);
                  let expected: Expected;
                  if (!activeAt(organization, t)) {
                    expected = { error: "IdentityNotAnInstitution", args: [organization.controller.address] };
                  } else if (target.offer !== organization.id) {
                    expected = { error: "IdentityNoAffiliationOffer", args: [target.id, organization.id] };
                  } else if (target.status === ParticipantStatus.Revoked) {
                    expected = { error: "IdentityParticipantRevoked", args: [target.id] };
                  } else {
                    expected = { event: "AffiliationChanged", args: [target.id, target.affiliation, organization.id] };
                    target.affiliation = organization.id;
                    target.offer = 0n;
                  }
                  await settle(
                    registry,
                    clock,
                    registry.connect(organization.controller).acceptAffiliate(target.id),
                    expected,
                  );
                  break;
                }
                case "release": {
                  const target = at(s.focus ? members : subjects, s.subject);
                  const current = organizations.find((o) => o.id === target.affiliation);
                  const organization = s.focus && current !== undefined ? current : at(organizations, s.organization);
                  await pinNext(clock);
                  let expected: Expected;
                  if (target.affiliation !== organization.id) {
                    expected = { error: "IdentityNotAffiliated", args: [target.id, organization.id] };
                  } else {
                    expected = { event: "AffiliationChanged", args: [target.id, organization.id, 0n] };
                    target.affiliation = 0n;
                  }
                  await settle(
                    registry,
                    clock,
                    registry.connect(organization.controller).releaseAffiliate(target.id),
                    expected,
                  );
                  break;
                }
                case "rotate": {
                  const target = at(subjects, s.subject);
                  const free = keys.filter((k) => controlling(k) === undefined && !retired.has(k));
                  // Every rotation retires a key, so the free ones may run out: then only a retired key is left to try.
                  const toRetired = retired.size > 0 && (s.retired || free.length === 0);
                  const newKey = toRetired ? at([...retired], s.key) : at(free, s.key);
                  const others = free.filter((k) => k !== newKey);
                  const consenting = s.consenting || others.length === 0;
                  const signerKey = consenting ? newKey : at(others, s.key);
                  const deadline = clock.now + BigInt(DAY);
                  const signature = await signControlTransfer(signerKey, domain, {
                    id: target.id,
                    newController: newKey.address,
                    keyEpoch: (await registry.participant(target.id)).keyEpoch,
                    deadline,
                  });
                  await pinNext(clock);
                  let expected: Expected;
                  if (target.status === ParticipantStatus.Revoked) {
                    expected = { error: "IdentityParticipantRevoked", args: [target.id] };
                  } else if (toRetired) {
                    expected = { error: "IdentityAccountAlreadyBound", args: [newKey.address] };
                  } else if (!consenting) {
                    expected = { error: "IdentityInvalidKeySignature", args: [newKey.address] };
                  } else {
                    expected = {
                      event: "ControllerChanged",
                      args: [target.id, target.controller.address, newKey.address, ControllerChange.Rotation],
                    };
                  }
                  await settle(
                    registry,
                    clock,
                    registry
                      .connect(target.controller)
                      .rotateController(target.id, newKey.address, deadline, signature),
                    expected,
                  );
                  if ("event" in expected) {
                    retired.add(target.controller);
                    target.controller = newKey;
                  }
                  break;
                }
                case "advance":
                  await time.increaseTo(clock.now + BigInt(s.seconds));
                  clock.now = BigInt(await time.latest());
                  break;
                case "toExpiry": {
                  const expiry = at(subjects, s.subject).credentialExpiry;
                  const when = expiry + s.offset;
                  await time.increaseTo(expiry !== 0n && when > clock.now ? when : clock.now + 1n);
                  clock.now = BigInt(await time.latest());
                  break;
                }
              }

              // Invariants.
              for (const target of subjects) {
                const label = `${target.name} after ${s.op}`;
                const record = await registry.participant(target.id);
                expect(
                  [record.controller, record.status, record.credentialExpiry, record.affiliation],
                  `${label}: record`,
                ).to.deep.equal([
                  target.controller.address,
                  BigInt(target.status),
                  target.credentialExpiry,
                  target.affiliation,
                ]);
                expect(await registry.affiliationOffer(target.id), `${label}: affiliationOffer`).to.equal(target.offer);
                const active = await registry.isActive(target.id);
                expect(active, `${label}: isActive`).to.equal(activeAt(target, clock.now));
                const key = target.controller.address;
                expect(await registry.accountStanding(key, clock.now), `${label}: accountStanding now`).to.deep.equal([
                  target.id,
                  record.kind,
                  record.affiliation,
                  active,
                ]);
                expect(await registry.activeIdOf(key, target.kind), `${label}: activeIdOf`).to.equal(
                  active ? target.id : 0n,
                );
                const otherKind =
                  target.kind === ParticipantKind.Patient ? ParticipantKind.Practitioner : ParticipantKind.Patient;
                expect(await registry.activeIdOf(key, otherKind), `${label}: activeIdOf another kind`).to.equal(0n);
                const times = [clock.now - BigInt(DAY), clock.now];
                if (target.credentialExpiry !== 0n) times.push(target.credentialExpiry - 1n, target.credentialExpiry);
                for (const when of times) {
                  const expectedActive = activeAt(target, when);
                  const [, , , activeThen] = await registry.accountStanding(key, when);
                  expect(activeThen, `${label}: accountStanding at ${when}`).to.equal(expectedActive);
                  expect(await registry.isActiveAt(target.id, when), `${label}: isActiveAt ${when}`).to.equal(
                    expectedActive,
                  );
                }
              }
              for (const key of keys) {
                if (controlling(key) !== undefined) continue;
                const label = retired.has(key) ? "a retired key" : "a key that controls no id";
                expect(await registry.accountStanding(key.address, clock.now), label).to.deep.equal([
                  0n,
                  0n,
                  0n,
                  false,
                ]);
                expect(await registry.idOf(key.address), label).to.equal(0n);
              }
            }
          }),
          RUNS,
        );
      });
    });
  });
});
