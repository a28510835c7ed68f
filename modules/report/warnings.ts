/*
 * Review warnings over the resolved model, one rule per function (cdk-nag's shape): each takes a package
 * and returns what a reviewer should look at. None of them stops a synth; loadConfig already refuses
 * what cannot work.
 */
import { concurrencyLimit } from "../../contract/rate";
import { compareVersions } from "../../contract/versions";
import type { FleetModel, FleetPackage } from "../config/model";
import { ringTargets } from "./estimate";

export interface Warning {
  readonly package: string;
  readonly ring?: string;
  readonly message: string;
}

type Rule = (pkg: FleetPackage, model: FleetModel) => Warning[];

const published = (pkg: FleetPackage) => new Set(pkg.versions.map((v) => v.version));

const pinNotPublished: Rule = (pkg) =>
  pkg.rings.flatMap((r) =>
    r.pin !== undefined && !published(pkg).has(r.pin)
      ? [{ package: pkg.name, ring: r.name, message: `pinned to ${r.pin}, which is not a published version (${[...published(pkg)].join(", ")})` }]
      : [],
  );

const releaseNotPublished: Rule = (pkg) =>
  published(pkg).has(pkg.release) ? [] : [{ package: pkg.name, message: `release ${pkg.release} is not in versions (${[...published(pkg)].join(", ")})` }];

const accountInTwoRings: Rule = (pkg) => {
  const firstRing = new Map<string, string>();
  const out: Warning[] = [];
  for (const ring of pkg.rings) {
    for (const account of ring.targetGroup.accounts) {
      const first = firstRing.get(account);
      if (first === undefined) firstRing.set(account, ring.name);
      else out.push({ package: pkg.name, ring: ring.name, message: `account ${account} is also listed in ring ${first}; it belongs to ${first} only` });
    }
  }
  return out;
};

const ouInEarlierRing: Rule = (pkg) => {
  const firstRing = new Map<string, string>();
  const out: Warning[] = [];
  for (const ring of pkg.rings) {
    for (const ou of ring.targetGroup.organizationalUnits) {
      const first = firstRing.get(ou);
      if (first === undefined) firstRing.set(ou, ring.name);
      else out.push({ package: pkg.name, ring: ring.name, message: `OU ${ou} is also listed in the earlier ring ${first}; it is excluded from ${ring.name}` });
    }
  }
  return out;
};

/** A ring's alarms keep the next ring from promoting; without them a bad release reaches a bigger ring on bake time alone. */
const noAlarmsBeforeLargerRing: Rule = (pkg, model) => {
  // Sizes in estimated account-Region pairs (an OU counts as ASSUMED_ACCOUNTS_PER_OU accounts), as the estimate does.
  const targets = ringTargets(pkg, model.organization.workloadRegions.length);
  return pkg.rings.flatMap((ring, i) => {
    const next = pkg.rings[i + 1];
    if (!next || ring.alarms.length > 0) return [];
    const size = targets[i]!.pairs;
    const nextSize = targets[i + 1]!.pairs;
    return nextSize > size
      ? [{ package: pkg.name, ring: ring.name, message: `has no alarms, but the next ring ${next.name} is larger (~${nextSize} account-Region pairs against ~${size})` }]
      : [];
  });
};

/** More than half of a ring's pairs changing at once leaves little for maxErrors to stop (a limit of 1 cannot go lower). */
const wideConcurrency: Rule = (pkg, model) => {
  const targets = ringTargets(pkg, model.organization.workloadRegions.length);
  return pkg.rings.flatMap((ring, i) => {
    const pairs = targets[i]!.pairs;
    const limit = concurrencyLimit(ring.maxConcurrency, pairs);
    return limit > 1 && limit * 2 > pairs
      ? [{ package: pkg.name, ring: ring.name, message: `maxConcurrency ${ring.maxConcurrency} lets ${limit} of its ~${pairs} account-Region pairs change at once (more than half)` }]
      : [];
  });
};

/** Members prune the oldest document versions beyond versionRetention: a pin with that many newer versions is pruned. */
const retentionPrunesPin: Rule = (pkg) =>
  pkg.rings.flatMap((ring) => {
    if (ring.pin === undefined) return [];
    const newer = pkg.versions.filter((v) => compareVersions(v.version, ring.pin!) > 0).length;
    return newer >= pkg.versionRetention
      ? [{ package: pkg.name, ring: ring.name, message: `pinned to ${ring.pin}, but ${newer} published versions are newer and versionRetention keeps ${pkg.versionRetention}: members may prune the pinned version` }]
      : [];
  });

export const RULES: readonly Rule[] = [pinNotPublished, releaseNotPublished, accountInTwoRings, ouInEarlierRing, noAlarmsBeforeLargerRing, wideConcurrency, retentionPrunesPin];

/** Fleet-wide warnings the config resolution found (orchestration documents that run code they download). */
function modelWarnings(model: FleetModel): Warning[] {
  return (model.orchestration?.warnings ?? []).map((message) => ({ package: "orchestration", message }));
}

export function fleetWarnings(model: FleetModel): Warning[] {
  return [...model.packages.flatMap((pkg) => RULES.flatMap((rule) => rule(pkg, model))), ...modelWarnings(model)];
}
