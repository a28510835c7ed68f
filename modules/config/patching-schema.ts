import { z } from "zod";
import {
  APPROVE_AFTER_DAYS,
  BASELINE_DESCRIPTION_LENGTH,
  type Length,
  PATCH_COMPLIANCE_LEVELS as COMPLIANCE_LEVELS,
  PATCH_FILTER_VALUE_LENGTH,
  PATCH_FILTER_VALUES_MAX,
  PATCH_ID_LENGTH,
  PATCH_IDS_MAX,
  PATCH_OPERATING_SYSTEMS,
  PATCH_OPERATIONS,
  PATCH_RULES_MAX,
  REBOOT_OPTIONS,
  REJECTED_PATCHES_ACTIONS,
  TARGET_VALUES_MAX,
  WINDOW_CUTOFF_HOURS,
  WINDOW_DURATION_HOURS,
} from "../../contract/aws-rules";
import {
  alarmsField,
  bakeField,
  bucketNameField,
  concurrencyField,
  daysField,
  errorsField,
  iamNameField,
  resumeField,
  ringNameField,
  scheduleField,
  writtenTargetTagKeyField,
} from "./fields";
import { overrideFreezesField } from "./freezes";
import { VERSION_NAME, WORKGROUP_NAME } from "../../contract/patterns";
import { FREEZE_WEEKDAYS } from "../../contract/freezes";

/*
 * The optional `patching` section as a user writes it: `PatchingSchema` validates one field at a time
 * (patching-resolve.ts checks what needs more than one field; patching-model.ts is what it returns).
 * AWS's patterns, lengths and enums come from contract/; the defaults of each field are here, once.
 */

/** Weekdays as the config spells them, Monday first: the freezes' list, one declaration for both sections. */
export const WEEKDAYS = FREEZE_WEEKDAYS;
/** Weeks of the month a window may run in: the nth weekday (cron `#n`) or the last one (cron `L`). */
export const WEEKS_OF_MONTH = [1, 2, 3, 4, "last"] as const;
export type WeekOfMonth = (typeof WEEKS_OF_MONTH)[number];
/** Defaults of the schedules the schema leaves optional (the resolver fills them in). */
export const DEFAULT_INVENTORY_SCHEDULE = "cron(0 6 * * ? *)";
export const DEFAULT_TAGGING_SCHEDULE = "cron(0 4 * * ? *)";

/** Tag values used as environment names: also window and patch group names, so a narrower set. */
const ENVIRONMENT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const BASELINE_KEY = /^[a-z][a-z0-9-]{0,62}$/;
/** Glue database names: lowercase letters, digits and `_`, which Athena reads without quoting. */
const GLUE_DATABASE = /^[a-z][a-z0-9_]{0,254}$/;
/** A campaign id is the emergency rings' "version": it follows the package versions' rule (contract VERSION_NAME). */
const CAMPAIGN = VERSION_NAME;

/** Approved or rejected patches: model ssm/2014-11-06 shapes PatchIdList (at most 50) and PatchId (1-100). */
const patchIds = () => {
  const what = `a patch id or package name (${PATCH_ID_LENGTH.min}-${PATCH_ID_LENGTH.max} characters)`;
  return z
    .array(z.string({ error: what }).regex(new RegExp(`^[^\\u0000-\\u001f]{${PATCH_ID_LENGTH.min},${PATCH_ID_LENGTH.max}}$`), { error: what }))
    .max(PATCH_IDS_MAX, { error: `at most ${PATCH_IDS_MAX} patches` })
    .default([]);
};

const hours = (what: string, { min, max }: Length) =>
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
    startHour: hours("the start hour (UTC)", { min: 0, max: 23 }).optional().describe("Hour of day (UTC) the window opens. Default 5. Not with `schedule`."),
    schedule: z
      .string({ error: "a maintenance window cron expression such as cron(0 5 ? * FRI *)" })
      .regex(/^cron\(.+\)$/, { error: "a maintenance window cron expression such as cron(0 5 ? * FRI *)" })
      .optional()
      .describe("A cron expression (UTC) instead of frequencyDays/weeksOfMonth/weekday/startHour."),
    durationHours: hours("the duration", WINDOW_DURATION_HOURS).default(6).describe("How long the window stays open (1-24 hours)."),
    cutoffHours: hours("the cutoff", WINDOW_CUTOFF_HOURS)
      .default(1)
      .describe("Hours before the window closes when no new task starts; less than durationHours."),
    operation: z.enum(PATCH_OPERATIONS, { error: "Scan or Install" }).default("Install").describe("AWS-RunPatchBaseline Operation."),
    rebootOption: z.enum(REBOOT_OPTIONS, { error: "RebootIfNeeded or NoReboot" }).default("RebootIfNeeded").describe("AWS-RunPatchBaseline RebootOption."),
    maxConcurrency: concurrencyField("Nodes patched at once in this window (the task's MaxConcurrency).", "10%"),
    maxErrors: errorsField("Failed nodes after which the task stops (its MaxErrors).", "10%"),
  })
  .describe("A maintenance window that runs AWS-RunPatchBaseline on the nodes of one environment.");

const FILTER_VALUE_TEXT = `a filter value (text, ${PATCH_FILTER_VALUE_LENGTH.min}-${PATCH_FILTER_VALUE_LENGTH.max} characters)`;
const filterValue = z
  .string({ error: FILTER_VALUE_TEXT })
  .regex(new RegExp(`^[^\\u0000-\\u001f]{${PATCH_FILTER_VALUE_LENGTH.min},${PATCH_FILTER_VALUE_LENGTH.max}}$`), { error: FILTER_VALUE_TEXT });

const ApprovalRuleSchema = z.strictObject({
  patchFilters: z
    .record(z.string().regex(/^[A-Z_]{1,32}$/, { error: "a patch filter key such as PRODUCT, CLASSIFICATION or SEVERITY" }), z.array(filterValue).min(1, { error: "at least one value" }).max(PATCH_FILTER_VALUES_MAX, { error: `at most ${PATCH_FILTER_VALUES_MAX} values (SSM PatchFilter.Values)` }))
    .describe("Filter key -> values, e.g. { CLASSIFICATION: [Security], SEVERITY: [Critical, Important] }. Keys allowed depend on the operating system."),
  approveAfterDays: daysField(APPROVE_AFTER_DAYS.min, APPROVE_AFTER_DAYS.max)
    .default(7)
    .describe("Days after release a matching patch is approved."),
  complianceLevel: z.enum(COMPLIANCE_LEVELS, { error: COMPLIANCE_LEVELS.join(", ") }).default("UNSPECIFIED"),
  enableNonSecurity: z.boolean({ error: "true or false" }).optional().describe("Linux only: also install non-security updates from the repositories."),
});

const PatchBaselineSchema = z.strictObject({
  operatingSystem: z.enum(PATCH_OPERATING_SYSTEMS, { error: `one of ${PATCH_OPERATING_SYSTEMS.join(", ")}` }),
  description: z
    .string()
    .regex(new RegExp(`^[^\\u0000-\\u001f]{${BASELINE_DESCRIPTION_LENGTH.min},${BASELINE_DESCRIPTION_LENGTH.max}}$`), { error: `a description (text, ${BASELINE_DESCRIPTION_LENGTH.min}-${BASELINE_DESCRIPTION_LENGTH.max} characters)` })
    .optional(),
  default: z.boolean({ error: "true or false" }).default(false).describe("Register as this account's default baseline for the operating system (one per OS)."),
  patchGroups: z
    .array(z.string().regex(ENVIRONMENT_NAME, { error: "an environment name (a key of patching.environments) or Default" }))
    .default([])
    .describe("Environments whose patch group (nodes tagged `Patch Group=<environment>`) uses this baseline."),
  approvalRules: z.array(ApprovalRuleSchema).max(PATCH_RULES_MAX, { error: `at most ${PATCH_RULES_MAX} approval rules` }).default([]),
  approvedPatches: patchIds(),
  approvedPatchesComplianceLevel: z.enum(COMPLIANCE_LEVELS, { error: COMPLIANCE_LEVELS.join(", ") }).default("UNSPECIFIED"),
  rejectedPatches: patchIds(),
  rejectedPatchesAction: z
    .enum(REJECTED_PATCHES_ACTIONS, { error: REJECTED_PATCHES_ACTIONS.join(" or ") })
    .default("BLOCK")
    .describe("BLOCK: a rejected patch is never installed, not even as a dependency."),
});

const PatchReportsSchema = z.strictObject({
  bucketName: bucketNameField()
    .optional()
    .describe("Central reporting bucket. Default: aft-fleet-patching-<centralAccount>-<homeRegion>."),
  databaseName: z
    .string()
    .regex(GLUE_DATABASE, { error: "a Glue database name: lowercase letters, digits and '_', starting with a letter" })
    .default("aft_fleet_inventory"),
  crawlerSchedule: scheduleField("cron(0 8 * * ? *)", true)
    .default("cron(0 8 * * ? *)")
    .describe("When the Glue crawler refreshes the tables (UTC)."),
  workgroupName: z.string().regex(WORKGROUP_NAME, { error: "an Athena workgroup name: 1-128 letters, digits, '.', '_' or '-'" }).default("aft-fleet-patching"),
  syncTargets: z
    .array(z.string({ error: "the name of a target group" }))
    .optional()
    .describe(
      "Target groups whose accounts also get the inventory resource data sync. The controller always syncs every account of every package's target groups; list groups here for accounts no package targets.",
    ),
  queryResultDays: daysField(1, 3650)
    .default(30)
    .describe("Days Athena query results are kept."),
});


const EmergencyRingSchema = z.strictObject({
  name: ringNameField(),
  targets: z.string({ error: "the name of a target group" }).describe("A key of organization.targetGroups. An account in two rings belongs to the first."),
  maxConcurrency: concurrencyField("Ring-wide: account-Region pairs patched at once.", "10%"),
  maxErrors: errorsField("Ring-wide: failed account-Region pairs after which the ring starts nothing more.", "0"),
  nodeMaxConcurrency: concurrencyField("Per account and Region: nodes patched at once (SendCommand MaxConcurrency).", "10%"),
  nodeMaxErrors: errorsField("Per account and Region: failed nodes after which the command stops (SendCommand MaxErrors).", "10%"),
  alarms: alarmsField("CloudWatch alarms (central account, home Region): any in ALARM stops this ring and keeps the next ring from starting."),
  bake: bakeField("After this ring finished the campaign, the next ring waits this long."),
  resume: resumeField(),
});

const EmergencyPatchingSchema = z
  .strictObject({
    campaign: z
      .string({ error: "a campaign id" })
      .regex(CAMPAIGN, { error: "a campaign id of 3-128 letters, digits, '_', '-' or '.', e.g. 2026-11-cve-1234" })
      .describe("Works like a version: every account and Region is patched once per campaign; a new id starts a new emergency patch."),
    operation: z.enum(PATCH_OPERATIONS, { error: "Scan or Install" }).default("Install").describe("AWS-RunPatchBaseline Operation."),
    rebootOption: z.enum(REBOOT_OPTIONS, { error: "RebootIfNeeded or NoReboot" }).default("RebootIfNeeded").describe("AWS-RunPatchBaseline RebootOption."),
    controllerSchedule: scheduleField("rate(1 hour)")
      .default("rate(1 hour)")
      .describe("How often each emergency ring's run starts (it also runs once whenever the campaign changes); later rings start once the previous ring finished."),
    overrideFreezes: overrideFreezesField(),
    rings: z.array(EmergencyRingSchema).min(1, { error: "at least one ring" }).describe("In order: a ring starts once the ring before it finished the campaign."),
  })
  .describe("An on-demand organization-wide AWS-RunPatchBaseline through the rollout controller, ring by ring.");

/** Most values of one target (model ssm/2014-11-06, shape TargetValues: at most 50). */
export const ENVIRONMENT_VALUES_MAX = TARGET_VALUES_MAX;

/** An Auto Scaling image ring: as an emergency ring, without node rate control (instance refreshes bound themselves). */
const AutoScalingRingSchema = EmergencyRingSchema.omit({ nodeMaxConcurrency: true, nodeMaxErrors: true });

const AutoScalingPatchingSchema = z
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
    instanceProfile: iamNameField("instance profile").describe("IamInstanceProfileName of AWS-UpdateLinuxAmi / AWS-UpdateWindowsAmi: a profile in every member account whose role lets SSM manage the build instance."),
    automationRole: iamNameField("role").describe("AutomationAssumeRole: a role in every member account, trusting ssm.amazonaws.com, that may run the image automation (EC2 RunInstances, CreateImage, PassRole of the instance profile's role)."),
    controllerSchedule: scheduleField("rate(1 hour)")
      .default("rate(1 hour)")
      .describe("How often each ring's run starts (it also runs once whenever the campaign changes)."),
    overrideFreezes: overrideFreezesField(),
    rings: z.array(AutoScalingRingSchema).min(1, { error: "at least one ring" }).describe("In order: a ring starts once the ring before it finished the campaign."),
  })
  .describe("Patched images for Auto Scaling groups with launch templates (environment-tagged), through the rollout controller, ring by ring.");

const InventorySchema = z.strictObject({
  enabled: z.boolean({ error: "true or false" }).default(true).describe("false: aft-fleet gathers no inventory (no association)."),
  existing: z
    .boolean({ error: "true or false" })
    .default(false)
    .describe(
      "true: the nodes already have an AWS-GatherSoftwareInventory association (Quick Setup Host Management, a Fleet Manager or Inventory setup, your own); aft-fleet creates none, and the resource data sync and reports use that one's data.",
    ),
  schedule: scheduleField(`${DEFAULT_INVENTORY_SCHEDULE} or rate(1 day)`)
    .optional()
    .describe(`When aft-fleet's inventory association runs. Default ${DEFAULT_INVENTORY_SCHEDULE}. Not with existing: true.`),
});

export const PatchingSchema = z
  .strictObject({
    environmentTag: writtenTargetTagKeyField()
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
    inventory: InventorySchema
      .default(() => InventorySchema.parse({}))
      .describe("The AWS-GatherSoftwareInventory association on every managed node of every Region (a node takes only one inventory association)."),
    tagUntagged: z
      .strictObject({
        enabled: z.boolean({ error: "true or false (true turns the tagging on)" }).describe("true: tag untagged EC2 instances <environmentTag>=Default. Needs defaultWindow."),
        schedule: scheduleField(`rate(1 day) or ${DEFAULT_TAGGING_SCHEDULE}`).default(DEFAULT_TAGGING_SCHEDULE),
      })
      .optional()
      .describe(
        "Opt-in (enabled: true, with defaultWindow): per account and Region, a State Manager association tags EC2 instances that have no <environmentTag> with <environmentTag>=Default, so the default window patches them; instances of Auto Scaling groups, EKS and ECS are left alone.",
      ),
    emergency: EmergencyPatchingSchema.optional(),
    autoScaling: AutoScalingPatchingSchema.optional(),
    reports: PatchReportsSchema.default(() => PatchReportsSchema.parse({})),
  })
  .describe("Patch management: baselines, maintenance windows per environment, inventory and central compliance reports.");

export type PatchingConfig = z.infer<typeof PatchingSchema>;
