/**
 * The controller's S3 I/O: ring spec, ledger (optimistic concurrency on the ETag), the run's plan,
 * progress journals and summary.
 *
 * AWS API actions: s3:GetObject (controller/*, ledger/*, rollouts/*, <package>/*\/manifest.json),
 * s3:PutObject and s3:DeleteObject (ledger/*, rollouts/*), s3:ListBucket (prefix rollouts/*).
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  LEDGER_SCHEMA_VERSION,
  RING_SPEC_SCHEMA_VERSION,
  emptyLedger,
  ledgerKey,
  runObjectKey,
  versionPrefix,
  type PairRecord,
  type RingLedger,
  type AnyRingSpec,
  type RunSummary,
} from "../../contract";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { getJson, putJson } from "../shared/s3-json";
import type { GateDecision } from "./gate";
import type { SkippedAccount } from "./targets";

/** Another writer changed the ledger since we read it (S3 412 PreconditionFailed). */
export class LedgerConflictError extends Error {
  constructor(readonly key: string) {
    super(`ledger ${key} was changed by another writer since it was read`);
    this.name = "LedgerConflictError";
  }
}

export interface StoredLedger {
  readonly ledger: RingLedger;
  /** ETag of the object read; undefined when it did not exist. */
  readonly etag?: string;
}

/** rollouts/<runId>/plan.json: what apply passes work on. */
export interface RunPlan {
  readonly runId: string;
  readonly work: readonly string[];
  readonly gate: GateDecision;
  readonly halted?: string;
  readonly skipped: readonly SkippedAccount[];
}

/** rollouts/<runId>/progress-<n>.json: pairs finished by pass n, rewritten after each. */
export interface ProgressJournal {
  readonly runId: string;
  readonly pass: number;
  readonly pairs: Readonly<Record<string, PairRecord>>;
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412 || e?.name === "ConditionalRequestConflict" || e?.$metadata?.httpStatusCode === 409;
}

export class Store {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
    readonly backoff?: BackoffOptions,
  ) {}

  async readSpec(key: string): Promise<AnyRingSpec> {
    const spec = await getJson<AnyRingSpec>(this.s3, this.bucket, key, this.backoff);
    if (spec === undefined) throw new Error(`ring spec s3://${this.bucket}/${key} does not exist`);
    if (typeof spec !== "object" || spec === null || spec.schemaVersion !== RING_SPEC_SCHEMA_VERSION) {
      throw new Error(`ring spec ${key}: schemaVersion ${JSON.stringify((spec as { schemaVersion?: unknown } | null)?.schemaVersion)} is not ${RING_SPEC_SCHEMA_VERSION}`);
    }
    const kind: unknown = (spec as { kind?: unknown }).kind;
    if (kind !== undefined && kind !== "package" && kind !== "emergency-patch" && kind !== "inventory-sync" && kind !== "asg-image") {
      throw new Error(`ring spec ${key}: kind ${JSON.stringify(kind)} is not package, emergency-patch, inventory-sync or asg-image`);
    }
    return spec;
  }

  async readLedger(packageName: string, ring: string): Promise<StoredLedger> {
    const key = ledgerKey(packageName, ring);
    try {
      const response = await withBackoff(() => this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })), this.backoff);
      const ledger = JSON.parse((await response.Body?.transformToString("utf-8")) ?? "") as RingLedger;
      if (ledger.schemaVersion !== LEDGER_SCHEMA_VERSION) throw new Error(`ledger ${key}: schemaVersion ${String(ledger.schemaVersion)} is not ${LEDGER_SCHEMA_VERSION}`);
      return response.ETag ? { ledger, etag: response.ETag } : { ledger };
    } catch (error) {
      if (isMissing(error)) return { ledger: emptyLedger(packageName, ring) };
      throw error;
    }
  }

  /** Conditional write: IfMatch the ETag read, or IfNoneMatch "*" when new. Returns the new ETag. */
  async writeLedger(ledger: RingLedger, etag: string | undefined): Promise<string | undefined> {
    const key = ledgerKey(ledger.package, ledger.ring);
    const body = `${JSON.stringify(ledger, null, 2)}\n`;
    try {
      const response = await withBackoff(
        () =>
          this.s3.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: body,
              ContentType: "application/json",
              ...(etag === undefined ? { IfNoneMatch: "*" } : { IfMatch: etag }),
            }),
          ),
        this.backoff,
      );
      return response.ETag;
    } catch (error) {
      if (isPreconditionFailed(error)) throw new LedgerConflictError(key);
      throw error;
    }
  }

  async readManifest(packageName: string, version: string): Promise<string | undefined> {
    const key = `${versionPrefix(packageName, version)}manifest.json`;
    try {
      const response = await withBackoff(() => this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })), this.backoff);
      return await response.Body?.transformToString("utf-8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  writePlan(plan: RunPlan): Promise<void> {
    return putJson(this.s3, this.bucket, runObjectKey(plan.runId, "plan.json"), plan, this.backoff);
  }

  async readPlan(runId: string): Promise<RunPlan | undefined> {
    return getJson<RunPlan>(this.s3, this.bucket, runObjectKey(runId, "plan.json"), this.backoff);
  }

  writeSummary(summary: RunSummary): Promise<void> {
    return putJson(this.s3, this.bucket, runObjectKey(summary.runId, "summary.json"), summary, this.backoff);
  }

  writeJournal(journal: ProgressJournal): Promise<void> {
    return putJson(this.s3, this.bucket, runObjectKey(journal.runId, `progress-${journal.pass}.json`), journal, this.backoff);
  }

  /** The run's journals, by pass number. */
  async readJournals(runId: string): Promise<{ key: string; journal: ProgressJournal }[]> {
    const prefix = runObjectKey(runId, "progress-");
    const keys: { key: string; pass: number }[] = [];
    let token: string | undefined;
    do {
      const next = token;
      const page = await withBackoff(
        () => this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(next ? { ContinuationToken: next } : {}) })),
        this.backoff,
      );
      for (const object of page.Contents ?? []) {
        const match = /progress-(\d+)\.json$/.exec(object.Key ?? "");
        if (match) keys.push({ key: object.Key!, pass: Number(match[1]) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    keys.sort((a, b) => a.pass - b.pass);
    const journals: { key: string; journal: ProgressJournal }[] = [];
    for (const { key } of keys) {
      const journal = await getJson<ProgressJournal>(this.s3, this.bucket, key, this.backoff);
      if (journal !== undefined) journals.push({ key, journal });
    }
    return journals;
  }

  async deleteObject(key: string): Promise<void> {
    await withBackoff(() => this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })), this.backoff);
  }
}
