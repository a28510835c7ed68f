import * as fs from "node:fs";
import * as path from "node:path";
import { BACKEND_JINJA, POST_API_HELPERS, PRE_API_HELPERS, PROVIDERS_JINJA, REQUIREMENTS_TXT, TERRAFORM_GITIGNORE } from "./templates";

/** The Terraform JSON file name inside each emitted terraform/ folder. */
export const TF_JSON = "aft-fleet.tf.json";

export interface EmittedStack {
  /** Stack id in the cdktf output (cdktf.out/stacks/<id>). */
  readonly stackId: string;
  /** Destination folder relative to the output dir. */
  readonly dest: string;
  /** aft: strip backend and providers and add jinja templates + api_helpers (dest is the customization root). */
  readonly kind: "aft" | "direct";
}

/**
 * Turns a cdktf synth directory into the emitted trees, writing into a fresh staging folder first and
 * swapping it into place only when everything is written, so a failure leaves `outDir` untouched.
 * @param synthDir the cdktf outdir (holds stacks/<id>/cdk.tf.json and assets)
 * @param readme text for `outDir/README.md`
 */
export function writeOutput(synthDir: string, outDir: string, stacks: readonly EmittedStack[], readme: string): void {
  const target = path.resolve(outDir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  removeStaleStaging(parent, path.basename(target));
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`));
  try {
    for (const stack of stacks) writeStack(synthDir, staging, stack);
    writeFile(path.join(staging, "README.md"), readme);
    swapInto(staging, target);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Staging folders older than this were left by an interrupted synth (a live one takes seconds). */
export const STALE_STAGING_MS = 10 * 60 * 1000;

/** Removes staging and `.old` folders that an interrupted synth left beside the output dir. */
function removeStaleStaging(parent: string, base: string): void {
  const prefix = `.${base}.staging-`;
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(parent, name);
    if (Date.now() - fs.statSync(dir).mtimeMs > STALE_STAGING_MS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeStack(synthDir: string, staging: string, stack: EmittedStack): void {
  const stackDir = path.join(synthDir, "stacks", stack.stackId);
  const json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
  const root = path.join(staging, stack.dest);
  const tfDir = stack.kind === "aft" ? path.join(root, "terraform") : root;
  fs.mkdirSync(tfDir, { recursive: true });
  writeFile(path.join(tfDir, TF_JSON), `${JSON.stringify(cleanTerraformJson(json, stack.kind), null, 2)}\n`);
  const assets = path.join(stackDir, "assets");
  if (fs.existsSync(assets)) copyTree(assets, path.join(tfDir, "assets"));
  writeFile(path.join(tfDir, ".gitignore"), TERRAFORM_GITIGNORE);
  if (stack.kind === "aft") {
    writeFile(path.join(tfDir, "backend.jinja"), BACKEND_JINJA);
    writeFile(path.join(tfDir, "aft-providers.jinja"), PROVIDERS_JINJA);
    writeFile(path.join(root, "api_helpers", "pre-api-helpers.sh"), PRE_API_HELPERS, 0o755);
    writeFile(path.join(root, "api_helpers", "post-api-helpers.sh"), POST_API_HELPERS, 0o755);
    writeFile(path.join(root, "api_helpers", "python", "requirements.txt"), REQUIREMENTS_TXT);
  }
}

/**
 * Drops cdktf's `//` metadata (it names the cdktf version and stack internals, not the config) and, for
 * AFT, the backend and provider blocks that AFT supplies from its jinja templates. Sorts object keys.
 */
export function cleanTerraformJson(json: Record<string, unknown>, kind: "aft" | "direct"): Record<string, unknown> {
  const out = stripMetadata(json) as Record<string, unknown>;
  if (kind === "aft") {
    delete out.provider;
    const terraform = out.terraform as Record<string, unknown> | undefined;
    if (terraform) delete terraform.backend;
  }
  return sortKeys(out) as Record<string, unknown>;
}

function stripMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== "//") out[k] = stripMetadata(v);
    return out;
  }
  return value;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

function writeFile(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/** Copies regular files in sorted order with normalized modes (0755 for scripts that were executable). */
function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile()) {
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, fs.statSync(src).mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** Replaces `target` by `staging` with two renames; the old tree is removed only after the swap. */
function swapInto(staging: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const old = `${staging}.old`;
  fs.renameSync(target, old);
  try {
    fs.renameSync(staging, target);
  } catch (err) {
    fs.renameSync(old, target);
    throw err;
  }
  fs.rmSync(old, { recursive: true, force: true });
}
