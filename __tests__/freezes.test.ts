/*
 * Change freezes: the pure evaluator (contract/freezes.ts) across DST changes, the config section
 * (modules/config/freezes.ts) through the loader, the ring specs that carry the windows, and the
 * controller's freezeReason.
 */
import { ConfigError, loadConfig } from "../modules/config";
import { freezeAt, freezesHoldingAt, type FreezeWindow, nextFreezeChange, nextOccurrence, utcOffsetAt, zonedInstant } from "../contract/freezes";
import { asgImageRingSpecOf, emergencyRingSpecOf, inventorySyncSpecOf, ringSpecOf } from "../modules/controller/spec";
import { freezeReason } from "../lambdas/controller/freeze";
import { baseConfig, makeFixture } from "./helpers/fixture";
import { Testing } from "cdktf";
import YAML from "yaml";
import { FleetStack } from "../modules/core/fleet-stack";
import type { ConfigIssue } from "../modules/config/errors";
import { type Patching, PatchingSchema, resolvePatching } from "../modules/config/patching";
import { PatchingMember } from "../modules/patching";
import { renderReport } from "../modules/report/markdown";
import { FREEZE_CALENDAR_NAME, PATCH_UNLESS_FROZEN_RUNBOOK, freezeCalendarContent, patchUnlessFrozenRunbook, vtimezone } from "../modules/patching/freezes";

const at = (iso: string): Date => new Date(iso);

const berlinWeekend: FreezeWindow = { kind: "weekly", name: "weekend", timeZone: "Europe/Berlin", days: ["Friday"], at: "16:00", durationMinutes: 64 * 60 };
const newYorkWeekend: FreezeWindow = { kind: "weekly", name: "weekend", timeZone: "America/New_York", days: ["Friday"], at: "16:00", durationMinutes: 64 * 60 };

describe("contract/freezes: local times (RFC 5545 DATE-TIME with TZID)", () => {
  it("reads a local time with the zone's offset at that time", () => {
    expect(new Date(zonedInstant(Date.UTC(2026, 6, 1, 12, 0), "Europe/Berlin")).toISOString()).toBe("2026-07-01T10:00:00.000Z");
    expect(new Date(zonedInstant(Date.UTC(2026, 0, 15, 12, 0), "Europe/Berlin")).toISOString()).toBe("2026-01-15T11:00:00.000Z");
    expect(new Date(zonedInstant(Date.UTC(2026, 0, 15, 12, 0), "UTC")).toISOString()).toBe("2026-01-15T12:00:00.000Z");
    expect(utcOffsetAt(Date.UTC(2026, 6, 1), "America/New_York")).toBe(-4 * 3600_000);
  });

  it("reads a local time in the spring-forward gap with the offset before the gap (02:30 -> 03:30 daylight time)", () => {
    // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT.
    expect(new Date(zonedInstant(Date.UTC(2026, 2, 29, 2, 30), "Europe/Berlin")).toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(new Date(zonedInstant(Date.UTC(2026, 2, 8, 2, 30), "America/New_York")).toISOString()).toBe("2026-03-08T07:30:00.000Z");
  });

  it("reads a local time that occurs twice (fall back) as its first occurrence", () => {
    // America/New_York 2026-11-01 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    expect(new Date(zonedInstant(Date.UTC(2026, 10, 1, 1, 30), "America/New_York")).toISOString()).toBe("2026-11-01T05:30:00.000Z");
    // Europe/Berlin 2026-10-25 02:30 happens at 00:30Z (CEST) and 01:30Z (CET).
    expect(new Date(zonedInstant(Date.UTC(2026, 9, 25, 2, 30), "Europe/Berlin")).toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });
});

describe("contract/freezes: freezeAt and nextFreezeChange", () => {
  it("holds a weekly Friday 16:00 + 64 h Berlin freeze across the October switch for 64 elapsed hours", () => {
    // Fri 2026-10-23 16:00 CEST = 14:00Z; + 64 h = Mon 2026-10-26 06:00Z (07:00 CET, after the 25th's switch).
    expect(freezeAt([berlinWeekend], at("2026-10-23T13:59:59Z"))).toBeUndefined();
    expect(freezeAt([berlinWeekend], at("2026-10-23T14:00:00Z"))?.name).toBe("weekend");
    expect(freezeAt([berlinWeekend], at("2026-10-25T01:30:00Z"))?.name).toBe("weekend");
    expect(freezeAt([berlinWeekend], at("2026-10-26T05:59:59Z"))?.name).toBe("weekend");
    expect(freezeAt([berlinWeekend], at("2026-10-26T06:00:00Z"))).toBeUndefined();
    expect(nextFreezeChange([berlinWeekend], at("2026-10-24T12:00:00Z"))?.toISOString()).toBe("2026-10-26T06:00:00.000Z");
    // The next Friday 16:00 is standard time: 15:00Z.
    expect(nextFreezeChange([berlinWeekend], at("2026-10-26T06:00:00Z"))?.toISOString()).toBe("2026-10-30T15:00:00.000Z");
  });

  it("holds a weekly Friday 16:00 + 64 h New York freeze across the March switch", () => {
    // Fri 2026-03-06 16:00 EST = 21:00Z; + 64 h = Mon 2026-03-09 13:00Z (09:00 EDT).
    expect(freezeAt([newYorkWeekend], at("2026-03-06T20:59:00Z"))).toBeUndefined();
    expect(freezeAt([newYorkWeekend], at("2026-03-06T21:00:00Z"))?.name).toBe("weekend");
    expect(freezeAt([newYorkWeekend], at("2026-03-09T12:59:00Z"))?.name).toBe("weekend");
    expect(freezeAt([newYorkWeekend], at("2026-03-09T13:00:00Z"))).toBeUndefined();
    // Fri 2026-03-13 16:00 EDT = 20:00Z.
    expect(nextOccurrence(newYorkWeekend, at("2026-03-10T00:00:00Z"))?.start.toISOString()).toBe("2026-03-13T20:00:00.000Z");
    expect(nextOccurrence(newYorkWeekend, at("2026-03-10T00:00:00Z"))?.end.toISOString()).toBe("2026-03-16T12:00:00.000Z");
  });

  it("holds a one-off freeze from its local start to its local end, each with its own offset", () => {
    const once: FreezeWindow = { kind: "once", name: "launch", timeZone: "Europe/Berlin", start: "2026-03-28T12:00", end: "2026-03-30T12:00" };
    expect(freezeAt([once], at("2026-03-28T10:59:59Z"))).toBeUndefined();
    expect(freezeAt([once], at("2026-03-28T11:00:00Z"))?.name).toBe("launch");
    expect(freezeAt([once], at("2026-03-30T09:59:59Z"))?.name).toBe("launch");
    expect(freezeAt([once], at("2026-03-30T10:00:00Z"))).toBeUndefined();
    expect(nextFreezeChange([once], at("2026-01-01T00:00:00Z"))?.toISOString()).toBe("2026-03-28T11:00:00.000Z");
    expect(nextFreezeChange([once], at("2026-04-01T00:00:00Z"))).toBeUndefined();
  });

  it("chains overlapping freezes: the change comes when the last of them ends; the one ending last is named", () => {
    const yearEnd: FreezeWindow = { kind: "once", name: "year-end", timeZone: "Europe/Berlin", start: "2026-12-23T18:00", end: "2027-01-04T08:00" };
    const windows = [berlinWeekend, yearEnd];
    // Fri 2027-01-01 16:00 CET = 15:00Z; + 64 h = Mon 2027-01-04 07:00Z, the same instant year-end ends.
    expect(freezeAt(windows, at("2026-12-24T00:00:00Z"))?.name).toBe("year-end");
    expect(freezesHoldingAt(windows, at("2027-01-02T00:00:00Z")).map((o) => o.window.name)).toEqual(["weekend", "year-end"]);
    // Fri 2026-12-18 16:00 CET = 15:00Z; + 64 h = Mon 2026-12-21 07:00Z: that weekend ends before year-end starts (Wed 17:00Z).
    expect(nextFreezeChange(windows, at("2026-12-19T00:00:00Z"))?.toISOString()).toBe("2026-12-21T07:00:00.000Z");
    expect(nextFreezeChange(windows, at("2026-12-23T17:00:00Z"))?.toISOString()).toBe("2027-01-04T07:00:00.000Z");
    expect(freezeAt(windows, at("2027-01-04T07:00:00Z"))).toBeUndefined();
  });

  it("never holds without windows", () => {
    expect(freezeAt([], at("2026-11-20T10:00:00Z"))).toBeUndefined();
    expect(nextFreezeChange([], at("2026-11-20T10:00:00Z"))).toBeUndefined();
  });
});

function loadError(config: unknown): ConfigError {
  const fx = makeFixture(config);
  try {
    loadConfig(fx.configFile, "fleet.json");
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  } finally {
    fx.cleanup();
  }
  throw new Error("expected a ConfigError, but the config loaded");
}

function load(config: unknown) {
  const fx = makeFixture(config);
  try {
    return loadConfig(fx.configFile, "fleet.json");
  } finally {
    fx.cleanup();
  }
}

const withFreezes = (freezes: unknown, patch?: (c: Record<string, any>) => void): Record<string, any> => {
  const c = baseConfig() as Record<string, any>;
  c.freezes = freezes;
  patch?.(c);
  return c;
};

describe("config: the freezes section", () => {
  it("resolves one-off and weekly freezes, sorted by name, weekdays in week order", () => {
    const model = load(
      withFreezes({
        weekend: { timeZone: "America/New_York", weekly: { days: ["Saturday", "Friday"], at: "16:00", duration: "64h" } },
        "year-end": { timeZone: "Europe/Berlin", start: "2026-12-23T18:00", end: "2027-01-04T08:00" },
      }),
    );
    expect(model.freezes).toEqual({
      windows: [
        { kind: "weekly", name: "weekend", timeZone: "America/New_York", days: ["Friday", "Saturday"], at: "16:00", durationMinutes: 3840 },
        { kind: "once", name: "year-end", timeZone: "Europe/Berlin", start: "2026-12-23T18:00", end: "2027-01-04T08:00" },
      ],
      emergencyOverrides: false,
      autoScalingOverrides: false,
    });
  });

  it("keeps a zone as written when Intl knows it under another canonical name (Asia/Kolkata, US/Eastern)", () => {
    const model = load(withFreezes({ a: { timeZone: "Asia/Kolkata", start: "2026-12-23T18:00", end: "2026-12-24T18:00" }, b: { timeZone: "US/Eastern", start: "2026-12-23T18:00", end: "2026-12-24T18:00" } }));
    expect(model.freezes!.windows.map((w) => w.timeZone)).toEqual(["Asia/Kolkata", "US/Eastern"]);
  });

  it("has no freezes without the section", () => {
    expect(load(baseConfig()).freezes).toBeUndefined();
  });

  it.each([
    ["an unknown time zone", { x: { timeZone: "Mars/Olympus", start: "2026-12-23T18:00", end: "2026-12-24T18:00" } }, 'fleet.json: freezes.x.timeZone: got "Mars/Olympus"; allowed: an IANA time zone name such as Europe/Berlin'],
    ["a zone in the wrong letter case", { x: { timeZone: "europe/berlin", start: "2026-12-23T18:00", end: "2026-12-24T18:00" } }, 'fleet.json: freezes.x.timeZone: got "europe/berlin"; allowed: an IANA time zone name such as Europe/Berlin, America/New_York or UTC, spelled as in the tz database'],
    ["an offset instead of a zone-local time", { x: { timeZone: "UTC", start: "2026-12-23T18:00Z", end: "2026-12-24T18:00" } }, 'fleet.json: freezes.x.start: got "2026-12-23T18:00Z"; allowed: a local date and time "YYYY-MM-DDTHH:MM"'],
    ["no such date", { x: { timeZone: "UTC", start: "2026-02-30T18:00", end: "2026-12-24T18:00" } }, 'fleet.json: freezes.x.start: got "2026-02-30T18:00"; allowed: a local date and time'],
    ["an end before the start", { x: { timeZone: "Europe/Berlin", start: "2026-12-24T18:00", end: "2026-12-23T18:00" } }, 'fleet.json: freezes.x.end: got "2026-12-23T18:00"; allowed: a local date and time after start (2026-12-24T18:00 Europe/Berlin)'],
    ["a start without an end", { x: { timeZone: "UTC", start: "2026-12-24T18:00" } }, "fleet.json: freezes.x.end: missing; allowed: a local date and time"],
    ["both kinds", { x: { timeZone: "UTC", start: "2026-12-24T18:00", end: "2026-12-25T18:00", weekly: { days: ["Friday"], at: "16:00", duration: "1h" } } }, 'fleet.json: freezes.x.weekly: got weekly with start/end; allowed: either start and end'],
    ["neither kind", { x: { timeZone: "UTC" } }, "fleet.json: freezes.x: got a freeze with neither start/end nor weekly; allowed: start and end"],
    ["a week-long weekly freeze", { x: { timeZone: "UTC", weekly: { days: ["Friday"], at: "16:00", duration: "7d" } } }, 'fleet.json: freezes.x.weekly.duration: got "7d"; allowed: a duration such as "90m", "64h" or "2d", less than a week (at most 10079 minutes)'],
    ["a time of day that is none", { x: { timeZone: "UTC", weekly: { days: ["Friday"], at: "24:00", duration: "1h" } } }, 'fleet.json: freezes.x.weekly.at: got "24:00"; allowed: a local time "HH:MM"'],
    ["a weekday twice", { x: { timeZone: "UTC", weekly: { days: ["Friday", "Friday"], at: "16:00", duration: "1h" } } }, 'fleet.json: freezes.x.weekly.days[1]: got "Friday"; allowed: each weekday once'],
    ["an unknown weekday", { x: { timeZone: "UTC", weekly: { days: ["Fri"], at: "16:00", duration: "1h" } } }, 'fleet.json: freezes.x.weekly.days[0]: got "Fri"; allowed: Monday, Tuesday'],
    ["a bad name", { Xmas: { timeZone: "UTC", start: "2026-12-24T18:00", end: "2026-12-25T18:00" } }, "fleet.json: freezes.Xmas: got the key \"Xmas\"; allowed: a freeze name"],
  ])("refuses %s with its path, before anything is written", (_what, freezes, line) => {
    expect(loadError(withFreezes(freezes)).message).toContain(line);
  });
});

describe("ring specs carry the freezes; campaigns carry their override", () => {
  const freezes = { "year-end": { timeZone: "Europe/Berlin", start: "2026-12-23T18:00", end: "2027-01-04T08:00" } };
  const yearEnd = { kind: "once", name: "year-end", timeZone: "Europe/Berlin", start: "2026-12-23T18:00", end: "2027-01-04T08:00" };
  const campaigns = (c: Record<string, any>, emergencyOverrides: boolean) => {
    c.patching = {
      environments: { Dev: {} },
      emergency: { campaign: "2026-12-cve", ...(emergencyOverrides ? { overrideFreezes: true } : {}), rings: [{ name: "first", targets: c.packages[0].rings[0].targets }] },
      autoScaling: { campaign: "2026-12-img", instanceProfile: "p", automationRole: "r", rings: [{ name: "first", targets: c.packages[0].rings[0].targets }] },
    };
  };

  it("puts the windows into package, emergency, Auto Scaling and inventory specs, and overrideFreezes only where a campaign says so", () => {
    const model = load(withFreezes(freezes, (c) => campaigns(c, true)));
    const pkg = ringSpecOf(model, model.packages[0]!, 0);
    expect(pkg.freezes).toEqual([yearEnd]);
    expect(pkg.overrideFreezes).toBeUndefined();
    expect(emergencyRingSpecOf(model, 0)).toMatchObject({ freezes: [yearEnd], overrideFreezes: true });
    const asg = asgImageRingSpecOf(model, 0);
    expect(asg.freezes).toEqual([yearEnd]);
    expect(asg.overrideFreezes).toBeUndefined();
    expect(inventorySyncSpecOf(model, "arn:aws:kms:us-east-1:222222222222:key/k").freezes).toEqual([yearEnd]);
  });

  it("leaves specs as they were without freezes", () => {
    const model = load(withFreezes(undefined, (c) => campaigns(c, true)));
    const pkg = ringSpecOf(model, model.packages[0]!, 0);
    expect("freezes" in pkg).toBe(false);
    expect("overrideFreezes" in emergencyRingSpecOf(model, 0)).toBe(false);
  });

  it("freezeReason names the freeze and when starts resume, unless the spec overrides it", () => {
    const model = load(withFreezes(freezes, (c) => campaigns(c, true)));
    const pkg = ringSpecOf(model, model.packages[0]!, 0);
    expect(freezeReason(pkg, at("2026-12-24T00:00:00Z"))).toBe("change freeze year-end until 2027-01-04T07:00:00.000Z");
    expect(freezeReason(pkg, at("2027-01-04T07:00:00Z"))).toBeUndefined();
    expect(freezeReason(pkg, at("2026-11-20T10:00:00Z"))).toBeUndefined();
    expect(freezeReason(emergencyRingSpecOf(model, 0), at("2026-12-24T00:00:00Z"))).toBeUndefined();
    expect(freezeReason(asgImageRingSpecOf(model, 0), at("2026-12-24T00:00:00Z"))).toBe("change freeze year-end until 2027-01-04T07:00:00.000Z");
    const { freezes: _none, ...unfrozen } = pkg;
    expect(freezeReason(unfrozen, at("2026-12-24T00:00:00Z"))).toBeUndefined();
  });
});

describe("maintenance windows under change freezes (member tree)", () => {
  const weekend: FreezeWindow = { kind: "weekly", name: "weekend", timeZone: "Europe/Berlin", days: ["Friday"], at: "16:00", durationMinutes: 3840 };
  const yearEnd: FreezeWindow = { kind: "once", name: "year-end", timeZone: "America/New_York", start: "2027-12-23T18:00", end: "2028-01-03T08:00" };
  const patching = (): Patching => {
    const parsed = PatchingSchema.parse({ environments: { Dev: { weekday: "Tuesday", startHour: 22 }, Test: { operation: "Scan" } } });
    const issues: ConfigIssue[] = [];
    const resolved = resolvePatching(parsed, { centralAccount: "222222222222", homeRegion: "us-east-1" }, issues);
    expect(issues).toEqual([]);
    return resolved!;
  };
  const synth = (freezes?: readonly FreezeWindow[]): any => {
    const app = Testing.app({ fakeCdktfJsonPath: true });
    const stack = new FleetStack(app, "global", { homeRegion: "us-east-1", mode: "aft" });
    new PatchingMember(stack, "Patching", { patching: patching(), regions: ["us-east-1", "eu-west-1"], homeRegion: "us-east-1", ...(freezes ? { freezes } : {}) });
    return JSON.parse(Testing.synth(stack));
  };
  const documents = (tree: any): any[] => Object.values<any>(tree.resource.aws_ssm_document ?? {});
  const tasks = (tree: any): any[] => Object.values<any>(tree.resource.aws_ssm_maintenance_window_task);
  const statements = (tree: any): any[] => Object.values<any>(tree.resource.aws_iam_role_policy).flatMap((p) => JSON.parse(p.policy).Statement);

  it("without freezes: no calendar, and the windows run AWS-RunPatchBaseline as Run Command tasks", () => {
    const tree = synth();
    expect(documents(tree).filter((d) => d.document_type === "ChangeCalendar")).toEqual([]);
    for (const t of tasks(tree)) expect(t).toMatchObject({ task_type: "RUN_COMMAND", task_arn: "AWS-RunPatchBaseline" });
    expect(statements(tree).map((s) => s.Sid)).not.toContain("ReadFreezeCalendar");
  });

  it("with freezes: a DEFAULT_OPEN Change Calendar and the runbook in every Region; each task runs the runbook per node with the window's operation", () => {
    const tree = synth([weekend, yearEnd]);
    const calendars = documents(tree).filter((d) => d.document_type === "ChangeCalendar");
    expect(calendars.map((d) => [d.name, d.region, d.document_format]).sort()).toEqual([
      [FREEZE_CALENDAR_NAME, "eu-west-1", "TEXT"],
      [FREEZE_CALENDAR_NAME, "us-east-1", "TEXT"],
    ]);
    expect(calendars[0].content).toBe(freezeCalendarContent([weekend, yearEnd]));
    const runbooks = documents(tree).filter((d) => d.name === PATCH_UNLESS_FROZEN_RUNBOOK);
    expect(runbooks.map((d) => [d.region, d.document_type, d.document_format]).sort()).toEqual([
      ["eu-west-1", "Automation", "YAML"],
      ["us-east-1", "Automation", "YAML"],
    ]);
    for (const t of tasks(tree)) {
      expect(t.task_type).toBe("AUTOMATION");
      expect(t.task_arn).toMatch(/^\$\{aws_ssm_document\.patching_[a-z0-9_]+_patch_unless_frozen_runbook\.name\}$/);
      expect(t.task_invocation_parameters.run_command_parameters).toBeUndefined();
    }
    const test = tasks(tree).find((t) => t.region === "us-east-1" && t.description.includes("Scan"));
    expect(test.task_invocation_parameters.automation_parameters.parameter).toEqual([
      { name: "AutomationAssumeRole", values: ["${aws_iam_role.patching_maintenance_window_role.arn}"] },
      { name: "InstanceId", values: ["{{TARGET_ID}}"] },
      { name: "Operation", values: ["Scan"] },
      { name: "RebootOption", values: ["RebootIfNeeded"] },
    ]);
    const sids = statements(tree).map((s) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining(["RunPatchRunbookUnlessFrozen", "FollowPatchRunbook", "ReadFreezeCalendar", "PassItselfToTheRunbook"]));
    const read = statements(tree).find((s) => s.Sid === "ReadFreezeCalendar");
    expect(read.Resource).toEqual([
      "arn:aws:ssm:us-east-1:${data.aws_caller_identity.patching_account_7FE8F5C8.account_id}:document/aft-fleet-change-freezes",
      "arn:aws:ssm:eu-west-1:${data.aws_caller_identity.patching_account_7FE8F5C8.account_id}:document/aft-fleet-change-freezes",
    ].map((r) => expect.stringMatching(new RegExp(`^${r.replace(/[$.{}]/g, "\\$&").replace(/patching_account_7FE8F5C8/, "[a-z0-9_A-Z]+")}$`))));
    expect(statements(tree).find((s) => s.Sid === "PassItselfToTheRunbook").Condition).toEqual({ StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } });
  });

  it("the runbook installs only while the calendar is OPEN and the window's operation is Install; otherwise it scans without reboot", () => {
    const runbook = YAML.parse(patchUnlessFrozenRunbook());
    const [read, branch, install, scan] = runbook.mainSteps;
    expect(read).toMatchObject({ action: "aws:executeAwsApi", inputs: { Service: "ssm", Api: "GetCalendarState", CalendarNames: ["{{ CalendarName }}"] }, outputs: [{ Name: "State", Selector: "$.State" }] });
    expect(runbook.parameters.CalendarName.default).toBe(FREEZE_CALENDAR_NAME);
    expect(branch.inputs.Choices).toEqual([{ And: [{ Variable: "{{ ReadFreezeCalendar.State }}", StringEquals: "OPEN" }, { Variable: "{{ Operation }}", StringEquals: "Install" }], NextStep: install.name }]);
    expect(branch.inputs.Default).toBe(scan.name);
    expect(install.inputs).toEqual({ DocumentName: "AWS-RunPatchBaseline", InstanceIds: ["{{ InstanceId }}"], Parameters: { Operation: "{{ Operation }}", RebootOption: "{{ RebootOption }}" } });
    expect(scan.inputs.Parameters).toEqual({ Operation: "Scan", RebootOption: "NoReboot" });
  });

  it("writes one-off freezes as UTC instants and weekly ones with their zone's VTIMEZONE, exact durations and a weekly rule", () => {
    const text = freezeCalendarContent([weekend, yearEnd, { ...newYorkWeekend, name: "ny-weekend", days: ["Friday", "Saturday"] }]);
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split("\r\n").every((line) => line.length <= 75)).toBe(true); // RFC 5545 3.1: no folding needed
    const lines = text.trimEnd().split("\r\n");
    expect(lines.slice(0, 4)).toEqual(["BEGIN:VCALENDAR", "PRODID:-//AWS//Change Calendar 1.0//EN", "VERSION:2.0", "X-CALENDAR-TYPE:DEFAULT_OPEN"]);
    const block = (start: string): string[] => {
      const i = lines.indexOf(start);
      return lines.slice(i, lines.indexOf(start.replace("BEGIN", "END"), i) + 1);
    };
    // Europe/Berlin: last Sunday of March 02:00 -> +0200, last Sunday of October 03:00 -> +0100.
    expect(vtimezone("Europe/Berlin")).toEqual([
      "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
      "BEGIN:DAYLIGHT", "DTSTART:20250330T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
      "BEGIN:STANDARD", "DTSTART:20251026T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
      "END:VTIMEZONE",
    ]);
    // America/New_York: second Sunday of March, first Sunday of November, both at 02:00.
    expect(vtimezone("America/New_York")).toEqual([
      "BEGIN:VTIMEZONE", "TZID:America/New_York",
      "BEGIN:DAYLIGHT", "DTSTART:20250309T020000", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "END:DAYLIGHT",
      "BEGIN:STANDARD", "DTSTART:20251102T020000", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "END:STANDARD",
      "END:VTIMEZONE",
    ]);
    expect(vtimezone("UTC")).toEqual(["BEGIN:VTIMEZONE", "TZID:UTC", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0000", "END:STANDARD", "END:VTIMEZONE"]);
    expect(lines.filter((l) => l === "BEGIN:VTIMEZONE")).toHaveLength(2); // one per zone a weekly event uses
    const events: string[][] = [];
    for (let i = lines.indexOf("BEGIN:VEVENT"); i >= 0; i = lines.indexOf("BEGIN:VEVENT", i + 1)) events.push(lines.slice(i, lines.indexOf("END:VEVENT", i) + 1));
    expect(block("BEGIN:VCALENDAR").at(-1)).toBe("END:VCALENDAR");
    expect(events.map((e) => e.find((l) => l.startsWith("UID:")))).toEqual(["UID:weekend@aft-fleet", "UID:year-end@aft-fleet", "UID:ny-weekend@aft-fleet"]);
    expect(events[0]).toEqual(expect.arrayContaining(["DTSTART;TZID=Europe/Berlin:20260102T160000", "DURATION:PT3840M", "RRULE:FREQ=WEEKLY;BYDAY=FR"]));
    // 2027-12-23 18:00 EST = 23:00Z; 2028-01-03 08:00 EST = 13:00Z.
    expect(events[1]).toEqual(expect.arrayContaining(["DTSTART:20271223T230000Z", "DTEND:20280103T130000Z"]));
    expect(events[2]).toEqual(expect.arrayContaining(["DTSTART;TZID=America/New_York:20260102T160000", "RRULE:FREQ=WEEKLY;BYDAY=FR,SA"]));
    expect(freezeCalendarContent([weekend, yearEnd])).toBe(freezeCalendarContent([weekend, yearEnd]));
  });
});

describe("the rollout report lists the freezes, their next occurrence and the ones the rollout overlaps", () => {
  const model = () =>
    load(
      withFreezes({
        weekend: { timeZone: "Europe/Berlin", weekly: { days: ["Friday"], at: "16:00", duration: "64h" } },
        "year-end": { timeZone: "Europe/Berlin", start: "2027-12-23T18:00", end: "2028-01-03T08:00" },
      }),
    );
  const report = (now?: Date) => renderReport({ after: model(), before: { kind: "unknown", why: "no base" }, trees: { unavailable: "no base" }, ...(now ? { now } : {}) });
  const section = (md: string) => md.split(/^## /m).find((s) => s.startsWith("Change freezes")) ?? "";

  it("with the time of the report: next occurrences, one holding now, and the overlap with the estimate", () => {
    // Friday 2026-11-20 15:30Z: the weekend freeze (Fri 16:00 CET = 15:00Z) holds.
    const md = section(report(at("2026-11-20T15:30:00Z")));
    expect(md).toContain("| `weekend` | every Friday at 16:00 Europe/Berlin, for 2 d 16 h | **holds now**, 2026-11-20 15:00Z to 2026-11-23 07:00Z |");
    expect(md).toContain("| `year-end` | 2027-12-23 18:00 to 2028-01-03 08:00 Europe/Berlin | 2027-12-23 17:00Z to 2028-01-03 07:00Z |");
    expect(md).toContain("overlaps `weekend`: rings start no pairs while a freeze holds, so it ends later than estimated.**");
    expect(md).toContain("(emergency and Auto Scaling campaigns too, unless they set overrideFreezes)");
  });

  it("says when the rollout overlaps none", () => {
    expect(section(report(at("2026-11-17T08:00:00Z")))).toMatch(/The estimated rollout \(from now, 2026-11-17 08:00Z, for [^)]+\) overlaps no freeze\./);
  });

  it("without the time: lists the freezes only, so the report stays the same at any time", () => {
    const md = section(report());
    expect(md).toContain("| freeze | when |\n|---|---|\n| `weekend` | every Friday at 16:00 Europe/Berlin, for 2 d 16 h |");
    expect(md).not.toContain("next occurrence");
    expect(report()).toBe(report());
  });

  it("has no section without freezes", () => {
    expect(renderReport({ after: load(baseConfig()), before: { kind: "unknown", why: "no base" }, trees: { unavailable: "no base" }, now: at("2026-11-20T15:30:00Z") })).not.toContain("Change freezes");
  });
});
