/**
 * The rollout controller Lambda (aft-fleet-rollout-controller): one step of the ring runbook per call.
 * The event is checked here before any AWS call; run.ts runs the step; jobs/ hold the per-kind pair work.
 *
 * The runbook branches on the result JSON containing `"status":"Continue"`.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import type { ControllerEvent, ControllerResult, ControllerStep } from "../../contract";
import { clientConfig, s3ClientConfig } from "../shared/clients";
import type { LambdaContext } from "../shared/context";
import { BUCKET_NAME, RUN_ID, asEvent, requireString, InputError } from "../shared/validate";
import { centralStsClient } from "./pair";
import { Run, type ControllerDeps } from "./run";

export type { ControllerDeps } from "./run";

const SPEC_KEY = /^controller\/.+\.json$/;
const STEPS: readonly ControllerStep[] = ["plan", "apply", "summarize"];

/** Checks the event before any AWS call. */
function validateEvent(input: unknown): ControllerEvent {
  const event = asEvent(input);
  const step = requireString(event, "step");
  if (!STEPS.includes(step as ControllerStep)) throw new InputError("step", step, STEPS.join(", "));
  const runId = requireString(event, "runId", RUN_ID, "a run id of 1-128 letters, digits, '.', '_', '-' (not dots only)");
  const bucket = requireString(event, "bucket", BUCKET_NAME, "an S3 bucket name");
  const specKey = requireString(event, "specKey", SPEC_KEY, "a ring spec key controller/<package>/<ring>.json");
  if (specKey.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new InputError("specKey", specKey, "a key without empty, '.' or '..' segments");
  }
  return { step: step as ControllerStep, runId, bucket, specKey };
}

/** One runbook step; `deps` carries the SDK clients (tests inject them). */
export async function runStep(event: ControllerEvent, deps: ControllerDeps, now: Date = new Date(), context?: LambdaContext): Promise<ControllerResult> {
  const checked = validateEvent(event);
  const run = new Run(checked, deps, now, context);
  switch (checked.step) {
    case "plan":
      return run.plan();
    case "apply":
      return run.apply();
    case "summarize":
      return run.summarize();
  }
}

let defaults: ControllerDeps | undefined;

function defaultDeps(): ControllerDeps {
  defaults ??= {
    s3: new S3Client(s3ClientConfig()),
    organizations: new OrganizationsClient(clientConfig()),
    cloudwatch: new CloudWatchClient(clientConfig()),
    events: new EventBridgeClient(clientConfig()),
    sts: centralStsClient(clientConfig().region),
  };
  return defaults;
}

/** Lambda entry point. */
export async function handler(event: unknown, context: LambdaContext): Promise<ControllerResult> {
  const checked = validateEvent(event);
  return runStep(checked, defaultDeps(), new Date(), context);
}
