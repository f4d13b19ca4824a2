import { task } from "hardhat/config";

import { fail } from "./util";

interface AstNode {
  nodeType: string;
  name?: string;
  nodes?: AstNode[];
}

/**
 * The error-naming rule of STYLE.md: every custom error declared in `contracts/` starts with its component's prefix
 * (the first word of the declaring contract's name, without an interface's leading "I": `IIdentityRegistry` →
 * `Identity…`), and no error name or selector appears twice across the suite, OpenZeppelin's errors included.
 */
task("careledger:check-errors", "Fails on unprefixed or duplicate custom errors across the suite").setAction(
  async (_args, hre) => {
    await hre.run("compile", { quiet: true });
    const { Interface } = await import("ethers");
    const problems: string[] = [];

    // 1. Prefixes, from the AST of CareLedger's own sources.
    const declared = new Map<string, string>(); // error name → declaring contract
    for (const buildInfoPath of await hre.artifacts.getBuildInfoPaths()) {
      const buildInfo = (await import(buildInfoPath)) as {
        output: { sources: Record<string, { ast: AstNode }> };
      };
      for (const [source, { ast }] of Object.entries(buildInfo.output.sources)) {
        if (!source.startsWith("contracts/")) continue;
        for (const contract of ast.nodes ?? []) {
          if (contract.nodeType !== "ContractDefinition" || contract.name === undefined) continue;
          const prefix = (/^I[A-Z]/.test(contract.name) ? contract.name.slice(1) : contract.name).match(
            /^[A-Z][a-z0-9]*/,
          )?.[0];
          for (const node of contract.nodes ?? []) {
            if (node.nodeType !== "ErrorDefinition" || node.name === undefined) continue;
            if (prefix === undefined || !node.name.startsWith(prefix)) {
              problems.push(`${source}: error ${node.name} in ${contract.name} does not start with "${prefix}"`);
            }
            const other = declared.get(node.name);
            if (other !== undefined && other !== contract.name) {
              problems.push(`error ${node.name} is declared in both ${other} and ${contract.name}`);
            }
            declared.set(node.name, contract.name);
          }
        }
      }
    }

    // 2. Names and selectors unique across every error in every artifact (dependencies included).
    const bySelector = new Map<string, string>();
    const byName = new Map<string, string>();
    for (const name of await hre.artifacts.getAllFullyQualifiedNames()) {
      const { abi } = await hre.artifacts.readArtifact(name);
      new Interface(abi).forEachError((error) => {
        const signature = error.format("sighash");
        const sameSelector = bySelector.get(error.selector);
        if (sameSelector !== undefined && sameSelector !== signature) {
          problems.push(`errors ${sameSelector} and ${signature} share selector ${error.selector}`);
        }
        const sameName = byName.get(error.name);
        if (sameName !== undefined && sameName !== signature) {
          problems.push(`error ${error.name} has two signatures: ${sameName} and ${signature}`);
        }
        bySelector.set(error.selector, signature);
        byName.set(error.name, signature);
      });
    }

    if (problems.length > 0) {
      fail(`custom error check failed:\n  ${[...new Set(problems)].join("\n  ")}`);
    }
    console.log(`custom errors: ${declared.size} CareLedger errors prefixed; ${bySelector.size} selectors unique`);
  },
);
