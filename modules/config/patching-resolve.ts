/*
 * resolvePatching: a schema-valid `patching` section -> the Patching model, with every check that needs
 * more than one field (or the organization), each pushed onto `issues` with its path under `patching.`.
 */
import type { z } from "zod";
import { PATCH_FILTER_KEYS, PATCH_FILTER_VALUES, PATCH_FILTER_WILDCARD, PATCH_FILTERS_PER_GROUP_MAX, TARGETS_MAX } from "../../contract/aws-rules";
import { scheduleProblem } from "../../contract/schedule";
import type { ConfigIssue } from "./errors";
import { showValue } from "./errors";
import { durationSeconds, reportsBucketDefault } from "./fields";
import type { Organization, TargetGroup } from "./model";
import {
  DEFAULT_ENVIRONMENT,
  type ApprovalRule,
  type AutoScalingPatching,
  type AutoScalingRing,
  type EmergencyPatching,
  type EmergencyRing,
  type Patching,
  type PatchBaselineSpec,
  type PatchWindowRun,
  type PatchWindowSpec,
} from "./patching-model";
import { DEFAULT_INVENTORY_SCHEDULE, DEFAULT_TAGGING_SCHEDULE, ENVIRONMENT_VALUES_MAX, WEEKDAYS, WEEKS_OF_MONTH, type PatchingConfig, type PatchWindowSchema, type WeekOfMonth } from "./patching-schema";
import { bucketNameProblem } from "./rules/bucket-names";

const DAY_CODES = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;

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
      // PatchFilterGroup.PatchFilters takes at most 4 filters (model ssm/2014-11-06, shape PatchFilterList).
      if (filterKeys.length > PATCH_FILTERS_PER_GROUP_MAX) {
        issues.push({
          path: `${where}.approvalRules[${r}].patchFilters`,
          value: `${filterKeys.length} filters (${filterKeys.join(", ")})`,
          allowed: `at most ${PATCH_FILTERS_PER_GROUP_MAX} filters per approval rule (SSM PatchFilterGroup); split them over two rules`,
        });
      }
      for (const k of filterKeys) {
        if (!allowedKeys.includes(k)) {
          issues.push({ path: `${where}.approvalRules[${r}].patchFilters.${k}`, value: showValue(k), allowed: `a filter key ${os} supports: ${allowedKeys.join(", ")}` });
          continue;
        }
        const closed = PATCH_FILTER_VALUES[os]?.[k];
        if (closed === undefined) continue;
        rule.patchFilters[k]!.forEach((value, v) => {
          if (value !== PATCH_FILTER_WILDCARD && !closed.includes(value)) {
            issues.push({ path: `${where}.approvalRules[${r}].patchFilters.${k}[${v}]`, value: showValue(value), allowed: `a ${k} value ${os} patches have: ${[...closed, PATCH_FILTER_WILDCARD].join(", ")}` });
          }
        });
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
  const bucketName = cfg.reports.bucketName ?? reportsBucketDefault(org);
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
type GroupOf = (name: string, where: string) => TargetGroup | undefined;

/** Most SendCommand Targets entries (AND across keys): the environment tag plus the group's node tags (model ssm/2014-11-06, shape Targets). */
const COMMAND_TARGETS_MAX = TARGETS_MAX;

/** The ring fields emergency and Auto Scaling rings share (the schema's AutoScalingRingSchema is EmergencyRingSchema less node rate control). */
type CampaignRingConfig = Pick<NonNullable<PatchingConfig["emergency"]>["rings"][number], "name" | "targets" | "maxConcurrency" | "maxErrors" | "alarms" | "bake" | "resume">;
type CampaignRing = Pick<EmergencyRing, "name" | "targetGroup" | "maxConcurrency" | "maxErrors" | "alarms" | "bakeSeconds" | "resume">;

/**
 * One resolver for the campaign rings of both jobs: the controller schedule, unique ring names, the
 * target group, and the common ring fields; `each` checks and adds what one kind has besides.
 */
function resolveCampaign<R extends CampaignRingConfig, M>(
  where: string,
  section: { readonly controllerSchedule: string; readonly rings: readonly R[] },
  groupOf: GroupOf,
  issues: ConfigIssue[],
  each: (ring: R, at: string, group: TargetGroup, common: CampaignRing) => M,
): M[] {
  const scheduleIssue = scheduleProblem(section.controllerSchedule);
  if (scheduleIssue) issues.push({ path: `${where}.controllerSchedule`, value: showValue(section.controllerSchedule), allowed: `a State Manager schedule such as rate(1 hour) (${scheduleIssue})` });
  const names = new Set<string>();
  const rings: M[] = [];
  section.rings.forEach((ring, i) => {
    const at = `${where}.rings[${i}]`;
    if (names.has(ring.name)) issues.push({ path: `${at}.name`, value: showValue(ring.name), allowed: "a ring name used once (it names the ring's ledger, spec and association)" });
    names.add(ring.name);
    const group = groupOf(ring.targets, `${at}.targets`);
    if (!group) return;
    const common: CampaignRing = {
      name: ring.name,
      targetGroup: group,
      maxConcurrency: ring.maxConcurrency,
      maxErrors: ring.maxErrors,
      alarms: [...new Set(ring.alarms)].sort(),
      bakeSeconds: durationSeconds(ring.bake),
      ...(ring.resume !== undefined ? { resume: ring.resume } : {}),
    };
    rings.push(each(ring, at, group, common));
  });
  return rings;
}

function resolveAutoScaling(cfg: PatchingConfig, groupOf: GroupOf, needsNodes: NeedsNodes, issues: ConfigIssue[]): AutoScalingPatching | undefined {
  const a = cfg.autoScaling;
  if (a === undefined) return undefined;
  const rings: AutoScalingRing[] = resolveCampaign("patching.autoScaling", a, groupOf, issues, (ring, at, group, common) => {
    needsNodes("an Auto Scaling image ring selects groups", `${at}.targets`, ring.targets, group);
    return common;
  });
  return { campaign: a.campaign, healthyPercentage: a.healthyPercentage, instanceProfile: a.instanceProfile, automationRole: a.automationRole, controllerSchedule: a.controllerSchedule, rings };
}

function resolveEmergency(cfg: PatchingConfig, groupOf: GroupOf, needsNodes: NeedsNodes, issues: ConfigIssue[]): EmergencyPatching | undefined {
  const e = cfg.emergency;
  if (e === undefined) return undefined;
  const rings: EmergencyRing[] = resolveCampaign("patching.emergency", e, groupOf, issues, (ring, at, group, common) => {
    needsNodes("an emergency ring selects nodes", `${at}.targets`, ring.targets, group);
    const keys = new Set([...Object.keys(group.instanceTags), cfg.environmentTag]);
    if (keys.size > COMMAND_TARGETS_MAX) {
      issues.push({ path: `${at}.targets`, value: showValue(ring.targets), allowed: `a target group with at most ${COMMAND_TARGETS_MAX - 1} node tag keys besides ${cfg.environmentTag} (SendCommand takes at most ${COMMAND_TARGETS_MAX} targets)` });
    }
    return { ...common, nodeMaxConcurrency: ring.nodeMaxConcurrency, nodeMaxErrors: ring.nodeMaxErrors };
  });
  return { campaign: e.campaign, operation: e.operation, rebootOption: e.rebootOption, controllerSchedule: e.controllerSchedule, rings };
}
