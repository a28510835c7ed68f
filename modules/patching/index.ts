export {
  PatchingMember,
  MAINTENANCE_WINDOW_ROLE_NAME,
  TAGGER_ROLE_NAME,
  taggerRunbook,
} from "./member";
export type { PatchingMemberProps } from "./member";
export { PatchingReporting, CRAWLER_CONFIGURATION } from "./reporting";
export type { PatchingReportingProps } from "./reporting";
export { NAMED_QUERIES } from "./queries";
export { INVENTORY_TABLES, INVENTORY_PARTITION_KEYS } from "./tables";
