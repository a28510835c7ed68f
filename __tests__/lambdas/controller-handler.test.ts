import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DescribeDocumentCommand, type SSMClient } from "@aws-sdk/client-ssm";
import {
  EXECUTION_ROLE_NAME,
  ledgerKey,
  packageDocumentNameOf,
  ringSpecKey,
  runObjectKey,
  versionPrefix,
  type ControllerEvent,
  type RingLedger,
  type RingSpec,
  type RunSummary,
} from "../../contract";
import { runStep, type ControllerDeps } from "../../lambdas/controller";
import { classifyPairError, NotReadyError } from "../../lambdas/controller/pair-errors";
import { InputError } from "../../lambdas/shared/validate";
import { motoAvailable } from "../helpers/moto";
import type { SsmStub } from "./ssm-association-stub";
import { useControllerWorld } from "./controller-world";
import { manifestOf, packageRingSpec } from "./ring-fixtures";
import { enforceS3Policy, iamAllows, type IamPolicy, type SentCommand } from "./stub";

const REGIONS = ["eu-west-1", "us-east-1"];
const BUCKET = "aft-fleet-store-test";
const PKG = "example-agent";
const RING = "canary";
const MANAGEMENT = "123456789012";
const NOW = new Date("2026-11-20T10:00:00.000Z");


function specOf(ouId: string, overrides: Partial<RingSpec> = {}): RingSpec {
  return packageRingSpec({ bucket: BUCKET, packageName: PKG, ring: RING, regions: REGIONS, ouId }, { alarms: ["canary-errors"], managementAccount: MANAGEMENT, ...overrides });
}

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("controller handler against moto (S3, STS, SSM documents, Organizations, CloudWatch)", () => {
  const world = useControllerWorld(BUCKET, { packages: [PKG] });
  let s3: S3Client;
  let accounts: string[];
  let ouId: string;
  let stubs: Map<SSMClient, { account: string; region: string; stub: SsmStub }>;
  let stsSent: SentCommand[];
  let s3Sent: SentCommand[];
  let cwSent: SentCommand[];
  let deps: ControllerDeps;

  const event = (step: ControllerEvent["step"], runId = "run-1"): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(PKG, RING) });
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  const { readJson, memberCalls } = world;
  const ledger = async (): Promise<RingLedger> => (await readJson<RingLedger>(ledgerKey(PKG, RING)))!;
  const putJsonObject = async (key: string, value: unknown): Promise<void> => void (await world.putJson(key, value));

  function stubFor(account: string, region: string): SsmStub {
    const found = [...stubs.values()].find((s) => s.account === account && s.region === region);
    if (!found) throw new Error(`no member client for ${account} ${region}`);
    return found.stub;
  }

  function finishAll(status: string): void {
    for (const { stub } of stubs.values()) for (const id of stub.associations.keys()) stub.finishExecution(id, status);
  }

  beforeEach(async () => {
    ({ s3, accounts, ouId, stubs, stsSent, s3Sent, cwSent, deps } = world);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix(PKG, "1.0.0")}manifest.json`, Body: manifestOf("1.0.0") }));
    await putJsonObject(ringSpecKey(PKG, RING), specOf(ouId));
  });

  /** plan -> apply (start) -> Success everywhere -> apply (read back) -> summarize. */
  async function completeRun(runId: string): Promise<void> {
    expect((await runStep(event("plan", runId), deps, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply", runId), deps, NOW, forever)).status).toBe("Continue");
    finishAll("Success");
    expect((await runStep(event("apply", runId), deps, NOW, forever)).status).toBe("Done");
    expect((await runStep(event("summarize", runId), deps, NOW, forever)).status).toBe("Done");
  }

  it("first run on 2 accounts x 2 Regions: plan Continue, apply creates documents and associations as the members and records Pending, the next apply reads back Succeeded and ends Done", async () => {
    const planned = await runStep(event("plan"), deps, NOW, forever);
    expect(planned).toMatchObject({ status: "Continue", runId: "run-1" });
    expect(JSON.stringify(planned)).toContain('"status":"Continue"');
    const plan = await readJson<{ work: string[] }>(runObjectKey("run-1", "plan.json"));
    expect(plan!.work).toEqual(accounts.flatMap((a) => REGIONS.map((r) => `${a}:${r}`)).sort());
    expect((await ledger()).lease).toEqual({ runId: "run-1", expiresAt: "2026-11-20T10:15:00.000Z" });

    const first = await runStep(event("apply"), deps, NOW, forever);
    expect(first.status).toBe("Continue");
    // One member session per account, with the execution role.
    const roleArns = stsSent.filter((s) => s.name === "AssumeRole").map((s) => s.input.RoleArn);
    expect(roleArns.sort()).toEqual(accounts.map((a) => `arn:aws:iam::${a}:role/${EXECUTION_ROLE_NAME}`));
    const creates = memberCalls("CreateDocument").map((c) => `${c.account}:${c.region}`).sort();
    expect(creates).toEqual(plan!.work);
    expect(memberCalls("CreateAssociation").map((c) => `${c.account}:${c.region}`).sort()).toEqual(plan!.work);
    for (const { stub } of stubs.values()) {
      expect(stub.named("CreateDocument")[0]!.input).toMatchObject({ Name: packageDocumentNameOf(PKG), VersionName: "1.0.0", DocumentType: "Package" });
    }
    // The document really exists in the member account (moto, through the assumed role).
    const memberClient = [...stubs.keys()][0]!;
    const described = await memberClient.send(new DescribeDocumentCommand({ Name: packageDocumentNameOf(PKG) }));
    expect(described.Document?.VersionName).toBe("1.0.0");

    let state = await ledger();
    for (const key of plan!.work) {
      expect(state.pairs[key]).toMatchObject({ status: "Pending", wanted: "1.0.0", attempts: 1, associationVersion: "1" });
      expect(state.pairs[key]!.associationId).toEqual(expect.any(String));
    }
    const partial = await readJson<RunSummary>(runObjectKey("run-1", "summary.json"));
    expect(partial).toMatchObject({ final: false, counts: { InProgress: 4 } });
    // Journals are merged into the ledger and deleted at the end of the pass.
    const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "rollouts/run-1/progress-" }));
    expect(left.Contents ?? []).toEqual([]);

    // Still running: another apply keeps going.
    expect((await runStep(event("apply"), deps, NOW, forever)).status).toBe("Continue");

    finishAll("Success");
    const second = await runStep(event("apply"), deps, NOW, forever);
    expect(second.status).toBe("Done");
    state = await ledger();
    for (const key of plan!.work) expect(state.pairs[key]).toMatchObject({ status: "Succeeded", applied: "1.0.0" });
    expect(state.reached["1.0.0"]).toBe(NOW.toISOString());
    expect(memberCalls("CreateAssociation")).toHaveLength(4);
  });

  it("summarize writes the final summary and releases the lease, so the next run can take the ring", async () => {
    await completeRun("run-1");
    const state = await ledger();
    expect(state.lease).toBeUndefined();
    const summary = await readJson<RunSummary>(runObjectKey("run-1", "summary.json"));
    expect(summary).toMatchObject({ final: true, version: "1.0.0", counts: { Succeeded: 4, Failed: 0 } });
  });

  it("a failed association is recorded Failed with its detail, halts the ring (MaxErrors 0) and is published as FailedTargets", async () => {
    expect((await runStep(event("plan"), deps, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply"), deps, NOW, forever)).status).toBe("Continue");
    const [failedClient, ...others] = [...stubs.values()];
    for (const id of failedClient!.stub.associations.keys()) failedClient!.stub.finishExecution(id, "Failed");
    for (const { stub } of others) for (const id of stub.associations.keys()) stub.finishExecution(id, "Success");
    expect((await runStep(event("apply"), deps, NOW, forever)).status).toBe("Done");
    const failedKey = `${failedClient!.account}:${failedClient!.region}`;
    const state = await ledger();
    expect(state.pairs[failedKey]).toMatchObject({ status: "Failed", error: expect.stringContaining("Failed") });
    expect(state.reached["1.0.0"]).toBeUndefined();

    const done = await runStep(event("summarize"), deps, NOW, forever);
    expect(done.status).toBe("Done");
    expect(done.message).toContain("Succeeded 3, Failed 1");
    const metrics = cwSent.filter((s) => s.name === "PutMetricData").map((s) => s.input as { Namespace: string; MetricData: { MetricName: string; Value: number; Dimensions: { Name: string; Value: string }[] }[] });
    const final = metrics.at(-1)!;
    expect(final.Namespace).toBe("AftFleet");
    expect(final.MetricData[0]).toMatchObject({ MetricName: "FailedTargets", Value: 1, Dimensions: [{ Name: "Package", Value: PKG }, { Name: "Ring", Value: RING }] });
    // Every apply pass and the end of the run publish the ring's pairs by status and whether it is held.
    const byStatus = (call: (typeof metrics)[number], status: string) => call.MetricData.find((m) => m.MetricName === "PairsByStatus" && m.Dimensions.some((d) => d.Name === "Status" && d.Value === status))?.Value;
    expect(metrics.map((call) => byStatus(call, "InProgress"))).toEqual([4, 0, 0]);
    expect(byStatus(final, "Succeeded")).toBe(3);
    expect(final.MetricData.find((m) => m.MetricName === "RingHeld")).toMatchObject({ Value: 1, Dimensions: [{ Name: "Package", Value: PKG }, { Name: "Ring", Value: RING }] });
    const summary = await readJson<RunSummary>(runObjectKey("run-1", "summary.json"));
    expect(summary).toMatchObject({ final: true, counts: { Succeeded: 3, Failed: 1 } });
    expect(summary!.gate).toContain("ring halted");
  });

  // A first package, Region or campaign reaches the controller before every account's AFT global stage
  // granted it: IAM refuses the member's call, naming the caller ("User: arn:aws:sts::<account>:
  // assumed-role/<role>/<session> is not authorized to perform: <action>", IAM User Guide,
  // "Troubleshooting access denied error messages"). That is NotReady, retried each run, never Failed.
  it("a member call the execution role is not granted yet leaves the pair NotReady with the reason, and does not halt the ring", async () => {
    const original = deps.memberSsm!;
    let armed: string | undefined;
    const wrapped: ControllerDeps = {
      ...deps,
      memberSsm: async (account, region, runId) => {
        const client = await original(account, region, runId);
        if (armed === undefined) {
          armed = `${account}:${region}`;
          const message = `User: arn:aws:sts::${account}:assumed-role/aft-fleet-execution/aft-fleet-${runId} is not authorized to perform: ssm:CreateAssociation on resource: arn:aws:ssm:${region}::document/AWS-ConfigureAWSPackage because no identity-based policy allows the ssm:CreateAssociation action`;
          stubs.get(client)!.stub.fail("CreateAssociation", "AccessDeniedException", 1, message);
        }
        return client;
      },
    };
    expect((await runStep(event("plan"), wrapped, NOW, forever)).status).toBe("Continue");
    expect((await runStep(event("apply"), wrapped, NOW, forever)).status).toBe("Continue");
    finishAll("Success");
    expect((await runStep(event("apply"), wrapped, NOW, forever)).status).toBe("Done");
    const state = await ledger();
    expect(state.pairs[armed!]).toMatchObject({ status: "NotReady", error: expect.stringMatching(/execution role may not do this yet \(AccessDeniedException: User: .*ssm:CreateAssociation.*\); .*retried next run/) });
    expect(Object.values(state.pairs).filter((p) => p.status === "Succeeded")).toHaveLength(3);
    expect(Object.values(state.pairs).some((p) => p.status === "Failed")).toBe(false);
  });

  it("the controller's own access denial (not the member role's) still fails the pair", () => {
    const own = Object.assign(new Error("User: arn:aws:sts::222222222222:assumed-role/aft-fleet-controller/x is not authorized to perform: s3:GetObject"), { name: "AccessDenied" });
    expect(classifyPairError(own, "aft-fleet-execution")).toBe(own);
    const member = Object.assign(new Error("User: arn:aws:sts::333333333333:assumed-role/aft-fleet-execution/s is not authorized to perform: ec2:CreateLaunchTemplateVersion"), { name: "UnauthorizedOperation" });
    expect(classifyPairError(member, "aft-fleet-execution")).toBeInstanceOf(NotReadyError);
  });

  it("a plan with nothing to do ends Done after the diff, writes a final summary and calls nothing else", async () => {
    await completeRun("run-1");
    const membersBefore = [...stubs.values()].reduce((n, { stub }) => n + stub.sent.length, 0);
    const stsBefore = stsSent.length;
    s3Sent.length = 0;

    const result = await runStep(event("plan", "run-2"), deps, NOW, forever);
    expect(result.status).toBe("Done");
    expect(JSON.stringify(result)).not.toContain('"status":"Continue"');
    const summary = await readJson<RunSummary>(runObjectKey("run-2", "summary.json"));
    expect(summary).toMatchObject({ runId: "run-2", final: true, counts: { Succeeded: 4 } });
    expect(await readJson(runObjectKey("run-2", "plan.json"))).toBeUndefined();
    // Reads (spec, ledger) then the summary: no ledger write, no lease, no member calls.
    expect(s3Sent.filter((s) => s.name === "PutObject").map((s) => s.input.Key)).toEqual([runObjectKey("run-2", "summary.json")]);
    expect((await ledger()).lease).toBeUndefined();
    expect(stsSent.length).toBe(stsBefore);
    expect([...stubs.values()].reduce((n, { stub }) => n + stub.sent.length, 0)).toBe(membersBefore);
  });

  it("a chunk killed after 1 of 4 pairs, then retried, does the remaining 3 and never repeats the first", async () => {
    // One pair at a time, a journal object per record: the kill lands right after the first pair.
    deps = { ...deps, concurrency: 1, journalBatch: 1 };
    expect((await runStep(event("plan"), deps, NOW, forever)).status).toBe("Continue");
    // The Lambda dies once the first pair's journal is written (the next remaining-time check throws).
    const journalWrites = (): number => s3Sent.filter((s) => s.name === "PutObject" && String(s.input.Key).includes("/progress-")).length;
    const dying = {
      getRemainingTimeInMillis: () => {
        if (journalWrites() >= 1) throw new Error("Task timed out");
        return 200_000;
      },
    };
    await expect(runStep(event("apply"), deps, NOW, dying)).rejects.toThrow("Task timed out");
    expect(memberCalls("CreateAssociation")).toHaveLength(1);
    const firstPair = memberCalls("CreateAssociation")[0]!;
    const firstStub = stubFor(firstPair.account, firstPair.region);
    const firstSentBefore = firstStub.sent.length;
    // The ledger still shows it NotStarted: only the journal knows it was started.
    expect((await ledger()).pairs[`${firstPair.account}:${firstPair.region}`]!.status).toBe("NotStarted");

    const retried = await runStep(event("apply"), deps, NOW, forever);
    expect(retried.status).toBe("Continue");
    expect(memberCalls("CreateDocument")).toHaveLength(4);
    expect(memberCalls("CreateAssociation")).toHaveLength(4);
    expect(new Set(memberCalls("CreateAssociation").map((c) => `${c.account}:${c.region}`)).size).toBe(4);
    // The first pair was only read back, never started again.
    const firstAfter = firstStub.sent.slice(firstSentBefore).map((s) => s.name);
    expect(firstAfter.filter((name) => !["DescribeAssociationExecutions", "DescribeAssociation"].includes(name))).toEqual([]);
    const state = await ledger();
    for (const pair of Object.values(state.pairs)) expect(pair).toMatchObject({ status: "Pending", attempts: 1 });
    const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "rollouts/run-1/progress-" }));
    expect(left.Contents ?? []).toEqual([]);
  });

  it("a run finding another run's live lease ends Done without touching the ring", async () => {
    expect((await runStep(event("plan", "run-1"), deps, NOW, forever)).status).toBe("Continue");
    const before = await ledger();
    s3Sent.length = 0;

    const later = new Date(NOW.getTime() + 5 * 60 * 1000);
    const result = await runStep(event("plan", "run-2"), deps, later, forever);
    expect(result.status).toBe("Done");
    expect(result.message).toContain("leased by run run-1");
    expect(await ledger()).toEqual(before);
    expect(s3Sent.filter((s) => s.name === "PutObject").map((s) => s.input.Key)).toEqual([runObjectKey("run-2", "summary.json")]);
    const summary = await readJson<RunSummary>(runObjectKey("run-2", "summary.json"));
    expect(summary!.gate).toContain("leased by run run-1");
    expect(await readJson(runObjectKey("run-2", "plan.json"))).toBeUndefined();
    expect(stsSent).toHaveLength(0);

    // Once the lease has expired, the next run takes the ring.
    const expired = new Date(NOW.getTime() + 16 * 60 * 1000);
    expect((await runStep(event("plan", "run-3"), deps, expired, forever)).status).toBe("Continue");
    expect((await ledger()).lease?.runId).toBe("run-3");
  });

  it("two runs planning at once: the conditional ledger write lets one take the ring; the other loses the race (412) and ends Done", async () => {
    const results = await Promise.all([runStep(event("plan", "run-a"), deps, NOW, forever), runStep(event("plan", "run-b"), deps, NOW, forever)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual(["Continue", "Done"]);
    const winner = results.find((r) => r.status === "Continue")!.runId;
    const loser = results.find((r) => r.status === "Done")!;
    expect(loser.message).toContain(`leased by run ${winner}`);
    expect((await ledger()).lease?.runId).toBe(winner);
    expect(await readJson(runObjectKey(loser.runId, "plan.json"))).toBeUndefined();
  });

  it("rejects a malformed event before any AWS call", async () => {
    s3Sent.length = 0;
    await expect(runStep({ ...event("plan"), runId: "../x" }, deps, NOW, forever)).rejects.toBeInstanceOf(InputError);
    await expect(runStep({ ...event("plan"), specKey: "ledger/x.json" }, deps, NOW, forever)).rejects.toBeInstanceOf(InputError);
    await expect(runStep({ ...event("plan"), step: "destroy" as "plan" }, deps, NOW, forever)).rejects.toBeInstanceOf(InputError);
    expect(s3Sent).toHaveLength(0);
  });

  describe("a ring's first run where S3 answers a missing key with 403 (the controller role's prefix-conditioned s3:ListBucket)", () => {
    /*
     * "If the object you request doesn't exist, the error that Amazon S3 returns depends on whether you also
     * have the s3:ListBucket permission ... If you don't have the s3:ListBucket permission, Amazon S3 returns
     * an HTTP status code 403 Access Denied error" (S3 API Reference, GetObject). The world's S3 judges the
     * controller's calls by the role policy modules/controller synthesizes (controller-world.ts, stub.ts).
     */
    const ledgerAt = ledgerKey(PKG, RING);
    const decisionsFor = (key: string) => world.s3Decisions.filter((d) => d.key === key || d.prefix === key);
    /** The synthesized policy with one statement changed (or removed, when `change` returns undefined). */
    const withStatement = (sid: string, change: (s: IamPolicy["Statement"][number]) => IamPolicy["Statement"][number] | undefined): IamPolicy => {
      const policy = structuredClone(world.s3Policy);
      expect(policy.Statement.some((s) => s.Sid === sid)).toBe(true);
      policy.Statement = policy.Statement.flatMap((s) => (s.Sid === sid ? [change(s)].filter((x) => x !== undefined) : [s]));
      return policy;
    };

    it("reads the 403 on the new ledger as missing only after listing the key as a prefix finds nothing, and completes the run", async () => {
      await completeRun("run-1");
      // The ledger read that S3 refused, then the listing (covered by the ListBucket condition) that found no such key.
      expect(decisionsFor(ledgerAt).slice(0, 2)).toEqual([
        { command: "GetObject", key: ledgerAt, answer: 403 },
        { command: "ListObjectsV2", prefix: ledgerAt, answer: "passed" },
      ]);
      expect(s3Sent.find((c) => c.name === "ListObjectsV2" && c.input.Prefix === ledgerAt)!.input).toEqual({ Bucket: BUCKET, Prefix: ledgerAt, MaxKeys: 1 });
      // Created with IfNoneMatch (a new ledger), then read with its ETag.
      expect(s3Sent.find((c) => c.name === "PutObject" && c.input.Key === ledgerAt)!.input.IfNoneMatch).toBe("*");
      const state = await ledger();
      expect(Object.values(state.pairs).map((p) => p.status)).toEqual(["Succeeded", "Succeeded", "Succeeded", "Succeeded"]);
      expect(decisionsFor(ledgerAt).filter((d) => d.command === "GetObject").slice(1).every((d) => d.answer === "passed")).toBe(true);
    });

    it("with the key as the implicit check's s3:prefix, the same policy reads 404 and lists nothing", async () => {
      world.s3Rules.missingKeyPrefix = "key";
      expect((await runStep(event("plan"), deps, NOW, forever)).status).toBe("Continue");
      expect(decisionsFor(ledgerAt).slice(0, 2)).toEqual([
        { command: "GetObject", key: ledgerAt, answer: 404 },
        { command: "PutObject", key: ledgerAt, answer: "passed" },
      ]);
    });

    it("a refused read of a ledger that exists is thrown, never taken for a first run", async () => {
      await completeRun("run-1");
      const before = await ledger();
      // The ledger may no longer be read (a tightened policy, or a key the role cannot use): only the runs' objects stay readable.
      world.s3Policy = withStatement("KeepLedgersAndRuns", (s) => ({ ...s, Resource: [s.Resource].flat().filter((r) => !r.includes("/ledger/")) }));
      world.s3Policy.Statement.push({ Sid: "WriteLedgersOnly", Effect: "Allow", Action: ["s3:PutObject"], Resource: `arn:aws:s3:::${BUCKET}/ledger/*` });
      s3Sent.length = 0;
      await expect(runStep(event("plan", "run-2"), deps, NOW, forever)).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
      expect(s3Sent.filter((c) => c.name === "ListObjectsV2").map((c) => c.input.Prefix)).toEqual([ledgerAt]);
      expect(s3Sent.filter((c) => c.name === "PutObject")).toEqual([]);
      expect(await ledger()).toEqual(before);
    });

    it("without any s3:ListBucket grant, the first run fails with S3's 403 and creates no ledger", async () => {
      world.s3Policy = withStatement("ListLedgersAndRuns", () => undefined);
      await expect(runStep(event("plan"), deps, NOW, forever)).rejects.toMatchObject({ name: "AccessDenied" });
      expect(decisionsFor(ledgerAt)).toEqual([
        { command: "GetObject", key: ledgerAt, answer: 403 },
        { command: "ListObjectsV2", prefix: ledgerAt, answer: 403 },
      ]);
      expect(await world.readJson(ledgerAt)).toBeUndefined();
    });

    it("a manifest missing from the store fails its pairs as missing (the listing covers package prefixes), not as access denied", async () => {
      const manifestAt = `${versionPrefix(PKG, "1.0.0")}manifest.json`;
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: manifestAt }));
      expect((await runStep(event("plan"), deps, NOW, forever)).status).toBe("Continue");
      await runStep(event("apply"), deps, NOW, forever);
      expect(decisionsFor(manifestAt).slice(0, 2)).toEqual([
        { command: "GetObject", key: manifestAt, answer: 403 },
        { command: "ListObjectsV2", prefix: manifestAt, answer: "passed" },
      ]);
      const failed = Object.values((await ledger()).pairs).filter((p) => p.status === "Failed");
      expect(failed.length).toBeGreaterThan(0);
      for (const pair of failed) {
        expect(pair.error).toContain("manifest.json not found");
        expect(pair.error).not.toMatch(/Access ?Denied/i);
      }
    });
  });
});

describe("the S3 stub refuses what S3 refuses (stub.ts, enforceS3Policy)", () => {
  const bucket = "store";
  const noSuchKey = Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
  /** A client whose objects are `keys`; GetObject of another key is S3's NoSuchKey. */
  const clientOf = (keys: string[]) => ({
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (command.constructor.name === "GetObjectCommand" && !keys.includes(String(command.input.Key))) throw noSuchKey;
      return { ok: true };
    },
  });
  class GetObjectCommand {
    constructor(readonly input: Record<string, unknown>) {}
  }
  class ListObjectsV2Command {
    constructor(readonly input: Record<string, unknown>) {}
  }
  class PutObjectCommand {
    constructor(readonly input: Record<string, unknown>) {}
  }
  class CopyObjectCommand {
    constructor(readonly input: Record<string, unknown>) {}
  }
  const policyOf = (...statements: IamPolicy["Statement"]): IamPolicy => ({ Version: "2012-10-17", Statement: statements });
  const read: IamPolicy["Statement"][number] = { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/ledger/*` };
  const status = async (client: { send: (c: any) => Promise<unknown> }, command: object) => {
    try {
      await client.send(command);
      return 200;
    } catch (error) {
      return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    }
  };

  it("a missing key: 404 with an unconditioned s3:ListBucket on the bucket, 403 without one", async () => {
    const listed = clientOf([]);
    enforceS3Policy(listed, () => policyOf(read, { Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` }));
    expect(await status(listed, new GetObjectCommand({ Bucket: bucket, Key: "ledger/p/r.json" }))).toBe(404);
    const unlisted = clientOf([]);
    enforceS3Policy(unlisted, () => policyOf(read));
    expect(await status(unlisted, new GetObjectCommand({ Bucket: bucket, Key: "ledger/p/r.json" }))).toBe(403);
    // A key that exists is read with s3:GetObject alone.
    const present = clientOf(["ledger/p/r.json"]);
    enforceS3Policy(present, () => policyOf(read));
    expect(await status(present, new GetObjectCommand({ Bucket: bucket, Key: "ledger/p/r.json" }))).toBe(200);
  });

  it("a prefix-conditioned s3:ListBucket: 403 for a missing key when the implicit check carries no s3:prefix, 404 when it carries the key", async () => {
    const conditioned = policyOf(read, { Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}`, Condition: { StringLike: { "s3:prefix": ["ledger/*"] } } });
    const strict = clientOf([]);
    enforceS3Policy(strict, () => conditioned);
    expect(await status(strict, new GetObjectCommand({ Bucket: bucket, Key: "ledger/p/r.json" }))).toBe(403);
    const keyed = clientOf([]);
    enforceS3Policy(keyed, () => conditioned, { missingKeyPrefix: "key" });
    expect(await status(keyed, new GetObjectCommand({ Bucket: bucket, Key: "ledger/p/r.json" }))).toBe(404);
    // ListObjectsV2: the Prefix is s3:prefix; none, or one outside the condition, is refused.
    expect(await status(strict, new ListObjectsV2Command({ Bucket: bucket, Prefix: "ledger/p/r.json" }))).toBe(200);
    expect(await status(strict, new ListObjectsV2Command({ Bucket: bucket, Prefix: "other/x" }))).toBe(403);
    expect(await status(strict, new ListObjectsV2Command({ Bucket: bucket }))).toBe(403);
  });

  it("an explicit Deny wins, writes need s3:PutObject on the key, and a command it knows no rule for is an error of the stub", async () => {
    const client = clientOf([]);
    enforceS3Policy(client, () =>
      policyOf(read, { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/rollouts/*` }, { Effect: "Deny", Action: "s3:*", Resource: `arn:aws:s3:::${bucket}/rollouts/secret/*` }),
    );
    expect(await status(client, new PutObjectCommand({ Bucket: bucket, Key: "rollouts/r/plan.json" }))).toBe(200);
    expect(await status(client, new PutObjectCommand({ Bucket: bucket, Key: "rollouts/secret/x" }))).toBe(403);
    expect(await status(client, new PutObjectCommand({ Bucket: bucket, Key: "ledger/p/r.json" }))).toBe(403);
    await expect(client.send(new CopyObjectCommand({ Bucket: bucket, Key: "x" }))).rejects.toThrow("no IAM rule known for CopyObject");
  });

  it("matches IAM's wildcards and the ${*} ${?} ${$} literals, and a missing condition key fails all but ...IfExists", () => {
    const allow = (Resource: string, Condition?: Record<string, Record<string, string | string[]>>) => policyOf({ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource, ...(Condition ? { Condition } : {}) });
    const request = (resource: string, context: Record<string, string> = {}) => ({ action: "CloudWatch:describealarms", resource, context });
    expect(iamAllows(allow("arn:aws:cloudwatch:us-east-1:1:alarm:a*"), request("arn:aws:cloudwatch:us-east-1:1:alarm:abc"))).toBe(true);
    expect(iamAllows(allow("arn:aws:cloudwatch:us-east-1:1:alarm:a${*}"), request("arn:aws:cloudwatch:us-east-1:1:alarm:abc"))).toBe(false);
    expect(iamAllows(allow("arn:aws:cloudwatch:us-east-1:1:alarm:a${*}${?}${$}{x}"), request("arn:aws:cloudwatch:us-east-1:1:alarm:a*?${x}"))).toBe(true);
    expect(iamAllows(allow("*", { StringLike: { "s3:prefix": "ledger/*" } }), request("x"))).toBe(false);
    expect(iamAllows(allow("*", { StringLikeIfExists: { "s3:prefix": "ledger/*" } }), request("x"))).toBe(true);
    expect(() => iamAllows(allow("*", { ArnLike: { "aws:SourceArn": "x" } }), request("x", { "aws:SourceArn": "x" }))).toThrow("not supported");
  });
});
