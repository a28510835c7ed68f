/** `rollouts/<runId>/summary.json`: what one run did, per account and Region. */

export type SummaryStatus = "Succeeded" | "Failed" | "InProgress" | "NotStarted" | "NotReady" | "Skipped";

export interface SummaryEntry {
  readonly account: string;
  readonly region: string;
  readonly status: SummaryStatus;
  readonly version?: string;
  /** Why a pair was skipped or not started, or the error of a failure. */
  readonly reason?: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly package: string;
  readonly ring: string;
  /** The version this run worked towards (undefined when the ring had none to take). */
  readonly version?: string;
  /** False while the run is still going or ended early (loop cap): the next run continues from the ledger. */
  readonly final: boolean;
  /** Why the ring did not take the release, or why the run stopped early, when it did. */
  readonly gate?: string;
  readonly counts: Readonly<Record<SummaryStatus, number>>;
  /**
   * Statuses whose pairs `results` leaves out (their counts stay complete). Summaries written while a run
   * is going list only the pairs that need a look (Failed, NotReady); the final summary lists every pair.
   */
  readonly omitted?: readonly SummaryStatus[];
  /** Sorted by account, then Region. */
  readonly results: readonly SummaryEntry[];
}
