/**
 * Kind asg-image: the per-pair operation against stubs of the three member clients. moto 5.2.1
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
 * The last block runs the kind end to end through the handler (moto for S3, STS and Organizations; these
 * stubs per member account and Region behind the assumed role): ring order, the campaign reached, and a
 * retry that leaves the groups already done alone.
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SSMClient } from "@aws-sdk/client-ssm";
import { ASG_IMAGE_JOB, ledgerKey, ringSpecKey, runObjectKey, type AsgImageRingSpec, type ControllerEvent, type ImageGroupStep, type RingLedger, type RingTargets, type RunSummary } from "../../contract";
import { runStep } from "../../lambdas/controller";
import { advanceImageGroup, imagePairOutcome, startImageGroups, type ImageClients } from "../../lambdas/controller/job-asg-image";
import { motoAvailable } from "../helpers/moto";
import { useControllerWorld } from "./controller-world";
import { PatchingSchema, resolvePatching } from "../../modules/config/patching";
import type { ConfigIssue } from "../../modules/config/errors";
import { awsError, stubSend } from "./stub";

const IMAGE: AsgImageRingSpec["image"] = { tagKey: "environment", tagValues: ["Default", "Dev", "Prod"], healthyPercentage: 75, instanceProfileName: "ImageBuilder", automationRoleName: "ImageAutomation" };
const MEMBER = { account: "333333333333", partition: "aws" };

interface GroupSpec {
  readonly name: string;
  /** Launch template id (its version 1 holds `ami`), or a launch configuration name. */
  readonly template?: string;
  readonly launchConfiguration?: string;
  readonly ami?: string;
}

const DEFAULT_GROUPS: readonly GroupSpec[] = [
  { name: "web", template: "lt-0123456789abcdef0", ami: "ami-0aaaaaaaaaaaaaaa1" },
  { name: "legacy", launchConfiguration: "legacy-lc" },
];

/** One member account and Region: its groups, launch templates, automations and instance refreshes. */
function world(groups: readonly GroupSpec[] = DEFAULT_GROUPS) {
  const templates = new Map<string, { versions: Map<number, string>; defaultVersion: number }>();
  for (const g of groups) if (g.template) templates.set(g.template, { versions: new Map([[1, g.ami!]]), defaultVersion: 1 });
  const templateOf = (id: unknown) => {
    const t = templates.get(id as string);
    if (!t) throw awsError("InvalidLaunchTemplateId.NotFound");
    return t;
  };
  const first = templates.values().next().value!;
  const automations = new Map<string, { status: string; sourceAmi: string; outputs?: Record<string, string[]> }>();
  const refreshes: { id: string; group: string; status: string; min: number }[] = [];
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
      automations.set(id, { status: "InProgress", sourceAmi: p.SourceAmiId[0] });
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
      const t = templateOf(input.LaunchTemplateId);
      const v = (input.Versions as string[])[0];
      const n = v === "$Default" ? t.defaultVersion : v === "$Latest" ? Math.max(...t.versions.keys()) : Number(v);
      return { LaunchTemplateVersions: [{ LaunchTemplateId: input.LaunchTemplateId, VersionNumber: n, LaunchTemplateData: { ImageId: t.versions.get(n) } }] };
    }
    if (name === "DescribeImages") return { Images: [{ ImageId: (input.ImageIds as string[])[0] }] };
    if (name === "CreateLaunchTemplateVersion") {
      const t = templateOf(input.LaunchTemplateId);
      if (!t.versions.has(Number(input.SourceVersion))) throw awsError("InvalidLaunchTemplateVersion.NotFound");
      if (t.versions.size >= 10_000) throw awsError("VersionLimitExceeded");
      const n = Math.max(...t.versions.keys()) + 1;
      t.versions.set(n, (input.LaunchTemplateData as { ImageId: string }).ImageId);
      return { LaunchTemplateVersion: { LaunchTemplateId: input.LaunchTemplateId, VersionNumber: n } };
    }
    if (name === "ModifyLaunchTemplate") {
      const t = templateOf(input.LaunchTemplateId);
      if (!t.versions.has(Number(input.DefaultVersion))) throw awsError("InvalidLaunchTemplateVersion.NotFound");
      t.defaultVersion = Number(input.DefaultVersion);
      return {};
    }
    throw new Error(`unexpected ${name}`);
  });
  const asg = stubSend(clients.autoScaling, ({ name, input }) => {
    if (name === "DescribeAutoScalingGroups") {
      const filter = (input.Filters as { Name: string; Values: string[] }[])[0]!;
      expect(filter.Values.length).toBeLessThanOrEqual(5);
      return {
        AutoScalingGroups: groups.map((g) =>
          g.template ? { AutoScalingGroupName: g.name, LaunchTemplate: { LaunchTemplateId: g.template, Version: "$Default" } } : { AutoScalingGroupName: g.name, LaunchConfigurationName: g.launchConfiguration },
        ),
      };
    }
    if (name === "StartInstanceRefresh") {
      const min = (input.Preferences as { MinHealthyPercentage: number }).MinHealthyPercentage;
      if (min < 0 || min > 100) throw awsError("ValidationError");
      // One refresh at a time per group (StartInstanceRefresh Errors: InstanceRefreshInProgress).
      if (refreshes.some((r) => r.group === input.AutoScalingGroupName && r.status === "InProgress")) throw awsError("InstanceRefreshInProgress");
      const id = `refresh-${refreshes.length + 1}`;
      refreshes.push({ id, group: input.AutoScalingGroupName as string, status: "InProgress", min });
      return { InstanceRefreshId: id };
    }
    if (name === "DescribeInstanceRefreshes") return { InstanceRefreshes: refreshes.filter((r) => (input.InstanceRefreshIds as string[]).includes(r.id)).map((r) => ({ InstanceRefreshId: r.id, Status: r.status })) };
    throw new Error(`unexpected ${name}`);
  });
  /** Ends every automation still in progress: Success with a patched AMI, or `status` for those of `failing` AMIs. */
  const finishAutomations = (failing: readonly string[] = []) => {
    for (const a of automations.values()) {
      if (a.status !== "InProgress") continue;
      if (failing.includes(a.sourceAmi)) a.status = "Failed";
      else [a.status, a.outputs] = ["Success", { "createImage.ImageId": [`ami-0patched${a.sourceAmi.slice(-8)}`] }];
    }
  };
  const finishRefreshes = () => refreshes.forEach((r) => (r.status = r.status === "InProgress" ? "Successful" : r.status));
  return { clients, templates, versions: first.versions, automations, refreshes, ssm, ec2, asg, defaultVersion: () => first.defaultVersion, finishAutomations, finishRefreshes };
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
  it("a retry keeps the groups that already succeeded at this campaign and starts an automation only for the others; a kept group no longer found is dropped", async () => {
    const w = world([
      { name: "api", template: "lt-0aaaaaaaaaaaaaaa2", ami: "ami-0ccccccccccccccc3" },
      { name: "web", template: "lt-0123456789abcdef0", ami: "ami-0aaaaaaaaaaaaaaa1" },
    ]);
    const web: ImageGroupStep = { group: "web", phase: "Succeeded", launchTemplateId: "lt-0123456789abcdef0", newVersion: "2", instanceRefreshId: "refresh-9" };
    const gone: ImageGroupStep = { group: "gone", phase: "Succeeded" };
    const steps = await startImageGroups(w.clients, IMAGE, MEMBER, {}, new Map([["web", web], ["gone", gone]]));
    expect(steps.map((s) => [s.group, s.phase])).toEqual([["api", "Automation"], ["web", "Succeeded"]]);
    expect(steps[1]).toBe(web);
    const started = w.ssm.filter((c) => c.name === "StartAutomationExecution");
    expect(started.map((c) => (c.input.Parameters as Record<string, string[]>).SourceAmiId)).toEqual([["ami-0ccccccccccccccc3"]]);
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
    // Auto Scaling rings patch groups tagged with a configured window's environment: one is needed.
    const { patching, issues } = resolve({ environments: { Dev: {} }, autoScaling: { campaign: "images-1", instanceProfile: "ImageBuilder", automationRole: "ImageAutomation", rings: [{ name: "first", targets: "canary" }] } });
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

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto("asg-image through the handler: ring order, campaign reached, retries (moto + stubs)", () => {
  const BUCKET = "aft-fleet-store-asg";
  const CAMPAIGN = "images-0001";
  const NOW = new Date("2026-11-20T10:00:00.000Z");
  const forever = { getRemainingTimeInMillis: () => 200_000 };
  const GROUPS: readonly GroupSpec[] = [
    { name: "api", template: "lt-0aaaaaaaaaaaaaaa2", ami: "ami-0ccccccccccccccc3" },
    { name: "web", template: "lt-0123456789abcdef0", ami: "ami-0aaaaaaaaaaaaaaa1" },
  ];
  const cw = useControllerWorld(BUCKET);
  /** `<account>:<region>` -> that member's image world, made when the handler first asks for its clients. */
  const members = new Map<string, ReturnType<typeof world>>();

  beforeEach(() => {
    members.clear();
    const memberSsm = cw.deps.memberSsm!;
    cw.deps = {
      ...cw.deps,
      memberImageClients: async (account, region, runId) => {
        // Assume the member role for real (moto STS), then talk to the stubbed EC2 / Auto Scaling / Automation.
        await memberSsm(account, region, runId);
        const key = `${account}:${region}`;
        if (!members.has(key)) members.set(key, world(GROUPS));
        return members.get(key)!.clients;
      },
    };
  });

  const firstTargets = (): RingTargets => ({ accounts: [cw.accounts[0]!], organizationalUnits: [] });
  const spec = (ring: string, index: number, overrides: Partial<AsgImageRingSpec> = {}): AsgImageRingSpec => ({
    schemaVersion: 1,
    kind: "asg-image",
    package: ASG_IMAGE_JOB,
    ring,
    ringIndex: index,
    release: CAMPAIGN,
    targets: index === 0 ? firstTargets() : { accounts: [], organizationalUnits: [cw.ouId] },
    earlierRingTargets: index === 0 ? [] : [firstTargets()],
    ...(index === 0 ? {} : { previous: { name: "first", bakeSeconds: 0, alarms: [], maxErrors: "0" } }),
    regions: ["eu-west-1"],
    managementAccount: "123456789012",
    organizationId: "o-exampleorgid",
    alarms: [],
    maxConcurrency: "100%",
    maxErrors: "1",
    image: IMAGE,
    ...overrides,
  });
  const event = (ring: string) => (step: ControllerEvent["step"], runId: string): ControllerEvent => ({ step, runId, bucket: BUCKET, specKey: ringSpecKey(ASG_IMAGE_JOB, ring) });
  const calls = (name: string, account?: string) =>
    [...members.entries()].filter(([key]) => account === undefined || key.startsWith(`${account}:`)).flatMap(([, m]) => [...m.ssm, ...m.ec2, ...m.asg].filter((c) => c.name === name));
  const member = (account: string) => members.get(`${account}:eu-west-1`)!;

  it("the second ring waits until the first reached the campaign; each pair patches its groups' images, makes them default and refreshes", async () => {
    await cw.putJson(ringSpecKey(ASG_IMAGE_JOB, "first"), spec("first", 0));
    await cw.putJson(ringSpecKey(ASG_IMAGE_JOB, "second"), spec("second", 1));
    const [a0, a1] = cw.accounts as [string, string];

    const second = event("second");
    // Plan ends the run with the gate in its summary: nothing to apply.
    expect((await runStep(second("plan", "second-1"), cw.deps, NOW, forever)).status).toBe("Done");
    expect((await cw.readJson<RunSummary>(runObjectKey("second-1", "summary.json")))!.gate).toContain(`waiting for ring first to reach ${CAMPAIGN}`);
    expect(members.size).toBe(0);

    const first = event("first");
    expect((await runStep(first("plan", "first-1"), cw.deps, NOW, forever)).status).toBe("Continue");
    expect((await runStep(first("apply", "first-1"), cw.deps, NOW, forever)).status).toBe("Continue");
    expect([...members.keys()]).toEqual([`${a0}:eu-west-1`]);
    expect(calls("StartAutomationExecution").map((c) => (c.input.Parameters as Record<string, string[]>).AutomationAssumeRole)).toEqual([
      [`arn:aws:iam::${a0}:role/ImageAutomation`],
      [`arn:aws:iam::${a0}:role/ImageAutomation`],
    ]);
    let ledger = (await cw.readJson<RingLedger>(ledgerKey(ASG_IMAGE_JOB, "first")))!;
    expect(ledger.pairs[`${a0}:eu-west-1`]).toMatchObject({ status: "Pending", wanted: CAMPAIGN, groups: [{ group: "api", phase: "Automation" }, { group: "web", phase: "Automation" }] });

    member(a0).finishAutomations();
    expect((await runStep(first("apply", "first-1"), cw.deps, NOW, forever)).status).toBe("Continue");
    expect(calls("CreateLaunchTemplateVersion")).toHaveLength(2);
    expect([...member(a0).templates.values()].map((t) => t.defaultVersion)).toEqual([2, 2]);
    expect(calls("StartInstanceRefresh").map((c) => c.input)).toEqual([
      { AutoScalingGroupName: "api", Preferences: { MinHealthyPercentage: 75 } },
      { AutoScalingGroupName: "web", Preferences: { MinHealthyPercentage: 75 } },
    ]);

    member(a0).finishRefreshes();
    expect((await runStep(first("apply", "first-1"), cw.deps, NOW, forever)).status).toBe("Done");
    await runStep(first("summarize", "first-1"), cw.deps, NOW, forever);
    ledger = (await cw.readJson<RingLedger>(ledgerKey(ASG_IMAGE_JOB, "first")))!;
    expect(ledger.pairs[`${a0}:eu-west-1`]).toMatchObject({ status: "Succeeded", applied: CAMPAIGN });
    expect(ledger.reached[CAMPAIGN]).toBeDefined();

    // Now the second ring (the OU: both accounts; the first ring's account belongs to the first ring).
    expect((await runStep(second("plan", "second-2"), cw.deps, NOW, forever)).status).toBe("Continue");
    await runStep(second("apply", "second-2"), cw.deps, NOW, forever);
    expect(calls("StartAutomationExecution", a1)).toHaveLength(2);
    expect(calls("StartAutomationExecution", a0)).toHaveLength(2);

    // The same campaign again in the first ring: nothing to do, no call to any member.
    const before = calls("StartAutomationExecution").length;
    expect((await runStep(first("plan", "first-2"), cw.deps, NOW, forever)).status).toBe("Done");
    expect(calls("StartAutomationExecution")).toHaveLength(before);
  });

  it("a pair with one failed group is retried next run for that group only: the group that succeeded is not patched or refreshed again", async () => {
    await cw.putJson(ringSpecKey(ASG_IMAGE_JOB, "first"), spec("first", 0));
    const [a0] = cw.accounts as [string];
    const first = event("first");
    await runStep(first("plan", "run-1"), cw.deps, NOW, forever);
    await runStep(first("apply", "run-1"), cw.deps, NOW, forever);
    member(a0).finishAutomations(["ami-0ccccccccccccccc3"]); // api's automation fails, web's succeeds
    await runStep(first("apply", "run-1"), cw.deps, NOW, forever);
    member(a0).finishRefreshes();
    expect((await runStep(first("apply", "run-1"), cw.deps, NOW, forever)).status).toBe("Done");
    await runStep(first("summarize", "run-1"), cw.deps, NOW, forever);
    const failed = (await cw.readJson<RingLedger>(ledgerKey(ASG_IMAGE_JOB, "first")))!.pairs[`${a0}:eu-west-1`]!;
    expect(failed).toMatchObject({ status: "Failed", attempts: 1 });
    expect(failed.error).toContain("api (automation exec-1 Failed)");
    expect(calls("StartInstanceRefresh").map((c) => c.input.AutoScalingGroupName)).toEqual(["web"]);

    // Next run: only api starts again; web keeps its step, gets no new automation, version or refresh.
    expect((await runStep(first("plan", "run-2"), cw.deps, NOW, forever)).status).toBe("Continue");
    await runStep(first("apply", "run-2"), cw.deps, NOW, forever);
    const started = calls("StartAutomationExecution").map((c) => (c.input.Parameters as Record<string, string[]>).SourceAmiId![0]);
    expect(started).toEqual(["ami-0ccccccccccccccc3", "ami-0aaaaaaaaaaaaaaa1", "ami-0ccccccccccccccc3"]);
    member(a0).finishAutomations();
    await runStep(first("apply", "run-2"), cw.deps, NOW, forever);
    member(a0).finishRefreshes();
    expect((await runStep(first("apply", "run-2"), cw.deps, NOW, forever)).status).toBe("Done");
    await runStep(first("summarize", "run-2"), cw.deps, NOW, forever);
    expect(calls("StartInstanceRefresh").map((c) => c.input.AutoScalingGroupName)).toEqual(["web", "api"]);
    expect(calls("CreateLaunchTemplateVersion").map((c) => c.input.LaunchTemplateId)).toEqual(["lt-0123456789abcdef0", "lt-0aaaaaaaaaaaaaaa2"]);
    const done = (await cw.readJson<RingLedger>(ledgerKey(ASG_IMAGE_JOB, "first")))!.pairs[`${a0}:eu-west-1`]!;
    expect(done).toMatchObject({ status: "Succeeded", applied: CAMPAIGN, attempts: 2 });
    expect(done.groups!.map((g) => [g.group, g.phase])).toEqual([["api", "Succeeded"], ["web", "Succeeded"]]);

    // A new campaign patches every group again (attempts start over, nothing is carried).
    await cw.putJson(ringSpecKey(ASG_IMAGE_JOB, "first"), spec("first", 0, { release: "images-0002" }));
    await runStep(first("plan", "run-3"), cw.deps, NOW, forever);
    await runStep(first("apply", "run-3"), cw.deps, NOW, forever);
    expect(calls("StartAutomationExecution")).toHaveLength(5);
  });
});
