/*
 * A package version's files on disk: the platform folders of `<source>/<version>/`, checked to hold only
 * regular files (links are refused, never followed), the scripts Distributor runs (not empty), and
 * Distributor's limits on files and sizes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { versionPrefix } from "../../contract/names";
import { ConfigIssue, showValue } from "./errors";
import type { Bundle, PackageVersion } from "./model";
import { LINUX_PLATFORMS, PackageConfig } from "./schema";

/** Distributor attaches at most 20 files to one package document: the zips plus manifest.json. */
const MAX_FILES_PER_VERSION = 20;
/** Distributor's size limit for one attached file (a platform zip): 1 GB (AWS Systems Manager User Guide, Distributor). */
const MAX_ATTACHMENT_BYTES = 1_000_000_000;
/** Keeps every platform zip reviewable; installers with more files belong in one archive. */
export const MAX_FILES_PER_FOLDER = 20;

export function buildVersion(pkg: PackageConfig, where: string, sourceDir: string, version: string, issues: ConfigIssue[]): PackageVersion | undefined {
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
  return { version, prefix: versionPrefix(pkg.name, version), bundles };
}

export type EntryKind = "directory" | "file" | "symlink" | "missing" | "special";

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
