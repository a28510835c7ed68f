/** The controller Lambda's events and results: the ring runbook builds the first, branches on the second. */

export type ControllerStep = "plan" | "apply" | "summarize";

export interface ControllerEvent {
  readonly step: ControllerStep;
  /** The Automation execution id: names the run's objects under `rollouts/<runId>/`. */
  readonly runId: string;
  /** Store bucket holding ring specs, ledgers and runs. */
  readonly bucket: string;
  /** `controller/<package>/<ring>.json`. */
  readonly specKey: string;
}

/** `status` is what the runbook branches on: Done ends the loop (and, after plan, the run). */
export interface ControllerResult {
  readonly status: "Done" | "Continue";
  readonly runId: string;
  readonly message: string;
}
