import type { ConfigIssue } from "../errors";
import type { FleetConfig } from "../schema";

/**
 * One semantic check of a schema-valid config (cdk-nag's shape: one rule per file, a pure function).
 * Returns every problem it finds; an empty list means the config complies.
 */
export type ConfigRule = (config: FleetConfig) => ConfigIssue[];
