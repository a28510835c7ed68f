/*
 * The two runbooks of the org fan-out, as pure functions from settings to typed Automation documents.
 *
 * aft-fleet-RolloutPackage (central account, home Region), started by a State Manager association per
 * package ring:
 *   planTargets -> expandTargets (Lambda) -> planRollout -> sharePackage (Lambda) -> waitForPackage
 *   -> startRollout (Lambda) -> awaitResults (loop: pause, pollResults (Lambda) while not Complete)
 *   -> collectResults (Lambda) -> checkComplete (branch) -> reportResults | rolloutIncomplete
 *
 * aft-fleet-InstallPackage (every member account, every workload Region), started by start-rollout
 * through TargetLocations: one aws:runCommand of AWS-ConfigureAWSPackage with rate control.
 *
 * The fan-out itself (OU expansion, groups of 50, sharing in batches of 20, starting and collecting)
 * runs in the TypeScript Lambdas. The three small Python handlers below only reshape data, because
 * Automation cannot: State Manager passes each association parameter as one string (so lists arrive
 * comma-separated), and no Automation output type can carry expand-targets' list of account groups to
 * start-rollout. They make no AWS calls.
 */
import type { InstallationType } from "../config/model";
import { MAX_CONCURRENCY, MAX_ERRORS, RING_NAME, VERSION } from "../config/schema";
import type { AutomationDocument, RunbookParameter } from "./runbook";
import { ref } from "./runbook";
import type { FanOutHandler } from "./names";
import { INSTALL_RUNBOOK_NAME, METRIC_NAMESPACE } from "./names";

const ACTIONS = ["Install", "Uninstall"] as const;
const INSTALLATION_TYPES: readonly InstallationType[] = ["Uninstall and reinstall", "In-place update"];
const PACKAGE_NAME = "^[a-zA-Z0-9_.-]{3,128}$";
const ACCOUNT_ID = "^\\d{12}$";
const ROLE_ARN = "^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,64}$";
const TARGET_KEY = "^(InstanceIds|tag:[^,]{1,128})$";
const OU_OR_ROOT = "(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})";
const REGION = "[a-z]{2}(-[a-z]+)+-\\d{1,2}";
const TARGET_VALUE = "[^,]{1,256}";

/** `^(x(,x)*)?$`: a comma-separated list of `item` (empty allowed when `optional`). */
function commaList(item: string, optional: boolean): string {
  const list = `${item}(,${item})*`;
  return optional ? `^(${list})?$` : `^${list}$`;
}

/** Rate-control and package parameters both runbooks declare the same way. */
function packageParameters(): Record<string, RunbookParameter> {
  return {
    action: { type: "String", description: "Install or Uninstall the package.", allowedValues: ACTIONS, default: "Install" },
    installationType: {
      type: "String",
      description: "How an installed older version is replaced (In-place update needs update scripts in the package).",
      allowedValues: INSTALLATION_TYPES,
      default: "Uninstall and reinstall",
    },
    additionalArguments: {
      type: "StringMap",
      description: "Environment variables for the package's install/uninstall/update scripts.",
      default: {},
    },
    targetKey: {
      type: "String",
      description: "Which managed nodes: InstanceIds, or tag:<key> to select nodes by a tag.",
      allowedPattern: TARGET_KEY,
      default: "InstanceIds",
    },
    maxConcurrency: {
      type: "String",
      description: "How many targets run at once: account-Region pairs, and managed nodes within each account.",
      allowedPattern: MAX_CONCURRENCY.source,
      default: "10%",
    },
    maxErrors: {
      type: "String",
      description: "Failed targets after which no further targets are started (same two levels as maxConcurrency).",
      allowedPattern: MAX_ERRORS.source,
      default: "10%",
    },
  };
}

export interface InstallRunbookProps {
  /** ARN partition of the package documents (`aws`, `aws-us-gov`). */
  readonly partition: string;
}

/**
 * aft-fleet-InstallPackage: runs AWS-ConfigureAWSPackage on the account's managed nodes. The package
 * is the central account's Package document shared with this account, addressed by ARN in the Region
 * the execution runs in.
 */
export function installPackageRunbook(props: InstallRunbookProps): AutomationDocument {
  return {
    schemaVersion: "0.3",
    description:
      "aft-fleet: installs or uninstalls a Distributor package shared by the central account on this account's managed nodes " +
      "(AWS-ConfigureAWSPackage with rate control). Started by the central account's aft-fleet-RolloutPackage through TargetLocations.",
    assumeRole: ref("AutomationAssumeRole"),
    parameters: {
      AutomationAssumeRole: {
        type: "String",
        description: "Role the execution runs as; multi-account executions run as the TargetLocation's execution role.",
        default: "",
      },
      packageName: { type: "String", description: "Distributor package (Package document) name.", allowedPattern: PACKAGE_NAME },
      packageOwnerAccount: { type: "String", description: "Account that owns and shares the Package document.", allowedPattern: ACCOUNT_ID },
      packageVersion: {
        type: "String",
        description: "Package version (document version name); empty installs the default version.",
        allowedPattern: `^(${VERSION.source.replace(/^\^|\$$/g, "")})?$`,
        default: "",
      },
      ...packageParameters(),
      targetValues: { type: "StringList", description: "Instance ids (or * for all) or tag values for targetKey.", default: ["*"] },
    },
    mainSteps: [
      {
        name: "installPackage",
        description: "Runs AWS-ConfigureAWSPackage on the targeted managed nodes of this account and Region.",
        action: "aws:runCommand",
        onFailure: "Abort",
        timeoutSeconds: 3600,
        isEnd: true,
        inputs: {
          DocumentName: "AWS-ConfigureAWSPackage",
          Targets: [{ Key: ref("targetKey"), Values: ref("targetValues") }],
          MaxConcurrency: ref("maxConcurrency"),
          MaxErrors: ref("maxErrors"),
          Parameters: {
            action: ref("action"),
            installationType: ref("installationType"),
            name: `arn:${props.partition}:ssm:${ref("global:REGION")}:${ref("packageOwnerAccount")}:document/${ref("packageName")}`,
            version: ref("packageVersion"),
            additionalArguments: ref("additionalArguments"),
          },
        },
      },
    ],
    outputs: ["installPackage.CommandId", "installPackage.Status"],
  };
}

export interface RolloutRunbookProps {
  /** The central account: owner of the shared Package documents. */
  readonly centralAccountId: string;
  /** Region of the runbook, the Lambdas and the package store. */
  readonly homeRegion: string;
  /** Package store bucket where the Lambdas keep run state and summaries. */
  readonly bucketName: string;
  readonly summaryPrefix: string;
  /** TargetLocation.ExecutionRoleName: the member accounts' execution role. */
  readonly executionRoleName: string;
  readonly functionNames: Readonly<Record<FanOutHandler, string>>;
}

/** Checks of collect-results before a rollout counts as incomplete: the aws:loop maximum. */
export const MAX_RESULT_CHECKS = 100;
/**
 * Pause before each check. With collect-results polling for up to about 4 minutes per call, a rollout
 * may run for about 8 hours before it is reported incomplete (its member executions keep running).
 */
export const RESULT_CHECK_INTERVAL = "PT1M";

/** aft-fleet-RolloutPackage: rolls one package version out to a ring's accounts in every workload Region. */
export function rolloutPackageRunbook(props: RolloutRunbookProps): AutomationDocument {
  const fn = props.functionNames;
  const complete = '"status":"Complete"';
  const collectEvent = {
    runId: ref("automation:EXECUTION_ID"),
    bucket: props.bucketName,
    summaryPrefix: props.summaryPrefix,
    metricNamespace: METRIC_NAMESPACE,
    packageName: ref("packageName"),
    packageVersion: ref("packageVersion"),
    ring: ref("ring"),
  };
  const script = (handler: string, inputs: Record<string, string>) =>
    ({ Runtime: "python3.11", Handler: handler, Script: ROLLOUT_SCRIPT, InputPayload: inputs }) as const;
  return {
    schemaVersion: "0.3",
    description:
      "aft-fleet: rolls a Distributor package version out to a ring's accounts and Regions. Expands OUs to active accounts, " +
      "shares the central Package document with them, runs aft-fleet-InstallPackage in every account and Region through " +
      "TargetLocations (groups of at most 50 accounts), then waits for the results and fails if any target failed.",
    assumeRole: ref("AutomationAssumeRole"),
    parameters: {
      AutomationAssumeRole: { type: "String", description: "The central account's Automation administration role.", allowedPattern: ROLE_ARN },
      packageName: { type: "String", description: "Distributor package (Package document) name in this account.", allowedPattern: PACKAGE_NAME },
      packageVersion: { type: "String", description: "Package version (document version name) to roll out.", allowedPattern: VERSION.source },
      ...packageParameters(),
      targetValues: {
        type: "String",
        description: "Comma-separated instance ids (or * for all) or tag values for targetKey.",
        allowedPattern: commaList(TARGET_VALUE, false),
        default: "*",
      },
      organizationalUnits: {
        type: "String",
        description: "Comma-separated OU ids (or the root id), expanded recursively to their active accounts.",
        allowedPattern: commaList(OU_OR_ROOT, true),
        default: "",
      },
      accounts: {
        type: "String",
        description: "Comma-separated account ids, kept if they are active members of the organization.",
        allowedPattern: commaList("\\d{12}", true),
        default: "",
      },
      regions: { type: "String", description: "Comma-separated Regions to roll out to.", allowedPattern: commaList(REGION, false) },
      ring: { type: "String", description: "Rollout ring name (metric dimension and summary label).", allowedPattern: RING_NAME.source, default: "default" },
    },
    mainSteps: [
      {
        name: "planTargets",
        description: "Turns the comma-separated OU and account parameters into the expand-targets event.",
        action: "aws:executeScript",
        onFailure: "Abort",
        timeoutSeconds: 60,
        inputs: script("expand_event", { organizationalUnits: ref("organizationalUnits"), accounts: ref("accounts") }),
        outputs: [{ Name: "ExpandTargetsEvent", Selector: "$.Payload.Event", Type: "String" }],
      },
      {
        name: "expandTargets",
        description: "Expands the OUs to their active accounts and splits them into groups of at most 50.",
        action: "aws:invokeLambdaFunction",
        onFailure: "Abort",
        maxAttempts: 2,
        timeoutSeconds: 300,
        inputs: { FunctionName: fn["expand-targets"], InvocationType: "RequestResponse", Payload: ref("planTargets.ExpandTargetsEvent") },
      },
      {
        name: "planRollout",
        description: "Builds the share-document and start-rollout events from the expanded accounts and the parameters.",
        action: "aws:executeScript",
        onFailure: "Abort",
        timeoutSeconds: 60,
        inputs: script("rollout_events", {
          expandTargetsResult: ref("expandTargets.Payload"),
          AutomationAssumeRole: ref("AutomationAssumeRole"),
          packageName: ref("packageName"),
          packageVersion: ref("packageVersion"),
          packageOwnerAccount: props.centralAccountId,
          action: ref("action"),
          installationType: ref("installationType"),
          additionalArguments: ref("additionalArguments"),
          targetKey: ref("targetKey"),
          targetValues: ref("targetValues"),
          regions: ref("regions"),
          maxConcurrency: ref("maxConcurrency"),
          maxErrors: ref("maxErrors"),
          runId: ref("automation:EXECUTION_ID"),
          runbookName: INSTALL_RUNBOOK_NAME,
          executionRoleName: props.executionRoleName,
          bucket: props.bucketName,
          summaryPrefix: props.summaryPrefix,
          homeRegion: props.homeRegion,
        }),
        outputs: [
          { Name: "ShareDocumentEvent", Selector: "$.Payload.ShareDocumentEvent", Type: "String" },
          { Name: "StartRolloutEvent", Selector: "$.Payload.StartRolloutEvent", Type: "String" },
          { Name: "AccountCount", Selector: "$.Payload.AccountCount", Type: "Integer" },
          { Name: "SkippedAccounts", Selector: "$.Payload.SkippedAccounts", Type: "String" },
        ],
      },
      {
        name: "sharePackage",
        description: "Shares the Package document (all versions) with the accounts in every Region, 20 accounts per call.",
        action: "aws:invokeLambdaFunction",
        onFailure: "Abort",
        maxAttempts: 2,
        timeoutSeconds: 300,
        inputs: { FunctionName: fn["share-document"], InvocationType: "RequestResponse", Payload: ref("planRollout.ShareDocumentEvent") },
      },
      {
        name: "waitForPackage",
        description: "Waits until the package version is Active in this Region (it fails if the version was never registered).",
        action: "aws:waitForAwsResourceProperty",
        onFailure: "Abort",
        timeoutSeconds: 600,
        inputs: {
          Service: "ssm",
          Api: "GetDocument",
          Name: ref("packageName"),
          VersionName: ref("packageVersion"),
          PropertySelector: "$.Status",
          DesiredValues: ["Active"],
        },
      },
      {
        name: "startRollout",
        description: "Starts aft-fleet-InstallPackage once per group of accounts and Region; records the executions in the store.",
        action: "aws:invokeLambdaFunction",
        onFailure: "Abort",
        // start-rollout resumes a run: a retry starts only what did not start.
        maxAttempts: 2,
        timeoutSeconds: 300,
        inputs: { FunctionName: fn["start-rollout"], InvocationType: "RequestResponse", Payload: ref("planRollout.StartRolloutEvent") },
      },
      {
        name: "awaitResults",
        description: "Checks the executions until collect-results reports the run Complete, at most maxChecks times.",
        action: "aws:loop",
        onFailure: "Abort",
        inputs: {
          MaxIterations: MAX_RESULT_CHECKS,
          LoopCondition: { Not: { Variable: ref("pollResults.Payload"), Contains: complete } },
          Steps: [
            {
              name: "pauseBeforePoll",
              description: "Gives the executions time to progress before the next check.",
              action: "aws:sleep",
              inputs: { Duration: RESULT_CHECK_INTERVAL },
            },
            {
              name: "pollResults",
              description: "Polls the executions for up to the Lambda's time budget; returns InProgress or Complete.",
              action: "aws:invokeLambdaFunction",
              onFailure: "Abort",
              maxAttempts: 2,
              timeoutSeconds: 300,
              inputs: { FunctionName: fn["collect-results"], InvocationType: "RequestResponse", InputPayload: collectEvent },
            },
          ],
        },
      },
      {
        name: "collectResults",
        description: "Reads the run's final state (a completed run returns its stored summary at once).",
        action: "aws:invokeLambdaFunction",
        onFailure: "Abort",
        maxAttempts: 2,
        timeoutSeconds: 300,
        inputs: { FunctionName: fn["collect-results"], InvocationType: "RequestResponse", InputPayload: collectEvent },
      },
      {
        name: "checkComplete",
        description: "Branches on whether collect-results reported the run Complete.",
        action: "aws:branch",
        inputs: {
          Choices: [{ NextStep: "reportResults", Variable: ref("collectResults.Payload"), Contains: complete }],
          Default: "rolloutIncomplete",
        },
      },
      {
        name: "reportResults",
        description: "Fails the execution if any account-Region target failed; otherwise reports the count.",
        action: "aws:executeScript",
        onFailure: "Abort",
        timeoutSeconds: 60,
        isEnd: true,
        inputs: script("report_results", { collectResultsResult: ref("collectResults.Payload"), bucket: props.bucketName }),
        outputs: [{ Name: "Summary", Selector: "$.Payload.Summary", Type: "String" }],
      },
      {
        name: "rolloutIncomplete",
        description: "Fails the execution: the member executions were still running after the last check.",
        action: "aws:executeScript",
        onFailure: "Abort",
        timeoutSeconds: 60,
        isEnd: true,
        inputs: script("rollout_incomplete", { collectResultsResult: ref("collectResults.Payload") }),
      },
    ],
    outputs: ["planRollout.AccountCount", "planRollout.SkippedAccounts", "reportResults.Summary"],
  };
}

/**
 * The Python handlers of RolloutPackage's aws:executeScript steps (see the file comment). A Lambda that
 * failed returns `{"errorMessage": …}` as its payload; every parse turns that into a step failure.
 */
export const ROLLOUT_SCRIPT = [
  "import json",
  "",
  "",
  "def _split(value):",
  '    return [item.strip() for item in value.split(",") if item.strip()]',
  "",
  "",
  "def _result(payload, function):",
  "    try:",
  "        result = json.loads(payload)",
  "    except ValueError:",
  '        raise Exception(function + " returned no JSON: " + payload[:1000])',
  '    if not isinstance(result, dict) or "errorMessage" in result:',
  '        raise Exception(function + " failed: " + payload[:1000])',
  "    return result",
  "",
  "",
  "def expand_event(events, context):",
  '    event = {"organizationalUnits": _split(events["organizationalUnits"]), "accounts": _split(events["accounts"])}',
  '    return {"Event": json.dumps(event, sort_keys=True)}',
  "",
  "",
  "def rollout_events(events, context):",
  '    expanded = _result(events["expandTargetsResult"], "expand-targets")',
  '    regions = _split(events["regions"])',
  "    share = {",
  '        "documentName": events["packageName"],',
  '        "regions": regions,',
  '        "accounts": expanded["accounts"],',
  '        "selfAccountId": events["packageOwnerAccount"],',
  '        "sharedDocumentVersion": "$ALL",',
  "    }",
  "    parameters = {",
  '        "AutomationAssumeRole": [events["AutomationAssumeRole"]],',
  '        "action": [events["action"]],',
  '        "additionalArguments": [json.dumps(events["additionalArguments"], sort_keys=True)],',
  '        "installationType": [events["installationType"]],',
  '        "maxConcurrency": [events["maxConcurrency"]],',
  '        "maxErrors": [events["maxErrors"]],',
  '        "packageName": [events["packageName"]],',
  '        "packageOwnerAccount": [events["packageOwnerAccount"]],',
  '        "packageVersion": [events["packageVersion"]],',
  '        "targetKey": [events["targetKey"]],',
  '        "targetValues": _split(events["targetValues"]),',
  "    }",
  "    start = {",
  '        "runId": events["runId"],',
  '        "runbookName": events["runbookName"],',
  '        "parameters": parameters,',
  '        "groups": expanded["groups"],',
  '        "regions": regions,',
  '        "executionRoleName": events["executionRoleName"],',
  '        "maxConcurrency": events["maxConcurrency"],',
  '        "maxErrors": events["maxErrors"],',
  '        "bucket": events["bucket"],',
  '        "summaryPrefix": events["summaryPrefix"],',
  '        "homeRegion": events["homeRegion"],',
  "    }",
  "    return {",
  '        "ShareDocumentEvent": json.dumps(share, sort_keys=True),',
  '        "StartRolloutEvent": json.dumps(start, sort_keys=True),',
  '        "AccountCount": len(expanded["accounts"]),',
  '        "SkippedAccounts": json.dumps(expanded.get("skipped", []), sort_keys=True),',
  "    }",
  "",
  "",
  "def report_results(events, context):",
  '    result = _result(events["collectResultsResult"], "collect-results")',
  '    total = result["failed"] + result["succeeded"]',
  '    where = "s3://" + events["bucket"] + "/" + result["summaryKey"]',
  '    if result["failed"] > 0:',
  '        raise Exception(str(result["failed"]) + " of " + str(total) + " account-Region targets failed; results: " + where)',
  '    return {"Summary": str(total) + " account-Region targets succeeded; results: " + where}',
  "",
  "",
  "def rollout_incomplete(events, context):",
  '    raise Exception("executions still running after the last check (they continue): " + events["collectResultsResult"][:1000])',
  "",
].join("\n");
