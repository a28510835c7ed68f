/*
 * The report's "Change freezes" section: the configured freezes, and, given the time the report is made,
 * each one's next occurrence and whether it overlaps the estimated rollout (no ring starts pairs while a
 * freeze holds, so an overlapping rollout ends later than estimated). Pure: `now` is an input.
 */
import { type FreezeWindow, nextOccurrence, occurrencesOf } from "../../contract/freezes";
import type { FleetModel } from "../config/model";
import { formatMinutes } from "./estimate";

const code = (s: string) => `\`${s}\``;
const iso = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")}Z`;

function whenText(w: FreezeWindow): string {
  if (w.kind === "once") return `${w.start.replace("T", " ")} to ${w.end.replace("T", " ")} ${w.timeZone}`;
  return `every ${w.days.join(", ")} at ${w.at} ${w.timeZone}, for ${formatMinutes(w.durationMinutes)}`;
}

/**
 * Lines of the section, or none without freezes. With `now`, the next occurrence of each freeze (the one
 * holding now, else the next within the evaluator's horizon) and the freezes that overlap [now, now + rolloutMinutes].
 */
export function freezeSection(model: FleetModel, now: Date | undefined, rolloutMinutes: number): string[] {
  const freezes = model.freezes;
  if (!freezes || freezes.windows.length === 0) return [];
  const overrides = [freezes.emergencyOverrides ? "the emergency campaign" : "", freezes.autoScalingOverrides ? "the Auto Scaling campaign" : ""].filter(Boolean);
  const lines = [
    "## Change freezes",
    "",
    "While a freeze holds, no ring and no controller job starts new pairs" +
      (overrides.length ? ` (${overrides.join(" and ")} ${overrides.length === 1 ? "overrides" : "override"} them: overrideFreezes)` : " (emergency and Auto Scaling campaigns too, unless they set overrideFreezes)") +
      ", pairs in flight are still read back, and maintenance windows scan instead of installing, in every account and Region.",
    "",
    now ? "| freeze | when | next occurrence (UTC) |" : "| freeze | when |",
    now ? "|---|---|---|" : "|---|---|",
  ];
  for (const w of freezes.windows) {
    if (!now) {
      lines.push(`| ${code(w.name)} | ${whenText(w)} |`);
      continue;
    }
    const next = nextOccurrence(w, now);
    const cell = next ? `${next.start.getTime() <= now.getTime() ? "**holds now**, " : ""}${iso(next.start)} to ${iso(next.end)}` : "none within a year";
    lines.push(`| ${code(w.name)} | ${whenText(w)} | ${cell} |`);
  }
  lines.push("");
  if (now && rolloutMinutes > 0) {
    const until = new Date(now.getTime() + rolloutMinutes * 60_000);
    const overlapping = freezes.windows.filter((w) => occurrencesOf(w, now, until).length > 0).map((w) => code(w.name));
    lines.push(
      overlapping.length
        ? `**The estimated rollout (from now, ${iso(now)}, for ${formatMinutes(rolloutMinutes)}) overlaps ${overlapping.join(", ")}: rings start no pairs while a freeze holds, so it ends later than estimated.**`
        : `The estimated rollout (from now, ${iso(now)}, for ${formatMinutes(rolloutMinutes)}) overlaps no freeze.`,
      "",
    );
  }
  return lines;
}
