/**
 * One interface for every kind of ring job. A job knows how to start one account-Region pair and how to
 * read back a Pending one; the run (run.ts) owns leases, ledgers, journals, gates and the pool, and never
 * branches on the kind. The registry (jobs/index.ts) maps every RingKind to its job, checked by the compiler.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { AnyRingSpec, AsgImageRingSpec, EmergencyPatchRingSpec, InventorySyncRingSpec, PairRecord, RingKind, RingSpec } from "../../../contract";
import type { BackoffOptions } from "../../shared/retry";
import type { ImageClients } from "../job-asg-image";
import type { PairDeps } from "../pair";

/** What a job may use while working on one pair. */
export interface PairContext {
  /** The invocation's clock (one `now` per invocation, as the ledger records it). */
  readonly now: Date;
  readonly partition: string;
  readonly backoff: { readonly backoff?: BackoffOptions };
  /** Document polling and sleeps (ensurePackageVersion). */
  readonly pair: PairDeps;
  memberSsm(account: string, region: string): Promise<SSMClient>;
  imageClients(account: string, region: string): Promise<ImageClients>;
  /** manifest.json of a package version from the store, read once per invocation and version. */
  manifest(packageName: string, version: string): Promise<string | undefined>;
  /** The pair after a caught error: NotReady (retried, not counted) or Failed (counted), with the reason. */
  failure(pair: PairRecord, error: unknown, attempts: number): PairRecord;
}

export interface Job<S extends AnyRingSpec> {
  /** Starts the pair at `pair.wanted`: Pending (read back later), Succeeded, Failed or NotReady. */
  start(ctx: PairContext, spec: S, pair: PairRecord): Promise<PairRecord>;
  /** Reads back a Pending pair: the new record, or undefined while it is still in flight and nothing changed. */
  readBack(ctx: PairContext, spec: S, pair: PairRecord): Promise<PairRecord | undefined>;
}

/** The spec type of each ring kind. */
export interface SpecOfKind {
  readonly package: RingSpec;
  readonly "emergency-patch": EmergencyPatchRingSpec;
  readonly "inventory-sync": InventorySyncRingSpec;
  readonly "asg-image": AsgImageRingSpec;
}

/** Every kind has a job: adding a RingKind without one does not compile. */
export type JobRegistry = { readonly [K in RingKind]: Job<SpecOfKind[K]> };

export function withoutError(pair: PairRecord): PairRecord {
  const { error: _error, ...rest } = pair;
  return rest;
}

/** Succeeded at `wanted` (which becomes `applied`). */
export function succeeded(pair: PairRecord, ctx: PairContext, extra: Partial<PairRecord> = {}): PairRecord {
  return { ...withoutError(pair), ...extra, status: "Succeeded", ...(pair.wanted !== undefined ? { applied: pair.wanted } : {}), updatedAt: ctx.now.toISOString() };
}

/** Back to NotStarted: the pair's work was lost or never got going (it starts again this pass or the next). */
export function restart(pair: PairRecord, ctx: PairContext): PairRecord {
  return { ...pair, status: "NotStarted", updatedAt: ctx.now.toISOString() };
}
