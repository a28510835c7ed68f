/** The run summary (`rollouts/<runId>/summary.json`) built from the ring's ledger at the end of a pass. */
import {
  pairKey,
  type PairRecord,
  type RingLedger,
  type RingSpecCore,
  type RunSummary,
  type SummaryEntry,
  type SummaryStatus,
} from "../../contract";
import { haltReason, heldHalt, heldHaltReason, movesBack, ownAlarmReason, ringProgress, type GateDecision } from "./gate";
import type { SkippedAccount } from "./targets";

/** Orders pairs by account, then Region. */
export function comparePairs(a: Pick<PairRecord, "account" | "region">, b: Pick<PairRecord, "account" | "region">): number {
  if (a.account !== b.account) return a.account < b.account ? -1 : 1;
  return a.region < b.region ? -1 : a.region > b.region ? 1 : 0;
}

export interface SummaryOptions {
  /** Alarms in ALARM at the end of the pass (explains pairs the ring's own alarms kept from starting). */
  readonly alarmsInAlarm?: ReadonlySet<string>;
  /** Accounts target resolution left out (`resolveTargets().skipped`): reported Skipped in every Region. */
  readonly skipped?: readonly SkippedAccount[];
  /** Statuses counted but not listed in `results` (summaries written while the run is going). */
  readonly omit?: readonly SummaryStatus[];
  /** Why no pair starts now because of a change freeze (freeze.ts freezeReason). */
  readonly frozen?: string;
}

/** What a summary written while the run is going leaves out: at fleet size, a full list every pass costs megabytes. */
export const PARTIAL_SUMMARY_OMITS: readonly SummaryStatus[] = ["Succeeded", "InProgress", "NotStarted", "Skipped"];

const STATUSES: readonly SummaryStatus[] = ["Succeeded", "Failed", "InProgress", "NotStarted", "NotReady", "Skipped"];

/** The summary's name for a ledger status (Pending pairs are InProgress). */
const SUMMARY_STATUS_OF: Readonly<Record<PairRecord["status"], SummaryStatus>> = {
  Succeeded: "Succeeded",
  Failed: "Failed",
  Pending: "InProgress",
  NotReady: "NotReady",
  Skipped: "Skipped",
  NotStarted: "NotStarted",
};

function withReason(entry: Omit<SummaryEntry, "reason">, reason: string | undefined): SummaryEntry {
  return reason === undefined ? entry : { ...entry, reason };
}

export function buildSummary(
  runId: string,
  spec: RingSpecCore,
  ledger: RingLedger,
  work: readonly string[],
  gate: GateDecision,
  final: boolean,
  options: SummaryOptions = {},
): RunSummary {
  const progress = ringProgress(ledger);
  const held = heldHalt(ledger, spec);
  const halted = haltReason(ledger, spec, progress) ?? (held !== undefined ? heldHaltReason(held) : undefined);
  const alarm = ownAlarmReason(spec, options.alarmsInAlarm ?? new Set());
  const inWork = new Set(work);

  const notStartedReason = (pair: PairRecord, key: string): string => {
    let reason: string;
    if (pair.wanted === undefined) reason = gate.blockedBy ?? "the ring has no version yet";
    else if (halted !== undefined) reason = halted;
    else if (options.frozen !== undefined) reason = options.frozen;
    else if (alarm !== undefined && !movesBack(pair, spec)) reason = alarm;
    else if (inWork.has(key)) reason = `not started yet (ring-wide MaxConcurrency ${spec.maxConcurrency})`;
    else reason = "not in this run's plan; the next run takes it";
    return pair.error === undefined ? reason : `${reason}; last attempt: ${pair.error}`;
  };

  const omit = new Set(options.omit ?? []);
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<SummaryStatus, number>;
  const entries: SummaryEntry[] = [];
  const inLedger = new Set<string>();
  for (const key in ledger.pairs) {
    const pair = ledger.pairs[key]!;
    inLedger.add(key);
    // Counted always; listed unless omitted (a summary written mid-run never builds the ring's full list).
    const status = SUMMARY_STATUS_OF[pair.status];
    counts[status]++;
    if (omit.has(status)) continue;
    const base = { account: pair.account, region: pair.region };
    const wanted = pair.wanted === undefined ? {} : { version: pair.wanted };
    switch (pair.status) {
      case "Succeeded": {
        const version = pair.applied ?? pair.wanted;
        entries.push(withReason({ ...base, status: "Succeeded", ...(version === undefined ? {} : { version }) }, pair.note));
        break;
      }
      case "Failed":
        entries.push(withReason({ ...base, status: "Failed", ...wanted }, pair.error ?? "failed"));
        break;
      case "Pending":
        entries.push({ ...base, status: "InProgress", ...wanted });
        break;
      case "NotReady":
        entries.push(withReason({ ...base, status: "NotReady", ...wanted }, pair.error ?? "the execution role cannot be assumed yet"));
        break;
      case "Skipped":
        entries.push(withReason({ ...base, status: "Skipped" }, pair.error ?? "no longer targeted"));
        break;
      case "NotStarted":
        entries.push(withReason({ ...base, status: "NotStarted", ...wanted }, notStartedReason(pair, key)));
        break;
    }
  }
  const regions = [...new Set(spec.regions)].sort();
  for (const { account, reason } of options.skipped ?? []) {
    for (const region of regions) {
      if (inLedger.has(pairKey(account, region))) continue;
      counts.Skipped++;
      if (!omit.has("Skipped")) entries.push({ account, region, status: "Skipped", reason });
    }
  }
  entries.sort(comparePairs);

  const why = [gate.blockedBy, halted, options.frozen, alarm].filter((text): text is string => text !== undefined);
  return {
    runId,
    package: spec.package,
    ring: spec.ring,
    ...(gate.wanted !== undefined ? { version: gate.wanted } : {}),
    final,
    ...(why.length > 0 ? { gate: why.join("; ") } : {}),
    counts,
    ...(omit.size > 0 ? { omitted: STATUSES.filter((s) => omit.has(s)) } : {}),
    results: entries,
  };
}
