import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { ConfigError, ConfigIssue, formatPath, showValue } from "./errors";
import { ASSOCIATION_TARGET_VALUES_MAX, ASSOCIATION_TARGETS_MAX } from "../../contract/patterns";
import { resolvePatching } from "./patching";
import { readConfigFile } from "./read";
import { checkRules } from "./rules";
import type { Bundle, FleetModel, FleetPackage, PackageVersion, PlatformEntry, RolloutRing, TargetGroup } from "./model";
import { FleetConfig, FleetConfigSchema, LINUX_PLATFORMS, PackageConfig } from "./schema";

/** The bundled example organization: what `synth` uses when no config file is given. */
export const DEFAULT_CONFIG = path.join(__dirname, "..", "..", "examples", "fleet.yaml");

/** Distributor attaches at most 20 files to one package document: the zips plus manifest.json. */
export const MAX_FILES_PER_VERSION = 20;
/** Distributor's size limit for one attached file (a platform zip): 1 GB (AWS Systems Manager User Guide, Distributor). */
export const MAX_ATTACHMENT_BYTES = 1_000_000_000;
/** Keeps every platform zip reviewable; installers with more files belong in one archive. */
export const MAX_FILES_PER_FOLDER = 20;

/** Architectures Distributor supports per platform (AWS Systems Manager user guide, "Distributor"). */
const ARCHES_BY_PLATFORM: Record<string, readonly string[]> = {
  amazon: ["x86_64", "arm64", "386"],
  redhat: ["x86_64", "arm64", "386"],
  ubuntu: ["x86_64", "arm64", "386"],
  oracle: ["x86_64"],
};
const DEFAULT_ARCHES = ["x86_64", "386"];

/**
 * Reads, validates and resolves a fleet config. Throws ConfigError listing every problem found, each
 * with the file, the field path, the bad value and what is allowed. Reads files; writes nothing.
 * @param file config path (YAML or JSON); default: the bundled example.
 * @param displayName how to name the file in messages and the model; default: `file` relative to cwd.
 */
export function loadConfig(file: string = DEFAULT_CONFIG, displayName?: string): FleetModel {
  const shown = displayName ?? toDisplayPath(file);
  const raw = readConfigFile(file, shown);
  return resolveConfig(raw, path.dirname(path.resolve(file)), shown);
}

/** Validates an already-parsed config object; relative package sources resolve against `baseDir`. */
export function resolveConfig(raw: unknown, baseDir: string, shown: string): FleetModel {
  const parsed = FleetConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(shown, parsed.error.issues.map((issue) => toConfigIssue(issue, raw)));
  const issues: ConfigIssue[] = checkRules(parsed.data);
  const model = buildModel(parsed.data, baseDir, shown, issues);
  if (issues.length > 0) throw new ConfigError(shown, issues);
  return model;
}

function toDisplayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel.startsWith("..") || path.isAbsolute(rel) ? path.basename(file) : rel.split(path.sep).join("/");
}

function valueAt(root: unknown, keys: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of keys) {
    if (node === null || typeof node !== "object") return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The keys an object schema accepts at `keys` (walking arrays, records, optionals and defaults). */
function allowedKeysAt(schema: z.ZodType, keys: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let cur = s;
    while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable) {
      cur = cur.unwrap() as z.ZodType;
    }
    return cur;
  };
  for (const key of keys) {
    if (!node) return [];
    node = unwrap(node);
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[String(key)];
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else return [];
  }
  if (!node) return [];
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape).filter((k) => k !== "$schema") : [];
}

function toConfigIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigIssue {
  const at = issue.path as PropertyKey[];
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys;
    const allowed = allowedKeysAt(FleetConfigSchema, at);
    return {
      path: formatPath([...at, keys[0]!]),
      value: `unknown key${keys.length > 1 ? "s" : ""} ${keys.map((k) => JSON.stringify(k)).join(", ")}`,
      allowed: allowed.length > 0 ? `the keys ${allowed.join(", ")}` : "no other keys",
    };
  }
  if (issue.code === "invalid_key") {
    // A record key that fails its pattern: say what a key must look like, not zod's "Invalid key in record".
    const inner = issue.issues[0];
    return { path: formatPath(at), value: `the key ${showValue(at[at.length - 1])}`, allowed: inner?.message ?? "a valid key" };
  }
  const value = valueAt(raw, at);
  let allowed = issue.message;
  const expected = /^Invalid input: expected (\w+)/.exec(allowed);
  if (expected) allowed = `a value of type ${expected[1]}`;
  return { path: formatPath(at), value: value === undefined ? undefined : showValue(value), allowed };
}

function buildModel(cfg: FleetConfig, baseDir: string, shown: string, issues: ConfigIssue[]): FleetModel {
  const org = cfg.organization;
  const regions = new Set<string>();
  org.workloadRegions.forEach((region, i) => {
    if (regions.has(region)) issues.push({ path: `organization.workloadRegions[${i}]`, value: showValue(region), allowed: "each Region once" });
    regions.add(region);
  });
  const workloadRegions = [org.homeRegion, ...[...regions].filter((r) => r !== org.homeRegion).sort()];

  // Null prototype: a group named like an Object.prototype member (constructor, toString) is just a name.
  const targetGroups: Record<string, TargetGroup> = Object.create(null);
  for (const name of Object.keys(org.targetGroups).sort()) {
    const group = org.targetGroups[name]!;
    const where = `organization.targetGroups.${name}`;
    const accounts = group.accounts ?? [];
    const ous = group.organizationalUnits ?? [];
    if (accounts.length === 0 && ous.length === 0) {
      issues.push({ path: where, value: "a group with no accounts and no organizationalUnits", allowed: "at least one account id or OU id" });
    }
    checkUnique(accounts, `${where}.accounts`, issues);
    checkUnique(ous, `${where}.organizationalUnits`, issues);
    const tags = group.instanceTags ?? {};
    // Each tag key becomes one Targets entry of the member association: at most 5 entries of at most 50 values (CreateAssociation).
    if (Object.keys(tags).length > ASSOCIATION_TARGETS_MAX) {
      issues.push({ path: `${where}.instanceTags`, value: `${Object.keys(tags).length} tag keys`, allowed: `at most ${ASSOCIATION_TARGETS_MAX} tag keys (an association takes at most 5 targets)` });
    }
    for (const key of Object.keys(tags)) {
      if (tags[key]!.length > ASSOCIATION_TARGET_VALUES_MAX) {
        issues.push({ path: `${where}.instanceTags.${key}`, value: `${tags[key]!.length} values`, allowed: `at most ${ASSOCIATION_TARGET_VALUES_MAX} values per tag key (an association target takes at most 50)` });
      }
    }
    targetGroups[name] = {
      name,
      accounts: [...new Set(accounts)].sort(),
      organizationalUnits: [...new Set(ous)].sort(),
      instanceTags: Object.fromEntries(Object.keys(tags).sort().map((k) => [k, [...tags[k]!]])),
    };
  }

  const seenNames = new Map<string, number>();
  const packages: FleetPackage[] = [];
  cfg.packages.forEach((pkg, i) => {
    const where = `packages[${i}]`;
    const key = pkg.name.toLowerCase();
    if (seenNames.has(key)) {
      issues.push({ path: `${where}.name`, value: showValue(pkg.name), allowed: `a name not used by another package (packages[${seenNames.get(key)}] has it)` });
    } else {
      seenNames.set(key, i);
    }
    const resolved = buildPackage(pkg, where, baseDir, targetGroups, issues);
    if (resolved) packages.push(resolved);
  });

  const store = cfg.packageStore;
  if (cfg.deployment.mode === "direct" && !cfg.deployment.direct) {
    issues.push({ path: "deployment.direct", value: undefined, allowed: "stateBucket and stateRegion when deployment.mode is direct" });
  }
  const direct = cfg.deployment.direct;
  const patching = resolvePatching(cfg.patching, { centralAccount: org.centralAccount, homeRegion: org.homeRegion }, issues);
  return {
    source: shown,
    organization: {
      id: org.id,
      managementAccount: org.managementAccount,
      centralAccount: org.centralAccount,
      homeRegion: org.homeRegion,
      workloadRegions,
      targetGroups,
    },
    deployment: {
      mode: cfg.deployment.mode,
      accountCustomizationName: cfg.deployment.accountCustomizationName,
      ...(direct
        ? {
            direct: {
              stateBucket: direct.stateBucket,
              stateRegion: direct.stateRegion,
              stateKeyPrefix: direct.stateKeyPrefix.replace(/\/+$/, ""),
              ...(direct.lockTable ? { lockTable: direct.lockTable } : {}),
              memberAccounts: [...new Set(direct.memberAccounts)].sort(),
              memberRoleName: direct.memberRoleName,
            },
          }
        : {}),
    },
    store: {
      bucketName: store.bucketName ?? `aft-fleet-packages-${org.centralAccount}-${org.homeRegion}`,
      ...(store.accessLogBucket ? { accessLogBucket: store.accessLogBucket } : {}),
      noncurrentVersionDays: store.noncurrentVersionDays,
      encryption: store.encryption,
      rolloutRetentionDays: store.rolloutRetentionDays,
    },
    packages,
    ...(patching ? { patching } : {}),
  };
}

function checkUnique(values: readonly string[], where: string, issues: ConfigIssue[]): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) issues.push({ path: `${where}[${i}]`, value: showValue(v), allowed: "each value once" });
    seen.add(v);
  });
}

function buildPackage(
  pkg: PackageConfig,
  where: string,
  baseDir: string,
  targetGroups: Record<string, TargetGroup>,
  issues: ConfigIssue[],
): FleetPackage | undefined {
  const before = issues.length;
  const platforms: PlatformEntry[] = [];
  const seenPlatforms = new Set<string>();
  pkg.platforms.forEach((p, j) => {
    const id = `${p.platform}/${p.platformVersion}/${p.arch}`;
    if (seenPlatforms.has(id)) issues.push({ path: `${where}.platforms[${j}]`, value: showValue(id), allowed: "each platform/platformVersion/arch once" });
    seenPlatforms.add(id);
    const arches = ARCHES_BY_PLATFORM[p.platform] ?? DEFAULT_ARCHES;
    if (!arches.includes(p.arch)) {
      issues.push({ path: `${where}.platforms[${j}].arch`, value: showValue(p.arch), allowed: `an architecture Distributor supports for ${p.platform}: ${arches.join(", ")}` });
    }
    platforms.push({ platform: p.platform, platformVersion: p.platformVersion, arch: p.arch, folder: p.folder });
  });

  const ringNames = new Set<string>();
  const rings: RolloutRing[] = [];
  pkg.rings.forEach((ring, k) => {
    const at = `${where}.rings[${k}]`;
    if (ringNames.has(ring.name)) issues.push({ path: `${at}.name`, value: showValue(ring.name), allowed: "a ring name used once per package (it names the ring's ledger, spec and association)" });
    ringNames.add(ring.name);
    const group = Object.prototype.hasOwnProperty.call(targetGroups, ring.targets) ? targetGroups[ring.targets] : undefined;
    if (!group) {
      const known = Object.keys(targetGroups);
      issues.push({ path: `${at}.targets`, value: showValue(ring.targets), allowed: known.length ? `a target group: ${known.join(", ")}` : "a target group defined in organization.targetGroups" });
      return;
    }
    rings.push({
      name: ring.name,
      targetGroup: group,
      ...(ring.pin !== undefined ? { pin: ring.pin } : {}),
      bakeSeconds: durationSeconds(ring.bake),
      alarms: [...new Set(ring.alarms)].sort(),
      action: ring.action,
      schedule: ring.schedule,
      maxConcurrency: ring.maxConcurrency,
      maxErrors: ring.maxErrors,
      nodeMaxConcurrency: ring.nodeMaxConcurrency,
      nodeMaxErrors: ring.nodeMaxErrors,
      complianceSeverity: ring.complianceSeverity,
    });
  });

  const listed = pkg.versions;
  if (listed) {
    checkUnique(listed, `${where}.versions`, issues);
    if (!listed.includes(pkg.release)) {
      issues.push({ path: `${where}.release`, value: showValue(pkg.release), allowed: `a version listed in ${where}.versions (${listed.join(", ")}): the controller creates member documents only from published versions` });
    }
  }
  const pins = pkg.rings.flatMap((r) => (r.pin !== undefined ? [r.pin] : []));
  const versionNames = [...new Set(listed ?? [pkg.release, ...pins])].sort();

  const sourceDir = path.resolve(baseDir, pkg.source);
  // The source root may be a link (a user's layout choice); what is below it may not.
  if (!fs.statSync(sourceDir, { throwIfNoEntry: false })?.isDirectory()) {
    issues.push({ path: `${where}.source`, value: showValue(pkg.source), allowed: "a folder (relative to the config file) holding one sub-folder per version" });
    return undefined;
  }
  const versions: PackageVersion[] = [];
  for (const version of versionNames) {
    const resolved = buildVersion(pkg, where, sourceDir, version, issues);
    if (resolved) versions.push(resolved);
  }
  if (issues.length > before) return undefined;
  return {
    name: pkg.name,
    publisher: pkg.publisher,
    description: pkg.description ?? `${pkg.name} by ${pkg.publisher}, distributed by aft-fleet`,
    installationType: pkg.installationType,
    additionalArguments: Object.fromEntries(Object.keys(pkg.additionalArguments).sort().map((k) => [k, pkg.additionalArguments[k]!] as const)),
    platforms,
    release: pkg.release,
    versions,
    versionRetention: pkg.versionRetention,
    controllerSchedule: pkg.controllerSchedule,
    rings,
  };
}

function buildVersion(pkg: PackageConfig, where: string, sourceDir: string, version: string, issues: ConfigIssue[]): PackageVersion | undefined {
  const versionDir = path.join(sourceDir, version);
  const versionShown = `${pkg.source.replace(/\/+$/, "")}/${version}`;
  const versionPath = pkg.versions
    ? `${where}.versions[${pkg.versions.indexOf(version)}]`
    : version === pkg.release
      ? `${where}.release`
      : `${where}.rings[${pkg.rings.findIndex((r) => r.pin === version)}].pin`;
  const versionKind = entryKind(versionDir);
  if (versionKind !== "directory") {
    const what = versionKind === "symlink" ? `${showValue(version)} whose folder ${versionShown}/ is a symbolic link` : showValue(version);
    issues.push({ path: versionPath, value: what, allowed: `a version with a real folder ${versionShown}/ (not a link) holding the platform folders` });
    return undefined;
  }
  const needUpdate = pkg.installationType === "In-place update";
  const folders = [...new Set(pkg.platforms.map((p) => p.folder))].sort();
  const bundles: Bundle[] = [];
  for (const folder of folders) {
    const j = pkg.platforms.findIndex((p) => p.folder === folder);
    const at = `${where}.platforms[${j}].folder`;
    const users = pkg.platforms.filter((p) => p.folder === folder);
    const windows = users.some((p) => p.platform === "windows");
    const linux = users.some((p) => (LINUX_PLATFORMS as readonly string[]).includes(p.platform));
    if (windows && linux) {
      issues.push({ path: at, value: showValue(folder), allowed: "a folder used either by windows or by Linux platforms, not both (.ps1 vs .sh scripts)" });
      continue;
    }
    const dir = path.join(versionDir, folder);
    const kind = entryKind(dir);
    if (kind !== "directory") {
      const what = kind === "symlink" ? `${showValue(folder)}, a symbolic link` : showValue(folder);
      issues.push({ path: at, value: what, allowed: `a real folder (not a link) at ${versionShown}/${folder}/` });
      continue;
    }
    const listing = listFiles(dir);
    if (listing.refused.length > 0) {
      issues.push({
        path: at,
        value: `${showValue(folder)} with ${listing.refused.map((r) => `${r.file} (${r.kind})`).join(", ")}`,
        allowed: `only regular files inside ${versionShown}/${folder}/ (links could pull in files from elsewhere on the machine)`,
      });
      continue;
    }
    const files = listing.files.map((f) => f.rel);
    const ext = windows ? ".ps1" : ".sh";
    const required = ["install", "uninstall", ...(needUpdate ? ["update"] : [])].map((s) => s + ext);
    const missing = required.filter((f) => !files.includes(f));
    if (missing.length > 0) {
      const wrongKind = files.filter((f) => !f.includes("/") && f.endsWith(windows ? ".sh" : ".ps1"));
      const hint = wrongKind.length > 0 ? ` (found ${wrongKind.join(", ")}: ${windows ? "Windows runs .ps1 scripts" : "Linux runs .sh scripts"})` : "";
      issues.push({
        path: at,
        value: `${showValue(folder)} without ${missing.join(", ")}${hint}`,
        allowed: `a ${windows ? "Windows" : "Linux"} folder ${versionShown}/${folder}/ with ${required.join(", ")}${needUpdate ? " (In-place update needs update" + ext + ")" : ""}`,
      });
      continue;
    }
    const emptyScripts = required.filter((name) => listing.files.find((f) => f.rel === name)!.blank);
    if (emptyScripts.length > 0) {
      issues.push({ path: at, value: `${showValue(folder)} with an empty ${emptyScripts.join(", ")}`, allowed: `${required.join(", ")} with commands in them (an empty script installs nothing and reports success)` });
      continue;
    }
    const bytes = listing.files.reduce((sum, f) => sum + f.size, 0);
    if (bytes > MAX_ATTACHMENT_BYTES) {
      issues.push({ path: at, value: `${showValue(folder)} with ${bytes} bytes`, allowed: `at most ${MAX_ATTACHMENT_BYTES} bytes per platform folder (Distributor attaches files of at most 1 GB; its zip is built from this folder)` });
      continue;
    }
    if (files.length > MAX_FILES_PER_FOLDER) {
      issues.push({ path: at, value: `${showValue(folder)} with ${files.length} files`, allowed: `at most ${MAX_FILES_PER_FOLDER} files per platform folder (put large installers into one archive)` });
      continue;
    }
    bundles.push({ folder, zipName: `${folder}.zip`, sourceDir: dir, files });
  }
  if (folders.length + 1 > MAX_FILES_PER_VERSION) {
    issues.push({
      path: `${where}.platforms`,
      value: `${folders.length} zip files + manifest.json for version ${version}`,
      allowed: `at most ${MAX_FILES_PER_VERSION} files per package version (Distributor attaches at most 20 files to a package)`,
    });
    return undefined;
  }
  return { version, prefix: `${pkg.name}/${version}/`, bundles };
}

type EntryKind = "directory" | "file" | "symlink" | "missing" | "special";

/** What is at `p`, without following a symbolic link. */
function entryKind(p: string): EntryKind {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(p);
  } catch {
    return "missing";
  }
  if (stat.isSymbolicLink()) return "symlink";
  if (stat.isDirectory()) return "directory";
  if (stat.isFile()) return "file";
  return "special";
}

interface PackageFile {
  readonly rel: string;
  readonly size: number;
  /** Empty or whitespace only (checked for scripts). */
  readonly blank: boolean;
}

/**
 * Files below `dir` (all of them are zipped), as sorted `/`-separated relative paths. Symbolic links
 * (dangling or not) and special files are refused, never followed: a package holds regular files of its
 * own folder only.
 */
function listFiles(dir: string): { files: PackageFile[]; refused: { file: string; kind: string }[] } {
  const files: PackageFile[] = [];
  const refused: { file: string; kind: string }[] = [];
  const stack: string[] = [""];
  while (stack.length > 0) {
    const relDir = stack.pop()!;
    for (const entry of fs.readdirSync(path.join(dir, relDir), { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      const full = path.join(dir, rel);
      if (entry.isSymbolicLink()) refused.push({ file: rel, kind: "symbolic link" });
      else if (entry.isDirectory()) stack.push(rel);
      else if (entry.isFile()) {
        const size = fs.statSync(full).size;
        const blank = size < 4096 ? fs.readFileSync(full, "utf8").trim() === "" : false;
        files.push({ rel, size, blank });
      } else refused.push({ file: rel, kind: "special file" });
    }
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  refused.sort((a, b) => (a.file < b.file ? -1 : 1));
  return { files, refused };
}

/** "30m" / "24h" / "2d" -> seconds. */
function durationSeconds(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = text.slice(-1);
  return n * (unit === "m" ? 60 : unit === "h" ? 3600 : 86400);
}
