/*
 * Cross-account command orchestration (SPEC §6.G, issue #11): the `orchestration` config section and its
 * resolution, the member role (global tree), the central file-copier bucket and the handoff file.
 */
import { Testing } from "cdktf";
import type { ConfigIssue } from "../modules/config/errors";
import { formatPath } from "../modules/config/errors";
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

const org = { id: "o-a1b2c3d4e5", centralAccount: "222222222222", workloadRegions: ["us-east-1", "eu-west-1"] };
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

  it("defaults to the three AWS run documents, every workload Region and no node tag, bucket, log group or node policy", () => {
    expect(resolved(minimal)).toEqual({
      principals: [RUNDECK],
      principalAccounts: ["222222222222"],
      documents: [
        { kind: "aws", name: "AWS-RunShellScript" },
        { kind: "aws", name: "AWS-RunPowerShellScript" },
        { kind: "aws", name: "AWS-RunRemoteScript" },
      ],
      regions: ["us-east-1", "eu-west-1"],
    });
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
        Sid: "CentralOrchestrationTool",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam::222222222222:root"] },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" }, ArnEquals: { "aws:PrincipalArn": [RUNDECK] } },
      },
    ]);
  });

  it("requires the ExternalId only when it is set, and names every principal account", () => {
    const trust = trustOf(synthMember(resolved(full)));
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Principal.AWS).toEqual(["arn:aws:iam::222222222222:root", "arn:aws:iam::555555555555:root"]);
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5", "sts:ExternalId": "rundeck-prod:7f3a" },
      ArnEquals: { "aws:PrincipalArn": [RUNDECK, TOOLING] },
    });
    expect(JSON.stringify(trustOf(synthMember(resolved(minimal))))).not.toContain("sts:ExternalId");
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
        "arn:aws:ssm:us-east-1::document/AWS-RunRemoteScript",
        "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript",
        "arn:aws:ssm:eu-west-1::document/AWS-RunPowerShellScript",
        "arn:aws:ssm:eu-west-1::document/AWS-RunRemoteScript",
      ],
    });
    // A document not listed is not allowed, and no wildcard document is.
    const all = JSON.stringify(policy);
    expect(all).not.toContain("AWS-RunPatchBaseline");
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
        "ssm:CancelCommand",
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

  it("creates a KMS-encrypted log group with 365 days' retention in each Region", () => {
    const tree = synthMember(resolved(full));
    const groups = Object.values<any>(tree.resource.aws_cloudwatch_log_group);
    expect(groups.map((g) => [g.region, g.name, g.retention_in_days]).sort()).toEqual([
      ["eu-west-1", "/aft-fleet/orchestration", 365],
      ["us-east-1", "/aft-fleet/orchestration", 365],
    ]);
    for (const g of groups) expect(g.kms_key_id).toMatch(/^\$\{aws_kms_key\.[a-z0-9_]+\.arn\}$/);
    const keys = Object.values<any>(tree.resource.aws_kms_key);
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(k.enable_key_rotation).toBe(true);
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
    const text = JSON.stringify(synthMember(resolved(full)));
    const refs = [...text.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!.split(".")[0]);
    expect([...new Set(refs)].sort()).toEqual(["aws_iam_policy", "aws_iam_role", "aws_kms_key", "data"]);
  });

  it("keeps config text literal for Terraform", () => {
    const hostile = resolved({ principals: ["arn:aws:iam::222222222222:role/${evil}/rundeck"] });
    const trust = trustOf(synthMember(hostile));
    const arn = trust.Statement[0].Condition.ArnEquals["aws:PrincipalArn"][0];
    expect(readTemplate(arn)).toEqual([{ literal: "arn:aws:iam::222222222222:role/${evil}/rundeck" }]);
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
  });
});
