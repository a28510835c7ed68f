/*
 * Names that cross stacks, accounts and the build/run boundary: the constructs in modules/ emit them,
 * the controller in lambdas/ calls AWS with them. Both sides import them from here, never retype them.
 */

/** Role in every account (global customization) that the central controller assumes. */
export const EXECUTION_ROLE_NAME = "aft-fleet-execution";
/** The controller Lambda's own role in the central account; the only principal member roles trust. */
export const CONTROLLER_ROLE_NAME = "aft-fleet-controller";
/** The controller Lambda function (central account, home Region). */
export const CONTROLLER_FUNCTION_NAME = "aft-fleet-rollout-controller";
/** Role that State Manager's Automation assumes to run the ring runbook (it only invokes the controller). */
export const RUNBOOK_ROLE_NAME = "aft-fleet-rollout-runbook";
/** The central runbook one association per package ring runs: plan -> apply passes -> summarize. */
export const RUNBOOK_NAME = "aft-fleet-RolloutRing";

/**
 * Package store key prefixes. Package versions live under `packages/<package>/<version>/`
 * (PACKAGE_STORE_PREFIX), the only prefix the organization may read: one prefix for every package lets the
 * member role, the bucket policy and the controller role grant `packages/*` whatever the packages are (a new
 * package changes no policy). Package names share no key space with the private prefixes below, so no
 * package name is reserved by them.
 */
export const PACKAGE_STORE_PREFIX = "packages";
export const LEDGER_PREFIX = "ledger";
export const ROLLOUT_PREFIX = "rollouts";
export const RING_SPEC_PREFIX = "controller";

/** CloudWatch namespace and metric the controller publishes per run. */
export const METRIC_NAMESPACE = "AftFleet";
export const FAILED_TARGETS_METRIC = "FailedTargets";

/** The member association that keeps a package installed: one per package in every account and Region. */
export function associationNameOf(packageName: string): string {
  return `aft-fleet-${packageName}`;
}

/**
 * The member's Package document of a package: `aft-fleet-<package>`. One prefix for every document aft-fleet
 * owns lets the execution role grant `document/aft-fleet-*` whatever the packages are (a new package
 * changes no member tree). SSM document names: 3-128 of [a-zA-Z0-9_.-] (CreateDocument, Name).
 */
export function packageDocumentNameOf(packageName: string): string {
  return `aft-fleet-${packageName}`;
}

/** `ledger/<package>/<ring>.json`: the ring's account x Region state. */
export function ledgerKey(packageName: string, ring: string): string {
  return `${LEDGER_PREFIX}/${packageName}/${ring}.json`;
}

/** `controller/<package>/<ring>.json`: the ring spec Terraform uploads and the controller reads. */
export function ringSpecKey(packageName: string, ring: string): string {
  return `${RING_SPEC_PREFIX}/${packageName}/${ring}.json`;
}

/** `rollouts/<runId>/<file>`: one run's plan, progress journal and summary. */
export function runObjectKey(runId: string, file: string): string {
  return `${ROLLOUT_PREFIX}/${runId}/${file}`;
}

/** `packages/<package>/<version>/`: a version's zips and manifest.json in the store (the only source of these keys). */
export function versionPrefix(packageName: string, version: string): string {
  return `${PACKAGE_STORE_PREFIX}/${packageName}/${version}/`;
}

/** `s3://<bucket>/packages/<package>/<version>`: the SourceUrl CreateDocument copies a version's attachments from (never a `//`). */
export function sourceUrlOf(bucket: string, packageName: string, version: string): string {
  return `s3://${bucket}/${versionPrefix(packageName, version).replace(/\/$/, "")}`;
}

/** `aft-fleet-rollout-<package>-<ring>`: the central association of one ring (AssociationName: at most 128). */
export function ringAssociationNameOf(packageName: string, ring: string): string {
  return `aft-fleet-rollout-${packageName}-${ring}`;
}

/**
 * The controller's own jobs use ring spec, ledger and association names like packages do, under names a
 * package cannot take (package names starting with `_` are refused by the config).
 */
export const EMERGENCY_JOB = "_emergency";
export const INVENTORY_JOB = "_inventory";
/** The Auto Scaling patched-image job (kind asg-image). */
export const ASG_IMAGE_JOB = "_asg-image";
/** The AWS-owned Automation runbooks that patch a copy of an AMI (AWS Systems Manager User Guide, "AWS-UpdateLinuxAmi", "AWS-UpdateWindowsAmi"). */
export const UPDATE_LINUX_AMI_DOCUMENT = "AWS-UpdateLinuxAmi";
export const UPDATE_WINDOWS_AMI_DOCUMENT = "AWS-UpdateWindowsAmi";
/** The inventory job's one ring. */
export const INVENTORY_RING = "sync";
/** The member's resource data sync to the central reports bucket (one per account and Region). */
export const INVENTORY_SYNC_NAME = "aft-fleet-inventory";
/** The document emergency patching sends. */
export const RUN_PATCH_BASELINE_DOCUMENT = "AWS-RunPatchBaseline";
