import type { ConfigIssue } from "../errors";
import type { FleetConfig } from "../schema";
import { centralIsNotManagement } from "./accounts";
import { bucketNamesAreValid } from "./bucket-names";
import { bucketNamesDiffer, roleNamesDiffer, workgroupIsNotPrimary } from "./collisions";
import { packageDocumentNamesFit, ringAssociationNamesFit } from "./names";
import { packageArgumentsFit } from "./package-arguments";
import { regionsShareOnePartition } from "./partition";
import { schedulesAreAccepted } from "./schedules";
import type { ConfigRule } from "./types";

/** The semantic rules every schema-valid config must pass, each in its own file. */
const CONFIG_RULES: readonly ConfigRule[] = [regionsShareOnePartition, centralIsNotManagement, bucketNamesAreValid, schedulesAreAccepted, ringAssociationNamesFit, packageDocumentNamesFit, packageArgumentsFit, bucketNamesDiffer, roleNamesDiffer, workgroupIsNotPrimary];

export function checkRules(config: FleetConfig): ConfigIssue[] {
  return CONFIG_RULES.flatMap((rule) => rule(config));
}
