export {
  PatchingMember,
  MAINTENANCE_WINDOW_ROLE_NAME,
  RUN_PATCH_BASELINE,
  INVENTORY_ASSOCIATION_NAME,
  TAGGER_ASSOCIATION_NAME,
  TAGGER_DOCUMENT_NAME,
  TAGGER_ROLE_NAME,
  TAGGER_RUNTIME,
  taggerRunbook,
} from "./member";
export type { PatchingMemberProps } from "./member";
export { PatchingReporting, INVENTORY_PREFIX, ATHENA_RESULTS_PREFIX, REPORTS_KEY_ALIAS, CRAWLER_ROLE_NAME, CRAWLER_NAME, CRAWLER_CONFIGURATION } from "./reporting";
export type { PatchingReportingProps } from "./reporting";
export { NAMED_QUERIES } from "./queries";
export type { NamedQuerySpec } from "./queries";
export { INVENTORY_TABLES, INVENTORY_PARTITION_KEYS } from "./tables";
export type { InventoryTableSpec, InventoryColumn } from "./tables";
