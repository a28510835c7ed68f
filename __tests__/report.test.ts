/**
 * The PR rollout report: golden-content tests over real config pairs (loaded with loadConfig and
 * synthesized with synthToDir, as the CLI does), the rules, the time model, the CLI and the ledger.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig } from "../modules/config";
import type { FleetModel, FleetPackage, RolloutRing } from "../modules/config/model";
import { aftTrigger, estimatePackage, formatMinutes, nodeBatches, ringTime, planPackages, RULES, renderReport, scheduleIntervalMinutes, type TreeDiff } from "../modules/report";
import { invokeCustomizationsInput } from "../modules/aft/copy-to-repos";
import { diffTrees, readTrees } from "../modules/report/tree-diff";
import { fleetWarnings } from "../modules/report/warnings";
import { patchingSection } from "../modules/report/patching";
import { synthToDir } from "../main";
import { benchReport, buildReport, main as reportMain, parseReportArgs } from "../scripts/report";
import { baseConfig, basePackageFiles, makeFixture, type Fixture } from "./helpers/fixture";
import { snapshot } from "./helpers/snapshot";

/*
 * Mermaid's own parser (mermaid.parse) in one child process for this file: mermaid is ESM-only, and its
 * flowchart parser sanitizes labels with DOMPurify, which needs a browser window. The child swaps DOMPurify
 * for an identity stub through a module hook; the grammar and the diagram database are mermaid's own.
 * It answers one JSON line per chart it reads, one JSON line each ({ id, text } in, { id, type | error } out).
 */
const MERMAID_CHILD = `
import { register } from "node:module";
import { createInterface } from "node:readline";
const hooks = \`export async function resolve(s, c, next) {
  if (s === "dompurify") return { url: "data:text/javascript," + encodeURIComponent("export default { sanitize: (t) => String(t), addHook() {}, removeHook() {} };"), shortCircuit: true };
  return next(s, c);
}\`;
register("data:text/javascript," + encodeURIComponent(hooks));
const { default: mermaid } = await import("mermaid");
for await (const line of createInterface({ input: process.stdin })) {
  const { id, text } = JSON.parse(line);
  try {
    const parsed = await mermaid.parse(text);
    process.stdout.write(JSON.stringify({ id, type: parsed.diagramType }) + "\\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ id, error: String(err.message) }) + "\\n");
  }
}`;

let mermaidChild: ChildProcess | undefined;
const mermaidWaiting = new Map<number, { resolve: (type: string) => void; reject: (error: Error) => void }>();
let mermaidRequests = 0;

function parseMermaid(chart: string): Promise<string> {
  if (mermaidChild === undefined) {
    const child = spawn(process.execPath, ["--input-type=module", "-e", MERMAID_CHILD], { cwd: path.join(__dirname, ".."), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const answer = JSON.parse(line) as { id: number; type?: string; error?: string };
      const waiting = mermaidWaiting.get(answer.id)!;
      mermaidWaiting.delete(answer.id);
      if (answer.error !== undefined) waiting.reject(new Error(`mermaid.parse refused the chart: ${answer.error}`));
      else waiting.resolve(answer.type!);
    });
    child.on("exit", (code) => {
      for (const waiting of mermaidWaiting.values()) waiting.reject(new Error(`the mermaid child exited (${code}): ${stderr}`));
      mermaidWaiting.clear();
    });
    mermaidChild = child;
  }
  const id = ++mermaidRequests;
  return new Promise((resolve, reject) => {
    mermaidWaiting.set(id, { resolve, reject });
    mermaidChild!.stdin!.write(`${JSON.stringify({ id, text: chart })}\n`);
  });
}

afterAll(() => {
  mermaidChild?.stdin!.end();
  mermaidChild?.kill();
});

const fixtures: Fixture[] = [];
afterAll(() => fixtures.forEach((f) => f.cleanup()));

/** A config with the fixture's package sources for each version listed. */
function fixture(config: Record<string, any>, versions: readonly string[]): Fixture {
  const files = Object.assign({}, ...versions.map((v) => basePackageFiles(v)));
  const f = makeFixture(config, files);
  fixtures.push(f);
  return f;
}

/** Two rings: canary (an account, node tags) then all (an OU), bake 2h, controller hourly. */
function twoRings(release: string, versions: string[]): Record<string, any> {
  const c = baseConfig();
  c.packages[0].release = release;
  c.packages[0].versions = versions;
  c.packages[0].rings = [
    { name: "canary", targets: "canary", bake: "2h", alarms: ["canary-errors"], maxConcurrency: "1" },
    { name: "all", targets: "all", maxConcurrency: "10%" },
  ];
  return c;
}

interface Pair {
  readonly markdown: string;
  readonly before: FleetModel;
  readonly after: FleetModel;
  readonly trees: TreeDiff[];
}

async function reportPair(before: Fixture, after: Fixture): Promise<Pair> {
  const b = loadConfig(before.configFile);
  const a = loadConfig(after.configFile);
  await synthToDir(b, path.join(before.dir, "out"), before.configFile);
  await synthToDir(a, path.join(after.dir, "out"), after.configFile);
  const trees = diffTrees(readTrees(path.join(before.dir, "out")), readTrees(path.join(after.dir, "out")));
  return { markdown: renderReport({ before: { kind: "known", model: b }, after: a, baseLabel: "base", trees }), before: b, after: a, trees };
}

const section = (md: string, heading: string) => md.split(/^## /m).find((s) => s.startsWith(heading)) ?? "";

describe("golden content: promotion 1.0.0 -> 1.1.0", () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await reportPair(fixture(twoRings("1.0.0", ["1.0.0"]), ["1.0.0"]), fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]));
  });

  it("states the verdict in one paragraph", () => {
    const verdict = pair.markdown.split("\n")[2]!;
    expect(verdict).toContain("promotes 1 package (TestAgent 1.0.0 -> 1.1.0)");
    expect(verdict).toContain("rolls back none");
    expect(verdict).toContain("adds none and removes none");
    expect(verdict).toContain("touches 0 member trees");
    expect(verdict).toContain(
      "Trigger: the publish job starts `aft-invoke-customizations` for the central account 222222222222 (only the central tree changes); " +
        "the first ring starts about +20 min after the merge (the central account's AFT pipeline, assumed 20 min, then the controller runs at once on the spec change).",
    );
    expect(verdict).toContain("Estimated time to complete: 1 d 18 h.");
  });

  it("lists each ring with its versions, gates, targets, Regions, rate control and estimate", () => {
    expect(pair.markdown).toContain("### TestAgent: release 1.0.0 -> 1.1.0 (promotion)");
    const canary = pair.markdown.split("\n").find((l) => l.startsWith("| 1 | canary"))!;
    expect(canary).toContain("| 1.0.0 -> 1.1.0 |");
    expect(canary).toContain("first ring; stops on its alarms canary-errors");
    expect(canary).toContain("account 333333333333");
    expect(canary).toContain("nodes tagged aft-fleet:ring=canary");
    expect(canary).toContain("us-east-1, eu-west-1");
    expect(canary).toContain("1 = 1 of ~2 pairs at once");
    // Every start counts from the merge: the central account's AFT pipeline (20 min assumed) applies the specs first.
    expect(canary).toContain("starts +20 min, 2 waves of 10 node batches over 2 runbook runs, done +6 h 28 min");
    const all = pair.markdown.split("\n").find((l) => l.startsWith("| 2 | all"))!;
    expect(all).toContain("canary reached it + 2h, alarms canary-errors OK");
    expect(all).toContain("OU ou-ab12-cdef3456");
    // 1 OU x 20 assumed accounts x 2 Regions = 40 pairs; 10% = 4 at once -> 10 passes of 15 min.
    expect(all).toContain("10% = 4 of ~40 pairs at once");
    // canary done at 50 min + 2 h bake + 1 h to the next hourly run = 3 h 50 min; + 150 min.
    expect(all).toContain("starts +9 h 28 min, 10 waves of 10 node batches over 8 runbook runs, done +1 d 18 h");
    expect(pair.markdown).toContain("Estimated time to complete: **1 d 18 h**.");
    expect(pair.markdown).toContain("the central account's AFT pipeline takes 20 min (assumed, --aft-minutes) before the controller runs");
  });

  it("diffs the central tree only: the new version's objects are added", () => {
    const central = pair.trees.find((t) => t.path.startsWith("aft-account-customizations/"))!;
    const global = pair.trees.find((t) => t.member)!;
    expect(central.status).toBe("changed");
    expect(central.added.length).toBeGreaterThan(0);
    expect(global.status).toBe("unchanged");
    const trees = section(pair.markdown, "Emitted trees");
    expect(trees).toContain("**member tree** (every account) `aft-global-customizations/terraform/aft-fleet.tf.json`: unchanged");
    expect(trees).toContain(`${central.added.length} added, ${central.changed.length} changed, 0 removed`);
    expect(trees).not.toContain("re-run customizations for every account");
    for (const c of central.changed.slice(0, 3)) expect(trees).toContain(`\`~ ${c.address}\` (${c.attributes.join(", ")})`);
  });

  it("highlights the changed rings in a flowchart the mermaid parser accepts", async () => {
    const chart = /```mermaid\n([\s\S]*?)```/.exec(pair.markdown)![1]!;
    expect(chart).toContain('p0r0["1. canary<br/>1.0.0 → 1.1.0"]');
    expect(chart).toMatch(/class p0,p0r0,p0r1 changed/);
    await expect(parseMermaid(chart)).resolves.toBe("flowchart-v2");
  });
});

describe("golden content: rollback 1.1.0 -> 1.0.0", () => {
  let pair: Pair;
  beforeAll(async () => {
    const versions = ["1.0.0", "1.1.0"];
    pair = await reportPair(fixture(twoRings("1.1.0", versions), versions), fixture(twoRings("1.0.0", versions), versions));
  });

  it("says rollback in bold, with no bake or alarm gates and no bake in the estimate", () => {
    expect(pair.markdown.split("\n")[2]).toContain("rolls back 1 package (**TestAgent 1.1.0 -> 1.0.0**)");
    expect(pair.markdown.split("\n")[2]).toContain("promotes none");
    expect(pair.markdown).toContain("### TestAgent: **rollback 1.1.0 -> 1.0.0**");
    const canary = pair.markdown.split("\n").find((l) => l.startsWith("| 1 | canary"))!;
    const all = pair.markdown.split("\n").find((l) => l.startsWith("| 2 | all"))!;
    expect(all).toContain("**rollback 1.1.0 -> 1.0.0**");
    // canary has its own alarm (canary-errors): the controller still starts pairs moving back while it fires.
    expect(canary).toContain("| rollback: in ring order, no bake or alarm gates (alarms do not stop a rollback) |");
    expect(all).toContain("| rollback: in ring order, no bake or alarm gates (alarms do not stop a rollback) |");
    expect(pair.markdown).not.toContain("stops on its alarms");
    // canary done at 20 + 30 min, no bake, next hourly run: starts at 1 h 50 min.
    expect(all).toContain("starts +7 h 28 min, 10 waves of 10 node batches over 8 runbook runs, done +1 d 16 h");
  });

  it("marks the rolled-back parts with the rollback class, and the chart parses", async () => {
    const chart = /```mermaid\n([\s\S]*?)```/.exec(pair.markdown)![1]!;
    expect(chart).toContain("class p0,p0r0,p0r1 rollback");
    await expect(parseMermaid(chart)).resolves.toBe("flowchart-v2");
  });
});

describe("golden content: a new package and a new Region", () => {
  let pair: Pair;
  beforeAll(async () => {
    const before = baseConfig();
    const after = baseConfig();
    after.organization.workloadRegions = ["us-east-1", "eu-west-1", "eu-central-1"];
    // The fleet's first Parameter Store reference in package arguments is what changes the member tree here (the
    // execution role gains CheckPackageParameters); a package by itself changes no member tree.
    after.packages.push({ ...after.packages[0], name: "OtherAgent", release: "1.0.0", additionalArguments: { SSM_KEY: "{{ssm:/aft-fleet/other-agent/key}}" }, rings: [{ name: "first", targets: "canary" }, { name: "rest", targets: "all" }] });
    pair = await reportPair(fixture(before, ["1.0.0"]), fixture(after, ["1.0.0"]));
  });

  it("names the new package and the new Region in the verdict", () => {
    const verdict = pair.markdown.split("\n")[2]!;
    expect(verdict).toContain("adds 1 package (OtherAgent 1.0.0)");
    // TestAgent's release does not change, but its ring's OU (20 accounts assumed) gets the new Region.
    expect(verdict).toContain("It adds Region eu-central-1: ~20 new account-Region pairs get TestAgent 1.0.0 (its document and association) at the next controller run.");
    expect(pair.markdown).toContain("### OtherAgent: new package, release 1.0.0");
    expect(pair.markdown).toContain("### TestAgent: release 1.0.0 (unchanged)");
  });

  it("calls out the member tree: the first package argument that references Parameter Store changes the execution role's policy", () => {
    const global = pair.trees.find((t) => t.member)!;
    expect(global.status).toBe("changed");
    const verdict = pair.markdown.split("\n")[2]!;
    expect(verdict).toContain("**1 member tree (AFT must re-customize every account)**");
    expect(section(pair.markdown, "Emitted trees")).toContain("re-run customizations for every account");
    // Accounts: 333333333333, the central one and one OU of 20 (assumed) = 22; 5 pipelines at once -> 5 x 20 min.
    expect(verdict).toContain("Trigger: the publish job starts `aft-invoke-customizations` for **all accounts** (the member tree changes)");
    expect(verdict).toContain("5 at a time (AFT's `maximum_concurrent_customizations` default), about 5 x 20 min = 1 h 40 min for ~22 accounts");
    expect(verdict).toContain("member pairs are NotReady until their account's pipeline ran");
    expect(verdict).toContain("The first ring starts about +20 min after the merge, once the central account's pipeline ran");
    // The rings take longer than the pipelines (1 h 40 min) and the next hourly run: the rings' estimate stands.
    expect(verdict).toContain("Estimated time to complete: 1 d 19 h.");
    // With 2-hour pipelines the last one ends at 10 h; its NotReady pairs are retried at the next hourly run.
    // One node per account and Region (one batch per wave) keeps the rings shorter than the pipelines.
    const slow = renderReport({ before: { kind: "known", model: pair.before }, after: pair.after, baseLabel: "base", trees: pair.trees, aftMinutes: 120, nodesPerPair: 1 }).split("\n")[2]!;
    expect(slow).toContain("about 5 x 120 min = 10 h for ~22 accounts");
    expect(slow).toContain("Estimated time to complete: 11 h (the rings alone 7 h 7 min; pairs waiting for their account's pipeline finish after the last pipeline, +10 h, and the next controller run).");
  });

  it("estimates the unchanged package's ring by its new pairs (the new Region is not a version change)", () => {
    const line = pair.markdown.split("\n").find((l) => l.startsWith("| 1 | all"))!;
    expect(line).toContain("1.0.0 (unchanged)");
    expect(line).not.toContain("no change");
    // 20 new pairs, 60 in all: 10% = 6 at once -> 4 passes after the 20-minute central pipeline.
    expect(line).toContain("~20 new pairs at 1.0.0: starts +20 min, 4 waves of 10 node batches over 4 runbook runs, done +13 h 36 min");
    expect(line).toContain("us-east-1, eu-central-1, eu-west-1");
    expect(section(pair.markdown, "Packages")).not.toContain("Nothing to roll out");
  });

  it("highlights the new Region and package in a chart the parser accepts", async () => {
    const chart = /```mermaid\n([\s\S]*?)```/.exec(pair.markdown)![1]!;
    expect(chart).toContain('p0g1(["eu-central-1"])');
    expect(chart).toMatch(/class [^\n]*p0g1[^\n]* changed/);
    expect(chart).toMatch(/class [^\n]*p1,p1g1[^\n]* changed/);
    await expect(parseMermaid(chart)).resolves.toBe("flowchart-v2");
  });
});

describe("golden content: every ring pinned back to the older version", () => {
  let pair: Pair;
  beforeAll(async () => {
    const versions = ["1.0.0", "1.1.0"];
    const after = twoRings("1.1.0", versions);
    for (const ring of after.packages[0].rings) ring.pin = "1.0.0";
    pair = await reportPair(fixture(twoRings("1.1.0", versions), versions), fixture(after, versions));
  });

  it("counts the pins as a rollback of the package in the verdict, the heading and the rows", () => {
    const verdict = pair.markdown.split("\n")[2]!;
    expect(verdict).toContain("promotes none, rolls back 1 package (**TestAgent 1.1.0 -> 1.0.0 in rings canary, all (pin)**)");
    expect(verdict).not.toContain("rolls back none");
    expect(pair.markdown).toContain("### TestAgent: release 1.1.0 (unchanged); **rollback 1.1.0 -> 1.0.0 in rings canary, all (pin)**");
    for (const row of ["| 1 | canary", "| 2 | all"]) {
      const line = pair.markdown.split("\n").find((l) => l.startsWith(row))!;
      expect(line).toContain("**rollback 1.1.0 -> 1.0.0** **held at 1.0.0 (pin)**");
      expect(line).toContain("pinned: taken at once, no bake or alarm gates (alarms do not stop a rollback)");
    }
    expect(pair.markdown).not.toContain("stops on its alarms");
  });

  it("starts every pinned ring at once after the central pipeline (a pin has no gates)", () => {
    const all = pair.markdown.split("\n").find((l) => l.startsWith("| 2 | all"))!;
    expect(all).toContain("starts +20 min, 10 waves of 10 node batches over 8 runbook runs, done +1 d 9 h");
    expect(pair.markdown.split("\n")[2]).toContain("Estimated time to complete: 1 d 9 h.");
    const chart = /```mermaid\n([\s\S]*?)```/.exec(pair.markdown)![1]!;
    expect(chart).toContain("class p0r0,p0r1 rollback");
  });
});

describe("golden content: new pairs at the same release", () => {
  it("a new workload Region: every ring's targets get the ring's version in it, estimated", async () => {
    const after = twoRings("1.0.0", ["1.0.0"]);
    after.organization.workloadRegions = ["us-east-1", "eu-west-1", "eu-central-1"];
    const { markdown } = await reportPair(fixture(twoRings("1.0.0", ["1.0.0"]), ["1.0.0"]), fixture(after, ["1.0.0"]));
    const verdict = markdown.split("\n")[2]!;
    // canary: 1 account; all: 1 OU x 20 assumed accounts.
    expect(verdict).toContain("It adds Region eu-central-1: ~21 new account-Region pairs get TestAgent 1.0.0 (its document and association) at the next controller run.");
    expect(verdict).not.toContain("No ring changes version");
    const canary = markdown.split("\n").find((l) => l.startsWith("| 1 | canary"))!;
    expect(canary).toContain("1 new pair at 1.0.0: starts +20 min, 1 wave of 10 node batches, done +2 h 54 min");
    // 20 new of 60 pairs; 10% = 6 at once -> 4 waves of 154 min (10 node batches of 15 min) in 4 runbook runs
    // of 100 passes; not gated on canary (the version does not change).
    const all = markdown.split("\n").find((l) => l.startsWith("| 2 | all"))!;
    expect(all).toContain("~20 new pairs at 1.0.0: starts +20 min, 4 waves of 10 node batches over 4 runbook runs, done +13 h 36 min");
    expect(markdown).toContain("Adds Region eu-central-1: ~21 new account-Region pairs get TestAgent 1.0.0 (its document and association) at the next controller run.");
    expect(markdown).toContain("Estimated time to complete: **13 h 36 min**.");
    expect(markdown).not.toContain("Nothing to roll out");
  });

  it("an account added to a ring's target group: only the central account is re-customized", async () => {
    const after = twoRings("1.0.0", ["1.0.0"]);
    after.organization.targetGroups.canary.accounts = ["333333333333", "555555555555"];
    const { markdown, trees } = await reportPair(fixture(twoRings("1.0.0", ["1.0.0"]), ["1.0.0"]), fixture(after, ["1.0.0"]));
    expect(trees.find((t) => t.member)!.status).toBe("unchanged");
    const verdict = markdown.split("\n")[2]!;
    expect(verdict).toContain("It adds account 555555555555 to ring canary: 2 new account-Region pairs get TestAgent 1.0.0 (its document and association) at the next controller run.");
    expect(verdict).toContain("Trigger: the publish job starts `aft-invoke-customizations` for the central account 222222222222 (only the central tree changes)");
    // maxConcurrency 1 of 4 pairs: 2 passes of 15 min after the 20-minute central pipeline.
    expect(verdict).toContain("Estimated time to complete: 6 h 28 min.");
    const canary = markdown.split("\n").find((l) => l.startsWith("| 1 | canary"))!;
    expect(canary).toContain("2 new pairs at 1.0.0: starts +20 min, 2 waves of 10 node batches over 2 runbook runs, done +6 h 28 min");
    expect(markdown.split("\n").find((l) => l.startsWith("| 2 | all"))).toContain("| no change |");
  });
});

describe("golden content: a ring held behind a pinned ring", () => {
  it("marks the next ring blocked: the controller waits for the ring before to run the release", async () => {
    const after = twoRings("1.1.0", ["1.0.0", "1.1.0"]);
    after.packages[0].rings[0].pin = "1.0.0";
    const { markdown } = await reportPair(fixture(twoRings("1.0.0", ["1.0.0"]), ["1.0.0"]), fixture(after, ["1.0.0", "1.1.0"]));
    const all = markdown.split("\n").find((l) => l.startsWith("| 2 | all"))!;
    expect(all).toContain("| 1.0.0 -> 1.1.0 |");
    expect(all).toContain("**blocked: canary is pinned at 1.0.0, not the release 1.1.0**");
    expect(markdown.split("\n")[2]).toContain("**1 ring blocked: TestAgent/all (canary is pinned at 1.0.0, not the release 1.1.0).**");
  });
});

describe("aftTrigger: what starts AFT after the merge", () => {
  const tree = (member: boolean, status: TreeDiff["status"]) => ({ member, status });

  it("central account only when only the central tree changes", () => {
    const trigger = aftTrigger([tree(false, "changed"), tree(true, "unchanged")], "222222222222");
    expect(trigger).toEqual({ kind: "central", input: '{"include":[{"type":"accounts","target_value":["222222222222"]}]}' });
    expect(trigger.input).toBe(invokeCustomizationsInput("central", "222222222222"));
  });

  it("all accounts when the member tree changes, is added or removed", () => {
    for (const status of ["changed", "added", "removed"] as const) {
      expect(aftTrigger([tree(false, "unchanged"), tree(true, status)], "222222222222")).toEqual({ kind: "all", input: '{"include":[{"type":"all"}]}' });
    }
    expect(aftTrigger([tree(false, "changed"), tree(true, "changed")], "222222222222").kind).toBe("all");
  });

  it("nothing when no tree changes, and the report says no trigger is needed", () => {
    expect(aftTrigger([tree(false, "unchanged"), tree(true, "unchanged")], "222222222222")).toEqual({ kind: "none" });
    expect(aftTrigger([], "222222222222")).toEqual({ kind: "none" });
    const model = modelWith({});
    const trees: TreeDiff[] = [{ path: "aft-account-customizations/x/terraform/aft-fleet.tf.json", member: false, status: "unchanged", added: [], changed: [], removed: [] }];
    const md = renderReport({ before: { kind: "known", model }, after: model, baseLabel: "base", trees });
    expect(md.split("\n")[2]).toContain("Trigger: none needed (neither tree changes, so the publish job starts no AFT pipeline).");
    expect(md.split("\n")[2]).toContain("No ring changes version and no pair is added.");
  });

  it("--aft-minutes shifts every ring's start and is stated in the time model", () => {
    const model = modelWith({});
    const [ring0] = model.packages[0]!.rings;
    const trees: TreeDiff[] = [{ path: "aft-account-customizations/x/terraform/aft-fleet.tf.json", member: false, status: "changed", added: [], changed: [], removed: [] }];
    const md = renderReport({ before: { kind: "unknown", why: "test" }, after: model, trees, aftMinutes: 45 });
    expect(md.split("\n").find((l) => l.startsWith(`| 1 | ${ring0!.name}`))).toContain("starts +45 min, 2 waves of 10 node batches over 2 runbook runs, done +6 h 53 min");
    expect(md.split("\n")[2]).toContain("the first ring starts about +45 min after the merge (the central account's AFT pipeline, assumed 45 min");
    expect(md).toContain("the central account's AFT pipeline takes 45 min (assumed, --aft-minutes)");
    expect(parseReportArgs(["--aft-minutes", "30"]).aftMinutes).toBe(30);
    expect(() => parseReportArgs(["--aft-minutes", "soon"])).toThrow(/--aft-minutes: got "soon"; allowed: a positive number of minutes/);
  });
});

describe("the README's real report", () => {
  it("is the report of the example's next release (1.1.0) against HEAD, up to its Mermaid diagram", async () => {
    const root = path.join(__dirname, "..");
    const example = fs.readFileSync(path.join(root, "examples", "fleet.yaml"), "utf8");
    const source = /^(\s*)source: (\S+)/m.exec(example)!;
    const absolute = example.replace(source[0], `${source[1]}source: ${path.resolve(root, "examples", source[2]!)}`);
    const next = absolute.replace(/^(\s*)release: 1\.0\.0\b/m, "$1release: 1.1.0").replace(/^(\s*)versions: \[1\.0\.0\]/m, "$1versions: [1.0.0, 1.1.0]");
    expect(next).toContain("release: 1.1.0");
    expect(next).toContain("versions: [1.0.0, 1.1.0]");
    const before = makeFixture(absolute, {}, "fleet.yaml");
    const after = makeFixture(next, {}, "fleet.yaml");
    fixtures.push(before, after);
    const { markdown } = await reportPair(before, after);
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const start = readme.indexOf("this is the real report, up to its Mermaid diagram:\n\n");
    expect(start).toBeGreaterThan(0);
    const quoted: string[] = [];
    for (const line of readme.slice(start).split("\n").slice(2)) {
      if (!line.startsWith("   >")) break;
      quoted.push(line.replace(/^ {3}> ?/, ""));
    }
    const rendered = markdown
      .replace(/`base`/g, "`HEAD`")
      .split("\n## Rollout flow")[0]!
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/^### /, "##### ").replace(/^##? /, "#### "));
    expect(quoted.join("\n")).toBe(rendered.join("\n"));
  });
});

/** A resolved package with overrides, for the rules (loadConfig refuses some of these states outright). */
function modelWith(pkg: Partial<FleetPackage>, rings?: Partial<RolloutRing>[]): FleetModel {
  const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
  const model = loadConfig(f.configFile);
  const base = model.packages[0]!;
  const merged: FleetPackage = { ...base, ...pkg, rings: rings ? rings.map((r, i) => ({ ...base.rings[i % base.rings.length]!, ...r })) : base.rings };
  return { ...model, packages: [merged] };
}

const group = (name: string, accounts: string[], organizationalUnits: string[] = []) => ({ name, accounts, organizationalUnits, instanceTags: {} });
const messages = (model: FleetModel) => RULES.flatMap((rule) => rule(model.packages[0]!, model)).map((w) => `${w.ring ?? "-"}: ${w.message}`);

it("the mermaid check refuses a broken chart", async () => {
  await expect(parseMermaid('flowchart LR\n  a["x" --> b\n')).rejects.toThrow(/refused the chart: Parse error/);
});

describe("warnings", () => {
  it("are quiet on a reasonable config", () => {
    expect(messages(modelWith({}))).toEqual([]);
  });

  it.each<[string, Partial<FleetPackage>, Partial<RolloutRing>[] | undefined, RegExp]>([
    ["a pin to an unpublished version", {}, [{ pin: "9.9.9" }, {}], /canary: pinned to 9\.9\.9, which is not a published version \(1\.0\.0, 1\.1\.0\)/],
    ["a release not in versions", { release: "2.0.0" }, undefined, /-: release 2\.0\.0 is not in versions/],
    ["an account in two rings", {}, [{}, { targetGroup: group("g", ["333333333333"], ["ou-ab12-cdef3456"]) }], /all: account 333333333333 is also listed in ring canary; it belongs to canary only/],
    ["an OU in an earlier ring", {}, [{ targetGroup: group("a", [], ["ou-ab12-cdef3456"]), maxConcurrency: "1", alarms: ["x"] }, { targetGroup: group("b", [], ["ou-ab12-cdef3456", "ou-ab12-other001"]) }], /all: OU ou-ab12-cdef3456 is also listed in the earlier ring canary; it is excluded from all/],
    ["no alarms ahead of a larger ring", {}, [{ alarms: [] }, { targetGroup: group("b", [], ["ou-ab12-cdef3456", "ou-ab12-other001"]) }], /canary: has no alarms, but the next ring all is larger \(~80 account-Region pairs against ~2\)/],
    ["more than half at once", {}, [{}, { maxConcurrency: "60%" }], /all: maxConcurrency 60% lets 24 of its ~40 account-Region pairs change at once \(more than half\)/],
    ["a retention that prunes a pin", { versionRetention: 1 }, [{ pin: "1.0.0" }, {}], /canary: pinned to 1\.0\.0, but 1 published versions are newer and versionRetention keeps 1/],
  ])("flag %s", (_what, pkg, rings, expected) => {
    expect(messages(modelWith(pkg, rings)).join("\n")).toMatch(expected);
  });

  it("carry the config's orchestration warnings (documents that run code they download) into the report", () => {
    const model = modelWith({});
    const warned = { ...model, orchestration: { ...(model.orchestration ?? ({} as never)), warnings: ["orchestration.documents[1]: AWS-RunRemoteScript runs code it downloads"] } } as FleetModel;
    expect(fleetWarnings(warned)).toContainEqual({ package: "orchestration", message: "orchestration.documents[1]: AWS-RunRemoteScript runs code it downloads" });
    expect(fleetWarnings(model).some((w) => w.package === "orchestration")).toBe(false);
  });

  it("do not flag a ring without alarms ahead of a smaller or equal ring, or a limit of 1", () => {
    const model = modelWith({}, [{ alarms: [], targetGroup: group("a", ["333333333333"], ["ou-ab12-other001"]) }, { maxConcurrency: "1" }]);
    expect(messages(model)).toEqual([]);
  });
});

describe("time model", () => {
  it("reads controller schedules", () => {
    expect(scheduleIntervalMinutes("rate(1 hour)")).toBe(60);
    expect(scheduleIntervalMinutes("rate(30 minutes)")).toBe(30);
    expect(scheduleIntervalMinutes("rate(2 days)")).toBe(2880);
    expect(scheduleIntervalMinutes("cron(0 6 * * ? *)")).toBe(1440);
    expect(formatMinutes(45)).toBe("45 min");
    expect(formatMinutes(190)).toBe("3 h 10 min");
    expect(formatMinutes(3120)).toBe("2 d 4 h");
  });

  it("works waves of maxConcurrency pairs (two passes and two pauses around each wave's node batches), then bake and the next controller run", () => {
    const model = modelWith({}, [
      { maxConcurrency: "1", bakeSeconds: 3600, nodeMaxConcurrency: "50%" },
      { maxConcurrency: "100%", nodeMaxConcurrency: "100%" },
    ]);
    const [plan] = planPackages({ kind: "unknown", why: "test" }, model);
    const estimate = estimatePackage(plan!, 2, 20);
    // canary: 2 pairs, 1 at a time: 2 waves; 10 nodes at 50%: 2 batches of 20 min.
    // A wave: 2 x (1 pair / 2000 per min + 2-min pause) + 2 x 20 = 44.001 min; 2 waves = 88 min, one runbook run.
    // all: 40 pairs at once: 1 wave of 1 batch: 2 x (40 / 2000 + 2) + 20 = 24.04 min; it starts after canary's
    // end (88) + bake (60) + the next hourly controller run (60) = 208.
    expect(estimate.rings.map((r) => [r.pairs, r.waves, r.nodeBatches, r.executions, Math.round(r.startMinutes), Math.round(r.endMinutes)])).toEqual([
      [2, 2, 2, 1, 0, 88],
      [40, 1, 1, 1, 208, 232],
    ]);
    expect(Math.round(estimate.totalMinutes)).toBe(232);
  });

  it("node batches follow the association's MaxConcurrency over the nodes of a pair, at least one node at a time", () => {
    expect(nodeBatches("10%")).toBe(10);
    expect(nodeBatches("10%", 100)).toBe(10);
    expect(nodeBatches("10%", 3)).toBe(3);
    expect(nodeBatches("50%")).toBe(2);
    expect(nodeBatches("100%")).toBe(1);
    expect(nodeBatches("4")).toBe(3);
  });

  it("a ring whose waves need more than 100 apply passes continues at the next controller run (aws:loop's cap)", () => {
    // 1 pair, 10 batches of 20 min: 2 x (1/2000 + 2) + 200 = 204.001 min, 103 passes of 2 min: two runbook runs,
    // the second one controller interval (60 min) later.
    const time = ringTime(1, 1, 10, 20, 60);
    expect(time).toMatchObject({ waves: 1, passes: 103, executions: 2 });
    expect(Math.round(time.minutes)).toBe(264);
    expect(ringTime(0, 0, 10, 20, 60)).toEqual({ waves: 0, minutes: 0, passes: 0, executions: 0 });
  });
});

describe("the CLI", () => {
  it.each([
    [["fleet.yaml"], /unexpected argument "fleet.yaml" \(did you mean --config fleet.yaml\?\)/],
    [["--base", "a", "--base", "b"], /--base is given more than once/],
    [["--nodes-per-pair", "0"], /--nodes-per-pair: got "0"; allowed: a whole number of nodes from 1 to 999999/],
    [["--nodes-per-pair", "2.5"], /--nodes-per-pair: got "2.5"; allowed: a whole number/],
    [["--nope"], /Unknown option '--nope'/],
    [["--install-minutes", "0"], /--install-minutes: got "0"/],
    [["--config", ""], /--config: got an empty value/],
  ])("refuses %j", (argv, expected) => {
    expect(() => parseReportArgs(argv)).toThrow(expected);
  });

  it("prints one line and exits 1 on bad input, 2 on a bad command line", () => {
    const run = (args: string[]) => {
      try {
        execFileSync(process.execPath, ["-r", "esbuild-register", "scripts/report.ts", ...args], { cwd: path.join(__dirname, ".."), encoding: "utf8", stdio: "pipe" });
        return { status: 0, stderr: "" };
      } catch (err) {
        return err as { status: number; stderr: string };
      }
    };
    const badBase = run(["--base", "no-such-ref-or-folder"]);
    expect(badBase.status).toBe(1);
    expect(badBase.stderr.trim().split("\n")).toHaveLength(1);
    expect(badBase.stderr).toMatch(/--base no-such-ref-or-folder: got neither an output folder nor a commit/);
    expect(run(["stray"]).status).toBe(2);
  });

  it("reads a ledger file and counts each ring's pairs", async () => {
    const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    const pair = (account: string, region: string, status: string) => ({ account, region, status, updatedAt: "2026-01-01T00:00:00Z", attempts: 1 });
    const ledger = {
      "TestAgent/canary": {
        schemaVersion: 1, package: "TestAgent", ring: "canary", ringVersion: "1.1.0", reached: {},
        pairs: { "333333333333:us-east-1": pair("333333333333", "us-east-1", "Succeeded"), "333333333333:eu-west-1": pair("333333333333", "eu-west-1", "Failed") },
      },
    };
    f.write({ "ledger.json": JSON.stringify(ledger) });
    const md = await buildReport({ config: f.configFile, ledger: path.join(f.dir, "ledger.json"), help: false }, synthToDir);
    const state = section(md, "Fleet state");
    expect(state).toContain("| TestAgent/canary | 1.1.0 | 1.1.0 | 1 | 0 | 1 | 0 | 0 | 0 |");
    expect(state).toContain("| TestAgent/all | no ledger | 1.1.0 |");
    f.write({ "bad.json": JSON.stringify({ "TestAgent/canary": { pairs: { x: { status: "Done" } } } }) });
    await expect(buildReport({ config: f.configFile, ledger: path.join(f.dir, "bad.json"), help: false }, synthToDir)).rejects.toThrow(
      /TestAgent\/canary\.pairs\.x\.status: got "Done"; allowed: Succeeded, Pending/,
    );
  });

  it("--base DIR diffs the trees only, with the versions before unknown", async () => {
    const before = fixture(twoRings("1.0.0", ["1.0.0"]), ["1.0.0"]);
    await synthToDir(loadConfig(before.configFile), path.join(before.dir, "out"), before.configFile);
    const after = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    const md = await buildReport({ config: after.configFile, base: path.join(before.dir, "out"), help: false }, synthToDir);
    expect(md).toContain("The versions before this change are unknown (--base");
    expect(md).toContain("| ? -> 1.1.0 |");
    expect(section(md, "Emitted trees")).toMatch(/aft-account-customizations\/aft-fleet-central\/terraform\/aft-fleet\.tf\.json`: \d+ added/);
  });
});

describe("the CLI's inputs and --out: one line, no stack trace, nothing written but the named file", () => {
  /** Runs the CLI's main with stderr captured; returns the exit code and what it printed. */
  const run = async (args: string[]) => {
    const lines: string[] = [];
    const err = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      return { code: await reportMain(args), stderr: lines.join("") };
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  };
  const refused = async (f: Fixture, args: string[], message: RegExp) => {
    const before = snapshot(f.dir);
    const { code, stderr } = await run(args);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/internal error/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(f.dir)).toEqual(before);
  };

  it("refuses --out naming the config, the ledger, a link to the config, or a file inside the --base folder", async () => {
    const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    f.write({ "ledger.json": "{}", "base/a.txt": "kept" });
    fs.symlinkSync(f.configFile, path.join(f.dir, "link.json"));
    fs.linkSync(f.configFile, path.join(f.dir, "hard.json"));
    await refused(f, ["--config", f.configFile, "--out", f.configFile], /^--out .*fleet\.json: got the --config input .*fleet\.json; allowed: a file that is none of the report's inputs/);
    await refused(f, ["--config", f.configFile, "--out", path.join(f.dir, "hard.json")], /got the --config input/);
    await refused(f, ["--config", f.configFile, "--out", path.join(f.dir, "link.json")], /got a symbolic link; allowed: a regular file or a new file/);
    await refused(f, ["--config", f.configFile, "--ledger", path.join(f.dir, "ledger.json"), "--out", path.join(f.dir, "ledger.json")], /got the --ledger input/);
    await refused(f, ["--config", f.configFile, "--base", path.join(f.dir, "base"), "--out", path.join(f.dir, "base", "report.md")], /got a file inside the --base output folder/);
    await refused(f, ["--config", f.configFile, "--base", path.join(f.dir, "base"), "--out", path.join(f.dir, "base")], /got a folder; allowed: a regular file/);
    await refused(f, ["--config", f.configFile, "--out", path.join(f.dir, "pkg", "1.0.0", "linux", "install.sh")], /got a file inside the package source folder of TestAgent/);
  });

  it("--out in a missing folder is the user's error, not an internal one, and creates no folder", async () => {
    const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    await refused(f, ["--config", f.configFile, "--out", path.join(f.dir, "missing", "report.md")], /^--out .*report\.md: got a file in a folder that does not exist \(.*missing\); allowed: a file in an existing folder/);
    expect(fs.existsSync(path.join(f.dir, "missing"))).toBe(false);
  });

  it("a deeply nested --ledger is refused with its depth, not a stack overflow", async () => {
    const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    f.write({ "deep.json": `{"TestAgent/canary":${"[".repeat(200_000)}${"]".repeat(200_000)}}` });
    await refused(f, ["--config", f.configFile, "--ledger", path.join(f.dir, "deep.json")], /^--ledger .*deep\.json: got JSON nested 200001 levels deep; allowed: at most 64 levels of nesting/);
  });

  it("a --base folder with a deeply nested tree is refused with its depth, not a stack overflow", async () => {
    const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    f.write({ "base/aft-global-customizations/terraform/aft-fleet.tf.json": `{"resource":{"aws_x":{"y":${"[".repeat(100_000)}${"]".repeat(100_000)}}}}` });
    await refused(f, ["--config", f.configFile, "--base", path.join(f.dir, "base")], /^--base .*base: aft-global-customizations\/terraform\/aft-fleet\.tf\.json: got JSON nested 100003 levels deep; allowed: at most 64 levels/);
  });

  it("writes the named file and only it", async () => {
    const f = fixture(twoRings("1.1.0", ["1.0.0", "1.1.0"]), ["1.0.0", "1.1.0"]);
    const before = snapshot(f.dir);
    const { code, stderr } = await run(["--config", f.configFile, "--out", path.join(f.dir, "report.md")]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const after = snapshot(f.dir);
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual(["report.md"]);
    expect(fs.readFileSync(path.join(f.dir, "report.md"), "utf8")).toMatch(/^# aft-fleet rollout report\n/);
  });
});

describe("--base GIT_REF from a clean clone", () => {
  it("loads the ref's config with the current code, synthesizes it, and removes its worktree", async () => {
    const repo = fixture(twoRings("1.0.0", ["1.0.0"]), ["1.0.0"]);
    const git = (...args: string[]) => execFileSync("git", ["-C", repo.dir, ...args], { encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
    git("init", "--quiet", "-b", "main");
    git("add", ".");
    git("commit", "--quiet", "-m", "1.0.0");
    repo.write({ ...basePackageFiles("1.1.0"), "fleet.json": JSON.stringify(twoRings("1.1.0", ["1.0.0", "1.1.0"])) });
    git("add", ".");
    git("commit", "--quiet", "-m", "1.1.0");
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-clone-"));
    try {
      execFileSync("git", ["clone", "--quiet", repo.dir, clone]);
      const md = await buildReport({ config: path.join(clone, "fleet.json"), base: "origin/main~1", help: false }, synthToDir);
      expect(md.split("\n")[2]).toContain("Against `origin/main~1`, this change promotes 1 package (TestAgent 1.0.0 -> 1.1.0)");
      expect(md).toMatch(/`aft-account-customizations\/aft-fleet-central\/terraform\/aft-fleet\.tf\.json`: [1-9]\d* added/);
      expect(execFileSync("git", ["-C", clone, "worktree", "list"], { encoding: "utf8" }).trim().split("\n")).toHaveLength(1);
      expect(execFileSync("git", ["-C", clone, "status", "--porcelain"], { encoding: "utf8" })).toBe("");
    } finally {
      fs.rmSync(clone, { recursive: true, force: true });
    }
  });
});

it("reports on 1,000 accounts in rings in under 2 s", () => {
  const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    expect(benchReport(1000)).toEqual([{ what: "report for 1000 accounts <= 2 s", ok: true }]);
  } finally {
    write.mockRestore();
  }
});

describe("the patching section: which nodes a change patches and may reboot", () => {
  const example = loadConfig();
  const { patching: _p, ...withoutPatching } = example;

  it("names every window's nodes, what happens to them and when, the tagging and the emergency rings, when patching is added", () => {
    const lines = patchingSection(example, { kind: "known", model: withoutPatching as FleetModel }).join("\n");
    const key = example.patching!.environmentTag;
    for (const w of example.patching!.windows) {
      expect(lines).toContain(`| ${w.environment} | tagged \`${key}=${w.environment}\`, every account | ${w.operation}: `);
      if (w.operation !== "Scan" && w.rebootOption !== "NoReboot") expect(lines).toMatch(new RegExp(`\\| ${w.environment} \\|[^\\n]*reboots when a patch needs it`));
    }
    if (example.patching!.tagUntagged.enabled) expect(lines).toContain("Untagged EC2 instances");
  });

  it("is absent when patching did not change, and says so when it is removed", () => {
    expect(patchingSection(example, { kind: "known", model: example })).toEqual([]);
    expect(patchingSection(withoutPatching as FleetModel, { kind: "known", model: example }).join("\n")).toMatch(/Patching is removed: no window patches or reboots nodes/);
  });
});
