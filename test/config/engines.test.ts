import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
// semver comes with Hardhat (its own dependency); npm applies the same ranges when it warns EBADENGINE.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require("semver") as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

const ROOT = path.join(__dirname, "..", "..");

/**
 * The README promises Node 20 or later, and package.json's `engines` says the same: `npm install` on that Node must
 * print no EBADENGINE warning, so every package the lockfile installs must accept the oldest Node the project accepts
 * (canonicalize 2, not 5, which requires Node 22).
 */
describe("package engines", function () {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    engines: { node: string };
  };
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const oldest = semver.minVersion(manifest.engines.node)?.version ?? "";

  it("promises Node 20 in package.json, as the README does", function () {
    expect(oldest.startsWith("20.")).to.equal(true, `engines.node is ${manifest.engines.node}`);
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).to.contain("Node 20 or later");
  });

  it("installs no package whose engines exclude the oldest Node the project accepts", function () {
    const excluding = Object.entries(lock.packages)
      .filter(([name]) => name !== "")
      .map(([name, info]) => [name, Array.isArray(info.engines) ? undefined : info.engines?.node] as const)
      .filter(([, range]) => range !== undefined && !semver.satisfies(oldest, range));
    expect(excluding).to.deep.equal([]);
  });
});
