#!/usr/bin/env node
/*
 * `npm run status -- --bucket STORE [--profile NAME] [--region REGION] [--failed] [--json]`: the rollout state of
 * every package ring, read with the caller's AWS credentials from the package store only (ring specs,
 * ledgers, the summary of a run in progress). Read-only; the IAM it needs is in the README ("Fleet status").
 * The reading and rendering are modules/status.
 */
import { refuseRepeatedOptions } from "../cli/args";
import { parseArgs } from "node:util";
import { S3Client } from "@aws-sdk/client-s3";
import { BUCKET_NAME, REGION } from "../contract/patterns";
import { fleetStatus, readStoredRings, renderFailed, renderStatus, statusJson } from "../modules/status";

export interface StatusArgs {
  readonly bucket?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly failed: boolean;
  readonly json: boolean;
  readonly help: boolean;
}

/** A problem with the command line or the store, printed as one line without a stack trace. */
class StatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatusError";
  }
}

function usage(): string {
  return [
    "usage: npm run status -- --bucket STORE [--profile NAME] [--region REGION] [--failed] [--json]",
    "  --bucket STORE     the package store bucket: packageStore.bucketName of the fleet config, also the",
    "                     central tree's Terraform output package_store_bucket_name",
    "  --profile NAME     AWS CLI profile (default: the SDK's default credential chain, e.g. AWS_PROFILE)",
    "  --region REGION    Region for the first S3 request (default: the profile's or AWS_REGION; S3 redirects",
    "                     to the bucket's own Region)",
    "  --failed           list only the failed pairs (package, ring, account, Region, version, reason)",
    "  --json             print one JSON document instead of text",
  ].join("\n");
}

const PROFILE = /^[A-Za-z0-9_.+@=,-]{1,128}$/;

/** Strict: each option once, no positional argument. */
export function parseStatusArgs(argv: readonly string[]): StatusArgs {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      bucket: { type: "string", short: "b" },
      profile: { type: "string" },
      region: { type: "string" },
      failed: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  refuseRepeatedOptions(tokens, (message) => new StatusError(message));
  if (positionals.length > 0) {
    const p = positionals[0]!;
    const hint = BUCKET_NAME.test(p) ? ` (did you mean --bucket ${p}?)` : "";
    throw new StatusError(`unexpected argument ${JSON.stringify(p)}${hint}; status takes only options`);
  }
  const help = values.help === true;
  if (!help && values.bucket === undefined) throw new StatusError("--bucket is required: the package store bucket (packageStore.bucketName, or the central tree's output package_store_bucket_name)");
  if (values.bucket !== undefined && !BUCKET_NAME.test(values.bucket)) throw new StatusError(`--bucket: got ${JSON.stringify(values.bucket)}; allowed: an S3 bucket name`);
  if (values.region !== undefined && !REGION.test(values.region)) throw new StatusError(`--region: got ${JSON.stringify(values.region)}; allowed: a Region name such as us-east-1`);
  if (values.profile !== undefined && !PROFILE.test(values.profile)) throw new StatusError(`--profile: got ${JSON.stringify(values.profile)}; allowed: a profile name of the AWS config file`);
  return {
    ...(values.bucket !== undefined ? { bucket: values.bucket } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    failed: values.failed === true,
    json: values.json === true,
    help,
  };
}

/** The S3 client of the caller's credentials (profile and Region as the AWS CLI takes them). */
function statusS3Client(args: Pick<StatusArgs, "profile" | "region">): S3Client {
  const overridden = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return new S3Client({
    ...(args.profile !== undefined ? { profile: args.profile } : {}),
    ...(args.region !== undefined ? { region: args.region } : {}),
    followRegionRedirects: true,
    forcePathStyle: overridden,
    maxAttempts: 3,
    retryMode: "adaptive",
  });
}

/** The text or JSON to print, read from the store now. */
async function buildStatus(args: StatusArgs, s3: S3Client, now: Date = new Date()): Promise<string> {
  const bucket = args.bucket!;
  const rings = await readStoredRings(s3, bucket);
  if (rings.length === 0) throw new StatusError(`s3://${bucket}/controller/ holds no ring spec: is ${bucket} the package store, and has the central tree been applied?`);
  const status = fleetStatus(bucket, rings, now);
  if (args.json) return `${JSON.stringify(statusJson(status, args.failed), null, 2)}\n`;
  return args.failed ? renderFailed(status) : renderStatus(status);
}

export interface StatusIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The S3 client (tests pass one; default statusS3Client(args)). */
  readonly s3?: S3Client;
  readonly now?: Date;
}

const processIo: StatusIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Exit code: 0 printed, 1 the store could not be read, 2 bad command line. */
export async function main(argv: readonly string[], io: StatusIo = processIo): Promise<number> {
  let args: StatusArgs;
  try {
    args = parseStatusArgs(argv);
  } catch (err) {
    io.stderr(`aft-fleet status: ${(err as Error).message}\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout(`${usage()}\n`);
    return 0;
  }
  try {
    io.stdout(await buildStatus(args, io.s3 ?? statusS3Client(args), io.now));
    return 0;
  } catch (err) {
    let message = ((err as Error)?.message ?? String(err)).split("\n").join("; ");
    if (/Region is missing$/.test(message)) message += " (give --region, or set AWS_REGION or the profile's region)";
    const name = (err as Error)?.name;
    // SDK errors that reach here unwrapped (credentials, Region) keep their name, as the AWS CLI shows them.
    const prefix = err instanceof StatusError || name === "StatusReadError" || name === undefined || name === "Error" ? "" : `${name}: `;
    io.stderr(`aft-fleet status: ${prefix}${message}\n`);
    if (process.env.AFT_FLEET_DEBUG === "1") io.stderr(`${(err as Error)?.stack ?? ""}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
