/**
 * Ring events (contract/notifications.ts) from the ledger before and after one controller step, and their
 * delivery to the central account's default EventBridge bus.
 *
 * PutEvents rules this follows (Amazon EventBridge API Reference, PutEvents and PutEventsResultEntry;
 * EventBridge User Guide, "Sending events with PutEvents" and "Calculating PutEvents event entry size"):
 * - Entries: 1 to 10 per request (PutEvents, Request Parameters, Entries: "Maximum number of 10 items").
 * - The entries of one request total less than 256 KB, an entry counting the UTF-8 bytes of Source,
 *   DetailType, Detail and each Resources entry, plus 14 bytes for Time when given.
 * - A request can succeed with failed entries: FailedEntryCount counts them, and Entries[] answers the
 *   request entries in their order, each with an EventId or an ErrorCode and ErrorMessage. Failed entries
 *   must be sent again by the caller. Retryable ErrorCodes: InternalFailure, ThrottlingException; every
 *   other code (AccessDeniedException, InvalidArgument, MalformedDetail, NotAuthorizedForSourceException,
 *   NotAuthorizedForDetailTypeException, ...) fails the same way again and is reported, not retried.
 * - A throttled request as a whole (ThrottlingException) is retried with backoff (withBackoff).
 *
 * publishEvents never throws for a delivery problem: notifications must not stop a rollout. It returns what
 * was sent and what was not (with the reason) for the caller to log.
 */
import { PutEventsCommand, type PutEventsCommandOutput, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { errorBudget, type PairRecord, type RingLedger, type RingSpecCore } from "../../contract";
import {
  MAX_FAILED_PAIRS_IN_EVENT,
  MAX_REASON_CHARS,
  NOTIFICATION_SOURCE,
  PAIRS_FAILED,
  PAIRS_FAILED_THRESHOLD,
  RING_HELD,
  RING_REACHED_VERSION,
  RING_STARTED,
  type FailedPair,
  type RingCounts,
  type RingEvent,
  type RingEventType,
} from "../../contract/notifications";
import { describeError } from "../shared/clients";
import { backoffDelay, sleep, withBackoff, type BackoffOptions } from "../shared/retry";
import { heldHaltReason } from "./gate";
import { comparePairs } from "./summary";

/** PutEvents: at most 10 entries per request. */
const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents: the entries of one request total less than 256 KB (262,144 bytes). */
export const MAX_PUT_BYTES = 256 * 1024;
/** PutEventsResultEntry ErrorCode values the API reference names retryable. */
const RETRYABLE_ENTRY_ERRORS: ReadonlySet<string> = new Set(["InternalFailure", "ThrottlingException"]);

/** The ring's pairs by status, as events and `aft-fleet status` show them (contract RingCounts). */
export function ringCounts(ledger: RingLedger): RingCounts {
  const version = ledger.ringVersion;
  let total = 0;
  let succeeded = 0;
  let inFlight = 0;
  let failed = 0;
  let notReady = 0;
  for (const key in ledger.pairs) {
    const pair = ledger.pairs[key]!;
    if (pair.status === "Skipped") continue;
    total++;
    if (pair.status === "Pending") inFlight++;
    else if (pair.status === "NotReady") notReady++;
    else if (version !== undefined && pair.wanted === version && pair.status === "Succeeded") succeeded++;
    else if (version !== undefined && pair.wanted === version && pair.status === "Failed") failed++;
  }
  return { total, succeeded, inFlight, failed, notReady, notStarted: total - succeeded - inFlight - failed - notReady };
}

function cut(text: string, max = MAX_REASON_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

function failedAt(pair: PairRecord | undefined, version: string): boolean {
  return pair !== undefined && pair.status === "Failed" && pair.wanted === version;
}

/** Whether the ring was working on `version`: a pair at it that left NotStarted (Skipped pairs do not count). */
function startedAt(ledger: RingLedger, version: string): boolean {
  for (const key in ledger.pairs) {
    const pair = ledger.pairs[key]!;
    if (pair.wanted === version && pair.status !== "NotStarted" && pair.status !== "Skipped") return true;
  }
  return false;
}

/**
 * The version the ring's pairs ran before `version`: the most common `applied` other than it (the plan that
 * took the new version already set `ringVersion`, so the step that starts the first pair cannot read it there).
 */
function mostApplied(ledger: RingLedger, version: string): string | undefined {
  const counts = new Map<string, number>();
  for (const key in ledger.pairs) {
    const applied = ledger.pairs[key]!.applied;
    if (applied !== undefined && applied !== version && ledger.pairs[key]!.status !== "Skipped") counts.set(applied, (counts.get(applied) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [applied, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (best === undefined || n > counts.get(best)!) best = applied;
  return best;
}

export interface RingEventOptions {
  /** @default PAIRS_FAILED_THRESHOLD */
  readonly failedThreshold?: number;
}

/**
 * The events one controller step produced: `before` is the ledger the step read, `after` the one it saved.
 * Pure. Order: Started, Pairs Failed, Held, Reached (what happened first comes first).
 */
export function ringEvents(before: RingLedger, after: RingLedger, spec: RingSpecCore, runId: string, options: RingEventOptions = {}): RingEvent[] {
  const counts = ringCounts(after);
  const base = { package: spec.package, ring: spec.ring, runId, counts };
  const events: RingEvent[] = [];
  const version = after.ringVersion;

  if (version !== undefined && startedAt(after, version) && !(before.ringVersion === version && startedAt(before, version))) {
    const previous = before.ringVersion !== undefined && before.ringVersion !== version ? before.ringVersion : mostApplied(after, version);
    events.push({
      detailType: RING_STARTED,
      detail: {
        ...base,
        version,
        ...(previous !== undefined ? { previousVersion: previous } : {}),
        reason: `ring ${spec.ring} of ${spec.package} started ${version}${previous !== undefined ? ` (was ${previous})` : ""}: ${counts.total} pairs`,
      },
    });
  }

  if (version !== undefined) {
    const newlyFailed: FailedPair[] = [];
    let failedBefore = 0;
    for (const key in before.pairs) if (failedAt(before.pairs[key], version)) failedBefore++;
    const failing = Object.keys(after.pairs)
      .filter((key) => failedAt(after.pairs[key], version) && !failedAt(before.pairs[key], version))
      .map((key) => after.pairs[key]!)
      .sort(comparePairs);
    for (const pair of failing.slice(0, MAX_FAILED_PAIRS_IN_EVENT)) {
      newlyFailed.push({ account: pair.account, region: pair.region, version, reason: cut(pair.error ?? "failed") });
    }
    const threshold = options.failedThreshold ?? PAIRS_FAILED_THRESHOLD;
    if (counts.failed > failedBefore && counts.failed >= threshold && failing.length > 0) {
      const budget = errorBudget(spec.maxErrors, counts.total);
      events.push({
        detailType: PAIRS_FAILED,
        detail: {
          ...base,
          version,
          reason: `${failing.length} pairs of ring ${spec.ring} failed at ${version}: ${counts.failed} failed of ${counts.total} (MaxErrors ${spec.maxErrors}: ${budget} allowed)`,
          failedPairs: newlyFailed,
          ...(failing.length > newlyFailed.length ? { failedPairsOmitted: failing.length - newlyFailed.length } : {}),
        },
      });
    }
  }

  const halt = after.halt;
  if (halt !== undefined && !(before.halt !== undefined && before.halt.at === halt.at && before.halt.version === halt.version)) {
    events.push({ detailType: RING_HELD, detail: { ...base, version: halt.version, at: halt.at, reason: heldHaltReason(halt) } });
  }

  for (const reachedVersion of Object.keys(after.reached).sort()) {
    if (before.reached[reachedVersion] !== undefined) continue;
    const at = after.reached[reachedVersion]!;
    events.push({
      detailType: RING_REACHED_VERSION,
      detail: { ...base, version: reachedVersion, at, reason: `ring ${spec.ring} of ${spec.package} reached ${reachedVersion} at ${at}: ${counts.succeeded} of ${counts.total} pairs succeeded` },
    });
  }
  return events;
}

/** What PutEvents would count for one entry (User Guide, "Calculating PutEvents event entry size"). */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? "", "utf8");
  size += Buffer.byteLength(entry.DetailType ?? "", "utf8");
  if (entry.Detail !== undefined) size += Buffer.byteLength(entry.Detail, "utf8");
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, "utf8");
  return size;
}

/** The PutEvents entry of an event (default bus: no EventBusName). */
export function eventEntry(event: RingEvent): PutEventsRequestEntry {
  return { Source: NOTIFICATION_SOURCE, DetailType: event.detailType, Detail: JSON.stringify(event.detail) };
}

/** Entries in requests of at most MAX_ENTRIES_PER_PUT entries and less than MAX_PUT_BYTES, in order. */
export function batchEntries<T extends PutEventsRequestEntry>(entries: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length >= MAX_ENTRIES_PER_PUT || bytes + size >= MAX_PUT_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface EventsSender {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

export interface UndeliveredEvent {
  readonly detailType: RingEventType;
  readonly package: string;
  readonly ring: string;
  /** The last ErrorCode (or the request's error name). */
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface PublishResult {
  /** Events EventBridge accepted (an EventId came back). */
  readonly sent: number;
  /** Events not accepted after the retries, or refused for good. */
  readonly failed: readonly UndeliveredEvent[];
}

/**
 * Puts the events on the default bus: in batches (10 entries, < 256 KB), retrying the entries that came back
 * with a retryable ErrorCode (InternalFailure, ThrottlingException) up to `backoff.maxAttempts` tries
 * (default 5) with exponential backoff, and reporting the others. An entry alone over the size limit is
 * reported without a call. Never throws for a refused call: every event of that call is reported.
 */
export async function publishEvents(client: EventsSender, events: readonly RingEvent[], backoff: BackoffOptions = {}): Promise<PublishResult> {
  const failed: UndeliveredEvent[] = [];
  const report = (event: RingEvent, errorCode: string, errorMessage: string) =>
    failed.push({ detailType: event.detailType, package: event.detail.package, ring: event.detail.ring, errorCode, errorMessage });
  let sent = 0;
  const maxAttempts = backoff.maxAttempts ?? 5;
  const wait = backoff.sleep ?? sleep;

  type Pending = PutEventsRequestEntry & { readonly event: RingEvent };
  const sendable: Pending[] = [];
  for (const event of events) {
    const entry = { ...eventEntry(event), event };
    if (entrySize(entry) >= MAX_PUT_BYTES) report(event, "EntryTooLarge", `the entry is ${entrySize(entry)} bytes; PutEvents takes less than ${MAX_PUT_BYTES} per request`);
    else sendable.push(entry);
  }

  for (const batch of batchEntries(sendable)) {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const entries = pending.map(({ event: _event, ...entry }) => entry);
      let output: PutEventsCommandOutput;
      try {
        output = await withBackoff(() => client.send(new PutEventsCommand({ Entries: entries })), backoff);
      } catch (error) {
        const name = (error as { name?: unknown })?.name;
        for (const { event } of pending) report(event, typeof name === "string" ? name : "Error", describeError(error));
        break;
      }
      const results = output.Entries ?? [];
      const retry: Pending[] = [];
      pending.forEach((entry, i) => {
        const result = results[i];
        if (result?.EventId !== undefined && result.ErrorCode === undefined) {
          sent++;
          return;
        }
        const code = result?.ErrorCode ?? "NoResult";
        const message = result?.ErrorMessage ?? (result === undefined ? "PutEvents returned no result for the entry" : code);
        if (RETRYABLE_ENTRY_ERRORS.has(code) && attempt < maxAttempts) retry.push(entry);
        else report(entry.event, code, message);
      });
      pending = retry;
      if (pending.length > 0) await wait(backoffDelay(attempt, backoff));
    }
  }
  return { sent, failed };
}
