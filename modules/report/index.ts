/** The pull-request rollout report: pure functions over the resolved model and the emitted trees. */
export { ReportError } from "./errors";
export { planPackages } from "./model-diff";
export { estimatePackage, formatMinutes, nodeBatches, ringTime, scheduleIntervalMinutes } from "./estimate";
export { aftTrigger } from "./trigger";
export { RULES } from "./warnings";
export { diffTrees, readTrees, type TreeDiff, type Trees } from "./tree-diff";
export { parseLedgers } from "./ledger";
export { renderReport, type ReportInput } from "./markdown";
