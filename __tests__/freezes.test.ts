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

  it("has no freezes without the section", () => {
    expect(load(baseConfig()).freezes).toBeUndefined();
  });

  it.each([
    ["an unknown time zone", { x: { timeZone: "Mars/Olympus", start: "2026-12-23T18:00", end: "2026-12-24T18:00" } }, 'fleet.json: freezes.x.timeZone: got "Mars/Olympus"; allowed: an IANA time zone name such as Europe/Berlin'],
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
