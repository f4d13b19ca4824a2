import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import type { TypedDataDomain } from "ethers";
import fc from "fast-check";

import { commit, ControllerChange, ParticipantKind, ParticipantStatus, signControlTransfer } from "../../sdk";
import {
  DAY,
  GUARDIAN_THRESHOLD,
  identityFixture,
  RECOVERY_DELAY,
  STATUS_AFTER as TARGET,
  type StatusOperation as Operation,
} from "../fixtures/identity";
import { at, type Clock, type Expected, pinNext, settle } from "../helpers/model";
import { runs } from "../helpers/runs";

// Property-based tests of the registry's state machines against small, independent TypeScript models. Each run
// starts from the identity fixture's snapshot (loadFixture reverts to it), replays a random sequence of operations,
// and after every operation checks that (1) the operation succeeded or reverted exactly as the model predicts, with
// the predicted event or custom error and arguments, and (2) the invariants stated above each property hold.
//
// Every transaction is mined at a pinned timestamp (one second after the latest block) so that the model knows the
// exact `block.timestamp` of each operation, deadlines and delays included. Extra "time travel" steps land exactly
// one second before, at or after a deadline, readyAt, recovery expiry or guardian change's effective time, where the
// predicates flip.
//
// Durations are drawn without fast-check's bias towards small values: seconds-long windows would make nearly every
// consent expire before anyone could use it.

/** Few enough runs that the file stays well under two minutes; the cheaper models get more. */
const RUNS = runs(30);
const MORE_RUNS = runs(60);
/** The recovery and guardian-change machine needs several steps in the right order: more runs find more. */
const MANY_RUNS = runs(80);
/** The focused recovery property: sequences of the new active-guardian rules, cheaper than the whole machine. */
const FOCUSED_RUNS = runs(80);
const MAX_STEPS = 12;
/** The recovery machine needs approvals, time travel and an execution in a row: longer sequences reach them. */
const MAX_RECOVERY_STEPS = 20;
const MAX_SIGNATURE_WINDOW = 30n * BigInt(DAY);
const RECOVERY_WINDOW = 30n * BigInt(DAY);
const REASON = 17;

async function advance(clock: Clock, seconds: number | bigint): Promise<void> {
  await time.increaseTo(clock.now + BigInt(seconds));
  clock.now = BigInt(await time.latest());
}

/** Advances the clock so that the next transaction runs at `when`, if that is still ahead; else by one second. */
async function jumpTo(clock: Clock, when: bigint): Promise<void> {
  await (when - 1n > clock.now ? time.increaseTo(when - 1n) : time.increase(1));
  clock.now = BigInt(await time.latest());
}

const offset = fc.constantFrom(-1n, 0n, 1n);

/** True three times in four: steers a step towards the interesting case without excluding the other. */
const mostly = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
/** True seven times in eight: for choices several of which must line up for the interesting case. */
const usually = fc.oneof({ weight: 7, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

const index = fc.nat({ max: 1000 });

describe("IdentityRegistry", function () {
  describe("properties", function () {
    // -----------------------------------------------------------------------------------------------------------------
    // Key rotation: rotateController with the new key's signed consent, registerPatient, revoke
    // -----------------------------------------------------------------------------------------------------------------

    describe("rotateController, registerPatient", function () {
      /** A consent as signed: what it names, so the model can judge it against the id's state when it is used. */
      interface Consent {
        signer: string;
        id: bigint;
        newController: string;
        keyEpoch: number;
        deadline: bigint;
        signature: string;
      }

      /** The model: who controls which id, each id's key epoch, which ids are revoked, which keys are retired. */
      class BindingModel {
        readonly controllers = new Map<bigint, string>();
        readonly epochs = new Map<bigint, number>();
        readonly bound = new Map<string, bigint>();
        readonly revoked = new Set<bigint>();
        /** Keys an id moved away from: they never bind again. */
        readonly retired = new Set<string>();
        lastId = 0n;

        add(id: bigint, controller: string): void {
          this.controllers.set(id, controller);
          this.epochs.set(id, 0);
          this.bound.set(controller, id);
          if (id > this.lastId) this.lastId = id;
        }

        controllerOf(id: bigint): string {
          const controller = this.controllers.get(id);
          if (controller === undefined) throw new Error(`model has no id ${id}`);
          return controller;
        }

        epochOf(id: bigint): number {
          return this.epochs.get(id) ?? 0;
        }

        /** A key is taken while it controls an id, and for good once an id moved away from it. */
        taken(key: string): boolean {
          return this.bound.has(key) || this.retired.has(key);
        }

        /** A consent lets `newController` take `id` only if `newController` signed it for this id and epoch. */
        accepts(consent: Consent, id: bigint, newController: string): boolean {
          return (
            consent.signer === newController &&
            consent.newController === newController &&
            consent.id === id &&
            consent.keyEpoch === this.epochOf(id)
          );
        }

        /** What `rotateController(id, newController, consent)` from `caller` at time `t` must do. */
        rotate(caller: string, id: bigint, newController: string, consent: Consent, t: bigint): Expected {
          const previous = this.controllerOf(id);
          const latest = t + MAX_SIGNATURE_WINDOW;
          if (caller !== previous) return { error: "IdentityNotController", args: [id, caller] };
          if (this.revoked.has(id)) return { error: "IdentityParticipantRevoked", args: [id] };
          if (this.taken(newController)) return { error: "IdentityAccountAlreadyBound", args: [newController] };
          if (consent.deadline < t || consent.deadline > latest) {
            return { error: "IdentitySignatureDeadlineOutOfRange", args: [consent.deadline, t, latest] };
          }
          if (!this.accepts(consent, id, newController)) {
            return { error: "IdentityInvalidKeySignature", args: [newController] };
          }
          this.bound.delete(previous);
          this.retired.add(previous);
          this.bound.set(newController, id);
          this.controllers.set(id, newController);
          this.epochs.set(id, this.epochOf(id) + 1);
          return { event: "ControllerChanged", args: [id, previous, newController, ControllerChange.Rotation] };
        }

        ids(): bigint[] {
          return [...this.controllers.keys()];
        }
      }

      type Step =
        | { op: "register"; key: number }
        | {
            op: "rotate";
            byController: boolean;
            caller: number;
            id: number;
            target: number;
            /** Who signs: the target itself (mostly) or another key of the pool. */
            selfSigned: boolean;
            signer: number;
            /** The id and key epoch the consent names: the right ones (mostly) or others. */
            sameId: boolean;
            otherId: number;
            epochShift: number;
            window: bigint;
          }
        | { op: "replay"; consent: number }
        | { op: "revoke"; id: number }
        | { op: "advance"; seconds: number };

      /** An index into the key pool, which lists the unbound spare keys first: mostly a spare key, sometimes any. */
      const keyIndex = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 7 }) }, { weight: 1, arbitrary: index });
      const window = fc.oneof(
        { weight: 1, arbitrary: fc.constant(-1n) },
        { weight: 1, arbitrary: fc.constant(0n) },
        { weight: 6, arbitrary: fc.noBias(fc.bigInt({ min: 1n, max: 3n * BigInt(DAY) })) },
        { weight: 1, arbitrary: fc.constant(MAX_SIGNATURE_WINDOW) },
        { weight: 1, arbitrary: fc.constant(MAX_SIGNATURE_WINDOW + 1n) },
      );
      const step: fc.Arbitrary<Step> = fc.oneof(
        { weight: 1, arbitrary: fc.record({ op: fc.constant("register" as const), key: keyIndex }) },
        {
          weight: 6,
          arbitrary: fc.record({
            op: fc.constant("rotate" as const),
            byController: usually,
            caller: index,
            id: index,
            target: keyIndex,
            selfSigned: usually,
            signer: index,
            sameId: usually,
            otherId: index,
            epochShift: fc.oneof(
              { weight: 6, arbitrary: fc.constant(0) },
              { weight: 1, arbitrary: fc.constantFrom(-1, 1) },
            ),
            window,
          }),
        },
        { weight: 2, arbitrary: fc.record({ op: fc.constant("replay" as const), consent: index }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("revoke" as const), id: index }) },
        {
          weight: 1,
          arbitrary: fc.record({
            op: fc.constant("advance" as const),
            seconds: fc.oneof(
              { weight: 3, arbitrary: fc.noBias(fc.integer({ min: 1, max: 3 * DAY })) },
              { weight: 1, arbitrary: fc.constant(30 * DAY) },
            ),
          }),
        },
      );

      // Invariants, checked after every step:
      // - every id's controller is bound to exactly that id: participant(id).controller is the model's controller,
      //   idOf(controller) is the id, and the key epoch is the model's (it counts the id's changes of key);
      // - no address controls two ids, and every key of the pool is bound to the model's id or to none; a key that
      //   controls nothing (never bound, or retired) reads (NONE, None, NONE, false) from accountStanding;
      // - lastId counts every registration.
      // Per step: a rotation succeeds only when sent by the id's current key, for an id that is not revoked, to a key
      // that controls no id and never did, with a deadline between now and MAX_SIGNATURE_WINDOW ahead, and a signature
      // by the new key over this id and its current key epoch; then the old key is retired at once: it never registers
      // or takes an id again. A consent that was used once never works again (its key is bound or retired, and the
      // epoch moved on). Every other case reverts with the model's custom error.
      it("binds a key only with its own consent, once, and keeps every key bound to at most one id", async function () {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
            const f = await loadFixture(identityFixture);
            const { registry } = f;
            const domain: TypedDataDomain = await f.identity.domain();
            const pool: HardhatEthersSigner[] = [
              ...f.spareKeys,
              f.patientKey,
              ...f.guardianKeys,
              f.hospitalKey,
              f.cardiologistKey,
            ];
            const signerOf = (address: string) => pool.find((k) => k.address === address) ?? at(pool, 0);
            const model = new BindingModel();
            for (const id of [f.hospitalId, f.cardiologistId, f.patientId, ...f.guardianIds]) {
              model.add(id, (await registry.participant(id)).controller);
            }
            const used: Consent[] = [];
            const clock: Clock = { now: BigInt(await time.latest()) };

            for (const s of steps) {
              const ids = model.ids();
              switch (s.op) {
                case "register": {
                  const key = at(pool, s.key);
                  await pinNext(clock);
                  let expected: Expected;
                  if (model.taken(key.address)) {
                    expected = { error: "IdentityAccountAlreadyBound", args: [key.address] };
                  } else {
                    const id = model.lastId + 1n;
                    model.add(id, key.address);
                    expected = { event: "ParticipantRegistered", args: [id, ParticipantKind.Patient, key.address] };
                  }
                  await settle(registry, clock, registry.connect(key).registerPatient(), expected);
                  break;
                }
                case "rotate": {
                  const id = at(ids, s.id);
                  const caller = s.byController ? signerOf(model.controllerOf(id)) : at(pool, s.caller);
                  const target = at(pool, s.target);
                  const signer = s.selfSigned ? target : at(pool, s.signer);
                  const currentEpoch = model.epochOf(id);
                  const keyEpoch = currentEpoch + s.epochShift < 0 ? currentEpoch + 1 : currentEpoch + s.epochShift;
                  const t = clock.now + 1n;
                  const consent: Consent = {
                    signer: signer.address,
                    id: s.sameId ? id : at(ids, s.otherId),
                    newController: target.address,
                    keyEpoch,
                    deadline: t + s.window,
                    signature: "",
                  };
                  consent.signature = await signControlTransfer(signer, domain, {
                    id: consent.id,
                    newController: consent.newController,
                    keyEpoch: BigInt(consent.keyEpoch),
                    deadline: consent.deadline,
                  });
                  await pinNext(clock);
                  const expected = model.rotate(caller.address, id, target.address, consent, t);
                  await settle(
                    registry,
                    clock,
                    registry.connect(caller).rotateController(id, target.address, consent.deadline, consent.signature),
                    expected,
                  );
                  if ("event" in expected) used.push(consent);
                  break;
                }
                case "replay": {
                  if (used.length === 0) {
                    await advance(clock, 1);
                    break;
                  }
                  // Whoever holds the id now resubmits a consent that already served once.
                  const consent = at(used, s.consent);
                  const caller = signerOf(model.controllerOf(consent.id));
                  const t = await pinNext(clock);
                  const expected = model.rotate(caller.address, consent.id, consent.newController, consent, t);
                  expect("error" in expected, "a used consent never works again").to.equal(true);
                  await settle(
                    registry,
                    clock,
                    registry
                      .connect(caller)
                      .rotateController(consent.id, consent.newController, consent.deadline, consent.signature),
                    expected,
                  );
                  break;
                }
                case "revoke": {
                  const id = at(ids, s.id);
                  await pinNext(clock);
                  let expected: Expected;
                  if (model.revoked.has(id)) {
                    expected = {
                      error: "IdentityInvalidStatusTransition",
                      args: [id, ParticipantStatus.Revoked, ParticipantStatus.Revoked],
                    };
                  } else {
                    model.revoked.add(id);
                    expected = {
                      event: "StatusChanged",
                      args: [id, ParticipantStatus.Active, ParticipantStatus.Revoked, REASON],
                    };
                  }
                  await settle(registry, clock, registry.connect(f.registrar).revoke(id, REASON), expected);
                  break;
                }
                case "advance":
                  await advance(clock, s.seconds);
                  break;
              }

              // Invariants.
              const controllers = new Set<string>();
              for (const id of model.ids()) {
                const controller = model.controllerOf(id);
                const onChain = await registry.participant(id);
                expect(onChain.controller).to.equal(controller);
                expect(onChain.keyEpoch).to.equal(BigInt(model.epochOf(id)));
                expect(await registry.idOf(controller)).to.equal(id);
                controllers.add(controller);
              }
              expect(controllers.size, "no address controls two ids").to.equal(model.ids().length);
              expect(await registry.lastId()).to.equal(model.lastId);
              for (const key of pool) {
                const id = model.bound.get(key.address);
                expect(await registry.idOf(key.address)).to.equal(id ?? 0n);
                if (id === undefined) {
                  expect(await registry.accountStanding(key.address, clock.now)).to.deep.equal([0n, 0n, 0n, false]);
                }
              }
            }
          }),
          RUNS,
        );
      });
    });

    // -----------------------------------------------------------------------------------------------------------------
    // Status: suspend, reinstate, revoke, renewCredential
    // -----------------------------------------------------------------------------------------------------------------

    describe("suspend, reinstate, revoke, renewCredential", function () {
      /** The transition table: Active ⇄ Suspended, Active or Suspended → Revoked; Revoked is final. */
      function allowed(from: ParticipantStatus, to: ParticipantStatus): boolean {
        if (from === ParticipantStatus.Active)
          return to === ParticipantStatus.Suspended || to === ParticipantStatus.Revoked;
        if (from === ParticipantStatus.Suspended)
          return to === ParticipantStatus.Active || to === ParticipantStatus.Revoked;
        return false;
      }

      type Step =
        | { op: Operation; id: number; reason: number }
        | { op: "renew"; id: number; days: number }
        | { op: "advance"; seconds: number }
        | { op: "toExpiry"; id: number; offset: bigint };

      const index = fc.nat({ max: 1000 });
      const step: fc.Arbitrary<Step> = fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            op: fc.constantFrom<Operation>("suspend", "reinstate", "revoke"),
            id: index,
            reason: fc.nat({ max: 0xffff }),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            op: fc.constant("renew" as const),
            id: index,
            days: fc.noBias(fc.integer({ min: 1, max: 400 })),
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
        { weight: 1, arbitrary: fc.record({ op: fc.constant("toExpiry" as const), id: index, offset }) },
      );

      // Invariants, checked after every step:
      // - the status follows the transition table: every allowed transition emits StatusChanged(id, from, to, reason),
      //   every other one reverts with IdentityInvalidStatusTransition(id, from, to) and changes nothing; revoked is
      //   final;
      // - isActive(id) ⇔ status is Active and the credential (if any) has not expired, with no transaction needed
      //   for expiry; activeIdOf(controller, kind) is the id exactly when it is active, and standingOf agrees;
      // - a credential renewal works for any non-revoked, non-patient participant and never changes the status;
      // - the controller's binding never changes: idOf(controller) is always the id, revoked or not.
      it("follows the transition table and derives activity from status and credential expiry", async function () {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
            const f = await loadFixture(identityFixture);
            const { registry, registrar } = f;
            const subjects = [
              { id: f.hospitalId, kind: ParticipantKind.Organization, key: f.hospitalKey.address },
              { id: f.cardiologistId, kind: ParticipantKind.Practitioner, key: f.cardiologistKey.address },
              { id: f.patientId, kind: ParticipantKind.Patient, key: f.patientKey.address },
            ];
            const status = new Map<bigint, ParticipantStatus>(subjects.map((p) => [p.id, ParticipantStatus.Active]));
            const expiry = new Map<bigint, bigint>([
              [f.hospitalId, f.credentialExpiry],
              [f.cardiologistId, f.credentialExpiry],
              [f.patientId, 0n],
            ]);
            const clock: Clock = { now: BigInt(await time.latest()) };

            for (const s of steps) {
              if (s.op === "advance") {
                await advance(clock, s.seconds);
              } else if (s.op === "toExpiry") {
                // The views then run at the latest block's time: expiry - 1, expiry or expiry + 1.
                const credentialExpiry = expiry.get(at(subjects, s.id).id) ?? 0n;
                await (credentialExpiry === 0n ? advance(clock, 1) : jumpTo(clock, credentialExpiry + s.offset + 1n));
              } else if (s.op === "renew") {
                const subject = at(subjects, s.id);
                const t = await pinNext(clock);
                const newExpiry = t + BigInt(s.days * DAY);
                const { commitment } = commit(`credential:${subject.id}:${newExpiry}`);
                let expected: Expected;
                if (subject.kind === ParticipantKind.Patient) {
                  expected = { error: "IdentityKindNotRegistrable", args: [ParticipantKind.Patient] };
                } else if (status.get(subject.id) === ParticipantStatus.Revoked) {
                  expected = { error: "IdentityParticipantRevoked", args: [subject.id] };
                } else {
                  expiry.set(subject.id, newExpiry);
                  expected = { event: "CredentialUpdated", args: [subject.id, commitment, newExpiry] };
                }
                await settle(
                  registry,
                  clock,
                  registry.connect(registrar).renewCredential(subject.id, commitment, newExpiry),
                  expected,
                );
              } else {
                const subject = at(subjects, s.id);
                const from = status.get(subject.id) ?? ParticipantStatus.None;
                const to = TARGET[s.op];
                await pinNext(clock);
                let expected: Expected;
                if (allowed(from, to)) {
                  status.set(subject.id, to);
                  expected = { event: "StatusChanged", args: [subject.id, from, to, s.reason] };
                } else {
                  expected = { error: "IdentityInvalidStatusTransition", args: [subject.id, from, to] };
                }
                await settle(registry, clock, registry.connect(registrar)[s.op](subject.id, s.reason), expected);
              }

              // Invariants.
              for (const subject of subjects) {
                const currentStatus = status.get(subject.id) ?? ParticipantStatus.None;
                const credentialExpiry = expiry.get(subject.id) ?? 0n;
                const active =
                  currentStatus === ParticipantStatus.Active &&
                  (credentialExpiry === 0n || clock.now < credentialExpiry);
                const onChain = await registry.participant(subject.id);
                expect(onChain.status).to.equal(BigInt(currentStatus));
                expect(onChain.credentialExpiry).to.equal(credentialExpiry);
                expect(onChain.controller).to.equal(subject.key);
                expect(await registry.isActive(subject.id)).to.equal(active);
                expect(await registry.activeIdOf(subject.key, subject.kind)).to.equal(active ? subject.id : 0n);
                expect((await registry.standingOf(subject.id))[2]).to.equal(active);
                expect(await registry.idOf(subject.key)).to.equal(subject.id);
              }
            }
          }),
          MORE_RUNS,
        );
      });
    });

    // -----------------------------------------------------------------------------------------------------------------
    // Guardians and recovery: setGuardians, confirmGuardianChange, cancelGuardianChange, vetoGuardianChange,
    // approveRecovery, withdrawRecoveryApproval, cancelRecovery, executeRecovery (and rotations, suspensions and
    // reinstatements of guardians meanwhile)
    // -----------------------------------------------------------------------------------------------------------------

    describe("guardian changes and recoveries", function () {
      interface GuardianSet {
        ids: bigint[];
        threshold: number;
        delay: number;
        /** Moves on whenever the set is installed or a recovery executes; recoveries of an older epoch are dead. */
        epoch: number;
      }

      interface GuardianChange {
        ids: bigint[];
        threshold: number;
        delay: number;
        effectiveAt: bigint;
        vetoes: Set<bigint>;
        /** The count of vetoes by guardians active at the last veto (what the view shows). */
        vetoCount: number;
      }

      interface Recovery {
        approvers: Set<bigint>;
        /** Who objected: the patient's key (`KEY_PARTY`, whichever key she holds) or a guardian (its id). */
        objectors: Set<string>;
        /** The count of objections (the key's, and active guardians') at the last objection (what the view shows). */
        objectionCount: number;
        openedAt: bigint;
        readyAt: bigint;
        epoch: number;
      }

      const KEY_PARTY = "key";

      /**
       * The model of one patient's guardians, waiting guardian change, recoveries (one per new key) and key, and of the
       * four candidate guardians' activity (suspensions, the hospital's credential expiry).
       */
      class GuardianModel {
        set: GuardianSet;
        change: GuardianChange | undefined;
        readonly recoveries = new Map<string, Recovery>();
        keyEpoch = 0;
        /** Keys the patient's id moved away from: they never bind again. */
        readonly retired = new Set<string>();
        /** Candidate guardians a registrar suspended. */
        readonly suspended = new Set<bigint>();

        constructor(
          readonly patient: bigint,
          public controller: string,
          ids: bigint[],
          threshold: number,
          delay: number,
          /** Each candidate guardian's credential expiry (0: none, as for patients). */
          readonly expiries: ReadonlyMap<bigint, bigint>,
        ) {
          this.set = { ids, threshold, delay, epoch: 1 };
        }

        /** A recovery lapses RECOVERY_WINDOW after it opened, or after readyAt once it reached its threshold. */
        static expiry(recovery: Recovery): bigint {
          return (recovery.readyAt === 0n ? recovery.openedAt : recovery.readyAt) + RECOVERY_WINDOW;
        }

        /** A candidate guardian is active at `t` unless suspended or past its credential's expiry. */
        active(id: bigint, t: bigint): boolean {
          const expiry = this.expiries.get(id) ?? 0n;
          return !this.suspended.has(id) && (expiry === 0n || t < expiry);
        }

        activeGuardians(t: bigint): number {
          return this.set.ids.filter((id) => this.active(id, t)).length;
        }

        live(newKey: string, t: bigint): Recovery | undefined {
          const recovery = this.recoveries.get(newKey);
          if (recovery === undefined || recovery.approvers.size === 0) return undefined;
          if (recovery.epoch !== this.set.epoch || t > GuardianModel.expiry(recovery)) return undefined;
          return recovery;
        }

        isGuardian(guardian: bigint): boolean {
          return this.set.ids.includes(guardian);
        }

        /** A guardian acts (approves, withdraws, vetoes, objects) only while named by the current set and active. */
        acts(guardian: bigint, t: bigint): boolean {
          return this.isGuardian(guardian) && this.active(guardian, t);
        }

        /** How many of the recovery's approvers are active at `t`. */
        activeApprovals(recovery: Recovery, t: bigint): number {
          return [...recovery.approvers].filter((g) => this.active(g, t)).length;
        }

        /** A key is taken while it controls the id, and for good once the id moved away from it. */
        taken(key: string): boolean {
          return key === this.controller || this.retired.has(key);
        }

        approve(guardian: bigint, guardianKey: string, newKey: string, t: bigint): Expected {
          if (!this.acts(guardian, t)) return { error: "IdentityNotGuardian", args: [this.patient, guardianKey] };
          if (this.taken(newKey)) return { error: "IdentityAccountAlreadyBound", args: [newKey] };
          const recovery = this.live(newKey, t) ?? {
            approvers: new Set<bigint>(),
            objectors: new Set<string>(),
            objectionCount: 0,
            openedAt: t,
            readyAt: 0n,
            epoch: this.set.epoch,
          };
          if (recovery.approvers.has(guardian)) {
            return { error: "IdentityRecoveryAlreadyApproved", args: [this.patient, guardian, newKey] };
          }
          recovery.approvers.add(guardian);
          // The delay starts once the approvals of guardians active now reach the threshold, and then stays.
          if (recovery.readyAt === 0n && this.activeApprovals(recovery, t) >= this.set.threshold) {
            recovery.readyAt = t + BigInt(this.set.delay);
          }
          this.recoveries.set(newKey, recovery);
          const { size } = recovery.approvers;
          return { event: "RecoveryApproved", args: [this.patient, guardian, newKey, size, recovery.readyAt] };
        }

        withdraw(guardian: bigint, guardianKey: string, newKey: string, t: bigint): Expected {
          if (!this.acts(guardian, t)) return { error: "IdentityNotGuardian", args: [this.patient, guardianKey] };
          const recovery = this.live(newKey, t);
          if (recovery === undefined) return { error: "IdentityNoPendingRecovery", args: [this.patient, newKey] };
          if (!recovery.approvers.has(guardian)) {
            return { error: "IdentityRecoveryNotApproved", args: [this.patient, guardian, newKey] };
          }
          recovery.approvers.delete(guardian);
          if (this.activeApprovals(recovery, t) < this.set.threshold) recovery.readyAt = 0n;
          if (recovery.approvers.size === 0) this.recoveries.delete(newKey);
          return {
            event: "RecoveryApprovalWithdrawn",
            args: [this.patient, guardian, newKey, recovery.approvers.size],
          };
        }

        /**
         * An objection sent by `caller` (the key of guardian `guardian`, if it is one): the outcome, and whether it
         * reached the quorum, ⌈(active guardians + 1) / 2⌉ — stated here as "twice the objections reach the active
         * guardians plus the key".
         */
        object(
          caller: string,
          guardian: bigint | undefined,
          newKey: string,
          t: bigint,
        ): { expected: Expected; cancelled: boolean } {
          const recovery = this.live(newKey, t);
          if (recovery === undefined) {
            return { expected: { error: "IdentityNoPendingRecovery", args: [this.patient, newKey] }, cancelled: false };
          }
          let party: string;
          if (caller === this.controller) party = KEY_PARTY;
          else if (guardian !== undefined && this.acts(guardian, t)) party = String(guardian);
          else {
            return { expected: { error: "IdentityNotRecoveryParty", args: [this.patient, caller] }, cancelled: false };
          }
          if (recovery.objectors.has(party)) {
            return {
              expected: { error: "IdentityRecoveryAlreadyObjected", args: [this.patient, caller] },
              cancelled: false,
            };
          }
          recovery.objectors.add(party);
          // The key's objection always counts; a guardian's only while it is active.
          const objections = [...recovery.objectors].filter((p) => p === KEY_PARTY || this.active(BigInt(p), t)).length;
          recovery.objectionCount = objections;
          const cancelled = 2 * objections >= this.activeGuardians(t) + 1;
          if (cancelled) this.recoveries.delete(newKey);
          return {
            expected: { event: "RecoveryObjected", args: [this.patient, newKey, caller, objections] },
            cancelled,
          };
        }

        /** The outcome of `newKey` executing its recovery, and whether that dropped a waiting guardian change. */
        execute(newKey: string, t: bigint): { expected: Expected; dropped: boolean } {
          const recovery = this.live(newKey, t);
          if (recovery === undefined) {
            return { expected: { error: "IdentityNoPendingRecovery", args: [this.patient, newKey] }, dropped: false };
          }
          const notReady: Expected = { error: "IdentityRecoveryNotReady", args: [this.patient, recovery.readyAt] };
          if (recovery.readyAt === 0n || t < recovery.readyAt) return { expected: notReady, dropped: false };
          if (this.activeApprovals(recovery, t) < this.set.threshold) return { expected: notReady, dropped: false };
          if (this.taken(newKey)) {
            return { expected: { error: "IdentityAccountAlreadyBound", args: [newKey] }, dropped: false };
          }
          const previous = this.controller;
          this.recoveries.delete(newKey);
          this.set.epoch += 1;
          const dropped = this.change !== undefined;
          this.change = undefined;
          this.retired.add(previous);
          this.controller = newKey;
          this.keyEpoch += 1;
          return {
            expected: {
              event: "ControllerChanged",
              args: [this.patient, previous, newKey, ControllerChange.GuardianRecovery],
            },
            dropped,
          };
        }

        rotate(newKey: string): Expected {
          if (this.taken(newKey)) return { error: "IdentityAccountAlreadyBound", args: [newKey] };
          const previous = this.controller;
          this.retired.add(previous);
          this.controller = newKey;
          this.keyEpoch += 1;
          return { event: "ControllerChanged", args: [this.patient, previous, newKey, ControllerChange.Rotation] };
        }

        /** The first guardian of `ids` that is not active at `t`, in list order (the contract checks in that order). */
        firstInactive(ids: bigint[], t: bigint): bigint | undefined {
          return ids.find((id) => !this.active(id, t));
        }

        setGuardians(ids: bigint[], threshold: number, delay: number, t: bigint): Expected {
          const clearing = ids.length === 0 && threshold === 0;
          if (!clearing && (threshold === 0 || threshold > ids.length)) {
            return { error: "IdentityInvalidGuardianSet", args: [ids.length, threshold] };
          }
          const inactive = this.firstInactive(ids, t);
          if (inactive !== undefined) return { error: "IdentityInvalidGuardian", args: [inactive] };
          const effectiveDelay = clearing ? 0 : delay;
          if (this.set.ids.length === 0) {
            this.set = { ids, threshold, delay: effectiveDelay, epoch: this.set.epoch + 1 };
            return { event: "GuardiansSet", args: [this.patient, ids, threshold, effectiveDelay] };
          }
          const effectiveAt = t + BigInt(this.set.delay);
          this.change = { ids, threshold, delay: effectiveDelay, effectiveAt, vetoes: new Set(), vetoCount: 0 };
          return {
            event: "GuardianChangeScheduled",
            args: [this.patient, ids, threshold, effectiveDelay, effectiveAt],
          };
        }

        confirm(t: bigint): Expected {
          const change = this.change;
          if (change === undefined) return { error: "IdentityNoGuardianChange", args: [this.patient] };
          if (t < change.effectiveAt) {
            return { error: "IdentityGuardianChangeNotReady", args: [this.patient, change.effectiveAt] };
          }
          const inactive = this.firstInactive(change.ids, t);
          if (inactive !== undefined) return { error: "IdentityInvalidGuardian", args: [inactive] };
          this.set = { ids: change.ids, threshold: change.threshold, delay: change.delay, epoch: this.set.epoch + 1 };
          this.change = undefined;
          return { event: "GuardiansSet", args: [this.patient, change.ids, change.threshold, change.delay] };
        }

        cancelChange(): Expected {
          if (this.change === undefined) return { error: "IdentityNoGuardianChange", args: [this.patient] };
          this.change = undefined;
          return { event: "GuardianChangeCancelled", args: [this.patient, false] };
        }

        /**
         * The veto's outcome, and whether it dropped the change: a majority, more than half of the current guardians
         * active at `t`, counting only vetoes of guardians active at `t`.
         */
        veto(guardian: bigint, guardianKey: string, t: bigint): { expected: Expected; dropped: boolean } {
          const change = this.change;
          if (change === undefined) {
            return { expected: { error: "IdentityNoGuardianChange", args: [this.patient] }, dropped: false };
          }
          if (!this.acts(guardian, t)) {
            return { expected: { error: "IdentityNotGuardian", args: [this.patient, guardianKey] }, dropped: false };
          }
          if (change.vetoes.has(guardian)) {
            return {
              expected: { error: "IdentityGuardianChangeAlreadyVetoed", args: [this.patient, guardian] },
              dropped: false,
            };
          }
          change.vetoes.add(guardian);
          change.vetoCount = [...change.vetoes].filter((g) => this.active(g, t)).length;
          const dropped = 2 * change.vetoCount > this.activeGuardians(t);
          if (dropped) this.change = undefined;
          return {
            expected: { event: "GuardianChangeVetoed", args: [this.patient, guardian, change.vetoCount] },
            dropped,
          };
        }

        /** The registrar suspends or reinstates candidate guardian `guardian`. */
        setStatus(guardian: bigint, suspend: boolean): Expected {
          const from = this.suspended.has(guardian) ? ParticipantStatus.Suspended : ParticipantStatus.Active;
          const to = suspend ? ParticipantStatus.Suspended : ParticipantStatus.Active;
          if (from === to) return { error: "IdentityInvalidStatusTransition", args: [guardian, from, to] };
          if (suspend) this.suspended.add(guardian);
          else this.suspended.delete(guardian);
          return { event: "StatusChanged", args: [guardian, from, to, REASON] };
        }
      }

      type KeyChoice = { follow: boolean; candidate: number };
      /** `steer`: mostly a guardian for whom the step can succeed (see `chooseGuardian`), otherwise any of the four. */
      type GuardianChoice = { steer: boolean; guardian: number };
      type Step =
        | ({ op: "approve" | "withdraw" } & GuardianChoice & KeyChoice)
        | ({ op: "cancel"; by: "key" | "guardian" | "other" } & GuardianChoice & KeyChoice)
        | ({ op: "execute" | "rotate" } & KeyChoice)
        | { op: "setGuardians"; members: number; valid: boolean; threshold: number; delay: number }
        | { op: "confirm"; wait: boolean; offset: bigint }
        | { op: "cancelChange" }
        | ({ op: "veto" } & GuardianChoice)
        | ({ op: "suspend" | "reinstate" } & GuardianChoice)
        | { op: "advance"; seconds: number }
        | { op: "toReady" | "toExpiry"; candidate: number; offset: bigint }
        | { op: "toEffective"; offset: bigint };

      const candidate = fc.nat({ max: 3 });
      /** Mostly the key of a live recovery (so that recoveries reach their threshold), otherwise any candidate. */
      const keyChoice = { follow: mostly, candidate };
      const guardianChoice = { steer: mostly, guardian: fc.nat({ max: 3 }) };
      const step: fc.Arbitrary<Step> = fc.oneof(
        {
          weight: 7,
          arbitrary: fc.record({ op: fc.constant("approve" as const), ...guardianChoice, ...keyChoice }),
        },
        {
          weight: 2,
          arbitrary: fc.record({ op: fc.constant("withdraw" as const), ...guardianChoice, ...keyChoice }),
        },
        // An objection: from the patient's key, a guardian's, or another key (a retired one of hers, or a stranger's).
        {
          weight: 4,
          arbitrary: fc.record({
            op: fc.constant("cancel" as const),
            by: fc.oneof(
              { weight: 3, arbitrary: fc.constant("key" as const) },
              { weight: 4, arbitrary: fc.constant("guardian" as const) },
              { weight: 1, arbitrary: fc.constant("other" as const) },
            ),
            ...guardianChoice,
            ...keyChoice,
          }),
        },
        { weight: 5, arbitrary: fc.record({ op: fc.constant("execute" as const), ...keyChoice }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("rotate" as const), ...keyChoice }) },
        {
          weight: 3,
          arbitrary: fc.record({
            op: fc.constant("setGuardians" as const),
            // A subset of the four candidate guardians as a bitmap (0: clear them).
            members: fc.nat({ max: 15 }),
            valid: mostly,
            threshold: fc.nat({ max: 5 }),
            delay: fc.constantFrom(DAY, RECOVERY_DELAY, 3 * DAY),
          }),
        },
        // Mostly waits for the change's effective time first (one second before, at or after it), then confirms.
        { weight: 3, arbitrary: fc.record({ op: fc.constant("confirm" as const), wait: mostly, offset }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("cancelChange" as const) }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant("veto" as const), ...guardianChoice }) },
        // The registrar suspends or reinstates one of the four candidate guardians (when steered, one who approved a
        // live recovery, or one suspended).
        {
          weight: 3,
          arbitrary: fc.record({
            op: fc.constantFrom("suspend" as const, "reinstate" as const),
            ...guardianChoice,
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            op: fc.constant("advance" as const),
            seconds: fc.oneof(
              { weight: 3, arbitrary: fc.noBias(fc.integer({ min: 1, max: 3 * DAY })) },
              { weight: 1, arbitrary: fc.noBias(fc.integer({ min: 3 * DAY, max: 32 * DAY })) },
            ),
          }),
        },
        // Time travel to one second before, at or after where a predicate flips.
        { weight: 3, arbitrary: fc.record({ op: fc.constant("toReady" as const), candidate, offset }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("toExpiry" as const), candidate, offset }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant("toEffective" as const), offset }) },
      );

      /**
       * Sequences that exercise what counts only active guardians, in rounds: guardians approve one key, then the
       * registrar suspends approvers (or reinstates guardians), parties object, the patient's key asks for a guardian
       * change or a guardian withdraws, maybe more approvals follow, and the key tries to execute at its readyAt
       * (a second before, at or after it).
       */
      const approveFollowing = fc.record({
        op: fc.constant("approve" as const),
        steer: fc.constant(true),
        guardian: fc.nat({ max: 3 }),
        follow: fc.constant(true),
        candidate,
      });
      const disruption: fc.Arbitrary<Step> = fc.oneof(
        { weight: 3, arbitrary: fc.record({ op: fc.constant("suspend" as const), ...guardianChoice }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("reinstate" as const), ...guardianChoice }) },
        {
          weight: 3,
          arbitrary: fc.record({
            op: fc.constant("cancel" as const),
            by: fc.constantFrom("key" as const, "guardian" as const, "guardian" as const, "other" as const),
            ...guardianChoice,
            follow: fc.constant(true),
            candidate,
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            op: fc.constant("setGuardians" as const),
            members: fc.integer({ min: 1, max: 15 }),
            valid: fc.constant(true),
            threshold: fc.nat({ max: 3 }),
            delay: fc.constantFrom(DAY, 3 * DAY),
          }),
        },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("withdraw" as const), ...guardianChoice, ...keyChoice }) },
      );
      const round: fc.Arbitrary<Step[]> = fc
        .tuple(
          fc.array(approveFollowing, { minLength: 1, maxLength: 4 }),
          fc.array(disruption, { maxLength: 4 }),
          fc.array(approveFollowing, { maxLength: 2 }),
          fc.record({ op: fc.constant("toReady" as const), candidate, offset }),
          fc.record({ op: fc.constant("execute" as const), follow: fc.constant(true), candidate }),
        )
        .map(([approvals, disruptions, more, toReady, execute]) => [
          ...approvals,
          ...disruptions,
          ...more,
          toReady,
          execute,
        ]);
      const focusedSteps = fc.array(round, { minLength: 1, maxLength: 2 }).map((rounds) => rounds.flat());

      /** Most runs start with a guardian change already waiting, so that confirmations and vetoes get their turn. */
      const preamble = fc.option(
        fc.record({
          members: fc.integer({ min: 1, max: 15 }),
          threshold: fc.nat({ max: 3 }),
          delay: fc.constantFrom(DAY, 3 * DAY),
          fromTop: fc.constant(false),
          confirm: fc.constant(false),
        }),
        { freq: 4 },
      );
      /**
       * The focused runs start from a confirmed set of one to four guardians, mostly with a high threshold, so that a
       * suspended approver often leaves a recovery short of it.
       */
      const focusedPreamble = fc.record({
        members: fc.integer({ min: 1, max: 15 }),
        threshold: fc.nat({ max: 1 }),
        delay: fc.constantFrom(DAY, 3 * DAY),
        fromTop: fc.constant(true),
        confirm: fc.constant(true),
      });

      /**
       * A first guardian change asked for by the patient's key: a subset of the four candidates (bitmap `members`), a
       * threshold counted from 1 or, `fromTop`, down from their number; confirmed at its effective time if `confirm`.
       */
      type Preamble = { members: number; threshold: number; delay: number; fromTop: boolean; confirm: boolean };

      /**
       * Replays `steps` (after the `first` guardian change, if any) on the fixture patient against the model, checking
       * the invariants below after every step.
       */
      async function replay(first: Preamble | null, steps: Step[]): Promise<void> {
        const f = await loadFixture(identityFixture);
        const { registry, patientId } = f;
        const domain = await f.identity.domain();
        const guardianKeys = [...f.guardianKeys, f.hospitalKey];
        const guardianIds = [...f.guardianIds, f.hospitalId];
        const candidates = f.spareKeys.slice(0, 4);
        const stranger = f.spareKeys[4] ?? f.registrar;
        const keys = new Map<string, HardhatEthersSigner>([f.patientKey, ...candidates].map((k) => [k.address, k]));
        const model = new GuardianModel(
          patientId,
          f.patientKey.address,
          [...f.guardianIds],
          GUARDIAN_THRESHOLD,
          RECOVERY_DELAY,
          new Map([[f.hospitalId, f.credentialExpiry]]),
        );
        const clock: Clock = { now: BigInt(await time.latest()) };
        if (first !== null) {
          const ids = guardianIds.filter((_, i) => (first.members & (1 << i)) !== 0);
          const threshold = first.fromTop
            ? ids.length - (first.threshold % ids.length)
            : 1 + (first.threshold % ids.length);
          const t = await pinNext(clock);
          const expected = model.setGuardians(ids, threshold, first.delay, t);
          await settle(
            registry,
            clock,
            registry.connect(f.patientKey).setGuardians(patientId, ids, threshold, first.delay),
            expected,
          );
          if (first.confirm && model.change !== undefined) {
            await jumpTo(clock, model.change.effectiveAt);
            const confirmed = model.confirm(await pinNext(clock));
            await settle(registry, clock, registry.confirmGuardianChange(patientId), confirmed);
          }
        }
        const controllerKey = () => {
          const key = keys.get(model.controller);
          if (key === undefined) throw new Error("the model lost the controller's signer");
          return key;
        };
        /**
         * A candidate key: when following, one that a live recovery names (so that recoveries progress), else one
         * the id never held; otherwise (or if there is none) any candidate.
         */
        const chooseKey = (choice: KeyChoice, preferReady = false): HardhatEthersSigner => {
          const live = candidates.filter((k) => model.live(k.address, clock.now) !== undefined);
          const ready = live.filter((k) => model.live(k.address, clock.now)?.readyAt !== 0n);
          const fresh = candidates.filter((k) => !model.taken(k.address));
          const steered = [preferReady ? ready : [], live, fresh].find((keys) => keys.length > 0) ?? [];
          return at(choice.follow && steered.length > 0 ? steered : candidates, choice.candidate);
        };

        /**
         * A guardian's position among the four: when steered, one of the current guardians active now who has
         * not yet approved the recovery to `newKey` (approve), who approved it (withdraw), who has not objected to
         * it (object), or who has not vetoed the waiting change (veto); otherwise (or if there is none) any of
         * the four.
         */
        const chooseGuardian = (
          choice: GuardianChoice,
          op: "approve" | "withdraw" | "object" | "veto",
          newKey = "",
        ): number => {
          const recovery = model.live(newKey, clock.now);
          const approvers = recovery?.approvers ?? new Set<bigint>();
          const objectors = recovery?.objectors ?? new Set<string>();
          const vetoes = model.change?.vetoes ?? new Set<bigint>();
          const fits = [0, 1, 2, 3].filter((i) => {
            const id = at(guardianIds, i);
            if (!model.acts(id, clock.now + 1n)) return false;
            if (op === "approve") return !approvers.has(id);
            if (op === "withdraw") return approvers.has(id);
            if (op === "object") return !objectors.has(String(id));
            return !vetoes.has(id);
          });
          return choice.steer && fits.length > 0 ? at(fits, choice.guardian) : choice.guardian;
        };

        for (const s of steps) {
          switch (s.op) {
            case "approve":
            case "withdraw": {
              const newKey = chooseKey(s).address;
              const position = chooseGuardian(s, s.op, newKey);
              const guardianKey = at(guardianKeys, position);
              const guardian = at(guardianIds, position);
              const t = await pinNext(clock);
              const as = registry.connect(guardianKey);
              if (s.op === "approve") {
                const expected = model.approve(guardian, guardianKey.address, newKey, t);
                await settle(registry, clock, as.approveRecovery(patientId, newKey), expected);
              } else {
                const expected = model.withdraw(guardian, guardianKey.address, newKey, t);
                await settle(registry, clock, as.withdrawRecoveryApproval(patientId, newKey), expected);
              }
              break;
            }
            case "cancel": {
              const newKey = chooseKey(s).address;
              let caller: HardhatEthersSigner;
              let guardian: bigint | undefined;
              if (s.by === "key") {
                caller = controllerKey();
              } else if (s.by === "guardian") {
                const position = chooseGuardian(s, "object", newKey);
                caller = at(guardianKeys, position);
                guardian = at(guardianIds, position);
              } else {
                const retired = candidates.filter((k) => model.retired.has(k.address));
                const patientRetired = model.retired.has(f.patientKey.address) ? [f.patientKey] : [];
                caller = at([...patientRetired, ...retired, stranger], s.guardian);
              }
              const t = await pinNext(clock);
              const { expected, cancelled } = model.object(caller.address, guardian, newKey, t);
              const tx = registry.connect(caller).cancelRecovery(patientId, newKey);
              await settle(registry, clock, tx, expected);
              if ("event" in expected) {
                if (cancelled) {
                  await expect(tx).to.emit(registry, "RecoveryCancelled").withArgs(patientId, newKey);
                } else {
                  await expect(tx).not.to.emit(registry, "RecoveryCancelled");
                }
              }
              break;
            }
            case "execute": {
              // When following, the key of a recovery at its threshold if there is one.
              const newKey = chooseKey(s, true);
              const t = await pinNext(clock);
              const { expected, dropped } = model.execute(newKey.address, t);
              const tx = registry.connect(newKey).executeRecovery(patientId);
              await settle(registry, clock, tx, expected);
              if ("event" in expected) {
                if (dropped) {
                  await expect(tx).to.emit(registry, "GuardianChangeCancelled").withArgs(patientId, false);
                } else {
                  await expect(tx).not.to.emit(registry, "GuardianChangeCancelled");
                }
              }
              break;
            }
            case "rotate": {
              const fresh = candidates.filter((k) => !model.taken(k.address));
              const newKey = at(s.follow && fresh.length > 0 ? fresh : candidates, s.candidate);
              const from = controllerKey();
              const deadline = clock.now + BigInt(DAY);
              const signature = await signControlTransfer(newKey, domain, {
                id: patientId,
                newController: newKey.address,
                keyEpoch: BigInt(model.keyEpoch),
                deadline,
              });
              await pinNext(clock);
              const expected = model.rotate(newKey.address);
              await settle(
                registry,
                clock,
                registry.connect(from).rotateController(patientId, newKey.address, deadline, signature),
                expected,
              );
              break;
            }
            case "setGuardians": {
              const ids = guardianIds.filter((_, i) => (s.members & (1 << i)) !== 0);
              const threshold = s.valid ? (ids.length === 0 ? 0 : 1 + (s.threshold % ids.length)) : s.threshold;
              const t = await pinNext(clock);
              const expected = model.setGuardians(ids, threshold, s.delay, t);
              await settle(
                registry,
                clock,
                registry.connect(controllerKey()).setGuardians(patientId, ids, threshold, s.delay),
                expected,
              );
              break;
            }
            case "confirm": {
              if (s.wait && model.change !== undefined) await jumpTo(clock, model.change.effectiveAt + s.offset);
              const t = await pinNext(clock);
              const expected = model.confirm(t);
              await settle(registry, clock, registry.connect(stranger).confirmGuardianChange(patientId), expected);
              break;
            }
            case "cancelChange": {
              await pinNext(clock);
              const expected = model.cancelChange();
              await settle(
                registry,
                clock,
                registry.connect(controllerKey()).cancelGuardianChange(patientId),
                expected,
              );
              break;
            }
            case "veto": {
              const position = chooseGuardian(s, "veto");
              const guardianKey = at(guardianKeys, position);
              const t = await pinNext(clock);
              const { expected, dropped } = model.veto(at(guardianIds, position), guardianKey.address, t);
              const tx = registry.connect(guardianKey).vetoGuardianChange(patientId);
              await settle(registry, clock, tx, expected);
              if ("event" in expected) {
                if (dropped) {
                  await expect(tx).to.emit(registry, "GuardianChangeCancelled").withArgs(patientId, true);
                } else {
                  await expect(tx).not.to.emit(registry, "GuardianChangeCancelled");
                }
              }
              break;
            }
            case "suspend":
            case "reinstate": {
              const approvers = new Set(
                candidates.flatMap((k) => [...(model.live(k.address, clock.now)?.approvers ?? [])]),
              );
              const fits = guardianIds.filter((id) =>
                s.op === "suspend" ? approvers.has(id) && !model.suspended.has(id) : model.suspended.has(id),
              );
              // Steered with nothing that fits, the registrar has nothing to do: a second passes.
              if (s.steer && fits.length === 0) {
                await advance(clock, 1);
                break;
              }
              const guardian = at(s.steer ? fits : guardianIds, s.guardian);
              await pinNext(clock);
              const expected = model.setStatus(guardian, s.op === "suspend");
              await settle(registry, clock, registry.connect(f.registrar)[s.op](guardian, REASON), expected);
              break;
            }
            case "advance":
              await advance(clock, s.seconds);
              break;
            case "toReady":
            case "toExpiry": {
              // Mostly the key of a recovery at its threshold (toReady) or of any live one (toExpiry).
              const recovery = model.live(
                chooseKey({ follow: true, candidate: s.candidate }, s.op === "toReady").address,
                clock.now,
              );
              let when = 0n;
              if (recovery !== undefined) {
                when = s.op === "toReady" ? recovery.readyAt : GuardianModel.expiry(recovery);
              }
              await (when === 0n ? advance(clock, 1) : jumpTo(clock, when + s.offset));
              break;
            }
            case "toEffective": {
              const effectiveAt = model.change?.effectiveAt ?? 0n;
              await (effectiveAt === 0n ? advance(clock, 1) : jumpTo(clock, effectiveAt + s.offset));
              break;
            }
          }

          // Invariants.
          const { set, change } = model;
          expect(await registry.guardiansOf(patientId), `guardians after ${s.op}`).to.deep.equal([
            set.ids,
            BigInt(set.threshold),
            BigInt(set.delay),
          ]);
          expect(await registry.pendingGuardianChange(patientId), `change after ${s.op}`).to.deep.equal(
            change === undefined
              ? [[], 0n, 0n, 0n, 0n]
              : [
                  change.ids,
                  BigInt(change.threshold),
                  BigInt(change.delay),
                  change.effectiveAt,
                  BigInt(change.vetoCount),
                ],
          );
          for (const key of candidates) {
            const live = model.live(key.address, clock.now);
            expect(await registry.recoveryOf(patientId, key.address), `recovery after ${s.op}`).to.deep.equal(
              live === undefined
                ? [0n, 0n, 0n, 0n]
                : [BigInt(live.approvers.size), live.readyAt, GuardianModel.expiry(live), BigInt(live.objectionCount)],
            );
          }
          const onChain = await registry.participant(patientId);
          expect(onChain.controller).to.equal(model.controller);
          expect(onChain.keyEpoch).to.equal(BigInt(model.keyEpoch));
          for (const key of keys.keys()) {
            expect(await registry.idOf(key)).to.equal(key === model.controller ? patientId : 0n);
            if (model.retired.has(key)) {
              expect(await registry.accountStanding(key, clock.now), "a retired key").to.deep.equal([
                0n,
                0n,
                0n,
                false,
              ]);
            }
          }
          for (const guardian of guardianIds) {
            expect(await registry.isActive(guardian), `guardian ${guardian} after ${s.op}`).to.equal(
              model.active(guardian, clock.now),
            );
          }
        }
      }

      // Invariants, checked after every step:
      // - guardiansOf(patient) is the installed set: the first set at once, every later one only through
      //   confirmGuardianChange at or after its effectiveAt (the previous set's delay after it was asked for), and only
      //   while every guardian it names is active;
      // - pendingGuardianChange(patient) is the waiting change with the number of distinct current guardians who
      //   vetoed it and were active at the last veto, or zeros: a change is gone once confirmed, cancelled by the
      //   patient's key, replaced, vetoed by more than half of the current guardians active at the time of the veto
      //   (counting only the vetoes of guardians active then), or dropped by an executed recovery;
      // - recoveryOf(patient, key) shows, for every candidate key, the live recovery to that key: the number of
      //   distinct current guardians approving it (active or not), readyAt = (time the approvals of guardians active
      //   then first reached the threshold) + delay, or 0 until then or once withdrawals bring the active approvals
      //   below it, its expiry, and the number of parties (the patient's key, whichever key she holds, and guardians
      //   active at the time) counted at the last objection; zeros once objections reached ⌈(active guardians + 1) / 2⌉, or it
      //   lapsed, executed, emptied by withdrawals, or ended by a confirmed guardian change or another recovery's
      //   execution;
      // - the patient's controller, key epoch and every candidate's binding are the model's: only an executed recovery
      //   (sent by its own new key, approved by a threshold of guardians active at execution) or a rotation changes the
      //   key; the old key is retired at once and reads (NONE, None, NONE, false) for good;
      // - each candidate guardian is active exactly when the model says (suspensions, the hospital's credential).
      // Per step: each operation succeeds or reverts exactly as the model predicts; in particular the patient's key
      // alone cancels nothing while two or more guardians are active, a rotation of the patient's key leaves every
      // recovery (and the key's objections) live, and an execution emits GuardianChangeCancelled exactly when it drops
      // a waiting change.
      it("follows the model of guardian changes and per-key recoveries", async function () {
        this.timeout(300_000);
        await fc.assert(
          fc.asyncProperty(
            preamble,
            fc.array(step, { minLength: 4, maxLength: MAX_RECOVERY_STEPS, size: "max" }),
            replay,
          ),
          MANY_RUNS,
        );
      });

      // The same invariants, on sequences focused on approvals by guardians suspended and reinstated since, on
      // objections as the number of active guardians changes, and on executions over a waiting guardian change.
      it("executes only with a threshold of active approvers, and cancels at a quorum of active parties", async function () {
        this.timeout(300_000);
        await fc.assert(fc.asyncProperty(focusedPreamble, focusedSteps, replay), FOCUSED_RUNS);
      });
    });
  });
});
