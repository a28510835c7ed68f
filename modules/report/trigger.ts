/*
 * What starts AFT after a merge. AFT's customization pipelines have no change detection (a push to the
 * customization repositories starts nothing); an account's pipeline runs when the account is vended or when
 * AFT's aft-invoke-customizations state machine (AFT management account, Control Tower home Region) is
 * started. The publish job starts it for what changed: the central account alone when only the central
 * tree changes, every account when the member tree (aft-global-customizations) changes, nothing otherwise.
 */
import { invokeCustomizationsInput } from "../aft/copy-to-repos";
import type { TreeDiff } from "./tree-diff";

/** Minutes the report assumes one account's AFT customization pipeline takes (`--aft-minutes`). */
export const DEFAULT_AFT_MINUTES = 20;
/** AFT's `maximum_concurrent_customizations` default: pipelines running at once for an "all" trigger. */
export const AFT_CONCURRENT_CUSTOMIZATIONS = 5;

export interface AftTrigger {
  readonly kind: "none" | "central" | "all";
  /** The exact `--input` of `aws stepfunctions start-execution` (absent for "none"). */
  readonly input?: string;
}

/**
 * The aft-invoke-customizations start a change needs, from the tree diff: "all" when a member tree changes
 * (added, removed or changed), "central" when only other trees change, "none" when nothing changes.
 */
export function aftTrigger(trees: readonly Pick<TreeDiff, "member" | "status">[], centralAccount: string): AftTrigger {
  const changed = trees.filter((t) => t.status !== "unchanged");
  const kind = changed.some((t) => t.member) ? "all" : changed.length > 0 ? "central" : "none";
  return kind === "none" ? { kind } : { kind, input: invokeCustomizationsInput(kind, centralAccount) };
}

/** Minutes until every account's pipeline ran for an "all" trigger: ceil(accounts / 5) x pipeline minutes. */
export function allPipelinesMinutes(accounts: number, aftMinutes = DEFAULT_AFT_MINUTES): number {
  return Math.ceil(Math.max(1, accounts) / AFT_CONCURRENT_CUSTOMIZATIONS) * aftMinutes;
}
