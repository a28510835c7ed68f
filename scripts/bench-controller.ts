/*
 * `node -r esbuild-register scripts/bench-controller.ts [--strict]` (also part of `npm run bench`): the controller's planning step for a large
 * organization, measured in a fresh child process: resolve the targets of two rings over an in-memory
 * organization of 10,000 accounts in nested OUs, gate both rings and diff them against full ledgers
 * (the broad ring promotes, so every one of its ~40,000 pairs changes), then pick the first starts.
 * Budget: <= 2 s wall time and <= 256 MB peak RSS. `--strict` exits 1 when over.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { emptyLedger, pairKey, RING_SPEC_SCHEMA_VERSION, type PairRecord, type RingLedger, type RingSpec } from "../contract";
import { gateRing, memoryOrg, nextStarts, planRun, resolveTargets, type OrgTree, type PlanResult } from "../lambdas/controller/plan";

const BUDGET_SECONDS = 2;
const BUDGET_MB = 256;
const REGIONS = ["ap-southeast-2", "eu-west-1", "us-east-1", "us-west-2"];
const ROOT = "r-bench";
const NOW = new Date("2026-03-01T12:00:00.000Z");

export interface ControllerBenchData {
  readonly org: OrgTree;
  readonly canary: { readonly spec: RingSpec; readonly ledger: RingLedger };
  readonly broad: { readonly spec: RingSpec; readonly ledger: RingLedger };
}

function ringSpec(ring: string, ringIndex: number, targets: RingSpec["targets"], earlier: RingSpec["earlierRingTargets"]): RingSpec {
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    package: "bench-agent",
    ring,
    ringIndex,
    release: "1.1.0",
    publishedVersions: ["1.0.0", "1.1.0"],
    targets,
    earlierRingTargets: earlier,
    regions: REGIONS,
    managementAccount: "100000000000",
    organizationId: "o-benchmark01",
    ...(ringIndex > 0 ? { previous: { name: "canary", bakeSeconds: 3600, alarms: ["canary-errors"], maxErrors: "0" } } : {}),
    alarms: [`${ring}-errors`],
    maxConcurrency: "10%",
    maxErrors: "1%",
    versionRetention: 25,
    store: { bucket: "bench-store", region: "us-east-1" },
    association: {
      name: "aft-fleet-bench-agent",
      action: "Install",
      installationType: "In-place update",
      additionalArguments: {},
      targets: [{ Key: "InstanceIds", Values: ["*"] }],
      scheduleExpression: "rate(1 day)",
      maxConcurrency: "10%",
      maxErrors: "10%",
      complianceSeverity: "HIGH",
    },
  };
}

function fullLedger(ring: string, accounts: readonly string[], version: string, reached: Record<string, string>): RingLedger {
  const pairs: Record<string, PairRecord> = {};
  for (const account of accounts) {
    for (const region of REGIONS) {
      pairs[pairKey(account, region)] = {
        account,
        region,
        wanted: version,
        applied: version,
        status: "Succeeded",
        updatedAt: "2026-02-01T00:00:00.000Z",
        attempts: 1,
        associationId: "00000000-0000-4000-8000-000000000000",
        associationVersion: "3",
        documentVersion: "2",
      };
    }
  }
  return { ...emptyLedger("bench-agent", ring), ringVersion: version, reached, pairs };
}

/**
 * `accounts` accounts in 10 x 10 x 10 nested OUs under the root (plus the management account at the
 * root, one SUSPENDED account in 500). The canary ring is one second-level OU (~100 accounts, at the
 * release since two hours); the broad ring is the root, at the previous version.
 */
export function buildControllerBench(accounts = 10_000): ControllerBenchData {
  const ous: { id: string; parent: string }[] = [];
  const leaves: string[] = [];
  for (let a = 0; a < 10; a++) {
    const top = `ou-bnch-top${String(a).padStart(5, "0")}`;
    ous.push({ id: top, parent: ROOT });
    for (let b = 0; b < 10; b++) {
      const mid = `ou-bnch-mid${a}${b}000`;
      ous.push({ id: mid, parent: top });
      for (let c = 0; c < 10; c++) {
        const leaf = `ou-bnch-leaf${a}${b}${c}00`;
        ous.push({ id: leaf, parent: mid });
        leaves.push(leaf);
      }
    }
  }
  const orgAccounts = [{ id: "100000000000", state: "ACTIVE", parent: ROOT }];
  for (let i = 1; i <= accounts; i++) {
    orgAccounts.push({ id: String(100000000000 + i), state: i % 500 === 0 ? "SUSPENDED" : "ACTIVE", parent: leaves[i % leaves.length]! });
  }
  const org: OrgTree = { rootId: ROOT, ous, accounts: orgAccounts };
  const canaryTargets = { accounts: [], organizationalUnits: ["ou-bnch-mid00000"] };
  const canarySpec = ringSpec("canary", 0, canaryTargets, []);
  const broadSpec = ringSpec("broad", 1, { accounts: [], organizationalUnits: [ROOT] }, [canaryTargets]);

  const snapshot = memoryOrg(org);
  const canaryAccounts = resolveTargets(canarySpec, snapshot).accounts;
  const broadAccounts = resolveTargets(broadSpec, snapshot).accounts;
  const twoHoursAgo = new Date(NOW.getTime() - 2 * 3600 * 1000).toISOString();
  return {
    org,
    canary: { spec: canarySpec, ledger: fullLedger("canary", canaryAccounts, "1.1.0", { "1.1.0": twoHoursAgo }) },
    broad: { spec: broadSpec, ledger: fullLedger("broad", broadAccounts, "1.0.0", { "1.0.0": "2026-01-01T00:00:00.000Z" }) },
  };
}

export interface ControllerPlanOutput {
  readonly canary: PlanResult;
  readonly broad: PlanResult;
  readonly starts: readonly string[];
}

/** The measured planning step: targets, gates and diffs of both rings, then the first starts. */
export function planControllerBench(data: ControllerBenchData): ControllerPlanOutput {
  const org = memoryOrg(data.org);
  const alarms = new Set<string>();
  const canaryTargets = resolveTargets(data.canary.spec, org);
  const canary = planRun(data.canary.spec, data.canary.ledger, undefined, canaryTargets, alarms, NOW);
  const broadTargets = resolveTargets(data.broad.spec, org);
  gateRing(data.broad.spec, data.broad.ledger, canary.ledger, alarms, NOW);
  const broad = planRun(data.broad.spec, data.broad.ledger, canary.ledger, broadTargets, alarms, NOW);
  const starts = nextStarts(broad.ledger, broad.work, data.broad.spec, alarms);
  return { canary, broad, starts };
}

interface Sample {
  readonly seconds: number;
  readonly rssMb: number;
  readonly pairs: number;
  readonly work: number;
}

/** In the child: build the data, time the planning step, report wall time and the process's peak RSS. */
function child(accounts: number): void {
  const data = buildControllerBench(accounts);
  const started = process.hrtime.bigint();
  const out = planControllerBench(data);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sample: Sample = {
    seconds,
    rssMb: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
    pairs: Object.keys(out.broad.ledger.pairs).length + Object.keys(out.canary.ledger.pairs).length,
    work: out.broad.work.length + out.canary.work.length,
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

function measure(accounts: number): Sample {
  const run = spawnSync(process.execPath, ["-r", "esbuild-register", __filename, "--child", String(accounts)], {
    cwd: path.join(__dirname, ".."),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`controller bench child failed (${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as Sample;
}

/** Prints the figures; returns the budget checks (bench.ts adds them to its own). */
export function benchController(accounts = 10_000): { what: string; ok: boolean }[] {
  const s = measure(accounts);
  const label = `controller plan (${accounts.toLocaleString("en-US")} accounts x ${REGIONS.length} Regions)`;
  process.stdout.write(`${label.padEnd(44)} ${s.seconds.toFixed(2).padStart(6)} s  ${s.rssMb.toFixed(0).padStart(5)} MB peak RSS  (${s.pairs} pairs, ${s.work} to work)\n`);
  return [
    { what: `controller plan wall time <= ${BUDGET_SECONDS} s`, ok: s.seconds <= BUDGET_SECONDS },
    { what: `controller plan peak RSS <= ${BUDGET_MB} MB`, ok: s.rssMb <= BUDGET_MB },
  ];
}

if (require.main === module) {
  const at = process.argv.indexOf("--child");
  if (at >= 0) {
    child(Number(process.argv[at + 1] ?? 10_000));
  } else {
    const checks = benchController();
    for (const c of checks) process.stdout.write(`${c.ok ? "within budget" : "OVER BUDGET  "}  ${c.what}\n`);
    process.exitCode = process.argv.includes("--strict") && checks.some((c) => !c.ok) ? 1 : 0;
  }
}
