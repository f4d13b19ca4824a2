import { loadFixture, setCode, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import {
  type ContractTransactionResponse,
  type Signer,
  type TypedDataDomain,
  Wallet,
  ZeroAddress,
  ZeroHash,
} from "ethers";
import { ethers } from "hardhat";

import {
  commit,
  CONTROL_TRANSFER_TYPEHASH,
  ControllerChange,
  controlTransferDigest,
  identityDomain,
  type KeyConsent,
  ParticipantKind,
  ParticipantStatus,
  REGISTRATION_TYPEHASH,
  registrationDigest,
  Roles,
  signControlTransfer,
  signRegistration,
} from "../../sdk";
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

/** A key that can sign and send: a Hardhat account or a fresh funded wallet. */
type Key = Signer & { readonly address: string };

const MAX_SIGNATURE_WINDOW = 30n * BigInt(DAY);
const RECOVERY_WINDOW = 30n * BigInt(DAY);
const MIN_RECOVERY_DELAY = DAY;
const MAX_RECOVERY_DELAY = 30 * DAY;
const MAX_GUARDIANS = 8;
const REASON = 17; // an off-chain reason-code list entry

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

/** Pins the timestamp of the next mined block (or the next call that reverts) to one second after the latest. */
async function nextTimestamp(): Promise<bigint> {
  const next = (await latest()) + 1n;
  await time.setNextBlockTimestamp(next);
  return next;
}

function item<T>(list: readonly T[], index: number): T {
  const found = list[index];
  if (found === undefined) throw new Error(`no item at index ${index}`);
  return found;
}

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  return item(list, index);
}

async function registerPatient(f: IdentityFixture, key: Key): Promise<bigint> {
  return (await f.identity.as(key).registerPatient()).id;
}

/**
 * Registers a participant through the SDK with `key`'s consent; a practitioner or device is offered to `affiliation`
 * and, when `acceptedBy` (the organization's key) is given, accepted.
 */
async function registerInstitutional(
  f: IdentityFixture,
  kind: ParticipantKind,
  key: Key,
  options: { affiliation?: bigint; expiry?: bigint; acceptedBy?: Key } = {},
): Promise<bigint> {
  const { id } = await f.identity.as(f.registrar).registerWithKey(
    key,
    {
      kind,
      credentialCommitment: commit(`credential:${kind}:${key.address}`).commitment,
      credentialExpiry: options.expiry ?? f.credentialExpiry,
      affiliation: options.affiliation ?? 0n,
    },
    options.acceptedBy,
  );
  return id;
}

async function domainOf(f: IdentityFixture): Promise<TypedDataDomain> {
  return f.identity.domain();
}

/** `key` signs `Registration(kind, controller, affiliation, deadline)`; by default for itself, a day ahead. */
async function registrationConsent(
  f: IdentityFixture,
  key: Key,
  message: { kind: number; affiliation?: bigint; controller?: string; deadline?: bigint },
  domain?: TypedDataDomain,
): Promise<KeyConsent> {
  const deadline = message.deadline ?? (await latest()) + BigInt(DAY);
  const signature = await signRegistration(key, domain ?? (await domainOf(f)), {
    kind: BigInt(message.kind),
    controller: message.controller ?? key.address,
    affiliation: message.affiliation ?? 0n,
    deadline,
  });
  return { deadline, signature };
}

/** `key` signs `ControlTransfer(id, newController, keyEpoch, deadline)`; by default for itself, at the current epoch. */
async function transferConsent(
  f: IdentityFixture,
  key: Key,
  message: { id: bigint; newController?: string; keyEpoch?: bigint; deadline?: bigint },
  domain?: TypedDataDomain,
): Promise<KeyConsent> {
  const deadline = message.deadline ?? (await latest()) + BigInt(DAY);
  const signature = await signControlTransfer(key, domain ?? (await domainOf(f)), {
    id: message.id,
    newController: message.newController ?? key.address,
    keyEpoch: message.keyEpoch ?? (await f.registry.participant(message.id)).keyEpoch,
    deadline,
  });
  return { deadline, signature };
}

/** The registrar's raw `registerParticipant` call (so that chai can match its revert). */
function registerCall(
  f: IdentityFixture,
  kind: number,
  controller: string,
  consent: KeyConsent,
  options: { affiliation?: bigint; commitment?: string; expiry?: bigint } = {},
): Promise<ContractTransactionResponse> {
  return f.registry
    .connect(f.registrar)
    .registerParticipant(
      kind,
      controller,
      options.commitment ?? commit(`credential:${controller}`).commitment,
      options.expiry ?? f.credentialExpiry,
      options.affiliation ?? 0n,
      consent.deadline,
      consent.signature,
    );
}

/** The controller `from` hands `id` to `to`, which signs its consent (SDK `rotateTo`). */
async function rotate(f: IdentityFixture, id: bigint, from: Key, to: Key): Promise<void> {
  await f.identity.as(from).rotateTo(id, to);
}

/** The fixture patient's first `GUARDIAN_THRESHOLD` guardians approve recovery to `newKey`; returns `readyAt`. */
async function reachThreshold(f: IdentityFixture, newKey: string): Promise<bigint> {
  for (let i = 0; i < GUARDIAN_THRESHOLD; i++) {
    await (await f.registry.connect(signer(f.guardianKeys, i)).approveRecovery(f.patientId, newKey)).wait();
  }
  const [, readyAt] = await f.registry.recoveryOf(f.patientId, newKey);
  return readyAt;
}

/**
 * Registers a new patient (spare key 0) and names as her first guardians (at once) the first `count` of: the three
 * fixture guardians, the hospital, the cardiologist, and patients registered with spare keys 1, 2, 3; with
 * `threshold` and a delay of a day. Returns the patient, her key, and the guardians with their keys in that order.
 */
async function patientWithGuardians(
  f: IdentityFixture,
  count: number,
  threshold: number,
): Promise<{ patient: bigint; key: HardhatEthersSigner; guardians: bigint[]; guardianKeys: HardhatEthersSigner[] }> {
  const key = signer(f.spareKeys, 0);
  const patient = await registerPatient(f, key);
  const candidates: [bigint, HardhatEthersSigner][] = [
    [f.guardianIds[0], f.guardianKeys[0]],
    [f.guardianIds[1], f.guardianKeys[1]],
    [f.guardianIds[2], f.guardianKeys[2]],
    [f.hospitalId, f.hospitalKey],
    [f.cardiologistId, f.cardiologistKey],
  ];
  for (let i = 1; candidates.length < count; i++) {
    const guardianKey = signer(f.spareKeys, i);
    candidates.push([await registerPatient(f, guardianKey), guardianKey]);
  }
  const chosen = candidates.slice(0, count);
  const guardians = chosen.map(([id]) => id);
  await (await f.registry.connect(key).setGuardians(patient, guardians, threshold, DAY)).wait();
  return { patient, key, guardians, guardianKeys: chosen.map(([, guardianKey]) => guardianKey) };
}

/** The fixture patient asks for a guardian change; returns its `effectiveAt`. */
async function scheduleChange(
  f: IdentityFixture,
  guardians: readonly bigint[],
  threshold: number,
  delay: number,
): Promise<bigint> {
  await (await f.registry.connect(f.patientKey).setGuardians(f.patientId, [...guardians], threshold, delay)).wait();
  const [, , , effectiveAt] = await f.registry.pendingGuardianChange(f.patientId);
  return effectiveAt;
}

function recoverData(registry: IdentityRegistry, id: bigint, newController: string, consent: KeyConsent): string {
  return registry.interface.encodeFunctionData("recoverController", [
    id,
    newController,
    consent.deadline,
    consent.signature,
  ]);
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

/**
 * Installs at `address` (with `hardhat_setCode`) a minimal ERC-1271 contract wallet that approves exactly one digest:
 * `isValidSignature(hash, ·)` returns the magic value 0x1626ba7e when `hash` is `digest`, and zero otherwise, whatever
 * the signature bytes. Runtime code: (CALLDATALOAD(4) == digest) * 0x1626ba7e, shifted into the high bytes, returned.
 */
async function installWallet(address: string, digest: string): Promise<void> {
  await setCode(address, `0x6004357f${digest.slice(2)}14631626ba7e0260e01b60005260206000f3`);
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
      expect(await identityRegistry.version()).to.equal("2.0.0");
      expect(await identityRegistry.MAX_SIGNATURE_WINDOW()).to.equal(MAX_SIGNATURE_WINDOW);
      expect(await identityRegistry.MAX_GUARDIANS()).to.equal(8n);
      expect(await identityRegistry.MIN_RECOVERY_DELAY()).to.equal(BigInt(MIN_RECOVERY_DELAY));
      expect(await identityRegistry.MAX_RECOVERY_DELAY()).to.equal(BigInt(MAX_RECOVERY_DELAY));
      expect(await identityRegistry.RECOVERY_WINDOW()).to.equal(RECOVERY_WINDOW);
    });

    it("signs consents in the CareLedger Identity v1 domain with the type hashes the SDK uses", async function () {
      const { identityRegistry } = await loadFixture(systemFixture);
      const [fields, name, version, chainId, verifyingContract, salt, extensions] =
        await identityRegistry.eip712Domain();
      expect([fields, name, version, salt, extensions]).to.deep.equal([
        "0x0f",
        "CareLedger Identity",
        "1",
        ZeroHash,
        [],
      ]);
      expect(chainId).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(verifyingContract).to.equal(await identityRegistry.getAddress());
      expect(await identityRegistry.REGISTRATION_TYPEHASH()).to.equal(REGISTRATION_TYPEHASH);
      expect(await identityRegistry.CONTROL_TRANSFER_TYPEHASH()).to.equal(CONTROL_TRANSFER_TYPEHASH);
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
      expect(await registry.guardiansOf(id)).to.deep.equal([[], 0n, 0n]);
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

    it("registers a key that a pending guardian recovery names: nothing pending reserves an address", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      await reachThreshold(f, key.address);
      const id = (await f.registry.lastId()) + 1n;
      await expect(f.registry.connect(key).registerPatient())
        .to.emit(f.registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Patient, key.address);
      expect(await f.registry.idOf(key.address)).to.equal(id);
    });

    it("reverts with IdentityAccountAlreadyBound when the caller already controls an id", async function () {
      const { registry, patientKey, hospitalKey, cardiologistKey } = await loadFixture(identityFixture);
      for (const key of [patientKey, hospitalKey, cardiologistKey]) {
        await expect(registry.connect(key).registerPatient())
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(key.address);
      }
    });

    it("reverts with IdentityAccountAlreadyBound when the caller's id was revoked", async function () {
      const { registry, registrar, patientId, patientKey } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).revoke(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
    });

    it("reverts with IdentityAccountAlreadyBound for a key retired by a rotation, a guardian or a registrar recovery", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, hospitalId, hospitalKey, guardianIds, guardianKeys } = f;
      // The patient is recovered by her guardians, a guardian rotates its key, the hospital is recovered by the registrar.
      const recovered = signer(f.spareKeys, 1);
      await time.increaseTo(await reachThreshold(f, recovered.address));
      await (await registry.connect(recovered).executeRecovery(patientId)).wait();
      await rotate(f, guardianIds[0], guardianKeys[0], signer(f.spareKeys, 0));
      const hospitalNewKey = signer(f.spareKeys, 2);
      const consent = await transferConsent(f, hospitalNewKey, { id: hospitalId });
      await scheduleAndExecute(
        f.accessManager,
        f.registrar,
        await registry.getAddress(),
        recoverData(registry, hospitalId, hospitalNewKey.address, consent),
      );
      for (const retired of [guardianKeys[0], patientKey, hospitalKey]) {
        expect(await registry.idOf(retired.address)).to.equal(0n);
        await expect(registry.connect(retired).registerPatient())
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(retired.address);
      }
    });

    it("reverts with IdentityAccountAlreadyBound when the caller controls a practitioner id not yet accepted", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      await registerInstitutional(f, ParticipantKind.Practitioner, key, { affiliation: f.hospitalId });
      await expect(f.registry.connect(key).registerPatient())
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(key.address);
    });
  });

  describe("rotateController", function () {
    it("hands the id to the new key in one step and retires the old key", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, spareKeys } = f;
      const newKey = signer(spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: patientId });
      await expect(
        registry.connect(patientKey).rotateController(patientId, newKey.address, consent.deadline, consent.signature),
      )
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, newKey.address, ControllerChange.Rotation);
      const after = await readParticipant(registry, patientId);
      expect(after.controller).to.equal(newKey.address);
      expect(after.keyEpoch).to.equal(1n);
      expect(await registry.idOf(newKey.address)).to.equal(patientId);
      expect(await registry.idOf(patientKey.address)).to.equal(0n);
      expect(await registry.activeIdOf(newKey.address, ParticipantKind.Patient)).to.equal(patientId);
      expect(await registry.activeIdOf(patientKey.address, ParticipantKind.Patient)).to.equal(0n);
      expect(await registry.accountStanding(patientKey.address, await latest())).to.deep.equal([0n, 0n, 0n, false]);
    });

    it("rotates an institutional id and keeps its record", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, cardiologistId, cardiologistKey, hospitalId } = f;
      const before = await readParticipant(registry, cardiologistId);
      const newKey = signer(f.spareKeys, 0);
      await rotate(f, cardiologistId, cardiologistKey, newKey);
      expect(await readParticipant(registry, cardiologistId)).to.deep.equal({
        ...before,
        controller: newKey.address,
        keyEpoch: before.keyEpoch + 1n,
      });
      expect(await registry.accountStanding(newKey.address, await latest())).to.deep.equal([
        cardiologistId,
        BigInt(ParticipantKind.Practitioner),
        hospitalId,
        true,
      ]);
    });

    it("stops the old key from working at once and lets the new key act", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, spareKeys } = f;
      const newKey = signer(spareKeys, 0);
      await rotate(f, patientId, patientKey, newKey);
      const other = signer(spareKeys, 1);
      const consent = await transferConsent(f, other, { id: patientId });
      await expect(
        registry.connect(patientKey).rotateController(patientId, other.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[0]], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      const expiresAt = (await latest()) + BigInt(DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, patientKey.address);
      await expect(registry.connect(newKey).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, guardianIds[0], expiresAt);
      // The guardians survive a key rotation.
      const [guardians] = await registry.guardiansOf(patientId);
      expect(guardians).to.deep.equal([...guardianIds]);
    });

    it("retires the old key for good: it can never register, be registered or take an id again", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey } = f;
      const newKey = signer(f.spareKeys, 0);
      await rotate(f, patientId, patientKey, newKey);
      const lastId = await registry.lastId();
      await expect(registry.connect(patientKey).registerPatient())
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
      const registration = await registrationConsent(f, patientKey, { kind: ParticipantKind.Payer });
      await expect(registerCall(f, ParticipantKind.Payer, patientKey.address, registration))
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
      // Not even its own id can come back to it, with a fresh consent over the current key epoch...
      const back = await transferConsent(f, patientKey, { id: patientId });
      await expect(
        registry.connect(newKey).rotateController(patientId, patientKey.address, back.deadline, back.signature),
      )
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
      // ...nor can guardians recover an id to it.
      await expect(registry.connect(f.guardianKeys[0]).approveRecovery(patientId, patientKey.address))
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(patientKey.address);
      expect(await registry.lastId()).to.equal(lastId);
      expect(await registry.idOf(patientKey.address)).to.equal(0n);
      expect(await registry.accountStanding(patientKey.address, await latest())).to.deep.equal([0n, 0n, 0n, false]);
      expect(await registry.idOf(newKey.address)).to.equal(patientId);
    });

    it("lets a new key rotate again with a consent over the new key epoch", async function () {
      const f = await loadFixture(identityFixture);
      const [first, second] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      await rotate(f, f.patientId, f.patientKey, first);
      const consent = await transferConsent(f, second, { id: f.patientId, keyEpoch: 1n });
      await expect(
        f.registry.connect(first).rotateController(f.patientId, second.address, consent.deadline, consent.signature),
      )
        .to.emit(f.registry, "ControllerChanged")
        .withArgs(f.patientId, first.address, second.address, ControllerChange.Rotation);
      expect((await readParticipant(f.registry, f.patientId)).keyEpoch).to.equal(2n);
    });

    it("accepts a deadline at the current block and exactly MAX_SIGNATURE_WINDOW ahead", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, hospitalId, hospitalKey } = f;
      const [first, second] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      const now = (await latest()) + 1n;
      const atNow = await transferConsent(f, first, { id: hospitalId, deadline: now });
      await time.setNextBlockTimestamp(now);
      await expect(
        registry.connect(hospitalKey).rotateController(hospitalId, first.address, atNow.deadline, atNow.signature),
      )
        .to.emit(registry, "ControllerChanged")
        .withArgs(hospitalId, hospitalKey.address, first.address, ControllerChange.Rotation);
      const later = (await latest()) + 1n;
      const farthest = await transferConsent(f, second, { id: hospitalId, deadline: later + MAX_SIGNATURE_WINDOW });
      await time.setNextBlockTimestamp(later);
      await expect(
        registry.connect(first).rotateController(hospitalId, second.address, farthest.deadline, farthest.signature),
      )
        .to.emit(registry, "ControllerChanged")
        .withArgs(hospitalId, first.address, second.address, ControllerChange.Rotation);
    });

    it("lets a suspended participant rotate a compromised key, which stays suspended", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, cardiologistId, cardiologistKey } = f;
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: cardiologistId });
      await expect(
        registry
          .connect(cardiologistKey)
          .rotateController(cardiologistId, newKey.address, consent.deadline, consent.signature),
      )
        .to.emit(registry, "ControllerChanged")
        .withArgs(cardiologistId, cardiologistKey.address, newKey.address, ControllerChange.Rotation);
      expect((await readParticipant(registry, cardiologistId)).status).to.equal(BigInt(ParticipantStatus.Suspended));
      expect(await registry.activeIdOf(newKey.address, ParticipantKind.Practitioner)).to.equal(0n);
    });

    it("lets a participant with an expired credential rotate its key", async function () {
      const f = await loadFixture(identityFixture);
      await time.increaseTo(f.credentialExpiry);
      expect(await f.registry.isActive(f.hospitalId)).to.equal(false);
      const newKey = signer(f.spareKeys, 0);
      await rotate(f, f.hospitalId, f.hospitalKey, newKey);
      expect(await f.registry.idOf(newKey.address)).to.equal(f.hospitalId);
    });

    it("lets a practitioner whose affiliation is still an offer rotate its key", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, key, { affiliation: f.hospitalId });
      const newKey = signer(f.spareKeys, 1);
      await rotate(f, id, key, newKey);
      expect(await f.registry.idOf(newKey.address)).to.equal(id);
      expect(await f.registry.affiliationOffer(id)).to.equal(f.hospitalId);
      // The hospital's acceptance reaches the new key's standing.
      await (await f.registry.connect(f.hospitalKey).acceptAffiliate(id)).wait();
      expect(await f.registry.activeIdOf(newKey.address, ParticipantKind.Practitioner)).to.equal(id);
    });

    it("leaves live guardian recoveries alone: guardians outrank whoever holds the key", async function () {
      const f = await loadFixture(identityFixture);
      const recoveryKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, recoveryKey.address);
      const [, , expiresAt] = await f.registry.recoveryOf(f.patientId, recoveryKey.address);
      const newKey = signer(f.spareKeys, 1);
      await rotate(f, f.patientId, f.patientKey, newKey);
      expect(await f.registry.recoveryOf(f.patientId, recoveryKey.address)).to.deep.equal([
        BigInt(GUARDIAN_THRESHOLD),
        readyAt,
        expiresAt,
        0n,
      ]);
      await time.increaseTo(readyAt);
      await expect(f.registry.connect(recoveryKey).executeRecovery(f.patientId))
        .to.emit(f.registry, "ControllerChanged")
        .withArgs(f.patientId, newKey.address, recoveryKey.address, ControllerChange.GuardianRecovery);
    });

    it("stops a guardian's old key from approving and lets its new key approve", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = f;
      const newGuardianKey = signer(spareKeys, 0);
      const recoveryKey = signer(spareKeys, 1).address;
      await rotate(f, guardianIds[0], guardianKeys[0], newGuardianKey);
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, recoveryKey))
        .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
        .withArgs(patientId, guardianKeys[0].address);
      await expect(registry.connect(newGuardianKey).approveRecovery(patientId, recoveryKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], recoveryKey, 1, 0);
    });

    it("hands the id to an ERC-1271 contract wallet that approves the consent's digest", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey } = f;
      const deadline = (await latest()) + BigInt(DAY);
      const wallet = Wallet.createRandom().address;
      await installWallet(
        wallet,
        controlTransferDigest(await domainOf(f), { id: patientId, newController: wallet, keyEpoch: 0n, deadline }),
      );
      await expect(registry.connect(patientKey).rotateController(patientId, wallet, deadline, "0x"))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, wallet, ControllerChange.Rotation);
      expect(await registry.idOf(wallet)).to.equal(patientId);
    });

    it("reverts with IdentityInvalidKeySignature when a contract wallet does not approve the digest", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey } = f;
      const deadline = (await latest()) + BigInt(DAY);
      // The wallet approves its consent to take over another id only.
      const wallet = Wallet.createRandom().address;
      await installWallet(
        wallet,
        controlTransferDigest(await domainOf(f), { id: f.hospitalId, newController: wallet, keyEpoch: 0n, deadline }),
      );
      await expect(registry.connect(patientKey).rotateController(patientId, wallet, deadline, "0x"))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidKeySignature")
        .withArgs(wallet);
    });

    it("reverts with IdentityNotController when the caller is not the id's controller", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianKeys, hospitalKey, spareKeys } = f;
      const newKey = signer(spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: patientId });
      // The new key itself cannot take the id with its own consent: the current key must hand it over.
      for (const caller of [guardianKeys[0], hospitalKey, signer(spareKeys, 1), newKey]) {
        await expect(
          registry.connect(caller).rotateController(patientId, newKey.address, consent.deadline, consent.signature),
        )
          .to.be.revertedWithCustomError(registry, "IdentityNotController")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientKey, spareKeys } = f;
      const unknown = (await registry.lastId()) + 1n;
      const newKey = signer(spareKeys, 0);
      for (const id of [unknown, 0n]) {
        const consent = await transferConsent(f, newKey, { id, keyEpoch: 0n });
        await expect(
          registry.connect(patientKey).rotateController(id, newKey.address, consent.deadline, consent.signature),
        )
          .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
          .withArgs(id);
      }
    });

    it("reverts with IdentityParticipantRevoked when the id is revoked", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, hospitalId, hospitalKey, spareKeys } = f;
      await (await registry.connect(registrar).revoke(hospitalId, REASON)).wait();
      const newKey = signer(spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: hospitalId });
      await expect(
        registry.connect(hospitalKey).rotateController(hospitalId, newKey.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(registry, "IdentityParticipantRevoked")
        .withArgs(hospitalId);
      expect(await registry.idOf(hospitalKey.address)).to.equal(hospitalId);
    });

    it("reverts with IdentityZeroAddress when the new key is the zero address", async function () {
      const f = await loadFixture(identityFixture);
      const consent = await transferConsent(f, signer(f.spareKeys, 0), { id: f.patientId, newController: ZeroAddress });
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, ZeroAddress, consent.deadline, consent.signature),
      ).to.be.revertedWithCustomError(f.registry, "IdentityZeroAddress");
    });

    it("reverts with IdentityAccountAlreadyBound when the new key controls an id, is revoked, retired or the caller", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, hospitalKey, guardianIds, guardianKeys } = f;
      await (await registry.connect(registrar).revoke(guardianIds[1], REASON)).wait();
      // Guardian 3 moved its id to another key: its first key is retired.
      await rotate(f, guardianIds[2], guardianKeys[2], signer(f.spareKeys, 0));
      for (const bound of [hospitalKey, guardianKeys[0], guardianKeys[1], guardianKeys[2], patientKey]) {
        const consent = await transferConsent(f, bound, { id: patientId });
        await expect(
          registry.connect(patientKey).rotateController(patientId, bound.address, consent.deadline, consent.signature),
        )
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(bound.address);
      }
    });

    it("reverts with IdentitySignatureDeadlineOutOfRange when the consent has expired", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const signedAt = await latest();
      const consent = await transferConsent(f, newKey, { id: f.patientId, deadline: signedAt + 10n });
      await time.increaseTo(signedAt + 10n);
      const now = await nextTimestamp();
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, newKey.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentitySignatureDeadlineOutOfRange")
        .withArgs(consent.deadline, now, now + MAX_SIGNATURE_WINDOW);
      expect(consent.deadline).to.equal(now - 1n);
    });

    it("reverts with IdentitySignatureDeadlineOutOfRange when the deadline is beyond MAX_SIGNATURE_WINDOW", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const now = (await latest()) + 1n;
      const consent = await transferConsent(f, newKey, { id: f.patientId, deadline: now + MAX_SIGNATURE_WINDOW + 1n });
      await time.setNextBlockTimestamp(now);
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, newKey.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentitySignatureDeadlineOutOfRange")
        .withArgs(consent.deadline, now, now + MAX_SIGNATURE_WINDOW);
    });

    it("reverts with IdentityInvalidKeySignature when another key signed the consent", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      // The current key, a stranger and the registrar sign "newKey takes over" in newKey's name.
      for (const forger of [f.patientKey, signer(f.spareKeys, 1), f.registrar]) {
        const consent = await transferConsent(f, forger, { id: f.patientId, newController: newKey.address });
        await expect(
          f.registry
            .connect(f.patientKey)
            .rotateController(f.patientId, newKey.address, consent.deadline, consent.signature),
        )
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
          .withArgs(newKey.address);
      }
    });

    it("reverts with IdentityInvalidKeySignature for a consent to take over another id", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: f.hospitalId });
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, newKey.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(newKey.address);
    });

    it("reverts with IdentityInvalidKeySignature for a consent naming another new controller", async function () {
      const f = await loadFixture(identityFixture);
      const [newKey, other] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      const consent = await transferConsent(f, newKey, { id: f.patientId, newController: other.address });
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, other.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(other.address);
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, newKey.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(newKey.address);
    });

    it("reverts with IdentityInvalidKeySignature when the deadline sent is not the one signed", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: f.patientId });
      await expect(
        f.registry
          .connect(f.patientKey)
          .rotateController(f.patientId, newKey.address, consent.deadline + 1n, consent.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(newKey.address);
    });

    it("reverts with IdentityInvalidKeySignature for a consent in another domain, another type or malformed", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const { chainId } = await ethers.provider.getNetwork();
      const registryAddress = await f.registry.getAddress();
      const deadline = (await latest()) + BigInt(DAY);
      const message = { id: f.patientId, newController: newKey.address, keyEpoch: 0n, deadline };
      const signatures = [
        // another chain, another registry, another domain name
        await signControlTransfer(newKey, identityDomain(chainId + 1n, registryAddress), message),
        await signControlTransfer(newKey, identityDomain(chainId, await f.consentRegistry.getAddress()), message),
        await signControlTransfer(newKey, { ...identityDomain(chainId, registryAddress), name: "CareLedger" }, message),
        // a registration consent instead of a transfer
        (await registrationConsent(f, newKey, { kind: ParticipantKind.Patient, deadline })).signature,
        "0x",
        `0x${"11".repeat(65)}`,
      ];
      for (const signature of signatures) {
        await expect(
          f.registry.connect(f.patientKey).rotateController(f.patientId, newKey.address, deadline, signature),
        )
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
          .withArgs(newKey.address);
      }
    });

    it("reverts with IdentityAccountAlreadyBound when a used consent is replayed: its key was retired", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey } = f;
      const [laptop, phone] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      const laptopConsent = await transferConsent(f, laptop, { id: patientId });
      await (
        await registry
          .connect(patientKey)
          .rotateController(patientId, laptop.address, laptopConsent.deadline, laptopConsent.signature)
      ).wait();
      // The laptop hands the id on to the phone: the laptop is retired, not free.
      await rotate(f, patientId, laptop, phone);
      expect(await registry.idOf(laptop.address)).to.equal(0n);
      // Whoever kept the laptop's consent cannot use it to bring the laptop back, whoever sends it.
      await expect(
        registry
          .connect(phone)
          .rotateController(patientId, laptop.address, laptopConsent.deadline, laptopConsent.signature),
      )
        .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
        .withArgs(laptop.address);
      expect((await readParticipant(registry, patientId)).controller).to.equal(phone.address);
      expect((await readParticipant(registry, patientId)).keyEpoch).to.equal(2n);
    });

    it("reverts with IdentityInvalidKeySignature for a fresh key's consent given before another change of key", async function () {
      const f = await loadFixture(identityFixture);
      const [first, second] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      const stale = await transferConsent(f, second, { id: f.patientId });
      await rotate(f, f.patientId, f.patientKey, first);
      await expect(
        f.registry.connect(first).rotateController(f.patientId, second.address, stale.deadline, stale.signature),
      )
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(second.address);
    });
  });

  describe("setGuardians", function () {
    it("sets a patient's first guardians at once", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const patient = await registerPatient(f, key);
      const guardians = [f.guardianIds[0], f.cardiologistId, f.hospitalId];
      await expect(f.registry.connect(key).setGuardians(patient, guardians, 2, 3 * DAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(patient, guardians, 2, 3 * DAY)
        .and.not.to.emit(f.registry, "GuardianChangeScheduled");
      expect(await f.registry.guardiansOf(patient)).to.deep.equal([guardians, 2n, BigInt(3 * DAY)]);
      expect(await f.registry.pendingGuardianChange(patient)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
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
      const key = signer(f.spareKeys, 0);
      const patient = await registerPatient(f, key);
      const guardians = [...f.guardianIds, f.hospitalId, f.cardiologistId];
      for (let i = 1; guardians.length < 8; i++) guardians.push(await registerPatient(f, signer(f.spareKeys, i)));
      await expect(f.registry.connect(key).setGuardians(patient, guardians, 8, MIN_RECOVERY_DELAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(patient, guardians, 8, MIN_RECOVERY_DELAY);
      const now = await nextTimestamp();
      await expect(f.registry.connect(key).setGuardians(patient, guardians, 1, MAX_RECOVERY_DELAY))
        .to.emit(f.registry, "GuardianChangeScheduled")
        .withArgs(patient, guardians, 1, MAX_RECOVERY_DELAY, now + BigInt(MIN_RECOVERY_DELAY));
      await time.increaseTo(now + BigInt(MIN_RECOVERY_DELAY));
      await (await f.registry.confirmGuardianChange(patient)).wait();
      expect(await f.registry.guardiansOf(patient)).to.deep.equal([guardians, 1n, BigInt(MAX_RECOVERY_DELAY)]);
    });

    it("schedules any later change after the current delay and leaves the current guardians in place", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      const recoveryKey = signer(f.spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, recoveryKey)).wait();
      const now = await nextTimestamp();
      const effectiveAt = now + BigInt(RECOVERY_DELAY);
      await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[0], guardianIds[1]], 1, DAY))
        .to.emit(registry, "GuardianChangeScheduled")
        .withArgs(patientId, [guardianIds[0], guardianIds[1]], 1, DAY, effectiveAt)
        .and.not.to.emit(registry, "GuardiansSet");
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([
        [guardianIds[0], guardianIds[1]],
        1n,
        BigInt(DAY),
        effectiveAt,
        0n,
      ]);
      expect(await registry.guardiansOf(patientId)).to.deep.equal([
        [...guardianIds],
        BigInt(GUARDIAN_THRESHOLD),
        BigInt(RECOVERY_DELAY),
      ]);
      // Meanwhile the current guardians and their recoveries carry on.
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, recoveryKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[2], recoveryKey, 2, now + 1n + BigInt(RECOVERY_DELAY));
    });

    it("schedules clearing the guardians too, with delay 0 whatever delay was given", async function () {
      const f = await loadFixture(identityFixture);
      const now = await nextTimestamp();
      await expect(f.registry.connect(f.patientKey).setGuardians(f.patientId, [], 0, 12345))
        .to.emit(f.registry, "GuardianChangeScheduled")
        .withArgs(f.patientId, [], 0, 0, now + BigInt(RECOVERY_DELAY));
      expect((await f.registry.guardiansOf(f.patientId))[0]).to.deep.equal([...f.guardianIds]);
    });

    it("replaces a waiting change, its effective time and its vetoes", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      await scheduleChange(f, [guardianIds[0]], 1, DAY);
      await (await registry.connect(guardianKeys[0]).vetoGuardianChange(patientId)).wait();
      await time.increase(DAY);
      const now = await nextTimestamp();
      await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[1], guardianIds[2]], 2, 4 * DAY))
        .to.emit(registry, "GuardianChangeScheduled")
        .withArgs(patientId, [guardianIds[1], guardianIds[2]], 2, 4 * DAY, now + BigInt(RECOVERY_DELAY));
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([
        [guardianIds[1], guardianIds[2]],
        2n,
        BigInt(4 * DAY),
        now + BigInt(RECOVERY_DELAY),
        0n,
      ]);
      await expect(registry.connect(guardianKeys[0]).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patientId, guardianIds[0], 1);
    });

    it("sets guardians at once again once the guardians were cleared", async function () {
      const f = await loadFixture(identityFixture);
      const effectiveAt = await scheduleChange(f, [], 0, 0);
      await time.increaseTo(effectiveAt);
      await (await f.registry.confirmGuardianChange(f.patientId)).wait();
      await expect(f.registry.connect(f.patientKey).setGuardians(f.patientId, [f.guardianIds[1]], 1, DAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(f.patientId, [f.guardianIds[1]], 1, DAY);
      expect(await f.registry.guardiansOf(f.patientId)).to.deep.equal([[f.guardianIds[1]], 1n, BigInt(DAY)]);
    });

    it("clears at once the (empty) guardians of a patient who has none", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const patient = await registerPatient(f, key);
      await expect(f.registry.connect(key).setGuardians(patient, [], 0, DAY))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(patient, [], 0, 0);
      expect(await f.registry.guardiansOf(patient)).to.deep.equal([[], 0n, 0n]);
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

    it("reverts with IdentityParticipantInactive when the patient is suspended or revoked", async function () {
      const { registry, registrar, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).setGuardians(patientId, [guardianIds[0]], 1, DAY))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantInactive")
        .withArgs(patientId);
      await (await registry.connect(registrar).revoke(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).setGuardians(patientId, [], 0, 0))
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

    it("reverts with IdentityInvalidGuardian for an unknown, suspended, revoked, expired or unaffiliated guardian", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey } = f;
      const unknown = (await registry.lastId()) + 100n;
      await (await registry.connect(registrar).suspend(f.guardianIds[1], REASON)).wait();
      await (await registry.connect(registrar).revoke(f.guardianIds[2], REASON)).wait();
      const shortLived = await registerInstitutional(f, ParticipantKind.Regulator, signer(f.spareKeys, 0), {
        expiry: (await latest()) + 100n,
      });
      const offered = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 1), {
        affiliation: f.hospitalId,
      });
      const released = f.cardiologistId;
      await (await registry.connect(f.hospitalKey).releaseAffiliate(released)).wait();
      await time.increase(100);
      for (const bad of [unknown, 0n, f.guardianIds[1], f.guardianIds[2], shortLived, offered, released]) {
        await expect(registry.connect(patientKey).setGuardians(patientId, [f.guardianIds[0], bad], 1, DAY))
          .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardian")
          .withArgs(bad);
      }
    });
  });

  describe("confirmGuardianChange", function () {
    it("applies the waiting change at effectiveAt; anyone may confirm", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds } = f;
      const effectiveAt = await scheduleChange(f, [guardianIds[0], f.hospitalId], 1, 5 * DAY);
      await time.setNextBlockTimestamp(effectiveAt);
      await expect(registry.connect(signer(f.spareKeys, 0)).confirmGuardianChange(patientId))
        .to.emit(registry, "GuardiansSet")
        .withArgs(patientId, [guardianIds[0], f.hospitalId], 1, 5 * DAY);
      expect(await registry.guardiansOf(patientId)).to.deep.equal([
        [guardianIds[0], f.hospitalId],
        1n,
        BigInt(5 * DAY),
      ]);
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      // The new delay governs the next change, and the new guardians act.
      const now = await nextTimestamp();
      await expect(registry.connect(f.patientKey).setGuardians(patientId, [guardianIds[1]], 1, DAY))
        .to.emit(registry, "GuardianChangeScheduled")
        .withArgs(patientId, [guardianIds[1]], 1, DAY, now + BigInt(5 * DAY));
      await expect(registry.connect(f.hospitalKey).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patientId, f.hospitalId, 1);
    });

    it("ends every pending recovery, even when the set is unchanged", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      const readyAt = await reachThreshold(f, first.address);
      await (await registry.connect(guardianKeys[2]).approveRecovery(patientId, second.address)).wait();
      const effectiveAt = await scheduleChange(f, [...guardianIds], GUARDIAN_THRESHOLD, RECOVERY_DELAY);
      await time.increaseTo(effectiveAt);
      await (await registry.confirmGuardianChange(patientId)).wait();
      for (const key of [first, second]) {
        expect(await registry.recoveryOf(patientId, key.address)).to.deep.equal([0n, 0n, 0n, 0n]);
      }
      expect(effectiveAt).to.be.greaterThanOrEqual(readyAt);
      await expect(registry.connect(first).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId, first.address);
      // The guardians start afresh: earlier approvals no longer count.
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, first.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], first.address, 1, 0);
    });

    it("clears the guardians, after which no one can approve a recovery", async function () {
      const f = await loadFixture(identityFixture);
      const effectiveAt = await scheduleChange(f, [], 0, 0);
      await time.increaseTo(effectiveAt);
      await expect(f.registry.confirmGuardianChange(f.patientId))
        .to.emit(f.registry, "GuardiansSet")
        .withArgs(f.patientId, [], 0, 0);
      expect(await f.registry.guardiansOf(f.patientId)).to.deep.equal([[], 0n, 0n]);
      await expect(f.registry.connect(f.guardianKeys[0]).approveRecovery(f.patientId, signer(f.spareKeys, 0)))
        .to.be.revertedWithCustomError(f.registry, "IdentityNotGuardian")
        .withArgs(f.patientId, f.guardianKeys[0].address);
    });

    it("reverts with IdentityGuardianChangeNotReady one second before effectiveAt", async function () {
      const f = await loadFixture(identityFixture);
      const effectiveAt = await scheduleChange(f, [f.guardianIds[0]], 1, DAY);
      await time.setNextBlockTimestamp(effectiveAt - 1n);
      await expect(f.registry.confirmGuardianChange(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityGuardianChangeNotReady")
        .withArgs(f.patientId, effectiveAt);
    });

    it("reverts with IdentityNoGuardianChange when none waits, after a cancellation and after a confirmation", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, hospitalId } = f;
      for (const id of [patientId, hospitalId, (await registry.lastId()) + 1n]) {
        await expect(registry.confirmGuardianChange(id))
          .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
          .withArgs(id);
      }
      let effectiveAt = await scheduleChange(f, [guardianIds[0]], 1, DAY);
      await (await registry.connect(patientKey).cancelGuardianChange(patientId)).wait();
      await time.increaseTo(effectiveAt);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
      effectiveAt = await scheduleChange(f, [guardianIds[0]], 1, DAY);
      await time.increaseTo(effectiveAt);
      await (await registry.confirmGuardianChange(patientId)).wait();
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
    });

    it("reverts with IdentityParticipantInactive while the patient is suspended, and applies after reinstatement", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, guardianIds } = f;
      const effectiveAt = await scheduleChange(f, [guardianIds[0]], 1, DAY);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await time.increaseTo(effectiveAt);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityParticipantInactive")
        .withArgs(patientId);
      await (await registry.connect(registrar).reinstate(patientId, REASON)).wait();
      await expect(registry.confirmGuardianChange(patientId))
        .to.emit(registry, "GuardiansSet")
        .withArgs(patientId, [guardianIds[0]], 1, DAY);
    });

    it("reverts with IdentityParticipantInactive for a revoked patient", async function () {
      const f = await loadFixture(identityFixture);
      const effectiveAt = await scheduleChange(f, [f.guardianIds[0]], 1, DAY);
      await (await f.registry.connect(f.registrar).revoke(f.patientId, REASON)).wait();
      await time.increaseTo(effectiveAt);
      await expect(f.registry.confirmGuardianChange(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantInactive")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityInvalidGuardian when a new guardian became inactive meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, guardianIds, hospitalId } = f;
      const effectiveAt = await scheduleChange(f, [guardianIds[0], hospitalId], 1, DAY);
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      await time.increaseTo(effectiveAt);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityInvalidGuardian")
        .withArgs(hospitalId);
      await (await registry.connect(registrar).reinstate(hospitalId, REASON)).wait();
      await expect(registry.confirmGuardianChange(patientId)).to.emit(registry, "GuardiansSet");
    });
  });

  describe("cancelGuardianChange", function () {
    it("lets the patient's key drop the waiting change", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds } = f;
      const effectiveAt = await scheduleChange(f, [], 0, 0);
      await expect(registry.connect(patientKey).cancelGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, false);
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      await time.increaseTo(effectiveAt);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
      expect((await registry.guardiansOf(patientId))[0]).to.deep.equal([...guardianIds]);
    });

    it("lets a suspended patient's key drop its waiting change", async function () {
      const f = await loadFixture(identityFixture);
      await scheduleChange(f, [f.guardianIds[0]], 1, DAY);
      await (await f.registry.connect(f.registrar).suspend(f.patientId, REASON)).wait();
      await expect(f.registry.connect(f.patientKey).cancelGuardianChange(f.patientId))
        .to.emit(f.registry, "GuardianChangeCancelled")
        .withArgs(f.patientId, false);
    });

    it("reverts with IdentityNotController when a guardian or a stranger tries", async function () {
      const f = await loadFixture(identityFixture);
      await scheduleChange(f, [f.guardianIds[0]], 1, DAY);
      for (const caller of [signer(f.guardianKeys, 0), signer(f.spareKeys, 0), f.registrar]) {
        await expect(f.registry.connect(caller).cancelGuardianChange(f.patientId))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotController")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("reverts with IdentityNoGuardianChange when none waits", async function () {
      const { registry, patientId, patientKey } = await loadFixture(identityFixture);
      await expect(registry.connect(patientKey).cancelGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const { registry, patientKey } = await loadFixture(identityFixture);
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).cancelGuardianChange(unknown))
        .to.be.revertedWithCustomError(registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });
  });

  describe("vetoGuardianChange", function () {
    it("counts a current guardian's veto and keeps the change below a majority", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys } = f;
      const effectiveAt = await scheduleChange(f, [f.hospitalId], 1, DAY);
      await expect(registry.connect(guardianKeys[1]).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patientId, guardianIds[1], 1)
        .and.not.to.emit(registry, "GuardianChangeCancelled");
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([
        [f.hospitalId],
        1n,
        BigInt(DAY),
        effectiveAt,
        1n,
      ]);
    });

    it("drops the change once more than half of the current guardians vetoed it", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys } = f;
      const effectiveAt = await scheduleChange(f, [], 0, 0);
      await (await registry.connect(guardianKeys[0]).vetoGuardianChange(patientId)).wait();
      await expect(registry.connect(guardianKeys[2]).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patientId, guardianIds[2], 2)
        .and.to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, true);
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      await time.increaseTo(effectiveAt);
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
      expect((await registry.guardiansOf(patientId))[0]).to.deep.equal([...guardianIds]);
    });

    it("needs 3 vetoes of 4 guardians, and the single veto of a lone guardian", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, guardianIds, guardianKeys } = f;
      const [fourKey, oneKey] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      const [four, one] = [await registerPatient(f, fourKey), await registerPatient(f, oneKey)];
      await (await registry.connect(fourKey).setGuardians(four, [...guardianIds, f.hospitalId], 2, DAY)).wait();
      await (await registry.connect(fourKey).setGuardians(four, [guardianIds[0]], 1, DAY)).wait();
      await (await registry.connect(guardianKeys[0]).vetoGuardianChange(four)).wait();
      await expect(registry.connect(guardianKeys[1]).vetoGuardianChange(four))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(four, guardianIds[1], 2)
        .and.not.to.emit(registry, "GuardianChangeCancelled");
      await expect(registry.connect(f.hospitalKey).vetoGuardianChange(four))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(four, true);
      await (await registry.connect(oneKey).setGuardians(one, [guardianIds[2]], 1, DAY)).wait();
      await (await registry.connect(oneKey).setGuardians(one, [], 0, 0)).wait();
      await expect(registry.connect(guardianKeys[2]).vetoGuardianChange(one))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(one, true);
    });

    it("counts the majority over active guardians: the one active guardian of three drops the change alone", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, guardianIds, guardianKeys } = f;
      const effectiveAt = await scheduleChange(f, [f.hospitalId], 1, DAY);
      await (await registry.connect(registrar).suspend(guardianIds[0], REASON)).wait();
      await (await registry.connect(registrar).revoke(guardianIds[1], REASON)).wait();
      await expect(registry.connect(guardianKeys[2]).vetoGuardianChange(patientId))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patientId, guardianIds[2], 1)
        .and.to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, true);
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      await time.increaseTo(effectiveAt + BigInt(DAY));
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
    });

    it("needs 2 vetoes of 4 guardians while one is suspended, and 3 once it is reinstated", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar } = f;
      const { patient, key, guardians, guardianKeys } = await patientWithGuardians(f, 4, 2);
      // The hospital (guardian 4) is suspended: three active guardians, a majority is 2.
      await (await registry.connect(registrar).suspend(f.hospitalId, REASON)).wait();
      await (await registry.connect(key).setGuardians(patient, [item(guardians, 0)], 1, DAY)).wait();
      await (await registry.connect(signer(guardianKeys, 0)).vetoGuardianChange(patient)).wait();
      await expect(registry.connect(signer(guardianKeys, 1)).vetoGuardianChange(patient))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patient, true);
      // Reinstated: four active guardians, a majority is 3 again.
      await (await registry.connect(registrar).reinstate(f.hospitalId, REASON)).wait();
      await (await registry.connect(key).setGuardians(patient, [item(guardians, 0)], 1, DAY)).wait();
      await (await registry.connect(signer(guardianKeys, 0)).vetoGuardianChange(patient)).wait();
      await expect(registry.connect(signer(guardianKeys, 1)).vetoGuardianChange(patient))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patient, guardians[1], 2)
        .and.not.to.emit(registry, "GuardianChangeCancelled");
      await expect(registry.connect(signer(guardianKeys, 3)).vetoGuardianChange(patient))
        .to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patient, true);
    });

    it("stops counting a veto once its guardian is suspended, and counts it again on reinstatement", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar } = f;
      const { patient, key, guardians, guardianKeys } = await patientWithGuardians(f, 4, 2);
      await (await registry.connect(key).setGuardians(patient, [item(guardians, 0)], 1, DAY)).wait();
      await (await registry.connect(signer(guardianKeys, 0)).vetoGuardianChange(patient)).wait();
      await (await registry.connect(registrar).suspend(item(guardians, 0), REASON)).wait();
      // Three guardians active now; the suspended guardian's veto no longer weighs: one of three is no majority.
      await expect(registry.connect(signer(guardianKeys, 1)).vetoGuardianChange(patient))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patient, guardians[1], 1)
        .and.not.to.emit(registry, "GuardianChangeCancelled");
      expect((await registry.pendingGuardianChange(patient)).effectiveAt).to.not.equal(0n);
      // Reinstated, its veto counts again: with a third, three of four are a majority.
      await (await registry.connect(registrar).reinstate(item(guardians, 0), REASON)).wait();
      await expect(registry.connect(signer(guardianKeys, 2)).vetoGuardianChange(patient))
        .to.emit(registry, "GuardianChangeVetoed")
        .withArgs(patient, guardians[2], 3)
        .and.to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patient, true);
    });

    it("vetoes a change whose time has come but that nobody confirmed yet", async function () {
      const f = await loadFixture(identityFixture);
      const effectiveAt = await scheduleChange(f, [f.hospitalId], 1, DAY);
      await time.increaseTo(effectiveAt + BigInt(DAY));
      await (await f.registry.connect(f.guardianKeys[0]).vetoGuardianChange(f.patientId)).wait();
      await expect(f.registry.connect(f.guardianKeys[1]).vetoGuardianChange(f.patientId))
        .to.emit(f.registry, "GuardianChangeCancelled")
        .withArgs(f.patientId, true);
    });

    it("reverts with IdentityGuardianChangeAlreadyVetoed when a guardian vetoes twice", async function () {
      const f = await loadFixture(identityFixture);
      await scheduleChange(f, [f.hospitalId], 1, DAY);
      await (await f.registry.connect(f.guardianKeys[0]).vetoGuardianChange(f.patientId)).wait();
      await expect(f.registry.connect(f.guardianKeys[0]).vetoGuardianChange(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityGuardianChangeAlreadyVetoed")
        .withArgs(f.patientId, f.guardianIds[0]);
      expect((await f.registry.pendingGuardianChange(f.patientId))[4]).to.equal(1n);
    });

    it("reverts with IdentityNotGuardian for the patient, a stranger, a guardian-to-be and a suspended guardian", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys, hospitalKey } = f;
      await scheduleChange(f, [f.hospitalId], 1, DAY);
      await (await registry.connect(registrar).suspend(guardianIds[2], REASON)).wait();
      for (const caller of [patientKey, signer(f.spareKeys, 0), hospitalKey, guardianKeys[2]]) {
        await expect(registry.connect(caller).vetoGuardianChange(patientId))
          .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityNoGuardianChange when none waits", async function () {
      const { registry, patientId, guardianKeys, hospitalId } = await loadFixture(identityFixture);
      for (const id of [patientId, hospitalId]) {
        await expect(registry.connect(guardianKeys[0]).vetoGuardianChange(id))
          .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
          .withArgs(id);
      }
    });
  });

  describe("approveRecovery", function () {
    it("opens a recovery for the new key with the first approval, without a readyAt", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      const now = await nextTimestamp();
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], newKey, 1, 0);
      expect(await registry.recoveryOf(patientId, newKey)).to.deep.equal([1n, 0n, now + RECOVERY_WINDOW, 0n]);
      expect((await readParticipant(registry, patientId)).controller).to.not.equal(newKey);
      expect(await registry.idOf(newKey)).to.equal(0n);
    });

    it("starts the delay when the threshold is reached and keeps it on later approvals", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey)).wait();
      const now = await nextTimestamp();
      const readyAt = now + BigInt(RECOVERY_DELAY);
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], newKey, 2, readyAt);
      expect(await registry.recoveryOf(patientId, newKey)).to.deep.equal([2n, readyAt, readyAt + RECOVERY_WINDOW, 0n]);
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[2], newKey, 3, readyAt);
      expect(await registry.recoveryOf(patientId, newKey)).to.deep.equal([3n, readyAt, readyAt + RECOVERY_WINDOW, 0n]);
    });

    it("keeps one recovery per new key, each with its own approvals", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const [first, second] = [signer(spareKeys, 0).address, signer(spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      const opened = await nextTimestamp();
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, second))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], second, 1, 0);
      const now = await nextTimestamp();
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, first))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], first, 2, now + BigInt(RECOVERY_DELAY));
      expect(await registry.recoveryOf(patientId, second)).to.deep.equal([1n, 0n, opened + RECOVERY_WINDOW, 0n]);
    });

    it("lets guardians recover a suspended patient", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.registrar).suspend(f.patientId, REASON)).wait();
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      expect(readyAt).to.not.equal(0n);
      await time.increaseTo(readyAt);
      await (await f.registry.connect(newKey).executeRecovery(f.patientId)).wait();
      expect(await f.registry.idOf(newKey.address)).to.equal(f.patientId);
      expect((await readParticipant(f.registry, f.patientId)).status).to.equal(BigInt(ParticipantStatus.Suspended));
    });

    it("reaches the threshold up to RECOVERY_WINDOW after the first approval and opens afresh after", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      const opened = await nextTimestamp();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      const openedSecond = await nextTimestamp();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, second)).wait();
      // At the last second of the window another approval still counts.
      await time.setNextBlockTimestamp(opened + RECOVERY_WINDOW);
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, first))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], first, 2, opened + RECOVERY_WINDOW + BigInt(RECOVERY_DELAY));
      // One second after its window the other recovery has lapsed: the same guardian's approval opens a new one.
      const reopened = openedSecond + RECOVERY_WINDOW + 1n;
      await time.setNextBlockTimestamp(reopened);
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, second))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], second, 1, 0);
      expect(await registry.recoveryOf(patientId, second)).to.deep.equal([1n, 0n, reopened + RECOVERY_WINDOW, 0n]);
    });

    it("reverts with IdentityNotGuardian when the caller is not an active guardian of the patient", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, guardianIds, guardianKeys, hospitalKey, patientKey, spareKeys } = f;
      const newKey = signer(spareKeys, 0).address;
      await (await registry.connect(registrar).suspend(guardianIds[2], REASON)).wait();
      for (const caller of [signer(spareKeys, 1), hospitalKey, patientKey, guardianKeys[2]]) {
        await expect(registry.connect(caller).approveRecovery(patientId, newKey))
          .to.be.revertedWithCustomError(registry, "IdentityNotGuardian")
          .withArgs(patientId, caller.address);
      }
    });

    it("reverts with IdentityNotGuardian for a guardian named only by a waiting change", async function () {
      const f = await loadFixture(identityFixture);
      await scheduleChange(f, [f.hospitalId], 1, DAY);
      await expect(f.registry.connect(f.hospitalKey).approveRecovery(f.patientId, signer(f.spareKeys, 0)))
        .to.be.revertedWithCustomError(f.registry, "IdentityNotGuardian")
        .withArgs(f.patientId, f.hospitalKey.address);
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

    it("reverts with IdentityAccountAlreadyBound when the new key controls an id (the patient's own included) or did", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys, hospitalKey } = f;
      await (await registry.connect(registrar).revoke(guardianIds[2], REASON)).wait();
      // The hospital moved to a new key: its first key is retired.
      await rotate(f, f.hospitalId, hospitalKey, signer(f.spareKeys, 0));
      for (const bound of [hospitalKey.address, guardianKeys[1].address, patientKey.address, guardianKeys[2].address]) {
        await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, bound))
          .to.be.revertedWithCustomError(registry, "IdentityAccountAlreadyBound")
          .withArgs(bound);
      }
    });

    it("reverts with IdentityRecoveryAlreadyApproved when a guardian approves the same key twice", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey)).wait();
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyApproved")
        .withArgs(patientId, guardianIds[0], newKey);
      expect((await registry.recoveryOf(patientId, newKey))[0]).to.equal(1n);
    });
  });

  describe("withdrawRecoveryApproval", function () {
    it("takes back an approval, and ends a recovery left without any", async function () {
      const { registry, patientId, guardianIds, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const [first, second] = [signer(spareKeys, 0).address, signer(spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, second)).wait();
      const other = await registry.recoveryOf(patientId, second);
      await expect(registry.connect(guardianKeys[0]).withdrawRecoveryApproval(patientId, first))
        .to.emit(registry, "RecoveryApprovalWithdrawn")
        .withArgs(patientId, guardianIds[0], first, 0);
      expect(await registry.recoveryOf(patientId, first)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await registry.recoveryOf(patientId, second)).to.deep.equal(other);
      await expect(registry.connect(guardianKeys[0]).withdrawRecoveryApproval(patientId, first))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId, first);
    });

    it("stops the delay below the threshold and restarts it from the next approval reaching it", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianIds, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0);
      const opened = await nextTimestamp();
      const readyAt = await reachThreshold(f, newKey.address);
      await expect(registry.connect(guardianKeys[1]).withdrawRecoveryApproval(patientId, newKey.address))
        .to.emit(registry, "RecoveryApprovalWithdrawn")
        .withArgs(patientId, guardianIds[1], newKey.address, 1);
      expect(await registry.recoveryOf(patientId, newKey.address)).to.deep.equal([
        1n,
        0n,
        opened + RECOVERY_WINDOW,
        0n,
      ]);
      await time.increaseTo(readyAt);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, 0);
      const now = await nextTimestamp();
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, newKey.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[2], newKey.address, 2, now + BigInt(RECOVERY_DELAY));
    });

    it("keeps the delay running while the threshold still holds", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      const readyAt = await reachThreshold(f, newKey);
      await (await f.registry.connect(f.guardianKeys[2]).approveRecovery(f.patientId, newKey)).wait();
      await expect(f.registry.connect(f.guardianKeys[0]).withdrawRecoveryApproval(f.patientId, newKey))
        .to.emit(f.registry, "RecoveryApprovalWithdrawn")
        .withArgs(f.patientId, f.guardianIds[0], newKey, 2);
      expect(await f.registry.recoveryOf(f.patientId, newKey)).to.deep.equal([
        2n,
        readyAt,
        readyAt + RECOVERY_WINDOW,
        0n,
      ]);
    });

    it("lapses at once a recovery brought back below its threshold more than RECOVERY_WINDOW after it opened", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      const opened = await nextTimestamp();
      await reachThreshold(f, newKey);
      await time.increaseTo(opened + RECOVERY_WINDOW + 1n);
      expect((await f.registry.recoveryOf(f.patientId, newKey))[0], "still live: it reached its threshold").to.equal(
        2n,
      );
      await expect(f.registry.connect(f.guardianKeys[1]).withdrawRecoveryApproval(f.patientId, newKey))
        .to.emit(f.registry, "RecoveryApprovalWithdrawn")
        .withArgs(f.patientId, f.guardianIds[1], newKey, 1);
      expect(await f.registry.recoveryOf(f.patientId, newKey)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("reverts with IdentityNotGuardian when the caller is not an active guardian", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      await (await f.registry.connect(f.guardianKeys[0]).approveRecovery(f.patientId, newKey)).wait();
      await (await f.registry.connect(f.registrar).suspend(f.guardianIds[0], REASON)).wait();
      for (const caller of [f.patientKey, signer(f.spareKeys, 1), f.guardianKeys[0]]) {
        await expect(f.registry.connect(caller).withdrawRecoveryApproval(f.patientId, newKey))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotGuardian")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("reverts with IdentityNoPendingRecovery when no live recovery names the key", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianKeys } = f;
      const [never, lapsed] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, lapsed)).wait();
      await time.increase(RECOVERY_WINDOW + 1n);
      for (const key of [never, lapsed]) {
        await expect(registry.connect(guardianKeys[0]).withdrawRecoveryApproval(patientId, key))
          .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
          .withArgs(patientId, key);
      }
    });

    it("reverts with IdentityRecoveryNotApproved for a guardian who did not approve the key", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      await (await f.registry.connect(f.guardianKeys[0]).approveRecovery(f.patientId, newKey)).wait();
      await expect(f.registry.connect(f.guardianKeys[1]).withdrawRecoveryApproval(f.patientId, newKey))
        .to.be.revertedWithCustomError(f.registry, "IdentityRecoveryNotApproved")
        .withArgs(f.patientId, f.guardianIds[1], newKey);
    });
  });

  describe("cancelRecovery", function () {
    it("records the patient's key's objection and keeps the recovery below the quorum", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      const opened = await nextTimestamp();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[1]).approveRecovery(patientId, second)).wait();
      const other = await registry.recoveryOf(patientId, second);
      // Three guardians: the quorum is ⌈(3 + 1) / 2⌉ = 2, so the key alone never cancels.
      await expect(registry.connect(patientKey).cancelRecovery(patientId, first))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, first, patientKey.address, 1)
        .and.not.to.emit(registry, "RecoveryCancelled");
      expect(await registry.recoveryOf(patientId, first)).to.deep.equal([1n, 0n, opened + RECOVERY_WINDOW, 1n]);
      expect(await registry.recoveryOf(patientId, second)).to.deep.equal(other);
    });

    it("cancels the recovery when a guardian's objection reaches the quorum with the key's, leaving the others", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[1]).approveRecovery(patientId, second)).wait();
      const other = await registry.recoveryOf(patientId, second);
      await (await registry.connect(patientKey).cancelRecovery(patientId, first)).wait();
      await expect(registry.connect(guardianKeys[2]).cancelRecovery(patientId, first))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, first, guardianKeys[2].address, 2)
        .and.to.emit(registry, "RecoveryCancelled")
        .withArgs(patientId, first);
      expect(await registry.recoveryOf(patientId, first)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await registry.recoveryOf(patientId, second)).to.deep.equal(other);
      expect((await readParticipant(registry, patientId)).keyEpoch).to.equal(0n);
      await expect(registry.connect(patientKey).cancelRecovery(patientId, first))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId, first);
    });

    it("stops counting an objection once its guardian is suspended: the quorum and the count both follow the active guardians", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar } = f;
      const { patient, key, guardians, guardianKeys } = await patientWithGuardians(f, 4, 2);
      const target = signer(f.spareKeys, 5).address;
      await (await registry.connect(signer(guardianKeys, 3)).approveRecovery(patient, target)).wait();
      // Four active guardians: the quorum is ⌈(4 + 1) / 2⌉ = 3.
      await (await registry.connect(signer(guardianKeys, 0)).cancelRecovery(patient, target)).wait();
      await (await registry.connect(registrar).suspend(item(guardians, 0), REASON)).wait();
      // Three active now (quorum 2), and the suspended guardian's objection no longer weighs: one objection counts.
      await expect(registry.connect(signer(guardianKeys, 1)).cancelRecovery(patient, target))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patient, target, signer(guardianKeys, 1).address, 1)
        .and.not.to.emit(registry, "RecoveryCancelled");
      expect((await registry.recoveryOf(patient, target))[0]).to.equal(1n);
      // The key's objection makes two of the quorum's two.
      await expect(registry.connect(key).cancelRecovery(patient, target))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patient, target, key.address, 2)
        .and.to.emit(registry, "RecoveryCancelled")
        .withArgs(patient, target);
    });

    it("cancels the recovery on the objections of two of three guardians, without the key", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey)).wait();
      await expect(registry.connect(guardianKeys[1]).cancelRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, newKey, guardianKeys[1].address, 1)
        .and.not.to.emit(registry, "RecoveryCancelled");
      await expect(registry.connect(guardianKeys[2]).cancelRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryCancelled")
        .withArgs(patientId, newKey);
      expect(await registry.recoveryOf(patientId, newKey)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("cancels a recovery at its threshold, even once its delay has passed", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await time.increaseTo(readyAt);
      await (await registry.connect(patientKey).cancelRecovery(patientId, newKey.address)).wait();
      await expect(registry.connect(guardianKeys[2]).cancelRecovery(patientId, newKey.address))
        .to.emit(registry, "RecoveryCancelled")
        .withArgs(patientId, newKey.address);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(patientId, newKey.address);
      expect((await readParticipant(registry, patientId)).controller).to.equal(patientKey.address);
    });

    it("needs ⌈(guardians + 1) / 2⌉ objections: the key alone cancels only with a single guardian", async function () {
      for (const count of [1, 2, 3, 4, 5, MAX_GUARDIANS]) {
        const f = await loadFixture(identityFixture);
        const { patient, key, guardianKeys } = await patientWithGuardians(f, count, 1);
        const newKey = Wallet.createRandom().address;
        await (await f.registry.connect(signer(guardianKeys, 0)).approveRecovery(patient, newKey)).wait();
        // Counted independently of the contract's integer formula: the smallest q with 2q ≥ guardians + 1.
        const quorum = Math.ceil((count + 1) / 2);
        const objectors = [key, ...guardianKeys].slice(0, quorum);
        for (const [i, objector] of objectors.entries()) {
          const tx = f.registry.connect(objector).cancelRecovery(patient, newKey);
          await expect(tx, `${count} guardians, objection ${i + 1}`)
            .to.emit(f.registry, "RecoveryObjected")
            .withArgs(patient, newKey, objector.address, i + 1);
          if (i + 1 < quorum) {
            await expect(tx).not.to.emit(f.registry, "RecoveryCancelled");
            expect((await f.registry.recoveryOf(patient, newKey))[3]).to.equal(BigInt(i + 1));
          } else {
            await expect(tx).to.emit(f.registry, "RecoveryCancelled").withArgs(patient, newKey);
          }
        }
        expect(await f.registry.recoveryOf(patient, newKey), `${count} guardians`).to.deep.equal([0n, 0n, 0n, 0n]);
      }
    });

    it("lets a single guardian cancel alone, even one that approved", async function () {
      const f = await loadFixture(identityFixture);
      const { patient, guardians, guardianKeys } = await patientWithGuardians(f, 1, 1);
      const newKey = signer(f.spareKeys, 5).address;
      const now = await nextTimestamp();
      await expect(f.registry.connect(signer(guardianKeys, 0)).approveRecovery(patient, newKey))
        .to.emit(f.registry, "RecoveryApproved")
        .withArgs(patient, guardians[0], newKey, 1, now + BigInt(DAY));
      await expect(f.registry.connect(signer(guardianKeys, 0)).cancelRecovery(patient, newKey))
        .to.emit(f.registry, "RecoveryObjected")
        .withArgs(patient, newKey, signer(guardianKeys, 0).address, 1)
        .and.to.emit(f.registry, "RecoveryCancelled")
        .withArgs(patient, newKey);
    });

    it("counts the quorum over the guardians active now", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, second)).wait();
      // One of three suspended: two active guardians, the quorum is still 2.
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await expect(registry.connect(patientKey).cancelRecovery(patientId, first)).not.to.emit(
        registry,
        "RecoveryCancelled",
      );
      // Two of three suspended: one active guardian, so the key alone makes the quorum of 1.
      await (await registry.connect(registrar).suspend(guardianIds[2], REASON)).wait();
      await expect(registry.connect(patientKey).cancelRecovery(patientId, second))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, second, patientKey.address, 1)
        .and.to.emit(registry, "RecoveryCancelled")
        .withArgs(patientId, second);
      // An earlier objection counts towards the smaller quorum at the next objection.
      await expect(registry.connect(guardianKeys[0]).cancelRecovery(patientId, first))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, first, guardianKeys[0].address, 2)
        .and.to.emit(registry, "RecoveryCancelled")
        .withArgs(patientId, first);
    });

    it("keeps a guardian's approval when it objects, and a recovery short of the quorum still executes", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey.address)).wait();
      await (await registry.connect(guardianKeys[0]).cancelRecovery(patientId, newKey.address)).wait();
      const [approvals, , , objections] = await registry.recoveryOf(patientId, newKey.address);
      expect([approvals, objections]).to.deep.equal([1n, 1n]);
      const now = await nextTimestamp();
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, newKey.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], newKey.address, 2, now + BigInt(RECOVERY_DELAY));
      expect((await registry.recoveryOf(patientId, newKey.address))[3], "objections survive approvals").to.equal(1n);
      await time.increaseTo(now + BigInt(RECOVERY_DELAY));
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, newKey.address, ControllerChange.GuardianRecovery);
    });

    it("lets guardians open the recovery afresh after a cancellation, with no objection carried over", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0).address;
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey)).wait();
      await (await registry.connect(patientKey).cancelRecovery(patientId, newKey)).wait();
      await (await registry.connect(guardianKeys[1]).cancelRecovery(patientId, newKey)).wait();
      const reopened = await nextTimestamp();
      await expect(registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[0], newKey, 1, 0);
      expect(await registry.recoveryOf(patientId, newKey)).to.deep.equal([1n, 0n, reopened + RECOVERY_WINDOW, 0n]);
      await expect(registry.connect(patientKey).cancelRecovery(patientId, newKey))
        .to.emit(registry, "RecoveryObjected")
        .withArgs(patientId, newKey, patientKey.address, 1);
    });

    it("lets a suspended patient's key object", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      await (await f.registry.connect(f.guardianKeys[0]).approveRecovery(f.patientId, newKey)).wait();
      await (await f.registry.connect(f.registrar).suspend(f.patientId, REASON)).wait();
      await expect(f.registry.connect(f.patientKey).cancelRecovery(f.patientId, newKey))
        .to.emit(f.registry, "RecoveryObjected")
        .withArgs(f.patientId, newKey, f.patientKey.address, 1);
      await expect(f.registry.connect(f.guardianKeys[1]).cancelRecovery(f.patientId, newKey))
        .to.emit(f.registry, "RecoveryCancelled")
        .withArgs(f.patientId, newKey);
    });

    it("counts the patient's key and each guardian once, whatever key they object with", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianIds, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      const [patientNewKey, guardianNewKey] = [signer(f.spareKeys, 2), signer(f.spareKeys, 3)];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, second)).wait();
      await (await registry.connect(patientKey).cancelRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[1]).cancelRecovery(patientId, second)).wait();
      // Both objectors move to new keys and object again: the patient and the guardian already objected.
      await rotate(f, patientId, patientKey, patientNewKey);
      await rotate(f, guardianIds[1], guardianKeys[1], guardianNewKey);
      await expect(registry.connect(patientNewKey).cancelRecovery(patientId, first))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyObjected")
        .withArgs(patientId, patientNewKey.address);
      await expect(registry.connect(guardianNewKey).cancelRecovery(patientId, second))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyObjected")
        .withArgs(patientId, guardianNewKey.address);
      expect((await registry.recoveryOf(patientId, first))[3]).to.equal(1n);
      expect((await registry.recoveryOf(patientId, second))[3]).to.equal(1n);
    });

    it("works while the registry is paused, below and at the quorum", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      await (await f.registry.connect(f.guardianKeys[0]).approveRecovery(f.patientId, newKey)).wait();
      await pauseRegistry(f);
      await expect(f.registry.connect(f.patientKey).cancelRecovery(f.patientId, newKey))
        .to.emit(f.registry, "RecoveryObjected")
        .withArgs(f.patientId, newKey, f.patientKey.address, 1);
      await expect(f.registry.connect(f.guardianKeys[2]).cancelRecovery(f.patientId, newKey))
        .to.emit(f.registry, "RecoveryCancelled")
        .withArgs(f.patientId, newKey);
    });

    it("reverts with IdentityRecoveryAlreadyObjected when the key or a guardian objects twice", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys } = f;
      const [first, second] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, first)).wait();
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, second)).wait();
      const cases: [Key, string][] = [
        [patientKey, first],
        [guardianKeys[0], second],
      ];
      for (const [objector, newKey] of cases) {
        await (await registry.connect(objector).cancelRecovery(patientId, newKey)).wait();
        await expect(registry.connect(objector).cancelRecovery(patientId, newKey))
          .to.be.revertedWithCustomError(registry, "IdentityRecoveryAlreadyObjected")
          .withArgs(patientId, objector.address);
        expect((await registry.recoveryOf(patientId, newKey))[3]).to.equal(1n);
      }
    });

    it("reverts with IdentityNotRecoveryParty for anyone but the patient's key and an active guardian", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys, hospitalKey } = f;
      const newKey = signer(f.spareKeys, 0);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey.address)).wait();
      // A guardian-to-be (named by a waiting change), a suspended and a revoked guardian, the new key, a stranger, a
      // practitioner, and the key the patient moved away from.
      await scheduleChange(f, [f.hospitalId], 1, DAY);
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await (await registry.connect(registrar).revoke(guardianIds[2], REASON)).wait();
      await rotate(f, patientId, patientKey, signer(f.spareKeys, 1));
      const callers = [
        hospitalKey,
        guardianKeys[1],
        guardianKeys[2],
        newKey,
        signer(f.spareKeys, 2),
        f.cardiologistKey,
        patientKey,
      ];
      for (const caller of callers) {
        await expect(registry.connect(caller).cancelRecovery(patientId, newKey.address))
          .to.be.revertedWithCustomError(registry, "IdentityNotRecoveryParty")
          .withArgs(patientId, caller.address);
      }
      expect((await registry.recoveryOf(patientId, newKey.address))[3]).to.equal(0n);
    });

    it("reverts with IdentityNoPendingRecovery when none names the key, it lapsed, or the id is unknown", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, guardianKeys } = f;
      const [never, lapsed] = [signer(f.spareKeys, 0).address, signer(f.spareKeys, 1).address];
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, lapsed)).wait();
      await time.increase(RECOVERY_WINDOW + 1n);
      for (const key of [never, lapsed]) {
        for (const caller of [patientKey, guardianKeys[1]]) {
          await expect(registry.connect(caller).cancelRecovery(patientId, key))
            .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
            .withArgs(patientId, key);
        }
      }
      const unknown = (await registry.lastId()) + 1n;
      await expect(registry.connect(patientKey).cancelRecovery(unknown, never))
        .to.be.revertedWithCustomError(registry, "IdentityNoPendingRecovery")
        .withArgs(unknown, never);
    });
  });

  describe("executeRecovery", function () {
    it("lets the new key take the id once the delay has passed", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await time.setNextBlockTimestamp(readyAt);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.emit(f.registry, "ControllerChanged")
        .withArgs(f.patientId, f.patientKey.address, newKey.address, ControllerChange.GuardianRecovery)
        .and.not.to.emit(f.registry, "GuardianChangeCancelled");
      const after = await readParticipant(f.registry, f.patientId);
      expect(after.controller).to.equal(newKey.address);
      expect(after.keyEpoch).to.equal(1n);
      expect(await f.registry.idOf(newKey.address)).to.equal(f.patientId);
      expect(await f.registry.idOf(f.patientKey.address)).to.equal(0n);
      // The replaced key is retired: it reads as nothing and can never bind again.
      expect(await f.registry.accountStanding(f.patientKey.address, await latest())).to.deep.equal([0n, 0n, 0n, false]);
      await expect(f.registry.connect(f.patientKey).registerPatient())
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(f.patientKey.address);
      expect(await f.registry.recoveryOf(f.patientId, newKey.address)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect((await f.registry.guardiansOf(f.patientId))[0]).to.deep.equal([...f.guardianIds]);
      await expect(f.registry.connect(f.patientKey).setGuardians(f.patientId, [], 0, 0))
        .to.be.revertedWithCustomError(f.registry, "IdentityNotController")
        .withArgs(f.patientId, f.patientKey.address);
    });

    it("ends every other recovery of the patient", async function () {
      const f = await loadFixture(identityFixture);
      const [winner, loser] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      await (await f.registry.connect(f.guardianKeys[2]).approveRecovery(f.patientId, loser.address)).wait();
      const readyAt = await reachThreshold(f, winner.address);
      await (await f.registry.connect(f.guardianKeys[0]).approveRecovery(f.patientId, loser.address)).wait();
      await time.increaseTo(readyAt);
      await (await f.registry.connect(winner).executeRecovery(f.patientId)).wait();
      expect(await f.registry.recoveryOf(f.patientId, loser.address)).to.deep.equal([0n, 0n, 0n, 0n]);
      await expect(f.registry.connect(loser).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId, loser.address);
      await expect(f.registry.connect(f.guardianKeys[2]).approveRecovery(f.patientId, loser.address))
        .to.emit(f.registry, "RecoveryApproved")
        .withArgs(f.patientId, f.guardianIds[2], loser.address, 1, 0);
    });

    it("drops a guardian change still waiting, which then can never be confirmed", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey } = f;
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      // Whoever held the replaced key asked to swap the guardians for one of his own.
      const effectiveAt = await scheduleChange(f, [f.hospitalId], 1, DAY);
      await time.increaseTo(readyAt);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, newKey.address, ControllerChange.GuardianRecovery)
        .and.to.emit(registry, "GuardianChangeCancelled")
        .withArgs(patientId, false);
      expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      await time.increaseTo(effectiveAt + BigInt(DAY));
      await expect(registry.confirmGuardianChange(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityNoGuardianChange")
        .withArgs(patientId);
      expect(await registry.guardiansOf(patientId)).to.deep.equal([
        [...f.guardianIds],
        BigInt(GUARDIAN_THRESHOLD),
        BigInt(RECOVERY_DELAY),
      ]);
      // The recovered patient asks for changes of her own as usual.
      await expect(registry.connect(newKey).setGuardians(patientId, [f.guardianIds[0]], 1, DAY)).to.emit(
        registry,
        "GuardianChangeScheduled",
      );
    });

    it("reverts with IdentityRecoveryNotReady while suspended approvers leave it short of the threshold", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds } = f;
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await (await registry.connect(registrar).suspend(guardianIds[0], REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, readyAt);
      // The approval is still recorded; it counts again once its guardian is reinstated.
      expect(await registry.recoveryOf(patientId, newKey.address)).to.deep.equal([
        2n,
        readyAt,
        readyAt + RECOVERY_WINDOW,
        0n,
      ]);
      await (await registry.connect(registrar).reinstate(guardianIds[0], REASON)).wait();
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, newKey.address, ControllerChange.GuardianRecovery);
    });

    it("executes while enough of its approvers are still active", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await (await registry.connect(guardianKeys[2]).approveRecovery(patientId, newKey.address)).wait();
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, newKey.address, ControllerChange.GuardianRecovery);
    });

    it("does not count the approval of a guardian revoked since, until another guardian approves", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys } = f;
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await (await registry.connect(registrar).revoke(guardianIds[1], REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, readyAt);
      // The third guardian's approval leaves readyAt where it was: it only makes up the threshold of active approvals.
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, newKey.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[2], newKey.address, 3, readyAt);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.emit(registry, "ControllerChanged")
        .withArgs(patientId, patientKey.address, newKey.address, ControllerChange.GuardianRecovery);
    });

    // The delay runs from the moment a threshold of guardians active then approved. Otherwise a thief with stolen
    // guardian keys could approve with guardian 1, have it suspended, approve with guardian 2 (starting the delay on
    // a count that includes a suspended guardian), wait, and complete the only threshold that counts with guardian 3
    // and execute in the same block, leaving nobody the delay to object.
    it("runs the delay from the moment a threshold of guardians active then approved", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, guardianIds, guardianKeys } = f;
      const thiefKey = signer(f.spareKeys, 0);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, thiefKey.address)).wait();
      await (await registry.connect(registrar).suspend(guardianIds[0], REASON)).wait();
      // Two approvals, one of an active guardian: the delay has not started.
      await expect(registry.connect(guardianKeys[1]).approveRecovery(patientId, thiefKey.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[1], thiefKey.address, 2, 0);
      expect((await registry.recoveryOf(patientId, thiefKey.address))[1]).to.equal(0n);
      await time.increase(RECOVERY_DELAY);
      const now = await nextTimestamp();
      await expect(registry.connect(guardianKeys[2]).approveRecovery(patientId, thiefKey.address))
        .to.emit(registry, "RecoveryApproved")
        .withArgs(patientId, guardianIds[2], thiefKey.address, 3, now + BigInt(RECOVERY_DELAY));
      await expect(registry.connect(thiefKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, now + BigInt(RECOVERY_DELAY));
      // The whole delay, in which the patient and her guardians can object, comes first.
      await time.increaseTo(now + BigInt(RECOVERY_DELAY));
      await expect(registry.connect(thiefKey).executeRecovery(patientId)).to.emit(registry, "ControllerChanged");
    });

    it("does not count the approval of a guardian whose credential expired since", async function () {
      const f = await loadFixture(identityFixture);
      const { patient, key, guardians, guardianKeys } = await patientWithGuardians(f, 4, 2);
      const newKey = signer(f.spareKeys, 5);
      // The hospital (guardian 4) approves a day before its credential expires; the recovery is ready after it.
      await time.increaseTo(f.credentialExpiry - BigInt(DAY) - 1n);
      await (await f.registry.connect(signer(guardianKeys, 3)).approveRecovery(patient, newKey.address)).wait();
      await (await f.registry.connect(signer(guardianKeys, 0)).approveRecovery(patient, newKey.address)).wait();
      const [, readyAt] = await f.registry.recoveryOf(patient, newKey.address);
      expect(readyAt).to.be.greaterThan(f.credentialExpiry);
      expect(await f.registry.isActive(item(guardians, 3))).to.equal(true);
      await time.increaseTo(readyAt);
      expect(await f.registry.isActive(item(guardians, 3))).to.equal(false);
      await expect(f.registry.connect(newKey).executeRecovery(patient))
        .to.be.revertedWithCustomError(f.registry, "IdentityRecoveryNotReady")
        .withArgs(patient, readyAt);
      await (await f.registry.connect(signer(guardianKeys, 1)).approveRecovery(patient, newKey.address)).wait();
      await expect(f.registry.connect(newKey).executeRecovery(patient))
        .to.emit(f.registry, "ControllerChanged")
        .withArgs(patient, key.address, newKey.address, ControllerChange.GuardianRecovery);
    });

    it("executes up to RECOVERY_WINDOW after readyAt", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      expect((await f.registry.recoveryOf(f.patientId, newKey.address))[2]).to.equal(readyAt + RECOVERY_WINDOW);
      await time.setNextBlockTimestamp(readyAt + RECOVERY_WINDOW);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.emit(f.registry, "ControllerChanged")
        .withArgs(f.patientId, f.patientKey.address, newKey.address, ControllerChange.GuardianRecovery);
    });

    it("reverts with IdentityNoPendingRecovery one second after the window: the recovery lapsed", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await time.setNextBlockTimestamp(readyAt + RECOVERY_WINDOW + 1n);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId, newKey.address);
      expect(await f.registry.recoveryOf(f.patientId, newKey.address)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("reverts with IdentityNoPendingRecovery when sent by anyone but the approved key", async function () {
      const f = await loadFixture(identityFixture);
      const readyAt = await reachThreshold(f, signer(f.spareKeys, 0).address);
      await time.increaseTo(readyAt);
      for (const caller of [signer(f.spareKeys, 1), signer(f.guardianKeys, 0), f.patientKey, f.registrar]) {
        await expect(f.registry.connect(caller).executeRecovery(f.patientId))
          .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
          .withArgs(f.patientId, caller.address);
      }
    });

    it("reverts with IdentityRecoveryNotReady one second before readyAt", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await time.setNextBlockTimestamp(readyAt - 1n);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityRecoveryNotReady")
        .withArgs(f.patientId, readyAt);
    });

    it("reverts with IdentityRecoveryNotReady and readyAt 0 below the threshold", async function () {
      const { registry, patientId, guardianKeys, spareKeys } = await loadFixture(identityFixture);
      const newKey = signer(spareKeys, 0);
      await (await registry.connect(guardianKeys[0]).approveRecovery(patientId, newKey.address)).wait();
      await time.increase(3 * RECOVERY_DELAY);
      await expect(registry.connect(newKey).executeRecovery(patientId))
        .to.be.revertedWithCustomError(registry, "IdentityRecoveryNotReady")
        .withArgs(patientId, 0);
    });

    it("reverts with IdentityNoPendingRecovery when none is pending, for a non-patient and once executed", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      for (const id of [f.patientId, f.hospitalId, (await f.registry.lastId()) + 1n]) {
        await expect(f.registry.connect(newKey).executeRecovery(id))
          .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
          .withArgs(id, newKey.address);
      }
      const readyAt = await reachThreshold(f, newKey.address);
      await time.increaseTo(readyAt);
      await (await f.registry.connect(newKey).executeRecovery(f.patientId)).wait();
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNoPendingRecovery")
        .withArgs(f.patientId, newKey.address);
    });

    it("reverts with IdentityParticipantRevoked when the patient was revoked meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await (await f.registry.connect(f.registrar).revoke(f.patientId, REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantRevoked")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityAccountAlreadyBound when the new key got bound meanwhile (by its own doing)", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await registerPatient(f, newKey);
      await time.increaseTo(readyAt);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
    });
  });

  describe("appointRepresentative", function () {
    it("appoints an active patient as representative until expiresAt", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(30 * DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, guardianIds[0], expiresAt);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(true);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(expiresAt);
      expect(await registry.isRepresentative(guardianIds[0], patientId)).to.equal(false);
    });

    it("appoints an active practitioner as representative", async function () {
      const { registry, patientId, patientKey, cardiologistId } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, cardiologistId, expiresAt);
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(true);
    });

    it("changes the expiry of an existing appointment", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const first = (await latest()) + BigInt(30 * DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], first)).wait();
      const second = first - BigInt(20 * DAY);
      await expect(registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], second))
        .to.emit(registry, "RepresentativeAppointed")
        .withArgs(patientId, guardianIds[0], second);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(second);
    });

    it("ends by itself at expiresAt, without any transaction", async function () {
      const { registry, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await time.increaseTo(expiresAt - 1n);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(false);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(expiresAt);
    });

    it("stops counting while the representative is suspended or unaffiliated, and resumes after", async function () {
      const { registry, registrar, patientId, patientKey, cardiologistId, hospitalId, hospitalKey } =
        await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(30 * DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId), "suspended").to.equal(false);
      await (await registry.connect(registrar).reinstate(cardiologistId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId), "reinstated").to.equal(true);
      await (await registry.connect(hospitalKey).releaseAffiliate(cardiologistId)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId), "released").to.equal(false);
      await (await registry.connect(registrar).setAffiliation(cardiologistId, hospitalId)).wait();
      await (await registry.connect(hospitalKey).acceptAffiliate(cardiologistId)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId), "accepted again").to.equal(true);
    });

    it("reverts with IdentityNotController when the caller is not the patient's controller", async function () {
      const { registry, patientId, guardianIds, guardianKeys } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
      await expect(registry.connect(guardianKeys[0]).appointRepresentative(patientId, guardianIds[0], expiresAt))
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(patientId, guardianKeys[0].address);
    });

    it("reverts with IdentityUnknownParticipant, IdentityWrongKind or IdentityParticipantInactive for a bad patient", async function () {
      const { registry, registrar, patientId, patientKey, hospitalId, hospitalKey, guardianIds } =
        await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
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
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), {
        affiliation: hospitalId,
        acceptedBy: f.hospitalKey,
      });
      const payer = await registerInstitutional(f, ParticipantKind.Payer, signer(f.spareKeys, 1));
      const offered = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 2), {
        affiliation: hospitalId,
      });
      await (await registry.connect(registrar).suspend(guardianIds[1], REASON)).wait();
      await (await registry.connect(registrar).revoke(guardianIds[2], REASON)).wait();
      const unknown = (await registry.lastId()) + 1n;
      const expiresAt = (await latest()) + BigInt(DAY);
      for (const bad of [patientId, hospitalId, device, payer, offered, guardianIds[1], guardianIds[2], unknown, 0n]) {
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
      const expiresAt = (await latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[0]))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, guardianIds[0], false);
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(false);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(0n);
    });

    it("lets the patient end the appointment of a suspended representative", async function () {
      const { registry, registrar, patientId, patientKey, cardiologistId } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      await (await registry.connect(registrar).suspend(cardiologistId, REASON)).wait();
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, cardiologistId))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, cardiologistId, false);
      // Reinstating the practitioner does not bring the ended appointment back.
      await (await registry.connect(registrar).reinstate(cardiologistId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
    });

    it("lets a suspended patient end a representation, which stays ended on reinstatement", async function () {
      const { registry, registrar, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(registry.connect(patientKey).revokeRepresentative(patientId, guardianIds[0]))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, guardianIds[0], false);
      await (await registry.connect(registrar).reinstate(patientId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, guardianIds[0])).to.equal(false);
    });

    it("reverts with IdentityNotController when the representative or a stranger tries", async function () {
      const { registry, patientId, patientKey, guardianIds, guardianKeys, spareKeys } =
        await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
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
      const expiresAt = (await latest()) + BigInt(DAY);
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
      const expiresAt = (await latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
      await expect(registry.connect(cardiologistKey).resignRepresentative(patientId, cardiologistId))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, cardiologistId, true);
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
      expect(await registry.representationExpiry(patientId, cardiologistId)).to.equal(0n);
    });

    it("lets a representative step down while the patient is suspended", async function () {
      const { registry, registrar, patientId, patientKey, guardianIds, guardianKeys } =
        await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(registry.connect(guardianKeys[0]).resignRepresentative(patientId, guardianIds[0]))
        .to.emit(registry, "RepresentativeRemoved")
        .withArgs(patientId, guardianIds[0], true);
    });

    it("reverts with IdentityNotController when the patient or a stranger tries to resign for the representative", async function () {
      const { registry, patientId, patientKey, cardiologistId, spareKeys } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(DAY);
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
      const expiresAt = (await latest()) + BigInt(DAY);
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

  describe("acceptAffiliate", function () {
    it("lets the offered organization accept a practitioner, who becomes active", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, key, { affiliation: f.hospitalId });
      expect(await f.registry.isActive(id)).to.equal(false);
      await expect(f.registry.connect(f.hospitalKey).acceptAffiliate(id))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(id, 0, f.hospitalId);
      expect((await readParticipant(f.registry, id)).affiliation).to.equal(f.hospitalId);
      expect(await f.registry.affiliationOffer(id)).to.equal(0n);
      expect(await f.registry.isActive(id)).to.equal(true);
      expect(await f.registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Practitioner), f.hospitalId, true]);
      expect(await f.registry.activeIdOf(key.address, ParticipantKind.Practitioner)).to.equal(id);
    });

    it("lets any institution kind accept a device offered to it", async function () {
      const f = await loadFixture(identityFixture);
      const manufacturerKey = signer(f.spareKeys, 0);
      const manufacturer = await registerInstitutional(f, ParticipantKind.Manufacturer, manufacturerKey);
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 1), {
        affiliation: manufacturer,
      });
      await expect(f.registry.connect(manufacturerKey).acceptAffiliate(device))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(device, 0, manufacturer);
      expect(await f.registry.standingOf(device)).to.deep.equal([BigInt(ParticipantKind.Device), manufacturer, true]);
    });

    it("moves a practitioner when the new organization accepts, and the old one loses him", async function () {
      const f = await loadFixture(identityFixture);
      const clinicKey = signer(f.spareKeys, 0);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, clinicKey);
      await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic)).wait();
      await expect(f.registry.connect(clinicKey).acceptAffiliate(f.cardiologistId))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(f.cardiologistId, f.hospitalId, clinic);
      expect(await f.registry.standingOf(f.cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        clinic,
        true,
      ]);
      await expect(f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId))
        .to.be.revertedWithCustomError(f.registry, "IdentityNotAffiliated")
        .withArgs(f.cardiologistId, f.hospitalId);
    });

    it("accepts a suspended practitioner, who stays inactive until reinstated", async function () {
      const f = await loadFixture(identityFixture);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      await (await f.registry.connect(f.registrar).suspend(id, REASON)).wait();
      await expect(f.registry.connect(f.hospitalKey).acceptAffiliate(id))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(id, 0, f.hospitalId);
      expect(await f.registry.isActive(id)).to.equal(false);
      await (await f.registry.connect(f.registrar).reinstate(id, REASON)).wait();
      expect(await f.registry.isActive(id)).to.equal(true);
    });

    it("reverts with IdentityNotAnInstitution for a patient, a practitioner, a stranger or a suspended organization", async function () {
      const f = await loadFixture(identityFixture);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      await (await f.registry.connect(f.registrar).suspend(f.hospitalId, REASON)).wait();
      for (const caller of [
        f.patientKey,
        f.cardiologistKey,
        signer(f.spareKeys, 0),
        signer(f.spareKeys, 1),
        f.hospitalKey,
      ]) {
        await expect(f.registry.connect(caller).acceptAffiliate(id))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotAnInstitution")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityNoAffiliationOffer unless a registrar's live offer names the caller", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, hospitalId, hospitalKey } = f;
      const clinicKey = signer(f.spareKeys, 0);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, clinicKey);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 1), {
        affiliation: hospitalId,
      });
      // Offered to the hospital, not the clinic; nothing offered for the patient or the hospital itself.
      for (const member of [id, f.patientId, hospitalId]) {
        await expect(registry.connect(clinicKey).acceptAffiliate(member))
          .to.be.revertedWithCustomError(registry, "IdentityNoAffiliationOffer")
          .withArgs(member, clinic);
      }
      // The registrar replaces the offer: the hospital can no longer accept.
      await (await registry.connect(registrar).setAffiliation(id, clinic)).wait();
      await expect(registry.connect(hospitalKey).acceptAffiliate(id))
        .to.be.revertedWithCustomError(registry, "IdentityNoAffiliationOffer")
        .withArgs(id, hospitalId);
      await (await registry.connect(clinicKey).acceptAffiliate(id)).wait();
      // An accepted offer is spent.
      await expect(registry.connect(clinicKey).acceptAffiliate(id))
        .to.be.revertedWithCustomError(registry, "IdentityNoAffiliationOffer")
        .withArgs(id, clinic);
    });

    it("reverts with IdentityParticipantRevoked for a member revoked after the offer", async function () {
      const f = await loadFixture(identityFixture);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      await (await f.registry.connect(f.registrar).revoke(id, REASON)).wait();
      await expect(f.registry.connect(f.hospitalKey).acceptAffiliate(id))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantRevoked")
        .withArgs(id);
    });
  });

  describe("releaseAffiliate", function () {
    it("lets the organization end its practitioner's affiliation, which makes him inactive", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, cardiologistId, cardiologistKey, hospitalId, hospitalKey } = f;
      await expect(registry.connect(hospitalKey).releaseAffiliate(cardiologistId))
        .to.emit(registry, "AffiliationChanged")
        .withArgs(cardiologistId, hospitalId, 0);
      expect((await readParticipant(registry, cardiologistId)).affiliation).to.equal(0n);
      expect(await registry.isActive(cardiologistId)).to.equal(false);
      expect(await registry.standingOf(cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        0n,
        false,
      ]);
      expect(await registry.activeIdOf(cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(0n);
      expect((await readParticipant(registry, cardiologistId)).status).to.equal(BigInt(ParticipantStatus.Active));
    });

    it("lets an organization that is itself suspended or expired release its members", async function () {
      const f = await loadFixture(identityFixture);
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
        acceptedBy: f.hospitalKey,
      });
      await (await f.registry.connect(f.registrar).suspend(f.hospitalId, REASON)).wait();
      await expect(f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(f.cardiologistId, f.hospitalId, 0);
      await (await f.registry.connect(f.registrar).reinstate(f.hospitalId, REASON)).wait();
      await time.increaseTo(f.credentialExpiry);
      await expect(f.registry.connect(f.hospitalKey).releaseAffiliate(device))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(device, f.hospitalId, 0);
    });

    it("lets a released practitioner join again when offered and accepted", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
      await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, f.hospitalId)).wait();
      expect(await f.registry.isActive(f.cardiologistId), "offered only").to.equal(false);
      await (await f.registry.connect(f.hospitalKey).acceptAffiliate(f.cardiologistId)).wait();
      expect(await f.registry.isActive(f.cardiologistId)).to.equal(true);
    });

    it("keeps a pending offer from another organization, which can still accept", async function () {
      const f = await loadFixture(identityFixture);
      const clinicKey = signer(f.spareKeys, 0);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, clinicKey);
      await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic)).wait();
      await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
      expect(await f.registry.affiliationOffer(f.cardiologistId)).to.equal(clinic);
      await expect(f.registry.connect(clinicKey).acceptAffiliate(f.cardiologistId))
        .to.emit(f.registry, "AffiliationChanged")
        .withArgs(f.cardiologistId, 0, clinic);
    });

    it("reverts with IdentityNotAffiliated for anyone but the member's current organization", async function () {
      const f = await loadFixture(identityFixture);
      const clinicKey = signer(f.spareKeys, 0);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, clinicKey);
      const stranger = signer(f.spareKeys, 1);
      const cases: [Key, bigint][] = [
        [clinicKey, clinic],
        [f.cardiologistKey, f.cardiologistId],
        [f.patientKey, f.patientId],
        [stranger, 0n],
      ];
      for (const [caller, callerId] of cases) {
        await expect(f.registry.connect(caller).releaseAffiliate(f.cardiologistId))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotAffiliated")
          .withArgs(f.cardiologistId, callerId);
      }
    });

    it("reverts with IdentityNotAffiliated once released, and for members never accepted", async function () {
      const f = await loadFixture(identityFixture);
      const offered = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
      for (const member of [f.cardiologistId, offered, f.patientId]) {
        await expect(f.registry.connect(f.hospitalKey).releaseAffiliate(member))
          .to.be.revertedWithCustomError(f.registry, "IdentityNotAffiliated")
          .withArgs(member, f.hospitalId);
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Registrar writes
  // -------------------------------------------------------------------------------------------------------------------

  describe("registerParticipant", function () {
    it("registers an organization with its key's consent, its credential and no affiliation", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar } = f;
      const key = signer(f.spareKeys, 0);
      const credential = commit("accreditation:clinic:0002");
      const expiry = (await latest()) + BigInt(YEAR);
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Organization });
      const id = (await registry.lastId()) + 1n;
      await expect(
        registry
          .connect(registrar)
          .registerParticipant(
            ParticipantKind.Organization,
            key.address,
            credential.commitment,
            expiry,
            0,
            consent.deadline,
            consent.signature,
          ),
      )
        .to.emit(registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Organization, key.address)
        .and.to.emit(registry, "CredentialUpdated")
        .withArgs(id, credential.commitment, expiry)
        .and.not.to.emit(registry, "AffiliationOffered");
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

    it("registers a practitioner with an offer to an institution, inactive until it accepts", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, hospitalId } = f;
      const key = signer(f.spareKeys, 0);
      const credential = commit("licence:nephrology:0003");
      const consent = await registrationConsent(f, key, {
        kind: ParticipantKind.Practitioner,
        affiliation: hospitalId,
      });
      const id = (await registry.lastId()) + 1n;
      await expect(
        registerCall(f, ParticipantKind.Practitioner, key.address, consent, {
          affiliation: hospitalId,
          commitment: credential.commitment,
        }),
      )
        .to.emit(registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Practitioner, key.address)
        .and.to.emit(registry, "CredentialUpdated")
        .withArgs(id, credential.commitment, f.credentialExpiry)
        .and.to.emit(registry, "AffiliationOffered")
        .withArgs(id, hospitalId)
        .and.not.to.emit(registry, "AffiliationChanged");
      const record = await readParticipant(registry, id);
      expect([record.affiliation, record.status]).to.deep.equal([0n, BigInt(ParticipantStatus.Active)]);
      expect(await registry.affiliationOffer(id)).to.equal(hospitalId);
      expect(await registry.isActive(id)).to.equal(false);
      expect(await registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Practitioner), 0n, false]);
      expect(await registry.idOf(key.address)).to.equal(id);
      expect(await registry.activeIdOf(key.address, ParticipantKind.Practitioner)).to.equal(0n);
      expect(await registry.accountStanding(key.address, await latest())).to.deep.equal([
        id,
        BigInt(ParticipantKind.Practitioner),
        0n,
        false,
      ]);
    });

    it("registers a device offered to any active institutional kind", async function () {
      const f = await loadFixture(identityFixture);
      const manufacturer = await registerInstitutional(f, ParticipantKind.Manufacturer, signer(f.spareKeys, 0));
      const key = signer(f.spareKeys, 1);
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Device, affiliation: manufacturer });
      const id = (await f.registry.lastId()) + 1n;
      await expect(registerCall(f, ParticipantKind.Device, key.address, consent, { affiliation: manufacturer }))
        .to.emit(f.registry, "AffiliationOffered")
        .withArgs(id, manufacturer);
      expect(await f.registry.affiliationOffer(id)).to.equal(manufacturer);
      expect(await f.registry.standingOf(id)).to.deep.equal([BigInt(ParticipantKind.Device), 0n, false]);
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

    it("accepts a consent whose deadline is the current block, or exactly MAX_SIGNATURE_WINDOW ahead", async function () {
      const f = await loadFixture(identityFixture);
      const [first, second] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      let now = (await latest()) + 1n;
      const atNow = await registrationConsent(f, first, { kind: ParticipantKind.Payer, deadline: now });
      await time.setNextBlockTimestamp(now);
      await expect(registerCall(f, ParticipantKind.Payer, first.address, atNow)).to.emit(
        f.registry,
        "ParticipantRegistered",
      );
      now = (await latest()) + 1n;
      const farthest = await registrationConsent(f, second, {
        kind: ParticipantKind.Payer,
        deadline: now + MAX_SIGNATURE_WINDOW,
      });
      await time.setNextBlockTimestamp(now);
      await expect(registerCall(f, ParticipantKind.Payer, second.address, farthest)).to.emit(
        f.registry,
        "ParticipantRegistered",
      );
    });

    it("registers a key that a pending guardian recovery names: nothing pending reserves it", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, key.address);
      const id = await registerInstitutional(f, ParticipantKind.Payer, key);
      expect(await f.registry.idOf(key.address)).to.equal(id);
      await time.increaseTo(readyAt);
      await expect(f.registry.connect(key).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(key.address);
    });

    it("registers an ERC-1271 contract wallet that approves the consent's digest", async function () {
      const f = await loadFixture(identityFixture);
      const wallet = Wallet.createRandom().address;
      const deadline = (await latest()) + BigInt(DAY);
      const message = { kind: BigInt(ParticipantKind.Organization), controller: wallet, affiliation: 0n, deadline };
      await installWallet(wallet, registrationDigest(await domainOf(f), message));
      const id = (await f.registry.lastId()) + 1n;
      await expect(registerCall(f, ParticipantKind.Organization, wallet, { deadline, signature: "0x" }))
        .to.emit(f.registry, "ParticipantRegistered")
        .withArgs(id, ParticipantKind.Organization, wallet);
      // The same wallet approves nothing else: not the same registration as a payer.
      const other = Wallet.createRandom().address;
      await installWallet(other, registrationDigest(await domainOf(f), { ...message, controller: other }));
      await expect(registerCall(f, ParticipantKind.Payer, other, { deadline, signature: "0x" }))
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(other);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Organization });
      const { commitment } = commit("accreditation:clinic:0005");
      for (const caller of [f.admin, f.pauser, f.auditor, f.hospitalKey, key]) {
        await expect(
          f.registry
            .connect(caller)
            .registerParticipant(
              ParticipantKind.Organization,
              key.address,
              commitment,
              f.credentialExpiry,
              0,
              consent.deadline,
              consent.signature,
            ),
        )
          .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentityKindNotRegistrable for None and Patient", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      for (const kind of [ParticipantKind.None, ParticipantKind.Patient]) {
        const consent = await registrationConsent(f, key, { kind });
        await expect(registerCall(f, kind, key.address, consent))
          .to.be.revertedWithCustomError(f.registry, "IdentityKindNotRegistrable")
          .withArgs(kind);
      }
    });

    it("reverts without data for a kind outside the enum", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Device + 1 });
      await expect(registerCall(f, ParticipantKind.Device + 1, key.address, consent)).to.be.revertedWithoutReason();
    });

    it("reverts with IdentityZeroAddress for the zero controller", async function () {
      const f = await loadFixture(identityFixture);
      const consent = await registrationConsent(f, signer(f.spareKeys, 0), {
        kind: ParticipantKind.Organization,
        controller: ZeroAddress,
      });
      await expect(registerCall(f, ParticipantKind.Organization, ZeroAddress, consent)).to.be.revertedWithCustomError(
        f.registry,
        "IdentityZeroAddress",
      );
    });

    it("reverts with IdentityAccountAlreadyBound when the controller controls an id, revoked or not", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.registrar).revoke(f.guardianIds[0], REASON)).wait();
      for (const bound of [f.patientKey, f.hospitalKey, signer(f.guardianKeys, 0)]) {
        const consent = await registrationConsent(f, bound, { kind: ParticipantKind.Organization });
        await expect(registerCall(f, ParticipantKind.Organization, bound.address, consent))
          .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
          .withArgs(bound.address);
      }
    });

    it("reverts with IdentityZeroCommitment for a zero credential commitment", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Organization });
      await expect(
        registerCall(f, ParticipantKind.Organization, key.address, consent, { commitment: ZeroHash }),
      ).to.be.revertedWithCustomError(f.registry, "IdentityZeroCommitment");
    });

    it("reverts with IdentityCredentialExpiryInPast when the expiry is not after now", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Organization });
      const now = await nextTimestamp();
      await expect(registerCall(f, ParticipantKind.Organization, key.address, consent, { expiry: now }))
        .to.be.revertedWithCustomError(f.registry, "IdentityCredentialExpiryInPast")
        .withArgs(now, now);
    });

    it("reverts with IdentityInvalidAffiliation when a practitioner or device names no active institution", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, patientId, cardiologistId } = f;
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
        acceptedBy: f.hospitalKey,
      });
      const suspendedOrg = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 1));
      await (await registry.connect(registrar).suspend(suspendedOrg, REASON)).wait();
      const revokedOrg = await registerInstitutional(f, ParticipantKind.Pharmacy, signer(f.spareKeys, 2));
      await (await registry.connect(registrar).revoke(revokedOrg, REASON)).wait();
      const expiringOrg = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 3), {
        expiry: (await latest()) + 50n,
      });
      await time.increase(50);
      const unknown = (await registry.lastId()) + 1n;
      const key = signer(f.spareKeys, 4);
      for (const kind of [ParticipantKind.Practitioner, ParticipantKind.Device]) {
        for (const bad of [0n, unknown, patientId, cardiologistId, device, suspendedOrg, revokedOrg, expiringOrg]) {
          const consent = await registrationConsent(f, key, { kind, affiliation: bad });
          await expect(registerCall(f, kind, key.address, consent, { affiliation: bad }))
            .to.be.revertedWithCustomError(registry, "IdentityInvalidAffiliation")
            .withArgs(kind, bad);
        }
      }
    });

    it("reverts with IdentityInvalidAffiliation when another kind names an affiliation", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      for (const kind of [ParticipantKind.Organization, ParticipantKind.Payer, ParticipantKind.Regulator]) {
        const consent = await registrationConsent(f, key, { kind, affiliation: f.hospitalId });
        await expect(registerCall(f, kind, key.address, consent, { affiliation: f.hospitalId }))
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidAffiliation")
          .withArgs(kind, f.hospitalId);
      }
    });

    it("reverts with IdentitySignatureDeadlineOutOfRange for an expired consent", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const now = (await latest()) + 1n;
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Organization, deadline: now - 1n });
      await time.setNextBlockTimestamp(now);
      await expect(registerCall(f, ParticipantKind.Organization, key.address, consent))
        .to.be.revertedWithCustomError(f.registry, "IdentitySignatureDeadlineOutOfRange")
        .withArgs(now - 1n, now, now + MAX_SIGNATURE_WINDOW);
    });

    it("reverts with IdentitySignatureDeadlineOutOfRange for a deadline beyond MAX_SIGNATURE_WINDOW", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const now = (await latest()) + 1n;
      const deadline = now + MAX_SIGNATURE_WINDOW + 1n;
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Organization, deadline });
      await time.setNextBlockTimestamp(now);
      await expect(registerCall(f, ParticipantKind.Organization, key.address, consent))
        .to.be.revertedWithCustomError(f.registry, "IdentitySignatureDeadlineOutOfRange")
        .withArgs(deadline, now, now + MAX_SIGNATURE_WINDOW);
    });

    it("reverts with IdentityInvalidKeySignature without the controller's own signature", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      // The registrar, another key and the hospital sign in the controller's name; or nothing is signed.
      const forged = [
        await registrationConsent(f, f.registrar, { kind: ParticipantKind.Organization, controller: key.address }),
        await registrationConsent(f, signer(f.spareKeys, 1), {
          kind: ParticipantKind.Organization,
          controller: key.address,
        }),
        await registrationConsent(f, f.hospitalKey, { kind: ParticipantKind.Organization, controller: key.address }),
        { deadline: (await latest()) + BigInt(DAY), signature: "0x" },
      ];
      for (const consent of forged) {
        await expect(registerCall(f, ParticipantKind.Organization, key.address, consent))
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
          .withArgs(key.address);
      }
      expect(await f.registry.idOf(key.address)).to.equal(0n);
    });

    it("reverts with IdentityInvalidKeySignature for a consent to another kind, organization, controller or deadline", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const other = signer(f.spareKeys, 1);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 2));
      const asOrganization = await registrationConsent(f, key, { kind: ParticipantKind.Organization });
      const forHospital = await registrationConsent(f, key, {
        kind: ParticipantKind.Practitioner,
        affiliation: f.hospitalId,
      });
      const forOther = await registrationConsent(f, key, { kind: ParticipantKind.Payer, controller: other.address });
      const cases: [ParticipantKind, string, KeyConsent, bigint][] = [
        [ParticipantKind.Payer, key.address, asOrganization, 0n], // signed as an organization, registered as a payer
        [ParticipantKind.Device, key.address, forHospital, f.hospitalId], // signed as a practitioner
        [ParticipantKind.Practitioner, key.address, forHospital, clinic], // signed for the hospital, not the clinic
        [ParticipantKind.Payer, other.address, forOther, 0n], // signed by key in other's name
        [ParticipantKind.Organization, key.address, { ...asOrganization, deadline: asOrganization.deadline + 1n }, 0n],
      ];
      for (const [kind, controller, consent, affiliation] of cases) {
        await expect(registerCall(f, kind, controller, consent, { affiliation }))
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
          .withArgs(controller);
      }
    });

    it("reverts with IdentityInvalidKeySignature for a consent in another domain or of another type", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const { chainId } = await ethers.provider.getNetwork();
      const deadline = (await latest()) + BigInt(DAY);
      const message = { kind: ParticipantKind.Organization, deadline };
      const consents = [
        await registrationConsent(f, key, message, identityDomain(chainId + 1n, await f.registry.getAddress())),
        await registrationConsent(f, key, message, identityDomain(chainId, await f.consentRegistry.getAddress())),
        await transferConsent(f, key, { id: BigInt(ParticipantKind.Organization), keyEpoch: 0n, deadline }),
      ];
      for (const consent of consents) {
        await expect(registerCall(f, ParticipantKind.Organization, key.address, consent))
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
          .withArgs(key.address);
      }
    });

    it("reverts with IdentityAccountAlreadyBound when a used registration consent is replayed: its key was retired", async function () {
      const f = await loadFixture(identityFixture);
      const [key, newKey] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      // A Registration consent names no nonce, but the key it names can serve one id only: once the id moves to
      // another key, the first key is retired and the consent can never bind it again.
      const consent = await registrationConsent(f, key, { kind: ParticipantKind.Payer });
      const id = (await f.registry.lastId()) + 1n;
      await (await registerCall(f, ParticipantKind.Payer, key.address, consent)).wait();
      await expect(registerCall(f, ParticipantKind.Payer, key.address, consent))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(key.address);
      await rotate(f, id, key, newKey);
      await expect(registerCall(f, ParticipantKind.Payer, key.address, consent))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(key.address);
      expect(await f.registry.lastId()).to.equal(id);
      expect(await f.registry.idOf(key.address)).to.equal(0n);
    });
  });

  describe("renewCredential", function () {
    it("replaces the credential commitment and expiry", async function () {
      const { registry, registrar, cardiologistId, cardiologistKey, credentialExpiry } =
        await loadFixture(identityFixture);
      const renewed = commit("licence:cardiology:0001:renewed");
      const expiry = credentialExpiry + BigInt(YEAR);
      await expect(registry.connect(registrar).renewCredential(cardiologistId, renewed.commitment, expiry))
        .to.emit(registry, "CredentialUpdated")
        .withArgs(cardiologistId, renewed.commitment, expiry);
      const after = await readParticipant(registry, cardiologistId);
      expect(after.credentialCommitment).to.equal(renewed.commitment);
      expect(after.credentialExpiry).to.equal(expiry);
      expect(after.status).to.equal(BigInt(ParticipantStatus.Active));
      expect(await registry.isActiveAt(cardiologistId, credentialExpiry)).to.equal(true);
      expect((await registry.accountStanding(cardiologistKey.address, credentialExpiry))[3]).to.equal(true);
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

    it("renews a practitioner whose affiliation is only offered without making him active", async function () {
      const f = await loadFixture(identityFixture);
      const key = signer(f.spareKeys, 0);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, key, { affiliation: f.hospitalId });
      const expiry = f.credentialExpiry + BigInt(YEAR);
      await (await f.registry.connect(f.registrar).renewCredential(id, commit("renewed").commitment, expiry)).wait();
      expect(await f.registry.isActive(id)).to.equal(false);
      expect(await f.registry.accountStanding(key.address, await latest())).to.deep.equal([
        id,
        BigInt(ParticipantKind.Practitioner),
        0n,
        false,
      ]);
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
    it("offers a practitioner to another institution; the current affiliation stands until it accepts", async function () {
      const f = await loadFixture(identityFixture);
      const clinicKey = signer(f.spareKeys, 0);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, clinicKey);
      await expect(f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic))
        .to.emit(f.registry, "AffiliationOffered")
        .withArgs(f.cardiologistId, clinic)
        .and.not.to.emit(f.registry, "AffiliationChanged");
      expect(await f.registry.affiliationOffer(f.cardiologistId)).to.equal(clinic);
      expect((await readParticipant(f.registry, f.cardiologistId)).affiliation).to.equal(f.hospitalId);
      expect(await f.registry.standingOf(f.cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        f.hospitalId,
        true,
      ]);
      await (await f.registry.connect(clinicKey).acceptAffiliate(f.cardiologistId)).wait();
      expect((await readParticipant(f.registry, f.cardiologistId)).affiliation).to.equal(clinic);
    });

    it("offers a device to another institution kind", async function () {
      const f = await loadFixture(identityFixture);
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
        acceptedBy: f.hospitalKey,
      });
      const lab = await registerInstitutional(f, ParticipantKind.ResearchSponsor, signer(f.spareKeys, 1));
      await expect(f.registry.connect(f.registrar).setAffiliation(device, lab))
        .to.emit(f.registry, "AffiliationOffered")
        .withArgs(device, lab);
      expect((await f.registry.standingOf(device))[1]).to.equal(f.hospitalId);
      expect(await f.registry.affiliationOffer(device)).to.equal(lab);
    });

    it("replaces an earlier offer, and offers a released practitioner anew", async function () {
      const f = await loadFixture(identityFixture);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
      await (await f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic)).wait();
      await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
      // Released: the hospital is no longer the current affiliation and may be offered again.
      await expect(f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, f.hospitalId))
        .to.emit(f.registry, "AffiliationOffered")
        .withArgs(f.cardiologistId, f.hospitalId);
      expect(await f.registry.affiliationOffer(f.cardiologistId)).to.equal(f.hospitalId);
    });

    it("offers a suspended practitioner", async function () {
      const f = await loadFixture(identityFixture);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
      await (await f.registry.connect(f.registrar).suspend(f.cardiologistId, REASON)).wait();
      await expect(f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic))
        .to.emit(f.registry, "AffiliationOffered")
        .withArgs(f.cardiologistId, clinic);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the registrar role", async function () {
      const f = await loadFixture(identityFixture);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
      for (const caller of [f.admin, f.hospitalKey, signer(f.spareKeys, 0)]) {
        await expect(f.registry.connect(caller).setAffiliation(f.cardiologistId, clinic))
          .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
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
      const f = await loadFixture(identityFixture);
      const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
      await (await f.registry.connect(f.registrar).revoke(f.cardiologistId, REASON)).wait();
      await expect(f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantRevoked")
        .withArgs(f.cardiologistId);
    });

    it("reverts with IdentityInvalidAffiliation for NONE, the current organization or no active institution", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, cardiologistId, patientId, hospitalId } = f;
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), {
        affiliation: hospitalId,
        acceptedBy: f.hospitalKey,
      });
      const suspended = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 1));
      await (await registry.connect(registrar).suspend(suspended, REASON)).wait();
      const unknown = (await registry.lastId()) + 1n;
      for (const bad of [0n, hospitalId, unknown, patientId, cardiologistId, device, suspended]) {
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

    it("keeps the proofing across a change of key", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.registrar).markIdentityProofed(f.patientId)).wait();
      await rotate(f, f.patientId, f.patientKey, signer(f.spareKeys, 0));
      expect((await readParticipant(f.registry, f.patientId)).identityProofed).to.equal(true);
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
      const { registry, registrar, cardiologistId, cardiologistKey, hospitalId } = await loadFixture(identityFixture);
      await expect(registry.connect(registrar).suspend(cardiologistId, REASON))
        .to.emit(registry, "StatusChanged")
        .withArgs(cardiologistId, ParticipantStatus.Active, ParticipantStatus.Suspended, REASON);
      expect((await readParticipant(registry, cardiologistId)).status).to.equal(BigInt(ParticipantStatus.Suspended));
      expect(await registry.isActive(cardiologistId)).to.equal(false);
      expect(await registry.idOf(cardiologistKey.address)).to.equal(cardiologistId);
      expect(await registry.activeIdOf(cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(0n);
      expect(await registry.accountStanding(cardiologistKey.address, await latest())).to.deep.equal([
        cardiologistId,
        BigInt(ParticipantKind.Practitioner),
        hospitalId,
        false,
      ]);
    });

    it("suspends a participant whose credential expired, or whose affiliation is only offered", async function () {
      const f = await loadFixture(identityFixture);
      const offered = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      await expect(f.registry.connect(f.registrar).suspend(offered, REASON))
        .to.emit(f.registry, "StatusChanged")
        .withArgs(offered, ParticipantStatus.Active, ParticipantStatus.Suspended, REASON);
      await time.increaseTo(f.credentialExpiry);
      await expect(f.registry.connect(f.registrar).suspend(f.hospitalId, REASON))
        .to.emit(f.registry, "StatusChanged")
        .withArgs(f.hospitalId, ParticipantStatus.Active, ParticipantStatus.Suspended, REASON);
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

    it("reinstates a practitioner into the inactivity of an unaccepted affiliation", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.registrar).suspend(f.cardiologistId, REASON)).wait();
      await (await f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId)).wait();
      await (await f.registry.connect(f.registrar).reinstate(f.cardiologistId, REASON)).wait();
      expect(await f.registry.isActive(f.cardiologistId)).to.equal(false);
      expect(await f.registry.activeIdOf(f.cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(0n);
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

    it("leaves a revoked patient's live recovery unexecutable", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const readyAt = await reachThreshold(f, newKey.address);
      await (await f.registry.connect(f.registrar).revoke(f.patientId, REASON)).wait();
      await time.increaseTo(readyAt);
      await expect(f.registry.connect(newKey).executeRecovery(f.patientId))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantRevoked")
        .withArgs(f.patientId);
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
          const { registry, registrar, hospitalId, patientId, cardiologistId } = await loadFixture(identityFixture);
          for (const id of [hospitalId, patientId, cardiologistId]) {
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
    it("hands an institutional id to a new key that consented, after the scheduled delay", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, hospitalId, hospitalKey } = f;
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(
        registry,
        hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: hospitalId }),
      );
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

    it("works through scheduleAndExecute, and the old key stops working", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, cardiologistId, cardiologistKey } = f;
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: cardiologistId });
      await scheduleAndExecute(
        accessManager,
        registrar,
        await registry.getAddress(),
        recoverData(registry, cardiologistId, newKey.address, consent),
      );
      expect(await registry.activeIdOf(newKey.address, ParticipantKind.Practitioner)).to.equal(cardiologistId);
      const other = signer(f.spareKeys, 1);
      const otherConsent = await transferConsent(f, other, { id: cardiologistId });
      await expect(
        registry
          .connect(cardiologistKey)
          .rotateController(cardiologistId, other.address, otherConsent.deadline, otherConsent.signature),
      )
        .to.be.revertedWithCustomError(registry, "IdentityNotController")
        .withArgs(cardiologistId, cardiologistKey.address);
    });

    it("recovers a suspended institution without reinstating it", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, hospitalId } = f;
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: hospitalId });
      await scheduleAndExecute(
        accessManager,
        registrar,
        await registry.getAddress(),
        recoverData(registry, hospitalId, newKey.address, consent),
      );
      expect(await registry.idOf(newKey.address)).to.equal(hospitalId);
      expect(await registry.isActive(hospitalId)).to.equal(false);
    });

    it("reverts with AccessManagerNotScheduled when the registrar calls without scheduling", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, hospitalId } = f;
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: hospitalId });
      const operationId = await accessManager.hashOperation(
        registrar.address,
        await registry.getAddress(),
        recoverData(registry, hospitalId, newKey.address, consent),
      );
      await expect(
        registry.connect(registrar).recoverController(hospitalId, newKey.address, consent.deadline, consent.signature),
      )
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotScheduled")
        .withArgs(operationId);
    });

    it("reverts with AccessManagerNotReady when executed before the delay has passed", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, hospitalId } = f;
      const newKey = signer(f.spareKeys, 0);
      const target = await registry.getAddress();
      const data = recoverData(
        registry,
        hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: hospitalId }),
      );
      await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
      const operationId = await accessManager.hashOperation(registrar.address, target, data);
      await expect(accessManager.connect(registrar).execute(target, data))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerNotReady")
        .withArgs(operationId);
    });

    it("reverts with AccessManagedUnauthorized when the caller lacks the recovery role", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: f.hospitalId });
      for (const caller of [f.admin, f.pauser, f.hospitalKey, newKey]) {
        await expect(
          f.registry
            .connect(caller)
            .recoverController(f.hospitalId, newKey.address, consent.deadline, consent.signature),
        )
          .to.be.revertedWithCustomError(f.registry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
    });

    it("lets the admin, as guardian of the role, cancel a scheduled recovery", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, admin, hospitalId, hospitalKey } = f;
      const newKey = signer(f.spareKeys, 0);
      const target = await registry.getAddress();
      const data = recoverData(
        registry,
        hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: hospitalId }),
      );
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
      const f = await loadFixture(identityFixture);
      const { registry, accessManager, registrar, pauser, hospitalId } = f;
      const newKey = signer(f.spareKeys, 0);
      const target = await registry.getAddress();
      const data = recoverData(
        registry,
        hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: hospitalId }),
      );
      await (await accessManager.connect(registrar).schedule(target, data, 0)).wait();
      await expect(accessManager.connect(pauser).cancel(registrar.address, target, data))
        .to.be.revertedWithCustomError(accessManager, "AccessManagerUnauthorizedCancel")
        .withArgs(pauser.address, registrar.address, target, data.slice(0, 10));
    });

    it("reverts with IdentityRecoveryNotForPatients for a patient", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(
        f.registry,
        f.patientId,
        newKey.address,
        await transferConsent(f, newKey, { id: f.patientId }),
      );
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityRecoveryNotForPatients")
        .withArgs(f.patientId);
    });

    it("reverts with IdentityUnknownParticipant for an unregistered id", async function () {
      const f = await loadFixture(identityFixture);
      const unknown = (await f.registry.lastId()) + 1n;
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(
        f.registry,
        unknown,
        newKey.address,
        await transferConsent(f, newKey, { id: unknown, keyEpoch: 0n }),
      );
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityUnknownParticipant")
        .withArgs(unknown);
    });

    it("reverts with IdentityParticipantRevoked for a revoked institution", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.registry.connect(f.registrar).revoke(f.hospitalId, REASON)).wait();
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(
        f.registry,
        f.hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: f.hospitalId }),
      );
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityParticipantRevoked")
        .withArgs(f.hospitalId);
    });

    it("reverts with IdentityZeroAddress for the zero key", async function () {
      const f = await loadFixture(identityFixture);
      const consent = await transferConsent(f, signer(f.spareKeys, 0), {
        id: f.hospitalId,
        newController: ZeroAddress,
      });
      const data = recoverData(f.registry, f.hospitalId, ZeroAddress, consent);
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await expect(
        f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data),
      ).to.be.revertedWithCustomError(f.registry, "IdentityZeroAddress");
    });

    it("reverts with IdentityAccountAlreadyBound when the new key got bound meanwhile", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(
        f.registry,
        f.hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: f.hospitalId }),
      );
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await registerPatient(f, newKey);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
    });

    it("reverts with IdentityAccountAlreadyBound for a key the institution moved away from", async function () {
      const f = await loadFixture(identityFixture);
      // The hospital rotated to a new key, then lost it: its first key, retired, cannot be given the id back.
      await rotate(f, f.hospitalId, f.hospitalKey, signer(f.spareKeys, 0));
      const data = recoverData(
        f.registry,
        f.hospitalId,
        f.hospitalKey.address,
        await transferConsent(f, f.hospitalKey, { id: f.hospitalId }),
      );
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityAccountAlreadyBound")
        .withArgs(f.hospitalKey.address);
    });

    it("reverts with IdentityInvalidKeySignature without the new key's consent", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const forged = [
        await transferConsent(f, f.registrar, { id: f.hospitalId, newController: newKey.address }),
        await transferConsent(f, newKey, { id: f.cardiologistId }),
        { deadline: (await latest()) + BigInt(DAY), signature: "0x" },
      ];
      for (const consent of forged) {
        const data = recoverData(f.registry, f.hospitalId, newKey.address, consent);
        await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
        await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
          .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
          .withArgs(newKey.address);
      }
    });

    it("reverts with IdentityInvalidKeySignature when the institution's key changed after scheduling", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const data = recoverData(
        f.registry,
        f.hospitalId,
        newKey.address,
        await transferConsent(f, newKey, { id: f.hospitalId }),
      );
      await (await f.accessManager.connect(f.registrar).schedule(await f.registry.getAddress(), data, 0)).wait();
      // The institution found its key after all and rotated: the consent was for the old key epoch.
      await rotate(f, f.hospitalId, f.hospitalKey, signer(f.spareKeys, 1));
      await time.increase(3600);
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentityInvalidKeySignature")
        .withArgs(newKey.address);
    });

    it("reverts with IdentitySignatureDeadlineOutOfRange when the consent expires before the delay ends", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0);
      const consent = await transferConsent(f, newKey, { id: f.hospitalId, deadline: (await latest()) + 600n });
      const data = recoverData(f.registry, f.hospitalId, newKey.address, consent);
      await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
      const now = await nextTimestamp();
      await expect(f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data))
        .to.be.revertedWithCustomError(f.registry, "IdentitySignatureDeadlineOutOfRange")
        .withArgs(consent.deadline, now, now + MAX_SIGNATURE_WINDOW);
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
      type Call = () => Promise<ContractTransactionResponse>;

      /**
       * Every write that can give control or access, prepared (before the pause) so that it would succeed unpaused:
       * the pause is the only reason it fails.
       */
      const STOPPED: Record<string, (f: IdentityFixture) => Promise<Call>> = {
        registerPatient: (f) => Promise.resolve(() => f.registry.connect(signer(f.spareKeys, 0)).registerPatient()),
        rotateController: async (f) => {
          const newKey = signer(f.spareKeys, 0);
          const consent = await transferConsent(f, newKey, { id: f.patientId, deadline: (await latest()) + 100n });
          return () =>
            f.registry
              .connect(f.patientKey)
              .rotateController(f.patientId, newKey.address, consent.deadline, consent.signature);
        },
        setGuardians: (f) =>
          Promise.resolve(() => f.registry.connect(f.patientKey).setGuardians(f.patientId, [f.hospitalId], 1, DAY)),
        confirmGuardianChange: async (f) => {
          await time.increaseTo(await scheduleChange(f, [f.hospitalId], 1, DAY));
          return () => f.registry.confirmGuardianChange(f.patientId);
        },
        approveRecovery: (f) =>
          Promise.resolve(() =>
            f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, signer(f.spareKeys, 0)),
          ),
        executeRecovery: async (f) => {
          const newKey = signer(f.spareKeys, 0);
          await time.increaseTo(await reachThreshold(f, newKey.address));
          return () => f.registry.connect(newKey).executeRecovery(f.patientId);
        },
        appointRepresentative: async (f) => {
          const expiresAt = (await latest()) + BigInt(DAY);
          return () => f.registry.connect(f.patientKey).appointRepresentative(f.patientId, f.cardiologistId, expiresAt);
        },
        acceptAffiliate: async (f) => {
          const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
            affiliation: f.hospitalId,
          });
          return () => f.registry.connect(f.hospitalKey).acceptAffiliate(id);
        },
        registerParticipant: async (f) => {
          const key = signer(f.spareKeys, 0);
          const consent = await registrationConsent(f, key, { kind: ParticipantKind.Payer });
          return () => registerCall(f, ParticipantKind.Payer, key.address, consent);
        },
        renewCredential: (f) =>
          Promise.resolve(() =>
            f.registry
              .connect(f.registrar)
              .renewCredential(f.hospitalId, commit("x").commitment, f.credentialExpiry + 1n),
          ),
        setAffiliation: async (f) => {
          const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(f.spareKeys, 0));
          return () => f.registry.connect(f.registrar).setAffiliation(f.cardiologistId, clinic);
        },
        markIdentityProofed: (f) =>
          Promise.resolve(() => f.registry.connect(f.registrar).markIdentityProofed(f.patientId)),
        reinstate: async (f) => {
          await (await f.registry.connect(f.registrar).suspend(f.hospitalId, REASON)).wait();
          return () => f.registry.connect(f.registrar).reinstate(f.hospitalId, REASON);
        },
      };

      /** Every write that can only protect someone, prepared before the pause, with the event it must emit. */
      const PROTECTIVE: Record<
        string,
        (f: IdentityFixture) => Promise<{ call: Call; event: string; args: readonly unknown[] }>
      > = {
        revokeRepresentative: async (f) => {
          await (
            await f.registry
              .connect(f.patientKey)
              .appointRepresentative(f.patientId, f.cardiologistId, (await latest()) + BigInt(DAY))
          ).wait();
          return {
            call: () => f.registry.connect(f.patientKey).revokeRepresentative(f.patientId, f.cardiologistId),
            event: "RepresentativeRemoved",
            args: [f.patientId, f.cardiologistId, false],
          };
        },
        resignRepresentative: async (f) => {
          await (
            await f.registry
              .connect(f.patientKey)
              .appointRepresentative(f.patientId, f.cardiologistId, (await latest()) + BigInt(DAY))
          ).wait();
          return {
            call: () => f.registry.connect(f.cardiologistKey).resignRepresentative(f.patientId, f.cardiologistId),
            event: "RepresentativeRemoved",
            args: [f.patientId, f.cardiologistId, true],
          };
        },
        cancelRecovery: async (f) => {
          // The key objected before the pause; a guardian's objection makes the quorum during it.
          const newKey = signer(f.spareKeys, 0).address;
          await (await f.registry.connect(signer(f.guardianKeys, 0)).approveRecovery(f.patientId, newKey)).wait();
          await (await f.registry.connect(f.patientKey).cancelRecovery(f.patientId, newKey)).wait();
          return {
            call: () => f.registry.connect(signer(f.guardianKeys, 1)).cancelRecovery(f.patientId, newKey),
            event: "RecoveryCancelled",
            args: [f.patientId, newKey],
          };
        },
        withdrawRecoveryApproval: async (f) => {
          const newKey = signer(f.spareKeys, 0).address;
          await reachThreshold(f, newKey);
          return {
            call: () => f.registry.connect(signer(f.guardianKeys, 0)).withdrawRecoveryApproval(f.patientId, newKey),
            event: "RecoveryApprovalWithdrawn",
            args: [f.patientId, f.guardianIds[0], newKey, 1],
          };
        },
        cancelGuardianChange: async (f) => {
          await scheduleChange(f, [], 0, 0);
          return {
            call: () => f.registry.connect(f.patientKey).cancelGuardianChange(f.patientId),
            event: "GuardianChangeCancelled",
            args: [f.patientId, false],
          };
        },
        vetoGuardianChange: async (f) => {
          await scheduleChange(f, [], 0, 0);
          await (await f.registry.connect(signer(f.guardianKeys, 0)).vetoGuardianChange(f.patientId)).wait();
          return {
            call: () => f.registry.connect(signer(f.guardianKeys, 1)).vetoGuardianChange(f.patientId),
            event: "GuardianChangeCancelled",
            args: [f.patientId, true],
          };
        },
        releaseAffiliate: (f) =>
          Promise.resolve({
            call: () => f.registry.connect(f.hospitalKey).releaseAffiliate(f.cardiologistId),
            event: "AffiliationChanged",
            args: [f.cardiologistId, f.hospitalId, 0n],
          }),
        suspend: (f) =>
          Promise.resolve({
            call: () => f.registry.connect(f.registrar).suspend(f.hospitalId, REASON),
            event: "StatusChanged",
            args: [f.hospitalId, ParticipantStatus.Active, ParticipantStatus.Suspended, REASON],
          }),
        revoke: (f) =>
          Promise.resolve({
            call: () => f.registry.connect(f.registrar).revoke(f.hospitalId, REASON),
            event: "StatusChanged",
            args: [f.hospitalId, ParticipantStatus.Active, ParticipantStatus.Revoked, REASON],
          }),
      };

      it("sorts every external write of the registry into one of the two lists", async function () {
        const { registry } = await loadFixture(identityFixture);
        const writes: string[] = [];
        registry.interface.forEachFunction((fn) => {
          if (!fn.constant) writes.push(fn.name);
        });
        writes.sort();
        // recoverController runs through the AccessManager (below); pause and unpause have their own tests;
        // setAuthority (inherited from AccessManaged) answers only to the AccessManager and is not pausable.
        const covered = [
          ...Object.keys(STOPPED),
          ...Object.keys(PROTECTIVE),
          "recoverController",
          "pause",
          "unpause",
          "setAuthority",
        ].sort();
        expect(writes).to.deep.equal(covered);
      });

      for (const [name, prepare] of Object.entries(STOPPED)) {
        it(`reverts ${name} with EnforcedPause`, async function () {
          const f = await loadFixture(identityFixture);
          const call = await prepare(f);
          await pauseRegistry(f);
          await expect(call()).to.be.revertedWithCustomError(f.registry, "EnforcedPause");
        });
      }

      for (const [name, prepare] of Object.entries(PROTECTIVE)) {
        it(`lets ${name} work`, async function () {
          const f = await loadFixture(identityFixture);
          const { call, event, args } = await prepare(f);
          await pauseRegistry(f);
          await expect(call())
            .to.emit(f.registry, event)
            .withArgs(...args);
        });
      }

      it("reverts a scheduled recoverController with EnforcedPause", async function () {
        const f = await loadFixture(identityFixture);
        const newKey = signer(f.spareKeys, 0);
        const data = recoverData(
          f.registry,
          f.hospitalId,
          newKey.address,
          await transferConsent(f, newKey, { id: f.hospitalId }),
        );
        await pauseRegistry(f);
        await scheduleAndWait(f.accessManager, f.registry, f.registrar, data);
        await expect(
          f.accessManager.connect(f.registrar).execute(await f.registry.getAddress(), data),
        ).to.be.revertedWithCustomError(f.registry, "EnforcedPause");
      });

      it("keeps every view answering", async function () {
        const f = await loadFixture(identityFixture);
        const { registry, patientId, patientKey, guardianIds, cardiologistId, hospitalId, spareKeys } = f;
        const expiresAt = (await latest()) + BigInt(30 * DAY);
        await (await registry.connect(patientKey).appointRepresentative(patientId, cardiologistId, expiresAt)).wait();
        const recoveryKey = signer(spareKeys, 1).address;
        const opened = await nextTimestamp();
        await (await registry.connect(signer(f.guardianKeys, 0)).approveRecovery(patientId, recoveryKey)).wait();
        const effectiveAt = await scheduleChange(f, [hospitalId], 1, DAY);
        const clinic = await registerInstitutional(f, ParticipantKind.Organization, signer(spareKeys, 2));
        await (await registry.connect(f.registrar).setAffiliation(cardiologistId, clinic)).wait();
        await pauseRegistry(f);

        expect(await registry.paused()).to.equal(true);
        expect((await readParticipant(registry, patientId)).controller).to.equal(patientKey.address);
        expect(await registry.idOf(patientKey.address)).to.equal(patientId);
        expect(await registry.isActive(patientId)).to.equal(true);
        expect(await registry.isActiveAt(cardiologistId, f.credentialExpiry)).to.equal(false);
        expect(await registry.activeIdOf(patientKey.address, ParticipantKind.Patient)).to.equal(patientId);
        expect(await registry.accountStanding(f.cardiologistKey.address, await latest())).to.deep.equal([
          cardiologistId,
          BigInt(ParticipantKind.Practitioner),
          hospitalId,
          true,
        ]);
        expect(await registry.standingOf(cardiologistId)).to.deep.equal([
          BigInt(ParticipantKind.Practitioner),
          hospitalId,
          true,
        ]);
        expect(await registry.affiliationOffer(cardiologistId)).to.equal(clinic);
        expect(await registry.guardiansOf(patientId)).to.deep.equal([
          [...guardianIds],
          BigInt(GUARDIAN_THRESHOLD),
          BigInt(RECOVERY_DELAY),
        ]);
        expect(await registry.pendingGuardianChange(patientId)).to.deep.equal([
          [hospitalId],
          1n,
          BigInt(DAY),
          effectiveAt,
          0n,
        ]);
        expect(await registry.recoveryOf(patientId, recoveryKey)).to.deep.equal([1n, 0n, opened + RECOVERY_WINDOW, 0n]);
        expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(true);
        expect(await registry.representationExpiry(patientId, cardiologistId)).to.equal(expiresAt);
        expect(await registry.lastId()).to.equal(clinic);
        expect(await registry.version()).to.equal("2.0.0");
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
    it("returns everything the registry holds about an accepted practitioner", async function () {
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

    it("reports no affiliation for a practitioner whose offer awaits acceptance", async function () {
      const f = await loadFixture(identityFixture);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      expect((await readParticipant(f.registry, id)).affiliation).to.equal(0n);
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
    it("returns the controlled id, and NONE for unbound keys, keys a recovery names and keys that signed a consent", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, patientId, patientKey, hospitalId, hospitalKey, spareKeys } = f;
      expect(await registry.idOf(patientKey.address)).to.equal(patientId);
      expect(await registry.idOf(hospitalKey.address)).to.equal(hospitalId);
      expect(await registry.idOf(signer(spareKeys, 0).address)).to.equal(0n);
      expect(await registry.idOf(ZeroAddress)).to.equal(0n);
      const recoveryKey = signer(spareKeys, 1).address;
      await reachThreshold(f, recoveryKey);
      expect(await registry.idOf(recoveryKey)).to.equal(0n);
      await transferConsent(f, signer(spareKeys, 2), { id: patientId });
      expect(await registry.idOf(signer(spareKeys, 2).address)).to.equal(0n);
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

    it("is false for a practitioner or device until its organization accepts, and after a release", async function () {
      const f = await loadFixture(identityFixture);
      const device = await registerInstitutional(f, ParticipantKind.Device, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      expect(await f.registry.isActive(device)).to.equal(false);
      await (await f.registry.connect(f.hospitalKey).acceptAffiliate(device)).wait();
      expect(await f.registry.isActive(device)).to.equal(true);
      await (await f.registry.connect(f.hospitalKey).releaseAffiliate(device)).wait();
      expect(await f.registry.isActive(device)).to.equal(false);
    });
  });

  describe("isActiveAt", function () {
    it("judges the credential at `at`, and the status and affiliation as they are now", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, hospitalId, cardiologistId, credentialExpiry, patientId } = f;
      const now = await latest();
      expect(await registry.isActiveAt(hospitalId, credentialExpiry - 1n)).to.equal(true);
      expect(await registry.isActiveAt(hospitalId, credentialExpiry)).to.equal(false);
      expect(await registry.isActiveAt(patientId, credentialExpiry + BigInt(50 * YEAR))).to.equal(true);
      await (await registry.connect(registrar).suspend(hospitalId, REASON)).wait();
      expect(await registry.isActiveAt(hospitalId, now), "suspended now, asked about before").to.equal(false);
      await (await registry.connect(f.hospitalKey).releaseAffiliate(cardiologistId)).wait();
      expect(await registry.isActiveAt(cardiologistId, now), "released now, asked about before").to.equal(false);
      expect(await registry.isActiveAt(0n, now)).to.equal(false);
    });
  });

  describe("activeIdOf", function () {
    it("returns the id only for the right kind, an active participant and a bound key", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, cardiologistId, cardiologistKey, patientId, patientKey, spareKeys } = f;
      expect(await registry.activeIdOf(cardiologistKey.address, ParticipantKind.Practitioner)).to.equal(cardiologistId);
      for (const wrong of [ParticipantKind.None, ParticipantKind.Patient, ParticipantKind.Organization]) {
        expect(await registry.activeIdOf(cardiologistKey.address, wrong)).to.equal(0n);
      }
      expect(await registry.activeIdOf(signer(spareKeys, 0).address, ParticipantKind.None)).to.equal(0n);
      const recoveryKey = signer(spareKeys, 1).address;
      await reachThreshold(f, recoveryKey);
      expect(await registry.activeIdOf(recoveryKey, ParticipantKind.Patient)).to.equal(0n);
      const offeredKey = signer(spareKeys, 2);
      await registerInstitutional(f, ParticipantKind.Practitioner, offeredKey, { affiliation: f.hospitalId });
      expect(await registry.activeIdOf(offeredKey.address, ParticipantKind.Practitioner)).to.equal(0n);
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      expect(await registry.activeIdOf(patientKey.address, ParticipantKind.Patient)).to.equal(0n);
    });
  });

  describe("standingOf", function () {
    it("returns kind, affiliation and activity, and (None, NONE, false) for unknown ids", async function () {
      const f = await loadFixture(identityFixture);
      const { registry, registrar, cardiologistId, hospitalId } = f;
      expect(await registry.standingOf(cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        hospitalId,
        true,
      ]);
      expect(await registry.standingOf(0n)).to.deep.equal([0n, 0n, false]);
      expect(await registry.standingOf((await registry.lastId()) + 1n)).to.deep.equal([0n, 0n, false]);
      const offered = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: hospitalId,
      });
      expect(await registry.standingOf(offered)).to.deep.equal([BigInt(ParticipantKind.Practitioner), 0n, false]);
      await (await registry.connect(registrar).revoke(cardiologistId, REASON)).wait();
      expect(await registry.standingOf(cardiologistId)).to.deep.equal([
        BigInt(ParticipantKind.Practitioner),
        hospitalId,
        false,
      ]);
    });
  });

  describe("affiliationOffer", function () {
    it("is the offered organization until it accepts, and NONE otherwise", async function () {
      const f = await loadFixture(identityFixture);
      expect(await f.registry.affiliationOffer(f.cardiologistId), "accepted in the fixture").to.equal(0n);
      expect(await f.registry.affiliationOffer(f.patientId)).to.equal(0n);
      expect(await f.registry.affiliationOffer(0n)).to.equal(0n);
      const id = await registerInstitutional(f, ParticipantKind.Practitioner, signer(f.spareKeys, 0), {
        affiliation: f.hospitalId,
      });
      expect(await f.registry.affiliationOffer(id)).to.equal(f.hospitalId);
      await (await f.registry.connect(f.hospitalKey).acceptAffiliate(id)).wait();
      expect(await f.registry.affiliationOffer(id)).to.equal(0n);
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

  describe("pendingGuardianChange", function () {
    it("returns zeros when no change waits, and the change with its veto count otherwise", async function () {
      const f = await loadFixture(identityFixture);
      expect(await f.registry.pendingGuardianChange(f.patientId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      expect(await f.registry.pendingGuardianChange(f.hospitalId)).to.deep.equal([[], 0n, 0n, 0n, 0n]);
      const effectiveAt = await scheduleChange(f, [f.guardianIds[0], f.hospitalId], 2, 3 * DAY);
      await (await f.registry.connect(f.guardianKeys[2]).vetoGuardianChange(f.patientId)).wait();
      expect(await f.registry.pendingGuardianChange(f.patientId)).to.deep.equal([
        [f.guardianIds[0], f.hospitalId],
        2n,
        BigInt(3 * DAY),
        effectiveAt,
        1n,
      ]);
      // Past its effective time and still unconfirmed, the change keeps showing.
      await time.increaseTo(effectiveAt + BigInt(YEAR));
      expect((await f.registry.pendingGuardianChange(f.patientId))[3]).to.equal(effectiveAt);
    });
  });

  describe("recoveryOf", function () {
    it("returns zeros when no live recovery names the key, and (approvals, readyAt, expiresAt, objections) otherwise", async function () {
      const f = await loadFixture(identityFixture);
      const newKey = signer(f.spareKeys, 0).address;
      expect(await f.registry.recoveryOf(f.patientId, newKey)).to.deep.equal([0n, 0n, 0n, 0n]);
      const readyAt = await reachThreshold(f, newKey);
      expect(await f.registry.recoveryOf(f.patientId, newKey)).to.deep.equal([
        BigInt(GUARDIAN_THRESHOLD),
        readyAt,
        readyAt + RECOVERY_WINDOW,
        0n,
      ]);
      expect(await f.registry.recoveryOf(f.patientId, signer(f.spareKeys, 1).address)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.registry.recoveryOf(f.hospitalId, newKey)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.registry.recoveryOf(f.guardianIds[0], newKey)).to.deep.equal([0n, 0n, 0n, 0n]);
      await time.increaseTo(readyAt + RECOVERY_WINDOW);
      expect((await f.registry.recoveryOf(f.patientId, newKey))[0], "at its expiry").to.equal(2n);
      await time.increase(1);
      expect(await f.registry.recoveryOf(f.patientId, newKey), "lapsed").to.deep.equal([0n, 0n, 0n, 0n]);
    });
  });

  describe("isRepresentative", function () {
    it("is false for pairs never appointed and for unknown ids", async function () {
      const { registry, patientId, cardiologistId } = await loadFixture(identityFixture);
      expect(await registry.isRepresentative(patientId, cardiologistId)).to.equal(false);
      expect(await registry.isRepresentative(0n, 0n)).to.equal(false);
    });

    it("is false while the patient is suspended, true again on reinstatement, and false for good once revoked", async function () {
      const { registry, registrar, patientId, patientKey, guardianIds } = await loadFixture(identityFixture);
      const expiresAt = (await latest()) + BigInt(30 * DAY);
      await (await registry.connect(patientKey).appointRepresentative(patientId, guardianIds[0], expiresAt)).wait();
      await (await registry.connect(registrar).suspend(patientId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, guardianIds[0]), "suspended").to.equal(false);
      expect(await registry.representationExpiry(patientId, guardianIds[0])).to.equal(expiresAt);
      await (await registry.connect(registrar).reinstate(patientId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, guardianIds[0]), "reinstated").to.equal(true);
      await (await registry.connect(registrar).revoke(patientId, REASON)).wait();
      expect(await registry.isRepresentative(patientId, guardianIds[0]), "revoked").to.equal(false);
    });
  });

  describe("representationExpiry", function () {
    it("is zero for pairs never appointed", async function () {
      const { registry, patientId, cardiologistId } = await loadFixture(identityFixture);
      expect(await registry.representationExpiry(patientId, cardiologistId)).to.equal(0n);
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
