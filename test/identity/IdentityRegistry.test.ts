import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { type ContractTransactionResponse, ZeroAddress, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import { commit, ControllerChange, identifierCommitment, ParticipantKind, ParticipantStatus, Roles } from "../../sdk";
import type { AccessManager, IdentityRegistry } from "../../typechain-types";
import {
  DAY,
  GUARDIAN_THRESHOLD,
  type IdentityFixture,
  identityFixture,
  readParticipant,
  RECOVERY_DELAY,
  YEAR,
  STATUS_AFTER as TARGET,
  type StatusOperation as Operation,
} from "../fixtures/identity";
import { systemFixture } from "../fixtures/system";
import { scheduleAndExecute } from "../helpers/governance";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

type FunctionName = Parameters<IdentityRegistry["interface"]["getFunction"]>[0];

const MAX_ROTATION_WINDOW = 30 * DAY;
const MIN_RECOVERY_DELAY = DAY;
const MAX_RECOVERY_DELAY = 30 * DAY;
const REASON = 17; // an off-chain reason-code list entry

/** Pins the timestamp of the next mined block to one second after the latest and returns it. */
async function nextTimestamp(): Promise<number> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return next;
}

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

async function registerPatient(f: IdentityFixture, key: HardhatEthersSigner): Promise<bigint> {
  return (await f.identity.as(key).registerPatient()).id;
}

async function registerInstitutional(
  f: IdentityFixture,
  kind: ParticipantKind,
  key: HardhatEthersSigner,
  affiliation = 0n,
  credentialExpiry: bigint = f.credentialExpiry,
): Promise<bigint> {
  const { id } = await f.identity.as(f.registrar).registerParticipant({
    kind,
    controller: key.address,
    credentialCommitment: commit(`credential:${kind}:${key.address}`).commitment,
    credentialExpiry,
    affiliation,
  });
  return id;
}

/** `from` (the controller of `id`) proposes `to` with a deadline `window` seconds ahead; returns the deadline. */
async function propose(
  registry: IdentityRegistry,
  id: bigint,
  from: HardhatEthersSigner,
  to: string,
  window = DAY,
): Promise<bigint> {
  const deadline = BigInt(await time.latest()) + BigInt(window);
  await (await registry.connect(from).proposeControllerRotation(id, to, deadline)).wait();
  return deadline;
}

/** The fixture patient's first `GUARDIAN_THRESHOLD` guardians approve recovery to `newKey`; returns `readyAt`. */
async function reachThreshold(f: IdentityFixture, newKey: string): Promise<bigint> {
  for (let i = 0; i < GUARDIAN_THRESHOLD; i++) {
    await (await f.registry.connect(signer(f.guardianKeys, i)).approveRecovery(f.patientId, newKey)).wait();
  }
  const [, , readyAt] = await f.registry.pendingRecoveryOf(f.patientId);
  return readyAt;
}

function recoverData(registry: IdentityRegistry, id: bigint, newController: string): string {
  return registry.interface.encodeFunctionData("recoverController", [id, newController]);
}

/** Schedules `data` on the registry as `caller` and waits out the caller's execution delay. */
async function scheduleAndWait(
  manager: AccessManager,
  registry: IdentityRegistry,
  caller: HardhatEthersSigner,
  data: string,
): Promise<void> {
  const target = await registry.getAddress();
  const [, delay] = await manager.canCall(caller.address, target, data.slice(0, 10));
  await (await manager.connect(caller).schedule(target, data, 0)).wait();
  await time.increase(delay);
}

async function pauseRegistry(f: { registry: IdentityRegistry; pauser: HardhatEthersSigner }): Promise<void> {
  await (await f.registry.connect(f.pauser).pause()).wait();
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("IdentityRegistry", function () {
  describe("deployment", function () {
    it("starts empty, unpaused and managed by the suite's AccessManager", async function () {
      const { identityRegistry, accessManager } = await loadFixture(systemFixture);
      expect(await identityRegistry.lastId()).to.equal(0n);
      expect(await identityRegistry.paused()).to.equal(false);
      expect(await identityRegistry.authority()).to.equal(await accessManager.getAddress());
    });

    it("exposes its version and limits", async function () {
      const { identityRegistry } = await loadFixture(systemFixture);
      expect(await identityRegistry.version()).to.equal("1.0.0");
      expect(await identityRegistry.MAX_ROTATION_WINDOW()).to.equal(BigInt(MAX_ROTATION_WINDOW));
      expect(await identityRegistry.MAX_GUARDIANS()).to.equal(8n);
      expect(await identityRegistry.MIN_RECOVERY_DELAY()).to.equal(BigInt(MIN_RECOVERY_DELAY));
      expect(await identityRegistry.MAX_RECOVERY_DELAY()).to.equal(BigInt(MAX_RECOVERY_DELAY));
    });

    it("wires every restricted function to the role the interface names", async function () {
      const { identityRegistry, accessManager } = await loadFixture(systemFixture);
      const target = await identityRegistry.getAddress();
      const expected: [FunctionName, bigint][] = [
        ["registerParticipant", Roles.REGISTRAR],
        ["renewCredential", Roles.REGISTRAR],
        ["setAffiliation", Roles.REGISTRAR],
        ["markIdentityProofed", Roles.REGISTRAR],
        ["suspend", Roles.REGISTRAR],
        ["reinstate", Roles.REGISTRAR],
        ["revoke", Roles.REGISTRAR],
        ["recoverController", Roles.INSTITUTION_RECOVERY],
        ["pause", Roles.PAUSER],
        ["unpause", Roles.ADMIN],
      ];
      for (const [name, role] of expected) {
        const { selector } = identityRegistry.interface.getFunction(name);
        expect(await accessManager.getTargetFunctionRole(target, selector), name).to.equal(role);
      }
    });

    it("gives the registrar its roles with the configured execution delays", async function () {
      const { accessManager, registrar, admin, pauser, parameters } = await loadFixture(systemFixture);
      expect(await accessManager.hasRole(Roles.REGISTRAR, registrar.address)).to.deep.equal([true, 0n]);
      expect(await accessManager.hasRole(Roles.INSTITUTION_RECOVERY, registrar.address)).to.deep.equal([
        true,
        BigInt(parameters.adminExecutionDelay),
      ]);
      expect(await accessManager.hasRole(Roles.PAUSER, pauser.address)).to.deep.equal([true, 0n]);
      expect(await accessManager.hasRole(Roles.ADMIN, admin.address)).to.deep.equal([
        true,
        BigInt(parameters.adminExecutionDelay),
      ]);
      expect(parameters.adminExecutionDelay).to.equal(3600);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Self-service writes
  // -------------------------------------------------------------------------------------------------------------------

  describe("registerPatient", function () {
    it("registers the caller as an active, unproofed patient and binds its key", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, spareKeys } = f;
      const key = signer(spareKeys, 0);
      const id = (await registry.lastId()) + 1n;
      await expect(registry.connect(key).registerPatient())
        .to.emit(registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Patient, key.address);
      expect(await registry.lastId()).to.equal(id);
      expect(await readParticipant(registry, id)).to.deep.equal({
        controller: key.address,
        kind: BigInt(ParticipantKind.Patient),
        status: BigInt(ParticipantStatus.Active),
        identityProofed: false,
        credentialExpiry: 0n,
        keyEpoch: 0n,
        affiliation: 0n,
        credentialCommitment: ZeroHash,
      });
      expect(await registry.idOf(key.address)).to.equal(id);
      expect(await registry.isActive(id)).to.equal(true);
      expect(await registry.activeIdOf(key.address, ParticipantKind.Patient)).to.equal(id);
      expect(await registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Patient), 0n, true]);
    });

    it("assigns sequential ids that are never reused", async function () {
      const f = await loadFixture(identityFixture);
      const first = await registerPatient(f, signer(f.spareKeys, 0));
      const second = await registerPatient(f, signer(f.spareKeys, 1));
      expect(second).to.equal(first + 1n);
      await (await f.registry.connect(f.registrar).revoke(first, REASON)).wait();
      const third = await registerPatient(f, signer(f.spareKeys, 2));
      expect(third).to.equal(second + 1n);
      expect(await f.registry.lastId()).to.equal(third);
    });

    it("reverts with IdentityAccountAlreadyBound when the caller already controls an id", async function () {
      const { registry, patientKey, hospitalKey } = await loadFixture(identityFixture);
      await expect(registry.connect(patientKey).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
      await expect(registry.connect(hospitalKey).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(hospitalKey.address);
    });

    it("reverts with IdentityAccountAlreadyBound when the caller is the live target of a rotation", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      await expect(registry.connect(target).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(target.address);
    });

    it("reverts with IdentityAccountAlreadyBound when the caller's id was revoked", async function () {
      const { registry, registrar, patientId, patientKey } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
    });

    it("accepts a caller whose rotation proposal expired", async function () {
      const f = await loadFixture(identityFixture);
      const target = signer(f.spareKeys, 0);
      const deadline = await propose(f.registry, f.patientId, f.patientKey, target.address);
      await time.increaseTo(deadline + 1n);
      const id = await registerPatient(f, target);
      expect(await f.registry.idOf(target.address)).to.equal(id);
      expect(await f.registry.pendingRotationOf(target.address)).to.deep.equal([0n, 0n]);
    });

    it("accepts a caller whose rotation proposal was cancelled", async function () {
      const f = await loadFixture(identityFixture);
      const [first, second] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      await propose(f.registry, f.patientId, f.patientKey, first.address);
      await propose(f.registry, f.patientId, f.patientKey, second.address);
      await (await f.registry.connect(f.patientKey).cancelControllerRotation(f.patientId)).wait();
      const a = await registerPatient(f, first);
      const b = await registerPatient(f, second);
      expect(await f.registry.idOf(first.address)).to.equal(a);
      expect(await f.registry.idOf(second.address)).to.equal(b);
    });
  });

  describe("proposeControllerRotation", function () {
    it("records a live proposal for the new key without binding it yet", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const before = await readParticipant(registry, patientId);
      const deadline = BigInt(await time.latest()) + BigInt(DAY);
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, target.address, deadline))
        .to.emit(registry, "ControllerRotationProposed")
        .withArgs(patientId, target.address, deadline);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([patientId, deadline]);
      expect(await registry.idOf(target.address)).to.equal(0n);
      expect(await registry.activeIdOf(target.address, ParticipantKind.Patient)).to.equal(0n);
      const after = await readParticipant(registry, patientId);
      // The proposal lives in the target's binding only: the record, key epoch included, is untouched.
      expect(after).to.deep.equal(before);
      expect(await registry.idOf(patientKey.address)).to.equal(patientId);
    });

    it("accepts a deadline exactly MAX_ROTATION_WINDOW ahead", async function () {
      const { registry, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const now = await nextTimestamp();
      const deadline = now + MAX_ROTATION_WINDOW;
      await expect(registry.connect(hospitalKey).proposeControllerRotation(hospitalId, target.address, deadline))
        .to.emit(registry, "ControllerRotationProposed")
        .withArgs(hospitalId, target.address, deadline);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([hospitalId, BigInt(deadline)]);
    });

    it("reverts with IdentityNotController when the caller is not the id's controller", async function () {
      const { registry, patientId, guardianKeys, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = BigInt(await time.latest()) + BigInt(DAY);
      for (const caller of [guardianKeys[0], hospitalKey, signer(spareKeys, 1)]) {
        await expect(registry.connect(caller).proposeControllerRotation(patientId, target.address, deadline))
          .to.be.revertedWithCustomError(registry, "IdentityNotController")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityNotController when the pending target tries to propose", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = await propose(registry, patientId, patientKey, target.address);
      await expect(
        registry.connect(target).proposeControllerRotation(patientId, signer(spareKeys, 1).address, deadline),
      )
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, target.address);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, patientKey, spareKeys } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      const deadline = BigInt(await time.latest()) + BigInt(DAY);
      await expect(registry.connect(patientKey).proposeControllerRotation(unknown, signer(spareKeys, 0), deadline))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
      await expect(registry.connect(patientKey).proposeControllerRotation(0n, signer(spareKeys, 0), deadline))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(0n);
    });

    it("reverts with IdentityParticipantRevoked when the id is revoked", async function () {
      const { registry, registrar, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(hospitalId, REASON)).wait();
      const deadline = BigInt(await time.latest()) + BigInt(DAY);
      await expect(registry.connect(hospitalKey).proposeControllerRotation(hospitalId, signer(spareKeys, 0), deadline))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(hospitalId);
    });

    it("reverts with IdentityZeroAddress when the new key is the zero address", async function () {
      const { registry, patientId, patientKey } = await loadFixture(identityFixture);
      const deadline = BigInt(await time.latest()) + BigInt(DAY);
      await expect(
        registry.connect(patientKey).proposeControllerRotation(patientId, ZeroAddress, deadline),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroAddress");
    });

    it("reverts with IdentityAccountAlreadyBound when the new key controls an id or is the caller", async function () {
      const { registry, patientId, patientKey, hospitalKey, guardianKeys } = await loadFixture(identityFixture);
      const deadline = BigInt(await time.latest()) + BigInt(DAY);
      for (const bound of [hospitalKey, guardianKeys[0], patientKey]) {
        await expect(registry.connect(patientKey).proposeControllerRotation(patientId, bound.address, deadline))
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(bound.address);
      }
    });

    it("reverts with IdentityAccountAlreadyBound when the new key is the live target of another id", async function () {
      const { registry, patientId, patientKey, hospitalId, hospitalKey, spareKeys } =
        await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = await propose(registry, hospitalId, hospitalKey, target.address);
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, target.address, deadline))
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(target.address);
    });

    it("reverts with IdentityAccountAlreadyBound when re-proposing the same live target (cancel first)", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = await propose(registry, patientId, patientKey, target.address);
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, target.address, deadline + 1n))
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(target.address);
      await (await registry.connect(patientKey).cancelControllerRotation(patientId)).wait();
      await expect(
        registry.connect(patientKey).proposeControllerRotation(patientId, target.address, deadline + 1n),
      ).to.emit(registry, "ControllerRotationProposed");
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([patientId, deadline + 1n]);
    });

    it("re-targets a key whose proposal for another id expired", async function () {
      const { registry, patientId, patientKey, hospitalId, hospitalKey, spareKeys } =
        await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const first = await propose(registry, hospitalId, hospitalKey, target.address);
      await time.increaseTo(first + 1n);
      const second = await propose(registry, patientId, patientKey, target.address);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([patientId, second]);
      await expect(registry.connect(target).acceptControllerRotation(hospitalId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(hospitalId, target.address);
    });

    it("reverts with IdentityRotationDeadlineOutOfRange when the deadline is not after now", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const now = await nextTimestamp();
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, signer(spareKeys, 0), now))
        .to.be.revertedWithCustomError(registry, "IdentityRotationDeadlineOutOfRange")
        .withArgs(now, now + MAX_ROTATION_WINDOW);
      const later = await nextTimestamp();
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, signer(spareKeys, 0), 0))
        .to.be.revertedWithCustomError(registry, "IdentityRotationDeadlineOutOfRange")
        .withArgs(0, later + MAX_ROTATION_WINDOW);
    });

    it("reverts with IdentityRotationDeadlineOutOfRange when the deadline is beyond MAX_ROTATION_WINDOW", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const now = await nextTimestamp();
      const deadline = now + MAX_ROTATION_WINDOW + 1;
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, signer(spareKeys, 0), deadline))
        .to.be.revertedWithCustomError(registry, "IdentityRotationDeadlineOutOfRange")
        .withArgs(deadline, now + MAX_ROTATION_WINDOW);
    });

    it("lets a suspended participant rotate a compromised key", async function () {
      const { registry, registrar, cardiologistId, cardiologistKey, spareKeys } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      const target = signer(spareKeys, 0);
      await propose(registry, cardiologistId, cardiologistKey, target.address);
      await expect(registry.connect(target).acceptControllerRotation(cardiologistId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(cardiologistId, cardiologistKey.address, target.address, ControllerChange.Rotation);
      expect((await readParticipant(registry, cardiologistId)).status).to.equal(BigInt(ParticipantStatus.Suspended));
    });

    it("lets a participant with an expired credential rotate its key", async function () {
      const { registry, hospitalId, hospitalKey, credentialExpiry, spareKeys } = await loadFixture(identityFixture);
      await time.increaseTo(credentialExpiry);
      expect(await registry.isActive(hospitalId)).to.equal(false);
      const target = signer(spareKeys, 0);
      await propose(registry, hospitalId, hospitalKey, target.address);
      await (await registry.connect(target).acceptControllerRotation(hospitalId)).wait();
      expect(await registry.idOf(target.address)).to.equal(hospitalId);
    });

    it("keeps an earlier proposal to another key live: the first key to accept wins and ends the other", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const [first, second] = [signer(spareKeys, 0), signer(spareKeys, 1)];
      const firstDeadline = await propose(registry, patientId, patientKey, first.address);
      const secondDeadline = await propose(registry, patientId, patientKey, second.address, 2 * DAY);
      expect(await registry.pendingRotationOf(first.address)).to.deep.equal([patientId, firstDeadline]);
      expect(await registry.pendingRotationOf(second.address)).to.deep.equal([patientId, secondDeadline]);
      await expect(registry.connect(second).acceptControllerRotation(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, second.address, ControllerChange.Rotation);
      expect(await registry.pendingRotationOf(first.address)).to.deep.equal([0n, 0n]);
      await expect(registry.connect(first).acceptControllerRotation(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(patientId, first.address);
      expect(await registry.idOf(second.address)).to.equal(patientId);
    });

    it("leaves a pending guardian recovery live until a key change or cancellation", async function () {
      const f = await loadFixture(identityFixture);
      const recoveryKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, recoveryKey.address);
      await propose(f.registry, f.patientId, f.patientKey, signer(f.spareKeys, 1).address);
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([
        recoveryKey.address,
        BigInt(GUARDIAN_THRESHOLD),
        readyAt,
      ]);
    });
  });

  describe("acceptControllerRotation", function () {
    it("hands the id to the new key and unbinds the old key in the same transaction", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      const epoch = (await readParticipant(registry, patientId)).keyEpoch;
      await expect(registry.connect(target).acceptControllerRotation(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, target.address, ControllerChange.Rotation);
      const after = await readParticipant(registry, patientId);
      expect(after.controller).to.equal(target.address);
      expect(after.keyEpoch).to.equal(epoch + 1n);
      expect(await registry.idOf(target.address)).to.equal(patientId);
      expect(await registry.idOf(patientKey.address)).to.equal(0n);
      expect(await registry.activeIdOf(target.address, ParticipantKind.Patient)).to.equal(patientId);
      expect(await registry.activeIdOf(patientKey.address, ParticipantKind.Patient)).to.equal(0n);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([0n, 0n]);
    });

    it("stops the old key from working at once and lets the new key act", async function () {
      const { registry, patientId, patientKey, guardianIds, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = await propose(registry, patientId, patientKey, target.address);
      await (await registry.connect(target).acceptControllerRotation(patientId)).wait();
      const other = signer(spareKeys, 1).address;
      await expect(registry.connect(patientKey).proposeControllerRotation(patientId, other, deadline))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      await expect(registry.connect(patientKey).cancelControllerRotation(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      await expect(registry.connect(patientKey).setGuardians(patientId, [], 0, 0))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      const identifier = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-1").commitment;
      await expect(registry.connect(patientKey).bindIdentifierCommitment(patientId, identifier))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      await expect(registry.connect(target).bindIdentifierCommitment(patientId, identifier))
        .to.emit(registry, "IdentifierCommitmentBound")
        .withArgs(patientId, identifier);
      // The guardians survive a key rotation.
      const [guardians] = await registry.guardiansOf(patientId);
      expect(guardians).to.deep.equal([...guardianIds]);
    });

    it("frees the old key, which may then register again", async function () {
      const f = await loadFixture(identityFixture);
      const target = signer(f.spareKeys, 0);
      await propose(f.registry, f.patientId, f.patientKey, target.address);
      await (await f.registry.connect(target).acceptControllerRotation(f.patientId)).wait();
      const fresh = await registerPatient(f, f.patientKey);
      expect(fresh).to.not.equal(f.patientId);
      expect(await f.registry.idOf(f.patientKey.address)).to.equal(fresh);
    });

    it("stops a guardian's old key from approving and lets its new key approve", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = f;
      const newGuardianKey = signer(spareKeys, 0);
      const recoveryKey = signer(spareKeys, 1).address;
      await propose(registry, guardianIds[0], guardianKeys[0], newGuardianKey.address);
      await (await registry.connect(newGuardianKey).acceptControllerRotation(guardianIds[0])).wait();
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, recoveryKey))
        .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
        .withArgs(patientId, guardianKeys[0].address);
      await expect(registry.connect(newGuardianKey).approveRecovery(patientId, recoveryKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], recoveryKey, 1, 0);
    });

    it("accepts at the deadline's last second", async function () {
      const { registry, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = await propose(registry, hospitalId, hospitalKey, target.address);
      await time.setNextBlockTimestamp(deadline);
      await expect(registry.connect(target).acceptControllerRotation(hospitalId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(hospitalId, hospitalKey.address, target.address, ControllerChange.Rotation);
      expect(await registry.activeIdOf(target.address, ParticipantKind.Organization)).to.equal(hospitalId);
    });

    it("reverts with IdentityNoPendingRotation once the deadline has passed", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      const deadline = await propose(registry, patientId, patientKey, target.address);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(registry.connect(target).acceptControllerRotation(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(patientId, target.address);
      expect((await readParticipant(registry, patientId)).controller).to.equal(patientKey.address);
    });

    it("reverts with IdentityNoPendingRotation when the proposal was cancelled", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      await (await registry.connect(patientKey).cancelControllerRotation(patientId)).wait();
      await expect(registry.connect(target).acceptControllerRotation(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(patientId, target.address);
    });

    it("reverts with IdentityNoPendingRotation when the proposal names another id", async function () {
      const { registry, patientId, patientKey, hospitalId, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      await expect(registry.connect(target).acceptControllerRotation(hospitalId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(hospitalId, target.address);
    });

    it("reverts with IdentityNoPendingRotation for a caller nobody proposed", async function () {
      const { registry, patientId, patientKey, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      await propose(registry, patientId, patientKey, signer(spareKeys, 0).address);
      for (const caller of [signer(spareKeys, 1), guardianKeys[0], patientKey]) {
        await expect(registry.connect(caller).acceptControllerRotation(patientId))
          .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityNoPendingRotation when the proposal was already accepted (replay)", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      await (await registry.connect(target).acceptControllerRotation(patientId)).wait();
      await expect(registry.connect(target).acceptControllerRotation(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(patientId, target.address);
    });

    it("reverts with IdentityParticipantRevoked when the id was revoked after the proposal", async function () {
      const { registry, registrar, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, hospitalId, hospitalKey, target.address);
      await (await registry.connect(registrar).revoke(hospitalId, REASON)).wait();
      await expect(registry.connect(target).acceptControllerRotation(hospitalId))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(hospitalId);
    });

    it("frees the target key at once when the proposing id is revoked", async function () {
      const { registry, registrar, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, hospitalId, hospitalKey, target.address);
      expect((await registry.pendingRotationOf(target.address))[0]).to.equal(hospitalId);
      await (await registry.connect(registrar).revoke(hospitalId, REASON)).wait();
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([0n, 0n]);
      await expect(registry.connect(target).registerPatient()).to.emit(registry, "ParticipantRegistered");
    });

    it("kills a pending guardian recovery", async function () {
      const f = await loadFixture(identityFixture);
      const target = signer(f.spareKeys, 0);
      await propose(f.registry, f.patientId, f.patientKey, target.address);
      await (
        await f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, signer(f.spareKeys, 1))
      ).wait();
      expect((await f.registry.pendingRecoveryOf(f.patientId))[1]).to.equal(1n);
      await (await f.registry.connect(target).acceptControllerRotation(f.patientId)).wait();
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([ZeroAddress, 0n, 0n]);
    });
  });

  describe("cancelControllerRotation", function () {
    it("withdraws the pending proposal and frees its target", async function () {
      const f = await loadFixture(identityFixture);
      const target = signer(f.spareKeys, 0);
      await propose(f.registry, f.patientId, f.patientKey, target.address);
      const epoch = (await readParticipant(f.registry, f.patientId)).keyEpoch;
      await expect(f.registry.connect(f.patientKey).cancelControllerRotation(f.patientId))
        .to.emit(f.registry, "ControllerRotationCancelled")
        .withArgs(f.patientId);
      expect(await f.registry.pendingRotationOf(target.address)).to.deep.equal([0n, 0n]);
      const after = await readParticipant(f.registry, f.patientId);
      expect(after.keyEpoch).to.equal(epoch + 1n);
      expect(after.controller).to.equal(f.patientKey.address);
      const id = await registerPatient(f, target);
      expect(await f.registry.idOf(target.address)).to.equal(id);
    });

    it("succeeds with nothing pending and still moves the key epoch on", async function () {
      const { registry, hospitalId, hospitalKey } = await loadFixture(identityFixture);
      await expect(registry.connect(hospitalKey).cancelControllerRotation(hospitalId))
        .to.emit(registry, "ControllerRotationCancelled")
        .withArgs(hospitalId);
      expect((await readParticipant(registry, hospitalId)).keyEpoch).to.equal(1n);
    });

    it("withdraws a pending guardian recovery as well", async function () {
      const f = await loadFixture(identityFixture);
      await reachThreshold(f, signer(f.spareKeys, 0).address);
      await (await f.registry.connect(f.patientKey).cancelControllerRotation(f.patientId)).wait();
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([ZeroAddress, 0n, 0n]);
      await time.increase(RECOVERY_DELAY);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityNotController when the caller is not the controller", async function () {
      const { registry, patientId, patientKey, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      for (const caller of [target, guardianKeys[0]]) {
        await expect(registry.connect(caller).cancelControllerRotation(patientId))
          .to.be.revertedWithCustomError(registry, "IdentityNotController")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, patientKey } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).cancelControllerRotation(unknown))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("setGuardians", function () {
    it("sets the guardians, threshold and delay of a patient", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const patient = await registerPatient(f, key);
      const guardians = [f.guardianIds[0], f.cardiologistId, f.hospitalId];
      await expect(f.registry.connect(key).setGuardians(patient, guardians, 2, 3 * DAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(patient, guardians, 2, 3 * DAY);
      expect(await f.registry.guardiansOf(patient)).to.deep.equal([guardians, 2n, BigInt(3 * DAY)]);
    });

    it("holds the fixture's guardian set", async function () {
      const { registry, patientId, guardianIds } = await loadFixture(identityFixture);
      expect(await registry.guardiansOf(patientId)).to.deep.equal([
        [...guardianIds],
        BigInt(GUARDIAN_THRESHOLD),
        BigInt(RECOVERY_DELAY),
      ]);
    });

    it("accepts MAX_GUARDIANS guardians, a threshold equal to their number and the delay bounds", async function () {
      const f = await loadFixture(identityFixture);
      const guardians = [...f.guardianIds, f.hospitalId, f.cardiologistId];
      for (let i = 0; guardians.length < 8; i++) guardians.push(await registerPatient(f, signer(f.spareKeys, i)));
      await expect(f.registry.connect(f.patientKey).setGuardians(f.patientId, guardians, 8, MIN_RECOVERY_DELAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(f.patientId, guardians, 8, MIN_RECOVERY_DELAY);
      await expect(f.registry.connect(f.patientKey).setGuardians(f.patientId, guardians, 1, MAX_RECOVERY_DELAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(f.patientId, guardians, 1, MAX_RECOVERY_DELAY);
      expect(await f.registry.guardiansOf(f.patientId)).to.deep.equal([guardians, 1n, BigInt(MAX_RECOVERY_DELAY)]);
    });

    it("clears the guardians with an empty list and threshold 0, ignoring the delay", async function () {
      const { registry, patientId, patientKey, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      await expect(registry.connect(patientKey).setGuardians(patientId, [], 0, 12345))
        .to.emit(registry, "GuardiansSet")
        .withArgs(patientId, [], 0, 0);
      expect(await registry.guardiansOf(patientId)).to.deep.equal([[], 0n, 0n]);
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, signer(spareKeys, 0)))
        .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
        .withArgs(patientId, guardianKeys[0].address);
    });

    it("drops a pending recovery, even when the set is unchanged", async function () {
      const f = await loadFixture(identityFixture);
      await reachThreshold(f, signer(f.spareKeys, 0).address);
      await (
        await f.registry
          .connect(f.patientKey)
          .setGuardians(f.patientId, [...f.guardianIds], GUARDIAN_THRESHOLD, RECOVERY_DELAY)
      ).wait();
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([ZeroAddress, 0n, 0n]);
      await time.increase(RECOVERY_DELAY);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityNotController when the caller is not the patient's controller", async function () {
      const { registry, patientId, guardianIds, guardianKeys, hospitalKey } = await loadFixture(identityFixture);
      for (const caller of [guardianKeys[0], hospitalKey]) {
        await expect(registry.connect(caller).setGuardians(patientId, [guardianIds[1]], 1, DAY))
          .to.be.revertedWithCustomError(registry, "IdentityNotController")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, patientKey, guardianIds } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).setGuardians(unknown, [guardianIds[0]], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityWrongKind when the id is not a patient", async function () {
      const { registry, hospitalId, hospitalKey, guardianIds } = await loadFixture(identityFixture);
      await expect(registry.connect(hospitalKey).setGuardians(hospitalId, [guardianIds[0]], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityWrongKind")
        .withArgs(hospitalId, ParticipantKind.Patient, ParticipantKind.Organization);
    });

    it("reverts with IdentityParticipantInactive when the patient is suspended", async function () {
      const { registry, registrar, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[0]], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantInactive")
        .withArgs(patientId);
    });

    it("reverts with IdentityInvalidGuardianSet when there are more than MAX_GUARDIANS", async function () {
      const f = await loadFixture(identityFixture);
      const guardians = [...f.guardianIds, f.hospitalId, f.cardiologistId];
      for (let i = 0; guardians.length < 9; i++) guardians.push(await registerPatient(f, signer(f.spareKeys, i)));
      await expect(f.registry.connect(f.patientKey).setGuardians(f.patientId, guardians, 1, DAY))
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidGuardianSet")
        .withArgs(9, 1);
    });

    it("reverts with IdentityInvalidGuardianSet when the threshold is 0 or above the number of guardians", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const guardians = [guardianIds[0], guardianIds[1]];
      await expect(registry.connect(patientKey).setGuardians(patientId, guardians, 0, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardianSet")
        .withArgs(2, 0);
      await expect(registry.connect(patientKey).setGuardians(patientId, guardians, 3, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardianSet")
        .withArgs(2, 3);
      await expect(registry.connect(patientKey).setGuardians(patientId, [], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardianSet")
        .withArgs(0, 1);
    });

    it("reverts with IdentityRecoveryDelayOutOfRange outside [MIN_RECOVERY_DELAY, MAX_RECOVERY_DELAY]", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      for (const delay of [0, MIN_RECOVERY_DELAY - 1, MAX_RECOVERY_DELAY + 1]) {
        await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[0]], 1, delay))
          .to.be.revertedWithCustomError(registry, "IdentityRecoveryDelayOutOfRange")
          .withArgs(delay);
      }
    });

    it("reverts with IdentityInvalidGuardian for a duplicate guardian", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const guardians = [guardianIds[0], guardianIds[1], guardianIds[0]];
      await expect(registry.connect(patientKey).setGuardians(patientId, guardians, 2, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardian")
        .withArgs(guardianIds[0]);
    });

    it("reverts with IdentityInvalidGuardian when the patient names itself", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[0], patientId], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardian")
        .withArgs(patientId);
    });

    it("reverts with IdentityInvalidGuardian for an unknown, suspended, revoked or expired guardian", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey } = f;
      const unknown = (await registry.lastId()) + 100n;
      await (await registry.connect(registrar).suspend(f.guardianIds[1], REASON)).wait();
      await (await registry.connect(registrar).revoke(f.guardianIds[2], REASON)).wait();
      const shortLived = await registerInstitutional(
        f,
        ParticipantKind.Regulator,
        signer(f.spareKeys, 0),
        0n,
        BigInt(await time.latest()) + 100n,
      );
      await time.increase(100);
      for (const bad of [unknown, 0n, f.guardianIds[1], f.guardianIds[2], shortLived]) {
        await expect(registry.connect(patientKey).setGuardians(patientId, [f.guardianIds[0], bad], 1, DAY))
          .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardian")
          .withArgs(bad);
      }
    });
  });

  describe("approveRecovery", function () {
    it("opens a recovery with the first approval, without a readyAt", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], newKey, 1, 0);
      expect(await registry.pendingRecoveryOf(patientId)).to.deep.equal([newKey, 1n, 0n]);
      expect((await readParticipant(registry, patientId)).controller).to.not.equal(newKey);
    });

    it("starts the delay when the threshold is reached and keeps it on later approvals", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey)).wait();
      const now = await nextTimestamp();
      const readyAt = now + RECOVERY_DELAY;
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], newKey, 2, readyAt);
      expect(await registry.pendingRecoveryOf(patientId)).to.deep.equal([newKey, 2n, BigInt(readyAt)]);
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[2], newKey, 3, readyAt);
      expect(await registry.pendingRecoveryOf(patientId)).to.deep.equal([newKey, 3n, BigInt(readyAt)]);
    });

    it("lets guardians recover a suspended patient", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.registrar).suspend(f.patientId, REASON)).wait();
      const newKey = signer(f.spareKeys, 0).address;
      const readyAt = await reachThreshold(f, newKey);
      expect(readyAt).to.not.equal(0n);
      await time.increaseTo(readyAt);
      await (await f.registry.executeRecovery(f.patientId)).wait();
      expect(await f.registry.idOf(newKey)).to.equal(f.patientId);
    });

    it("opens a fresh recovery to another key once a rotation killed the previous one", async function () {
      const f = await loadFixture(identityFixture);
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      await (await f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, first)).wait();
      await (await f.registry.connect(f.patientKey).cancelControllerRotation(f.patientId)).wait();
      await expect(f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, second))
        .to.emit(f.registry, "RecoveryApproved")
        .withArgs(f.patientId, f.guardianIds[0], second, 1, 0);
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([second, 1n, 0n]);
    });

    it("reverts with IdentityNotGuardian when the caller is not an active guardian of the patient", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, guardianIds, guardianKeys, hospitalKey, patientKey, spareKeys } = f;
      const newKey = signer(spareKeys, 0).address;
      const stranger = signer(spareKeys, 1);
      await (await registry.connect(registrar).suspend(guardianIds[2], REASON)).wait();
      for (const caller of [stranger, hospitalKey, patientKey, guardianKeys[2]]) {
        await expect(registry.connect(caller).approveRecovery(patientId, newKey))
          .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityNotGuardian when the caller is only the pending rotation target of a guardian", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, guardianIds[0], guardianKeys[0], target.address);
      await expect(registry.connect(target).approveRecovery(patientId, signer(spareKeys, 1)))
        .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
        .withArgs(patientId, target.address);
    });

    it("reverts with IdentityWrongKind when the id is not a patient", async function () {
      const { registry, hospitalId, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      await expect(registry.connect(guardianKeys[0]).approveRecovery(hospitalId, signer(spareKeys, 0)))
        .to.be.revertedWithCustomError(registry, "IdentityWrongKind")
        .withArgs(hospitalId, ParticipantKind.Patient, ParticipantKind.Organization);
    });

    it("reverts with IdentityUnknownParticipant for an id nobody has", async function () {
      const { registry, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(guardianKeys[0]).approveRecovery(unknown, signer(spareKeys, 0)))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityParticipantRevoked when the patient is revoked", async function () {
      const { registry, registrar, patientId, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(patientId, REASON)).wait();
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, signer(spareKeys, 0)))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(patientId);
    });

    it("reverts with IdentityZeroAddress when the new key is the zero address", async function () {
      const { registry, patientId, guardianKeys } = await loadFixture(identityFixture);
      await expect(
        registry.connect(guardianKeys[0]).approveRecovery(patientId, ZeroAddress),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroAddress");
    });

    it("reverts with IdentityAccountAlreadyBound when the new key controls an id or is a live rotation target", async function () {
      const { registry, patientId, guardianKeys, hospitalId, hospitalKey, spareKeys } =
        await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, hospitalId, hospitalKey, target.address);
      for (const bound of [hospitalKey.address, guardianKeys[1].address, target.address]) {
        await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, bound))
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(bound);
      }
    });

    it("reverts with IdentityRecoveryConflict when a guardian names another key", async function () {
      const { registry, patientId, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const [first, second] = [signer(spareKeys, 0).address, signer(spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, second))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryConflict")
        .withArgs(patientId, first);
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, ZeroAddress))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryConflict")
        .withArgs(patientId, first);
    });

    it("reverts with IdentityRecoveryAlreadyApproved when a guardian approves twice", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey)).wait();
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyApproved")
        .withArgs(patientId, guardianIds[0]);
      expect(await registry.pendingRecoveryOf(patientId)).to.deep.equal([newKey, 1n, 0n]);
    });
  });

  describe("cancelRecovery", function () {
    it("lets the patient's key cancel a pending recovery", async function () {
      const f = await loadFixture(identityFixture);
      await reachThreshold(f, signer(f.spareKeys, 0).address);
      const epoch = (await readParticipant(f.registry, f.patientId)).keyEpoch;
      await expect(f.registry.connect(f.patientKey).cancelRecovery(f.patientId))
        .to.emit(f.registry, "RecoveryCancelled")
        .withArgs(f.patientId);
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([ZeroAddress, 0n, 0n]);
      expect((await readParticipant(f.registry, f.patientId)).keyEpoch).to.equal(epoch);
      await time.increase(RECOVERY_DELAY);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId);
    });

    it("lets guardians start over after a cancellation", async function () {
      const f = await loadFixture(identityFixture);
      await reachThreshold(f, signer(f.spareKeys, 0).address);
      await (await f.registry.connect(f.patientKey).cancelRecovery(f.patientId)).wait();
      const other = signer(f.spareKeys, 1).address;
      await expect(f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, other))
        .to.emit(f.registry, "RecoveryApproved")
        .withArgs(f.patientId, f.guardianIds[0], other, 1, 0);
    });

    it("reverts with IdentityNotController when a guardian or stranger tries to cancel", async function () {
      const f = await loadFixture(identityFixture);
      await reachThreshold(f, signer(f.spareKeys, 0).address);
      for (const caller of [signer(f.guardianKeys, 0), signer(f.spareKeys, 1)]) {
        await expect(f.registry.connect(caller).cancelRecovery(f.patientId))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotController")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("reverts with IdentityNoPendingRecovery when none is pending or a rotation killed it", async function () {
      const { registry, patientId, patientKey, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      await expect(registry.connect(patientKey).cancelRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, signer(spareKeys, 0))).wait();
      const newKey = signer(spareKeys, 1);
      await propose(registry, patientId, patientKey, newKey.address);
      await (await registry.connect(newKey).acceptControllerRotation(patientId)).wait();
      await expect(registry.connect(newKey).cancelRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, patientKey } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).cancelRecovery(unknown))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("executeRecovery", function () {
    it("lets anyone hand the id to the approved key once the delay has passed", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      const epoch = (await readParticipant(f.registry, f.patientId)).keyEpoch;
      await time.setNextBlockTimestamp(readyAt);
      await expect(f.registry.connect(signer(f.spareKeys, 1)).executeRecovery(f.patientId))
        .to.emit(f.registry, "ControllerChanged")
        .withArgs(f.patientId, f.patientKey.address, newKey.address, ControllerChange.GuardianRecovery);
      const after = await readParticipant(f.registry, f.patientId);
      expect(after.controller).to.equal(newKey.address);
      expect(after.keyEpoch).to.equal(epoch + 1n);
      expect(await f.registry.idOf(newKey.address)).to.equal(f.patientId);
      expect(await f.registry.idOf(f.patientKey.address)).to.equal(0n);
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([ZeroAddress, 0n, 0n]);
      expect((await f.registry.guardiansOf(f.patientId))[0]).to.deep.equal([...f.guardianIds]);
      await expect(f.registry.connect(f.patientKey).cancelControllerRotation(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNotController")
        .withArgs(f.patientId, f.patientKey.address);
    });

    it("reverts with IdentityRecoveryNotReady one second before readyAt", async function () {
      const f = await loadFixture(identityFixture);
      const readyAt = await reachThreshold(f, signer(f.spareKeys, 0).address);
      await time.setNextBlockTimestamp(readyAt - 1n);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityRecoveryNotReady")
        .withArgs(f.patientId, readyAt);
    });

    it("reverts with IdentityRecoveryNotReady and readyAt 0 below the threshold", async function () {
      const { registry, patientId, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, signer(spareKeys, 0))).wait();
      await time.increase(MAX_RECOVERY_DELAY);
      await expect(registry.executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, 0);
    });

    it("reverts with IdentityNoPendingRecovery when none is pending or it was already executed", async function () {
      const f = await loadFixture(identityFixture);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId);
      await expect(f.registry.executeRecovery(f.hospitalId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.hospitalId);
      const readyAt = await reachThreshold(f, signer(f.spareKeys, 0).address);
      await time.increaseTo(readyAt);
      await (await f.registry.executeRecovery(f.patientId)).wait();
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityNoPendingRecovery when the patient's key rotated meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const readyAt = await reachThreshold(f, signer(f.spareKeys, 0).address);
      const target = signer(f.spareKeys, 1);
      await propose(f.registry, f.patientId, f.patientKey, target.address);
      await (await f.registry.connect(target).acceptControllerRotation(f.patientId)).wait();
      await time.increaseTo(readyAt);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId);
      expect(await f.registry.idOf(target.address)).to.equal(f.patientId);
    });

    it("reverts with IdentityParticipantRevoked when the patient was revoked meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const readyAt = await reachThreshold(f, signer(f.spareKeys, 0).address);
      await (await f.registry.connect(f.registrar).revoke(f.patientId, REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantRevoked")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityAccountAlreadyBound when the new key got bound meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await registerPatient(f, newKey);
      await time.increaseTo(readyAt);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
    });

    it("reverts with IdentityAccountAlreadyBound when the new key became a live rotation target meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await propose(f.registry, f.hospitalId, f.hospitalKey, newKey.address, MAX_ROTATION_WINDOW);
      await time.increaseTo(readyAt);
      await expect(f.registry.executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
    });
  });

  describe("appointRepresentative", function () {
    it("appoints an active patient as representative until expiresAt", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(30 * DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, guardianIds[0], expiresAt);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(true);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(expiresAt);
      expect(await registry.isRepresentative(guardianIds[0], patientId)).to.equal(false);
    });

    it("appoints an active practitioner as representative", async function () {
      const { registry, patientId, patientKey, cardiologistId } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, cardiologistId, expiresAt);
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(true);
    });

    it("changes the expiry of an existing appointment", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const first = BigInt(await time.latest()) + BigInt(30 * DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], first)).wait();
      const second = first - BigInt(20 * DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], second))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, guardianIds[0], second);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(second);
    });

    it("ends by itself at expiresAt, without any transaction", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await time.increaseTo(expiresAt - 1n);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(false);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(expiresAt);
    });

    it("stops counting while the representative is suspended and resumes on reinstatement", async function () {
      const { registry, registrar, patientId, patientKey, cardiologistId } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(30 * DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
      await (await registry.connect(registrar).reinstate(cardiologistId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(true);
    });

    it("reverts with IdentityNotController when the caller is not the patient's controller", async function () {
      const { registry, patientId, guardianIds, guardianKeys } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await expect(registry.connect(guardianKeys[0]).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, guardianKeys[0].address);
    });

    it("reverts with IdentityUnknownParticipant, IdentityWrongKind or IdentityParticipantInactive for a bad patient", async function () {
      const { registry, registrar, patientId, patientKey, hospitalId, hospitalKey, guardianIds } =
        await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).appointRepresentative(unknown, guardianIds[0], expiresAt))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
      await expect(registry.connect(hospitalKey).appointRepresentative(hospitalId, guardianIds[0], expiresAt))
        .to.be.revertedWithCustomError(registry, "IdentityWrongKind")
        .withArgs(hospitalId, ParticipantKind.Patient, ParticipantKind.Organization);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantInactive")
        .withArgs(patientId);
    });

    it("reverts with IdentityInvalidRepresentative for the patient, a wrong kind or an inactive participant", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, hospitalId, guardianIds } = f;
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), hospitalId);
      const payer = await registerInstitutional(f, ParticipantKind.Payer, signer(f.spareKeys, 1));
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await (await registry.connect(registrar).revoke(guardianIds[2], REASON)).wait();
      const unknown = (await registry.lastId()) + 1n;
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      for (const bad of [patientId, hospitalId, device, payer, guardianIds[1], guardianIds[2], unknown, 0n]) {
        await expect(registry.connect(patientKey).appointRepresentative(patientId, bad, expiresAt))
          .to.be.revertedWithCustomError(registry, "IdentityInvalidRepresentative")
          .withArgs(bad);
      }
    });

    it("reverts with IdentityInvalidRepresentative for a practitioner whose credential expired", async function () {
      const { registry, patientId, patientKey, cardiologistId, credentialExpiry } = await loadFixture(identityFixture);
      await time.increaseTo(credentialExpiry);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, credentialExpiry + 1n))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidRepresentative")
        .withArgs(cardiologistId);
    });

    it("reverts with IdentityRepresentationExpiryInPast when expiresAt is not after now", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const now = await nextTimestamp();
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], now))
        .to.be.revertedWithCustomError(registry, "IdentityRepresentationExpiryInPast")
        .withArgs(now, now);
    });
  });

  describe("revokeRepresentative", function () {
    it("lets the patient end a current representation", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[0]))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, guardianIds[0], false);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(false);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(0n);
    });

    it("lets the patient end the appointment of a suspended representative", async function () {
      const { registry, registrar, patientId, patientKey, cardiologistId } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, cardiologistId))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, cardiologistId, false);
      // Reinstating the practitioner does not bring the ended appointment back.
      await (await registry.connect(registrar).reinstate(cardiologistId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
    });

    it("reverts with IdentityNotController when the representative or a stranger tries", async function () {
      const { registry, patientId, patientKey, guardianIds, guardianKeys, spareKeys } =
        await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      for (const caller of [guardianKeys[0], signer(spareKeys, 0)]) {
        await expect(registry.connect(caller).revokeRepresentative(patientId, guardianIds[0]))
          .to.be.revertedWithCustomError(registry, "IdentityNotController")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityNotRepresentative when never appointed, already revoked or expired", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[0]))
        .to.be.revertedWithCustomError(registry, "IdentityNotRepresentative")
        .withArgs(patientId, guardianIds[0]);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      for (const representative of [guardianIds[0], guardianIds[1]]) {
        await (await registry.connect(patientKey).appointRepresentative(patientId, representative, expiresAt)).wait();
      }
      await (await registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[0])).wait();
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[0]))
        .to.be.revertedWithCustomError(registry, "IdentityNotRepresentative")
        .withArgs(patientId, guardianIds[0]);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[1]))
        .to.be.revertedWithCustomError(registry, "IdentityNotRepresentative")
        .withArgs(patientId, guardianIds[1]);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered patient", async function () {
      const { registry, patientKey, guardianIds } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).revokeRepresentative(unknown, guardianIds[0]))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("resignRepresentative", function () {
    it("lets the representative step down", async function () {
      const { registry, patientId, patientKey, cardiologistId, cardiologistKey } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      await expect(registry.connect(cardiologistKey).resignRepresentative(patientId, cardiologistId))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, cardiologistId, true);
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
      expect(await registry.representationExpiry(patientId, cardiologistId)).to.equal(0n);
    });

    it("reverts with IdentityNotController when the patient or a stranger tries to resign for the representative", async function () {
      const { registry, patientId, patientKey, cardiologistId, spareKeys } = await loadFixture(identityFixture);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      for (const caller of [patientKey, signer(spareKeys, 0)]) {
        await expect(registry.connect(caller).resignRepresentative(patientId, cardiologistId))
          .to.be.revertedWithCustomError(registry, "IdentityNotController")
          .withArgs(cardiologistId, caller.address);
      }
    });

    it("reverts with IdentityNotRepresentative when not appointed or expired", async function () {
      const { registry, patientId, patientKey, cardiologistId, cardiologistKey, guardianIds, guardianKeys } =
        await loadFixture(identityFixture);
      await expect(registry.connect(cardiologistKey).resignRepresentative(patientId, cardiologistId))
        .to.be.revertedWithCustomError(registry, "IdentityNotRepresentative")
        .withArgs(patientId, cardiologistId);
      const expiresAt = BigInt(await time.latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await time.increaseTo(expiresAt);
      await expect(registry.connect(guardianKeys[0]).resignRepresentative(patientId, guardianIds[0]))
        .to.be.revertedWithCustomError(registry, "IdentityNotRepresentative")
        .withArgs(patientId, guardianIds[0]);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered representative", async function () {
      const { registry, patientId, cardiologistKey } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(cardiologistKey).resignRepresentative(patientId, unknown))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("bindIdentifierCommitment", function () {
    it("binds a salted identifier commitment to the patient", async function () {
      const { registry, patientId, patientKey } = await loadFixture(identityFixture);
      const { commitment } = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-0042");
      await expect(registry.connect(patientKey).bindIdentifierCommitment(patientId, commitment))
        .to.emit(registry, "IdentifierCommitmentBound")
        .withArgs(patientId, commitment);
      expect(await registry.identifierOwner(commitment)).to.equal(patientId);
    });

    it("binds several commitments to one patient", async function () {
      const { registry, patientId, patientKey } = await loadFixture(identityFixture);
      const first = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-0042").commitment;
      const second = identifierCommitment("urn:oid:2.16.840.1.113883.19.6", "MRN-7").commitment;
      await (await registry.connect(patientKey).bindIdentifierCommitment(patientId, first)).wait();
      await (await registry.connect(patientKey).bindIdentifierCommitment(patientId, second)).wait();
      expect(await registry.identifierOwner(first)).to.equal(patientId);
      expect(await registry.identifierOwner(second)).to.equal(patientId);
    });

    it("reverts with IdentityNotController when the caller is not the patient's controller", async function () {
      const { registry, patientId, guardianKeys } = await loadFixture(identityFixture);
      const { commitment } = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-0042");
      await expect(registry.connect(guardianKeys[0]).bindIdentifierCommitment(patientId, commitment))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, guardianKeys[0].address);
    });

    it("reverts with IdentityUnknownParticipant, IdentityWrongKind or IdentityParticipantInactive for a bad patient", async function () {
      const { registry, registrar, patientId, patientKey, cardiologistId, cardiologistKey } =
        await loadFixture(identityFixture);
      const { commitment } = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-0042");
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).bindIdentifierCommitment(unknown, commitment))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
      await expect(registry.connect(cardiologistKey).bindIdentifierCommitment(cardiologistId, commitment))
        .to.be.revertedWithCustomError(registry, "IdentityWrongKind")
        .withArgs(cardiologistId, ParticipantKind.Patient, ParticipantKind.Practitioner);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).bindIdentifierCommitment(patientId, commitment))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantInactive")
        .withArgs(patientId);
    });

    it("reverts with IdentityZeroCommitment for a zero commitment", async function () {
      const { registry, patientId, patientKey } = await loadFixture(identityFixture);
      await expect(
        registry.connect(patientKey).bindIdentifierCommitment(patientId, ZeroHash),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroCommitment");
    });

    it("reverts with IdentityCommitmentAlreadyBound when the commitment is bound to this or another patient", async function () {
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = await loadFixture(identityFixture);
      const { commitment } = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-0042");
      await (await registry.connect(patientKey).bindIdentifierCommitment(patientId, commitment)).wait();
      await expect(registry.connect(patientKey).bindIdentifierCommitment(patientId, commitment))
        .to.be.revertedWithCustomError(registry, "IdentityCommitmentAlreadyBound")
        .withArgs(commitment);
      await expect(registry.connect(guardianKeys[0]).bindIdentifierCommitment(guardianIds[0], commitment))
        .to.be.revertedWithCustomError(registry, "IdentityCommitmentAlreadyBound")
        .withArgs(commitment);
      expect(await registry.identifierOwner(commitment)).to.equal(patientId);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Registrar writes
  // -------------------------------------------------------------------------------------------------------------------

  describe("registerParticipant", function () {
    it("registers an organization with its credential and no affiliation", async function () {
      const { registry, registrar, spareKeys } = await loadFixture(identityFixture);
      const key = signer(spareKeys, 0);
      const credential = commit("accreditation:clinic:0002");
      const expiry = BigInt(await time.latest()) + BigInt(YEAR);
      const id = (await registry.lastId()) + 1n;
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(ParticipantKind.Organization, key, credential.commitment, expiry, 0),
      )
        .to.emit(registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Organization, key.address)
        .and.to.emit(registry, "CredentialUpdated")
        .withArgs(id, credential.commitment, expiry)
        .and.not.to.emit(registry, "AffiliationChanged");
      expect(await readParticipant(registry, id)).to.deep.equal({
        controller: key.address,
        kind: BigInt(ParticipantKind.Organization),
        status: BigInt(ParticipantStatus.Active),
        identityProofed: false,
        credentialExpiry: expiry,
        keyEpoch: 0n,
        affiliation: 0n,
        credentialCommitment: credential.commitment,
      });
      expect(await registry.idOf(key.address)).to.equal(id);
      expect(await registry.activeIdOf(key.address, ParticipantKind.Organization)).to.equal(id);
      expect(await registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Organization), 0n, true]);
    });

    it("registers a practitioner affiliated to an active institution", async function () {
      const { registry, registrar, hospitalId, spareKeys } = await loadFixture(identityFixture);
      const key = signer(spareKeys, 0);
      const credential = commit("licence:nephrology:0003");
      const expiry = BigInt(await time.latest()) + BigInt(YEAR);
      const id = (await registry.lastId()) + 1n;
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(ParticipantKind.Practitioner, key, credential.commitment, expiry, hospitalId),
      )
        .to.emit(registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Practitioner, key.address)
        .and.to.emit(registry, "CredentialUpdated")
        .withArgs(id, credential.commitment, expiry)
        .and.to.emit(registry, "AffiliationChanged")
        .withArgs(id, 0, hospitalId);
      expect((await readParticipant(registry, id)).affiliation).to.equal(hospitalId);
      expect(await registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Practitioner), hospitalId, true]);
    });

    it("registers a device affiliated to any active institutional kind", async function () {
      const f = await loadFixture(identityFixture);
      const manufacturer = await registerInstitutional(f, ParticipantKind.Manufacturer, signer(f.spareKeys, 0));
      const key = signer(f.spareKeys, 1);
      const credential = commit("device:udi:0004");
      const id = (await f.registry.lastId()) + 1n;
      await expect(
        f.registry
          .connect(f.registrar)
          .registerParticipant(ParticipantKind.Device, key, credential.commitment, f.credentialExpiry, manufacturer),
      )
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(id, 0, manufacturer);
      expect(await f.registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Device), manufacturer, true]);
    });

    it("registers every institutional kind", async function () {
      const f = await loadFixture(identityFixture);
      const kinds = [
        ParticipantKind.Organization,
        ParticipantKind.Payer,
        ParticipantKind.Pharmacy,
        ParticipantKind.Manufacturer,
        ParticipantKind.Distributor,
        ParticipantKind.ResearchSponsor,
        ParticipantKind.Regulator,
      ];
      for (const [i, kind] of kinds.entries()) {
        const key = signer(f.spareKeys, i);
        const id = await registerInstitutional(f, kind, key);
        expect(await f.registry.activeIdOf(key.address, kind)).to.equal(id);
        expect((await readParticipant(f.registry, id)).kind).to.equal(BigInt(kind));
      }
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, admin, pauser, auditor, hospitalKey, spareKeys, credentialExpiry } =
        await loadFixture(identityFixture);
      const { commitment } = commit("accreditation:clinic:0005");
      for (const caller of [admin, pauser, auditor, hospitalKey, signer(spareKeys, 1)]) {
        await expect(
          registry
            .connect(caller)
            .registerParticipant(ParticipantKind.Organization, signer(spareKeys, 0), commitment, credentialExpiry, 0),
        )
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityKindNotRegistrable for None and Patient", async function () {
      const { registry, registrar, spareKeys, credentialExpiry } = await loadFixture(identityFixture);
      const { commitment } = commit("accreditation:clinic:0006");
      for (const kind of [ParticipantKind.None, ParticipantKind.Patient]) {
        await expect(
          registry.connect(registrar).registerParticipant(kind, signer(spareKeys, 0), commitment, credentialExpiry, 0),
        )
          .to.be.revertedWithCustomError(registry, "IdentityKindNotRegistrable")
          .withArgs(kind);
      }
    });

    it("reverts without data for a kind outside the enum", async function () {
      const { registry, registrar, spareKeys, credentialExpiry } = await loadFixture(identityFixture);
      const { commitment } = commit("accreditation:clinic:0007");
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(ParticipantKind.Device + 1, signer(spareKeys, 0), commitment, credentialExpiry, 0),
      ).to.be.revertedWithoutReason();
    });

    it("reverts with IdentityZeroAddress for the zero controller", async function () {
      const { registry, registrar, credentialExpiry } = await loadFixture(identityFixture);
      const { commitment } = commit("accreditation:clinic:0008");
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(ParticipantKind.Organization, ZeroAddress, commitment, credentialExpiry, 0),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroAddress");
    });

    it("reverts with IdentityAccountAlreadyBound when the controller is bound or a live rotation target", async function () {
      const { registry, registrar, patientId, patientKey, hospitalKey, spareKeys, credentialExpiry } =
        await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      await propose(registry, patientId, patientKey, target.address);
      const { commitment } = commit("accreditation:clinic:0009");
      for (const bound of [patientKey.address, hospitalKey.address, target.address]) {
        await expect(
          registry
            .connect(registrar)
            .registerParticipant(ParticipantKind.Organization, bound, commitment, credentialExpiry, 0),
        )
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(bound);
      }
    });

    it("reverts with IdentityZeroCommitment for a zero credential commitment", async function () {
      const { registry, registrar, spareKeys, credentialExpiry } = await loadFixture(identityFixture);
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(ParticipantKind.Organization, signer(spareKeys, 0), ZeroHash, credentialExpiry, 0),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroCommitment");
    });

    it("reverts with IdentityCredentialExpiryInPast when the expiry is not after now", async function () {
      const { registry, registrar, spareKeys } = await loadFixture(identityFixture);
      const { commitment } = commit("accreditation:clinic:0010");
      const now = await nextTimestamp();
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(ParticipantKind.Organization, signer(spareKeys, 0), commitment, now, 0),
      )
        .to.be.revertedWithCustomError(registry, "IdentityCredentialExpiryInPast")
        .withArgs(now, now);
    });

    it("reverts with IdentityInvalidAffiliation when a practitioner or device names no active institution", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, credentialExpiry, patientId, cardiologistId } = f;
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), f.hospitalId);
      const suspendedOrg = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 1));
      await (await registry.connect(registrar).suspend(suspendedOrg, REASON)).wait();
      const revokedOrg = await registerInstitutional(f, ParticipantKind.Pharmacy, signer(f.spareKeys, 2));
      await (await registry.connect(registrar).revoke(revokedOrg, REASON)).wait();
      const expiringOrg = await registerInstitutional(
        f,
        ParticipantKind.Organization,
        signer(f.spareKeys, 3),
        0n,
        BigInt(await time.latest()) + 50n,
      );
      await time.increase(50);
      const unknown = (await registry.lastId()) + 1n;
      const { commitment } = commit("licence:0011");
      for (const kind of [ParticipantKind.Practitioner, ParticipantKind.Device]) {
        for (const bad of [0n, unknown, patientId, cardiologistId, device, suspendedOrg, revokedOrg, expiringOrg]) {
          await expect(
            registry
              .connect(registrar)
              .registerParticipant(kind, signer(f.spareKeys, 4), commitment, credentialExpiry, bad),
          )
            .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
            .withArgs(kind, bad);
        }
      }
    });

    it("reverts with IdentityInvalidAffiliation when another kind names an affiliation", async function () {
      const { registry, registrar, hospitalId, spareKeys, credentialExpiry } = await loadFixture(identityFixture);
      const { commitment } = commit("accreditation:0012");
      for (const kind of [ParticipantKind.Organization, ParticipantKind.Payer, ParticipantKind.Regulator]) {
        await expect(
          registry
            .connect(registrar)
            .registerParticipant(kind, signer(spareKeys, 0), commitment, credentialExpiry, hospitalId),
        )
          .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
          .withArgs(kind, hospitalId);
      }
    });
  });

  describe("renewCredential", function () {
    it("replaces the credential commitment and expiry", async function () {
      const { registry, registrar, cardiologistId, credentialExpiry } = await loadFixture(identityFixture);
      const renewed = commit("licence:cardiology:0001:renewed");
      const expiry = credentialExpiry + BigInt(YEAR);
      await expect(registry.connect(registrar).renewCredential(cardiologistId, renewed.commitment, expiry))
        .to.emit(registry, "CredentialUpdated")
        .withArgs(cardiologistId, renewed.commitment, expiry);
      const after = await readParticipant(registry, cardiologistId);
      expect(after.credentialCommitment).to.equal(renewed.commitment);
      expect(after.credentialExpiry).to.equal(expiry);
      expect(after.status).to.equal(BigInt(ParticipantStatus.Active));
    });

    it("reactivates a participant whose credential had expired", async function () {
      const { registry, registrar, hospitalId, hospitalKey, credentialExpiry } = await loadFixture(identityFixture);
      await time.increaseTo(credentialExpiry);
      expect(await registry.isActive(hospitalId)).to.equal(false);
      const expiry = credentialExpiry + BigInt(YEAR);
      await (
        await registry.connect(registrar).renewCredential(hospitalId, commit("renewed").commitment, expiry)
      ).wait();
      expect(await registry.isActive(hospitalId)).to.equal(true);
      expect(await registry.activeIdOf(hospitalKey.address, ParticipantKind.Organization)).to.equal(hospitalId);
    });

    it("renews a suspended participant without reinstating it", async function () {
      const { registry, registrar, hospitalId, credentialExpiry } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      const expiry = credentialExpiry + 1n;
      const { commitment } = commit("renewed");
      await expect(registry.connect(registrar).renewCredential(hospitalId, commitment, expiry))
        .to.emit(registry, "CredentialUpdated")
        .withArgs(hospitalId, commitment, expiry);
      expect((await readParticipant(registry, hospitalId)).status).to.equal(BigInt(ParticipantStatus.Suspended));
      expect(await registry.isActive(hospitalId)).to.equal(false);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, admin, hospitalId, hospitalKey, credentialExpiry } = await loadFixture(identityFixture);
      const { commitment } = commit("renewed");
      for (const caller of [admin, hospitalKey]) {
        await expect(registry.connect(caller).renewCredential(hospitalId, commitment, credentialExpiry))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, registrar, credentialExpiry } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(registrar).renewCredential(unknown, commit("x").commitment, credentialExpiry))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityKindNotRegistrable for a patient", async function () {
      const { registry, registrar, patientId, credentialExpiry } = await loadFixture(identityFixture);
      await expect(registry.connect(registrar).renewCredential(patientId, commit("x").commitment, credentialExpiry))
        .to.be.revertedWithCustomError(registry, "IdentityKindNotRegistrable")
        .withArgs(ParticipantKind.Patient);
    });

    it("reverts with IdentityParticipantRevoked for a revoked participant", async function () {
      const { registry, registrar, hospitalId, credentialExpiry } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(hospitalId, REASON)).wait();
      await expect(registry.connect(registrar).renewCredential(hospitalId, commit("x").commitment, credentialExpiry))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(hospitalId);
    });

    it("reverts with IdentityZeroCommitment or IdentityCredentialExpiryInPast for a bad credential", async function () {
      const { registry, registrar, hospitalId, credentialExpiry } = await loadFixture(identityFixture);
      await expect(
        registry.connect(registrar).renewCredential(hospitalId, ZeroHash, credentialExpiry),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroCommitment");
      const now = await nextTimestamp();
      await expect(registry.connect(registrar).renewCredential(hospitalId, commit("x").commitment, now))
        .to.be.revertedWithCustomError(registry, "IdentityCredentialExpiryInPast")
        .withArgs(now, now);
    });
  });

  describe("setAffiliation", function () {
    it("moves a practitioner to another active institution", async function () {
      const f = await loadFixture(identityFixture);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
      await expect(f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(f.cardiologistId, f.hospitalId, clinic);
      expect((await readParticipant(f.registry, f.cardiologistId)).affiliation).to.equal(clinic);
      expect(await f.registry.standingOf(f.cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        clinic,
        true,
      ]);
    });

    it("moves a device to another active institution", async function () {
      const f = await loadFixture(identityFixture);
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), f.hospitalId);
      const lab = await registerInstitutional(f, ParticipantKind.ResearchSponsor, signer(f.spareKeys, 1));
      await expect(f.registry.connect(f.registrar).setAffiliation(device, lab))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(device, f.hospitalId, lab);
      expect((await f.registry.standingOf(device))[1]).to.equal(lab);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, admin, hospitalKey, cardiologistId, hospitalId } = await loadFixture(identityFixture);
      for (const caller of [admin, hospitalKey]) {
        await expect(registry.connect(caller).setAffiliation(cardiologistId, hospitalId))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, registrar, hospitalId } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(registrar).setAffiliation(unknown, hospitalId))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityParticipantRevoked for a revoked practitioner", async function () {
      const { registry, registrar, cardiologistId, hospitalId } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(cardiologistId, REASON)).wait();
      await expect(registry.connect(registrar).setAffiliation(cardiologistId, hospitalId))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(cardiologistId);
    });

    it("reverts with IdentityInvalidAffiliation when the affiliation is NONE or not an active institution", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, cardiologistId, patientId, hospitalId } = f;
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      const unknown = (await registry.lastId()) + 1n;
      for (const bad of [0n, unknown, patientId, cardiologistId, hospitalId]) {
        await expect(registry.connect(registrar).setAffiliation(cardiologistId, bad))
          .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
          .withArgs(ParticipantKind.Practitioner, bad);
      }
    });

    it("reverts with IdentityInvalidAffiliation for a kind that takes no affiliation", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, hospitalId, patientId } = f;
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
      await expect(registry.connect(registrar).setAffiliation(hospitalId, clinic))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
        .withArgs(ParticipantKind.Organization, clinic);
      await expect(registry.connect(registrar).setAffiliation(patientId, clinic))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
        .withArgs(ParticipantKind.Patient, clinic);
      await expect(registry.connect(registrar).setAffiliation(hospitalId, 0))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
        .withArgs(ParticipantKind.Organization, 0);
    });
  });

  describe("markIdentityProofed", function () {
    it("marks an active patient as identity-proofed", async function () {
      const { registry, registrar, patientId } = await loadFixture(identityFixture);
      await expect(registry.connect(registrar).markIdentityProofed(patientId))
        .to.emit(registry, "IdentityProofed")
        .withArgs(patientId);
      expect((await readParticipant(registry, patientId)).identityProofed).to.equal(true);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, admin, patientId, patientKey } = await loadFixture(identityFixture);
      for (const caller of [admin, patientKey]) {
        await expect(registry.connect(caller).markIdentityProofed(patientId))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, registrar } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(registrar).markIdentityProofed(unknown))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityWrongKind for a non-patient", async function () {
      const { registry, registrar, cardiologistId } = await loadFixture(identityFixture);
      await expect(registry.connect(registrar).markIdentityProofed(cardiologistId))
        .to.be.revertedWithCustomError(registry, "IdentityWrongKind")
        .withArgs(cardiologistId, ParticipantKind.Patient, ParticipantKind.Practitioner);
    });

    it("reverts with IdentityParticipantInactive for a suspended or revoked patient", async function () {
      const { registry, registrar, guardianIds } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(guardianIds[0], REASON)).wait();
      await (await registry.connect(registrar).revoke(guardianIds[1], REASON)).wait();
      for (const id of [guardianIds[0], guardianIds[1]]) {
        await expect(registry.connect(registrar).markIdentityProofed(id))
          .to.be.revertedWithCustomError(registry, "IdentityParticipantInactive")
          .withArgs(id);
      }
    });

    it("reverts with IdentityAlreadyProofed the second time", async function () {
      const { registry, registrar, patientId } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).markIdentityProofed(patientId)).wait();
      await expect(registry.connect(registrar).markIdentityProofed(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityAlreadyProofed")
        .withArgs(patientId);
    });
  });

  describe("suspend", function () {
    it("suspends an active participant, who stays bound but inactive", async function () {
      const { registry, registrar, cardiologistId, cardiologistKey } = await loadFixture(identityFixture);
      await expect(registry.connect(registrar).suspend(cardiologistId, REASON))
        .to.emit(registry, "StatusChanged")
        .withArgs(cardiologistId, ParticipantStatus.Active, ParticipantStatus.Suspended, REASON);
      expect((await readParticipant(registry, cardiologistId)).status).to.equal(BigInt(ParticipantStatus.Suspended));
      expect(await registry.isActive(cardiologistId)).to.equal(false);
      expect(await registry.idOf(cardiologistKey.address)).to.equal(cardiologistId);
      expect(await registry.activeIdOf(cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(0n);
    });

    it("suspends a participant whose credential expired", async function () {
      const { registry, registrar, hospitalId, credentialExpiry } = await loadFixture(identityFixture);
      await time.increaseTo(credentialExpiry);
      await expect(registry.connect(registrar).suspend(hospitalId, REASON))
        .to.emit(registry, "StatusChanged")
        .withArgs(hospitalId, ParticipantStatus.Active, ParticipantStatus.Suspended, REASON);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, admin, pauser, hospitalId, hospitalKey } = await loadFixture(identityFixture);
      for (const caller of [admin, pauser, hospitalKey]) {
        await expect(registry.connect(caller).suspend(hospitalId, REASON))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, registrar } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(registrar).suspend(unknown, REASON))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("reinstate", function () {
    it("reinstates a suspended participant", async function () {
      const { registry, registrar, cardiologistId, cardiologistKey } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      await expect(registry.connect(registrar).reinstate(cardiologistId, 0))
        .to.emit(registry, "StatusChanged")
        .withArgs(cardiologistId, ParticipantStatus.Suspended, ParticipantStatus.Active, 0);
      expect(await registry.isActive(cardiologistId)).to.equal(true);
      expect(await registry.activeIdOf(cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(cardiologistId);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, registrar, admin, hospitalId, hospitalKey } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      for (const caller of [admin, hospitalKey]) {
        await expect(registry.connect(caller).reinstate(hospitalId, REASON))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, registrar } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(registrar).reinstate(unknown, REASON))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("revoke", function () {
    it("revokes a participant for good while its key stays bound", async function () {
      const { registry, registrar, hospitalId, hospitalKey } = await loadFixture(identityFixture);
      await expect(registry.connect(registrar).revoke(hospitalId, REASON))
        .to.emit(registry, "StatusChanged")
        .withArgs(hospitalId, ParticipantStatus.Active, ParticipantStatus.Revoked, REASON);
      expect((await readParticipant(registry, hospitalId)).status).to.equal(BigInt(ParticipantStatus.Revoked));
      expect(await registry.isActive(hospitalId)).to.equal(false);
      expect(await registry.idOf(hospitalKey.address)).to.equal(hospitalId);
      expect(await registry.activeIdOf(hospitalKey.address, ParticipantKind.Organization)).to.equal(0n);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const { registry, admin, auditor, hospitalId } = await loadFixture(identityFixture);
      for (const caller of [admin, auditor]) {
        await expect(registry.connect(caller).revoke(hospitalId, REASON))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, registrar } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(registrar).revoke(unknown, REASON))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("status transitions", function () {
    const SETUP: Record<Exclude<ParticipantStatus, ParticipantStatus.None>, Operation[]> = {
      [ParticipantStatus.Active]: [],
      [ParticipantStatus.Suspended]: ["suspend"],
      [ParticipantStatus.Revoked]: ["revoke"],
    };
    const ALLOWED = new Set([
      `${ParticipantStatus.Active}->${ParticipantStatus.Suspended}`,
      `${ParticipantStatus.Active}->${ParticipantStatus.Revoked}`,
      `${ParticipantStatus.Suspended}->${ParticipantStatus.Active}`,
      `${ParticipantStatus.Suspended}->${ParticipantStatus.Revoked}`,
    ]);
    const STATUSES = [ParticipantStatus.Active, ParticipantStatus.Suspended, ParticipantStatus.Revoked] as const;
    const OPERATIONS: Operation[] = ["suspend", "reinstate", "revoke"];

    for (const from of STATUSES) {
      for (const operation of OPERATIONS) {
        const to = TARGET[operation];
        const allowed = ALLOWED.has(`${from}->${to}`);
        const title = allowed
          ? `moves ${ParticipantStatus[from]} to ${ParticipantStatus[to]} with ${operation}`
          : `reverts with IdentityInvalidStatusTransition for ${ParticipantStatus[from]} to ${ParticipantStatus[to]}`;
        it(title, async function () {
          const { registry, registrar, hospitalId, patientId } = await loadFixture(identityFixture);
          for (const id of [hospitalId, patientId]) {
            for (const step of SETUP[from]) await (await registry.connect(registrar)[step](id, REASON)).wait();
            const call = registry.connect(registrar)[operation](id, REASON);
            if (allowed) {
              await expect(call).to.emit(registry, "StatusChanged").withArgs(id, from, to, REASON);
              expect((await readParticipant(registry, id)).status).to.equal(BigInt(to));
              expect(await registry.isActive(id)).to.equal(to === ParticipantStatus.Active);
            } else {
              await expect(call)
                .to.be.revertedWithCustomError(registry, "IdentityInvalidStatusTransition")
                .withArgs(id, from, to);
              expect((await readParticipant(registry, id)).status).to.equal(BigInt(from));
            }
          }
        });
      }
    }
  });

  describe("recoverController", function () {
    it("hands an institutional id to a new key after the scheduled delay", async function () {
      const { registry, accessManager, registrar, hospitalId, hospitalKey, spareKeys } =
        await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0);
      const data = recoverData(registry, hospitalId, newKey.address);
      await scheduleAndWait(accessManager, registry, registrar, data);
      await expect(accessManager.connect(registrar).execute(await registry.getAddress(), data))
        .to.emit(registry, "ControllerChanged")
        .withArgs(hospitalId, hospitalKey.address, newKey.address, ControllerChange.RegistrarRecovery);
      const after = await readParticipant(registry, hospitalId);
      expect(after.controller).to.equal(newKey.address);
      expect(after.keyEpoch).to.equal(1n);
      expect(await registry.idOf(newKey.address)).to.equal(hospitalId);
      expect(await registry.idOf(hospitalKey.address)).to.equal(0n);
    });

    it("works through scheduleAndExecute; the old key stops working and a pending rotation dies", async function () {
      const { registry, accessManager, registrar, cardiologistId, cardiologistKey, spareKeys } =
        await loadFixture(identityFixture);
      const rotationTarget = signer(spareKeys, 1);
      await propose(registry, cardiologistId, cardiologistKey, rotationTarget.address, MAX_ROTATION_WINDOW);
      const newKey = signer(spareKeys, 0);
      await scheduleAndExecute(
        accessManager,
        registrar,
        await registry.getAddress(),
        recoverData(registry, cardiologistId, newKey.address),
      );
      expect(await registry.activeIdOf(newKey.address, ParticipantKind.Practitioner)).to.equal(cardiologistId);
      expect(await registry.pendingRotationOf(rotationTarget.address)).to.deep.equal([0n, 0n]);
      await expect(registry.connect(rotationTarget).acceptControllerRotation(cardiologistId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRotation")
        .withArgs(cardiologistId, rotationTarget.address);
      await expect(registry.connect(cardiologistKey).cancelControllerRotation(cardiologistId))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(cardiologistId, cardiologistKey.address);
    });

    it("recovers a suspended institution without reinstating it", async function () {
      const { registry, accessManager, registrar, hospitalId, spareKeys } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      const newKey = signer(spareKeys, 0);
      await scheduleAndExecute(
        accessManager,
        registrar,
        await registry.getAddress(),
        recoverData(registry, hospitalId, newKey.address),
      );
      expect(await registry.idOf(newKey.address)).to.equal(hospitalId);
      expect(await registry.isActive(hospitalId)).to.equal(false);
    });

    it("reverts with AccessManagerNotScheduled when the registrar calls without scheduling", async function () {
      const { registry, accessManager, registrar, hospitalId, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      const operationId = await accessManager.hashOperation(
        registrar.address,
        await registry.getAddress(),
        recoverData(registry, hospitalId, newKey),
      );
      await expect(registry.connect(registrar).recoverController(hospitalId, newKey))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
        .withArgs(operationId);
    });

    it("reverts with AccessManagerNotReady when executed before the delay has passed", async function () {
      const { registry, accessManager, registrar, hospitalId, spareKeys } = await loadFixture(identityFixture);
      const target = await registry.getAddress();
      const data = recoverData(registry, hospitalId, signer(spareKeys, 0).address);
      await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
      const operationId = await accessManager.hashOperation(registrar.address, target, data);
      await expect(accessManager.connect(registrar).execute(target, data))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotReady")
        .withArgs(operationId);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the recovery role", async function () {
      const { registry, admin, pauser, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      for (const caller of [admin, pauser, hospitalKey]) {
        await expect(registry.connect(caller).recoverController(hospitalId, signer(spareKeys, 0)))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("lets the admin, as guardian of the role, cancel a scheduled recovery", async function () {
      const { registry, accessManager, registrar, admin, hospitalId, hospitalKey, spareKeys } =
        await loadFixture(identityFixture);
      const target = await registry.getAddress();
      const data = recoverData(registry, hospitalId, signer(spareKeys, 0).address);
      await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
      const operationId = await accessManager.hashOperation(registrar.address, target, data);
      await expect(accessManager.connect(admin).cancel(registrar.address, target, data))
        .to.emit(accessManager, "OperationCanceled")
        .withArgs(operationId, 1);
      await time.increase(3600);
      await expect(accessManager.connect(registrar).execute(target, data))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
        .withArgs(operationId);
      expect((await readParticipant(registry, hospitalId)).controller).to.equal(hospitalKey.address);
    });

    it("reverts with AccessManagerUnauthorizedCancel when someone else tries to cancel", async function () {
      const { registry, accessManager, registrar, pauser, hospitalId, spareKeys } = await loadFixture(identityFixture);
      const target = await registry.getAddress();
      const data = recoverData(registry, hospitalId, signer(spareKeys, 0).address);
      await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
      await expect(accessManager.connect(pauser).cancel(registrar.address, target, data))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerUnauthorizedCancel")
        .withArgs(pauser.address, registrar.address, target, data.slice(0, 10));
    });

    it("reverts with IdentityRecoveryNotForPatients for a patient", async function () {
      const { registry, accessManager, registrar, patientId, spareKeys } = await loadFixture(identityFixture);
      const data = recoverData(registry, patientId, signer(spareKeys, 0).address);
      await scheduleAndWait(accessManager, registry, registrar, data);
      await expect(accessManager.connect(registrar).execute(await registry.getAddress(), data))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotForPatients")
        .withArgs(patientId);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, accessManager, registrar, spareKeys } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      const data = recoverData(registry, unknown, signer(spareKeys, 0).address);
      await scheduleAndWait(accessManager, registry, registrar, data);
      await expect(accessManager.connect(registrar).execute(await registry.getAddress(), data))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityParticipantRevoked for a revoked institution", async function () {
      const { registry, accessManager, registrar, hospitalId, spareKeys } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(hospitalId, REASON)).wait();
      const data = recoverData(registry, hospitalId, signer(spareKeys, 0).address);
      await scheduleAndWait(accessManager, registry, registrar, data);
      await expect(accessManager.connect(registrar).execute(await registry.getAddress(), data))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(hospitalId);
    });

    it("reverts with IdentityZeroAddress for the zero key", async function () {
      const { registry, accessManager, registrar, hospitalId } = await loadFixture(identityFixture);
      const data = recoverData(registry, hospitalId, ZeroAddress);
      await scheduleAndWait(accessManager, registry, registrar, data);
      await expect(
        accessManager.connect(registrar).execute(await registry.getAddress(), data),
      ).to.be.revertedWithCustomError(registry, "IdentityZeroAddress");
    });

    it("reverts with IdentityAccountAlreadyBound when the new key got bound meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(f.registry, f.hospitalId, newKey.address);
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await registerPatient(f, newKey);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Pausing
  // -------------------------------------------------------------------------------------------------------------------

  describe("pause", function () {
    it("lets the pauser pause the registry", async function () {
      const { registry, pauser } = await loadFixture(identityFixture);
      await expect(registry.connect(pauser).pause()).to.emit(registry, "Paused").withArgs(pauser.address);
      expect(await registry.paused()).to.equal(true);
    });

    it("reverts with AccessManagedUnauthorized for anyone but the pauser", async function () {
      const { registry, admin, registrar, auditor, patientKey } = await loadFixture(identityFixture);
      for (const caller of [admin, registrar, auditor, patientKey]) {
        await expect(registry.connect(caller).pause())
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with EnforcedPause when already paused", async function () {
      const f = await loadFixture(identityFixture);
      await pauseRegistry(f);
      await expect(f.registry.connect(f.pauser).pause()).to.be.revertedWithCustomError(f.registry, "EnforcedPause");
    });

    describe("while paused", function () {
      /** Every state-changing function, called as a caller that would otherwise be allowed. */
      const WRITES: Record<string, (f: IdentityFixture) => Promise<ContractTransactionResponse>> = {
        registerPatient: (f) => f.registry.connect(signer(f.spareKeys, 0)).registerPatient(),
        proposeControllerRotation: async (f) =>
          f.registry
            .connect(f.patientKey)
            .proposeControllerRotation(f.patientId, signer(f.spareKeys, 0), BigInt(await time.latest()) + 100n),
        acceptControllerRotation: (f) =>
          f.registry.connect(signer(f.spareKeys, 0)).acceptControllerRotation(f.patientId),
        cancelControllerRotation: (f) => f.registry.connect(f.patientKey).cancelControllerRotation(f.patientId),
        setGuardians: (f) => f.registry.connect(f.patientKey).setGuardians(f.patientId, [], 0, 0),
        approveRecovery: (f) =>
          f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, signer(f.spareKeys, 0)),
        cancelRecovery: (f) => f.registry.connect(f.patientKey).cancelRecovery(f.patientId),
        executeRecovery: (f) => f.registry.executeRecovery(f.patientId),
        appointRepresentative: async (f) =>
          f.registry
            .connect(f.patientKey)
            .appointRepresentative(f.patientId, f.cardiologistId, BigInt(await time.latest()) + 100n),
        revokeRepresentative: (f) =>
          f.registry.connect(f.patientKey).revokeRepresentative(f.patientId, f.cardiologistId),
        resignRepresentative: (f) =>
          f.registry.connect(f.cardiologistKey).resignRepresentative(f.patientId, f.cardiologistId),
        bindIdentifierCommitment: (f) =>
          f.registry.connect(f.patientKey).bindIdentifierCommitment(f.patientId, commit("MRN-1").commitment),
        registerParticipant: (f) =>
          f.registry
            .connect(f.registrar)
            .registerParticipant(
              ParticipantKind.Payer,
              signer(f.spareKeys, 0),
              commit("payer").commitment,
              f.credentialExpiry,
              0,
            ),
        renewCredential: (f) =>
          f.registry.connect(f.registrar).renewCredential(f.hospitalId, commit("x").commitment, f.credentialExpiry),
        setAffiliation: (f) => f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, f.hospitalId),
        markIdentityProofed: (f) => f.registry.connect(f.registrar).markIdentityProofed(f.patientId),
        suspend: (f) => f.registry.connect(f.registrar).suspend(f.hospitalId, REASON),
        reinstate: (f) => f.registry.connect(f.registrar).reinstate(f.hospitalId, REASON),
        revoke: (f) => f.registry.connect(f.registrar).revoke(f.hospitalId, REASON),
      };

      it("covers every external write of the registry", async function () {
        const { registry } = await loadFixture(identityFixture);
        const writes: string[] = [];
        registry.interface.forEachFunction((fn) => {
          if (!fn.constant) writes.push(fn.name);
        });
        writes.sort();
        // setAuthority (inherited from AccessManaged) answers only to the AccessManager and is not pausable.
        const covered = [...Object.keys(WRITES), "recoverController", "pause", "unpause", "setAuthority"].sort();
        expect(writes).to.deep.equal(covered);
      });

      for (const [name, call] of Object.entries(WRITES)) {
        it(`reverts ${name} with EnforcedPause`, async function () {
          const f = await loadFixture(identityFixture);
          await pauseRegistry(f);
          await expect(call(f)).to.be.revertedWithCustomError(f.registry, "EnforcedPause");
        });
      }

      it("reverts a scheduled recoverController with EnforcedPause", async function () {
        const { registry, accessManager, registrar, pauser, hospitalId, spareKeys } =
          await loadFixture(identityFixture);
        await pauseRegistry({ registry, pauser });
        const data = recoverData(registry, hospitalId, signer(spareKeys, 0).address);
        await scheduleAndWait(accessManager, registry, registrar, data);
        await expect(
          accessManager.connect(registrar).execute(await registry.getAddress(), data),
        ).to.be.revertedWithCustomError(registry, "EnforcedPause");
      });

      it("keeps every view answering", async function () {
        const f = await loadFixture(identityFixture);
        const { registry, patientId, patientKey, guardianIds, cardiologistId, hospitalId, spareKeys } = f;
        const target = signer(spareKeys, 0);
        const deadline = await propose(registry, patientId, patientKey, target.address, MAX_ROTATION_WINDOW);
        const expiresAt = BigInt(await time.latest()) + BigInt(30 * DAY);
        await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
        const { commitment } = identifierCommitment("urn:oid:2.16.840.1.113883.19.5", "MRN-0042");
        await (await registry.connect(patientKey).bindIdentifierCommitment(patientId, commitment)).wait();
        const recoveryKey = signer(spareKeys, 1).address;
        await (await registry.connect(signer(f.guardianKeys, 0)).approveRecovery(patientId, recoveryKey)).wait();
        await pauseRegistry(f);

        expect(await registry.paused()).to.equal(true);
        expect((await readParticipant(registry, patientId)).controller).to.equal(patientKey.address);
        expect(await registry.idOf(patientKey.address)).to.equal(patientId);
        expect(await registry.isActive(patientId)).to.equal(true);
        expect(await registry.activeIdOf(patientKey.address, ParticipantKind.Patient)).to.equal(patientId);
        expect(await registry.standingOf(cardiologistId)).to.deep.equal([
          BigInt(ParticipantKind.Practitioner),
          hospitalId,
          true,
        ]);
        expect(await registry.pendingRotationOf(target.address)).to.deep.equal([patientId, deadline]);
        expect(await registry.pendingRecoveryOf(patientId)).to.deep.equal([recoveryKey, 1n, 0n]);
        expect(await registry.guardiansOf(patientId)).to.deep.equal([
          [...guardianIds],
          BigInt(GUARDIAN_THRESHOLD),
          BigInt(RECOVERY_DELAY),
        ]);
        expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(true);
        expect(await registry.representationExpiry(patientId, cardiologistId)).to.equal(expiresAt);
        expect(await registry.identifierOwner(commitment)).to.equal(patientId);
        expect(await registry.lastId()).to.be.greaterThan(0n);
        expect(await registry.version()).to.equal("1.0.0");
      });
    });
  });

  describe("unpause", function () {
    it("lets the admin unpause through a scheduled operation", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, admin } = f;
      await pauseRegistry(f);
      const target = await registry.getAddress();
      const data = registry.interface.encodeFunctionData("unpause");
      await (await accessManager.connect(admin).schedule(target, data, 0)).wait();
      await time.increase(3600);
      await expect(accessManager.connect(admin).execute(target, data))
        .to.emit(registry, "Unpaused")
        .withArgs(await accessManager.getAddress());
      expect(await registry.paused()).to.equal(false);
      await expect(registry.connect(signer(f.spareKeys, 0)).registerPatient()).to.emit(
        registry,
        "ParticipantRegistered",
      );
    });

    it("works through scheduleAndExecute", async function () {
      const f = await loadFixture(identityFixture);
      await pauseRegistry(f);
      await scheduleAndExecute(
        f.accessManager,
        f.admin,
        await f.registry.getAddress(),
        f.registry.interface.encodeFunctionData("unpause"),
      );
      expect(await f.registry.paused()).to.equal(false);
    });

    it("reverts with AccessManagerNotScheduled when the admin calls directly", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, admin } = f;
      await pauseRegistry(f);
      const operationId = await accessManager.hashOperation(
        admin.address,
        await registry.getAddress(),
        registry.interface.encodeFunctionData("unpause"),
      );
      await expect(registry.connect(admin).unpause())
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
        .withArgs(operationId);
      expect(await registry.paused()).to.equal(true);
    });

    it("reverts with AccessManagedUnauthorized for anyone but the admin", async function () {
      const f = await loadFixture(identityFixture);
      await pauseRegistry(f);
      for (const caller of [f.pauser, f.registrar, f.patientKey]) {
        await expect(f.registry.connect(caller).unpause())
          .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with ExpectedPause when the registry is not paused", async function () {
      const { registry, accessManager, admin } = await loadFixture(identityFixture);
      const target = await registry.getAddress();
      const data = registry.interface.encodeFunctionData("unpause");
      await (await accessManager.connect(admin).schedule(target, data, 0)).wait();
      await time.increase(3600);
      await expect(accessManager.connect(admin).execute(target, data)).to.be.revertedWithCustomError(
        registry,
        "ExpectedPause",
      );
    });
  });

  describe("setAuthority", function () {
    it("moves the registry to another authority when the admin runs updateAuthority through the delay", async function () {
      const { registry, accessManager, admin } = await loadFixture(identityFixture);
      const successor = await (await ethers.getContractFactory("AccessManager")).deploy(admin.address);
      const successorAddress = await successor.getAddress();
      const managerAddress = await accessManager.getAddress();
      const data = accessManager.interface.encodeFunctionData("updateAuthority", [
        await registry.getAddress(),
        successorAddress,
      ]);
      await (await accessManager.connect(admin).schedule(managerAddress, data, 0)).wait();
      await time.increase(3600);
      await expect(accessManager.connect(admin).execute(managerAddress, data))
        .to.emit(registry, "AuthorityUpdated")
        .withArgs(successorAddress);
      expect(await registry.authority()).to.equal(successorAddress);
    });

    it("reverts with AccessManagedUnauthorized for anyone but the current authority", async function () {
      const { registry, accessManager, admin, registrar } = await loadFixture(identityFixture);
      for (const caller of [admin, registrar]) {
        await expect(registry.connect(caller).setAuthority(await accessManager.getAddress()))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------------------------------

  describe("participant", function () {
    it("returns everything the registry holds about a practitioner", async function () {
      const { registry, cardiologistId, cardiologistKey, cardiologistCredential, credentialExpiry, hospitalId } =
        await loadFixture(identityFixture);
      expect(await readParticipant(registry, cardiologistId)).to.deep.equal({
        controller: cardiologistKey.address,
        kind: BigInt(ParticipantKind.Practitioner),
        status: BigInt(ParticipantStatus.Active),
        identityProofed: false,
        credentialExpiry,
        keyEpoch: 0n,
        affiliation: hospitalId,
        credentialCommitment: cardiologistCredential.commitment,
      });
    });

    it("reverts with IdentityUnknownParticipant for id 0 and ids never assigned", async function () {
      const { registry } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      for (const id of [0n, unknown, 2n ** 64n - 1n]) {
        await expect(registry.participant(id))
          .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
          .withArgs(id);
      }
    });
  });

  describe("idOf", function () {
    it("returns the controlled id, and NONE for unbound keys and pending targets", async function () {
      const { registry, patientId, patientKey, hospitalId, hospitalKey, spareKeys } =
        await loadFixture(identityFixture);
      expect(await registry.idOf(patientKey.address)).to.equal(patientId);
      expect(await registry.idOf(hospitalKey.address)).to.equal(hospitalId);
      expect(await registry.idOf(signer(spareKeys, 0).address)).to.equal(0n);
      expect(await registry.idOf(ZeroAddress)).to.equal(0n);
      const target = signer(spareKeys, 1);
      const deadline = await propose(registry, patientId, patientKey, target.address);
      expect(await registry.idOf(target.address)).to.equal(0n);
      await time.increaseTo(deadline + 1n);
      expect(await registry.idOf(target.address)).to.equal(0n);
    });
  });

  describe("isActive", function () {
    it("is true for active participants and false for unknown ids", async function () {
      const { registry, patientId, hospitalId, cardiologistId } = await loadFixture(identityFixture);
      for (const id of [patientId, hospitalId, cardiologistId]) expect(await registry.isActive(id)).to.equal(true);
      expect(await registry.isActive(0n)).to.equal(false);
      expect(await registry.isActive((await registry.lastId()) + 1n)).to.equal(false);
    });

    it("turns false at the credential expiry without any transaction, while patients never expire", async function () {
      const { registry, hospitalId, hospitalKey, cardiologistId, patientId, credentialExpiry } =
        await loadFixture(identityFixture);
      await time.increaseTo(credentialExpiry - 1n);
      expect(await registry.isActive(hospitalId)).to.equal(true);
      await time.increaseTo(credentialExpiry);
      expect(await registry.isActive(hospitalId)).to.equal(false);
      expect(await registry.isActive(cardiologistId)).to.equal(false);
      expect(await registry.activeIdOf(hospitalKey.address, ParticipantKind.Organization)).to.equal(0n);
      expect(await registry.standingOf(hospitalId)).to.deep.equal([BigInt(ParticipantKind.Organization), 0n, false]);
      expect((await readParticipant(registry, hospitalId)).status).to.equal(BigInt(ParticipantStatus.Active));
      expect(await registry.isActive(patientId)).to.equal(true);
    });
  });

  describe("activeIdOf", function () {
    it("returns the id only for the right kind, an active participant and a bound key", async function () {
      const { registry, registrar, cardiologistId, cardiologistKey, patientId, patientKey, spareKeys } =
        await loadFixture(identityFixture);
      expect(await registry.activeIdOf(cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(cardiologistId);
      for (const wrong of [ParticipantKind.None, ParticipantKind.Patient, ParticipantKind.Organization]) {
        expect(await registry.activeIdOf(cardiologistKey.address, wrong)).to.equal(0n);
      }
      expect(await registry.activeIdOf(signer(spareKeys, 0).address, ParticipantKind.None)).to.equal(0n);
      const target = signer(spareKeys, 1);
      await propose(registry, patientId, patientKey, target.address);
      expect(await registry.activeIdOf(target.address, ParticipantKind.Patient)).to.equal(0n);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      expect(await registry.activeIdOf(patientKey.address, ParticipantKind.Patient)).to.equal(0n);
    });
  });

  describe("standingOf", function () {
    it("returns kind, affiliation and activity, and (None, NONE, false) for unknown ids", async function () {
      const { registry, registrar, cardiologistId, hospitalId } = await loadFixture(identityFixture);
      expect(await registry.standingOf(cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        hospitalId,
        true,
      ]);
      expect(await registry.standingOf(0n)).to.deep.equal([0n, 0n, false]);
      expect(await registry.standingOf((await registry.lastId()) + 1n)).to.deep.equal([0n, 0n, false]);
      await (await registry.connect(registrar).revoke(cardiologistId, REASON)).wait();
      expect(await registry.standingOf(cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        hospitalId,
        false,
      ]);
    });
  });

  describe("pendingRotationOf", function () {
    it("returns the live proposal up to its deadline and (0, 0) afterwards", async function () {
      const { registry, hospitalId, hospitalKey, spareKeys } = await loadFixture(identityFixture);
      const target = signer(spareKeys, 0);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([0n, 0n]);
      const deadline = await propose(registry, hospitalId, hospitalKey, target.address);
      await time.increaseTo(deadline);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([hospitalId, deadline]);
      await time.increase(1);
      expect(await registry.pendingRotationOf(target.address)).to.deep.equal([0n, 0n]);
    });

    it("returns (0, 0) for cancelled proposals, proposals outrun by another key, accepted ones and bound keys", async function () {
      const { registry, patientId, patientKey, spareKeys } = await loadFixture(identityFixture);
      const [a, b, c] = [signer(spareKeys, 0), signer(spareKeys, 1), signer(spareKeys, 2)];
      await propose(registry, patientId, patientKey, a.address);
      await (await registry.connect(patientKey).cancelControllerRotation(patientId)).wait();
      expect(await registry.pendingRotationOf(a.address)).to.deep.equal([0n, 0n]);
      const deadlineB = await propose(registry, patientId, patientKey, b.address);
      await propose(registry, patientId, patientKey, c.address);
      expect(await registry.pendingRotationOf(b.address)).to.deep.equal([patientId, deadlineB]);
      await (await registry.connect(c).acceptControllerRotation(patientId)).wait();
      expect(await registry.pendingRotationOf(b.address)).to.deep.equal([0n, 0n]);
      expect(await registry.pendingRotationOf(c.address)).to.deep.equal([0n, 0n]);
      expect(await registry.pendingRotationOf(patientKey.address)).to.deep.equal([0n, 0n]);
    });
  });

  describe("guardiansOf", function () {
    it("returns an empty set for a patient without guardians and for unknown ids", async function () {
      const f = await loadFixture(identityFixture);
      const patient = await registerPatient(f, signer(f.spareKeys, 0));
      expect(await f.registry.guardiansOf(patient)).to.deep.equal([[], 0n, 0n]);
      expect(await f.registry.guardiansOf((await f.registry.lastId()) + 1n)).to.deep.equal([[], 0n, 0n]);
    });
  });

  describe("pendingRecoveryOf", function () {
    it("returns zeros when no recovery is pending and the live recovery otherwise", async function () {
      const f = await loadFixture(identityFixture);
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([ZeroAddress, 0n, 0n]);
      const newKey = signer(f.spareKeys, 0).address;
      const readyAt = await reachThreshold(f, newKey);
      expect(await f.registry.pendingRecoveryOf(f.patientId)).to.deep.equal([
        newKey,
        BigInt(GUARDIAN_THRESHOLD),
        readyAt,
      ]);
      expect(await f.registry.pendingRecoveryOf(f.hospitalId)).to.deep.equal([ZeroAddress, 0n, 0n]);
    });
  });

  describe("isRepresentative", function () {
    it("is false for pairs never appointed and for unknown ids", async function () {
      const { registry, patientId, cardiologistId } = await loadFixture(identityFixture);
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
      expect(await registry.isRepresentative(0n, 0n)).to.equal(false);
    });
  });

  describe("representationExpiry", function () {
    it("is zero for pairs never appointed", async function () {
      const { registry, patientId, cardiologistId } = await loadFixture(identityFixture);
      expect(await registry.representationExpiry(patientId, cardiologistId)).to.equal(0n);
    });
  });

  describe("identifierOwner", function () {
    it("is NONE for a commitment nobody bound", async function () {
      const { registry } = await loadFixture(identityFixture);
      expect(await registry.identifierOwner(commit("MRN-unbound").commitment)).to.equal(0n);
      expect(await registry.identifierOwner(ZeroHash)).to.equal(0n);
    });
  });

  describe("lastId", function () {
    it("counts every participant ever registered", async function () {
      const { registry, guardianIds } = await loadFixture(identityFixture);
      // hospital, cardiologist, patient and three guardians
      expect(await registry.lastId()).to.equal(6n);
      expect(guardianIds[2]).to.equal(6n);
    });
  });
});
