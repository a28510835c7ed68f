/**
 * The packed package, installed as a user installs it: `npm pack` (its prepack builds lib/), then an
 * empty folder outside the repository whose package.json depends on the tarball, installed with
 * `npm ci --offline`. The folder's lock is derived from the repository's package-lock.json (the tarball
 * plus every non-dev package at the version the repository tests), so the install takes every tarball from
 * npm's cache, which the repository's own `npm ci` filled, and needs no registry metadata. cdktf, constructs
 * and the providers are the package's optional peers (what a cdktf app that composes the constructs has
 * already); a user who runs only the CLI installs none of them, and neither does this folder.
 * AFT_FLEET_TARBALL (set by scripts/test.sh, which packs once before jest) skips the pack.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.join(__dirname, "..", "..");

interface LockEntry {
  readonly dev?: boolean;
  readonly link?: boolean;
  readonly [key: string]: unknown;
}

export function packTarball(dest: string): string {
  const given = process.env.AFT_FLEET_TARBALL;
  if (given) return path.resolve(given);
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dest], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const name = out.trim().split("\n").pop()!;
  return path.join(dest, name);
}

/** A user's folder with the tarball installed; returns the folder. */
export function installTarball(tarball: string, app: string): string {
  fs.mkdirSync(app, { recursive: true });
  const local = path.join(app, "vendor", path.basename(tarball));
  fs.mkdirSync(path.dirname(local), { recursive: true });
  fs.copyFileSync(tarball, local);
  const spec = `file:vendor/${path.basename(tarball)}`;
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const root = lock.packages[""]!;
  const packages: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === "" || entry.dev === true || entry.link === true) continue;
    packages[key] = entry;
  }
  const own: Record<string, unknown> = { resolved: spec };
  for (const field of ["version", "license", "dependencies", "peerDependencies", "peerDependenciesMeta", "bin", "engines"]) if (root[field] !== undefined) own[field] = root[field];
  packages["node_modules/aft-fleet"] = own;
  const manifest = { name: "user-fleet", version: "1.0.0", private: true, dependencies: { "aft-fleet": spec } };
  fs.writeFileSync(path.join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1)));
  const appLock = { name: "user-fleet", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "user-fleet", version: "1.0.0", dependencies: manifest.dependencies }, ...sorted } };
  fs.writeFileSync(path.join(app, "package-lock.json"), `${JSON.stringify(appLock, null, 2)}\n`);
  execFileSync("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: app, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
  return app;
}

export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** Every file below `dir` (relative, sorted) with its bytes. */
export function treeBytes(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(dir, child)));
    }
  };
  walk("");
  return files;
}
