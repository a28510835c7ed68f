import { showValue } from "../errors";
import type { ConfigRule } from "./types";

/**
 * S3 general purpose bucket naming rules beyond the character set (Amazon S3 User Guide, "General
 * purpose bucket naming rules"): not shaped like an IP address, no reserved prefixes or suffixes.
 */
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

export function bucketNameProblem(name: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "a name not formatted as an IP address";
  if (name.includes("..")) return "a name without two adjacent dots";
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `a name not starting with the reserved prefix ${prefix}`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `a name not ending with the reserved suffix ${suffix}`;
  return undefined;
}

export const bucketNamesAreValid: ConfigRule = (config) => {
  const named: Array<[string, string | undefined]> = [
    ["packageStore.bucketName", config.packageStore.bucketName],
    ["packageStore.accessLogBucket", config.packageStore.accessLogBucket],
    ["deployment.direct.stateBucket", config.deployment.direct?.stateBucket],
  ];
  return named.flatMap(([path, name]) => {
    const problem = name === undefined ? undefined : bucketNameProblem(name);
    return problem ? [{ path, value: showValue(name), allowed: problem }] : [];
  });
};
