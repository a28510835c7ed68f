// Build step of scripts/build-package.ts: `node scripts/cli-code-cache.js LIB ARGS...` runs the bundled CLI
// (LIB/cli/aft-fleet.js) with ARGS, as the installed command would, and when it succeeds writes V8's code
// cache of the bundle, with every function that run compiled, to LIB/cli/aft-fleet.v8cache (see
// cli/launcher.ts). Run with no V8 flags: V8 accepts a cache only under the flags that made it.
const fs = require("node:fs");
const path = require("node:path");

const lib = path.resolve(process.argv[2]);
process.argv.splice(2, 1);
const { compileCli, BUNDLE_FILE, CODE_CACHE_FILE } = require(path.join(lib, "cli", "launcher.js"));
const cli = compileCli(path.join(lib, "cli", BUNDLE_FILE));
process.on("exit", (code) => {
  if (code === 0 && !process.exitCode) fs.writeFileSync(path.join(lib, "cli", CODE_CACHE_FILE), cli.createCachedData());
});
cli.run();
