/*
 * Typed SSM Automation documents (schemaVersion 0.3): only the parts aft-fleet uses. Runbooks are
 * built as these objects and serialized once with JSON.stringify.
 */

export type ParameterType = "String" | "StringList" | "StringMap" | "Integer" | "Boolean";

export interface RunbookParameter {
  readonly type: ParameterType;
  readonly description: string;
  /** Omitted: the parameter is required. */
  readonly default?: string | readonly string[] | Readonly<Record<string, string>>;
  readonly allowedValues?: readonly string[];
  readonly allowedPattern?: string;
}

export type OutputType = "String" | "StringList" | "StringMap" | "Integer" | "Boolean";

export interface StepOutput {
  readonly Name: string;
  /** JSONPath into the step's result (`$.Payload.<key>` for aws:executeScript). */
  readonly Selector: string;
  readonly Type: OutputType;
}

/** A condition of aws:branch and aws:loop, as Automation evaluates them. */
export type Condition =
  | { readonly Variable: string; readonly Contains: string }
  | { readonly Variable: string; readonly StringEquals: string }
  | { readonly Variable: string; readonly NumericEquals: number }
  | { readonly Not: Condition };

export type Choice = Condition & { readonly NextStep: string };

interface StepBase {
  readonly name: string;
  readonly description: string;
  readonly onFailure?: "Abort";
  readonly maxAttempts?: number;
  readonly timeoutSeconds?: number;
  readonly nextStep?: string;
  readonly isEnd?: boolean;
}

export interface InvokeLambdaStep extends StepBase {
  readonly action: "aws:invokeLambdaFunction";
  readonly inputs: {
    readonly FunctionName: string;
    readonly InvocationType: "RequestResponse";
    /** The event as a JSON string (used when it is built by an earlier step). */
    readonly Payload?: string;
    /** The event as an object whose values may reference parameters and outputs. */
    readonly InputPayload?: Readonly<Record<string, string>>;
  };
}

export interface ExecuteScriptStep extends StepBase {
  readonly action: "aws:executeScript";
  readonly inputs: {
    readonly Runtime: "python3.11";
    readonly Handler: string;
    readonly Script: string;
    readonly InputPayload: Readonly<Record<string, string>>;
  };
  readonly outputs?: readonly StepOutput[];
}

export interface WaitForAwsResourcePropertyStep extends StepBase {
  readonly action: "aws:waitForAwsResourceProperty";
  readonly inputs: {
    readonly Service: string;
    readonly Api: string;
    readonly PropertySelector: string;
    readonly DesiredValues: readonly string[];
    /** The API's own request fields, e.g. `Name` and `VersionName` for ssm GetDocument. */
    readonly [requestField: string]: string | readonly string[];
  };
}

export interface RunCommandStep extends StepBase {
  readonly action: "aws:runCommand";
  readonly inputs: {
    readonly DocumentName: string;
    readonly Targets: readonly { readonly Key: string; readonly Values: string }[];
    readonly MaxConcurrency: string;
    readonly MaxErrors: string;
    readonly Parameters: Readonly<Record<string, string>>;
  };
}

export interface BranchStep extends StepBase {
  readonly action: "aws:branch";
  readonly inputs: { readonly Choices: readonly Choice[]; readonly Default?: string };
}

export interface SleepStep extends StepBase {
  readonly action: "aws:sleep";
  /** ISO 8601 duration, e.g. PT1M. */
  readonly inputs: { readonly Duration: string };
}

export interface LoopStep extends StepBase {
  readonly action: "aws:loop";
  readonly inputs: {
    /** Automation allows at most 100. */
    readonly MaxIterations: number;
    /** Evaluated after the steps ran; the loop repeats while it is true. */
    readonly LoopCondition: Condition;
    readonly Steps: readonly Step[];
  };
}

export type Step =
  | InvokeLambdaStep
  | ExecuteScriptStep
  | WaitForAwsResourcePropertyStep
  | RunCommandStep
  | BranchStep
  | SleepStep
  | LoopStep;

export interface AutomationDocument {
  readonly schemaVersion: "0.3";
  readonly description: string;
  readonly assumeRole: string;
  readonly parameters: Readonly<Record<string, RunbookParameter>>;
  readonly mainSteps: readonly Step[];
  /** `<step>.<output>` values the execution reports. */
  readonly outputs?: readonly string[];
}

/** `{{ name }}`: a reference to a parameter, a step output or an Automation variable. */
export function ref(name: string): string {
  return `{{ ${name} }}`;
}
