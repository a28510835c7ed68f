/** Event validation: every handler rejects a malformed event before calling any AWS API. */

import { SSM_DOCUMENT_NAME, TARGET_LOCATION_ROLE_NAME } from "../../contract/patterns";

/** AWS's patterns, one home: contract/patterns.ts (model sources there). */
export { ACCOUNT_ID, BUCKET_NAME, MAX_CONCURRENCY, MAX_ERRORS, OU_ID, REGION, ROOT_ID } from "../../contract/patterns";
/** SSM document name (own documents) or a document ARN (shared documents). */
export const DOCUMENT_NAME = new RegExp(`^(${SSM_DOCUMENT_NAME.source.slice(1, -1)}|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\\d{12}:document\\/${SSM_DOCUMENT_NAME.source.slice(1, -1)})$`);
/** IAM role name, as TargetLocation.ExecutionRoleName allows it (1-64 characters). */
export const ROLE_NAME = TARGET_LOCATION_ROLE_NAME;
/** Run ids become S3 key segments: no slashes, no dot-only names. */
export const RUN_ID = /^(?!\.+$)[A-Za-z0-9._-]{1,128}$/;
/** A key prefix of slash-separated segments; leading and trailing slashes are tolerated and dropped. */
export const KEY_PREFIX = /^\/*([A-Za-z0-9!_.*'()=-]+\/)*[A-Za-z0-9!_.*'()=-]*\/*$/;

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
export function checkString(value: unknown, field: string, pattern?: RegExp, allowed?: string): string {
  if (typeof value !== "string" || value.length === 0 || (pattern !== undefined && !pattern.test(value))) {
    throw new InputError(field, value, allowed ?? (pattern ? `a string matching ${pattern.source}` : "a non-empty string"));
  }
  return value;
}

export function requireString(event: EventObject, field: string, pattern?: RegExp, allowed?: string): string {
  return checkString(event[field], field, pattern, allowed);
}

/**
 * Optional fields may be omitted, null or empty: runbooks template every key of a Lambda payload and
 * an unset String parameter renders as "".
 */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

export function optionalString(event: EventObject, field: string, pattern?: RegExp, allowed?: string): string | undefined {
  return isAbsent(event[field]) ? undefined : requireString(event, field, pattern, allowed);
}

export interface StringArrayOptions {
  pattern?: RegExp;
  allowed?: string;
  minItems?: number;
  maxItems?: number;
}

/** Checks a value found at `field` (a path such as `groups[2]`). */
export function checkStringArray(value: unknown, field: string, options: StringArrayOptions = {}): string[] {
  const what = options.allowed ?? (options.pattern ? `strings matching ${options.pattern.source}` : "strings");
  const minItems = options.minItems ?? 0;
  const bounds = options.maxItems === undefined ? `at least ${minItems}` : `${minItems} to ${options.maxItems}`;
  if (!Array.isArray(value)) throw new InputError(field, value, `an array of ${what}`);
  if (value.length < minItems || (options.maxItems !== undefined && value.length > options.maxItems)) {
    throw new InputError(field, value, `an array of ${bounds} ${what}`);
  }
  value.forEach((item, index) => {
    if (typeof item !== "string" || (options.pattern !== undefined && !options.pattern.test(item))) {
      throw new InputError(`${field}[${index}]`, item, what);
    }
  });
  return value as string[];
}

export function requireStringArray(event: EventObject, field: string, options: StringArrayOptions = {}): string[] {
  return checkStringArray(event[field], field, options);
}

export function optionalStringArray(event: EventObject, field: string, options: StringArrayOptions = {}): string[] | undefined {
  return isAbsent(event[field]) ? undefined : requireStringArray(event, field, options);
}

export function optionalInteger(event: EventObject, field: string, min: number, max: number): number | undefined {
  const value = event[field];
  if (isAbsent(value)) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(field, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** A key prefix (may be empty or "/"). */
export function requireKeyPrefix(event: EventObject, field: string): string {
  const value = event[field];
  if (typeof value !== "string" || !KEY_PREFIX.test(value)) {
    throw new InputError(field, value, "an S3 key prefix of slash-separated segments (may be empty)");
  }
  return value;
}

/** `prefix/runId/file` with the prefix's stray slashes removed, so an empty or "/" prefix never yields `//`. */
export function runObjectKey(prefix: string, runId: string, file: string): string {
  const segments = prefix.split("/").filter((segment) => segment.length > 0);
  return [...segments, runId, file].join("/");
}
