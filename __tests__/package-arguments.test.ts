/*
 * Package arguments as the node's SSM Agent takes them. The agent, not the SSM API, enforces these rules
 * (moto and CreateAssociation accept anything), so every install would fail on every node if aft-fleet
 * let them through:
 * - aws/amazon-ssm-agent agent/plugins/configurepackage/configurepackage.go, validateInput (agent
 *   3.0.222.0 and later): 'keys need to start with "SSM_" prefix in additional arguments from input'.
 * - SSM document plugin reference, aws:configurePackage, additionalArguments: "the additional argument
 *   input has a 4096 character limit. This limit includes all of the keys and values you define"; values
 *   may reference Parameter Store as {{ssm:parameter-name}}.
 * - agent/parameterstore/parameterstore.go: references match \{\{ *ssm:[/\w.-]+ *\}\} and are resolved
 *   on the node with GetParameters (node credentials, its account and Region); SecureString is refused.
 * - User Guide, Distributor prerequisites: "Systems Manager doesn't support distributing packages to
 *   Oracle Linux managed nodes by using Distributor."
 */
import { Testing } from "cdktf";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { argumentValueProblem, parameterReferences } from "../contract/patterns";
import { GlobalStack } from "../global-customizations/global";
import { ensureAssociation } from "../lambdas/controller/pair-association";
import { NotReadyError } from "../lambdas/controller/pair-errors";
import { ConfigError, loadConfig } from "../modules/config";
import type { FleetModel } from "../modules/config/model";
import { baseConfig, basePackageFiles, makeFixture } from "./helpers/fixture";

function load(mutate: (c: Record<string, any>) => void, files = basePackageFiles()): FleetModel {
  const config = baseConfig();
  mutate(config);
  const fx = makeFixture(config, files);
  try {
    return loadConfig(fx.configFile, "fleet.json");
  } finally {
    fx.cleanup();
  }
}

function refusal(mutate: (c: Record<string, any>) => void, files = basePackageFiles()): string {
  try {
    load(mutate, files);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("expected a ConfigError, but the config loaded");
}

describe("additionalArguments keys", () => {
  it("refuses a key without the SSM_ prefix, naming the field and the agent's rule", () => {
    expect(refusal((c) => (c.packages[0].additionalArguments = { LOG_LEVEL: "info" }))).toMatch(
      /fleet\.json: packages\[0\]\.additionalArguments\.LOG_LEVEL: got the key "LOG_LEVEL"; allowed: an environment variable name starting with "SSM_".*the SSM Agent refuses/,
    );
    expect(refusal((c) => (c.packages[0].additionalArguments = { ssm_level: "x" }))).toMatch(/additionalArguments\.ssm_level: got the key "ssm_level"/);
    expect(refusal((c) => (c.packages[0].additionalArguments = { SSM_: "x" }))).toMatch(/additionalArguments\.SSM_: got the key "SSM_"/);
  });

  it("accepts SSM_ keys and passes them on sorted", () => {
    const model = load((c) => (c.packages[0].additionalArguments = { SSM_SITE: "eu", SSM_LOG_LEVEL: "debug" }));
    expect(Object.keys(model.packages[0]!.additionalArguments)).toEqual(["SSM_LOG_LEVEL", "SSM_SITE"]);
  });

  it("refuses more than 4,096 characters of keys and values", () => {
    const fits = { SSM_A: "x".repeat(4096 - '{"SSM_A":""}'.length) };
    expect(load((c) => (c.packages[0].additionalArguments = fits)).packages[0]!.additionalArguments.SSM_A).toHaveLength(fits.SSM_A.length);
    expect(refusal((c) => (c.packages[0].additionalArguments = { SSM_A: `${fits.SSM_A}y` }))).toMatch(
      /packages\[0\]\.additionalArguments: got 1 arguments, 4097 characters as JSON; allowed: keys and values of at most 4096 characters/,
    );
  });
});

describe("Parameter Store references in values", () => {
  it("finds references the way the agent does", () => {
    expect(parameterReferences("{{ssm:/aft-fleet/a}} and {{ ssm:/aft-fleet/b.c-d_e }}")).toEqual(["/aft-fleet/a", "/aft-fleet/b.c-d_e"]);
    expect(argumentValueProblem("plain ${text} %{x} $VAR")).toBeUndefined();
    expect(argumentValueProblem("key={{ssm:/aft-fleet/example/key}}")).toBeUndefined();
  });

  it.each([
    ["a parameter outside /aft-fleet/", "{{ssm:/crowdstrike/cid}}", /names no parameter below \/aft-fleet\//],
    ["a name without the leading folder", "{{ssm:aft-fleet-key}}", /names no parameter below \/aft-fleet\//],
    ["ssm-secure (the agent does not resolve it)", "{{ssm-secure:/aft-fleet/key}}", /not a \{\{ssm:name\}\} reference/],
    ["a document parameter", "{{ action }}", /not a \{\{ssm:name\}\} reference/],
    ["a reference with a space inside the name", "{{ssm:/aft-fleet/a b}}", /not a \{\{ssm:name\}\} reference/],
  ])("refuses %s", (_name, value, message) => {
    expect(refusal((c) => (c.packages[0].additionalArguments = { SSM_KEY: value }))).toMatch(new RegExp(`packages\\[0\\]\\.additionalArguments\\.SSM_KEY: .*${message.source}`));
  });

  it("grants nodes exactly what resolving a reference needs, in every account", () => {
    const model = load((c) => (c.packages[0].additionalArguments = { SSM_KEY: "{{ssm:/aft-fleet/test/key}}" }));
    const app = Testing.app({ fakeCdktfJsonPath: true });
    const global = JSON.parse(Testing.synth(new GlobalStack(app, "global", model, { homeRegion: "us-east-1", mode: "aft" })));
    const policies = Object.values(global.resource.aws_iam_policy ?? {}) as Array<{ name: string; policy: string }>;
    const policy = policies.find((p) => p.name === "aft-fleet-package-parameters");
    expect(policy).toBeDefined();
    const doc = JSON.parse(policy!.policy);
    // Only reads (never decrypt: the agent refuses SecureString), only this account's /aft-fleet/ names.
    expect(doc.Statement).toEqual([
      { Sid: "ResolvePackageArguments", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: ["arn:aws:ssm:*:${data.aws_caller_identity.package_parameters_account.account_id}:parameter/aft-fleet/*"] },
    ]);
  });

  it("emits no node policy when no argument references Parameter Store", () => {
    const model = load((c) => (c.packages[0].additionalArguments = { SSM_KEY: "plain" }));
    const app = Testing.app({ fakeCdktfJsonPath: true });
    const global = JSON.parse(Testing.synth(new GlobalStack(app, "global", model, { homeRegion: "us-east-1", mode: "aft" })));
    const names = Object.values(global.resource.aws_iam_policy ?? {}).map((p: any) => p.name);
    expect(names).not.toContain("aft-fleet-package-parameters");
  });
});

/** An association spec of the package flow with these arguments. */
const spec = (additionalArguments: Record<string, string>) => ({
  name: "aft-fleet-TestAgent",
  documentName: "TestAgent",
  version: "1.0.0",
  action: "Install" as const,
  installationType: "Uninstall and reinstall" as const,
  additionalArguments,
  targets: [],
  scheduleExpression: "rate(1 day)",
  maxConcurrency: "10%",
  maxErrors: "5%",
  complianceSeverity: "HIGH" as const,
});

describe("the controller refuses what the agent refuses before calling SSM", () => {
  const sent: unknown[] = [];
  const ssm = { send: async (command: unknown) => (sent.push(command), {}) } as unknown as SSMClient;

  it.each([
    ["a key without SSM_", { LOG_LEVEL: "info" }, "additionalArguments.LOG_LEVEL"],
    ["a value with a stray {{", { SSM_X: "{{ssm-secure:/aft-fleet/k}}" }, "additionalArguments.SSM_X"],
    ["4,097 characters", { SSM_A: "x".repeat(4097 - '{"SSM_A":""}'.length) }, "additionalArguments"],
  ])("%s", async (_name, args, field) => {
    await expect(ensureAssociation(ssm, spec(args))).rejects.toMatchObject({ name: "PairInputError", field });
    expect(sent).toEqual([]);
  });
});

describe("the controller checks referenced parameters in the member account and Region", () => {
  // SSM API Reference, GetParameters: Names holds 1-10 names; names that do not exist come back in
  // InvalidParameters, not as an error. The stub refuses more than 10 names as the API does.
  function parameterStore(params: Record<string, "String" | "SecureString">) {
    const calls: string[][] = [];
    const ssm = {
      send: async (command: any) => {
        const name = command.constructor.name;
        if (name === "GetParametersCommand") {
          const names: string[] = command.input.Names;
          if (names.length < 1 || names.length > 10) throw Object.assign(new Error("Names: 1-10 items"), { name: "ValidationException" });
          calls.push(names);
          return { Parameters: names.filter((n) => n in params).map((n) => ({ Name: n, Type: params[n] })), InvalidParameters: names.filter((n) => !(n in params)) };
        }
        if (name === "ListAssociationsCommand") return { Associations: [] };
        if (name === "CreateAssociationCommand") return { AssociationDescription: { AssociationId: "a-1", AssociationVersion: "1" } };
        throw new Error(`unexpected ${name}`);
      },
    } as unknown as SSMClient;
    return { ssm, calls };
  }

  it("creates the association when every referenced String parameter exists", async () => {
    const store = parameterStore({ "/aft-fleet/a": "String" });
    await expect(ensureAssociation(store.ssm, spec({ SSM_A: "{{ssm:/aft-fleet/a}}", SSM_B: "x" }))).resolves.toMatchObject({ action: "created" });
    expect(store.calls).toEqual([["/aft-fleet/a"]]);
  });

  it("makes a pair with a missing parameter NotReady (retried next run), never Failed", async () => {
    const store = parameterStore({ "/aft-fleet/a": "String" });
    const refs = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`SSM_P${i}`, `{{ssm:/aft-fleet/p${String(i).padStart(2, "0")}}}`]));
    const error = await ensureAssociation(store.ssm, spec({ ...refs, SSM_A: "{{ssm:/aft-fleet/a}}" })).catch((e) => e);
    expect(error).toBeInstanceOf(NotReadyError);
    expect(error.message).toMatch(/reference \/aft-fleet\/p00, .*\/aft-fleet\/p11, missing in this account and Region/);
    expect(store.calls.map((c) => c.length)).toEqual([10, 3]);
  });

  it("fails a pair whose reference is a SecureString, with the reason", async () => {
    const store = parameterStore({ "/aft-fleet/secret": "SecureString" });
    await expect(ensureAssociation(store.ssm, spec({ SSM_S: "{{ssm:/aft-fleet/secret}}" }))).rejects.toMatchObject({ name: "PairInputError", allowed: expect.stringMatching(/refuses SecureString/) });
  });
});

describe("platforms Distributor supports", () => {
  it("refuses Oracle Linux", () => {
    expect(refusal((c) => (c.packages[0].platforms = [{ platform: "oracle", arch: "x86_64", folder: "linux" }]))).toMatch(
      /packages\[0\]\.platforms\[0\]\.platform: got "oracle"; allowed: one of amazon, .*windows \(Distributor does not support Oracle Linux\)/,
    );
  });
});

describe("pins", () => {
  it("refuses a pin to a version the store does not publish, as it refuses such a release", () => {
    const message = refusal((c) => {
      c.packages[0].versions = ["1.0.0"];
      c.packages[0].rings[0].pin = "0.9.0";
    });
    expect(message).toMatch(/packages\[0\]\.rings\[0\]\.pin: got "0\.9\.0"; allowed: a version listed in packages\[0\]\.versions \(1\.0\.0\)/);
  });
});
