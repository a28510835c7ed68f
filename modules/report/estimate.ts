/*
 * A small time model for a rollout, so a reviewer sees "about 9 h" rather than nothing. Assumptions (also
 * in modules/report/README.md and the main README):
 * - An OU holds ASSUMED_ACCOUNTS_PER_OU accounts: the report reads no AWS API, so OU sizes are unknown.
 * - A ring's account-Region pairs = (its own accounts + its own OUs x that default) x the workload Regions;
 *   an account or OU already listed in an earlier ring of the package belongs to that ring and is left out.
 * - The controller works a ring in passes of concurrencyLimit(maxConcurrency, pairs) pairs (contract/rate);
 *   a pass takes the longer of the install time of a node batch (installMinutes, default 15) and the
 *   runbook's 2-minute pause between passes.
 * - The first changed ring starts at once (a ring's spec change starts its association). Each later ring
 *   starts at the next controller run (one controllerSchedule interval; cron: assumed daily) after the
 *   ring before finished and baked (no bake for a rollback).
 * - Rings whose version does not change take no time. Failures, retries and alarms are not modelled.
 */
import { concurrencyLimit } from "../../contract/rate";
import type { FleetPackage } from "../config/model";
import type { PackagePlan } from "./model-diff";

export const ASSUMED_ACCOUNTS_PER_OU = 20;
export const DEFAULT_INSTALL_MINUTES = 15;
export const PASS_PAUSE_MINUTES = 2;
/** A cron controller schedule has no fixed interval: assume it runs daily. */
export const CRON_INTERVAL_MINUTES = 24 * 60;

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

export interface RingEstimate {
  readonly ring: string;
  readonly pairs: number;
  /** Pairs in flight at once. */
  readonly concurrency: number;
  readonly passes: number;
  /** Minutes from the merge until the ring starts. */
  readonly startMinutes: number;
  /** Minutes the ring's passes take. */
  readonly runMinutes: number;
  readonly endMinutes: number;
  /** False when the ring's version does not change (no time). */
  readonly changes: boolean;
}

export interface PackageEstimate {
  readonly rings: readonly RingEstimate[];
  /** Minutes from the merge until the last changed ring finished. */
  readonly totalMinutes: number;
}

export function estimatePackage(plan: PackagePlan, regionCount: number, installMinutes = DEFAULT_INSTALL_MINUTES): PackageEstimate {
  const pkg = plan.after;
  if (!pkg) return { rings: [], totalMinutes: 0 };
  const targets = ringTargets(pkg, regionCount);
  const interval = scheduleIntervalMinutes(pkg.controllerSchedule);
  const passMinutes = Math.max(installMinutes, PASS_PAUSE_MINUTES);
  const rings: RingEstimate[] = [];
  // When the next changed ring may start: undefined until a ring changed (the first one starts at once).
  let readyAt: number | undefined;
  let total = 0;
  pkg.rings.forEach((ring, i) => {
    const pairs = targets[i]!.pairs;
    const concurrency = concurrencyLimit(ring.maxConcurrency, pairs);
    const change = plan.rings[i]!.change;
    const changes = change !== "unchanged";
    if (!changes) {
      rings.push({ ring: ring.name, pairs, concurrency, passes: 0, startMinutes: readyAt ?? 0, runMinutes: 0, endMinutes: readyAt ?? 0, changes });
      return;
    }
    const passes = concurrency > 0 ? Math.ceil(pairs / concurrency) : 0;
    const start = readyAt === undefined ? 0 : readyAt + interval;
    const runMinutes = passes * passMinutes;
    const end = start + runMinutes;
    rings.push({ ring: ring.name, pairs, concurrency, passes, startMinutes: start, runMinutes, endMinutes: end, changes });
    readyAt = end + (change === "rollback" ? 0 : ring.bakeSeconds / 60);
    total = end;
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
