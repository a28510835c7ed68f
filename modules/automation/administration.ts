import * as path from "node:path";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { fleetTags, partitionOf } from "../core/tags";
import type { PolicyStatement } from "../iam/policy";
import { accountAdministersKey, policyDocument, toJson, trustPolicy } from "../iam/policy";
import type { PackageStore } from "../package-store";
import { FanOutFunction } from "./fan-out-function";
import type { FanOutHandler } from "./names";
import {
  ADMINISTRATION_ROLE_NAME,
  EXECUTION_ROLE_NAME,
  FAN_OUT_HANDLERS,
  functionNameOf,
  INSTALL_RUNBOOK_NAME,
  METRIC_NAMESPACE,
  ROLLOUT_RUNBOOK_NAME,
  ROLLOUT_SUMMARY_PREFIX,
} from "./names";
import { rolloutPackageRunbook } from "./runbooks";

export interface AutomationAdministrationProps {
  readonly organizationId: string;
  /** The organization's management account (Organizations resource ARNs carry its id). */
  readonly managementAccountId: string;
  /** The central (delegated admin) account this construct is deployed to. */
  readonly accountId: string;
  /** Home Region: the runbook, the Lambdas and the package store live here. */
  readonly region: string;
  /** Regions whose Package documents are shared with target accounts. */
  readonly workloadRegions: readonly string[];
  /**
   * Packages that may be rolled out. Their Package documents in this account are the ones the global
   * customization creates here (AFT applies it to the central account too); they are shared, not
   * duplicated, because a second document of the same name cannot exist in the same account and Region.
   */
  readonly packageNames: readonly string[];
  /** The package store: run state and summaries go under `rollouts/` in it. */
  readonly store: PackageStore;
  /** Folder with the Lambda bundles (`<dir>/<handler>/index.js`), from `buildLambdas()`. */
  readonly lambdaBundleDir: string;
}

/**
 * The central account's side of the org fan-out (SPEC §6.C): the Automation administration role, the
 * four fan-out Lambdas with one least-privilege role each, the aft-fleet-RolloutPackage runbook and a
 * KMS key for the Lambdas' logs. Rollouts are started per ring by `RolloutAssociation`.
 */
export class AutomationAdministration extends Construct {
  readonly roleArn: string;
  readonly roleName = ADMINISTRATION_ROLE_NAME;
  readonly runbookName = ROLLOUT_RUNBOOK_NAME;
  readonly region: string;
  readonly functionNames: Readonly<Record<FanOutHandler, string>>;
  /** The runbook document (associations depend on it). */
  readonly runbook: SsmDocument;

  constructor(scope: Construct, id: string, props: AutomationAdministrationProps) {
    super(scope, id);
    const { accountId, region, organizationId } = props;
    const partition = partitionOf(region);
    const tags = fleetTags({ "aft-fleet:role": "fan-out" });
    const roleArn = (name: string) => `arn:${partition}:iam::${accountId}:role/${name}`;
    const ssmArn = (where: string, resource: string) => `arn:${partition}:ssm:${where}:${accountId}:${resource}`;
    const adminRoleArn = roleArn(ADMINISTRATION_ROLE_NAME);
    const passToSsm = { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } };
    const functionNames = Object.fromEntries(FAN_OUT_HANDLERS.map((h) => [h, functionNameOf(h)])) as Record<FanOutHandler, string>;
    this.functionNames = functionNames;
    this.region = region;

    const logKey = new KmsKey(this, "LogKey", {
      region,
      description: "aft-fleet: encrypts the log groups of the fan-out Lambda functions",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: toJson(
        policyDocument(
          accountAdministersKey(partition, accountId),
          {
            Sid: "CloudWatchLogsEncryptsFanOutLogs",
            Effect: "Allow",
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            Resource: "*",
            Condition: {
              ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/aft-fleet-*` },
            },
          },
        ),
      ),
      tags,
    });
    new KmsAlias(this, "LogKeyAlias", { region, name: "alias/aft-fleet/fan-out-logs", targetKeyId: logKey.keyId });

    const role = new IamRole(this, "Role", {
      name: ADMINISTRATION_ROLE_NAME,
      description: "aft-fleet: Automation administration role; runs aft-fleet-RolloutPackage and reaches member accounts' execution roles",
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "AutomationInThisAccount",
          Effect: "Allow",
          Principal: { Service: "ssm.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        }),
      ),
      tags,
    });
    this.roleArn = role.arn;
    const lambdaArn = (handler: FanOutHandler) => `arn:${partition}:lambda:${region}:${accountId}:function:${functionNames[handler]}`;
    const policy = new IamRolePolicy(this, "Policy", {
      name: "automation-administration",
      role: role.id,
      policy: toJson(
        policyDocument(
          {
            Sid: "InvokeFanOutFunctions",
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: FAN_OUT_HANDLERS.map(lambdaArn),
          },
          {
            // The waitForPackage step reads the package version's status in the home Region.
            Sid: "ReadPackageDocuments",
            Effect: "Allow",
            Action: ["ssm:DescribeDocument", "ssm:GetDocument"],
            Resource: props.packageNames.map((name) => ssmArn(region, `document/${name}`)),
          },
          {
            // Multi-account Automation: only the execution role name, only in accounts of this organization.
            Sid: "AssumeMemberExecutionRoles",
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Resource: `arn:${partition}:iam::*:role/${EXECUTION_ROLE_NAME}`,
            Condition: { StringEquals: { "aws:ResourceOrgID": organizationId } },
          },
          {
            Sid: "PassOwnRoleToAutomation",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: adminRoleArn,
            Condition: passToSsm,
          },
        ),
      ),
    });

    const bucketArn = props.store.bucketArn;
    const runObjects = `${bucketArn}/${ROLLOUT_SUMMARY_PREFIX}/*`;
    const runState: PolicyStatement[] = [
      { Sid: "ReadWriteRunState", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: runObjects },
      {
        // Without ListBucket S3 answers 403 instead of 404 for a run state that does not exist yet.
        Sid: "TellMissingRunState",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
      },
      {
        Sid: "UseStoreKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: props.store.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${props.store.region}.amazonaws.com` } },
      },
    ];
    const statements: Record<FanOutHandler, PolicyStatement[]> = {
      "expand-targets": [
        {
          // Organizations' List*ForParent actions support no resource-level permissions.
          Sid: "ListOrganizationTree",
          Effect: "Allow",
          Action: ["organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"],
          Resource: "*",
        },
        {
          Sid: "DescribeMemberAccounts",
          Effect: "Allow",
          Action: "organizations:DescribeAccount",
          Resource: `arn:${partition}:organizations::${props.managementAccountId}:account/${organizationId}/*`,
        },
      ],
      "share-document": [
        {
          Sid: "SharePackageDocuments",
          Effect: "Allow",
          Action: "ssm:ModifyDocumentPermission",
          Resource: props.workloadRegions.flatMap((r) => props.packageNames.map((name) => ssmArn(r, `document/${name}`))),
        },
      ],
      "start-rollout": [
        {
          Sid: "StartInstallRunbook",
          Effect: "Allow",
          Action: "ssm:StartAutomationExecution",
          Resource: ssmArn(region, `automation-definition/${INSTALL_RUNBOOK_NAME}:*`),
        },
        {
          // The member runbook's executions run as the administration role (AutomationAssumeRole).
          Sid: "PassAdministrationRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: adminRoleArn,
          Condition: passToSsm,
        },
        ...runState,
      ],
      "collect-results": [
        {
          Sid: "ReadAutomationExecutions",
          Effect: "Allow",
          Action: ["ssm:DescribeAutomationStepExecutions", "ssm:GetAutomationExecution"],
          Resource: ssmArn(region, "automation-execution/*"),
        },
        {
          // DescribeAutomationExecutions (children of a parent execution) supports no resource-level permissions.
          Sid: "ListChildExecutions",
          Effect: "Allow",
          Action: "ssm:DescribeAutomationExecutions",
          Resource: "*",
        },
        ...runState,
        {
          // PutMetricData supports no resource-level permissions; the namespace condition scopes it.
          Sid: "PublishRolloutMetric",
          Effect: "Allow",
          Action: "cloudwatch:PutMetricData",
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
        },
      ],
    };
    const descriptions: Record<FanOutHandler, string> = {
      "expand-targets": "aft-fleet: expands OUs to active member accounts in groups of at most 50",
      "share-document": "aft-fleet: shares a Package document with accounts, 20 per call, in every Region",
      "start-rollout": "aft-fleet: starts aft-fleet-InstallPackage per account group and Region",
      "collect-results": "aft-fleet: waits for a rollout's executions and records per-target results",
    };
    // Each stays below the 300 s an aws:invokeLambdaFunction step may run.
    const timeouts: Record<FanOutHandler, number> = { "expand-targets": 180, "share-document": 180, "start-rollout": 240, "collect-results": 240 };
    const functions = FAN_OUT_HANDLERS.map(
      (handler) =>
        new FanOutFunction(this, handler, {
          handler,
          description: descriptions[handler],
          bundleDir: path.join(props.lambdaBundleDir, handler),
          accountId,
          region,
          partition,
          timeoutSeconds: timeouts[handler],
          statements: statements[handler],
          logKeyArn: logKey.arn,
        }),
    );

    this.runbook = new SsmDocument(this, "RolloutRunbook", {
      region,
      name: ROLLOUT_RUNBOOK_NAME,
      documentType: "Automation",
      documentFormat: "JSON",
      content: JSON.stringify(
        rolloutPackageRunbook({
          centralAccountId: accountId,
          homeRegion: region,
          bucketName: props.store.bucketName,
          summaryPrefix: ROLLOUT_SUMMARY_PREFIX,
          executionRoleName: EXECUTION_ROLE_NAME,
          functionNames,
        }),
      ),
      tags,
      dependsOn: [policy, ...functions.map((f) => f.function)],
    });

    new TerraformOutput(this, "role_arn", { value: role.arn, description: "Automation administration role (AutomationAssumeRole of rollouts)" });
    new TerraformOutput(this, "rollout_runbook_name", { value: this.runbook.name, description: "Runbook that rolls a package out to a ring" });
    new TerraformOutput(this, "function_names", {
      value: Object.fromEntries(functions.map((f) => [f.node.id, f.function.functionName])),
      description: "Fan-out Lambda functions by handler",
    });
  }
}
