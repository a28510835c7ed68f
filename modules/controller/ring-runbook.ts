/*
 * aft-fleet-RolloutRing: the runbook each ring's association runs in the central account. It only calls
 * the controller: plan (resolve targets, diff the ledger, gate the ring) -> while there is work: apply a
 * time-bounded chunk, pause -> summarize. A plan with nothing to do ends the run after the diff.
 */
import { CONTROLLER_FUNCTION_NAME, RING_SPEC_PREFIX } from "../../contract/names";
import type { AutomationDocument, InvokeLambdaStep } from "./runbook-types";
import { ref } from "./runbook-types";

/** aws:loop allows at most 100 iterations; a run that reaches it leaves a partial summary and the next run continues. */
export const MAX_APPLY_PASSES = 100;
/** Pause between apply passes: member associations need minutes to report. */
export const APPLY_PAUSE = "PT2M";
/** aws:invokeLambdaFunction steps: the controller's timeout (240 s) stays below the step's. */
const STEP_TIMEOUT_SECONDS = 300;

export interface RingRunbookProps {
  /** The package store: ring specs, ledgers and runs. */
  readonly bucket: string;
  readonly functionName?: string;
}

export function ringRunbook(props: RingRunbookProps): AutomationDocument {
  const fn = props.functionName ?? CONTROLLER_FUNCTION_NAME;
  const invoke = (name: string, step: "plan" | "apply" | "summarize", description: string, extra: Partial<InvokeLambdaStep> = {}): InvokeLambdaStep => ({
    name,
    description,
    action: "aws:invokeLambdaFunction",
    onFailure: "Abort",
    // Every step is idempotent (the ledger records each finished pair), so a retry never repeats work.
    maxAttempts: 2,
    timeoutSeconds: STEP_TIMEOUT_SECONDS,
    inputs: {
      FunctionName: fn,
      InvocationType: "RequestResponse",
      InputPayload: { step, runId: ref("automation:EXECUTION_ID"), bucket: props.bucket, specKey: ref("specKey") },
    },
    ...extra,
  });
  const continues = '"status":"Continue"';
  return {
    schemaVersion: "0.3",
    description:
      "aft-fleet: rolls one package ring forward (or back) across its accounts and Regions through the rollout controller: " +
      "plan against the ledger, apply in resumable chunks with ring-wide rate control, then write the run summary.",
    assumeRole: ref("AutomationAssumeRole"),
    parameters: {
      AutomationAssumeRole: { type: "String", description: "The rollout runbook role (invokes the controller only).", allowedPattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,64}$" },
      specKey: { type: "String", description: "The ring spec in the package store.", allowedPattern: `^${RING_SPEC_PREFIX}/[A-Za-z0-9_.-]{3,128}/[a-z][a-z0-9-]{0,31}\\.json$` },
      specHash: { type: "String", description: "SHA-256 of the ring spec: a new value updates the association, which runs it once.", allowedPattern: "^[0-9a-f]{64}$" },
    },
    mainSteps: [
      invoke("plan", "plan", "Resolves the ring's targets, gates the ring and diffs with the ledger; Done when there is nothing to do."),
      {
        name: "anyWork",
        description: "Ends the run when the plan found nothing to do.",
        action: "aws:branch",
        isEnd: true,
        inputs: { Choices: [{ Variable: ref("plan.Payload"), Contains: continues, NextStep: "applyPasses" }] },
      },
      {
        name: "applyPasses",
        description: `Applies time-bounded chunks until the ring has nothing in flight or to start (at most ${MAX_APPLY_PASSES} passes).`,
        action: "aws:loop",
        onFailure: "Abort",
        nextStep: "summarize",
        inputs: {
          MaxIterations: MAX_APPLY_PASSES,
          LoopCondition: { Variable: ref("apply.Payload"), Contains: continues },
          Steps: [
            invoke("apply", "apply", "Reads back pairs in flight, then starts pairs within the ring's concurrency and error budget, saving after each."),
            { name: "pause", description: "Gives member associations time to run before the next pass.", action: "aws:sleep", inputs: { Duration: APPLY_PAUSE } },
          ],
        },
      },
      invoke("summarize", "summarize", "Writes rollouts/<runId>/summary.json and the FailedTargets metric, and releases the ring.", { isEnd: true }),
    ],
    outputs: ["summarize.Payload"],
  };
}
