import fs from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";

import { fail, print } from "./util";

/**
 * Record-encryption keys: a secp256k1 key pair whose public key readers publish (what `--readers` and `--reader-key`
 * take) and whose private key opens the envelopes sealed for it (what `--key-file` reads). They are kept apart from
 * account keys and never go on chain.
 *
 * The key file is one line, the private key as `0x` + 64 hex digits (what `--key` takes), created exclusively with
 * mode 0600, so that the key never has to appear on a command line, where it would land in the shell's history and in
 * the process list.
 */

/** The permission bits a key file may have: the owner's read and write. */
const OWNER_ONLY = 0o600;

/** Creates `file` (exclusively, mode 0600) holding `privateKey`; refuses an existing file or a missing directory. */
export function writeKeyFile(option: string, file: string, privateKey: string): void {
  let fd: number;
  try {
    // "wx": O_CREAT | O_EXCL, so an existing file (or a symlink planted in its place) is never followed or replaced.
    fd = fs.openSync(file, "wx", OWNER_ONLY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      fail(`--${option} ${file} already exists: a key file is never overwritten; choose a new name or move it away`);
    }
    if (code === "ENOENT") fail(`--${option} ${file}: the directory ${path.dirname(file)} does not exist`);
    fail(`--${option} ${file}: ${(error as Error).message}`);
  }
  try {
    fs.fchmodSync(fd, OWNER_ONLY); // whatever the umask, or a filesystem that ignored the mode at creation
    fs.writeSync(fd, `${privateKey}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The private key in a key file written by `careledger:keys:new` (or any file holding just the key's hex). Refuses a
 * file that other users may read, as ssh does, and never echoes the file's content.
 */
export function readKeyFile(option: string, file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") fail(`--${option} ${file} does not exist: make a key with careledger:keys:new --out FILE`);
    fail(`--${option} ${file}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) fail(`--${option} ${file} is not a file`);
  // Windows has no such permission bits (Node reports 0o666): there the file system's ACLs are what protect it.
  if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
    fail(`--${option} ${file} can be read by other users (mode ${mode}): run chmod 600 ${file}`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    fail(`--${option} ${file}: ${(error as Error).message}`);
  }
  const hex = text.startsWith("0x") ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    fail(`--${option} ${file} does not hold a secp256k1 private key (one line: 0x + 64 hex digits)`);
  }
  return hex.toLowerCase();
}

/**
 * The encryption private key given as `--key HEX` or `--key-file FILE` (not both), or undefined when neither is given.
 * `option` names the hex option (`key`); the file option is `<option>-file`.
 */
export function keyOption(option: string, hex: string | undefined, file: string | undefined): string | undefined {
  if (hex !== undefined && file !== undefined) fail(`give --${option} or --${option}-file, not both`);
  return file !== undefined ? readKeyFile(`${option}-file`, file) : hex;
}

task(
  "careledger:keys:new",
  "Makes a secp256k1 key pair for record encryption: prints the public key, saves the private",
)
  .addParam("out", "File to create for the private key (mode 0600; an existing file is never overwritten)")
  .addFlag("printPrivate", "Also print the private key (it lands in the terminal's scrollback and any log)")
  .setAction(async (args: { out: string; printPrivate: boolean }) => {
    const { secp256k1 } = await import("@noble/curves/secp256k1.js");
    const { hexlify } = await import("ethers");
    // @noble/curves draws the key from the operating system's CSPRNG (crypto.getRandomValues) and keeps drawing
    // until it is a valid scalar (non-zero, below the group order).
    const secret = secp256k1.utils.randomSecretKey();
    const privateKey = hexlify(secret);
    const publicKey = hexlify(secp256k1.getPublicKey(secret, true));
    secret.fill(0);
    const file = path.resolve(args.out);
    writeKeyFile("out", file, privateKey);
    print("Encryption key pair made (secp256k1, for sealing records; not an account key)", {
      publicKey: `${publicKey}  (give it to whoever seals records for you: --readers, --reader-key)`,
      privateKey: args.printPrivate ? privateKey : `in ${file} (mode 0600), not printed: pass --key-file ${file}`,
      ...(args.printPrivate ? { file: `${file} (mode 0600): pass --key-file ${file}` } : {}),
      keep: "a copy of the file somewhere safe: records sealed only for this key cannot be opened without it",
    });
  });
