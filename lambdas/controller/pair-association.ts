/**
 * The member's State Manager association that keeps the package installed (AWS-ConfigureAWSPackage,
 * one per package: contract associationNameOf), found by name, created or updated only when it
 * differs, and its result for the association version we produced.
 *
 * When an association runs: "By default, when you create a new association, the system runs it
 * immediately after it is created and then according to the schedule you specified" (CreateAssociation
 * API reference, ApplyOnlyAtCronInterval), and "By default, when you update an association, the
 * system runs it immediately after it is updated" (UpdateAssociation, same field). So create and
 * update need no StartAssociationsOnce; startOnce is only for re-running an unchanged association
 * whose last run failed.
 *
 * UpdateAssociation "removes all optional parameters from the request and overwrites the association
 * with null values for those parameters" (UpdateAssociation API reference), so every update sends
 * the full definition.
 *
 * AWS API actions: ssm:ListAssociations, ssm:DescribeAssociation, ssm:CreateAssociation,
 * ssm:UpdateAssociation, ssm:StartAssociationsOnce, ssm:DescribeAssociationExecutions.
 */
import {
  GetParametersCommand,
  CreateAssociationCommand,
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  ListAssociationsCommand,
  StartAssociationsOnceCommand,
  UpdateAssociationCommand,
  type AssociationDescription,
  type AssociationExecution,
  type SSMClient,
  type Target,
} from "@aws-sdk/client-ssm";
import {
  ADDITIONAL_ARGUMENT_KEY,
  ADDITIONAL_ARGUMENTS_MAX,
  additionalArgumentsJson,
  argumentValueProblem,
  PACKAGE_PARAMETER_PREFIX,
  parameterReferences,
  ASSOCIATION_NAME,
  ASSOCIATION_TARGETS_MAX,
  ASSOCIATION_TARGET_VALUES_MAX,
  DOCUMENT_NAME,
  MAX_CONCURRENCY,
  MAX_ERRORS,
  VERSION_NAME,
  scheduleProblem,
  type RingSpec,
} from "../../contract";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { AmbiguousAssociationError, PairInputError, ParametersNotReadyError } from "./pair-errors";

/** The SSM-owned document that installs Distributor packages. */
const CONFIGURE_PACKAGE_DOCUMENT = "AWS-ConfigureAWSPackage";
/** Targets when the ring names no node tags: every managed node of the account and Region. */
const ALL_NODES: readonly Target[] = [{ Key: "InstanceIds", Values: ["*"] }];

const ACTIONS: readonly string[] = ["Install", "Uninstall"];
const INSTALLATION_TYPES: readonly string[] = ["Uninstall and reinstall", "In-place update"];
const SEVERITIES: readonly string[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"];

export type AssociationSpec = RingSpec["association"] & {
  /** The member's Package document (the package name). */
  readonly documentName: string;
  /** The package version (document VersionName) to install. */
  readonly version: string;
};

export type AssociationAction = "created" | "updated" | "unchanged";

export interface AssociationResult {
  readonly associationId: string;
  /** The version our create/update produced, or the current one when unchanged. */
  readonly associationVersion: string;
  readonly action: AssociationAction;
  /** Overview.Status before this call (unchanged only): lets the caller re-run a failed association. */
  readonly lastStatus?: string;
}

export type PairAssociationStatus = "Pending" | "Succeeded" | "Failed";

export interface AssociationStatusResult {
  readonly status: PairAssociationStatus;
  readonly detail: string;
  readonly executionId?: string;
}

interface Definition {
  readonly Name: string;
  readonly AssociationName: string;
  readonly Parameters: Record<string, string[]>;
  readonly Targets: Target[];
  readonly ScheduleExpression: string;
  readonly MaxConcurrency: string;
  readonly MaxErrors: string;
  readonly ComplianceSeverity: AssociationSpec["complianceSeverity"];
  readonly ApplyOnlyAtCronInterval: false;
}

function check(field: string, value: unknown, ok: boolean, allowed: string): void {
  if (!ok) throw new PairInputError(field, value, allowed);
}

function validate(spec: AssociationSpec): void {
  check("name", spec.name, ASSOCIATION_NAME.test(spec.name), `an association name matching ${ASSOCIATION_NAME.source}`);
  check("documentName", spec.documentName, DOCUMENT_NAME.test(spec.documentName), `a document name matching ${DOCUMENT_NAME.source}`);
  check("version", spec.version, VERSION_NAME.test(spec.version), `a VersionName matching ${VERSION_NAME.source}`);
  check("action", spec.action, ACTIONS.includes(spec.action), ACTIONS.join(" or "));
  check("installationType", spec.installationType, INSTALLATION_TYPES.includes(spec.installationType), INSTALLATION_TYPES.join(" or "));
  check("targets", spec.targets, spec.targets.length <= ASSOCIATION_TARGETS_MAX, `at most ${ASSOCIATION_TARGETS_MAX} targets`);
  spec.targets.forEach((target, i) => {
    check(`targets[${i}].Values`, target.Values, target.Values.length >= 1 && target.Values.length <= ASSOCIATION_TARGET_VALUES_MAX, `1 to ${ASSOCIATION_TARGET_VALUES_MAX} values`);
  });
  const problem = scheduleProblem(spec.scheduleExpression);
  check("scheduleExpression", spec.scheduleExpression, problem === undefined, problem ?? "");
  check("maxConcurrency", spec.maxConcurrency, MAX_CONCURRENCY.test(spec.maxConcurrency), `a value matching ${MAX_CONCURRENCY.source}`);
  check("maxErrors", spec.maxErrors, MAX_ERRORS.test(spec.maxErrors), `a value matching ${MAX_ERRORS.source}`);
  check("complianceSeverity", spec.complianceSeverity, SEVERITIES.includes(spec.complianceSeverity), SEVERITIES.join(", "));
  // The node's SSM Agent fails every install whose arguments break these rules (contract/patterns.ts has
  // the sources): refuse the pair here rather than let every node of the account fail.
  for (const [key, value] of Object.entries(spec.additionalArguments)) {
    check(`additionalArguments.${key}`, key, ADDITIONAL_ARGUMENT_KEY.test(key), `a key matching ${ADDITIONAL_ARGUMENT_KEY.source} (the SSM Agent refuses keys without the SSM_ prefix)`);
    const problem = argumentValueProblem(value);
    check(`additionalArguments.${key}`, value, problem === undefined, `plain text or {{ssm:${PACKAGE_PARAMETER_PREFIX}name}} references (got ${problem})`);
  }
  const length = additionalArgumentsJson(spec.additionalArguments).length;
  check("additionalArguments", `${length} characters`, length <= ADDITIONAL_ARGUMENTS_MAX, `at most ${ADDITIONAL_ARGUMENTS_MAX} characters of keys and values`);
}


/** GetParameters takes at most 10 names per call (SSM API Reference, GetParameters: Names, 1-10 items). */
const GET_PARAMETERS_MAX = 10;

/**
 * The node's agent resolves {{ssm:name}} with GetParameters in its own account and Region and fails the
 * install when a name is missing ("Input contains invalid parameters") or a SecureString ("not
 * supported") (aws/amazon-ssm-agent, agent/parameterstore/parameterstore.go). Checking here turns a
 * fleet of failed nodes into one NotReady pair (missing: retried each run) or one Failed pair with the
 * reason (SecureString: a config change is needed). Values are not read beyond the type.
 */
async function checkReferencedParameters(ssm: SSMClient, spec: AssociationSpec, backoff: BackoffOptions | undefined): Promise<void> {
  const names = [...new Set(Object.values(spec.additionalArguments).flatMap(parameterReferences))].sort();
  const missing: string[] = [];
  const secure: string[] = [];
  for (let i = 0; i < names.length; i += GET_PARAMETERS_MAX) {
    const batch = names.slice(i, i + GET_PARAMETERS_MAX);
    const found = await withBackoff(() => ssm.send(new GetParametersCommand({ Names: batch })), backoff);
    missing.push(...(found.InvalidParameters ?? []));
    secure.push(...(found.Parameters ?? []).filter((p) => p.Type === "SecureString").map((p) => p.Name ?? ""));
  }
  if (secure.length > 0) {
    throw new PairInputError("additionalArguments", secure.sort(), "String or StringList parameters (the SSM Agent refuses SecureString references)");
  }
  if (missing.length > 0) throw new ParametersNotReadyError(missing.sort());
}

function definitionOf(spec: AssociationSpec): Definition {
  const parameters: Record<string, string[]> = {
    action: [spec.action],
    installationType: [spec.installationType],
    name: [spec.documentName],
    version: [spec.version],
  };
  if (Object.keys(spec.additionalArguments).length > 0) parameters.additionalArguments = [additionalArgumentsJson(spec.additionalArguments)];
  const targets: readonly { readonly Key?: string; readonly Values?: readonly string[] }[] = spec.targets.length > 0 ? spec.targets : ALL_NODES;
  return {
    Name: CONFIGURE_PACKAGE_DOCUMENT,
    AssociationName: spec.name,
    Parameters: parameters,
    Targets: targets.map((t: { readonly Key?: string; readonly Values?: readonly string[] }) => ({ Key: t.Key, Values: [...(t.Values ?? [])] })),
    ScheduleExpression: spec.scheduleExpression,
    MaxConcurrency: spec.maxConcurrency,
    MaxErrors: spec.maxErrors,
    ComplianceSeverity: spec.complianceSeverity,
    ApplyOnlyAtCronInterval: false,
  };
}

/** A parameter value in comparable form: JSON maps with sorted keys, so key order is no difference. */
function canonicalValue(value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const map = parsed as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]])));
    }
  } catch {
    // not JSON: compare as text
  }
  return value;
}

function canonicalParameters(parameters: Record<string, string[]> | undefined): string {
  const p = parameters ?? {};
  return JSON.stringify(
    Object.keys(p)
      .filter((k) => (p[k] ?? []).some((v) => v !== ""))
      .sort()
      .map((k) => [k, (p[k] ?? []).map(canonicalValue)]),
  );
}

function canonicalTargets(targets: readonly Target[] | undefined): string {
  return JSON.stringify(
    (targets ?? [])
      .map((t) => [t.Key ?? "", [...(t.Values ?? [])].sort()] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

/** Names of the fields in which the association differs from what we want (empty: nothing to do). */
function associationDifferences(current: AssociationDescription, wanted: Definition): string[] {
  const differences: string[] = [];
  if (current.Name !== wanted.Name) differences.push("Name");
  if (current.DocumentVersion !== undefined && current.DocumentVersion !== "$DEFAULT") differences.push("DocumentVersion");
  if (canonicalParameters(current.Parameters) !== canonicalParameters(wanted.Parameters)) differences.push("Parameters");
  if (canonicalTargets(current.Targets) !== canonicalTargets(wanted.Targets)) differences.push("Targets");
  if (current.ScheduleExpression !== wanted.ScheduleExpression) differences.push("ScheduleExpression");
  if (current.MaxConcurrency !== wanted.MaxConcurrency) differences.push("MaxConcurrency");
  if (current.MaxErrors !== wanted.MaxErrors) differences.push("MaxErrors");
  if ((current.ComplianceSeverity ?? "UNSPECIFIED") !== wanted.ComplianceSeverity) differences.push("ComplianceSeverity");
  if ((current.ApplyOnlyAtCronInterval ?? false) !== wanted.ApplyOnlyAtCronInterval) differences.push("ApplyOnlyAtCronInterval");
  // Member associations write no output to the central bucket; an update drops a stray OutputLocation.
  if (current.OutputLocation?.S3Location !== undefined) differences.push("OutputLocation");
  return differences;
}

/** Ids of the associations whose AssociationName is exactly `name` (ListAssociations, all pages). */
async function findAssociationIds(ssm: SSMClient, name: string, backoff?: BackoffOptions): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await withBackoff(
      () =>
        ssm.send(
          new ListAssociationsCommand({ AssociationFilterList: [{ key: "AssociationName", value: name }], MaxResults: 50, ...(token ? { NextToken: token } : {}) }),
        ),
      backoff,
    );
    for (const association of page.Associations ?? []) {
      // The filter's matching rule is not documented as exact; compare the name ourselves.
      if (association.AssociationName === name && association.AssociationId) ids.push(association.AssociationId);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return ids.sort();
}

/** Creates the association, or updates it when it differs from `spec`; never writes when equal. */
export async function ensureAssociation(ssm: SSMClient, spec: AssociationSpec, deps: { backoff?: BackoffOptions } = {}): Promise<AssociationResult> {
  validate(spec);
  const { backoff } = deps;
  await checkReferencedParameters(ssm, spec, backoff);
  const wanted = definitionOf(spec);
  const ids = await findAssociationIds(ssm, spec.name, backoff);
  if (ids.length > 1) throw new AmbiguousAssociationError(spec.name, ids);

  if (ids.length === 0) {
    const created = await withBackoff(() => ssm.send(new CreateAssociationCommand({ ...wanted })), backoff);
    const description = created.AssociationDescription;
    if (!description?.AssociationId) throw new Error(`CreateAssociation ${spec.name} returned no AssociationId`);
    return { associationId: description.AssociationId, associationVersion: description.AssociationVersion ?? "1", action: "created" };
  }

  const associationId = ids[0]!;
  const current = (await withBackoff(() => ssm.send(new DescribeAssociationCommand({ AssociationId: associationId })), backoff)).AssociationDescription;
  if (current === undefined) throw new Error(`DescribeAssociation ${associationId} returned nothing`);
  if (associationDifferences(current, wanted).length === 0) {
    return {
      associationId,
      associationVersion: current.AssociationVersion ?? "1",
      action: "unchanged",
      ...(current.Overview?.Status ? { lastStatus: current.Overview.Status } : {}),
    };
  }
  const updated = await withBackoff(
    () => ssm.send(new UpdateAssociationCommand({ ...wanted, AssociationId: associationId, AssociationVersion: "$LATEST" })),
    backoff,
  );
  const version = updated.AssociationDescription?.AssociationVersion;
  if (version === undefined) throw new Error(`UpdateAssociation ${associationId} returned no AssociationVersion`);
  return { associationId, associationVersion: version, action: "updated" };
}

/** Runs an association now (StartAssociationsOnce): only to retry an unchanged association that failed. */
export async function startOnce(ssm: SSMClient, associationId: string, deps: { backoff?: BackoffOptions } = {}): Promise<void> {
  await withBackoff(() => ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [associationId] })), deps.backoff);
}

const PENDING_STATUSES: ReadonlySet<string> = new Set(["Pending", "InProgress", "Running", "Waiting", "Queued"]);
const SUCCESS_STATUSES: ReadonlySet<string> = new Set(["Success", "Succeeded"]);

/** Total of a ResourceCountByStatus text such as `{Success=3, Failed=1}`; undefined when unreadable. */
function resourceCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const body = text.trim().replace(/^\{|\}$/g, "").trim();
  if (body === "") return 0;
  let total = 0;
  for (const part of body.split(",")) {
    const match = /^\s*[^=:]+\s*[=:]\s*"?(\d+)"?\s*$/.exec(part);
    if (!match) return undefined;
    total += Number(match[1]);
  }
  return total;
}

function fromExecution(execution: AssociationExecution): AssociationStatusResult {
  const status = execution.Status ?? "Pending";
  const counts = execution.ResourceCountByStatus;
  const detail = `execution ${execution.ExecutionId ?? "?"} of version ${execution.AssociationVersion ?? "?"}: ${status}${execution.DetailedStatus ? ` (${execution.DetailedStatus})` : ""}${counts ? ` ${counts}` : ""}`;
  const base = execution.ExecutionId ? { executionId: execution.ExecutionId } : {};
  if (PENDING_STATUSES.has(status)) return { status: "Pending", detail, ...base };
  if (SUCCESS_STATUSES.has(status)) return { status: "Succeeded", detail, ...base };
  // Assumption (not documented by AWS): an execution that reached no managed node (no targets in this
  // account and Region, ResourceCountByStatus empty) counts as Succeeded: nothing there needs the package.
  if (resourceCount(counts) === 0) return { status: "Succeeded", detail: `${detail}; no targets`, ...base };
  return { status: "Failed", detail, ...base };
}

/**
 * The result of our association version: its latest execution (DescribeAssociationExecutions, newest
 * first, compared by AssociationVersion since the API has no version filter); without one, the
 * association's Overview when it is still at our version; else Pending.
 */
export async function readAssociationStatus(
  ssm: SSMClient,
  associationId: string,
  associationVersion: string,
  deps: { backoff?: BackoffOptions } = {},
): Promise<AssociationStatusResult> {
  const { backoff } = deps;
  let latest: AssociationExecution | undefined;
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await withBackoff(
      () => ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: associationId, MaxResults: 50, ...(token ? { NextToken: token } : {}) })),
      backoff,
    );
    for (const execution of page.AssociationExecutions ?? []) {
      if (execution.AssociationVersion !== associationVersion) continue;
      if (latest === undefined || (execution.CreatedTime?.getTime() ?? 0) > (latest.CreatedTime?.getTime() ?? 0)) latest = execution;
    }
    // Executions come newest first: once one of ours is found, older pages cannot hold a newer one.
    nextToken = latest === undefined ? page.NextToken || undefined : undefined;
  } while (nextToken);
  if (latest !== undefined) return fromExecution(latest);

  const current = (await withBackoff(() => ssm.send(new DescribeAssociationCommand({ AssociationId: associationId })), backoff)).AssociationDescription;
  if (current?.AssociationVersion !== associationVersion) {
    return { status: "Pending", detail: `association is at version ${current?.AssociationVersion ?? "?"}, not ${associationVersion}; ensure it again` };
  }
  const overview = current.Overview?.Status;
  const detail = `no execution of version ${associationVersion} yet; overview ${overview ?? "none"}${current.Overview?.DetailedStatus ? ` (${current.Overview.DetailedStatus})` : ""}`;
  if (overview === "Success") return { status: "Succeeded", detail };
  if (overview === "Failed") return { status: "Failed", detail };
  return { status: "Pending", detail };
}
