/*
 * Patterns AWS enforces, written once. The config schema validates with them, the controller checks
 * its inputs with them, and tests cite the source of each.
 */

export const ACCOUNT_ID = /^\d{12}$/;
export const ORG_ID = /^o-[a-z0-9]{10,32}$/;
/** Organizations OU id (API reference, OrganizationalUnit.Id). */
export const OU_ID = /^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;
export const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * SSM document VersionName (CreateDocument/UpdateDocument API reference; terraform-provider-aws
 * aws_ssm_document version_name validation): letters, digits, `_`, `.`, `-`, 3-128 characters.
 * A Distributor package version is the document's VersionName, so package versions follow it too.
 */
export const VERSION_NAME = /^[0-9A-Za-z_.-]{3,128}$/;
/** SSM document names: 3-128 of `[a-zA-Z0-9_.-]`; the AWS and Amazon prefixes are reserved (CreateDocument). */
export const DOCUMENT_NAME = /^(?![Aa][Ww][Ss]|[Aa][Mm][Aa][Zz][Oo][Nn])[A-Za-z0-9_.-]{3,128}$/;
/** CreateAssociation AssociationName: `^[a-zA-Z0-9_\-.]{3,128}$`. */
export const ASSOCIATION_NAME = /^[a-zA-Z0-9_.-]{3,128}$/;
/** Rate control of associations and Automation (MaxConcurrency / MaxErrors API patterns). */
export const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const MAX_ERRORS = /^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/;
/** KMS alias names (CreateAlias): `alias/` then letters, digits, `/`, `_`, `-`. */
export const KMS_ALIAS = /^alias\/[a-zA-Z0-9/_-]+$/;
/** An Automation parameter value may be at most 512 characters; a StringList at most 50 values. */
export const AUTOMATION_VALUE_MAX = 512;
export const AUTOMATION_LIST_MAX = 50;
/** CreateAssociation Targets: at most 5 key/values entries, each with at most 50 values. */
export const ASSOCIATION_TARGETS_MAX = 5;
export const ASSOCIATION_TARGET_VALUES_MAX = 50;

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
export const PACKAGE_PARAMETER_NAME = /^\/aft-fleet\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,13}$/;
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
