/**
 * The Merkle trees behind commissioning and aggregation, and the shipment package a seller hands a buyer.
 *
 * A lot's tree has one leaf per pack, `[gtin, serial, lot, expiry]` ({@link PACK_LEAF_ENCODING}): the chain stores only
 * its root and count, the manufacturer keeps the tree (see {@link LotTree.dump}), and anyone holding a pack and its
 * proof can check it against the root. A container's tree has one leaf per child, a pack by its {@link packId} (its
 * whole label) or a container by its key ({@link CONTAINER_LEAF_ENCODING}); the chain names the container by its key,
 * `containerKey(sscc, root, lotsHash)`, which commits to what it holds.
 * Both are OpenZeppelin StandardMerkleTrees (double-hashed leaves, sorted pairs), which the contract verifies with
 * `MerkleProof.verify`.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import { SimpleMerkleTree, StandardMerkleTree } from "@openzeppelin/merkle-tree";

import {
  bytes20Text,
  CHILD_CONTAINER,
  CHILD_PACK,
  CONTAINER_LEAF_ENCODING,
  containerContents,
  containerKey,
  expiryValue,
  gtinValue,
  IdentifierError,
  lotKey,
  lotsHash,
  MAX_CONTAINER_CHILDREN,
  MAX_LOT_PACKS,
  MAX_PATH_DEPTH,
  MAX_SUPPLY_PROOF_LENGTH,
  PACK_LEAF_ENCODING,
  packId,
  packLeafValues,
  sortedLotKeys,
  ssccValue,
  textBytes20,
  type Pack,
} from "./identifiers";

/** A tree input refused (empty, oversize, repeated, inconsistent): says what, quoting at most one identifier. */
export class SupplyTreeError extends Error {
  override name = "SupplyTreeError";
}

/** A pack leaf as stored in a dump: the uint64 as a decimal string, so the dump is plain JSON (no bigint). */
type PackLeaf = [string, string, string, number];
/** A container leaf: kind (0 pack, 1 container) and id (the pack's id, or the container's key). */
type ContainerLeaf = [number, string];
/** OpenZeppelin's own dump of a StandardMerkleTree (`format: "standard-v1"`). */
type PackTreeData = ReturnType<StandardMerkleTree<PackLeaf>["dump"]>;

/** The JSON a manufacturer keeps for a commissioned lot: enough to give any pack its proof later. */
export interface LotTreeDump {
  format: "careledger-lot/1";
  gtin: string;
  lot: string;
  expiry: string;
  tree: PackTreeData;
}

/** A lot's tree: what is commissioned on chain (root, count) and each pack's proof. */
export interface LotTree {
  gtin: string;
  lot: string;
  expiry: string;
  /** `lotKey(gtin, lot)`: the lot's id in the registry. */
  lotKey: string;
  /** The Merkle root committed on chain. */
  root: string;
  /** How many packs the lot holds, committed with the root. */
  count: number;
  /** Whether the lot holds `serial`. */
  has(serial: string): boolean;
  /** The pack with `serial`, as printed on it. */
  pack(serial: string): Pack;
  /** The proof of the pack with `serial` against {@link LotTree.root}; throws if the lot does not hold it. */
  proof(serial: string): string[];
  /** Every serial, in the order given. */
  serials(): string[];
  /** The tree as JSON, for the manufacturer to keep off chain; {@link loadLot} reads it back. */
  dump(): LotTreeDump;
}

/**
 * Builds a lot's tree over `serials` (each 1–20 characters of set 82). Refuses an empty lot, more than
 * {@link MAX_LOT_PACKS} packs and a repeated serial: the chain commits the count with the root, and a repeated serial
 * would let one pack be counted twice.
 */
export function buildLot(gtin: string, lot: string, expiry: string, serials: readonly string[]): LotTree {
  if (serials.length === 0) throw new SupplyTreeError("a lot holds at least one pack");
  if (serials.length > MAX_LOT_PACKS) {
    throw new SupplyTreeError(`a lot holds at most ${MAX_LOT_PACKS} packs, got ${serials.length}`);
  }
  const gtinText = gtinValue(gtin).toString();
  const lotBytes = textBytes20(lot, "lot");
  const expiryNumber = expiryValue(expiry);
  const seen = new Set<string>();
  const leaves = serials.map((serial, index): PackLeaf => {
    if (seen.has(serial)) throw new SupplyTreeError(`serial at index ${index} repeats an earlier serial`);
    seen.add(serial);
    return [gtinText, textBytes20(serial, `serial at index ${index}`), lotBytes, expiryNumber];
  });
  return lotTree(gtin, lot, expiry, leaves);
}

/**
 * Reads back a {@link LotTreeDump}: every leaf must be a pack of the dump's GTIN, lot and expiry, and the tree rebuilt
 * from those packs must have the dump's root, so a corrupted or foreign dump cannot hand out proofs.
 */
export function loadLot(dump: LotTreeDump): LotTree {
  if ((dump.format as string) !== "careledger-lot/1") throw new SupplyTreeError("not a careledger-lot/1 dump");
  const encoding: readonly string[] = dump.tree.leafEncoding;
  if (encoding.join() !== PACK_LEAF_ENCODING.join()) {
    throw new SupplyTreeError("the dump's leaf encoding is not a pack's");
  }
  const expected = [gtinValue(dump.gtin).toString(), textBytes20(dump.lot, "lot"), expiryValue(dump.expiry)];
  const leaves = dump.tree.values.map(({ value }, index): PackLeaf => {
    if (value[0] !== expected[0] || value[2] !== expected[1] || value[3] !== expected[2]) {
      throw new SupplyTreeError(`leaf ${index} of the dump is not a pack of its lot`);
    }
    return [value[0], textBytes20(bytes20Text(value[1]), `serial of leaf ${index}`), value[2], value[3]];
  });
  const tree = lotTree(dump.gtin, dump.lot, dump.expiry, leaves);
  if (tree.root !== dump.tree.tree[0]) throw new SupplyTreeError("the dump's tree does not match its packs");
  return tree;
}

/**
 * The tree of a lot's leaves. Built as OpenZeppelin's StandardMerkleTree builds it — leaf `keccak256(keccak256(
 * abi.encode(leaf)))`, leaves sorted by hash, sorted-pair node hashes — but with the leaf hashes computed here and
 * handed to OpenZeppelin's SimpleMerkleTree: every field of a pack leaf is one 32-byte word, so its encoding is four
 * padded words, and hashing them directly is 4x faster than OpenZeppelin's generic encoder on a 50,000-pack lot. The
 * dump is in OpenZeppelin's `standard-v1` format, so `StandardMerkleTree.load` reads it (a test checks the two agree).
 */
function lotTree(gtin: string, lot: string, expiry: string, leaves: readonly PackLeaf[]): LotTree {
  const hashes = leaves.map(packLeafHash);
  const order = hashes.map((_, position) => position).sort((a, b) => (hashes[a]! < hashes[b]! ? -1 : 1));
  const built = SimpleMerkleTree.of(
    order.map((position) => hashes[position]!),
    { sortLeaves: false },
  ).dump();
  const nodes = built.tree;
  const treeIndex = new Array<number>(leaves.length);
  order.forEach((position, sorted) => (treeIndex[position] = built.values[sorted]!.treeIndex));
  const index = new Map(leaves.map((leaf, position) => [bytes20Text(leaf[1]), position]));
  const positionOf = (serial: string): number => {
    const position = index.get(serial);
    if (position === undefined) throw new SupplyTreeError("the lot does not hold that serial");
    return position;
  };
  return {
    gtin,
    lot,
    expiry,
    lotKey: lotKey(gtin, lot),
    root: nodes[0]!,
    count: leaves.length,
    has: (serial) => index.has(serial),
    pack: (serial) => {
      positionOf(serial);
      return { gtin, serial, lot, expiry };
    },
    proof: (serial) => siblings(nodes, treeIndex[positionOf(serial)]!),
    serials: () => Array.from(index.keys()),
    dump: () => ({
      format: "careledger-lot/1",
      gtin,
      lot,
      expiry,
      tree: {
        format: "standard-v1",
        leafEncoding: [...PACK_LEAF_ENCODING],
        tree: [...nodes],
        values: leaves.map((value, position) => ({ value, treeIndex: treeIndex[position]! })),
      },
    }),
  };
}

/** `keccak256(keccak256(abi.encode(uint64 gtin, bytes20 serial, bytes20 lot, uint32 expiry)))`, lowercase hex. */
function packLeafHash(leaf: PackLeaf): string {
  const words =
    BigInt(leaf[0]).toString(16).padStart(64, "0") +
    leaf[1].slice(2).toLowerCase().padEnd(64, "0") +
    leaf[2].slice(2).toLowerCase().padEnd(64, "0") +
    leaf[3].toString(16).padStart(64, "0");
  return `0x${bytesToHex(keccak_256(keccak_256(hexToBytes(words))))}`;
}

/** `keccak256(keccak256(abi.encode(uint8 kind, bytes32 id)))`: a container tree's leaf hash, lowercase hex. */
function containerLeafHash(leaf: ContainerLeaf): string {
  const words = leaf[0].toString(16).padStart(64, "0") + leaf[1].slice(2).toLowerCase();
  return `0x${bytesToHex(keccak_256(keccak_256(hexToBytes(words))))}`;
}

/**
 * Whether `proof` leads from `leafHash` to `root` as OpenZeppelin's MerkleProof.verify computes it (sorted pairs,
 * keccak256). Written out because StandardMerkleTree.verify re-encodes the leaf through its generic ABI encoder, which
 * made checking a 10,000-pack shipment package take 6 s; the tests check the same proofs with StandardMerkleTree.verify.
 */
function opens(root: string, leafHash: string, proof: readonly string[]): boolean {
  let node = hexToBytes(leafHash.slice(2));
  for (const sibling of proof) {
    const other = hexToBytes(sibling.slice(2));
    node = keccak_256(compareBytes(node, other) <= 0 ? concatBytes(node, other) : concatBytes(other, node));
  }
  return `0x${bytesToHex(node)}` === root.toLowerCase();
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return a[index]! - b[index]!;
  return 0;
}

/** The proof of the node at `node`: the siblings up to the root (OpenZeppelin's layout, see {@link proofReader}). */
function siblings(nodes: readonly string[], node: number): string[] {
  const proof: string[] = [];
  for (let at = node; at > 0; at = Math.floor((at - 1) / 2)) proof.push(nodes[at % 2 === 1 ? at + 1 : at - 1]!);
  return proof;
}

/**
 * Proofs read straight from a tree this module built: the siblings on the way from the leaf to the root in
 * OpenZeppelin's layout (node i has children 2i+1 and 2i+2, so its sibling is i+1 when i is odd, i-1 when even).
 * `getProof` re-encodes and re-hashes the leaf on every call to guard against a tampered tree, which tripled the time
 * of a 10,000-pack shipment package; these trees come from `of` (or `load`, which validates) and are not mutated.
 */
function proofReader<T extends unknown[]>(tree: StandardMerkleTree<T>): (position: number) => string[] {
  const { tree: nodes, values } = tree.dump();
  return (position) => siblings(nodes, values[position]!.treeIndex);
}

/** A child of a container: a pack, or a container (by its tree: its key commits to what it holds). */
export type ContainerChild = { pack: Pack } | { container: ContainerTree };

/** A container's tree: what is packed on chain (its contents) and each child's proof. */
export interface ContainerTree {
  sscc: string;
  /** The root over the children. */
  root: string;
  /** The lot keys the container names, sorted strictly ascending as the contract requires. */
  lotKeys: string[];
  /** `lotsHash(lotKeys)`. */
  lotsHash: string;
  /** `containerContents(root, lotsHash)`: its commitment to what it holds. */
  contents: string;
  /** The participant that commits to its contents: who packs it on chain, or, if it is packed only inside another's
   * tree, that container's packer. */
  packer: bigint;
  /** `containerKey(sscc, packer, root, lotsHash)`: its name in the registry, and its id in a parent's tree. */
  key: string;
  /** The children, in the order given. */
  children: readonly ContainerChild[];
  /** The proof of `child` against {@link ContainerTree.root}; throws if the container does not hold it. */
  proof(child: ContainerChild): string[];
}

/** The leaf of `child` in its container's tree: `[0, packId]` for a pack, `[1, containerKey]` for a container. */
export function containerLeaf(child: ContainerChild): ContainerLeaf {
  return "pack" in child ? [CHILD_PACK, packId(child.pack)] : [CHILD_CONTAINER, child.container.key];
}

/**
 * Builds container `sscc`'s tree over `children`, naming `lotKeys` (the lots of every pack inside, nested ones
 * included). Refuses no children, more than {@link MAX_CONTAINER_CHILDREN}, a repeated child, the container inside
 * itself, and a pack child whose lot, or a container child one of whose lots, is not among `lotKeys` (a container
 * that hid a lot would escape its recall).
 * `packer` is the participant id that commits to it (who packs it, or whose container's tree holds it).
 */
export function buildContainer(
  sscc: string,
  children: readonly ContainerChild[],
  lotKeys: readonly string[],
  packer: bigint,
): ContainerTree {
  ssccValue(sscc);
  if (children.length === 0) throw new SupplyTreeError("a container holds at least one child");
  if (children.length > MAX_CONTAINER_CHILDREN) {
    throw new SupplyTreeError(`a container holds at most ${MAX_CONTAINER_CHILDREN} children, got ${children.length}`);
  }
  let sorted: string[];
  try {
    sorted = sortedLotKeys(lotKeys);
  } catch (error) {
    throw new SupplyTreeError(error instanceof IdentifierError ? error.message : String(error));
  }
  const named = new Set(sorted);
  const seen = new Map<string, number>();
  const leaves = children.map((child, index): ContainerLeaf => {
    if ("container" in child && child.container.sscc === sscc) {
      throw new SupplyTreeError(`child ${index} is the container itself`);
    }
    if ("pack" in child) {
      expiryValue(child.pack.expiry);
      if (!named.has(lotKey(child.pack.gtin, child.pack.lot))) {
        throw new SupplyTreeError(`child ${index}'s lot is not among the container's lots`);
      }
    } else {
      const hidden = child.container.lotKeys.find((key) => !named.has(key));
      if (hidden !== undefined) {
        throw new SupplyTreeError(
          `child ${index} (container ${child.container.sscc}) holds lot ${hidden}, not among the container's lots`,
        );
      }
    }
    const leaf = containerLeaf(child);
    if (seen.has(leaf[1])) throw new SupplyTreeError(`child ${index} repeats child ${seen.get(leaf[1])}`);
    seen.set(leaf[1], index);
    return leaf;
  });
  const tree = StandardMerkleTree.of(leaves, [...CONTAINER_LEAF_ENCODING]);
  const proofOf = proofReader(tree);
  const hash = lotsHash(sorted);
  return {
    sscc,
    root: tree.root,
    lotKeys: sorted,
    lotsHash: hash,
    contents: containerContents(tree.root, hash),
    packer,
    key: containerKey(sscc, packer, tree.root, hash),
    children,
    proof: (child) => {
      const position = seen.get(containerLeaf(child)[1]);
      if (position === undefined) throw new SupplyTreeError("the container does not hold that child");
      return proofOf(position);
    },
  };
}

/** One container of a shipment, stored once in a {@link ShipmentPackage}. */
export interface ShipmentContainer {
  sscc: string;
  /** Its packer's participant id, as a decimal string (JSON). */
  packer: string;
  childrenRoot: string;
  lotsHash: string;
  /** The lot keys it names, sorted ascending ({@link lotsHash} of them is `lotsHash`). */
  lots: string[];
  /** The container it is packed in (absent for the shipped container). */
  parent?: string;
  /** Its proof as `[1, key]` against the parent's childrenRoot (empty for the shipped container). */
  proof: string[];
}

/** One pack of a shipment: its label, its proof in its lot, and its proof in the container directly holding it. */
export interface ShipmentPack {
  pack: Pack;
  lotProof: string[];
  /** The SSCC of the innermost container holding it. */
  container: string;
  /** Its proof as `[0, packId]` against that container's childrenRoot. */
  proof: string[];
}

/**
 * What a seller hands the buyer with a shipment, so the buyer checks every pack at receipt without asking anyone.
 * Each container is stored once with its proof in its parent; each pack carries only its two leaf proofs, and
 * {@link custodyPath} rebuilds its full path. Plain JSON.
 */
export interface ShipmentPackage {
  format: "careledger-shipment/1";
  shipped: { sscc: string; packer: string; childrenRoot: string; lotsHash: string; lots: string[] };
  containers: ShipmentContainer[];
  packs: ShipmentPack[];
}

/** One step of a pack's custody path: a container, and the proof of the level below in its childrenRoot. */
export interface CustodyStep {
  sscc: string;
  /** The participant that committed to the container (the contract's `Hop.packer`). */
  packer: bigint;
  childrenRoot: string;
  lotsHash: string;
  proof: string[];
}

/**
 * The shipment package for `shipped`: walks its children through its nested containers (at most
 * {@link MAX_PATH_DEPTH} containers deep) and proves each pack in its lot from `lots`. Refuses a lot it is not given,
 * and a container reached twice.
 */
export function buildShipmentPackage(shipped: ContainerTree, lots: readonly LotTree[]): ShipmentPackage {
  const lotsByKey = new Map(lots.map((tree) => [tree.lotKey, tree]));
  const containers: ShipmentContainer[] = [];
  const packs: ShipmentPack[] = [];
  const visited = new Set<string>();
  const walk = (tree: ContainerTree, parent: ContainerTree | undefined, depth: number): void => {
    if (depth > MAX_PATH_DEPTH) throw new SupplyTreeError(`containers nest deeper than ${MAX_PATH_DEPTH}`);
    if (visited.has(tree.sscc)) throw new SupplyTreeError("a container is reached twice in the shipment");
    visited.add(tree.sscc);
    containers.push({
      sscc: tree.sscc,
      packer: tree.packer.toString(),
      childrenRoot: tree.root,
      lotsHash: tree.lotsHash,
      lots: tree.lotKeys,
      ...(parent === undefined ? {} : { parent: parent.sscc }),
      proof: parent === undefined ? [] : parent.proof({ container: tree }),
    });
    for (const child of tree.children) {
      if ("container" in child) {
        walk(child.container, tree, depth + 1);
      } else {
        const lot = lotsByKey.get(lotKey(child.pack.gtin, child.pack.lot));
        if (lot === undefined) throw new SupplyTreeError("a pack's lot tree was not given");
        packs.push({
          pack: child.pack,
          lotProof: lot.proof(child.pack.serial),
          container: tree.sscc,
          proof: tree.proof(child),
        });
      }
    }
  };
  walk(shipped, undefined, 1);
  return {
    format: "careledger-shipment/1",
    shipped: {
      sscc: shipped.sscc,
      packer: shipped.packer.toString(),
      childrenRoot: shipped.root,
      lotsHash: shipped.lotsHash,
      lots: shipped.lotKeys,
    },
    containers,
    packs,
  };
}

/** The shipped container's commitment to what it holds. */
export function shippedContents(pkg: ShipmentPackage): string {
  return containerContents(pkg.shipped.childrenRoot, pkg.shipped.lotsHash);
}

/** The shipped container's key: the buyer compares it with the shipment on chain (`Shipped.unit`). */
export function shippedKey(pkg: ShipmentPackage): string {
  return containerKey(pkg.shipped.sscc, BigInt(pkg.shipped.packer), pkg.shipped.childrenRoot, pkg.shipped.lotsHash);
}

/** Pack `index`'s custody path, innermost container first, ending with the shipped container. */
export function custodyPath(pkg: ShipmentPackage, index: number): CustodyStep[] {
  const entry = pkg.packs[index];
  if (entry === undefined) throw new SupplyTreeError(`the package has no pack ${index}`);
  const bySscc = new Map(pkg.containers.map((container) => [container.sscc, container]));
  const path: CustodyStep[] = [];
  let proof = entry.proof;
  let current = bySscc.get(entry.container);
  while (current !== undefined) {
    if (path.length >= MAX_PATH_DEPTH) throw new SupplyTreeError(`custody path deeper than ${MAX_PATH_DEPTH}`);
    path.push({
      sscc: current.sscc,
      packer: BigInt(current.packer),
      childrenRoot: current.childrenRoot,
      lotsHash: current.lotsHash,
      proof,
    });
    proof = current.proof;
    current = current.parent === undefined ? undefined : bySscc.get(current.parent);
  }
  return path;
}

/** A pack of a shipment package that does not verify, and why (one line). */
export interface ShipmentFailure {
  index: number;
  pack: Pack;
  reason: string;
}

/**
 * Checks every proof of a shipment package offline: each pack is a pack of a lot in `lotRoots` (lot key → root, read
 * from the chain), its lot is named by every container on its path, and its path of containers leads by valid proofs
 * to the shipped container; with `expectedKey` (the key of the container the chain says was shipped), the shipped container
 * must match it. Returns the packs that fail, each with its reason; an empty list means every pack verified.
 */
export function verifyShipmentPackage(
  pkg: ShipmentPackage,
  lotRoots: ReadonlyMap<string, string>,
  expectedKey?: string,
): ShipmentFailure[] {
  const packageProblem = shipmentProblem(pkg, expectedKey);
  const containers = new ContainerChecks(pkg);
  const failures: ShipmentFailure[] = [];
  pkg.packs.forEach((entry, index) => {
    const reason = packageProblem ?? packProblem(entry, pkg.shipped.sscc, containers, lotRoots);
    if (reason !== undefined) failures.push({ index, pack: entry.pack, reason });
  });
  return failures;
}

/**
 * The checks of a package's containers, each done once however many packs it holds: its lots match its lots hash,
 * and its proof opens its parent's childrenRoot.
 */
class ContainerChecks {
  private readonly _bySscc: ReadonlyMap<string, ShipmentContainer>;
  private readonly _problems = new Map<string, string | undefined>();

  constructor(pkg: ShipmentPackage) {
    this._bySscc = new Map(pkg.containers.map((container) => [container.sscc, container]));
  }

  get(sscc: string): ShipmentContainer | undefined {
    return this._bySscc.get(sscc);
  }

  problem(container: ShipmentContainer): string | undefined {
    if (!this._problems.has(container.sscc)) this._problems.set(container.sscc, this._check(container));
    return this._problems.get(container.sscc);
  }

  private _check(container: ShipmentContainer): string | undefined {
    if (lotsHashOf(container.lots) !== container.lotsHash) {
      return `container ${container.sscc}'s lots do not match its lots hash`;
    }
    if (container.parent === undefined) return undefined;
    const parent = this._bySscc.get(container.parent);
    if (parent === undefined) return `container ${container.sscc}'s parent is not in the package`;
    let leaf: ContainerLeaf;
    try {
      leaf = [
        CHILD_CONTAINER,
        containerKey(container.sscc, BigInt(container.packer), container.childrenRoot, container.lotsHash),
      ];
    } catch {
      return "a container's SSCC is not valid";
    }
    return proofShapeOk(container.proof) && opens(parent.childrenRoot, containerLeafHash(leaf), container.proof)
      ? undefined
      : `container proof in ${parent.sscc} does not verify`;
  }
}

function shipmentProblem(pkg: ShipmentPackage, expectedKey: string | undefined): string | undefined {
  if ((pkg.format as string) !== "careledger-shipment/1") return "not a careledger-shipment/1 package";
  if (expectedKey !== undefined && shippedKey(pkg) !== expectedKey.toLowerCase()) {
    return "the shipped container is not the one the chain says was shipped";
  }
  const shipped = pkg.containers.find((container) => container.sscc === pkg.shipped.sscc);
  if (shipped === undefined || shipped.parent !== undefined || shipped.childrenRoot !== pkg.shipped.childrenRoot) {
    return "the shipped container's entry does not match the package's header";
  }
  if (shipped.lotsHash !== pkg.shipped.lotsHash) return "the shipped container's lots hash does not match the header";
  return undefined;
}

function packProblem(
  entry: ShipmentPack,
  shippedSscc: string,
  containers: ContainerChecks,
  lotRoots: ReadonlyMap<string, string>,
): string | undefined {
  let leaf: PackLeaf;
  let key: string;
  let packLeaf: ContainerLeaf;
  try {
    const [gtin, serial, lot, expiry] = packLeafValues(entry.pack);
    leaf = [gtin.toString(), serial, lot, expiry];
    key = lotKey(entry.pack.gtin, entry.pack.lot);
    packLeaf = [CHILD_PACK, packId(entry.pack)];
  } catch (error) {
    return `label is not valid: ${error instanceof Error ? error.message : String(error)}`;
  }
  const root = lotRoots.get(key);
  if (root === undefined) return "its lot is not commissioned (no root for its lot key)";
  if (!proofShapeOk(entry.lotProof) || !opens(root, packLeafHash(leaf), entry.lotProof)) {
    return "lot proof does not verify against the lot's root";
  }
  let container = containers.get(entry.container);
  if (container === undefined) return "its container is not in the package";
  if (!proofShapeOk(entry.proof) || !opens(container.childrenRoot, containerLeafHash(packLeaf), entry.proof)) {
    return `proof in container ${container.sscc} does not verify`;
  }
  for (let depth = 1; ; depth++) {
    if (depth > MAX_PATH_DEPTH) return `custody path deeper than ${MAX_PATH_DEPTH}`;
    const problem = containers.problem(container);
    if (problem !== undefined) return problem;
    if (!container.lots.includes(key)) return `its lot is not named by container ${container.sscc}`;
    if (container.parent === undefined) {
      return container.sscc === shippedSscc ? undefined : "its custody path does not end at the shipped container";
    }
    const parent = containers.get(container.parent);
    if (parent === undefined) return `container ${container.sscc}'s parent is not in the package`;
    container = parent;
  }
}

function lotsHashOf(lots: readonly string[]): string | undefined {
  try {
    return lotsHash(lots);
  } catch {
    return undefined;
  }
}

function proofShapeOk(proof: unknown): proof is string[] {
  return (
    Array.isArray(proof) &&
    proof.length <= MAX_SUPPLY_PROOF_LENGTH &&
    proof.every((node) => typeof node === "string" && /^0x[0-9a-fA-F]{64}$/.test(node))
  );
}
