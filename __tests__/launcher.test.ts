/**
 * The installed command's launcher (cli/launcher.ts): the bundle runs as a CommonJS module with V8's code
 * cache when V8 accepts it, and exactly as without one when V8 refuses it (another Node's cache, a
 * damaged file, a changed bundle), so the cache can make a run faster but never different.
 * Each case runs in its own Node process: V8 keeps what it compiled in memory, and would answer a second
 * compile of the same source from there without looking at the cache.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, tempDir } from "./helpers/package";

let dir: string;
let bundle: string;

interface Outcome {
  readonly cacheAccepted: boolean;
  readonly ran: { dirname: string; filename: string; argv: string[]; requireWorks: boolean; changed?: boolean };
}

/** compileCli(bundle, cache file?) and run() in a fresh process; what the bundle saw and whether V8 used the cache. */
function launch(cacheFile?: string, write?: string): Outcome {
  const script = [
    `const fs = require("node:fs");`,
    `const { compileCli } = require(${JSON.stringify(path.join(ROOT, "cli", "launcher.ts"))});`,
    `const cache = ${cacheFile ? `fs.readFileSync(${JSON.stringify(cacheFile)})` : "undefined"};`,
    `const cli = compileCli(${JSON.stringify(bundle)}, cache);`,
    `cli.run();`,
    write ? `fs.writeFileSync(${JSON.stringify(write)}, cli.createCachedData());` : "",
    `process.stdout.write(JSON.stringify({ cacheAccepted: cli.cacheAccepted, ran: JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, "ran.json"))}, "utf8")) }));`,
  ].join("\n");
  const run = spawnSync(process.execPath, ["-r", require.resolve("esbuild-register"), "-e", script, "--", "bin.js", "synth", "--out", "x"], { cwd: dir, encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as Outcome;
}

beforeAll(() => {
  dir = tempDir("aft-fleet-launcher-");
  bundle = path.join(dir, "bundle.js");
  fs.writeFileSync(
    bundle,
    'require("node:fs").writeFileSync(require("node:path").join(__dirname, "ran.json"), JSON.stringify({ dirname: __dirname, filename: __filename, argv: process.argv.slice(2), requireWorks: typeof require("node:path").join === "function" && module.exports === exports }));\n',
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("compileCli", () => {
  it("runs the bundle as a module beside itself (its __dirname, __filename, require, module) with the command line", () => {
    const outcome = launch(undefined, path.join(dir, "bundle.v8cache"));
    expect(outcome).toEqual({ cacheAccepted: false, ran: { dirname: dir, filename: bundle, argv: ["synth", "--out", "x"], requireWorks: true } });
  });

  it("uses the code cache made from the same source", () => {
    expect(launch(path.join(dir, "bundle.v8cache")).cacheAccepted).toBe(true);
  });

  it("runs the same when V8 refuses the cache: other bytes, or a bundle changed after the cache was made", () => {
    const damaged = fs.readFileSync(path.join(dir, "bundle.v8cache"));
    damaged.fill(7, 0, Math.min(64, damaged.length));
    fs.writeFileSync(path.join(dir, "damaged.v8cache"), damaged);
    expect(launch(path.join(dir, "damaged.v8cache"))).toMatchObject({ cacheAccepted: false, ran: { filename: bundle, requireWorks: true } });

    fs.appendFileSync(bundle, 'require("node:fs").writeFileSync(require("node:path").join(__dirname, "ran.json"), JSON.stringify({ ...JSON.parse(require("node:fs").readFileSync(require("node:path").join(__dirname, "ran.json"), "utf8")), changed: true }));\n');
    expect(launch(path.join(dir, "bundle.v8cache"))).toMatchObject({ cacheAccepted: false, ran: { changed: true } });
  });
});
