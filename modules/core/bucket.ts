import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import type { PolicyStatement } from "../iam/policy";
import { policyDocument, toJson } from "../iam/policy";
import { partitionOf } from "./tags";

export interface HardenedBucketProps {
  readonly region: string;
  /** The bucket name (already literal data for Terraform). */
  readonly bucketName: string;
  readonly tags: Record<string, string>;
  /** SSE-KMS with this customer key (bucket key on); undefined: SSE-S3. */
  readonly kmsKeyArn?: string;
  /** Existing bucket for server access logs. @default - no access logging */
  readonly accessLogBucket?: string;
  /** Statements after the TLS-only deny the policy always starts with. */
  readonly statements: readonly PolicyStatement[];
}

export interface HardenedBucket {
  readonly bucket: S3Bucket;
  readonly bucketArn: string;
  /** What must exist before objects are written (encryption, ownership, policy). */
  readonly ready: ITerraformDependable[];
}

/**
 * The bucket baseline every aft-fleet bucket shares, created in `scope` with fixed ids (Bucket,
 * Versioning, Encryption, PublicAccessBlock, Ownership, AccessLogging, Policy) so Terraform addresses
 * stay those of the construct that calls it: versioned, encrypted, all public access blocked, ACLs off
 * (bucket owner enforced), TLS-only, optionally access-logged. The caller adds its lifecycle rules.
 */
export function hardenedBucket(scope: Construct, props: HardenedBucketProps): HardenedBucket {
  const { region } = props;
  const bucketArn = `arn:${partitionOf(region)}:s3:::${props.bucketName}`;
  const bucket = new S3Bucket(scope, "Bucket", { region, bucket: props.bucketName, tags: props.tags });
  new S3BucketVersioningA(scope, "Versioning", { region, bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
  if (props.accessLogBucket) {
    new S3BucketLoggingA(scope, "AccessLogging", { region, bucket: bucket.id, targetBucket: props.accessLogBucket, targetPrefix: `${props.bucketName}/` });
  }
  const encryption = new S3BucketServerSideEncryptionConfigurationA(scope, "Encryption", {
    region,
    bucket: bucket.id,
    rule: [
      props.kmsKeyArn
        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }
        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
    ],
  });
  const publicAccess = new S3BucketPublicAccessBlock(scope, "PublicAccessBlock", {
    region,
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  const ownership = new S3BucketOwnershipControls(scope, "Ownership", { region, bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
  const policy = new S3BucketPolicy(scope, "Policy", {
    region,
    bucket: bucket.id,
    policy: toJson(
      policyDocument(
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucketArn, `${bucketArn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        ...props.statements,
      ),
    ),
    // A public-access block must exist first, or S3 may judge the org-wide statements public.
    dependsOn: [publicAccess],
  });
  return { bucket, bucketArn, ready: [encryption, ownership, policy] };
}

