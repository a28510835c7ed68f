import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadConfig, MAX_FILES_PER_FOLDER } from "../modules/config";
import { baseConfig, basePackageFiles, makeFixture } from "./helpers/fixture";

function loadError(config: unknown, files = basePackageFiles(), name = "fleet.json"): ConfigError {
  const fx = makeFixture(config, files, name);
  try {
    loadConfig(fx.configFile, name);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  } finally {
    fx.cleanup();
  }
  throw new Error("expected a ConfigError, but the config loaded");
}

function mutate(fn: (c: Record<string, any>) => void): Record<string, any> {
  const c = baseConfig();
  fn(c);
  return c;
}

describe("loadConfig: valid input", () => {
  it("resolves the bundled example with defaults filled in", () => {
    const model = loadConfig();
    expect(model.source).toBe("examples/fleet.yaml");
    expect(model.organization.workloadRegions).toEqual(["us-east-1", "eu-west-1"]);
    const pkg = model.packages[0]!;
    expect(pkg.versions.map((v) => v.prefix)).toEqual(["packages/ExampleAgent/1.0.0/"]);
    expect(pkg.versions[0]!.bundles.map((b) => b.zipName)).toEqual(["linux.zip", "windows.zip"]);
    expect(pkg.rings.map((r) => r.name)).toEqual(["canary", "broad"]);
    expect(pkg.rings[1]!.targetGroup.organizationalUnits).toEqual(["ou-ab12-sandbox01", "ou-ab12-workload1"]);
    expect(pkg.rings[0]!.bakeSeconds).toBe(24 * 3600);
    expect(pkg.release).toBe("1.0.0");
    expect(model.store.bucketName).toBe("aft-fleet-packages-222222222222-us-east-1");
  });

  it("applies ring and store defaults and puts the home Region first", () => {
    const fx = makeFixture(mutate((c) => (c.organization.workloadRegions = ["eu-west-1", "ap-south-1"])));
    try {
      const model = loadConfig(fx.configFile);
      expect(model.organization.workloadRegions).toEqual(["us-east-1", "ap-south-1", "eu-west-1"]);
      expect(model.packages[0]!.rings[0]).toMatchObject({
        action: "Install",
        schedule: "rate(1 day)",
        maxConcurrency: "10%",
        maxErrors: "0",
        nodeMaxConcurrency: "10%",
        nodeMaxErrors: "10%",
        bakeSeconds: 0,
        alarms: [],
        complianceSeverity: "MEDIUM",
      });
      expect(model.packages[0]!.versionRetention).toBe(10);
      expect(model.packages[0]!.controllerSchedule).toBe("rate(1 hour)");
      expect(model.store.encryption).toBe("kms");
      expect(model.packages[0]!.installationType).toBe("Uninstall and reinstall");
      expect(model.store.noncurrentVersionDays).toBe(365);
      expect(model.deployment).toEqual({ mode: "aft", accountCustomizationName: "aft-fleet-central", memberProviderRequirements: "emit" });
    } finally {
      fx.cleanup();
    }
  });

  it("reads YAML as well as JSON", () => {
    const yaml = fs.readFileSync(path.join(__dirname, "..", "examples", "fleet.yaml"), "utf8");
    const fx = makeFixture(yaml.replace("../packages/example-agent", path.join(__dirname, "..", "packages", "example-agent")), {}, "fleet.yml");
    try {
      expect(loadConfig(fx.configFile).packages[0]!.name).toBe("ExampleAgent");
    } finally {
      fx.cleanup();
    }
  });

  it("publishes every listed version, not only the ring's, so rollback stays a config change", () => {
    const fx = makeFixture(mutate((c) => (c.packages[0].versions = ["1.0.0", "0.9.0"])), { ...basePackageFiles("1.0.0"), ...basePackageFiles("0.9.0") });
    try {
      expect(loadConfig(fx.configFile).packages[0]!.versions.map((v) => v.version)).toEqual(["0.9.0", "1.0.0"]);
    } finally {
      fx.cleanup();
    }
  });
});

describe("loadConfig: bad input names the file, the field path, the value and what is allowed", () => {
  const windowsOnlySh: Record<string, string> = { ...basePackageFiles(), "pkg/1.0.0/windows/install.sh": "x", "pkg/1.0.0/windows/uninstall.sh": "x" };
  delete windowsOnlySh["pkg/1.0.0/windows/install.ps1"];
  delete windowsOnlySh["pkg/1.0.0/windows/uninstall.ps1"];
  const noInstall = { ...basePackageFiles() };
  delete noInstall["pkg/1.0.0/linux/install.sh"];
  const tooMany = { ...basePackageFiles() };
  for (let i = 0; i < MAX_FILES_PER_FOLDER; i++) tooMany[`pkg/1.0.0/linux/data-${i}.bin`] = "x";

  const cases: Array<{ name: string; config: unknown; files?: Record<string, string>; file?: string; path: string; text: RegExp }> = [
    { name: "an unknown key", config: mutate((c) => (c.packages[0].publsher = "x")), path: "packages[0].publsher", text: /unknown key "publsher".*the keys name, publisher/ },
    { name: "an unknown top-level key", config: mutate((c) => (c.pakages = [])), path: "pakages", text: /the keys organization, deployment, packageStore, packages/ },
    { name: "an 11-digit account id", config: mutate((c) => (c.organization.centralAccount = "22222222222")), path: "organization.centralAccount", text: /"22222222222".*12-digit account id/ },
    { name: "an account id written as a number", config: mutate((c) => (c.organization.managementAccount = 111111111111)), path: "organization.managementAccount", text: /12-digit account id as a quoted string/ },
    { name: "a malformed OU id", config: mutate((c) => (c.organization.targetGroups.all.organizationalUnits = ["ou-12"])), path: "organization.targetGroups.all.organizationalUnits[0]", text: /"ou-12".*OU id like ou-/ },
    { name: "an unknown Region", config: mutate((c) => (c.organization.workloadRegions = ["us-east-1", "eu-west-9"])), path: "organization.workloadRegions[1]", text: /"eu-west-9".*AWS Region code/ },
    { name: "a platform folder without an install script", config: baseConfig(), files: noInstall, path: "packages[0].platforms[0].folder", text: /without install\.sh.*install\.sh, uninstall\.sh/ },
    { name: "a Windows folder with only .sh scripts", config: baseConfig(), files: windowsOnlySh, path: "packages[0].platforms[1].folder", text: /without install\.ps1, uninstall\.ps1 \(found install\.sh, uninstall\.sh: Windows runs \.ps1/ },
    { name: "a version with a space", config: mutate((c) => (c.packages[0].release = "1.0 beta")), path: "packages[0].release", text: /"1\.0 beta".*letters, digits/ },
    { name: "a version name shorter than SSM allows", config: mutate((c) => (c.packages[0].release = "1")), path: "packages[0].release", text: /"1".*3-128 letters/ },
    { name: "a release not among the published versions", config: mutate((c) => (c.packages[0].versions = ["1.0.0"], c.packages[0].release = "2.0.0")), path: "packages[0].release", text: /"2\.0\.0".*a version listed in packages\[0\]\.versions/ },
    { name: "a bake that is not a duration", config: mutate((c) => (c.packages[0].rings[0].bake = "1 day")), path: "packages[0].rings[0].bake", text: /"1 day".*"24h"/ },
    { name: "a ring association name over 128 characters", config: mutate((c) => (c.packages[0].name = "A".repeat(100), c.packages[0].rings[0].name = "r".repeat(32))), path: "packages[0].rings[0].name", text: /association 151 characters.*at most 128/ },
    { name: "a package name over 100 characters", config: mutate((c) => (c.packages[0].name = "P".repeat(101))), path: "packages[0].name", text: /at most 100 characters/ },
    { name: "duplicate package names", config: mutate((c) => c.packages.push({ ...c.packages[0] })), path: "packages[1].name", text: /"TestAgent".*packages\[0\] has it/ },
    { name: "a ring naming an unknown target group", config: mutate((c) => (c.packages[0].rings[0].targets = "pilot")), path: "packages[0].rings[0].targets", text: /"pilot".*a target group: all, canary/ },
    { name: "more than 20 files in one package folder", config: baseConfig(), files: tooMany, path: "packages[0].platforms[0].folder", text: /22 files.*at most 20 files/ },
    {
      name: "more than 20 files (zips + manifest) in one package version",
      config: mutate((c) => (c.packages[0].platforms = Array.from({ length: 20 }, (_, i) => ({ platform: "amazon", platformVersion: String(i), arch: "x86_64", folder: `f${i}` })))),
      files: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [[`pkg/1.0.0/f${i}/install.sh`, "x"], [`pkg/1.0.0/f${i}/uninstall.sh`, "x"]]).flat()),
      path: "packages[0].platforms",
      text: /20 zip files \+ manifest\.json.*at most 20 files per package version/,
    },
    { name: "an empty config", config: "", path: "(root)", text: /empty file/ },
    { name: "a config that is not YAML or JSON", config: "organization: [unclosed\n  packages: {", file: "fleet.yaml", path: "(root)", text: /not YAML or JSON at line \d+/ },
    { name: "a JSON config with a syntax error", config: '{"organization": ', path: "(root)", text: /not JSON/ },
    { name: "a YAML scalar instead of a mapping", config: "just text", file: "fleet.yaml", path: "(root)", text: /"just text".*mapping/ },
    { name: "a missing required field", config: mutate((c) => delete c.organization.homeRegion), path: "organization.homeRegion", text: /missing; allowed: an AWS Region code/ },
    { name: "a bad rate-control value", config: mutate((c) => (c.packages[0].rings[0].maxConcurrency = "0")), path: "packages[0].rings[0].maxConcurrency", text: /"0".*a count \(1 or more\)/ },
    { name: "an architecture the platform lacks", config: mutate((c) => (c.packages[0].platforms[1].arch = "arm64")), path: "packages[0].platforms[1].arch", text: /"arm64".*for windows: x86_64, 386/ },
    { name: "a missing source folder", config: mutate((c) => (c.packages[0].source = "nope")), path: "packages[0].source", text: /"nope".*a folder/ },
    { name: "a release without a folder", config: mutate((c) => (c.packages[0].release = "2.0.0")), path: "packages[0].release", text: /"2\.0\.0".*pkg\/2\.0\.0\// },
    { name: "a pin without a folder", config: mutate((c) => (c.packages[0].rings[0].pin = "0.9.0")), path: "packages[0].rings[0].pin", text: /"0\.9\.0".*pkg\/0\.9\.0\// },
    { name: "a duplicate Region", config: mutate((c) => (c.organization.workloadRegions = ["eu-west-1", "eu-west-1"])), path: "organization.workloadRegions[1]", text: /each Region once/ },
    { name: "a target group with no accounts or OUs", config: mutate((c) => (c.organization.targetGroups.empty = { instanceTags: { a: ["b"] } })), path: "organization.targetGroups.empty", text: /at least one account id or OU id/ },
    { name: "In-place update without update scripts", config: mutate((c) => (c.packages[0].installationType = "In-place update")), path: "packages[0].platforms[0].folder", text: /without update\.sh/ },
    { name: "a target group with six tag keys", config: mutate((c) => (c.organization.targetGroups.canary.instanceTags = Object.fromEntries("abcdef".split("").map((k) => [k, ["1"]])))), path: "organization.targetGroups.canary.instanceTags", text: /6 tag keys.*at most 5 tag keys/ },
    { name: "a tag key with 51 values", config: mutate((c) => (c.organization.targetGroups.canary.instanceTags = { team: Array.from({ length: 51 }, (_, i) => `v${i}`) })), path: "organization.targetGroups.canary.instanceTags.team", text: /51 values.*at most 50 values/ },
    { name: "a schedule that is neither cron nor rate", config: mutate((c) => (c.packages[0].rings[0].schedule = "daily")), path: "packages[0].rings[0].schedule", text: /"daily".*rate\(1 day\)/ },
    { name: "a package name with the reserved AWS prefix", config: mutate((c) => (c.packages[0].name = "AWSAgent")), path: "packages[0].name", text: /not starting with AWS/ },
    { name: "a package name taken by the controller's own jobs", config: mutate((c) => (c.packages[0].name = "_emergency")), path: "packages[0].name", text: /not starting with '_'/ },
    { name: "an emergency ring on an unknown target group", config: mutate((c) => (c.patching = { emergency: { campaign: "c-0001", rings: [{ name: "first", targets: "nope" }] } })), path: "patching.emergency.rings[0].targets", text: /"nope".*a target group: all, canary/ },
  ];

  it.each(cases)("rejects $name at $path", ({ config, files, file, path: fieldPath, text }) => {
    const err = loadError(config, files ?? basePackageFiles(), file ?? "fleet.json");
    const line = err.message.split("\n").find((l) => l.includes(`: ${fieldPath}: `));
    expect(line).toBeDefined();
    expect(line!.startsWith(`${file ?? "fleet.json"}: ${fieldPath}: `)).toBe(true);
    expect(line).toMatch(text);
    expect(err.issues.some((i) => i.path === fieldPath)).toBe(true);
  });

  it("reports every problem at once, not only the first", () => {
    const err = loadError(mutate((c) => {
      c.organization.centralAccount = "1";
      c.packages[0].rings[0].maxErrors = "x";
    }));
    expect(err.issues.map((i) => i.path).sort()).toEqual(["organization.centralAccount", "packages[0].rings[0].maxErrors"]);
  });
});
