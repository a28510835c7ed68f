import { createHash } from "node:crypto";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import type { RingSpec } from "../../contract/ring-spec";
import { ringAssociationNameOf, ringSpecKey } from "../../contract/names";
import { tfLiteral } from "../core/literal";
import { fleetTags } from "../core/tags";
import type { PackageStore } from "../package-store";
import type { RolloutController } from "./controller";

export interface RingRolloutProps {
  readonly spec: RingSpec;
  readonly store: PackageStore;
  readonly controller: RolloutController;
  /** How often the ring's run starts. */
  readonly schedule: string;
}

/**
 * One ring of one package in the central account: its spec in the store (what the controller runs
 * from) and the State Manager association that runs aft-fleet-RolloutRing on the controller schedule
 * and once whenever the spec changes (its hash is a parameter, so a new spec updates the association).
 */
export class RingRollout extends Construct {
  readonly associationName: string;

  constructor(scope: Construct, id: string, props: RingRolloutProps) {
    super(scope, id);
    const { spec, store, controller } = props;
    const text = `${JSON.stringify(spec, null, 2)}\n`;
    const hash = createHash("sha256").update(text).digest("hex");
    const key = ringSpecKey(spec.package, spec.ring);
    const tags = fleetTags({ "aft-fleet:package": spec.package, "aft-fleet:ring": spec.ring });
    const object = new S3Object(this, "Spec", {
      region: store.region,
      bucket: store.bucket.id,
      key,
      // Config text in the spec is literal data for Terraform (tfLiteral), byte-identical in S3.
      content: tfLiteral(text),
      contentType: "application/json",
      ...(store.keyArn ? { serverSideEncryption: "aws:kms", kmsKeyId: store.keyArn } : { serverSideEncryption: "AES256" }),
      tags,
      dependsOn: store.ready,
    });
    this.associationName = ringAssociationNameOf(spec.package, spec.ring);
    const association = new SsmAssociation(this, "Association", {
      region: controller.region,
      name: controller.runbookName,
      associationName: this.associationName,
      parameters: { AutomationAssumeRole: controller.runbookRoleArn, specKey: key, specHash: hash },
      scheduleExpression: props.schedule,
      applyOnlyAtCronInterval: false,
      complianceSeverity: "HIGH",
      tags,
      dependsOn: [controller.runbook, object],
    });
    new TerraformOutput(this, "association_id", {
      value: association.associationId,
      description: `${this.associationName}: start a run now with aws ssm start-associations-once --association-ids <id>`,
    });
  }
}
