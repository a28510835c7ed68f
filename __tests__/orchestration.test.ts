/*
 * Cross-account command orchestration: the `orchestration` config section and its
 * resolution, the member role (global tree), the central file-copier bucket and the handoff file.
 */
import { Testing } from "cdktf";
import type { ConfigIssue } from "../modules/config/errors";
import { formatPath } from "../modules/config/errors";
import type { TargetGroup } from "../modules/config/model";
import { Orchestration, OrchestrationSchema, resolveOrchestration } from "../modules/config/orchestration";
import { readTemplate } from "../modules/core";
import { FleetStack } from "../modules/core/fleet-stack";
import {
  FILE_COPIER_KEY_ALIAS,
  ORCHESTRATION_NODE_POLICY_NAME,
  ORCHESTRATION_ROLE_NAME,
  OrchestrationCentral,
  OrchestrationMemberRole,
  orchestrationHandoff,
} from "../modules/orchestration";

const group = (name: string, accounts: string[], organizationalUnits: string[] = []): TargetGroup => ({ name, accounts, organizationalUnits, instanceTags: {} });
const targetGroups: Record<string, TargetGroup> = {
  canary: group("canary", ["333333333333", "444444444444"]),
  "all-workloads": group("all-workloads", ["444444444444"], ["ou-ab12-workload1", "ou-ab12-sandbox01"]),
  sandbox: group("sandbox", [], ["ou-ab12-sandbox01"]),
};
const org = { id: "o-a1b2c3d4e5", centralAccount: "222222222222", workloadRegions: ["us-east-1", "eu-west-1"], targetGroups };
const RUNDECK = "arn:aws:iam::222222222222:role/rundeck";
const TOOLING = "arn:aws:iam::555555555555:role/automation/process-automation";

function resolve(raw: unknown): { orchestration?: Orchestration; issues: ConfigIssue[] } {
  const parsed = OrchestrationSchema.safeParse(raw);
  if (!parsed.success) return { issues: parsed.error.issues.map((i) => ({ path: formatPath(["orchestration", ...i.path]), allowed: i.message })) };
  const issues: ConfigIssue[] = [];
  const orchestration = resolveOrchestration(parsed.data, org, issues);
  return { ...(orchestration ? { orchestration } : {}), issues };
}

function resolved(raw: unknown): Orchestration {
  const { orchestration, issues } = resolve(raw);
  expect(issues).toEqual([]);
  return orchestration!;
}

const minimal = { principals: [RUNDECK] };
const full = {
  principals: [TOOLING, RUNDECK],
  externalId: "rundeck-prod:7f3a",
  documents: ["AWS-RunShellScript", "Custom-Diagnostics", "arn:aws:ssm:eu-west-1:222222222222:document/Shared-Runbook"],
  nodeTag: { key: "orchestration", value: "allowed" },
  fileCopierBucket: "acme-rundeck-files",
  logGroupName: "/aft-fleet/orchestration",
  instancePolicy: { createInstanceProfile: "acme-managed-node" },
};

function synthMember(orchestration: Orchestration): any {
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = new FleetStack(app, "global", { homeRegion: "us-east-1", mode: "aft" });
  new OrchestrationMemberRole(stack, "Orchestration", { orchestration, organizationId: org.id, centralAccountId: org.centralAccount, homeRegion: "us-east-1" });
  return JSON.parse(Testing.synth(stack));
}

function synthCentral(writers: readonly string[] = [RUNDECK, TOOLING]): any {
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = new FleetStack(app, "central", { homeRegion: "us-east-1", mode: "aft" });
  new OrchestrationCentral(stack, "Orchestration", { bucketName: "acme-rundeck-files", writerPrincipals: writers, organizationId: org.id, accountId: org.centralAccount, region: "us-east-1" });
  return JSON.parse(Testing.synth(stack));
}

const roleOf = (tree: any) => Object.values<any>(tree.resource.aws_iam_role).find((r) => r.name === ORCHESTRATION_ROLE_NAME);
const trustOf = (tree: any) => JSON.parse(roleOf(tree).assume_role_policy);
const policyOf = (tree: any) => JSON.parse(Object.values<any>(tree.resource.aws_iam_role_policy)[0].policy);
const sid = (policy: any, name: string) => policy.Statement.find((s: any) => s.Sid === name);
const ACCOUNT = /^\$\{data\.aws_caller_identity\.[A-Za-z0-9_]+\.account_id\}$/;
/** Replaces the caller-identity interpolation with `<self>` so ARNs can be compared exactly. */
const self = (value: unknown): any => JSON.parse(JSON.stringify(value).replace(/\$\{data\.aws_caller_identity\.[A-Za-z0-9_]+\.account_id\}/g, "<self>"));

describe("orchestration config", () => {
  it("is absent when the config has none", () => {
    expect(resolveOrchestration(undefined, org, [])).toBeUndefined();
  });

  it("defaults to the two AWS run documents, every workload Region, no warning and no node tag, bucket, log group, targets or node policy", () => {
    expect(resolved(minimal)).toEqual({
      principals: [RUNDECK],
      principalAccounts: ["222222222222"],
      documents: [
        { kind: "aws", name: "AWS-RunShellScript" },
        { kind: "aws", name: "AWS-RunPowerShellScript" },
      ],
      regions: ["us-east-1", "eu-west-1"],
      warnings: [],
    });
  });

  // AWS-RunRemoteScript runs a script it downloads from GitHub or S3 (its sourceType and sourceInfo
  // parameters, Systems Manager documents list); AWS-RunDocument and AWS-ApplyAnsiblePlaybooks likewise.
  it("keeps a listed document that runs downloaded code, with a warning naming its field, by name or by AWS's ARN", () => {
    const o = resolved({ ...minimal, documents: ["AWS-RunShellScript", "AWS-RunRemoteScript", "arn:aws:ssm:eu-west-1::document/AWS-RunDocument"], nodeTag: { key: "orchestration", value: "allowed" } });
    expect(o.documents).toEqual([
      { kind: "aws", name: "AWS-RunShellScript" },
      { kind: "aws", name: "AWS-RunRemoteScript" },
      { kind: "arn", arn: "arn:aws:ssm:eu-west-1::document/AWS-RunDocument" },
    ]);
    expect(o.warnings).toHaveLength(2);
    expect(o.warnings[0]).toMatch(/^orchestration\.documents\[1\]: AWS-RunRemoteScript runs code it downloads .*nodes tagged orchestration=allowed/);
    expect(o.warnings[1]).toMatch(/^orchestration\.documents\[2\]: AWS-RunDocument runs code it downloads .*nodes tagged orchestration=allowed/);
    expect(resolved({ ...minimal, documents: ["AWS-ApplyAnsiblePlaybooks"] }).warnings).toEqual([
      "orchestration.documents[0]: AWS-ApplyAnsiblePlaybooks runs code it downloads when it runs (GitHub or S3): the member role then lets the central tool's principals run any code on every node of every account, and the command shows only where the code came from",
    ]);
    // An account's own document of a similar name is not AWS's and gets no warning.
    expect(resolved({ ...minimal, documents: ["Custom-RunRemoteScript"] }).warnings).toEqual([]);
  });

  it("defaults the log encryption to CloudWatch Logs' own, only when there is a log group", () => {
    expect(resolved({ ...minimal, logGroupName: "/x" }).logEncryption).toBe("aws-managed");
    expect(resolved({ ...minimal, logGroupName: "/x", logEncryption: "kms" }).logEncryption).toBe("kms");
    expect(resolved(minimal).logEncryption).toBeUndefined();
  });

  it("resolves targets to the named groups' accounts and OU ids, each once and sorted", () => {
    expect(resolved({ ...minimal, targets: ["canary", "all-workloads"] }).targets).toEqual({
      groups: ["all-workloads", "canary"],
      accounts: ["333333333333", "444444444444"],
      organizationalUnits: ["ou-ab12-sandbox01", "ou-ab12-workload1"],
    });
    expect(resolved({ ...minimal, targets: ["sandbox"] }).targets).toEqual({ groups: ["sandbox"], accounts: [], organizationalUnits: ["ou-ab12-sandbox01"] });
  });

  it("needs the organization's target groups from its caller when the section names targets", () => {
    const { targetGroups: _groups, ...bare } = org;
    expect(() => resolveOrchestration(OrchestrationSchema.parse({ ...minimal, targets: ["canary"] }), bare, [])).toThrow(/organization\.targetGroups/);
    expect(resolveOrchestration(OrchestrationSchema.parse(minimal), bare, [])?.targets).toBeUndefined();
  });

  it("resolves principals (sorted, with their accounts), document kinds and the chosen Regions in workload order", () => {
    const o = resolved({ ...full, regions: ["eu-west-1"] });
    expect(o.principals).toEqual([RUNDECK, TOOLING]);
    expect(o.principalAccounts).toEqual(["222222222222", "555555555555"]);
    expect(o.documents).toEqual([
      { kind: "aws", name: "AWS-RunShellScript" },
      { kind: "account", name: "Custom-Diagnostics" },
      { kind: "arn", arn: "arn:aws:ssm:eu-west-1:222222222222:document/Shared-Runbook" },
    ]);
    expect(o.regions).toEqual(["eu-west-1"]);
    expect(o.instancePolicy).toEqual({ createInstanceProfile: "acme-managed-node" });
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ["no principals", { principals: [] }, "orchestration.principals", /1-10 IAM role ARNs/],
    ["eleven principals", { principals: Array.from({ length: 11 }, (_, i) => `arn:aws:iam::222222222222:role/r${i}`) }, "orchestration.principals", /at most 10/],
    ["a user ARN", { principals: ["arn:aws:iam::222222222222:user/alice"] }, "orchestration.principals[0]", /IAM role ARN.*only roles/],
    ["an assumed-role session", { principals: ["arn:aws:sts::222222222222:assumed-role/rundeck/i-0abc"] }, "orchestration.principals[0]", /role session/],
    ["an account root", { principals: ["arn:aws:iam::222222222222:root"] }, "orchestration.principals[0]", /only roles/],
    ["a role in another partition", { principals: ["arn:aws-cn:iam::222222222222:role/rundeck"] }, "orchestration.principals[0]", /aws partition/],
    ["a duplicate principal", { principals: [RUNDECK, RUNDECK] }, "orchestration.principals[1]", /each principal once/],
    ["a short ExternalId", { ...minimal, externalId: "x" }, "orchestration.externalId", /2-1224/],
    ["an ExternalId with a space", { ...minimal, externalId: "two words" }, "orchestration.externalId", /ExternalId/],
    ["a Region outside the workload Regions", { ...minimal, regions: ["eu-west-1", "ap-south-1"] }, "orchestration.regions[1]", /one of organization.workloadRegions \(us-east-1, eu-west-1\)/],
    ["a Region twice", { ...minimal, regions: ["eu-west-1", "eu-west-1"] }, "orchestration.regions[1]", /each Region once/],
    ["a misspelt Region", { ...minimal, regions: ["us-east1"] }, "orchestration.regions[0]", /AWS Region code/],
    ["a duplicate document", { ...minimal, documents: ["AWS-RunShellScript", "AWS-RunShellScript"] }, "orchestration.documents[1]", /each document once/],
    ["a document name with a space", { ...minimal, documents: ["Run Shell"] }, "orchestration.documents[0]", /SSM document name/],
    ["a document ARN in another Region", { ...minimal, documents: ["arn:aws:ssm:ap-south-1::document/AWS-RunShellScript"] }, "orchestration.documents[0]", /orchestration Regions/],
    ["a node tag on aws:", { ...minimal, nodeTag: { key: "aws:autoscaling", value: "x" } }, "orchestration.nodeTag.key", /not starting with aws:/],
    ["a node tag without value", { ...minimal, nodeTag: { key: "orchestration" } }, "orchestration.nodeTag.value", /tag value/],
    ["a bucket name like an IP address", { ...minimal, fileCopierBucket: "192.168.1.1" }, "orchestration.fileCopierBucket", /IP address/],
    ["a log group name with a space", { ...minimal, logGroupName: "my logs" }, "orchestration.logGroupName", /log group name/],
    ["both node policy options", { ...minimal, logGroupName: "/x", instancePolicy: { attachToRole: "a", createInstanceProfile: "b" } }, "orchestration.instancePolicy", /exactly one of attachToRole/],
    ["neither node policy option", { ...minimal, logGroupName: "/x", instancePolicy: {} }, "orchestration.instancePolicy", /exactly one of attachToRole/],
    ["a node policy with nothing to grant", { ...minimal, instancePolicy: { attachToRole: "app-node" } }, "orchestration.instancePolicy", /fileCopierBucket or logGroupName/],
    ["a profile named like aft-fleet's role", { ...minimal, logGroupName: "/x", instancePolicy: { createInstanceProfile: "aft-fleet-orchestration" } }, "orchestration.instancePolicy.createInstanceProfile", /other than aft-fleet-orchestration/],
    ["an unknown key", { ...minimal, principal: RUNDECK }, "orchestration", /./],
    ["a log encryption without a log group", { ...minimal, logEncryption: "kms" }, "orchestration.logEncryption", /unless logGroupName/],
    ["an unknown log encryption", { ...minimal, logGroupName: "/x", logEncryption: "kms-per-account" }, "orchestration.logEncryption", /aws-managed .* or kms \(one customer key per account and Region/],
    ["an unknown target group", { ...minimal, targets: ["canary", "prod"] }, "orchestration.targets[1]", /a target group: canary, all-workloads, sandbox/],
    ["a target group twice", { ...minimal, targets: ["canary", "canary"] }, "orchestration.targets[1]", /each target group once/],
    ["no target groups", { ...minimal, targets: [] }, "orchestration.targets", /at least one target group/],
  ];
  it.each(bad)("refuses %s at its field path", (_what, raw, path, allowed) => {
    const { issues } = resolve(raw);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)!.allowed).toMatch(allowed);
  });
});

describe("OrchestrationMemberRole: trust", () => {
  it("trusts each principal's account root, narrowed to the configured role ARNs and to the organization", () => {
    const trust = trustOf(synthMember(resolved(minimal)));
    expect(trust.Statement).toEqual([
      {
        Sid: "Orchestrator",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" }, ArnEquals: { "aws:PrincipalArn": RUNDECK } },
      },
    ]);
  });

  it("requires the ExternalId only when it is set, and names every principal account once", () => {
    const trust = trustOf(synthMember(resolved({ ...full, principals: [TOOLING, RUNDECK, "arn:aws:iam::222222222222:role/second"] })));
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Principal.AWS).toEqual(["arn:aws:iam::222222222222:root", "arn:aws:iam::555555555555:root"]);
    expect(trust.Statement[0].Condition.ArnEquals["aws:PrincipalArn"]).toEqual([RUNDECK, "arn:aws:iam::222222222222:role/second", TOOLING]);
  });

  it("names the ExternalId condition with the configured value", () => {
    const trust = trustOf(synthMember(resolved(full)));
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5", "sts:ExternalId": "rundeck-prod:7f3a" },
      ArnEquals: { "aws:PrincipalArn": [RUNDECK, TOOLING] },
    });
    expect(JSON.stringify(trustOf(synthMember(resolved(minimal))))).not.toContain("sts:ExternalId");
  });
});

/*
 * IAM quotas ("IAM and AWS STS quotas"): a role trust policy is at most 2,048 characters by default
 * (adjustable to 4,096), and IAM does not count whitespace. Role ARNs: a path of at most 512 characters
 * (CreateRole Path) and a name of at most 64 (CreateRole RoleName); ExternalId at most 1,224 (AssumeRole).
 */
describe("OrchestrationMemberRole: trust policy length", () => {
  const account = (i: number) => String(100000000000 + i);
  /** The longest role ARN IAM allows: a 512-character path and a 64-character name. */
  const longest = (i: number) => `arn:aws:iam::${account(i)}:role/${"p".repeat(510)}/${"r".repeat(63)}${i}`;
  const EXTERNAL_ID_MAX = "e".repeat(1224);
  const trustText = (o: Orchestration) => roleOf(synthMember(o)).assume_role_policy as string;
  const measured = (text: string) => text.replace(/\s/g, "").length;
  const lengthIssue = (raw: unknown) => resolve(raw).issues.find((i) => i.path === "orchestration.principals");

  it("refuses ten of the longest role ARNs at orchestration.principals, with the measured length", () => {
    const principals = Array.from({ length: 10 }, (_, i) => longest(i));
    expect(longest(0)).toHaveLength(606);
    const issue = lengthIssue({ principals });
    expect(issue?.value).toBe("10 role ARNs in 10 accounts: a trust policy of 6,648 characters");
    expect(issue?.allowed).toMatch(/2,048 characters, counted without whitespace \(4,600 over\)/);
  });

  it("takes one longest role ARN, and refuses it with the longest ExternalId", () => {
    expect(lengthIssue({ principals: [longest(0)] })).toBeUndefined();
    expect(lengthIssue({ principals: [longest(0)], externalId: EXTERNAL_ID_MAX })?.value).toMatch(/a trust policy of 2,\d{3} characters/);
  });

  it("takes a policy of exactly 2,048 characters as synthesized and refuses 2,049", () => {
    // Ten principals in ten accounts; their paths grow (by `pad` characters in all) until the policy has exactly 2,048 characters.
    const share = (pad: number, i: number) => Math.floor(pad / 10) + (i < pad % 10 ? 1 : 0);
    const principalsWith = (pad: number) => Array.from({ length: 10 }, (_, i) => `arn:aws:iam::${account(i)}:role/tools${"x".repeat(share(pad, i))}/rundeck-${i}`);
    const base = measured(trustText(resolved({ principals: principalsWith(0), externalId: "rundeck-prod:7f3a" })));
    const pad = 2048 - base;
    expect(pad).toBeGreaterThan(0);
    const fits = resolved({ principals: principalsWith(pad), externalId: "rundeck-prod:7f3a" });
    expect(measured(trustText(fits))).toBe(2048);
    const over = lengthIssue({ principals: principalsWith(pad + 1), externalId: "rundeck-prod:7f3a" });
    expect(over?.value).toBe("10 role ARNs in 10 accounts: a trust policy of 2,049 characters");
    expect(over?.allowed).toMatch(/\(1 over\)/);
  });
});

describe("OrchestrationMemberRole: permissions", () => {
  const policy = policyOf(synthMember(resolved(minimal)));
  const tagged = policyOf(synthMember(resolved(full)));

  it("may send exactly the listed documents, in every orchestration Region", () => {
    expect(sid(policy, "SendAllowedDocuments")).toEqual({
      Sid: "SendAllowedDocuments",
      Effect: "Allow",
      Action: "ssm:SendCommand",
      Resource: [
        "arn:aws:ssm:us-east-1::document/AWS-RunShellScript",
        "arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript",
        "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript",
        "arn:aws:ssm:eu-west-1::document/AWS-RunPowerShellScript",
      ],
    });
    // A document not listed is not allowed (AWS-RunRemoteScript only when listed), and no wildcard document is.
    const all = JSON.stringify(policy);
    expect(all).not.toContain("AWS-RunPatchBaseline");
    expect(all).not.toContain("AWS-RunRemoteScript");
    expect(all).not.toContain("document/*");
    expect(all).not.toContain("ssm:*::");
  });

  it("resolves account-owned documents to this account and takes document ARNs as given", () => {
    expect(self(sid(tagged, "SendAllowedDocuments").Resource)).toEqual([
      "arn:aws:ssm:us-east-1::document/AWS-RunShellScript",
      "arn:aws:ssm:us-east-1:<self>:document/Custom-Diagnostics",
      "arn:aws:ssm:eu-west-1:222222222222:document/Shared-Runbook",
      "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript",
      "arn:aws:ssm:eu-west-1:<self>:document/Custom-Diagnostics",
      "arn:aws:ssm:eu-west-1:222222222222:document/Shared-Runbook",
    ]);
  });

  it("may send to this account's instances and managed instances only, with the tag condition only when configured", () => {
    const nodes = sid(policy, "SendToThisAccountsNodes");
    expect(self(nodes.Resource)).toEqual([
      "arn:aws:ec2:us-east-1:<self>:instance/*",
      "arn:aws:ssm:us-east-1:<self>:managed-instance/*",
      "arn:aws:ec2:eu-west-1:<self>:instance/*",
      "arn:aws:ssm:eu-west-1:<self>:managed-instance/*",
    ]);
    expect(nodes.Resource[0].split(":")[4]).toMatch(ACCOUNT);
    expect(nodes.Condition).toBeUndefined();
    expect(JSON.stringify(policy)).not.toContain("ssm:resourceTag");

    expect(sid(tagged, "SendToThisAccountsNodes").Condition).toEqual({ StringEquals: { "ssm:resourceTag/orchestration": "allowed" } });
    // The documents' statement has no tag condition (AWS's documents carry no such tag).
    expect(sid(tagged, "SendAllowedDocuments").Condition).toBeUndefined();
  });

  it("uses * only for the calls without resource-level permissions, never a * action, and nothing that changes IAM", () => {
    for (const p of [policy, tagged]) {
      const wildcards = p.Statement.filter((s: any) => [s.Resource].flat().includes("*")).flatMap((s: any) => [s.Action].flat()).sort();
      expect(wildcards).toEqual([
        "ec2:DescribeInstances",
        "ec2:DescribeTags",
        "ssm:DescribeInstanceInformation",
        "ssm:GetCommandInvocation",
        "ssm:ListCommandInvocations",
        "ssm:ListCommands",
      ]);
      const actions = p.Statement.flatMap((s: any) => [s.Action].flat());
      for (const a of actions) {
        expect(a).not.toContain("*");
        expect(a).not.toMatch(/^(iam|sts|organizations):/);
      }
      expect(p.Statement.every((s: any) => s.Effect === "Allow")).toBe(true);
    }
  });

  // Service Authorization Reference, Systems Manager: CancelCommand lists no resource type and no condition
  // key, so it could only be granted on "*": every command of the account (patch windows, emergency
  // patching), not only the tool's. It is not granted, whatever the config.
  it("never grants ssm:CancelCommand", () => {
    for (const p of [policy, tagged, policyOf(synthMember(resolved({ ...full, documents: ["AWS-RunRemoteScript"], logEncryption: "kms" })))]) {
      const actions = p.Statement.flatMap((s: any) => [s.Action].flat());
      expect(actions).not.toContain("ssm:CancelCommand");
      expect(actions.filter((a: string) => /^ssm:Cancel/.test(a))).toEqual([]);
    }
  });

  it("sends a listed AWS-RunRemoteScript as any listed document, and the synth prints nothing of its warning", () => {
    const spies = (["log", "warn", "error", "info"] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => undefined));
    try {
      const o = resolved({ ...minimal, documents: ["AWS-RunRemoteScript"] });
      expect(o.warnings).toHaveLength(1);
      const p = policyOf(synthMember(o));
      expect(sid(p, "SendAllowedDocuments").Resource).toEqual(["arn:aws:ssm:us-east-1::document/AWS-RunRemoteScript", "arn:aws:ssm:eu-west-1::document/AWS-RunRemoteScript"]);
      const handoff = orchestrationHandoff({ orchestration: o, organizationId: org.id, centralAccountId: org.centralAccount, homeRegion: "us-east-1" });
      expect(handoff).not.toContain("downloads");
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("reads command output only from this account's log group of the configured name, when there is one", () => {
    expect(sid(policy, "ReadCommandOutput")).toBeUndefined();
    const read = sid(tagged, "ReadCommandOutput");
    expect(read.Action).toEqual(["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"]);
    expect(self(read.Resource)).toEqual([
      "arn:aws:logs:us-east-1:<self>:log-group:/aft-fleet/orchestration",
      "arn:aws:logs:us-east-1:<self>:log-group:/aft-fleet/orchestration:*",
      "arn:aws:logs:eu-west-1:<self>:log-group:/aft-fleet/orchestration",
      "arn:aws:logs:eu-west-1:<self>:log-group:/aft-fleet/orchestration:*",
    ]);
  });
});

describe("OrchestrationMemberRole: nodes and log groups", () => {
  it("creates nothing for nodes and no log group by default: one role, one inline policy", () => {
    const tree = synthMember(resolved(minimal));
    expect(Object.keys(tree.resource).sort()).toEqual(["aws_iam_role", "aws_iam_role_policy"]);
    expect(Object.keys(tree.output)).toEqual(["orchestration_role_arn"]);
  });

  // CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": log group data is
  // always encrypted at rest; a customer key is optional. So the default creates no key (1 USD a month each).
  it("creates a log group with 365 days' retention in each Region, encrypted by CloudWatch Logs, and no key, by default", () => {
    const tree = synthMember(resolved(full));
    const groups = Object.values<any>(tree.resource.aws_cloudwatch_log_group);
    expect(groups.map((g) => [g.region, g.name, g.retention_in_days]).sort()).toEqual([
      ["eu-west-1", "/aft-fleet/orchestration", 365],
      ["us-east-1", "/aft-fleet/orchestration", 365],
    ]);
    for (const g of groups) expect(g).not.toHaveProperty("kms_key_id");
    expect(tree.resource.aws_kms_key).toBeUndefined();
    expect(tree.resource.aws_kms_alias).toBeUndefined();
  });

  // The key policy grants the Region's CloudWatch Logs principal (logs.<region>.amazonaws.com) with the
  // encryption context kms:EncryptionContext:aws:logs:arn = the log group (same guide, "Step 2: Set
  // permissions on the KMS key"); a KMS key is Regional, so each Region's group has its own key.
  it("with logEncryption kms, encrypts each Region's log group with a rotating key of that Region, usable only for that group", () => {
    const tree = synthMember(resolved({ ...full, logEncryption: "kms" }));
    const keys = Object.entries<any>(tree.resource.aws_kms_key);
    expect(keys.map(([, k]) => k.region).sort()).toEqual(["eu-west-1", "us-east-1"]);
    for (const [address, k] of keys) {
      expect(k.enable_key_rotation).toBe(true);
      const group = Object.values<any>(tree.resource.aws_cloudwatch_log_group).find((g) => g.region === k.region);
      expect(group.kms_key_id).toBe(`\${aws_kms_key.${address}.arn}`);
      const logs = sid(JSON.parse(k.policy), "CloudWatchLogsEncryptsCommandOutput");
      expect(logs.Principal).toEqual({ Service: `logs.${k.region}.amazonaws.com` });
      expect(self(logs.Condition)).toEqual({ ArnEquals: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${k.region}:<self>:log-group:/aft-fleet/orchestration` } });
    }
  });

  it("keeps each log group's Terraform address whatever the encryption, so switching it updates the group in place", () => {
    const addresses = (o: Orchestration) => Object.keys(synthMember(o).resource.aws_cloudwatch_log_group).sort();
    expect(addresses(resolved({ ...full, logEncryption: "kms" }))).toEqual(addresses(resolved(full)));
  });

  it("creates a role + instance profile with AmazonSSMManagedInstanceCore and the node policy (file copier reads, output writes)", () => {
    const tree = synthMember(resolved(full));
    const nodeRole = Object.values<any>(tree.resource.aws_iam_role).find((r) => r.name === "acme-managed-node");
    expect(JSON.parse(nodeRole.assume_role_policy).Statement[0].Principal).toEqual({ Service: "ec2.amazonaws.com" });
    expect(Object.values<any>(tree.resource.aws_iam_instance_profile).map((p) => p.name)).toEqual(["acme-managed-node"]);
    const attachments = Object.values<any>(tree.resource.aws_iam_role_policy_attachment).map((a) => a.policy_arn).sort();
    expect(attachments).toEqual(["${aws_iam_policy.orchestration_node_policy.arn}", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    const node = JSON.parse(Object.values<any>(tree.resource.aws_iam_policy)[0].policy);
    expect(Object.values<any>(tree.resource.aws_iam_policy)[0].name).toBe(ORCHESTRATION_NODE_POLICY_NAME);
    expect(sid(node, "ReadFileCopierObjects")).toEqual({ Sid: "ReadFileCopierObjects", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-rundeck-files/*" });
    expect(sid(node, "DecryptFileCopierObjectsThroughS3")).toMatchObject({
      Resource: "arn:aws:kms:us-east-1:222222222222:key/*",
      Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, "ForAnyValue:StringEquals": { "kms:ResourceAliases": FILE_COPIER_KEY_ALIAS } },
    });
    expect(sid(node, "WriteCommandOutput").Action).toEqual(["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]);
    expect(self(sid(node, "WriteCommandOutput").Resource)).toEqual([
      "arn:aws:logs:us-east-1:<self>:log-group:/aft-fleet/orchestration:*",
      "arn:aws:logs:eu-west-1:<self>:log-group:/aft-fleet/orchestration:*",
    ]);
    for (const a of node.Statement.flatMap((s: any) => [s.Action].flat())) expect(a).not.toMatch(/^iam:|\*$/);
  });

  it("attaches the node policy to a named existing instance role instead, creating no role", () => {
    const tree = synthMember(resolved({ ...minimal, fileCopierBucket: "acme-rundeck-files", instancePolicy: { attachToRole: "app-node" } }));
    expect(Object.values<any>(tree.resource.aws_iam_role).map((r) => r.name)).toEqual([ORCHESTRATION_ROLE_NAME]);
    expect(tree.resource.aws_iam_instance_profile).toBeUndefined();
    expect(Object.values<any>(tree.resource.aws_iam_role_policy_attachment)).toEqual([{ role: "app-node", policy_arn: "${aws_iam_policy.orchestration_node_policy.arn}" }]);
  });

  it("references nothing of the central tree: every ARN is built from config strings and this account", () => {
    const text = JSON.stringify(synthMember(resolved({ ...full, logEncryption: "kms" })));
    const refs = [...text.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!.split(".")[0]);
    expect([...new Set(refs)].sort()).toEqual(["aws_iam_policy", "aws_iam_role", "aws_kms_key", "data"]);
  });

  it("keeps config text literal for Terraform", () => {
    const hostile = resolved({ principals: ["arn:aws:iam::222222222222:role/${evil}/rundeck", "arn:aws:iam::222222222222:role/%{x}/r"] });
    const trust = trustOf(synthMember(hostile));
    const arns = trust.Statement[0].Condition.ArnEquals["aws:PrincipalArn"];
    expect(arns.map(readTemplate)).toEqual([[{ literal: "arn:aws:iam::222222222222:role/${evil}/rundeck" }], [{ literal: "arn:aws:iam::222222222222:role/%{x}/r" }]]);
  });
});

describe("OrchestrationCentral: the file-copier bucket", () => {
  const tree = synthCentral();
  const policy = JSON.parse(Object.values<any>(tree.resource.aws_s3_bucket_policy)[0].policy);
  const key = Object.values<any>(tree.resource.aws_kms_key)[0];
  const keyPolicy = JSON.parse(key.policy);

  it("is versioned, SSE-KMS with a rotating customer key, non-public and ACL-free", () => {
    expect(Object.values<any>(tree.resource.aws_s3_bucket)[0].bucket).toBe("acme-rundeck-files");
    expect(Object.values<any>(tree.resource.aws_s3_bucket_versioning)[0].versioning_configuration.status).toBe("Enabled");
    const sse = Object.values<any>(tree.resource.aws_s3_bucket_server_side_encryption_configuration)[0].rule[0];
    expect(sse.apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.orchestration_key.arn}" });
    expect(key.enable_key_rotation).toBe(true);
    expect(Object.values<any>(tree.resource.aws_kms_alias)[0].name).toBe(FILE_COPIER_KEY_ALIAS);
    expect(Object.values<any>(tree.resource.aws_s3_bucket_public_access_block)[0]).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(Object.values<any>(tree.resource.aws_s3_bucket_ownership_controls)[0].rule.object_ownership).toBe("BucketOwnerEnforced");
  });

  it("denies plain HTTP, lets the organization read, and only the configured principals write", () => {
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual(["DenyInsecureTransport", "OrganizationReadsFiles", "OrchestratorsWriteFiles"]);
    expect(sid(policy, "DenyInsecureTransport")).toMatchObject({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(sid(policy, "OrganizationReadsFiles")).toEqual({
      Sid: "OrganizationReadsFiles",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::acme-rundeck-files/*",
      Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
    });
    expect(sid(policy, "OrchestratorsWriteFiles")).toEqual({
      Sid: "OrchestratorsWriteFiles",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::acme-rundeck-files/*",
      Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" }, ArnEquals: { "aws:PrincipalArn": [RUNDECK, TOOLING] } },
    });
    const writes = policy.Statement.filter((s: any) => s.Effect === "Allow" && [s.Action].flat().some((a: string) => /Put|Delete/.test(a)));
    expect(writes.map((s: any) => s.Sid)).toEqual(["OrchestratorsWriteFiles"]);
  });

  it("lets the organization decrypt through S3 and only the writers encrypt, through S3", () => {
    expect(keyPolicy.Statement.map((s: any) => s.Sid)).toEqual(["AccountAdministersKey", "OrganizationDecryptsThroughS3", "OrchestratorsEncryptThroughS3"]);
    expect(sid(keyPolicy, "OrganizationDecryptsThroughS3").Condition).toEqual({ StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5", "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
    expect(sid(keyPolicy, "OrganizationDecryptsThroughS3").Action).not.toContain("kms:GenerateDataKey");
    expect(sid(keyPolicy, "OrchestratorsEncryptThroughS3").Condition.ArnEquals).toEqual({ "aws:PrincipalArn": [RUNDECK, TOOLING] });
  });

  it("keeps no log group: command output stays in each node's account", () => {
    expect(tree.resource.aws_cloudwatch_log_group).toBeUndefined();
  });
});

describe("orchestrationHandoff", () => {
  const input = { orchestration: resolved(full), organizationId: org.id, centralAccountId: org.centralAccount, homeRegion: "us-east-1" };
  const text = orchestrationHandoff(input);
  const doc = JSON.parse(text);

  it("names the role ARN pattern per account and the ExternalId rule", () => {
    expect(doc.role.arnPattern).toBe(`arn:aws:iam::<account>:role/${ORCHESTRATION_ROLE_NAME}`);
    expect(doc.role.externalId.required).toBe(true);
    expect(text).not.toContain("rundeck-prod:7f3a");
    expect(JSON.parse(orchestrationHandoff({ ...input, orchestration: resolved(minimal) })).role.externalId.required).toBe(false);
  });

  it("names the bucket and log group, and gives an EC2 node source per Region filtered by the node tag", () => {
    expect(doc.fileCopier).toMatchObject({ bucket: "acme-rundeck-files", region: "us-east-1", keyAlias: FILE_COPIER_KEY_ALIAS });
    expect(doc.commandOutput.logGroupName).toBe("/aft-fleet/orchestration");
    expect(doc.rundeckNodeSources.sources.map((s: any) => s.config.endpoint)).toEqual(["us-east-1", "eu-west-1"]);
    const source = doc.rundeckNodeSources.sources[0];
    expect(source).toMatchObject({ type: "aws-ec2", config: { assumeRoleArn: doc.role.arnPattern, filter: "tag:orchestration=allowed" } });
    expect(source.config.mappingParams).toContain(`ssm-assume-role-arn.default=${doc.role.arnPattern}`);
    expect(source.config.mappingParams).toContain("ssm-copier-bucket.default=acme-rundeck-files");
  });

  it("is pure: the same model gives the same bytes", () => {
    expect(orchestrationHandoff(input)).toBe(text);
    expect(text.endsWith("}\n")).toBe(true);
    const targeted = { ...input, orchestration: resolved({ ...full, targets: ["canary", "all-workloads"] }) };
    expect(orchestrationHandoff(targeted)).toBe(orchestrationHandoff({ ...targeted, orchestration: resolved({ ...full, targets: ["all-workloads", "canary"] }) }));
  });

  it("without targets lists no account and gives one placeholder node source per Region", () => {
    expect(doc.targets).toMatchObject({ groups: [], accounts: [], organizationalUnits: [], regions: ["us-east-1", "eu-west-1"] });
    expect(doc.targets.note).toMatch(/No orchestration\.targets/);
    expect(doc.rundeckNodeSources.sources.map((s: any) => [s.account, s.config.endpoint])).toEqual([
      ["<account>", "us-east-1"],
      ["<account>", "eu-west-1"],
    ]);
  });

  it("with targets lists the groups' accounts (with their role ARNs), their OU ids and the Regions, and a complete node source per account and Region", () => {
    const t = JSON.parse(orchestrationHandoff({ ...input, orchestration: resolved({ ...full, targets: ["canary", "all-workloads"], regions: ["eu-west-1", "us-east-1"] }) }));
    expect(t.targets).toMatchObject({
      groups: ["all-workloads", "canary"],
      accounts: [
        { account: "333333333333", roleArn: `arn:aws:iam::333333333333:role/${ORCHESTRATION_ROLE_NAME}` },
        { account: "444444444444", roleArn: `arn:aws:iam::444444444444:role/${ORCHESTRATION_ROLE_NAME}` },
      ],
      organizationalUnits: ["ou-ab12-sandbox01", "ou-ab12-workload1"],
      regions: ["us-east-1", "eu-west-1"],
    });
    expect(t.targets.note).toMatch(/list-accounts-for-parent/);
    // Listed accounts: complete sources; OU members: the placeholder, once per Region.
    expect(t.rundeckNodeSources.sources.map((s: any) => [s.account, s.config.endpoint])).toEqual([
      ["333333333333", "us-east-1"],
      ["333333333333", "eu-west-1"],
      ["444444444444", "us-east-1"],
      ["444444444444", "eu-west-1"],
      ["<account>", "us-east-1"],
      ["<account>", "eu-west-1"],
    ]);
    const first = t.rundeckNodeSources.sources[0].config;
    expect(first.assumeRoleArn).toBe(`arn:aws:iam::333333333333:role/${ORCHESTRATION_ROLE_NAME}`);
    expect(first.mappingParams).toContain(`ssm-assume-role-arn.default=arn:aws:iam::333333333333:role/${ORCHESTRATION_ROLE_NAME}`);
    expect(first.filter).toBe("tag:orchestration=allowed");
  });

  it("with targets of accounts only gives no placeholder source", () => {
    const t = JSON.parse(orchestrationHandoff({ ...input, orchestration: resolved({ ...minimal, targets: ["canary"] }) }));
    expect(t.targets.organizationalUnits).toEqual([]);
    expect(t.rundeckNodeSources.sources.map((s: any) => s.account)).toEqual(["333333333333", "333333333333", "444444444444", "444444444444"]);
  });

  it("names the log groups' encryption", () => {
    expect(doc.commandOutput.encryption).toBe("aws-managed");
    expect(JSON.parse(orchestrationHandoff({ ...input, orchestration: resolved({ ...full, logEncryption: "kms" }) })).commandOutput.encryption).toBe("kms");
  });
});
