import { bucketNameProblem } from "../../../contract/aws-rules";
import { showValue } from "../errors";
import type { ConfigRule } from "./types";

/** S3 general purpose bucket naming rules beyond the character set: contract/aws-rules.ts bucketNameProblem. */
export { bucketNameProblem };

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
