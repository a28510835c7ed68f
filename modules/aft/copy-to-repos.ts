/*
 * Copies the emitted trees into checked-out AFT repositories without touching what the repositories'
 * owners wrote. An organization that runs AFT already has its own global customizations (its .tf files,
 * AFT's backend.jinja and aft-providers.jinja, maybe its own api helpers), so a plain mirror
 * (`rsync --delete`) would delete them. The rules:
 * - aft-fleet's own files (aft-fleet.tf.json and the assets it zips) are listed in a manifest,
 *   `.aft-fleet-files`, at the root of each tree in the repository; the next copy replaces them and
 *   removes the listed files it no longer emits. Nothing else is ever replaced or removed.
 * - AFT's template files (backend.jinja, aft-providers.jinja, the api helpers, terraform/.gitignore) are
 *   written only where the repository has none: they then belong to the repository, and a later copy
 *   leaves them alone. aft-fleet needs no api helper step, so the owner's helpers stay as they are.
 * - A file aft-fleet would write that the repository already holds, that no manifest lists and whose
 *   content differs, stops the copy before anything is written.
 * Everything is checked before the first write.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OutputError } from "./output-dir";

/** The manifest of aft-fleet's own files at the root of each tree inside an AFT repository. */
export const REPO_MANIFEST = ".aft-fleet-files";
const MANIFEST_HEADER = "# aft-fleet: files below this folder that aft-fleet wrote; the next copy replaces or removes only these.";

/** AFT's template files: seeded into a repository that lacks them, never replaced. */
const SEED_FILES: readonly string[] = [
  "terraform/backend.jinja",
  "terraform/aft-providers.jinja",
  "terraform/.gitignore",
  "api_helpers/pre-api-helpers.sh",
  "api_helpers/post-api-helpers.sh",
  "api_helpers/python/requirements.txt",
];

export interface TreeCopy {
  /** The emitted tree (e.g. dist/aft-global-customizations). */
  readonly from: string;
  /** Where it goes in the checked-out repository (the repository root, or <repo>/<customization name>). */
  readonly to: string;
  /** How to name the tree in messages. */
  readonly label: string;
}

export interface CopyResult {
  readonly label: string;
  /** aft-fleet files added or whose content changed. */
  readonly written: readonly string[];
  /** aft-fleet files of an earlier copy that the tree no longer has. */
  readonly removed: readonly string[];
  /** Template files written because the repository had none. */
  readonly seeded: readonly string[];
  /** Things the owner should know (e.g. a provider declared twice); the copy still happened. */
  readonly warnings: readonly string[];
  /** Whether anything aft-fleet owns changed: AFT must re-apply this tree. */
  readonly changed: boolean;
}

/** Every regular file below `dir` as sorted `/`-separated relative paths; links are refused. */
function listFiles(dir: string, label: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) throw new OutputError(`${label}: ${child} is a symbolic link; allowed: regular files only`);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk("");
  return out.sort();
}

function readManifest(file: string, label: string): string[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  if (lines[0] !== MANIFEST_HEADER) throw new OutputError(`${label}: ${REPO_MANIFEST} was not written by aft-fleet; allowed: the file aft-fleet wrote, or none`);
  const files = lines.slice(1).filter((l) => l !== "");
  for (const f of files) {
    if (f.startsWith("/") || f.split("/").some((seg) => seg === "" || seg === "." || seg === "..")) {
      throw new OutputError(`${label}: ${REPO_MANIFEST} lists ${JSON.stringify(f)}; allowed: paths inside the tree`);
    }
  }
  return files;
}

/** Refuses a destination whose path inside the repository goes through a symbolic link. */
function checkNoLinks(root: string, rel: string, label: string): void {
  let at = root;
  for (const seg of rel.split("/")) {
    at = path.join(at, seg);
    const stat = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isSymbolicLink()) throw new OutputError(`${label}: ${path.relative(root, at)} is a symbolic link; allowed: aft-fleet writes only regular files and folders`);
  }
}

function sameContent(a: string, b: string): boolean {
  const sa = fs.statSync(a);
  const sb = fs.statSync(b, { throwIfNoEntry: false });
  return sb !== undefined && sb.isFile() && sa.size === sb.size && fs.readFileSync(a).equals(fs.readFileSync(b));
}

/**
 * Terraform allows one required_providers block per module: a second one in any file of the folder fails
 * `terraform init` with "Duplicate required providers configuration" (hashicorp/terraform,
 * internal/configs/module.go; its test TestModule_required_providers_multiple). The owner's files of the
 * folder are checked against aft-fleet's: a clash stops the copy; an owner's block that lacks the aws
 * requirement aft-fleet needs is a warning.
 */
function providerRequirementProblems(tree: TreeCopy, owned: ReadonlySet<string>): { conflicts: string[]; warnings: string[] } {
  const dir = path.join(tree.to, "terraform");
  const conflicts: string[] = [];
  const warnings: string[] = [];
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return { conflicts, warnings };
  const oursDeclares = [...owned].some((rel) => rel.endsWith(".tf.json") && /"required_providers"/.test(fs.readFileSync(path.join(tree.from, rel), "utf8")));
  for (const name of fs.readdirSync(dir).sort()) {
    const rel = `terraform/${name}`;
    if (owned.has(rel) || !/\.tf(\.json)?$/.test(name) || /(^|_)override\.tf(\.json)?$/.test(name)) continue;
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFile()) continue;
    const text = fs.readFileSync(file, "utf8");
    const declares = name.endsWith(".json") ? /"required_providers"\s*:/.test(text) : /^\s*required_providers\s*\{/m.test(text);
    if (!declares) continue;
    if (oursDeclares) {
      conflicts.push(
        `${rel} has a required_providers block and so does aft-fleet.tf.json; Terraform allows one per module: set deployment.memberProviderRequirements: omit, synthesize again, and require aws (>= 6.25.0, < 7.0.0) in your block`,
      );
    } else if (!/\baws\b/.test(text)) {
      warnings.push(`${rel} declares required_providers without aws; aft-fleet's resources need aws >= 6.25.0, < 7.0.0 (the region argument)`);
    }
  }
  return { conflicts, warnings };
}

interface Plan {
  readonly tree: TreeCopy;
  readonly write: string[];
  readonly remove: string[];
  readonly seed: string[];
  readonly owned: string[];
  readonly warnings: string[];
}

function planTree(tree: TreeCopy): Plan {
  if (!fs.statSync(tree.from, { throwIfNoEntry: false })?.isDirectory()) {
    throw new OutputError(`${tree.label}: ${tree.from} is not an emitted tree; allowed: the output of npm run synth (run it first)`);
  }
  const stat = fs.lstatSync(tree.to, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new OutputError(`${tree.label}: ${tree.to} is not a folder; allowed: a checked-out AFT repository (or a folder in it)`);
  const seeds = new Set(SEED_FILES);
  const emitted = listFiles(tree.from, tree.label).filter((f) => f !== REPO_MANIFEST);
  const owned = emitted.filter((f) => !seeds.has(f));
  const previous = new Set(readManifest(path.join(tree.to, REPO_MANIFEST), tree.label));
  const write: string[] = [];
  const seed: string[] = [];
  const conflicts: string[] = [];
  for (const rel of emitted) {
    checkNoLinks(tree.to, rel, tree.label);
    const dest = path.join(tree.to, rel);
    const there = fs.statSync(dest, { throwIfNoEntry: false });
    if (seeds.has(rel)) {
      if (!there) seed.push(rel);
      continue;
    }
    if (there && !there.isFile()) conflicts.push(`${rel} (a folder)`);
    else if (there && !previous.has(rel) && !sameContent(path.join(tree.from, rel), dest)) conflicts.push(rel);
    else if (!sameContent(path.join(tree.from, rel), dest)) write.push(rel);
  }
  if (conflicts.length > 0) {
    throw new OutputError(
      `${tree.label}: ${tree.to} already holds ${conflicts.slice(0, 5).join(", ")}${conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : ""}, which aft-fleet did not write; allowed: files aft-fleet wrote before (listed in ${REPO_MANIFEST}) — rename or remove yours`,
    );
  }
  const ownedSet = new Set(owned);
  const remove = [...previous].filter((f) => !ownedSet.has(f) && fs.lstatSync(path.join(tree.to, f), { throwIfNoEntry: false })?.isFile()).sort();
  for (const rel of remove) checkNoLinks(tree.to, rel, tree.label);
  const providers = providerRequirementProblems(tree, ownedSet);
  if (providers.conflicts.length > 0) throw new OutputError(`${tree.label}: ${providers.conflicts.join("; ")}`);
  return { tree, write, remove, seed, owned, warnings: providers.warnings };
}

function removeEmptyParents(root: string, rel: string): void {
  let dir = path.dirname(path.join(root, rel));
  while (dir.startsWith(root + path.sep) && fs.readdirSync(dir).length === 0) {
    fs.rmdirSync(dir);
    dir = path.dirname(dir);
  }
}

function copyFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  fs.chmodSync(to, fs.statSync(from).mode & 0o777);
}

/**
 * Copies each tree into its repository by the rules above. Every tree is checked before any is written,
 * so a conflict in one leaves both repositories untouched.
 */
export function copyToRepos(trees: readonly TreeCopy[]): CopyResult[] {
  const plans = trees.map(planTree);
  return plans.map((plan) => {
    const { tree } = plan;
    fs.mkdirSync(tree.to, { recursive: true });
    for (const rel of [...plan.write, ...plan.seed]) copyFile(path.join(tree.from, rel), path.join(tree.to, rel));
    for (const rel of plan.remove) {
      fs.rmSync(path.join(tree.to, rel));
      removeEmptyParents(tree.to, rel);
    }
    const manifest = `${[MANIFEST_HEADER, ...plan.owned].join("\n")}\n`;
    const manifestPath = path.join(tree.to, REPO_MANIFEST);
    if (!fs.existsSync(manifestPath) || fs.readFileSync(manifestPath, "utf8") !== manifest) fs.writeFileSync(manifestPath, manifest);
    return {
      label: tree.label,
      written: plan.write,
      removed: plan.remove,
      seeded: plan.seed,
      warnings: plan.warnings,
      changed: plan.write.length > 0 || plan.remove.length > 0,
    };
  });
}

/** Which accounts AFT must re-customize after a copy (the input of AFT's aft-invoke-customizations). */
export type TriggerKind = "none" | "central" | "all";

/**
 * AFT's customization pipelines do not run on a push to the customization repositories (AFT
 * customizations_pipeline/codepipeline.tf has no change detection); they run when an account is vended
 * or when the aft-invoke-customizations state machine is started. A changed member tree needs every
 * account (its input `{"include":[{"type":"all"}]}`); a changed central tree only the central account.
 */
export function triggerKind(global: CopyResult | undefined, central: CopyResult | undefined): TriggerKind {
  if (global?.changed) return "all";
  if (central?.changed) return "central";
  return "none";
}

/** The exact input of aft-invoke-customizations for a trigger (AFT identify_targets_request schema). */
export function invokeCustomizationsInput(kind: Exclude<TriggerKind, "none">, centralAccount: string): string {
  return kind === "all" ? JSON.stringify({ include: [{ type: "all" }] }) : JSON.stringify({ include: [{ type: "accounts", target_value: [centralAccount] }] });
}
