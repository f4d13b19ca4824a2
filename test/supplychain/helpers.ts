import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, keccak256 } from "ethers";

/**
 * The supply-chain encodings, written out here from the contract's definitions (not from the SDK), so that the
 * contract tests check the contract against an independent reading of them:
 * serial and lot as `bytes20` ASCII left-aligned and zero-padded; a pack's lot leaf `(uint64 gtin, bytes20 serial,
 * bytes20 lot, uint32 expiry)`; a container's leaf `(uint8 kind, bytes32 ref)` with kind 0 and the serial key for a
 * pack (`packId`, the hash of its label), kind 1 and the child container's key for a container; both OpenZeppelin `StandardMerkleTree` leaves. A
 * container's key is `keccak256(abi.encode(uint64 sscc, uint64 packer, keccak256(abi.encode(childrenRoot, lotsHash))))`
 * (its packer: who packs it, or whose container's tree holds it), its lots
 * hash `keccak256(abi.encode(bytes32[] lotKeys))` over the keys sorted ascending.
 */
const coder = AbiCoder.defaultAbiCoder();

export interface Label {
  gtin: bigint;
  serial: string;
  lot: string;
  expiry: number;
}

export interface Hop {
  sscc: bigint;
  packer: bigint;
  childrenRoot: string;
  lotsHash: string;
  proof: string[];
}

export function bytes20(text: string): string {
  if (text.length === 0 || text.length > 20) throw new Error(`a serial or lot has 1 to 20 characters: ${text}`);
  return `0x${Buffer.from(text, "ascii").toString("hex").padEnd(40, "0")}`;
}

export function lotKey(gtin: bigint, lot: string): string {
  return keccak256(coder.encode(["uint64", "bytes20"], [gtin, bytes20(lot)]));
}

export function serialKey(gtin: bigint, serial: string): string {
  return keccak256(coder.encode(["uint64", "bytes20"], [gtin, bytes20(serial)]));
}

export function containerKey(sscc: bigint, packer: bigint, childrenRoot: string, lotsHash: string): string {
  const contents = keccak256(coder.encode(["bytes32", "bytes32"], [childrenRoot, lotsHash]));
  return keccak256(coder.encode(["uint64", "uint64", "bytes32"], [sscc, packer, contents]));
}

export function lotsHashOf(lotKeys: readonly string[]): string {
  return keccak256(coder.encode(["bytes32[]"], [lotKeys]));
}

/** The label as the contract takes it (`PackLabel`). */
export function onChain(label: Label): { gtin: bigint; serial: string; lot: string; expiry: number } {
  return { gtin: label.gtin, serial: bytes20(label.serial), lot: bytes20(label.lot), expiry: label.expiry };
}

type PackLeaf = [bigint, string, string, number];

/** A commissioned lot's tree, as its manufacturer keeps it off chain. */
export class LotTree {
  readonly tree: StandardMerkleTree<PackLeaf>;
  readonly labels: Label[];
  constructor(
    readonly gtin: bigint,
    readonly lot: string,
    readonly expiry: number,
    serials: readonly string[],
  ) {
    this.labels = serials.map((serial) => ({ gtin, serial, lot, expiry }));
    this.tree = StandardMerkleTree.of(
      this.labels.map((l): PackLeaf => [l.gtin, bytes20(l.serial), bytes20(l.lot), l.expiry]),
      ["uint64", "bytes20", "bytes20", "uint32"],
    );
  }
  get root(): string {
    return this.tree.root;
  }
  get key(): string {
    return lotKey(this.gtin, this.lot);
  }
  label(serial: string): Label {
    const found = this.labels.find((l) => l.serial === serial);
    if (found === undefined) throw new Error(`no pack ${serial} in lot ${this.lot}`);
    return found;
  }
  proof(serial: string): string[] {
    const l = this.label(serial);
    return this.tree.getProof([l.gtin, bytes20(l.serial), bytes20(l.lot), l.expiry]);
  }
}

/** A child of a container: a pack by its label, or a container (by its tree). */
export type Child = Label | ContainerTree;

/** A pack's id in its containers' trees: the hash of its whole label. */
export function packId(label: Label): string {
  return keccak256(
    coder.encode(
      ["uint64", "bytes20", "bytes20", "uint32"],
      [label.gtin, bytes20(label.serial), bytes20(label.lot), label.expiry],
    ),
  );
}

type ContainerLeaf = [number, string];

function childLeaf(child: Child): ContainerLeaf {
  return child instanceof ContainerTree ? [1, child.key] : [0, packId(child)];
}

/** A container's tree over its children, and the lots it names (sorted ascending, as the contract wants them). */
export class ContainerTree {
  readonly tree: StandardMerkleTree<ContainerLeaf>;
  readonly lotKeys: string[];
  constructor(
    readonly sscc: bigint,
    readonly children: readonly Child[],
    lotKeys: readonly string[],
    readonly packer: bigint,
  ) {
    this.tree = StandardMerkleTree.of(children.map(childLeaf), ["uint8", "bytes32"]);
    this.lotKeys = [...new Set(lotKeys)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  }
  get root(): string {
    return this.tree.root;
  }
  get lotsHash(): string {
    return lotsHashOf(this.lotKeys);
  }
  get key(): string {
    return containerKey(this.sscc, this.packer, this.root, this.lotsHash);
  }
  /** The hop of this container for `child`: what it committed to and the child's proof. */
  hop(child: Child): Hop {
    return {
      sscc: this.sscc,
      packer: this.packer,
      childrenRoot: this.root,
      lotsHash: this.lotsHash,
      proof: this.tree.getProof(childLeaf(child)),
    };
  }
}

/** The GS1 mod-10 check digit appended to `body` (13 digits for a GTIN-14, 17 for an SSCC). */
export function withCheckDigit(body: bigint, digits: number): bigint {
  const text = body.toString().padStart(digits - 1, "0");
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = Number(text[text.length - 1 - i]);
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return body * 10n + BigInt((10 - (sum % 10)) % 10);
}

/** The `n`th SSCC of the fixture's company (extension digit 0, company prefix 0950110, serial reference n). */
export function sscc(n: number): bigint {
  return withCheckDigit(9_501_100_000_000_000n + BigInt(n), 18);
}

/** A distinct non-zero hash per label, for EPCIS event hashes and commitments in tests. */
export function hashOf(label: string): string {
  return keccak256(Buffer.from(label, "utf8"));
}

/** Serials `S000001` … of a lot of `count` packs, with an optional prefix. */
export function serials(count: number, prefix = "S"): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(6, "0")}`);
}

/** An expiry (YYMMDD) about two years after 2026, well in the future of the test chain. */
export const EXPIRY = 281231;
