/*
 * The optional `freezes` section: named change freezes, one-off (start and end) or weekly (days, time,
 * duration), each in an IANA time zone. While one holds, no ring starts new pairs, no emergency or Auto
 * Scaling campaign starts new pairs unless it says `overrideFreezes: true`, and no maintenance window
 * installs patches (docs/freezes.md). The schema checks one field at a time; resolveFreezes checks what
 * needs more than one (start before end, exactly one of one-off or weekly) and returns the model.
 */
import { z } from "zod";
import {
  FREEZE_WEEKDAYS,
  type FreezeWindow,
  isKnownTimeZone,
  LOCAL_DATE_TIME,
  LOCAL_TIME,
  parseLocalDateTime,
  parseLocalTime,
  zonedInstant,
} from "../../contract/freezes";
import type { ConfigIssue } from "./errors";
import { showValue } from "./errors";
import type { FleetConfig } from "./schema";

/** Freeze names appear in run summaries and as Change Calendar event UIDs: aft-fleet's ring-name rule. */
const FREEZE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** A weekly freeze lasts less than a week, so its occurrences never run into each other by themselves. */
const FREEZE_DURATION_MAX_MINUTES = 7 * 24 * 60 - 1;
const DURATION = /^([1-9]\d{0,4})(m|h|d)$/;

const ZONE_TEXT = "an IANA time zone name such as Europe/Berlin, America/New_York or UTC";
const timeZoneField = () =>
  z
    .string({ error: ZONE_TEXT })
    .refine(isKnownTimeZone, { error: `${ZONE_TEXT} (one that Node's Intl knows)` })
    // Intl matches zone names in any letter case; the calendar's TZID should carry the tz database's spelling.
    .refine((zone) => !isKnownTimeZone(zone) || !caseOnlyVariant(zone), { error: `${ZONE_TEXT}, spelled as in the tz database (letter case matters)` })
    .describe("IANA time zone of the start, end and at times, e.g. Europe/Berlin. Daylight saving time is followed.");

const LOCAL_DATE_TIME_TEXT = 'a local date and time "YYYY-MM-DDTHH:MM" (no offset: the window\'s timeZone applies), e.g. "2026-12-23T18:00"';
const localDateTime = () =>
  z
    .string({ error: LOCAL_DATE_TIME_TEXT })
    .regex(LOCAL_DATE_TIME, { error: LOCAL_DATE_TIME_TEXT })
    .refine((text) => parseLocalDateTime(text) !== undefined, { error: `${LOCAL_DATE_TIME_TEXT}: a real calendar date and time` });

const LOCAL_TIME_TEXT = 'a local time "HH:MM" (00:00-23:59), e.g. "16:00"';
const DURATION_TEXT = 'a duration such as "90m", "64h" or "2d", less than a week';

const FreezeWindowSchema = z
  .strictObject({
    timeZone: timeZoneField(),
    start: localDateTime().optional().describe("One-off freeze: when it starts (local time in timeZone). With end; not with weekly."),
    end: localDateTime().optional().describe("One-off freeze: when it ends (local time in timeZone, after start). With start; not with weekly."),
    weekly: z
      .strictObject({
        days: z
          .array(z.enum(FREEZE_WEEKDAYS, { error: FREEZE_WEEKDAYS.join(", ") }))
          .min(1, { error: "at least one weekday" })
          .describe("Weekdays the freeze starts on, e.g. [Friday]."),
        at: z
          .string({ error: LOCAL_TIME_TEXT })
          .regex(LOCAL_TIME, { error: LOCAL_TIME_TEXT })
          .refine((text) => parseLocalTime(text) !== undefined, { error: LOCAL_TIME_TEXT })
          .describe("Local time (timeZone) the freeze starts on each of days."),
        duration: z
          .string({ error: DURATION_TEXT })
          .regex(DURATION, { error: DURATION_TEXT })
          .describe("How long each occurrence lasts, in elapsed time (a 64h freeze across a DST change is still 64 hours)."),
      })
      .optional()
      .describe("Recurring freeze: every week on days at a local time, for duration. Not with start/end."),
  })
  .describe("One change freeze: start and end, or weekly, in timeZone.");

export const FreezesSchema = z
  .record(z.string().regex(FREEZE_NAME, { error: "a freeze name: lowercase letters, digits and '-', starting with a letter (at most 32)" }), FreezeWindowSchema)
  .describe(
    "Change freezes by name. While one holds: no ring and no controller job starts new pairs, no emergency or Auto Scaling campaign starts new pairs unless it says overrideFreezes: true, and no maintenance window installs patches (they scan instead), in every account and Region.",
  );

/** A campaign's opt-out of the freezes (emergency, autoScaling). */
export const overrideFreezesField = () =>
  z
    .boolean({ error: "true or false" })
    .optional()
    .describe("true: this campaign starts new pairs during change freezes too (maintenance windows still do not install in a freeze).");

/** Whether `zone` is a known zone written in another letter case than Intl resolves it to ("europe/berlin"). */
function caseOnlyVariant(zone: string): boolean {
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  return resolved !== zone && resolved.toLowerCase() === zone.toLowerCase();
}

/** The resolved `freezes` section. */
export interface Freezes {
  /** Sorted by name. */
  readonly windows: readonly FreezeWindow[];
  /** `patching.emergency.overrideFreezes`. */
  readonly emergencyOverrides: boolean;
  /** `patching.autoScaling.overrideFreezes`. */
  readonly autoScalingOverrides: boolean;
}

function durationMinutes(text: string): number {
  const m = DURATION.exec(text)!;
  const n = Number(m[1]);
  return m[2] === "m" ? n : m[2] === "h" ? n * 60 : n * 1440;
}

/** The `freezes` model, or undefined without a `freezes` section; problems go to `issues` (paths under `freezes.`). */
export function resolveFreezes(cfg: Pick<FleetConfig, "freezes" | "patching">, issues: ConfigIssue[]): Freezes | undefined {
  const section = cfg.freezes;
  if (section === undefined) return undefined;
  const windows: FreezeWindow[] = [];
  for (const name of Object.keys(section).sort()) {
    const w = section[name]!;
    const where = `freezes.${name}`;
    const oneOff = w.start !== undefined || w.end !== undefined;
    if (oneOff && w.weekly !== undefined) {
      issues.push({ path: `${where}.weekly`, value: "weekly with start/end", allowed: "either start and end (a one-off freeze) or weekly (a recurring one), not both" });
      continue;
    }
    if (!oneOff && w.weekly === undefined) {
      issues.push({ path: where, value: "a freeze with neither start/end nor weekly", allowed: "start and end (a one-off freeze) or weekly: { days, at, duration } (a recurring one)" });
      continue;
    }
    if (w.weekly !== undefined) {
      const minutes = durationMinutes(w.weekly.duration);
      if (minutes > FREEZE_DURATION_MAX_MINUTES) {
        issues.push({ path: `${where}.weekly.duration`, value: showValue(w.weekly.duration), allowed: `${DURATION_TEXT} (at most ${FREEZE_DURATION_MAX_MINUTES} minutes)` });
        continue;
      }
      const seen = new Set<string>();
      w.weekly.days.forEach((d, i) => {
        if (seen.has(d)) issues.push({ path: `${where}.weekly.days[${i}]`, value: showValue(d), allowed: "each weekday once" });
        seen.add(d);
      });
      const days = FREEZE_WEEKDAYS.filter((d) => seen.has(d));
      windows.push({ kind: "weekly", name, timeZone: w.timeZone, days, at: w.weekly.at, durationMinutes: minutes });
      continue;
    }
    if (w.start === undefined || w.end === undefined) {
      const missing = w.start === undefined ? "start" : "end";
      issues.push({ path: `${where}.${missing}`, value: undefined, allowed: `${LOCAL_DATE_TIME_TEXT}: a one-off freeze needs both start and end` });
      continue;
    }
    const start = zonedInstant(parseLocalDateTime(w.start)!, w.timeZone);
    const end = zonedInstant(parseLocalDateTime(w.end)!, w.timeZone);
    if (end <= start) {
      issues.push({ path: `${where}.end`, value: showValue(w.end), allowed: `a local date and time after start (${w.start} ${w.timeZone})` });
      continue;
    }
    windows.push({ kind: "once", name, timeZone: w.timeZone, start: w.start, end: w.end });
  }
  return {
    windows,
    emergencyOverrides: cfg.patching?.emergency?.overrideFreezes === true,
    autoScalingOverrides: cfg.patching?.autoScaling?.overrideFreezes === true,
  };
}
