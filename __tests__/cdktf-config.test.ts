/**
 * `npm run cdktf:synth -- --config FILE` (scripts/cdktf.ts): the cdktf CLI ignores app arguments, so the
 * wrapper takes --config, checks the config first and hands it to cdktf.json's app as AFT_FLEET_CONFIG.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCdktfArgs } from "../scripts/cdktf";
import { ROOT, tempDir } from "./helpers/package";

jest.setTimeout(300_000);

function wrapper(args: readonly string[]) {
  const env = { ...process.env };
  delete env.AFT_FLEET_CONFIG;
  return spawnSync(process.execPath, ["-r", require.resolve("esbuild-register"), path.join(ROOT, "scripts", "cdktf.ts"), ...args], { cwd: ROOT, encoding: "utf8", env });
}

describe("parseCdktfArgs", () => {
  it("takes --config FILE or --config=FILE out and leaves the rest to cdktf", () => {
    expect(parseCdktfArgs(["synth", "--config", "a.yaml", "--output", "x"])).toEqual({ config: "a.yaml", cdktf: ["synth", "--output", "x"] });
    expect(parseCdktfArgs(["deploy", "--config=b.yaml"])).toEqual({ config: "b.yaml", cdktf: ["deploy"] });
    expect(parseCdktfArgs(["synth"])).toEqual({ cdktf: ["synth"] });
  });

  it("refuses a missing, empty or repeated --config", () => {
    expect(() => parseCdktfArgs(["synth", "--config"])).toThrow("--config needs a FILE (a YAML or JSON fleet config)");
    expect(() => parseCdktfArgs(["synth", "--config="])).toThrow("--config: got an empty path");
    expect(() => parseCdktfArgs(["synth", "--config", "a", "--config", "b"])).toThrow("--config is given more than once; give it once");
  });
});

describe("npm run cdktf:synth -- --config FILE", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("aft-fleet-cdktf-");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("fails loudly, before cdktf starts, on a config that does not load", () => {
    const run = wrapper(["synth", "--config", path.join(dir, "missing.yaml")]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    expect(run.stderr).toContain("missing.yaml");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("synthesizes the given config, not the bundled example", () => {
    fs.mkdirSync(path.join(dir, "examples"));
    fs.cpSync(path.join(ROOT, "packages", "example-agent"), path.join(dir, "packages", "example-agent"), { recursive: true });
    const text = fs.readFileSync(path.join(ROOT, "examples", "fleet.yaml"), "utf8");
    // Another organization id: it is in the central stack's policies, so the stack shows which config it came from.
    const mine = text.replace(/o-a1b2c3d4e5/g, "o-cdktfgiven1");
    expect(mine).not.toBe(text);
    const config = path.join(dir, "examples", "fleet.yaml");
    fs.writeFileSync(config, mine);
    const out = path.join(dir, "cdktf.out");
    const run = wrapper(["synth", "--config", config, "--output", out]);
    expect(run.status).toBe(0);
    const central = fs.readFileSync(path.join(out, "stacks", "central", "cdk.tf.json"), "utf8");
    const example = fs.readFileSync(path.join(ROOT, "examples", "fleet.yaml"), "utf8");
    expect(example).not.toContain("o-cdktfgiven1");
    expect(central).toContain("o-cdktfgiven1");
    expect(central).not.toContain("o-a1b2c3d4e5");
  });
});
