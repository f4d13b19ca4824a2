import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { type ContractTransactionReceipt, type HDNodeWallet, type Signer, Wallet, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import {
  ALL_CATEGORIES,
  categorySet,
  commit,
  DataCategory,
  DEFINED_CATEGORIES,
  OversightReason,
  ParticipantKind,
  SiteStatus,
  TrialStatus,
} from "../../sdk";
import type { AmendmentProposalStruct } from "../../typechain-types/contracts/trials/ITrialProtocol";
import type { OutcomeStruct, TrialRegistrationStruct } from "../../typechain-types/contracts/trials/ITrialRegistry";
import { DAY, YEAR } from "../fixtures/identity";
import {
  doc,
  PER_STRATUM,
  PRIMARY,
  registration,
  SECONDARY_1,
  SECONDARY_2,
  STRATA,
  TRIAL_CATEGORIES,
  type TrialsFixture,
  trialsFixture,
} from "../fixtures/trials";

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

/** `TrialRegistry.REGISTRATION_WINDOW`: registration is due within 21 days of the first enrollment. */
const REGISTRATION_WINDOW = 21 * DAY;
/** `TrialProtocol.MAX_OUTCOMES`. */
const MAX_OUTCOMES = 64;
/** An id no participant has. */
const UNKNOWN_ID = 9_999n;
/** A trial id no trial has (the fixture registered trial 1). */
const UNKNOWN_TRIAL = 99n;
/** An off-chain status-change reason code the registrar gives when suspending a participant. */
const SUSPENSION_REASON = 17;
const DATASET_ROOT = doc("dataset:final");

/** `TrialRegistry.MAX_COMPLETION_HORIZON`: a planned primary completion date lies at most 20 years ahead. */
const MAX_COMPLETION_HORIZON = 20 * 365 * DAY;

/** The id the next registration gets: trial 2 (the fixture registered trial 1). */
const NEXT_TRIAL = 2n;

/** Pins the timestamp of the next mined block to a second after the latest and returns it. */
async function nextTimestamp(): Promise<number> {
  const next = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(next);
  return next;
}

/** A funded key bound to nothing. */
async function freshKey(f: TrialsFixture): Promise<HDNodeWallet> {
  const key = Wallet.createRandom().connect(ethers.provider);
  await (await f.deployer.sendTransaction({ to: key.address, value: ethers.parseEther("10") })).wait();
  return key;
}

/** The registrar registers a participant of `kind` on a fresh key; a device is offered to and accepted by the hospital. */
async function registerParticipant(
  f: TrialsFixture,
  kind: ParticipantKind,
  label: string,
): Promise<{ id: bigint; key: HDNodeWallet }> {
  const key = await freshKey(f);
  const affiliated = kind === ParticipantKind.Device || kind === ParticipantKind.Practitioner;
  const { id } = await f.identity.as(f.registrar).registerWithKey(
    key,
    {
      kind,
      credentialCommitment: commit(`credential:${label}`).commitment,
      credentialExpiry: f.credentialExpiry,
      affiliation: affiliated ? f.hospitalId : 0n,
    },
    affiliated ? f.hospitalKey : undefined,
  );
  return { id, key };
}

/** The registrar registers a practitioner on a fresh key, affiliated with `organization` (whose key accepts her). */
async function practitionerOf(
  f: TrialsFixture,
  organization: bigint,
  organizationKey: Signer,
  label: string,
): Promise<bigint> {
  const key = await freshKey(f);
  const { id } = await f.identity.as(f.registrar).registerWithKey(
    key,
    {
      kind: ParticipantKind.Practitioner,
      credentialCommitment: commit(`credential:${label}`).commitment,
      credentialExpiry: f.credentialExpiry,
      affiliation: organization,
    },
    organizationKey,
  );
  return id;
}

/** The fixture's registration shape at the latest block's time, with `overrides`. */
async function shape(f: TrialsFixture, overrides: Partial<TrialRegistrationStruct> = {}) {
  return registration(f.parties, await time.latest(), overrides);
}

/** `outcomes` of the trial as plain values. */
async function outcomesOf(f: TrialsFixture, trialId: bigint) {
  const [commitments, current, currentPrimary, preSpecified, preSpecifiedPrimary] =
    await f.trialProtocol.outcomes(trialId);
  return { commitments: [...commitments], current, currentPrimary, preSpecified, preSpecifiedPrimary };
}

/** The `OutcomeSpecified` events the protocol contract emitted in `receipt`, in order, as plain tuples. */
function outcomesSpecified(f: TrialsFixture, receipt: ContractTransactionReceipt | null) {
  if (receipt === null) throw new Error("no receipt");
  const protocol = f.trialProtocol.interface;
  return receipt.logs
    .map((log) => protocol.parseLog(log))
    .filter((parsed) => parsed?.name === "OutcomeSpecified")
    .map((parsed) => {
      const [trialId, amendmentId, outcome, primary] = parsed!.args as unknown as [bigint, bigint, string, boolean];
      return [trialId, amendmentId, outcome, primary];
    });
}

/** `count` distinct outcome commitments, the first primary. */
function manyOutcomes(count: number): OutcomeStruct[] {
  return Array.from({ length: count }, (_, i) => ({ commitment: doc(`outcome:${i}`), primary: i === 0 }));
}

/** The sponsor proposes site 3 of the fixture trial: the hospital with the internist (site 1 is the cardiologist's). */
async function proposeThirdSite(f: TrialsFixture): Promise<number> {
  await (await f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId)).wait();
  return 3;
}

async function siteStatus(f: TrialsFixture, site: number): Promise<bigint> {
  return (await f.trialRegistry.site(f.trialId, site)).status;
}

async function lockTrial(f: TrialsFixture): Promise<bigint> {
  await (await f.trialRegistry.connect(f.sponsorKey).lock(f.trialId, DATASET_ROOT)).wait();
  return (await f.trialRegistry.trial(f.trialId)).lockedAt;
}

async function pause(f: TrialsFixture): Promise<void> {
  await (await f.trialRegistry.connect(f.pauser).pause()).wait();
}

/** An amendment proposal changing only the protocol. */
function amendmentOf(protocol: string): AmendmentProposalStruct {
  return {
    protocol,
    analysisPlan: ZeroHash,
    consentForm: ZeroHash,
    majorConsentChange: false,
    primaryCompletion: 0,
    outcomes: [],
  };
}

/** A second research sponsor with its own registered trial (id 2), a site and an allocation. */
async function rivalSponsor(f: TrialsFixture) {
  const rival = await registerParticipant(f, ParticipantKind.ResearchSponsor, "rival-sponsor");
  const registry = f.trialRegistry.connect(rival.key);
  await (await registry.registerTrial(await shape(f))).wait();
  const rivalTrial = await f.trialRegistry.trialCount();
  await (await registry.proposeSite(rivalTrial, f.clinicId, f.clinicDoctorId)).wait();
  await (await registry.commitAllocation(rivalTrial, doc("rival-allocation"), 1, 8)).wait();
  return { rival, rivalTrial };
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------------

describe("TrialRegistry", () => {
  describe("registerTrial", () => {
    it("registers a trial with its parties, commitments, outcomes and completion date when a sponsor asks", async () => {
      const f = await loadFixture(trialsFixture);
      const { trialRegistry, trialProtocol, sponsorKey, sponsorId, parties } = f;
      const reg = await shape(f, {
        protocol: doc("protocol:B:v1"),
        analysisPlan: doc("sap:B:v1"),
        consentForm: doc("consent-form:B:v1"),
        categories: categorySet(DataCategory.VitalSigns),
      });
      const fixtureForm = (await trialRegistry.trial(f.trialId)).consentForm;
      expect(await trialRegistry.connect(sponsorKey).registerTrial.staticCall(reg)).to.equal(NEXT_TRIAL);
      const at = await nextTimestamp();
      const tx = trialRegistry.connect(sponsorKey).registerTrial(reg);
      await expect(tx)
        .to.emit(trialRegistry, "TrialRegistered")
        .withArgs(
          NEXT_TRIAL,
          sponsorId,
          parties.ethicsCommittee,
          parties.regulator,
          parties.randomizer,
          reg.protocol,
          reg.analysisPlan,
          reg.consentForm,
          reg.categories,
          reg.primaryCompletion,
          0,
          false,
        );
      await expect(tx).to.emit(trialProtocol, "PrimaryCompletionSet").withArgs(NEXT_TRIAL, 0, reg.primaryCompletion);
      expect(outcomesSpecified(f, await (await tx).wait())).to.deep.equal([
        [NEXT_TRIAL, 0n, PRIMARY, true],
        [NEXT_TRIAL, 0n, SECONDARY_1, false],
        [NEXT_TRIAL, 0n, SECONDARY_2, false],
      ]);

      const t = await trialRegistry.trial(NEXT_TRIAL);
      expect({
        sponsor: t.sponsor,
        ethicsCommittee: t.ethicsCommittee,
        regulator: t.regulator,
        randomizer: t.randomizer,
        status: t.status,
        consentVersion: t.consentVersion,
        majorConsentVersion: t.majorConsentVersion,
        categories: t.categories,
        enrolled: t.enrolled,
        sites: t.sites,
        strata: t.strata,
        perStratum: t.perStratum,
        registeredAt: t.registeredAt,
        firstEnrolledAt: t.firstEnrolledAt,
        lockedAt: t.lockedAt,
        unblindedAt: t.unblindedAt,
        consentForm: t.consentForm,
        allocationRoot: t.allocationRoot,
        datasetRoot: t.datasetRoot,
      }).to.deep.equal({
        sponsor: sponsorId,
        ethicsCommittee: parties.ethicsCommittee,
        regulator: parties.regulator,
        randomizer: parties.randomizer,
        status: BigInt(TrialStatus.Active),
        consentVersion: 1n,
        majorConsentVersion: 1n,
        categories: BigInt(categorySet(DataCategory.VitalSigns)),
        enrolled: 0n,
        sites: 0n,
        strata: 0n,
        perStratum: 0n,
        registeredAt: BigInt(at),
        firstEnrolledAt: 0n,
        lockedAt: 0n,
        unblindedAt: 0n,
        consentForm: reg.consentForm,
        allocationRoot: ZeroHash,
        datasetRoot: ZeroHash,
      });
      const state = await trialRegistry.trialState(NEXT_TRIAL);
      expect([...state]).to.deep.equal([
        sponsorId,
        parties.ethicsCommittee,
        parties.regulator,
        BigInt(TrialStatus.Active),
        1n,
        false,
        false,
        ZeroHash,
      ]);
      expect(await trialRegistry.trialCount()).to.equal(NEXT_TRIAL);
      expect(await trialRegistry.isRegistrationLate(NEXT_TRIAL)).to.be.false;
      expect([...(await trialRegistry.allocationAudit(NEXT_TRIAL))]).to.deep.equal([0n, 0n, 0n]);
      expect([...(await trialProtocol.protocolOf(NEXT_TRIAL))]).to.deep.equal([reg.protocol, reg.analysisPlan, 0n, 0n]);
      expect(await outcomesOf(f, NEXT_TRIAL)).to.deep.equal({
        commitments: [PRIMARY, SECONDARY_1, SECONDARY_2],
        current: 0b111n,
        currentPrimary: 0b001n,
        preSpecified: 0b111n,
        preSpecifiedPrimary: 0b001n,
      });
      expect((await trialProtocol.resultsDeadline(NEXT_TRIAL)).primaryCompletion).to.equal(reg.primaryCompletion);
      // The fixture's trial is untouched.
      expect((await trialRegistry.trial(f.trialId)).consentForm).to.equal(fixtureForm);
    });

    it("numbers trials sequentially and keeps each trial's outcomes apart", async () => {
      const f = await loadFixture(trialsFixture);
      const registry = f.trialRegistry.connect(f.sponsorKey);
      const outcome = doc("outcome:C:primary");
      const only = [{ commitment: outcome, primary: true }];
      await (await registry.registerTrial(await shape(f))).wait();
      await (await registry.registerTrial(await shape(f, { outcomes: only }))).wait();
      expect(await f.trialRegistry.trialCount()).to.equal(3n);
      expect((await outcomesOf(f, 2n)).commitments).to.deep.equal([PRIMARY, SECONDARY_1, SECONDARY_2]);
      expect(await outcomesOf(f, 3n)).to.deep.equal({
        commitments: [outcome],
        current: 1n,
        currentPrimary: 1n,
        preSpecified: 1n,
        preSpecifiedPrimary: 1n,
      });
    });

    it("flags the registration late for good when the first enrollment was declared 22 days before", async () => {
      const f = await loadFixture(trialsFixture);
      const now = (await time.latest()) + 1;
      const firstEnrolledAt = now - 22 * DAY;
      const reg = registration(f.parties, now, { firstEnrolledAt });
      await time.setNextBlockTimestamp(now);
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(reg))
        .to.emit(f.trialRegistry, "TrialRegistered")
        .withArgs(
          NEXT_TRIAL,
          f.sponsorId,
          f.ethicsCommitteeId,
          f.regulatorId,
          f.randomizerId,
          reg.protocol,
          reg.analysisPlan,
          reg.consentForm,
          TRIAL_CATEGORIES,
          reg.primaryCompletion,
          firstEnrolledAt,
          true,
        );
      expect(await f.trialRegistry.isRegistrationLate(NEXT_TRIAL)).to.be.true;
      const t = await f.trialRegistry.trial(NEXT_TRIAL);
      expect([t.firstEnrolledAt, t.registeredAt]).to.deep.equal([BigInt(firstEnrolledAt), BigInt(now)]);
      await time.increase(YEAR / 2);
      expect(await f.trialRegistry.isRegistrationLate(NEXT_TRIAL)).to.be.true;
    });

    it("does not flag the registration when the first enrollment was declared exactly 21 days before", async () => {
      const f = await loadFixture(trialsFixture);
      const now = (await time.latest()) + 1;
      const firstEnrolledAt = now - REGISTRATION_WINDOW;
      const reg = registration(f.parties, now, { firstEnrolledAt });
      await time.setNextBlockTimestamp(now);
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(reg))
        .to.emit(f.trialRegistry, "TrialRegistered")
        .withArgs(
          NEXT_TRIAL,
          f.sponsorId,
          f.ethicsCommitteeId,
          f.regulatorId,
          f.randomizerId,
          reg.protocol,
          reg.analysisPlan,
          reg.consentForm,
          TRIAL_CATEGORIES,
          reg.primaryCompletion,
          firstEnrolledAt,
          false,
        );
      expect(await f.trialRegistry.isRegistrationLate(NEXT_TRIAL)).to.be.false;
      expect((await f.trialRegistry.trial(NEXT_TRIAL)).firstEnrolledAt).to.equal(BigInt(firstEnrolledAt));
    });

    it("flags the registration late when the first enrollment was declared 21 days and one second before", async () => {
      const f = await loadFixture(trialsFixture);
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      const reg = registration(f.parties, now, { firstEnrolledAt: now - REGISTRATION_WINDOW - 1 });
      await (await f.trialRegistry.connect(f.sponsorKey).registerTrial(reg)).wait();
      expect(await f.trialRegistry.isRegistrationLate(NEXT_TRIAL)).to.be.true;
    });

    it("accepts a first enrollment declared at the very time of registration", async () => {
      const f = await loadFixture(trialsFixture);
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      const reg = registration(f.parties, now, { firstEnrolledAt: now });
      await (await f.trialRegistry.connect(f.sponsorKey).registerTrial(reg)).wait();
      expect((await f.trialRegistry.trial(NEXT_TRIAL)).firstEnrolledAt).to.equal(BigInt(now));
      expect(await f.trialRegistry.isRegistrationLate(NEXT_TRIAL)).to.be.false;
    });

    it("accepts a device as randomization service", async () => {
      const f = await loadFixture(trialsFixture);
      const device = await registerParticipant(f, ParticipantKind.Device, "irt-device");
      const reg = await shape(f, { randomizer: device.id });
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(reg)).to.emit(
        f.trialRegistry,
        "TrialRegistered",
      );
      expect((await f.trialRegistry.trial(NEXT_TRIAL)).randomizer).to.equal(device.id);
    });

    it("accepts exactly MAX_OUTCOMES outcomes", async () => {
      const f = await loadFixture(trialsFixture);
      const reg = await shape(f, { outcomes: manyOutcomes(MAX_OUTCOMES) });
      await (await f.trialRegistry.connect(f.sponsorKey).registerTrial(reg)).wait();
      const outcomes = await outcomesOf(f, NEXT_TRIAL);
      expect(outcomes.commitments).to.have.length(MAX_OUTCOMES);
      expect([outcomes.current, outcomes.currentPrimary]).to.deep.equal([2n ** 64n - 1n, 1n]);
    });

    it("reverts with TrialNotResearchSponsor when the caller is not an active research sponsor", async () => {
      const f = await loadFixture(trialsFixture);
      const reg = await shape(f);
      for (const key of [f.strangerKey, f.patientKey, f.payerKey, f.ethicsCommitteeKey, f.cardiologistKey]) {
        await expect(f.trialRegistry.connect(key).registerTrial(reg))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotResearchSponsor")
          .withArgs(key.address);
      }
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
    });

    it("reverts with TrialNotResearchSponsor when the sponsor is suspended", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.sponsorId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotResearchSponsor")
        .withArgs(f.sponsorKey.address);
    });

    it("reverts with TrialZeroCommitment when the protocol, analysis plan or consent form is zero", async () => {
      const f = await loadFixture(trialsFixture);
      for (const zero of [{ protocol: ZeroHash }, { analysisPlan: ZeroHash }, { consentForm: ZeroHash }]) {
        await expect(
          f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, zero)),
        ).to.be.revertedWithCustomError(f.trialRegistry, "TrialZeroCommitment");
      }
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
    });

    it("reverts with TrialInvalidCategories when the categories are empty, undefined or the wildcard", async () => {
      const f = await loadFixture(trialsFixture);
      const undefinedBit = 1 << 16;
      for (const categories of [0, undefinedBit, TRIAL_CATEGORIES | undefinedBit, (1 << 31) >>> 0, ALL_CATEGORIES]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { categories })))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidCategories")
          .withArgs(categories);
      }
    });

    it("accepts every defined category at once", async () => {
      const f = await loadFixture(trialsFixture);
      const reg = await shape(f, { categories: DEFINED_CATEGORIES });
      await (await f.trialRegistry.connect(f.sponsorKey).registerTrial(reg)).wait();
      expect((await f.trialRegistry.trial(NEXT_TRIAL)).categories).to.equal(BigInt(DEFINED_CATEGORIES));
    });

    it("reverts with TrialInvalidPrimaryCompletion when the primary completion is not after now", async () => {
      const f = await loadFixture(trialsFixture);
      for (const offset of [0, -1, -YEAR]) {
        const now = (await time.latest()) + 1;
        await time.setNextBlockTimestamp(now);
        await expect(
          f.trialRegistry
            .connect(f.sponsorKey)
            .registerTrial(registration(f.parties, now, { primaryCompletion: now + offset })),
        )
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidPrimaryCompletion")
          .withArgs(now + offset, now);
      }
    });

    it("reverts with TrialInvalidPrimaryCompletion when the primary completion lies more than 20 years ahead", async () => {
      const f = await loadFixture(trialsFixture);
      expect(await f.trialRegistry.MAX_COMPLETION_HORIZON()).to.equal(BigInt(MAX_COMPLETION_HORIZON));
      for (const beyond of [1, YEAR, 2 ** 47]) {
        const now = await nextTimestamp();
        const primaryCompletion = now + MAX_COMPLETION_HORIZON + beyond;
        await expect(
          f.trialRegistry.connect(f.sponsorKey).registerTrial(registration(f.parties, now, { primaryCompletion })),
        )
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidPrimaryCompletion")
          .withArgs(primaryCompletion, now);
      }
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
      // The horizon itself is accepted: results fall due a year after it, and the overdue scan reads the trial.
      const now = await nextTimestamp();
      const primaryCompletion = now + MAX_COMPLETION_HORIZON;
      const reg = registration(f.parties, now, { primaryCompletion });
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(reg))
        .to.emit(f.trialRegistry, "TrialRegistered")
        .withArgs(
          NEXT_TRIAL,
          f.sponsorId,
          f.ethicsCommitteeId,
          f.regulatorId,
          f.randomizerId,
          reg.protocol,
          reg.analysisPlan,
          reg.consentForm,
          TRIAL_CATEGORIES,
          primaryCompletion,
          0,
          false,
        );
      const d = await f.trialProtocol.resultsDeadline(NEXT_TRIAL);
      expect([d.primaryCompletion, d.due]).to.deep.equal([
        BigInt(primaryCompletion),
        BigInt(primaryCompletion + 365 * DAY),
      ]);
      expect(await f.trialProtocol.overdueTrials(1n, NEXT_TRIAL)).to.deep.equal([]);
    });

    it("reverts with TrialInvalidFirstEnrollment when the declared first enrollment lies in the future", async () => {
      const f = await loadFixture(trialsFixture);
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      await expect(
        f.trialRegistry.connect(f.sponsorKey).registerTrial(registration(f.parties, now, { firstEnrolledAt: now + 1 })),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidFirstEnrollment")
        .withArgs(now + 1, now);
    });

    it("reverts with TrialInvalidParty when the ethics committee is not an active organization", async () => {
      const f = await loadFixture(trialsFixture);
      const candidates = [f.regulatorId, f.patientId, f.cardiologistId, f.sponsorId, UNKNOWN_ID, 0n];
      for (const ethicsCommittee of candidates) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { ethicsCommittee })))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
          .withArgs(ethicsCommittee, ParticipantKind.Organization);
      }
      await f.identity.as(f.registrar).suspend(f.ethicsCommitteeId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
        .withArgs(f.ethicsCommitteeId, ParticipantKind.Organization);
    });

    it("reverts with TrialInvalidParty when the regulator is not an active regulator", async () => {
      const f = await loadFixture(trialsFixture);
      for (const regulator of [f.ethicsCommitteeId, f.patientId, f.sponsorId, UNKNOWN_ID, 0n]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { regulator })))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
          .withArgs(regulator, ParticipantKind.Regulator);
      }
      await f.identity.as(f.registrar).suspend(f.regulatorId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f)))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
        .withArgs(f.regulatorId, ParticipantKind.Regulator);
    });

    it("reverts with TrialInvalidParty when the randomizer is neither an active organization nor device", async () => {
      const f = await loadFixture(trialsFixture);
      for (const randomizer of [f.patientId, f.cardiologistId, f.regulatorId, f.sponsorId, UNKNOWN_ID, 0n]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { randomizer })))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
          .withArgs(randomizer, ParticipantKind.Organization);
      }
      const device = await registerParticipant(f, ParticipantKind.Device, "irt-device");
      await f.identity.as(f.registrar).suspend(device.id, SUSPENSION_REASON);
      await f.identity.as(f.registrar).suspend(f.randomizerId, SUSPENSION_REASON);
      for (const randomizer of [device.id, f.randomizerId]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { randomizer })))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
          .withArgs(randomizer, ParticipantKind.Organization);
      }
    });

    it("reverts with TrialPartiesNotDistinct when the randomizer is the ethics committee, or its device", async () => {
      const f = await loadFixture(trialsFixture);
      const reg = await shape(f, { randomizer: f.ethicsCommitteeId });
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(reg))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialPartiesNotDistinct")
        .withArgs(f.ethicsCommitteeId, f.ethicsCommitteeId);
      // Nor the other way round: the randomization service named as the ethics committee.
      const swapped = await shape(f, { ethicsCommittee: f.randomizerId });
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(swapped))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialPartiesNotDistinct")
        .withArgs(f.randomizerId, f.randomizerId);
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
    });

    it("reverts with TrialProtocolInvalidOutcomes when the outcomes are empty, too many or none primary", async () => {
      const f = await loadFixture(trialsFixture);
      const noPrimary = [
        { commitment: SECONDARY_1, primary: false },
        { commitment: SECONDARY_2, primary: false },
      ];
      for (const [outcomes, count] of [
        [[], 0],
        [manyOutcomes(MAX_OUTCOMES + 1), MAX_OUTCOMES + 1],
        [noPrimary, 2],
      ] as const) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { outcomes: [...outcomes] })))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolInvalidOutcomes")
          .withArgs(count);
      }
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
    });

    it("reverts with TrialProtocolDuplicateOutcome when an outcome is zero or repeated", async () => {
      const f = await loadFixture(trialsFixture);
      const zero = [
        { commitment: PRIMARY, primary: true },
        { commitment: ZeroHash, primary: false },
      ];
      const repeated = [
        { commitment: PRIMARY, primary: true },
        { commitment: SECONDARY_1, primary: false },
        { commitment: PRIMARY, primary: false },
      ];
      for (const [outcomes, culprit] of [
        [zero, ZeroHash],
        [repeated, PRIMARY],
      ] as const) {
        await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { outcomes })))
          .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolDuplicateOutcome")
          .withArgs(culprit);
      }
      expect(await f.trialRegistry.trialCount()).to.equal(1n);
      await expect(f.trialProtocol.protocolOf(NEXT_TRIAL))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolUnknownTrial")
        .withArgs(NEXT_TRIAL);
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f))).to.be.revertedWithCustomError(
        f.trialRegistry,
        "EnforcedPause",
      );
    });
  });

  describe("recordConsentForm", () => {
    it("reverts with TrialNotProtocol for anyone but the protocol contract", async () => {
      const f = await loadFixture(trialsFixture);
      const form = doc("consent-form:forged");
      const before = (await f.trialRegistry.trial(f.trialId)).consentForm;
      for (const key of [f.sponsorKey, f.ethicsCommitteeKey, f.regulatorKey, f.strangerKey, f.admin]) {
        await expect(f.trialRegistry.connect(key).recordConsentForm(f.trialId, form, true))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotProtocol")
          .withArgs(key.address);
      }
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion, t.consentForm]).to.deep.equal([1n, 1n, before]);
    });

    it("records a new consent form version when the ethics committee approves an amendment bringing one", async () => {
      const f = await loadFixture(trialsFixture);
      const propose = async (consentForm: string, majorConsentChange: boolean) => {
        const proposal: AmendmentProposalStruct = {
          protocol: doc(`protocol:${consentForm}`),
          analysisPlan: ZeroHash,
          consentForm,
          majorConsentChange,
          primaryCompletion: 0,
          outcomes: [],
        };
        await (await f.trialProtocol.connect(f.sponsorKey).proposeAmendment(f.trialId, proposal)).wait();
        const [, , amendments] = await f.trialProtocol.protocolOf(f.trialId);
        await expect(f.trialProtocol.connect(f.ethicsCommitteeKey).approveAmendment(f.trialId, amendments))
          .to.emit(f.trialProtocol, "AmendmentApproved")
          .withArgs(f.trialId, amendments, f.ethicsCommitteeId, amendments + 1n, false, false);
      };
      const [v2, v3] = [doc("consent-form:v2"), doc("consent-form:v3")];
      await propose(v2, true);
      let t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion, t.consentForm]).to.deep.equal([2n, 2n, v2]);
      await propose(v3, false);
      t = await f.trialRegistry.trial(f.trialId);
      expect([t.consentVersion, t.majorConsentVersion, t.consentForm]).to.deep.equal([3n, 2n, v3]);
      expect((await f.trialRegistry.trialState(f.trialId)).consentVersion).to.equal(3n);
    });

    it("reverts with TrialUnknown when the protocol contract names an unknown trial", async () => {
      const f = await loadFixture(trialsFixture);
      const protocolAddress = await f.trialProtocol.getAddress();
      await impersonateAccount(protocolAddress);
      await setBalance(protocolAddress, ethers.parseEther("1"));
      const asProtocol = await ethers.getSigner(protocolAddress);
      await expect(f.trialRegistry.connect(asProtocol).recordConsentForm(UNKNOWN_TRIAL, doc("form"), false))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });
  });

  describe("proposeSite", () => {
    it("proposes a site with its organization and affiliated investigator when the sponsor asks", async () => {
      const f = await loadFixture(trialsFixture);
      const registry = f.trialRegistry.connect(f.sponsorKey);
      expect(await registry.proposeSite.staticCall(f.trialId, f.hospitalId, f.internistId)).to.equal(3n);
      await expect(registry.proposeSite(f.trialId, f.hospitalId, f.internistId))
        .to.emit(f.trialRegistry, "SiteProposed")
        .withArgs(f.trialId, 3, f.hospitalId, f.internistId);
      expect([...(await f.trialRegistry.site(f.trialId, 3))]).to.deep.equal([
        f.hospitalId,
        f.internistId,
        BigInt(SiteStatus.Proposed),
      ]);
      expect((await f.trialRegistry.trial(f.trialId)).sites).to.equal(3n);
      // The fixture's sites are as they were.
      expect([...(await f.trialRegistry.site(f.trialId, 1))]).to.deep.equal([
        f.hospitalId,
        f.cardiologistId,
        BigInt(SiteStatus.Active),
      ]);
    });

    it("reverts with TrialInvalidSite when the organization is not an organization", async () => {
      const f = await loadFixture(trialsFixture);
      for (const organization of [f.payerId, f.patientId, f.sponsorId, f.regulatorId, f.cardiologistId, UNKNOWN_ID]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, organization, f.internistId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
          .withArgs(organization, f.internistId);
      }
    });

    it("reverts with TrialInvalidSite when the organization is inactive", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.clinicId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.clinicId, f.clinicDoctorId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
        .withArgs(f.clinicId, f.clinicDoctorId);
    });

    it("reverts with TrialInvalidSite when the investigator is not a practitioner", async () => {
      const f = await loadFixture(trialsFixture);
      const device = await registerParticipant(f, ParticipantKind.Device, "site-device");
      for (const investigator of [f.patientId, f.hospitalId, device.id, f.sponsorId, UNKNOWN_ID, 0n]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, investigator))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
          .withArgs(f.hospitalId, investigator);
      }
    });

    it("reverts with TrialInvalidSite when the investigator is not affiliated with the organization", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.clinicId, f.cardiologistId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
        .withArgs(f.clinicId, f.cardiologistId);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.clinicDoctorId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
        .withArgs(f.hospitalId, f.clinicDoctorId);
    });

    it("reverts with TrialInvalidSite when the investigator is suspended", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.internistId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
        .withArgs(f.hospitalId, f.internistId);
      expect((await f.trialRegistry.trial(f.trialId)).sites).to.equal(2n);
    });

    it("reverts with TrialInvalidSite when the organization is the trial's ethics committee or randomization service", async () => {
      const f = await loadFixture(trialsFixture);
      const committeeDoctor = await practitionerOf(f, f.ethicsCommitteeId, f.ethicsCommitteeKey, "irb-doctor");
      const irtDoctor = await practitionerOf(f, f.randomizerId, f.randomizerKey, "irt-doctor");
      const registry = f.trialRegistry.connect(f.sponsorKey);
      for (const [organization, investigator] of [
        [f.ethicsCommitteeId, committeeDoctor],
        [f.randomizerId, irtDoctor],
      ] as const) {
        await expect(registry.proposeSite(f.trialId, organization, investigator))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
          .withArgs(organization, investigator);
      }
      expect((await f.trialRegistry.trial(f.trialId)).sites).to.equal(2n);
      // Each is a valid site of a trial that another committee reviews and another service randomizes.
      const parties = {
        ethicsCommittee: (await registerParticipant(f, ParticipantKind.Organization, "irb-2")).id,
        regulator: f.regulatorId,
        randomizer: (await registerParticipant(f, ParticipantKind.Organization, "irt-2")).id,
      };
      await (await registry.registerTrial(registration(parties, await time.latest()))).wait();
      await expect(registry.proposeSite(NEXT_TRIAL, f.ethicsCommitteeId, committeeDoctor))
        .to.emit(f.trialRegistry, "SiteProposed")
        .withArgs(NEXT_TRIAL, 1, f.ethicsCommitteeId, committeeDoctor);
      await expect(registry.proposeSite(NEXT_TRIAL, f.randomizerId, irtDoctor))
        .to.emit(f.trialRegistry, "SiteProposed")
        .withArgs(NEXT_TRIAL, 2, f.randomizerId, irtDoctor);
    });

    it("reverts with TrialNotSponsor when anyone but the trial's sponsor proposes", async () => {
      const f = await loadFixture(trialsFixture);
      for (const key of [f.ethicsCommitteeKey, f.regulatorKey, f.hospitalKey, f.internistKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).proposeSite(f.trialId, f.hospitalId, f.internistId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
          .withArgs(f.trialId, key.address);
      }
    });

    it("reverts with TrialNotSponsor when the sponsor has been suspended", async () => {
      const f = await loadFixture(trialsFixture);
      await f.identity.as(f.registrar).suspend(f.sponsorId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
        .withArgs(f.trialId, f.sponsorKey.address);
    });

    it("reverts with TrialDatabaseLocked when the trial is locked", async () => {
      const f = await loadFixture(trialsFixture);
      const lockedAt = await lockTrial(f);
      expect(lockedAt).to.be.greaterThan(0n);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      for (const trialId of [0n, UNKNOWN_TRIAL]) {
        await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(trialId, f.hospitalId, f.internistId))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
          .withArgs(trialId);
      }
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId),
      ).to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause");
    });
  });

  describe("activateSite", () => {
    it("activates a proposed site when the ethics committee asks", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, site))
        .to.emit(f.trialRegistry, "SiteStatusChanged")
        .withArgs(f.trialId, site, f.ethicsCommitteeId, SiteStatus.Active, 0);
      expect(await siteStatus(f, site)).to.equal(BigInt(SiteStatus.Active));
    });

    it("reactivates a suspended site when the ethics committee asks", async () => {
      const f = await loadFixture(trialsFixture);
      await (await f.trialRegistry.connect(f.sponsorKey).suspendSite(f.trialId, 1, OversightReason.Enrollment)).wait();
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, 1))
        .to.emit(f.trialRegistry, "SiteStatusChanged")
        .withArgs(f.trialId, 1, f.ethicsCommitteeId, SiteStatus.Active, 0);
      expect(await siteStatus(f, 1)).to.equal(BigInt(SiteStatus.Active));
    });

    it("reverts with TrialNotEthicsCommittee when the sponsor activates its own site", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).activateSite(f.trialId, site))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotEthicsCommittee")
        .withArgs(f.trialId, f.sponsorKey.address);
      expect(await siteStatus(f, site)).to.equal(BigInt(SiteStatus.Proposed));
    });

    it("reverts with TrialNotEthicsCommittee for the regulator, the site and a stranger", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      for (const key of [f.regulatorKey, f.randomizerKey, f.hospitalKey, f.internistKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).activateSite(f.trialId, site))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotEthicsCommittee")
          .withArgs(f.trialId, key.address);
      }
    });

    it("reverts with TrialNotEthicsCommittee when the ethics committee is suspended", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await f.identity.as(f.registrar).suspend(f.ethicsCommitteeId, SUSPENSION_REASON);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, site))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotEthicsCommittee")
        .withArgs(f.trialId, f.ethicsCommitteeKey.address);
    });

    it("reverts with TrialInvalidSiteTransition when the site is active or closed", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, 1))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSiteTransition")
        .withArgs(f.trialId, 1, SiteStatus.Active, SiteStatus.Active);
      await (await f.trialRegistry.connect(f.ethicsCommitteeKey).closeSite(f.trialId, 2, 0)).wait();
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, 2))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSiteTransition")
        .withArgs(f.trialId, 2, SiteStatus.Closed, SiteStatus.Active);
      expect(await siteStatus(f, 2)).to.equal(BigInt(SiteStatus.Closed));
    });

    it("reverts with TrialUnknownSite when the trial has no such site", async () => {
      const f = await loadFixture(trialsFixture);
      for (const site of [0, 3, 1000]) {
        await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, site))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknownSite")
          .withArgs(f.trialId, site);
      }
    });

    it("reverts with TrialDatabaseLocked when the trial is locked", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      const lockedAt = await lockTrial(f);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, site))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(UNKNOWN_TRIAL, 1))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.ethicsCommitteeKey).activateSite(f.trialId, site),
      ).to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause");
    });
  });

  describe("suspendSite", () => {
    it("suspends an active site for a reason when the ethics committee asks", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(
        f.trialRegistry.connect(f.ethicsCommitteeKey).suspendSite(f.trialId, 1, OversightReason.GcpNonCompliance),
      )
        .to.emit(f.trialRegistry, "SiteStatusChanged")
        .withArgs(f.trialId, 1, f.ethicsCommitteeId, SiteStatus.Suspended, OversightReason.GcpNonCompliance);
      expect(await siteStatus(f, 1)).to.equal(BigInt(SiteStatus.Suspended));
      expect(await siteStatus(f, 2)).to.equal(BigInt(SiteStatus.Active));
    });

    it("suspends an active site when the sponsor asks, naming the sponsor as actor", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).suspendSite(f.trialId, 2, OversightReason.Enrollment))
        .to.emit(f.trialRegistry, "SiteStatusChanged")
        .withArgs(f.trialId, 2, f.sponsorId, SiteStatus.Suspended, OversightReason.Enrollment);
      expect(await siteStatus(f, 2)).to.equal(BigInt(SiteStatus.Suspended));
    });

    it("suspends a site while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.ethicsCommitteeKey).suspendSite(f.trialId, 1, OversightReason.RiskToParticipants),
      ).to.emit(f.trialRegistry, "SiteStatusChanged");
      expect(await siteStatus(f, 1)).to.equal(BigInt(SiteStatus.Suspended));
    });

    it("reverts with TrialNotSiteOverseer for a stranger, the regulator and the site's own investigator", async () => {
      const f = await loadFixture(trialsFixture);
      for (const key of [f.strangerKey, f.regulatorKey, f.randomizerKey, f.cardiologistKey, f.hospitalKey]) {
        await expect(f.trialRegistry.connect(key).suspendSite(f.trialId, 1, OversightReason.Enrollment))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSiteOverseer")
          .withArgs(f.trialId, key.address);
      }
      expect(await siteStatus(f, 1)).to.equal(BigInt(SiteStatus.Active));
    });

    it("reverts with TrialInvalidSiteTransition when the site is proposed, suspended or closed", async () => {
      const f = await loadFixture(trialsFixture);
      const registry = f.trialRegistry.connect(f.ethicsCommitteeKey);
      const site = await proposeThirdSite(f);
      await expect(registry.suspendSite(f.trialId, site, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSiteTransition")
        .withArgs(f.trialId, site, SiteStatus.Proposed, SiteStatus.Suspended);
      await (await registry.suspendSite(f.trialId, 1, 0)).wait();
      await expect(registry.suspendSite(f.trialId, 1, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSiteTransition")
        .withArgs(f.trialId, 1, SiteStatus.Suspended, SiteStatus.Suspended);
      await (await registry.closeSite(f.trialId, 2, 0)).wait();
      await expect(registry.suspendSite(f.trialId, 2, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSiteTransition")
        .withArgs(f.trialId, 2, SiteStatus.Closed, SiteStatus.Suspended);
    });

    it("reverts with TrialUnknownSite when the trial has no such site", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).suspendSite(f.trialId, 3, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknownSite")
        .withArgs(f.trialId, 3);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).suspendSite(UNKNOWN_TRIAL, 1, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });
  });

  describe("closeSite", () => {
    it("closes a site from each open status, naming the actor and the reason", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await (await f.trialRegistry.connect(f.sponsorKey).suspendSite(f.trialId, 2, 0)).wait();
      const cases = [
        { site: 1, key: f.sponsorKey, actor: f.sponsorId, reason: OversightReason.Enrollment },
        { site: 2, key: f.ethicsCommitteeKey, actor: f.ethicsCommitteeId, reason: OversightReason.GcpNonCompliance },
        { site, key: f.ethicsCommitteeKey, actor: f.ethicsCommitteeId, reason: OversightReason.None },
      ];
      for (const c of cases) {
        await expect(f.trialRegistry.connect(c.key).closeSite(f.trialId, c.site, c.reason))
          .to.emit(f.trialRegistry, "SiteStatusChanged")
          .withArgs(f.trialId, c.site, c.actor, SiteStatus.Closed, c.reason);
        expect(await siteStatus(f, c.site)).to.equal(BigInt(SiteStatus.Closed));
      }
    });

    it("closes a site while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).closeSite(f.trialId, 1, OversightReason.Enrollment))
        .to.emit(f.trialRegistry, "SiteStatusChanged")
        .withArgs(f.trialId, 1, f.sponsorId, SiteStatus.Closed, OversightReason.Enrollment);
      expect(await siteStatus(f, 1)).to.equal(BigInt(SiteStatus.Closed));
    });

    it("reverts with TrialInvalidSiteTransition when the site is closed already", async () => {
      const f = await loadFixture(trialsFixture);
      await (await f.trialRegistry.connect(f.sponsorKey).closeSite(f.trialId, 1, 0)).wait();
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).closeSite(f.trialId, 1, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSiteTransition")
        .withArgs(f.trialId, 1, SiteStatus.Closed, SiteStatus.Closed);
    });

    it("reverts with TrialNotSiteOverseer for a stranger and the regulator", async () => {
      const f = await loadFixture(trialsFixture);
      for (const key of [f.strangerKey, f.regulatorKey, f.clinicDoctorKey]) {
        await expect(f.trialRegistry.connect(key).closeSite(f.trialId, 2, 0))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSiteOverseer")
          .withArgs(f.trialId, key.address);
      }
      expect(await siteStatus(f, 2)).to.equal(BigInt(SiteStatus.Active));
    });

    it("reverts with TrialUnknownSite when the trial has no such site", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).closeSite(f.trialId, 0, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknownSite")
        .withArgs(f.trialId, 0);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.ethicsCommitteeKey).closeSite(UNKNOWN_TRIAL, 1, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });
  });

  describe("commitAllocation", () => {
    it("commits the first allocation sequence of a new trial", async () => {
      const f = await loadFixture(trialsFixture);
      await (await f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f))).wait();
      const root = doc("allocation:B");
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(NEXT_TRIAL, root, 4, 25))
        .to.emit(f.trialRegistry, "AllocationCommitted")
        .withArgs(NEXT_TRIAL, root, 4, 25);
      const t = await f.trialRegistry.trial(NEXT_TRIAL);
      expect([t.allocationRoot, t.strata, t.perStratum]).to.deep.equal([root, 4n, 25n]);
    });

    it("replaces the sequence before the first enrollment", async () => {
      const f = await loadFixture(trialsFixture);
      let t = await f.trialRegistry.trial(f.trialId);
      expect([t.allocationRoot, t.strata, t.perStratum]).to.deep.equal([
        f.sequence.root,
        BigInt(STRATA),
        BigInt(PER_STRATUM),
      ]);
      const root = doc("allocation:replacement");
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, root, 255, 2 ** 24 - 1))
        .to.emit(f.trialRegistry, "AllocationCommitted")
        .withArgs(f.trialId, root, 255, 2 ** 24 - 1);
      t = await f.trialRegistry.trial(f.trialId);
      expect([t.allocationRoot, t.strata, t.perStratum]).to.deep.equal([root, 255n, 2n ** 24n - 1n]);
    });

    it("reverts with TrialAllocationFrozen once someone has been enrolled", async () => {
      const f = await loadFixture(trialsFixture);
      await f.enroll(f.patientId, f.patientKey);
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:late"), 2, 16))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationFrozen")
        .withArgs(f.trialId, 1);
      // Withdrawing the only participant does not unfreeze it.
      await (await f.trialRegistry.connect(f.patientKey).withdraw(f.trialId, f.patientId, 0)).wait();
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:late"), 2, 16))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialAllocationFrozen")
        .withArgs(f.trialId, 1);
      expect((await f.trialRegistry.trial(f.trialId)).allocationRoot).to.equal(f.sequence.root);
    });

    it("reverts with TrialInvalidAllocation when there are no strata or no entries per stratum", async () => {
      const f = await loadFixture(trialsFixture);
      for (const [strata, perStratum] of [
        [0, 16],
        [2, 0],
        [0, 0],
      ] as const) {
        await expect(
          f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:bad"), strata, perStratum),
        )
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidAllocation")
          .withArgs(strata, perStratum);
      }
    });

    it("reverts with TrialZeroCommitment when the root is zero", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(
        f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, ZeroHash, 2, 16),
      ).to.be.revertedWithCustomError(f.trialRegistry, "TrialZeroCommitment");
    });

    it("reverts with TrialNotSponsor when anyone but the sponsor commits", async () => {
      const f = await loadFixture(trialsFixture);
      for (const key of [f.randomizerKey, f.ethicsCommitteeKey, f.cardiologistKey, f.strangerKey]) {
        await expect(f.trialRegistry.connect(key).commitAllocation(f.trialId, doc("allocation:forged"), 2, 16))
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
          .withArgs(f.trialId, key.address);
      }
    });

    it("reverts with TrialDatabaseLocked when the trial is locked", async () => {
      const f = await loadFixture(trialsFixture);
      const lockedAt = await lockTrial(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:x"), 2, 16))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialDatabaseLocked")
        .withArgs(f.trialId, lockedAt);
    });

    it("reverts with TrialUnknown when the trial does not exist", async () => {
      const f = await loadFixture(trialsFixture);
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(UNKNOWN_TRIAL, doc("allocation:x"), 2, 16))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialUnknown")
        .withArgs(UNKNOWN_TRIAL);
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const f = await loadFixture(trialsFixture);
      await pause(f);
      await expect(
        f.trialRegistry.connect(f.sponsorKey).commitAllocation(f.trialId, doc("allocation:x"), 2, 16),
      ).to.be.revertedWithCustomError(f.trialRegistry, "EnforcedPause");
    });
  });

  describe("views", () => {
    it("revert with TrialUnknown for a trial id nobody registered", async () => {
      const { trialRegistry } = await loadFixture(trialsFixture);
      for (const trialId of [0n, 2n, UNKNOWN_TRIAL]) {
        await expect(trialRegistry.trial(trialId))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknown")
          .withArgs(trialId);
        await expect(trialRegistry.trialState(trialId))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknown")
          .withArgs(trialId);
        await expect(trialRegistry.site(trialId, 1))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknown")
          .withArgs(trialId);
        await expect(trialRegistry.allocationAudit(trialId))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknown")
          .withArgs(trialId);
        await expect(trialRegistry.isRegistrationLate(trialId))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknown")
          .withArgs(trialId);
        await expect(trialRegistry.dataBatchCount(trialId))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknown")
          .withArgs(trialId);
      }
    });

    it("revert with TrialUnknown from every write on a trial id nobody registered", async () => {
      const f = await loadFixture(trialsFixture);
      const { trialRegistry: registry } = f;
      const writes = [
        () => registry.connect(f.sponsorKey).lock(UNKNOWN_TRIAL, DATASET_ROOT),
        () => registry.connect(f.sponsorKey).requestUnlock(UNKNOWN_TRIAL, 1),
        () => registry.connect(f.ethicsCommitteeKey).approveUnlock(UNKNOWN_TRIAL),
        () => registry.connect(f.randomizerKey).reveal(UNKNOWN_TRIAL, f.patientId, doc("arm"), []),
        () => registry.connect(f.cardiologistKey).unblind(UNKNOWN_TRIAL, f.patientId, 1),
        () => registry.connect(f.cardiologistKey).anchorData(UNKNOWN_TRIAL, 1, doc("batch"), 1, [f.patientId]),
        () => registry.connect(f.patientKey).withdraw(UNKNOWN_TRIAL, f.patientId, 0),
        () => registry.connect(f.patientKey).increaseNonce(UNKNOWN_TRIAL, f.patientId),
      ];
      for (const write of writes) {
        await expect(write()).to.be.revertedWithCustomError(registry, "TrialUnknown").withArgs(UNKNOWN_TRIAL);
      }
    });

    it("site reverts with TrialUnknownSite for a site number the trial does not have", async () => {
      const { trialRegistry, trialId } = await loadFixture(trialsFixture);
      for (const site of [0, 3, 65_535]) {
        await expect(trialRegistry.site(trialId, site))
          .to.be.revertedWithCustomError(trialRegistry, "TrialUnknownSite")
          .withArgs(trialId, site);
      }
    });
  });

  describe("attacks", () => {
    it("another sponsor cannot touch someone else's trial", async () => {
      const f = await loadFixture(trialsFixture);
      const { rival } = await rivalSponsor(f);
      const registry = f.trialRegistry.connect(rival.key);
      const sponsorOnly = [
        () => registry.proposeSite(f.trialId, f.hospitalId, f.internistId),
        () => registry.commitAllocation(f.trialId, doc("allocation:hijack"), 1, 1),
        () => registry.lock(f.trialId, DATASET_ROOT),
      ];
      for (const write of sponsorOnly) {
        await expect(write())
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
          .withArgs(f.trialId, rival.key.address);
      }
      for (const write of [() => registry.suspendSite(f.trialId, 1, 0), () => registry.closeSite(f.trialId, 2, 0)]) {
        await expect(write())
          .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSiteOverseer")
          .withArgs(f.trialId, rival.key.address);
      }
      await expect(f.trialProtocol.connect(rival.key).proposeAmendment(f.trialId, amendmentOf(doc("protocol:hijack"))))
        .to.be.revertedWithCustomError(f.trialProtocol, "TrialProtocolNotSponsor")
        .withArgs(f.trialId, rival.key.address);
      const t = await f.trialRegistry.trial(f.trialId);
      expect([t.sites, t.allocationRoot, t.status]).to.deep.equal([2n, f.sequence.root, BigInt(TrialStatus.Active)]);
      expect([await siteStatus(f, 1), await siteStatus(f, 2)]).to.deep.equal([
        BigInt(SiteStatus.Active),
        BigInt(SiteStatus.Active),
      ]);
    });

    it("the fixture's sponsor cannot touch the rival's trial either", async () => {
      const f = await loadFixture(trialsFixture);
      const { rivalTrial } = await rivalSponsor(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(rivalTrial, f.hospitalId, f.internistId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
        .withArgs(rivalTrial, f.sponsorKey.address);
      await expect(f.trialRegistry.connect(f.sponsorKey).commitAllocation(rivalTrial, doc("allocation:x"), 1, 1))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSponsor")
        .withArgs(rivalTrial, f.sponsorKey.address);
      await expect(f.trialRegistry.connect(f.sponsorKey).closeSite(rivalTrial, 1, 0))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotSiteOverseer")
        .withArgs(rivalTrial, f.sponsorKey.address);
    });

    it("a practitioner not affiliated with the organization cannot be made its investigator", async () => {
      const f = await loadFixture(trialsFixture);
      // The clinic's doctor at the hospital, and the internist after the hospital released her.
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.clinicDoctorId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
        .withArgs(f.hospitalId, f.clinicDoctorId);
      await f.identity.as(f.hospitalKey).releaseAffiliate(f.internistId);
      await expect(f.trialRegistry.connect(f.sponsorKey).proposeSite(f.trialId, f.hospitalId, f.internistId))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidSite")
        .withArgs(f.hospitalId, f.internistId);
      expect((await f.trialRegistry.trial(f.trialId)).sites).to.equal(2n);
    });

    it("the sponsor can neither activate its own site nor name itself the ethics committee", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await expect(f.trialRegistry.connect(f.sponsorKey).activateSite(f.trialId, site))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotEthicsCommittee")
        .withArgs(f.trialId, f.sponsorKey.address);
      await expect(
        f.trialRegistry.connect(f.sponsorKey).registerTrial(await shape(f, { ethicsCommittee: f.sponsorId })),
      )
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialInvalidParty")
        .withArgs(f.sponsorId, ParticipantKind.Organization);
      expect(await siteStatus(f, site)).to.equal(BigInt(SiteStatus.Proposed));
    });

    it("a site's organization cannot activate the site in the ethics committee's stead", async () => {
      const f = await loadFixture(trialsFixture);
      const site = await proposeThirdSite(f);
      await expect(f.trialRegistry.connect(f.hospitalKey).activateSite(f.trialId, site))
        .to.be.revertedWithCustomError(f.trialRegistry, "TrialNotEthicsCommittee")
        .withArgs(f.trialId, f.hospitalKey.address);
      expect(await siteStatus(f, site)).to.equal(BigInt(SiteStatus.Proposed));
    });
  });
});
