/**
 * collect-results: waits for the executions start-rollout recorded, within one Lambda invocation's
 * time budget. While any is unfinished it saves progress to the run state and returns
 * `{"status":"InProgress",…}` so the runbook sleeps and invokes it again; once all are terminal it
 * writes `<summaryPrefix>/<runId>/summary.json`, publishes the `FailedTargets` metric and returns
 * `{"status":"Complete",…}` (the runbook branches on that substring).
 *
 * Per account x Region outcome: a multi-account parent execution reports one step per account-Region
 * pair, each with its TargetLocation, via DescribeAutomationStepExecutions. When a parent reports no
 * such steps, its child executions (DescribeAutomationExecutions, filter ParentExecutionId) are read
 * instead, each child's TargetLocations coming from GetAutomationExecution. Accounts with no reported
 * outcome inherit the parent's status ("Unknown" if the parent succeeded) and count as failed.
 *
 * AWS API actions: ssm:GetAutomationExecution, ssm:DescribeAutomationStepExecutions,
 * ssm:DescribeAutomationExecutions, s3:GetObject and s3:PutObject under `<summaryPrefix>/<runId>/`,
 * cloudwatch:PutMetricData (namespace `metricNamespace`, default AftFleet).
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import {
  DescribeAutomationExecutionsCommand,
  DescribeAutomationStepExecutionsCommand,
  GetAutomationExecutionCommand,
  SSMClient,
  type TargetLocation,
} from "@aws-sdk/client-ssm";
import { clientConfig, perRegion, s3ClientConfig } from "../shared/clients";
import type { LambdaContext } from "../shared/context";
import { sleep as realSleep, withBackoff, type BackoffOptions } from "../shared/retry";
import {
  STATE_FILE,
  SUCCESS_STATUSES,
  SUMMARY_FILE,
  TERMINAL_STATUSES,
  type ExecutionRecord,
  type RunState,
  type TargetResult,
} from "../shared/run-state";
import { getJson, putJson } from "../shared/s3-json";
import {
  BUCKET_NAME,
  RUN_ID,
  asEvent,
  optionalString,
  requireKeyPrefix,
  requireString,
  runObjectKey,
} from "../shared/validate";

export const DEFAULT_METRIC_NAMESPACE = "AftFleet";
export const FAILED_TARGETS_METRIC = "FailedTargets";
export const DEFAULT_RING = "default";
/** Stop polling this long before the Lambda timeout, leaving time to save state and return. */
export const DEFAULT_MARGIN_MS = 15_000;
export const DEFAULT_POLL_INTERVAL_MS = 20_000;
/** Budget assumed when no Lambda context is given (local invocation). */
const LOCAL_BUDGET_MS = 60_000;
const MAX_ERROR_LENGTH = 1000;

export interface CollectResultsEvent {
  runId: string;
  bucket: string;
  summaryPrefix: string;
  /** @default "AftFleet" */
  metricNamespace?: string;
  packageName: string;
  packageVersion: string;
  /** @default "default" */
  ring?: string;
}

export type CollectResultsResult =
  | { status: "InProgress"; runId: string; pending: number }
  | { status: "Complete"; runId: string; failed: number; succeeded: number; summaryKey: string };

export interface RunSummary {
  runId: string;
  package: string;
  version: string;
  ring: string;
  results: TargetResult[];
  counts: { total: number; succeeded: number; failed: number; byStatus: Record<string, number> };
}

export interface CollectResultsDeps {
  ssmFor: (region: string) => SSMClient;
  s3: S3Client;
  cloudwatch: CloudWatchClient;
  backoff?: BackoffOptions;
  /** @default 15000 */
  marginMs?: number;
  /** Wait between polling rounds within one invocation. @default 20000 */
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function parseCollectResultsEvent(raw: unknown): Required<CollectResultsEvent> {
  const event = asEvent(raw);
  return {
    runId: requireString(event, "runId", RUN_ID, "1-128 characters [A-Za-z0-9._-]"),
    bucket: requireString(event, "bucket", BUCKET_NAME, "an S3 bucket name"),
    summaryPrefix: requireKeyPrefix(event, "summaryPrefix"),
    metricNamespace:
      optionalString(event, "metricNamespace", /^[A-Za-z0-9._/#-]{1,255}$/, "a CloudWatch namespace") ?? DEFAULT_METRIC_NAMESPACE,
    packageName: requireString(event, "packageName", /^[a-zA-Z0-9_\-.]{3,128}$/, "a package name of 3-128 characters [a-zA-Z0-9_.-]"),
    packageVersion: requireString(event, "packageVersion", /^[A-Za-z0-9_.-]{1,128}$/, "1-128 characters [A-Za-z0-9_.-]"),
    ring: optionalString(event, "ring", /^[A-Za-z0-9_.-]{1,64}$/, "1-64 characters [A-Za-z0-9_.-]") ?? DEFAULT_RING,
  };
}

const truncate = (text: string | undefined): string | undefined =>
  text === undefined || text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;

function targetResult(account: string, region: string, status: string, error: string | undefined): TargetResult {
  const message = truncate(error);
  return message ? { account, region, status, error: message } : { account, region, status };
}

function fromLocation(location: TargetLocation | undefined, fallbackRegion: string, status: string, error?: string): TargetResult[] {
  const regions = location?.Regions?.length ? location.Regions : [fallbackRegion];
  return (location?.Accounts ?? []).flatMap((account) => regions.map((region) => targetResult(account, region, status, error)));
}

/** Outcomes reported as the parent's per account-Region steps. */
async function targetsFromSteps(ssm: SSMClient, record: ExecutionRecord, deps: CollectResultsDeps): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withBackoff(
      () =>
        ssm.send(
          new DescribeAutomationStepExecutionsCommand({ AutomationExecutionId: record.executionId, NextToken: nextToken, MaxResults: 50 }),
        ),
      deps.backoff,
    );
    for (const step of page.StepExecutions ?? []) {
      results.push(...fromLocation(step.TargetLocation, record.region, step.StepStatus ?? "Unknown", step.FailureMessage));
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return results;
}

/** Outcomes reported by child executions of the parent. */
async function targetsFromChildren(ssm: SSMClient, record: ExecutionRecord, deps: CollectResultsDeps): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withBackoff(
      () =>
        ssm.send(
          new DescribeAutomationExecutionsCommand({
            Filters: [{ Key: "ParentExecutionId", Values: [record.executionId as string] }],
            NextToken: nextToken,
            MaxResults: 50,
          }),
        ),
      deps.backoff,
    );
    for (const child of page.AutomationExecutionMetadataList ?? []) {
      if (!child.AutomationExecutionId) continue;
      const detail = await withBackoff(
        () => ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: child.AutomationExecutionId })),
        deps.backoff,
      );
      const execution = detail.AutomationExecution;
      const status = execution?.AutomationExecutionStatus ?? child.AutomationExecutionStatus ?? "Unknown";
      const error = execution?.FailureMessage ?? child.FailureMessage;
      for (const location of execution?.TargetLocations ?? []) results.push(...fromLocation(location, record.region, status, error));
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return results;
}

/** One outcome per account of the group, in its Region; later reports for the same account win. */
function settle(record: ExecutionRecord, parentStatus: string, parentError: string | undefined, reported: TargetResult[]): TargetResult[] {
  const byAccount = new Map<string, TargetResult>();
  for (const result of reported) if (result.region === record.region) byAccount.set(result.account, result);
  const inherited = SUCCESS_STATUSES.has(parentStatus) ? "Unknown" : parentStatus;
  const why = parentError ?? `execution ${record.executionId} (${parentStatus}) reported no result for this account`;
  return record.accounts.map((account) => byAccount.get(account) ?? targetResult(account, record.region, inherited, why));
}

async function poll(ssm: SSMClient, record: ExecutionRecord, deps: CollectResultsDeps): Promise<void> {
  if (!record.executionId) {
    record.status = "StartFailed";
    record.targets = record.accounts.map((account) => targetResult(account, record.region, "StartFailed", record.startError));
    return;
  }
  let execution;
  try {
    const response = await withBackoff(
      () => ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: record.executionId })),
      deps.backoff,
    );
    execution = response.AutomationExecution;
  } catch (error) {
    if ((error as { name?: string }).name !== "AutomationExecutionNotFoundException") throw error;
    record.status = "NotFound";
    record.targets = settle(record, "NotFound", `execution ${record.executionId} not found`, []);
    return;
  }
  const status = execution?.AutomationExecutionStatus ?? "Unknown";
  record.status = status;
  if (!TERMINAL_STATUSES.has(status)) return;
  let reported = await targetsFromSteps(ssm, record, deps);
  if (reported.length === 0) reported = await targetsFromChildren(ssm, record, deps);
  record.targets = settle(record, status, execution?.FailureMessage, reported);
}

export function summarize(event: Required<CollectResultsEvent>, state: RunState): RunSummary {
  const results = state.executions
    .flatMap((record) => record.targets ?? [])
    .sort((a, b) => (a.account === b.account ? (a.region < b.region ? -1 : a.region > b.region ? 1 : 0) : a.account < b.account ? -1 : 1));
  const byStatus: Record<string, number> = {};
  for (const status of results.map((result) => result.status).sort()) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const succeeded = results.filter((result) => SUCCESS_STATUSES.has(result.status)).length;
  return {
    runId: event.runId,
    package: event.packageName,
    version: event.packageVersion,
    ring: event.ring,
    results,
    counts: { total: results.length, succeeded, failed: results.length - succeeded, byStatus },
  };
}

export async function collectResults(
  raw: unknown,
  context: LambdaContext | undefined,
  deps: CollectResultsDeps,
): Promise<CollectResultsResult> {
  const event = parseCollectResultsEvent(raw);
  const marginMs = deps.marginMs ?? DEFAULT_MARGIN_MS;
  const pollIntervalMs = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const wait = deps.sleep ?? realSleep;
  const startedAt = Date.now();
  const remainingMs = (): number =>
    (context ? context.getRemainingTimeInMillis() : LOCAL_BUDGET_MS - (Date.now() - startedAt)) - marginMs;

  const stateKey = runObjectKey(event.summaryPrefix, event.runId, STATE_FILE);
  const state = await getJson<RunState>(deps.s3, event.bucket, stateKey, deps.backoff);
  if (!state) throw new Error(`run state not found at s3://${event.bucket}/${stateKey}; did start-rollout run for ${event.runId}?`);
  const ssm = deps.ssmFor(state.homeRegion);

  for (;;) {
    let outOfTime = false;
    for (const record of state.executions) {
      if (record.targets) continue;
      if (remainingMs() <= 0) {
        outOfTime = true;
        break;
      }
      await poll(ssm, record, deps);
    }
    const pending = state.executions.filter((record) => !record.targets).length;
    if (pending === 0) break;
    if (outOfTime || remainingMs() <= pollIntervalMs) {
      await putJson(deps.s3, event.bucket, stateKey, state, deps.backoff);
      return { status: "InProgress", runId: event.runId, pending };
    }
    await wait(pollIntervalMs);
  }

  const summary = summarize(event, state);
  const summaryKey = runObjectKey(event.summaryPrefix, event.runId, SUMMARY_FILE);
  await putJson(deps.s3, event.bucket, summaryKey, summary, deps.backoff);
  if (!state.complete) {
    // Published once per run, so a re-invocation after completion does not count failures twice.
    await withBackoff(
      () =>
        deps.cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: event.metricNamespace,
            MetricData: [
              {
                MetricName: FAILED_TARGETS_METRIC,
                Dimensions: [
                  { Name: "Package", Value: event.packageName },
                  { Name: "Ring", Value: event.ring },
                ],
                Value: summary.counts.failed,
                Unit: "Count",
              },
            ],
          }),
        ),
      deps.backoff,
    );
    state.complete = true;
    await putJson(deps.s3, event.bucket, stateKey, state, deps.backoff);
  }
  return {
    status: "Complete",
    runId: event.runId,
    failed: summary.counts.failed,
    succeeded: summary.counts.succeeded,
    summaryKey,
  };
}

const ssmFor = perRegion((region) => new SSMClient(clientConfig(region)));
let s3: S3Client | undefined;
let cloudwatch: CloudWatchClient | undefined;

export async function handler(event: unknown, context?: LambdaContext): Promise<CollectResultsResult> {
  s3 ??= new S3Client(s3ClientConfig());
  cloudwatch ??= new CloudWatchClient(clientConfig());
  return collectResults(event, context, { ssmFor, s3, cloudwatch });
}
