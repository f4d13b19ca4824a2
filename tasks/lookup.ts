import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { ParticipantKind } from "../sdk/identity/participants";
import { deploymentOf, fail, kebab, oneOf } from "./util";

/**
 * Checks that the ids a task's options name exist on this chain before anything is sent or listed, so that an unknown
 * participant, plan, claim, request, session, prior authorization, record or member is refused in one line instead of
 * printing an empty result (a view of an unknown id reads as zeros) or a contract's raw refusal. Each registry tells
 * existence its own way: participant, plan, request, session and prior-authorization ids run from 1 to a count the
 * contract keeps; a claim id and a record's commitment are hashes, which the claim and record views answer for.
 */
export interface Lookup {
  /** A participant id, and, when `kinds` is given, one of those kinds (a `--patient` must name a patient). */
  participant(option: string, id: bigint, ...kinds: ParticipantKind[]): Promise<void>;
  /** A plan id. */
  plan(option: string, id: bigint): Promise<void>;
  /** A claim id (32 bytes of hex). */
  claim(option: string, claimId: string): Promise<void>;
  /** A consent access request id. */
  request(option: string, id: bigint): Promise<void>;
  /** A break-glass session id. */
  session(option: string, id: bigint): Promise<void>;
  /** A prior authorization id. */
  priorAuth(option: string, id: bigint): Promise<void>;
  /** A version of a record in the patient's namespace, by its commitment. */
  record(option: string, patient: bigint, commitment: string): Promise<void>;
  /**
   * A member pseudonym enrolled in `plan`, or in any plan when `plan` is undefined: given as `--member`, or derived from
   * `--member-number` (a HIPAA identifier, which the refusal never repeats).
   */
  member(option: "member" | "member-number", member: string, plan?: bigint): Promise<void>;
}

/** Connects read-only to the recorded deployment's registries; each check reads only what it needs. */
export async function lookup(hre: HardhatRuntimeEnvironment): Promise<Lookup> {
  const deployment = await deploymentOf(hre);
  const provider = hre.ethers.provider;
  const { IdentityClient } = await import("../sdk/identity/client");
  const { ParticipantKind: Kind } = await import("../sdk/identity/participants");
  const { ConsentClient } = await import("../sdk/consent/client");
  const { ClaimsClient } = await import("../sdk/claims/client");
  const { RecordClient, RecordStatus } = await import("../sdk/records/client");
  const identity = IdentityClient.connect(provider, deployment);
  const consent = ConsentClient.connect(provider, deployment);
  const claims = ClaimsClient.connect(provider, deployment);
  const records = RecordClient.connect(provider, deployment);

  /** "a patient", "an organization". */
  const article = (kind: number): string => {
    const name = kebab(Kind[kind] ?? String(kind));
    return `${/^[aeiou]/.test(name) ? "an" : "a"} ${name}`;
  };
  /** Ids run from 1 to `count`: "(the registry has 12)", "(the registry has none yet)". */
  const counted = (count: bigint, holder: string): string => `(${holder} has ${count === 0n ? "none yet" : count})`;

  return {
    async participant(option, id, ...kinds) {
      const last = await identity.registry.lastId();
      if (id === 0n || id > last) {
        fail(
          `--${option} ${id}: no participant ${id} on this chain ${counted(last, "the registry")}; look one up with ` +
            "careledger:identity:show",
        );
      }
      if (kinds.length === 0) return;
      const { kind } = await identity.participant(id);
      if (!kinds.includes(kind)) {
        fail(
          `--${option} ${id}: participant ${id} is ${article(kind)}, not ${oneOf(kinds.map(article))}; look one up ` +
            "with careledger:identity:show",
        );
      }
    },

    async plan(option, id) {
      const count = await claims.adjudicator.planCount();
      if (id === 0n || id > count) {
        fail(
          `--${option} ${id}: no plan ${id} on this chain ${counted(count, "the adjudicator")}; ` +
            (count === 0n ? "a payer creates one with careledger:plan:create" : "see one with careledger:plan:show"),
        );
      }
    },

    async claim(option, claimId) {
      try {
        await claims.adjudicator.claim(claimId);
      } catch (error) {
        const { CareLedgerError, decodeError } = await import("../sdk/core/errors");
        const decoded = decodeError(error);
        if (!(decoded instanceof CareLedgerError) || decoded.errorName !== "ClaimsUnknownClaim") throw error;
        fail(
          `--${option} ${claimId}: no claim with this id on this chain; careledger:claim:submit prints a claim's id ` +
            "and careledger:eob lists a member's claims",
        );
      }
    },

    async request(option, id) {
      const count = await consent.registry.requestCount();
      if (id === 0n || id > count) {
        fail(
          `--${option} ${id}: no access request ${id} on this chain ${counted(count, "the consent registry")}; ` +
            "careledger:consent:request prints a request's id",
        );
      }
    },

    async session(option, id) {
      const count = await consent.breakGlassWorkflow.sessionCount();
      if (id === 0n || id > count) {
        fail(
          `--${option} ${id}: no break-glass session ${id} on this chain ${counted(count, "the break-glass workflow")}; ` +
            "careledger:consent:unreviewed lists the sessions awaiting review",
        );
      }
    },

    async priorAuth(option, id) {
      const count = await claims.priorAuths.priorAuthCount();
      if (id === 0n || id > count) {
        fail(
          `--${option} ${id}: no prior authorization ${id} on this chain ${counted(count, "the prior-authorization workflow")}; ` +
            "careledger:prior-auth:request prints an authorization's id",
        );
      }
    },

    async record(option, patient, commitment) {
      const record = await records.verify(patient, commitment);
      if (record.status === RecordStatus.None) {
        fail(
          `--${option} ${commitment}: no record of patient ${patient} with this commitment on this chain; ` +
            "careledger:record:anchor prints a record's commitment (and a record in a batch has none until adopted)",
        );
      }
    },

    async member(option, member, plan) {
      const plans = plan === undefined ? await allPlans() : [plan];
      for (const id of plans) if ((await claims.adjudicator.enrollmentCount(id, member)) > 0n) return;
      const where = plan === undefined ? "in any plan on this chain" : `in plan ${plan}`;
      fail(
        option === "member-number"
          ? `--member-number: no member with the member number given is enrolled ${where}; check the number and ` +
              "the payer's member key"
          : `--member ${member}: no member with this pseudonym is enrolled ${where}; careledger:enroll prints a ` +
              "member's pseudonym",
      );
    },
  };

  async function allPlans(): Promise<bigint[]> {
    const count = await claims.adjudicator.planCount();
    return Array.from({ length: Number(count) }, (_, index) => BigInt(index + 1));
  }
}
