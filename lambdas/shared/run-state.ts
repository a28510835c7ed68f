/**
 * The run-state document (`<summaryPrefix>/<runId>/state.json`) that start-rollout writes and
 * collect-results reads and updates between invocations.
 */

export const STATE_FILE = "state.json";
export const SUMMARY_FILE = "summary.json";

/** Outcome for one account in one Region. */
export interface TargetResult {
  account: string;
  region: string;
  status: string;
  error?: string;
}

/** One StartAutomationExecution call: a group of at most 50 accounts in one target Region. */
export interface ExecutionRecord {
  /** Index of the group in the start-rollout event. */
  group: number;
  region: string;
  accounts: string[];
  executionId?: string;
  startError?: string;
  /** Last AutomationExecutionStatus seen by collect-results. */
  status?: string;
  /** Per-target outcome, set once the execution is terminal (or could not start). */
  targets?: TargetResult[];
}

export interface RunState {
  runId: string;
  runbookName: string;
  /** Region whose SSM API started the parent executions (and must be polled). */
  homeRegion: string;
  executions: ExecutionRecord[];
  complete?: boolean;
}

/** Statuses after which an execution no longer changes. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  "Success",
  "CompletedWithSuccess",
  "CompletedWithFailure",
  "Failed",
  "TimedOut",
  "Cancelled",
  "Rejected",
  "ChangeCalendarOverrideRejected",
  "Exited",
]);

export const SUCCESS_STATUSES: ReadonlySet<string> = new Set(["Success", "CompletedWithSuccess"]);
