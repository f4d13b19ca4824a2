// solidity-coverage's settings for `npm run coverage`.
module.exports = {
  // Test contracts (mocks, probes, the test stablecoin) are not production code: they are neither instrumented nor
  // held to the floor.
  skipFiles: ["test/"],
  // json-summary is what the floor (tasks/coverage.ts) reads; json has each missed branch; html and lcov are for people
  // and editors.
  istanbulReporter: ["text", "json-summary", "json", "html", "lcov"],
  // Instrumented contracts run several times slower under the probes' tracing: a test's time allowance grows with it
  // (mocha's default here is 120 s; one test registers 1,001 trials).
  mocha: { timeout: 600_000 },
};
