/**
 * Ring events from the ledger before and after a step (ringEvents), and their delivery with PutEvents
 * (publishEvents) against a stub that answers as the EventBridge API Reference describes PutEvents.
 */
import { PutEventsCommand, type PutEventsCommandOutput, type PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { emptyLedger, pairKey, RING_SPEC_SCHEMA_VERSION, type PairRecord, type PairStatus, type RingLedger, type RingSpec } from "../../contract";
import {
  MAX_FAILED_PAIRS_IN_EVENT,
  NOTIFICATION_SOURCE,
  PAIRS_FAILED,
  RING_HELD,
  RING_REACHED_VERSION,
  RING_STARTED,
  type RingEvent,
} from "../../contract/notifications";
import { batchEntries, entrySize, eventEntry, MAX_PUT_BYTES, publishEvents, ringCounts, ringEvents } from "../../lambdas/controller/notify";
import { planRun, recordReached } from "../../lambdas/controller/plan";
import { recordingSleep } from "./stub";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { associationNameOf, ledgerKey, ringSpecKey, versionPrefix, type ControllerEvent } from "../../contract";
import { runStep, type ControllerDeps } from "../../lambdas/controller";
import { motoAvailable } from "../helpers/moto";
import { CENTRAL_REGION, useControllerWorld } from "./controller-world";
import type { SsmStub } from "./ssm-association-stub";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const REGIONS = ["eu-west-1", "us-east-1"];
const RUN = "run-1";

function ringSpec(overrides: Partial<RingSpec> = {}): RingSpec {
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    package: "agent",
    ring: "canary",
    ringIndex: 0,
    release: "1.1.0",
    publishedVersions: ["1.0.0", "1.1.0"],
    targets: { accounts: [], organizationalUnits: ["ou-ab12-canary01"] },
    earlierRingTargets: [],
    regions: REGIONS,
    managementAccount: "000000000001",
    organizationId: "o-abcdefghij",
    alarms: [],
    maxConcurrency: "100%",
    maxErrors: "1",
    versionRetention: 25,
    store: { bucket: "store", region: "eu-west-1" },
    association: {
      name: "aft-fleet-agent",
      action: "Install",
      installationType: "Uninstall and reinstall",
      additionalArguments: {},
      targets: [{ Key: "InstanceIds", Values: ["*"] }],
      scheduleExpression: "rate(30 minutes)",
      maxConcurrency: "10%",
      maxErrors: "10%",
      complianceSeverity: "HIGH",
    },
    ...overrides,
  };
}

const account = (i: number): string => String(100000000000 + i);

function pair(acct: string, region: string, status: PairStatus, wanted?: string, extra: Partial<PairRecord> = {}): PairRecord {
  return { account: acct, region, status, ...(wanted === undefined ? {} : { wanted }), updatedAt: NOW.toISOString(), attempts: 0, ...extra };
}

function ledgerOf(pairs: PairRecord[], extra: Partial<RingLedger> = {}): RingLedger {
  return { ...emptyLedger("agent", "canary"), ...extra, pairs: Object.fromEntries(pairs.map((p) => [pairKey(p.account, p.region), p])) };
}

/** Every pair of `ledger` set to `status` (with `error` when given; Succeeded applies `wanted`). */
function allTo(ledger: RingLedger, status: PairStatus, error?: string): RingLedger {
  const applied = (p: PairRecord) => (status === "Succeeded" && p.wanted !== undefined ? { applied: p.wanted } : {});
  const pairs = Object.fromEntries(Object.entries(ledger.pairs).map(([k, p]) => [k, { ...p, status, ...applied(p), ...(error ? { error } : {}) }]));
  return { ...ledger, pairs };
}

const types = (events: RingEvent[]): string[] => events.map((e) => e.detailType);

describe("ringCounts", () => {
  it("counts Succeeded and Failed at the ring's version only, leaves Skipped out and calls the rest not started", () => {
    const ledger = ledgerOf(
      [
        pair(account(1), "eu-west-1", "Succeeded", "1.1.0"),
        pair(account(1), "us-east-1", "Succeeded", "1.0.0"),
        pair(account(2), "eu-west-1", "Failed", "1.1.0"),
        pair(account(2), "us-east-1", "Pending", "1.1.0"),
        pair(account(3), "eu-west-1", "NotReady", "1.1.0"),
        pair(account(3), "us-east-1", "NotStarted", "1.1.0"),
        pair(account(4), "eu-west-1", "Skipped"),
      ],
      { ringVersion: "1.1.0" },
    );
    expect(ringCounts(ledger)).toEqual({ total: 6, succeeded: 1, inFlight: 1, failed: 1, notReady: 1, notStarted: 2 });
  });
});

describe("ringEvents", () => {
  const spec = ringSpec();
  const targets = { accounts: [account(1), account(2)] };

  it("a ring's first plan is no start; its first pairs in flight are, once; reaching the version sends Reached", () => {
    const planned = planRun(spec, emptyLedger("agent", "canary"), undefined, targets, new Set(), NOW).ledger;
    expect(ringEvents(emptyLedger("agent", "canary"), planned, spec, RUN)).toEqual([]);

    const inFlight = allTo(planned, "Pending");
    const started = ringEvents(planned, inFlight, spec, RUN);
    expect(types(started)).toEqual([RING_STARTED]);
    expect(started[0]!.detail).toEqual({
      package: "agent",
      ring: "canary",
      version: "1.1.0",
      runId: RUN,
      counts: { total: 4, succeeded: 0, inFlight: 4, failed: 0, notReady: 0, notStarted: 0 },
      reason: "ring canary of agent started 1.1.0: 4 pairs",
    });
    // The next pass, still in flight: nothing new.
    expect(ringEvents(inFlight, inFlight, spec, RUN)).toEqual([]);

    const done = recordReached(allTo(inFlight, "Succeeded"), spec, NOW);
    const reached = ringEvents(inFlight, done, spec, RUN);
    expect(types(reached)).toEqual([RING_REACHED_VERSION]);
    expect(reached[0]!.detail).toMatchObject({ version: "1.1.0", at: NOW.toISOString(), counts: { succeeded: 4, total: 4 } });
  });

  it("a promotion starts again at the new version and names the one before", () => {
    const old = recordReached(allTo(planRun(ringSpec({ release: "1.0.0" }), emptyLedger("agent", "canary"), undefined, targets, new Set(), NOW).ledger, "Succeeded"), ringSpec({ release: "1.0.0" }), NOW);
    expect(old.ringVersion).toBe("1.0.0");
    const planned = planRun(spec, old, undefined, targets, new Set(), NOW).ledger;
    expect(ringEvents(old, planned, spec, RUN)).toEqual([]);
    const key = pairKey(account(1), "eu-west-1");
    const one = { ...planned, pairs: { ...planned.pairs, [key]: { ...planned.pairs[key]!, status: "Pending" as const } } };
    const events = ringEvents(planned, one, spec, RUN);
    expect(types(events)).toEqual([RING_STARTED]);
    expect(events[0]!.detail).toMatchObject({ version: "1.1.0", previousVersion: "1.0.0", reason: "ring canary of agent started 1.1.0 (was 1.0.0): 4 pairs" });
  });

  it("failed pairs in a step send Pairs Failed with the pairs and their reasons; the halt sends Ring Held once", () => {
    const planned = allTo(planRun(spec, emptyLedger("agent", "canary"), undefined, targets, new Set(), NOW).ledger, "Pending");
    const k1 = pairKey(account(1), "eu-west-1");
    const k2 = pairKey(account(1), "us-east-1");
    const failed = {
      ...planned,
      pairs: {
        ...planned.pairs,
        [k1]: { ...planned.pairs[k1]!, status: "Failed" as const, error: "AccessDeniedException: not authorized" },
        [k2]: { ...planned.pairs[k2]!, status: "Failed" as const, error: "association Failed on 2 of 3 nodes" },
      },
      halt: { version: "1.1.0", at: NOW.toISOString(), reason: "ring halted: 2 failed of 4 pairs exceed MaxErrors 1 (1 allowed)" },
    } satisfies RingLedger;
    const events = ringEvents(planned, failed, spec, RUN);
    expect(types(events)).toEqual([PAIRS_FAILED, RING_HELD]);
    expect(events[0]!.detail).toMatchObject({
      version: "1.1.0",
      counts: { failed: 2, inFlight: 2, total: 4 },
      reason: "2 pairs of ring canary failed at 1.1.0: 2 failed of 4 (MaxErrors 1: 1 allowed)",
      failedPairs: [
        { account: account(1), region: "eu-west-1", version: "1.1.0", reason: "AccessDeniedException: not authorized" },
        { account: account(1), region: "us-east-1", version: "1.1.0", reason: "association Failed on 2 of 3 nodes" },
      ],
    });
    expect(events[0]!.detail.failedPairsOmitted).toBeUndefined();
    expect(events[1]!.detail).toMatchObject({ version: "1.1.0", at: NOW.toISOString(), reason: expect.stringContaining("ring held since 2026-03-01T12:00:00.000Z at 1.1.0") });
    // The halt recorded before: not held again; the same failed pairs: not failed again.
    expect(ringEvents(failed, failed, spec, RUN)).toEqual([]);
  });

  it("Pairs Failed waits for its threshold and lists at most 20 pairs, counting the rest", () => {
    const many = ledgerOf(Array.from({ length: 30 }, (_, i) => pair(account(i), "eu-west-1", "Pending", "1.1.0")), { ringVersion: "1.1.0" });
    const after = allTo(many, "Failed", "x".repeat(2000));
    const events = ringEvents(many, after, spec, RUN);
    expect(types(events)).toEqual([PAIRS_FAILED]);
    expect(events[0]!.detail.failedPairs).toHaveLength(MAX_FAILED_PAIRS_IN_EVENT);
    expect(events[0]!.detail.failedPairsOmitted).toBe(10);
    expect(events[0]!.detail.failedPairs![0]!.reason).toHaveLength(500);
    expect(ringEvents(many, after, spec, RUN, { failedThreshold: 31 })).toEqual([]);
    expect(types(ringEvents(many, after, spec, RUN, { failedThreshold: 30 }))).toEqual([PAIRS_FAILED]);
  });

  it("a failure at another version than the ring's is not a failure of the ring", () => {
    const before = ledgerOf([pair(account(1), "eu-west-1", "Pending", "1.0.0")], { ringVersion: "1.1.0" });
    expect(ringEvents(before, allTo(before, "Failed", "boom"), spec, RUN)).toEqual([]);
  });
});

/** A PutEvents stub: refuses what the API refuses (no or more than 10 entries, 256 KB or more), answers per entry. */
function putEventsStub(answer: (entry: Record<string, unknown>, call: number) => PutEventsResultEntry) {
  const calls: Record<string, unknown>[][] = [];
  let n = 0;
  const client = {
    async send(command: PutEventsCommand): Promise<PutEventsCommandOutput> {
      expect(command).toBeInstanceOf(PutEventsCommand);
      const entries = (command.input.Entries ?? []) as Record<string, unknown>[];
      // PutEvents API Reference, Request Parameters, Entries: 1 to 10 items; the request under 256 KB.
      if (entries.length < 1 || entries.length > 10) throw Object.assign(new Error(`Entries: ${entries.length} items`), { name: "ValidationException" });
      const bytes = entries.reduce((sum, e) => sum + entrySize(e), 0);
      if (bytes >= MAX_PUT_BYTES) throw Object.assign(new Error(`request of ${bytes} bytes`), { name: "ValidationException" });
      calls.push(entries);
      const call = n++;
      const results = entries.map((e) => answer(e, call));
      return { $metadata: {}, FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
    },
  };
  return { client, calls };
}

function event(i: number, reasonChars = 10): RingEvent {
  return {
    detailType: RING_STARTED,
    detail: { package: "agent", ring: `ring-${i}`, version: "1.1.0", runId: RUN, counts: { total: 1, succeeded: 0, inFlight: 1, failed: 0, notReady: 0, notStarted: 0 }, reason: "r".repeat(reasonChars) },
  };
}

describe("publishEvents", () => {
  it("sends source aft-fleet, the detail-type and the detail as JSON, 10 entries per call", async () => {
    const { client, calls } = putEventsStub((_e, call) => ({ EventId: `id-${call}` }));
    const result = await publishEvents(client, Array.from({ length: 23 }, (_, i) => event(i)));
    expect(result).toEqual({ sent: 23, failed: [] });
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls[0]![0]).toEqual({ Source: NOTIFICATION_SOURCE, DetailType: RING_STARTED, Detail: JSON.stringify(event(0).detail) });
  });

  it("keeps a request under 256 KB", () => {
    const big = Array.from({ length: 5 }, (_, i) => eventEntry(event(i, 100_000)));
    const batches = batchEntries(big);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const batch of batches) expect(batch.reduce((s, e) => s + entrySize(e), 0)).toBeLessThan(MAX_PUT_BYTES);
  });

  it("retries entries that came back InternalFailure or ThrottlingException, and reports the ones refused for good", async () => {
    const { delays, sleep } = recordingSleep();
    const { client, calls } = putEventsStub((e, call) => {
      const ring = JSON.parse(String(e.Detail)).ring as string;
      if (ring === "ring-1" && call === 0) return { ErrorCode: "ThrottlingException", ErrorMessage: "rate exceeded" };
      if (ring === "ring-2" && call < 2) return { ErrorCode: "InternalFailure", ErrorMessage: "try again" };
      if (ring === "ring-3") return { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "not authorized for source aft-fleet" };
      return { EventId: `id-${ring}-${call}` };
    });
    const result = await publishEvents(client, [0, 1, 2, 3].map((i) => event(i)), { sleep, random: () => 1 });
    expect(result.sent).toBe(3);
    expect(result.failed).toEqual([{ detailType: RING_STARTED, package: "agent", ring: "ring-3", errorCode: "NotAuthorizedForSourceException", errorMessage: "not authorized for source aft-fleet" }]);
    // Only the failed entries go again, in their order.
    expect(calls.map((c) => c.map((e) => JSON.parse(String(e.Detail)).ring))).toEqual([["ring-0", "ring-1", "ring-2", "ring-3"], ["ring-1", "ring-2"], ["ring-2"]]);
    expect(delays).toEqual([500, 1000]);
  });

  it("gives up on a retryable entry after maxAttempts and reports it; a refused call reports its events and does not throw", async () => {
    const { client, calls } = putEventsStub(() => ({ ErrorCode: "InternalFailure", ErrorMessage: "down" }));
    const result = await publishEvents(client, [event(0)], { sleep: async () => undefined, maxAttempts: 3 });
    expect(calls).toHaveLength(3);
    expect(result).toEqual({ sent: 0, failed: [expect.objectContaining({ ring: "ring-0", errorCode: "InternalFailure" })] });

    const denied = {
      send: async (): Promise<PutEventsCommandOutput> => {
        throw Object.assign(new Error("User is not authorized to perform: events:PutEvents"), { name: "AccessDeniedException" });
      },
    };
    expect(await publishEvents(denied, [event(0), event(1)])).toEqual({
      sent: 0,
      failed: [expect.objectContaining({ ring: "ring-0", errorCode: "AccessDeniedException" }), expect.objectContaining({ ring: "ring-1", errorCode: "AccessDeniedException" })],
    });
  });

  it("an entry alone at the size limit is reported without a call", async () => {
    const { client, calls } = putEventsStub(() => ({ EventId: "id" }));
    const result = await publishEvents(client, [event(0, MAX_PUT_BYTES), event(1)]);
    expect(calls).toHaveLength(1);
    expect(result.sent).toBe(1);
    expect(result.failed).toEqual([expect.objectContaining({ ring: "ring-0", errorCode: "EntryTooLarge" })]);
  });
});

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("ringEvents over the ledgers the controller's own steps write (moto + SSM stub)", () => {
  const BUCKET = "aft-fleet-store-notify";
  const world = useControllerWorld(BUCKET, { packages: ["agent"] });
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  let deps: ControllerDeps;
  let stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  const spec = ringSpec({
    release: "1.0.0",
    publishedVersions: ["1.0.0"],
    maxConcurrency: "2",
    maxErrors: "0",
    versionRetention: 10,
    store: { bucket: BUCKET, region: CENTRAL_REGION },
    association: { ...ringSpec().association, name: associationNameOf("agent"), targets: [] },
  });
  const event = (step: ControllerEvent["step"]): ControllerEvent => ({ step, runId: RUN, bucket: BUCKET, specKey: ringSpecKey("agent", "canary") });
  const ledger = async (): Promise<RingLedger> => (await world.readJson<RingLedger>(ledgerKey("agent", "canary"))) ?? emptyLedger("agent", "canary");

  /** Runs one step and returns the events of the ledger before and after it, as the controller would send them. */
  async function step(name: ControllerEvent["step"]): Promise<RingEvent[]> {
    const before = await ledger();
    await runStep(event(name), deps, NOW, forever);
    return ringEvents(before, await ledger(), spec, RUN);
  }

  function finish(key: string, status: string): void {
    const found = [...stubs.values()].find((s) => `${s.account}:${s.region}` === key);
    for (const id of found!.stub.associations.keys()) found!.stub.finishExecution(id, status);
  }

  beforeEach(async () => {
    ({ deps, stubs } = world);
    const manifest = { schemaVersion: "2.0", version: "1.0.0", packages: { amazon: { _any: { x86_64: { file: "linux.zip" } } } }, files: { "linux.zip": { checksums: { sha256: "0".repeat(64) } } } };
    await world.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix("agent", "1.0.0")}manifest.json`, Body: JSON.stringify(manifest) }));
    await world.putJson(ringSpecKey("agent", "canary"), { ...spec, targets: { accounts: [], organizationalUnits: [world.ouId] } });
  });

  it("plan: none; the first apply: Ring Started; a failed pair past MaxErrors: Pairs Failed and Ring Held; summarize: none", async () => {
    const [a, b] = world.accounts.flatMap((acct) => REGIONS.map((region) => `${acct}:${region}`));
    expect(await step("plan")).toEqual([]);
    const started = await step("apply");
    expect(types(started)).toEqual([RING_STARTED]);
    expect(started[0]!.detail).toMatchObject({ version: "1.0.0", counts: { total: 4, inFlight: 2, notStarted: 2 } });
    finish(a!, "Failed");
    finish(b!, "Success");
    const failed = await step("apply");
    expect(types(failed)).toEqual([PAIRS_FAILED, RING_HELD]);
    const [account, region] = a!.split(":");
    expect(failed[0]!.detail.failedPairs).toEqual([{ account, region, version: "1.0.0", reason: expect.stringContaining("Failed") }]);
    expect(failed[1]!.detail.reason).toContain("exceed MaxErrors 0");
    expect(await step("summarize")).toEqual([]);
  });
});
