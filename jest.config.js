/**
 * Fast tests: TypeScript is transpiled file by file with esbuild (scripts/jest-esbuild-transform.js;
 * ts-jest took ~21 s more per run); `tsc --noEmit` (npm run typecheck, tier 1 of npm test) type-checks once.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "<rootDir>/scripts/jest-esbuild-transform.js" },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 60000,
};
