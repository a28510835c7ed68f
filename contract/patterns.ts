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
