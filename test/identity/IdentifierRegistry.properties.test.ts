import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroHash } from "ethers";
import fc from "fast-check";

import { commit, ControllerChange, identifierCommitment, ParticipantKind, ParticipantStatus } from "../../sdk";
import { identityFixture } from "../fixtures/identity";
import { scheduleAndExecute } from "../helpers/governance";
import { at, type Clock, type Expected, settle } from "../helpers/model";
import { runs } from "../helpers/runs";

// A property test of the identifier registry against a small, independent model of its attestations. Each run starts
// from the identity fixture's snapshot plus a pharmacy (a second issuer), replays a random sequence of attestations,
// acceptances and withdrawals by keys of every sort (institutions, patients, a practitioner, a stranger, retired keys),
// mixed with the registrar suspending and reinstating issuers and patients, the patient rotating her key, and the
// registry being paused and unpaused; after every step it compares every (issuer, commitment) pair with the model.

const RUNS = runs(40);
const MAX_STEPS = 15;
const REASON = 17;

type Step =
  | { op: "attest"; caller: number; subject: number; commitment: number; steer: boolean }
  | { op: "accept"; caller: number; patient: number; issuer: number; commitment: number; steer: boolean }
  | { op: "withdraw"; caller: number; issuer: number; commitment: number; steer: boolean }
  | { op: "suspend" | "reinstate"; subject: number }
  | { op: "rotatePatient" }
  | { op: "pause" | "unpause" };

const index = fc.nat({ max: 1000 });
/** True three times in four: steers a step towards the case that can succeed without excluding the others. */
const mostly = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("attest" as const),
      caller: index,
      subject: index,
      commitment: index,
      steer: mostly,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("accept" as const),
      caller: index,
      patient: index,
      issuer: index,
      commitment: index,
      steer: mostly,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("withdraw" as const),
      caller: index,
      issuer: index,
      commitment: index,
      steer: mostly,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constantFrom("suspend" as const, "reinstate" as const), subject: index }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("rotatePatient" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("pause" as const, "unpause" as const) }) },
);

/** A participant as the model sees it. */
interface Member {
  id: bigint;
  kind: ParticipantKind;
  status: ParticipantStatus;
}

/** An issuer's attestation of one commitment. */
interface Attestation {
  patient: bigint;
  bound: boolean;
}

/** The model: participants, which key controls which (a retired key controls none), attestations, the pause flag. */
class IdentifierModel {
  readonly members = new Map<bigint, Member>();
  readonly keys = new Map<string, bigint>();
  readonly attestations = new Map<string, Attestation>();
  paused = false;

  static slot(issuer: bigint, commitment: string): string {
    return `${issuer}:${commitment}`;
  }

  /** Every attestation as (issuer, commitment, attestation). */
  entries(): [bigint, string, Attestation][] {
    return [...this.attestations.entries()].map(([slot, attestation]) => {
      const [issuer, commitment] = slot.split(":");
      return [BigInt(issuer ?? "0"), commitment ?? ZeroHash, attestation];
    });
  }

  add(id: bigint, kind: ParticipantKind, key: string): void {
    this.members.set(id, { id, kind, status: ParticipantStatus.Active });
    this.keys.set(key, id);
  }

  /** The member `key` controls now, if any. */
  memberOf(key: string): Member | undefined {
    const id = this.keys.get(key);
    return id === undefined ? undefined : this.members.get(id);
  }

  static isInstitution(kind: ParticipantKind): boolean {
    return ![
      ParticipantKind.None,
      ParticipantKind.Patient,
      ParticipantKind.Practitioner,
      ParticipantKind.Device,
    ].includes(kind);
  }

  attestation(issuer: bigint, commitment: string): Attestation {
    return this.attestations.get(IdentifierModel.slot(issuer, commitment)) ?? { patient: 0n, bound: false };
  }

  attest(caller: string, subject: bigint, commitment: string): Expected {
    if (this.paused) return { error: "EnforcedPause", args: [] };
    const issuer = this.memberOf(caller);
    if (
      issuer === undefined ||
      issuer.status !== ParticipantStatus.Active ||
      !IdentifierModel.isInstitution(issuer.kind)
    ) {
      return { error: "IdentifierNotAnInstitution", args: [caller] };
    }
    if (this.members.get(subject)?.kind !== ParticipantKind.Patient) {
      return { error: "IdentifierNotAPatient", args: [subject] };
    }
    if (commitment === ZeroHash) return { error: "IdentifierZeroCommitment", args: [] };
    if (this.attestation(issuer.id, commitment).bound) {
      return { error: "IdentifierAlreadyBound", args: [issuer.id, commitment] };
    }
    this.attestations.set(IdentifierModel.slot(issuer.id, commitment), { patient: subject, bound: false });
    return { event: "IdentifierAttested", args: [issuer.id, subject, commitment] };
  }

  accept(caller: string, patient: bigint, issuer: bigint, commitment: string): Expected {
    if (this.paused) return { error: "EnforcedPause", args: [] };
    const member = this.memberOf(caller);
    if (
      member === undefined ||
      member.id !== patient ||
      member.kind !== ParticipantKind.Patient ||
      member.status !== ParticipantStatus.Active
    ) {
      return { error: "IdentifierNotPatientKey", args: [patient, caller] };
    }
    const attestation = this.attestation(issuer, commitment);
    if (attestation.bound || attestation.patient !== patient) {
      return { error: "IdentifierNoAttestation", args: [issuer, commitment, patient] };
    }
    attestation.bound = true;
    this.attestations.set(IdentifierModel.slot(issuer, commitment), attestation);
    return { event: "IdentifierBound", args: [patient, issuer, commitment] };
  }

  /** Works while paused: the issuer's key or the named patient's, active or not. */
  withdraw(caller: string, issuer: bigint, commitment: string): Expected {
    const { patient } = this.attestation(issuer, commitment);
    const member = this.memberOf(caller);
    if (patient === 0n || member === undefined || (member.id !== issuer && member.id !== patient)) {
      return { error: "IdentifierNotParty", args: [issuer, commitment, caller] };
    }
    this.attestations.delete(IdentifierModel.slot(issuer, commitment));
    return { event: "IdentifierWithdrawn", args: [issuer, commitment, patient] };
  }
}

describe("IdentifierRegistry", function () {
  describe("properties", function () {
    // Invariants, checked after every step for every issuer (the hospital, a pharmacy, and a practitioner, who can
    // never attest) and every commitment:
    // - attestation(issuer, commitment) is the model's (patient, accepted), and ownerOf is the patient exactly when
    //   she accepted: an identifier binds only to the patient the issuer named, by her own active key, and only while
    //   the registry is not paused;
    // - an attestation names only a patient, comes only from an active institution's current key, and is replaced
    //   only while unaccepted; the zero commitment is never attested;
    // - only the issuer's current key or the named patient's current key (active or not, paused or not) withdraws, and
    //   a withdrawal clears the pair entirely; a key the patient rotated away from is no party to anything.
    // Per step: each operation emits its event exactly when the model says it is valid, and otherwise reverts with the
    // model's custom error.
    it("binds an issuer's identifier only to the patient it named, with her consent", async function () {
      this.timeout(300_000);
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: MAX_STEPS, size: "max" }), async (steps) => {
          const f = await loadFixture(identityFixture);
          const { identifierRegistry: registry, identityRegistry, registrar } = f;
          const [pharmacyKey, stranger, ...spares] = f.spareKeys;
          if (pharmacyKey === undefined || stranger === undefined || spares.length < 2) {
            throw new Error("not enough spare keys");
          }
          const { id: pharmacyId } = await f.identity.as(registrar).registerWithKey(pharmacyKey, {
            kind: ParticipantKind.Pharmacy,
            credentialCommitment: commit("licence:pharmacy").commitment,
            credentialExpiry: f.credentialExpiry,
          });

          const model = new IdentifierModel();
          model.add(f.hospitalId, ParticipantKind.Organization, f.hospitalKey.address);
          model.add(pharmacyId, ParticipantKind.Pharmacy, pharmacyKey.address);
          model.add(f.cardiologistId, ParticipantKind.Practitioner, f.cardiologistKey.address);
          model.add(f.patientId, ParticipantKind.Patient, f.patientKey.address);
          model.add(f.guardianIds[0], ParticipantKind.Patient, f.guardianKeys[0].address);
          model.add(f.guardianIds[1], ParticipantKind.Patient, f.guardianKeys[1].address);

          const issuers = [f.hospitalId, pharmacyId, f.cardiologistId];
          const patients = [f.patientId, f.guardianIds[0], f.guardianIds[1]];
          const subjects = [...patients, f.hospitalId, f.cardiologistId];
          const statusSubjects = [f.hospitalId, pharmacyId, f.patientId, f.guardianIds[0]];
          const commitments = [
            identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-1").commitment,
            identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-2").commitment,
            identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-3").commitment,
          ];
          const anyCommitment = [...commitments, ZeroHash];
          // Every key that ever matters: current controllers, the patient's future keys, a stranger. The patient's
          // keys are appended as she rotates, so her retired keys stay in the pool.
          const pool: HardhatEthersSigner[] = [
            f.hospitalKey,
            pharmacyKey,
            f.cardiologistKey,
            f.patientKey,
            f.guardianKeys[0],
            f.guardianKeys[1],
            stranger,
          ];
          const freshPatientKeys = [...spares.slice(0, 2)];
          const keyOf = (id: bigint): HardhatEthersSigner => {
            const found = pool.filter((k) => model.keys.get(k.address) === id);
            return at(found.length > 0 ? found : pool, 0);
          };
          const clock: Clock = { now: BigInt(await time.latest()) };

          for (const s of steps) {
            switch (s.op) {
              case "attest": {
                const caller = s.steer ? keyOf(at(issuers.slice(0, 2), s.caller)) : at(pool, s.caller);
                const subject = s.steer ? at(patients, s.subject) : at(subjects, s.subject);
                const commitment = s.steer ? at(commitments, s.commitment) : at(anyCommitment, s.commitment);
                const expected = model.attest(caller.address, subject, commitment);
                await settle(registry, clock, registry.connect(caller).attest(subject, commitment), expected);
                break;
              }
              case "accept": {
                // Steered: an attested pair not yet accepted, accepted by the key of the patient it names.
                const open = model.entries().filter(([, , attestation]) => !attestation.bound);
                let [issuer, commitment, patient] = [
                  at(issuers, s.issuer),
                  at(anyCommitment, s.commitment),
                  at(patients, s.patient),
                ];
                if (s.steer && open.length > 0) {
                  let attestation: Attestation;
                  [issuer, commitment, attestation] = at(open, s.commitment);
                  patient = attestation.patient;
                }
                const caller = s.steer ? keyOf(patient) : at(pool, s.caller);
                const expected = model.accept(caller.address, patient, issuer, commitment);
                await settle(registry, clock, registry.connect(caller).accept(patient, issuer, commitment), expected);
                break;
              }
              case "withdraw": {
                // Steered: an attested pair, withdrawn by its issuer's key or its patient's.
                const attested = model.entries();
                let [issuer, commitment] = [at(issuers, s.issuer), at(anyCommitment, s.commitment)];
                if (s.steer && attested.length > 0) [issuer, commitment] = at(attested, s.commitment);
                const { patient } = model.attestation(issuer, commitment);
                const caller = s.steer ? keyOf(s.caller % 2 === 0 ? issuer : patient) : at(pool, s.caller);
                const expected = model.withdraw(caller.address, issuer, commitment);
                await settle(registry, clock, registry.connect(caller).withdraw(issuer, commitment), expected);
                break;
              }
              case "suspend":
              case "reinstate": {
                const member = model.members.get(at(statusSubjects, s.subject));
                if (member === undefined) throw new Error("model lost a member");
                const to = s.op === "suspend" ? ParticipantStatus.Suspended : ParticipantStatus.Active;
                let expected: Expected;
                if (member.status === to) {
                  expected = { error: "IdentityInvalidStatusTransition", args: [member.id, member.status, to] };
                } else {
                  expected = { event: "StatusChanged", args: [member.id, member.status, to, REASON] };
                  member.status = to;
                }
                await settle(
                  identityRegistry,
                  clock,
                  identityRegistry.connect(registrar)[s.op](member.id, REASON),
                  expected,
                );
                break;
              }
              case "rotatePatient": {
                const newKey = freshPatientKeys.shift();
                if (newKey === undefined) break;
                const oldKey = keyOf(f.patientId);
                const tx = f.identity.as(oldKey).rotateTo(f.patientId, newKey);
                await expect(tx)
                  .to.emit(identityRegistry, "ControllerChanged")
                  .withArgs(f.patientId, oldKey.address, newKey.address, ControllerChange.Rotation);
                model.keys.delete(oldKey.address);
                model.keys.set(newKey.address, f.patientId);
                pool.push(newKey);
                break;
              }
              case "pause": {
                const expected: Expected = model.paused
                  ? { error: "EnforcedPause", args: [] }
                  : { event: "Paused", args: [f.pauser.address] };
                model.paused = true;
                await settle(registry, clock, registry.connect(f.pauser).pause(), expected);
                break;
              }
              case "unpause": {
                // Unpausing a registry that is not paused is the AccessManager's and the pause tests' business.
                if (!model.paused) break;
                await scheduleAndExecute(
                  f.accessManager,
                  f.admin,
                  await registry.getAddress(),
                  registry.interface.encodeFunctionData("unpause"),
                );
                model.paused = false;
                break;
              }
            }

            // Invariants.
            expect(await registry.paused(), `paused after ${s.op}`).to.equal(model.paused);
            for (const issuer of issuers) {
              for (const commitment of commitments) {
                const { patient, bound } = model.attestation(issuer, commitment);
                const label = `${issuer}:${commitment.slice(0, 10)} after ${s.op}`;
                expect(await registry.attestation(issuer, commitment), label).to.deep.equal([patient, bound]);
                expect(await registry.ownerOf(issuer, commitment), label).to.equal(bound ? patient : 0n);
              }
            }
          }
        }),
        RUNS,
      );
    });
  });
});
