/**
 * start-rollout: starts the multi-account Automation runbook once per (group of <= 50 accounts x
 * target Region) from the home Region, and records each execution id (or start error) in the run
 * state in S3 for collect-results. A rerun with the same runId starts only what has not started yet.
 *
 * AWS API actions: ssm:StartAutomationExecution (on the runbook's automation-definition), iam:PassRole
 * on the administration role passed as `parameters.AutomationAssumeRole`, s3:GetObject and
 * s3:PutObject on `<summaryPrefix>/<runId>/state.json`.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient, StartAutomationExecutionCommand, type Target } from "@aws-sdk/client-ssm";
import { clientConfig, defaultRegion, describeError, perRegion, s3ClientConfig } from "../shared/clients";
import { withBackoff, type BackoffOptions } from "../shared/retry";
import { STATE_FILE, type ExecutionRecord, type RunState } from "../shared/run-state";
import { getJson, putJson } from "../shared/s3-json";
import {
  ACCOUNT_ID,
  BUCKET_NAME,
  DOCUMENT_NAME,
  InputError,
  MAX_CONCURRENCY,
  MAX_ERRORS,
  REGION,
  ROLE_NAME,
  RUN_ID,
  asEvent,
  checkString,
  isAbsent,
  checkStringArray,
  optionalString,
  requireKeyPrefix,
  requireString,
  requireStringArray,
  runObjectKey,
  type EventObject,
} from "../shared/validate";

/** Target.Key as SSM documents it. */
const TARGET_KEY = /^([\p{L}\p{Z}\p{N}_.:/=\-@]{1,163}|resource-groups:ResourceTypeFilters|resource-groups:Name)$/u;

export interface StartRolloutEvent {
  runId: string;
  /** Automation runbook name (or ARN) started in the home Region. */
  runbookName: string;
  /** Runbook parameters, passed through unchanged. */
  parameters: Record<string, string[]>;
  /** With `targets`: rate-controlled targets inside each account-Region (omitted, null, "" or [] = none). */
  targetParameterName?: string;
  targets?: Target[];
  /** Account groups from expand-targets, each of 1-50 accounts. */
  groups: string[][];
  regions: string[];
  executionRoleName: string;
  maxConcurrency: string;
  maxErrors: string;
  bucket: string;
  summaryPrefix: string;
  /** Region whose SSM API starts (and later reports) the parent executions. @default AWS_REGION */
  homeRegion?: string;
}

export interface StartRolloutResult {
  runId: string;
  /** Executions running for this run (including ones started by an earlier invocation). */
  executions: number;
  startErrors: number;
}

export interface StartRolloutDeps {
  ssm: SSMClient;
  s3: S3Client;
  backoff?: BackoffOptions;
}

function parseParameters(event: EventObject): Record<string, string[]> {
  const value = asEvent(isAbsent(event.parameters) ? {} : event.parameters, "parameters");
  const parameters: Record<string, string[]> = {};
  for (const name of Object.keys(value).sort()) {
    parameters[name] = checkStringArray(value[name], `parameters.${name}`).slice();
  }
  return parameters;
}

function parseTargets(event: EventObject): Target[] | undefined {
  const value = event.targets;
  if (isAbsent(value) || (Array.isArray(value) && value.length === 0)) return undefined;
  if (!Array.isArray(value) || value.length < 1 || value.length > 5) {
    throw new InputError("targets", value, "an array of 1 to 5 {Key, Values} objects");
  }
  return value.map((target, index) => {
    const item = asEvent(target, `targets[${index}]`);
    return {
      Key: checkString(item.Key, `targets[${index}].Key`, TARGET_KEY, "a target key such as tag:<name>, InstanceIds or ParameterValues"),
      Values: checkStringArray(item.Values, `targets[${index}].Values`, { minItems: 1, maxItems: 50 }),
    };
  });
}

function parseGroups(event: EventObject): string[][] {
  const value = event.groups;
  if (!Array.isArray(value)) throw new InputError("groups", value, "an array of account-id arrays");
  return value.map((group, index) =>
    checkStringArray(group, `groups[${index}]`, { pattern: ACCOUNT_ID, allowed: "12-digit account ids", minItems: 1, maxItems: 50 }),
  );
}

export function parseStartRolloutEvent(raw: unknown): Required<Omit<StartRolloutEvent, "targetParameterName" | "targets">> &
  Pick<StartRolloutEvent, "targetParameterName" | "targets"> {
  const event = asEvent(raw);
  const targetParameterName = optionalString(event, "targetParameterName", /^[A-Za-z0-9_]{1,50}$/, "a runbook parameter name");
  const targets = parseTargets(event);
  if ((targetParameterName === undefined) !== (targets === undefined)) {
    throw new InputError(targets === undefined ? "targets" : "targetParameterName", undefined, "targets and targetParameterName together");
  }
  return {
    runId: requireString(event, "runId", RUN_ID, "1-128 characters [A-Za-z0-9._-]"),
    runbookName: requireString(event, "runbookName", DOCUMENT_NAME, "a runbook name or document ARN"),
    parameters: parseParameters(event),
    targetParameterName,
    targets,
    groups: parseGroups(event),
    regions: requireStringArray(event, "regions", { pattern: REGION, allowed: "Region names", minItems: 1, maxItems: 50 }),
    executionRoleName: requireString(event, "executionRoleName", ROLE_NAME, "an IAM role name (1-64 characters)"),
    maxConcurrency: requireString(event, "maxConcurrency", MAX_CONCURRENCY, `TargetLocationMaxConcurrency (${MAX_CONCURRENCY.source})`),
    maxErrors: requireString(event, "maxErrors", MAX_ERRORS, `TargetLocationMaxErrors (${MAX_ERRORS.source})`),
    bucket: requireString(event, "bucket", BUCKET_NAME, "an S3 bucket name"),
    summaryPrefix: requireKeyPrefix(event, "summaryPrefix"),
    homeRegion: optionalString(event, "homeRegion", REGION, "a Region name") ?? defaultRegion(),
  };
}

const recordKey = (region: string, accounts: readonly string[]): string => `${region}|${accounts.join(",")}`;

export async function startRollout(raw: unknown, deps: StartRolloutDeps): Promise<StartRolloutResult> {
  const event = parseStartRolloutEvent(raw);
  const stateKey = runObjectKey(event.summaryPrefix, event.runId, STATE_FILE);

  // Executions an earlier invocation of this run already started are kept, not started twice.
  const previous = await getJson<RunState>(deps.s3, event.bucket, stateKey, deps.backoff);
  const started = new Map<string, string>();
  for (const record of previous?.executions ?? []) {
    if (record.executionId) started.set(recordKey(record.region, record.accounts), record.executionId);
  }

  const records: ExecutionRecord[] = [];
  const state: RunState = { runId: event.runId, runbookName: event.runbookName, homeRegion: event.homeRegion, executions: records };
  try {
    for (const [group, accounts] of event.groups.entries()) {
      for (const region of event.regions) {
        const record: ExecutionRecord = { group, region, accounts };
        records.push(record);
        const existing = started.get(recordKey(region, accounts));
        if (existing) {
          record.executionId = existing;
          continue;
        }
        try {
          const response = await withBackoff(
            () =>
              deps.ssm.send(
                new StartAutomationExecutionCommand({
                  DocumentName: event.runbookName,
                  Parameters: event.parameters,
                  TargetParameterName: event.targetParameterName,
                  Targets: event.targets,
                  TargetLocations: [
                    {
                      Accounts: accounts,
                      Regions: [region],
                      ExecutionRoleName: event.executionRoleName,
                      TargetLocationMaxConcurrency: event.maxConcurrency,
                      TargetLocationMaxErrors: event.maxErrors,
                    },
                  ],
                }),
              ),
            deps.backoff,
          );
          if (!response.AutomationExecutionId) throw new Error("StartAutomationExecution returned no AutomationExecutionId");
          record.executionId = response.AutomationExecutionId;
        } catch (error) {
          record.startError = describeError(error);
        }
      }
    }
  } finally {
    // Written even if a call throws unexpectedly, so started executions are never lost.
    await putJson(deps.s3, event.bucket, stateKey, state, deps.backoff);
  }

  return {
    runId: event.runId,
    executions: records.filter((record) => record.executionId).length,
    startErrors: records.filter((record) => record.startError).length,
  };
}

const ssmFor = perRegion((region) => new SSMClient(clientConfig(region)));
let s3: S3Client | undefined;

export async function handler(event: unknown): Promise<StartRolloutResult> {
  const { homeRegion } = parseStartRolloutEvent(event);
  s3 ??= new S3Client(s3ClientConfig());
  return startRollout(event, { ssm: ssmFor(homeRegion), s3 });
}
