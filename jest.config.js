/** Jest with swc: TypeScript is transpiled, not type-checked (`npm test` runs tsc first). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.(t|j|mj)sx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  // @redocly/openapi-core and jose ship ES modules only; jest's module system needs them as CommonJS.
  transformIgnorePatterns: ["/node_modules/(?!(@redocly|jose)/)"],
  testTimeout: 30_000,
  globalSetup: "<rootDir>/test/global-setup.ts",
};
