#!/usr/bin/env node
/*
 * The `aft-fleet` command's entry. The package build bundles this file with the CLI, the compiled sources
 * it runs and their dependencies into one minified file (lib/cli/aft-fleet.js), which starts faster and
 * lighter than loading a few hundred modules one by one, and the installed command (lib/cli/bin.js) runs
 * that bundle with V8's code cache (cli/launcher.ts); from the sources it is the same code unbundled.
 */
import { run } from "./index";

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`aft-fleet: internal error: ${(err as Error)?.message ?? String(err)} (set AFT_FLEET_DEBUG=1 for details)\n`);
    if (process.env.AFT_FLEET_DEBUG === "1") process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
    process.exitCode = 70;
  },
);
