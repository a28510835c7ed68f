/**
 * The ledger: one JSON object per package ring in the store (`ledger/<package>/<ring>.json`), the
 * controller's memory between runs. Every run is a diff against it: unchanged pairs cost nothing, new
 * accounts are reached by the next run, and a killed chunk resumes from it.
 */

export const LEDGER_SCHEMA_VERSION = 1;

/**
 * State of one account-Region pair.
 * - NotStarted: targeted, nothing done yet (e.g. waiting for the previous ring).
 * - Pending: document and association updated to `wanted`; waiting for the association's result.
 * - Succeeded: the association ran `wanted` successfully (`applied` = `wanted`).
 * - Failed: an API call or the association failed (`error` says which); retried next run.
 * - NotReady: the execution role cannot be assumed yet (account not customized by AFT yet); retried.
 * - Skipped: no longer targeted by this ring (left as it is; nothing is uninstalled).
 */
export type PairStatus = "NotStarted" | "Pending" | "Succeeded" | "Failed" | "NotReady" | "Skipped";

export interface PairRecord {
  readonly account: string;
  readonly region: string;
  /** Version this ring wants here; undefined while the ring has no version yet. */
  readonly wanted?: string;
  /** Version last confirmed installed by the association. */
  readonly applied?: string;
  readonly status: PairStatus;
  /** ISO 8601 time of the last change. */
  readonly updatedAt: string;
  readonly error?: string;
  /** Attempts at the current `wanted` (reset when `wanted` changes). */
  readonly attempts: number;
  readonly associationId?: string;
  /** The association version our last create/update produced; read-back waits for its execution. */
  readonly associationVersion?: string;
  readonly documentVersion?: string;
  /** Emergency patching: the SendCommand CommandId of the current attempt; read back with ListCommands. */
  readonly commandId?: string;
  /** Auto Scaling images: one step per group found when the pair started (kind asg-image). */
  readonly groups?: readonly ImageGroupStep[];
  /** What a Succeeded pair left out (e.g. groups skipped and why); shown as the summary's reason. */
  readonly note?: string;
}

/**
 * One Auto Scaling group in an asg-image pair: Automation (patching a copy of the image) -> Refresh
 * (new launch template version, instance refresh) -> Succeeded; or Skipped / Failed with a reason.
 */
export interface ImageGroupStep {
  readonly group: string;
  readonly phase: "Automation" | "Refresh" | "Succeeded" | "Skipped" | "Failed";
  readonly reason?: string;
  readonly launchTemplateId?: string;
  /** The group's launch template version: $Default or $Latest. */
  readonly launchTemplateVersion?: string;
  /** The version the source image came from (resolved number): SourceVersion of the new one. */
  readonly sourceVersion?: string;
  readonly sourceImageId?: string;
  readonly automationExecutionId?: string;
  readonly patchedImageId?: string;
  readonly newVersion?: string;
  readonly instanceRefreshId?: string;
}

export interface RingLedger {
  readonly schemaVersion: typeof LEDGER_SCHEMA_VERSION;
  readonly package: string;
  readonly ring: string;
  /** The version this ring runs now (what new pairs get); undefined before its first promotion. */
  readonly ringVersion?: string;
  /** version -> ISO time this ring first reached it on its success threshold (starts the bake). */
  readonly reached: Readonly<Record<string, string>>;
  /** The run that owns the ring until `expiresAt`; other runs end without doing anything. */
  readonly lease?: { readonly runId: string; readonly expiresAt: string };
  /**
   * Set when the ring stopped at its error budget (MaxErrors). While it holds, only the failed pairs are
   * retried and no other pair starts, run after run. It is cleared by a new ring version (release, pin or
   * rollback) or by a ring spec `resume` that differs from the one recorded here.
   */
  readonly halt?: RingHalt;
  /** `<account>:<region>` -> record. */
  readonly pairs: Readonly<Record<string, PairRecord>>;
}

/** A ring's held stop at its error budget. */
export interface RingHalt {
  /** The ring version the stop happened at. */
  readonly version: string;
  /** ISO 8601 time of the stop. */
  readonly at: string;
  /** Why: the failed count against MaxErrors. */
  readonly reason: string;
  /** The ring spec's `resume` when the stop happened (absent when the spec had none). */
  readonly resume?: string;
}

export function pairKey(account: string, region: string): string {
  return `${account}:${region}`;
}

export function emptyLedger(packageName: string, ring: string): RingLedger {
  return { schemaVersion: LEDGER_SCHEMA_VERSION, package: packageName, ring, reached: {}, pairs: {} };
}
