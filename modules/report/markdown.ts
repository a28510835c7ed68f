/*
 * The report as Markdown, short enough for a PR comment: verdict, packages, emitted trees, warnings,
 * flowchart, ledger. Pure: every input is already read and resolved.
 */
import { concurrencyLimit, errorBudget } from "../../contract/rate";
import type { FleetModel, FleetPackage, RolloutRing } from "../config/model";
import { APPLY_PASSES_PER_RUN, ASSUMED_ACCOUNTS_PER_OU, ASSUMED_NODES_PER_PAIR, DEFAULT_INSTALL_MINUTES, estimatePackage, formatMinutes, type PackageEstimate, PASS_PAUSE_MINUTES, type RingAddition, ringAdditions, ringTargets, type RingTargets, scheduleIntervalMinutes } from "./estimate";
import { type Ledgers, PAIR_STATUSES, statusCounts } from "./ledger";
import { rolloutFlowchart } from "./mermaid";
import { type Before, type PackagePlan, planPackages, type RingPlan } from "./model-diff";
import type { TreeDiff } from "./tree-diff";
import { AFT_CONCURRENT_CUSTOMIZATIONS, type AftTrigger, aftTrigger, allPipelinesMinutes, DEFAULT_AFT_MINUTES } from "./trigger";
import { patchingSection } from "./patching";
import { freezeSection } from "./freezes";
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
  /** Managed nodes per account-Region pair, for the node batches. @default ASSUMED_NODES_PER_PAIR */
  readonly nodesPerPair?: number;
  /** Minutes one account's AFT customization pipeline takes (ring starts count from the merge). @default 20 */
  readonly aftMinutes?: number;
  /** When the report is made: the change freezes' next occurrences and their overlap with the estimate. Absent: freezes are only listed. */
  readonly now?: Date;
}

type Additions = readonly (RingAddition | undefined)[];

/** Addresses listed per tree before "… and N more": a PR comment has a size limit. */
const MAX_ADDRESSES_PER_TREE = 40;
const MAX_LISTED = 4;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : /(s|ch)$/.test(word) ? "es" : "s"}`;
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
  // The controller starts pairs moving back to an older version even while the ring's own alarms fire
  // (lambdas/controller/gate.ts movesBack): an alarm a bad version fired must not block its rollback.
  const noAlarmStop = " (alarms do not stop a rollback)";
  if (ring.pin !== undefined) return plan.change === "rollback" ? `pinned: taken at once, no bake or alarm gates${noAlarmStop}` : `pinned: no gates${own}`;
  if (plan.change === "rollback") return `rollback: in ring order, no bake or alarm gates${noAlarmStop}`;
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

/** "2 waves of 5 node batches" (+ "over 3 runbook runs" when the 100-pass cap splits them). */
function waveText(e: PackageEstimate["rings"][number]): string {
  const runs = e.executions > 1 ? ` over ${e.executions} runbook runs` : "";
  return `${plural(e.waves, "wave")} of ${plural(e.nodeBatches, "node batch")}${runs}`;
}

function estimateCell(e: PackageEstimate["rings"][number] | undefined, addition: RingAddition | undefined): string {
  if (!e) return "";
  if (e.blockedBy !== undefined) return `**blocked: ${e.blockedBy}**`;
  if (!e.changes) {
    if (!addition || e.added === 0) return "no change";
    return `${addition.estimated ? "~" : ""}${plural(e.added, "new pair")} at ${addition.version}: starts +${formatMinutes(e.startMinutes)}, ${waveText(e)}, done +${formatMinutes(e.endMinutes)}`;
  }
  return `starts +${formatMinutes(e.startMinutes)}, ${waveText(e)}, done +${formatMinutes(e.endMinutes)}`;
}

/** Rings of a package that change `change`-wise on their own (a pin, or a pin lifted), not by the release. */
function ringMoves(plan: PackagePlan, change: "promotion" | "rollback"): string | undefined {
  if (plan.change === change || plan.change === "new" || plan.change === "removed" || plan.change === "unknown") return undefined;
  const rings = plan.rings.filter((r) => r.change === change);
  if (rings.length === 0) return undefined;
  const byMove = new Map<string, RingPlan[]>();
  for (const r of rings) {
    const move = `${r.wantedBefore} -> ${r.wantedAfter}`;
    byMove.set(move, [...(byMove.get(move) ?? []), r]);
  }
  return [...byMove]
    .map(([move, rs]) => `${move} in ring${rs.length === 1 ? "" : "s"} ${rs.map((r) => r.name).join(", ")}${rs.every((r) => r.held) ? " (pin)" : ""}`)
    .join(", ");
}

function packageHeading(plan: PackagePlan, known: boolean): string {
  const before = plan.before?.release;
  const after = plan.after?.release;
  const back = ringMoves(plan, "rollback");
  if (back !== undefined) return `${packageHeadingOf(plan, known, before, after)}; **rollback ${back}**`;
  return packageHeadingOf(plan, known, before, after);
}

function packageHeadingOf(plan: PackagePlan, known: boolean, before: string | undefined, after: string | undefined): string {
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

/** "adds Region eu-central-1 and account 555555555555 to ring canary: 42 new account-Region pairs get TestAgent 1.0.0 at the next controller run". */
function additionText(name: string, additions: Additions): string | undefined {
  const list = additions.filter((a): a is RingAddition => a !== undefined);
  if (list.length === 0) return undefined;
  const regions = [...new Set(list.flatMap((a) => a.regions))];
  const parts: string[] = [];
  if (regions.length) parts.push(`Region${regions.length === 1 ? "" : "s"} ${regions.join(", ")}`);
  for (const a of list) {
    const members = [...(a.accounts.length ? [listOrCount(a.accounts, "account")] : []), ...(a.organizationalUnits.length ? [listOrCount(a.organizationalUnits, "OU")] : [])];
    if (members.length) parts.push(`${members.join(" and ")} to ring ${a.ring}`);
  }
  const pairs = list.reduce((n, a) => n + a.pairs, 0);
  const versions = [...new Set(list.map((a) => a.version))];
  const what = versions.length === 1 ? `${name} ${versions[0]}` : `${name} ${list.map((a) => `${a.version} (${a.ring})`).join(", ")}`;
  return `adds ${parts.join(" and ")}: ${list.some((a) => a.estimated) ? "~" : ""}${plural(pairs, "new account-Region pair")} get${pairs === 1 ? "s" : ""} ${what} (its document and association) at the next controller run`;
}

function packageSection(plan: PackagePlan, model: FleetModel, known: boolean, estimate: PackageEstimate, additions: Additions): string[] {
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
      `| ${i + 1} | ${ring.name} | ${versionCell(plan_)} | ${gatesCell(pkg, i, plan_)} | ${targetsCell(ring, t)} | ${regions} | ${rateCell(ring, t.pairs)} | ${estimateCell(estimate.rings[i], additions[i])} |`,
    );
  });
  for (const removed of plan.rings.filter((r) => r.change === "removed")) lines.push(`| - | ${removed.name} | ${versionCell(removed)} | | | | | |`);
  lines.push("");
  const added = additionText(pkg.name, additions);
  if (added) lines.push(`${added[0]!.toUpperCase()}${added.slice(1)}.`, "");
  const blocked = estimate.rings.filter((r) => r.blockedBy !== undefined);
  if (blocked.length) lines.push(`**Blocked: ${blocked.map((r) => `${r.ring} (${r.blockedBy})`).join(", ")}; the controller holds ${blocked.length === 1 ? "it" : "them"} until the pin changes.**`, "");
  lines.push(estimate.totalMinutes > 0 ? `Estimated time to complete: **${formatMinutes(estimate.totalMinutes)}**.` : "Nothing to roll out: no ring changes version and no pair is added.", "");
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

/** Accounts an "all" trigger re-customizes: every listed account and the central one, an OU as ASSUMED_ACCOUNTS_PER_OU. */
function fleetAccounts(model: FleetModel): number {
  const groups = Object.values(model.organization.targetGroups);
  const accounts = new Set([model.organization.centralAccount, ...groups.flatMap((g) => g.accounts)]);
  const ous = new Set(groups.flatMap((g) => g.organizationalUnits));
  return accounts.size + ous.size * ASSUMED_ACCOUNTS_PER_OU;
}

/** What starts AFT after the merge, and when the first ring starts. */
function triggerSentence(model: FleetModel, trigger: AftTrigger | undefined, aftMinutes: number, rollsOut: boolean): string {
  if (model.deployment.mode === "direct") return "Trigger: direct mode, no AFT: the change reaches the fleet when the stacks are deployed (`npm run cdktf:deploy`).";
  const central = model.organization.centralAccount;
  const firstRing = rollsOut
    ? `the first ring starts about +${formatMinutes(aftMinutes)} after the merge (the central account's AFT pipeline, assumed ${aftMinutes} min, then the controller runs at once on the spec change)`
    : `the central account's AFT pipeline (assumed ${aftMinutes} min) applies it; no pair gets a new version`;
  if (trigger === undefined) {
    return (
      "Trigger: unknown without a tree diff; the publish job starts `aft-invoke-customizations` for the central account when only the central tree changes, for all accounts when the member tree changes" +
      (rollsOut ? `; the first ring starts about +${formatMinutes(aftMinutes)} after the merge (the central account's AFT pipeline, assumed ${aftMinutes} min).` : ".")
    );
  }
  switch (trigger.kind) {
    case "none":
      return "Trigger: none needed (neither tree changes, so the publish job starts no AFT pipeline).";
    case "central":
      return `Trigger: the publish job starts \`aft-invoke-customizations\` for the central account ${central} (only the central tree changes); ${firstRing}.`;
    case "all": {
      const accounts = fleetAccounts(model);
      const batches = Math.ceil(accounts / AFT_CONCURRENT_CUSTOMIZATIONS);
      return (
        `Trigger: the publish job starts \`aft-invoke-customizations\` for **all accounts** (the member tree changes): every account's AFT pipeline runs, ${AFT_CONCURRENT_CUSTOMIZATIONS} at a time (AFT's \`maximum_concurrent_customizations\` default), ` +
        `about ${batches} x ${aftMinutes} min = ${formatMinutes(allPipelinesMinutes(accounts, aftMinutes))} for ~${accounts} accounts (OU = ${ASSUMED_ACCOUNTS_PER_OU} accounts, assumed); ` +
        `member pairs are NotReady until their account's pipeline ran, and the controller retries them at each run. ` +
        (rollsOut
          ? `The first ring starts about +${formatMinutes(aftMinutes)} after the merge, once the central account's pipeline ran (assumed ${aftMinutes} min; AFT picks the order, so it may be later).`
          : `No ring changes version.`)
      );
    }
  }
}

function verdict(
  input: ReportInput,
  plans: readonly PackagePlan[],
  estimates: readonly PackageEstimate[],
  additions: readonly Additions[],
  trigger: AftTrigger | undefined,
  aftMinutes: number,
  warningCount: number,
): string {
  const known = input.before.kind === "known";
  const describe = (items: readonly string[]) => (items.length ? `${plural(items.length, "package")} (${items.join(", ")})` : "none");
  const releaseMoves = (change: "promotion" | "rollback") =>
    plans.flatMap((p) => {
      const rings = ringMoves(p, change);
      if (p.change === change) return [`${p.name} ${p.before!.release} -> ${p.after!.release}`];
      return rings !== undefined ? [`${p.name} ${rings}`] : [];
    });
  const held = plans.flatMap((p) => p.rings.filter((r) => r.held).map((r) => `${p.name}/${r.name} at ${r.wantedAfter}`));
  const sentences: string[] = [];
  const addedTexts = plans.flatMap((p, i) => {
    const text = additionText(p.name, additions[i] ?? []);
    return text ? [text] : [];
  });
  if (known) {
    sentences.push(
      `Against ${code(input.baseLabel ?? "the base")}, this change promotes ${describe(releaseMoves("promotion"))}, ` +
        `rolls back ${describe(releaseMoves("rollback").map((m) => `**${m}**`))}, ` +
        `adds ${describe(plans.filter((p) => p.change === "new").map((p) => `${p.name} ${p.after!.release}`))} and removes ${describe(plans.filter((p) => p.change === "removed").map((p) => p.name))}.`,
    );
    const newRegions = input.after.organization.workloadRegions.filter((r) => input.before.kind === "known" && !input.before.model.organization.workloadRegions.includes(r));
    for (const text of addedTexts) sentences.push(`It ${text}.`);
    if (newRegions.length && !plans.some((_, i) => (additions[i] ?? []).some((a) => a !== undefined && a.regions.length > 0))) {
      sentences.push(`It adds the Region${newRegions.length === 1 ? "" : "s"} ${newRegions.join(", ")}.`);
    }
  } else {
    const why = input.before.kind === "unknown" ? input.before.why : "";
    sentences.push(`The versions before this change are unknown (${why}); the report shows the full rollout of ${describe(plans.map((p) => `${p.name} ${p.after?.release ?? "removed"}`))}.`);
  }
  if (held.length) sentences.push(`**${plural(held.length, "ring")} held by a pin: ${held.join(", ")}.**`);
  const blocked = plans.flatMap((p, i) => (estimates[i]?.rings ?? []).filter((r) => r.blockedBy !== undefined).map((r) => `${p.name}/${r.ring} (${r.blockedBy})`));
  if (blocked.length) sentences.push(`**${plural(blocked.length, "ring")} blocked: ${blocked.join(", ")}.**`);
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
  sentences.push(triggerSentence(input.after, trigger, aftMinutes, total > 0));
  if (total > 0 && trigger?.kind === "all" && input.after.deployment.mode !== "direct") {
    // NotReady pairs are retried at the first controller run after their account's pipeline ran.
    const pipelines = allPipelinesMinutes(fleetAccounts(input.after), aftMinutes);
    const interval = Math.max(...plans.flatMap((p) => (p.after ? [scheduleIntervalMinutes(p.after.controllerSchedule)] : [])));
    const members = pipelines + interval;
    sentences.push(
      members > total
        ? `Estimated time to complete: ${formatMinutes(members)} (the rings alone ${formatMinutes(total)}; pairs waiting for their account's pipeline finish after the last pipeline, +${formatMinutes(pipelines)}, and the next controller run).`
        : `Estimated time to complete: ${formatMinutes(total)}.`,
    );
  } else {
    sentences.push(total > 0 ? `Estimated time to complete: ${formatMinutes(total)}.` : "No ring changes version and no pair is added.");
  }
  sentences.push(warningCount ? `${plural(warningCount, "warning")} below.` : "No warnings.");
  return sentences.join(" ");
}

export function renderReport(input: ReportInput): string {
  const model = input.after;
  const known = input.before.kind === "known";
  const plans = planPackages(input.before, model);
  const regions = model.organization.workloadRegions;
  const beforeRegions = input.before.kind === "known" ? input.before.model.organization.workloadRegions : regions;
  const installMinutes = input.installMinutes ?? DEFAULT_INSTALL_MINUTES;
  const aftMinutes = input.aftMinutes ?? DEFAULT_AFT_MINUTES;
  const direct = model.deployment.mode === "direct";
  const trigger = Array.isArray(input.trees) ? aftTrigger(input.trees as readonly TreeDiff[], model.organization.centralAccount) : undefined;
  // Ring starts count from the merge: the controller runs once the central account's pipeline applied the specs.
  const startMinutes = direct || trigger?.kind === "none" ? 0 : aftMinutes;
  const additions = plans.map((p) => ringAdditions(p, beforeRegions, regions));
  const nodesPerPair = input.nodesPerPair ?? ASSUMED_NODES_PER_PAIR;
  const estimates = plans.map((p, i) => estimatePackage(p, regions.length, installMinutes, { startMinutes, additions: additions[i]!, nodesPerPair }));
  const warnings = fleetWarnings(model);
  const lines = ["# aft-fleet rollout report", "", verdict(input, plans, estimates, additions, trigger, aftMinutes, warnings.length), "", "## Packages", ""];
  plans.forEach((plan, i) => lines.push(...packageSection(plan, model, known, estimates[i]!, additions[i]!)));
  const pipeline = direct ? "starts count from the deploy" : `starts count from the merge: the central account's AFT pipeline takes ${aftMinutes} min (assumed, --aft-minutes) before the controller runs`;
  lines.push(
    `<sub>Time model: ${pipeline}; OU = ${ASSUMED_ACCOUNTS_PER_OU} accounts and ${nodesPerPair} nodes per account and Region (assumed, --nodes-per-pair); waves of maxConcurrency pairs, each a pass to add the version, a ${PASS_PAUSE_MINUTES}-min pause, a pass to point the association at it, ` +
      `its node batches (nodeMaxConcurrency) of ${installMinutes} min (--install-minutes) and a pause to read the results; ${APPLY_PASSES_PER_RUN} passes per runbook run, then the next controller run; ` +
      "later rings wait for bake and the next controller run; pins and new pairs start at once. Failures, halts, freezes and alarms are not modelled.</sub>",
    "",
  );
  lines.push(...patchingSection(model, input.before));
  lines.push(...treeSection(input.trees, input.baseLabel));
  lines.push("## Warnings", "");
  if (warnings.length === 0) lines.push("None.");
  for (const w of warnings) lines.push(`- ${w.package}${w.ring ? `/${w.ring}` : ""}: ${w.message}`);
  lines.push("", "## Rollout flow", "", "```mermaid", rolloutFlowchart(plans, model, input.before), "```", "");
  lines.push(...freezeSection(model, input.now, Math.max(0, ...estimates.map((e) => e.totalMinutes))));
  if (input.ledgers) lines.push(...ledgerSection(input.ledgers, model));
  return `${lines.join("\n").trimEnd()}\n`;
}
