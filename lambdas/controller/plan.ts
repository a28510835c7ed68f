/**
 * The controller's pure core: a run is a diff of the ring's targets and gate against its ledger.
 * No AWS SDK, no I/O; every function returns new objects and never mutates its inputs.
 *
 *   plan:      resolveTargets -> planRun (gateRing, diff, ring version, reached)
 *   apply:     read back the Pending pairs of `work`, start nextStarts(...), recordReached
 *   summarize: recordReached, buildSummary
 */
import { pairKey, type PairRecord, type RingLedger, type RingSpecCore } from "../../contract";
import { freeSlots, gateRing, haltReason, heldHalt, heldHaltReason, meetsThreshold, movesBack, ownAlarmReason, ringProgress, type GateDecision } from "./gate";
import { comparePairs } from "./summary";

export * from "./gate";
export * from "./summary";
export * from "./targets";

const NO_LONGER_TARGETED = "no longer targeted";

export interface PlanResult {
  /** The ledger to save: ring version, new pairs NotStarted, removed pairs Skipped, `wanted` set on work. */
  readonly ledger: RingLedger;
  /** Pair keys to act on this run (start, or read back when Pending), sorted by account then Region. */
  readonly work: readonly string[];
  readonly gate: GateDecision;
  /** Why no new pair starts this run (the ring's own alarm, or its error budget), when so. */
  readonly halted?: string;
}

function withoutError(pair: PairRecord): PairRecord {
  const { error: _dropped, ...rest } = pair;
  return rest;
}

/**
 * Plans one run of a ring. Work is every targeted pair whose record is missing or Skipped (new), whose
 * `wanted` differs from the ring's version, whose last attempt failed (Failed, NotReady: reset to
 * NotStarted so that this run retries them once; the error budget counts this run's failures, as SSM
 * counts MaxErrors per execution), that is still NotStarted, or that is Pending (needs a read-back).
 * Unchanged Succeeded pairs cost nothing. Pairs no longer targeted become Skipped; nothing is uninstalled.
 *
 * While the ring's recorded halt holds (gate.ts heldHalt), only its Failed pairs are retried and Pending
 * ones read back: no pair that never got the version starts, however many runs follow, until a new version
 * or a new `resume` value clears the halt (which this plan then drops from the ledger).
 */
export function planRun(
  spec: RingSpecCore,
  ledger: RingLedger,
  previousLedger: RingLedger | undefined,
  targets: { readonly accounts: readonly string[] },
  alarmsInAlarm: ReadonlySet<string>,
  now: Date,
): PlanResult {
  if (ledger.package !== spec.package || ledger.ring !== spec.ring) {
    throw new Error(`ledger ${ledger.package}/${ledger.ring} does not belong to ring ${spec.package}/${spec.ring}`);
  }
  const gate = gateRing(spec, ledger, previousLedger, alarmsInAlarm, now);
  const version = gate.wanted;
  const at = now.toISOString();
  const held = heldHalt(ledger, spec, version);

  // A version the ring takes again after leaving it has to be reached again (and baked again).
  let reached = ledger.reached;
  if (version !== undefined && version !== ledger.ringVersion && reached[version] !== undefined) {
    const { [version]: _stale, ...rest } = reached;
    reached = rest;
  }

  const regions = [...new Set(spec.regions)].sort();
  const targeted: PairRecord[] = [];
  const targetedKeys = new Set<string>();
  for (const account of new Set(targets.accounts)) {
    for (const region of regions) {
      const key = pairKey(account, region);
      targetedKeys.add(key);
      targeted.push(ledger.pairs[key] ?? { account, region, status: "NotStarted", updatedAt: at, attempts: 0 });
    }
  }
  const removed: PairRecord[] = [];
  for (const key in ledger.pairs) if (!targetedKeys.has(key)) removed.push(ledger.pairs[key]!);
  const all = targeted.concat(removed).sort(comparePairs);

  const pairs: Record<string, PairRecord> = {};
  const work: string[] = [];
  for (const record of all) {
    const key = pairKey(record.account, record.region);
    const existing = ledger.pairs[key];
    let next = record;
    let act = false;
    if (!targetedKeys.has(key)) {
      if (record.status !== "Skipped") next = { ...withoutError(record), status: "Skipped", error: NO_LONGER_TARGETED, updatedAt: at };
    } else if (existing === undefined || existing.status === "Skipped") {
      // New (or targeted again): start from scratch, keeping what is known of the member association.
      const { wanted: _old, ...kept } = withoutError(record);
      next = version === undefined ? { ...kept, status: "NotStarted", attempts: 0, updatedAt: at } : { ...kept, wanted: version, status: "NotStarted", attempts: 0, updatedAt: at };
      act = version !== undefined && held === undefined;
    } else if (version === undefined) {
      // The ring has no version yet: nothing to do.
    } else if (held !== undefined) {
      if (record.wanted === version && record.status === "Failed") {
        next = { ...record, status: "NotStarted", updatedAt: at };
        act = true;
      } else {
        act = record.status === "Pending";
      }
    } else if (record.wanted !== version) {
      next = { ...withoutError(record), wanted: version, status: "NotStarted", attempts: 0, updatedAt: at };
      act = true;
    } else if (record.status === "Failed" || record.status === "NotReady") {
      // Retried this run; `error` and `attempts` stay as the last attempt left them.
      next = { ...record, status: "NotStarted", updatedAt: at };
      act = true;
    } else {
      act = record.status === "Pending" || record.status === "NotStarted";
    }
    pairs[key] = next;
    if (act) work.push(key);
  }

  const { halt: _halt, ...rest } = ledger;
  const planned: RingLedger = {
    ...rest,
    ...(version !== undefined ? { ringVersion: version } : {}),
    reached,
    ...(held !== undefined ? { halt: held } : {}),
    pairs,
  };
  const result = recordReached(planned, spec, now);
  const halted = haltReason(result, spec) ?? (held !== undefined ? heldHaltReason(held) : undefined) ?? ownAlarmReason(spec, alarmsInAlarm);
  return halted === undefined ? { ledger: result, work, gate } : { ledger: result, work, gate, halted };
}

/**
 * The pairs of `work` that may start now, sorted: NotStarted pairs with a version, as many as the ring-wide
 * concurrency leaves free (Pending pairs hold their slots), none once the ring-wide error budget is
 * exceeded, and, while one of the ring's own alarms is in ALARM, only pairs moving back to an older version.
 */
export function nextStarts(
  ledger: RingLedger,
  work: readonly string[],
  spec: RingSpecCore,
  alarmsInAlarm: ReadonlySet<string> = new Set(),
): string[] {
  const progress = ringProgress(ledger);
  if (haltReason(ledger, spec, progress) !== undefined) return [];
  let slots = freeSlots(spec, progress);
  const alarmed = ownAlarmReason(spec, alarmsInAlarm) !== undefined;
  // A held halt lets only retries of pairs that already tried this version start.
  const held = heldHalt(ledger, spec) !== undefined;
  const candidates: PairRecord[] = [];
  for (const key of new Set(work)) {
    const pair = ledger.pairs[key];
    if (pair === undefined || pair.status !== "NotStarted" || pair.wanted === undefined) continue;
    if (held && (pair.attempts === 0 || pair.error === undefined)) continue;
    if (alarmed && !movesBack(pair, spec)) continue;
    candidates.push(pair);
  }
  candidates.sort(comparePairs);
  const starts: string[] = [];
  for (const pair of candidates) {
    if (slots-- <= 0) break;
    starts.push(pairKey(pair.account, pair.region));
  }
  return starts;
}

/**
 * Records `reached[ringVersion]` (first time only: it starts the next ring's bake) once the ring meets its
 * success threshold for its version. Returns the same ledger when nothing changes.
 */
export function recordReached(ledger: RingLedger, spec: RingSpecCore, now: Date): RingLedger {
  const version = ledger.ringVersion;
  if (version === undefined || ledger.reached[version] !== undefined) return ledger;
  if (!meetsThreshold(ledger, spec.maxErrors)) return ledger;
  const reached: Record<string, string> = {};
  for (const v of [...Object.keys(ledger.reached), version].sort()) reached[v] = ledger.reached[v] ?? now.toISOString();
  return { ...ledger, reached };
}
