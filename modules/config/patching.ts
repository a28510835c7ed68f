import { z } from "zod";
import { concurrencyField, errorsField } from "./fields";
import { MAX_CONCURRENCY, MAX_ERRORS } from "../../contract/patterns";
import { scheduleProblem } from "../../contract/schedule";
import type { ConfigIssue } from "./errors";
import { showValue } from "./errors";
import type { Organization, TargetGroup } from "./model";
import { bucketNameProblem } from "./rules/bucket-names";

/*
 * The optional `patching` section: patch baselines per operating system, maintenance
 * windows per environment (plus the default window and the tagging of untagged nodes, both only when
 * configured), inventory and the central reports.
 * `PatchingSchema` validates one field at a time; `resolvePatching` checks what needs more than one
 * field and returns the resolved `Patching` model the constructs read.
 */

/** PatchBaseline OperatingSystem values (CreatePatchBaseline API reference). */
export const PATCH_OPERATING_SYSTEMS = [
  "WINDOWS",
  "AMAZON_LINUX",
  "AMAZON_LINUX_2",
  "AMAZON_LINUX_2022",
  "AMAZON_LINUX_2023",
  "UBUNTU",
  "REDHAT_ENTERPRISE_LINUX",
  "SUSE",
  "CENTOS",
  "ORACLE_LINUX",
  "DEBIAN",
  "MACOS",
  "RASPBIAN",
  "ROCKY_LINUX",
  "ALMA_LINUX",
] as const;
export type PatchOperatingSystem = (typeof PATCH_OPERATING_SYSTEMS)[number];

/**
 * Patch filter keys an approval rule may use per operating system ("Patch baseline filters",
 * AWS Systems Manager User Guide, and the PatchFilter API reference). Debian-family systems rank by
 * SECTION/PRIORITY, Windows by MSRC_SEVERITY, the RPM families by SEVERITY.
 */
export const PATCH_FILTER_KEYS: Readonly<Record<PatchOperatingSystem, readonly string[]>> = {
  WINDOWS: ["PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION", "MSRC_SEVERITY", "PATCH_ID"],
  AMAZON_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  AMAZON_LINUX_2: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  AMAZON_LINUX_2022: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  AMAZON_LINUX_2023: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  REDHAT_ENTERPRISE_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  CENTOS: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  ORACLE_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  ROCKY_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  ALMA_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  SUSE: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  UBUNTU: ["PRODUCT", "SECTION", "PRIORITY"],
  DEBIAN: ["PRODUCT", "SECTION", "PRIORITY"],
  RASPBIAN: ["PRODUCT", "SECTION", "PRIORITY"],
  MACOS: ["PRODUCT", "CLASSIFICATION"],
};

export const COMPLIANCE_LEVELS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"] as const;
export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export const PATCH_OPERATIONS = ["Scan", "Install"] as const;
export const REBOOT_OPTIONS = ["RebootIfNeeded", "NoReboot"] as const;
/** The environment tag value the default window targets. */
export const DEFAULT_ENVIRONMENT = "Default";
/**
 * The API limit of every maintenance window, window target and window task description
 * (CreateMaintenanceWindow, RegisterTargetWithMaintenanceWindow, RegisterTaskWithMaintenanceWindow API
 * reference: Description, length 1-128). The provider does not check it; the member construct does.
 */
export const WINDOW_DESCRIPTION_MAX = 128;
/** Weeks of the month a window may run in: the nth weekday (cron `#n`) or the last one (cron `L`). */
export const WEEKS_OF_MONTH = [1, 2, 3, 4, "last"] as const;
export type WeekOfMonth = (typeof WEEKS_OF_MONTH)[number];

/** Tag keys: 1-128 characters, not starting with the reserved `aws:` prefix. */
const TAG_KEY = /^(?![Aa][Ww][Ss]:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** Tag values used as environment names: also window and patch group names, so a narrower set. */
const ENVIRONMENT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const BASELINE_KEY = /^[a-z][a-z0-9-]{0,62}$/;
/** Patch ids in approved/rejected lists (KB ids, package names with wildcards): PatchId 1-100 characters. */
const PATCH_ID = /^[^\u0000-\u001f]{1,100}$/;
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Glue database names: lowercase letters, digits and `_`, which Athena reads without quoting. */
const GLUE_DATABASE = /^[a-z][a-z0-9_]{0,254}$/;
const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/;
/** Ring names: they name the ledger, spec key and association (as package rings do). */
const RING_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** A campaign id is the emergency rings' "version": an SSM VersionName-like id. */
const CAMPAIGN = /^[0-9A-Za-z_.-]{3,128}$/;
/** CloudWatch alarm names (PutMetricAlarm AlarmName: 1-255 characters). */
const ALARM_NAME = /^[^\u0000-\u001f]{1,255}$/;
const SCHEDULE = /^(cron|rate)\(.+\)$/;

const hours = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what}: a whole number of hours from ${min} to ${max}` })
    .int({ error: `${what}: a whole number of hours from ${min} to ${max}` })
    .min(min, { error: `${what}: a whole number of hours from ${min} to ${max}` })
    .max(max, { error: `${what}: a whole number of hours from ${min} to ${max}` });

export const PatchWindowSchema = z
  .strictObject({
    frequencyDays: z
      .literal(7, {
        error:
          "7 (every week). A window cannot run every 14-42 days on a fixed weekday and hour: cron has no every-other-week, and a rate(N days) window's start date only bounds when it may run. Twice a month: weeksOfMonth: [2, 4] (the 2nd and 4th weekday of the month); monthly: weeksOfMonth: [1], [2], [3], [4] or [last]; or a cron schedule",
      })
      .optional()
      .describe("7: every week on `weekday` at `startHour` UTC (the default). Not with `weeksOfMonth` or `schedule`."),
    weeksOfMonth: z
      .array(z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal("last")], { error: "1, 2, 3, 4 or last (the nth or last weekday of the month)" }))
      .min(1, { error: "at least one week: 1, 2, 3, 4 or last" })
      .max(4, { error: "at most 4 weeks (for every week leave weeksOfMonth out)" })
      .optional()
      .describe(
        "Run only on the nth `weekday` of the month (1-4) or the last one (last), e.g. [2, 4] for twice a month (14 days apart, then 14 or 21 days to the next month's 2nd: 14 unless the month has a fifth such weekday). One maintenance window per entry. Not with `frequencyDays` or `schedule`.",
      ),
    weekday: z.enum(WEEKDAYS, { error: WEEKDAYS.join(", ") }).optional().describe("Default Friday. Not with `schedule`."),
    startHour: hours("the start hour (UTC)", 0, 23).optional().describe("Hour of day (UTC) the window opens. Default 5. Not with `schedule`."),
    schedule: z
      .string({ error: "a maintenance window cron expression such as cron(0 5 ? * FRI *)" })
      .regex(/^cron\(.+\)$/, { error: "a maintenance window cron expression such as cron(0 5 ? * FRI *)" })
      .optional()
      .describe("A cron expression (UTC) instead of frequencyDays/weeksOfMonth/weekday/startHour."),
    durationHours: hours("the duration", 1, 24).default(6).describe("How long the window stays open (1-24 hours)."),
    cutoffHours: hours("the cutoff", 0, 23)
      .default(1)
      .describe("Hours before the window closes when no new task starts; less than durationHours."),
    operation: z.enum(PATCH_OPERATIONS, { error: "Scan or Install" }).default("Install").describe("AWS-RunPatchBaseline Operation."),
    rebootOption: z.enum(REBOOT_OPTIONS, { error: "RebootIfNeeded or NoReboot" }).default("RebootIfNeeded").describe("AWS-RunPatchBaseline RebootOption."),
    maxConcurrency: z
      .string({ error: 'a count or percentage such as "10" or "10%"' })
      .regex(MAX_CONCURRENCY, { error: 'a count (1 or more) or percentage (1%-100%) such as "10" or "10%"' })
      .default("10%")
      .describe("Nodes patched at once in this window (the task's MaxConcurrency)."),
    maxErrors: z
      .string({ error: 'a count or percentage such as "0", "5" or "10%"' })
      .regex(MAX_ERRORS, { error: 'a count (0 or more) or percentage (0%-100%) such as "0" or "10%"' })
      .default("10%")
      .describe("Failed nodes after which the task stops (its MaxErrors)."),
  })
  .describe("A maintenance window that runs AWS-RunPatchBaseline on the nodes of one environment.");

const filterValue = z
  .string({ error: "a filter value (text, 1-64 characters)" })
  .regex(/^[^\u0000-\u001f]{1,64}$/, { error: "a filter value (text, 1-64 characters)" });

export const ApprovalRuleSchema = z.strictObject({
  patchFilters: z
    .record(z.string().regex(/^[A-Z_]{1,32}$/, { error: "a patch filter key such as PRODUCT, CLASSIFICATION or SEVERITY" }), z.array(filterValue).min(1, { error: "at least one value" }).max(20, { error: "at most 20 values" }))
    .describe("Filter key -> values, e.g. { CLASSIFICATION: [Security], SEVERITY: [Critical, Important] }. Keys allowed depend on the operating system."),
  approveAfterDays: z
    .number({ error: "a whole number of days from 0 to 360" })
    .int({ error: "a whole number of days from 0 to 360" })
    .min(0, { error: "a whole number of days from 0 to 360" })
    .max(360, { error: "a whole number of days from 0 to 360" })
    .default(7)
    .describe("Days after release a matching patch is approved."),
  complianceLevel: z.enum(COMPLIANCE_LEVELS, { error: COMPLIANCE_LEVELS.join(", ") }).default("UNSPECIFIED"),
  enableNonSecurity: z.boolean({ error: "true or false" }).optional().describe("Linux only: also install non-security updates from the repositories."),
});

export const PatchBaselineSchema = z.strictObject({
  operatingSystem: z.enum(PATCH_OPERATING_SYSTEMS, { error: `one of ${PATCH_OPERATING_SYSTEMS.join(", ")}` }),
  description: z.string().regex(/^[^\u0000-\u001f]{1,1024}$/, { error: "a description (text, 1-1024 characters)" }).optional(),
  default: z.boolean({ error: "true or false" }).default(false).describe("Register as this account's default baseline for the operating system (one per OS)."),
  patchGroups: z
    .array(z.string().regex(ENVIRONMENT_NAME, { error: "an environment name (a key of patching.environments) or Default" }))
    .default([])
    .describe("Environments whose patch group (nodes tagged `Patch Group=<environment>`) uses this baseline."),
  approvalRules: z.array(ApprovalRuleSchema).max(10, { error: "at most 10 approval rules" }).default([]),
  approvedPatches: z.array(z.string().regex(PATCH_ID, { error: "a patch id or package name (1-100 characters)" })).max(50, { error: "at most 50 patches" }).default([]),
  approvedPatchesComplianceLevel: z.enum(COMPLIANCE_LEVELS, { error: COMPLIANCE_LEVELS.join(", ") }).default("UNSPECIFIED"),
  rejectedPatches: z.array(z.string().regex(PATCH_ID, { error: "a patch id or package name (1-100 characters)" })).max(50, { error: "at most 50 patches" }).default([]),
  rejectedPatchesAction: z
    .enum(["ALLOW_AS_DEPENDENCY", "BLOCK"], { error: "ALLOW_AS_DEPENDENCY or BLOCK" })
    .default("BLOCK")
    .describe("BLOCK: a rejected patch is never installed, not even as a dependency."),
});

export const PatchReportsSchema = z.strictObject({
  bucketName: z
    .string()
    .regex(BUCKET_NAME, { error: "an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'" })
    .optional()
    .describe("Central reporting bucket. Default: aft-fleet-patching-<centralAccount>-<homeRegion>."),
  databaseName: z
    .string()
    .regex(GLUE_DATABASE, { error: "a Glue database name: lowercase letters, digits and '_', starting with a letter" })
    .default("aft_fleet_inventory"),
  crawlerSchedule: z
    .string({ error: "a cron expression such as cron(0 8 * * ? *)" })
    .regex(/^cron\(.+\)$/, { error: "a cron expression such as cron(0 8 * * ? *)" })
    .default("cron(0 8 * * ? *)")
    .describe("When the Glue crawler refreshes the tables (UTC)."),
  workgroupName: z.string().regex(WORKGROUP_NAME, { error: "an Athena workgroup name: 1-128 letters, digits, '.', '_' or '-'" }).default("aft-fleet-patching"),
  syncTargets: z
    .array(z.string({ error: "the name of a target group" }))
    .optional()
    .describe(
      "Target groups whose accounts also get the inventory resource data sync. The controller always syncs every account of every package's target groups; list groups here for accounts no package targets.",
    ),
  queryResultDays: z
    .number({ error: "a whole number of days from 1 to 3650" })
    .int({ error: "a whole number of days from 1 to 3650" })
    .min(1, { error: "a whole number of days from 1 to 3650" })
    .max(3650, { error: "a whole number of days from 1 to 3650" })
    .default(30)
    .describe("Days Athena query results are kept."),
});


export const EmergencyRingSchema = z.strictObject({
  name: z.string({ error: "a ring name" }).regex(RING_NAME, { error: "a ring name: lowercase letters, digits and '-', starting with a letter" }),
  targets: z.string({ error: "the name of a target group" }).describe("A key of organization.targetGroups. An account in two rings belongs to the first."),
  maxConcurrency: concurrencyField("Ring-wide: account-Region pairs patched at once.", "10%"),
  maxErrors: errorsField("Ring-wide: failed account-Region pairs after which the ring starts nothing more.", "0"),
  nodeMaxConcurrency: concurrencyField("Per account and Region: nodes patched at once (SendCommand MaxConcurrency).", "10%"),
  nodeMaxErrors: errorsField("Per account and Region: failed nodes after which the command stops (SendCommand MaxErrors).", "10%"),
  alarms: z
    .array(z.string({ error: "a CloudWatch alarm name" }).regex(ALARM_NAME, { error: "a CloudWatch alarm name of 1-255 printable characters" }))
    .max(20, { error: "at most 20 alarms" })
    .default([])
    .describe("CloudWatch alarms (central account, home Region): any in ALARM stops this ring and keeps the next ring from starting."),
  bake: z
    .string({ error: 'a duration such as "30m", "24h" or "2d"' })
    .regex(/^(0|[1-9]\d{0,4})(m|h|d)$/, { error: 'a duration such as "30m", "24h" or "2d"' })
    .default("0h")
    .describe("After this ring finished the campaign, the next ring waits this long."),
});

export const EmergencyPatchingSchema = z
  .strictObject({
    campaign: z
      .string({ error: "a campaign id" })
      .regex(CAMPAIGN, { error: "a campaign id of 3-128 letters, digits, '_', '-' or '.', e.g. 2026-11-cve-1234" })
      .describe("Works like a version: every account and Region is patched once per campaign; a new id starts a new emergency patch."),
    operation: z.enum(PATCH_OPERATIONS, { error: "Scan or Install" }).default("Install").describe("AWS-RunPatchBaseline Operation."),
    rebootOption: z.enum(REBOOT_OPTIONS, { error: "RebootIfNeeded or NoReboot" }).default("RebootIfNeeded").describe("AWS-RunPatchBaseline RebootOption."),
    controllerSchedule: z
      .string({ error: "a State Manager schedule such as rate(1 hour)" })
      .regex(SCHEDULE, { error: "a State Manager schedule such as rate(1 hour)" })
      .default("rate(1 hour)")
      .describe("How often each emergency ring's run starts (it also runs once whenever the campaign changes); later rings start once the previous ring finished."),
    rings: z.array(EmergencyRingSchema).min(1, { error: "at least one ring" }).describe("In order: a ring starts once the ring before it finished the campaign."),
  })
  .describe("An on-demand organization-wide AWS-RunPatchBaseline through the rollout controller, ring by ring.");

/** Most values of one target (Target.Values, SendCommand / CreateAssociation API reference). */
export const ENVIRONMENT_VALUES_MAX = 50;
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/** An Auto Scaling image ring: as an emergency ring, without node rate control (instance refreshes bound themselves). */
export const AutoScalingRingSchema = EmergencyRingSchema.omit({ nodeMaxConcurrency: true, nodeMaxErrors: true });

export const AutoScalingPatchingSchema = z
  .strictObject({
    campaign: z
      .string({ error: "a campaign id" })
      .regex(CAMPAIGN, { error: "a campaign id of 3-128 letters, digits, '_', '-' or '.', e.g. 2026-11-images" })
      .describe("Works like a version: every account and Region patches its groups' images once per campaign; a new id starts a new round."),
    healthyPercentage: z
      .number({ error: "a whole number from 0 to 100" })
      .int({ error: "a whole number from 0 to 100" })
      .min(0, { error: "a whole number from 0 to 100" })
      .max(100, { error: "a whole number from 0 to 100" })
      .default(90)
      .describe("StartInstanceRefresh MinHealthyPercentage: the share of a group's capacity kept in service during the refresh."),
    instanceProfile: z
      .string({ error: "an instance profile name" })
      .regex(IAM_NAME, { error: "an IAM instance profile name of 1-64 letters, digits or +=,.@_-" })
      .describe("IamInstanceProfileName of AWS-UpdateLinuxAmi / AWS-UpdateWindowsAmi: a profile in every member account whose role lets SSM manage the build instance."),
    automationRole: z
      .string({ error: "a role name" })
      .regex(IAM_NAME, { error: "an IAM role name of 1-64 letters, digits or +=,.@_-" })
      .describe("AutomationAssumeRole: a role in every member account, trusting ssm.amazonaws.com, that may run the image automation (EC2 RunInstances, CreateImage, PassRole of the instance profile's role)."),
    controllerSchedule: z
      .string({ error: "a State Manager schedule such as rate(1 hour)" })
      .regex(SCHEDULE, { error: "a State Manager schedule such as rate(1 hour)" })
      .default("rate(1 hour)")
      .describe("How often each ring's run starts (it also runs once whenever the campaign changes)."),
    rings: z.array(AutoScalingRingSchema).min(1, { error: "at least one ring" }).describe("In order: a ring starts once the ring before it finished the campaign."),
  })
  .describe("Patched images for Auto Scaling groups with launch templates (environment-tagged), through the rollout controller, ring by ring.");

export const PatchingSchema = z
  .strictObject({
    environmentTag: z
      .string({ error: "a tag key" })
      .regex(TAG_KEY, { error: "a tag key of 1-128 characters, not starting with aws:" })
      .default("environment")
      .describe("Node tag whose value selects the maintenance window: <environment name>, Default, or the opt-out value."),
    optOutValue: z
      .string({ error: "a tag value" })
      .regex(ENVIRONMENT_NAME, { error: "a tag value: letters, digits, '_' or '-', starting with a letter" })
      .default("opt-out")
      .describe("Nodes tagged <environmentTag>=<optOutValue> (default environment=opt-out) are in no window and never patched."),
    baselines: z
      .record(z.string().regex(BASELINE_KEY, { error: "a baseline name: lowercase letters, digits and '-', starting with a letter" }), PatchBaselineSchema)
      .default({})
      .describe("Patch baselines by name (created as aft-fleet-<name> in every account and workload Region)."),
    environments: z
      .record(z.string().regex(ENVIRONMENT_NAME, { error: "an environment name: letters, digits, '_' or '-', starting with a letter" }), PatchWindowSchema)
      .default({})
      .describe("Maintenance windows by environment (the environmentTag value of their nodes), e.g. Dev, Test, Prod."),
    defaultWindow: PatchWindowSchema.optional().describe(
      "Opt-in: a window for nodes tagged <environmentTag>=Default, created only when this is set. `defaultWindow: {}` is every Friday 05:00 UTC, 6 h, cutoff 1 h, Install, RebootIfNeeded.",
    ),
    inventory: z
      .strictObject({
        enabled: z.boolean({ error: "true or false" }).default(true).describe("false: aft-fleet gathers no inventory (no association)."),
        existing: z
          .boolean({ error: "true or false" })
          .default(false)
          .describe(
            "true: the nodes already have an AWS-GatherSoftwareInventory association (Quick Setup Host Management, a Fleet Manager or Inventory setup, your own); aft-fleet creates none, and the resource data sync and reports use that one's data.",
          ),
        schedule: z
          .string({ error: "a State Manager schedule such as cron(0 6 * * ? *) or rate(1 day)" })
          .regex(/^(cron|rate)\(.+\)$/, { error: "a State Manager schedule such as cron(0 6 * * ? *) or rate(1 day)" })
          .optional()
          .describe("When aft-fleet's inventory association runs. Default cron(0 6 * * ? *). Not with existing: true."),
      })
      .default({ enabled: true, existing: false })
      .describe("The AWS-GatherSoftwareInventory association on every managed node of every Region (a node takes only one inventory association)."),
    tagUntagged: z
      .strictObject({
        enabled: z.boolean({ error: "true or false (true turns the tagging on)" }).describe("true: tag untagged EC2 instances <environmentTag>=Default. Needs defaultWindow."),
        schedule: z
          .string({ error: "a State Manager schedule such as rate(1 day) or cron(0 4 * * ? *)" })
          .regex(/^(cron|rate)\(.+\)$/, { error: "a State Manager schedule such as rate(1 day) or cron(0 4 * * ? *)" })
          .default("cron(0 4 * * ? *)"),
      })
      .optional()
      .describe(
        "Opt-in (enabled: true, with defaultWindow): per account and Region, a State Manager association tags EC2 instances that have no <environmentTag> with <environmentTag>=Default, so the default window patches them; instances of Auto Scaling groups, EKS and ECS are left alone.",
      ),
    emergency: EmergencyPatchingSchema.optional(),
    autoScaling: AutoScalingPatchingSchema.optional(),
    reports: PatchReportsSchema.default({ databaseName: "aft_fleet_inventory", crawlerSchedule: "cron(0 8 * * ? *)", workgroupName: "aft-fleet-patching", queryResultDays: 30 }),
  })
  .describe("Patch management: baselines, maintenance windows per environment, inventory and central compliance reports.");

export type PatchingConfig = z.infer<typeof PatchingSchema>;

/* ---------- the resolved model ---------- */

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

const DAY_CODES = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;
const DEFAULT_INVENTORY_SCHEDULE = "cron(0 6 * * ? *)";
const DEFAULT_TAGGING_SCHEDULE = "cron(0 4 * * ? *)";

/** Readable Terraform addresses are built from names: two names that snake-case alike would collide. */
function addressKey(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
}

const ORDINALS: Readonly<Record<WeekOfMonth, string>> = { 1: "1st", 2: "2nd", 3: "3rd", 4: "4th", last: "last" };

/**
 * Window schedules on a fixed weekday and hour. Maintenance windows take 6-field cron with `#n` (the nth
 * weekday of the month) and `L` in day-of-week, where days are 1-7 = SUN-SAT ("Reference: Cron and rate
 * expressions for Systems Manager", AWS Systems Manager User Guide: cron(0 2 ? * THU#3 *), cron(15 10 ? * 6L *)).
 * There is no every-other-week in cron, and a rate(14 days) window is not anchored: its start date only
 * bounds when it may run ("Maintenance window scheduling and active period options"). So twice a month is
 * one window per week of the month, each with its own `#n`.
 */
function resolveWindow(environment: string, w: z.infer<typeof PatchWindowSchema>, where: string, issues: ConfigIssue[]): PatchWindowSpec {
  if (w.cutoffHours >= w.durationHours) {
    issues.push({ path: `${where}.cutoffHours`, value: showValue(w.cutoffHours), allowed: `fewer hours than durationHours (${w.durationHours}): no task could start otherwise` });
  }
  const name = `aft-fleet-patching-${environment}`;
  let runs: PatchWindowRun[];
  if (w.schedule !== undefined) {
    for (const field of ["frequencyDays", "weeksOfMonth", "weekday", "startHour"] as const) {
      if (w[field] !== undefined) issues.push({ path: `${where}.${field}`, value: showValue(w[field]), allowed: "nothing when schedule is set (schedule replaces frequencyDays, weeksOfMonth, weekday and startHour)" });
    }
    const problem = scheduleProblem(w.schedule);
    if (problem) issues.push({ path: `${where}.schedule`, value: showValue(w.schedule), allowed: `a maintenance window cron expression such as cron(0 5 ? * FRI *) (${problem})` });
    runs = [{ key: "", name, schedule: w.schedule, when: "" }];
  } else {
    const weekday = w.weekday ?? "Friday";
    const hour = w.startHour ?? 5;
    const day = DAY_CODES[WEEKDAYS.indexOf(weekday)]!;
    const time = `${String(hour).padStart(2, "0")}:00 UTC`;
    if (w.weeksOfMonth === undefined) {
      runs = [{ key: "", name, schedule: `cron(0 ${hour} ? * ${day} *)`, when: `${day} ${time}` }];
    } else {
      if (w.frequencyDays !== undefined) {
        issues.push({ path: `${where}.frequencyDays`, value: showValue(w.frequencyDays), allowed: "nothing when weeksOfMonth is set (weeksOfMonth replaces frequencyDays)" });
      }
      const weeks: WeekOfMonth[] = [];
      w.weeksOfMonth.forEach((week, i) => {
        if (weeks.includes(week)) issues.push({ path: `${where}.weeksOfMonth[${i}]`, value: showValue(week), allowed: "each week once" });
        else weeks.push(week);
      });
      if (weeks.includes(4) && weeks.includes("last")) {
        issues.push({
          path: `${where}.weeksOfMonth[${w.weeksOfMonth.indexOf("last")}]`,
          value: '"last"',
          allowed: `not both 4 and last: in a month with four ${weekday}s they are the same day, and two windows would patch the same nodes at once`,
        });
      }
      const ordered = WEEKS_OF_MONTH.filter((week) => weeks.includes(week));
      // cron's numeric day-of-week: 1 = SUN ... 7 = SAT (the documented `6L` is the last Friday).
      const cronDay = ((WEEKDAYS.indexOf(weekday) + 1) % 7) + 1;
      runs = ordered.map((week) => {
        const key = week === "last" ? "last" : `week${week}`;
        return {
          key: ordered.length === 1 ? "" : key,
          name: ordered.length === 1 ? name : `${name}-${key}`,
          schedule: week === "last" ? `cron(0 ${hour} ? * ${cronDay}L *)` : `cron(0 ${hour} ? * ${day}#${week} *)`,
          when: `${ORDINALS[week]} ${day} ${time}`,
        };
      });
    }
  }
  return {
    environment,
    runs,
    durationHours: w.durationHours,
    cutoffHours: w.cutoffHours,
    operation: w.operation,
    rebootOption: w.rebootOption,
    maxConcurrency: w.maxConcurrency,
    maxErrors: w.maxErrors,
  };
}

/**
 * Resolves the `patching` section (undefined when the config has none), pushing every problem that
 * needs more than one field onto `issues` with its path under `patching.`.
 */
export function resolvePatching(
  cfg: PatchingConfig | undefined,
  org: Pick<Organization, "centralAccount" | "homeRegion"> & { readonly targetGroups?: Organization["targetGroups"] },
  issues: ConfigIssue[],
): Patching | undefined {
  if (cfg === undefined) return undefined;
  const envNames = Object.keys(cfg.environments).sort();
  const reserved = new Map<string, string>([
    [DEFAULT_ENVIRONMENT.toLowerCase(), `${DEFAULT_ENVIRONMENT} (the default window's value, reserved even without defaultWindow)`],
    [cfg.optOutValue.toLowerCase(), `${cfg.optOutValue} (patching.optOutValue)`],
  ]);
  if (cfg.optOutValue.toLowerCase() === DEFAULT_ENVIRONMENT.toLowerCase()) {
    issues.push({ path: "patching.optOutValue", value: showValue(cfg.optOutValue), allowed: `a value other than ${DEFAULT_ENVIRONMENT} (the default window targets it)` });
  }
  const seen = new Map<string, string>();
  for (const env of envNames) {
    const taken = reserved.get(env.toLowerCase());
    if (taken) issues.push({ path: `patching.environments.${env}`, value: showValue(env), allowed: `an environment name other than ${taken}` });
    const key = addressKey(env);
    const other = seen.get(key);
    if (other !== undefined) issues.push({ path: `patching.environments.${env}`, value: showValue(env), allowed: `a name that differs from ${other} in more than case and '-'/'_'` });
    seen.set(key, env);
  }
  // The environment tag's values go into one target (emergency SendCommand Targets, the Auto Scaling tag filter):
  // a target takes at most 50 values (SendCommand / CreateAssociation API reference, Target.Values "Maximum
  // number of 50 items"). One is kept for Default whether or not the default window is configured, so
  // turning it on never makes a valid config invalid.
  if (envNames.length + 1 > ENVIRONMENT_VALUES_MAX) {
    const first = envNames[ENVIRONMENT_VALUES_MAX - 1]!;
    issues.push({
      path: `patching.environments.${first}`,
      value: `${envNames.length} environments`,
      allowed: `at most ${ENVIRONMENT_VALUES_MAX - 1} environments: the ${cfg.environmentTag} tag takes at most ${ENVIRONMENT_VALUES_MAX} values per target (${DEFAULT_ENVIRONMENT} plus the environments); ${first} and the ones after it (by name) are over`,
    });
  }
  const hasDefaultWindow = cfg.defaultWindow !== undefined;
  const windows = [
    ...(cfg.defaultWindow !== undefined ? [resolveWindow(DEFAULT_ENVIRONMENT, cfg.defaultWindow, "patching.defaultWindow", issues)] : []),
    ...envNames.map((env) => resolveWindow(env, cfg.environments[env]!, `patching.environments.${env}`, issues)),
  ];
  // Each window, its target and its task are constructs of one scope, named from the environment (and the
  // week): two that read alike would collide in Terraform addresses.
  const constructs = new Map<string, string>();
  for (const w of windows) {
    const where = w.environment === DEFAULT_ENVIRONMENT ? "patching.defaultWindow" : `patching.environments.${w.environment}`;
    for (const run of w.runs) {
      const id = run.key ? `${w.environment}-${run.key}` : w.environment;
      for (const construct of [id, `${id}Target`, `${id}Task`]) {
        const key = addressKey(construct);
        const other = constructs.get(key);
        if (other !== undefined && other !== where) {
          issues.push({ path: where, value: showValue(w.environment), allowed: `an environment whose windows' Terraform names differ from those of ${other} (both make ${key})` });
        }
        constructs.set(key, where);
      }
    }
  }
  if (cfg.tagUntagged?.enabled && !hasDefaultWindow) {
    issues.push({
      path: "patching.tagUntagged.enabled",
      value: "true",
      allowed: `false unless patching.defaultWindow is configured: the runbook tags untagged nodes ${cfg.environmentTag}=${DEFAULT_ENVIRONMENT}, and only the default window patches those (add defaultWindow: {} for every Friday 05:00 UTC)`,
    });
  }
  // Emergency commands and image rings select by the windows' environment values (never "tag missing"):
  // with no window and no environment tag in the ring's group they would select nothing.
  const needsNodes: NeedsNodes = (what, at, name, group) => {
    if (windows.length > 0 || Object.prototype.hasOwnProperty.call(group.instanceTags, cfg.environmentTag)) return;
    issues.push({
      path: at,
      value: showValue(name),
      allowed: `a target group whose instanceTags name ${cfg.environmentTag}, or a patching section with defaultWindow or an environment: ${what} by the windows' ${cfg.environmentTag} values, and there are none`,
    });
  };

  const groupNames = new Set([...(hasDefaultWindow ? [DEFAULT_ENVIRONMENT] : []), ...envNames]);
  const defaults = new Map<string, string>();
  const groupOwners = new Map<string, string>();
  const baselines: PatchBaselineSpec[] = [];
  for (const key of Object.keys(cfg.baselines).sort()) {
    const b = cfg.baselines[key]!;
    const where = `patching.baselines.${key}`;
    const os = b.operatingSystem;
    if (b.default) {
      const other = defaults.get(os);
      if (other !== undefined) issues.push({ path: `${where}.default`, value: "true", allowed: `one default baseline per operating system (patching.baselines.${other} is the default for ${os})` });
      else defaults.set(os, key);
    }
    b.patchGroups.forEach((group, i) => {
      if (!groupNames.has(group)) {
        issues.push({
          path: `${where}.patchGroups[${i}]`,
          value: showValue(group),
          allowed: `${hasDefaultWindow ? `${DEFAULT_ENVIRONMENT} or ` : ""}a key of patching.environments (${envNames.join(", ") || "none defined"})${group === DEFAULT_ENVIRONMENT ? `; ${DEFAULT_ENVIRONMENT} only with patching.defaultWindow` : ""}`,
        });
        return;
      }
      const owner = `${os}/${group}`;
      const other = groupOwners.get(owner);
      if (other !== undefined && other !== key) {
        issues.push({ path: `${where}.patchGroups[${i}]`, value: showValue(group), allowed: `a patch group no other ${os} baseline has (patching.baselines.${other} has it; a patch group takes one baseline per operating system)` });
      }
      groupOwners.set(owner, key);
    });
    if (b.approvalRules.length === 0 && b.approvedPatches.length === 0) {
      issues.push({ path: `${where}.approvalRules`, value: "no rules and no approvedPatches", allowed: "at least one approval rule or approved patch (a baseline approving nothing installs nothing)" });
    }
    const allowedKeys = PATCH_FILTER_KEYS[os];
    const rules: ApprovalRule[] = b.approvalRules.map((rule, r) => {
      const filterKeys = Object.keys(rule.patchFilters).sort();
      if (filterKeys.length === 0) issues.push({ path: `${where}.approvalRules[${r}].patchFilters`, value: "no filters", allowed: `at least one of ${allowedKeys.join(", ")}` });
      for (const k of filterKeys) {
        if (!allowedKeys.includes(k)) issues.push({ path: `${where}.approvalRules[${r}].patchFilters.${k}`, value: showValue(k), allowed: `a filter key ${os} supports: ${allowedKeys.join(", ")}` });
      }
      if (rule.enableNonSecurity !== undefined && (os === "WINDOWS" || os === "MACOS")) {
        issues.push({ path: `${where}.approvalRules[${r}].enableNonSecurity`, value: showValue(rule.enableNonSecurity), allowed: "nothing: enableNonSecurity applies to Linux baselines only" });
      }
      return {
        patchFilters: filterKeys.map((k) => ({ key: k, values: [...new Set(rule.patchFilters[k]!)] })),
        approveAfterDays: rule.approveAfterDays,
        complianceLevel: rule.complianceLevel,
        ...(rule.enableNonSecurity !== undefined ? { enableNonSecurity: rule.enableNonSecurity } : {}),
      };
    });
    baselines.push({
      key,
      name: `aft-fleet-${key}`,
      operatingSystem: os,
      description: b.description ?? `aft-fleet patch baseline ${key} (${os})`,
      isDefault: b.default,
      patchGroups: [...new Set(b.patchGroups.filter((g) => groupNames.has(g)))].sort(),
      approvalRules: rules,
      approvedPatches: [...new Set(b.approvedPatches)].sort(),
      approvedPatchesComplianceLevel: b.approvedPatchesComplianceLevel,
      rejectedPatches: [...new Set(b.rejectedPatches)].sort(),
      rejectedPatchesAction: b.rejectedPatchesAction,
    });
  }

  const inventorySchedule = cfg.inventory.schedule ?? DEFAULT_INVENTORY_SCHEDULE;
  const inventoryProblem = scheduleProblem(inventorySchedule);
  if (inventoryProblem) issues.push({ path: "patching.inventory.schedule", value: showValue(inventorySchedule), allowed: `a State Manager schedule such as cron(0 6 * * ? *) (${inventoryProblem})` });
  if (cfg.inventory.existing && cfg.inventory.schedule !== undefined) {
    issues.push({ path: "patching.inventory.schedule", value: showValue(cfg.inventory.schedule), allowed: "nothing when inventory.existing is true (the existing inventory association keeps its own schedule)" });
  }
  const tagUntagged = { enabled: cfg.tagUntagged?.enabled === true && hasDefaultWindow, schedule: cfg.tagUntagged?.schedule ?? DEFAULT_TAGGING_SCHEDULE };
  const taggingProblem = scheduleProblem(tagUntagged.schedule);
  if (taggingProblem) issues.push({ path: "patching.tagUntagged.schedule", value: showValue(tagUntagged.schedule), allowed: `a State Manager schedule such as cron(0 4 * * ? *) (${taggingProblem})` });
  const crawlerProblem = scheduleProblem(cfg.reports.crawlerSchedule);
  if (crawlerProblem) issues.push({ path: "patching.reports.crawlerSchedule", value: showValue(cfg.reports.crawlerSchedule), allowed: `a cron expression such as cron(0 8 * * ? *) (${crawlerProblem})` });
  const bucketName = cfg.reports.bucketName ?? `aft-fleet-patching-${org.centralAccount}-${org.homeRegion}`;
  const bucketProblem = bucketNameProblem(bucketName);
  if (bucketProblem) issues.push({ path: "patching.reports.bucketName", value: showValue(bucketName), allowed: bucketProblem });

  const groups = org.targetGroups ?? {};
  const groupOf = (name: string, where: string): TargetGroup | undefined => {
    const group = Object.prototype.hasOwnProperty.call(groups, name) ? groups[name] : undefined;
    if (group === undefined) {
      const known = Object.keys(groups);
      issues.push({ path: where, value: showValue(name), allowed: known.length ? `a target group: ${known.join(", ")}` : "a target group defined in organization.targetGroups" });
    }
    return group;
  };
  const syncTargets: TargetGroup[] = [];
  (cfg.reports.syncTargets ?? []).forEach((name, i) => {
    const group = groupOf(name, `patching.reports.syncTargets[${i}]`);
    if (group && !syncTargets.includes(group)) syncTargets.push(group);
  });
  const emergency = resolveEmergency(cfg, groupOf, needsNodes, issues);
  const autoScaling = resolveAutoScaling(cfg, groupOf, needsNodes, issues);

  return {
    environmentTag: cfg.environmentTag,
    defaultEnvironment: DEFAULT_ENVIRONMENT,
    optOutValue: cfg.optOutValue,
    baselines,
    windows,
    hasDefaultWindow,
    inventory: { association: cfg.inventory.existing ? "existing" : cfg.inventory.enabled ? "aft-fleet" : "none", schedule: inventorySchedule },
    tagUntagged,
    reports: {
      bucketName,
      databaseName: cfg.reports.databaseName,
      crawlerSchedule: cfg.reports.crawlerSchedule,
      workgroupName: cfg.reports.workgroupName,
      queryResultDays: cfg.reports.queryResultDays,
    },
    syncTargets,
    ...(emergency ? { emergency } : {}),
    ...(autoScaling ? { autoScaling } : {}),
  };
}

type NeedsNodes = (what: string, at: string, name: string, group: TargetGroup) => void;

function resolveAutoScaling(cfg: PatchingConfig, groupOf: (name: string, where: string) => TargetGroup | undefined, needsNodes: NeedsNodes, issues: ConfigIssue[]): AutoScalingPatching | undefined {
  const a = cfg.autoScaling;
  if (a === undefined) return undefined;
  const scheduleIssue = scheduleProblem(a.controllerSchedule);
  if (scheduleIssue) issues.push({ path: "patching.autoScaling.controllerSchedule", value: showValue(a.controllerSchedule), allowed: `a State Manager schedule such as rate(1 hour) (${scheduleIssue})` });
  const names = new Set<string>();
  const rings: AutoScalingRing[] = [];
  a.rings.forEach((ring, i) => {
    const at = `patching.autoScaling.rings[${i}]`;
    if (names.has(ring.name)) issues.push({ path: `${at}.name`, value: showValue(ring.name), allowed: "a ring name used once (it names the ring's ledger, spec and association)" });
    names.add(ring.name);
    const group = groupOf(ring.targets, `${at}.targets`);
    if (!group) return;
    needsNodes("an Auto Scaling image ring selects groups", `${at}.targets`, ring.targets, group);
    rings.push({ name: ring.name, targetGroup: group, maxConcurrency: ring.maxConcurrency, maxErrors: ring.maxErrors, alarms: [...new Set(ring.alarms)].sort(), bakeSeconds: durationSeconds(ring.bake) });
  });
  return { campaign: a.campaign, healthyPercentage: a.healthyPercentage, instanceProfile: a.instanceProfile, automationRole: a.automationRole, controllerSchedule: a.controllerSchedule, rings };
}

/** Most SendCommand Targets entries (AND across keys): the environment tag plus the group's node tags. */
const COMMAND_TARGETS_MAX = 5;

function resolveEmergency(cfg: PatchingConfig, groupOf: (name: string, where: string) => TargetGroup | undefined, needsNodes: NeedsNodes, issues: ConfigIssue[]): EmergencyPatching | undefined {
  const e = cfg.emergency;
  if (e === undefined) return undefined;
  const scheduleIssue = scheduleProblem(e.controllerSchedule);
  if (scheduleIssue) issues.push({ path: "patching.emergency.controllerSchedule", value: showValue(e.controllerSchedule), allowed: `a State Manager schedule such as rate(1 hour) (${scheduleIssue})` });
  const names = new Set<string>();
  const rings: EmergencyRing[] = [];
  e.rings.forEach((ring, i) => {
    const at = `patching.emergency.rings[${i}]`;
    if (names.has(ring.name)) issues.push({ path: `${at}.name`, value: showValue(ring.name), allowed: "a ring name used once (it names the ring's ledger, spec and association)" });
    names.add(ring.name);
    const group = groupOf(ring.targets, `${at}.targets`);
    if (!group) return;
    needsNodes("an emergency ring selects nodes", `${at}.targets`, ring.targets, group);
    const keys = new Set([...Object.keys(group.instanceTags), cfg.environmentTag]);
    if (keys.size > COMMAND_TARGETS_MAX) {
      issues.push({ path: `${at}.targets`, value: showValue(ring.targets), allowed: `a target group with at most ${COMMAND_TARGETS_MAX - 1} node tag keys besides ${cfg.environmentTag} (SendCommand takes at most ${COMMAND_TARGETS_MAX} targets)` });
    }
    rings.push({
      name: ring.name,
      targetGroup: group,
      maxConcurrency: ring.maxConcurrency,
      maxErrors: ring.maxErrors,
      nodeMaxConcurrency: ring.nodeMaxConcurrency,
      nodeMaxErrors: ring.nodeMaxErrors,
      alarms: [...new Set(ring.alarms)].sort(),
      bakeSeconds: durationSeconds(ring.bake),
    });
  });
  return { campaign: e.campaign, operation: e.operation, rebootOption: e.rebootOption, controllerSchedule: e.controllerSchedule, rings };
}

/** "30m" / "24h" / "2d" -> seconds. */
function durationSeconds(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = text.slice(-1);
  return n * (unit === "m" ? 60 : unit === "h" ? 3600 : 86400);
}
