import * as fs from "node:fs";
import * as path from "node:path";
import {
  ANY_ACCOUNT,
  describeThing,
  externalNeeds,
  loadTree,
  parseTree,
  PROVIDER_REGION,
  provides,
  REASONS,
  runScenario,
  runStandardScenarios,
  TfJson,
  TfResource,
  TreePair,
} from "./helpers/lifecycle";

const FIXTURES = path.join(__dirname, "fixtures", "lifecycle");
const CENTRAL = "222222222222";
const MEMBER = "333333333333";
const STORE = "aft-fleet-packages-222222222222-us-east-1";

const readJson = (rel: string): TfJson => JSON.parse(fs.readFileSync(path.join(FIXTURES, rel), "utf8")) as TfJson;
const oldDesign = (): TreePair => ({ global: readJson("old-design/global.tf.json"), account: readJson("old-design/central.tf.json") });

/** A tree of `resource` blocks (type -> name -> attributes) and optional `data` blocks. */
function tree(resource: Record<string, Record<string, object>>, data: Record<string, Record<string, object>> = {}): TfJson {
  return { resource, data };
}

/** The resource at `address` of `json`. */
function at(json: TfJson, address: string): TfResource {
  const found = parseTree(json).find((r) => r.address === address);
  if (!found) throw new Error(`no ${address}`);
  return found;
}

const trust = (principal: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] });
const keyPolicy = (principal: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*" }] });
const CONTROLLER_ARN = `arn:aws:iam::${CENTRAL}:role/aft-fleet-controller`;

describe("loadTree", () => {
  it("reads resources and data sources with their addresses and transitive references", () => {
    const resources = loadTree(path.join(FIXTURES, "old-design", "central.tf.json"));
    expect(resources.map((r) => r.address)).toEqual([
      "aws_kms_key.package_store_key",
      "aws_s3_bucket_policy.package_store_policy",
      "aws_s3_bucket.package_store_bucket",
      "aws_s3_object.example_agent_1_0_0_upload_linux_zip",
      "aws_s3_object.example_agent_1_0_0_upload_manifest_json",
      "aws_s3_object.example_agent_1_0_0_upload_windows_zip",
      "data.archive_file.example_agent_1_0_0_artifacts_linux_zip",
      "data.archive_file.example_agent_1_0_0_artifacts_windows_zip",
    ]);
    const manifest = resources.find((r) => r.address === "aws_s3_object.example_agent_1_0_0_upload_manifest_json")!;
    expect(manifest.type).toBe("aws_s3_object");
    expect(manifest.attributes.key).toBe("ExampleAgent/1.0.0/manifest.json");
    // Through local.example_agent_1_0_0_artifacts_manifest to both zips, plus the bucket, key and policy.
    expect([...manifest.references].sort()).toEqual([
      "aws_kms_key.package_store_key",
      "aws_s3_bucket.package_store_bucket",
      "aws_s3_bucket_policy.package_store_policy",
      "data.archive_file.example_agent_1_0_0_artifacts_linux_zip",
      "data.archive_file.example_agent_1_0_0_artifacts_windows_zip",
    ]);
  });
});

describe("externalNeeds: one rule per resource type", () => {
  const cases: { rule: string; json: TfJson; address: string; needs: string[] }[] = [
    {
      rule: "aws_ssm_document SourceUrl in another tree's bucket",
      json: tree({ aws_ssm_document: { pkg: { name: "P", document_type: "Package", attachments_source: [{ key: "SourceUrl", values: [`s3://${STORE}/ExampleAgent/1.0.0/`] }] } } }),
      address: "aws_ssm_document.pkg",
      needs: [`s3://${STORE}/ExampleAgent/1.0.0/*`],
    },
    {
      rule: "aws_ssm_document S3FileUrl",
      json: tree({ aws_ssm_document: { cmd: { name: "C", document_type: "Command", attachments_source: { key: "S3FileUrl", values: [`s3://${STORE}/scripts/run.py`] } } } }),
      address: "aws_ssm_document.cmd",
      needs: [`s3://${STORE}/scripts/run.py`],
    },
    {
      rule: "aws_ssm_document without attachments",
      json: tree({ aws_ssm_document: { runbook: { name: "R", document_type: "Automation", content: "{}" } } }),
      address: "aws_ssm_document.runbook",
      needs: [],
    },
    {
      rule: "aws_ssm_document whose attachments the same tree uploads and it references",
      json: tree({
        aws_s3_bucket: { store: { bucket: "b" } },
        aws_s3_object: { zip: { bucket: "${aws_s3_bucket.store.id}", key: "P/1/linux.zip" } },
        aws_ssm_document: { pkg: { name: "P", attachments_source: [{ key: "SourceUrl", values: ["s3://${aws_s3_bucket.store.id}/P/1"] }], depends_on: ["aws_s3_object.zip"] } },
      }),
      address: "aws_ssm_document.pkg",
      needs: [],
    },
    {
      rule: "aws_iam_role trusting a role ARN",
      json: tree({ aws_iam_role: { r: { name: "m", assume_role_policy: trust({ AWS: CONTROLLER_ARN }) } } }),
      address: "aws_iam_role.r",
      needs: [CONTROLLER_ARN],
    },
    {
      rule: "aws_iam_role trusting an account root and a service",
      json: tree({ aws_iam_role: { r: { name: "m", assume_role_policy: trust({ AWS: [`arn:aws:iam::${CENTRAL}:root`, CENTRAL], Service: "ssm.amazonaws.com" }) } } }),
      address: "aws_iam_role.r",
      needs: [],
    },
    {
      rule: "aws_iam_role trusting a role through a policy-document data source",
      json: tree(
        { aws_iam_role: { r: { name: "m", assume_role_policy: "${data.aws_iam_policy_document.t.json}" } } },
        { aws_iam_policy_document: { t: { statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: [CONTROLLER_ARN] }] }] } } },
      ),
      address: "aws_iam_role.r",
      needs: [CONTROLLER_ARN],
    },
    {
      rule: "aws_kms_key granting a role ARN",
      json: tree({ aws_kms_key: { k: { policy: keyPolicy({ AWS: CONTROLLER_ARN }) } } }),
      address: "aws_kms_key.k",
      needs: [CONTROLLER_ARN],
    },
    {
      rule: "aws_kms_key granting the account root",
      json: tree({ aws_kms_key: { k: { policy: keyPolicy({ AWS: `arn:aws:iam::${CENTRAL}:root` }) } } }),
      address: "aws_kms_key.k",
      needs: [],
    },
    {
      rule: "aws_s3_bucket_policy granting a role ARN",
      json: tree({ aws_s3_bucket_policy: { p: { bucket: "${aws_s3_bucket.b.id}", policy: keyPolicy({ AWS: [CONTROLLER_ARN] }) } }, aws_s3_bucket: { b: { bucket: "b" } } }),
      address: "aws_s3_bucket_policy.p",
      needs: [CONTROLLER_ARN],
    },
    {
      rule: "aws_s3_bucket_policy granting * inside the organization",
      json: tree({ aws_s3_bucket_policy: { p: { bucket: "${aws_s3_bucket.b.id}", policy: keyPolicy("*") } }, aws_s3_bucket: { b: { bucket: "b" } } }),
      address: "aws_s3_bucket_policy.p",
      needs: [],
    },
    {
      rule: "aws_s3_object into a bucket of another tree",
      json: tree({ aws_s3_object: { o: { bucket: STORE, key: "a/b" } } }),
      address: "aws_s3_object.o",
      needs: [`s3://${STORE}`],
    },
    {
      rule: "aws_s3_object into a bucket of the same tree",
      json: tree({ aws_s3_bucket: { b: { bucket: "b" } }, aws_s3_object: { o: { bucket: "${aws_s3_bucket.b.id}", key: "a/b" } } }),
      address: "aws_s3_object.o",
      needs: [],
    },
    {
      rule: "aws_ssm_resource_data_sync to another tree's bucket",
      json: tree({ aws_ssm_resource_data_sync: { s: { name: "inv", s3_destination: { bucket_name: STORE, region: "us-east-1" } } } }),
      address: "aws_ssm_resource_data_sync.s",
      needs: [`s3://${STORE}`],
    },
    {
      rule: "aws_ssm_resource_data_sync to a bucket of the same tree",
      json: tree({ aws_s3_bucket: { b: { bucket: "b" } }, aws_ssm_resource_data_sync: { s: { name: "inv", s3_destination: [{ bucket_name: "${aws_s3_bucket.b.bucket}", region: "us-east-1" }] } } }),
      address: "aws_ssm_resource_data_sync.s",
      needs: [],
    },
    {
      rule: "aws_lambda_function with a literal role ARN",
      json: tree({ aws_lambda_function: { f: { function_name: "f", role: CONTROLLER_ARN } } }),
      address: "aws_lambda_function.f",
      needs: [CONTROLLER_ARN],
    },
    {
      rule: "aws_lambda_function with its own role",
      json: tree({ aws_iam_role: { r: { name: "f", assume_role_policy: trust({ Service: "lambda.amazonaws.com" }) } }, aws_lambda_function: { f: { function_name: "f", role: "${aws_iam_role.r.arn}" } } }),
      address: "aws_lambda_function.f",
      needs: [],
    },
    {
      rule: "aws_ssm_association of a document no tree here creates",
      json: tree({ aws_ssm_association: { a: { name: "ExampleAgent", region: "eu-west-1" } } }),
      address: "aws_ssm_association.a",
      needs: [`arn:aws:ssm:eu-west-1:${ANY_ACCOUNT}:document/ExampleAgent`],
    },
    {
      rule: "aws_ssm_association of an AWS-owned document",
      json: tree({ aws_ssm_association: { a: { name: "AWS-ConfigureAWSPackage" } } }),
      address: "aws_ssm_association.a",
      needs: [],
    },
    {
      rule: "data.aws_s3_object",
      json: tree({}, { aws_s3_object: { m: { bucket: STORE, key: "ExampleAgent/1.0.0/manifest.json" } } }),
      address: "data.aws_s3_object.m",
      needs: [`s3://${STORE}/ExampleAgent/1.0.0/manifest.json`],
    },
    {
      rule: "data.aws_s3_bucket",
      json: tree({}, { aws_s3_bucket: { b: { bucket: STORE } } }),
      address: "data.aws_s3_bucket.b",
      needs: [`s3://${STORE}`],
    },
    {
      rule: "data.aws_iam_role (in the applying account)",
      json: tree({}, { aws_iam_role: { r: { name: "aft-fleet-controller" } } }),
      address: "data.aws_iam_role.r",
      needs: [`arn:aws:iam::${ANY_ACCOUNT}:role/aft-fleet-controller`],
    },
    {
      rule: "data.aws_ssm_document",
      json: tree({}, { aws_ssm_document: { d: { name: "ExampleAgent" } } }),
      address: "data.aws_ssm_document.d",
      needs: [`arn:aws:ssm:${PROVIDER_REGION}:${ANY_ACCOUNT}:document/ExampleAgent`],
    },
    {
      rule: "aws_ssm_maintenance_window_task naming a document and role of another tree",
      json: tree({ aws_ssm_maintenance_window_task: { t: { task_type: "AUTOMATION", task_arn: "aft-fleet-RunPatchBaselineUnlessFrozen", service_role_arn: "arn:aws:iam::111111111111:role/aft-fleet-patching-maintenance-window" } } }),
      address: "aws_ssm_maintenance_window_task.t",
      needs: [`arn:aws:ssm:${PROVIDER_REGION}:${ANY_ACCOUNT}:document/aft-fleet-RunPatchBaselineUnlessFrozen`, "arn:aws:iam::111111111111:role/aft-fleet-patching-maintenance-window"],
    },
    {
      rule: "aws_ssm_maintenance_window_task with the AWS-owned document and its own tree's runbook and role",
      json: tree({
        aws_iam_role: { w: { name: "win" } },
        aws_ssm_document: { runbook: { name: "aft-fleet-RunPatchBaselineUnlessFrozen", document_type: "Automation", content: "{}" } },
        aws_ssm_maintenance_window_task: {
          owned: { task_type: "RUN_COMMAND", task_arn: "AWS-RunPatchBaseline", service_role_arn: "${aws_iam_role.w.arn}" },
          ours: { task_type: "AUTOMATION", task_arn: "${aws_ssm_document.runbook.name}", service_role_arn: "${aws_iam_role.w.arn}" },
        },
      }),
      address: "aws_ssm_maintenance_window_task.ours",
      needs: [],
    },
    {
      rule: "data.aws_caller_identity (no rule)",
      json: tree({}, { aws_caller_identity: { me: {} } }),
      address: "data.aws_caller_identity.me",
      needs: [],
    },
  ];
  it.each(cases)("$rule", ({ json, address, needs }) => {
    expect(externalNeeds(at(json, address)).map(describeThing)).toEqual(needs);
  });

  it("fills the applying account into ARNs built from aws_caller_identity", () => {
    const json = tree(
      { aws_iam_role: { r: { name: "m", assume_role_policy: trust({ AWS: "arn:aws:iam::${data.aws_caller_identity.me.account_id}:role/admin" }) } } },
      { aws_caller_identity: { me: {} } },
    );
    expect(externalNeeds(at(json, "aws_iam_role.r"), MEMBER).map(describeThing)).toEqual([`arn:aws:iam::${MEMBER}:role/admin`]);
  });

  it("cites the behaviour behind each need", () => {
    const json = tree({ aws_ssm_document: { pkg: { name: "P", attachments_source: [{ key: "SourceUrl", values: [`s3://${STORE}/P/1`] }] } } });
    expect(externalNeeds(at(json, "aws_ssm_document.pkg"))[0]!.reason).toBe(REASONS.ssmDocumentAttachments);
  });
});

describe("provides", () => {
  it("names buckets, objects, roles (in the applying account) and documents", () => {
    const json = tree(
      {
        aws_s3_bucket: { b: { bucket: "b" } },
        aws_s3_object: { o: { bucket: "${aws_s3_bucket.b.id}", key: "P/1/linux.zip" } },
        aws_iam_role: { r: { name: "aft-fleet-member", assume_role_policy: trust({ Service: "ssm.amazonaws.com" }) } },
        aws_ssm_document: { d: { name: "P", region: "eu-west-1" } },
        aws_kms_key: { k: {} },
      },
      { aws_s3_object: { read: { bucket: "b", key: "x" } } },
    );
    const all = parseTree(json).flatMap((r) => provides(r, MEMBER));
    expect(all).toEqual([
      { kind: "iam-role", arn: `arn:aws:iam::${MEMBER}:role/aft-fleet-member` },
      { kind: "s3-bucket", bucket: "b" },
      { kind: "s3-object", bucket: "b", key: "P/1/linux.zip" },
      { kind: "ssm-document", account: MEMBER, region: "eu-west-1", name: "P" },
    ]);
  });
});

describe("runScenario", () => {
  it("accepts a need that an earlier stage of another account created", () => {
    const central = readJson("role-trust/central.tf.json");
    const member = readJson("role-trust/global-role-arn.tf.json");
    expect(runScenario([
      { account: CENTRAL, tree: "account", json: central },
      { account: MEMBER, tree: "global", json: member },
    ])).toEqual([]);
  });

  it("flags a need that only the same tree creates, without a reference or depends_on ordering the two", () => {
    const json = tree({ aws_s3_bucket: { b: { bucket: "b" } }, aws_s3_object: { o: { bucket: "b", key: "k" } } });
    const [violation, ...rest] = runScenario([{ account: CENTRAL, tree: "account", json }]);
    expect(rest).toEqual([]);
    expect(violation).toMatchObject({ stage: `account(${CENTRAL})`, address: "aws_s3_object.o", needs: "s3://b" });
    expect(violation!.reason).toContain(REASONS.s3ObjectBucket);
    expect(violation!.reason).toContain("same tree but not referenced");
  });

  it("does not recheck a resource whose need is unchanged since its last apply (it is not created again)", () => {
    const store = (keys: string[]) => tree({ aws_s3_bucket: { b: { bucket: "b" } }, aws_s3_object: Object.fromEntries(keys.map((k, i) => [`o${i}`, { bucket: "${aws_s3_bucket.b.id}", key: k }])) });
    const doc = (prefix: string) => tree({ aws_ssm_document: { pkg: { name: "P", attachments_source: [{ key: "SourceUrl", values: [`s3://b/${prefix}`] }] } } });
    const stages = (memberAgain: TfJson) => runScenario([
      { account: CENTRAL, tree: "account", json: store(["P/1/a.zip"]) },
      { account: MEMBER, tree: "global", json: doc("P/1") },
      { account: CENTRAL, tree: "account", json: store([]) },
      { account: MEMBER, tree: "global", json: memberAgain },
    ]);
    expect(stages(doc("P/1"))).toEqual([]);
    expect(stages(doc("P/2")).map((v) => `${v.stage} ${v.needs}`)).toEqual([`global(${MEMBER}) s3://b/P/2/*`]);
  });

  it("does not count what a stage's previous apply created and its new tree removes", () => {
    const before = tree({ aws_s3_bucket: { b: { bucket: "b" } } });
    const after = tree({ aws_s3_object: { o: { bucket: "b", key: "k" } } });
    expect(runScenario([
      { account: CENTRAL, tree: "account", json: before },
      { account: CENTRAL, tree: "account", json: after },
    ]).map((v) => v.needs)).toEqual(["s3://b"]);
  });
});

describe("old design: Package documents in the global tree (must fail)", () => {
  const packageViolation = (account: string) => ({
    stage: `global(${account})`,
    address: "aws_ssm_document.example_agent_us_east_1_document",
    needs: `s3://${STORE}/ExampleAgent/1.0.0/*`,
    reason: REASONS.ssmDocumentAttachments,
  });

  it("fails the central account's first pipeline in its global stage, on the Package document's attachments", () => {
    const pair = oldDesign();
    expect(runScenario([
      { account: CENTRAL, tree: "global", json: pair.global },
      { account: CENTRAL, tree: "account", json: pair.account },
    ])).toEqual([packageViolation(CENTRAL)]);
    expect(packageViolation(CENTRAL).reason).toMatch(/CreateDocument.*copies attachments_source/);
  });

  it("fails every first pipeline that runs before the central account stage; a member vended after passes", () => {
    const results = runStandardScenarios(oldDesign(), { centralAccount: CENTRAL, memberAccount: MEMBER });
    expect(results).toEqual([
      { scenario: "central account's first pipeline", violations: [packageViolation(CENTRAL)] },
      { scenario: "member vended before the central account ran", violations: [packageViolation(MEMBER), packageViolation(CENTRAL)] },
      // The central account's own global stage still fails; the member's, after it, does not.
      { scenario: "member vended after the central account ran", violations: [packageViolation(CENTRAL)] },
    ]);
  });

  /** The old design's trees with the Package document at `version` and the store holding uploads of `kept`. */
  function oldDesignAt(version: string, kept: readonly string[]): TreePair {
    const at = (json: TfJson, v: string) => JSON.parse(JSON.stringify(json).split("1.0.0").join(v).split("1_0_0").join(v.replace(/\./g, "_"))) as Record<string, any>;
    const pair = oldDesign();
    const central = at(pair.account, kept[0]!);
    for (const v of kept.slice(1)) Object.assign(central.resource.aws_s3_object, at(pair.account, v).resource.aws_s3_object);
    return { global: at(pair.global, version), account: central };
  }

  it("release bump: the central re-run fails its global stage; a member re-run afterwards passes", () => {
    const results = runStandardScenarios(oldDesignAt("1.0.1", ["1.0.0", "1.0.1"]), {
      centralAccount: CENTRAL,
      memberAccount: MEMBER,
      changes: [{ name: "release 1.0.1", before: oldDesign() }],
    });
    expect(results.find((r) => r.scenario.startsWith("release 1.0.1"))!.violations).toEqual([
      { ...packageViolation(CENTRAL), needs: `s3://${STORE}/ExampleAgent/1.0.1/*` },
    ]);
  });

  it("rollback to a version whose uploads exist, and an unchanged re-run, pass (unchanged resources are not created again)", () => {
    const results = runStandardScenarios(oldDesignAt("1.0.0", ["1.0.0", "1.0.1"]), {
      centralAccount: CENTRAL,
      memberAccount: MEMBER,
      changes: [
        { name: "rollback to 1.0.0", before: oldDesignAt("1.0.1", ["1.0.0", "1.0.1"]) },
        { name: "unchanged", before: oldDesignAt("1.0.0", ["1.0.0", "1.0.1"]) },
      ],
    });
    expect(results.filter((r) => !r.scenario.startsWith("central") && !r.scenario.startsWith("member"))).toEqual([
      { scenario: "rollback to 1.0.0: central then member re-run", violations: [] },
      { scenario: "unchanged: central then member re-run", violations: [] },
    ]);
  });
});

describe("role trust across stages", () => {
  const central = readJson("role-trust/central.tf.json");

  it("flags a global-tree role trusting a central role ARN that only the central account stage creates", () => {
    const results = runStandardScenarios({ global: readJson("role-trust/global-role-arn.tf.json"), account: central }, { centralAccount: CENTRAL, memberAccount: MEMBER });
    const violation = (account: string) => ({ stage: `global(${account})`, address: "aws_iam_role.member_role", needs: CONTROLLER_ARN, reason: REASONS.policyRolePrincipal });
    expect(results).toEqual([
      { scenario: "central account's first pipeline", violations: [violation(CENTRAL)] },
      { scenario: "member vended before the central account ran", violations: [violation(MEMBER), violation(CENTRAL)] },
      { scenario: "member vended after the central account ran", violations: [violation(CENTRAL)] },
    ]);
  });

  it("accepts the same trust through the central account root narrowed by aws:PrincipalArn", () => {
    const results = runStandardScenarios({ global: readJson("role-trust/global-root.tf.json"), account: central }, { centralAccount: CENTRAL, memberAccount: MEMBER });
    expect(results.map((r) => r.violations)).toEqual([[], [], []]);
  });
});
