import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import { type ContractTransactionResponse, ZeroAddress, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import { commit, identifierCommitment, ParticipantKind, Roles } from "../../sdk";
import type { IdentifierRegistry } from "../../typechain-types";
import { DAY, type IdentityFixture, identityFixture } from "../fixtures/identity";
import { systemFixture } from "../fixtures/system";
import { scheduleAndExecute } from "../helpers/governance";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

const REASON = 17; // an off-chain reason-code list entry
const MRN_SYSTEM = "urn:oid:2.16.840.1.113883.19.5";

type FunctionName = Parameters<IdentifierRegistry["interface"]["getFunction"]>[0];

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

function signer(list: readonly HardhatEthersSigner[], index: number): HardhatEthersSigner {
  const found = list[index];
  if (found === undefined) throw new Error(`no signer at index ${index}`);
  return found;
}

/** A fresh salted commitment of medical record number `label` in the hospital's code system. */
function mrn(label: string): string {
  return identifierCommitment(MRN_SYSTEM, label).commitment;
}

/** Registers an institution of `kind` controlled by `key` (which consents) and returns its id. */
async function registerInstitution(
  f: IdentityFixture,
  kind: ParticipantKind,
  key: HardhatEthersSigner,
  expiry?: bigint,
): Promise<bigint> {
  const { id } = await f.identity.as(f.registrar).registerWithKey(key, {
    kind,
    credentialCommitment: commit(`credential:${kind}:${key.address}`).commitment,
    credentialExpiry: expiry ?? f.credentialExpiry,
  });
  return id;
}

/** Identifier `label` that the hospital attests for the fixture patient (and the patient accepts, if `accept`). */
async function attest(f: IdentityFixture, label: string, accept = false): Promise<string> {
  const commitment = mrn(label);
  await (await f.identifierRegistry.connect(f.hospitalKey).attest(f.patientId, commitment)).wait();
  if (accept) {
    await (await f.identifierRegistry.connect(f.patientKey).accept(f.patientId, f.hospitalId, commitment)).wait();
  }
  return commitment;
}

/** The controller `from` hands `id` to `to`, which signs its consent (SDK `rotateTo`): `from` is retired. */
async function rotate(f: IdentityFixture, id: bigint, from: HardhatEthersSigner, to: HardhatEthersSigner) {
  await f.identity.as(from).rotateTo(id, to);
}

async function pause(f: IdentityFixture): Promise<void> {
  await (await f.identifierRegistry.connect(f.pauser).pause()).wait();
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("IdentifierRegistry", function () {
  describe("deployment", function () {
    it("reads participants from the suite's identity registry and is managed by the suite's AccessManager", async function () {
      const { identifierRegistry, identityRegistry, accessManager, deployment } = await loadFixture(systemFixture);
      expect(await identifierRegistry.identityRegistry()).to.equal(await identityRegistry.getAddress());
      expect(await identifierRegistry.authority()).to.equal(await accessManager.getAddress());
      expect(await identifierRegistry.getAddress()).to.equal(deployment.identifierRegistry);
      expect(await identifierRegistry.paused()).to.equal(false);
      expect(await identifierRegistry.version()).to.equal("1.0.0");
    });

    it("wires pause to the pauser and unpause to the admin", async function () {
      const { identifierRegistry, accessManager } = await loadFixture(systemFixture);
      const target = await identifierRegistry.getAddress();
      const expected: [FunctionName, bigint][] = [
        ["pause", Roles.PAUSER],
        ["unpause", Roles.ADMIN],
      ];
      for (const [name, role] of expected) {
        const { selector } = identifierRegistry.interface.getFunction(name);
        expect(await accessManager.getTargetFunctionRole(target, selector), name).to.equal(role);
      }
    });

    it("reverts with IdentifierInvalidDependency when the identity registry is not a contract", async function () {
      const { accessManager, registrar } = await loadFixture(systemFixture);
      const factory = await ethers.getContractFactory("IdentifierRegistry");
      for (const identity of [ZeroAddress, registrar.address]) {
        await expect(factory.deploy(await accessManager.getAddress(), identity))
          .to.be.revertedWithCustomError(factory, "IdentifierInvalidDependency")
          .withArgs(identity);
      }
    });

    it("takes any contract as its identity registry: the constructor checks only that code is there", async function () {
      const { accessManager, identityRegistry } = await loadFixture(systemFixture);
      const factory = await ethers.getContractFactory("IdentifierRegistry");
      const second = await factory.deploy(await accessManager.getAddress(), await identityRegistry.getAddress());
      expect(await second.identityRegistry()).to.equal(await identityRegistry.getAddress());
    });
  });

  describe("attest", function () {
    it("lets an active institution attest an identifier it issued, unbound until the patient accepts", async function () {
      const { identifierRegistry, patientId, hospitalId, hospitalKey } = await loadFixture(identityFixture);
      const commitment = mrn("MRN-0042");
      await expect(identifierRegistry.connect(hospitalKey).attest(patientId, commitment))
        .to.emit(identifierRegistry, "IdentifierAttested")
        .withArgs(hospitalId, patientId, commitment);
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([patientId, false]);
      expect(await identifierRegistry.ownerOf(hospitalId, commitment)).to.equal(0n);
    });

    it("lets every kind of institution attest, each in its own namespace", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry } = f;
      const commitment = mrn("MRN-0042");
      const cases = [
        [ParticipantKind.Payer, f.guardianIds[0]],
        [ParticipantKind.Pharmacy, f.guardianIds[1]],
        [ParticipantKind.Manufacturer, f.guardianIds[2]],
        [ParticipantKind.Distributor, f.patientId],
        [ParticipantKind.ResearchSponsor, f.patientId],
        [ParticipantKind.Regulator, f.patientId],
      ] as const;
      for (const [i, [kind, subject]] of cases.entries()) {
        const key = signer(f.spareKeys, i);
        const issuer = await registerInstitution(f, kind, key);
        await expect(identifierRegistry.connect(key).attest(subject, commitment))
          .to.emit(identifierRegistry, "IdentifierAttested")
          .withArgs(issuer, subject, commitment);
        expect(await identifierRegistry.attestation(issuer, commitment)).to.deep.equal([subject, false]);
      }
      // The same commitment is nobody's in the hospital's namespace.
      expect(await identifierRegistry.attestation(f.hospitalId, commitment)).to.deep.equal([0n, false]);
    });

    it("replaces an attestation the patient has not accepted", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId, patientKey, guardianIds } = f;
      const commitment = await attest(f, "MRN-0042");
      await expect(identifierRegistry.connect(hospitalKey).attest(guardianIds[0], commitment))
        .to.emit(identifierRegistry, "IdentifierAttested")
        .withArgs(hospitalId, guardianIds[0], commitment);
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([guardianIds[0], false]);
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNoAttestation")
        .withArgs(hospitalId, commitment, patientId);
    });

    it("attests for a suspended patient, who can accept once reinstated", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, identityRegistry, registrar, patientId, patientKey, hospitalId } = f;
      await (await identityRegistry.connect(registrar).suspend(patientId, REASON)).wait();
      const commitment = await attest(f, "MRN-0042");
      await (await identityRegistry.connect(registrar).reinstate(patientId, REASON)).wait();
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.emit(identifierRegistry, "IdentifierBound")
        .withArgs(patientId, hospitalId, commitment);
    });

    it("attests with an institution's new key after a rotation, in the same namespace", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId } = f;
      const pending = await attest(f, "MRN-0042");
      const newKey = signer(f.spareKeys, 0);
      await rotate(f, hospitalId, hospitalKey, newKey);
      const commitment = mrn("MRN-0043");
      await expect(identifierRegistry.connect(newKey).attest(patientId, commitment))
        .to.emit(identifierRegistry, "IdentifierAttested")
        .withArgs(hospitalId, patientId, commitment);
      expect(await identifierRegistry.attestation(hospitalId, pending)).to.deep.equal([patientId, false]);
    });

    it("reverts with IdentifierNotAnInstitution for patients, practitioners, devices, unbound and retired keys", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, patientId } = f;
      const deviceKey = signer(f.spareKeys, 0);
      await f.identity.as(f.registrar).registerWithKey(
        deviceKey,
        {
          kind: ParticipantKind.Device,
          credentialCommitment: commit("device:monitor").commitment,
          credentialExpiry: f.credentialExpiry,
          affiliation: f.hospitalId,
        },
        f.hospitalKey,
      );
      // A pharmacy moved to a new key: its first key is retired.
      const retiredKey = signer(f.spareKeys, 1);
      const pharmacy = await registerInstitution(f, ParticipantKind.Pharmacy, retiredKey);
      await rotate(f, pharmacy, retiredKey, signer(f.spareKeys, 2));
      const commitment = mrn("MRN-0042");
      for (const caller of [
        f.patientKey,
        signer(f.guardianKeys, 0),
        f.cardiologistKey,
        deviceKey,
        signer(f.spareKeys, 3),
        retiredKey,
        f.registrar,
      ]) {
        await expect(identifierRegistry.connect(caller).attest(patientId, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotAnInstitution")
          .withArgs(caller.address);
      }
      // The caller is checked first: a non-institution learns nothing about the subject or the commitment.
      await expect(identifierRegistry.connect(f.patientKey).attest(f.hospitalId, ZeroHash))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotAnInstitution")
        .withArgs(f.patientKey.address);
    });

    it("reverts with IdentifierNotAnInstitution for a suspended, revoked or expired institution", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, identityRegistry, registrar, patientId } = f;
      const [suspendedKey, revokedKey, expiringKey] = [
        signer(f.spareKeys, 0),
        signer(f.spareKeys, 1),
        signer(f.spareKeys, 2),
      ];
      const suspended = await registerInstitution(f, ParticipantKind.Organization, suspendedKey);
      const revoked = await registerInstitution(f, ParticipantKind.Payer, revokedKey);
      await registerInstitution(f, ParticipantKind.Pharmacy, expiringKey, (await latest()) + 50n);
      await (await identityRegistry.connect(registrar).suspend(suspended, REASON)).wait();
      await (await identityRegistry.connect(registrar).revoke(revoked, REASON)).wait();
      await time.increase(50);
      const commitment = mrn("MRN-0042");
      for (const caller of [suspendedKey, revokedKey, expiringKey]) {
        await expect(identifierRegistry.connect(caller).attest(patientId, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotAnInstitution")
          .withArgs(caller.address);
      }
    });

    it("reverts with IdentifierNotAPatient when the subject is not a registered patient", async function () {
      const { identifierRegistry, identityRegistry, hospitalKey, hospitalId, cardiologistId } =
        await loadFixture(identityFixture);
      const commitment = mrn("MRN-0042");
      const unknown = (await identityRegistry.lastId()) + 1n;
      for (const subject of [hospitalId, cardiologistId, unknown, 0n]) {
        await expect(identifierRegistry.connect(hospitalKey).attest(subject, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotAPatient")
          .withArgs(subject);
      }
    });

    it("reverts with IdentifierZeroCommitment for a zero commitment", async function () {
      const { identifierRegistry, hospitalKey, patientId } = await loadFixture(identityFixture);
      await expect(identifierRegistry.connect(hospitalKey).attest(patientId, ZeroHash)).to.be.revertedWithCustomError(
        identifierRegistry,
        "IdentifierZeroCommitment",
      );
    });

    it("reverts with IdentifierAlreadyBound once the patient accepted, until it is withdrawn", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId, guardianIds } = f;
      const commitment = await attest(f, "MRN-0042", true);
      for (const subject of [patientId, guardianIds[0]]) {
        await expect(identifierRegistry.connect(hospitalKey).attest(subject, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierAlreadyBound")
          .withArgs(hospitalId, commitment);
      }
      expect(await identifierRegistry.ownerOf(hospitalId, commitment)).to.equal(patientId);
      await (await identifierRegistry.connect(hospitalKey).withdraw(hospitalId, commitment)).wait();
      await expect(identifierRegistry.connect(hospitalKey).attest(guardianIds[0], commitment))
        .to.emit(identifierRegistry, "IdentifierAttested")
        .withArgs(hospitalId, guardianIds[0], commitment);
    });

    it("reverts with EnforcedPause while the registry is paused", async function () {
      const f = await loadFixture(identityFixture);
      await pause(f);
      await expect(
        f.identifierRegistry.connect(f.hospitalKey).attest(f.patientId, mrn("MRN-0042")),
      ).to.be.revertedWithCustomError(f.identifierRegistry, "EnforcedPause");
    });
  });

  describe("accept", function () {
    it("binds the issuer's identifier to the patient", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId, patientKey } = f;
      const commitment = await attest(f, "MRN-0042");
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.emit(identifierRegistry, "IdentifierBound")
        .withArgs(patientId, hospitalId, commitment);
      expect(await identifierRegistry.ownerOf(hospitalId, commitment)).to.equal(patientId);
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([patientId, true]);
    });

    it("binds several identifiers from several issuers to one patient", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId, patientKey } = f;
      const labKey = signer(f.spareKeys, 0);
      const lab = await registerInstitution(f, ParticipantKind.Organization, labKey);
      const first = await attest(f, "MRN-0042");
      const second = identifierCommitment("urn:oid:2.16.840.1.113883.19.6", "LAB-7").commitment;
      await (await identifierRegistry.connect(labKey).attest(patientId, second)).wait();
      await (await identifierRegistry.connect(patientKey).accept(patientId, hospitalId, first)).wait();
      await (await identifierRegistry.connect(patientKey).accept(patientId, lab, second)).wait();
      expect(await identifierRegistry.ownerOf(hospitalId, first)).to.equal(patientId);
      expect(await identifierRegistry.ownerOf(lab, second)).to.equal(patientId);
      expect(await identifierRegistry.ownerOf(lab, first)).to.equal(0n);
    });

    it("binds an attestation whose issuer has been suspended or revoked since", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, identityRegistry, registrar, hospitalId, patientId, patientKey } = f;
      const first = await attest(f, "MRN-0042");
      const second = await attest(f, "MRN-0043");
      await (await identityRegistry.connect(registrar).suspend(hospitalId, REASON)).wait();
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, first))
        .to.emit(identifierRegistry, "IdentifierBound")
        .withArgs(patientId, hospitalId, first);
      await (await identityRegistry.connect(registrar).revoke(hospitalId, REASON)).wait();
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, second))
        .to.emit(identifierRegistry, "IdentifierBound")
        .withArgs(patientId, hospitalId, second);
    });

    it("binds with the patient's new key after a rotation: the attestation names her id, not her key", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId, patientKey } = f;
      const commitment = await attest(f, "MRN-0042");
      const newKey = signer(f.spareKeys, 0);
      await rotate(f, patientId, patientKey, newKey);
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotPatientKey")
        .withArgs(patientId, patientKey.address);
      await expect(identifierRegistry.connect(newKey).accept(patientId, hospitalId, commitment))
        .to.emit(identifierRegistry, "IdentifierBound")
        .withArgs(patientId, hospitalId, commitment);
    });

    it("reverts with IdentifierNotPatientKey when the caller's key does not control the patient", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId } = f;
      const commitment = await attest(f, "MRN-0042");
      for (const caller of [signer(f.guardianKeys, 0), f.hospitalKey, f.cardiologistKey, signer(f.spareKeys, 0)]) {
        await expect(identifierRegistry.connect(caller).accept(patientId, hospitalId, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotPatientKey")
          .withArgs(patientId, caller.address);
      }
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([patientId, false]);
    });

    it("reverts with IdentifierNotPatientKey for a suspended or revoked patient, a non-patient or an unknown id", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, identityRegistry, registrar, hospitalId, patientId, patientKey, guardianIds } = f;
      const commitment = await attest(f, "MRN-0042");
      const cases: [bigint, HardhatEthersSigner][] = [
        [f.cardiologistId, f.cardiologistKey], // a practitioner naming his own id
        [(await identityRegistry.lastId()) + 1n, patientKey], // an id nobody has
      ];
      for (const [patient, caller] of cases) {
        await expect(identifierRegistry.connect(caller).accept(patient, hospitalId, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotPatientKey")
          .withArgs(patient, caller.address);
      }
      await (await identityRegistry.connect(registrar).suspend(patientId, REASON)).wait();
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotPatientKey")
        .withArgs(patientId, patientKey.address);
      const revokedKey = signer(f.guardianKeys, 0);
      const other = mrn("MRN-0043");
      await (await identifierRegistry.connect(f.hospitalKey).attest(guardianIds[0], other)).wait();
      await (await identityRegistry.connect(registrar).revoke(guardianIds[0], REASON)).wait();
      await expect(identifierRegistry.connect(revokedKey).accept(guardianIds[0], hospitalId, other))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotPatientKey")
        .withArgs(guardianIds[0], revokedKey.address);
    });

    it("reverts with IdentifierNoAttestation without a matching, unbound attestation", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId, patientKey, guardianIds, guardianKeys } = f;
      const commitment = await attest(f, "MRN-0042");
      const withdrawn = await attest(f, "MRN-0043");
      await (await identifierRegistry.connect(hospitalKey).withdraw(hospitalId, withdrawn)).wait();
      const cases: [HardhatEthersSigner, bigint, bigint, string][] = [
        [patientKey, patientId, hospitalId, mrn("MRN-9999")], // nothing attested
        [patientKey, patientId, f.cardiologistId, commitment], // another issuer's namespace
        [patientKey, patientId, hospitalId, ZeroHash], // the zero commitment
        [patientKey, patientId, hospitalId, withdrawn], // withdrawn by the issuer
        [guardianKeys[0], guardianIds[0], hospitalId, commitment], // attested for someone else
      ];
      for (const [caller, patient, issuer, c] of cases) {
        await expect(identifierRegistry.connect(caller).accept(patient, issuer, c))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNoAttestation")
          .withArgs(issuer, c, patient);
      }
      await (await identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment)).wait();
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNoAttestation")
        .withArgs(hospitalId, commitment, patientId);
    });

    it("reverts with EnforcedPause while the registry is paused", async function () {
      const f = await loadFixture(identityFixture);
      const commitment = await attest(f, "MRN-0042");
      await pause(f);
      await expect(
        f.identifierRegistry.connect(f.patientKey).accept(f.patientId, f.hospitalId, commitment),
      ).to.be.revertedWithCustomError(f.identifierRegistry, "EnforcedPause");
      expect(await f.identifierRegistry.ownerOf(f.hospitalId, commitment)).to.equal(0n);
    });
  });

  describe("withdraw", function () {
    it("lets the issuer withdraw an attestation not yet accepted", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId, patientKey } = f;
      const commitment = await attest(f, "MRN-0042");
      await expect(identifierRegistry.connect(hospitalKey).withdraw(hospitalId, commitment))
        .to.emit(identifierRegistry, "IdentifierWithdrawn")
        .withArgs(hospitalId, commitment, patientId);
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([0n, false]);
      await expect(identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment))
        .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNoAttestation")
        .withArgs(hospitalId, commitment, patientId);
    });

    it("lets the issuer withdraw a bound identifier, e.g. one that named the wrong patient", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId } = f;
      const commitment = await attest(f, "MRN-0042", true);
      await expect(identifierRegistry.connect(hospitalKey).withdraw(hospitalId, commitment))
        .to.emit(identifierRegistry, "IdentifierWithdrawn")
        .withArgs(hospitalId, commitment, patientId);
      expect(await identifierRegistry.ownerOf(hospitalId, commitment)).to.equal(0n);
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([0n, false]);
    });

    it("lets the patient withdraw an attestation naming her, bound or not", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId, patientKey } = f;
      const bound = await attest(f, "MRN-0042", true);
      const pending = await attest(f, "MRN-0043");
      for (const commitment of [bound, pending]) {
        await expect(identifierRegistry.connect(patientKey).withdraw(hospitalId, commitment))
          .to.emit(identifierRegistry, "IdentifierWithdrawn")
          .withArgs(hospitalId, commitment, patientId);
        expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([0n, false]);
      }
    });

    it("lets a suspended or revoked issuer and a suspended or revoked patient withdraw", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, identityRegistry, registrar, hospitalId, hospitalKey, patientId, patientKey } = f;
      const commitments = [
        await attest(f, "MRN-0042", true),
        await attest(f, "MRN-0043", true),
        await attest(f, "MRN-0044", true),
        await attest(f, "MRN-0045", true),
      ] as const;
      await (await identityRegistry.connect(registrar).suspend(hospitalId, REASON)).wait();
      await (await identityRegistry.connect(registrar).suspend(patientId, REASON)).wait();
      const withdraw = async (caller: HardhatEthersSigner, commitment: string) =>
        expect(identifierRegistry.connect(caller).withdraw(hospitalId, commitment))
          .to.emit(identifierRegistry, "IdentifierWithdrawn")
          .withArgs(hospitalId, commitment, patientId);
      await withdraw(hospitalKey, commitments[0]);
      await withdraw(patientKey, commitments[1]);
      await (await identityRegistry.connect(registrar).revoke(hospitalId, REASON)).wait();
      await (await identityRegistry.connect(registrar).revoke(patientId, REASON)).wait();
      await withdraw(hospitalKey, commitments[2]);
      await withdraw(patientKey, commitments[3]);
    });

    it("lets the parties' new keys withdraw after a rotation, and not their retired keys", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId, patientKey } = f;
      const [first, second] = [await attest(f, "MRN-0042", true), await attest(f, "MRN-0043", true)];
      const [hospitalNewKey, patientNewKey] = [signer(f.spareKeys, 0), signer(f.spareKeys, 1)];
      await rotate(f, hospitalId, hospitalKey, hospitalNewKey);
      await rotate(f, patientId, patientKey, patientNewKey);
      for (const retired of [hospitalKey, patientKey]) {
        await expect(identifierRegistry.connect(retired).withdraw(hospitalId, first))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotParty")
          .withArgs(hospitalId, first, retired.address);
      }
      await expect(identifierRegistry.connect(hospitalNewKey).withdraw(hospitalId, first))
        .to.emit(identifierRegistry, "IdentifierWithdrawn")
        .withArgs(hospitalId, first, patientId);
      await expect(identifierRegistry.connect(patientNewKey).withdraw(hospitalId, second))
        .to.emit(identifierRegistry, "IdentifierWithdrawn")
        .withArgs(hospitalId, second, patientId);
    });

    it("lets the patient and the issuer withdraw while the registry is paused", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId, patientKey } = f;
      const [first, second] = [await attest(f, "MRN-0042", true), await attest(f, "MRN-0043")];
      await pause(f);
      await expect(identifierRegistry.connect(patientKey).withdraw(hospitalId, first))
        .to.emit(identifierRegistry, "IdentifierWithdrawn")
        .withArgs(hospitalId, first, patientId);
      await expect(identifierRegistry.connect(hospitalKey).withdraw(hospitalId, second))
        .to.emit(identifierRegistry, "IdentifierWithdrawn")
        .withArgs(hospitalId, second, patientId);
      expect(await identifierRegistry.ownerOf(hospitalId, first)).to.equal(0n);
    });

    it("reverts with IdentifierNotParty for anyone but the issuer and the patient named", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId } = f;
      const commitment = await attest(f, "MRN-0042", true);
      const otherInstitutionKey = signer(f.spareKeys, 0);
      await registerInstitution(f, ParticipantKind.Organization, otherInstitutionKey);
      // The hospital's own practitioner does not act for it here: only the issuer's key does.
      for (const caller of [
        signer(f.guardianKeys, 0),
        f.cardiologistKey,
        otherInstitutionKey,
        signer(f.spareKeys, 1),
        f.registrar,
      ]) {
        await expect(identifierRegistry.connect(caller).withdraw(hospitalId, commitment))
          .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotParty")
          .withArgs(hospitalId, commitment, caller.address);
      }
      expect(await identifierRegistry.ownerOf(hospitalId, commitment)).to.equal(patientId);
    });

    it("reverts with IdentifierNotParty when nothing is attested, even for the issuer, and after a withdrawal", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientKey } = f;
      const never = mrn("MRN-0042");
      const withdrawn = await attest(f, "MRN-0043");
      await (await identifierRegistry.connect(hospitalKey).withdraw(hospitalId, withdrawn)).wait();
      for (const commitment of [never, withdrawn, ZeroHash]) {
        for (const caller of [hospitalKey, patientKey]) {
          await expect(identifierRegistry.connect(caller).withdraw(hospitalId, commitment))
            .to.be.revertedWithCustomError(identifierRegistry, "IdentifierNotParty")
            .withArgs(hospitalId, commitment, caller.address);
        }
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Pausing
  // -------------------------------------------------------------------------------------------------------------------

  describe("pause", function () {
    it("lets the pauser pause the registry", async function () {
      const { identifierRegistry, pauser } = await loadFixture(identityFixture);
      await expect(identifierRegistry.connect(pauser).pause())
        .to.emit(identifierRegistry, "Paused")
        .withArgs(pauser.address);
      expect(await identifierRegistry.paused()).to.equal(true);
    });

    it("reverts with AccessManagedUnauthorized for anyone but the pauser", async function () {
      const { identifierRegistry, admin, registrar, auditor, hospitalKey } = await loadFixture(identityFixture);
      for (const caller of [admin, registrar, auditor, hospitalKey]) {
        await expect(identifierRegistry.connect(caller).pause())
          .to.be.revertedWithCustomError(identifierRegistry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect(await identifierRegistry.paused()).to.equal(false);
    });

    it("reverts with EnforcedPause when already paused", async function () {
      const f = await loadFixture(identityFixture);
      await pause(f);
      await expect(f.identifierRegistry.connect(f.pauser).pause()).to.be.revertedWithCustomError(
        f.identifierRegistry,
        "EnforcedPause",
      );
    });

    describe("while paused", function () {
      type Call = () => Promise<ContractTransactionResponse>;

      /** Every write that links an identifier, prepared so that it would succeed unpaused. */
      const STOPPED: Record<string, (f: IdentityFixture) => Promise<Call>> = {
        attest: (f) =>
          Promise.resolve(() => f.identifierRegistry.connect(f.hospitalKey).attest(f.patientId, mrn("MRN-1"))),
        accept: async (f) => {
          const commitment = await attest(f, "MRN-1");
          return () => f.identifierRegistry.connect(f.patientKey).accept(f.patientId, f.hospitalId, commitment);
        },
      };

      /** Every write that only unlinks, prepared before the pause. */
      const WORKS: Record<string, (f: IdentityFixture) => Promise<{ call: Call; args: readonly unknown[] }>> = {
        withdraw: async (f) => {
          const commitment = await attest(f, "MRN-1", true);
          return {
            call: () => f.identifierRegistry.connect(f.patientKey).withdraw(f.hospitalId, commitment),
            args: [f.hospitalId, commitment, f.patientId],
          };
        },
      };

      it("sorts every external write of the registry into one of the two lists", async function () {
        const { identifierRegistry } = await loadFixture(identityFixture);
        const writes: string[] = [];
        identifierRegistry.interface.forEachFunction((fn) => {
          if (!fn.constant) writes.push(fn.name);
        });
        // pause and unpause have their own tests; setAuthority answers only to the AccessManager.
        const covered = [...Object.keys(STOPPED), ...Object.keys(WORKS), "pause", "unpause", "setAuthority"];
        expect(writes.sort()).to.deep.equal(covered.sort());
      });

      for (const [name, prepare] of Object.entries(STOPPED)) {
        it(`reverts ${name} with EnforcedPause`, async function () {
          const f = await loadFixture(identityFixture);
          const call = await prepare(f);
          await pause(f);
          await expect(call()).to.be.revertedWithCustomError(f.identifierRegistry, "EnforcedPause");
        });
      }

      for (const [name, prepare] of Object.entries(WORKS)) {
        it(`lets ${name} work`, async function () {
          const f = await loadFixture(identityFixture);
          const { call, args } = await prepare(f);
          await pause(f);
          await expect(call())
            .to.emit(f.identifierRegistry, "IdentifierWithdrawn")
            .withArgs(...args);
        });
      }

      it("keeps every view answering", async function () {
        const f = await loadFixture(identityFixture);
        const bound = await attest(f, "MRN-0042", true);
        const pending = await attest(f, "MRN-0043");
        await pause(f);
        expect(await f.identifierRegistry.ownerOf(f.hospitalId, bound)).to.equal(f.patientId);
        expect(await f.identifierRegistry.attestation(f.hospitalId, bound)).to.deep.equal([f.patientId, true]);
        expect(await f.identifierRegistry.attestation(f.hospitalId, pending)).to.deep.equal([f.patientId, false]);
        expect(await f.identifierRegistry.identityRegistry()).to.equal(await f.identityRegistry.getAddress());
        expect(await f.identifierRegistry.version()).to.equal("1.0.0");
      });
    });

    it("pauses on its own: the identity registry's pause does not stop it, nor does its pause stop identities", async function () {
      const f = await loadFixture(identityFixture);
      await (await f.identityRegistry.connect(f.pauser).pause()).wait();
      const commitment = await attest(f, "MRN-0042", true);
      expect(await f.identifierRegistry.ownerOf(f.hospitalId, commitment)).to.equal(f.patientId);
      await scheduleAndExecute(
        f.accessManager,
        f.admin,
        await f.identityRegistry.getAddress(),
        f.identityRegistry.interface.encodeFunctionData("unpause"),
      );
      await pause(f);
      await expect(f.identityRegistry.connect(signer(f.spareKeys, 0)).registerPatient()).to.emit(
        f.identityRegistry,
        "ParticipantRegistered",
      );
    });
  });

  describe("unpause", function () {
    it("lets the admin unpause through the scheduled delay, after which identifiers link again", async function () {
      const f = await loadFixture(identityFixture);
      await pause(f);
      const target = await f.identifierRegistry.getAddress();
      const data = f.identifierRegistry.interface.encodeFunctionData("unpause");
      await (await f.accessManager.connect(f.admin).schedule(target, data, 0)).wait();
      await time.increase(f.parameters.adminExecutionDelay);
      await expect(f.accessManager.connect(f.admin).execute(target, data))
        .to.emit(f.identifierRegistry, "Unpaused")
        .withArgs(await f.accessManager.getAddress());
      expect(await f.identifierRegistry.paused()).to.equal(false);
      const commitment = mrn("MRN-0042");
      await expect(f.identifierRegistry.connect(f.hospitalKey).attest(f.patientId, commitment))
        .to.emit(f.identifierRegistry, "IdentifierAttested")
        .withArgs(f.hospitalId, f.patientId, commitment);
    });

    it("reverts with AccessManagedUnauthorized for anyone but the admin", async function () {
      const f = await loadFixture(identityFixture);
      await pause(f);
      for (const caller of [f.pauser, f.registrar, f.hospitalKey]) {
        await expect(f.identifierRegistry.connect(caller).unpause())
          .to.be.revertedWithCustomError(f.identifierRegistry, "AccessManagedUnauthorized")
          .withArgs(caller.address);
      }
      expect(await f.identifierRegistry.paused()).to.equal(true);
    });
  });

  // -------------------------------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------------------------------

  describe("ownerOf", function () {
    it("is NONE unless the issuer's commitment is attested and accepted, and NONE again once withdrawn", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, hospitalKey, patientId } = f;
      expect(await identifierRegistry.ownerOf(hospitalId, mrn("MRN-unbound"))).to.equal(0n);
      expect(await identifierRegistry.ownerOf(hospitalId, ZeroHash)).to.equal(0n);
      const pending = await attest(f, "MRN-0042");
      expect(await identifierRegistry.ownerOf(hospitalId, pending), "attested only").to.equal(0n);
      const bound = await attest(f, "MRN-0043", true);
      expect(await identifierRegistry.ownerOf(hospitalId, bound)).to.equal(patientId);
      expect(await identifierRegistry.ownerOf(f.cardiologistId, bound), "another namespace").to.equal(0n);
      expect(await identifierRegistry.ownerOf(0n, bound)).to.equal(0n);
      await (await identifierRegistry.connect(hospitalKey).withdraw(hospitalId, bound)).wait();
      expect(await identifierRegistry.ownerOf(hospitalId, bound), "withdrawn").to.equal(0n);
    });

    it("keeps naming the patient through her change of key and the issuer's suspension", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, identityRegistry, registrar, hospitalId, patientId, patientKey } = f;
      const commitment = await attest(f, "MRN-0042", true);
      await rotate(f, patientId, patientKey, signer(f.spareKeys, 0));
      await (await identityRegistry.connect(registrar).suspend(hospitalId, REASON)).wait();
      await time.increase(DAY);
      expect(await identifierRegistry.ownerOf(hospitalId, commitment)).to.equal(patientId);
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([patientId, true]);
    });
  });

  describe("attestation", function () {
    it("is (NONE, false) for a commitment the issuer never attested, then (patient, accepted)", async function () {
      const f = await loadFixture(identityFixture);
      const { identifierRegistry, hospitalId, patientId, patientKey } = f;
      expect(await identifierRegistry.attestation(hospitalId, mrn("MRN-1"))).to.deep.equal([0n, false]);
      const commitment = await attest(f, "MRN-0042");
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([patientId, false]);
      await (await identifierRegistry.connect(patientKey).accept(patientId, hospitalId, commitment)).wait();
      expect(await identifierRegistry.attestation(hospitalId, commitment)).to.deep.equal([patientId, true]);
    });
  });

  describe("identityRegistry", function () {
    it("names the registry the identifier registry was deployed with", async function () {
      const { identifierRegistry, deployment } = await loadFixture(identityFixture);
      expect(await identifierRegistry.identityRegistry()).to.equal(deployment.identityRegistry);
    });
  });
});
