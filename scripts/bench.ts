/*
 * `npm run bench`: cold synth wall time and peak RSS, each run a fresh process as `npm run synth` starts it,
 * for the bundled example and for a generated large organization (200 accounts, 4 Regions, 10 packages).
 * Budget: example <= 1.5 s and <= 200 MB; the large config within 5x the example; the installed CLI
 * (lib/ of `npm run build`) within 2x the floor (a precompiled 3-resource cdktf app, scripts/bench-floor.js;
 * the two measured in turns, five runs each, wall and CPU) and <= 120 MiB. `--strict` exits 1 when over.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { benchController } from "./bench-controller";
import { benchReport } from "./report";
import { benchRollout } from "./bench-rollout";

const ROOT = path.join(__dirname, "..");
const RUNS = 3;

interface Sample {
  readonly seconds: number;
  readonly rssMb: number;
  /** User plus system CPU of the measured process. */
  readonly cpuSeconds: number;
}

/** Peak RSS and CPU time the bench-rss.js preload reported on stderr. */
function usageOf(stderr: string): { rssMb: number; cpuSeconds: number } {
  const usage = /maxrss_kb=(\d+) cpu_us=(\d+)/.exec(stderr);
  if (!usage) throw new Error("the measured process did not report its peak RSS and CPU time");
  return { rssMb: Number(usage[1]) / 1024, cpuSeconds: Number(usage[2]) / 1e6 };
}

function coldSynth(config: string | undefined, out: string): Sample {
  const args = ["-r", path.join(ROOT, "scripts", "bench-rss.js"), "-r", "esbuild-register", path.join(ROOT, "main.ts"), "synth", "--out", out];
  if (config) args.push("--config", config);
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`synth failed (${run.status}):\n${run.stderr}`);
  return { seconds, ...usageOf(run.stderr) };
}

/** One cold process (`node -r bench-rss.js ...args`) in `cwd`: wall time and peak RSS. */
function coldProcess(args: readonly string[], cwd = ROOT): Sample {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["-r", path.join(ROOT, "scripts", "bench-rss.js"), ...args], { cwd, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${args.join(" ")} failed (${run.status}):\n${run.stderr}`);
  return { seconds, ...usageOf(run.stderr) };
}

/** The installed CLI's entry: lib/ of `npm run build`, built now so that it is the current code's. */
function builtCli(): string {
  const build = spawnSync(process.execPath, ["-r", "esbuild-register", path.join(ROOT, "scripts", "build-package.ts")], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
  return path.join(ROOT, "lib", "cli", "bin.js");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A large organization: 200 accounts in 4 target groups, 4 Regions, 10 packages with Linux and Windows zips. */
function writeLargeConfig(dir: string): string {
  const example = path.join(ROOT, "packages", "example-agent", "1.0.0");
  const accounts = Array.from({ length: 200 }, (_, i) => String(100000000000 + i));
  const groups = ["canary", "pilot", "broad", "all"];
  const targetGroups = Object.fromEntries(groups.map((g, i) => [g, { accounts: accounts.slice(i * 50, i * 50 + 50) }]));
  const packages = Array.from({ length: 10 }, (_, i) => {
    const name = `BenchAgent${String(i).padStart(2, "0")}`;
    fs.cpSync(example, path.join(dir, "packages", name, "1.0.0"), { recursive: true });
    return {
      name,
      publisher: "Bench Corp",
      source: `packages/${name}`,
      installationType: "In-place update",
      platforms: [
        ...["amazon", "redhat", "ubuntu"].flatMap((platform) => ["x86_64", "arm64"].map((arch) => ({ platform, arch, folder: "linux" }))),
        { platform: "windows", arch: "x86_64", folder: "windows" },
      ],
      release: "1.0.0",
      rings: [
        { name: "canary", targets: groups[i % groups.length], bake: "24h" },
        { name: "main", targets: groups[(i + 1) % groups.length] },
      ],
    };
  });
  const config = {
    organization: {
      id: "o-benchmark01",
      managementAccount: "111111111111",
      centralAccount: "222222222222",
      homeRegion: "us-east-1",
      workloadRegions: ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"],
      targetGroups,
    },
    packages,
  };
  const file = path.join(dir, "fleet.yaml");
  fs.writeFileSync(file, stringify(config));
  return file;
}

function summarize(label: string, samples: readonly Sample[]): Sample {
  const result = { seconds: median(samples.map((s) => s.seconds)), rssMb: Math.max(...samples.map((s) => s.rssMb)), cpuSeconds: median(samples.map((s) => s.cpuSeconds)) };
  process.stdout.write(
    `${label.padEnd(44)} ${result.seconds.toFixed(2).padStart(6)} s  ${result.cpuSeconds.toFixed(2).padStart(5)} s CPU  ${result.rssMb.toFixed(0).padStart(5)} MB peak RSS  (median of ${samples.length} cold runs)\n`,
  );
  return result;
}

function measure(label: string, config: string | undefined, out: string, run: () => Sample = () => coldSynth(config, out)): Sample {
  return summarize(label, Array.from({ length: RUNS }, run));
}

/** Two commands measured in turns (a, b, a, b, ...), so a busy spell of the machine weighs on both alike. */
function measurePair(runs: number, a: { label: string; run: () => Sample }, b: { label: string; run: () => Sample }): [Sample, Sample] {
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(a.run());
    bs.push(b.run());
  }
  return [summarize(a.label, as), summarize(b.label, bs)];
}

function main(): number {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-bench-"));
  try {
    const example = measure("example organization", undefined, path.join(tmp, "example-out"));
    const large = measure("large (200 accounts, 4 Regions, 10 packages)", writeLargeConfig(tmp), path.join(tmp, "large-out"));
    // The floor: a precompiled cdktf app with 3 resources; the installed CLI (compiled lib/, prebuilt bundles).
    const cli = builtCli();
    const [floor, installed] = measurePair(
      5,
      { label: "floor (precompiled cdktf app, 3 resources)", run: () => coldProcess([path.join(ROOT, "scripts", "bench-floor.js"), path.join(tmp, "floor-out")]) },
      { label: "installed CLI: aft-fleet synth (lib/cli/bin.js)", run: () => coldProcess([cli, "synth", "--out", path.join(tmp, "cli-out")]) },
    );
    const checks = [
      { what: "example wall time <= 1.5 s", ok: example.seconds <= 1.5 },
      { what: "example peak RSS <= 200 MB", ok: example.rssMb <= 200 },
      { what: `large wall time <= 5x example (${(large.seconds / example.seconds).toFixed(1)}x)`, ok: large.seconds <= 5 * example.seconds },
      { what: `large peak RSS <= 5x example (${(large.rssMb / example.rssMb).toFixed(1)}x)`, ok: large.rssMb <= 5 * example.rssMb },
      { what: `installed CLI wall time <= 2x the floor (${(installed.seconds / floor.seconds).toFixed(2)}x; CPU ${(installed.cpuSeconds / floor.cpuSeconds).toFixed(2)}x)`, ok: installed.seconds <= 2 * floor.seconds },
      { what: `installed CLI peak RSS <= 120 MiB (${installed.rssMb.toFixed(0)})`, ok: installed.rssMb <= 120 },
      ...benchController(),
      ...benchReport(),
      ...benchRollout(),
    ];
    for (const c of checks) process.stdout.write(`${c.ok ? "within budget" : "OVER BUDGET  "}  ${c.what}\n`);
    return process.argv.includes("--strict") && checks.some((c) => !c.ok) ? 1 : 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = main();
