/**
 * The controller at fleet speed, against moto and the SSM stub: a halt that holds across runs, a dead
 * run's journals merged by the next plan, document versions that are not Active yet, journals written in
 * batches and summaries that stay small while a run is going.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DescribeDocumentCommand, type SSMClient } from "@aws-sdk/client-ssm";
import {
  ledgerKey,
  ringSpecKey,
  runObjectKey,
  versionPrefix,
  type ControllerEvent,
  type RingLedger,
  type RingSpec,
  type RunSummary,
} from "../../contract";
import { runStep, type ControllerDeps } from "../../lambdas/controller";
import { motoAvailable } from "../helpers/moto";
import { useControllerWorld } from "./controller-world";
import { manifestOf, packageRingSpec } from "./ring-fixtures";
import type { SsmStub } from "./ssm-association-stub";

const REGIONS = ["eu-west-1", "us-east-1"];
const BUCKET = "aft-fleet-store-speed";
const PKG = "example-agent";
const RING = "canary";
const NOW = new Date("2026-11-20T10:00:00.000Z");
const HOUR = 3600_000;


function specOf(ouId: string, overrides: Partial<RingSpec> = {}): RingSpec {
  return packageRingSpec({ bucket: BUCKET, packageName: PKG, ring: RING, regions: REGIONS, ouId }, overrides);
}

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("the controller at fleet speed (moto + SSM stub)", () => {
  const world = useControllerWorld(BUCKET, { packages: [PKG] });
  let s3: S3Client;
  let accounts: string[];
  let ouId: string;
  let stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  let deps: ControllerDeps;
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  const event = (step: ControllerEvent["step"], runId: string): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(PKG, RING) });
  const ledger = async (): Promise<RingLedger> => (await world.readJson<RingLedger>(ledgerKey(PKG, RING)))!;
  const keysOf = (name: string): string[] => world.memberCalls(name).map((c) => `${c.account}:${c.region}`).sort();
  const journalsLeft = async (runId: string): Promise<string[]> =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `rollouts/${runId}/progress-` }))).Contents ?? []).map((o) => o.Key!);

  function stubFor(key: string): SsmStub {
    const found = [...stubs.values()].find((s) => `${s.account}:${s.region}` === key);
    if (!found) throw new Error(`no member client for ${key}`);
    return found.stub;
  }

  function finish(key: string, status: string): void {
    const stub = stubFor(key);
    for (const id of stub.associations.keys()) stub.finishExecution(id, status);
  }

  beforeEach(async () => {
    ({ s3, accounts, ouId, stubs, deps } = world);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, "1.0.0")}manifest.json`, Body: manifestOf("1.0.0") }));
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId, { maxConcurrency: "2" }));
  });

  // SSM's MaxErrors: "the system stops sending the command to additional targets after the number of
  // errors exceeds the value of MaxErrors" (Systems Manager User Guide, "Using rate controls"). The ring
  // applies it across runs: a stop holds until an operator acknowledges it or another version is released.
  it("a ring stopped at its error budget holds: the next runs retry only the failed pair, and a new resume value lets the others start", async () => {
    const [a, b, c, d] = accounts.flatMap((account) => REGIONS.map((region) => `${account}:${region}`));
    // EventBridge PutEvents: at most 10 entries a call (PutEvents API reference).
    const events: { DetailType: string; Detail: string }[] = [];
    deps = {
      ...deps,
      events: {
        send: async (command) => {
          const entries = command.input.Entries ?? [];
          if (entries.length > 10) throw new Error("ValidationException: more than 10 entries");
          for (const entry of entries) events.push({ DetailType: entry.DetailType!, Detail: entry.Detail! });
          return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e-${events.length + i}` })), $metadata: {} };
        },
      },
    };
    expect((await runStep(event("plan", "run-1"), deps, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply", "run-1"), deps, NOW, forever)).status).toBe("Continue");
    expect(keysOf("CreateAssociation")).toEqual([a, b]);
    finish(a!, "Failed");
    finish(b!, "Success");
    expect((await runStep(event("apply", "run-1"), deps, NOW, forever)).status).toBe("Done");
    expect((await runStep(event("summarize", "run-1"), deps, NOW, forever)).status).toBe("Done");
    // The controller told EventBridge: the ring started, a pair failed past the budget, the ring is held.
    expect(events.map((e) => e.DetailType)).toEqual(["Ring Started", "Pairs Failed", "Ring Held"]);
    expect(JSON.parse(events[2]!.Detail)).toMatchObject({ package: PKG, ring: RING, version: "1.0.0", runId: "run-1" });
    const halted = await ledger();
    expect(halted.halt).toEqual({ version: "1.0.0", at: NOW.toISOString(), reason: expect.stringContaining("exceed MaxErrors 0") });
    expect(halted.pairs[c!]!.status).toBe("NotStarted");

    // The next hourly run: the failed pair is retried, the two that never started stay untouched.
    const later = new Date(NOW.getTime() + HOUR);
    expect((await runStep(event("plan", "run-2"), deps, later, forever)).status).toBe("Continue");
    const plan = await world.readJson<{ work: string[] }>(runObjectKey("run-2", "plan.json"));
    expect(plan!.work).toEqual([a]);
    await runStep(event("apply", "run-2"), deps, later, forever);
    expect(keysOf("CreateDocument")).toEqual([a, b]);
    const summary = await world.readJson<RunSummary>(runObjectKey("run-2", "summary.json"));
    expect(summary!.gate).toContain("ring held since 2026-11-20T10:00:00.000Z at 1.0.0");
    expect(summary!.results.find((r) => `${r.account}:${r.region}` === c)).toBeUndefined(); // partial: NotStarted omitted
    expect(summary!.omitted).toEqual(["Succeeded", "InProgress", "NotStarted", "Skipped"]);
    finish(a!, "Success");
    await runStep(event("apply", "run-2"), deps, later, forever);
    await runStep(event("summarize", "run-2"), deps, later, forever);
    // Succeeding retries do not clear the halt by themselves.
    expect((await ledger()).halt?.version).toBe("1.0.0");
    expect((await ledger()).pairs[c!]!.status).toBe("NotStarted");

    // The operator acknowledges it in the config (rings[].resume): the others start.
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId, { maxConcurrency: "2", resume: "2026-11-20" }));
    const acknowledged = new Date(NOW.getTime() + 2 * HOUR);
    expect((await runStep(event("plan", "run-3"), deps, acknowledged, forever)).status).toBe("Continue");
    expect((await ledger()).halt).toBeUndefined();
    await runStep(event("apply", "run-3"), deps, acknowledged, forever);
    expect(keysOf("CreateDocument")).toEqual([a, b, c, d]);
  });

  it("a run killed twice leaves journals that the next run's plan merges (its pairs are never started again) and deletes", async () => {
    const one = { ...deps, concurrency: 1, journalBatch: 1 };
    const journalWrites = (): number => world.s3Sent.filter((s) => s.name === "PutObject" && String(s.input.Key).includes("/progress-")).length;
    const dying = {
      getRemainingTimeInMillis: () => {
        if (journalWrites() >= 1) throw new Error("Task timed out");
        return 200_000;
      },
    };
    expect((await runStep(event("plan", "run-1"), one, NOW, forever)).status).toBe("Continue");
    await expect(runStep(event("apply", "run-1"), one, NOW, dying)).rejects.toThrow("Task timed out");
    const [first] = keysOf("CreateAssociation");
    expect(await journalsLeft("run-1")).toHaveLength(1);
    expect((await ledger()).pairs[first!]!.status).toBe("NotStarted");

    // The runbook gave up; an hour later the next run finds run-1's lease expired.
    const later = new Date(NOW.getTime() + HOUR);
    expect((await runStep(event("plan", "run-2"), deps, later, forever)).status).toBe("Continue");
    const merged = await ledger();
    expect(merged.pairs[first!]).toMatchObject({ status: "Pending", attempts: 1 });
    expect(merged.lease?.runId).toBe("run-2");
    expect(await journalsLeft("run-1")).toEqual([]);
    await runStep(event("apply", "run-2"), deps, later, forever);
    expect(keysOf("CreateAssociation").filter((k) => k === first)).toHaveLength(1);
    expect(keysOf("CreateAssociation")).toHaveLength(2);
  });

  it("a document version still Creating leaves the pair Pending without an association; the next pass creates it, reusing the version", async () => {
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId));
    let creating = true;
    const original = deps.memberSsm!;
    const slow: ControllerDeps = {
      ...deps,
      memberSsm: async (account, region, runId) => {
        const client = await original(account, region, runId);
        const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
        return new Proxy(client, {
          get: (target, property, receiver) =>
            property === "send"
              ? async (command: unknown) => {
                  const out = (await send(command)) as { Document?: { Status?: string } };
                  if (creating && command instanceof DescribeDocumentCommand && command.input.DocumentVersion !== undefined && out.Document) out.Document.Status = "Creating";
                  return out;
                }
              : Reflect.get(target, property, receiver),
        });
      },
    };
    expect((await runStep(event("plan", "run-1"), slow, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply", "run-1"), slow, NOW, forever)).status).toBe("Continue");
    let state = await ledger();
    for (const pair of Object.values(state.pairs)) {
      expect(pair.status).toBe("Pending");
      expect(pair.documentVersion).toBe("1");
      expect(pair.associationId).toBeUndefined();
    }
    expect(keysOf("CreateAssociation")).toEqual([]);
    creating = false;
    expect((await runStep(event("apply", "run-1"), slow, NOW, forever)).status).toBe("Continue");
    state = await ledger();
    for (const pair of Object.values(state.pairs)) expect(pair).toMatchObject({ status: "Pending", documentVersion: "1", associationId: expect.any(String) });
    expect(keysOf("CreateDocument")).toHaveLength(4);
    expect(keysOf("UpdateDocument")).toEqual([]);
    expect(keysOf("CreateAssociation")).toHaveLength(4);
  });

  // AWS throttles SSM per account and Region (ThrottlingException: "the maximum allowed request rate per
  // Amazon Web Services account and Amazon Web Services Region", SSM API Reference); the controller spaces
  // its calls to each member account-Region on the client side, whatever the pool's concurrency.
  it("spaces the SSM calls to each member account and Region by the client-side rate, independently per pair", async () => {
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId));
    const waits: number[] = [];
    const frozenClock = NOW.getTime();
    const limited: ControllerDeps = {
      ...deps,
      rates: { ssmPerAccountRegion: { ratePerSecond: 1, burst: 1 } },
      pair: { ...deps.pair, now: () => frozenClock, sleep: async (ms) => void waits.push(ms) },
    };
    expect((await runStep(event("plan", "run-1"), limited, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply", "run-1"), limited, NOW, forever)).status).toBe("Continue");
    // With the clock standing still, the n-th call to one account-Region waits (n - 1) s: one token of burst,
    // then one a second. Every pair's calls wait only for its own earlier calls.
    const expected = [...stubs.values()].flatMap(({ stub }) => stub.sent.slice(1).map((_, i) => (i + 1) * 1000));
    expect(expected.length).toBeGreaterThan(8);
    expect([...waits].sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
  });

  it("journals hold only the records of their batch and are never rewritten", async () => {
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId));
    const batched = { ...deps, journalBatch: 2 };
    expect((await runStep(event("plan", "run-1"), batched, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply", "run-1"), batched, NOW, forever)).status).toBe("Continue");
    const puts = world.s3Sent.filter((s) => s.name === "PutObject" && String(s.input.Key).includes("/progress-"));
    expect(puts.map((p) => p.input.Key)).toEqual(["rollouts/run-1/progress-1-0.json", "rollouts/run-1/progress-1-1.json"]);
    for (const put of puts) expect(Object.keys((JSON.parse(String(put.input.Body)) as { pairs: object }).pairs)).toHaveLength(2);
    expect(await journalsLeft("run-1")).toEqual([]);
    // The ledger is compact JSON: one line.
    const ledgerPut = world.s3Sent.filter((s) => s.name === "PutObject" && s.input.Key === ledgerKey(PKG, RING)).at(-1)!;
    expect(String(ledgerPut.input.Body).trimEnd()).not.toContain("\n");
  });
});
