/*
 * Rollout v2 constructs: the global tree holds only the execution role, exactly scoped; the central
 * tree holds the store, the controller, and per ring its spec and association.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Testing } from "cdktf";
import { CentralStack } from "../account-customizations/central";
import { GlobalStack } from "../global-customizations/global";
import { CONTROLLER_ROLE_NAME, EXECUTION_ROLE_NAME, RUNBOOK_NAME } from "../contract/names";
import { MAX_APPLY_PASSES, ringRunbook } from "../modules/controller";
import { loadConfig } from "../modules/config";

const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-bundle-"));
fs.mkdirSync(path.join(bundleDir, "controller"));
fs.writeFileSync(path.join(bundleDir, "controller", "index.js"), "exports.handler = async () => ({});\n");
afterAll(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

// The package-rollout side alone; patching adds its own resources to both trees.
const { patching: _patching, orchestration: _orchestration, ...model } = loadConfig();
const props = { homeRegion: model.organization.homeRegion, mode: "aft" as const };
function synth(build: (app: App) => unknown): any {
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = build(app) as any;
  return JSON.parse(Testing.synth(stack));
}
const globalTree = synth((app) => new GlobalStack(app, "global", model, props));
const centralTree = synth((app) => new CentralStack(app, "central", model, props, { lambdaBundleDir: bundleDir }));

describe("global tree: the execution role and nothing package- or version-specific", () => {
  it("holds one IAM role with one inline policy, and no documents, associations, objects or assets", () => {
    // The managed policy is the node side of the example's {{ssm:/aft-fleet/...}} package argument.
    expect(Object.keys(globalTree.resource).sort()).toEqual(["aws_iam_policy", "aws_iam_role", "aws_iam_role_policy"]);
    expect(Object.values<any>(globalTree.resource.aws_iam_policy).map((p) => p.name)).toEqual(["aft-fleet-package-parameters"]);
    expect(Object.values<any>(globalTree.resource.aws_iam_role).map((r) => r.name)).toEqual([EXECUTION_ROLE_NAME]);
    expect(globalTree.data.archive_file).toBeUndefined();
    expect(JSON.stringify(globalTree)).not.toContain("1.0.0");
  });

  it("trusts only the central controller role, inside the organization, through the account root", () => {
    const trust = JSON.parse(Object.values<any>(globalTree.resource.aws_iam_role)[0].assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Sid: "CentralRolloutController",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" },
          ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::222222222222:role/${CONTROLLER_ROLE_NAME}` },
        },
      },
    ]);
  });

  it("may manage only aft-fleet's package documents and this account's associations, and read only the package prefix", () => {
    const policy = JSON.parse(Object.values<any>(globalTree.resource.aws_iam_role_policy)[0].policy);
    const by = (sid: string) => policy.Statement.find((s: any) => s.Sid === sid);
    expect(policy.Statement.map((s: any) => s.Sid).sort()).toEqual(
      ["CheckPackageParameters", "DecryptPackagesThroughS3", "FindAssociationsByName", "ListPackageVersions", "ManagePackageAssociations", "ManagePackageDocuments", "ReadPackageVersions"].sort(),
    );
    // Every Region and every package through the wildcards: adding a workload Region or a package changes no member
    // policy. The documents are packageDocumentNameOf(<package>) = aft-fleet-<package>.
    expect(by("ManagePackageDocuments").Resource).toEqual([
      "arn:aws:ssm:*:${data.aws_caller_identity.ExecutionRole_Account_A0DC8D94.account_id}:document/aft-fleet-*",
    ].map((arn) => expect.stringMatching(new RegExp(`^${arn.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ExecutionRole_Account_A0DC8D94/, "[A-Za-z0-9_]+")}$`))));
    expect(by("ManagePackageDocuments").Action).not.toContain("ssm:ModifyDocumentPermission");
    expect(JSON.stringify(policy)).not.toContain("ExampleAgent");
    expect(by("ReadPackageVersions").Resource).toBe("arn:aws:s3:::aft-fleet-packages-222222222222-us-east-1/packages/*");
    expect(by("ListPackageVersions").Condition).toEqual({ StringLike: { "s3:prefix": "packages/*" } });
    expect(by("DecryptPackagesThroughS3").Condition.StringEquals).toEqual({ "kms:ViaService": "s3.us-east-1.amazonaws.com" });
    // Every "*" resource is one of the calls that support no resource-level permissions.
    const wildcards = policy.Statement.filter((s: any) => [s.Resource].flat().includes("*")).map((s: any) => s.Action);
    expect(wildcards).toEqual(["ssm:ListAssociations"]);
    for (const s of policy.Statement) expect([s.Action].flat()).not.toContain("*");
  });
});

describe("central tree: store, controller, ring specs and ring associations", () => {
  it("uploads one spec per ring and runs each ring's runbook from an association carrying the spec's hash", () => {
    const specs = Object.values<any>(centralTree.resource.aws_s3_object).filter((o) => o.key.startsWith("controller/"));
    expect(specs.map((o) => o.key).sort()).toEqual(["controller/ExampleAgent/broad.json", "controller/ExampleAgent/canary.json"]);
    const broad = JSON.parse(specs.find((o) => o.key.endsWith("broad.json")).content);
    expect(broad).toMatchObject({ package: "ExampleAgent", ring: "broad", ringIndex: 1, release: "1.0.0", previous: { name: "canary", bakeSeconds: 86400, maxErrors: "0" } });
    expect(broad.earlierRingTargets).toEqual([{ accounts: ["333333333333", "444444444444"], organizationalUnits: [] }]);
    expect(broad.association).toMatchObject({ name: "aft-fleet-ExampleAgent", maxConcurrency: "10%", maxErrors: "5%", targets: [{ Key: "InstanceIds", Values: ["*"] }] });
    const associations = Object.values<any>(centralTree.resource.aws_ssm_association);
    expect(associations.map((a) => a.association_name).sort()).toEqual(["aft-fleet-rollout-ExampleAgent-broad", "aft-fleet-rollout-ExampleAgent-canary"]);
    for (const a of associations) {
      expect(a.name).toBe(RUNBOOK_NAME);
      expect(a.schedule_expression).toBe("rate(1 hour)");
      expect(a.parameters.specHash).toMatch(/^[0-9a-f]{64}$/);
      expect(a.output_location).toBeUndefined();
    }
  });

  it("gives the controller role only the calls it makes, and the runbook role only the invoke", () => {
    const roles = Object.values<any>(centralTree.resource.aws_iam_role).map((r) => r.name).sort();
    expect(roles).toEqual(["aft-fleet-controller", "aft-fleet-rollout-runbook"]);
    const policies = Object.values<any>(centralTree.resource.aws_iam_role_policy).map((p) => JSON.parse(p.policy));
    const controller = policies.find((p) => p.Statement.some((s: any) => s.Sid === "AssumeMemberExecutionRoles"));
    const assume = controller.Statement.find((s: any) => s.Sid === "AssumeMemberExecutionRoles");
    expect(assume).toEqual({ Sid: "AssumeMemberExecutionRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::*:role/${EXECUTION_ROLE_NAME}`, Condition: { StringEquals: { "aws:ResourceOrgID": "o-a1b2c3d4e5" } } });
    const wildcards = controller.Statement.filter((s: any) => [s.Resource].flat().includes("*")).flatMap((s: any) => [s.Action].flat()).sort();
    expect(wildcards).toEqual(["cloudwatch:PutMetricData", "organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    const runbook = policies.find((p) => p.Statement.some((s: any) => s.Sid === "InvokeController"));
    expect(runbook.Statement).toHaveLength(1);
  });

  it("has no document shares, no Package documents and no org-wide writes", () => {
    const docs = Object.values<any>(centralTree.resource.aws_ssm_document);
    expect(docs.map((d) => d.document_type)).toEqual(["Automation"]);
    expect(docs[0].permissions).toBeUndefined();
  });
});

describe("the ring runbook", () => {
  const doc = ringRunbook({ bucket: "store" });
  it("plans, ends when there is nothing to do, loops apply passes within aws:loop's 100-iteration cap, then summarizes", () => {
    expect(doc.mainSteps.map((s) => s.name)).toEqual(["plan", "anyWork", "applyPasses", "summarize"]);
    const loop = doc.mainSteps[2] as any;
    // aws:loop MaxIterations is at most 100 (Automation actions reference, aws:loop).
    expect(loop.inputs.MaxIterations).toBe(MAX_APPLY_PASSES);
    expect(MAX_APPLY_PASSES).toBeLessThanOrEqual(100);
    expect(loop.nextStep).toBe("summarize");
    const branch = doc.mainSteps[1] as any;
    expect(branch.isEnd).toBe(true);
    expect(branch.inputs.Choices).toEqual([{ Variable: "{{ plan.Payload }}", Contains: '"status":"Continue"', NextStep: "applyPasses" }]);
  });

  it("passes only the spec key and the run id to the controller (no config text meets Automation's parameter limits)", () => {
    const plan = doc.mainSteps[0] as any;
    expect(plan.inputs.InputPayload).toEqual({ step: "plan", runId: "{{ automation:EXECUTION_ID }}", bucket: "store", specKey: "{{ specKey }}" });
    expect(Object.keys(doc.parameters).sort()).toEqual(["AutomationAssumeRole", "specHash", "specKey"]);
  });
});

describe("Automation parameter limits", () => {
  it("keeps every value a ring association passes to the runbook within 512 characters, even for the longest names", () => {
    // Automation: a parameter value is at most 512 characters, a StringList at most 50 values (Systems Manager quotas).
    const { AUTOMATION_VALUE_MAX } = require("../contract/patterns");
    const { ringSpecKey } = require("../contract/names");
    const key = ringSpecKey("P".repeat(100), "r".repeat(32));
    expect(key.length).toBeLessThanOrEqual(AUTOMATION_VALUE_MAX);
    expect(ringRunbook({ bucket: "b".repeat(63) }).parameters.specKey!.allowedPattern).toBeDefined();
    expect(new RegExp(ringRunbook({ bucket: "b" }).parameters.specKey!.allowedPattern!).test(key)).toBe(true);
    for (const a of Object.values<any>(centralTree.resource.aws_ssm_association)) {
      for (const value of Object.values<string>(a.parameters)) expect(value.length).toBeLessThanOrEqual(AUTOMATION_VALUE_MAX);
    }
  });
});

it("encrypts the controller's log group with its customer key (the security scan skips CKV_AWS_158 only for orchestration's command logs)", () => {
  const groups = Object.values<any>(centralTree.resource.aws_cloudwatch_log_group);
  expect(groups.length).toBeGreaterThan(0);
  for (const group of groups) expect({ name: group.name, key: group.kms_key_id }).toEqual({ name: group.name, key: expect.stringMatching(/^\$\{aws_kms_key\.[a-z0-9_]+\.arn\}$/) });
});

describe("IAM covers exactly the calls the controller makes", () => {
  // Every SDK command in lambdas/controller, by client: SSM runs as the member's execution role, the rest as the controller.
  const scan = (only?: RegExp) => {
    const dir = path.join(__dirname, "..", "lambdas", "controller");
    const out = new Map<string, Set<string>>();
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && (!only || only.test(f)))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const [, names, client] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/(?:client-|nested-clients\/)([a-z0-9-]+)"/g)) {
        for (const name of names!.split(",").map((n) => n.trim().replace(/^type\s+/, ""))) {
          if (!name.endsWith("Command") || !new RegExp(`new ${name}\\(`).test(text)) continue;
          const set = out.get(client!) ?? new Set<string>();
          set.add(name.replace(/Command$/, ""));
          out.set(client!, set);
        }
      }
    }
    return out;
  };
  const commands = scan();
  // The package flow's member calls live in pair*.ts; other job kinds may need permissions only when configured.
  const packageCommands = scan(/^pair/);
  const prefix: Record<string, string> = { ssm: "ssm", s3: "s3", organizations: "organizations", cloudwatch: "cloudwatch", sts: "sts", eventbridge: "events" };
  const actionsOf = (policy: any) => new Set<string>(policy.Statement.flatMap((s: any) => [s.Action].flat()));
  const memberActions = actionsOf(JSON.parse(Object.values<any>(globalTree.resource.aws_iam_role_policy)[0].policy));
  const controllerPolicy = Object.values<any>(centralTree.resource.aws_iam_role_policy).map((p) => JSON.parse(p.policy)).find((p) => p.Statement.some((s: any) => s.Sid === "AssumeMemberExecutionRoles"));
  const controllerActions = actionsOf(controllerPolicy);

  it("finds the SDK calls (the scan itself works)", () => {
    expect([...(commands.get("ssm") ?? [])]).toEqual(expect.arrayContaining(["CreateDocument", "CreateAssociation"]));
  });

  it("lets the member role make every SSM call of the package flow, and grants no SSM action the controller never calls", () => {
    const packageSsm = [...(packageCommands.get("ssm") ?? [])].map((c) => `ssm:${c}`).sort();
    for (const action of packageSsm) expect({ action, allowed: memberActions.has(action) }).toEqual({ action, allowed: true });
    const allSsm = [...(commands.get("ssm") ?? [])].map((c) => `ssm:${c}`);
    const unused = [...memberActions].filter((a) => a.startsWith("ssm:") && !allSsm.includes(a));
    expect(unused).toEqual([]);
  });

  it("lets the controller role make every other call", () => {
    for (const [client, names] of commands) {
      // SSM, EC2 and Auto Scaling run as the member's execution role (job kinds: checked below when configured).
      if (client === "ssm" || client === "ec2" || client === "auto-scaling") continue;
      for (const name of names) {
        const action = `${prefix[client] ?? client}:${name.replace(/^ListObjectsV2$/, "ListBucket")}`;
        expect({ action, allowed: controllerActions.has(action) }).toEqual({ action, allowed: true });
      }
    }
  });
});

describe("the controller's own jobs: inventory sync and emergency patching", () => {
  const full = loadConfig();
  const groups = full.organization.targetGroups;
  const emergency = {
    campaign: "example-campaign-0001",
    operation: "Install" as const,
    rebootOption: "RebootIfNeeded" as const,
    controllerSchedule: "rate(1 hour)",
    rings: [
      { name: "canary", targetGroup: groups["canary"]!, maxConcurrency: "100%", maxErrors: "0", nodeMaxConcurrency: "10%", nodeMaxErrors: "10%", alarms: ["canary-health"], bakeSeconds: 3600 },
      { name: "broad", targetGroup: groups["all-workloads"]!, maxConcurrency: "10%", maxErrors: "5%", nodeMaxConcurrency: "20%", nodeMaxErrors: "10%", alarms: [], bakeSeconds: 0 },
    ],
  };
  const { orchestration: _o, ...withPatching } = full;
  const withEmergency = { ...withPatching, patching: { ...withPatching.patching!, emergency } };
  const patchingGlobal = synth((app) => new GlobalStack(app, "global", withPatching, props));
  const emergencyGlobal = synth((app) => new GlobalStack(app, "global", withEmergency, props));
  const emergencyCentral = synth((app) => new CentralStack(app, "central", withEmergency, props, { lambdaBundleDir: bundleDir }));
  const executionPolicy = (tree: any) =>
    Object.values<any>(tree.resource.aws_iam_role_policy)
      .map((p) => JSON.parse(p.policy))
      .find((p) => p.Statement.some((s: any) => s.Sid === "ManagePackageDocuments"));
  const sids = (tree: any) => executionPolicy(tree).Statement.map((s: any) => s.Sid);
  const regions = full.organization.workloadRegions;
  const objects = Object.values<any>(emergencyCentral.resource.aws_s3_object);
  const objectAt = (key: string) => objects.find((o) => o.key === key);
  const associations = Object.values<any>(emergencyCentral.resource.aws_ssm_association);

  it("with patching, the member role may keep exactly its aft-fleet-inventory resource data sync, and send no command", () => {
    const statements = executionPolicy(patchingGlobal).Statement;
    expect(statements.find((s: any) => s.Sid === "ManageInventorySync")).toEqual({
      Sid: "ManageInventorySync",
      Effect: "Allow",
      Action: ["ssm:CreateResourceDataSync", "ssm:DeleteResourceDataSync"],
      Resource: [`arn:aws:ssm:*:\${data.aws_caller_identity.execution_role_account.account_id}:resource-data-sync/aft-fleet-inventory`],
    });
    expect(statements.find((s: any) => s.Sid === "FindInventorySync")).toEqual({ Sid: "FindInventorySync", Effect: "Allow", Action: "ssm:ListResourceDataSync", Resource: "*" });
    expect(JSON.stringify(statements)).not.toContain("ssm:SendCommand");
    expect(JSON.stringify(statements)).not.toContain("ssm:ListCommands");
  });

  it("with an emergency campaign, the member role may also send AWS-RunPatchBaseline to this account's nodes and read the commands back", () => {
    expect([...sids(emergencyGlobal)].sort()).toEqual([...sids(patchingGlobal), "SendEmergencyPatch", "ReadEmergencyPatchCommands"].sort());
    const statements = executionPolicy(emergencyGlobal).Statement;
    const account = "${data.aws_caller_identity.execution_role_account.account_id}";
    expect(statements.find((s: any) => s.Sid === "SendEmergencyPatch")).toEqual({
      Sid: "SendEmergencyPatch",
      Effect: "Allow",
      Action: "ssm:SendCommand",
      Resource: [
        "arn:aws:ssm:*::document/AWS-RunPatchBaseline",
        `arn:aws:ec2:*:${account}:instance/*`,
        `arn:aws:ssm:*:${account}:managed-instance/*`,
      ],
    });
    expect(statements.find((s: any) => s.Sid === "ReadEmergencyPatchCommands")).toEqual({
      Sid: "ReadEmergencyPatchCommands",
      Effect: "Allow",
      Action: ["ssm:ListCommandInvocations", "ssm:ListCommands"],
      Resource: "*",
    });
  });

  it("lets the member role make every member call of the job kinds when they are configured (SSM, EC2, Auto Scaling)", () => {
    const dir = path.join(__dirname, "..", "lambdas", "controller");
    const autoScaling = { campaign: "images-0001", healthyPercentage: 90, instanceProfile: "ImageBuilder", automationRole: "ImageAutomation", controllerSchedule: "rate(1 hour)", rings: [] };
    const allJobs = synth((app) => new GlobalStack(app, "global", { ...withEmergency, patching: { ...withEmergency.patching, autoScaling } }, props));
    const actions = new Set<string>(executionPolicy(allJobs).Statement.flatMap((s: any) => [s.Action].flat()));
    const iamPrefix: Record<string, string> = { ssm: "ssm", ec2: "ec2", "auto-scaling": "autoscaling" };
    for (const file of fs.readdirSync(dir).filter((f) => f.startsWith("job-"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const [, names, client] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g)) {
        for (const name of names!.split(",").map((n) => n.trim().replace(/^type\s+/, "")).filter((n) => n.endsWith("Command") && text.includes(`new ${n}(`))) {
          const action = `${iamPrefix[client!] ?? client}:${name.replace(/Command$/, "")}`;
          expect({ file, action, allowed: actions.has(action) }).toEqual({ file, action, allowed: true });
        }
      }
    }
    expect(JSON.stringify(executionPolicy(emergencyGlobal).Statement)).not.toContain("autoscaling:");
    const pass = executionPolicy(allJobs).Statement.find((s: any) => s.Sid === "PassImageAutomationRole");
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } });
    expect(pass.Resource).toBe("arn:aws:iam::${data.aws_caller_identity.execution_role_account.account_id}:role/ImageAutomation");
  });

  it("the inventory sync spec names the reports bucket, prefix, format, home Region and the reports key by reference, for the union of the package target groups", () => {
    const object = objectAt("controller/_inventory/sync.json");
    expect(object).toBeDefined();
    expect(object.content).toContain('"kmsKeyArn": "${aws_kms_key.patching_reports_key.arn}"');
    expect(object.content).toContain("${substr(sha256(aws_kms_key.patching_reports_key.arn), 0, 12)}");
    const spec = JSON.parse(object.content.replace(/\$\{[^}]*\}/g, "REF"));
    expect(spec).toMatchObject({
      kind: "inventory-sync",
      package: "_inventory",
      ring: "sync",
      ringIndex: 0,
      regions,
      targets: { accounts: ["333333333333", "444444444444"], organizationalUnits: ["ou-ab12-sandbox01", "ou-ab12-workload1"] },
      sync: { name: "aft-fleet-inventory", bucketName: full.patching!.reports.bucketName, prefix: "inventory", syncFormat: "JsonSerDe", region: "us-east-1", kmsKeyArn: "REF" },
    });
    expect(spec.release).toMatch(/^dest-[0-9a-f]{12}-REF$/);
    const association = associations.find((a) => a.association_name === "aft-fleet-rollout-_inventory-sync");
    expect(association.parameters.specKey).toBe("controller/_inventory/sync.json");
    expect(association.parameters.specHash).toEqual(
      expect.stringMatching(/^\$\{sha256\("[0-9a-f]{64}\|\$\{substr\(sha256\(aws_kms_key\.patching_reports_key\.arn\), 0, 12\)\}\|\$\{aws_kms_key\.patching_reports_key\.arn\}"\)\}$/),
    );
    expect(association.schedule_expression).toBe("rate(1 day)");
    expect(association.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket_policy\.patching_reports_policy/)]));
  });

  it("Auto Scaling image rings: a spec per ring under controller/_asg-image/, the campaign as release, ring order, the windows' tag values and the image settings", () => {
    const autoScaling = {
      campaign: "images-0001",
      healthyPercentage: 80,
      instanceProfile: "ImageBuilder",
      automationRole: "ImageAutomation",
      controllerSchedule: "rate(1 hour)",
      rings: [
        { name: "canary", targetGroup: groups["canary"]!, maxConcurrency: "1", maxErrors: "0", alarms: ["canary-health"], bakeSeconds: 7200 },
        { name: "broad", targetGroup: groups["all-workloads"]!, maxConcurrency: "10%", maxErrors: "5%", alarms: [], bakeSeconds: 0 },
      ],
    };
    const central = synth((app) => new CentralStack(app, "central", { ...withPatching, patching: { ...withPatching.patching!, autoScaling } }, props, { lambdaBundleDir: bundleDir }));
    const specAt = (key: string) => Object.values<any>(central.resource.aws_s3_object).find((o) => o.key === key);
    const pattern = new RegExp(ringRunbook({ bucket: "b" }).parameters.specKey!.allowedPattern!);
    const canary = JSON.parse(specAt("controller/_asg-image/canary.json").content);
    const broad = JSON.parse(specAt("controller/_asg-image/broad.json").content);
    expect(pattern.test("controller/_asg-image/canary.json")).toBe(true);
    expect(canary).toMatchObject({ kind: "asg-image", package: "_asg-image", ring: "canary", ringIndex: 0, release: "images-0001", regions, maxConcurrency: "1", maxErrors: "0", alarms: ["canary-health"] });
    expect(canary.previous).toBeUndefined();
    expect(broad).toMatchObject({ ringIndex: 1, previous: { name: "canary", bakeSeconds: 7200, alarms: ["canary-health"], maxErrors: "0" }, earlierRingTargets: [canary.targets] });
    // Groups tagged like the windows' nodes: Default and each environment, never the opt-out value.
    expect(canary.image).toEqual({ tagKey: "environment", tagValues: ["Default", "Dev", "Prod"], healthyPercentage: 80, instanceProfileName: "ImageBuilder", automationRoleName: "ImageAutomation" });
    const names = Object.values<any>(central.resource.aws_ssm_association).map((a) => a.association_name);
    expect(names).toEqual(expect.arrayContaining(["aft-fleet-rollout-_asg-image-canary", "aft-fleet-rollout-_asg-image-broad"]));
    const schedules = Object.values<any>(central.resource.aws_ssm_association).filter((a) => a.association_name.startsWith("aft-fleet-rollout-_asg-image-")).map((a) => a.schedule_expression);
    expect(schedules).toEqual(["rate(1 hour)", "rate(1 hour)"]);
  });

  it("emergency rings: a spec per ring under controller/_emergency/ (the runbook's specKey pattern accepts it), the campaign as release, ring order and the environment tag targets", () => {
    const pattern = new RegExp(ringRunbook({ bucket: "b" }).parameters.specKey!.allowedPattern!);
    const canary = JSON.parse(objectAt("controller/_emergency/canary.json").content);
    const broad = JSON.parse(objectAt("controller/_emergency/broad.json").content);
    expect(pattern.test("controller/_emergency/canary.json")).toBe(true);
    expect(canary).toMatchObject({ kind: "emergency-patch", package: "_emergency", ring: "canary", ringIndex: 0, release: "example-campaign-0001", alarms: ["canary-health"], maxConcurrency: "100%", maxErrors: "0" });
    expect(canary.previous).toBeUndefined();
    expect(broad).toMatchObject({ ringIndex: 1, previous: { name: "canary", bakeSeconds: 3600, alarms: ["canary-health"], maxErrors: "0" }, earlierRingTargets: [canary.targets] });
    // The windows' environment values: Default and each environment; opt-out and untagged nodes are in none.
    expect(canary.command).toEqual({ operation: "Install", rebootOption: "RebootIfNeeded", targets: [{ Key: "tag:environment", Values: ["Default", "Dev", "Prod"] }], maxConcurrency: "10%", maxErrors: "10%" });
    const names = associations.map((a) => a.association_name);
    expect(names).toEqual(expect.arrayContaining(["aft-fleet-rollout-_emergency-canary", "aft-fleet-rollout-_emergency-broad"]));
    const controllerPolicy = Object.values<any>(emergencyCentral.resource.aws_iam_role_policy)
      .map((p) => JSON.parse(p.policy))
      .find((p) => p.Statement.some((s: any) => s.Sid === "AssumeMemberExecutionRoles"));
    expect(controllerPolicy.Statement.find((s: any) => s.Sid === "ReadRingAlarms").Resource).toEqual(expect.arrayContaining(["arn:aws:cloudwatch:us-east-1:222222222222:alarm:canary-health"]));
  });
});

describe("the controller role: what S3 needs to say 404, and alarm names as literal text", () => {
  const { readTemplate } = require("../modules/core/literal");
  const controllerPolicyOf = (tree: any) =>
    Object.values<any>(tree.resource.aws_iam_role_policy)
      .map((p) => p.policy as string)
      .find((p) => p.includes("AssumeMemberExecutionRoles"))!;

  it("may list every prefix it reads, so a refused read of a missing ledger, plan or manifest can be told from a refused read of an object that exists", () => {
    // S3 API Reference, GetObject: without s3:ListBucket a missing key is a 403 AccessDenied, not a 404.
    const policy = JSON.parse(controllerPolicyOf(centralTree));
    const list = policy.Statement.find((s: any) => s.Sid === "ListLedgersAndRuns");
    expect(list.Action).toBe("s3:ListBucket");
    expect(list.Resource).toBe("arn:aws:s3:::aft-fleet-packages-222222222222-us-east-1");
    // ListObjectsV2 with Prefix = the key read: the ledger (ledger/<package>/<ring>.json), the run's plan, the ring spec, the manifest.
    const patterns = list.Condition.StringLike["s3:prefix"].map((p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
    for (const key of ["ledger/ExampleAgent/canary.json", "rollouts/run-1/plan.json", "controller/ExampleAgent/canary.json", "packages/ExampleAgent/1.0.0/manifest.json"]) {
      expect({ key, listable: patterns.some((p: RegExp) => p.test(key)) }).toEqual({ key, listable: true });
    }
    // The whole package prefix, whatever packages there are, and nothing outside the store's four prefixes.
    expect(patterns.some((p: RegExp) => p.test("packages/OtherAgent/1.0.0/manifest.json"))).toBe(true);
    expect(patterns.some((p: RegExp) => p.test("ExampleAgent/1.0.0/manifest.json"))).toBe(false);
    // Manifests of every package by one pattern (a `*` in a resource ARN matches `/` too: IAM User Guide, "IAM JSON
    // policy elements: Resource"); the policy names no package.
    expect(policy.Statement.find((s: any) => s.Sid === "ReadRingSpecsAndManifests").Resource).toEqual([
      "arn:aws:s3:::aft-fleet-packages-222222222222-us-east-1/controller/*",
      "arn:aws:s3:::aft-fleet-packages-222222222222-us-east-1/packages/*/manifest.json",
    ]);
    expect(JSON.stringify(policy)).not.toContain("ExampleAgent");
  });

  it("names each ring alarm exactly: Terraform reads no template in it and IAM no variable or wildcard", () => {
    // Terraform: `${`/`%{` start templates, escaped `$${`/`%%{` (HCL native syntax, "Template Expressions").
    // IAM: `${...}` is a policy variable, `*` and `?` wildcards; `${$}`, `${*}`, `${?}` stand for the characters
    // (IAM User Guide, "IAM policy elements: Variables and tags", "Special characters"). CloudWatch allows all of them in AlarmName.
    const hostile = "ops ${aws:username} %{ if true }x%{ endif } *?$";
    const withAlarm = { ...model, packages: model.packages.map((p, i) => (i === 0 ? { ...p, rings: p.rings.map((r, j) => (j === 0 ? { ...r, alarms: [hostile] } : r)) } : p)) };
    const tree = synth((app) => new CentralStack(app, "central", withAlarm, props, { lambdaBundleDir: bundleDir }));
    const text = controllerPolicyOf(tree);
    const parts = readTemplate(text);
    const expressions = parts.filter((p: any) => "expression" in p).map((p: any) => p.expression);
    expect(expressions.every((e: string) => /^\$\{(aws_[a-z0-9_]+|data\.[a-z0-9_]+)\.[A-Za-z0-9_.]+\}$/.test(e))).toBe(true);
    const asIamReadsIt = JSON.parse(parts.map((p: any) => ("literal" in p ? p.literal : "REF")).join(""));
    const alarms = asIamReadsIt.Statement.find((s: any) => s.Sid === "ReadRingAlarms").Resource;
    expect(alarms).toContain("arn:aws:cloudwatch:us-east-1:222222222222:alarm:ops ${$}{aws:username} %{ if true }x%{ endif } ${*}${?}${$}");
  });
});
