import { createHash } from "node:crypto";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { S3Client } from "@aws-sdk/client-s3";
import type { RingSpecCore, RingTargets } from "../../contract";
import { DEFAULT_ORG_SNAPSHOT_TTL_MS, ORG_SNAPSHOT_KEY, ORG_WALK_LEASE_KEY, loadOrgSnapshotCached, parseStoredSnapshot, snapshotCovers } from "../../lambdas/controller/org-cache";
import { loadOrgSnapshot } from "../../lambdas/controller/org";
import { resolveTargets, type OrgTree } from "../../lambdas/controller/targets";
import { awsError } from "./stub";

const MGMT = "000000000001";
const ROOT = "r-ab12";
const BUCKET = "aft-fleet-store-test";
const MINUTE = 60_000;
const T0 = new Date("2026-12-04T02:00:00Z");
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);

/*
 * root: MGMT, 100000000001
 *   ou-ab12-workload1: 200000000001, 200000000002 (SUSPENDED), 200000000003
 *     ou-ab12-prodeu01: 300000000001, 300000000002
 *   ou-ab12-sandbox1: 500000000001
 */
type World = Omit<OrgTree, "ous" | "accounts"> & { ous: { id: string; parent: string }[]; accounts: { id: string; state: string; parent: string }[] };

function tree(): World {
  return {
    rootId: ROOT,
    ous: [
      { id: "ou-ab12-workload1", parent: ROOT },
      { id: "ou-ab12-prodeu01", parent: "ou-ab12-workload1" },
      { id: "ou-ab12-sandbox1", parent: ROOT },
    ],
    accounts: [
      { id: MGMT, state: "ACTIVE", parent: ROOT },
      { id: "100000000001", state: "ACTIVE", parent: ROOT },
      { id: "200000000001", state: "ACTIVE", parent: "ou-ab12-workload1" },
      { id: "200000000002", state: "SUSPENDED", parent: "ou-ab12-workload1" },
      { id: "200000000003", state: "ACTIVE", parent: "ou-ab12-workload1" },
      { id: "300000000001", state: "ACTIVE", parent: "ou-ab12-prodeu01" },
      { id: "300000000002", state: "ACTIVE", parent: "ou-ab12-prodeu01" },
      { id: "500000000001", state: "ACTIVE", parent: "ou-ab12-sandbox1" },
    ],
  };
}

/**
 * Organizations as the API reference describes it, over an in-memory tree: ListAccountsForParent and
 * ListOrganizationalUnitsForParent take a root or OU id (an unknown one: ParentNotFoundException) and
 * page with NextToken (pages of 2 here, so callers must follow NextToken); DescribeAccount of an account
 * the organization does not have: AccountNotFoundException (Organizations API Reference, each action's
 * Errors). Counts every call.
 */
function fakeOrganizations(org: World, options: { delayMs?: number } = {}) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  const PAGE = 2;
  const parents = new Set([org.rootId, ...org.ous.map((o) => o.id)]);
  const page = <T>(items: T[], token: unknown): { items: T[]; NextToken?: string } => {
    const start = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0 || start > items.length) throw awsError("InvalidInputException", "bad NextToken");
    const slice = items.slice(start, start + PAGE);
    return start + PAGE < items.length ? { items: slice, NextToken: String(start + PAGE) } : { items: slice };
  };
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, "");
      calls.push({ name, input: { ...command.input } });
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const input = command.input;
      if (name === "ListAccountsForParent" || name === "ListOrganizationalUnitsForParent") {
        const parent = input.ParentId as string;
        if (!parents.has(parent)) throw awsError("ParentNotFoundException", `We can't find a root or OU with the ParentId that you specified: ${parent}`);
        if (name === "ListAccountsForParent") {
          const { items, NextToken } = page(org.accounts.filter((a) => a.parent === parent), input.NextToken);
          return { Accounts: items.map((a) => ({ Id: a.id, State: a.state })), ...(NextToken ? { NextToken } : {}) };
        }
        const { items, NextToken } = page(org.ous.filter((o) => o.parent === parent), input.NextToken);
        return { OrganizationalUnits: items.map((o) => ({ Id: o.id })), ...(NextToken ? { NextToken } : {}) };
      }
      if (name === "DescribeAccount") {
        const found = org.accounts.find((a) => a.id === input.AccountId);
        if (!found) throw awsError("AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified.");
        return { Account: { Id: found.id, State: found.state } };
      }
      throw new Error(`fake Organizations does not answer ${name}`);
    },
  };
  return {
    client: client as unknown as OrganizationsClient,
    calls,
    named: (n: string) => calls.filter((c) => c.name === n),
    reset: () => void (calls.length = 0),
  };
}

function s3Error(name: string, status: number, message = name): Error {
  return Object.assign(awsError(name, message), { $metadata: { httpStatusCode: status } });
}

/**
 * S3 for one bucket as the API reference describes the calls the cache makes: GetObject of a missing key
 * is NoSuchKey (404) with s3:ListBucket, AccessDenied (403) without it (`listBucket: false`, where only a
 * listing with a ledger/ prefix is allowed, as the controller's policy does); PutObject with
 * If-None-Match "*" on an existing key, or If-Match with another ETag, is PreconditionFailed (412), and
 * If-Match on a missing key is NoSuchKey (S3 API Reference, PutObject, conditional writes).
 */
function fakeS3(options: { listBucket?: boolean } = {}) {
  const objects = new Map<string, { body: string; etag: string }>();
  const puts: { key: string; body: string }[] = [];
  let refusedPuts = 0;
  const deletes: string[] = [];
  let beforePut: (() => void) | undefined;
  const etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`;
  const put = (key: string, body: string) => objects.set(key, { body, etag: etagOf(body) });
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, "");
      const input = command.input;
      if (input.Bucket !== BUCKET) throw s3Error("NoSuchBucket", 404);
      if (name === "GetObject") {
        const object = objects.get(input.Key as string);
        if (!object) throw options.listBucket === false ? s3Error("AccessDenied", 403, "Access Denied") : s3Error("NoSuchKey", 404);
        return { Body: { transformToString: async () => object.body }, ETag: object.etag };
      }
      if (name === "ListObjectsV2") {
        const prefix = (input.Prefix as string | undefined) ?? "";
        if (!prefix.startsWith("ledger/")) throw s3Error("AccessDenied", 403);
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        return { Contents: keys.slice(0, Number(input.MaxKeys ?? 1000)).map((Key) => ({ Key })), IsTruncated: false };
      }
      if (name === "DeleteObject") {
        deletes.push(input.Key as string);
        objects.delete(input.Key as string); // S3 answers 204 whether or not the key existed
        return {};
      }
      if (name === "PutObject") {
        const key = input.Key as string;
        if (key === ORG_SNAPSHOT_KEY) {
          beforePut?.();
          beforePut = undefined;
        }
        const existing = objects.get(key);
        const refuse = (): Error => {
          refusedPuts++;
          return s3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold");
        };
        if (input.IfNoneMatch === "*" && existing) throw refuse();
        if (input.IfMatch !== undefined) {
          if (!existing) throw s3Error("NoSuchKey", 404);
          if (existing.etag !== input.IfMatch) throw refuse();
        }
        const body = String(input.Body);
        if (key === ORG_SNAPSHOT_KEY) puts.push({ key, body });
        put(key, body);
        return { ETag: objects.get(key)!.etag };
      }
      throw new Error(`fake S3 does not answer ${name}`);
    },
  };
  return {
    client: client as unknown as S3Client,
    objects,
    puts,
    refusedPuts: () => refusedPuts,
    deletes,
    put,
    /** Runs `fn` just before the next PutObject of the snapshot is judged (a concurrent writer). */
    beforeNextPut: (fn: () => void) => void (beforePut = fn),
    stored: () => parseStoredSnapshot(objects.get(ORG_SNAPSHOT_KEY)?.body),
  };
}

function spec(targets: Partial<RingTargets>, earlier: RingTargets[] = []): RingSpecCore {
  // Only the fields the walk and resolveTargets read.
  return {
    targets: { accounts: [], organizationalUnits: [], ...targets },
    earlierRingTargets: earlier,
    managementAccount: MGMT,
  } as unknown as RingSpecCore;
}

describe("loadOrgSnapshotCached: one organization walk per cycle", () => {
  const canary = spec({ accounts: ["100000000001", "500000000001"] });
  const broad = spec({ organizationalUnits: ["ou-ab12-workload1"] }, [canary.targets]);

  it("walks like loadOrgSnapshot on a first run and stores the walk as compact JSON", async () => {
    const org = fakeOrganizations(tree());
    const s3 = fakeS3();
    const cached = await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0);
    const cachedCalls = org.calls.length;
    org.reset();
    const direct = await loadOrgSnapshot(org.client, broad);
    expect(cachedCalls).toBe(org.calls.length);
    expect(resolveTargets(broad, cached)).toEqual(resolveTargets(broad, direct));
    expect(resolveTargets(broad, cached).accounts).toEqual(["200000000001", "200000000003", "300000000001", "300000000002"]);

    expect(s3.puts).toHaveLength(1);
    const body = s3.puts[0]!.body;
    expect(s3.puts[0]!.key).toBe("ledger/_organization/snapshot.json");
    expect(body).toBe(JSON.stringify(JSON.parse(body))); // compact: no indentation
    expect(JSON.parse(body)).toEqual({
      v: 1,
      ous: {
        "ou-ab12-workload1": { t: T0.getTime(), c: ["ou-ab12-prodeu01"], a: { ACTIVE: ["200000000001", "200000000003"], SUSPENDED: ["200000000002"] } },
        "ou-ab12-prodeu01": { t: T0.getTime(), c: [], a: { ACTIVE: ["300000000001", "300000000002"] } },
      },
      accounts: { "100000000001": { t: T0.getTime(), s: "ACTIVE" }, "500000000001": { t: T0.getTime(), s: "ACTIVE" } },
    });
  });

  it("the second ring within the TTL makes zero Organizations calls; after the TTL it walks again and sees a suspended account", async () => {
    const world = tree();
    const org = fakeOrganizations(world);
    const s3 = fakeS3();
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0);
    expect(org.calls.length).toBeGreaterThan(0);

    org.reset();
    const again = await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, at(9));
    expect(org.calls).toHaveLength(0);
    expect(s3.puts).toHaveLength(1); // nothing walked, nothing written
    expect(resolveTargets(broad, again).accounts).toEqual(["200000000001", "200000000003", "300000000001", "300000000002"]);

    // An account suspended meanwhile is seen once the TTL has passed, with a full walk again.
    world.accounts.find((a) => a.id === "300000000002")!.state = "SUSPENDED";
    const later = await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, at(10));
    // workload1 has 3 accounts: two pages of 2.
    expect(org.named("ListAccountsForParent").map((c) => `${String(c.input.ParentId)} ${String(c.input.NextToken ?? "")}`.trim())).toEqual([
      "ou-ab12-workload1",
      "ou-ab12-workload1 2",
      "ou-ab12-prodeu01",
    ]);
    expect(org.named("DescribeAccount").map((c) => c.input.AccountId)).toEqual(["100000000001", "500000000001"]);
    expect(resolveTargets(broad, later).skipped).toContainEqual({ account: "300000000002", reason: "account state is SUSPENDED" });
    expect(s3.stored().ous["ou-ab12-prodeu01"]!.t).toBe(at(10).getTime());
    expect(DEFAULT_ORG_SNAPSHOT_TTL_MS).toBe(10 * MINUTE);
  });

  it("a ring naming a new OU walks only that OU and keeps the rest of the stored walk", async () => {
    const org = fakeOrganizations(tree());
    const s3 = fakeS3();
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0);
    org.reset();

    const sandbox = spec({ organizationalUnits: ["ou-ab12-sandbox1", "ou-ab12-workload1"] });
    const snapshot = await loadOrgSnapshotCached(org.client, s3.client, BUCKET, sandbox, at(2));
    expect(org.calls.map((c) => `${c.name} ${String(c.input.ParentId)}`)).toEqual([
      "ListAccountsForParent ou-ab12-sandbox1",
      "ListOrganizationalUnitsForParent ou-ab12-sandbox1",
    ]);
    expect(resolveTargets(sandbox, snapshot).accounts).toContain("500000000001");
    const stored = s3.stored();
    expect(Object.keys(stored.ous).sort()).toEqual(["ou-ab12-prodeu01", "ou-ab12-sandbox1", "ou-ab12-workload1"]);
    expect(stored.ous["ou-ab12-workload1"]!.t).toBe(T0.getTime()); // reused, so its age is kept
    expect(stored.ous["ou-ab12-sandbox1"]!.t).toBe(at(2).getTime());
  });

  it("remembers a listed account the organization does not have, and fails on an unknown OU without writing", async () => {
    const org = fakeOrganizations(tree());
    const s3 = fakeS3();
    const ghost = spec({ accounts: ["999999999999"] });
    const first = await loadOrgSnapshotCached(org.client, s3.client, BUCKET, ghost, T0);
    expect(resolveTargets(ghost, first).skipped).toEqual([{ account: "999999999999", reason: "not in the organization" }]);
    expect(s3.stored().accounts["999999999999"]).toEqual({ t: T0.getTime(), s: null });
    org.reset();
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, ghost, at(1));
    expect(org.calls).toHaveLength(0);

    const puts = s3.puts.length;
    await expect(loadOrgSnapshotCached(org.client, s3.client, BUCKET, spec({ organizationalUnits: ["ou-ab12-nothere"] }), at(1))).rejects.toMatchObject({
      name: "ParentNotFoundException",
    });
    expect(s3.puts).toHaveLength(puts);
  });

  it("reads a missing snapshot refused with 403 as missing (no s3:ListBucket on the key), as Store.readObject does", async () => {
    const org = fakeOrganizations(tree());
    const s3 = fakeS3({ listBucket: false });
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0);
    expect(s3.puts).toHaveLength(1);
    org.reset();
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, at(1));
    expect(org.calls).toHaveLength(0);
  });

  it("merges with a run that wrote meanwhile (conditional write refused with 412), so neither walk is lost", async () => {
    const org = fakeOrganizations(tree());
    const s3 = fakeS3();
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0);

    // Another ring's run writes its own lookup between our read and our write.
    const other = spec({ accounts: ["200000000003"] });
    s3.beforeNextPut(() => {
      const stored = s3.stored();
      s3.put(ORG_SNAPSHOT_KEY, JSON.stringify({ ...stored, accounts: { ...stored.accounts, "200000000003": { t: at(3).getTime(), s: "ACTIVE" } } }));
    });
    const puts = s3.puts.length;
    const root = spec({ organizationalUnits: ["ou-ab12-sandbox1"] });
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, root, at(4));
    expect(s3.refusedPuts()).toBe(1); // the first conditional write was refused
    expect(s3.puts).toHaveLength(puts + 1); // the merged one went
    const stored = s3.stored();
    expect(stored.accounts["200000000003"]).toEqual({ t: at(3).getTime(), s: "ACTIVE" }); // theirs
    expect(stored.ous["ou-ab12-sandbox1"]).toMatchObject({ t: at(4).getTime() }); // ours
    expect(stored.ous["ou-ab12-workload1"]).toMatchObject({ t: T0.getTime() }); // the first run's
    org.reset();
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, other, at(5));
    await loadOrgSnapshotCached(org.client, s3.client, BUCKET, root, at(5));
    expect(org.calls).toHaveLength(0);
  });

  it("ignores a stored object it cannot read as a snapshot and replaces it; a failed write still returns the walk", async () => {
    const org = fakeOrganizations(tree());
    const s3 = fakeS3();
    s3.put(ORG_SNAPSHOT_KEY, '{"v":99,"ous":{}}');
    const first = await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0);
    expect(resolveTargets(broad, first).accounts).toHaveLength(4);
    expect(s3.stored().v).toBe(1);

    const errors: unknown[] = [];
    const refusing = { send: async () => Promise.reject(s3Error("AccessDenied", 403)) } as unknown as S3Client;
    // The read is refused with 403 and the listing too: Store.readObject throws the read's error.
    await expect(loadOrgSnapshotCached(org.client, refusing, BUCKET, broad, T0)).rejects.toMatchObject({ name: "AccessDenied" });

    const noWrite = fakeS3();
    const original = (noWrite.client as unknown as { send: (c: { constructor: { name: string } }) => Promise<unknown> }).send;
    (noWrite.client as unknown as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === "PutObjectCommand") throw s3Error("AccessDenied", 403);
      return original(command as never);
    };
    const snapshot = await loadOrgSnapshotCached(org.client, noWrite.client, BUCKET, broad, T0, { onCacheError: (e) => errors.push(e) });
    expect(resolveTargets(broad, snapshot).accounts).toHaveLength(4);
    // Reported twice, the walk going ahead regardless: the walk lease, then the snapshot itself.
    expect(errors).toEqual([expect.objectContaining({ name: "AccessDenied" }), expect.objectContaining({ name: "AccessDenied" })]);
  });

  describe("one walker at a time (rings whose plans start together)", () => {
    const quick = { singleFlight: { pollMs: 5 } };

    it("two rings starting together share one walk: the second waits for the first's snapshot", async () => {
      const org = fakeOrganizations(tree(), { delayMs: 2 });
      const s3 = fakeS3();
      const [a, b] = await Promise.all([
        loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0, quick),
        loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0, quick),
      ]);
      expect(org.named("ListAccountsForParent")).toHaveLength(3); // one walk: workload1 (2 pages), prodeu01
      expect(org.named("DescribeAccount")).toHaveLength(2);
      expect(resolveTargets(broad, b)).toEqual(resolveTargets(broad, a));
      expect(s3.objects.has(ORG_WALK_LEASE_KEY)).toBe(false); // released
      expect(s3.deletes).toEqual([ORG_WALK_LEASE_KEY]);
    });

    it("a waiter needing OUs the walker did not walk takes the lease after it and walks only those", async () => {
      const org = fakeOrganizations(tree(), { delayMs: 2 });
      const s3 = fakeS3();
      const sandbox = spec({ organizationalUnits: ["ou-ab12-sandbox1", "ou-ab12-workload1"] });
      await Promise.all([
        loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0, quick),
        loadOrgSnapshotCached(org.client, s3.client, BUCKET, sandbox, T0, quick),
      ]);
      expect(org.named("ListAccountsForParent").map((c) => c.input.ParentId)).toEqual(["ou-ab12-workload1", "ou-ab12-workload1", "ou-ab12-prodeu01", "ou-ab12-sandbox1"]);
      expect(snapshotCovers(s3.stored(), sandbox, T0.getTime(), DEFAULT_ORG_SNAPSHOT_TTL_MS)).toBe(true);
      expect(snapshotCovers(s3.stored(), broad, T0.getTime(), DEFAULT_ORG_SNAPSHOT_TTL_MS)).toBe(true);
      expect(s3.deletes).toEqual([ORG_WALK_LEASE_KEY, ORG_WALK_LEASE_KEY]);
    });

    it("takes over an abandoned lease, and walks itself when a live lease outlasts waitMs", async () => {
      let clock = 1_000_000;
      const sleeps: number[] = [];
      const virtual = { clock: () => clock, sleep: async (ms: number) => void (sleeps.push(ms), (clock += ms)), pollMs: 2_000, waitMs: 10_000 };

      const org = fakeOrganizations(tree());
      const s3 = fakeS3();
      s3.put(ORG_WALK_LEASE_KEY, JSON.stringify({ until: clock - 1 })); // its walker was killed
      await loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0, { singleFlight: virtual });
      expect(sleeps).toEqual([]);
      expect(org.named("ListAccountsForParent")).toHaveLength(3);
      expect(s3.objects.has(ORG_WALK_LEASE_KEY)).toBe(false);

      const other = fakeS3();
      other.put(ORG_WALK_LEASE_KEY, JSON.stringify({ until: clock + 60 * MINUTE })); // alive, but its walk never lands
      org.reset();
      await loadOrgSnapshotCached(org.client, other.client, BUCKET, broad, T0, { singleFlight: virtual });
      expect(sleeps).toEqual([2_000, 2_000, 2_000, 2_000, 2_000]);
      expect(org.named("ListAccountsForParent")).toHaveLength(3);
      expect(other.objects.has(ORG_WALK_LEASE_KEY)).toBe(true); // not ours to release
      expect(other.deletes).toEqual([]);
    });

    it("the walker stores its progress every checkpointEvery OUs, and releases the lease when the walk fails", async () => {
      const org = fakeOrganizations(tree());
      const s3 = fakeS3();
      const everything = spec({ organizationalUnits: [ROOT] });
      await loadOrgSnapshotCached(org.client, s3.client, BUCKET, everything, T0, { singleFlight: { checkpointEvery: 1 } });
      expect(s3.puts.map((p) => Object.keys(JSON.parse(p.body).ous).length)).toEqual([1, 2, 3, 4, 4]); // root, its two OUs, prodeu01, then the final write

      const failing = fakeS3();
      await expect(loadOrgSnapshotCached(org.client, failing.client, BUCKET, spec({ organizationalUnits: ["ou-ab12-nothere"] }), T0)).rejects.toMatchObject({
        name: "ParentNotFoundException",
      });
      expect(failing.deletes).toEqual([ORG_WALK_LEASE_KEY]);
      expect(failing.objects.size).toBe(0);
    });

    it("singleFlight false: no lease, every run that misses walks", async () => {
      const org = fakeOrganizations(tree(), { delayMs: 1 });
      const s3 = fakeS3();
      await Promise.all([
        loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0, { singleFlight: false }),
        loadOrgSnapshotCached(org.client, s3.client, BUCKET, broad, T0, { singleFlight: false }),
      ]);
      expect(org.named("ListAccountsForParent")).toHaveLength(6);
      expect(s3.deletes).toEqual([]);
    });
  });
});
