/**
 * The rollout simulation: one package ring's first release from empty ledgers, driven through the real
 * controller handler (`runStep` from lambdas/controller) the way aft-fleet-RolloutRing runs it
 * (modules/controller/ring-runbook.ts): a plan step, then up to MAX_APPLY_PASSES apply steps with the
 * APPLY_PAUSE sleep after each, then summarize; each step one Lambda invocation with the controller's timeout
 * (CONTROLLER_TIMEOUT_SECONDS) and two attempts (the step's maxAttempts); a step failing both aborts the
 * execution. The ring's State Manager association starts an execution at once (the spec changed), and the
 * next one at the next full hour after an execution ended, until every pair Succeeded or the cap.
 *
 * Everything runs in virtual time (clock.ts) against the fakes (fakes.ts).
 */
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { EXECUTION_ROLE_NAME, RING_SPEC_SCHEMA_VERSION, associationNameOf, pairKey, ringSpecKey, versionPrefix, type RingSpec } from "../../contract";
import { runStep, type ControllerDeps } from "../../lambdas/controller";
import { assumeMember, CredentialCache } from "../../lambdas/controller/pair";
import { DEFAULT_CONFIG, loadConfig } from "../../modules/config";
import { CONTROLLER_TIMEOUT_SECONDS } from "../../modules/controller/controller";
import { ringSpecOf } from "../../modules/controller/spec";
import { APPLY_PAUSE, MAX_APPLY_PASSES } from "../../modules/controller/ring-runbook";
import { DeadlineError, VirtualClock } from "./clock";
import { FakeCloudWatch, FakeMemberSsm, FakeOrganizations, FakeS3, FakeSts, Meter, seededRandom, type FakeContext, type MemberBehaviour, type OrgTree } from "./fakes";
import { LAMBDA_RESPONSE_MAX_BYTES } from "./limits";

const HOUR = 3600_000;
/** The runbook's step retry: aws:invokeLambdaFunction steps have maxAttempts 2 (ring-runbook.ts). */
const STEP_ATTEMPTS = 2;
/** Automation's own time between steps (an assumption: not documented; 1 s). */
const STEP_OVERHEAD_MS = 1000;
const SIM_START = Date.parse("2026-03-02T00:00:00.000Z");

export type RingSettings = "example" | "aggressive";

export interface Scenario {
  readonly name: string;
  readonly accounts: number;
  readonly regions: readonly string[];
  readonly ring: RingSettings;
  readonly installMinutes: number;
  /** Probability that one association execution fails. */
  readonly failureRate: number;
  readonly documentReadyMs: readonly [number, number];
  readonly latencyMs: readonly [number, number];
  readonly nodesPerPair: number;
  /** Accounts per leaf OU under the ring's OU. */
  readonly ouSize: number;
  readonly capDays: number;
  /** Stop (and report "over") after this much real time. */
  readonly maxWallSeconds: number;
  readonly seed: number;
}

const REGIONS_4 = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"] as const;

export function scenario(accounts: number, ring: RingSettings, overrides: Partial<Scenario> = {}): Scenario {
  return {
    name: `${accounts.toLocaleString("en-US")} x ${(overrides.regions ?? REGIONS_4).length} ${ring}`,
    accounts,
    regions: REGIONS_4,
    ring,
    installMinutes: 15,
    failureRate: 0,
    documentReadyMs: [20_000, 40_000],
    latencyMs: [30, 100],
    nodesPerPair: 5,
    ouSize: 250,
    capDays: 7,
    maxWallSeconds: 1800,
    seed: 1,
    ...overrides,
  };
}

export interface InvocationRecord {
  readonly step: "plan" | "apply" | "summarize";
  readonly execution: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly s3BytesWritten: number;
  readonly calls: number;
  readonly responseBytes: number;
  readonly outcome: "ok" | "timeout" | "error";
  readonly status?: string;
  readonly error?: string;
}

export interface SimResult {
  readonly scenario: Scenario;
  readonly pairs: number;
  /** Virtual ms from the first execution's start until the ledger had every pair Succeeded; undefined: not reached. */
  readonly allSucceededMs?: number;
  /** Virtual ms until the members had every pair installed (their association's latest execution Success). */
  readonly allInstalledMs?: number;
  readonly stoppedBy: "done" | "virtual cap" | "wall cap";
  readonly virtualEndMs: number;
  readonly executions: number;
  readonly abortedExecutions: number;
  readonly passCapHits: number;
  readonly invocations: { plan: number; apply: number; summarize: number; timeouts: number; errors: number };
  readonly maxApplyMs: number;
  readonly calls: Record<string, Record<string, number>>;
  readonly callsByService: Record<string, number>;
  readonly throttled: Record<string, number>;
  readonly s3BytesPerPassMax: number;
  readonly s3BytesTotal: number;
  readonly maxResponseBytes: number;
  readonly ledger: { succeeded: number; failed: number; other: number };
  readonly installed: number;
  /** Peak heapUsed of the whole simulator process (fakes included). */
  readonly peakHeapMb: number;
  /** Peak RSS of the whole simulator process (fakes included). */
  readonly peakRssMb: number;
  /**
   * The controller's memory, estimated: heapUsed with the modules loaded and no world built yet, plus the largest
   * heap peak of one invocation over what is still allocated after it (full GCs around it with --expose-gc): the
   * state the fakes gained during the invocation stays allocated and is not counted, garbage the handler made is
   * (an upper bound for the handler, less whatever it keeps across invocations, e.g. cached credentials).
   * Without --expose-gc: the peak over the start.
   */
  readonly controllerHeapMb: number;
  readonly moduleHeapMb: number;
  /** The largest heap peak of one invocation over the heap still allocated after it (a GC at its end). */
  readonly maxInvocationWorkingMb: number;
  readonly maxInvocationHeapMb: number;
  readonly gcMeasured: boolean;
  /** Real time of the longest invocation and of all of them (the handler's CPU plus the fakes'; virtual time excludes both). */
  readonly maxInvocationRealMs: number;
  readonly invocationRealSeconds: number;
  readonly wallSeconds: number;
  readonly timerEvents: number;
  readonly droppedTimers: number;
  readonly firstErrors: readonly string[];
  readonly records: readonly InvocationRecord[];
  /** Where the ring settings came from. */
  readonly specSource: string;
  readonly ringSettings: { maxConcurrency: string; maxErrors: string; nodeMaxConcurrency: string; schedule: string };
}

/** The example ring the settings come from: ExampleAgent's `broad` ring in examples/fleet.yaml. */
const EXAMPLE_RING = "broad";

/**
 * The package ring spec as synth builds it (modules/config loadConfig + modules/controller ringSpecOf) from the
 * example config. When the example does not load (someone is mid-change), the same fields are read from the
 * YAML itself, with the config's defaults for what the ring leaves out (action Install, retention 10, node
 * targets every managed node); `source` says which.
 */
function exampleSpec(): { spec: RingSpec; source: string } {
  try {
    const model = loadConfig();
    const pkg = model.packages.find((p) => p.rings.some((r) => r.name === EXAMPLE_RING)) ?? model.packages[0]!;
    const index = Math.max(0, pkg.rings.findIndex((r) => r.name === EXAMPLE_RING));
    return { spec: ringSpecOf(model, pkg, index), source: "examples/fleet.yaml via loadConfig + ringSpecOf" };
  } catch (error) {
    const raw = parseYaml(fs.readFileSync(DEFAULT_CONFIG, "utf8")) as any;
    const pkg = (raw.packages as any[]).find((p) => (p.rings as any[]).some((r) => r.name === EXAMPLE_RING)) ?? raw.packages[0];
    const ring = (pkg.rings as any[]).find((r) => r.name === EXAMPLE_RING) ?? pkg.rings[0];
    const spec: RingSpec = {
      schemaVersion: RING_SPEC_SCHEMA_VERSION,
      package: String(pkg.name),
      ring: String(ring.name),
      ringIndex: 0,
      release: String(pkg.release),
      publishedVersions: (pkg.versions as unknown[]).map(String),
      targets: { accounts: [], organizationalUnits: [] },
      earlierRingTargets: [],
      regions: (raw.organization.workloadRegions as unknown[]).map(String),
      managementAccount: String(raw.organization.managementAccount),
      organizationId: String(raw.organization.id),
      alarms: [],
      maxConcurrency: String(ring.maxConcurrency),
      maxErrors: String(ring.maxErrors),
      versionRetention: Number(pkg.versionRetention ?? 10),
      store: { bucket: `aft-fleet-packages-${String(raw.organization.centralAccount)}-${String(raw.organization.homeRegion)}`, region: String(raw.organization.homeRegion) },
      association: {
        name: associationNameOf(String(pkg.name)),
        action: ring.action ?? "Install",
        installationType: pkg.installationType,
        additionalArguments: { ...(pkg.additionalArguments ?? {}) },
        targets: [{ Key: "InstanceIds", Values: ["*"] }],
        scheduleExpression: String(ring.schedule),
        maxConcurrency: String(ring.nodeMaxConcurrency),
        maxErrors: String(ring.nodeMaxErrors),
        complianceSeverity: ring.complianceSeverity,
      },
    };
    return { spec, source: `examples/fleet.yaml read directly (loadConfig refused it: ${error instanceof Error ? error.message.split("\n")[0] : String(error)})` };
  }
}

/** The example ring settings (examples/fleet.yaml, ExampleAgent's `broad` ring) or the aggressive ones. */
function ringSpec(settings: RingSettings, ou: string, regions: readonly string[]): { spec: RingSpec; source: string } {
  const { spec: base, source } = exampleSpec();
  // No previous ring (this is the package's first), and no change freeze: freezes measure the calendar, not the
  // controller (a run in a freeze starts nothing).
  const { previous: _previous, freezes: _freezes, ...rest } = base as RingSpec & { freezes?: unknown };
  const aggressive = settings === "aggressive";
  const spec: RingSpec = {
    ...rest,
    // The one ring simulated is the package's first: no earlier ring gates or owns accounts.
    ringIndex: 0,
    earlierRingTargets: [],
    targets: { accounts: [], organizationalUnits: [ou] },
    regions: [...regions],
    // The canary ring's alarm, OK throughout, so every run asks CloudWatch as a gated ring does.
    alarms: ["aft-fleet-canary-health"],
    maxConcurrency: aggressive ? "100%" : base.maxConcurrency,
    maxErrors: aggressive ? "10%" : base.maxErrors,
  };
  return { spec, source };
}

/** `accounts` ACTIVE accounts in leaf OUs of `ouSize` under one ring OU under the root. */
export function orgTree(accounts: number, ouSize: number): { tree: OrgTree; ringOu: string; ids: string[] } {
  const rootId = "r-bnch";
  const ringOu = "ou-bnch-workloads";
  const ous = new Map<string, string>([[ringOu, rootId]]);
  const members = new Map<string, string>();
  const ids: string[] = [];
  const leaves = Math.max(1, Math.ceil(accounts / ouSize));
  for (let l = 0; l < leaves; l++) ous.set(`ou-bnch-leaf${String(l).padStart(5, "0")}`, ringOu);
  for (let i = 0; i < accounts; i++) {
    const id = String(200000000000 + i);
    ids.push(id);
    members.set(id, `ou-bnch-leaf${String(Math.floor(i / ouSize)).padStart(5, "0")}`);
  }
  return { tree: { rootId, ous, accounts: members }, ringOu, ids };
}

function manifestOf(version: string): string {
  return JSON.stringify({
    schemaVersion: "2.0",
    version,
    publisher: "Example Corp",
    packages: { amazon: { _any: { x86_64: { file: "linux.zip" } } }, windows: { _any: { x86_64: { file: "windows.zip" } } } },
    files: { "linux.zip": { checksums: { sha256: "0".repeat(64) } }, "windows.zip": { checksums: { sha256: "1".repeat(64) } } },
  });
}

function durationMs(iso: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(iso);
  if (!m) throw new Error(`cannot read the runbook pause ${iso}`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

export type Controller = typeof runStep;

export async function simulate(sc: Scenario, controller: Controller = runStep): Promise<SimResult> {
  const wallStart = process.hrtime.bigint();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const moduleHeap = process.memoryUsage().heapUsed;
  const clock = new VirtualClock(SIM_START);
  const meter = new Meter();
  const random = seededRandom(sc.seed);
  const ctx: FakeContext = { clock, meter, random, latencyMs: sc.latencyMs };

  const { tree, ringOu, ids } = orgTree(sc.accounts, sc.ouSize);
  const { spec, source: specSource } = ringSpec(sc.ring, ringOu, sc.regions);
  const version = spec.release;
  const bucket = spec.store.bucket;
  const specKey = ringSpecKey(spec.package, spec.ring);

  const s3 = new FakeS3(ctx, bucket);
  s3.seed(specKey, JSON.stringify(spec, null, 2));
  for (const v of spec.publishedVersions) s3.seed(`${versionPrefix(spec.package, v)}manifest.json`, manifestOf(v));
  const organizations = new FakeOrganizations(ctx, tree);
  const cloudwatch = new FakeCloudWatch(ctx, new Map(spec.alarms.map((a) => [a, "OK" as const])));
  const accountSet = new Set(ids);
  const sts = new FakeSts(ctx, (account, role) => accountSet.has(account) && role === EXECUTION_ROLE_NAME);

  const parameters: Record<string, string> = {};
  for (const value of Object.values(spec.association.additionalArguments)) {
    for (const m of value.matchAll(/\{\{\s*ssm:([^}\s]+)\s*\}\}/g)) parameters[m[1]!] = "bench-value";
  }
  const behaviour: MemberBehaviour = {
    documentReadyMs: sc.documentReadyMs,
    installMs: sc.installMinutes * 60_000,
    failureRate: sc.failureRate,
    nodes: sc.nodesPerPair,
    parameters,
    sourceExists: (url) => {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
      return m !== null && m[1] === bucket && s3.objects.has(`${m[2]!.replace(/\/+$/, "")}/manifest.json`);
    },
  };
  const members = new Map<string, FakeMemberSsm>();
  const member = (account: string, region: string): FakeMemberSsm => {
    const key = pairKey(account, region);
    let m = members.get(key);
    if (m === undefined) members.set(key, (m = new FakeMemberSsm(ctx, account, region, behaviour)));
    return m;
  };

  // Every member's SSM exists before the first invocation, so its upkeep is not counted as the controller's memory.
  for (const account of ids) for (const region of sc.regions) member(account, region);

  // One warm Lambda container for the whole simulation: its credential cache keeps sessions for their life.
  const cache = new CredentialCache();
  const backoff = { sleep: (ms: number) => clock.sleep(ms), random };
  const base = {
    s3,
    organizations,
    cloudwatch,
    sts,
    credentialCache: cache,
    backoff,
    pair: { sleep: (ms: number) => clock.sleep(ms), now: () => clock.now() },
    memberSsm: async (account: string, region: string, runId: string) => {
      await assumeMember(sts as never, { account, partition: "aws", roleName: EXECUTION_ROLE_NAME, sessionName: `aft-fleet-${runId}`.slice(0, 64) }, { cache, backoff, now: () => clock.now() });
      return member(account, region) as never;
    },
  };
  // Spread, so optional fields the controller's deps gain later need nothing here.
  const deps = { ...base } as unknown as ControllerDeps;

  const pairs = sc.accounts * sc.regions.length;
  let peakHeap = 0;
  let invocationPeak = 0;
  let maxInvocationHeap = 0;
  let maxInvocationWorking = 0;
  let maxInvocationRealMs = 0;
  let invocationRealNs = 0n;
  // In a measured invocation every LIVE_SAMPLE_EVERY-th sample is taken after a full GC: V8 lets garbage pile
  // up while memory is plentiful (here, gigabytes), so a plain heapUsed peak says how much was allocated before
  // a collection, not how much the invocation needed live, which is what a 512 MB Lambda must hold.
  let measuring = false;
  let samples = 0;
  const LIVE_SAMPLE_EVERY = 40;
  const sampleHeap = (): void => {
    if (measuring && gc !== undefined && ++samples % LIVE_SAMPLE_EVERY === 0) gc();
    const heap = process.memoryUsage().heapUsed;
    if (heap > peakHeap) peakHeap = heap;
    if (heap > invocationPeak) invocationPeak = heap;
  };
  clock.onSample = sampleHeap;
  clock.sampleEvery = 250;

  const records: InvocationRecord[] = [];
  const firstErrors: string[] = [];
  const invocations = { plan: 0, apply: 0, summarize: 0, timeouts: 0, errors: 0 };
  const timeoutMs = CONTROLLER_TIMEOUT_SECONDS * 1000;
  const ledgerPrefix = `ledger/${spec.package}/${spec.ring}`;
  let lastLedgerSeen = "";
  let ledgerCounts = { succeeded: 0, failed: 0, other: 0 };
  let allSucceededMs: number | undefined;

  /** Pair statuses across the ring's ledger objects (whatever their layout), counted in the JSON text. */
  const countLedger = (): void => {
    const keys = [...s3.objects.keys()].filter((k) => k === `${ledgerPrefix}.json` || k.startsWith(`${ledgerPrefix}/`)).sort();
    const fingerprint = keys.map((k) => `${k}=${s3.objects.get(k)!.etag}`).join(",");
    if (fingerprint === lastLedgerSeen) return;
    lastLedgerSeen = fingerprint;
    let succeeded = 0;
    let failed = 0;
    let total = 0;
    for (const k of keys) {
      const text = s3.objects.get(k)!.body;
      for (const m of text.matchAll(/"status"\s*:\s*"(\w+)"/g)) {
        total++;
        if (m[1] === "Succeeded") succeeded++;
        else if (m[1] === "Failed") failed++;
      }
    }
    ledgerCounts = { succeeded, failed, other: total - succeeded - failed };
    if (allSucceededMs === undefined && succeeded >= pairs) allSucceededMs = clock.now() - SIM_START;
  };
  /** Pairs installed at the release now, and when the last of them got installed. */
  const installedNow = (): { count: number; lastAt: number } => {
    let count = 0;
    let lastAt = SIM_START;
    for (const m of members.values()) {
      const at = m.installedAt(spec.association.name, version);
      if (at === undefined) continue;
      count++;
      lastAt = Math.max(lastAt, at);
    }
    return { count, lastAt };
  };

  const wallSeconds = (): number => Number(process.hrtime.bigint() - wallStart) / 1e9;
  let execution = 0;

  const invoke = async (step: "plan" | "apply" | "summarize", runId: string): Promise<{ ok: boolean; status?: string }> => {
    for (let attempt = 1; attempt <= STEP_ATTEMPTS; attempt++) {
      const start = clock.now();
      const deadline = start + timeoutMs;
      meter.invocation = { s3BytesWritten: 0, calls: 0 };
      invocations[step]++;
      const context = { getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()) };
      // A full GC costs a second on a big heap: the working set is measured on the plan, the first applies, every
      // tenth apply and the summary.
      const measured = gc !== undefined && (step !== "apply" || invocations.apply <= 3 || invocations.apply % 10 === 0);
      if (measured) gc!();
      measuring = measured;
      const heapAtStart = process.memoryUsage().heapUsed;
      invocationPeak = heapAtStart;
      const realStart = process.hrtime.bigint();
      let outcome: InvocationRecord["outcome"] = "ok";
      let status: string | undefined;
      let error: string | undefined;
      let responseBytes = 0;
      try {
        const result = await clock.run(controller({ step, runId, bucket, specKey }, deps, new Date(start), context), deadline);
        responseBytes = Buffer.byteLength(JSON.stringify(result));
        if (responseBytes > LAMBDA_RESPONSE_MAX_BYTES) throw new Error(`response of ${responseBytes} bytes exceeds Lambda's 6 MB synchronous payload`);
        status = result.status;
      } catch (caught) {
        outcome = caught instanceof DeadlineError ? "timeout" : "error";
        error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
        if (outcome === "timeout") invocations.timeouts++;
        else invocations.errors++;
        if (firstErrors.length < 5) firstErrors.push(`${new Date(clock.now()).toISOString()} ${step} (execution ${execution}, attempt ${attempt}): ${error}`);
      }
      sampleHeap();
      measuring = false;
      const realNs = process.hrtime.bigint() - realStart;
      invocationRealNs += realNs;
      maxInvocationRealMs = Math.max(maxInvocationRealMs, Number(realNs) / 1e6);
      if (measured || gc === undefined) maxInvocationHeap = Math.max(maxInvocationHeap, invocationPeak - heapAtStart);
      if (measured) {
        // What is still allocated after a GC at the end is the state the invocation left behind, nearly all of it
        // the fakes' (new documents, associations, executions, S3 objects): the rest of the peak was the handler's.
        gc!();
        maxInvocationWorking = Math.max(maxInvocationWorking, invocationPeak - process.memoryUsage().heapUsed);
      }
      records.push({
        step,
        execution,
        startMs: start - SIM_START,
        durationMs: clock.now() - start,
        s3BytesWritten: meter.invocation.s3BytesWritten,
        calls: meter.invocation.calls,
        responseBytes,
        outcome,
        ...(status !== undefined ? { status } : {}),
        ...(error !== undefined ? { error } : {}),
      });
      countLedger();
      clock.advanceTo(clock.now() + STEP_OVERHEAD_MS);
      if (outcome === "ok") return { ok: true, ...(status !== undefined ? { status } : {}) };
    }
    return { ok: false };
  };

  const pauseMs = durationMs(APPLY_PAUSE);
  const capMs = sc.capDays * 24 * HOUR;
  let abortedExecutions = 0;
  let passCapHits = 0;
  let stoppedBy: SimResult["stoppedBy"] = "done";
  let nextStart = SIM_START;

  for (;;) {
    if (allSucceededMs !== undefined) break;
    if (nextStart - SIM_START >= capMs) {
      stoppedBy = "virtual cap";
      break;
    }
    if (wallSeconds() > sc.maxWallSeconds) {
      stoppedBy = "wall cap";
      break;
    }
    clock.advanceTo(nextStart);
    execution++;
    const runId = `bench-${String(execution).padStart(5, "0")}-${(sc.seed >>> 0).toString(16)}`;
    let aborted = false;
    const plan = await invoke("plan", runId);
    if (!plan.ok) aborted = true;
    else if (plan.status === "Continue") {
      let pass = 0;
      for (;;) {
        pass++;
        const apply = await invoke("apply", runId);
        if (!apply.ok) {
          aborted = true;
          break;
        }
        clock.advanceTo(clock.now() + pauseMs);
        if (apply.status !== "Continue") break;
        if (pass >= MAX_APPLY_PASSES) {
          passCapHits++;
          break;
        }
        if (wallSeconds() > sc.maxWallSeconds || clock.now() - SIM_START >= capMs) break;
      }
      if (!aborted) await invoke("summarize", runId);
    }
    if (aborted) abortedExecutions++;
    nextStart = (Math.floor(clock.now() / HOUR) + 1) * HOUR;
  }

  countLedger();
  const { count: installed, lastAt } = installedNow();
  const allInstalledMs = installed >= pairs ? lastAt - SIM_START : undefined;
  const applies = records.filter((r) => r.step === "apply");
  const callsByService: Record<string, number> = {};
  for (const service of meter.calls.keys()) callsByService[service] = meter.total(service);
  return {
    scenario: sc,
    pairs,
    ...(allSucceededMs !== undefined ? { allSucceededMs } : {}),
    ...(allInstalledMs !== undefined ? { allInstalledMs } : {}),
    stoppedBy,
    virtualEndMs: clock.now() - SIM_START,
    executions: execution,
    abortedExecutions,
    passCapHits,
    invocations,
    maxApplyMs: Math.max(0, ...applies.map((r) => r.durationMs)),
    calls: meter.snapshot(),
    callsByService,
    throttled: Object.fromEntries(meter.throttled),
    s3BytesPerPassMax: Math.max(0, ...records.map((r) => r.s3BytesWritten)),
    s3BytesTotal: meter.s3BytesWritten,
    maxResponseBytes: Math.max(0, ...records.map((r) => r.responseBytes)),
    ledger: ledgerCounts,
    installed,
    peakHeapMb: peakHeap / 1024 / 1024,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    controllerHeapMb: (moduleHeap + (gc !== undefined ? maxInvocationWorking : maxInvocationHeap)) / 1024 / 1024,
    maxInvocationWorkingMb: maxInvocationWorking / 1024 / 1024,
    moduleHeapMb: moduleHeap / 1024 / 1024,
    maxInvocationHeapMb: maxInvocationHeap / 1024 / 1024,
    gcMeasured: gc !== undefined,
    maxInvocationRealMs,
    invocationRealSeconds: Number(invocationRealNs) / 1e9,
    wallSeconds: wallSeconds(),
    timerEvents: clock.events,
    droppedTimers: clock.dropped,
    firstErrors,
    records: process.env.BENCH_RECORDS ? records : [],
    specSource,
    ringSettings: { maxConcurrency: spec.maxConcurrency, maxErrors: spec.maxErrors, nodeMaxConcurrency: spec.association.maxConcurrency, schedule: spec.association.scheduleExpression },
  };
}
