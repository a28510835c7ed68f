import * as path from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { loadConfig } from "../modules/config";
import type { RolloutRing } from "../modules/config/model";
import { PackageArtifacts } from "../modules/distributor-package";
import { FleetAssociation } from "../modules/fleet-association";

const model = loadConfig(path.join(__dirname, "..", "examples", "fleet.yaml"));
const pkg = model.packages[0]!;
const version = pkg.versions[0]!;

function synth(ring: RolloutRing = pkg.rings[0]!, region = "eu-west-1") {
  const stack = new TerraformStack(Testing.fakeCdktfJsonPath(Testing.app()), "test");
  const artifacts = new PackageArtifacts(stack, "Artifacts", { pkg, version });
  new FleetAssociation(stack, "Assoc", { pkg, ring, version, artifacts, region, storeBucket: "store", storeRegion: "us-east-1", sourceUrl: "s3://store/ExampleAgent/1.0.0" });
  const out = Testing.synth(stack);
  return { out, json: JSON.parse(out) };
}

describe("FleetAssociation", () => {
  it("creates the Package document from the manifest, with attachments from the store, in the given Region", () => {
    const { out } = synth();
    expect(out).toHaveResourceWithProperties(SsmDocument, {
      name: "ExampleAgent",
      document_type: "Package",
      version_name: "1.0.0",
      region: "eu-west-1",
      attachments_source: [{ key: "SourceUrl", values: ["s3://store/ExampleAgent/1.0.0"] }],
      content: expect.stringMatching(/^\$\{local\.\w*Manifest\w*\}$/),
    });
  });

  it("runs AWS-ConfigureAWSPackage with the ring's version, rate control, schedule and severity", () => {
    const { out, json } = synth();
    expect(out).toHaveResourceWithProperties(SsmAssociation, {
      name: "AWS-ConfigureAWSPackage",
      association_name: "aft-fleet-ExampleAgent-all",
      region: "eu-west-1",
      schedule_expression: "rate(1 day)",
      max_concurrency: "10%",
      max_errors: "5%",
      compliance_severity: "HIGH",
      parameters: { action: "Install", installationType: "In-place update", name: "ExampleAgent", version: "1.0.0", additionalArguments: '{"LOG_LEVEL":"info"}' },
      output_location: { s3_bucket_name: "store", s3_key_prefix: "association-logs/ExampleAgent/all", s3_region: "us-east-1" },
      targets: [{ key: "InstanceIds", values: ["*"] }],
    });
    const assoc = Object.values<any>(json.resource.aws_ssm_association)[0];
    expect(assoc.depends_on).toEqual([expect.stringMatching(/^aws_ssm_document\./)]);
  });

  it("targets nodes by the group's tags", () => {
    const ring: RolloutRing = {
      ...pkg.rings[0]!,
      name: "canary",
      targetGroup: { name: "canary", accounts: ["333333333333"], organizationalUnits: [], instanceTags: { env: ["dev", "test"], team: ["a"] } },
    };
    expect(synth(ring).out).toHaveResourceWithProperties(SsmAssociation, {
      association_name: "aft-fleet-ExampleAgent-canary",
      targets: [{ key: "tag:env", values: ["dev", "test"] }, { key: "tag:team", values: ["a"] }],
    });
  });
});
