/*
 * Schedule expressions that State Manager accepts for associations ("Reference: Cron and rate
 * expressions for Systems Manager", AWS Systems Manager User Guide):
 * - rate(N unit): N a positive whole number, unit minute/hour/day, singular exactly when N is 1;
 *   associations run at most every 30 minutes.
 * - cron(...): [Seconds] Minutes Hours Day-of-month Month Day-of-week [Year] (five required fields, an
 *   optional leading Seconds field and trailing Year), as in EventBridge: seconds and minutes 0-59,
 *   hours 0-23, day-of-month 1-31 (`? L W`), month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT
 *   (`? L #`), year 1970-2199; one of day-of-month and day-of-week must be `?`.
 */

const MIN_ASSOCIATION_RATE_MINUTES = 30;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly question?: boolean;
  readonly extra?: RegExp;
}

const FIELDS: readonly CronField[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, question: true, extra: /^(L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: DAYS, question: true, extra: /^(([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/ },
  { name: "year", min: 1970, max: 2199 },
];

function value(token: string, f: CronField): number | undefined {
  const named = f.names?.indexOf(token.toUpperCase());
  if (named !== undefined && named >= 0) return named + f.min;
  if (!/^\d+$/.test(token)) return undefined;
  const n = Number(token);
  return n >= f.min && n <= f.max ? n : undefined;
}

function fieldProblem(text: string, f: CronField): string | undefined {
  if (text === "?" && f.question) return undefined;
  if (f.extra?.test(text.toUpperCase())) return undefined;
  for (const part of text.split(",")) {
    const [range, step, more] = part.split("/");
    if (more !== undefined || range === undefined || range === "") return `${f.name} "${text}"`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) return `${f.name} step "${step}"`;
    if (range === "*") continue;
    const [lo, hi, rest] = range.split("-");
    if (rest !== undefined || lo === undefined || value(lo, f) === undefined) return `${f.name} "${text}" (allowed ${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : ""})`;
    if (hi !== undefined && value(hi, f) === undefined) return `${f.name} "${text}" (allowed ${f.min}-${f.max})`;
  }
  return undefined;
}

/** What is wrong with an association schedule expression, or undefined when State Manager accepts it. */
export function scheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1) return "a rate of at least 1";
    if ((n === 1) !== !unit.endsWith("s")) return `"${n} ${unit}": the unit is singular for 1 and plural otherwise`;
    const minutes = n * (unit.startsWith("minute") ? 1 : unit.startsWith("hour") ? 60 : 1440);
    if (minutes < MIN_ASSOCIATION_RATE_MINUTES) return `a rate of at least ${MIN_ASSOCIATION_RATE_MINUTES} minutes for associations`;
    return undefined;
  }
  if (/^rate\(/.test(expression)) return "rate(N minutes|hours|days) with a whole number N";
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return "cron(...) or rate(...)";
  let fields = cron[1]!.trim().split(/\s+/);
  if (fields.length === 7) {
    const seconds = fields[0]!;
    if (!/^\d+$/.test(seconds) || Number(seconds) > 59) return `a cron seconds field "${seconds}" (allowed 0-59)`;
    fields = fields.slice(1);
  }
  if (fields.length !== 5 && fields.length !== 6) return `${fields.length} cron fields (minutes hours day-of-month month day-of-week, with optional seconds first and year last)`;
  for (let i = 0; i < fields.length; i++) {
    const problem = fieldProblem(fields[i]!, FIELDS[i]!);
    if (problem) return `a cron field ${problem}`;
  }
  if ((fields[2] === "?") === (fields[4] === "?")) return "a cron expression with ? in exactly one of day-of-month and day-of-week";
  return undefined;
}
