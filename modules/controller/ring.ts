import { createHash } from "node:crypto";
import { Fn, TerraformOutput, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import type { AnyRingSpec } from "../../contract/ring-spec";
import { ringAssociationNameOf, ringSpecKey } from "../../contract/names";
import { tfLiteral } from "../core/literal";
import { fleetTags } from "../core/tags";
import type { PackageStore } from "../package-store";
import type { RolloutController } from "./controller";

/** A cdktf token in a string (a reference Terraform fills in at apply time). */
const TOKEN = /(\$\{TfToken\[TOKEN\.\d+\]\})/;

/**
 * The spec text as Terraform data: config text literal (tfLiteral), references (e.g. the reports key ARN of
 * an inventory sync spec) left as references, so the object holds the resolved value.
 */
function specContent(text: string): string {
  if (!Token.isUnresolved(text)) return tfLiteral(text);
  return text
    .split(TOKEN)
    .map((part, i) => (i % 2 === 1 ? part : tfLiteral(part)))
    .join("");
}

/**
 * SHA-256 of the spec. With references in it, Terraform finishes the hash: the literal text's hash (the
 * references as placeholders) and the resolved references, so a new key ARN is a new spec and token
 * numbering never is.
 */
function specHash(text: string): string {
  if (!Token.isUnresolved(text)) return createHash("sha256").update(text).digest("hex");
  const parts = text.split(TOKEN);
  const literal = createHash("sha256").update(parts.map((p, i) => (i % 2 === 1 ? "<ref>" : p)).join("")).digest("hex");
  return Fn.sha256(`${literal}|${parts.filter((_, i) => i % 2 === 1).join("|")}`);
}

export interface RingRolloutProps {
  /** A package ring, an emergency patch ring or the inventory sync ring (contract ring-spec kinds). */
  readonly spec: AnyRingSpec;
  readonly store: PackageStore;
  readonly controller: RolloutController;
  /** How often the ring's run starts. */
  readonly schedule: string;
  /** Resources the first run needs (e.g. the reports bucket policy before syncs write to it). */
  readonly after?: readonly ITerraformDependable[];
}

/**
 * One ring of one package in the central account: its spec in the store (what the controller runs
 * from) and the State Manager association that runs aft-fleet-RolloutRing on the controller schedule
 * and once whenever the spec changes (its hash is a parameter, so a new spec updates the association).
 * The same for the controller's own jobs (emergency patch rings, the inventory sync ring).
 */
export class RingRollout extends Construct {
  readonly associationName: string;

  constructor(scope: Construct, id: string, props: RingRolloutProps) {
    super(scope, id);
    const { spec, store, controller } = props;
    const text = `${JSON.stringify(spec, null, 2)}\n`;
    const content = specContent(text);
    const hash = specHash(text);
    const key = ringSpecKey(spec.package, spec.ring);
    const tags = fleetTags({ "aft-fleet:package": spec.package, "aft-fleet:ring": spec.ring });
    const object = new S3Object(this, "Spec", {
      region: store.region,
      bucket: store.bucket.id,
      key,
      // Config text in the spec is literal data for Terraform (tfLiteral), byte-identical in S3.
      content,
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
      dependsOn: [controller.runbook, object, ...(props.after ?? [])],
    });
    new TerraformOutput(this, "association_id", {
      value: association.associationId,
      description: `${this.associationName}: start a run now with aws ssm start-associations-once --association-ids <id>`,
    });
  }
}
