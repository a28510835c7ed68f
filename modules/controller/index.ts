export { RolloutController, LAMBDA_RUNTIME, LOG_RETENTION_DAYS, CONTROLLER_TIMEOUT_SECONDS } from "./controller";
export type { RolloutControllerProps } from "./controller";
export { RingRollout } from "./ring";
export { ringAssociationNameOf } from "../../contract/names";
export type { RingRolloutProps } from "./ring";
export { ringRunbook, MAX_APPLY_PASSES, APPLY_PAUSE } from "./ring-runbook";
export { ringSpecOf, nodeTargetsOf, emergencyRingSpecOf, emergencyNodeTargetsOf, asgImageRingSpecOf, inventorySyncSpecOf, INVENTORY_SYNC_SCHEDULE } from "./spec";
export { buildLambdas, cachedLambdaBundles, lambdaBundles, handlerNames } from "./bundling";
