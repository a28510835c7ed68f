/**
 * Change freezes in the real handler (moto + the SSM stub): while a freeze in the ring spec holds, a run
 * starts no pair (no document, no association), pairs already in flight are still read back, and the
 * run summary's gate says which freeze holds and until when; once it ended, the next run starts the rest.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import {
  ledgerKey,
  ringSpecKey,
  runObjectKey,
  versionPrefix,
  type ControllerEvent,
  type FreezeWindow,
  type RingLedger,
  type RingSpec,
  type RunSummary,
} from "../../contract";
import { runStep, type ControllerDeps } from "../../lambdas/controller";
import { useControllerWorld } from "./controller-world";
import { manifestOf, packageRingSpec } from "./ring-fixtures";
import type { SsmStub } from "./ssm-association-stub";

const REGIONS = ["eu-west-1", "us-east-1"];
const BUCKET = "aft-fleet-store-freeze";
const PKG = "example-agent";
const RING = "canary";
/** A Friday. The freeze below holds from 09:30Z to 13:00Z (10:30-14:00 in Berlin, CET). */
const NOW = new Date("2026-11-20T10:00:00.000Z");
const HOUR = 3600_000;
const FREEZE: FreezeWindow = { kind: "once", name: "launch-day", timeZone: "Europe/Berlin", start: "2026-11-20T10:30", end: "2026-11-20T14:00" };


function specOf(ouId: string, overrides: Partial<RingSpec> = {}): RingSpec {
  return packageRingSpec({ bucket: BUCKET, packageName: PKG, ring: RING, regions: REGIONS, ouId }, { freezes: [FREEZE], ...overrides });
}

describe("change freezes in the controller's runStep (moto + SSM stub)", () => {
  const world = useControllerWorld(BUCKET, { packages: [PKG] });
  let s3: S3Client;
  let ouId: string;
  let accounts: string[];
  let stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  let deps: ControllerDeps;
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  const event = (step: ControllerEvent["step"], runId: string): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(PKG, RING) });
  const ledger = async (): Promise<RingLedger> => (await world.readJson<RingLedger>(ledgerKey(PKG, RING)))!;
  const keysOf = (name: string): string[] => world.memberCalls(name).map((c) => `${c.account}:${c.region}`).sort();
  const summaryOf = async (runId: string): Promise<RunSummary> => (await world.readJson<RunSummary>(runObjectKey(runId, "summary.json")))!;

  function finish(key: string, status: string): void {
    const found = [...stubs.values()].find((s) => `${s.account}:${s.region}` === key);
    if (!found) throw new Error(`no member client for ${key}`);
    for (const id of found.stub.associations.keys()) found.stub.finishExecution(id, status);
  }

  beforeEach(async () => {
    ({ s3, ouId, accounts, stubs, deps } = world);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, "1.0.0")}manifest.json`, Body: manifestOf("1.0.0") }));
  });

  it("starts no pair while the freeze holds, says so in the summary's gate, and starts them once it ended", async () => {
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId));
    // Nothing is in flight and nothing may start: the plan ends the run (the runbook ends on Done).
    expect((await runStep(event("plan", "run-1"), deps, NOW, forever)).status).toBe("Done");
    expect(keysOf("CreateDocument")).toEqual([]);
    expect(keysOf("CreateAssociation")).toEqual([]);
    for (const pair of Object.values((await ledger()).pairs)) expect(pair.status).toBe("NotStarted");
    expect((await summaryOf("run-1")).gate).toContain("change freeze launch-day until 2026-11-20T13:00:00.000Z");

    // The freeze ended at 13:00Z: the next hourly run starts every pair.
    const after = new Date(NOW.getTime() + 4 * HOUR);
    await runStep(event("plan", "run-2"), deps, after, forever);
    await runStep(event("apply", "run-2"), deps, after, forever);
    expect(keysOf("CreateAssociation")).toHaveLength(accounts.length * REGIONS.length);
  });

  it("reads back the pairs in flight when a freeze begins, and starts no other", async () => {
    await world.putJson(ringSpecKey(PKG, RING), specOf(ouId, { maxConcurrency: "2" }));
    const before = new Date(NOW.getTime() - HOUR); // 09:00Z: the freeze has not begun
    await runStep(event("plan", "run-1"), deps, before, forever);
    await runStep(event("apply", "run-1"), deps, before, forever);
    const started = keysOf("CreateAssociation");
    expect(started).toHaveLength(2);
    for (const key of started) finish(key, "Success");

    // The next pass of the same run falls in the freeze: the two are read back, the other two do not start.
    await runStep(event("apply", "run-1"), deps, NOW, forever);
    await runStep(event("summarize", "run-1"), deps, NOW, forever);
    const state = await ledger();
    for (const key of started) expect(state.pairs[key]!.status).toBe("Succeeded");
    expect(keysOf("CreateAssociation")).toEqual(started);
    expect(Object.values(state.pairs).filter((p) => p.status === "NotStarted")).toHaveLength(2);
    expect((await summaryOf("run-1")).gate).toContain("change freeze launch-day until 2026-11-20T13:00:00.000Z");
  });
});
