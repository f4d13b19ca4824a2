import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { deploymentOf, fail, print, readable, signerFor, unixTime, wholeNumber } from "./util";

/** Connects the identity client of the recorded deployment as `--from`. */
async function client(hre: HardhatRuntimeEnvironment, from: string) {
  const { IdentityClient } = await import("../sdk/identity");
  return IdentityClient.connect(await signerFor(hre, from), await deploymentOf(hre));
}

const FROM = "Account index or address that signs";

task("careledger:identity:register-patient", "Self-registers the signing account as a pseudonymous patient")
  .addParam("from", FROM, "0")
  .setAction(async ({ from }: { from: string }, hre) => {
    const identity = await client(hre, from);
    const { id, receipt } = await readable(() => identity.registerPatient());
    print(`Patient ${id} registered`, { controller: receipt.from, gasUsed: receipt.gasUsed, tx: receipt.hash });
  });

task("careledger:identity:register", "Registrar: registers a verified institution, practitioner or device")
  .addParam(
    "kind",
    "organization, practitioner, payer, pharmacy, manufacturer, distributor, research-sponsor, regulator or device",
  )
  .addParam("controller", "Address of the participant's controlling key")
  .addParam(
    "credential",
    "The off-chain credential document's text (licence, NPI, accreditation); only a salted commitment goes on chain",
  )
  .addParam("expires", "Credential expiry: Unix seconds or an ISO date")
  .addOptionalParam("affiliation", "Organization id a practitioner or device acts for")
  .addParam("from", `${FROM} (a registrar)`, "0")
  .setAction(
    async (
      args: {
        kind: string;
        controller: string;
        credential: string;
        expires: string;
        affiliation?: string;
        from: string;
      },
      hre,
    ) => {
      const { parseKind } = await import("../sdk/types");
      type ParticipantKind = ReturnType<typeof parseKind>;
      const { commit } = await import("../sdk/commitments");
      let kind: ParticipantKind;
      try {
        kind = parseKind(args.kind);
      } catch (error) {
        fail(`--kind: ${(error as Error).message}`);
      }
      const controller = args.controller;
      if (!hre.ethers.isAddress(controller)) fail(`--controller must be an address, got "${args.controller}"`);
      const { commitment, salt } = commit(args.credential);
      const identity = await client(hre, args.from);
      const { id, receipt } = await readable(() =>
        identity.registerParticipant({
          kind,
          controller: args.controller,
          credentialCommitment: commitment,
          credentialExpiry: unixTime("expires", args.expires),
          affiliation: args.affiliation === undefined ? 0n : wholeNumber("affiliation", args.affiliation),
        }),
      );
      print(`Participant ${id} registered`, {
        commitment,
        salt: `${salt}  (keep with the credential document; it is not stored anywhere else)`,
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
    },
  );

task("careledger:identity:show", "Shows a participant by id or by controlling address")
  .addOptionalParam("id", "Participant id")
  .addOptionalParam("address", "A controlling address")
  .setAction(async ({ id, address }: { id?: string; address?: string }, hre) => {
    const { ParticipantKind, ParticipantStatus } = await import("../sdk/types");
    const identity = await client(hre, "0");
    const participantId =
      id !== undefined
        ? wholeNumber("id", id)
        : address !== undefined
          ? await identity.idOf(address)
          : fail("give --id or --address");
    if (participantId === 0n) fail(`${address ?? ""} controls no participant`);
    const p = await readable(() => identity.participant(participantId));
    const guardians = p.kind === ParticipantKind.Patient ? await identity.guardiansOf(participantId) : undefined;
    print(`Participant ${participantId}`, {
      kind: ParticipantKind[p.kind],
      status: ParticipantStatus[p.status],
      active: p.active,
      controller: p.controller,
      ...(p.kind === ParticipantKind.Patient
        ? {
            identityProofed: p.identityProofed,
            guardians:
              guardians!.guardians.length === 0
                ? "none"
                : `${guardians!.threshold} of [${guardians!.guardians.join(", ")}], delay ${guardians!.delay} s`,
          }
        : {
            credentialCommitment: p.credentialCommitment,
            credentialExpiry: new Date(Number(p.credentialExpiry) * 1000).toISOString(),
            affiliation: p.affiliation === 0n ? "none" : p.affiliation,
          }),
      keyEpoch: p.keyEpoch,
    });
  });

task("careledger:identity:proof", "Registrar: marks a patient as identity-proofed")
  .addParam("id", "Patient id")
  .addParam("from", `${FROM} (a registrar)`, "0")
  .setAction(async ({ id, from }: { id: string; from: string }, hre) => {
    const identity = await client(hre, from);
    const receipt = await readable(() => identity.markIdentityProofed(wholeNumber("id", id)));
    print(`Patient ${id} identity-proofed`, { tx: receipt.hash });
  });

task("careledger:identity:status", "Registrar: suspends, reinstates or revokes a participant")
  .addParam("id", "Participant id")
  .addParam("action", "suspend, reinstate or revoke")
  .addParam("reason", "Reason code from the consortium's code list", 0, types.int)
  .addParam("from", `${FROM} (a registrar)`, "0")
  .setAction(async (args: { id: string; action: string; reason: number; from: string }, hre) => {
    const identity = await client(hre, args.from);
    const id = wholeNumber("id", args.id);
    const actions = {
      suspend: () => identity.suspend(id, args.reason),
      reinstate: () => identity.reinstate(id, args.reason),
      revoke: () => identity.revoke(id, args.reason),
    } as const;
    const action = actions[args.action as keyof typeof actions] as
      (() => ReturnType<typeof identity.suspend>) | undefined;
    if (action === undefined) fail(`--action must be suspend, reinstate or revoke, got "${args.action}"`);
    const receipt = await readable(action);
    print(`Participant ${id}: ${args.action}`, { reason: args.reason, tx: receipt.hash });
  });

task("careledger:identity:rotate", "Proposes a new controlling key (step one of a rotation)")
  .addParam("id", "Participant id")
  .addParam("to", "The new key's address")
  .addParam("hours", "Hours the new key has to accept (at most 720)", 72, types.int)
  .addParam("from", `${FROM} (the current key)`, "0")
  .setAction(async (args: { id: string; to: string; hours: number; from: string }, hre) => {
    if (args.hours <= 0 || args.hours > 720) fail(`--hours must be 1 to 720, got ${args.hours}`);
    const identity = await client(hre, args.from);
    const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
    const deadline = BigInt(now + args.hours * 3600);
    const receipt = await readable(() => identity.proposeRotation(wholeNumber("id", args.id), args.to, deadline));
    print(`Rotation of ${args.id} proposed`, {
      newKey: args.to,
      acceptBy: new Date(Number(deadline) * 1000).toISOString(),
      next: `npx hardhat careledger:identity:accept --id ${args.id} --from ${args.to} --network ${hre.network.name}`,
      tx: receipt.hash,
    });
  });

task("careledger:identity:accept", "Accepts a proposed key rotation (step two); the old key stops working")
  .addParam("id", "Participant id")
  .addParam("from", `${FROM} (the proposed key)`)
  .setAction(async ({ id, from }: { id: string; from: string }, hre) => {
    const identity = await client(hre, from);
    const receipt = await readable(() => identity.acceptRotation(wholeNumber("id", id)));
    print(`Participant ${id} is now controlled by ${receipt.from}`, { tx: receipt.hash });
  });

task("careledger:identity:guardians", "Patient: sets the guardians who can recover the id (M of N)")
  .addParam("patient", "Patient id")
  .addParam("guardians", "Comma-separated guardian participant ids (empty to clear)", "")
  .addParam("threshold", "How many guardians must approve", 0, types.int)
  .addParam("delay", "Seconds between reaching the threshold and execution", 3 * 86_400, types.int)
  .addParam("from", `${FROM} (the patient's key)`, "0")
  .setAction(
    async (args: { patient: string; guardians: string; threshold: number; delay: number; from: string }, hre) => {
      const guardians = args.guardians === "" ? [] : args.guardians.split(",").map((g) => wholeNumber("guardians", g));
      const identity = await client(hre, args.from);
      const receipt = await readable(() =>
        identity.setGuardians(wholeNumber("patient", args.patient), guardians, args.threshold, args.delay),
      );
      print(`Guardians of patient ${args.patient} set`, {
        guardians: guardians.join(", ") || "none",
        threshold: args.threshold,
        delaySeconds: args.delay,
        tx: receipt.hash,
      });
    },
  );

task(
  "careledger:identity:recover",
  "Guardian: approves recovering a patient's id to a new key, or executes or cancels it",
)
  .addParam("patient", "Patient id")
  .addParam("action", "approve, execute or cancel")
  .addOptionalParam("to", "The new key (for approve)")
  .addParam("from", FROM, "0")
  .setAction(async (args: { patient: string; action: string; to?: string; from: string }, hre) => {
    const identity = await client(hre, args.from);
    const patient = wholeNumber("patient", args.patient);
    let receipt;
    if (args.action === "approve") {
      if (args.to === undefined) fail("--to is required to approve a recovery");
      const to = args.to;
      receipt = await readable(() => identity.approveRecovery(patient, to));
    } else if (args.action === "execute") {
      receipt = await readable(() => identity.executeRecovery(patient));
    } else if (args.action === "cancel") {
      receipt = await readable(() => identity.cancelRecovery(patient));
    } else {
      fail(`--action must be approve, execute or cancel, got "${args.action}"`);
    }
    const pending = await identity.pendingRecoveryOf(patient);
    print(`Recovery of patient ${args.patient}: ${args.action}`, {
      pending:
        pending === undefined
          ? "none"
          : `to ${pending.newController}, ${pending.approvals} approval(s), ${pending.readyAt === 0n ? "threshold not reached" : `executable from ${new Date(Number(pending.readyAt) * 1000).toISOString()}`}`,
      tx: receipt.hash,
    });
  });

task("careledger:identity:representative", "Patient: appoints (or revokes) a representative")
  .addParam("patient", "Patient id")
  .addParam("representative", "Representative's participant id")
  .addOptionalParam("expires", "Appointment expiry: Unix seconds or an ISO date (omit with --revoke)")
  .addFlag("revoke", "Revoke instead of appointing")
  .addParam("from", `${FROM} (the patient's key)`, "0")
  .setAction(
    async (args: { patient: string; representative: string; expires?: string; revoke: boolean; from: string }, hre) => {
      const identity = await client(hre, args.from);
      const patient = wholeNumber("patient", args.patient);
      const representative = wholeNumber("representative", args.representative);
      let receipt;
      if (args.revoke) {
        receipt = await readable(() => identity.revokeRepresentative(patient, representative));
      } else {
        if (args.expires === undefined) fail("--expires is required to appoint a representative");
        const expires = unixTime("expires", args.expires);
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

task("careledger:identity:bind-identifier", "Patient: binds a salted commitment of a provider identifier (e.g. an MRN)")
  .addParam("patient", "Patient id")
  .addParam("system", "The identifier's system URI (e.g. the hospital's MRN namespace)")
  .addParam("value", "The identifier's value; only a salted commitment goes on chain")
  .addParam("from", `${FROM} (the patient's key)`, "0")
  .setAction(async (args: { patient: string; system: string; value: string; from: string }, hre) => {
    const { identifierCommitment } = await import("../sdk/commitments");
    const { commitment, salt } = identifierCommitment(args.system, args.value);
    const identity = await client(hre, args.from);
    const receipt = await readable(() =>
      identity.bindIdentifierCommitment(wholeNumber("patient", args.patient), commitment),
    );
    print(`Identifier commitment bound to patient ${args.patient}`, {
      commitment,
      salt: `${salt}  (share only with providers the patient links; it is stored nowhere else)`,
      tx: receipt.hash,
    });
  });
