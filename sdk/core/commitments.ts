import { keccak_256 } from "@noble/hashes/sha3.js";
import { type BytesLike, getBytes, hexlify, isHexString, randomBytes, toUtf8Bytes } from "ethers";

/**
 * Salted commitments: what CareLedger puts on chain instead of data. A commitment is keccak256(salt ‖ data) with a
 * fresh 256-bit salt, so that even low-entropy data (a licence number, a medical record number) cannot be guessed
 * from its commitment. Keep the salt off chain with the data; without it nobody can link the two.
 */
export interface SaltedCommitment {
  commitment: string;
  salt: string;
}

/**
 * The salted commitment `keccak256(salt ‖ data)`, with a fresh 32-byte salt unless one is given. `data` is bytes, or a
 * `0x` string of whole bytes read as those bytes; any other string (text that merely starts with "0x" included) is
 * committed as its UTF-8 bytes.
 *
 * @throws Error if `salt` is not 32 bytes.
 */
export function commit(data: BytesLike | string, salt: BytesLike = randomBytes(32)): SaltedCommitment {
  const saltBytes = getBytes(salt);
  if (saltBytes.length !== 32) throw new Error(`a commitment salt must be 32 bytes, got ${saltBytes.length}`);
  const bytes = typeof data === "string" && !isHexString(data, true) ? toUtf8Bytes(data) : getBytes(data);
  // keccak256 over the bytes themselves: ethers' concat and keccak256 go through hex strings, four times the cost for
  // a record of a few kilobytes.
  const hasher = keccak_256.create().update(saltBytes).update(bytes);
  return { commitment: `0x${Buffer.from(hasher.digest()).toString("hex")}`, salt: hexlify(saltBytes) };
}

/** Checks that `data` and `salt` open `commitment`. */
export function verifyCommitment(commitment: string, data: BytesLike | string, salt: BytesLike): boolean {
  return commit(data, salt).commitment === commitment.toLowerCase();
}

/**
 * A cross-provider identifier commitment: the identifier's FHIR system URI and value (e.g. a hospital's medical
 * record number), committed with a salt the issuer draws and gives the patient with the identifier; she (or the issuer
 * on her behalf) shares it only with the providers she links.
 */
export function identifierCommitment(system: string, value: string, salt?: BytesLike): SaltedCommitment {
  if (system === "" || value === "") throw new Error("an identifier needs a system and a value");
  return commit(`${system}|${value}`, salt);
}
