/*
 * The report as Markdown, short enough for a PR comment: verdict, packages, emitted trees, warnings,
 * flowchart, ledger. Pure: every input is already read and resolved.
 */
import { concurrencyLimit, errorBudget } from "../../contract/rate";
import type { FleetModel, FleetPackage, RolloutRing } from "../config/model";
import { ASSUMED_ACCOUNTS_PER_OU, DEFAULT_INSTALL_MINUTES, estimatePackage, formatMinutes, type PackageEstimate, PASS_PAUSE_MINUTES, ringTargets, type RingTargets } from "./estimate";
import { type Ledgers, PAIR_STATUSES, statusCounts } from "./ledger";
import { rolloutFlowchart } from "./mermaid";
import { type Before, type PackagePlan, planPackages, type RingPlan } from "./model-diff";
import type { TreeDiff } from "./tree-diff";
import { fleetWarnings } from "./warnings";

export interface ReportInput {
  readonly after: FleetModel;
  readonly before: Before;
  /** How the base was named (`origin/main`, a folder); undefined without a base. */
  readonly baseLabel?: string;
  /** The tree diff against the base, or why there is none. */
  readonly trees: readonly TreeDiff[] | { readonly unavailable: string };
  readonly ledgers?: Ledgers;
  /** Minutes a node batch takes to install (the time model's pass length). @default 15 */
  readonly installMinutes?: number;
}

/** Addresses listed per tree before "… and N more": a PR comment has a size limit. */
const MAX_ADDRESSES_PER_TREE = 40;
const MAX_LISTED = 4;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : /s$/.test(word) ? "es" : "s"}`;
const code = (s: string) => `\`${s}\``;

function listOrCount(items: readonly string[], word: string): string {
  if (items.length === 0) return `no ${word}s`;
  return items.length <= MAX_LISTED ? `${word}${items.length === 1 ? "" : "s"} ${items.join(", ")}` : plural(items.length, word);
}

function durationText(seconds: number): string {
  if (seconds === 0) return "no bake";
  return seconds % 86400 === 0 ? `${seconds / 86400}d` : seconds % 3600 === 0 ? `${seconds / 3600}h` : `${Math.round(seconds / 60)}m`;
}

function versionCell(plan: RingPlan): string {
  const after = plan.wantedAfter ?? "removed";
  const held = plan.held ? ` **held at ${after} (pin)**` : "";
  switch (plan.change) {
    case "rollback":
      return `**rollback ${plan.wantedBefore} -> ${after}**${held}`;
    case "promotion":
      return `${plan.wantedBefore} -> ${after}${held}`;
    case "unchanged":
      return `${after} (unchanged)${held}`;
    case "new":
      return `new ring: ${after}${held}`;
    case "removed":
      return `${plan.wantedBefore} -> ring removed`;
    case "unknown":
      return `? -> ${after}${held}`;
  }
}

function gatesCell(pkg: FleetPackage, i: number, plan: RingPlan): string {
  const ring = pkg.rings[i]!;
  const own = ring.alarms.length ? `; stops on its alarms ${ring.alarms.join(", ")}` : "";
  if (ring.pin !== undefined) return `pinned: no gates${own}`;
  if (plan.change === "rollback") return `rollback: in ring order, no bake or alarm gates${own}`;
  const prev = pkg.rings[i - 1];
  if (!prev) return `first ring${own}`;
  const prevAlarms = prev.alarms.length ? `, alarms ${prev.alarms.join(", ")} OK` : ` (${prev.name} has no alarms)`;
  return `${prev.name} reached it + ${durationText(prev.bakeSeconds)}${prevAlarms}${own}`;
}

function targetsCell(ring: RolloutRing, t: RingTargets): string {
  const g = ring.targetGroup;
  const parts = [`${code(g.name)}: ${listOrCount(t.accounts, "account")}`, listOrCount(t.organizationalUnits, "OU")];
  const tags = Object.entries(g.instanceTags);
  parts.push(tags.length ? `nodes tagged ${tags.map(([k, v]) => `${k}=${v.join("|")}`).join(", ")}` : "all nodes");
  const excluded = [...t.excludedAccounts, ...t.excludedOus];
  if (excluded.length) parts.push(`excluded (earlier ring): ${listOrCount(excluded, "target")}`);
  return parts.join("; ");
}

function rateCell(ring: RolloutRing, pairs: number): string {
  return (
    `${ring.maxConcurrency} = ${concurrencyLimit(ring.maxConcurrency, pairs)} of ~${pairs} pairs at once, stops after >${errorBudget(ring.maxErrors, pairs)} failed (${ring.maxErrors}); ` +
    `nodes ${ring.nodeMaxConcurrency} at once, ${ring.nodeMaxErrors} errors`
  );
}

function estimateCell(e: PackageEstimate["rings"][number] | undefined): string {
  if (!e) return "";
  if (!e.changes) return "no change";
  return `starts +${formatMinutes(e.startMinutes)}, ${plural(e.passes, "pass")}, done +${formatMinutes(e.endMinutes)}`;
}

function packageHeading(plan: PackagePlan, known: boolean): string {
  const before = plan.before?.release;
  const after = plan.after?.release;
  switch (plan.change) {
    case "new":
      return `${plan.name}: new package, release ${after}`;
    case "removed":
      return `${plan.name}: removed (was release ${before})`;
    case "rollback":
      return `${plan.name}: **rollback ${before} -> ${after}**`;
    case "promotion":
      return `${plan.name}: release ${before} -> ${after} (promotion)`;
    case "unchanged":
      return `${plan.name}: release ${after} (unchanged)`;
    case "unknown":
      return `${plan.name}: release ${known ? "" : "? -> "}${after}`;
  }
}

function packageSection(plan: PackagePlan, model: FleetModel, known: boolean, estimate: PackageEstimate): string[] {
  const lines = [`### ${packageHeading(plan, known)}`, ""];
  const pkg = plan.after;
  if (!pkg) {
    lines.push("The package leaves the config: its central resources go; members keep what is installed (nothing is uninstalled).", "");
    return lines;
  }
  const regions = model.organization.workloadRegions.join(", ");
  const targets = ringTargets(pkg, model.organization.workloadRegions.length);
  lines.push("| # | ring | version | gates | targets | Regions | rate control | estimate |", "|---|---|---|---|---|---|---|---|");
  pkg.rings.forEach((ring, i) => {
    const plan_ = plan.rings[i]!;
    const t = targets[i]!;
    lines.push(
      `| ${i + 1} | ${ring.name} | ${versionCell(plan_)} | ${gatesCell(pkg, i, plan_)} | ${targetsCell(ring, t)} | ${regions} | ${rateCell(ring, t.pairs)} | ${estimateCell(estimate.rings[i])} |`,
    );
  });
  for (const removed of plan.rings.filter((r) => r.change === "removed")) lines.push(`| - | ${removed.name} | ${versionCell(removed)} | | | | | |`);
  lines.push("", estimate.totalMinutes > 0 ? `Estimated time to complete: **${formatMinutes(estimate.totalMinutes)}**.` : "Nothing to roll out: no ring changes version.", "");
  return lines;
}

function treeSection(trees: ReportInput["trees"], baseLabel: string | undefined): string[] {
  const lines = [`## Emitted trees${baseLabel ? ` against ${code(baseLabel)}` : ""}`, ""];
  if (!Array.isArray(trees)) {
    lines.push(`No tree diff: ${(trees as { unavailable: string }).unavailable}.`, "");
    return lines;
  }
  for (const tree of trees as readonly TreeDiff[]) {
    const who = tree.member ? "**member tree** (every account) " : "";
    const counts = `${tree.added.length} added, ${tree.changed.length} changed, ${tree.removed.length} removed`;
    lines.push(`- ${who}${code(tree.path)}: ${tree.status === "unchanged" ? "unchanged" : `${tree.status === "changed" ? "" : `tree ${tree.status}; `}${counts}`}`);
    const entries = [
      ...tree.added.map((a) => `  - \`+ ${a}\``),
      ...tree.changed.map((c) => `  - \`~ ${c.address}\` (${c.attributes.join(", ")})`),
      ...tree.removed.map((r) => `  - \`- ${r}\``),
    ];
    lines.push(...entries.slice(0, MAX_ADDRESSES_PER_TREE));
    if (entries.length > MAX_ADDRESSES_PER_TREE) lines.push(`  - … and ${entries.length - MAX_ADDRESSES_PER_TREE} more`);
  }
  if ((trees as readonly TreeDiff[]).some((t) => t.member && t.status !== "unchanged")) {
    lines.push("", "**A member tree changes: AFT applies it only when it re-customizes an account, so re-run customizations for every account** (`aft-invoke-customizations` with `{\"include\":[{\"type\":\"all\"}]}`).");
  }
  lines.push("");
  return lines;
}

function ledgerSection(ledgers: Ledgers, model: FleetModel): string[] {
  const lines = ["## Fleet state (ledger)", "", `| package/ring | ring version | wanted now | ${PAIR_STATUSES.join(" | ")} |`, `|---|---|---|${PAIR_STATUSES.map(() => "---|").join("")}`];
  const wanted = new Map<string, string>();
  for (const pkg of model.packages) for (const ring of pkg.rings) wanted.set(`${pkg.name}/${ring.name}`, ring.pin ?? pkg.release);
  const keys = [...new Set([...wanted.keys(), ...Object.keys(ledgers)])];
  for (const key of keys) {
    const ledger = ledgers[key];
    if (!ledger) {
      lines.push(`| ${key} | no ledger | ${wanted.get(key)} | ${PAIR_STATUSES.map(() => "").join(" | ")} |`);
      continue;
    }
    const counts = statusCounts(ledger);
    lines.push(`| ${key} | ${ledger.ringVersion ?? "none yet"} | ${wanted.get(key) ?? "(not in config)"} | ${PAIR_STATUSES.map((s) => counts[s]).join(" | ")} |`);
  }
  lines.push("");
  return lines;
}

function verdict(input: ReportInput, plans: readonly PackagePlan[], estimates: readonly PackageEstimate[], warningCount: number): string {
  const known = input.before.kind === "known";
  const named = (change: string) => plans.filter((p) => p.change === change);
  const describe = (ps: readonly PackagePlan[], what: (p: PackagePlan) => string) => (ps.length ? `${plural(ps.length, "package")} (${ps.map(what).join(", ")})` : "none");
  const held = plans.flatMap((p) => p.rings.filter((r) => r.held).map((r) => `${p.name}/${r.name} at ${r.wantedAfter}`));
  const sentences: string[] = [];
  if (known) {
    sentences.push(
      `Against ${code(input.baseLabel ?? "the base")}, this change promotes ${describe(named("promotion"), (p) => `${p.name} ${p.before!.release} -> ${p.after!.release}`)}, ` +
        `rolls back ${describe(named("rollback"), (p) => `**${p.name} ${p.before!.release} -> ${p.after!.release}**`)}, ` +
        `adds ${describe(named("new"), (p) => `${p.name} ${p.after!.release}`)} and removes ${describe(named("removed"), (p) => p.name)}.`,
    );
    const newRegions = input.after.organization.workloadRegions.filter((r) => input.before.kind === "known" && !input.before.model.organization.workloadRegions.includes(r));
    if (newRegions.length) sentences.push(`It adds the Region${newRegions.length === 1 ? "" : "s"} ${newRegions.join(", ")}.`);
  } else {
    const why = input.before.kind === "unknown" ? input.before.why : "";
    sentences.push(`The versions before this change are unknown (${why}); the report shows the full rollout of ${describe(plans, (p) => `${p.name} ${p.after?.release ?? "removed"}`)}.`);
  }
  if (held.length) sentences.push(`**${plural(held.length, "ring")} held by a pin: ${held.join(", ")}.**`);
  if (Array.isArray(input.trees)) {
    const trees = input.trees as readonly TreeDiff[];
    const touched = trees.filter((t) => t.status !== "unchanged");
    const addresses = touched.reduce((n, t) => n + t.added.length + t.changed.length + t.removed.length, 0);
    const members = touched.filter((t) => t.member).length;
    sentences.push(
      `It changes ${plural(addresses, "Terraform address")} in ${plural(touched.length, "tree")} and touches ${members === 0 ? "0 member trees" : `**${plural(members, "member tree")} (AFT must re-customize every account)**`}.`,
    );
  }
  const total = Math.max(0, ...estimates.map((e) => e.totalMinutes));
  sentences.push(total > 0 ? `Estimated time to complete: ${formatMinutes(total)}.` : "No ring changes version.");
  sentences.push(warningCount ? `${plural(warningCount, "warning")} below.` : "No warnings.");
  return sentences.join(" ");
}

export function renderReport(input: ReportInput): string {
  const model = input.after;
  const known = input.before.kind === "known";
  const plans = planPackages(input.before, model);
  const regionCount = model.organization.workloadRegions.length;
  const installMinutes = input.installMinutes ?? DEFAULT_INSTALL_MINUTES;
  const estimates = plans.map((p) => estimatePackage(p, regionCount, installMinutes));
  const warnings = fleetWarnings(model);
  const lines = ["# aft-fleet rollout report", "", verdict(input, plans, estimates, warnings.length), "", "## Packages", ""];
  plans.forEach((plan, i) => lines.push(...packageSection(plan, model, known, estimates[i]!)));
  lines.push(
    `<sub>Time model: OU = ${ASSUMED_ACCOUNTS_PER_OU} accounts (assumed); passes of maxConcurrency pairs, each max(${installMinutes} min install, ${PASS_PAUSE_MINUTES} min pause); ` +
      "later rings wait for bake and the next controller run. Failures and alarms are not modelled.</sub>",
    "",
  );
  lines.push(...treeSection(input.trees, input.baseLabel));
  lines.push("## Warnings", "");
  if (warnings.length === 0) lines.push("None.");
  for (const w of warnings) lines.push(`- ${w.package}${w.ring ? `/${w.ring}` : ""}: ${w.message}`);
  lines.push("", "## Rollout flow", "", "```mermaid", rolloutFlowchart(plans, model, input.before), "```", "");
  if (input.ledgers) lines.push(...ledgerSection(input.ledgers, model));
  return `${lines.join("\n").trimEnd()}\n`;
}
