import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { CentralStack } from "../account-customizations/central";
import { GlobalStack } from "../global-customizations/global";
import { parseCollectResultsEvent } from "../lambdas/collect-results";
import { parseExpandTargetsEvent } from "../lambdas/expand-targets";
import { parseShareDocumentEvent } from "../lambdas/share-document";
import { parseStartRolloutEvent, startRollout } from "../lambdas/start-rollout";
import { loadConfig } from "../modules/config";
import type { FleetModel, RolloutRing } from "../modules/config/model";
import {
  ADMINISTRATION_ROLE_NAME,
  EXECUTION_ROLE_NAME,
  FAN_OUT_HANDLERS,
  INSTALL_RUNBOOK_NAME,
  MAX_RESULT_CHECKS,
  ROLLOUT_RUNBOOK_NAME,
  ROLLOUT_SCRIPT,
  rolloutParameters,
} from "../modules/automation";
import type { AutomationDocument, Step } from "../modules/automation";
import { trustPolicy } from "../modules/iam/policy";
import { buildLambdas } from "../scripts/build-lambdas";
import { baseConfig, basePackageFiles, makeFixture } from "./helpers/fixture";
import { stubSend } from "./lambdas/stub";

type Json = any;

const CENTRAL = "222222222222";
const ORG = "o-abcdef1234";
const ADMIN_ARN = `arn:aws:iam::${CENTRAL}:role/${ADMINISTRATION_ROLE_NAME}`;
const COMPLETE = '"status":"Complete"';

/**
 * Actions whose statements may use `"Resource": "*"`: each supports no resource-level permissions.
 * A new `*` statement must be justified here and in the construct's code comment.
 */
const STAR_RESOURCE_ACTIONS = new Set([
  "organizations:ListAccountsForParent",
  "organizations:ListOrganizationalUnitsForParent",
  "ssm:DescribeAutomationExecutions",
  "cloudwatch:PutMetricData",
  "ec2:DescribeInstances",
  "ssm:DescribeInstanceInformation",
  "ssm:GetCommandInvocation",
  "ssm:ListCommandInvocations",
  "ssm:ListCommands",
  "tag:GetResources",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
]);

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === "string" ? [v] : v);
const values = (json: Json, type: string): Record<string, Json> => json.resource?.[type] ?? {};
const only = (json: Json, type: string, key: string): Json => {
  const found = values(json, type)[key];
  if (!found) throw new Error(`no ${type}.${key}; have ${Object.keys(values(json, type)).join(", ")}`);
  return found;
};

let bundleDir: string;
const fixtures: { cleanup(): void }[] = [];

beforeAll(async () => {
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-automation-test-"));
  await buildLambdas(bundleDir);
}, 120_000);
afterAll(() => {
  fs.rmSync(bundleDir, { recursive: true, force: true });
  for (const fx of fixtures) fx.cleanup();
});

/** The example organization (one OU ring), and a fixture whose ring targets one account's nodes by tag. */
function exampleModel(): FleetModel {
  return loadConfig(path.join(__dirname, "..", "examples", "fleet.yaml"));
}
function canaryModel(): FleetModel {
  const config = baseConfig();
  config.packages[0].rings = [
    { name: "canary", version: "1.0.0", targets: "canary", maxConcurrency: "1", maxErrors: "0", schedule: "cron(0 2 ? * MON *)" },
  ];
  const fx = makeFixture(config, basePackageFiles());
  fixtures.push(fx);
  return loadConfig(fx.configFile);
}

/** Runs `fn` once, on first use (inside a test, after beforeAll built the bundles). */
function memo<T>(fn: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: fn() }).v;
}

function synthCentral(model: FleetModel): { out: string; json: Json } {
  const app = Testing.fakeCdktfJsonPath(Testing.app());
  const stack = new CentralStack(app, "central", model, { homeRegion: model.organization.homeRegion, mode: "aft" }, { lambdaBundleDir: bundleDir });
  const out = Testing.synth(stack);
  return { out, json: JSON.parse(out) };
}
function synthGlobal(model: FleetModel): { out: string; json: Json } {
  const app = Testing.fakeCdktfJsonPath(Testing.app());
  const stack = new GlobalStack(app, "global", model, { homeRegion: model.organization.homeRegion, mode: "aft" });
  const out = Testing.synth(stack);
  return { out, json: JSON.parse(out) };
}

/** Every identity policy (role policies) and every resource policy (KMS key policies) of a stack. */
function identityPolicies(json: Json): Array<{ where: string; doc: Json }> {
  return Object.entries(values(json, "aws_iam_role_policy")).map(([k, v]) => ({ where: k, doc: JSON.parse(v.policy) }));
}
function trustPolicies(json: Json): Array<{ where: string; doc: Json }> {
  return Object.entries(values(json, "aws_iam_role")).map(([k, v]) => ({ where: k, doc: JSON.parse(v.assume_role_policy) }));
}
function statement(doc: Json, sid: string): Json {
  const found = doc.Statement.find((s: Json) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(doc)}`);
  return found;
}
const centralCanary = memo(() => synthCentral(canaryModel()));
const centralExample = memo(() => synthCentral(exampleModel()));
const globalExample = memo(() => synthGlobal(exampleModel()));
const globalCanary = memo(() => synthGlobal(canaryModel()));

function runbook(json: Json, key: string): AutomationDocument {
  return JSON.parse(only(json, "aws_ssm_document", key).content) as AutomationDocument;
}
function step(doc: AutomationDocument, name: string): Json {
  const all = doc.mainSteps.flatMap((s: Step) => (s.action === "aws:loop" ? [s, ...s.inputs.Steps] : [s]));
  const found = all.find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name}`);
  return found;
}

describe("AutomationExecution: the member side, in every account", () => {
  const json = () => globalExample().json;
  const out = () => globalExample().out;
  const role = () => only(json(), "aws_iam_role", "automation_execution_role");
  const policy = () => JSON.parse(only(json(), "aws_iam_role_policy", "automation_execution_policy").policy);

  it("is assumable only by the central account's administration role, inside the organization", () => {
    expect(out()).toHaveResourceWithProperties(IamRole, { name: EXECUTION_ROLE_NAME });
    const trust = JSON.parse(role().assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Sid: "CentralAutomationAdministration",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::222222222222:root" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" },
          ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/aft-fleet-automation-administration" },
        },
      },
    ]);
    // Never the member's own account (the seed defect), never a service; the central account only
    // through its administration role.
    expect(role().assume_role_policy).not.toContain("aws_caller_identity");
    expect(trust.Statement[0].Principal.Service).toBeUndefined();
  });

  it("may send only AWS-ConfigureAWSPackage, to this account's nodes, and pass only itself", () => {
    const send = statement(policy(), "SendConfigurePackageCommand");
    expect(send.Action).toBe("ssm:SendCommand");
    for (const arn of asList(send.Resource)) {
      expect(arn).toMatch(/^arn:aws:(ssm:[a-z0-9-]+::document\/AWS-ConfigureAWSPackage|ec2:[a-z0-9-]+:\$\{data\.aws_caller_identity\.\w+\.account_id\}:instance\/\*|ssm:[a-z0-9-]+:\$\{data\.aws_caller_identity\.\w+\.account_id\}:managed-instance\/\*)$/);
    }
    const pass = statement(policy(), "PassOwnRoleToAutomation");
    expect(pass.Resource).toMatch(/^arn:aws:iam::\$\{data\.aws_caller_identity\.\w+\.account_id\}:role\/aft-fleet-automation-execution$/);
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } });
    expect(asList(statement(policy(), "ReadPackageAndRunbookDocuments").Resource)).toContain("arn:aws:ssm:eu-west-1:222222222222:document/ExampleAgent");
  });

  it("creates aft-fleet-InstallPackage in every workload Region, running AWS-ConfigureAWSPackage with rate control", () => {
    for (const region of ["us-east-1", "eu-west-1"]) {
      expect(out()).toHaveResourceWithProperties(SsmDocument, {
        name: INSTALL_RUNBOOK_NAME,
        region,
        document_type: "Automation",
        document_format: "JSON",
      });
    }
    const doc = runbook(json(), "automation_execution_eu_west_1_install_runbook");
    expect(doc.schemaVersion).toBe("0.3");
    expect(doc.assumeRole).toBe("{{ AutomationAssumeRole }}");
    expect(doc.mainSteps).toHaveLength(1);
    const run = step(doc, "installPackage");
    expect(run.action).toBe("aws:runCommand");
    expect(run.inputs.DocumentName).toBe("AWS-ConfigureAWSPackage");
    expect(run.inputs.Targets).toEqual([{ Key: "{{ targetKey }}", Values: "{{ targetValues }}" }]);
    expect(run.inputs.MaxConcurrency).toBe("{{ maxConcurrency }}");
    expect(run.inputs.MaxErrors).toBe("{{ maxErrors }}");
    expect(Object.keys(run.inputs.Parameters).sort()).toEqual(["action", "additionalArguments", "installationType", "name", "version"]);
    // The package is the central account's document shared into this Region, addressed by ARN.
    expect(run.inputs.Parameters.name).toBe("arn:aws:ssm:{{ global:REGION }}:{{ packageOwnerAccount }}:document/{{ packageName }}");
    expect(doc.parameters.installationType!.allowedValues).toEqual(["Uninstall and reinstall", "In-place update"]);
    expect(doc.parameters.targetValues!.type).toBe("StringList");
  });

  it("outputs the execution role ARN and the runbook name", () => {
    expect(Object.keys(json().output)).toEqual(expect.arrayContaining(["automation_execution_role_arn", "automation_execution_install_runbook_name"]));
  });
});

describe("AutomationAdministration: the central account's fan-out", () => {
  let model: FleetModel;
  let out: string;
  let json: Json;
  beforeAll(() => {
    model = canaryModel();
    ({ out, json } = centralCanary());
  });

  it("has an administration role that only Automation in the central account may assume", () => {
    const trust = JSON.parse(only(json, "aws_iam_role", "automation_administration_role").assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Sid: "AutomationInThisAccount",
        Effect: "Allow",
        Principal: { Service: "ssm.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": CENTRAL } },
      },
    ]);
  });

  it("lets the administration role assume only the execution role, only in the organization, and pass only itself", () => {
    const policy = JSON.parse(only(json, "aws_iam_role_policy", "automation_administration_policy").policy);
    const assume = policy.Statement.filter((s: Json) => asList(s.Action).includes("sts:AssumeRole"));
    expect(assume).toEqual([
      {
        Sid: "AssumeMemberExecutionRoles",
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Resource: `arn:aws:iam::*:role/${EXECUTION_ROLE_NAME}`,
        Condition: { StringEquals: { "aws:ResourceOrgID": ORG } },
      },
    ]);
    const pass = policy.Statement.filter((s: Json) => asList(s.Action).includes("iam:PassRole"));
    expect(pass.map((s: Json) => s.Resource)).toEqual([ADMIN_ARN]);
    expect(statement(policy, "InvokeFanOutFunctions").Resource).toEqual(
      FAN_OUT_HANDLERS.map((h) => `arn:aws:lambda:us-east-1:${CENTRAL}:function:aft-fleet-${h}`),
    );
  });

  it("deploys the four handlers from the esbuild bundles, zipped by archive_file, on Node.js arm64", () => {
    for (const handler of FAN_OUT_HANDLERS) {
      const key = `automation_administration_${handler.replace(/-/g, "_")}`;
      const zip = json.data.archive_file[`${key}_zip`];
      expect(zip).toMatchObject({ type: "zip", output_file_mode: "0644", output_path: `.aft-fleet-build/lambdas/${handler}.zip` });
      expect(zip.source_dir).toMatch(new RegExp(`^assets/${key}_source/[0-9A-F]{32}$`));
      const fn = only(json, "aws_lambda_function", `${key}_function`);
      expect(fn).toMatchObject({
        function_name: `aft-fleet-${handler}`,
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        handler: "index.handler",
        region: "us-east-1",
        filename: `\${data.archive_file.${key}_zip.output_path}`,
        source_code_hash: `\${data.archive_file.${key}_zip.output_base64sha256}`,
        role: `\${aws_iam_role.${key}_role.arn}`,
        tracing_config: { mode: "Active" },
      });
      expect(fn.timeout).toBeLessThan(300);
      expect(fn.depends_on).toContain(`aws_cloudwatch_log_group.${key}_log_group`);
    }
    expect(out).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/aft-fleet-collect-results",
      retention_in_days: 365,
      kms_key_id: "${aws_kms_key.automation_administration_log_key.arn}",
    });
    expect(out).toHaveResourceWithProperties(LambdaFunction, { function_name: "aft-fleet-collect-results", timeout: 240 });
  });

  it("gives each Lambda role only its handler's API calls", () => {
    const policy = (handler: string) => JSON.parse(only(json, "aws_iam_role_policy", `automation_administration_${handler}_policy`).policy);
    const actions = (handler: string) => policy(handler).Statement.flatMap((s: Json) => asList(s.Action)).sort();
    const base = ["logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"];
    expect(actions("expand_targets")).toEqual(
      [...base, "organizations:DescribeAccount", "organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"].sort(),
    );
    expect(actions("share_document")).toEqual([...base, "ssm:ModifyDocumentPermission"].sort());
    expect(statement(policy("share_document"), "SharePackageDocuments").Resource).toEqual([
      `arn:aws:ssm:us-east-1:${CENTRAL}:document/TestAgent`,
      `arn:aws:ssm:eu-west-1:${CENTRAL}:document/TestAgent`,
    ]);
    const start = policy("start_rollout");
    expect(statement(start, "StartInstallRunbook").Resource).toBe(`arn:aws:ssm:us-east-1:${CENTRAL}:automation-definition/${INSTALL_RUNBOOK_NAME}:*`);
    expect(statement(start, "PassAdministrationRole")).toMatchObject({ Resource: ADMIN_ARN, Condition: { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } } });
    const collect = policy("collect_results");
    expect(statement(collect, "PublishRolloutMetric").Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "AftFleet" } });
    for (const doc of [start, collect]) {
      expect(statement(doc, "ReadWriteRunState").Resource).toBe(`arn:aws:s3:::aft-fleet-packages-${CENTRAL}-us-east-1/rollouts/*`);
      expect(statement(doc, "UseStoreKeyThroughS3").Condition).toEqual({ StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
    }
    for (const handler of ["expand_targets", "share_document", "start_rollout", "collect_results"]) {
      expect(statement(policy(handler), "WriteOwnLogs").Resource).toBe(
        `arn:aws:logs:us-east-1:${CENTRAL}:log-group:/aws/lambda/aft-fleet-${handler.replace(/_/g, "-")}:*`,
      );
    }
  });

  it("outputs the administration role ARN, the runbook name and the Lambda names", () => {
    expect(json.output.automation_administration_role_arn.value).toBe("${aws_iam_role.automation_administration_role.arn}");
    expect(json.output.automation_administration_rollout_runbook_name.value).toBe("${aws_ssm_document.automation_administration_rollout_runbook.name}");
    expect(Object.keys(json.output.automation_administration_function_names.value).sort()).toEqual([...FAN_OUT_HANDLERS].sort());
  });

  it("refuses to synthesize without the Lambda bundles", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-no-bundles-"));
    try {
      const app = Testing.fakeCdktfJsonPath(Testing.app());
      expect(() => new CentralStack(app, "central", model, { homeRegion: "us-east-1", mode: "aft" }, { lambdaBundleDir: empty })).toThrow(
        /no bundle at .*expand-targets.*buildLambdas/,
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("IAM across both stacks", () => {
  let stacks: Json[];
  beforeAll(() => {
    stacks = [centralCanary().json, globalExample().json];
  });

  it('has no "Action": "*" and no service-wide wildcard in any role policy', () => {
    for (const json of stacks) {
      for (const { where, doc } of identityPolicies(json)) {
        for (const s of doc.Statement) {
          for (const action of asList(s.Action)) expect({ where, action, ok: action !== "*" && !action.endsWith(":*") }).toEqual({ where, action, ok: true });
        }
      }
    }
  });

  it('uses "Resource": "*" only for actions without resource-level permissions', () => {
    let starStatements = 0;
    for (const json of stacks) {
      for (const { where, doc } of identityPolicies(json)) {
        for (const s of doc.Statement.filter((x: Json) => asList(x.Resource).includes("*"))) {
          starStatements++;
          for (const action of asList(s.Action)) expect({ where, sid: s.Sid, action, allowed: STAR_RESOURCE_ACTIONS.has(action) }).toMatchObject({ allowed: true });
        }
      }
    }
    expect(starStatements).toBeGreaterThan(0);
  });

  it("trusts no wildcard principal, and an account root only when narrowed to one of its roles", () => {
    for (const json of stacks) {
      for (const { where, doc } of trustPolicies(json)) {
        for (const s of doc.Statement) {
          const principals = asList(s.Principal.AWS);
          const narrowed = principals
            .filter((p) => p.endsWith(":root"))
            .every((p) => {
              const roleArn: string | undefined = s.Condition?.ArnEquals?.["aws:PrincipalArn"];
              return roleArn !== undefined && roleArn.startsWith(p.replace(/:root$/, ":role/"));
            });
          expect({ where, wildcard: principals.includes("*"), narrowed }).toEqual({ where, wildcard: false, narrowed: true });
        }
      }
    }
  });

  it("has a trust-policy builder that refuses a wildcard or missing principal", () => {
    expect(() => trustPolicy({ Sid: "Any", Effect: "Allow", Principal: { AWS: ["arn:aws:iam::111111111111:role/x", "*"] }, Action: "sts:AssumeRole" })).toThrow(
      /Any: a "\*" principal is not allowed/,
    );
    expect(() => trustPolicy({ Sid: "Nobody", Effect: "Allow", Principal: {}, Action: "sts:AssumeRole" })).toThrow(/Nobody: names no principal/);
  });

  it("uses the same execution role name on both sides", () => {
    const [central, global] = stacks;
    const plan = step(runbook(central, "automation_administration_rollout_runbook"), "planRollout");
    expect(plan.inputs.InputPayload.executionRoleName).toBe(only(global, "aws_iam_role", "automation_execution_role").name);
    expect(plan.inputs.InputPayload.runbookName).toBe(INSTALL_RUNBOOK_NAME);
  });
});

describe("aft-fleet-RolloutPackage runbook", () => {
  let out: string;
  let doc: AutomationDocument;
  let content: string;
  beforeAll(() => {
    const central = centralCanary();
    out = central.out;
    doc = runbook(central.json, "automation_administration_rollout_runbook");
    content = only(central.json, "aws_ssm_document", "automation_administration_rollout_runbook").content;
  });

  it("is a JSON Automation document in the home Region with the rollout parameters", () => {
    expect(out).toHaveResourceWithProperties(SsmDocument, {
      name: ROLLOUT_RUNBOOK_NAME,
      region: "us-east-1",
      document_type: "Automation",
      document_format: "JSON",
    });
    expect(content).not.toContain("${"); // static JSON: nothing for Terraform to interpolate
    expect(doc.schemaVersion).toBe("0.3");
    expect(doc.assumeRole).toBe("{{ AutomationAssumeRole }}");
    expect(Object.keys(doc.parameters).sort()).toEqual(
      [
        "AutomationAssumeRole",
        "accounts",
        "action",
        "additionalArguments",
        "installationType",
        "maxConcurrency",
        "maxErrors",
        "organizationalUnits",
        "packageName",
        "packageVersion",
        "regions",
        "ring",
        "targetKey",
        "targetValues",
      ].sort(),
    );
    // Required: no default.
    for (const name of ["AutomationAssumeRole", "packageName", "packageVersion", "regions"]) expect(doc.parameters[name]!.default).toBeUndefined();
  });

  it("expands, shares, waits for the package, starts, then loops on collect-results until Complete", () => {
    expect(doc.mainSteps.map((s) => `${s.name}:${s.action}`)).toEqual([
      "planTargets:aws:executeScript",
      "expandTargets:aws:invokeLambdaFunction",
      "planRollout:aws:executeScript",
      "sharePackage:aws:invokeLambdaFunction",
      "waitForPackage:aws:waitForAwsResourceProperty",
      "startRollout:aws:invokeLambdaFunction",
      "awaitResults:aws:loop",
      "collectResults:aws:invokeLambdaFunction",
      "checkComplete:aws:branch",
      "reportResults:aws:executeScript",
      "rolloutIncomplete:aws:executeScript",
    ]);
    expect(step(doc, "expandTargets").inputs.FunctionName).toBe("aft-fleet-expand-targets");
    expect(step(doc, "sharePackage").inputs.FunctionName).toBe("aft-fleet-share-document");
    expect(step(doc, "startRollout").inputs.FunctionName).toBe("aft-fleet-start-rollout");
    expect(step(doc, "waitForPackage").inputs).toEqual({
      Service: "ssm",
      Api: "GetDocument",
      Name: "{{ packageName }}",
      VersionName: "{{ packageVersion }}",
      PropertySelector: "$.Status",
      DesiredValues: ["Active"],
    });

    const loop = step(doc, "awaitResults");
    expect(loop.inputs.MaxIterations).toBe(MAX_RESULT_CHECKS);
    expect(loop.inputs.MaxIterations).toBeLessThanOrEqual(100);
    expect(loop.inputs.LoopCondition).toEqual({ Not: { Variable: "{{ pollResults.Payload }}", Contains: COMPLETE } });
    expect(loop.inputs.Steps.map((s: Json) => `${s.name}:${s.action}`)).toEqual(["pauseBeforePoll:aws:sleep", "pollResults:aws:invokeLambdaFunction"]);
    expect(step(doc, "pollResults").inputs.FunctionName).toBe("aft-fleet-collect-results");

    expect(step(doc, "collectResults").inputs.FunctionName).toBe("aft-fleet-collect-results");
    expect(step(doc, "checkComplete").inputs).toEqual({
      Choices: [{ NextStep: "reportResults", Variable: "{{ collectResults.Payload }}", Contains: COMPLETE }],
      Default: "rolloutIncomplete",
    });
    for (const s of doc.mainSteps.filter((x) => x.action === "aws:invokeLambdaFunction" || x.action === "aws:executeScript")) {
      expect({ step: s.name, timeout: s.timeoutSeconds! <= 300 }).toEqual({ step: s.name, timeout: true });
    }
  });

  it("references only declared parameters, earlier steps' outputs and Automation variables", () => {
    const declared = new Set(Object.keys(doc.parameters));
    const seen = new Set<string>();
    const outputsOf = (s: Json): string[] => {
      if (s.action === "aws:invokeLambdaFunction") return [`${s.name}.Payload`];
      return (s.outputs ?? []).map((o: Json) => `${s.name}.${o.Name}`);
    };
    const check = (s: Json, available: Set<string>) => {
      const text = JSON.stringify({ ...s, name: undefined, outputs: undefined, inputs: s.action === "aws:loop" ? { ...s.inputs, Steps: undefined } : s.inputs });
      for (const [, name] of text.matchAll(/\{\{ ([^}]+) \}\}/g)) {
        const ok = declared.has(name!) || available.has(name!) || /^(automation|global):[A-Z_]+$/.test(name!);
        expect({ step: s.name, name, ok }).toEqual({ step: s.name, name, ok: true });
        seen.add(name!);
      }
    };
    const available = new Set<string>();
    for (const s of doc.mainSteps as Json[]) {
      if (s.action === "aws:loop") {
        for (const inner of s.inputs.Steps) {
          check(inner, available);
          for (const o of outputsOf(inner)) available.add(o);
        }
        check(s, available); // the condition is evaluated after the loop's steps ran
      } else {
        check(s, available);
        for (const o of outputsOf(s)) available.add(o);
      }
    }
    expect(seen).toContain("automation:EXECUTION_ID");
    expect([...declared].filter((p) => p !== "AutomationAssumeRole" && !seen.has(p))).toEqual([]);
  });
});

/** Substitutes `{{ name }}` references in a step's InputPayload the way Automation does. */
function resolve(payload: Record<string, string>, vars: Record<string, unknown>): Record<string, unknown> {
  const lookup = (name: string) => {
    if (!(name in vars)) throw new Error(`test has no value for {{ ${name} }}`);
    return vars[name];
  };
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => {
      const whole = /^\{\{ ([^}]+) \}\}$/.exec(v);
      return [k, whole ? lookup(whole[1]!) : v.replace(/\{\{ ([^}]+) \}\}/g, (_m, name: string) => String(lookup(name)))];
    }),
  );
}

const pythonAvailable = spawnSync("python3", ["--version"]).status === 0;

function runScript(handler: string, events: Record<string, unknown>): { result?: Json; error?: string } {
  const runner = `${ROLLOUT_SCRIPT}\nimport sys\ntry:\n    print(json.dumps({"result": ${handler}(json.load(sys.stdin), None)}))\nexcept Exception as e:\n    print(json.dumps({"error": str(e)}))\n`;
  const run = spawnSync("python3", ["-c", runner], { input: JSON.stringify(events), encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

(pythonAvailable ? describe : describe.skip)("RolloutPackage glue scripts feed the Lambdas the events they accept", () => {
  const runId = "0b6e5f0e-1234-4cde-9abc-0123456789ab";
  const expanded = { accounts: ["333333333333", "444444444444"], groups: [["333333333333", "444444444444"]], skipped: [{ accountId: "555555555555", reason: "excluded" }] };
  let doc: AutomationDocument;
  let install: AutomationDocument;
  let vars: Record<string, unknown>;
  beforeAll(() => {
    const { json } = centralCanary();
    doc = runbook(json, "automation_administration_rollout_runbook");
    install = runbook(globalCanary().json, "automation_execution_us_east_1_install_runbook");
    const association = only(json, "aws_ssm_association", "test_agent_rollout_canary_association");
    const defaults = Object.fromEntries(Object.entries(doc.parameters).map(([k, p]) => [k, p.default]));
    // What State Manager hands the runbook: the association's strings over the defaults (StringMap parsed).
    const params: Record<string, unknown> = { ...defaults, ...association.parameters, AutomationAssumeRole: ADMIN_ARN };
    params.additionalArguments = JSON.parse((association.parameters.additionalArguments as string | undefined) ?? "{}");
    vars = { ...params, "automation:EXECUTION_ID": runId, "expandTargets.Payload": JSON.stringify(expanded) };
  });

  it("builds the expand-targets event from comma-separated parameters", () => {
    const plan = runScript("expand_event", resolve(step(doc, "planTargets").inputs.InputPayload, vars));
    expect(plan.error).toBeUndefined();
    const event = JSON.parse(plan.result.Event);
    expect(parseExpandTargetsEvent(event)).toMatchObject({ organizationalUnits: [], accounts: ["333333333333"] });
  });

  it("builds share-document and start-rollout events the handlers accept, for the member runbook's parameters", async () => {
    const plan = runScript("rollout_events", resolve(step(doc, "planRollout").inputs.InputPayload, vars));
    expect(plan.error).toBeUndefined();
    expect(plan.result.AccountCount).toBe(2);
    const share = parseShareDocumentEvent(JSON.parse(plan.result.ShareDocumentEvent));
    expect(share).toEqual({
      documentName: "TestAgent",
      regions: ["us-east-1", "eu-west-1"],
      accounts: expanded.accounts,
      selfAccountId: CENTRAL,
      sharedDocumentVersion: "$ALL",
    });
    const startEvent = JSON.parse(plan.result.StartRolloutEvent);
    const parsed = parseStartRolloutEvent(startEvent);
    expect(parsed).toMatchObject({
      runId,
      runbookName: INSTALL_RUNBOOK_NAME,
      groups: expanded.groups,
      regions: ["us-east-1", "eu-west-1"],
      executionRoleName: EXECUTION_ROLE_NAME,
      maxConcurrency: "1",
      maxErrors: "0",
      bucket: `aft-fleet-packages-${CENTRAL}-us-east-1`,
      summaryPrefix: "rollouts",
      homeRegion: "us-east-1",
    });
    // Every member-runbook parameter exists there and lists go as lists.
    expect(Object.keys(parsed.parameters).filter((p) => !(p in install.parameters))).toEqual([]);
    expect(parsed.parameters).toMatchObject({
      AutomationAssumeRole: [ADMIN_ARN],
      packageName: ["TestAgent"],
      packageOwnerAccount: [CENTRAL],
      packageVersion: ["1.0.0"],
      targetKey: ["tag:aft-fleet:ring"],
      targetValues: ["canary"],
      additionalArguments: ["{}"],
    });

    // And start-rollout turns it into the multi-account StartAutomationExecution call.
    const ssm = new SSMClient({ region: "us-east-1" });
    const s3 = new S3Client({ region: "us-east-1" });
    const sent = stubSend(ssm, () => ({ AutomationExecutionId: "exec-1" }));
    stubSend(s3, (command) => {
      if (command.name === "GetObject") throw Object.assign(new Error("missing"), { name: "NoSuchKey" });
      return {};
    });
    await startRollout(startEvent, { ssm, s3 });
    expect(sent).toHaveLength(2);
    expect(sent[0]!.input).toMatchObject({
      DocumentName: INSTALL_RUNBOOK_NAME,
      TargetLocations: [
        { Accounts: expanded.groups[0], Regions: ["us-east-1"], ExecutionRoleName: EXECUTION_ROLE_NAME, TargetLocationMaxConcurrency: "1", TargetLocationMaxErrors: "0" },
      ],
    });
  });

  it("gives collect-results an event it accepts", () => {
    const event = resolve(step(doc, "pollResults").inputs.InputPayload, vars);
    expect(parseCollectResultsEvent(event)).toMatchObject({ runId, packageName: "TestAgent", packageVersion: "1.0.0", ring: "canary", metricNamespace: "AftFleet" });
    expect(resolve(step(doc, "collectResults").inputs.InputPayload, vars)).toEqual(event);
  });

  it("fails the execution when a Lambda failed, a target failed, or the run did not complete", () => {
    const report = (payload: unknown) =>
      runScript("report_results", resolve(step(doc, "reportResults").inputs.InputPayload, { ...vars, "collectResults.Payload": JSON.stringify(payload) }));
    const done = { status: "Complete", runId, succeeded: 4, summaryKey: `rollouts/${runId}/summary.json` };
    expect(report({ ...done, failed: 0 }).result).toEqual({ Summary: expect.stringContaining("4 account-Region targets succeeded") });
    expect(report({ ...done, failed: 1 }).error).toMatch(/^1 of 5 account-Region targets failed; results: s3:\/\/aft-fleet-packages-.*summary\.json$/);
    expect(report({ errorType: "InputError", errorMessage: "bad" }).error).toMatch(/^collect-results failed/);
    const incomplete = runScript("rollout_incomplete", resolve(step(doc, "rolloutIncomplete").inputs.InputPayload, { ...vars, "collectResults.Payload": '{"status":"InProgress"}' }));
    expect(incomplete.error).toMatch(/still running/);
    const badExpand = runScript("rollout_events", resolve(step(doc, "planRollout").inputs.InputPayload, { ...vars, "expandTargets.Payload": '{"errorMessage":"AccessDenied"}' }));
    expect(badExpand.error).toMatch(/^expand-targets failed/);
  });
});

describe("RolloutAssociation: one per package ring, parameters from the model", () => {
  let model: FleetModel;
  let out: string;
  let json: Json;
  beforeAll(() => {
    model = canaryModel();
    ({ out, json } = centralCanary());
  });

  it("runs aft-fleet-RolloutPackage per ring on the ring's schedule with its targets, version and rate control", () => {
    expect(out).toHaveResourceWithProperties(SsmAssociation, {
      name: ROLLOUT_RUNBOOK_NAME,
      association_name: "aft-fleet-rollout-TestAgent-canary",
      region: "us-east-1",
      schedule_expression: "cron(0 2 ? * MON *)",
      apply_only_at_cron_interval: false,
      compliance_severity: "MEDIUM",
      parameters: {
        AutomationAssumeRole: "${aws_iam_role.automation_administration_role.arn}",
        packageName: "TestAgent",
        packageVersion: "1.0.0",
        action: "Install",
        installationType: "Uninstall and reinstall",
        accounts: "333333333333",
        targetKey: "tag:aft-fleet:ring",
        targetValues: "canary",
        regions: "us-east-1,eu-west-1",
        maxConcurrency: "1",
        maxErrors: "0",
        ring: "canary",
      },
    });
    expect(centralExample().out).toHaveResourceWithProperties(SsmAssociation, {
      association_name: "aft-fleet-rollout-ExampleAgent-all",
      schedule_expression: "rate(1 day)",
      compliance_severity: "HIGH",
      parameters: {
        AutomationAssumeRole: "${aws_iam_role.automation_administration_role.arn}",
        packageName: "ExampleAgent",
        packageVersion: "1.0.0",
        action: "Install",
        installationType: "In-place update",
        additionalArguments: '{"LOG_LEVEL":"info"}',
        organizationalUnits: "ou-ab12-sandbox01,ou-ab12-workload1",
        targetKey: "InstanceIds",
        targetValues: "*",
        regions: "us-east-1,eu-west-1",
        maxConcurrency: "10%",
        maxErrors: "5%",
        ring: "all",
      },
    });
    for (const assoc of [json, centralExample().json].flatMap((j) => Object.values<Json>(values(j, "aws_ssm_association")))) {
      expect(assoc.automation_target_parameter_name).toBeUndefined();
      expect(assoc.targets).toBeUndefined();
      expect(assoc.depends_on).toEqual(["aws_ssm_document.automation_administration_rollout_runbook"]);
    }
  });

  it("matches the runbook's parameter patterns", () => {
    const doc = runbook(json, "automation_administration_rollout_runbook");
    for (const assoc of [json, centralExample().json].flatMap((j) => Object.values<Json>(values(j, "aws_ssm_association")))) {
      for (const [name, value] of Object.entries<string>(assoc.parameters)) {
        const declared = doc.parameters[name];
        expect({ name, declared: declared !== undefined }).toEqual({ name, declared: true });
        if (declared?.allowedPattern && name !== "AutomationAssumeRole") expect({ name, value, ok: new RegExp(declared.allowedPattern).test(value) }).toMatchObject({ ok: true });
        if (declared?.allowedValues) expect(declared.allowedValues).toContain(value);
      }
    }
  });

  it("refuses a ring whose target group selects nodes by more than one tag key", () => {
    const pkg = model.packages[0]!;
    const ring: RolloutRing = { ...pkg.rings[0]!, targetGroup: { ...pkg.rings[0]!.targetGroup, instanceTags: { env: ["dev"], team: ["a"] } } };
    expect(() => rolloutParameters(pkg, ring, ["us-east-1"])).toThrow(/at most one tag key.*env, team/);
  });
});
