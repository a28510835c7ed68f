/*
 * AWS's value rules that are not patterns: lengths, list sizes, enums and quotas, each written once with
 * its source. The patterns are in patterns.ts. The config schema (modules/config/fields.ts builds its
 * field schemas from these), the config rules, the constructs and the controller all read them here.
 *
 * "model X, shape Y" means the botocore service model boto/botocore
 * botocore/data/<X>/service-2.json (commit 0e6e2404b85dc336dd2889814e089bde7d1a4c55), shape Y, whose
 * min/max/enum/pattern are what the service validates requests against.
 */

/** A closed length range, both ends allowed. */
export interface Length {
  readonly min: number;
  readonly max: number;
}

/* ---------- Systems Manager: model ssm/2014-11-06 ---------- */

/** MaxConcurrency and MaxErrors: 1-7 characters (shapes MaxConcurrency, MaxErrors; patterns in patterns.ts). */
export const RATE_CONTROL_LENGTH: Length = { min: 1, max: 7 };
/** Targets: at most 5 Key/Values entries (shape Targets); Target.Values: at most 50 (shape TargetValues). */
export const TARGETS_MAX = 5;
export const TARGET_VALUES_MAX = 50;
/** PatchFilterGroup.PatchFilters: at most 4 filters (shape PatchFilterList). */
export const PATCH_FILTERS_PER_GROUP_MAX = 4;
/** PatchFilter.Values: 1-20 values (shape PatchFilterValueList), each 1-64 characters (shape PatchFilterValue). */
export const PATCH_FILTER_VALUES_MAX = 20;
export const PATCH_FILTER_VALUE_LENGTH: Length = { min: 1, max: 64 };
/** ApprovalRules.PatchRules: at most 10 rules (shape PatchRuleList). */
export const PATCH_RULES_MAX = 10;
/** ApprovedPatches / RejectedPatches: at most 50 (shape PatchIdList), each 1-100 characters (shape PatchId). */
export const PATCH_IDS_MAX = 50;
export const PATCH_ID_LENGTH: Length = { min: 1, max: 100 };
/** PatchRule.ApproveAfterDays: 0-360 (shape ApproveAfterDays). */
export const APPROVE_AFTER_DAYS: Length = { min: 0, max: 360 };
/** CreatePatchBaseline Description: 1-1024 characters (shape BaselineDescription). */
export const BASELINE_DESCRIPTION_LENGTH: Length = { min: 1, max: 1024 };
/** Maintenance window Duration 1-24 hours, Cutoff 0-23 hours (shapes MaintenanceWindowDurationHours, MaintenanceWindowCutoff). */
export const WINDOW_DURATION_HOURS: Length = { min: 1, max: 24 };
export const WINDOW_CUTOFF_HOURS: Length = { min: 0, max: 23 };
/** Window, window target and window task descriptions: 1-128 characters (shape MaintenanceWindowDescription). */
export const WINDOW_DESCRIPTION_LENGTH: Length = { min: 1, max: 128 };
/** TagKey 1-128, TagValue 0-256 characters (shapes TagKey, TagValue; pattern TAG_KEY / TAG_VALUE in patterns.ts). */
export const TAG_KEY_LENGTH: Length = { min: 1, max: 128 };
export const TAG_VALUE_LENGTH: Length = { min: 0, max: 256 };
/** SSM AlarmName (association AlarmConfiguration): 1-255 characters (shape AlarmName); CloudWatch's is the same (model cloudwatch/2010-08-01, shape AlarmName). */
export const ALARM_NAME_LENGTH: Length = { min: 1, max: 255 };

/** PatchBaseline OperatingSystem (shape OperatingSystem). */
export const PATCH_OPERATING_SYSTEMS = [
  "WINDOWS",
  "AMAZON_LINUX",
  "AMAZON_LINUX_2",
  "AMAZON_LINUX_2022",
  "AMAZON_LINUX_2023",
  "UBUNTU",
  "REDHAT_ENTERPRISE_LINUX",
  "SUSE",
  "CENTOS",
  "ORACLE_LINUX",
  "DEBIAN",
  "MACOS",
  "RASPBIAN",
  "ROCKY_LINUX",
  "ALMA_LINUX",
] as const;
export type PatchOperatingSystem = (typeof PATCH_OPERATING_SYSTEMS)[number];

/** Approval rule and approved-patch ComplianceLevel (shape PatchComplianceLevel). */
export const PATCH_COMPLIANCE_LEVELS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"] as const;
/** CreateAssociation ComplianceSeverity (shape AssociationComplianceSeverity: no INFORMATIONAL). */
export const ASSOCIATION_COMPLIANCE_SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"] as const;
/** RejectedPatchesAction (shape PatchAction). */
export const REJECTED_PATCHES_ACTIONS = ["ALLOW_AS_DEPENDENCY", "BLOCK"] as const;
/** AWS-RunPatchBaseline parameters Operation and RebootOption (the document's allowedValues). */
export const PATCH_OPERATIONS = ["Scan", "Install"] as const;
export const REBOOT_OPTIONS = ["RebootIfNeeded", "NoReboot"] as const;
/** AWS-ConfigureAWSPackage parameter action (the document's allowedValues). */
export const PACKAGE_ACTIONS = ["Install", "Uninstall"] as const;
/** AWS-ConfigureAWSPackage installationType (the document's allowedValues). */
export const INSTALLATION_TYPES = ["Uninstall and reinstall", "In-place update"] as const;

/**
 * Patch filter keys an approval rule may use per operating system: DescribePatchProperties API reference
 * ("the properties that can be used in filters for each major operating system type") and the PatchFilter
 * API reference (SECTION for Ubuntu; PATCH_SET and PATCH_ID for Windows). Debian-family systems rank by
 * SECTION/PRIORITY, Windows by MSRC_SEVERITY, the RPM families by SEVERITY.
 */
export const PATCH_FILTER_KEYS: Readonly<Record<PatchOperatingSystem, readonly string[]>> = {
  WINDOWS: ["PATCH_SET", "PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION", "MSRC_SEVERITY", "PATCH_ID"],
  AMAZON_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  AMAZON_LINUX_2: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  AMAZON_LINUX_2022: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  AMAZON_LINUX_2023: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  REDHAT_ENTERPRISE_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  CENTOS: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  ORACLE_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  ROCKY_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  ALMA_LINUX: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  SUSE: ["PRODUCT", "CLASSIFICATION", "SEVERITY"],
  UBUNTU: ["PRODUCT", "SECTION", "PRIORITY"],
  DEBIAN: ["PRODUCT", "SECTION", "PRIORITY"],
  RASPBIAN: ["PRODUCT", "SECTION", "PRIORITY"],
  MACOS: ["PRODUCT", "CLASSIFICATION"],
};

/** The wildcard every patch filter takes: "a wildcard (*), which matches all values" (PatchFilter API reference). */
export const PATCH_FILTER_WILDCARD = "*";

/**
 * Patch filter keys whose values are a closed list for an operating system (PatchFilter API reference,
 * "Supported key ... Supported values" per operating system). Keys not listed here (PRODUCT, SECTION, ...)
 * take open values such as product names; only their length is checked.
 */
const WINDOWS_VALUES = {
  /** Model ssm/2014-11-06, shape PatchSet: the OS's patches or its applications'. */
  PATCH_SET: ["OS", "APPLICATION"],
  CLASSIFICATION: ["CriticalUpdates", "DefinitionUpdates", "Drivers", "FeaturePacks", "SecurityUpdates", "ServicePacks", "Tools", "UpdateRollups", "Updates", "Upgrades"],
  MSRC_SEVERITY: ["Critical", "Important", "Moderate", "Low", "Unspecified"],
} as const;
const DEBIAN_FAMILY_VALUES = { PRIORITY: ["Required", "Important", "Standard", "Optional", "Extra"] } as const;
export const PATCH_FILTER_VALUES: Readonly<Partial<Record<PatchOperatingSystem, Readonly<Record<string, readonly string[]>>>>> = {
  WINDOWS: WINDOWS_VALUES,
  UBUNTU: DEBIAN_FAMILY_VALUES,
  DEBIAN: DEBIAN_FAMILY_VALUES,
  RASPBIAN: DEBIAN_FAMILY_VALUES,
};

/* ---------- Distributor (AWS Systems Manager User Guide, "Distributor", package platforms) ---------- */

/**
 * Distributor's platforms. Oracle Linux is not one: "Systems Manager doesn't support distributing packages
 * to Oracle Linux managed nodes by using Distributor" (User Guide, Distributor prerequisites).
 */
export const DISTRIBUTOR_LINUX_PLATFORMS = ["amazon", "centos", "debian", "opensuse", "opensuseleap", "redhat", "suse", "ubuntu"] as const;
export const DISTRIBUTOR_PLATFORMS = [...DISTRIBUTOR_LINUX_PLATFORMS, "windows"] as const;
export const DISTRIBUTOR_ARCHES = ["x86_64", "arm64", "386"] as const;
/** Architectures Distributor supports per platform; a platform not listed takes DISTRIBUTOR_DEFAULT_ARCHES. */
export const DISTRIBUTOR_ARCHES_BY_PLATFORM: Readonly<Record<string, readonly string[]>> = {
  amazon: ["x86_64", "arm64", "386"],
  redhat: ["x86_64", "arm64", "386"],
  ubuntu: ["x86_64", "arm64", "386"],
};
export const DISTRIBUTOR_DEFAULT_ARCHES: readonly string[] = ["x86_64", "386"];

/* ---------- IAM: model iam/2010-05-08 ---------- */

/** Role names: 1-64 characters (shape roleNameType; pattern ROLE_NAME in patterns.ts). */
export const ROLE_NAME_LENGTH: Length = { min: 1, max: 64 };
/** Instance profile names: 1-128 characters (shape instanceProfileNameType, same character set as roles). */
export const INSTANCE_PROFILE_NAME_LENGTH: Length = { min: 1, max: 128 };

/* ---------- STS: model sts/2011-06-15 ---------- */

/** AssumeRole ExternalId: 2-1224 characters (shape externalIdType). */
export const EXTERNAL_ID_LENGTH: Length = { min: 2, max: 1224 };

/* ---------- CloudWatch Logs: model logs/2014-03-28 ---------- */

/** Log group names: 1-512 characters (shape LogGroupName); CreateLogGroup: "Log group names can't start with the string aws/". */
export const LOG_GROUP_NAME_LENGTH: Length = { min: 1, max: 512 };
export const LOG_GROUP_RESERVED_PREFIX = "aws/";

/* ---------- Athena: model athena/2017-05-18 ---------- */

/** Every account has the workgroup `primary` ("The primary workgroup cannot be deleted", DeleteWorkGroup): aft-fleet cannot create one of that name. */
export const ATHENA_PRIMARY_WORKGROUP = "primary";

/* ---------- Amazon S3 ---------- */

/**
 * General purpose bucket names (Amazon S3 User Guide, "General purpose bucket naming rules"; the S3 model
 * types BucketName as a plain string): 3-63 characters, not formatted as an IP address, no two adjacent
 * periods, none of the reserved prefixes and suffixes. Pattern BUCKET_NAME in patterns.ts.
 */
const BUCKET_RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;
const BUCKET_RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] as const;

/** Why `name` is not a valid general purpose bucket name beyond its character set, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "a name not formatted as an IP address";
  if (name.includes("..")) return "a name without two adjacent dots";
  const prefix = BUCKET_RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `a name not starting with the reserved prefix ${prefix}`;
  const suffix = BUCKET_RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `a name not ending with the reserved suffix ${suffix}`;
  return undefined;
}
