/*
 * Reading a config file: bytes -> text -> a plain value, refusing what a parser would silently accept
 * (invalid UTF-8, NUL bytes, duplicate JSON keys, alias bombs, nesting deep enough to exhaust the
 * stack, `__proto__` keys). Every refusal is a ConfigError naming the file and, where there is one, the
 * field path. Nothing here knows the fleet schema.
 */
import * as fs from "node:fs";
import { parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from "jsonc-parser";
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import { ConfigError, formatPath, showValue } from "./errors";

/** Deeper than any real fleet config (about 8 levels); far below what exhausts the parsers' stacks. */
export const MAX_DEPTH = 64;
/** YAML aliases resolved at most this often (the `yaml` library's own guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;
/** Config files are small; a multi-megabyte one is a mistake or an attack. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Keys that would reach Object.prototype when assigned to a plain object. */
const FORBIDDEN_KEYS = new Set(["__proto__"]);

const SHAPE = "a YAML or JSON mapping with organization and packages";

/** Reads and parses `file` (JSON when it ends in .json, else YAML) into a plain value. */
export function readConfigFile(file: string, shown: string): unknown {
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw Object.assign(new Error("not a file"), { code: stat.isDirectory() ? "EISDIR" : "ENOTFILE" });
    if (stat.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(shown, [{ path: "(root)", value: `a file of ${stat.size} bytes`, allowed: `a config of at most ${MAX_CONFIG_BYTES} bytes` }]);
    }
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(shown, [{ path: "(root)", value: showValue(file), allowed: `a readable config file (${(err as NodeJS.ErrnoException).code ?? "unreadable"})` }]);
  }
  const text = decodeUtf8(bytes, shown);
  const value = file.toLowerCase().endsWith(".json") ? parseJson(text, shown) : parseYaml(text, shown);
  checkValue(value, shown);
  return value;
}

/** Decodes strict UTF-8 (a replacement character would silently change names and versions). */
function decodeUtf8(bytes: Uint8Array, shown: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ConfigError(shown, [{ path: "(root)", value: "bytes that are not valid UTF-8", allowed: "a UTF-8 text file" }]);
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    throw new ConfigError(shown, [{ path: "(root)", value: `a NUL byte at ${lineColumn(text, nul)}`, allowed: "text without NUL bytes" }]);
  }
  if (text.trim() === "") throw new ConfigError(shown, [{ path: "(root)", value: "an empty file", allowed: SHAPE }]);
  return text;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/** Bracket depth of JSON text outside strings, counted without recursion, so depth is refused before parsing. */
/** Deepest nesting of `{`/`[` in JSON text, counted without parsing (so without recursion). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") max = Math.max(max, ++depth);
    else if (c === "}" || c === "]") depth--;
  }
  return max;
}

function parseJson(text: string, shown: string): unknown {
  const depth = jsonDepth(text);
  if (depth > MAX_DEPTH) throw tooDeep(shown, `JSON nested ${depth} levels deep`);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || !root) {
    const first = errors[0];
    const where = first ? ` at ${lineColumn(text, first.offset)}` : "";
    throw new ConfigError(shown, [{ path: "(root)", value: `text that is not JSON${where}`, allowed: `valid JSON (${first ? printParseErrorCode(first.error) : "no value"})` }]);
  }
  const issues: { path: string; line: string; key: string }[] = [];
  const value = fromJsonNode(root, [], text, issues);
  if (issues.length > 0) {
    throw new ConfigError(
      shown,
      issues.map((d) => ({ path: d.path, value: `the key ${JSON.stringify(d.key)} a second time at ${d.line}`, allowed: "each key once per object (JSON parsers keep only the last)" })),
    );
  }
  return value;
}

/** Converts jsonc-parser's tree to a value, recording duplicate keys with their field path. */
function fromJsonNode(node: JsonNode, at: PropertyKey[], text: string, dups: { path: string; line: string; key: string }[]): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = Object.create(null);
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode || !valueNode) continue;
        const key = String(keyNode.value);
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          dups.push({ path: formatPath([...at, key]), line: lineColumn(text, keyNode.offset), key });
          continue;
        }
        out[key] = fromJsonNode(valueNode, [...at, key], text, dups);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map((child, i) => fromJsonNode(child, [...at, i], text, dups));
    default:
      return node.value;
  }
}

function parseYaml(text: string, shown: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : "";
    throw new ConfigError(shown, [
      { path: "(root)", value: `text that is not YAML or JSON${where}`, allowed: `valid YAML or JSON (${first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")})` },
    ]);
  }
  const depth = yamlDepth(doc.contents);
  if (depth > MAX_DEPTH) throw tooDeep(shown, `YAML nested ${depth} levels deep`);
  try {
    // mapAsMap=false with a null-prototype reviver is not offered by `yaml`; keys are checked below.
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new ConfigError(shown, [{ path: "(root)", value: "YAML aliases that expand beyond the alias limit", allowed: `at most ${MAX_ALIAS_COUNT} alias expansions (a larger count is a resource exhaustion attack)` }]);
    }
    if (err instanceof RangeError) throw tooDeep(shown, "YAML nested too deeply");
    throw err;
  }
}

/** Nesting depth of a YAML node tree, walked with an explicit stack (aliases count as leaves). */
function yamlDepth(root: unknown): number {
  let max = 0;
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      max = Math.max(max, depth + 1);
      for (const item of node.items as unknown[]) {
        if (isScalar(item) || item === null) continue;
        const pair = item as { key?: YamlNode; value?: YamlNode };
        if (isMap(node)) {
          if (pair.key && !isScalar(pair.key)) stack.push({ node: pair.key, depth: depth + 1 });
          if (pair.value) stack.push({ node: pair.value, depth: depth + 1 });
        } else stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return max;
}

function tooDeep(shown: string, what: string): ConfigError {
  return new ConfigError(shown, [{ path: "(root)", value: what, allowed: `at most ${MAX_DEPTH} levels of nesting` }]);
}

/**
 * Walks the parsed value without recursion: refuses `__proto__` keys (a plain-object assignment would
 * swap the prototype and drop the entry), NUL characters from escapes, non-finite numbers, and depth
 * past MAX_DEPTH (YAML aliases can build it after the text check).
 */
function checkValue(value: unknown, shown: string): void {
  const issues: { path: string; value: string; allowed: string }[] = [];
  const stack: Array<{ v: unknown; at: PropertyKey[] }> = [{ v: value, at: [] }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { v, at } = stack.pop()!;
    if (at.length > MAX_DEPTH) throw tooDeep(shown, "a value nested too deeply");
    if (typeof v === "string") {
      if (v.includes("\0")) issues.push({ path: formatPath(at), value: showValue(v), allowed: "text without NUL characters" });
    } else if (typeof v === "number" && !Number.isFinite(v)) {
      issues.push({ path: formatPath(at), value: String(v), allowed: "a finite number" });
    } else if (v !== null && typeof v === "object") {
      if (seen.has(v)) continue;
      seen.add(v);
      if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, at: [...at, i] }));
      else if (v instanceof Map || v instanceof Set) issues.push({ path: formatPath(at), value: "a YAML complex key or set", allowed: "plain mappings with text keys" });
      else {
        for (const key of Reflect.ownKeys(v)) {
          if (typeof key !== "string") continue;
          if (FORBIDDEN_KEYS.has(key)) {
            issues.push({ path: formatPath([...at, key]), value: `the key ${JSON.stringify(key)}`, allowed: "a key other than __proto__ (it would change the object's prototype)" });
            continue;
          }
          stack.push({ v: (v as Record<string, unknown>)[key], at: [...at, key] });
        }
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(shown, issues.sort((a, b) => a.path.localeCompare(b.path)));
  if (value === null || value === undefined) throw new ConfigError(shown, [{ path: "(root)", value: "an empty document", allowed: SHAPE }]);
  if (typeof value !== "object" || Array.isArray(value)) throw new ConfigError(shown, [{ path: "(root)", value: showValue(value), allowed: SHAPE }]);
}
