import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";

import {
  categorySet,
  commit,
  ControllerChange,
  DataCategory,
  DecisionBasis,
  identifierCommitment,
  type KeyConsent,
  ParticipantKind,
  Purpose,
  purposeSet,
  signControlTransfer,
  signRegistration,
} from "../../sdk";
import { consentFixture } from "../fixtures/consent";
import { DAY, GUARDIAN_THRESHOLD, type IdentityFixture, identityFixture, RECOVERY_DELAY } from "../fixtures/identity";

// The attacks and weaknesses reported in issue 11, each replayed against the production deployment (the fixtures
// deploy through the real deploy modules) to show that it now fails. Every test is named after the finding it answers.

const REASON = 17;
const LABS = categorySet(DataCategory.LaboratoryResults);
const TREATMENT = purposeSet(Purpose.Treatment);

function key(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

/** The fixture patient's first `GUARDIAN_THRESHOLD` guardians approve recovery to `newKey`; returns `readyAt`. */
async function reachThreshold(f: IdentityFixture, newKey: string): Promise<bigint> {
  for (let i = 0; i < GUARDIAN_THRESHOLD; i++) {
    await (await f.registry.connect(key(f.guardianKeys, i)).approveRecovery(f.patientId, newKey)).wait();
  }
  const [, readyAt] = await f.registry.recoveryOf(f.patientId, newKey);
  return readyAt;
}

/** `signer` signs "`newController` takes over `id`" at the id's current key epoch, valid for a day. */
async function transferSignedBy(
  f: IdentityFixture,
  signer: HardhatEthersSigner,
  id: bigint,
  newController: string,
): Promise<KeyConsent> {
  const deadline = (await latest()) + BigInt(DAY);
  const { keyEpoch } = await f.registry.participant(id);
  const signature = await signControlTransfer(signer, await f.identity.domain(), {
    id,
    newController,
    keyEpoch,
    deadline,
  });
  return { deadline, signature };
}

describe("Identity attacks (issue 11)", function () {
  describe("attack 1 (high): a guardian recovery cannot be blocked by anyone occupying the new key", function () {
    it("lets K execute the recovery its guardians approved, whatever an attacker tries with K's address", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey } = f;
      const k = key(f.spareKeys, 0);
      const [attacker, sybil1, sybil2] = [key(f.spareKeys, 1), key(f.spareKeys, 2), key(f.spareKeys, 3)];
      const readyAt = await reachThreshold(f, k.address);

      // The attacker registers himself, then tries to move his own id onto K without K's signature: with his own
      // signature, with none, and with a consent K once gave for something else (the patient's own id).
      const attackerId = (await f.identity.as(attacker).registerPatient()).id;
      const forged = [
        await transferSignedBy(f, attacker, attackerId, k.address),
        { deadline: (await latest()) + BigInt(DAY), signature: "0x" },
        await transferSignedBy(f, k, patientId, k.address),
      ];
      for (const consent of forged) {
        await expect(
          registry.connect(attacker).rotateController(attackerId, k.address, consent.deadline, consent.signature),
        )
          .to.be.revertedWithCustomError(registry, "IdentityInvalidKeySignature")
          .withArgs(k.address);
      }

      // A registrar (colluding or fooled) cannot register K either without K's own consent.
      const deadline = (await latest()) + BigInt(DAY);
      const registration = await signRegistration(attacker, await f.identity.domain(), {
        kind: BigInt(ParticipantKind.Organization),
        controller: k.address,
        affiliation: 0n,
        deadline,
      });
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(
            ParticipantKind.Organization,
            k.address,
            commit("accreditation:front").commitment,
            f.credentialExpiry,
            0,
            deadline,
            registration,
          ),
      )
        .to.be.revertedWithCustomError(registry, "IdentityInvalidKeySignature")
        .withArgs(k.address);

      // Guardians of his own naming him approving K for his own id reserve nothing either: only K could execute it.
      const sybilIds = [
        (await f.identity.as(sybil1).registerPatient()).id,
        (await f.identity.as(sybil2).registerPatient()).id,
      ];
      await (await registry.connect(attacker).setGuardians(attackerId, sybilIds, 2, DAY)).wait();
      await (await registry.connect(sybil1).approveRecovery(attackerId, k.address)).wait();
      await (await registry.connect(sybil2).approveRecovery(attackerId, k.address)).wait();
      // Nor can he approve or execute the patient's recovery himself.
      await expect(registry.connect(attacker).approveRecovery(patientId, attacker.address))
        .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
        .withArgs(patientId, attacker.address);
      await time.increaseTo(readyAt);
      await expect(registry.connect(attacker).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId, attacker.address);

      // K is still bound to nothing, and K executes the patient's recovery.
      expect(await registry.idOf(k.address)).to.equal(0n);
      expect(await registry.accountStanding(k.address, await latest())).to.deep.equal([0n, 0n, 0n, false]);
      await expect(registry.connect(k).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, k.address, ControllerChange.GuardianRecovery);
      expect(await registry.idOf(k.address)).to.equal(patientId);
      expect(await registry.idOf(patientKey.address)).to.equal(0n);
      // The stolen key is retired: it can never bind again, not even as the attacker's.
      await expect(registry.connect(patientKey).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
    });

    it("lets the guardians restart at once to another key when K became unusable (K registered itself)", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys, guardianIds } = f;
      const [k, k2] = [key(f.spareKeys, 0), key(f.spareKeys, 1)];
      await reachThreshold(f, k.address);
      // K registers as a patient of its own (its own transaction: the only way K gets bound without signing a consent).
      await (await registry.connect(k).registerPatient()).wait();
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, k.address))
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(k.address);
      // No need to wait for K's recovery to lapse or to be cancelled: another key has its own recovery.
      const now = (await latest()) + 1n;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, k2.address)).wait();
      await time.setNextBlockTimestamp(now + 1n);
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, k2.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], k2.address, 2, now + 1n + BigInt(RECOVERY_DELAY));
      await time.increaseTo(now + 1n + BigInt(RECOVERY_DELAY));
      await expect(registry.connect(k).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(k.address);
      await expect(registry.connect(k2).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, k2.address, ControllerChange.GuardianRecovery);
      // Executing one recovery ended the other.
      expect(await registry.recoveryOf(patientId, k.address)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("does not let a stolen patient key cancel a recovery alone, before or after rotating", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey } = f;
      const [k, thiefKey] = [key(f.spareKeys, 0), key(f.spareKeys, 1)];
      const readyAt = await reachThreshold(f, k.address);
      // Three guardians: cancelling takes two objections; the key's is one, and it counts once.
      await expect(registry.connect(patientKey).cancelRecovery(patientId, k.address))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, k.address, patientKey.address, 1)
        .and.not.to.emit(registry, "RecoveryCancelled");
      // The thief moves the id to a key of his own: the recovery is untouched, and the new key is the same party.
      await f.identity.as(patientKey).rotateTo(patientId, thiefKey);
      await expect(registry.connect(thiefKey).cancelRecovery(patientId, k.address))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyObjected")
        .withArgs(patientId, thiefKey.address);
      await expect(registry.connect(patientKey).cancelRecovery(patientId, k.address))
        .to.be.revertedWithCustomError(registry, "IdentityNotRecoveryParty")
        .withArgs(patientId, patientKey.address);
      // Asking to drop the guardians only schedules a change, which takes effect no earlier than K's recovery...
      await (await registry.connect(thiefKey).setGuardians(patientId, [], 0, 0)).wait();
      const [, , , effectiveAt] = await registry.pendingGuardianChange(patientId);
      expect(effectiveAt).to.be.greaterThanOrEqual(readyAt);
      // ...and K's recovery drops it.
      await time.increaseTo(readyAt);
      await expect(registry.connect(k).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, thiefKey.address, k.address, ControllerChange.GuardianRecovery)
        .and.to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, false);
      expect((await registry.pendingGuardianChange(patientId))[3]).to.equal(0n);
    });
  });

  describe("attack 10 (low): no one can bind a patient's identifier commitment first", function () {
    it("keeps a stranger's attestation of the same commitment in the stranger's own namespace", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, patientId, patientKey, hospitalId, hospitalKey } = f;
      const [attackerKey, squatterKey] = [key(f.spareKeys, 0), key(f.spareKeys, 1)];
      const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217").commitment;
      // A patient cannot attest anything; an institution of the attacker's can, but only in its own name.
      const attackerId = (await f.identity.as(attackerKey).registerPatient()).id;
      await expect(identifierRegistry.connect(attackerKey).attest(attackerId, mrn))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotAnInstitution")
        .withArgs(attackerKey.address);
      const { id: squatter } = await f.identity.as(f.registrar).registerWithKey(squatterKey, {
        kind: ParticipantKind.Pharmacy,
        credentialCommitment: commit("licence:pharmacy").commitment,
        credentialExpiry: f.credentialExpiry,
      });
      await (await identifierRegistry.connect(squatterKey).attest(attackerId, mrn)).wait();
      await (await identifierRegistry.connect(attackerKey).accept(attackerId, squatter, mrn)).wait();
      expect(await identifierRegistry.ownerOf(squatter, mrn)).to.equal(attackerId);
      // The squatting came first, and still the hospital's identifier binds to its patient.
      await expect(identifierRegistry.connect(hospitalKey).attest(patientId, mrn))
        .to.emit(identifierRegistry, "IdentifierAttested")
        .withArgs(hospitalId, patientId, mrn);
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, mrn))
        .to.emit(identifierRegistry, "IdentifierBound")
        .withArgs(patientId, hospitalId, mrn);
      expect(await identifierRegistry.ownerOf(hospitalId, mrn)).to.equal(patientId);
    });

    it("answers the issuer's lookup with the right patient, and nobody can rebind it", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, patientId, patientKey, hospitalId, hospitalKey, guardianIds } = f;
      const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217").commitment;
      await (await identifierRegistry.connect(hospitalKey).attest(patientId, mrn)).wait();
      await (await identifierRegistry.connect(patientKey).accept(patientId, hospitalId, mrn)).wait();
      expect(await identifierRegistry.ownerOf(hospitalId, mrn)).to.equal(patientId);
      expect(await identifierRegistry.attestation(hospitalId, mrn)).to.deep.equal([patientId, true]);
      // Not even the issuer can point a bound identifier at someone else without withdrawing it first.
      await expect(identifierRegistry.connect(hospitalKey).attest(guardianIds[0], mrn))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierAlreadyBound")
        .withArgs(hospitalId, mrn);
    });

    it("does not let a patient bind, or withdraw, an attestation naming someone else", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, patientId, hospitalId, hospitalKey } = f;
      const attackerKey = key(f.spareKeys, 0);
      const attackerId = (await f.identity.as(attackerKey).registerPatient()).id;
      const mrn = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-004217").commitment;
      await (await identifierRegistry.connect(hospitalKey).attest(patientId, mrn)).wait();
      await expect(identifierRegistry.connect(attackerKey).accept(attackerId, hospitalId, mrn))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNoAttestation")
        .withArgs(hospitalId, mrn, attackerId);
      // Nor accept it in the patient's name.
      await expect(identifierRegistry.connect(attackerKey).accept(patientId, hospitalId, mrn))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotPatientKey")
        .withArgs(patientId, attackerKey.address);
      await expect(identifierRegistry.connect(attackerKey).withdraw(hospitalId, mrn))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotParty")
        .withArgs(hospitalId, mrn, attackerKey.address);
      expect(await identifierRegistry.attestation(hospitalId, mrn)).to.deep.equal([patientId, false]);
    });
  });

  describe("attack 11 (low): a suspended patient's representative cannot act for her", function () {
    it("reports no representative for a suspended or revoked patient", async function () {
      const f = await loadFixture(consentFixture);
      const { identityRegistry, registrar, patientId, representativeId } = f;
      expect(await identityRegistry.isRepresentative(patientId, representativeId)).to.equal(true);
      await (await identityRegistry.connect(registrar).suspend(patientId, REASON)).wait();
      expect(await identityRegistry.isRepresentative(patientId, representativeId), "suspended").to.equal(false);
      await (await identityRegistry.connect(registrar).revoke(patientId, REASON)).wait();
      expect(await identityRegistry.isRepresentative(patientId, representativeId), "revoked").to.equal(false);
    });

    it("refuses the representative's consent grant for the suspended patient", async function () {
      const f = await loadFixture(consentFixture);
      const { consent, consentRegistry, identityRegistry, registrar, patientId, representativeKey, representativeId } =
        f;
      const terms = {
        patient: patientId,
        grantee: f.cardiologistId,
        categories: LABS,
        purposes: TREATMENT,
        validUntil: (await latest()) + 30n * BigInt(DAY),
      };
      // Before: the representative grants for her.
      const { receipt } = await consent.as(representativeKey).grant(terms);
      await expect(receipt).to.emit(consentRegistry, "ConsentGranted");
      // Suspended (say, after a reported identity theft): nobody acts for her through the representation.
      await (await identityRegistry.connect(registrar).suspend(patientId, REASON)).wait();
      const grant = () =>
        consentRegistry
          .connect(representativeKey)
          .grant(terms.patient, terms.grantee, terms.categories, terms.purposes, 0, terms.validUntil);
      await expect(grant())
        .to.be.revertedWithCustomError(consentRegistry, "ConsentUnauthorizedActor")
        .withArgs(patientId, representativeKey.address);
      // The representative is still an active patient herself, and the appointment still stands: only the patient's
      // suspension stops it, and her reinstatement brings it back.
      expect(await identityRegistry.isActive(representativeId)).to.equal(true);
      await (await identityRegistry.connect(registrar).reinstate(patientId, REASON)).wait();
      await expect(grant()).to.emit(consentRegistry, "ConsentGranted");
    });
  });

  describe("weakness: stolen keys", function () {
    it("lets a majority of the guardians veto a guardian change a thief scheduled with the patient's key", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      const thiefFriends = [
        (await f.identity.as(key(f.spareKeys, 0)).registerPatient()).id,
        (await f.identity.as(key(f.spareKeys, 1)).registerPatient()).id,
      ];
      await (await registry.connect(patientKey).setGuardians(patientId, thiefFriends, 1, DAY)).wait();
      const [, , , effectiveAt] = await registry.pendingGuardianChange(patientId);
      await (await registry.connect(guardianKeys[0]).vetoGuardianChange(patientId)).wait();
      await expect(registry.connect(guardianKeys[2]).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, true);
      await time.increaseTo(effectiveAt);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
      expect((await registry.guardiansOf(patientId))[0]).to.deep.equal([...guardianIds]);
    });

    it("does not let a thief clear the guardians at once", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      await expect(registry.connect(patientKey).setGuardians(patientId, [], 0, 0))
        .to.emit(registry, "GuardianChangeScheduled")
        .and.not.to.emit(registry, "GuardiansSet");
      expect((await registry.guardiansOf(patientId))[0]).to.deep.equal([...guardianIds]);
      const [, , , effectiveAt] = await registry.pendingGuardianChange(patientId);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityGuardianChangeNotReady")
        .withArgs(patientId, effectiveAt);
      // Meanwhile the guardians still recover her.
      const k = key(f.spareKeys, 0);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, k.address)).wait();
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, k.address)).to.emit(
        registry,
        "RecoveryApproved",
      );
    });

    it("does not let a thief holding the key cancel a recovery alone once the patient has two guardians", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, guardianIds, guardianKeys } = f;
      const [victimKey, k] = [key(f.spareKeys, 0), key(f.spareKeys, 1)];
      const victim = (await f.identity.as(victimKey).registerPatient()).id;
      await (await registry.connect(victimKey).setGuardians(victim, [guardianIds[0], guardianIds[1]], 2, DAY)).wait();
      await (await registry.connect(guardianKeys[0]).approveRecovery(victim, k.address)).wait();
      // Two guardians and the key: the quorum is 2, so the key's objection alone cancels nothing.
      await expect(registry.connect(victimKey).cancelRecovery(victim, k.address))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(victim, k.address, victimKey.address, 1)
        .and.not.to.emit(registry, "RecoveryCancelled");
      await (await registry.connect(guardianKeys[1]).approveRecovery(victim, k.address)).wait();
      await time.increase(DAY);
      await expect(registry.connect(k).executeRecovery(victim))
        .to.emit(registry, "ControllerChanged")
        .withArgs(victim, victimKey.address, k.address, ControllerChange.GuardianRecovery);
    });

    it("lets guardians approving one per block complete a recovery against a thief who objects after each", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys } = f;
      const [k, thiefKey] = [key(f.spareKeys, 0), key(f.spareKeys, 1)];
      let objected = false;
      for (const guardian of guardianKeys.slice(0, GUARDIAN_THRESHOLD)) {
        await (await registry.connect(guardian).approveRecovery(patientId, k.address)).wait();
        // The thief watches the chain and objects after every approval: his key counts once, and cancels nothing.
        const objection = registry.connect(patientKey).cancelRecovery(patientId, k.address);
        if (objected) {
          await expect(objection)
            .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyObjected")
            .withArgs(patientId, patientKey.address);
        } else {
          await expect(objection).to.emit(registry, "RecoveryObjected").and.not.to.emit(registry, "RecoveryCancelled");
          objected = true;
        }
      }
      // Moving the id to a key of his own gives him no second objection.
      await f.identity.as(patientKey).rotateTo(patientId, thiefKey);
      await expect(registry.connect(thiefKey).cancelRecovery(patientId, k.address))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyObjected")
        .withArgs(patientId, thiefKey.address);
      const [approvals, readyAt, , objections] = await registry.recoveryOf(patientId, k.address);
      expect([approvals, objections], "the guardians reached their threshold").to.deep.equal([
        BigInt(GUARDIAN_THRESHOLD),
        1n,
      ]);
      await time.increaseTo(readyAt);
      await expect(registry.connect(k).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, thiefKey.address, k.address, ControllerChange.GuardianRecovery);
    });

    it("drops, on recovery, the guardian change the stolen key had scheduled", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds } = f;
      const k = key(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, k.address);
      const thiefFriend = (await f.identity.as(key(f.spareKeys, 1)).registerPatient()).id;
      await (await registry.connect(patientKey).setGuardians(patientId, [thiefFriend], 1, DAY)).wait();
      const [, , , effectiveAt] = await registry.pendingGuardianChange(patientId);
      await time.increaseTo(readyAt);
      await expect(registry.connect(k).executeRecovery(patientId))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, false);
      expect((await registry.pendingGuardianChange(patientId))[3], "no change waits after the recovery").to.equal(0n);
      // Nobody can install the thief's guardians at the time he asked for.
      await time.increaseTo(effectiveAt + BigInt(DAY));
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
      expect((await registry.guardiansOf(patientId))[0]).to.deep.equal([...guardianIds]);
    });

    it("stops counting the approvals of guardians suspended since they approved", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds } = f;
      // Thieves approve their own key with two guardians' stolen keys; the registrar suspends those guardians.
      const thiefKey = key(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, thiefKey.address);
      await (await registry.connect(registrar).suspend(guardianIds[0], REASON)).wait();
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(registry.connect(thiefKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, readyAt);
      // With one guardian active, the patient's own key makes the quorum and cancels the thieves' recovery for good.
      await expect(registry.connect(patientKey).cancelRecovery(patientId, thiefKey.address))
        .to.emit(registry, "RecoveryCancelled")
        .withArgs(patientId, thiefKey.address);
      await (await registry.connect(registrar).reinstate(guardianIds[0], REASON)).wait();
      await (await registry.connect(registrar).reinstate(guardianIds[1], REASON)).wait();
      await expect(registry.connect(thiefKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId, thiefKey.address);
      expect(await registry.idOf(patientKey.address)).to.equal(patientId);
    });

    it("lets the active guardians veto a thief's guardian change when the others' stolen keys are suspended", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys } = f;
      // The thief holds the patient's key and two guardians' keys; once the registrar suspends those two guardians, the
      // thief can no longer act through them, and the one guardian left active is a majority by itself.
      const thiefFriend = (await f.identity.as(key(f.spareKeys, 0)).registerPatient()).id;
      await (await registry.connect(patientKey).setGuardians(patientId, [thiefFriend], 1, DAY)).wait();
      await (await registry.connect(registrar).suspend(guardianIds[0], REASON)).wait();
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await expect(registry.connect(guardianKeys[2]).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patientId, guardianIds[2], 1)
        .and.to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, true);
      expect((await registry.pendingGuardianChange(patientId))[3]).to.equal(0n);
    });
  });

  describe("weakness: registrar reach", function () {
    it("does not let a registrar alone put a practitioner into an organization", async function () {
      const f = await loadFixture(consentFixture);
      const { identity, identityRegistry, registrar, consent, patientId, patientKey, hospitalId, hospitalKey } = f;
      const insider = key(f.spareKeys, 0);
      // The patient lets the hospital's people see her labs for treatment.
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: hospitalId,
        categories: LABS,
        purposes: TREATMENT,
        validUntil: (await latest()) + 30n * BigInt(DAY),
      });
      // A registrar registers a practitioner (with the practitioner's own consent) for the hospital...
      const { id } = await identity.as(registrar).registerWithKey(insider, {
        kind: ParticipantKind.Practitioner,
        credentialCommitment: commit("licence:insider").commitment,
        credentialExpiry: f.credentialExpiry,
        affiliation: hospitalId,
      });
      // ...who is not one of the hospital's people until the hospital says so.
      expect(await identityRegistry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Practitioner), 0n, false]);
      const refused = await consent.decide(
        patientId,
        insider.address,
        DataCategory.LaboratoryResults,
        Purpose.Treatment,
      );
      expect([refused.allowed, refused.basis, refused.accessor]).to.deep.equal([
        false,
        DecisionBasis.InactiveAccessor,
        id,
      ]);
      await (await identityRegistry.connect(hospitalKey).acceptAffiliate(id)).wait();
      const allowed = await consent.decide(
        patientId,
        insider.address,
        DataCategory.LaboratoryResults,
        Purpose.Treatment,
      );
      expect([allowed.allowed, allowed.basis, allowed.grantee]).to.deep.equal([
        true,
        DecisionBasis.OrganizationGrant,
        hospitalId,
      ]);
    });

    it("does not let a registrar move a practitioner into another organization with setAffiliation alone", async function () {
      const f = await loadFixture(consentFixture);
      const { identityRegistry, registrar, consent, patientId, patientKey, hospitalId, clinicId, clinicKey } = f;
      const { clinicDoctorId, clinicDoctorKey } = f;
      await consent.as(patientKey).grant({
        patient: patientId,
        grantee: hospitalId,
        categories: LABS,
        purposes: TREATMENT,
        validUntil: (await latest()) + 30n * BigInt(DAY),
      });
      await expect(identityRegistry.connect(registrar).setAffiliation(clinicDoctorId, hospitalId))
        .to.emit(identityRegistry, "AffiliationOffered")
        .withArgs(clinicDoctorId, hospitalId)
        .and.not.to.emit(identityRegistry, "AffiliationChanged");
      // Still the clinic's doctor, so the patient's grant to the hospital does not reach him.
      expect(await identityRegistry.standingOf(clinicDoctorId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        clinicId,
        true,
      ]);
      const decision = await consent.decide(
        patientId,
        clinicDoctorKey.address,
        DataCategory.LaboratoryResults,
        Purpose.Treatment,
      );
      expect(decision.allowed).to.equal(false);
      // And the clinic can end its own affiliation with him whenever it wants.
      await (await identityRegistry.connect(clinicKey).releaseAffiliate(clinicDoctorId)).wait();
      expect(await identityRegistry.isActive(clinicDoctorId)).to.equal(false);
    });

    it("does not let a registrar register a key, or recover an institution to a key, without that key's consent", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, accessManager, hospitalId } = f;
      const victim = key(f.spareKeys, 0);
      const deadline = (await latest()) + BigInt(DAY);
      const registration = await signRegistration(registrar, await f.identity.domain(), {
        kind: BigInt(ParticipantKind.Practitioner),
        controller: victim.address,
        affiliation: hospitalId,
        deadline,
      });
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(
            ParticipantKind.Practitioner,
            victim.address,
            commit("licence:victim").commitment,
            f.credentialExpiry,
            hospitalId,
            deadline,
            registration,
          ),
      )
        .to.be.revertedWithCustomError(registry, "IdentityInvalidKeySignature")
        .withArgs(victim.address);
      const consent = await transferSignedBy(f, registrar, hospitalId, victim.address);
      const target = await registry.getAddress();
      const data = registry.interface.encodeFunctionData("recoverController", [
        hospitalId,
        victim.address,
        consent.deadline,
        consent.signature,
      ]);
      await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
      await time.increase(3600);
      await expect(accessManager.connect(registrar).execute(target, data))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidKeySignature")
        .withArgs(victim.address);
      expect(await registry.idOf(victim.address)).to.equal(0n);
    });

    it("does not let a registrar replay a key's registration consent once the key was retired", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar } = f;
      const [clinicKey, clinicNewKey] = [key(f.spareKeys, 0), key(f.spareKeys, 1)];
      const consent = await f.identity.consentToRegistration(clinicKey, ParticipantKind.Organization);
      const register = () =>
        registry
          .connect(registrar)
          .registerParticipant(
            ParticipantKind.Organization,
            clinicKey.address,
            commit("accreditation:clinic").commitment,
            f.credentialExpiry,
            0,
            consent.deadline,
            consent.signature,
          );
      const { id: clinic } = await f.identity.as(registrar).registerParticipant({
        kind: ParticipantKind.Organization,
        controller: clinicKey.address,
        credentialCommitment: commit("accreditation:clinic").commitment,
        credentialExpiry: f.credentialExpiry,
        consent,
      });
      // The clinic moves to a new key (say its first one leaked); the consent, still within its deadline, binds nothing.
      await f.identity.as(clinicKey).rotateTo(clinic, clinicNewKey);
      await expect(register())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(clinicKey.address);
      expect(await registry.idOf(clinicKey.address)).to.equal(0n);
      expect(await registry.lastId()).to.equal(clinic);
    });
  });
});
