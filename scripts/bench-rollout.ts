/*
 * `node -r esbuild-register scripts/bench-rollout.ts [--scenario NAME]... [--strict] [--json]` (also the last
 * part of `npm run bench`): a ring's first release from empty ledgers, simulated in virtual time through the
 * real controller handler (scripts/bench-rollout/simulate.ts), each scenario in a fresh child process so its
 * peak RSS is its own. Scenarios: 1,000 and 10,000 accounts x 4 Regions, with the example ring's settings
 * (examples/fleet.yaml, ExampleAgent's broad ring: 10% of pairs at once, 2% errors) and aggressive ones (100% at
 * once); 15-minute installs, no install failures. `--scenario` matches the names without spaces and commas
 * (1000x4aggressive, 10000x4example, or 1000x4 for both rings) and may repeat. More: --accounts N --ring example|aggressive
 * [--failure-rate F] [--install-minutes M] [--cap-days D] [--max-wall-seconds S].
 *
 * Budgets (PASS/FAIL; --strict exits 1 on a FAIL): the aggressive 1,000 x 4 ring done under 1 h after its start
 * and 10,000 x 4 under 6 h; S3 bytes written per Lambda invocation under 50 MB; peak memory under 512 MB (the
 * controller's memory size; measured for the whole simulator, so an upper bound); every pair Succeeded.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { scenario, simulate, type RingSettings, type Scenario, type SimResult } from "./bench-rollout/simulate";
import { LAMBDA_MEMORY_MB } from "./bench-rollout/limits";

const MB = 1024 * 1024;
const S3_BYTES_PER_PASS_BUDGET = 50 * MB;

interface Check {
  readonly what: string;
  readonly ok: boolean;
}

/** The standard scenarios and their time budgets (ms after the ring's start), where one applies. */
function standardScenarios(): { sc: Scenario; timeBudgetMs?: number }[] {
  return [
    { sc: scenario(1_000, "example") },
    { sc: scenario(1_000, "aggressive"), timeBudgetMs: 3600_000 },
    { sc: scenario(10_000, "example") },
    { sc: scenario(10_000, "aggressive"), timeBudgetMs: 6 * 3600_000 },
  ];
}

function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "over";
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(bytes < 10 * MB ? 2 : 1);
}

/** The budget checks of one result. */
function checksOf(r: SimResult, timeBudgetMs?: number): Check[] {
  const name = r.scenario.name;
  const checks: Check[] = [];
  if (timeBudgetMs !== undefined) {
    checks.push({ what: `${name}: all pairs Succeeded within ${formatDuration(timeBudgetMs)} of the start (${formatDuration(r.allSucceededMs)})`, ok: r.allSucceededMs !== undefined && r.allSucceededMs <= timeBudgetMs });
  }
  checks.push({ what: `${name}: S3 bytes written per pass < 50 MB (max ${mb(r.s3BytesPerPassMax)} MB)`, ok: r.s3BytesPerPassMax < S3_BYTES_PER_PASS_BUDGET });
  checks.push({
    what: `${name}: controller memory < ${LAMBDA_MEMORY_MB} MB (${r.controllerHeapMb.toFixed(0)} MB = ${r.moduleHeapMb.toFixed(0)} MB loaded modules + ${(r.gcMeasured ? r.maxInvocationWorkingMb : r.maxInvocationHeapMb).toFixed(0)} MB largest invocation working set${r.gcMeasured ? "" : ", no --expose-gc: rough"}; heap growth with the fakes' new state ${r.maxInvocationHeapMb.toFixed(0)} MB; the whole simulator: RSS ${r.peakRssMb.toFixed(0)} MB)`,
    ok: r.controllerHeapMb < LAMBDA_MEMORY_MB,
  });
  checks.push({ what: `${name}: every pair Succeeded (${r.ledger.succeeded} of ${r.pairs}, ${r.ledger.failed} Failed)`, ok: r.ledger.succeeded === r.pairs });
  checks.push({ what: `${name}: Lambda responses within 6 MB (max ${r.maxResponseBytes} bytes)`, ok: r.maxResponseBytes <= 6 * MB });
  return checks;
}

const COLUMNS = [
  "scenario",
  "pairs",
  "all Succeeded after",
  "runbook executions",
  "invocations (plan/apply/summarize)",
  "timeouts/errors",
  "API calls S3 / Org / CW / STS / SSM",
  "throttled",
  "S3 MB written per pass max / total",
  "controller memory MB (est.)",
  "simulator peak RSS MB",
  "longest invocation real s",
  "Succeeded / Failed",
  "wall s",
];

function tableRow(r: SimResult): string[] {
  const c = r.callsByService;
  const throttled = Object.entries(r.throttled)
    .map(([s, n]) => `${s} ${n}`)
    .join(", ");
  return [
    r.scenario.name,
    r.pairs.toLocaleString("en-US"),
    `${formatDuration(r.allSucceededMs)}${r.stoppedBy === "done" ? "" : ` (${r.stoppedBy} at ${formatDuration(r.virtualEndMs)})`}`,
    `${r.executions}${r.passCapHits ? ` (${r.passCapHits} hit the ${100}-pass cap)` : ""}${r.abortedExecutions ? ` (${r.abortedExecutions} aborted)` : ""}`,
    `${r.invocations.plan}/${r.invocations.apply}/${r.invocations.summarize}`,
    `${r.invocations.timeouts}/${r.invocations.errors}`,
    [c.S3, c.Organizations, c.CloudWatch, c.STS, c.SSM].map((n) => (n ?? 0).toLocaleString("en-US")).join(" / "),
    throttled || "none",
    `${mb(r.s3BytesPerPassMax)} / ${mb(r.s3BytesTotal)}`,
    r.controllerHeapMb.toFixed(0),
    r.peakRssMb.toFixed(0),
    (r.maxInvocationRealMs / 1000).toFixed(1),
    `${r.ledger.succeeded.toLocaleString("en-US")} / ${r.ledger.failed}`,
    r.wallSeconds.toFixed(1),
  ];
}

function markdownTable(results: readonly SimResult[]): string {
  const lines = [`| ${COLUMNS.join(" | ")} |`, `|${COLUMNS.map(() => "---").join("|")}|`];
  for (const r of results) lines.push(`| ${tableRow(r).join(" | ")} |`);
  return lines.join("\n");
}

/** Runs one scenario in a fresh process (its own peak RSS). */
function inChild(sc: Scenario): SimResult {
  const run = spawnSync(process.execPath, ["--expose-gc", "-r", "esbuild-register", __filename, "--child", JSON.stringify(sc)], {
    cwd: path.join(__dirname, ".."),
    encoding: "utf8",
    maxBuffer: 64 * MB,
  });
  if (run.status !== 0) throw new Error(`rollout simulation ${sc.name} failed (${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as SimResult;
}

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function selected(args: readonly string[]): { sc: Scenario; timeBudgetMs?: number }[] {
  const all = standardScenarios();
  const accounts = option(args, "--accounts");
  const overrides: { -readonly [K in keyof Scenario]?: Scenario[K] } = {};
  const number = (name: string): number | undefined => {
    const value = option(args, name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} ${value}: a number >= 0`);
    return n;
  };
  const failureRate = number("--failure-rate");
  if (failureRate !== undefined) overrides.failureRate = failureRate;
  const installMinutes = number("--install-minutes");
  if (installMinutes !== undefined) overrides.installMinutes = installMinutes;
  const capDays = number("--cap-days");
  if (capDays !== undefined) overrides.capDays = capDays;
  const maxWallSeconds = number("--max-wall-seconds");
  if (maxWallSeconds !== undefined) overrides.maxWallSeconds = maxWallSeconds;
  if (accounts !== undefined) {
    const ring = (option(args, "--ring") ?? "aggressive") as RingSettings;
    if (ring !== "example" && ring !== "aggressive") throw new Error(`--ring ${String(ring)}: example or aggressive`);
    return [{ sc: scenario(Number(accounts), ring, overrides) }];
  }
  const names = args.flatMap((a, i) => (a === "--scenario" ? [args[i + 1] ?? ""] : []));
  const chosen = names.length === 0 ? all : all.filter(({ sc }) => names.some((n) => sc.name.toLowerCase().replace(/[,\s]/g, "").includes(n.toLowerCase().replace(/[,\s]/g, ""))));
  if (chosen.length === 0) throw new Error(`no scenario matches ${names.join(", ")}; scenarios: ${all.map(({ sc }) => sc.name).join("; ")}`);
  return chosen.map(({ sc, timeBudgetMs }) => ({ sc: { ...sc, ...overrides }, ...(timeBudgetMs !== undefined ? { timeBudgetMs } : {}) }));
}

/** Runs the scenarios, prints the table; returns the budget checks (bench.ts adds them to its own). */
export function benchRollout(args: readonly string[] = []): Check[] {
  const results: SimResult[] = [];
  const checks: Check[] = [];
  process.stdout.write("\nRollout simulation (virtual time, the real controller handler; scripts/bench-rollout.ts):\n");
  for (const { sc, timeBudgetMs } of selected(args)) {
    const r = inChild(sc);
    results.push(r);
    checks.push(...checksOf(r, timeBudgetMs));
    process.stdout.write(`  ${sc.name}: ${formatDuration(r.allSucceededMs)}, ${r.executions} runbook executions, ${r.wallSeconds.toFixed(1)} s real\n`);
    for (const e of r.firstErrors) process.stdout.write(`    first errors: ${e}\n`);
  }
  process.stdout.write(`\n${markdownTable(results)}\n\n`);
  process.stdout.write(`Ring settings: ${results.map((r) => `${r.scenario.ring} = maxConcurrency ${r.ringSettings.maxConcurrency}, maxErrors ${r.ringSettings.maxErrors}`).filter((v, i, a) => a.indexOf(v) === i).join("; ")} (${results[0]?.specSource ?? ""})\n`);
  if (args.includes("--json")) process.stdout.write(`${JSON.stringify(results)}\n`);
  return checks;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const child = option(args, "--child");
  if (child !== undefined) {
    simulate(JSON.parse(child) as Scenario)
      .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
      .catch((error: unknown) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exitCode = 1;
      });
  } else {
    const checks = benchRollout(args);
    for (const c of checks) process.stdout.write(`${c.ok ? "PASS" : "FAIL"}  ${c.what}\n`);
    process.exitCode = args.includes("--strict") && checks.some((c) => !c.ok) ? 1 : 0;
  }
}
