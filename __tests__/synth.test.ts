import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig } from "../modules/config";
import { main, synthToDir } from "../main";
import { baseConfig, basePackageFiles, makeFixture } from "./helpers/fixture";

/** Every file below `dir` as relative path -> bytes. */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else out.set(child, fs.readFileSync(path.join(dir, child)));
    }
  };
  walk("");
  return out;
}

describe("synth of the bundled example organization", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-synth-test-"));
  const first = path.join(tmp, "first");
  const second = path.join(tmp, "second");
  const central = "aft-account-customizations/fleet-central";
  const global = "aft-global-customizations";
  let tree: Map<string, Buffer>;

  beforeAll(async () => {
    const model = loadConfig();
    await synthToDir(model, first);
    await synthToDir(loadConfig(), second);
    tree = readTree(first);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const tfJson = (root: string) => JSON.parse(tree.get(`${root}/terraform/aft-fleet.tf.json`)!.toString("utf8"));

  it("writes both AFT trees with the jinja templates and api_helpers AFT expects", async () => {
    for (const root of [central, global]) {
      for (const file of ["terraform/aft-fleet.tf.json", "terraform/backend.jinja", "terraform/aft-providers.jinja", "api_helpers/pre-api-helpers.sh", "api_helpers/post-api-helpers.sh", "api_helpers/python/requirements.txt"]) {
        expect(tree.has(`${root}/${file}`)).toBe(true);
      }
    }
    expect(fs.statSync(path.join(first, central, "api_helpers/pre-api-helpers.sh")).mode & 0o111).not.toBe(0);
  });

  it("emits no backend and no provider configuration (AFT renders both)", async () => {
    for (const root of [central, global]) {
      const json = tfJson(root);
      expect(json.terraform.backend).toBeUndefined();
      expect(json.provider).toBeUndefined();
      expect(json.terraform.required_version).toBeUndefined();
      expect(json.terraform.required_providers.aws).toEqual({ source: "aws", version: ">= 6.25.0, < 7.0.0" });
      expect(json.terraform.required_providers.archive.version).toBe(">= 2.7.0, < 3.0.0");
    }
  });

  it("renders an S3 backend with the assume_role object and AFT's provider in the home Region", async () => {
    const backend = tree.get(`${global}/terraform/backend.jinja`)!.toString();
    expect(backend).toMatch(/assume_role = \{\s*role_arn = "\{\{ aft_admin_role_arn \}\}"/);
    // AFT passes tf_version to the templates only since 1.11.0; an older AFT would render `>= ""`.
    expect(backend).not.toContain("tf_version");
    expect(backend).toContain('backend "remote"');
    const providers = tree.get(`${global}/terraform/aft-providers.jinja`)!.toString();
    expect(providers).toContain('region = "{{ provider_region }}"');
    expect(providers).toContain('role_arn = "{{ target_admin_role_arn }}"');
    expect(providers).not.toContain("alias");
  });

  it("contains no absolute paths, usernames, host names or timestamps", async () => {
    const forbidden = [tmp, os.homedir(), process.cwd(), os.hostname(), os.userInfo().username].filter((s) => s.length > 3 && s !== "root"); // "root" is also an English word
    for (const [file, bytes] of tree) {
      const text = bytes.toString("utf8");
      for (const word of forbidden) expect({ file, hit: text.includes(word) }).toEqual({ file, hit: false });
      expect({ file, hit: /"\/(root|home|tmp|work|Users)\//.test(text) }).toEqual({ file, hit: false });
      // Maintenance windows carry a fixed, documented start_date anchor (config data, not the synth time).
      const withoutAnchors = text.replace(/"start_date": "[^"]*"/g, "");
      expect({ file, hit: /\b20\d\d-\d\d-\d\dT\d\d:\d\d/.test(withoutAnchors) }).toEqual({ file, hit: false });
    }
  });

  it("is byte-identical across two synths", async () => {
    const again = readTree(second);
    expect([...again.keys()].sort()).toEqual([...tree.keys()].sort());
    for (const [file, bytes] of tree) expect({ file, same: bytes.equals(again.get(file)!) }).toEqual({ file, same: true });
  });

  it("keeps every file the Terraform reads inside its own folder", async () => {
    for (const root of [central, global]) {
      const json = tfJson(root);
      for (const zip of Object.values<any>(json.data?.archive_file ?? {})) {
        expect(zip.source_dir.startsWith("assets/")).toBe(true);
        const dir = path.join(first, root, "terraform", zip.source_dir);
        expect(["install.sh", "install.ps1", "index.js"].some((f) => fs.existsSync(path.join(dir, f)))).toBe(true);
      }
    }
  });

  it("puts the store, uploads, controller and ring specs in the central tree and no package resources in the global tree", async () => {
    const c = tfJson(central).resource;
    expect(Object.keys(c.aws_s3_bucket).sort()).toEqual(["orchestration_bucket", "package_store_bucket", "patching_reports_bucket"]);
    expect(Object.values<any>(c.aws_s3_object).map((o) => o.key).sort()).toEqual([
      "controller/ExampleAgent/broad.json",
      "controller/ExampleAgent/canary.json",
      // The controller's inventory sync job (patching is configured): each member's resource data sync.
      "controller/_inventory/sync.json",
      // Package versions below the one package prefix (contract versionPrefix), apart from ring specs, ledgers and runs.
      "packages/ExampleAgent/1.0.0/linux.zip",
      "packages/ExampleAgent/1.0.0/manifest.json",
      "packages/ExampleAgent/1.0.0/windows.zip",
    ]);
    expect(Object.values<any>(c.aws_lambda_function).map((f) => f.function_name)).toEqual(["aft-fleet-rollout-controller"]);
    const g = tfJson(global);
    // The execution role and patch management only: no package documents, associations or uploads.
    expect(Object.values<any>(g.resource.aws_iam_role).map((r) => r.name)).toEqual(expect.arrayContaining(["aft-fleet-execution", "aft-fleet-patching-maintenance-window", "aft-fleet-orchestration"]));
    // The only documents, once per workload Region: the patching tagging runbook and, with the example's freeze, the freeze calendar and the patch runbook that reads it.
    expect(Object.values<any>(g.resource.aws_ssm_document).map((d) => d.name)).toEqual(["aft-fleet-change-freezes", "aft-fleet-RunPatchBaselineUnlessFrozen", "aft-fleet-TagUntaggedNodes", "aft-fleet-change-freezes", "aft-fleet-RunPatchBaselineUnlessFrozen", "aft-fleet-TagUntaggedNodes"]);
    expect(g.resource.aws_s3_object).toBeUndefined();
    expect(Object.values<any>(g.resource.aws_ssm_association).map((a) => a.association_name).sort()).toEqual([
      "aft-fleet-inventory",
      "aft-fleet-inventory",
      "aft-fleet-tag-untagged-nodes",
      "aft-fleet-tag-untagged-nodes",
    ]);
    expect(g.data.archive_file).toBeUndefined();
    expect(fs.existsSync(path.join(first, global, "terraform", "assets"))).toBe(false);
  });
});

describe("the synth command", () => {
  let stderr: jest.SpyInstance;
  let stdout: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => {
    stderr.mockRestore();
    stdout.mockRestore();
  });

  it("exits 1 with a one-line-per-problem message and leaves the previous output untouched on bad input", async () => {
    const good = makeFixture();
    const bad = makeFixture({ ...baseConfig(), packages: [{ ...baseConfig().packages[0], rings: [{ name: "all", targets: "nope" }] }] }, basePackageFiles());
    const out = path.join(good.dir, "out");
    try {
      expect(await main(["synth", "--config", good.configFile, "--out", out])).toBe(0);
      const before = readTree(out);
      expect(await main(["synth", "--config", bad.configFile, "--out", out])).toBe(1);
      const message = stderr.mock.calls.map((c) => String(c[0])).join("");
      expect(message).toContain('packages[0].rings[0].targets: got "nope"; allowed: a target group: all, canary');
      expect(message).not.toMatch(/\n\s+at /);
      const after = readTree(out);
      expect([...after.keys()]).toEqual([...before.keys()]);
      expect(fs.readdirSync(good.dir).filter((f) => f.includes("staging"))).toEqual([]);
      expect(fs.readdirSync(out).filter((f) => f.startsWith(".aft-fleet-") && f !== ".aft-fleet-output")).toEqual([]);
    } finally {
      good.cleanup();
      bad.cleanup();
    }
  });

  it("replaces what it wrote before completely, dropping files of removed packages", async () => {
    const fx = makeFixture();
    const out = path.join(fx.dir, "out");
    const twoVersions = path.join(fx.dir, "two.json");
    try {
      fx.write(basePackageFiles("0.9.0"));
      const config = baseConfig();
      config.packages[0].versions = ["1.0.0", "0.9.0"];
      fs.writeFileSync(twoVersions, JSON.stringify(config));
      expect(await main(["synth", "--config", twoVersions, "--out", out])).toBe(0);
      const withOld = readTree(out);
      expect([...withOld.keys()].some((f) => f.includes("0.9.0") || f.includes("0_9_0"))).toBe(true);
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);
      const after = readTree(out);
      expect([...after.keys()].some((f) => f.includes("0.9.0"))).toBe(false);
      expect(after.get(".aft-fleet-output")!.toString()).toContain("aft-global-customizations/terraform/aft-fleet.tf.json");
    } finally {
      fx.cleanup();
    }
  });

  it("keeps all its working files inside the output folder and removes what an interrupted synth left there", async () => {
    const fx = makeFixture();
    const out = path.join(fx.dir, "out");
    try {
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);
      const stale = path.join(out, ".aft-fleet-staging-abc123");
      const live = path.join(out, ".aft-fleet-staging-live01");
      for (const dir of [stale, live]) fs.mkdirSync(path.join(dir, "aft-global-customizations"), { recursive: true });
      const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
      fs.utimesSync(stale, hourAgo, hourAgo);
      const besideBefore = fs.readdirSync(fx.dir).sort();
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
      expect(fs.readdirSync(fx.dir).sort()).toEqual(besideBefore);
    } finally {
      fx.cleanup();
    }
  });

  it("writes direct-mode stacks with an S3 backend and a provider per account", async () => {
    const fx = makeFixture({
      ...baseConfig(),
      deployment: { mode: "direct", direct: { stateBucket: "tf-state-bucket", stateRegion: "us-east-1", memberAccounts: ["333333333333"], lockTable: "tf-locks" } },
    });
    const out = path.join(fx.dir, "out");
    try {
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);
      const central = JSON.parse(fs.readFileSync(path.join(out, "direct", "central", "aft-fleet.tf.json"), "utf8"));
      expect(central.terraform.backend.s3).toEqual({ bucket: "tf-state-bucket", key: "aft-fleet/central.tfstate", region: "us-east-1", encrypt: true, dynamodb_table: "tf-locks" });
      expect(central.provider.aws[0].assume_role[0].role_arn).toBe("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole");
      const member = JSON.parse(fs.readFileSync(path.join(out, "direct", "member-333333333333", "aft-fleet.tf.json"), "utf8"));
      expect(member.provider.aws[0].assume_role[0].role_arn).toBe("arn:aws:iam::333333333333:role/OrganizationAccountAccessRole");
      expect(Object.values<any>(member.resource.aws_iam_role).map((r) => r.name)).toEqual(["aft-fleet-execution"]);
      // The central account gets the per-account side as well, without being listed.
      expect(fs.readdirSync(path.join(out, "direct")).sort()).toEqual(["central", "member-222222222222", "member-333333333333"]);
    } finally {
      fx.cleanup();
    }
  });

  it("rejects direct mode without its backend settings", async () => {
    const fx = makeFixture({ ...baseConfig(), deployment: { mode: "direct" } });
    try {
      expect(await main(["synth", "--config", fx.configFile, "--out", path.join(fx.dir, "out")])).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("deployment.direct: missing; allowed: stateBucket and stateRegion");
      expect(fs.existsSync(path.join(fx.dir, "out"))).toBe(false);
    } finally {
      fx.cleanup();
    }
  });
});
