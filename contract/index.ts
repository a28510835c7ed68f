/*
 * The contract between the constructs (modules/, build time) and the controller (lambdas/, run time):
 * names, AWS patterns, rate control, version order and the shapes of ring specs, ledgers, events and
 * summaries. It imports nothing, so both sides can depend on it without depending on each other.
 */
export * from "./events";
export * from "./freezes";
export * from "./ledger";
export * from "./metrics";
export * from "./names";
export * from "./partition";
export * from "./patterns";
export * from "./rate";
export * from "./ring-spec";
export * from "./summary";
export * from "./versions";
export * from "./schedule";
