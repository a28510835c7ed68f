/** The pull-request rollout report: pure functions over the resolved model and the emitted trees. */
export { ReportError } from "./errors";
export { planPackages, wantedVersion, type Before, type Change, type PackagePlan, type RingPlan } from "./model-diff";
export { APPLY_PASSES_PER_RUN, ASSUMED_ACCOUNTS_PER_OU, ASSUMED_NODES_PER_PAIR, CONTROLLER_STARTS_PER_MINUTE, DEFAULT_INSTALL_MINUTES, PASS_PAUSE_MINUTES, estimatePackage, formatMinutes, nodeBatches, ringAdditions, ringTargets, ringTime, scheduleIntervalMinutes, type RingAddition, type RingTime } from "./estimate";
export { AFT_CONCURRENT_CUSTOMIZATIONS, DEFAULT_AFT_MINUTES, aftTrigger, allPipelinesMinutes, type AftTrigger } from "./trigger";
export { fleetWarnings, RULES, type Warning } from "./warnings";
export { diffTrees, readTrees, isMemberTree, type TreeDiff, type Trees } from "./tree-diff";
export { parseLedgers, statusCounts, type Ledgers } from "./ledger";
export { rolloutFlowchart } from "./mermaid";
export { renderReport, type ReportInput } from "./markdown";
