/**
 * Off-chain cost of the supply-chain trees: build a lot, pack it in cases of 50 on one pallet, build the shipment
 * package and verify every pack of it, as the demo does at receipt. Not part of `npm run bench` (no gas is measured);
 * run it directly, with the lot sizes to try:
 *
 *   npx ts-node scripts/bench/supplychain-trees.ts 10000 100000
 */
import { lotKey } from "../../sdk/supplychain/identifiers";
import { buildContainer, buildLot, buildShipmentPackage, verifyShipmentPackage } from "../../sdk/supplychain/trees";

const GTIN = "09501101530003";
const CASE_SIZE = 50;

/** An SSCC for container `n` under GS1's example company prefix, with its check digit. */
function sscc(n: number): string {
  const body = `1095011010${String(n).padStart(7, "0")}`;
  const sum = Array.from(body)
    .reverse()
    .reduce((acc, char, index) => acc + Number(char) * (index % 2 === 0 ? 3 : 1), 0);
  return body + String((10 - (sum % 10)) % 10);
}

function timed<T>(run: () => T): [T, number] {
  const started = process.hrtime.bigint();
  const result = run();
  return [result, Number(process.hrtime.bigint() - started) / 1e6];
}

function bench(size: number): void {
  const serials = Array.from({ length: size }, (_, index) => `S${index}`);
  const [lot, lotMs] = timed(() => buildLot(GTIN, "BENCH", "281231", serials));
  const key = lotKey(GTIN, "BENCH");
  const [trees, packMs] = timed(() => {
    const cases = [];
    for (let start = 0; start < size; start += CASE_SIZE) {
      const packs = serials.slice(start, start + CASE_SIZE).map((serial) => ({ pack: lot.pack(serial) }));
      cases.push(buildContainer(sscc(cases.length + 1), packs, [key], 1n));
    }
    return {
      cases,
      pallet: buildContainer(
        sscc(0),
        cases.map((container) => ({ container })),
        [key],
        1n,
      ),
    };
  });
  const [pkg, packageMs] = timed(() => buildShipmentPackage(trees.pallet, [lot]));
  const [failures, verifyMs] = timed(() =>
    verifyShipmentPackage(pkg, new Map([[key, lot.root]]), trees.pallet.contents),
  );
  const bytes = Buffer.byteLength(JSON.stringify(pkg));
  console.log(
    `${size} packs: lot ${lotMs.toFixed(0)} ms, ${trees.cases.length} cases + pallet ${packMs.toFixed(0)} ms, ` +
      `package ${packageMs.toFixed(0)} ms (${(bytes / 1024).toFixed(0)} KiB, ${(bytes / size).toFixed(0)} B/pack), ` +
      `verify ${verifyMs.toFixed(0)} ms, ${failures.length} failures`,
  );
}

const sizes = process.argv.slice(2).map(Number);
if (sizes.some((size) => !Number.isInteger(size) || size < 1)) {
  console.error("usage: supplychain-trees.ts <lot size>... (positive integers)");
  process.exit(1);
}
for (const size of sizes.length === 0 ? [10_000] : sizes) bench(size);
