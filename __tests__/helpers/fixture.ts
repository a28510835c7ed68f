import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A throwaway folder with a fleet config and package sources; removed by `cleanup()`. */
export interface Fixture {
  readonly dir: string;
  readonly configFile: string;
  /** Writes `files` (relative path -> content) below the fixture folder. */
  write(files: Record<string, string>): void;
  cleanup(): void;
}

const LINUX_SCRIPTS = { "install.sh": "#!/bin/sh\necho install\n", "uninstall.sh": "#!/bin/sh\necho uninstall\n" };
const WINDOWS_SCRIPTS = { "install.ps1": "Write-Output install\n", "uninstall.ps1": "Write-Output uninstall\n" };

/** A small valid config: one package (linux + windows), one ring, two Regions. */
export function baseConfig(): Record<string, any> {
  return {
    organization: {
      id: "o-abcdef1234",
      managementAccount: "111111111111",
      centralAccount: "222222222222",
      homeRegion: "us-east-1",
      workloadRegions: ["us-east-1", "eu-west-1"],
      targetGroups: {
        canary: { accounts: ["333333333333"], instanceTags: { "aft-fleet:ring": ["canary"] } },
        all: { organizationalUnits: ["ou-ab12-cdef3456"] },
      },
    },
    packages: [
      {
        name: "TestAgent",
        publisher: "Test Corp",
        source: "pkg",
        platforms: [
          { platform: "amazon", arch: "x86_64", folder: "linux" },
          { platform: "windows", arch: "x86_64", folder: "windows" },
        ],
        release: "1.0.0",
        rings: [{ name: "all", targets: "all" }],
      },
    ],
  };
}

/** Package sources for `baseConfig()`: pkg/1.0.0/{linux,windows}. */
export function basePackageFiles(version = "1.0.0"): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, body] of Object.entries(LINUX_SCRIPTS)) files[`pkg/${version}/linux/${name}`] = body;
  for (const [name, body] of Object.entries(WINDOWS_SCRIPTS)) files[`pkg/${version}/windows/${name}`] = body;
  return files;
}

export function makeFixture(config: unknown = baseConfig(), files: Record<string, string> = basePackageFiles(), name = "fleet.json"): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-test-"));
  const write = (more: Record<string, string>) => {
    for (const [rel, content] of Object.entries(more)) {
      const file = path.join(dir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  };
  write(files);
  const configFile = path.join(dir, name);
  fs.writeFileSync(configFile, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return { dir, configFile, write, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
