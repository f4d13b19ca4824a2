import { expect } from "chai";

import { ConfigError, consortium, displayUrl, evmVersion, localhostUrl } from "../../config/env";

const KEY = `0x${"11".repeat(32)}`;

function configError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config/env", () => {
  describe("evmVersion", () => {
    it("defaults to cancun and accepts prague and osaka", () => {
      expect(evmVersion({})).to.equal("cancun");
      expect(evmVersion({ EVM_VERSION: "prague" })).to.equal("prague");
      expect(evmVersion({ EVM_VERSION: " osaka " })).to.equal("osaka");
    });

    it("refuses chains older than Cancun, naming the variable", () => {
      const error = configError(() => evmVersion({ EVM_VERSION: "shanghai" }));
      expect(error.variable).to.equal("EVM_VERSION");
      expect(error.message).to.contain("chains older than Cancun are not supported");
    });
  });

  describe("displayUrl", () => {
    it("hides a user, a password and a query, and keeps what names the node", () => {
      expect(displayUrl("https://ops:s3cret@besu.example:8545/rpc?apikey=abc")).to.equal(
        "https://***@besu.example:8545/rpc?***",
      );
      expect(displayUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
      expect(displayUrl("not a url//user:pw@host?token=1")).to.equal("not a url//***@host?***");
    });

    it("is what the configuration check prints of a refused URL", () => {
      const error = configError(() => localhostUrl({ LOCALHOST_RPC_URL: "wss://ops:s3cret@node.example/?key=abc" }));
      expect(error.message).not.to.contain("s3cret");
      expect(error.message).not.to.contain("abc");
    });
  });

  describe("localhostUrl", () => {
    it("defaults to port 8545 on this machine and takes an http(s) URL", () => {
      expect(localhostUrl({})).to.equal("http://127.0.0.1:8545");
      expect(localhostUrl({ LOCALHOST_RPC_URL: " http://10.0.0.7:8545 " })).to.equal("http://10.0.0.7:8545");
      expect(localhostUrl({ LOCALHOST_RPC_URL: "https://node.example/rpc" })).to.equal("https://node.example/rpc");
    });

    for (const url of ["ws://127.0.0.1:8546", "WSS://node.example"]) {
      it(`refuses the WebSocket URL ${url}, saying to give the node's HTTP endpoint`, () => {
        const error = configError(() => localhostUrl({ LOCALHOST_RPC_URL: url }));
        expect(error.variable).to.equal("LOCALHOST_RPC_URL");
        expect(error.message).to.equal(
          `LOCALHOST_RPC_URL: "${url}" is a WebSocket URL, which Hardhat 2 cannot use; give the node's HTTP ` +
            "JSON-RPC endpoint (http:// or https://; Besu: --rpc-http-enabled, port 8545 by default)",
        );
      });
    }

    for (const url of ["127.0.0.1:8545", "ftp://node.example", "http://"]) {
      it(`refuses ${url} as not an http(s) URL`, () => {
        expect(configError(() => localhostUrl({ LOCALHOST_RPC_URL: url })).message).to.equal(
          `LOCALHOST_RPC_URL: "${url}" is not an http:// or https:// URL`,
        );
      });
    }
  });

  describe("consortium", () => {
    const base = { CONSORTIUM_RPC_URL: "https://besu.example:8545", CONSORTIUM_CHAIN_ID: "1337" };

    it("is absent when no RPC URL is set", () => {
      expect(consortium({})).to.equal(undefined);
    });

    it("reads keys, chain id and a zero default gas price", () => {
      expect(consortium({ ...base, CONSORTIUM_PRIVATE_KEYS: `${KEY}, ${"22".repeat(32)}` })).to.deep.equal({
        url: base.CONSORTIUM_RPC_URL,
        chainId: 1337,
        accounts: [KEY, `0x${"22".repeat(32)}`],
        gasPrice: 0,
      });
    });

    it("reads a mnemonic with its derivation path and count", () => {
      const mnemonic = "test test test test test test test test test test test junk";
      const settings = consortium({ ...base, CONSORTIUM_MNEMONIC: mnemonic, CONSORTIUM_GAS_PRICE: "1000" });
      expect(settings?.accounts).to.deep.equal({ mnemonic, path: "m/44'/60'/0'/0", count: 10 });
      expect(settings?.gasPrice).to.equal(1000);
    });

    const cases: [string, Record<string, string>, string][] = [
      ["a malformed URL", { CONSORTIUM_RPC_URL: "besu:8545" }, "CONSORTIUM_RPC_URL"],
      ["a WebSocket URL", { ...base, CONSORTIUM_RPC_URL: "wss://besu.example:8546" }, "CONSORTIUM_RPC_URL"],
      [
        "a missing chain id",
        { CONSORTIUM_RPC_URL: base.CONSORTIUM_RPC_URL, CONSORTIUM_PRIVATE_KEYS: KEY },
        "CONSORTIUM_CHAIN_ID",
      ],
      [
        "a non-numeric chain id",
        { ...base, CONSORTIUM_CHAIN_ID: "abc", CONSORTIUM_PRIVATE_KEYS: KEY },
        "CONSORTIUM_CHAIN_ID",
      ],
      [
        "a negative gas price",
        { ...base, CONSORTIUM_GAS_PRICE: "-1", CONSORTIUM_PRIVATE_KEYS: KEY },
        "CONSORTIUM_GAS_PRICE",
      ],
      ["neither keys nor mnemonic", { ...base }, "CONSORTIUM_PRIVATE_KEYS"],
      [
        "both keys and mnemonic",
        { ...base, CONSORTIUM_PRIVATE_KEYS: KEY, CONSORTIUM_MNEMONIC: "a b" },
        "CONSORTIUM_MNEMONIC",
      ],
      ["a short private key", { ...base, CONSORTIUM_PRIVATE_KEYS: "0x1234" }, "CONSORTIUM_PRIVATE_KEYS"],
      ["a mnemonic of the wrong length", { ...base, CONSORTIUM_MNEMONIC: "one two three" }, "CONSORTIUM_MNEMONIC"],
    ];
    for (const [what, env, variable] of cases) {
      it(`names ${variable} for ${what}`, () => {
        expect(configError(() => consortium(env)).variable).to.equal(variable);
      });
    }
  });
});
