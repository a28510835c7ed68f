/**
 * The controller's job kinds other than packages, end to end through the handler against moto (S3, STS,
 * Organizations, CloudWatch) with the SSM APIs moto lacks stubbed (ssm-association-stub.ts): the
 * inventory resource data sync and emergency patching. Lease, ledger, journal, gates, rate control and
 * summary are the package flow's; only the per-pair operation differs.
 */
import { CloseAccountCommand, type OrganizationsClient } from "@aws-sdk/client-organizations";
import { CreateResourceDataSyncCommand, type SSMClient } from "@aws-sdk/client-ssm";
import {
  EMERGENCY_JOB,
  INVENTORY_JOB,
  INVENTORY_RING,
  INVENTORY_SYNC_NAME,
  ledgerKey,
  ringSpecKey,
  runObjectKey,
  type ControllerEvent,
  type EmergencyPatchRingSpec,
  type InventorySyncRingSpec,
  type RingLedger,
  type RingTargets,
  type RunSummary,
} from "../../contract";
import { runStep, type ControllerDeps } from "../../lambdas/controller";
import { motoAvailable } from "../helpers/moto";
import type { SsmStub } from "./ssm-association-stub";
import { useControllerWorld } from "./controller-world";

const CENTRAL_REGION = "us-east-1";
const REGIONS = ["eu-west-1", "us-east-1"];
const BUCKET = "aft-fleet-store-test";
const MANAGEMENT = "123456789012";
const NOW = new Date("2026-11-20T10:00:00.000Z");
const KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000001";
const OTHER_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000002";
const CAMPAIGN = "cve-2026-0001";

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("controller jobs against moto + stubs: inventory resource data sync, emergency patching", () => {
  const world = useControllerWorld(BUCKET);
  let organizations: OrganizationsClient;
  let ouId: string;
  let accounts: string[];
  let stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  let deps: ControllerDeps;
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  const { readJson, memberCalls, createAccount } = world;
  const put = world.putJson;

  beforeEach(() => {
    ({ organizations, ouId, accounts, stubs, deps } = world);
  });

  const base = (targets: RingTargets) => ({
    schemaVersion: 1 as const,
    targets,
    earlierRingTargets: [] as RingTargets[],
    regions: REGIONS,
    managementAccount: MANAGEMENT,
    organizationId: "o-exampleorgid",
    alarms: [] as string[],
    store: { bucket: BUCKET, region: CENTRAL_REGION },
  });

  /* ---------------- inventory resource data sync ---------------- */

  const sync = (kmsKeyArn = KEY_ARN): InventorySyncRingSpec["sync"] => ({
    name: INVENTORY_SYNC_NAME,
    bucketName: "aft-fleet-patching-111111111111-us-east-1",
    prefix: "inventory",
    syncFormat: "JsonSerDe",
    region: CENTRAL_REGION,
    kmsKeyArn,
  });
  const inventorySpec = (): InventorySyncRingSpec => ({
    ...base({ accounts: [], organizationalUnits: [ouId] }),
    kind: "inventory-sync",
    package: INVENTORY_JOB,
    ring: INVENTORY_RING,
    ringIndex: 0,
    release: "dest-1",
    maxConcurrency: "100%",
    maxErrors: "10%",
    sync: sync(),
  });
  const inventoryEvent = (step: ControllerEvent["step"], runId: string): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(INVENTORY_JOB, INVENTORY_RING) });

  /** plan, apply until Done (at most 5 passes; `afterPass` runs after each), summarize. */
  async function runToEnd(eventOf: (step: ControllerEvent["step"], runId: string) => ControllerEvent, runId: string, afterPass: () => void = () => undefined, now = NOW): Promise<RunSummary> {
    if ((await runStep(eventOf("plan", runId), deps, now, forever)).status === "Continue") {
      for (let i = 0; i < 5 && (await runStep(eventOf("apply", runId), deps, now, forever)).status === "Continue"; i++) afterPass();
      await runStep(eventOf("summarize", runId), deps, now, forever);
    }
    return (await readJson<RunSummary>(runObjectKey(runId, "summary.json")))!;
  }

  async function presetSync(kmsKeyArn: string): Promise<void> {
    for (const account of accounts) {
      for (const region of REGIONS) {
        const client = await deps.memberSsm!(account, region, "setup");
        const s = sync(kmsKeyArn);
        await client.send(
          new CreateResourceDataSyncCommand({
            SyncName: s.name,
            S3Destination: { BucketName: s.bucketName, Prefix: s.prefix, SyncFormat: s.syncFormat, Region: s.region, AWSKMSKeyARN: s.kmsKeyArn },
          }),
        );
      }
    }
    for (const { stub } of stubs.values()) stub.sent.length = 0;
  }

  /** Every member's sync ran with `status` (ListResourceDataSync LastStatus). */
  const syncsRan = (status: "Successful" | "Failed", message?: string) => (): void => {
    for (const { stub } of stubs.values()) for (const name of stub.syncs.keys()) stub.syncStatus(name, status, message);
  };

  it("inventory sync: created once per account and Region with the reports destination (SyncType left default), Pending until its LastStatus says it delivered; the next run does nothing", async () => {
    await put(ringSpecKey(INVENTORY_JOB, INVENTORY_RING), inventorySpec());
    const summary = await runToEnd(inventoryEvent, "inv-1", syncsRan("Successful"));
    expect(summary).toMatchObject({ package: INVENTORY_JOB, ring: INVENTORY_RING, final: true, counts: { Succeeded: 4, Failed: 0 } });
    const creates = memberCalls("CreateResourceDataSync");
    expect(creates.map((c) => `${c.account}:${c.region}`).sort()).toEqual(accounts.flatMap((a) => REGIONS.map((r) => `${a}:${r}`)).sort());
    for (const c of creates) {
      expect(c.input).toEqual({
        SyncName: "aft-fleet-inventory",
        S3Destination: { BucketName: "aft-fleet-patching-111111111111-us-east-1", Prefix: "inventory", SyncFormat: "JsonSerDe", Region: CENTRAL_REGION, AWSKMSKeyARN: KEY_ARN },
      });
    }
    for (const { stub } of stubs.values()) expect([...stub.syncs.keys()]).toEqual(["aft-fleet-inventory"]);

    // One listing to create or check the sync, one to read its status back.
    expect(memberCalls("ListResourceDataSync")).toHaveLength(8);
    const again = await runToEnd(inventoryEvent, "inv-2");
    expect(again.counts.Succeeded).toBe(4);
    expect(memberCalls("CreateResourceDataSync")).toHaveLength(4);
    expect(memberCalls("ListResourceDataSync")).toHaveLength(8);
  });

  // "LastStatus: The status reported by the last sync" (Successful | Failed | InProgress) and
  // "LastSyncStatusMessage: The status message details reported by the last sync" (ResourceDataSyncItem).
  it("inventory sync: a sync whose last run failed fails its pair with SSM's message; one that never reports fails after an hour", async () => {
    await put(ringSpecKey(INVENTORY_JOB, INVENTORY_RING), inventorySpec());
    const failed = await runToEnd(inventoryEvent, "inv-1", syncsRan("Failed", "Access Denied writing to the bucket"));
    expect(failed.counts).toMatchObject({ Failed: 4, Succeeded: 0 });
    expect(failed.results[0]!.reason).toBe("resource data sync: Access Denied writing to the bucket");

    // No status at all (the sync never ran): Pending within the hour, Failed after it.
    await put(ringSpecKey(INVENTORY_JOB, INVENTORY_RING), { ...inventorySpec(), release: "dest-2" });
    for (const { stub } of stubs.values()) for (const name of stub.syncs.keys()) stub.syncStatus(name, undefined);
    const silent = await runToEnd(inventoryEvent, "inv-2", () => undefined, new Date(NOW.getTime() + 3600_000));
    expect(silent.counts).toMatchObject({ InProgress: 4 });
    const late = new Date(NOW.getTime() + 3 * 3600_000);
    const timedOut = await runToEnd(inventoryEvent, "inv-3", () => undefined, late);
    expect(timedOut.counts).toMatchObject({ Failed: 4 });
    expect(timedOut.results[0]!.reason).toContain("reported no status within 60 min");
  });

  it("inventory sync: a sync already there with the same destination is left alone", async () => {
    await presetSync(KEY_ARN);
    await put(ringSpecKey(INVENTORY_JOB, INVENTORY_RING), inventorySpec());
    const summary = await runToEnd(inventoryEvent, "inv-1", syncsRan("Successful"));
    expect(summary.counts).toMatchObject({ Succeeded: 4, Failed: 0 });
    expect(memberCalls("ListResourceDataSync")).toHaveLength(8);
    expect(memberCalls("CreateResourceDataSync")).toHaveLength(0);
    expect(memberCalls("DeleteResourceDataSync")).toHaveLength(0);
  });

  it("inventory sync: a sync with another destination (key) is deleted and created again with the wanted one", async () => {
    await presetSync(OTHER_KEY_ARN);
    await put(ringSpecKey(INVENTORY_JOB, INVENTORY_RING), inventorySpec());
    const summary = await runToEnd(inventoryEvent, "inv-1", syncsRan("Successful"));
    expect(summary.counts).toMatchObject({ Succeeded: 4, Failed: 0 });
    expect(memberCalls("DeleteResourceDataSync")).toHaveLength(4);
    expect(memberCalls("CreateResourceDataSync")).toHaveLength(4);
    for (const { stub } of stubs.values()) expect(stub.syncs.get(INVENTORY_SYNC_NAME)!.S3Destination!.AWSKMSKeyARN).toBe(KEY_ARN);
  });

  it("the stub refuses what CreateResourceDataSync refuses: a bad SyncName, a missing destination field, a duplicate", async () => {
    const client = await deps.memberSsm!(accounts[0]!, REGIONS[0]!, "setup");
    const destination = { BucketName: "b-1", SyncFormat: "JsonSerDe" as const, Region: CENTRAL_REGION };
    await expect(client.send(new CreateResourceDataSyncCommand({ SyncName: "bad name!", S3Destination: destination }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(
      client.send(new CreateResourceDataSyncCommand({ SyncName: "ok", S3Destination: { BucketName: "b-1", SyncFormat: "JsonSerDe" } as never })),
    ).rejects.toMatchObject({ name: "ValidationException" });
    await client.send(new CreateResourceDataSyncCommand({ SyncName: "ok", S3Destination: destination }));
    await expect(client.send(new CreateResourceDataSyncCommand({ SyncName: "ok", S3Destination: destination }))).rejects.toMatchObject({ name: "ResourceDataSyncAlreadyExistsException" });
  });

  /* ---------------- emergency patching ---------------- */

  const firstTargets = (): RingTargets => ({ accounts: [accounts[0]!], organizationalUnits: [] });
  const command: EmergencyPatchRingSpec["command"] = {
    operation: "Install",
    rebootOption: "NoReboot",
    targets: [{ Key: "tag:environment", Values: ["Default", "Dev", "Prod"] }],
    maxConcurrency: "10%",
    maxErrors: "5%",
  };
  const emergencySpec = (ring: string, index: number, overrides: Partial<EmergencyPatchRingSpec> = {}): EmergencyPatchRingSpec => ({
    ...base(index === 0 ? firstTargets() : { accounts: [], organizationalUnits: [ouId] }),
    kind: "emergency-patch",
    package: EMERGENCY_JOB,
    ring,
    ringIndex: index,
    release: CAMPAIGN,
    ...(index === 0 ? {} : { earlierRingTargets: [firstTargets()], previous: { name: "first", bakeSeconds: 0, alarms: [], maxErrors: "0" } }),
    maxConcurrency: "100%",
    maxErrors: "0",
    command,
    ...overrides,
  });
  const emergencyEvent = (ring: string) => (step: ControllerEvent["step"], runId: string): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(EMERGENCY_JOB, ring) });
  const finishCommands = (status: string, where?: (account: string) => boolean) => {
    for (const { account, stub } of stubs.values()) {
      if (where && !where(account)) continue;
      for (const [id, c] of stub.commands) if (c.Status === "Pending") stub.finishCommand(id, status);
    }
  };

  it("emergency patch: the second ring waits until the first reached the campaign, then sends AWS-RunPatchBaseline to its own accounts", async () => {
    await put(ringSpecKey(EMERGENCY_JOB, "first"), emergencySpec("first", 0));
    await put(ringSpecKey(EMERGENCY_JOB, "second"), emergencySpec("second", 1));

    const waiting = await runToEnd(emergencyEvent("second"), "second-1");
    expect(waiting.gate).toContain(`waiting for ring first to reach ${CAMPAIGN}`);
    expect(memberCalls("SendCommand")).toHaveLength(0);

    const first = emergencyEvent("first");
    expect((await runStep(first("plan", "first-1"), deps, NOW, forever)).status).toBe("Continue");
    expect((await runStep(first("apply", "first-1"), deps, NOW, forever)).status).toBe("Continue");
    const sent = memberCalls("SendCommand");
    expect(sent.map((s) => `${s.account}:${s.region}`).sort()).toEqual(REGIONS.map((r) => `${accounts[0]}:${r}`));
    expect(sent[0]!.input).toEqual({
      DocumentName: "AWS-RunPatchBaseline",
      Targets: [{ Key: "tag:environment", Values: ["Default", "Dev", "Prod"] }],
      Parameters: { Operation: ["Install"], RebootOption: ["NoReboot"] },
      MaxConcurrency: "10%",
      MaxErrors: "5%",
      Comment: `aft-fleet emergency ${CAMPAIGN} ring first`,
    });
    const ledger = (await readJson<RingLedger>(ledgerKey(EMERGENCY_JOB, "first")))!;
    expect(Object.values(ledger.pairs).every((p) => p.status === "Pending" && p.commandId !== undefined && p.wanted === CAMPAIGN)).toBe(true);
    // Still running: the second ring keeps waiting.
    expect((await runToEnd(emergencyEvent("second"), "second-2")).gate).toContain("waiting for ring first");

    finishCommands("Success");
    expect((await runStep(first("apply", "first-1"), deps, NOW, forever)).status).toBe("Done");
    await runStep(first("summarize", "first-1"), deps, NOW, forever);
    expect((await readJson<RingLedger>(ledgerKey(EMERGENCY_JOB, "first")))!.reached[CAMPAIGN]).toBeDefined();

    const second = await (async () => {
      const e = emergencyEvent("second");
      expect((await runStep(e("plan", "second-3"), deps, NOW, forever)).status).toBe("Continue");
      await runStep(e("apply", "second-3"), deps, NOW, forever);
      return memberCalls("SendCommand").filter((s) => s.account === accounts[1]);
    })();
    expect(second).toHaveLength(2);

    // The same campaign again: nothing to do. A new campaign starts a new emergency patch in the first ring.
    expect((await runToEnd(first, "first-2")).counts.Succeeded).toBe(2);
    expect(memberCalls("SendCommand")).toHaveLength(4);
    await put(ringSpecKey(EMERGENCY_JOB, "first"), emergencySpec("first", 0, { release: "cve-2026-0002" }));
    expect((await runStep(first("plan", "first-3"), deps, NOW, forever)).status).toBe("Continue");
    await runStep(first("apply", "first-3"), deps, NOW, forever);
    expect(memberCalls("SendCommand")).toHaveLength(6);
  });

  it("emergency patch: a failed command exceeds the ring's error budget (MaxErrors 0) and the ring starts nothing more", async () => {
    await put(ringSpecKey(EMERGENCY_JOB, "first"), emergencySpec("first", 0, { targets: { accounts: [], organizationalUnits: [ouId] }, maxConcurrency: "1" }));
    const e = emergencyEvent("first");
    expect((await runStep(e("plan", "run-1"), deps, NOW, forever)).status).toBe("Continue");
    expect((await runStep(e("apply", "run-1"), deps, NOW, forever)).status).toBe("Continue");
    expect(memberCalls("SendCommand")).toHaveLength(1);
    finishCommands("Failed");
    expect((await runStep(e("apply", "run-1"), deps, NOW, forever)).status).toBe("Done");
    await runStep(e("summarize", "run-1"), deps, NOW, forever);
    expect(memberCalls("SendCommand")).toHaveLength(1);
    const summary = (await readJson<RunSummary>(runObjectKey("run-1", "summary.json")))!;
    expect(summary.counts).toMatchObject({ Failed: 1, NotStarted: 3 });
    expect(summary.gate).toContain("ring halted");
    expect(summary.results.find((r) => r.status === "Failed")!.reason).toContain("failed nodes: i-0123456789abcdef0 (Failed)");
  });

  it("emergency patch: suspended accounts are skipped, never sent a command", async () => {
    const suspended = await createAccount("c");
    await organizations.send(new CloseAccountCommand({ AccountId: suspended }));
    await put(ringSpecKey(EMERGENCY_JOB, "first"), emergencySpec("first", 0, { targets: { accounts: [], organizationalUnits: [ouId] } }));
    const e = emergencyEvent("first");
    expect((await runStep(e("plan", "run-1"), deps, NOW, forever)).status).toBe("Continue");
    await runStep(e("apply", "run-1"), deps, NOW, forever);
    finishCommands("Success");
    await runStep(e("apply", "run-1"), deps, NOW, forever);
    await runStep(e("summarize", "run-1"), deps, NOW, forever);
    expect(memberCalls("SendCommand").map((s) => s.account).sort()).toEqual([accounts[0], accounts[0], accounts[1], accounts[1]].sort());
    const summary = (await readJson<RunSummary>(runObjectKey("run-1", "summary.json")))!;
    expect(summary.counts).toMatchObject({ Succeeded: 4, Skipped: 2 });
    expect(summary.results.filter((r) => r.account === suspended)).toEqual(REGIONS.map((region) => ({ account: suspended, region, status: "Skipped", reason: "account state is SUSPENDED" })));
  });
});
