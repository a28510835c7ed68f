/*
 * Patch management: the `patching` config section and its resolution, the member
 * constructs (baselines, windows, targets, tasks, inventory) and the central reporting constructs.
 */
import { Testing } from "cdktf";
import * as os from "node:os";
import { CentralStack } from "../account-customizations/central";
import { GlobalStack } from "../global-customizations/global";
import { DEFAULT_CONFIG, resolveConfig } from "../modules/config";
import { FleetStack } from "../modules/core/fleet-stack";
import type { ConfigIssue } from "../modules/config/errors";
import { Patching, PatchingSchema, resolvePatching } from "../modules/config/patching";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { CRAWLER_CONFIGURATION, INVENTORY_PARTITION_KEYS, INVENTORY_TABLES, MAINTENANCE_WINDOW_ROLE_NAME, NAMED_QUERIES, PatchingMember, PatchingReporting, TAGGER_ROLE_NAME } from "../modules/patching";
import { emergencyNodeTargetsOf } from "../modules/controller/spec";
import { AWS_REGIONS } from "../modules/config/regions";
import { OPT_IN_REGIONS, syncWriterPrincipals } from "../modules/patching/reporting";
import { scheduleProblem } from "../contract/schedule";

const org = { centralAccount: "222222222222", homeRegion: "us-east-1" };

function resolve(raw: unknown): { patching?: Patching; issues: ConfigIssue[] } {
  const parsed = PatchingSchema.safeParse(raw);
  if (!parsed.success) {
    return { issues: parsed.error.issues.map((i) => ({ path: ["patching", ...i.path].join("."), allowed: i.message })) };
  }
  const issues: ConfigIssue[] = [];
  const patching = resolvePatching(parsed.data, org, issues);
  return { ...(patching ? { patching } : {}), issues };
}

const good = {
  baselines: {
    al2: {
      operatingSystem: "AMAZON_LINUX_2",
      default: true,
      patchGroups: ["Dev", "Prod"],
      approvalRules: [{ patchFilters: { SEVERITY: ["Critical", "Important"], CLASSIFICATION: ["Security", "Bugfix"] }, approveAfterDays: 7, complianceLevel: "CRITICAL" }],
      rejectedPatches: ["kernel-debug*"],
    },
    windows: {
      operatingSystem: "WINDOWS",
      default: true,
      approvalRules: [{ patchFilters: { MSRC_SEVERITY: ["Critical", "Important"], CLASSIFICATION: ["SecurityUpdates", "CriticalUpdates"] }, approveAfterDays: 3 }],
    },
    ubuntu: {
      operatingSystem: "UBUNTU",
      approvalRules: [{ patchFilters: { PRIORITY: ["Required", "Important"], SECTION: ["All"] }, approveAfterDays: 0 }],
    },
  },
  environments: {
    Dev: { frequencyDays: 7, weekday: "Tuesday", startHour: 22, durationHours: 4, cutoffHours: 1, operation: "Install", rebootOption: "RebootIfNeeded" },
    Prod: { weeksOfMonth: [4, 2], weekday: "Sunday", startHour: 2, durationHours: 3, cutoffHours: 1, operation: "Install", rebootOption: "NoReboot", maxConcurrency: "5", maxErrors: "1" },
    Test: { schedule: "cron(30 1 ? * WED#2 *)", operation: "Scan" },
  },
};
/** `good` with the two opt-ins: the default window and the tagging of untagged nodes into it. */
const withDefault = { ...good, defaultWindow: {}, tagUntagged: { enabled: true } };

function resolved(raw: unknown = good): Patching {
  const { patching, issues } = resolve(raw);
  expect(issues).toEqual([]);
  return patching!;
}

function synthMember(patching: Patching, regions = ["us-east-1", "eu-west-1"]): any {
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = new FleetStack(app, "global", { homeRegion: "us-east-1", mode: "aft" });
  new PatchingMember(stack, "Patching", { patching, regions, homeRegion: "us-east-1" });
  return JSON.parse(Testing.synth(stack));
}

function synthReporting(patching: Patching, syncRegions?: readonly string[]): any {
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = new FleetStack(app, "central", { homeRegion: "us-east-1", mode: "aft" });
  new PatchingReporting(stack, "PatchingReports", { reports: patching.reports, organizationId: "o-a1b2c3d4e5", accountId: "222222222222", region: "us-east-1", ...(syncRegions ? { syncRegions } : {}) });
  return JSON.parse(Testing.synth(stack));
}

describe("patching config", () => {
  it("resolves defaults: no window, no tagging, aft-fleet's inventory association; environment=opt-out", () => {
    const p = resolved({});
    expect(p.environmentTag).toBe("environment");
    expect(p.optOutValue).toBe("opt-out");
    expect(p.windows).toEqual([]);
    expect(p.hasDefaultWindow).toBe(false);
    expect(p.tagUntagged).toEqual({ enabled: false, schedule: "cron(0 4 * * ? *)" });
    expect(resolved({ tagUntagged: { enabled: false } }).tagUntagged.enabled).toBe(false);
    expect(p.inventory).toEqual({ association: "aft-fleet", schedule: "cron(0 6 * * ? *)" });
    expect(p.reports).toEqual({
      bucketName: "aft-fleet-patching-222222222222-us-east-1",
      databaseName: "aft_fleet_inventory",
      crawlerSchedule: "cron(0 8 * * ? *)",
      workgroupName: "aft-fleet-patching",
      queryResultDays: 30,
    });
  });

  it("makes the default window only when defaultWindow is set: {} is Friday 05:00 UTC, 6 h, cutoff 1 h, Install, RebootIfNeeded", () => {
    const p = resolved({ defaultWindow: {} });
    expect(p.hasDefaultWindow).toBe(true);
    expect(p.windows).toEqual([
      {
        environment: "Default",
        runs: [{ key: "", name: "aft-fleet-patching-Default", schedule: "cron(0 5 ? * FRI *)", when: "FRI 05:00 UTC" }],
        durationHours: 6,
        cutoffHours: 1,
        operation: "Install",
        rebootOption: "RebootIfNeeded",
        maxConcurrency: "10%",
        maxErrors: "10%",
      },
    ]);
    expect(resolved(withDefault).tagUntagged).toEqual({ enabled: true, schedule: "cron(0 4 * * ? *)" });
  });

  it("turns weekday, hour and weeks of the month into cron schedules on that weekday and hour, one window per week", () => {
    const byEnv = Object.fromEntries(resolved().windows.map((w) => [w.environment, w]));
    expect(byEnv.Dev).toMatchObject({ runs: [{ key: "", name: "aft-fleet-patching-Dev", schedule: "cron(0 22 ? * TUE *)" }], durationHours: 4, cutoffHours: 1 });
    expect(byEnv.Prod!.runs).toEqual([
      { key: "week2", name: "aft-fleet-patching-Prod-week2", schedule: "cron(0 2 ? * SUN#2 *)", when: "2nd SUN 02:00 UTC" },
      { key: "week4", name: "aft-fleet-patching-Prod-week4", schedule: "cron(0 2 ? * SUN#4 *)", when: "4th SUN 02:00 UTC" },
    ]);
    expect(byEnv.Prod).toMatchObject({ rebootOption: "NoReboot", maxConcurrency: "5", maxErrors: "1" });
    expect(byEnv.Test).toMatchObject({ runs: [{ schedule: "cron(30 1 ? * WED#2 *)" }], operation: "Scan", durationHours: 6, cutoffHours: 1 });
    expect(resolved().windows.map((w) => w.environment)).toEqual(["Dev", "Prod", "Test"]);
    expect(resolved(withDefault).windows.map((w) => w.environment)).toEqual(["Default", "Dev", "Prod", "Test"]);
    // One entry keeps the environment's one window name; `last` is day-of-week `<n>L` (1 = SUN ... 7 = SAT).
    const monthly = resolved({ environments: { Ops: { weeksOfMonth: ["last"], weekday: "Friday", startHour: 23 }, Qa: { weeksOfMonth: [1] } } }).windows;
    expect(monthly.map((w) => w.runs)).toEqual([
      [{ key: "", name: "aft-fleet-patching-Ops", schedule: "cron(0 23 ? * 6L *)", when: "last FRI 23:00 UTC" }],
      [{ key: "", name: "aft-fleet-patching-Qa", schedule: "cron(0 5 ? * FRI#1 *)", when: "1st FRI 05:00 UTC" }],
    ]);
  });

  it("anchors every generated window to its weekday and hour: the runs of a year, read as SSM defines the cron fields", () => {
    const schedulesOf = (raw: unknown) => resolved(raw).windows.flatMap((w) => w.runs.map((r) => r.schedule));
    const weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
    for (const [i, weekday] of weekdays.entries()) {
      const schedules = schedulesOf({ environments: { Twice: { weeksOfMonth: [2, 4], weekday, startHour: 2 }, Last: { weeksOfMonth: ["last"], weekday, startHour: 21 }, Weekly: { weekday, startHour: 7 } } });
      for (const schedule of schedules) expect({ schedule, problem: scheduleProblem(schedule) }).toEqual({ schedule, problem: undefined });
      const jsDay = (i + 1) % 7; // Date#getUTCDay: 0 = Sunday
      const [last, twiceA, twiceB, weekly] = schedules.map((c) => cronRuns(c, 2026));
      const twice = [...twiceA!, ...twiceB!].sort((a, b) => a.getTime() - b.getTime());
      for (const d of [...twice, ...last!, ...weekly!]) expect(d.getUTCDay()).toBe(jsDay);
      for (const d of twice) expect(d.getUTCHours()).toBe(2);
      expect(twice).toHaveLength(24);
      expect(last).toHaveLength(12);
      expect(weekly!.length).toBeGreaterThanOrEqual(52);
      // Within a month the 2nd and 4th are 14 days apart; from a 4th to the next month's 2nd, 14 days, or 21
      // after a month with a fifth such weekday: close to fortnightly, never drifting off the weekday and hour.
      const gaps = twice.slice(1).map((d, k) => (d.getTime() - twice[k]!.getTime()) / 86_400_000);
      expect(new Set(gaps.filter((_, k) => k % 2 === 0))).toEqual(new Set([14]));
      expect(new Set(gaps.filter((_, k) => k % 2 === 1))).toEqual(new Set([14, 21]));
      for (const d of last!) expect(new Date(d.getTime() + 7 * 86_400_000).getUTCMonth()).not.toBe(d.getUTCMonth());
    }
  });

  it("refuses every 14-42 days (no anchored form exists) and names the twice-a-month form instead", () => {
    for (const days of [14, 21, 28, 35, 42]) {
      const { issues } = resolve({ environments: { Prod: { frequencyDays: days, weekday: "Saturday" } } });
      expect(issues).toEqual([{ path: "patching.environments.Prod.frequencyDays", allowed: expect.stringMatching(/^7 \(every week\).*weeksOfMonth: \[2, 4\]/) }]);
    }
    expect(resolved({ environments: { Prod: { frequencyDays: 7 } } }).windows[0]!.runs[0]!.schedule).toBe("cron(0 5 ? * FRI *)");
  });

  it("sorts patch filters by key and keeps approval rules per OS", () => {
    const al2 = resolved().baselines.find((b) => b.key === "al2")!;
    expect(al2).toMatchObject({ name: "aft-fleet-al2", operatingSystem: "AMAZON_LINUX_2", isDefault: true, patchGroups: ["Dev", "Prod"] });
    expect(al2.approvalRules[0]!.patchFilters.map((f) => f.key)).toEqual(["CLASSIFICATION", "SEVERITY"]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ["cutoff not below duration", { defaultWindow: { durationHours: 2, cutoffHours: 2 } }, "patching.defaultWindow.cutoffHours", /fewer hours than durationHours \(2\)/],
    ["an invalid cron", { environments: { Prod: { schedule: "cron(0 25 ? * FRI *)" } } }, "patching.environments.Prod.schedule", /hours/],
    ["a cron with both ?-less day fields", { environments: { Prod: { schedule: "cron(0 5 * * FRI *)" } } }, "patching.environments.Prod.schedule", /exactly one of day-of-month and day-of-week/],
    ["schedule together with weekday", { environments: { Prod: { schedule: "cron(0 5 ? * FRI *)", weekday: "Monday" } } }, "patching.environments.Prod.weekday", /nothing when schedule is set/],
    [
      "a filter key the OS does not support",
      { baselines: { u: { operatingSystem: "UBUNTU", approvalRules: [{ patchFilters: { SEVERITY: ["Critical"] } }] } } },
      "patching.baselines.u.approvalRules[0].patchFilters.SEVERITY",
      /UBUNTU supports: PRODUCT, SECTION, PRIORITY/,
    ],
    [
      "MSRC_SEVERITY on Linux",
      { baselines: { rh: { operatingSystem: "REDHAT_ENTERPRISE_LINUX", approvalRules: [{ patchFilters: { MSRC_SEVERITY: ["Critical"] } }] } } },
      "patching.baselines.rh.approvalRules[0].patchFilters.MSRC_SEVERITY",
      /PRODUCT, CLASSIFICATION, SEVERITY/,
    ],
    [
      "two default baselines for one OS",
      {
        baselines: {
          a: { operatingSystem: "WINDOWS", default: true, approvedPatches: ["KB1"] },
          b: { operatingSystem: "WINDOWS", default: true, approvedPatches: ["KB2"] },
        },
      },
      "patching.baselines.b.default",
      /one default baseline per operating system \(patching.baselines.a/,
    ],
    ["a patch group that is no environment", { defaultWindow: {}, baselines: { a: { operatingSystem: "WINDOWS", approvedPatches: ["KB1"], patchGroups: ["Qa"] } } }, "patching.baselines.a.patchGroups[0]", /Default or a key of patching.environments/],
    ["the Default patch group without the default window", { baselines: { a: { operatingSystem: "WINDOWS", approvedPatches: ["KB1"], patchGroups: ["Default"] } } }, "patching.baselines.a.patchGroups[0]", /^a key of patching.environments \(none defined\); Default only with patching.defaultWindow$/],
    ["tagging untagged nodes without the default window", { ...good, tagUntagged: { enabled: true } }, "patching.tagUntagged.enabled", /false unless patching.defaultWindow is configured.*environment=Default/],
    ["tagUntagged without enabled", { defaultWindow: {}, tagUntagged: { schedule: "rate(1 day)" } }, "patching.tagUntagged.enabled", /true or false/],
    ["an inventory schedule for an existing inventory association", { inventory: { existing: true, schedule: "rate(1 day)" } }, "patching.inventory.schedule", /nothing when inventory.existing is true/],
    ["weeksOfMonth with frequencyDays", { environments: { Prod: { weeksOfMonth: [2, 4], frequencyDays: 7 } } }, "patching.environments.Prod.frequencyDays", /nothing when weeksOfMonth is set/],
    ["weeksOfMonth with schedule", { environments: { Prod: { weeksOfMonth: [2], schedule: "cron(0 5 ? * FRI *)" } } }, "patching.environments.Prod.weeksOfMonth", /nothing when schedule is set/],
    ["a week of the month twice", { environments: { Prod: { weeksOfMonth: [2, 2] } } }, "patching.environments.Prod.weeksOfMonth[1]", /each week once/],
    ["week 4 and the last week", { environments: { Prod: { weeksOfMonth: [4, "last"], weekday: "Monday" } } }, "patching.environments.Prod.weeksOfMonth[1]", /four Mondays they are the same day/],
    ["a fifth week", { environments: { Prod: { weeksOfMonth: [5] } } }, "patching.environments.Prod.weeksOfMonth.0", /1, 2, 3, 4 or last/],
    ["environments whose window names collide", { environments: { "Prod-week2": {}, Prod: { weeksOfMonth: [2, 4] } } }, "patching.environments.Prod-week2", /prod_week2/],
    [
      "two baselines of one OS in one patch group",
      {
        defaultWindow: {},
        baselines: {
          a: { operatingSystem: "WINDOWS", approvedPatches: ["KB1"], patchGroups: ["Default"] },
          b: { operatingSystem: "WINDOWS", approvedPatches: ["KB2"], patchGroups: ["Default"] },
        },
      },
      "patching.baselines.b.patchGroups[0]",
      /one baseline per operating system/,
    ],
    ["a baseline approving nothing", { baselines: { a: { operatingSystem: "WINDOWS" } } }, "patching.baselines.a.approvalRules", /at least one approval rule/],
    ["enableNonSecurity on Windows", { baselines: { a: { operatingSystem: "WINDOWS", approvalRules: [{ patchFilters: { CLASSIFICATION: ["x"] }, enableNonSecurity: true }] } } }, "patching.baselines.a.approvalRules[0].enableNonSecurity", /Linux baselines only/],
    ["an environment named like the opt-out value", { environments: { "opt-out": {} } }, "patching.environments.opt-out", /other than opt-out/],
    ["an environment named Default", { environments: { default: {} } }, "patching.environments.default", /other than Default/],
    ["a bad inventory schedule", { inventory: { schedule: "rate(5 minutes)" } }, "patching.inventory.schedule", /at least 30 minutes/],
    ["a reserved bucket name", { reports: { bucketName: "xn--patch" } }, "patching.reports.bucketName", /./],
    ["a reserved bucket suffix", { reports: { bucketName: "patch-reports-s3alias" } }, "patching.reports.bucketName", /reserved suffix/],
    ["a frequency other than weekly", { environments: { Prod: { frequencyDays: 10 } } }, "patching.environments.Prod.frequencyDays", /^7 \(every week\)/],
    ["approveAfterDays above 360", { baselines: { a: { operatingSystem: "WINDOWS", approvalRules: [{ patchFilters: { CLASSIFICATION: ["x"] }, approveAfterDays: 361 }] } } }, "patching.baselines.a.approvalRules.0.approveAfterDays", /0 to 360/],
    ["an unknown operating system", { baselines: { a: { operatingSystem: "WINDOWS_2019" } } }, "patching.baselines.a.operatingSystem", /one of WINDOWS/],
    ["a start hour of 24", { defaultWindow: { startHour: 24 } }, "patching.defaultWindow.startHour", /0 to 23/],
    ["a duration of 25", { defaultWindow: { durationHours: 25 } }, "patching.defaultWindow.durationHours", /1 to 24/],
    ["an unknown key", { defaultWindow: { duration: 3 } }, "patching.defaultWindow", /./],
    ["a Glue database name Athena would need to quote", { reports: { databaseName: "Fleet-Inventory" } }, "patching.reports.databaseName", /lowercase letters, digits and '_'/],
  ])("reports %s at its field path", (_name, raw, path, allowed) => {
    const { issues } = resolve(raw);
    const hit = issues.find((i) => i.path === path);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(hit!.allowed).toMatch(allowed);
  });

  it("reports every problem at once", () => {
    const { issues } = resolve({
      defaultWindow: { durationHours: 2, cutoffHours: 3 },
      environments: { Prod: { schedule: "cron(bad)" } },
      baselines: { u: { operatingSystem: "UBUNTU", approvalRules: [{ patchFilters: { MSRC_SEVERITY: ["Critical"] } }] } },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(["patching.baselines.u.approvalRules[0].patchFilters.MSRC_SEVERITY", "patching.defaultWindow.cutoffHours", "patching.environments.Prod.schedule"]);
  });

  it("returns undefined without a patching section", () => {
    const issues: ConfigIssue[] = [];
    expect(resolvePatching(undefined, org, issues)).toBeUndefined();
    expect(issues).toEqual([]);
  });
});

describe("PatchingMember", () => {
  const tree = synthMember(resolved(withDefault));
  const all = (type: string): any[] => Object.values(tree.resource[type] ?? {});
  const at = (type: string, address: string): any => tree.resource[type][address];

  it("creates baselines per OS and Region with their approval rules, defaults and patch groups", () => {
    expect(all("aws_ssm_patch_baseline")).toHaveLength(6);
    const al2 = at("aws_ssm_patch_baseline", "patching_eu_west_1_baseline_al2_baseline");
    expect(al2).toMatchObject({
      region: "eu-west-1",
      name: "aft-fleet-al2",
      operating_system: "AMAZON_LINUX_2",
      rejected_patches: ["kernel-debug*"],
      rejected_patches_action: "BLOCK",
      approval_rule: [
        {
          approve_after_days: 7,
          compliance_level: "CRITICAL",
          patch_filter: [
            { key: "CLASSIFICATION", values: ["Security", "Bugfix"] },
            { key: "SEVERITY", values: ["Critical", "Important"] },
          ],
        },
      ],
    });
    const win = at("aws_ssm_patch_baseline", "patching_us_east_1_baseline_windows_baseline");
    expect(win.approval_rule[0].patch_filter.map((f: any) => f.key)).toEqual(["CLASSIFICATION", "MSRC_SEVERITY"]);
    expect(win.approval_rule[0].enable_non_security).toBeUndefined();
    const ubuntu = at("aws_ssm_patch_baseline", "patching_us_east_1_baseline_ubuntu_baseline");
    expect(ubuntu.approval_rule[0]).toMatchObject({ approve_after_days: 0, patch_filter: [{ key: "PRIORITY" }, { key: "SECTION" }] });

    const defaults = all("aws_ssm_default_patch_baseline");
    expect(defaults.map((d) => `${d.region}:${d.operating_system}`).sort()).toEqual(["eu-west-1:AMAZON_LINUX_2", "eu-west-1:WINDOWS", "us-east-1:AMAZON_LINUX_2", "us-east-1:WINDOWS"]);
    expect(at("aws_ssm_default_patch_baseline", "patching_us_east_1_baseline_al2_default").baseline_id).toBe("${aws_ssm_patch_baseline.patching_us_east_1_baseline_al2_baseline.id}");
    const groups = all("aws_ssm_patch_group").filter((g) => g.region === "us-east-1");
    expect(groups.map((g) => g.patch_group).sort()).toEqual(["Dev", "Prod"]);
  });

  it("creates the windows of every environment plus the default, from the config's schedules, in UTC, without unassociated targets", () => {
    const windows = all("aws_ssm_maintenance_window").filter((w) => w.region === "us-east-1");
    expect(windows.map((w) => w.name).sort()).toEqual(["aft-fleet-patching-Default", "aft-fleet-patching-Dev", "aft-fleet-patching-Prod-week2", "aft-fleet-patching-Prod-week4", "aft-fleet-patching-Test"]);
    expect(at("aws_ssm_maintenance_window", "patching_us_east_1_window_default")).toMatchObject({
      schedule: "cron(0 5 ? * FRI *)",
      schedule_timezone: "UTC",
      duration: 6,
      cutoff: 1,
      allow_unassociated_targets: false,
    });
    // Twice a month: one window per week of the month, each on the weekday and hour; no start_date anywhere
    // (start and end dates only bound when a window may run: "Maintenance window scheduling and active period options").
    expect(at("aws_ssm_maintenance_window", "patching_eu_west_1_window_prod_week2")).toMatchObject({ schedule: "cron(0 2 ? * SUN#2 *)", duration: 3, cutoff: 1 });
    expect(at("aws_ssm_maintenance_window", "patching_eu_west_1_window_prod_week4")).toMatchObject({ schedule: "cron(0 2 ? * SUN#4 *)", duration: 3, cutoff: 1 });
    for (const w of all("aws_ssm_maintenance_window")) {
      expect(w.schedule).toMatch(/^cron\(/);
      expect(w.start_date).toBeUndefined();
    }
    expect(at("aws_ssm_maintenance_window", "patching_us_east_1_window_dev")).toMatchObject({ schedule: "cron(0 22 ? * TUE *)", duration: 4 });
    expect(at("aws_ssm_maintenance_window", "patching_us_east_1_window_test").schedule).toBe("cron(30 1 ? * WED#2 *)");
  });

  it("targets nodes by the environment tag; the default window targets environment=Default and no window targets the opt-out value", () => {
    const targets = all("aws_ssm_maintenance_window_target").filter((t) => t.region === "us-east-1");
    expect(targets.map((t) => t.targets[0]).sort((a, b) => a.values[0].localeCompare(b.values[0]))).toEqual([
      { key: "tag:environment", values: ["Default"] },
      { key: "tag:environment", values: ["Dev"] },
      { key: "tag:environment", values: ["Prod"] },
      { key: "tag:environment", values: ["Prod"] },
      { key: "tag:environment", values: ["Test"] },
    ]);
    for (const t of targets) expect(t.resource_type).toBe("INSTANCE");
    expect(JSON.stringify(tree.resource.aws_ssm_maintenance_window_target)).not.toContain("opt-out");
    expect(at("aws_ssm_maintenance_window_target", "patching_us_east_1_window_prod_week4_target").window_id).toBe("${aws_ssm_maintenance_window.patching_us_east_1_window_prod_week4.id}");
  });

  it("runs AWS-RunPatchBaseline with the window's operation, reboot option and rate control, through the patching role", () => {
    const task = at("aws_ssm_maintenance_window_task", "patching_us_east_1_window_prod_week2_task");
    expect(task).toMatchObject({
      task_type: "RUN_COMMAND",
      task_arn: "AWS-RunPatchBaseline",
      max_concurrency: "5",
      max_errors: "1",
      service_role_arn: "${aws_iam_role.patching_maintenance_window_role.arn}",
      targets: [{ key: "WindowTargetIds", values: ["${aws_ssm_maintenance_window_target.patching_us_east_1_window_prod_week2_target.id}"] }],
    });
    expect(task.task_invocation_parameters.run_command_parameters.parameter).toEqual([
      { name: "Operation", values: ["Install"] },
      { name: "RebootOption", values: ["NoReboot"] },
    ]);
    const dflt = at("aws_ssm_maintenance_window_task", "patching_eu_west_1_window_default_task");
    expect(dflt.task_invocation_parameters.run_command_parameters.parameter).toEqual([
      { name: "Operation", values: ["Install"] },
      { name: "RebootOption", values: ["RebootIfNeeded"] },
    ]);
    expect(at("aws_ssm_maintenance_window_task", "patching_us_east_1_window_test_task").task_invocation_parameters.run_command_parameters.parameter[0].values).toEqual(["Scan"]);
  });

  it("has one task role: ssm trust with aws:SourceAccount, SendCommand of AWS-RunPatchBaseline on this account's nodes only", () => {
    const roles = all("aws_iam_role").filter((r) => r.name !== TAGGER_ROLE_NAME);
    expect(roles.map((r) => r.name)).toEqual([MAINTENANCE_WINDOW_ROLE_NAME]);
    const trust = JSON.parse(roles[0].assume_role_policy);
    expect(trust.Statement[0].Principal).toEqual({ Service: "ssm.amazonaws.com" });
    expect(Object.keys(trust.Statement[0].Condition.StringEquals)).toEqual(["aws:SourceAccount"]);
    const policy = JSON.parse(all("aws_iam_role_policy").find((p) => p.name === MAINTENANCE_WINDOW_ROLE_NAME).policy);
    const send = policy.Statement.find((s: any) => s.Sid === "RunPatchBaselineOnThisAccountsNodes");
    expect(send.Action).toBe("ssm:SendCommand");
    expect(send.Resource).toContain("arn:aws:ssm:eu-west-1::document/AWS-RunPatchBaseline");
    expect(send.Resource.filter((r: string) => r.includes(":document/"))).toHaveLength(2);
    const wildcards = policy.Statement.filter((s: any) => [s.Resource].flat().includes("*")).flatMap((s: any) => [s.Action].flat());
    expect(wildcards.sort()).toEqual(["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands"]);
  });

  it("gathers inventory on every node of every Region, and needs nothing of the central account (no data sync, no central key)", () => {
    const inv = all("aws_ssm_association").filter((a) => a.association_name === "aft-fleet-inventory");
    expect(inv.map((a) => a.region).sort()).toEqual(["eu-west-1", "us-east-1"]);
    expect(inv[0]).toMatchObject({ name: "AWS-GatherSoftwareInventory", schedule_expression: "cron(0 6 * * ? *)", targets: [{ key: "InstanceIds", values: ["*"] }] });
    expect(tree.resource.aws_ssm_resource_data_sync).toBeUndefined();
    const text = JSON.stringify(tree);
    expect(text).not.toContain("222222222222");
    expect(text).not.toContain(":kms:");
    expect(text).not.toContain("aft-fleet-patching-222222222222");
  });

  it("puts config text into Terraform as literal data", () => {
    const p = resolved({ baselines: { a: { operatingSystem: "WINDOWS", description: "has %{ and ${", approvedPatches: ["KB${1}"] } } });
    const t = synthMember(p, ["us-east-1"]);
    // Tag keys and environment names cannot hold `${` or `%{` (their patterns refuse `$`, `%`, `{`).
    expect(resolve({ environmentTag: "env${x}" }).issues.map((i) => i.path)).toEqual(["patching.environmentTag"]);
    const baseline: any = Object.values(t.resource.aws_ssm_patch_baseline)[0];
    expect(baseline.description).toBe("has %%{ and $${");
    expect(baseline.approved_patches).toEqual(["KB$${1}"]);
  });
});

describe("PatchingReporting", () => {
  const tree = synthReporting(resolved());
  const all = (type: string): any[] => Object.values(tree.resource[type] ?? {});

  it("names the Glue database in every Athena query: the seed's mismatch, fixed", () => {
    const dbs = all("aws_glue_catalog_database");
    expect(dbs.map((d) => d.name)).toEqual(["aft_fleet_inventory"]);
    const queries = all("aws_athena_named_query");
    expect(queries.map((q) => q.name).sort()).toEqual(NAMED_QUERIES.map((q) => q.name).sort());
    for (const q of queries) expect(q.database).toBe("${aws_glue_catalog_database.patching_reports_database.name}");
    expect(all("aws_glue_crawler")[0].database_name).toBe("${aws_glue_catalog_database.patching_reports_database.name}");
    const custom = synthReporting(resolved({ reports: { databaseName: "fleet_inv" } }));
    expect(Object.values<any>(custom.resource.aws_glue_catalog_database)[0].name).toBe("fleet_inv");
  });

  it("keeps the reports bucket private, versioned, TLS-only and SSE-KMS with a rotating key", () => {
    expect(all("aws_kms_key")[0].enable_key_rotation).toBe(true);
    expect(all("aws_s3_bucket")[0].bucket).toBe("aft-fleet-patching-222222222222-us-east-1");
    expect(all("aws_s3_bucket_versioning")[0].versioning_configuration.status).toBe("Enabled");
    expect(all("aws_s3_bucket_public_access_block")[0]).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(all("aws_s3_bucket_ownership_controls")[0].rule.object_ownership).toBe("BucketOwnerEnforced");
    expect(all("aws_s3_bucket_server_side_encryption_configuration")[0].rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
  });

  it("lets the organization's resource data syncs deliver only with SSE-KMS and this key", () => {
    const policy = JSON.parse(all("aws_s3_bucket_policy")[0].policy);
    const by = (sid: string) => policy.Statement.find((s: any) => s.Sid === sid);
    expect(by("DenyInsecureTransport").Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(by("SSMBucketPermissionsCheck")).toMatchObject({ Principal: { Service: "ssm.amazonaws.com" }, Action: "s3:GetBucketAcl" });
    expect(by("SSMBucketDelivery")).toMatchObject({
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::aft-fleet-patching-222222222222-us-east-1/inventory/*/accountid=*/*",
      Condition: {
        StringEquals: {
          "s3:x-amz-acl": "bucket-owner-full-control",
          "s3:RequestObjectTag/OrgId": "o-a1b2c3d4e5",
          "aws:SourceOrgID": "o-a1b2c3d4e5",
          "s3:x-amz-server-side-encryption": "aws:kms",
          "s3:x-amz-server-side-encryption-aws-kms-key-id": "${aws_kms_key.patching_reports_key.arn}",
        },
        ArnLike: { "aws:SourceArn": "arn:aws:ssm:*:*:resource-data-sync/*" },
      },
    });
    const key = JSON.parse(all("aws_kms_key")[0].policy);
    expect(key.Statement.find((s: any) => s.Sid === "ResourceDataSyncEncrypts").Condition.StringEquals).toEqual({ "aws:SourceOrgID": "o-a1b2c3d4e5" });
  });

  describe("the organization bucket policy AWS documents for inventory syncs", () => {
    // AWS Systems Manager User Guide, "Configuring resource data sync for Inventory", "Creating an inventory
    // resource data sync for accounts defined in AWS Organizations": PutObject under <prefix>/*/accountid=*/*
    // with bucket-owner-full-control and s3:RequestObjectTag/OrgId = the organization id; PutObjectTagging on
    // the same objects; GetBucketAcl for the service check. Its note (2021-2022 editions): syncs in Regions
    // launched since April 2019 (the opt-in Regions) need ssm.<region>.amazonaws.com in both delivery statements.
    // The reports bucket's policy (a central tree has other buckets too).
    const policyOf = (tree: any) =>
      Object.values<any>(tree.resource.aws_s3_bucket_policy)
        .map((p) => JSON.parse(p.policy))
        .find((p) => p.Statement.some((s: any) => s.Sid === "SSMBucketDelivery"));
    const statement = (tree: any, sid: string) => policyOf(tree).Statement.find((s: any) => s.Sid === sid);
    const keyStatement = (tree: any) =>
      Object.values<any>(tree.resource.aws_kms_key)
        .flatMap((k) => JSON.parse(k.policy).Statement)
        .find((s: any) => s.Sid === "ResourceDataSyncEncrypts");

    it("admits only objects of this organization's syncs: the OrgId tag and the source organization, on delivery and tagging", () => {
      const delivery = statement(tree, "SSMBucketDelivery");
      expect(delivery.Effect).toBe("Allow");
      expect(delivery.Condition.StringEquals["s3:RequestObjectTag/OrgId"]).toBe("o-a1b2c3d4e5");
      expect(delivery.Condition.StringEquals["aws:SourceOrgID"]).toBe("o-a1b2c3d4e5");
      const tagging = statement(tree, "SSMBucketDeliveryTagging");
      expect(tagging).toMatchObject({ Effect: "Allow", Action: "s3:PutObjectTagging", Resource: delivery.Resource });
      expect(tagging.Condition.StringEquals).toEqual({ "aws:SourceOrgID": "o-a1b2c3d4e5" });
      expect(tagging.Condition.ArnLike).toEqual({ "aws:SourceArn": "arn:aws:ssm:*:*:resource-data-sync/*" });
      // Nothing else is allowed to anyone: the service check, the two delivery statements, the TLS deny.
      expect(policyOf(tree).Statement.map((s: any) => `${s.Effect}:${s.Sid}`).sort()).toEqual(
        ["Allow:SSMBucketDelivery", "Allow:SSMBucketDeliveryTagging", "Allow:SSMBucketPermissionsCheck", "Deny:DenyInsecureTransport"].sort(),
      );
    });

    it("names no Regional principal when no workload Region is opt-in", () => {
      const commercial = synthReporting(resolved(), ["us-east-1", "eu-west-1", "ap-northeast-1"]);
      for (const sid of ["SSMBucketDelivery", "SSMBucketDeliveryTagging", "SSMBucketPermissionsCheck"]) {
        expect(statement(commercial, sid).Principal).toEqual({ Service: "ssm.amazonaws.com" });
      }
      expect(keyStatement(commercial).Principal).toEqual({ Service: "ssm.amazonaws.com" });
    });

    it("adds ssm.<region>.amazonaws.com for each opt-in workload Region, to both delivery statements and the key, and only those", () => {
      const mixed = synthReporting(resolved(), ["us-east-1", "me-central-1", "eu-west-1", "af-south-1", "me-central-1"]);
      const writers = { Service: ["ssm.amazonaws.com", "ssm.af-south-1.amazonaws.com", "ssm.me-central-1.amazonaws.com"] };
      expect(statement(mixed, "SSMBucketDelivery").Principal).toEqual(writers);
      expect(statement(mixed, "SSMBucketDeliveryTagging").Principal).toEqual(writers);
      expect(keyStatement(mixed).Principal).toEqual(writers);
      // The documented service check names the global principal only.
      expect(statement(mixed, "SSMBucketPermissionsCheck").Principal).toEqual({ Service: "ssm.amazonaws.com" });
      // The TLS-only deny stays first and whole.
      expect(policyOf(mixed).Statement[0]).toEqual({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::aft-fleet-patching-222222222222-us-east-1", "arn:aws:s3:::aft-fleet-patching-222222222222-us-east-1/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    });

    it("knows the opt-in Regions among the Regions the config accepts", () => {
      // AWS Regions and Availability Zones, "AWS Regions": opt-in status Required. The others the config
      // accepts are enabled by default (or in the China and GovCloud partitions, which have no opt-in Regions).
      expect(AWS_REGIONS.filter((r) => OPT_IN_REGIONS.includes(r))).toEqual([
        "af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ca-west-1",
        "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
      ]);
      for (const r of ["us-east-1", "us-west-2", "eu-west-1", "eu-north-1", "ap-northeast-3", "sa-east-1", "ca-central-1", "cn-north-1", "us-gov-west-1"]) {
        expect(syncWriterPrincipals([r])).toBe("ssm.amazonaws.com");
      }
    });

    it("the central tree passes the workload Regions: an opt-in one added to the example's gets its principal", () => {
      const raw = YAML.parse(fs.readFileSync(DEFAULT_CONFIG, "utf8"));
      raw.organization.workloadRegions = [...raw.organization.workloadRegions, "il-central-1"];
      const { orchestration: _o, ...model } = resolveConfig(raw, path.dirname(DEFAULT_CONFIG), "fleet.yaml");
      const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-reports-"));
      try {
        fs.mkdirSync(path.join(bundleDir, "controller"));
        fs.writeFileSync(path.join(bundleDir, "controller", "index.js"), "exports.handler = async () => ({});\n");
        const props = { homeRegion: model.organization.homeRegion, mode: "aft" as const };
        const central = JSON.parse(Testing.synth(new CentralStack(Testing.app({ fakeCdktfJsonPath: true }), "central", model, props, { lambdaBundleDir: bundleDir })));
        expect(statement(central, "SSMBucketDelivery").Principal).toEqual({ Service: ["ssm.amazonaws.com", "ssm.il-central-1.amazonaws.com"] });
        // The inventory ring spec asks for the organization sync the policy is written for.
        const spec = Object.values<any>(central.resource.aws_s3_object).find((o) => o.key === "controller/_inventory/sync.json");
        expect(JSON.parse(spec.content).sync.destinationDataSharingType).toBe("Organization");
      } finally {
        fs.rmSync(bundleDir, { recursive: true, force: true });
      }
    });
  });

  it("declares the inventory tables instead of inferring them: no table with the duplicate resourcetype column Athena refuses", () => {
    // AWS's patch-reporting sample (cloud-operations-best-practices, patch-reporting.yaml) and the seed
    // delete `resourcetype` from the crawled aws_instanceinformation after every crawl: the type's own
    // ResourceType attribute and the sync's resourcetype= folder collide. Declared tables cannot collide.
    const tables = all("aws_glue_catalog_table");
    expect(tables.map((t) => t.name).sort()).toEqual(INVENTORY_TABLES.map((t) => t.table).sort());
    for (const t of tables) {
      const spec = INVENTORY_TABLES.find((s) => s.table === t.name)!;
      const columns = t.storage_descriptor.columns.map((c: any) => c.name);
      expect(t.partition_keys.map((k: any) => k.name)).toEqual(["accountid", "region", "resourcetype"]);
      for (const key of INVENTORY_PARTITION_KEYS) expect(columns).not.toContain(key);
      expect(new Set(columns).size).toBe(columns.length);
      for (const c of columns) expect(c).toMatch(/^[a-z][a-z0-9_]*$/); // Glue stores, Athena reads, lower case
      // The sync's folder layout: <prefix>/<TypeName>/accountid=/region=/resourcetype=/ (User Guide walkthrough).
      expect(t.storage_descriptor.location).toBe(`s3://aft-fleet-patching-222222222222-us-east-1/inventory/${spec.typeName}/`);
      expect(t.storage_descriptor.ser_de_info.serialization_library).toBe("org.openx.data.jsonserde.JsonSerDe");
      expect(t).toMatchObject({ table_type: "EXTERNAL_TABLE", database_name: "${aws_glue_catalog_database.patching_reports_database.name}" });
    }
  });

  it("crawls the declared tables only for partitions, never rewriting them, with a least-privilege role", () => {
    const crawler = all("aws_glue_crawler")[0];
    expect(crawler.s3_target).toBeUndefined();
    expect(crawler.catalog_target).toHaveLength(1);
    expect(crawler.catalog_target[0].tables.length).toBe(INVENTORY_TABLES.length);
    for (const ref of crawler.catalog_target[0].tables) expect(ref).toMatch(/^\$\{aws_glue_catalog_table\.[a-z0-9_]+\.name\}$/);
    // Catalog targets refuse DEPRECATE_IN_DATABASE (the provider's default delete behavior); LOG for
    // updates keeps the crawler from writing its inferred schema over ours.
    expect(crawler.schema_change_policy).toEqual({ update_behavior: "LOG", delete_behavior: "LOG" });
    // The provider documents CombineCompatibleSchemas as a catalog crawler's default configuration: left out,
    // every plan would show a diff. Partitions inherit the table's SerDe and columns.
    expect(JSON.parse(crawler.configuration)).toEqual({
      Version: 1,
      Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
      CrawlerOutput: { Partitions: { AddOrUpdateBehavior: "InheritFromTable" } },
    });
    expect(crawler.configuration).toBe(CRAWLER_CONFIGURATION);
    expect(crawler.schedule).toBe("cron(0 8 * * ? *)");
    const policy = JSON.parse(all("aws_iam_role_policy")[0].policy);
    for (const s of policy.Statement) expect([s.Resource].flat()).not.toContain("*");
    const actions = policy.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions).not.toContain("glue:CreateTable");
    expect(actions).not.toContain("glue:UpdateTable");
    expect(actions).toContain("glue:BatchCreatePartition");
    const glueResources = policy.Statement.find((s: any) => s.Sid === "AddInventoryPartitions").Resource;
    expect(glueResources).toEqual(expect.arrayContaining(INVENTORY_TABLES.map((t) => `arn:aws:glue:us-east-1:222222222222:table/aft_fleet_inventory/${t.table}`)));
    expect(glueResources.filter((r: string) => r.includes(":table/")).length).toBe(INVENTORY_TABLES.length);
    expect(policy.Statement.find((s: any) => s.Sid === "ReadSyncedInventory").Resource).toBe("arn:aws:s3:::aft-fleet-patching-222222222222-us-east-1/inventory/*");
    // The crawler looks up its S3 target's Region (AWSGlueServiceRole grants s3:GetBucketLocation): this bucket only.
    expect(policy.Statement.find((s: any) => s.Sid === "LocateInventoryBucket")).toEqual({ Sid: "LocateInventoryBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: "arn:aws:s3:::aft-fleet-patching-222222222222-us-east-1" });
  });

  it("names in every named query only tables and columns that are declared", () => {
    const columnsOf = new Map(INVENTORY_TABLES.map((t) => [t.table, new Set([...t.columns.map((c) => c.name), ...INVENTORY_PARTITION_KEYS])]));
    for (const q of NAMED_QUERIES) {
      const problems = sqlColumnProblems(q.query, columnsOf);
      expect({ query: q.name, problems }).toEqual({ query: q.name, problems: [] });
    }
    // The checker itself catches what it must: an undeclared column, an unknown table, a bad alias.
    expect(sqlColumnProblems("SELECT resourcetype_x FROM aws_patchsummary", columnsOf)).toEqual(["aws_patchsummary has no column resourcetype_x"]);
    expect(sqlColumnProblems("SELECT a.id FROM aws_nothing a", columnsOf)).toEqual(["unknown table aws_nothing"]);
    expect(sqlColumnProblems("SELECT ci.computername FROM aws_complianceitem ci", columnsOf)).toEqual(["aws_complianceitem has no column computername"]);
  });

  it("writes Athena results encrypted to its own prefix", () => {
    const wg = all("aws_athena_workgroup")[0];
    expect(wg.configuration).toMatchObject({
      enforce_workgroup_configuration: true,
      result_configuration: {
        output_location: "s3://aft-fleet-patching-222222222222-us-east-1/athena-results/",
        encryption_configuration: { encryption_option: "SSE_KMS", kms_key_arn: "${aws_kms_key.patching_reports_key.arn}" },
      },
    });
  });

  it("uses no python3.8 and no launch configurations anywhere", () => {
    const text = JSON.stringify(tree) + JSON.stringify(synthMember(resolved()));
    expect(text).not.toMatch(/python3\.[0-9]\b/);
    expect(text).not.toContain("launch_configuration");
  });
});

describe("patching config: the controller's jobs", () => {
  const groups = {
    canary: { name: "canary", accounts: ["333333333333"], organizationalUnits: [], instanceTags: {} },
    web: { name: "web", accounts: [], organizationalUnits: ["ou-ab12-workload1"], instanceTags: { role: ["web"] } },
    prod: { name: "prod", accounts: [], organizationalUnits: ["ou-ab12-prod0001"], instanceTags: { environment: ["Prod", "opt-out"] } },
  };
  const withGroups = { ...org, targetGroups: groups };
  const resolveWith = (raw: unknown): { patching?: Patching; issues: { path: string; allowed: string }[] } => {
    const parsed = PatchingSchema.safeParse(raw);
    if (!parsed.success) return { issues: parsed.error.issues.map((i) => ({ path: ["patching", ...i.path].join("."), allowed: i.message })) };
    const issues: ConfigIssue[] = [];
    const patching = resolvePatching(parsed.data, withGroups, issues);
    return { ...(patching ? { patching } : {}), issues };
  };

  it("has no emergency patching and no extra sync targets by default", () => {
    const p = resolved();
    expect(p.emergency).toBeUndefined();
    expect(p.syncTargets).toEqual([]);
  });

  it("resolves an emergency campaign with rings in order, their target groups and defaults", () => {
    const { patching, issues } = resolveWith({ ...good, emergency: { campaign: "2026-11-cve-1234", rings: [{ name: "canary", targets: "canary", bake: "2h", alarms: ["b", "a"] }, { name: "web", targets: "web" }] } });
    expect(issues).toEqual([]);
    expect(patching!.emergency).toEqual({
      campaign: "2026-11-cve-1234",
      operation: "Install",
      rebootOption: "RebootIfNeeded",
      controllerSchedule: "rate(1 hour)",
      rings: [
        { name: "canary", targetGroup: groups.canary, maxConcurrency: "10%", maxErrors: "0", nodeMaxConcurrency: "10%", nodeMaxErrors: "10%", alarms: ["a", "b"], bakeSeconds: 7200 },
        { name: "web", targetGroup: groups.web, maxConcurrency: "10%", maxErrors: "0", nodeMaxConcurrency: "10%", nodeMaxErrors: "10%", alarms: [], bakeSeconds: 0 },
      ],
    });
  });

  it("resolves reports.syncTargets to target groups", () => {
    const { patching, issues } = resolveWith({ ...good, reports: { syncTargets: ["web", "web", "canary"] } });
    expect(issues).toEqual([]);
    expect(patching!.syncTargets).toEqual([groups.web, groups.canary]);
  });

  it("reports unknown target groups, duplicate ring names, a bad campaign id and a bad schedule", () => {
    const { issues } = resolveWith({
      ...good,
      reports: { syncTargets: ["nope"] },
      emergency: { campaign: "2026-11-cve-1234", controllerSchedule: "rate(5 minutes)", rings: [{ name: "a", targets: "canary" }, { name: "a", targets: "missing" }] },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(
      ["patching.emergency.controllerSchedule", "patching.emergency.rings[1].name", "patching.emergency.rings[1].targets", "patching.reports.syncTargets[0]"].sort(),
    );
    expect(resolveWith({ ...good, emergency: { campaign: "x", rings: [{ name: "a", targets: "canary" }] } }).issues.map((i) => i.path)).toEqual(["patching.emergency.campaign"]);
    expect(resolveWith({ ...good, emergency: { campaign: "c-1", operation: "Reboot", rings: [{ name: "a", targets: "canary" }] } }).issues.map((i) => i.path)).toEqual(["patching.emergency.operation"]);
  });

  it("emergency node targets: the windows' environment values (never opt-out), ANDed with the group's node tags", () => {
    const emergency = { campaign: "c-1", rings: [{ name: "canary", targets: "canary" }, { name: "web", targets: "web" }, { name: "prod", targets: "prod" }] };
    const { patching } = resolveWith({ ...withDefault, emergency });
    const targets = (p: Patching, i: number) => emergencyNodeTargetsOf(p, p.emergency!.rings[i]!.targetGroup);
    expect(targets(patching!, 0)).toEqual([{ Key: "tag:environment", Values: ["Default", "Dev", "Prod", "Test"] }]);
    expect(targets(patching!, 1)).toEqual([
      { Key: "tag:environment", Values: ["Default", "Dev", "Prod", "Test"] },
      { Key: "tag:role", Values: ["web"] },
    ]);
    expect(targets(patching!, 2)).toEqual([{ Key: "tag:environment", Values: ["Prod"] }]);
    // Without the default window no node is patched as Default: only the environments' values (Prod once,
    // though it has two windows).
    const noDefault = resolveWith({ ...good, emergency }).patching!;
    expect(targets(noDefault, 0)).toEqual([{ Key: "tag:environment", Values: ["Dev", "Prod", "Test"] }]);
    expect(targets(noDefault, 1)[0]).toEqual({ Key: "tag:environment", Values: ["Dev", "Prod", "Test"] });
  });

  it("refuses emergency and Auto Scaling rings that would target no node: no window and no environment tag in the group", () => {
    const rings = [{ name: "canary", targets: "canary" }, { name: "prod", targets: "prod" }];
    const { issues } = resolveWith({ emergency: { campaign: "c-1", rings }, autoScaling: { campaign: "i-1", instanceProfile: "p", automationRole: "r", rings } });
    expect(issues).toEqual([
      { path: "patching.emergency.rings[0].targets", value: '"canary"', allowed: expect.stringMatching(/defaultWindow or an environment: an emergency ring selects nodes by the windows' environment values, and there are none/) },
      { path: "patching.autoScaling.rings[0].targets", value: '"canary"', allowed: expect.stringMatching(/an Auto Scaling image ring selects groups/) },
    ]);
    // The prod group names the environment tag itself: its values need no window.
    expect(resolveWith({ emergency: { campaign: "c-1", rings: [{ name: "prod", targets: "prod" }] } }).issues).toEqual([]);
    expect(resolveWith({ environments: { Dev: {} }, emergency: { campaign: "c-1", rings } }).issues).toEqual([]);
  });
});

describe("PatchingMember: the tagging runbook for untagged nodes", () => {
  const tree = synthMember(resolved(withDefault));
  const all = (type: string): any[] => Object.values(tree.resource[type] ?? {});
  const docs = all("aws_ssm_document");
  const runbook = YAML.parse(docs[0].content);

  it("is a YAML Automation runbook in every Region with one python3.11 aws:executeScript step carrying the script file", () => {
    expect(docs.map((d) => [d.name, d.region, d.document_type, d.document_format])).toEqual([
      ["aft-fleet-TagUntaggedNodes", "eu-west-1", "Automation", "YAML"],
      ["aft-fleet-TagUntaggedNodes", "us-east-1", "Automation", "YAML"],
    ]);
    // aws:executeScript takes an inline Script only in YAML runbooks; python3.6-3.8 runbooks can no longer be
    // created (Automation action reference, aws:executeScript).
    expect(runbook.schemaVersion).toBe("0.3");
    expect(runbook.assumeRole).toBe("{{ AutomationAssumeRole }}");
    expect(runbook.mainSteps).toHaveLength(1);
    const step = runbook.mainSteps[0];
    expect(step).toMatchObject({ action: "aws:executeScript", timeoutSeconds: 600, maxAttempts: 3, inputs: { Runtime: "python3.11", Handler: "handler", InputPayload: { TagKey: "{{ TagKey }}", TagValue: "{{ TagValue }}" } } });
    // A step output is bounded: complete counts, sampled ids.
    expect(runbook.outputs).toEqual(["TagUntaggedInstances.TaggedCount", "TagUntaggedInstances.Tagged", "TagUntaggedInstances.LeftManagedCount", "TagUntaggedInstances.LeftManaged"]);
    expect(step.inputs.Script).toBe(fs.readFileSync(path.join(__dirname, "..", "modules", "patching", "scripts", "tag_untagged_nodes.py"), "utf8"));
    expect(Object.keys(runbook.parameters).sort()).toEqual(["AutomationAssumeRole", "TagKey", "TagValue"]);
  });

  it("runs daily per Region through an association with the tagger role, the environment tag as a parameter, and no targets", () => {
    const associations = all("aws_ssm_association").filter((a) => a.association_name === "aft-fleet-tag-untagged-nodes");
    expect(associations.map((a) => a.region).sort()).toEqual(["eu-west-1", "us-east-1"]);
    for (const a of associations) {
      expect(a.name).toMatch(/^\$\{aws_ssm_document\.[a-z0-9_]+\.name\}$/);
      expect(a.schedule_expression).toBe("cron(0 4 * * ? *)");
      expect(a.parameters).toEqual({ AutomationAssumeRole: expect.stringMatching(/^\$\{aws_iam_role\.[a-z0-9_]+\.arn\}$/), TagKey: "environment", TagValue: "Default" });
      expect(a.targets).toBeUndefined();
    }
    const off = synthMember(resolved({ ...withDefault, tagUntagged: { enabled: false } }));
    expect(off.resource.aws_ssm_document).toBeUndefined();
    expect(Object.values<any>(off.resource.aws_iam_role).map((r) => r.name)).not.toContain(TAGGER_ROLE_NAME);
  });

  it("may add only environment=Default, only to this account's instances that have no environment tag; trusted only by this account's automations", () => {
    const role = all("aws_iam_role").find((r) => r.name === TAGGER_ROLE_NAME);
    const trust = JSON.parse(role.assume_role_policy).Statement[0];
    const account = trust.Condition.StringEquals["aws:SourceAccount"];
    expect(account).toMatch(/^\$\{data\.aws_caller_identity\.[a-z0-9_]+\.account_id\}$/);
    expect(trust).toMatchObject({ Principal: { Service: "ssm.amazonaws.com" }, Condition: { ArnLike: { "aws:SourceArn": `arn:aws:ssm:*:${account}:automation-execution/*` } } });
    const policy = JSON.parse(all("aws_iam_role_policy").find((p) => p.name === TAGGER_ROLE_NAME).policy);
    expect(policy.Statement).toEqual([
      // DescribeInstances takes no resource-level permissions (Service Authorization Reference, Amazon EC2).
      { Sid: "FindInstances", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" },
      {
        Sid: "TagOnlyUntaggedInstancesDefault",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: [`arn:aws:ec2:us-east-1:${account}:instance/*`, `arn:aws:ec2:eu-west-1:${account}:instance/*`],
        Condition: {
          StringEquals: { "aws:RequestTag/environment": "Default" },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["environment"] },
          // Null true: the instance has no environment tag (an opt-out or an environment is never overwritten).
          Null: { "aws:ResourceTag/environment": "true" },
        },
      },
    ]);
  });
});

/**
 * The runs in `year` of a weekly, `#n` or `L` maintenance window cron, read as "Reference: Cron and rate
 * expressions for Systems Manager" defines the fields: Minutes Hours Day-of-month Month Day-of-week Year,
 * day-of-week 1-7 or SUN-SAT (1 = SUN: the page's cron(15 10 ? * 6L *) is "the last Friday"), `#n` the nth
 * such day of the month, `L` the last. Only the forms the config generates; anything else fails the test.
 */
function cronRuns(expression: string, year: number): Date[] {
  const m = /^cron\((\d+) (\d+) \? \* ([A-Z]{3}|[1-7])(#[1-5]|L)? \*\)$/.exec(expression);
  if (!m) throw new Error(`not a form this reader knows: ${expression}`);
  const names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
  const day = /^[1-7]$/.test(m[3]!) ? Number(m[3]) - 1 : names.indexOf(m[3]!);
  const runs: Date[] = [];
  for (let month = 0; month < 12; month++) {
    const days: Date[] = [];
    for (let d = new Date(Date.UTC(year, month, 1, Number(m[2]), Number(m[1]))); d.getUTCMonth() === month; d = new Date(d.getTime() + 86_400_000)) {
      if (d.getUTCDay() === day) days.push(d);
    }
    if (m[4] === undefined) runs.push(...days);
    else if (m[4] === "L") runs.push(days[days.length - 1]!);
    else if (days[Number(m[4].slice(1)) - 1]) runs.push(days[Number(m[4].slice(1)) - 1]!);
  }
  return runs;
}

describe("opt-in default window and tagging: a brownfield fleet is never opted into reboots", () => {
  const names = (tree: any, type: string): string[] => Object.values<any>(tree.resource[type] ?? {}).map((r) => (type === "aws_ssm_association" ? r.association_name : r.name));

  it("a patching section with only environments emits no Default window, no tagging runbook or association, no tagging IAM", () => {
    const tree = synthMember(resolved(good));
    expect(names(tree, "aws_ssm_maintenance_window")).not.toContain("aft-fleet-patching-Default");
    expect(Object.values<any>(tree.resource.aws_ssm_maintenance_window_target).flatMap((t) => t.targets[0].values)).not.toContain("Default");
    expect(tree.resource.aws_ssm_document).toBeUndefined();
    expect(Object.values<any>(tree.resource.aws_ssm_association).map((a) => a.association_name)).toEqual(["aft-fleet-inventory", "aft-fleet-inventory"]);
    expect(names(tree, "aws_iam_role")).toEqual([MAINTENANCE_WINDOW_ROLE_NAME]);
    expect(names(tree, "aws_iam_role_policy")).toEqual([MAINTENANCE_WINDOW_ROLE_NAME]);
    // No Default anywhere: no window, target, tag, parameter or policy names the value.
    expect(JSON.stringify(tree)).not.toContain('"Default"');
    expect(JSON.stringify(tree)).not.toContain("=Default");
  });

  it("with defaultWindow and tagUntagged.enabled configured, the window, the runbook, its association and its role appear", () => {
    const tree = synthMember(resolved(withDefault));
    expect(names(tree, "aws_ssm_maintenance_window").filter((n) => n === "aft-fleet-patching-Default")).toHaveLength(2);
    expect(names(tree, "aws_ssm_document")).toEqual(["aft-fleet-TagUntaggedNodes", "aft-fleet-TagUntaggedNodes"]);
    expect(names(tree, "aws_ssm_association").filter((n) => n === "aft-fleet-tag-untagged-nodes")).toHaveLength(2);
    expect(names(tree, "aws_iam_role").sort()).toEqual([MAINTENANCE_WINDOW_ROLE_NAME, TAGGER_ROLE_NAME]);
    // The default window alone tags nothing.
    const windowOnly = synthMember(resolved({ ...good, defaultWindow: {} }));
    expect(names(windowOnly, "aws_ssm_maintenance_window")).toContain("aft-fleet-patching-Default");
    expect(windowOnly.resource.aws_ssm_document).toBeUndefined();
    expect(names(windowOnly, "aws_iam_role")).toEqual([MAINTENANCE_WINDOW_ROLE_NAME]);
  });
});

describe("an existing inventory association (patching.inventory.existing)", () => {
  // "An instance can have only one inventory association configured at a time. If you configure an instance
  // with two or more inventory associations, the association doesn't run and no inventory data is collected."
  // (AWS Systems Manager User Guide, "Configuring inventory collection" / "Walkthrough: Configure your managed
  // nodes for Inventory by using the CLI".)
  const inventoryOf = (tree: any) => Object.values<any>(tree.resource.aws_ssm_association ?? {}).filter((a) => a.name === "AWS-GatherSoftwareInventory");

  it("emits no AWS-GatherSoftwareInventory association when the nodes have one already (or inventory is off), one per Region otherwise", () => {
    expect(resolved({ inventory: { existing: true } }).inventory).toEqual({ association: "existing", schedule: "cron(0 6 * * ? *)" });
    expect(inventoryOf(synthMember(resolved({ ...good, inventory: { existing: true } })))).toEqual([]);
    expect(inventoryOf(synthMember(resolved({ ...good, inventory: { enabled: false } })))).toEqual([]);
    expect(inventoryOf(synthMember(resolved(good))).map((a) => a.region).sort()).toEqual(["eu-west-1", "us-east-1"]);
  });

  it("keeps the resource data sync (member grant, controller job) and the central reports", () => {
    const raw = YAML.parse(fs.readFileSync(DEFAULT_CONFIG, "utf8"));
    raw.patching.inventory = { existing: true };
    const { orchestration: _o, ...model } = resolveConfig(raw, path.dirname(DEFAULT_CONFIG), "fleet.yaml");
    expect(model.patching!.inventory.association).toBe("existing");
    const props = { homeRegion: model.organization.homeRegion, mode: "aft" as const };
    const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-inventory-"));
    try {
      fs.mkdirSync(path.join(bundleDir, "controller"));
      fs.writeFileSync(path.join(bundleDir, "controller", "index.js"), "exports.handler = async () => ({});\n");
      const global = JSON.parse(Testing.synth(new GlobalStack(Testing.app({ fakeCdktfJsonPath: true }), "global", model, props)));
      const central = JSON.parse(Testing.synth(new CentralStack(Testing.app({ fakeCdktfJsonPath: true }), "central", model, props, { lambdaBundleDir: bundleDir })));
      expect(inventoryOf(global)).toEqual([]);
      const statements = Object.values<any>(global.resource.aws_iam_role_policy).flatMap((p) => JSON.parse(p.policy).Statement);
      expect(statements.find((s: any) => s.Sid === "ManageInventorySync").Action).toEqual(expect.arrayContaining(["ssm:CreateResourceDataSync"]));
      const sync = Object.values<any>(central.resource.aws_s3_object).find((o) => o.key === "controller/_inventory/sync.json");
      expect(sync.content).toContain('"kind": "inventory-sync"');
      expect(Object.values<any>(central.resource.aws_ssm_association).map((a) => a.association_name)).toContain("aft-fleet-rollout-_inventory-sync");
      expect(Object.values<any>(central.resource.aws_glue_catalog_table).map((t) => t.name).sort()).toEqual(INVENTORY_TABLES.map((t) => t.table).sort());
      expect(Object.values<any>(central.resource.aws_athena_named_query)).toHaveLength(NAMED_QUERIES.length);
    } finally {
      fs.rmSync(bundleDir, { recursive: true, force: true });
    }
  });
});

describe("maintenance window descriptions within the API's 128 characters", () => {
  // CreateMaintenanceWindow, RegisterTargetWithMaintenanceWindow and RegisterTaskWithMaintenanceWindow (AWS
  // Systems Manager API Reference): Description, length 1-128. MaintenanceWindowRunCommandParameters: Comment,
  // at most 100. The provider checks neither; tag keys reach 128 characters and environment names 64.
  const env = `E${"n".repeat(63)}`;
  const longest = (tagKey: string) => ({
    environmentTag: tagKey,
    defaultWindow: {},
    tagUntagged: { enabled: true },
    environments: { [env]: { weeksOfMonth: [2, "last"], operation: "Install", rebootOption: "RebootIfNeeded" }, Dev: {} },
  });

  it.each([
    ["ASCII", "k".repeat(128)],
    ["letters outside the BMP (two UTF-16 units each)", "\u{1D49C}".repeat(128)],
  ])("holds with the longest tag key (%s) and environment name", (_name, tagKey) => {
    expect(env).toHaveLength(64);
    expect(resolve(longest(tagKey)).issues).toEqual([]);
    const tree = synthMember(resolved(longest(tagKey)));
    const described = Object.entries<any>(tree.resource)
      .filter(([type]) => type.startsWith("aws_ssm_maintenance_window"))
      .flatMap(([type, byName]) => Object.values<any>(byName).map((r) => ({ type, description: r.description as string })));
    expect(new Set(described.map((d) => d.type))).toEqual(new Set(["aws_ssm_maintenance_window", "aws_ssm_maintenance_window_target", "aws_ssm_maintenance_window_task"]));
    expect(described).toHaveLength(3 * 4 * 2); // Default, Dev and two windows of env, in two Regions
    for (const d of described) {
      expect(d.description.length).toBeGreaterThan(0);
      expect(d.description.length).toBeLessThanOrEqual(128);
      expect(d.description).not.toMatch(/[\uD800-\uDFFF]/u); // no half of a character left behind
    }
    // The environment name is never cut; only the tag key is shortened, and the windows' wording fits whole.
    for (const w of Object.values<any>(tree.resource.aws_ssm_maintenance_window)) expect(w.description).toMatch(/, (Install|Scan), RebootIfNeeded$/);
    const targets = Object.values<any>(tree.resource.aws_ssm_maintenance_window_target).filter((t) => t.targets[0].values[0] === env);
    for (const t of targets) expect(t.description).toMatch(new RegExp(`^Nodes tagged ${tagKey.slice(0, 2)}.*\\.\\.\\.=${env}$`, "u"));
    for (const t of Object.values<any>(tree.resource.aws_ssm_maintenance_window_task)) {
      expect(t.task_invocation_parameters.run_command_parameters.comment.length).toBeLessThanOrEqual(100);
    }
    for (const w of Object.values<any>(tree.resource.aws_ssm_maintenance_window)) expect(w.name.length).toBeLessThanOrEqual(128);
    // Deterministic: the same config gives the same descriptions.
    expect(JSON.stringify(synthMember(resolved(longest(tagKey))))).toBe(JSON.stringify(tree));
  });

  it("keeps short descriptions whole", () => {
    const tree = synthMember(resolved(withDefault), ["us-east-1"]);
    const at = (type: string, address: string) => tree.resource[type][address];
    expect(at("aws_ssm_maintenance_window", "patching_us_east_1_window_default").description).toBe("aft-fleet: Default, FRI 05:00 UTC, Install, RebootIfNeeded");
    expect(at("aws_ssm_maintenance_window", "patching_us_east_1_window_prod_week2").description).toBe("aft-fleet: Prod, 2nd SUN 02:00 UTC, Install, NoReboot");
    expect(at("aws_ssm_maintenance_window", "patching_us_east_1_window_test").description).toBe("aft-fleet: Test, Scan, RebootIfNeeded");
    expect(at("aws_ssm_maintenance_window_target", "patching_us_east_1_window_prod_week2_target").description).toBe("Nodes tagged environment=Prod");
    expect(at("aws_ssm_maintenance_window_task", "patching_us_east_1_window_dev_task").description).toBe("AWS-RunPatchBaseline Install on environment=Dev");
  });
});

const SQL_WORDS = new Set(
  "select from where and or not null is in as on join inner left right outer order by group having limit desc asc distinct case when then else end coalesce count sum max min like between true false"
    .split(" "),
);

/**
 * Column references of a named query checked against declared tables: `alias.column` against the alias's
 * table, bare words against the query's tables. Small on purpose: the queries are fixed text of ours.
 */
function sqlColumnProblems(sql: string, columnsOf: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const problems: string[] = [];
  const text = sql.toLowerCase().replace(/'[^']*'/g, "''");
  const aliases = new Map<string, string>();
  for (const m of text.matchAll(/\b(?:from|join)\s+([a-z_][a-z0-9_]*)(?:\s+(?!on\b|where\b|inner\b|join\b|order\b|group\b|limit\b)([a-z_][a-z0-9_]*))?/g)) {
    const table = m[1]!;
    const alias = m[2];
    if (!columnsOf.has(table)) problems.push(`unknown table ${table}`);
    aliases.set(table, table);
    if (alias) aliases.set(alias, table);
  }
  const tables = [...new Set(aliases.values())].filter((t) => columnsOf.has(t));
  for (const m of text.matchAll(/\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)/g)) {
    const table = aliases.get(m[1]!);
    if (table && columnsOf.has(table) && !columnsOf.get(table)!.has(m[2]!)) problems.push(`${table} has no column ${m[2]}`);
  }
  const bare = text.replace(/\b[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*/g, " ").replace(/\b(?:from|join)\s+[a-z_][a-z0-9_]*(?:\s+[a-z_][a-z0-9_]*)?/g, " ");
  for (const m of bare.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)) {
    const word = m[1]!;
    if (SQL_WORDS.has(word) || aliases.has(word)) continue;
    if (!tables.some((t) => columnsOf.get(t)!.has(word))) problems.push(`${tables.join(", ")} has no column ${word}`);
  }
  return problems;
}
