import { z } from "zod";
import { alarmsField, bakeField, bucketNameField, concurrencyField, errorsField, iamNameField, resumeField, RING_NAME, ringNameField, scheduleField, daysField, targetTagKeyField } from "./fields";
import { DISTRIBUTOR_ARCHES, DISTRIBUTOR_LINUX_PLATFORMS, DISTRIBUTOR_PLATFORMS, ASSOCIATION_COMPLIANCE_SEVERITIES, INSTALLATION_TYPES as AWS_INSTALLATION_TYPES, PACKAGE_ACTIONS, TAG_VALUE_LENGTH } from "../../contract/aws-rules";
import { ACCOUNT_ID, ADDITIONAL_ARGUMENT_KEY, ADDITIONAL_ARGUMENTS_MAX, argumentValueProblem, DOCUMENT_NAME, ORG_ID, OU_ID, PACKAGE_PARAMETER_PREFIX, VERSION_NAME } from "../../contract/patterns";
import { FreezesSchema } from "./freezes";
import { NotificationsSchema } from "./notifications";
import { OrchestrationSchema } from "./orchestration";
import { PatchingSchema } from "./patching";
import { AWS_REGIONS } from "./regions";

/*
 * The fleet config as a user writes it (YAML or JSON). Every object is strict: an unknown key is an error,
 * so a typo never passes silently. Each constraint's message is the "allowed" part of the error a user sees.
 * Semantic checks that need more than one field (ring -> target group, package folders) live in load.ts.
 */

/** Package versions are document VersionNames (contract VERSION_NAME: 3-128 of letters, digits, `_.-`). */
const VERSION = VERSION_NAME;
const CUSTOMIZATION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Target group names: aft-fleet's rule, as ring names. */
const TARGET_GROUP_NAME = RING_NAME;

/** Distributor's platforms and architectures: contract/aws-rules.ts. */
export const LINUX_PLATFORMS = DISTRIBUTOR_LINUX_PLATFORMS;
const PLATFORMS = DISTRIBUTOR_PLATFORMS;
const ARCHES = DISTRIBUTOR_ARCHES;
const INSTALLATION_TYPES = AWS_INSTALLATION_TYPES;
const ACTIONS = PACKAGE_ACTIONS;
const SEVERITIES = ASSOCIATION_COMPLIANCE_SEVERITIES;

const accountId = z
  .string({ error: 'a 12-digit account id as a quoted string, e.g. "123456789012"' })
  .regex(ACCOUNT_ID, { error: 'a 12-digit account id as a quoted string, e.g. "123456789012"' });
const ouId = z.string({ error: "an OU id like ou-ab12-cd34ef56" }).regex(OU_ID, { error: "an OU id like ou-ab12-cd34ef56" });
const region = z.enum(AWS_REGIONS, { error: "an AWS Region code such as us-east-1 or eu-west-1" });
const text = (what: string, max: number) =>
  z.string({ error: `${what} (text, 1-${max} characters)` }).min(1, { error: `${what} (text, 1-${max} characters)` }).max(max, {
    error: `${what} (text, 1-${max} characters)`,
  });

const TargetGroupSchema = z
  .strictObject({
    accounts: z.array(accountId).optional().describe("Member account ids in this group."),
    organizationalUnits: z
      .array(ouId)
      .optional()
      .describe("OUs in this group; the central fan-out expands them recursively to their active accounts."),
    instanceTags: z
      .record(
        targetTagKeyField(),
        z.array(text("a tag value", TAG_VALUE_LENGTH.max)).min(1, { error: "at least one tag value" }),
      )
      .optional()
      .describe("Managed nodes to target, by one tag key and its allowed values. Default: every managed node."),
  })
  .describe("A named set of accounts/OUs and, optionally, the node tags to target inside them.");

const OrganizationSchema = z.strictObject({
  id: z.string({ error: "an organization id like o-a1b2c3d4e5" }).regex(ORG_ID, { error: "an organization id like o-a1b2c3d4e5" }),
  managementAccount: accountId.describe("The organization's management account."),
  centralAccount: accountId.describe("The delegated-admin account that owns the package store and the fan-out."),
  homeRegion: region.describe("The Control Tower home Region (AFT's provider_region)."),
  workloadRegions: z
    .array(region)
    .min(1, { error: "at least one Region" })
    .describe("Regions whose managed nodes get the packages. The home Region is added if missing."),
  targetGroups: z
    .record(z.string().regex(TARGET_GROUP_NAME, { error: "a group name: lowercase letters, digits and '-', starting with a letter" }), TargetGroupSchema)
    .describe("Named target groups that rings refer to."),
});

const PlatformSchema = z.strictObject({
  platform: z.enum(PLATFORMS, { error: `one of ${PLATFORMS.join(", ")} (Distributor does not support Oracle Linux)` }),
  platformVersion: z
    .string({ error: 'a platform version such as "_any", "2", "8.*" or "2022"' })
    .regex(/^[A-Za-z0-9_.*-]{1,64}$/, { error: 'a platform version such as "_any", "2", "8.*" or "2022"' })
    .default("_any"),
  arch: z.enum(ARCHES, { error: `one of ${ARCHES.join(", ")}` }),
  folder: z
    .string({ error: "a folder name inside the version folder, e.g. linux or windows" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: "a folder name inside the version folder, e.g. linux or windows (letters, digits, '_', '-', '.', starting with a letter or digit)" })
    .describe("Folder under <source>/<version>/ whose files are zipped for this platform."),
});

const RingSchema = z.strictObject({
  name: ringNameField(),
  targets: z.string({ error: "the name of a target group" }).describe("A key of organization.targetGroups. An account in two rings of a package belongs to the first."),
  pin: z
    .string({ error: "a package version" })
    .regex(VERSION, { error: "a version of 3-128 letters, digits, '_', '-' or '.' (an SSM document version name)" })
    .optional()
    .describe("Holds this ring at a version (hold or rollback), whatever the release and the gates."),
  bake: bakeField("After this ring reached a release, the next ring waits this long before taking it (not for rollbacks)."),
  alarms: alarmsField("CloudWatch alarms (central account, home Region): any in ALARM stops this ring and keeps the next ring from promoting."),
  action: z.enum(ACTIONS, { error: "Install or Uninstall" }).default("Install"),
  schedule: scheduleField("rate(1 day) or cron(0 2 ? * SUN *)")
    .default("rate(1 day)")
    .describe("How often each member association re-applies the package on its nodes."),
  maxConcurrency: concurrencyField("Ring-wide: account-Region pairs that change at once.", "10%"),
  maxErrors: errorsField("Ring-wide: failed account-Region pairs after which the ring starts nothing more.", "0"),
  nodeMaxConcurrency: concurrencyField("Per account and Region: managed nodes that install at once (the member association's MaxConcurrency).", "10%"),
  nodeMaxErrors: errorsField("Per account and Region: failed nodes after which the association stops (its MaxErrors).", "10%"),
  complianceSeverity: z.enum(SEVERITIES, { error: SEVERITIES.join(", ") }).default("MEDIUM"),
  resume: resumeField(),
});

export const PackageSchema = z.strictObject({
  name: z
    .string({ error: "a package name" })
    .regex(DOCUMENT_NAME, { error: "3-128 letters, digits, '_', '-' or '.', not starting with AWS or Amazon" })
    .max(100, { error: "at most 100 characters (member association aft-fleet-<name> and controller association names are at most 128)" }),
  publisher: text("the publisher", 128),
  description: text("a description", 512).optional(),
  source: text("a folder path relative to the config file", 1024).describe(
    "Folder holding one sub-folder per version: <source>/<version>/<platform folder>/install.sh ...",
  ),
  installationType: z.enum(INSTALLATION_TYPES, { error: INSTALLATION_TYPES.join(" or ") }).default("Uninstall and reinstall"),
  additionalArguments: z
    .record(
      z.string().regex(ADDITIONAL_ARGUMENT_KEY, {
        error: 'an environment variable name starting with "SSM_" (SSM_ then 1-60 letters, digits or "_"): the SSM Agent refuses every other key of AWS-ConfigureAWSPackage additionalArguments',
      }),
      z.string({ error: "a text value" }).superRefine((value, ctx) => {
        const problem = argumentValueProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: `plain text or {{ssm:${PACKAGE_PARAMETER_PREFIX}name}} references to String parameters (got ${problem})` });
      }),
    )
    .default({})
    .describe(
      `Passed to the install scripts as environment variables (AWS-ConfigureAWSPackage additionalArguments). Keys start with SSM_; keys and values together at most ${ADDITIONAL_ARGUMENTS_MAX} characters. A value may reference a String parameter below ${PACKAGE_PARAMETER_PREFIX} as {{ssm:${PACKAGE_PARAMETER_PREFIX}name}}; the node's SSM Agent resolves it in the node's account and Region.`,
    ),
  platforms: z.array(PlatformSchema).min(1, { error: "at least one platform" }),
  release: z
    .string({ error: "a package version" })
    .regex(VERSION, { error: "a version of 3-128 letters, digits, '_', '-' or '.' (an SSM document version name)" })
    .describe("The version the fleet should reach; rings take it in order. An older one than a ring runs is a rollback."),
  versions: z
    .array(z.string().regex(VERSION, { error: "a version of 3-128 letters, digits, '_', '-' or '.' (an SSM document version name)" }))
    .optional()
    .describe("Versions published to the store. Default: the release and the pinned versions. Keep old ones for rollback."),
  versionRetention: z
    .number({ error: "a whole number from 2 to 24" })
    .int({ error: "a whole number from 2 to 24" })
    .min(2, { error: "a whole number from 2 to 24" })
    .max(24, { error: "a whole number from 2 to 24 (Distributor keeps at most 25 versions of a package)" })
    .default(10)
    .describe("Document versions each member account keeps of this package; older ones are deleted (never the default or the one in use)."),
  controllerSchedule: scheduleField("rate(1 hour)")
    .default("rate(1 hour)")
    .describe("How often the controller runs each ring (it also runs once whenever the ring changes)."),
  rings: z.array(RingSchema).min(1, { error: "at least one rollout ring" }),
});

const PackageStoreSchema = z.strictObject({
  bucketName: bucketNameField()
    .optional()
    .describe("Default: aft-fleet-packages-<centralAccount>-<homeRegion>."),
  accessLogBucket: bucketNameField()
    .optional()
    .describe("Existing bucket that receives server access logs. Default: no access logging."),
  noncurrentVersionDays: daysField(1, 3650)
    .default(365)
    .describe("Days a replaced or deleted object version is kept."),
  encryption: z
    .enum(["kms", "s3"], { error: "kms or s3" })
    .default("kms")
    .describe("kms: SSE-KMS with a customer key (default). s3: SSE-S3, if member accounts' CreateDocument cannot copy attachments from an SSE-KMS bucket."),
  rolloutRetentionDays: daysField(1, 3650)
    .default(90)
    .describe("Days run plans and summaries (rollouts/) are kept."),
});

const DirectSchema = z.strictObject({
  stateBucket: bucketNameField(),
  stateRegion: region,
  stateKeyPrefix: z.string().regex(/^[A-Za-z0-9_.\-/]{1,256}$/, { error: "an S3 key prefix" }).default("aft-fleet"),
  lockTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: "a DynamoDB table name" }).optional(),
  memberAccounts: z.array(accountId).default([]).describe("Accounts that get a global-customization stack; the central account always gets one."),
  memberRoleName: iamNameField("role").default("OrganizationAccountAccessRole"),
});

const DeploymentSchema = z.strictObject({
  mode: z.enum(["aft", "direct"], { error: "aft or direct" }).default("aft"),
  accountCustomizationName: z
    .string()
    .regex(CUSTOMIZATION_NAME, { error: "a folder name: letters, digits, '_', '-' or '.'" })
    .default("aft-fleet-central")
    .describe("AFT account_customizations_name of the central account's account request."),
  memberProviderRequirements: z
    .enum(["emit", "omit"], { error: "emit or omit" })
    .default("emit")
    .describe(
      "emit: the member tree's aft-fleet.tf.json declares required_providers (aws >= 6.25.0, < 7.0.0). omit: your aft-global-customizations repository already has a required_providers block (Terraform allows one per module), so add aws there instead.",
    ),
  direct: DirectSchema.optional().describe("Backend and member accounts for `cdktf deploy` without AFT (mode: direct)."),
});

export const FleetConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    organization: OrganizationSchema,
    // A section left out takes its fields' own defaults (declared once, on the fields).
    deployment: DeploymentSchema.default(() => DeploymentSchema.parse({})),
    packageStore: PackageStoreSchema.default(() => PackageStoreSchema.parse({})),
    packages: z.array(PackageSchema).min(1, { error: "at least one package" }),
    orchestration: OrchestrationSchema.optional().describe("Cross-account command orchestration for a central runbook tool."),
    patching: PatchingSchema.optional().describe("Patch management: baselines, maintenance windows per environment, inventory and reports."),
    freezes: FreezesSchema.optional(),
    notifications: NotificationsSchema.optional(),
  })
  .describe("aft-fleet configuration: the organization, the package store and the packages with their rollout rings.");

export type FleetConfig = z.infer<typeof FleetConfigSchema>;
export type PackageConfig = z.infer<typeof PackageSchema>;
