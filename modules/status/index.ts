/**
 * `aft-fleet status`: the rollout state of every package ring, read from the store only (read.ts), as a
 * model (model.ts) rendered as text or JSON (render.ts).
 */
export { fleetStatus } from "./model";
export { readStoredRings, statusReadPolicy } from "./read";
export { progressBar, renderFailed, renderStatus, statusJson } from "./render";
