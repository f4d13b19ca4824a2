import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import fc from "fast-check";

import { commit, ControllerChange, ParticipantKind, ParticipantStatus } from "../../sdk";
import {
  DAY,
  GUARDIAN_THRESHOLD,
  identityFixture,
  RECOVERY_DELAY,
  STATUS_AFTER as TARGET,
  type StatusOperation as Operation,
} from "../fixtures/identity";
import { type Clock, type Expected, pinNext, settle } from "../helpers/model";

// Property-based tests of the registry's state machines against small TypeScript models. Each run starts from the
// identity fixture's snapshot (loadFixture reverts to it), replays a random sequence of at most 12 operations, and
// after every operation checks that (1) the operation succeeded or reverted exactly as the model predicts, with the
// predicted event or custom error and arguments, and (2) the invariants stated above each property hold.
//
// Every transaction is mined at a pinned timestamp (one second after the latest block) so that the model knows the
// exact `block.timestamp` of each operation, deadlines and delays included. Extra "time travel" steps land exactly
// one second before, at or after a deadline, readyAt or expiry, where the predicates flip.
//
// Durations are drawn without fast-check's bias towards small values: seconds-long windows would make nearly every
// proposal expire before anyone could accept it.

/** Few enough runs that the file stays well under a minute; the cheaper models get more. */
const RUNS = { numRuns: 30 } as const;
const MORE_RUNS = { numRuns: 60 } as const;
/** A recovery needs several steps in the right order (approvals, the delay, execution): more runs find more. */
const MANY_RUNS = { numRuns: 150 } as const;
const MAX_STEPS = 12;
const MAX_ROTATION_WINDOW = 30 * DAY;

/** What the model predicts for one transaction: an event with its arguments, or a custom error with its arguments. */

async function advance(clock: Clock, seconds: number): Promise<void> {
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

function at<T>(list: readonly T[], index: number): T {
  const item = list[index % list.length];
  if (item === undefined) throw new Error("empty list");
  return item;
}

describe("IdentityRegistry", function () {
  describe("properties", function () {
    // -----------------------------------------------------------------------------------------------------------------
    // Key rotation: proposeControllerRotation, acceptControllerRotation, cancelControllerRotation, registerPatient
    // -----------------------------------------------------------------------------------------------------------------

    describe("proposeControllerRotation, acceptControllerRotation, cancelControllerRotation", function () {
      interface Marker {
        id: bigint;
        deadline: bigint;
        epoch: number;
      }

      /** The model: who controls which id, each id's key epoch, and every rotation marker ever written. */
      class BindingModel {
        readonly controllers = new Map<bigint, string>();
        readonly epochs = new Map<bigint, number>();
        readonly bound = new Map<string, bigint>();
        readonly markers = new Map<string, Marker>();
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

        /** A marker is live while its id's epoch is the one it was made in and its deadline has not passed. */
        liveMarker(account: string, now: bigint): Marker | undefined {
          if (this.bound.has(account)) return undefined;
          const marker = this.markers.get(account);
          if (marker === undefined) return undefined;
          return marker.epoch === this.epochOf(marker.id) && now <= marker.deadline ? marker : undefined;
        }

        isUsable(account: string, now: bigint): boolean {
          return !this.bound.has(account) && this.liveMarker(account, now) === undefined;
        }

        ids(): bigint[] {
          return [...this.controllers.keys()];
        }
      }

      type Caller = { controller: true } | { key: number };
      type Step =
        | { op: "register"; key: number }
        | { op: "propose"; caller: Caller; id: number; target: number; window: number }
        | { op: "accept"; marked: boolean; key: number; id: number; sameId: boolean }
        | { op: "cancel"; caller: Caller; id: number }
        | { op: "advance"; seconds: number }
        | { op: "toDeadline"; key: number; offset: bigint };

      const index = fc.nat({ max: 1000 });
      /** An index into the key pool, which lists the unbound spare keys first: mostly a spare key, sometimes any. */
      const keyIndex = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 7 }) }, { weight: 1, arbitrary: index });
      const caller: fc.Arbitrary<Caller> = fc.oneof(
        { weight: 4, arbitrary: fc.constant({ controller: true as const }) },
        { weight: 1, arbitrary: index.map((key) => ({ key })) },
      );
      const window = fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 6, arbitrary: fc.noBias(fc.integer({ min: 1, max: 3 * DAY })) },
        { weight: 1, arbitrary: fc.constant(MAX_ROTATION_WINDOW) },
        { weight: 1, arbitrary: fc.constant(MAX_ROTATION_WINDOW + 1) },
      );
      const step: fc.Arbitrary<Step> = fc.oneof(
        { weight: 1, arbitrary: fc.record({ op: fc.constant("register" as const), key: keyIndex }) },
        {
          weight: 4,
          arbitrary: fc.record({ op: fc.constant("propose" as const), caller, id: index, target: keyIndex, window }),
        },
        {
          weight: 4,
          arbitrary: fc.record({
            op: fc.constant("accept" as const),
            marked: mostly,
            key: index,
            id: index,
            sameId: mostly,
          }),
        },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("cancel" as const), caller, id: index }) },
        {
          weight: 2,
          arbitrary: fc.record({
            op: fc.constant("advance" as const),
            seconds: fc.oneof(
              { weight: 3, arbitrary: fc.noBias(fc.integer({ min: 1, max: DAY })) },
              { weight: 1, arbitrary: fc.constant(MAX_ROTATION_WINDOW) },
            ),
          }),
        },
        // Time travel to one second before, at or after some proposal's deadline, where liveness flips.
        { weight: 1, arbitrary: fc.record({ op: fc.constant("toDeadline" as const), key: index, offset }) },
      );

      // Invariants, checked after every step:
      // - every id's controller is bound to exactly that id: participant(id).controller is the model's controller,
      //   idOf(controller) is the id, and the key epoch is the model's;
      // - no address controls two ids: idOf(key) of every key in the pool is the one id the model binds it to, or 0;
      // - pendingRotationOf(key) reports a marker exactly when it is live (made in the id's current epoch, deadline
      //   not passed, key not bound since), with the proposal's id and deadline, and (0, 0) otherwise.
      // Per step: a proposal succeeds only from the current controller with a usable target and an in-range deadline;
      // an acceptance succeeds only for a live marker of that id, ends every other proposal of the id, and from then
      // on the old key is refused (IdentityNotController) and unbound; everything else reverts with the exact error.
      it("keeps every key bound to at most one id and accepts only live proposals", async function () {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
            const f = await loadFixture(identityFixture);
            const { registry } = f;
            const pool: HardhatEthersSigner[] = [
              ...f.spareKeys,
              f.patientKey,
              ...f.guardianKeys,
              f.hospitalKey,
              f.cardiologistKey,
            ];
            // A step's caller: the id's current controller, or a key from the pool.
            const callerFor = (caller: Caller, controller: string) =>
              "controller" in caller
                ? (pool.find((k) => k.address === controller) ?? at(pool, 0))
                : at(pool, caller.key);
            const model = new BindingModel();
            for (const id of [f.hospitalId, f.cardiologistId, f.patientId, ...f.guardianIds]) {
              model.add(id, (await registry.participant(id)).controller);
            }
            const clock: Clock = { now: BigInt(await time.latest()) };

            for (const s of steps) {
              const ids = model.ids();
              switch (s.op) {
                case "register": {
                  const key = at(pool, s.key);
                  const t = await pinNext(clock);
                  let expected: Expected;
                  if (model.isUsable(key.address, t)) {
                    const id = model.lastId + 1n;
                    model.markers.delete(key.address);
                    model.add(id, key.address);
                    expected = { event: "ParticipantRegistered", args: [id, ParticipantKind.Patient, key.address] };
                  } else {
                    expected = { error: "IdentityAccountAlreadyBound", args: [key.address] };
                  }
                  await settle(registry, clock, registry.connect(key).registerPatient(), expected);
                  break;
                }
                case "propose": {
                  const id = at(ids, s.id);
                  const controller = model.controllerOf(id);
                  const from = callerFor(s.caller, controller);
                  const target = at(pool, s.target);
                  const t = await pinNext(clock);
                  const deadline = t + BigInt(s.window);
                  const latest = t + BigInt(MAX_ROTATION_WINDOW);
                  let expected: Expected;
                  if (from.address !== controller) {
                    expected = { error: "IdentityNotController", args: [id, from.address] };
                  } else if (!model.isUsable(target.address, t)) {
                    expected = { error: "IdentityAccountAlreadyBound", args: [target.address] };
                  } else if (deadline <= t || deadline > latest) {
                    expected = { error: "IdentityRotationDeadlineOutOfRange", args: [deadline, latest] };
                  } else {
                    model.markers.set(target.address, { id, deadline, epoch: model.epochOf(id) });
                    expected = { event: "ControllerRotationProposed", args: [id, target.address, deadline] };
                  }
                  await settle(
                    registry,
                    clock,
                    registry.connect(from).proposeControllerRotation(id, target.address, deadline),
                    expected,
                  );
                  break;
                }
                case "accept": {
                  const markedKeys = pool.filter((k) => model.markers.has(k.address));
                  const key = s.marked && markedKeys.length > 0 ? at(markedKeys, s.key) : at(pool, s.key);
                  const marker = model.markers.get(key.address);
                  const id = s.sameId && marker !== undefined ? marker.id : at(ids, s.id);
                  const t = await pinNext(clock);
                  const live = model.liveMarker(key.address, t);
                  let expected: Expected;
                  let previous: string | undefined;
                  if (live !== undefined && live.id === id) {
                    previous = model.controllerOf(id);
                    model.bound.delete(previous);
                    model.bound.set(key.address, id);
                    model.controllers.set(id, key.address);
                    model.epochs.set(id, model.epochOf(id) + 1);
                    model.markers.delete(key.address);
                    expected = {
                      event: "ControllerChanged",
                      args: [id, previous, key.address, ControllerChange.Rotation],
                    };
                  } else {
                    expected = { error: "IdentityNoPendingRotation", args: [id, key.address] };
                  }
                  await settle(registry, clock, registry.connect(key).acceptControllerRotation(id), expected);
                  if (previous !== undefined) {
                    // The old key stopped working in the same transaction.
                    const old = pool.find((k) => k.address === previous);
                    if (old !== undefined) {
                      await expect(registry.connect(old).cancelControllerRotation.staticCall(id))
                        .to.be.revertedWithCustomError(registry, "IdentityNotController")
                        .withArgs(id, old.address);
                    }
                  }
                  break;
                }
                case "cancel": {
                  const id = at(ids, s.id);
                  const controller = model.controllerOf(id);
                  const from = callerFor(s.caller, controller);
                  await pinNext(clock);
                  let expected: Expected;
                  if (from.address === controller) {
                    model.epochs.set(id, model.epochOf(id) + 1);
                    expected = { event: "ControllerRotationCancelled", args: [id] };
                  } else {
                    expected = { error: "IdentityNotController", args: [id, from.address] };
                  }
                  await settle(registry, clock, registry.connect(from).cancelControllerRotation(id), expected);
                  break;
                }
                case "advance":
                  await advance(clock, s.seconds);
                  break;
                case "toDeadline": {
                  const marked = [...model.markers.values()];
                  await (marked.length === 0
                    ? advance(clock, 1)
                    : jumpTo(clock, at(marked, s.key).deadline + s.offset));
                  break;
                }
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
                expect(await registry.idOf(key.address)).to.equal(model.bound.get(key.address) ?? 0n);
                const live = model.liveMarker(key.address, clock.now);
                expect(await registry.pendingRotationOf(key.address)).to.deep.equal(
                  live === undefined ? [0n, 0n] : [live.id, live.deadline],
                );
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
    // Guardian recovery: approveRecovery, executeRecovery, cancelRecovery, setGuardians (and rotations meanwhile)
    // -----------------------------------------------------------------------------------------------------------------

    describe("approveRecovery, executeRecovery, cancelRecovery, setGuardians", function () {
      interface Recovery {
        newKey: string;
        approvers: Set<number>;
        readyAt: bigint;
        epoch: number;
      }

      type Step =
        | { op: "approve"; guardian: number; candidate: number; follow: boolean; fresh: boolean }
        | { op: "execute" }
        | { op: "cancelRecovery" }
        | { op: "propose"; candidate: number; window: number }
        | { op: "accept"; candidate: number }
        | { op: "cancelRotation" }
        | { op: "setGuardians"; threshold: number; delay: number }
        | { op: "advance"; seconds: number }
        | { op: "toReady"; offset: bigint };

      const candidate = fc.nat({ max: 3 });
      const step: fc.Arbitrary<Step> = fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            op: fc.constant("approve" as const),
            guardian: fc.nat({ max: 2 }),
            candidate,
            // Mostly follow the key of the live recovery, if any, so that recoveries reach their threshold.
            follow: mostly,
            // Mostly a guardian who has not approved the live recovery yet, so that thresholds are reached.
            fresh: mostly,
          }),
        },
        { weight: 4, arbitrary: fc.record({ op: fc.constant("execute" as const) }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("cancelRecovery" as const) }) },
        {
          weight: 1,
          arbitrary: fc.record({
            op: fc.constant("propose" as const),
            candidate,
            window: fc.noBias(fc.integer({ min: 1, max: 3 * DAY })),
          }),
        },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("accept" as const), candidate }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant("cancelRotation" as const) }) },
        {
          weight: 1,
          arbitrary: fc.record({
            op: fc.constant("setGuardians" as const),
            threshold: fc.integer({ min: 1, max: 3 }),
            delay: fc.constantFrom(DAY, DAY + 3600, RECOVERY_DELAY),
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            op: fc.constant("advance" as const),
            seconds: fc.noBias(fc.integer({ min: 1, max: 3 * DAY })),
          }),
        },
        // Time travel to one second before, at or after the live recovery's readyAt, where execution opens.
        { weight: 3, arbitrary: fc.record({ op: fc.constant("toReady" as const), offset }) },
      );

      // Invariants, checked after every step:
      // - pendingRecoveryOf(patient) shows a recovery exactly while it is live (opened in the patient's current key
      //   epoch and neither cancelled, executed nor dropped by setGuardians), with its key, the number of distinct
      //   guardians who approved it, and readyAt = (time the threshold was reached) + delay, or 0 before that;
      // - the patient's controller, key epoch and idOf bindings are the model's: only an accepted rotation or an
      //   executed recovery changes the key, and the old key is unbound at once;
      // Per step: each guardian approves a recovery once; a guardian naming another key while one is live is refused
      // (IdentityRecoveryConflict); a recovery executes only when live, at or after a non-zero readyAt, and while its
      // key is still usable (not bound, not a live rotation target); a proposal leaves the recovery alone, while a key
      // change or cancelControllerRotation kills it.
      it("executes a recovery only when live, at threshold and after the delay", async function () {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
            const f = await loadFixture(identityFixture);
            const { registry, patientId, guardianIds, guardianKeys } = f;
            const candidates = f.spareKeys.slice(0, 4);
            const stranger = f.spareKeys[4] ?? f.registrar;
            const keys = new Map<string, HardhatEthersSigner>([f.patientKey, ...candidates].map((k) => [k.address, k]));
            let controller = f.patientKey.address;
            let epoch = 0;
            let threshold = GUARDIAN_THRESHOLD;
            let delay = RECOVERY_DELAY;
            let recovery: Recovery | undefined;
            const markers = new Map<string, { deadline: bigint; epoch: number }>();
            const clock: Clock = { now: BigInt(await time.latest()) };

            const liveRecovery = (): Recovery | undefined => (recovery?.epoch === epoch ? recovery : undefined);
            const liveMarker = (account: string, now: bigint) => {
              const marker = markers.get(account);
              return marker !== undefined && marker.epoch === epoch && now <= marker.deadline && account !== controller
                ? marker
                : undefined;
            };
            // Candidates can only ever be bound to the patient's id, so "bound" means "is the controller".
            const usable = (account: string, now: bigint) =>
              account !== controller && liveMarker(account, now) === undefined;
            const changeController = (to: string) => {
              controller = to;
              epoch += 1;
              markers.delete(to);
            };
            const controllerKey = () => {
              const key = keys.get(controller);
              if (key === undefined) throw new Error("the model lost the controller's signer");
              return key;
            };

            for (const s of steps) {
              switch (s.op) {
                case "approve": {
                  const live = liveRecovery();
                  const newKey = s.follow && live !== undefined ? live.newKey : at(candidates, s.candidate).address;
                  const waiting = [0, 1, 2].filter((g) => live?.approvers.has(g) !== true);
                  const guardian = s.fresh && waiting.length > 0 ? at(waiting, s.guardian) : s.guardian;
                  const t = await pinNext(clock);
                  let expected: Expected;
                  if (live === undefined && !usable(newKey, t)) {
                    expected = { error: "IdentityAccountAlreadyBound", args: [newKey] };
                  } else if (live !== undefined && live.newKey !== newKey) {
                    expected = { error: "IdentityRecoveryConflict", args: [patientId, live.newKey] };
                  } else if (live?.approvers.has(guardian) === true) {
                    expected = {
                      error: "IdentityRecoveryAlreadyApproved",
                      args: [patientId, at(guardianIds, guardian)],
                    };
                  } else {
                    const next = live ?? { newKey, approvers: new Set<number>(), readyAt: 0n, epoch };
                    next.approvers.add(guardian);
                    if (next.approvers.size === threshold) next.readyAt = t + BigInt(delay);
                    recovery = next;
                    expected = {
                      event: "RecoveryApproved",
                      args: [patientId, at(guardianIds, guardian), newKey, next.approvers.size, next.readyAt],
                    };
                  }
                  await settle(
                    registry,
                    clock,
                    registry.connect(at(guardianKeys, guardian)).approveRecovery(patientId, newKey),
                    expected,
                  );
                  break;
                }
                case "execute": {
                  const t = await pinNext(clock);
                  const live = liveRecovery();
                  let expected: Expected;
                  if (live === undefined) {
                    expected = { error: "IdentityNoPendingRecovery", args: [patientId] };
                  } else if (live.readyAt === 0n || t < live.readyAt) {
                    expected = { error: "IdentityRecoveryNotReady", args: [patientId, live.readyAt] };
                  } else if (!usable(live.newKey, t)) {
                    expected = { error: "IdentityAccountAlreadyBound", args: [live.newKey] };
                  } else {
                    expected = {
                      event: "ControllerChanged",
                      args: [patientId, controller, live.newKey, ControllerChange.GuardianRecovery],
                    };
                    changeController(live.newKey);
                    recovery = undefined;
                  }
                  await settle(registry, clock, registry.connect(stranger).executeRecovery(patientId), expected);
                  break;
                }
                case "cancelRecovery": {
                  await pinNext(clock);
                  let expected: Expected;
                  if (liveRecovery() === undefined) {
                    expected = { error: "IdentityNoPendingRecovery", args: [patientId] };
                  } else {
                    recovery = undefined;
                    expected = { event: "RecoveryCancelled", args: [patientId] };
                  }
                  await settle(registry, clock, registry.connect(controllerKey()).cancelRecovery(patientId), expected);
                  break;
                }
                case "propose": {
                  const target = at(candidates, s.candidate).address;
                  const t = await pinNext(clock);
                  const deadline = t + BigInt(s.window);
                  let expected: Expected;
                  if (!usable(target, t)) {
                    expected = { error: "IdentityAccountAlreadyBound", args: [target] };
                  } else {
                    markers.set(target, { deadline, epoch });
                    expected = { event: "ControllerRotationProposed", args: [patientId, target, deadline] };
                  }
                  await settle(
                    registry,
                    clock,
                    registry.connect(controllerKey()).proposeControllerRotation(patientId, target, deadline),
                    expected,
                  );
                  break;
                }
                case "accept": {
                  const key = at(candidates, s.candidate);
                  const t = await pinNext(clock);
                  let expected: Expected;
                  if (liveMarker(key.address, t) === undefined) {
                    expected = { error: "IdentityNoPendingRotation", args: [patientId, key.address] };
                  } else {
                    expected = {
                      event: "ControllerChanged",
                      args: [patientId, controller, key.address, ControllerChange.Rotation],
                    };
                    changeController(key.address);
                  }
                  await settle(registry, clock, registry.connect(key).acceptControllerRotation(patientId), expected);
                  break;
                }
                case "cancelRotation": {
                  await pinNext(clock);
                  epoch += 1;
                  await settle(registry, clock, registry.connect(controllerKey()).cancelControllerRotation(patientId), {
                    event: "ControllerRotationCancelled",
                    args: [patientId],
                  });
                  break;
                }
                case "setGuardians": {
                  await pinNext(clock);
                  threshold = s.threshold;
                  delay = s.delay;
                  recovery = undefined;
                  await settle(
                    registry,
                    clock,
                    registry.connect(controllerKey()).setGuardians(patientId, [...guardianIds], threshold, delay),
                    { event: "GuardiansSet", args: [patientId, [...guardianIds], threshold, delay] },
                  );
                  break;
                }
                case "advance":
                  await advance(clock, s.seconds);
                  break;
                case "toReady": {
                  const readyAt = liveRecovery()?.readyAt ?? 0n;
                  await (readyAt === 0n ? advance(clock, 1) : jumpTo(clock, readyAt + s.offset));
                  break;
                }
              }

              // Invariants.
              const live = liveRecovery();
              expect(await registry.pendingRecoveryOf(patientId)).to.deep.equal(
                live === undefined ? [ZeroAddress, 0n, 0n] : [live.newKey, BigInt(live.approvers.size), live.readyAt],
              );
              const onChain = await registry.participant(patientId);
              expect(onChain.controller).to.equal(controller);
              expect(onChain.keyEpoch).to.equal(BigInt(epoch));
              expect(await registry.idOf(controller)).to.equal(patientId);
              for (const key of keys.keys()) {
                expect(await registry.idOf(key)).to.equal(key === controller ? patientId : 0n);
              }
            }
          }),
          MANY_RUNS,
        );
      });
    });
  });
});
