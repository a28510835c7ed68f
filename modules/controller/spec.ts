import { createHash } from "node:crypto";
import { Fn, Token } from "cdktf";
import type { AsgImageRingSpec, EmergencyPatchRingSpec, InventorySyncRingSpec, NodeTarget, RingSpec, RingTargets } from "../../contract/ring-spec";
import { RING_SPEC_SCHEMA_VERSION } from "../../contract/ring-spec";
import type { FreezeWindow } from "../../contract/freezes";
import { ASG_IMAGE_JOB, EMERGENCY_JOB, INVENTORY_JOB, INVENTORY_RING, INVENTORY_SYNC_NAME, associationNameOf } from "../../contract/names";
import type { FleetModel, FleetPackage, RolloutRing, TargetGroup } from "../config/model";
import type { Patching } from "../config/patching";
import { INVENTORY_PREFIX } from "../patching/reporting";

function targetsOf(group: TargetGroup): RingTargets {
  return { accounts: [...group.accounts], organizationalUnits: [...group.organizationalUnits] };
}

/** The ring spec's change freezes (none without a freezes section); a campaign's override only when it says so. */
function freezeFields(model: FleetModel, overrideFreezes = false): { freezes?: FreezeWindow[]; overrideFreezes?: true } {
  const windows = model.freezes?.windows ?? [];
  if (windows.length === 0) return {};
  return { freezes: windows.map((w) => ({ ...w, ...(w.kind === "weekly" ? { days: [...w.days] } : {}) })), ...(overrideFreezes ? { overrideFreezes: true as const } : {}) };
}

/** The member association's node targets: one entry per tag key (AND), or every managed node. */
function nodeTargetsOf(group: TargetGroup): NodeTarget[] {
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
    ...(ring.resume !== undefined ? { resume: ring.resume } : {}),
    ...freezeFields(model),
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

/* ---------- the controller's own jobs ---------- */

/** How often the inventory sync job runs: new accounts get their sync within a day. */
export const INVENTORY_SYNC_SCHEDULE = "rate(1 day)";

function unionTargets(groups: readonly TargetGroup[]): RingTargets {
  return {
    accounts: [...new Set(groups.flatMap((g) => g.accounts))].sort(),
    organizationalUnits: [...new Set(groups.flatMap((g) => g.organizationalUnits))].sort(),
  };
}

/**
 * SendCommand Targets of an emergency ring. Targets only select (no "tag not equal"), so the environment
 * tag takes the values the maintenance windows use (Default and every environment): opt-out and untagged
 * nodes are in none, exactly as with the windows. The ring's target group adds its node tags (AND); when it
 * already names the environment tag, its values count, without the opt-out value.
 */
export function emergencyNodeTargetsOf(patching: Patching, group: TargetGroup): NodeTarget[] {
  const tags = new Map<string, readonly string[]>(Object.entries(group.instanceTags));
  const key = patching.environmentTag;
  const own = tags.get(key);
  tags.set(key, own !== undefined ? own.filter((v) => v !== patching.optOutValue) : patching.windows.map((w) => w.environment));
  return [...tags.keys()].sort().map((k) => ({ Key: `tag:${k}`, Values: [...tags.get(k)!] }));
}

/** The ring fields every job kind shares: targets, order, gates and ring-wide rate control. */
function jobRingCommon<K extends string>(
  model: FleetModel,
  rings: readonly { readonly name: string; readonly targetGroup: TargetGroup; readonly bakeSeconds: number; readonly alarms: readonly string[]; readonly maxConcurrency: string; readonly maxErrors: string; readonly resume?: string }[],
  index: number,
  kind: K,
  job: string,
  campaign: string,
  overrideFreezes = false,
) {
  const ring = rings[index]!;
  const previous = index > 0 ? rings[index - 1]! : undefined;
  const org = model.organization;
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    kind,
    package: job,
    ring: ring.name,
    ringIndex: index,
    release: campaign,
    targets: targetsOf(ring.targetGroup),
    earlierRingTargets: rings.slice(0, index).map((r) => targetsOf(r.targetGroup)),
    regions: [...org.workloadRegions],
    managementAccount: org.managementAccount,
    organizationId: org.id,
    ...(previous ? { previous: { name: previous.name, bakeSeconds: previous.bakeSeconds, alarms: [...previous.alarms], maxErrors: previous.maxErrors } } : {}),
    alarms: [...ring.alarms],
    maxConcurrency: ring.maxConcurrency,
    maxErrors: ring.maxErrors,
    ...(ring.resume !== undefined ? { resume: ring.resume } : {}),
    ...freezeFields(model, overrideFreezes),
  } as const;
}

/** The spec of emergency ring `index`: the campaign is the ring's release; rings gate in order. */
export function emergencyRingSpecOf(model: FleetModel, index: number): EmergencyPatchRingSpec {
  const patching = model.patching!;
  const emergency = patching.emergency!;
  const ring = emergency.rings[index]!;
  return {
    ...jobRingCommon(model, emergency.rings, index, "emergency-patch", EMERGENCY_JOB, emergency.campaign, model.freezes?.emergencyOverrides),
    command: {
      operation: emergency.operation,
      rebootOption: emergency.rebootOption,
      targets: emergencyNodeTargetsOf(patching, ring.targetGroup),
      maxConcurrency: ring.nodeMaxConcurrency,
      maxErrors: ring.nodeMaxErrors,
    },
  };
}

/** The spec of Auto Scaling image ring `index`: the campaign is the release; groups tagged as the windows' nodes. */
export function asgImageRingSpecOf(model: FleetModel, index: number): AsgImageRingSpec {
  const patching = model.patching!;
  const auto = patching.autoScaling!;
  return {
    ...jobRingCommon(model, auto.rings, index, "asg-image", ASG_IMAGE_JOB, auto.campaign, model.freezes?.autoScalingOverrides),
    image: {
      tagKey: patching.environmentTag,
      tagValues: patching.windows.map((w) => w.environment),
      healthyPercentage: auto.healthyPercentage,
      instanceProfileName: auto.instanceProfile,
      automationRoleName: auto.automationRole,
    },
  };
}

/**
 * The inventory sync job's one ring: every account of every package's target groups plus
 * `patching.reports.syncTargets`, in every workload Region. `kmsKeyArn` is the reports key (a Terraform
 * reference in the central tree); `release` fingerprints the destination, so a new bucket, prefix or key
 * makes every pair check its sync again (and recreate it when it differs).
 */
export function inventorySyncSpecOf(model: FleetModel, kmsKeyArn: string): InventorySyncRingSpec {
  const patching = model.patching!;
  const org = model.organization;
  const groups = [...model.packages.flatMap((p) => p.rings.map((r) => r.targetGroup)), ...patching.syncTargets];
  const sync: InventorySyncRingSpec["sync"] = {
    name: INVENTORY_SYNC_NAME,
    bucketName: patching.reports.bucketName,
    prefix: INVENTORY_PREFIX,
    syncFormat: "JsonSerDe",
    region: org.homeRegion,
    kmsKeyArn,
    // The organization setup the reports bucket policy is written for (s3:RequestObjectTag/OrgId).
    destinationDataSharingType: "Organization",
  };
  const fixed = createHash("sha256").update(JSON.stringify({ ...sync, kmsKeyArn: "" })).digest("hex").slice(0, 12);
  // The key ARN is known only at apply time: Terraform hashes it into the spec object it writes.
  const key = Token.isUnresolved(kmsKeyArn) ? Fn.substr(Fn.sha256(kmsKeyArn), 0, 12) : createHash("sha256").update(kmsKeyArn).digest("hex").slice(0, 12);
  return {
    schemaVersion: RING_SPEC_SCHEMA_VERSION,
    kind: "inventory-sync",
    package: INVENTORY_JOB,
    ring: INVENTORY_RING,
    ringIndex: 0,
    release: `dest-${fixed}-${key}`,
    targets: unionTargets(groups),
    earlierRingTargets: [],
    regions: [...org.workloadRegions],
    managementAccount: org.managementAccount,
    organizationId: org.id,
    alarms: [],
    // Each pair finishes within its call (no read-back), so concurrency only orders the work.
    maxConcurrency: "100%",
    maxErrors: "10%",
    ...freezeFields(model),
    sync,
  };
}
