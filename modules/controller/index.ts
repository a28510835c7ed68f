export { RolloutController } from "./controller";
export { RingRollout } from "./ring";
export { ringRunbook, MAX_APPLY_PASSES } from "./ring-runbook";
export { ringSpecOf, emergencyRingSpecOf, asgImageRingSpecOf, inventorySyncSpecOf, INVENTORY_SYNC_SCHEDULE } from "./spec";
