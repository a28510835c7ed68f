import { TerraformOutput } from "cdktf";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { AthenaNamedQuery } from "@cdktf/provider-aws/lib/athena-named-query";
import { AthenaWorkgroup } from "@cdktf/provider-aws/lib/athena-workgroup";
import { GlueCatalogDatabase } from "@cdktf/provider-aws/lib/glue-catalog-database";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { GlueCrawler } from "@cdktf/provider-aws/lib/glue-crawler";
import { GlueSecurityConfiguration } from "@cdktf/provider-aws/lib/glue-security-configuration";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import type { PatchReports } from "../config/patching";
import { fleetTags, partitionOf, tfLiteral } from "../core";
import { hardenedBucket } from "../core/bucket";
import { accountAdministersKey, policyDocument, toJson, trustPolicy } from "../iam/policy";
import { NAMED_QUERIES } from "./queries";
import { INVENTORY_PARTITION_KEYS, INVENTORY_TABLES } from "./tables";

/** The resource data syncs write under this prefix (S3Destination.Prefix); the tables and crawler read only it. */
export const INVENTORY_PREFIX = "inventory";
/** Athena writes query results under this prefix of the same bucket. */
const ATHENA_RESULTS_PREFIX = "athena-results";
const REPORTS_KEY_ALIAS = "alias/aft-fleet/patching-reports";
const CRAWLER_ROLE_NAME = "aft-fleet-patching-crawler";
const CRAWLER_NAME = "aft-fleet-inventory";

/**
 * The opt-in Regions among those the config accepts (modules/config/regions.ts): the Regions AWS Regions
 * and Availability Zones, "AWS Regions", lists with opt-in status "Required" (every commercial Region
 * launched since Asia Pacific (Hong Kong), April 2019; China and GovCloud have none).
 */
export const OPT_IN_REGIONS: readonly string[] = [
  "af-south-1",
  "ap-east-1",
  "ap-south-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ca-west-1",
  "eu-central-2",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
];

/**
 * The Systems Manager principals that write a sync's objects from `regions`: ssm.amazonaws.com, plus
 * `ssm.<region>.amazonaws.com` for each opt-in Region. "If you create a resource data sync for an AWS
 * Region that came online since April 25, 2019 or later, you must enter a Region-specific service
 * principal entry in the SSMBucketDelivery and SSMBucketDeliveryTagging sections" (AWS Systems Manager
 * User Guide, "Configuring resource data sync for Inventory", organization bucket policy; the note as
 * published 2021-2022, awsdocs/aws-systems-manager-user-guide doc_source/sysman-inventory-datasync.md,
 * dropped from the page in October 2022 without saying the rule changed, so it is kept).
 */
export function syncWriterPrincipals(regions: readonly string[]): string | string[] {
  const regional = [...new Set(regions)].filter((r) => OPT_IN_REGIONS.includes(r)).sort().map((r) => `ssm.${r}.amazonaws.com`);
  return regional.length === 0 ? "ssm.amazonaws.com" : ["ssm.amazonaws.com", ...regional];
}
/**
 * The crawler only registers partitions of our tables: catalog crawlers keep the same grouping policy
 * the provider documents as their default (a configuration without it shows a diff on every plan), and new
 * partitions take the table's SerDe and columns. Setting Crawler Configuration Options, AWS Glue Developer
 * Guide; aws_glue_crawler catalog_target notes, terraform-provider-aws.
 */
export const CRAWLER_CONFIGURATION = JSON.stringify({
  Version: 1.0,
  Grouping: { TableGroupingPolicy: "CombineCompatibleSchemas" },
  CrawlerOutput: { Partitions: { AddOrUpdateBehavior: "InheritFromTable" } },
});

export interface PatchingReportingProps {
  readonly reports: PatchReports;
  readonly organizationId: string;
  /** The central account, which owns the bucket. */
  readonly accountId: string;
  /** The central account's home Region: bucket, Glue and Athena live here. */
  readonly region: string;
  /** The Regions the member syncs run in (the workload Regions): opt-in ones need their Regional principal. @default - none */
  readonly syncRegions?: readonly string[];
  /** Days a replaced or deleted object version is kept. @default 90 */
  readonly noncurrentVersionDays?: number;
  /** Existing bucket (central account, home Region) for server access logs. @default - no access logging */
  readonly accessLogBucket?: string;
}

/**
 * Central patch compliance reporting (account customization of the central account): the bucket the
 * member accounts' resource data syncs write inventory and compliance to, its customer key, a Glue
 * database and crawler over it, and an Athena workgroup with the named queries. The syncs themselves
 * are created by the controller in each member account once this bucket exists (AFT order: a member's
 * tree cannot wait for the central account's stage).
 */
export class PatchingReporting extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The customer key the syncs must name as S3Destination.AWSKMSKeyARN (the bucket policy requires it). */
  readonly keyArn: string;
  readonly databaseName: string;
  readonly workgroupName: string;
  readonly database: GlueCatalogDatabase;
  readonly queries: readonly AthenaNamedQuery[];
  /** The inventory tables the queries read (declared, never inferred: see tables.ts). */
  readonly tables: readonly GlueCatalogTable[];
  /** What must exist before a sync may write: the bucket policy (and through it the bucket and key). */
  readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: PatchingReportingProps) {
    super(scope, id);
    const { reports, region } = props;
    const partition = partitionOf(region);
    const bucketArn = `arn:${partition}:s3:::${reports.bucketName}`;
    const syncObjects = `${bucketArn}/${INVENTORY_PREFIX}/*/accountid=*/*`;
    const syncSource = `arn:${partition}:ssm:*:*:resource-data-sync/*`;
    const writers = syncWriterPrincipals(props.syncRegions ?? []);
    this.bucketName = reports.bucketName;
    this.bucketArn = bucketArn;

    const key = new KmsKey(this, "Key", {
      region,
      description: `aft-fleet patch compliance reports ${reports.bucketName}: inventory and compliance from the organization's resource data syncs, Athena results`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: toJson(
        policyDocument(accountAdministersKey(partition, props.accountId), {
          // "Creating a resource data sync for Inventory" (Systems Manager User Guide), encrypted sync: the
          // service encrypts each object it writes for an organization account's sync.
          // The same principals as the bucket's delivery statements: SSE-KMS asks KMS as the writer.
          Sid: "ResourceDataSyncEncrypts",
          Effect: "Allow",
          Principal: { Service: writers },
          Action: "kms:GenerateDataKey",
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceOrgID": props.organizationId }, ArnLike: { "aws:SourceArn": syncSource } },
        }, {
          // The crawler's security configuration encrypts its CloudWatch logs with this key.
          Sid: "CloudWatchLogsEncryptsCrawlerLogs",
          Effect: "Allow",
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${props.accountId}:log-group:/aws-glue/crawlers*` } },
        }),
      ),
      tags: fleetTags({ "aft-fleet:role": "patching-reports" }),
    });
    this.keyArn = key.arn;
    new KmsAlias(this, "KeyAlias", { region, name: REPORTS_KEY_ALIAS, targetKeyId: key.keyId });

    const { bucket, ready } = hardenedBucket(this, {
      region,
      bucketName: reports.bucketName,
      tags: fleetTags({ "aft-fleet:role": "patching-reports" }),
      kmsKeyArn: key.arn,
      ...(props.accessLogBucket ? { accessLogBucket: props.accessLogBucket } : {}),
      statements: [
      { Sid: "SSMBucketPermissionsCheck", Effect: "Allow", Principal: { Service: "ssm.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: bucketArn },
      {
        Sid: "SSMBucketDelivery",
        Effect: "Allow",
        Principal: { Service: writers },
        Action: "s3:PutObject",
        Resource: syncObjects,
        Condition: {
          StringEquals: {
            "s3:x-amz-acl": "bucket-owner-full-control",
            // The organization sync tags every object OrgId=<organization id>: the documented condition.
            "s3:RequestObjectTag/OrgId": props.organizationId,
            "aws:SourceOrgID": props.organizationId,
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": key.arn,
          },
          ArnLike: { "aws:SourceArn": syncSource },
        },
      },
      {
        Sid: "SSMBucketDeliveryTagging",
        Effect: "Allow",
        Principal: { Service: writers },
        Action: "s3:PutObjectTagging",
        Resource: syncObjects,
        Condition: { StringEquals: { "aws:SourceOrgID": props.organizationId }, ArnLike: { "aws:SourceArn": syncSource } },
      },
      ],
    });
    // The bucket policy documented for the organization's syncs (AWS Systems Manager User Guide,
    // "Configuring resource data sync for Inventory", "Creating an inventory resource data sync for
    // accounts defined in AWS Organizations"): GetBucketAcl for the service check; PutObject under
    // <prefix>/*/accountid=*/* with bucket-owner-full-control and s3:RequestObjectTag/OrgId = the
    // organization id (the objects of a sync with DestinationDataSharingType Organization carry that
    // tag); PutObjectTagging on the same objects. Narrowed here: only the inventory prefix, only syncs of
    // this organization (aws:SourceOrgID, aws:SourceArn a resource data sync), only SSE-KMS with this key;
    // the Regional principal of each opt-in workload Region joins ssm.amazonaws.com in the two delivery
    // statements (syncWriterPrincipals).
    new S3BucketLifecycleConfiguration(this, "Lifecycle", {
      region,
      bucket: bucket.id,
      rule: [
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 90 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        { id: "expire-athena-results", status: "Enabled", filter: [{ prefix: `${ATHENA_RESULTS_PREFIX}/` }], expiration: [{ days: reports.queryResultDays }] },
      ],
    });

    this.ready = ready;

    this.database = new GlueCatalogDatabase(this, "Database", {
      region,
      name: reports.databaseName,
      description: "aft-fleet: Systems Manager inventory and patch compliance of the organization (resource data sync)",
      tags: fleetTags({ "aft-fleet:role": "patching-reports" }),
    });
    this.databaseName = reports.databaseName;

    const inventory = `s3://${reports.bucketName}/${INVENTORY_PREFIX}`;
    this.tables = INVENTORY_TABLES.map(
      (spec) =>
        new GlueCatalogTable(this, `Table-${spec.table}`, {
          region,
          databaseName: this.database.name,
          name: spec.table,
          description: `aft-fleet: ${spec.description}`,
          tableType: "EXTERNAL_TABLE",
          parameters: { EXTERNAL: "TRUE", classification: "json" },
          partitionKeys: INVENTORY_PARTITION_KEYS.map((name) => ({ name, type: "string" })),
          storageDescriptor: {
            location: `${inventory}/${spec.typeName}/`,
            inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
            outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            serDeInfo: { serializationLibrary: "org.openx.data.jsonserde.JsonSerDe", parameters: { "serialization.format": "1" } },
            columns: spec.columns.map((c) => ({ name: c.name, type: c.type })),
          },
        }),
    );

    const crawlerRole = new IamRole(this, "CrawlerRole", {
      name: CRAWLER_ROLE_NAME,
      description: "aft-fleet: the Glue crawler reads the synced inventory and adds partitions to its tables",
      maxSessionDuration: 3600,
      assumeRolePolicy: toJson(
        trustPolicy({
          Sid: "GlueCrawler",
          Effect: "Allow",
          Principal: { Service: "glue.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
        }),
      ),
      tags: fleetTags({ "aft-fleet:role": "patching-crawler" }),
    });
    const glue = (resource: string) => `arn:${partition}:glue:${region}:${props.accountId}:${resource}`;
    new IamRolePolicy(this, "CrawlerPolicy", {
      name: CRAWLER_ROLE_NAME,
      role: crawlerRole.id,
      policy: toJson(
        policyDocument(
          { Sid: "ReadSyncedInventory", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${INVENTORY_PREFIX}/*` },
          // Crawlers look up an S3 target's Region first (AWSGlueServiceRole, the policy the Glue guide's crawler
          // role starts from, grants s3:GetBucketLocation for that); this bucket only.
          { Sid: "LocateInventoryBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: bucketArn },
          {
            Sid: "ListSyncedInventory",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: bucketArn,
            Condition: { StringLike: { "s3:prefix": [INVENTORY_PREFIX, `${INVENTORY_PREFIX}/*`] } },
          },
          {
            Sid: "DecryptThroughS3",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: key.arn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
          },
          {
            // Partitions only: the tables are Terraform's. No CreateTable: a catalog target crawls existing
            // tables only. No UpdateTable: the Glue guide's crawler role ("Crawler prerequisites", "Create an
            // IAM role for AWS Glue") starts from AWSGlueServiceRole, which grants glue:* and so says nothing
            // of which calls a crawler makes; what decides it is the SchemaChangePolicy. UpdateBehavior LOG:
            // "if a table or a partition already exists, and a change is detected, do not update it, only log
            // that a change was detected. Add new tables and new partitions" (AWS::Glue::Crawler
            // SchemaChangePolicy, and the Glue API's SchemaChangePolicy). UPDATE_IN_DATABASE would need it.
            Sid: "AddInventoryPartitions",
            Effect: "Allow",
            Action: [
              "glue:BatchCreatePartition",
              "glue:BatchGetPartition",
              "glue:BatchUpdatePartition",
              "glue:CreatePartition",
              "glue:GetDatabase",
              "glue:GetPartition",
              "glue:GetPartitions",
              "glue:GetSecurityConfiguration",
              "glue:GetTable",
              "glue:GetTables",
              "glue:UpdatePartition",
            ],
            Resource: [
              glue("catalog"),
              glue(`database/${reports.databaseName}`),
              ...INVENTORY_TABLES.map((t) => glue(`table/${reports.databaseName}/${t.table}`)),
            ],
          },
          {
            Sid: "CrawlerLogs",
            Effect: "Allow",
            // AssociateKmsKey: Glue attaches the security configuration's key to the crawler log group.
            Action: ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `arn:${partition}:logs:${region}:${props.accountId}:log-group:/aws-glue/crawlers*`,
          },
        ),
      ),
    });
    // The crawler writes no data; the configuration states that anything Glue writes to S3 uses the key.
    const security = new GlueSecurityConfiguration(this, "CrawlerSecurity", {
      region,
      name: "aft-fleet-patching-crawler",
      encryptionConfiguration: {
        s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
        cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: key.arn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: key.arn },
      },
    });
    new GlueCrawler(this, "Crawler", {
      region,
      name: CRAWLER_NAME,
      description: "aft-fleet: adds the new account, Region and resource type partitions of the inventory tables",
      role: crawlerRole.arn,
      databaseName: this.database.name,
      schedule: tfLiteral(reports.crawlerSchedule),
      securityConfiguration: security.name,
      // Existing catalog tables as the source: the crawler never creates a table, and with LOG it never
      // rewrites ours (the duplicate resourcetype column cannot appear). Catalog targets refuse
      // DEPRECATE_IN_DATABASE, the provider's default delete behavior, so both are set.
      catalogTarget: [{ databaseName: this.database.name, tables: this.tables.map((t) => t.name) }],
      schemaChangePolicy: { updateBehavior: "LOG", deleteBehavior: "LOG" },
      configuration: CRAWLER_CONFIGURATION,
      tags: fleetTags({ "aft-fleet:role": "patching-reports" }),
    });

    const workgroup = new AthenaWorkgroup(this, "Workgroup", {
      region,
      name: reports.workgroupName,
      description: "aft-fleet: patch compliance queries over the organization's synced inventory",
      state: "ENABLED",
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${reports.bucketName}/${ATHENA_RESULTS_PREFIX}/`,
          expectedBucketOwner: props.accountId,
          encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: key.arn },
        },
      },
      tags: fleetTags({ "aft-fleet:role": "patching-reports" }),
    });
    this.workgroupName = reports.workgroupName;
    this.queries = NAMED_QUERIES.map(
      (q) =>
        new AthenaNamedQuery(this, `Query-${q.id}`, {
          region,
          name: q.name,
          description: q.description,
          // The Glue database resource's own name: the seed's queries named a database that never existed.
          database: this.database.name,
          workgroup: workgroup.id,
          query: q.query,
        }),
    );

    new TerraformOutput(this, "patching_reports_bucket", { value: reports.bucketName, description: "Bucket the member accounts' resource data syncs write to" });
    new TerraformOutput(this, "patching_reports_key_arn", { value: key.arn, description: "KMS key the resource data syncs must name (S3Destination.AWSKMSKeyARN)" });
    new TerraformOutput(this, "patching_reports_database", { value: this.database.name, description: "Glue database of the inventory tables" });
    new TerraformOutput(this, "patching_reports_workgroup", { value: workgroup.name, description: "Athena workgroup of the patch compliance queries" });
  }
}
