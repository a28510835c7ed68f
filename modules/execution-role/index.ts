import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import {
  CONTROLLER_ROLE_NAME,
  EXECUTION_ROLE_NAME,
  INVENTORY_SYNC_NAME,
  PACKAGE_STORE_PREFIX,
  RUN_PATCH_BASELINE_DOCUMENT,
  UPDATE_LINUX_AMI_DOCUMENT,
  UPDATE_WINDOWS_AMI_DOCUMENT,
  packageDocumentNameOf,
} from "../../contract/names";
import { PACKAGE_PARAMETER_PREFIX } from "../../contract/patterns";
import { fleetTags, partitionOf } from "../core/tags";
import type { PolicyStatement } from "../iam/policy";
import { policyDocument, toJson, trustPolicy } from "../iam/policy";

export interface ExecutionRoleProps {
  readonly organizationId: string;
  /** The central account; only its controller role may assume this role. */
  readonly centralAccountId: string;
  /** Home Region: the package store's Region (and the ARN partition). */
  readonly homeRegion: string;
  /**
   * The package store. The role reads its `packages/` prefix and manages the `aft-fleet-*` documents, so it
   * takes no package names: adding a package changes nothing here (and no member tree).
   */
  readonly storeBucket: string;
  /** Alias of the store's customer key, when the store uses SSE-KMS. @default - SSE-S3: no key statement */
  readonly storeKeyAlias?: string;
  /**
   * The controller keeps this account's inventory resource data sync (`aft-fleet-inventory`) to the central
   * reports bucket (patching configured). @default false
   */
  readonly inventorySync?: boolean;
  /**
   * A package argument references Parameter Store: before each association change the controller checks
   * that the names exist (GetParameters, this account's names below /aft-fleet/ only). @default false
   */
  readonly packageParameters?: boolean;
  /** The controller may send AWS-RunPatchBaseline to this account's nodes (`patching.emergency` configured). @default false */
  readonly emergencyPatching?: boolean;
  /**
   * The controller patches environment-tagged Auto Scaling groups' images and refreshes them
   * (`patching.autoScaling` configured): the member role the image automation runs as. @default - none
   */
  readonly autoScalingImages?: { readonly automationRoleName: string };
}

/**
 * The one thing every account gets (global customization): the role the central controller assumes to
 * keep this account's Distributor packages and their State Manager associations at the ring's version.
 * It names no version and reads nothing of the central account at apply time, so AFT never re-runs
 * member pipelines to move a version, and a member applied before the central account ever ran works.
 *
 * Trust: the central account's root narrowed by `aws:PrincipalArn` to the controller role and by
 * `aws:PrincipalOrgID`; a role-ARN principal would make IAM refuse the policy until the controller role
 * exists, and AFT applies this (global) stage before the central account's account stage creates it.
 */
export class ExecutionRole extends Construct {
  readonly roleName = EXECUTION_ROLE_NAME;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ExecutionRoleProps) {
    super(scope, id);
    const partition = partitionOf(props.homeRegion);
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    // Every Region through the wildcard: only the controller can assume the role, and naming each workload
    // Region would make the policy grow with them (IAM: inline policies of a role total at most 10,240
    // characters) and make adding a Region a re-customization of every account.
    const regions = ["*"];
    // Likewise every package through one document prefix and one store prefix (contract/names.ts): naming each
    // package took 130-200 characters of the 10,240 per package (its document, store prefix and list condition) and
    // made a new package a re-customization of every account.
    const packageDocuments = packageDocumentNameOf("*");
    const packageObjects = `${PACKAGE_STORE_PREFIX}/*`;
    const ssm = (region: string, resource: string) => `arn:${partition}:ssm:${region}:${account}:${resource}`;
    const bucketArn = `arn:${partition}:s3:::${props.storeBucket}`;

    this.role = new IamRole(this, "Role", {
      name: EXECUTION_ROLE_NAME,
      description: "aft-fleet: the central rollout controller assumes this role to keep this account's Distributor packages and their State Manager associations at the ring's version",
      maxSessionDuration: 3600,
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "CentralRolloutController",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${props.centralAccountId}:root` },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:PrincipalOrgID": props.organizationId },
            ArnEquals: { "aws:PrincipalArn": `arn:${partition}:iam::${props.centralAccountId}:role/${CONTROLLER_ROLE_NAME}` },
          },
        }),
      ),
      tags: fleetTags({ "aft-fleet:role": "execution" }),
    });

    const statements: PolicyStatement[] = [
      {
        // Create, add and delete versions, move the default, read: only aft-fleet's Package documents
        // (`aft-fleet-<package>`); SSM document ARNs are `document/<name>` (Service Authorization Reference,
        // Systems Manager, resource type document).
        Sid: "ManagePackageDocuments",
        Effect: "Allow",
        Action: [
          "ssm:CreateDocument",
          "ssm:DeleteDocument",
          "ssm:DescribeDocument",
          "ssm:ListDocumentVersions",
          "ssm:UpdateDocument",
          "ssm:UpdateDocumentDefaultVersion",
        ],
        Resource: regions.map((r) => ssm(r, `document/${packageDocuments}`)),
      },
      {
        // Associations are addressed by id, not name; this account's associations running AWS-ConfigureAWSPackage only.
        Sid: "ManagePackageAssociations",
        Effect: "Allow",
        Action: ["ssm:CreateAssociation", "ssm:DescribeAssociation", "ssm:DescribeAssociationExecutions", "ssm:StartAssociationsOnce", "ssm:UpdateAssociation"],
        Resource: [
          ...regions.map((r) => `arn:${partition}:ssm:${r}::document/AWS-ConfigureAWSPackage`),
          ...regions.map((r) => ssm(r, "association/*")),
          ...regions.map((r) => `arn:${partition}:ec2:${r}:${account}:instance/*`),
          ...regions.map((r) => ssm(r, "managed-instance/*")),
        ],
      },
      {
        // ListAssociations supports no resource-level permissions (Service Authorization Reference, Systems Manager).
        Sid: "FindAssociationsByName",
        Effect: "Allow",
        Action: "ssm:ListAssociations",
        Resource: "*",
      },
      {
        // CreateDocument/UpdateDocument copy the attachments from the store (Attachments SourceUrl
        // `s3://<bucket>/packages/<package>/<version>`) with the caller's credentials; only the package prefix.
        // Which S3 calls Systems Manager makes for that copy is not documented, so both reads stay, on this prefix only.
        Sid: "ReadPackageVersions",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `${bucketArn}/${packageObjects}`,
      },
      {
        // A SourceUrl is "an S3 bucket location" (SSM API Reference, AttachmentsSource), a prefix rather than the
        // files; listing, if the copy lists it, is limited to the package prefix.
        Sid: "ListPackageVersions",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": packageObjects } },
      },
    ];
    if (props.packageParameters) {
      statements.push({
        // The node's agent resolves the references; the controller only checks that they exist and are not SecureString.
        Sid: "CheckPackageParameters",
        Effect: "Allow",
        Action: "ssm:GetParameters",
        Resource: `arn:${partition}:ssm:*:${account}:parameter${PACKAGE_PARAMETER_PREFIX}*`,
      });
    }
    if (props.inventorySync) {
      statements.push(
        {
          // A sync's destination cannot be changed in place: the controller deletes and creates it again.
          Sid: "ManageInventorySync",
          Effect: "Allow",
          Action: ["ssm:CreateResourceDataSync", "ssm:DeleteResourceDataSync"],
          Resource: regions.map((r) => ssm(r, `resource-data-sync/${INVENTORY_SYNC_NAME}`)),
        },
        {
          // ListResourceDataSync supports no resource-level permissions (Service Authorization Reference, Systems Manager).
          Sid: "FindInventorySync",
          Effect: "Allow",
          Action: "ssm:ListResourceDataSync",
          Resource: "*",
        },
      );
    }
    if (props.emergencyPatching) {
      statements.push(
        {
          // Emergency patching: AWS-RunPatchBaseline only, to this account's nodes only. Tag targets are resolved by
          // Run Command itself, so no tag or EC2 read permission is needed (resource-group targets are not used).
          Sid: "SendEmergencyPatch",
          Effect: "Allow",
          Action: "ssm:SendCommand",
          Resource: [
            ...regions.map((r) => `arn:${partition}:ssm:${r}::document/${RUN_PATCH_BASELINE_DOCUMENT}`),
            ...regions.map((r) => `arn:${partition}:ec2:${r}:${account}:instance/*`),
            ...regions.map((r) => ssm(r, "managed-instance/*")),
          ],
        },
        {
          // ListCommands and ListCommandInvocations support no resource-level permissions (Service Authorization Reference).
          Sid: "ReadEmergencyPatchCommands",
          Effect: "Allow",
          Action: ["ssm:ListCommandInvocations", "ssm:ListCommands"],
          Resource: "*",
        },
      );
    }
    if (props.autoScalingImages) {
      statements.push(
        {
          // Describe calls of Auto Scaling and EC2 support no resource-level permissions (Service Authorization
          // Reference, Amazon EC2 Auto Scaling and Amazon EC2): "*" only.
          Sid: "FindAutoScalingImages",
          Effect: "Allow",
          Action: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeInstanceRefreshes", "ec2:DescribeImages", "ec2:DescribeLaunchTemplateVersions"],
          Resource: "*",
        },
        {
          Sid: "UpdateLaunchTemplates",
          Effect: "Allow",
          Action: ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
          Resource: regions.map((r) => `arn:${partition}:ec2:${r}:${account}:launch-template/*`),
        },
        {
          Sid: "RefreshAutoScalingGroups",
          Effect: "Allow",
          Action: "autoscaling:StartInstanceRefresh",
          Resource: regions.map((r) => `arn:${partition}:autoscaling:${r}:${account}:autoScalingGroup:*:autoScalingGroupName/*`),
        },
        {
          // The two AWS-owned runbooks only (automation-definition ARNs, any version).
          Sid: "StartImageAutomation",
          Effect: "Allow",
          Action: "ssm:StartAutomationExecution",
          Resource: regions.flatMap((r) => [UPDATE_LINUX_AMI_DOCUMENT, UPDATE_WINDOWS_AMI_DOCUMENT].map((d) => `arn:${partition}:ssm:${r}:*:automation-definition/${d}:*`)),
        },
        {
          Sid: "ReadImageAutomation",
          Effect: "Allow",
          Action: "ssm:GetAutomationExecution",
          Resource: regions.map((r) => ssm(r, "automation-execution/*")),
        },
        {
          // AutomationAssumeRole: the configured member role, to Systems Manager only.
          Sid: "PassImageAutomationRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: `arn:${partition}:iam::${account}:role/${props.autoScalingImages.automationRoleName}`,
          Condition: { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } },
        },
      );
    }
    if (props.storeKeyAlias) {
      statements.push({
        // The store's customer key, found by its alias (no cross-account reference at apply time), through S3 only.
        Sid: "DecryptPackagesThroughS3",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: `arn:${partition}:kms:${props.homeRegion}:${props.centralAccountId}:key/*`,
        Condition: {
          StringEquals: { "kms:ViaService": `s3.${props.homeRegion}.amazonaws.com` },
          "ForAnyValue:StringEquals": { "kms:ResourceAliases": props.storeKeyAlias },
        },
      });
    }
    new IamRolePolicy(this, "Policy", { name: "aft-fleet-execution", role: this.role.id, policy: toJson(policyDocument(...statements)) });

    new TerraformOutput(this, "role_arn", { value: this.role.arn, description: "Role the central rollout controller assumes in this account" });
  }
}
