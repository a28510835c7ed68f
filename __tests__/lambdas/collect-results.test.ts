import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { collectResults, type CollectResultsDeps, type RunSummary } from "../../lambdas/collect-results";
import { clientConfig, s3ClientConfig } from "../../lambdas/shared/clients";
import type { RunState } from "../../lambdas/shared/run-state";
import { putJson } from "../../lambdas/shared/s3-json";
import { motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";
import { awsError, recordingSleep, stubSend, type SentCommand } from "./stub";

// moto does not emulate Automation executions (no GetAutomationExecution / step executions for a
// multi-account parent), so SSM is an SDK-level stub; S3 and CloudWatch are moto.

const BUCKET = "aft-fleet-runs";
const [A1, A2, A3, A4] = ["111111111111", "222222222222", "333333333333", "444444444444"] as const;
const EVENT = { runId: "run-42", bucket: BUCKET, summaryPrefix: "runs", packageName: "acme-agent", packageVersion: "2.0.1", ring: "pilot" };
const STATE_KEY = "runs/run-42/state.json";
const SUMMARY_KEY = "runs/run-42/summary.json";

const plenty = { getRemainingTimeInMillis: () => 600_000 };

/** Automation as the stub reports it: parent status per call, step and child executions. */
interface FakeAutomation {
  statuses: Record<string, string[]>;
  failureMessages?: Record<string, string>;
  steps?: Record<string, object[][]>;
  children?: Record<string, { id: string; accounts: string[]; region: string; status: string; error?: string }[]>;
}

function automationStub(ssm: SSMClient, fake: FakeAutomation, onCall: (command: SentCommand) => void = () => undefined): SentCommand[] {
  const seen: Record<string, number> = {};
  const childDetail = new Map(Object.values(fake.children ?? {}).flat().map((child) => [child.id, child]));
  return stubSend(ssm, (command) => {
    onCall(command);
    const id = command.input.AutomationExecutionId as string;
    switch (command.name) {
      case "GetAutomationExecution": {
        const child = childDetail.get(id);
        if (child) {
          return {
            AutomationExecution: {
              AutomationExecutionId: id,
              AutomationExecutionStatus: child.status,
              FailureMessage: child.error,
              TargetLocations: [{ Accounts: child.accounts, Regions: [child.region] }],
            },
          };
        }
        const statuses = fake.statuses[id];
        if (!statuses) throw awsError("AutomationExecutionNotFoundException");
        const call = (seen[id] = (seen[id] ?? 0) + 1);
        const status = statuses[Math.min(call, statuses.length) - 1];
        return { AutomationExecution: { AutomationExecutionId: id, AutomationExecutionStatus: status, FailureMessage: fake.failureMessages?.[id] } };
      }
      case "DescribeAutomationStepExecutions": {
        const pages = fake.steps?.[id] ?? [[]];
        const page = command.input.NextToken === undefined ? 0 : Number(command.input.NextToken);
        return { StepExecutions: pages[page], NextToken: page + 1 < pages.length ? String(page + 1) : undefined };
      }
      case "DescribeAutomationExecutions": {
        const filter = (command.input.Filters as { Key: string; Values: string[] }[])[0]!;
        expect(filter.Key).toBe("ParentExecutionId");
        const children = fake.children?.[filter.Values[0]!] ?? [];
        return { AutomationExecutionMetadataList: children.map((child) => ({ AutomationExecutionId: child.id, AutomationExecutionStatus: child.status })) };
      }
      default:
        throw new Error(`unexpected ${command.name}`);
    }
  });
}

const step = (account: string, region: string, status: string, error?: string): object => ({
  StepName: `${account}-${region}`,
  StepStatus: status,
  FailureMessage: error,
  TargetLocation: { Accounts: [account], Regions: [region], ExecutionRoleName: "exec" },
});

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("collect-results (S3 and CloudWatch on moto, SSM stubbed)", () => {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  let s3: S3Client;
  let cloudwatch: CloudWatchClient;

  const readJson = async <T>(key: string): Promise<T> =>
    JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString()) as T;
  const exists = (key: string): Promise<boolean> =>
    s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
      () => true,
      () => false,
    );
  const deps = (ssm: SSMClient, extra: Partial<CollectResultsDeps> = {}): CollectResultsDeps => ({
    ssmFor: (region) => {
      expect(region).toBe("us-east-1");
      return ssm;
    },
    s3,
    cloudwatch,
    ...extra,
  });

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
    s3 = new S3Client(s3ClientConfig());
    cloudwatch = new CloudWatchClient(clientConfig());
  });
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  /** [Maximum, SampleCount] per datapoint of FailedTargets{Package=acme-agent, Ring=pilot}. */
  async function failedTargetsSamples(): Promise<(number | undefined)[][]> {
    const now = Date.now();
    const stats = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AftFleet",
        MetricName: "FailedTargets",
        Dimensions: [
          { Name: "Package", Value: "acme-agent" },
          { Name: "Ring", Value: "pilot" },
        ],
        StartTime: new Date(now - 3_600_000),
        EndTime: new Date(now + 60_000),
        Period: 3600,
        Statistics: ["Maximum", "SampleCount"],
      }),
    );
    return (stats.Datapoints ?? []).map((point) => [point.Maximum, point.SampleCount]);
  }

  const writeState = (state: RunState): Promise<void> => putJson(s3, BUCKET, STATE_KEY, state);

  it("reports a partial failure per account x Region in summary.json and the FailedTargets metric", async () => {
    await writeState({
      runId: "run-42",
      runbookName: "aft-fleet-DistributePackage",
      homeRegion: "us-east-1",
      executions: [
        { group: 0, region: "us-east-1", accounts: [A1, A2, A3], executionId: "exec-1" },
        { group: 0, region: "eu-west-1", accounts: [A1, A2, A3], executionId: "exec-2" },
        { group: 1, region: "us-east-1", accounts: [A4], startError: "InvalidAutomationExecutionParametersException: no role" },
        { group: 1, region: "eu-west-1", accounts: [A4], executionId: "exec-4" },
      ],
    });
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const sent = automationStub(ssm, {
      statuses: { "exec-1": ["CompletedWithFailure"], "exec-2": ["Success"], "exec-4": ["Failed"] },
      failureMessages: { "exec-4": "Step fails when it is verifying the assume role." },
      steps: {
        // Two pages; the first step is the parent's own bookkeeping step without a location.
        "exec-1": [
          [{ StepName: "prepare", StepStatus: "Success" }, step(A2, "us-east-1", "Failed", "Package acme-agent 2.0.1 install failed"), step(A1, "us-east-1", "Success")],
          [step(A3, "us-east-1", "Success")],
        ],
      },
      children: {
        "exec-2": [
          { id: "child-1", accounts: [A1], region: "eu-west-1", status: "Success" },
          { id: "child-2", accounts: [A2], region: "eu-west-1", status: "Success" },
          { id: "child-3", accounts: [A3], region: "eu-west-1", status: "Success" },
        ],
      },
    });

    const result = await collectResults(EVENT, plenty, deps(ssm));

    expect(result).toEqual({ status: "Complete", runId: "run-42", failed: 3, succeeded: 5, summaryKey: SUMMARY_KEY });
    expect(JSON.stringify(result)).toContain('"status":"Complete"');

    const summary = await readJson<RunSummary>(SUMMARY_KEY);
    expect(summary).toEqual({
      runId: "run-42",
      package: "acme-agent",
      version: "2.0.1",
      ring: "pilot",
      results: [
        { account: A1, region: "eu-west-1", status: "Success" },
        { account: A1, region: "us-east-1", status: "Success" },
        { account: A2, region: "eu-west-1", status: "Success" },
        { account: A2, region: "us-east-1", status: "Failed", error: "Package acme-agent 2.0.1 install failed" },
        { account: A3, region: "eu-west-1", status: "Success" },
        { account: A3, region: "us-east-1", status: "Success" },
        { account: A4, region: "eu-west-1", status: "Failed", error: "Step fails when it is verifying the assume role." },
        { account: A4, region: "us-east-1", status: "StartFailed", error: "InvalidAutomationExecutionParametersException: no role" },
      ],
      counts: { total: 8, succeeded: 5, failed: 3, byStatus: { Failed: 2, StartFailed: 1, Success: 5 } },
    });

    const steps = sent.filter((command) => command.name === "DescribeAutomationStepExecutions");
    expect(steps.map((command) => [command.input.AutomationExecutionId, command.input.NextToken])).toEqual([
      ["exec-1", undefined],
      ["exec-1", "1"],
      ["exec-2", undefined],
      ["exec-4", undefined],
    ]);

    const metrics = await cloudwatch.send(new ListMetricsCommand({ Namespace: "AftFleet" }));
    expect(metrics.Metrics).toEqual([
      expect.objectContaining({
        MetricName: "FailedTargets",
        Dimensions: expect.arrayContaining([
          { Name: "Package", Value: "acme-agent" },
          { Name: "Ring", Value: "pilot" },
        ]),
      }),
    ]);
    expect(await failedTargetsSamples()).toEqual([[3, 1]]);

    // A re-invocation after completion rewrites the same summary and does not publish the metric again.
    const again = await collectResults(EVENT, plenty, deps(ssm));
    expect(again).toEqual(result);
    expect(await readJson<RunSummary>(SUMMARY_KEY)).toEqual(summary);
    expect(await failedTargetsSamples()).toEqual([[3, 1]]);
  });

  it("returns InProgress before the time budget runs out, saves progress, and finishes on the next invocation", async () => {
    await writeState({
      runId: "run-42",
      runbookName: "aft-fleet-DistributePackage",
      homeRegion: "us-east-1",
      executions: ["exec-1", "exec-2", "exec-3"].map((executionId, group) => ({
        group,
        region: "us-east-1",
        accounts: [[A1], [A2], [A3]][group]!,
        executionId,
      })),
    });
    // Fake clock: each GetAutomationExecution takes 25 s of a 60 s budget (15 s default margin).
    let now = 0;
    const context = { getRemainingTimeInMillis: () => 60_000 - now };
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const fake: FakeAutomation = {
      statuses: { "exec-1": ["Success"], "exec-2": ["InProgress", "Success"], "exec-3": ["CompletedWithSuccess"] },
      steps: { "exec-1": [[step(A1, "us-east-1", "Success")]], "exec-2": [[step(A2, "us-east-1", "Success")]], "exec-3": [[step(A3, "us-east-1", "Success")]] },
    };
    const sent = automationStub(ssm, fake, (command) => {
      if (command.name === "GetAutomationExecution") now += 25_000;
    });

    const first = await collectResults(EVENT, context, deps(ssm));

    expect(first).toEqual({ status: "InProgress", runId: "run-42", pending: 2 });
    expect(JSON.stringify(first)).not.toContain('"status":"Complete"');
    expect(sent.filter((c) => c.name === "GetAutomationExecution").map((c) => c.input.AutomationExecutionId)).toEqual(["exec-1", "exec-2"]);
    expect(await exists(SUMMARY_KEY)).toBe(false);
    const saved = await readJson<RunState>(STATE_KEY);
    expect(saved.executions.map((record) => [record.status, record.targets?.length])).toEqual([
      ["Success", 1],
      ["InProgress", undefined],
      [undefined, undefined],
    ]);
    expect((await cloudwatch.send(new ListMetricsCommand({ Namespace: "AftFleet" }))).Metrics ?? []).toEqual([]);

    sent.length = 0;
    const second = await collectResults(EVENT, plenty, deps(ssm));
    expect(second).toMatchObject({ status: "Complete", failed: 0, succeeded: 3 });
    // Finished executions are not polled again.
    expect(sent.filter((c) => c.name === "GetAutomationExecution").map((c) => c.input.AutomationExecutionId)).toEqual(["exec-2", "exec-3"]);
  });

  it("returns InProgress at once when the budget is already below the margin", async () => {
    await writeState({ runId: "run-42", runbookName: "rb", homeRegion: "us-east-1", executions: [{ group: 0, region: "us-east-1", accounts: [A1], executionId: "exec-1" }] });
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const sent = automationStub(ssm, { statuses: { "exec-1": ["Success"] } });
    const result = await collectResults(EVENT, { getRemainingTimeInMillis: () => 14_000 }, deps(ssm));
    expect(result).toEqual({ status: "InProgress", runId: "run-42", pending: 1 });
    expect(sent).toHaveLength(0);
  });

  it("waits between polling rounds while the budget allows, then completes", async () => {
    await writeState({ runId: "run-42", runbookName: "rb", homeRegion: "us-east-1", executions: [{ group: 0, region: "us-east-1", accounts: [A1, A2], executionId: "exec-1" }] });
    const ssm = new SSMClient(clientConfig("us-east-1"));
    automationStub(ssm, {
      statuses: { "exec-1": ["Pending", "InProgress", "TimedOut"] },
      failureMessages: { "exec-1": "Step timed out" },
      steps: { "exec-1": [[step(A1, "us-east-1", "Success")]] },
    });
    const { delays, sleep } = recordingSleep();
    const result = await collectResults({ ...EVENT, ring: undefined, metricNamespace: "Custom/Fleet" }, plenty, deps(ssm, { pollIntervalMs: 5_000, sleep }));
    expect(result).toMatchObject({ status: "Complete", failed: 1, succeeded: 1 });
    expect(delays).toEqual([5_000, 5_000]);
    const summary = await readJson<RunSummary>(SUMMARY_KEY);
    expect(summary.ring).toBe("default");
    // A2 had no step of its own: it inherits the parent's terminal status and message.
    expect(summary.results).toEqual([
      { account: A1, region: "us-east-1", status: "Success" },
      { account: A2, region: "us-east-1", status: "TimedOut", error: "Step timed out" },
    ]);
    const metrics = await cloudwatch.send(new ListMetricsCommand({ Namespace: "Custom/Fleet" }));
    expect(metrics.Metrics?.[0]?.Dimensions).toEqual(expect.arrayContaining([{ Name: "Ring", Value: "default" }]));
  });

  it("treats a vanished execution as failed instead of waiting for it forever", async () => {
    await writeState({ runId: "run-42", runbookName: "rb", homeRegion: "us-east-1", executions: [{ group: 0, region: "us-east-1", accounts: [A1], executionId: "exec-gone" }] });
    const ssm = new SSMClient(clientConfig("us-east-1"));
    automationStub(ssm, { statuses: {} });
    const result = await collectResults(EVENT, plenty, deps(ssm));
    expect(result).toMatchObject({ status: "Complete", failed: 1, succeeded: 0 });
  });

  it("fails clearly when start-rollout left no run state", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    await expect(collectResults({ ...EVENT, runId: "never-started" }, plenty, deps(ssm))).rejects.toThrow(
      "run state not found at s3://aft-fleet-runs/runs/never-started/state.json",
    );
  });
});
