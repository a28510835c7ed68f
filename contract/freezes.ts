/*
 * Change freezes: named windows in which nothing new starts (ring pairs, campaigns, patch installs).
 * Pure data and a pure evaluator, shared by the config (validation), the ring specs the controller reads,
 * the member tree's Change Calendar and the rollout report. It imports nothing.
 *
 * Local date-times are wall-clock times in the window's IANA time zone, resolved with `Intl` the way
 * iCalendar resolves a `DTSTART;TZID=...` (RFC 5545, 3.3.5 "DATE-TIME", form #3): a local time that
 * occurs twice (the hour the clocks go back) means its first occurrence; a local time that does not occur
 * (the hour the clocks go forward) is read with the UTC offset before the gap, so 02:30 on a spring-forward
 * night is 03:30 daylight time. So the controller, the report and the Change Calendar agree.
 */

/** Weekdays as the config spells them, Monday first (ISO 8601 order). */
export const FREEZE_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export type FreezeWeekday = (typeof FREEZE_WEEKDAYS)[number];

/** A one-off freeze: from `start` to `end`, both local date-times `YYYY-MM-DDTHH:MM` in `timeZone`. */
export interface OneOffFreeze {
  readonly kind: "once";
  readonly name: string;
  readonly timeZone: string;
  readonly start: string;
  readonly end: string;
}

/**
 * A weekly freeze: on each of `days` at local time `at` (`HH:MM`, `timeZone`), for `durationMinutes`
 * of elapsed time (so a 64 h freeze that spans a DST change still lasts 64 h).
 */
export interface WeeklyFreeze {
  readonly kind: "weekly";
  readonly name: string;
  readonly timeZone: string;
  readonly days: readonly FreezeWeekday[];
  readonly at: string;
  readonly durationMinutes: number;
}

export type FreezeWindow = OneOffFreeze | WeeklyFreeze;

/** One occurrence of a window: [start, end). */
export interface FreezeOccurrence {
  readonly window: FreezeWindow;
  readonly start: Date;
  readonly end: Date;
}

export const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
export const LOCAL_TIME = /^(\d{2}):(\d{2})$/;

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `Intl` (full ICU in Node 20) knows the IANA zone name. */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The zone's wall clock at an instant, as milliseconds of a UTC date with the same fields. */
function wallClock(instant: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
}

/** UTC offset (ms, east positive) of the zone at an instant. */
export function utcOffsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClock(whole, timeZone) - whole;
}

/** The instant of a local wall-clock time (fields as a UTC date's milliseconds), RFC 5545 rules for gaps and overlaps. */
export function zonedInstant(wall: number, timeZone: string): number {
  const before = utcOffsetAt(wall - DAY, timeZone);
  const after = utcOffsetAt(wall + DAY, timeZone);
  if (before === after) return wall - before;
  const viaBefore = wall - before;
  const viaAfter = wall - after;
  const beforeHolds = utcOffsetAt(viaBefore, timeZone) === before;
  const afterHolds = utcOffsetAt(viaAfter, timeZone) === after;
  if (beforeHolds && afterHolds) return Math.min(viaBefore, viaAfter); // overlap: the first occurrence
  if (beforeHolds) return viaBefore;
  if (afterHolds) return viaAfter;
  return viaBefore; // gap: the offset before the gap
}

/** `YYYY-MM-DDTHH:MM` -> wall-clock milliseconds, or undefined when it is no real date and time. */
export function parseLocalDateTime(text: string): number | undefined {
  const m = LOCAL_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || d < 1) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return wall;
}

/** `HH:MM` -> minutes after midnight, or undefined. */
export function parseLocalTime(text: string): number | undefined {
  const m = LOCAL_TIME.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  return h > 23 || mi > 59 ? undefined : h * 60 + mi;
}

/** ISO weekday index (Monday 0) of a wall-clock day. */
function weekdayIndex(wall: number): number {
  return (new Date(wall).getUTCDay() + 6) % 7;
}

/** The occurrences of `window` that start in [from, to) or hold at `from`, in start order. */
export function occurrencesOf(window: FreezeWindow, from: Date, to: Date): FreezeOccurrence[] {
  const lo = from.getTime();
  const hi = to.getTime();
  if (window.kind === "once") {
    const start = zonedInstant(parseLocalDateTime(window.start)!, window.timeZone);
    const end = zonedInstant(parseLocalDateTime(window.end)!, window.timeZone);
    return end > lo && start < hi ? [{ window, start: new Date(start), end: new Date(end) }] : [];
  }
  const at = parseLocalTime(window.at)!;
  const days = new Set(window.days.map((d) => FREEZE_WEEKDAYS.indexOf(d)));
  const out: FreezeOccurrence[] = [];
  // Walk local days from (from - duration - 1 day) to (to + 1 day): covers offsets up to a day either way.
  const firstDay = Math.floor((wallClock(lo - window.durationMinutes * MINUTE, window.timeZone) - DAY) / DAY) * DAY;
  const lastDay = Math.floor((wallClock(hi, window.timeZone) + DAY) / DAY) * DAY;
  for (let day = firstDay; day <= lastDay; day += DAY) {
    if (!days.has(weekdayIndex(day))) continue;
    const start = zonedInstant(day + at * MINUTE, window.timeZone);
    const end = start + window.durationMinutes * MINUTE;
    if (end > lo && start < hi) out.push({ window, start: new Date(start), end: new Date(end) });
  }
  return out;
}

/** The occurrences of every window that hold at `now`, the one that ends last first (then by name). */
export function freezesHoldingAt(windows: readonly FreezeWindow[], now: Date): FreezeOccurrence[] {
  const t = now.getTime();
  return windows
    .flatMap((w) => occurrencesOf(w, now, new Date(t + 1)))
    .filter((o) => o.start.getTime() <= t && t < o.end.getTime())
    .sort((a, b) => b.end.getTime() - a.end.getTime() || (a.window.name < b.window.name ? -1 : a.window.name > b.window.name ? 1 : 0));
}

/** The freeze window that holds at `now` (the one whose occurrence ends last), or undefined. */
export function freezeAt(windows: readonly FreezeWindow[], now: Date): FreezeWindow | undefined {
  return freezesHoldingAt(windows, now)[0]?.window;
}

/** How far ahead nextFreezeChange looks. */
const FREEZE_HORIZON_DAYS = 400;

/**
 * The next instant after `now` at which "some freeze holds" changes: while frozen, when every freeze
 * that chains with the current one has ended; otherwise when the next freeze starts. Undefined when
 * nothing changes within FREEZE_HORIZON_DAYS.
 */
export function nextFreezeChange(windows: readonly FreezeWindow[], now: Date): Date | undefined {
  const t = now.getTime();
  const horizon = t + FREEZE_HORIZON_DAYS * DAY;
  const occurrences = windows.flatMap((w) => occurrencesOf(w, now, new Date(horizon))).sort((a, b) => a.start.getTime() - b.start.getTime());
  let frozenUntil: number | undefined;
  for (const o of occurrences) {
    const s = o.start.getTime();
    const e = o.end.getTime();
    if (frozenUntil === undefined) {
      if (s > t) return new Date(s);
      if (e > t) frozenUntil = e;
    } else if (s <= frozenUntil) {
      frozenUntil = Math.max(frozenUntil, e);
    } else {
      break;
    }
  }
  return frozenUntil !== undefined && frozenUntil <= horizon ? new Date(frozenUntil) : undefined;
}

/** The occurrence of `window` that holds at `now`, else its next one within the horizon, else undefined. */
export function nextOccurrence(window: FreezeWindow, now: Date): FreezeOccurrence | undefined {
  return occurrencesOf(window, now, new Date(now.getTime() + FREEZE_HORIZON_DAYS * DAY))[0];
}
