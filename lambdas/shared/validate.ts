/** Event validation: every handler rejects a malformed event before calling any AWS API. */

/** AWS's patterns, one home: contract/patterns.ts (model sources there). */
export { BUCKET_NAME, MAX_CONCURRENCY, MAX_ERRORS } from "../../contract/patterns";
/** Run ids become S3 key segments: no slashes, no dot-only names. */
export const RUN_ID = /^(?!\.+$)[A-Za-z0-9._-]{1,128}$/;

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** A malformed event: names the field, shows the value and says what is allowed. */
export class InputError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`event.${field} = ${preview(value)}: expected ${allowed}`);
    this.name = "InputError";
  }
}

export type EventObject = Record<string, unknown>;

/** The value as a plain object; `field` names it in the error (the event itself when omitted). */
export function asEvent(event: unknown, field = "(event)"): EventObject {
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new InputError(field, event, "a JSON object");
  }
  return event as EventObject;
}

/** Checks a value found at `field` (a path such as `targets[0].Key`). */
function checkString(value: unknown, field: string, pattern?: RegExp, allowed?: string): string {
  if (typeof value !== "string" || value.length === 0 || (pattern !== undefined && !pattern.test(value))) {
    throw new InputError(field, value, allowed ?? (pattern ? `a string matching ${pattern.source}` : "a non-empty string"));
  }
  return value;
}

export function requireString(event: EventObject, field: string, pattern?: RegExp, allowed?: string): string {
  return checkString(event[field], field, pattern, allowed);
}

/** `prefix/runId/file` with the prefix's stray slashes removed, so an empty or "/" prefix never yields `//`. */
export function runObjectKey(prefix: string, runId: string, file: string): string {
  const segments = prefix.split("/").filter((segment) => segment.length > 0);
  return [...segments, runId, file].join("/");
}
