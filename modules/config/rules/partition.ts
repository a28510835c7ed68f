import { showValue } from "../errors";
import { partitionOf } from "../regions";
import type { ConfigRule } from "./types";

/**
 * One organization lives in one partition (aws, aws-cn, aws-us-gov): its accounts cannot reach Regions
 * of another partition, so a GovCloud or China Region next to commercial ones can never be applied.
 */
export const regionsShareOnePartition: ConfigRule = (config) => {
  const org = config.organization;
  const home = partitionOf(org.homeRegion);
  return org.workloadRegions.flatMap((region, i) =>
    partitionOf(region) === home
      ? []
      : [{ path: `organization.workloadRegions[${i}]`, value: showValue(region), allowed: `a Region of the home Region's partition (${home}); an organization cannot span partitions` }],
  );
};
