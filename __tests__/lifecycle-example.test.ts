/*
 * AFT lifecycle order over the real emitted trees: the central account's first
 * pipeline (global then account stage), a member vended before and after the central account, a
 * release bump, a rollback and a new package. Each must need nothing that only a later stage, or
 * another account's stage that has not run, creates. The old design fails this (lifecycle.test.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthToDir } from "../main";
import { loadConfig } from "../modules/config";
import { baseConfig, basePackageFiles, makeFixture } from "./helpers/fixture";
import { runStandardScenarios, type TfJson, type TreePair } from "./helpers/lifecycle";

async function treesOf(configFile: string, out: string): Promise<TreePair> {
  const model = loadConfig(configFile);
  await synthToDir(model, out, configFile);
  const read = (rel: string) => JSON.parse(fs.readFileSync(path.join(out, rel, "terraform", "aft-fleet.tf.json"), "utf8")) as TfJson;
  return { global: read("aft-global-customizations"), account: read(`aft-account-customizations/${model.deployment.accountCustomizationName}`) };
}

describe("lifecycle order of the emitted trees under AFT's stages", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-lifecycle-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the bundled example: first deployment, members before and after the central account", async () => {
    const current = await treesOf(path.join(__dirname, "..", "examples", "fleet.yaml"), path.join(tmp, "example"));
    const results = runStandardScenarios(current, { centralAccount: "222222222222", changes: [{ name: "re-run unchanged", before: current }] });
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results).toEqual(results.map((r) => ({ scenario: r.scenario, violations: [] })));
  });

  it("a release bump, a rollback and a new package need no member pipeline and no later stage", async () => {
    const files = { ...basePackageFiles("1.0.0"), ...basePackageFiles("1.1.0") };
    for (const [rel, body] of Object.entries(basePackageFiles("2.0.0"))) files[rel.replace(/^pkg\//, "other/")] = body;
    const fx = makeFixture(baseConfig(), files);
    try {
      const write = (name: string, mutate: (c: any) => void) => {
        const c = baseConfig();
        c.packages[0].versions = ["1.0.0", "1.1.0"];
        mutate(c);
        const file = path.join(fx.dir, name);
        fs.writeFileSync(file, JSON.stringify(c));
        return file;
      };
      const v1 = await treesOf(write("v1.json", () => undefined), path.join(tmp, "v1"));
      const v2 = await treesOf(write("v2.json", (c) => (c.packages[0].release = "1.1.0")), path.join(tmp, "v2"));
      const newPackage = await treesOf(
        write("v3.json", (c) => c.packages.push({ ...c.packages[0], name: "OtherAgent", source: "other", release: "2.0.0", versions: ["2.0.0"] })),
        path.join(tmp, "v3"),
      );
      // A release bump and a rollback change no member tree: moving a version never needs AFT to re-run 1,000 accounts.
      expect(v2.global).toEqual(v1.global);
      const scenarios = [
        ...runStandardScenarios(v2, { centralAccount: "222222222222", changes: [{ name: "release bump 1.0.0 -> 1.1.0", before: v1 }] }),
        ...runStandardScenarios(v1, { centralAccount: "222222222222", changes: [{ name: "rollback 1.1.0 -> 1.0.0", before: v2 }] }),
        ...runStandardScenarios(newPackage, { centralAccount: "222222222222", changes: [{ name: "new package", before: v1 }] }),
      ];
      expect(scenarios.map((s) => s.scenario)).toEqual(expect.arrayContaining([expect.stringContaining("release bump"), expect.stringContaining("rollback"), expect.stringContaining("new package")]));
      expect(scenarios).toEqual(scenarios.map((r) => ({ scenario: r.scenario, violations: [] })));
    } finally {
      fx.cleanup();
    }
  });

  it("patching with an emergency campaign: the member trees need nothing of the central account, and a new campaign changes no member tree", async () => {
    const fx = makeFixture(baseConfig(), basePackageFiles());
    try {
      const write = (name: string, campaign: string) => {
        const c = baseConfig();
        // An emergency campaign patches the nodes of configured windows; without one it would select no node.
        c.patching = { environments: { Dev: {} }, emergency: { campaign, rings: [{ name: "canary", targets: "canary" }, { name: "all", targets: "all" }] } };
        const file = path.join(fx.dir, name);
        fs.writeFileSync(file, JSON.stringify(c));
        return file;
      };
      const first = await treesOf(write("e1.json", "campaign-0001"), path.join(tmp, "e1"));
      const next = await treesOf(write("e2.json", "campaign-0002"), path.join(tmp, "e2"));
      expect(next.global).toEqual(first.global);
      expect(JSON.stringify(first.global)).not.toContain("aws_ssm_resource_data_sync");
      const results = runStandardScenarios(next, { centralAccount: "222222222222", changes: [{ name: "new emergency campaign", before: first }] });
      expect(results).toEqual(results.map((r) => ({ scenario: r.scenario, violations: [] })));
    } finally {
      fx.cleanup();
    }
  });
});
