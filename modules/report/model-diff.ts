/*
 * What a change of the fleet model does to each package and ring: release before -> after and each ring's
 * wanted version (its pin, else the release), told apart as promotion or rollback by the contract's
 * compareVersions, the same order the controller uses.
 */
import { compareVersions } from "../../contract/versions";
import type { FleetModel, FleetPackage, RolloutRing } from "../config/model";

/** The previous state: a resolved model, or unknown (a folder base, or a base config that did not load). */
export type Before = { readonly kind: "known"; readonly model: FleetModel } | { readonly kind: "unknown"; readonly why: string };

export type Change = "new" | "removed" | "promotion" | "rollback" | "unchanged" | "unknown";

export interface RingPlan {
  readonly name: string;
  /** The ring in the new model; undefined when the ring was removed. */
  readonly ring?: RolloutRing;
  readonly wantedBefore?: string;
  readonly wantedAfter?: string;
  readonly change: Change;
  /** The ring carries a pin in the new model (a hold, or a rollback of this ring alone). */
  readonly held: boolean;
}

export interface PackagePlan {
  readonly name: string;
  readonly before?: FleetPackage;
  readonly after?: FleetPackage;
  readonly change: Change;
  /** The new model's rings in rollout order, then the rings the change removes. */
  readonly rings: readonly RingPlan[];
}

/** The version a ring holds or goes to: its pin, else the package release. */
export function wantedVersion(pkg: FleetPackage, ring: RolloutRing): string {
  return ring.pin ?? pkg.release;
}

function versionChange(before: string | undefined, after: string | undefined, known: boolean): Change {
  if (!known) return "unknown";
  if (after === undefined) return "removed";
  if (before === undefined) return "new";
  const order = compareVersions(after, before);
  return order > 0 ? "promotion" : order < 0 ? "rollback" : "unchanged";
}

export function planPackages(before: Before, after: FleetModel): PackagePlan[] {
  const known = before.kind === "known";
  const beforeByName = new Map((known ? before.model.packages : []).map((p) => [p.name, p] as const));
  const plans: PackagePlan[] = after.packages.map((pkg) => planPackage(beforeByName.get(pkg.name), pkg, known));
  const afterNames = new Set(after.packages.map((p) => p.name));
  for (const [name, pkg] of beforeByName) if (!afterNames.has(name)) plans.push(planPackage(pkg, undefined, true));
  return plans;
}

function planPackage(before: FleetPackage | undefined, after: FleetPackage | undefined, known: boolean): PackagePlan {
  const name = (after ?? before)!.name;
  const beforeRings = new Map((before?.rings ?? []).map((r) => [r.name, r] as const));
  const rings: RingPlan[] = (after?.rings ?? []).map((ring) => {
    const old = beforeRings.get(ring.name);
    const wantedBefore = before && old ? wantedVersion(before, old) : undefined;
    const wantedAfter = wantedVersion(after!, ring);
    return {
      name: ring.name,
      ring,
      ...(wantedBefore !== undefined ? { wantedBefore } : {}),
      wantedAfter,
      change: versionChange(wantedBefore, wantedAfter, known),
      held: ring.pin !== undefined,
    };
  });
  const afterRings = new Set((after?.rings ?? []).map((r) => r.name));
  for (const old of before?.rings ?? []) {
    if (!afterRings.has(old.name)) rings.push({ name: old.name, wantedBefore: wantedVersion(before!, old), change: "removed", held: false });
  }
  return {
    name,
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    change: versionChange(before?.release, after?.release, known),
    rings,
  };
}
