#!/usr/bin/env node
/*
 * aft-fleet entry point: load config -> build stacks -> synth -> write AFT trees.
 *   aft-fleet synth [--config FILE] [--out DIR]        emitted trees for AFT (or direct-mode stacks); the
 *                                                      repository's `npm run synth` runs the same code
 *   npm run cdktf:synth -- --config FILE               the same stacks through the cdktf CLI (cdktf.json)
 */
import { refuseRepeatedOptions } from "./cli/args";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdktf";
import { CentralStack } from "./account-customizations/central";
import { GlobalStack } from "./global-customizations/global";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "./modules/config";
import type { ConfigIssue } from "./modules/config/errors";
import { iamQuotaProblems } from "./modules/iam/quota";
import type { FleetModel } from "./modules/config/model";
import type { FleetStackProps } from "./modules/core/fleet-stack";
import { partitionOf } from "./modules/core/tags";
import { checkOutputDir, OutputError, type OutputState, type ProtectedPath } from "./modules/aft/output-dir";
import { asOutputError, EmittedStack, makeWorkDir, writeOutput } from "./modules/aft/write-output";
import { copyToRepos, invokeCustomizationsInput, type TreeCopy, triggerKind } from "./modules/aft/copy-to-repos";
import { ORCHESTRATION_HANDOFF_FILE, orchestrationHandoff } from "./modules/orchestration";

export const CENTRAL_STACK = "central";
export const GLOBAL_STACK = "global";
/** The member tree's folder in the output. */
export const GLOBAL_TREE = "aft-global-customizations";

/** Builds every stack of the model into `app` and says where each one goes in the emitted output. */
export function buildStacks(app: App, model: FleetModel, lambdaBundleDir: string): EmittedStack[] {
  const org = model.organization;
  if (model.deployment.mode === "aft") {
    const props: FleetStackProps = { homeRegion: org.homeRegion, mode: "aft" };
    new CentralStack(app, CENTRAL_STACK, model, props, { lambdaBundleDir });
    new GlobalStack(app, GLOBAL_STACK, model, props);
    return [
      { stackId: CENTRAL_STACK, dest: `aft-account-customizations/${model.deployment.accountCustomizationName}`, kind: "aft" },
      { stackId: GLOBAL_STACK, dest: GLOBAL_TREE, kind: "aft", omitProviderRequirements: model.deployment.memberProviderRequirements === "omit" },
    ];
  }
  const direct = model.deployment.direct!;
  const partition = partitionOf(org.homeRegion);
  const directProps = (stack: string, account: string): FleetStackProps => ({
    homeRegion: org.homeRegion,
    mode: "direct",
    direct: {
      bucket: direct.stateBucket,
      key: `${direct.stateKeyPrefix}/${stack}.tfstate`,
      region: direct.stateRegion,
      roleArn: `arn:${partition}:iam::${account}:role/${direct.memberRoleName}`,
      ...(direct.lockTable ? { dynamodbTable: direct.lockTable } : {}),
    },
  });
  new CentralStack(app, CENTRAL_STACK, model, directProps(CENTRAL_STACK, org.centralAccount), { lambdaBundleDir });
  const stacks: EmittedStack[] = [{ stackId: CENTRAL_STACK, dest: `direct/${CENTRAL_STACK}`, kind: "direct" }];
  // The central account needs the per-account side too (the execution role), as under AFT.
  for (const account of [...new Set([org.centralAccount, ...direct.memberAccounts])].sort()) {
    const id = `member-${account}`;
    new GlobalStack(app, id, model, directProps(id, account));
    stacks.push({ stackId: id, dest: `direct/${id}`, kind: "direct" });
  }
  return stacks;
}

/**
 * The project folder: the output may never replace it (it holds the sources, the example and the bundle
 * cache). From the sources that is this file's folder; in the installed package (compiled to lib/) the
 * package folder above it.
 */
const PROJECT_ROOT = fs.existsSync(path.join(__dirname, "package.json")) ? __dirname : path.dirname(__dirname);

/**
 * The controller's Lambda bundles that the package build (scripts/build-package.ts) writes beside the
 * compiled main.js. The installed package uses them as they are (it ships neither esbuild nor the handler
 * sources); from the sources, the bundles are built and cached by modules/controller/bundling.ts.
 */
export const PREBUILT_LAMBDA_BUNDLES = path.join(__dirname, "lambda-bundles");

async function lambdaBundles(fallbackDir: string): Promise<string> {
  if (fs.existsSync(path.join(PREBUILT_LAMBDA_BUNDLES, "controller", "index.js"))) return PREBUILT_LAMBDA_BUNDLES;
  // Required here: esbuild is a build-time dependency, loaded only when the sources are run.
  const bundling = require("./modules/controller/bundling") as typeof import("./modules/controller/bundling");
  return bundling.lambdaBundles(fallbackDir);
}

/** What an output folder must never be, contain, or (package sources) sit inside. */
function protectedPaths(model: FleetModel, configFile: string | undefined): ProtectedPath[] {
  const sources = new Set<string>();
  for (const pkg of model.packages) for (const v of pkg.versions) for (const b of v.bundles) sources.add(path.dirname(path.dirname(b.sourceDir)));
  return [
    { path: process.cwd(), what: "the working directory" },
    { path: PROJECT_ROOT, what: "the aft-fleet project" },
    ...(configFile ? [{ path: path.resolve(configFile), what: "the config file" }] : []),
    ...[...sources].sort().map((s) => ({ path: s, what: "a package source folder", noOutputInside: true })),
  ];
}

/**
 * Synthesizes `model` and writes the emitted trees to `outDir`. The folder is checked against the
 * output rule (checkOutputDir) before anything is written; cdktf's own output goes to a working folder
 * inside it, removed afterwards.
 */
export async function synthToDir(model: FleetModel, outDir: string, configFile?: string): Promise<EmittedStack[]> {
  const state: OutputState = checkOutputDir(outDir, protectedPaths(model, configFile));
  const synthDir = makeWorkDir(state.dir, "synth");
  try {
    const bundleDir = await lambdaBundles(path.join(synthDir, "lambdas"));
    const app = new App({ outdir: synthDir, skipValidation: false });
    const stacks = buildStacks(app, model, bundleDir);
    try {
      app.synth();
    } catch (err) {
      throw asOutputError(err, state.dir);
    }
    checkIamQuotas(model, synthDir, stacks);
    writeOutput(synthDir, state, stacks, outputReadme(model, stacks), handoffFiles(model));
    return stacks;
  } finally {
    fs.rmSync(synthDir, { recursive: true, force: true });
  }
}

/**
 * Refuses, before anything is written, a synth whose IAM policies AWS would refuse at apply for their size
 * (modules/iam/quota.ts): the message names the tree, the role or policy, the size and its largest statements.
 */
function checkIamQuotas(model: FleetModel, synthDir: string, stacks: readonly EmittedStack[]): void {
  const issues: ConfigIssue[] = [];
  for (const stack of stacks) {
    const tree = JSON.parse(fs.readFileSync(path.join(synthDir, "stacks", stack.stackId, "cdk.tf.json"), "utf8"));
    for (const p of iamQuotaProblems(tree)) {
      issues.push({
        path: `(emitted ${stack.dest}) ${p.what}`,
        value: `${p.length.toLocaleString("en-US")} characters (largest statements: ${p.largest})`,
        allowed: `at most ${p.max.toLocaleString("en-US")} characters (IAM quota): fewer packages, principals or targets in one config`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(model.source, issues);
}

/** Generated files beside the trees: what a central runbook tool needs to use the orchestration role. */
function handoffFiles(model: FleetModel): Record<string, string> {
  if (!model.orchestration) return {};
  const org = model.organization;
  return {
    [ORCHESTRATION_HANDOFF_FILE]: orchestrationHandoff({ orchestration: model.orchestration, organizationId: org.id, centralAccountId: org.centralAccount, homeRegion: org.homeRegion }),
  };
}

function outputReadme(model: FleetModel, stacks: readonly EmittedStack[]): string {
  const lines = [
    "# aft-fleet output",
    "",
    `Generated by aft-fleet from \`${model.source}\`. Do not edit: change the config and synthesize again.`,
    "",
  ];
  if (model.deployment.mode === "aft") {
    lines.push(
      "Copy these folders into the AFT repositories with `aft-fleet copy` (`npm run copy` in the aft-fleet repository; it writes only aft-fleet's files and keeps yours), commit them as they are, and start AFT's `aft-invoke-customizations` with the `--trigger-out` file it writes (AFT never runs on a push):",
      "",
      `- \`aft-account-customizations/${model.deployment.accountCustomizationName}/\` -> the aft-account-customizations repository, ` +
        `folder \`${model.deployment.accountCustomizationName}/\`; set \`account_customizations_name = "${model.deployment.accountCustomizationName}"\` ` +
        `in the central account's (${model.organization.centralAccount}) account request.`,
      "- `aft-global-customizations/` -> the root of the aft-global-customizations repository (`terraform/`, `api_helpers/`).",
      "",
      "AFT renders `backend.jinja` and `aft-providers.jinja` and applies `aft-fleet.tf.json` when it (re)customizes an account.",
    );
  } else {
    lines.push("Direct mode: run `terraform init && terraform apply` in each folder:", "", ...stacks.map((s) => `- \`${s.dest}/\``));
  }
  return `${lines.join("\n")}\n`;
}

function usage(): string {
  return [
    "usage: aft-fleet synth [--config FILE] [--out DIR]",
    "       aft-fleet copy [--config FILE] [--out DIR] [--global-repo DIR] [--account-repo DIR] [--trigger-out FILE]",
    "       main.ts cdktf            (run by the cdktf CLI through cdktf.json: npm run cdktf:synth -- --config FILE)",
    `  --config FILE        fleet config (YAML or JSON); default: the bundled example ${path.relative(process.cwd(), DEFAULT_CONFIG)}`,
    "  --out DIR            where the emitted trees are (synth writes them there); default: dist",
    "  --global-repo DIR    copy: a checkout of the aft-global-customizations repository",
    "  --account-repo DIR   copy: a checkout of the aft-account-customizations repository",
    "  --trigger-out FILE   copy: write the aft-invoke-customizations input for what changed (nothing if no tree changed)",
    "  --force-trigger K    copy: trigger at least K (central or all), e.g. to re-run a trigger that failed after the push",
  ].join("\n");
}

const COMMANDS = ["synth", "copy", "cdktf"] as const;
const COPY_OPTIONS = ["global-repo", "account-repo", "trigger-out", "force-trigger"] as const;

export interface CommandLine {
  readonly command: string;
  readonly config?: string;
  readonly out?: string;
  readonly globalRepo?: string;
  readonly accountRepo?: string;
  readonly triggerOut?: string;
  readonly forceTrigger?: "central" | "all";
  readonly help: boolean;
}

/** Parses the command line strictly: an option given twice or an unexpected word is an error, not a guess. */
function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      config: { type: "string", short: "c" },
      out: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
      "global-repo": { type: "string" },
      "account-repo": { type: "string" },
      "trigger-out": { type: "string" },
      "force-trigger": { type: "string" },
    },
  });
  refuseRepeatedOptions(tokens);
  const [command = "synth", ...extra] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new Error(`unknown command ${JSON.stringify(command)}${/\.(ya?ml|json)$/i.test(command) ? ` (did you mean --config ${command}?)` : ""}; allowed: ${COMMANDS.join(", ")}`);
  }
  if (extra.length > 0) {
    const hint = extra.find((e) => /\.(ya?ml|json)$/i.test(e));
    throw new Error(`unexpected argument ${JSON.stringify(extra[0])}${hint ? ` (did you mean --config ${hint}?)` : ""}; ${command} takes only options`);
  }
  if (command !== "copy") {
    const stray = COPY_OPTIONS.find((o) => values[o] !== undefined);
    if (stray) throw new Error(`--${stray} is an option of copy, not of ${command}`);
  } else if (values["global-repo"] === undefined && values["account-repo"] === undefined && values.help !== true) {
    throw new Error("copy needs --global-repo DIR, --account-repo DIR or both");
  }
  const force = values["force-trigger"];
  if (force !== undefined && force !== "central" && force !== "all") throw new Error(`--force-trigger: got ${JSON.stringify(force)}; allowed: central or all`);
  if (force !== undefined && values["trigger-out"] === undefined) throw new Error("--force-trigger needs --trigger-out FILE");
  const given = <T extends string | undefined>(key: string, value: T) => (value !== undefined ? { [key]: value } : {});
  return {
    command,
    ...given("config", values.config),
    ...given("out", values.out),
    ...given("globalRepo", values["global-repo"]),
    ...given("accountRepo", values["account-repo"]),
    ...given("triggerOut", values["trigger-out"]),
    ...given("forceTrigger", force as "central" | "all" | undefined),
    help: values.help === true,
  };
}

/**
 * `copy`: the emitted trees into checked-out AFT repositories (copyToRepos), then, with --trigger-out,
 * the input for AFT's aft-invoke-customizations that makes AFT apply what changed.
 */
function copyCommand(model: FleetModel, args: CommandLine): number {
  if (model.deployment.mode !== "aft") throw new OutputError("copy: deployment.mode is direct; allowed: aft (direct-mode stacks are applied with terraform or cdktf deploy, not copied)");
  const out = args.out ?? "dist";
  const name = model.deployment.accountCustomizationName;
  const trees: TreeCopy[] = [];
  if (args.globalRepo !== undefined) trees.push({ from: path.join(out, GLOBAL_TREE), to: args.globalRepo, label: "--global-repo" });
  if (args.accountRepo !== undefined) trees.push({ from: path.join(out, "aft-account-customizations", name), to: path.join(args.accountRepo, name), label: "--account-repo" });
  const results = copyToRepos(trees);
  for (const r of results) {
    process.stdout.write(`aft-fleet: ${r.label}: ${r.written.length} written, ${r.removed.length} removed, ${r.seeded.length} AFT template file(s) added${r.changed ? "" : " (unchanged)"}\n`);
    for (const w of r.warnings) process.stderr.write(`aft-fleet: ${r.label}: warning: ${w}\n`);
  }
  const changed = triggerKind(
    results.find((r) => r.label === "--global-repo"),
    results.find((r) => r.label === "--account-repo"),
  );
  const kind = args.forceTrigger === "all" || changed === "all" ? "all" : args.forceTrigger === "central" || changed === "central" ? "central" : "none";
  if (args.triggerOut !== undefined) {
    if (kind === "none") fs.rmSync(args.triggerOut, { force: true });
    else fs.writeFileSync(args.triggerOut, `${invokeCustomizationsInput(kind, model.organization.centralAccount)}\n`);
  }
  process.stdout.write(
    kind === "none"
      ? "aft-fleet: no tree changed; AFT needs no run\n"
      : `aft-fleet: start aft-invoke-customizations for ${kind === "all" ? "all accounts (the member tree changed)" : `the central account ${model.organization.centralAccount}`}\n`,
  );
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: CommandLine;
  try {
    args = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`aft-fleet: ${(err as Error).message}\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  try {
    const configFile = args.config ?? process.env.AFT_FLEET_CONFIG;
    if (configFile !== undefined && configFile.trim() === "") throw new OutputError("--config: got an empty path; allowed: a YAML or JSON fleet config file");
    const model = loadConfig(configFile ?? DEFAULT_CONFIG);
    if (args.command === "copy") return copyCommand(model, args);
    if (args.command === "synth") {
      const out = args.out ?? "dist";
      const started = Date.now();
      const stacks = await synthToDir(model, out, configFile ?? DEFAULT_CONFIG);
      for (const s of stacks) process.stdout.write(`aft-fleet: wrote ${path.join(out, s.dest)}/\n`);
      process.stdout.write(`aft-fleet: synthesized ${model.packages.length} package(s) for ${model.organization.workloadRegions.length} Region(s) in ${Date.now() - started} ms\n`);
      return 0;
    }
    const app = new App();
    buildStacks(app, model, await lambdaBundles(fs.mkdtempSync(path.join(require("node:os").tmpdir(), "aft-fleet-lambdas-"))));
    app.synth();
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof OutputError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    // A bug, not bad input: say so in one line; AFT_FLEET_DEBUG=1 shows the stack.
    process.stderr.write(`aft-fleet: internal error: ${(err as Error)?.message ?? String(err)} (set AFT_FLEET_DEBUG=1 for details)\n`);
    if (process.env.AFT_FLEET_DEBUG === "1") process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
    return 70;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
