import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { fleetTags, partitionOf, tfLiteral } from "../core";
import { hardenedBucket } from "../core/bucket";
import { accountAdministersKey, policyDocument, toJson } from "../iam/policy";
import { FILE_COPIER_KEY_ALIAS } from "./names";

export interface OrchestrationCentralProps {
  /** The file-copier bucket (`orchestration.fileCopierBucket`). */
  readonly bucketName: string;
  /** The central tool's role ARNs: the only principals that may upload (`aws:PrincipalArn`). */
  readonly writerPrincipals: readonly string[];
  /** Organization whose principals may download (`aws:PrincipalOrgID`). */
  readonly organizationId: string;
  /** The central account, which owns the bucket and its key. */
  readonly accountId: string;
  /** The central account's home Region. */
  readonly region: string;
  /** Days an uploaded file is kept (the copier's files are needed only while a job runs). @default 30 */
  readonly objectExpirationDays?: number;
  /** Existing bucket (central account, home Region) for server access logs. @default - no access logging */
  readonly accessLogBucket?: string;
}

/**
 * The central side of cross-account orchestration (account customization of the central account):
 * the file-copier bucket the runbook tool uploads scripts and files to and the organization's
 * nodes download from, with its customer key (rotation on), versioning, TLS-only policy, all public
 * access blocked and ACLs disabled. Command output logs are not here: they stay in each node's account
 * (see OrchestrationMemberRole).
 */
export class OrchestrationCentral extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly keyArn: string;
  readonly keyAlias = FILE_COPIER_KEY_ALIAS;

  constructor(scope: Construct, id: string, props: OrchestrationCentralProps) {
    super(scope, id);
    const { region } = props;
    const partition = partitionOf(region);
    const bucketName = tfLiteral(props.bucketName);
    const bucketArn = `arn:${partition}:s3:::${bucketName}`;
    const writers = [...new Set(props.writerPrincipals)].sort().map(tfLiteral);
    const viaS3 = `s3.${region}.amazonaws.com`;
    const tags = fleetTags({ "aft-fleet:role": "orchestration-file-copier" });
    this.bucketName = props.bucketName;
    this.bucketArn = bucketArn;

    const key = new KmsKey(this, "Key", {
      region,
      description: `aft-fleet orchestration file copier ${props.bucketName}: encrypts the files the central runbook tool copies to nodes`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: toJson(
        policyDocument(
          accountAdministersKey(partition, props.accountId),
          {
            // Nodes of every member account download through S3 with their instance role.
            Sid: "OrganizationDecryptsThroughS3",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["kms:Decrypt", "kms:DescribeKey"],
            Resource: "*",
            Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId, "kms:ViaService": viaS3 } },
          },
          {
            // Uploads (multipart ones decrypt their parts) by the tool's roles only, through S3 only.
            Sid: "OrchestratorsEncryptThroughS3",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: "*",
            Condition: {
              StringEquals: { "aws:PrincipalOrgID": props.organizationId, "kms:ViaService": viaS3 },
              ArnEquals: { "aws:PrincipalArn": writers },
            },
          },
        ),
      ),
      tags,
    });
    this.keyArn = key.arn;
    new KmsAlias(this, "KeyAlias", { region, name: FILE_COPIER_KEY_ALIAS, targetKeyId: key.keyId });

    const { bucket } = hardenedBucket(this, {
      region,
      bucketName: bucketName,
      tags: tags,
      kmsKeyArn: key.arn,
      ...(props.accessLogBucket ? { accessLogBucket: tfLiteral(props.accessLogBucket) } : {}),
      statements: [
      {
        Sid: "OrganizationReadsFiles",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId } },
      },
      {
        Sid: "OrchestratorsWriteFiles",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId }, ArnEquals: { "aws:PrincipalArn": writers } },
      },
      ],
    });
    new S3BucketLifecycleConfiguration(this, "Lifecycle", {
      region,
      bucket: bucket.id,
      rule: [
        {
          id: "expire-copied-files",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: props.objectExpirationDays ?? 30 }],
          noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });

    new TerraformOutput(this, "file_copier_bucket", { value: bucketName, description: "Bucket the runbook tool's file copier uploads to" });
    new TerraformOutput(this, "file_copier_key_arn", { value: key.arn, description: "KMS key of the file-copier bucket (the tool's roles need kms:GenerateDataKey on it)" });
  }
}
