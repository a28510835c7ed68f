/*
 * IAM's size quotas on every emitted policy (IAM User Guide, "IAM and AWS STS quotas": inline policies of
 * one role at most 10,240 characters in all, a managed policy 6,144, a role trust policy 2,048 by
 * default; whitespace is not counted). The provider and cdktf check none of them: a policy too large is
 * refused only when AFT applies the tree, in every account.
 */
import * as fs from "node:fs";
import * as path from "node:path";
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
      // The member role's policy no longer grows with Regions; it still names each package (about 180
      // characters each: its document, its store prefix, its list condition), 7,242 characters here.
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

  it("synth refuses a config whose member role would outgrow the quota, before writing anything", async () => {
    const c = largeConfig(60);
    delete c.patching;
    delete c.orchestration;
    const fx = makeFixture(c, basePackageFiles());
    const errors: string[] = [];
    spies[1]!.mockImplementation((text) => (errors.push(String(text)), true));
    try {
      const out = path.join(fx.dir, "out");
      expect(await main(["synth", "--config", fx.configFile, "--out", out])).toBe(1);
      expect(errors.join("")).toMatch(/fleet\.json: \(emitted aft-global-customizations\) role aft-fleet-execution: inline policies: got 1\d,\d{3} characters \(largest statements: [^)]*ManagePackageDocuments [\d,]+[^)]*\); allowed: at most 10,240 characters \(IAM quota\)/);
      // The controller's role in the central tree grows with packages and alarms too, and is named as well.
      expect(errors.join("")).toMatch(/\(emitted aft-account-customizations\/aft-fleet-central\) role aft-fleet-controller: inline policies/);
      expect(fs.readdirSync(out).filter((e) => !e.startsWith(".aft-fleet-"))).toEqual([]);
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
