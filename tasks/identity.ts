import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { KeyConsent } from "../sdk/identity/client";
import { ParticipantKind, StatusReason } from "../sdk/identity/participants";
import { lookup } from "./lookup";
import {
  ACCOUNT_HELP,
  accountAddress,
  bytes32,
  chainTime,
  codeName,
  codesHelp,
  deploymentOf,
  enumNames,
  fail,
  FROM_HELP,
  iso,
  networkSigner,
  oneOf,
  periodEnd,
  print,
  readable,
  reasonCode,
  signerFor,
  TIME_HELP,
  wholeNumber,
} from "./util";

/** Connects the identity client of the recorded deployment as `--from`. */
async function client(hre: HardhatRuntimeEnvironment, from: string) {
  const { IdentityClient } = await import("../sdk/identity/client");
  return IdentityClient.connect(await signerFor(hre, from), await deploymentOf(hre));
}

/** Connects the identifier registry's client of the recorded deployment as `--from`. */
async function identifiers(hre: HardhatRuntimeEnvironment, from: string) {
  const { IdentifierClient } = await import("../sdk/identity/client");
  return IdentifierClient.connect(await signerFor(hre, from), await deploymentOf(hre));
}

/** The kinds a registrar registers (a patient registers herself: careledger:identity:register-patient). */
const REGISTRABLE_KINDS = oneOf(enumNames(ParticipantKind, [ParticipantKind.None, ParticipantKind.Patient]));
const STATUS_REASON =
  `Reason code, by number or name: ${codesHelp(StatusReason)}; or another code from the consortium's list ` +
  "(0 for none)";
const CONSENT =
  "The key's signed consent as DEADLINE:SIGNATURE, printed by careledger:identity:consent run by that key " +
  "(not needed when the key is an account of this network: the task signs with it)";
const MAX_CONSENT_HOURS = 720n; // IdentityRegistry.MAX_SIGNATURE_WINDOW: 30 days

/** `--consent DEADLINE:SIGNATURE`, checked against the chain's clock so that an expired one fails in words. */
async function consentOption(hre: HardhatRuntimeEnvironment, value: string): Promise<KeyConsent> {
  const match = /^(\d+):(0x[0-9a-fA-F]+)$/.exec(value.trim());
  if (match === null || match[2]!.length % 2 !== 0) {
    fail(`--consent must be DEADLINE:SIGNATURE as careledger:identity:consent prints it, got "${value}"`);
  }
  const deadline = BigInt(match[1]!);
  const now = await chainTime(hre);
  if (deadline < now) {
    fail(`--consent expired at ${iso(deadline)}: ask the key to run careledger:identity:consent again`);
  }
  return { deadline, signature: match[2]! };
}

/** `--kind`: a kind a registrar registers; a patient is refused with where she registers herself. */
async function kindOption(value: string): Promise<ParticipantKind> {
  const { parseKind } = await import("../sdk/identity/participants");
  let kind: ParticipantKind;
  try {
    kind = parseKind(value);
  } catch {
    fail(`--kind must be ${REGISTRABLE_KINDS}, got "${value}"`);
  }
  if (kind === ParticipantKind.Patient) {
    fail("--kind patient: a patient registers herself, with careledger:identity:register-patient --from <her key>");
  }
  return kind;
}

/** Names a participant kind in the words the tasks take ("research-sponsor"). */
async function kindName(kind: number): Promise<string> {
  const { ParticipantKind } = await import("../sdk/identity/participants");
  return (ParticipantKind[kind] ?? String(kind)).replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------------------
// Registration and a key's consent
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:identity:register-patient", "Self-registers the signing account as a pseudonymous patient")
  .addParam("from", FROM_HELP, "0")
  .setAction(async ({ from }: { from: string }, hre) => {
    const identity = await client(hre, from);
    const { id, receipt } = await readable(() => identity.registerPatient());
    print(`Patient ${id} registered`, { controller: receipt.from, gasUsed: receipt.gasUsed, tx: receipt.hash });
  });

task("careledger:identity:consent", "A key signs its consent to control an id: a registration, or taking one over")
  .addOptionalParam("kind", `For a registration, the kind: ${REGISTRABLE_KINDS}`)
  .addOptionalParam(
    "affiliation",
    "For a practitioner's or device's registration: the organization id it is offered to",
  )
  .addOptionalParam("id", "For taking over an id (a rotation, or a registrar's recovery of an institution): its id")
  .addParam("hours", "Hours the consent stays valid (1 to 720)", "720")
  .addParam("from", `${FROM_HELP} (the key that consents: the new controller)`, "0")
  .setAction(async (args: { kind?: string; affiliation?: string; id?: string; hours: string; from: string }, hre) => {
    if ((args.kind === undefined) === (args.id === undefined)) {
      fail("give --kind (a registration) or --id (taking over an id), not both");
    }
    if (args.id !== undefined && args.affiliation !== undefined) fail("--affiliation goes with --kind");
    const hours = wholeNumber("hours", args.hours);
    if (hours === 0n || hours > MAX_CONSENT_HOURS) fail(`--hours must be 1 to ${MAX_CONSENT_HOURS}, got ${hours}`);
    const key = await signerFor(hre, args.from);
    const address = await key.getAddress();
    const identity = await client(hre, args.from);
    const bound = await identity.idOf(address);
    if (bound !== 0n) fail(`--from ${address} controls participant ${bound} already: a key controls one id`);
    const network = hre.network.name;
    let title: string;
    let consent: KeyConsent;
    let next: string;
    if (args.kind !== undefined) {
      const kind = await kindOption(args.kind);
      const affiliation = args.affiliation === undefined ? 0n : wholeNumber("affiliation", args.affiliation);
      if (affiliation !== 0n) await (await lookup(hre)).participant("affiliation", affiliation);
      consent = await readable(() => identity.consentToRegistration(key, kind, affiliation, hours * 3600n));
      const name = await kindName(kind);
      title = `${address} consents to be registered as a ${name}${affiliation === 0n ? "" : ` of organization ${affiliation}`}`;
      next =
        `npx hardhat careledger:identity:register --kind ${name} --controller ${address}` +
        `${affiliation === 0n ? "" : ` --affiliation ${affiliation}`} --consent ${consent.deadline}:${consent.signature} ` +
        `--credential <text> --expires <date> --network ${network} --from <a registrar>`;
    } else {
      const id = wholeNumber("id", args.id ?? "");
      await (await lookup(hre)).participant("id", id);
      const participant = await readable(() => identity.participant(id));
      consent = await readable(() => identity.consentToTransfer(key, id, hours * 3600n));
      title = `${address} consents to take over participant ${id} (key epoch ${participant.keyEpoch})`;
      next =
        `npx hardhat careledger:identity:rotate --id ${id} --to ${address} ` +
        `--consent ${consent.deadline}:${consent.signature} --network ${network} --from <the current key> ` +
        "(it serves one change of key; a registrar's recovery of an institution takes it too)";
    }
    print(title, {
      deadline: `${consent.deadline} (${iso(consent.deadline)})`,
      signature: consent.signature,
      consent: `${consent.deadline}:${consent.signature}`,
      next,
    });
  });

task("careledger:identity:register", "Registrar: registers a verified institution, practitioner or device")
  .addParam("kind", `The kind: ${REGISTRABLE_KINDS}`)
  .addParam("controller", `The participant's controlling key: ${ACCOUNT_HELP}`)
  .addParam(
    "credential",
    "The off-chain credential document's text (licence, NPI, accreditation); only a salted commitment goes on chain",
  )
  .addParam("expires", `When the credential expires: ${TIME_HELP.end}`)
  .addOptionalParam("affiliation", "Organization id a practitioner or device is offered to (it must accept)")
  .addOptionalParam("consent", CONSENT)
  .addParam("from", `${FROM_HELP} (a registrar)`, "0")
  .setAction(
    async (
      args: {
        kind: string;
        controller: string;
        credential: string;
        expires: string;
        affiliation?: string;
        consent?: string;
        from: string;
      },
      hre,
    ) => {
      const { commit } = await import("../sdk/core/commitments");
      const kind = await kindOption(args.kind);
      const controller = await accountAddress(hre, "controller", args.controller);
      const affiliation = args.affiliation === undefined ? 0n : wholeNumber("affiliation", args.affiliation);
      const credentialExpiry = periodEnd("expires", args.expires);
      if (affiliation !== 0n) await (await lookup(hre)).participant("affiliation", affiliation);
      const identity = await client(hre, args.from);
      let consent: KeyConsent;
      let signedBy: string;
      if (args.consent !== undefined) {
        consent = await consentOption(hre, args.consent);
        signedBy = "given with --consent";
      } else {
        const key = await networkSigner(hre, controller);
        if (key === undefined) {
          fail(
            `--controller ${controller} must consent: it is not an account of network ${hre.network.name}, so ask ` +
              `its holder to run careledger:identity:consent --kind ${args.kind}` +
              `${affiliation === 0n ? "" : ` --affiliation ${affiliation}`} and give its output as --consent`,
          );
        }
        consent = await readable(() => identity.consentToRegistration(key, kind, affiliation));
        signedBy = "signed by the controller, an account of this network";
      }
      const { commitment, salt } = commit(args.credential);
      const { id, receipt } = await readable(() =>
        identity.registerParticipant({
          kind,
          controller,
          credentialCommitment: commitment,
          credentialExpiry,
          affiliation,
          consent,
        }),
      );
      const member = kind === ParticipantKind.Practitioner || kind === ParticipantKind.Device;
      print(`Participant ${id} registered`, {
        kind: await kindName(kind),
        controller,
        consent: signedBy,
        commitment,
        salt: `${salt}  (keep with the credential document; it is not stored anywhere else)`,
        ...(member && affiliation !== 0n
          ? {
              affiliation:
                `offered to organization ${affiliation}: inactive until it accepts (npx hardhat ` +
                `careledger:identity:accept-affiliate --id ${id} --network ${hre.network.name} --from <its key>)`,
            }
          : {}),
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

task("careledger:identity:offer-affiliate", "Registrar: offers a practitioner or device to an organization")
  .addParam("id", "The practitioner's or device's id")
  .addParam("organization", "The organization id it is offered to (its current affiliation stands until it accepts)")
  .addParam("from", `${FROM_HELP} (a registrar)`, "0")
  .setAction(async (args: { id: string; organization: string; from: string }, hre) => {
    const id = wholeNumber("id", args.id);
    const organization = wholeNumber("organization", args.organization);
    const look = await lookup(hre);
    await look.participant("id", id);
    await look.participant("organization", organization);
    const identity = await client(hre, args.from);
    const receipt = await readable(() => identity.setAffiliation(id, organization));
    print(`Participant ${id} offered to organization ${organization}`, {
      next:
        `npx hardhat careledger:identity:accept-affiliate --id ${id} --network ${hre.network.name} ` +
        "--from <the organization's key>",
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:identity:accept-affiliate", "Organization: accepts the practitioner or device a registrar offered it")
  .addParam("id", "The practitioner's or device's id")
  .addParam("from", `${FROM_HELP} (the key of the organization it was offered to)`, "0")
  .setAction(async (args: { id: string; from: string }, hre) => {
    const id = wholeNumber("id", args.id);
    await (await lookup(hre)).participant("id", id);
    const identity = await client(hre, args.from);
    const receipt = await readable(() => identity.acceptAffiliate(id));
    const participant = await identity.participant(id);
    print(`Participant ${id} now acts for organization ${participant.affiliation}`, {
      kind: await kindName(participant.kind),
      active: participant.active,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:identity:release-affiliate", "Organization: ends a practitioner's or device's affiliation with it")
  .addParam("id", "The practitioner's or device's id")
  .addParam("from", `${FROM_HELP} (the key of its current organization)`, "0")
  .setAction(async (args: { id: string; from: string }, hre) => {
    const id = wholeNumber("id", args.id);
    await (await lookup(hre)).participant("id", id);
    const identity = await client(hre, args.from);
    const organization = await identity.idOf(await (await signerFor(hre, args.from)).getAddress());
    const receipt = await readable(() => identity.releaseAffiliate(id));
    const participant = await identity.participant(id);
    print(`Participant ${id} released by organization ${organization}`, {
      active: `${participant.active} (inactive until a registrar offers it to an organization that accepts)`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:identity:show", "Shows a participant by id or by controlling address")
  .addOptionalParam("id", "Participant id")
  .addOptionalParam("address", `A controlling key: ${ACCOUNT_HELP}`)
  .setAction(async ({ id, address }: { id?: string; address?: string }, hre) => {
    const { ParticipantStatus } = await import("../sdk/identity/participants");
    const identity = await client(hre, "0");
    if (id !== undefined && address !== undefined) fail("give --id or --address, not both");
    const participantId =
      id !== undefined
        ? wholeNumber("id", id)
        : address !== undefined
          ? await identity.idOf(await accountAddress(hre, "address", address))
          : fail("give --id or --address");
    if (id !== undefined) await (await lookup(hre)).participant("id", participantId);
    else if (participantId === 0n) fail(`--address ${address ?? ""} controls no participant`);
    const p = await readable(() => identity.participant(participantId));
    let details: Record<string, unknown>;
    if (p.kind === ParticipantKind.Patient) {
      const { guardians, threshold, delay } = await identity.guardiansOf(participantId);
      const change = await identity.pendingGuardianChange(participantId);
      details = {
        identityProofed: p.identityProofed,
        guardians: guardians.length === 0 ? "none" : `${threshold} of [${guardians.join(", ")}], delay ${delay} s`,
        guardianChange:
          change === undefined
            ? "none waiting"
            : `${change.threshold} of [${change.guardians.join(", ")}], delay ${change.delay} s, from ` +
              `${iso(change.effectiveAt)} unless vetoed (${change.vetoes} veto(es))`,
      };
    } else {
      const member = p.kind === ParticipantKind.Practitioner || p.kind === ParticipantKind.Device;
      const offer = member ? await identity.registry.affiliationOffer(participantId) : 0n;
      details = {
        credentialCommitment: p.credentialCommitment,
        credentialExpiry: iso(p.credentialExpiry),
        ...(member
          ? {
              affiliation: p.affiliation === 0n ? "none accepted" : p.affiliation,
              affiliationOffer: offer === 0n ? "none" : `organization ${offer}, awaiting its acceptance`,
            }
          : {}),
      };
    }
    print(`Participant ${participantId}`, {
      kind: ParticipantKind[p.kind],
      status: ParticipantStatus[p.status],
      active: p.active,
      controller: p.controller,
      ...details,
      keyEpoch: p.keyEpoch,
    });
  });

task("careledger:identity:proof", "Registrar: marks a patient as identity-proofed")
  .addParam("id", "Patient id")
  .addParam("from", `${FROM_HELP} (a registrar)`, "0")
  .setAction(async ({ id, from }: { id: string; from: string }, hre) => {
    const patient = wholeNumber("id", id);
    await (await lookup(hre)).participant("id", patient, ParticipantKind.Patient);
    const identity = await client(hre, from);
    const receipt = await readable(() => identity.markIdentityProofed(patient));
    print(`Patient ${id} identity-proofed`, { tx: receipt.hash });
  });

const STATUS_ACTIONS = ["suspend", "reinstate", "revoke"] as const;

task("careledger:identity:status", "Registrar: suspends, reinstates or revokes a participant")
  .addParam("id", "Participant id")
  .addParam("action", `The change: ${oneOf(STATUS_ACTIONS)}`)
  .addParam("reason", STATUS_REASON, "0")
  .addParam("from", `${FROM_HELP} (a registrar)`, "0")
  .setAction(async (args: { id: string; action: string; reason: string; from: string }, hre) => {
    const id = wholeNumber("id", args.id);
    const reason = reasonCode("reason", args.reason, StatusReason);
    if (!(STATUS_ACTIONS as readonly string[]).includes(args.action)) {
      fail(`--action must be ${oneOf(STATUS_ACTIONS)}, got "${args.action}"`);
    }
    await (await lookup(hre)).participant("id", id);
    const identity = await client(hre, args.from);
    const actions = {
      suspend: () => identity.suspend(id, reason),
      reinstate: () => identity.reinstate(id, reason),
      revoke: () => identity.revoke(id, reason),
    } as const;
    const receipt = await readable(actions[args.action as keyof typeof actions]);
    print(`Participant ${id}: ${args.action}`, { reason: codeName(reason, StatusReason), tx: receipt.hash });
  });

// ---------------------------------------------------------------------------------------------------------------------
// Keys: rotation, guardians and recovery
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:identity:rotate", "Hands an id to a new key in one step; the old key stops working and is retired")
  .addParam("id", "Participant id")
  .addParam("to", `The new key: ${ACCOUNT_HELP}`)
  .addOptionalParam("consent", CONSENT.replace("careledger:identity:consent", "careledger:identity:consent --id N"))
  .addParam("from", `${FROM_HELP} (the current key)`, "0")
  .setAction(async (args: { id: string; to: string; consent?: string; from: string }, hre) => {
    const id = wholeNumber("id", args.id);
    const to = await accountAddress(hre, "to", args.to);
    await (await lookup(hre)).participant("id", id);
    const identity = await client(hre, args.from);
    let receipt;
    let signedBy: string;
    if (args.consent !== undefined) {
      const consent = await consentOption(hre, args.consent);
      receipt = await readable(() => identity.rotateController(id, to, consent));
      signedBy = "given with --consent";
    } else {
      const key = await networkSigner(hre, to);
      if (key === undefined) {
        fail(
          `--to ${to} must consent: it is not an account of network ${hre.network.name}, so ask its holder to run ` +
            `careledger:identity:consent --id ${id} and give its output as --consent`,
        );
      }
      receipt = await readable(() => identity.rotateTo(id, key));
      signedBy = "signed by the new key, an account of this network";
    }
    print(`Participant ${id} is now controlled by ${to}`, {
      previous: `${receipt.from} (retired: it can never control an id again)`,
      consent: signedBy,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:identity:guardians", "Patient: names the guardians who can recover the id (M of N), or changes them")
  .addParam("patient", "Patient id")
  .addParam("guardians", "Comma-separated guardian participant ids (empty to clear)", "")
  .addParam("threshold", "How many guardians must approve", 0, types.int)
  .addParam("delay", "Seconds between reaching the threshold and execution", 3 * 86_400, types.int)
  .addParam("from", `${FROM_HELP} (the patient's key)`, "0")
  .setAction(
    async (args: { patient: string; guardians: string; threshold: number; delay: number; from: string }, hre) => {
      const guardians = args.guardians === "" ? [] : args.guardians.split(",").map((g) => wholeNumber("guardians", g));
      const patient = wholeNumber("patient", args.patient);
      const look = await lookup(hre);
      await look.participant("patient", patient, ParticipantKind.Patient);
      for (const guardian of guardians) await look.participant("guardians", guardian);
      const identity = await client(hre, args.from);
      const receipt = await readable(() => identity.setGuardians(patient, guardians, args.threshold, args.delay));
      const change = await identity.pendingGuardianChange(patient);
      const asked = {
        guardians: guardians.join(", ") || "none",
        threshold: args.threshold,
        delaySeconds: args.delay,
      };
      if (change === undefined) {
        print(`Guardians of patient ${patient} set`, { ...asked, tx: receipt.hash });
        return;
      }
      print(`Guardian change of patient ${patient} scheduled`, {
        ...asked,
        effectiveAt: `${change.effectiveAt} (${iso(change.effectiveAt)}), unless a majority of the current guardians vetoes it`,
        next:
          `npx hardhat careledger:identity:guardian-change --patient ${patient} --action confirm ` +
          `--network ${hre.network.name} (anyone, from ${iso(change.effectiveAt)})`,
        tx: receipt.hash,
      });
    },
  );

const GUARDIAN_CHANGE_ACTIONS = ["confirm", "cancel", "veto"] as const;

task(
  "careledger:identity:guardian-change",
  "Confirms (anyone, once due), cancels (patient) or vetoes (guardian) a change",
)
  .addParam("patient", "Patient id")
  .addParam("action", `The step: ${oneOf(GUARDIAN_CHANGE_ACTIONS)}`)
  .addParam("from", `${FROM_HELP} (anyone to confirm, the patient's key to cancel, a current guardian's to veto)`, "0")
  .setAction(async (args: { patient: string; action: string; from: string }, hre) => {
    const patient = wholeNumber("patient", args.patient);
    if (!(GUARDIAN_CHANGE_ACTIONS as readonly string[]).includes(args.action)) {
      fail(`--action must be ${oneOf(GUARDIAN_CHANGE_ACTIONS)}, got "${args.action}"`);
    }
    await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
    const identity = await client(hre, args.from);
    const actions = {
      confirm: () => identity.confirmGuardianChange(patient),
      cancel: () => identity.cancelGuardianChange(patient),
      veto: () => identity.vetoGuardianChange(patient),
    } as const;
    const receipt = await readable(actions[args.action as keyof typeof actions]);
    const change = await identity.pendingGuardianChange(patient);
    const { guardians, threshold, delay } = await identity.guardiansOf(patient);
    print(`Guardian change of patient ${patient}: ${args.action}`, {
      guardians: guardians.length === 0 ? "none" : `${threshold} of [${guardians.join(", ")}], delay ${delay} s`,
      waiting:
        change === undefined
          ? "no change waiting"
          : `${change.threshold} of [${change.guardians.join(", ")}] from ${iso(change.effectiveAt)}, ${change.vetoes} veto(es)`,
      tx: receipt.hash,
    });
  });

task("careledger:identity:recover", "Guardian recovery: approve, withdraw or object (cancel at a quorum), or execute")
  .addParam("patient", "Patient id")
  .addParam(
    "action",
    "The step: approve or withdraw (a guardian), object (a guardian or the patient's key; a quorum cancels), or " +
      "execute (sent by the new key once the delay has passed)",
  )
  .addOptionalParam("to", `The new key the recovery is for (approve, withdraw, object): ${ACCOUNT_HELP}`)
  .addParam("from", FROM_HELP, "0")
  .setAction(async (args: { patient: string; action: string; to?: string; from: string }, hre) => {
    const patient = wholeNumber("patient", args.patient);
    const sender = await (await signerFor(hre, args.from)).getAddress();
    const identity = await client(hre, args.from);
    const actions = ["approve", "withdraw", "object", "execute"];
    if (!actions.includes(args.action)) {
      fail(`--action must be ${oneOf(actions)}, got "${args.action}"`);
    }
    await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
    let to: string;
    if (args.action === "execute") {
      to = args.to === undefined ? sender : await accountAddress(hre, "to", args.to);
      if (to !== sender) fail(`execute is sent by the new key itself: give --from ${to}`);
    } else {
      if (args.to === undefined) fail(`--to (the new key) is required to ${args.action}`);
      to = await accountAddress(hre, "to", args.to);
    }
    const receipt = await readable(() => {
      if (args.action === "approve") return identity.approveRecovery(patient, to);
      if (args.action === "withdraw") return identity.withdrawRecoveryApproval(patient, to);
      if (args.action === "object") return identity.cancelRecovery(patient, to);
      return identity.executeRecovery(patient);
    });
    if (args.action === "execute") {
      print(`Patient ${patient} is now controlled by ${to}`, { recovered: "by her guardians", tx: receipt.hash });
      return;
    }
    const recovery = await identity.recoveryOf(patient, to);
    print(`Recovery of patient ${patient} to ${to}: ${args.action}`, {
      recovery:
        recovery === undefined
          ? args.action === "object"
            ? "cancelled: the objections reached the quorum"
            : "none live"
          : `${recovery.approvals} approval(s), ${recovery.objections} objection(s), ` +
            (recovery.readyAt === 0n ? "threshold not reached" : `executable by ${to} from ${iso(recovery.readyAt)}`) +
            `, lapses ${iso(recovery.expiresAt)}`,
      tx: receipt.hash,
    });
  });

task("careledger:identity:representative", "Patient: appoints (or revokes) a representative")
  .addParam("patient", "Patient id")
  .addParam("representative", "Representative's participant id")
  .addOptionalParam("expires", `When the appointment ends (omit with --revoke): ${TIME_HELP.end}`)
  .addFlag("revoke", "Revoke instead of appointing")
  .addParam("from", `${FROM_HELP} (the patient's key)`, "0")
  .setAction(
    async (args: { patient: string; representative: string; expires?: string; revoke: boolean; from: string }, hre) => {
      const patient = wholeNumber("patient", args.patient);
      const representative = wholeNumber("representative", args.representative);
      if (args.revoke && args.expires !== undefined) fail("--expires goes with an appointment, not with --revoke");
      if (!args.revoke && args.expires === undefined) fail("--expires is required to appoint a representative");
      const expires = args.expires === undefined ? 0n : periodEnd("expires", args.expires);
      const look = await lookup(hre);
      await look.participant("patient", patient, ParticipantKind.Patient);
      await look.participant("representative", representative);
      const identity = await client(hre, args.from);
      let receipt;
      if (args.revoke) {
        receipt = await readable(() => identity.revokeRepresentative(patient, representative));
      } else {
        receipt = await readable(() => identity.appointRepresentative(patient, representative, expires));
      }
      print(
        `Representative ${args.representative} of patient ${args.patient}: ${args.revoke ? "revoked" : "appointed"}`,
        {
          tx: receipt.hash,
        },
      );
    },
  );

// ---------------------------------------------------------------------------------------------------------------------
// Identifiers (IdentifierRegistry): the issuer attests, the patient accepts
// ---------------------------------------------------------------------------------------------------------------------

task("careledger:identity:attest-identifier", "Institution: attests an identifier it issued to a patient (e.g. an MRN)")
  .addParam("patient", "Patient id")
  .addParam("system", "The identifier's system URI (e.g. the hospital's MRN namespace)")
  .addParam("value", "The identifier's value; only a salted commitment goes on chain")
  .addOptionalParam("salt", "The commitment's salt, 32 bytes of hex (default: a fresh one)")
  .addParam("from", `${FROM_HELP} (the issuing institution's key)`, "0")
  .setAction(async (args: { patient: string; system: string; value: string; salt?: string; from: string }, hre) => {
    const { identifierCommitment } = await import("../sdk/core/commitments");
    const patient = wholeNumber("patient", args.patient);
    if (args.system.trim() === "" || args.value.trim() === "") fail("--system and --value must not be empty");
    const salt = args.salt === undefined ? undefined : bytes32("salt", args.salt, true);
    await (await lookup(hre)).participant("patient", patient, ParticipantKind.Patient);
    const { commitment, salt: used } = identifierCommitment(args.system, args.value, salt);
    const signer = await signerFor(hre, args.from);
    const issuer = await (await client(hre, args.from)).idOf(await signer.getAddress());
    const registry = await identifiers(hre, args.from);
    const receipt = await readable(() => registry.attest(patient, commitment));
    print(`Identifier attested by issuer ${issuer} for patient ${patient}`, {
      commitment,
      salt: `${used}  (share only with providers the patient links; it is stored nowhere else)`,
      next:
        `npx hardhat careledger:identity:accept-identifier --patient ${patient} --issuer ${issuer} ` +
        `--commitment ${commitment} --network ${hre.network.name} --from <the patient's key>`,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:identity:accept-identifier", "Patient: accepts an issuer's attestation, binding the identifier")
  .addParam("patient", "Patient id")
  .addParam("issuer", "The issuing institution's id")
  .addParam("commitment", "The identifier commitment, as attest-identifier printed it")
  .addParam("from", `${FROM_HELP} (the patient's key)`, "0")
  .setAction(async (args: { patient: string; issuer: string; commitment: string; from: string }, hre) => {
    const patient = wholeNumber("patient", args.patient);
    const issuer = wholeNumber("issuer", args.issuer);
    const commitment = bytes32("commitment", args.commitment);
    const look = await lookup(hre);
    await look.participant("patient", patient, ParticipantKind.Patient);
    await look.participant("issuer", issuer);
    const registry = await identifiers(hre, args.from);
    const receipt = await readable(() => registry.accept(patient, issuer, commitment));
    const owner = await registry.ownerOf(issuer, commitment);
    print(`Identifier ${commitment} of issuer ${issuer} bound to patient ${owner ?? patient}`, {
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
  });

task("careledger:identity:withdraw-identifier", "Issuer or patient: withdraws an identifier attestation, bound or not")
  .addParam("issuer", "The issuing institution's id")
  .addParam("commitment", "The identifier commitment")
  .addParam("from", `${FROM_HELP} (the issuer's key or the patient's)`, "0")
  .setAction(async (args: { issuer: string; commitment: string; from: string }, hre) => {
    const issuer = wholeNumber("issuer", args.issuer);
    const commitment = bytes32("commitment", args.commitment);
    await (await lookup(hre)).participant("issuer", issuer);
    const registry = await identifiers(hre, args.from);
    const receipt = await readable(() => registry.withdraw(issuer, commitment));
    print(`Identifier ${commitment} of issuer ${issuer} withdrawn`, { gasUsed: receipt.gasUsed, tx: receipt.hash });
  });
