/*
 * What a patching change does to nodes, for the pull request: per maintenance window (every account and
 * workload Region: the member tree) and per emergency ring (its target group's accounts), which nodes
 * get patches installed and whether they may reboot. Pure: the models are already resolved.
 */
import type { FleetModel } from "../config/model";
import type { Patching } from "../config/patching";
import type { Before } from "./model-diff";

const code = (s: string) => `\`${s}\``;

function rebootText(operation: string, rebootOption: string): string {
  if (operation === "Scan") return "no install, no reboot (scan only)";
  return rebootOption === "NoReboot" ? "installs, **no reboot**" : "installs, **reboots when a patch needs it**";
}

function fingerprint(p: Patching | undefined): string {
  if (!p) return "";
  return JSON.stringify({ windows: p.windows, tag: p.tagUntagged, emergency: p.emergency ?? null, tagKey: p.environmentTag, optOut: p.optOutValue });
}

/** Lines of the "Patching" section, or none when patching did not change (or is absent on both sides). */
export function patchingSection(after: FleetModel, before: Before): string[] {
  const now = after.patching;
  const then = before.kind === "known" ? before.model.patching : undefined;
  if (before.kind === "known" && fingerprint(now) === fingerprint(then)) return [];
  if (!now && !then) return [];
  const lines = ["## Patching", ""];
  if (!now) return [...lines, "Patching is removed: no window patches or reboots nodes any more (baselines and windows are deleted in every account).", ""];
  const key = now.environmentTag;
  lines.push(
    `Maintenance windows are in the member tree: every account and workload Region (${after.organization.workloadRegions.join(", ")}). Nodes tagged ${code(`${key}=${now.optOutValue}`)} are left out.`,
    "",
    "| window | nodes | what happens | when (UTC) |",
    "|---|---|---|---|",
  );
  for (const w of now.windows) {
    lines.push(`| ${w.environment} | tagged ${code(`${key}=${w.environment}`)}, every account | ${w.operation}: ${rebootText(w.operation, w.rebootOption)} | ${w.runs.map((r) => r.when || r.schedule).join(", ")} (${w.durationHours} h) |`);
  }
  if (now.windows.length === 0) lines.push("| (none) | no node | nothing is installed and nothing reboots | - |");
  const removed = (then?.windows ?? []).filter((w) => !now.windows.some((n) => n.environment === w.environment)).map((w) => w.environment);
  if (removed.length) lines.push("", `Windows removed: ${removed.join(", ")} (their nodes are no longer patched on a schedule).`);
  if (now.tagUntagged.enabled) {
    lines.push("", `Untagged EC2 instances (not Auto Scaling, EKS or ECS) are tagged ${code(`${key}=Default`)} in every account and Region (${now.tagUntagged.schedule}), so they join the Default window and may reboot with it.`);
  }
  if (now.emergency) {
    const e = now.emergency;
    lines.push("", `Emergency campaign ${code(e.campaign)}: ${e.operation}, ${rebootText(e.operation, e.rebootOption)}, on nodes of the windows above, ring by ring:`, "");
    for (const ring of e.rings) {
      const g = ring.targetGroup;
      const where = [g.accounts.length ? `accounts ${g.accounts.join(", ")}` : "", g.organizationalUnits.length ? `OUs ${g.organizationalUnits.join(", ")}` : ""].filter(Boolean).join("; ");
      lines.push(`- ${ring.name}: ${code(g.name)} (${where || "no accounts"})`);
    }
  }
  lines.push("");
  return lines;
}
