import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { SsmAssociation } from "@cdktf/provider-aws/lib/ssm-association";
import type { FleetPackage, RolloutRing } from "../config/model";
import { fleetTags } from "../core/tags";
import { tfJsonLiteral, tfLiteral } from "../core/literal";
import type { AutomationAdministration } from "./administration";

export interface RolloutAssociationProps {
  readonly pkg: FleetPackage;
  readonly ring: RolloutRing;
  readonly administration: AutomationAdministration;
  readonly workloadRegions: readonly string[];
}

/**
 * The rollout parameters of a ring, as the association passes them. State Manager hands every
 * association parameter to the runbook as a single string, so lists are comma-separated here and split
 * by the runbook. Empty lists are left out (the runbook's default is empty).
 */
export function rolloutParameters(pkg: FleetPackage, ring: RolloutRing, workloadRegions: readonly string[]): Record<string, string> {
  const group = ring.targetGroup;
  const tagKeys = Object.keys(group.instanceTags);
  if (tagKeys.length > 1) {
    // A runCommand target of several keys needs a MapList parameter, which association parameters cannot carry.
    throw new Error(
      `ring ${ring.name} of ${pkg.name}: the org fan-out targets nodes by at most one tag key; target group ${group.name} has ${tagKeys.join(", ")}`,
    );
  }
  const tagKey = tagKeys[0];
  const parameters: Record<string, string> = {
    packageName: pkg.name,
    packageVersion: ring.version,
    action: ring.action,
    installationType: pkg.installationType,
    targetKey: tagKey === undefined ? "InstanceIds" : tfLiteral(`tag:${tagKey}`),
    targetValues: tagKey === undefined ? "*" : tfLiteral(group.instanceTags[tagKey]!.join(",")),
    regions: workloadRegions.join(","),
    maxConcurrency: ring.maxConcurrency,
    maxErrors: ring.maxErrors,
    ring: ring.name,
  };
  if (group.organizationalUnits.length > 0) parameters.organizationalUnits = group.organizationalUnits.join(",");
  if (group.accounts.length > 0) parameters.accounts = group.accounts.join(",");
  if (Object.keys(pkg.additionalArguments).length > 0) parameters.additionalArguments = tfJsonLiteral(pkg.additionalArguments);
  return parameters;
}

/**
 * A State Manager association in the central account that runs aft-fleet-RolloutPackage for one ring of
 * one package on the ring's schedule (and once when created or changed): its version, targets, rate
 * control and the workload Regions, with the administration role as AutomationAssumeRole.
 */
export class RolloutAssociation extends Construct {
  readonly associationName: string;

  constructor(scope: Construct, id: string, props: RolloutAssociationProps) {
    super(scope, id);
    const { pkg, ring, administration } = props;
    this.associationName = `aft-fleet-rollout-${pkg.name}-${ring.name}`;
    const association = new SsmAssociation(this, "Association", {
      region: administration.region,
      name: administration.runbookName,
      associationName: this.associationName,
      parameters: { AutomationAssumeRole: administration.roleArn, ...rolloutParameters(pkg, ring, props.workloadRegions) },
      scheduleExpression: ring.schedule,
      applyOnlyAtCronInterval: false,
      complianceSeverity: ring.complianceSeverity,
      tags: fleetTags({ "aft-fleet:package": pkg.name, "aft-fleet:ring": ring.name }),
      dependsOn: [administration.runbook],
    });
    new TerraformOutput(this, "association_id", {
      value: association.associationId,
      description: `${this.associationName}: rolls ${pkg.name} ${ring.version} out to ring ${ring.name}`,
    });
  }
}
