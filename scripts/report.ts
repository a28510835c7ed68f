#!/usr/bin/env node
/*
 * `npm run report -- [--config FILE] [--base GIT_REF|DIR] [--ledger FILE] [--out FILE] [--install-minutes N] [--aft-minutes N]`:
 * the pull-request rollout report (Markdown) of a fleet config against a previous state. It loads configs
 * with loadConfig and synthesizes with synthToDir, the same code as `npm run synth`; the report itself
 * is modules/report (pure functions).
 */
import { refuseRepeatedOptions } from "../cli/args";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "../modules/config";
import type { FleetModel } from "../modules/config/model";
import { jsonDepth, MAX_DEPTH } from "../modules/config/read";
import { OutputError } from "../modules/aft/output-dir";
import { diffTrees, parseLedgers, readTrees, renderReport, ReportError, type ReportInput, type Trees } from "../modules/report";

export interface ReportArgs {
  readonly config?: string;
  readonly base?: string;
  readonly ledger?: string;
  readonly out?: string;
  readonly installMinutes?: number;
  readonly aftMinutes?: number;
  readonly nodesPerPair?: number;
  readonly help: boolean;
}

function usage(): string {
  return [
    "usage: npm run report -- [--config FILE] [--base GIT_REF|DIR] [--ledger FILE] [--out FILE] [--install-minutes N] [--aft-minutes N] [--nodes-per-pair N]",
    `  --config FILE          fleet config; default: the bundled example ${path.relative(process.cwd(), DEFAULT_CONFIG)}`,
    "  --base GIT_REF|DIR     previous state: a git ref (its config at the same path in the config's repository,",
    "                         loaded and synthesized with the current code) or an emitted output folder (tree diff only)",
    '  --ledger FILE          fleet state: JSON { "<package>/<ring>": <ledger/<package>/<ring>.json> }',
    "  --out FILE             write the Markdown here; default: stdout",
    "  --install-minutes N    minutes a node batch takes to install, for the time estimate; default 15",
    "  --aft-minutes N        minutes one account's AFT customization pipeline takes (ring starts count from the merge); default 20",
    "  --nodes-per-pair N     managed nodes per account and Region, for the node batches of the time estimate; default 10",
  ].join("\n");
}

/** Strict: each option once, no positional argument. */
export function parseReportArgs(argv: readonly string[]): ReportArgs {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      config: { type: "string", short: "c" },
      base: { type: "string", short: "b" },
      ledger: { type: "string", short: "l" },
      out: { type: "string", short: "o" },
      "install-minutes": { type: "string" },
      "aft-minutes": { type: "string" },
      "nodes-per-pair": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  refuseRepeatedOptions(tokens);
  if (positionals.length > 0) {
    const p = positionals[0]!;
    const hint = /\.(ya?ml|json)$/i.test(p) ? ` (did you mean --config ${p}?)` : "";
    throw new Error(`unexpected argument ${JSON.stringify(p)}${hint}; report takes only options`);
  }
  for (const name of ["config", "base", "ledger", "out"] as const) {
    if (values[name] !== undefined && values[name]!.trim() === "") throw new Error(`--${name}: got an empty value`);
  }
  const minutes = (name: "install-minutes" | "aft-minutes"): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || value <= 0) throw new Error(`--${name}: got ${JSON.stringify(text)}; allowed: a positive number of minutes`);
    return value;
  };
  const installMinutes = minutes("install-minutes");
  const aftMinutes = minutes("aft-minutes");
  const nodesText = values["nodes-per-pair"];
  if (nodesText !== undefined && !/^[1-9]\d{0,5}$/.test(nodesText)) throw new Error(`--nodes-per-pair: got ${JSON.stringify(nodesText)}; allowed: a whole number of nodes from 1 to 999999`);
  const nodesPerPair = nodesText === undefined ? undefined : Number(nodesText);
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.base !== undefined ? { base: values.base } : {}),
    ...(values.ledger !== undefined ? { ledger: values.ledger } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(installMinutes !== undefined ? { installMinutes } : {}),
    ...(aftMinutes !== undefined ? { aftMinutes } : {}),
    ...(nodesPerPair !== undefined ? { nodesPerPair } : {}),
    help: values.help === true,
  };
}

type Synth = (model: FleetModel, outDir: string, configFile: string) => Promise<unknown>;

function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim().split("\n")[0];
    throw new ReportError(`git ${args.join(" ")}: ${stderr || (err as Error).message}`);
  }
}

type BaseSide = Pick<ReportInput, "before" | "baseLabel"> & { trees?: Trees; unavailable?: string };

/**
 * The base of a git ref: a detached worktree of `ref` (removed afterwards), its config at the same path
 * as `configFile` in the repository, loaded and synthesized with the current code.
 */
async function gitBase(ref: string, configFile: string, tmp: string, synth: Synth): Promise<BaseSide> {
  const configDir = path.dirname(path.resolve(configFile));
  const repo = git(configDir, ["rev-parse", "--show-toplevel"]);
  let commit: string;
  try {
    commit = git(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new ReportError(`--base ${ref}: got neither an output folder nor a commit of ${repo}; allowed: a git ref (e.g. origin/main) or a folder written by npm run synth`);
  }
  const rel = path.relative(fs.realpathSync(repo), fs.realpathSync(path.resolve(configFile)));
  if (rel.startsWith("..") || path.isAbsolute(rel)) throw new ReportError(`--config ${configFile}: not inside the git repository ${repo}, so --base ${ref} cannot name its previous version`);
  const shown = `${ref}:${rel.split(path.sep).join("/")}`;
  const worktree = path.join(tmp, "base-src");
  git(repo, ["worktree", "add", "--detach", "--quiet", worktree, commit]);
  try {
    const baseConfig = path.join(worktree, rel);
    if (!fs.existsSync(baseConfig)) {
      return { before: { kind: "unknown", why: `${shown} does not exist` }, baseLabel: ref, trees: new Map() };
    }
    let model: FleetModel;
    try {
      model = loadConfig(baseConfig, shown);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const first = err.issues[0];
      const more = err.issues.length > 1 ? ` and ${err.issues.length - 1} more` : "";
      const why = `${shown} does not load with the current code (${first ? `${first.path}: ${first.value ?? "missing"}` : "invalid"}${more})`;
      return { before: { kind: "unknown", why }, baseLabel: ref, unavailable: why };
    }
    const out = path.join(tmp, "base-out");
    await synth(model, out, baseConfig);
    return { before: { kind: "known", model }, baseLabel: ref, trees: readTrees(out) };
  } finally {
    git(repo, ["worktree", "remove", "--force", worktree]);
  }
}

/** Builds the report's Markdown. `synth` is main.ts's synthToDir (passed in: scripts do not load cdktf unless needed). */
export async function buildReport(args: ReportArgs, synth: Synth): Promise<string> {
  const configFile = args.config ?? DEFAULT_CONFIG;
  const after = loadConfig(configFile);
  checkOutOutsideSources(args, after);
  const ledgers = args.ledger !== undefined ? readLedgers(args.ledger) : undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-report-"));
  try {
    let base: BaseSide;
    if (args.base === undefined) {
      base = { before: { kind: "unknown", why: "no --base given" }, unavailable: "no --base given" };
    } else if (fs.statSync(args.base, { throwIfNoEntry: false })?.isDirectory()) {
      base = { before: { kind: "unknown", why: `--base ${args.base} is an output folder` }, baseLabel: args.base, trees: checkTreeDepth(readTrees(args.base), args.base) };
    } else {
      base = await gitBase(args.base, configFile, tmp, synth);
    }
    let trees: ReportInput["trees"];
    if (base.trees) {
      const out = path.join(tmp, "out");
      await synth(after, out, configFile);
      trees = diffTrees(base.trees, readTrees(out));
    } else {
      trees = { unavailable: base.unavailable ?? "no base trees" };
    }
    return renderReport({
      after,
      before: base.before,
      ...(base.baseLabel !== undefined ? { baseLabel: base.baseLabel } : {}),
      trees,
      ...(ledgers ? { ledgers } : {}),
      ...(args.installMinutes !== undefined ? { installMinutes: args.installMinutes } : {}),
      ...(args.nodesPerPair !== undefined ? { nodesPerPair: args.nodesPerPair } : {}),
      ...(args.aftMinutes !== undefined ? { aftMinutes: args.aftMinutes } : {}),
      now: new Date(),
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The ledger file, refused in one line when it cannot be parsed safely: nesting deeper than the config
 * reader allows is counted first, without recursion, so no parser exhausts the stack on it.
 */
function readLedgers(file: string): ReturnType<typeof parseLedgers> {
  const text = readText(file, "--ledger");
  const depth = jsonDepth(text);
  if (depth > MAX_DEPTH) throw new ReportError(`--ledger ${file}: got JSON nested ${depth} levels deep; allowed: at most ${MAX_DEPTH} levels of nesting (a ring ledger needs 4)`);
  try {
    return parseLedgers(text, file);
  } catch (err) {
    if (err instanceof RangeError) throw new ReportError(`--ledger ${file}: got JSON too large or deep to read (${err.message}); allowed: { "<package>/<ring>": <ledger object> }`);
    throw err;
  }
}

/** Nesting depth of a parsed value, walked with an explicit stack. */
function valueDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    max = Math.max(max, depth);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

/**
 * The trees of a --base folder, refused in one line when one is nested deeper than any tree synth writes
 * (about 10 levels) could be: the diff compares trees recursively.
 */
function checkTreeDepth(trees: Trees, base: string): Trees {
  for (const [file, tree] of trees) {
    const depth = valueDepth(tree);
    if (depth > MAX_DEPTH) throw new ReportError(`--base ${base}: ${file}: got JSON nested ${depth} levels deep; allowed: at most ${MAX_DEPTH} levels of nesting (a tree synth writes)`);
  }
  return trees;
}

/** Device and inode of an existing path (following links), or undefined. */
function identity(file: string): { dev: number; ino: number; real: string } | undefined {
  try {
    const stat = fs.statSync(file);
    return { dev: stat.dev, ino: stat.ino, real: fs.realpathSync(file) };
  } catch {
    return undefined;
  }
}

/**
 * Checks `--out` before anything is read or written: a regular file (new or existing, not a link) in an
 * existing folder, and none of the report's inputs (the config, --ledger, --base, nor a file inside a
 * --base output folder), compared by real path and by device and inode, so a link or a second name for
 * an input is refused too. The report writes that one file and nothing else.
 */
function checkOutPath(args: ReportArgs): void {
  if (args.out === undefined) return;
  const shown = `--out ${args.out}`;
  const out = path.resolve(args.out);
  const dir = path.dirname(out);
  const dirStat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!dirStat?.isDirectory()) {
    throw new ReportError(`${shown}: got a file in ${dirStat ? "a path that is not a folder" : "a folder that does not exist"} (${dir}); allowed: a file in an existing folder (report creates no folders)`);
  }
  const own = fs.lstatSync(out, { throwIfNoEntry: false });
  if (own?.isSymbolicLink()) throw new ReportError(`${shown}: got a symbolic link; allowed: a regular file or a new file (report writes only the file it is given, never through a link)`);
  if (own && !own.isFile()) throw new ReportError(`${shown}: got ${own.isDirectory() ? "a folder" : "a special file"}; allowed: a regular file or a new file`);
  const realOut = path.join(fs.realpathSync(dir), path.basename(out));
  const outId = identity(out);
  const inputs: Array<[string, string | undefined]> = [
    ["--config", args.config ?? DEFAULT_CONFIG],
    ["--ledger", args.ledger],
    ["--base", args.base],
  ];
  for (const [option, input] of inputs) {
    if (input === undefined) continue;
    const id = identity(input);
    if (id === undefined) continue;
    const same = id.real === realOut || (outId !== undefined && outId.dev === id.dev && outId.ino === id.ino);
    if (same) throw new ReportError(`${shown}: got the ${option} input ${input}; allowed: a file that is none of the report's inputs (--config, --base, --ledger)`);
    if (option === "--base" && fs.statSync(input).isDirectory()) {
      const rel = path.relative(id.real, realOut);
      if (!rel.startsWith("..") && !path.isAbsolute(rel)) throw new ReportError(`${shown}: got a file inside the --base output folder ${input}; allowed: a file outside the folders the report reads`);
    }
  }
}

/** `--out` inside a package source folder would be zipped by the next synth (or overwrite a script): refused. */
function checkOutOutsideSources(args: ReportArgs, model: FleetModel): void {
  if (args.out === undefined) return;
  const out = path.resolve(args.out);
  const realOut = path.join(fs.realpathSync(path.dirname(out)), path.basename(out));
  for (const pkg of model.packages) {
    for (const bundle of pkg.versions.flatMap((v) => v.bundles)) {
      const root = fs.realpathSync(path.dirname(path.dirname(bundle.sourceDir)));
      const rel = path.relative(root, realOut);
      if (!rel.startsWith("..") && !path.isAbsolute(rel)) {
        throw new ReportError(`--out ${args.out}: got a file inside the package source folder of ${pkg.name} (${root}); allowed: a file outside the package sources (synth zips what they hold)`);
      }
    }
  }
}

function writeOut(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new ReportError(`--out ${file}: cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); allowed: a writable file in an existing folder`);
  }
}

function readText(file: string, option: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ReportError(`${option} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: ReportArgs;
  try {
    args = parseReportArgs(argv);
  } catch (err) {
    process.stderr.write(`aft-fleet report: ${(err as Error).message}\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  try {
    // Required here, not imported at the top: the bench and tests use buildReport without loading cdktf.
    checkOutPath(args);
    const { synthToDir } = require("../main") as typeof import("../main");
    const markdown = await buildReport(args, synthToDir);
    if (args.out !== undefined) writeOut(args.out, markdown);
    else process.stdout.write(markdown);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof OutputError || err instanceof ReportError) {
      process.stderr.write(`${err.message.split("\n").join("; ")}\n`);
      return 1;
    }
    process.stderr.write(`aft-fleet report: internal error: ${(err as Error)?.message ?? String(err)} (set AFT_FLEET_DEBUG=1 for details)\n`);
    if (process.env.AFT_FLEET_DEBUG === "1") process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/**
 * Bench: the report for a fleet of `accounts` accounts in four rings (two Regions, two versions), load +
 * plan + render against a known base, without synth (synth has its own bench). Budget 2 s.
 */
export function benchReport(accounts = 1000): { what: string; ok: boolean }[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-report-bench-"));
  try {
    const ids = Array.from({ length: accounts }, (_, i) => String(100000000000 + i));
    const groups = ["canary", "pilot", "early", "broad"];
    const sizes = [0.01, 0.09, 0.3, 0.6].map((f) => Math.max(1, Math.round(f * accounts)));
    let at = 0;
    const targetGroups = Object.fromEntries(groups.map((g, i) => [g, { accounts: ids.slice(at, (at += sizes[i]!)), organizationalUnits: [`ou-ab12-${g.padEnd(8, "0")}`] }]));
    for (const v of ["1.0.0", "1.1.0"]) {
      for (const [f, body] of [["linux/install.sh", "#!/bin/sh\n"], ["linux/uninstall.sh", "#!/bin/sh\n"]] as const) {
        fs.mkdirSync(path.dirname(path.join(dir, "pkg", v, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, "pkg", v, f), body);
      }
    }
    const config = (release: string) => ({
      organization: { id: "o-benchmark01", managementAccount: "111111111111", centralAccount: "222222222222", homeRegion: "us-east-1", workloadRegions: ["us-east-1", "eu-west-1"], targetGroups },
      packages: [
        {
          name: "BenchAgent",
          publisher: "Bench Corp",
          source: "pkg",
          platforms: [{ platform: "amazon", arch: "x86_64", folder: "linux" }],
          release,
          versions: ["1.0.0", "1.1.0"],
          rings: groups.map((g) => ({ name: g, targets: g, bake: "1h", alarms: [`${g}-errors`], maxConcurrency: "10%" })),
        },
      ],
    });
    fs.writeFileSync(path.join(dir, "before.json"), JSON.stringify(config("1.0.0")));
    fs.writeFileSync(path.join(dir, "after.json"), JSON.stringify(config("1.1.0")));
    const started = process.hrtime.bigint();
    const markdown = renderReport({
      before: { kind: "known", model: loadConfig(path.join(dir, "before.json")) },
      after: loadConfig(path.join(dir, "after.json")),
      baseLabel: "bench",
      trees: { unavailable: "bench" },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`${`report (${accounts} accounts in 4 rings)`.padEnd(44)} ${seconds.toFixed(2).padStart(6)} s  (${markdown.length} characters of Markdown)\n`);
    return [{ what: `report for ${accounts} accounts <= 2 s`, ok: seconds <= 2 && markdown.includes("promotes 1 package") }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
