import * as fs from "node:fs";
import * as path from "node:path";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { fleetTags } from "../core/tags";
import { BUILD_DIR } from "../distributor-package";
import type { PolicyStatement } from "../iam/policy";
import { policyDocument, toJson, trustPolicy } from "../iam/policy";
import type { FanOutHandler } from "./names";
import { functionNameOf } from "./names";

/** Node.js runtime of the fan-out Lambdas (the bundles target node20, which nodejs22.x runs). */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LOG_RETENTION_DAYS = 365;

export interface FanOutFunctionProps {
  readonly handler: FanOutHandler;
  readonly description: string;
  /** Folder holding the handler's bundle (`<lambdaBundleDir>/<handler>` with index.js). */
  readonly bundleDir: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** Must stay below the 300 s an aws:invokeLambdaFunction step may run. */
  readonly timeoutSeconds: number;
  /** What the handler's AWS calls need (the role also gets its own log stream permissions). */
  readonly statements: readonly PolicyStatement[];
  /** Customer key that encrypts the log group. */
  readonly logKeyArn: string;
}

/**
 * One fan-out Lambda: its bundle (a cdktf asset, zipped by `archive_file` with fixed file modes), an
 * execution role with only the handler's API calls, a KMS-encrypted log group kept 365 days, and the
 * function (arm64, X-Ray tracing, the archive's SHA-256 as source_code_hash, so new code deploys and
 * unchanged code does not).
 *
 * Deliberately without: a dead-letter queue (the runbook invokes synchronously; DLQs serve async
 * invocations), a VPC (the handlers call only AWS APIs, which would need five interface endpoints),
 * code signing (the bundle is built and hashed at synth and reviewed as part of the AFT repository) and
 * reserved concurrency (new accounts may have a concurrency quota of 10, below which no function may
 * reserve; invocations are bounded by the number of rollout associations anyway).
 */
export class FanOutFunction extends Construct {
  readonly functionName: string;
  readonly functionArn: string;
  readonly roleArn: string;
  readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, props: FanOutFunctionProps) {
    super(scope, id);
    const { handler, region, accountId, partition } = props;
    const entry = path.join(props.bundleDir, "index.js");
    if (!fs.existsSync(entry)) {
      throw new Error(`FanOutFunction ${handler}: no bundle at ${entry}; run buildLambdas() from scripts/build-lambdas.ts first`);
    }
    this.functionName = functionNameOf(handler);
    const tags = fleetTags({ "aft-fleet:role": "fan-out" });
    const logGroupName = `/aws/lambda/${this.functionName}`;
    const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupName}`;

    const source = new TerraformAsset(this, "Source", { path: props.bundleDir, type: AssetType.DIRECTORY });
    const zip = new DataArchiveFile(this, "Zip", {
      type: "zip",
      sourceDir: source.path,
      outputPath: `${BUILD_DIR}/lambdas/${handler}.zip`,
      outputFileMode: "0644",
    });

    const role = new IamRole(this, "Role", {
      name: `${this.functionName}-lambda`,
      description: `aft-fleet: execution role of the ${this.functionName} Lambda function`,
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "LambdaRunsFunction",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        }),
      ),
      tags,
    });
    this.roleArn = role.arn;
    const policy = new IamRolePolicy(this, "Policy", {
      name: "fan-out",
      role: role.id,
      policy: toJson(
        policyDocument(
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${logGroupArn}:*`,
          },
          {
            // X-Ray's write calls support no resource-level permissions.
            Sid: "WriteTraces",
            Effect: "Allow",
            Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            Resource: "*",
          },
          ...props.statements,
        ),
      ),
    });
    const logGroup = new CloudwatchLogGroup(this, "LogGroup", {
      region,
      name: logGroupName,
      retentionInDays: LOG_RETENTION_DAYS,
      kmsKeyId: props.logKeyArn,
      tags,
    });

    this.function = new LambdaFunction(this, "Function", {
      region,
      functionName: this.functionName,
      description: props.description,
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: "index.handler",
      filename: zip.outputPath,
      sourceCodeHash: zip.outputBase64Sha256,
      timeout: props.timeoutSeconds,
      memorySize: 256,
      tracingConfig: { mode: "Active" },
      tags,
      // The log group exists (with retention and KMS) before the first invocation could create it.
      dependsOn: [logGroup, policy],
    });
    this.functionArn = this.function.arn;
  }
}
