/**
 * Gates: which version a ring may run now (the promotion gate between rings), and what stops new
 * starts inside a ring (its own alarms, its ring-wide error budget). Pure functions over ledgers.
 */
import { compareVersions, concurrencyLimit, errorBudget, ringKindOf, type PairRecord, type RingHalt, type RingLedger, type RingSpec, type RingSpecCore } from "../../contract";

/**
 * - pin: the spec pins the ring; taken at once, no gates.
 * - initial: the ring had no version and takes the release.
 * - promotion: the ring moves forward to the release (previous ring reached it, bake over, no alarm).
 * - rollback: the release is older than the ring's version; in ring order, without bake or alarm gates.
 * - steady: the ring already runs the release.
 * - hold: a gate is closed (`blockedBy` says which); the ring keeps its version (`wanted`, if any).
 */
export type GateKind = "pin" | "initial" | "promotion" | "rollback" | "steady" | "hold";

export interface GateDecision {
  /** The version the ring's pairs should run; undefined while the ring has none (pairs stay NotStarted). */
  readonly wanted?: string;
  readonly kind: GateKind;
  /** Why the ring did not take the release (kind "hold" only). */
  readonly blockedBy?: string;
}

function firing(alarms: readonly string[], alarmsInAlarm: ReadonlySet<string>): string[] {
  return [...new Set(alarms.filter((a) => alarmsInAlarm.has(a)))].sort();
}

/** Which version the ring runs this run, and why. */
export function gateRing(
  spec: RingSpecCore,
  ledger: RingLedger,
  previousLedger: RingLedger | undefined,
  alarmsInAlarm: ReadonlySet<string>,
  now: Date,
): GateDecision {
  const current = ledger.ringVersion;
  const hold = (blockedBy: string): GateDecision =>
    current === undefined ? { kind: "hold", blockedBy } : { kind: "hold", wanted: current, blockedBy };
  // Only package rings have a store of published versions; a campaign or destination needs none.
  const kind = ringKindOf(spec);
  const published = (version: string): boolean => kind !== "package" || (spec as RingSpec).publishedVersions.includes(version);

  if (spec.pin !== undefined) {
    if (!published(spec.pin)) return hold(`pinned version ${spec.pin} is not published to the package store`);
    return { kind: "pin", wanted: spec.pin };
  }
  const release = spec.release;
  if (current === release) return { kind: "steady", wanted: release };
  if (!published(release)) return hold(`release ${release} is not published to the package store`);
  // Campaigns and destinations have no order: a new one is always a promotion, gated like one.
  const rollback = kind === "package" && current !== undefined && compareVersions(release, current) < 0;
  const taken: GateDecision = { kind: current === undefined ? "initial" : rollback ? "rollback" : "promotion", wanted: release };

  const previous = spec.previous;
  if (previous === undefined) {
    if (spec.ringIndex !== 0) throw new Error(`ring spec ${spec.package}/${spec.ring}: ringIndex ${spec.ringIndex} but no previous ring`);
    return taken;
  }
  if (previousLedger !== undefined && previousLedger.ring !== previous.name) {
    throw new Error(`ring ${spec.ring}: got the ledger of ring ${previousLedger.ring}, expected ring ${previous.name}`);
  }
  // The previous ring must run the release now (a pin or rollback there holds this ring too) and have
  // reached it on its success threshold.
  const reachedAt = previousLedger?.ringVersion === release ? previousLedger.reached[release] : undefined;
  if (reachedAt === undefined) return hold(`waiting for ring ${previous.name} to reach ${release}`);
  if (rollback) return taken;

  const bakeEnds = Date.parse(reachedAt) + previous.bakeSeconds * 1000;
  if (!(now.getTime() >= bakeEnds)) {
    return hold(`baking: ring ${previous.name} reached ${release} at ${reachedAt}; bake ends at ${new Date(bakeEnds).toISOString()}`);
  }
  const alarms = firing(previous.alarms, alarmsInAlarm);
  if (alarms.length > 0) return hold(`alarm ${alarms.join(", ")} of ring ${previous.name} is in ALARM`);
  return taken;
}

/** Ring-wide counts over the targeted pairs (every pair that is not Skipped). */
export interface RingProgress {
  readonly total: number;
  /** Succeeded at the ring's version. */
  readonly succeeded: number;
  /** Failed at the ring's version (the error budget counts these). */
  readonly failed: number;
  readonly pending: number;
  readonly notReady: number;
}

export function ringProgress(ledger: RingLedger): RingProgress {
  const tally = new ProgressTally(ledger.ringVersion);
  for (const key in ledger.pairs) tally.add(ledger.pairs[key]!, 1);
  return tally.progress();
}

/**
 * RingProgress kept up to date pair by pair: a pass records thousands of pairs and checks its error budget
 * after each, so it moves the counts by the changed pair instead of recounting the ring.
 */
export class ProgressTally {
  private total = 0;
  private succeeded = 0;
  private failed = 0;
  private pending = 0;
  private notReady = 0;

  constructor(readonly version: string | undefined) {}

  static of(ledger: RingLedger): ProgressTally {
    const tally = new ProgressTally(ledger.ringVersion);
    for (const key in ledger.pairs) tally.add(ledger.pairs[key]!, 1);
    return tally;
  }

  /** Counts `pair` in (`sign` 1) or out (-1). */
  add(pair: PairRecord, sign: 1 | -1): void {
    if (pair.status === "Skipped") return;
    this.total += sign;
    if (pair.status === "Pending") this.pending += sign;
    else if (pair.status === "NotReady") this.notReady += sign;
    else if (this.version !== undefined && pair.wanted === this.version) {
      if (pair.status === "Succeeded") this.succeeded += sign;
      else if (pair.status === "Failed") this.failed += sign;
    }
  }

  /** A pair's record changed from `before` (undefined: new) to `after`. */
  replace(before: PairRecord | undefined, after: PairRecord): void {
    if (before !== undefined) this.add(before, -1);
    this.add(after, 1);
  }

  progress(): RingProgress {
    return { total: this.total, succeeded: this.succeeded, failed: this.failed, pending: this.pending, notReady: this.notReady };
  }
}

/**
 * True when the ring meets its success threshold for its version: no pair Pending and succeeded pairs
 * >= total - errorBudget(maxErrors, total). NotReady pairs are neither failures nor successes.
 */
export function meetsThreshold(ledger: RingLedger, maxErrors: string, progress: RingProgress = ringProgress(ledger)): boolean {
  if (ledger.ringVersion === undefined || progress.pending > 0) return false;
  return progress.succeeded >= progress.total - errorBudget(maxErrors, progress.total);
}

/**
 * Why the ring starts nothing more: its failed pairs exceed the ring-wide error budget. SSM MaxErrors
 * semantics ("the system stops sending the command to additional targets after the number of errors
 * exceeds the value of MaxErrors"; "0" stops after the first error), applied to the ring as a whole.
 */
export function haltReason(ledger: RingLedger, spec: RingSpecCore, progress: RingProgress = ringProgress(ledger)): string | undefined {
  const budget = errorBudget(spec.maxErrors, progress.total);
  if (progress.failed <= budget) return undefined;
  return `ring halted: ${progress.failed} failed of ${progress.total} pairs exceed MaxErrors ${spec.maxErrors} (${budget} allowed)`;
}

/**
 * The ring's recorded halt, when it still holds: recorded at the ring's current version and not
 * acknowledged by a changed `resume` in the spec. A new version (release, pin, rollback) or a new `resume`
 * value clears it.
 */
export function heldHalt(ledger: RingLedger, spec: RingSpecCore, version: string | undefined = ledger.ringVersion): RingHalt | undefined {
  const halt = ledger.halt;
  if (halt === undefined || version === undefined) return undefined;
  if (halt.version !== version || halt.resume !== spec.resume) return undefined;
  return halt;
}

/** The halt to record when the error budget is exceeded at the ring's version (none recorded yet). */
export function newHalt(ledger: RingLedger, spec: RingSpecCore, reason: string, now: Date): RingHalt | undefined {
  if (ledger.ringVersion === undefined || heldHalt(ledger, spec) !== undefined) return undefined;
  return { version: ledger.ringVersion, at: now.toISOString(), reason, ...(spec.resume !== undefined ? { resume: spec.resume } : {}) };
}

/** What the summary, the report and status say about a held halt. */
export function heldHaltReason(halt: RingHalt): string {
  return `ring held since ${halt.at} at ${halt.version} (${halt.reason}): only failed pairs are retried; release another version or change the ring's resume value to start new pairs`;
}

/** Why the ring starts no new pairs this run because of its own alarms (pairs moving back still start). */
export function ownAlarmReason(spec: RingSpecCore, alarmsInAlarm: ReadonlySet<string>): string | undefined {
  const alarms = firing(spec.alarms, alarmsInAlarm);
  return alarms.length > 0 ? `alarm ${alarms.join(", ")} of ring ${spec.ring} is in ALARM: no new starts` : undefined;
}

/**
 * A pair going back to an older version than the one it has. Alarms never stop these: an alarm fired by
 * a bad version must not block the rollback that clears it.
 */
export function movesBack(pair: PairRecord, spec?: RingSpecCore): boolean {
  // Campaigns and destinations have no order: nothing of theirs is a rollback.
  if (spec !== undefined && ringKindOf(spec) !== "package") return false;
  return pair.wanted !== undefined && pair.applied !== undefined && compareVersions(pair.wanted, pair.applied) < 0;
}

/** How many more pairs may start now: concurrencyLimit(MaxConcurrency, total) minus the Pending ones. */
export function freeSlots(spec: RingSpecCore, progress: RingProgress): number {
  // SSM MaxConcurrency: a percentage of the targets, rounded down but at least one target.
  return Math.max(0, concurrencyLimit(spec.maxConcurrency, progress.total) - progress.pending);
}
