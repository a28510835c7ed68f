/*
 * Jest transform: TypeScript to CommonJS with esbuild (already the Lambda bundler), file by file, types
 * stripped only, as ts-jest did with isolatedModules and diagnostics off; `tsc --noEmit` stays the type
 * check. No test uses jest.mock (whose calls ts-jest would hoist above the imports).
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const { transformSync, version } = require("esbuild");

/** This file and esbuild's version: a change of either invalidates jest's cache. */
const SELF = crypto.createHash("sha256").update(fs.readFileSync(__filename)).update(version).digest("hex");

module.exports = {
  process(source, filename) {
    const result = transformSync(source, {
      loader: filename.endsWith(".tsx") ? "tsx" : "ts",
      format: "cjs",
      target: "node20",
      platform: "node",
      sourcemap: "inline",
      sourcefile: filename,
      keepNames: true,
      supported: { "dynamic-import": false },
    });
    return { code: result.code };
  },
  getCacheKey(source, filename) {
    return crypto.createHash("sha256").update(SELF).update("\0").update(filename).update("\0").update(source).digest("hex");
  },
};
