/* zod's issues turned into ConfigIssues: the field path, the value found and what is allowed. */
import { z } from "zod";
import { ConfigIssue, formatPath, showValue } from "./errors";
import { FleetConfigSchema } from "./schema";

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

export function toConfigIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigIssue {
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
