/*
 * IAM's size quotas on every emitted policy (IAM User Guide, "IAM and AWS STS quotas": inline policies of
 * one role at most 10,240 characters in all, a managed policy 6,144, a role trust policy 2,048 by
 * default; whitespace is not counted). The provider and cdktf check none of them: a policy too large is
 * refused only when AFT applies the tree, in every account.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { main } from "../main";
import { iamQuotaProblems, INLINE_POLICIES_PER_ROLE_MAX, MANAGED_POLICY_MAX, policyLength, TRUST_POLICY_MAX } from "../modules/iam/quota";
import { baseConfig, basePackageFiles, makeFixture } from "./helpers/fixture";

const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
  "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1",
];

/** 20 packages x 17 Regions with patching, emergency, Auto Scaling and orchestration. */
function largeConfig(packages = 20): Record<string, any> {
  const c = baseConfig();
  c.organization.workloadRegions = REGIONS;
  const template = c.packages[0];
  c.packages = Array.from({ length: packages }, (_, i) => ({
    ...template,
    name: `SecurityAgentWithAQuiteLongName${String(i).padStart(2, "0")}`,
    rings: [
      { name: "canary", targets: "canary", alarms: [`aft-fleet-canary-health-${i}`] },
      { name: "all", targets: "all" },
    ],
  }));
  c.patching = {
    environments: { Dev: {}, Prod: {} },
    emergency: { campaign: "campaign-0001", rings: [{ name: "canary", targets: "canary" }, { name: "all", targets: "all" }] },
    autoScaling: { campaign: "images-1", instanceProfile: "ImageBuilder", automationRole: "ImageAutomation", rings: [{ name: "first", targets: "canary" }] },
  };
  c.orchestration = { principals: ["arn:aws:iam::555555555555:role/rundeck-node-executor"], nodeTag: { key: "orchestration", value: "allowed" } };
  return c;
}

function treesOf(dir: string): any[] {
  const out: any[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== "assets") walk(p);
      else if (e.name === "aft-fleet.tf.json") out.push(JSON.parse(fs.readFileSync(p, "utf8")));
    }
  };
  walk(dir);
  return out;
}

let spies: jest.SpyInstance[];
beforeEach(() => (spies = [jest.spyOn(process.stdout, "write").mockImplementation(() => true), jest.spyOn(process.stderr, "write").mockImplementation(() => true)]));
afterEach(() => spies.forEach((s) => s.mockRestore()));

describe("IAM size quotas", () => {
  it("counts what IAM counts: no whitespace, an account id reference as 12 digits", () => {
    expect(policyLength('{ "a" : "${data.aws_caller_identity.x.account_id}" }')).toBe('{"a":"000000000000"}'.length);
    expect(policyLength('{"a":"${aws_s3_bucket.b.arn}"}')).toBe('{"a":""}'.length + 128);
  });

  it("a large organization (20 packages x 17 Regions, patching, emergency, Auto Scaling, orchestration) fits every quota", async () => {
    const fx = makeFixture(largeConfig(), basePackageFiles());
    try {
      const out = path.join(fx.dir, "out");
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(0);
      const trees = treesOf(out);
      expect(trees).toHaveLength(2);
      const sizes: Record<string, number> = {};
      for (const tree of trees) {
        expect(iamQuotaProblems(tree)).toEqual([]);
        for (const [id, p] of Object.entries<any>(tree.resource.aws_iam_role_policy ?? {})) sizes[id] = policyLength(p.policy);
      }
      // The member role's policy grows with neither Regions nor packages (one document prefix, one store prefix):
      // 3,309 characters here with every optional job granted, whatever the package count (7,242 when it named
      // each of these 20 packages, about 200 characters each).
      const member = Object.entries(sizes).find(([id]) => id.startsWith("execution_role"))!;
      expect(member[1]).toBeGreaterThan(0);
      expect(member[1]).toBeLessThanOrEqual(INLINE_POLICIES_PER_ROLE_MAX);
    } finally {
      fx.cleanup();
    }
  });

  it("adding a Region changes no member execution policy", async () => {
    const fx = makeFixture(largeConfig(2), basePackageFiles());
    try {
      const policyOf = async (regions: string[], out: string) => {
        const c = largeConfig(2);
        c.organization.workloadRegions = regions;
        delete c.patching;
        delete c.orchestration;
        fs.writeFileSync(fx.configFile, JSON.stringify(c));
        expect(await main(["synth", "--config", fx.configFile, "--out", path.join(fx.dir, out)])).toBe(0);
        const global = treesOf(path.join(fx.dir, out, "aft-global-customizations"))[0];
        return global.resource.aws_iam_role_policy;
      };
      expect(await policyOf(["us-east-1", "eu-west-1", "eu-central-1"], "b")).toEqual(await policyOf(["us-east-1", "eu-west-1"], "a"));
    } finally {
      fx.cleanup();
    }
  });

  it("synth refuses a config whose controller role would outgrow the quota (its ring alarms), before writing anything", async () => {
    // The member role names no package, so no package count outgrows it; the controller's DescribeAlarms
    // statement names each distinct ring alarm (CloudWatch AlarmName: up to 255 characters, 20 per ring here).
    const c = largeConfig(4);
    delete c.patching;
    delete c.orchestration;
    c.packages.forEach((p: any, i: number) => (p.rings[0].alarms = Array.from({ length: 20 }, (_, k) => `aft-fleet-${i}-${k}-`.padEnd(120, "x"))));
    const fx = makeFixture(c, basePackageFiles());
    const errors: string[] = [];
    spies[1]!.mockImplementation((text) => (errors.push(String(text)), true));
    try {
      const out = path.join(fx.dir, "out");
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(1);
      expect(errors.join("")).toMatch(/fleet\.json: \(emitted aft-account-customizations\/aft-fleet-central\) role aft-fleet-controller: inline policies: got 1\d,\d{3} characters \(largest statements: [^)]*ReadRingAlarms [\d,]+[^)]*\); allowed: at most 10,240 characters \(IAM quota\)/);
      expect(errors.join("")).not.toMatch(/role aft-fleet-execution/);
      expect(fs.readdirSync(out).filter((e) => !e.startsWith(".aft-fleet-"))).toEqual([]);
    } finally {
      fx.cleanup();
    }
  });

  it("adding a package to the example leaves the member tree byte-identical, and the store and controller policies as they were", async () => {
    // The example organization as shipped, then the same config with one more package (a copy of the example's
    // package files under another name, its rings on the same target groups and alarm).
    const root = path.join(__dirname, "..");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aft-fleet-quota-"));
    try {
      const example = parse(fs.readFileSync(path.join(root, "examples", "fleet.yaml"), "utf8"));
      fs.mkdirSync(path.join(tmp, "examples"));
      fs.cpSync(path.join(root, "packages", "example-agent"), path.join(tmp, "packages", "example-agent"), { recursive: true });
      fs.cpSync(path.join(root, "packages", "example-agent"), path.join(tmp, "packages", "second-agent"), { recursive: true });
      const plusOne = { ...example, packages: [...example.packages, { ...example.packages[0], name: "SecondAgent", source: "../packages/second-agent" }] };
      const plusOneFile = path.join(tmp, "examples", "fleet.json");
      fs.writeFileSync(plusOneFile, JSON.stringify(plusOne));
      expect(await main(["synth", "--out", path.join(tmp, "a")])).toBe(0);
      expect(await main(["synth", "--config", plusOneFile, "--out", path.join(tmp, "b")])).toBe(0);

      // Every file of the member tree, byte for byte (the marker lists the same files too).
      const files = (dir: string): Record<string, string> => {
        const out: Record<string, string> = {};
        const walk = (d: string) => {
          for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out[path.relative(dir, p)] = fs.readFileSync(p, "latin1");
          }
        };
        walk(dir);
        return out;
      };
      const memberA = files(path.join(tmp, "a", "aft-global-customizations"));
      const memberB = files(path.join(tmp, "b", "aft-global-customizations"));
      expect(Object.keys(memberA)).toContain(path.join("terraform", "aft-fleet.tf.json"));
      expect(memberB).toEqual(memberA);
      const policyOf = (tree: any) => Object.entries<any>(tree.resource.aws_iam_role_policy).find(([id]) => id.startsWith("execution_role"))![1].policy as string;
      const [globalA, globalB] = ["a", "b"].map((d) => treesOf(path.join(tmp, d, "aft-global-customizations"))[0]);
      expect(policyLength(policyOf(globalB))).toBe(policyLength(policyOf(globalA)));
      expect(policyOf(globalA)).not.toContain("ExampleAgent");

      // The central tree does change (the new package's uploads, ring specs and associations), but not its policies:
      // the store's bucket policy and the controller role name no package.
      const [centralA, centralB] = ["a", "b"].map((d) => treesOf(path.join(tmp, d, "aft-account-customizations"))[0]);
      expect(Object.keys(centralB.resource.aws_s3_object).length).toBeGreaterThan(Object.keys(centralA.resource.aws_s3_object).length);
      const bucketPolicy = (tree: any) => tree.resource.aws_s3_bucket_policy.package_store_policy.policy as string;
      expect(bucketPolicy(centralB)).toBe(bucketPolicy(centralA));
      const controllerPolicy = (tree: any) => Object.values<any>(tree.resource.aws_iam_role_policy).find((p) => p.policy.includes("AssumeMemberExecutionRoles")).policy as string;
      expect(controllerPolicy(centralB)).toBe(controllerPolicy(centralA));
      for (const text of [bucketPolicy(centralA), controllerPolicy(centralA)]) expect(text).not.toContain("ExampleAgent");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("a package with a new ring alarm grows the controller role by that alarm's ARN only, and no member or store policy", async () => {
    // ReadRingAlarms (DescribeAlarms) is scoped to the rings' alarms, so it names each distinct alarm: the one
    // statement that still grows with the config, per alarm, not per package.
    const fx = makeFixture(largeConfig(1), basePackageFiles());
    try {
      const synthOf = async (packages: number, out: string) => {
        const c = largeConfig(packages);
        delete c.patching;
        delete c.orchestration;
        fs.writeFileSync(fx.configFile, JSON.stringify(c));
        expect(await main(["synth", "--config", fx.configFile, "--out", path.join(fx.dir, out)])).toBe(0);
        const [global] = treesOf(path.join(fx.dir, out, "aft-global-customizations"));
        const [central] = treesOf(path.join(fx.dir, out, "aft-account-customizations"));
        const controller = JSON.parse(Object.values<any>(central.resource.aws_iam_role_policy).find((p) => p.policy.includes("AssumeMemberExecutionRoles")).policy);
        return { global: global.resource.aws_iam_role_policy, bucket: central.resource.aws_s3_bucket_policy, controller };
      };
      const one = await synthOf(1, "one");
      const two = await synthOf(2, "two");
      expect(two.global).toEqual(one.global);
      expect(two.bucket).toEqual(one.bucket);
      const alarms = (p: any) => p.Statement.find((s: any) => s.Sid === "ReadRingAlarms").Resource;
      expect(alarms(two.controller)).toEqual([...alarms(one.controller), "arn:aws:cloudwatch:us-east-1:222222222222:alarm:aft-fleet-canary-health-1"]);
      const withoutAlarms = (p: any) => p.Statement.filter((s: any) => s.Sid !== "ReadRingAlarms");
      expect(withoutAlarms(two.controller)).toEqual(withoutAlarms(one.controller));
    } finally {
      fx.cleanup();
    }
  });

  it("names the role, its size and its largest statements for each quota", () => {
    const big = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Huge", Effect: "Allow", Action: "s3:GetObject", Resource: Array.from({ length: 300 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }] });
    const tree = {
      resource: {
        aws_iam_role: { r: { name: "aft-fleet-execution", assume_role_policy: "{}" } },
        aws_iam_role_policy: { a: { role: "${aws_iam_role.r.id}", policy: big }, b: { role: "${aws_iam_role.r.id}", policy: big } },
        aws_iam_policy: { m: { name: "big-managed", policy: big } },
      },
    };
    const problems = iamQuotaProblems(tree as never);
    expect(problems.map((p) => [p.what, p.max])).toEqual([
      ["role aft-fleet-execution: inline policies", INLINE_POLICIES_PER_ROLE_MAX],
      ["managed policy big-managed", MANAGED_POLICY_MAX],
    ]);
    expect(problems[0]!.length).toBe(2 * policyLength(big));
    expect(problems[0]!.largest).toMatch(/^Huge \d/);
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "T", Effect: "Allow", Principal: { AWS: Array.from({ length: 60 }, (_, i) => `arn:aws:iam::${String(i).padStart(12, "0")}:root`) }, Action: "sts:AssumeRole" }] });
    expect(iamQuotaProblems({ resource: { aws_iam_role: { r: { name: "wide", assume_role_policy: trust } } } } as never)).toEqual([
      expect.objectContaining({ what: "role wide: trust policy", max: TRUST_POLICY_MAX }),
    ]);
  });
});
