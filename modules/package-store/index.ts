import { ITerraformDependable, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { PACKAGE_STORE_PREFIX, ROLLOUT_PREFIX } from "../../contract/names";
import { hardenedBucket, type HardenedBucket } from "../core/bucket";
import { fleetTags, partitionOf } from "../core/tags";
import { accountAdministersKey, policyDocument, toJson } from "../iam/policy";

/**
 * The alias of a store's customer key. Aliases allow letters, digits, `/`, `_` and `-` (KMS CreateAlias),
 * so the dots a bucket name may hold become `-`. Member roles find the key by this alias.
 */
export function storeKeyAliasOf(bucketName: string): string {
  return `alias/aft-fleet/package-store/${bucketName.replace(/[^a-zA-Z0-9/_-]/g, "-")}`;
}

export interface PackageStoreProps {
  readonly bucketName: string;
  /** Organization whose principals may read packages (`aws:PrincipalOrgID`). */
  readonly organizationId: string;
  /** Account that owns the store (the central account). */
  readonly accountId: string;
  readonly region: string;
  /** Existing bucket for server access logs. @default - no access logging */
  readonly accessLogBucket?: string;
  /** Days a replaced or deleted object version is kept. @default 365 */
  readonly noncurrentVersionDays?: number;
  /** kms: SSE-KMS with a customer key; s3: SSE-S3 (if members cannot copy attachments from SSE-KMS). @default "kms" */
  readonly encryption?: "kms" | "s3";
  /** Days objects under rollouts/ (run plans and summaries) are kept. @default 90 */
  readonly rolloutRetentionDays?: number;
}

/**
 * The package store: a versioned, SSE-KMS encrypted, non-public, TLS-only S3 bucket whose `packages/`
 * prefix the organization may list and read, plus its customer-managed key with rotation on.
 */
export class PackageStore extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The customer key's ARN; undefined with SSE-S3. */
  readonly keyArn?: string;
  readonly keyAlias?: string;
  readonly region: string;
  readonly bucket: HardenedBucket["bucket"];
  /** Resources that must exist before objects are written (encryption, ownership, policy). */
  readonly ready: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: PackageStoreProps) {
    super(scope, id);
    const partition = partitionOf(props.region);
    const bucketArn = `arn:${partition}:s3:::${props.bucketName}`;
    const viaS3 = `s3.${props.region}.amazonaws.com`;
    // Every package version is below `packages/` (contract/names.ts versionPrefix), so one prefix covers all
    // packages: the policy does not grow with them, and ring specs, ledgers and runs stay outside it.
    const packageObjects = `${PACKAGE_STORE_PREFIX}/*`;
    this.region = props.region;
    this.bucketName = props.bucketName;
    this.bucketArn = bucketArn;

    const kms = (props.encryption ?? "kms") === "kms";
    let key: KmsKey | undefined;
    if (kms) {
      key = new KmsKey(this, "Key", {
        region: props.region,
        description: `aft-fleet package store ${props.bucketName}: encrypts Distributor packages, ring specs, ledgers and run summaries`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: toJson(
          policyDocument(accountAdministersKey(partition, props.accountId), {
            // Member accounts' CreateDocument copies package attachments through S3 with the caller's credentials.
            Sid: "OrganizationDecryptsPackagesThroughS3",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["kms:Decrypt", "kms:DescribeKey"],
            Resource: "*",
            Condition: {
              StringEquals: { "aws:PrincipalOrgID": props.organizationId, "kms:ViaService": viaS3 },
            },
          }),
        ),
        tags: fleetTags(),
      });
      this.keyArn = key.arn;
      this.keyAlias = storeKeyAliasOf(props.bucketName);
      new KmsAlias(this, "KeyAlias", { region: props.region, name: this.keyAlias, targetKeyId: key.keyId });
    }

    const { bucket, ready } = hardenedBucket(this, {
      region: props.region,
      bucketName: props.bucketName,
      tags: fleetTags({ "aft-fleet:role": "package-store" }),
      ...(key ? { kmsKeyArn: key.arn } : {}),
      ...(props.accessLogBucket ? { accessLogBucket: props.accessLogBucket } : {}),
      statements: [
        {
          // Only the package prefix: ring specs, ledgers and run summaries stay with the central account.
          Sid: "OrganizationListsPackages",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:ListBucket",
          Resource: bucketArn,
          Condition: {
            StringEquals: { "aws:PrincipalOrgID": props.organizationId },
            StringLike: { "s3:prefix": packageObjects },
          },
        },
        {
          Sid: "OrganizationReadsPackages",
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject", "s3:GetObjectVersion"],
          Resource: `${bucketArn}/${packageObjects}`,
          Condition: { StringEquals: { "aws:PrincipalOrgID": props.organizationId } },
        },
      ],
    });
    this.bucket = bucket;
    this.ready = ready;

    new S3BucketLifecycleConfiguration(this, "Lifecycle", {
      region: props.region,
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 365 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          // One plan and summary per run and ring, hourly: keep them long enough to audit a release.
          id: "expire-run-records",
          status: "Enabled",
          filter: [{ prefix: `${ROLLOUT_PREFIX}/` }],
          expiration: [{ days: props.rolloutRetentionDays ?? 90 }],
        },
      ],
    });

    new TerraformOutput(this, "bucket_name", { value: props.bucketName, description: "Package store bucket" });
    if (key) new TerraformOutput(this, "key_arn", { value: key.arn, description: "KMS key of the package store" });
  }
}
