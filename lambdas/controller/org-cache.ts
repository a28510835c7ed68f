/**
 * One organization walk per cycle instead of one per ring: the OUs and accounts walked are kept in the
 * store at `ledger/_organization/snapshot.json` (the controller may already read, write and list
 * `ledger/*`; package names cannot start with `_`, so no ring's ledger can take this key), each OU and
 * looked-up account with the time it was read. A ring's plan reuses what is younger than the TTL, walks
 * only what is missing or older, and writes the merged result back.
 *
 * Why a TTL of 10 minutes: every ring's run starts at the same hour, and one cycle's plans all run within
 * minutes of each other, so they share one walk; 10 minutes is far below the hourly cycle, so each cycle
 * walks again and an account suspended, closed or moved is seen within 10 minutes, and always by the
 * next cycle. Organizations is slow to walk (10,000 accounts are about 675 calls, at the few calls per
 * second its throttle allows: shared/rate-limit.ts ORGANIZATIONS_RATE), S3 is one GET.
 *
 * Rings whose plans start together do not all walk: the first to miss takes a lease
 * (`ledger/_organization/walking.json`, created with If-None-Match "*") and walks, storing its progress
 * as it goes; the others wait for the snapshot to cover them (SingleFlightOptions).
 *
 * Reads use Store.readObject (a missing key may read as 403; see store.ts). The write is conditional
 * (If-Match the ETag read, If-None-Match "*" when there was none): a concurrent run that wrote meanwhile
 * is re-read and merged (the newer entry of each OU or account wins), so neither walk is lost. The cache
 * is an optimisation: a failed write is reported through `onCacheError` and the walk is still returned.
 *
 * AWS API actions: those of org.ts, s3:GetObject and s3:PutObject on ledger/_organization/snapshot.json
 * and ledger/_organization/walking.json, s3:DeleteObject on the latter, s3:ListBucket with prefix
 * ledger/* (only when a read is refused).
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import { LEDGER_PREFIX, type RingSpecCore } from "../../contract";
import { sleep as realSleep, withBackoff, type BackoffOptions } from "../shared/retry";
import { describeOrgAccount, listOu, specOrgNeeds } from "./org";
import { Store } from "./store";
import type { OrgAccount, OrgSnapshot } from "./targets";

export const ORG_SNAPSHOT_KEY = `${LEDGER_PREFIX}/_organization/snapshot.json`;
export const DEFAULT_ORG_SNAPSHOT_TTL_MS = 10 * 60 * 1000;
const ORG_SNAPSHOT_SCHEMA_VERSION = 1;
/** Conditional writes tried before giving up on the cache write (each retry re-reads and merges). */
const WRITE_ATTEMPTS = 3;

/** An OU or root as stored: read at `t` (ms since the epoch), child OUs `c`, account ids by state `a`. */
export interface StoredOu {
  readonly t: number;
  readonly c: readonly string[];
  readonly a: Readonly<Record<string, readonly string[]>>;
}

/** A listed account looked up with DescribeAccount at `t`: its state, or null when the organization has none. */
export interface StoredAccount {
  readonly t: number;
  readonly s: string | null;
}

/** The stored object (compact JSON). */
export interface StoredOrgSnapshot {
  readonly v: typeof ORG_SNAPSHOT_SCHEMA_VERSION;
  readonly ous: Readonly<Record<string, StoredOu>>;
  readonly accounts: Readonly<Record<string, StoredAccount>>;
}

/**
 * One walker at a time: rings whose plans start together (every ring's association runs at the same
 * hour) would otherwise all miss the cache and all walk. The first to miss creates the lease object
 * (PutObject If-None-Match "*", S3 conditional writes) and walks, storing its progress every
 * `checkpointEvery` OUs; the others poll the snapshot until it covers what they need, the lease is gone
 * (then one of them takes it and walks what is still missing) or `waitMs` has passed (then they walk
 * themselves). A lease older than `leaseMs` (a killed walker) is taken over with If-Match.
 */
export interface SingleFlightOptions {
  /** How long a run waits for another run's walk before walking itself. @default 90 s (plans run within a 240 s Lambda timeout) */
  readonly waitMs?: number;
  /** Between looks at the snapshot while waiting. @default 2 s */
  readonly pollMs?: number;
  /** A lease older than this is abandoned (its walker was killed). @default 3 minutes */
  readonly leaseMs?: number;
  /**
   * The walker stores its progress after this many OUs. The store is versioned (noncurrent versions kept
   * a year, modules/package-store), and a 10,000-account snapshot is about 200 KB: every 100 OUs is a few
   * writes a cycle, while a waiter still finds its OUs well before the walk ends. @default 100
   */
  readonly checkpointEvery?: number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Elapsed-time clock for waiting (ms). @default Date.now */
  readonly clock?: () => number;
}

export const ORG_WALK_LEASE_KEY = `${LEDGER_PREFIX}/_organization/walking.json`;
const DEFAULT_WALK_WAIT_MS = 90_000;
const DEFAULT_WALK_POLL_MS = 2_000;
const DEFAULT_WALK_LEASE_MS = 3 * 60_000;
const DEFAULT_CHECKPOINT_EVERY = 100;

export interface OrgCacheOptions {
  /** How long a walked OU or looked-up account is reused. @default 10 minutes */
  readonly ttlMs?: number;
  readonly backoff?: BackoffOptions;
  /** Called when the cache could not be written (the snapshot is returned anyway). @default console.warn */
  readonly onCacheError?: (error: unknown) => void;
  /** One walker at a time (see SingleFlightOptions); false: every run that misses walks. @default {} */
  readonly singleFlight?: SingleFlightOptions | false;
}

function emptySnapshot(): StoredOrgSnapshot {
  return { v: ORG_SNAPSHOT_SCHEMA_VERSION, ous: {}, accounts: {} };
}

/** The stored snapshot, or an empty one when the text is not one (another schema, truncated, hand-edited). */
export function parseStoredSnapshot(text: string | undefined): StoredOrgSnapshot {
  if (text === undefined) return emptySnapshot();
  try {
    const value = JSON.parse(text) as Partial<StoredOrgSnapshot> | null;
    if (value?.v !== ORG_SNAPSHOT_SCHEMA_VERSION || typeof value.ous !== "object" || value.ous === null || typeof value.accounts !== "object" || value.accounts === null) {
      return emptySnapshot();
    }
    return value as StoredOrgSnapshot;
  } catch {
    return emptySnapshot();
  }
}

function byState(accounts: readonly OrgAccount[]): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const a of accounts) (grouped[a.state] ??= []).push(a.id);
  return grouped;
}

function accountsOf(ou: StoredOu): OrgAccount[] {
  return Object.entries(ou.a).flatMap(([state, ids]) => ids.map((id) => ({ id, state })));
}

/** The entries of `a` and `b` younger than the TTL at `now`; the newer of two entries for one id wins. */
function mergeSnapshots(a: StoredOrgSnapshot, b: StoredOrgSnapshot, now: number, ttlMs: number): StoredOrgSnapshot {
  const fresh = (t: number): boolean => now - t < ttlMs && t - now < ttlMs;
  const merge = <T extends { t: number }>(x: Readonly<Record<string, T>>, y: Readonly<Record<string, T>>): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const source of [x, y]) {
      for (const [id, entry] of Object.entries(source)) {
        if (!fresh(entry.t)) continue;
        const have = out[id];
        if (have === undefined || entry.t > have.t) out[id] = entry;
      }
    }
    return out;
  };
  return { v: ORG_SNAPSHOT_SCHEMA_VERSION, ous: merge(a.ous, b.ous), accounts: merge(a.accounts, b.accounts) };
}

function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === "PreconditionFailed" || e?.name === "ConditionalRequestConflict" || status === 412 || status === 409;
}

/** Whether the stored entries fresh at `nowMs` cover every OU, descendant and listed account `spec` needs. */
export function snapshotCovers(stored: StoredOrgSnapshot, spec: RingSpecCore, nowMs: number, ttlMs: number): boolean {
  const fresh = (t: number): boolean => nowMs - t < ttlMs && t - nowMs < ttlMs;
  const { roots, listedAccounts } = specOrgNeeds(spec);
  const queue = [...roots];
  const seen = new Set(roots);
  const found = new Set<string>();
  for (let i = 0; i < queue.length; i++) {
    const entry = stored.ous[queue[i]!];
    if (entry === undefined || !fresh(entry.t)) return false;
    for (const ids of Object.values(entry.a)) for (const id of ids) found.add(id);
    for (const child of entry.c) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return listedAccounts.every((id) => {
    if (found.has(id)) return true;
    const entry = stored.accounts[id];
    return entry !== undefined && fresh(entry.t);
  });
}

/** Creates the lease (or takes over an abandoned one); its ETag, or undefined when another run holds it. */
async function acquireLease(store: Store, clockMs: number, leaseMs: number): Promise<string | undefined> {
  const body = JSON.stringify({ until: clockMs + leaseMs });
  const put = async (condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string | undefined> => {
    try {
      const response = await withBackoff(
        () => store.s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: ORG_WALK_LEASE_KEY, Body: body, ContentType: "application/json", ...condition })),
        store.backoff,
      );
      return response.ETag ?? "";
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw error;
    }
  };
  const created = await put({ IfNoneMatch: "*" });
  if (created !== undefined) return created;
  const held = await store.readObject(ORG_WALK_LEASE_KEY);
  if (held === undefined) return put({ IfNoneMatch: "*" }); // released meanwhile
  let until = Number.NaN;
  try {
    until = Number((JSON.parse(held.text) as { until?: unknown }).until);
  } catch {
    // unreadable: treat as abandoned
  }
  if (until > clockMs || held.etag === undefined) return undefined;
  return put({ IfMatch: held.etag });
}

/**
 * The organization as `spec` needs it (every OU and root it and its earlier rings name, their
 * descendants, and the listed accounts found under none of them), from the stored walk where it is
 * younger than `ttlMs`, walking only what is missing or older; what was walked is merged into the stored
 * object. An unknown OU fails as in loadOrgSnapshot (and nothing is written).
 */
export async function loadOrgSnapshotCached(
  org: OrganizationsClient,
  s3: S3Client,
  bucket: string,
  spec: RingSpecCore,
  now: Date,
  options: OrgCacheOptions = {},
): Promise<OrgSnapshot> {
  const ttlMs = options.ttlMs ?? DEFAULT_ORG_SNAPSHOT_TTL_MS;
  if (!(ttlMs >= 0)) throw new Error(`ttlMs must be 0 or more, got ${ttlMs}`);
  const { backoff } = options;
  const nowMs = now.getTime();
  const fresh = (t: number): boolean => nowMs - t < ttlMs && t - nowMs < ttlMs;
  const store = new Store(s3, bucket, backoff);

  const read = await store.readObject(ORG_SNAPSHOT_KEY);
  let cached = parseStoredSnapshot(read?.text);
  let etag = read?.etag;
  const walkedOus: Record<string, StoredOu> = {};
  const walkedAccounts: Record<string, StoredAccount> = {};
  const reportError = options.onCacheError ?? ((e: unknown) => console.warn(`organization snapshot ${ORG_SNAPSHOT_KEY}: ${String(e)}`));

  // One walker at a time: wait for a run already walking rather than walk the same OUs beside it.
  let lease: string | undefined;
  const flight = options.singleFlight === false ? undefined : (options.singleFlight ?? {});
  if (flight !== undefined && !snapshotCovers(cached, spec, nowMs, ttlMs)) {
    const clock = flight.clock ?? Date.now;
    const wait = flight.sleep ?? realSleep;
    const leaseMs = flight.leaseMs ?? DEFAULT_WALK_LEASE_MS;
    const started = clock();
    // A lease that cannot be written at all (no grant, an S3 error) ends the single flight: walk at once.
    let broken = false;
    const tryLease = (): Promise<string | undefined> =>
      acquireLease(store, clock(), leaseMs).catch((error: unknown) => {
        reportError(error);
        broken = true;
        return undefined;
      });
    lease = await tryLease();
    while (lease === undefined && !broken && clock() - started < (flight.waitMs ?? DEFAULT_WALK_WAIT_MS)) {
      await wait(flight.pollMs ?? DEFAULT_WALK_POLL_MS);
      const again = await store.readObject(ORG_SNAPSHOT_KEY);
      cached = parseStoredSnapshot(again?.text);
      etag = again?.etag;
      // Entries the other run wrote are judged at this run's time (`now`): they are younger, never older.
      if (snapshotCovers(cached, spec, nowMs, ttlMs)) break;
      lease = await tryLease();
      if (lease !== undefined) {
        const latest = await store.readObject(ORG_SNAPSHOT_KEY); // what the last walker left
        cached = parseStoredSnapshot(latest?.text);
        etag = latest?.etag;
      }
    }
  }
  const checkpointEvery = flight?.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  let sinceCheckpoint = 0;
  const save = async (): Promise<void> => {
    const walked: StoredOrgSnapshot = { v: ORG_SNAPSHOT_SCHEMA_VERSION, ous: walkedOus, accounts: walkedAccounts };
    const written = await writeMerged(store, mergeSnapshots(cached, walked, nowMs, ttlMs), etag, walked, nowMs, ttlMs);
    cached = written.stored;
    etag = written.etag;
    sinceCheckpoint = 0;
  };

  try {
    return await walkMissing();
  } finally {
    if (lease !== undefined) await store.deleteObject(ORG_WALK_LEASE_KEY).catch(reportError);
  }

  async function walkMissing(): Promise<OrgSnapshot> {
    const { roots, listedAccounts } = specOrgNeeds(spec);
    const ous = new Map<string, StoredOu>();
    const queue = [...roots];
    const seen = new Set(roots);
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      let entry = cached.ous[id];
      if (entry === undefined || !fresh(entry.t)) {
        const listed = await listOu(org, id, backoff);
        entry = { t: nowMs, c: listed.children, a: byState(listed.accounts) };
        walkedOus[id] = entry;
        // The walker's progress, for the runs waiting on it (a failed checkpoint only costs them a walk).
        if (lease !== undefined && ++sinceCheckpoint >= checkpointEvery) await save().catch(reportError);
      }
      ous.set(id, entry);
      for (const child of entry.c) {
        if (!seen.has(child)) {
          seen.add(child);
          queue.push(child);
        }
      }
    }

    const byId = new Map<string, OrgAccount>();
    for (const entry of ous.values()) for (const account of accountsOf(entry)) byId.set(account.id, account);
    for (const id of listedAccounts) {
      if (byId.has(id)) continue;
      let entry = cached.accounts[id];
      if (entry === undefined || !fresh(entry.t)) {
        const account = await describeOrgAccount(org, id, backoff);
        entry = { t: nowMs, s: account?.state ?? null };
        walkedAccounts[id] = entry;
      }
      if (entry.s !== null) byId.set(id, { id, state: entry.s });
    }

    if (Object.keys(walkedOus).length > 0 || Object.keys(walkedAccounts).length > 0) await save().catch(reportError);

    const known = <T>(ouId: string, pick: (entry: StoredOu) => T): T => {
      const entry = ous.get(ouId);
      if (entry === undefined) throw new Error(`organizational unit ${ouId} was not listed`);
      return pick(entry);
    };
    return {
      accountsInOu: (ouId) => known(ouId, accountsOf),
      childOus: (ouId) => known(ouId, (entry) => entry.c),
      account: (id) => byId.get(id),
    };
  }
}

/**
 * Writes `merged` if the object is still the one read (`etag`); else re-reads, merges `walked` in and
 * tries again. Returns what was written and its ETag.
 */
async function writeMerged(
  store: Store,
  merged: StoredOrgSnapshot,
  etag: string | undefined,
  walked: StoredOrgSnapshot,
  nowMs: number,
  ttlMs: number,
): Promise<{ stored: StoredOrgSnapshot; etag: string | undefined }> {
  let body = merged;
  let expected = etag;
  for (let attempt = 1; ; attempt++) {
    try {
      const text = JSON.stringify(body);
      const condition = expected === undefined ? { IfNoneMatch: "*" } : { IfMatch: expected };
      const response = await withBackoff(
        () => store.s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: ORG_SNAPSHOT_KEY, Body: text, ContentType: "application/json", ...condition })),
        store.backoff,
      );
      return { stored: body, etag: response.ETag };
    } catch (error) {
      if (!isPreconditionFailed(error) || attempt >= WRITE_ATTEMPTS) throw error;
      const again = await store.readObject(ORG_SNAPSHOT_KEY);
      body = mergeSnapshots(parseStoredSnapshot(again?.text), walked, nowMs, ttlMs);
      expected = again?.etag;
    }
  }
}
