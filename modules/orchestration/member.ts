import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { Orchestration, OrchestrationDocument } from "../config/orchestration";
import { fleetTags, partitionOf, tfLiteral } from "../core";
import type { PolicyStatement } from "../iam/policy";
import { accountAdministersKey, policyDocument, toJson, trustPolicy } from "../iam/policy";
import { orchestrationTrustPolicy } from "./trust";
import {
  COMMAND_LOG_RETENTION_DAYS,
  FILE_COPIER_KEY_ALIAS,
  ORCHESTRATION_NODE_POLICY_NAME,
  ORCHESTRATION_ROLE_NAME,
  documentArn,
  logGroupArn,
} from "./names";

export interface OrchestrationMemberRoleProps {
  readonly orchestration: Orchestration;
  /** Only principals of this organization may assume the role (`aws:PrincipalOrgID`). */
  readonly organizationId: string;
  /** The central account, which owns the file-copier bucket and its key. */
  readonly centralAccountId: string;
  /** Home Region: the file-copier bucket's Region and the ARN partition. */
  readonly homeRegion: string;
}

/**
 * Cross-account command orchestration in one account (global customization): the role
 * `aft-fleet-orchestration` a central runbook tool (Rundeck / Process Automation) assumes to run the
 * listed command documents on this account's nodes and follow them; when configured, the command
 * output log group in every orchestration Region, and the node policy (file copier reads, log writes).
 *
 * Trust: each principal's account root narrowed by `aws:PrincipalArn` to the configured role ARNs, by
 * `aws:PrincipalOrgID` and, when set, by `sts:ExternalId`. A role-ARN principal would make IAM refuse
 * the policy while the tool's role does not exist yet. Every ARN here is built from config strings and
 * fixed names, never from a central resource, so this applies before the central account ever ran.
 *
 * The log group lives in this account: Run Command's CloudWatchOutputConfig takes a log group *name*,
 * so the agent writes to the group of that name in the node's own account and Region, and CloudWatch
 * Logs resource policies do not admit IAM roles of other accounts.
 */
export class OrchestrationMemberRole extends Construct {
  readonly roleName = ORCHESTRATION_ROLE_NAME;
  readonly role: IamRole;
  /** The managed policy for nodes; undefined when the config names no bucket and no log group. */
  readonly nodePolicy?: IamPolicy;
  /** The instance profile name, with `instancePolicy.createInstanceProfile`. */
  readonly instanceProfileName?: string;

  constructor(scope: Construct, id: string, props: OrchestrationMemberRoleProps) {
    super(scope, id);
    const o = props.orchestration;
    const partition = partitionOf(props.homeRegion);
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const regions = o.regions;
    // Config text is literal data for Terraform; the account token is joined in only afterwards.
    const documents = o.documents.map(literalDocument);
    const logGroupName = o.logGroupName === undefined ? undefined : tfLiteral(o.logGroupName);
    const bucketName = o.fileCopierBucket === undefined ? undefined : tfLiteral(o.fileCopierBucket);
    const tags = fleetTags({ "aft-fleet:role": "orchestration" });

    this.role = new IamRole(this, "Role", {
      name: ORCHESTRATION_ROLE_NAME,
      description: "aft-fleet: the central runbook tool assumes this role to run the allowed command documents on this account's nodes and read their output",
      maxSessionDuration: 3600,
      // The config check measured this same policy (without the Terraform escapes) against IAM's quota.
      assumeRolePolicy: toJson(
        orchestrationTrustPolicy(
          {
            partition,
            organizationId: props.organizationId,
            principals: o.principals,
            principalAccounts: o.principalAccounts,
            ...(o.externalId !== undefined ? { externalId: o.externalId } : {}),
          },
          tfLiteral,
        ),
      ),
      tags,
    });

    const nodeResources = regions.flatMap((r) => [`arn:${partition}:ec2:${r}:${account}:instance/*`, `arn:${partition}:ssm:${r}:${account}:managed-instance/*`]);
    const statements: PolicyStatement[] = [
      {
        // Exactly the listed documents; SendCommand authorizes the document and each target node separately.
        Sid: "SendAllowedDocuments",
        Effect: "Allow",
        Action: "ssm:SendCommand",
        Resource: regions.flatMap((r) => documents.map((d) => documentArn(partition, r, account, d))),
      },
      {
        Sid: "SendToThisAccountsNodes",
        Effect: "Allow",
        Action: "ssm:SendCommand",
        Resource: nodeResources,
        ...(o.nodeTag ? { Condition: { StringEquals: { [`ssm:resourceTag/${tfLiteral(o.nodeTag.key)}`]: tfLiteral(o.nodeTag.value) } } } : {}),
      },
      {
        // GetCommandInvocation, ListCommandInvocations and ListCommands support no resource-level
        // permissions (Service Authorization Reference, Systems Manager): "*" is required.
        // ssm:CancelCommand is not granted: it has no resource type and no condition key there either, so it
        // could only be "*", any command of the account (patch windows, emergency patch campaigns) and not
        // only the tool's, and a node tag or document cannot narrow it. The tool's commands end by their
        // executionTimeout; an operator in the account cancels one by hand.
        Sid: "FollowCommands",
        Effect: "Allow",
        Action: ["ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands"],
        Resource: "*",
      },
      {
        // Node discovery: these Describe calls support no resource-level permissions: "*" is required.
        Sid: "DiscoverNodes",
        Effect: "Allow",
        Action: ["ec2:DescribeInstances", "ec2:DescribeTags", "ssm:DescribeInstanceInformation"],
        Resource: "*",
      },
    ];
    if (logGroupName !== undefined) {
      const groups = regions.map((r) => logGroupArn(partition, r, account, logGroupName));
      statements.push({
        // Output beyond Run Command's 48,000 characters, from this account's log group of that name.
        Sid: "ReadCommandOutput",
        Effect: "Allow",
        Action: ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"],
        Resource: groups.flatMap((g) => [g, `${g}:*`]),
      });
    }
    new IamRolePolicy(this, "Policy", { name: ORCHESTRATION_ROLE_NAME, role: this.role.id, policy: toJson(policyDocument(...statements)) });

    if (logGroupName !== undefined) {
      for (const region of regions) {
        const inRegion = new Construct(this, region);
        if (o.logEncryption !== "kms") {
          // CloudWatch Logs always encrypts log data at rest; without a customer key it uses its own keys
          // (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
          new CloudwatchLogGroup(inRegion, "LogGroup", { region, name: logGroupName, retentionInDays: COMMAND_LOG_RETENTION_DAYS, tags });
          continue;
        }
        // A KMS key is Regional and a log group takes a key of its own Region: one key per account and Region.
        const groupArn = logGroupArn(partition, region, account, logGroupName);
        const key = new KmsKey(inRegion, "LogKey", {
          region,
          description: "aft-fleet: encrypts the command output log group of the central runbook tool",
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: toJson(
            policyDocument(accountAdministersKey(partition, account), {
              Sid: "CloudWatchLogsEncryptsCommandOutput",
              Effect: "Allow",
              Principal: { Service: `logs.${region}.amazonaws.com` },
              Action: ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
              Resource: "*",
              Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": groupArn } },
            }),
          ),
          tags,
        });
        new KmsAlias(inRegion, "LogKeyAlias", { region, name: "alias/aft-fleet/orchestration-command-output", targetKeyId: key.keyId });
        new CloudwatchLogGroup(inRegion, "LogGroup", { region, name: logGroupName, retentionInDays: COMMAND_LOG_RETENTION_DAYS, kmsKeyId: key.arn, tags });
      }
    }

    const nodeStatements: PolicyStatement[] = [];
    if (bucketName !== undefined) {
      nodeStatements.push(
        {
          // The file copier's uploads (AWS-RunRemoteScript, the SSM file copier) in the central account's bucket.
          Sid: "ReadFileCopierObjects",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: `arn:${partition}:s3:::${bucketName}/*`,
        },
        {
          // The bucket's customer key, found by its alias (no cross-account reference at apply time), through S3 only.
          Sid: "DecryptFileCopierObjectsThroughS3",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: `arn:${partition}:kms:${props.homeRegion}:${props.centralAccountId}:key/*`,
          Condition: {
            StringEquals: { "kms:ViaService": `s3.${props.homeRegion}.amazonaws.com` },
            "ForAnyValue:StringEquals": { "kms:ResourceAliases": FILE_COPIER_KEY_ALIAS },
          },
        },
      );
    }
    if (logGroupName !== undefined) {
      const groups = regions.map((r) => logGroupArn(partition, r, account, logGroupName));
      nodeStatements.push(
        {
          // The agent writes each command's output to a stream of the group named in CloudWatchOutputConfig.
          Sid: "WriteCommandOutput",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
          Resource: groups.map((g) => `${g}:*`),
        },
        {
          // The agent checks that the group exists before writing; this account's groups in these Regions only.
          Sid: "FindCommandOutputGroup",
          Effect: "Allow",
          Action: "logs:DescribeLogGroups",
          Resource: regions.map((r) => `arn:${partition}:logs:${r}:${account}:log-group:*`),
        },
      );
    }
    if (nodeStatements.length > 0 && o.instancePolicy) {
      this.nodePolicy = new IamPolicy(this, "NodePolicy", {
        name: ORCHESTRATION_NODE_POLICY_NAME,
        description: "aft-fleet: lets managed nodes download the central runbook tool's files and write command output",
        policy: toJson(policyDocument(...nodeStatements)),
        tags,
      });
      let roleName: string;
      if ("attachToRole" in o.instancePolicy) {
        // The role must exist in every account this tree is applied to (AFT applies it everywhere).
        roleName = tfLiteral(o.instancePolicy.attachToRole);
      } else {
        const name = tfLiteral(o.instancePolicy.createInstanceProfile);
        const nodeRole = new IamRole(this, "NodeRole", {
          name,
          description: "aft-fleet: instance role for managed nodes the central runbook tool runs commands on",
          maxSessionDuration: 3600,
          assumeRolePolicy: toJson(
            trustPolicy({
              Sid: "Ec2Instances",
              Effect: "Allow",
              Principal: { Service: partition === "aws-cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com" },
              Action: "sts:AssumeRole",
            }),
          ),
          tags,
        });
        new IamRolePolicyAttachment(this, "NodeRoleCore", { role: nodeRole.name, policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` });
        new IamInstanceProfile(this, "NodeInstanceProfile", { name, role: nodeRole.name, tags });
        this.instanceProfileName = o.instancePolicy.createInstanceProfile;
        roleName = nodeRole.name;
      }
      new IamRolePolicyAttachment(this, "NodePolicyAttachment", { role: roleName, policyArn: this.nodePolicy.arn });
    }

    new TerraformOutput(this, "role_arn", { value: this.role.arn, description: "Role the central runbook tool assumes in this account" });
    if (this.instanceProfileName !== undefined) {
      new TerraformOutput(this, "instance_profile_name", { value: tfLiteral(this.instanceProfileName), description: "Instance profile for nodes the runbook tool manages" });
    }
  }
}

function literalDocument(doc: OrchestrationDocument): OrchestrationDocument {
  return doc.kind === "arn" ? { kind: "arn", arn: tfLiteral(doc.arn) } : { kind: doc.kind, name: tfLiteral(doc.name) };
}
