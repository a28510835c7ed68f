import { ATHENA_PRIMARY_WORKGROUP } from "../../../contract/aws-rules";
import { CONTROLLER_ROLE_NAME, EXECUTION_ROLE_NAME, RUNBOOK_ROLE_NAME } from "../../../contract/names";
import { ORCHESTRATION_NODE_POLICY_NAME, ORCHESTRATION_ROLE_NAME } from "../../orchestration/names";
import { showValue } from "../errors";
import type { ConfigIssue } from "../errors";
import { reportsBucketDefault, storeBucketDefault } from "../fields";
import type { ConfigRule } from "./types";

/*
 * Names that must differ within one account (or, for buckets, in all of S3). Each problem names both
 * fields, so the user sees which two collide.
 */

/**
 * S3 bucket names are global: "Bucket names must be unique across all AWS accounts in all the AWS Regions
 * within a partition" (Amazon S3 User Guide, "General purpose bucket naming rules"). The package store, the
 * reports bucket and the file-copier bucket are created by aft-fleet in the central account; the access log
 * bucket and the direct deployment's state bucket already exist. Two of them named alike either fail to
 * create (BucketAlreadyOwnedByYou) or mix a bucket aft-fleet manages with one it does not.
 */
export const bucketNamesDiffer: ConfigRule = (config) => {
  const org = config.organization;
  const named: Array<[string, string | undefined]> = [
    [config.packageStore.bucketName !== undefined ? "packageStore.bucketName" : "packageStore.bucketName (default)", config.packageStore.bucketName ?? storeBucketDefault(org)],
    ["packageStore.accessLogBucket", config.packageStore.accessLogBucket],
    ...(config.patching !== undefined
      ? [[config.patching.reports.bucketName !== undefined ? "patching.reports.bucketName" : "patching.reports.bucketName (default)", config.patching.reports.bucketName ?? reportsBucketDefault(org)] as [string, string]]
      : []),
    ["orchestration.fileCopierBucket", config.orchestration?.fileCopierBucket],
    ["deployment.direct.stateBucket", config.deployment.direct?.stateBucket],
  ];
  return differ(named, (name) => name, "bucket");
};

/**
 * IAM role and instance profile names are unique per account and "not distinguished by case" (IAM API
 * reference, CreateRole RoleName). A role or profile the config names must not be one of aft-fleet's own:
 * the execution role in every account, the controller and runbook roles, the orchestration role and node
 * policy, and the patching roles (all named aft-fleet-patching-...). aft-fleet creates the role named by
 * createInstanceProfile, so it must not be a role the config says exists either.
 */
const OWN_ROLES: Readonly<Record<string, string>> = {
  [EXECUTION_ROLE_NAME]: "the execution role every account gets (EXECUTION_ROLE_NAME)",
  [CONTROLLER_ROLE_NAME]: "the controller's role (CONTROLLER_ROLE_NAME)",
  [RUNBOOK_ROLE_NAME]: "the rollout runbook's role (RUNBOOK_ROLE_NAME)",
  [ORCHESTRATION_ROLE_NAME]: "the orchestration role every account gets",
  [ORCHESTRATION_NODE_POLICY_NAME]: "the orchestration node policy",
};
const PATCHING_ROLE_PREFIX = "aft-fleet-patching-";

/** What is wrong with a role or profile name the config gives, when it is one of aft-fleet's own. */
export function ownRoleProblem(name: string): string | undefined {
  const own = Object.keys(OWN_ROLES).find((n) => n.toLowerCase() === name.toLowerCase());
  if (own !== undefined) return `a name other than ${own}, ${OWN_ROLES[own]} (IAM names are unique per account regardless of case)`;
  if (name.toLowerCase().startsWith(PATCHING_ROLE_PREFIX)) return `a name not starting with ${PATCHING_ROLE_PREFIX} (aft-fleet's patching roles in every account)`;
  return undefined;
}

export const roleNamesDiffer: ConfigRule = (config) => {
  const issues: ConfigIssue[] = [];
  const named: Array<[string, string | undefined]> = [
    ["orchestration.instancePolicy.createInstanceProfile", config.orchestration?.instancePolicy?.createInstanceProfile],
    ["orchestration.instancePolicy.attachToRole", config.orchestration?.instancePolicy?.attachToRole],
    ["patching.autoScaling.automationRole", config.patching?.autoScaling?.automationRole],
    ["patching.autoScaling.instanceProfile", config.patching?.autoScaling?.instanceProfile],
    // The role `cdktf deploy` assumes in each member account exists before aft-fleet creates its own there.
    ["deployment.direct.memberRoleName", config.deployment.direct?.memberRoleName],
  ];
  // createInstanceProfile (named[0]) is checked where the orchestration section is resolved.
  for (const [path, name] of named.slice(1)) {
    const problem = name === undefined ? undefined : ownRoleProblem(name);
    if (problem !== undefined) issues.push({ path, value: showValue(name), allowed: problem });
  }
  issues.push(...differ([named[2]!, named[0]!], (n) => n.toLowerCase(), "role"));
  return issues;
};

/** The reports workgroup is created in the central account, which already has Athena's `primary` workgroup. */
export const workgroupIsNotPrimary: ConfigRule = (config) => {
  const name = config.patching?.reports.workgroupName;
  return name === ATHENA_PRIMARY_WORKGROUP
    ? [{ path: "patching.reports.workgroupName", value: showValue(name), allowed: `a workgroup name other than ${ATHENA_PRIMARY_WORKGROUP} (every account has Athena's primary workgroup; aft-fleet creates its own)` }]
    : [];
};

/** Problems for each later entry whose (normalized) name an earlier one has, naming both fields. */
function differ(named: ReadonlyArray<readonly [string, string | undefined]>, key: (name: string) => string, what: string): ConfigIssue[] {
  const seen = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const [path, name] of named) {
    if (name === undefined) continue;
    const other = seen.get(key(name));
    if (other !== undefined) {
      issues.push({ path: path.replace(/ \(default\)$/, ""), value: showValue(name), allowed: `a ${what} name other than the one of ${other} (two fields may not name one ${what})` });
      continue;
    }
    seen.set(key(name), path);
  }
  return issues;
}
