import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { commit, ParticipantKind } from "../../sdk";
import {
  DAY,
  GUARDIAN_THRESHOLD,
  type IdentityFixture,
  identityFixture,
  RECOVERY_DELAY,
  YEAR,
} from "../fixtures/identity";
import { scheduleAndExecute } from "../helpers/governance";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const REASON = 17; // an off-chain reason-code list entry

/** `accountStanding` as the registry returns it: (id, kind, affiliation, active). */
type Standing = [bigint, bigint, bigint, boolean];

function standing(id: bigint, kind: ParticipantKind, affiliation: bigint, active: boolean): Standing {
  return [id, BigInt(kind), affiliation, active];
}

/** What a key that controls no id reads as. */
const NO_STANDING: Standing = [0n, 0n, 0n, false];

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}

async function standingOf(f: IdentityFixture, account: string, at?: bigint): Promise<Standing> {
  const [id, kind, affiliation, active] = await f.registry.accountStanding(account, at ?? (await now()));
  return [id, kind, affiliation, active];
}

/** The controller `from` hands `id` to `to`, which signs its consent (SDK `rotateTo`). */
async function rotate(
  f: IdentityFixture,
  id: bigint,
  from: HardhatEthersSigner,
  to: HardhatEthersSigner,
): Promise<void> {
  await f.identity.as(from).rotateTo(id, to);
}

/** The registrar recovers institutional `id` to `newKey` (which consents) through the AccessManager's delay. */
async function recover(f: IdentityFixture, id: bigint, newKey: HardhatEthersSigner): Promise<void> {
  const consent = await f.identity.consentToTransfer(newKey, id);
  await scheduleAndExecute(
    f.accessManager,
    f.registrar,
    await f.registry.getAddress(),
    f.registry.interface.encodeFunctionData("recoverController", [
      id,
      newKey.address,
      consent.deadline,
      consent.signature,
    ]),
  );
}

/** Registers a practitioner offered to `organization`, not accepted: returns its id. */
async function offeredPractitioner(
  f: IdentityFixture,
  key: HardhatEthersSigner,
  organization: bigint,
): Promise<bigint> {
  const { id } = await f.identity.as(f.registrar).registerWithKey(key, {
    kind: ParticipantKind.Practitioner,
    credentialCommitment: commit(`licence:${key.address}`).commitment,
    credentialExpiry: f.credentialExpiry,
    affiliation: organization,
  });
  return id;
}

/** Registers an organization (a clinic) controlled by `key`: returns its id. */
async function clinic(f: IdentityFixture, key: HardhatEthersSigner): Promise<bigint> {
  const { id } = await f.identity.as(f.registrar).registerWithKey(key, {
    kind: ParticipantKind.Organization,
    credentialCommitment: commit(`accreditation:${key.address}`).commitment,
    credentialExpiry: f.credentialExpiry,
  });
  return id;
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("IdentityRegistry", function () {
  describe("accountStanding", function () {
    describe("by kind", function () {
      it("returns a patient key's id and kind, no affiliation, active at any time (patients do not expire)", async function () {
        const f = await loadFixture(identityFixture);
        const expected = standing(f.patientId, ParticipantKind.Patient, 0n, true);
        expect(await standingOf(f, f.patientKey.address)).to.deep.equal(expected);
        expect(await standingOf(f, f.patientKey.address, (await now()) + 50n * BigInt(YEAR))).to.deep.equal(expected);
      });

      it("returns a practitioner key's id, kind and affiliation", async function () {
        const f = await loadFixture(identityFixture);
        expect(await standingOf(f, f.cardiologistKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
      });

      it("returns an organization key's id and kind with no affiliation", async function () {
        const f = await loadFixture(identityFixture);
        expect(await standingOf(f, f.hospitalKey.address)).to.deep.equal(
          standing(f.hospitalId, ParticipantKind.Organization, 0n, true),
        );
      });

      it("agrees with participant(id), isActive(id) and activeIdOf for every fixture key", async function () {
        const f = await loadFixture(identityFixture);
        const keys = [f.patientKey, f.hospitalKey, f.cardiologistKey, ...f.guardianKeys];
        for (const key of keys) {
          const id = await f.registry.idOf(key.address);
          const p = await f.registry.participant(id);
          expect(await standingOf(f, key.address)).to.deep.equal([
            id,
            p.kind,
            p.affiliation,
            await f.registry.isActive(id),
          ]);
          expect(await f.registry.activeIdOf(key.address, p.kind)).to.equal(id);
        }
      });
    });

    describe("keys that control no id", function () {
      it("returns (NONE, None, NONE, false) for an unknown key and for the zero address", async function () {
        const f = await loadFixture(identityFixture);
        expect(await standingOf(f, signer(f.spareKeys, 0).address)).to.deep.equal(NO_STANDING);
        expect(await standingOf(f, ZeroAddress)).to.deep.equal(NO_STANDING);
      });

      it("returns all zero for a key that a pending guardian recovery names, until it executes", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        for (let i = 0; i < GUARDIAN_THRESHOLD; i++) {
          await (
            await f.registry.connect(signer(f.guardianKeys, i)).approveRecovery(f.patientId, newKey.address)
          ).wait();
        }
        expect((await f.registry.recoveryOf(f.patientId, newKey.address))[0], "the recovery is live").to.equal(2n);
        expect(await standingOf(f, newKey.address)).to.deep.equal(NO_STANDING);
      });

      it("returns all zero for a key that signed a consent nobody used", async function () {
        const f = await loadFixture(identityFixture);
        const key = signer(f.spareKeys, 0);
        await f.identity.consentToTransfer(key, f.cardiologistId);
        await f.identity.consentToRegistration(key, ParticipantKind.Practitioner, f.hospitalId);
        expect(await standingOf(f, key.address)).to.deep.equal(NO_STANDING);
      });
    });

    describe("status", function () {
      it("follows suspend, reinstate and revoke in the active flag, keeping id, kind and affiliation", async function () {
        const f = await loadFixture(identityFixture);
        const asRegistrar = f.registry.connect(f.registrar);
        const key = f.cardiologistKey.address;
        const expected = (active: boolean) =>
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, active);

        await (await asRegistrar.suspend(f.cardiologistId, REASON)).wait();
        expect(await standingOf(f, key), "suspended").to.deep.equal(expected(false));
        await (await asRegistrar.reinstate(f.cardiologistId, REASON)).wait();
        expect(await standingOf(f, key), "reinstated").to.deep.equal(expected(true));
        await (await asRegistrar.revoke(f.cardiologistId, REASON)).wait();
        expect(await standingOf(f, key), "revoked: the key stays bound to its id").to.deep.equal(expected(false));
      });

      it("judges the status as it is now whatever `at` is", async function () {
        const f = await loadFixture(identityFixture);
        const before = await now();
        await (await f.registry.connect(f.registrar).suspend(f.patientId, REASON)).wait();
        expect(
          await standingOf(f, f.patientKey.address, before),
          "asked about a time before the suspension",
        ).to.deep.equal(standing(f.patientId, ParticipantKind.Patient, 0n, false));
        expect(await standingOf(f, f.hospitalKey.address, before)).to.deep.equal(
          standing(f.hospitalId, ParticipantKind.Organization, 0n, true),
        );
      });

      it("does not make an organization's practitioners inactive when the organization is suspended", async function () {
        const f = await loadFixture(identityFixture);
        await (await f.registry.connect(f.registrar).suspend(f.hospitalId, REASON)).wait();
        expect(await standingOf(f, f.hospitalKey.address)).to.deep.equal(
          standing(f.hospitalId, ParticipantKind.Organization, 0n, false),
        );
        expect(await standingOf(f, f.cardiologistKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
      });
    });

    describe("credential expiry", function () {
      it("is active at `at` before the expiry and inactive at and after it", async function () {
        const f = await loadFixture(identityFixture);
        const key = f.hospitalKey.address;
        const active = async (at: bigint) => (await standingOf(f, key, at))[3];
        expect(await active(f.credentialExpiry - 1n), "a second before").to.equal(true);
        expect(await active(f.credentialExpiry), "at the expiry").to.equal(false);
        expect(await active(f.credentialExpiry + 1n), "a second after").to.equal(false);
      });

      it("judges a past `at` against the credential even after it expired", async function () {
        const f = await loadFixture(identityFixture);
        await time.increaseTo(f.credentialExpiry + BigInt(DAY));
        expect(await standingOf(f, f.cardiologistKey.address), "now").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, false),
        );
        expect(
          await standingOf(f, f.cardiologistKey.address, f.credentialExpiry - 1n),
          "before it expired",
        ).to.deep.equal(standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true));
      });

      it("is inactive before the expiry while suspended", async function () {
        const f = await loadFixture(identityFixture);
        await (await f.registry.connect(f.registrar).suspend(f.hospitalId, REASON)).wait();
        expect((await standingOf(f, f.hospitalKey.address, f.credentialExpiry - 1n))[3]).to.equal(false);
      });

      it("counts the new expiry after renewCredential", async function () {
        const f = await loadFixture(identityFixture);
        const renewed = f.credentialExpiry + BigInt(YEAR);
        await (
          await f.registry
            .connect(f.registrar)
            .renewCredential(f.cardiologistId, commit("licence:cardiology:0002").commitment, renewed)
        ).wait();
        const active = async (at: bigint) => (await standingOf(f, f.cardiologistKey.address, at))[3];
        expect(await active(f.credentialExpiry), "at the old expiry").to.equal(true);
        expect(await active(renewed - 1n), "a second before the new expiry").to.equal(true);
        expect(await active(renewed), "at the new expiry").to.equal(false);
      });

      it("reactivates an expired participant when the credential is renewed", async function () {
        const f = await loadFixture(identityFixture);
        await time.increaseTo(f.credentialExpiry + 1n);
        expect((await standingOf(f, f.hospitalKey.address))[3], "expired").to.equal(false);
        await (
          await f.registry
            .connect(f.registrar)
            .renewCredential(
              f.hospitalId,
              commit("accreditation:hospital:0002").commitment,
              (await now()) + BigInt(YEAR),
            )
        ).wait();
        expect(await standingOf(f, f.hospitalKey.address)).to.deep.equal(
          standing(f.hospitalId, ParticipantKind.Organization, 0n, true),
        );
      });
    });

    describe("affiliation", function () {
      it("reads a practitioner whose offer awaits acceptance as bound, with no affiliation and inactive at any time", async function () {
        const f = await loadFixture(identityFixture);
        const key = signer(f.spareKeys, 0);
        const id = await offeredPractitioner(f, key, f.hospitalId);
        const expected = standing(id, ParticipantKind.Practitioner, 0n, false);
        expect(await standingOf(f, key.address)).to.deep.equal(expected);
        expect(await standingOf(f, key.address, f.credentialExpiry - 1n), "before the expiry").to.deep.equal(expected);
        expect(await f.registry.activeIdOf(key.address, ParticipantKind.Practitioner)).to.equal(0n);
      });

      it("becomes the organization and active when the organization accepts", async function () {
        const f = await loadFixture(identityFixture);
        const key = signer(f.spareKeys, 0);
        const id = await offeredPractitioner(f, key, f.hospitalId);
        await (await f.registry.connect(f.hospitalKey).acceptAffiliate(id)).wait();
        expect(await standingOf(f, key.address)).to.deep.equal(
          standing(id, ParticipantKind.Practitioner, f.hospitalId, true),
        );
        expect((await standingOf(f, key.address, f.credentialExpiry))[3], "the expiry still counts").to.equal(false);
      });

      it("keeps the old organization while a registrar's new offer waits, and moves when the new one accepts", async function () {
        const f = await loadFixture(identityFixture);
        const clinicKey = signer(f.spareKeys, 0);
        const clinicId = await clinic(f, clinicKey);
        await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinicId)).wait();
        expect(await standingOf(f, f.cardiologistKey.address), "offered only").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
        await (await f.registry.connect(clinicKey).acceptAffiliate(f.cardiologistId)).wait();
        expect(await standingOf(f, f.cardiologistKey.address), "accepted").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, clinicId, true),
        );
        expect((await f.registry.participant(f.cardiologistId)).affiliation).to.equal(clinicId);
      });

      it("drops the organization and the activity when the organization releases the practitioner", async function () {
        const f = await loadFixture(identityFixture);
        await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
        const released = standing(f.cardiologistId, ParticipantKind.Practitioner, 0n, false);
        expect(await standingOf(f, f.cardiologistKey.address)).to.deep.equal(released);
        expect(await standingOf(f, f.cardiologistKey.address, f.credentialExpiry - 1n)).to.deep.equal(released);
        // Offered and accepted again: back in.
        await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, f.hospitalId)).wait();
        expect(await standingOf(f, f.cardiologistKey.address), "offered again").to.deep.equal(released);
        await (await f.registry.connect(f.hospitalKey).acceptAffiliate(f.cardiologistId)).wait();
        expect(await standingOf(f, f.cardiologistKey.address), "accepted again").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
      });

      it("keeps a released practitioner's suspension, and the release, through a reinstatement", async function () {
        const f = await loadFixture(identityFixture);
        await (await f.registry.connect(f.registrar).suspend(f.cardiologistId, REASON)).wait();
        await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
        await (await f.registry.connect(f.registrar).reinstate(f.cardiologistId, REASON)).wait();
        expect(await standingOf(f, f.cardiologistKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, 0n, false),
        );
      });

      it("does not give a device's affiliation to anyone but the device's key", async function () {
        const f = await loadFixture(identityFixture);
        const deviceKey = signer(f.spareKeys, 0);
        const { id: deviceId } = await f.identity.as(f.registrar).registerWithKey(
          deviceKey,
          {
            kind: ParticipantKind.Device,
            credentialCommitment: commit("device:monitor").commitment,
            credentialExpiry: f.credentialExpiry,
            affiliation: f.hospitalId,
          },
          f.hospitalKey,
        );
        expect(await standingOf(f, deviceKey.address)).to.deep.equal(
          standing(deviceId, ParticipantKind.Device, f.hospitalId, true),
        );
        expect(await standingOf(f, f.hospitalKey.address), "the organization's own standing").to.deep.equal(
          standing(f.hospitalId, ParticipantKind.Organization, 0n, true),
        );
      });
    });

    describe("key changes", function () {
      it("moves with a rotation: the old key reads zero, the new key the full standing", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        await rotate(f, f.cardiologistId, f.cardiologistKey, newKey);
        expect(await standingOf(f, f.cardiologistKey.address), "old key").to.deep.equal(NO_STANDING);
        expect(await standingOf(f, newKey.address), "new key").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
        expect((await standingOf(f, newKey.address, f.credentialExpiry))[3], "the expiry moves too").to.equal(false);
      });

      it("reads a retired key as (NONE, None, NONE, false) whatever later happens to its id, and never binds it again", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        await rotate(f, f.cardiologistId, f.cardiologistKey, newKey);
        const retired = f.cardiologistKey.address;
        // Every change that rewrites the id's binding word reaches the new key only.
        await (await f.registry.connect(f.registrar).suspend(f.cardiologistId, REASON)).wait();
        await (await f.registry.connect(f.registrar).reinstate(f.cardiologistId, REASON)).wait();
        await (
          await f.registry
            .connect(f.registrar)
            .renewCredential(f.cardiologistId, commit("licence:cardiology:0002").commitment, f.credentialExpiry + 1n)
        ).wait();
        await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
        expect(await standingOf(f, retired)).to.deep.equal(NO_STANDING);
        expect(await standingOf(f, retired, f.credentialExpiry - 1n), "at any time").to.deep.equal(NO_STANDING);
        expect(await f.registry.activeIdOf(retired, ParticipantKind.Practitioner)).to.equal(0n);
        expect(await f.registry.activeIdOf(retired, ParticipantKind.None)).to.equal(0n);
        expect(await standingOf(f, newKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, 0n, false),
        );
        await expect(f.registry.connect(f.cardiologistKey).registerPatient())
          .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
          .withArgs(retired);
        expect(await standingOf(f, retired)).to.deep.equal(NO_STANDING);
      });

      it("carries a suspension and a changed affiliation over to the new key", async function () {
        const f = await loadFixture(identityFixture);
        const clinicKey = signer(f.spareKeys, 0);
        const clinicId = await clinic(f, clinicKey);
        await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinicId)).wait();
        await (await f.registry.connect(clinicKey).acceptAffiliate(f.cardiologistId)).wait();
        await (await f.registry.connect(f.registrar).suspend(f.cardiologistId, REASON)).wait();
        const newKey = signer(f.spareKeys, 1);
        await rotate(f, f.cardiologistId, f.cardiologistKey, newKey);
        expect(await standingOf(f, newKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, clinicId, false),
        );
        await (await f.registry.connect(f.registrar).reinstate(f.cardiologistId, REASON)).wait();
        expect(await standingOf(f, newKey.address), "reinstated after the rotation").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, clinicId, true),
        );
        expect(await standingOf(f, f.cardiologistKey.address), "the old key is untouched").to.deep.equal(NO_STANDING);
      });

      it("carries a practitioner's unaccepted offer over to the new key, and the acceptance reaches it", async function () {
        const f = await loadFixture(identityFixture);
        const [key, newKey] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
        const id = await offeredPractitioner(f, key, f.hospitalId);
        await rotate(f, id, key, newKey);
        expect(await standingOf(f, newKey.address), "still offered only").to.deep.equal(
          standing(id, ParticipantKind.Practitioner, 0n, false),
        );
        await (await f.registry.connect(f.hospitalKey).acceptAffiliate(id)).wait();
        expect(await standingOf(f, newKey.address), "accepted").to.deep.equal(
          standing(id, ParticipantKind.Practitioner, f.hospitalId, true),
        );
        expect(await standingOf(f, key.address)).to.deep.equal(NO_STANDING);
      });

      it("moves with a guardian recovery, which the new key executes", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        for (let i = 0; i < GUARDIAN_THRESHOLD; i++) {
          await (
            await f.registry.connect(signer(f.guardianKeys, i)).approveRecovery(f.patientId, newKey.address)
          ).wait();
        }
        expect(await standingOf(f, newKey.address), "approved, not yet executed").to.deep.equal(NO_STANDING);
        await time.increase(RECOVERY_DELAY);
        await (await f.registry.connect(newKey).executeRecovery(f.patientId)).wait();
        expect(await standingOf(f, f.patientKey.address), "old key").to.deep.equal(NO_STANDING);
        expect(await standingOf(f, newKey.address), "new key").to.deep.equal(
          standing(f.patientId, ParticipantKind.Patient, 0n, true),
        );
      });

      it("moves with a registrar recovery of an institutional id", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        await recover(f, f.cardiologistId, newKey);
        expect(await standingOf(f, f.cardiologistKey.address), "old key").to.deep.equal(NO_STANDING);
        expect(await standingOf(f, newKey.address), "new key").to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
      });

      it("leaves the practitioners' standing alone when their organization's key is recovered", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        await recover(f, f.hospitalId, newKey);
        expect(await standingOf(f, f.hospitalKey.address), "old key").to.deep.equal(NO_STANDING);
        expect(await standingOf(f, newKey.address), "new key").to.deep.equal(
          standing(f.hospitalId, ParticipantKind.Organization, 0n, true),
        );
        expect(await standingOf(f, f.cardiologistKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, f.hospitalId, true),
        );
        // The organization's new key releases the practitioner; the old key could not.
        await expect(f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotAffiliated")
          .withArgs(f.cardiologistId, 0n);
        await (await f.registry.connect(newKey).releaseAffiliate(f.cardiologistId)).wait();
        expect(await standingOf(f, f.cardiologistKey.address)).to.deep.equal(
          standing(f.cardiologistId, ParticipantKind.Practitioner, 0n, false),
        );
      });
    });
  });
});
