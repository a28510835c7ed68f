import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { chunk } from "../../lambdas/shared/chunk";
import { clientConfig, s3ClientConfig } from "../../lambdas/shared/clients";
import type { RunState } from "../../lambdas/shared/run-state";
import { InputError } from "../../lambdas/shared/validate";
import { startRollout } from "../../lambdas/start-rollout";
import { motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "../helpers/moto";
import { awsError, recordingSleep, stubSend, type SentCommand } from "./stub";

// moto has no multi-account Automation (StartAutomationExecution with TargetLocations), so SSM is an
// SDK-level stub here; the run state goes to moto's S3.

const BUCKET = "aft-fleet-runs";
const accounts = (count: number): string[] => Array.from({ length: count }, (_, i) => String(300000000000 + i * 104729));

const baseEvent = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  runId: "pkg-1.2.3-canary-0001",
  runbookName: "aft-fleet-DistributePackage",
  parameters: { AutomationAssumeRole: ["arn:aws:iam::123456789012:role/aft-fleet-admin"], version: ["1.2.3"], action: ["Install"] },
  targetParameterName: "InstanceId",
  targets: [{ Key: "tag:aft-fleet:agent", Values: ["enabled"] }],
  groups: chunk(accounts(120), 50),
  regions: ["us-east-1", "eu-west-1"],
  executionRoleName: "aft-fleet-automation-execution",
  maxConcurrency: "10%",
  maxErrors: "5",
  bucket: BUCKET,
  summaryPrefix: "/runs/",
  homeRegion: "us-east-1",
  ...overrides,
});

function automationStub(ssm: SSMClient, fail: (command: SentCommand, index: number) => Error | undefined = () => undefined): SentCommand[] {
  let index = 0;
  return stubSend(ssm, (command) => {
    if (command.name !== "StartAutomationExecution") throw new Error(`unexpected ${command.name}`);
    const error = fail(command, index++);
    if (error) throw error;
    return { AutomationExecutionId: `exec-${String(index).padStart(4, "0")}` };
  });
}

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("start-rollout (S3 on moto, SSM stubbed)", () => {
  let moto: MotoServer | null;
  let restoreEnv: () => void;
  let s3: S3Client;

  async function readState(key = "runs/pkg-1.2.3-canary-0001/state.json"): Promise<RunState> {
    const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return JSON.parse(await response.Body!.transformToString()) as RunState;
  }

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useFakeAwsEnv(moto?.endpoint);
    s3 = new S3Client(s3ClientConfig());
  });
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  it("starts one execution per group x Region with the right TargetLocations and records them", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const sent = automationStub(ssm);
    const event = baseEvent();

    const result = await startRollout(event, { ssm, s3 });

    expect(result).toEqual({ runId: "pkg-1.2.3-canary-0001", executions: 6, startErrors: 0 });
    expect(sent).toHaveLength(6);
    const groups = event.groups as string[][];
    const expectedLocations = groups.flatMap((group) =>
      ["us-east-1", "eu-west-1"].map((region) => [
        {
          Accounts: group,
          Regions: [region],
          ExecutionRoleName: "aft-fleet-automation-execution",
          TargetLocationMaxConcurrency: "10%",
          TargetLocationMaxErrors: "5",
        },
      ]),
    );
    expect(sent.map((command) => command.input.TargetLocations)).toEqual(expectedLocations);
    expect(sent.map((command) => (command.input.TargetLocations as { Accounts: string[] }[])[0]!.Accounts.length)).toEqual([50, 50, 50, 50, 20, 20]);
    for (const command of sent) {
      expect(command.input).toMatchObject({
        DocumentName: "aft-fleet-DistributePackage",
        Parameters: event.parameters,
        TargetParameterName: "InstanceId",
        Targets: event.targets,
      });
    }

    // "/runs/" must not produce "//" keys.
    const state = await readState();
    expect(state.runId).toBe("pkg-1.2.3-canary-0001");
    expect(state.homeRegion).toBe("us-east-1");
    expect(state.executions.map((record) => [record.group, record.region, record.accounts.length, record.executionId])).toEqual([
      [0, "us-east-1", 50, "exec-0001"],
      [0, "eu-west-1", 50, "exec-0002"],
      [1, "us-east-1", 50, "exec-0003"],
      [1, "eu-west-1", 50, "exec-0004"],
      [2, "us-east-1", 20, "exec-0005"],
      [2, "eu-west-1", 20, "exec-0006"],
    ]);
  });

  it("records a start failure, retries throttling, and a rerun starts only what did not start", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const sent = automationStub(ssm, (_command, index) => {
      if (index === 0) return awsError("ThrottlingException");
      if (index === 2) return awsError("InvalidAutomationExecutionParametersException", "role not found in eu-west-1");
      return undefined;
    });
    const { delays, sleep } = recordingSleep();
    const event = baseEvent({ groups: chunk(accounts(60), 50) });

    const first = await startRollout(event, { ssm, s3, backoff: { sleep, baseDelayMs: 10, random: () => 1 } });
    expect(first).toEqual({ runId: "pkg-1.2.3-canary-0001", executions: 3, startErrors: 1 });
    expect(delays).toEqual([10]);
    expect(sent).toHaveLength(5);
    let state = await readState();
    expect(state.executions[1]).toMatchObject({
      group: 0,
      region: "eu-west-1",
      startError: "InvalidAutomationExecutionParametersException: role not found in eu-west-1",
    });
    expect(state.executions[1]!.executionId).toBeUndefined();

    const rerunSsm = new SSMClient(clientConfig("us-east-1"));
    const rerunSent = automationStub(rerunSsm);
    const second = await startRollout(event, { ssm: rerunSsm, s3 });
    expect(second).toEqual({ runId: "pkg-1.2.3-canary-0001", executions: 4, startErrors: 0 });
    expect(rerunSent).toHaveLength(1);
    expect((rerunSent[0]!.input.TargetLocations as { Regions: string[] }[])[0]!.Regions).toEqual(["eu-west-1"]);
    state = await readState();
    expect(state.executions.map((record) => record.executionId)).toEqual(["exec-0002", "exec-0001", "exec-0004", "exec-0005"]);
  });

  it("keeps started executions in the state even when an unexpected error aborts the run", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    let calls = 0;
    stubSend(ssm, () => {
      calls++;
      if (calls === 2) return {}; // no id: recorded as a start error, the run continues
      return { AutomationExecutionId: `exec-${calls}` };
    });
    const result = await startRollout(baseEvent({ groups: [accounts(2)], summaryPrefix: "" }), { ssm, s3 });
    expect(result).toEqual({ runId: "pkg-1.2.3-canary-0001", executions: 1, startErrors: 1 });
    const state = await readState("pkg-1.2.3-canary-0001/state.json");
    expect(state.executions.map((record) => record.executionId ?? record.startError)).toEqual([
      "exec-1",
      "Error: StartAutomationExecution returned no AutomationExecutionId",
    ]);
  });

  it("writes nothing for a state object it cannot read back", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "runs/pkg-1.2.3-canary-0001/state.json", Body: "not json" }));
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const sent = automationStub(ssm);
    await expect(startRollout(baseEvent(), { ssm, s3 })).rejects.toThrow(SyntaxError);
    expect(sent).toHaveLength(0);
  });
});

describe("start-rollout event validation", () => {
  let restoreEnv: () => void;
  beforeAll(() => {
    restoreEnv = useFakeAwsEnv();
  });
  afterAll(() => restoreEnv());

  const run = (overrides: Record<string, unknown>): Promise<unknown> => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const s3 = new S3Client(s3ClientConfig());
    const sent = [...stubSend(ssm, () => ({})), ...stubSend(s3, () => ({}))];
    return startRollout(baseEvent(overrides), { ssm, s3 }).then(
      () => {
        throw new Error(`accepted; sent ${sent.length} commands`);
      },
      (error: unknown) => error,
    );
  };

  it.each(["1", "10", "1%", "50%", "99%", "100%"])("accepts maxConcurrency %s", async (value) => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const s3 = new S3Client(s3ClientConfig());
    stubSend(ssm, () => ({ AutomationExecutionId: "exec" }));
    stubSend(s3, (command) => {
      if (command.name === "GetObject") throw awsError("NoSuchKey");
      return {};
    });
    await expect(startRollout(baseEvent({ maxConcurrency: value, groups: [accounts(1)] }), { ssm, s3 })).resolves.toMatchObject({ executions: 2 });
  });

  it.each([
    ["maxConcurrency", "0", "maxConcurrency"],
    ["maxConcurrency", "0%", "maxConcurrency"],
    ["maxConcurrency", "101%", "maxConcurrency"],
    ["maxConcurrency", "05", "maxConcurrency"],
    ["maxConcurrency", "all", "maxConcurrency"],
    ["maxErrors", "-1", "maxErrors"],
    ["maxErrors", "00", "maxErrors"],
    ["maxErrors", "101%", "maxErrors"],
    ["maxErrors", "5 ", "maxErrors"],
    ["runId", "../escape", "runId"],
    ["runId", "..", "runId"],
    ["regions", [], "regions"],
    ["groups", [[]], "groups[0]"],
    ["groups", [accounts(50), accounts(51)], "groups[1]"],
    ["groups", [["12345678901x"]], "groups[0][0]"],
    ["executionRoleName", "a".repeat(65), "executionRoleName"],
    ["summaryPrefix", "runs//x", "summaryPrefix"],
    ["bucket", "Bad_Bucket", "bucket"],
    ["parameters", { version: "1.2.3" }, "parameters.version"],
    ["parameters", ["x"], "parameters"],
    ["targets", [{ Key: "tag:x" }], "targets[0].Values"],
    ["targets", ["tag:x"], "targets[0]"],
  ])("rejects a bad %s (case %#)", async (field, value, errorField) => {
    const error = await run({ [field]: value });
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(errorField);
  });

  it.each(["0", "0%", "9%", "10", "100%"])("accepts maxErrors %s", async (value) => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const s3 = new S3Client(s3ClientConfig());
    stubSend(ssm, () => ({ AutomationExecutionId: "exec" }));
    stubSend(s3, (command) => {
      if (command.name === "GetObject") throw awsError("NoSuchKey");
      return {};
    });
    await expect(startRollout(baseEvent({ maxErrors: value, groups: [accounts(1)] }), { ssm, s3 })).resolves.toMatchObject({ executions: 2 });
  });

  it("treats empty optional fields from runbook templates as absent", async () => {
    const ssm = new SSMClient(clientConfig("us-east-1"));
    const s3 = new S3Client(s3ClientConfig());
    const sent = stubSend(ssm, () => ({ AutomationExecutionId: "exec" }));
    stubSend(s3, (command) => {
      if (command.name === "GetObject") throw awsError("NoSuchKey");
      return {};
    });
    const event = baseEvent({ targetParameterName: "", targets: [], homeRegion: "", parameters: null, groups: [accounts(1)], regions: ["us-east-1"] });
    await expect(startRollout(event, { ssm, s3 })).resolves.toMatchObject({ executions: 1 });
    expect(sent[0]!.input).toMatchObject({ Parameters: {}, TargetParameterName: undefined, Targets: undefined });
  });

  it("requires targets and targetParameterName together", async () => {
    const error = await run({ targets: undefined });
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe("targets");
  });
});
