/*
 * A small time model for a rollout, so a reviewer sees "about 9 h" rather than nothing. Assumptions (also
 * in modules/report/README.md and the main README):
 * - An OU holds ASSUMED_ACCOUNTS_PER_OU accounts and an account-Region pair ASSUMED_NODES_PER_PAIR managed
 *   nodes (the report's --nodes-per-pair): the report reads no AWS API, so sizes are unknown.
 * - A ring's account-Region pairs = (its own accounts + its own OUs x that default) x the workload Regions;
 *   an account or OU already listed in an earlier ring of the package belongs to that ring and is left out.
 * - The controller works a ring in waves of concurrencyLimit(maxConcurrency, pairs) pairs (contract/rate).
 *   A wave takes: a pass to add the package version to each pair's document (CONTROLLER_STARTS_PER_MINUTE,
 *   measured by the rollout simulation), the runbook's 2-minute pause while SSM copies the version, a pass to
 *   point the association at it, the node installs, and a pause until the pass that reads the result back
 *   and starts the next wave. Node installs run in batches of the ring's nodeMaxConcurrency (the member
 *   association's MaxConcurrency: a percentage of the pair's nodes, at least one, or a count), each batch
 *   installMinutes (the report's --install-minutes, default 15).
 * - A runbook execution makes at most APPLY_PASSES_PER_RUN apply passes (aws:loop's cap) of about one pause
 *   each; a ring that needs more continues at the next controller run (one controllerSchedule interval later,
 *   counted in full; cron: assumed daily).
 * - Every ring start counts from the merge: the central account's AFT pipeline must apply the new specs
 *   first (startMinutes, the report's --aft-minutes, default 20).
 * - The first changed ring starts at once then (a ring's spec change starts its association). Each later ring
 *   starts at the next controller run (one controllerSchedule interval) after the ring before finished and
 *   baked (no bake for a rollback). A pinned ring takes its pin at once, without gates; a ring after a ring
 *   that never runs the release (pinned elsewhere) is blocked.
 * - A ring whose version does not change takes time only for its new account-Region pairs (a new workload
 *   Region, accounts or OUs added to its group): they start at once after the central pipeline, at the
 *   ring's version. Failures, retries, halts, freezes and alarms are not modelled.
 */
import { concurrencyLimit } from "../../contract/rate";
import type { FleetPackage } from "../config/model";
import type { PackagePlan } from "./model-diff";
import { wantedVersion } from "./model-diff";

export const ASSUMED_ACCOUNTS_PER_OU = 20;
/** Managed nodes assumed per account and Region (the report's --nodes-per-pair). */
export const ASSUMED_NODES_PER_PAIR = 10;
export const DEFAULT_INSTALL_MINUTES = 15;
/** The ring runbook's aws:sleep between apply passes (modules/controller/ring-runbook.ts, PT2M). */
export const PASS_PAUSE_MINUTES = 2;
/** Apply passes of one runbook execution: aws:loop allows at most 100 iterations. */
export const APPLY_PASSES_PER_RUN = 100;
/**
 * Pairs the controller works per minute of a pass (64 in flight; the rollout simulation, `npm run bench`,
 * measures several thousand per minute against fakes with AWS-like latencies; this keeps a margin of more
 * than two).
 */
const CONTROLLER_STARTS_PER_MINUTE = 2000;
/** A cron controller schedule has no fixed interval: assume it runs daily. */
const CRON_INTERVAL_MINUTES = 24 * 60;

/** Minutes between two runs of a rate(...) schedule; CRON_INTERVAL_MINUTES for cron(...). */
export function scheduleIntervalMinutes(expression: string): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!rate) return CRON_INTERVAL_MINUTES;
  return Number(rate[1]) * (rate[2] === "minute" ? 1 : rate[2] === "hour" ? 60 : 1440);
}

export interface RingTargets {
  /** Accounts this ring works on (listed here and in no earlier ring). */
  readonly accounts: readonly string[];
  readonly organizationalUnits: readonly string[];
  /** Listed in this ring's group but owned by an earlier ring of the package. */
  readonly excludedAccounts: readonly string[];
  readonly excludedOus: readonly string[];
  /** Estimated account-Region pairs. */
  readonly pairs: number;
}

/** The targets of each ring of `pkg`, in ring order. */
export function ringTargets(pkg: FleetPackage, regionCount: number): RingTargets[] {
  const seenAccounts = new Set<string>();
  const seenOus = new Set<string>();
  return pkg.rings.map((ring) => {
    const group = ring.targetGroup;
    const accounts = group.accounts.filter((a) => !seenAccounts.has(a));
    const ous = group.organizationalUnits.filter((o) => !seenOus.has(o));
    const result: RingTargets = {
      accounts,
      organizationalUnits: ous,
      excludedAccounts: group.accounts.filter((a) => seenAccounts.has(a)),
      excludedOus: group.organizationalUnits.filter((o) => seenOus.has(o)),
      pairs: (accounts.length + ous.length * ASSUMED_ACCOUNTS_PER_OU) * regionCount,
    };
    for (const a of group.accounts) seenAccounts.add(a);
    for (const o of group.organizationalUnits) seenOus.add(o);
    return result;
  });
}

/** New account-Region pairs of a ring whose version does not change: they get the ring's version. */
export interface RingAddition {
  readonly ring: string;
  /** The version the new pairs get (the ring's pin, else the release). */
  readonly version: string;
  /** Estimated new pairs (an OU counts as ASSUMED_ACCOUNTS_PER_OU accounts). */
  readonly pairs: number;
  /** Workload Regions the change adds (every earlier target of the ring gets them). */
  readonly regions: readonly string[];
  /** Accounts and OUs the ring targets now and did not before. */
  readonly accounts: readonly string[];
  readonly organizationalUnits: readonly string[];
  /** True when OUs count in `pairs` (their size is assumed). */
  readonly estimated: boolean;
}

/**
 * Per ring of the new model (undefined where nothing is added, or where the version changes: then every pair
 * is in the rollout anyway): the pairs a new workload Region or new group members add.
 */
export function ringAdditions(plan: PackagePlan, beforeRegions: readonly string[], afterRegions: readonly string[]): (RingAddition | undefined)[] {
  const pkg = plan.after;
  const old = plan.before;
  if (!pkg) return [];
  const after = ringTargets(pkg, afterRegions.length);
  const before = old ? ringTargets(old, beforeRegions.length) : [];
  const newRegions = afterRegions.filter((r) => !beforeRegions.includes(r));
  return pkg.rings.map((ring, i) => {
    if (plan.rings[i]!.change !== "unchanged" || !old) return undefined;
    const j = old.rings.findIndex((r) => r.name === ring.name);
    const was = before[j];
    if (!was) return undefined;
    const t = after[i]!;
    const accounts = t.accounts.filter((a) => !was.accounts.includes(a));
    const organizationalUnits = t.organizationalUnits.filter((o) => !was.organizationalUnits.includes(o));
    const keptTargets = t.accounts.length - accounts.length + (t.organizationalUnits.length - organizationalUnits.length) * ASSUMED_ACCOUNTS_PER_OU;
    const newTargets = accounts.length + organizationalUnits.length * ASSUMED_ACCOUNTS_PER_OU;
    const pairs = keptTargets * newRegions.length + newTargets * afterRegions.length;
    if (pairs === 0) return undefined;
    const estimated = organizationalUnits.length > 0 || (newRegions.length > 0 && t.organizationalUnits.length > 0);
    return { ring: ring.name, version: wantedVersion(pkg, ring), pairs, regions: newRegions, accounts, organizationalUnits, estimated };
  });
}

/** Batches one pair's nodes install in: the association's MaxConcurrency over `nodes` nodes. */
export function nodeBatches(nodeMaxConcurrency: string, nodes: number = ASSUMED_NODES_PER_PAIR): number {
  if (nodes <= 0) return 0;
  return Math.ceil(nodes / Math.max(1, concurrencyLimit(nodeMaxConcurrency, nodes)));
}

export interface RingTime {
  readonly waves: number;
  readonly minutes: number;
  /** Apply passes, and the runbook executions they need (100 passes each). */
  readonly passes: number;
  readonly executions: number;
}

/** The time model of one ring's pairs (see the file comment). */
export function ringTime(pairs: number, concurrency: number, batches: number, installMinutes: number, intervalMinutes: number): RingTime {
  if (pairs <= 0 || concurrency <= 0) return { waves: 0, minutes: 0, passes: 0, executions: 0 };
  const waves = Math.ceil(pairs / concurrency);
  const startMinutes = Math.min(pairs, concurrency) / CONTROLLER_STARTS_PER_MINUTE;
  const waveMinutes = 2 * (startMinutes + PASS_PAUSE_MINUTES) + batches * installMinutes;
  const passes = waves * Math.max(2, Math.ceil(waveMinutes / PASS_PAUSE_MINUTES));
  const executions = Math.ceil(passes / APPLY_PASSES_PER_RUN);
  return { waves, minutes: waves * waveMinutes + (executions - 1) * intervalMinutes, passes, executions };
}

export interface RingEstimate {
  readonly ring: string;
  readonly pairs: number;
  /** Pairs in flight at once. */
  readonly concurrency: number;
  /** Waves of `concurrency` pairs. */
  readonly waves: number;
  /** Node batches per pair (nodeMaxConcurrency over the assumed nodes). */
  readonly nodeBatches: number;
  /** Runbook executions the ring's passes need (100 passes each). */
  readonly executions: number;
  /** Minutes from the merge until the ring starts. */
  readonly startMinutes: number;
  /** Minutes the ring's waves take. */
  readonly runMinutes: number;
  readonly endMinutes: number;
  /** False when the ring's version does not change (then only `added` pairs take time). */
  readonly changes: boolean;
  /** New pairs of a ring whose version does not change (0 when none). */
  readonly added: number;
  /** Why the ring cannot take the release (the ring before never runs it); no time is estimated. */
  readonly blockedBy?: string;
}

export interface PackageEstimate {
  readonly rings: readonly RingEstimate[];
  /** Minutes from the merge until the last changed ring finished. */
  readonly totalMinutes: number;
}

export interface EstimateOptions {
  /** Minutes from the merge until the controller can run: the central account's AFT pipeline. @default 0 */
  readonly startMinutes?: number;
  /** ringAdditions(): new pairs of rings whose version does not change. */
  readonly additions?: readonly (RingAddition | undefined)[];
  /** Managed nodes per account-Region pair. @default ASSUMED_NODES_PER_PAIR */
  readonly nodesPerPair?: number;
}

export function estimatePackage(plan: PackagePlan, regionCount: number, installMinutes = DEFAULT_INSTALL_MINUTES, options: EstimateOptions = {}): PackageEstimate {
  const pkg = plan.after;
  if (!pkg) return { rings: [], totalMinutes: 0 };
  const offset = options.startMinutes ?? 0;
  const targets = ringTargets(pkg, regionCount);
  const interval = scheduleIntervalMinutes(pkg.controllerSchedule);
  const nodes = options.nodesPerPair ?? ASSUMED_NODES_PER_PAIR;
  const rings: RingEstimate[] = [];
  // When the next changed ring may start: undefined until a ring changed (the first one starts at once).
  let readyAt: number | undefined;
  // Set when the ring before never runs the release (a pin elsewhere, or blocked itself): the gate holds.
  let blocked: string | undefined;
  let total = 0;
  pkg.rings.forEach((ring, i) => {
    const pairs = targets[i]!.pairs;
    const concurrency = concurrencyLimit(ring.maxConcurrency, pairs);
    const change = plan.rings[i]!.change;
    const changes = change !== "unchanged";
    const pinned = ring.pin !== undefined;
    const batches = nodeBatches(ring.nodeMaxConcurrency, nodes);
    const time = (n: number): RingTime => ringTime(n, concurrencyLimit(ring.maxConcurrency, n), batches, installMinutes, interval);
    const before = blocked;
    // What the next ring sees: this ring runs the release only when it is not pinned elsewhere and not held.
    if (wantedVersion(pkg, ring) !== pkg.release) blocked = `${ring.name} is pinned at ${ring.pin}, not the release ${pkg.release}`;
    else if (!pinned && before !== undefined) blocked = before;
    else blocked = undefined;
    if (!changes) {
      const added = options.additions?.[i]?.pairs ?? 0;
      // New pairs share the ring's concurrency with the pairs it has (a percentage of all of them).
      const t = added > 0 && concurrency > 0 ? ringTime(added, Math.min(added, concurrency), batches, installMinutes, interval) : ringTime(0, 0, 0, 0, 0);
      const runMinutes = t.minutes;
      const start = added > 0 ? offset : (readyAt ?? offset);
      rings.push({ ring: ring.name, pairs, concurrency, waves: t.waves, nodeBatches: batches, executions: t.executions, startMinutes: start, runMinutes, endMinutes: start + runMinutes, changes, added });
      if (added > 0) total = Math.max(total, start + runMinutes);
      return;
    }
    if (!pinned && before !== undefined) {
      rings.push({ ring: ring.name, pairs, concurrency, waves: 0, nodeBatches: batches, executions: 0, startMinutes: offset, runMinutes: 0, endMinutes: offset, changes, added: 0, blockedBy: before });
      return;
    }
    const t = time(pairs);
    // A pin is taken at once, without gates; otherwise the first changed ring starts at once, later ones
    // at the next controller run after the ring before finished (and baked).
    const start = pinned || readyAt === undefined ? offset : readyAt + interval;
    const runMinutes = t.minutes;
    const end = start + runMinutes;
    rings.push({ ring: ring.name, pairs, concurrency, waves: t.waves, nodeBatches: batches, executions: t.executions, startMinutes: start, runMinutes, endMinutes: end, changes, added: 0 });
    readyAt = end + (change === "rollback" ? 0 : ring.bakeSeconds / 60);
    total = Math.max(total, end);
  });
  return { rings, totalMinutes: total };
}

/** "45 min", "3 h 10 min", "2 d 4 h". */
export function formatMinutes(minutes: number): string {
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
  const hours = Math.floor((m % 1440) / 60);
  return `${Math.floor(m / 1440)} d${hours ? ` ${hours} h` : ""}`;
}
