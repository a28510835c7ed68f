/**
 * Kind asg-image (issue #10): the per-pair operation against stubs of the three member clients. moto 5.2.1
 * has launch templates and Auto Scaling groups but no StartInstanceRefresh / DescribeInstanceRefreshes and no
 * Automation executions, so the stubs answer every call and enforce what the API references document:
 * - StartAutomationExecution: only AWS-UpdateLinuxAmi / AWS-UpdateWindowsAmi exist here; SourceAmiId and
 *   IamInstanceProfileName are required, AutomationAssumeRole must be a role ARN; other parameters:
 *   InvalidAutomationExecutionParametersException (Automation runbook reference for both runbooks;
 *   StartAutomationExecution Errors).
 * - CreateLaunchTemplateVersion: SourceVersion must exist, at most 10,000 versions per template (EC2 User Guide,
 *   launch template versions); ModifyLaunchTemplate DefaultVersion must exist (API reference).
 * - StartInstanceRefresh: MinHealthyPercentage 0-100 (RefreshPreferences); a refresh in progress:
 *   InstanceRefreshInProgress (StartInstanceRefresh Errors).
 * Ring order, gates, ledger and summary are the shared machinery's (controller-jobs.test.ts covers them for the
 * other job kinds).
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { AsgImageRingSpec, ImageGroupStep } from "../../contract";
import { advanceImageGroup, imagePairOutcome, startImageGroups, type ImageClients } from "../../lambdas/controller/job-asg-image";
import { PatchingSchema, resolvePatching } from "../../modules/config/patching";
import type { ConfigIssue } from "../../modules/config/errors";
import { awsError, stubSend } from "./stub";

const IMAGE: AsgImageRingSpec["image"] = { tagKey: "environment", tagValues: ["Default", "Dev", "Prod"], healthyPercentage: 75, instanceProfileName: "ImageBuilder", automationRoleName: "ImageAutomation" };
const MEMBER = { account: "333333333333", partition: "aws" };

function world() {
  const versions = new Map<number, string>([[1, "ami-0aaaaaaaaaaaaaaa1"]]);
  let defaultVersion = 1;
  const automations = new Map<string, { status: string; outputs?: Record<string, string[]> }>();
  const refreshes: { id: string; status: string; min: number }[] = [];
  const region = { region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } };
  const clients: ImageClients = { ssm: new SSMClient(region), ec2: new EC2Client(region), autoScaling: new AutoScalingClient(region) };
  const ssm = stubSend(clients.ssm, ({ name, input }) => {
    if (name === "StartAutomationExecution") {
      if (!["AWS-UpdateLinuxAmi", "AWS-UpdateWindowsAmi"].includes(input.DocumentName as string)) throw awsError("AutomationDefinitionNotFoundException");
      const p = input.Parameters as Record<string, string[]>;
      const known = ["SourceAmiId", "IamInstanceProfileName", "AutomationAssumeRole", "TargetAmiName", "InstanceType", "SubnetId"];
      if (!p.SourceAmiId?.[0] || !p.IamInstanceProfileName?.[0] || Object.keys(p).some((k) => !known.includes(k))) throw awsError("InvalidAutomationExecutionParametersException");
      if (!/^arn:aws:iam::\d{12}:role\/.+$/.test(p.AutomationAssumeRole?.[0] ?? "")) throw awsError("InvalidAutomationExecutionParametersException");
      const id = `exec-${automations.size + 1}`;
      automations.set(id, { status: "InProgress" });
      return { AutomationExecutionId: id };
    }
    if (name === "GetAutomationExecution") {
      const a = automations.get(input.AutomationExecutionId as string);
      if (!a) throw awsError("AutomationExecutionNotFoundException");
      return { AutomationExecution: { AutomationExecutionId: input.AutomationExecutionId, AutomationExecutionStatus: a.status, Outputs: a.outputs } };
    }
    throw new Error(`unexpected ${name}`);
  });
  const ec2 = stubSend(clients.ec2, ({ name, input }) => {
    if (name === "DescribeLaunchTemplateVersions") {
      const v = (input.Versions as string[])[0];
      const n = v === "$Default" ? defaultVersion : v === "$Latest" ? Math.max(...versions.keys()) : Number(v);
      return { LaunchTemplateVersions: [{ LaunchTemplateId: "lt-0123456789abcdef0", VersionNumber: n, LaunchTemplateData: { ImageId: versions.get(n) } }] };
    }
    if (name === "DescribeImages") return { Images: [{ ImageId: (input.ImageIds as string[])[0] }] };
    if (name === "CreateLaunchTemplateVersion") {
      if (!versions.has(Number(input.SourceVersion))) throw awsError("InvalidLaunchTemplateVersion.NotFound");
      if (versions.size >= 10_000) throw awsError("VersionLimitExceeded");
      const n = Math.max(...versions.keys()) + 1;
      versions.set(n, (input.LaunchTemplateData as { ImageId: string }).ImageId);
      return { LaunchTemplateVersion: { LaunchTemplateId: input.LaunchTemplateId, VersionNumber: n } };
    }
    if (name === "ModifyLaunchTemplate") {
      if (!versions.has(Number(input.DefaultVersion))) throw awsError("InvalidLaunchTemplateVersion.NotFound");
      defaultVersion = Number(input.DefaultVersion);
      return {};
    }
    throw new Error(`unexpected ${name}`);
  });
  const asg = stubSend(clients.autoScaling, ({ name, input }) => {
    if (name === "DescribeAutoScalingGroups") {
      const filter = (input.Filters as { Name: string; Values: string[] }[])[0]!;
      expect(filter.Values.length).toBeLessThanOrEqual(5);
      return {
        AutoScalingGroups: [
          { AutoScalingGroupName: "web", LaunchTemplate: { LaunchTemplateId: "lt-0123456789abcdef0", Version: "$Default" } },
          { AutoScalingGroupName: "legacy", LaunchConfigurationName: "legacy-lc" },
        ],
      };
    }
    if (name === "StartInstanceRefresh") {
      const min = (input.Preferences as { MinHealthyPercentage: number }).MinHealthyPercentage;
      if (min < 0 || min > 100) throw awsError("ValidationError");
      if (refreshes.some((r) => r.status === "InProgress")) throw awsError("InstanceRefreshInProgress");
      const id = `refresh-${refreshes.length + 1}`;
      refreshes.push({ id, status: "InProgress", min });
      return { InstanceRefreshId: id };
    }
    if (name === "DescribeInstanceRefreshes") return { InstanceRefreshes: refreshes.filter((r) => (input.InstanceRefreshIds as string[]).includes(r.id)).map((r) => ({ InstanceRefreshId: r.id, Status: r.status })) };
    throw new Error(`unexpected ${name}`);
  });
  return { clients, versions, automations, refreshes, ssm, ec2, asg, defaultVersion: () => defaultVersion };
}

describe("asg-image: patched launch template images and instance refreshes", () => {
  it("a group with a launch template gets a new version with the patched AMI (made default) and a refresh with the healthy percentage; a launch configuration group is Skipped with the reason", async () => {
    const w = world();
    let steps: ImageGroupStep[] = await startImageGroups(w.clients, IMAGE, MEMBER);
    expect(steps.find((s) => s.group === "legacy")).toEqual({ group: "legacy", phase: "Skipped", reason: "uses launch configuration legacy-lc, not a launch template" });
    expect(w.ssm.find((c) => c.name === "StartAutomationExecution")!.input).toEqual({
      DocumentName: "AWS-UpdateLinuxAmi",
      Parameters: { SourceAmiId: ["ami-0aaaaaaaaaaaaaaa1"], IamInstanceProfileName: ["ImageBuilder"], AutomationAssumeRole: ["arn:aws:iam::333333333333:role/ImageAutomation"] },
    });
    expect(imagePairOutcome(steps).status).toBe("Pending");

    const advance = async () => (steps = await Promise.all(steps.map((s) => advanceImageGroup(w.clients, IMAGE, s))));
    await advance();
    expect(steps.find((s) => s.group === "web")!.phase).toBe("Automation");
    w.automations.get("exec-1")!.status = "Success";
    w.automations.get("exec-1")!.outputs = { "createImage.ImageId": ["ami-0bbbbbbbbbbbbbbb2"] };
    await advance();
    expect(w.ec2.find((c) => c.name === "CreateLaunchTemplateVersion")!.input).toMatchObject({ LaunchTemplateId: "lt-0123456789abcdef0", SourceVersion: "1", LaunchTemplateData: { ImageId: "ami-0bbbbbbbbbbbbbbb2" } });
    expect(w.versions.get(2)).toBe("ami-0bbbbbbbbbbbbbbb2");
    expect(w.defaultVersion()).toBe(2);
    expect(w.asg.find((c) => c.name === "StartInstanceRefresh")!.input).toEqual({ AutoScalingGroupName: "web", Preferences: { MinHealthyPercentage: 75 } });
    expect(steps.find((s) => s.group === "web")).toMatchObject({ phase: "Refresh", newVersion: "2", instanceRefreshId: "refresh-1" });

    w.refreshes[0]!.status = "Successful";
    await advance();
    expect(imagePairOutcome(steps)).toEqual({ status: "Succeeded", note: "skipped: legacy (uses launch configuration legacy-lc, not a launch template)" });
  });

  it("a failed automation or refresh fails the group (and the pair) with the reason", async () => {
    const w = world();
    let [web] = (await startImageGroups(w.clients, IMAGE, MEMBER)).filter((s) => s.group === "web");
    w.automations.get("exec-1")!.status = "Failed";
    web = await advanceImageGroup(w.clients, IMAGE, web!);
    expect(web).toMatchObject({ phase: "Failed", reason: "automation exec-1 Failed" });
    expect(imagePairOutcome([web]).status).toBe("Failed");
  });
});

describe("patching config: autoScaling and the environment tag's 50 values", () => {
  const org = { centralAccount: "222222222222", homeRegion: "us-east-1", targetGroups: { canary: { accounts: ["333333333333"], organizationalUnits: [], instanceTags: {} } } };
  const resolve = (raw: unknown) => {
    const issues: ConfigIssue[] = [];
    const patching = resolvePatching(PatchingSchema.parse(raw), org as never, issues);
    return { patching, issues };
  };

  it("autoScaling resolves with healthyPercentage 90 by default; absent means nothing", () => {
    const { patching, issues } = resolve({ autoScaling: { campaign: "images-1", instanceProfile: "ImageBuilder", automationRole: "ImageAutomation", rings: [{ name: "first", targets: "canary" }] } });
    expect(issues).toEqual([]);
    expect(patching!.autoScaling).toMatchObject({ campaign: "images-1", healthyPercentage: 90, rings: [{ name: "first", maxConcurrency: "10%", maxErrors: "0", bakeSeconds: 0 }] });
    expect(resolve({}).patching!.autoScaling).toBeUndefined();
    expect(PatchingSchema.safeParse({ autoScaling: { campaign: "images-1", healthyPercentage: 101, instanceProfile: "p", automationRole: "r", rings: [{ name: "a", targets: "canary" }] } }).success).toBe(false);
  });

  it("at most 49 environments (Default plus the environments: 50 values of the environment tag)", () => {
    const envs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`E${String(i).padStart(2, "0")}`, { operation: "Scan" }]));
    expect(resolve({ environments: envs(49) }).issues).toEqual([]);
    const { issues } = resolve({ environments: envs(50) });
    expect(issues).toEqual([expect.objectContaining({ path: "patching.environments.E49", value: "50 environments" })]);
  });
});
