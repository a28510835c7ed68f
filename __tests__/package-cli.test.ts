/**
 * The package as a user gets it: `npm pack`, the tarball installed into an empty folder outside the
 * repository, and `npx aft-fleet ...` run there on a copy of the example config and its package sources.
 * Its synth writes the same bytes as the repository's own synth of the same config.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fleetJsonSchemaText } from "../modules/config/json-schema";
import { installTarball, packTarball, ROOT, tempDir, treeBytes } from "./helpers/package";

jest.setTimeout(600_000);

const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
let work: string;
let app: string;
let tarball: string;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function npx(args: readonly string[], cwd = app): Run {
  const env = { ...process.env };
  delete env.AFT_FLEET_CONFIG;
  const run = spawnSync("npx", ["--no-install", "aft-fleet", ...args], { cwd, encoding: "utf8", env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The installed bin itself (node_modules/.bin/aft-fleet, what npx runs), without npx's own start-up. */
function installedBin(args: readonly string[], cwd = app): Run {
  const env = { ...process.env };
  delete env.AFT_FLEET_CONFIG;
  const run = spawnSync(path.join(app, "node_modules", ".bin", "aft-fleet"), [...args], { cwd, encoding: "utf8", env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  work = tempDir("aft-fleet-package-");
  tarball = packTarball(work);
  app = installTarball(tarball, path.join(work, "user-repo"));
  fs.mkdirSync(path.join(app, "fleet"), { recursive: true });
  // The example with its package sources, at the same relative place (its source is ../packages/example-agent).
  fs.copyFileSync(path.join(ROOT, "examples", "fleet.yaml"), path.join(app, "fleet", "fleet.yaml"));
  fs.cpSync(path.join(ROOT, "packages", "example-agent"), path.join(app, "packages", "example-agent"), { recursive: true });
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  const listing = () => execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);

  it("ships compiled JavaScript, the Lambda bundle, the schema and the example, and no TypeScript sources or tests", () => {
    const files = listing();
    expect(files).toEqual(expect.arrayContaining(["package/package.json", "package/lib/cli/bin.js", "package/lib/cli/aft-fleet.js", "package/lib/cli/aft-fleet.v8cache", "package/lib/cli/index.js", "package/lib/index.js", "package/lib/index.d.ts", "package/lib/main.js", "package/lib/lambda-bundles/controller/index.js", "package/lib/schema/fleet.schema.json", "package/lib/examples/fleet.yaml", "package/CHANGELOG.md"]));
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /__tests__|node_modules|\/dist\//.test(f))).toEqual([]);
  });

  it("installs without esbuild, esbuild-register or TypeScript, and for the CLI alone without cdktf or the providers", () => {
    for (const dev of ["esbuild", "esbuild-register", "typescript"]) expect(fs.existsSync(path.join(app, "node_modules", dev))).toBe(false);
    // The CLI is one bundle: the construct library's peers (a cdktf app composing the constructs has them) stay out.
    for (const peer of ["cdktf", "constructs", "@cdktf/provider-aws", "@cdktf/provider-archive"]) expect({ peer, installed: fs.existsSync(path.join(app, "node_modules", peer)) }).toEqual({ peer, installed: false });
    expect(fs.existsSync(path.join(app, "node_modules", ".bin", "aft-fleet"))).toBe(true);
  });

  it("declares cdktf, constructs and the providers as optional peers at the versions the repository tests", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "node_modules", "aft-fleet", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const own = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    for (const [peer, range] of Object.entries(manifest.peerDependencies)) {
      expect({ peer, range, optional: manifest.peerDependenciesMeta[peer]?.optional }).toEqual({ peer, range: `^${own.devDependencies[peer]}`, optional: true });
      expect(manifest.dependencies[peer]).toBeUndefined();
    }
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(["@cdktf/provider-archive", "@cdktf/provider-aws", "cdktf", "constructs"]);
  });
});

describe("npx aft-fleet in the user's folder", () => {
  it("--version on the command and on each subcommand", () => {
    expect(npx(["--version"]).stdout).toBe(`${version}\n`);
    for (const args of [["--version"], ["synth", "--version"], ["copy", "--version"], ["report", "--version"], ["status", "--version"], ["schema", "--version"]]) {
      const run = installedBin(args);
      expect({ args, status: run.status, stdout: run.stdout }).toEqual({ args, status: 0, stdout: `${version}\n` });
    }
  });

  it("--help lists the commands, and each command's --help its options", () => {
    const top = npx(["--help"]);
    expect(top.status).toBe(0);
    for (const c of ["synth", "copy", "report", "status", "schema"]) expect(top.stdout).toContain(`  ${c} `);
    expect(installedBin(["synth", "--help"]).stdout).toContain("--config FILE");
    expect(installedBin(["copy", "--help"]).stdout).toContain("--global-repo DIR");
    expect(installedBin(["report", "--help"]).stdout).toContain("--base GIT_REF|DIR");
    expect(installedBin(["status", "--help"]).stdout).toContain("--bucket STORE");
    expect(installedBin(["schema", "--help"]).stdout).toContain("--out FILE");
  });

  it("refuses an unknown command or a stray argument in one line and exit 2", () => {
    const unknown = installedBin(["fleet.yaml"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe('aft-fleet: unknown command "fleet.yaml" (did you mean synth --config fleet.yaml?); allowed: synth, copy, report, status, schema');
    const stray = installedBin(["synth", "fleet/fleet.yaml"]);
    expect(stray.status).toBe(2);
    expect(stray.stderr.split("\n")[0]).toContain("did you mean --config fleet/fleet.yaml?");
    expect(`${unknown.stderr}${stray.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("synth writes the trees, with no absolute path, byte-identical to the repository's own synth", () => {
    const run = npx(["synth", "--config", "fleet/fleet.yaml", "--out", "dist"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const dist = path.join(app, "dist");
    expect(fs.existsSync(path.join(dist, "aft-account-customizations", "fleet-central", "terraform", "aft-fleet.tf.json"))).toBe(true);
    expect(fs.existsSync(path.join(dist, "aft-global-customizations", "terraform", "aft-fleet.tf.json"))).toBe(true);
    const installed = treeBytes(dist);
    for (const [file, bytes] of installed) {
      const text = bytes.toString("latin1");
      for (const absolute of [app, ROOT, os.homedir(), os.tmpdir()]) expect({ file, leaks: text.includes(absolute) }).toEqual({ file, leaks: false });
    }
    // The repository's synth of the same config, from the same folder (messages name the config as given).
    const own = spawnSync(process.execPath, ["-r", require.resolve("esbuild-register"), path.join(ROOT, "main.ts"), "synth", "--config", "fleet/fleet.yaml", "--out", "dist-repo"], { cwd: app, encoding: "utf8" });
    expect(own.stderr).toBe("");
    expect(own.status).toBe(0);
    const repo = treeBytes(path.join(app, "dist-repo"));
    expect([...installed.keys()]).toEqual([...repo.keys()]);
    for (const [file, bytes] of installed) expect({ file, same: bytes.equals(repo.get(file)!) }).toEqual({ file, same: true });
  });

  it("finds its own files relative to itself, not the working folder: the bundled example from another folder", () => {
    const elsewhere = path.join(app, "sub");
    fs.mkdirSync(elsewhere, { recursive: true });
    const run = installedBin(["synth", "--out", "../dist-example"], elsewhere);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // The bundled example is the same config as fleet/fleet.yaml: the same trees (its package sources found beside it).
    const bundled = treeBytes(path.join(app, "dist-example"));
    const given = treeBytes(path.join(app, "dist"));
    const trees = [...given.keys()].filter((f) => f.endsWith(".tf.json"));
    expect(trees.length).toBe(2);
    for (const file of trees) expect({ file, same: bundled.get(file)?.equals(given.get(file)!) }).toEqual({ file, same: true });
  });

  it("report diffs against a --base output folder and writes Markdown", () => {
    const run = npx(["report", "--config", "fleet/fleet.yaml", "--base", "dist", "--out", "report.md"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const markdown = fs.readFileSync(path.join(app, "report.md"), "utf8");
    expect(markdown).toContain("# aft-fleet rollout report\n");
    expect(markdown).toContain("## Emitted trees against `dist`\n");
  });

  it("schema prints the JSON Schema of the code it ships, and writes it with --out", () => {
    const printed = npx(["schema"]);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(fleetJsonSchemaText());
    expect(installedBin(["schema", "--out", "fleet.schema.json"]).status).toBe(0);
    expect(fs.readFileSync(path.join(app, "fleet.schema.json"), "utf8")).toBe(fleetJsonSchemaText());
    const bad = installedBin(["schema", "--out", "no-such-folder/x.json"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("aft-fleet schema: --out no-such-folder/x.json: cannot be written (ENOENT); allowed: a writable file in an existing folder\n");
  });

  it("runs its bundle with the V8 code cache it ships (the Node that built it is the Node that runs it here)", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AFT_FLEET_DEBUG: "1" };
    delete env.AFT_FLEET_CONFIG;
    const run = spawnSync(path.join(app, "node_modules", ".bin", "aft-fleet"), ["--version"], { cwd: app, encoding: "utf8", env });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(`aft-fleet: code cache accepted (Node ${process.version})\n`);
  });

  it("exports the constructs from the package entry, and their bundle folder, where the app has the peers", () => {
    const script = [
      'const f = require("aft-fleet");',
      'const names = ["PackageStore", "PackageArtifacts", "PackageUpload", "RolloutController", "RingRollout", "RolloutDashboard", "RingNotifications", "ExecutionRole", "PackageParameterPolicy", "PatchingMember", "PatchingReporting", "OrchestrationMemberRole", "OrchestrationCentral", "CentralStack", "GlobalStack", "FleetStack", "loadConfig", "synthToDir", "buildStacks"];',
      'const missing = names.filter((n) => typeof f[n] !== "function");',
      'if (missing.length) throw new Error("missing " + missing.join(", "));',
      'process.stdout.write(require("node:path").relative(process.cwd(), f.controllerBundleDir()));',
    ].join("\n");
    // Without the peers the entry names the one it misses.
    const bare = spawnSync(process.execPath, ["-e", 'require("aft-fleet")'], { cwd: app, encoding: "utf8" });
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toMatch(/Cannot find module '(cdktf|constructs|@cdktf\/provider-aws[^']*|@cdktf\/provider-archive[^']*)'/);
    // A cdktf app has them: here the repository's own copies, at the versions it tests, found through NODE_PATH.
    const run = spawnSync(process.execPath, ["-e", script], { cwd: app, encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") } });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(path.join("node_modules", "aft-fleet", "lib", "lambda-bundles"));
  });
});
