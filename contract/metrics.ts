/**
 * CloudWatch metrics the controller publishes in the `AftFleet` namespace (METRIC_NAMESPACE), for alarms
 * and the central dashboard. Dimensions: Package and Ring (the package name, or a controller job such as
 * `_emergency`), and Status where named.
 */

/** Pairs of the ring by status after each apply pass and at the end of a run. Dimensions: Package, Ring, Status. */
export const PAIRS_BY_STATUS_METRIC = "PairsByStatus";
/** The statuses PAIRS_BY_STATUS_METRIC is published for (Skipped pairs are not counted). */
export const PAIR_METRIC_STATUSES = ["Succeeded", "InProgress", "Failed", "NotReady", "NotStarted"] as const;
/** 1 while the ring's halt holds (stopped at its error budget, not acknowledged), else 0. Dimensions: Package, Ring. */
export const RING_HELD_METRIC = "RingHeld";
