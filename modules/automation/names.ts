/*
 * Names shared by the central account's fan-out and the member accounts' execution side. They cross
 * stacks (and accounts) as plain strings, so both sides must take them from here.
 */

/** Role in the central account that Automation assumes to run the rollout and to reach member accounts. */
export const ADMINISTRATION_ROLE_NAME = "aft-fleet-automation-administration";
/** Role in every member account that multi-account Automation assumes (TargetLocation.ExecutionRoleName). */
export const EXECUTION_ROLE_NAME = "aft-fleet-automation-execution";
/** Central runbook: expand targets, share the package, start the member runbook, collect results. */
export const ROLLOUT_RUNBOOK_NAME = "aft-fleet-RolloutPackage";
/** Member runbook: AWS-ConfigureAWSPackage on the account's managed nodes, with rate control. */
export const INSTALL_RUNBOOK_NAME = "aft-fleet-InstallPackage";
/** Key prefix in the package store where rollout state and summaries are written (`<prefix>/<runId>/`). */
export const ROLLOUT_SUMMARY_PREFIX = "rollouts";
/** CloudWatch namespace of the per-ring `FailedTargets` metric that collect-results publishes. */
export const METRIC_NAMESPACE = "AftFleet";

/** The fan-out Lambda handlers (folders of lambdas/, bundled to `<bundleDir>/<handler>/index.js`). */
export const FAN_OUT_HANDLERS = ["expand-targets", "share-document", "start-rollout", "collect-results"] as const;
export type FanOutHandler = (typeof FAN_OUT_HANDLERS)[number];

/** `aft-fleet-expand-targets`, … */
export function functionNameOf(handler: FanOutHandler): string {
  return `aft-fleet-${handler}`;
}
