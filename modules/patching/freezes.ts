/*
 * Change freezes in the member tree: the Change Calendar that holds them and the runbook a maintenance
 * window runs instead of AWS-RunPatchBaseline when the config has freezes.
 *
 * What AWS documents (docs/freezes.md has the sources):
 * - a Change Calendar is an SSM document of type ChangeCalendar whose content is iCalendar 2.0 text
 *   (DocumentFormat TEXT); `X-CALENDAR-TYPE:DEFAULT_OPEN` means actions may run except during its events
 *   (User Guide, "AWS Systems Manager Change Calendar"; CloudFormation AWS::SSM::Document, example
 *   "Create a Systems Manager Change Calendar document");
 * - maintenance windows cannot consult a calendar: CreateMaintenanceWindow, RegisterTaskWithMaintenanceWindow
 *   and MaintenanceWindowRunCommandParameters have no calendar field (API Reference; botocore
 *   ssm/2014-11-06 service-2.json), unlike CreateAssociation's CalendarNames;
 * - Automation honours a calendar through a step that calls GetCalendarState (User Guide, "Adding Change
 *   Calendar dependencies to Automation runbooks"), and a maintenance window can run an AUTOMATION task per
 *   target instance with the {{TARGET_ID}} pseudo parameter (User Guide, "About pseudo parameters").
 * So with freezes, each window runs this runbook per node: it reads the calendar, runs AWS-RunPatchBaseline
 * with the window's Install when the calendar is OPEN, and a Scan (NoReboot) when it is CLOSED.
 */
import { stringify } from "yaml";
import { FREEZE_WEEKDAYS, type FreezeWindow, parseLocalDateTime, parseLocalTime, utcOffsetAt, zonedInstant } from "../../contract/freezes";
import type { PolicyStatement } from "../iam/policy";

/** The Change Calendar document in every member account and workload Region. */
export const FREEZE_CALENDAR_NAME = "aft-fleet-change-freezes";
/** The runbook every maintenance window task runs per node when the config has freezes. */
export const PATCH_UNLESS_FROZEN_RUNBOOK = "aft-fleet-RunPatchBaselineUnlessFrozen";

const DAY = 86_400_000;
/** Weekly events start on their first day on or after this date (a fixed anchor keeps the content stable). */
const WEEKLY_ANCHOR = Date.UTC(2026, 0, 1);
/** The year whose transitions describe each zone's VTIMEZONE (its rules as Node's ICU data has them). */
const VTIMEZONE_RULES_YEAR = 2025;
/** DTSTAMP of every event: fixed, so two synths are byte-identical. */
const DTSTAMP = "20260101T000000Z";
const BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** iCalendar DATE-TIME of a wall-clock time (fields of a UTC date), without a zone suffix. */
function icsLocal(wall: number): string {
  const d = new Date(wall);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}00`;
}

function icsUtc(instant: number): string {
  return `${icsLocal(instant)}Z`;
}

function icsOffset(ms: number): string {
  const sign = ms < 0 ? "-" : "+";
  const minutes = Math.abs(ms) / 60_000;
  return `${sign}${pad(Math.floor(minutes / 60))}${pad(minutes % 60)}`;
}

interface Transition {
  readonly instant: number;
  readonly from: number;
  readonly to: number;
}

/** The zone's UTC offset changes in `year`, found day by day and then to the minute. */
function transitionsIn(timeZone: string, year: number): Transition[] {
  const out: Transition[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  let t = Date.UTC(year, 0, 1);
  let offset = utcOffsetAt(t, timeZone);
  for (let next = t + DAY; next <= end; t = next, next += DAY) {
    const nextOffset = utcOffsetAt(next, timeZone);
    if (nextOffset === offset) continue;
    let lo = t;
    let hi = next;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (utcOffsetAt(mid, timeZone) === offset) lo = mid;
      else hi = mid;
    }
    out.push({ instant: hi, from: offset, to: nextOffset });
    offset = nextOffset;
  }
  return out;
}

/**
 * The zone's VTIMEZONE (RFC 5545 3.6.5: every TZID an event uses needs one), from its transitions in
 * VTIMEZONE_RULES_YEAR as yearly nth-weekday rules (BYDAY=-1SU for the last Sunday). A zone without daylight
 * saving time gets one STANDARD observance. Zones whose transitions follow no weekday-of-month rule are
 * described correctly for that year only (docs/freezes.md).
 */
export function vtimezone(timeZone: string): string[] {
  const transitions = transitionsIn(timeZone, VTIMEZONE_RULES_YEAR);
  const lines = ["BEGIN:VTIMEZONE", `TZID:${timeZone}`];
  if (transitions.length === 0) {
    const offset = icsOffset(utcOffsetAt(Date.UTC(VTIMEZONE_RULES_YEAR, 0, 1), timeZone));
    lines.push("BEGIN:STANDARD", "DTSTART:19700101T000000", `TZOFFSETFROM:${offset}`, `TZOFFSETTO:${offset}`, "END:STANDARD");
  }
  for (const tr of transitions) {
    // An observance's DTSTART is its onset in local time before the change (RFC 5545 3.6.5).
    const wall = tr.instant + tr.from;
    const d = new Date(wall);
    const monthDays = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    const day = d.getUTCDate();
    const nth = day + 7 > monthDays ? -1 : Math.ceil(day / 7);
    const kind = tr.to > tr.from ? "DAYLIGHT" : "STANDARD";
    lines.push(
      `BEGIN:${kind}`,
      `DTSTART:${icsLocal(wall)}`,
      `TZOFFSETFROM:${icsOffset(tr.from)}`,
      `TZOFFSETTO:${icsOffset(tr.to)}`,
      `RRULE:FREQ=YEARLY;BYMONTH=${d.getUTCMonth() + 1};BYDAY=${nth}${BYDAY[(d.getUTCDay() + 6) % 7]}`,
      `END:${kind}`,
    );
  }
  lines.push("END:VTIMEZONE");
  return lines;
}

function vevent(w: FreezeWindow): string[] {
  const head = ["BEGIN:VEVENT", `UID:${w.name}@aft-fleet`, `DTSTAMP:${DTSTAMP}`, `SUMMARY:aft-fleet change freeze ${w.name}`];
  if (w.kind === "once") {
    // One-off: exact instants in UTC, so the calendar needs no time zone for them.
    const start = zonedInstant(parseLocalDateTime(w.start)!, w.timeZone);
    const end = zonedInstant(parseLocalDateTime(w.end)!, w.timeZone);
    return [...head, `DTSTART:${icsUtc(start)}`, `DTEND:${icsUtc(end)}`, "END:VEVENT"];
  }
  const days = new Set(w.days.map((d) => FREEZE_WEEKDAYS.indexOf(d)));
  let first = WEEKLY_ANCHOR;
  while (!days.has((new Date(first).getUTCDay() + 6) % 7)) first += DAY;
  const at = parseLocalTime(w.at)!;
  return [
    ...head,
    `DTSTART;TZID=${w.timeZone}:${icsLocal(first + at * 60_000)}`,
    // An exact duration (RFC 5545 3.3.6 "PT...M"): the same elapsed time across a DST change, as the controller counts it.
    `DURATION:PT${w.durationMinutes}M`,
    `RRULE:FREQ=WEEKLY;BYDAY=${FREEZE_WEEKDAYS.filter((d) => w.days.includes(d)).map((d) => BYDAY[FREEZE_WEEKDAYS.indexOf(d)]).join(",")}`,
    "END:VEVENT",
  ];
}

/**
 * The Change Calendar's content: DEFAULT_OPEN (changes may run except during its events, when the state is
 * CLOSED), one event per freeze, CRLF line ends (RFC 5545 3.1). Deterministic: the same windows give the same text.
 */
export function freezeCalendarContent(windows: readonly FreezeWindow[]): string {
  const zones = [...new Set(windows.filter((w) => w.kind === "weekly").map((w) => w.timeZone))].sort();
  const lines = [
    "BEGIN:VCALENDAR",
    "PRODID:-//AWS//Change Calendar 1.0//EN",
    "VERSION:2.0",
    "X-CALENDAR-TYPE:DEFAULT_OPEN",
    "X-WR-CALDESC:aft-fleet change freezes",
    ...zones.flatMap(vtimezone),
    ...windows.flatMap(vevent),
    "END:VCALENDAR",
  ];
  return `${lines.map(fold).join("\r\n")}\r\n`;
}

/** RFC 5545 3.1: lines longer than 75 octets continue on the next line after CRLF and one space (all ASCII here). */
function fold(line: string): string {
  const parts: string[] = [];
  for (let rest = line, width = 75; rest.length > 0; width = 74) {
    parts.push(rest.slice(0, width));
    rest = rest.slice(width);
  }
  return parts.join("\r\n ");
}

/**
 * The runbook (schema 0.3) a window runs per node instead of AWS-RunPatchBaseline: GetCalendarState on the
 * freeze calendar (aws:executeAwsApi), then AWS-RunPatchBaseline (aws:runCommand) with the window's operation
 * and reboot option while the calendar is OPEN, or Scan with NoReboot while it is CLOSED (a freeze): scans
 * may run, installs may not. Every value arrives as a parameter; no config text is in the runbook.
 */
export function patchUnlessFrozenRunbook(): string {
  const patch = (operation: string, reboot: string) => ({
    DocumentName: "AWS-RunPatchBaseline",
    InstanceIds: ["{{ InstanceId }}"],
    Parameters: { Operation: operation, RebootOption: reboot },
  });
  return stringify(
    {
      description: "aft-fleet: AWS-RunPatchBaseline on one node, unless a change freeze holds (the Change Calendar is CLOSED): then a Scan without reboot.",
      schemaVersion: "0.3",
      assumeRole: "{{ AutomationAssumeRole }}",
      parameters: {
        AutomationAssumeRole: { type: "String", description: "The maintenance window's role." },
        InstanceId: { type: "String", description: "The node ({{TARGET_ID}} of the window task)." },
        Operation: { type: "String", allowedValues: ["Scan", "Install"], description: "The window's AWS-RunPatchBaseline Operation." },
        RebootOption: { type: "String", allowedValues: ["RebootIfNeeded", "NoReboot"], description: "The window's AWS-RunPatchBaseline RebootOption." },
        CalendarName: { type: "String", default: FREEZE_CALENDAR_NAME, description: "The Change Calendar that holds the freezes." },
      },
      mainSteps: [
        {
          name: "ReadFreezeCalendar",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "GetCalendarState", CalendarNames: ["{{ CalendarName }}"] },
          outputs: [{ Name: "State", Selector: "$.State", Type: "String" }],
          nextStep: "InstallOrScan",
        },
        {
          name: "InstallOrScan",
          action: "aws:branch",
          inputs: {
            Choices: [{ And: [{ Variable: "{{ ReadFreezeCalendar.State }}", StringEquals: "OPEN" }, { Variable: "{{ Operation }}", StringEquals: "Install" }], NextStep: "PatchAsScheduled" }],
            Default: "ScanOnly",
          },
        },
        { name: "PatchAsScheduled", action: "aws:runCommand", timeoutSeconds: 7200, inputs: patch("{{ Operation }}", "{{ RebootOption }}"), isEnd: true },
        { name: "ScanOnly", action: "aws:runCommand", timeoutSeconds: 7200, inputs: patch("Scan", "NoReboot"), isEnd: true },
      ],
    },
    { lineWidth: 0 },
  );
}

/**
 * What the maintenance window role needs beyond SendCommand when its tasks run the runbook (it is the
 * task's service role and the runbook's AutomationAssumeRole): start the runbook and follow its executions
 * (User Guide, "Control access to maintenance windows": the window role's AmazonSSMMaintenanceWindowRole
 * allows ssm:StartAutomationExecution and ssm:GetAutomationExecution), pass itself to ssm.amazonaws.com as
 * the runbook's AutomationAssumeRole (IAM User Guide, "Granting a user permissions to pass a role to an AWS
 * service"), and read the freeze calendar's state
 * (GetCalendarState takes the calendar document as its resource, as the AWS managed Quick Setup scheduler
 * policy grants it on document/AWSQuickSetup-ChangeCalendar*).
 */
export function freezeTaskStatements(partition: string, account: string, regions: readonly string[], roleArn: string): PolicyStatement[] {
  return [
    {
      Sid: "RunPatchRunbookUnlessFrozen",
      Effect: "Allow",
      Action: "ssm:StartAutomationExecution",
      Resource: regions.map((r) => `arn:${partition}:ssm:${r}:${account}:automation-definition/${PATCH_UNLESS_FROZEN_RUNBOOK}:*`),
    },
    {
      Sid: "FollowPatchRunbook",
      Effect: "Allow",
      Action: "ssm:GetAutomationExecution",
      Resource: regions.map((r) => `arn:${partition}:ssm:${r}:${account}:automation-execution/*`),
    },
    {
      Sid: "ReadFreezeCalendar",
      Effect: "Allow",
      Action: "ssm:GetCalendarState",
      Resource: regions.map((r) => `arn:${partition}:ssm:${r}:${account}:document/${FREEZE_CALENDAR_NAME}`),
    },
    {
      Sid: "PassItselfToTheRunbook",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: roleArn,
      Condition: { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } },
    },
  ];
}
