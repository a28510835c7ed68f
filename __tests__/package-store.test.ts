import { Testing } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { ledgerKey, ringSpecKey, runObjectKey, versionPrefix } from "../contract/names";
import { PackageStore, PackageStoreProps } from "../modules/package-store";

const props: PackageStoreProps = {
  bucketName: "store-bucket",
  organizationId: "o-abcdef1234",
  accountId: "222222222222",
  region: "eu-west-1",
};

/**
 * Whether an IAM resource or StringLike pattern matches: `*` any run of characters (a `/` too), `?` one
 * character (IAM User Guide, "IAM JSON policy elements: Resource", Using wildcards in resource ARNs; and
 * "Condition operators", StringLike).
 */
function iamMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("")}$`);
  return re.test(value);
}

function synth(extra: Partial<PackageStoreProps> = {}) {
  const out = Testing.synthScope((stack) => new PackageStore(stack, "PackageStore", { ...props, ...extra }));
  return { out, json: JSON.parse(out) as { resource: Record<string, Record<string, any>> } };
}

function only(json: { resource: Record<string, Record<string, any>> }, type: string): any {
  const all = Object.values(json.resource[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0];
}

describe("PackageStore", () => {
  it("creates a versioned bucket encrypted with its own rotating KMS key, in the given Region", () => {
    const { out, json } = synth();
    expect(out).toHaveResourceWithProperties(S3Bucket, { bucket: "store-bucket", region: "eu-west-1" });
    expect(out).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, region: "eu-west-1" });
    expect(out).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    const sse = only(json, "aws_s3_bucket_server_side_encryption_configuration");
    expect(sse.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: expect.stringMatching(/aws_kms_key\..*\.arn/) });
    expect(out).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, { region: "eu-west-1" });
  });

  it("blocks all public access and enforces bucket-owner object ownership", () => {
    const { out } = synth();
    expect(out).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(out).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  it("denies plain HTTP and lets only the organization read packages, and nothing but packages", () => {
    const policy = JSON.parse(only(synth().json, "aws_s3_bucket_policy").policy);
    const deny = policy.Statement.find((s: any) => s.Effect === "Deny");
    expect(deny).toMatchObject({ Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(deny.Resource).toEqual(["arn:aws:s3:::store-bucket", "arn:aws:s3:::store-bucket/*"]);
    for (const allow of policy.Statement.filter((s: any) => s.Effect === "Allow")) {
      expect(allow.Condition.StringEquals).toEqual({ "aws:PrincipalOrgID": "o-abcdef1234" });
    }
    const read = policy.Statement.find((s: any) => s.Sid === "OrganizationReadsPackages");
    expect(read.Action).toEqual(["s3:GetObject", "s3:GetObjectVersion"]);
    // One prefix for every package: the statement names no package, so a new package leaves the policy as it is.
    expect(read.Resource).toBe("arn:aws:s3:::store-bucket/packages/*");
    // Listing only under the package prefix: ledgers, ring specs and run summaries are not the organization's to see.
    const list = policy.Statement.find((s: any) => s.Sid === "OrganizationListsPackages");
    expect(list.Condition.StringLike).toEqual({ "s3:prefix": "packages/*" });
    // Every key a version is uploaded under is readable and listable; no private key is, whatever the package is named.
    for (const pkg of ["AlphaAgent", "ledger", "controller", "rollouts", "packages"]) {
      const manifest = `${versionPrefix(pkg, "1.0.0")}manifest.json`;
      expect(iamMatches(read.Resource, `arn:aws:s3:::store-bucket/${manifest}`)).toBe(true);
      expect(iamMatches(list.Condition.StringLike["s3:prefix"], manifest)).toBe(true);
      for (const key of [ledgerKey(pkg, "canary"), ringSpecKey(pkg, "canary"), runObjectKey("run-1", "summary.json")]) {
        expect(iamMatches(read.Resource, `arn:aws:s3:::store-bucket/${key}`)).toBe(false);
        expect(iamMatches(list.Condition.StringLike["s3:prefix"], key)).toBe(false);
      }
    }
    // No organization-wide write anywhere (one account could overwrite another's objects).
    expect(policy.Statement.filter((s: any) => s.Effect === "Allow" && [s.Action].flat().some((a: string) => /Put|Delete/.test(a)))).toEqual([]);
  });

  it("lets organization principals use the key only through S3 in the store's Region", () => {
    const keyPolicy = JSON.parse(only(synth().json, "aws_kms_key").policy);
    const org = keyPolicy.Statement.find((s: any) => s.Sid === "OrganizationDecryptsPackagesThroughS3");
    expect(org.Condition.StringEquals).toEqual({ "aws:PrincipalOrgID": "o-abcdef1234", "kms:ViaService": "s3.eu-west-1.amazonaws.com" });
    expect(org.Action).toEqual(["kms:Decrypt", "kms:DescribeKey"]);
    expect(keyPolicy.Statement.find((s: any) => s.Sid === "AccountAdministersKey").Principal).toEqual({ AWS: "arn:aws:iam::222222222222:root" });
  });

  it("expires noncurrent versions after the configured days and aborts stale uploads", () => {
    const { out } = synth({ noncurrentVersionDays: 30 });
    expect(out).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: expect.arrayContaining([
        expect.objectContaining({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 30 }], abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
        expect.objectContaining({ id: "expire-run-records", filter: [{ prefix: "rollouts/" }], expiration: [{ days: 90 }] }),
      ]),
    });
  });

  it("derives a valid KMS alias from a bucket name with dots, and uses SSE-S3 without a key when asked", () => {
    // KMS CreateAlias: alias/ followed by letters, digits, '/', '_' and '-' only.
    const alias = only(synth({ bucketName: "store.example.com" }).json, "aws_kms_alias").name;
    expect(alias).toMatch(/^alias\/[a-zA-Z0-9/_-]+$/);
    const s3 = synth({ encryption: "s3" }).json;
    expect(s3.resource.aws_kms_key).toBeUndefined();
    const rule = Object.values<any>(s3.resource.aws_s3_bucket_server_side_encryption_configuration!)[0].rule[0];
    expect(rule.apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "AES256" });
  });

  it("logs access only when a log bucket is given", () => {
    expect(synth().out).not.toHaveResource(S3BucketLoggingA);
    expect(synth({ accessLogBucket: "logs-bucket" }).out).toHaveResourceWithProperties(S3BucketLoggingA, { target_bucket: "logs-bucket", target_prefix: "store-bucket/" });
  });

  it("uses the GovCloud partition in GovCloud Regions", () => {
    const policy = JSON.parse(only(synth({ region: "us-gov-west-1" }).json, "aws_s3_bucket_policy").policy);
    expect(policy.Statement[0].Resource[0]).toBe("arn:aws-us-gov:s3:::store-bucket");
  });
});
