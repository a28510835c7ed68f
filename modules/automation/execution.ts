import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { fleetTags, partitionOf } from "../core/tags";
import { policyDocument, toJson, trustPolicy } from "../iam/policy";
import { ADMINISTRATION_ROLE_NAME, EXECUTION_ROLE_NAME, INSTALL_RUNBOOK_NAME } from "./names";
import { installPackageRunbook } from "./runbooks";

export interface AutomationExecutionProps {
  readonly organizationId: string;
  /** The central account, whose administration role may assume this account's execution role. */
  readonly centralAccountId: string;
  /** Home Region (sets the ARN partition). */
  readonly homeRegion: string;
  /** Regions that get the member runbook. */
  readonly workloadRegions: readonly string[];
  /** Packages the central account shares; the role may read only their documents. */
  readonly packageNames: readonly string[];
}

/**
 * A member account's side of the org fan-out (SPEC §6.C), applied by the global customization to every
 * account: the Automation execution role that only the central account's administration role may
 * assume, and the aft-fleet-InstallPackage runbook in each workload Region.
 *
 * The runbook is created here rather than shared from the central account: a shared custom runbook
 * needs a ModifyDocumentPermission call per account and Region, and a newly vended account would not
 * have it until the central account ran again. AFT applies this customization when it vends an
 * account, so the runbook is there before any rollout reaches the account.
 */
export class AutomationExecution extends Construct {
  readonly roleName = EXECUTION_ROLE_NAME;
  readonly runbookName = INSTALL_RUNBOOK_NAME;

  constructor(scope: Construct, id: string, props: AutomationExecutionProps) {
    super(scope, id);
    const partition = partitionOf(props.homeRegion);
    const tags = fleetTags({ "aft-fleet:role": "fan-out" });
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const regions = props.workloadRegions;
    const ownSsm = (resource: string) => regions.map((r) => `arn:${partition}:ssm:${r}:${account}:${resource}`);
    const configurePackage = regions.map((r) => `arn:${partition}:ssm:${r}::document/AWS-ConfigureAWSPackage`);
    const ownRoleArn = `arn:${partition}:iam::${account}:role/${EXECUTION_ROLE_NAME}`;

    const role = new IamRole(this, "Role", {
      name: EXECUTION_ROLE_NAME,
      description: "aft-fleet: Automation execution role; the central account's administration role runs aft-fleet-InstallPackage with it",
      assumeRolePolicy: toJson(
        // The central account as principal, narrowed to its administration role by aws:PrincipalArn: a
        // role-ARN principal must exist when this role is created, but AFT applies the global
        // customization before the account customization, so in the central account itself (and in any
        // account customized first) the administration role does not exist yet and the apply would fail.
        // The condition also survives the administration role being recreated.
        trustPolicy({
          Sid: "CentralAutomationAdministration",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${props.centralAccountId}:root` },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:PrincipalOrgID": props.organizationId },
            ArnEquals: { "aws:PrincipalArn": `arn:${partition}:iam::${props.centralAccountId}:role/${ADMINISTRATION_ROLE_NAME}` },
          },
        }),
      ),
      tags,
    });
    new IamRolePolicy(this, "Policy", {
      name: "automation-execution",
      role: role.id,
      policy: toJson(
        policyDocument(
          {
            Sid: "SendConfigurePackageCommand",
            Effect: "Allow",
            Action: "ssm:SendCommand",
            Resource: [
              ...configurePackage,
              ...regions.map((r) => `arn:${partition}:ec2:${r}:${account}:instance/*`),
              ...ownSsm("managed-instance/*"),
            ],
          },
          {
            Sid: "ReadPackageAndRunbookDocuments",
            Effect: "Allow",
            Action: ["ssm:DescribeDocument", "ssm:GetDocument"],
            Resource: [
              ...regions.flatMap((r) => props.packageNames.map((name) => `arn:${partition}:ssm:${r}:${props.centralAccountId}:document/${name}`)),
              ...configurePackage,
              ...ownSsm(`document/${INSTALL_RUNBOOK_NAME}`),
            ],
          },
          {
            Sid: "RunInstallRunbook",
            Effect: "Allow",
            Action: "ssm:StartAutomationExecution",
            Resource: ownSsm(`automation-definition/${INSTALL_RUNBOOK_NAME}:*`),
          },
          {
            Sid: "ReadOwnAutomationExecutions",
            Effect: "Allow",
            Action: ["ssm:DescribeAutomationStepExecutions", "ssm:GetAutomationExecution"],
            Resource: ownSsm("automation-execution/*"),
          },
          {
            // These read-only calls support no resource-level permissions: aws:runCommand tracks its
            // command and resolves targets with them.
            Sid: "TrackCommandsAndTargets",
            Effect: "Allow",
            Action: [
              "ec2:DescribeInstances",
              "ssm:DescribeAutomationExecutions",
              "ssm:DescribeInstanceInformation",
              "ssm:GetCommandInvocation",
              "ssm:ListCommandInvocations",
              "ssm:ListCommands",
              "tag:GetResources",
            ],
            Resource: "*",
          },
          {
            Sid: "PassOwnRoleToAutomation",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: ownRoleArn,
            Condition: { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } },
          },
        ),
      ),
    });

    const content = JSON.stringify(installPackageRunbook({ partition }));
    for (const region of regions) {
      new SsmDocument(new Construct(this, region), "InstallRunbook", {
        region,
        name: INSTALL_RUNBOOK_NAME,
        documentType: "Automation",
        documentFormat: "JSON",
        content,
        tags,
      });
    }

    new TerraformOutput(this, "role_arn", { value: role.arn, description: "Automation execution role the central account's rollouts use" });
    new TerraformOutput(this, "install_runbook_name", { value: INSTALL_RUNBOOK_NAME, description: "Member runbook, in every workload Region" });
  }
}
