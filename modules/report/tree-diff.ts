/*
 * Terraform addresses added, changed and removed between two emitted output folders: the `resource`,
 * `data` and `output` blocks of every `*.tf.json`, compared as JSON (key order ignored). A member tree
 * (applied in every account) is flagged: changing it means AFT must re-customize every account.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ReportError } from "./errors";

/** Relative path (with `/`) -> parsed Terraform JSON. */
export type Trees = ReadonlyMap<string, unknown>;

export interface ChangedAddress {
  readonly address: string;
  /** Top-level attributes whose value differs, sorted. */
  readonly attributes: readonly string[];
}

export interface TreeDiff {
  readonly path: string;
  /** Applied in every account (aft-global-customizations, or a direct-mode member stack). */
  readonly member: boolean;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly added: readonly string[];
  readonly changed: readonly ChangedAddress[];
  readonly removed: readonly string[];
}

/** Reads every `*.tf.json` below `dir` (not inside dot folders or `assets/`). */
export function readTrees(dir: string): Map<string, unknown> {
  const trees = new Map<string, unknown>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory() && entry.name !== "assets") walk(child);
      else if (entry.isFile() && entry.name.endsWith(".tf.json")) {
        try {
          trees.set(child, JSON.parse(fs.readFileSync(path.join(dir, child), "utf8")));
        } catch (err) {
          throw new ReportError(`${path.join(dir, child)}: not valid JSON (${(err as Error).message})`);
        }
      }
    }
  };
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ReportError(`${dir}: not a folder of emitted trees`);
  walk("");
  return trees;
}

function isMemberTree(treePath: string): boolean {
  return treePath.startsWith("aft-global-customizations/") || /^direct\/member-/.test(treePath);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Address -> block body of a Terraform JSON document. */
function addresses(doc: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!isObject(doc)) return out;
  for (const [kind, prefix] of [["resource", ""], ["data", "data."]] as const) {
    const byType = doc[kind];
    if (!isObject(byType)) continue;
    for (const [type, byName] of Object.entries(byType)) {
      if (!isObject(byName)) continue;
      for (const [name, body] of Object.entries(byName)) out.set(`${prefix}${type}.${name}`, body);
    }
  }
  if (isObject(doc.output)) for (const [name, body] of Object.entries(doc.output)) out.set(`output.${name}`, body);
  return out;
}

/** JSON text with object keys sorted, so two equal documents compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

function changedAttributes(before: unknown, after: unknown): string[] {
  if (!isObject(before) || !isObject(after)) return ["(value)"];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k]));
}

function diffTree(treePath: string, before: unknown, after: unknown): TreeDiff {
  const a = addresses(before);
  const b = addresses(after);
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed = [...b.keys()]
    .filter((k) => a.has(k) && canonicalJson(a.get(k)) !== canonicalJson(b.get(k)))
    .sort()
    .map((address) => ({ address, attributes: changedAttributes(a.get(address), b.get(address)) }));
  const status = before === undefined ? "added" : after === undefined ? "removed" : added.length + removed.length + changed.length > 0 ? "changed" : "unchanged";
  return { path: treePath, member: isMemberTree(treePath), status, added, changed, removed };
}

/** Every tree of either side, sorted by path. */
export function diffTrees(before: Trees, after: Trees): TreeDiff[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.map((p) => diffTree(p, before.get(p), after.get(p)));
}
