/*
 * Resolution: a schema-valid config -> the normalized, fully-resolved model (target groups, rings,
 * published versions with their files), with the checks that need more than one field.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ASSOCIATION_TARGET_VALUES_MAX, ASSOCIATION_TARGETS_MAX } from "../../contract/patterns";
import { DISTRIBUTOR_ARCHES_BY_PLATFORM, DISTRIBUTOR_DEFAULT_ARCHES } from "../../contract/aws-rules";
import { ConfigIssue, showValue } from "./errors";
import type { FleetModel, FleetPackage, PackageVersion, PlatformEntry, RolloutRing, TargetGroup } from "./model";
import { durationSeconds, storeBucketDefault } from "./fields";
import { buildVersion } from "./package-files";
import { resolveOrchestration } from "./orchestration";
import { resolvePatching } from "./patching";
import { resolveFreezes } from "./freezes";
import { resolveNotifications } from "./notifications";
import { FleetConfig, PackageConfig } from "./schema";


export function buildModel(cfg: FleetConfig, baseDir: string, shown: string, issues: ConfigIssue[]): FleetModel {
  const org = cfg.organization;
  const regions = new Set<string>();
  org.workloadRegions.forEach((region, i) => {
    if (regions.has(region)) issues.push({ path: `organization.workloadRegions[${i}]`, value: showValue(region), allowed: "each Region once" });
    regions.add(region);
  });
  const workloadRegions = [org.homeRegion, ...[...regions].filter((r) => r !== org.homeRegion).sort()];

  // Null prototype: a group named like an Object.prototype member (constructor, toString) is just a name.
  const targetGroups: Record<string, TargetGroup> = Object.create(null);
  for (const name of Object.keys(org.targetGroups).sort()) {
    const group = org.targetGroups[name]!;
    const where = `organization.targetGroups.${name}`;
    const accounts = group.accounts ?? [];
    const ous = group.organizationalUnits ?? [];
    if (accounts.length === 0 && ous.length === 0) {
      issues.push({ path: where, value: "a group with no accounts and no organizationalUnits", allowed: "at least one account id or OU id" });
    }
    checkUnique(accounts, `${where}.accounts`, issues);
    checkUnique(ous, `${where}.organizationalUnits`, issues);
    const tags = group.instanceTags ?? {};
    // Each tag key becomes one Targets entry of the member association: at most 5 entries of at most 50 values (CreateAssociation).
    if (Object.keys(tags).length > ASSOCIATION_TARGETS_MAX) {
      issues.push({ path: `${where}.instanceTags`, value: `${Object.keys(tags).length} tag keys`, allowed: `at most ${ASSOCIATION_TARGETS_MAX} tag keys (an association takes at most 5 targets)` });
    }
    for (const key of Object.keys(tags)) {
      if (tags[key]!.length > ASSOCIATION_TARGET_VALUES_MAX) {
        issues.push({ path: `${where}.instanceTags.${key}`, value: `${tags[key]!.length} values`, allowed: `at most ${ASSOCIATION_TARGET_VALUES_MAX} values per tag key (an association target takes at most 50)` });
      }
    }
    targetGroups[name] = {
      name,
      accounts: [...new Set(accounts)].sort(),
      organizationalUnits: [...new Set(ous)].sort(),
      instanceTags: Object.fromEntries(Object.keys(tags).sort().map((k) => [k, [...tags[k]!]])),
    };
  }

  const seenNames = new Map<string, number>();
  const packages: FleetPackage[] = [];
  cfg.packages.forEach((pkg, i) => {
    const where = `packages[${i}]`;
    const key = pkg.name.toLowerCase();
    // `_emergency`, `_inventory`: the controller's own jobs keep their ring specs and ledgers under such names.
    if (pkg.name.startsWith("_")) issues.push({ path: `${where}.name`, value: showValue(pkg.name), allowed: "a name not starting with '_' (reserved for the controller's own jobs)" });
    if (seenNames.has(key)) {
      issues.push({ path: `${where}.name`, value: showValue(pkg.name), allowed: `a name not used by another package (packages[${seenNames.get(key)}] has it)` });
    } else {
      seenNames.set(key, i);
    }
    const resolved = buildPackage(pkg, where, baseDir, targetGroups, issues);
    if (resolved) packages.push(resolved);
  });

  const store = cfg.packageStore;
  if (cfg.deployment.mode === "direct" && !cfg.deployment.direct) {
    issues.push({ path: "deployment.direct", value: undefined, allowed: "stateBucket and stateRegion when deployment.mode is direct" });
  }
  const direct = cfg.deployment.direct;
  const orchestration = resolveOrchestration(cfg.orchestration, { id: org.id, workloadRegions, centralAccount: org.centralAccount, targetGroups }, issues);
  const patching = resolvePatching(cfg.patching, { centralAccount: org.centralAccount, homeRegion: org.homeRegion, targetGroups }, issues);
  const freezes = resolveFreezes(cfg, issues);
  const notifications = resolveNotifications(cfg.notifications, { account: org.centralAccount, region: org.homeRegion }, issues);
  return {
    source: shown,
    organization: {
      id: org.id,
      managementAccount: org.managementAccount,
      centralAccount: org.centralAccount,
      homeRegion: org.homeRegion,
      workloadRegions,
      targetGroups,
    },
    deployment: {
      mode: cfg.deployment.mode,
      accountCustomizationName: cfg.deployment.accountCustomizationName,
      memberProviderRequirements: cfg.deployment.memberProviderRequirements,
      ...(direct
        ? {
            direct: {
              stateBucket: direct.stateBucket,
              stateRegion: direct.stateRegion,
              stateKeyPrefix: direct.stateKeyPrefix.replace(/\/+$/, ""),
              ...(direct.lockTable ? { lockTable: direct.lockTable } : {}),
              memberAccounts: [...new Set(direct.memberAccounts)].sort(),
              memberRoleName: direct.memberRoleName,
            },
          }
        : {}),
    },
    store: {
      bucketName: store.bucketName ?? storeBucketDefault(org),
      ...(store.accessLogBucket ? { accessLogBucket: store.accessLogBucket } : {}),
      noncurrentVersionDays: store.noncurrentVersionDays,
      encryption: store.encryption,
      rolloutRetentionDays: store.rolloutRetentionDays,
    },
    packages,
    ...(orchestration ? { orchestration } : {}),
    ...(patching ? { patching } : {}),
    ...(freezes ? { freezes } : {}),
    ...(notifications ? { notifications } : {}),
  };
}

function checkUnique(values: readonly string[], where: string, issues: ConfigIssue[]): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) issues.push({ path: `${where}[${i}]`, value: showValue(v), allowed: "each value once" });
    seen.add(v);
  });
}

function buildPackage(
  pkg: PackageConfig,
  where: string,
  baseDir: string,
  targetGroups: Record<string, TargetGroup>,
  issues: ConfigIssue[],
): FleetPackage | undefined {
  const before = issues.length;
  const platforms: PlatformEntry[] = [];
  const seenPlatforms = new Set<string>();
  pkg.platforms.forEach((p, j) => {
    const id = `${p.platform}/${p.platformVersion}/${p.arch}`;
    if (seenPlatforms.has(id)) issues.push({ path: `${where}.platforms[${j}]`, value: showValue(id), allowed: "each platform/platformVersion/arch once" });
    seenPlatforms.add(id);
    const arches = DISTRIBUTOR_ARCHES_BY_PLATFORM[p.platform] ?? DISTRIBUTOR_DEFAULT_ARCHES;
    if (!arches.includes(p.arch)) {
      issues.push({ path: `${where}.platforms[${j}].arch`, value: showValue(p.arch), allowed: `an architecture Distributor supports for ${p.platform}: ${arches.join(", ")}` });
    }
    platforms.push({ platform: p.platform, platformVersion: p.platformVersion, arch: p.arch, folder: p.folder });
  });

  const ringNames = new Set<string>();
  const rings: RolloutRing[] = [];
  pkg.rings.forEach((ring, k) => {
    const at = `${where}.rings[${k}]`;
    if (ringNames.has(ring.name)) issues.push({ path: `${at}.name`, value: showValue(ring.name), allowed: "a ring name used once per package (it names the ring's ledger, spec and association)" });
    ringNames.add(ring.name);
    const group = Object.prototype.hasOwnProperty.call(targetGroups, ring.targets) ? targetGroups[ring.targets] : undefined;
    if (!group) {
      const known = Object.keys(targetGroups);
      issues.push({ path: `${at}.targets`, value: showValue(ring.targets), allowed: known.length ? `a target group: ${known.join(", ")}` : "a target group defined in organization.targetGroups" });
      return;
    }
    rings.push({
      name: ring.name,
      targetGroup: group,
      ...(ring.pin !== undefined ? { pin: ring.pin } : {}),
      bakeSeconds: durationSeconds(ring.bake),
      alarms: [...new Set(ring.alarms)].sort(),
      action: ring.action,
      schedule: ring.schedule,
      maxConcurrency: ring.maxConcurrency,
      maxErrors: ring.maxErrors,
      nodeMaxConcurrency: ring.nodeMaxConcurrency,
      nodeMaxErrors: ring.nodeMaxErrors,
      complianceSeverity: ring.complianceSeverity,
      ...(ring.resume !== undefined ? { resume: ring.resume } : {}),
    });
  });

  const listed = pkg.versions;
  if (listed) {
    checkUnique(listed, `${where}.versions`, issues);
    if (!listed.includes(pkg.release)) {
      issues.push({ path: `${where}.release`, value: showValue(pkg.release), allowed: `a version listed in ${where}.versions (${listed.join(", ")}): the controller creates member documents only from published versions` });
    }
  }
  if (listed) {
    // A pin to a version the store does not hold synthesizes but freezes the ring at run time (the
    // controller has no manifest to create the member document from): refuse it as the release is.
    pkg.rings.forEach((ring, k) => {
      if (ring.pin !== undefined && !listed.includes(ring.pin)) {
        issues.push({ path: `${where}.rings[${k}].pin`, value: showValue(ring.pin), allowed: `a version listed in ${where}.versions (${listed.join(", ")}): the controller creates member documents only from published versions` });
      }
    });
  }
  const pins = pkg.rings.flatMap((r) => (r.pin !== undefined ? [r.pin] : []));
  const versionNames = [...new Set(listed ?? [pkg.release, ...pins])].sort();

  const sourceDir = path.resolve(baseDir, pkg.source);
  // The source root may be a link (a user's layout choice); what is below it may not.
  if (!fs.statSync(sourceDir, { throwIfNoEntry: false })?.isDirectory()) {
    issues.push({ path: `${where}.source`, value: showValue(pkg.source), allowed: "a folder (relative to the config file) holding one sub-folder per version" });
    return undefined;
  }
  const versions: PackageVersion[] = [];
  for (const version of versionNames) {
    const resolved = buildVersion(pkg, where, sourceDir, version, issues);
    if (resolved) versions.push(resolved);
  }
  if (issues.length > before) return undefined;
  return {
    name: pkg.name,
    publisher: pkg.publisher,
    description: pkg.description ?? `${pkg.name} by ${pkg.publisher}, distributed by aft-fleet`,
    installationType: pkg.installationType,
    additionalArguments: Object.fromEntries(Object.keys(pkg.additionalArguments).sort().map((k) => [k, pkg.additionalArguments[k]!] as const)),
    platforms,
    release: pkg.release,
    versions,
    versionRetention: pkg.versionRetention,
    controllerSchedule: pkg.controllerSchedule,
    rings,
  };
}


