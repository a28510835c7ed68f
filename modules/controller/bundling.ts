/**
 * Bundling of the controller's Lambda handlers: each `lambdas/<handler>/index.ts` into
 * `<outDir>/<handler>/index.js`. The construct that deploys a handler owns its bundle (aws-lambda-nodejs'
 * shape); `npm run build:lambdas [-- <outDir>]` calls the same code for inspection.
 *
 * The AWS SDK is bundled, not left external. The Node.js 20 runtime ships an SDK v3, but its version is
 * whatever AWS last deployed and it changes under a deployed function; bundling pins the SDK this
 * repository tests against (package-lock.json), so a bundle behaves the same in every account and Region
 * and a given commit always produces the same bytes.
 *
 * Output is byte-identical across runs and machines: relative entry points under a fixed
 * absWorkingDir, handlers in sorted order, no source maps, no legal comments, and a check that no
 * absolute path of the build machine leaked into a bundle.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const LAMBDAS_DIR = "lambdas";
/** Code shared by handlers; not a handler itself. */
const SHARED_DIR = "shared";

/** Handler names: folders of lambdas/ holding an index.ts, sorted. */
export function handlerNames(): string[] {
  return readdirSync(path.join(ROOT, LAMBDAS_DIR))
    .filter((name) => name !== SHARED_DIR)
    .filter((name) => {
      const entry = path.join(ROOT, LAMBDAS_DIR, name, "index.ts");
      return statSync(path.join(ROOT, LAMBDAS_DIR, name)).isDirectory() && statSync(entry, { throwIfNoEntry: false })?.isFile();
    })
    .sort();
}

function sdkVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "node_modules/@aws-sdk/client-ssm/package.json"), "utf8")) as { version: string };
  return manifest.version;
}

/** Absolute paths of the build machine that must never appear in a bundle. */
function forbiddenPaths(): string[] {
  return [ROOT, os.homedir()].filter((p) => p.length > 1);
}

/** Bundles every handler; returns the written files (`<outDir>/<handler>/index.js`), sorted. */
export async function buildLambdas(outDir: string): Promise<string[]> {
  const target = path.resolve(outDir);
  const banner = `// aft-fleet Lambda handler, bundled by modules/controller/bundling.ts with AWS SDK for JavaScript ${sdkVersion()}`;
  // One esbuild call per handler, all at once: esbuild's service bundles them in parallel.
  const names = handlerNames();
  const results = await Promise.all(names.map((name) => bundle(name, banner)));
  const written: string[] = [];
  names.forEach((name, i) => {
    const outFile = path.join(target, name, "index.js");
    mkdirSync(path.dirname(outFile), { recursive: true });
    writeFileSync(outFile, results[i]!);
    written.push(outFile);
  });
  return written;
}

/** Bundles one handler and returns its bytes, refusing warnings and build-machine paths. */
async function bundle(name: string, banner: string): Promise<Uint8Array> {
  // Required here: esbuild is a build-time dependency the installed package (prebuilt bundles) does not ship.
  const { build } = require("esbuild") as typeof import("esbuild");
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [`${LAMBDAS_DIR}/${name}/index.ts`],
    outfile: `${name}/index.js`,
    write: false,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // ESM builds of the SDK tree-shake better than its CJS builds.
    mainFields: ["module", "main"],
    // Minified: a third of the size and faster cold starts; names kept for readable stack traces.
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    // Optional native signer (SigV4a only) that the SDK requires inside try/catch; never installed or
    // shipped, and named here so a machine that happens to have it still produces the same bundle.
    external: ["@aws-sdk/signature-v4-crt"],
    banner: { js: banner },
    logLevel: "silent",
  });
  if (result.warnings.length > 0) {
    throw new Error(`esbuild warnings for ${name}: ${result.warnings.map((warning) => warning.text).join("; ")}`);
  }
  const file = result.outputFiles[0];
  if (result.outputFiles.length !== 1 || file === undefined) {
    throw new Error(`esbuild produced ${result.outputFiles.length} files for ${name}`);
  }
  const text = file.text;
  for (const forbidden of forbiddenPaths()) {
    if (text.includes(forbidden)) throw new Error(`bundle for ${name} contains the build machine path ${forbidden}`);
  }
  return file.contents;
}

/** Every input of the bundles: handler sources, this script and the lock file (SDK and esbuild versions). */
function inputsHash(): string {
  const hash = createHash("sha256");
  const add = (rel: string) => {
    hash.update(rel).update("\0").update(readFileSync(path.join(ROOT, rel))).update("\0");
  };
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) add(child);
    }
  };
  walk(LAMBDAS_DIR);
  // Handlers import the contract: a change there changes the bundles.
  walk("contract");
  add("modules/controller/bundling.ts");
  add("package-lock.json");
  return hash.digest("hex").slice(0, 16);
}

/**
 * The bundles for the current sources, built once per change of their inputs and kept under
 * node_modules/.cache (a synth then costs no bundling). Returns the folder holding `<handler>/index.js`.
 * Bundles are deterministic, so a cached bundle is byte-identical to a fresh one.
 */
export async function cachedLambdaBundles(cacheRoot = path.join(ROOT, "node_modules", ".cache", "aft-fleet-lambdas")): Promise<string> {
  const dir = path.join(cacheRoot, inputsHash());
  if (existsSync(dir)) return dir;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(path.join(cacheRoot, ".staging-"));
  try {
    await buildLambdas(staging);
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Another synth finished the same build first; its bundles are identical.
      if (!existsSync(dir)) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

async function main(): Promise<void> {
  const outDir = process.argv[2] ?? "dist/lambdas";
  const started = process.hrtime.bigint();
  const files = await buildLambdas(outDir);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  for (const file of files) {
    const relative = path.relative(process.cwd(), file);
    console.log(`build-lambdas: ${relative}  ${(statSync(file).size / 1024).toFixed(1)} KiB`);
  }
  console.log(`build-lambdas: ${files.length} handlers in ${(elapsedMs / 1000).toFixed(2)} s`);
}

/**
 * The cached bundles, or, when the cache folder cannot be written (a read-only install), a fresh build
 * in `fallbackDir` (the caller's working folder inside the output folder).
 */
export async function lambdaBundles(fallbackDir: string): Promise<string> {
  try {
    return await cachedLambdaBundles();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EROFS" && code !== "EPERM") throw err;
    await buildLambdas(fallbackDir);
    return fallbackDir;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`build-lambdas: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
