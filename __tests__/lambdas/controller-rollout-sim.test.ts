/**
 * The rollout simulator (scripts/bench-rollout/) on a tiny organization, so it keeps working as the controller
 * changes: the real handler finishes a first release, and the virtual clock and the accounting agree with what
 * the scenario implies. Virtual time only: nothing here depends on how fast the machine is.
 */
import { DeadlineError, DeadlockError, VirtualClock } from "../../scripts/bench-rollout/clock";
import { FakeMemberSsm, FakeOrganizations, FakeS3, Meter, seededRandom, type FakeContext } from "../../scripts/bench-rollout/fakes";
import { RATE_LIMITS } from "../../scripts/bench-rollout/limits";
import { orgTree, scenario, simulate } from "../../scripts/bench-rollout/simulate";

const REGIONS = ["us-east-1", "eu-west-1"];

function context(latencyMs: readonly [number, number] = [30, 100]): FakeContext {
  return { clock: new VirtualClock(0), meter: new Meter(), random: seededRandom(7), latencyMs };
}

describe("virtual clock", () => {
  it("wakes timers in time order and advances only to the next one", async () => {
    const clock = new VirtualClock(1000);
    const order: string[] = [];
    const run = Promise.all([
      clock.sleep(300).then(() => order.push(`b@${clock.now()}`)),
      clock.sleep(100).then(() => order.push(`a@${clock.now()}`)),
      (async () => {
        await clock.sleep(50);
        await clock.sleep(500);
        order.push(`c@${clock.now()}`);
      })(),
    ]);
    await clock.run(run);
    expect(order).toEqual(["a@1100", "b@1300", "c@1550"]);
    expect(clock.now()).toBe(1550);
  });

  it("cuts a run off at its deadline and drops its timers, as a Lambda timeout does", async () => {
    const clock = new VirtualClock(0);
    let resumed = false;
    const work = (async () => {
      await clock.sleep(10_000);
      resumed = true;
    })();
    await expect(clock.run(work, 4000)).rejects.toBeInstanceOf(DeadlineError);
    expect(clock.now()).toBe(4000);
    expect(clock.pendingTimers()).toBe(0);
    expect(resumed).toBe(false);
  });

  it("reports a run that can never settle", async () => {
    const clock = new VirtualClock(0);
    await expect(clock.run(new Promise(() => undefined))).rejects.toBeInstanceOf(DeadlockError);
  });
});

describe("fakes refuse what AWS refuses", () => {
  it("S3: conditional writes answer 412 on an ETag mismatch and on an existing key with IfNoneMatch", async () => {
    const ctx = context();
    const s3 = new FakeS3(ctx, "bench-bucket");
    const put = (input: Record<string, unknown>) => ({ constructor: { name: "PutObjectCommand" }, input: { Bucket: "bench-bucket", Key: "ledger/x.json", Body: "{}", ...input } });
    const first = await ctx.clock.run(s3.send(put({ IfNoneMatch: "*" })));
    await expect(ctx.clock.run(s3.send(put({ IfNoneMatch: "*" })))).rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
    await expect(ctx.clock.run(s3.send(put({ IfMatch: '"other"' })))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    await ctx.clock.run(s3.send(put({ IfMatch: first.ETag })));
    expect(ctx.meter.s3BytesWritten).toBe(4);
  });

  it("Organizations: MaxResults above 20 is refused and more than its rate in a second is throttled", async () => {
    const ctx = context([1, 1]);
    const { tree, ringOu } = orgTree(45, 250);
    const org = new FakeOrganizations(ctx, tree);
    const list = (input: Record<string, unknown>) => org.send({ constructor: { name: "ListAccountsForParentCommand" }, input: { ParentId: "ou-bnch-leaf00000", ...input } });
    await expect(ctx.clock.run(list({ MaxResults: 21 }))).rejects.toMatchObject({ name: "InvalidInputException" });
    const page = await ctx.clock.run(list({}));
    expect(page.Accounts).toHaveLength(20);
    expect(page.NextToken).toBeDefined();
    expect(ringOu).toBe("ou-bnch-workloads");
    // The first call above took a token too: the rest of the burst, then one more inside the same second.
    const burst = RATE_LIMITS.organizations.burst;
    const calls = Array.from({ length: burst }, () => list({}).then(() => "ok", (e: Error) => e.name));
    const answers = await ctx.clock.run(Promise.all(calls));
    expect(answers.filter((a) => a === "TooManyRequestsException").length).toBeGreaterThanOrEqual(1);
    expect(ctx.meter.throttled.get("Organizations")).toBeGreaterThanOrEqual(1);
  });

  it("member SSM: a 26th document version is refused, and a new version is Creating until its time has passed", async () => {
    // 150 ms a call stays below the 10 calls a second a member's SSM API allows here (limits.ts).
    const ctx = context([150, 150]);
    const ssm = new FakeMemberSsm(ctx, "200000000000", "us-east-1", {
      documentReadyMs: [20_000, 20_000],
      installMs: 900_000,
      failureRate: 0,
      nodes: 1,
      parameters: {},
      sourceExists: () => true,
    });
    const send = (name: string, input: Record<string, unknown>) => ctx.clock.run(ssm.send({ constructor: { name: `${name}Command` }, input }));
    const content = (v: number) => JSON.stringify({ version: `1.0.${v}` });
    const attachments = [{ Key: "SourceUrl", Values: ["s3://bench-bucket/packages/Agent/1.0.0"] }];
    await send("CreateDocument", { Name: "Agent", Content: content(0), DocumentType: "Package", DocumentFormat: "JSON", VersionName: "1.0.0", Attachments: attachments });
    expect((await send("DescribeDocument", { Name: "Agent", DocumentVersion: "1" })).Document.Status).toBe("Creating");
    await ctx.clock.run(ctx.clock.sleep(20_000));
    expect((await send("DescribeDocument", { Name: "Agent", DocumentVersion: "1" })).Document.Status).toBe("Active");
    for (let v = 1; v < 25; v++) await send("UpdateDocument", { Name: "Agent", Content: content(v), VersionName: `1.0.${v}`, DocumentVersion: "$LATEST", Attachments: attachments });
    await expect(send("UpdateDocument", { Name: "Agent", Content: content(25), VersionName: "1.0.25", DocumentVersion: "$LATEST", Attachments: attachments })).rejects.toMatchObject({
      name: "DocumentVersionLimitExceeded",
    });
    await expect(send("DeleteDocument", { Name: "Agent", DocumentVersion: "1" })).rejects.toMatchObject({ name: "InvalidDocumentOperation" });
  });
});

describe("rollout simulation of the real controller (20 accounts x 2 Regions)", () => {
  it("rolls a first release out to every pair in one runbook execution, with sane time and accounting", async () => {
    const sc = scenario(20, "aggressive", { regions: REGIONS, ouSize: 8 });
    const r = await simulate(sc);

    expect(r.pairs).toBe(40);
    expect(r.stoppedBy).toBe("done");
    expect(r.ledger).toEqual({ succeeded: 40, failed: 0, other: 0 });
    expect(r.installed).toBe(40);
    // No pair can succeed before its install ran (15 min); one execution of 100% concurrency ends well within the hour.
    expect(r.allSucceededMs).toBeGreaterThanOrEqual(15 * 60_000);
    expect(r.allSucceededMs!).toBeLessThan(3600_000);
    // The members finished installing no later than the ledger said so.
    expect(r.allInstalledMs!).toBeLessThanOrEqual(r.allSucceededMs!);
    expect(r.virtualEndMs).toBeGreaterThanOrEqual(r.allSucceededMs!);
    expect(r.executions).toBe(1);
    expect(r.invocations.plan).toBe(1);
    expect(r.invocations.summarize).toBe(1);
    expect(r.invocations.apply).toBeGreaterThanOrEqual(2);
    expect(r.invocations.timeouts + r.invocations.errors).toBe(0);
    // One document and one association per pair; one session per account (the credential cache serves its Regions).
    expect(r.calls.SSM!.CreateDocument).toBe(40);
    expect(r.calls.SSM!.CreateAssociation).toBe(40);
    expect(r.calls.STS!.AssumeRole).toBe(20);
    // Three leaf OUs of at most 8 accounts, each one page of ListAccountsForParent, plus the ring's OU.
    expect(r.calls.Organizations!.ListAccountsForParent).toBe(4);
    expect(r.s3BytesTotal).toBeGreaterThan(0);
    expect(r.s3BytesPerPassMax).toBeLessThanOrEqual(r.s3BytesTotal);
    expect(r.droppedTimers).toBe(0);
  });

  it("retries failed installs in the next hourly runs until every pair Succeeded", async () => {
    const sc = scenario(20, "aggressive", { regions: REGIONS, ouSize: 8, failureRate: 0.05, seed: 3 });
    const r = await simulate(sc);

    expect(r.ledger.succeeded).toBe(40);
    expect(r.stoppedBy).toBe("done");
    // Some install failed on the first try (seeded), so a later hourly execution finished the ring.
    expect(r.executions).toBeGreaterThanOrEqual(2);
    expect(r.allSucceededMs!).toBeGreaterThanOrEqual(3600_000);
    expect(r.calls.SSM!.StartAssociationsOnce ?? 0).toBeGreaterThanOrEqual(1);
  });
});
