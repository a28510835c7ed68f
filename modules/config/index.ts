export * from "./errors";
export * from "./model";
export { loadConfig, resolveConfig, DEFAULT_CONFIG, MAX_FILES_PER_FOLDER } from "./load";
export { FleetConfigSchema } from "./schema";
export type { FleetConfig } from "./schema";
