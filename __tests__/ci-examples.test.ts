/**
 * The CI examples' own script steps, run as the CI would run them in a platform team's repository: a git
 * repository laid out as the examples' header says (examples/ci/package.json's scripts, the config, its
 * package sources and a committed dist/), `git init --bare` repositories standing in for the two AFT
 * repositories, the `aft-fleet` command on PATH (this repository's CLI), and stub `aws` and `gh` commands
 * that record their arguments. GitHub Actions `run:` steps run with bash -eo pipefail as the runner does;
 * `uses:` steps are played by their local equivalent (checkout = clone); the buildspec's commands run in
 * one shell, in order.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT, tempDir } from "./helpers/package";

jest.setTimeout(600_000);

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string>;
}
interface Job {
  readonly env?: Record<string, string>;
  readonly steps: Step[];
  readonly concurrency?: unknown;
  readonly environment?: unknown;
}

const CI = path.join(ROOT, "examples", "ci");
const workflow = parse(fs.readFileSync(path.join(CI, "github-actions.yml"), "utf8")) as { env?: Record<string, string>; jobs: Record<string, Job> };
const buildspec = parse(fs.readFileSync(path.join(CI, "buildspec.yml"), "utf8")) as { env: { variables: Record<string, string> }; phases: Record<string, { commands: string[] }> };
const userManifest = JSON.parse(fs.readFileSync(path.join(CI, "package.json"), "utf8")) as { scripts: Record<string, string>; devDependencies: Record<string, string> };

let work: string;
let bin: string;

function sh(cwd: string, cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: env() });
}
const git = (cwd: string, ...args: string[]) => sh(cwd, "git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main", ...args]).trim();

/** Records each call as one JSON line; `aws sts get-caller-identity` answers an account id. */
function stub(name: string, log: string): void {
  const file = path.join(bin, name);
  fs.writeFileSync(
    file,
    `#!/usr/bin/env node\nconst fs = require("node:fs");\nconst args = process.argv.slice(2);\nfs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ cwd: process.cwd(), args, input: (args.find((a) => a.startsWith("file://")) ?? "").slice(7) && fs.readFileSync(args.find((a) => a.startsWith("file://")).slice(7), "utf8") }) + "\\n");\nif (args[0] === "sts") process.stdout.write("999999999999\\n");\n`,
  );
  fs.chmodSync(file, 0o755);
}

function calls(log: string): Array<{ args: string[]; input: string }> {
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** A platform repository (bare, with one commit on main: config, sources, scripts, committed dist/). */
function platformRepo(): string {
  const bare = path.join(work, "platform.git");
  git(work, "init", "--bare", "--quiet", bare);
  const seed = path.join(work, "seed");
  git(work, "clone", "--quiet", bare, seed);
  const manifest = { name: "platform-fleet", private: true, scripts: userManifest.scripts };
  fs.writeFileSync(path.join(seed, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(path.join(seed, "package-lock.json"), `${JSON.stringify({ name: "platform-fleet", lockfileVersion: 3, requires: true, packages: { "": { name: "platform-fleet" } } }, null, 2)}\n`);
  fs.writeFileSync(path.join(seed, ".gitignore"), "node_modules/\n");
  fs.mkdirSync(path.join(seed, "fleet"));
  fs.copyFileSync(path.join(ROOT, "examples", "fleet.yaml"), path.join(seed, "fleet", "fleet.yaml"));
  fs.cpSync(path.join(ROOT, "packages", "example-agent"), path.join(seed, "packages", "example-agent"), { recursive: true });
  sh(seed, "aft-fleet", ["synth", "--config", "fleet/fleet.yaml", "--out", "dist"]);
  git(seed, "add", ".");
  git(seed, "commit", "--quiet", "-m", "fleet");
  git(seed, "push", "--quiet", "origin", "HEAD:main");
  return bare;
}

function aftRepo(name: string): string {
  const bare = path.join(work, "aft", `${name}.git`);
  git(work, "init", "--bare", "--quiet", bare);
  const seed = path.join(work, `seed-${name}`);
  git(work, "clone", "--quiet", bare, seed);
  fs.writeFileSync(path.join(seed, "README.md"), `${name}: the organization's own files\n`);
  git(seed, "add", ".");
  git(seed, "commit", "--quiet", "-m", "own files");
  git(seed, "push", "--quiet", "origin", "HEAD:main");
  return bare;
}

const env = () => {
  const e: Record<string, string> = { ...(process.env as Record<string, string>), PATH: `${bin}${path.delimiter}${process.env.PATH}`, npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
  delete e.AFT_FLEET_CONFIG;
  delete e.npm_config_cache_min;
  return e;
};

/** `${{ expr }}` from the context the test plays. */
function expand(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in context)) throw new Error(`the test plays no ${expr}`);
    return context[expr]!;
  });
}

interface JobResult {
  readonly ran: string[];
  readonly failed?: { step: string; status: number | null; output: string };
}

/** Runs one workflow job's steps in `workspace` (a clone of the platform repository at the event's commit). */
function runJob(job: Job, workspace: string, context: Record<string, string>, remotes: Record<string, string>): JobResult {
  const ran: string[] = [];
  const base = { ...env(), ...Object.fromEntries(Object.entries({ ...workflow.env, ...job.env }).map(([k, v]) => [k, expand(String(v), context)])) };
  for (const step of job.steps) {
    const label = step.name ?? step.uses ?? step.run!.split("\n")[0]!;
    if (step.if !== undefined) {
      const m = /^hashFiles\('([^']+)'\) != ''$/.exec(step.if);
      if (!m) throw new Error(`the test plays no if: ${step.if}`);
      if (!fs.existsSync(path.join(workspace, m[1]!))) continue;
    }
    if (step.uses !== undefined) {
      const action = step.uses.split("@")[0];
      if (action === "actions/checkout" && step.with?.repository !== undefined) {
        const repo = expand(step.with.repository, context);
        git(workspace, "clone", "--quiet", remotes[repo]!, step.with.path!);
      } else if (!["actions/checkout", "actions/setup-node", "aws-actions/configure-aws-credentials"].includes(action!)) {
        throw new Error(`the test plays no ${step.uses}`);
      }
      ran.push(label);
      continue;
    }
    const stepEnv = { ...base, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), context)])) };
    const run = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step.run!, context)], { cwd: workspace, env: stepEnv, encoding: "utf8" });
    if (run.status !== 0) return { ran, failed: { step: label, status: run.status, output: `${run.stdout}${run.stderr}` } };
    ran.push(label);
  }
  return { ran };
}

function checkout(bare: string, name: string, ref = "main"): string {
  const dir = path.join(work, "runs", name);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  git(work, "clone", "--quiet", bare, dir);
  git(dir, "checkout", "--quiet", ref);
  return dir;
}

/** A pull request branch: the next release (the example's 1.1.0 sources), with or without dist/ synthesized. */
function pullRequest(bare: string, name: string, withDist: boolean): string {
  const dir = checkout(bare, `${name}-author`);
  git(dir, "checkout", "--quiet", "-b", name);
  const config = path.join(dir, "fleet", "fleet.yaml");
  const text = fs.readFileSync(config, "utf8");
  const next = text.replace(/release: 1\.0\.0/, "release: 1.1.0").replace(/versions: \[1\.0\.0\]/, "versions: [1.0.0, 1.1.0]");
  expect(next).not.toBe(text);
  fs.writeFileSync(config, next);
  if (withDist) sh(dir, "aft-fleet", ["synth", "--config", "fleet/fleet.yaml", "--out", "dist"]);
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "release 1.1.0");
  git(dir, "push", "--quiet", "origin", `HEAD:${name}`);
  return name;
}

function files(bare: string): string[] {
  return git(work, "--git-dir", bare, "ls-tree", "-r", "--name-only", "main").split("\n");
}

let platform: string;
let globalRepo: string;
let accountRepo: string;
const awsLog = () => path.join(work, "aws.log");
const ghLog = () => path.join(work, "gh.log");

beforeAll(() => {
  work = tempDir("aft-fleet-ci-");
  bin = path.join(work, "bin");
  fs.mkdirSync(bin);
  const cli = path.join(bin, "aft-fleet");
  // The CLI as npm test just built it into lib/ (it packed the tarball from it), else from the sources.
  const built = path.join(ROOT, "lib", "cli", "bin.js");
  const command = process.env.AFT_FLEET_TARBALL && fs.existsSync(built) ? [process.execPath, built] : [process.execPath, "-r", require.resolve("esbuild-register"), path.join(ROOT, "cli", "index.ts")];
  fs.writeFileSync(cli, `#!/bin/sh\nexec ${command.map((c) => JSON.stringify(c)).join(" ")} "$@"\n`);
  fs.chmodSync(cli, 0o755);
  stub("aws", awsLog());
  stub("gh", ghLog());
  platform = platformRepo();
  globalRepo = aftRepo("aft-global-customizations");
  accountRepo = aftRepo("aft-account-customizations");
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("examples/ci/package.json", () => {
  it("pins the CLI at this version, exactly, and maps the scripts the examples run to it", () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect(userManifest.devDependencies["aft-fleet"]).toBe(version);
    expect(userManifest.scripts).toMatchObject({ synth: "aft-fleet synth", report: "aft-fleet report", copy: "aft-fleet copy" });
  });
});

describe("examples/ci/github-actions.yml", () => {
  const context = (extra: Record<string, string>) => ({
    "github.base_ref": "main",
    "github.event.pull_request.number": "7",
    "github.token": "token",
    "inputs.trigger": "",
    "vars.AFT_GLOBAL_REPO": "org/aft-global-customizations",
    "vars.AFT_ACCOUNT_REPO": "org/aft-account-customizations",
    "vars.CT_HOME_REGION": "us-east-1",
    "vars.AFT_MANAGEMENT_ACCOUNT": "999999999999",
    "vars.AFT_TRIGGER_ROLE_ARN": "arn:aws:iam::999999999999:role/trigger",
    "secrets.AFT_REPOS_TOKEN": "secret",
    ...extra,
  });
  const remotes = () => ({ "org/aft-global-customizations": globalRepo, "org/aft-account-customizations": accountRepo });

  it("guards concurrency: one publish at a time, never cancelled, after a reviewed environment; reports per pull request", () => {
    expect(workflow.jobs.publish!.concurrency).toEqual({ group: "aft-fleet-publish", "cancel-in-progress": false });
    expect(workflow.jobs.publish!.environment).toBe("aft-fleet-publish");
    expect(workflow.jobs.report!.concurrency).toMatchObject({ "cancel-in-progress": true });
    for (const job of Object.values(workflow.jobs)) {
      const commands = job.steps.flatMap((s) => (s.run ?? "").split("\n")).filter((line) => /^\s*npm run (synth|report|copy)\b/.test(line));
      expect(commands.length).toBeGreaterThan(0);
      for (const line of commands) expect(line).toContain('--config "$FLEET_CONFIG"');
    }
  });

  it("report: a pull request whose dist/ is current gets the rollout report as a comment", () => {
    const branch = pullRequest(platform, "release-current", true);
    const ws = checkout(platform, "gh-report", branch);
    const result = runJob(workflow.jobs.report!, ws, context({}), remotes());
    expect(result.failed).toBeUndefined();
    const comment = calls(ghLog()).at(-1)!;
    expect(comment.args.slice(0, 3)).toEqual(["pr", "comment", "7"]);
    const report = fs.readFileSync(path.join(ws, "report.md"), "utf8");
    expect(report).toContain("promotes 1 package (ExampleAgent 1.0.0 -> 1.1.0)");
    expect(report).toContain("Against `origin/main`");
  });

  it("report: a pull request that changed the config but not dist/ fails at the dist/ gate", () => {
    const branch = pullRequest(platform, "release-stale", false);
    const ws = checkout(platform, "gh-stale", branch);
    const result = runJob(workflow.jobs.report!, ws, context({}), remotes());
    expect(result.failed?.step).toBe("dist/ matches the config");
    expect(result.failed?.output).toContain("dist/ differs from what fleet/fleet.yaml synthesizes");
  });

  it("publish: copies into the AFT repositories (keeping their files), pushes, and starts AFT for what changed; a second run changes and starts nothing", () => {
    const before = calls(awsLog()).length;
    const ws = checkout(platform, "gh-publish");
    const result = runJob(workflow.jobs.publish!, ws, context({}), remotes());
    expect(result.failed).toBeUndefined();
    expect(files(globalRepo)).toEqual(expect.arrayContaining(["README.md", ".aft-fleet-files", "terraform/aft-fleet.tf.json"]));
    expect(files(accountRepo)).toEqual(expect.arrayContaining(["README.md", "fleet-central/terraform/aft-fleet.tf.json"]));
    const started = calls(awsLog()).slice(before);
    expect(started.map((c) => c.args.slice(0, 2))).toEqual([["stepfunctions", "start-execution"]]);
    expect(started[0]!.args).toEqual(expect.arrayContaining(["--state-machine-arn", "arn:aws:states:us-east-1:999999999999:stateMachine:aft-invoke-customizations", "--input", "file://trigger.json"]));
    expect(JSON.parse(started[0]!.input)).toEqual({ include: [{ type: "all" }] });

    const again = runJob(workflow.jobs.publish!, checkout(platform, "gh-publish-again"), context({}), remotes());
    expect(again.failed).toBeUndefined();
    expect(calls(awsLog()).length).toBe(before + 1);
  });

  it("publish by hand with trigger: central starts AFT for the central account although nothing changed", () => {
    const before = calls(awsLog()).length;
    const result = runJob(workflow.jobs.publish!, checkout(platform, "gh-force"), context({ "inputs.trigger": "central" }), remotes());
    expect(result.failed).toBeUndefined();
    const started = calls(awsLog()).slice(before);
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]!.input)).toEqual({ include: [{ type: "accounts", target_value: ["222222222222"] }] });
  });
});

describe("examples/ci/buildspec.yml", () => {
  const commands = () => [...buildspec.phases.install!.commands, ...buildspec.phases.build!.commands].join("\n");
  const build = (ws: string, vars: Record<string, string>) =>
    spawnSync("sh", ["-e", "-c", commands()], {
      cwd: ws,
      encoding: "utf8",
      env: { ...env(), ...buildspec.env.variables, AWS_REGION: "us-east-1", AFT_REPO_URL_PREFIX: `${path.join(work, "aft")}/`, AFT_GLOBAL_REPO: "aft-global-customizations.git", AFT_ACCOUNT_REPO: "aft-account-customizations.git", CODEBUILD_BUILD_NUMBER: "3", ...vars },
    });

  it("report mode posts the rollout report on the CodeCommit pull request", () => {
    const ws = checkout(platform, "cb-report", "release-current");
    const run = build(ws, { AFT_FLEET_MODE: "report", PULL_REQUEST_ID: "42", REPOSITORY_NAME: "platform", BEFORE_COMMIT: "b", AFTER_COMMIT: "a" });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    const posted = calls(awsLog()).at(-1)!;
    expect(posted.args).toEqual(["codecommit", "post-comment-for-pull-request", "--pull-request-id", "42", "--repository-name", "platform", "--before-commit-id", "b", "--after-commit-id", "a", "--content", "file://report.md"]);
    expect(posted.input).toContain("promotes 1 package (ExampleAgent 1.0.0 -> 1.1.0)");
  });

  it("a stale dist/ fails the build before any report or publish", () => {
    const before = calls(awsLog()).length;
    const run = build(checkout(platform, "cb-stale", "release-stale"), { AFT_FLEET_MODE: "report" });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain("dist/ differs from what fleet/fleet.yaml synthesizes");
    expect(calls(awsLog()).length).toBe(before);
  });

  it("publish mode on the merged head copies, pushes and starts AFT for the central account only after a release", () => {
    // Merge the release: main moves to the pull request's commit.
    const author = path.join(work, "runs", "release-current-author");
    git(author, "push", "--quiet", "origin", "HEAD:main");
    const before = calls(awsLog()).length;
    const run = build(checkout(platform, "cb-publish"), { AFT_FLEET_MODE: "publish", CODEBUILD_RESOLVED_SOURCE_VERSION: git(author, "rev-parse", "HEAD") });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const started = calls(awsLog()).slice(before).filter((c) => c.args[0] === "stepfunctions");
    expect(started).toHaveLength(1);
    expect(started[0]!.args).toEqual(expect.arrayContaining(["arn:aws:states:us-east-1:999999999999:stateMachine:aft-invoke-customizations", "file://trigger.json"]));
    expect(JSON.parse(started[0]!.input)).toEqual({ include: [{ type: "accounts", target_value: ["222222222222"] }] });
    expect(files(accountRepo).some((f) => f.includes("1_1_0") || f.includes("1.1.0"))).toBe(true);
  });

  it("publish mode refuses a commit that is no longer the head of main (a queued, older build)", () => {
    const ws = checkout(platform, "cb-old");
    git(ws, "checkout", "--quiet", "HEAD~1");
    const run = build(ws, { AFT_FLEET_MODE: "publish" });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain("is not the head of main");
  });
});
