/*
 * Change freezes at run time: whether a ring may start new pairs now. Pure; the plan calls it once per
 * run, and while it returns a reason the run starts nothing new (read-backs of pairs in flight go on).
 */
import { freezesHoldingAt, nextFreezeChange } from "../../contract/freezes";
import type { RingSpecCore } from "../../contract/ring-spec";

/**
 * Why `spec`'s ring may not start new pairs at `now` because of a change freeze, or undefined when no
 * freeze holds or the spec overrides them (`overrideFreezes`, emergency and Auto Scaling campaigns).
 * The reason names the freeze that holds (the one whose occurrence ends last) and when starts may resume:
 * the end of every freeze chained with it, e.g. "change freeze year-end until 2027-01-04T07:00:00.000Z".
 */
export function freezeReason(spec: RingSpecCore, now: Date): string | undefined {
  if (spec.overrideFreezes === true) return undefined;
  const windows = spec.freezes ?? [];
  if (windows.length === 0) return undefined;
  const holding = freezesHoldingAt(windows, now)[0];
  if (!holding) return undefined;
  const until = nextFreezeChange(windows, now) ?? holding.end;
  return `change freeze ${holding.window.name} until ${until.toISOString()}`;
}
