/**
 * The fleet's rollout state as `aft-fleet status` shows it: per package ring, its version, progress, the
 * gate it waits on and its failed pairs, derived from what the store holds (ring spec, ledger, and the run
 * in progress's summary). Pure: no I/O; the gate texts are the controller's own (lambdas/controller/gate.ts).
 */
import { ringKindOf, type AnyRingSpec, type RingLedger, type RunSummary } from "../../contract";
import type { RingCounts } from "../../contract/notifications";
import { freezeReason } from "../../lambdas/controller/freeze";
import { gateRing, heldHalt, heldHaltReason } from "../../lambdas/controller/gate";
import { ringCounts } from "../../lambdas/controller/notify";
import { comparePairs } from "../../lambdas/controller/summary";

/** What the store holds for one ring. */
export interface StoredRing {
  readonly specKey: string;
  readonly spec: AnyRingSpec;
  /** The ledger (an empty one before the ring's first run). */
  readonly ledger: RingLedger;
  /** Whether a ledger object exists yet. */
  readonly ledgerExists: boolean;
  /** The summary of the run that holds the ring's lease, when one does and it wrote one. */
  readonly runSummary?: RunSummary;
}

/**
 * - held: the ring's halt holds (failed pairs exceed MaxErrors); only failed pairs are retried.
 * - frozen: a change freeze holds (the ring's spec `freezes`): no pair starts until it ends; pairs in flight finish.
 * - pinned: the spec pins the ring at a version.
 * - baking: the previous ring reached the release; this one waits until `bakeUntil`.
 * - waiting: the previous ring has not reached the release yet (or a version is not published).
 * - ready: no gate left but the alarms the controller checks when it runs; the next run takes the release.
 * - steady: the ring runs the release.
 */
export type GateState = "held" | "frozen" | "pinned" | "baking" | "waiting" | "ready" | "steady";

export interface RingGate {
  readonly state: GateState;
  /** One sentence, in the controller's words where it has them. */
  readonly text: string;
  /** The ring before this one, when there is one. */
  readonly previousRing?: string;
  /** baking: when the bake ends (the previous ring's `reached[release]` plus the spec's `previous.bakeSeconds`). */
  readonly bakeUntil?: string;
  /** Alarms of the previous ring that hold the promotion while in ALARM (status does not read alarm states). */
  readonly previousAlarms: readonly string[];
  /** The ring's own alarms: any in ALARM stops new starts in the ring. */
  readonly ownAlarms: readonly string[];
}

export interface RingHeld {
  readonly version: string;
  readonly at: string;
  readonly reason: string;
  /** heldHaltReason: what the controller's summaries say. */
  readonly text: string;
}

export interface StatusFailedPair {
  readonly account: string;
  readonly region: string;
  readonly version?: string;
  readonly attempts: number;
  readonly updatedAt: string;
  readonly reason: string;
}

export interface RingStatus {
  readonly package: string;
  readonly ring: string;
  readonly ringIndex: number;
  readonly kind: string;
  /** The version the fleet should reach (spec `release`). */
  readonly release: string;
  /** The version the ring runs now (ledger `ringVersion`); undefined before its first version. */
  readonly version?: string;
  readonly pin?: string;
  /** version -> when the ring reached it. */
  readonly reached: Readonly<Record<string, string>>;
  readonly counts: RingCounts;
  readonly gate: RingGate;
  readonly held?: RingHeld;
  /** Every Failed pair, sorted by account then Region. */
  readonly failed: readonly StatusFailedPair[];
  /** The run holding the ring now, when there is one. */
  readonly run?: { readonly runId: string; readonly leaseExpiresAt: string; readonly final?: boolean; readonly gate?: string };
  readonly ledgerExists: boolean;
}

export interface FleetStatus {
  readonly bucket: string;
  /** When the store was read (ISO 8601). */
  readonly at: string;
  /** Sorted by package, then ring order. */
  readonly rings: readonly RingStatus[];
}

function gateOf(stored: StoredRing, previous: RingLedger | undefined, now: Date): { gate: RingGate; held?: RingHeld } {
  const { spec, ledger } = stored;
  const previousRing = spec.previous?.name;
  const common = {
    ...(previousRing !== undefined ? { previousRing } : {}),
    previousAlarms: [...(spec.previous?.alarms ?? [])],
    ownAlarms: [...spec.alarms],
  };
  const halt = heldHalt(ledger, spec);
  const held = halt === undefined ? undefined : { version: halt.version, at: halt.at, reason: halt.reason, text: heldHaltReason(halt) };
  if (held !== undefined) return { gate: { state: "held", text: held.text, ...common }, held };
  // No alarm is in ALARM as far as status knows: it reads only the store.
  const decision = gateRing(spec, ledger, previous, new Set(), now);
  // The controller's own freeze rule (a ring that already runs its release has nothing a freeze stops).
  const frozen = decision.kind === "steady" ? undefined : freezeReason(spec, now);
  if (frozen !== undefined) return { gate: { state: "frozen", text: `${frozen}: no pair starts, pairs in flight finish`, ...common } };
  if (decision.kind === "pin") {
    const text = ledger.ringVersion === spec.pin ? `pinned at ${spec.pin}` : `pinned at ${spec.pin}: the next run takes it (ring runs ${ledger.ringVersion ?? "no version"})`;
    return { gate: { state: "pinned", text, ...common } };
  }
  if (decision.kind === "steady") return { gate: { state: "steady", text: `runs the release ${spec.release}`, ...common } };
  if (decision.kind === "hold") {
    const reachedAt = previous?.ringVersion === spec.release ? previous.reached[spec.release] : undefined;
    if (reachedAt !== undefined && spec.previous !== undefined && decision.blockedBy?.startsWith("baking") === true) {
      const bakeUntil = new Date(Date.parse(reachedAt) + spec.previous.bakeSeconds * 1000).toISOString();
      return { gate: { state: "baking", text: `baking until ${bakeUntil} (${decision.blockedBy})`, bakeUntil, ...common } };
    }
    return { gate: { state: "waiting", text: decision.blockedBy ?? "waiting", ...common } };
  }
  // gateRing checks the previous ring's alarms for every move forward; rollbacks never wait on alarms.
  const alarms = decision.kind === "rollback" ? [] : common.previousAlarms;
  const unless = alarms.length > 0 ? ` if alarm ${alarms.join(", ")} of ring ${previousRing} is not in ALARM` : "";
  const what = decision.kind === "rollback" ? "rolls back to" : "takes";
  return { gate: { state: "ready", text: `the next run ${what} ${spec.release}${unless}`, ...common } };
}

/** The status of every stored ring, as of `now`. */
export function fleetStatus(bucket: string, rings: readonly StoredRing[], now: Date): FleetStatus {
  const ledgers = new Map(rings.map((r) => [`${r.spec.package}/${r.spec.ring}`, r.ledger]));
  const statuses = rings.map((stored): RingStatus => {
    const { spec, ledger } = stored;
    const previous = spec.previous ? ledgers.get(`${spec.package}/${spec.previous.name}`) : undefined;
    const { gate, held } = gateOf(stored, previous, now);
    const failed = Object.values(ledger.pairs)
      .filter((p) => p.status === "Failed")
      .sort(comparePairs)
      .map((p) => ({ account: p.account, region: p.region, ...(p.wanted !== undefined ? { version: p.wanted } : {}), attempts: p.attempts, updatedAt: p.updatedAt, reason: p.error ?? "failed" }));
    const summary = stored.runSummary;
    const run =
      ledger.lease === undefined
        ? undefined
        : {
            runId: ledger.lease.runId,
            leaseExpiresAt: ledger.lease.expiresAt,
            ...(summary !== undefined ? { final: summary.final } : {}),
            ...(summary?.gate !== undefined ? { gate: summary.gate } : {}),
          };
    return {
      package: spec.package,
      ring: spec.ring,
      ringIndex: spec.ringIndex,
      kind: ringKindOf(spec),
      release: spec.release,
      ...(ledger.ringVersion !== undefined ? { version: ledger.ringVersion } : {}),
      ...(spec.pin !== undefined ? { pin: spec.pin } : {}),
      reached: { ...ledger.reached },
      counts: ringCounts(ledger),
      gate,
      ...(held !== undefined ? { held } : {}),
      failed,
      ...(run !== undefined ? { run } : {}),
      ledgerExists: stored.ledgerExists,
    };
  });
  statuses.sort((a, b) => (a.package !== b.package ? (a.package < b.package ? -1 : 1) : a.ringIndex - b.ringIndex || (a.ring < b.ring ? -1 : a.ring > b.ring ? 1 : 0)));
  return { bucket, at: now.toISOString(), rings: statuses };
}
