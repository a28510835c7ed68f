/*
 * The resolved `patching` model the constructs, the controller spec and the report read (pure data).
 */
import { WINDOW_DESCRIPTION_LENGTH, type PATCH_OPERATIONS, type PatchOperatingSystem, type PATCH_COMPLIANCE_LEVELS as COMPLIANCE_LEVELS, type REBOOT_OPTIONS } from "../../contract/aws-rules";
import type { TargetGroup } from "./model";

/** The environment tag value the default window targets. */
export const DEFAULT_ENVIRONMENT = "Default";
/**
 * The API limit of every maintenance window, window target and window task description (model
 * ssm/2014-11-06, shape MaintenanceWindowDescription: 1-128). The provider does not check it; the member
 * construct does.
 */
export const WINDOW_DESCRIPTION_MAX = WINDOW_DESCRIPTION_LENGTH.max;


export interface PatchFilter {
  readonly key: string;
  readonly values: readonly string[];
}

export interface ApprovalRule {
  /** Sorted by key. */
  readonly patchFilters: readonly PatchFilter[];
  readonly approveAfterDays: number;
  readonly complianceLevel: (typeof COMPLIANCE_LEVELS)[number];
  readonly enableNonSecurity?: boolean;
}

export interface PatchBaselineSpec {
  /** The config key; construct id. */
  readonly key: string;
  /** `aft-fleet-<key>`. */
  readonly name: string;
  readonly operatingSystem: PatchOperatingSystem;
  readonly description: string;
  readonly isDefault: boolean;
  /** Patch group names (environment names), sorted. */
  readonly patchGroups: readonly string[];
  readonly approvalRules: readonly ApprovalRule[];
  readonly approvedPatches: readonly string[];
  readonly approvedPatchesComplianceLevel: (typeof COMPLIANCE_LEVELS)[number];
  readonly rejectedPatches: readonly string[];
  readonly rejectedPatchesAction: "ALLOW_AS_DEPENDENCY" | "BLOCK";
}

/** One maintenance window of an environment: one per environment, or one per `weeksOfMonth` entry. */
export interface PatchWindowRun {
  /** Construct id under the environment: "" for an environment's only window, else `week2`, `last`, ... */
  readonly key: string;
  /** `aft-fleet-patching-<environment>`, with `-week<n>` / `-last` when the environment has several windows. */
  readonly name: string;
  /** A cron expression on a fixed weekday and hour (UTC). */
  readonly schedule: string;
  /** Readable schedule for descriptions, e.g. "FRI 05:00 UTC", "2nd SAT 02:00 UTC" (at most 18 characters); "" for a cron `schedule`. */
  readonly when: string;
}

export interface PatchWindowSpec {
  /** The environmentTag value these windows target (`Default` for the default window). */
  readonly environment: string;
  /** At least one; several when `weeksOfMonth` has several entries (same target, task and settings). */
  readonly runs: readonly PatchWindowRun[];
  readonly durationHours: number;
  readonly cutoffHours: number;
  readonly operation: (typeof PATCH_OPERATIONS)[number];
  readonly rebootOption: (typeof REBOOT_OPTIONS)[number];
  readonly maxConcurrency: string;
  readonly maxErrors: string;
}

export interface PatchReports {
  readonly bucketName: string;
  /** The Glue database, and the `database` of every Athena named query. */
  readonly databaseName: string;
  readonly crawlerSchedule: string;
  readonly workgroupName: string;
  readonly queryResultDays: number;
}

export interface EmergencyRing {
  readonly name: string;
  readonly targetGroup: TargetGroup;
  readonly maxConcurrency: string;
  readonly maxErrors: string;
  readonly nodeMaxConcurrency: string;
  readonly nodeMaxErrors: string;
  /** Sorted. */
  readonly alarms: readonly string[];
  readonly bakeSeconds: number;
  /** The ring spec's `resume`: a new value acknowledges a halt at the error budget. */
  readonly resume?: string;
}

export interface EmergencyPatching {
  readonly campaign: string;
  readonly operation: (typeof PATCH_OPERATIONS)[number];
  readonly rebootOption: (typeof REBOOT_OPTIONS)[number];
  readonly controllerSchedule: string;
  /** In config order: the ring order. */
  readonly rings: readonly EmergencyRing[];
}

export interface AutoScalingRing {
  readonly name: string;
  readonly targetGroup: TargetGroup;
  readonly maxConcurrency: string;
  readonly maxErrors: string;
  readonly alarms: readonly string[];
  readonly bakeSeconds: number;
  readonly resume?: string;
}

export interface AutoScalingPatching {
  readonly campaign: string;
  readonly healthyPercentage: number;
  readonly instanceProfile: string;
  readonly automationRole: string;
  readonly controllerSchedule: string;
  readonly rings: readonly AutoScalingRing[];
}

export interface Patching {
  readonly environmentTag: string;
  readonly defaultEnvironment: typeof DEFAULT_ENVIRONMENT;
  readonly optOutValue: string;
  /** Sorted by key. */
  readonly baselines: readonly PatchBaselineSpec[];
  /**
   * The default window first (only when `patching.defaultWindow` is configured), then the environments
   * sorted by name. Their environment values are what emergency patches and Auto Scaling images target.
   */
  readonly windows: readonly PatchWindowSpec[];
  /** Whether the default window (`<environmentTag>=Default`) exists. */
  readonly hasDefaultWindow: boolean;
  /**
   * `aft-fleet`: the member tree creates the AWS-GatherSoftwareInventory association (`schedule`);
   * `existing`: the nodes have one already; `none`: no inventory wanted. The resource data sync exists in every case.
   */
  readonly inventory: { readonly association: "aft-fleet" | "existing" | "none"; readonly schedule: string };
  /** The member association that tags untagged EC2 instances `<environmentTag>=Default` (only with the default window). */
  readonly tagUntagged: { readonly enabled: boolean; readonly schedule: string };
  readonly reports: PatchReports;
  /** `reports.syncTargets` resolved: target groups whose accounts get the resource data sync besides every package's. */
  readonly syncTargets: readonly TargetGroup[];
  /** Absent when `patching.emergency` is not configured. */
  readonly emergency?: EmergencyPatching;
  /** Absent when `patching.autoScaling` is not configured. */
  readonly autoScaling?: AutoScalingPatching;
}
