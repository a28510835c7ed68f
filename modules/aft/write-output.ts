import * as fs from "node:fs";
import * as path from "node:path";
import { MARKER_FILE, markerText, OutputError, type OutputState, WORK_PREFIX } from "./output-dir";
import { BACKEND_JINJA, POST_API_HELPERS, PRE_API_HELPERS, PROVIDERS_JINJA, REQUIREMENTS_TXT, TERRAFORM_GITIGNORE } from "./templates";

/** The Terraform JSON file name inside each emitted terraform/ folder. */
const TF_JSON = "aft-fleet.tf.json";

export interface EmittedStack {
  /** Stack id in the cdktf output (cdktf.out/stacks/<id>). */
  readonly stackId: string;
  /** Destination folder relative to the output dir. */
  readonly dest: string;
  /** aft: strip backend and providers and add jinja templates + api_helpers (dest is the customization root). */
  readonly kind: "aft" | "direct";
  /**
   * Leave out `terraform.required_providers`: Terraform allows one required_providers block per module
   * ("Duplicate required providers configuration"), and the repository's own files already have one.
   */
  readonly omitProviderRequirements?: boolean;
}

/**
 * Turns a cdktf synth directory into the emitted trees. Everything happens inside the output folder:
 * the new tree is built in a working folder there, then swapped in entry by entry under a marker that
 * lists both the old and the new files, so an interrupted synth leaves a folder the next synth
 * recognises and repairs, and a failed one leaves the previous output in place. Only files the previous
 * marker lists are ever replaced.
 * @param synthDir the cdktf outdir (holds stacks/<id>/cdk.tf.json and assets)
 * @param state the checked output folder (checkOutputDir)
 * @param readme text for `README.md` at the output root
 * @param extraFiles further files at the output root (name -> text), e.g. the orchestration handoff
 */
export function writeOutput(synthDir: string, state: OutputState, stacks: readonly EmittedStack[], readme: string, extraFiles: Readonly<Record<string, string>> = {}): void {
  const target = state.dir;
  const staging = makeWorkDir(target, "staging");
  try {
    for (const stack of stacks) writeStack(synthDir, staging, stack);
    writeFile(path.join(staging, "README.md"), readme);
    for (const name of Object.keys(extraFiles).sort()) writeFile(path.join(staging, name), extraFiles[name]!);
    const files = listTree(staging);
    swapInto(staging, target, state.previous, files);
  } catch (err) {
    throw asOutputError(err, target);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Creates the output folder (and its parents) if needed, then a fresh working folder inside it. */
export function makeWorkDir(target: string, kind: "staging" | "synth" | "old"): string {
  try {
    fs.mkdirSync(target, { recursive: true });
    removeStaleWork(target);
    return fs.mkdtempSync(path.join(target, `${WORK_PREFIX}${kind}-`));
  } catch (err) {
    throw asOutputError(err, target);
  }
}

/** File-system errors while writing become OutputErrors that say where and why, without a stack trace. */
export function asOutputError(err: unknown, target: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string" || err instanceof OutputError) return err;
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    ENOTDIR: "a path component is a file",
    EEXIST: "a file is in the way",
  };
  return new OutputError(`--out ${path.relative(process.cwd(), target) || "."}: cannot write the output (${reasons[code] ?? code}); allowed: a folder aft-fleet may create and write`);
}

/** Staging folders older than this were left by an interrupted synth (a live one takes seconds). */
const STALE_WORK_MS = 10 * 60 * 1000;

/** Removes working folders that an interrupted synth left inside the output folder. */
function removeStaleWork(target: string): void {
  for (const name of fs.readdirSync(target)) {
    if (!name.startsWith(WORK_PREFIX) || name === MARKER_FILE) continue;
    const dir = path.join(target, name);
    if (Date.now() - fs.lstatSync(dir).mtimeMs > STALE_WORK_MS) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every regular file below `dir`, as sorted `/`-separated relative paths. */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const stack = [""];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) stack.push(child);
      else out.push(child);
    }
  }
  return out.sort();
}

/** Writes a file atomically (temporary file in the same folder, then rename). */
function writeAtomically(file: string, content: string): void {
  const tmp = `${path.dirname(file)}/${WORK_PREFIX}marker-${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/**
 * Moves the previous top-level entries aside and the staged ones in. The marker lists old and new
 * files while entries move, so a synth killed half-way leaves a folder the next synth accepts.
 */
function swapInto(staging: string, target: string, previous: readonly string[], next: readonly string[]): void {
  const top = (files: readonly string[]) => [...new Set(files.map((f) => f.split("/")[0]!))].sort();
  const marker = path.join(target, MARKER_FILE);
  writeAtomically(marker, markerText([...new Set([...previous, ...next])]));
  const old = fs.mkdtempSync(path.join(target, `${WORK_PREFIX}old-`));
  const movedOut: string[] = [];
  const movedIn: string[] = [];
  try {
    for (const name of top(previous)) {
      if (!fs.existsSync(path.join(target, name))) continue;
      fs.renameSync(path.join(target, name), path.join(old, name));
      movedOut.push(name);
    }
    for (const name of top(next)) {
      fs.renameSync(path.join(staging, name), path.join(target, name));
      movedIn.push(name);
    }
  } catch (err) {
    for (const name of movedIn) fs.renameSync(path.join(target, name), path.join(staging, name));
    for (const name of movedOut) fs.renameSync(path.join(old, name), path.join(target, name));
    writeAtomically(marker, markerText(previous));
    fs.rmSync(old, { recursive: true, force: true });
    throw err;
  }
  writeAtomically(marker, markerText(next));
  fs.rmSync(old, { recursive: true, force: true });
}

function writeStack(synthDir: string, staging: string, stack: EmittedStack): void {
  const stackDir = path.join(synthDir, "stacks", stack.stackId);
  const json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
  const root = path.join(staging, stack.dest);
  const tfDir = stack.kind === "aft" ? path.join(root, "terraform") : root;
  fs.mkdirSync(tfDir, { recursive: true });
  const cleaned = cleanTerraformJson(json, stack.kind);
  if (stack.omitProviderRequirements) {
    const terraform = cleaned.terraform as Record<string, unknown> | undefined;
    if (terraform) delete terraform.required_providers;
    if (terraform && Object.keys(terraform).length === 0) delete cleaned.terraform;
  }
  writeFile(path.join(tfDir, TF_JSON), `${JSON.stringify(cleaned, null, 2)}\n`);
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
function cleanTerraformJson(json: Record<string, unknown>, kind: "aft" | "direct"): Record<string, unknown> {
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
