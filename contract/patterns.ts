/*
 * Patterns AWS enforces, written once. The config schema validates with them, the controller checks
 * its inputs with them, and tests cite the source of each.
 */

/** Organizations ids: model organizations/2016-11-28, shapes AccountId, OrganizationId, OrganizationalUnitId. */
export const ACCOUNT_ID = /^\d{12}$/;
export const ORG_ID = /^o-[a-z0-9]{10,32}$/;
export const OU_ID = /^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;
/** A Region code's shape (us-east-1, us-gov-west-1); the config's list of Regions is modules/config/regions.ts. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * SSM document VersionName (CreateDocument/UpdateDocument API reference; terraform-provider-aws
 * aws_ssm_document version_name validation): letters, digits, `_`, `.`, `-`, 3-128 characters.
 * A Distributor package version is the document's VersionName, so package versions follow it too.
 */
export const VERSION_NAME = /^[0-9A-Za-z_.-]{3,128}$/;
/** Document names AWS reserves for its own documents: those starting with AWS or Amazon, in any case (CreateDocument Name). */
const AWS_OWNED_PREFIXES = "[Aa][Ww][Ss]|[Aa][Mm][Aa][Zz][Oo][Nn]";
export const AWS_OWNED_DOCUMENT = new RegExp(`^(?:${AWS_OWNED_PREFIXES})`);
/** SSM document names one may create: 3-128 of `[a-zA-Z0-9_.-]`, not AWS_OWNED_DOCUMENT (CreateDocument). */
export const DOCUMENT_NAME = new RegExp(`^(?!${AWS_OWNED_PREFIXES})[A-Za-z0-9_.-]{3,128}$`);
/** A document one may name, AWS's own included: model ssm/2014-11-06 shape DocumentName, `^[a-zA-Z0-9_\-.]{3,128}$`. */
export const SSM_DOCUMENT_NAME = /^[a-zA-Z0-9_.-]{3,128}$/;
/** Athena workgroup names: model athena/2017-05-18 shape WorkGroupName, `[a-zA-Z0-9._-]{1,128}`. */
export const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/;
/** CreateAssociation AssociationName: `^[a-zA-Z0-9_\-.]{3,128}$`. */
export const ASSOCIATION_NAME = /^[a-zA-Z0-9_.-]{3,128}$/;
/**
 * Rate control of associations, commands, window tasks and Automation: botocore model
 * ssm/2014-11-06, shapes MaxConcurrency (`^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`) and MaxErrors
 * (`^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`), both 1-7 characters (RATE_CONTROL_LENGTH): the
 * lookahead keeps "12345678", which the bare pattern admits, out.
 */
export const MAX_CONCURRENCY = /^(?=.{1,7}$)([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const MAX_ERRORS = /^(?=.{1,7}$)([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/;
/**
 * A node tag key that aft-fleet targets as `tag:<key>`: an EC2 tag key (1-128 characters, EC2 User Guide
 * "Tag restrictions") whose target key is a valid Target.Key of associations, commands and window targets
 * (model ssm/2014-11-06, shape TargetKey: `^[\p{L}\p{Z}\p{N}_.:/=\-@]*$`, 1-163 characters; the
 * resource-groups alternatives are not used here). Note: no `+`, which tag keys allow. AWS's own keys
 * (`aws:autoscaling:groupName`) may be targeted; they cannot be created.
 */
export const TARGET_TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=\-@]{1,128}$/u;
/**
 * A tag key aft-fleet writes: model ssm/2014-11-06 shape TagKey (`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`,
 * 1-128; IAM's tagKeyType is the same), without the `aws:` prefix AWS reserves for its own tags (Tagging
 * AWS Resources User Guide, "Tag naming limits and requirements").
 */
export const TAG_KEY = /^(?![Aa][Ww][Ss]:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** A tag key aft-fleet both writes and targets as `tag:<key>`: TAG_KEY without `+` (Target.Key refuses it). */
export const WRITTEN_TARGET_TAG_KEY = /^(?![Aa][Ww][Ss]:)[\p{L}\p{Z}\p{N}_.:/=\-@]{1,128}$/u;
/** Tag values: model ssm/2014-11-06 shape TagValue, 0-256 of the TagKey characters. */
export const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** Alarm names: model ssm/2014-11-06 shape AlarmName (1-255, `^(?!\s*$).+`), no control characters. */
// eslint-disable-next-line no-control-regex -- the rule itself: CloudWatch refuses control characters in alarm names
export const ALARM_NAME = /^(?!\s*$)[^\u0000-\u001f]{1,255}$/;
/**
 * General purpose bucket names (Amazon S3 User Guide, "General purpose bucket naming rules"): 3-63
 * lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`, no `xn--`.
 * The other reserved prefixes and suffixes are bucketNameProblem's (aws-rules.ts).
 */
export const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** IAM role names: model iam/2010-05-08 shape roleNameType, 1-64 of `[\w+=,.@-]`. */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM instance profile names: model iam/2010-05-08 shape instanceProfileNameType, 1-128 of `[\w+=,.@-]`. */
export const INSTANCE_PROFILE_NAME = /^[\w+=,.@-]{1,128}$/;
/** STS AssumeRole ExternalId: model sts/2011-06-15 shape externalIdType, 2-1224 of `[\w+=,.@:/-]`. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/**
 * CloudWatch Logs log group names: model logs/2014-03-28 shape LogGroupName (1-512 of `[.\-_/#A-Za-z0-9]`);
 * CreateLogGroup: "Log group names can't start with the string aws/".
 */
export const LOG_GROUP_NAME = /^(?!aws\/)[A-Za-z0-9_.\-/#]{1,512}$/;
/** An Automation parameter value may be at most 512 characters. */
export const AUTOMATION_VALUE_MAX = 512;
/** CreateAssociation Targets: at most 5 key/values entries, each with at most 50 values (aws-rules.ts TARGETS_MAX, TARGET_VALUES_MAX). */
export { TARGETS_MAX as ASSOCIATION_TARGETS_MAX, TARGET_VALUES_MAX as ASSOCIATION_TARGET_VALUES_MAX } from "./aws-rules";

/*
 * AWS-ConfigureAWSPackage additionalArguments, as the node's SSM Agent takes them.
 * - Keys: the configurePackage plugin's input validation (aws/amazon-ssm-agent,
 *   agent/plugins/configurepackage/configurepackage.go, validateInput; agent 3.0.222.0 and later) fails
 *   the plugin with 'keys need to start with "SSM_" prefix in additional arguments from input' and
 *   'empty key is not allowed'. The agent exports each key as an environment variable of the
 *   install/uninstall/update script, so the rest is an environment variable name.
 * - Size: "the additional argument input has a 4096 character limit. This limit includes all of the keys
 *   and values you define" (SSM document plugin reference, aws:configurePackage). aft-fleet counts the
 *   JSON string it sends, which is at least as long as keys plus values.
 * - Parameter Store references: "{{ssm:parameter-name}}" in a value is resolved on the node by the agent
 *   (agent/parameterstore/parameterstore.go: pattern \{\{ *ssm:[/\w.-]+ *\}\}, one GetParameters call
 *   per 10 names with the node's own credentials, in the node's account and Region); a SecureString
 *   parameter fails the command ("Parameters ... of type SecureString are not supported").
 */
export const ADDITIONAL_ARGUMENT_KEY = /^SSM_[A-Za-z0-9_]{1,60}$/;
export const ADDITIONAL_ARGUMENTS_MAX = 4096;
/** The folder of Parameter Store names that package arguments may reference (nodes may read only these). */
export const PACKAGE_PARAMETER_PREFIX = "/aft-fleet/";
/**
 * A Parameter Store name below PACKAGE_PARAMETER_PREFIX (PutParameter Name: letters, digits, `_.-` and
 * `/` between levels, at most 15 levels, 1011 characters without the ARN prefix).
 */
const PACKAGE_PARAMETER_NAME = /^\/aft-fleet\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,13}$/;
const REFERENCE = /\{\{ *ssm:([/\w.-]+) *\}\}/g;

/** The additionalArguments parameter value: one JSON string, keys sorted, so it is stable. */
export function additionalArgumentsJson(map: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]!])));
}

/** The Parameter Store names a value references with {{ssm:name}}, in order of appearance. */
export function parameterReferences(value: string): string[] {
  return [...value.matchAll(REFERENCE)].map((m) => m[1]!);
}

/**
 * Why a value would not reach the install script as meant, or undefined when it is fine: any `{{` that is
 * not a well-formed reference to a name below PACKAGE_PARAMETER_PREFIX is refused, since the agent would
 * pass it on as literal text (or resolve a parameter outside the folder nodes may read).
 */
export function argumentValueProblem(value: string): string | undefined {
  for (const name of parameterReferences(value)) {
    if (name.length > 1011 || !PACKAGE_PARAMETER_NAME.test(name)) return `the reference {{ssm:${name}}} names no parameter below ${PACKAGE_PARAMETER_PREFIX}`;
  }
  const rest = value.replace(REFERENCE, "");
  if (rest.includes("{{") || rest.includes("}}")) return "text with {{ or }} that is not a {{ssm:name}} reference";
  return undefined;
}

/**
 * An SNS topic ARN (CreateTopic Name: up to 256 of letters, digits, hyphens and underscores, SNS API
 * Reference) in a commercial, China or GovCloud partition: partition, Region, account, name.
 */
export const SNS_TOPIC_ARN = /^arn:(aws|aws-cn|aws-us-gov):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$/;
/** An EventBridge event bus ARN (CreateEventBus Name: 1-256 of [/\.\-_A-Za-z0-9]): partition, Region, account, name. */
export const EVENT_BUS_ARN = /^arn:(aws|aws-cn|aws-us-gov):events:([a-z0-9-]+):(\d{12}):event-bus\/([A-Za-z0-9._/-]{1,256})$/;
