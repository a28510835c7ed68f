/**
 * Reads what `aft-fleet status` shows from the store, and nothing else: the ring specs
 * (`controller/<package>/<ring>.json`, listed), each ring's ledger (`ledger/<package>/<ring>.json`) and, for a
 * ring a run holds (its ledger's lease names the run), that run's `rollouts/<runId>/summary.json`. Run ids are
 * Automation execution ids, in no order S3 can list by, so finished runs' summaries are not searched for: the
 * ledger is the source of truth. Reads go through the controller's own Store (lambdas/controller/store.ts),
 * so a missing key reads as missing whether S3 answers 404 or, for a prefix-scoped s3:ListBucket, 403.
 *
 * AWS API actions: s3:ListBucket (prefix controller/), s3:GetObject (controller/*, ledger/*, rollouts/*),
 * kms:Decrypt through S3 on the store key (SSE-KMS stores). STATUS_READ_POLICY is that policy.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { LEDGER_PREFIX, RING_SPEC_PREFIX, ROLLOUT_PREFIX, runObjectKey, type RunSummary } from "../../contract";
import { Store } from "../../lambdas/controller/store";
import { withBackoff, type BackoffOptions } from "../../lambdas/shared/retry";
import type { StoredRing } from "./model";

/** `controller/<package>/<ring>.json`: the keys a ring spec has (contract/names.ts ringSpecKey). */
const SPEC_KEY = new RegExp(`^${RING_SPEC_PREFIX}/([^/]+)/([^/]+)\\.json$`);
/** Objects read at once. */
const READ_CONCURRENCY = 16;

/** A read that failed: which object, and S3's answer, in one line. */
class StatusReadError extends Error {
  constructor(readonly where: string, cause: unknown) {
    const e = cause as { name?: string; message?: string } | undefined;
    const name = e?.name !== undefined && e.name !== "Error" ? `${e.name}: ` : "";
    super(`${where}: ${name}${e?.message ?? String(cause)}`);
    this.name = "StatusReadError";
  }
}

async function inBatches<T, R>(items: readonly T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(each))));
  return out;
}

/** The ring spec keys in the store, sorted. */
async function listSpecKeys(s3: S3Client, bucket: string, backoff?: BackoffOptions): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const next = token;
    let page;
    try {
      page = await withBackoff(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${RING_SPEC_PREFIX}/`, ...(next ? { ContinuationToken: next } : {}) })), backoff);
    } catch (error) {
      throw new StatusReadError(`listing s3://${bucket}/${RING_SPEC_PREFIX}/`, error);
    }
    for (const object of page.Contents ?? []) if (object.Key !== undefined && SPEC_KEY.test(object.Key)) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Every ring in the store: spec, ledger and the summary of a run in progress. */
export async function readStoredRings(s3: S3Client, bucket: string, backoff?: BackoffOptions): Promise<StoredRing[]> {
  const store = new Store(s3, bucket, backoff);
  const keys = await listSpecKeys(s3, bucket, backoff);
  return inBatches(keys, READ_CONCURRENCY, async (specKey): Promise<StoredRing> => {
    const spec = await store.readSpec(specKey).catch((error: unknown) => {
      throw new StatusReadError(`s3://${bucket}/${specKey}`, error);
    });
    const ledgerWhere = `s3://${bucket}/${LEDGER_PREFIX}/${spec.package}/${spec.ring}.json`;
    const stored = await store.readLedger(spec.package, spec.ring).catch((error: unknown) => {
      throw new StatusReadError(ledgerWhere, error);
    });
    let runSummary: RunSummary | undefined;
    const runId = stored.ledger.lease?.runId;
    if (runId !== undefined) {
      const key = runObjectKey(runId, "summary.json");
      const object = await store.readObject(key).catch((error: unknown) => {
        throw new StatusReadError(`s3://${bucket}/${key}`, error);
      });
      if (object !== undefined) runSummary = JSON.parse(object.text) as RunSummary;
    }
    return { specKey, spec, ledger: stored.ledger, ledgerExists: stored.etag !== undefined, ...(runSummary !== undefined ? { runSummary } : {}) };
  });
}

/** The read-only policy `aft-fleet status` needs, for the store bucket ARN and, with SSE-KMS, its key. */
export function statusReadPolicy(bucketArn: string, storeRegion: string, keyArn?: string): { Version: "2012-10-17"; Statement: Record<string, unknown>[] } {
  const statements: Record<string, unknown>[] = [
    {
      Sid: "ReadRingSpecsLedgersAndRuns",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: [`${bucketArn}/${RING_SPEC_PREFIX}/*`, `${bucketArn}/${LEDGER_PREFIX}/*`, `${bucketArn}/${ROLLOUT_PREFIX}/*`],
    },
    {
      // Listing the ring specs; and S3 answers a GetObject of a missing key (a ring before its first run has
      // no ledger) with 404 only to a caller with s3:ListBucket, else 403 (S3 API Reference, GetObject).
      Sid: "ListRingSpecsLedgersAndRuns",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn,
      Condition: { StringLike: { "s3:prefix": [`${RING_SPEC_PREFIX}/*`, `${LEDGER_PREFIX}/*`, `${ROLLOUT_PREFIX}/*`] } },
    },
  ];
  if (keyArn !== undefined) {
    statements.push({
      Sid: "DecryptStoreObjectsThroughS3",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${storeRegion}.amazonaws.com` } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
