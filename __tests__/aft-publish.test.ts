/*
 * The whole path of a change, as the CI example runs it: synth, the copy into AFT repositories that
 * already hold their owners' files, and the trigger that makes AFT apply it. Two facts of AFT drive it
 * (aws-ia/terraform-aws-control_tower_account_factory):
 * - sources/aft-customizations-common/templates/customizations_pipeline/codepipeline.tf: the per-account
 *   pipelines have no change detection, so a push to the customization repositories starts nothing; they
 *   run on vending or when the aft-invoke-customizations state machine (modules/aft-customizations/
 *   states.tf) is started with {"include":[...]} (aft_common/schemas/identify_targets_request_schema.json).
 * - the customization repositories' templates hold backend.jinja, aft-providers.jinja and the api
 *   helpers, and owners add their own .tf files next to them.
 * And one of Terraform: a module may have only one required_providers block (internal/configs/module.go,
 * "Duplicate required providers configuration").
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { main, synthToDir } from "../main";
import { buildReport } from "../scripts/report";
import { REPO_MANIFEST } from "../modules/aft/copy-to-repos";

const ROOT = path.join(__dirname, "..");
const CENTRAL = "222222222222";

let work: string;
let out: string[];
let err: string[];
let spies: jest.SpyInstance[];

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-publish-"));
  out = [];
  err = [];
  spies = [
    jest.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true)),
    jest.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true)),
  ];
});
afterEach(() => {
  for (const s of spies) s.mockRestore();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The example config with `change` applied, written beside a path back to the example's package sources. */
function config(change: (c: any) => void = () => {}): string {
  const doc = parse(fs.readFileSync(path.join(ROOT, "examples", "fleet.yaml"), "utf8"));
  const file = path.join(work, "fleet.yaml");
  doc.packages[0].source = path.relative(work, path.join(ROOT, "packages", "example-agent"));
  change(doc);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

/** An AFT repository as its template and its owner left it. */
function files(dir: string): Record<string, string> {
  const outFiles: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else outFiles[child] = fs.readFileSync(path.join(dir, child), "utf8");
    }
  };
  walk("");
  return outFiles;
}

function write(root: string, tree: Record<string, string>): void {
  for (const [rel, text] of Object.entries(tree)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

const OWNERS_GLOBAL = {
  "README.md": "# our global customizations\n",
  "terraform/backend.jinja": "## the owner's backend template\n",
  "terraform/aft-providers.jinja": "## the owner's providers, with aliases\n",
  "terraform/main.tf": 'resource "aws_iam_account_password_policy" "strict" {\n  minimum_password_length = 14\n}\n',
  "terraform/assets/policy.json": "{}\n",
  "api_helpers/pre-api-helpers.sh": "#!/bin/bash\necho 'our own pre step'\n",
  "api_helpers/post-api-helpers.sh": "#!/bin/bash\necho 'our own post step'\n",
  "api_helpers/python/requirements.txt": "boto3\n",
};
const OWNERS_ACCOUNT = {
  "README.md": "# account customizations\n",
  "sandbox/terraform/main.tf": 'resource "aws_s3_bucket" "sandbox" {}\n',
};

async function run(args: string[]): Promise<number> {
  out.length = 0;
  err.length = 0;
  return main(args);
}

/** Synthesizes `cfg` and copies the trees as the CI example's publish job does; returns the trigger input. */
async function publish(cfg: string, extra: string[] = []): Promise<string | undefined> {
  const dist = path.join(work, "dist");
  expect(await run(["synth", "--config", cfg, "--out", dist])).toBe(0);
  const code = await run(["copy", "--config", cfg, "--out", dist, "--global-repo", path.join(work, "aft-global"), "--account-repo", path.join(work, "aft-account"), "--trigger-out", path.join(work, "trigger.json"), ...extra]);
  expect({ code, err: err.join("") }).toEqual({ code: 0, err: "" });
  const trigger = path.join(work, "trigger.json");
  return fs.existsSync(trigger) ? fs.readFileSync(trigger, "utf8").trim() : undefined;
}

describe("publishing into AFT repositories that already hold their owners' files", () => {
  beforeEach(() => {
    write(path.join(work, "aft-global"), OWNERS_GLOBAL);
    write(path.join(work, "aft-account"), OWNERS_ACCOUNT);
  });

  it("first install, release, rollback and retirement: nothing of the owners' is lost, and each change starts the right AFT run", async () => {
    // First install: the member tree is new, so every account must be re-customized.
    expect(await publish(config())).toBe('{"include":[{"type":"all"}]}');
    const global = files(path.join(work, "aft-global"));
    for (const [rel, text] of Object.entries(OWNERS_GLOBAL)) expect({ rel, text: global[rel] }).toEqual({ rel, text });
    expect(Object.keys(global).filter((f) => !(f in OWNERS_GLOBAL)).sort()).toEqual([REPO_MANIFEST, "terraform/.gitignore", "terraform/aft-fleet.tf.json"]);
    expect(global[REPO_MANIFEST]!.split("\n").slice(1).filter(Boolean)).toEqual(["terraform/aft-fleet.tf.json"]);
    const account = files(path.join(work, "aft-account"));
    expect(account["sandbox/terraform/main.tf"]).toBe(OWNERS_ACCOUNT["sandbox/terraform/main.tf"]);
    expect(account["fleet-central/terraform/backend.jinja"]).toContain('backend "s3"');
    expect(out.join("")).toContain("start aft-invoke-customizations for all accounts");

    const firstDist = path.join(work, "dist-first");
    fs.cpSync(path.join(work, "dist"), firstDist, { recursive: true });

    // The same config again: nothing changed, nothing to start.
    expect(await publish(config())).toBeUndefined();
    expect(out.join("")).toContain("no tree changed; AFT needs no run");

    // A release changes only the central tree: only the central account's pipeline must run.
    const release = (c: any) => ((c.packages[0].release = "1.1.0"), (c.packages[0].versions = ["1.0.0", "1.1.0"]));
    const releaseConfig = config(release);
    // The pull request's report says the same thing the publish job then does, and when the first ring starts.
    const report = await buildReport({ config: releaseConfig, base: firstDist, help: false }, synthToDir);
    expect(report).toContain(`Trigger: the publish job starts \`aft-invoke-customizations\` for the central account ${CENTRAL} (only the central tree changes)`);
    expect(report).toMatch(/the first ring starts about \+20 min after the merge/);
    expect(await publish(releaseConfig)).toBe(JSON.stringify({ include: [{ type: "accounts", target_value: [CENTRAL] }] }));
    const afterRelease = files(path.join(work, "aft-account"));
    expect(Object.keys(afterRelease).some((f) => /example_agent_1_1_0_artifacts_linux_source/.test(f))).toBe(true);
    expect(files(path.join(work, "aft-global"))["terraform/aft-fleet.tf.json"]).toBe(global["terraform/aft-fleet.tf.json"]);

    // A rollback is a release of the older version: again the central account only.
    const rollback = (c: any) => ((c.packages[0].release = "1.0.0"), (c.packages[0].versions = ["1.0.0", "1.1.0"]));
    expect(await publish(config(rollback))).toBe(JSON.stringify({ include: [{ type: "accounts", target_value: [CENTRAL] }] }));

    // Retiring 1.1.0 removes exactly the files aft-fleet wrote for it.
    expect(await publish(config())).toBe(JSON.stringify({ include: [{ type: "accounts", target_value: [CENTRAL] }] }));
    const retired = files(path.join(work, "aft-account"));
    expect(Object.keys(retired).some((f) => /1_1_0/.test(f))).toBe(false);
    expect(retired["sandbox/terraform/main.tf"]).toBe(OWNERS_ACCOUNT["sandbox/terraform/main.tf"]);
    for (const [rel, text] of Object.entries(OWNERS_GLOBAL)) expect(files(path.join(work, "aft-global"))[rel]).toBe(text);
  });

  it("re-runs a trigger that failed after the push (--force-trigger), though nothing changed", async () => {
    await publish(config());
    expect(await publish(config(), ["--force-trigger", "central"])).toBe(JSON.stringify({ include: [{ type: "accounts", target_value: [CENTRAL] }] }));
  });

  it("stops before writing when a file aft-fleet would write is the owner's", async () => {
    write(path.join(work, "aft-global"), { "terraform/aft-fleet.tf.json": '{"resource": {}}\n' });
    const before = files(path.join(work, "aft-global"));
    const accountBefore = files(path.join(work, "aft-account"));
    const cfg = config();
    expect(await run(["synth", "--config", cfg, "--out", path.join(work, "dist")])).toBe(0);
    expect(await run(["copy", "--config", cfg, "--out", path.join(work, "dist"), "--global-repo", path.join(work, "aft-global"), "--account-repo", path.join(work, "aft-account")])).toBe(1);
    expect(err.join("")).toMatch(/--global-repo: .* already holds terraform\/aft-fleet\.tf\.json, which aft-fleet did not write; allowed: files aft-fleet wrote before/);
    expect(files(path.join(work, "aft-global"))).toEqual(before);
    expect(files(path.join(work, "aft-account"))).toEqual(accountBefore);
  });

  it("refuses a second required_providers block, and works once the member tree omits its own", async () => {
    write(path.join(work, "aft-global"), { "terraform/versions.tf": 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = ">= 6.25.0, < 7.0.0" }\n  }\n}\n' });
    const cfg = config();
    expect(await run(["synth", "--config", cfg, "--out", path.join(work, "dist")])).toBe(0);
    expect(await run(["copy", "--config", cfg, "--out", path.join(work, "dist"), "--global-repo", path.join(work, "aft-global")])).toBe(1);
    expect(err.join("")).toMatch(/terraform\/versions\.tf has a required_providers block and so does aft-fleet\.tf\.json; Terraform allows one per module: set deployment\.memberProviderRequirements: omit/);
    const omit = config((c) => (c.deployment.memberProviderRequirements = "omit"));
    expect(await publish(omit)).toBe('{"include":[{"type":"all"}]}');
    const tree = JSON.parse(files(path.join(work, "aft-global"))["terraform/aft-fleet.tf.json"]!);
    expect(tree.terraform?.required_providers).toBeUndefined();
  });
});

describe("the copy command line", () => {
  it.each([
    [["copy"], /copy needs --global-repo DIR, --account-repo DIR or both/],
    [["synth", "--global-repo", "x"], /--global-repo is an option of copy, not of synth/],
    [["copy", "--global-repo", "x", "--force-trigger", "some"], /--force-trigger: got "some"; allowed: central or all/],
    [["copy", "--global-repo", "x", "--force-trigger", "all"], /--force-trigger needs --trigger-out FILE/],
  ])("%j is refused", async (args, message) => {
    expect(await run(args)).toBe(2);
    expect(err.join("")).toMatch(message);
  });
});
