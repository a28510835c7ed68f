/*
 * The installed `aft-fleet` command's first few lines (the package's lib/cli/bin.js).
 *
 * The package build bundles the CLI, the compiled sources and their dependencies into one file
 * (lib/cli/aft-fleet.js) and, beside it, V8's code cache for that file (lib/cli/aft-fleet.v8cache),
 * made by running the bundled example's synth once at build time. Compiling the 2.4 MB bundle is about
 * a third of a synth's CPU; with the cache V8 reads the compiled functions instead of compiling them.
 *
 * V8 accepts the cache only from the same V8 version and flags that made it (Node checks it, we do not:
 * `vm.Script` reports `cachedDataRejected`). Under any other Node the bundle is compiled as it would be
 * without a cache, so the cache can make a run faster but never different. Nothing is written at run
 * time: the cache ships in the package.
 */
import * as fs from "node:fs";
import { createRequire, wrap } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";

/** The bundle and its code cache, beside this file in the package. */
export const BUNDLE_FILE = "aft-fleet.js";
export const CODE_CACHE_FILE = "aft-fleet.v8cache";

export interface CompiledCli {
  /** Whether V8 used the code cache (false when there was none or V8 refused it). */
  readonly cacheAccepted: boolean;
  /** V8's code cache of the bundle as compiled so far (the build writes it after a synth). */
  createCachedData(): Buffer;
  /** Runs the bundle as the main program: it reads process.argv and sets process.exitCode. */
  run(): void;
}

/** Compiles the bundle at `bundle` as a CommonJS module, with V8's code cache when given one. */
export function compileCli(bundle: string, cachedData?: Buffer): CompiledCli {
  const source = fs.readFileSync(bundle, "utf8");
  const script = new vm.Script(wrap(source), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  return {
    cacheAccepted: cachedData !== undefined && !script.cachedDataRejected,
    createCachedData: () => script.createCachedData(),
    run() {
      const exports = {};
      const module = { exports, filename: bundle, id: bundle, loaded: false, children: [], paths: [] };
      const body = script.runInThisContext() as (...args: unknown[]) => void;
      body.call(exports, exports, createRequire(bundle), module, bundle, path.dirname(bundle));
    },
  };
}

/** The code cache beside the bundle, or undefined when the package has none. */
function readCodeCache(dir: string): Buffer | undefined {
  try {
    return fs.readFileSync(path.join(dir, CODE_CACHE_FILE));
  } catch {
    return undefined;
  }
}

/** bin.js: the bundle beside this file, with its code cache. */
export function launch(dir: string): void {
  const cli = compileCli(path.join(dir, BUNDLE_FILE), readCodeCache(dir));
  if (process.env.AFT_FLEET_DEBUG === "1") process.stderr.write(`aft-fleet: code cache ${cli.cacheAccepted ? "accepted" : "not used"} (Node ${process.version})\n`);
  cli.run();
}
