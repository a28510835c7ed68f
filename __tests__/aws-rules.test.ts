/*
 * Every AWS value rule the config encodes, fed an invalid and an edge-valid value (both ends of each
 * length, each enum member per operating system where they differ) through the config loader. An invalid
 * value is refused with `file: field.path: got X; allowed: Y` naming what is allowed; an edge-valid one
 * loads. Sources: botocore models (boto/botocore botocore/data/<service>/<version>/service-2.json,
 * cited per row by shape) and the API reference pages named in contract/aws-rules.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from "../modules/config";
import { emergencyRingSpecOf, ringSpecOf } from "../modules/controller/spec";
import { PATCH_FILTER_VALUES } from "../contract/aws-rules";
import { EXECUTION_ROLE_NAME } from "../contract/names";

const EXAMPLE_DIR = path.dirname(DEFAULT_CONFIG);
const example = (): Record<string, any> => parse(fs.readFileSync(DEFAULT_CONFIG, "utf8"));

/** The example organization with a small patching section (one Windows baseline, emergency and image rings). */
function base(): Record<string, any> {
  const c = example();
  c.patching = {
    environments: { Prod: {} },
    baselines: { win: { operatingSystem: "WINDOWS", patchGroups: ["Prod"], approvalRules: [{ patchFilters: { CLASSIFICATION: ["SecurityUpdates"] } }] } },
    emergency: { campaign: "2026-01-cve", rings: [{ name: "first", targets: "canary" }] },
    autoScaling: { campaign: "2026-01-img", instanceProfile: "image-builder", automationRole: "image-automation", rings: [{ name: "img", targets: "canary" }] },
  };
  return c;
}

/** Loads `c` as the file fleet.yaml; the rendered error lines when it is refused, [] when it loads. */
function problems(c: Record<string, any>): string[] {
  try {
    resolveConfig(c, EXAMPLE_DIR, "fleet.yaml");
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split("\n").slice(1);
  }
}

type Mutate = (c: Record<string, any>) => void;
const ring = (c: Record<string, any>) => c.packages[0].rings[0];
const rule = (c: Record<string, any>) => c.patching.baselines.win.approvalRules[0];
const a = (n: number) => "a".repeat(n);

/** [rule, field path, set the value, the allowed text the message must name] */
const invalid: Array<[string, string, Mutate, RegExp]> = [
  // model ssm/2014-11-06, shapes MaxConcurrency / MaxErrors: 1-7 characters and their patterns.
  ["MaxConcurrency longer than 7", "packages[0].rings[0].maxConcurrency", (c) => (ring(c).maxConcurrency = "12345678"), /1-7 characters \(SSM MaxConcurrency\)/],
  ["MaxConcurrency 0", "packages[0].rings[0].maxConcurrency", (c) => (ring(c).maxConcurrency = "0"), /a count \(1 or more\) or percentage \(1%-100%\)/],
  ["MaxConcurrency 101%", "packages[0].rings[0].nodeMaxConcurrency", (c) => (ring(c).nodeMaxConcurrency = "101%"), /SSM MaxConcurrency/],
  ["MaxErrors longer than 7", "packages[0].rings[0].maxErrors", (c) => (ring(c).maxErrors = "12345678"), /1-7 characters \(SSM MaxErrors\)/],
  ["window MaxErrors longer than 7", "patching.environments.Prod.maxErrors", (c) => (c.patching.environments.Prod.maxErrors = "10000000"), /1-7 characters \(SSM MaxErrors\)/],
  ["emergency node MaxConcurrency longer than 7", "patching.emergency.rings[0].nodeMaxConcurrency", (c) => (c.patching.emergency.rings[0].nodeMaxConcurrency = "99999999"), /1-7 characters/],
  // shape TargetKey: `tag:<key>` of [\p{L}\p{Z}\p{N}_.:/=\-@] (no '+', no '$'); EC2 tag keys at most 128.
  ["a node tag key with +", "organization.targetGroups.canary.instanceTags.team+x", (c) => (c.organization.targetGroups.canary.instanceTags = { "team+x": ["a"] }), /SSM Target\.Key tag:<key> allows no '\+'/],
  ["a node tag key with ${", "organization.targetGroups.canary.instanceTags.team${x}", (c) => (c.organization.targetGroups.canary.instanceTags = { "team${x}": ["a"] }), /tag key of 1-128/],
  ["a node tag key of 129", `organization.targetGroups.canary.instanceTags.${a(129)}`, (c) => (c.organization.targetGroups.canary.instanceTags = { [a(129)]: ["a"] }), /tag key of 1-128/],
  ["an environment tag with +", "patching.environmentTag", (c) => (c.patching.environmentTag = "env+x"), /allows no '\+'/],
  ["an environment tag under aws:", "patching.environmentTag", (c) => (c.patching.environmentTag = "aws:env"), /not starting with aws:/],
  ["an environment tag of 129", "patching.environmentTag", (c) => (c.patching.environmentTag = a(129)), /1-128/],
  // shape PatchFilterList: at most 4 filters in a PatchFilterGroup.
  ["5 filters in one rule", "patching.baselines.win.approvalRules[0].patchFilters", (c) => (rule(c).patchFilters = { PATCH_SET: ["OS"], PRODUCT: ["*"], PRODUCT_FAMILY: ["Windows"], CLASSIFICATION: ["SecurityUpdates"], MSRC_SEVERITY: ["Critical"] }), /at most 4 filters per approval rule/],
  // shape PatchFilterValue: 1-64 characters; PatchFilterValueList: at most 20.
  ["a filter value of 65", "patching.baselines.win.approvalRules[0].patchFilters.PRODUCT[0]", (c) => (rule(c).patchFilters = { PRODUCT: [a(65)] }), /text, 1-64 characters/],
  ["21 filter values", "patching.baselines.win.approvalRules[0].patchFilters.PRODUCT", (c) => (rule(c).patchFilters = { PRODUCT: Array.from({ length: 21 }, (_, i) => `P${i}`) }), /at most 20 values/],
  // PatchFilter API reference: the values a key takes per operating system.
  ["a Linux classification on Windows", "patching.baselines.win.approvalRules[0].patchFilters.CLASSIFICATION[0]", (c) => (rule(c).patchFilters = { CLASSIFICATION: ["Security"] }), /a CLASSIFICATION value WINDOWS patches have: CriticalUpdates, .*Upgrades, \*/],
  ["a Linux severity on Windows", "patching.baselines.win.approvalRules[0].patchFilters.MSRC_SEVERITY[0]", (c) => (rule(c).patchFilters = { MSRC_SEVERITY: ["Medium"] }), /Critical, Important, Moderate, Low, Unspecified, \*/],
  ["a product as a Windows patch set", "patching.baselines.win.approvalRules[0].patchFilters.PATCH_SET[0]", (c) => (rule(c).patchFilters = { PATCH_SET: ["Office"] }), /a PATCH_SET value WINDOWS patches have: OS, APPLICATION, \*/],
  ["a severity as an Ubuntu priority", "patching.baselines.ubu.approvalRules[0].patchFilters.PRIORITY[0]", (c) => (c.patching.baselines.ubu = { operatingSystem: "UBUNTU", approvalRules: [{ patchFilters: { PRIORITY: ["Critical"] } }] }), /a PRIORITY value UBUNTU patches have: Required, Important, Standard, Optional, Extra, \*/],
  // shapes PatchRuleList (10), PatchIdList (50), PatchId (1-100), BaselineDescription (1-1024).
  ["11 approval rules", "patching.baselines.win.approvalRules", (c) => (c.patching.baselines.win.approvalRules = Array.from({ length: 11 }, () => ({ patchFilters: { PRODUCT: ["*"] } }))), /at most 10 approval rules/],
  ["51 approved patches", "patching.baselines.win.approvedPatches", (c) => (c.patching.baselines.win.approvedPatches = Array.from({ length: 51 }, (_, i) => `KB${i}`)), /at most 50 patches/],
  ["a patch id of 101", "patching.baselines.win.rejectedPatches[0]", (c) => (c.patching.baselines.win.rejectedPatches = [a(101)]), /1-100 characters/],
  ["a baseline description of 1025", "patching.baselines.win.description", (c) => (c.patching.baselines.win.description = a(1025)), /1-1024 characters/],
  // model logs/2014-03-28, shape LogGroupName (1-512) and CreateLogGroup: no aws/ prefix.
  ["a log group under aws/", "orchestration.logGroupName", (c) => (c.orchestration.logGroupName = "aws/commands"), /not starting with aws\/ \(CloudWatch Logs reserves it\)/],
  ["a log group of 513", "orchestration.logGroupName", (c) => (c.orchestration.logGroupName = a(513)), /1-512 letters/],
  // model iam/2010-05-08, shapes roleNameType (1-64) and instanceProfileNameType (1-128).
  ["an instance profile of 129", "patching.autoScaling.instanceProfile", (c) => (c.patching.autoScaling.instanceProfile = a(129)), /an IAM instance profile name: 1-128/],
  ["an automation role of 65", "patching.autoScaling.automationRole", (c) => (c.patching.autoScaling.automationRole = a(65)), /an IAM role name: 1-64/],
  ["a created role and profile of 65", "orchestration.instancePolicy.createInstanceProfile", (c) => (c.orchestration.instancePolicy = { createInstanceProfile: a(65) }), /an IAM role name: 1-64/],
  ["a role with a space", "deployment.direct.memberRoleName", (c) => (c.deployment = { mode: "direct", direct: { stateBucket: "state-bucket-1", stateRegion: "us-east-1", memberRoleName: "my role" } }), /an IAM role name: 1-64/],
  // model sts/2011-06-15, shape externalIdType: 2-1224.
  ["an external id of 1", "orchestration.externalId", (c) => (c.orchestration.externalId = "x"), /2-1224/],
  ["an external id of 1225", "orchestration.externalId", (c) => (c.orchestration.externalId = a(1225)), /2-1224/],
  // model ssm/2014-11-06, shape TagValue: 0-256.
  ["a node tag value of 257", "orchestration.nodeTag.value", (c) => (c.orchestration.nodeTag.value = a(257)), /0-256/],
  // S3 User Guide, general purpose bucket naming rules: 3-63.
  ["a bucket of 64", "packageStore.bucketName", (c) => (c.packageStore = { ...c.packageStore, bucketName: a(64) }), /3-63 lowercase/],
  ["a bucket of 2", "orchestration.fileCopierBucket", (c) => (c.orchestration.fileCopierBucket = "ab"), /3-63 lowercase/],
  // model ssm/2014-11-06, shape AlarmName: 1-255, not only whitespace.
  ["an alarm of 256", "packages[0].rings[0].alarms[0]", (c) => (ring(c).alarms = [a(256)]), /1-255 printable characters, not only spaces/],
  ["an alarm of spaces", "patching.emergency.rings[0].alarms[0]", (c) => (c.patching.emergency.rings[0].alarms = ["   "]), /not only spaces/],
  // Names in one account: buckets (S3 names are global) and IAM roles (unique regardless of case).
  ["the store and the file copier named alike", "orchestration.fileCopierBucket", (c) => (c.orchestration.fileCopierBucket = "aft-fleet-packages-222222222222-us-east-1"), /other than the one of packageStore\.bucketName \(default\)/],
  ["the reports bucket named as the store", "patching.reports.bucketName", (c) => ((c.packageStore = { ...c.packageStore, bucketName: "shared-bucket-1" }), (c.patching.reports = { bucketName: "shared-bucket-1" })), /other than the one of packageStore\.bucketName \(two fields/],
  ["the file copier named as the reports bucket", "orchestration.fileCopierBucket", (c) => ((c.patching.reports = { bucketName: "shared-bucket-2" }), (c.orchestration.fileCopierBucket = "shared-bucket-2")), /other than the one of patching\.reports\.bucketName/],
  ["an instance role named as the execution role", "orchestration.instancePolicy.attachToRole", (c) => (c.orchestration.instancePolicy = { attachToRole: EXECUTION_ROLE_NAME }), /other than aft-fleet-execution, the execution role every account gets \(EXECUTION_ROLE_NAME\)/],
  ["a created profile named as the execution role", "orchestration.instancePolicy.createInstanceProfile", (c) => (c.orchestration.instancePolicy = { createInstanceProfile: "AFT-Fleet-Execution" }), /EXECUTION_ROLE_NAME.*regardless of case/],
  ["an automation role named as the controller's", "patching.autoScaling.automationRole", (c) => (c.patching.autoScaling.automationRole = "aft-fleet-controller"), /CONTROLLER_ROLE_NAME/],
  ["an instance profile named as a patching role", "patching.autoScaling.instanceProfile", (c) => (c.patching.autoScaling.instanceProfile = "aft-fleet-patching-tagger"), /not starting with aft-fleet-patching-/],
  ["a direct deployment through the execution role", "deployment.direct.memberRoleName", (c) => (c.deployment = { mode: "direct", direct: { stateBucket: "state-bucket-1", stateRegion: "us-east-1", memberRoleName: EXECUTION_ROLE_NAME } }), /EXECUTION_ROLE_NAME/],
  ["a created role named as the automation role", "orchestration.instancePolicy.createInstanceProfile", (c) => (c.orchestration.instancePolicy = { createInstanceProfile: "Image-Automation" }), /other than the one of patching\.autoScaling\.automationRole/],
  // model athena/2017-05-18: every account has the primary workgroup (DeleteWorkGroup: it cannot be deleted).
  ["a reports workgroup named primary", "patching.reports.workgroupName", (c) => (c.patching.reports = { workgroupName: "primary" }), /other than primary/],
  // The ring spec's resume: 1-64 of [A-Za-z0-9._:-].
  ["a resume of 65", "packages[0].rings[0].resume", (c) => (ring(c).resume = a(65)), /1-64 letters, digits or '\._:-'/],
  ["a resume with a space", "patching.emergency.rings[0].resume", (c) => (c.patching.emergency.rings[0].resume = "ticket 1"), /1-64 letters/],
];

const edgeValid: Array<[string, Mutate]> = [
  ["MaxConcurrency and MaxErrors of 7 characters, 1, 100% and 0", (c) => Object.assign(ring(c), { maxConcurrency: "1234567", maxErrors: "0", nodeMaxConcurrency: "100%", nodeMaxErrors: "1234567" })],
  ["MaxConcurrency 1% and MaxErrors 0%", (c) => Object.assign(c.patching.environments.Prod, { maxConcurrency: "1%", maxErrors: "0%" })],
  ["node tag keys of 1 and 128 characters, and AWS's own", (c) => (c.organization.targetGroups.canary.instanceTags = { a: ["x"], [a(128)]: ["y"], "aws:autoscaling:groupName": ["z"] })],
  ["an environment tag of 128 with : / = @", (c) => (c.patching.environmentTag = `Patch:env/=@${a(116)}`)],
  ["4 filters in one Windows rule", (c) => (rule(c).patchFilters = { PATCH_SET: ["OS"], PRODUCT: ["*"], CLASSIFICATION: ["SecurityUpdates"], MSRC_SEVERITY: ["Critical"] })],
  ["a filter value of 64 and 20 values", (c) => (rule(c).patchFilters = { PRODUCT: [a(64), ...Array.from({ length: 19 }, (_, i) => `P${i}`)] })],
  ["10 approval rules, 50 patch ids of 100 characters, a description of 1024", (c) => Object.assign(c.patching.baselines.win, { approvalRules: Array.from({ length: 10 }, () => ({ patchFilters: { PRODUCT: ["*"] } })), approvedPatches: Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, "x")), description: a(1024) })],
  ["log groups of 1 and 512 characters, aws in a later segment", (c) => (c.orchestration.logGroupName = `/aws/x${a(506)}`)],
  ["a log group of 1 character", (c) => (c.orchestration.logGroupName = "a")],
  ["an instance profile of 128 and an automation role of 64", (c) => Object.assign(c.patching.autoScaling, { instanceProfile: a(128), automationRole: `r${a(63)}` })],
  ["a created role and profile of 64 and of 1", (c) => (c.orchestration.instancePolicy = { createInstanceProfile: a(64) })],
  ["external ids of 2 and 1224", (c) => (c.orchestration.externalId = "ab")],
  ["an external id of 1224", (c) => (c.orchestration.externalId = a(1224))],
  ["node tag values of 0 and 256", (c) => (c.orchestration.nodeTag.value = "")],
  ["a node tag value of 256", (c) => (c.orchestration.nodeTag.value = a(256))],
  ["buckets of 3 and 63", (c) => ((c.packageStore = { ...c.packageStore, bucketName: "abc" }), (c.orchestration.fileCopierBucket = a(63)))],
  ["alarms of 1 and 255", (c) => (ring(c).alarms = ["x", a(255)])],
  ["the file copier named as the store's default when the store has its own name", (c) => ((c.packageStore = { ...c.packageStore, bucketName: "own-store" }), (c.orchestration.fileCopierBucket = "aft-fleet-packages-222222222222-us-east-1"))],
  ["the image profile named as the created instance profile (it is one)", (c) => (c.patching.autoScaling.instanceProfile = "aft-fleet-managed-node")],
  ["resume of 1 and 64 with . _ : -", (c) => ((ring(c).resume = "a"), (c.patching.emergency.rings[0].resume = `2026-01-01T00:00.ticket_1${a(39)}`))],
];

describe("AWS's value rules: an invalid value is refused with its path and what is allowed", () => {
  it("the base config loads", () => {
    expect(problems(base())).toEqual([]);
  });

  it.each(invalid)("%s", (_what, fieldPath, mutate, allowed) => {
    const c = base();
    mutate(c);
    const lines = problems(c);
    const line = lines.find((l) => l.startsWith(`fleet.yaml: ${fieldPath}: `));
    expect({ fieldPath, line: line ?? lines }).toEqual({ fieldPath, line: expect.stringMatching(/^fleet\.yaml: \S+: (got .+|missing); allowed: /) });
    expect(line).toMatch(allowed);
  });
});

describe("AWS's value rules: an edge-valid value loads", () => {
  it.each(edgeValid)("%s", (_what, mutate) => {
    const c = base();
    mutate(c);
    expect(problems(c)).toEqual([]);
  });

  // PatchFilter API reference: each value of a closed list, per operating system, and the wildcard.
  const members = Object.entries(PATCH_FILTER_VALUES).flatMap(([os, keys]) => Object.entries(keys!).flatMap(([key, values]) => [...values, "*"].map((v) => [os, key, v] as const)));
  it.each(members)("%s %s %s", (os, key, value) => {
    const c = base();
    c.patching.baselines.other = { operatingSystem: os, approvalRules: [{ patchFilters: { [key]: [value] } }] };
    expect(problems(c)).toEqual([]);
  });
});

describe("ring resume", () => {
  it("reaches the ring spec unchanged, on package and emergency rings, and is absent when unset", () => {
    const c = base();
    ring(c).resume = "2026-12-04:INC-42";
    c.patching.emergency.rings[0].resume = "ack.1";
    const model = resolveConfig(c, EXAMPLE_DIR, "fleet.yaml");
    expect(JSON.parse(JSON.stringify(ringSpecOf(model, model.packages[0]!, 0))).resume).toBe("2026-12-04:INC-42");
    expect(JSON.parse(JSON.stringify(emergencyRingSpecOf(model, 0))).resume).toBe("ack.1");
    expect("resume" in ringSpecOf(model, model.packages[0]!, 1)).toBe(false);
  });
});
