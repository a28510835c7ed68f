/**
 * `aft-fleet status`: the rollout state of every package ring, read from the store only (read.ts), as a
 * model (model.ts) rendered as text or JSON (render.ts).
 */
export { fleetStatus, type FleetStatus, type GateState, type RingGate, type RingHeld, type RingStatus, type StatusFailedPair, type StoredRing } from "./model";
export { listSpecKeys, readStoredRings, statusReadPolicy, StatusReadError } from "./read";
export { BAR_WIDTH, OVERVIEW_FAILED_PAIRS, STATUS_JSON_VERSION, countsLine, progressBar, renderFailed, renderStatus, statusJson } from "./render";
