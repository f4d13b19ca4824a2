import { time } from "@nomicfoundation/hardhat-network-helpers";
import { type ContractTransactionResponse, id as keccakText, parseEther, Wallet } from "ethers";
import { ethers } from "hardhat";

import type { CareLedgerSystem } from "../../deploy";
import {
  commit,
  consentDomain,
  DataCategory,
  IdentityClient,
  ParticipantKind,
  Purpose,
  ReviewOutcome,
  categorySet,
  purposeSet,
  signGrant,
} from "../../sdk";
import type { GasRecorder } from "./recorder";

const C = "ConsentRegistry";
const DAY = 86_400;
/** 2030-03-17T17:46:40Z: the instant the consent benchmark starts at. */
const BASE = 1_900_000_000n;

const LABS_AND_CONDITIONS = categorySet(DataCategory.LaboratoryResults, DataCategory.Conditions);
const TREATMENT = purposeSet(Purpose.Treatment);

/**
 * The gas a transaction spent executing, as opposed to its intrinsic cost: the receipt's gas less 21,000 and the
 * calldata (4 gas per zero byte, 16 per other byte). Since Prague a transaction pays at least a calldata floor
 * (EIP-7623); a row under that floor would not be an execution figure, so it refuses to give one.
 */
function executionGas(tx: ContractTransactionResponse, gasUsed: bigint): bigint {
  let calldata = 0n;
  let tokens = 0n;
  for (let i = 2; i < tx.data.length; i += 2) {
    const zero = tx.data.slice(i, i + 2) === "00";
    calldata += zero ? 4n : 16n;
    tokens += zero ? 1n : 4n;
  }
  if (gasUsed <= 21_000n + 10n * tokens) throw new Error("the transaction paid the EIP-7623 calldata floor");
  return gasUsed - 21_000n - calldata;
}

/**
 * Measures every external write of the ConsentRegistry and its BreakGlass workflow, and the decision view called from
 * another contract with everything cold, on the system the identity benchmark left behind. Keys are fixed wallets (funded here) so that
 * calldata, and with it every row, is the same on every run.
 */
export async function benchConsent(system: CareLedgerSystem, gas: GasRecorder): Promise<void> {
  const { identityRegistry: identity, consentRegistry: registry, breakGlass, deployment } = system;
  const [deployer, , registrar, , auditor] = await ethers.getSigners();
  if (deployer === undefined || registrar === undefined || auditor === undefined) {
    throw new Error("the benchmark needs the hardhat network's first five accounts");
  }
  const wallet = async (label: string) => {
    const key = new Wallet(keccakText(`careledger bench key: ${label}`), ethers.provider);
    await (await deployer.sendTransaction({ to: key.address, value: parseEther("10") })).wait();
    return key;
  };
  const [hospitalKey, cardiologistKey, internistKey, erDoctorKey, payerKey, patientKey, relayerKey] = await Promise.all(
    ["hospital", "cardiologist", "internist", "er doctor", "payer", "patient", "relayer"].map((label) => wallet(label)),
  );
  if (
    hospitalKey === undefined ||
    cardiologistKey === undefined ||
    internistKey === undefined ||
    erDoctorKey === undefined ||
    payerKey === undefined ||
    patientKey === undefined ||
    relayerKey === undefined
  ) {
    throw new Error("benchmark wallets missing");
  }

  // Every time in calldata counts from a fixed instant, not from the clock: the in-process chain's timestamps follow
  // the wall clock, and a timestamp byte that happens to be zero costs 12 gas less, which would make rows drift.
  if (BigInt(await time.latest()) >= BASE)
    throw new Error(`the chain's clock is past the benchmark's base time ${BASE}`);
  await time.increaseTo(BASE);
  const expiry = BASE + BigInt(365 * DAY);
  const asRegistrar = IdentityClient.connect(registrar, deployment);
  // Registration with the key's consent, and a practitioner's acceptance by its organization (set-up, not measured).
  const register = async (kind: ParticipantKind, key: Wallet, label: string, affiliation = 0n, organization?: Wallet) =>
    (
      await asRegistrar.registerWithKey(
        key,
        {
          kind,
          credentialCommitment: commit(label, keccakText(`bench salt: ${label}`)).commitment,
          credentialExpiry: expiry,
          affiliation,
        },
        organization,
      )
    ).id;
  const hospital = await register(ParticipantKind.Organization, hospitalKey, "consent hospital");
  const cardiologist = await register(
    ParticipantKind.Practitioner,
    cardiologistKey,
    "consent cardiologist",
    hospital,
    hospitalKey,
  );
  const internist = await register(
    ParticipantKind.Practitioner,
    internistKey,
    "consent internist",
    hospital,
    hospitalKey,
  );
  await register(ParticipantKind.Practitioner, erDoctorKey, "consent er doctor", hospital, hospitalKey);
  const payer = await register(ParticipantKind.Payer, payerKey, "consent payer");
  await (await identity.connect(patientKey).registerPatient()).wait();
  const patient = await identity.idOf(patientKey.address);

  const asPatient = registry.connect(patientKey);

  // Grants.
  await gas.measure(C, "grant", "first grant for a grantee", async () =>
    asPatient.grant(patient, cardiologist, LABS_AND_CONDITIONS, TREATMENT, 0, BASE + BigInt(30 * DAY)),
  );
  await gas.measure(C, "grant", "update of an existing grant", async () =>
    asPatient.grant(patient, cardiologist, LABS_AND_CONDITIONS, TREATMENT, 0, BASE + BigInt(60 * DAY)),
  );
  await gas.measure(C, "narrow", "fewer categories, earlier end", async () =>
    asPatient.narrow(
      patient,
      cardiologist,
      categorySet(DataCategory.LaboratoryResults),
      TREATMENT,
      BASE + BigInt(45 * DAY),
    ),
  );
  await gas.measure(C, "setDeny", "first deny for a grantee", () =>
    asPatient.setDeny(patient, internist, categorySet(DataCategory.MentalHealth)),
  );
  await gas.measure(C, "setDeny", "lift the deny", () => asPatient.setDeny(patient, internist, 0));

  // Signed consent, relayed by the hospital's relayer.
  const domain = consentDomain(deployment.chainId, deployment.consentRegistry);
  const message = {
    patient,
    grantee: payer,
    categories: BigInt(categorySet(DataCategory.InsuranceAndClaims)),
    purposes: BigInt(purposeSet(Purpose.Payment)),
    validFrom: 0n,
    validUntil: BASE + BigInt(180 * DAY),
    evidence: commit("signed FHIR Consent", keccakText("bench salt: consent document")).commitment,
    nonce: await registry.nonces(patient),
    deadline: BASE + BigInt(DAY),
  };
  const signature = await signGrant(patientKey, domain, message);
  await gas.measure(C, "grantBySig", "signed grant relayed (first grant)", () =>
    registry.connect(relayerKey).grantBySig(message, patientKey.address, signature),
  );
  await gas.measure(C, "increaseNonce", "burn one nonce", async () =>
    asPatient.increaseNonce(patient, (await registry.nonces(patient)) + 1n),
  );

  // The decision, called from another contract as the first call of a transaction: the probe is deployed in
  // advance, then one transaction asks it, with the consent registry, the identity registry and every slot cold.
  const probe = await (await ethers.getContractFactory("ConsentDecisionProbe")).deploy(deployment.consentRegistry);
  await probe.waitForDeployment();
  const decideCold = async (variant: string, accessor: string, category: DataCategory, purpose: Purpose) => {
    const tx = await probe.check.send(patient, accessor, category, purpose);
    const receipt = await tx.wait();
    if (receipt === null) throw new Error("no receipt for the probe");
    gas.add(C, "decide (from another contract, cold)", variant, executionGas(tx, receipt.gasUsed));
  };
  await decideCold(
    "execution gas, practitioner's grant naming the category",
    cardiologistKey.address,
    DataCategory.LaboratoryResults,
    Purpose.Treatment,
  );
  await (
    await asPatient.grant(
      patient,
      hospital,
      categorySet(DataCategory.Allergies, DataCategory.Medications),
      TREATMENT,
      0,
      BASE + BigInt(90 * DAY),
    )
  ).wait();
  await decideCold(
    "execution gas, organization's grant (reads it and asks the policy)",
    internistKey.address,
    DataCategory.Allergies,
    Purpose.Treatment,
  );

  // Recorded accesses.
  await gas.measure(C, "recordAccess", "allowed under a grant naming the category", () =>
    registry.connect(cardiologistKey).recordAccess(patient, DataCategory.LaboratoryResults, Purpose.Treatment),
  );
  await gas.measure(C, "recordAccess", "denied, no grant covers (mental health)", () =>
    registry.connect(cardiologistKey).recordAccess(patient, DataCategory.MentalHealth, Purpose.Treatment),
  );

  // Access request and approval.
  const requested = await gas.measure(C, "requestAccess", "labs and imaging, 14 days", async () =>
    registry
      .connect(internistKey)
      .requestAccess(
        patient,
        categorySet(DataCategory.LaboratoryResults, DataCategory.Imaging),
        TREATMENT,
        14 * DAY,
        2,
        BASE + BigInt(3 * DAY),
      ),
  );
  const requests = await registry.requestCount();
  const approved = await gas.measure(C, "approveRequest", "narrower: labs only, 7 days", async () =>
    asPatient.approveRequest(requests, categorySet(DataCategory.LaboratoryResults), TREATMENT, BASE + BigInt(7 * DAY)),
  );
  gas.add(C, "requestAccess+approveRequest", "both steps", requested.gasUsed + approved.gasUsed);
  await (
    await registry
      .connect(payerKey)
      .requestAccess(
        patient,
        categorySet(DataCategory.Demographics),
        purposeSet(Purpose.Payment),
        DAY,
        1,
        BASE + BigInt(DAY),
      )
  ).wait();
  await gas.measure(C, "rejectRequest", "by the patient", async () =>
    asPatient.rejectRequest(await registry.requestCount(), 3),
  );
  await (
    await registry
      .connect(payerKey)
      .requestAccess(
        patient,
        categorySet(DataCategory.Demographics),
        purposeSet(Purpose.Payment),
        DAY,
        1,
        BASE + BigInt(DAY),
      )
  ).wait();
  await gas.measure(C, "cancelRequest", "by the requester", async () =>
    registry.connect(payerKey).cancelRequest(await registry.requestCount()),
  );

  // Break-glass, the workflow the registry created.
  const B = "BreakGlass";
  await gas.measure(B, "setEmergencyAuthorization", "authorize an organization", () =>
    breakGlass.connect(registrar).setEmergencyAuthorization(hospital, true),
  );
  await gas.measure(B, "open", "first session (joins the review queue)", () =>
    breakGlass.connect(erDoctorKey).open(patient, 1, 4 * 3600),
  );
  const session = await breakGlass.sessionCount();
  await gas.measure(C, "recordAccess", "allowed under break-glass (asks the workflow)", () =>
    registry.connect(erDoctorKey).recordAccess(patient, DataCategory.Allergies, Purpose.EmergencyTreatment),
  );
  await gas.measure(B, "close", "by the practitioner", () => breakGlass.connect(erDoctorKey).close(session));
  await gas.measure(B, "review", "justified (leaves the review queue)", () =>
    breakGlass.connect(auditor).review(session, ReviewOutcome.Justified, 0),
  );
  await (await breakGlass.connect(erDoctorKey).open(patient, 1, 4 * 3600)).wait();
  await gas.measure(B, "setEmergencyAuthorization", "withdraw (ends the organization's open sessions)", () =>
    breakGlass.connect(registrar).setEmergencyAuthorization(hospital, false),
  );

  // Revocation, effective at once.
  await gas.measure(C, "revoke", "by the patient", () => asPatient.revoke(patient, cardiologist));
}
