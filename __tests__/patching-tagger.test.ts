/**
 * The tagging runbook's script (how untagged nodes reach the default window, when tagUntagged is enabled), run as emitted
 * (the Script of the synthesized YAML runbook) with the moto venv's python and boto3 against moto's EC2.
 * It must tag every live instance without the environment tag, in batches, and leave alone instances
 * that have the tag (any value, the opt-out value included), instances of Auto Scaling groups, EKS and
 * ECS, and terminated ones. What IAM enforces (only environment=Default, only on instances without the
 * tag) is asserted on the policy in patching.test.ts; moto does not evaluate IAM.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, type Tag } from "@aws-sdk/client-ec2";
import YAML from "yaml";
import { taggerRunbook } from "../modules/patching";
import { findMotoServer, motoAvailable, startMoto, useFakeAwsEnv, type MotoServer } from "./helpers/moto";

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("tagging runbook script against moto EC2", () => {
  let moto: MotoServer | null;
  let restore: () => void;
  let ec2: EC2Client;
  let script: string;
  const python = () => path.join(path.dirname(findMotoServer()!), "python");

  beforeAll(async () => {
    moto = await startMoto();
    restore = useFakeAwsEnv(moto!.endpoint);
    ec2 = new EC2Client({ region: "us-east-1" });
    const step = YAML.parse(taggerRunbook()).mainSteps[0];
    script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-tagger-")), "script.py");
    fs.writeFileSync(script, step.inputs.Script);
  }, 60_000);
  afterAll(async () => {
    restore?.();
    await moto?.stop();
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  });

  const launch = async (count: number, tags: Tag[] = []): Promise<string[]> => {
    const out = await ec2.send(
      new RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: count, MaxCount: count, ...(tags.length ? { TagSpecifications: [{ ResourceType: "instance", Tags: tags }] } : {}) }),
    );
    return out.Instances!.map((i) => i.InstanceId!);
  };
  const run = (): { taggedCount: number; tagged: string[]; leftManagedCount: number; leftManaged: string[] } => {
    const code = "import json, runpy, sys; print(json.dumps(runpy.run_path(sys.argv[1])['handler']({'TagKey': 'environment', 'TagValue': 'Default'}, None)))";
    return JSON.parse(execFileSync(python(), ["-c", code, script], { env: { ...process.env, AWS_ENDPOINT_URL: moto!.endpoint }, encoding: "utf8" }));
  };
  const tagsOf = async (): Promise<Map<string, Record<string, string>>> => {
    const out = new Map<string, Record<string, string>>();
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ ...(token ? { NextToken: token } : {}) }));
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) out.set(i.InstanceId!, Object.fromEntries((i.Tags ?? []).map((t) => [t.Key!, t.Value!])));
      token = page.NextToken;
    } while (token);
    return out;
  };

  it("tags live untagged instances environment=Default (more than one CreateTags batch), leaves tagged, managed and terminated ones alone, and is idempotent", async () => {
    const plain = await launch(130, [{ Key: "Name", Value: "plain" }]);
    const [stopped] = await launch(1);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped!] }));
    const [terminated] = await launch(1);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated!] }));
    const prod = await launch(1, [{ Key: "environment", Value: "Prod" }]);
    const optOut = await launch(1, [{ Key: "environment", Value: "opt-out" }]);
    const eks = await launch(1, [{ Key: "kubernetes.io/cluster/prod", Value: "owned" }]);
    const ecs = await launch(1, [{ Key: "AmazonECSManaged", Value: "" }]);
    const nodegroup = await launch(1, [{ Key: "eks:nodegroup-name", Value: "ng-1" }]);

    const first = run();
    // Counts are complete; the listed ids are the first 50 (the step's output stays bounded at any fleet size).
    expect(first.taggedCount).toBe(131);
    expect(first.tagged).toEqual([...plain, stopped!].sort().slice(0, 50));
    expect(first.leftManagedCount).toBe(3);
    expect(first.leftManaged).toEqual([...eks, ...ecs, ...nodegroup].sort());
    const tags = await tagsOf();
    for (const id of [...plain, stopped!]) expect(tags.get(id)!.environment).toBe("Default");
    expect(tags.get(plain[0]!)!.Name).toBe("plain");
    expect(tags.get(prod[0]!)!.environment).toBe("Prod");
    expect(tags.get(optOut[0]!)!.environment).toBe("opt-out");
    for (const id of [terminated!, ...eks, ...ecs, ...nodegroup]) expect(tags.get(id)!.environment).toBeUndefined();

    expect(run()).toEqual({ taggedCount: 0, tagged: [], leftManagedCount: 3, leftManaged: first.leftManaged });
  }, 60_000);
});
