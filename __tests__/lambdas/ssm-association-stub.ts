/**
 * Completes a real SSMClient pointed at moto with the SSM APIs moto 5.2 lacks (moto-coverage.md):
 * ListDocumentVersions (answered from moto's own document data) and the State Manager association
 * APIs (an in-memory store per client, i.e. per member account and Region). Every other command goes
 * to moto unchanged. `send` is wrapped, so the code under test is unchanged.
 *
 * The association store enforces what AWS documents, so a test fails where AWS would reject a call:
 * - AssociationName `^[a-zA-Z0-9_\-.]{3,128}$` (CreateAssociation/UpdateAssociation API reference).
 * - Targets: at most 5 entries, each Key 1-163 characters, at most 50 Values (CreateAssociation
 *   Targets "Array Members: Minimum number of 0 items. Maximum number of 5 items."; Target.Values
 *   "Maximum number of 50 items"; Target.Key pattern and length, API reference "Target").
 * - MaxConcurrency `^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`, MaxErrors
 *   `^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$`, each 1-7 characters (CreateAssociation).
 * - ComplianceSeverity one of CRITICAL | HIGH | MEDIUM | LOW | UNSPECIFIED (CreateAssociation).
 * - ScheduleExpression 1-256 characters and a cron or rate expression State Manager accepts, with
 *   rates of at least 30 minutes for associations ("Reference: Cron and rate expressions for Systems
 *   Manager", User Guide; checked with contract scheduleProblem, which encodes that page).
 * - ApplyOnlyAtCronInterval true is refused with a rate expression ("This parameter isn't supported
 *   for rate expressions", CreateAssociation ApplyOnlyAtCronInterval).
 * - Name: only AWS-ConfigureAWSPackage exists here (others: InvalidDocument). Its parameters are the
 *   ones the document declares: action (Install | Uninstall, required), installationType
 *   (Uninstall and reinstall | In-place update), name (required), version, additionalArguments (a
 *   JSON object of strings) ("Install or update Distributor packages", User Guide,
 *   distributor-working-with-packages-deploy.html; additionalArguments as in the Distributor CLI
 *   examples and the seed notes, section E). Unknown or missing required parameters, and values
 *   outside the allowed ones: InvalidParameters (a CreateAssociation error).
 * - AssociationAlreadyExists for a second association with the same AssociationName (a CreateAssociation
 *   error; the controller owns one association per name, so the stub holds names unique).
 * - AssociationDoesNotExist for an unknown AssociationId (Describe/Update/StartAssociationsOnce/
 *   DescribeAssociationExecutions errors); AssociationVersionMismatch when UpdateAssociation names a
 *   version other than $LATEST or the current one (UpdateAssociation errors).
 * - Each UpdateAssociation creates the next association version and nulls every optional field it
 *   omits ("the system removes all optional parameters from the request and overwrites the association
 *   with null values for those parameters", UpdateAssociation API reference).
 * - Create and update run the association at once unless ApplyOnlyAtCronInterval (both API
 *   references): an execution of the new version starts Pending; tests finish it with finishExecution.
 *
 * Resource data syncs (moto 5.2 has no resource data sync API; an in-memory store per client):
 * - SyncName required, `^[a-zA-Z0-9_\-.]{1,64}$` (CreateResourceDataSync API reference, SyncName).
 * - SyncType, when given, SyncToDestination or SyncFromSource; without it the sync is SyncToDestination
 *   (the inventory sync to S3). SyncToDestination requires S3Destination, else
 *   ResourceDataSyncInvalidConfigurationException (CreateResourceDataSync Errors).
 * - S3Destination: BucketName (1-2048), Region (1-64) and SyncFormat (JsonSerDe, the only value) are
 *   required; Prefix 1-256 and AWSKMSKeyARN 1-512 starting `arn:` when given (ResourceDataSyncS3Destination
 *   API reference). Missing or invalid: ValidationException.
 * - S3Destination.DestinationDataSharing, when given: DestinationDataSharingType 1-64 characters
 *   (ValidationException), and "Organization", the only supported value (ResourceDataSyncDestinationDataSharing
 *   API reference); another value: ResourceDataSyncInvalidConfigurationException (the error AWS returns for
 *   it is not documented; this is the CreateResourceDataSync error for an invalid configuration).
 * - One organization-based sync per account and Region ("You can only have one organization-based resource
 *   data sync", User Guide, "Creating an inventory resource data sync for accounts defined in AWS
 *   Organizations"): a second one, under another name, is ResourceDataSyncInvalidConfigurationException.
 * - A new sync has LastStatus InProgress and no LastSyncTime; tests set what the service reports later
 *   (Successful | Failed | InProgress, LastSyncStatusMessage: ResourceDataSyncItem API reference) with syncStatus.
 * - A second sync of the same name: ResourceDataSyncAlreadyExistsException (CreateResourceDataSync Errors).
 * - DeleteResourceDataSync of an unknown name: ResourceDataSyncNotFoundException (DeleteResourceDataSync Errors).
 * - ListResourceDataSync filters by SyncType (SyncToDestination when omitted), MaxResults 1-50, paged.
 *
 * Commands: moto 5.2 implements SendCommand and ListCommands, but every command is Success at once and
 * no document, parameter or target is checked, so the stub answers both (per client) instead:
 * - DocumentName: only AWS-RunPatchBaseline exists here (others: InvalidDocument). Its parameters
 *   (AWS Systems Manager User Guide, "SSM Command document for patching: AWS-RunPatchBaseline"):
 *   Operation (Scan | Install, required), RebootOption (RebootIfNeeded | NoReboot), SnapshotId,
 *   InstallOverrideList, BaselineOverride; anything else or a value outside these: InvalidParameters.
 * - Targets or InstanceIds, not both, not neither; Targets at most 5 entries, each with at most 50 Values;
 *   MaxConcurrency / MaxErrors as for associations, 1-7 characters; Comment at most 100 characters
 *   (SendCommand API reference).
 * - A command starts Pending; tests end it with finishCommand (and its node invocations). ListCommands
 *   and ListCommandInvocations by CommandId; an unknown id: InvalidCommandId (both APIs' Errors).
 *
 * Documents: UpdateDocument on a Package document that already holds 25 versions fails with
 * DocumentVersionLimitExceeded ("Each package is held to a maximum of 25 versions", User Guide,
 * distributor-working-with-packages-version.html; the error is in the UpdateDocument API reference, Errors).
 *
 * Lists come newest first (executions, document versions) and in pages of `pageSize`, so callers must
 * paginate and sort. ListAssociations' AssociationName filter matches by prefix here: AWS does not
 * document the matching rule, so callers must compare names themselves.
 */
import { randomUUID } from "node:crypto";
import {
  DescribeDocumentCommand,
  type AssociationDescription,
  type Command as SsmCommand,
  type ResourceDataSyncItem,
  type AssociationExecution,
  type DocumentDescription,
  type DocumentVersionInfo,
  type SSMClient,
  type Target,
} from "@aws-sdk/client-ssm";
import { scheduleProblem } from "../../contract";
import { awsError, type SentCommand } from "./stub";

export const CONFIGURE_PACKAGE = "AWS-ConfigureAWSPackage";
const ASSOCIATION_NAME = /^[a-zA-Z0-9_\-.]{3,128}$/;
const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const TARGET_KEY = /^([\p{L}\p{Z}\p{N}_.:/=\-@]*|resource-groups:ResourceTypeFilters|resource-groups:Name)$/u;
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"];
/** AWS-ConfigureAWSPackage's parameters: allowed values (undefined: free text) and whether required. */
const PACKAGE_PARAMETERS: Record<string, { allowed?: readonly string[]; required: boolean; map?: boolean }> = {
  action: { allowed: ["Install", "Uninstall"], required: true },
  installationType: { allowed: ["Uninstall and reinstall", "In-place update"], required: false },
  name: { required: true },
  version: { required: false },
  additionalArguments: { required: false, map: true },
};

export interface StubExecution {
  ExecutionId: string;
  AssociationId: string;
  AssociationVersion: string;
  Status: string;
  DetailedStatus: string;
  CreatedTime: Date;
  ResourceCountByStatus?: string;
}

export interface StubAssociation {
  description: AssociationDescription;
  executions: StubExecution[];
}

export interface SsmStub {
  /** Every command sent through the client, in order (intercepted or passed to moto). */
  readonly sent: SentCommand[];
  readonly associations: Map<string, StubAssociation>;
  /** The next `times` calls of `command` fail with `errorName` before reaching anything. */
  /** The next `times` calls of `command` throw `errorName` (with `message`, e.g. IAM's "User: ... is not authorized"). */
  fail(command: string, errorName: string, times?: number, message?: string): void;
  /** The next `times` calls of `command` are throttled (ThrottlingException). */
  throttle(command: string, times: number): void;
  /** Replaces Status (and StatusInformation) in the next DescribeDocument answers that name a DocumentVersion. */
  documentStatuses(statuses: readonly string[], statusInformation?: string): void;
  /** Ends the newest execution of the association with `status`. */
  finishExecution(associationId: string, status: string, resourceCountByStatus?: string): void;
  /** Resource data syncs by SyncName. */
  readonly syncs: Map<string, ResourceDataSyncItem>;
  /**
   * Sets what ListResourceDataSync reports of a sync's last run: LastStatus (undefined: no run yet),
   * LastSyncStatusMessage, LastSyncTime and, for Successful, LastSuccessfulSyncTime.
   */
  syncStatus(syncName: string, status: "Successful" | "Failed" | "InProgress" | undefined, message?: string): void;
  /** SendCommand commands by CommandId. */
  readonly commands: Map<string, SsmCommand>;
  /** Ends a command with `status` (Success, Failed, TimedOut, Cancelled); `nodes` are its invocations. */
  finishCommand(commandId: string, status: string, nodes?: readonly { InstanceId: string; Status: string }[]): void;
  /** Commands of one name sent so far. */
  named(command: string): SentCommand[];
}

type Input = Record<string, unknown>;
type Command = { constructor: { name: string }; input: Input };

function validation(message: string): Error {
  return awsError("ValidationException", message);
}

function checkDefinition(d: AssociationDescription): void {
  if (d.Name !== CONFIGURE_PACKAGE) throw awsError("InvalidDocument", `Document ${d.Name} does not exist (stub knows ${CONFIGURE_PACKAGE} only)`);
  if (d.AssociationName !== undefined && !ASSOCIATION_NAME.test(d.AssociationName)) {
    throw validation(`AssociationName ${d.AssociationName} must match ${ASSOCIATION_NAME.source}`);
  }
  if (d.DocumentVersion !== undefined && !/^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/.test(d.DocumentVersion)) {
    throw validation(`DocumentVersion ${d.DocumentVersion} is not valid`);
  }
  const targets = d.Targets ?? [];
  if (targets.length === 0) throw validation("Targets (or InstanceId) is required; the stub supports Targets only");
  if (targets.length > 5) throw validation(`Targets has ${targets.length} entries; at most 5 are allowed`);
  for (const t of targets) {
    if (!t.Key || t.Key.length > 163 || !TARGET_KEY.test(t.Key)) throw validation(`Target Key ${t.Key} is not valid`);
    if ((t.Values ?? []).length > 50) throw validation(`Target ${t.Key} has ${(t.Values ?? []).length} values; at most 50 are allowed`);
  }
  const parameters = d.Parameters ?? {};
  for (const [key, values] of Object.entries(parameters)) {
    const declared = PACKAGE_PARAMETERS[key];
    if (!declared) throw awsError("InvalidParameters", `Parameter ${key} is not declared by ${CONFIGURE_PACKAGE}`);
    if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== "string") {
      throw awsError("InvalidParameters", `Parameter ${key} takes exactly one string value`);
    }
    const value = values[0];
    if (declared.allowed && !declared.allowed.includes(value)) throw awsError("InvalidParameters", `Parameter ${key} = ${value}; allowed: ${declared.allowed.join(", ")}`);
    if (declared.map) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw awsError("InvalidParameters", `Parameter ${key} must be a JSON object`);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) {
        throw awsError("InvalidParameters", `Parameter ${key} must be a JSON object of strings`);
      }
    }
  }
  for (const [key, declared] of Object.entries(PACKAGE_PARAMETERS)) {
    if (declared.required && !(parameters[key]?.[0] ?? "")) throw awsError("InvalidParameters", `Parameter ${key} is required`);
  }
  if (d.ScheduleExpression !== undefined) {
    const problem = d.ScheduleExpression.length > 256 ? "at most 256 characters" : scheduleProblem(d.ScheduleExpression);
    if (problem) throw validation(`ScheduleExpression ${d.ScheduleExpression}: expected ${problem}`);
    if (d.ApplyOnlyAtCronInterval && d.ScheduleExpression.startsWith("rate(")) throw validation("ApplyOnlyAtCronInterval isn't supported for rate expressions");
  }
  if (d.MaxConcurrency !== undefined && (d.MaxConcurrency.length > 7 || !MAX_CONCURRENCY.test(d.MaxConcurrency))) throw validation(`MaxConcurrency ${d.MaxConcurrency} must match ${MAX_CONCURRENCY.source}`);
  if (d.MaxErrors !== undefined && (d.MaxErrors.length > 7 || !MAX_ERRORS.test(d.MaxErrors))) throw validation(`MaxErrors ${d.MaxErrors} must match ${MAX_ERRORS.source}`);
  if (d.ComplianceSeverity !== undefined && !SEVERITIES.includes(d.ComplianceSeverity)) throw validation(`ComplianceSeverity ${d.ComplianceSeverity} is not valid`);
}

/** The definition fields of a Create/UpdateAssociation input; omitted optional fields stay undefined. */
function definitionFrom(input: Input): Partial<AssociationDescription> {
  const copy = structuredClone(input) as Partial<AssociationDescription> & Input;
  return {
    Name: copy.Name,
    AssociationName: copy.AssociationName,
    DocumentVersion: copy.DocumentVersion,
    Parameters: copy.Parameters,
    Targets: copy.Targets as Target[] | undefined,
    ScheduleExpression: copy.ScheduleExpression,
    OutputLocation: copy.OutputLocation,
    MaxConcurrency: copy.MaxConcurrency,
    MaxErrors: copy.MaxErrors,
    ComplianceSeverity: copy.ComplianceSeverity,
    ApplyOnlyAtCronInterval: copy.ApplyOnlyAtCronInterval,
  };
}

function page<T>(items: readonly T[], input: Input, pageSize: number): { items: T[]; NextToken?: string } {
  const max = input.MaxResults === undefined ? pageSize : Math.min(pageSize, Number(input.MaxResults));
  if (!Number.isInteger(max) || max < 1) throw validation(`MaxResults ${String(input.MaxResults)} is not valid`);
  const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw awsError("InvalidNextToken", "The specified token isn't valid.");
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, NextToken: String(start + max) } : { items: slice };
}

export interface SsmStubOptions {
  /** Items per page of every list the stub answers (AWS may return fewer than MaxResults). @default 4 */
  readonly pageSize?: number;
}

export function installSsmStub(client: SSMClient, options: SsmStubOptions = {}): SsmStub {
  const pageSize = options.pageSize ?? 4;
  const target = client as unknown as { send: (command: Command) => Promise<unknown> };
  const original = target.send.bind(client) as (command: unknown) => Promise<unknown>;
  const sent: SentCommand[] = [];
  const associations = new Map<string, StubAssociation>();
  const failures: { command: string; errorName: string; left: number; message?: string }[] = [];
  let statusOverrides: string[] = [];
  let statusInformation: string | undefined;
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const tick = (): Date => new Date((clock += 1000));

  const get = (id: unknown): StubAssociation => {
    const found = typeof id === "string" ? associations.get(id) : undefined;
    if (!found) throw awsError("AssociationDoesNotExist", `The specified association ${String(id)} does not exist.`);
    return found;
  };
  const nameTaken = (name: string | undefined, except?: string): boolean =>
    name !== undefined && [...associations.values()].some((a) => a.description.AssociationName === name && a.description.AssociationId !== except);
  const run = (a: StubAssociation): void => {
    const d = a.description;
    a.executions.unshift({
      ExecutionId: randomUUID(),
      AssociationId: d.AssociationId!,
      AssociationVersion: d.AssociationVersion!,
      Status: "Pending",
      DetailedStatus: "Pending",
      CreatedTime: tick(),
    });
    d.Overview = { Status: "Pending", DetailedStatus: "Creating" };
  };

  async function listDocumentVersions(input: Input): Promise<unknown> {
    const name = input.Name as string;
    const head = (await original(new DescribeDocumentCommand({ Name: name }))) as { Document: DocumentDescription };
    const latest = Number(head.Document.LatestVersion);
    const versions: DocumentVersionInfo[] = [];
    for (let n = latest; n >= 1; n--) {
      try {
        const { Document: d } = (await original(new DescribeDocumentCommand({ Name: name, DocumentVersion: String(n) }))) as { Document: DocumentDescription };
        versions.push({
          Name: d.Name,
          DocumentVersion: d.DocumentVersion,
          VersionName: d.VersionName,
          CreatedDate: d.CreatedDate,
          IsDefaultVersion: d.DocumentVersion === head.Document.DefaultVersion,
          DocumentFormat: d.DocumentFormat,
          Status: d.Status,
        });
      } catch (error) {
        if ((error as Error).name !== "InvalidDocument") throw error; // a deleted version leaves a gap
      }
    }
    const { items, NextToken } = page(versions, input, pageSize);
    return { DocumentVersions: items, ...(NextToken ? { NextToken } : {}) };
  }

  /** Refuses UpdateDocument on a Package document at Distributor's 25 versions (see the header). */
  async function refuseBeyondVersionLimit(input: Input): Promise<void> {
    const name = input.Name as string;
    const head = ((await original(new DescribeDocumentCommand({ Name: name }))) as { Document: DocumentDescription }).Document;
    if (head.DocumentType !== "Package") return;
    let held = 0;
    for (let n = Number(head.LatestVersion); n >= 1; n--) {
      try {
        await original(new DescribeDocumentCommand({ Name: name, DocumentVersion: String(n) }));
        held++;
      } catch (error) {
        if ((error as Error).name !== "InvalidDocument") throw error;
      }
    }
    if (held >= 25) throw awsError("DocumentVersionLimitExceeded", "The document has too many versions. Delete one or more document versions and try again.");
  }

  const syncs = new Map<string, ResourceDataSyncItem>();
  const commands = new Map<string, SsmCommand>();
  const invocations = new Map<string, { InstanceId: string; Status: string }[]>();
  const SYNC_NAME = /^[a-zA-Z0-9_\-.]{1,64}$/;
  const SYNC_TYPES = ["SyncToDestination", "SyncFromSource"];
  const PATCH_PARAMETERS: Record<string, readonly string[] | undefined> = {
    Operation: ["Scan", "Install"],
    RebootOption: ["RebootIfNeeded", "NoReboot"],
    SnapshotId: undefined,
    InstallOverrideList: undefined,
    BaselineOverride: undefined,
  };
  const text = (value: unknown, min: number, max: number): boolean => typeof value === "string" && value.length >= min && value.length <= max;

  const handlers: Record<string, (input: Input) => unknown> = {
    CreateResourceDataSync(input) {
      const name = input.SyncName;
      if (typeof name !== "string" || !SYNC_NAME.test(name)) throw validation(`SyncName ${String(name)} must match ${SYNC_NAME.source}`);
      const type = (input.SyncType as string | undefined) ?? "SyncToDestination";
      if (!SYNC_TYPES.includes(type)) throw validation(`SyncType ${type} is not valid`);
      const destination = input.S3Destination as Record<string, unknown> | undefined;
      if (type === "SyncToDestination") {
        if (destination === undefined) throw awsError("ResourceDataSyncInvalidConfigurationException", "S3Destination is required for SyncToDestination");
        if (!text(destination.BucketName, 1, 2048)) throw validation("S3Destination.BucketName is required (1-2048 characters)");
        if (!text(destination.Region, 1, 64)) throw validation("S3Destination.Region is required (1-64 characters)");
        if (destination.SyncFormat !== "JsonSerDe") throw validation(`S3Destination.SyncFormat ${String(destination.SyncFormat)}: JsonSerDe is the only value`);
        if (destination.Prefix !== undefined && !text(destination.Prefix, 1, 256)) throw validation("S3Destination.Prefix: 1-256 characters");
        if (destination.AWSKMSKeyARN !== undefined && !(text(destination.AWSKMSKeyARN, 1, 512) && String(destination.AWSKMSKeyARN).startsWith("arn:"))) {
          throw validation("S3Destination.AWSKMSKeyARN: an ARN of 1-512 characters");
        }
        const sharing = destination.DestinationDataSharing as Record<string, unknown> | undefined;
        if (sharing !== undefined && sharing.DestinationDataSharingType !== undefined) {
          const sharingType = sharing.DestinationDataSharingType;
          if (!text(sharingType, 1, 64)) throw validation("S3Destination.DestinationDataSharing.DestinationDataSharingType: 1-64 characters");
          if (sharingType !== "Organization") throw awsError("ResourceDataSyncInvalidConfigurationException", `DestinationDataSharingType ${String(sharingType)}: only Organization is supported`);
          const other = [...syncs.values()].find((s) => s.SyncName !== name && s.S3Destination?.DestinationDataSharing?.DestinationDataSharingType === "Organization");
          if (other) throw awsError("ResourceDataSyncInvalidConfigurationException", `Only one organization-based resource data sync is allowed; ${other.SyncName} exists`);
        }
      }
      if (syncs.has(name)) throw Object.assign(awsError("ResourceDataSyncAlreadyExistsException", `Sync ${name} already exists.`), { SyncName: name });
      syncs.set(name, {
        SyncName: name,
        SyncType: type,
        ...(destination ? { S3Destination: structuredClone(destination) as unknown as ResourceDataSyncItem["S3Destination"] } : {}),
        SyncCreatedTime: tick(),
        LastStatus: "InProgress",
      });
      return {};
    },
    DeleteResourceDataSync(input) {
      const name = input.SyncName as string;
      if (!syncs.has(name)) throw awsError("ResourceDataSyncNotFoundException", `Sync ${name} does not exist.`);
      syncs.delete(name);
      return {};
    },
    ListResourceDataSync(input) {
      const type = (input.SyncType as string | undefined) ?? "SyncToDestination";
      if (input.MaxResults !== undefined && (Number(input.MaxResults) < 1 || Number(input.MaxResults) > 50)) throw validation("MaxResults: 1-50");
      const matching = [...syncs.values()].filter((s) => s.SyncType === type).sort((a, b) => (a.SyncName! < b.SyncName! ? -1 : 1));
      const { items, NextToken } = page(matching, input, pageSize);
      return { ResourceDataSyncItems: items.map((i) => structuredClone(i)), ...(NextToken ? { NextToken } : {}) };
    },
    SendCommand(input) {
      if (input.DocumentName !== "AWS-RunPatchBaseline") throw awsError("InvalidDocument", `Document ${String(input.DocumentName)} does not exist (stub knows AWS-RunPatchBaseline only)`);
      const targets = (input.Targets as Target[] | undefined) ?? [];
      const instanceIds = (input.InstanceIds as string[] | undefined) ?? [];
      if ((targets.length === 0) === (instanceIds.length === 0)) throw validation("exactly one of Targets and InstanceIds is required");
      if (targets.length > 5) throw validation(`Targets has ${targets.length} entries; at most 5 are allowed`);
      for (const t of targets) {
        if (!t.Key || t.Key.length > 163 || !TARGET_KEY.test(t.Key)) throw validation(`Target Key ${t.Key} is not valid`);
        if ((t.Values ?? []).length < 1 || (t.Values ?? []).length > 50) throw validation(`Target ${t.Key} needs 1-50 values`);
      }
      const parameters = (input.Parameters as Record<string, string[]> | undefined) ?? {};
      for (const [key, values] of Object.entries(parameters)) {
        if (!(key in PATCH_PARAMETERS)) throw awsError("InvalidParameters", `Parameter ${key} is not declared by AWS-RunPatchBaseline`);
        const allowed = PATCH_PARAMETERS[key];
        if (allowed && !(values.length === 1 && allowed.includes(values[0]!))) throw awsError("InvalidParameters", `Parameter ${key} = ${values.join(",")}; allowed: ${allowed.join(", ")}`);
      }
      if (!parameters.Operation) throw awsError("InvalidParameters", "Parameter Operation is required");
      for (const [field, pattern] of [["MaxConcurrency", MAX_CONCURRENCY], ["MaxErrors", MAX_ERRORS]] as const) {
        const value = input[field];
        if (value !== undefined && (typeof value !== "string" || value.length > 7 || !pattern.test(value))) throw validation(`${field} ${String(value)} must match ${pattern.source}`);
      }
      if (input.Comment !== undefined && !text(input.Comment, 0, 100)) throw validation("Comment: at most 100 characters");
      const command: SsmCommand = {
        CommandId: randomUUID(),
        DocumentName: input.DocumentName as string,
        Parameters: structuredClone(parameters),
        Targets: structuredClone(targets),
        InstanceIds: [...instanceIds],
        MaxConcurrency: input.MaxConcurrency as string | undefined,
        MaxErrors: input.MaxErrors as string | undefined,
        Comment: input.Comment as string | undefined,
        RequestedDateTime: tick(),
        Status: "Pending",
        StatusDetails: "Pending",
        TargetCount: 0,
        CompletedCount: 0,
        ErrorCount: 0,
      };
      commands.set(command.CommandId!, command);
      return { Command: structuredClone(command) };
    },
    ListCommandInvocations(input) {
      const id = input.CommandId as string | undefined;
      if (id !== undefined && !commands.has(id)) throw awsError("InvalidCommandId", "Invalid command id.");
      const all = [...invocations.entries()].filter(([cid]) => id === undefined || cid === id).flatMap(([cid, list]) => list.map((i) => ({ CommandId: cid, ...i })));
      const { items, NextToken } = page(all, input, pageSize);
      return { CommandInvocations: items, ...(NextToken ? { NextToken } : {}) };
    },
    ListCommands(input) {
      if (input.CommandId !== undefined) {
        const command = commands.get(input.CommandId as string);
        if (!command) throw awsError("InvalidCommandId", "Invalid command id.");
        return { Commands: [structuredClone(command)] };
      }
      const { items, NextToken } = page([...commands.values()].reverse(), input, pageSize);
      return { Commands: items.map((c) => structuredClone(c)), ...(NextToken ? { NextToken } : {}) };
    },
    ListDocumentVersions: listDocumentVersions,
    CreateAssociation(input) {
      const definition = definitionFrom(input);
      checkDefinition(definition);
      if (nameTaken(definition.AssociationName)) throw awsError("AssociationAlreadyExists", `The specified association already exists: ${definition.AssociationName}`);
      const now = tick();
      const association: StubAssociation = {
        description: { ...definition, AssociationId: randomUUID(), AssociationVersion: "1", Date: now, LastUpdateAssociationDate: now },
        executions: [],
      };
      associations.set(association.description.AssociationId!, association);
      if (!definition.ApplyOnlyAtCronInterval) run(association);
      return { AssociationDescription: structuredClone(association.description) };
    },
    UpdateAssociation(input) {
      const association = get(input.AssociationId);
      const current = association.description;
      const version = input.AssociationVersion as string | undefined;
      if (version !== undefined && version !== "$LATEST" && version !== current.AssociationVersion) {
        throw awsError("AssociationVersionMismatch", `The version ${version} doesn't match the one on record (${current.AssociationVersion}).`);
      }
      const definition = definitionFrom(input);
      const next: AssociationDescription = {
        ...definition,
        Name: definition.Name ?? current.Name,
        AssociationId: current.AssociationId,
        AssociationVersion: String(Number(current.AssociationVersion) + 1),
        Date: current.Date,
        LastUpdateAssociationDate: tick(),
      };
      checkDefinition(next);
      if (nameTaken(next.AssociationName, current.AssociationId)) throw awsError("AssociationAlreadyExists", `The specified association already exists: ${next.AssociationName}`);
      association.description = next;
      if (!next.ApplyOnlyAtCronInterval) run(association);
      return { AssociationDescription: structuredClone(next) };
    },
    DescribeAssociation(input) {
      return { AssociationDescription: structuredClone(get(input.AssociationId).description) };
    },
    ListAssociations(input) {
      const filters = (input.AssociationFilterList as { key: string; value: string }[] | undefined) ?? [];
      const matching = [...associations.values()]
        .map((a) => a.description)
        .filter((d) =>
          filters.every((f) => {
            if (f.key === "AssociationName") return (d.AssociationName ?? "").startsWith(f.value);
            if (f.key === "Name") return d.Name === f.value;
            if (f.key === "AssociationId") return d.AssociationId === f.value;
            throw validation(`filter key ${f.key} is not supported by the stub`);
          }),
        )
        .sort((a, b) => (a.AssociationId! < b.AssociationId! ? -1 : 1));
      const { items, NextToken } = page(matching, input, pageSize);
      return {
        Associations: items.map((d) => ({
          Name: d.Name,
          AssociationId: d.AssociationId,
          AssociationVersion: d.AssociationVersion,
          AssociationName: d.AssociationName,
          Targets: structuredClone(d.Targets),
          ScheduleExpression: d.ScheduleExpression,
          Overview: structuredClone(d.Overview),
        })),
        ...(NextToken ? { NextToken } : {}),
      };
    },
    StartAssociationsOnce(input) {
      const ids = input.AssociationIds as string[] | undefined;
      if (!ids || ids.length < 1 || ids.length > 10) throw validation("AssociationIds takes 1 to 10 ids");
      const found = ids.map(get);
      found.forEach(run);
      return {};
    },
    DescribeAssociationExecutions(input) {
      const association = get(input.AssociationId);
      const { items, NextToken } = page(association.executions, input, pageSize);
      return { AssociationExecutions: items.map((e) => structuredClone(e) as AssociationExecution), ...(NextToken ? { NextToken } : {}) };
    },
  };

  target.send = async (command: Command) => {
    const name = command.constructor.name.replace(/Command$/, "");
    sent.push({ name, input: structuredClone(command.input) });
    const failure = failures.find((f) => f.command === name && f.left > 0);
    if (failure) {
      failure.left--;
      throw awsError(failure.errorName, failure.message ?? `${failure.errorName} (injected by the test)`);
    }
    if (name === "UpdateDocument") await refuseBeyondVersionLimit(command.input);
    const handler = handlers[name];
    if (handler) return handler(command.input);
    const response = await original(command);
    if (name === "DescribeDocument" && command.input.DocumentVersion !== undefined && statusOverrides.length > 0) {
      const status = statusOverrides.shift()!;
      const document = (response as { Document: DocumentDescription }).Document;
      document.Status = status as DocumentDescription["Status"];
      if (statusInformation !== undefined && status === "Failed") document.StatusInformation = statusInformation;
    }
    return response;
  };

  return {
    sent,
    associations,
    syncs,
    commands,
    syncStatus(syncName, status, message) {
      const item = syncs.get(syncName);
      if (!item) throw new Error(`no resource data sync ${syncName}`);
      const at = tick();
      if (status === undefined) {
        delete item.LastStatus;
        delete item.LastSyncTime;
      } else {
        item.LastStatus = status;
        item.LastSyncTime = at;
        if (status === "Successful") item.LastSuccessfulSyncTime = at;
      }
      if (message === undefined) delete item.LastSyncStatusMessage;
      else item.LastSyncStatusMessage = message;
    },
    finishCommand(commandId, status, nodes = [{ InstanceId: "i-0123456789abcdef0", Status: status }]) {
      const command = commands.get(commandId);
      if (!command) throw new Error(`no command ${commandId}`);
      command.Status = status as SsmCommand["Status"];
      command.StatusDetails = status;
      command.TargetCount = nodes.length;
      command.CompletedCount = nodes.length;
      command.ErrorCount = nodes.filter((n) => n.Status !== "Success").length;
      invocations.set(commandId, nodes.map((n) => ({ ...n })));
    },
    fail(command, errorName, times = 1, message) {
      failures.push({ command, errorName, left: times, ...(message !== undefined ? { message } : {}) });
    },
    throttle(command, times) {
      failures.push({ command, errorName: "ThrottlingException", left: times });
    },
    documentStatuses(statuses, info) {
      statusOverrides = [...statuses];
      statusInformation = info;
    },
    finishExecution(associationId, status, resourceCountByStatus = status === "Success" ? "{Success=1}" : `{${status}=1}`) {
      const association = get(associationId);
      const execution = association.executions[0];
      if (!execution) throw new Error(`association ${associationId} has no execution to finish`);
      execution.Status = status;
      execution.DetailedStatus = status;
      execution.ResourceCountByStatus = resourceCountByStatus;
      association.description.Overview = { Status: status === "Success" ? "Success" : "Failed", DetailedStatus: status };
    },
    named(command) {
      return sent.filter((s) => s.name === command);
    },
  };
}
