import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import type { FleetPackage, PackageVersion, RolloutRing } from "../config/model";
import { fleetTags } from "../core/tags";
import { tfJsonLiteral, tfLiteral } from "../core/literal";
import type { PackageArtifacts } from "../distributor-package";
import { ASSOCIATION_LOG_PREFIX } from "../package-store";

export interface FleetAssociationProps {
  readonly pkg: FleetPackage;
  readonly ring: RolloutRing;
  readonly version: PackageVersion;
  readonly artifacts: PackageArtifacts;
  /** Region of the document and association (AWS provider 6 `region` argument). */
  readonly region: string;
  /** Package store: attachments are read from it and association output is written to it. */
  readonly storeBucket: string;
  readonly storeRegion: string;
  /** `s3://bucket/<package>/<version>`. */
  readonly sourceUrl: string;
}

/**
 * Per-account provisioning (SPEC §6.D) in one Region: the Distributor `Package` document (content = the
 * manifest, attachments from the package store, version name = the package version) and a State Manager
 * association running `AWS-ConfigureAWSPackage` on the ring's targets with its schedule and rate control.
 */
export class FleetAssociation extends Construct {
  readonly documentName: string;
  readonly associationName: string;

  constructor(scope: Construct, id: string, props: FleetAssociationProps) {
    super(scope, id);
    const { pkg, ring, version, region } = props;
    const tags = fleetTags({ "aft-fleet:package": pkg.name, "aft-fleet:ring": ring.name });
    this.documentName = pkg.name;
    this.associationName = `aft-fleet-${pkg.name}-${ring.name}`;

    const document = new SsmDocument(this, "Document", {
      region,
      name: pkg.name,
      documentType: "Package",
      documentFormat: "JSON",
      content: props.artifacts.manifest,
      versionName: version.version,
      attachmentsSource: [{ key: "SourceUrl", values: [props.sourceUrl] }],
      tags,
    });

    const tagKeys = Object.keys(ring.targetGroup.instanceTags);
    const targets =
      tagKeys.length > 0
        ? tagKeys.map((k) => ({ key: tfLiteral(`tag:${k}`), values: ring.targetGroup.instanceTags[k]!.map(tfLiteral) }))
        : [{ key: "InstanceIds", values: ["*"] }];
    const parameters: Record<string, string> = {
      action: ring.action,
      installationType: pkg.installationType,
      name: pkg.name,
      version: version.version,
    };
    if (Object.keys(pkg.additionalArguments).length > 0) parameters.additionalArguments = tfJsonLiteral(pkg.additionalArguments);

    const association = new SsmAssociation(this, "Association", {
      region,
      name: "AWS-ConfigureAWSPackage",
      associationName: this.associationName,
      parameters,
      targets,
      scheduleExpression: ring.schedule,
      maxConcurrency: ring.maxConcurrency,
      maxErrors: ring.maxErrors,
      complianceSeverity: ring.complianceSeverity,
      applyOnlyAtCronInterval: false,
      outputLocation: {
        s3BucketName: props.storeBucket,
        s3KeyPrefix: `${ASSOCIATION_LOG_PREFIX}/${pkg.name}/${ring.name}`,
        s3Region: props.storeRegion,
      },
      tags,
      dependsOn: [document],
    });
    new TerraformOutput(this, "association_id", {
      value: association.associationId,
      description: `${this.associationName} in ${region}`,
    });
  }
}
