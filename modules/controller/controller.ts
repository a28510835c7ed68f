import * as fs from "node:fs";
import * as path from "node:path";
import { AssetType, TerraformAsset, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import {
  CONTROLLER_FUNCTION_NAME,
  CONTROLLER_ROLE_NAME,
  EXECUTION_ROLE_NAME,
  LEDGER_PREFIX,
  METRIC_NAMESPACE,
  PACKAGE_STORE_PREFIX,
  RING_SPEC_PREFIX,
  ROLLOUT_PREFIX,
  RUNBOOK_NAME,
  RUNBOOK_ROLE_NAME,
} from "../../contract/names";
import { tfLiteral } from "../core/literal";
import { fleetTags, partitionOf } from "../core/tags";
import { BUILD_DIR } from "../distributor-package";
import type { PolicyStatement } from "../iam/policy";
import { accountAdministersKey, policyDocument, toJson, trustPolicy } from "../iam/policy";
import type { PackageStore } from "../package-store";
import { ringRunbook } from "./ring-runbook";
import { ringEventsStatement } from "./notifications";

/**
 * Config text inside an IAM policy's Resource: `$`, `*` and `?` mean a policy variable and wildcards to
 * IAM, so each is written as the predefined variable that stands for the character itself (IAM User
 * Guide, "IAM policy elements: Variables and tags", "Special characters": `${*}`, `${?}`, `${$}`).
 * CloudWatch alarm names may hold all three (PutMetricAlarm AlarmName: 1-255 characters).
 */
function iamResourceLiteral(text: string): string {
  return text.replace(/[$*?]/g, (c) => `\${${c}}`);
}

/** Node.js runtime of the controller (the bundle targets node20, which nodejs22.x runs). */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LOG_RETENTION_DAYS = 365;
/** Below the runbook step's 300 s, so a chunk always reports before Automation gives up on it. */
export const CONTROLLER_TIMEOUT_SECONDS = 240;

export interface RolloutControllerProps {
  readonly organizationId: string;
  /** The organization's management account (Organizations account ARNs carry its id). */
  readonly managementAccountId: string;
  /** The central account this construct is deployed to. */
  readonly accountId: string;
  /** Home Region: the function, the runbook and the store. */
  readonly region: string;
  readonly store: PackageStore;
  /**
   * @deprecated Not read: the controller reads every package's manifests below the store's `packages/` prefix,
   * so its policy names no package. Accepted so existing callers compile; leave it out.
   */
  readonly packageNames?: readonly string[];
  /** CloudWatch alarms any ring gates on (DescribeAlarms is scoped to them). */
  readonly alarmNames: readonly string[];
  /** Folder holding the controller bundle (`<dir>/controller/index.js`). */
  readonly bundleDir: string;
}

/**
 * The central account's rollout controller: one TypeScript Lambda with a least-privilege
 * role, its KMS-encrypted log group, the runbook role and the aft-fleet-RolloutRing runbook that each
 * ring's association runs. The controller assumes only the members' aft-fleet-execution role.
 */
export class RolloutController extends Construct {
  readonly functionName = CONTROLLER_FUNCTION_NAME;
  readonly runbookName = RUNBOOK_NAME;
  readonly runbookRoleArn: string;
  readonly runbook: SsmDocument;
  readonly region: string;

  constructor(scope: Construct, id: string, props: RolloutControllerProps) {
    super(scope, id);
    const { accountId, region, organizationId, store } = props;
    const partition = partitionOf(region);
    const tags = fleetTags({ "aft-fleet:role": "rollout-controller" });
    this.region = region;
    const roleArn = (name: string) => `arn:${partition}:iam::${accountId}:role/${name}`;
    const logGroupName = `/aws/lambda/${CONTROLLER_FUNCTION_NAME}`;
    const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupName}`;
    const functionArn = `arn:${partition}:lambda:${region}:${accountId}:function:${CONTROLLER_FUNCTION_NAME}`;
    const bucketArn = store.bucketArn;

    const entry = path.join(props.bundleDir, "controller", "index.js");
    if (!fs.existsSync(entry)) throw new Error(`RolloutController: no bundle at ${entry}`);

    const logKey = new KmsKey(this, "LogKey", {
      region,
      description: "aft-fleet: encrypts the rollout controller's log group",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: toJson(
        policyDocument(accountAdministersKey(partition, accountId), {
          Sid: "CloudWatchLogsEncryptsControllerLogs",
          Effect: "Allow",
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
          Resource: "*",
          Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArn } },
        }),
      ),
      tags,
    });
    new KmsAlias(this, "LogKeyAlias", { region, name: "alias/aft-fleet/rollout-controller-logs", targetKeyId: logKey.keyId });
    const logGroup = new CloudwatchLogGroup(this, "LogGroup", { region, name: logGroupName, retentionInDays: LOG_RETENTION_DAYS, kmsKeyId: logKey.arn, tags });

    const role = new IamRole(this, "Role", {
      name: CONTROLLER_ROLE_NAME,
      description: "aft-fleet: the rollout controller's role; the only principal member accounts' aft-fleet-execution role trusts",
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "LambdaRunsController",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        }),
      ),
      tags,
    });
    // Every version's manifest is `packages/<package>/<version>/manifest.json` (contract/names.ts versionPrefix):
    // one wildcard covers all packages (a `*` in a resource ARN also matches `/`: IAM User Guide, "IAM JSON policy
    // elements: Resource", Using wildcards in resource ARNs), so the policy does not grow with them.
    const manifests = `${bucketArn}/${PACKAGE_STORE_PREFIX}/*/manifest.json`;
    const statements: PolicyStatement[] = [
      { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` },
      // X-Ray's write calls support no resource-level permissions.
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
      {
        // Only the execution role name, only in accounts of this organization.
        Sid: "AssumeMemberExecutionRoles",
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Resource: `arn:${partition}:iam::*:role/${EXECUTION_ROLE_NAME}`,
        Condition: { StringEquals: { "aws:ResourceOrgID": organizationId } },
      },
      {
        // Organizations' List*ForParent actions support no resource-level permissions.
        Sid: "WalkOrganization",
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
      {
        Sid: "ReadRingSpecsAndManifests",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${bucketArn}/${RING_SPEC_PREFIX}/*`, manifests],
      },
      {
        Sid: "KeepLedgersAndRuns",
        Effect: "Allow",
        Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        Resource: [`${bucketArn}/${LEDGER_PREFIX}/*`, `${bucketArn}/${ROLLOUT_PREFIX}/*`],
      },
      {
        // Listing a run's progress journals, and every prefix the controller reads: S3 answers a GetObject of a
        // missing key with 403 AccessDenied, not 404, to a caller without s3:ListBucket on the bucket (S3 API
        // Reference, GetObject), and whether this prefix-conditioned grant counts there is not documented. So
        // the controller tells a missing ledger (a ring's first run), plan or manifest from a refused read by
        // listing the key as a prefix, which this condition covers (lambdas/controller/store.ts).
        Sid: "ListLedgersAndRuns",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: bucketArn,
        Condition: {
          StringLike: {
            "s3:prefix": [`${LEDGER_PREFIX}/*`, `${ROLLOUT_PREFIX}/*`, `${RING_SPEC_PREFIX}/*`, `${PACKAGE_STORE_PREFIX}/*`],
          },
        },
      },
      {
        // PutMetricData supports no resource-level permissions; the namespace condition scopes it.
        Sid: "PublishRolloutMetric",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
      },
      ringEventsStatement(partition, region, accountId),
    ];
    if (store.keyArn) {
      statements.push({
        Sid: "UseStoreKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: store.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${store.region}.amazonaws.com` } },
      });
    }
    const alarms = [...new Set(props.alarmNames)].sort();
    if (alarms.length > 0) {
      statements.push({
        Sid: "ReadRingAlarms",
        Effect: "Allow",
        Action: "cloudwatch:DescribeAlarms",
        // Config text: literal for IAM (no variables or wildcards), then literal for Terraform (tfLiteral).
        Resource: alarms.map((name) => `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${tfLiteral(iamResourceLiteral(name))}`),
      });
    }
    const policy = new IamRolePolicy(this, "Policy", { name: "rollout-controller", role: role.id, policy: toJson(policyDocument(...statements)) });

    const source = new TerraformAsset(this, "Source", { path: path.dirname(entry), type: AssetType.DIRECTORY });
    const zip = new DataArchiveFile(this, "Zip", { type: "zip", sourceDir: source.path, outputPath: `${BUILD_DIR}/lambdas/controller.zip`, outputFileMode: "0644" });
    const fn = new LambdaFunction(this, "Function", {
      region,
      functionName: CONTROLLER_FUNCTION_NAME,
      description: "aft-fleet: plans, applies and summarizes package ring rollouts across the organization's accounts and Regions",
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: "index.handler",
      filename: zip.outputPath,
      sourceCodeHash: zip.outputBase64Sha256,
      timeout: CONTROLLER_TIMEOUT_SECONDS,
      memorySize: 512,
      tracingConfig: { mode: "Active" },
      tags,
      // The log group exists (with retention and KMS) before the first invocation could create it.
      dependsOn: [logGroup, policy],
    });

    const runbookRole = new IamRole(this, "RunbookRole", {
      name: RUNBOOK_ROLE_NAME,
      description: "aft-fleet: Automation runs aft-fleet-RolloutRing with this role; it may only invoke the rollout controller",
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
    const runbookPolicy = new IamRolePolicy(this, "RunbookPolicy", {
      name: "invoke-rollout-controller",
      role: runbookRole.id,
      policy: toJson(policyDocument({ Sid: "InvokeController", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: functionArn })),
    });
    this.runbookRoleArn = roleArn(RUNBOOK_ROLE_NAME);

    this.runbook = new SsmDocument(this, "Runbook", {
      region,
      name: RUNBOOK_NAME,
      documentType: "Automation",
      documentFormat: "JSON",
      content: JSON.stringify(ringRunbook({ bucket: store.bucketName })),
      tags,
      dependsOn: [runbookPolicy, fn],
    });

    new TerraformOutput(this, "function_name", { value: fn.functionName, description: "The rollout controller Lambda function" });
    new TerraformOutput(this, "runbook_name", { value: this.runbook.name, description: "The runbook each ring's association runs" });
  }
}
