import { z } from "zod";
import {
  ALARM_NAME_LENGTH,
  INSTANCE_PROFILE_NAME_LENGTH,
  RATE_CONTROL_LENGTH,
  ROLE_NAME_LENGTH,
  TAG_KEY_LENGTH,
} from "../../contract/aws-rules";
import { ALARM_NAME, BUCKET_NAME, INSTANCE_PROFILE_NAME, MAX_CONCURRENCY, MAX_ERRORS, ROLE_NAME, TAG_KEY, TARGET_TAG_KEY, WRITTEN_TARGET_TAG_KEY } from "../../contract/patterns";

/*
 * Field schemas the config sections compose, each built from the AWS rule in contract/ (patterns.ts,
 * aws-rules.ts) with the message a user sees as "allowed". A section declares no pattern, length or enum
 * of AWS's itself; aft-fleet's own naming rules (ring names, durations) are here too, once.
 */

const RATE = `${RATE_CONTROL_LENGTH.min}-${RATE_CONTROL_LENGTH.max} characters`;

/** A MaxConcurrency value (count or percentage, 1-7 characters) with a default and a description. */
export const concurrencyField = (what: string, dflt: string) =>
  z
    .string({ error: 'a count or percentage such as "10" or "10%"' })
    .regex(MAX_CONCURRENCY, { error: `a count (1 or more) or percentage (1%-100%) such as "10" or "10%", ${RATE} (SSM MaxConcurrency)` })
    .default(dflt)
    .describe(what);

/** A MaxErrors value (count or percentage, 0 allowed, 1-7 characters) with a default and a description. */
export const errorsField = (what: string, dflt: string) =>
  z
    .string({ error: 'a count or percentage such as "0", "5" or "10%"' })
    .regex(MAX_ERRORS, { error: `a count (0 or more) or percentage (0%-100%) such as "0" or "10%", ${RATE} (SSM MaxErrors)` })
    .default(dflt)
    .describe(what);

const BUCKET_TEXT = "an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit";
/** An S3 general purpose bucket name (the reserved prefixes and suffixes are checked by the bucket-names rule). */
export const bucketNameField = () => z.string({ error: BUCKET_TEXT }).regex(BUCKET_NAME, { error: BUCKET_TEXT });

/** The package store's bucket when packageStore.bucketName is not set (one place: the resolver and the rules read it). */
export const storeBucketDefault = (org: { readonly centralAccount: string; readonly homeRegion: string }) => `aft-fleet-packages-${org.centralAccount}-${org.homeRegion}`;
/** The patching reports bucket when patching.reports.bucketName is not set. */
export const reportsBucketDefault = (org: { readonly centralAccount: string; readonly homeRegion: string }) => `aft-fleet-patching-${org.centralAccount}-${org.homeRegion}`;

const ROLE_TEXT = `an IAM role name: ${ROLE_NAME_LENGTH.min}-${ROLE_NAME_LENGTH.max} letters, digits or '+=,.@_-'`;
const PROFILE_TEXT = `an IAM instance profile name: ${INSTANCE_PROFILE_NAME_LENGTH.min}-${INSTANCE_PROFILE_NAME_LENGTH.max} letters, digits or '+=,.@_-'`;
/** An IAM name of the given kind: a role (1-64) or an instance profile (1-128). */
export const iamNameField = (kind: "role" | "instance profile") =>
  kind === "role"
    ? z.string({ error: ROLE_TEXT }).regex(ROLE_NAME, { error: ROLE_TEXT })
    : z.string({ error: PROFILE_TEXT }).regex(INSTANCE_PROFILE_NAME, { error: PROFILE_TEXT });

const TAG_KEY_TEXT = `a tag key of ${TAG_KEY_LENGTH.min}-${TAG_KEY_LENGTH.max} letters, digits, spaces or '_.:/=+-@', not starting with aws:`;
/** A tag key aft-fleet writes onto resources (never `aws:`). */
export const tagKeyField = () => z.string({ error: TAG_KEY_TEXT }).regex(TAG_KEY, { error: TAG_KEY_TEXT });

const TARGET_TAG_TEXT = `a tag key of ${TAG_KEY_LENGTH.min}-${TAG_KEY_LENGTH.max} letters, digits, spaces or '_.:/=-@' (SSM Target.Key tag:<key> allows no '+')`;
/** A node tag key that becomes a Target.Key `tag:<key>` (association, command or window target). */
export const targetTagKeyField = () => z.string({ error: TARGET_TAG_TEXT }).regex(TARGET_TAG_KEY, { error: TARGET_TAG_TEXT });

const WRITTEN_TARGET_TAG_TEXT = `a tag key of ${TAG_KEY_LENGTH.min}-${TAG_KEY_LENGTH.max} letters, digits, spaces or '_.:/=-@', not starting with aws: (a tag aft-fleet writes and targets as SSM Target.Key tag:<key>, which allows no '+')`;
/** A tag key aft-fleet both writes and targets: TAG_KEY and, as `tag:<key>`, a Target.Key (WRITTEN_TARGET_TAG_KEY). */
export const writtenTargetTagKeyField = () => z.string({ error: WRITTEN_TARGET_TAG_TEXT }).regex(WRITTEN_TARGET_TAG_KEY, { error: WRITTEN_TARGET_TAG_TEXT });

const ALARM_TEXT = `a CloudWatch alarm name of ${ALARM_NAME_LENGTH.min}-${ALARM_NAME_LENGTH.max} printable characters, not only spaces`;
/** A ring's alarms: CloudWatch alarm names, at most 20, default none. */
export const alarmsField = (what: string) =>
  z
    .array(z.string({ error: "a CloudWatch alarm name" }).regex(ALARM_NAME, { error: ALARM_TEXT }))
    .max(20, { error: "at most 20 alarms" })
    .default([])
    .describe(what);

/** Ring names name the ring's ledger, spec key and association: aft-fleet's rule. */
export const RING_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const ringNameField = () => z.string({ error: "a ring name" }).regex(RING_NAME, { error: "a ring name: lowercase letters, digits and '-', starting with a letter" });

/** A bake duration such as "30m", "24h" or "2d". */
export const bakeField = (what: string) =>
  z
    .string({ error: 'a duration such as "30m", "24h" or "2d"' })
    .regex(/^(0|[1-9]\d{0,4})(m|h|d)$/, { error: 'a duration such as "30m", "24h" or "2d"' })
    .default("0h")
    .describe(what);

/** "30m" / "24h" / "2d" -> seconds. */
export function durationSeconds(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = text.slice(-1);
  return n * (unit === "m" ? 60 : unit === "h" ? 3600 : 86400);
}

/** A State Manager schedule's shape (scheduleProblem checks the expression itself). */
const SCHEDULE = /^(cron|rate)\(.+\)$/;
/** A schedule field; `example` is shown in the message, `cronOnly` refuses rate(). */
export const scheduleField = (example: string, cronOnly = false) => {
  const what = `${cronOnly ? "a cron expression" : "a State Manager schedule"} such as ${example}`;
  return z.string({ error: what }).regex(cronOnly ? /^cron\(.+\)$/ : SCHEDULE, { error: what });
};

/** A whole number of days from min to max. */
export const daysField = (min: number, max: number) => {
  const what = `a whole number of days from ${min} to ${max}`;
  return z.number({ error: what }).int({ error: what }).min(min, { error: what }).max(max, { error: what });
};

/** Controller job rings' optional acknowledgement of a halt (ring spec `resume`). */
const RESUME = /^[A-Za-z0-9._:-]{1,64}$/;
export const resumeField = () =>
  z
    .string({ error: "a resume value: 1-64 letters, digits or '._:-'" })
    .regex(RESUME, { error: "a resume value: 1-64 letters, digits or '._:-' (e.g. a date or a ticket id)" })
    .optional()
    .describe("Acknowledges a halt: when a ring stopped at its error budget (maxErrors), setting a new value lets it start new pairs again.");
