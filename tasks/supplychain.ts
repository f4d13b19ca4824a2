import fs from "node:fs";
import path from "node:path";

import { hexlify, randomBytes } from "ethers";
import { task } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { ContainerTree, CustodyStep, LotTree, ShipmentPackage } from "../sdk/supplychain/trees";
import type { Pack } from "../sdk/supplychain/identifiers";
import type { SupplyChainClient, SupplyEvent, Verification } from "../sdk/supplychain/client";
import {
  CaseStatus,
  CaseSubject,
  LotStatus,
  RecallClass,
  Recipient,
  SuspectReason,
  UnitStatus,
} from "../sdk/supplychain/statuses";
import {
  ACCOUNT_HELP,
  accountAddress,
  bytes32,
  deploymentOf,
  fail,
  FROM_HELP,
  iso,
  kebab,
  oneOf,
  parsed,
  print,
  readable,
  signerFor,
  wholeNumber,
} from "./util";

const SUSPECT_REASONS = [
  SuspectReason.MissingOrWrongData,
  SuspectReason.Overage,
  SuspectReason.Underage,
  SuspectReason.SuspectedCounterfeit,
  SuspectReason.Diversion,
  SuspectReason.Theft,
  SuspectReason.Tampering,
  SuspectReason.DuplicateSerial,
  SuspectReason.FailedVerification,
  SuspectReason.Other,
];
const RECIPIENTS = [Recipient.Regulator, Recipient.Supplier, Recipient.Customer];
const RECALL_CLASSES = [RecallClass.I, RecallClass.II, RecallClass.III];
const reasonName = (reason: SuspectReason): string => kebab(SuspectReason[reason]);
const recipientName = (recipient: Recipient): string => kebab(Recipient[recipient]);
const className = (recallClass: RecallClass): string => RecallClass[recallClass];
const EVENT_HELP =
  "EPCIS 2.0 event (JSON file) this step anchors by its canonical event hash (default: a random placeholder hash, " +
  "printed; give the event your partners keep)";
const SCAN_HELP = "What the scanner read: a GS1 element string, (01)…(21)…(10)…(17)… or with FNC1 separators";
const LINK_HELP = "instead of --scan: a GS1 Digital Link URI (https://id.gs1.org/01/…/21/…?10=…&17=…)";

/** A container file (`supply:pack --out`): each container's children, innermost first, the shipped one last. */
interface ContainerFile {
  format: "careledger-containers/1";
  /** The lot dumps the packs come from, as absolute paths (a shipment package is built from them). */
  lotFiles: string[];
  containers: {
    sscc: string;
    /** The participant id (decimal) that committed to it: the packer of the outermost container. */
    packer: string;
    lotKeys: string[];
    children: ({ pack: Pack } | { container: string })[];
  }[];
}

/** Containers read from a container file or a shipment package: each tree by SSCC, its parent, the outermost. */
interface Containers {
  trees: Map<string, ContainerTree>;
  parents: Map<string, string>;
  outer: ContainerTree;
  /** The lot dumps named by a container file. */
  lotFiles: string[];
  /** The shipment package it was read from. */
  shipment?: ShipmentPackage;
}

// ---- options and files -------------------------------------------------------------------------------------------

/** The supply-chain client of the recorded deployment, signing as `--from`. */
async function supplyAs(hre: HardhatRuntimeEnvironment, from: string): Promise<SupplyChainClient> {
  const { SupplyChainClient } = await import("../sdk/supplychain/client");
  return SupplyChainClient.connect(await signerFor(hre, from), await deploymentOf(hre));
}

/** A read-only client. */
async function supplyReader(hre: HardhatRuntimeEnvironment): Promise<SupplyChainClient> {
  const { SupplyChainClient } = await import("../sdk/supplychain/client");
  return SupplyChainClient.connect(hre.ethers.provider, await deploymentOf(hre));
}

function readText(option: string, file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    fail(
      `--${option} ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
  }
}

function readJson(option: string, file: string): unknown {
  const text = readText(option, file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    fail(`--${option} ${file}: not JSON (${(error as Error).message})`);
  }
}

function writeJson(file: string, value: unknown): string {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, `${JSON.stringify(value, null, 1)}\n`);
  return target;
}

async function gtinOption(value: string): Promise<string> {
  const { gtinValue } = await import("../sdk/supplychain/identifiers");
  return parsed("gtin", () => (gtinValue(value.trim()), value.trim()));
}

async function ssccOption(option: string, value: string): Promise<string> {
  const { ssccValue } = await import("../sdk/supplychain/identifiers");
  return parsed(option, () => (ssccValue(value.trim()), value.trim()));
}

/** The bytes32 of `--event`'s EPCIS event (its canonical hash), else a random placeholder, and how it was made. */
async function eventHash(file: string | undefined): Promise<{ hash: string; note: string }> {
  if (file === undefined) {
    return { hash: hexlify(randomBytes(32)), note: "(a random placeholder: no --event given)" };
  }
  const { epcisEventHash, eventHashBytes32 } = await import("../sdk/supplychain/epcis");
  const event = readJson("event", file);
  if (typeof event !== "object" || event === null || Array.isArray(event)) fail(`--event ${file}: not an EPCIS event`);
  const uri = parsed("event", () => epcisEventHash(event as Parameters<typeof epcisEventHash>[0]));
  return { hash: eventHashBytes32(uri), note: `(${uri})` };
}

/** A salted commitment to a file (`--ti`, `--notice`): what goes on chain; the salt is printed for the file's keeper. */
async function fileCommitment(option: string, file: string): Promise<{ commitment: string; salt: string }> {
  const { commit } = await import("../sdk/core/commitments");
  return commit(readText(option, file));
}

/** The lot's serials: `--serials FILE` (one a line) or `--count N` numbered after `--prefix`. */
function serialsOption(args: { serials?: string; count?: string; prefix?: string }): string[] {
  if ((args.serials === undefined) === (args.count === undefined)) fail("give either --serials FILE or --count N");
  if (args.serials !== undefined) {
    return readText("serials", args.serials)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "");
  }
  const count = Number(wholeNumber("count", args.count ?? ""));
  const prefix = args.prefix ?? "S";
  const width = String(count).length;
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(width, "0")}`);
}

async function loadLotFile(option: string, file: string): Promise<LotTree> {
  const { loadLot } = await import("../sdk/supplychain/trees");
  const dump = readJson(option, file) as Parameters<typeof loadLot>[0];
  return parsed(option, () => loadLot(dump));
}

/**
 * Reads a container file or a shipment package into container trees (a package's are rebuilt from its proofs). A
 * partner's file of the right format but the wrong shape is refused in one line, like any other bad input.
 */
async function loadContainers(option: string, file: string): Promise<Containers> {
  const data = readJson(option, file);
  try {
    return await containersOf(option, file, data as { format?: string; containers?: unknown });
  } catch (error) {
    if (error instanceof HardhatPluginError) throw error;
    const format = typeof data === "object" && data !== null && "format" in data ? String(data.format) : "file";
    fail(`--${option} ${file}: malformed ${format} (${(error as Error).message})`);
  }
}

async function containersOf(
  option: string,
  file: string,
  data: { format?: string; containers?: unknown },
): Promise<Containers> {
  const { buildContainer } = await import("../sdk/supplychain/trees");
  const trees = new Map<string, ContainerTree>();
  const parents = new Map<string, string>();
  if (data.format === "careledger-containers/1" && Array.isArray(data.containers)) {
    const listed = data as ContainerFile;
    for (const entry of listed.containers) {
      const children = entry.children.map((child) => {
        if ("pack" in child) return child;
        const inner = trees.get(child.container);
        if (inner === undefined) fail(`--${option} ${file}: container ${child.container} is used before it is listed`);
        parents.set(child.container, entry.sscc);
        return { container: inner };
      });
      trees.set(
        entry.sscc,
        parsed(option, () => buildContainer(entry.sscc, children, entry.lotKeys, BigInt(entry.packer))),
      );
    }
    const outer = [...trees.values()].pop();
    if (outer === undefined) fail(`--${option} ${file}: the file lists no container`);
    return { trees, parents, outer, lotFiles: listed.lotFiles };
  }
  if (data.format === "careledger-shipment/1")
    return containersOfPackage(option, file, data as unknown as ShipmentPackage);
  fail(
    `--${option} ${file}: neither a container file (supply:pack --out) nor a shipment package (supply:ship --package)`,
  );
}

/** Rebuilds a package's container trees, innermost first, and checks the shipped one has the package's root. */
async function containersOfPackage(option: string, file: string, pkg: ShipmentPackage): Promise<Containers> {
  const { buildContainer } = await import("../sdk/supplychain/trees");
  const trees = new Map<string, ContainerTree>();
  const parents = new Map<string, string>();
  const build = (sscc: string): ContainerTree => {
    const known = trees.get(sscc);
    if (known !== undefined) return known;
    const entry = pkg.containers.find((container) => container.sscc === sscc);
    if (entry === undefined) fail(`--${option} ${file}: container ${sscc} is not in the package`);
    const inner = pkg.containers.filter((container) => container.parent === sscc);
    inner.forEach((container) => parents.set(container.sscc, sscc));
    const children = [
      ...inner.map((container) => ({ container: build(container.sscc) })),
      ...pkg.packs.filter((entry) => entry.container === sscc).map((entry) => ({ pack: entry.pack })),
    ];
    const tree = parsed(option, () => buildContainer(sscc, children, entry.lots, BigInt(entry.packer)));
    if (tree.root !== entry.childrenRoot)
      fail(`--${option} ${file}: container ${sscc}'s children do not give its root`);
    trees.set(sscc, tree);
    return tree;
  };
  const outer = build(pkg.shipped.sscc);
  return { trees, parents, outer, lotFiles: [], shipment: pkg };
}

/** The container `--sscc` names in `containers` (default: the outermost). */
function pick(containers: Containers, sscc: string | undefined): ContainerTree {
  if (sscc === undefined) return containers.outer;
  const tree = containers.trees.get(sscc.trim());
  if (tree === undefined)
    fail(`--sscc ${sscc} is not a container of the file (it has ${[...containers.trees.keys()].join(", ")})`);
  return tree;
}

/**
 * The custody path of `leafOf` in its container `sscc`, outwards: each step proves the level below; it ends at the
 * first container on its own on chain (packed, released or unpacked, and not sealed in its parent), which is where
 * custody is known.
 */
async function pathFrom(
  client: SupplyChainClient,
  containers: Containers,
  sscc: string,
  child: { pack: Pack } | { container: ContainerTree },
): Promise<CustodyStep[]> {
  const steps: CustodyStep[] = [];
  let tree = containers.trees.get(sscc);
  let below = child;
  while (tree !== undefined) {
    steps.push({
      sscc: tree.sscc,
      packer: tree.packer,
      childrenRoot: tree.root,
      lotsHash: tree.lotsHash,
      proof: tree.proof(below),
    });
    const parent = containers.parents.get(tree.sscc);
    const parentTree = parent === undefined ? undefined : containers.trees.get(parent);
    // A container without a record, or one sealed in its parent, moves with the parent: the path goes on.
    if (!(await insideParent(client, tree, parentTree))) break;
    below = { container: tree };
    tree = parentTree;
  }
  return steps;
}

/**
 * Whether container `tree` is inside `parent` on chain: it has no record of its own, or it is sealed (or held, under
 * investigation) in the parent.
 */
async function insideParent(
  client: SupplyChainClient,
  tree: ContainerTree,
  parent: ContainerTree | undefined,
): Promise<boolean> {
  if ((await client.unit(tree.key)).status === UnitStatus.None) return true;
  return parent !== undefined && (await client.containerOf(tree.key)) === parent.key.toLowerCase();
}

/** The path of a container out of the container it is in: empty when it is on its own. */
async function containerPath(client: SupplyChainClient, containers: Containers, tree: ContainerTree) {
  const parent = containers.parents.get(tree.sscc);
  const parentTree = parent === undefined ? undefined : containers.trees.get(parent);
  if (parent === undefined || !(await insideParent(client, tree, parentTree))) return [];
  return pathFrom(client, containers, parent, { container: tree });
}

/** A pack read from `--scan` or `--link`. */
async function scannedPack(args: { scan?: string; link?: string }): Promise<Pack> {
  const { parseScan } = await import("../sdk/supplychain/gs1");
  if ((args.scan === undefined) === (args.link === undefined)) fail("give either --scan STRING or --link URL");
  const option = args.scan !== undefined ? "scan" : "link";
  const scan = parsed(option, () => parseScan(args.scan ?? args.link ?? ""));
  if (scan.kind !== "pack") {
    fail(`--${option} is a container's SSCC ${scan.sscc}, not a pack: use --sscc with a container file or package`);
  }
  return scan.pack;
}

/** A pack's lot proof and custody path, from the files given (`PROOF_SOURCES`); an empty path if none holds it. */
async function proofsOf(
  client: SupplyChainClient,
  pack: Pack,
  sources: { package?: string; container?: string; lotFile?: string },
): Promise<{ lotProof: string[]; path: CustodyStep[]; found: string[] }> {
  const found: string[] = [];
  let lotProof: string[] = [];
  let steps: CustodyStep[] = [];
  const file = sources.package ?? sources.container;
  const same = (other: Pack) => other.gtin === pack.gtin && other.serial === pack.serial;
  if (file !== undefined) {
    const option = sources.package !== undefined ? "package" : "container";
    const containers = await loadContainers(option, file);
    const entry = containers.shipment?.packs.find((candidate) => same(candidate.pack));
    if (entry !== undefined) lotProof = entry.lotProof;
    const holder = [...containers.trees.values()].find((tree) =>
      tree.children.some((child) => "pack" in child && same(child.pack)),
    );
    if (holder !== undefined) {
      const child = holder.children.find((candidate) => "pack" in candidate && same(candidate.pack)) as { pack: Pack };
      steps = await pathFrom(client, containers, holder.sscc, child);
      found.push(`in container ${holder.sscc} of ${path.basename(file)}`);
    }
    if (lotProof.length === 0 && sources.lotFile === undefined && containers.lotFiles.length > 0) {
      for (const lotFile of containers.lotFiles) {
        const lot = await loadLotFile(option, lotFile);
        if (lot.has(pack.serial) && lot.gtin === pack.gtin && lot.lot === pack.lot) lotProof = lot.proof(pack.serial);
      }
    }
  }
  if (sources.lotFile !== undefined) {
    const lot = await loadLotFile("lot-file", sources.lotFile);
    if (lot.gtin === pack.gtin && lot.lot === pack.lot && lot.has(pack.serial)) {
      lotProof = lot.proof(pack.serial);
      found.push(`in lot ${lot.lot}`);
    }
  }
  if (lotProof.length > 0 && !found.some((where) => where.startsWith("in lot"))) found.push("with its lot proof");
  return { lotProof, path: steps, found };
}

/** The participant id the `--from` account controls: the packer its containers' keys name. */
async function packerOf(hre: HardhatRuntimeEnvironment, from: string): Promise<bigint> {
  const { IdentityClient } = await import("../sdk/identity/client");
  const address = await (await signerFor(hre, from)).getAddress();
  const id = await IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre)).idOf(address);
  if (id === 0n) fail(`--from ${from}: ${address} controls no participant; a packer is a registered trading partner`);
  return id;
}

/** The buyer: `--to` an account (its participant), or `--buyer` a participant id. */
async function buyerOption(hre: HardhatRuntimeEnvironment, to?: string, buyer?: string): Promise<bigint> {
  if ((to === undefined) === (buyer === undefined)) fail("give either --to ACCOUNT or --buyer ID");
  const { lookup } = await import("./lookup");
  if (buyer !== undefined) {
    const id = wholeNumber("buyer", buyer);
    await (await lookup(hre)).participant("buyer", id);
    return id;
  }
  const { IdentityClient } = await import("../sdk/identity/client");
  const address = await accountAddress(hre, "to", to ?? "");
  const id = await IdentityClient.connect(hre.ethers.provider, await deploymentOf(hre)).idOf(address);
  if (id === 0n) fail(`--to ${to}: ${address} controls no participant; give the buyer's key, or --buyer ID`);
  return id;
}

/** The name of an enum member in the tasks' words. */
function named(enumeration: Record<number, string>, value: number): string {
  return kebab(enumeration[value] ?? String(value));
}

/** The member of `members` an option names, by its name in the tasks' words (any case, `_` or space for `-`). */
function enumOption<T extends number>(
  option: string,
  value: string,
  members: readonly T[],
  nameOf: (member: T) => string,
): T {
  const wanted = value.trim().replace(/[_\s]/g, "-").toLowerCase();
  const member = members.find((candidate) => nameOf(candidate).toLowerCase() === wanted);
  if (member === undefined) fail(`--${option} must be ${oneOf(members.map(nameOf))}, got "${value}"`);
  return member;
}

function receiptFields(receipt: { gasUsed: bigint; hash: string }): Record<string, unknown> {
  return { gasUsed: receipt.gasUsed, tx: receipt.hash };
}

function yesNo(value: boolean, yes = "yes", no = "no"): string {
  return value ? yes : no;
}

// ---- products, lots, containers ----------------------------------------------------------------------------------

task("careledger:supply:product", "Manufacturer: registers a product's GTIN (one manufacturer per GTIN)")
  .addParam("gtin", "GTIN-14 of the product (14 digits with its check digit; it carries the NDC)")
  .addParam("from", `${FROM_HELP} (a licensed manufacturer)`, "0")
  .setAction(async (args: { gtin: string; from: string }, hre) => {
    const gtin = await gtinOption(args.gtin);
    const client = await supplyAs(hre, args.from);
    const { receipt } = await readable(() => client.registerProduct(gtin));
    print(`Product ${gtin} registered`, { manufacturer: await client.manufacturerOf(gtin), ...receiptFields(receipt) });
  });

/** Refuses a GTIN no manufacturer registered, in words, before anything is built or sent. */
async function requireProduct(client: SupplyChainClient, gtin: string): Promise<bigint> {
  const manufacturer = await client.manufacturerOf(gtin);
  if (manufacturer === 0n) {
    fail(`--gtin ${gtin} is not a registered product: its manufacturer registers it with careledger:supply:product`);
  }
  return manufacturer;
}

task(
  "careledger:supply:commission",
  "Manufacturer: commissions a lot (a Merkle root over its packs) and keeps its tree",
)
  .addParam("gtin", "GTIN-14 of the product (registered by the signer)")
  .addParam("lot", "Lot number as printed (AI 10, 1–20 characters)")
  .addParam("expiry", "Expiry as printed, YYMMDD (AI 17; DD 00 = the month's last day)")
  .addOptionalParam("serials", "File of the packs' serials, one a line")
  .addOptionalParam("count", "Instead of --serials: number the packs 1 to N after --prefix")
  .addOptionalParam("prefix", "With --count: the serials' prefix (default S)")
  .addParam("out", "Where to write the lot's tree (JSON): keep it, every pack's proof comes from it")
  .addOptionalParam("event", EVENT_HELP)
  .addParam("from", `${FROM_HELP} (the product's manufacturer)`, "0")
  .setAction(
    async (
      args: {
        gtin: string;
        lot: string;
        expiry: string;
        serials?: string;
        count?: string;
        prefix?: string;
        out: string;
        event?: string;
        from: string;
      },
      hre,
    ) => {
      const { buildLot } = await import("../sdk/supplychain/trees");
      const gtin = await gtinOption(args.gtin);
      const serials = serialsOption(args);
      const tree = parsed("serials", () => buildLot(gtin, args.lot, args.expiry, serials));
      const client = await supplyAs(hre, args.from);
      await requireProduct(client, gtin);
      const { hash, note } = await eventHash(args.event);
      const { receipt } = await readable(() => client.commissionLot(tree, hash));
      const written = writeJson(args.out, tree.dump());
      print(`Lot ${args.lot} of ${gtin} commissioned`, {
        lotKey: tree.lotKey,
        root: tree.root,
        count: tree.count,
        expiry: args.expiry,
        tree: `${written} (keep it: the proofs of its packs)`,
        epcisHash: `${hash} ${note}`,
        ...receiptFields(receipt),
      });
    },
  );

/** The SSCC `offset` serial references after `sscc` (its check digit recomputed). */
async function ssccAfter(sscc: string, offset: number): Promise<string> {
  const { gs1CheckDigit } = await import("../sdk/supplychain/identifiers");
  const body = (BigInt(sscc.slice(0, 17)) + BigInt(offset)).toString().padStart(17, "0");
  if (body.length > 17) fail(`--sscc ${sscc}: no room for ${offset} more SSCCs after it`);
  return `${body}${gs1CheckDigit(body)}`;
}

/** The packs `--range a:b` names: the lot's packs at positions a to b−1, as commissioned (0-based). */
function rangeOption(lot: LotTree, value: string): string[] {
  const match = /^(\d+):(\d+)$/.exec(value.trim());
  const all = lot.serials();
  if (match === null) fail(`--range must be FIRST:END (positions in the lot, END excluded), got "${value}"`);
  const [first, end] = [Number(match[1]), Number(match[2])];
  if (first >= end || end > all.length)
    fail(`--range ${value}: the lot has positions 0 to ${all.length} (END excluded)`);
  return all.slice(first, end);
}

task(
  "careledger:supply:pack",
  "Manufacturer or owner: packs packs into a container (or cases on a pallet) on chain, sealing those with records",
)
  .addParam("sscc", "SSCC of the container (with --cases-of: of the first case; the next ones follow it)")
  .addParam("lotFile", "The lot's tree, as supply:commission wrote it")
  .addOptionalParam("serials", "File of the serials to pack, one a line")
  .addOptionalParam("range", "Instead of --serials: the lot's packs at positions FIRST:END (0-based, END excluded)")
  .addOptionalParam(
    "casesOf",
    "Pack N packs to a case (cases are not packed on chain: the pallet's tree commits to them)",
  )
  .addOptionalParam("pallet", "With --cases-of: SSCC of the pallet holding the cases (the one packed on chain)")
  .addParam("out", "Where to write the container file (JSON) the later tasks read")
  .addOptionalParam("event", EVENT_HELP)
  .addParam("from", `${FROM_HELP} (the packs' owner)`, "0")
  .setAction(
    async (
      args: {
        sscc: string;
        lotFile: string;
        serials?: string;
        range?: string;
        casesOf?: string;
        pallet?: string;
        out: string;
        event?: string;
        from: string;
      },
      hre,
    ) => {
      const { buildContainer } = await import("../sdk/supplychain/trees");
      const lot = await loadLotFile("lot-file", args.lotFile);
      const first = await ssccOption("sscc", args.sscc);
      if ((args.serials === undefined) === (args.range === undefined))
        fail("give either --serials FILE or --range FIRST:END");
      const serials =
        args.range !== undefined ? rangeOption(lot, args.range) : serialsOption({ serials: args.serials });
      const missing = serials.find((serial) => !lot.has(serial));
      if (missing !== undefined) fail(`--serials: ${missing} is not a pack of lot ${lot.lot}`);
      if ((args.casesOf === undefined) !== (args.pallet === undefined)) fail("--cases-of and --pallet go together");
      const packs = serials.map((serial) => ({ pack: lot.pack(serial) }));
      // Every container of the file is committed to by its packer, the caller: its id is part of each key.
      const client = await supplyAs(hre, args.from);
      const packerId = await packerOf(hre, args.from);
      const packer = packerId.toString();
      const file: ContainerFile = {
        format: "careledger-containers/1",
        lotFiles: [path.resolve(args.lotFile)],
        containers: [],
      };
      let outer: ContainerTree;
      if (args.casesOf === undefined) {
        outer = parsed("serials", () => buildContainer(first, packs, [lot.lotKey], packerId));
        file.containers.push({ sscc: first, packer, lotKeys: outer.lotKeys, children: packs });
      } else {
        const size = Number(wholeNumber("cases-of", args.casesOf));
        if (size === 0) fail("--cases-of must be at least 1");
        const cases: ContainerTree[] = [];
        for (let start = 0; start < packs.length; start += size) {
          const sscc = await ssccAfter(first, cases.length);
          const children = packs.slice(start, start + size);
          cases.push(parsed("cases-of", () => buildContainer(sscc, children, [lot.lotKey], packerId)));
          file.containers.push({ sscc, packer, lotKeys: [lot.lotKey], children });
        }
        const pallet = await ssccOption("pallet", args.pallet ?? "");
        outer = parsed("pallet", () =>
          buildContainer(
            pallet,
            cases.map((tree) => ({ container: tree })),
            [lot.lotKey],
            packerId,
          ),
        );
        file.containers.push({
          sscc: pallet,
          packer,
          lotKeys: outer.lotKeys,
          children: cases.map((tree) => ({ container: tree.sscc })),
        });
      }
      const { hash, note } = await eventHash(args.event);
      const { receipt, sealed } = await readable(() => client.pack(outer, hash));
      const written = writeJson(args.out, file);
      print(`Container ${outer.sscc} packed`, {
        key: outer.key,
        root: outer.root,
        holds:
          args.casesOf === undefined
            ? `${serials.length} packs`
            : `${file.containers.length - 1} cases (${file.containers[0]?.sscc} …) of up to ${args.casesOf}, ${serials.length} packs`,
        lots: outer.lotKeys.join(", "),
        ...(sealed.length === 0
          ? {}
          : { sealed: `${sealed.length} packs with records of their own, now moving only with it` }),
        file: written,
        epcisHash: `${hash} ${note}`,
        ...receiptFields(receipt),
      });
    },
  );

task(
  "careledger:supply:unpack",
  "Owner: unpacks a container, so its children move on their own; what was sealed in it becomes yours",
)
  .addParam("container", "Container file (supply:pack --out) or shipment package (supply:ship --package)")
  .addOptionalParam("sscc", "SSCC of the container to unpack (default: the file's outermost)")
  .addOptionalParam("event", EVENT_HELP)
  .addParam("from", `${FROM_HELP} (its owner)`, "0")
  .setAction(async (args: { container: string; sscc?: string; event?: string; from: string }, hre) => {
    const containers = await loadContainers("container", args.container);
    const tree = pick(containers, args.sscc);
    const client = await supplyAs(hre, args.from);
    const route = await containerPath(client, containers, tree);
    const { hash, note } = await eventHash(args.event);
    const { receipt, released } = await readable(() => client.unpack(tree, hash, route));
    print(`Container ${tree.sscc} unpacked`, {
      key: tree.key,
      children: `${tree.children.length}, each movable on its own`,
      ...(released.length === 0
        ? {}
        : { released: `${released.length} sealed in it, now yours with records of their own` }),
      epcisHash: `${hash} ${note}`,
      ...receiptFields(receipt),
    });
  });

// ---- custody -----------------------------------------------------------------------------------------------------

task("careledger:supply:ship", "Seller: ships a container to a buyer, optionally writing the buyer's shipment package")
  .addParam("container", "Container file (supply:pack --out) or shipment package received (supply:ship --package)")
  .addOptionalParam(
    "sscc",
    "SSCC of the container to ship (default: the file's outermost); a path out of an unpacked one is proven",
  )
  .addOptionalParam("to", `The buyer's key: ${ACCOUNT_HELP} (the participant it controls)`)
  .addOptionalParam("buyer", "Instead of --to: the buyer's participant id")
  .addOptionalParam("transaction", "Commitment (32 bytes of hex) to the DSCSA transaction information and statement")
  .addOptionalParam(
    "ti",
    "Instead of --transaction: the TI/TS file, committed to with a salt (printed: keep it with the file)",
  )
  .addOptionalParam("package", "Where to write the shipment package (JSON) the buyer verifies every pack with")
  .addOptionalParam("lotFile", "The lot's tree, for the package (default: the lot files the container file names)")
  .addOptionalParam("event", EVENT_HELP)
  .addParam("from", `${FROM_HELP} (the owner)`, "0")
  .setAction(
    async (
      args: {
        container: string;
        sscc?: string;
        to?: string;
        buyer?: string;
        transaction?: string;
        ti?: string;
        package?: string;
        lotFile?: string;
        event?: string;
        from: string;
      },
      hre,
    ) => {
      const containers = await loadContainers("container", args.container);
      const tree = pick(containers, args.sscc);
      if ((args.transaction === undefined) === (args.ti === undefined))
        fail("give either --transaction HEX or --ti FILE");
      const ti = args.ti === undefined ? undefined : await fileCommitment("ti", args.ti);
      const transaction = ti?.commitment ?? bytes32("transaction", args.transaction ?? "");
      const buyer = await buyerOption(hre, args.to, args.buyer);
      const shipment = args.package === undefined ? undefined : await packageFor(containers, tree, args.lotFile);
      const client = await supplyAs(hre, args.from);
      const route = await containerPath(client, containers, tree);
      const { hash, note } = await eventHash(args.event);
      const { receipt, key } = await readable(() => client.shipContainer(tree, buyer, transaction, hash, route));
      const written = shipment === undefined ? undefined : writeJson(args.package ?? "", shipment);
      print(`Container ${tree.sscc} shipped to participant ${buyer}`, {
        key,
        transaction: ti === undefined ? transaction : `${transaction} (salt ${ti.salt}: keep it with the TI/TS)`,
        ...(route.length === 0 ? {} : { path: `out of ${route.map((step) => step.sscc).join(" in ")}` }),
        ...(written === undefined
          ? {}
          : { package: `${written} (${shipment?.packs.length} packs: hand it to the buyer)` }),
        epcisHash: `${hash} ${note}`,
        ...receiptFields(receipt),
      });
    },
  );

/** The shipment package of `tree`: from the lot trees, or cut out of the package the containers came from. */
async function packageFor(containers: Containers, tree: ContainerTree, lotFile?: string): Promise<ShipmentPackage> {
  const { buildShipmentPackage } = await import("../sdk/supplychain/trees");
  const files = lotFile !== undefined ? [lotFile] : containers.lotFiles;
  if (files.length > 0) {
    const lots = await Promise.all(files.map((file) => loadLotFile("lot-file", file)));
    return parsed("package", () => buildShipmentPackage(tree, lots));
  }
  const source = containers.shipment;
  if (source === undefined) fail("--package needs the lots' trees: give --lot-file");
  const inside = new Set<string>();
  const collect = (container: ContainerTree): void => {
    inside.add(container.sscc);
    for (const child of container.children) if ("container" in child) collect(child.container);
  };
  collect(tree);
  return {
    format: "careledger-shipment/1",
    shipped: {
      sscc: tree.sscc,
      packer: tree.packer.toString(),
      childrenRoot: tree.root,
      lotsHash: tree.lotsHash,
      lots: tree.lotKeys,
    },
    containers: source.containers
      .filter((container) => inside.has(container.sscc))
      .map((container) =>
        container.sscc === tree.sscc
          ? {
              sscc: container.sscc,
              packer: container.packer,
              childrenRoot: container.childrenRoot,
              lotsHash: container.lotsHash,
              lots: container.lots,
              proof: [],
            }
          : container,
      ),
    packs: source.packs.filter((entry) => inside.has(entry.container)),
  };
}

task(
  "careledger:supply:receive",
  "Buyer: receives a container shipped to it; with --package, verifies every pack first",
)
  .addOptionalParam("container", "Container file holding the shipped container")
  .addOptionalParam("sscc", "With --container: SSCC of the shipped container (default: the outermost)")
  .addOptionalParam(
    "package",
    "Instead of --container: the seller's shipment package, each pack verified offline before receiving",
  )
  .addOptionalParam("event", EVENT_HELP)
  .addParam("from", `${FROM_HELP} (the buyer)`, "0")
  .setAction(
    async (args: { container?: string; sscc?: string; package?: string; event?: string; from: string }, hre) => {
      if ((args.container === undefined) === (args.package === undefined))
        fail("give either --container FILE or --package FILE");
      const client = await supplyAs(hre, args.from);
      let tree: ContainerTree;
      let verified: string | undefined;
      if (args.package !== undefined) {
        const containers = await loadContainers("package", args.package);
        if (containers.shipment === undefined) fail(`--package ${args.package}: not a shipment package`);
        verified = await verifyPackage(client, containers.shipment);
        tree = containers.outer;
      } else {
        tree = pick(await loadContainers("container", args.container ?? ""), args.sscc);
      }
      const { hash, note } = await eventHash(args.event);
      const { receipt } = await readable(() => client.receiveContainer(tree, hash));
      print(`Container ${tree.sscc} received`, {
        key: tree.key,
        ...(verified === undefined ? {} : { verified }),
        epcisHash: `${hash} ${note}`,
        ...receiptFields(receipt),
      });
    },
  );

/** Verifies every pack of a package against the lots' roots on chain; refuses in one line if any fails. */
async function verifyPackage(client: SupplyChainClient, pkg: ShipmentPackage): Promise<string> {
  const { verifyShipmentPackage, shippedKey } = await import("../sdk/supplychain/trees");
  const lots = new Set(pkg.containers.flatMap((container) => container.lots));
  const roots = new Map<string, string>();
  for (const key of lots) {
    const lot = await client.lotByKey(key);
    if (lot.status !== LotStatus.None) roots.set(key, lot.root);
  }
  const failures = verifyShipmentPackage(pkg, roots, shippedKey(pkg));
  if (failures.length > 0) {
    const [first] = failures;
    fail(
      `the shipment package does not verify: ${failures.length} of ${pkg.packs.length} packs fail; the first, ` +
        `serial ${first?.pack.serial} of lot ${first?.pack.lot}: ${first?.reason}; nothing was received`,
    );
  }
  return `all ${pkg.packs.length} packs against their lots' roots on chain`;
}

// ---- verification and dispensing ---------------------------------------------------------------------------------

function proofOptions<T extends ReturnType<typeof task>>(definition: T): T {
  definition
    .addOptionalParam("scan", SCAN_HELP)
    .addOptionalParam("link", LINK_HELP)
    .addOptionalParam("package", "A shipment package holding the pack (its proofs and custody path)")
    .addOptionalParam("container", "A container file holding the pack (its custody path)")
    .addOptionalParam("lotFile", "The lot's tree (the pack's lot proof)");
  return definition;
}

/** What `verify` says, in words. */
function verdict(v: Verification): Record<string, string> {
  const recall = v.recallClass === RecallClass.None ? "" : ` (class ${RecallClass[v.recallClass]})`;
  return {
    genuine: yesNo(
      v.genuine,
      "yes: commissioned under its GTIN by the GTIN's manufacturer",
      "NO: not a commissioned pack (or a wrong proof)",
    ),
    expired: yesNo(v.expired),
    lot: `${named(LotStatus, v.lotStatus)}${recall}`,
    pack: named(UnitStatus, v.packStatus),
    quarantined: yesNo(v.quarantined),
    illegitimate: yesNo(v.illegitimate),
    dispensed: yesNo(v.dispensed),
    custody: yesNo(v.custodyProven, "proven by its path", "not proven (no path given, or it does not verify)"),
    owner: v.owner === 0n ? "unknown" : `participant ${v.owner}${v.inTransit ? " (in transit)" : ""}`,
    manufacturer: v.manufacturer === 0n ? "none" : `participant ${v.manufacturer}`,
    saleable: yesNo(v.saleable),
  };
}

proofOptions(
  task(
    "careledger:supply:verify",
    "Anyone: verifies a scanned pack: genuine, expired, recalled, quarantined, dispensed, owner",
  ),
).setAction(
  async (args: { scan?: string; link?: string; package?: string; container?: string; lotFile?: string }, hre) => {
    const pack = await scannedPack(args);
    const client = await supplyReader(hre);
    const { lotProof, path: route, found } = await proofsOf(client, pack, args);
    const v = await readable(() => client.verify(pack, lotProof, route));
    print(
      `${v.saleable ? "SALEABLE" : "NOT SALEABLE"}: GTIN ${pack.gtin} serial ${pack.serial} lot ${pack.lot} expiry ${pack.expiry}`,
      {
        ...verdict(v),
        proofs: found.length === 0 ? "none given (give --package, --container or --lot-file)" : found.join(", "),
      },
    );
  },
);

proofOptions(
  task(
    "careledger:supply:dispense",
    "Pharmacy or hospital: decommissions a pack supplied to a patient (no patient on chain)",
  ),
)
  .addOptionalParam("event", EVENT_HELP)
  .addParam("from", `${FROM_HELP} (a dispenser holding the pack)`, "0")
  .setAction(
    async (
      args: {
        scan?: string;
        link?: string;
        package?: string;
        container?: string;
        lotFile?: string;
        event?: string;
        from: string;
      },
      hre,
    ) => {
      const pack = await scannedPack(args);
      const client = await supplyAs(hre, args.from);
      const { lotProof, path: route } = await proofsOf(client, pack, args);
      const { hash, note } = await eventHash(args.event);
      const result = await readable(() => client.dispense(pack, lotProof, route, hash));
      if (!result.dispensed) {
        print(`NOT DISPENSED: serial ${pack.serial} of ${pack.gtin} was dispensed before: a clone`, {
          case: `${result.caseId} opened (suspect: duplicate serial); quarantine what you hold and investigate`,
          ...receiptFields(result.receipt),
        });
        return;
      }
      print(`Dispensed: GTIN ${pack.gtin} serial ${pack.serial} lot ${pack.lot}`, {
        epcisHash: `${hash} ${note}`,
        ...receiptFields(result.receipt),
      });
    },
  );

// ---- suspect product, investigations, recalls --------------------------------------------------------------------

proofOptions(
  task("careledger:supply:quarantine", "Partner holding it: quarantines a lot, a container or a pack as suspect"),
)
  .addOptionalParam("gtin", "With --lot: the lot's GTIN-14")
  .addOptionalParam("lot", "A lot number (with --gtin): quarantines the whole lot")
  .addOptionalParam("sscc", "A container's SSCC (with --container or --package): quarantines it")
  .addParam("reason", `Why: ${oneOf(SUSPECT_REASONS.map(reasonName))}`)
  .addOptionalParam("evidence", "File of the evidence, committed to with a salt (printed)")
  .addParam("from", `${FROM_HELP} (a partner that holds or held it)`, "0")
  .setAction(
    async (
      args: {
        scan?: string;
        link?: string;
        package?: string;
        container?: string;
        lotFile?: string;
        gtin?: string;
        lot?: string;
        sscc?: string;
        reason: string;
        evidence?: string;
        from: string;
      },
      hre,
    ) => {
      const reason = enumOption("reason", args.reason, SUSPECT_REASONS, reasonName);
      const evidence = args.evidence === undefined ? undefined : await fileCommitment("evidence", args.evidence);
      const given = [args.lot, args.sscc, args.scan ?? args.link].filter((value) => value !== undefined).length;
      if (given !== 1)
        fail("give one of --lot (with --gtin), --sscc (with --container or --package), or --scan/--link");
      const client = await supplyAs(hre, args.from);
      let what: string;
      let sent: { receipt: { gasUsed: bigint; hash: string }; caseId: bigint };
      if (args.lot !== undefined) {
        if (args.gtin === undefined) fail("--lot needs --gtin");
        const gtin = await gtinOption(args.gtin);
        const lot = args.lot;
        what = `lot ${lot} of ${gtin}`;
        sent = await readable(() => client.quarantineLot(gtin, lot, reason, evidence?.commitment));
      } else if (args.sscc !== undefined) {
        const file = args.container ?? args.package;
        if (file === undefined) fail("--sscc needs --container or --package (the container's tree)");
        const containers = await loadContainers(args.container !== undefined ? "container" : "package", file);
        const tree = pick(containers, args.sscc);
        const route = await containerPath(client, containers, tree);
        what = `container ${tree.sscc}`;
        sent = await readable(() => client.quarantineContainer(tree, route, reason, evidence?.commitment));
      } else {
        const pack = await scannedPack(args);
        const { lotProof, path: route } = await proofsOf(client, pack, args);
        what = `pack ${pack.serial} of ${pack.gtin}`;
        sent = await readable(() => client.quarantinePack(pack, lotProof, route, reason, evidence?.commitment));
      }
      print(`Quarantined ${what}: case ${sent.caseId} opened`, {
        reason: named(SuspectReason, reason),
        ...(evidence === undefined ? {} : { evidence: `${evidence.commitment} (salt ${evidence.salt})` }),
        next: `investigate, then careledger:supply:decide --case ${sent.caseId} --illegitimate or --cleared`,
        ...receiptFields(sent.receipt),
      });
    },
  );

task("careledger:supply:decide", "Investigator or regulator: ends an investigation, illegitimate or cleared")
  .addParam("case", "The investigation's case id")
  .addFlag("illegitimate", "The product is illegitimate: notifications are due within 24 hours")
  .addFlag("cleared", "The product is cleared back to commerce")
  .addParam("from", `${FROM_HELP} (the investigator, or a regulator)`, "0")
  .setAction(async (args: { case: string; illegitimate: boolean; cleared: boolean; from: string }, hre) => {
    if (args.illegitimate === args.cleared) fail("give one of --illegitimate or --cleared");
    const caseId = await caseOption(hre, args.case);
    const client = await supplyAs(hre, args.from);
    const { receipt } = await readable(() => client.decide(caseId, args.illegitimate));
    const info = await client.investigation(caseId);
    print(`Case ${caseId} decided: ${args.illegitimate ? "illegitimate" : "cleared"}`, {
      subject: `${named(CaseSubject, info.subjectKind)} ${info.subject}`,
      ...(args.illegitimate
        ? {
            notifications: `due by ${iso(info.determinedAt + 86_400n)}: regulator, supplier and customer (careledger:supply:notify)`,
          }
        : {}),
      ...receiptFields(receipt),
    });
  });

/** A case id that exists. */
async function caseOption(hre: HardhatRuntimeEnvironment, value: string): Promise<bigint> {
  const caseId = wholeNumber("case", value);
  const info = await (await supplyReader(hre)).investigation(caseId);
  if (info.status === CaseStatus.None) fail(`--case ${caseId}: there is no such investigation`);
  return caseId;
}

task("careledger:supply:notify", "Investigator: records a notification of an illegitimate-product determination")
  .addParam("case", "The illegitimate case's id")
  .addParam("recipient", `Who was notified (for the regulator, FDA Form 3911): ${oneOf(RECIPIENTS.map(recipientName))}`)
  .addParam("notice", "File of the notice sent, committed to with a salt (printed: keep it with the notice)")
  .addParam("from", `${FROM_HELP} (the investigator)`, "0")
  .setAction(async (args: { case: string; recipient: string; notice: string; from: string }, hre) => {
    const recipient = enumOption("recipient", args.recipient, RECIPIENTS, recipientName);
    const caseId = await caseOption(hre, args.case);
    const notice = await fileCommitment("notice", args.notice);
    const client = await supplyAs(hre, args.from);
    const { receipt } = await readable(() => client.notify(caseId, recipient, notice.commitment));
    print(`Case ${caseId}: ${named(Recipient, recipient)} notified`, {
      notice: `${notice.commitment} (salt ${notice.salt}: keep it with the notice)`,
      ...receiptFields(receipt),
    });
  });

task(
  "careledger:supply:recall",
  "Manufacturer or regulator: recalls a lot; its packs can no longer move or be dispensed",
)
  .addParam("gtin", "GTIN-14 of the product")
  .addParam("lot", "Lot number")
  .addParam("class", `Recall class: ${oneOf(RECALL_CLASSES.map(className))}`)
  .addParam("notice", "File of the recall notice, committed to with a salt (printed)")
  .addParam("from", `${FROM_HELP} (the lot's manufacturer or a regulator)`, "0")
  .setAction(async (args: { gtin: string; lot: string; class: string; notice: string; from: string }, hre) => {
    const gtin = await gtinOption(args.gtin);
    const recallClass = enumOption("class", args.class, RECALL_CLASSES, className);
    const notice = await fileCommitment("notice", args.notice);
    const client = await supplyAs(hre, args.from);
    await requireProduct(client, gtin);
    const { receipt } = await readable(() => client.recall(gtin, args.lot, recallClass, notice.commitment));
    print(`Lot ${args.lot} of ${gtin} recalled, class ${className(recallClass)}`, {
      notice: `${notice.commitment} (salt ${notice.salt})`,
      reach: `careledger:supply:reach --gtin ${gtin} --lot ${args.lot}`,
      ...receiptFields(receipt),
    });
  });

// ---- reads -------------------------------------------------------------------------------------------------------

task("careledger:supply:reach", "Anyone: the recall reach of a lot: who holds its containers and packs now")
  .addParam("gtin", "GTIN-14 of the product")
  .addParam("lot", "Lot number")
  .addOptionalParam("lotFile", "The lot's tree: also counts packs that moved on their own")
  .setAction(async (args: { gtin: string; lot: string; lotFile?: string }, hre) => {
    const gtin = await gtinOption(args.gtin);
    const client = await supplyReader(hre);
    const lot = await client.lot(gtin, args.lot);
    if (lot.status === LotStatus.None) fail(`--lot ${args.lot} of ${gtin} was never commissioned`);
    const serials = args.lotFile === undefined ? [] : (await loadLotFile("lot-file", args.lotFile)).serials();
    const reach = await readable(() => client.recallReach(gtin, args.lot, serials));
    const recall = lot.recallClass === RecallClass.None ? "" : ` (class ${RecallClass[lot.recallClass]})`;
    const holders = Object.fromEntries(
      reach.holders.map((holder) => [
        `participant ${holder.participant}`,
        `${holder.containers} container(s), ${holder.packs} pack(s) on their own`,
      ]),
    );
    print(`Recall reach of lot ${args.lot} of ${gtin}: ${named(LotStatus, lot.status)}${recall}`, {
      ...(reach.holders.length === 0 ? { holders: "none" } : holders),
      containers:
        reach.containers.map((unit) => `${unit.key} (${named(UnitStatus, unit.status)})`).join(", ") || "none",
      dispensed: reach.dispensed,
    });
  });

/** The events' participant arguments (ParticipantId). */
const PARTICIPANT_ARGS = new Set([
  "manufacturer",
  "packer",
  "owner",
  "buyer",
  "seller",
  "by",
  "dispenser",
  "verifier",
  "scanner",
  "firstDispenser",
  "investigator",
  "notified",
  "regulator",
]);
const ZERO_HASH = `0x${"00".repeat(32)}`;

/** One event in words: its name and arguments, participants, reasons, classes and recipients by name. */
function eventLine(event: SupplyEvent): string {
  const word = (name: string, value: unknown): string | undefined => {
    if (name === "epcisHash" || value === ZERO_HASH) return undefined;
    if (PARTICIPANT_ARGS.has(name)) return `${name} participant ${String(value)}`;
    if (name === "reason") return `reason ${named(SuspectReason, Number(value))}`;
    if (name === "recallClass") return `class ${RecallClass[Number(value)] ?? String(value)}`;
    if (name === "lot")
      return `lot ${Buffer.from(String(value).slice(2), "hex").toString("latin1").replace(/\0+$/, "")}`;
    if (name === "gtin") return `gtin ${String(value).padStart(14, "0")}`;
    if (name === "sscc") return `sscc ${String(value).padStart(18, "0")}`;
    if (name === "recipient") return `recipient ${named(Recipient, Number(value))}`;
    return `${name} ${Array.isArray(value) ? value.join("+") : String(value)}`;
  };
  const details = Object.entries(event.args)
    .map(([name, value]) => word(name, value))
    .filter((text) => text !== undefined)
    .join(", ");
  return `block ${event.blockNumber}: ${event.name}${details === "" ? "" : ` (${details})`}`;
}

task("careledger:supply:history", "Anyone: the on-chain history of a pack, container or lot, in order")
  .addOptionalParam("scan", SCAN_HELP)
  .addOptionalParam("link", LINK_HELP)
  .addOptionalParam("sscc", "A container's SSCC (with --container or --package)")
  .addOptionalParam("container", "With --sscc: the container file or shipment package holding it")
  .addOptionalParam("package", "With --sscc: the shipment package holding it")
  .addOptionalParam("gtin", "With --lot: the GTIN-14")
  .addOptionalParam("lot", "A lot number (with --gtin)")
  .addOptionalParam("out", "Where to write the events (JSON)")
  .setAction(
    async (
      args: {
        scan?: string;
        link?: string;
        sscc?: string;
        container?: string;
        package?: string;
        gtin?: string;
        lot?: string;
        out?: string;
      },
      hre,
    ) => {
      const { lotKey, serialKey } = await import("../sdk/supplychain/identifiers");
      const client = await supplyReader(hre);
      let key: string;
      let what: string;
      if (args.lot !== undefined) {
        const gtin = await gtinOption(args.gtin ?? fail("--lot needs --gtin"));
        key = lotKey(gtin, args.lot);
        what = `lot ${args.lot} of ${gtin}`;
      } else if (args.sscc !== undefined) {
        const file = args.container ?? args.package ?? fail("--sscc needs --container or --package");
        const tree = pick(
          await loadContainers(args.container !== undefined ? "container" : "package", file),
          args.sscc,
        );
        key = tree.key;
        what = `container ${tree.sscc}`;
      } else {
        const pack = await scannedPack(args);
        key = serialKey(pack.gtin, pack.serial);
        what = `pack ${pack.serial} of ${pack.gtin}`;
      }
      const events = await readable(() => client.history(key));
      console.log(`History of ${what} (${key}): ${events.length} event(s)`);
      for (const event of events) console.log(`  ${eventLine(event)}`);
      if (args.out !== undefined) {
        const written = writeJson(
          args.out,
          events.map((event) => ({ ...event, args: plain(event.args) })),
        );
        console.log(
          `  written to ${written} (the on-chain events; an EPCIS 2.0 export needs the partners' EPCIS documents)`,
        );
      }
    },
  );

function plain(args: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(args, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value)),
  ) as Record<string, unknown>;
}

task("careledger:supply:cases", "Anyone: open illegitimate-product cases and their overdue notifications").setAction(
  async (_args: Record<string, never>, hre) => {
    const client = await supplyReader(hre);
    const open = await readable(() => client.openIllegitimateCases());
    console.log(`Open illegitimate cases: ${open.length === 0 ? "none" : open.length}`);
    for (const { caseId, overdue } of open) {
      const info = await client.investigation(caseId);
      console.log(
        `  case ${caseId}: ${named(CaseSubject, info.subjectKind)} ${info.subject}, ${named(SuspectReason, info.reason)}, ` +
          `determined ${iso(info.determinedAt)}; overdue: ${overdue.length === 0 ? "none" : overdue.map((r) => named(Recipient, r)).join(", ")}`,
      );
    }
  },
);
