/*
 * `npm run build` (also npm's prepack): the installable package in lib/ (git-ignored).
 *   - tsc -p tsconfig.build.json (incremental, in node_modules/.cache): JavaScript and declarations of the
 *     CLI, main.ts, the constructs and the report and status scripts, in the repository's layout
 *     (lib/main.js, lib/modules/..., lib/cli/...);
 *   - the files the compiled code finds beside itself through __dirname, at the same relative paths:
 *     the bundled example (examples/fleet.yaml and its package sources), the JSON Schema, the patching
 *     tagger script;
 *   - `aft-fleet status` bundled with the AWS SDK clients it needs (lib/status-bundle/status.js);
 *   - the controller's Lambda bundles (modules/controller/bundling.ts, deterministic) in lib/lambda-bundles/,
 *     so the installed package needs neither esbuild nor the handler sources;
 *   - the command: lib/cli/aft-fleet.js (the CLI in one file), V8's code cache of it and the launcher
 *     lib/cli/bin.js that runs one with the other (cli/launcher.ts).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUNDLE_FILE, CODE_CACHE_FILE } from "../cli/launcher";
import { buildLambdas } from "../modules/controller/bundling";

const ROOT = path.join(__dirname, "..");
const LIB = path.join(ROOT, "lib");

/** Files and folders copied into lib/ at the same relative path. */
const PACKAGE_ASSETS = ["examples/fleet.yaml", "packages/example-agent", "schema/fleet.schema.json", "modules/patching/scripts"] as const;

/**
 * `aft-fleet status` in one file with the AWS SDK clients and the controller's ledger code it uses, so
 * the package needs no SDK dependency; deterministic as the Lambda bundles (relative entry, no source map).
 */
async function bundleStatus(outFile: string): Promise<void> {
  const { build } = require("esbuild") as typeof import("esbuild");
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["scripts/status.ts"],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    keepNames: true,
    legalComments: "none",
    external: ["@aws-sdk/signature-v4-crt"],
    banner: { js: "// aft-fleet status, bundled by scripts/build-package.ts" },
    logLevel: "silent",
  });
  if (result.warnings.length > 0) throw new Error(`esbuild warnings for status: ${result.warnings.map((w) => w.text).join("; ")}`);
  if (fs.readFileSync(outFile, "utf8").includes(ROOT)) throw new Error(`the status bundle contains the build machine path ${ROOT}`);
}

/**
 * lib/cli/aft-fleet.js: the CLI (compiled cli/bin.ts) with the compiled sources and their dependencies in
 * one minified file (measured: about 15% less CPU and 8 MB less peak RSS per synth than loading lib/ module
 * by module). Each compiled file keeps its own `__dirname` (rewritten to its folder relative to the
 * bundle's), so the files it finds beside itself (the example, the Lambda bundles, the tagger script) stay
 * where lib/ has them; esbuild (only needed to bundle from the sources) stays out. Function names are not
 * kept (esbuild's keepNames costs about 5% of a synth): every message a user reads is written by aft-fleet
 * itself; only a library's internal-error text could name a minified class.
 */
async function bundleCli(lib: string): Promise<void> {
  const { build } = require("esbuild") as typeof import("esbuild");
  const outFile = path.join(lib, "cli", BUNDLE_FILE);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(lib, "cli", "bin.js")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // ESM builds where a package has one (jsonc-parser's UMD build requires its parts dynamically).
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    external: ["esbuild"],
    logLevel: "silent",
    plugins: [
      {
        // cdktf records a stack trace at every token it creates (Lazy, intrinsic, dynamic values), read only
        // by its own message when a token cannot be resolved. In a minified bundle those frames name nothing
        // a reader could use, and formatting them costs about 5% of a synth: the bundle records none.
        name: "no-token-creation-stacks",
        setup(b) {
          b.onLoad({ filter: /[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/ }, () => ({
            contents: '"use strict";Object.defineProperty(exports,"__esModule",{value:true});exports.captureStackTrace=function captureStackTrace(){return [];};',
            loader: "js",
          }));
        },
      },
      {
        name: "own-dirname",
        setup(b) {
          b.onLoad({ filter: /\.js$/ }, (args) => {
            const rel = path.relative(lib, args.path);
            if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
            const from = path.relative(path.dirname(outFile), path.dirname(args.path)).split(path.sep).join("/") || ".";
            const text = fs.readFileSync(args.path, "utf8").replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${JSON.stringify(from)})`);
            return { contents: text, loader: "js" };
          });
        },
      },
    ],
  });
  const warnings = result.warnings.filter((w) => !/will not be bundled/.test(w.text));
  if (warnings.length > 0) throw new Error(`esbuild warnings for the CLI: ${warnings.map((w) => w.text).join("; ")}`);
  const text = fs.readFileSync(outFile, "utf8");
  if (text.includes(ROOT)) throw new Error(`the CLI bundle contains the build machine path ${ROOT}`);
  // A module, not a script: bin.js runs it (esbuild keeps cli/bin.ts's #! line, which a module wrapper refuses).
  if (text.startsWith("#!")) fs.writeFileSync(outFile, text.slice(text.indexOf("\n") + 1));
}

/**
 * lib/cli/bin.js, the installed command: runs the bundle through cli/launcher.ts with V8's code cache of
 * it, made here by one synth of the bundled example (scripts/cli-code-cache.js) in a scratch folder.
 */
function writeLauncher(lib: string): void {
  const bin = path.join(lib, "cli", "bin.js");
  fs.writeFileSync(bin, '#!/usr/bin/env node\n"use strict";\n// aft-fleet: the bundled CLI with its V8 code cache (cli/launcher.ts).\nrequire("./launcher.js").launch(__dirname);\n');
  fs.chmodSync(bin, 0o755);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-code-cache-"));
  try {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.AFT_FLEET_CONFIG;
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "cli-code-cache.js"), lib, "synth", "--out", "out"], { cwd: scratch, env, stdio: ["ignore", "ignore", "inherit"] });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  if (!fs.existsSync(path.join(lib, "cli", CODE_CACHE_FILE))) throw new Error("the CLI's code cache was not written");
}

/**
 * tsc -p tsconfig.build.json into `out`, incrementally (its build info lives in `out`, so a missing `out`
 * compiles everything), then its JavaScript and declarations copied to `staging`. Files whose source is
 * gone are deleted from `out` first: an incremental build never removes what it emitted before.
 */
function compileSources(out: string, staging: string): void {
  const sourceOf = (rel: string) => path.join(ROOT, rel.replace(/(\.d\.ts|\.js)$/, ".ts"));
  const emitted = (dir: string, rel = ""): string[] =>
    fs.existsSync(path.join(dir, rel))
      ? fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? emitted(dir, path.join(rel, e.name)) : /\.(d\.ts|js)$/.test(e.name) ? [path.join(rel, e.name)] : []))
      : [];
  for (const rel of emitted(out)) if (!fs.existsSync(sourceOf(rel))) fs.rmSync(path.join(out, rel));
  const tsc = [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", out, "--incremental", "--tsBuildInfoFile", path.join(out, "build.tsbuildinfo")];
  execFileSync(process.execPath, tsc, { cwd: ROOT, stdio: "inherit" });
  for (const rel of emitted(out)) {
    fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
    fs.copyFileSync(path.join(out, rel), path.join(staging, rel));
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  // Built in a staging folder (under node_modules: no test walks it) and swapped in whole, so lib/ is
  // never half written while another process reads it.
  const cache = path.join(ROOT, "node_modules", ".cache");
  fs.mkdirSync(cache, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cache, "aft-fleet-lib-"));
  try {
    compileSources(path.join(cache, "aft-fleet-tsc"), staging);
    for (const asset of PACKAGE_ASSETS) fs.cpSync(path.join(ROOT, asset), path.join(staging, asset), { recursive: true });
    await buildLambdas(path.join(staging, "lambda-bundles"));
    await bundleStatus(path.join(staging, "status-bundle", "status.js"));
    await bundleCli(staging);
    writeLauncher(staging);
    fs.rmSync(LIB, { recursive: true, force: true });
    fs.renameSync(staging, LIB);
    fs.chmodSync(LIB, 0o755);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const bundles = fs.readdirSync(path.join(LIB, "lambda-bundles"));
  process.stdout.write(`build: lib/ (compiled sources, ${PACKAGE_ASSETS.length} asset paths, ${bundles.length} Lambda bundle(s)) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`build: ${(err as Error)?.message ?? String(err)}\n`);
  process.exitCode = 1;
});
