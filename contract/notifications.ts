/**
 * Ring events the controller puts on the central account's default EventBridge bus (home Region), for
 * chat, paging or ticket integrations. Every event has source NOTIFICATION_SOURCE (`aft-fleet`), one of the
 * RING_EVENT_TYPES as its detail-type, and a RingEventDetail (JSON) as its detail. A rule on the default bus
 * matching the source routes them (modules/controller/notifications.ts).
 *
 * - "Ring Started": the first pair of the ring left NotStarted at a version (the ring began working on it;
 *   once per ring and version, whether the version came by promotion, pin or rollback).
 * - "Ring Reached Version": `reached[version]` was newly set (the ring met its success threshold: the next
 *   ring's bake starts now).
 * - "Ring Held": the ring's `halt` was newly set (its failed pairs exceed MaxErrors; it holds until a new
 *   version or a new `resume` value).
 * - "Pairs Failed": the ring's Failed count at its version grew in one controller step and is at least
 *   PAIRS_FAILED_THRESHOLD; `failedPairs` lists the pairs that failed in that step.
 */

/** EventBridge `source` of every aft-fleet event (PutEventsRequestEntry Source). */
export const NOTIFICATION_SOURCE = "aft-fleet";

export const RING_STARTED = "Ring Started";
export const RING_REACHED_VERSION = "Ring Reached Version";
export const RING_HELD = "Ring Held";
export const PAIRS_FAILED = "Pairs Failed";

/** Every detail-type aft-fleet sends (PutEventsRequestEntry DetailType). */
export const RING_EVENT_TYPES = [RING_STARTED, RING_REACHED_VERSION, RING_HELD, PAIRS_FAILED] as const;
export type RingEventType = (typeof RING_EVENT_TYPES)[number];

/**
 * "Pairs Failed" is sent when a step adds failed pairs and the ring then has at least this many Failed at
 * its version. 1: every new failure is worth a look, and one event per step and ring carries all of them
 * (a step is one controller invocation, so a ring sends at most one such event per apply pass). A pair
 * retried and failing again in a later run counts again: its failure is news for that run.
 */
export const PAIRS_FAILED_THRESHOLD = 1;
/** At most this many pairs are listed in `failedPairs`; `failedPairsOmitted` counts the rest. */
export const MAX_FAILED_PAIRS_IN_EVENT = 20;
/** At most this many characters of one pair's reason (an SDK message can be long; the event stays small). */
export const MAX_REASON_CHARS = 500;

/** The ring's pairs by status (Skipped pairs are not counted; Succeeded and Failed count at the ring's version). */
export interface RingCounts {
  /** Every pair that is not Skipped. */
  readonly total: number;
  readonly succeeded: number;
  /** Pending: the controller is waiting for the member's association (or document version). */
  readonly inFlight: number;
  readonly failed: number;
  readonly notReady: number;
  /** Not started yet, or Succeeded/Failed at another version than the ring's (waiting to be moved). */
  readonly notStarted: number;
}

export interface FailedPair {
  readonly account: string;
  readonly region: string;
  readonly version?: string;
  /** The pair's recorded error, cut at MAX_REASON_CHARS. */
  readonly reason: string;
}

export interface RingEventDetail {
  readonly package: string;
  readonly ring: string;
  /** The version the event is about (the ring's version; the halted version for "Ring Held"). */
  readonly version?: string;
  /** The Automation execution id of the run whose step produced the event (`rollouts/<runId>/`). */
  readonly runId: string;
  readonly counts: RingCounts;
  /** One sentence: what happened. */
  readonly reason: string;
  /** "Ring Reached Version": when it was reached; "Ring Held": when the halt happened (ISO 8601). */
  readonly at?: string;
  /** "Ring Started": the version the ring ran before, when it had one. */
  readonly previousVersion?: string;
  /** "Pairs Failed": the pairs that failed in the step, sorted by account then Region, at most MAX_FAILED_PAIRS_IN_EVENT. */
  readonly failedPairs?: readonly FailedPair[];
  /** "Pairs Failed": how many failed pairs `failedPairs` leaves out. */
  readonly failedPairsOmitted?: number;
}

export interface RingEvent {
  readonly detailType: RingEventType;
  readonly detail: RingEventDetail;
}
