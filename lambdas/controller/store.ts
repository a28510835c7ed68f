/**
 * The controller's S3 I/O: ring spec, ledger (optimistic concurrency on the ETag), the run's plan,
 * progress journals and summary.
 *
 * AWS API actions: s3:GetObject (controller/*, ledger/*, rollouts/*, <package>/*\/manifest.json),
 * s3:PutObject and s3:DeleteObject (ledger/*, rollouts/*), s3:ListBucket (prefixes controller/*, ledger/*,
 * rollouts/*, <package>/*: a run's journals, and whether a key a GetObject was refused exists).
 *
 * A missing key may read as 403, not 404: "If the object you request doesn't exist, the error that Amazon
 * S3 returns depends on whether you also have the s3:ListBucket permission. If you have the s3:ListBucket
 * permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have
 * the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error" (S3 API
 * Reference, GetObject). The controller's ListBucket is conditioned on s3:prefix, and S3 does not document
 * which prefix, if any, that implicit check carries; so a read refused with 403 lists the key as a prefix
 * (ListObjectsV2, which the condition covers) and counts as missing only when no such key exists. A 403 on a
 * key that exists (no GetObject grant, no key access) is thrown as it came.
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
import { putJson } from "../shared/s3-json";
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

/**
 * rollouts/<runId>/progress-<pass>-<batch>.json: the pair records of one batch of a pass, written as the pass
 * goes (never rewritten), merged into the ledger by the next pass of the run, or by the next run's plan
 * when this run's lease expired, and then deleted.
 */
export interface ProgressJournal {
  readonly runId: string;
  readonly pass: number;
  readonly batch: number;
  readonly pairs: Readonly<Record<string, PairRecord>>;
}

const JOURNAL_KEY = /progress-(\d+)(?:-(\d+))?\.json$/;

/** `rollouts/<runId>/progress-<pass>-<batch>.json` */
export function journalKey(runId: string, pass: number, batch: number): string {
  return runObjectKey(runId, `progress-${pass}-${batch}.json`);
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

function isAccessDenied(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === "AccessDenied" || e?.$metadata?.httpStatusCode === 403;
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

  /**
   * The object's text and ETag, or undefined when the key does not exist: a 404, or a 403 on a key that a
   * listing with the key as prefix shows to be absent (see the header). Any other error is thrown.
   */
  async readObject(key: string): Promise<{ text: string; etag?: string } | undefined> {
    try {
      const response = await withBackoff(() => this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })), this.backoff);
      const text = (await response.Body?.transformToString("utf-8")) ?? "";
      return response.ETag ? { text, etag: response.ETag } : { text };
    } catch (error) {
      if (isMissing(error)) return undefined;
      if (isAccessDenied(error) && !(await this.keyExists(key, error))) return undefined;
      throw error;
    }
  }

  /** Whether `key` exists, by listing it as a prefix; a refused listing throws `refused` (the read's own error). */
  private async keyExists(key: string, refused: unknown): Promise<boolean> {
    try {
      // Keys are listed in UTF-8 binary order, so the key itself, if it exists, is the first with its prefix.
      const page = await withBackoff(() => this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 })), this.backoff);
      return (page.Contents ?? []).some((object) => object.Key === key);
    } catch {
      throw refused;
    }
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    const object = await this.readObject(key);
    return object === undefined ? undefined : (JSON.parse(object.text) as T);
  }

  async readSpec(key: string): Promise<AnyRingSpec> {
    const spec = await this.readJson<AnyRingSpec>(key);
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
    const object = await this.readObject(key);
    // A ring's first run: no ledger yet.
    if (object === undefined) return { ledger: emptyLedger(packageName, ring) };
    const ledger = JSON.parse(object.text) as RingLedger;
    if (ledger.schemaVersion !== LEDGER_SCHEMA_VERSION) throw new Error(`ledger ${key}: schemaVersion ${String(ledger.schemaVersion)} is not ${LEDGER_SCHEMA_VERSION}`);
    return object.etag ? { ledger, etag: object.etag } : { ledger };
  }

  /** Conditional write: IfMatch the ETag read, or IfNoneMatch "*" when new. Returns the new ETag. */
  async writeLedger(ledger: RingLedger, etag: string | undefined): Promise<string | undefined> {
    const key = ledgerKey(ledger.package, ledger.ring);
    // Compact: the ledger is written at least once per pass and holds every pair of the ring.
    const body = `${JSON.stringify(ledger)}\n`;
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
    return (await this.readObject(`${versionPrefix(packageName, version)}manifest.json`))?.text;
  }

  writePlan(plan: RunPlan): Promise<void> {
    return putJson(this.s3, this.bucket, runObjectKey(plan.runId, "plan.json"), plan, this.backoff);
  }

  async readPlan(runId: string): Promise<RunPlan | undefined> {
    return this.readJson<RunPlan>(runObjectKey(runId, "plan.json"));
  }

  writeSummary(summary: RunSummary): Promise<void> {
    return putJson(this.s3, this.bucket, runObjectKey(summary.runId, "summary.json"), summary, this.backoff);
  }

  writeJournal(journal: ProgressJournal): Promise<void> {
    return putJson(this.s3, this.bucket, journalKey(journal.runId, journal.pass, journal.batch), journal, this.backoff);
  }

  /** The run's journals, in the order they were written (pass, then batch). */
  async readJournals(runId: string): Promise<{ key: string; journal: ProgressJournal }[]> {
    const prefix = runObjectKey(runId, "progress-");
    const keys: { key: string; pass: number; batch: number }[] = [];
    let token: string | undefined;
    do {
      const next = token;
      const page = await withBackoff(
        () => this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(next ? { ContinuationToken: next } : {}) })),
        this.backoff,
      );
      for (const object of page.Contents ?? []) {
        const match = JOURNAL_KEY.exec(object.Key ?? "");
        if (match) keys.push({ key: object.Key!, pass: Number(match[1]), batch: Number(match[2] ?? 0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    keys.sort((a, b) => a.pass - b.pass || a.batch - b.batch);
    const journals: { key: string; journal: ProgressJournal }[] = [];
    for (const { key } of keys) {
      const journal = await this.readJson<ProgressJournal>(key);
      if (journal !== undefined) journals.push({ key, journal });
    }
    return journals;
  }

  async deleteObject(key: string): Promise<void> {
    await withBackoff(() => this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })), this.backoff);
  }
}
