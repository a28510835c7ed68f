import type { NodeTarget, RingSpec, RingTargets } from "../../contract/ring-spec";
import { RING_SPEC_SCHEMA_VERSION } from "../../contract/ring-spec";
import { associationNameOf } from "../../contract/names";
import type { FleetModel, FleetPackage, RolloutRing, TargetGroup } from "../config/model";

function targetsOf(group: TargetGroup): RingTargets {
  return { accounts: [...group.accounts], organizationalUnits: [...group.organizationalUnits] };
}

/** The member association's node targets: one entry per tag key (AND), or every managed node. */
export function nodeTargetsOf(group: TargetGroup): NodeTarget[] {
  const keys = Object.keys(group.instanceTags).sort();
  if (keys.length === 0) return [{ Key: "InstanceIds", Values: ["*"] }];
  return keys.map((key) => ({ Key: `tag:${key}`, Values: [...group.instanceTags[key]!] }));
}

/** The ring spec the controller runs ring `index` of `pkg` from: pure data, built from the model. */
export function ringSpecOf(model: FleetModel, pkg: FleetPackage, index: number): RingSpec {
  const ring: RolloutRing = pkg.rings[index]!;
  const previous = index > 0 ? pkg.rings[index - 1]! : undefined;
  const org = model.organization;
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    package: pkg.name,
    ring: ring.name,
    ringIndex: index,
    release: pkg.release,
    ...(ring.pin !== undefined ? { pin: ring.pin } : {}),
    publishedVersions: pkg.versions.map((v) => v.version),
    targets: targetsOf(ring.targetGroup),
    earlierRingTargets: pkg.rings.slice(0, index).map((r) => targetsOf(r.targetGroup)),
    regions: [...org.workloadRegions],
    managementAccount: org.managementAccount,
    organizationId: org.id,
    ...(previous
      ? { previous: { name: previous.name, bakeSeconds: previous.bakeSeconds, alarms: [...previous.alarms], maxErrors: previous.maxErrors } }
      : {}),
    alarms: [...ring.alarms],
    maxConcurrency: ring.maxConcurrency,
    maxErrors: ring.maxErrors,
    versionRetention: pkg.versionRetention,
    store: { bucket: model.store.bucketName, region: org.homeRegion },
    association: {
      name: associationNameOf(pkg.name),
      action: ring.action,
      installationType: pkg.installationType,
      additionalArguments: { ...pkg.additionalArguments },
      targets: nodeTargetsOf(ring.targetGroup),
      scheduleExpression: ring.schedule,
      maxConcurrency: ring.nodeMaxConcurrency,
      maxErrors: ring.nodeMaxErrors,
      complianceSeverity: ring.complianceSeverity,
    },
  };
}
