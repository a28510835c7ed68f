/*
 * A Mermaid flowchart of the rollout: package -> rings (in order, with versions) -> target groups ->
 * Regions. What the change touches carries class `changed` (rollbacks `rollback`), so it stands out in
 * the rendered PR comment. Labels keep to a safe character set: config text never becomes syntax.
 */
import type { FleetModel, TargetGroup } from "../config/model";
import type { Before, PackagePlan } from "./model-diff";
import { canonicalJson } from "./tree-diff";

/** Only characters that mean nothing to Mermaid inside a quoted label. */
function label(...lines: string[]): string {
  return `"${lines.map((l) => l.replace(/[^A-Za-z0-9 ._:/@+=,*()→-]/g, "_")).join("<br/>")}"`;
}

function versions(before: string | undefined, after: string | undefined, known: boolean): string {
  if (after === undefined) return `${before ?? "?"} → removed`;
  if (!known) return after;
  return before === undefined ? `new: ${after}` : before === after ? after : `${before} → ${after}`;
}

function groupText(g: TargetGroup): string {
  const parts = [`${g.accounts.length} account${g.accounts.length === 1 ? "" : "s"}`, `${g.organizationalUnits.length} OU${g.organizationalUnits.length === 1 ? "" : "s"}`];
  const tags = Object.keys(g.instanceTags);
  if (tags.length) parts.push(`tags ${tags.join(",")}`);
  return parts.join(", ");
}

export function rolloutFlowchart(plans: readonly PackagePlan[], after: FleetModel, before: Before): string {
  const known = before.kind === "known";
  const oldRegions = new Set(known ? before.model.organization.workloadRegions : after.organization.workloadRegions);
  const lines = ["flowchart LR"];
  const changed: string[] = [];
  const rolledBack: string[] = [];
  const mark = (id: string, change: string, groupChanged = false) => {
    if (change === "rollback") rolledBack.push(id);
    else if (known && (change !== "unchanged" || groupChanged)) changed.push(id);
  };
  plans.forEach((plan, p) => {
    const pkg = plan.after;
    if (!pkg) return;
    const pid = `p${p}`;
    lines.push(`  ${pid}[${label(pkg.name, `release ${versions(plan.before?.release, pkg.release, known)}`)}]`);
    mark(pid, plan.change);
    const regionIds = after.organization.workloadRegions.map((region, g) => {
      const id = `${pid}g${g}`;
      lines.push(`  ${id}([${label(region)}])`);
      if (known && !oldRegions.has(region)) changed.push(id);
      return id;
    });
    let previous = pid;
    plan.rings.forEach((ringPlan, r) => {
      const ring = ringPlan.ring;
      if (!ring) return;
      const rid = `${pid}r${r}`;
      const hold = ring.pin !== undefined ? " (pinned)" : "";
      lines.push(`  ${previous} --> ${rid}[${label(`${r + 1}. ${ring.name}${hold}`, versions(ringPlan.wantedBefore, ringPlan.wantedAfter, known))}]`);
      const oldRing = plan.before?.rings.find((o) => o.name === ring.name);
      const groupChanged = oldRing !== undefined && canonicalJson(oldRing.targetGroup) !== canonicalJson(ring.targetGroup);
      mark(rid, ringPlan.change);
      const tid = `${rid}t`;
      lines.push(`  ${rid} --> ${tid}[${label(`group ${ring.targetGroup.name}`, groupText(ring.targetGroup))}]`);
      if (known && (groupChanged || ringPlan.change === "new")) changed.push(tid);
      for (const gid of regionIds) lines.push(`  ${tid} --> ${gid}`);
      previous = rid;
    });
  });
  lines.push("  classDef changed fill:#fff3bf,stroke:#e67700,stroke-width:2px");
  lines.push("  classDef rollback fill:#ffe3e3,stroke:#c92a2a,stroke-width:2px");
  if (changed.length) lines.push(`  class ${changed.join(",")} changed`);
  if (rolledBack.length) lines.push(`  class ${rolledBack.join(",")} rollback`);
  return lines.join("\n");
}
