/** Tags on everything taggable, so a resource found in any account names its origin. */
export function fleetTags(extra: Record<string, string> = {}): Record<string, string> {
  return { managed_by: "aft-fleet", ...extra };
}

/** ARN partition of a Region (`aws-us-gov` for GovCloud). */
export function partitionOf(region: string): string {
  return region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}
